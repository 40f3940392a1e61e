/* service/engine_api_volumes.c - the Engine API's /volumes (service/engine_api_internal.h) over the volume
 * operations `wctr volume` uses (service/manager.h "Named volumes", service/volumes.h), whose answers are already
 * Docker's Volume shape: the same validation, audit and status codes (404 no such volume, 409 in use). Portable.
 *
 * API 1.41 is the newest served, so a prune removes every unused volume as dockerd does below 1.42 (its later
 * default, anonymous volumes only, is 1.42's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "service/engine_api_internal.h"

wctr_err api_shape_volume_create(const cJSON *body, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  if (!cJSON_IsObject(body)) return wctr_fail(e, WCTR_EINVAL, "the body must be a JSON object (Docker's VolumeCreateBody)");
  cJSON *p = cJSON_CreateObject();
  if (p == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = WCTR_OK;
  const cJSON *v;
  cJSON_ArrayForEach(v, body) {
    const char *k = v->string;
    bool is_string = strcmp(k, "Name") == 0 || strcmp(k, "Driver") == 0;
    bool is_map = strcmp(k, "DriverOpts") == 0 || strcmp(k, "Labels") == 0;
    if (is_string || is_map) {
      /* docker-py sends "Driver": null and "DriverOpts": {} for the defaults: nothing to pass on. */
      if (cJSON_IsNull(v)) continue;
      if (is_string && !cJSON_IsString(v)) {
        err = wctr_fail(e, WCTR_EINVAL, "%s must be a string", k);
        break;
      }
      if (is_map) {
        const cJSON *x;
        bool strings = cJSON_IsObject(v);
        for (x = strings ? v->child : NULL; x != NULL; x = x->next) strings = strings && cJSON_IsString(x);
        if (!strings) {
          err = wctr_fail(e, WCTR_EINVAL, "%s must be an object of strings", k);
          break;
        }
        if (v->child == NULL) continue;
      }
      cJSON *d = cJSON_Duplicate(v, true);
      if (d == NULL || !cJSON_AddItemToObject(p, k, d)) {
        cJSON_Delete(d);
        err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
        break;
      }
    } else if (strcmp(k, "ClusterVolumeSpec") == 0) {
      if (!api_json_is_default(v)) {
        err = wctr_fail(e, WCTR_EINVAL, "ClusterVolumeSpec: cluster volumes need swarm mode, which wctr does not "
                                        "implement; leave it out");
        break;
      }
    } else if (!api_json_is_default(v)) {
      err = wctr_fail(e, WCTR_EINVAL, "%s: unknown field", k);
      break;
    }
  }
  if (err != WCTR_OK) {
    cJSON_Delete(p);
    return err;
  }
  *out = p;
  return WCTR_OK;
}

static void list_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateObject();
  cJSON *list = cJSON_IsArray(result) ? cJSON_Duplicate(result, true) : cJSON_CreateArray();
  if (out == NULL || list == NULL || !cJSON_AddItemToObject(out, "Volumes", list) ||
      cJSON_AddArrayToObject(out, "Warnings") == NULL) {
    if (out == NULL || cJSON_GetObjectItemCaseSensitive(out, "Volumes") != list) cJSON_Delete(list);
    cJSON_Delete(out);
    api_reply_error(r, 500, "out of memory");
    return;
  }
  api_reply_json(r, 200, out);
}

/* Filters as volume.list takes them ({"key":["v",...]}, api_query_filters' form), into params. */
static void add_filters(cJSON *params, cJSON *filters) {
  if (filters == NULL) return;
  if (params == NULL || !cJSON_AddItemToObject(params, "Filters", filters)) cJSON_Delete(filters);
}

void api_volumes_list(api_req *r) {
  static const char *const allowed[] = {"dangling", "name", "label", "driver", NULL};
  cJSON *filters = NULL;
  if (!api_query_filters(r, &filters)) return;
  if (filters != NULL && !api_filters_check(r, filters, allowed, "/volumes")) {
    cJSON_Delete(filters);
    return;
  }
  cJSON *p = cJSON_CreateObject();
  add_filters(p, filters);
  api_call(r, "volume.list", p, false, list_done);
}

