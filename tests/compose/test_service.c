/* tests/compose/test_service.c - every supported service key: its values in the model and each error,
 * word for word. One file, C:\proj\compose.yml, loaded as `-f compose.yml`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/to_spec.h"
#include "compose_test.h"

#define SVC "services:\n  web:\n    image: app\n"

static const compose_service *web(compose_project *p) { return ct_service(p, "web"); }

static void test_image_and_strings(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC
                                        "    working_dir: C:\\app\n    user: ContainerUser\n"
                                        "    hostname: web01\n");
  const compose_service *s = web(p);
  assert_string_equal(s->name, "web");
  assert_string_equal(s->container_name, "proj-web-1");
  assert_string_equal(s->image, "app");
  assert_string_equal(s->working_dir, "C:\\app");
  assert_string_equal(s->user, "ContainerUser");
  assert_string_equal(s->hostname, "web01");
  assert_false(s->command.set);
  assert_false(s->entrypoint.set);
  assert_int_equal(s->isolation, 0);
  assert_false(s->has_credspec);
  assert_int_equal(s->environment_count, 0);
  assert_int_equal(s->restart.name, SPEC_RESTART_NO);
  compose_free(p);

  /* A number where the schema wants a string is refused, as compose refuses it. */
  ct_fail_text(SVC "    user: 1000\n", "compose.yml: services.web.user: must be a string, not a number");
  ct_fail_text("services:\n  web:\n    image: 1.0\n",
               "compose.yml: services.web.image: must be a string, not a number");
  ct_fail_text(SVC "    hostname: true\n", "compose.yml: services.web.hostname: must be a string, not a boolean");
  ct_fail_text(SVC "    working_dir: [a]\n",
               "compose.yml: services.web.working_dir: must be a string, not a list");
  ct_fail_text(SVC "    hostname:\n", "compose.yml: services.web.hostname: must be a string, not null");
  ct_fail_text(SVC "    working_dir: app\\bin\n",
               "compose.yml: services.web.working_dir: the working directory 'app\\\\bin' is invalid, it needs to "
               "be an absolute path");
  p = ct_load_text("services:\n  web:\n    image: \"1.0\"\n    user: !!str 1000\n");
  assert_string_equal(web(p)->image, "1.0");
  assert_string_equal(web(p)->user, "1000");
  compose_free(p);
  ct_fail_text("services:\n  web:\n    user: a\n", "compose.yml: services.web: service \"web\" has no image");
  ct_fail_text("services:\n  web:\n    image: \"\"\n", "compose.yml: services.web: service \"web\" has no image");
  ct_reset();
}

static void test_unknown_and_unsupported_keys(void **state) {
  (void)state;
  ct_reset();
  ct_fail_text(SVC "    links: [db]\n", "compose.yml: services.web.links: \"links\" is not supported by wctr");
  ct_fail_text(SVC "    imagee: x\n", "compose.yml: services.web: unknown key \"imagee\"");
  ct_fail_text(SVC "    build: .\n", "compose.yml: services.web.build: \"build\" is not supported by wctr");
  ct_fail_text(SVC "    container_name: \"-x\"\n",
               "compose.yml: services.web.container_name: invalid container name \"-x\": only "
               "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  ct_fail_text(SVC "    init: true\n",
               "compose.yml: services.web.init: \"init: true\" is not supported by wctr: Windows containers have no "
               "Linux init to run (no zombie processes to reap: a job object or a silo ends every process with the "
               "container); leave it out or write false");
  ct_fail_text(SVC "    read_only: true\n",
               "compose.yml: services.web.read_only: \"read_only\" is not supported by wctr");
  ct_fail_text(SVC "    extra_hosts: [\"a:10.0.0.1\"]\n",
               "compose.yml: services.web.extra_hosts: \"extra_hosts\" is not supported by wctr");
  /* Keys are case-sensitive, like compose's schema. */
  ct_fail_text(SVC "    Image: x\n", "compose.yml: services.web: unknown key \"Image\"");
  /* Extensions are ignored in a service. */
  compose_project *p = ct_load_text(SVC "    x-anything: {whatever: [1, 2]}\n");
  compose_free(p);
  /* At the top level: */
  ct_fail_text("servics: {}\n", "compose.yml: unknown key \"servics\"");
  ct_fail_text("volumes: {data: {driver: nfs}}\n",
               "compose.yml: volumes.data.driver: driver \"nfs\" is not supported by wctr (only local)");
  ct_fail_text("volumes: {data: {driver_opts: {type: nfs}}}\n",
               "compose.yml: volumes.data.driver_opts: \"driver_opts\" is not supported by wctr (Docker's local "
               "driver on Windows takes no options)");
  ct_fail_text("include: [a.yml]\n", "compose.yml: include: \"include\" is not supported by wctr");
  /* A key with control characters is quoted safely. */
  ct_fail_text(SVC "    \"a\\tb\": 1\n", "compose.yml: services.web: unknown key \"a\\x09b\"");
  ct_reset();
}

static void test_command_and_entrypoint(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC
                                        "    command: [\"cmd\", \"/c\", \"dir C:\\\\\"]\n"
                                        "    entrypoint: powershell -NoLogo -Command \"& C:\\run.ps1\"\n");
  const compose_service *s = web(p);
  assert_true(s->command.set);
  assert_false(s->command.shell_form);
  assert_int_equal(s->command.argc, 3);
  assert_string_equal(s->command.argv[0], "cmd");
  assert_string_equal(s->command.argv[1], "/c");
  assert_string_equal(s->command.argv[2], "dir C:\\");
  assert_true(s->entrypoint.set);
  assert_true(s->entrypoint.shell_form);
  assert_int_equal(s->entrypoint.argc, 1);
  /* The string form is kept whole: no POSIX word splitting that would eat the backslash. */
  assert_string_equal(s->entrypoint.argv[0], "powershell -NoLogo -Command \"& C:\\run.ps1\"");
  compose_free(p);

  p = ct_load_text(SVC "    command: []\n    entrypoint: null\n");
  assert_true(web(p)->command.set);
  assert_int_equal(web(p)->command.argc, 0);
  assert_false(web(p)->entrypoint.set);
  compose_free(p);

  /* Block scalars are strings too. */
  p = ct_load_text(SVC "    command: >\n      cmd /c\n      echo hi\n");
  assert_string_equal(web(p)->command.argv[0], "cmd /c echo hi\n");
  compose_free(p);

  ct_fail_text(SVC "    command: [sleep, 10]\n",
               "compose.yml: services.web.command[1]: must be a string, not a number");
  ct_fail_text(SVC "    command: {a: b}\n",
               "compose.yml: services.web.command: must be a string or a list of strings, not a mapping");
  ct_fail_text(SVC "    entrypoint: 5\n",
               "compose.yml: services.web.entrypoint: must be a string or a list of strings, not a number");
  ct_reset();
}

static void test_environment(void **state) {
  (void)state;
  ct_reset();
  ct_env("FROM_SHELL", "shell value");
  ct_env("EMPTY", "");
  compose_project *p = ct_load_text(SVC
                                        "    environment:\n"
                                        "      ZED: last\n"
                                        "      ALPHA: 1\n"
                                        "      DEBUG: true\n"
                                        "      OFF: no\n"
                                        "      RATIO: 0.50\n"
                                        "      FROM_SHELL:\n"
                                        "      MISSING: ~\n"
                                        "      EMPTY: null\n"
                                        "      QUOTED: \"\"\n"
                                        "      WITH_EQ: a=b=c\n");
  const compose_service *s = web(p);
  /* Sorted by key; booleans as compose prints them; numbers as written; null from the environment, or
   * left out when the environment does not have it. */
  const char *expected[] = {"ALPHA=1", "DEBUG=true", "EMPTY=",     "FROM_SHELL=shell value",
                            "OFF=no",  "QUOTED=",    "RATIO=0.50", "WITH_EQ=a=b=c",
                            "ZED=last"};
  assert_int_equal(s->environment_count, sizeof expected / sizeof expected[0]);
  for (size_t i = 0; i < s->environment_count; i++) assert_string_equal(s->environment[i], expected[i]);
  compose_free(p);

  p = ct_load_text(SVC
                   "    environment:\n      - B=2\n      - A=1\n      - FROM_SHELL\n      - NOPE\n"
                   "      - A=again\n      - C=\n");
  s = web(p);
  const char *list[] = {"A=again", "B=2", "C=", "FROM_SHELL=shell value"};
  assert_int_equal(s->environment_count, 4);
  for (size_t i = 0; i < 4; i++) assert_string_equal(s->environment[i], list[i]);
  compose_free(p);

  ct_fail_text(SVC "    environment: [\"=x\"]\n",
               "compose.yml: services.web.environment[0]: invalid entry \"=x\": the name is empty");
  ct_fail_text(SVC "    environment: [1]\n",
               "compose.yml: services.web.environment[0]: must be a string, not a number");
  ct_fail_text(SVC "    environment: {\"A=B\": 1}\n",
               "compose.yml: services.web.environment: invalid variable name \"A=B\"");
  ct_fail_text(SVC "    environment: {\"\": 1}\n",
               "compose.yml: services.web.environment: invalid variable name \"\"");
  ct_fail_text(
      SVC "    environment: {A: [1]}\n",
      "compose.yml: services.web.environment.A: must be a string, a number, a boolean or null, not a list");
  ct_fail_text(SVC "    environment: A=1\n",
               "compose.yml: services.web.environment: must be a mapping or a list of strings, not a string");
  ct_reset();
}

