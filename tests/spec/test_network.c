/* tests/spec/test_network.c - spec/network.h: Docker's port specs (go-connections nat.ParsePortSpec and its
 * messages, moby's Windows rules), --expose, IP and MAC addresses, network names, the JSON form of a
 * container's networking in create params and back, and the rules per isolation. */
#include "spec_test.h"

struct port_case {
  const char *raw;
  size_t count;
  unsigned port, host_port;
  spec_proto proto;
};

static void test_port_specs_accepted(void **state) {
  (void)state;
  static const struct port_case cases[] = {
      {"80", 1, 80, 0, SPEC_PROTO_TCP},
      {"8080:80", 1, 80, 8080, SPEC_PROTO_TCP},
      {"8080:80/udp", 1, 80, 8080, SPEC_PROTO_UDP},
      {"8080:80/UDP", 1, 80, 8080, SPEC_PROTO_UDP},
      {"80/", 1, 80, 0, SPEC_PROTO_TCP},
      {":80", 1, 80, 0, SPEC_PROTO_TCP},
      {"0.0.0.0:8080:80", 1, 80, 8080, SPEC_PROTO_TCP},
      {"[::]:8080:80", 1, 80, 8080, SPEC_PROTO_TCP},
      {":::8080:80", 1, 80, 8080, SPEC_PROTO_TCP},
      {"0.0.0.0::80", 1, 80, 0, SPEC_PROTO_TCP},
      {"0:80", 1, 80, 0, SPEC_PROTO_TCP},
      {"8080-8082:80-82", 3, 80, 8080, SPEC_PROTO_TCP},
      {"80-81", 2, 80, 0, SPEC_PROTO_TCP},
      {"65535:65535", 1, 65535, 65535, SPEC_PROTO_TCP},
      {"08080:080", 1, 80, 8080, SPEC_PROTO_TCP},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_port *p = NULL;
    size_t n = 0;
    wctr_errmsg e;
    if (spec_port_spec_parse(cases[i].raw, &p, &n, &e) != WCTR_OK) FAILF("-p %s refused: %s", cases[i].raw, e.text);
    if (n != cases[i].count || p[0].port != cases[i].port || p[0].host_port != cases[i].host_port ||
        p[0].proto != cases[i].proto) {
      FAILF("-p %s -> %zu mappings, first %u:%u/%s", cases[i].raw, n, p[0].host_port, p[0].port,
            spec_proto_name(p[0].proto));
    }
    for (size_t k = 1; k < n; k++) {
      assert_int_equal(p[k].port, p[0].port + k);
      assert_int_equal(p[k].host_port, p[0].host_port == 0 ? 0 : p[0].host_port + k);
    }
    free(p);
  }
}

struct refused_case {
  const char *raw;
  const char *message;
};

