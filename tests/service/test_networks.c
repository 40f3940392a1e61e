/* tests/service/test_networks.c - service/networks.h over a fake HNS: the default adopted or created, what
 * is shown (Docker's NetworkResource), create with its refusals (names, drivers, overlapping subnets),
 * ownership (only wctrd's own networks are removed, pruned or re-created), in-use refusals from the
 * manager's records, records that survive a restart, and lookups by name, id and prefix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "service/networks.h"
#include "testutil.h"

#define FAILF(...)                                \
  do {                                            \
    char failf_[2048];                            \
    snprintf(failf_, sizeof failf_, __VA_ARGS__); \
    fail_msg("%s", failf_);                       \
  } while (0)

/* --- a fake HNS: networks as HNS answers them ---------------------------------------------------------- */

typedef struct fake_hns {
  cJSON *networks; /* array of properties */
  int creates, removes;
  int auto_subnet;
} fake_hns;

static fake_hns g_fake;
static cJSON *g_records; /* what the manager would answer */

static wctr_err f_list(void *ctx, cJSON **out, wctr_errmsg *e) {
  (void)e;
  *out = cJSON_Duplicate(((fake_hns *)ctx)->networks, true);
  return WCTR_OK;
}

/* When set, f_create keeps what <root>\networks holds at the moment HNS is asked (one record file): what a
 * crash during HcnCreateNetwork would leave on disk. */
static bool g_capture;
static char g_captured_name[128];
static char *g_captured;

static bool capture_one(void *ctx, const char *name, bool is_dir) {
  const char *dir = ctx;
  size_t len = strlen(name);
  if (is_dir || len < 6 || strcmp(name + len - 5, ".json") != 0) return true;
  char path[1300];
  if (wctr_fs_join(path, sizeof path, dir, name) != WCTR_OK) return true;
  size_t size = 0;
  free(g_captured);
  g_captured = NULL;
  if (wctr_fs_read_all(path, 1 << 20, &g_captured, &size) != WCTR_OK) g_captured = NULL;
  snprintf(g_captured_name, sizeof g_captured_name, "%s", name);
  return true;
}

static char g_root[512];

static wctr_err f_create(void *ctx, const char *id, const cJSON *doc, cJSON **props, wctr_errmsg *e) {
  (void)e;
  fake_hns *f = ctx;
  f->creates++;
  if (g_capture) {
    char dir[600];
    if (wctr_fs_join(dir, sizeof dir, g_root, "networks") == WCTR_OK) wctr_fs_list(dir, capture_one, dir);
  }
  cJSON *p = cJSON_Duplicate(doc, true);
  cJSON_AddStringToObject(p, "ID", id);
  if (cJSON_GetObjectItem(p, "Ipams") == NULL) {
    char ipams[300];
    snprintf(ipams, sizeof ipams, "[{\"Type\":\"Static\",\"Subnets\":[{\"IpAddressPrefix\":\"172.%d.0.0/16\",\"Routes\":"
             "[{\"NextHop\":\"172.%d.0.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]", f->auto_subnet, f->auto_subnet);
    f->auto_subnet++;
    cJSON_AddItemToObject(p, "Ipams", cJSON_Parse(ipams));
  }
  cJSON_DeleteItemFromObject(p, "Type"); /* HNS leaves NAT out */
  cJSON_AddItemToArray(f->networks, cJSON_Duplicate(p, true));
  *props = p;
  return WCTR_OK;
}

static wctr_err f_remove(void *ctx, const char *id, wctr_errmsg *e) {
  fake_hns *f = ctx;
  f->removes++;
  for (cJSON *n = f->networks->child; n != NULL; n = n->next) {
    if (strcmp(cJSON_GetObjectItem(n, "ID")->valuestring, id) == 0) {
      cJSON_Delete(cJSON_DetachItemViaPointer(f->networks, n));
      return WCTR_OK;
    }
  }
  return wctr_fail(e, WCTR_ENOENT, "no such network");
}

