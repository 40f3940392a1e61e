/* tests/compose/test_render.c - `wctr compose config`: the normalized model rendered in full, as YAML and
 * as JSON, for a merged two-file project and a gMSA project; quoting that reads back; secrets never shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose_internal.h"
#include "compose_test.h"

static compose_project *shop(void) {
  ct_file(CT_DIR "\\compose.yml",
          "name: shop\n"
          "x-win: &win\n"
          "  isolation: process\n"
          "  restart: unless-stopped\n"
          "services:\n"
          "  web:\n"
          "    <<: *win\n"
          "    image: contoso/web:1.0\n"
          "    command: [\"C:\\\\web\\\\server.exe\", \"--port\", \"80\"]\n"
          "    environment: [LOG=info, REGION=eu]\n"
          "    volumes: [\"./site:C:\\\\inetpub\\\\wwwroot:ro\"]\n"
          "    secrets: [db_password]\n"
          "    credential_spec: {file: web.json}\n"
          "    depends_on: [db]\n"
          "    mem_limit: 1g\n"
          "    cpus: 1.5\n"
          "  db:\n"
          "    <<: *win\n"
          "    image: contoso/db:1.0\n"
          "    stop_grace_period: 90s\n"
          "secrets:\n"
          "  db_password: {file: ./secrets/db.txt}\n");
  ct_file(CT_DIR "\\prod.yml",
          "services:\n"
          "  web:\n"
          "    environment: {LOG: warn}\n"
          "    labels: [com.contoso.env=prod]\n"
          "    volumes: [\"D:\\\\logs:C:\\\\logs\"]\n"
          "    restart: on-failure:3\n");
  static const char *const files[] = {"compose.yml", "prod.yml"};
  compose_options o = ct_options(files, 2);
  return ct_load(&o);
}

static void test_render_merged_project(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = shop();
  ct_expect_render(p, 0,
                   "name: shop\n"
                   "services:\n"
                   "  db:\n"
                   "    container_name: shop-db-1\n"
                   "    image: contoso/db:1.0\n"
                   "    isolation: process\n"
                   "    stop_grace_period: 1m30s\n"
                   "    restart: unless-stopped\n"
                   "    networks:\n"
                   "      default: null\n"
                   "  web:\n"
                   "    container_name: shop-web-1\n"
                   "    image: contoso/web:1.0\n"
                   "    command:\n"
                   "    - C:\\web\\server.exe\n"
                   "    - --port\n"
                   "    - \"80\"\n"
                   "    isolation: process\n"
                   "    credential_spec:\n"
                   "      file: web.json\n"
                   "    environment:\n"
                   "      LOG: warn\n"
                   "      REGION: eu\n"
                   "    labels:\n"
                   "      com.contoso.env: prod\n"
                   "    resources:\n"
                   "      memory_bytes: 1073741824\n"
                   "      nano_cpus: 1500000000\n"
                   "    volumes:\n"
                   "    - type: bind\n"
                   "      source: C:\\proj\\site\n"
                   "      target: C:\\inetpub\\wwwroot\n"
                   "      read_only: true\n"
                   "    - type: bind\n"
                   "      source: D:\\logs\n"
                   "      target: C:\\logs\n"
                   "      read_only: false\n"
                   "    secrets:\n"
                   "    - source: db_password\n"
                   "      target: db_password\n"
                   "    depends_on:\n"
                   "    - db\n"
                   "    restart: on-failure:3\n"
                   "    networks:\n"
                   "      default: null\n"
                   "networks:\n"
                   "  default:\n"
                   "    name: shop_default\n"
                   "secrets:\n"
                   "  db_password:\n"
                   "    file: C:\\proj\\secrets\\db.txt\n");
  ct_expect_render(p, 1,
                   "{\n"
                   "\t\"name\":\t\"shop\",\n"
                   "\t\"services\":\t{\n"
                   "\t\t\"db\":\t{\n"
                   "\t\t\t\"container_name\":\t\"shop-db-1\",\n"
                   "\t\t\t\"image\":\t\"contoso/db:1.0\",\n"
                   "\t\t\t\"isolation\":\t\"process\",\n"
                   "\t\t\t\"stop_grace_period\":\t\"1m30s\",\n"
                   "\t\t\t\"restart\":\t\"unless-stopped\",\n"
                   "\t\t\t\"networks\":\t{\n"
                   "\t\t\t\t\"default\":\tnull\n"
                   "\t\t\t}\n"
                   "\t\t},\n"
                   "\t\t\"web\":\t{\n"
                   "\t\t\t\"container_name\":\t\"shop-web-1\",\n"
                   "\t\t\t\"image\":\t\"contoso/web:1.0\",\n"
                   "\t\t\t\"command\":\t[\"C:\\\\web\\\\server.exe\", \"--port\", \"80\"],\n"
                   "\t\t\t\"isolation\":\t\"process\",\n"
                   "\t\t\t\"credential_spec\":\t{\n"
                   "\t\t\t\t\"file\":\t\"web.json\"\n"
                   "\t\t\t},\n"
                   "\t\t\t\"environment\":\t{\n"
                   "\t\t\t\t\"LOG\":\t\"warn\",\n"
                   "\t\t\t\t\"REGION\":\t\"eu\"\n"
                   "\t\t\t},\n"
                   "\t\t\t\"labels\":\t{\n"
                   "\t\t\t\t\"com.contoso.env\":\t\"prod\"\n"
                   "\t\t\t},\n"
                   "\t\t\t\"resources\":\t{\n"
                   "\t\t\t\t\"memory_bytes\":\t1073741824,\n"
                   "\t\t\t\t\"nano_cpus\":\t1500000000\n"
                   "\t\t\t},\n"
                   "\t\t\t\"volumes\":\t[{\n"
                   "\t\t\t\t\t\"type\":\t\"bind\",\n"
                   "\t\t\t\t\t\"source\":\t\"C:\\\\proj\\\\site\",\n"
                   "\t\t\t\t\t\"target\":\t\"C:\\\\inetpub\\\\wwwroot\",\n"
                   "\t\t\t\t\t\"read_only\":\ttrue\n"
                   "\t\t\t\t}, {\n"
                   "\t\t\t\t\t\"type\":\t\"bind\",\n"
                   "\t\t\t\t\t\"source\":\t\"D:\\\\logs\",\n"
                   "\t\t\t\t\t\"target\":\t\"C:\\\\logs\",\n"
                   "\t\t\t\t\t\"read_only\":\tfalse\n"
                   "\t\t\t\t}],\n"
                   "\t\t\t\"secrets\":\t[{\n"
                   "\t\t\t\t\t\"source\":\t\"db_password\",\n"
                   "\t\t\t\t\t\"target\":\t\"db_password\"\n"
                   "\t\t\t\t}],\n"
                   "\t\t\t\"depends_on\":\t[\"db\"],\n"
                   "\t\t\t\"restart\":\t\"on-failure:3\",\n"
                   "\t\t\t\"networks\":\t{\n"
                   "\t\t\t\t\"default\":\tnull\n"
                   "\t\t\t}\n"
                   "\t\t}\n"
                   "\t},\n"
                   "\t\"networks\":\t{\n"
                   "\t\t\"default\":\t{\n"
                   "\t\t\t\"name\":\t\"shop_default\"\n"
                   "\t\t}\n"
                   "\t},\n"
                   "\t\"secrets\":\t{\n"
                   "\t\t\"db_password\":\t{\n"
                   "\t\t\t\"file\":\t\"C:\\\\proj\\\\secrets\\\\db.txt\"\n"
                   "\t\t}\n"
                   "\t}\n"
                   "}\n");
  compose_free(p);
  ct_reset();
}

static const char gmsa_yml[] =
    "name: gmsa-demo\n"
    "services:\n"
    "  app:\n"
    "    image: contoso/app:ltsc2022\n"
    "    isolation: JOB\n"
    "    entrypoint: C:\\app\\run.cmd --verbose\n"
    "    command: []\n"
    "    security_opt:\n"
    "      - 'credentialspec=raw://{\"CmsPlugins\":[\"ActiveDirectory\"],\"HostAccountConfig\":{\"PluginInput\":"
    "\"${PLUGIN_INPUT}\"}}'\n"
    "    environment:\n"
    "      ANSWER: \"yes\"\n"
    "      ONE: \"1\"\n"
    "      EMPTY: \"\"\n"
    "      T: \"true\"\n"
    "      N: \"null\"\n"
    "      MERGE: \"<<\"\n"
    "      COLON: \"a: b\"\n"
    "      HASH: \"#x\"\n"
    "      MULTI: \"line1\\nline2\"\n"
    "      LEAD: \" lead\"\n"
    "      CAFE: caf\xc3\xa9\n"
    "      PATH_LIKE: C:\\Program Files\\app\n"
    "    labels: {com.contoso.team: identity}\n"
    "    mem_limit: 9223372036854775807\n"
    "    cpu_count: 2\n"
    "    pids_limit: 50\n"
    "    restart: always\n"
    "    stop_grace_period: 2m\n"
    "    configs: [{source: settings, target: app.json}]\n"
    "configs:\n"
    "  settings: {file: .\\config\\settings.json}\n";

static const char gmsa_yaml_out[] =
    "name: gmsa-demo\n"
    "services:\n"
    "  app:\n"
    "    container_name: gmsa-demo-app-1\n"
    "    image: contoso/app:ltsc2022\n"
    "    entrypoint: C:\\app\\run.cmd --verbose\n"
    "    command: []\n"
    "    isolation: job\n"
    "    credential_spec:\n"
    "      raw: <redacted>\n"
    "    environment:\n"
    "      ANSWER: \"yes\"\n"
    "      CAFE: caf\xc3\xa9\n"
    "      COLON: 'a: b'\n"
    "      EMPTY: \"\"\n"
    "      HASH: '#x'\n"
    "      LEAD: ' lead'\n"
    "      MERGE: \"<<\"\n"
    "      MULTI: \"line1\\nline2\"\n"
    "      \"N\": \"null\"\n"
    "      ONE: \"1\"\n"
    "      PATH_LIKE: C:\\Program Files\\app\n"
    "      T: \"true\"\n"
    "    labels:\n"
    "      com.contoso.team: identity\n"
    "    resources:\n"
    "      memory_bytes: 9223372036854775807\n"
    "      cpu_count: 2\n"
    "      pids_limit: 50\n"
    "    configs:\n"
    "    - source: settings\n"
    "      target: app.json\n"
    "    stop_grace_period: 2m0s\n"
    "    restart: always\n"
    "configs:\n"
    "  settings:\n"
    "    file: C:\\proj\\config\\settings.json\n";

static void test_render_gmsa_project(void **state) {
  (void)state;
  ct_reset();
  ct_env("PLUGIN_INPUT", "contoso.com:gmsa-reader:P@ssw0rd");
  compose_project *p = ct_load_text(gmsa_yml);
  /* The model keeps the spec (the service needs it)... */
  const compose_service *app = ct_service(p, "app");
  assert_int_equal(app->credspec.kind, GMSA_SOURCE_RAW);
  assert_non_null(strstr(app->credspec.value, "P@ssw0rd"));
  ct_expect_render(p, 0, gmsa_yaml_out);
  ct_expect_render(p, 1,
                   "{\n"
                   "\t\"name\":\t\"gmsa-demo\",\n"
                   "\t\"services\":\t{\n"
                   "\t\t\"app\":\t{\n"
                   "\t\t\t\"container_name\":\t\"gmsa-demo-app-1\",\n"
                   "\t\t\t\"image\":\t\"contoso/app:ltsc2022\",\n"
                   "\t\t\t\"entrypoint\":\t\"C:\\\\app\\\\run.cmd --verbose\",\n"
                   "\t\t\t\"command\":\t[],\n"
                   "\t\t\t\"isolation\":\t\"job\",\n"
                   "\t\t\t\"credential_spec\":\t{\n"
                   "\t\t\t\t\"raw\":\t\"<redacted>\"\n"
                   "\t\t\t},\n"
                   "\t\t\t\"environment\":\t{\n"
                   "\t\t\t\t\"ANSWER\":\t\"yes\",\n"
                   "\t\t\t\t\"CAFE\":\t\"caf\xc3\xa9\",\n"
                   "\t\t\t\t\"COLON\":\t\"a: b\",\n"
                   "\t\t\t\t\"EMPTY\":\t\"\",\n"
                   "\t\t\t\t\"HASH\":\t\"#x\",\n"
                   "\t\t\t\t\"LEAD\":\t\" lead\",\n"
                   "\t\t\t\t\"MERGE\":\t\"<<\",\n"
                   "\t\t\t\t\"MULTI\":\t\"line1\\nline2\",\n"
                   "\t\t\t\t\"N\":\t\"null\",\n"
                   "\t\t\t\t\"ONE\":\t\"1\",\n"
                   "\t\t\t\t\"PATH_LIKE\":\t\"C:\\\\Program Files\\\\app\",\n"
                   "\t\t\t\t\"T\":\t\"true\"\n"
                   "\t\t\t},\n"
                   "\t\t\t\"labels\":\t{\n"
                   "\t\t\t\t\"com.contoso.team\":\t\"identity\"\n"
                   "\t\t\t},\n"
                   "\t\t\t\"resources\":\t{\n"
                   "\t\t\t\t\"memory_bytes\":\t9223372036854775807,\n"
                   "\t\t\t\t\"cpu_count\":\t2,\n"
                   "\t\t\t\t\"pids_limit\":\t50\n"
                   "\t\t\t},\n"
                   "\t\t\t\"configs\":\t[{\n"
                   "\t\t\t\t\t\"source\":\t\"settings\",\n"
                   "\t\t\t\t\t\"target\":\t\"app.json\"\n"
                   "\t\t\t\t}],\n"
                   "\t\t\t\"stop_grace_period\":\t\"2m0s\",\n"
                   "\t\t\t\"restart\":\t\"always\"\n"
                   "\t\t}\n"
                   "\t},\n"
                   "\t\"configs\":\t{\n"
                   "\t\t\"settings\":\t{\n"
                   "\t\t\t\"file\":\t\"C:\\\\proj\\\\config\\\\settings.json\"\n"
                   "\t\t}\n"
                   "\t}\n"
                   "}\n");
  compose_free(p);
  ct_reset();
}

