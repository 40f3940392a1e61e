/* The audit trail's portable half: record format, which requests are recorded, targets (never a
 * secret's value), time filters, and the dispatcher's central hook for plain and stream operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "service/audit.h"
#include "service/dispatch.h"
#include "testutil.h"

static void test_format(void **state) {
  (void)state;
  svc_audit_record r = {.time = "2026-11-22T15:40:01.123Z", .caller_sid = "S-1-5-21-1-2-3-1001",
                        .caller_name = "HOST\\ann", .op = "secret.create", .target = "db-password",
                        .result = "ok"};
  char *line = svc_audit_format(&r);
  assert_string_equal(line, "{\"Time\":\"2026-11-22T15:40:01.123Z\",\"CallerSid\":\"S-1-5-21-1-2-3-1001\","
                            "\"CallerName\":\"HOST\\\\ann\",\"Op\":\"secret.create\",\"Target\":\"db-password\","
                            "\"Result\":\"ok\"}");
  cJSON_free(line);
  r.result = "access_denied";
  r.detail = "audit.read is for administrators only";
  r.target = NULL;
  line = svc_audit_format(&r);
  assert_non_null(strstr(line, "\"Target\":\"\",\"Result\":\"access_denied\",\"Detail\":\"audit.read is for"));
  assert_null(strchr(line, '\n'));
  cJSON_free(line);
  r.op = NULL;
  assert_null(svc_audit_format(&r));
}

static void test_changes(void **state) {
  (void)state;
  const char *changing[] = {"container.create", "container.start", "container.run", "container.stop",
                            "container.kill", "container.remove", "container.update", "secret.create",
                            "secret.remove"};
  const char *reading[] = {"version", "info", "container.list", "container.inspect", "container.logs",
                           "container.wait", "container.stats", "events", "secret.list", "secret.inspect",
                           "audit.read", "check", "", "secret"};
  for (size_t i = 0; i < sizeof changing / sizeof changing[0]; i++) assert_true(svc_audit_op_changes(changing[i]));
  for (size_t i = 0; i < sizeof reading / sizeof reading[0]; i++) assert_false(svc_audit_op_changes(reading[i]));
  assert_false(svc_audit_op_changes(NULL));
}

static void test_target_never_reads_data(void **state) {
  (void)state;
  char out[SVC_AUDIT_TARGET_MAX];
  cJSON *p = cJSON_Parse("{\"Data\":\"c2VjcmV0\",\"Name\":\"db\"}");
  svc_audit_target(p, out);
  assert_string_equal(out, "db");
  cJSON_Delete(p);
  p = cJSON_Parse("{\"Data\":\"c2VjcmV0\"}");
  svc_audit_target(p, out);
  assert_string_equal(out, "");
  cJSON_Delete(p);
  p = cJSON_Parse("{\"Id\":\"web\",\"Name\":\"other\"}");
  svc_audit_target(p, out);
  assert_string_equal(out, "web");
  cJSON_Delete(p);
  p = cJSON_Parse("{\"Image\":\"C:\\\\sandbox\",\"Cmd\":[\"x\"]}");
  svc_audit_target(p, out);
  assert_string_equal(out, "C:\\sandbox");
  cJSON_Delete(p);
  svc_audit_target(NULL, out);
  assert_string_equal(out, "");
  char long_name[600];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", long_name);
  svc_audit_target(p, out);
  assert_int_equal(strlen(out), SVC_AUDIT_TARGET_MAX - 1);
  cJSON_Delete(p);
}

static void test_since(void **state) {
  (void)state;
  const char *line = "{\"Time\":\"2026-11-22T15:40:01.123Z\",\"Op\":\"x\"}";
  assert_true(svc_audit_line_since(line, strlen(line), NULL));
  assert_true(svc_audit_line_since(line, strlen(line), ""));
  assert_true(svc_audit_line_since(line, strlen(line), "2026-11-22T15:40:01.000Z"));
  assert_false(svc_audit_line_since(line, strlen(line), "2026-11-22T15:40:02.000Z"));
  assert_false(svc_audit_line_since("not json", 8, NULL));
  assert_false(svc_audit_line_since("{\"Op\":\"x\"}", 10, NULL));

  char out[40];
  wctr_errmsg e;
  const char *now = "2026-11-22T15:40:01.123Z";
  assert_int_equal(svc_audit_parse_since("2026-11-22", now, out, &e), WCTR_OK);
  assert_string_equal(out, "2026-11-22T00:00:00.000Z");
  assert_int_equal(svc_audit_parse_since("2026-11-22T15:00:00Z", now, out, &e), WCTR_OK);
  assert_string_equal(out, "2026-11-22T15:00:00.000Z");
  assert_int_equal(svc_audit_parse_since("10m", now, out, &e), WCTR_OK);
  assert_string_equal(out, "2026-11-22T15:30:01.000Z");
  assert_int_equal(svc_audit_parse_since("2d", now, out, &e), WCTR_OK);
  assert_string_equal(out, "2026-11-20T15:40:01.000Z");
  /* Across a month and a leap day. */
  assert_int_equal(svc_audit_parse_since("1d", "2024-03-01T00:00:10Z", out, &e), WCTR_OK);
  assert_string_equal(out, "2024-02-29T00:00:10.000Z");
  assert_int_equal(svc_audit_parse_since("90s", now, out, &e), WCTR_OK);
  assert_string_equal(out, "2026-11-22T15:38:31.000Z");
  const char *bad[] = {"", "yesterday", "10", "10x", "-5m", "2026-13-01", "2026-11-22T25:00:00Z", "2026-11-22 15:00"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(svc_audit_parse_since(bad[i], now, out, &e), WCTR_EINVAL);
    assert_non_null(strstr(e.text, "--since"));
  }
}

