/* tests/spec/test_text.c - spec/text.h (UTF-8, control characters, case, quoting) and
 * spec/credspec_source.h (credentialspec=SCHEME://VALUE), which spec_from_json checks and gmsa/ re-exports
 * (tests/gmsa/test_source.c walks every rule through gmsa's names). */
#include "spec_test.h"

#include "spec/credspec_source.h"
#include "spec/text.h"

static void test_utf8_and_control(void **state) {
  (void)state;
  assert_true(spec_utf8_valid("plain", 5));
  assert_true(spec_utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9));
  assert_false(spec_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
  assert_false(spec_utf8_valid("\xED\xA0\x80", 3));     /* a surrogate */
  assert_false(spec_utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
  assert_false(spec_utf8_valid("\xE2\x82", 2));         /* cut short */
  assert_true(spec_utf8_valid("\xE2\x82", 0));          /* only n bytes are looked at */
  assert_false(spec_has_control("tab-less"));
  assert_true(spec_has_control("a\tb"));
  assert_true(spec_has_control("\x7f"));
  assert_false(spec_has_control("\xC3\xA9"));
}

static void test_case_and_quote(void **state) {
  (void)state;
  assert_true(spec_ascii_equal_nocase("CredentialSpec", "credentialspec"));
  assert_false(spec_ascii_equal_nocase("credentialspec", "credentialspecs"));
  assert_false(spec_ascii_equal_nocase("\xC3\xA9", "\xC3\x89")); /* outside ASCII: exact */
  char q[SPEC_QUOTE_SIZE];
  assert_string_equal(spec_quote(q, sizeof q, "a\"b\x1b"), "\"a\\\"b\\x1B\"");
  char s[100];
  memset(s, 'x', 70);
  s[70] = '\0';
  spec_quote(q, sizeof q, s);
  assert_int_equal(strlen(q), 1 + 64 + 3 + 1);
}

static void test_credspec_sources(void **state) {
  (void)state;
  static const struct {
    const char *option;
    spec_credspec_kind kind;
    const char *value;
  } ok[] = {{"file://a/./b/../web.json", SPEC_CREDSPEC_FILE, "a\\web.json"},
            {"FILE://web.json", SPEC_CREDSPEC_FILE, "web.json"},
            {"registry://web", SPEC_CREDSPEC_REGISTRY, "web"},
            {"config://gmsa", SPEC_CREDSPEC_CONFIG, "gmsa"},
            {"raw://{\"a\":1}", SPEC_CREDSPEC_RAW, "{\"a\":1}"}};
  for (size_t i = 0; i < COUNT_OF(ok); i++) {
    spec_credspec_source src;
    wctr_errmsg e;
    if (spec_credspec_source_parse(ok[i].option, NULL, &src, &e) != WCTR_OK) FAILF("%s: %s", ok[i].option, e.text);
    assert_int_equal(src.kind, ok[i].kind);
    assert_string_equal(src.value, ok[i].value);
    spec_credspec_source_free(&src);
    assert_null(src.value);
  }
  static const struct {
    const char *option;
    const char *message;
  } bad[] = {{"web.json", SPEC_CREDSPEC_MSG_PREFIX},
             {"smb://x", SPEC_CREDSPEC_MSG_PREFIX},
             {"file://", SPEC_CREDSPEC_MSG_PREFIX},
             {"file://C:\\x.json", SPEC_CREDSPEC_MSG_ABSOLUTE},
             {"file://..\\x.json", SPEC_CREDSPEC_MSG_UNDER "C:\\ProgramData\\wctr\\credentialspecs"},
             {"file://NUL.json", "invalid credential spec: file:// path component \"NUL.json\" is a reserved device name"},
             {"registry://a\\b", "invalid credential spec: registry:// value name cannot contain '\\'"},
             {"config://a/b", "invalid credential spec: config:// name cannot be a path"}};
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    spec_credspec_source src;
    wctr_errmsg e;
    if (spec_credspec_source_parse(bad[i].option, "C:\\ProgramData\\wctr\\credentialspecs", &src, &e) == WCTR_OK) {
      FAILF("%s accepted", bad[i].option);
    }
    assert_string_equal(e.text, bad[i].message);
    assert_null(src.value);
  }
  assert_string_equal(spec_credspec_kind_name(SPEC_CREDSPEC_RAW), "raw");
  assert_string_equal(spec_credspec_kind_name((spec_credspec_kind)0), "unknown");
  spec_credspec_source_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8_and_control),
      cmocka_unit_test(test_case_and_quote),
      cmocka_unit_test(test_credspec_sources),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
