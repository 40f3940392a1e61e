/* tests/hcs_double/computenetwork_win.c - computenetwork.dll of the test doubles: the Host Network Service's
 * networks, endpoints and namespaces (HNS v2, hcsshim's hcn package), on the kit (kit/hcsd_kit.h) so that
 * computecore.dll sees the same service (README.md, "The networking double").
 *
 * Every call is logged and counted against the knobs like the other doubles'; every document is validated
 * against the schema table (hcsshim's hcn types, strict: unknown fields refused); what HNS keeps lives in
 * state.json sections of its own:
 *   "Networks"   {"Id": <guid>, "Props": <HostComputeNetwork as HNS answers it>}
 *   "Endpoints"  {"Id": <guid>, "Props": <HostComputeEndpoint, with the HostComputeNamespace it is in>}
 *   "Namespaces" {"Id": <guid>, "Props": <HostComputeNamespace, with its Resources>}
 * and every change that involves several records is one hcsd_store_edit. Nothing is routed: an endpoint's
 * address comes from its network's subnet, its MAC from the network's pool, and its port mappings are
 * checked against every other endpoint's, as WinNAT's static mappings are host-wide.
 *
 * Failures return the HRESULT and an error record (CoTaskMemAlloc'ed UTF-16 JSON {"Success":false,"Error":
 * "<what HNS says>: <why>","ErrorCode":hr}); answers are CoTaskMemAlloc'ed too. Handles are numbers never
 * reused: a closed or unknown one is E_HANDLE. */
#include <windows.h>

#include <ctype.h>
#include <objbase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_kit.h"
#include "hcsd_validate.h"

#define HCN_E_NETWORK_NOT_FOUND ((HRESULT)0x803B0001L)
#define HCN_E_ENDPOINT_NOT_FOUND ((HRESULT)0x803B0002L)
#define HCN_E_INVALID_NETWORK ((HRESULT)0x803B000AL)
#define HCN_E_NETWORK_ALREADY_EXISTS ((HRESULT)0x803B0010L)
#define HCN_E_PORT_ALREADY_EXISTS ((HRESULT)0x803B0013L)
#define HCN_E_INVALID_JSON ((HRESULT)0x803B001BL)
#define HCN_E_INVALID_IP ((HRESULT)0x803B001EL)
#define HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS ((HRESULT)0x803B002BL)
#define HCN_E_ENTITY_HAS_REFERENCES ((HRESULT)0x803B002CL)
#define HCN_E_INVALID_SUBNET ((HRESULT)0x803B0032L)

/* The subnets the double gives networks made without one: 172.(FIRST + k).0.0/16, the first free. */
#define AUTO_SUBNET_FIRST 20
#define AUTO_SUBNET_LAST 31

/* --- handles ----------------------------------------------------------------------------------------- */

typedef enum kind { K_NETWORK, K_ENDPOINT, K_NAMESPACE } kind;

typedef struct handle {
  kind kind;
  char id[37];
  bool closed;
} handle;

static SRWLOCK g_handles_lock = SRWLOCK_INIT;
static handle *g_handles;
static size_t g_handle_count, g_handle_cap;
#define HANDLE_BASE 0x4E000000u

static void *handle_new(kind k, const char *id) {
  AcquireSRWLockExclusive(&g_handles_lock);
  if (g_handle_count == g_handle_cap) {
    size_t cap = g_handle_cap == 0 ? 64 : g_handle_cap * 2;
    handle *grown = realloc(g_handles, cap * sizeof *grown);
    if (grown == NULL) hcsd_oom();
    g_handles = grown;
    g_handle_cap = cap;
  }
  handle *h = &g_handles[g_handle_count];
  h->kind = k;
  h->closed = false;
  snprintf(h->id, sizeof h->id, "%s", id);
  void *value = (void *)(uintptr_t)(HANDLE_BASE + g_handle_count);
  g_handle_count++;
  ReleaseSRWLockExclusive(&g_handles_lock);
  return value;
}

/* The id of an open handle of kind k, into id; false for anything else. */
static bool handle_id(void *value, kind k, char id[37], bool close) {
  uintptr_t v = (uintptr_t)value;
  bool ok = false;
  AcquireSRWLockExclusive(&g_handles_lock);
  if (v >= HANDLE_BASE && v - HANDLE_BASE < g_handle_count) {
    handle *h = &g_handles[v - HANDLE_BASE];
    ok = h->kind == k && !h->closed;
    if (ok) {
      snprintf(id, 37, "%s", h->id);
      if (close) h->closed = true;
    }
  }
  ReleaseSRWLockExclusive(&g_handles_lock);
  return ok;
}

/* --- answers and records ------------------------------------------------------------------------------ */

static PWSTR co_copy(const char *utf8) {
  wchar_t *w = hcsd_wide(utf8);
  size_t n = (wcslen(w) + 1) * sizeof *w;
  PWSTR out = CoTaskMemAlloc(n);
  if (out == NULL) hcsd_oom();
  memcpy(out, w, n);
  free(w);
  return out;
}

static const char *hr_name(HRESULT hr) {
  switch ((uint32_t)hr) {
    case 0x803B0001u: return "HCN_E_NETWORK_NOT_FOUND: The network was not found";
    case 0x803B0002u: return "HCN_E_ENDPOINT_NOT_FOUND: The endpoint was not found";
    case 0x803B000Au: return "HCN_E_INVALID_NETWORK: The network configuration is invalid";
    case 0x803B0010u: return "HCN_E_NETWORK_ALREADY_EXISTS: A network with this name already exists";
    case 0x803B0013u: return "HCN_E_PORT_ALREADY_EXISTS: The specified port already exists";
    case 0x803B001Bu: return "HCN_E_INVALID_JSON: Invalid JSON document string";
    case 0x803B001Eu: return "HCN_E_INVALID_IP: The IP address is invalid or not in any configured subnet";
    case 0x803B002Bu: return "HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS: The endpoint is already in a namespace";
    case 0x803B002Cu: return "HCN_E_ENTITY_HAS_REFERENCES: The entity cannot be removed while it has references";
    case 0x803B0032u: return "HCN_E_INVALID_SUBNET: The subnet configuration is invalid";
    default: return NULL;
  }
}

