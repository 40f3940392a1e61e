/* cli/security.c - `wctr secret`, `wctr audit`, `wctr check` and the --secret flag (portable). The value of a
 * secret is read from its file or stdin, sent once in secret.create and zeroed; it is never printed. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/format.h"
#include "common/base64.h"
#include "common/opts.h"
#include "docker/docker.h"

enum { S_FORMAT = 1, S_FORCE, S_QUIET, S_SINCE, S_FOLLOW };
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


static int usage(cli_ctx *ctx, const char *cmd, const char *text) { return cli_usage_error(ctx, cmd, text); }

static const char *str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* secret inspect shows Docker's shape of a secret (docker/docker.h); rm -f is sent for wctrd to judge. */
static const cli_named secret_kind = {.key = "Name", .inspect_op = "secret.inspect", .remove_op = "secret.remove",
                                      .error_prefix = "wctr: ", .shape = docker_secret_inspect,
                                      .rm_style = CLI_NAMED_RM_WCTR};

/* Options of a secret subcommand, each allowed only where it means something: -f (rm), -q (ls), --format
 * (ls, inspect). first is the first operand's index. */
typedef struct secret_flags {
  bool force;
  bool quiet;
  const char *format;
  unsigned allowed;
  int first;
} secret_flags;
enum { ALLOW_FORCE = 1, ALLOW_QUIET = 2, ALLOW_FORMAT = 4 };

static bool secret_opt(void *arg, int id, const char *value, wctr_errmsg *e) {
  secret_flags *f = arg;
  if ((id == S_FORCE && !(f->allowed & ALLOW_FORCE)) || (id == S_QUIET && !(f->allowed & ALLOW_QUIET)) ||
      (id == S_FORMAT && !(f->allowed & ALLOW_FORMAT))) {
    wctr_fail(e, WCTR_EINVAL, "this flag does not apply here");
    return false;
  }
  if (id == S_FORCE) f->force = wctr_opts_flag(value);
  if (id == S_QUIET) f->quiet = wctr_opts_flag(value);
  if (id == S_FORMAT) f->format = value;
  return true;
}

static int secret_opts(cli_ctx *ctx, const char *cmd, unsigned allowed, int argc, char **argv, secret_flags *f) {
  static const wctr_opt with_force[] = {{"format", 0, true, S_FORMAT}, {"force", 'f', false, S_FORCE},
                                        {"quiet", 'q', false, S_QUIET}, {NULL, 0, false, 0}};
  /* secret inspect's -f is Docker's --format. */
  static const wctr_opt with_format[] = {{"format", 'f', true, S_FORMAT}, {"force", 0, false, S_FORCE},
                                         {"quiet", 'q', false, S_QUIET}, {NULL, 0, false, 0}};
  memset(f, 0, sizeof *f);
  f->allowed = allowed;
  return cli_parse_args(ctx, cmd, (allowed & ALLOW_FORCE) ? with_force : with_format, argc, argv, secret_opt, f,
                        &f->first);
}

