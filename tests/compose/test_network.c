/* tests/compose/test_network.c - a service's networking in compose files: ports (short and long forms, read
 * with Docker's nat.ParsePortSpec rules and messages), expose, networks and the top-level networks, network_mode,
 * dns, dns_search, mac_address; how several files merge them; what `config` shows; the spec each service becomes
 * and the refusals that name the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/to_spec.h"
#include "compose_test.h"

#define SVC "services:\n  web:\n    image: x\n"

static void test_ports_short_and_long(void **state) {
  (void)state;
  ct_reset();
  /* name and app_protocol are compose's metadata: refused, as every key wctr does not apply. */
  ct_fail_text(SVC "    ports:\n      - {target: 7000, name: admin}\n",
               "compose.yml: services.web.ports[0].name: \"name\" is not supported by wctr");
  compose_project *p = ct_load_text(SVC
                   "    ports:\n"
                   "      - 80\n"
                   "      - \"8080:80\"\n"
                   "      - \"0.0.0.0:9000:9000/udp\"\n"
                   "      - \"8000-8001:81-82\"\n"
                   "      - {target: 443, published: \"8443\", protocol: tcp, mode: host}\n"
                   "      - {target: 53, published: 5353, protocol: udp, host_ip: \"::\"}\n");
  const compose_service *s = ct_service(p, "web");
  assert_int_equal(s->port_count, 7);
  assert_int_equal(s->ports[0].port, 80);
  assert_int_equal(s->ports[0].host_port, 0);
  assert_int_equal(s->ports[1].host_port, 8080);
  assert_int_equal(s->ports[2].proto, SPEC_PROTO_UDP);
  assert_string_equal(s->ports[2].host_ip, "0.0.0.0");
  assert_int_equal(s->ports[3].port, 81);
  assert_int_equal(s->ports[3].host_port, 8000);
  assert_int_equal(s->ports[4].port, 82);
  assert_int_equal(s->ports[4].host_port, 8001);
  assert_int_equal(s->ports[5].host_port, 8443);
  assert_int_equal(s->ports[6].host_port, 5353);
  assert_string_equal(s->ports[6].host_ip, "::");
  compose_free(p);
  ct_reset();
}

static void test_ports_refused(void **state) {
  (void)state;
  ct_reset();
  /* Docker's messages, and moby's Windows rules. */
  ct_fail_text(SVC "    ports: [\"80:x\"]\n", "compose.yml: services.web.ports[0]: invalid containerPort: x");
  ct_fail_text(SVC "    ports: [\"y:80\"]\n", "compose.yml: services.web.ports[0]: invalid hostPort: y");
  ct_fail_text(SVC "    ports: [\"80/sctp\"]\n", "compose.yml: services.web.ports[0]: invalid protocol sctp");
  ct_fail_text(SVC "    ports: [\"10.0.0.1:80:80\"]\n",
               "compose.yml: services.web.ports[0]: Windows does not support host IP addresses in NAT settings");
  ct_fail_text(SVC "    ports: [\"8000-8010:80\"]\n",
               "compose.yml: services.web.ports[0]: Windows does not support more than one host port in NAT settings");
  ct_fail_text(SVC "    ports: [{published: 80}]\n", "compose.yml: services.web.ports[0]: \"target\" is required");
  ct_fail_text(SVC "    ports: [{target: 80, mode: swarm}]\n",
               "compose.yml: services.web.ports[0].mode: invalid mode \"swarm\": ingress or host");
  ct_fail_text(SVC "    ports: [{target: 80, color: red}]\n",
               "compose.yml: services.web.ports[0]: unknown key \"color\"");
  ct_fail_text(SVC "    ports: \"80\"\n", "compose.yml: services.web.ports: must be a list, not a string");
  ct_fail_text(SVC "    ports: [[80]]\n", "compose.yml: services.web.ports[0]: must be a string or a number, not a list");
  /* One host port twice: in one service, and across services (the second would fail at its start). */
  ct_fail_text(SVC "    ports: [\"8080:80\", \"8080:81\"]\n",
               "compose.yml: services.web.ports: Bind for 0.0.0.0:8080 failed: port is already allocated (by another "
               "entry)");
  ct_fail_text(SVC "    ports: [\"8080:80\"]\n  api:\n    image: x\n    ports: [\"8080:80\"]\n",
               "compose.yml: services.web.ports: Bind for 0.0.0.0:8080 failed: port is already allocated "
               "(services.api publishes it too)");
  /* tcp and udp are two ports. */
  compose_project *p = ct_load_text(SVC "    ports: [\"53:53/udp\", \"53:53\"]\n");
  compose_free(p);
  ct_reset();
}

