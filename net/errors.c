/* net/errors.c - the HNS HRESULT table and the sentence builder (net/errors.h). Names are winerror.h's
 * (HCN_E_*, FACILITY 0x3B); the meanings are said in wctr's words, the hints are wctr's. */
#include "net/errors.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#define HINT_BUG "this is a wctr bug: report it with the service log"
#define HINT_PORT "another container or program already publishes this host port: choose another with -p"

static const net_error_info table[] = {
    {0x803B0001u, "HCN_E_NETWORK_NOT_FOUND", "The network does not exist", "see wctr network ls", WCTR_ENOENT},
    {0x803B0002u, "HCN_E_ENDPOINT_NOT_FOUND", "The endpoint does not exist", NULL, WCTR_ENOENT},
    {0x803B0003u, "HCN_E_LAYER_NOT_FOUND", "The network's underlying layer does not exist", NULL, WCTR_ENOENT},
    {0x803B0004u, "HCN_E_SWITCH_NOT_FOUND", "The virtual switch does not exist", NULL, WCTR_ENOENT},
    {0x803B0005u, "HCN_E_SUBNET_NOT_FOUND", "The network has no subnet for this endpoint", NULL, WCTR_ECONFIG},
    {0x803B0006u, "HCN_E_ADAPTER_NOT_FOUND", "A network adapter does not exist", NULL, WCTR_ENOENT},
    {0x803B0007u, "HCN_E_PORT_NOT_FOUND", "The switch port does not exist", NULL, WCTR_ENOENT},
    {0x803B0008u, "HCN_E_POLICY_NOT_FOUND", "A policy the operation needs does not exist", NULL, WCTR_ENOENT},
    {0x803B000Au, "HCN_E_INVALID_NETWORK", "The network's settings are invalid or incomplete", HINT_BUG, WCTR_EINVAL},
    {0x803B000Bu, "HCN_E_INVALID_NETWORK_TYPE", "The network type is not valid", NULL, WCTR_EINVAL},
    {0x803B000Cu, "HCN_E_INVALID_ENDPOINT", "The endpoint's settings are invalid or incomplete", HINT_BUG, WCTR_EINVAL},
    {0x803B000Du, "HCN_E_INVALID_POLICY", "A policy's settings are invalid or incomplete", HINT_BUG, WCTR_EINVAL},
    {0x803B000Eu, "HCN_E_INVALID_POLICY_TYPE", "The policy type is not valid", HINT_BUG, WCTR_EINVAL},
    {0x803B0010u, "HCN_E_NETWORK_ALREADY_EXISTS", "A network of this name already exists", "choose another name",
     WCTR_EEXIST},
    {0x803B0012u, "HCN_E_POLICY_ALREADY_EXISTS", "The object already has this policy", NULL, WCTR_EEXIST},
    {0x803B0013u, "HCN_E_PORT_ALREADY_EXISTS", "The port is already in use", HINT_PORT, WCTR_EEXIST},
    {0x803B0014u, "HCN_E_ENDPOINT_ALREADY_ATTACHED", "The endpoint is already attached to the switch", NULL, WCTR_EEXIST},
    {0x803B0015u, "HCN_E_REQUEST_UNSUPPORTED", "The request is not supported", NULL, WCTR_ENOTSUP},
    {0x803B0016u, "HCN_E_MAPPING_NOT_SUPPORTED", "This network does not support port mappings",
     "publish ports on a nat network", WCTR_ENOTSUP},
    {0x803B0017u, "HCN_E_DEGRADED_OPERATION", "The object is degraded", NULL, WCTR_ESYSTEM},
    {0x803B0019u, "HCN_E_GUID_CONVERSION_FAILURE", "A parameter is not a GUID", HINT_BUG, WCTR_EINTERNAL},
    {0x803B001Bu, "HCN_E_INVALID_JSON", "The JSON document is not valid", HINT_BUG, WCTR_EINTERNAL},
    {0x803B001Cu, "HCN_E_INVALID_JSON_REFERENCE", "The JSON document refers to something that is not valid", HINT_BUG,
     WCTR_EINTERNAL},
    {0x803B001Eu, "HCN_E_INVALID_IP", "The IP address is not valid or is outside the network's subnets", NULL,
     WCTR_EINVAL},
    {0x803B0020u, "HCN_E_MANAGER_STOPPED", "The Host Network Service is stopping", "try again when it runs",
     WCTR_ESYSTEM},
    {0x803B002Au, "HCN_E_ICS_DISABLED", "The Internet Connection Sharing service (SharedAccess) is disabled",
     "enable the SharedAccess service", WCTR_ENOTSUP},
    {0x803B002Bu, "HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS", "The endpoint is already in a network namespace", NULL,
     WCTR_EEXIST},
    {0x803B002Cu, "HCN_E_ENTITY_HAS_REFERENCES", "The object is still in use and cannot be removed", NULL, WCTR_EBUSY},
    {0x803B002Du, "HCN_E_INVALID_INTERNAL_PORT", "The internal port is missing or zero", HINT_BUG, WCTR_EINVAL},
    {0x803B002Eu, "HCN_E_NAMESPACE_ATTACH_FAILED", "The network namespace could not be attached", NULL, WCTR_ESYSTEM},
    {0x803B002Fu, "HCN_E_ADDR_INVALID_OR_RESERVED", "An address is not valid or is reserved", NULL, WCTR_EINVAL},
    {0x803B0030u, "HCN_E_INVALID_PREFIX", "The prefix is not valid", NULL, WCTR_EINVAL},
    {0x803B0032u, "HCN_E_INVALID_SUBNET", "The subnet's settings are invalid or incomplete", NULL, WCTR_EINVAL},
    {0x803B0033u, "HCN_E_INVALID_IP_SUBNET", "The IP subnet's settings are invalid or incomplete", NULL, WCTR_EINVAL},
    {0x803B0034u, "HCN_E_ENDPOINT_NOT_ATTACHED", "The endpoint must be attached first", NULL, WCTR_ESTATE},
    {0x80070490u, "ERROR_NOT_FOUND", "Element not found", NULL, WCTR_ENOENT},
    {0x800700B7u, "ERROR_ALREADY_EXISTS", "The object already exists", NULL, WCTR_EEXIST},
    {0x80070005u, "E_ACCESSDENIED", "Access is denied", "run the wctr service as LocalSystem or an administrator",
     WCTR_EACCES},
    {0x80070057u, "E_INVALIDARG", "One or more arguments are not valid", HINT_BUG, WCTR_EINVAL},
    {0x80004001u, "E_NOTIMPL", "Not implemented", "this version of Windows lacks the feature", WCTR_ENOTSUP},
    {0x800706D9u, "EPT_S_NOT_REGISTERED", "The Host Network Service is not running",
     "start the hns service (net start hns)", WCTR_ESYSTEM},
};

