/* tests/hcs_double/kit/hcsd_validate.c - strict validation of HCS documents against the schema table. */
#include "hcsd_validate.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The path of the value being checked, built as the walk descends, and where the message goes. */
typedef struct hv_ctx {
  char path[600];
  size_t len;
  char *msg;
  size_t msg_size;
} hv_ctx;

const char *hv_json_type_name(const cJSON *item) {
  if (item == NULL) return "nothing";
  if (cJSON_IsString(item)) return "a string";
  if (cJSON_IsNumber(item)) return "a number";
  if (cJSON_IsBool(item)) return "a boolean";
  if (cJSON_IsNull(item)) return "null";
  if (cJSON_IsArray(item)) return "an array";
  if (cJSON_IsObject(item)) return "an object";
  return "an unknown value";
}

static bool fail(hv_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(hv_ctx *c, const char *fmt, ...) {
  char detail[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  snprintf(c->msg, c->msg_size, "%s: %s", c->path, detail);
  return false;
}

/* Appends a segment to the path; returns the length to restore with path_pop. A path that does not
 * fit is cut with "..." (only the message gets shorter). */
static size_t path_push(hv_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t path_push(hv_ctx *c, const char *fmt, ...) {
  size_t old = c->len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->path + c->len, sizeof c->path - c->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof c->path - c->len) {
    memcpy(c->path + sizeof c->path - 4, "...", 4);
    c->len = sizeof c->path - 1;
  } else {
    c->len += (size_t)n;
  }
  return old;
}

static void path_pop(hv_ctx *c, size_t old) {
  c->len = old;
  c->path[old] = '\0';
}

static void ctx_init(hv_ctx *c, const char *path, char *msg, size_t msg_size) {
  c->len = 0;
  c->path[0] = '\0';
  c->msg = msg;
  c->msg_size = msg_size;
  path_push(c, "%s", path);
  if (msg_size > 0) msg[0] = '\0';
}

cJSON *hv_parse(const char *text, const char *what, char *msg, size_t msg_size) {
  const char *end = NULL;
  cJSON *doc = cJSON_ParseWithOpts(text, &end, 1);
  if (doc == NULL) {
    size_t offset = end != NULL && end >= text ? (size_t)(end - text) : 0;
    snprintf(msg, msg_size, "%s: not valid JSON (error at byte %zu)", what, offset);
  }
  return doc;
}

int hv_find_type(const char *name) {
  size_t lo = 0, hi = hcsd_schema_type_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = strcmp(name, hcsd_schema_types[mid].name);
    if (cmp == 0) return (int)mid;
    if (cmp < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return -1;
}

static const hv_field *find_field(const hv_type *t, const char *name) {
  size_t lo = 0, hi = t->field_count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int cmp = strcmp(name, t->fields[mid].name);
    if (cmp == 0) return &t->fields[mid];
    if (cmp < 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return NULL;
}

static bool ascii_case_equal(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static bool is_guid(const char *s) {
  if (strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    char ch = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (ch != '-') return false;
    } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))) {
      return false;
    }
  }
  return true;
}

static const char *kind_name(hv_kind kind) {
  switch (kind) {
    case HV_STRING: return "string";
    case HV_GUID: return "GUID string";
    case HV_BOOL: return "bool";
    case HV_UINT8: return "uint8";
    case HV_UINT16: return "uint16";
    case HV_INT32: return "int32";
    case HV_UINT32: return "uint32";
    case HV_INT64: return "int64";
    case HV_UINT64: return "uint64";
    case HV_NUMBER: return "number";
    case HV_ANY: return "any value";
    case HV_OBJECT: return "object";
    case HV_ARRAY: return "array";
    case HV_MAP: return "object (map)";
    case HV_NONE: break;
  }
  return "?";
}

static bool check_enum(hv_ctx *c, const char *value, const char *const *values) {
  if (values == NULL) return true;
  if (values[0] == NULL) return fail(c, "\"%s\": no value is accepted here", value);
  char list[300];
  size_t used = 0;
  list[0] = '\0';
  for (const char *const *v = values; *v != NULL; v++) {
    if (strcmp(value, *v) == 0) return true;
    int n = snprintf(list + used, sizeof list - used, "%s\"%s\"", used > 0 ? ", " : "", *v);
    if (n > 0 && (size_t)n < sizeof list - used) used += (size_t)n;
  }
  return fail(c, "\"%s\" is not one of %s", value, list);
}

/* cJSON keeps numbers as doubles, so widths up to 64 bits are checked on the double value: exact
 * for every integer a client can mean (within 2^53) and right about range for the rest. */
static bool check_integer(hv_ctx *c, const cJSON *item, hv_kind kind) {
  double v = item->valuedouble;
  if (!isfinite(v) || v != floor(v)) return fail(c, "%.17g is not an integer (%s)", v, kind_name(kind));
  double lo = 0, hi = 0; /* inclusive lo, exclusive hi */
  switch (kind) {
    case HV_UINT8: hi = 256.0; break;
    case HV_UINT16: hi = 65536.0; break;
    case HV_INT32: lo = -2147483648.0; hi = 2147483648.0; break;
    case HV_UINT32: hi = 4294967296.0; break;
    case HV_INT64: lo = -9223372036854775808.0; hi = 9223372036854775808.0; break;
    case HV_UINT64: hi = 18446744073709551616.0; break;
    default: return true;
  }
  if (v < lo || v >= hi) return fail(c, "%.17g is out of range for %s", v, kind_name(kind));
  return true;
}

static bool check_object(hv_ctx *c, const cJSON *item, int type);

static bool check_value(hv_ctx *c, const cJSON *item, hv_kind kind, hv_kind elem, int type,
                        const char *const *enums, int fixed_len) {
  if (cJSON_IsNull(item)) return fail(c, "null is not allowed (omit the field instead)");
  switch (kind) {
    case HV_STRING:
    case HV_GUID:
      if (!cJSON_IsString(item)) return fail(c, "expected a string, got %s", hv_json_type_name(item));
      if (kind == HV_GUID && !is_guid(item->valuestring)) {
        return fail(c, "\"%s\" is not a GUID (8-4-4-4-12 hex digits, no braces)", item->valuestring);
      }
      return check_enum(c, item->valuestring, enums);
    case HV_BOOL:
      if (!cJSON_IsBool(item)) return fail(c, "expected a boolean, got %s", hv_json_type_name(item));
      return true;
    case HV_UINT8:
    case HV_UINT16:
    case HV_INT32:
    case HV_UINT32:
    case HV_INT64:
    case HV_UINT64:
      if (!cJSON_IsNumber(item)) {
        return fail(c, "expected an integer (%s), got %s", kind_name(kind), hv_json_type_name(item));
      }
      return check_integer(c, item, kind);
    case HV_NUMBER:
      if (!cJSON_IsNumber(item)) return fail(c, "expected a number, got %s", hv_json_type_name(item));
      return true;
    case HV_ANY:
      return true;
    case HV_OBJECT:
      return check_object(c, item, type);
    case HV_ARRAY: {
      if (!cJSON_IsArray(item)) return fail(c, "expected an array, got %s", hv_json_type_name(item));
      int n = cJSON_GetArraySize(item);
      if (fixed_len > 0 && n != fixed_len) {
        return fail(c, "expected exactly %d elements, got %d", fixed_len, n);
      }
      int i = 0;
      for (const cJSON *e = item->child; e != NULL; e = e->next, i++) {
        size_t old = path_push(c, "[%d]", i);
        if (!check_value(c, e, elem, HV_NONE, type, enums, 0)) return false;
        path_pop(c, old);
      }
      return true;
    }
    case HV_MAP:
      if (!cJSON_IsObject(item)) {
        return fail(c, "expected an object (a map), got %s", hv_json_type_name(item));
      }
      for (const cJSON *e = item->child; e != NULL; e = e->next) {
        for (const cJSON *p = item->child; p != e; p = p->next) {
          if (strcmp(p->string, e->string) == 0) return fail(c, "duplicate key \"%s\"", e->string);
        }
        size_t old = path_push(c, "[\"%s\"]", e->string);
        if (!check_value(c, e, elem, HV_NONE, type, enums, 0)) return false;
        path_pop(c, old);
      }
      return true;
    case HV_NONE:
      break;
  }
  return fail(c, "the double's schema table has no type here");
}

static bool check_object(hv_ctx *c, const cJSON *item, int type) {
  if (!cJSON_IsObject(item)) return fail(c, "expected an object, got %s", hv_json_type_name(item));
  if (type < 0 || (size_t)type >= hcsd_schema_type_count) return fail(c, "no such schema type");
  const hv_type *t = &hcsd_schema_types[type];
  for (const cJSON *e = item->child; e != NULL; e = e->next) {
    for (const cJSON *p = item->child; p != e; p = p->next) {
      if (strcmp(p->string, e->string) == 0) return fail(c, "duplicate field \"%s\"", e->string);
    }
    const hv_field *f = find_field(t, e->string);
    if (f == NULL) {
      for (size_t i = 0; i < t->field_count; i++) {
        if (ascii_case_equal(t->fields[i].name, e->string)) {
          return fail(c, "unknown field \"%s\" (field names are case-sensitive: did you mean \"%s\"?)",
                      e->string, t->fields[i].name);
        }
      }
      return fail(c, "unknown field \"%s\" (%s has no such field)", e->string, t->name);
    }
    size_t old = path_push(c, ".%s", f->name);
    if (!check_value(c, e, f->kind, f->elem, f->type, f->enum_values, f->fixed_len)) return false;
    path_pop(c, old);
  }
  return true;
}

bool hv_check_type(const cJSON *item, const char *name, const char *path, char *msg, size_t msg_size) {
  hv_ctx c;
  ctx_init(&c, path, msg, msg_size);
  int type = hv_find_type(name);
  if (type < 0) return fail(&c, "the double's schema table has no type %s", name);
  return check_object(&c, item, type);
}

/* A required member of an already type-checked object. */
static const cJSON *required(hv_ctx *c, const cJSON *obj, const char *name) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (item == NULL) {
    size_t old = path_push(c, ".%s", name);
    fail(c, "required field is missing");
    path_pop(c, old);
  }
  return item;
}

