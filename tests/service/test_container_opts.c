/* Labels, restart policy and security options of container records (read by spec/spec.h, kept by
 * service/container.c): the create params' rules and Docker's messages, the record (with the resolved
 * credential spec) and inspect (without its secret), the label filter and the restart decisions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "service/container.h"
#include "credspec_sample.h"
#include "testutil.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NOW "2026-11-22T13:00:00.000Z"
#define SECRET SAMPLE_SPEC_SECRET

static wctr_err build(const char *json, svc_container *c, wctr_errmsg *e) {
  cJSON *params = cJSON_Parse(json);
  if (params == NULL) fail_msg("test JSON does not parse: %s", json);
  spec_warnings w = {0};
  wctr_err err = svc_container_from_params(params, ID, "brave_turing", NOW, 4, c, &w, e);
  cJSON_Delete(params);
  return err;
}

static void expect_refused(const char *json, const char *want) {
  svc_container c;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (build(json, &c, &e) == WCTR_OK) {
    svc_container_free(&c);
    fail_msg("accepted: %s", json);
  }
  if (strcmp(e.text, want) != 0) fail_msg("message \"%s\"\n   wanted \"%s\"", e.text, want);
}

#define JOB "\"Image\":\"host\",\"Cmd\":[\"x\"],"

static void test_labels(void **state) {
  (void)state;
  svc_container c;
  wctr_errmsg e;
  assert_int_equal(build("{" JOB "\"Labels\":{\"z\":\"last\",\"com.docker.compose.project\":\"shop\",\"a\":\"\"}}", &c, &e),
                   WCTR_OK);
  assert_int_equal(c.spec.labels.count, 3);
  assert_string_equal(c.spec.labels.keys[0], "a");
  assert_string_equal(c.spec.labels.keys[1], "com.docker.compose.project");
  assert_string_equal(c.spec.labels.values[1], "shop");
  assert_string_equal(c.spec.labels.keys[2], "z");
  assert_true(spec_labels_match(&c.spec.labels, "com.docker.compose.project"));
  assert_true(spec_labels_match(&c.spec.labels, "com.docker.compose.project=shop"));
  assert_false(spec_labels_match(&c.spec.labels, "com.docker.compose.project=shop2"));
  assert_false(spec_labels_match(&c.spec.labels, "com.docker.compose"));
  assert_true(spec_labels_match(&c.spec.labels, "a="));
  assert_false(spec_labels_match(&c.spec.labels, "b"));
  svc_container_free(&c);
  expect_refused("{" JOB "\"Labels\":[]}", "params: \"Labels\" must be an object, not an array");
  expect_refused("{" JOB "\"Labels\":{\"a\":1}}", "params.Labels: \"a\" must be a string, not a number");
  expect_refused("{" JOB "\"Labels\":{\"\":\"x\"}}", "params.Labels: a label key is empty");
  expect_refused("{" JOB "\"Labels\":{\"a\":\"1\",\"a\":\"2\"}}", "params.Labels: duplicate key \"a\"");
  expect_refused("{" JOB "\"Labels\":{\"a\\u0001\":\"1\"}}",
                 "params.Labels: label key \"a\\x01\" is not valid (at most 1024 bytes of UTF-8, no control characters)");
}

static void test_restart_policy(void **state) {
  (void)state;
  svc_container c;
  wctr_errmsg e;
  assert_int_equal(build("{" JOB "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}}}",
                         &c, &e),
                   WCTR_OK);
  assert_int_equal(c.spec.restart.name, SPEC_RESTART_ON_FAILURE);
  assert_int_equal(c.spec.restart.max_retries, 3);
  svc_container_free(&c);
  static const struct {
    const char *name;
    spec_restart_name want;
  } names[] = {{"", SPEC_RESTART_NO},
               {"no", SPEC_RESTART_NO},
               {"always", SPEC_RESTART_ALWAYS},
               {"unless-stopped", SPEC_RESTART_UNLESS_STOPPED}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char json[200];
    snprintf(json, sizeof json, "{" JOB "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"%s\"}}}", names[i].name);
    assert_int_equal(build(json, &c, &e), WCTR_OK);
    assert_int_equal(c.spec.restart.name, names[i].want);
    svc_container_free(&c);
  }
  /* Docker's messages. */
  expect_refused("{" JOB "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"sometimes\"}}}",
                 "invalid restart policy 'sometimes'");
  expect_refused("{" JOB "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"Always\"}}}", "invalid restart policy 'Always'");
  expect_refused("{" JOB "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\",\"MaximumRetryCount\":2}}}",
                 "maximum retry count cannot be used with restart policy 'always'");
  expect_refused("{" JOB "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":-1}}}",
                 "maximum retry count cannot be negative");
  expect_refused("{" JOB "\"HostConfig\":{\"AutoRemove\":true,\"RestartPolicy\":{\"Name\":\"always\"}}}",
                 "can't create 'AutoRemove' container with restart policy");
  expect_refused("{" JOB "\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"no\",\"Delay\":1}}}",
                 "params.HostConfig.RestartPolicy: unknown key \"Delay\"");
}

