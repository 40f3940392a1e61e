/* cli/containers.c - wctr's container commands: run, create, start, stop, kill, rm, ps, inspect, logs,
 * wait, stats (portable). Docker's flags, output shapes and exit codes where Docker has them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/units.h"
#include "spec/spec.h"

enum {
  O_HELP = 1, O_DETACH, O_INTERACTIVE, O_TTY, O_RM, O_NAME, O_ENV, O_ENV_FILE, O_WORKDIR, O_USER, O_ISOLATION,
  O_STOP_TIMEOUT, O_VOLUME, O_HOSTNAME, O_DRY_RUN,
  O_ALL, O_QUIET, O_FILTER, O_FORMAT, O_TIME, O_FORCE, O_FOLLOW, O_TAIL, O_TIMESTAMPS, O_ATTACH, O_NO_STREAM,
  O_SECRET,
  O_LABEL, O_LABEL_FILE, O_RESTART, O_SECURITY_OPT,
  /* The resource flags: O_RESOURCE + their index in spec_resource_fields (spec/spec.h). */
  O_RESOURCE = 1000,
};

/* --- flags -> create params --------------------------------------------------------------------------- */

static wctr_err parse_int(const char *text, const char *flag, int64_t min, int64_t max, int64_t *out, wctr_errmsg *e) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (text[0] == '\0' || *end != '\0' || errno != 0 || isspace((unsigned char)text[0])) {
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for %s: not a whole number", text, flag);
  }
  if (v < min || v > max) {
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for %s: must be between %lld and %lld", text, flag,
                     (long long)min, (long long)max);
  }
  *out = v;
  return WCTR_OK;
}

/* -e NAME=VALUE is taken as is; -e NAME takes NAME from wctr's own environment, or is left out when it
 * is not set there (Docker's rule). */
