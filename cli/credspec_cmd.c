/* cli/credspec_cmd.c - `wctr credentialspec ls | inspect NAME | validate FILE | add NAME FILE | rm NAME`
 * (portable). The store is wctrd's (<data-root>\credentialspecs, service/credspecs.h); `validate` needs no
 * service: it checks a file here with the same rules (gmsa/credspec.h). PluginInput is never printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/format.h"
#include "common/opts.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"

const char cli_credentialspec_usage[] =
    "Usage: wctr credentialspec COMMAND\n\n"
    "gMSA credential specs kept by wctrd in <data-root>\\credentialspecs (SYSTEM and Administrators only),\n"
    "used with --security-opt credentialspec=file://NAME or compose's credential_spec: {file: NAME}.\n\n"
    "Commands:\n"
    "  ls                    List the specs, whether each is valid, and its gMSA accounts\n"
    "  inspect [-f FORMAT] NAME...  Show specs (PluginInput is shown as <redacted>); FORMAT: json or a Go\n"
    "                        template\n"
    "  validate FILE         Check a spec file here, without the service\n"
    "  add [--force] NAME FILE   Validate FILE and store it as NAME\n"
    "  rm NAME               Remove a spec\n";

enum { O_FORCE = 1, O_FORMAT };

static int fail_usage(cli_ctx *ctx, const char *text) { return cli_usage_error(ctx, "credentialspec", text); }

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

typedef struct spec_opts {
  bool force;
  const char *format;
} spec_opts;

static bool spec_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  spec_opts *o = arg;
  if (id == O_FORCE) o->force = wctr_opts_flag(v);
  if (id == O_FORMAT) o->format = v;
  return true;
}

static int spec_ls(cli_ctx *ctx) {
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_call(ctx, "credentialspec.list", NULL, &result, &rc)) return rc;
  docker_buf table;
  docker_buf_init(&table, 0);
  docker_buf_adds(&table, "NAME\tVALID\tACCOUNTS\n");
  const cJSON *item;
  cJSON_ArrayForEach(item, result) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "Name");
    bool valid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "Valid"));
    docker_buf_addf(&table, "%s\t%s\t", cJSON_IsString(name) ? name->valuestring : "?", valid ? "yes" : "no");
    if (valid) {
      const cJSON *a;
      bool first = true;
      cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(item, "Accounts")) {
        if (cJSON_IsString(a)) docker_buf_addf(&table, "%s%s", first ? "" : ", ", a->valuestring);
        first = false;
      }
    } else {
      const cJSON *err = cJSON_GetObjectItemCaseSensitive(item, "Error");
      docker_buf_addf(&table, "(%s)", cJSON_IsString(err) ? err->valuestring : "invalid");
    }
    docker_buf_addc(&table, '\n');
  }
  docker_buf out;
  docker_buf_init(&out, 0);
  docker_tabwrite(table.data != NULL ? table.data : "", table.len, 10, 3, &out);
  cli_print_buf(ctx->p->out, out.data, out.len);
  docker_buf_free(&out);
  docker_buf_free(&table);
  cJSON_Delete(result);
  return 0;
}

/* inspect and rm. A spec is wctr's own object, which no Docker daemon escapes: "<redacted>" reads as it is. */
static const cli_named credspec_kind = {.key = "Name", .inspect_op = "credentialspec.inspect",
                                        .remove_op = "credentialspec.remove", .error_prefix = "wctr: ", .plain = true,
                                        .rm_style = CLI_NAMED_RM_WCTR};

int cli_cmd_credentialspec(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 0, false, O_FORCE}, {"format", 'f', true, O_FORMAT}, {NULL, 0, false, 0}};
  if (argc < 2) return fail_usage(ctx, "a command is required (ls, inspect, validate, add, rm)");
  const char *cmd = argv[1];
  spec_opts o = {0};
  int first = 0;
  char full[64];
  snprintf(full, sizeof full, "credentialspec %s", cmd);
  int rc = cli_parse_args(ctx, full, table, argc - 1, argv + 1, spec_opt, &o, &first);
  if (rc != 0) return rc;
  int nargs = argc - 1 - first;
  char **args = argv + 1 + first;
  if (o.force && strcmp(cmd, "add") != 0) return cli_flag_error(ctx, full, "--force is only for add");
  if (o.format != NULL && strcmp(cmd, "inspect") != 0) return cli_flag_error(ctx, full, "--format is only for inspect");
  cJSON *result = NULL;
  if (strcmp(cmd, "ls") == 0 || strcmp(cmd, "list") == 0) {
    if (nargs != 0) return fail_usage(ctx, "\"ls\" takes no arguments");
    return spec_ls(ctx);
  }
  if (strcmp(cmd, "inspect") == 0) {
    if (nargs < 1) return fail_usage(ctx, "\"inspect\" requires at least 1 argument: NAME [NAME...]");
    return cli_named_inspect(ctx, &credspec_kind, o.format, nargs, args);
  }
  if (strcmp(cmd, "rm") == 0 || strcmp(cmd, "remove") == 0) {
    if (nargs != 1) return fail_usage(ctx, "\"rm\" requires exactly 1 argument: NAME");
    return cli_named_remove(ctx, &credspec_kind, false, nargs, args);
  }
  if (strcmp(cmd, "validate") == 0) {
    if (nargs != 1) return fail_usage(ctx, "\"validate\" requires exactly 1 argument: FILE");
    char *text = NULL;
    size_t len = 0;
    if (!read_spec(ctx, args[0], &text, &len)) return CLI_EXIT_ERROR;
    gmsa_secure_zero(text, len);
    free(text);
    fprintf(ctx->p->out, "%s: a valid credential spec\n", args[0]);
  } else if (strcmp(cmd, "add") == 0) {
    if (nargs != 2) return fail_usage(ctx, "\"add\" requires exactly 2 arguments: NAME FILE");
    char *text = NULL;
    size_t len = 0;
    if (!read_spec(ctx, args[1], &text, &len)) return CLI_EXIT_ERROR;
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", args[0]);
    cJSON_AddStringToObject(p, "Spec", text);
    if (o.force) cJSON_AddBoolToObject(p, "Force", true);
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