static void test_labels(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC "    labels:\n      com.example.tier: web\n      b: 2\n      a:\n");
  const compose_service *s = web(p);
  assert_int_equal(s->label_count, 3);
  assert_string_equal(s->labels[0], "a=");
  assert_string_equal(s->labels[1], "b=2");
  assert_string_equal(s->labels[2], "com.example.tier=web");
  compose_free(p);
  p = ct_load_text(SVC "    labels: [\"z=1\", \"flag\", \"a=x=y\"]\n");
  s = web(p);
  assert_int_equal(s->label_count, 3);
  assert_string_equal(s->labels[0], "a=x=y");
  assert_string_equal(s->labels[1], "flag=");
  assert_string_equal(s->labels[2], "z=1");
  compose_free(p);
  ct_fail_text(SVC "    labels: 3\n",
               "compose.yml: services.web.labels: must be a mapping or a list of strings, not a number");
  ct_reset();
}

static void test_isolation(void **state) {
  (void)state;
  ct_reset();
  static const struct {
    const char *text;
    wctr_isolation iso;
  } ok[] = {{"process", WCTR_ISOLATION_PROCESS},
            {"HyperV", WCTR_ISOLATION_HYPERV},
            {"JOB", WCTR_ISOLATION_JOB},
            {"Default", 0},
            {"default", 0}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, SVC "    isolation: %s\n", ok[i].text);
    compose_project *p = ct_load_text(text);
    assert_int_equal(web(p)->isolation, ok[i].iso);
    compose_free(p);
  }
  ct_fail_text(
      SVC "    isolation: hyper-v\n",
      "compose.yml: services.web.isolation: invalid isolation (hyper-v): wctr supports 'default', 'process', "
      "'hyperv', or 'job'");
  ct_fail_text(SVC "    isolation: 1\n", "compose.yml: services.web.isolation: must be a string, not a number");
  ct_reset();
}

static void test_credential_spec(void **state) {
  (void)state;
  ct_reset();
  compose_project *p =
      ct_load_text(SVC "    credential_spec:\n      file: webapp01.json\n      x-note: ignored\n");
  assert_true(web(p)->has_credspec);
  assert_int_equal(web(p)->credspec.kind, GMSA_SOURCE_FILE);
  assert_string_equal(web(p)->credspec.value, "webapp01.json");
  compose_free(p);

  p = ct_load_text(SVC "    credential_spec: {file: specs/./a/../webapp01.json}\n");
  assert_string_equal(web(p)->credspec.value, "specs\\webapp01.json");
  compose_free(p);

  p = ct_load_text(SVC "    credential_spec: {registry: webapp01}\n");
  assert_int_equal(web(p)->credspec.kind, GMSA_SOURCE_REGISTRY);
  assert_string_equal(web(p)->credspec.value, "webapp01");
  compose_free(p);

  p = ct_load_text(SVC
                   "    credential_spec: {config: my_credspec}\nconfigs:\n  my_credspec: {file: ./spec.json}\n");
  assert_int_equal(web(p)->credspec.kind, GMSA_SOURCE_CONFIG);
  assert_string_equal(web(p)->credspec.value, "my_credspec");
  compose_free(p);

  ct_fail_text(
      SVC "    credential_spec: {file: a.json, registry: b}\n",
      "compose.yml: services.web.credential_spec: cannot specify both \"file\" and \"registry\" credential specs");
  ct_fail_text(
      SVC "    credential_spec: {registry: b, config: c, file: a}\n",
      "compose.yml: services.web.credential_spec: cannot specify both \"config\", \"file\", and \"registry\" "
      "credential specs");
  ct_fail_text(
      SVC "    credential_spec: {x-only: 1}\n",
      "compose.yml: services.web.credential_spec: must either provide \"file\", \"registry\", or \"config\" for "
      "credential spec");
  ct_fail_text(SVC "    credential_spec: {raw: x}\n",
               "compose.yml: services.web.credential_spec: unknown key \"raw\"");
  ct_fail_text(SVC "    credential_spec: webapp01.json\n",
               "compose.yml: services.web.credential_spec: must be a mapping, not a string");
  ct_fail_text(
      SVC "    credential_spec: {file: C:\\specs\\a.json}\n",
      "compose.yml: services.web.credential_spec.file: invalid credential spec: file:// path cannot be absolute");
  ct_fail_text(
      SVC "    credential_spec: {file: ../a.json}\n",
      "compose.yml: services.web.credential_spec.file: invalid credential spec: file:// path must be under "
      "C:\\ProgramData\\wctr\\credentialspecs");
  ct_fail_text(
      SVC "    credential_spec: {file: \"\"}\n",
      "compose.yml: services.web.credential_spec.file: invalid credential spec: file:// value must not be empty");
  ct_fail_text(SVC "    credential_spec: {registry: 5}\n",
               "compose.yml: services.web.credential_spec.registry: must be a string, not a number");
  ct_fail_text(
      SVC "    credential_spec: {config: spec}\n",
      "compose.yml: services.web.credential_spec.config: service \"web\" refers to undefined config \"spec\" "
      "(credential spec)");
  ct_reset();
}

static void test_security_opt(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC "    security_opt: [\"credentialspec=file://webapp01.json\"]\n");
  assert_int_equal(web(p)->credspec.kind, GMSA_SOURCE_FILE);
  assert_string_equal(web(p)->credspec.value, "webapp01.json");
  compose_free(p);
  p = ct_load_text(SVC "    security_opt: [\"CredentialSpec=REGISTRY://webapp01\"]\n");
  assert_int_equal(web(p)->credspec.kind, GMSA_SOURCE_REGISTRY);
  compose_free(p);
  p = ct_load_text(SVC "    security_opt: ['credentialspec=raw://{\"CmsPlugins\":[\"ActiveDirectory\"]}']\n");
  assert_int_equal(web(p)->credspec.kind, GMSA_SOURCE_RAW);
  assert_string_equal(web(p)->credspec.value, "{\"CmsPlugins\":[\"ActiveDirectory\"]}");
  compose_free(p);
  p = ct_load_text(SVC "    security_opt: [\"credentialspec=config://spec\"]\nconfigs:\n  spec: {file: s.json}\n");
  assert_int_equal(web(p)->credspec.kind, GMSA_SOURCE_CONFIG);
  compose_free(p);

  ct_fail_text(
      SVC "    security_opt: [\"no-new-privileges\"]\n",
      "compose.yml: services.web.security_opt[0]: security option \"no-new-privileges\" is not supported by "
      "wctr (only credentialspec=...)");
  ct_fail_text(SVC "    security_opt: [\"credentialspec=webapp01.json\"]\n",
               "compose.yml: services.web.security_opt[0]: " GMSA_SOURCE_MSG_PREFIX);
  ct_fail_text(SVC "    security_opt: [\"credentialspec=config://nope\"]\n",
               "compose.yml: services.web.security_opt[0]: service \"web\" refers to undefined config \"nope\" "
               "(credential spec)");
  ct_fail_text(
      SVC "    security_opt: [\"credentialspec=file://a.json\", \"credentialspec=file://b.json\"]\n",
      "compose.yml: services.web.security_opt[1]: a second credential spec (credential_spec and security_opt "
      "credentialspec= are one setting; give it once)");
  ct_fail_text(
      SVC "    credential_spec: {file: a.json}\n    security_opt: [\"credentialspec=file://a.json\"]\n",
      "compose.yml: services.web.security_opt[0]: a second credential spec (credential_spec and security_opt "
      "credentialspec= are one setting; give it once)");
  /* A raw:// spec is never quoted in a message, not even when its interpolation fails. */
  ct_fail_text(SVC "    security_opt: ['credentialspec=raw://{\"PluginInput\":\"s3cret${\"}']\n",
               "compose.yml: services.web.security_opt[0]: invalid interpolation format in this value (it holds a "
               "raw:// credential spec) (write $$ for a literal $)");
  ct_fail_text(SVC "    security_opt: credentialspec=file://a.json\n",
               "compose.yml: services.web.security_opt: must be a list, not a string");
  ct_reset();
}