static void host_network(const char *id, const char *name, const char *type, const char *subnet) {
  cJSON *n = cJSON_CreateObject();
  cJSON_AddStringToObject(n, "ID", id);
  cJSON_AddStringToObject(n, "Name", name);
  if (type != NULL) cJSON_AddStringToObject(n, "Type", type);
  if (subnet != NULL) {
    char ipams[300];
    snprintf(ipams, sizeof ipams, "[{\"Subnets\":[{\"IpAddressPrefix\":\"%s\"}]}]", subnet);
    cJSON_AddItemToObject(n, "Ipams", cJSON_Parse(ipams));
  }
  cJSON_AddItemToArray(g_fake.networks, n);
}

static cJSON *records_of(void *ctx) {
  (void)ctx;
  return cJSON_Duplicate(g_records, true);
}

static svc_hns g_hns = {.ctx = &g_fake, .list = f_list, .create = f_create, .remove = f_remove};

static svc_networks *open_networks(void) {
  svc_networks *n = NULL;
  wctr_errmsg e;
  if (svc_networks_open(g_root, "wctr-1111222233334444", &g_hns, &n, &e) != WCTR_OK) FAILF("open: %s", e.text);
  svc_networks_set_records(n, records_of, NULL);
  return n;
}

static const svc_op *op(const char *name) {
  size_t count = 0;
  const svc_op *ops = svc_networks_ops(&count);
  for (size_t i = 0; i < count; i++) {
    if (strcmp(ops[i].name, name) == 0) return &ops[i];
  }
  FAILF("no operation %s", name);
  return NULL;
}

static wctr_err call(svc_networks *n, const char *name, const char *params, cJSON **result, wctr_errmsg *e) {
  cJSON *p = params != NULL ? cJSON_Parse(params) : NULL;
  if (params != NULL && p == NULL) FAILF("test JSON: %s", params);
  *result = NULL;
  svc_caller caller;
  memset(&caller, 0, sizeof caller);
  snprintf(caller.name, sizeof caller.name, "tester");
  wctr_err err = op(name)->call(n, &caller, p, result, e);
  cJSON_Delete(p);
  return err;
}

static const cJSON *by_name(const cJSON *list, const char *name) {
  const cJSON *n;
  cJSON_ArrayForEach(n, list) {
    if (strcmp(cJSON_GetObjectItem(n, "Name")->valuestring, name) == 0) return n;
  }
  return NULL;
}

static int setup(void **state) {
  (void)state;
  char unique[64];
  wctr_test_unique_name("wctr-networks", unique, sizeof unique);
#ifdef _WIN32
  snprintf(g_root, sizeof g_root, "C:\\%s", unique);
#else
  snprintf(g_root, sizeof g_root, "/tmp/%s", unique);
#endif
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(g_root, &e), WCTR_OK);
  memset(&g_fake, 0, sizeof g_fake);
  g_fake.networks = cJSON_CreateArray();
  g_fake.auto_subnet = 20;
  g_records = cJSON_CreateArray();
  g_hns.unavailable = NULL;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  cJSON_Delete(g_fake.networks);
  cJSON_Delete(g_records);
  wctr_errmsg e;
  wctr_fs_remove_tree(g_root, &e);
  return 0;
}

#define HOST_NAT "aaaaaaaa-0000-4000-8000-000000000001"
#define HOST_OTHER "bbbbbbbb-0000-4000-8000-000000000002"