static wctr_err add_env(cli_ctx *ctx, cJSON *env, const char *entry, const char *source, wctr_errmsg *e) {
  if (entry[0] == '=' || entry[0] == '\0') {
    return wctr_fail(e, WCTR_EINVAL, "invalid environment variable \"%s\" (%s): the name is empty", entry, source);
  }
  if (strchr(entry, '=') != NULL) {
    cJSON_AddItemToArray(env, cJSON_CreateString(entry));
    return WCTR_OK;
  }
  const char *value = ctx->p->getenv != NULL ? ctx->p->getenv(ctx->p->ctx, entry) : NULL;
  if (value == NULL) return WCTR_OK;
  size_t n = strlen(entry) + strlen(value) + 2;
  char *kv = malloc(n);
  if (kv == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  snprintf(kv, n, "%s=%s", entry, value);
  cJSON_AddItemToArray(env, cJSON_CreateString(kv));
  free(kv);
  return WCTR_OK;
}

/* --env-file: one KEY=VALUE (or KEY) per line; blank lines and lines starting with # are skipped. */
static wctr_err add_env_file(cli_ctx *ctx, cJSON *env, const char *path, wctr_errmsg *e) {
  if (ctx->p->read_file == NULL) return wctr_fail(e, WCTR_ENOTSUP, "--env-file: files cannot be read here");
  size_t len = 0;
  char *text = ctx->p->read_file(ctx->p->ctx, path, &len, e);
  if (text == NULL) return WCTR_EINVAL;
  wctr_err err = WCTR_OK;
  int line_no = 0;
  for (char *line = text, *next = NULL; line != NULL && err == WCTR_OK; line = next) {
    next = strchr(line, '\n');
    if (next != NULL) *next++ = '\0';
    line_no++;
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
    while (*line == ' ' || *line == '\t') line++;
    if (*line == '\0' || *line == '#') continue;
    char source[1100];
    snprintf(source, sizeof source, "--env-file %s line %d", path, line_no);
    err = add_env(ctx, env, line, source, e);
  }
  free(text);
  return err;
}

/* -l KEY=VALUE (or KEY, value ""), as Docker's --label. */
static wctr_err add_label(cJSON *p, const char *v, wctr_errmsg *e) {
  cJSON *labels = cJSON_GetObjectItemCaseSensitive(p, "Labels");
  if (labels == NULL) labels = cJSON_AddObjectToObject(p, "Labels");
  const char *eq = strchr(v, '=');
  size_t n = eq != NULL ? (size_t)(eq - v) : strlen(v);
  if (n == 0) return wctr_fail(e, WCTR_EINVAL, "invalid label \"%s\": the key is empty", v);
  char *key = malloc(n + 1);
  if (key == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  memcpy(key, v, n);
  key[n] = '\0';
  cJSON_DeleteItemFromObjectCaseSensitive(labels, key); /* a later --label for the same key wins */
  cJSON_AddStringToObject(labels, key, eq != NULL ? eq + 1 : "");
  free(key);
  return WCTR_OK;
}

/* --label-file: one KEY=VALUE (or KEY) per line, as Docker's; blank lines and lines starting with # are
 * skipped. */
static wctr_err add_label_file(cli_ctx *ctx, cJSON *p, const char *path, wctr_errmsg *e) {
  if (ctx->p->read_file == NULL) return wctr_fail(e, WCTR_ENOTSUP, "--label-file: files cannot be read here");
  size_t len = 0;
  char *text = ctx->p->read_file(ctx->p->ctx, path, &len, e);
  if (text == NULL) return WCTR_EINVAL;
  wctr_err err = WCTR_OK;
  int line_no = 0;
  for (char *line = text, *next = NULL; line != NULL && err == WCTR_OK; line = next) {
    next = strchr(line, '\n');
    if (next != NULL) *next++ = '\0';
    line_no++;
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r') line[--n] = '\0';
    while (*line == ' ' || *line == '\t') line++;
    if (*line == '\0' || *line == '#') continue;
    err = add_label(p, line, e);
    if (err != WCTR_OK) {
      char first[400];
      snprintf(first, sizeof first, "%s", e->text);
      wctr_fail(e, err, "--label-file %s line %d: %s", path, line_no, first);
    }
  }
  free(text);
  return err;
}

/* --- resource flags: one per entry of spec_resource_fields ------------------------------------------------ */

/* docker run's one-letter aliases of two resource flags. */
static char resource_alias(const spec_resource_field *f) {
  static const struct {
    const char *flag;
    char alias;
  } aliases[] = {{"--memory", 'm'}, {"--cpu-shares", 'c'}};
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    if (strcmp(aliases[i].flag, f->flag) == 0) return aliases[i].alias;
  }
  return 0;
}

/* Copies the NULL-terminated fixed options into table, then one option per resource field, then the end
 * marker. size must hold them all (checked: a resource flag never goes missing silently). */
static void options_with_resources(const wctr_opt *fixed, wctr_opt *table, size_t size) {
  size_t n = 0;
  for (; fixed[n].long_name != NULL && n + 1 < size; n++) table[n] = fixed[n];
  for (size_t i = 0; i < spec_resource_field_count && n + 1 < size; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    table[n++] = (wctr_opt){f->flag + 2, resource_alias(f), true, O_RESOURCE + (int)i};
  }
  table[n] = (wctr_opt){NULL, 0, false, 0};
}

/* The value of a resource flag in the unit the wire takes; whole numbers between min and max. */
static wctr_err resource_value(const spec_resource_field *f, const char *v, int64_t min, int64_t max, int64_t *out,
                               wctr_errmsg *e) {
  switch (f->unit) {
    case SPEC_UNIT_BYTES: return wctr_parse_size(v, f->flag, out, e);
    case SPEC_UNIT_NANO_CPUS: return wctr_parse_cpus(v, out, e);
    case SPEC_UNIT_COUNT: break;
  }
  return parse_int(v, f->flag, min, max, out, e);
}

/* --restart no|always|unless-stopped|on-failure[:N] (Docker's syntax, spec_restart_parse), as the
 * RestartPolicy wctrd takes; a later --restart replaces an earlier one. */
static wctr_err add_restart(cJSON *hc, const char *v, wctr_errmsg *e) {
  spec_restart r;
  wctr_err err = spec_restart_parse(v, &r, e);
  if (err != WCTR_OK) return err;
  cJSON_DeleteItemFromObjectCaseSensitive(hc, "RestartPolicy");
  cJSON *rp = cJSON_AddObjectToObject(hc, "RestartPolicy");
  cJSON_AddStringToObject(rp, "Name", spec_restart_name_text(r.name));
  if (strchr(v, ':') != NULL) cJSON_AddNumberToObject(rp, "MaximumRetryCount", (double)r.max_retries);
  return WCTR_OK;
}

/* --isolation=job was given: the command can be checked here (wctrd checks it for every isolation). */
static bool job_isolation_asked(const cJSON *hc) {
  const cJSON *iso = cJSON_GetObjectItemCaseSensitive(hc, "Isolation");
  wctr_isolation asked = WCTR_ISOLATION_DEFAULT;
  return cJSON_IsString(iso) && spec_isolation_parse(iso->valuestring, &asked, NULL) == WCTR_OK &&
         asked == WCTR_ISOLATION_JOB;
}

wctr_err cli_run_params(cli_ctx *ctx, int argc, char **argv, cJSON **params, cli_run_flags *flags, wctr_errmsg *e) {
  static const wctr_opt fixed[] = {
      {"help", 0, false, O_HELP},           {"detach", 'd', false, O_DETACH},
      {"interactive", 'i', false, O_INTERACTIVE}, {"tty", 't', false, O_TTY},
      {"rm", 0, false, O_RM},               {"name", 0, true, O_NAME},
      {"env", 'e', true, O_ENV},            {"env-file", 0, true, O_ENV_FILE},
      {"workdir", 'w', true, O_WORKDIR},    {"user", 'u', true, O_USER},
      {"isolation", 0, true, O_ISOLATION},  {"stop-timeout", 0, true, O_STOP_TIMEOUT},
      {"secret", 0, true, O_SECRET},
      {"label", 'l', true, O_LABEL},        {"label-file", 0, true, O_LABEL_FILE},
      {"restart", 0, true, O_RESTART},
      {"security-opt", 0, true, O_SECURITY_OPT},
      {"volume", 'v', true, O_VOLUME},      {"hostname", 0, true, O_HOSTNAME},
      {"dry-run", 0, false, O_DRY_RUN},
      {NULL, 0, false, 0},
  };
  wctr_opt table[sizeof fixed / sizeof fixed[0] + 16];
  options_with_resources(fixed, table, sizeof table / sizeof table[0]);
  memset(flags, 0, sizeof *flags);
  *params = NULL;
  cJSON *p = cJSON_CreateObject();
  cJSON *hc = cJSON_AddObjectToObject(p, "HostConfig");
  cJSON *env = cJSON_AddArrayToObject(p, "Env");
  cJSON *binds = NULL;
  if (p == NULL || hc == NULL || env == NULL) {
    cJSON_Delete(p);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  int id;
  const char *v;
  int r;
  wctr_err err = WCTR_OK;
  int64_t n = 0;
  while (err == WCTR_OK && (r = wctr_opts_next(&st, table, &id, &v, e)) == 1) {
    switch (id) {
      case O_HELP: flags->help = true; break;
      case O_DETACH: flags->detach = true; break;
      case O_INTERACTIVE:
        flags->interactive = true;
        cJSON_AddBoolToObject(p, "OpenStdin", true);
        break;
      case O_TTY: cJSON_AddBoolToObject(p, "Tty", true); break;
      case O_RM: cJSON_AddBoolToObject(hc, "AutoRemove", true); break;
      case O_NAME: cJSON_AddStringToObject(p, "Name", v); break;
      case O_ENV: err = add_env(ctx, env, v, "-e", e); break;
      case O_ENV_FILE: err = add_env_file(ctx, env, v, e); break;
      case O_WORKDIR: cJSON_AddStringToObject(p, "WorkingDir", v); break;
      case O_USER: cJSON_AddStringToObject(p, "User", v); break;
      case O_ISOLATION: cJSON_AddStringToObject(hc, "Isolation", v); break;
      case O_STOP_TIMEOUT:
        err = parse_int(v, "--stop-timeout", 0, 3600, &n, e);
        if (err == WCTR_OK) cJSON_AddNumberToObject(p, "StopTimeout", (double)n);
        break;
      case O_SECRET: {
        cJSON *ref = NULL;
        err = cli_secret_flag_parse(v, &ref, e);
        cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "Secrets");
        if (err == WCTR_OK && list == NULL) list = cJSON_AddArrayToObject(p, "Secrets");
        if (err == WCTR_OK) cJSON_AddItemToArray(list, ref);
        break;
      }
      case O_LABEL: err = add_label(p, v, e); break;
      case O_LABEL_FILE: err = add_label_file(ctx, p, v, e); break;
      case O_RESTART: err = add_restart(hc, v, e); break;
      case O_SECURITY_OPT: {
        cJSON *so = cJSON_GetObjectItemCaseSensitive(hc, "SecurityOpt");
        if (so == NULL) so = cJSON_AddArrayToObject(hc, "SecurityOpt");
        cJSON_AddItemToArray(so, cJSON_CreateString(v));
        break;
      }
      case O_VOLUME:
        if (binds == NULL) binds = cJSON_AddArrayToObject(hc, "Binds");
        cJSON_AddItemToArray(binds, cJSON_CreateString(v));
        break;
      case O_HOSTNAME: cJSON_AddStringToObject(p, "Hostname", v); break;
      case O_DRY_RUN:
        flags->dry_run = true;
        cJSON_AddBoolToObject(p, "DryRun", true);
        break;
      default:
        if (id >= O_RESOURCE && (size_t)(id - O_RESOURCE) < spec_resource_field_count) {
          const spec_resource_field *f = &spec_resource_fields[id - O_RESOURCE];
          err = resource_value(f, v, f->flag_min, f->flag_max, &n, e);
          if (err == WCTR_OK) cJSON_AddNumberToObject(hc, f->wire, (double)n);
        }
        break;
    }
  }
  if (err == WCTR_OK && r < 0) err = WCTR_EINVAL;
  if (err == WCTR_OK && !flags->help) {
    if (flags->interactive && flags->detach) {
      err = wctr_fail(e, WCTR_EINVAL, "-i and -d cannot be used together: nothing would read the input");
    } else if (st.index >= argc) {
      err = wctr_fail(e, WCTR_EINVAL, "\"%s\" requires at least 1 argument: %s [OPTIONS] IMAGE COMMAND [ARG...]",
                      argv[0], argv[0]);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "Tty")) && job_isolation_asked(hc)) {
      err = wctr_fail(e, WCTR_EINVAL, "-t/--tty: job containers have no console to allocate yet; leave -t out");
    } else if (st.index + 1 >= argc && job_isolation_asked(hc)) {
      err = wctr_fail(e, WCTR_EINVAL,
                      "a command is required: job containers have no image default (%s [OPTIONS] IMAGE COMMAND [ARG...])",
                      argv[0]);
    } else if (flags->dry_run && (flags->detach || flags->interactive)) {
      err = wctr_fail(e, WCTR_EINVAL, "--dry-run only prints the HCS documents: leave out -d and -i");
    }
  }
  if (err != WCTR_OK || flags->help) {
    cJSON_Delete(p);
    return err;
  }
  cJSON_AddStringToObject(p, "Image", argv[st.index]);
  /* Without a command, the image's default applies (HCS isolations; wctrd refuses it for job containers). */
  if (st.index + 1 < argc) {
    cJSON *cmd = cJSON_AddArrayToObject(p, "Cmd");
    for (int i = st.index + 1; i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
  }
  *params = p;
  return WCTR_OK;
}

