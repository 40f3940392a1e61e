/* tests/gmsa/test_ccg.c - Container Credential Guard documents (gmsa/ccg.h), checked by the HCS test
 * double's own validator (tests/hcs_double/hcsd_validate.c and its schema table, portable), so the
 * requests are exactly what the double accepts and the answers are the shape the double returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gmsa/ccg.h"
#include "gmsa/gmsa_util.h"
#include "hcsd_validate.h"
#include "secret_watch.h"
#include "credspec_sample.h"
#include "testutil.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SECRET SAMPLE_SPEC_SECRET

/* What the double answers for one LRPC and one HvSocket instance (hcsd_service_win.c's shape). */
static const char answer[] =
    "{\"Properties\":[{\"Instances\":["
    "{\"Id\":\"aaaa\",\"CredentialGuard\":{\"Cookie\":\"Y29va2ll\",\"RpcEndpoint\":\"ep-a\",\"Transport\":\"LRPC\","
    "\"CredentialSpec\":\"{}\"}},"
    "{\"Id\":\"" ID "\",\"CredentialGuard\":{\"Cookie\":\"b3RoZXI=\",\"RpcEndpoint\":\"ep-b\",\"Transport\":\"HvSocket\","
    "\"CredentialSpec\":\"{\\\"x\\\":1}\"},\"HvSocketConfig\":{\"ServiceId\":\"c0ffee00-1111-2222-3333-444455556666\","
    "\"ServiceConfig\":{\"BindSecurityDescriptor\":\"D:P(A;;FA;;;SY)(A;;FA;;;BA)\",\"ConnectSecurityDescriptor\":"
    "\"D:P(A;;FA;;;SY)(A;;FA;;;BA)\",\"AllowWildcardBinds\":true}}},"
    "{\"Id\":\"cccc\",\"CredentialGuard\":{\"Cookie\":\"Yw==\",\"RpcEndpoint\":\"ep-c\",\"Transport\":\"LRPC\","
    "\"CredentialSpec\":\"{}\"}}]}]}";

static void check_modification(const char *text, hv_service_request want) {
  char msg[1200];
  cJSON *doc = hv_parse(text, "ModificationRequest", msg, sizeof msg);
  if (doc == NULL) fail_msg("%s", msg);
  hv_service_request got = HV_CPU_GROUP;
  if (!hv_check_service_modification(doc, &got, msg, sizeof msg)) fail_msg("the double refuses: %s", msg);
  assert_int_equal(got, want);
  cJSON_Delete(doc);
}

static void test_add_request(void **state) {
  (void)state;
  wctr_errmsg e;
  char *req = NULL;
  assert_int_equal(gmsa_ccg_add_request(ID, sample_spec, GMSA_CCG_LRPC, &req, &e), WCTR_OK);
  check_modification(req, HV_CCG_ADD);
  cJSON *doc = cJSON_Parse(req);
  assert_string_equal(cJSON_GetObjectItem(doc, "PropertyType")->valuestring, "ContainerCredentialGuard");
  cJSON *settings = cJSON_GetObjectItem(doc, "Settings");
  assert_string_equal(cJSON_GetObjectItem(settings, "Operation")->valuestring, "AddInstance");
  cJSON *details = cJSON_GetObjectItem(settings, "OperationDetails");
  assert_string_equal(cJSON_GetObjectItem(details, "Id")->valuestring, ID);
  assert_string_equal(cJSON_GetObjectItem(details, "Transport")->valuestring, "LRPC");
  /* The spec travels as a string holding the JSON, exactly as given. */
  assert_true(cJSON_IsString(cJSON_GetObjectItem(details, "CredentialSpec")));
  assert_string_equal(cJSON_GetObjectItem(details, "CredentialSpec")->valuestring, sample_spec);
  assert_int_equal(cJSON_GetArraySize(details), 3);
  gmsa_json_secure_delete(doc);
  gmsa_secret_free(req);

  assert_int_equal(gmsa_ccg_add_request(ID, sample_spec, GMSA_CCG_HVSOCKET, &req, &e), WCTR_OK);
  check_modification(req, HV_CCG_ADD);
  assert_non_null(strstr(req, "\"Transport\":\"HvSocket\""));
  gmsa_secret_free(req);
}

