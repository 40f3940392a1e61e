/* runtime/rt_net.h - a process or Hyper-V container's network, for the HCS runtime only (rt_hcs_win.c; not a
 * contract for anyone else: runtime/rt_hcs.h says what the runtime does). Windows only.
 *
 * One endpoint per container on the network it joins, with the container's port mappings as PortMapping
 * policies, its MAC address and DNS servers; a namespace of its own holding the endpoint; for Hyper-V the
 * namespace and a network adapter for the endpoint in the utility VM's guest (hcsshim's internal/uvm/
 * network.go: NetworkNamespace, Network PreAdd, NetworkAdapters with the guest's Network Add). Ids are
 * net_guid_for(owner, container id, "endpoint" | "namespace" | "nic"), so a crash's leftovers are found by
 * id. The host ports are held in the runtime's table (net/ports.h) from before the endpoint exists until
 * after it is gone. */
#ifndef WCTR_RUNTIME_RT_NET_H
#define WCTR_RUNTIME_RT_NET_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "hcs/client.h"
#include "net/client.h"
#include "net/document.h"
#include "net/ports.h"
#include "runtime/runtime.h"

/* What the runtime's networking needs of it. */
typedef struct rt_net_ctx {
  net_client *client;        /* NULL: no HNS on this host */
  const char *why;           /* why there is none */
  net_ports *ports;
  const rt_host *host;
  const char *owner;
} rt_net_ctx;

/* The network part of a start's plan. */
typedef struct rt_net_plan {
  bool enabled;              /* the container joins a network */
  rt_network network;
  char endpoint_id[NET_GUID_SIZE], namespace_id[NET_GUID_SIZE], nic_id[NET_GUID_SIZE];
  char endpoint_name[NET_ENDPOINT_NAME_SIZE];
  spec_port *ports;          /* the mappings; host ports decided when reserved (0 before, for -P) */
  size_t port_count;
} rt_net_plan;

/* What a run holds, for its end (and what reattach reads back from the recorded state). */
typedef struct rt_net_run {
  bool reserved, endpoint, ns, guest_ns, nic;
  net_endpoint_info info;
  cJSON *endpoint_props;     /* HNS's answers, for the guest's requests */
  cJSON *namespace_props;
} rt_net_run;

/* At create (prepare): WCTR_ENOENT for an unknown network, WCTR_ENOTSUP without HNS (unless dry_run), and a
 * host port another running container holds (WCTR_EEXIST, Docker's sentence). */
wctr_err rt_net_check(const rt_net_ctx *c, const char *id, const spec_container *spec, bool dry_run, wctr_errmsg *e);

/* The plan: nothing when the container joins no network. In a dry run without HNS the network's id is the
 * nil GUID. image_exposed: the image's exposed ports for -P. */
wctr_err rt_net_plan_build(const rt_net_ctx *c, const rt_args *a, char *const *image_exposed, size_t exposed_count,
                           bool dry_run, rt_net_plan *p, wctr_errmsg *e);
void rt_net_plan_free(rt_net_plan *p);

/* The dry run's calls: the HNS side (HcnCreateEndpoint, HcnCreateNamespace, HcnModifyNamespace) with the
 * host ports a start would choose now (WCTR_EEXIST / WCTR_EBUSY when it could not); and for Hyper-V the
 * utility VM's three requests (false when out of memory). */
wctr_err rt_net_plan_calls(const rt_net_ctx *c, const rt_args *a, const rt_net_plan *p, cJSON *list, wctr_errmsg *e);
bool rt_net_plan_guest_calls(const rt_net_plan *p, const char *uvm_id, cJSON *list);

/* A start's steps, each undone by rt_net_teardown when a later one fails: the host ports reserved, the
 * endpoint and the namespace created (leftovers of the same ids removed first), the endpoint added to it.
 * These two never fail with WCTR_EEXIST (a port in use, an HNS object that exists: WCTR_EBUSY): from a start
 * that code means "the previous task is not released yet" and the manager would try again (runtime.h). */
wctr_err rt_net_setup(const rt_net_ctx *c, const rt_args *a, rt_net_plan *p, rt_net_run *r, wctr_errmsg *e);
/* Hyper-V: the namespace and the adapter into the utility VM. */
wctr_err rt_net_guest_add(rt_net_plan *p, rt_net_run *r, hcs_system *uvm, wctr_errmsg *e);
/* Hyper-V: the adapter and the namespace out of the utility VM (the VM may be gone: failures are logged). */
void rt_net_guest_remove(const char *name, const char *nic_id, rt_net_run *r, hcs_system *uvm);
/* The namespace and the endpoint deleted, the host ports released; quiet about what is gone already. */
void rt_net_teardown(const rt_net_ctx *c, const char *id, const char *name, const char *endpoint_id,
                     const char *namespace_id, rt_net_run *r);
void rt_net_run_free(rt_net_run *r);

/* The record's "Network": {"Name","NetworkID","HnsNetworkId","EndpointID","NamespaceId","AdapterId"?,
 * "IPAddress","IPPrefixLen","Gateway","MacAddress","Ports":[{"PrivatePort","PublicPort","Type","IP"}]}.
 * NULL when out of memory. */
cJSON *rt_net_state_json(const rt_net_plan *p, const rt_net_run *r, bool hyperv);
/* Reattach: the recorded "Network" back into a plan's ids and ports and a run (ports held again). False when
 * the state has none (a container without a network, or one recorded before wctr had networks). */
bool rt_net_from_state(const rt_net_ctx *c, const rt_args *a, const cJSON *state, rt_net_plan *p, rt_net_run *r);

/* The start-up sweep: for every owned container that does not run, its namespace and endpoint by id; then
 * every endpoint named "<owner>_..." whose container does not run. */
void rt_net_sweep(const rt_net_ctx *c, const char *const *owned, size_t owned_count, const char *const *running,
                  size_t running_count);

#endif
