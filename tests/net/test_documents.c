/* tests/net/test_documents.c - net/document.h: the exact HNS documents wctr sends (and that the networking
 * double's validator accepts them), the utility VM's network requests, HNS answers read back, subnets, and
 * the ids of wctr's own objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_validate.h"
#include "net/document.h"
#include "testutil.h"

#define FAILF(...)                                \
  do {                                            \
    char failf_[2048];                            \
    snprintf(failf_, sizeof failf_, __VA_ARGS__); \
    fail_msg("%s", failf_);                       \
  } while (0)

#define NET_ID "8f4a2c7e-1b3d-4e5f-9a6b-7c8d9e0f1a2b"

static void expect_json(const cJSON *doc, const char *want) {
  char *text = cJSON_PrintUnformatted(doc);
  if (text == NULL || strcmp(text, want) != 0) FAILF("document\n  %s\nwanted\n  %s", text ? text : "(null)", want);
  cJSON_free(text);
}

static void test_network_document(void **state) {
  (void)state;
  cJSON *doc = NULL;
  wctr_errmsg e;
  char msg[512];
  assert_int_equal(net_doc_network("web", "172.20.0.0/16", NULL, &doc, &e), WCTR_OK);
  expect_json(doc, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Name\":\"web\",\"Type\":\"NAT\",\"Ipams\":[{\"Type\":"
                   "\"Static\",\"Subnets\":[{\"IpAddressPrefix\":\"172.20.0.0/16\",\"Routes\":[{\"NextHop\":"
                   "\"172.20.0.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]}");
  if (!hv_check_hcn_network(doc, msg, sizeof msg)) FAILF("validator: %s", msg);
  cJSON_Delete(doc);
  /* host bits are cleared; a gateway given is kept */
  assert_int_equal(net_doc_network("web", "10.9.8.7/24", "10.9.8.254", &doc, &e), WCTR_OK);
  const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "Ipams"), 0), "Subnets"), 0);
  assert_string_equal(cJSON_GetObjectItem(s, "IpAddressPrefix")->valuestring, "10.9.8.0/24");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(s, "Routes"), 0), "NextHop")->valuestring,
                      "10.9.8.254");
  cJSON_Delete(doc);
  /* without a subnet HNS chooses one */
  assert_int_equal(net_doc_network("nat", NULL, NULL, &doc, &e), WCTR_OK);
  expect_json(doc, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Name\":\"nat\",\"Type\":\"NAT\"}");
  if (!hv_check_hcn_network(doc, msg, sizeof msg)) FAILF("validator: %s", msg);
  cJSON_Delete(doc);
  static const struct {
    const char *name, *subnet, *gateway, *message;
  } bad[] = {
      {"web", "172.20.0.0", NULL, "--subnet 172.20.0.0: not a subnet (such as 172.20.0.0/16)"},
      {"web", "172.20.0.0/33", NULL, "--subnet 172.20.0.0/33: not a subnet"},
      {"web", "fd00::/64", NULL, "--subnet fd00::/64: only IPv4 subnets are supported on nat networks"},
      {"web", "10.0.0.0/31", NULL, "--subnet 10.0.0.0/31: a /31 has no room for containers"},
      {"web", NULL, "10.0.0.1", "--gateway needs --subnet"},
      {"web", "10.0.0.0/24", "10.0.1.1", "--gateway 10.0.1.1 is not in --subnet 10.0.0.0/24"},
      {"web", "10.0.0.0/24", "x", "--gateway x: not an IP address"},
      {"web", "10.0.0.0/24", "10.0.0.0", "--gateway 10.0.0.0: the subnet's own address"},
      {"web", "10.0.0.0/24", "10.0.0.255", "--gateway 10.0.0.255: the subnet's own address or its broadcast"},
      {"-web", NULL, NULL, "invalid network name \"-web\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    doc = (cJSON *)(uintptr_t)1;
    if (net_doc_network(bad[i].name, bad[i].subnet, bad[i].gateway, &doc, &e) == WCTR_OK) FAILF("case %zu accepted", i);
    assert_null(doc);
    if (strstr(e.text, bad[i].message) == NULL) FAILF("case %zu: \"%s\" lacks \"%s\"", i, e.text, bad[i].message);
  }
}