static void test_add_request_errors(void **state) {
  (void)state;
  wctr_errmsg e;
  char *req = (char *)"untouched";
  assert_int_equal(gmsa_ccg_add_request("", sample_spec, GMSA_CCG_LRPC, &req, &e), WCTR_EINVAL);
  assert_null(req);
  assert_string_equal(e.text, "CCG instance: the container id is empty");
  assert_int_equal(gmsa_ccg_add_request("a\nb", sample_spec, GMSA_CCG_LRPC, &req, &e), WCTR_EINVAL);
  assert_int_equal(gmsa_ccg_add_request(ID, "[1]", GMSA_CCG_LRPC, &req, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "CCG instance: the credential spec is not a JSON object");
  assert_int_equal(gmsa_ccg_add_request(ID, "{\"" SECRET, GMSA_CCG_LRPC, &req, &e), WCTR_EINVAL);
  assert_null(strstr(e.text, SECRET));
  assert_int_equal(gmsa_ccg_add_request(ID, NULL, GMSA_CCG_LRPC, &req, &e), WCTR_EINVAL);
  assert_int_equal(gmsa_ccg_add_request(ID, sample_spec, (gmsa_ccg_transport)7, &req, &e), WCTR_EINVAL);
  assert_null(gmsa_ccg_transport_name((gmsa_ccg_transport)7));
}

static void test_remove_request_and_query(void **state) {
  (void)state;
  wctr_errmsg e;
  char *req = NULL;
  assert_int_equal(gmsa_ccg_remove_request(ID, &req, &e), WCTR_OK);
  check_modification(req, HV_CCG_REMOVE);
  assert_string_equal(req, "{\"PropertyType\":\"ContainerCredentialGuard\",\"Settings\":{\"Operation\":"
                           "\"RemoveInstance\",\"OperationDetails\":{\"Id\":\"" ID "\"}}}");
  cJSON_free(req);
  assert_int_equal(gmsa_ccg_remove_request(NULL, &req, &e), WCTR_EINVAL);
  /* The query is one the double's service accepts. */
  static const char *const types[] = {"Basic", "CpuGroup", "ProcessorTopology", "ContainerCredentialGuard",
                                      "QoSCapabilities", NULL};
  char msg[600];
  cJSON *q = hv_parse(GMSA_CCG_QUERY, "PropertyQuery", msg, sizeof msg);
  assert_non_null(q);
  if (!hv_check_property_query(q, types, msg, sizeof msg)) fail_msg("%s", msg);
  cJSON_Delete(q);
}

static void test_find_instance_and_put_in_documents(void **state) {
  (void)state;
  wctr_errmsg e;
  gmsa_ccg_instance inst;
  assert_int_equal(gmsa_ccg_find_instance(answer, ID, &inst, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItem(inst.credential_guard, "RpcEndpoint")->valuestring, "ep-b");
  assert_string_equal(inst.service_id, "c0ffee00-1111-2222-3333-444455556666");
  assert_non_null(inst.service_config);

  /* A process container document with the CCG state: valid for the double's ComputeSystem schema. */
  cJSON *cs = cJSON_Parse("{\"Owner\":\"wctr\",\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Container\":{}}");
  cJSON *container = cJSON_GetObjectItem(cs, "Container");
  assert_int_equal(gmsa_ccg_put_in_container(container, &inst, &e), WCTR_OK);
  assert_int_equal(gmsa_ccg_put_in_container(container, &inst, &e), WCTR_EEXIST);
  char msg[1200];
  hv_system_kind kind;
  if (!hv_check_compute_system(cs, &kind, msg, sizeof msg)) fail_msg("%s", msg);
  assert_string_equal(
      cJSON_GetObjectItem(cJSON_GetObjectItem(container, "ContainerCredentialGuard"), "Cookie")->valuestring,
      "b3RoZXI=");
  gmsa_json_secure_delete(cs);

  /* The utility VM's HvSocket service table. */
  cJSON *vm = cJSON_Parse("{\"Owner\":\"wctr\",\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"VirtualMachine\":{"
                          "\"Devices\":{\"HvSocket\":{\"HvSocketConfig\":{\"DefaultBindSecurityDescriptor\":"
                          "\"D:P(A;;FA;;;SY)(A;;FA;;;BA)\"}}}}}");
  cJSON *hvc = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(vm, "VirtualMachine"),
                                                                           "Devices"),
                                                       "HvSocket"),
                                   "HvSocketConfig");
  assert_int_equal(gmsa_ccg_put_in_vm(hvc, &inst, &e), WCTR_OK);
  assert_int_equal(gmsa_ccg_put_in_vm(hvc, &inst, &e), WCTR_EEXIST);
  if (!hv_check_compute_system(vm, &kind, msg, sizeof msg)) fail_msg("%s", msg);
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(hvc, "ServiceTable"), "c0ffee00-1111-2222-3333-444455556666"));
  cJSON_Delete(vm);
  gmsa_ccg_instance_free(&inst);
  assert_null(inst.credential_guard);

  /* An LRPC instance has no VM service. */
  assert_int_equal(gmsa_ccg_find_instance(answer, "aaaa", &inst, &e), WCTR_OK);
  assert_null(inst.service_id);
  cJSON *empty = cJSON_CreateObject();
  assert_int_equal(gmsa_ccg_put_in_vm(empty, &inst, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "CCG instance: an LRPC instance has no HvSocket service for a utility VM");
  cJSON_Delete(empty);
  gmsa_ccg_instance_free(&inst);
  gmsa_ccg_instance_free(NULL);
}

