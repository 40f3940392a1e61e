/* net/document.c - HNS v2 documents and answers, subnets, ids (portable; net/document.h). */
#include "net/document.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

#define SCHEMA_MAJOR 2
#define SCHEMA_MINOR 0

/* --- addresses and subnets ---------------------------------------------------------------------------- */

static void clear_host_bits(net_cidr *c) {
  int bytes = c->v6 ? 16 : 4;
  for (int i = 0; i < bytes; i++) {
    int keep = c->prefix - 8 * i;
    if (keep >= 8) continue;
    uint8_t mask = keep <= 0 ? 0 : (uint8_t)(0xFFu << (8 - keep));
    c->addr[i] &= mask;
  }
}

bool net_cidr_parse(const char *text, net_cidr *out) {
  if (text == NULL) return false;
  const char *slash = strchr(text, '/');
  if (slash == NULL || slash == text || slash[1] == '\0' || strlen(text) >= NET_CIDR_SIZE) return false;
  char addr[NET_CIDR_SIZE];
  snprintf(addr, sizeof addr, "%.*s", (int)(slash - text), text);
  net_cidr c;
  memset(&c, 0, sizeof c);
  if (!spec_ip_parse(addr, c.addr, &c.v6)) return false;
  int prefix = 0;
  for (const char *p = slash + 1; *p != '\0'; p++) {
    if (!isdigit((unsigned char)*p) || prefix > 128) return false;
    prefix = prefix * 10 + (*p - '0');
  }
  if (strlen(slash + 1) > 3 || prefix > (c.v6 ? 128 : 32)) return false;
  c.prefix = prefix;
  clear_host_bits(&c);
  *out = c;
  return true;
}

static void format_ip(const uint8_t *a, bool v6, char *out, size_t size) {
  if (!v6) {
    snprintf(out, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return;
  }
  /* RFC 5952: the longest run of zero groups (of two or more) becomes "::". */
  uint16_t g[8];
  for (int i = 0; i < 8; i++) g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) j++;
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  size_t len = 0;
  out[0] = '\0';
  for (int i = 0; i < 8 && len < size; i++) {
    if (i == best) {
      len += (size_t)snprintf(out + len, size - len, "::");
      i += best_len - 1;
      continue;
    }
    bool colon = i > 0 && !(best >= 0 && i == best + best_len);
    len += (size_t)snprintf(out + len, size - len, "%s%x", colon ? ":" : "", g[i]);
  }
}

void net_cidr_format(const net_cidr *c, char *out, size_t size) {
  char ip[SPEC_IP_SIZE];
  format_ip(c->addr, c->v6, ip, sizeof ip);
  snprintf(out, size, "%s/%d", ip, c->prefix);
}

bool net_cidr_contains(const net_cidr *c, const uint8_t *addr, bool v6) {
  if (c->v6 != v6) return false;
  net_cidr x = *c;
  memcpy(x.addr, addr, v6 ? 16 : 4);
  clear_host_bits(&x);
  return memcmp(x.addr, c->addr, v6 ? 16 : 4) == 0;
}

bool net_cidr_overlap(const net_cidr *a, const net_cidr *b) {
  if (a->v6 != b->v6) return false;
  return net_cidr_contains(a, b->addr, b->v6) || net_cidr_contains(b, a->addr, a->v6);
}

void net_cidr_first_host(const net_cidr *c, char *out, size_t size) {
  int bits = c->v6 ? 128 : 32;
  if (bits - c->prefix < 2) {
    snprintf(out, size, "%s", "");
    return;
  }
  uint8_t a[16];
  memcpy(a, c->addr, sizeof a);
  a[(c->v6 ? 16 : 4) - 1] |= 1;
  format_ip(a, c->v6, out, size);
}

