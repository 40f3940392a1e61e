/* The audit trail's portable half: record format, which requests are recorded, targets (never a
 * secret's value) and time filters. The central hook that writes them is tested with the operation layer
 * (test_ops.c) and the pipe front-end (test_pipe_api.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/utf8.h"
#include "service/audit.h"
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
                            "secret.remove", "secret.read", "container.pause", "container.unpause"};
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
  /* A long name of two-byte characters was cut in the middle of one, and the record was no
   * longer UTF-8. The cut falls between two characters. */
  char accents[601];
  for (size_t i = 0; i + 1 < sizeof accents; i += 2) memcpy(accents + i, "\xc3\xa9", 2);
  accents[600] = '\0';
  p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", accents);
  svc_audit_target(p, out);
  assert_int_equal(strlen(out), SVC_AUDIT_TARGET_MAX - 2);
  assert_true(wctr_utf8_valid(out, strlen(out)));
  svc_audit_record r = {.time = "2026-11-22T15:40:01.123Z", .caller_sid = "S-1-5-18", .caller_name = "x\xff",
                        .op = "container.create", .target = out, .result = "invalid_argument", .detail = "a\xe2\x82"};
  char *line = svc_audit_format(&r);
  assert_true(wctr_utf8_valid(line, strlen(line)));
  assert_non_null(strstr(line, "\"CallerName\":\"x\\ufffd\""));
  cJSON_free(line);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_format),          cmocka_unit_test(test_changes),
      cmocka_unit_test(test_target_never_reads_data), cmocka_unit_test(test_since),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
