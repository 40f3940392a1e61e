/* tests/common/test_utf8.c - common/utf8.h: the one rule of well-formed UTF-8 (RFC 3629 section 4's table),
 * cutting between characters, and scrubbing what is not UTF-8 (messages and audit records quoted outside
 * input raw, or cut a character in two). */
#include <string.h>

#include "testutil.h"

#include "common/error.h"
#include "common/utf8.h"

static bool valid(const char *s) { return wctr_utf8_valid(s, strlen(s)); }

static void test_the_table(void **state) {
  (void)state;
  assert_true(valid(""));
  assert_true(valid("ascii"));
  assert_true(valid("\xc2\x80"));             /* U+0080 */
  assert_true(valid("\xdf\xbf"));             /* U+07FF */
  assert_true(valid("\xe0\xa0\x80"));         /* U+0800 */
  assert_true(valid("\xed\x9f\xbf"));         /* U+D7FF */
  assert_true(valid("\xee\x80\x80"));         /* U+E000 */
  assert_true(valid("\xef\xbf\xbd"));         /* U+FFFD */
  assert_true(valid("\xf0\x90\x80\x80"));     /* U+10000 */
  assert_true(valid("\xf4\x8f\xbf\xbf"));     /* U+10FFFF */
  assert_false(valid("\x80"));                /* a continuation first */
  assert_false(valid("\xc0\xaf"));            /* overlong '/' */
  assert_false(valid("\xc1\xbf"));
  assert_false(valid("\xe0\x9f\xbf"));        /* overlong */
  assert_false(valid("\xed\xa0\x80"));        /* U+D800, a surrogate */
  assert_false(valid("\xed\xbf\xbf"));        /* U+DFFF */
  assert_false(valid("\xf0\x8f\xbf\xbf"));    /* overlong */
  assert_false(valid("\xf4\x90\x80\x80"));    /* U+110000 */
  assert_false(valid("\xf5\x80\x80\x80"));
  assert_false(valid("\xff"));
  assert_false(valid("\xe2\x82"));            /* cut short */
  assert_false(valid("\xe2\x82x"));
  assert_int_equal(wctr_utf8_seq("\xe2\x82\xac", 3), 3);
  assert_int_equal(wctr_utf8_seq("\xe2\x82\xac", 2), 0); /* only two bytes available */
  assert_int_equal(wctr_utf8_seq("a", 0), 0);
  /* NUL counts as a character (the callers that refuse it say so themselves). */
  assert_true(wctr_utf8_valid("a\0b", 3));
}

static void test_cut_between_characters(void **state) {
  (void)state;
  const char *euro = "ab\xe2\x82\xac" "cd"; /* a b EURO c d: 7 bytes */
  assert_int_equal(wctr_utf8_cut(euro, 7), 7);
  assert_int_equal(wctr_utf8_cut(euro, 100), 7);
  assert_int_equal(wctr_utf8_cut(euro, 5), 5);
  assert_int_equal(wctr_utf8_cut(euro, 4), 2); /* never inside the euro sign */
  assert_int_equal(wctr_utf8_cut(euro, 3), 2);
  assert_int_equal(wctr_utf8_cut(euro, 2), 2);
  assert_int_equal(wctr_utf8_cut(euro, 0), 0);
  /* A byte that is not UTF-8 stands alone: cutting after it is fine, it is the scrubber's business. */
  assert_int_equal(wctr_utf8_cut("a\xff" "b", 2), 2);
}

static void test_scrub(void **state) {
  (void)state;
  char s[] = "ok \xff\xe2\x82 end \xc3\xa9 \xed\xa0\x80";
  assert_int_equal(wctr_utf8_scrub(s), 6);
  assert_string_equal(s, "ok ??? end \xc3\xa9 ???");
  assert_true(valid(s));
  char clean[] = "caf\xc3\xa9";
  assert_int_equal(wctr_utf8_scrub(clean), 0);
  assert_string_equal(clean, "caf\xc3\xa9");
}

/* wctr_fail: a message quoting outside bytes, or cut with a precision inside a character, is UTF-8. */
static void test_messages_are_utf8(void **state) {
  (void)state;
  wctr_errmsg e;
  wctr_fail(&e, WCTR_EINVAL, "name \"%s\" is bad", "x\xfey");
  assert_string_equal(e.text, "name \"x?y\" is bad");
  wctr_fail(&e, WCTR_EINVAL, "[%.4s]", "ab\xe2\x82\xac");
  assert_string_equal(e.text, "[ab??]");
  assert_true(valid(e.text));
  /* Cut by the end of the buffer inside a character. */
  char long_text[600];
  memset(long_text, 'a', sizeof long_text);
  for (size_t i = 509; i + 2 < sizeof long_text; i += 3) memcpy(long_text + i, "\xe2\x82\xac", 3);
  long_text[sizeof long_text - 1] = '\0';
  wctr_fail(&e, WCTR_EINVAL, "%s", long_text);
  assert_true(valid(e.text));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_table),
      cmocka_unit_test(test_cut_between_characters),
      cmocka_unit_test(test_scrub),
      cmocka_unit_test(test_messages_are_utf8),
  };
  return cmocka_run_group_tests_name("common/utf8", tests, NULL, NULL);
}
