/* net/client.h - the Host Network Service client (HNS v2, computenetwork.dll), Windows layer.
 *
 * computenetwork.dll is loaded at run time (LoadLibraryExW from the executable's folder and System32 only,
 * as hcs/client.h loads computecore.dll) and every function is resolved by name, so one wctrd.exe starts on
 * hosts without it and says so: a missing DLL or function is WCTR_ENOTSUP with NET_UNAVAILABLE_MESSAGE and
 * the name of what is missing.
 *
 * Every call is HNS's own: synchronous, an HRESULT and an error record (freed with CoTaskMemFree, as are
 * the answers). A failure becomes one sentence (net/errors.h) prefixed by the call, e.g.
 *   "HcnCreateEndpoint: The port is already in use (HCN_E_PORT_ALREADY_EXISTS, 0x803B0013); another
 *    container or program already publishes this host port: choose another with -p"
 * and net_error_code's wctr_err; "does not exist" is always WCTR_ENOENT (net_error_is_not_found), which the
 * deleting calls take as done (what a caller deletes is gone either way). *hr_out, when given, receives the
 * HRESULT.
 *
 * Objects are handled by id (a GUID in 8-4-4-4-12 form): each call opens, acts and closes, as hcsshim's
 * hcn package does, so no handle outlives a call and a restarted wctrd needs nothing but the ids. Documents
 * and answers are cJSON trees (net/document.h builds the documents); an answer is the object's properties
 * as HcnQuery*Properties gives them. The client may be used from any thread. */
#ifndef WCTR_NET_CLIENT_H
#define WCTR_NET_CLIENT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define NET_UNAVAILABLE_MESSAGE                                                                                \
  "the Host Network Service is not available on this host: enable the Containers feature (Windows Server " \
  "2019 / Windows 10 1809 or later)"

typedef struct net_client net_client;

wctr_err net_client_load(net_client **out, wctr_errmsg *e);
void net_client_unload(net_client *c); /* accepts NULL */

/* HcnEnumerate* with query (a HostComputeQuery, net_doc_query; NULL: every object), then the properties of
 * each: *out is an array of property objects (empty when none). An object that disappears between the two
 * steps is left out. */
wctr_err net_networks_list(net_client *c, const cJSON *query, cJSON **out, wctr_errmsg *e);
wctr_err net_endpoints_list(net_client *c, const cJSON *query, cJSON **out, wctr_errmsg *e);
wctr_err net_namespaces_list(net_client *c, const cJSON *query, cJSON **out, wctr_errmsg *e);

/* HcnCreate*: the object with this id and settings, then its properties in *props (may be NULL). The
 * endpoint is created on the network network_id (HcnOpenNetwork first). */
wctr_err net_network_create(net_client *c, const char *id, const cJSON *settings, cJSON **props, uint32_t *hr_out,
                            wctr_errmsg *e);
wctr_err net_endpoint_create(net_client *c, const char *network_id, const char *id, const cJSON *settings,
                             cJSON **props, uint32_t *hr_out, wctr_errmsg *e);
wctr_err net_namespace_create(net_client *c, const char *id, const cJSON *settings, cJSON **props, uint32_t *hr_out,
                              wctr_errmsg *e);
/* HcnModifyNamespace with request (net_doc_namespace_endpoint). */
wctr_err net_namespace_modify(net_client *c, const char *id, const cJSON *request, wctr_errmsg *e);

/* The properties of one object (HcnOpen*, HcnQuery*Properties, HcnClose*); WCTR_ENOENT when it is gone. */
wctr_err net_network_get(net_client *c, const char *id, cJSON **props, wctr_errmsg *e);
wctr_err net_endpoint_get(net_client *c, const char *id, cJSON **props, wctr_errmsg *e);
wctr_err net_namespace_get(net_client *c, const char *id, cJSON **props, wctr_errmsg *e);

/* HcnDelete*: WCTR_OK when the object is gone afterwards (it did not exist: WCTR_OK too). */
wctr_err net_network_delete(net_client *c, const char *id, wctr_errmsg *e);
wctr_err net_endpoint_delete(net_client *c, const char *id, wctr_errmsg *e);
wctr_err net_namespace_delete(net_client *c, const char *id, wctr_errmsg *e);

/* Is nothing on this host bound to port for proto (6 tcp, 17 udp)? A bind test on the wildcard address
 * with exclusive use, closed at once: what the dynamic port choice (net/ports.h) asks before it hands a
 * port out. False when the test cannot be made. */
int net_host_port_free(uint16_t port, int proto);

#endif