/* The host's NAT network is adopted as "nat"; nothing is created; it cannot be removed or pruned. */
static void test_default_adopted(void **state) {
  (void)state;
  host_network(HOST_OTHER, "transparent1", "Transparent", NULL);
  host_network(HOST_NAT, "hostnat", NULL, "172.31.0.0/20"); /* NAT left out, as HNS does */
  svc_networks *n = open_networks();
  svc_networks_ensure_default(n);
  assert_int_equal(g_fake.creates, 0);
  rt_network r;
  wctr_errmsg e;
  assert_int_equal(svc_networks_resolve(n, "nat", &r, &e), WCTR_OK);
  assert_string_equal(r.hns_id, HOST_NAT);
  assert_int_equal(strlen(r.id), 64);
  cJSON *list = NULL;
  assert_int_equal(call(n, "network.list", NULL, &list, &e), WCTR_OK);
  const cJSON *nat = by_name(list, "nat");
  assert_non_null(nat);
  assert_string_equal(cJSON_GetObjectItem(nat, "Driver")->valuestring, "nat");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(nat, "Options"), "com.docker.network.windowsshim.hnsowned")->valuestring,
                      "true");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(nat, "IPAM"), "Config"), 0),
                                          "Subnet")->valuestring, "172.31.0.0/20");
  assert_non_null(by_name(list, "transparent1"));
  assert_string_equal(cJSON_GetObjectItem(by_name(list, "transparent1"), "Driver")->valuestring, "transparent");
  assert_non_null(by_name(list, "none"));
  assert_non_null(by_name(list, "host"));
  assert_null(by_name(list, "hostnat")); /* shown once, as nat */
  cJSON_Delete(list);
  cJSON *r2 = NULL;
  assert_int_equal(call(n, "network.remove", "{\"Id\":\"nat\"}", &r2, &e), WCTR_EACCES);
  assert_string_equal(e.text, "nat is a pre-defined network and cannot be removed");
  assert_int_equal(call(n, "network.remove", "{\"Id\":\"transparent1\"}", &r2, &e), WCTR_EACCES);
  assert_string_equal(e.text, "network transparent1 was not created by wctr: it is the host's, and wctr never removes it");
  assert_int_equal(call(n, "network.remove", "{\"Id\":\"none\"}", &r2, &e), WCTR_EACCES);
  assert_int_equal(call(n, "network.prune", NULL, &r2, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r2, "NetworksDeleted")), 0);
  cJSON_Delete(r2);
  assert_int_equal(g_fake.removes, 0);
  assert_int_equal(svc_networks_resolve(n, "nosuch", &r, &e), WCTR_ENOENT);
  assert_string_equal(e.text, "network nosuch not found");
  svc_networks_close(n);
}

/* A host without a NAT network gets wctrd's own "nat", labelled, recorded; it survives a restart. */
static void test_default_created(void **state) {
  (void)state;
  svc_networks *n = open_networks();
  svc_networks_ensure_default(n);
  assert_int_equal(g_fake.creates, 1);
  cJSON *list = NULL;
  wctr_errmsg e;
  assert_int_equal(call(n, "network.list", NULL, &list, &e), WCTR_OK);
  const cJSON *nat = by_name(list, "nat");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(nat, "Labels"), "com.wctr.network.owner")->valuestring,
                      "wctr-1111222233334444");
  assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(nat, "Options"), "com.docker.network.windowsshim.hnsowned"));
  char id[65];
  snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(nat, "Id")->valuestring);
  cJSON_Delete(list);
  svc_networks_close(n);
  /* Restarted: the record says it is wctrd's; nothing is created again. */
  n = open_networks();
  svc_networks_ensure_default(n);
  assert_int_equal(g_fake.creates, 1);
  rt_network r;
  assert_int_equal(svc_networks_resolve(n, "nat", &r, &e), WCTR_OK);
  assert_string_equal(r.id, id);
  /* HNS lost it (a host reset): made again with the same ids when a container needs it. */
  cJSON_Delete(cJSON_DetachItemFromArray(g_fake.networks, 0));
  assert_int_equal(svc_networks_resolve(n, "nat", &r, &e), WCTR_OK);
  assert_int_equal(g_fake.creates, 2);
  assert_string_equal(r.id, id);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(g_fake.networks, 0), "ID")->valuestring, r.hns_id);
  /* wctrd's own nat is still Docker's default: never removed, never pruned. */
  cJSON *res = NULL;
  assert_int_equal(call(n, "network.remove", "{\"Id\":\"nat\"}", &res, &e), WCTR_EACCES);
  assert_string_equal(e.text, "nat is a pre-defined network and cannot be removed");
  assert_int_equal(call(n, "network.prune", NULL, &res, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(res, "NetworksDeleted")), 0);
  cJSON_Delete(res);
  assert_int_equal(g_fake.removes, 0);
  svc_networks_close(n);
}