static void expect_bad_answer(const char *text, const char *id, wctr_err code, const char *message) {
  wctr_errmsg e;
  gmsa_ccg_instance inst;
  assert_int_equal(gmsa_ccg_find_instance(text, id, &inst, &e), code);
  if (strcmp(e.text, message) != 0) fail_msg("got \"%s\"\nwanted \"%s\"", e.text, message);
  assert_null(inst.credential_guard);
  assert_null(inst.service_id);
}

static void test_find_instance_errors(void **state) {
  (void)state;
  expect_bad_answer(answer, "dddd", WCTR_ENOENT,
                    "CCG instance: HCS lists no Container Credential Guard instance for dddd");
  expect_bad_answer("{\"Properties\":[{}]}", "x", WCTR_ENOENT,
                    "CCG instance: HCS lists no Container Credential Guard instance for x");
  expect_bad_answer("not json", "x", WCTR_EINVAL, "ContainerCredentialGuard properties: not JSON");
  expect_bad_answer("{\"Properties\":{}}", "x", WCTR_EINVAL,
                    "ContainerCredentialGuard properties: Properties must be an array");
  expect_bad_answer("{\"Properties\":[{\"Instances\":{}}]}", "x", WCTR_EINVAL,
                    "ContainerCredentialGuard properties: Properties[0].Instances must be an array");
  expect_bad_answer("{\"Properties\":[{\"Instances\":[{\"Id\":7}]}]}", "x", WCTR_EINVAL,
                    "ContainerCredentialGuard properties: Properties[0].Instances[0].Id must be a string");
  expect_bad_answer("{\"Properties\":[{\"Instances\":[{\"Id\":\"x\"}]}]}", "x", WCTR_EINVAL,
                    "ContainerCredentialGuard properties: Properties[0].Instances[0].CredentialGuard must be an object");
  expect_bad_answer("{\"Properties\":[{\"Instances\":[{\"Id\":\"x\",\"CredentialGuard\":{\"Cookie\":\"c\","
                    "\"RpcEndpoint\":\"\",\"Transport\":\"LRPC\"}}]}]}",
                    "x", WCTR_EINVAL,
                    "ContainerCredentialGuard properties: Properties[0].Instances[0].CredentialGuard.RpcEndpoint must "
                    "be a non-empty string");
  expect_bad_answer("{\"Properties\":[{\"Instances\":[{\"Id\":\"x\",\"CredentialGuard\":{\"Cookie\":\"c\","
                    "\"RpcEndpoint\":\"r\",\"Transport\":\"TCP\"}}]}]}",
                    "x", WCTR_EINVAL,
                    "ContainerCredentialGuard properties: Properties[0].Instances[0].CredentialGuard.Transport must be "
                    "\"LRPC\" or \"HvSocket\"");
  expect_bad_answer("{\"Properties\":[{\"Instances\":[{\"Id\":\"x\",\"CredentialGuard\":{\"Cookie\":\"c\","
                    "\"RpcEndpoint\":\"r\",\"Transport\":\"HvSocket\"},\"HvSocketConfig\":{\"ServiceId\":\"{nope}\"}}]}]}",
                    "x", WCTR_EINVAL,
                    "ContainerCredentialGuard properties: Properties[0].Instances[0].HvSocketConfig.ServiceId must be "
                    "a GUID (an HvSocket instance needs one)");
}