const net_error_info *net_error_table(size_t *count) {
  if (count != NULL) *count = sizeof table / sizeof table[0];
  return table;
}

const net_error_info *net_error_lookup(uint32_t hr) {
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (table[i].code == hr) return &table[i];
  }
  return NULL;
}

wctr_err net_error_code(uint32_t hr) {
  const net_error_info *info = net_error_lookup(hr);
  return info != NULL ? info->err : wctr_from_hresult(hr);
}

int net_error_is_not_found(uint32_t hr) {
  return hr == NET_E_NETWORK_NOT_FOUND || hr == NET_E_ENDPOINT_NOT_FOUND || hr == NET_E_ELEMENT_NOT_FOUND ||
         hr == 0x80070002u /* ERROR_FILE_NOT_FOUND */;
}

static void put_text(char *buf, size_t size, size_t *len, const char *text, bool clean) {
  size_t n = strlen(text);
  while (clean && n > 0 && (text[n - 1] == '.' || text[n - 1] == ' ' || text[n - 1] == '\n' || text[n - 1] == '\r')) n--;
  for (size_t i = 0; i < n && *len + 1 < size; i++) {
    char c = text[i];
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    buf[(*len)++] = c;
  }
  buf[*len] = '\0';
}

/* The record's message: JSON's "Error" or "ErrorMessage" (a string), else the text itself when it is not
 * JSON; NULL when it says nothing. *doc holds what must be freed. */
static const char *record_detail(const char *record, cJSON **doc) {
  *doc = NULL;
  if (record == NULL) return NULL;
  const char *p = record;
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
  if (*p == '\0') return NULL;
  if (*p != '{') return p;
  *doc = cJSON_Parse(p);
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(*doc, "Error");
  if (!cJSON_IsString(m)) m = cJSON_GetObjectItemCaseSensitive(*doc, "ErrorMessage");
  return cJSON_IsString(m) && m->valuestring[0] != '\0' ? m->valuestring : NULL;
}

char *net_error_describe(uint32_t hr, const char *record, char *buf, size_t size) {
  if (buf == NULL || size == 0) return buf;
  buf[0] = '\0';
  size_t len = 0;
  const net_error_info *info = net_error_lookup(hr);
  char head[96];
  if (info != NULL) {
    put_text(buf, size, &len, info->meaning, false);
    snprintf(head, sizeof head, " (%s, 0x%08X)", info->name, (unsigned)hr);
  } else {
    put_text(buf, size, &len, "HNS call failed", false);
    snprintf(head, sizeof head, " (0x%08X)", (unsigned)hr);
  }
  put_text(buf, size, &len, head, false);
  cJSON *doc = NULL;
  const char *detail = record_detail(record, &doc);
  if (detail != NULL && !(info != NULL && strncmp(detail, info->meaning, strlen(info->meaning)) == 0)) {
    put_text(buf, size, &len, ": ", false);
    put_text(buf, size, &len, detail, true);
  }
  cJSON_Delete(doc);
  if (info != NULL && info->hint != NULL) {
    put_text(buf, size, &len, "; ", false);
    put_text(buf, size, &len, info->hint, false);
  }
  return buf;
}
