/* service/manager_ops.c - container.create, list, inspect, update, and the manager's operation table
 * (service/manager.h, manager_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/log.h"
#include "common/random.h"
#include "jobs/limits.h"
#include "service/manager_internal.h"

static wctr_err random_hex(char *out, size_t hex_chars) {
  unsigned char bytes[64];
  if (hex_chars / 2 > sizeof bytes) return WCTR_EINVAL;
  if (wctr_random_bytes(bytes, hex_chars / 2) != WCTR_OK) return WCTR_ESYSTEM;
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < hex_chars / 2; i++) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  out[hex_chars] = '\0';
  return WCTR_OK;
}

/* Docker-style names: adjective_noun, unique among the containers. */
static void generate_name_locked(svc_manager *m, const char *id, char *out, size_t size) {
  WCTR_ASSERT_HELD(&m->lock);
  static const char *const adjectives[] = {"brave", "calm", "eager", "fair", "gentle", "happy", "keen", "lucid",
                                           "merry", "nimble", "proud", "quiet", "sharp", "steady", "swift", "tidy"};
  static const char *const nouns[] = {"bohr", "curie", "dijkstra", "euler", "gauss", "hopper", "knuth", "lovelace",
                                      "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "wirth", "zuse"};
  unsigned a = (unsigned)strtoul((char[]){id[0], id[1], 0}, NULL, 16) % 16;
  unsigned b = (unsigned)strtoul((char[]){id[2], id[3], 0}, NULL, 16) % 16;
  for (int attempt = 0; attempt < 100; attempt++) {
    if (attempt == 0) {
      snprintf(out, size, "%s_%s", adjectives[a], nouns[b]);
    } else {
      snprintf(out, size, "%s_%s%d", adjectives[a], nouns[b], attempt);
    }
    bool taken = false;
    for (ctr *c = m->list; c != NULL && !taken; c = c->next) taken = strcmp(c->rec.name, out) == 0;
    if (!taken) return;
  }
  snprintf(out, size, "wctr_%.12s", id);
}

static cJSON *warnings_json(const spec_warnings *w) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < w->count; i++) cJSON_AddItemToArray(arr, cJSON_CreateString(w->text[i]));
  return arr;
}

