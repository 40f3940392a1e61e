/* cli/args.c - how every wctr command reads its words, and how it says they are wrong (portable). Docker's
 * rules, from docker/cli: flags anywhere among the operands (pflag's interspersed parsing), the last of a
 * repeated single-value flag wins, a flag error exits 125 and a wrong number of operands 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"

int cli_flag_error(cli_ctx *ctx, const char *cmd, const char *text) {
  fprintf(ctx->p->err, "wctr %s: %s\nSee 'wctr %s --help'.\n", cmd, text, cmd);
  return CLI_EXIT_FAILED;
}

int cli_usage_error(cli_ctx *ctx, const char *cmd, const char *text) {
  fprintf(ctx->p->err, "wctr %s: %s\nSee 'wctr %s --help'.\n", cmd, text, cmd);
  return CLI_EXIT_ERROR;
}

int cli_check_operands(cli_ctx *ctx, const char *cmd, int count, int min, int max, const char *what) {
  char text[256];
  if (count >= min && (max < 0 || count <= max)) return 0;
  if (max == 0) {
    snprintf(text, sizeof text, "\"%s\" accepts no arguments", cmd);
  } else if (min == max) {
    snprintf(text, sizeof text, "\"%s\" requires exactly %d argument%s%s%s", cmd, min, min == 1 ? "" : "s",
             what != NULL ? ": " : "", what != NULL ? what : "");
  } else if (count < min) {
    snprintf(text, sizeof text, "\"%s\" requires at least %d argument%s%s%s", cmd, min, min == 1 ? "" : "s",
             what != NULL ? ": " : "", what != NULL ? what : "");
  } else {
    snprintf(text, sizeof text, "\"%s\" requires at most %d argument%s", cmd, max, max == 1 ? "" : "s");
  }
  return cli_usage_error(ctx, cmd, text);
}

const char *cli_plural(long long n, const char *one, const char *many, char *buf, size_t size) {
  snprintf(buf, size, "%lld %s", n, n == 1 ? one : many);
  return buf;
}

int cli_parse_args(cli_ctx *ctx, const char *cmd, const wctr_opt *table, int argc, char **argv, cli_opt_fn on_opt,
                   void *arg, int *first) {
  char **ops = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *ops);
  if (ops == NULL) {
    fprintf(ctx->p->err, "wctr %s: out of memory\n", cmd);
    return CLI_EXIT_FAILED;
  }
  int nops = 0;
  wctr_opts st;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  int id;
  const char *value;
  int rc = 0;
  wctr_opts_init(&st, argc, argv, 1);
  for (;;) {
    if (st.bundle == NULL && st.index < argc && strcmp(argv[st.index], "--") == 0) {
      st.index++;
      while (st.index < argc) ops[nops++] = argv[st.index++];
      break;
    }
    int r = wctr_opts_next(&st, table, &id, &value, &e);
    if (r < 0) {
      rc = cli_flag_error(ctx, cmd, e.text);
      break;
    }
    if (r == 1) {
      if (on_opt != NULL && !on_opt(arg, id, value, &e)) {
        rc = cli_flag_error(ctx, cmd, e.text);
        break;
      }
      continue;
    }
    if (st.index >= argc) break;
    ops[nops++] = argv[st.index++];
  }
  if (rc == 0) {
    /* The operands go last, in their order; the options' values are strings, not slots, and stay valid. */
    *first = argc - nops;
    for (int i = 0; i < nops; i++) argv[*first + i] = ops[i];
  }
  free(ops);
  return rc;
}