/* Every field of spec's table with a compose key is that key of a service, in the table's unit, and reaches
 * the service's spec and the create params written from it (spec_to_json) under its wire name; the I/O
 * limits have no compose key and stay unset. */
static void test_every_resource_key(void **state) {
  (void)state;
  ct_reset();
  size_t keys = 0;
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    if (f->compose == NULL) continue;
    keys++;
    const char *value = f->unit == SPEC_UNIT_BYTES ? "64m" : f->unit == SPEC_UNIT_NANO_CPUS ? "0.5" : "7";
    int64_t want = f->unit == SPEC_UNIT_BYTES ? 64 * 1048576 : f->unit == SPEC_UNIT_NANO_CPUS ? 500000000 : 7;
    char text[160];
    snprintf(text, sizeof text, SVC "    isolation: process\n    %s: %s\n", f->compose, value);
    compose_project *p = ct_load_text(text);
    for (size_t k = 0; k < spec_resource_field_count; k++) {
      int64_t got = spec_resource_get(&web(p)->resources, &spec_resource_fields[k]);
      if (got != (k == i ? want : 0)) fail_msg("%s: %s is %lld", f->compose, spec_resource_fields[k].wire, (long long)got);
    }
    spec_container spec;
    wctr_errmsg e;
    assert_int_equal(compose_service_to_spec(p, web(p), NULL, NULL, &spec, &e), WCTR_OK);
    if (spec_resource_get(&spec.resources, f) != want) fail_msg("%s: the spec's %s is wrong", f->compose, f->wire);
    cJSON *config = cJSON_CreateObject();
    cJSON *hc = cJSON_CreateObject();
    assert_true(spec_to_json(&spec, config, hc, true));
    const cJSON *v = cJSON_GetObjectItem(hc, f->wire);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)want) fail_msg("%s: HostConfig.%s wrong", f->compose, f->wire);
    cJSON_Delete(config);
    cJSON_Delete(hc);
    spec_free(&spec);
    compose_free(p);
  }
  assert_int_equal(keys, 6); /* mem_limit, cpus, cpu_count, cpu_percent, cpu_shares, pids_limit */
  ct_reset();
}

static void test_memory_and_cpus(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC "    mem_limit: 1.5g\n    cpus: 0.5\n    isolation: hyperv\n");
  const spec_resources *r = &web(p)->resources;
  assert_int_equal(r->memory_bytes, 1610612736);
  assert_int_equal(r->nano_cpus, 500000000);
  compose_free(p);

  p = ct_load_text(SVC "    mem_limit: 1073741824\n    cpus: \"2\"\n");
  assert_int_equal(web(p)->resources.memory_bytes, 1073741824);
  assert_int_equal(web(p)->resources.nano_cpus, 2000000000);
  compose_free(p);

  p = ct_load_text(SVC "    deploy:\n      resources:\n        limits: {cpus: '0.25', memory: 512M, pids: 0}\n");
  assert_int_equal(web(p)->resources.memory_bytes, 512 * 1048576);
  assert_int_equal(web(p)->resources.nano_cpus, 250000000);
  compose_free(p);

  /* The same value twice is fine; different values are compose's error. */
  p = ct_load_text(
      SVC "    cpus: 1\n    mem_limit: 1g\n    deploy: {resources: {limits: {cpus: 1.0, memory: 1024m}}}\n");
  assert_int_equal(web(p)->resources.nano_cpus, 1000000000);
  compose_free(p);
  ct_fail_text(
      SVC "    cpus: 1\n    deploy: {resources: {limits: {cpus: 2}}}\n",
      "compose.yml: services.web: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'");
  ct_fail_text(
      SVC "    mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}\n",
      "compose.yml: services.web: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory'");
  ct_fail_text(
      SVC "    isolation: job\n    pids_limit: 10\n    deploy: {resources: {limits: {pids: 20}}}\n",
      "compose.yml: services.web: can't set distinct values on 'pids_limit' and 'deploy.resources.limits.pids'");

  ct_fail_text(SVC "    mem_limit: 5x\n",
               "compose.yml: services.web.mem_limit: invalid value \"5x\" for mem_limit: invalid suffix 'x'");
  ct_fail_text(SVC "    mem_limit: -1\n", "compose.yml: services.web.mem_limit: a size cannot be negative");
  ct_fail_text(
      SVC "    mem_limit: 1.5\n",
      "compose.yml: services.web.mem_limit: must be a size like \"512m\" or a whole number of bytes, not 1.5");
  ct_fail_text(
      SVC "    deploy: {resources: {limits: {memory: 1024}}}\n",
      "compose.yml: services.web.deploy.resources.limits.memory: must be a size like \"512m\", not a number");
  ct_fail_text(SVC "    deploy: {resources: {limits: {memory: 2x}}}\n",
               "compose.yml: services.web.deploy.resources.limits.memory: invalid value \"2x\" for "
               "deploy.resources.limits.memory: invalid suffix 'x'");
  ct_fail_text(SVC "    cpus: 1e-1\n",
               "compose.yml: services.web.cpus: invalid value \"1e-1\": not a decimal number");
  ct_fail_text(SVC "    cpus: -1\n",
               "compose.yml: services.web.cpus: invalid value \"-1\": the number of CPUs cannot be negative");
  ct_fail_text(SVC "    cpus: 0.0000000001\n",
               "compose.yml: services.web.cpus: invalid value \"0.0000000001\": value is too precise");
  ct_fail_text(SVC "    cpus: [1]\n", "compose.yml: services.web.cpus: must be a number or a string, not a list");
  ct_reset();
}

static void test_cpu_counts(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC
                                        "    isolation: hyperv\n    cpu_count: 2\n    cpu_percent: \"50\"\n"
                                        "    cpu_shares: 0x400\n");
  const spec_resources *r = &web(p)->resources;
  assert_int_equal(r->cpu_count, 2);
  assert_int_equal(r->cpu_percent, 50);
  assert_int_equal(r->cpu_shares, 1024);
  assert_int_equal(ct_warnings()->count, 0);
  compose_free(p);

  /* Process isolation: Docker's precedence, as warnings; the model keeps what was asked for. */
  p = ct_load_text(SVC "    isolation: process\n    cpu_count: 2\n    cpu_shares: 100\n");
  assert_int_equal(web(p)->resources.cpu_shares, 100);
  assert_true(
      ct_warned("services.web: Conflicting options: CPU count takes priority over CPU shares on Windows "
                "Server Containers. CPU shares discarded"));
  compose_free(p);
  /* With isolation "default" the host decides, so the same warning is not given. */
  ct_reset();
  p = ct_load_text(SVC "    cpu_count: 2\n    cpu_shares: 100\n");
  assert_int_equal(ct_warnings()->count, 0);
  compose_free(p);

  ct_fail_text(SVC "    cpu_percent: 150\n",
               "compose.yml: services.web.cpu_percent: must be between 0 and 100, not 150");
  ct_fail_text(SVC "    cpu_percent: -1\n",
               "compose.yml: services.web.cpu_percent: must be between 0 and 100, not -1");
  ct_fail_text(SVC "    cpu_percent: 12.5\n",
               "compose.yml: services.web.cpu_percent: must be a whole number, not 12.5");
  ct_fail_text(SVC "    cpu_count: -2\n", "compose.yml: services.web.cpu_count: must be at least 0, not -2");
  ct_fail_text(SVC "    cpu_count: two\n", "compose.yml: services.web.cpu_count: invalid whole number \"two\"");
  ct_fail_text(SVC "    cpu_shares: 99999999999999999999\n",
               "compose.yml: services.web.cpu_shares: must be a whole number, not 99999999999999999999");
  ct_fail_text(SVC "    cpu_shares: 0xffffffffffffffff\n",
               "compose.yml: services.web.cpu_shares: 0xffffffffffffffff is too large");
  ct_fail_text(SVC "    cpu_shares: 20000\n", "compose.yml: services.web: range of CPUShares is from 1 to 10000");
  ct_fail_text(SVC "    cpus: 1\n    cpu_percent: 50\n",
               "compose.yml: services.web: conflicting options: Nano CPUs and CPU Percent cannot both be set");
  ct_reset();
}

