/* spec/network.h - a container's networking, as part of its spec (portable; included by spec/spec.h, whose
 * spec_container holds a spec_network as .net).
 *
 * What the front-ends give (the wctr CLI, compose, the Engine API) is Docker's, in Docker's JSON form:
 *   Config.ExposedPorts   {"80/tcp": {}, ...}                       --expose, compose expose, and every -p
 *   Config.MacAddress     "02:42:ac:11:00:02"                       --mac-address, compose mac_address
 *   HostConfig.NetworkMode "default" | "none" | "host" | a network's name   --network, compose networks
 *   HostConfig.PortBindings {"80/tcp": [{"HostIp": "", "HostPort": "8080"}], ...}   -p/--publish, compose ports
 *   HostConfig.PublishAllPorts true                                 -P/--publish-all
 *   HostConfig.Dns        ["10.0.0.2", ...]                         --dns, compose dns
 *   HostConfig.DnsSearch  ["corp.example", ...]                     --dns-search, compose dns_search
 * What a network mode means, and which runtime refuses what (the rules below are checked by spec_from_json
 * for the container's isolation, before anything exists):
 *   job      the host's network stack (Kubernetes HostProcess containers do the same): NetworkMode is
 *            "host" whatever the request said when it said "default" or nothing; any other mode, a port
 *            to publish, -P, --dns, --dns-search or --mac-address is refused, saying why.
 *   process, hyperv   an HNS endpoint on a network ("default" is Docker's "nat", SPEC_NETWORK_NAT) in a
 *            network namespace of the container's own (net/ and the HCS runtime make them), or nothing at
 *            all with "none"; "host" is refused (only a job container shares the host's stack); a port
 *            to publish with "none" is refused. Whether the named network exists is the service's check.
 *
 * Ports follow docker/go-connections nat.ParsePortSpec, with its messages, then the rules moby's Windows
 * driver applies to what it parsed (ConvertPortBindings), with its messages:
 *   [[HOSTIP:]HOSTPORT:]PORT[/PROTO]; a PORT range with a HOSTPORT range of the same length gives one mapping
 *   per port ("8080-8081:80-81"); a HOSTPORT range for one PORT is Docker's "dynamic range" and Windows
 *   refuses it ("Windows does not support more than one host port in NAT settings"); a HOSTIP other than
 *   an unspecified address ("0.0.0.0", "::") is refused ("Windows does not support host IP addresses in
 *   NAT settings"); PROTO tcp or udp (sctp parses, as in Docker, and is refused: "invalid protocol sctp").
 *   Docker's parse messages: "no port specified: 80:<empty>", "invalid containerPort: x", "invalid hostPort:
 *   x", "invalid proto: x", "invalid IP address: x", "invalid ranges specified for container and host
 *   Ports: 80-81 and 8080". wctr adds a port 0 (a container port: "invalid containerPort: 0 (a port is 1
 *   to 65535)"; a host port 0 or none means one chosen at start, as Docker chooses one), and one host port
 *   published twice by one container ("Bind for 0.0.0.0:8080 failed: port is already allocated"). At most
 *   SPEC_PORTS_MAX mappings and as many exposed ports.
 * DNS: servers are IP addresses (Docker's "IP address is not correctly formatted: x"), search domains are
 * domains (Docker's "x is not a valid domain"), at most SPEC_DNS_MAX of each. A MAC address is six pairs of
 * hex digits separated by ':' or '-', unicast; it is kept in Docker's form (lower case, ':'). */
#ifndef WCTR_SPEC_NETWORK_H
#define WCTR_SPEC_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define SPEC_NETWORK_DEFAULT "default"
#define SPEC_NETWORK_NONE "none"
#define SPEC_NETWORK_HOST "host"
/* The network of an HCS container whose mode is "default": Docker's name on Windows. */
#define SPEC_NETWORK_NAT "nat"
#define SPEC_NETWORK_NAME_MAX 128
#define SPEC_PORTS_MAX 1024
#define SPEC_DNS_MAX 16
/* "02:42:ac:11:00:02" and its NUL. */
#define SPEC_MAC_SIZE 18
/* The longest IP address text (IPv6 with an embedded IPv4) and its NUL. */
#define SPEC_IP_SIZE 46

/* The protocol numbers HNS's PortMapping policies take (IANA's). */
typedef enum spec_proto { SPEC_PROTO_TCP = 6, SPEC_PROTO_UDP = 17 } spec_proto;