static bool required_string(hv_ctx *c, const cJSON *obj, const char *name) {
  const cJSON *item = required(c, obj, name);
  if (item == NULL) return false;
  if (item->valuestring[0] == '\0') {
    size_t old = path_push(c, ".%s", name);
    fail(c, "must not be empty");
    path_pop(c, old);
    return false;
  }
  return true;
}

static bool check_schema_version(hv_ctx *c, const cJSON *obj) {
  const cJSON *version = required(c, obj, "SchemaVersion");
  if (version == NULL) return false;
  size_t old = path_push(c, ".SchemaVersion");
  const cJSON *major = required(c, version, "Major");
  if (major == NULL || required(c, version, "Minor") == NULL) return false;
  if (major->valuedouble != 2) {
    path_push(c, ".Major");
    return fail(c, "%.17g is not supported (the double speaks schema 2.x)", major->valuedouble);
  }
  path_pop(c, old);
  return true;
}

bool hv_check_compute_system(const cJSON *doc, hv_system_kind *kind, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "ComputeSystem", "ComputeSystem", msg, msg_size)) return false;
  ctx_init(&c, "ComputeSystem", msg, msg_size);
  if (!check_schema_version(&c, doc)) return false;
  if (!required_string(&c, doc, "Owner")) return false;
  const cJSON *container = cJSON_GetObjectItemCaseSensitive(doc, "Container");
  const cJSON *vm = cJSON_GetObjectItemCaseSensitive(doc, "VirtualMachine");
  const cJSON *hosted = cJSON_GetObjectItemCaseSensitive(doc, "HostedSystem");
  const cJSON *hosting = cJSON_GetObjectItemCaseSensitive(doc, "HostingSystemId");
  int present = (container != NULL) + (vm != NULL) + (hosted != NULL);
  if (present == 0) return fail(&c, "one of Container, VirtualMachine or HostedSystem is required");
  if (present > 1) {
    return fail(&c, "Container, VirtualMachine and HostedSystem are mutually exclusive (%s%s%s given)",
                container != NULL ? "Container " : "", vm != NULL ? "VirtualMachine " : "",
                hosted != NULL ? "HostedSystem " : "");
  }
  if (hosted == NULL) {
    if (hosting != NULL) {
      path_push(&c, ".HostingSystemId");
      return fail(&c, "only valid together with HostedSystem");
    }
    *kind = container != NULL ? HV_SYSTEM_CONTAINER : HV_SYSTEM_VM;
    return true;
  }
  if (!required_string(&c, doc, "HostingSystemId")) return false;
  path_push(&c, ".HostedSystem");
  if (!check_schema_version(&c, hosted)) return false;
  if (required(&c, hosted, "Container") == NULL) return false;
  *kind = HV_SYSTEM_HOSTED;
  return true;
}