/* The YAML output is itself a compose-like document: every string reads back as the same string. */
static void test_render_reads_back(void **state) {
  (void)state;
  ct_reset();
  ct_env("PLUGIN_INPUT", "x");
  compose_project *p = ct_load_text(gmsa_yml);
  char *yaml = NULL;
  wctr_errmsg e;
  assert_int_equal(compose_render(p, false, &yaml, &e), WCTR_OK);
  cy_budget budget = {0};
  cy_node **docs;
  size_t n;
  assert_int_equal(cy_parse("out.yml", yaml, strlen(yaml), &budget, &docs, &n, &e), WCTR_OK);
  assert_int_equal(n, 1);
  const cy_node *env =
      cy_map_get(cy_map_get(cy_map_get(docs[0], "services")->value, "app")->value, "environment")->value;
  const compose_service *app = ct_service(p, "app");
  assert_int_equal(env->count, app->environment_count);
  for (size_t i = 0; i < env->count; i++) {
    char kv[256];
    assert_int_equal(env->pairs[i].value->type, CY_STR);
    snprintf(kv, sizeof kv, "%s=%s", env->pairs[i].key, env->pairs[i].value->text);
    assert_string_equal(kv, app->environment[i]);
  }
  const cy_node *mem =
      cy_map_get(cy_map_get(cy_map_get(cy_map_get(docs[0], "services")->value, "app")->value, "resources")->value,
                 "memory_bytes")
          ->value;
  assert_int_equal(mem->type, CY_INT);
  cy_free(docs[0]);
  free(docs);
  free(yaml);
  compose_free(p);
  ct_reset();
}