/* --- the dispatcher's hook ------------------------------------------------------------------------------ */

typedef struct seen {
  char op[64];
  char target[64];
  wctr_err result;
  char detail[256];
} seen;
static seen records[16];
static int record_count;

static void capture_audit(void *ctx, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                          const char *detail) {
  (void)ctx;
  assert_string_equal(caller->sid, "S-1-5-21-1-2-3-1001");
  assert_true(record_count < 16);
  seen *s = &records[record_count++];
  snprintf(s->op, sizeof s->op, "%s", op);
  snprintf(s->target, sizeof s->target, "%s", target);
  s->result = result;
  snprintf(s->detail, sizeof s->detail, "%s", detail != NULL ? detail : "");
}

static wctr_err op_ok(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)caller, (void)params, (void)e;
  *result = cJSON_CreateObject();
  return WCTR_OK;
}

static wctr_err op_fail(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)caller, (void)params, (void)result;
  return wctr_fail(e, WCTR_ENOENT, "no such container: web");
}

static void stream_ok(void *ctx, const svc_caller *caller, int64_t id, const cJSON *params, const svc_stream *s) {
  (void)ctx, (void)caller, (void)params;
  svc_stream_frame(s, id, "stdout", cJSON_CreateString("\"result\": not the end"));
  svc_stream_reply(s, id, cJSON_CreateObject());
}

static void stream_silent(void *ctx, const svc_caller *caller, int64_t id, const cJSON *params, const svc_stream *s) {
  (void)ctx, (void)caller, (void)params;
  svc_stream_frame(s, id, "event", cJSON_CreateString("x")); /* the client left: no final response */
}

static void stream_fail(void *ctx, const svc_caller *caller, int64_t id, const cJSON *params, const svc_stream *s) {
  (void)ctx, (void)caller, (void)params;
  svc_stream_error(s, id, WCTR_ESTATE, "container web is running");
}

static wctr_err sink(void *ctx, const char *msg, size_t len) {
  (void)ctx, (void)msg, (void)len;
  return WCTR_OK;
}

static const svc_op engine_ops[] = {
    {.name = "container.create", .call = op_ok},  {.name = "container.list", .call = op_ok},
    {.name = "container.stop", .call = op_fail},  {.name = "container.run", .stream = stream_ok},
    {.name = "container.wait", .stream = stream_ok}, {.name = "container.logs", .stream = stream_fail},
    {.name = "events", .stream = stream_silent},      {.name = "container.start", .stream = stream_silent},
};
static const svc_op security_ops[] = {
    {.name = "secret.create", .call = op_ok},
    {.name = "audit.read", .stream = stream_ok, .admin_only = true},
};

