/* wctrd's command line. */
#include <string.h>

#include "service/args.h"
#include "testutil.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_no_arguments_is_help(void **state) {
  (void)state;
  char *argv[] = {"wctrd"};
  svc_args a;
  wctr_errmsg e;
  assert_int_equal(svc_args_parse(1, argv, &a, &e), WCTR_OK);
  assert_int_equal(a.command, SVC_CMD_HELP);
  assert_non_null(strstr(svc_usage(SVC_CMD_HELP), "install"));
  svc_args_free(&a);
}

static void test_install_with_everything(void **state) {
  (void)state;
  char *argv[] = {"wctrd", "install", "--service-name", "wctrd-test", "--data-root", "D:\\wctr",
                  "--pipe", "p1", "-G", "docker-users", "--group=S-1-5-32-545", "--log-level", "debug"};
  svc_args a;
  wctr_errmsg e;
  assert_int_equal(svc_args_parse(ARGC(argv), argv, &a, &e), WCTR_OK);
  assert_int_equal(a.command, SVC_CMD_INSTALL);
  assert_string_equal(a.service_name, "wctrd-test");
  assert_string_equal(a.data_root, "D:\\wctr");
  assert_string_equal(a.flags.pipe_path, "\\\\.\\pipe\\p1");
  assert_int_equal(a.flags.group_count, 2);
  assert_string_equal(a.flags.groups[1], "S-1-5-32-545");
  assert_int_equal(a.flags.log_level, WCTR_LOG_DEBUG);
  svc_args_free(&a);
}

static void test_defaults(void **state) {
  (void)state;
  char *argv[] = {"wctrd", "run"};
  svc_args a;
  wctr_errmsg e;
  assert_int_equal(svc_args_parse(ARGC(argv), argv, &a, &e), WCTR_OK);
  assert_int_equal(a.command, SVC_CMD_RUN);
  assert_string_equal(a.service_name, "wctrd");
  assert_null(a.data_root);
  assert_false(a.flags.pipe_set);
  svc_args_free(&a);
}

static void test_help_of_a_command(void **state) {
  (void)state;
  char *argv[] = {"wctrd", "install", "--help"};
  svc_args a;
  wctr_errmsg e;
  assert_int_equal(svc_args_parse(ARGC(argv), argv, &a, &e), WCTR_OK);
  assert_int_equal(a.command, SVC_CMD_HELP);
  assert_int_equal(a.help_for, SVC_CMD_INSTALL);
  assert_non_null(strstr(svc_usage(a.help_for), "--group"));
  svc_args_free(&a);
}

static void expect_refused(int argc, char **argv, const char *want) {
  svc_args a;
  wctr_errmsg e;
  assert_int_equal(svc_args_parse(argc, argv, &a, &e), WCTR_EINVAL);
  assert_string_equal(e.text, want);
  svc_args_free(&a);
}

/* The BitLocker test knob: `wctrd run` only; the installed service can never be given it. */
static void test_bitlocker_test_knob_console_only(void **state) {
  (void)state;
  svc_args a;
  wctr_errmsg e;
  char *run[] = {"wctrd", "run", "--test-bitlocker-state", "unknown"};
  assert_int_equal(svc_args_parse(ARGC(run), run, &a, &e), WCTR_OK);
  assert_string_equal(a.test_bitlocker_state, "unknown");
  svc_args_free(&a);
  char *plain[] = {"wctrd", "run"};
  assert_int_equal(svc_args_parse(ARGC(plain), plain, &a, &e), WCTR_OK);
  assert_null(a.test_bitlocker_state);
  svc_args_free(&a);
  char *install[] = {"wctrd", "install", "--test-bitlocker-state", "encrypted"};
  assert_int_equal(svc_args_parse(ARGC(install), install, &a, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "wctrd install does not take --test-bitlocker-state"));
  svc_args_free(&a);
  char *service[] = {"wctrd", "service", "--test-bitlocker-state", "encrypted"};
  assert_int_equal(svc_args_parse(ARGC(service), service, &a, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "wctrd service does not take --test-bitlocker-state"));
  svc_args_free(&a);
  char *bad[] = {"wctrd", "run", "--test-bitlocker-state", "maybe"};
  assert_int_equal(svc_args_parse(ARGC(bad), bad, &a, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "encrypted, not-encrypted or unknown"));
  svc_args_free(&a);
  /* --test-volume-dacl-unread likewise: wctrd run only, never the service */
  char *unread[] = {"wctrd", "run", "--test-volume-dacl-unread"};
  assert_int_equal(svc_args_parse(ARGC(unread), unread, &a, &e), WCTR_OK);
  assert_true(a.test_volume_dacl_unread);
  svc_args_free(&a);
  assert_int_equal(svc_args_parse(ARGC(plain), plain, &a, &e), WCTR_OK);
  assert_false(a.test_volume_dacl_unread);
  svc_args_free(&a);
  char *unread_service[] = {"wctrd", "service", "--test-volume-dacl-unread"};
  assert_int_equal(svc_args_parse(ARGC(unread_service), unread_service, &a, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "wctrd service does not take --test-volume-dacl-unread"));
  svc_args_free(&a);
}

