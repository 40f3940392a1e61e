/* cli/credspec_cmd.c - `wctr credentialspec ls | inspect NAME | validate FILE | add NAME FILE | rm NAME`
 * (portable). The store is wctrd's (<data-root>\credentialspecs, service/credspecs.h); `validate` needs no
 * service: it checks a file here with the same rules (gmsa/credspec.h). PluginInput is never printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "common/opts.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"

const char cli_credentialspec_usage[] =
    "Usage: wctr credentialspec COMMAND\n\n"
    "gMSA credential specs kept by wctrd in <data-root>\\credentialspecs (SYSTEM and Administrators only),\n"
    "used with --security-opt credentialspec=file://NAME or compose's credential_spec: {file: NAME}.\n\n"
    "Commands:\n"
    "  ls                    List the specs, whether each is valid, and its gMSA accounts\n"
    "  inspect NAME          Show a spec (PluginInput is shown as <redacted>)\n"
    "  validate FILE         Check a spec file here, without the service\n"
    "  add [--force] NAME FILE   Validate FILE and store it as NAME\n"
    "  rm NAME               Remove a spec\n";

enum { O_HELP = 1, O_FORCE };

static int fail_usage(cli_ctx *ctx, const char *text) {
  fprintf(ctx->p->err, "wctr credentialspec: %s\nSee 'wctr credentialspec --help'.\n", text);
  return CLI_EXIT_FAILED;
}

/* Reads FILE and validates it; on failure prints why. *text must be zeroed and freed by the caller. */
static bool read_spec(cli_ctx *ctx, const char *path, char **text, size_t *len) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  *text = ctx->p->read_file != NULL ? ctx->p->read_file(ctx->p->ctx, path, len, &e) : NULL;
  if (*text == NULL) {
    fprintf(ctx->p->err, "wctr credentialspec: %s: %s\n", path, e.text[0] != '\0' ? e.text : "cannot be read");
    return false;
  }
  gmsa_credspec *spec = NULL;
  if (gmsa_credspec_load(*text, *len, &spec, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr credentialspec: %s: %s\n", path, e.text);
    gmsa_secure_zero(*text, *len);
    free(*text);
    *text = NULL;
    return false;
  }
  gmsa_credspec_free(spec);
  return true;
}

int cli_cmd_credentialspec(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP}, {"force", 0, false, O_FORCE}, {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *v;
  int r;
  bool help = false;
  bool force = false;
  if (argc < 2) return fail_usage(ctx, "a command is required (ls, inspect, validate, add, rm)");
  const char *cmd = argv[1];
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
    fputs(cli_credentialspec_usage, ctx->p->out);
    return 0;
  }
  wctr_opts_init(&st, argc, argv, 2);
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) help = true;
    if (id == O_FORCE) force = true;
  }
  if (r < 0) return fail_usage(ctx, e.text);
  if (help) {
    fputs(cli_credentialspec_usage, ctx->p->out);
    return 0;
  }
  int nargs = argc - st.index;
  char **args = argv + st.index;
  if (force && strcmp(cmd, "add") != 0) return fail_usage(ctx, "--force is only for add");
  int rc = 0;
  cJSON *result = NULL;
  if (strcmp(cmd, "ls") == 0) {
    if (nargs != 0) return fail_usage(ctx, "\"ls\" takes no arguments");
    if (!cli_call(ctx, "credentialspec.list", NULL, &result, &rc)) return rc;
    fprintf(ctx->p->out, "%-32s %-8s %s\n", "NAME", "VALID", "ACCOUNTS");
    const cJSON *item;
    cJSON_ArrayForEach(item, result) {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "Name");
      bool valid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "Valid"));
      fprintf(ctx->p->out, "%-32s %-8s ", cJSON_IsString(name) ? name->valuestring : "?", valid ? "yes" : "no");
      if (valid) {
        const cJSON *a;
        bool first = true;
        cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(item, "Accounts")) {
          if (cJSON_IsString(a)) fprintf(ctx->p->out, "%s%s", first ? "" : ", ", a->valuestring);
          first = false;
        }
      } else {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(item, "Error");
        fprintf(ctx->p->out, "(%s)", cJSON_IsString(err) ? err->valuestring : "invalid");
      }
      fputc('\n', ctx->p->out);
    }
  } else if (strcmp(cmd, "inspect") == 0 || strcmp(cmd, "rm") == 0) {
    if (nargs != 1) return fail_usage(ctx, strcmp(cmd, "rm") == 0 ? "\"rm\" requires exactly 1 argument: NAME"
                                                                  : "\"inspect\" requires exactly 1 argument: NAME");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", args[0]);
    if (!cli_call(ctx, strcmp(cmd, "rm") == 0 ? "credentialspec.remove" : "credentialspec.inspect", p, &result, &rc)) {
      return rc;
    }
    if (strcmp(cmd, "rm") == 0) {
      fprintf(ctx->p->out, "%s\n", args[0]);
    } else {
      char *text = cJSON_Print(result);
      if (text != NULL) fprintf(ctx->p->out, "%s\n", text);
      cJSON_free(text);
    }
  } else if (strcmp(cmd, "validate") == 0) {
    if (nargs != 1) return fail_usage(ctx, "\"validate\" requires exactly 1 argument: FILE");
    char *text = NULL;
    size_t len = 0;
    if (!read_spec(ctx, args[0], &text, &len)) return CLI_EXIT_FAILED;
    gmsa_secure_zero(text, len);
    free(text);
    fprintf(ctx->p->out, "%s: a valid credential spec\n", args[0]);
  } else if (strcmp(cmd, "add") == 0) {
    if (nargs != 2) return fail_usage(ctx, "\"add\" requires exactly 2 arguments: NAME FILE");
    char *text = NULL;
    size_t len = 0;
    if (!read_spec(ctx, args[1], &text, &len)) return CLI_EXIT_FAILED;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", args[0]);
    cJSON_AddStringToObject(p, "Spec", text);
    if (force) cJSON_AddBoolToObject(p, "Force", true);
    gmsa_secure_zero(text, len);
    free(text);
    /* The request holds the spec until it is sent; the transport frees it. */
    if (!cli_call(ctx, "credentialspec.add", p, &result, &rc)) return rc;
    fprintf(ctx->p->out, "%s\n", args[0]);
  } else {
    char text[160];
    snprintf(text, sizeof text, "\"%.64s\" is not a credentialspec command (ls, inspect, validate, add, rm)", cmd);
    return fail_usage(ctx, text);
  }
  cJSON_Delete(result);
  return 0;
}
