/* net/document.h - Host Network Service (HNS v2) documents and answers, portable.
 *
 * Builders for what computenetwork.dll takes (HcnCreateNetwork, HcnCreateEndpoint, HcnCreateNamespace,
 * HcnModifyNamespace, the queries of HcnEnumerate* and HcnQuery*Properties) and for the utility VM requests
 * that give a Hyper-V container its network (HcsModifyComputeSystem), readers of HNS's answers, address and
 * subnet arithmetic, and the ids wctr gives its own HNS objects. Field names are hcsshim's hcn package
 * (HostComputeNetwork, HostComputeEndpoint, HostComputeNamespace, ModifyNamespaceSettingRequest,
 * HostComputeQuery, PortMappingPolicySetting) and, for the utility VM, hcsshim's internal/uvm/network.go;
 * docs/networking.md names the source of each step. Builders allocate (cJSON_Delete) and return NULL only
 * when out of memory, unless they return a wctr_err; unset optional fields are left out.
 *
 * Ids. HNS takes the id of a new object from its caller (the GUID argument of HcnCreate*). wctr's endpoints
 * and namespaces have ids derived from the Owner of the data root (hcs_owner_for_data_root's text) and the
 * container's id (net_guid_for), so that what a crash left can be found again and removed by id alone, and
 * never an object of anyone else: another data root gives other ids. Endpoints also carry the name
 * net_endpoint_name gives, "<owner>_<container id>", which a sweep may look for. */
#ifndef WCTR_NET_DOCUMENT_H
#define WCTR_NET_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "spec/spec.h"

#define NET_GUID_SIZE 37
#define NET_NIL_GUID "00000000-0000-0000-0000-000000000000"
/* HNS's type of Docker's nat networks. */
#define NET_TYPE_NAT "NAT"
/* wctr's 64-hex-digit network ids and their NUL. */
#define NET_ID_SIZE 65
/* "172.20.0.0/16" and longer forms with their NUL. */
#define NET_CIDR_SIZE 52
#define NET_ENDPOINT_NAME_SIZE 100

/* --- addresses and subnets ---------------------------------------------------------------------------- */

typedef struct net_cidr {
  uint8_t addr[16]; /* the network's address, host bits cleared; 4 bytes used for IPv4 */
  bool v6;
  int prefix;
} net_cidr;

/* "10.1.0.0/16" (IPv4 or IPv6); host bits set in the address are cleared ("10.1.2.3/16" is 10.1.0.0/16).
 * False when it is not a prefix. */
bool net_cidr_parse(const char *text, net_cidr *out);
/* "10.1.0.0/16". out holds NET_CIDR_SIZE. */
void net_cidr_format(const net_cidr *c, char *out, size_t size);
/* Do the two share an address (the same family, and one contains the other's network)? */
bool net_cidr_overlap(const net_cidr *a, const net_cidr *b);
/* Is addr (4 or 16 bytes as v6 says) inside c? */
bool net_cidr_contains(const net_cidr *c, const uint8_t *addr, bool v6);
/* The subnet's first host address (Docker's default gateway: "10.1.0.1" of 10.1.0.0/16); "" when the
 * subnet has none (a /31 or /32). */
void net_cidr_first_host(const net_cidr *c, char *out, size_t size);

/* --- networks ----------------------------------------------------------------------------------------- */

/* `wctr network create [--subnet S [--gateway G]] NAME` as an HcnCreateNetwork document:
 *   {"SchemaVersion":{"Major":2,"Minor":0},"Name":name,"Type":"NAT"
 *    [,"Ipams":[{"Type":"Static","Subnets":[{"IpAddressPrefix":S,"Routes":[{"NextHop":G,
 *      "DestinationPrefix":"0.0.0.0/0"}]}]}]]}
 * Without a subnet HNS chooses one (as for Docker's nat networks made without --subnet). The gateway is
 * the subnet's first host address unless given; hcsshim refuses a subnet without a default route, so the
 * route is always there. Refusals (WCTR_EINVAL): "--subnet x: not a subnet (such as 172.20.0.0/16)",
 * "--subnet ...: only IPv4 subnets are supported on nat networks", "--subnet ...: a /31 or /32 has no room for
 * containers", "--gateway x: not an IP address", "--gateway 10.0.0.1 is not in --subnet 172.20.0.0/16",
 * "--gateway ...: the subnet's own address" (or its broadcast address), "--gateway needs --subnet" (Docker:
 * every gateway must have its subnet). */