static void test_port_specs_refused(void **state) {
  (void)state;
  static const struct refused_case cases[] = {
      /* go-connections' own messages, in its order of checks */
      {"8080:", "no port specified: 8080:<empty>"},
      {"", "no port specified: <empty>"},
      {"80/xyz", "invalid proto: xyz"},
      {"1.2.3:8080:80", "invalid IP address: 1.2.3"},
      {"x:8080:80", "invalid IP address: x"},
      {"abc", "invalid containerPort: abc"},
      {"65536", "invalid containerPort: 65536"},
      {"-1", "invalid containerPort: -1"},
      {"90-80", "invalid containerPort: 90-80"},
      {"x:80", "invalid hostPort: x"},
      {"70000:80", "invalid hostPort: 70000"},
      {"8080-8081:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8080-8081"},
      /* moby's Windows driver on what parsed */
      {"80/sctp", "invalid protocol sctp"},
      {"8000-8010:80", "Windows does not support more than one host port in NAT settings"},
      {"127.0.0.1:8080:80", "Windows does not support host IP addresses in NAT settings"},
      {"[::1]:8080:80", "Windows does not support host IP addresses in NAT settings"},
      /* wctr's */
      {"0", "invalid containerPort: 0 (a port is 1 to 65535)"},
      {"8080:0", "invalid containerPort: 0 (a port is 1 to 65535)"},
      {"1-2000", "-p 1-2000: 2000 ports, more than the 1024 a container may publish"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_port *p = (spec_port *)(uintptr_t)1;
    size_t n = 77;
    wctr_errmsg e;
    if (spec_port_spec_parse(cases[i].raw, &p, &n, &e) == WCTR_OK) FAILF("-p \"%s\" accepted", cases[i].raw);
    assert_true(p == (spec_port *)(uintptr_t)1 && n == 77);
    if (strcmp(e.text, cases[i].message) != 0) FAILF("-p \"%s\": \"%s\"\n  wanted \"%s\"", cases[i].raw, e.text, cases[i].message);
  }
}

static void test_expose(void **state) {
  (void)state;
  spec_port *p = NULL;
  size_t n = 0;
  wctr_errmsg e;
  assert_int_equal(spec_expose_parse("8000-8002/udp", &p, &n, &e), WCTR_OK);
  assert_int_equal(n, 3);
  assert_int_equal(p[2].port, 8002);
  assert_int_equal(p[2].proto, SPEC_PROTO_UDP);
  assert_int_equal(p[0].host_port, 0);
  free(p);
  assert_int_equal(spec_expose_parse("80", &p, &n, &e), WCTR_OK);
  assert_int_equal(p[0].proto, SPEC_PROTO_TCP);
  free(p);
  static const struct refused_case cases[] = {
      {"8080:80", "invalid port format for --expose: 8080:80"},
      {"x", "invalid range format for --expose: x, error: strconv.ParseUint: parsing \"x\": invalid syntax"},
      {"70000", "invalid range format for --expose: 70000, error: strconv.ParseUint: parsing \"70000\": value out of "
                "range"},
      {"9-8", "invalid range format for --expose: 9-8, error: invalid range specified for port: 9-8"},
      {"80/sctp", "invalid protocol sctp"},
      {"0", "invalid containerPort: 0 (a port is 1 to 65535)"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    if (spec_expose_parse(cases[i].raw, &p, &n, &e) == WCTR_OK) FAILF("--expose %s accepted", cases[i].raw);
    if (strcmp(e.text, cases[i].message) != 0) FAILF("--expose %s: \"%s\"", cases[i].raw, e.text);
  }
}

static void test_addresses(void **state) {
  (void)state;
  uint8_t b[16];
  bool v6 = true;
  assert_true(spec_ip_parse("10.0.0.2", b, &v6));
  assert_false(v6);
  assert_int_equal(b[0], 10);
  assert_int_equal(b[3], 2);
  assert_true(spec_ip_parse("fe80::1", b, &v6));
  assert_true(v6);
  assert_int_equal(b[0], 0xfe);
  assert_int_equal(b[15], 1);
  assert_true(spec_ip_parse("::ffff:10.0.0.2", b, &v6));
  assert_int_equal(b[10], 0xff);
  assert_int_equal(b[12], 10);
  assert_true(spec_ip_parse("::", b, NULL));
  assert_true(spec_ip_parse("1:2:3:4:5:6:7:8", b, NULL));
  static const char *const bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "1.2.3.4 ", "1::2::3",
                                    "1:2:3:4:5:6:7:8:9", ":1::", "1:", "12345::", "g::1", "[::1]", "fe80::1%eth0"};
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    if (spec_ip_parse(bad[i], b, NULL)) FAILF("\"%s\" taken as an IP address", bad[i]);
  }
  char mac[SPEC_MAC_SIZE];
  wctr_errmsg e;
  assert_int_equal(spec_mac_parse("02-42-AC-11-00-02", mac, &e), WCTR_OK);
  assert_string_equal(mac, "02:42:ac:11:00:02");
  assert_int_equal(spec_mac_parse("02:42:ac:11:00:02", mac, &e), WCTR_OK);
  assert_int_equal(spec_mac_parse("02:42-ac:11:00:02", mac, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "six pairs of hex digits"));
  assert_int_equal(spec_mac_parse("02:42:ac:11:00", mac, &e), WCTR_EINVAL);
  assert_int_equal(spec_mac_parse("01:00:5e:00:00:01", mac, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "unicast"));
  assert_true(spec_network_name_valid("nat"));
  assert_true(spec_network_name_valid("shop_default"));
  assert_true(spec_network_name_valid("a.b-c_d"));
  assert_false(spec_network_name_valid("-x"));
  assert_false(spec_network_name_valid("a b"));
  assert_false(spec_network_name_valid(""));
}

static wctr_err parse(const char *json, spec_container *s, wctr_errmsg *e) {
  cJSON *params = cJSON_Parse(json);
  if (params == NULL) FAILF("test JSON does not parse: %s", json);
  wctr_err err = spec_from_json(params, "params", 4, s, NULL, e);
  cJSON_Delete(params);
  return err;
}

