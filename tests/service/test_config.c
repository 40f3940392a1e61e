/* wctrd settings: wctrd.json strictly, flags, and the rule that one setting has one source. */
#include <stdio.h>
#include <string.h>

#include "service/config.h"
#include "images/trust.h"
#include "testutil.h"

static wctr_err parse(const char *text, svc_config *cfg, wctr_errmsg *e) {
  return svc_config_parse(text, strlen(text), "wctrd.json", cfg, e);
}

static void expect_error(const char *text, const char *want) {
  svc_config cfg;
  wctr_errmsg e;
  assert_int_equal(parse(text, &cfg, &e), WCTR_ECONFIG);
  assert_string_equal(e.text, want);
  assert_int_equal(cfg.group_count, 0); /* nothing half-filled */
}

static void test_defaults(void **state) {
  (void)state;
  svc_config cfg;
  svc_config_init(&cfg);
  assert_string_equal(cfg.pipe_path, "\\\\.\\pipe\\wctr_engine");
  assert_int_equal(cfg.group_count, 0);
  assert_int_equal(cfg.log_level, WCTR_LOG_INFO);
  assert_false(cfg.pipe_set || cfg.groups_set || cfg.log_level_set);
}

static void test_full_file(void **state) {
  (void)state;
  svc_config cfg;
  wctr_errmsg e;
  assert_int_equal(parse("{\"pipe\":\"npipe:////./pipe/other\",\"groups\":[\"docker-users\",\"S-1-5-32-545\"],"
                         "\"log-level\":\"debug\"}",
                         &cfg, &e),
                   WCTR_OK);
  assert_string_equal(cfg.pipe_path, "\\\\.\\pipe\\other");
  assert_int_equal(cfg.group_count, 2);
  assert_string_equal(cfg.groups[0], "docker-users");
  assert_string_equal(cfg.groups[1], "S-1-5-32-545");
  assert_int_equal(cfg.log_level, WCTR_LOG_DEBUG);
  svc_config_free(&cfg);
}

static void test_allow_unencrypted_secrets(void **state) {
  (void)state;
  svc_config cfg;
  svc_config flags;
  wctr_errmsg e;
  assert_int_equal(parse("{\"allow-unencrypted-secrets\":true}", &cfg, &e), WCTR_OK);
  assert_true(cfg.allow_unencrypted_secrets);
  svc_config_init(&flags);
  assert_false(flags.allow_unencrypted_secrets); /* off unless the file says so */
  assert_int_equal(svc_config_merge(&flags, &cfg, "wctrd.json", &e), WCTR_OK);
  assert_true(flags.allow_unencrypted_secrets);
  svc_config_free(&flags);
  expect_error("{\"allow-unencrypted-secrets\":\"yes\"}",
               "wctrd.json: \"allow-unencrypted-secrets\" must be a boolean, not a string");
  expect_error("{\"allow-unencrypted-secrets\":1}", "wctrd.json: \"allow-unencrypted-secrets\" must be a boolean, not a number");
}

static void test_insecure_registries(void **state) {
  (void)state;
  svc_config cfg;
  svc_config flags;
  wctr_errmsg e;
  assert_int_equal(parse("{\"insecure-registries\":[\"reg.lan:5000\",\"10.0.0.0/8\",\"[fd00::1]:5000\"]}", &cfg, &e), WCTR_OK);
  assert_int_equal(cfg.insecure_count, 3);
  svc_config_init(&flags);
  assert_int_equal(svc_config_merge(&flags, &cfg, "wctrd.json", &e), WCTR_OK);
  assert_int_equal(flags.insecure_count, 3);
  assert_string_equal(flags.insecure[1], "10.0.0.0/8");
  assert_null(flags.insecure[3]); /* NULL-terminated for the registry client */
  svc_config_free(&flags);
  expect_error("{\"insecure-registries\":\"reg\"}", "wctrd.json: \"insecure-registries\" must be an array of strings, not a string");
  expect_error("{\"insecure-registries\":[\"http://reg\"]}",
               "wctrd.json: \"insecure-registries\": \"http://reg\" is not a registry (host, host:port or an IPv4 CIDR such "
               "as 10.0.0.0/8)");
  expect_error("{\"insecure-registries\":[\"\"]}",
               "wctrd.json: \"insecure-registries\": \"\" is not a registry (host, host:port or an IPv4 CIDR such as "
               "10.0.0.0/8)");
}