static void test_sweep(void **state) {
  (void)state;
  wctr_errmsg e;
  char **ids = NULL;
  size_t n = 99;
  /* aaaa: ours and running (kept); ID: ours, not running (swept); cccc: not ours (never touched). */
  const char *owned[] = {"aaaa", ID, "zzzz"};
  const char *running[] = {"aaaa"};
  assert_int_equal(gmsa_ccg_sweep(answer, owned, 3, running, 1, &ids, &n, &e), WCTR_OK);
  assert_int_equal(n, 1);
  assert_string_equal(ids[0], ID);
  gmsa_ccg_ids_free(ids, n);
  /* Nothing running: both of ours, in HCS's order. */
  assert_int_equal(gmsa_ccg_sweep(answer, owned, 3, NULL, 0, &ids, &n, &e), WCTR_OK);
  assert_int_equal(n, 2);
  assert_string_equal(ids[0], "aaaa");
  assert_string_equal(ids[1], ID);
  gmsa_ccg_ids_free(ids, n);
  /* Nothing owned: nothing swept, whatever HCS lists. */
  assert_int_equal(gmsa_ccg_sweep(answer, NULL, 0, NULL, 0, &ids, &n, &e), WCTR_OK);
  assert_int_equal(n, 0);
  assert_null(ids);
  /* An id listed twice by HCS is removed once. */
  const char *twice = "{\"Properties\":[{\"Instances\":[{\"Id\":\"aaaa\"},{\"Id\":\"aaaa\"}]},{\"Instances\":null}]}";
  assert_int_equal(gmsa_ccg_sweep(twice, owned, 1, NULL, 0, &ids, &n, &e), WCTR_OK);
  assert_int_equal(n, 1);
  gmsa_ccg_ids_free(ids, n);
  assert_int_equal(gmsa_ccg_sweep("[]", owned, 1, NULL, 0, &ids, &n, &e), WCTR_EINVAL);
  assert_null(ids);
}

