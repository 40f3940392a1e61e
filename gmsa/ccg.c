/* gmsa/ccg.c - Container Credential Guard documents (portable; see ccg.h). */
#include "gmsa/ccg.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "gmsa/gmsa_util.h"

#define ID_MAX 256
#define WHERE "ContainerCredentialGuard properties"

const char *gmsa_ccg_transport_name(gmsa_ccg_transport transport) {
  switch (transport) {
    case GMSA_CCG_LRPC: return "LRPC";
    case GMSA_CCG_HVSOCKET: return "HvSocket";
  }
  return NULL;
}

static wctr_err check_id(const char *id, wctr_errmsg *e) {
  if (id == NULL || id[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "CCG instance: the container id is empty");
  if (strlen(id) > ID_MAX || gmsa_has_control(id)) {
    return wctr_fail(e, WCTR_EINVAL, "CCG instance: the container id is not a usable id");
  }
  return WCTR_OK;
}

/* {"PropertyType":"ContainerCredentialGuard","Settings":{"Operation":op,"OperationDetails":{}}}, with
 * *details pointing at the empty OperationDetails object. */
static cJSON *request_skeleton(const char *op, cJSON **details) {
  cJSON *root = cJSON_CreateObject();
  cJSON *settings = cJSON_CreateObject();
  *details = cJSON_CreateObject();
  if (root == NULL || settings == NULL || *details == NULL ||
      cJSON_AddStringToObject(root, "PropertyType", "ContainerCredentialGuard") == NULL ||
      !cJSON_AddItemToObject(root, "Settings", settings)) {
    cJSON_Delete(root);
    cJSON_Delete(settings);
    cJSON_Delete(*details);
    return NULL;
  }
  if (cJSON_AddStringToObject(settings, "Operation", op) == NULL ||
      !cJSON_AddItemToObject(settings, "OperationDetails", *details)) {
    cJSON_Delete(root);
    cJSON_Delete(*details);
    return NULL;
  }
  return root;
}

/* Prints into a buffer sized up front: cJSON_Print grows its buffer with realloc and would hand earlier
 * copies of the spec back to the allocator unzeroed. Escaping at most doubles a JSON text inside a string. */
static char *print_sized(const cJSON *root, size_t size) {
  char *buf = cJSON_malloc(size);
  if (buf != NULL && !cJSON_PrintPreallocated((cJSON *)root, buf, (int)size, false)) {
    gmsa_secret_free(buf);
    buf = NULL;
  }
  return buf;
}

wctr_err gmsa_ccg_add_settings(const char *id, const char *credspec_json, gmsa_ccg_transport transport, cJSON **out,
                               wctr_errmsg *e) {
  *out = NULL;
  wctr_err err = check_id(id, e);
  if (err != WCTR_OK) return err;
  const char *tname = gmsa_ccg_transport_name(transport);
  if (tname == NULL) return wctr_fail(e, WCTR_EINVAL, "CCG instance: unknown transport %d", (int)transport);
  cJSON *check = credspec_json != NULL ? cJSON_Parse(credspec_json) : NULL;
  bool is_object = cJSON_IsObject(check);
  gmsa_json_secure_delete(check);
  if (!is_object) return wctr_fail(e, WCTR_EINVAL, "CCG instance: the credential spec is not a JSON object");
  cJSON *details = NULL;
  cJSON *root = request_skeleton("AddInstance", &details);
  bool ok = root != NULL && cJSON_AddStringToObject(details, "Id", id) != NULL &&
            cJSON_AddStringToObject(details, "CredentialSpec", credspec_json) != NULL &&
            cJSON_AddStringToObject(details, "Transport", tname) != NULL;
  if (!ok) {
    gmsa_json_secure_delete(root);
    return wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
  }
  *out = root;
  return WCTR_OK;
}

wctr_err gmsa_ccg_add_request(const char *id, const char *credspec_json, gmsa_ccg_transport transport, char **out,
                              wctr_errmsg *e) {
  *out = NULL;
  cJSON *root = NULL;
  wctr_err err = gmsa_ccg_add_settings(id, credspec_json, transport, &root, e);
  if (err != WCTR_OK) return err;
  char *text = print_sized(root, 2 * strlen(credspec_json) + 6 * strlen(id) + 256);
  gmsa_json_secure_delete(root);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
  *out = text;
  return WCTR_OK;
}

wctr_err gmsa_ccg_remove_settings(const char *id, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  wctr_err err = check_id(id, e);
  if (err != WCTR_OK) return err;
  cJSON *details = NULL;
  cJSON *root = request_skeleton("RemoveInstance", &details);
  if (root == NULL || cJSON_AddStringToObject(details, "Id", id) == NULL) {
    cJSON_Delete(root);
    return wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
  }
  *out = root;
  return WCTR_OK;
}

wctr_err gmsa_ccg_remove_request(const char *id, char **out, wctr_errmsg *e) {
  *out = NULL;
  cJSON *root = NULL;
  wctr_err err = gmsa_ccg_remove_settings(id, &root, e);
  if (err != WCTR_OK) return err;
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
  *out = text;
  return WCTR_OK;
}

/* --- reading HCS's answer ------------------------------------------------------------------------------ */

/* Calls visit for each instance of {"Properties":[{"Instances":[...]}, ...]}, after checking that the
 * instance is an object with a string Id. visit returns false to stop early. */
typedef bool (*instance_fn)(void *arg, const cJSON *inst, size_t prop, size_t index, wctr_errmsg *e,
                            wctr_err *err);

static wctr_err walk_doc(const cJSON *doc, instance_fn visit, void *arg, wctr_errmsg *e) {
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(doc, "Properties");
  if (!cJSON_IsObject(doc) || !cJSON_IsArray(props)) return wctr_fail(e, WCTR_EINVAL, WHERE ": Properties must be an array");
  wctr_err err = WCTR_OK;
  size_t p = 0;
  for (const cJSON *prop = props->child; prop != NULL; prop = prop->next, p++) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(prop, "Instances");
    /* An empty service answers without Instances (or with null) rather than with []. */
    if (list == NULL || cJSON_IsNull(list)) continue;
    if (!cJSON_IsArray(list)) return wctr_fail(e, WCTR_EINVAL, WHERE ": Properties[%zu].Instances must be an array", p);
    size_t i = 0;
    for (const cJSON *inst = list->child; inst != NULL; inst = inst->next, i++) {
      if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(inst, "Id"))) {
        return wctr_fail(e, WCTR_EINVAL, WHERE ": Properties[%zu].Instances[%zu].Id must be a string", p, i);
      }
      if (!visit(arg, inst, p, i, e, &err)) return err;
    }
  }
  return err;
}