/* A named pipe renders as npipe, whichever form it was written in; its paths as written. */
static void test_render_pipes(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n"
                                    "  web:\n"
                                    "    image: app\n"
                                    "    volumes:\n"
                                    "      - {type: npipe, source: \"\\\\\\\\.\\\\pipe\\\\docker_engine\", target: "
                                    "\"\\\\\\\\.\\\\pipe\\\\docker_engine\"}\n"
                                    "      - //./pipe/b://./pipe/b\n"
                                    "      - ./c:C:\\c\n");
  ct_expect_render(p, 0,
                   "name: proj\n"
                   "services:\n"
                   "  web:\n"
                   "    container_name: proj-web-1\n"
                   "    image: app\n"
                   "    volumes:\n"
                   "    - type: npipe\n"
                   "      source: \\\\.\\pipe\\docker_engine\n"
                   "      target: \\\\.\\pipe\\docker_engine\n"
                   "      read_only: false\n"
                   "    - type: npipe\n"
                   "      source: //./pipe/b\n"
                   "      target: //./pipe/b\n"
                   "      read_only: false\n"
                   "    - type: bind\n"
                   "      source: C:\\proj\\c\n"
                   "      target: C:\\c\n"
                   "      read_only: false\n"
                   "    networks:\n"
                   "      default: null\n"
                   "networks:\n"
                   "  default:\n"
                   "    name: proj_default\n");
  compose_free(p);
  ct_reset();
}

