/* tests/spec/test_container.c - spec/spec.h: a container spec from create params (every field, the
 * refusals and their messages), back to JSON (order, redaction), the round trip, copies, isolation names,
 * the parser and the default isolation, labels and security options. */
#include "spec_test.h"

#include "spec/credspec_source.h"

#define FULL                                                                                                   \
  "{\"Name\":\"ignored-here\",\"Image\":\"nanoserver\",\"Cmd\":[\"cmd\",\"/c\",\"echo hi\"],\"Env\":[\"A=1\","     \
  "\"B=\"],\"WorkingDir\":\"C:\\\\app\",\"User\":\"ContainerUser\",\"OpenStdin\":true,\"Tty\":true,"              \
  "\"Hostname\":\"web-1\",\"StopTimeout\":12,\"Labels\":{\"z\":\"2\",\"a\":\"1\"},\"Secrets\":[{\"Name\":\"db\"},"    \
  "{\"Name\":\"api\",\"Target\":\"api.key\"}],\"HostConfig\":{\"Isolation\":\"Process\",\"Memory\":524288000,"    \
  "\"CpuCount\":2,\"PidsLimit\":50,\"IOMaximumIOps\":100,\"IOMaximumBandwidth\":1048576,\"Binds\":[\"C:/data:C:\\\\data:ro\"],"  \
  "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},\"SecurityOpt\":[\"credentialspec=raw://{}\"]}}"

static wctr_err parse(const char *json, spec_container *s, spec_warnings *w, wctr_errmsg *e) {
  cJSON *params = cJSON_Parse(json);
  if (params == NULL) FAILF("test JSON does not parse: %s", json);
  wctr_err err = spec_from_json(params, "params", 4, s, w, e);
  cJSON_Delete(params);
  return err;
}

static void expect_refused(const char *json, const char *want) {
  spec_container s;
  memset(&s, 0x5A, sizeof s);
  spec_container before = s;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (parse(json, &s, NULL, &e) == WCTR_OK) FAILF("accepted: %s", json);
  if (strcmp(e.text, want) != 0) FAILF("message \"%s\"\n   wanted \"%s\"", e.text, want);
  if (memcmp(&s, &before, sizeof s) != 0) FAILF("*out written on failure: %s", json);
}

/* config + HostConfig as one create-params object. */
static cJSON *to_params(const spec_container *s, bool with_secrets) {
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  assert_true(spec_to_json(s, config, hc, with_secrets));
  cJSON_AddItemToObject(config, "HostConfig", hc);
  return config;
}