bool hv_check_process_parameters(const cJSON *doc, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "ProcessParameters", "ProcessParameters", msg, msg_size)) return false;
  ctx_init(&c, "ProcessParameters", msg, msg_size);
  return required_string(&c, doc, "CommandLine");
}

/* Resource paths of HcsModifyComputeSystem the double knows (hcsshim internal/hcs/resourcepaths).
 * A trailing '*' matches one or more further path characters (a controller GUID, a LUN, a name). */
typedef struct hv_resource {
  const char *path;
  bool vm;
  const char *const *request_types;
  hv_kind kind;         /* of Settings */
  const char *type;     /* when kind is HV_OBJECT */
} hv_resource;

static const char *const update_only[] = {"Update", NULL};
static const char *const add_remove[] = {"Add", "Remove", NULL};
static const char *const add_remove_update[] = {"Add", "Remove", "Update", NULL};

static const hv_resource resources[] = {
    {"Container/Memory/SizeInMB", false, update_only, HV_UINT64, NULL},
    {"Container/Processor", false, update_only, HV_OBJECT, "Processor"},
    {"Container/MappedDirectories", false, add_remove, HV_OBJECT, "MappedDirectory"},
    {"Container/MappedPipes", false, add_remove, HV_OBJECT, "MappedPipe"},
    {"VirtualMachine/ComputeTopology/Memory/SizeInMB", true, update_only, HV_UINT64, NULL},
    {"VirtualMachine/ComputeTopology/Processor/Limits", true, update_only, HV_OBJECT, "ProcessorLimits"},
    {"VirtualMachine/Devices/VirtualSmb/Shares", true, add_remove_update, HV_OBJECT, "VirtualSmbShare"},
    {"VirtualMachine/Devices/Plan9/Shares", true, add_remove, HV_OBJECT, "Plan9Share"},
    {"VirtualMachine/Devices/Scsi/*", true, add_remove, HV_OBJECT, "Attachment"},
    {"VirtualMachine/Devices/NetworkAdapters/*", true, add_remove_update, HV_OBJECT, "NetworkAdapter"},
    {"VirtualMachine/Devices/HvSocket/HvSocketConfig/ServiceTable/*", true, add_remove_update, HV_OBJECT,
     "HvSocketServiceConfig"},
    {"VirtualMachine/Devices/VirtualPMem/Devices/*", true, add_remove, HV_OBJECT, "VirtualPMemDevice"},
};

