/* cli/containers.c - wctr's container commands: run, create, start, stop, kill, rm, ps, inspect, logs,
 * wait, stats (portable). Docker's flags, output shapes and exit codes where Docker has them. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_internal.h"
#include "cli/format.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/units.h"
#include "docker/docker.h"
#include "common/clock.h"
#include "images/reference.h"
#include "spec/spec.h"

enum {
  O_HELP = 1, O_DETACH, O_INTERACTIVE, O_TTY, O_RM, O_NAME, O_ENV, O_ENV_FILE, O_WORKDIR, O_USER, O_ISOLATION,
  O_STOP_TIMEOUT, O_VOLUME, O_MOUNT, O_HOSTNAME, O_DRY_RUN, O_PULL, O_HEALTH_CMD, O_HEALTH_INTERVAL,
  O_HEALTH_TIMEOUT, O_HEALTH_RETRIES, O_HEALTH_START_PERIOD, O_NO_HEALTHCHECK,
  O_ALL, O_QUIET, O_FILTER, O_FORMAT, O_TIME, O_FORCE, O_FOLLOW, O_TAIL, O_TIMESTAMPS, O_ATTACH, O_NO_STREAM,
  O_SECRET, O_PRIVILEGED, O_SINCE, O_UNTIL, O_LAST, O_LATEST, O_NO_TRUNC, O_SIZE,
  O_LABEL, O_LABEL_FILE, O_RESTART, O_SECURITY_OPT, O_TYPE,
  O_PUBLISH, O_PUBLISH_ALL, O_EXPOSE, O_NETWORK, O_DNS, O_DNS_SEARCH, O_MAC, O_SIG_PROXY, O_DETACH_KEYS, O_NO_STDIN,
  O_ENTRYPOINT, O_LOG_DRIVER, O_LOG_OPT, O_DETAILS,
  O_SIGNAL,
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

/* Is this UTF-8 (Go's utf8.Valid)? */
static bool valid_utf8(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < len; k++) {
      if (((unsigned char)s[i + k] & 0xC0u) != 0x80u) return false;
      v = (v << 6) | ((unsigned char)s[i + k] & 0x3Fu);
    }
    if ((len == 3 && (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))) || (len == 4 && (v < 0x10000 || v > 0x10FFFF))) return false;
    i += len;
  }
  return true;
}

/* --env-file, as docker/cli's kvfile reads it: lines end at \n (a \r before it dropped); the first line may
 * start with a UTF-8 BOM, which is dropped; leading white space is dropped; empty lines and lines starting
 * with # are skipped; KEY=VALUE is taken as it is (trailing spaces belong to the value); KEY alone takes
 * KEY from wctr's environment or is left out; a key with a space or a tab, an empty key, or a line that is
 * not UTF-8 is refused. */