/* The events the networks report, as "action id-prefix name type" lines. */
static char g_events[1024];

static void record_event(void *ctx, const char *action, const char *id, const cJSON *attributes) {
  (void)ctx;
  size_t used = strlen(g_events);
  snprintf(g_events + used, sizeof g_events - used, "%s %.8s %s %s\n", action, id,
           cJSON_GetObjectItem(attributes, "name")->valuestring, cJSON_GetObjectItem(attributes, "type")->valuestring);
}

static void test_create_and_refusals(void **state) {
  (void)state;
  host_network(HOST_NAT, "nat", "NAT", "172.31.0.0/20");
  svc_networks *n = open_networks();
  g_events[0] = '\0';
  svc_networks_set_events(n, record_event, NULL);
  cJSON *r = NULL;
  wctr_errmsg e;
  assert_int_equal(call(n, "network.create", "{\"Name\":\"web\",\"Subnet\":\"10.50.0.0/24\",\"Labels\":{\"tier\":\"front\"}}",
                        &r, &e), WCTR_OK);
  char id[65];
  snprintf(id, sizeof id, "%s", cJSON_GetObjectItem(r, "Id")->valuestring);
  assert_string_equal(cJSON_GetObjectItem(r, "Warning")->valuestring, "");
  cJSON_Delete(r);
  static const struct {
    const char *params;
    wctr_err err;
    const char *message;
  } bad[] = {
      {"{\"Name\":\"web\"}", WCTR_EEXIST, "network with name web already exists"},
      {"{\"Name\":\"nat\"}", WCTR_EEXIST, "network with name nat already exists"},
      {"{\"Name\":\"none\"}", WCTR_EEXIST, "network with name none already exists"},
      {"{\"Name\":\"x\",\"Driver\":\"transparent\"}", WCTR_EINVAL, "--driver transparent: wctr creates nat networks only (use -d nat"},
      {"{\"Name\":\"x\",\"Subnet\":\"172.31.8.0/24\"}", WCTR_EINVAL,
       "Pool overlaps with other one on this address space (network nat, 172.31.0.0/20)"},
      {"{\"Name\":\"x\",\"Subnet\":\"10.0.0.0/8\"}", WCTR_EINVAL,
       "Pool overlaps with other one on this address space (network web, 10.50.0.0/24)"},
      {"{\"Name\":\"x\",\"Gateway\":\"10.1.0.1\"}", WCTR_EINVAL, "--gateway needs --subnet"},
      {"{\"Name\":\"x y\"}", WCTR_EINVAL, "invalid network name \"x y\""},
      {"{\"Name\":\"x\",\"Color\":\"red\"}", WCTR_EINVAL, "Color"},
      {"{\"Name\":\"x\",\"Labels\":{\"a\":1}}", WCTR_EINVAL, "params.Labels: \"a\" must be a string"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (call(n, "network.create", bad[i].params, &r, &e) != bad[i].err) FAILF("%s: %s", bad[i].params, e.text);
    if (strstr(e.text, bad[i].message) == NULL) FAILF("%s: \"%s\" lacks \"%s\"", bad[i].params, e.text, bad[i].message);
  }
  assert_int_equal(g_fake.creates, 1);
  /* Inspect by name, id, prefix; its running containers come from the manager's records. */
  char rec[1024];
  snprintf(rec, sizeof rec, "[{\"Id\":\"c1\",\"Name\":\"app\",\"State\":{\"Running\":true},\"Runtime\":{\"Network\":{"
           "\"NetworkID\":\"%s\",\"EndpointID\":\"ep-1\",\"IPAddress\":\"10.50.0.2\",\"IPPrefixLen\":24,\"MacAddress\":"
           "\"00:15:5d:00:00:01\"}}},{\"Id\":\"c2\",\"Name\":\"gone\",\"State\":{\"Running\":false},\"Runtime\":{"
           "\"Network\":{\"NetworkID\":\"%s\"}}}]", id, id);
  cJSON_Delete(g_records);
  g_records = cJSON_Parse(rec);
  char params[120];
  snprintf(params, sizeof params, "{\"Id\":\"%.10s\"}", id);
  assert_int_equal(call(n, "network.inspect", params, &r, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItem(r, "Name")->valuestring, "web");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Labels"), "tier")->valuestring, "front");
  const cJSON *containers = cJSON_GetObjectItem(r, "Containers");
  assert_int_equal(cJSON_GetArraySize(containers), 1);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(containers, "c1"), "IPv4Address")->valuestring, "10.50.0.2/24");
  cJSON_Delete(r);
  /* In use: not removed, not pruned. */
  snprintf(params, sizeof params, "{\"Id\":\"web\"}");
  assert_int_equal(call(n, "network.remove", params, &r, &e), WCTR_EBUSY);
  char want[300];
  snprintf(want, sizeof want, "error while removing network: network web id %s has active endpoints (container app)", id);
  assert_string_equal(e.text, want);
  assert_int_equal(call(n, "network.prune", NULL, &r, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "NetworksDeleted")), 0);
  cJSON_Delete(r);
  /* Filters of network ls. */
  assert_int_equal(call(n, "network.list", "{\"Filters\":{\"label\":[\"tier=front\"]}}", &r, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(r), 1);
  cJSON_Delete(r);
  assert_int_equal(call(n, "network.list", "{\"Filters\":{\"type\":[\"custom\"]}}", &r, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(r), 1);
  cJSON_Delete(r);
  assert_int_equal(call(n, "network.list", "{\"Filters\":{\"name\":[\"e\"],\"driver\":[\"null\"]}}", &r, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(r), 1); /* none */
  cJSON_Delete(r);
  assert_int_equal(call(n, "network.list", "{\"Filters\":{\"color\":[\"x\"]}}", &r, &e), WCTR_EINVAL);
  /* Stopped: pruned (the host's nat stays). */
  cJSON_Delete(g_records);
  g_records = cJSON_CreateArray();
  assert_int_equal(call(n, "network.prune", NULL, &r, &e), WCTR_OK);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "NetworksDeleted"), 0)->valuestring, "web");
  cJSON_Delete(r);
  assert_int_equal(g_fake.removes, 1);
  assert_int_equal(cJSON_GetArraySize(g_fake.networks), 1);
  /* Docker's events: one create, one destroy (by the prune); none for a refusal or the removal refused. */
  char want_events[200];
  snprintf(want_events, sizeof want_events, "create %.8s web nat\ndestroy %.8s web nat\n", id, id);
  assert_string_equal(g_events, want_events);
  svc_networks_close(n);
  /* Its record is gone too. */
  n = open_networks();
  assert_int_equal(call(n, "network.inspect", "{\"Id\":\"web\"}", &r, &e), WCTR_ENOENT);
  svc_networks_close(n);
}