/* hr with its error record (when the caller asked for one), and the refusal in the call log. */
static HRESULT refuse(const char *call, HRESULT hr, const char *detail, PWSTR *record) {
  char text[900];
  const char *name = hr_name(hr);
  char generic[300];
  if (name == NULL) {
    hcsd_hr_text(hr, generic, sizeof generic);
    name = generic;
  }
  snprintf(text, sizeof text, "%s: %s", name, detail);
  cJSON *r = cJSON_CreateObject();
  if (r == NULL) hcsd_oom();
  cJSON_AddBoolToObject(r, "Success", false);
  cJSON_AddStringToObject(r, "Error", text);
  cJSON_AddNumberToObject(r, "ErrorCode", (double)(uint32_t)hr);
  char *json = cJSON_PrintUnformatted(r);
  cJSON_Delete(r);
  if (json == NULL) hcsd_oom();
  if (record != NULL) *record = co_copy(json);
  free(json);
  cJSON *line = cJSON_CreateObject();
  char hex[11];
  hcsd_hr_string(hr, hex);
  cJSON_AddStringToObject(line, "refused", call);
  cJSON_AddNumberToObject(line, "pid", (double)GetCurrentProcessId());
  cJSON_AddStringToObject(line, "hr", hex);
  cJSON_AddStringToObject(line, "detail", detail);
  hcsd_log_line(line);
  cJSON_Delete(line);
  return hr;
}

/* Logs the call, applies the knobs: S_OK to go on, or the injected failure (with its record). */
static HRESULT begin(const char *name, cJSON *fields, PWSTR *record) {
  if (record != NULL) *record = NULL;
  hcsd_knob knob;
  hcsd_call(name, fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (knob.fail != S_OK) {
    char detail[80];
    snprintf(detail, sizeof detail, "injected by the test double's fail rule");
    char text[300];
    snprintf(text, sizeof text, "{\"Success\":false,\"Error\":\"%s\",\"ErrorCode\":%lu}", detail,
             (unsigned long)(uint32_t)knob.fail);
    if (record != NULL) *record = co_copy(text);
  }
  return knob.fail;
}

static cJSON *fields_new(void) {
  cJSON *f = cJSON_CreateObject();
  if (f == NULL) hcsd_oom();
  return f;
}

static void add_guid(cJSON *f, const char *key, const GUID *g) {
  if (g == NULL) return;
  char text[40];
  snprintf(text, sizeof text, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned long)g->Data1, g->Data2,
           g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6],
           g->Data4[7]);
  cJSON_AddStringToObject(f, key, text);
}