static wctr_err add_env_file(cli_ctx *ctx, cJSON *env, const char *path, wctr_errmsg *e) {
  if (ctx->p->read_file == NULL) return wctr_fail(e, WCTR_ENOTSUP, "--env-file: files cannot be read here");
  size_t len = 0;
  char *text = ctx->p->read_file(ctx->p->ctx, path, &len, e);
  if (text == NULL) return WCTR_EINVAL;
  wctr_err err = WCTR_OK;
  int line_no = 0;
  char *end_of_text = text + len;
  for (char *line = text, *next = NULL; line != NULL && line < end_of_text && err == WCTR_OK; line = next) {
    char *nl = memchr(line, '\n', (size_t)(end_of_text - line));
    next = nl != NULL ? nl + 1 : NULL;
    size_t n = nl != NULL ? (size_t)(nl - line) : (size_t)(end_of_text - line);
    line_no++;
    if (n > 0 && line[n - 1] == '\r') n--;
    if (!valid_utf8(line, n)) {
      err = wctr_fail(e, WCTR_EINVAL, "--env-file %s: invalid utf8 bytes at line %d", path, line_no);
      break;
    }
    if (memchr(line, '\0', n) != NULL) {
      err = wctr_fail(e, WCTR_EINVAL, "--env-file %s: a NUL byte at line %d", path, line_no);
      break;
    }
    line[n] = '\0';
    if (line_no == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) line += 3;
    while (*line == ' ' || *line == '\t' || *line == '\v' || *line == '\f' || *line == '\r') line++;
    if (*line == '\0' || *line == '#') continue;
    size_t key_len = strcspn(line, "=");
    if (key_len == 0) {
      err = wctr_fail(e, WCTR_EINVAL, "--env-file %s line %d: no variable name on line '%.200s'", path, line_no, line);
    } else if (strcspn(line, " \t") < key_len) {
      err = wctr_fail(e, WCTR_EINVAL, "--env-file %s line %d: variable '%.*s' contains whitespaces", path, line_no,
                      (int)(key_len > 200 ? 200 : key_len), line);
    } else {
      char source[1100];
      snprintf(source, sizeof source, "--env-file %s line %d", path, line_no);
      err = add_env(ctx, env, line, source, e);
    }
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

/* obj[key] = item, replacing an earlier value (a flag given twice keeps its last value). */
static void set_item(cJSON *obj, const char *key, cJSON *item) {
  if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
    cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
  } else {
    cJSON_AddItemToObject(obj, key, item);
  }
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
    case SPEC_UNIT_BYTES: {
      wctr_err err = wctr_parse_size(v, f->flag, out, e);
      /* The pipe protocol carries whole numbers exactly up to 2^53 - 1 (docs/protocol.md); name the flag
       * and that size rather than let wctrd refuse a JSON number. */
      if (err == WCTR_OK && *out > INT64_C(9007199254740991)) {
        return wctr_fail(e, WCTR_EINVAL,
                         "invalid value \"%s\" for %s: too large (the largest size wctr accepts is 9007199254740991 "
                         "bytes, 8 PiB - 1)",
                         v, f->flag);
      }
      return err;
    }
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

/* -p/--publish and --expose: each mapping into HostConfig.PortBindings and its container port into
 * Config.ExposedPorts, as docker/cli does (nat.ParsePortSpecs; the Windows rules come with it: spec/network.h). */
static cJSON *object_at(cJSON *parent, const char *key) {
  cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);
  if (o == NULL) o = cJSON_AddObjectToObject(parent, key);
  return o;
}

static wctr_err add_ports(cJSON *p, cJSON *hc, const char *v, bool publish, wctr_errmsg *e) {
  spec_port *list = NULL;
  size_t n = 0;
  wctr_err err = publish ? spec_port_spec_parse(v, &list, &n, e) : spec_expose_parse(v, &list, &n, e);
  if (err != WCTR_OK) return err;
  cJSON *exposed = object_at(p, "ExposedPorts");
  cJSON *bindings = publish ? object_at(hc, "PortBindings") : NULL;
  for (size_t i = 0; i < n && err == WCTR_OK; i++) {
    char key[24], host[8] = "";
    snprintf(key, sizeof key, "%u/%s", (unsigned)list[i].port, spec_proto_name(list[i].proto));
    if (exposed == NULL || (publish && bindings == NULL)) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      break;
    }
    if (cJSON_GetObjectItemCaseSensitive(exposed, key) == NULL) cJSON_AddItemToObject(exposed, key, cJSON_CreateObject());
    if (!publish) continue;
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(bindings, key);
    if (arr == NULL) arr = cJSON_AddArrayToObject(bindings, key);
    cJSON *b = cJSON_CreateObject();
    if (list[i].host_port != 0) snprintf(host, sizeof host, "%u", (unsigned)list[i].host_port);
    if (arr == NULL || b == NULL || !cJSON_AddItemToArray(arr, b) || cJSON_AddStringToObject(b, "HostIp", list[i].host_ip) == NULL ||
        cJSON_AddStringToObject(b, "HostPort", host) == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  free(list);
  return err;
}

static void add_string_to(cJSON *obj, const char *key, const char *v) {
  cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (arr == NULL) arr = cJSON_AddArrayToObject(obj, key);
  if (arr != NULL) cJSON_AddItemToArray(arr, cJSON_CreateString(v));
}

/* The --health-* flags as docker/cli's opts.go reads them. */
typedef struct health_flags {
  const char *cmd;
  int64_t interval, timeout, start_period; /* nanoseconds */
  int64_t retries;
  bool given;                              /* any --health-* */
  bool none;                               /* --no-healthcheck */
} health_flags;

static wctr_err health_duration(const char *v, const char *flag, int64_t *ns, wctr_errmsg *e) {
  if (!docker_duration_ns(v, ns)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid argument \"%s\" for \"%s\" flag: time: invalid duration \"%s\"", v, flag, v);
  }
  return WCTR_OK;
}

/* Config.Healthcheck from the flags (Docker's HealthConfig): --no-healthcheck is ["NONE"]; --health-cmd is
 * ["CMD-SHELL", cmd]; the spans and retries as given (0: Docker's default). */
static wctr_err add_healthcheck(cJSON *p, const health_flags *h, wctr_errmsg *e) {
  if (h->none && h->given) return wctr_fail(e, WCTR_EINVAL, "--no-healthcheck conflicts with --health-* options");
  if (!h->none && !h->given) return WCTR_OK;
  const struct {
    const char *flag;
    int64_t v;
  } signs[] = {{"--health-interval", h->interval},
               {"--health-timeout", h->timeout},
               {"--health-retries", h->retries},
               {"--health-start-period", h->start_period}};
  for (size_t i = 0; !h->none && i < sizeof signs / sizeof signs[0]; i++) {
    if (signs[i].v < 0) return wctr_fail(e, WCTR_EINVAL, "%s cannot be negative", signs[i].flag);
  }
  cJSON *hc = cJSON_CreateObject();
  cJSON *test = cJSON_AddArrayToObject(hc, "Test");
  if (h->none) {
    cJSON_AddItemToArray(test, cJSON_CreateString("NONE"));
  } else if (h->cmd != NULL && h->cmd[0] != '\0') {
    cJSON_AddItemToArray(test, cJSON_CreateString("CMD-SHELL"));
    cJSON_AddItemToArray(test, cJSON_CreateString(h->cmd));
  }
  cJSON_AddNumberToObject(hc, "Interval", (double)h->interval);
  cJSON_AddNumberToObject(hc, "Timeout", (double)h->timeout);
  cJSON_AddNumberToObject(hc, "StartPeriod", (double)h->start_period);
  cJSON_AddNumberToObject(hc, "Retries", (double)h->retries);
  set_item(p, "Healthcheck", hc);
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
      {"mount", 0, true, O_MOUNT},          {"entrypoint", 0, true, O_ENTRYPOINT},
      {"log-driver", 0, true, O_LOG_DRIVER}, {"log-opt", 0, true, O_LOG_OPT},
      {"dry-run", 0, false, O_DRY_RUN},
      {"publish", 'p', true, O_PUBLISH},    {"publish-all", 'P', false, O_PUBLISH_ALL},
      {"expose", 0, true, O_EXPOSE},        {"network", 0, true, O_NETWORK},
      {"net", 0, true, O_NETWORK},          {"dns", 0, true, O_DNS},
      {"dns-search", 0, true, O_DNS_SEARCH}, {"mac-address", 0, true, O_MAC},
      {"pull", 0, true, O_PULL},
      {"sig-proxy", 0, false, O_SIG_PROXY}, {"detach-keys", 0, true, O_DETACH_KEYS},
      {"health-cmd", 0, true, O_HEALTH_CMD},
      {"health-interval", 0, true, O_HEALTH_INTERVAL},
      {"health-timeout", 0, true, O_HEALTH_TIMEOUT},
      {"health-retries", 0, true, O_HEALTH_RETRIES},
      {"health-start-period", 0, true, O_HEALTH_START_PERIOD},
      {"no-healthcheck", 0, false, O_NO_HEALTHCHECK},
      {NULL, 0, false, 0},
  };
  wctr_opt table[sizeof fixed / sizeof fixed[0] + 16];
  options_with_resources(fixed, table, sizeof table / sizeof table[0]);
  memset(flags, 0, sizeof *flags);
  flags->sig_proxy = true;
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
  health_flags health = {0};
  /* A single-value flag given twice keeps the last value (pflag's rule): set_* replace. */
  while (err == WCTR_OK && (r = wctr_opts_next(&st, table, &id, &v, e)) == 1) {
    switch (id) {
      case O_HELP: flags->help = wctr_opts_flag(v); break;
      case O_DETACH: flags->detach = wctr_opts_flag(v); break;
      case O_INTERACTIVE:
        flags->interactive = wctr_opts_flag(v);
        set_item(p, "OpenStdin", cJSON_CreateBool(wctr_opts_flag(v)));
        break;
      case O_TTY:
        flags->tty = wctr_opts_flag(v);
        set_item(p, "Tty", cJSON_CreateBool(wctr_opts_flag(v)));
        break;
      case O_RM: set_item(hc, "AutoRemove", cJSON_CreateBool(wctr_opts_flag(v))); break;
      case O_NAME: set_item(p, "Name", cJSON_CreateString(v)); break;
      case O_ENV: err = add_env(ctx, env, v, "-e", e); break;
      case O_ENV_FILE: err = add_env_file(ctx, env, v, e); break;
      case O_WORKDIR: set_item(p, "WorkingDir", cJSON_CreateString(v)); break;
      case O_USER: set_item(p, "User", cJSON_CreateString(v)); break;
      case O_ISOLATION: set_item(hc, "Isolation", cJSON_CreateString(v)); break;
      case O_STOP_TIMEOUT:
        err = parse_int(v, "--stop-timeout", 0, 3600, &n, e);
        if (err == WCTR_OK) set_item(p, "StopTimeout", cJSON_CreateNumber((double)n));
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
      case O_MOUNT: {
        char *bind = NULL;
        err = cli_mount_to_bind(v, &bind, e);
        if (err == WCTR_OK) {
          if (binds == NULL) binds = cJSON_AddArrayToObject(hc, "Binds");
          cJSON_AddItemToArray(binds, cJSON_CreateString(bind));
        }
        free(bind);
        break;
      }
      case O_HOSTNAME: set_item(p, "Hostname", cJSON_CreateString(v)); break;
      case O_LOG_DRIVER:
        /* the one driver wctr has is json-file (service/logs.h); naming it asks for nothing else */
        if (strcmp(v, "json-file") != 0) {
          err = wctr_fail(e, WCTR_EINVAL, "--log-driver %s: wctr keeps a container's logs with the json-file driver only",
                          v);
        }
        break;
      case O_LOG_OPT: {
        /* docker/cli: "k=v" into LogConfig.Config ("k" alone is k=""; a later k wins); wctrd checks them */
        cJSON *lc = cJSON_GetObjectItemCaseSensitive(hc, "LogConfig");
        if (lc == NULL) {
          lc = cJSON_AddObjectToObject(hc, "LogConfig");
          cJSON_AddStringToObject(lc, "Type", "json-file");
          cJSON_AddObjectToObject(lc, "Config");
        }
        const char *eq = strchr(v, '=');
        char key[256];
        snprintf(key, sizeof key, "%.*s", eq != NULL ? (int)(eq - v) : (int)strlen(v), v);
        set_item(cJSON_GetObjectItemCaseSensitive(lc, "Config"), key, cJSON_CreateString(eq != NULL ? eq + 1 : ""));
        break;
      }
      case O_ENTRYPOINT: {
        /* docker/cli: the value is one word (never split); "" is [""], Docker's reset of the image's */
        cJSON *entry = cJSON_CreateArray();
        cJSON_AddItemToArray(entry, cJSON_CreateString(v));
        set_item(p, "Entrypoint", entry);
        break;
      }
      case O_PUBLISH: err = add_ports(p, hc, v, true, e); break;
      case O_EXPOSE: err = add_ports(p, hc, v, false, e); break;
      case O_PUBLISH_ALL: set_item(hc, "PublishAllPorts", cJSON_CreateBool(wctr_opts_flag(v))); break;
      case O_NETWORK: set_item(hc, "NetworkMode", cJSON_CreateString(v)); break;
      case O_DNS: add_string_to(hc, "Dns", v); break;
      case O_DNS_SEARCH: add_string_to(hc, "DnsSearch", v); break;
      case O_MAC: set_item(p, "MacAddress", cJSON_CreateString(v)); break;
      case O_SIG_PROXY: flags->sig_proxy = wctr_opts_flag(v); break;
      case O_DETACH_KEYS: flags->detach_keys = v; break;
      case O_PULL:
        if (strcmp(v, "missing") != 0 && strcmp(v, "always") != 0 && strcmp(v, "never") != 0) {
          err = wctr_fail(e, WCTR_EINVAL, "invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"", v);
        }
        flags->pull = v;
        break;
      case O_HEALTH_CMD:
        health.cmd = v;
        health.given = health.given || v[0] != '\0';
        break;
      case O_HEALTH_INTERVAL:
        err = health_duration(v, "--health-interval", &health.interval, e);
        health.given = health.given || health.interval != 0;
        break;
      case O_HEALTH_TIMEOUT:
        err = health_duration(v, "--health-timeout", &health.timeout, e);
        health.given = health.given || health.timeout != 0;
        break;
      case O_HEALTH_START_PERIOD:
        err = health_duration(v, "--health-start-period", &health.start_period, e);
        health.given = health.given || health.start_period != 0;
        break;
      case O_HEALTH_RETRIES: {
        char *end = NULL;
        errno = 0;
        long long r64 = strtoll(v, &end, 10);
        if (v[0] == '\0' || *end != '\0' || errno != 0 || r64 > INT32_MAX || r64 < INT32_MIN) {
          err = wctr_fail(e, WCTR_EINVAL,
                          "invalid argument \"%s\" for \"--health-retries\" flag: strconv.ParseInt: parsing \"%s\": %s",
                          v, v, errno == ERANGE || (end != NULL && *end == '\0' && v[0] != '\0') ? "value out of range" : "invalid syntax");
        }
        health.retries = r64;
        health.given = health.given || r64 != 0;
        break;
      }
      case O_NO_HEALTHCHECK: health.none = wctr_opts_flag(v); break;
      case O_DRY_RUN:
        flags->dry_run = wctr_opts_flag(v);
        set_item(p, "DryRun", cJSON_CreateBool(wctr_opts_flag(v)));
        break;
      default:
        if (id >= O_RESOURCE && (size_t)(id - O_RESOURCE) < spec_resource_field_count) {
          const spec_resource_field *f = &spec_resource_fields[id - O_RESOURCE];
          err = resource_value(f, v, f->flag_min, f->flag_max, &n, e);
          if (err == WCTR_OK) set_item(hc, f->wire, cJSON_CreateNumber((double)n));
        }
        break;
    }
  }
  if (err == WCTR_OK && r < 0) err = WCTR_EINVAL;
  if (err == WCTR_OK && !flags->help) err = add_healthcheck(p, &health, e);
  if (err == WCTR_OK && !flags->help) {
    if (st.index >= argc) {
      flags->no_image = true;
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
  /* docker/cli: stdin closes with the attached client (StdinOnce) unless -d keeps it open for a later attach or
   * exec (run -dit). */
  if (flags->interactive) set_item(p, "StdinOnce", cJSON_CreateBool(!flags->detach));
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
    *rc = flags->no_image ? cli_usage_error(ctx, cmd, e.text) : cli_flag_error(ctx, cmd, e.text);
    return NULL;
  }
  if (flags->help) {
    fputs(cli_usage_of(cmd), ctx->p->out);
    *rc = 0;
    return NULL;
  }
  cJSON *result = NULL;
  const cJSON *image = cJSON_GetObjectItemCaseSensitive(params, "Image");
  const char *pull = flags->pull != NULL ? flags->pull : "missing";
  /* A job container's IMAGE is a folder or "host", never a registry's image: nothing to pull. */
  bool pullable = cJSON_IsString(image) && strcmp(image->valuestring, "host") != 0 &&
                  img_ref_parse(image->valuestring, &(img_ref){0}, NULL) == WCTR_OK &&
                  !job_isolation_asked(cJSON_GetObjectItemCaseSensitive(params, "HostConfig"));
  char *image_name = pullable ? strdup(image->valuestring) : NULL;
  if (strcmp(pull, "always") == 0 && !flags->dry_run && image_name != NULL) {
    int prc = cli_pull_image(ctx, image_name, false, ctx->p->err);
    if (prc != 0) {
      cJSON_Delete(params);
      free(image_name);
      *rc = prc;
      return NULL;
    }
  }
  /* --pull missing: Docker's order - create, and on "No such image" pull it and create again. */
  wctr_errmsg ce;
  ce.text[0] = '\0';
  cJSON *again = strcmp(pull, "missing") == 0 && !flags->dry_run ? cJSON_Duplicate(params, true) : NULL;
  bool created = cli_call_ex(ctx, "container.create", params, &result, rc, &ce);
  if (!created && again != NULL && image_name != NULL && strncmp(ce.text, "No such image", 13) == 0) {
    fprintf(ctx->p->err, "Unable to find image '%s' locally\n", image_name);
    int prc = cli_pull_image(ctx, image_name, false, ctx->p->err);
    if (prc != 0) {
      cJSON_Delete(again);
      free(image_name);
      *rc = prc;
      return NULL;
    }
    ce.text[0] = '\0';
    created = cli_call_ex(ctx, "container.create", again, &result, rc, &ce);
    again = NULL;
  }
  cJSON_Delete(again);
  free(image_name);
  if (!created && ce.text[0] != '\0') fprintf(ctx->p->err, "wctr: %s\n", ce.text);
  if (!created) return NULL;
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
  /* HCS and vmcompute (the container's scratch) failures name their call; only a failed HcsCreateProcess is
   * about the command itself. */
  static const char *const layer_calls[] = {"CreateSandboxLayer ", "ActivateLayer ", "PrepareLayer ",
                                            "GetLayerMountPath ", "UnprepareLayer ", "DeactivateLayer ", NULL};
  if (strncmp(message, "Hcs", 3) == 0 && strncmp(message, "HcsCreateProcess", 16) != 0) return CLI_EXIT_FAILED;
  /* The network's steps (HNS, the service's networks) are not about the command either. */
  if (strncmp(message, "Hcn", 3) == 0 || strstr(message, "network") != NULL) return CLI_EXIT_FAILED;
  for (const char *const *c = layer_calls; *c != NULL; c++) {
    if (strncmp(message, *c, strlen(*c)) == 0) return CLI_EXIT_FAILED;
  }
  if (strstr(message, "not found") != NULL || strstr(message, "cannot find") != NULL) return 127;
  if (strstr(message, "denied") != NULL || strstr(message, "not a valid application") != NULL) return 126;
  return CLI_EXIT_FAILED;
}

/* --- sig-proxy ---------------------------------------------------------------------------------------- */

/* While an attached run lasts, Ctrl+C stops the container (docker's --sig-proxy). docker/cli forwards the signal
 * to dockerd as a kill; dockerd on Windows turns every signal but SIGKILL into a shutdown of the container
 * (HCS's graceful one). wctr's equivalent is container.stop: the same graceful stop signal, then the kill
 * after the container's stop timeout. The first Ctrl+C is taken over (cli.h interrupted); a second one ends
 * wctr as Windows does, and the stop goes on. */
typedef struct sig_proxy {
  cli_ctx own;         /* its own connection: the stream holds the command's */
  char id[160];
  pthread_mutex_t lock;
  bool done;           /* the run ended: nothing more to proxy */
  bool started;
  pthread_t thread;
} sig_proxy;

static void *sig_proxy_main(void *arg) {
  sig_proxy *s = arg;
  for (;;) {
    pthread_mutex_lock(&s->lock);
    bool done = s->done;
    pthread_mutex_unlock(&s->lock);
    if (done) break;
    if (s->own.p->interrupted(s->own.p->ctx)) {
      cJSON *result = NULL;
      wctr_errmsg e;
      if (cli_call_quiet(&s->own, "container.stop", ref_params(s->id), &result, &e) != WCTR_OK) {
        fprintf(s->own.p->err, "wctr: stopping %s: %s\n", s->id, e.text);
      }
      cJSON_Delete(result);
      break;
    }
    nanosleep(&(struct timespec){.tv_nsec = 50000000L}, NULL);
  }
  if (s->own.conn != NULL) s->own.p->disconnect(s->own.conn);
  s->own.conn = NULL;
  return NULL;
}

static void sig_proxy_begin(cli_ctx *ctx, const char *id, sig_proxy *s) {
  memset(s, 0, sizeof *s);
  if (ctx->p->interrupted == NULL) return;
  /* Asked once before the stream begins: from here on Ctrl+C is wctr's to act on (cli.h). */
  (void)ctx->p->interrupted(ctx->p->ctx);
  s->own = (cli_ctx){.p = ctx->p, .fail_code = CLI_EXIT_ERROR};
  memcpy(s->own.pipe_path, ctx->pipe_path, sizeof s->own.pipe_path);
  snprintf(s->id, sizeof s->id, "%s", id);
  pthread_mutex_init(&s->lock, NULL);
  s->started = pthread_create(&s->thread, NULL, sig_proxy_main, s) == 0;
  if (!s->started) pthread_mutex_destroy(&s->lock);
}

static void sig_proxy_end(sig_proxy *s) {
  if (!s->started) return;
  pthread_mutex_lock(&s->lock);
  s->done = true;
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  pthread_mutex_destroy(&s->lock);
}

/* How a client is attached: its stdin, the proxy of Ctrl+C (not with a TTY, as docker's: the console's keys go
 * to the container), the keys that detach (with stdin). */
typedef struct attach_opts {
  bool stdin_attached;
  bool sig_proxy;
  bool tty;
  const char *detach_keys; /* NULL: Docker's default */
} attach_opts;

/* Runs the container attached: its output here, its exit code as ours. A start that fails exits
 * ctx->fail_code, or for run 125/126/127 as the failure says (docker run's toStatusError). */
static int stream_attached(cli_ctx *ctx, const char *op, cJSON *params, const char *id, const attach_opts *o,
                           bool for_run, bool *started) {
  cJSON *result = NULL;
  int rc = 0;
  wctr_errmsg e;
  if (started != NULL) *started = true;
  cli_detach keys;
  memset(&keys, 0, sizeof keys);
  if (o->stdin_attached && ctx->p->detach_keys != NULL) {
    if (cli_detach_keys_parse(o->detach_keys != NULL ? o->detach_keys : CLI_DETACH_KEYS_DEFAULT, &keys, &e) != WCTR_OK) {
      cJSON_Delete(params);
      if (started != NULL) *started = false;
      fprintf(ctx->p->err, "wctr: %s\n", e.text);
      return ctx->fail_code;
    }
    ctx->p->detach_keys(ctx->p->ctx, keys.keys, keys.len);
  }
  sig_proxy proxy;
  memset(&proxy, 0, sizeof proxy);
  if (o->sig_proxy && !o->tty) sig_proxy_begin(ctx, id, &proxy);
  bool ok = cli_stream_ex(ctx, op, params, o->stdin_attached, write_frame, ctx, &result, &rc, &e);
  sig_proxy_end(&proxy);
  if (!ok) {
    /* A detach (rc 0, no message) leaves the container running: it did start. */
    if (started != NULL && e.text[0] != '\0') *started = false;
    return for_run && e.text[0] != '\0' ? start_failure_code(e.text) : rc;
  }
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "ExitCode");
  rc = cJSON_IsNumber(code) ? (int)code->valuedouble : ctx->fail_code;
  cJSON_Delete(result);
  return rc;
}

static int run_attached(cli_ctx *ctx, const char *id, const attach_opts *o, bool for_run, bool *started) {
  return stream_attached(ctx, "container.run", ref_params(id), id, o, for_run, started);
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
  ctx->fail_code = CLI_EXIT_FAILED; /* docker run: any failure of its own is 125 */
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
    attach_opts ao = {.stdin_attached = flags.interactive, .sig_proxy = flags.sig_proxy, .tty = flags.tty,
                      .detach_keys = flags.detach_keys};
    rc = run_attached(ctx, id, &ao, true, &started);
    if (!started) remove_failed(ctx, id);
  }
  free(id);
  return rc;
}