static void test_endpoint_document(void **state) {
  (void)state;
  spec_port ports[2] = {{.port = 80, .host_port = 8080, .proto = SPEC_PROTO_TCP},
                        {.port = 53, .host_port = 5353, .proto = SPEC_PROTO_UDP}};
  char *dns[] = {"10.0.0.2", "10.0.0.3"};
  net_endpoint_input in = {.network_id = NET_ID, .name = "wctr-1_abc", .ports = ports, .port_count = 2,
                           .mac_address = "02:42:ac:11:00:02", .dns = dns, .dns_count = 2};
  cJSON *doc = NULL;
  wctr_errmsg e;
  char msg[512];
  assert_int_equal(net_doc_endpoint(&in, &doc, &e), WCTR_OK);
  expect_json(doc, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Name\":\"wctr-1_abc\",\"HostComputeNetwork\":\"" NET_ID
                   "\",\"Policies\":[{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
                   "\"ExternalPort\":8080}},{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53,"
                   "\"ExternalPort\":5353}}],\"MacAddress\":\"02-42-ac-11-00-02\",\"Dns\":{\"ServerList\":[\"10.0.0.2\","
                   "\"10.0.0.3\"]}}");
  if (!hv_check_hcn_endpoint(doc, msg, sizeof msg)) FAILF("validator: %s", msg);
  cJSON_Delete(doc);
  /* the least one: no ports, no MAC, no DNS */
  net_endpoint_input bare = {.network_id = NET_ID, .name = "x"};
  assert_int_equal(net_doc_endpoint(&bare, &doc, &e), WCTR_OK);
  expect_json(doc, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Name\":\"x\",\"HostComputeNetwork\":\"" NET_ID "\"}");
  if (!hv_check_hcn_endpoint(doc, msg, sizeof msg)) FAILF("validator: %s", msg);
  cJSON_Delete(doc);
  spec_port undecided = {.port = 80, .proto = SPEC_PROTO_TCP};
  net_endpoint_input late = {.network_id = NET_ID, .ports = &undecided, .port_count = 1};
  assert_int_equal(net_doc_endpoint(&late, &doc, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "80/tcp has no host port"));
  net_endpoint_input nonet = {.network_id = "nat"};
  assert_int_equal(net_doc_endpoint(&nonet, &doc, &e), WCTR_EINVAL);
}

static void test_namespace_and_queries(void **state) {
  (void)state;
  char msg[512];
  cJSON *ns = net_doc_namespace();
  expect_json(ns, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}");
  assert_true(hv_check_hcn_namespace(ns, msg, sizeof msg));
  cJSON_Delete(ns);
  cJSON *add = net_doc_namespace_endpoint(NET_ID, true);
  expect_json(add, "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\",\"Settings\":{\"EndpointId\":\"" NET_ID "\"}}");
  bool is_add = false;
  const char *ep = NULL;
  if (!hv_check_hcn_namespace_modify(add, &is_add, &ep, msg, sizeof msg)) FAILF("validator: %s", msg);
  assert_true(is_add);
  assert_string_equal(ep, NET_ID);
  cJSON_Delete(add);
  cJSON *rm = net_doc_namespace_endpoint(NET_ID, false);
  assert_true(hv_check_hcn_namespace_modify(rm, &is_add, &ep, msg, sizeof msg));
  assert_false(is_add);
  cJSON_Delete(rm);
  cJSON *q = net_doc_query("Name", "nat");
  expect_json(q, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Filter\":\"{\\\"Name\\\":\\\"nat\\\"}\"}");
  assert_true(hv_check_hcn_query(q, msg, sizeof msg));
  cJSON_Delete(q);
  q = net_doc_query(NULL, NULL);
  expect_json(q, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}");
  assert_true(hv_check_hcn_query(q, msg, sizeof msg));
  cJSON_Delete(q);
  /* a dry run's stand-ins for HNS's answers */
  cJSON *planned = net_doc_planned_props(NET_ID, "11111111-2222-3333-4444-555555555555");
  expect_json(planned, "{\"ID\":\"" NET_ID "\",\"HostComputeNetwork\":\"11111111-2222-3333-4444-555555555555\","
                       "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}");
  cJSON_Delete(planned);
  planned = net_doc_planned_props(NET_ID, NULL);
  expect_json(planned, "{\"ID\":\"" NET_ID "\",\"Type\":\"Host\",\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}");
  cJSON_Delete(planned);
  /* the validator is strict: an unknown field, a Filter that is not JSON */
  cJSON *badq = cJSON_Parse("{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Filter\":\"Name=nat\"}");
  assert_false(hv_check_hcn_query(badq, msg, sizeof msg));
  cJSON_Delete(badq);
  cJSON *badns = cJSON_Parse("{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Owner\":\"x\"}");
  assert_false(hv_check_hcn_namespace(badns, msg, sizeof msg));
  assert_non_null(strstr(msg, "Owner"));
  cJSON_Delete(badns);
}

