/* service/manager_volumes.c - the volume operations and the volumes of a container's create and removal
 * (portable; service/manager.h, service/volumes.h). Lock order: the volume store's lock, then m->lock (a
 * remove asks who uses a volume while it holds the store). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "service/manager_internal.h"
#include "service/volumes.h"

/* Does the spec mount the volume? */
static bool spec_uses(const spec_container *s, const char *volume) {
  for (size_t i = 0; i < s->bind_count; i++) {
    spec_mount mt = {0};
    bool uses = spec_mount_parse(s->binds[i], &mt, NULL) == WCTR_OK && mt.volume != NULL && strcmp(mt.volume, volume) == 0;
    spec_mount_free(&mt);
    if (uses) return true;
  }
  return false;
}

/* Docker's refusal: "remove NAME: volume is in use - [ID, ID]". Containers being created count: they
 * made sure of their volumes, or will, under the store's lock. */
static wctr_err in_use(void *ctx, const char *volume, wctr_errmsg *e) {
  svc_manager *m = ctx;
  char ids[1024];
  size_t used = 0;
  int n = 0;
  ids[0] = '\0';
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    if (!spec_uses(&c->rec.spec, volume)) continue;
    if (used < sizeof ids) {
      used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%s", n > 0 ? ", " : "", c->rec.id);
    }
    n++;
  }
  wctr_mutex_unlock(&m->lock);
  if (n == 0) return WCTR_OK;
  return wctr_fail(e, WCTR_ESTATE, "remove %.200s: volume is in use - [%s]", volume, ids);
}

/* dockerd's volume events carry the driver alone (a Windows dockerd logs no mount or unmount: its setupMounts
 * has no event, unlike Linux's). */
static void emit_volume(svc_manager *m, const char *action, const char *volume) {
  cJSON *attrs = cJSON_CreateObject();
  if (attrs != NULL && cJSON_AddStringToObject(attrs, "driver", "local") != NULL) mgr_emit_volume(m, action, volume, attrs);
  cJSON_Delete(attrs);
}

/* Removes a volume through the store and tells the subscribers. */
static wctr_err remove_volume(svc_manager *m, const char *volume, wctr_errmsg *e) {
  wctr_err err = svc_volumes_remove(m->volumes, volume, in_use, m, e);
  if (err == WCTR_OK) emit_volume(m, "destroy", volume);
  return err;
}

bool mgr_volume_in_use(svc_manager *m, const char *volume) { return in_use(m, volume, NULL) != WCTR_OK; }

/* The containers, of any state, that mount volume. */
static int ref_count(svc_manager *m, const char *volume) {
  int n = 0;
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    if (spec_uses(&c->rec.spec, volume)) n++;
  }
  wctr_mutex_unlock(&m->lock);
  return n;
}

wctr_err mgr_volumes_ensure(svc_manager *m, spec_container *spec, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < spec->bind_count; i++) {
    spec_mount mt = {0};
    err = spec_mount_parse(spec->binds[i], &mt, e);
    if (err == WCTR_OK && (mt.volume != NULL || mt.anonymous)) {
      cJSON *shape = NULL;
      bool existed = false;
      err = svc_volumes_create(m->volumes, mt.volume, NULL, mt.anonymous, &shape, &existed, e);
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(shape, "Name");
      /* Docker's create of a container logs the create of each volume it makes on the way. */
      if (err == WCTR_OK && !existed && cJSON_IsString(name)) emit_volume(m, "create", name->valuestring);
      if (err == WCTR_OK && mt.anonymous && cJSON_IsString(name)) {
        /* The record names the anonymous volume, so that its runs find it and `rm -v` removes it. */
        size_t n = strlen(name->valuestring) + strlen(mt.container_path) + 8;
        char *bind = malloc(n);
        if (bind == NULL) {
          err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
        } else {
          snprintf(bind, n, "%s:%s%s", name->valuestring, mt.container_path, mt.read_only ? ":ro" : "");
          free(spec->binds[i]);
          spec->binds[i] = bind;
        }
      }
      cJSON_Delete(shape);
    }
    spec_mount_free(&mt);
  }
  return err;
}

void mgr_volumes_drop_anonymous(svc_manager *m, const spec_container *spec) {
  for (size_t i = 0; i < spec->bind_count; i++) {
    spec_mount mt = {0};
    cJSON *shape = NULL;
    if (spec_mount_parse(spec->binds[i], &mt, NULL) == WCTR_OK && mt.volume != NULL &&
        svc_volumes_get(m->volumes, mt.volume, &shape, NULL) == WCTR_OK &&
        svc_volume_is_anonymous(shape)) {
      wctr_errmsg e;
      if (remove_volume(m, mt.volume, &e) != WCTR_OK) {
        wctr_log(WCTR_LOG_INFO, "volume %.12s kept: %s", mt.volume, e.text);
      }
    }
    cJSON_Delete(shape);
    spec_mount_free(&mt);
  }
}