/* deploy.replicas is kept (for convert) and shown after restart, in both formats. */
static void test_render_replicas(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("name: r\nservices:\n  web:\n    image: iis\n    deploy: {replicas: 3}\n");
  ct_expect_render(p, 0,
                   "name: r\n"
                   "services:\n"
                   "  web:\n"
                   "    container_name: r-web-1\n"
                   "    image: iis\n"
                   "    replicas: 3\n"
                   "    networks:\n"
                   "      default: null\n"
                   "networks:\n"
                   "  default:\n"
                   "    name: r_default\n");
  ct_expect_render(p, 1,
                   "{\n"
                   "\t\"name\":\t\"r\",\n"
                   "\t\"services\":\t{\n"
                   "\t\t\"web\":\t{\n"
                   "\t\t\t\"container_name\":\t\"r-web-1\",\n"
                   "\t\t\t\"image\":\t\"iis\",\n"
                   "\t\t\t\"replicas\":\t3,\n"
                   "\t\t\t\"networks\":\t{\n"
                   "\t\t\t\t\"default\":\tnull\n"
                   "\t\t\t}\n"
                   "\t\t}\n"
                   "\t},\n"
                   "\t\"networks\":\t{\n"
                   "\t\t\"default\":\t{\n"
                   "\t\t\t\"name\":\t\"r_default\"\n"
                   "\t\t}\n"
                   "\t}\n"
                   "}\n");
  compose_free(p);
  ct_reset();
}

static void test_render_empty_and_errors(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services: {}\n");
  ct_expect_render(p, 0, "name: proj\nservices: {}\n");
  ct_expect_render(p, 1, "{\n\t\"name\":\t\"proj\",\n\t\"services\":\t{\n\t}\n}\n");
  char *out = (char *)1;
  wctr_errmsg e;
  assert_int_equal(compose_render(NULL, false, &out, &e), WCTR_EINVAL);
  assert_null(out);
  assert_string_equal(e.text, "compose_render: project must not be NULL");
  assert_int_equal(compose_render(p, false, NULL, &e), WCTR_EINVAL);
  compose_free(p);
  ct_reset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_render_merged_project),
      cmocka_unit_test(test_render_gmsa_project),
      cmocka_unit_test(test_render_reads_back),
      cmocka_unit_test(test_render_pipes),
      cmocka_unit_test(test_render_replicas),
      cmocka_unit_test(test_render_empty_and_errors),
  };
  return cmocka_run_group_tests_name("compose_render", tests, NULL, NULL);
}
