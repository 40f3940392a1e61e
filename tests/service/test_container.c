/* Container records: create params as the API takes them, persistence, state machine, references. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "service/container.h"
#include "testutil.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NOW "2026-11-22T13:00:00.000Z"

static wctr_err build(const char *json, svc_container *c, spec_warnings *w, wctr_errmsg *e) {
  cJSON *params = cJSON_Parse(json);
  assert_non_null(params);
  wctr_err err = svc_container_from_params(params, ID, "brave_turing", NOW, 4, c, w, e);
  cJSON_Delete(params);
  return err;
}

static void expect_refused(const char *json, const char *want) {
  svc_container c;
  spec_warnings w = {0};
  wctr_errmsg e;
  assert_int_not_equal(build(json, &c, &w, &e), WCTR_OK);
  if (strstr(e.text, want) == NULL) fail_msg("message \"%s\" lacks \"%s\"", e.text, want);
}

static void test_minimal_job_container(void **state) {
  (void)state;
  svc_container c;
  spec_warnings w = {0};
  wctr_errmsg e;
  assert_int_equal(build("{\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"exit 3\"],\"HostConfig\":{\"Isolation\":\"JOB\"}}",
                         &c, &w, &e),
                   WCTR_OK);
  assert_string_equal(c.id, ID);
  assert_string_equal(c.name, "brave_turing");
  assert_string_equal(c.created, NOW);
  assert_int_equal(c.state.status, SVC_STATE_CREATED);
  assert_int_equal(c.spec.isolation, WCTR_ISOLATION_JOB);
  assert_int_equal(c.spec.process.cmd_count, 3);
  assert_string_equal(c.spec.process.cmd[2], "exit 3");
  assert_int_equal(c.spec.stop_timeout, 30);
  assert_null(c.spec.process.user);
  assert_int_equal(c.limits.flags, 0);
  svc_container_free(&c);
}

static void test_limits_are_computed(void **state) {
  (void)state;
  svc_container c;
  spec_warnings w = {0};
  wctr_errmsg e;
  assert_int_equal(build("{\"Name\":\"/web\",\"Image\":\"C:\\\\sb\",\"Cmd\":[\"x\"],\"Env\":[\"A=1\",\"B=\"],"
                         "\"StopTimeout\":5,\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":524288000,"
                         "\"NanoCpus\":2000000000,\"PidsLimit\":10,\"AutoRemove\":true}}",
                         &c, &w, &e),
                   WCTR_OK);
  assert_string_equal(c.name, "web");
  assert_int_equal(c.limits.flags & JOB_LIMIT_MEMORY, JOB_LIMIT_MEMORY);
  assert_int_equal(c.limits.job_memory_limit, 524288000);
  assert_int_equal(c.limits.cpu_rate, 5000); /* 2 CPUs of 4 */
  assert_int_equal(c.limits.active_process_limit, 10);
  assert_true(c.spec.auto_remove);
  assert_int_equal(c.spec.stop_timeout, 5);
  assert_int_equal(c.spec.process.env_count, 2);
  svc_container_free(&c);
}

static void test_docker_messages_for_bad_limits(void **state) {
  (void)state;
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\",\"NanoCpus\":99000000000}}",
                 "range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\",\"CpuShares\":20000}}",
                 "range of CPUShares is from 1 to 10000");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":1048576}}",
                 "is below the minimum of 16MiB for job isolation");
}

static void test_bad_params_name_the_field(void **state) {
  (void)state;
  expect_refused("{\"Cmd\":[\"x\"]}", "params: \"Image\" is required");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[]}", "params: \"Cmd\" cannot be empty");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"Ports\":[]}", "params: unknown key \"Ports\"");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"Env\":[\"=x\"]}", "\"Env\"[0] \"=x\" must be KEY=VALUE");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"Env\":[\"NOVALUE\"]}", "must be KEY=VALUE");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"Name\":\"bad name\"}", "invalid container name \"bad name\"");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"vm\"}}",
                 "invalid isolation (vm): Windows supports 'default', 'process', or 'hyperv'");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Memory\":\"5m\"}}",
                 "params.HostConfig: \"Memory\" must be an integer, not a string");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"StopTimeout\":99999}", "\"StopTimeout\" must be between 0 and 3600");
  expect_refused("{\"Image\":\"\",\"Cmd\":[\"x\"]}", "\"Image\" cannot be empty");
}