static void test_json_round_trip(void **state) {
  (void)state;
  static const char json[] =
      "{\"Image\":\"nanoserver\",\"Cmd\":[\"cmd\"],\"MacAddress\":\"02-42-AC-11-00-02\","
      "\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{},\"53/udp\":{}},"
      "\"HostConfig\":{\"Isolation\":\"process\",\"NetworkMode\":\"web\",\"PortBindings\":{\"80/tcp\":"
      "[{\"HostIp\":\"\",\"HostPort\":\"8080\"},{\"HostPort\":\"8081\"}],\"53/udp\":[{\"HostIp\":\"0.0.0.0\","
      "\"HostPort\":\"\"}]},\"PublishAllPorts\":true,\"Dns\":[\"10.0.0.2\",\"fe80::1\"],\"DnsSearch\":[\"corp.example\"]}}";
  spec_container s;
  wctr_errmsg e;
  if (parse(json, &s, &e) != WCTR_OK) FAILF("refused: %s", e.text);
  assert_string_equal(s.net.mode, "web");
  assert_string_equal(s.net.mac_address, "02:42:ac:11:00:02");
  assert_int_equal(s.net.publish_count, 3);
  /* sorted by port: 53/udp first, then 80's two bindings in their order */
  assert_int_equal(s.net.publish[0].port, 53);
  assert_int_equal(s.net.publish[0].host_port, 0);
  assert_string_equal(s.net.publish[0].host_ip, "0.0.0.0");
  assert_int_equal(s.net.publish[1].host_port, 8080);
  assert_int_equal(s.net.publish[2].host_port, 8081);
  assert_int_equal(s.net.expose_count, 3);
  assert_int_equal(s.net.expose[0].port, 53);
  assert_int_equal(s.net.expose[2].port, 443);
  assert_true(s.net.publish_all);
  assert_int_equal(s.net.dns_count, 2);
  assert_int_equal(s.net.dns_search_count, 1);
  assert_string_equal(spec_network_joined(&s.net), "web");
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  assert_true(spec_to_json(&s, config, hc, true));
  char *pb = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(hc, "PortBindings"));
  assert_string_equal(pb, "{\"53/udp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"\"}],\"80/tcp\":[{\"HostIp\":\"\","
                          "\"HostPort\":\"8080\"},{\"HostIp\":\"\",\"HostPort\":\"8081\"}]}");
  cJSON_free(pb);
  char *ep = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(config, "ExposedPorts"));
  assert_string_equal(ep, "{\"53/udp\":{},\"80/tcp\":{},\"443/tcp\":{}}");
  cJSON_free(ep);
  cJSON_AddItemToObject(config, "HostConfig", hc);
  spec_container again;
  if (spec_from_json(config, "params", 4, &again, NULL, &e) != WCTR_OK) FAILF("round trip refused: %s", e.text);
  assert_int_equal(again.net.publish_count, 3);
  assert_memory_equal(again.net.publish, s.net.publish, 3 * sizeof *s.net.publish);
  assert_memory_equal(again.net.expose, s.net.expose, 3 * sizeof *s.net.expose);
  assert_string_equal(again.net.mac_address, s.net.mac_address);
  spec_container copy;
  assert_int_equal(spec_copy(&again, &copy, &e), WCTR_OK);
  assert_string_equal(copy.net.dns[1], "fe80::1");
  assert_string_equal(copy.net.dns_search[0], "corp.example");
  spec_free(&copy);
  spec_free(&again);
  spec_free(&s);
  cJSON_Delete(config);
}

static void test_defaults_are_left_out(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(parse("{\"Image\":\"x\",\"Cmd\":[\"c\"]}", &s, &e), WCTR_OK);
  assert_null(s.net.mode);
  assert_string_equal(spec_network_mode(&s.net), "default");
  assert_string_equal(spec_network_joined(&s.net), "nat");
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  assert_true(spec_to_json(&s, config, hc, true));
  static const char *const absent[] = {"NetworkMode", "PortBindings", "PublishAllPorts", "Dns", "DnsSearch"};
  for (size_t i = 0; i < COUNT_OF(absent); i++) assert_null(cJSON_GetObjectItemCaseSensitive(hc, absent[i]));
  assert_null(cJSON_GetObjectItemCaseSensitive(config, "ExposedPorts"));
  assert_null(cJSON_GetObjectItemCaseSensitive(config, "MacAddress"));
  cJSON_Delete(config);
  cJSON_Delete(hc);
  spec_free(&s);
  /* A job container's default is the host's stack, and its record says so. */
  assert_int_equal(parse("{\"Image\":\"host\",\"Cmd\":[\"c\"],\"HostConfig\":{\"Isolation\":\"job\"}}", &s, &e), WCTR_OK);
  assert_string_equal(s.net.mode, "host");
  assert_null(spec_network_joined(&s.net));
  spec_free(&s);
  assert_int_equal(parse("{\"Image\":\"x\",\"Cmd\":[\"c\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}", &s, &e), WCTR_OK);
  assert_null(spec_network_joined(&s.net));
  spec_free(&s);
}

static void expect_refused(const char *json, const char *want) {
  spec_container s;
  wctr_errmsg e;
  if (parse(json, &s, &e) == WCTR_OK) FAILF("accepted: %s", json);
  if (strstr(e.text, want) == NULL) FAILF("%s\n  -> \"%s\"\n  wanted \"%s\"", json, e.text, want);
}

