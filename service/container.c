/* service/container.c - container records: create params, persistence, state machine (portable). */
#include "service/container.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "hcs/document.h"

static char *dup_str(const char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  if (copy != NULL) memcpy(copy, s, n);
  return copy;
}

static void free_list(char **list, size_t count) {
  for (size_t i = 0; i < count; i++) free(list[i]);
  free(list);
}

void svc_container_free(svc_container *c) {
  if (c == NULL) return;
  free(c->config.image);
  free_list(c->config.cmd, c->config.cmd_count);
  free_list(c->config.env, c->config.env_count);
  free(c->config.working_dir);
  free(c->config.user);
  svc_container_opts_free(&c->config.opts);
  free(c->config.hostname);
  free_list(c->config.binds, c->config.bind_count);
  cJSON_Delete(c->runtime);
  free(c->config.secrets);
  memset(c, 0, sizeof *c);
}

const char *svc_state_name(svc_state state) {
  switch (state) {
    case SVC_STATE_CREATED: return "created";
    case SVC_STATE_RUNNING: return "running";
    case SVC_STATE_EXITED: return "exited";
    case SVC_STATE_REMOVING: return "removing";
  }
  return "unknown";
}

static int state_from_name(const char *name, svc_state *out) {
  for (int s = SVC_STATE_CREATED; s <= SVC_STATE_REMOVING; s++) {
    if (strcmp(svc_state_name((svc_state)s), name) == 0) {
      *out = (svc_state)s;
      return 0;
    }
  }
  return -1;
}

