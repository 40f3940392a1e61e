/* net/client_win.c - computenetwork.dll loaded at run time, the Hcn* calls by id, failures as sentences; the
 * host port probe. The contract is net/client.h. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <objbase.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wstr.h"
#include "net/client.h"
#include "net/document.h"
#include "net/errors.h"

typedef void *HCN_HANDLE;

/* One entry per function (mingw-w64's computenetwork.h prototypes). */
#define NET_FUNCTIONS(X)                                                                           \
  X(HcnEnumerateNetworks, (PCWSTR, PWSTR *, PWSTR *))                                              \
  X(HcnCreateNetwork, (const GUID *, PCWSTR, HCN_HANDLE *, PWSTR *))                               \
  X(HcnOpenNetwork, (const GUID *, HCN_HANDLE *, PWSTR *))                                         \
  X(HcnQueryNetworkProperties, (HCN_HANDLE, PCWSTR, PWSTR *, PWSTR *))                             \
  X(HcnDeleteNetwork, (const GUID *, PWSTR *))                                                     \
  X(HcnCloseNetwork, (HCN_HANDLE))                                                                 \
  X(HcnEnumerateEndpoints, (PCWSTR, PWSTR *, PWSTR *))                                             \
  X(HcnCreateEndpoint, (HCN_HANDLE, const GUID *, PCWSTR, HCN_HANDLE *, PWSTR *))                  \
  X(HcnOpenEndpoint, (const GUID *, HCN_HANDLE *, PWSTR *))                                        \
  X(HcnQueryEndpointProperties, (HCN_HANDLE, PCWSTR, PWSTR *, PWSTR *))                            \
  X(HcnDeleteEndpoint, (const GUID *, PWSTR *))                                                    \
  X(HcnCloseEndpoint, (HCN_HANDLE))                                                                \
  X(HcnEnumerateNamespaces, (PCWSTR, PWSTR *, PWSTR *))                                            \
  X(HcnCreateNamespace, (const GUID *, PCWSTR, HCN_HANDLE *, PWSTR *))                             \
  X(HcnOpenNamespace, (const GUID *, HCN_HANDLE *, PWSTR *))                                       \
  X(HcnModifyNamespace, (HCN_HANDLE, PCWSTR, PWSTR *))                                             \
  X(HcnQueryNamespaceProperties, (HCN_HANDLE, PCWSTR, PWSTR *, PWSTR *))                           \
  X(HcnDeleteNamespace, (const GUID *, PWSTR *))                                                   \
  X(HcnCloseNamespace, (HCN_HANDLE))

#define X(name, args) typedef HRESULT(WINAPI *name##_fn) args;
NET_FUNCTIONS(X)
#undef X

struct net_client {
  HMODULE dll;
#define X(name, args) name##_fn name;
  NET_FUNCTIONS(X)
#undef X
};

/* The three kinds of object share their calls' shapes. */
typedef struct kind {
  const char *what; /* "network" */
  const char *open_name, *query_name, *delete_name, *create_name, *enumerate_name;
} kind;

static const kind K_NETWORK = {"network", "HcnOpenNetwork", "HcnQueryNetworkProperties", "HcnDeleteNetwork",
                               "HcnCreateNetwork", "HcnEnumerateNetworks"};
static const kind K_ENDPOINT = {"endpoint", "HcnOpenEndpoint", "HcnQueryEndpointProperties", "HcnDeleteEndpoint",
                                "HcnCreateEndpoint", "HcnEnumerateEndpoints"};
static const kind K_NAMESPACE = {"namespace", "HcnOpenNamespace", "HcnQueryNamespaceProperties", "HcnDeleteNamespace",
                                 "HcnCreateNamespace", "HcnEnumerateNamespaces"};

/* --- loading ------------------------------------------------------------------------------------------ */

