/* spec/container.c - a container spec from create params and back, copies and release (portable; spec.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "spec/names.h"
#include "spec/text.h"
#include "spec/spec_internal.h"

/* Room for the resource table's wire names among HostConfig's keys (the table has 8; tests/spec checks it
 * against the struct). */
#define MAX_RESOURCE_FIELDS 16
/* Room for spec/network.h's keys (Config's and HostConfig's). */
#define MAX_NETWORK_KEYS 8

/* --- release and copy -------------------------------------------------------------------------------- */

void spec_free(spec_container *s) {
  if (s == NULL) return;
  free(s->image);
  spec_strings_free(s->process.cmd, s->process.cmd_count, false);
  spec_strings_free(s->process.env, s->process.env_count, false);
  free(s->process.working_dir);
  free(s->process.user);
  free(s->hostname);
  spec_strings_free(s->binds, s->bind_count, false);
  spec_strings_free(s->health.test, s->health.test_count, false);
  spec_labels_free(&s->labels);
  spec_labels_free(&s->log.opts);
  /* A raw:// option is the credential spec itself. */
  spec_strings_free(s->security_opt, s->security_opt_count, true);
  free(s->credspec_source);
  spec_secret_str_free(s->credspec_json);
  free(s->secrets);
  spec_network_free(&s->net);
  memset(s, 0, sizeof *s);
}

/* A copy of s into *out (NULL stays NULL); false when out of memory. */
static bool copy_str(const char *s, char **out) {
  *out = NULL;
  if (s == NULL) return true;
  *out = spec_strdup(s);
  return *out != NULL;
}