static void test_pids_and_memory_minimums(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC "    isolation: job\n    pids_limit: -1\n    mem_limit: 16m\n");
  assert_int_equal(web(p)->resources.pids_limit, -1);
  compose_free(p);
  p = ct_load_text(SVC "    isolation: job\n    deploy: {resources: {limits: {pids: \"100\"}}}\n");
  assert_int_equal(web(p)->resources.pids_limit, 100);
  compose_free(p);
  ct_fail_text(SVC "    isolation: hyperv\n    pids_limit: 100\n",
               "compose.yml: services.web: invalid option: --pids-limit is not supported with Hyper-V isolation (the "
               "processes run in the utility VM); use --isolation=process or job");
  ct_fail_text(SVC "    isolation: hyperv\n    mem_limit: 100m\n",
               "compose.yml: services.web: --memory 100MiB is below the minimum of 130MiB for hyperv isolation");
  /* "default" is checked as process isolation, the smallest floor. */
  ct_fail_text(SVC "    mem_limit: 20m\n",
               "compose.yml: services.web: --memory 20MiB is below the minimum of 40MiB for process isolation");
  p = ct_load_text(SVC "    mem_limit: 40m\n");
  compose_free(p);
  ct_fail_text(SVC "    pids_limit: 1.5\n",
               "compose.yml: services.web.pids_limit: must be a whole number, not 1.5");
  ct_reset();
}

static void test_deploy_keys(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC "    deploy: null\n");
  compose_free(p);
  p = ct_load_text(
      SVC
      "    deploy:\n      x-a: 1\n      resources:\n        x-b: 2\n        limits:\n          x-c: 3\n"
      "          cpus: 1\n");
  assert_int_equal(web(p)->resources.nano_cpus, 1000000000);
  compose_free(p);
  /* replicas is kept for generators (the Kubernetes one); `up` refuses other counts than 1 (test_spec). */
  p = ct_load_text(SVC "    deploy: {replicas: 3}\n");
  assert_true(web(p)->replicas_set);
  assert_int_equal(web(p)->replicas, 3);
  compose_free(p);
  p = ct_load_text(SVC "    deploy: {resources: {limits: {cpus: 1}}}\n");
  assert_false(web(p)->replicas_set);
  compose_free(p);
  ct_fail_text(SVC "    deploy: {replicas: -1}\n",
               "compose.yml: services.web.deploy.replicas: must be between 0 and 2147483647, not -1");
  ct_fail_text(SVC "    deploy: {replicas: 2147483648}\n",
               "compose.yml: services.web.deploy.replicas: must be between 0 and 2147483647, not 2147483648");
  ct_fail_text(SVC "    deploy: {replicas: two}\n",
               "compose.yml: services.web.deploy.replicas: invalid whole number \"two\"");
  ct_fail_text(SVC "    deploy: {restart_policy: {condition: any}}\n",
               "compose.yml: services.web.deploy.restart_policy: \"restart_policy\" is not supported by wctr");
  ct_fail_text(
      SVC "    deploy: {resources: {reservations: {cpus: 1}}}\n",
      "compose.yml: services.web.deploy.resources.reservations: \"reservations\" is not supported by wctr");
  ct_fail_text(SVC "    deploy: {resources: {limits: {devices: []}}}\n",
               "compose.yml: services.web.deploy.resources.limits: unknown key \"devices\"");
  ct_fail_text(SVC "    deploy: {replica: 2}\n", "compose.yml: services.web.deploy: unknown key \"replica\"");
  ct_fail_text(SVC "    deploy: []\n", "compose.yml: services.web.deploy: must be a mapping, not a list");
  ct_fail_text(SVC "    deploy: {resources: {limits: {pids: 1.5}}}\n",
               "compose.yml: services.web.deploy.resources.limits.pids: must be a whole number, not 1.5");
  ct_reset();
}

static void test_secrets_and_configs(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC
                                        "    secrets:\n      - db_password\n      - source: api_key\n"
                                        "        target: api.txt\n        x-why: rotated\n"
                                        "    configs: [app_config, {source: app_config, target: other.json}]\n"
                                        "secrets:\n  db_password: {file: ./secrets/db.txt}\n"
                                        "  api_key: {file: C:\\keys\\api.txt, x-owner: ops}\n"
                                        "configs:\n  app_config:\n    file: config/app.json\n");
  const compose_service *s = web(p);
  assert_int_equal(s->secret_count, 2);
  assert_string_equal(s->secrets[0].source, "db_password");
  assert_string_equal(s->secrets[0].target, "db_password");
  assert_string_equal(s->secrets[1].source, "api_key");
  assert_string_equal(s->secrets[1].target, "api.txt");
  assert_int_equal(s->config_count, 2);
  assert_string_equal(s->configs[1].target, "other.json");
  /* Top level: sorted by name, paths absolute, contents never read. */
  assert_int_equal(p->secret_count, 2);
  assert_string_equal(p->secrets[0].name, "api_key");
  assert_string_equal(p->secrets[0].file, "C:\\keys\\api.txt");
  assert_string_equal(p->secrets[1].name, "db_password");
  assert_string_equal(p->secrets[1].file, "C:\\proj\\secrets\\db.txt");
  assert_int_equal(ct_reads("C:\\proj\\secrets\\db.txt"), 0);
  assert_int_equal(p->config_count, 1);
  assert_string_equal(p->configs[0].file, "C:\\proj\\config\\app.json");
  compose_free(p);

  ct_fail_text(SVC "    secrets: [nope]\n",
               "compose.yml: services.web.secrets[0]: service \"web\" refers to undefined secret nope");
  ct_fail_text(SVC "    configs: [nope]\n",
               "compose.yml: services.web.configs[0]: service \"web\" refers to undefined config nope");
  ct_fail_text(SVC "    secrets: [{source: s, mode: 0400}]\nsecrets: {s: {file: s.txt}}\n",
               "compose.yml: services.web.secrets[0].mode: \"mode\" is not supported on Windows (secret files are "
               "protected by an ACL, not by an owner and a mode)");
  ct_fail_text(SVC "    configs: [{source: s, uid: \"1000\"}]\nconfigs: {s: {file: s.txt}}\n",
               "compose.yml: services.web.configs[0].uid: \"uid\" is not supported on Windows (config files are "
               "protected by an ACL, not by an owner and a mode)");
  ct_fail_text(SVC "    secrets: [{target: t}]\n", "compose.yml: services.web.secrets[0]: \"source\" is required");
  ct_fail_text(
      SVC "    secrets: [{source: s, target: C:\\run\\s}]\nsecrets: {s: {file: s.txt}}\n",
      "compose.yml: services.web.secrets[0].target: target \"C:\\\\run\\\\s\" must be a file name: Windows "
      "containers get their secrets in one folder (no '/', '\\' or ':')");
  ct_fail_text(
      SVC "    secrets: [{source: s, target: \"..\"}]\nsecrets: {s: {file: s.txt}}\n",
      "compose.yml: services.web.secrets[0].target: target \"..\" must be a file name: Windows containers "
      "get their secrets in one folder (no '/', '\\' or ':')");
  ct_fail_text(SVC "    secrets: [{source: s, name: x}]\n",
               "compose.yml: services.web.secrets[0]: unknown key \"name\"");
  ct_fail_text(
      SVC "    secrets: [5]\n",
      "compose.yml: services.web.secrets[0]: must be a secret name or a mapping with source and target, not a "
      "number");
  ct_fail_text(SVC "    secrets: s\n", "compose.yml: services.web.secrets: must be a list, not a string");
  /* Targets share one folder and Windows ignores case in file names. */
  ct_fail_text(SVC "    secrets: [a, {source: b, target: A}]\nsecrets: {a: {file: a}, b: {file: b}}\n",
               "compose.yml: services.web.secrets[1]: target \"A\" is already used by services.web.secrets[0]");
  ct_fail_text(SVC "    configs: [c, c]\nconfigs: {c: {file: c}}\n",
               "compose.yml: services.web.configs[1]: target \"c\" is already used by services.web.configs[0]");
  ct_fail_text(SVC "    secrets: [\"\"]\n", "compose.yml: services.web.secrets[0]: the secret name is empty");
  ct_fail_text(SVC "    secrets: [\"a:b\"]\n",
               "compose.yml: services.web.secrets[0]: secret name \"a:b\" cannot be a file name; give a target");

  /* Top-level definitions. */
  ct_fail_text("secrets:\n  s: {external: true}\n",
               "compose.yml: secrets.s.external: \"external\" is not supported by wctr");
  ct_fail_text("secrets:\n  s: {environment: PW}\n",
               "compose.yml: secrets.s.environment: \"environment\" is not supported by wctr");
  ct_fail_text("configs:\n  c: {content: hello}\n",
               "compose.yml: configs.c.content: \"content\" is not supported by wctr");
  ct_fail_text("secrets:\n  s: {}\n", "compose.yml: secrets.s: \"file\" is required");
  ct_fail_text("secrets:\n  s: {file: 1}\n", "compose.yml: secrets.s.file: must be a string, not a number");
  ct_fail_text("secrets:\n  s: {flie: x}\n", "compose.yml: secrets.s: unknown key \"flie\"");
  ct_fail_text("secrets:\n  \"bad name\": {file: x}\n",
               "compose.yml: secrets: invalid secret name \"bad name\": use letters, digits, '.', '_' and '-'");
  ct_fail_text("configs: []\n", "compose.yml: configs: must be a mapping, not a list");
  ct_reset();
}