/* Config.Healthcheck: Docker's HealthConfig read, checked with Docker's messages, copied and written back. */
static void test_healthcheck(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  if (parse("{\"Image\":\"x\",\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/\"],"
            "\"Interval\":5000000000,\"Timeout\":2000000000,\"StartPeriod\":1000000,\"Retries\":4}}",
            &s, NULL, &e) != WCTR_OK) {
    FAILF("refused: %s", e.text);
  }
  assert_int_equal(s.health.test_count, 2);
  assert_string_equal(s.health.test[0], "CMD-SHELL");
  assert_string_equal(s.health.test[1], "curl -f http://localhost/");
  assert_true(s.health.interval_ns == 5000000000LL);
  assert_true(s.health.timeout_ns == 2000000000LL);
  assert_true(s.health.start_period_ns == 1000000LL);
  assert_int_equal(s.health.retries, 4);
  assert_true(spec_healthcheck_active(&s.health));
  spec_container c;
  assert_int_equal(spec_copy(&s, &c, &e), WCTR_OK);
  cJSON *back = to_params(&c, false);
  const cJSON *h = cJSON_GetObjectItemCaseSensitive(back, "Healthcheck");
  char *text = cJSON_PrintUnformatted(h);
  assert_string_equal(text, "{\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/\"],\"Interval\":5000000000,"
                            "\"Timeout\":2000000000,\"StartPeriod\":1000000,\"Retries\":4}");
  cJSON_free(text);
  spec_container again;
  assert_int_equal(spec_from_json(back, "params", 4, &again, NULL, &e), WCTR_OK);
  assert_int_equal(again.health.test_count, 2);
  assert_true(again.health.interval_ns == 5000000000LL);
  cJSON_Delete(back);
  spec_free(&again);
  spec_free(&c);
  spec_free(&s);

  /* NONE runs nothing; no Healthcheck at all writes none back. */
  assert_int_equal(parse("{\"Image\":\"x\",\"Healthcheck\":{\"Test\":[\"NONE\"]}}", &s, NULL, &e), WCTR_OK);
  assert_false(spec_healthcheck_active(&s.health));
  spec_free(&s);
  assert_int_equal(parse("{\"Image\":\"x\"}", &s, NULL, &e), WCTR_OK);
  assert_false(spec_healthcheck_active(&s.health));
  back = to_params(&s, false);
  assert_null(cJSON_GetObjectItemCaseSensitive(back, "Healthcheck"));
  cJSON_Delete(back);
  spec_free(&s);

  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Interval\":999999}}",
                 "Interval in Healthcheck cannot be less than 1ms");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Timeout\":-1}}", "Timeout in Healthcheck cannot be less than 1ms");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"StartPeriod\":5}}",
                 "StartPeriod in Healthcheck cannot be less than 1ms");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Retries\":-1}}", "Retries in Healthcheck cannot be negative");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Test\":[\"CMD\"]}}",
                 "params.Healthcheck: \"Test\" [\"CMD\", ...] needs the command after CMD");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"a\",\"b\"]}}",
                 "params.Healthcheck: \"Test\" [\"CMD-SHELL\", ...] takes one non-empty command line");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Test\":[\"NONE\",\"x\"]}}",
                 "params.Healthcheck: \"Test\" [\"NONE\"] takes nothing after NONE");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Test\":[\"curl\"]}}",
                 "params.Healthcheck: unknown healthcheck type 'curl' in \"Test\" (expected NONE, CMD or CMD-SHELL)");
  expect_refused("{\"Image\":\"x\",\"Healthcheck\":{\"Probe\":1}}", "params.Healthcheck: unknown key \"Probe\"");
}

static void test_every_field(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  spec_warnings w = {0};
  if (parse(FULL, &s, &w, &e) != WCTR_OK) FAILF("refused: %s", e.text);
  assert_string_equal(s.image, "nanoserver");
  assert_int_equal(s.process.cmd_count, 3);
  assert_string_equal(s.process.cmd[2], "echo hi");
  assert_int_equal(s.process.env_count, 2);
  assert_string_equal(s.process.env[1], "B=");
  assert_string_equal(s.process.working_dir, "C:\\app");
  assert_string_equal(s.process.user, "ContainerUser");
  assert_true(s.process.open_stdin);
  assert_true(s.process.tty);
  assert_string_equal(s.hostname, "web-1");
  assert_int_equal(s.stop_timeout, 12);
  assert_int_equal(s.isolation, WCTR_ISOLATION_PROCESS);
  assert_int_equal(s.resources.memory_bytes, 524288000);
  assert_int_equal(s.resources.cpu_count, 2);
  assert_int_equal(s.resources.pids_limit, 50);
  assert_int_equal(s.resources.io_maxiops, 100);
  assert_int_equal(s.resources.io_maxbandwidth, 1048576);
  assert_int_equal(s.bind_count, 1);
  assert_string_equal(s.binds[0], "C:/data:C:\\data:ro"); /* as given */
  assert_int_equal(s.restart.name, SPEC_RESTART_ON_FAILURE);
  assert_int_equal(s.restart.max_retries, 3);
  assert_int_equal(s.labels.count, 2);
  assert_string_equal(s.labels.keys[0], "a"); /* sorted */
  assert_string_equal(s.labels.values[1], "2");
  assert_int_equal(s.secret_count, 2);
  assert_string_equal(s.secrets[0].target, "db");
  assert_string_equal(s.secrets[1].target, "api.key");
  assert_int_equal(s.security_opt_count, 1);
  assert_string_equal(s.credspec_option, "raw://{}");
  assert_null(s.credspec_json); /* the service resolves it */
  assert_int_equal(w.count, 0);
  spec_free(&s);
  assert_null(s.image); /* zeroed */
  spec_free(&s);
  spec_free(NULL);
}