static void test_image_trust(void **state) {
  (void)state;
  svc_config cfg;
  svc_config flags;
  wctr_errmsg e;
  assert_int_equal(parse("{\"image-trust\":{\"policy\":\"signed\",\"keys\":[\"C:\\\\keys\\\\cosign.pub\"],"
                         "\"repositories\":{\"127.0.0.1:5000/dev\":{\"policy\":\"off\"}}}}", &cfg, &e), WCTR_OK);
  assert_non_null(cfg.image_trust);
  svc_config_init(&flags);
  assert_int_equal(svc_config_merge(&flags, &cfg, "wctrd.json", &e), WCTR_OK);
  assert_null(cfg.image_trust); /* moved */
  assert_int_equal(img_trust_mode_for(flags.image_trust, "mcr.microsoft.com/windows/nanoserver", NULL), IMG_TRUST_SIGNED);
  assert_int_equal(img_trust_mode_for(flags.image_trust, "127.0.0.1:5000/dev/app", NULL), IMG_TRUST_OFF);
  svc_config_free(&flags);
  /* absent: off */
  assert_int_equal(parse("{}", &cfg, &e), WCTR_OK);
  assert_null(cfg.image_trust);
  expect_error("{\"image-trust\":true}", "wctrd.json: \"image-trust\" must be an object, not a boolean");
  expect_error("{\"image-trust\":{\"policy\":\"signed\"}}",
               "wctrd.json: \"image-trust\": \"policy\" is \"signed\" but \"keys\" lists no public key to verify with");
  expect_error("{\"image-trust\":{\"policy\":\"required\"}}",
               "wctrd.json: \"image-trust\": \"policy\" must be \"signed\" or \"off\", not \"required\"");
}

static void test_empty_object_sets_nothing(void **state) {
  (void)state;
  svc_config cfg;
  wctr_errmsg e;
  assert_int_equal(parse("  {}\n", &cfg, &e), WCTR_OK);
  assert_false(cfg.pipe_set || cfg.groups_set || cfg.log_level_set);
}

static void test_errors_name_the_key(void **state) {
  (void)state;
  expect_error("{\"pipe\":\"x\",\"debug\":true}", "wctrd.json: unknown key \"debug\"");
  expect_error("{\"pipe\":5}", "wctrd.json: \"pipe\" must be a string, not a number");
  expect_error("{\"groups\":\"admins\"}", "wctrd.json: \"groups\" must be an array of strings, not a string");
  expect_error("{\"groups\":[\"a\",1]}", "wctrd.json: \"groups\"[1] must be a string, not a number");
  expect_error("{\"log-level\":\"verbose\"}",
               "wctrd.json: \"log-level\": log level \"verbose\" is not one of error, warn, info, debug");
  expect_error("{\"pipe\":\"a\\\\b\"}",
               "wctrd.json: \"pipe\" \"a\\b\": a pipe name cannot contain '\\', '/' or control characters");
  expect_error("{\"groups\":[\"ok\",\"\"]}", "wctrd.json: \"groups\": a group name must be 1 to 256 characters");
  expect_error("{\"pipe\":\"a\",\"pipe\":\"b\"}", "wctrd.json: duplicate key \"pipe\"");
  expect_error("[1]", "wctrd.json must be an object, not an array");
  expect_error("{\"pipe\":", "wctrd.json is not valid JSON");
}

static void test_oversized_file(void **state) {
  (void)state;
  svc_config cfg;
  wctr_errmsg e;
  static char big[SVC_CONFIG_MAX_BYTES + 2];
  memset(big, ' ', sizeof big);
  big[0] = '{';
  big[sizeof big - 2] = '}';
  assert_int_equal(svc_config_parse(big, sizeof big - 1, "wctrd.json", &cfg, &e), WCTR_ECONFIG);
  assert_string_equal(e.text, "wctrd.json is larger than 65536 bytes");
}