/* walk_doc over text; the parsed tree holds the specs HCS echoes back, so it is zeroed when freed. */
static wctr_err walk_text(const char *properties_json, instance_fn visit, void *arg, wctr_errmsg *e) {
  if (properties_json == NULL) return wctr_fail(e, WCTR_EINVAL, WHERE ": no document");
  cJSON *doc = cJSON_Parse(properties_json);
  wctr_err err = doc != NULL ? walk_doc(doc, visit, arg, e) : wctr_fail(e, WCTR_EINVAL, WHERE ": not JSON");
  gmsa_json_secure_delete(doc);
  return err;
}

static bool is_guid(const char *s) {
  static const int groups[] = {8, 4, 4, 4, 12};
  for (size_t g = 0; g < 5; g++) {
    for (int k = 0; k < groups[g]; k++, s++) {
      if (!isxdigit((unsigned char)*s)) return false;
    }
    if (g < 4 && *s++ != '-') return false;
  }
  return *s == '\0';
}

typedef struct find_arg {
  const char *id;
  gmsa_ccg_instance *out;
  bool found;
} find_arg;

static bool find_visit(void *arg, const cJSON *inst, size_t p, size_t i, wctr_errmsg *e, wctr_err *err) {
  find_arg *a = arg;
  if (strcmp(cJSON_GetObjectItemCaseSensitive(inst, "Id")->valuestring, a->id) != 0) return true;
  a->found = true;
  char where[96];
  snprintf(where, sizeof where, WHERE ": Properties[%zu].Instances[%zu]", p, i);
  const cJSON *cg = cJSON_GetObjectItemCaseSensitive(inst, "CredentialGuard");
  if (!cJSON_IsObject(cg)) {
    *err = wctr_fail(e, WCTR_EINVAL, "%s.CredentialGuard must be an object", where);
    return false;
  }
  static const char *const strings[] = {"Cookie", "RpcEndpoint", "Transport"};
  for (size_t k = 0; k < sizeof strings / sizeof strings[0]; k++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cg, strings[k]);
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
      *err = wctr_fail(e, WCTR_EINVAL, "%s.CredentialGuard.%s must be a non-empty string", where, strings[k]);
      return false;
    }
  }
  const char *transport = cJSON_GetObjectItemCaseSensitive(cg, "Transport")->valuestring;
  bool hv = strcmp(transport, "HvSocket") == 0;
  if (!hv && strcmp(transport, "LRPC") != 0) {
    *err = wctr_fail(e, WCTR_EINVAL, "%s.CredentialGuard.Transport must be \"LRPC\" or \"HvSocket\"", where);
    return false;
  }
  const cJSON *hvc = cJSON_GetObjectItemCaseSensitive(inst, "HvSocketConfig");
  const cJSON *sid = cJSON_GetObjectItemCaseSensitive(hvc, "ServiceId");
  const cJSON *scfg = cJSON_GetObjectItemCaseSensitive(hvc, "ServiceConfig");
  if (hv && (!cJSON_IsString(sid) || !is_guid(sid->valuestring))) {
    *err = wctr_fail(e, WCTR_EINVAL, "%s.HvSocketConfig.ServiceId must be a GUID (an HvSocket instance needs one)",
                     where);
    return false;
  }
  if (hv && !cJSON_IsObject(scfg)) {
    *err = wctr_fail(e, WCTR_EINVAL, "%s.HvSocketConfig.ServiceConfig must be an object", where);
    return false;
  }
  a->out->credential_guard = cJSON_Duplicate(cg, true);
  if (hv) {
    a->out->service_id = gmsa_strndup(sid->valuestring, strlen(sid->valuestring));
    a->out->service_config = cJSON_Duplicate(scfg, true);
  }
  if (a->out->credential_guard == NULL || (hv && (a->out->service_id == NULL || a->out->service_config == NULL))) {
    *err = wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
  }
  return false;
}