static void test_refusals_name_the_problem(void **state) {
  (void)state;
  char *a1[] = {"wctrd", "start"};
  expect_refused(ARGC(a1), a1, "unknown command \"start\"");
  char *a2[] = {"wctrd", "uninstall", "--pipe", "x"};
  expect_refused(ARGC(a2), a2, "wctrd uninstall does not take --pipe");
  char *a3[] = {"wctrd", "run", "--service-name", "x"};
  expect_refused(ARGC(a3), a3, "wctrd run does not take --service-name");
  char *a4[] = {"wctrd", "install", "--service-name", "bad name"};
  expect_refused(ARGC(a4), a4, "--service-name \"bad name\": use letters, digits, '-', '_' and '.' only");
  char *a5[] = {"wctrd", "run", "extra"};
  expect_refused(ARGC(a5), a5, "wctrd run takes no arguments, but \"extra\" was given");
  char *a6[] = {"wctrd", "run", "--log-level", "loud"};
  expect_refused(ARGC(a6), a6, "--log-level: log level \"loud\" is not one of error, warn, info, debug");
  char *a7[] = {"wctrd", "run", "--data-root", ""};
  expect_refused(ARGC(a7), a7, "--data-root cannot be empty");
  char *a8[] = {"wctrd", "run", "--pipe", "npipe:////host/pipe/x"};
  expect_refused(ARGC(a8), a8,
                 "--pipe \"npipe:////host/pipe/x\": only pipes on this machine can be used (\\\\.\\pipe\\NAME or "
                 "npipe:////./pipe/NAME)");
  char *a9[] = {"wctrd", "run", "--bogus"};
  expect_refused(ARGC(a9), a9, "unknown flag: --bogus");
}


static void test_docker_api_flag(void **state) {
  (void)state;
  char *argv[] = {"wctrd", "install", "--docker-api", "npipe:////./pipe/docker_engine", "--docker-api",
                  "tcp://127.0.0.1:2375"};
  svc_args a;
  wctr_errmsg e;
  assert_int_equal(svc_args_parse(ARGC(argv), argv, &a, &e), WCTR_OK);
  assert_int_equal(a.flags.docker_api_count, 2);
  assert_string_equal(a.flags.docker_api[1].text, "tcp://127.0.0.1:2375");
  svc_args_free(&a);
  char *run[] = {"wctrd", "run", "--docker-api=tcp://[::1]:2375"};
  assert_int_equal(svc_args_parse(ARGC(run), run, &a, &e), WCTR_OK);
  assert_true(a.flags.docker_api[0].ipv6);
  svc_args_free(&a);
  char *bad[] = {"wctrd", "run", "--docker-api", "tcp://0.0.0.0:2375"};
  expect_refused(ARGC(bad), bad,
                 "--docker-api \"tcp://0.0.0.0:2375\": only a named pipe (npipe:////./pipe/NAME) or a loopback TCP "
                 "address (tcp://127.0.0.1:PORT, tcp://[::1]:PORT, tcp://localhost:PORT) can be given: the Engine API has "
                 "no TLS yet, and whoever reaches it can run containers as SYSTEM");
  char *un[] = {"wctrd", "uninstall", "--docker-api", "tcp://127.0.0.1:2375"};
  expect_refused(ARGC(un), un, "wctrd uninstall does not take --docker-api");
  assert_non_null(strstr(svc_usage(SVC_CMD_RUN), "--docker-api ADDRESS"));
  assert_non_null(strstr(svc_usage(SVC_CMD_INSTALL), "--docker-api ADDRESS"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_arguments_is_help),    cmocka_unit_test(test_install_with_everything),
      cmocka_unit_test(test_defaults),                cmocka_unit_test(test_help_of_a_command),
      cmocka_unit_test(test_refusals_name_the_problem),
      cmocka_unit_test(test_bitlocker_test_knob_console_only),
      cmocka_unit_test(test_docker_api_flag),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
