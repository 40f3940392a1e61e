/* runtime/rt_net_win.c - a process or Hyper-V container's network: its endpoint, namespace and host ports,
 * and for Hyper-V its namespace and adapter in the utility VM (runtime/rt_net.h). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "runtime/rt_hcs.h"
#include "runtime/rt_net.h"

#define HNS_CALL_MS RT_HCS_CALL_TIMEOUT_MS

/* --- small helpers ------------------------------------------------------------------------------------- */

/* {"call", "id"?, "network"?, "document"?} appended to list. */
static bool add_call(cJSON *list, const char *call, const char *id, const char *network, const cJSON *doc) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || !cJSON_AddItemToArray(list, o)) {
    cJSON_Delete(o);
    return false;
  }
  return cJSON_AddStringToObject(o, "call", call) != NULL && (id == NULL || cJSON_AddStringToObject(o, "id", id)) &&
         (network == NULL || cJSON_AddStringToObject(o, "network", network)) &&
         (doc == NULL || wctr_json_put(o, "document", cJSON_Duplicate(doc, true)));
}

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The network a container joins, resolved by the service. In a dry run a host without HNS still gets a plan
 * (the nil GUID stands for the network's id). */
static wctr_err resolve(const rt_net_ctx *c, const char *joined, bool dry_run, rt_network *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  wctr_err err = WCTR_ENOTSUP;
  if (c->host->network_resolve == NULL) {
    wctr_fail(e, WCTR_ENOTSUP, "--network %s: this service has no networks", joined);
  } else {
    err = c->host->network_resolve(c->host->ctx, joined, out, e);
  }
  if (err == WCTR_ENOTSUP && dry_run) {
    snprintf(out->name, sizeof out->name, "%s", joined);
    snprintf(out->hns_id, sizeof out->hns_id, "%s", NET_NIL_GUID);
    return WCTR_OK;
  }
  if (err == WCTR_ENOTSUP) {
    char why[sizeof e->text];
    snprintf(why, sizeof why, "%s", e->text);
    return wctr_fail(e, WCTR_ENOTSUP, "%s; use --network none to run the container without a network", why);
  }
  return err;
}

/* --- create time ----------------------------------------------------------------------------------------- */

wctr_err rt_net_check(const rt_net_ctx *c, const char *id, const spec_container *spec, bool dry_run, wctr_errmsg *e) {
  const char *joined = spec_network_joined(&spec->net);
  if (joined == NULL) return WCTR_OK;
  rt_network n;
  wctr_err err = resolve(c, joined, dry_run, &n, e);
  if (err != WCTR_OK) return err;
  if (!dry_run && c->client == NULL) {
    return wctr_fail(e, WCTR_ENOTSUP, "--network %s: %s; use --network none to run the container without a network",
                     joined, c->why);
  }
  return net_ports_check(c->ports, id, spec->net.publish, spec->net.publish_count, e);
}

wctr_err rt_net_plan_build(const rt_net_ctx *c, const rt_args *a, char *const *image_exposed, size_t exposed_count,
                           bool dry_run, rt_net_plan *p, wctr_errmsg *e) {
  memset(p, 0, sizeof *p);
  const char *joined = spec_network_joined(&a->spec->net);
  if (joined == NULL) return WCTR_OK;
  wctr_err err = resolve(c, joined, dry_run, &p->network, e);
  if (err == WCTR_OK) {
    err = net_effective_ports(&a->spec->net, image_exposed, exposed_count, &p->ports, &p->port_count, e);
  }
  if (err != WCTR_OK) return err;
  net_guid_for(c->owner, a->id, "endpoint", p->endpoint_id);
  net_guid_for(c->owner, a->id, "namespace", p->namespace_id);
  net_guid_for(c->owner, a->id, "nic", p->nic_id);
  net_endpoint_name(c->owner, a->id, p->endpoint_name);
  p->enabled = true;
  return WCTR_OK;
}

void rt_net_plan_free(rt_net_plan *p) {
  if (p == NULL) return;
  free(p->ports);
  memset(p, 0, sizeof *p);
}

static wctr_err endpoint_doc(const rt_args *a, const rt_net_plan *p, const spec_port *ports, cJSON **out,
                             wctr_errmsg *e) {
  const spec_network *n = &a->spec->net;
  net_endpoint_input in = {.network_id = p->network.hns_id, .name = p->endpoint_name, .ports = ports,
                           .port_count = p->port_count, .mac_address = n->mac_address, .dns = n->dns,
                           .dns_count = n->dns_count};
  return net_doc_endpoint(&in, out, e);
}

wctr_err rt_net_plan_calls(const rt_net_ctx *c, const rt_args *a, const rt_net_plan *p, cJSON *list, wctr_errmsg *e) {
  if (!p->enabled) return WCTR_OK;
  /* The host ports a start would choose now: reserved for the moment it takes to say so. */
  spec_port *ports = p->port_count > 0 ? malloc(p->port_count * sizeof *ports) : NULL;
  if (p->port_count > 0 && ports == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (p->port_count > 0) memcpy(ports, p->ports, p->port_count * sizeof *ports);
  char probe_id[80];
  snprintf(probe_id, sizeof probe_id, "dry-run:%.64s", a->id);
  wctr_err err = net_ports_reserve(c->ports, probe_id, a->name, ports, p->port_count, e);
  net_ports_release(c->ports, probe_id);
  cJSON *ep = NULL, *ns = net_doc_namespace(), *add = net_doc_namespace_endpoint(p->endpoint_id, true);
  if (err == WCTR_OK) err = endpoint_doc(a, p, ports, &ep, e);
  free(ports);
  if (err == WCTR_OK && (ns == NULL || add == NULL || !add_call(list, "HcnCreateEndpoint", p->endpoint_id, p->network.hns_id, ep) ||
                         !add_call(list, "HcnCreateNamespace", p->namespace_id, NULL, ns) ||
                         !add_call(list, "HcnModifyNamespace", p->namespace_id, NULL, add))) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON_Delete(ep);
  cJSON_Delete(ns);
  cJSON_Delete(add);
  return err;
}

bool rt_net_plan_guest_calls(const rt_net_plan *p, const char *uvm_id, cJSON *list) {
  if (!p->enabled) return true;
  cJSON *ns = net_doc_planned_props(p->namespace_id, NULL);
  cJSON *ep = net_doc_planned_props(p->endpoint_id, p->network.hns_id);
  cJSON *g = ns != NULL ? net_doc_guest_namespace(ns, true) : NULL;
  cJSON *pre = ep != NULL ? net_doc_guest_nic_preadd(p->nic_id, ep) : NULL;
  cJSON *nic = net_doc_vm_nic(p->nic_id, p->endpoint_id, NULL, true);
  bool ok = g != NULL && pre != NULL && nic != NULL && add_call(list, "HcsModifyComputeSystem", uvm_id, NULL, g) &&
            add_call(list, "HcsModifyComputeSystem", uvm_id, NULL, pre) &&
            add_call(list, "HcsModifyComputeSystem", uvm_id, NULL, nic);
  cJSON_Delete(ns);
  cJSON_Delete(ep);
  cJSON_Delete(g);
  cJSON_Delete(pre);
  cJSON_Delete(nic);
  return ok;
}

/* --- a run ------------------------------------------------------------------------------------------------ */

/* A start's failure must not say WCTR_EEXIST: to the manager that means "the id's previous task is not released
 * yet, try again" (runtime.h), and a port in use or an HNS object that exists is not going away by itself. */
static wctr_err not_exist_code(wctr_err err) { return err == WCTR_EEXIST ? WCTR_EBUSY : err; }

static wctr_err setup(const rt_net_ctx *c, const rt_args *a, rt_net_plan *p, rt_net_run *r, wctr_errmsg *e);

wctr_err rt_net_setup(const rt_net_ctx *c, const rt_args *a, rt_net_plan *p, rt_net_run *r, wctr_errmsg *e) {
  wctr_err err = setup(c, a, p, r, e);
  if (err == WCTR_EEXIST) e->code = WCTR_EBUSY;
  return not_exist_code(err);
}

static wctr_err setup(const rt_net_ctx *c, const rt_args *a, rt_net_plan *p, rt_net_run *r, wctr_errmsg *e) {
  if (!p->enabled) return WCTR_OK;
  if (c->client == NULL) {
    return wctr_fail(e, WCTR_ENOTSUP, "--network %s: %s; use --network none to run the container without a network",
                     p->network.name, c->why);
  }
  wctr_err err = net_ports_reserve(c->ports, a->id, a->name, p->ports, p->port_count, e);
  if (err != WCTR_OK) return err;
  r->reserved = true;
  /* What a crash left under these ids is this container's own: it goes before the new ones come. */
  wctr_errmsg le;
  if (net_namespace_delete(c->client, p->namespace_id, &le) != WCTR_OK) {
    wctr_log(WCTR_LOG_DEBUG, "container %s: namespace %s: %s", a->name, p->namespace_id, le.text);
  }
  if (net_endpoint_delete(c->client, p->endpoint_id, &le) != WCTR_OK) {
    wctr_log(WCTR_LOG_DEBUG, "container %s: endpoint %s: %s", a->name, p->endpoint_id, le.text);
  }
  cJSON *doc = NULL;
  err = endpoint_doc(a, p, p->ports, &doc, e);
  if (err == WCTR_OK) err = net_endpoint_create(c->client, p->network.hns_id, p->endpoint_id, doc, &r->endpoint_props, NULL, e);
  cJSON_Delete(doc);
  if (err != WCTR_OK) return err;
  r->endpoint = true;
  err = net_endpoint_info_read(r->endpoint_props, &r->info, e);
  if (err != WCTR_OK) return err;
  cJSON *ns = net_doc_namespace();
  cJSON *props = NULL;
  err = ns != NULL ? net_namespace_create(c->client, p->namespace_id, ns, &props, NULL, e)
                   : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(ns);
  cJSON_Delete(props);
  if (err != WCTR_OK) return err;
  r->ns = true;
  cJSON *add = net_doc_namespace_endpoint(p->endpoint_id, true);
  err = add != NULL ? net_namespace_modify(c->client, p->namespace_id, add, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(add);
  /* The namespace as HNS describes it now, with its endpoint: what a utility VM's guest is given. */
  if (err == WCTR_OK) err = net_namespace_get(c->client, p->namespace_id, &r->namespace_props, e);
  return err;
}

static wctr_err guest_add(rt_net_plan *p, rt_net_run *r, hcs_system *uvm, wctr_errmsg *e);

wctr_err rt_net_guest_add(rt_net_plan *p, rt_net_run *r, hcs_system *uvm, wctr_errmsg *e) {
  wctr_err err = guest_add(p, r, uvm, e);
  if (err == WCTR_EEXIST) e->code = WCTR_EBUSY;
  return not_exist_code(err);
}

static wctr_err guest_add(rt_net_plan *p, rt_net_run *r, hcs_system *uvm, wctr_errmsg *e) {
  if (!p->enabled) return WCTR_OK;
  cJSON *g = net_doc_guest_namespace(r->namespace_props, true);
  wctr_err err = g != NULL ? hcs_system_modify(uvm, g, HNS_CALL_MS, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(g);
  if (err != WCTR_OK) return err;
  r->guest_ns = true;
  cJSON *pre = net_doc_guest_nic_preadd(p->nic_id, r->endpoint_props);
  err = pre != NULL ? hcs_system_modify(uvm, pre, HNS_CALL_MS, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(pre);
  if (err != WCTR_OK) return err;
  cJSON *nic = net_doc_vm_nic(p->nic_id, p->endpoint_id, str_of(r->endpoint_props, "MacAddress"), true);
  err = nic != NULL ? hcs_system_modify(uvm, nic, HNS_CALL_MS, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(nic);
  if (err == WCTR_OK) r->nic = true;
  return err;
}

void rt_net_guest_remove(const char *name, const char *nic_id, rt_net_run *r, hcs_system *uvm) {
  wctr_errmsg e;
  if (uvm == NULL) return;
  if (r->nic) {
    cJSON *nic = net_doc_vm_nic(nic_id, r->info.id, str_of(r->endpoint_props, "MacAddress"), false);
    wctr_err err = nic != NULL ? hcs_system_modify(uvm, nic, 30000, &e) : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
    cJSON_Delete(nic);
    if (err != WCTR_OK) wctr_log(WCTR_LOG_DEBUG, "container %s: network adapter not removed: %s", name, e.text);
    r->nic = false;
  }
  if (r->guest_ns) {
    cJSON *g = r->namespace_props != NULL ? net_doc_guest_namespace(r->namespace_props, false) : NULL;
    wctr_err err = g != NULL ? hcs_system_modify(uvm, g, 30000, &e) : wctr_fail(&e, WCTR_ENOMEM, "no namespace to remove");
    cJSON_Delete(g);
    if (err != WCTR_OK) wctr_log(WCTR_LOG_DEBUG, "container %s: guest namespace not removed: %s", name, e.text);
    r->guest_ns = false;
  }
}

void rt_net_teardown(const rt_net_ctx *c, const char *id, const char *name, const char *endpoint_id,
                     const char *namespace_id, rt_net_run *r) {
  wctr_errmsg e;
  if (c->client != NULL && net_guid_valid(namespace_id) && net_namespace_delete(c->client, namespace_id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: its network namespace %s is still there: %s", name, namespace_id, e.text);
  }
  if (c->client != NULL && net_guid_valid(endpoint_id) && net_endpoint_delete(c->client, endpoint_id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: its endpoint %s is still there: %s", name, endpoint_id, e.text);
  }
  net_ports_release(c->ports, id);
  if (r != NULL) {
    r->endpoint = r->ns = r->reserved = false;
  }
}

void rt_net_run_free(rt_net_run *r) {
  if (r == NULL) return;
  cJSON_Delete(r->endpoint_props);
  cJSON_Delete(r->namespace_props);
  memset(r, 0, sizeof *r);
}

/* --- the record -------------------------------------------------------------------------------------------- */

cJSON *rt_net_state_json(const rt_net_plan *p, const rt_net_run *r, bool hyperv) {
  cJSON *o = cJSON_CreateObject();
  cJSON *ports = cJSON_CreateArray();
  bool ok = o != NULL && ports != NULL && cJSON_AddStringToObject(o, "Name", p->network.name) &&
            cJSON_AddStringToObject(o, "NetworkID", p->network.id) &&
            cJSON_AddStringToObject(o, "HnsNetworkId", p->network.hns_id) &&
            cJSON_AddStringToObject(o, "EndpointID", p->endpoint_id) &&
            cJSON_AddStringToObject(o, "NamespaceId", p->namespace_id) &&
            (!hyperv || cJSON_AddStringToObject(o, "AdapterId", p->nic_id)) &&
            cJSON_AddStringToObject(o, "IPAddress", r->info.ip) &&
            cJSON_AddNumberToObject(o, "IPPrefixLen", r->info.prefix) &&
            cJSON_AddStringToObject(o, "Gateway", r->info.gateway) &&
            cJSON_AddStringToObject(o, "MacAddress", r->info.mac);
  for (size_t i = 0; ok && i < p->port_count; i++) {
    cJSON *m = cJSON_CreateObject();
    ok = m != NULL && cJSON_AddItemToArray(ports, m) && cJSON_AddNumberToObject(m, "PrivatePort", p->ports[i].port) &&
         cJSON_AddNumberToObject(m, "PublicPort", p->ports[i].host_port) &&
         cJSON_AddStringToObject(m, "Type", spec_proto_name(p->ports[i].proto)) &&
         cJSON_AddStringToObject(m, "IP", "0.0.0.0");
  }
  if (ok) {
    ok = wctr_json_put(o, "Ports", ports);
    ports = NULL;
  }
  cJSON_Delete(ports);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

bool rt_net_from_state(const rt_net_ctx *c, const rt_args *a, const cJSON *state, rt_net_plan *p, rt_net_run *r) {
  memset(p, 0, sizeof *p);
  memset(r, 0, sizeof *r);
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(state, "Network");
  if (!cJSON_IsObject(n)) return false;
  snprintf(p->network.name, sizeof p->network.name, "%s", str_of(n, "Name") != NULL ? str_of(n, "Name") : "");
  snprintf(p->network.id, sizeof p->network.id, "%s", str_of(n, "NetworkID") != NULL ? str_of(n, "NetworkID") : "");
  snprintf(p->network.hns_id, sizeof p->network.hns_id, "%s", str_of(n, "HnsNetworkId") != NULL ? str_of(n, "HnsNetworkId") : "");
  net_guid_for(c->owner, a->id, "endpoint", p->endpoint_id);
  net_guid_for(c->owner, a->id, "namespace", p->namespace_id);
  net_guid_for(c->owner, a->id, "nic", p->nic_id);
  net_endpoint_name(c->owner, a->id, p->endpoint_name);
  const cJSON *ports = cJSON_GetObjectItemCaseSensitive(n, "Ports");
  int count = cJSON_GetArraySize(ports);
  p->ports = count > 0 ? calloc((size_t)count, sizeof *p->ports) : NULL;
  const cJSON *m;
  cJSON_ArrayForEach(m, ports) {
    const cJSON *priv = cJSON_GetObjectItemCaseSensitive(m, "PrivatePort");
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(m, "PublicPort");
    const char *type = str_of(m, "Type");
    if (p->ports == NULL || !cJSON_IsNumber(priv) || !cJSON_IsNumber(pub)) continue;
    spec_port *sp = &p->ports[p->port_count++];
    sp->port = (uint16_t)priv->valuedouble;
    sp->host_port = (uint16_t)pub->valuedouble;
    sp->proto = type != NULL && strcmp(type, "udp") == 0 ? SPEC_PROTO_UDP : SPEC_PROTO_TCP;
  }
  snprintf(r->info.id, sizeof r->info.id, "%s", p->endpoint_id);
  snprintf(r->info.ip, sizeof r->info.ip, "%s", str_of(n, "IPAddress") != NULL ? str_of(n, "IPAddress") : "");
  snprintf(r->info.gateway, sizeof r->info.gateway, "%s", str_of(n, "Gateway") != NULL ? str_of(n, "Gateway") : "");
  snprintf(r->info.mac, sizeof r->info.mac, "%s", str_of(n, "MacAddress") != NULL ? str_of(n, "MacAddress") : "");
  const cJSON *plen = cJSON_GetObjectItemCaseSensitive(n, "IPPrefixLen");
  r->info.prefix = cJSON_IsNumber(plen) ? (int)plen->valuedouble : 0;
  p->enabled = true;
  r->endpoint = r->ns = true;
  r->guest_ns = r->nic = str_of(n, "AdapterId") != NULL;
  wctr_errmsg e;
  /* The ports it publishes are held again, so a new container cannot take them. */
  if (net_ports_reserve(c->ports, a->id, a->name, p->ports, p->port_count, &e) == WCTR_OK) {
    r->reserved = true;
  } else {
    wctr_log(WCTR_LOG_WARN, "container %s: %s", a->name, e.text);
  }
  /* What the utility VM's guest is told when its adapter and namespace go. */
  if (c->client != NULL) {
    if (net_endpoint_get(c->client, p->endpoint_id, &r->endpoint_props, &e) != WCTR_OK) r->endpoint_props = NULL;
    if (net_namespace_get(c->client, p->namespace_id, &r->namespace_props, &e) != WCTR_OK) r->namespace_props = NULL;
  }
  return true;
}

/* --- the sweep --------------------------------------------------------------------------------------------- */

static bool in_list(const char *id, size_t len, const char *const *ids, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (ids[i] != NULL && strlen(ids[i]) == len && _strnicmp(ids[i], id, len) == 0) return true;
  }
  return false;
}

/* Deletes the object when it exists, saying so. */
static void sweep_one(const rt_net_ctx *c, const char *what, const char *id, const char *container, bool endpoint) {
  cJSON *props = NULL;
  wctr_errmsg e;
  wctr_err err = endpoint ? net_endpoint_get(c->client, id, &props, &e) : net_namespace_get(c->client, id, &props, &e);
  cJSON_Delete(props);
  if (err == WCTR_ENOENT) return;
  err = endpoint ? net_endpoint_delete(c->client, id, &e) : net_namespace_delete(c->client, id, &e);
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "removed %s %s of container %.12s, which no longer runs", what, id, container);
  } else {
    wctr_log(WCTR_LOG_WARN, "%s %s of container %.12s not removed: %s", what, id, container, e.text);
  }
}

void rt_net_sweep(const rt_net_ctx *c, const char *const *owned, size_t owned_count, const char *const *running,
                  size_t running_count) {
  if (c->client == NULL) return;
  for (size_t i = 0; i < owned_count; i++) {
    if (owned[i] == NULL || in_list(owned[i], strlen(owned[i]), running, running_count)) continue;
    char ns[NET_GUID_SIZE], ep[NET_GUID_SIZE];
    net_guid_for(c->owner, owned[i], "namespace", ns);
    net_guid_for(c->owner, owned[i], "endpoint", ep);
    sweep_one(c, "network namespace", ns, owned[i], false);
    sweep_one(c, "endpoint", ep, owned[i], true);
  }
  /* Endpoints by name: this Owner's, of a container that does not run (its record may be gone). */
  cJSON *list = NULL;
  wctr_errmsg e;
  if (net_endpoints_list(c->client, NULL, &list, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "endpoints not swept: %s", e.text);
    return;
  }
  char prefix[NET_ENDPOINT_NAME_SIZE];
  snprintf(prefix, sizeof prefix, "%s_", c->owner);
  size_t plen = strlen(prefix);
  const cJSON *item;
  cJSON_ArrayForEach(item, list) {
    const char *name = str_of(item, "Name");
    const char *id = str_of(item, "ID");
    if (name == NULL || id == NULL || strncmp(name, prefix, plen) != 0) continue;
    const char *container = name + plen;
    if (in_list(container, strlen(container), running, running_count)) continue;
    char ns[NET_GUID_SIZE];
    net_guid_for(c->owner, container, "namespace", ns);
    sweep_one(c, "network namespace", ns, container, false);
    sweep_one(c, "endpoint", id, container, true);
  }
  cJSON_Delete(list);
}
