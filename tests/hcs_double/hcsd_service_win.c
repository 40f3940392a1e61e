/* tests/hcs_double/hcsd_service_win.c - the Host Compute Service's own settings and properties:
 * Container Credential Guard instances (kept in state.json: like HCS's, they outlive the client that
 * added them until someone removes them), basic information, and HcsGrantVmAccess (recorded, for the
 * disks a utility VM may attach). */
#include "hcsd_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_storage.h"
#include "hcsd_validate.h"

/* GetPropertyType (SchemaReference.md); the double emulates Basic and ContainerCredentialGuard. */
static const char *const service_property_types[] = {
    "Basic", "CpuGroup", "ProcessorTopology", "ContainerCredentialGuard", "QoSCapabilities", NULL,
};

/* Made-up but well-formed: what a client copies into Container.ContainerCredentialGuard and, for
 * Hyper-V isolation, into the utility VM's HvSocket service table. */
#define CCG_SERVICE_SDDL "D:P(A;;FA;;;SY)(A;;FA;;;BA)"

static void base64(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = digits[(v >> 18) & 63];
    out[o++] = digits[(v >> 12) & 63];
    out[o++] = i + 1 < n ? digits[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? digits[v & 63] : '=';
  }
  out[o] = '\0';
}

static cJSON *ccg_instance(const cJSON *details) {
  const char *id = cJSON_GetObjectItemCaseSensitive(details, "Id")->valuestring;
  const char *spec = cJSON_GetObjectItemCaseSensitive(details, "CredentialSpec")->valuestring;
  const char *transport = cJSON_GetObjectItemCaseSensitive(details, "Transport")->valuestring;
  unsigned char cookie[32];
  char cookie64[48], guid[37], endpoint[64];
  hcsd_random(cookie, sizeof cookie);
  base64(cookie, sizeof cookie, cookie64);
  hcsd_new_guid(guid);
  snprintf(endpoint, sizeof endpoint, "wctr-hcs-double-ccg-%s", guid);
  cJSON *inst = cJSON_CreateObject();
  cJSON *state = cJSON_CreateObject();
  if (inst == NULL || state == NULL) hcsd_oom();
  cJSON_AddStringToObject(inst, "Id", id);
  cJSON_AddStringToObject(state, "Cookie", cookie64);
  cJSON_AddStringToObject(state, "RpcEndpoint", endpoint);
  cJSON_AddStringToObject(state, "Transport", transport);
  cJSON_AddStringToObject(state, "CredentialSpec", spec);
  cJSON_AddItemToObject(inst, "CredentialGuard", state);
  if (strcmp(transport, "HvSocket") == 0) {
    /* Only an HvSocket instance has a service for the utility VM to reach. */
    cJSON *hv = cJSON_CreateObject();
    cJSON *config = cJSON_CreateObject();
    if (hv == NULL || config == NULL) hcsd_oom();
    hcsd_new_guid(guid);
    cJSON_AddStringToObject(hv, "ServiceId", guid);
    cJSON_AddStringToObject(config, "BindSecurityDescriptor", CCG_SERVICE_SDDL);
    cJSON_AddStringToObject(config, "ConnectSecurityDescriptor", CCG_SERVICE_SDDL);
    cJSON_AddBoolToObject(config, "AllowWildcardBinds", true);
    cJSON_AddItemToObject(hv, "ServiceConfig", config);
    cJSON_AddItemToObject(inst, "HvSocketConfig", hv);
  }
  return inst;
}

static HRESULT modify_service(const wchar_t *settings, char *detail, size_t detail_size) {
  bool valid;
  char *text = hcsd_utf8(settings, &valid);
  if (!valid) {
    snprintf(detail, detail_size, "ModificationRequest: not valid UTF-16");
    return HCS_E_INVALID_JSON;
  }
  cJSON *doc = hv_parse(text, "ModificationRequest", detail, detail_size);
  free(text);
  hv_service_request request = HV_CPU_GROUP;
  if (doc == NULL || !hv_check_service_modification(doc, &request, detail, detail_size)) {
    cJSON_Delete(doc);
    return HCS_E_INVALID_JSON;
  }
  HRESULT hr = S_OK;
  const cJSON *details =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Settings"), "OperationDetails");
  const char *id = request != HV_CPU_GROUP ? cJSON_GetObjectItemCaseSensitive(details, "Id")->valuestring : NULL;
  if (request == HV_CPU_GROUP) {
    snprintf(detail, detail_size, "ModificationRequest.PropertyType: \"CpuGroup\" is not emulated by the HCS test "
                                  "double");
    hr = E_NOTIMPL;
  } else if (request == HV_CCG_ADD) {
    cJSON *inst = ccg_instance(details);
    if (!hcsd_store_add("CcgInstances", inst)) {
      snprintf(detail, detail_size, "ModificationRequest.Settings.OperationDetails.Id: a Container Credential Guard "
                                    "instance \"%s\" already exists",
               id);
      hr = HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
    }
    cJSON_Delete(inst);
  } else if (!hcsd_store_remove("CcgInstances", id)) {
    snprintf(detail, detail_size, "ModificationRequest.Settings.OperationDetails.Id: no Container Credential Guard "
                                  "instance \"%s\"",
             id);
    hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  }
  cJSON_Delete(doc);
  return hr;
}