static void test_defaults(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(parse("{\"Image\":\"nanoserver\"}", &s, NULL, &e), WCTR_OK);
  assert_int_equal(s.isolation, WCTR_ISOLATION_DEFAULT);
  assert_int_equal(s.process.cmd_count, 0); /* the image may supply it */
  assert_int_equal(s.stop_timeout, SPEC_DEFAULT_STOP_TIMEOUT);
  assert_int_equal(s.restart.name, SPEC_RESTART_NO);
  assert_null(s.process.user);
  assert_null(s.hostname);
  assert_null(s.credspec_option);
  spec_free(&s);
  /* "" for User and WorkingDir is "not given". */
  assert_int_equal(parse("{\"Image\":\"i\",\"User\":\"\",\"WorkingDir\":\"\"}", &s, NULL, &e), WCTR_OK);
  assert_null(s.process.user);
  assert_null(s.process.working_dir);
  spec_free(&s);
}

static void test_refusals_name_the_field(void **state) {
  (void)state;
  expect_refused("{\"Cmd\":[\"x\"]}", "params: \"Image\" is required");
  expect_refused("{\"Image\":\"\"}", "params: \"Image\" cannot be empty");
  expect_refused("{\"Image\":\"i\",\"Cmd\":[]}", "params: \"Cmd\" cannot be empty");
  expect_refused("{\"Image\":\"i\",\"Ports\":[]}", "params: unknown key \"Ports\"");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Privileged\":true}}", "params.HostConfig: unknown key \"Privileged\"");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Memory\":\"5m\"}}",
                 "params.HostConfig: \"Memory\" must be an integer, not a string");
  expect_refused("{\"Image\":\"i\",\"Env\":[\"=x\"]}",
                 "params: \"Env\"[0] \"=x\" must be KEY=VALUE with a non-empty KEY");
  expect_refused("{\"Image\":\"i\",\"StopTimeout\":3601}", "params: \"StopTimeout\" must be between 0 and 3600");
  expect_refused("{\"Image\":\"i\",\"Hostname\":\"-x\"}",
                 "invalid hostname \"-x\": 1 to 63 letters, digits and '-', not starting or ending with '-'");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"vm\"}}",
                 "invalid isolation (vm): Windows supports 'default', 'process', or 'hyperv' (and wctr 'job')");
  expect_refused("{\"Image\":\"i\",\"Tty\":true,\"HostConfig\":{\"Isolation\":\"job\"}}",
                 "-t/--tty: job containers have no console to allocate yet; leave -t out");
  expect_refused("{\"Image\":\"i\",\"Hostname\":\"h\",\"HostConfig\":{\"Isolation\":\"job\"}}",
                 "--hostname: a job container shares the host's name; use --isolation=process or hyperv");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"job\",\"Binds\":[\"C:\\\\a:C:\\\\b\"]}}",
                 "-v C:\\a:C:\\b: a job container shares the host's file system and has no mounts; use "
                 "--isolation=process or hyperv, or give the host path itself");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Binds\":[\"./data:C:\\\\b\"]}}",
                 "-v \"./data:C:\\b\": the host path must be absolute (C:\\dir or \\\\server\\share)");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"job\",\"Binds\":[\"data:C:\\\\b\"]}}",
                 "-v data:C:\\b: a job container shares the host's file system and has no mounts; use "
                 "--isolation=process or hyperv, or give the host path itself");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"NanoCpus\":5000000000}}",
                 "range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"hyperv\",\"PidsLimit\":5}}",
                 "invalid option: --pids-limit is not supported with Hyper-V isolation (the processes run in the "
                 "utility VM); use --isolation=process or job");
  /* Default isolation is checked as process isolation: 20 MiB is below its floor, not below job's. */
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Memory\":20971520}}",
                 "--memory 20MiB is below the minimum of 40MiB for process isolation");
  expect_refused("{\"Image\":\"i\",\"Labels\":{\"a\":\"1\",\"a\":\"2\"}}", "params.Labels: duplicate key \"a\"");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"SecurityOpt\":[\"label=disable\"]}}",
                 "params.HostConfig.SecurityOpt[0]: \"label=disable\" is not supported by wctr; only "
                 "credentialspec=... is (a gMSA credential spec)");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"AutoRemove\":true,\"RestartPolicy\":{\"Name\":\"always\"}}}",
                 "can't create 'AutoRemove' container with restart policy");
  expect_refused("{\"Image\":\"i\",\"Secrets\":[{\"Name\":\"-x\"}]}",
                 "params.Secrets[0]: invalid secret name \"-x\": use 1 to 64 characters [a-zA-Z0-9_.-], starting and "
                 "ending with a letter or digit");
}