/* A crash while HNS makes a network: the record is written first, marked Pending, so that the next wctrd knows
 * the network is its own when HNS has it (and can remove it), and drops the record when HNS never made it. */
static void crash_during_create(bool hns_made_it) {
  svc_networks *n = open_networks();
  cJSON *r = NULL;
  wctr_errmsg e;
  g_capture = true;
  assert_int_equal(call(n, "network.create", "{\"Name\":\"web\",\"Subnet\":\"10.50.0.0/24\"}", &r, &e), WCTR_OK);
  g_capture = false;
  cJSON_Delete(r);
  svc_networks_close(n);
  /* What was on disk while HNS worked: the record, Pending, with the HNS id HNS was asked for. */
  assert_non_null(g_captured);
  cJSON *pending = cJSON_Parse(g_captured);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(pending, "Pending")));
  const char *hns_id = cJSON_GetObjectItem(pending, "HnsId")->valuestring;
  assert_string_equal(hns_id, cJSON_GetObjectItem(cJSON_GetArrayItem(g_fake.networks, 0), "ID")->valuestring);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(pending, "Labels"), SVC_NETWORK_OWNER_LABEL)->valuestring,
                      "wctr-1111222233334444");
  cJSON_Delete(pending);
  /* The crash: the disk as it was then; HNS with or without the network. */
  char dir[600], path[1300];
  assert_int_equal(wctr_fs_join(dir, sizeof dir, g_root, "networks"), WCTR_OK);
  assert_int_equal(wctr_fs_join(path, sizeof path, dir, g_captured_name), WCTR_OK);
  assert_int_equal(wctr_fs_write_atomic(path, g_captured, strlen(g_captured), &e), WCTR_OK);
  if (!hns_made_it) cJSON_Delete(cJSON_DetachItemFromArray(g_fake.networks, 0));
  n = open_networks();
  if (hns_made_it) {
    assert_int_equal(call(n, "network.inspect", "{\"Id\":\"web\"}", &r, &e), WCTR_OK);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Labels"), SVC_NETWORK_OWNER_LABEL)->valuestring,
                        "wctr-1111222233334444");
    cJSON_Delete(r);
    /* The record was completed on disk ... */
    char *text = NULL;
    size_t size = 0;
    assert_int_equal(wctr_fs_read_all(path, 1 << 20, &text, &size), WCTR_OK);
    cJSON *done = cJSON_Parse(text);
    free(text);
    assert_null(cJSON_GetObjectItem(done, "Pending"));
    cJSON_Delete(done);
    /* ... and the network is wctrd's to remove. */
    assert_int_equal(call(n, "network.remove", "{\"Id\":\"web\"}", &r, &e), WCTR_OK);
    cJSON_Delete(r);
    assert_int_equal(cJSON_GetArraySize(g_fake.networks), 0);
  } else {
    assert_int_equal(call(n, "network.inspect", "{\"Id\":\"web\"}", &r, &e), WCTR_ENOENT);
    assert_false(wctr_fs_exists(path));
    /* The name is free again. */
    assert_int_equal(call(n, "network.create", "{\"Name\":\"web\"}", &r, &e), WCTR_OK);
    cJSON_Delete(r);
  }
  svc_networks_close(n);
  free(g_captured);
  g_captured = NULL;
}