static void test_expose_dns_mac(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC
                                    "    expose: [80, \"443\", \"53/udp\", \"8000-8001\", \"80/tcp\"]\n"
                                    "    dns: 10.0.0.2\n"
                                    "    dns_search: [corp.example, \".\", corp.example]\n"
                                    "    mac_address: 02-42-AC-11-00-02\n");
  const compose_service *s = ct_service(p, "web");
  assert_int_equal(s->expose_count, 5);
  assert_int_equal(s->expose[2].proto, SPEC_PROTO_UDP);
  assert_int_equal(s->expose[4].port, 8001);
  assert_int_equal(s->dns_count, 1);
  assert_string_equal(s->dns[0], "10.0.0.2");
  assert_int_equal(s->dns_search_count, 2);
  assert_string_equal(s->mac_address, "02:42:ac:11:00:02");
  compose_free(p);
  ct_fail_text(SVC "    expose: [\"x\"]\n", "compose.yml: services.web.expose[0]: invalid range format for --expose: x, error: strconv.ParseUint: parsing \"x\": invalid syntax");
  ct_fail_text(SVC "    dns: [10.0.0.256]\n",
               "compose.yml: services.web.dns[0]: IP address is not correctly formatted: 10.0.0.256");
  ct_fail_text(SVC "    dns_search: [-bad.example]\n",
               "compose.yml: services.web.dns_search[0]: -bad.example is not a valid domain");
  ct_fail_text(SVC "    dns: {a: b}\n",
               "compose.yml: services.web.dns: must be a string or a list of strings, not a mapping");
  ct_fail_text(SVC "    mac_address: 01:00:5e:00:00:01\n",
               "compose.yml: services.web.mac_address: invalid MAC address \"01:00:5e:00:00:01\": a container's "
               "MAC address must be unicast (an even first octet)");
  ct_fail_text(SVC "    dns_opt: [ndots:2]\n", "compose.yml: services.web.dns_opt: \"dns_opt\" is not supported by wctr");
  ct_reset();
}

static void test_networks(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("name: shop\n"
                                    "services:\n"
                                    "  web:\n"
                                    "    image: x\n"
                                    "    networks: [front]\n"
                                    "  api:\n"
                                    "    image: x\n"
                                    "    networks:\n"
                                    "      back:\n"
                                    "  db:\n"
                                    "    image: x\n"
                                    "  tool:\n"
                                    "    image: x\n"
                                    "    isolation: job\n"
                                    "    command: [cmd]\n"
                                    "  quiet:\n"
                                    "    image: x\n"
                                    "    network_mode: none\n"
                                    "networks:\n"
                                    "  front:\n"
                                    "    driver: nat\n"
                                    "    ipam: {driver: default, config: [{subnet: 172.30.0.0/16, gateway: 172.30.0.1}]}\n"
                                    "    labels: [tier=front]\n"
                                    "  back:\n"
                                    "    external: true\n"
                                    "    name: corp-net\n"
                                    "  unused:\n"
                                    "    driver: nat\n");
  /* The networks services join, sorted by key: the "default" one compose adds for db, none for the job
   * container (it has the host's), none for "none"; the unused one is checked and left out. */
  assert_int_equal(p->network_count, 3);
  assert_string_equal(p->networks[0].key, "back");
  assert_string_equal(p->networks[0].name, "corp-net");
  assert_true(p->networks[0].external);
  assert_string_equal(p->networks[1].key, "default");
  assert_string_equal(p->networks[1].name, "shop_default");
  assert_string_equal(p->networks[2].key, "front");
  assert_string_equal(p->networks[2].name, "shop_front");
  assert_string_equal(p->networks[2].subnet, "172.30.0.0/16");
  assert_string_equal(p->networks[2].gateway, "172.30.0.1");
  assert_int_equal(p->networks[2].label_count, 1);
  assert_string_equal(p->networks[2].labels[0], "tier=front");
  assert_string_equal(ct_service(p, "web")->network, "front");
  assert_string_equal(ct_service(p, "api")->network, "back");
  assert_string_equal(ct_service(p, "db")->network, "default");
  assert_null(ct_service(p, "tool")->network);
  assert_null(ct_service(p, "quiet")->network);
  assert_string_equal(ct_service(p, "quiet")->network_mode, "none");
  assert_non_null(compose_find_network(p, "front"));
  assert_null(compose_find_network(p, "unused"));
  compose_free(p);
  ct_reset();
}

