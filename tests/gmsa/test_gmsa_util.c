/* tests/gmsa/test_gmsa_util.c - the gmsa module's helpers: zeroing, quoting, UTF-8, case. */
#include <string.h>

#include "gmsa/gmsa_util.h"
#include "testutil.h"

static void test_secure_zero(void **state) {
  (void)state;
  unsigned char buf[64];
  memset(buf, 0xA5, sizeof buf);
  gmsa_secure_zero(buf + 8, 40);
  for (size_t i = 0; i < sizeof buf; i++) {
    unsigned char want = (i >= 8 && i < 48) ? 0 : 0xA5;
    assert_int_equal(buf[i], want);
  }
  gmsa_secure_zero(NULL, 0);
}

static void test_strndup(void **state) {
  (void)state;
  char *s = gmsa_strndup("abcdef", 3);
  assert_string_equal(s, "abc");
  gmsa_secret_free(s);
  s = gmsa_strndup("", 0);
  assert_string_equal(s, "");
  gmsa_secret_free(s);
  gmsa_secret_free(NULL);
}

static void test_quote(void **state) {
  (void)state;
  char q[GMSA_QUOTE_SIZE];
  assert_string_equal(gmsa_quote(q, sizeof q, "S-1-5-32-544"), "\"S-1-5-32-544\"");
  assert_string_equal(gmsa_quote(q, sizeof q, ""), "\"\"");
  /* Quotes are escaped, control bytes and DEL shown as \xNN, backslashes and UTF-8 kept. */
  assert_string_equal(gmsa_quote(q, sizeof q, "a\"b"), "\"a\\\"b\"");
  assert_string_equal(gmsa_quote(q, sizeof q, "a\x1b[31mb\r\n\x7f"), "\"a\\x1B[31mb\\x0D\\x0A\\x7F\"");
  assert_string_equal(gmsa_quote(q, sizeof q, "C:\\x \xC3\xA9"), "\"C:\\x \xC3\xA9\"");
  /* 64 bytes are shown whole; one more is cut and marked. */
  char s[80];
  memset(s, 'x', 64);
  s[64] = '\0';
  gmsa_quote(q, sizeof q, s);
  assert_int_equal(strlen(q), 66);
  s[64] = 'y';
  s[65] = '\0';
  gmsa_quote(q, sizeof q, s);
  assert_int_equal(strlen(q), 69);
  assert_memory_equal(q + 65, "...\"", 5);
  /* The widest output fits GMSA_QUOTE_SIZE: 64 escaped bytes, cut. */
  memset(s, '\x01', 70);
  s[70] = '\0';
  gmsa_quote(q, sizeof q, s);
  assert_int_equal(strlen(q), 1 + 64 * 4 + 3 + 1);
  /* A small buffer is never overrun and stays terminated. */
  char small[6];
  gmsa_quote(small, sizeof small, "abcdefgh");
  assert_true(strlen(small) < sizeof small);
}

static void test_utf8(void **state) {
  (void)state;
  static const char *const good[] = {"",
                                     "ascii",
                                     "\xC3\xA9",
                                     "\xE2\x82\xAC",
                                     "\xF0\x9F\x98\x80",
                                     "\xF4\x8F\xBF\xBF",
                                     "\xEF\xBB\xBF",
                                     "\xED\x9F\xBF"};
  static const char *const bad[] = {"\xC0\xAE",         /* overlong '.' */
                                    "\xC1\xBF",         /* overlong */
                                    "\xE0\x80\xAE",     /* overlong, 3 bytes */
                                    "\xF0\x80\x80\xAE", /* overlong, 4 bytes */
                                    "\xED\xA0\x80",     /* UTF-16 surrogate */
                                    "\xF4\x90\x80\x80", /* above U+10FFFF */
                                    "\xF5\x80\x80\x80", "\xFF",     "\x80",        "\xC3",
                                    "\xE2\x82",         "\xC3\x28", "\xE2\x28\xA1"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_true(gmsa_utf8_valid(good[i], strlen(good[i])));
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (gmsa_utf8_valid(bad[i], strlen(bad[i]))) fail_msg("accepted bad UTF-8 #%zu", i);
  }
  /* The length bounds the check: a valid prefix of a longer buffer. */
  assert_true(gmsa_utf8_valid("ab\xFF", 2));
  assert_int_equal(gmsa_utf8_length("abc"), 3);
  assert_int_equal(gmsa_utf8_length("\xC3\xA9t\xC3\xA9"), 3);
  assert_int_equal(gmsa_utf8_length("\xF0\x9F\x98\x80"), 1);
}

static void test_control_and_case(void **state) {
  (void)state;
  assert_false(gmsa_has_control("plain text \xC3\xA9"));
  assert_true(gmsa_has_control("tab\there"));
  assert_true(gmsa_has_control("\x7f"));
  assert_true(gmsa_ascii_equal_nocase("WebApp01", "webapp01"));
  assert_true(gmsa_ascii_equal_nocase("", ""));
  assert_false(gmsa_ascii_equal_nocase("webapp01", "webapp0"));
  assert_false(gmsa_ascii_equal_nocase("webapp0", "webapp01"));
  /* Non-ASCII letters are not folded: \xC3\xA9 (e acute) and \xC3\x89 (E acute) differ. */
  assert_false(gmsa_ascii_equal_nocase("\xC3\xA9", "\xC3\x89"));
  assert_false(gmsa_ascii_equal_nocase("a[", "A{"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_secure_zero),
      cmocka_unit_test(test_strndup),
      cmocka_unit_test(test_quote),
      cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_control_and_case),
  };
  return cmocka_run_group_tests_name("gmsa_util", tests, NULL, NULL);
}