static wctr_err find_instance(const char *text, const cJSON *doc, const char *id, gmsa_ccg_instance *out,
                              wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  wctr_err err = check_id(id, e);
  if (err != WCTR_OK) return err;
  find_arg a = {.id = id, .out = out};
  err = doc != NULL ? walk_doc(doc, find_visit, &a, e) : walk_text(text, find_visit, &a, e);
  if (err == WCTR_OK && !a.found) {
    err = wctr_fail(e, WCTR_ENOENT, "CCG instance: HCS lists no Container Credential Guard instance for %.64s", id);
  }
  if (err != WCTR_OK) gmsa_ccg_instance_free(out);
  return err;
}

wctr_err gmsa_ccg_find_instance(const char *properties_json, const char *id, gmsa_ccg_instance *out,
                                wctr_errmsg *e) {
  return find_instance(properties_json, NULL, id, out, e);
}

wctr_err gmsa_ccg_find_instance_doc(const cJSON *properties, const char *id, gmsa_ccg_instance *out, wctr_errmsg *e) {
  if (properties == NULL) {
    memset(out, 0, sizeof *out);
    return wctr_fail(e, WCTR_EINVAL, WHERE ": no document");
  }
  return find_instance(NULL, properties, id, out, e);
}

void gmsa_ccg_instance_free(gmsa_ccg_instance *inst) {
  if (inst == NULL) return;
  gmsa_json_secure_delete(inst->credential_guard);
  cJSON_Delete(inst->service_config);
  cJSON_free(inst->service_id);
  memset(inst, 0, sizeof *inst);
}

wctr_err gmsa_ccg_put_in_container(cJSON *container, const gmsa_ccg_instance *inst, wctr_errmsg *e) {
  if (!cJSON_IsObject(container) || inst == NULL || !cJSON_IsObject(inst->credential_guard)) {
    return wctr_fail(e, WCTR_EINVAL, "CCG instance: no container document or no instance");
  }
  if (cJSON_GetObjectItemCaseSensitive(container, "ContainerCredentialGuard") != NULL) {
    return wctr_fail(e, WCTR_EEXIST, "CCG instance: the container document already has a ContainerCredentialGuard");
  }
  cJSON *copy = cJSON_Duplicate(inst->credential_guard, true);
  if (copy == NULL || !cJSON_AddItemToObject(container, "ContainerCredentialGuard", copy)) {
    gmsa_json_secure_delete(copy);
    return wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
  }
  return WCTR_OK;
}