static void test_record_round_trip(void **state) {
  (void)state;
  svc_container c;
  svc_container back;
  spec_warnings w = {0};
  wctr_errmsg e;
  assert_int_equal(build("{\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"echo hi\"],\"Env\":[\"A=1\"],\"User\":\"LocalService\","
                         "\"WorkingDir\":\"C:\\\\\",\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":524288000,\"CpuPercent\":50}}",
                         &c, &w, &e),
                   WCTR_OK);
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_START, &e), WCTR_OK);
  c.state.pid = 4242;
  snprintf(c.state.started_at, sizeof c.state.started_at, "%s", NOW);
  snprintf(c.identity, sizeof c.identity, "NT AUTHORITY\\LOCAL SERVICE");
  cJSON *json = svc_container_to_json(&c);
  assert_non_null(json);
  char *text = cJSON_Print(json);
  cJSON_Delete(json);
  cJSON *parsed = cJSON_Parse(text);
  cJSON_free(text);
  assert_int_equal(svc_container_from_json(parsed, &back, &e), WCTR_OK);
  cJSON *hc = cJSON_GetObjectItem(parsed, "HostConfig");
  assert_int_equal(cJSON_GetObjectItem(hc, "Memory")->valuedouble, 524288000);
  assert_string_equal(cJSON_GetObjectItem(hc, "Isolation")->valuestring, "job");
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(parsed, "EffectiveLimits"), "CpuRate")->valueint, 5000);
  cJSON_Delete(parsed);
  assert_string_equal(back.id, c.id);
  assert_string_equal(back.name, c.name);
  assert_int_equal(back.state.status, SVC_STATE_RUNNING);
  assert_int_equal(back.state.pid, 4242);
  assert_string_equal(back.state.started_at, NOW);
  assert_string_equal(back.identity, "NT AUTHORITY\\LOCAL SERVICE");
  assert_string_equal(back.spec.process.user, "LocalService");
  assert_string_equal(back.spec.process.working_dir, "C:\\");
  assert_int_equal(back.limits.cpu_rate, 5000);
  assert_int_equal(back.limits.job_memory_limit, 524288000);
  assert_false(back.state.paused);
  svc_container_free(&back);
  /* Paused: Docker's status word "paused", still Running, and read back as a paused running container. */
  c.state.paused = true;
  json = svc_container_to_json(&c);
  const cJSON *st = cJSON_GetObjectItem(json, "State");
  assert_string_equal(cJSON_GetObjectItem(st, "Status")->valuestring, "paused");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(st, "Running")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(st, "Paused")));
  assert_int_equal(svc_container_from_json(json, &back, &e), WCTR_OK);
  cJSON_Delete(json);
  assert_int_equal(back.state.status, SVC_STATE_RUNNING);
  assert_true(back.state.paused);
  svc_container_free(&c);
  svc_container_free(&back);
}