wctr_err net_doc_network(const char *name, const char *subnet, const char *gateway, cJSON **out, wctr_errmsg *e);

/* What wctr reads of an HNS network's properties (HcnQueryNetworkProperties). */
typedef struct net_network_info {
  char id[NET_GUID_SIZE];     /* lower case */
  char name[SPEC_NETWORK_NAME_MAX + 1];
  char type[32];              /* "NAT" when HNS left it out (hcsshim: NAT is 0 and omitted) */
  char subnet[NET_CIDR_SIZE]; /* the first Ipams[].Subnets[].IpAddressPrefix, "" without */
  char gateway[SPEC_IP_SIZE]; /* its first route's NextHop, "" without */
} net_network_info;
/* WCTR_EINVAL when props is not an object with an "ID" GUID (HNS writes "ID"; "Id" is taken too). */
wctr_err net_network_info_read(const cJSON *props, net_network_info *out, wctr_errmsg *e);
/* Every IpAddressPrefix of every Ipam of the network, parsed (the overlap check); *count at most max. */
size_t net_network_subnets(const cJSON *props, net_cidr *out, size_t max);

/* --- endpoints and namespaces ------------------------------------------------------------------------- */

/* What one container's endpoint holds. ports are the mappings with their host ports decided (none 0). */
typedef struct net_endpoint_input {
  const char *network_id;     /* the HNS network's GUID */
  const char *name;           /* net_endpoint_name's */
  const spec_port *ports;
  size_t port_count;
  const char *mac_address;    /* Docker's form, or NULL: HNS picks one from the network's pool */
  char *const *dns;           /* the servers (--dns), or none */
  size_t dns_count;
} net_endpoint_input;

/* HcnCreateEndpoint's document: {"SchemaVersion":{2,0},"Name","HostComputeNetwork":network_id,
 * "Policies":[{"Type":"PortMapping","Settings":{"Protocol":6|17,"InternalPort","ExternalPort"}}...]?,
 * "MacAddress":"02-42-ac-11-00-02"? (moby's form: ':' become '-'), "Dns":{"ServerList":[...]}?}. Docker on
 * Windows gives --dns to the endpoint and --dns-search to the container (HCS's Networking.DnsSearchList).
 * WCTR_EINVAL when a mapping has no host port (the caller decides them first). */
wctr_err net_doc_endpoint(const net_endpoint_input *in, cJSON **out, wctr_errmsg *e);

/* What wctr reads of an endpoint's properties. */
typedef struct net_endpoint_info {
  char id[NET_GUID_SIZE];
  char network_id[NET_GUID_SIZE];
  char ip[SPEC_IP_SIZE];      /* IpConfigurations[0].IpAddress, "" without */
  int prefix;                 /* its PrefixLength, 0 without */
  char mac[SPEC_MAC_SIZE];    /* Docker's form ("02:42:..."), "" without */
  char gateway[SPEC_IP_SIZE]; /* the first Routes[].NextHop, "" without */
} net_endpoint_info;
wctr_err net_endpoint_info_read(const cJSON *props, net_endpoint_info *out, wctr_errmsg *e);

/* HcnCreateNamespace's document, as hcsshim creates a container's namespace (hcn.NewNamespace("")):
 * {"SchemaVersion":{"Major":2,"Minor":0}} - HNS's default type. */