/* The isolation a request names; "default" is resolved here, once, by spec_default_isolation. */
static wctr_err resolve_isolation(svc_manager *m, cJSON *params, wctr_isolation *out, bool *was_default,
                                  wctr_errmsg *e) {
  cJSON *hc = cJSON_GetObjectItemCaseSensitive(params, "HostConfig");
  const cJSON *iso = cJSON_GetObjectItemCaseSensitive(hc, "Isolation");
  wctr_isolation isolation = WCTR_ISOLATION_DEFAULT;
  if (iso != NULL && !cJSON_IsString(iso)) return wctr_fail(e, WCTR_EINVAL, "params.HostConfig: \"Isolation\" must be a string");
  if (cJSON_IsString(iso) && spec_isolation_parse(iso->valuestring, &isolation, e) != WCTR_OK) return WCTR_EINVAL;
  *was_default = isolation == WCTR_ISOLATION_DEFAULT;
  if (isolation == WCTR_ISOLATION_DEFAULT) {
    isolation = spec_default_isolation(m->opt.server_sku);
    if (hc == NULL) hc = cJSON_AddObjectToObject(params, "HostConfig");
    if (hc == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    cJSON_DeleteItemFromObjectCaseSensitive(hc, "Isolation");
    if (cJSON_AddStringToObject(hc, "Isolation", spec_isolation_name(isolation)) == NULL) {
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  *out = isolation;
  return WCTR_OK;
}

static wctr_err create(svc_manager *m, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  char id[SVC_ID_HEX + 1];
  char now[40];
  spec_warnings warnings;
  memset(&warnings, 0, sizeof warnings);
  ctr *c = NULL;
  bool dry_run = false;
  bool was_default = false;
  wctr_isolation isolation = WCTR_ISOLATION_DEFAULT;
  bool listed = false;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Image\" is required");
  cJSON *copy = cJSON_Duplicate(params, true);
  if (copy == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = wctr_json_get_bool(copy, "DryRun", "params", false, &dry_run, e);
  cJSON_DeleteItemFromObjectCaseSensitive(copy, "DryRun");
  if (err == WCTR_OK) err = resolve_isolation(m, copy, &isolation, &was_default, e);
  rt_runtime *rt = err == WCTR_OK ? mgr_runtime_for(m, isolation) : NULL;
  if (err == WCTR_OK && isolation == WCTR_ISOLATION_JOB && cJSON_GetObjectItemCaseSensitive(copy, "Cmd") == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "a command is required: job containers have no image default (wctr run "
                    "--isolation=job [OPTIONS] FOLDER|host COMMAND [ARG...])");
  }
  const char *why = NULL;
  if (err == WCTR_OK && rt == NULL) {
    err = wctr_fail(e, WCTR_ENOTSUP, "%s isolation is not available on this host", spec_isolation_name(isolation));
  } else if (err == WCTR_OK && !dry_run && !rt->methods->available(rt, &why)) {
    /* Never silently a job container: it shares the host's kernel objects and file system. */
    if (was_default) {
      err = wctr_fail(e, WCTR_ENOTSUP, "the default isolation (%s) needs the Host Compute Service: %s. Use "
                      "--isolation=job to run the command in a job object on the host",
                      spec_isolation_name(isolation), why != NULL ? why : "it is not available");
    } else {
      err = wctr_fail(e, WCTR_ENOTSUP, "%s isolation needs the Host Compute Service: %s. Use --isolation=job to run "
                      "the command in a job object on the host", spec_isolation_name(isolation),
                      why != NULL ? why : "it is not available");
    }
  }
  if (err == WCTR_OK && random_hex(id, SVC_ID_HEX) != WCTR_OK) err = wctr_fail(e, WCTR_ESYSTEM, "no random numbers");
  if (err == WCTR_OK && (c = mgr_ctr_new(m)) == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) goto done;
  c->rt = rt;
  wctr_time_now_iso8601(now, sizeof now);
  /* Parsed outside the lock: a request of a megabyte of labels costs its own time, nobody else's. The name
   * is generated under the lock below when the request has none. */
  bool named = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(copy, "Name"));
  err = svc_container_from_params(copy, id, "unnamed", now, m->opt.host_cpus, &c->rec, &warnings, e);
  if (err == WCTR_OK) err = spec_binds_check_data_root(&c->rec.spec, m->data_root, &warnings, e);
  if (err == WCTR_OK) err = rt->methods->prepare(rt, &c->rec.spec, dry_run, &warnings, e);
  if (err == WCTR_OK && c->rec.spec.process.cmd_count == 0) err = wctr_fail(e, WCTR_EINVAL, "params: \"Cmd\" is required");
  /* A dry run checks the secrets here; a create once its container is listed (below). */
  if (err == WCTR_OK && dry_run && m->opt.hooks.secrets_check != NULL) {
    err = m->opt.hooks.secrets_check(m->opt.hooks.ctx, &c->rec.spec, e);
  }
  /* Read and validated now, so a bad spec fails before anything exists. */
  if (err == WCTR_OK && m->opt.hooks.credspec_resolve != NULL) {
    err = m->opt.hooks.credspec_resolve(m->opt.hooks.ctx, &c->rec.spec, e);
  }
  if (err != WCTR_OK) goto done;
  if (dry_run) {
    mgr_args args;
    wctr_mutex_lock(&m->lock);
    if (!named) generate_name_locked(m, id, c->rec.name, sizeof c->rec.name);
    err = mgr_args_fill_locked(m, c, &args, e);
    wctr_mutex_unlock(&m->lock);
    cJSON *calls = NULL;
    if (err == WCTR_OK) {
      err = rt->methods->plan(rt, &args.a, &calls, &warnings, e);
      mgr_args_free(&args);
    }
    if (err != WCTR_OK) goto done;
    cJSON *r = cJSON_CreateObject();
    if (r == NULL) {
      cJSON_Delete(calls);
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      goto done;
    }
    cJSON_AddItemToObject(r, "Warnings", warnings_json(&warnings));
    cJSON_AddBoolToObject(r, "DryRun", true);
    cJSON_AddStringToObject(r, "Id", id);
    cJSON_AddItemToObject(r, "Calls", calls);
    *result = r;
    goto done;
  }
  /* The name is held by a hidden entry while the record is written, outside the lock. */
  wctr_mutex_lock(&m->lock);
  if (!named) generate_name_locked(m, id, c->rec.name, sizeof c->rec.name);
  for (ctr *o = m->list; err == WCTR_OK && o != NULL; o = o->next) {
    if (strcmp(o->rec.name, c->rec.name) == 0) {
      err = wctr_fail(e, WCTR_EEXIST, "Conflict. The container name \"%s\" is already in use by container %.12s",
                      c->rec.name, o->rec.id);
    }
  }
  if (err == WCTR_OK) {
    c->creating = true;
    c->refs = 1; /* the list's */
    c->next = m->list;
    m->list = c;
    listed = true;
  }
  wctr_mutex_unlock(&m->lock);
  if (err != WCTR_OK) goto done;
  /* The secrets it names are checked once it is listed (hidden, but seen by svc_manager_secret_users): a
   * secret.remove either sees it and refuses, or removes the secret before this check, which then fails
   * (the two raced, and the container was created naming a secret that was gone). */
  if (m->opt.hooks.secrets_check != NULL) err = m->opt.hooks.secrets_check(m->opt.hooks.ctx, &c->rec.spec, e);
  /* Its volumes likewise once it is listed: a volume.remove either sees it and refuses, or removes the
   * volume first and this creates it again (Docker's run creates a named volume on first use). The spec
   * is this container's own until it is visible. */
  bool volumes = err == WCTR_OK && c->rec.spec.bind_count > 0;
  if (volumes) err = mgr_volumes_ensure(m, &c->rec.spec, e);
  /* The record reaches the disk before the container is visible: a failed write leaves nothing. */
  if (err == WCTR_OK) err = svc_store_create(m->store, &c->rec, e);
  wctr_mutex_lock(&m->lock);
  if (err == WCTR_OK) {
    c->creating = false;
  } else {
    for (ctr **p = &m->list; *p != NULL; p = &(*p)->next) {
      if (*p == c) {
        *p = c->next;
        break;
      }
    }
    listed = false;
  }
  wctr_mutex_unlock(&m->lock);
  if (err != WCTR_OK && volumes) mgr_volumes_drop_anonymous(m, &c->rec.spec);
  if (err != WCTR_OK) goto done;
  wctr_log(WCTR_LOG_INFO, "container %s (%.12s) created by %s", c->rec.name, c->rec.id, caller->name);
  mgr_emit(m, "create", c->rec.id, c->rec.name, 0);
  cJSON *r = cJSON_CreateObject();
  if (r == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  cJSON_AddItemToObject(r, "Warnings", warnings_json(&warnings));
  cJSON_AddStringToObject(r, "Id", c->rec.id);
  cJSON_AddStringToObject(r, "Name", c->rec.name);
  *result = r;
done:
  if (!listed) mgr_ctr_free(c);
  cJSON_Delete(copy);
  return err;
}

static wctr_err op_create(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  return create(ctx, caller, params, result, e);
}

/* "Filters": {"label": ["key", "key=value", ...]} (Docker's filter map; every label given must match). */
/* Filters: {"label": [...]} (every one matches), {"health": [...]} (any one is the container's: starting,
 * healthy, unhealthy, or none for a container without a healthcheck status; Docker's message for another). */
static wctr_err list_filters(const cJSON *params, const cJSON **labels, const cJSON **health, wctr_errmsg *e) {
  static const char *const keys[] = {"label", "health", NULL};
  const cJSON *filters = NULL;
  if (wctr_json_get_object(params, "Filters", "params", false, &filters, e) != WCTR_OK) return WCTR_EINVAL;
  if (filters == NULL) return WCTR_OK;
  if (wctr_json_check_keys(filters, "params.Filters", keys, e) != WCTR_OK ||
      wctr_json_get_string_array(filters, "label", "params.Filters", false, labels, e) != WCTR_OK ||
      wctr_json_get_string_array(filters, "health", "params.Filters", false, health, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  const cJSON *h;
  cJSON_ArrayForEach(h, *health) {
    const char *v = h->valuestring;
    if (strcmp(v, "starting") != 0 && strcmp(v, "healthy") != 0 && strcmp(v, "unhealthy") != 0 &&
        strcmp(v, "none") != 0) {
      return wctr_fail(e, WCTR_EINVAL, "Unrecognised filter value for health: %.100s", v);
    }
  }
  return WCTR_OK;
}

static bool labels_match(const svc_container *rc, const cJSON *labels) {
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (!spec_labels_match(&rc->spec.labels, l->valuestring)) return false;
  }
  return true;
}

static bool health_matches(const ctr *c, const cJSON *health) {
  if (health == NULL) return true;
  const char *mine = mgr_health_status_name(c->health.status);
  const cJSON *h;
  cJSON_ArrayForEach(h, health) {
    if (strcmp(h->valuestring, mine) == 0) return true;
  }
  return false;
}

static cJSON *summary(const ctr *c) {
  cJSON *s = cJSON_CreateObject();
  if (s == NULL) return NULL;
  const spec_process *p = &c->rec.spec.process;
  char command[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < p->cmd_count && used < sizeof command; i++) {
    used += (size_t)snprintf(command + used, sizeof command - used, "%s%s", i > 0 ? " " : "", p->cmd[i]);
  }
  cJSON_AddStringToObject(s, "Id", c->rec.id);
  cJSON_AddStringToObject(s, "Name", c->rec.name);
  cJSON_AddStringToObject(s, "Image", c->rec.spec.image);
  cJSON_AddStringToObject(s, "Command", command);
  cJSON_AddStringToObject(s, "Created", c->rec.created);
  cJSON_AddStringToObject(s, "State", svc_container_status_name(&c->rec.state));
  cJSON_AddNumberToObject(s, "ExitCode", (double)c->rec.state.exit_code);
  cJSON_AddStringToObject(s, "StartedAt", c->rec.state.started_at);
  cJSON_AddStringToObject(s, "FinishedAt", c->rec.state.finished_at);
  cJSON_AddStringToObject(s, "Isolation", spec_isolation_name(c->rec.spec.isolation));
  /* The healthcheck's status (manager_health.c), while it has one. */
  if (c->health.status != MGR_HEALTH_NONE) cJSON_AddStringToObject(s, "Health", mgr_health_status_name(c->health.status));
  cJSON *labels = cJSON_AddObjectToObject(s, "Labels");
  const spec_labels *l = &c->rec.spec.labels;
  for (size_t i = 0; labels != NULL && i < l->count; i++) cJSON_AddStringToObject(labels, l->keys[i], l->values[i]);
  /* The network, for ps's PORTS and NETWORKS (docker/docker.h shapes them): its mode, the exposed ports and,
   * while it runs, what its runtime recorded. */
  const spec_network *net = &c->rec.spec.net;
  cJSON_AddStringToObject(s, "NetworkMode", spec_network_mode(net));
  if (net->expose_count > 0) {
    cJSON *exposed = cJSON_AddObjectToObject(s, "ExposedPorts");
    for (size_t i = 0; exposed != NULL && i < net->expose_count; i++) {
      char key[24];
      snprintf(key, sizeof key, "%u/%s", (unsigned)net->expose[i].port, spec_proto_name(net->expose[i].proto));
      cJSON_AddItemToObject(exposed, key, cJSON_CreateObject());
    }
  }
  const cJSON *live = cJSON_GetObjectItemCaseSensitive(c->rec.runtime, "Network");
  if (c->rec.state.status == SVC_STATE_RUNNING && cJSON_IsObject(live)) {
    cJSON_AddItemToObject(s, "Network", cJSON_Duplicate(live, true));
  }
  return s;
}

static wctr_err op_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"All", "Filters", NULL};
  (void)caller;
  svc_manager *m = ctx;
  bool all = false;
  const cJSON *labels = NULL;
  const cJSON *health = NULL;
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_bool(params, "All", "params", false, &all, e) != WCTR_OK ||
                         list_filters(params, &labels, &health, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  cJSON *arr = cJSON_CreateArray();
  if (arr == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    if (c->creating) continue;
    if ((all || c->rec.state.status == SVC_STATE_RUNNING) && labels_match(&c->rec, labels) &&
        health_matches(c, health)) {
      cJSON_AddItemToArray(arr, summary(c));
    }
  }
  wctr_mutex_unlock(&m->lock);
  *result = arr;
  return WCTR_OK;
}

static wctr_err op_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_err err = mgr_find_param(m, params, NULL, &c, e);
  if (err != WCTR_OK) return err;
  wctr_mutex_lock(&m->lock);
  cJSON *json = svc_container_to_json(&c->rec);
  cJSON *health = mgr_health_json_locked(m, c);
  cJSON *state = cJSON_GetObjectItemCaseSensitive(json, "State");
  if (health != NULL && (state == NULL || !cJSON_AddItemToObject(state, "Health", health))) cJSON_Delete(health);
  rt_task *t = mgr_task_get_locked(m, c);
  wctr_mutex_unlock(&m->lock);
  /* What Windows holds for the run right now, beside what wctr asked for (EffectiveLimits). */
  if (t != NULL) {
    cJSON *extra = NULL;
    wctr_errmsg ie;
    if (json != NULL && t->runtime->methods->inspect(t, &extra, &ie) == WCTR_OK && extra != NULL) {
      while (extra->child != NULL) {
        cJSON *item = cJSON_DetachItemViaPointer(extra, extra->child);
        cJSON_DeleteItemFromObjectCaseSensitive(json, item->string);
        cJSON_AddItemToObject(json, item->string, item);
      }
    }
    cJSON_Delete(extra);
    mgr_task_put(m, c);
  }
  mgr_release(m, c);
  if (json == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  *result = json;
  return WCTR_OK;
}

static wctr_err op_update(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  svc_manager *m = ctx;
  const char *keys[32];
  size_t nkeys = 0;
  for (size_t i = 0; i < spec_resource_field_count && nkeys < 31; i++) keys[nkeys++] = spec_resource_fields[i].wire;
  keys[nkeys] = NULL;
  ctr *c = NULL;
  wctr_err err = mgr_find_param(m, params, keys, &c, e);
  if (err != WCTR_OK) return err;
  wctr_mutex_lock(&m->lock);
  /* The new values replace the old ones field by field; the whole set is checked again, so an update can
   * never reach a combination create would refuse. */
  spec_resources r = c->rec.spec.resources;
  wctr_isolation isolation = c->rec.spec.isolation;
  rt_task *t = mgr_task_get_locked(m, c);
  wctr_mutex_unlock(&m->lock);
  spec_warnings warnings;
  memset(&warnings, 0, sizeof warnings);
  spec_resources effective;
  err = spec_resources_from_json(params, "params", &r, e);
  if (err == WCTR_OK && isolation != WCTR_ISOLATION_JOB) {
    /* Docker's word for Windows containers; HCS can change some limits live (20H2 and later). */
    err = wctr_fail(e, WCTR_ENOTSUP, "resource updating isn't supported on Windows for %s isolation",
                    spec_isolation_name(isolation));
  }
  if (err == WCTR_OK) err = spec_resources_check(&r, isolation, m->opt.host_cpus, &effective, &warnings, e);
  if (err == WCTR_OK && t != NULL) err = t->runtime->methods->update(t, &r, &warnings, e);
  if (t != NULL) mgr_task_put(m, c);
  job_limits limits;
  memset(&limits, 0, sizeof limits);
  if (err == WCTR_OK && isolation == WCTR_ISOLATION_JOB) err = job_limits_from_spec(&r, m->opt.host_cpus, &limits, e);
  if (err == WCTR_OK) {
    wctr_mutex_lock(&m->lock);
    c->rec.spec.resources = r;
    c->rec.limits = limits;
    wctr_mutex_unlock(&m->lock);
    mgr_save(m, c);
    wctr_log(WCTR_LOG_INFO, "container %s: limits updated by %s", c->rec.name, caller->name);
    cJSON *out = cJSON_CreateObject();
    if (out == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else {
      cJSON_AddItemToObject(out, "Warnings", warnings_json(&warnings));
      *result = out;
    }
  }
  mgr_release(m, c);
  return err;
}

/* container.rename {"Id","Name"}: Docker's rules for the new name; the record is saved and a "rename" event
 * emitted. */
static wctr_err op_rename(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", NULL};
  svc_manager *m = ctx;
  ctr *c = NULL;
  const char *name = NULL;
  wctr_err err = mgr_find_param(m, params, keys, &c, e);
  if (err == WCTR_OK) err = wctr_json_get_string(params, "Name", "params", true, &name, e);
  if (err != WCTR_OK) {
    mgr_release(m, c);
    return err;
  }
  if (name[0] == '/') name++;
  if (!svc_container_name_valid(name)) {
    mgr_release(m, c);
    return wctr_fail(e, WCTR_EINVAL, "Invalid container name (%.130s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  }
  char old[SVC_NAME_MAX + 1];
  char id[SVC_ID_HEX + 1];
  wctr_mutex_lock(&m->lock);
  snprintf(old, sizeof old, "%s", c->rec.name);
  snprintf(id, sizeof id, "%s", c->rec.id);
  if (strcmp(old, name) == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "Renaming a container with the same name as its current name");
  }
  for (ctr *o = m->list; err == WCTR_OK && o != NULL; o = o->next) {
    if (o != c && strcmp(o->rec.name, name) == 0) {
      err = wctr_fail(e, WCTR_EEXIST, "Conflict. The container name \"/%s\" is already in use by container %.12s. You "
                      "have to remove (or rename) that container to be able to reuse that name.", name, o->rec.id);
    }
  }
  if (err == WCTR_OK) snprintf(c->rec.name, sizeof c->rec.name, "%s", name);
  wctr_mutex_unlock(&m->lock);
  if (err == WCTR_OK) {
    mgr_save(m, c);
    wctr_log(WCTR_LOG_INFO, "container %s renamed to %s by %s", old, name, caller->name);
    mgr_emit(m, "rename", id, name, 0);
    *result = cJSON_CreateObject();
  }
  mgr_release(m, c);
  return err;
}

static const svc_op manager_ops[] = {
    {.name = "container.create", .call = op_create, .flags = SVC_OP_BLOCKING},
    {.name = "container.start", .start = mgr_op_start},
    {.name = "container.run", .start = mgr_op_run, .flags = SVC_OP_STREAM},
    {.name = "container.attach", .start = mgr_op_attach, .flags = SVC_OP_STREAM},
    {.name = "container.restart", .start = mgr_op_restart},
    {.name = "container.rename", .call = op_rename, .flags = SVC_OP_BLOCKING},
    {.name = "container.stop", .start = mgr_op_stop},
    {.name = "container.kill", .start = mgr_op_kill},
    {.name = "container.remove", .start = mgr_op_remove},
    {.name = "container.list", .call = op_list},
    {.name = "container.inspect", .call = op_inspect},
    {.name = "container.stats", .start = mgr_op_stats},
    {.name = "container.top", .start = mgr_op_top},
    {.name = "container.pause", .start = mgr_op_pause},
    {.name = "container.unpause", .start = mgr_op_unpause},
    {.name = "container.wait", .start = mgr_op_wait, .flags = SVC_OP_STREAM},
    {.name = "container.logs", .start = mgr_op_logs, .flags = SVC_OP_STREAM},
    {.name = "container.update", .call = op_update, .flags = SVC_OP_BLOCKING},
    {.name = "events", .start = mgr_events_start, .flags = SVC_OP_STREAM},
    {.name = "exec.create", .call = mgr_op_exec_create},
    {.name = "exec.start", .start = mgr_op_exec_start, .flags = SVC_OP_STREAM},
    {.name = "exec.inspect", .call = mgr_op_exec_inspect},
};

const svc_op *svc_manager_ops(size_t *count) {
  *count = sizeof manager_ops / sizeof manager_ops[0];
  return manager_ops;
}