/* Named volumes: top-level definitions, project-scoped names as docker compose gives them,
 * external ones, anonymous ones, and the binds a service's spec gets. */
static void test_named_volumes(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("name: shop\n"
                                    "services:\n"
                                    "  web:\n"
                                    "    image: app\n"
                                    "    volumes:\n"
                                    "      - data:C:\\data\n"
                                    "      - {type: volume, source: cache, target: C:\\cache, read_only: true}\n"
                                    "      - {type: volume, target: C:\\tmp}\n"
                                    "      - C:\\anon\n"
                                    "      - shared:C:\\shared:ro\n"
                                    "volumes:\n"
                                    "  data:\n"
                                    "  cache: {driver: local, labels: {tier: hot}}\n"
                                    "  shared: {external: true}\n");
  assert_int_equal(p->volume_count, 3);
  const compose_volume *v = compose_find_volume(p, "data");
  assert_non_null(v);
  assert_string_equal(v->name, "shop_data");
  assert_false(v->external);
  v = compose_find_volume(p, "cache");
  assert_string_equal(v->name, "shop_cache");
  assert_int_equal(v->label_count, 1);
  assert_string_equal(v->labels[0], "tier=hot");
  v = compose_find_volume(p, "shared");
  assert_string_equal(v->name, "shared");
  assert_true(v->external);
  assert_null(compose_find_volume(p, "nope"));
  const compose_service *s = web(p);
  assert_int_equal(s->volume_count, 5);
  assert_true(s->volumes[0].volume);
  assert_string_equal(s->volumes[0].source, "data");
  assert_true(s->volumes[2].volume);
  assert_null(s->volumes[2].source);
  assert_true(s->volumes[3].volume);
  assert_null(s->volumes[3].source);
  spec_container spec;
  wctr_errmsg e;
  assert_int_equal(compose_service_to_spec(p, s, NULL, NULL, &spec, &e), WCTR_OK);
  assert_int_equal(spec.bind_count, 5);
  assert_string_equal(spec.binds[0], "shop_data:C:\\data");
  assert_string_equal(spec.binds[1], "shop_cache:C:\\cache:ro");
  assert_string_equal(spec.binds[2], "C:\\tmp");
  assert_string_equal(spec.binds[3], "C:\\anon");
  assert_string_equal(spec.binds[4], "shared:C:\\shared:ro");
  spec_free(&spec);
  compose_free(p);
  /* name: replaces the scoped name. */
  p = ct_load_text("services: {web: {image: app, volumes: [\"d:C:\\\\d\"]}}\nvolumes: {d: {name: exact-name}}\n");
  assert_string_equal(compose_find_volume(p, "d")->name, "exact-name");
  compose_free(p);
  ct_fail_text("services: {}\nvolumes: {\"bad name\": {}}\n",
               "compose.yml: volumes: invalid volume name \"bad name\": use letters, digits, '.', '_' and '-'");
  ct_fail_text("services: {}\nvolumes: {d: {colour: red}}\n", "compose.yml: volumes.d: unknown key \"colour\"");
}


/* container_name replaces <project>-<service>-1; init: false is what wctr does anyway. */
static void test_container_name_and_init(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("name: shop\nservices:\n  web: {image: app, container_name: my-web, init: false}\n"
                                    "  db: {image: app}\n");
  assert_string_equal(ct_service(p, "web")->container_name, "my-web");
  assert_string_equal(ct_service(p, "db")->container_name, "shop-db-1");
  compose_free(p);
  ct_fail_text("name: shop\nservices:\n  web: {image: app, container_name: shop-db-1}\n  db: {image: app}\n",
               "services.web.container_name: the name \"shop-db-1\" is already used by service db");
}

static void test_volumes_short(void **state) {
  (void)state;
  ct_reset();
  ct_env("USERPROFILE", "C:\\Users\\dev");
  compose_project *p = ct_load_text(SVC
                                        "    volumes:\n"
                                        "      - C:\\data:C:\\data:ro\n"
                                        "      - ./logs:C:\\app\\logs\n"
                                        "      - ..\\shared:D:\\shared:rw\n"
                                        "      - c:/cfg:c:/cfg:ro,rw\n"
                                        "      - ~/cache:C:\\cache\n"
                                        "      - \\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine\n");
  const compose_service *s = web(p);
  assert_int_equal(s->volume_count, 6);
  assert_string_equal(s->volumes[0].source, "C:\\data");
  assert_string_equal(s->volumes[0].target, "C:\\data");
  assert_true(s->volumes[0].read_only);
  assert_string_equal(s->volumes[1].source, "C:\\proj\\logs");
  assert_string_equal(s->volumes[1].target, "C:\\app\\logs");
  assert_false(s->volumes[1].read_only);
  assert_string_equal(s->volumes[2].source, "C:\\shared");
  assert_string_equal(s->volumes[2].target, "D:\\shared");
  assert_false(s->volumes[2].read_only);
  assert_string_equal(s->volumes[3].source, "c:/cfg");
  assert_string_equal(s->volumes[3].target, "c:/cfg");
  assert_false(s->volumes[3].read_only); /* the last of ro,rw wins */
  assert_string_equal(s->volumes[4].source, "C:\\Users\\dev\\cache");
  assert_string_equal(s->volumes[5].source, "\\\\.\\pipe\\docker_engine");
  assert_string_equal(s->volumes[5].target, "\\\\.\\pipe\\docker_engine");
  compose_free(p);

  ct_fail_text(SVC "    volumes: [\"data:C:\\\\data\"]\n",
               "compose.yml: services.web.volumes[0]: refers to undefined volume data: invalid compose project");
  ct_fail_text(
      SVC "    volumes: [\"C:\\\\data:C:\\\\data:z\"]\n",
      "compose.yml: services.web.volumes[0]: volume option \"z\" is not supported by wctr (only ro and rw)");
  ct_fail_text(
      SVC "    volumes: [\"C:\\\\a:C:\\\\b:ro:x\"]\n",
      "compose.yml: services.web.volumes[0]: invalid volume spec \"C:\\\\a:C:\\\\b:ro:x\": too many colons");
  ct_fail_text(
      SVC "    volumes: [\"C:\\\\a::ro\"]\n",
      "compose.yml: services.web.volumes[0]: invalid volume spec \"C:\\\\a::ro\": empty section between colons");
  ct_fail_text(SVC "    volumes: [\"\"]\n", "compose.yml: services.web.volumes[0]: invalid empty volume spec");
  ct_fail_text(SVC "    volumes: [\"./a:data\"]\n",
               "compose.yml: services.web.volumes[0]: target \"data\" must be an absolute path in the container");
  ct_fail_text(SVC "    volumes: [\"./a:C:\\\\x\", \"./b:C:\\\\x:ro\"]\n",
               "compose.yml: services.web.volumes[1]: target C:\\x already mounted as services.web.volumes[0]");
  ct_fail_text(
      SVC "    volumes: [\"~bob/x:C:\\\\x\"]\n",
      "compose.yml: services.web.volumes[0]: \"~bob/x\": only ~ (your own profile folder) is understood, not "
      "~user");
  ct_env("USERPROFILE", NULL);
  ct_fail_text(SVC "    volumes: [\"~/x:C:\\\\x\"]\n",
               "compose.yml: services.web.volumes[0]: cannot expand ~: neither USERPROFILE nor HOME is set");
  ct_env("HOME", "/home/dev");
  p = ct_load_text(SVC "    volumes: [\"~:C:\\\\home\"]\n");
  assert_string_equal(web(p)->volumes[0].source, "/home/dev");
  compose_free(p);
  ct_fail_text(SVC "    volumes: [1]\n",
               "compose.yml: services.web.volumes[0]: must be a string or a mapping, not a number");
  ct_fail_text(SVC "    volumes: {a: b}\n", "compose.yml: services.web.volumes: must be a list, not a mapping");
  ct_reset();
}