static void test_networks_refused(void **state) {
  (void)state;
  ct_reset();
  ct_fail_text(SVC "    networks: [front]\n",
               "compose.yml: services.web.networks[0]: service \"web\" refers to undefined network front");
  ct_fail_text(SVC "    networks: [a, b]\nnetworks: {a: {}, b: {}}\n",
               "compose.yml: services.web.networks: a and b: wctr joins a container to one network (an HNS endpoint "
               "in its namespace); give one");
  ct_fail_text(SVC "    networks: {default: {aliases: [w]}}\n",
               "compose.yml: services.web.networks.default.aliases: \"aliases\" is not supported by wctr");
  ct_fail_text(SVC "    networks: {default: {ipv4_address: 172.30.0.5}}\n",
               "compose.yml: services.web.networks.default.ipv4_address: \"ipv4_address\" is not supported by wctr");
  ct_fail_text(SVC "    network_mode: none\n    networks: [default]\n",
               "compose.yml: services.web: service \"web\" declares mutually exclusive `network_mode` and `networks`");
  ct_fail_text(SVC "    network_mode: \"service:db\"\n",
               "compose.yml: services.web.network_mode: \"service:db\": sharing another container's network is not "
               "supported by wctr (a Windows container has a network namespace of its own)");
  ct_fail_text(SVC "    network_mode: \"bad name\"\n",
               "compose.yml: services.web.network_mode: invalid network_mode \"bad name\": none, host, default or a "
               "network's name");
  ct_fail_text(SVC "networks: {front: {driver: bridge}}\n",
               "compose.yml: networks.front.driver: driver \"bridge\" is not supported by wctr: it creates nat networks");
  ct_fail_text(SVC "networks: {front: {internal: true}}\n",
               "compose.yml: networks.front.internal: \"internal\" is not supported by wctr");
  ct_fail_text(SVC "networks: {front: {colour: red}}\n", "compose.yml: networks.front: unknown key \"colour\"");
  ct_fail_text(SVC "networks: {front: {external: true, driver: nat}}\n",
               "compose.yml: networks.front: conflicting parameters \"external\" and \"driver\" specified for network "
               "\"front\"");
  ct_fail_text(SVC "networks: {front: {external: {name: x}}}\n",
               "compose.yml: networks.front.external: the {name: ...} form is not supported by wctr: write external: "
               "true and name: NAME");
  ct_fail_text(SVC "networks: {front: {ipam: {config: [{subnet: 10.0.0.0/8}, {subnet: 11.0.0.0/8}]}}}\n",
               "compose.yml: networks.front.ipam.config: 2 subnets: a network wctr creates has one");
  ct_fail_text(SVC "networks: {front: {ipam: {config: [{subnet: 10.0.0.0}]}}}\n",
               "compose.yml: networks.front.ipam.config[0].subnet: invalid subnet \"10.0.0.0\": an IPv4 CIDR such as "
               "172.30.0.0/16");
  ct_fail_text(SVC "networks: {front: {ipam: {config: [{subnet: \"fd00::/64\"}]}}}\n",
               "compose.yml: networks.front.ipam.config[0].subnet: invalid subnet \"fd00::/64\": an IPv4 CIDR such as "
               "172.30.0.0/16");
  ct_fail_text(SVC "networks: {front: {ipam: {config: [{gateway: 10.0.0.1}]}}}\n",
               "compose.yml: networks.front.ipam: a gateway needs its subnet");
  ct_fail_text(SVC "networks: {front: {ipam: {config: [{subnet: 10.0.0.0/8, ip_range: 10.0.0.0/24}]}}}\n",
               "compose.yml: networks.front.ipam.config[0].ip_range: \"ip_range\" is not supported by wctr");
  ct_fail_text(SVC "networks: {front: {ipam: {driver: dhcp}}}\n",
               "compose.yml: networks.front.ipam.driver: IPAM driver \"dhcp\" is not supported by wctr (HNS assigns "
               "the addresses)");
  ct_fail_text(SVC "networks: {front: {labels: {com.docker.compose.network: x}}}\n",
               "compose.yml: networks.front.labels: com.docker.compose.network: com.docker.compose.* labels are set "
               "by wctr compose");
  ct_fail_text(SVC "networks: {front: {name: \"a b\"}}\n",
               "compose.yml: networks.front.name: invalid network name \"a b\": [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most "
               "128 characters");
  ct_fail_text(SVC "networks: {\"a b\": {}}\n",
               "compose.yml: networks: invalid network name \"a b\": use letters, digits, '.', '_' and '-'");
  ct_reset();
}