static bool resource_matches(const char *pattern, const char *path) {
  size_t n = strlen(pattern);
  if (n > 0 && pattern[n - 1] == '*') return strncmp(pattern, path, n - 1) == 0 && strlen(path) > n - 1;
  return strcmp(pattern, path) == 0;
}

bool hv_check_guest_request(const cJSON *guest, const char *path, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(guest, "GuestModifySettingRequest", path, msg, msg_size)) return false;
  ctx_init(&c, path, msg, msg_size);
  const cJSON *resource = required(&c, guest, "ResourceType");
  const cJSON *request = resource != NULL ? required(&c, guest, "RequestType") : NULL;
  if (request == NULL) return false;
  bool disk = strcmp(resource->valuestring, "MappedVirtualDisk") == 0;
  bool layers = strcmp(resource->valuestring, "CombinedLayers") == 0;
  if (strcmp(resource->valuestring, "NetworkNamespace") == 0) {
    /* hcsshim's AddNetNS: the namespace as HNS describes it. */
    const cJSON *settings = required(&c, guest, "Settings");
    if (settings == NULL) return false;
    path_push(&c, ".Settings");
    if (!hv_check_type(settings, "HostComputeNamespace", c.path, msg, msg_size)) return false;
    return required_string(&c, settings, "ID");
  }
  if (strcmp(resource->valuestring, "Network") == 0) {
    /* hcsshim's addNIC / removeNIC: NetworkModifyRequest, whose PreAdd carries the endpoint. */
    const cJSON *settings = required(&c, guest, "Settings");
    if (settings == NULL) return false;
    path_push(&c, ".Settings");
    if (!hv_check_type(settings, "GuestNetworkModifyRequest", c.path, msg, msg_size)) return false;
    if (!required_string(&c, settings, "AdapterId") || required(&c, settings, "RequestType") == NULL) return false;
    if (strcmp(cJSON_GetObjectItemCaseSensitive(settings, "RequestType")->valuestring, "PreAdd") != 0) return true;
    const cJSON *endpoint = required(&c, settings, "Settings");
    if (endpoint == NULL) return false;
    path_push(&c, ".Settings");
    if (!hv_check_type(endpoint, "HostComputeEndpoint", c.path, msg, msg_size)) return false;
    return required_string(&c, endpoint, "ID");
  }
  if (!disk && !layers) return true;
  const cJSON *settings = required(&c, guest, "Settings");
  if (settings == NULL) return false;
  path_push(&c, ".Settings");
  if (!hv_check_type(settings, disk ? "WcowMappedVirtualDisk" : "WcowCombinedLayers", c.path, msg, msg_size)) {
    return false;
  }
  if (disk) return required_string(&c, settings, "ContainerPath") && required(&c, settings, "Lun") != NULL;
  if (!required_string(&c, settings, "ContainerRootPath")) return false;
  if (strcmp(request->valuestring, "Add") != 0) return true;
  const cJSON *list = required(&c, settings, "Layers");
  if (list == NULL) return false;
  if (cJSON_GetArraySize(list) == 0) {
    path_push(&c, ".Layers");
    return fail(&c, "there must be at least one layer to combine");
  }
  return true;
}