wctr_err spec_copy(const spec_container *from, spec_container *to, wctr_errmsg *e) {
  spec_container c;
  memset(&c, 0, sizeof c);
  if (from == NULL || to == NULL) return wctr_fail(e, WCTR_EINVAL, "spec_copy: from and to must not be NULL");
  c.isolation = from->isolation;
  c.resources = from->resources;
  c.auto_remove = from->auto_remove;
  c.stop_timeout = from->stop_timeout;
  c.restart = from->restart;
  c.health.interval_ns = from->health.interval_ns;
  c.health.timeout_ns = from->health.timeout_ns;
  c.health.start_period_ns = from->health.start_period_ns;
  c.health.retries = from->health.retries;
  c.process.tty = from->process.tty;
  c.process.entrypoint_set = from->process.entrypoint_set;
  c.process.entrypoint_count = from->process.entrypoint_count;
  c.process.open_stdin = from->process.open_stdin;
  c.process.stdin_once = from->process.stdin_once;
  /* Each count is set once its list exists, so spec_free releases exactly what was copied. */
  bool ok = copy_str(from->image, &c.image) && copy_str(from->process.working_dir, &c.process.working_dir) &&
            copy_str(from->process.user, &c.process.user) && copy_str(from->hostname, &c.hostname) &&
            copy_str(from->credspec_source, &c.credspec_source) && copy_str(from->credspec_json, &c.credspec_json) &&
            spec_labels_copy(&from->labels, &c.labels) && spec_labels_copy(&from->log.opts, &c.log.opts);
  if (ok && spec_strings_copy(from->process.cmd, from->process.cmd_count, &c.process.cmd)) {
    c.process.cmd_count = from->process.cmd_count;
  } else {
    ok = false;
  }
  if (ok && spec_strings_copy(from->process.env, from->process.env_count, &c.process.env)) {
    c.process.env_count = from->process.env_count;
  } else {
    ok = false;
  }
  if (ok && spec_strings_copy(from->binds, from->bind_count, &c.binds)) {
    c.bind_count = from->bind_count;
  } else {
    ok = false;
  }
  if (ok && spec_strings_copy(from->health.test, from->health.test_count, &c.health.test)) {
    c.health.test_count = from->health.test_count;
  } else {
    ok = false;
  }
  if (ok && spec_strings_copy(from->security_opt, from->security_opt_count, &c.security_opt)) {
    c.security_opt_count = from->security_opt_count;
  } else {
    ok = false;
  }
  ok = ok && spec_network_copy(&from->net, &c.net);
  if (ok && from->secret_count > 0) {
    c.secrets = malloc(from->secret_count * sizeof *c.secrets);
    ok = c.secrets != NULL;
    if (ok) {
      memcpy(c.secrets, from->secrets, from->secret_count * sizeof *c.secrets);
      c.secret_count = from->secret_count;
    }
  }
  if (!ok) {
    spec_free(&c);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  spec_security_opt_relink(&c);
  *to = c;
  return WCTR_OK;
}

/* --- reading ----------------------------------------------------------------------------------------- */

/* Copies a JSON array of strings (obj[key]); non_empty: at least one when given. */
static wctr_err string_list(const cJSON *obj, const char *key, const char *where, bool non_empty, char ***out,
                            size_t *count, wctr_errmsg *e) {
  const cJSON *arr = NULL;
  wctr_err err = wctr_json_get_string_array(obj, key, where, false, &arr, e);
  if (err != WCTR_OK || arr == NULL) return err;
  int n = cJSON_GetArraySize(arr);
  if (non_empty && n == 0) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" cannot be empty", where, key);
  char **list = calloc((size_t)n + 1, sizeof *list);
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  int i = 0;
  for (const cJSON *item = arr->child; item != NULL && i < n; item = item->next, i++) {
    list[i] = spec_strdup(item->valuestring);
    if (list[i] == NULL) {
      spec_strings_free(list, (size_t)i, false);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  *out = list;
  *count = (size_t)n;
  return WCTR_OK;
}

/* Docker's Entrypoint (moby's merge and its reset of [""]): its words go before Cmd's in p->cmd. */
static wctr_err entrypoint_from_json(const cJSON *params, const char *where, spec_process *p, wctr_errmsg *e) {
  char **entry = NULL;
  size_t n = 0;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "Entrypoint");
  if (v == NULL || cJSON_IsNull(v)) return WCTR_OK;
  wctr_err err = string_list(params, "Entrypoint", where, false, &entry, &n, e);
  if (err != WCTR_OK) return err;
  if (entry == NULL || n == 0) {
    spec_strings_free(entry, n, false);
    return wctr_fail(e, WCTR_EINVAL,
                     "%s: \"Entrypoint\" []: Docker would run the image's Cmd without its Entrypoint, and wctr keeps "
                     "an image's Entrypoint and Cmd as one command; give the command (Cmd), or [\"\"] with it", where);
  }
  if (n == 1 && entry[0][0] == '\0') {
    spec_strings_free(entry, n, false);
    entry = NULL;
    n = 0;
  }
  if (n + p->cmd_count == 0) {
    spec_strings_free(entry, n, false);
    return wctr_fail(e, WCTR_EINVAL, "No command specified");
  }
  char **all = calloc(n + p->cmd_count + 1, sizeof *all);
  if (all == NULL) {
    spec_strings_free(entry, n, false);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < n; i++) all[i] = entry[i];
  for (size_t i = 0; i < p->cmd_count; i++) all[n + i] = p->cmd[i];
  free(entry);
  free(p->cmd);
  p->cmd = all;
  p->cmd_count += n;
  p->entrypoint_set = true;
  p->entrypoint_count = n;
  return WCTR_OK;
}

static wctr_err check_env(char **env, size_t count, const char *where, wctr_errmsg *e) {
  for (size_t i = 0; i < count; i++) {
    const char *eq = strchr(env[i], '=');
    if (eq == NULL || eq == env[i]) {
      return wctr_fail(e, WCTR_EINVAL, "%s: \"Env\"[%zu] \"%s\" must be KEY=VALUE with a non-empty KEY", where, i,
                       env[i]);
    }
  }
  return WCTR_OK;
}

/* A NetBIOS-compatible DNS label: Windows truncates longer computer names. */
static bool hostname_valid(const char *h) {
  size_t n = strlen(h);
  if (n == 0 || n > 63 || h[0] == '-' || h[n - 1] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    if (!isalnum((unsigned char)h[i]) && h[i] != '-') return false;
  }
  return true;
}

static wctr_err parse_restart(const cJSON *hc, const char *hc_where, spec_container *s, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "MaximumRetryCount", NULL};
  const cJSON *rp = NULL;
  const char *name = NULL;
  int64_t max = 0;
  char where[96];
  wctr_err err = wctr_json_get_object(hc, "RestartPolicy", hc_where, false, &rp, e);
  if (err != WCTR_OK || rp == NULL) return err;
  snprintf(where, sizeof where, "%.70s.RestartPolicy", hc_where);
  if (wctr_json_check_keys(rp, where, keys, e) != WCTR_OK ||
      wctr_json_get_string(rp, "Name", where, false, &name, e) != WCTR_OK ||
      wctr_json_get_int64(rp, "MaximumRetryCount", where, false, INT32_MIN, INT32_MAX, &max, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  if (name == NULL) name = "";
  /* Docker's messages (runconfig / daemon). */
  if (!spec_restart_name_parse(name, &s->restart.name)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid restart policy '%.64s'", name);
  }
  if (max < 0) return wctr_fail(e, WCTR_EINVAL, "maximum retry count cannot be negative");
  if (max > 0 && s->restart.name != SPEC_RESTART_ON_FAILURE) {
    return wctr_fail(e, WCTR_EINVAL, "maximum retry count cannot be used with restart policy '%s'", name);
  }
  if (s->auto_remove && s->restart.name != SPEC_RESTART_NO) {
    return wctr_fail(e, WCTR_EINVAL, "can't create 'AutoRemove' container with restart policy");
  }
  s->restart.max_retries = max;
  return WCTR_OK;
}

static wctr_err parse_host_config(const cJSON *hc, const char *where, spec_container *s, wctr_errmsg *e) {
  /* The keys: Isolation, the resource table's wire names, then the rest. */
  static const char *const others[] = {"Isolation", "AutoRemove", "Binds", "RestartPolicy", "SecurityOpt", "LogConfig"};
  const char *keys[sizeof others / sizeof others[0] + MAX_RESOURCE_FIELDS + MAX_NETWORK_KEYS + 1];
  size_t k = 0;
  keys[k++] = others[0];
  for (size_t i = 0; i < spec_resource_field_count && i < MAX_RESOURCE_FIELDS; i++) {
    keys[k++] = spec_resource_fields[i].wire;
  }
  for (size_t i = 1; i < sizeof others / sizeof others[0]; i++) keys[k++] = others[i];
  for (size_t i = 0; spec_network_host_config_keys[i] != NULL && i < MAX_NETWORK_KEYS; i++) {
    keys[k++] = spec_network_host_config_keys[i];
  }
  keys[k] = NULL;
  const char *isolation = NULL;
  if (wctr_json_check_keys(hc, where, keys, e) != WCTR_OK ||
      wctr_json_get_string(hc, "Isolation", where, false, &isolation, e) != WCTR_OK ||
      spec_resources_from_json(hc, where, &s->resources, e) != WCTR_OK ||
      wctr_json_get_bool(hc, "AutoRemove", where, false, &s->auto_remove, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  s->isolation = WCTR_ISOLATION_DEFAULT;
  if (isolation != NULL && spec_isolation_parse(isolation, &s->isolation, e) != WCTR_OK) return WCTR_EINVAL;
  wctr_err err = string_list(hc, "Binds", where, false, &s->binds, &s->bind_count, e);
  char **targets = s->bind_count > 0 ? calloc(s->bind_count, sizeof *targets) : NULL;
  if (err == WCTR_OK && s->bind_count > 0 && targets == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; err == WCTR_OK && i < s->bind_count; i++) {
    spec_mount m = {0}; /* spec_mount_parse leaves it untouched when it fails */
    err = spec_mount_parse(s->binds[i], &m, e);
    /* Docker's check: one mount per container path (compared in normal form, ignoring case). */
    for (size_t j = 0; err == WCTR_OK && j < i; j++) {
      if (targets[j] != NULL && spec_path_within(m.container_path, targets[j]) &&
          spec_path_within(targets[j], m.container_path)) {
        err = wctr_fail(e, WCTR_EINVAL, "Duplicate mount point: %.200s", m.container_path);
      }
    }
    if (err == WCTR_OK) {
      targets[i] = m.container_path;
      m.container_path = NULL;
    }
    spec_mount_free(&m);
  }
  for (size_t i = 0; targets != NULL && i < s->bind_count; i++) free(targets[i]);
  free(targets);
  if (err == WCTR_OK && s->bind_count > 0 && s->isolation == WCTR_ISOLATION_JOB) {
    err = wctr_fail(e, WCTR_EINVAL, "-v %s: a job container shares the host's file system and has no mounts; use "
                    "--isolation=process or hyperv, or give the host path itself", s->binds[0]);
  }
  return err;
}

static void zero_strings(cJSON *item) {
  for (; item != NULL; item = item->next) {
    if (cJSON_IsString(item) && item->valuestring != NULL) memset(item->valuestring, 0, strlen(item->valuestring));
    zero_strings(item->child);
  }
}

/* Deletes a tree that may hold a credential spec (a raw:// option): its strings are zeroed first. */
static void delete_zeroed(cJSON *tree) {
  if (tree != NULL) zero_strings(tree->child);
  cJSON_Delete(tree);
}

/* The bytes each field of s takes in its JSON form (spec_to_json with the secrets, as a record holds it),
 * compact as records are written: the whole must fit SPEC_JSON_MAX, and the message names the largest. */
static wctr_err check_json_size(const spec_container *s, const char *where, wctr_errmsg *e) {
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  wctr_err err = WCTR_OK;
  size_t total = 0;
  size_t largest = 0;
  char largest_name[40] = "";
  if (config == NULL || hc == NULL || !spec_to_json(s, config, hc, true)) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  const cJSON *parts[] = {config, hc};
  for (size_t p = 0; p < 2 && err == WCTR_OK; p++) {
    for (const cJSON *item = parts[p]->child; item != NULL; item = item->next) {
      char *text = cJSON_PrintUnformatted(item);
      if (text == NULL) {
        err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
        break;
      }
      size_t n = strlen(text) + strlen(item->string) + 4; /* "key": and a comma */
      /* A raw:// security option is a credential spec: zeroed before release. */
      memset(text, 0, n - strlen(item->string) - 4);
      cJSON_free(text);
      total += n;
      if (n > largest) {
        largest = n;
        snprintf(largest_name, sizeof largest_name, "%s%.30s", p == 1 ? "HostConfig." : "", item->string);
      }
    }
  }
  if (err == WCTR_OK && total > SPEC_JSON_MAX) {
    err = wctr_fail(e, WCTR_ETOOBIG,
                    "%s: the container's configuration takes %zu bytes, more than the %u a container may have; "
                    "\"%s\" alone takes %zu",
                    where, total, SPEC_JSON_MAX, largest_name, largest);
  }
done:
  delete_zeroed(config);
  delete_zeroed(hc);
  return err;
}

bool spec_healthcheck_active(const spec_healthcheck *h) {
  return h != NULL && h->test_count > 0 && strcmp(h->test[0], "NONE") != 0;
}

bool spec_job_image_is_host(const char *image) { return image != NULL && spec_ascii_equal_nocase(image, "host"); }

/* Config.Healthcheck: Docker's HealthConfig (spec.h). The test's form is checked here, where Docker's daemon
 * finds a bad one only when the probe runs ("Unknown healthcheck type"): a create that cannot run its probe
 * is refused at once. */
/* The JSON numbers read exactly (common/json.h): about 104 days in nanoseconds. */
#define JSON_EXACT (1LL << 53)

static wctr_err parse_healthcheck(const cJSON *params, const char *where, spec_healthcheck *h, wctr_errmsg *e) {
  static const char *const keys[] = {"Test", "Interval", "Timeout", "StartPeriod", "Retries", NULL};
  const cJSON *hc = NULL;
  char hw[96];
  wctr_err err = wctr_json_get_object(params, "Healthcheck", where, false, &hc, e);
  if (err != WCTR_OK || hc == NULL) return err;
  snprintf(hw, sizeof hw, "%.60s.Healthcheck", where);
  err = wctr_json_check_keys(hc, hw, keys, e);
  if (err == WCTR_OK) err = wctr_json_get_int64(hc, "Interval", hw, false, -JSON_EXACT, JSON_EXACT, &h->interval_ns, e);
  if (err == WCTR_OK) err = wctr_json_get_int64(hc, "Timeout", hw, false, -JSON_EXACT, JSON_EXACT, &h->timeout_ns, e);
  if (err == WCTR_OK) {
    err = wctr_json_get_int64(hc, "StartPeriod", hw, false, -JSON_EXACT, JSON_EXACT, &h->start_period_ns, e);
  }
  if (err == WCTR_OK) err = wctr_json_get_int64(hc, "Retries", hw, false, -JSON_EXACT, JSON_EXACT, &h->retries, e);
  if (err != WCTR_OK) return err;
  const struct {
    const char *name;
    int64_t ns;
  } spans[] = {{"Interval", h->interval_ns}, {"Timeout", h->timeout_ns}, {"StartPeriod", h->start_period_ns}};
  for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
    if (spans[i].ns != 0 && spans[i].ns < SPEC_HEALTH_MIN_NS) {
      return wctr_fail(e, WCTR_EINVAL, "%s in Healthcheck cannot be less than 1ms", spans[i].name);
    }
  }
  if (h->retries < 0) return wctr_fail(e, WCTR_EINVAL, "Retries in Healthcheck cannot be negative");
  err = string_list(hc, "Test", hw, false, &h->test, &h->test_count, e);
  if (err != WCTR_OK || h->test_count == 0) return err;
  const char *kind = h->test[0];
  size_t args = h->test_count - 1;
  if (strcmp(kind, "NONE") == 0) {
    if (args != 0) err = wctr_fail(e, WCTR_EINVAL, "%s: \"Test\" [\"NONE\"] takes nothing after NONE", hw);
  } else if (strcmp(kind, "CMD") == 0) {
    if (args == 0) err = wctr_fail(e, WCTR_EINVAL, "%s: \"Test\" [\"CMD\", ...] needs the command after CMD", hw);
  } else if (strcmp(kind, "CMD-SHELL") == 0) {
    if (args != 1 || h->test[1][0] == '\0') {
      err = wctr_fail(e, WCTR_EINVAL, "%s: \"Test\" [\"CMD-SHELL\", ...] takes one non-empty command line", hw);
    }
  } else {
    err = wctr_fail(e, WCTR_EINVAL, "%s: unknown healthcheck type '%.60s' in \"Test\" (expected NONE, CMD or CMD-SHELL)",
                    hw, kind);
  }
  return err;
}

/* StdinOnce: absent, it follows OpenStdin (what wctr did before the key existed, so older records read the
 * same); false with OpenStdin keeps stdin open across attaches (docker run -dit). */
static bool stdin_once_from(const cJSON *params, const char *where, spec_process *p, wctr_errmsg *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "StdinOnce");
  if (v == NULL) {
    p->stdin_once = p->open_stdin;
    return true;
  }
  return wctr_json_get_bool(params, "StdinOnce", where, false, &p->stdin_once, e) == WCTR_OK;
}

wctr_err spec_from_json(const cJSON *params, const char *where, int host_cpus, spec_container *out,
                        spec_warnings *warnings, wctr_errmsg *e) {
  static const char *const base_keys[] = {"Name", "Image", "Cmd", "Entrypoint", "Env", "WorkingDir", "User", "OpenStdin",
                                          "StdinOnce", "StopTimeout", "HostConfig", "Hostname", "Tty", "Labels", "Secrets",
                                          "Healthcheck"};
  const char *keys[sizeof base_keys / sizeof base_keys[0] + MAX_NETWORK_KEYS + 1];
  size_t nkeys = 0;
  for (size_t i = 0; i < sizeof base_keys / sizeof base_keys[0]; i++) keys[nkeys++] = base_keys[i];
  for (size_t i = 0; spec_network_config_keys[i] != NULL && i < MAX_NETWORK_KEYS; i++) {
    keys[nkeys++] = spec_network_config_keys[i];
  }
  keys[nkeys] = NULL;
  spec_container s;
  memset(&s, 0, sizeof s);
  const char *image = NULL;
  const char *wd = NULL;
  const char *user = NULL;
  const char *hostname = NULL;
  const cJSON *hc = NULL;
  int64_t stop_timeout = SPEC_DEFAULT_STOP_TIMEOUT;
  char hc_where[80];
  wctr_err err = WCTR_EINVAL;
  if (where == NULL) where = "params";
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "spec_from_json: out must not be NULL");
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "%s: \"Image\" is required", where);
  snprintf(hc_where, sizeof hc_where, "%.60s.HostConfig", where);
  if (wctr_json_check_keys(params, where, keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Image", where, true, &image, e) != WCTR_OK ||
      wctr_json_get_string(params, "WorkingDir", where, false, &wd, e) != WCTR_OK ||
      wctr_json_get_string(params, "User", where, false, &user, e) != WCTR_OK ||
      wctr_json_get_string(params, "Hostname", where, false, &hostname, e) != WCTR_OK ||
      wctr_json_get_bool(params, "OpenStdin", where, false, &s.process.open_stdin, e) != WCTR_OK ||
      !stdin_once_from(params, where, &s.process, e) ||
      wctr_json_get_bool(params, "Tty", where, false, &s.process.tty, e) != WCTR_OK ||
      wctr_json_get_int64(params, "StopTimeout", where, false, 0, SPEC_MAX_STOP_TIMEOUT, &stop_timeout, e) !=
          WCTR_OK ||
      wctr_json_get_object(params, "HostConfig", where, false, &hc, e) != WCTR_OK) {
    goto done;
  }
  if (image[0] == '\0') {
    wctr_fail(e, WCTR_EINVAL, "%s: \"Image\" cannot be empty", where);
    goto done;
  }
  if (user != NULL && user[0] == '\0') user = NULL;
  if (wd != NULL && wd[0] == '\0') wd = NULL;
  /* A relative one would resolve against wctrd's own folder for a job container. */
  if (wd != NULL && spec_working_dir_check(wd, where, e) != WCTR_OK) goto done;
  s.stop_timeout = (int)stop_timeout;
  if (hc != NULL && parse_host_config(hc, hc_where, &s, e) != WCTR_OK) goto done;
  if (hostname != NULL && !hostname_valid(hostname)) {
    wctr_fail(e, WCTR_EINVAL,
              "invalid hostname \"%.100s\": 1 to 63 letters, digits and '-', not starting or ending with '-'",
              hostname);
    goto done;
  }
  if (s.process.tty && s.isolation == WCTR_ISOLATION_JOB) {
    wctr_fail(e, WCTR_EINVAL, "-t/--tty: job containers have no console to allocate yet; leave -t out");
    goto done;
  }
  if (hostname != NULL && s.isolation == WCTR_ISOLATION_JOB) {
    wctr_fail(e, WCTR_EINVAL, "--hostname: a job container shares the host's name; use --isolation=process or hyperv");
    goto done;
  }
  err = string_list(params, "Cmd", where, true, &s.process.cmd, &s.process.cmd_count, e);
  if (err == WCTR_OK) err = entrypoint_from_json(params, where, &s.process, e);
  if (err == WCTR_OK) err = string_list(params, "Env", where, false, &s.process.env, &s.process.env_count, e);
  if (err == WCTR_OK) err = check_env(s.process.env, s.process.env_count, where, e);
  if (err == WCTR_OK) err = spec_labels_from_json(params, where, &s.labels, e);
  if (err == WCTR_OK) err = parse_healthcheck(params, where, &s.health, e);
  if (err == WCTR_OK && hc != NULL) err = parse_restart(hc, hc_where, &s, e);
  if (err == WCTR_OK && hc != NULL) err = spec_security_opt_from_json(hc, hc_where, &s, e);
  if (err == WCTR_OK && hc != NULL) err = spec_log_config_from_json(hc, hc_where, &s.log, e);
  if (err == WCTR_OK) err = spec_network_from_json(params, hc, where, hc_where, (int)s.isolation, &s.net, e);
  if (err == WCTR_OK) {
    err = spec_secret_refs_parse(cJSON_GetObjectItemCaseSensitive(params, "Secrets"), where, &s.secrets,
                                 &s.secret_count, e);
  }
  if (err != WCTR_OK) goto done;
  s.image = spec_strdup(image);
  s.process.working_dir = spec_strdup(wd);
  s.process.user = spec_strdup(user);
  s.hostname = spec_strdup(hostname);
  if (s.image == NULL || (wd != NULL && s.process.working_dir == NULL) || (user != NULL && s.process.user == NULL) ||
      (hostname != NULL && s.hostname == NULL)) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  /* The limits are checked for the isolation that will run the container; "default" is resolved by the
   * service before start, and process isolation, the most permissive of Docker's two, stands for it. */
  wctr_isolation checked = s.isolation != WCTR_ISOLATION_DEFAULT ? s.isolation : WCTR_ISOLATION_PROCESS;
  spec_resources effective;
  err = spec_resources_check(&s.resources, checked, host_cpus, &effective, warnings, e);
  if (err == WCTR_OK) err = check_json_size(&s, where, e);
  if (err != WCTR_OK) goto done;
  *out = s;
  return WCTR_OK;
done:
  spec_free(&s);
  return err;
}

/* --- writing ----------------------------------------------------------------------------------------- */

static cJSON *string_array(char *const *list, size_t count) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < count; i++) {
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(list[i]))) {
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}

