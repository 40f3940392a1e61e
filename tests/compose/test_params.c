/* tests/compose/test_params.c - a compose service as container.create params (cli_compose_create_params):
 * every supported key mapped, the credential spec sources (config:// read and checked here), and the keys
 * that cannot be applied refused with their path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose_test.h"

static const char spec[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
    "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
    "\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"}]}}";

/* The params of service name, printed compactly; fails the test when the mapping fails. */
static char *params_of(const cli_compose_project *p, const char *name) {
  cli_compose_options o = ct_options(NULL, 0);
  cJSON *params = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (cli_compose_create_params(p, ct_service(p, name), o.read_file, o.ctx, &params, &e) != WCTR_OK) {
    fail_msg("%s", e.text);
  }
  char *text = cJSON_PrintUnformatted(params);
  cJSON_Delete(params);
  return text;
}

static void expect_refused(const cli_compose_project *p, const char *name, wctr_err code, const char *message) {
  cli_compose_options o = ct_options(NULL, 0);
  cJSON *params = (cJSON *)p;
  wctr_errmsg e;
  assert_int_equal(cli_compose_create_params(p, ct_service(p, name), o.read_file, o.ctx, &params, &e), code);
  assert_null(params);
  if (strcmp(e.text, message) != 0) fail_msg("got  %s\nwant %s", e.text, message);
}

static void test_every_key(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\web.env", "FROM_FILE=1\nSHARED=file\n");
  ct_env("TAG", "2022");
  cli_compose_project *p = ct_load_text(
      "name: shop\n"
      "x-common: &common\n"
      "  isolation: process\n"
      "  restart: unless-stopped\n"
      "services:\n"
      "  web:\n"
      "    <<: *common\n"
      "    image: mcr.microsoft.com/windows/servercore:ltsc${TAG}\n"
      "    entrypoint: [C:\\app\\run.exe]\n"
      "    command: [--port, \"80\"]\n"
      "    environment: [SHARED=env, EMPTY=]\n"
      "    env_file: web.env\n"
      "    working_dir: C:\\app\n"
      "    user: ContainerUser\n"
      "    hostname: web01\n"
      "    mem_limit: 500m\n"
      "    cpus: 1.5\n"
      "    stop_grace_period: 1m30s\n"
      "    labels: {tier: front}\n"
      "    credential_spec: {file: web.json}\n"
      "    volumes:\n"
      "      - C:\\data:C:\\data:ro\n"
      "      - {type: bind, source: ./logs, target: C:\\logs}\n"
      "    secrets: [db_password, {source: api_key, target: key.txt}]\n"
      "  worker:\n"
      "    image: host\n"
      "    command: ping -n 3 127.0.0.1\n"
      "    isolation: job\n"
      "    deploy: {resources: {limits: {memory: 1g, pids: 10}}}\n"
      "    cpu_percent: 40\n"
      "    restart: on-failure:5\n"
      "    depends_on: [web]\n"
      "secrets:\n"
      "  db_password: {file: ./db.txt}\n"
      "  api_key: {file: ./api.txt}\n");
  char *web = params_of(p, "web");
  assert_string_equal(
      web,
      "{\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":524288000,\"NanoCpus\":1500000000,"
      "\"RestartPolicy\":{\"Name\":\"unless-stopped\"},\"Binds\":[\"C:\\\\data:C:\\\\data:ro\","
      "\"C:\\\\proj\\\\logs:C:\\\\logs\"],\"SecurityOpt\":[\"credentialspec=file://web.json\"]},"
      "\"Labels\":{\"com.docker.compose.project\":\"shop\",\"com.docker.compose.service\":\"web\","
      "\"com.docker.compose.container-number\":\"1\",\"tier\":\"front\"},"
      "\"Env\":[\"EMPTY=\",\"FROM_FILE=1\",\"SHARED=env\"],\"Name\":\"shop-web-1\","
      "\"Image\":\"mcr.microsoft.com/windows/servercore:ltsc2022\",\"Cmd\":[\"C:\\\\app\\\\run.exe\",\"--port\",\"80\"],"
      "\"WorkingDir\":\"C:\\\\app\",\"User\":\"ContainerUser\",\"Hostname\":\"web01\",\"StopTimeout\":90,"
      "\"Secrets\":[{\"Name\":\"db_password\",\"Target\":\"db_password\"},{\"Name\":\"api_key\",\"Target\":\"key.txt\"}]}");
  free(web);
  char *worker = params_of(p, "worker");
  assert_string_equal(
      worker,
      "{\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":1073741824,\"CpuPercent\":40,"
      "\"PidsLimit\":10,\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":5}},"
      "\"Labels\":{\"com.docker.compose.project\":\"shop\",\"com.docker.compose.service\":\"worker\","
      "\"com.docker.compose.container-number\":\"1\"},\"Env\":[],\"Name\":\"shop-worker-1\",\"Image\":\"host\","
      "\"Cmd\":[\"cmd\",\"/S\",\"/C\",\"ping -n 3 127.0.0.1\"]}");
  free(worker);
  cli_compose_free(p);
}