/* Is addr the subnet's own address or (IPv4) its broadcast address? */
static bool reserved_in(const net_cidr *c, const uint8_t *addr) {
  int bytes = c->v6 ? 16 : 4;
  if (memcmp(addr, c->addr, (size_t)bytes) == 0) return true;
  if (c->v6) return false;
  for (int i = 0; i < bytes; i++) {
    int keep = c->prefix - 8 * i;
    uint8_t host = keep >= 8 ? 0 : keep <= 0 ? 0xFF : (uint8_t)(0xFFu >> keep);
    if ((addr[i] & host) != host) return false;
  }
  return true;
}

/* --- small JSON helpers ------------------------------------------------------------------------------- */

static bool push(cJSON *arr, cJSON *item) {
  if (item == NULL) return false;
  if (!cJSON_AddItemToArray(arr, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static cJSON *schema_version(void) {
  cJSON *v = cJSON_CreateObject();
  if (v == NULL || cJSON_AddNumberToObject(v, "Major", SCHEMA_MAJOR) == NULL ||
      cJSON_AddNumberToObject(v, "Minor", SCHEMA_MINOR) == NULL) {
    cJSON_Delete(v);
    return NULL;
  }
  return v;
}

static const char *str_of(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* HNS writes "ID" (hcsshim's json:"ID"); "Id" is accepted too. */
static const char *id_of(const cJSON *obj) {
  const char *id = str_of(obj, "ID");
  return id != NULL ? id : str_of(obj, "Id");
}

static void lower_copy(const char *in, char *out, size_t size) {
  size_t i = 0;
  for (; in != NULL && in[i] != '\0' && i + 1 < size; i++) out[i] = (char)tolower((unsigned char)in[i]);
  if (size > 0) out[i] = '\0';
}

/* --- networks ----------------------------------------------------------------------------------------- */

wctr_err net_doc_network(const char *name, const char *subnet, const char *gateway, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  net_cidr c;
  char gw[SPEC_IP_SIZE] = "";
  char normal[NET_CIDR_SIZE] = "";
  if (name == NULL || !spec_network_name_valid(name)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid network name \"%.80s\": [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters",
                     name != NULL ? name : "", SPEC_NETWORK_NAME_MAX);
  }
  if (subnet == NULL && gateway != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "--gateway needs --subnet: a gateway is an address of a subnet");
  }
  if (subnet != NULL) {
    if (!net_cidr_parse(subnet, &c)) return wctr_fail(e, WCTR_EINVAL, "--subnet %.60s: not a subnet (such as 172.20.0.0/16)", subnet);
    if (c.v6) return wctr_fail(e, WCTR_EINVAL, "--subnet %.60s: only IPv4 subnets are supported on nat networks", subnet);
    if (c.prefix > 30) return wctr_fail(e, WCTR_EINVAL, "--subnet %.60s: a /%d has no room for containers", subnet, c.prefix);
    net_cidr_format(&c, normal, sizeof normal);
    if (gateway != NULL) {
      uint8_t a[16];
      bool v6 = false;
      if (!spec_ip_parse(gateway, a, &v6)) return wctr_fail(e, WCTR_EINVAL, "--gateway %.60s: not an IP address", gateway);
      if (!net_cidr_contains(&c, a, v6)) {
        return wctr_fail(e, WCTR_EINVAL, "--gateway %.60s is not in --subnet %s", gateway, normal);
      }
      if (reserved_in(&c, a)) {
        return wctr_fail(e, WCTR_EINVAL, "--gateway %.60s: the subnet's own address or its broadcast address cannot be a "
                         "gateway", gateway);
      }
      snprintf(gw, sizeof gw, "%s", gateway);
    } else {
      net_cidr_first_host(&c, gw, sizeof gw);
    }
  }
  cJSON *doc = cJSON_CreateObject();
  bool ok = doc != NULL && wctr_json_put(doc, "SchemaVersion", schema_version()) && cJSON_AddStringToObject(doc, "Name", name) &&
            cJSON_AddStringToObject(doc, "Type", NET_TYPE_NAT);
  if (ok && subnet != NULL) {
    cJSON *ipams = cJSON_AddArrayToObject(doc, "Ipams");
    cJSON *ipam = cJSON_CreateObject();
    ok = ipams != NULL && push(ipams, ipam) && cJSON_AddStringToObject(ipam, "Type", "Static");
    cJSON *subnets = ok ? cJSON_AddArrayToObject(ipam, "Subnets") : NULL;
    cJSON *s = cJSON_CreateObject();
    ok = subnets != NULL && push(subnets, s) && cJSON_AddStringToObject(s, "IpAddressPrefix", normal);
    cJSON *routes = ok ? cJSON_AddArrayToObject(s, "Routes") : NULL;
    cJSON *r = cJSON_CreateObject();
    ok = routes != NULL && push(routes, r) && cJSON_AddStringToObject(r, "NextHop", gw) &&
         cJSON_AddStringToObject(r, "DestinationPrefix", "0.0.0.0/0");
  }
  if (!ok) {
    cJSON_Delete(doc);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = doc;
  return WCTR_OK;
}

static const cJSON *first_subnet(const cJSON *props) {
  const cJSON *ipam;
  cJSON_ArrayForEach(ipam, cJSON_GetObjectItemCaseSensitive(props, "Ipams")) {
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(ipam, "Subnets")) {
      if (str_of(s, "IpAddressPrefix") != NULL) return s;
    }
  }
  return NULL;
}

static const char *first_next_hop(const cJSON *routes) {
  const cJSON *r;
  cJSON_ArrayForEach(r, routes) {
    const char *hop = str_of(r, "NextHop");
    if (hop != NULL && hop[0] != '\0') return hop;
  }
  return NULL;
}

wctr_err net_network_info_read(const cJSON *props, net_network_info *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  const char *id = id_of(props);
  if (!cJSON_IsObject(props) || id == NULL || !net_guid_valid(id)) {
    return wctr_fail(e, WCTR_EINVAL, "HNS answered a network without an \"ID\" GUID");
  }
  lower_copy(id, out->id, sizeof out->id);
  const char *name = str_of(props, "Name");
  const char *type = str_of(props, "Type");
  snprintf(out->name, sizeof out->name, "%s", name != NULL ? name : "");
  snprintf(out->type, sizeof out->type, "%s", type != NULL && type[0] != '\0' ? type : NET_TYPE_NAT);
  const cJSON *s = first_subnet(props);
  if (s != NULL) {
    snprintf(out->subnet, sizeof out->subnet, "%s", str_of(s, "IpAddressPrefix"));
    const char *hop = first_next_hop(cJSON_GetObjectItemCaseSensitive(s, "Routes"));
    snprintf(out->gateway, sizeof out->gateway, "%s", hop != NULL ? hop : "");
  }
  return WCTR_OK;
}

size_t net_network_subnets(const cJSON *props, net_cidr *out, size_t max) {
  size_t n = 0;
  const cJSON *ipam;
  cJSON_ArrayForEach(ipam, cJSON_GetObjectItemCaseSensitive(props, "Ipams")) {
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(ipam, "Subnets")) {
      if (n < max && net_cidr_parse(str_of(s, "IpAddressPrefix"), &out[n])) n++;
    }
  }
  return n;
}

/* --- endpoints and namespaces ------------------------------------------------------------------------- */

wctr_err net_doc_endpoint(const net_endpoint_input *in, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  if (in->network_id == NULL || !net_guid_valid(in->network_id)) {
    return wctr_fail(e, WCTR_EINVAL, "the endpoint's network \"%.60s\" is not a GUID", in->network_id != NULL ? in->network_id : "");
  }
  for (size_t i = 0; i < in->port_count; i++) {
    if (in->ports[i].host_port == 0 || in->ports[i].port == 0) {
      return wctr_fail(e, WCTR_EINVAL, "the mapping of %u/%s has no host port yet", (unsigned)in->ports[i].port,
                       spec_proto_name(in->ports[i].proto));
    }
  }
  cJSON *doc = cJSON_CreateObject();
  bool ok = doc != NULL && wctr_json_put(doc, "SchemaVersion", schema_version()) &&
            (in->name == NULL || cJSON_AddStringToObject(doc, "Name", in->name) != NULL) &&
            cJSON_AddStringToObject(doc, "HostComputeNetwork", in->network_id) != NULL;
  if (ok && in->port_count > 0) {
    cJSON *policies = cJSON_AddArrayToObject(doc, "Policies");
    ok = policies != NULL;
    for (size_t i = 0; ok && i < in->port_count; i++) {
      cJSON *p = cJSON_CreateObject();
      ok = push(policies, p) && cJSON_AddStringToObject(p, "Type", "PortMapping") != NULL;
      cJSON *s = ok ? cJSON_AddObjectToObject(p, "Settings") : NULL;
      ok = s != NULL && cJSON_AddNumberToObject(s, "Protocol", (double)in->ports[i].proto) != NULL &&
           cJSON_AddNumberToObject(s, "InternalPort", in->ports[i].port) != NULL &&
           cJSON_AddNumberToObject(s, "ExternalPort", in->ports[i].host_port) != NULL;
    }
  }
  if (ok && in->mac_address != NULL) {
    char mac[SPEC_MAC_SIZE];
    snprintf(mac, sizeof mac, "%s", in->mac_address);
    for (char *c = mac; *c != '\0'; c++) {
      if (*c == ':') *c = '-';
    }
    ok = cJSON_AddStringToObject(doc, "MacAddress", mac) != NULL;
  }
  if (ok && in->dns_count > 0) {
    cJSON *dns = cJSON_AddObjectToObject(doc, "Dns");
    cJSON *list = dns != NULL ? cJSON_AddArrayToObject(dns, "ServerList") : NULL;
    ok = list != NULL;
    for (size_t i = 0; ok && i < in->dns_count; i++) ok = push(list, cJSON_CreateString(in->dns[i]));
  }
  if (!ok) {
    cJSON_Delete(doc);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = doc;
  return WCTR_OK;
}

void net_mac_docker_form(const char *hns, char out[SPEC_MAC_SIZE]) {
  wctr_errmsg e;
  if (hns == NULL || spec_mac_parse(hns, out, &e) != WCTR_OK) out[0] = '\0';
}

wctr_err net_endpoint_info_read(const cJSON *props, net_endpoint_info *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  const char *id = id_of(props);
  if (!cJSON_IsObject(props) || id == NULL || !net_guid_valid(id)) {
    return wctr_fail(e, WCTR_EINVAL, "HNS answered an endpoint without an \"ID\" GUID");
  }
  lower_copy(id, out->id, sizeof out->id);
  lower_copy(str_of(props, "HostComputeNetwork"), out->network_id, sizeof out->network_id);
  const cJSON *ipc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(props, "IpConfigurations"), 0);
  const char *ip = str_of(ipc, "IpAddress");
  const cJSON *plen = cJSON_GetObjectItemCaseSensitive(ipc, "PrefixLength");
  snprintf(out->ip, sizeof out->ip, "%s", ip != NULL ? ip : "");
  out->prefix = cJSON_IsNumber(plen) && plen->valuedouble >= 0 && plen->valuedouble <= 128 ? (int)plen->valuedouble : 0;
  net_mac_docker_form(str_of(props, "MacAddress"), out->mac);
  const char *hop = first_next_hop(cJSON_GetObjectItemCaseSensitive(props, "Routes"));
  snprintf(out->gateway, sizeof out->gateway, "%s", hop != NULL ? hop : "");
  return WCTR_OK;
}

cJSON *net_doc_namespace(void) {
  cJSON *doc = cJSON_CreateObject();
  if (doc == NULL || !wctr_json_put(doc, "SchemaVersion", schema_version())) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *net_doc_namespace_endpoint(const char *endpoint_id, bool add) {
  cJSON *doc = cJSON_CreateObject();
  cJSON *s = cJSON_CreateObject();
  bool ok = doc != NULL && endpoint_id != NULL && cJSON_AddStringToObject(doc, "ResourceType", "Endpoint") != NULL &&
            cJSON_AddStringToObject(doc, "RequestType", add ? "Add" : "Remove") != NULL &&
            s != NULL && cJSON_AddStringToObject(s, "EndpointId", endpoint_id) != NULL;
  if (ok) {
    ok = wctr_json_put(doc, "Settings", s);
    s = NULL;
  }
  cJSON_Delete(s);
  if (!ok) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *net_doc_planned_props(const char *id, const char *network_id) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL && cJSON_AddStringToObject(o, "ID", id) != NULL &&
            (network_id == NULL || cJSON_AddStringToObject(o, "HostComputeNetwork", network_id) != NULL) &&
            (network_id != NULL || cJSON_AddStringToObject(o, "Type", "Host") != NULL) &&
            wctr_json_put(o, "SchemaVersion", schema_version());
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

cJSON *net_doc_query(const char *key, const char *value) {
  cJSON *doc = cJSON_CreateObject();
  bool ok = doc != NULL && wctr_json_put(doc, "SchemaVersion", schema_version());
  if (ok && key != NULL) {
    cJSON *filter = cJSON_CreateObject();
    char *text = NULL;
    ok = filter != NULL && cJSON_AddStringToObject(filter, key, value != NULL ? value : "") != NULL &&
         (text = cJSON_PrintUnformatted(filter)) != NULL && cJSON_AddStringToObject(doc, "Filter", text) != NULL;
    cJSON_free(text);
    cJSON_Delete(filter);
  }
  if (!ok) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

/* --- Hyper-V -------------------------------------------------------------------------------------------- */

/* Both take settings (which may be NULL, and is released on failure). */
static cJSON *guest_request(const char *resource, const char *request, cJSON *settings) {
  cJSON *g = cJSON_CreateObject();
  bool ok = g != NULL && settings != NULL && cJSON_AddStringToObject(g, "ResourceType", resource) != NULL &&
            cJSON_AddStringToObject(g, "RequestType", request) != NULL;
  if (ok) {
    ok = wctr_json_put(g, "Settings", settings);
    settings = NULL;
  }
  cJSON_Delete(settings);
  if (!ok) {
    cJSON_Delete(g);
    return NULL;
  }
  return g;
}

static cJSON *network_modify(const char *nic_id, const char *request, cJSON *settings) {
  cJSON *m = cJSON_CreateObject();
  bool ok = m != NULL && cJSON_AddStringToObject(m, "AdapterId", nic_id) != NULL &&
            cJSON_AddStringToObject(m, "RequestType", request) != NULL;
  if (ok && settings != NULL) {
    ok = wctr_json_put(m, "Settings", settings);
    settings = NULL;
  }
  cJSON_Delete(settings);
  if (!ok) {
    cJSON_Delete(m);
    return NULL;
  }
  return m;
}

cJSON *net_doc_guest_namespace(const cJSON *namespace_props, bool add) {
  cJSON *doc = cJSON_CreateObject();
  cJSON *g = guest_request("NetworkNamespace", add ? "Add" : "Remove", cJSON_Duplicate(namespace_props, true));
  if (doc == NULL || !wctr_json_put(doc, "GuestRequest", g)) {
    if (doc == NULL) cJSON_Delete(g);
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *net_doc_guest_nic_preadd(const char *nic_id, const cJSON *endpoint_props) {
  if (nic_id == NULL) return NULL;
  cJSON *doc = cJSON_CreateObject();
  cJSON *g = guest_request("Network", "Add", network_modify(nic_id, "PreAdd", cJSON_Duplicate(endpoint_props, true)));
  if (doc == NULL || !wctr_json_put(doc, "GuestRequest", g)) {
    if (doc == NULL) cJSON_Delete(g);
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

cJSON *net_doc_vm_nic(const char *nic_id, const char *endpoint_id, const char *mac, bool add) {
  if (nic_id == NULL || endpoint_id == NULL) return NULL;
  const char *request = add ? "Add" : "Remove";
  char path[96];
  snprintf(path, sizeof path, "VirtualMachine/Devices/NetworkAdapters/%s", nic_id);
  cJSON *doc = cJSON_CreateObject();
  cJSON *s = cJSON_CreateObject();
  bool ok = doc != NULL && s != NULL && cJSON_AddStringToObject(doc, "ResourcePath", path) != NULL &&
            cJSON_AddStringToObject(doc, "RequestType", request) != NULL &&
            cJSON_AddStringToObject(s, "EndpointId", endpoint_id) != NULL &&
            (mac == NULL || mac[0] == '\0' || cJSON_AddStringToObject(s, "MacAddress", mac) != NULL);
  if (ok) {
    ok = wctr_json_put(doc, "Settings", s);
    s = NULL;
  }
  cJSON_Delete(s);
  ok = ok && wctr_json_put(doc, "GuestRequest", guest_request("Network", request, network_modify(nic_id, request, NULL)));
  if (!ok) {
    cJSON_Delete(doc);
    return NULL;
  }
  return doc;
}

/* --- ids ---------------------------------------------------------------------------------------------- */

bool net_guid_valid(const char *text) {
  if (text == NULL || strlen(text) != 36) return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i])) return false;
  }
  return true;
}

static uint64_t fnv1a(uint64_t h, const char *s) {
  for (; s != NULL && *s != '\0'; s++) {
    h ^= (uint8_t)*s;
    h *= 0x100000001B3ull;
  }
  /* A separator, so ("ab","c") and ("a","bc") differ. */
  h ^= 0xFF;
  h *= 0x100000001B3ull;
  return h;
}

static void hash128(const char *a, const char *b, const char *c, uint8_t out[16]) {
  uint64_t h1 = 0xCBF29CE484222325ull, h2 = 0x84222325CBF29CE4ull;
  h1 = fnv1a(fnv1a(fnv1a(h1, a), b), c);
  h2 = fnv1a(fnv1a(fnv1a(h2, c), b), a);
  for (int i = 0; i < 8; i++) {
    out[i] = (uint8_t)(h1 >> (56 - 8 * i));
    out[8 + i] = (uint8_t)(h2 >> (56 - 8 * i));
  }
}

void net_guid_for(const char *owner, const char *container_id, const char *what, char out[NET_GUID_SIZE]) {
  uint8_t b[16];
  hash128(owner, container_id, what, b);
  b[6] = (uint8_t)((b[6] & 0x0F) | 0x50); /* version 5 */
  b[8] = (uint8_t)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
  snprintf(out, NET_GUID_SIZE, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
           b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void net_endpoint_name(const char *owner, const char *container_id, char out[NET_ENDPOINT_NAME_SIZE]) {
  snprintf(out, NET_ENDPOINT_NAME_SIZE, "%.30s_%.64s", owner != NULL ? owner : "", container_id != NULL ? container_id : "");
}

void net_id_for_hns(const char *hns_id, char out[NET_ID_SIZE]) {
  char lower[NET_GUID_SIZE];
  lower_copy(hns_id, lower, sizeof lower);
  uint8_t a[16], b[16];
  hash128("wctr-network", lower, "a", a);
  hash128("wctr-network", lower, "b", b);
  size_t len = 0;
  for (int i = 0; i < 16; i++) len += (size_t)snprintf(out + len, NET_ID_SIZE - len, "%02x", a[i]);
  for (int i = 0; i < 16; i++) len += (size_t)snprintf(out + len, NET_ID_SIZE - len, "%02x", b[i]);
}