cJSON *net_doc_namespace(void);
/* HcnModifyNamespace: {"ResourceType":"Endpoint","RequestType":"Add"|"Remove","Settings":{"EndpointId":id}}
 * (hcsshim's AddNamespaceEndpoint / RemoveNamespaceEndpoint). */
cJSON *net_doc_namespace_endpoint(const char *endpoint_id, bool add);

/* What HNS would answer for an endpoint (network_id its network's GUID) or a namespace (network_id NULL) that a
 * dry run only plans, for the utility VM requests a dry run shows: {"ID":id,"HostComputeNetwork":network_id,
 * "SchemaVersion":{2,0}} or {"ID":id,"Type":"Host","SchemaVersion":{2,0}} (a namespace's default type). */
cJSON *net_doc_planned_props(const char *id, const char *network_id);

/* A HostComputeQuery: {"SchemaVersion":{2,0}[,"Filter":"{\"<key>\":\"<value>\"}"]} (the filter is JSON in a
 * string, as hcsshim's GetNetworkByName writes it). key NULL: no filter. */
cJSON *net_doc_query(const char *key, const char *value);

/* --- Hyper-V: the utility VM's side (HcsModifyComputeSystem requests) ----------------------------------
 * hcsshim's order (internal/uvm/network.go): the namespace into the guest, then per adapter a pre-add to the
 * guest and the adapter itself with the guest's add; removal the other way round.
 * net_doc_guest_namespace: {"GuestRequest":{"ResourceType":"NetworkNamespace","RequestType":"Add"|"Remove",
 *   "Settings":<the namespace's properties as HNS answered them>}}
 * net_doc_guest_nic_preadd: {"GuestRequest":{"ResourceType":"Network","RequestType":"Add","Settings":
 *   {"AdapterId":nic_id,"RequestType":"PreAdd","Settings":<the endpoint's properties>}}}
 * net_doc_vm_nic: {"ResourcePath":"VirtualMachine/Devices/NetworkAdapters/<nic_id>","RequestType":"Add"|
 *   "Remove","Settings":{"EndpointId","MacAddress"},"GuestRequest":{"ResourceType":"Network","RequestType":
 *   "Add"|"Remove","Settings":{"AdapterId":nic_id,"RequestType":"Add"|"Remove"}}}. hcsshim's removal sends
 *   the guest's part without "ResourceType"; wctr names it ("Network") as in the add, which the guest's
 *   schema allows (docs/networking.md). mac is HNS's form ("02-42-..."). */
cJSON *net_doc_guest_namespace(const cJSON *namespace_props, bool add);
cJSON *net_doc_guest_nic_preadd(const char *nic_id, const cJSON *endpoint_props);
cJSON *net_doc_vm_nic(const char *nic_id, const char *endpoint_id, const char *mac, bool add);

/* --- ids ---------------------------------------------------------------------------------------------- */

/* A GUID (8-4-4-4-12 hex digits, no braces), compared without case. */
bool net_guid_valid(const char *text);
/* The id wctr gives its object `what` ("endpoint", "namespace", "nic") of a container: a version-5 style
 * GUID (RFC 4122 layout) of 128 bits of FNV-1a over owner, container id and what. Deterministic. */
void net_guid_for(const char *owner, const char *container_id, const char *what, char out[NET_GUID_SIZE]);
/* "<owner>_<container id>" (truncated to fit). */
void net_endpoint_name(const char *owner, const char *container_id, char out[NET_ENDPOINT_NAME_SIZE]);
/* The 64-hex-digit id `wctr network ls` shows for an HNS network wctr did not create: derived from the HNS
 * id, so that it stays the same across restarts. */
void net_id_for_hns(const char *hns_id, char out[NET_ID_SIZE]);
/* A MAC address in HNS's form ("02-42-AC-11-00-02" or lower case) as Docker shows it ("02:42:ac:11:00:02");
 * "" when it is not one. */
void net_mac_docker_form(const char *hns, char out[SPEC_MAC_SIZE]);

#endif