static void test_where_prefixes_messages(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  cJSON *p = cJSON_Parse("{\"Image\":\"i\",\"HostConfig\":{\"Memory\":true}}");
  assert_int_equal(spec_from_json(p, "body", 4, &s, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "body.HostConfig: \"Memory\" must be an integer, not a boolean");
  cJSON_Delete(p);
  assert_int_equal(spec_from_json(NULL, "body", 4, &s, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "body: \"Image\" is required");
}

static void test_warnings(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  spec_warnings w = {0};
  assert_int_equal(parse("{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"job\",\"CpuCount\":1,\"CpuShares\":10}}", &s,
                         &w, &e),
                   WCTR_OK);
  assert_int_equal(w.count, 1);
  assert_string_equal(w.text[0], "Conflicting options: CPU count takes priority over CPU shares on job containers. "
                                 "CPU shares discarded");
  assert_int_equal(s.resources.cpu_shares, 10); /* the spec keeps what was asked for */
  spec_free(&s);
}

/* StdinOnce: absent it follows OpenStdin (records written before the key read the same); false with OpenStdin
 * (run -dit) survives the record's round trip. */
static void test_stdin_once(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  const char *cases[][2] = {{"", "0"}, {",\"OpenStdin\":true", "1"}, {",\"OpenStdin\":true,\"StdinOnce\":false", "0"},
                            {",\"OpenStdin\":true,\"StdinOnce\":true", "1"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char json[256];
    snprintf(json, sizeof json, "{\"Image\":\"host\",\"Cmd\":[\"x\"]%s}", cases[i][0]);
    assert_int_equal(parse(json, &s, NULL, &e), WCTR_OK);
    assert_int_equal(s.process.stdin_once, cases[i][1][0] == '1');
    cJSON *round = to_params(&s, true);
    spec_free(&s);
    assert_int_equal(spec_from_json(round, "record", 4, &s, NULL, &e), WCTR_OK);
    assert_int_equal(s.process.stdin_once, cases[i][1][0] == '1');
    cJSON_Delete(round);
    spec_free(&s);
  }
  assert_int_equal(parse("{\"Image\":\"host\",\"Cmd\":[\"x\"],\"StdinOnce\":1}", &s, NULL, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "StdinOnce"));
}

static void test_to_json_shape_and_redaction(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(parse(FULL, &s, NULL, &e), WCTR_OK);
  cJSON *shown = to_params(&s, false);
  char *text = cJSON_PrintUnformatted(shown);
  assert_string_equal(
      text,
      "{\"Image\":\"nanoserver\",\"Cmd\":[\"cmd\",\"/c\",\"echo hi\"],\"Env\":[\"A=1\",\"B=\"],\"WorkingDir\":\"C:\\\\app\","
      "\"User\":\"ContainerUser\",\"Hostname\":\"web-1\",\"OpenStdin\":true,\"StdinOnce\":true,\"Tty\":true,\"StopTimeout\":12,"
      "\"Secrets\":[{\"Name\":\"db\",\"Target\":\"db\"},{\"Name\":\"api\",\"Target\":\"api.key\"}],"
      "\"Labels\":{\"a\":\"1\",\"z\":\"2\"},\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":524288000,"
      "\"NanoCpus\":0,\"CpuCount\":2,\"CpuPercent\":0,\"CpuShares\":0,\"PidsLimit\":50,\"IOMaximumIOps\":100,"
      "\"IOMaximumBandwidth\":1048576,\"AutoRemove\":false,\"Binds\":[\"C:/data:C:\\\\data:ro\"],"
      "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},"
      "\"SecurityOpt\":[\"credentialspec=raw://<redacted>\"]}}");
  cJSON_free(text);
  cJSON_Delete(shown);
  cJSON *record = to_params(&s, true);
  text = cJSON_PrintUnformatted(cJSON_GetObjectItem(record, "HostConfig"));
  assert_non_null(strstr(text, "\"SecurityOpt\":[\"credentialspec=raw://{}\"]"));
  cJSON_free(text);
  cJSON_Delete(record);
  /* Not objects: refused, nothing written. */
  cJSON *arr = cJSON_CreateArray();
  cJSON *obj = cJSON_CreateObject();
  assert_false(spec_to_json(&s, arr, obj, true));
  assert_null(obj->child);
  cJSON_Delete(arr);
  cJSON_Delete(obj);
  spec_free(&s);
}

/* What spec_to_json writes, spec_from_json reads back to an equal spec. */
static void test_round_trip(void **state) {
  (void)state;
  static const char *const inputs[] = {
      FULL,
      "{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\",\"CpuPercent\":30,\"AutoRemove\":true}}",
      "{\"Image\":\"i\"}",
      "{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"hyperv\",\"NanoCpus\":1500000000,\"RestartPolicy\":{\"Name\":\"\"}}}",
  };
  for (size_t i = 0; i < COUNT_OF(inputs); i++) {
    spec_container a;
    spec_container b;
    wctr_errmsg e;
    if (parse(inputs[i], &a, NULL, &e) != WCTR_OK) FAILF("%s refused: %s", inputs[i], e.text);
    cJSON *first = to_params(&a, true);
    if (spec_from_json(first, "params", 4, &b, NULL, &e) != WCTR_OK) FAILF("%s: the JSON form is refused: %s", inputs[i], e.text);
    cJSON *second = to_params(&b, true);
    if (!cJSON_Compare(first, second, true)) FAILF("%s changes in a round trip", inputs[i]);
    assert_int_equal(a.isolation, b.isolation);
    assert_memory_equal(&a.resources, &b.resources, sizeof a.resources);
    assert_int_equal(a.restart.name, b.restart.name);
    cJSON_Delete(first);
    cJSON_Delete(second);
    spec_free(&a);
    spec_free(&b);
  }
}

/* Docker's Entrypoint: its words before Cmd's, the image supplying nothing; [""] clears it; nothing at all in the
 * end is Docker's "No command specified"; [] is refused with the reason. The JSON form gives them back apart. */
static void test_entrypoint(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  if (parse("{\"Image\":\"i\",\"Entrypoint\":[\"C:\\\\run.exe\",\"-v\"],\"Cmd\":[\"a\"]}", &s, NULL, &e) != WCTR_OK) {
    FAILF("refused: %s", e.text);
  }
  assert_int_equal(s.process.cmd_count, 3);
  assert_string_equal(s.process.cmd[0], "C:\\run.exe");
  assert_string_equal(s.process.cmd[2], "a");
  assert_true(s.process.entrypoint_set);
  assert_int_equal(s.process.entrypoint_count, 2);
  cJSON *j = to_params(&s, false);
  char *t = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "Entrypoint"));
  assert_string_equal(t, "[\"C:\\\\run.exe\",\"-v\"]");
  cJSON_free(t);
  t = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "Cmd"));
  assert_string_equal(t, "[\"a\"]");
  cJSON_free(t);
  spec_container back;
  assert_int_equal(spec_from_json(j, "params", 4, &back, NULL, &e), WCTR_OK);
  assert_int_equal(back.process.cmd_count, 3);
  assert_int_equal(back.process.entrypoint_count, 2);
  spec_container copy;
  assert_int_equal(spec_copy(&back, &copy, &e), WCTR_OK);
  assert_true(copy.process.entrypoint_set);
  assert_int_equal(copy.process.entrypoint_count, 2);
  spec_free(&copy);
  spec_free(&back);
  cJSON_Delete(j);
  spec_free(&s);
  /* an Entrypoint alone is the whole command */
  assert_int_equal(parse("{\"Image\":\"i\",\"Entrypoint\":[\"x.exe\"]}", &s, NULL, &e), WCTR_OK);
  assert_int_equal(s.process.cmd_count, 1);
  j = to_params(&s, false);
  assert_null(cJSON_GetObjectItemCaseSensitive(j, "Cmd"));
  cJSON_Delete(j);
  spec_free(&s);
  /* [""] clears the image's: the command is Cmd, and it reads back as [""] */
  assert_int_equal(parse("{\"Image\":\"i\",\"Entrypoint\":[\"\"],\"Cmd\":[\"b\",\"c\"]}", &s, NULL, &e), WCTR_OK);
  assert_int_equal(s.process.cmd_count, 2);
  assert_string_equal(s.process.cmd[0], "b");
  assert_true(s.process.entrypoint_set);
  assert_int_equal(s.process.entrypoint_count, 0);
  j = to_params(&s, false);
  t = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(j, "Entrypoint"));
  assert_string_equal(t, "[\"\"]");
  cJSON_free(t);
  cJSON_Delete(j);
  spec_free(&s);
  /* null: not given */
  assert_int_equal(parse("{\"Image\":\"i\",\"Entrypoint\":null}", &s, NULL, &e), WCTR_OK);
  assert_false(s.process.entrypoint_set);
  assert_int_equal(s.process.cmd_count, 0);
  spec_free(&s);
  expect_refused("{\"Image\":\"i\",\"Entrypoint\":[\"\"]}", "No command specified");
  expect_refused("{\"Image\":\"i\",\"Entrypoint\":[],\"Cmd\":[\"x\"]}",
                 "params: \"Entrypoint\" []: Docker would run the image's Cmd without its Entrypoint, and wctr keeps an "
                 "image's Entrypoint and Cmd as one command; give the command (Cmd), or [\"\"] with it");
  expect_refused("{\"Image\":\"i\",\"Entrypoint\":\"x\"}", "params: \"Entrypoint\" must be an array of strings, not a string");
}