/* --- shared pieces ------------------------------------------------------------------------------------ */

static int usage_error(cli_ctx *ctx, const char *cmd, const char *text) {
  fprintf(ctx->p->err, "wctr %s: %s\nSee 'wctr %s --help'.\n", cmd, text, cmd);
  return CLI_EXIT_FAILED;
}

static cJSON *ref_params(const char *ref) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Id", ref);
  return p;
}

static void print_warnings(cli_ctx *ctx, const cJSON *result) {
  const cJSON *w;
  cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(result, "Warnings")) {
    if (cJSON_IsString(w)) fprintf(ctx->p->err, "WARNING: %s\n", w->valuestring);
  }
}

/* A container's output, byte for byte (text, or bytes that came as data64). */
static void write_frame(void *arg, const char *kind, const cJSON *data) {
  cli_ctx *ctx = arg;
  FILE *f = strcmp(kind, "stderr") == 0 ? ctx->p->err : ctx->p->out;
  const cJSON *time = cJSON_GetObjectItemCaseSensitive(data, "time");
  char *bytes = NULL;
  size_t len = 0;
  if (!cli_frame_bytes(data, &bytes, &len)) return;
  if (cJSON_IsString(time)) fprintf(f, "%s ", time->valuestring);
  cli_write_output(ctx, f, bytes, len);
  free(bytes);
}