/* Several files: ports by compose's portIndexer, expose and dns appended without repeats, networks name by
 * name, a network's labels as a map and its ipam.config by subnet. */
static void test_merge(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\compose.yml", "services:\n"
                                  "  web:\n"
                                  "    image: x\n"
                                  "    ports: [\"8080:80\", {target: 443, published: \"8443\"}]\n"
                                  "    expose: [\"90\"]\n"
                                  "    dns: 10.0.0.2\n"
                                  "    networks: [front]\n"
                                  "networks:\n"
                                  "  front:\n"
                                  "    labels: {a: \"1\"}\n"
                                  "    ipam: {config: [{subnet: 10.9.0.0/16}]}\n");
  ct_file(CT_DIR "\\over.yml", "services:\n"
                               "  web:\n"
                               "    ports: [\"8080:80\", {target: 443, published: \"8443\"}, \"9090:90\"]\n"
                               "    expose: [\"90\", \"91\"]\n"
                               "    dns: [10.0.0.2, 10.0.0.3]\n"
                               "    networks: {front: }\n"
                               "    mac_address: 02:00:00:00:00:01\n"
                               "networks:\n"
                               "  front:\n"
                               "    labels: [b=2]\n"
                               "    ipam: {config: [{subnet: 10.9.0.0/16, gateway: 10.9.0.254}]}\n");
  static const char *const files[] = {"compose.yml", "over.yml"};
  compose_options o = ct_options(files, 2);
  compose_project *p = ct_load(&o);
  const compose_service *s = ct_service(p, "web");
  assert_int_equal(s->port_count, 3);
  assert_int_equal(s->ports[2].host_port, 9090);
  assert_int_equal(s->expose_count, 2);
  assert_int_equal(s->dns_count, 2);
  assert_string_equal(s->network, "front");
  assert_string_equal(s->mac_address, "02:00:00:00:00:01");
  const compose_network *n = compose_find_network(p, "front");
  assert_non_null(n);
  assert_int_equal(n->label_count, 2);
  assert_string_equal(n->gateway, "10.9.0.254");
  compose_free(p);
  ct_reset();
}

static void test_render(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n"
                                    "  web:\n"
                                    "    image: x\n"
                                    "    ports: [\"8080:80\", \"53/udp\"]\n"
                                    "    expose: [\"90\", \"91/udp\"]\n"
                                    "    dns: [10.0.0.2]\n"
                                    "    dns_search: corp.example\n"
                                    "    mac_address: 02:00:00:00:00:01\n"
                                    "    networks: [front]\n"
                                    "  quiet:\n"
                                    "    image: x\n"
                                    "    network_mode: none\n"
                                    "networks:\n"
                                    "  front:\n"
                                    "    ipam: {config: [{subnet: 10.9.0.0/16}]}\n"
                                    "    labels: {tier: front}\n");
  ct_expect_render(p, 0,
                   "name: proj\n"
                   "services:\n"
                   "  quiet:\n"
                   "    container_name: proj-quiet-1\n"
                   "    image: x\n"
                   "    network_mode: none\n"
                   "  web:\n"
                   "    container_name: proj-web-1\n"
                   "    image: x\n"
                   "    ports:\n"
                   "    - mode: ingress\n"
                   "      target: 80\n"
                   "      published: \"8080\"\n"
                   "      protocol: tcp\n"
                   "    - mode: ingress\n"
                   "      target: 53\n"
                   "      protocol: udp\n"
                   "    expose:\n"
                   "    - \"90\"\n"
                   "    - 91/udp\n"
                   "    networks:\n"
                   "      front: null\n"
                   "    dns:\n"
                   "    - 10.0.0.2\n"
                   "    dns_search:\n"
                   "    - corp.example\n"
                   "    mac_address: 02:00:00:00:00:01\n"
                   "networks:\n"
                   "  front:\n"
                   "    name: proj_front\n"
                   "    ipam:\n"
                   "      config:\n"
                   "      - subnet: 10.9.0.0/16\n"
                   "    labels:\n"
                   "      tier: front\n");
  compose_free(p);
  ct_reset();
}