static void reply_volume(api_req *r, int status, wctr_err err, const cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, status, result != NULL ? cJSON_Duplicate(result, true) : cJSON_CreateObject());
}

static void volume_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  reply_volume(r, 200, err, result, message);
}

/* dockerd answers a create, a second one of the same name included, with 201. */
static void volume_created(api_req *r, wctr_err err, cJSON *result, const char *message) {
  reply_volume(r, 201, err, result, message);
}

void api_volume_create(api_req *r) {
  api_create_from_body(r, "volume.create", api_shape_volume_create, true, "volume config", volume_created);
}

static cJSON *name_params(const char *name) {
  cJSON *p = cJSON_CreateObject();
  if (p != NULL) cJSON_AddStringToObject(p, "Name", name != NULL ? name : "");
  return p;
}

void api_volume_inspect(api_req *r) { api_call(r, "volume.inspect", name_params(r->id), false, volume_done); }

static void removed(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, 204, NULL);
}

void api_volume_delete(api_req *r) {
  bool force = false;
  if (!api_query_bool(r, "force", false, &force)) return;
  cJSON *p = name_params(r->id);
  if (p != NULL && force) cJSON_AddBoolToObject(p, "Force", true);
  api_call(r, "volume.remove", p, false, removed);
}

static void pruned(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(result, "VolumesDeleted");
  cJSON *out = cJSON_CreateObject();
  /* dockerd's list is nil when nothing went: null */
  cJSON *list = cJSON_GetArraySize(deleted) > 0 ? cJSON_Duplicate(deleted, true) : cJSON_CreateNull();
  if (out == NULL || list == NULL || !cJSON_AddItemToObject(out, "VolumesDeleted", list)) {
    if (out == NULL || cJSON_GetObjectItemCaseSensitive(out, "VolumesDeleted") != list) cJSON_Delete(list);
    cJSON_Delete(out);
    api_reply_error(r, 500, "out of memory");
    return;
  }
  /* The store does not measure its volumes' contents. */
  cJSON_AddNumberToObject(out, "SpaceReclaimed", 0);
  api_reply_json(r, 200, out);
}

void api_volumes_prune(api_req *r) {
  static const char *const allowed[] = {"label", "all", NULL};
  cJSON *filters = NULL;
  if (!api_query_filters(r, &filters)) return;
  if (cJSON_GetObjectItemCaseSensitive(filters, "label!") != NULL) {
    cJSON_Delete(filters);
    api_refuse(r, 400, WCTR_EINVAL, "volume.prune",
               "invalid filter 'label!': volume prune takes label=KEY[=VALUE] filters only (wctrd's volume.prune)");
    return;
  }
  if (filters != NULL && !api_filters_check(r, filters, allowed, "/volumes/prune")) {
    cJSON_Delete(filters);
    return;
  }
  /* API 1.41 and below prune every unused volume (dockerd adds all=true for them): all=true says the same, all=false
   * asks for 1.42's rule, which a 1.41 server does not have. */
  const cJSON *all = cJSON_GetObjectItemCaseSensitive(filters, "all");
  const cJSON *v;
  cJSON_ArrayForEach(v, all) {
    bool yes = strcmp(v->valuestring, "true") == 0 || strcmp(v->valuestring, "1") == 0;
    if (!yes) {
      api_refuse(r, 400, WCTR_EINVAL, "volume.prune",
                 "invalid filter 'all=%.32s': API 1.41 prunes every unused volume (all=true); pruning anonymous volumes "
                 "only is API 1.42's rule, which wctrd does not serve",
                 v->valuestring);
      cJSON_Delete(filters);
      return;
    }
  }
  cJSON_DeleteItemFromObjectCaseSensitive(filters, "all");
  cJSON *p = cJSON_CreateObject();
  if (p != NULL) cJSON_AddBoolToObject(p, "All", true);
  if (filters != NULL && filters->child == NULL) {
    cJSON_Delete(filters);
    filters = NULL;
  }
  add_filters(p, filters);
  api_call(r, "volume.prune", p, false, pruned);
}