/* Creates a container from run/create flags; prints warnings. Returns the id (malloc'ed) or NULL. */
static char *create_container(cli_ctx *ctx, const char *cmd, int argc, char **argv, cli_run_flags *flags, int *rc) {
  wctr_errmsg e;
  cJSON *params = NULL;
  if (cli_run_params(ctx, argc, argv, &params, flags, &e) != WCTR_OK) {
    *rc = usage_error(ctx, cmd, e.text);
    return NULL;
  }
  if (flags->help) return NULL;
  cJSON *result = NULL;
  if (!cli_call(ctx, "container.create", params, &result, rc)) return NULL;
  print_warnings(ctx, result);
  if (flags->dry_run) {
    /* One JSON object per line, in the order wctrd would make the calls. */
    const cJSON *call;
    cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(result, "Calls")) {
      char *line = cJSON_PrintUnformatted(call);
      if (line != NULL) fprintf(ctx->p->out, "%s\n", line);
      free(line);
    }
    cJSON_Delete(result);
    *rc = 0;
    return NULL;
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(result, "Id");
  char *copy = cJSON_IsString(id) ? strdup(id->valuestring) : NULL;
  cJSON_Delete(result);
  if (copy == NULL) *rc = CLI_EXIT_FAILED;
  return copy;
}

/* Docker's exit codes when the command itself cannot run: 127 not found, 126 cannot be invoked. */
static int start_failure_code(const char *message) {
  /* HCS failures name their call; only a failed HcsCreateProcess is about the command itself. */
  if (strncmp(message, "Hcs", 3) == 0 && strncmp(message, "HcsCreateProcess", 16) != 0) return CLI_EXIT_FAILED;
  if (strstr(message, "not found") != NULL || strstr(message, "cannot find") != NULL) return 127;
  if (strstr(message, "denied") != NULL || strstr(message, "not a valid application") != NULL) return 126;
  return CLI_EXIT_FAILED;
}

/* Runs the container attached: its output here, its exit code as ours. */
static int run_attached(cli_ctx *ctx, const char *id, bool interactive, bool *started) {
  cJSON *result = NULL;
  int rc = 0;
  wctr_errmsg e;
  if (started != NULL) *started = true;
  if (!cli_stream_ex(ctx, "container.run", ref_params(id), interactive, write_frame, ctx, &result, &rc, &e)) {
    if (started != NULL) *started = false;
    return rc == CLI_EXIT_FAILED && e.text[0] != '\0' ? start_failure_code(e.text) : rc;
  }
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "ExitCode");
  rc = cJSON_IsNumber(code) ? (int)code->valuedouble : CLI_EXIT_FAILED;
  cJSON_Delete(result);
  return rc;
}

/* `run` created the container for this start only: when the start fails nothing is left (Docker keeps a
 * container in "created" that nobody asked for). A start failure leaves the record unchanged, so the
 * container is still "created" here and a plain remove takes it. */
static void remove_failed(cli_ctx *ctx, const char *id) {
  cJSON *inspect = NULL;
  cJSON *result = NULL;
  wctr_errmsg e;
  bool never_ran = false;
  /* --rm containers are gone already: wctrd removes them when their start fails. */
  if (cli_call_quiet(ctx, "container.inspect", ref_params(id), &inspect, &e) == WCTR_OK) {
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(inspect, "State"), "Status");
    never_ran = cJSON_IsString(state) && strcmp(state->valuestring, "created") == 0;
  }
  cJSON_Delete(inspect);
  if (never_ran) cli_call_quiet(ctx, "container.remove", ref_params(id), &result, &e);
  cJSON_Delete(result);
}

int cli_cmd_run(cli_ctx *ctx, int argc, char **argv) {
  cli_run_flags flags;
  int rc = 0;
  char *id = create_container(ctx, "run", argc, argv, &flags, &rc);
  if (id == NULL) return rc;
  if (flags.detach) {
    cJSON *result = NULL;
    cJSON *p = ref_params(id);
    if (cli_call(ctx, "container.start", p, &result, &rc)) {
      fprintf(ctx->p->out, "%s\n", id);
    } else {
      remove_failed(ctx, id);
    }
    cJSON_Delete(result);
  } else {
    bool started = false;
    rc = run_attached(ctx, id, flags.interactive, &started);
    if (!started) remove_failed(ctx, id);
  }
  free(id);
  return rc;
}

int cli_cmd_create(cli_ctx *ctx, int argc, char **argv) {
  cli_run_flags flags;
  int rc = 0;
  char *id = create_container(ctx, "create", argc, argv, &flags, &rc);
  if (id == NULL) return rc;
  fprintf(ctx->p->out, "%s\n", id);
  free(id);
  return 0;
}