/* The tree forms are the same documents as the text forms. */
static void test_tree_forms(void **state) {
  (void)state;
  wctr_errmsg e;
  cJSON *tree = NULL;
  char *text = NULL;
  assert_int_equal(gmsa_ccg_add_settings(ID, sample_spec, GMSA_CCG_HVSOCKET, &tree, &e), WCTR_OK);
  assert_int_equal(gmsa_ccg_add_request(ID, sample_spec, GMSA_CCG_HVSOCKET, &text, &e), WCTR_OK);
  char *printed = cJSON_PrintUnformatted(tree);
  assert_string_equal(printed, text);
  cJSON_free(printed);
  gmsa_secret_free(text);
  gmsa_json_secure_delete(tree);
  assert_int_equal(gmsa_ccg_add_settings("", sample_spec, GMSA_CCG_LRPC, &tree, &e), WCTR_EINVAL);
  assert_null(tree);
  assert_int_equal(gmsa_ccg_remove_settings(ID, &tree, &e), WCTR_OK);
  assert_int_equal(gmsa_ccg_remove_request(ID, &text, &e), WCTR_OK);
  printed = cJSON_PrintUnformatted(tree);
  assert_string_equal(printed, text);
  cJSON_free(printed);
  cJSON_free(text);
  cJSON_Delete(tree);

  cJSON *doc = cJSON_Parse(answer);
  gmsa_ccg_instance inst;
  assert_int_equal(gmsa_ccg_find_instance_doc(doc, ID, &inst, &e), WCTR_OK);
  assert_string_equal(inst.service_id, "c0ffee00-1111-2222-3333-444455556666");
  gmsa_ccg_instance_free(&inst);
  assert_int_equal(gmsa_ccg_find_instance_doc(doc, "nope", &inst, &e), WCTR_ENOENT);
  assert_int_equal(gmsa_ccg_find_instance_doc(NULL, ID, &inst, &e), WCTR_EINVAL);
  const char *owned[] = {ID, "cccc"};
  char **ids = NULL;
  size_t n = 0;
  assert_int_equal(gmsa_ccg_sweep_doc(doc, owned, 2, NULL, 0, &ids, &n, &e), WCTR_OK);
  assert_int_equal(n, 2);
  assert_string_equal(ids[0], ID);
  assert_string_equal(ids[1], "cccc");
  gmsa_ccg_ids_free(ids, n);
  assert_int_equal(gmsa_ccg_sweep_doc(NULL, owned, 2, NULL, 0, &ids, &n, &e), WCTR_EINVAL);
  cJSON_Delete(doc);
}

static void test_secret_zeroed(void **state) {
  (void)state;
  wctr_errmsg e;
  char *req = NULL;
  secret_watch_start(SECRET);
  assert_int_equal(gmsa_ccg_add_request(ID, sample_spec, GMSA_CCG_LRPC, &req, &e), WCTR_OK);
  gmsa_secret_free(req);
  char with_spec[sizeof answer + sizeof sample_spec + 64];
  snprintf(with_spec, sizeof with_spec,
           "{\"Properties\":[{\"Instances\":[{\"Id\":\"x\",\"CredentialGuard\":{\"Cookie\":\"c\",\"RpcEndpoint\":\"r\","
           "\"Transport\":\"LRPC\",\"CredentialSpec\":\"%s\"}}]}]}",
           "contoso.com:ccg:" SECRET);
  gmsa_ccg_instance inst;
  assert_int_equal(gmsa_ccg_find_instance(with_spec, "x", &inst, &e), WCTR_OK);
  cJSON *container = cJSON_CreateObject();
  assert_int_equal(gmsa_ccg_put_in_container(container, &inst, &e), WCTR_OK);
  gmsa_json_secure_delete(container);
  gmsa_ccg_instance_free(&inst);
  assert_int_equal(secret_watch_outstanding(), 0);
  assert_int_equal(secret_watch_stop(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_request),
      cmocka_unit_test(test_add_request_errors),
      cmocka_unit_test(test_remove_request_and_query),
      cmocka_unit_test(test_find_instance_and_put_in_documents),
      cmocka_unit_test(test_find_instance_errors),
      cmocka_unit_test(test_sweep),
      cmocka_unit_test(test_tree_forms),
      cmocka_unit_test(test_secret_zeroed),
  };
  return cmocka_run_group_tests_name("gmsa_ccg", tests, NULL, NULL);
}