static void test_merge_takes_file_settings_flags_did_not_set(void **state) {
  (void)state;
  svc_config flags;
  svc_config file;
  wctr_errmsg e;
  svc_config_init(&flags);
  assert_int_equal(svc_config_set_pipe(&flags, "mine", "--pipe", &e), WCTR_OK);
  assert_int_equal(parse("{\"groups\":[\"g1\"],\"log-level\":\"warn\"}", &file, &e), WCTR_OK);
  assert_int_equal(svc_config_merge(&flags, &file, "wctrd.json", &e), WCTR_OK);
  assert_string_equal(flags.pipe_path, "\\\\.\\pipe\\mine");
  assert_int_equal(flags.group_count, 1);
  assert_string_equal(flags.groups[0], "g1");
  assert_int_equal(flags.log_level, WCTR_LOG_WARN);
  assert_int_equal(file.group_count, 0);
  svc_config_free(&flags);
}

static void test_merge_conflict_is_an_error(void **state) {
  (void)state;
  svc_config flags;
  svc_config file;
  wctr_errmsg e;
  svc_config_init(&flags);
  assert_int_equal(svc_config_add_group(&flags, "g0", "--group", &e), WCTR_OK);
  assert_int_equal(parse("{\"groups\":[\"g1\"]}", &file, &e), WCTR_OK);
  assert_int_equal(svc_config_merge(&flags, &file, "C:\\wctr\\config\\wctrd.json", &e), WCTR_ECONFIG);
  assert_string_equal(e.text, "groups is given both as the flag --group and as \"groups\" in "
                              "C:\\wctr\\config\\wctrd.json; keep one");
  assert_int_equal(flags.group_count, 1);
  svc_config_free(&flags);
}