/* Commands of the form `wctr CMD [OPTIONS] CONTAINER [CONTAINER...]`. */
static int parse_refs(cli_ctx *ctx, const char *cmd, const wctr_opt *table, int argc, char **argv,
                      void (*on_opt)(void *arg, int id, const char *value), void *arg, int *first) {
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *v;
  int r;
  wctr_opts_init(&st, argc, argv, 1);
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) on_opt(arg, id, v);
  if (r < 0) return usage_error(ctx, cmd, e.text);
  if (st.index >= argc) {
    char text[128];
    snprintf(text, sizeof text, "\"%s\" requires at least 1 argument", cmd);
    return usage_error(ctx, cmd, text);
  }
  *first = st.index;
  return 0;
}

typedef struct simple_opts {
  int64_t time;
  bool force;
  bool attach;
  const char *error;
  char error_buf[200];
} simple_opts;

static void simple_opt(void *arg, int id, const char *value) {
  simple_opts *o = arg;
  wctr_errmsg e;
  if (id == O_TIME && parse_int(value, "--time", 0, 3600, &o->time, &e) != WCTR_OK) {
    snprintf(o->error_buf, sizeof o->error_buf, "%s", e.text);
    o->error = o->error_buf;
  }
  if (id == O_FORCE) o->force = true;
  if (id == O_ATTACH) o->attach = true;
}

/* Runs op for each container named; prints each name as Docker does. Exit 0 only when all succeed. */
static int for_each_ref(cli_ctx *ctx, const char *cmd, const wctr_opt *table, int argc, char **argv, const char *op) {
  simple_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, cmd, table, argc, argv, simple_opt, &o, &first);
  if (rc != 0) return rc;
  if (o.error != NULL) return usage_error(ctx, cmd, o.error);
  int status = 0;
  for (int i = first; i < argc; i++) {
    if (o.attach && i == first && argc - first > 1) return usage_error(ctx, cmd, "you cannot start and attach multiple containers at once");
    if (o.attach) return run_attached(ctx, argv[i], false, NULL);
    cJSON *p = ref_params(argv[i]);
    if (o.time >= 0) cJSON_AddNumberToObject(p, "Timeout", (double)o.time);
    if (o.force) cJSON_AddBoolToObject(p, "Force", true);
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, op, p, &result, &one)) {
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      status = one;
    }
    cJSON_Delete(result);
  }
  return status;
}

int cli_cmd_start(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"attach", 'a', false, O_ATTACH}, {NULL, 0, false, 0}};
  return for_each_ref(ctx, "start", table, argc, argv, "container.start");
}

int cli_cmd_stop(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"time", 't', true, O_TIME}, {NULL, 0, false, 0}};
  return for_each_ref(ctx, "stop", table, argc, argv, "container.stop");
}

int cli_cmd_kill(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  return for_each_ref(ctx, "kill", table, argc, argv, "container.kill");
}

int cli_cmd_rm(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 'f', false, O_FORCE}, {NULL, 0, false, 0}};
  return for_each_ref(ctx, "rm", table, argc, argv, "container.remove");
}

/* --- ps ---------------------------------------------------------------------------------------------- */

int64_t cli_seconds_between(const char *a, const char *b) {
  int y1, mo1, d1, h1, mi1, s1, y2, mo2, d2, h2, mi2, s2;
  if (a == NULL || b == NULL || sscanf(a, "%4d-%2d-%2dT%2d:%2d:%2d", &y1, &mo1, &d1, &h1, &mi1, &s1) != 6 ||
      sscanf(b, "%4d-%2d-%2dT%2d:%2d:%2d", &y2, &mo2, &d2, &h2, &mi2, &s2) != 6) {
    return 0;
  }
  /* Days from a civil date (Howard Hinnant's algorithm), so no time zone or libc is involved. */
  int64_t days[2];
  int ys[2] = {y1, y2}, ms[2] = {mo1, mo2}, ds[2] = {d1, d2};
  for (int i = 0; i < 2; i++) {
    int64_t y = ys[i] - (ms[i] <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (ms[i] + (ms[i] > 2 ? -3 : 9)) + 2) / 5 + ds[i] - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days[i] = era * 146097 + doe - 719468;
  }
  int64_t ta = days[0] * 86400 + h1 * 3600 + mi1 * 60 + s1;
  int64_t tb = days[1] * 86400 + h2 * 3600 + mi2 * 60 + s2;
  return tb - ta;
}

/* Docker's go-units HumanDuration. */
static void human_duration(int64_t s, char *out, size_t size) {
  if (s < 1) {
    snprintf(out, size, "Less than a second");
  } else if (s == 1) {
    snprintf(out, size, "1 second");
  } else if (s < 60) {
    snprintf(out, size, "%lld seconds", (long long)s);
  } else if (s / 60 == 1) {
    snprintf(out, size, "About a minute");
  } else if (s < 3600) {
    snprintf(out, size, "%lld minutes", (long long)(s / 60));
  } else if (s / 3600 == 1) {
    snprintf(out, size, "About an hour");
  } else if (s < 48 * 3600) {
    snprintf(out, size, "%lld hours", (long long)(s / 3600));
  } else if (s < 7 * 24 * 3600 * 2) {
    snprintf(out, size, "%lld days", (long long)(s / 86400));
  } else if (s < 30 * 24 * 3600 * 3) {
    snprintf(out, size, "%lld weeks", (long long)(s / (7 * 86400)));
  } else if (s < 365 * 24 * 3600 * 2) {
    snprintf(out, size, "%lld months", (long long)(s / (30 * 86400)));
  } else {
    snprintf(out, size, "%lld years", (long long)(s / (365 * 86400)));
  }
}

