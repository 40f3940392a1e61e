/* The dispatcher: every message gets exactly one well-formed response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/proto.h"
#include "service/dispatch.h"
#include "testutil.h"

static bool hcs_present;
static bool sddl_fails;

static void fake_facts(void *ctx, svc_host_facts *f) {
  (void)ctx;
  snprintf(f->os_name, sizeof f->os_name, "Windows Server 2022 Datacenter");
  snprintf(f->os_version, sizeof f->os_version, "10.0.20348");
  f->server_sku = true;
  f->hcs_available = hcs_present;
  snprintf(f->hcs_detail, sizeof f->hcs_detail, "%s", hcs_present ? "C:\\Windows\\System32\\computecore.dll" : "missing");
  f->job_available = true;
  snprintf(f->bitlocker.volume, sizeof f->bitlocker.volume, "C:\\");
  acl_bitlocker_classify(1, 1, &f->bitlocker);
}

static wctr_err fake_sddl(void *ctx, char *buf, size_t size, wctr_errmsg *e) {
  (void)ctx;
  if (sddl_fails) return wctr_fail(e, WCTR_EACCES, "no READ_CONTROL");
  snprintf(buf, size, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  return WCTR_OK;
}

static const svc_dispatch_host host = {
    .host_facts = fake_facts, .pipe_sddl = fake_sddl, .data_root = "C:\\ProgramData\\wctr", .pipe_path = "\\\\.\\pipe\\wctr_engine"};
static const svc_caller caller = {.sid = "S-1-5-21-1-2-3-500", .name = "HOST\\admin", .pid = 42};

/* Dispatches text and returns the parsed response (caller deletes). */
static cJSON *roundtrip(const char *text) {
  size_t len = 0;
  char *out = svc_dispatch(&host, &caller, text, strlen(text), &len);
  assert_non_null(out);
  assert_int_equal(len, strlen(out));
  cJSON *resp = cJSON_Parse(out);
  cJSON_free(out);
  assert_non_null(resp);
  assert_int_equal(cJSON_GetObjectItem(resp, "v")->valueint, 1);
  return resp;
}

static void expect_error(const char *text, const char *code, const char *message_part, bool id_known) {
  cJSON *resp = roundtrip(text);
  cJSON *error = cJSON_GetObjectItem(resp, "error");
  assert_non_null(error);
  assert_null(cJSON_GetObjectItem(resp, "result"));
  assert_string_equal(cJSON_GetObjectItem(error, "code")->valuestring, code);
  const char *msg = cJSON_GetObjectItem(error, "message")->valuestring;
  if (strstr(msg, message_part) == NULL) fail_msg("message \"%s\" lacks \"%s\"", msg, message_part);
  cJSON *id = cJSON_GetObjectItem(resp, "id");
  if (id_known) {
    assert_true(cJSON_IsNumber(id));
  } else {
    assert_true(cJSON_IsNull(id));
  }
  cJSON_Delete(resp);
}

static void test_version(void **state) {
  (void)state;
  cJSON *resp = roundtrip("{\"v\":1,\"id\":7,\"op\":\"version\"}");
  assert_int_equal(cJSON_GetObjectItem(resp, "id")->valueint, 7);
  cJSON *r = cJSON_GetObjectItem(resp, "result");
  assert_string_equal(cJSON_GetObjectItem(r, "Version")->valuestring, WCTR_VERSION);
  assert_int_equal(cJSON_GetObjectItem(r, "ApiVersion")->valueint, 1);
  assert_string_equal(cJSON_GetObjectItem(r, "Os")->valuestring, "windows");
  cJSON_Delete(resp);
}

static void test_info_without_hcs(void **state) {
  (void)state;
  hcs_present = false;
  sddl_fails = false;
  cJSON *resp = roundtrip("{\"v\":1,\"id\":1,\"op\":\"info\",\"params\":{}}");
  cJSON *r = cJSON_GetObjectItem(resp, "result");
  assert_string_equal(cJSON_GetObjectItem(r, "OperatingSystem")->valuestring, "Windows Server 2022 Datacenter");
  assert_string_equal(cJSON_GetObjectItem(r, "OSVersion")->valuestring, "10.0.20348");
  assert_string_equal(cJSON_GetObjectItem(r, "DataRoot")->valuestring, "C:\\ProgramData\\wctr");
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "HCS"), "Available")));
  cJSON *iso = cJSON_GetObjectItem(r, "Isolation");
  assert_string_equal(cJSON_GetObjectItem(iso, "Default")->valuestring, "process");
  cJSON *avail = cJSON_GetObjectItem(iso, "Available");
  assert_int_equal(cJSON_GetArraySize(avail), 1);
  assert_string_equal(cJSON_GetArrayItem(avail, 0)->valuestring, "job");
  cJSON *pipe = cJSON_GetObjectItem(r, "Pipe");
  assert_string_equal(cJSON_GetObjectItem(pipe, "Name")->valuestring, "\\\\.\\pipe\\wctr_engine");
  assert_string_equal(cJSON_GetObjectItem(pipe, "SDDL")->valuestring, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  cJSON *bl = cJSON_GetObjectItem(r, "BitLocker");
  assert_string_equal(cJSON_GetObjectItem(bl, "State")->valuestring, "encrypted");
  assert_string_equal(cJSON_GetObjectItem(bl, "Volume")->valuestring, "C:\\");
  cJSON *who = cJSON_GetObjectItem(r, "Caller");
  assert_string_equal(cJSON_GetObjectItem(who, "SID")->valuestring, "S-1-5-21-1-2-3-500");
  assert_string_equal(cJSON_GetObjectItem(who, "Name")->valuestring, "HOST\\admin");
  cJSON_Delete(resp);
}

static void test_info_with_hcs_and_unreadable_pipe(void **state) {
  (void)state;
  hcs_present = true;
  sddl_fails = true;
  cJSON *resp = roundtrip("{\"v\":1,\"id\":2,\"op\":\"info\"}");
  cJSON *r = cJSON_GetObjectItem(resp, "result");
  cJSON *avail = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Isolation"), "Available");
  assert_int_equal(cJSON_GetArraySize(avail), 3);
  assert_string_equal(cJSON_GetArrayItem(avail, 0)->valuestring, "process");
  assert_string_equal(cJSON_GetArrayItem(avail, 1)->valuestring, "hyperv");
  assert_string_equal(cJSON_GetArrayItem(avail, 2)->valuestring, "job");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Pipe"), "SDDL")->valuestring,
                      "unreadable: no READ_CONTROL");
  cJSON_Delete(resp);
}

static void test_refusals(void **state) {
  (void)state;
  expect_error("not json", "bad_request", "not valid JSON", false);
  expect_error("{\"v\":1,\"id\":\"7\",\"op\":\"info\"}", "bad_request", "\"id\" must be an integer", false);
  expect_error("{\"v\":1,\"id\":3,\"op\":\"launch\"}", "unknown_op", "unknown operation \"launch\"", true);
  expect_error("{\"v\":1,\"id\":3,\"op\":\"info\",\"params\":[]}", "bad_request", "\"params\" must be an object", true);
  expect_error("{\"v\":1,\"id\":3,\"op\":\"version\",\"params\":{\"x\":1}}", "invalid_argument",
               "params: unknown key \"x\"", true);
  expect_error("{\"v\":2,\"id\":3,\"op\":\"version\"}", "bad_request", "protocol version 2", true);
  expect_error("", "bad_request", "not valid JSON", false);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_info_without_hcs),
      cmocka_unit_test(test_info_with_hcs_and_unreadable_pipe),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
