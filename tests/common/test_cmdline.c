/* Windows command-line quoting: each case is what CommandLineToArgvW must give back. */
#include <stdlib.h>
#include <string.h>

#include "common/cmdline.h"
#include "testutil.h"

static void expect_quoted(const char *arg, const char *want) {
  wctr_cmdline cl = {0};
  assert_int_equal(wctr_cmdline_append(&cl, arg), WCTR_OK);
  assert_string_equal(cl.text, want);
  wctr_cmdline_free(&cl);
}

static void test_plain_arguments_are_unchanged(void **state) {
  (void)state;
  expect_quoted("cmd", "cmd");
  expect_quoted("C:\\Program\\x.exe", "C:\\Program\\x.exe");
  expect_quoted("a\\\\b\\", "a\\\\b\\"); /* backslashes are literal when no quote follows */
}

static void test_spaces_and_empty_are_quoted(void **state) {
  (void)state;
  expect_quoted("", "\"\"");
  expect_quoted("two words", "\"two words\"");
  expect_quoted("tab\there", "\"tab\there\"");
  expect_quoted("C:\\Program Files\\wctr\\", "\"C:\\Program Files\\wctr\\\\\"");
}

static void test_quotes_and_backslashes_before_them(void **state) {
  (void)state;
  expect_quoted("say \"hi\"", "\"say \\\"hi\\\"\"");
  expect_quoted("a\\\"b", "\"a\\\\\\\"b\"");   /* a\"b -> "a\\\"b" */
  expect_quoted("end\\\\", "end\\\\");         /* no quoting needed */
  expect_quoted("sp end\\\\", "\"sp end\\\\\\\\\""); /* trailing 2 backslashes doubled before the closing quote */
}

static void test_arguments_are_joined_by_one_space(void **state) {
  (void)state;
  wctr_cmdline cl = {0};
  assert_int_equal(wctr_cmdline_append(&cl, "wctrd.exe"), WCTR_OK);
  assert_int_equal(wctr_cmdline_append(&cl, "service"), WCTR_OK);
  assert_int_equal(wctr_cmdline_append(&cl, "--data-root"), WCTR_OK);
  assert_int_equal(wctr_cmdline_append(&cl, "C:\\wctr data"), WCTR_OK);
  assert_string_equal(cl.text, "wctrd.exe service --data-root \"C:\\wctr data\"");
  assert_int_equal(cl.len, strlen(cl.text));
  wctr_cmdline_free(&cl);
  assert_null(cl.text);
}

static void test_long_arguments_grow_the_buffer(void **state) {
  (void)state;
  char big[5000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  wctr_cmdline cl = {0};
  for (int i = 0; i < 3; i++) assert_int_equal(wctr_cmdline_append(&cl, big), WCTR_OK);
  assert_int_equal(cl.len, 3 * (sizeof big - 1) + 2);
  wctr_cmdline_free(&cl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_arguments_are_unchanged),
      cmocka_unit_test(test_spaces_and_empty_are_quoted),
      cmocka_unit_test(test_quotes_and_backslashes_before_them),
      cmocka_unit_test(test_arguments_are_joined_by_one_space),
      cmocka_unit_test(test_long_arguments_grow_the_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
