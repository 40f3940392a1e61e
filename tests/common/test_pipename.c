/* Pipe names and Docker-style hosts. */
#include <string.h>

#include "common/pipename.h"
#include "testutil.h"

static void expect_path(const char *text, bool bare, const char *want) {
  char out[WCTR_PIPE_PATH_MAX];
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_path(text, bare, "--host", out, sizeof out, &e), WCTR_OK);
  assert_string_equal(out, want);
}

static void expect_refused(const char *text, bool bare, const char *fragment) {
  char out[WCTR_PIPE_PATH_MAX];
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_path(text, bare, "--host", out, sizeof out, &e), WCTR_EINVAL);
  if (strstr(e.text, fragment) == NULL) fail_msg("message \"%s\" lacks \"%s\"", e.text, fragment);
  assert_non_null(strstr(e.text, "--host"));
}

static void test_accepted_forms(void **state) {
  (void)state;
  expect_path("\\\\.\\pipe\\wctr_engine", false, "\\\\.\\pipe\\wctr_engine");
  expect_path("\\\\.\\PIPE\\Other", false, "\\\\.\\pipe\\Other");
  expect_path("npipe:////./pipe/docker_engine", false, "\\\\.\\pipe\\docker_engine");
  expect_path("npipe://./pipe/x", false, "\\\\.\\pipe\\x");
  expect_path("NPIPE:////./pipe/x", false, "\\\\.\\pipe\\x");
  expect_path("mine", true, "\\\\.\\pipe\\mine");
}

static void test_refused_forms(void **state) {
  (void)state;
  expect_refused("mine", false, "expected \\\\.\\pipe\\NAME");
  expect_refused("npipe:////server/pipe/x", false, "only pipes on this machine");
  expect_refused("\\\\server\\pipe\\x", false, "only pipes on this machine");
  expect_refused("tcp://127.0.0.1:2375", false, "named pipe only");
  expect_refused("\\\\.\\pipe\\", false, "empty");
  expect_refused("\\\\.\\pipe\\a\\b", false, "cannot contain");
  expect_refused("npipe:////./pipe/a/b", false, "cannot contain");
  expect_refused("bad\x01name", true, "control characters");
}

static void test_length_limit(void **state) {
  (void)state;
  char name[WCTR_PIPE_NAME_MAX + 2];
  memset(name, 'a', sizeof name);
  name[WCTR_PIPE_NAME_MAX] = '\0';
  char out[WCTR_PIPE_PATH_MAX];
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_path(name, true, "--pipe", out, sizeof out, &e), WCTR_OK);
  name[WCTR_PIPE_NAME_MAX] = 'a';
  name[WCTR_PIPE_NAME_MAX + 1] = '\0';
  assert_int_equal(wctr_pipe_path(name, true, "--pipe", out, sizeof out, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "longer than 200"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepted_forms),
      cmocka_unit_test(test_refused_forms),
      cmocka_unit_test(test_length_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