static const char *field(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

void cli_status_text(const cJSON *summary, const char *now, char *out, size_t size) {
  const char *state = field(summary, "State");
  char span[64];
  if (strcmp(state, "running") == 0) {
    human_duration(cli_seconds_between(field(summary, "StartedAt"), now), span, sizeof span);
    snprintf(out, size, "Up %s", span);
  } else if (strcmp(state, "exited") == 0) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(summary, "ExitCode");
    human_duration(cli_seconds_between(field(summary, "FinishedAt"), now), span, sizeof span);
    snprintf(out, size, "Exited (%lld) %s ago", cJSON_IsNumber(code) ? (long long)code->valuedouble : -1LL, span);
  } else if (strcmp(state, "created") == 0) {
    snprintf(out, size, "Created");
  } else {
    snprintf(out, size, "%s", state);
  }
}

typedef struct ps_opts {
  bool all;
  bool quiet;
  const char *format;
  const char *status[8];
  int status_count;
  const char *label[8];
  int label_count;
  const char *error;
} ps_opts;

/* Expands {{.ID}} {{.Names}} {{.Status}} {{.Image}} {{.Command}} {{.State}} {{.CreatedAt}} and \t. */
static void print_template(FILE *f, const char *tpl, const cJSON *s, const char *status) {
  static const struct {
    const char *token;
    const char *key;
  } map[] = {{"{{.Names}}", "Name"}, {"{{.Image}}", "Image"}, {"{{.Command}}", "Command"},
             {"{{.State}}", "State"}, {"{{.CreatedAt}}", "Created"}};
  for (const char *p = tpl; *p != '\0';) {
    if (strncmp(p, "\\t", 2) == 0) {
      fputc('\t', f);
      p += 2;
      continue;
    }
    if (strncmp(p, "{{.ID}}", 7) == 0) {
      fprintf(f, "%.12s", field(s, "Id"));
      p += 7;
      continue;
    }
    if (strncmp(p, "{{.Status}}", 11) == 0) {
      fputs(status, f);
      p += 11;
      continue;
    }
    bool done = false;
    for (size_t i = 0; i < sizeof map / sizeof map[0] && !done; i++) {
      size_t n = strlen(map[i].token);
      if (strncmp(p, map[i].token, n) == 0) {
        fputs(field(s, map[i].key), f);
        p += n;
        done = true;
      }
    }
    if (!done) fputc(*p++, f);
  }
  fputc('\n', f);
}

int cli_cmd_ps(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"all", 'a', false, O_ALL}, {"quiet", 'q', false, O_QUIET},
                                   {"filter", 'f', true, O_FILTER}, {"format", 0, true, O_FORMAT},
                                   {NULL, 0, false, 0}};
  ps_opts o = {0};
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *v;
  int r;
  wctr_opts_init(&st, argc, argv, 1);
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_ALL) o.all = true;
    if (id == O_QUIET) o.quiet = true;
    if (id == O_FORMAT) o.format = v;
    if (id == O_FILTER && strncmp(v, "label=", 6) == 0) {
      if (v[6] == '\0' || v[6] == '=') return usage_error(ctx, "ps", "--filter label=KEY or label=KEY=VALUE: the key is empty");
      if (o.label_count < 8) o.label[o.label_count++] = v + 6;
      continue;
    }
    if (id == O_FILTER) {
      if (strncmp(v, "status=", 7) != 0) {
        return usage_error(ctx, "ps", "only --filter status=created|running|exited and label=KEY[=VALUE] are supported");
      }
      const char *want = v + 7;
      if (strcmp(want, "created") != 0 && strcmp(want, "running") != 0 && strcmp(want, "exited") != 0) {
        return usage_error(ctx, "ps", "invalid filter 'status': use created, running or exited");
      }
      if (o.status_count < 8) o.status[o.status_count++] = want;
      o.all = true; /* Docker: a status filter looks at every container */
    }
  }
  if (r < 0) return usage_error(ctx, "ps", e.text);
  if (st.index < argc) return usage_error(ctx, "ps", "takes no arguments");
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", o.all);
  if (o.label_count > 0) {
    cJSON *labels = cJSON_AddArrayToObject(cJSON_AddObjectToObject(p, "Filters"), "label");
    for (int i = 0; i < o.label_count; i++) cJSON_AddItemToArray(labels, cJSON_CreateString(o.label[i]));
  }
  cJSON *list = NULL;
  int rc = 0;
  if (!cli_call(ctx, "container.list", p, &list, &rc)) return rc;
  char now[40] = "";
  if (ctx->p->now != NULL) ctx->p->now(ctx->p->ctx, now, sizeof now);
  bool json = o.format != NULL && (strcmp(o.format, "json") == 0 || strcmp(o.format, "{{json .}}") == 0);
  FILE *f = ctx->p->out;
  if (!o.quiet && o.format == NULL) {
    fprintf(f, "%-14s %-20s %-24s %-16s %-28s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES");
  }
  const cJSON *s;
  cJSON_ArrayForEach(s, list) {
    bool keep = o.status_count == 0;
    for (int i = 0; i < o.status_count && !keep; i++) keep = strcmp(field(s, "State"), o.status[i]) == 0;
    if (!keep) continue;
    char status[96];
    cli_status_text(s, now, status, sizeof status);
    if (o.quiet) {
      fprintf(f, "%.12s\n", field(s, "Id"));
    } else if (json) {
      cli_print_json(f, s);
    } else if (o.format != NULL) {
      print_template(f, o.format, s, status);
    } else {
      char created[64];
      char command[26];
      human_duration(cli_seconds_between(field(s, "Created"), now), created, sizeof created);
      strncat(created, " ago", sizeof created - strlen(created) - 1);
      snprintf(command, sizeof command, "\"%.21s%s\"", field(s, "Command"), strlen(field(s, "Command")) > 21 ? "…" : "");
      fprintf(f, "%-14.12s %-20.20s %-24s %-16s %-28s %s\n", field(s, "Id"), field(s, "Image"), command, created,
              status, field(s, "Name"));
    }
  }
  cJSON_Delete(list);
  return 0;
}