static void test_damaged_record_is_refused(void **state) {
  (void)state;
  svc_container back;
  wctr_errmsg e;
  cJSON *json = cJSON_Parse("{\"Id\":\"" ID "\",\"Name\":\"x\",\"Created\":\"" NOW "\",\"State\":{\"Status\":\"flying\","
                            "\"Pid\":0,\"ExitCode\":0,\"OOMKilled\":false,\"StartedAt\":\"\",\"FinishedAt\":\"\",\"Error\":\"\"},"
                            "\"Config\":{\"Image\":\"host\",\"Cmd\":[\"x\"]},\"HostConfig\":{}}");
  assert_int_equal(svc_container_from_json(json, &back, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "container.State: unknown status \"flying\"");
  cJSON_Delete(json);
}

/* EffectiveLimits are the record's: computed on the host that created the container, read back as written
 * (a record re-read without the host's CPU count must not turn --cpus 2 of 4 into 2 of 4096). */
static void test_effective_limits_read_back(void **state) {
  (void)state;
  svc_container c;
  svc_container back;
  spec_warnings w = {0};
  wctr_errmsg e;
  assert_int_equal(build("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\",\"NanoCpus\":2000000000,"
                         "\"PidsLimit\":7,\"IOMaximumIOps\":9}}",
                         &c, &w, &e),
                   WCTR_OK);
  assert_int_equal(c.limits.cpu_rate, 5000);
  cJSON *json = svc_container_to_record_json(&c);
  assert_int_equal(svc_container_from_json(json, &back, &e), WCTR_OK);
  assert_int_equal(back.limits.flags, c.limits.flags);
  assert_int_equal(back.limits.cpu_rate, 5000);
  assert_int_equal(back.limits.active_process_limit, 7);
  assert_int_equal(back.limits.io_max_iops, 9);
  svc_container_free(&back);
  /* A hand-edited limit is checked like the job objects would take it. */
  cJSON *limits = cJSON_GetObjectItem(json, "EffectiveLimits");
  cJSON_ReplaceItemInObject(limits, "CpuRate", cJSON_CreateNumber(0));
  assert_int_equal(svc_container_from_json(json, &back, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "container.EffectiveLimits: \"CpuRate\" must be between 1 and 10000");
  cJSON_ReplaceItemInObject(limits, "CpuRate", cJSON_CreateNumber(100));
  cJSON_AddNumberToObject(limits, "CpuWeight", 3);
  assert_int_equal(svc_container_from_json(json, &back, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "container.EffectiveLimits: \"CpuRate\" and \"CpuWeight\" cannot both be set");
  cJSON_DeleteItemFromObject(json, "EffectiveLimits"); /* none at all: no limits */
  assert_int_equal(svc_container_from_json(json, &back, &e), WCTR_OK);
  assert_int_equal(back.limits.flags, 0);
  svc_container_free(&back);
  cJSON_Delete(json);
  svc_container_free(&c);
}

static void test_state_machine(void **state) {
  (void)state;
  svc_container c;
  spec_warnings w = {0};
  wctr_errmsg e;
  assert_int_equal(build("{\"Name\":\"web\",\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\"}}", &c,
                         &w, &e),
                   WCTR_OK);
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_EXIT, &e), WCTR_ESTATE);
  assert_string_equal(e.text, "container web is created");
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_START, &e), WCTR_OK);
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_START, &e), WCTR_ESTATE);
  assert_string_equal(e.text, "container web is already running");
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_REMOVE, &e), WCTR_ESTATE);
  assert_string_equal(e.text, "container web is running: stop it first or use --force");
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_EXIT, &e), WCTR_OK);
  assert_int_equal(c.state.status, SVC_STATE_EXITED);
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_START, &e), WCTR_OK); /* restart */
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_EXIT, &e), WCTR_OK);
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_REMOVE, &e), WCTR_OK);
  assert_int_equal(c.state.status, SVC_STATE_REMOVING);
  assert_int_equal(svc_container_transition(&c, SVC_EVENT_START, &e), WCTR_ESTATE);
  svc_container_free(&c);
}

static void test_references(void **state) {
  (void)state;
  svc_container c;
  spec_warnings w = {0};
  wctr_errmsg e;
  bool exact;
  assert_int_equal(build("{\"Name\":\"web\",\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\"}}", &c,
                         &w, &e),
                   WCTR_OK);
  assert_true(svc_container_matches(&c, "web", &exact) && exact);
  assert_true(svc_container_matches(&c, ID, &exact) && exact);
  assert_true(svc_container_matches(&c, "0123", &exact) && !exact);
  assert_false(svc_container_matches(&c, "we", &exact));
  assert_false(svc_container_matches(&c, "1234", &exact));
  assert_false(svc_container_matches(&c, "", &exact));
  assert_false(svc_container_matches(&c, "0123x", &exact));
  svc_container_free(&c);
}