static void guid_text(const GUID *g, char out[37]) {
  snprintf(out, 37, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned long)g->Data1, g->Data2, g->Data3,
           g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5], g->Data4[6], g->Data4[7]);
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* Ids compare without case; a missing one equals nothing. */
static bool same_id(const char *a, const char *b) { return a != NULL && b != NULL && hcsd_id_equal(a, b); }
static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = get(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A document argument parsed and validated; NULL with the refusal's HRESULT in *hr. */
static cJSON *document(const char *call, const wchar_t *text, bool (*check)(const cJSON *, char *, size_t),
                       const char *type, HRESULT *hr, PWSTR *record) {
  char detail[700] = "";
  bool valid = true;
  char *utf8 = text != NULL ? hcsd_utf8(text, &valid) : NULL;
  if (utf8 == NULL) {
    *hr = refuse(call, text == NULL ? E_INVALIDARG : HCN_E_INVALID_JSON,
                 text == NULL ? "the settings document is required" : "the document is not valid UTF-16", record);
    return NULL;
  }
  cJSON *doc = hv_parse(utf8, type, detail, sizeof detail);
  free(utf8);
  if (doc == NULL || !check(doc, detail, sizeof detail)) {
    cJSON_Delete(doc);
    *hr = refuse(call, HCN_E_INVALID_JSON, detail, record);
    return NULL;
  }
  *hr = S_OK;
  return doc;
}

static bool out_ok(void *p) { return p != NULL; }

/* --- the state ------------------------------------------------------------------------------------------- */

static const char *section_of(kind k) {
  return k == K_NETWORK ? "Networks" : k == K_ENDPOINT ? "Endpoints" : "Namespaces";
}

static HRESULT not_found(kind k) {
  return k == K_NETWORK ? HCN_E_NETWORK_NOT_FOUND : k == K_ENDPOINT ? HCN_E_ENDPOINT_NOT_FOUND
                                                                    : HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
}

static const char *kind_name(kind k) { return k == K_NETWORK ? "network" : k == K_ENDPOINT ? "endpoint" : "namespace"; }

/* Does a compute system that has not stopped use namespace id (Container.Networking.Namespace, its hosted
 * form, or a utility VM's guest)? Its id into who. */
static bool namespace_in_use(cJSON *state, const char *id, char *who, size_t size) {
  const cJSON *sys;
  cJSON_ArrayForEach(sys, hcsd_store_section(state, "Systems")) {
    const char *st = str(sys, "State");
    if (st != NULL && strcmp(st, "Stopped") == 0) continue;
    const cJSON *cfg = get(sys, "Configuration");
    const char *a = str(get(get(cfg, "Container"), "Networking"), "Namespace");
    const char *b = str(get(get(get(cfg, "HostedSystem"), "Container"), "Networking"), "Namespace");
    bool guest = false;
    const cJSON *g;
    cJSON_ArrayForEach(g, get(get(sys, "Guest"), "Namespaces")) guest = guest || same_id(g->string, id);
    if ((a != NULL && same_id(a, id)) || (b != NULL && same_id(b, id)) || guest) {
      snprintf(who, size, "%s", str(sys, "Id") != NULL ? str(sys, "Id") : "?");
      return true;
    }
  }
  return false;
}

/* Is endpoint id a network adapter of a utility VM that has not stopped? */
static bool endpoint_on_vm(cJSON *state, const char *id, char *who, size_t size) {
  const cJSON *sys;
  cJSON_ArrayForEach(sys, hcsd_store_section(state, "Systems")) {
    const char *st = str(sys, "State");
    if (st != NULL && strcmp(st, "Stopped") == 0) continue;
    const cJSON *nic;
    cJSON_ArrayForEach(nic, get(get(sys, "Guest"), "Nics")) {
      if (cJSON_IsString(nic) && same_id(nic->valuestring, id)) {
        snprintf(who, size, "%s", str(sys, "Id") != NULL ? str(sys, "Id") : "?");
        return true;
      }
    }
  }
  return false;
}

/* --- networks --------------------------------------------------------------------------------------------- */

static bool parse_prefix(const char *text, uint32_t *addr, int *prefix) {
  unsigned a, b, c, d, p;
  char tail;
  if (text == NULL || sscanf(text, "%u.%u.%u.%u/%u%c", &a, &b, &c, &d, &p, &tail) != 5) return false;
  if (a > 255 || b > 255 || c > 255 || d > 255 || p > 32) return false;
  uint32_t mask = p == 0 ? 0 : 0xFFFFFFFFu << (32 - p);
  *addr = (a << 24 | b << 16 | c << 8 | d) & mask;
  *prefix = (int)p;
  return true;
}

static bool parse_ip4(const char *text, uint32_t *addr) {
  unsigned a, b, c, d;
  char tail;
  if (text == NULL || sscanf(text, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return false;
  if (a > 255 || b > 255 || c > 255 || d > 255) return false;
  *addr = a << 24 | b << 16 | c << 8 | d;
  return true;
}

static void ip4_text(uint32_t a, char *out, size_t size) {
  snprintf(out, size, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* The first subnet of a network's properties. */
static const cJSON *first_subnet(const cJSON *props) {
  const cJSON *ipam;
  cJSON_ArrayForEach(ipam, get(props, "Ipams")) {
    const cJSON *s;
    cJSON_ArrayForEach(s, get(ipam, "Subnets")) {
      if (str(s, "IpAddressPrefix") != NULL) return s;
    }
  }
  return NULL;
}

static bool overlaps(uint32_t a, int pa, uint32_t b, int pb) {
  int p = pa < pb ? pa : pb;
  uint32_t mask = p == 0 ? 0 : 0xFFFFFFFFu << (32 - p);
  return (a & mask) == (b & mask);
}

/* HcnCreateNetwork's and HcnCreateEndpoint's edit of the store: the new object's id and document, and the
   refusal when the edit refuses it. network is the endpoint's network (NULL for a network). */
typedef struct create_ctx {
  const char *network;
  const char *id;
  cJSON *doc;
  HRESULT hr;
  char detail[400];
} create_ctx;

static bool network_create_fn(cJSON *state, void *ctx) {
  create_ctx *c = ctx;
  cJSON *networks = hcsd_store_section(state, "Networks");
  if (hcsd_store_find(networks, c->id) != NULL) {
    snprintf(c->detail, sizeof c->detail, "a network with id %s already exists", c->id);
    c->hr = HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
    return false;
  }
  const char *name = str(c->doc, "Name");
  const cJSON *n;
  cJSON_ArrayForEach(n, networks) {
    const char *other = str(get(n, "Props"), "Name");
    if (other != NULL && _stricmp(other, name) == 0) {
      snprintf(c->detail, sizeof c->detail, "network \"%s\" exists (%s)", name, str(n, "Id"));
      c->hr = HCN_E_NETWORK_ALREADY_EXISTS;
      return false;
    }
  }
  cJSON *props = cJSON_Duplicate(c->doc, 1);
  if (props == NULL) hcsd_oom();
  cJSON_DeleteItemFromObjectCaseSensitive(props, "ID");
  cJSON_AddStringToObject(props, "ID", c->id);
  /* The subnet, given or chosen; overlapping another network's is refused. */
  const cJSON *given = first_subnet(props);
  uint32_t addr = 0;
  int prefix = 0;
  if (given != NULL) {
    const char *gw = str(cJSON_GetArrayItem(get(given, "Routes"), 0), "NextHop");
    uint32_t gwa = 0;
    if (!parse_prefix(str(given, "IpAddressPrefix"), &addr, &prefix) || prefix > 30) {
      snprintf(c->detail, sizeof c->detail, "%s is not an IPv4 subnet the double can give addresses from",
               str(given, "IpAddressPrefix"));
      c->hr = HCN_E_INVALID_SUBNET;
    } else if (gw == NULL || !parse_ip4(gw, &gwa) || !overlaps(gwa, 32, addr, prefix)) {
      snprintf(c->detail, sizeof c->detail, "the gateway %s is not in %s", gw != NULL ? gw : "(none)",
               str(given, "IpAddressPrefix"));
      c->hr = HCN_E_INVALID_SUBNET;
    }
  }
  for (int k = AUTO_SUBNET_FIRST; given == NULL && k <= AUTO_SUBNET_LAST + 1; k++) {
    if (k > AUTO_SUBNET_LAST) {
      snprintf(c->detail, sizeof c->detail, "no free subnet left in 172.%d-%d.0.0/16", AUTO_SUBNET_FIRST, AUTO_SUBNET_LAST);
      c->hr = HCN_E_INVALID_SUBNET;
      break;
    }
    addr = (172u << 24) | ((uint32_t)k << 16);
    prefix = 16;
    bool taken = false;
    cJSON_ArrayForEach(n, networks) {
      uint32_t oa;
      int op;
      if (parse_prefix(str(first_subnet(get(n, "Props")), "IpAddressPrefix"), &oa, &op) && overlaps(addr, prefix, oa, op)) {
        taken = true;
      }
    }
    if (taken) continue;
    char text[40], gw[20];
    snprintf(text, sizeof text, "172.%d.0.0/16", k);
    ip4_text(addr + 1, gw, sizeof gw);
    cJSON *ipams = cJSON_Parse("[{\"Type\":\"Static\",\"Subnets\":[{\"Routes\":[{\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]");
    if (ipams == NULL) hcsd_oom();
    cJSON *subnet = cJSON_GetArrayItem(get(cJSON_GetArrayItem(ipams, 0), "Subnets"), 0);
    cJSON_AddStringToObject(subnet, "IpAddressPrefix", text);
    cJSON_AddStringToObject(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(subnet, "Routes"), 0), "NextHop", gw);
    cJSON_DeleteItemFromObjectCaseSensitive(props, "Ipams");
    cJSON_AddItemToObject(props, "Ipams", ipams);
    break;
  }
  if (SUCCEEDED(c->hr)) {
    cJSON_ArrayForEach(n, networks) {
      uint32_t oa;
      int op;
      if (parse_prefix(str(first_subnet(get(n, "Props")), "IpAddressPrefix"), &oa, &op) && overlaps(addr, prefix, oa, op)) {
        snprintf(c->detail, sizeof c->detail, "the subnet overlaps %s of network \"%s\"",
                 str(first_subnet(get(n, "Props")), "IpAddressPrefix"), str(get(n, "Props"), "Name"));
        c->hr = HCN_E_INVALID_SUBNET;
        break;
      }
    }
  }
  if (FAILED(c->hr)) {
    cJSON_Delete(props);
    return false;
  }
  /* A MAC pool of its own (Hyper-V's 00-15-5D prefix), and HNS's habit: NAT (0) is left out of answers. */
  if (get(props, "MacPool") == NULL) {
    char pool[160];
    unsigned b = (unsigned)(hcsd_hash(c->id, strlen(c->id), 7) & 0xFFFF);
    snprintf(pool, sizeof pool, "{\"Ranges\":[{\"StartMacAddress\":\"00-15-5D-%02X-%02X-00\",\"EndMacAddress\":"
                                "\"00-15-5D-%02X-%02X-FF\"}]}", b >> 8, b & 255, b >> 8, b & 255);
    cJSON_AddItemToObject(props, "MacPool", cJSON_Parse(pool));
  }
  if (str(props, "Type") != NULL && strcmp(str(props, "Type"), "NAT") == 0) cJSON_DeleteItemFromObjectCaseSensitive(props, "Type");
  cJSON *r = cJSON_CreateObject();
  if (r == NULL) hcsd_oom();
  cJSON_AddStringToObject(r, "Id", c->id);
  cJSON_AddItemToObject(r, "Props", props);
  cJSON_AddItemToArray(networks, r);
  return true;
}

/* --- endpoints -------------------------------------------------------------------------------------------- */

static bool endpoint_create_fn(cJSON *state, void *ctx) {
  create_ctx *c = ctx;
  cJSON *endpoints = hcsd_store_section(state, "Endpoints");
  cJSON *net = hcsd_store_find(hcsd_store_section(state, "Networks"), c->network);
  const char *doc_net = str(c->doc, "HostComputeNetwork");
  if (net == NULL) {
    snprintf(c->detail, sizeof c->detail, "network %s does not exist", c->network);
    c->hr = HCN_E_NETWORK_NOT_FOUND;
    return false;
  }
  if (!same_id(doc_net, c->network)) {
    snprintf(c->detail, sizeof c->detail, "HostComputeEndpoint.HostComputeNetwork is %s, but the endpoint is created on "
                                          "network %s", doc_net, c->network);
    c->hr = E_INVALIDARG;
    return false;
  }
  if (hcsd_store_find(endpoints, c->id) != NULL) {
    snprintf(c->detail, sizeof c->detail, "an endpoint with id %s already exists", c->id);
    c->hr = HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
    return false;
  }
  /* WinNAT's static mappings are the host's: one external port per protocol. */
  const cJSON *p;
  cJSON_ArrayForEach(p, get(c->doc, "Policies")) {
    if (strcmp(str(p, "Type"), "PortMapping") != 0) continue;
    const cJSON *s = get(p, "Settings");
    double ext = cJSON_IsNumber(get(s, "ExternalPort")) ? get(s, "ExternalPort")->valuedouble : 0;
    double proto = get(s, "Protocol")->valuedouble;
    const cJSON *other;
    cJSON_ArrayForEach(other, endpoints) {
      const cJSON *op;
      cJSON_ArrayForEach(op, get(get(other, "Props"), "Policies")) {
        const cJSON *os = get(op, "Settings");
        if (strcmp(str(op, "Type"), "PortMapping") == 0 && ext != 0 && cJSON_IsNumber(get(os, "ExternalPort")) &&
            get(os, "ExternalPort")->valuedouble == ext && get(os, "Protocol")->valuedouble == proto) {
          snprintf(c->detail, sizeof c->detail, "port %.0f/%s is mapped by endpoint %s", ext, proto == 6 ? "tcp" : "udp",
                   str(other, "Id"));
          c->hr = HCN_E_PORT_ALREADY_EXISTS;
          return false;
        }
      }
    }
  }
  /* An address from the network's subnet: the first free one after the gateway. */
  const cJSON *subnet = first_subnet(get(net, "Props"));
  uint32_t base = 0, gw = 0, chosen = 0;
  int prefix = 0;
  if (!parse_prefix(str(subnet, "IpAddressPrefix"), &base, &prefix)) {
    snprintf(c->detail, sizeof c->detail, "network %s has no IPv4 subnet to give an address from", c->network);
    c->hr = HCN_E_INVALID_IP;
    return false;
  }
  parse_ip4(str(cJSON_GetArrayItem(get(subnet, "Routes"), 0), "NextHop"), &gw);
  uint32_t size = prefix >= 31 ? 0 : (1u << (32 - prefix));
  for (uint32_t host = 1; host + 1 < size && chosen == 0; host++) {
    uint32_t a = base + host;
    if (a == gw) continue;
    char text[20];
    ip4_text(a, text, sizeof text);
    bool used = false;
    const cJSON *other;
    cJSON_ArrayForEach(other, endpoints) {
      const char *oip = str(cJSON_GetArrayItem(get(get(other, "Props"), "IpConfigurations"), 0), "IpAddress");
      if (oip != NULL && strcmp(oip, text) == 0) used = true;
    }
    if (!used) chosen = a;
  }
  if (chosen == 0) {
    snprintf(c->detail, sizeof c->detail, "no address is left in %s", str(subnet, "IpAddressPrefix"));
    c->hr = HCN_E_INVALID_IP;
    return false;
  }
  cJSON *props = cJSON_Duplicate(c->doc, 1);
  if (props == NULL) hcsd_oom();
  cJSON_DeleteItemFromObjectCaseSensitive(props, "ID");
  cJSON_AddStringToObject(props, "ID", c->id);
  char ip[20], gws[20];
  ip4_text(chosen, ip, sizeof ip);
  ip4_text(gw, gws, sizeof gws);
  cJSON *ipc = cJSON_CreateArray();
  cJSON *one = cJSON_CreateObject();
  cJSON_AddStringToObject(one, "IpAddress", ip);
  cJSON_AddNumberToObject(one, "PrefixLength", prefix);
  cJSON_AddItemToArray(ipc, one);
  cJSON_DeleteItemFromObjectCaseSensitive(props, "IpConfigurations");
  cJSON_AddItemToObject(props, "IpConfigurations", ipc);
  if (get(props, "Routes") == NULL) {
    cJSON *routes = cJSON_CreateArray();
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "NextHop", gws);
    cJSON_AddStringToObject(r, "DestinationPrefix", "0.0.0.0/0");
    cJSON_AddItemToArray(routes, r);
    cJSON_AddItemToObject(props, "Routes", routes);
  }
  if (get(props, "MacAddress") == NULL) {
    const char *start = str(cJSON_GetArrayItem(get(get(get(net, "Props"), "MacPool"), "Ranges"), 0), "StartMacAddress");
    char mac[20];
    unsigned low = (unsigned)(hcsd_hash(c->id, strlen(c->id), 11) & 0xFF);
    snprintf(mac, sizeof mac, "%.15s%02X", start != NULL ? start : "00-15-5D-00-00-", low);
    cJSON_AddStringToObject(props, "MacAddress", mac);
  }
  cJSON *rec = cJSON_CreateObject();
  if (rec == NULL) hcsd_oom();
  cJSON_AddStringToObject(rec, "Id", c->id);
  cJSON_AddItemToObject(rec, "Props", props);
  cJSON_AddItemToArray(endpoints, rec);
  return true;
}

/* --- namespaces ------------------------------------------------------------------------------------------- */

typedef struct ns_modify {
  const char *id;
  const char *endpoint;
  bool add;
  HRESULT hr;
  char detail[400];
} ns_modify;

static void namespace_resources(cJSON *ns_props, const char *endpoint, bool add) {
  cJSON *res = cJSON_GetObjectItemCaseSensitive(ns_props, "Resources");
  if (res == NULL) res = cJSON_AddArrayToObject(ns_props, "Resources");
  if (add) {
    cJSON *r = cJSON_CreateObject();
    cJSON *data = cJSON_CreateObject();
    if (r == NULL || data == NULL) hcsd_oom();
    cJSON_AddStringToObject(r, "Type", "Endpoint");
    cJSON_AddStringToObject(data, "ID", endpoint);
    cJSON_AddItemToObject(r, "Data", data);
    cJSON_AddItemToArray(res, r);
    return;
  }
  for (cJSON *r = res->child; r != NULL; r = r->next) {
    if (strcmp(str(r, "Type"), "Endpoint") == 0 && same_id(str(get(r, "Data"), "ID"), endpoint)) {
      cJSON_Delete(cJSON_DetachItemViaPointer(res, r));
      return;
    }
  }
}

static bool namespace_modify_fn(cJSON *state, void *ctx) {
  ns_modify *m = ctx;
  cJSON *ns = hcsd_store_find(hcsd_store_section(state, "Namespaces"), m->id);
  cJSON *ep = hcsd_store_find(hcsd_store_section(state, "Endpoints"), m->endpoint);
  if (ns == NULL) {
    snprintf(m->detail, sizeof m->detail, "namespace %s does not exist", m->id);
    m->hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    return false;
  }
  if (ep == NULL) {
    snprintf(m->detail, sizeof m->detail, "endpoint %s does not exist", m->endpoint);
    m->hr = HCN_E_ENDPOINT_NOT_FOUND;
    return false;
  }
  cJSON *eprops = cJSON_GetObjectItemCaseSensitive(ep, "Props");
  const char *in = str(eprops, "HostComputeNamespace");
  if (m->add && in != NULL) {
    snprintf(m->detail, sizeof m->detail, "endpoint %s is already in namespace %s", m->endpoint, in);
    m->hr = HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS;
    return false;
  }
  if (!m->add && (in == NULL || !same_id(in, m->id))) {
    snprintf(m->detail, sizeof m->detail, "endpoint %s is not in namespace %s", m->endpoint, m->id);
    m->hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    return false;
  }
  char who[120];
  if (!m->add && namespace_in_use(state, m->id, who, sizeof who)) {
    snprintf(m->detail, sizeof m->detail, "namespace %s is the network of compute system \"%s\", which has not stopped",
             m->id, who);
    m->hr = HCN_E_ENTITY_HAS_REFERENCES;
    return false;
  }
  cJSON_DeleteItemFromObjectCaseSensitive(eprops, "HostComputeNamespace");
  if (m->add) cJSON_AddStringToObject(eprops, "HostComputeNamespace", m->id);
  namespace_resources(cJSON_GetObjectItemCaseSensitive(ns, "Props"), m->endpoint, m->add);
  return true;
}

typedef struct del_ctx {
  kind kind;
  const char *id;
  HRESULT hr;
  char detail[400];
} del_ctx;

static bool delete_fn(cJSON *state, void *ctx) {
  del_ctx *d = ctx;
  cJSON *array = hcsd_store_section(state, section_of(d->kind));
  cJSON *rec = hcsd_store_find(array, d->id);
  char who[120];
  if (rec == NULL) {
    snprintf(d->detail, sizeof d->detail, "%s %s does not exist", kind_name(d->kind), d->id);
    d->hr = not_found(d->kind);
    return false;
  }
  if (d->kind == K_NETWORK) {
    const cJSON *ep;
    cJSON_ArrayForEach(ep, hcsd_store_section(state, "Endpoints")) {
      if (same_id(str(get(ep, "Props"), "HostComputeNetwork"), d->id)) {
        snprintf(d->detail, sizeof d->detail, "network %s still has endpoint %s", d->id, str(ep, "Id"));
        d->hr = HCN_E_ENTITY_HAS_REFERENCES;
        return false;
      }
    }
  } else if (d->kind == K_ENDPOINT) {
    const char *ns = str(get(rec, "Props"), "HostComputeNamespace");
    if (ns != NULL) {
      snprintf(d->detail, sizeof d->detail, "endpoint %s is in namespace %s (remove it from there, or the namespace, "
                                            "first)", d->id, ns);
      d->hr = HCN_E_ENTITY_HAS_REFERENCES;
      return false;
    }
    if (endpoint_on_vm(state, d->id, who, sizeof who)) {
      snprintf(d->detail, sizeof d->detail, "endpoint %s is a network adapter of utility VM \"%s\", which has not "
                                            "stopped", d->id, who);
      d->hr = HCN_E_ENTITY_HAS_REFERENCES;
      return false;
    }
  } else {
    if (namespace_in_use(state, d->id, who, sizeof who)) {
      snprintf(d->detail, sizeof d->detail, "namespace %s is the network of compute system \"%s\", which has not "
                                            "stopped", d->id, who);
      d->hr = HCN_E_ENTITY_HAS_REFERENCES;
      return false;
    }
    /* Its endpoints leave it (they stay, outside any namespace). */
    cJSON *ep;
    cJSON_ArrayForEach(ep, hcsd_store_section(state, "Endpoints")) {
      cJSON *props = cJSON_GetObjectItemCaseSensitive(ep, "Props");
      if (same_id(str(props, "HostComputeNamespace"), d->id)) {
        cJSON_DeleteItemFromObjectCaseSensitive(props, "HostComputeNamespace");
      }
    }
  }
  cJSON_Delete(cJSON_DetachItemViaPointer(array, rec));
  return true;
}

/* --- the exports ------------------------------------------------------------------------------------------ */

static HRESULT enumerate(const char *call, kind k, PCWSTR query, PWSTR *list, PWSTR *record) {
  cJSON *f = fields_new();
  hcsd_add_document(f, "document", query);
  HRESULT hr = begin(call, f, record);
  if (FAILED(hr)) return hr;
  if (!out_ok(list)) return refuse(call, E_POINTER, "the answer's pointer is NULL", record);
  *list = NULL;
  cJSON *q = query != NULL && query[0] != L'\0' ? document(call, query, hv_check_hcn_query, "HostComputeQuery", &hr, record)
                                                 : NULL;
  if (FAILED(hr)) return hr;
  cJSON *filter = q != NULL && str(q, "Filter") != NULL ? cJSON_Parse(str(q, "Filter")) : NULL;
  cJSON *all = hcsd_store_list(section_of(k));
  cJSON *ids = cJSON_CreateArray();
  if (ids == NULL) hcsd_oom();
  const cJSON *r;
  cJSON_ArrayForEach(r, all) {
    const cJSON *props = get(r, "Props");
    bool keep = true;
    const cJSON *cond;
    cJSON_ArrayForEach(cond, filter) {
      const char *have = str(props, cond->string);
      if (!cJSON_IsString(cond) || have == NULL || _stricmp(have, cond->valuestring) != 0) keep = false;
    }
    if (keep) cJSON_AddItemToArray(ids, cJSON_CreateString(str(r, "Id")));
  }
  char *text = cJSON_PrintUnformatted(ids);
  *list = co_copy(text);
  free(text);
  cJSON_Delete(ids);
  cJSON_Delete(all);
  cJSON_Delete(filter);
  cJSON_Delete(q);
  return S_OK;
}

static HRESULT open_object(const char *call, kind k, REFGUID id, void **out, PWSTR *record) {
  cJSON *f = fields_new();
  add_guid(f, "id", id);
  HRESULT hr = begin(call, f, record);
  if (FAILED(hr)) return hr;
  if (id == NULL || out == NULL) return refuse(call, E_INVALIDARG, "the id and the handle's pointer are required", record);
  char text[37];
  guid_text(id, text);
  cJSON *rec = hcsd_store_get(section_of(k), text);
  if (rec == NULL) {
    char detail[120];
    snprintf(detail, sizeof detail, "%s %s does not exist", kind_name(k), text);
    return refuse(call, not_found(k), detail, record);
  }
  cJSON_Delete(rec);
  *out = handle_new(k, text);
  return S_OK;
}

static HRESULT query_object(const char *call, kind k, void *h, PCWSTR query, PWSTR *props, PWSTR *record) {
  cJSON *f = fields_new();
  cJSON_AddNumberToObject(f, "handle", (double)(uintptr_t)h);
  hcsd_add_document(f, "document", query);
  HRESULT hr = begin(call, f, record);
  if (FAILED(hr)) return hr;
  char id[37];
  if (!handle_id(h, k, id, false)) return refuse(call, E_HANDLE, "not an open handle of this kind", record);
  if (props == NULL) return refuse(call, E_POINTER, "the answer's pointer is NULL", record);
  cJSON *q = query != NULL && query[0] != L'\0' ? document(call, query, hv_check_hcn_query, "HostComputeQuery", &hr, record)
                                                 : NULL;
  if (FAILED(hr)) return hr;
  cJSON_Delete(q);
  cJSON *rec = hcsd_store_get(section_of(k), id);
  if (rec == NULL) {
    char detail[120];
    snprintf(detail, sizeof detail, "%s %s was deleted", kind_name(k), id);
    return refuse(call, not_found(k), detail, record);
  }
  char *text = cJSON_PrintUnformatted(get(rec, "Props"));
  *props = co_copy(text);
  free(text);
  cJSON_Delete(rec);
  return S_OK;
}

static HRESULT close_object(const char *call, kind k, void *h) {
  cJSON *f = fields_new();
  cJSON_AddNumberToObject(f, "handle", (double)(uintptr_t)h);
  HRESULT hr = begin(call, f, NULL);
  if (FAILED(hr)) return hr;
  char id[37];
  return handle_id(h, k, id, true) ? S_OK : E_HANDLE;
}

static HRESULT delete_object(const char *call, kind k, REFGUID id, PWSTR *record) {
  cJSON *f = fields_new();
  add_guid(f, "id", id);
  HRESULT hr = begin(call, f, record);
  if (FAILED(hr)) return hr;
  if (id == NULL) return refuse(call, E_INVALIDARG, "the id is required", record);
  char text[37];
  guid_text(id, text);
  del_ctx d = {.kind = k, .id = text, .hr = S_OK};
  hcsd_store_edit(delete_fn, &d);
  return FAILED(d.hr) ? refuse(call, d.hr, d.detail, record) : S_OK;
}

/* A Modify call the double records but does not emulate (wctr never modifies a network or an endpoint). */
static HRESULT modify_not_emulated(const char *call, void *h, PCWSTR settings, const char *detail, PWSTR *record) {
  cJSON *f = fields_new();
  cJSON_AddNumberToObject(f, "handle", (double)(uintptr_t)h);
  hcsd_add_document(f, "document", settings);
  HRESULT hr = begin(call, f, record);
  if (FAILED(hr)) return hr;
  return refuse(call, E_NOTIMPL, detail, record);
}

/* The document's "ID", when it has one, must be the call's id. */
static bool id_matches(const cJSON *doc, const char *id, char *detail, size_t size, const char *type) {
  const char *given = str(doc, "ID");
  if (given == NULL || same_id(given, id)) return true;
  snprintf(detail, size, "%s.ID is %s, but the call creates %s", type, given, id);
  return false;
}

HRESULT WINAPI HcnEnumerateNetworks(PCWSTR query, PWSTR *networks, PWSTR *record) {
  return enumerate("HcnEnumerateNetworks", K_NETWORK, query, networks, record);
}

/* The double makes NAT networks only. */
static HRESULT network_kind_refusal(const cJSON *doc, char *detail, size_t size) {
  if (strcmp(str(doc, "Type"), "NAT") == 0) return S_OK;
  snprintf(detail, size, "the double makes NAT networks only, not %s", str(doc, "Type"));
  return HCN_E_INVALID_NETWORK;
}

/* HNS joins an endpoint to a namespace through the namespace, never through the endpoint's document. */
static HRESULT endpoint_kind_refusal(const cJSON *doc, char *detail, size_t size) {
  if (get(doc, "HostComputeNamespace") == NULL) return S_OK;
  snprintf(detail, size, "HostComputeEndpoint.HostComputeNamespace: an endpoint joins a namespace with "
                         "HcnModifyNamespace, which the double emulates");
  return E_INVALIDARG;
}

/* What HcnCreateNetwork and HcnCreateEndpoint do once the call is recorded: the same checks in the same
   order (arguments, document, its "ID", the kind's own refusal), then the store's edit and a new handle. */
typedef struct create_call {
  const char *call;
  kind k;
  const char *type; /* the document's schema type, named in refusals */
  bool (*check)(const cJSON *, char *, size_t);
  HRESULT (*kind_refusal)(const cJSON *doc, char *detail, size_t size);
  bool (*edit)(cJSON *state, void *ctx);
} create_call;

static HRESULT create_object(const create_call *cc, const char *network, REFGUID id, PCWSTR settings, void **out,
                             PWSTR *record) {
  if (id == NULL || out == NULL) {
    return refuse(cc->call, E_INVALIDARG, "the id and the handle's pointer are required", record);
  }
  HRESULT hr;
  cJSON *doc = document(cc->call, settings, cc->check, cc->type, &hr, record);
  if (doc == NULL) return hr;
  char text[37];
  guid_text(id, text);
  create_ctx c = {.network = network, .id = text, .doc = doc, .hr = S_OK};
  if (!id_matches(doc, text, c.detail, sizeof c.detail, cc->type)) {
    c.hr = E_INVALIDARG;
  } else {
    c.hr = cc->kind_refusal(doc, c.detail, sizeof c.detail);
    if (SUCCEEDED(c.hr)) hcsd_store_edit(cc->edit, &c);
  }
  cJSON_Delete(doc);
  if (FAILED(c.hr)) return refuse(cc->call, c.hr, c.detail, record);
  *out = handle_new(cc->k, text);
  return S_OK;
}

HRESULT WINAPI HcnCreateNetwork(REFGUID id, PCWSTR settings, void **network, PWSTR *record) {
  static const create_call cc = {"HcnCreateNetwork", K_NETWORK, "HostComputeNetwork", hv_check_hcn_network,
                                 network_kind_refusal, network_create_fn};
  cJSON *f = fields_new();
  add_guid(f, "id", id);
  hcsd_add_document(f, "document", settings);
  HRESULT hr = begin(cc.call, f, record);
  if (FAILED(hr)) return hr;
  return create_object(&cc, NULL, id, settings, network, record);
}

HRESULT WINAPI HcnOpenNetwork(REFGUID id, void **network, PWSTR *record) {
  return open_object("HcnOpenNetwork", K_NETWORK, id, network, record);
}

HRESULT WINAPI HcnModifyNetwork(void *network, PCWSTR settings, PWSTR *record) {
  return modify_not_emulated("HcnModifyNetwork", network, settings,
                             "modifying a network is not emulated by the test double", record);
}

HRESULT WINAPI HcnQueryNetworkProperties(void *network, PCWSTR query, PWSTR *properties, PWSTR *record) {
  return query_object("HcnQueryNetworkProperties", K_NETWORK, network, query, properties, record);
}

HRESULT WINAPI HcnDeleteNetwork(REFGUID id, PWSTR *record) {
  return delete_object("HcnDeleteNetwork", K_NETWORK, id, record);
}

HRESULT WINAPI HcnCloseNetwork(void *network) { return close_object("HcnCloseNetwork", K_NETWORK, network); }

HRESULT WINAPI HcnEnumerateEndpoints(PCWSTR query, PWSTR *endpoints, PWSTR *record) {
  return enumerate("HcnEnumerateEndpoints", K_ENDPOINT, query, endpoints, record);
}

HRESULT WINAPI HcnCreateEndpoint(void *network, REFGUID id, PCWSTR settings, void **endpoint, PWSTR *record) {
  static const create_call cc = {"HcnCreateEndpoint", K_ENDPOINT, "HostComputeEndpoint", hv_check_hcn_endpoint,
                                 endpoint_kind_refusal, endpoint_create_fn};
  cJSON *f = fields_new();
  cJSON_AddNumberToObject(f, "network", (double)(uintptr_t)network);
  add_guid(f, "id", id);
  hcsd_add_document(f, "document", settings);
  HRESULT hr = begin(cc.call, f, record);
  if (FAILED(hr)) return hr;
  char net[37];
  if (!handle_id(network, K_NETWORK, net, false)) return refuse(cc.call, E_HANDLE, "not an open network handle", record);
  return create_object(&cc, net, id, settings, endpoint, record);
}

HRESULT WINAPI HcnOpenEndpoint(REFGUID id, void **endpoint, PWSTR *record) {
  return open_object("HcnOpenEndpoint", K_ENDPOINT, id, endpoint, record);
}

HRESULT WINAPI HcnModifyEndpoint(void *endpoint, PCWSTR settings, PWSTR *record) {
  return modify_not_emulated("HcnModifyEndpoint", endpoint, settings,
                             "modifying an endpoint is not emulated by the test double", record);
}

HRESULT WINAPI HcnQueryEndpointProperties(void *endpoint, PCWSTR query, PWSTR *properties, PWSTR *record) {
  return query_object("HcnQueryEndpointProperties", K_ENDPOINT, endpoint, query, properties, record);
}

HRESULT WINAPI HcnDeleteEndpoint(REFGUID id, PWSTR *record) {
  return delete_object("HcnDeleteEndpoint", K_ENDPOINT, id, record);
}

HRESULT WINAPI HcnCloseEndpoint(void *endpoint) { return close_object("HcnCloseEndpoint", K_ENDPOINT, endpoint); }

HRESULT WINAPI HcnEnumerateNamespaces(PCWSTR query, PWSTR *namespaces, PWSTR *record) {
  return enumerate("HcnEnumerateNamespaces", K_NAMESPACE, query, namespaces, record);
}

static unsigned long g_namespace_counter;

HRESULT WINAPI HcnCreateNamespace(REFGUID id, PCWSTR settings, void **ns, PWSTR *record) {
  cJSON *f = fields_new();
  add_guid(f, "id", id);
  hcsd_add_document(f, "document", settings);
  HRESULT hr = begin("HcnCreateNamespace", f, record);
  if (FAILED(hr)) return hr;
  if (id == NULL || ns == NULL) return refuse("HcnCreateNamespace", E_INVALIDARG, "the id and the handle's pointer are required", record);
  cJSON *doc = document("HcnCreateNamespace", settings, hv_check_hcn_namespace, "HostComputeNamespace", &hr, record);
  if (doc == NULL) return hr;
  char text[37], detail[200] = "";
  guid_text(id, text);
  if (!id_matches(doc, text, detail, sizeof detail, "HostComputeNamespace")) {
    cJSON_Delete(doc);
    return refuse("HcnCreateNamespace", E_INVALIDARG, detail, record);
  }
  if (get(doc, "Resources") != NULL) {
    cJSON_Delete(doc);
    return refuse("HcnCreateNamespace", E_INVALIDARG, "HostComputeNamespace.Resources: endpoints join a namespace with "
                                                      "HcnModifyNamespace, as hcsshim adds them", record);
  }
  cJSON_DeleteItemFromObjectCaseSensitive(doc, "ID");
  cJSON_AddStringToObject(doc, "ID", text);
  if (get(doc, "Type") == NULL) cJSON_AddStringToObject(doc, "Type", "Host"); /* HNS's default */
  cJSON_DeleteItemFromObjectCaseSensitive(doc, "NamespaceId");
  cJSON_AddNumberToObject(doc, "NamespaceId", (double)(2 + InterlockedIncrement((LONG *)&g_namespace_counter)));
  cJSON_AddArrayToObject(doc, "Resources");
  cJSON *r = cJSON_CreateObject();
  if (r == NULL) hcsd_oom();
  cJSON_AddStringToObject(r, "Id", text);
  cJSON_AddItemToObject(r, "Props", doc);
  bool added = hcsd_store_add("Namespaces", r);
  cJSON_Delete(r);
  if (!added) {
    snprintf(detail, sizeof detail, "a namespace with id %s already exists", text);
    return refuse("HcnCreateNamespace", HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS), detail, record);
  }
  *ns = handle_new(K_NAMESPACE, text);
  return S_OK;
}

HRESULT WINAPI HcnOpenNamespace(REFGUID id, void **ns, PWSTR *record) {
  return open_object("HcnOpenNamespace", K_NAMESPACE, id, ns, record);
}

HRESULT WINAPI HcnModifyNamespace(void *ns, PCWSTR settings, PWSTR *record) {
  cJSON *f = fields_new();
  cJSON_AddNumberToObject(f, "handle", (double)(uintptr_t)ns);
  hcsd_add_document(f, "document", settings);
  HRESULT hr = begin("HcnModifyNamespace", f, record);
  if (FAILED(hr)) return hr;
  char id[37];
  if (!handle_id(ns, K_NAMESPACE, id, false)) return refuse("HcnModifyNamespace", E_HANDLE, "not an open namespace handle", record);
  char detail[700] = "";
  bool valid = true;
  char *utf8 = settings != NULL ? hcsd_utf8(settings, &valid) : NULL;
  cJSON *doc = utf8 != NULL ? hv_parse(utf8, "ModifyNamespaceSettingRequest", detail, sizeof detail) : NULL;
  free(utf8);
  bool add = false;
  const char *endpoint = NULL;
  if (doc == NULL || !hv_check_hcn_namespace_modify(doc, &add, &endpoint, detail, sizeof detail)) {
    cJSON_Delete(doc);
    return refuse("HcnModifyNamespace", HCN_E_INVALID_JSON, detail[0] != '\0' ? detail : "the settings are required", record);
  }
  char ep[37];
  snprintf(ep, sizeof ep, "%s", endpoint);
  for (char *c = ep; *c != '\0'; c++) *c = (char)tolower((unsigned char)*c);
  ns_modify m = {.id = id, .endpoint = ep, .add = add, .hr = S_OK};
  hcsd_store_edit(namespace_modify_fn, &m);
  cJSON_Delete(doc);
  return FAILED(m.hr) ? refuse("HcnModifyNamespace", m.hr, m.detail, record) : S_OK;
}

HRESULT WINAPI HcnQueryNamespaceProperties(void *ns, PCWSTR query, PWSTR *properties, PWSTR *record) {
  return query_object("HcnQueryNamespaceProperties", K_NAMESPACE, ns, query, properties, record);
}

HRESULT WINAPI HcnDeleteNamespace(REFGUID id, PWSTR *record) {
  return delete_object("HcnDeleteNamespace", K_NAMESPACE, id, record);
}

HRESULT WINAPI HcnCloseNamespace(void *ns) { return close_object("HcnCloseNamespace", K_NAMESPACE, ns); }