/* --- operations ------------------------------------------------------------------------------------------- */

static wctr_err op_volume_create(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                 wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Driver", "DriverOpts", "Labels", NULL};
  svc_manager *m = ctx;
  const char *name = NULL, *driver = NULL;
  const cJSON *opts = NULL, *labels = NULL;
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_string(params, "Name", "params", false, &name, e) != WCTR_OK ||
                         wctr_json_get_string(params, "Driver", "params", false, &driver, e) != WCTR_OK ||
                         wctr_json_get_object(params, "DriverOpts", "params", false, &opts, e) != WCTR_OK ||
                         wctr_json_get_object(params, "Labels", "params", false, &labels, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  if (driver != NULL && driver[0] != '\0' && strcmp(driver, "local") != 0) {
    return wctr_fail(e, WCTR_ENOENT, "create %s: error looking up volume plugin %s: plugin \"%s\" not found",
                     name != NULL ? name : "", driver, driver);
  }
  /* Docker's local driver on Windows takes no options (no type=, device=, o=: there is no mount(2)). */
  if (opts != NULL && opts->child != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "create %s: options are not supported on this platform (--opt %s)",
                     name != NULL ? name : "", opts->child->string);
  }
  if (name != NULL && name[0] == '\0') name = NULL;
  bool existed = false;
  wctr_err err = svc_volumes_create(m->volumes, name, labels, name == NULL, result, &existed, e);
  if (err == WCTR_OK && !existed) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(*result, "Name");
    wctr_log(WCTR_LOG_INFO, "volume %s created by %s", cJSON_IsString(n) ? n->valuestring : "?", caller->name);
    if (cJSON_IsString(n)) emit_volume(m, "create", n->valuestring);
  }
  return err;
}

static wctr_err op_volume_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                  wctr_errmsg *e) {
  (void)caller;
  static const char *const keys[] = {"Name", NULL};
  svc_manager *m = ctx;
  const char *name = NULL;
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Name", "params", true, &name, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  return svc_volumes_get(m->volumes, name, result, e);
}

/* Docker's filters: dangling=true|false (no container uses it), name=SUBSTRING, label=KEY[=VALUE],
 * driver=local. Each key's values are alternatives; the keys all apply. */
typedef struct vfilters {
  const cJSON *dangling, *name, *label, *driver;
} vfilters;

static wctr_err read_filters(const cJSON *params, vfilters *f, wctr_errmsg *e) {
  static const char *const keys[] = {"dangling", "name", "label", "driver", NULL};
  const cJSON *filters = NULL;
  memset(f, 0, sizeof *f);
  if (params == NULL) return WCTR_OK;
  if (wctr_json_get_object(params, "Filters", "params", false, &filters, e) != WCTR_OK) return WCTR_EINVAL;
  if (filters == NULL) return WCTR_OK;
  if (wctr_json_check_keys(filters, "params.Filters", keys, e) != WCTR_OK ||
      wctr_json_get_string_array(filters, "dangling", "params.Filters", false, &f->dangling, e) != WCTR_OK ||
      wctr_json_get_string_array(filters, "name", "params.Filters", false, &f->name, e) != WCTR_OK ||
      wctr_json_get_string_array(filters, "label", "params.Filters", false, &f->label, e) != WCTR_OK ||
      wctr_json_get_string_array(filters, "driver", "params.Filters", false, &f->driver, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  const cJSON *d;
  cJSON_ArrayForEach(d, f->dangling) {
    const char *v = d->valuestring;
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0 && strcmp(v, "1") != 0 && strcmp(v, "0") != 0) {
      return wctr_fail(e, WCTR_EINVAL, "invalid filter 'dangling=%.64s'", v);
    }
  }
  return WCTR_OK;
}

static bool label_matches(const cJSON *labels, const char *filter) {
  const char *eq = strchr(filter, '=');
  size_t klen = eq != NULL ? (size_t)(eq - filter) : strlen(filter);
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (l->string != NULL && strlen(l->string) == klen && strncmp(l->string, filter, klen) == 0) {
      return eq == NULL || (cJSON_IsString(l) && strcmp(l->valuestring, eq + 1) == 0);
    }
  }
  return false;
}

static bool passes(svc_manager *m, const vfilters *f, const cJSON *v) {
  const char *name = cJSON_GetObjectItemCaseSensitive(v, "Name")->valuestring;
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(v, "Labels");
  const cJSON *x;
  if (f->name != NULL && f->name->child != NULL) {
    bool any = false;
    cJSON_ArrayForEach(x, f->name) any = any || strstr(name, x->valuestring) != NULL;
    if (!any) return false;
  }
  if (f->driver != NULL && f->driver->child != NULL) {
    bool any = false;
    cJSON_ArrayForEach(x, f->driver) any = any || strcmp(x->valuestring, "local") == 0;
    if (!any) return false;
  }
  cJSON_ArrayForEach(x, f->label) {
    if (!label_matches(labels, x->valuestring)) return false;
  }
  if (f->dangling != NULL && f->dangling->child != NULL) {
    bool want = strcmp(f->dangling->child->valuestring, "true") == 0 || strcmp(f->dangling->child->valuestring, "1") == 0;
    if (mgr_volume_in_use(m, name) == want) return false;
  }
  return true;
}

