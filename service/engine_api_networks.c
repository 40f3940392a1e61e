/* service/engine_api_networks.c - the Engine API's /networks: Docker's network routes over wctrd's network.*
 * operations (service/networks.h), whose answers are already Docker's NetworkResource. A container joins one
 * network when it is created (HostConfig.NetworkMode), so connect and disconnect are 501s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "service/engine_api_internal.h"

/* The operation's answer as it is (200). */
static void done_200(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, 200, result != NULL ? cJSON_Duplicate(result, true) : cJSON_CreateObject());
}

static void done_204(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, 204, NULL);
}

static void created(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateObject();
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(result, "Id");
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(result, "Warning");
  cJSON_AddStringToObject(out, "Id", cJSON_IsString(id) ? id->valuestring : "");
  cJSON_AddStringToObject(out, "Warning", cJSON_IsString(w) ? w->valuestring : "");
  api_reply_json(r, 201, out);
}

void api_networks_list(api_req *r) {
  static const char *const allowed[] = {"name", "label", "driver", NULL};
  cJSON *filters = NULL;
  if (!api_query_filters(r, &filters)) return;
  if (filters != NULL && !api_filters_check(r, filters, allowed, "/networks")) {
    cJSON_Delete(filters);
    return;
  }
  cJSON *p = cJSON_CreateObject();
  if (p != NULL && filters != NULL) {
    cJSON_AddItemToObject(p, "Filters", filters);
    filters = NULL;
  }
  cJSON_Delete(filters);
  api_call(r, "network.list", p, false, done_200);
}

void api_network_inspect(api_req *r) {
  bool verbose = false;
  if (!api_query_bool(r, "verbose", false, &verbose)) return;
  /* verbose adds swarm services: a local network has none. scope: every wctr network is "local". */
  char *scope = api_query(r, "scope");
  bool local = scope == NULL || scope[0] == '\0' || strcmp(scope, "local") == 0;
  free(scope);
  if (!local) {
    api_refuse(r, 404, WCTR_ENOENT, "network.inspect", "network %.80s not found", r->id);
    return;
  }
  api_call(r, "network.inspect", api_id_params(r->id), false, done_200);
}

void api_network_create(api_req *r) {
  api_create_from_body(r, "network.create", api_shape_network_create, false, "network config", created);
}

void api_network_delete(api_req *r) { api_call(r, "network.remove", api_id_params(r->id), false, done_204); }

void api_networks_prune(api_req *r) {
  static const char *const allowed[] = {NULL};
  cJSON *filters = NULL;
  if (!api_query_filters(r, &filters)) return;
  bool ok = filters == NULL || api_filters_check(r, filters, allowed, "/networks/prune");
  cJSON_Delete(filters);
  if (ok) api_call(r, "network.prune", cJSON_CreateObject(), false, done_200);
}