bool hv_check_modify_setting(const cJSON *doc, bool is_vm, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "ModifySettingRequest", "ModifySettingRequest", msg, msg_size)) return false;
  ctx_init(&c, "ModifySettingRequest", msg, msg_size);
  const cJSON *guest = cJSON_GetObjectItemCaseSensitive(doc, "GuestRequest");
  if (guest != NULL && !is_vm) {
    path_push(&c, ".GuestRequest");
    return fail(&c, "only a virtual machine has a guest to send requests to");
  }
  if (guest != NULL && !hv_check_guest_request(guest, "ModifySettingRequest.GuestRequest", msg, msg_size)) {
    return false;
  }
  if (guest != NULL && cJSON_GetObjectItemCaseSensitive(doc, "ResourcePath") == NULL) {
    /* The guest's side alone: nothing of the host's to say. */
    static const char *const host_fields[] = {"RequestType", "Settings"};
    for (size_t i = 0; i < 2; i++) {
      if (cJSON_GetObjectItemCaseSensitive(doc, host_fields[i]) != NULL) {
        path_push(&c, ".%s", host_fields[i]);
        return fail(&c, "only valid together with ResourcePath");
      }
    }
    return true;
  }
  if (!required_string(&c, doc, "ResourcePath") || required(&c, doc, "RequestType") == NULL) return false;
  const char *path = cJSON_GetObjectItemCaseSensitive(doc, "ResourcePath")->valuestring;
  const char *request = cJSON_GetObjectItemCaseSensitive(doc, "RequestType")->valuestring;
  const cJSON *settings = cJSON_GetObjectItemCaseSensitive(doc, "Settings");
  const hv_resource *r = NULL;
  for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
    if (resource_matches(resources[i].path, path)) {
      r = &resources[i];
      break;
    }
  }
  if (r == NULL || r->vm != is_vm) {
    path_push(&c, ".ResourcePath");
    return fail(&c, "\"%s\" is not a resource path of a %s the double knows", path,
                is_vm ? "virtual machine" : "container");
  }
  bool allowed = false;
  for (const char *const *t = r->request_types; *t != NULL; t++) allowed = allowed || strcmp(*t, request) == 0;
  if (!allowed) {
    path_push(&c, ".RequestType");
    return fail(&c, "\"%s\" is not a request type for %s", request, path);
  }
  if (settings == NULL) {
    if (strcmp(request, "Remove") == 0) return true;
    return required(&c, doc, "Settings") != NULL;
  }
  path_push(&c, ".Settings");
  if (r->kind == HV_OBJECT) return hv_check_type(settings, r->type, c.path, msg, msg_size);
  return check_value(&c, settings, r->kind, HV_NONE, -1, NULL, 0);
}

bool hv_check_system_query(const cJSON *doc, char *msg, size_t msg_size) {
  return hv_check_type(doc, "SystemQuery", "SystemQuery", msg, msg_size);
}

bool hv_is_volume_path(const char *path) {
  static const char prefix[] = "\\\\?\\Volume{";
  size_t n = path != NULL ? strlen(path) : 0;
  size_t p = sizeof prefix - 1;
  if (n != p + 36 + 2 || strncmp(path, prefix, p) != 0 || path[p + 36] != '}' || path[p + 37] != '\\') return false;
  char guid[37];
  memcpy(guid, path + p, 36);
  guid[36] = '\0';
  return is_guid(guid);
}