/* One published (or exposed) port. */
typedef struct spec_port {
  uint16_t port;                 /* the container's, 1..65535 */
  uint16_t host_port;            /* 0: chosen when the container starts (exposed ports: always 0) */
  spec_proto proto;
  char host_ip[SPEC_IP_SIZE];    /* "" or an unspecified address, as given */
} spec_port;

typedef struct spec_network {
  char *mode;                    /* NULL: "default"; "none", "host" or a network's name */
  spec_port *publish;            /* HostConfig.PortBindings, one entry per (port, binding) */
  size_t publish_count;
  bool publish_all;              /* -P: every exposed port (the container's and the image's) gets one */
  spec_port *expose;             /* Config.ExposedPorts */
  size_t expose_count;
  char **dns;                    /* HostConfig.Dns */
  size_t dns_count;
  char **dns_search;             /* HostConfig.DnsSearch */
  size_t dns_search_count;
  char *mac_address;             /* Config.MacAddress, Docker's form; NULL when not given */
} spec_network;

/* "tcp" / "udp". */
const char *spec_proto_name(spec_proto proto);

/* One -p value into *out (malloc'ed, *count entries, free()): nat.ParsePortSpec and the Windows rules above.
 * Nothing is written on failure. */
wctr_err spec_port_spec_parse(const char *raw, spec_port **out, size_t *count, wctr_errmsg *e);
/* One --expose value ("80", "80/udp", "8000-8010/tcp") into *out (host_port 0), as Docker's CLI expands it;
 * messages as spec_port_spec_parse's. */
wctr_err spec_expose_parse(const char *raw, spec_port **out, size_t *count, wctr_errmsg *e);
/* "80/tcp" (and "80" as tcp) into port and proto; false when it is not one port of tcp or udp. */
bool spec_port_key_parse(const char *key, uint16_t *port, spec_proto *proto);

/* An IPv4 ("10.0.0.2") or IPv6 ("fe80::1", "::ffff:10.0.0.2") address in text; bytes gets 4 or 16 bytes
 * (network order) and *v6 says which (both may be NULL). No zone, no brackets, no prefix. */
bool spec_ip_parse(const char *text, uint8_t bytes[16], bool *v6);
/* A MAC address as above into Docker's form; WCTR_EINVAL: `invalid MAC address "x": ...`. */
wctr_err spec_mac_parse(const char *text, char out[SPEC_MAC_SIZE], wctr_errmsg *e);
/* A DNS search domain: Docker's validateDomain (letters, digits and '-' in labels of at most 63, not starting or
 * ending with '-', dots between, an optional final dot, at most 255); "." (no search) is the caller's case. */
bool spec_domain_valid(const char *domain);
/* A network's name: Docker's rule for names, [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most SPEC_NETWORK_NAME_MAX. */
bool spec_network_name_valid(const char *name);

/* The mode as the record shows it: "default" for NULL. */
const char *spec_network_mode(const spec_network *n);
/* The network an HCS container of this mode joins: "nat" for "default", NULL for "none" (and "host"),
 * else the name. */
const char *spec_network_joined(const spec_network *n);

/* Reads the JSON form above from create params (config = the top level, hc = HostConfig, may be NULL);
 * where names them in messages ("params", "params.HostConfig"). isolation is wctr_isolation's value
 * (0 default, 1 job, 2 process, 3 hyperv: spec.h's enum, which this header cannot include). On failure *out
 * is untouched. */
wctr_err spec_network_from_json(const cJSON *config, const cJSON *hc, const char *where, const char *hc_where,
                                int isolation, spec_network *out, wctr_errmsg *e);
/* Adds the fields that are set back (to config: ExposedPorts, MacAddress; to hc: NetworkMode, PortBindings,
 * PublishAllPorts (when true), Dns, DnsSearch); what is not set is left out. False when out of memory. */
bool spec_network_to_json(const spec_network *n, cJSON *config, cJSON *hc);
/* Docker's PortBindings object of a list of mappings (keys sorted, bindings in order). NULL when out of
 * memory. */
cJSON *spec_port_bindings_json(const spec_port *ports, size_t count);
bool spec_network_copy(const spec_network *from, spec_network *to);
void spec_network_free(spec_network *n); /* accepts NULL; leaves *n zeroed */

/* The keys spec_network_from_json reads, for the callers' lists of known keys (NULL-terminated). */
extern const char *const spec_network_config_keys[];
extern const char *const spec_network_host_config_keys[];

#endif
