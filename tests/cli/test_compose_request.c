/* tests/cli/test_compose_request.c - the container.create request `wctr compose up` sends for a service
 * (cli_compose_create_request): the service's spec (compose/to_spec.h) written by spec_to_json, the one
 * table of wire names, with the credential spec whole and the container's Name. The compose files come
 * from the compose suites' in-memory table (tests/compose/compose_test.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/compose_cmd.h"
#include "compose_test.h"
#include "gmsa/gmsa_util.h"

/* The request for service name, printed compactly; fails the test when building it fails. */
static char *request_of(const compose_project *p, const char *name) {
  compose_options o = ct_options(NULL, 0);
  cJSON *params = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (cli_compose_create_request(p, ct_service(p, name), o.read_file, o.ctx, &params, &e) != WCTR_OK) {
    fail_msg("%s", e.text);
  }
  char *text = cJSON_PrintUnformatted(params);
  gmsa_json_secure_delete(params);
  return text;
}

static void test_every_key(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\web.env", "FROM_FILE=1\nSHARED=file\n");
  ct_env("TAG", "2022");
  compose_project *p = ct_load_text(
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
  char *web = request_of(p, "web");
  assert_string_equal(
      web,
      "{\"Name\":\"shop-web-1\",\"Image\":\"mcr.microsoft.com/windows/servercore:ltsc2022\","
      "\"Entrypoint\":[\"C:\\\\app\\\\run.exe\"],\"Cmd\":[\"--port\",\"80\"],\"Env\":[\"EMPTY=\",\"FROM_FILE=1\",\"SHARED=env\"],"
      "\"WorkingDir\":\"C:\\\\app\",\"User\":\"ContainerUser\",\"Hostname\":\"web01\",\"OpenStdin\":false,"
      "\"StopTimeout\":90,"
      "\"Secrets\":[{\"Name\":\"db_password\",\"Target\":\"db_password\"},{\"Name\":\"api_key\",\"Target\":\"key.txt\"}],"
      "\"Labels\":{\"com.docker.compose.container-number\":\"1\",\"com.docker.compose.project\":\"shop\","
      "\"com.docker.compose.service\":\"web\",\"tier\":\"front\"},"
      "\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":524288000,\"NanoCpus\":1500000000,\"CpuCount\":0,"
      "\"CpuPercent\":0,\"CpuShares\":0,\"PidsLimit\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,"
      "\"AutoRemove\":false,\"Binds\":[\"C:\\\\data:C:\\\\data:ro\",\"C:\\\\proj\\\\logs:C:\\\\logs\"],"
      "\"RestartPolicy\":{\"Name\":\"unless-stopped\",\"MaximumRetryCount\":0},"
      "\"SecurityOpt\":[\"credentialspec=file://web.json\"],\"NetworkMode\":\"shop_default\"}}");
  free(web);
  char *worker = request_of(p, "worker");
  assert_string_equal(
      worker,
      "{\"Name\":\"shop-worker-1\",\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/S\",\"/C\",\"ping -n 3 127.0.0.1\"],"
      "\"Env\":[],\"OpenStdin\":false,\"StopTimeout\":30,"
      "\"Labels\":{\"com.docker.compose.container-number\":\"1\",\"com.docker.compose.project\":\"shop\","
      "\"com.docker.compose.service\":\"worker\"},"
      "\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":1073741824,\"NanoCpus\":0,\"CpuCount\":0,\"CpuPercent\":40,"
      "\"CpuShares\":0,\"PidsLimit\":10,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"AutoRemove\":false,"
      "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":5},\"SecurityOpt\":[]}}");
  free(worker);
  compose_free(p);
}

/* A raw:// credential spec (config:// read by compose) travels whole: wctrd needs it to create the
 * container; spec_to_json would otherwise redact it. */
static void test_credential_spec_whole(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\spec.json",
          "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
          "\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
          "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
          "\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"}]}}");
  compose_project *p = ct_load_text("services:\n"
                                    "  a: {image: i, command: [x], isolation: process, credential_spec: {config: good}}\n"
                                    "  c: {image: i, command: [x], security_opt: [\"credentialspec=raw://{}\"]}\n"
                                    "configs:\n"
                                    "  good: {file: ./spec.json}\n");
  char *a = request_of(p, "a");
  const char *want = "\"SecurityOpt\":[\"credentialspec=raw://{\\\"CmsPlugins\\\":[\\\"ActiveDirectory\\\"]";
  if (strstr(a, want) == NULL) fail_msg("%s", a);
  assert_non_null(strstr(a, "\\\"MachineAccountName\\\":\\\"webapp01\\\""));
  free(a);
  char *c = request_of(p, "c");
  assert_non_null(strstr(c, "\"SecurityOpt\":[\"credentialspec=raw://{}\"]"));
  free(c);
  compose_free(p);
}

/* The spec's refusals reach the caller unchanged, with nothing built. */
static void test_refused(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n  long: {image: host, command: [x], stop_grace_period: 2h}\n");
  compose_options o = ct_options(NULL, 0);
  cJSON *params = (cJSON *)p;
  wctr_errmsg e;
  assert_int_equal(cli_compose_create_request(p, ct_service(p, "long"), o.read_file, o.ctx, &params, &e), WCTR_EINVAL);
  assert_null(params);
  assert_string_equal(e.text, "services.long.stop_grace_period: at most 1h (wctr's longest stop timeout)");
  compose_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_key),
      cmocka_unit_test(test_credential_spec_whole),
      cmocka_unit_test(test_refused),
  };
  int rc = cmocka_run_group_tests_name("cli_compose_request", tests, NULL, NULL);
  ct_reset();
  return rc;
}