int cli_cmd_create(cli_ctx *ctx, int argc, char **argv) {
  cli_run_flags flags;
  int rc = 0;
  ctx->fail_code = CLI_EXIT_FAILED;
  char *id = create_container(ctx, "create", argc, argv, &flags, &rc);
  if (id == NULL) return rc;
  fprintf(ctx->p->out, "%s\n", id);
  free(id);
  return 0;
}

/* --- attach ---------------------------------------------------------------------------------------------- */

static const char *field(const cJSON *o, const char *key);

typedef struct attach_cli {
  bool no_stdin;
  bool sig_proxy;
  const char *detach_keys;
} attach_cli;

static bool attach_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  attach_cli *o = arg;
  if (id == O_NO_STDIN) o->no_stdin = wctr_opts_flag(v);
  if (id == O_DETACH_KEYS) o->detach_keys = v;
  if (id == O_SIG_PROXY) o->sig_proxy = wctr_opts_flag(v);
  return true;
}

/* `wctr attach [--no-stdin] [--sig-proxy=BOOL] [--detach-keys KEYS] CONTAINER`: the running container's output
 * (and stdin, when it was created with -i), until it exits (its code is wctr's) or the detach keys. */
int cli_cmd_attach(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"no-stdin", 0, false, O_NO_STDIN}, {"sig-proxy", 0, false, O_SIG_PROXY},
                                   {"detach-keys", 0, true, O_DETACH_KEYS}, {NULL, 0, false, 0}};
  attach_cli o = {.sig_proxy = true};
  int first = 0;
  int rc = cli_parse_args(ctx, "attach", table, argc, argv, attach_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "attach", argc - first, 1, 1, NULL);
  if (rc != 0) return rc;
  cJSON *record = NULL;
  if (!cli_call(ctx, "container.inspect", ref_params(argv[first]), &record, &rc)) return rc;
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(record, "State");
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(record, "Config");
  char id[160];
  snprintf(id, sizeof id, "%s", field(record, "Id"));
  bool running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running")) ||
                 strcmp(field(state, "Status"), "running") == 0;
  attach_opts ao = {.stdin_attached = !o.no_stdin && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "OpenStdin")),
                    .sig_proxy = o.sig_proxy, .tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "Tty")),
                    .detach_keys = o.detach_keys};
  cJSON_Delete(record);
  if (!running) {
    /* docker attach's refusal (its daemon's 409), exit 1 */
    fprintf(ctx->p->err, "wctr: You cannot attach to a stopped container, start it first\n");
    return CLI_EXIT_ERROR;
  }
  cJSON *p = ref_params(id);
  if (ao.stdin_attached) cJSON_AddTrueToObject(p, "Stdin");
  return stream_attached(ctx, "container.attach", p, id, &ao, false, NULL);
}

/* --- exec ------------------------------------------------------------------------------------------------ */

/* `wctr exec [OPTIONS] CONTAINER COMMAND [ARG...]`: options end at the container (docker's exec takes the
 * command's own flags as they are). */
int cli_cmd_exec(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {
      {"help", 'h', false, O_HELP},       {"detach", 'd', false, O_DETACH},  {"interactive", 'i', false, O_INTERACTIVE},
      {"tty", 't', false, O_TTY},         {"user", 'u', true, O_USER},       {"env", 'e', true, O_ENV},
      {"env-file", 0, true, O_ENV_FILE},  {"workdir", 'w', true, O_WORKDIR}, {"privileged", 0, false, O_PRIVILEGED},
      {NULL, 0, false, 0},
  };
  ctx->fail_code = 1; /* docker exec: a failure of its own or of the daemon is 1 */
  cJSON *p = cJSON_CreateObject();
  cJSON *env = cJSON_CreateArray();
  bool detach = false, interactive = false, help = false;
  int rc = 0;
  wctr_errmsg e = {0};
  wctr_err err = p != NULL && env != NULL ? WCTR_OK : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  int id = 0;
  const char *v = NULL;
  int r = 0;
  while (err == WCTR_OK && (r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    switch (id) {
      case O_HELP: help = wctr_opts_flag(v); break;
      case O_DETACH: detach = wctr_opts_flag(v); break;
      case O_INTERACTIVE: interactive = wctr_opts_flag(v); break;
      case O_TTY: set_item(p, "Tty", cJSON_CreateBool(wctr_opts_flag(v))); break;
      case O_USER: set_item(p, "User", cJSON_CreateString(v)); break;
      case O_WORKDIR: set_item(p, "WorkingDir", cJSON_CreateString(v)); break;
      case O_PRIVILEGED: set_item(p, "Privileged", cJSON_CreateBool(wctr_opts_flag(v))); break;
      case O_ENV: err = add_env(ctx, env, v, "-e", &e); break;
      case O_ENV_FILE: err = add_env_file(ctx, env, v, &e); break;
      default: break;
    }
  }
  if (err == WCTR_OK && r < 0) err = WCTR_EINVAL;
  if (err != WCTR_OK) {
    rc = cli_flag_error(ctx, "exec", e.text);
    goto done;
  }
  if (help) {
    fputs(cli_usage_of("exec"), ctx->p->out);
    goto done;
  }
  rc = cli_check_operands(ctx, "exec", argc - st.index, 2, -1, NULL);
  if (rc != 0) goto done;
  cJSON_AddStringToObject(p, "Id", argv[st.index]);
  cJSON *cmd = cJSON_AddArrayToObject(p, "Cmd");
  for (int i = st.index + 1; cmd != NULL && i < argc; i++) cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
  if (cJSON_GetArraySize(env) > 0) {
    cJSON_AddItemToObject(p, "Env", env);
    env = NULL;
  }
  if (interactive && !detach) cJSON_AddTrueToObject(p, "AttachStdin");
  cJSON *created = NULL;
  bool ok = cli_call(ctx, "exec.create", p, &created, &rc);
  p = NULL;
  const cJSON *xid = cJSON_GetObjectItemCaseSensitive(created, "Id");
  if (ok && !cJSON_IsString(xid)) {
    fprintf(ctx->p->err, "wctrd answered exec.create without an Id\n");
    rc = 1;
    ok = false;
  }
  if (ok) {
    cJSON *sp = ref_params(xid->valuestring);
    if (detach) cJSON_AddTrueToObject(sp, "Detach");
    cJSON *result = NULL;
    wctr_errmsg_clear(&e);
    if (!cli_stream_ex(ctx, "exec.start", sp, interactive && !detach, detach ? NULL : write_frame, ctx, &result, &rc,
                       &e)) {
      /* docker exec: 127 when the command is not found, 126 when it cannot be invoked. */
      int code = e.text[0] != '\0' ? start_failure_code(e.text) : CLI_EXIT_FAILED;
      if (code != CLI_EXIT_FAILED) rc = code;
    } else if (!detach) {
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "ExitCode");
      rc = cJSON_IsNumber(code) ? (int)code->valuedouble : 1;
    }
    cJSON_Delete(result);
  }
  cJSON_Delete(created);
done:
  cJSON_Delete(p);
  cJSON_Delete(env);
  return rc;
}