/* HCS isolations: -v binds and the hostname, checked and kept; refused for job containers. */
static void test_binds_and_hostname(void **state) {
  (void)state;
  svc_container c;
  spec_warnings w = {0};
  wctr_errmsg e;
  const char *json = "{\"Image\":\"img\",\"Cmd\":[\"cmd\"],\"Hostname\":\"web-1\",\"HostConfig\":{\"Isolation\":"
                     "\"process\",\"Binds\":[\"C:\\\\data:C:\\\\data:ro\",\"\\\\\\\\.\\\\pipe\\\\p:\\\\\\\\.\\\\pipe\\\\p\"]}}";
  if (build(json, &c, &w, &e) != WCTR_OK) fail_msg("refused: %s", e.text);
  assert_int_equal(c.spec.bind_count, 2);
  assert_string_equal(c.spec.binds[0], "C:\\data:C:\\data:ro");
  assert_string_equal(c.spec.hostname, "web-1");
  /* The record keeps them, and a runtime object, through a save and a load. */
  c.runtime = cJSON_Parse("{\"Type\":\"hcs\",\"UtilityVm\":{\"MemoryMB\":756}}");
  cJSON *json_rec = svc_container_to_json(&c);
  svc_container back;
  if (svc_container_from_json(json_rec, &back, &e) != WCTR_OK) fail_msg("reload refused: %s", e.text);
  assert_int_equal(back.spec.bind_count, 2);
  assert_string_equal(back.spec.binds[1], "\\\\.\\pipe\\p:\\\\.\\pipe\\p");
  assert_string_equal(back.spec.hostname, "web-1");
  assert_true(cJSON_Compare(back.runtime, c.runtime, true));
  cJSON_Delete(json_rec);
  svc_container_free(&back);
  svc_container_free(&c);
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\",\"Binds\":[\"C:\\\\a:C:\\\\a\"]}}",
                 "a job container shares the host's file system");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"Hostname\":\"h\",\"HostConfig\":{\"Isolation\":\"job\"}}",
                 "--hostname: a job container shares the host's name");
  expect_refused("{\"Image\":\"i\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Binds\":[\"./data:C:\\\\app\"]}}",
                 "the host path must be absolute");
  expect_refused("{\"Image\":\"i\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Binds\":[\"d!:C:\\\\app\"]}}",
                 "includes invalid characters for a local volume name");
  expect_refused("{\"Image\":\"i\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Binds\":\"C:\\\\a:C:\\\\a\"}}", "Binds");
  expect_refused("{\"Image\":\"i\",\"Cmd\":[\"x\"],\"Hostname\":\"-bad\"}", "invalid hostname");
  expect_refused("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"Tty\":true,\"HostConfig\":{\"Isolation\":\"job\"}}",
                 "-t/--tty: job containers have no console");
  expect_refused("{\"Image\":\"i\",\"Cmd\":[\"x\"],\"Hostname\":\"a_b\"}", "invalid hostname");
  cJSON *bad = cJSON_Parse("{\"Id\":\"" ID "\",\"Name\":\"n\",\"Created\":\"" NOW "\",\"State\":{\"Status\":\"created\","
                           "\"Pid\":0,\"ExitCode\":0,\"OOMKilled\":false,\"StartedAt\":\"\",\"FinishedAt\":\"\",\"Error\":"
                           "\"\"},\"Config\":{\"Image\":\"i\",\"Cmd\":[\"x\"]},\"HostConfig\":{},\"Runtime\":[1]}");
  svc_container damaged;
  assert_int_equal(svc_container_from_json(bad, &damaged, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "\"Runtime\" must be an object"));
  cJSON_Delete(bad);
}

static void test_names(void **state) {
  (void)state;
  assert_true(svc_container_name_valid("a"));
  assert_true(svc_container_name_valid("web-1.prod_x"));
  assert_false(svc_container_name_valid("-web"));
  assert_false(svc_container_name_valid("we b"));
  assert_false(svc_container_name_valid(""));
  char long_name[SVC_NAME_MAX + 2];
  memset(long_name, 'a', sizeof long_name);
  long_name[SVC_NAME_MAX] = '\0';
  assert_true(svc_container_name_valid(long_name));
  long_name[SVC_NAME_MAX] = 'a';
  long_name[SVC_NAME_MAX + 1] = '\0';
  assert_false(svc_container_name_valid(long_name));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_minimal_job_container), cmocka_unit_test(test_limits_are_computed),
      cmocka_unit_test(test_docker_messages_for_bad_limits), cmocka_unit_test(test_bad_params_name_the_field),
      cmocka_unit_test(test_record_round_trip),     cmocka_unit_test(test_damaged_record_is_refused),
      cmocka_unit_test(test_effective_limits_read_back),
      cmocka_unit_test(test_state_machine),         cmocka_unit_test(test_references),
      cmocka_unit_test(test_names),                 cmocka_unit_test(test_binds_and_hostname),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