#define JOB(hc) "{\"Image\":\"host\",\"Cmd\":[\"c\"],\"HostConfig\":{\"Isolation\":\"job\"," hc "}}"
#define PROC(hc) "{\"Image\":\"x\",\"Cmd\":[\"c\"],\"HostConfig\":{\"Isolation\":\"process\"," hc "}}"

static void test_rules_per_isolation(void **state) {
  (void)state;
  expect_refused(JOB("\"NetworkMode\":\"nat\""), "--network nat: a job container shares the host's network stack");
  expect_refused(JOB("\"NetworkMode\":\"nat\""), "only --network host applies to it");
  expect_refused(JOB("\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"8080\"}]}"),
                 "-p/--publish: a job container shares the host's network stack (as a Kubernetes HostProcess container "
                 "does) and has no ports of its own to publish");
  expect_refused(JOB("\"PublishAllPorts\":true"), "-p/--publish-all (-P): a job container");
  expect_refused(JOB("\"Dns\":[\"10.0.0.2\"]"), "--dns: a job container");
  expect_refused(JOB("\"DnsSearch\":[\"a.b\"]"), "--dns-search: a job container");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"c\"],\"MacAddress\":\"02:00:00:00:00:01\",\"HostConfig\":{\"Isolation\":"
                 "\"job\"}}", "--mac-address: a job container");
  expect_refused(PROC("\"NetworkMode\":\"host\""), "--network host: only job containers (--isolation=job) share the "
                 "host's network stack");
  expect_refused(PROC("\"NetworkMode\":\"none\",\"PortBindings\":{\"80/tcp\":[{}]}"),
                 "-p/--publish with --network none: the container has no network to publish ports on");
  expect_refused(PROC("\"NetworkMode\":\"container:abc\""), "sharing another container's network is not supported");
  expect_refused(PROC("\"NetworkMode\":\"a b\""), "invalid network name \"a b\"");
  expect_refused(PROC("\"Dns\":[\"1.2.3\"]"), "IP address is not correctly formatted: 1.2.3");
  expect_refused(PROC("\"DnsSearch\":[\"-bad.example\"]"), "-bad.example is not a valid domain");
  expect_refused(PROC("\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"8080\"}],\"81/tcp\":[{\"HostPort\":\"8080\"}]}"),
                 "Bind for 0.0.0.0:8080 failed: port is already allocated");
  expect_refused(PROC("\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"8000-8001\"}]}"),
                 "Windows does not support more than one host port in NAT settings");
  expect_refused(PROC("\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"10.1.1.1\"}]}"),
                 "Windows does not support host IP addresses in NAT settings");
  expect_refused(PROC("\"PortBindings\":{\"80/sctp\":[{}]}"), "invalid protocol sctp");
  expect_refused(PROC("\"PortBindings\":{\"http\":[{}]}"), "params.HostConfig.PortBindings: \"http\" is not a port");
  expect_refused(PROC("\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"x\"}]}"), "invalid hostPort: x");
  expect_refused(PROC("\"PortBindings\":{\"80/tcp\":[{\"Host\":\"x\"}]}"), "Host");
  expect_refused(PROC("\"PortBindings\":{\"80/tcp\":{}}"), "must be an array");
  expect_refused("{\"Image\":\"x\",\"Cmd\":[\"c\"],\"ExposedPorts\":{\"0/tcp\":{}}}", "params.ExposedPorts: \"0/tcp\" is "
                 "not a port");
  expect_refused("{\"Image\":\"x\",\"Cmd\":[\"c\"],\"MacAddress\":\"zz\"}", "invalid MAC address \"zz\"");
  expect_refused(PROC("\"NetworkMode\":\"none\",\"PublishAllPorts\":true"), "-p/--publish-all (-P) with --network none");
  /* "." is Docker's "no search domains" */
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(parse(PROC("\"DnsSearch\":[\".\"]"), &s, &e), WCTR_OK);
  spec_free(&s);
  /* the same host port for tcp and udp is two mappings */
  assert_int_equal(parse(PROC("\"PortBindings\":{\"53/tcp\":[{\"HostPort\":\"53\"}],\"53/udp\":[{\"HostPort\":\"53\"}]}"),
                         &s, &e), WCTR_OK);
  assert_int_equal(s.net.publish_count, 2);
  spec_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_port_specs_accepted), cmocka_unit_test(test_port_specs_refused),
      cmocka_unit_test(test_expose),              cmocka_unit_test(test_addresses),
      cmocka_unit_test(test_json_round_trip),     cmocka_unit_test(test_defaults_are_left_out),
      cmocka_unit_test(test_rules_per_isolation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
