/* service/container.c - container records: create params, persistence, state machine (portable). */
#include "service/container.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "jobs/limits_json.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"

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
  spec_free(&c->spec);
  cJSON_Delete(c->runtime);
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

const char *svc_container_status_name(const svc_container_state *s) {
  return s->status == SVC_STATE_RUNNING && s->paused ? "paused" : svc_state_name(s->status);
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

wctr_err svc_container_from_params(const cJSON *params, const char *id, const char *generated_name,
                                   const char *now, int host_cpus, svc_container *out,
                                   spec_warnings *warnings, wctr_errmsg *e) {
  svc_container c;
  memset(&c, 0, sizeof c);
  const char *name = NULL;
  wctr_err err = WCTR_EINVAL;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Image\" is required");
  err = spec_from_json(params, "params", host_cpus, &c.spec, warnings, e);
  if (err != WCTR_OK) goto done;
  err = wctr_json_get_string(params, "Name", "params", false, &name, e);
  if (err != WCTR_OK) goto done;
  if (name == NULL) name = generated_name;
  if (name[0] == '/') name++; /* Docker's API form */
  if (!svc_container_name_valid(name)) {
    err = wctr_fail(e, WCTR_EINVAL, "invalid container name \"%s\": use [a-zA-Z0-9][a-zA-Z0-9_.-], at most %d characters",
                    name, SVC_NAME_MAX);
    goto done;
  }
  /* The spec lets an image supply the command: the manager asks the runtime to fill it (prepare) and then
   * refuses a container that still has none. */
  if (c.spec.isolation == WCTR_ISOLATION_JOB) {
    err = job_limits_from_spec(&c.spec.resources, host_cpus, &c.limits, e);
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

cJSON *svc_limits_json(const job_limits *l) { return job_limits_to_json(l); }

/* EffectiveLimits back: what was computed when the container was created or updated, on its host. */
static wctr_err limits_from_json(const cJSON *json, job_limits *out, wctr_errmsg *e) {
  static const char *const keys[] = {"JobMemoryLimit", "CpuRate", "CpuWeight", "ActiveProcessLimit", "MaxIops",
                                     "MaxBandwidth", NULL};
  static const char *const where = "container.EffectiveLimits";
  const cJSON *l = NULL;
  job_limits r;
  memset(&r, 0, sizeof r);
  wctr_err err = wctr_json_get_object(json, "EffectiveLimits", "container", false, &l, e);
  if (err != WCTR_OK || l == NULL) return err;
  /* The same ranges the job objects take (jobs/limits.h). */
  static const struct {
    const char *key;
    unsigned flag;
    int64_t min, max;
  } fields[] = {{"JobMemoryLimit", JOB_LIMIT_MEMORY, 1, INT64_C(9007199254740991)},
                {"CpuRate", JOB_LIMIT_CPU_RATE, 1, 10000},
                {"CpuWeight", JOB_LIMIT_CPU_WEIGHT, 1, 9},
                {"ActiveProcessLimit", JOB_LIMIT_PROCESSES, 1, UINT32_MAX},
                {"MaxIops", JOB_LIMIT_IO_IOPS, 1, INT64_C(9007199254740991)},
                {"MaxBandwidth", JOB_LIMIT_IO_BANDWIDTH, 1, INT64_C(9007199254740991)}};
  if (wctr_json_check_keys(l, where, keys, e) != WCTR_OK) return WCTR_EINVAL;
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    int64_t v = 0;
    if (cJSON_GetObjectItemCaseSensitive(l, fields[i].key) == NULL) continue;
    err = wctr_json_get_int64(l, fields[i].key, where, true, fields[i].min, fields[i].max, &v, e);
    if (err != WCTR_OK) return err;
    r.flags |= fields[i].flag;
    switch (fields[i].flag) {
      case JOB_LIMIT_MEMORY: r.job_memory_limit = (uint64_t)v; break;
      case JOB_LIMIT_CPU_RATE: r.cpu_rate = (uint32_t)v; break;
      case JOB_LIMIT_CPU_WEIGHT: r.cpu_weight = (uint32_t)v; break;
      case JOB_LIMIT_PROCESSES: r.active_process_limit = (uint32_t)v; break;
      case JOB_LIMIT_IO_IOPS: r.io_max_iops = v; break;
      default: r.io_max_bandwidth = v; break;
    }
  }
  if ((r.flags & JOB_LIMIT_CPU_RATE) && (r.flags & JOB_LIMIT_CPU_WEIGHT)) {
    return wctr_fail(e, WCTR_EINVAL, "%s: \"CpuRate\" and \"CpuWeight\" cannot both be set", where);
  }
  *out = r;
  return WCTR_OK;
}

/* The credential spec as an object: whole for the record file, PluginInput redacted for inspect. */
static cJSON *credspec_object(const char *spec_json, bool with_secrets) {
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  if (gmsa_credspec_parse(spec_json, strlen(spec_json), &spec, &e) != WCTR_OK) return NULL;
  char *text = NULL;
  wctr_err err = with_secrets ? gmsa_credspec_to_json(spec, &text, &e) : gmsa_credspec_to_json_redacted(spec, &text, &e);
  gmsa_credspec_free(spec);
  cJSON *obj = err == WCTR_OK ? cJSON_Parse(text) : NULL;
  gmsa_secret_free(text);
  return obj;
}

static cJSON *container_json(const svc_container *c, bool with_secrets);

cJSON *svc_container_to_json(const svc_container *c) { return container_json(c, false); }

cJSON *svc_container_to_record_json(const svc_container *c) { return container_json(c, true); }

static cJSON *container_json(const svc_container *c, bool with_secrets) {
  cJSON *root = cJSON_CreateObject();
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  cJSON *state = cJSON_CreateObject();
  cJSON *limits = svc_limits_json(&c->limits);
  bool ok = root && config && hc && state && limits && spec_to_json(&c->spec, config, hc, with_secrets);
  if (!ok) {
    gmsa_json_secure_delete(config);
    gmsa_json_secure_delete(hc);
    cJSON_Delete(state);
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
  cJSON_AddStringToObject(state, "Status", svc_container_status_name(s));
  cJSON_AddBoolToObject(state, "Running", s->status == SVC_STATE_RUNNING);
  cJSON_AddBoolToObject(state, "Paused", s->status == SVC_STATE_RUNNING && s->paused);
  cJSON_AddNumberToObject(state, "Pid", s->pid);
  cJSON_AddNumberToObject(state, "ExitCode", (double)s->exit_code);
  cJSON_AddBoolToObject(state, "OOMKilled", s->oom_killed);
  cJSON_AddStringToObject(state, "StartedAt", s->started_at);
  cJSON_AddStringToObject(state, "FinishedAt", s->finished_at);
  cJSON_AddStringToObject(state, "Error", s->error);
  cJSON_AddNumberToObject(root, "RestartCount", (double)s->restart_count);
  cJSON_AddBoolToObject(state, "ManuallyStopped", s->manually_stopped);
  if (c->spec.credspec_json != NULL) {
    cJSON *cs = cJSON_AddObjectToObject(root, "CredentialSpec");
    cJSON *spec = credspec_object(c->spec.credspec_json, with_secrets);
    if (cs == NULL || spec == NULL) {
      gmsa_json_secure_delete(spec);
      gmsa_json_secure_delete(root);
      return NULL;
    }
    cJSON_AddStringToObject(cs, "Source", c->spec.credspec_source != NULL ? c->spec.credspec_source : "");
    cJSON_AddItemToObject(cs, "Spec", spec);
  }
  return root;
}

wctr_err svc_container_set_credspec(svc_container *c, const char *source, const char *spec_json, wctr_errmsg *e) {
  return svc_spec_set_credspec(&c->spec, source, spec_json, e);
}

wctr_err svc_spec_set_credspec(spec_container *spec, const char *source, const char *spec_json, wctr_errmsg *e) {
  char *s = dup_str(source);
  char *j = dup_str(spec_json);
  if (s == NULL || j == NULL) {
    free(s);
    if (j != NULL) gmsa_secure_zero(j, strlen(j));
    free(j);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  free(spec->credspec_source);
  if (spec->credspec_json != NULL) gmsa_secure_zero(spec->credspec_json, strlen(spec->credspec_json));
  free(spec->credspec_json);
  spec->credspec_source = s;
  spec->credspec_json = j;
  return WCTR_OK;
}

/* What the record holds beside the spec that create params do not carry: RestartCount,
 * State.ManuallyStopped and CredentialSpec (its Spec validated again, gmsa/credspec.h). */
static wctr_err extras_from_json(const cJSON *json, svc_container *c, wctr_errmsg *e) {
  static const char *const cs_keys[] = {"Source", "Spec", NULL};
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(json, "State");
  const cJSON *cs = NULL;
  const char *source = NULL;
  const cJSON *spec = NULL;
  wctr_err err = WCTR_OK;
  if (wctr_json_get_int64(json, "RestartCount", "container", false, 0, INT32_MAX, &c->state.restart_count, e) !=
          WCTR_OK ||
      wctr_json_get_bool(state, "ManuallyStopped", "container.State", false, &c->state.manually_stopped, e) !=
          WCTR_OK ||
      wctr_json_get_object(json, "CredentialSpec", "container", false, &cs, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  if (cs == NULL) {
    if (c->spec.credspec_option != NULL) {
      return wctr_fail(e, WCTR_EINVAL, "container: a credentialspec= security option without its CredentialSpec");
    }
    return WCTR_OK;
  }
  if (wctr_json_check_keys(cs, "container.CredentialSpec", cs_keys, e) != WCTR_OK ||
      wctr_json_get_string(cs, "Source", "container.CredentialSpec", true, &source, e) != WCTR_OK ||
      wctr_json_get_object(cs, "Spec", "container.CredentialSpec", true, &spec, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  /* The record is re-checked like the request was: a hand-edited spec must pass the same rules. */
  char *text = cJSON_PrintUnformatted(spec);
  gmsa_credspec *parsed = NULL;
  char *canonical = NULL;
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  err = gmsa_credspec_load(text, strlen(text), &parsed, e);
  gmsa_secret_free(text);
  if (err == WCTR_OK) err = gmsa_credspec_to_json(parsed, &canonical, e);
  gmsa_credspec_free(parsed);
  if (err == WCTR_OK) err = svc_container_set_credspec(c, source, canonical, e);
  gmsa_secret_free(canonical);
  return err;
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
  /* Docker's status of a running container that is paused is "paused". */
  if (strcmp(status, "paused") == 0) {
    c.state.status = SVC_STATE_RUNNING;
    c.state.paused = true;
  } else if (state_from_name(status, &c.state.status) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "container.State: unknown status \"%s\"", status);
  }
  c.state.pid = (uint32_t)pid;
  if (identity != NULL) snprintf(c.identity, sizeof c.identity, "%s", identity);
  /* The config is re-read through the same checks as a create request, so a hand-edited file cannot
   * smuggle in what the API refuses. */
  cJSON *params = cJSON_Duplicate(config, true);
  cJSON *hc_copy = cJSON_Duplicate(hc, true);
  if (params == NULL || hc_copy == NULL || !cJSON_AddItemToObject(params, "HostConfig", hc_copy)) {
    gmsa_json_secure_delete(params);
    gmsa_json_secure_delete(hc_copy);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON_AddStringToObject(params, "Name", c.name);
  svc_container parsed;
  spec_warnings ignored = {0};
  /* host_cpus only matters for CPU checks, which passed at create time on this host. 4096 accepts any
   * NanoCpus that a real host could have allowed; the limits are the record's own (EffectiveLimits). */
  err = svc_container_from_params(params, c.id, c.name, c.created, 4096, &parsed, &ignored, e);
  gmsa_json_secure_delete(params);
  if (err != WCTR_OK) return err;
  parsed.state = c.state;
  memcpy(parsed.identity, c.identity, sizeof parsed.identity);
  memset(&parsed.limits, 0, sizeof parsed.limits);
  err = limits_from_json(json, &parsed.limits, e);
  if (err != WCTR_OK) {
    svc_container_free(&parsed);
    return err;
  }
  const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(json, "Runtime");
  if (runtime != NULL && !cJSON_IsObject(runtime)) {
    svc_container_free(&parsed);
    return wctr_fail(e, WCTR_EINVAL, "container: \"Runtime\" must be an object");
  }
  if (runtime != NULL && (parsed.runtime = cJSON_Duplicate(runtime, true)) == NULL) {
    svc_container_free(&parsed);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  err = extras_from_json(json, &parsed, e);
  if (err != WCTR_OK) {
    svc_container_free(&parsed);
    return err;
  }
  *out = parsed;
  return WCTR_OK;
}

/* --- restart decisions ------------------------------------------------------------------------------- */

bool svc_restart_on_exit(const svc_container *c, int64_t exit_code, bool service_stopping) {
  return spec_restart_on_exit(&c->spec.restart, exit_code, c->state.restart_count, c->state.manually_stopped,
                              service_stopping);
}

bool svc_restart_on_service_start(const svc_container *c) {
  if (c->state.status == SVC_STATE_RUNNING || c->state.status == SVC_STATE_REMOVING) return false;
  return spec_restart_on_service_start(&c->spec.restart, c->state.started_at[0] != '\0', c->state.manually_stopped);
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