/* More than one of Count, Maximum and Weight in the Processor of container (NULL: none). */
static bool processor_overlaps(hv_ctx *c, const cJSON *container) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(container, "Processor");
  if (p == NULL) return false;
  static const char *const fields[] = {"Count", "Maximum", "Weight"};
  char given[40] = "";
  int n = 0;
  for (size_t i = 0; i < 3; i++) {
    if (cJSON_GetObjectItemCaseSensitive(p, fields[i]) == NULL) continue;
    size_t len = strlen(given);
    snprintf(given + len, sizeof given - len, "%s%s", n > 0 ? ", " : "", fields[i]);
    n++;
  }
  if (n < 2) return false;
  path_push(c, ".Processor");
  fail(c, "Count, Maximum and Weight are mutually exclusive (%s given)", given);
  return true;
}

int32_t hv_check_system_rules(const cJSON *doc, hv_system_kind kind, char *msg, size_t msg_size) {
  hv_ctx c;
  ctx_init(&c, "ComputeSystem", msg, msg_size);
  if (kind == HV_SYSTEM_VM) return 0;
  const cJSON *container = kind == HV_SYSTEM_CONTAINER
                               ? cJSON_GetObjectItemCaseSensitive(doc, "Container")
                               : cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "HostedSystem"),
                                                                  "Container");
  path_push(&c, kind == HV_SYSTEM_CONTAINER ? ".Container" : ".HostedSystem.Container");
  if (processor_overlaps(&c, container)) return HV_E_INVALIDARG;
  if (kind == HV_SYSTEM_CONTAINER) {
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(container, "Storage"), "Path");
    if (!cJSON_IsString(path) || !hv_is_volume_path(path->valuestring)) {
      path_push(&c, ".Storage.Path");
      fail(&c, "%s%s%s must be a volume GUID path in the form \\\\?\\Volume{GUID}\\ (the mounted scratch)",
           cJSON_IsString(path) ? "\"" : "", cJSON_IsString(path) ? path->valuestring : "a missing path",
           cJSON_IsString(path) ? "\"" : "");
      return HV_E_INVALIDARG;
    }
  }
  return 0;
}

bool hv_check_process_modify(const cJSON *doc, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "ProcessModifyRequest", "ProcessModifyRequest", msg, msg_size)) return false;
  ctx_init(&c, "ProcessModifyRequest", msg, msg_size);
  const cJSON *op = required(&c, doc, "Operation");
  if (op == NULL) return false;
  bool close = strcmp(op->valuestring, "CloseHandle") == 0;
  const char *needed = close ? "CloseHandle" : "ConsoleSize";
  const char *other = close ? "ConsoleSize" : "CloseHandle";
  const cJSON *details = required(&c, doc, needed);
  if (details == NULL) return false;
  if (cJSON_GetObjectItemCaseSensitive(doc, other) != NULL) {
    path_push(&c, ".%s", other);
    return fail(&c, "does not belong to a %s request", op->valuestring);
  }
  path_push(&c, ".%s", needed);
  if (close) return required(&c, details, "Handle") != NULL;
  return required(&c, details, "Height") != NULL && required(&c, details, "Width") != NULL;
}

bool hv_check_signal_options(const cJSON *doc, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "SignalProcessOptions", "SignalProcessOptions", msg, msg_size)) return false;
  ctx_init(&c, "SignalProcessOptions", msg, msg_size);
  return required(&c, doc, "Signal") != NULL;
}

bool hv_check_property_query(const cJSON *doc, const char *const allowed[], char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "PropertyQuery", "PropertyQuery", msg, msg_size)) return false;
  ctx_init(&c, "PropertyQuery", msg, msg_size);
  const cJSON *types = cJSON_GetObjectItemCaseSensitive(doc, "PropertyTypes");
  int i = 0;
  for (const cJSON *t = types != NULL ? types->child : NULL; t != NULL; t = t->next, i++) {
    size_t old = path_push(&c, ".PropertyTypes[%d]", i);
    if (!check_enum(&c, t->valuestring, allowed)) return false;
    path_pop(&c, old);
  }
  return true;
}

static bool is_json_object_text(const char *text) {
  cJSON *spec = cJSON_ParseWithOpts(text, NULL, 1);
  bool ok = cJSON_IsObject(spec);
  cJSON_Delete(spec);
  return ok;
}