HRESULT WINAPI HcsModifyServiceSettings(PCWSTR settings, PWSTR *result) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  hcsd_add_document(fields, "document", settings);
  hcsd_call("HcsModifyServiceSettings", fields, &knob);
  if (result != NULL) *result = NULL;
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (settings == NULL) return E_INVALIDARG;
  char detail[1200] = "injected by a fail rule of the HCS test double";
  HRESULT hr = FAILED(knob.fail) ? knob.fail : modify_service(settings, detail, sizeof detail);
  if (FAILED(hr) && result != NULL) {
    wchar_t *doc = hcsd_error_doc(hr, detail);
    *result = hcsd_local_copy(doc);
    free(doc);
  }
  return hr;
}

static HRESULT service_properties(const wchar_t *query_text, cJSON **out, char *detail, size_t detail_size) {
  cJSON *query = NULL;
  if (query_text != NULL && query_text[0] != L'\0') {
    bool valid;
    char *text = hcsd_utf8(query_text, &valid);
    if (!valid) {
      snprintf(detail, detail_size, "PropertyQuery: not valid UTF-16");
      return HCS_E_INVALID_JSON;
    }
    query = hv_parse(text, "PropertyQuery", detail, detail_size);
    free(text);
    if (query == NULL || !hv_check_property_query(query, service_property_types, detail, detail_size)) {
      cJSON_Delete(query);
      return HCS_E_INVALID_JSON;
    }
  }
  const cJSON *types = query != NULL ? cJSON_GetObjectItemCaseSensitive(query, "PropertyTypes") : NULL;
  cJSON *props = cJSON_CreateArray();
  if (props == NULL) hcsd_oom();
  HRESULT hr = S_OK;
  /* No query (or no types): the basic properties. */
  bool basic_only = types == NULL || types->child == NULL;
  int i = 0;
  for (const cJSON *t = basic_only ? NULL : types->child; t != NULL && SUCCEEDED(hr); t = t->next, i++) {
    if (strcmp(t->valuestring, "Basic") == 0) {
      cJSON_AddItemToArray(props, cJSON_Parse("{\"SupportedSchemaVersions\":[{\"Major\":2,\"Minor\":5}]}"));
    } else if (strcmp(t->valuestring, "ContainerCredentialGuard") == 0) {
      cJSON *info = cJSON_CreateObject();
      if (info == NULL) hcsd_oom();
      cJSON_AddItemToObject(info, "Instances", hcsd_store_list("CcgInstances"));
      cJSON_AddItemToArray(props, info);
    } else {
      snprintf(detail, detail_size, "PropertyQuery.PropertyTypes[%d]: \"%s\" is not emulated by the HCS test double",
               i, t->valuestring);
      hr = E_NOTIMPL;
    }
  }
  if (basic_only) cJSON_AddItemToArray(props, cJSON_Parse("{\"SupportedSchemaVersions\":[{\"Major\":2,\"Minor\":5}]}"));
  cJSON_Delete(query);
  if (FAILED(hr)) {
    cJSON_Delete(props);
    return hr;
  }
  cJSON *doc = cJSON_CreateObject();
  if (doc == NULL) hcsd_oom();
  cJSON_AddItemToObject(doc, "Properties", props);
  *out = doc;
  return S_OK;
}

HRESULT WINAPI HcsGetServiceProperties(PCWSTR propertyQuery, PWSTR *result) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  hcsd_add_document(fields, "document", propertyQuery);
  hcsd_call("HcsGetServiceProperties", fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (result == NULL) return E_POINTER;
  *result = NULL;
  char detail[1200] = "injected by a fail rule of the HCS test double";
  cJSON *props = NULL;
  HRESULT hr = FAILED(knob.fail) ? knob.fail : service_properties(propertyQuery, &props, detail, sizeof detail);
  wchar_t *doc = FAILED(hr) ? hcsd_error_doc(hr, detail) : hcsd_json_to_wide(props);
  *result = hcsd_local_copy(doc);
  free(doc);
  return hr;
}

HRESULT WINAPI HcsGrantVmAccess(PCWSTR vmId, PCWSTR filePath) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  hcsd_add_string(fields, "id", vmId);
  hcsd_add_string(fields, "path", filePath);
  hcsd_call("HcsGrantVmAccess", fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (FAILED(knob.fail)) return knob.fail;
  /* vmId is the VM's compute system id (HCS derives the VM account's GUID from it). */
  if (vmId == NULL || vmId[0] == L'\0' || filePath == NULL || filePath[0] == L'\0') return E_INVALIDARG;
  /* The access entry itself is not written: Wine does not enforce file ACLs. The grant is recorded
   * (state.json "Grants"): a disk the VM was not granted is refused when it is attached, as the VM's
   * worker process could not open it. The file must exist, as HCS opens it. */
  if (GetFileAttributesW(filePath) == INVALID_FILE_ATTRIBUTES) return HRESULT_FROM_WIN32(GetLastError());
  char *vm = hcsd_utf8(vmId, NULL);
  char *path = hcsd_utf8(filePath, NULL);
  if (vm != NULL && path != NULL) hcsd_grant_record(vm, path);
  free(vm);
  free(path);
  return S_OK;
}
