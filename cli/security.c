/* cli/security.c - `wctr secret`, `wctr audit`, `wctr check` and the --secret flag (portable). The value of a
 * secret is read from its file or stdin, sent once in secret.create and zeroed; it is never printed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "common/base64.h"
#include "common/opts.h"

enum { S_HELP = 1, S_FORMAT, S_FORCE, S_QUIET, S_SINCE, S_FOLLOW };
#define CLI_SECRET_FIELD_MAX 256

wctr_err cli_secret_flag_parse(const char *text, cJSON **out, wctr_errmsg *e) {
  char name[CLI_SECRET_FIELD_MAX] = "";
  char target[CLI_SECRET_FIELD_MAX] = "";
  bool has_target = false;
  *out = NULL;
  const char *p = text;
  bool first = true;
  while (*p != '\0') {
    size_t len = strcspn(p, ",");
    const char *eq = memchr(p, '=', len);
    char *dst = NULL;
    size_t cap = 0;
    if (eq == NULL && first) {
      dst = name;
      cap = sizeof name;
      eq = p - 1;
    } else if (eq != NULL && ((size_t)(eq - p) == 6 && strncmp(p, "source", 6) == 0)) {
      dst = name;
      cap = sizeof name;
    } else if (eq != NULL && (size_t)(eq - p) == 6 && strncmp(p, "target", 6) == 0) {
      dst = target;
      cap = sizeof target;
      has_target = true;
    } else {
      return wctr_fail(e, WCTR_EINVAL,
                       "--secret: \"%.*s\" is not NAME, source=NAME or target=FILE (use NAME[,target=FILE])",
                       (int)(len > 64 ? 64 : len), p);
    }
    size_t vlen = len - (size_t)(eq + 1 - p);
    if (vlen >= cap) return wctr_fail(e, WCTR_EINVAL, "--secret: a value is longer than %zu characters", cap - 1);
    memcpy(dst, eq + 1, vlen);
    dst[vlen] = '\0';
    p += len;
    if (*p == ',') p++;
    first = false;
  }
  /* Names and targets are checked by wctrd (service/secrets.h), which names the field. */
  if (name[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "--secret \"%.64s\": the secret's name is missing", text);
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || cJSON_AddStringToObject(o, "Name", name) == NULL ||
      (has_target && cJSON_AddStringToObject(o, "Target", target) == NULL)) {
    cJSON_Delete(o);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = o;
  return WCTR_OK;
}


static int usage(cli_ctx *ctx, const char *cmd, const char *text) {
  fprintf(ctx->p->err, "wctr %s: %s\nSee 'wctr %s --help'.\n", cmd, text, cmd);
  return CLI_EXIT_FAILED;
}

static const char *str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* Options of a secret subcommand, each allowed only where it means something: -f (rm), -q (ls),
 * --format json (ls, inspect). first is the first operand's index. */
typedef struct secret_flags {
  bool force;
  bool quiet;
  bool json;
  int first;
} secret_flags;
enum { ALLOW_FORCE = 1, ALLOW_QUIET = 2, ALLOW_FORMAT = 4 };

