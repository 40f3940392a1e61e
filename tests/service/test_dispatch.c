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
  svc_reply reply;
  svc_dispatch(&host, &caller, text, strlen(text), &reply);
  assert_null(reply.stream_fn);
  char *out = reply.response;
  assert_non_null(out);
  assert_int_equal(reply.len, strlen(out));
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
  /* The fake facts leave allow-unencrypted-secrets off; info shows it either way. */
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Secrets"), "AllowUnencrypted")));
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

/* --- engine operations: plain and streaming -------------------------------------------------------- */

static wctr_err echo_call(void *ctx, const svc_caller *c, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx;
  (void)c;
  (void)e;
  *result = params != NULL ? cJSON_Duplicate(params, true) : cJSON_CreateNull();
  return WCTR_OK;
}

static void count_stream(void *ctx, const svc_caller *c, int64_t id, const cJSON *params, const svc_stream *s) {
  (void)ctx;
  (void)c;
  int n = cJSON_GetObjectItem(params, "N")->valueint;
  for (int i = 0; i < n; i++) svc_stream_frame(s, id, "stdout", cJSON_CreateNumber(i));
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "Sent", n);
  svc_stream_reply(s, id, r);
}

static char sent[8][256];
static int sent_count;

static wctr_err capture(void *ctx, const char *msg, size_t len) {
  (void)ctx;
  if (sent_count < 8) snprintf(sent[sent_count++], sizeof sent[0], "%.*s", (int)len, msg);
  return WCTR_OK;
}

static const svc_op engine_ops[] = {{.name = "echo", .call = echo_call}, {.name = "count", .stream = count_stream}};

static void test_engine_ops(void **state) {
  (void)state;
  svc_dispatch_host h = host;
  h.ops = engine_ops;
  h.op_count = 2;
  svc_reply reply;
  const char *req = "{\"v\":1,\"id\":3,\"op\":\"echo\",\"params\":{\"a\":1}}";
  svc_dispatch(&h, &caller, req, strlen(req), &reply);
  assert_null(reply.stream_fn);
  assert_string_equal(reply.response, "{\"v\":1,\"id\":3,\"result\":{\"a\":1}}");
  cJSON_free(reply.response);
  /* A stream operation gets a function to run, with its own copy of the params: the request buffer may
   * be gone by the time the thread runs. */
  char *buf = strdup("{\"v\":1,\"id\":9007199254740991,\"op\":\"count\",\"params\":{\"N\":2}}");
  svc_dispatch(&h, &caller, buf, strlen(buf), &reply);
  memset(buf, 'x', strlen(buf));
  free(buf);
  assert_null(reply.response);
  assert_non_null(reply.stream_fn);
  sent_count = 0;
  svc_stream s = {.send = capture};
  reply.stream_fn(reply.stream_arg, &s);
  assert_int_equal(sent_count, 3);
  assert_string_equal(sent[0], "{\"v\":1,\"id\":9007199254740991,\"stream\":\"stdout\",\"data\":0}");
  assert_string_equal(sent[1], "{\"v\":1,\"id\":9007199254740991,\"stream\":\"stdout\",\"data\":1}");
  assert_string_equal(sent[2], "{\"v\":1,\"id\":9007199254740991,\"result\":{\"Sent\":2}}");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_info_without_hcs),
      cmocka_unit_test(test_info_with_hcs_and_unreadable_pipe),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_engine_ops),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
