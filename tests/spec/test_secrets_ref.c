/* tests/spec/test_secrets_ref.c - spec/spec.h: secret names and targets, and the "Secrets" create param
 * (moved from tests/service/test_secrets.c with spec/secrets_ref.c). */
#include "spec_test.h"

static void test_names(void **state) {
  (void)state;
  wctr_errmsg e;
  const char *good[] = {"a", "db-password", "A.b_c-9", "x1", "0abc"};
  const char *bad[] = {"", "-a", "a-", "a b", "a/b", "a\\b", "é", "a..", "_a"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) assert_int_equal(spec_secret_check_name(good[i], "n", &e), WCTR_OK);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(spec_secret_check_name(bad[i], "params.Name", &e), WCTR_EINVAL);
    assert_non_null(strstr(e.text, "params.Name"));
  }
  char name[80];
  memset(name, 'a', 64);
  name[64] = '\0';
  assert_int_equal(spec_secret_check_name(name, "n", &e), WCTR_OK);
  name[64] = 'a';
  name[65] = '\0';
  assert_int_equal(spec_secret_check_name(name, "n", &e), WCTR_EINVAL);
}

static void test_targets(void **state) {
  (void)state;
  wctr_errmsg e;
  const char *good[] = {"pw.txt", "db-password", "a b", "COM10", "console", "nul2"};
  const char *bad[] = {"", ".", "..", "a/b", "a\\b", "c:x", "x*", "q?", "a\"", "x<", "y>", "p|q", "end.", "end ",
                       "CON", "con.txt", "NUL", "com1", "LPT9.log", "aux", "\x01",
                       /* reserved names with superscript digits, spaces before the extension, not UTF-8 */
                       "COM\xc2\xb9", "com\xc2\xb2.txt", "LPT\xc2\xb3", "nul .txt", "CON  .log", "a\xff"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    if (spec_secret_check_target(good[i], "t", &e) != WCTR_OK) fail_msg("%s: %s", good[i], e.text);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (spec_secret_check_target(bad[i], "params.Secrets[0]", &e) != WCTR_EINVAL) fail_msg("%s accepted", bad[i]);
    assert_non_null(strstr(e.text, "params.Secrets[0]"));
  }
}

static void test_refs(void **state) {
  (void)state;
  wctr_errmsg e;
  spec_secret_ref *refs = NULL;
  size_t n = 0;
  cJSON *a = cJSON_Parse("[{\"Name\":\"db\"},{\"Name\":\"api\",\"Target\":\"api.key\"}]");
  assert_int_equal(spec_secret_refs_parse(a, "params", &refs, &n, &e), WCTR_OK);
  assert_int_equal(n, 2);
  assert_string_equal(refs[0].name, "db");
  assert_string_equal(refs[0].target, "db");
  assert_string_equal(refs[1].target, "api.key");
  cJSON *back = spec_secret_refs_json(refs, n);
  char *text = cJSON_PrintUnformatted(back);
  assert_string_equal(text, "[{\"Name\":\"db\",\"Target\":\"db\"},{\"Name\":\"api\",\"Target\":\"api.key\"}]");
  cJSON_free(text);
  cJSON_Delete(back);
  free(refs);
  cJSON_Delete(a);
  assert_int_equal(spec_secret_refs_parse(NULL, "params", &refs, &n, &e), WCTR_OK);
  assert_int_equal(n, 0);
  const char *bad[][2] = {
      {"{}", "must be an array"},
      {"[\"db\"]", "params.Secrets[0]"},
      {"[{\"Name\":\"db\",\"Extra\":1}]", "Extra"},
      {"[{\"Target\":\"x\"}]", "Name"},
      {"[{\"Name\":\"-db\"}]", "invalid secret name"},
      {"[{\"Name\":\"db\",\"Target\":\"..\\\\x\"}]", "file name"},
      {"[{\"Name\":\"a\",\"Target\":\"Pw\"},{\"Name\":\"b\",\"Target\":\"pW\"}]", "already used by params.Secrets[0]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    a = cJSON_Parse(bad[i][0]);
    assert_int_equal(spec_secret_refs_parse(a, "params", &refs, &n, &e), WCTR_EINVAL);
    if (strstr(e.text, bad[i][1]) == NULL) fail_msg("%s: \"%s\" lacks \"%s\"", bad[i][0], e.text, bad[i][1]);
    assert_null(refs);
    cJSON_Delete(a);
  }
  char many[80 * 20] = "[";
  size_t used = 1;
  for (int i = 0; i <= SPEC_SECRET_REFS_MAX; i++) {
    used += (size_t)snprintf(many + used, sizeof many - used, "%s{\"Name\":\"s%d\"}", i > 0 ? "," : "", i);
  }
  snprintf(many + used, sizeof many - used, "]");
  a = cJSON_Parse(many);
  assert_int_equal(spec_secret_refs_parse(a, "params", &refs, &n, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "at most 64"));
  cJSON_Delete(a);
}

/* where names the object the array sits in, for any front-end. */
static void test_refs_where(void **state) {
  (void)state;
  wctr_errmsg e;
  spec_secret_ref *refs = NULL;
  size_t n = 0;
  cJSON *a = cJSON_Parse("[{\"Name\":\"db\"},{\"Name\":\"db2\",\"Target\":\"DB\"}]");
  assert_int_equal(spec_secret_refs_parse(a, "services.web", &refs, &n, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "services.web.Secrets[1]: target \"DB\" is already used by services.web.Secrets[0]");
  cJSON_Delete(a);
  a = cJSON_Parse("\"db\"");
  assert_int_equal(spec_secret_refs_parse(a, "services.web", &refs, &n, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "services.web: \"Secrets\" must be an array, not a string");
  cJSON_Delete(a);
  a = cJSON_Parse("null");
  assert_int_equal(spec_secret_refs_parse(a, "params", &refs, &n, &e), WCTR_OK);
  assert_int_equal(n, 0);
  assert_null(refs);
  cJSON_Delete(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_targets),
      cmocka_unit_test(test_refs),
      cmocka_unit_test(test_refs_where),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