static int secret_opts(cli_ctx *ctx, const char *cmd, unsigned allowed, int argc, char **argv, secret_flags *f) {
  static const wctr_opt table[] = {{"help", 'h', false, S_HELP},    {"format", 0, true, S_FORMAT},
                                   {"force", 'f', false, S_FORCE}, {"quiet", 'q', false, S_QUIET},
                                   {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *value;
  int r;
  memset(f, 0, sizeof *f);
  wctr_opts_init(&st, argc, argv, 1);
  while ((r = wctr_opts_next(&st, table, &id, &value, &e)) == 1) {
    if ((id == S_FORCE && !(allowed & ALLOW_FORCE)) || (id == S_QUIET && !(allowed & ALLOW_QUIET)) ||
        (id == S_FORMAT && !(allowed & ALLOW_FORMAT))) {
      return usage(ctx, cmd, "this flag does not apply here");
    }
    if (id == S_FORCE) f->force = true;
    if (id == S_QUIET) f->quiet = true;
    if (id == S_FORMAT) {
      if (strcmp(value, "json") != 0 && strcmp(value, "{{json .}}") != 0) return usage(ctx, cmd, "--format must be json");
      f->json = true;
    }
  }
  if (r < 0) return usage(ctx, cmd, e.text);
  f->first = st.index;
  return 0;
}

static int secret_create(cli_ctx *ctx, int argc, char **argv) {
  secret_flags f;
  int rc = secret_opts(ctx, "secret create", 0, argc, argv, &f);
  if (rc != 0) return rc;
  int first = f.first;
  if (argc - first != 2) return usage(ctx, "secret create", "requires exactly 2 arguments: NAME FILE|-");
  const char *name = argv[first];
  const char *file = argv[first + 1];
  wctr_errmsg e;
  size_t len = 0;
  if (ctx->p->read_file == NULL) return usage(ctx, "secret create", "files cannot be read here");
  char *value = ctx->p->read_file(ctx->p->ctx, file, &len, &e);
  if (value == NULL) {
    fprintf(ctx->p->err, "wctr secret create: %s\n", e.text);
    return CLI_EXIT_FAILED;
  }
  char *encoded = wctr_base64_encode((const uint8_t *)value, len);
  wctr_secure_zero(value, len);
  free(value);
  cJSON *params = cJSON_CreateObject();
  if (encoded == NULL || params == NULL || cJSON_AddStringToObject(params, "Name", name) == NULL ||
      cJSON_AddStringToObject(params, "Data", encoded) == NULL) {
    if (encoded != NULL) wctr_secure_zero(encoded, strlen(encoded));
    free(encoded);
    cJSON_Delete(params);
    fprintf(ctx->p->err, "wctr secret create: out of memory\n");
    return CLI_EXIT_FAILED;
  }
  wctr_secure_zero(encoded, strlen(encoded));
  free(encoded);
  cJSON *result = NULL;
  /* cli_call sends and frees params; the copy of the value inside it is cJSON's and goes with it. */
  if (!cli_call(ctx, "secret.create", params, &result, &rc)) return rc;
  fprintf(ctx->p->out, "%s\n", str(result, "ID"));
  cJSON_Delete(result);
  return 0;
}

static int secret_ls(cli_ctx *ctx, int argc, char **argv) {
  secret_flags f;
  int rc = secret_opts(ctx, "secret ls", ALLOW_QUIET | ALLOW_FORMAT, argc, argv, &f);
  if (rc != 0) return rc;
  bool quiet = f.quiet;
  bool json = f.json;
  if (f.first < argc) return usage(ctx, "secret ls", "takes no arguments");
  cJSON *list = NULL;
  if (!cli_call(ctx, "secret.list", NULL, &list, &rc)) return rc;
  const cJSON *s;
  if (json) {
    cJSON_ArrayForEach(s, list) cli_print_json(ctx->p->out, s);
  } else {
    if (!quiet) fprintf(ctx->p->out, "%-14s %-32s %-10s %s\n", "ID", "NAME", "SIZE", "CREATED");
    cJSON_ArrayForEach(s, list) {
      if (quiet) {
        fprintf(ctx->p->out, "%s\n", str(s, "ID"));
      } else {
        fprintf(ctx->p->out, "%-14.12s %-32s %-10.0f %s\n", str(s, "ID"), str(s, "Name"), num(s, "Size"),
                str(s, "CreatedAt"));
      }
    }
  }
  cJSON_Delete(list);
  return 0;
}

static int secret_each(cli_ctx *ctx, const char *cmd, const char *op, int argc, char **argv) {
  bool inspect = strcmp(op, "secret.inspect") == 0;
  secret_flags f;
  int rc = secret_opts(ctx, cmd, inspect ? ALLOW_FORMAT : ALLOW_FORCE, argc, argv, &f);
  if (rc != 0) return rc;
  bool force = f.force;
  int first = f.first;
  if (first >= argc) return usage(ctx, cmd, "requires at least 1 argument: NAME [NAME...]");
  cJSON *all = inspect ? cJSON_CreateArray() : NULL;
  for (int i = first; i < argc; i++) {
    cJSON *params = cJSON_CreateObject();
    cJSON_AddStringToObject(params, "Name", argv[i]);
    if (force) cJSON_AddBoolToObject(params, "Force", true);
    cJSON *result = NULL;
    int one = 0;
    if (!cli_call(ctx, op, params, &result, &one)) {
      rc = one;
      continue;
    }
    if (inspect) {
      cJSON_AddItemToArray(all, result);
    } else {
      fprintf(ctx->p->out, "%s\n", argv[i]);
      cJSON_Delete(result);
    }
  }
  if (inspect) {
    char *text = cJSON_Print(all);
    if (text != NULL) fprintf(ctx->p->out, "%s\n", text);
    cJSON_free(text);
    cJSON_Delete(all);
  }
  return rc;
}

int cli_cmd_secret(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return usage(ctx, "secret", "a subcommand is required: create, ls, inspect or rm");
  const char *sub = argv[1];
  if (strcmp(sub, "create") == 0) return secret_create(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) return secret_ls(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0) return secret_each(ctx, "secret inspect", "secret.inspect", argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0) {
    return secret_each(ctx, "secret rm", "secret.remove", argc - 1, argv + 1);
  }
  fprintf(ctx->p->err, "wctr secret: unknown subcommand \"%s\": use create, ls, inspect or rm\n", sub);
  return CLI_EXIT_FAILED;
}

/* --- audit --------------------------------------------------------------------------------------------- */

typedef struct audit_print {
  FILE *out;
  bool json;
} audit_print;

static void print_record(void *arg, const char *kind, const cJSON *data) {
  audit_print *ap = arg;
  if (strcmp(kind, "record") != 0) return;
  if (ap->json) {
    cli_print_json(ap->out, data);
  } else {
    const char *detail = str(data, "Detail");
    fprintf(ap->out, "%s  %-28s %-18s %-24s %-16s%s%s\n", str(data, "Time"), str(data, "CallerName"), str(data, "Op"),
            str(data, "Target"), str(data, "Result"), detail[0] != '\0' ? "  " : "", detail);
  }
  fflush(ap->out);
}

int cli_cmd_audit(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"help", 'h', false, S_HELP},
                                   {"since", 0, true, S_SINCE},
                                   {"follow", 'f', false, S_FOLLOW},
                                   {"format", 0, true, S_FORMAT},
                                   {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *value;
  int r;
  const char *since = NULL;
  bool follow = false;
  audit_print ap = {.out = ctx->p->out};
  wctr_opts_init(&st, argc, argv, 1);
  while ((r = wctr_opts_next(&st, table, &id, &value, &e)) == 1) {
    if (id == S_SINCE) since = value;
    if (id == S_FOLLOW) follow = true;
    if (id == S_FORMAT) {
      if (strcmp(value, "json") != 0 && strcmp(value, "{{json .}}") != 0) return usage(ctx, "audit", "--format must be json");
      ap.json = true;
    }
  }
  if (r < 0) return usage(ctx, "audit", e.text);
  if (st.index < argc) return usage(ctx, "audit", "takes no arguments");
  cJSON *params = cJSON_CreateObject();
  /* wctrd reads --since (a time or a duration before its own clock) and names it when it is wrong. */
  if (since != NULL) cJSON_AddStringToObject(params, "Since", since);
  if (follow) cJSON_AddBoolToObject(params, "Follow", true);
  if (!ap.json) {
    fprintf(ctx->p->out, "%-24s  %-28s %-18s %-24s %s\n", "TIME", "CALLER", "OPERATION", "TARGET", "RESULT");
  }
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_stream(ctx, "audit.read", params, print_record, &ap, &result, &rc)) return rc;
  cJSON_Delete(result);
  return 0;
}

/* --- check --------------------------------------------------------------------------------------------- */

int cli_cmd_check(cli_ctx *ctx, int argc, char **argv) {
  bool json = false;
  bool help = false;
  int parsed = cli_parse_format_opts(ctx, "check", argc, argv, &json, &help);
  if (parsed != 0 || help) return parsed;
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_call(ctx, "check", NULL, &result, &rc)) return rc;
  const cJSON *summary = cJSON_GetObjectItemCaseSensitive(result, "Summary");
  bool failed = num(summary, "Fail") > 0;
  if (json) {
    cli_print_json(ctx->p->out, result);
  } else {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(result, "Checks")) {
      fprintf(ctx->p->out, "[%s] %-26s %s\n", str(c, "Status"), str(c, "Id"), str(c, "Title"));
      fprintf(ctx->p->out, "       %s\n", str(c, "Detail"));
      if (str(c, "Remedy")[0] != '\0') fprintf(ctx->p->out, "       remedy: %s\n", str(c, "Remedy"));
    }
    fprintf(ctx->p->out, "\n%.0f passed, %.0f warnings, %.0f failed, %.0f info\n", num(summary, "Pass"),
            num(summary, "Warn"), num(summary, "Fail"), num(summary, "Info"));
  }
  cJSON_Delete(result);
  return failed ? 1 : 0;
}
