/* service/manager_ops.c - container.create, list, inspect, update, and the manager's operation table
 * (service/manager.h, manager_internal.h). */
#include <errno.h>
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
  /* dockerd finds a bad log tag template only when the run opens its log; wctr refuses it at create, with
   * that message, before anything exists. */
  if (err == WCTR_OK) {
    char *tag = NULL;
    err = mgr_log_tag(&c->rec.spec, id, c->rec.name, &tag, e);
    free(tag);
  }
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

/* container.list's filters (Docker's filter map: the values of one key are alternatives, every key must
 * match; label's values must all match, as Docker's). */
enum { LIST_IMAGE_MAX = 1024 }; /* an image reference as the filters compare it */
typedef struct list_filter {
  const cJSON *labels, *health, *names, *ids, *ancestors, *status, *exited, *isolation, *is_task;
  const char *before, *since; /* the last value given wins, as Docker's */
  char (*ancestor_names)[LIST_IMAGE_MAX]; /* each ancestor value as the image catalog names it ("" unknown) */
  bool any_state;             /* a status filter looks at every container (Docker's daemon) */
} list_filter;

static void list_filter_free(list_filter *f) {
  if (f == NULL) return;
  free(f->ancestor_names);
  f->ancestor_names = NULL;
}

static bool one_of(const char *v, const char *const *allowed) {
  for (size_t i = 0; allowed[i] != NULL; i++) {
    if (strcmp(v, allowed[i]) == 0) return true;
  }
  return false;
}

/* An image id or a prefix of one: hex digits, "sha256:" allowed before them. */
static bool looks_like_id(const char *v) {
  if (strncmp(v, "sha256:", 7) == 0) v += 7;
  if (*v == '\0') return false;
  for (; *v != '\0'; v++) {
    if (!((*v >= '0' && *v <= '9') || (*v >= 'a' && *v <= 'f'))) return false;
  }
  return true;
}

/* The last string of a filter's values (before/since name one container). */
static const char *last_of(const cJSON *values) {
  const char *last = NULL;
  const cJSON *v;
  cJSON_ArrayForEach(v, values) last = v->valuestring;
  return last;
}