static void test_copy(void **state) {
  (void)state;
  spec_container a;
  spec_container b;
  wctr_errmsg e;
  assert_int_equal(parse(FULL, &a, NULL, &e), WCTR_OK);
  a.credspec_source = malloc(8);
  memcpy(a.credspec_source, "raw://", 7);
  a.credspec_json = malloc(3);
  memcpy(a.credspec_json, "{}", 3);
  assert_int_equal(spec_copy(&a, &b, &e), WCTR_OK);
  assert_ptr_not_equal(a.image, b.image);
  assert_ptr_not_equal(a.process.cmd[0], b.process.cmd[0]);
  assert_ptr_not_equal(a.secrets, b.secrets);
  /* credspec_option points into the copy's own options, not the original's. */
  assert_ptr_equal(b.credspec_option, b.security_opt[0] + strlen("credentialspec="));
  assert_string_equal(b.credspec_json, "{}");
  assert_string_equal(b.credspec_source, "raw://");
  cJSON *ja = to_params(&a, true);
  spec_free(&a); /* the copy stands alone */
  cJSON *jb = to_params(&b, true);
  assert_true(cJSON_Compare(ja, jb, true));
  cJSON_Delete(ja);
  cJSON_Delete(jb);
  spec_free(&b);
  assert_int_equal(spec_copy(NULL, &b, &e), WCTR_EINVAL);
}