static void test_security_opt(void **state) {
  (void)state;
  svc_container c;
  wctr_errmsg e;
  assert_int_equal(build("{\"Image\":\"img\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"process\","
                         "\"SecurityOpt\":[\"CredentialSpec=file://web.json\"]}}",
                         &c, &e),
                   WCTR_OK);
  assert_string_equal(c.spec.credspec_option, "file://web.json");
  assert_null(c.spec.credspec_json); /* resolved by the service, not here */
  svc_container_free(&c);
  expect_refused("{" JOB "\"HostConfig\":{\"SecurityOpt\":[\"seccomp=unconfined\"]}}",
                 "params.HostConfig.SecurityOpt[0]: \"seccomp=unconfined\" is not supported by wctr; only "
                 "credentialspec=... is (a gMSA credential spec)");
  expect_refused("{" JOB "\"HostConfig\":{\"SecurityOpt\":[\"credentialspec\"]}}",
                 "params.HostConfig.SecurityOpt[0]: \"credentialspec\" is not supported by wctr; only credentialspec=... "
                 "is (a gMSA credential spec)");
  expect_refused("{\"Image\":\"img\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"process\",\"SecurityOpt\":["
                 "\"credentialspec=file://a.json\",\"credentialspec=file://b.json\"]}}",
                 "params.HostConfig.SecurityOpt[1]: only one credentialspec= may be given");
  expect_refused("{\"Image\":\"img\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"process\",\"SecurityOpt\":["
                 "\"credentialspec=web.json\"]}}",
                 "invalid credential spec security option - value must be prefixed by 'file://', 'registry://', "
                 "'config://', or 'raw://' followed by a non-empty value");
  expect_refused("{\"Image\":\"img\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"process\",\"SecurityOpt\":["
                 "\"credentialspec=file://..\\\\x.json\"]}}",
                 "invalid credential spec: file:// path must be under the credentialspecs folder");
  expect_refused("{" JOB "\"HostConfig\":{\"Isolation\":\"job\",\"SecurityOpt\":[\"credentialspec=file://web.json\"]}}",
                 "a credential spec (gMSA) needs process or Hyper-V isolation: a job container runs on the host with a "
                 "local identity and cannot carry a gMSA (remove credentialspec= or choose another isolation)");
  expect_refused("{" JOB "\"HostConfig\":{\"SecurityOpt\":\"credentialspec=file://web.json\"}}",
                 "params.HostConfig: \"SecurityOpt\" must be an array of strings, not a string");
}