/* --- inspect, logs, wait, stats ------------------------------------------------------------------------ */

int cli_cmd_inspect(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  simple_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "inspect", table, argc, argv, simple_opt, &o, &first);
  if (rc != 0) return rc;
  cJSON *all = cJSON_CreateArray();
  int status = 0;
  for (int i = first; i < argc; i++) {
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, "container.inspect", ref_params(argv[i]), &result, &one)) {
      cJSON_AddItemToArray(all, result);
    } else {
      status = one;
    }
  }
  char *text = cJSON_Print(all);
  if (text != NULL) fprintf(ctx->p->out, "%s\n", text);
  cJSON_free(text);
  cJSON_Delete(all);
  return status;
}

typedef struct logs_opts {
  bool follow;
  bool timestamps;
  int64_t tail;
  const char *error;
  char error_buf[200];
} logs_opts;

static void logs_opt(void *arg, int id, const char *value) {
  logs_opts *o = arg;
  wctr_errmsg e;
  if (id == O_FOLLOW) o->follow = true;
  if (id == O_TIMESTAMPS) o->timestamps = true;
  if (id == O_TAIL) {
    if (strcmp(value, "all") == 0) {
      o->tail = -1;
    } else if (parse_int(value, "--tail", 0, INT32_MAX, &o->tail, &e) != WCTR_OK) {
      snprintf(o->error_buf, sizeof o->error_buf, "%s", e.text);
      o->error = o->error_buf;
    }
  }
}

int cli_cmd_logs(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"follow", 'f', false, O_FOLLOW}, {"timestamps", 't', false, O_TIMESTAMPS},
                                   {"tail", 'n', true, O_TAIL}, {NULL, 0, false, 0}};
  logs_opts o = {.tail = -1};
  int first = 0;
  int rc = parse_refs(ctx, "logs", table, argc, argv, logs_opt, &o, &first);
  if (rc != 0) return rc;
  if (o.error != NULL) return usage_error(ctx, "logs", o.error);
  if (argc - first != 1) return usage_error(ctx, "logs", "\"logs\" requires exactly 1 argument");
  cJSON *p = ref_params(argv[first]);
  cJSON_AddNumberToObject(p, "Tail", (double)o.tail);
  cJSON_AddBoolToObject(p, "Follow", o.follow);
  cJSON_AddBoolToObject(p, "Timestamps", o.timestamps);
  cJSON *result = NULL;
  if (!cli_stream(ctx, "container.logs", p, write_frame, ctx, &result, &rc)) return rc;
  cJSON_Delete(result);
  return 0;
}

int cli_cmd_wait(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  simple_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "wait", table, argc, argv, simple_opt, &o, &first);
  if (rc != 0) return rc;
  int status = 0;
  for (int i = first; i < argc; i++) {
    cJSON *result = NULL;
    int one = 0;
    if (cli_stream(ctx, "container.wait", ref_params(argv[i]), NULL, NULL, &result, &one)) {
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "StatusCode");
      fprintf(ctx->p->out, "%lld\n", cJSON_IsNumber(code) ? (long long)code->valuedouble : -1LL);
    } else {
      status = one;
    }
    cJSON_Delete(result);
  }
  return status;
}