static void test_group_limit(void **state) {
  (void)state;
  svc_config cfg;
  wctr_errmsg e;
  svc_config_init(&cfg);
  for (int i = 0; i < SVC_MAX_GROUPS; i++) assert_int_equal(svc_config_add_group(&cfg, "g", "--group", &e), WCTR_OK);
  assert_int_equal(svc_config_add_group(&cfg, "g", "--group", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--group: at most 32 groups can be given");
  svc_config_free(&cfg);
}


/* --- the Docker Engine API's listeners ---------------------------------------------------------------------- */

static void test_docker_api_addresses(void **state) {
  (void)state;
  svc_config cfg;
  wctr_errmsg e;
  assert_int_equal(parse("{\"docker-api\":[\"npipe:////./pipe/docker_engine\",\"tcp://127.0.0.1:2375\","
                         "\"tcp://localhost:2376\",\"tcp://[::1]:2377\",\"npipe://./pipe/other\"]}",
                         &cfg, &e),
                   WCTR_OK);
  assert_int_equal(cfg.docker_api_count, 5);
  assert_true(cfg.docker_api_set);
  assert_int_equal(cfg.docker_api[0].kind, SVC_API_NPIPE);
  assert_string_equal(cfg.docker_api[0].pipe_path, "\\\\.\\pipe\\docker_engine");
  assert_string_equal(cfg.docker_api[0].text, "npipe:////./pipe/docker_engine");
  assert_int_equal(cfg.docker_api[1].kind, SVC_API_TCP);
  assert_string_equal(cfg.docker_api[1].host, "127.0.0.1");
  assert_int_equal(cfg.docker_api[1].port, 2375);
  assert_string_equal(cfg.docker_api[2].text, "tcp://127.0.0.1:2376"); /* localhost is 127.0.0.1 */
  assert_true(cfg.docker_api[3].ipv6);
  assert_string_equal(cfg.docker_api[3].text, "tcp://[::1]:2377");
  assert_string_equal(cfg.docker_api[4].text, "npipe:////./pipe/other");
  svc_config_free(&cfg);
  assert_int_equal(cfg.docker_api_count, 0);
}

static void test_docker_api_refusals(void **state) {
  (void)state;
  const char *loopback = "only a named pipe (npipe:////./pipe/NAME) or a loopback TCP address";
  const char *bad[] = {"tcp://0.0.0.0:2375", "tcp://192.168.1.10:2375", "tcp://[::]:2375", "tcp://example.com:2375",
                       "tcp://127.0.0.256:2375", "tcp://128.0.0.1:2375", "unix:///var/run/docker.sock", "fd://",
                       "127.0.0.1:2375", "tcp://127.0.0.1.2:2375", NULL};
  for (size_t i = 0; bad[i] != NULL; i++) {
    svc_config cfg;
    svc_config_init(&cfg);
    wctr_errmsg e;
    assert_int_equal(svc_config_add_docker_api(&cfg, bad[i], "--docker-api", &e), WCTR_EINVAL);
    if (strstr(e.text, loopback) == NULL || strstr(e.text, bad[i]) == NULL) fail_msg("%s: %s", bad[i], e.text);
    assert_int_equal(cfg.docker_api_count, 0);
  }
  svc_config cfg;
  svc_config_init(&cfg);
  wctr_errmsg e;
  assert_int_equal(svc_config_add_docker_api(&cfg, "tcp://127.0.0.1", "--docker-api", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--docker-api \"tcp://127.0.0.1\": a TCP address needs a port (tcp://127.0.0.1:PORT)");
  assert_int_equal(svc_config_add_docker_api(&cfg, "tcp://127.0.0.1:0", "--docker-api", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--docker-api \"tcp://127.0.0.1:0\": the port must be a number from 1 to 65535");
  assert_int_equal(svc_config_add_docker_api(&cfg, "tcp://127.0.0.1:65536", "--docker-api", &e), WCTR_EINVAL);
  assert_int_equal(svc_config_add_docker_api(&cfg, "tcp://127.0.0.1:2375", "--docker-api", &e), WCTR_OK);
  assert_int_equal(svc_config_add_docker_api(&cfg, "tcp://localhost:2375", "--docker-api", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--docker-api: tcp://127.0.0.1:2375 is given twice");
  for (int i = 1; i < SVC_MAX_DOCKER_API; i++) {
    char text[64];
    snprintf(text, sizeof text, "tcp://127.0.0.1:%d", 3000 + i);
    assert_int_equal(svc_config_add_docker_api(&cfg, text, "--docker-api", &e), WCTR_OK);
  }
  assert_int_equal(svc_config_add_docker_api(&cfg, "tcp://127.0.0.1:4000", "--docker-api", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--docker-api: at most 8 Engine API addresses can be given");
  /* In the file: strict as every other key, and the message names the file. */
  expect_error("{\"docker-api\":\"tcp://127.0.0.1:2375\"}", "wctrd.json: \"docker-api\" must be an array of strings, not a string");
  svc_config out;
  assert_int_equal(parse("{\"docker-api\":[\"tcp://10.0.0.1:2375\"]}", &out, &e), WCTR_ECONFIG);
  assert_non_null(strstr(e.text, "wctrd.json: \"docker-api\" \"tcp://10.0.0.1:2375\": only a named pipe"));
}

static void test_docker_api_merge(void **state) {
  (void)state;
  svc_config flags, file;
  wctr_errmsg e;
  svc_config_init(&flags);
  assert_int_equal(parse("{\"docker-api\":[\"tcp://127.0.0.1:2375\"]}", &file, &e), WCTR_OK);
  assert_int_equal(svc_config_merge(&flags, &file, "wctrd.json", &e), WCTR_OK);
  assert_int_equal(flags.docker_api_count, 1);
  assert_int_equal(flags.docker_api[0].port, 2375);
  svc_config_free(&flags);
  svc_config_init(&flags);
  assert_int_equal(svc_config_add_docker_api(&flags, "npipe:////./pipe/d", "--docker-api", &e), WCTR_OK);
  assert_int_equal(parse("{\"docker-api\":[\"tcp://127.0.0.1:2375\"]}", &file, &e), WCTR_OK);
  assert_int_equal(svc_config_merge(&flags, &file, "wctrd.json", &e), WCTR_ECONFIG);
  assert_string_equal(e.text,
                      "docker-api is given both as the flag --docker-api and as \"docker-api\" in wctrd.json; keep one");
  svc_config_free(&flags);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_full_file),
      cmocka_unit_test(test_empty_object_sets_nothing),
      cmocka_unit_test(test_allow_unencrypted_secrets),
      cmocka_unit_test(test_image_trust), cmocka_unit_test(test_insecure_registries),
      cmocka_unit_test(test_errors_name_the_key),
      cmocka_unit_test(test_oversized_file),
      cmocka_unit_test(test_merge_takes_file_settings_flags_did_not_set),
      cmocka_unit_test(test_merge_conflict_is_an_error),
      cmocka_unit_test(test_group_limit),
      cmocka_unit_test(test_docker_api_addresses),
      cmocka_unit_test(test_docker_api_refusals),
      cmocka_unit_test(test_docker_api_merge),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