/* --- start, stop, kill, rm ------------------------------------------------------------------------------ */

typedef struct ref_opts {
  int64_t time;
  bool force;
  bool attach;
  bool volumes; /* rm -v */
  const char *signal; /* kill -s: passed to wctrd as given (dockerd reads it, not docker/cli) */
} ref_opts;

static bool ref_opt(void *arg, int id, const char *value, wctr_errmsg *e) {
  ref_opts *o = arg;
  if (id == O_TIME) return parse_int(value, "--time", 0, 3600, &o->time, e) == WCTR_OK;
  if (id == O_FORCE) o->force = wctr_opts_flag(value);
  if (id == O_ATTACH) o->attach = wctr_opts_flag(value);
  if (id == O_VOLUME) o->volumes = wctr_opts_flag(value);
  if (id == O_SIGNAL) o->signal = value;
  return true;
}

/* Reads `CMD [OPTIONS] CONTAINER [CONTAINER...]`: 0 with *first, or the exit code after printing. */
static int parse_refs(cli_ctx *ctx, const char *cmd, const wctr_opt *table, int argc, char **argv, ref_opts *o,
                      int *first) {
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, ref_opt, o, first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - *first, 1, -1, NULL);
  return rc;
}

int cli_cmd_start(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"attach", 'a', false, O_ATTACH}, {NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "start", table, argc, argv, &o, &first);
  if (rc != 0) return rc;
  if (o.attach) {
    if (argc - first > 1) return cli_usage_error(ctx, "start", "you cannot start and attach multiple containers at once");
    attach_opts ao = {.sig_proxy = true};
    return run_attached(ctx, argv[first], &ao, false, NULL);
  }
  /* Docker starts each, names what failed at the end, and exits 1 then. A running container is started
   * already: wctrd says so with success. */
  docker_buf failed;
  docker_buf_init(&failed, 0);
  for (int i = first; i < argc; i++) {
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, "container.start", ref_params(argv[i]), &result, &one)) {
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      if (failed.len > 0) docker_buf_adds(&failed, ", ");
      docker_buf_adds(&failed, argv[i]);
    }
    cJSON_Delete(result);
  }
  if (failed.len > 0) {
    fprintf(ctx->p->err, "wctr: failed to start containers: %s\n", failed.data);
    rc = CLI_EXIT_ERROR;
  }
  docker_buf_free(&failed);
  return rc;
}

int cli_cmd_stop(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"time", 't', true, O_TIME}, {NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "stop", table, argc, argv, &o, &first);
  if (rc != 0) return rc;
  for (int i = first; i < argc; i++) {
    cJSON *p = ref_params(argv[i]);
    if (o.time >= 0) cJSON_AddNumberToObject(p, "Timeout", (double)o.time);
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, "container.stop", p, &result, &one)) {
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  return rc;
}

/* docker pause / unpause: each container's name printed once done; the ones wctrd refuses are reported as they
 * come and make the exit code 1 (Docker's). */
static int pause_each(cli_ctx *ctx, const char *word, const char *op, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, word, table, argc, argv, &o, &first);
  if (rc != 0) return rc;
  for (int i = first; i < argc; i++) {
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, op, ref_params(argv[i]), &result, &one)) {
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  return rc;
}

int cli_cmd_pause(cli_ctx *ctx, int argc, char **argv) { return pause_each(ctx, "pause", "container.pause", argc, argv); }

int cli_cmd_unpause(cli_ctx *ctx, int argc, char **argv) {
  return pause_each(ctx, "unpause", "container.unpause", argc, argv);
}

/* docker restart: each container stopped (with -t as stop's) and started again, its name printed; the ones
 * wctrd refuses are reported as they come and make the exit code 1. */
int cli_cmd_restart(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"time", 't', true, O_TIME}, {NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "restart", table, argc, argv, &o, &first);
  if (rc != 0) return rc;
  for (int i = first; i < argc; i++) {
    cJSON *p = ref_params(argv[i]);
    if (o.time >= 0) cJSON_AddNumberToObject(p, "Timeout", (double)o.time);
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, "container.restart", p, &result, &one)) {
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  return rc;
}

/* docker rename CONTAINER NEW_NAME: exactly two operands, neither empty; prints nothing. */
int cli_cmd_rename(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = cli_parse_args(ctx, "rename", table, argc, argv, ref_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "rename", argc - first, 2, 2, NULL);
  if (rc != 0) return rc;
  if (argv[first][0] == '\0' || argv[first + 1][0] == '\0') {
    fprintf(ctx->p->err, "wctr: Neither old nor new names may be empty\n");
    return CLI_EXIT_ERROR;
  }
  cJSON *p = ref_params(argv[first]);
  cJSON_AddStringToObject(p, "Name", argv[first + 1]);
  cJSON *result = NULL;
  if (!cli_call(ctx, "container.rename", p, &result, &rc)) return rc;
  cJSON_Delete(result);
  return 0;
}