int cli_cmd_stats(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"no-stream", 0, false, O_NO_STREAM}, {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *v;
  int r;
  bool no_stream = false;
  wctr_opts_init(&st, argc, argv, 1);
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) no_stream = true;
  if (r < 0) return usage_error(ctx, "stats", e.text);
  if (!no_stream) return usage_error(ctx, "stats", "only --no-stream is available in this wctr");
  int rc = 0;
  cJSON *refs = cJSON_CreateArray();
  if (st.index < argc) {
    for (int i = st.index; i < argc; i++) cJSON_AddItemToArray(refs, cJSON_CreateString(argv[i]));
  } else {
    cJSON *list = NULL;
    if (!cli_call(ctx, "container.list", NULL, &list, &rc)) {
      cJSON_Delete(refs);
      return rc;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, list) cJSON_AddItemToArray(refs, cJSON_CreateString(field(s, "Id")));
    cJSON_Delete(list);
  }
  FILE *f = ctx->p->out;
  fprintf(f, "%-14s %-20s %-8s %-22s %-8s %-20s %s\n", "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
          "BLOCK I/O", "PIDS");
  const cJSON *ref;
  int status = 0;
  cJSON_ArrayForEach(ref, refs) {
    cJSON *s = NULL;
    int one = 0;
    if (!cli_call(ctx, "container.stats", ref_params(ref->valuestring), &s, &one)) {
      status = one;
      continue;
    }
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(s, "CPUPercent");
    const cJSON *use = cJSON_GetObjectItemCaseSensitive(s, "MemoryUsage");
    const cJSON *peak = cJSON_GetObjectItemCaseSensitive(s, "MemoryPeak");
    const cJSON *lim = cJSON_GetObjectItemCaseSensitive(s, "MemoryLimit");
    const cJSON *rd = cJSON_GetObjectItemCaseSensitive(s, "ReadBytes");
    const cJSON *wr = cJSON_GetObjectItemCaseSensitive(s, "WriteBytes");
    const cJSON *pids = cJSON_GetObjectItemCaseSensitive(s, "Processes");
    int64_t usage = (int64_t)(cJSON_IsNumber(use) && use->valuedouble > 0 ? use->valuedouble
                                                                          : cJSON_IsNumber(peak) ? peak->valuedouble : 0);
    int64_t limit = (int64_t)(cJSON_IsNumber(lim) ? lim->valuedouble : 0);
    char u[WCTR_FORMAT_SIZE_MAX], l[WCTR_FORMAT_SIZE_MAX], rb[WCTR_FORMAT_SIZE_MAX], wb[WCTR_FORMAT_SIZE_MAX];
    char mem[48], io[48], pct[16];
    wctr_format_size(usage, u, sizeof u);
    if (limit > 0) {
      wctr_format_size(limit, l, sizeof l);
      snprintf(pct, sizeof pct, "%.2f%%", 100.0 * (double)usage / (double)limit);
    } else {
      snprintf(l, sizeof l, "no limit");
      snprintf(pct, sizeof pct, "--");
    }
    wctr_format_size((int64_t)(cJSON_IsNumber(rd) ? rd->valuedouble : 0), rb, sizeof rb);
    wctr_format_size((int64_t)(cJSON_IsNumber(wr) ? wr->valuedouble : 0), wb, sizeof wb);
    snprintf(mem, sizeof mem, "%s / %s", u, l);
    snprintf(io, sizeof io, "%s / %s", rb, wb);
    char cpu_text[16];
    snprintf(cpu_text, sizeof cpu_text, "%.2f%%", cJSON_IsNumber(cpu) ? cpu->valuedouble : 0.0);
    fprintf(f, "%-14.12s %-20.20s %-8s %-22s %-8s %-20s %d\n", field(s, "Id"), field(s, "Name"), cpu_text, mem, pct,
            io, cJSON_IsNumber(pids) ? pids->valueint : 0);
    cJSON_Delete(s);
  }
  cJSON_Delete(refs);
  return status;
}

/* --- update, events ------------------------------------------------------------------------------------ */

int cli_cmd_update(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt none[] = {{NULL, 0, false, 0}};
  wctr_opt table[16];
  options_with_resources(none, table, sizeof table / sizeof table[0]);
  cJSON *changes = cJSON_CreateObject();
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *v;
  int r;
  int64_t n = 0;
  wctr_err err = WCTR_OK;
  wctr_opts_init(&st, argc, argv, 1);
  while (err == WCTR_OK && (r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id >= O_RESOURCE && (size_t)(id - O_RESOURCE) < spec_resource_field_count) {
      const spec_resource_field *f = &spec_resource_fields[id - O_RESOURCE];
      /* Every whole number a DWORD-sized limit can take (and one more), so that wctrd's checks, which see
       * the whole set of limits, are the ones that refuse. */
      err = resource_value(f, v, INT32_MIN, UINT32_MAX + INT64_C(1), &n, &e);
      if (err == WCTR_OK) cJSON_AddNumberToObject(changes, f->wire, (double)n);
    }
  }
  if (err == WCTR_OK && r < 0) err = WCTR_EINVAL;
  if (err == WCTR_OK && st.index >= argc) err = wctr_fail(&e, WCTR_EINVAL, "\"update\" requires at least 1 argument");
  if (err == WCTR_OK && changes->child == NULL) {
    err = wctr_fail(&e, WCTR_EINVAL, "you must provide one or more flags when using this command");
  }
  if (err != WCTR_OK) {
    cJSON_Delete(changes);
    return usage_error(ctx, "update", e.text);
  }
  int status = 0;
  for (int i = st.index; i < argc; i++) {
    cJSON *p = cJSON_Duplicate(changes, true);
    cJSON_AddStringToObject(p, "Id", argv[i]);
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, "container.update", p, &result, &one)) {
      print_warnings(ctx, result);
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      status = one;
    }
    cJSON_Delete(result);
  }
  cJSON_Delete(changes);
  return status;
}

static void print_event(void *arg, const char *kind, const cJSON *data) {
  cli_ctx *ctx = arg;
  if (strcmp(kind, "event") != 0) return;
  FILE *f = ctx->p->out;
  fprintf(f, "%s %s %s %s (name=%s", field(data, "Time"), field(data, "Type"), field(data, "Action"), field(data, "Id"),
          field(data, "Name"));
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(data, "ExitCode");
  if (cJSON_IsNumber(code)) fprintf(f, ", exitCode=%lld", (long long)code->valuedouble);
  fprintf(f, ")\n");
  fflush(f);
}

int cli_cmd_events(cli_ctx *ctx, int argc, char **argv) {
  if (argc > 1) {
    char text[160];
    snprintf(text, sizeof text, "takes no arguments, but \"%s\" was given", argv[1]);
    return usage_error(ctx, "events", text);
  }
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_stream(ctx, "events", NULL, print_event, ctx, &result, &rc)) return rc;
  cJSON_Delete(result);
  return 0;
}