static void test_isolation_names_parser_default(void **state) {
  (void)state;
  static const wctr_isolation all[] = {WCTR_ISOLATION_DEFAULT, WCTR_ISOLATION_JOB, WCTR_ISOLATION_PROCESS,
                                       WCTR_ISOLATION_HYPERV};
  static const char *const names[] = {"default", "job", "process", "hyperv"};
  for (size_t i = 0; i < COUNT_OF(all); i++) {
    assert_string_equal(spec_isolation_name(all[i]), names[i]);
    wctr_isolation back = (wctr_isolation)99;
    assert_int_equal(spec_isolation_parse(names[i], &back, NULL), WCTR_OK);
    assert_int_equal(back, all[i]);
  }
  assert_string_equal(spec_isolation_name((wctr_isolation)4), "unknown");
  wctr_isolation iso = WCTR_ISOLATION_JOB;
  assert_int_equal(spec_isolation_parse("HyperV", &iso, NULL), WCTR_OK);
  assert_int_equal(iso, WCTR_ISOLATION_HYPERV);
  wctr_errmsg e;
  assert_int_equal(spec_isolation_parse("hyper-v", &iso, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "invalid isolation (hyper-v): Windows supports 'default', 'process', or 'hyperv' (and wctr 'job')");
  assert_int_equal(iso, WCTR_ISOLATION_HYPERV);
  assert_int_equal(spec_isolation_parse("a-very-long-isolation-name", &iso, &e), WCTR_EINVAL);
  /* Docker's default: process on Server, Hyper-V on client SKUs; never a job container. */
  assert_int_equal(spec_default_isolation(true), WCTR_ISOLATION_PROCESS);
  assert_int_equal(spec_default_isolation(false), WCTR_ISOLATION_HYPERV);
}

static void test_labels(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(parse("{\"Image\":\"i\",\"Labels\":{\"z\":\"last\",\"com.docker.compose.project\":\"shop\",\"a\":\"\","
                         "\"k=v\":\"odd\"}}",
                         &s, NULL, &e),
                   WCTR_OK);
  assert_int_equal(s.labels.count, 4);
  assert_string_equal(s.labels.keys[0], "a");
  assert_string_equal(s.labels.keys[3], "z");
  assert_string_equal(spec_label_get(&s.labels, "com.docker.compose.project"), "shop");
  assert_string_equal(spec_label_get(&s.labels, "a"), "");
  assert_null(spec_label_get(&s.labels, "com.docker"));
  assert_null(spec_label_get(&s.labels, "zz"));
  assert_true(spec_labels_match(&s.labels, "com.docker.compose.project"));
  assert_true(spec_labels_match(&s.labels, "com.docker.compose.project=shop"));
  assert_false(spec_labels_match(&s.labels, "com.docker.compose.project=shop2"));
  assert_false(spec_labels_match(&s.labels, "com.docker.compose"));
  assert_true(spec_labels_match(&s.labels, "a="));
  assert_false(spec_labels_match(&s.labels, "b"));
  /* The filter splits at its first '=': a key holding '=' can be read, not filtered on. */
  assert_string_equal(spec_label_get(&s.labels, "k=v"), "odd");
  assert_false(spec_labels_match(&s.labels, "k"));
  assert_false(spec_labels_match(&s.labels, "k=v"));
  assert_false(spec_labels_match(NULL, "a"));
  spec_free(&s);
}

/* Many labels are read in n log n: 20,000 distinct keys, sorted and checked for duplicates. */
static void test_many_labels(void **state) {
  (void)state;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Image", "i");
  cJSON *labels = cJSON_AddObjectToObject(p, "Labels");
  for (int i = 20000; i > 0; i--) {
    char key[32];
    snprintf(key, sizeof key, "k%05d", i);
    cJSON_AddStringToObject(labels, key, "v");
  }
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_OK);
  assert_int_equal(s.labels.count, 20000);
  for (size_t i = 1; i < s.labels.count; i++) assert_true(strcmp(s.labels.keys[i - 1], s.labels.keys[i]) < 0);
  assert_string_equal(spec_label_get(&s.labels, "k12345"), "v");
  spec_free(&s);
  cJSON_AddStringToObject(labels, "k00007", "again");
  assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "params.Labels: duplicate key \"k00007\"");
  cJSON_Delete(p);
}