static void test_credential_spec_sources(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\spec.json", spec);
  ct_file(CT_DIR "\\broken.json", "{\"CmsPlugins\":[\"ActiveDirectory\"]}");
  cli_compose_project *p = ct_load_text("services:\n"
                                        "  a: {image: i, command: [x], credential_spec: {config: good}}\n"
                                        "  b: {image: i, command: [x], credential_spec: {registry: webapp01}}\n"
                                        "  c: {image: i, command: [x], security_opt: [\"credentialspec=raw://{}\"]}\n"
                                        "  d: {image: i, command: [x], credential_spec: {config: bad}}\n"
                                        "  e: {image: i, command: [x], credential_spec: {config: gone}}\n"
                                        "configs:\n"
                                        "  good: {file: ./spec.json}\n"
                                        "  bad: {file: ./broken.json}\n"
                                        "  gone: {file: ./missing.json}\n");
  char *a = params_of(p, "a");
  /* config:// is read here and passed as raw:// of the spec, rendered again. */
  char want[sizeof spec + 200];
  snprintf(want, sizeof want, "\"SecurityOpt\":[\"credentialspec=raw://%s", "{\\\"CmsPlugins\\\":[\\\"ActiveDirectory\\\"]");
  if (strstr(a, want) == NULL) fail_msg("%s", a);
  assert_int_equal(ct_reads(CT_DIR "\\spec.json"), 1);
  free(a);
  char *b = params_of(p, "b");
  assert_non_null(strstr(b, "\"SecurityOpt\":[\"credentialspec=registry://webapp01\"]"));
  free(b);
  char *c = params_of(p, "c");
  assert_non_null(strstr(c, "\"SecurityOpt\":[\"credentialspec=raw://{}\"]"));
  free(c);
  expect_refused(p, "d", WCTR_EINVAL,
                 "services.d.credential_spec: config \"bad\": credential spec: \"DomainJoinConfig\" is required");
  expect_refused(p, "e", WCTR_ENOENT,
                 "services.e.credential_spec: config \"gone\" (C:\\proj\\missing.json): no such file");
  cli_compose_free(p);
}

static void test_refusals(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\app.conf", "x");
  cli_compose_project *p = ct_load_text("services:\n"
                                        "  job: {image: host, command: [x], isolation: job, credential_spec: {file: w.json}}\n"
                                        "  cfg: {image: host, command: [x], configs: [app]}\n"
                                        "  long: {image: host, command: [x], stop_grace_period: 2h}\n"
                                        "  lbl: {image: host, command: [x], labels: [com.docker.compose.project=other]}\n"
                                        "  quote: {image: host, command: 'cmd /c \"a b\"'}\n"
                                        "configs:\n"
                                        "  app: {file: ./app.conf}\n");
  expect_refused(p, "job", WCTR_EINVAL,
                 "services.job.credential_spec: a credential spec (gMSA) needs process or hyperv isolation: a job "
                 "container runs on the host with a local identity and cannot carry a gMSA");
  expect_refused(p, "cfg", WCTR_ENOTSUP,
                 "services.cfg.configs: giving a config to a container as a file is not supported by wctr yet "
                 "(configs can be used as credential_spec: {config: NAME})");
  expect_refused(p, "long", WCTR_EINVAL, "services.long.stop_grace_period: at most 1h (wctr's longest stop timeout)");
  expect_refused(p, "lbl", WCTR_EINVAL,
                 "services.lbl.labels: com.docker.compose.project=other: com.docker.compose.* labels are set by wctr "
                 "compose");
  expect_refused(p, "quote", WCTR_EINVAL,
                 "services.quote.command: a command line with double quotes cannot be passed through cmd /S /C "
                 "unchanged; write it in the list form ([\"cmd\", \"/c\", \"...\"])");
  cli_compose_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_key),
      cmocka_unit_test(test_credential_spec_sources),
      cmocka_unit_test(test_refusals),
  };
  int rc = cmocka_run_group_tests_name("compose_params", tests, NULL, NULL);
  ct_reset();
  return rc;
}