int cli_cmd_kill(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"signal", 's', true, O_SIGNAL}, {NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "kill", table, argc, argv, &o, &first);
  if (rc != 0) return rc;
  for (int i = first; i < argc; i++) {
    /* Docker refuses to kill a container that is not running; wctrd's kill would be a quiet no-op. */
    cJSON *record = NULL;
    int one = 0;
    if (!cli_call(ctx, "container.inspect", ref_params(argv[i]), &record, &one)) {
      rc = one;
      continue;
    }
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(record, "State");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(state, "Status");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(record, "Id");
    /* Docker's kill takes a paused container too (it is running) */
    bool running = cJSON_IsString(status) &&
                   (strcmp(status->valuestring, "running") == 0 || strcmp(status->valuestring, "paused") == 0);
    if (!running) {
      fprintf(ctx->p->err, "wctr: Cannot kill container: %s: Container %s is not running\n", argv[i],
              cJSON_IsString(id) ? id->valuestring : argv[i]);
      cJSON_Delete(record);
      rc = CLI_EXIT_ERROR;
      continue;
    }
    cJSON_Delete(record);
    cJSON *result = NULL;
    cJSON *p = ref_params(argv[i]);
    if (o.signal != NULL && o.signal[0] != '\0') cJSON_AddStringToObject(p, "Signal", o.signal);
    if (cli_call(ctx, "container.kill", p, &result, &one)) {
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  return rc;
}

int cli_cmd_rm(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 'f', false, O_FORCE}, {"volumes", 'v', false, O_VOLUME},
                                   {NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "rm", table, argc, argv, &o, &first);
  if (rc != 0) return rc;
  for (int i = first; i < argc; i++) {
    cJSON *p = ref_params(argv[i]);
    if (o.force) cJSON_AddBoolToObject(p, "Force", true);
    if (o.volumes) cJSON_AddBoolToObject(p, "RemoveVolumes", true);
    cJSON *result = NULL;
    int one = 0;
    wctr_errmsg e;
    if (cli_call_ex(ctx, "container.remove", p, &result, &one, &e)) {
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else if (o.force && e.code == WCTR_ENOENT) {
      /* rm -f of a container that is not there: nothing to do, and no error (docker rm -f). */
    } else {
      if (e.text[0] != '\0') fprintf(ctx->p->err, "wctr: %s\n", e.text);
      rc = one;
    }
    cJSON_Delete(result);
  }
  return rc;
}

/* --- ps ---------------------------------------------------------------------------------------------- */

int64_t cli_seconds_between(const char *a, const char *b) {
  int64_t ta = 0, tb = 0;
  int32_t na = 0, nb = 0;
  if (a == NULL || b == NULL || !docker_time_parse(a, &ta, &na) || !docker_time_parse(b, &tb, &nb)) return 0;
  return tb - ta - (nb < na ? 1 : 0);
}

static const char *field(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* Rows of a list: each a formatter context over fields (owned) with the Label method over labels. */
typedef struct rows {
  docker_tpl_object *objs;
  cJSON **fields;
  cJSON **sources; /* what each row was made from (owned; the labels point into it) */
  size_t n;
  size_t cap;
} rows;

static bool rows_add(rows *r, cJSON *fields, cJSON *source, const cJSON *labels, const char *type_name) {
  if (fields == NULL) {
    cJSON_Delete(source);
    return false;
  }
  if (r->n == r->cap) {
    size_t cap = r->cap == 0 ? 16 : r->cap * 2;
    docker_tpl_object *o = realloc(r->objs, cap * sizeof *o);
    if (o != NULL) r->objs = o;
    cJSON **f = realloc(r->fields, cap * sizeof *f);
    if (f != NULL) r->fields = f;
    cJSON **s = realloc(r->sources, cap * sizeof *s);
    if (s != NULL) r->sources = s;
    if (o == NULL || f == NULL || s == NULL) {
      cJSON_Delete(fields);
      cJSON_Delete(source);
      return false;
    }
    r->cap = cap;
  }
  r->fields[r->n] = fields;
  r->sources[r->n] = source;
  r->objs[r->n] = (docker_tpl_object){.type_name = type_name, .fields = fields, .methods = &cli_label_method,
                                   .method_count = labels != NULL ? 1 : 0, .self = labels};
  r->n++;
  return true;
}

static void rows_free(rows *r) {
  for (size_t i = 0; i < r->n; i++) {
    cJSON_Delete(r->fields[i]);
    cJSON_Delete(r->sources[i]);
  }
  free(r->objs);
  free(r->fields);
  free(r->sources);
  memset(r, 0, sizeof *r);
}

/* Fields are added in key order: that is the order {{json .}} prints them, as docker/cli's MarshalJSON. */
static cJSON *add_field(cJSON *fields, const char *key, const char *value) {
  if (fields != NULL && cJSON_AddStringToObject(fields, key, value) == NULL) {
    cJSON_Delete(fields);
    return NULL;
  }
  return fields;
}

/* docker/cli's ContainerContext (truncating, as docker ps by default) over a Docker container summary. */
static cJSON *container_fields(const cJSON *s, const char *now, bool trunc) {
  const char *id = field(s, "Id");
  const cJSON *names = cJSON_GetObjectItemCaseSensitive(s, "Names");
  const char *name = cJSON_IsArray(names) && cJSON_IsString(names->child) ? names->child->valuestring : "";
  if (name[0] == '/') name++;
  const cJSON *created = cJSON_GetObjectItemCaseSensitive(s, "Created");
  int64_t created_s = cJSON_IsNumber(created) ? (int64_t)created->valuedouble : 0;
  docker_buf cmd, quoted, mounts;
  docker_buf_init(&cmd, 0);
  docker_buf_init(&quoted, 0);
  docker_buf_init(&mounts, 0);
  if (trunc) cli_ellipsis(field(s, "Command"), 20, &cmd);
  else docker_buf_add(&cmd, field(s, "Command"), strlen(field(s, "Command")));
  docker_go_quote(&quoted, cmd.data != NULL ? cmd.data : "", cmd.len);
  const cJSON *m;
  int local = 0;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(s, "Mounts")) {
    const char *mname = field(m, "Name")[0] != '\0' ? field(m, "Name") : field(m, "Source");
    if (mounts.len > 0) docker_buf_addc(&mounts, ',');
    cli_ellipsis(mname, 15, &mounts);
    if (strcmp(field(m, "Driver"), "local") == 0) local++;
  }
  char created_at[64], running_for[96], short_id[16], locals[16];
  docker_time_go_string(created_s, created_at, sizeof created_at);
  int64_t now_s = 0;
  int32_t now_ns = 0;
  if (!docker_time_parse(now, &now_s, &now_ns)) now_s = created_s;
  cli_human_ago(now_s - created_s, running_for, sizeof running_for);
  snprintf(short_id, sizeof short_id, "%.12s", id);
  snprintf(locals, sizeof locals, "%d", local);
  const char *shown_id = trunc ? short_id : id;
  char *labels = cli_format_labels(cJSON_GetObjectItemCaseSensitive(s, "Labels"));
  const char *image = field(s, "Image");
  cJSON *f = cJSON_CreateObject();
  f = add_field(f, "Command", quoted.data != NULL ? quoted.data : "\"\"");
  f = add_field(f, "CreatedAt", created_at);
  f = add_field(f, "ID", shown_id);
  f = add_field(f, "Image", image[0] != '\0' ? image : "<no image>");
  f = add_field(f, "Labels", labels != NULL ? labels : "");
  f = add_field(f, "LocalVolumes", locals);
  f = add_field(f, "Mounts", mounts.data != NULL ? mounts.data : "");
  f = add_field(f, "Names", name);
  /* Docker's PORTS and NETWORKS columns. */
  char *ports = docker_ports_display(cJSON_GetObjectItemCaseSensitive(s, "Ports"));
  docker_buf nets;
  docker_buf_init(&nets, 0);
  const cJSON *nw;
  cJSON_ArrayForEach(nw, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "NetworkSettings"), "Networks")) {
    if (nets.len > 0) docker_buf_addc(&nets, ',');
    docker_buf_add(&nets, nw->string, strlen(nw->string));
  }
  f = add_field(f, "Networks", nets.data != NULL ? nets.data : "");
  f = add_field(f, "Ports", ports != NULL ? ports : "");
  if (ports == NULL || nets.failed) {
    cJSON_Delete(f);
    f = NULL;
  }
  free(ports);
  docker_buf_free(&nets);
  f = add_field(f, "RunningFor", running_for);
  /* docker/cli's Size: the writable layer, and "(virtual N)" when the root's size is known. */
  char size_text[64] = "0B";
  const cJSON *rw = cJSON_GetObjectItemCaseSensitive(s, "SizeRw");
  const cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(s, "SizeRootFs");
  docker_human_size(cJSON_IsNumber(rw) ? rw->valuedouble : 0, 3, size_text, sizeof size_text);
  if (cJSON_IsNumber(rootfs) && rootfs->valuedouble > 0) {
    char virt[32];
    docker_human_size(rootfs->valuedouble, 3, virt, sizeof virt);
    size_t used = strlen(size_text);
    snprintf(size_text + used, sizeof size_text - used, " (virtual %s)", virt);
  }
  f = add_field(f, "Size", size_text);
  f = add_field(f, "State", field(s, "State"));
  f = add_field(f, "Status", field(s, "Status"));
  if (cmd.failed || quoted.failed || mounts.failed || labels == NULL) {
    cJSON_Delete(f);
    f = NULL;
  }
  free(labels);
  docker_buf_free(&cmd);
  docker_buf_free(&quoted);
  docker_buf_free(&mounts);
  return f;
}

static const char container_headers[] =
    "{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\",\"Image\":\"IMAGE\",\"Command\":\"COMMAND\",\"CreatedAt\":\"CREATED AT\","
    "\"RunningFor\":\"CREATED\",\"Ports\":\"PORTS\",\"State\":\"STATE\",\"Status\":\"STATUS\",\"Size\":\"SIZE\","
    "\"Labels\":\"LABELS\",\"Mounts\":\"MOUNTS\",\"LocalVolumes\":\"LOCAL VOLUMES\",\"Networks\":\"NETWORKS\"}";

static const char ps_default[] =
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}";
static const char ps_default_size[] =
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t{{.Names}}\\t{{.Size}}";

typedef struct ps_opts {
  bool all;
  bool quiet;
  const char *format;
  bool size;     /* -s: the SIZE column */
  cJSON *filters; /* Docker's filter map, {"KEY": [values]}: wctrd checks and applies it */
  int64_t last;  /* -n: the last N created, any state; -1: every one */
  bool latest;   /* -l: the last one, unless -n says how many (docker/cli: only when last is -1) */
  bool no_trunc;
} ps_opts;

static bool ps_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  ps_opts *o = arg;
  if (id == O_ALL) o->all = wctr_opts_flag(v);
  if (id == O_QUIET) o->quiet = wctr_opts_flag(v);
  if (id == O_FORMAT) o->format = v;
  if (id == O_NO_TRUNC) o->no_trunc = wctr_opts_flag(v);
  if (id == O_LATEST) o->latest = wctr_opts_flag(v);
  if (id == O_LAST) {
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 0);
    if (v[0] == '\0' || *end != '\0' || errno != 0) {
      wctr_fail(e, WCTR_EINVAL, "invalid argument \"%s\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"%s\": %s", v,
                v, errno == ERANGE ? "value out of range" : "invalid syntax");
      return false;
    }
    o->last = n;
  }
  if (id == O_SIZE) o->size = wctr_opts_flag(v);
  if (id != O_FILTER) return true;
  /* docker/cli's filters.ParseFlag: KEY=VALUE, the key lowercased and trimmed; wctrd checks keys and values
   * (Docker's daemon texts). */
  const char *eq = strchr(v, '=');
  if (eq == NULL) {
    wctr_fail(e, WCTR_EINVAL, "bad format of filter (expected name=value)");
    return false;
  }
  char key[64];
  size_t kn = (size_t)(eq - v);
  while (kn > 0 && (v[kn - 1] == ' ' || v[kn - 1] == '\t')) kn--;
  size_t k0 = 0;
  while (k0 < kn && (v[k0] == ' ' || v[k0] == '\t')) k0++;
  snprintf(key, sizeof key, "%.*s", (int)(kn - k0), v + k0);
  for (char *k = key; *k != '\0'; k++) *k = (char)tolower((unsigned char)*k);
  const char *value = eq + 1;
  while (*value == ' ' || *value == '\t') value++;
  if (strcmp(key, "label") == 0 && (value[0] == '\0' || value[0] == '=')) {
    wctr_fail(e, WCTR_EINVAL, "--filter label=KEY or label=KEY=VALUE: the key is empty");
    return false;
  }
  cJSON *values = cJSON_GetObjectItemCaseSensitive(o->filters, key);
  if (values == NULL) values = cJSON_AddArrayToObject(o->filters, key);
  if (values != NULL) cJSON_AddItemToArray(values, cJSON_CreateString(value));
  return true;
}

/* Whether a format shows a container's mounts, which container.list does not carry: then each container's
 * record is read too. */
static bool wants_mounts(const char *format) {
  return format != NULL && (strstr(format, "Mounts") != NULL || strstr(format, "json") != NULL ||
                            strstr(format, "{{.}}") != NULL || strstr(format, "{{ . }}") != NULL);
}

/* container.list's entries by "Created" (ISO 8601 UTC: text order is time order), newest first; equal times
 * keep their order. */
static void sort_newest_first(cJSON *list) {
  int n = cJSON_GetArraySize(list);
  if (n < 2) return;
  cJSON **items = malloc((size_t)n * sizeof *items);
  if (items == NULL) return; /* the list as it came */
  for (int i = 0; i < n; i++) items[i] = cJSON_DetachItemFromArray(list, 0);
  for (int i = 1; i < n; i++) {
    cJSON *x = items[i];
    int k = i;
    while (k > 0 && strcmp(field(items[k - 1], "Created"), field(x, "Created")) < 0) {
      items[k] = items[k - 1];
      k--;
    }
    items[k] = x;
  }
  for (int i = 0; i < n; i++) cJSON_AddItemToArray(list, items[i]);
  free(items);
}