/* What is accepted must load again. The configuration's JSON form is bounded
 * (SPEC_JSON_MAX), and the refusal names the field that makes it large. Just under the bound is accepted. */
static void test_size_is_bounded_naming_the_field(void **state) {
  (void)state;
  static char value[4097];
  memset(value, 'v', 4096);
  value[4096] = '\0';
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Image", "i");
  cJSON_AddItemToObject(p, "Cmd", cJSON_CreateStringArray((const char *[]){"cmd"}, 1));
  cJSON *labels = cJSON_AddObjectToObject(p, "Labels");
  /* Each label takes 4096 + 12 bytes of JSON: 500 of them are about 1.96 MiB, under the 2 MiB. */
  for (int i = 0; i < 500; i++) {
    char key[32];
    snprintf(key, sizeof key, "k%05d", i);
    cJSON_AddStringToObject(labels, key, value);
  }
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_OK);
  spec_free(&s);
  for (int i = 500; i < 520; i++) {
    char key[32];
    snprintf(key, sizeof key, "k%05d", i);
    cJSON_AddStringToObject(labels, key, value);
  }
  assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_ETOOBIG);
  assert_non_null(strstr(e.text, "params: the container's configuration takes "));
  assert_non_null(strstr(e.text, "more than the 2097152 a container may have; \"Labels\" alone takes 21"));
  cJSON_DeleteItemFromObject(p, "Labels");
  /* Escapes count as they are written: 400,000 control characters are 2.4 MB of \u00XX. */
  char *ctl = malloc(400001);
  assert_non_null(ctl);
  memset(ctl, 1, 400000);
  ctl[400000] = '\0';
  cJSON_AddItemToObject(p, "Env", cJSON_CreateStringArray((const char *[]){"A=x"}, 1));
  cJSON_ReplaceItemInObject(p, "Cmd", cJSON_CreateStringArray((const char *[]){"cmd", ctl}, 2));
  free(ctl);
  assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_ETOOBIG);
  assert_non_null(strstr(e.text, "\"Cmd\" alone takes 2400"));
  cJSON_Delete(p);
}