static void test_volumes_long(void **state) {
  (void)state;
  ct_reset();
  compose_project *p =
      ct_load_text(SVC
                   "    volumes:\n"
                   "      - type: bind\n        source: .\\site\n        target: C:\\inetpub\\wwwroot\n"
                   "        read_only: true\n        x-note: 1\n"
                   "      - {type: bind, source: D:\\logs, target: C:\\logs, read_only: \"False\"}\n"
                   "      - {type: bind, source: D:\\ro, target: C:\\ro, read_only: yes}\n");
  const compose_service *s = web(p);
  assert_int_equal(s->volume_count, 3);
  assert_string_equal(s->volumes[0].source, "C:\\proj\\site");
  assert_true(s->volumes[0].read_only);
  assert_false(s->volumes[1].read_only);
  assert_true(s->volumes[2].read_only);
  /* "yes" is a string in YAML 1.2; compose reads it as true with this warning. */
  assert_true(ct_warned("\"yes\" for boolean is not supported by YAML 1.2, please use `true`"));
  compose_free(p);

  ct_fail_text(SVC "    volumes: [{type: tmpfs, target: C:\\data}]\n",
               "compose.yml: services.web.volumes[0].type: \"tmpfs\" mounts are not supported by wctr (bind, volume "
               "and npipe are)");
  ct_fail_text(SVC "    volumes: [{type: volume, source: data, target: C:\\data}]\n",
               "compose.yml: services.web.volumes[0]: refers to undefined volume data: invalid compose project");
  /* Named pipes: the long form (type npipe), Docker's spellings of a pipe, and a short form or a bind of
   * pipes; a pipe is never resolved against the project folder, and renders as npipe. */
  p = ct_load_text(SVC
                   "    volumes:\n"
                   "      - type: npipe\n        source: \\\\.\\pipe\\docker_engine\n"
                   "        target: \\\\.\\pipe\\docker_engine\n"
                   "      - {type: npipe, source: //./pipe/a, target: \\\\.\\PIPE\\a, x-n: 1}\n"
                   "      - //./pipe/b://./pipe/b\n"
                   "      - {type: bind, source: \\\\.\\pipe\\c, target: \\\\.\\pipe\\c}\n"
                   "      - {type: npipe, source: \\\\.\\pipe\\d, target: \\\\.\\pipe\\d, read_only: true}\n"
                   "      - ./e:C:\\e\n");
  s = web(p);
  assert_int_equal(s->volume_count, 6);
  static const char *const pipes[][2] = {{"\\\\.\\pipe\\docker_engine", "\\\\.\\pipe\\docker_engine"},
                                         {"//./pipe/a", "\\\\.\\PIPE\\a"},
                                         {"//./pipe/b", "//./pipe/b"},
                                         {"\\\\.\\pipe\\c", "\\\\.\\pipe\\c"},
                                         {"\\\\.\\pipe\\d", "\\\\.\\pipe\\d"}};
  for (size_t i = 0; i < 5; i++) {
    assert_true(s->volumes[i].pipe);
    assert_string_equal(s->volumes[i].source, pipes[i][0]);
    assert_string_equal(s->volumes[i].target, pipes[i][1]);
    assert_int_equal(s->volumes[i].read_only, i == 4);
  }
  assert_false(s->volumes[5].pipe);
  assert_string_equal(s->volumes[5].source, "C:\\proj\\e");
  compose_free(p);
  ct_fail_text(SVC "    volumes: [{type: npipe, source: a, target: b}]\n",
               "compose.yml: services.web.volumes[0].source: \"a\" is not a named pipe (an npipe mount maps "
               "\\\\.\\pipe\\NAME or //./pipe/NAME)");
  ct_fail_text(SVC "    volumes: [{type: npipe, source: \"\\\\\\\\.\\\\pipe\\\\x\", target: C:\\x}]\n",
               "compose.yml: services.web.volumes[0].target: \"C:\\\\x\" is not a named pipe (an npipe mount "
               "maps \\\\.\\pipe\\NAME or //./pipe/NAME)");
  ct_fail_text(SVC "    volumes: [{type: npipe, source: //./pipe/, target: //./pipe/x}]\n",
               "compose.yml: services.web.volumes[0].source: \"//./pipe/\" is not a named pipe (an npipe mount maps "
               "\\\\.\\pipe\\NAME or //./pipe/NAME)");
  /* A mount travels as SOURCE:TARGET[:MODE]: a ':' inside a long-form path would cut it (this target would
   * have made the mount read-only). */
  ct_fail_text(SVC "    volumes: [{type: bind, source: D:\\x, target: \"C:\\\\t:ro\"}]\n",
               "compose.yml: services.web.volumes[0].target: \"C:\\\\t:ro\" cannot hold a ':' other than a drive "
               "letter's (a mount is passed as SOURCE:TARGET)");
  ct_fail_text(SVC "    volumes: [{type: npipe, source: \"//./pipe/a:b\", target: //./pipe/x}]\n",
               "compose.yml: services.web.volumes[0].source: \"//./pipe/a:b\" cannot hold a ':' other than a drive "
               "letter's (a mount is passed as SOURCE:TARGET)");
  ct_fail_text(SVC "    volumes: [{type: npipe, target: //./pipe/x}]\n",
               "compose.yml: services.web.volumes[0]: \"source\" is required for an npipe mount");
  ct_fail_text(SVC "    volumes: [{type: nfs, source: a, target: b}]\n",
               "compose.yml: services.web.volumes[0].type: invalid mount type \"nfs\"");
  ct_fail_text(SVC "    volumes: [{source: ./a, target: C:\\a}]\n",
               "compose.yml: services.web.volumes[0]: \"type\" is required");
  ct_fail_text(SVC "    volumes: [{type: bind, target: C:\\a}]\n",
               "compose.yml: services.web.volumes[0]: \"source\" is required for a bind mount");
  ct_fail_text(SVC "    volumes: [{type: bind, source: ./a}]\n",
               "compose.yml: services.web.volumes[0]: \"target\" is required");
  ct_fail_text(SVC "    volumes: [{type: bind, source: \"\", target: C:\\a}]\n",
               "compose.yml: services.web.volumes[0]: the source is empty");
  ct_fail_text(SVC "    volumes: [{type: bind, source: ./a, target: C:\\a, bind: {propagation: rshared}}]\n",
               "compose.yml: services.web.volumes[0].bind: \"bind\" is not supported by wctr");
  ct_fail_text(SVC "    volumes: [{type: bind, source: ./a, target: C:\\a, consistency: cached}]\n",
               "compose.yml: services.web.volumes[0].consistency: \"consistency\" is not supported by wctr");
  ct_fail_text(SVC "    volumes: [{type: bind, source: ./a, target: C:\\a, read_only: maybe}]\n",
               "compose.yml: services.web.volumes[0].read_only: invalid boolean \"maybe\"");
  ct_fail_text(SVC "    volumes: [{type: bind, source: ./a, target: C:\\a, read_only: 1}]\n",
               "compose.yml: services.web.volumes[0].read_only: must be a boolean, not a number");
  ct_fail_text(SVC "    volumes: [{type: bind, source: ./a, target: C:\\a, readonly: true}]\n",
               "compose.yml: services.web.volumes[0]: unknown key \"readonly\"");
  ct_reset();
}