static wctr_err op_volume_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                               wctr_errmsg *e) {
  (void)caller;
  static const char *const keys[] = {"Filters", "Usage", NULL};
  svc_manager *m = ctx;
  vfilters f;
  cJSON *all = NULL;
  bool usage = false;
  if ((params != NULL && wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) || read_filters(params, &f, e) != WCTR_OK ||
      (params != NULL && wctr_json_get_bool(params, "Usage", "params", false, &usage, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  wctr_err err = svc_volumes_list(m->volumes, &all, e);
  if (err != WCTR_OK) return err;
  cJSON *v = all->child;
  while (v != NULL) {
    cJSON *next = v->next;
    if (!passes(m, &f, v)) {
      cJSON_Delete(cJSON_DetachItemViaPointer(all, v));
    } else if (usage) {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "Name");
      cJSON *u = cJSON_AddObjectToObject(v, "UsageData");
      if (u == NULL || cJSON_AddNumberToObject(u, "Size", -1) == NULL ||
          cJSON_AddNumberToObject(u, "RefCount", cJSON_IsString(name) ? ref_count(m, name->valuestring) : 0) == NULL) {
        cJSON_Delete(all);
        return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      }
    }
    v = next;
  }
  *result = all;
  return WCTR_OK;
}

static wctr_err op_volume_remove(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                 wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Force", NULL};
  svc_manager *m = ctx;
  const char *name = NULL;
  bool force = false;
  (void)result;
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Name", "params", true, &name, e) != WCTR_OK ||
      wctr_json_get_bool(params, "Force", "params", false, &force, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  wctr_err err = remove_volume(m, name, e);
  /* Docker's -f: a volume that does not exist is no error; one in use is still refused. */
  if (err == WCTR_ENOENT && force) return WCTR_OK;
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "volume %s removed by %s", name, caller->name);
  }
  return err;
}

/* Docker 23's prune: unused anonymous volumes, or every unused volume with "All"; label filters apply. */
static wctr_err op_volume_prune(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                wctr_errmsg *e) {
  static const char *const keys[] = {"All", "Filters", NULL};
  svc_manager *m = ctx;
  bool all_volumes = false;
  vfilters f;
  cJSON *all = NULL;
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_bool(params, "All", "params", false, &all_volumes, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  if (read_filters(params, &f, e) != WCTR_OK) return WCTR_EINVAL;
  if (f.dangling != NULL || f.name != NULL || f.driver != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "volume prune takes only label filters (label=KEY[=VALUE], label!= is not "
                     "supported)");
  }
  wctr_err err = svc_volumes_list(m->volumes, &all, e);
  if (err != WCTR_OK) return err;
  cJSON *r = cJSON_CreateObject();
  cJSON *deleted = r != NULL ? cJSON_AddArrayToObject(r, "VolumesDeleted") : NULL;
  if (deleted == NULL) {
    cJSON_Delete(all);
    cJSON_Delete(r);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  const cJSON *v;
  cJSON_ArrayForEach(v, all) {
    const char *name = cJSON_GetObjectItemCaseSensitive(v, "Name")->valuestring;
    if (!all_volumes && !svc_volume_is_anonymous(v)) continue;
    if (!passes(m, &f, v)) continue;
    wctr_errmsg why;
    /* in_use is asked again under the store's lock: a container created meanwhile keeps its volume. */
    if (remove_volume(m, name, &why) == WCTR_OK) cJSON_AddItemToArray(deleted, cJSON_CreateString(name));
  }
  wctr_log(WCTR_LOG_INFO, "volume prune by %s: %d removed", caller->name, cJSON_GetArraySize(deleted));
  cJSON_Delete(all);
  *result = r;
  return WCTR_OK;
}

static const svc_op volume_ops[] = {
    {.name = "volume.create", .call = op_volume_create, .flags = SVC_OP_BLOCKING},
    {.name = "volume.inspect", .call = op_volume_inspect, .flags = SVC_OP_BLOCKING},
    {.name = "volume.list", .call = op_volume_list, .flags = SVC_OP_BLOCKING},
    {.name = "volume.remove", .call = op_volume_remove, .flags = SVC_OP_BLOCKING},
    {.name = "volume.prune", .call = op_volume_prune, .flags = SVC_OP_BLOCKING},
};

const svc_op *svc_manager_volume_ops(size_t *count) {
  *count = sizeof volume_ops / sizeof volume_ops[0];
  return volume_ops;
}