int cli_cmd_ps(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"all", 'a', false, O_ALL}, {"quiet", 'q', false, O_QUIET},
                                   {"filter", 'f', true, O_FILTER}, {"format", 0, true, O_FORMAT},
                                   {"last", 'n', true, O_LAST}, {"latest", 'l', false, O_LATEST},
                                   {"no-trunc", 0, false, O_NO_TRUNC}, {"size", 's', false, O_SIZE},
                                   {NULL, 0, false, 0}};
  ps_opts o = {.filters = cJSON_CreateObject(), .last = -1};
  int first = 0;
  int rc = cli_parse_args(ctx, "ps", table, argc, argv, ps_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "ps", argc - first, 0, 0, NULL);
  if (rc != 0) {
    cJSON_Delete(o.filters);
    return rc;
  }
  /* -l is read once the flags are all read: -l=false after -l undoes it, and -n wins over it in any order. */
  if (o.latest && o.last == -1) o.last = 1;
  cJSON *p = cJSON_CreateObject();
  /* -n/-l look at every container, whatever its state (Docker's daemon: a limit lists all). */
  cJSON_AddBoolToObject(p, "All", o.all || o.last > 0);
  if (o.filters != NULL && o.filters->child != NULL) {
    cJSON_AddItemToObject(p, "Filters", o.filters);
  } else {
    cJSON_Delete(o.filters);
  }
  /* docker/cli: a template that uses .Size asks for the sizes too (unless -q). */
  if (!o.quiet && o.format != NULL && strstr(o.format, ".Size") != NULL) o.size = true;
  if (o.size && !o.quiet) cJSON_AddBoolToObject(p, "Size", true);
  cJSON *list = NULL;
  if (!cli_call(ctx, "container.list", p, &list, &rc)) return rc;
  char now[40];
  cli_now(ctx, now, sizeof now);
  cli_format f;
  wctr_errmsg e;
  /* -q prints IDs, whatever --format says (docker/cli's NewContainerFormat). */
  const char *format = o.quiet ? "{{.ID}}" : o.format;
  /* -s adds the SIZE column to the default table (docker/cli's NewContainerFormat). */
  if (cli_format_compile(format, o.size ? ps_default_size : ps_default, &f, &e) != WCTR_OK) {
    cJSON_Delete(list);
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  bool enrich = !o.quiet && wants_mounts(o.format);
  rows r = {0};
  bool ok = true;
  /* Docker's order: the newest first (its daemon's list); -n keeps the first N of what the filters keep. */
  sort_newest_first(list);
  int64_t shown = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, list) {
    if (!ok) break;
    if (o.last > 0 && shown >= o.last) break;
    shown++;
    cJSON *record = NULL;
    wctr_errmsg ignored;
    if (enrich && cli_call_quiet(ctx, "container.inspect", ref_params(field(s, "Id")), &record, &ignored) != WCTR_OK) {
      record = NULL; /* removed meanwhile: its list entry still shows */
    }
    cJSON *summary = docker_container_summary(s, now);
    if (record != NULL && summary != NULL) {
      /* The list's entry is the row; the record adds what the list does not carry: the mounts. */
      cJSON *from_record = docker_container_summary(record, now);
      cJSON *mounts = cJSON_DetachItemFromObjectCaseSensitive(from_record, "Mounts");
      if (mounts != NULL) cJSON_ReplaceItemInObjectCaseSensitive(summary, "Mounts", mounts);
      cJSON_Delete(from_record);
    }
    cJSON_Delete(record);
    ok = summary != NULL && rows_add(&r, container_fields(summary, now, !o.no_trunc), summary,
                                     cJSON_GetObjectItemCaseSensitive(summary, "Labels"), "*formatter.ContainerContext");
  }
  rc = ok ? cli_print_list(ctx, &f, container_headers, r.objs, r.n) : CLI_EXIT_ERROR;
  if (!ok) fprintf(ctx->p->err, "wctr ps: out of memory\n");
  rows_free(&r);
  cli_format_free(&f);
  cJSON_Delete(list);
  return rc;
}

/* --- inspect, logs, wait, stats ------------------------------------------------------------------------ */

typedef struct inspect_opts {
  const char *format;
  const char *type;
} inspect_opts;

static bool inspect_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  inspect_opts *o = arg;
  if (id == O_FORMAT) o->format = v;
  if (id == O_TYPE) {
    if (strcmp(v, "container") != 0 && strcmp(v, "image") != 0) {
      wctr_fail(e, WCTR_EINVAL, "\"%s\" is not a valid value for --type: use container or image", v);
      return false;
    }
    o->type = v;
  }
  return true;
}

/* One object for inspect, in Docker's shape: a container, or (when allowed and there is no such
 * container) an image. NULL with e filled when there is neither. */
static cJSON *inspect_one(cli_ctx *ctx, const char *ref, const char *type, int *rc, wctr_errmsg *e) {
  cJSON *result = NULL;
  bool containers = type == NULL || strcmp(type, "container") == 0;
  bool images = type == NULL || strcmp(type, "image") == 0;
  if (containers) {
    if (cli_call_ex(ctx, "container.inspect", ref_params(ref), &result, rc, e)) {
      cJSON *shaped = docker_container_inspect(result);
      cJSON_Delete(result);
      if (shaped == NULL) wctr_fail(e, WCTR_ENOMEM, "out of memory");
      return shaped;
    }
    if (e->code != WCTR_ENOENT || !images) return NULL;
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", ref);
  wctr_errmsg ie;
  if (!cli_call_ex(ctx, "image.inspect", p, &result, rc, &ie)) {
    if (ie.code == WCTR_ENOENT) {
      wctr_fail(e, WCTR_ENOENT, "No such %s: %s", containers ? "object" : "image", ref);
    } else {
      *e = ie;
    }
    return NULL;
  }
  cJSON *shaped = docker_image_inspect(result);
  cJSON_Delete(result);
  if (shaped == NULL) wctr_fail(e, WCTR_ENOMEM, "out of memory");
  return shaped;
}

int cli_cmd_inspect(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 'f', true, O_FORMAT}, {"type", 0, true, O_TYPE}, {NULL, 0, false, 0}};
  inspect_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "inspect", table, argc, argv, inspect_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "inspect", argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  cli_inspect in;
  wctr_errmsg e;
  if (cli_inspect_begin(&in, o.format, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return e.code == WCTR_EINVAL ? CLI_EXIT_TEMPLATE : CLI_EXIT_ERROR;
  }
  /* Every name is tried; what failed is said after what was found (docker inspect). */
  docker_buf errors;
  docker_buf_init(&errors, 0);
  for (int i = first; i < argc; i++) {
    int one = 0;
    cJSON *shaped = inspect_one(ctx, argv[i], o.type, &one, &e);
    if (shaped == NULL && ctx->conn == NULL) {
      rc = one; /* wctrd cannot be reached: said already */
      break;
    }
    if (shaped == NULL || cli_inspect_add(&in, shaped, &e) != WCTR_OK) docker_buf_addf(&errors, "wctr: %s\n", e.text);
    cJSON_Delete(shaped);
  }
  return cli_inspect_print(ctx, &in, &errors, rc);
}

typedef struct logs_opts {
  bool details;
  bool follow;
  bool timestamps;
  int64_t tail;
  const char *since;
  const char *until;
} logs_opts;

static bool logs_opt(void *arg, int id, const char *value, wctr_errmsg *e) {
  logs_opts *o = arg;
  if (id == O_DETAILS) o->details = wctr_opts_flag(value);
  if (id == O_FOLLOW) o->follow = wctr_opts_flag(value);
  if (id == O_TIMESTAMPS) o->timestamps = wctr_opts_flag(value);
  if (id == O_SINCE) o->since = value;
  if (id == O_UNTIL) o->until = value;
  if (id == O_TAIL) {
    if (strcmp(value, "all") == 0) {
      o->tail = -1;
    } else if (parse_int(value, "--tail", 0, INT32_MAX, &o->tail, e) != WCTR_OK) {
      return false;
    }
  }
  return true;
}

int cli_cmd_logs(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"follow", 'f', false, O_FOLLOW}, {"timestamps", 't', false, O_TIMESTAMPS},
                                   {"tail", 'n', true, O_TAIL},           {"since", 0, true, O_SINCE},
                                   {"until", 0, true, O_UNTIL},           {"details", 0, false, O_DETAILS},
                                   {NULL, 0, false, 0}};
  logs_opts o = {.tail = -1};
  int first = 0;
  int rc = cli_parse_args(ctx, "logs", table, argc, argv, logs_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "logs", argc - first, 1, 1, NULL);
  if (rc != 0) return rc;
  /* docker/cli reads both as timetypes.GetTimestamp does; wctrd compares them with its log's own times. */
  char window[2][40] = {"", ""};
  const char *given[2] = {o.since, o.until};
  static const char *const names[2] = {"since", "until"};
  char now[40];
  cli_now(ctx, now, sizeof now);
  int64_t now_s = 0;
  int32_t now_ns = 0;
  if (!docker_time_parse(now, &now_s, &now_ns)) now_s = 0;
  for (int k = 0; k < 2; k++) {
    int64_t s = 0;
    int32_t ns = 0;
    if (given[k] == NULL) continue;
    if (!docker_timestamp(given[k], now_s, &s, &ns)) {
      fprintf(ctx->p->err, "wctr: invalid value for \"%s\": failed to parse value as time or duration: \"%s\"\n",
              names[k], given[k]);
      return CLI_EXIT_ERROR;
    }
    if (s == 0 && ns == 0) continue; /* Docker's 0: not set */
    char text[40];
    docker_time_rfc3339(s, 0, text, sizeof text);
    /* the log's form: nine digits of fraction */
    snprintf(window[k], sizeof window[k], "%.19s.%09dZ", text, (int)ns);
  }
  cJSON *p = ref_params(argv[first]);
  cJSON_AddNumberToObject(p, "Tail", (double)o.tail);
  if (window[0][0] != '\0') cJSON_AddStringToObject(p, "Since", window[0]);
  if (window[1][0] != '\0') cJSON_AddStringToObject(p, "Until", window[1]);
  cJSON_AddBoolToObject(p, "Follow", o.follow);
  cJSON_AddBoolToObject(p, "Timestamps", o.timestamps);
  if (o.details) cJSON_AddBoolToObject(p, "Details", true);
  cJSON *result = NULL;
  if (!cli_stream(ctx, "container.logs", p, write_frame, ctx, &result, &rc)) return rc;
  cJSON_Delete(result);
  return 0;
}

int cli_cmd_wait(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "wait", table, argc, argv, &o, &first);
  if (rc != 0) return rc;
  /* docker wait prints the codes and exits 0; only a container it cannot wait for makes it 1. */
  for (int i = first; i < argc; i++) {
    cJSON *result = NULL;
    int one = 0;
    if (cli_stream(ctx, "container.wait", ref_params(argv[i]), NULL, NULL, &result, &one)) {
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "StatusCode");
      fprintf(ctx->p->out, "%lld\n", cJSON_IsNumber(code) ? (long long)code->valuedouble : -1LL);
      fflush(ctx->p->out);
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  return rc;
}

/* --- port ----------------------------------------------------------------------------------------------- */

static int cmp_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "0.0.0.0:8080", or "[::]:8080" for an IPv6 host address. */
static void host_address(const cJSON *binding, char *out, size_t size) {
  const char *ip = field(binding, "HostIp");
  snprintf(out, size, strchr(ip, ':') != NULL ? "[%s]:%s" : "%s:%s", ip, field(binding, "HostPort"));
}

/* docker port: the container's published ports, "80/tcp -> 0.0.0.0:8080" each (sorted), or the host addresses
 * of one container port ("80" is 80/tcp). */