/* Adds item to obj under key; false (and item released) when either is missing. */
static bool add_item(cJSON *obj, const char *key, cJSON *item) {
  if (item == NULL) return false;
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static bool add_str(cJSON *obj, const char *key, const char *value) {
  return cJSON_AddStringToObject(obj, key, value) != NULL;
}

/* Docker's HealthConfig: Test, then the spans and Retries as given (0: the default). */
static cJSON *healthcheck_json(const spec_healthcheck *h) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL && add_item(o, "Test", string_array(h->test, h->test_count)) &&
            cJSON_AddNumberToObject(o, "Interval", (double)h->interval_ns) != NULL &&
            cJSON_AddNumberToObject(o, "Timeout", (double)h->timeout_ns) != NULL &&
            cJSON_AddNumberToObject(o, "StartPeriod", (double)h->start_period_ns) != NULL &&
            cJSON_AddNumberToObject(o, "Retries", (double)h->retries) != NULL;
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* The Entrypoint as given: its words, or Docker's reset [""] when it cleared the image's. */
static cJSON *entrypoint_json(const spec_process *p) {
  if (p->entrypoint_count > 0) return string_array(p->cmd, p->entrypoint_count);
  cJSON *a = cJSON_CreateArray();
  if (a != NULL && !cJSON_AddItemToArray(a, cJSON_CreateString(""))) {
    cJSON_Delete(a);
    return NULL;
  }
  return a;
}

bool spec_to_json(const spec_container *s, cJSON *config, cJSON *hc, bool with_secrets) {
  if (s == NULL || !cJSON_IsObject(config) || !cJSON_IsObject(hc)) return false;
  const spec_process *p = &s->process;
  bool ok = add_str(config, "Image", s->image != NULL ? s->image : "") &&
            (!p->entrypoint_set || add_item(config, "Entrypoint", entrypoint_json(p))) &&
            (p->cmd_count <= p->entrypoint_count ||
             add_item(config, "Cmd", string_array(p->cmd + p->entrypoint_count, p->cmd_count - p->entrypoint_count))) &&
            add_item(config, "Env", string_array(p->env, p->env_count)) &&
            (p->working_dir == NULL || add_str(config, "WorkingDir", p->working_dir)) &&
            (p->user == NULL || add_str(config, "User", p->user)) &&
            (s->hostname == NULL || add_str(config, "Hostname", s->hostname)) &&
            cJSON_AddBoolToObject(config, "OpenStdin", p->open_stdin) != NULL &&
            (!p->open_stdin || cJSON_AddBoolToObject(config, "StdinOnce", p->stdin_once) != NULL) &&
            (!p->tty || cJSON_AddBoolToObject(config, "Tty", true) != NULL) &&
            cJSON_AddNumberToObject(config, "StopTimeout", s->stop_timeout) != NULL &&
            (s->secret_count == 0 || add_item(config, "Secrets", spec_secret_refs_json(s->secrets, s->secret_count))) &&
            (s->health.test_count == 0 || add_item(config, "Healthcheck", healthcheck_json(&s->health)));
  cJSON *labels = ok ? cJSON_AddObjectToObject(config, "Labels") : NULL;
  ok = labels != NULL && spec_labels_to_json(&s->labels, labels) &&
       add_str(hc, "Isolation", spec_isolation_name(s->isolation)) && spec_resources_to_json(&s->resources, hc) &&
       cJSON_AddBoolToObject(hc, "AutoRemove", s->auto_remove) != NULL &&
       (s->bind_count == 0 || add_item(hc, "Binds", string_array(s->binds, s->bind_count)));
  cJSON *rp = ok ? cJSON_AddObjectToObject(hc, "RestartPolicy") : NULL;
  ok = rp != NULL && add_str(rp, "Name", spec_restart_name_text(s->restart.name)) &&
       cJSON_AddNumberToObject(rp, "MaximumRetryCount", (double)s->restart.max_retries) != NULL;
  cJSON *sec = ok ? cJSON_AddArrayToObject(hc, "SecurityOpt") : NULL;
  return sec != NULL && spec_security_opt_to_json(s, sec, with_secrets) && spec_log_config_to_json(&s->log, hc) &&
         spec_network_to_json(&s->net, config, hc);
}