static void test_utility_vm_requests(void **state) {
  (void)state;
  char msg[512];
  cJSON *ns = cJSON_Parse("{\"ID\":\"" NET_ID "\",\"Type\":\"Host\",\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}");
  cJSON *g = net_doc_guest_namespace(ns, true);
  expect_json(g, "{\"GuestRequest\":{\"ResourceType\":\"NetworkNamespace\",\"RequestType\":\"Add\",\"Settings\":"
                 "{\"ID\":\"" NET_ID "\",\"Type\":\"Host\",\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}}}");
  if (!hv_check_modify_setting(g, true, msg, sizeof msg)) FAILF("validator: %s", msg);
  cJSON_Delete(g);
  cJSON_Delete(ns);
  cJSON *ep = cJSON_Parse("{\"ID\":\"11111111-2222-4333-8444-555555555555\",\"HostComputeNetwork\":\"" NET_ID
                          "\",\"MacAddress\":\"00-15-5D-00-00-01\",\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}");
  cJSON *pre = net_doc_guest_nic_preadd("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", ep);
  if (!hv_check_modify_setting(pre, true, msg, sizeof msg)) FAILF("validator: %s", msg);
  expect_json(cJSON_GetObjectItem(cJSON_GetObjectItem(pre, "GuestRequest"), "Settings"),
              "{\"AdapterId\":\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\",\"RequestType\":\"PreAdd\",\"Settings\":{\"ID\":"
              "\"11111111-2222-4333-8444-555555555555\",\"HostComputeNetwork\":\"" NET_ID "\",\"MacAddress\":"
              "\"00-15-5D-00-00-01\",\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}}");
  cJSON_Delete(pre);
  cJSON_Delete(ep);
  cJSON *nic = net_doc_vm_nic("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "11111111-2222-4333-8444-555555555555",
                              "00-15-5D-00-00-01", true);
  expect_json(nic, "{\"ResourcePath\":\"VirtualMachine/Devices/NetworkAdapters/aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\","
                   "\"RequestType\":\"Add\",\"Settings\":{\"EndpointId\":\"11111111-2222-4333-8444-555555555555\","
                   "\"MacAddress\":\"00-15-5D-00-00-01\"},\"GuestRequest\":{\"ResourceType\":\"Network\",\"RequestType\":"
                   "\"Add\",\"Settings\":{\"AdapterId\":\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\",\"RequestType\":\"Add\"}}}");
  if (!hv_check_modify_setting(nic, true, msg, sizeof msg)) FAILF("validator: %s", msg);
  assert_false(hv_check_modify_setting(nic, false, msg, sizeof msg)); /* a container has no guest */
  cJSON_Delete(nic);
  nic = net_doc_vm_nic("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "11111111-2222-4333-8444-555555555555", NULL, false);
  if (!hv_check_modify_setting(nic, true, msg, sizeof msg)) FAILF("validator: %s", msg);
  cJSON_Delete(nic);
}

static void test_answers(void **state) {
  (void)state;
  net_network_info n;
  net_endpoint_info ep;
  wctr_errmsg e;
  cJSON *props = cJSON_Parse("{\"ID\":\"8F4A2C7E-1B3D-4E5F-9A6B-7C8D9E0F1A2B\",\"Name\":\"nat\",\"Ipams\":[{\"Type\":"
                             "\"Static\",\"Subnets\":[{\"IpAddressPrefix\":\"172.31.16.0/20\",\"Routes\":[{\"NextHop\":"
                             "\"172.31.16.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]}");
  assert_int_equal(net_network_info_read(props, &n, &e), WCTR_OK);
  assert_string_equal(n.id, NET_ID);
  assert_string_equal(n.type, "NAT"); /* left out by HNS for NAT */
  assert_string_equal(n.subnet, "172.31.16.0/20");
  assert_string_equal(n.gateway, "172.31.16.1");
  net_cidr sub[4];
  assert_int_equal(net_network_subnets(props, sub, 4), 1);
  assert_int_equal(sub[0].prefix, 20);
  cJSON_Delete(props);
  props = cJSON_Parse("{\"Name\":\"x\"}");
  assert_int_equal(net_network_info_read(props, &n, &e), WCTR_EINVAL);
  cJSON_Delete(props);
  props = cJSON_Parse("{\"ID\":\"11111111-2222-4333-8444-555555555555\",\"HostComputeNetwork\":\"" NET_ID
                      "\",\"IpConfigurations\":[{\"IpAddress\":\"172.31.16.5\",\"PrefixLength\":20}],\"MacAddress\":"
                      "\"00-15-5D-AA-BB-CC\",\"Routes\":[{\"NextHop\":\"172.31.16.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}");
  assert_int_equal(net_endpoint_info_read(props, &ep, &e), WCTR_OK);
  assert_string_equal(ep.ip, "172.31.16.5");
  assert_int_equal(ep.prefix, 20);
  assert_string_equal(ep.mac, "00:15:5d:aa:bb:cc");
  assert_string_equal(ep.gateway, "172.31.16.1");
  assert_string_equal(ep.network_id, NET_ID);
  cJSON_Delete(props);
}

static void test_subnets(void **state) {
  (void)state;
  net_cidr a, b, c;
  char text[NET_CIDR_SIZE];
  assert_true(net_cidr_parse("172.20.5.9/16", &a));
  net_cidr_format(&a, text, sizeof text);
  assert_string_equal(text, "172.20.0.0/16");
  assert_true(net_cidr_parse("172.20.128.0/17", &b));
  assert_true(net_cidr_parse("172.21.0.0/16", &c));
  assert_true(net_cidr_overlap(&a, &b));
  assert_true(net_cidr_overlap(&b, &a));
  assert_false(net_cidr_overlap(&a, &c));
  net_cidr all;
  assert_true(net_cidr_parse("0.0.0.0/0", &all));
  assert_true(net_cidr_overlap(&all, &c));
  net_cidr v6;
  assert_true(net_cidr_parse("fd00:1::/64", &v6));
  assert_false(net_cidr_overlap(&v6, &all));
  net_cidr_format(&v6, text, sizeof text);
  assert_string_equal(text, "fd00:1::/64");
  net_cidr_first_host(&a, text, sizeof text);
  assert_string_equal(text, "172.20.0.1");
  static const char *const bad[] = {"", "10.0.0.0", "10.0.0.0/", "/8", "10.0.0.0/x", "10.0.0.0/0008", "10.0.0/8",
                                    "::/129"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (net_cidr_parse(bad[i], &a)) FAILF("\"%s\" taken as a subnet", bad[i]);
  }
}

static void test_ids(void **state) {
  (void)state;
  char a[NET_GUID_SIZE], b[NET_GUID_SIZE], c[NET_GUID_SIZE], d[NET_GUID_SIZE];
  net_guid_for("wctr-0123456789abcdef", "c1", "endpoint", a);
  net_guid_for("wctr-0123456789abcdef", "c1", "endpoint", b);
  net_guid_for("wctr-0123456789abcdef", "c1", "namespace", c);
  net_guid_for("wctr-fedcba9876543210", "c1", "endpoint", d);
  assert_true(net_guid_valid(a));
  assert_string_equal(a, b);      /* deterministic */
  assert_string_not_equal(a, c);  /* per object */
  assert_string_not_equal(a, d);  /* per data root */
  assert_int_equal(a[14], '5');   /* version 5 */
  assert_true(strchr("89ab", a[19]) != NULL);
  char name[NET_ENDPOINT_NAME_SIZE];
  net_endpoint_name("wctr-0123456789abcdef", "abc", name);
  assert_string_equal(name, "wctr-0123456789abcdef_abc");
  char id1[NET_ID_SIZE], id2[NET_ID_SIZE];
  net_id_for_hns(NET_ID, id1);
  net_id_for_hns("8F4A2C7E-1B3D-4E5F-9A6B-7C8D9E0F1A2B", id2);
  assert_int_equal(strlen(id1), 64);
  assert_string_equal(id1, id2);
  assert_false(net_guid_valid("{" NET_ID "}"));
  assert_false(net_guid_valid("8f4a2c7e-1b3d-4e5f-9a6b-7c8d9e0f1a2"));
  char mac[SPEC_MAC_SIZE];
  net_mac_docker_form("00-15-5D-01-02-03", mac);
  assert_string_equal(mac, "00:15:5d:01:02:03");
  net_mac_docker_form("nonsense", mac);
  assert_string_equal(mac, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_network_document),  cmocka_unit_test(test_endpoint_document),
      cmocka_unit_test(test_namespace_and_queries), cmocka_unit_test(test_utility_vm_requests),
      cmocka_unit_test(test_answers),           cmocka_unit_test(test_subnets),
      cmocka_unit_test(test_ids),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