int cli_cmd_port(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = parse_refs(ctx, "port", table, argc, argv, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "port", argc - first, 1, 2, "CONTAINER [PRIVATE_PORT[/PROTO]]");
  if (rc != 0) return rc;
  char key[40] = "";
  if (argc - first == 2) {
    uint16_t port;
    spec_proto proto;
    const char *slash = strchr(argv[first + 1], '/');
    if (!spec_port_key_parse(argv[first + 1], &port, &proto) || (slash != NULL && slash[1] == '\0')) {
      fprintf(ctx->p->err, "Error: invalid port \"%s\": PORT or PORT/tcp or PORT/udp, a port from 1 to 65535\n",
              argv[first + 1]);
      return CLI_EXIT_ERROR;
    }
    snprintf(key, sizeof key, "%u/%s", (unsigned)port, spec_proto_name(proto));
  }
  cJSON *record = NULL;
  if (!cli_call(ctx, "container.inspect", ref_params(argv[first]), &record, &rc)) return rc;
  cJSON *shaped = docker_container_inspect(record);
  cJSON_Delete(record);
  const cJSON *ports = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(shaped, "NetworkSettings"), "Ports");
  size_t n = 0, cap = 16;
  char **lines = calloc(cap, sizeof *lines);
  bool ok = shaped != NULL && lines != NULL;
  const cJSON *m;
  cJSON_ArrayForEach(m, ports) {
    if (!ok || (key[0] != '\0' && strcmp(m->string, key) != 0)) continue;
    const cJSON *b;
    cJSON_ArrayForEach(b, m) {
      char addr[80], line[160];
      host_address(b, addr, sizeof addr);
      if (key[0] != '\0') {
        snprintf(line, sizeof line, "%s", addr);
      } else {
        snprintf(line, sizeof line, "%s -> %s", m->string, addr);
      }
      if (n == cap) {
        char **grown = realloc(lines, 2 * cap * sizeof *lines);
        if (grown == NULL) {
          ok = false;
          break;
        }
        lines = grown;
        cap *= 2;
      }
      lines[n] = strdup(line);
      ok = ok && lines[n] != NULL;
      if (lines[n] != NULL) n++;
    }
  }
  if (ok && key[0] == '\0' && n > 1) qsort(lines, n, sizeof *lines, cmp_text);
  for (size_t i = 0; ok && i < n; i++) fprintf(ctx->p->out, "%s\n", lines[i]);
  if (!ok) {
    fprintf(ctx->p->err, "wctr port: out of memory\n");
    rc = CLI_EXIT_ERROR;
  } else if (key[0] != '\0' && n == 0) {
    fprintf(ctx->p->err, "Error: No public port '%s' published for %s\n", key, argv[first]);
    rc = CLI_EXIT_ERROR;
  }
  for (size_t i = 0; i < n; i++) free(lines[i]);
  free(lines);
  cJSON_Delete(shaped);
  return rc;
}

/* go-units BytesSize: binary units, 4 significant digits ("1.5MiB"), as docker stats shows memory. */
static void bytes_size(double v, char *out, size_t size) {
  static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  size_t i = 0;
  while (v >= 1024.0 && i + 1 < sizeof units / sizeof units[0]) {
    v /= 1024.0;
    i++;
  }
  snprintf(out, size, "%.4g%s", v, units[i]);
}

static double num_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* docker/cli's statsContext over wctrd's container.stats answer; given is the name the user gave. */
static cJSON *stats_fields(const cJSON *s, const char *given) {
  double usage = num_of(s, "MemoryUsage") > 0 ? num_of(s, "MemoryUsage") : num_of(s, "MemoryPeak");
  double limit = num_of(s, "MemoryLimit");
  char mem[64], memu[32], meml[32], pct[32], cpu[32], blk[80], rd[32], wr[32], pids[32], id[16];
  bytes_size(usage, memu, sizeof memu);
  if (limit > 0) bytes_size(limit, meml, sizeof meml);
  snprintf(mem, sizeof mem, "%s / %s", memu, limit > 0 ? meml : "--");
  if (limit > 0) {
    snprintf(pct, sizeof pct, "%.2f%%", 100.0 * usage / limit);
  } else {
    snprintf(pct, sizeof pct, "--");
  }
  snprintf(cpu, sizeof cpu, "%.2f%%", num_of(s, "CPUPercent"));
  cli_human_size(num_of(s, "ReadBytes"), rd, sizeof rd);
  cli_human_size(num_of(s, "WriteBytes"), wr, sizeof wr);
  snprintf(blk, sizeof blk, "%s / %s", rd, wr);
  snprintf(pids, sizeof pids, "%lld", (long long)num_of(s, "Processes"));
  snprintf(id, sizeof id, "%.12s", field(s, "Id"));
  const char *name = field(s, "Name");
  cJSON *f = cJSON_CreateObject();
  f = add_field(f, "BlockIO", blk);
  f = add_field(f, "CPUPerc", cpu);
  f = add_field(f, "Container", given);
  f = add_field(f, "ID", id);
  f = add_field(f, "MemPerc", pct);
  f = add_field(f, "MemUsage", mem);
  f = add_field(f, "Name", name[0] != '\0' ? name : "--");
  f = add_field(f, "NetIO", "--");
  f = add_field(f, "PIDs", pids);
  /* Windows' column (docker/cli's PrivateWorkingSet, units.BytesSize): the memory wctrd reads for the container */
  f = add_field(f, "PrivateWorkingSet", memu);
  return f;
}

static const char stats_headers[] =
    "{\"Container\":\"CONTAINER\",\"ID\":\"CONTAINER ID\",\"Name\":\"NAME\",\"CPUPerc\":\"CPU %\","
    "\"MemUsage\":\"MEM USAGE / LIMIT\",\"MemPerc\":\"MEM %\",\"NetIO\":\"NET I/O\",\"BlockIO\":\"BLOCK I/O\","
    "\"PIDs\":\"PIDS\",\"PrivateWorkingSet\":\"PRIV WORKING SET\"}";

/* docker/cli's default for a Windows daemon (winDefaultStatsTableFormat), with --no-stream and without. */
static const char stats_default[] =
    "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.PrivateWorkingSet}}\\t{{.NetIO}}\\t{{.BlockIO}}";

typedef struct stats_opts {
  bool no_stream;
  bool all;
  const char *format;
} stats_opts;

static bool stats_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  stats_opts *o = arg;
  if (id == O_NO_STREAM) o->no_stream = wctr_opts_flag(v);
  if (id == O_ALL) o->all = wctr_opts_flag(v);
  if (id == O_FORMAT) o->format = v;
  return true;
}

/* One table of the containers named (or listed: the running ones, every one with -a), each a container.stats
 * (CPU % over wctrd's own two samples); a container that cannot be read is reported and makes *rc 1. */
static int stats_table(cli_ctx *ctx, const cli_format *f, char **names, int count, bool all, int *rc) {
  cJSON *refs = cJSON_CreateArray();
  if (count > 0) {
    for (int i = 0; i < count; i++) cJSON_AddItemToArray(refs, cJSON_CreateString(names[i]));
  } else {
    cJSON *list = NULL;
    cJSON *p = NULL;
    if (all) {
      p = cJSON_CreateObject();
      cJSON_AddTrueToObject(p, "All");
    }
    if (!cli_call(ctx, "container.list", p, &list, rc)) {
      cJSON_Delete(refs);
      return *rc;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, list) cJSON_AddItemToArray(refs, cJSON_CreateString(field(s, "Id")));
    cJSON_Delete(list);
  }
  rows r = {0};
  const cJSON *ref;
  bool ok = true;
  cJSON_ArrayForEach(ref, refs) {
    cJSON *s = NULL;
    int one = 0;
    if (!cli_call(ctx, "container.stats", ref_params(ref->valuestring), &s, &one)) {
      *rc = one;
      continue;
    }
    ok = ok && rows_add(&r, stats_fields(s, count > 0 ? ref->valuestring : field(s, "Id")), s, NULL,
                        "*container.statsContext");
    if (!ok) break;
  }
  int printed = ok ? cli_print_list(ctx, f, stats_headers, r.objs, r.n) : CLI_EXIT_ERROR;
  if (printed != 0) *rc = printed;
  rows_free(&r);
  cJSON_Delete(refs);
  return printed;
}

static bool stats_interrupted(cli_ctx *ctx) {
  return ctx->p->interrupted != NULL && ctx->p->interrupted(ctx->p->ctx);
}

int cli_cmd_stats(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"no-stream", 0, false, O_NO_STREAM}, {"format", 0, true, O_FORMAT},
                                   {"all", 'a', false, O_ALL}, {NULL, 0, false, 0}};
  stats_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "stats", table, argc, argv, stats_opt, &o, &first);
  if (rc != 0) return rc;
  cli_format f;
  wctr_errmsg e;
  if (cli_format_compile(o.format, stats_default, &f, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  if (o.no_stream) {
    stats_table(ctx, &f, argv + first, argc - first, o.all, &rc);
    cli_format_free(&f);
    return rc;
  }
  /* Streaming, as docker stats: a new table every second - on a console the screen is cleared and the table
   * drawn at the top, otherwise the tables follow one another - until Ctrl+C, which ends it with 0. Each table
   * is read afresh (wctrd's container.stats: the same operation the Engine API streams), so containers that
   * start or stop show up. A table that cannot be printed (a bad template) ends it with its code. */
  bool console = ctx->p->is_terminal != NULL && ctx->p->is_terminal(ctx->p->ctx, ctx->p->out);
  for (;;) {
    if (console) fputs("\x1b[2J\x1b[H", ctx->p->out);
    int one = 0;
    int printed = stats_table(ctx, &f, argv + first, argc - first, o.all, &one);
    fflush(ctx->p->out);
    if (printed != 0) {
      rc = printed;
      break;
    }
    bool stop = stats_interrupted(ctx);
    for (int i = 0; i < 10 && !stop; i++) {
      wctr_sleep_ms(100);
      stop = stats_interrupted(ctx);
    }
    if (stop) {
      rc = 0;
      break;
    }
  }
  cli_format_free(&f);
  return rc;
}

/* --- update, events ------------------------------------------------------------------------------------ */

static bool update_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  cJSON *changes = arg;
  if (id < O_RESOURCE || (size_t)(id - O_RESOURCE) >= spec_resource_field_count) return true;
  const spec_resource_field *f = &spec_resource_fields[id - O_RESOURCE];
  int64_t n = 0;
  /* Every whole number a DWORD-sized limit can take (and one more), so that wctrd's checks, which see the
   * whole set of limits, are the ones that refuse. */
  if (resource_value(f, v, INT32_MIN, UINT32_MAX + INT64_C(1), &n, e) != WCTR_OK) return false;
  set_item(changes, f->wire, cJSON_CreateNumber((double)n));
  return true;
}

int cli_cmd_update(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt none[] = {{NULL, 0, false, 0}};
  wctr_opt table[16];
  options_with_resources(none, table, sizeof table / sizeof table[0]);
  cJSON *changes = cJSON_CreateObject();
  int first = 0;
  int rc = cli_parse_args(ctx, "update", table, argc, argv, update_opt, changes, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "update", argc - first, 1, -1, NULL);
  if (rc == 0 && changes->child == NULL) {
    rc = cli_usage_error(ctx, "update", "you must provide one or more flags when using this command");
  }
  if (rc != 0) {
    cJSON_Delete(changes);
    return rc;
  }
  for (int i = first; i < argc; i++) {
    cJSON *p = cJSON_Duplicate(changes, true);
    cJSON_AddStringToObject(p, "Id", argv[i]);
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, "container.update", p, &result, &one)) {
      print_warnings(ctx, result);
      fprintf(ctx->p->out, "%s\n", argv[i]);
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  cJSON_Delete(changes);
  return rc;
}

typedef struct events_out {
  cli_ctx *ctx;
  docker_tpl *tpl;
  bool failed;
  char error[600];
} events_out;