wctr_err gmsa_ccg_put_in_vm(cJSON *hv_socket_config, const gmsa_ccg_instance *inst, wctr_errmsg *e) {
  if (!cJSON_IsObject(hv_socket_config) || inst == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "CCG instance: no HvSocketConfig document or no instance");
  }
  if (inst->service_id == NULL || inst->service_config == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "CCG instance: an LRPC instance has no HvSocket service for a utility VM");
  }
  cJSON *table = cJSON_GetObjectItemCaseSensitive(hv_socket_config, "ServiceTable");
  if (table == NULL) table = cJSON_AddObjectToObject(hv_socket_config, "ServiceTable");
  if (!cJSON_IsObject(table)) return wctr_fail(e, WCTR_EINVAL, "CCG instance: HvSocketConfig.ServiceTable is not an object");
  if (cJSON_GetObjectItemCaseSensitive(table, inst->service_id) != NULL) {
    return wctr_fail(e, WCTR_EEXIST, "CCG instance: the VM's ServiceTable already has service %s", inst->service_id);
  }
  cJSON *copy = cJSON_Duplicate(inst->service_config, true);
  if (copy == NULL || !cJSON_AddItemToObject(table, inst->service_id, copy)) {
    cJSON_Delete(copy);
    return wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
  }
  return WCTR_OK;
}

/* --- the sweep at service start ---------------------------------------------------------------------- */

typedef struct sweep_arg {
  const char *const *owned;
  size_t owned_count;
  const char *const *running;
  size_t running_count;
  char **ids;
  size_t count;
  size_t cap;
} sweep_arg;

static bool listed(const char *id, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (list[i] != NULL && strcmp(list[i], id) == 0) return true;
  }
  return false;
}

static bool sweep_visit(void *arg, const cJSON *inst, size_t p, size_t i, wctr_errmsg *e, wctr_err *err) {
  (void)p;
  (void)i;
  sweep_arg *a = arg;
  const char *id = cJSON_GetObjectItemCaseSensitive(inst, "Id")->valuestring;
  if (!listed(id, a->owned, a->owned_count) || listed(id, a->running, a->running_count)) return true;
  if (listed(id, (const char *const *)a->ids, a->count)) return true;
  if (a->count == a->cap) {
    size_t cap = a->cap == 0 ? 8 : a->cap * 2;
    char **grown = cJSON_malloc(cap * sizeof *grown);
    if (grown == NULL) {
      *err = wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
      return false;
    }
    if (a->count > 0) memcpy(grown, a->ids, a->count * sizeof *grown);
    cJSON_free(a->ids);
    a->ids = grown;
    a->cap = cap;
  }
  a->ids[a->count] = gmsa_strndup(id, strlen(id));
  if (a->ids[a->count] == NULL) {
    *err = wctr_fail(e, WCTR_ENOMEM, "CCG instance: out of memory");
    return false;
  }
  a->count++;
  return true;
}

static wctr_err sweep(const char *text, const cJSON *doc, const char *const *owned, size_t owned_count,
                      const char *const *running, size_t running_count, char ***ids, size_t *count, wctr_errmsg *e) {
  *ids = NULL;
  *count = 0;
  sweep_arg a = {.owned = owned, .owned_count = owned_count, .running = running, .running_count = running_count};
  wctr_err err = doc != NULL ? walk_doc(doc, sweep_visit, &a, e) : walk_text(text, sweep_visit, &a, e);
  if (err != WCTR_OK) {
    gmsa_ccg_ids_free(a.ids, a.count);
    return err;
  }
  *ids = a.ids;
  *count = a.count;
  return WCTR_OK;
}

wctr_err gmsa_ccg_sweep(const char *properties_json, const char *const *owned, size_t owned_count,
                        const char *const *running, size_t running_count, char ***ids, size_t *count,
                        wctr_errmsg *e) {
  return sweep(properties_json, NULL, owned, owned_count, running, running_count, ids, count, e);
}

wctr_err gmsa_ccg_sweep_doc(const cJSON *properties, const char *const *owned, size_t owned_count,
                            const char *const *running, size_t running_count, char ***ids, size_t *count,
                            wctr_errmsg *e) {
  if (properties == NULL) {
    *ids = NULL;
    *count = 0;
    return wctr_fail(e, WCTR_EINVAL, WHERE ": no document");
  }
  return sweep(NULL, properties, owned, owned_count, running, running_count, ids, count, e);
}

void gmsa_ccg_ids_free(char **ids, size_t count) {
  for (size_t i = 0; ids != NULL && i < count; i++) cJSON_free(ids[i]);
  cJSON_free(ids);
}