static void test_security_options(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  /* Key in any case, Docker's old ':' form too. */
  assert_int_equal(parse("{\"Image\":\"i\",\"HostConfig\":{\"SecurityOpt\":[\"CredentialSpec:registry://web\"]}}", &s, NULL,
                         &e),
                   WCTR_OK);
  assert_string_equal(s.credspec_option, "registry://web");
  spec_free(&s);
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"SecurityOpt\":[\"credentialspec=file://a.json\","
                 "\"credentialspec=file://b.json\"]}}",
                 "params.HostConfig.SecurityOpt[1]: only one credentialspec= may be given");
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"SecurityOpt\":[\"credentialspec=web.json\"]}}",
                 SPEC_CREDSPEC_MSG_PREFIX);
  expect_refused("{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"job\",\"SecurityOpt\":[\"credentialspec=file://w.json\"]}}",
                 "a credential spec (gMSA) needs process or Hyper-V isolation: a job container runs on the host with a "
                 "local identity and cannot carry a gMSA (remove credentialspec= or choose another isolation)");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_field),
      cmocka_unit_test(test_healthcheck),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_refusals_name_the_field),
      cmocka_unit_test(test_where_prefixes_messages),
      cmocka_unit_test(test_warnings),
      cmocka_unit_test(test_to_json_shape_and_redaction),
      cmocka_unit_test(test_stdin_once),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_entrypoint),
      cmocka_unit_test(test_copy),
      cmocka_unit_test(test_isolation_names_parser_default),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_many_labels),
      cmocka_unit_test(test_security_options),
      cmocka_unit_test(test_size_is_bounded_naming_the_field),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