/* healthcheck: compose's keys as Docker's HealthConfig; config shows it and reads it back. */
static void test_healthcheck(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(SVC "    healthcheck:\n      test: curl -f http://localhost/\n      interval: 1m30s\n"
                                    "      timeout: 10s\n      retries: 4\n      start_period: 500ms\n");
  const compose_service *s = web(p);
  assert_true(s->healthcheck_set);
  assert_int_equal(s->health_test_count, 2);
  assert_string_equal(s->health_test[0], "CMD-SHELL");
  assert_string_equal(s->health_test[1], "curl -f http://localhost/");
  assert_true(s->health_interval_ns == 90000000000LL);
  assert_true(s->health_timeout_ns == 10000000000LL);
  assert_true(s->health_start_period_ns == 500000000LL);
  assert_int_equal(s->health_retries, 4);
  char *text = NULL;
  wctr_errmsg e;
  assert_int_equal(compose_render(p, false, &text, &e), WCTR_OK);
  assert_non_null(strstr(text, "    healthcheck:\n      test:\n      - CMD-SHELL\n      - curl -f http://localhost/\n"
                               "      timeout: 10s\n      interval: 1m30s\n      start_period: 500ms\n      retries: 4\n"));
  compose_free(p);
  ct_reset();
  p = ct_load_text(text);
  free(text);
  s = web(p);
  assert_int_equal(s->health_test_count, 2);
  assert_true(s->health_interval_ns == 90000000000LL);
  compose_free(p);
  /* The list form, and disable. */
  ct_reset();
  p = ct_load_text(SVC "    healthcheck: {test: [CMD, ping, -n, \"1\", localhost]}\n");
  assert_int_equal(web(p)->health_test_count, 5);
  assert_string_equal(web(p)->health_test[0], "CMD");
  compose_free(p);
  ct_reset();
  p = ct_load_text(SVC "    healthcheck: {disable: true}\n");
  assert_int_equal(web(p)->health_test_count, 1);
  assert_string_equal(web(p)->health_test[0], "NONE");
  compose_free(p);
  ct_fail_text(SVC "    healthcheck: {test: [CMD, x], disable: true}\n",
               "compose.yml: services.web.healthcheck: test and disable can't be set at the same time");
  ct_fail_text(SVC "    healthcheck: {test: [CURL, x]}\n",
               "compose.yml: services.web.healthcheck.test: must be [\"NONE\"], [\"CMD\", args...] or "
               "[\"CMD-SHELL\", command], or a string");
  ct_fail_text(SVC "    healthcheck: {interval: 5}\n",
               "compose.yml: services.web.healthcheck.interval: must be a string, not a number");
  ct_fail_text(SVC "    healthcheck: {retries: -1}\n",
               "compose.yml: services.web.healthcheck.retries: must be between 0 and 2147483647, not -1");
  ct_fail_text(SVC "    healthcheck: {start_interval: 1s}\n",
               "compose.yml: services.web.healthcheck.start_interval: is not supported by wctr (its probes run every "
               "interval)");
  ct_fail_text(SVC "    healthcheck: {probe: 1}\n", "compose.yml: services.web.healthcheck: unknown key \"probe\"");
}

static void test_depends_on(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(
      "services:\n"
      "  web:\n    image: w\n    depends_on: [db, cache, db]\n"
      "  db: {image: d}\n"
      "  cache:\n    image: c\n    depends_on:\n      db:\n        condition: "
      "service_started\n        required: true\n        restart: false\n"
      "        x-why: 1\n");
  /* Start order: dependencies first, then by name. */
  assert_int_equal(p->service_count, 3);
  assert_string_equal(p->services[0].name, "db");
  assert_string_equal(p->services[1].name, "cache");
  assert_string_equal(p->services[2].name, "web");
  const compose_service *s = web(p);
  assert_int_equal(s->depends_on_count, 2);
  assert_string_equal(s->depends_on[0], "cache");
  assert_string_equal(s->depends_on[1], "db");
  compose_free(p);

  ct_fail_text(SVC "    depends_on: [db]\n",
               "compose.yml: services.web.depends_on[0]: service \"web\" depends on undefined service \"db\"");
  /* service_healthy: in depends_on and depends_on_healthy (up waits for healthy); config shows it */
  ct_reset();
  p = ct_load_text(SVC "    depends_on: {db: {condition: service_healthy}}\n"
                   "  db: {image: d, healthcheck: {test: [CMD, ping], interval: 5s}}\n");
  s = web(p);
  assert_int_equal(s->depends_on_healthy_count, 1);
  assert_string_equal(s->depends_on_healthy[0], "db");
  assert_int_equal(s->depends_on_completed_count, 0);
  {
    char *t = NULL;
    wctr_errmsg e2;
    assert_int_equal(compose_render(p, false, &t, &e2), WCTR_OK);
    assert_non_null(strstr(t, "db:\n        condition: service_healthy"));
    free(t);
  }
  compose_free(p);
  /* service_completed_successfully: in depends_on (the order) and in depends_on_completed (up waits) */
  ct_reset();
  p = ct_load_text("services:\n"
                   "  web:\n    image: w\n    depends_on:\n      migrate: {condition: service_completed_successfully}\n"
                   "      db: {condition: service_started}\n"
                   "  db: {image: d}\n  migrate: {image: m, depends_on: [db]}\n");
  s = web(p);
  assert_int_equal(s->depends_on_count, 2);
  assert_int_equal(s->depends_on_completed_count, 1);
  assert_string_equal(s->depends_on_completed[0], "migrate");
  assert_string_equal(p->services[2].name, "web");
  /* config shows the conditions (the map form), and reads back the same */
  char *text = NULL;
  wctr_errmsg e;
  assert_int_equal(compose_render(p, false, &text, &e), WCTR_OK);
  assert_non_null(strstr(text, "migrate:\n        condition: service_completed_successfully"));
  assert_non_null(strstr(text, "db:\n        condition: service_started"));
  compose_free(p);
  ct_reset();
  p = ct_load_text(text);
  free(text);
  s = web(p);
  assert_int_equal(s->depends_on_completed_count, 1);
  assert_string_equal(s->depends_on_completed[0], "migrate");
  compose_free(p);
  ct_fail_text(SVC "    depends_on: {db: {condition: service_done}}\n  db: {image: d}\n",
               "compose.yml: services.web.depends_on.db.condition: invalid condition \"service_done\"");
  ct_fail_text(SVC "    depends_on: {db: {required: false, condition: service_started}}\n  db: {image: d}\n",
               "compose.yml: services.web.depends_on.db.required: required: false is not supported by wctr");
  ct_fail_text(SVC "    depends_on: {db: {restart: true, condition: service_started}}\n  db: {image: d}\n",
               "compose.yml: services.web.depends_on.db.restart: restart: true is not supported by wctr");
  ct_fail_text(SVC "    depends_on: {db: {}}\n  db: {image: d}\n",
               "compose.yml: services.web.depends_on.db: \"condition\" is required");
  ct_fail_text(SVC "    depends_on: {db: {condition: service_started, wait: 1}}\n  db: {image: d}\n",
               "compose.yml: services.web.depends_on.db: unknown key \"wait\"");
  ct_fail_text(SVC "    depends_on: db\n",
               "compose.yml: services.web.depends_on: must be a list of service names or a mapping, not a string");
  ct_fail_text(SVC "    depends_on: [1]\n",
               "compose.yml: services.web.depends_on[0]: must be a string, not a number");
  ct_fail_text(
      "services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n"
      "  c: {image: x, depends_on: [a]}\n",
      "compose.yml: services.a.depends_on: dependency cycle detected: a -> b -> c -> a");
  ct_fail_text("services:\n  solo: {image: x, depends_on: [solo]}\n",
               "compose.yml: services.solo.depends_on: dependency cycle detected: solo -> solo");
  ct_reset();
}