/* The spec each service becomes, and the rules per isolation in compose's keys. */
static void test_to_spec(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("name: shop\n"
                                    "services:\n"
                                    "  web:\n"
                                    "    image: x\n"
                                    "    isolation: process\n"
                                    "    ports: [\"8080:80\"]\n"
                                    "    expose: [\"90\", \"80\"]\n"
                                    "    dns: [10.0.0.2]\n"
                                    "    dns_search: [corp.example]\n"
                                    "    mac_address: 02:00:00:00:00:01\n"
                                    "    networks: [ext]\n"
                                    "  db:\n"
                                    "    image: x\n"
                                    "  nat:\n"
                                    "    image: x\n"
                                    "    network_mode: nat\n"
                                    "networks:\n"
                                    "  ext: {external: true}\n");
  spec_container c;
  wctr_errmsg e;
  assert_int_equal(compose_service_to_spec(p, ct_service(p, "web"), NULL, NULL, &c, &e), WCTR_OK);
  assert_string_equal(c.net.mode, "ext");
  assert_int_equal(c.net.publish_count, 1);
  assert_int_equal(c.net.publish[0].host_port, 8080);
  /* Exposed: the service's, then each published port's, once. */
  assert_int_equal(c.net.expose_count, 2);
  assert_int_equal(c.net.expose[0].port, 90);
  assert_int_equal(c.net.expose[1].port, 80);
  assert_string_equal(c.net.dns[0], "10.0.0.2");
  assert_string_equal(c.net.dns_search[0], "corp.example");
  assert_string_equal(c.net.mac_address, "02:00:00:00:00:01");
  spec_free(&c);
  assert_int_equal(compose_service_to_spec(p, ct_service(p, "db"), NULL, NULL, &c, &e), WCTR_OK);
  assert_string_equal(c.net.mode, "shop_default");
  spec_free(&c);
  assert_int_equal(compose_service_to_spec(p, ct_service(p, "nat"), NULL, NULL, &c, &e), WCTR_OK);
  assert_string_equal(c.net.mode, "nat");
  spec_free(&c);
  compose_free(p);

  static const struct {
    const char *service;
    const char *message;
  } refused[] = {
      {"    isolation: job\n    command: [cmd]\n    ports: [\"80:80\"]\n",
       "services.web.ports: a job container shares the host's network stack (as a Kubernetes HostProcess container "
       "does) and has no ports of its own to publish: its processes listen on the host's ports"},
      {"    isolation: job\n    command: [cmd]\n    networks: [default]\n",
       "services.web.networks: a job container shares the host's network stack (as a Kubernetes HostProcess "
       "container does) and joins no network; leave networks out"},
      {"    isolation: job\n    command: [cmd]\n    network_mode: none\n",
       "services.web.network_mode: a job container shares the host's network stack (as a Kubernetes HostProcess "
       "container does); only host applies to it"},
      {"    isolation: job\n    command: [cmd]\n    dns_search: [a.example]\n",
       "services.web.dns_search: a job container shares the host's network stack (as a Kubernetes HostProcess "
       "container does) and uses the host's DNS settings"},
      {"    isolation: job\n    command: [cmd]\n    mac_address: 02:00:00:00:00:01\n",
       "services.web.mac_address: a job container shares the host's network stack (as a Kubernetes HostProcess "
       "container does) and has no adapter of its own"},
      {"    network_mode: host\n",
       "services.web.network_mode: host: only job containers (isolation: job) share the host's network stack; "
       "process and Hyper-V containers join a network or none"},
      {"    network_mode: none\n    ports: [\"80:80\"]\n",
       "services.web.ports: with network_mode: none the container has no network to publish ports on"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    char text[512];
    snprintf(text, sizeof text, "services:\n  web:\n    image: x\n%s", refused[i].service);
    p = ct_load_text(text);
    wctr_errmsg_clear(&e);
    assert_int_equal(compose_service_to_spec(p, ct_service(p, "web"), NULL, NULL, &c, &e), WCTR_EINVAL);
    assert_string_equal(e.text, refused[i].message);
    compose_free(p);
  }
  /* A job container with network_mode host is what it gets anyway. */
  p = ct_load_text("services:\n  web:\n    image: x\n    isolation: job\n    command: [cmd]\n    network_mode: host\n");
  assert_int_equal(compose_service_to_spec(p, ct_service(p, "web"), NULL, NULL, &c, &e), WCTR_OK);
  assert_string_equal(c.net.mode, "host");
  spec_free(&c);
  compose_free(p);
  ct_reset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ports_short_and_long),
      cmocka_unit_test(test_ports_refused),
      cmocka_unit_test(test_expose_dns_mac),
      cmocka_unit_test(test_networks),
      cmocka_unit_test(test_networks_refused),
      cmocka_unit_test(test_merge),
      cmocka_unit_test(test_render),
      cmocka_unit_test(test_to_spec),
  };
  return cmocka_run_group_tests_name("compose_network", tests, NULL, NULL);
}