/* Reads params.Filters into f, with Docker's texts for what it refuses (each an invalid parameter, 400). */
static wctr_err list_filters(svc_manager *m, const cJSON *params, list_filter *f, wctr_errmsg *e) {
  static const char *const keys[] = {"label",  "health", "name",   "id",     "ancestor", "status",
                                     "exited", "before", "since", "isolation", "is-task", NULL};
  static const char *const states[] = {"created", "restarting", "running", "removing", "paused", "exited", "dead", NULL};
  static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};
  static const char *const booleans[] = {"true", "false", NULL};
  memset(f, 0, sizeof *f);
  const cJSON *filters = NULL;
  if (wctr_json_get_object(params, "Filters", "params", false, &filters, e) != WCTR_OK) return WCTR_EINVAL;
  if (filters == NULL) return WCTR_OK;
  const cJSON *k;
  cJSON_ArrayForEach(k, filters) {
    if (!one_of(k->string, keys)) return wctr_fail(e, WCTR_EINVAL, "invalid filter '%.100s'", k->string);
  }
  const cJSON **slots[] = {&f->labels, &f->health, &f->names, &f->ids, &f->ancestors, &f->status, &f->exited, NULL,
                           NULL, &f->isolation, &f->is_task};
  const cJSON *order[11] = {NULL};
  for (size_t i = 0; keys[i] != NULL; i++) {
    if (wctr_json_get_string_array(filters, keys[i], "params.Filters", false, &order[i], e) != WCTR_OK) return WCTR_EINVAL;
    if (slots[i] != NULL) *slots[i] = order[i];
  }
  f->before = last_of(order[7]);
  f->since = last_of(order[8]);
  const cJSON *v;
  cJSON_ArrayForEach(v, f->health) {
    if (!one_of(v->valuestring, healths)) {
      return wctr_fail(e, WCTR_EINVAL, "Unrecognised filter value for health: %.100s", v->valuestring);
    }
  }
  cJSON_ArrayForEach(v, f->status) {
    if (!one_of(v->valuestring, states)) return wctr_fail(e, WCTR_EINVAL, "Invalid filter 'status=%.100s'", v->valuestring);
    f->any_state = true;
  }
  cJSON_ArrayForEach(v, f->is_task) {
    if (!one_of(v->valuestring, booleans)) return wctr_fail(e, WCTR_EINVAL, "Invalid filter 'is-task=%.100s'", v->valuestring);
  }
  cJSON_ArrayForEach(v, f->exited) {
    char *end = NULL;
    errno = 0;
    (void)strtoll(v->valuestring, &end, 10);
    if (v->valuestring[0] == '\0' || *end != '\0' || errno != 0) {
      /* Go's strconv.Atoi, which dockerd's answer quotes. */
      return wctr_fail(e, WCTR_EINVAL, "strconv.Atoi: parsing \"%.100s\": %s", v->valuestring,
                       errno == ERANGE ? "value out of range" : "invalid syntax");
    }
  }
  /* An ancestor given as an image id (or a prefix of one): the catalog's name for it, looked up once, before the
   * list's lock (the image store is not the manager's). Names are compared as they are (ancestor_matches), so
   * only an id is resolved: resolving is what a run does, and an image under a trust policy is audited then. */
  int n = cJSON_GetArraySize(f->ancestors);
  if (n > 0) {
    f->ancestor_names = calloc((size_t)n, sizeof *f->ancestor_names);
    if (f->ancestor_names == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    int i = 0;
    cJSON_ArrayForEach(v, f->ancestors) {
      rt_image img;
      memset(&img, 0, sizeof img);
      wctr_errmsg ignored;
      if (looks_like_id(v->valuestring) && m->opt.host.image_resolve != NULL &&
          m->opt.host.image_resolve(m->opt.host.ctx, v->valuestring, &img, &ignored) == WCTR_OK && img.name != NULL) {
        snprintf(f->ancestor_names[i], sizeof f->ancestor_names[i], "%s", img.name);
      }
      rt_image_free(&img);
      i++;
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

/* Docker's name filter is a regular expression over the name; wctr takes its common forms: a part of the name,
 * anchored with ^ (at the start) and $ (at the end). A leading "/" (Docker's names begin with one) is allowed. */
static bool name_matches(const char *name, const char *pattern) {
  char full[SVC_NAME_MAX + 2];
  snprintf(full, sizeof full, "/%s", name);
  bool head = pattern[0] == '^';
  const char *p = head ? pattern + 1 : pattern;
  size_t n = strlen(p);
  bool tail = n > 0 && p[n - 1] == '$';
  if (tail) n--;
  const char *texts[2] = {name, full};
  for (int t = 0; t < 2; t++) {
    const char *s = texts[t];
    size_t len = strlen(s);
    for (size_t at = 0; at + n <= len; at++) {
      if (head && at > 0) break;
      if (strncmp(s + at, p, n) == 0 && (!tail || at + n == len)) return true;
    }
  }
  return false;
}

/* An image reference as Docker compares it: Docker Hub's default prefixes dropped, ":latest" when it has no tag
 * or digest. */
static void image_normal(const char *ref, char *out, size_t size) {
  static const char *const prefixes[] = {"docker.io/library/", "index.docker.io/library/", "docker.io/",
                                         "index.docker.io/", "library/", NULL};
  for (size_t i = 0; prefixes[i] != NULL; i++) {
    size_t n = strlen(prefixes[i]);
    if (strncmp(ref, prefixes[i], n) == 0 && ref[n] != '\0') {
      ref += n;
      break;
    }
  }
  const char *slash = strrchr(ref, '/');
  const char *colon = strrchr(ref, ':');
  bool tagged = strchr(ref, '@') != NULL || (colon != NULL && (slash == NULL || colon > slash));
  /* A job container's image is a host folder ("C:\\sandbox"): its colon is no tag. */
  bool folder = strchr(ref, '\\') != NULL;
  snprintf(out, size, "%s%s", ref, tagged || folder ? "" : ":latest");
}

static bool ancestor_matches(const svc_container *rc, const list_filter *f) {
  if (f->ancestors == NULL || f->ancestors->child == NULL) return true;
  char mine[LIST_IMAGE_MAX + 16];
  image_normal(rc->spec.image, mine, sizeof mine);
  const cJSON *v;
  int i = 0;
  cJSON_ArrayForEach(v, f->ancestors) {
    char want[LIST_IMAGE_MAX + 16];
    image_normal(v->valuestring, want, sizeof want);
    if (strcmp(mine, want) == 0 || strcmp(rc->spec.image, v->valuestring) == 0) return true;
    if (f->ancestor_names[i][0] != '\0') {
      image_normal(f->ancestor_names[i], want, sizeof want);
      if (strcmp(mine, want) == 0) return true;
    }
    i++;
  }
  return false;
}

static bool any_string(const cJSON *values, const char *mine, bool prefix) {
  if (values == NULL || values->child == NULL) return true;
  const cJSON *v;
  cJSON_ArrayForEach(v, values) {
    size_t n = strlen(v->valuestring);
    if (prefix ? strncmp(mine, v->valuestring, n) == 0 : strcmp(mine, v->valuestring) == 0) return true;
  }
  return false;
}

/* Docker's creation order (the list's): a created after b; the same instant falls back to the ids, as the
 * Engine API's list sorts. */
static bool created_after(const svc_container *a, const svc_container *b) {
  int c = strcmp(a->created, b->created);
  return c != 0 ? c > 0 : strcmp(a->id, b->id) < 0;
}

/* The container a before/since value names, as mgr_find resolves a ref: its full id, its name ("/" allowed),
 * or a unique id prefix. m->lock. */
static wctr_err list_ref_locked(svc_manager *m, const char *ref, const ctr **out, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&m->lock);
  const char *name = ref[0] == '/' ? ref + 1 : ref;
  const ctr *found = NULL;
  int prefixed = 0;
  for (const ctr *c = m->list; c != NULL; c = c->next) {
    if (c->creating) continue;
    if (strcmp(c->rec.id, ref) == 0 || strcmp(c->rec.name, name) == 0) {
      *out = c;
      return WCTR_OK;
    }
    if (ref[0] != '\0' && strncmp(c->rec.id, ref, strlen(ref)) == 0) {
      found = c;
      prefixed++;
    }
  }
  if (prefixed == 1) {
    *out = found;
    return WCTR_OK;
  }
  if (prefixed > 1) return wctr_fail(e, WCTR_EINVAL, "Multiple IDs found with provided prefix: %.100s", ref);
  return wctr_fail(e, WCTR_ENOENT, "No such container: %.100s", ref);
}

static bool filters_match_locked(const ctr *c, const list_filter *f, const ctr *before, const ctr *since) {
  const svc_container *rc = &c->rec;
  bool running = rc->state.status == SVC_STATE_RUNNING;
  if (!labels_match(rc, f->labels) || !health_matches(c, f->health)) return false;
  if (!any_string(f->ids, rc->id, true) || !any_string(f->status, svc_container_status_name(&rc->state), false) ||
      !any_string(f->isolation, spec_isolation_name(rc->spec.isolation), false)) {
    return false;
  }
  /* No container is a swarm task. */
  if (f->is_task != NULL && f->is_task->child != NULL && !any_string(f->is_task, "false", false)) return false;
  if (f->names != NULL && f->names->child != NULL) {
    bool any = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, f->names) any = any || name_matches(rc->name, v->valuestring);
    if (!any) return false;
  }
  if (f->exited != NULL && f->exited->child != NULL) {
    /* Docker's: a container that ran and is not running, with that exit code. */
    bool any = false;
    const cJSON *v;
    cJSON_ArrayForEach(v, f->exited) {
      any = any || (rc->state.status == SVC_STATE_EXITED && !running && rc->state.exit_code == strtoll(v->valuestring, NULL, 10));
    }
    if (!any) return false;
  }
  if (before != NULL && !created_after(&before->rec, rc)) return false;
  if (since != NULL && !created_after(rc, &since->rec)) return false;
  return ancestor_matches(rc, f);
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
  static const char *const keys[] = {"All", "Filters", "Size", NULL};
  (void)caller;
  svc_manager *m = ctx;
  bool all = false;
  bool size = false;
  list_filter f;
  memset(&f, 0, sizeof f);
  mgr_sizes sizes;
  memset(&sizes, 0, sizeof sizes);
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_bool(params, "All", "params", false, &all, e) != WCTR_OK ||
                         wctr_json_get_bool(params, "Size", "params", false, &size, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  wctr_err err = params != NULL ? list_filters(m, params, &f, e) : WCTR_OK;
  if (err != WCTR_OK) {
    list_filter_free(&f);
    return err;
  }
  cJSON *arr = cJSON_CreateArray();
  if (arr == NULL) {
    list_filter_free(&f);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_mutex_lock(&m->lock);
  const ctr *before = NULL;
  const ctr *since = NULL;
  if (f.before != NULL) err = list_ref_locked(m, f.before, &before, e);
  if (err == WCTR_OK && f.since != NULL) err = list_ref_locked(m, f.since, &since, e);
  for (ctr *c = m->list; err == WCTR_OK && c != NULL; c = c->next) {
    if (c->creating) continue;
    if ((all || f.any_state || c->rec.state.status == SVC_STATE_RUNNING) && filters_match_locked(c, &f, before, since)) {
      cJSON *s = summary(c);
      cJSON_AddItemToArray(arr, s);
      if (size && !mgr_sizes_add_locked(m, c, s, &sizes)) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  wctr_mutex_unlock(&m->lock);
  list_filter_free(&f);
  /* The sizes walk folders: after the lock (the op is BLOCKING: on the pool). The summaries stay in arr. */
  mgr_sizes_finish(&sizes);
  if (err != WCTR_OK) {
    cJSON_Delete(arr);
    return err;
  }
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
    {.name = "container.list", .call = op_list, .flags = SVC_OP_BLOCKING},
    {.name = "container.inspect", .call = op_inspect},
    {.name = "container.stats", .start = mgr_op_stats},
    {.name = "container.top", .start = mgr_op_top},
    {.name = "container.pause", .start = mgr_op_pause},
    {.name = "container.unpause", .start = mgr_op_unpause},
    {.name = "container.wait", .start = mgr_op_wait, .flags = SVC_OP_STREAM},
    {.name = "container.logs", .start = mgr_op_logs, .flags = SVC_OP_STREAM},
    {.name = "container.update", .call = op_update, .flags = SVC_OP_BLOCKING},
    {.name = "container.archive.stat", .call = mgr_op_archive_stat, .flags = SVC_OP_BLOCKING},
    {.name = "container.archive.get", .start = mgr_op_archive_get, .flags = SVC_OP_STREAM},
    {.name = "container.archive.put", .start = mgr_op_archive_put, .flags = SVC_OP_STREAM},
    {.name = "events", .start = mgr_events_start, .flags = SVC_OP_STREAM},
    {.name = "exec.create", .call = mgr_op_exec_create},
    {.name = "exec.start", .start = mgr_op_exec_start, .flags = SVC_OP_STREAM},
    {.name = "exec.inspect", .call = mgr_op_exec_inspect},
};

const svc_op *svc_manager_ops(size_t *count) {
  *count = sizeof manager_ops / sizeof manager_ops[0];
  return manager_ops;
}