/* docker events' line: TIME TYPE ACTION ID (attributes sorted, k=v, comma-separated). */
static void pretty_event(FILE *f, const cJSON *ev) {
  const cJSON *nano = cJSON_GetObjectItemCaseSensitive(ev, "timeNano");
  long long ns = cJSON_IsRaw(nano) && nano->valuestring != NULL ? strtoll(nano->valuestring, NULL, 10) : 0;
  char when[64];
  int64_t secs = ns / 1000000000LL;
  docker_time_rfc3339(secs, 0, when, sizeof when);
  size_t n = strlen(when);
  if (n > 0 && when[n - 1] == 'Z') when[n - 1] = '\0';
  const cJSON *actor = cJSON_GetObjectItemCaseSensitive(ev, "Actor");
  fprintf(f, "%s.%09lldZ %s %s %s", when, ns % 1000000000LL, field(ev, "Type"), field(ev, "Action"), field(actor, "ID"));
  char *attrs = cli_format_labels(cJSON_GetObjectItemCaseSensitive(actor, "Attributes"));
  if (attrs != NULL && attrs[0] != '\0') {
    fputs(" (", f);
    for (const char *p = attrs; *p != '\0'; p++) {
      if (*p == ',') {
        fputs(", ", f);
      } else {
        fputc(*p, f);
      }
    }
    fputc(')', f);
  }
  free(attrs);
  fputc('\n', f);
}

static void print_event(void *arg, const char *kind, const cJSON *data) {
  events_out *o = arg;
  if (strcmp(kind, "event") != 0 || o->failed) return;
  cJSON *ev = docker_event(data);
  if (ev == NULL) return;
  FILE *f = o->ctx->p->out;
  if (o->tpl == NULL) {
    pretty_event(f, ev);
  } else {
    docker_buf out;
    docker_buf_init(&out, 0);
    wctr_errmsg e;
    if (cli_format_template(o->tpl, ev, &out, &e) == WCTR_OK) {
      cli_print_buf(f, out.data, out.len);
    } else {
      o->failed = true;
      snprintf(o->error, sizeof o->error, "%s", e.text);
    }
    docker_buf_free(&out);
  }
  cJSON_Delete(ev);
  fflush(f);
}

static bool events_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  if (id == O_FORMAT) *(const char **)arg = v;
  return true;
}

int cli_cmd_events(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 'f', true, O_FORMAT}, {NULL, 0, false, 0}};
  const char *format = NULL;
  int first = 0;
  int rc = cli_parse_args(ctx, "events", table, argc, argv, events_opt, &format, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "events", argc - first, 0, 0, NULL);
  if (rc != 0) return rc;
  events_out o = {.ctx = ctx};
  wctr_errmsg e;
  if (format != NULL) {
    /* docker events checks the template on an empty event before it connects: status 64 either way. */
    if (cli_format_parse_plain(format, &o.tpl, &e) != WCTR_OK) {
      fprintf(ctx->p->err, "%s\n", e.text);
      return e.code == WCTR_EINVAL ? CLI_EXIT_TEMPLATE : CLI_EXIT_ERROR;
    }
    cJSON *empty = cJSON_CreateObject();
    cJSON *probe = docker_event(empty);
    docker_buf sink;
    docker_buf_init(&sink, 0);
    wctr_err err = probe != NULL ? cli_format_template(o.tpl, probe, &sink, &e) : WCTR_OK;
    docker_buf_free(&sink);
    cJSON_Delete(probe);
    cJSON_Delete(empty);
    if (err != WCTR_OK) {
      fprintf(ctx->p->err, "Error parsing format: %s\n", e.text);
      docker_tpl_free(o.tpl);
      return CLI_EXIT_TEMPLATE;
    }
  }
  cJSON *result = NULL;
  bool ok = cli_stream(ctx, "events", NULL, print_event, &o, &result, &rc);
  cJSON_Delete(result);
  docker_tpl_free(o.tpl);
  if (o.failed) {
    fprintf(ctx->p->err, "%s\n", o.error);
    return CLI_EXIT_ERROR;
  }
  return ok ? 0 : rc;
}

typedef struct cprune_opts {
  bool force;
  cJSON *labels; /* --filter label=... */
} cprune_opts;

static bool cprune_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  cprune_opts *o = arg;
  if (id == O_FORCE) o->force = wctr_opts_flag(v);
  if (id == O_FILTER) {
    if (strncmp(v, "label=", 6) != 0) {
      wctr_fail(e, WCTR_EINVAL, "invalid filter '%s': container prune takes label=KEY[=VALUE]", v);
      return false;
    }
    if (o->labels == NULL) o->labels = cJSON_CreateArray();
    cJSON_AddItemToArray(o->labels, cJSON_CreateString(v + 6));
  }
  return true;
}

/* docker container prune: every stopped container (exited or created) removed, after Docker's question
 * unless -f; "Deleted Containers:" with their ids, then "Total reclaimed space:" (wctr does not measure a
 * container's writable layer: 0B). One that cannot be removed is reported and makes the exit code 1. */
static int cmd_container_prune(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 'f', false, O_FORCE}, {"filter", 0, true, O_FILTER}, {NULL, 0, false, 0}};
  cprune_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "container prune", table, argc, argv, cprune_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "container prune", argc - first, 0, 0, NULL);
  if (rc != 0) {
    cJSON_Delete(o.labels);
    return rc;
  }
  if (!o.force) {
    fputs("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ", ctx->p->out);
    fflush(ctx->p->out);
    char answer[16] = "";
    if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) {
      cJSON_Delete(o.labels);
      return 0;
    }
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  if (o.labels != NULL) {
    cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "Filters"), "label", o.labels);
  }
  cJSON *list = NULL;
  if (!cli_call(ctx, "container.list", p, &list, &rc)) return rc;
  bool any = false;
  const cJSON *c;
  cJSON_ArrayForEach(c, list) {
    const char *state = field(c, "State");
    if (strcmp(state, "exited") != 0 && strcmp(state, "created") != 0) continue;
    cJSON *result = NULL;
    int one = 0;
    if (cli_call(ctx, "container.remove", ref_params(field(c, "Id")), &result, &one)) {
      if (!any) fputs("Deleted Containers:\n", ctx->p->out);
      any = true;
      fprintf(ctx->p->out, "%s\n", field(c, "Id"));
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  if (any) fputc('\n', ctx->p->out);
  fputs("Total reclaimed space: 0B\n", ctx->p->out);
  cJSON_Delete(list);
  return rc;
}

/* docker container SUB: the management form of the container commands, each as its top-level command
 * (docker's "container ls" is "ps"; "container list" and "container remove" are its aliases too). */
int cli_cmd_container(cli_ctx *ctx, int argc, char **argv) {
  static const struct {
    const char *sub;
    int (*fn)(cli_ctx *, int, char **);
  } subs[] = {
      {"ls", cli_cmd_ps},           {"list", cli_cmd_ps},       {"ps", cli_cmd_ps},         {"run", cli_cmd_run},
      {"create", cli_cmd_create},   {"start", cli_cmd_start},   {"stop", cli_cmd_stop},     {"restart", cli_cmd_restart},
      {"kill", cli_cmd_kill},       {"rm", cli_cmd_rm},         {"remove", cli_cmd_rm},     {"rename", cli_cmd_rename},
      {"inspect", cli_cmd_inspect}, {"logs", cli_cmd_logs},     {"exec", cli_cmd_exec},     {"wait", cli_cmd_wait},
      {"stats", cli_cmd_stats},     {"update", cli_cmd_update}, {"top", cli_cmd_top},
      {"pause", cli_cmd_pause},     {"unpause", cli_cmd_unpause}, {"cp", cli_cmd_cp},
  };
  if (argc < 2) {
    fputs(cli_container_usage, ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  if (strcmp(argv[1], "prune") == 0) return cmd_container_prune(ctx, argc - 1, argv + 1);
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    if (strcmp(argv[1], subs[i].sub) == 0) return subs[i].fn(ctx, argc - 1, argv + 1);
  }
  fprintf(ctx->p->err, "wctr container: unknown command \"%s\"\n\n%s", argv[1], cli_container_usage);
  return CLI_EXIT_ERROR;
}

/* docker top on Windows (moby's daemon/top_windows.go, the CLI's tabwriter of minwidth 20, padding 3): Name,
 * PID, CPU (kernel + user time as HH:MM:SS.mmm), Private Working Set (units.HumanSize); ps options are refused
 * as Docker's Windows daemon refuses them. */
int cli_cmd_top(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  ref_opts o = {.time = -1};
  int first = 0;
  int rc = cli_parse_args(ctx, "top", table, argc, argv, ref_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "top", argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  if (argc - first > 1) {
    fprintf(ctx->p->err, "wctr: Windows does not support arguments to top\n");
    return CLI_EXIT_ERROR;
  }
  cJSON *result = NULL;
  if (!cli_call(ctx, "container.top", ref_params(argv[first]), &result, &rc)) return rc;
  enum { COLS = 4 };
  static const char *const titles[COLS] = {"Name", "PID", "CPU", "Private Working Set"};
  const cJSON *procs = cJSON_GetObjectItemCaseSensitive(result, "Processes");
  size_t n = (size_t)cJSON_GetArraySize(procs);
  char (*cells)[COLS][64] = calloc(n + 1, sizeof *cells);
  if (cells == NULL) {
    cJSON_Delete(result);
    fprintf(ctx->p->err, "wctr: out of memory\n");
    return CLI_EXIT_ERROR;
  }
  for (int k = 0; k < COLS; k++) snprintf(cells[0][k], sizeof cells[0][k], "%s", titles[k]);
  size_t row = 1;
  const cJSON *p;
  cJSON_ArrayForEach(p, procs) {
    uint64_t t100 = (uint64_t)num_of(p, "KernelTime100ns") + (uint64_t)num_of(p, "UserTime100ns");
    uint64_t ms = t100 / 10000;
    snprintf(cells[row][0], sizeof cells[row][0], "%s", field(p, "ImageName"));
    snprintf(cells[row][1], sizeof cells[row][1], "%.0f", num_of(p, "ProcessId"));
    snprintf(cells[row][2], sizeof cells[row][2], "%02llu:%02llu:%02llu.%03llu", (unsigned long long)(ms / 3600000),
             (unsigned long long)(ms / 60000 % 60), (unsigned long long)(ms / 1000 % 60), (unsigned long long)(ms % 1000));
    docker_human_size(num_of(p, "MemoryWorkingSetPrivateBytes"), 4, cells[row][3], sizeof cells[row][3]);
    row++;
  }
  /* docker/cli's tabwriter.NewWriter(out, 20, 1, 3, ' ', 0) */
  docker_buf text, out;
  docker_buf_init(&text, 0);
  docker_buf_init(&out, 0);
  for (size_t r = 0; r < row; r++) {
    docker_buf_addf(&text, "%s\t%s\t%s\t%s\n", cells[r][0], cells[r][1], cells[r][2], cells[r][3]);
  }
  docker_tabwrite(text.data, text.len, 20, 3, &out);
  rc = text.failed || out.failed ? CLI_EXIT_ERROR : 0;
  if (rc == 0) {
    cli_print_buf(ctx->p->out, out.data, out.len);
  } else {
    fprintf(ctx->p->err, "wctr: out of memory\n");
  }
  docker_buf_free(&text);
  docker_buf_free(&out);
  free(cells);
  cJSON_Delete(result);
  return rc;
}