bool hv_check_service_modification(const cJSON *doc, hv_service_request *request, char *msg,
                                   size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "ModificationRequest", "ModificationRequest", msg, msg_size)) return false;
  ctx_init(&c, "ModificationRequest", msg, msg_size);
  const cJSON *property = required(&c, doc, "PropertyType");
  const cJSON *settings = property != NULL ? required(&c, doc, "Settings") : NULL;
  if (settings == NULL) return false;
  path_push(&c, ".Settings");
  bool ccg = strcmp(property->valuestring, "ContainerCredentialGuard") == 0;
  const char *type = ccg ? "ContainerCredentialGuardOperationRequest" : "HostProcessorModificationRequest";
  if (!hv_check_type(settings, type, c.path, msg, msg_size)) return false;
  const cJSON *op = required(&c, settings, "Operation");
  const cJSON *details = op != NULL ? required(&c, settings, "OperationDetails") : NULL;
  if (details == NULL) return false;
  path_push(&c, ".OperationDetails");
  if (!ccg) {
    *request = HV_CPU_GROUP;
    if (strcmp(op->valuestring, "CreateGroup") == 0) {
      return hv_check_type(details, "CreateGroupOperation", c.path, msg, msg_size);
    }
    if (strcmp(op->valuestring, "DeleteGroup") == 0) {
      return hv_check_type(details, "DeleteGroupOperation", c.path, msg, msg_size);
    }
    /* SetProperty's details type is not in the schema extract: any object. */
    return cJSON_IsObject(details) || fail(&c, "expected an object, got %s", hv_json_type_name(details));
  }
  if (strcmp(op->valuestring, "RemoveInstance") == 0) {
    *request = HV_CCG_REMOVE;
    if (!hv_check_type(details, "ContainerCredentialGuardRemoveInstanceRequest", c.path, msg, msg_size)) {
      return false;
    }
    return required_string(&c, details, "Id");
  }
  *request = HV_CCG_ADD;
  if (!hv_check_type(details, "ContainerCredentialGuardAddInstanceRequest", c.path, msg, msg_size)) {
    return false;
  }
  if (!required_string(&c, details, "Id") || !required_string(&c, details, "CredentialSpec") ||
      required(&c, details, "Transport") == NULL) {
    return false;
  }
  /* HCS hands the spec to the CCG plug-in as a document; a string that is not one is a client bug. */
  if (!is_json_object_text(cJSON_GetObjectItemCaseSensitive(details, "CredentialSpec")->valuestring)) {
    path_push(&c, ".CredentialSpec");
    return fail(&c, "must be a credential spec: a JSON object serialized into the string");
  }
  return true;
}

/* --- HNS v2 (computenetwork.dll) --------------------------------------------------------------------- */

/* Each HCN root: the table, SchemaVersion {Major 2} (hcsshim's V2SchemaVersion). */
static bool hcn_root(hv_ctx *c, const cJSON *doc, const char *type, char *msg, size_t msg_size) {
  if (!hv_check_type(doc, type, type, msg, msg_size)) return false;
  ctx_init(c, type, msg, msg_size);
  return check_schema_version(c, doc);
}

bool hv_check_hcn_network(const cJSON *doc, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hcn_root(&c, doc, "HostComputeNetwork", msg, msg_size)) return false;
  if (!required_string(&c, doc, "Name") || required(&c, doc, "Type") == NULL) return false;
  /* hcsshim's HostComputeNetwork.Create: a subnet with an address prefix needs a gateway and a default
   * route. */
  const cJSON *ipam;
  int i = 0;
  cJSON_ArrayForEach(ipam, cJSON_GetObjectItemCaseSensitive(doc, "Ipams")) {
    const cJSON *subnet;
    int k = 0;
    cJSON_ArrayForEach(subnet, cJSON_GetObjectItemCaseSensitive(ipam, "Subnets")) {
      size_t old = path_push(&c, ".Ipams[%d].Subnets[%d]", i, k);
      const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(subnet, "IpAddressPrefix");
      if (prefix != NULL && prefix->valuestring[0] != '\0') {
        bool has_default = false;
        const cJSON *route;
        cJSON_ArrayForEach(route, cJSON_GetObjectItemCaseSensitive(subnet, "Routes")) {
          const cJSON *hop = cJSON_GetObjectItemCaseSensitive(route, "NextHop");
          const cJSON *dest = cJSON_GetObjectItemCaseSensitive(route, "DestinationPrefix");
          if (hop == NULL || hop->valuestring[0] == '\0') return fail(&c, "a route of a subnet with an address prefix needs a NextHop (gateway)");
          if (dest != NULL && (strcmp(dest->valuestring, "0.0.0.0/0") == 0 || strcmp(dest->valuestring, "::/0") == 0)) {
            has_default = true;
          }
        }
        if (!has_default) return fail(&c, "a subnet with an address prefix needs a default route (DestinationPrefix 0.0.0.0/0)");
      }
      path_pop(&c, old);
      k++;
    }
    i++;
  }
  return true;
}