bool svc_container_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > SVC_NAME_MAX || !isalnum((unsigned char)name[0])) return false;
  for (size_t i = 1; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (!isalnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

/* Copies a JSON array of strings; every string must be valid per check (when given). */
static wctr_err string_list(const cJSON *obj, const char *key, const char *where, bool required, bool non_empty,
                            char ***out, size_t *count, wctr_errmsg *e) {
  const cJSON *arr = NULL;
  wctr_err err = wctr_json_get_string_array(obj, key, where, required, &arr, e);
  if (err != WCTR_OK || arr == NULL) return err;
  int n = cJSON_GetArraySize(arr);
  if (non_empty && n == 0) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" cannot be empty", where, key);
  char **list = calloc((size_t)n + 1, sizeof *list);
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  int i = 0;
  for (const cJSON *item = arr->child; item != NULL; item = item->next, i++) {
    list[i] = dup_str(item->valuestring);
    if (list[i] == NULL) {
      free_list(list, (size_t)i);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  *out = list;
  *count = (size_t)n;
  return WCTR_OK;
}

wctr_err svc_json_strings(const cJSON *obj, const char *key, const char *where, bool required, bool non_empty,
                          char ***out, size_t *count, wctr_errmsg *e) {
  return string_list(obj, key, where, required, non_empty, out, count, e);
}

void svc_strings_free(char **list, size_t count) { free_list(list, count); }

static wctr_err check_env(char **env, size_t count, wctr_errmsg *e) {
  for (size_t i = 0; i < count; i++) {
    const char *eq = strchr(env[i], '=');
    if (eq == NULL || eq == env[i]) {
      return wctr_fail(e, WCTR_EINVAL, "params: \"Env\"[%zu] \"%s\" must be KEY=VALUE with a non-empty KEY", i,
                       env[i]);
    }
  }
  return WCTR_OK;
}

wctr_err svc_isolation_parse(const char *text, wctr_isolation *out, wctr_errmsg *e) {
  static const struct {
    const char *name;
    wctr_isolation isolation;
  } names[] = {{"default", 0}, {"process", WCTR_ISOLATION_PROCESS}, {"hyperv", WCTR_ISOLATION_HYPERV},
               {"job", WCTR_ISOLATION_JOB}};
  char lower[16];
  size_t n = strlen(text);
  if (n < sizeof lower) {
    for (size_t i = 0; i <= n; i++) lower[i] = (char)tolower((unsigned char)text[i]);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      if (strcmp(lower, names[i].name) == 0) {
        *out = names[i].isolation;
        return WCTR_OK;
      }
    }
  }
  /* Docker's message, with wctr's fourth mode. */
  return wctr_fail(e, WCTR_EINVAL,
                   "invalid isolation (%s): Windows supports 'default', 'process', or 'hyperv' (and wctr 'job')",
                   text);
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

static wctr_err parse_host_config(const cJSON *hc, svc_container_config *cfg, wctr_errmsg *e) {
  static const char *const keys[] = {"Isolation", "Memory", "NanoCpus", "CpuCount", "CpuPercent", "CpuShares",
                                     "PidsLimit", "IOMaximumIOps", "IOMaximumBandwidth", "AutoRemove", "Binds",
                                     "RestartPolicy", "SecurityOpt", NULL};
  const char *where = "params.HostConfig";
  const char *isolation = NULL;
  job_resources *r = &cfg->resources;
  const int64_t big = INT64_C(9007199254740991);
  if (wctr_json_check_keys(hc, where, keys, e) != WCTR_OK ||
      wctr_json_get_string(hc, "Isolation", where, false, &isolation, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "Memory", where, false, -big, big, &r->memory_bytes, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "NanoCpus", where, false, -big, big, &r->nano_cpus, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "CpuCount", where, false, -big, big, &r->cpu_count, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "CpuPercent", where, false, -big, big, &r->cpu_percent, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "CpuShares", where, false, -big, big, &r->cpu_shares, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "PidsLimit", where, false, -big, big, &r->pids_limit, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "IOMaximumIOps", where, false, -big, big, &r->io_maxiops, e) != WCTR_OK ||
      wctr_json_get_int64(hc, "IOMaximumBandwidth", where, false, -big, big, &r->io_maxbandwidth, e) != WCTR_OK ||
      wctr_json_get_bool(hc, "AutoRemove", where, false, &cfg->auto_remove, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  cfg->isolation = 0;
  if (isolation != NULL && svc_isolation_parse(isolation, &cfg->isolation, e) != WCTR_OK) return WCTR_EINVAL;
  wctr_err err = string_list(hc, "Binds", where, false, false, &cfg->binds, &cfg->bind_count, e);
  for (size_t i = 0; err == WCTR_OK && i < cfg->bind_count; i++) {
    hcs_mount m = {0}; /* hcs_mount_parse leaves it untouched when it fails */
    err = hcs_mount_parse(cfg->binds[i], &m, e);
    hcs_mount_free(&m);
  }
  if (err == WCTR_OK && cfg->bind_count > 0 && cfg->isolation == WCTR_ISOLATION_JOB) {
    err = wctr_fail(e, WCTR_EINVAL, "-v %s: a job container shares the host's file system and has no mounts; use "
                    "--isolation=process or hyperv, or give the host path itself", cfg->binds[0]);
  }
  return err;
}

wctr_err svc_container_from_params(const cJSON *params, const char *id, const char *generated_name,
                                   const char *now, int host_cpus, svc_container *out,
                                   job_warnings *warnings, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Image", "Cmd", "Env", "WorkingDir", "User", "OpenStdin",
                                     "StopTimeout", "HostConfig", "Hostname", "Tty", "Labels", "Secrets", NULL};
  svc_container c;
  memset(&c, 0, sizeof c);
  const char *name = NULL;
  const char *image = NULL;
  const char *wd = NULL;
  const char *user = NULL;
  const char *hostname = NULL;
  const cJSON *hc = NULL;
  int64_t stop_timeout = SVC_DEFAULT_STOP_TIMEOUT;
  wctr_err err = WCTR_EINVAL;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Image\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Name", "params", false, &name, e) != WCTR_OK ||
      wctr_json_get_string(params, "Image", "params", true, &image, e) != WCTR_OK ||
      wctr_json_get_string(params, "WorkingDir", "params", false, &wd, e) != WCTR_OK ||
      wctr_json_get_string(params, "User", "params", false, &user, e) != WCTR_OK ||
      wctr_json_get_string(params, "Hostname", "params", false, &hostname, e) != WCTR_OK ||
      wctr_json_get_bool(params, "OpenStdin", "params", false, &c.config.open_stdin, e) != WCTR_OK ||
      wctr_json_get_bool(params, "Tty", "params", false, &c.config.tty, e) != WCTR_OK ||
      wctr_json_get_int64(params, "StopTimeout", "params", false, 0, SVC_MAX_STOP_TIMEOUT, &stop_timeout, e) !=
          WCTR_OK ||
      wctr_json_get_object(params, "HostConfig", "params", false, &hc, e) != WCTR_OK) {
    goto done;
  }
  if (name == NULL) name = generated_name;
  if (name[0] == '/') name++; /* Docker's API form */
  if (!svc_container_name_valid(name)) {
    wctr_fail(e, WCTR_EINVAL, "invalid container name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-], at most %d characters",
              name, SVC_NAME_MAX);
    goto done;
  }
  if (image[0] == '\0') {
    wctr_fail(e, WCTR_EINVAL, "params: \"Image\" cannot be empty");
    goto done;
  }
  if (user != NULL && user[0] == '\0') user = NULL;
  if (wd != NULL && wd[0] == '\0') wd = NULL;
  c.config.stop_timeout = (int)stop_timeout;
  if (hc != NULL && parse_host_config(hc, &c.config, e) != WCTR_OK) goto done;
  if (hostname != NULL && !hostname_valid(hostname)) {
    wctr_fail(e, WCTR_EINVAL, "invalid hostname \"%.100s\": 1 to 63 letters, digits and '-', not starting or ending with '-'",
              hostname);
    goto done;
  }
  if (c.config.tty && c.config.isolation == WCTR_ISOLATION_JOB) {
    wctr_fail(e, WCTR_EINVAL, "-t/--tty: job containers have no console to allocate yet; leave -t out");
    goto done;
  }
  if (hostname != NULL && c.config.isolation == WCTR_ISOLATION_JOB) {
    wctr_fail(e, WCTR_EINVAL, "--hostname: a job container shares the host's name; use --isolation=process or hyperv");
    goto done;
  }
  err = string_list(params, "Cmd", "params", true, true, &c.config.cmd, &c.config.cmd_count, e);
  if (err == WCTR_OK) err = string_list(params, "Env", "params", false, false, &c.config.env, &c.config.env_count, e);
  if (err == WCTR_OK) err = check_env(c.config.env, c.config.env_count, e);
  if (err == WCTR_OK) err = svc_container_opts_parse(params, hc, &c.config, e);
  /* Secrets (issue 6). */
  if (err == WCTR_OK) {
    err = svc_secret_refs_parse(cJSON_GetObjectItemCaseSensitive(params, "Secrets"), &c.config.secrets,
                                &c.config.secret_count, e);
  }
  if (err != WCTR_OK) goto done;
  err = WCTR_ENOMEM;
  c.config.image = dup_str(image);
  c.config.working_dir = dup_str(wd);
  c.config.user = dup_str(user);
  c.config.hostname = dup_str(hostname);
  if (c.config.image == NULL || (wd != NULL && c.config.working_dir == NULL) ||
      (user != NULL && c.config.user == NULL) || (hostname != NULL && c.config.hostname == NULL)) {
    wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  /* The limits are checked for the isolation that will run the container; "default" is resolved by the
   * caller before start, so here it is checked as job isolation only when it says job. */
  wctr_isolation checked = c.config.isolation != 0 ? c.config.isolation : WCTR_ISOLATION_PROCESS;
  job_resources effective;
  err = job_resources_check(&c.config.resources, checked, host_cpus, &effective, warnings, e);
  if (err != WCTR_OK) goto done;
  if (checked == WCTR_ISOLATION_JOB) {
    err = job_limits_from_resources(&c.config.resources, host_cpus, &c.limits, e);
    if (err != WCTR_OK) goto done;
  }
  snprintf(c.id, sizeof c.id, "%s", id);
  snprintf(c.name, sizeof c.name, "%s", name);
  snprintf(c.created, sizeof c.created, "%s", now);
  c.state.status = SVC_STATE_CREATED;
  c.state.exit_code = 0;
  *out = c;
  return WCTR_OK;
done:
  svc_container_free(&c);
  return err;
}

/* --- persistence ------------------------------------------------------------------------------------ */

static cJSON *string_array(char **list, size_t count) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < count; i++) {
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(list[i]))) {
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}

cJSON *svc_limits_json(const job_limits *l) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  bool ok = true;
  if (l->flags & JOB_LIMIT_MEMORY) ok = ok && cJSON_AddNumberToObject(o, "JobMemoryLimit", (double)l->job_memory_limit);
  if (l->flags & JOB_LIMIT_CPU_RATE) ok = ok && cJSON_AddNumberToObject(o, "CpuRate", l->cpu_rate);
  if (l->flags & JOB_LIMIT_CPU_WEIGHT) ok = ok && cJSON_AddNumberToObject(o, "CpuWeight", l->cpu_weight);
  if (l->flags & JOB_LIMIT_PROCESSES) ok = ok && cJSON_AddNumberToObject(o, "ActiveProcessLimit", l->active_process_limit);
  if (l->flags & JOB_LIMIT_IO_IOPS) ok = ok && cJSON_AddNumberToObject(o, "MaxIops", (double)l->io_max_iops);
  if (l->flags & JOB_LIMIT_IO_BANDWIDTH) ok = ok && cJSON_AddNumberToObject(o, "MaxBandwidth", (double)l->io_max_bandwidth);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *container_json(const svc_container *c, bool with_secrets);

cJSON *svc_container_to_json(const svc_container *c) { return container_json(c, false); }

cJSON *svc_container_to_record_json(const svc_container *c) { return container_json(c, true); }

static cJSON *container_json(const svc_container *c, bool with_secrets) {
  const svc_container_config *cfg = &c->config;
  const job_resources *r = &cfg->resources;
  cJSON *root = cJSON_CreateObject();
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  cJSON *state = cJSON_CreateObject();
  cJSON *cmd = string_array(cfg->cmd, cfg->cmd_count);
  cJSON *env = string_array(cfg->env, cfg->env_count);
  cJSON *limits = svc_limits_json(&c->limits);
  bool ok = root && config && hc && state && cmd && env && limits;
  if (!ok) {
    cJSON_Delete(config);
    cJSON_Delete(hc);
    cJSON_Delete(state);
    cJSON_Delete(cmd);
    cJSON_Delete(env);
    cJSON_Delete(limits);
    cJSON_Delete(root);
    return NULL;
  }
  cJSON_AddStringToObject(root, "Id", c->id);
  cJSON_AddStringToObject(root, "Name", c->name);
  cJSON_AddStringToObject(root, "Created", c->created);
  cJSON_AddItemToObject(root, "State", state);
  cJSON_AddItemToObject(root, "Config", config);
  cJSON_AddItemToObject(root, "HostConfig", hc);
  cJSON_AddItemToObject(root, "EffectiveLimits", limits);
  if (c->identity[0] != '\0') cJSON_AddStringToObject(root, "Identity", c->identity);
  if (c->runtime != NULL) cJSON_AddItemToObject(root, "Runtime", cJSON_Duplicate(c->runtime, true));
  const svc_container_state *s = &c->state;
  cJSON_AddStringToObject(state, "Status", svc_state_name(s->status));
  cJSON_AddBoolToObject(state, "Running", s->status == SVC_STATE_RUNNING);
  cJSON_AddNumberToObject(state, "Pid", s->pid);
  cJSON_AddNumberToObject(state, "ExitCode", (double)s->exit_code);
  cJSON_AddBoolToObject(state, "OOMKilled", s->oom_killed);
  cJSON_AddStringToObject(state, "StartedAt", s->started_at);
  cJSON_AddStringToObject(state, "FinishedAt", s->finished_at);
  cJSON_AddStringToObject(state, "Error", s->error);
  cJSON_AddStringToObject(config, "Image", cfg->image);
  cJSON_AddItemToObject(config, "Cmd", cmd);
  cJSON_AddItemToObject(config, "Env", env);
  if (cfg->working_dir != NULL) cJSON_AddStringToObject(config, "WorkingDir", cfg->working_dir);
  if (cfg->user != NULL) cJSON_AddStringToObject(config, "User", cfg->user);
  if (cfg->hostname != NULL) cJSON_AddStringToObject(config, "Hostname", cfg->hostname);
  cJSON_AddBoolToObject(config, "OpenStdin", cfg->open_stdin);
  if (cfg->tty) cJSON_AddBoolToObject(config, "Tty", true);
  cJSON_AddNumberToObject(config, "StopTimeout", cfg->stop_timeout);
  /* Secrets (issue 6): names and targets only. */
  if (cfg->secret_count > 0) cJSON_AddItemToObject(config, "Secrets", svc_secret_refs_json(cfg->secrets, cfg->secret_count));
  cJSON_AddStringToObject(hc, "Isolation", cfg->isolation != 0 ? job_isolation_name(cfg->isolation) : "default");
  cJSON_AddNumberToObject(hc, "Memory", (double)r->memory_bytes);
  cJSON_AddNumberToObject(hc, "NanoCpus", (double)r->nano_cpus);
  cJSON_AddNumberToObject(hc, "CpuCount", (double)r->cpu_count);
  cJSON_AddNumberToObject(hc, "CpuPercent", (double)r->cpu_percent);
  cJSON_AddNumberToObject(hc, "CpuShares", (double)r->cpu_shares);
  cJSON_AddNumberToObject(hc, "PidsLimit", (double)r->pids_limit);
  cJSON_AddNumberToObject(hc, "IOMaximumIOps", (double)r->io_maxiops);
  cJSON_AddNumberToObject(hc, "IOMaximumBandwidth", (double)r->io_maxbandwidth);
  cJSON_AddBoolToObject(hc, "AutoRemove", cfg->auto_remove);
  if (cfg->bind_count > 0) cJSON_AddItemToObject(hc, "Binds", string_array(cfg->binds, cfg->bind_count));
  if (!svc_container_opts_to_json(c, root, config, hc, state, with_secrets)) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

static wctr_err copy_text(const cJSON *obj, const char *key, const char *where, char *out, size_t size,
                          wctr_errmsg *e) {
  const char *value = NULL;
  wctr_err err = wctr_json_get_string(obj, key, where, true, &value, e);
  if (err != WCTR_OK) return err;
  if (strlen(value) >= size) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" is too long", where, key);
  memcpy(out, value, strlen(value) + 1);
  return WCTR_OK;
}

wctr_err svc_container_from_json(const cJSON *json, svc_container *out, wctr_errmsg *e) {
  svc_container c;
  memset(&c, 0, sizeof c);
  const cJSON *state = NULL;
  const cJSON *config = NULL;
  const cJSON *hc = NULL;
  const char *status = NULL;
  const char *identity = NULL;
  int64_t pid = 0;
  wctr_err err = WCTR_EINVAL;
  if (copy_text(json, "Id", "container", c.id, sizeof c.id, e) != WCTR_OK ||
      copy_text(json, "Name", "container", c.name, sizeof c.name, e) != WCTR_OK ||
      copy_text(json, "Created", "container", c.created, sizeof c.created, e) != WCTR_OK ||
      wctr_json_get_object(json, "State", "container", true, &state, e) != WCTR_OK ||
      wctr_json_get_object(json, "Config", "container", true, &config, e) != WCTR_OK ||
      wctr_json_get_object(json, "HostConfig", "container", true, &hc, e) != WCTR_OK ||
      wctr_json_get_string(json, "Identity", "container", false, &identity, e) != WCTR_OK ||
      wctr_json_get_string(state, "Status", "container.State", true, &status, e) != WCTR_OK ||
      wctr_json_get_int64(state, "Pid", "container.State", true, 0, UINT32_MAX, &pid, e) != WCTR_OK ||
      wctr_json_get_int64(state, "ExitCode", "container.State", true, INT32_MIN, UINT32_MAX, &c.state.exit_code, e) !=
          WCTR_OK ||
      wctr_json_get_bool(state, "OOMKilled", "container.State", true, &c.state.oom_killed, e) != WCTR_OK ||
      copy_text(state, "StartedAt", "container.State", c.state.started_at, sizeof c.state.started_at, e) != WCTR_OK ||
      copy_text(state, "FinishedAt", "container.State", c.state.finished_at, sizeof c.state.finished_at, e) != WCTR_OK ||
      copy_text(state, "Error", "container.State", c.state.error, sizeof c.state.error, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  if (state_from_name(status, &c.state.status) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "container.State: unknown status \"%s\"", status);
  }
  c.state.pid = (uint32_t)pid;
  if (identity != NULL) snprintf(c.identity, sizeof c.identity, "%s", identity);
  /* The config is re-read through the same checks as a create request, so a hand-edited file cannot
   * smuggle in what the API refuses. */
  cJSON *params = cJSON_Duplicate(config, true);
  cJSON *hc_copy = cJSON_Duplicate(hc, true);
  if (params == NULL || hc_copy == NULL || !cJSON_AddItemToObject(params, "HostConfig", hc_copy)) {
    cJSON_Delete(params);
    cJSON_Delete(hc_copy);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON_AddStringToObject(params, "Name", c.name);
  svc_container parsed;
  job_warnings ignored = {0};
  /* host_cpus only matters for CPU checks, which passed at create time on this host. 4096 accepts any
   * NanoCpus that a real host could have allowed. */
  err = svc_container_from_params(params, c.id, c.name, c.created, 4096, &parsed, &ignored, e);
  cJSON_Delete(params);
  if (err != WCTR_OK) return err;
  parsed.state = c.state;
  memcpy(parsed.identity, c.identity, sizeof parsed.identity);
  const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(json, "Runtime");
  if (runtime != NULL && !cJSON_IsObject(runtime)) {
    svc_container_free(&parsed);
    return wctr_fail(e, WCTR_EINVAL, "container: \"Runtime\" must be an object");
  }
  if (runtime != NULL && (parsed.runtime = cJSON_Duplicate(runtime, true)) == NULL) {
    svc_container_free(&parsed);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  err = svc_container_opts_from_json(json, &parsed, e);
  if (err != WCTR_OK) {
    svc_container_free(&parsed);
    return err;
  }
  *out = parsed;
  return WCTR_OK;
}

/* --- state machine ---------------------------------------------------------------------------------- */

wctr_err svc_container_transition(svc_container *c, svc_event event, wctr_errmsg *e) {
  svc_state s = c->state.status;
  switch (event) {
    case SVC_EVENT_START:
      if (s == SVC_STATE_CREATED || s == SVC_STATE_EXITED) {
        c->state.status = SVC_STATE_RUNNING;
        return WCTR_OK;
      }
      if (s == SVC_STATE_RUNNING) return wctr_fail(e, WCTR_ESTATE, "container %s is already running", c->name);
      break;
    case SVC_EVENT_EXIT:
      if (s == SVC_STATE_RUNNING) {
        c->state.status = SVC_STATE_EXITED;
        return WCTR_OK;
      }
      break;
    case SVC_EVENT_REMOVE:
      if (s == SVC_STATE_CREATED || s == SVC_STATE_EXITED) {
        c->state.status = SVC_STATE_REMOVING;
        return WCTR_OK;
      }
      if (s == SVC_STATE_RUNNING) {
        return wctr_fail(e, WCTR_ESTATE, "container %s is running: stop it first or use --force", c->name);
      }
      break;
  }
  return wctr_fail(e, WCTR_ESTATE, "container %s is %s", c->name, svc_state_name(s));
}

bool svc_container_matches(const svc_container *c, const char *ref, bool *exact) {
  *exact = false;
  if (ref == NULL || ref[0] == '\0') return false;
  if (strcmp(c->name, ref) == 0 || strcmp(c->id, ref) == 0) {
    *exact = true;
    return true;
  }
  size_t n = strlen(ref);
  if (n > SVC_ID_HEX) return false;
  for (size_t i = 0; i < n; i++) {
    if (!isxdigit((unsigned char)ref[i])) return false;
  }
  return strncmp(c->id, ref, n) == 0;
}