static void test_crash_after_hns_made_it(void **state) {
  (void)state;
  crash_during_create(true);
}

static void test_crash_before_hns_made_it(void **state) {
  (void)state;
  crash_during_create(false);
}

/* A create that HNS refuses leaves no record (the Pending one goes). */
static wctr_err f_create_refused(void *ctx, const char *id, const cJSON *doc, cJSON **props, wctr_errmsg *e) {
  (void)ctx;
  (void)id;
  (void)doc;
  (void)props;
  return wctr_fail(e, WCTR_EINVAL, "HcnCreateNetwork: refused");
}

static void test_refused_create_leaves_no_record(void **state) {
  (void)state;
  g_hns.create = f_create_refused;
  svc_networks *n = open_networks();
  cJSON *r = NULL;
  wctr_errmsg e;
  assert_int_equal(call(n, "network.create", "{\"Name\":\"web\"}", &r, &e), WCTR_EINVAL);
  svc_networks_close(n);
  g_hns.create = f_create;
  n = open_networks();
  assert_int_equal(call(n, "network.inspect", "{\"Id\":\"web\"}", &r, &e), WCTR_ENOENT);
  svc_networks_close(n);
}

static void test_no_hns(void **state) {
  (void)state;
  g_hns.unavailable = "the Host Network Service is not available on this host";
  svc_networks *n = open_networks();
  svc_networks_ensure_default(n);
  rt_network r;
  wctr_errmsg e;
  assert_int_equal(svc_networks_resolve(n, "nat", &r, &e), WCTR_ENOTSUP);
  assert_string_equal(e.text, "the Host Network Service is not available on this host");
  cJSON *res = NULL;
  assert_int_equal(call(n, "network.create", "{\"Name\":\"web\"}", &res, &e), WCTR_ENOTSUP);
  assert_int_equal(call(n, "network.list", NULL, &res, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(res), 2); /* none and host */
  cJSON_Delete(res);
  svc_networks_close(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_default_adopted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_created, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_and_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crash_after_hns_made_it, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crash_before_hns_made_it, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_create_leaves_no_record, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_hns, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