static void test_stop_grace_period_and_restart(void **state) {
  (void)state;
  ct_reset();
  static const struct {
    const char *text;
    int64_t ns;
  } ok[] = {{"10s", 10000000000LL}, {"1m30s", 90000000000LL},  {"1.5h", 5400000000000LL}, {"250ms", 250000000LL},
            {"\"0\"", 0},           {"2h45m", 9900000000000LL}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, SVC "    stop_grace_period: %s\n", ok[i].text);
    compose_project *p = ct_load_text(text);
    assert_true(web(p)->stop_grace_period_set);
    assert_int_equal(web(p)->stop_grace_period_ns, ok[i].ns);
    compose_free(p);
  }
  ct_fail_text(SVC "    stop_grace_period: 10\n",
               "compose.yml: services.web.stop_grace_period: must be a string, not a number");
  ct_fail_text(SVC "    stop_grace_period: 10x\n",
               "compose.yml: services.web.stop_grace_period: invalid duration \"10x\": unknown unit \"x\"");
  ct_fail_text(SVC "    stop_grace_period: -5s\n",
               "compose.yml: services.web.stop_grace_period: invalid duration \"-5s\": cannot be negative");

  static const struct {
    const char *text;
    spec_restart_name policy;
    int64_t retries;
  } policies[] = {{"\"no\"", SPEC_RESTART_NO, 0},
                  {"no", SPEC_RESTART_NO, 0},
                  {"always", SPEC_RESTART_ALWAYS, 0},
                  {"unless-stopped", SPEC_RESTART_UNLESS_STOPPED, 0},
                  {"on-failure", SPEC_RESTART_ON_FAILURE, 0},
                  {"on-failure:5", SPEC_RESTART_ON_FAILURE, 5},
                  /* Docker reads an empty policy as "no"; docker-compose 1.29.2's config accepts it (checked). */
                  {"\"\"", SPEC_RESTART_NO, 0},
                  {"''", SPEC_RESTART_NO, 0}};
  for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
    char text[128];
    snprintf(text, sizeof text, SVC "    restart: %s\n", policies[i].text);
    compose_project *p = ct_load_text(text);
    assert_int_equal(web(p)->restart.name, policies[i].policy);
    assert_int_equal(web(p)->restart.max_retries, policies[i].retries);
    compose_free(p);
  }
  ct_fail_text(
      SVC "    restart: sometimes\n",
      "compose.yml: services.web.restart: invalid restart policy \"sometimes\": use no, always, on-failure, "
      "on-failure:N or unless-stopped");
  ct_fail_text(
      SVC "    restart: on-failure:-1\n",
      "compose.yml: services.web.restart: invalid restart policy \"on-failure:-1\": use no, always, on-failure, "
      "on-failure:N or unless-stopped");
  ct_fail_text(SVC "    restart: false\n", "compose.yml: services.web.restart: must be a string, not a boolean");
  /* "" over an earlier policy is "no", not "keep the earlier one" (a null would keep it). */
  ct_file(CT_DIR "\\a.yml", SVC "    restart: always\n");
  ct_file(CT_DIR "\\b.yml", SVC "    restart: \"\"\n");
  static const char *const files[] = {"a.yml", "b.yml"};
  compose_options o = ct_options(files, 2);
  compose_project *p = ct_load(&o);
  assert_int_equal(web(p)->restart.name, SPEC_RESTART_NO);
  compose_free(p);
  ct_reset();
}

static void test_env_file(void **state) {
  (void)state;
  ct_reset();
  ct_env("SHELL_ONLY", "from shell");
  ct_file("C:\\proj\\web.env",
          "# comment\nA=1\nexport B = two words  # note\nC='lit ${X}'\nD=\"q\\n${A}\"\nSHELL_ONLY\n");
  ct_file("C:\\proj\\conf\\more.env", "A=override\nE=\r\n");
  compose_project *p =
      ct_load_text(SVC "    env_file: [web.env, ./conf/more.env]\n    environment: {E: set}\n");
  const compose_service *s = web(p);
  const char *expected[] = {"A=override", "B=two words", "C=lit ${X}", "D=q\n1", "E=set", "SHELL_ONLY=from shell"};
  assert_int_equal(s->environment_count, 6);
  for (size_t i = 0; i < 6; i++) assert_string_equal(s->environment[i], expected[i]);
  compose_free(p);

  /* A string is one file; a null environment entry that is not set removes an env file's value. */
  p = ct_load_text(SVC "    env_file: web.env\n    environment: [A]\n");
  assert_int_equal(web(p)->environment_count, 4);
  assert_string_equal(web(p)->environment[0], "B=two words");
  compose_free(p);

  ct_file("C:\\proj\\compose.yml", SVC "    env_file: [missing.env]\n");
  const char *const one[] = {"compose.yml"};
  compose_options o = ct_options(one, 1);
  ct_fail(&o, WCTR_ENOENT, "compose.yml: services.web.env_file: env file C:\\proj\\missing.env not found");
  ct_file("C:\\proj\\bad.env", "GOOD=1\nBAD LINE=2\n");
  ct_fail_text(SVC "    env_file: bad.env\n", "C:\\proj\\bad.env:2: invalid variable name \"BAD LINE\"");
  ct_file("C:\\proj\\locked.env", "A=1\n");
  ct_file_error("C:\\proj\\locked.env", WCTR_EACCES);
  ct_file("C:\\proj\\compose.yml", SVC "    env_file: locked.env\n");
  ct_fail(&o, WCTR_EACCES, "C:\\proj\\locked.env: cannot read: the test refused to read it");
  ct_fail_text(
      SVC "    env_file: [{path: a.env, required: false}]\n",
      "compose.yml: services.web.env_file[0]: the long form of env_file ({path, required, format}) is not "
      "supported by wctr");
  ct_fail_text(SVC "    env_file: 3\n",
               "compose.yml: services.web.env_file: must be a path or a list of paths, not a number");
  ct_fail_text(SVC "    env_file: [\"\"]\n", "compose.yml: services.web.env_file[0]: the path is empty");
  ct_reset();
}

static void test_service_names(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n  My.Web_1-a: {image: x}\n");
  assert_string_equal(p->services[0].container_name, "proj-My.Web_1-a-1");
  compose_free(p);
  ct_fail_text("services:\n  \"web app\": {image: x}\n",
               "compose.yml: services: invalid service name \"web app\": use letters, digits, '.', '_' and '-'");
  ct_fail_text("services:\n  web:\n", "compose.yml: services.web: must be a mapping, not null");
  ct_fail_text("services:\n  web: nginx\n", "compose.yml: services.web: must be a mapping, not a string");
  ct_fail_text("services: [web]\n", "compose.yml: services: must be a mapping, not a list");
  ct_fail_text("name: 5\nservices: {}\n", "compose.yml: name: must be a string, not a number");
  ct_reset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_image_and_strings),
      cmocka_unit_test(test_every_resource_key),
      cmocka_unit_test(test_unknown_and_unsupported_keys),
      cmocka_unit_test(test_command_and_entrypoint),
      cmocka_unit_test(test_environment),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_isolation),
      cmocka_unit_test(test_credential_spec),
      cmocka_unit_test(test_security_opt),
      cmocka_unit_test(test_memory_and_cpus),
      cmocka_unit_test(test_cpu_counts),
      cmocka_unit_test(test_pids_and_memory_minimums),
      cmocka_unit_test(test_deploy_keys),
      cmocka_unit_test(test_secrets_and_configs),
      cmocka_unit_test(test_volumes_short),
      cmocka_unit_test(test_volumes_long),
      cmocka_unit_test(test_named_volumes),
      cmocka_unit_test(test_container_name_and_init),
      cmocka_unit_test(test_depends_on),
      cmocka_unit_test(test_healthcheck),
      cmocka_unit_test(test_stop_grace_period_and_restart),
      cmocka_unit_test(test_env_file),
      cmocka_unit_test(test_service_names),
  };
  return cmocka_run_group_tests_name("compose_service", tests, NULL, NULL);
}