wctr_err net_client_load(net_client **out, wctr_errmsg *e) {
  *out = NULL;
  net_client *c = calloc(1, sizeof *c);
  if (c == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  c->dll = LoadLibraryExW(L"computenetwork.dll", NULL, LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (c->dll == NULL) {
    DWORD code = GetLastError();
    free(c);
    return wctr_fail(e, WCTR_ENOTSUP, "%s (computenetwork.dll cannot be loaded: error %lu)", NET_UNAVAILABLE_MESSAGE,
                     (unsigned long)code);
  }
#define X(name, args)                                                                                          \
  c->name = (name##_fn)(void (*)(void))GetProcAddress(c->dll, #name);                                            \
  if (c->name == NULL) {                                                                                       \
    net_client_unload(c);                                                                                      \
    return wctr_fail(e, WCTR_ENOTSUP, "%s (computenetwork.dll has no %s)", NET_UNAVAILABLE_MESSAGE, #name); \
  }
  NET_FUNCTIONS(X)
#undef X
  *out = c;
  return WCTR_OK;
}

void net_client_unload(net_client *c) {
  if (c == NULL) return;
  if (c->dll != NULL) FreeLibrary(c->dll);
  free(c);
}

/* --- helpers ------------------------------------------------------------------------------------------ */

static int hexv(wchar_t c) {
  if (c >= L'0' && c <= L'9') return c - L'0';
  if (c >= L'a' && c <= L'f') return c - L'a' + 10;
  if (c >= L'A' && c <= L'F') return c - L'A' + 10;
  return -1;
}

static bool guid_parse(const char *text, GUID *out) {
  if (text == NULL) return false;
  if (text[0] == '{') text++;
  char buf[NET_GUID_SIZE];
  snprintf(buf, sizeof buf, "%.36s", text);
  if (!net_guid_valid(buf)) return false;
  uint8_t b[16];
  int k = 0;
  for (int i = 0; i < 36 && k < 16; i++) {
    if (buf[i] == '-') continue;
    b[k++] = (uint8_t)(hexv((wchar_t)buf[i]) << 4 | hexv((wchar_t)buf[i + 1]));
    i++;
  }
  out->Data1 = (DWORD)b[0] << 24 | (DWORD)b[1] << 16 | (DWORD)b[2] << 8 | b[3];
  out->Data2 = (WORD)(b[4] << 8 | b[5]);
  out->Data3 = (WORD)(b[6] << 8 | b[7]);
  memcpy(out->Data4, b + 8, 8);
  return true;
}

/* A document as UTF-16 JSON (malloc'ed); NULL when out of memory. */
static wchar_t *to_wide(const cJSON *doc) {
  if (doc == NULL) return NULL;
  char *text = cJSON_PrintUnformatted(doc);
  wchar_t *wide = text != NULL ? wctr_utf8_to_wide(text) : NULL;
  cJSON_free(text);
  return wide;
}

/* Takes a CoTaskMem string from HNS and returns it as UTF-8 (malloc'ed) or NULL. */
static char *take(PWSTR s) {
  if (s == NULL) return NULL;
  char *utf8 = wctr_wide_to_utf8(s);
  CoTaskMemFree(s);
  return utf8;
}

/* The sentence of a failed call; *record is consumed. */
static wctr_err failure(const char *call, HRESULT hr, PWSTR record, uint32_t *hr_out, wctr_errmsg *e) {
  char *rec = take(record);
  char text[600];
  net_error_describe((uint32_t)hr, rec, text, sizeof text);
  free(rec);
  if (hr_out != NULL) *hr_out = (uint32_t)hr;
  wctr_err err = net_error_is_not_found((uint32_t)hr) ? WCTR_ENOENT : net_error_code((uint32_t)hr);
  if (err == WCTR_OK) err = WCTR_ESYSTEM;
  return wctr_fail(e, err, "%s: %s", call, text);
}

/* A call may succeed and still hand back a record: it is freed unread. */
static void drop(PWSTR record) {
  if (record != NULL) CoTaskMemFree(record);
}

static wctr_err bad_id(const kind *k, const char *id, wctr_errmsg *e) {
  return wctr_fail(e, WCTR_EINVAL, "%s id \"%.60s\" is not a GUID", k->what, id != NULL ? id : "");
}

static wctr_err parse_answer(const char *call, char *text, cJSON **out, wctr_errmsg *e) {
  *out = text != NULL ? cJSON_Parse(text) : NULL;
  free(text);
  if (*out == NULL) return wctr_fail(e, WCTR_ESYSTEM, "%s answered something that is not JSON", call);
  return WCTR_OK;
}

/* --- by kind ------------------------------------------------------------------------------------------- */

static HRESULT call_open(net_client *c, const kind *k, const GUID *g, HCN_HANDLE *h, PWSTR *rec) {
  if (k == &K_NETWORK) return c->HcnOpenNetwork(g, h, rec);
  if (k == &K_ENDPOINT) return c->HcnOpenEndpoint(g, h, rec);
  return c->HcnOpenNamespace(g, h, rec);
}

static HRESULT call_query(net_client *c, const kind *k, HCN_HANDLE h, PCWSTR q, PWSTR *props, PWSTR *rec) {
  if (k == &K_NETWORK) return c->HcnQueryNetworkProperties(h, q, props, rec);
  if (k == &K_ENDPOINT) return c->HcnQueryEndpointProperties(h, q, props, rec);
  return c->HcnQueryNamespaceProperties(h, q, props, rec);
}

static void call_close(net_client *c, const kind *k, HCN_HANDLE h) {
  if (h == NULL) return;
  if (k == &K_NETWORK) {
    c->HcnCloseNetwork(h);
  } else if (k == &K_ENDPOINT) {
    c->HcnCloseEndpoint(h);
  } else {
    c->HcnCloseNamespace(h);
  }
}

static HRESULT call_delete(net_client *c, const kind *k, const GUID *g, PWSTR *rec) {
  if (k == &K_NETWORK) return c->HcnDeleteNetwork(g, rec);
  if (k == &K_ENDPOINT) return c->HcnDeleteEndpoint(g, rec);
  return c->HcnDeleteNamespace(g, rec);
}

static HRESULT call_enumerate(net_client *c, const kind *k, PCWSTR q, PWSTR *ids, PWSTR *rec) {
  if (k == &K_NETWORK) return c->HcnEnumerateNetworks(q, ids, rec);
  if (k == &K_ENDPOINT) return c->HcnEnumerateEndpoints(q, ids, rec);
  return c->HcnEnumerateNamespaces(q, ids, rec);
}

/* The two calls that take a HostComputeQuery and answer a string: HcnEnumerate* (enumerate) or
 * HcnQuery*Properties on the open object h. q is consumed; *answer is HNS's answer as UTF-8 (malloc'ed,
 * NULL when HNS gave none). */
static wctr_err ask(net_client *c, const kind *k, bool enumerate, HCN_HANDLE h, cJSON *q, char **answer,
                    wctr_errmsg *e) {
  *answer = NULL;
  wchar_t *wq = to_wide(q);
  cJSON_Delete(q);
  if (wq == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  PWSTR text = NULL, rec = NULL;
  HRESULT hr = enumerate ? call_enumerate(c, k, wq, &text, &rec) : call_query(c, k, h, wq, &text, &rec);
  free(wq);
  if (FAILED(hr)) {
    if (text != NULL) CoTaskMemFree(text);
    return failure(enumerate ? k->enumerate_name : k->query_name, hr, rec, NULL, e);
  }
  drop(rec);
  *answer = take(text);
  return WCTR_OK;
}

/* The properties of an open object. */
static wctr_err query_handle(net_client *c, const kind *k, HCN_HANDLE h, cJSON **props, wctr_errmsg *e) {
  char *answer = NULL;
  wctr_err err = ask(c, k, false, h, net_doc_query(NULL, NULL), &answer, e);
  if (err != WCTR_OK) return err;
  return parse_answer(k->query_name, answer, props, e);
}

/* HcnOpen* by id; a failure's HRESULT goes to *hr_out when it is not NULL. */
static wctr_err open_handle(net_client *c, const kind *k, const GUID *g, HCN_HANDLE *h, uint32_t *hr_out,
                            wctr_errmsg *e) {
  PWSTR rec = NULL;
  HRESULT hr = call_open(c, k, g, h, &rec);
  if (FAILED(hr)) return failure(k->open_name, hr, rec, hr_out, e);
  drop(rec);
  return WCTR_OK;
}

static wctr_err get(net_client *c, const kind *k, const char *id, cJSON **props, wctr_errmsg *e) {
  *props = NULL;
  GUID g;
  if (!guid_parse(id, &g)) return bad_id(k, id, e);
  HCN_HANDLE h = NULL;
  wctr_err err = open_handle(c, k, &g, &h, NULL, e);
  if (err != WCTR_OK) return err;
  err = query_handle(c, k, h, props, e);
  call_close(c, k, h);
  return err;
}

static wctr_err del(net_client *c, const kind *k, const char *id, wctr_errmsg *e) {
  GUID g;
  if (!guid_parse(id, &g)) return bad_id(k, id, e);
  PWSTR rec = NULL;
  HRESULT hr = call_delete(c, k, &g, &rec);
  if (FAILED(hr)) {
    wctr_err err = failure(k->delete_name, hr, rec, NULL, e);
    return err == WCTR_ENOENT ? WCTR_OK : err;
  }
  drop(rec);
  return WCTR_OK;
}

static wctr_err list(net_client *c, const kind *k, const cJSON *query, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  cJSON *q = query != NULL ? cJSON_Duplicate(query, true) : net_doc_query(NULL, NULL);
  char *text = NULL;
  wctr_err asked = ask(c, k, true, NULL, q, &text, e);
  if (asked != WCTR_OK) return asked;
  cJSON *arr = NULL;
  /* An answer of nothing at all means no object. */
  if (text == NULL || text[0] == '\0') {
    free(text);
    arr = cJSON_CreateArray();
  } else {
    wctr_err err = parse_answer(k->enumerate_name, text, &arr, e);
    if (err != WCTR_OK) return err;
  }
  cJSON *result = cJSON_CreateArray();
  if (arr == NULL || result == NULL || !cJSON_IsArray(arr)) {
    bool oom = arr == NULL || result == NULL;
    cJSON_Delete(arr);
    cJSON_Delete(result);
    return oom ? wctr_fail(e, WCTR_ENOMEM, "out of memory")
               : wctr_fail(e, WCTR_ESYSTEM, "%s answered something that is not a list of ids", k->enumerate_name);
  }
  wctr_err err = WCTR_OK;
  const cJSON *item;
  cJSON_ArrayForEach(item, arr) {
    if (!cJSON_IsString(item)) continue;
    const char *id = item->valuestring;
    char bare[NET_GUID_SIZE];
    snprintf(bare, sizeof bare, "%.36s", id[0] == '{' ? id + 1 : id);
    cJSON *props = NULL;
    err = get(c, k, bare, &props, e);
    if (err == WCTR_ENOENT) {
      err = WCTR_OK; /* removed meanwhile */
      continue;
    }
    if (err != WCTR_OK) break;
    if (!cJSON_AddItemToArray(result, props)) {
      cJSON_Delete(props);
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      break;
    }
  }
  cJSON_Delete(arr);
  if (err != WCTR_OK) {
    cJSON_Delete(result);
    return err;
  }
  *out = result;
  return WCTR_OK;
}

/* --- the contract -------------------------------------------------------------------------------------- */

wctr_err net_networks_list(net_client *c, const cJSON *query, cJSON **out, wctr_errmsg *e) {
  return list(c, &K_NETWORK, query, out, e);
}
wctr_err net_endpoints_list(net_client *c, const cJSON *query, cJSON **out, wctr_errmsg *e) {
  return list(c, &K_ENDPOINT, query, out, e);
}
wctr_err net_namespaces_list(net_client *c, const cJSON *query, cJSON **out, wctr_errmsg *e) {
  return list(c, &K_NAMESPACE, query, out, e);
}

wctr_err net_network_get(net_client *c, const char *id, cJSON **props, wctr_errmsg *e) {
  return get(c, &K_NETWORK, id, props, e);
}
wctr_err net_endpoint_get(net_client *c, const char *id, cJSON **props, wctr_errmsg *e) {
  return get(c, &K_ENDPOINT, id, props, e);
}
wctr_err net_namespace_get(net_client *c, const char *id, cJSON **props, wctr_errmsg *e) {
  return get(c, &K_NAMESPACE, id, props, e);
}

wctr_err net_network_delete(net_client *c, const char *id, wctr_errmsg *e) { return del(c, &K_NETWORK, id, e); }
wctr_err net_endpoint_delete(net_client *c, const char *id, wctr_errmsg *e) { return del(c, &K_ENDPOINT, id, e); }
wctr_err net_namespace_delete(net_client *c, const char *id, wctr_errmsg *e) { return del(c, &K_NAMESPACE, id, e); }

static HRESULT call_create(net_client *c, const kind *k, HCN_HANDLE network, const GUID *g, PCWSTR settings,
                           HCN_HANDLE *h, PWSTR *rec) {
  if (k == &K_NETWORK) return c->HcnCreateNetwork(g, settings, h, rec);
  if (k == &K_ENDPOINT) return c->HcnCreateEndpoint(network, g, settings, h, rec);
  return c->HcnCreateNamespace(g, settings, h, rec);
}

/* HcnCreate* (an endpoint on the open network), then the new object's properties when props is not NULL;
 * its handle is closed either way. */
static wctr_err create(net_client *c, const kind *k, HCN_HANDLE network, const GUID *g, const cJSON *settings,
                       cJSON **props, uint32_t *hr_out, wctr_errmsg *e) {
  wchar_t *w = to_wide(settings);
  if (w == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  HCN_HANDLE h = NULL;
  PWSTR rec = NULL;
  HRESULT hr = call_create(c, k, network, g, w, &h, &rec);
  free(w);
  if (props != NULL) *props = NULL;
  if (FAILED(hr)) {
    call_close(c, k, h);
    return failure(k->create_name, hr, rec, hr_out, e);
  }
  drop(rec);
  wctr_err err = WCTR_OK;
  if (props != NULL) err = query_handle(c, k, h, props, e);
  call_close(c, k, h);
  return err;
}

wctr_err net_network_create(net_client *c, const char *id, const cJSON *settings, cJSON **props, uint32_t *hr_out,
                            wctr_errmsg *e) {
  GUID g;
  if (!guid_parse(id, &g)) return bad_id(&K_NETWORK, id, e);
  return create(c, &K_NETWORK, NULL, &g, settings, props, hr_out, e);
}

wctr_err net_endpoint_create(net_client *c, const char *network_id, const char *id, const cJSON *settings,
                             cJSON **props, uint32_t *hr_out, wctr_errmsg *e) {
  GUID ng, g;
  if (!guid_parse(network_id, &ng)) return bad_id(&K_NETWORK, network_id, e);
  if (!guid_parse(id, &g)) return bad_id(&K_ENDPOINT, id, e);
  HCN_HANDLE net = NULL;
  wctr_err err = open_handle(c, &K_NETWORK, &ng, &net, hr_out, e);
  if (err != WCTR_OK) return err;
  err = create(c, &K_ENDPOINT, net, &g, settings, props, hr_out, e);
  call_close(c, &K_NETWORK, net);
  return err;
}

wctr_err net_namespace_create(net_client *c, const char *id, const cJSON *settings, cJSON **props, uint32_t *hr_out,
                              wctr_errmsg *e) {
  GUID g;
  if (!guid_parse(id, &g)) return bad_id(&K_NAMESPACE, id, e);
  return create(c, &K_NAMESPACE, NULL, &g, settings, props, hr_out, e);
}

wctr_err net_namespace_modify(net_client *c, const char *id, const cJSON *request, wctr_errmsg *e) {
  GUID g;
  if (!guid_parse(id, &g)) return bad_id(&K_NAMESPACE, id, e);
  HCN_HANDLE h = NULL;
  wctr_err err = open_handle(c, &K_NAMESPACE, &g, &h, NULL, e);
  if (err != WCTR_OK) return err;
  wchar_t *w = to_wide(request);
  if (w == NULL) {
    call_close(c, &K_NAMESPACE, h);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  PWSTR rec = NULL;
  HRESULT hr = c->HcnModifyNamespace(h, w, &rec);
  free(w);
  call_close(c, &K_NAMESPACE, h);
  if (FAILED(hr)) return failure("HcnModifyNamespace", hr, rec, NULL, e);
  drop(rec);
  return WCTR_OK;
}

/* --- the host port probe ------------------------------------------------------------------------------ */

static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;
static bool wsa_ready;

static BOOL CALLBACK wsa_init(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  WSADATA data;
  wsa_ready = WSAStartup(MAKEWORD(2, 2), &data) == 0;
  return TRUE;
}

int net_host_port_free(uint16_t port, int proto) {
  InitOnceExecuteOnce(&wsa_once, wsa_init, NULL, NULL);
  if (!wsa_ready) return 0;
  bool udp = proto == 17;
  SOCKET s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, udp ? IPPROTO_UDP : IPPROTO_TCP);
  if (s == INVALID_SOCKET) return 0;
  BOOL on = TRUE;
  setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof on);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  int ok = bind(s, (struct sockaddr *)&a, sizeof a) == 0;
  closesocket(s);
  return ok;
}