static void dispatch(const svc_caller *caller, const char *text) {
  svc_dispatch_host host = {.ops = engine_ops, .op_count = 8, .security_ops = security_ops, .security_op_count = 2,
                            .audit = capture_audit};
  svc_reply reply;
  svc_dispatch(&host, caller, text, strlen(text), &reply);
  if (reply.stream_fn != NULL) {
    svc_stream s = {.send = sink};
    reply.stream_fn(reply.stream_arg, &s);
  } else {
    cJSON_free(reply.response);
  }
}

static void test_dispatch_hook(void **state) {
  (void)state;
  svc_caller user = {.sid = "S-1-5-21-1-2-3-1001", .name = "HOST\\ann", .pid = 7, .admin = false};
  svc_caller admin = user;
  admin.admin = true;
  record_count = 0;
  dispatch(&user, "{\"v\":1,\"id\":1,\"op\":\"container.list\"}"); /* a read that works: no record */
  assert_int_equal(record_count, 0);
  dispatch(&user, "{\"v\":1,\"id\":2,\"op\":\"container.create\",\"params\":{\"Name\":\"web\",\"Image\":\"host\"}}");
  assert_int_equal(record_count, 1);
  assert_string_equal(records[0].op, "container.create");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_OK);
  assert_string_equal(records[0].detail, "");
  dispatch(&user, "{\"v\":1,\"id\":3,\"op\":\"container.stop\",\"params\":{\"Id\":\"web\"}}");
  assert_int_equal(records[1].result, WCTR_ENOENT);
  assert_string_equal(records[1].detail, "no such container: web");
  dispatch(&user, "{\"v\":1,\"id\":4,\"op\":\"launch\"}"); /* unknown op: refused, recorded */
  assert_string_equal(records[2].op, "launch");
  assert_int_equal(records[2].result, WCTR_EBADOP);
  dispatch(&user, "not json"); /* unreadable: recorded without an op */
  assert_string_equal(records[3].op, "");
  assert_int_equal(records[3].result, WCTR_EPROTO);
  /* The value of a secret never reaches a record. */
  dispatch(&user, "{\"v\":1,\"id\":5,\"op\":\"secret.create\",\"params\":{\"Name\":\"db\",\"Data\":\"c2VjcmV0\"}}");
  assert_string_equal(records[4].op, "secret.create");
  assert_string_equal(records[4].target, "db");
  assert_null(strstr(records[4].detail, "c2VjcmV0"));
  /* Administrators only: refused for others, and recorded. */
  dispatch(&user, "{\"v\":1,\"id\":6,\"op\":\"audit.read\"}");
  assert_string_equal(records[5].op, "audit.read");
  assert_int_equal(records[5].result, WCTR_EACCES);
  assert_non_null(strstr(records[5].detail, "administrators only"));
  record_count = 0;
  dispatch(&admin, "{\"v\":1,\"id\":7,\"op\":\"audit.read\"}"); /* allowed read: no record */
  assert_int_equal(record_count, 0);
  /* Streams: audited once, at their final response, frames ignored. */
  dispatch(&user, "{\"v\":1,\"id\":8,\"op\":\"container.run\",\"params\":{\"Id\":\"web\"}}");
  assert_int_equal(record_count, 1);
  assert_string_equal(records[0].op, "container.run");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_OK);
  dispatch(&user, "{\"v\":1,\"id\":9,\"op\":\"container.wait\",\"params\":{\"Id\":\"web\"}}");
  assert_int_equal(record_count, 1);
  dispatch(&user, "{\"v\":1,\"id\":10,\"op\":\"container.logs\",\"params\":{\"Id\":\"web\"}}");
  assert_int_equal(record_count, 2);
  assert_int_equal(records[1].result, WCTR_ESTATE);
  assert_string_equal(records[1].detail, "container web is running");
  /* A follow that ends because its client left is no refusal; a change that ends so is still recorded. */
  dispatch(&user, "{\"v\":1,\"id\":11,\"op\":\"events\"}");
  assert_int_equal(record_count, 2);
  dispatch(&user, "{\"v\":1,\"id\":12,\"op\":\"container.start\",\"params\":{\"Id\":\"db\"}}");
  assert_int_equal(record_count, 3);
  assert_string_equal(records[2].target, "db");
  assert_int_equal(records[2].result, WCTR_EPIPE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),          cmocka_unit_test(test_changes),
      cmocka_unit_test(test_target_never_reads_data), cmocka_unit_test(test_since),
      cmocka_unit_test(test_dispatch_hook),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