/* The record keeps the whole spec for the HCS path; inspect never shows PluginInput. */
static void test_record_and_inspect(void **state) {
  (void)state;
  svc_container c;
  svc_container back;
  wctr_errmsg e;
  char json[sizeof sample_spec + 400];
  snprintf(json, sizeof json,
           "{\"Image\":\"img\",\"Cmd\":[\"x\"],\"Labels\":{\"tier\":\"web\"},\"HostConfig\":{\"Isolation\":\"process\","
           "\"RestartPolicy\":{\"Name\":\"unless-stopped\"},\"SecurityOpt\":[\"credentialspec=raw://%s\"]}}",
           "{\\\"a\\\":1}");
  assert_int_equal(build(json, &c, &e), WCTR_OK);
  assert_int_equal(svc_container_set_credspec(&c, "raw://", sample_spec, &e), WCTR_OK);
  c.state.restart_count = 2;
  c.state.manually_stopped = true;
  cJSON *inspect = svc_container_to_json(&c);
  char *shown = cJSON_PrintUnformatted(inspect);
  assert_null(strstr(shown, SECRET));
  assert_non_null(strstr(shown, "\"PluginInput\":\"<redacted>\""));
  assert_non_null(strstr(shown, "\"SecurityOpt\":[\"credentialspec=raw://<redacted>\"]"));
  assert_non_null(strstr(shown, "\"CredentialSpec\":{\"Source\":\"raw://\",\"Spec\":{\"CmsPlugins\""));
  assert_non_null(strstr(shown, "\"RestartPolicy\":{\"Name\":\"unless-stopped\",\"MaximumRetryCount\":0}"));
  assert_non_null(strstr(shown, "\"Labels\":{\"tier\":\"web\"}"));
  assert_non_null(strstr(shown, "\"RestartCount\":2"));
  cJSON_free(shown);
  cJSON_Delete(inspect);

  cJSON *record = svc_container_to_record_json(&c);
  char *text = cJSON_PrintUnformatted(record);
  assert_non_null(strstr(text, SECRET));
  cJSON_Delete(record);
  cJSON *parsed = cJSON_Parse(text);
  assert_int_equal(svc_container_from_json(parsed, &back, &e), WCTR_OK);
  assert_string_equal(back.spec.credspec_json, sample_spec);
  assert_string_equal(back.spec.credspec_source, "raw://");
  assert_int_equal(back.spec.restart.name, SPEC_RESTART_UNLESS_STOPPED);
  assert_int_equal(back.state.restart_count, 2);
  assert_true(back.state.manually_stopped);
  assert_string_equal(back.spec.labels.values[0], "web");
  svc_container_free(&back);

  /* A hand-edited spec in the record is checked like a new one. */
  cJSON *sid = cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(parsed, "CredentialSpec"), "Spec"), "DomainJoinConfig"),
      "Sid");
  cJSON_SetValuestring(sid, "S-1-5-32-544");
  assert_int_equal(svc_container_from_json(parsed, &back, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "DomainJoinConfig.Sid"));
  /* And a credentialspec= without its resolved spec is refused. */
  cJSON_DeleteItemFromObject(parsed, "CredentialSpec");
  assert_int_equal(svc_container_from_json(parsed, &back, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "container: a credentialspec= security option without its CredentialSpec");
  cJSON_Delete(parsed);
  cJSON_free(text);
  svc_container_free(&c);
}

static void test_restart_decisions(void **state) {
  (void)state;
  svc_container c;
  memset(&c, 0, sizeof c);
  c.state.status = SVC_STATE_EXITED;
  snprintf(c.state.started_at, sizeof c.state.started_at, NOW);
  /* no */
  assert_false(svc_restart_on_exit(&c, 1, false));
  assert_false(svc_restart_on_service_start(&c));
  /* always: after any exit, and at wctrd's start even when the user stopped it (Docker). */
  c.spec.restart.name = SPEC_RESTART_ALWAYS;
  assert_true(svc_restart_on_exit(&c, 0, false));
  assert_false(svc_restart_on_exit(&c, 0, true)); /* wctrd is stopping */
  assert_true(svc_restart_on_service_start(&c));
  c.state.manually_stopped = true;
  assert_false(svc_restart_on_exit(&c, 0, false));
  assert_true(svc_restart_on_service_start(&c));
  /* unless-stopped: not when the user stopped it. */
  c.spec.restart.name = SPEC_RESTART_UNLESS_STOPPED;
  assert_false(svc_restart_on_service_start(&c));
  c.state.manually_stopped = false;
  assert_true(svc_restart_on_service_start(&c));
  assert_true(svc_restart_on_exit(&c, 3, false));
  /* Never for a container that never ran, or one that runs. */
  c.state.started_at[0] = '\0';
  assert_false(svc_restart_on_service_start(&c));
  snprintf(c.state.started_at, sizeof c.state.started_at, NOW);
  c.state.status = SVC_STATE_RUNNING;
  assert_false(svc_restart_on_service_start(&c));
  c.state.status = SVC_STATE_EXITED;
  /* on-failure[:N]: non-zero exits, N times at most (0: no limit); not at wctrd's start. */
  c.spec.restart.name = SPEC_RESTART_ON_FAILURE;
  c.spec.restart.max_retries = 2;
  assert_false(svc_restart_on_exit(&c, 0, false));
  assert_true(svc_restart_on_exit(&c, 1, false));
  c.state.restart_count = 2;
  assert_false(svc_restart_on_exit(&c, 1, false));
  c.spec.restart.max_retries = 0;
  assert_true(svc_restart_on_exit(&c, -1, false));
  assert_false(svc_restart_on_service_start(&c));
  assert_string_equal(spec_restart_name_text(SPEC_RESTART_UNLESS_STOPPED), "unless-stopped");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_labels),          cmocka_unit_test(test_restart_policy),
      cmocka_unit_test(test_security_opt),    cmocka_unit_test(test_record_and_inspect),
      cmocka_unit_test(test_restart_decisions),
  };
  return cmocka_run_group_tests_name("service_container_opts", tests, NULL, NULL);
}