static int secret_create(cli_ctx *ctx, int argc, char **argv) {
  secret_flags f;
  int rc = secret_opts(ctx, "secret create", 0, argc, argv, &f);
  if (rc != 0) return rc;
  int first = f.first;
  rc = cli_check_operands(ctx, "secret create", argc - first, 2, 2, "NAME FILE|-");
  if (rc != 0) return rc;
  const char *name = argv[first];
  const char *file = argv[first + 1];
  wctr_errmsg e;
  size_t len = 0;
  if (ctx->p->read_file == NULL) return usage(ctx, "secret create", "files cannot be read here");
  char *value = ctx->p->read_file(ctx->p->ctx, file, &len, &e);
  if (value == NULL) {
    fprintf(ctx->p->err, "wctr secret create: %s\n", e.text);
    return CLI_EXIT_ERROR;
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
    return CLI_EXIT_ERROR;
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

/* docker/cli's secretContext; wctr's secrets have no driver and are never updated, and add their size. */
static cJSON *secret_fields(const cJSON *s, const char *now) {
  char id[16], since[96], size[32];
  snprintf(id, sizeof id, "%.12s", str(s, "ID"));
  int64_t t = 0, now_s = 0;
  int32_t ns = 0;
  since[0] = '\0';
  if (docker_time_parse(str(s, "CreatedAt"), &t, &ns) && docker_time_parse(now, &now_s, &ns)) {
    cli_human_ago(now_s - t, since, sizeof since);
  }
  snprintf(size, sizeof size, "%.0f", num(s, "Size"));
  cJSON *f = cJSON_CreateObject();
  bool ok = f != NULL && cJSON_AddStringToObject(f, "CreatedAt", since) && cJSON_AddStringToObject(f, "Driver", "") &&
            cJSON_AddStringToObject(f, "ID", id) && cJSON_AddStringToObject(f, "Labels", "") &&
            cJSON_AddStringToObject(f, "Name", str(s, "Name")) && cJSON_AddStringToObject(f, "Size", size) &&
            cJSON_AddStringToObject(f, "UpdatedAt", since);
  if (!ok) {
    cJSON_Delete(f);
    return NULL;
  }
  return f;
}

static const char secret_headers[] =
    "{\"ID\":\"ID\",\"Name\":\"NAME\",\"Driver\":\"DRIVER\",\"CreatedAt\":\"CREATED\",\"UpdatedAt\":\"UPDATED\","
    "\"Labels\":\"LABELS\",\"Size\":\"SIZE\"}";

static const char secret_default[] = "table {{.ID}}\\t{{.Name}}\\t{{.Size}}\\t{{.CreatedAt}}";

/* What secret ls's rows need besides the secret: the time now (for CREATED, "... ago") and -q. */
typedef struct secret_row {
  char now[40];
  bool quiet;
} secret_row;

static cJSON *secret_row_fields(const cJSON *s, void *arg) {
  const secret_row *row = arg;
  cJSON *fields = secret_fields(s, row->now);
  /* -q prints whole IDs, as docker secret ls -q. */
  if (fields != NULL && row->quiet) {
    cJSON_ReplaceItemInObjectCaseSensitive(fields, "ID", cJSON_CreateString(str(s, "ID")));
  }
  return fields;
}

static int secret_ls(cli_ctx *ctx, int argc, char **argv) {
  secret_flags f;
  int rc = secret_opts(ctx, "secret ls", ALLOW_QUIET | ALLOW_FORMAT, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "secret ls", argc - f.first, 0, 0, NULL);
  if (rc != 0) return rc;
  cJSON *list = NULL;
  if (!cli_call(ctx, "secret.list", NULL, &list, &rc)) return rc;
  secret_row row = {.quiet = f.quiet};
  cli_now(ctx, row.now, sizeof row.now);
  cli_named_list l = {.format = f.quiet ? "{{.ID}}" : f.format, .default_table = secret_default,
                      .headers = secret_headers, .type_name = "*secret.secretContext", .fields = secret_row_fields,
                      .arg = &row};
  rc = cli_named_print_list(ctx, &l, list);
  cJSON_Delete(list);
  return rc;
}

static int secret_inspect(cli_ctx *ctx, int argc, char **argv) {
  secret_flags f;
  int rc = secret_opts(ctx, "secret inspect", ALLOW_FORMAT, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "secret inspect", argc - f.first, 1, -1, "NAME [NAME...]");
  if (rc != 0) return rc;
  return cli_named_inspect(ctx, &secret_kind, f.format, argc - f.first, argv + f.first);
}

static int secret_rm(cli_ctx *ctx, int argc, char **argv) {
  secret_flags f;
  int rc = secret_opts(ctx, "secret rm", ALLOW_FORCE, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "secret rm", argc - f.first, 1, -1, "NAME [NAME...]");
  if (rc != 0) return rc;
  return cli_named_remove(ctx, &secret_kind, f.force, argc - f.first, argv + f.first);
}

int cli_cmd_secret(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return usage(ctx, "secret", "a subcommand is required: create, ls, inspect or rm");
  const char *sub = argv[1];
  if (strcmp(sub, "create") == 0) return secret_create(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) return secret_ls(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0) return secret_inspect(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0) return secret_rm(ctx, argc - 1, argv + 1);
  fprintf(ctx->p->err, "wctr secret: unknown subcommand \"%s\": use create, ls, inspect or rm\n", sub);
  return CLI_EXIT_ERROR;
}

/* --- audit --------------------------------------------------------------------------------------------- */

/* Records as a table sized to its content; with -f (records arrive for as long as wctr runs) the columns
 * are fixed, since no width can be known in advance. */
typedef struct audit_print {
  FILE *out;
  bool json;
  bool follow;
  docker_buf table;
} audit_print;

static void print_record(void *arg, const char *kind, const cJSON *data) {
  audit_print *ap = arg;
  if (strcmp(kind, "record") != 0) return;
  const char *detail = str(data, "Detail");
  if (ap->json) {
    cli_print_json(ap->out, data);
  } else if (ap->follow) {
    fprintf(ap->out, "%s  %-28s %-18s %-24s %-16s%s%s\n", str(data, "Time"), str(data, "CallerName"), str(data, "Op"),
            str(data, "Target"), str(data, "Result"), detail[0] != '\0' ? "  " : "", detail);
  } else {
    docker_buf_addf(&ap->table, "%s\t%s\t%s\t%s\t%s\t%s\n", str(data, "Time"), str(data, "CallerName"), str(data, "Op"),
                 str(data, "Target"), str(data, "Result"), detail);
  }
  fflush(ap->out);
}

typedef struct audit_opts {
  const char *since;
  bool follow;
  bool json;
} audit_opts;

static bool audit_opt(void *arg, int id, const char *value, wctr_errmsg *e) {
  audit_opts *o = arg;
  if (id == S_SINCE) o->since = value;
  if (id == S_FOLLOW) o->follow = wctr_opts_flag(value);
  if (id == S_FORMAT) {
    if (strcmp(value, "json") != 0 && strcmp(value, "{{json .}}") != 0) {
      wctr_fail(e, WCTR_EINVAL, "--format must be json");
      return false;
    }
    o->json = true;
  }
  return true;
}

int cli_cmd_audit(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"since", 0, true, S_SINCE},
                                   {"follow", 'f', false, S_FOLLOW},
                                   {"format", 0, true, S_FORMAT},
                                   {NULL, 0, false, 0}};
  audit_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "audit", table, argc, argv, audit_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "audit", argc - first, 0, 0, NULL);
  if (rc != 0) return rc;
  audit_print ap = {.out = ctx->p->out, .json = o.json, .follow = o.follow};
  docker_buf_init(&ap.table, 0);
  cJSON *params = cJSON_CreateObject();
  /* wctrd reads --since (a time or a duration before its own clock) and names it when it is wrong. */
  if (o.since != NULL) cJSON_AddStringToObject(params, "Since", o.since);
  if (o.follow) cJSON_AddBoolToObject(params, "Follow", true);
  if (!ap.json && ap.follow) {
    fprintf(ctx->p->out, "%-24s  %-28s %-18s %-24s %s\n", "TIME", "CALLER", "OPERATION", "TARGET", "RESULT");
  } else if (!ap.json) {
    docker_buf_adds(&ap.table, "TIME\tCALLER\tOPERATION\tTARGET\tRESULT\tDETAIL\n");
  }
  cJSON *result = NULL;
  bool ok = cli_stream(ctx, "audit.read", params, print_record, &ap, &result, &rc);
  cJSON_Delete(result);
  if (ok && !ap.json && !ap.follow) {
    docker_buf out;
    docker_buf_init(&out, 0);
    docker_tabwrite(ap.table.data != NULL ? ap.table.data : "", ap.table.len, 10, 3, &out);
    cli_print_buf(ctx->p->out, out.data, out.len);
    docker_buf_free(&out);
  }
  docker_buf_free(&ap.table);
  return ok ? 0 : rc;
}

/* --- check --------------------------------------------------------------------------------------------- */

int cli_cmd_check(cli_ctx *ctx, int argc, char **argv) {
  const char *format = NULL;
  int rc = cli_parse_format_only(ctx, "check", argc, argv, &format);
  if (rc != 0) return rc;
  bool json = false;
  if (format != NULL) {
    if (strcmp(format, "json") != 0 && strcmp(format, "{{json .}}") != 0) {
      return cli_flag_error(ctx, "check", "--format must be json");
    }
    json = true;
  }
  cJSON *result = NULL;
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
