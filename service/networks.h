/* service/networks.h - the container networks of one wctrd (portable over an HNS seam; networks_win.c binds
 * it to computenetwork.dll through net/client.h).
 *
 * What exists is HNS's: every HNS network of type NAT is a network wctr shows and containers may join.
 * Docker's default, "nat", is the HNS network named "nat" or, without one, the first of type NAT (adopted, as
 * dockerd adopts it); when the host has none, wctrd creates one at its start (and again when a container
 * needs it). Networks wctrd creates (`wctr network create`, compose's project networks) are recorded in
 * <data-root>\networks\<id>.json - {"Id","Name","HnsId","Driver":"nat","Created","Subnet"?,"Gateway"?,
 * "Labels"} - and labelled with SVC_NETWORK_OWNER_LABEL = the data root's Owner: only those are ever removed
 * (rm, prune) or re-created (one of them HNS lost, when a container needs it). A network wctrd did not create
 * is never changed or removed; its Options carry Docker's "com.docker.network.windowsshim.hnsowned": "true".
 * A record is written before HcnCreateNetwork, with "Pending": true, and completed after it: a record still
 * Pending (a crash came between the two) is settled at the next look at HNS - the network is wctrd's when HNS
 * has its HnsId (the record completed), else the record is dropped - so a crash never leaves an HNS network
 * wctrd made but would not call its own.
 * Ids: a recorded network's own 64 hex digits; an adopted one's derived from its HNS id (net_id_for_hns).
 * "none" (driver null) and "host" (driver host: job containers) are listed too, as Docker lists its
 * predefined networks; they cannot be removed.
 *
 * Operations (ctx is the svc_networks; all BLOCKING):
 *   network.create  {"Name","Driver"?:"nat","Subnet"?,"Gateway"?,"Labels"?:{}} -> {"Id","Warning":""}
 *   network.list    {"Filters"?:{"name":[...],"label":[...],"driver":[...]}} -> [NetworkResource...]
 *   network.inspect {"Id"} (a name, an id or an id prefix) -> NetworkResource with "Containers"
 *   network.remove  {"Id"} -> {}
 *   network.prune   {} -> {"NetworksDeleted":[names]}
 * NetworkResource is Docker's (GET /networks/{id}): Name, Id, Created, Scope "local", Driver, EnableIPv6,
 * IPAM {Driver "windows", Options {}, Config [{Subnet, Gateway}]}, Internal, Attachable, Ingress,
 * ConfigFrom {Network ""}, ConfigOnly, Containers {id: {Name, EndpointID, MacAddress, IPv4Address,
 * IPv6Address}} (the running containers on it, from the manager's records), Options, Labels.
 * Refusals, with Docker's words where Docker has them (WCTR_EINVAL unless said):
 *   a name taken: WCTR_EEXIST "network with name web already exists"; a bad name: spec_network_name_valid's;
 *   a driver other than nat: "--driver x: wctr creates nat networks only (use -d nat; ...)";
 *   a subnet that overlaps one of any HNS network: "Pool overlaps with other one on this address space
 *     (network nat, 172.20.0.0/16)"; the subnet's and gateway's own checks are net_doc_network's;
 *   an unknown network: WCTR_ENOENT "network x not found";
 *   removing a predefined one: WCTR_EACCES "nat is a pre-defined network and cannot be removed" ("none",
 *     "host", and the default, also when wctrd created it; prune keeps them too); one wctrd did not create:
 *     WCTR_EACCES "network x
 *     was not created by wctr: it is the host's, and wctr never removes it";
 *   one a running container uses: WCTR_EBUSY "error while removing network: network web id <id> has active
 *     endpoints (container c1)";
 *   no HNS on the host (create, remove, resolve): WCTR_ENOTSUP with the client's sentence. */
#ifndef WCTR_SERVICE_NETWORKS_H
#define WCTR_SERVICE_NETWORKS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "runtime/runtime.h"
#include "service/ops.h"

#define SVC_NETWORK_OWNER_LABEL "com.wctr.network.owner"
#define SVC_NETWORK_HNSOWNED "com.docker.network.windowsshim.hnsowned"
#define SVC_NETWORK_HNSID "com.docker.network.windowsshim.hnsid"

/* What the networks need of HNS (networks_win.c: net/client.h; tests: a fake). unavailable: NULL when HNS
 * is there, else why not (then no function is called). list answers every network's properties. */
typedef struct svc_hns {
  void *ctx;
  const char *unavailable;
  wctr_err (*list)(void *ctx, cJSON **networks, wctr_errmsg *e);
  wctr_err (*create)(void *ctx, const char *id, const cJSON *doc, cJSON **props, wctr_errmsg *e);
  wctr_err (*remove)(void *ctx, const char *id, wctr_errmsg *e);
} svc_hns;

typedef struct svc_networks svc_networks;

/* Reads the records in <data_root>\networks (created when missing). owner is the data root's Owner
 * (hcs_owner_for_data_root's text). The hns table is copied. */
wctr_err svc_networks_open(const char *data_root, const char *owner, const svc_hns *hns, svc_networks **out,
                           wctr_errmsg *e);
void svc_networks_close(svc_networks *n); /* accepts NULL */

/* Where Docker's network events go (svc_manager_emit_network): "create" by network.create, "destroy" by
 * network.remove and prune, each with the network's id and attributes {"name","type":"nat"} (borrowed). Called
 * under the networks' lock; NULL until set. */
typedef void (*svc_network_event_fn)(void *ctx, const char *action, const char *id, const cJSON *attributes);
void svc_networks_set_events(svc_networks *n, svc_network_event_fn event, void *ctx);

/* The manager's records (svc_manager_records), for a network's containers; NULL until set. */
void svc_networks_set_records(svc_networks *n, cJSON *(*records)(void *ctx), void *ctx);

/* wctrd's start: "nat" adopted, or created when the host has no NAT network (a line in the log either way;
 * nothing when HNS is missing). */
void svc_networks_ensure_default(svc_networks *n);

/* rt_host.network_resolve: the network by name, the default created when missing, a recorded one HNS lost
 * re-created with its settings. */
wctr_err svc_networks_resolve(void *n, const char *name, rt_network *out, wctr_errmsg *e);

const svc_op *svc_networks_ops(size_t *count);

#ifdef _WIN32
/* svc_networks_open over computenetwork.dll (net/client.h), loaded here; a host without it gets networks
 * that say why (svc_hns.unavailable). */
wctr_err svc_networks_open_hns(const char *data_root, const char *owner, svc_networks **out, wctr_errmsg *e);
#endif

#endif