bool hv_check_hcn_endpoint(const cJSON *doc, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hcn_root(&c, doc, "HostComputeEndpoint", msg, msg_size)) return false;
  if (!required_string(&c, doc, "HostComputeNetwork")) return false;
  const cJSON *mac = cJSON_GetObjectItemCaseSensitive(doc, "MacAddress");
  if (mac != NULL) {
    /* HNS's form: six pairs of hex digits separated by '-'. */
    const char *m = mac->valuestring;
    bool ok = strlen(m) == 17;
    for (int i = 0; ok && i < 17; i++) ok = i % 3 == 2 ? m[i] == '-' : isxdigit((unsigned char)m[i]) != 0;
    if (!ok) {
      path_push(&c, ".MacAddress");
      return fail(&c, "\"%s\" is not a MAC address in HNS's form (00-15-5D-01-02-03)", m);
    }
  }
  const cJSON *policy;
  int i = 0;
  cJSON_ArrayForEach(policy, cJSON_GetObjectItemCaseSensitive(doc, "Policies")) {
    size_t old = path_push(&c, ".Policies[%d]", i++);
    const cJSON *type = required(&c, policy, "Type");
    if (type == NULL) return false;
    if (strcmp(type->valuestring, "PortMapping") == 0) {
      const cJSON *settings = required(&c, policy, "Settings");
      if (settings == NULL) return false;
      path_push(&c, ".Settings");
      if (!hv_check_type(settings, "PortMappingPolicySetting", c.path, msg, msg_size)) return false;
      const cJSON *proto = required(&c, settings, "Protocol");
      const cJSON *internal = proto != NULL ? required(&c, settings, "InternalPort") : NULL;
      if (internal == NULL) return false;
      if (proto->valuedouble != 6 && proto->valuedouble != 17) {
        path_push(&c, ".Protocol");
        return fail(&c, "%.17g is neither TCP (6) nor UDP (17)", proto->valuedouble);
      }
      if (internal->valuedouble == 0) {
        path_push(&c, ".InternalPort");
        return fail(&c, "the internal port cannot be zero");
      }
    }
    path_pop(&c, old);
  }
  return true;
}

bool hv_check_hcn_namespace(const cJSON *doc, char *msg, size_t msg_size) {
  hv_ctx c;
  return hcn_root(&c, doc, "HostComputeNamespace", msg, msg_size);
}

bool hv_check_hcn_namespace_modify(const cJSON *doc, bool *add, const char **endpoint_id, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hv_check_type(doc, "ModifyNamespaceSettingRequest", "ModifyNamespaceSettingRequest", msg, msg_size)) return false;
  ctx_init(&c, "ModifyNamespaceSettingRequest", msg, msg_size);
  const cJSON *resource = required(&c, doc, "ResourceType");
  const cJSON *request = resource != NULL ? required(&c, doc, "RequestType") : NULL;
  const cJSON *settings = request != NULL ? required(&c, doc, "Settings") : NULL;
  if (settings == NULL) return false;
  if (strcmp(resource->valuestring, "Endpoint") != 0) {
    path_push(&c, ".ResourceType");
    return fail(&c, "the double adds and removes endpoints only, not \"%s\"", resource->valuestring);
  }
  if (strcmp(request->valuestring, "Add") != 0 && strcmp(request->valuestring, "Remove") != 0) {
    path_push(&c, ".RequestType");
    return fail(&c, "an endpoint is added or removed, not \"%s\"", request->valuestring);
  }
  path_push(&c, ".Settings");
  if (!hv_check_type(settings, "HcnNamespaceEndpointRequest", c.path, msg, msg_size)) return false;
  if (!required_string(&c, settings, "EndpointId")) return false;
  *add = strcmp(request->valuestring, "Add") == 0;
  *endpoint_id = cJSON_GetObjectItemCaseSensitive(settings, "EndpointId")->valuestring;
  return true;
}

bool hv_check_hcn_query(const cJSON *doc, char *msg, size_t msg_size) {
  hv_ctx c;
  if (!hcn_root(&c, doc, "HostComputeQuery", msg, msg_size)) return false;
  const cJSON *filter = cJSON_GetObjectItemCaseSensitive(doc, "Filter");
  if (filter != NULL && filter->valuestring[0] != '\0' && !is_json_object_text(filter->valuestring)) {
    path_push(&c, ".Filter");
    return fail(&c, "must be a JSON object in a string, as hcsshim writes it ({\"Name\":\"nat\"})");
  }
  return true;
}
