/* tests/compose/test_spec.c - a compose service as a container spec (compose_service_to_spec,
 * compose/to_spec.h): every supported key mapped to its spec field, what the service reads back from the
 * spec's JSON form, the credential spec sources (config:// read and checked here), and the keys that cannot
 * be applied refused with their path. The exact create request `wctr compose up` sends is tests/cli's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/to_spec.h"
#include "compose_test.h"

static const char spec_text[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
    "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
    "\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"}]}}";

/* The spec of service name; fails the test when the mapping fails. */
static void spec_of(const compose_project *p, const char *name, spec_container *out) {
  compose_options o = ct_options(NULL, 0);
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (compose_service_to_spec(p, ct_service(p, name), o.read_file, o.ctx, out, &e) != WCTR_OK) {
    fail_msg("%s", e.text);
  }
}

static void expect_refused(const compose_project *p, const char *name, wctr_err code, const char *message) {
  compose_options o = ct_options(NULL, 0);
  spec_container spec;
  memset(&spec, 0xA5, sizeof spec); /* a failure must leave it zeroed, not as it was */
  wctr_errmsg e;
  assert_int_equal(compose_service_to_spec(p, ct_service(p, name), o.read_file, o.ctx, &spec, &e), code);
  assert_null(spec.image);
  assert_null(spec.security_opt);
  assert_int_equal(spec.labels.count, 0);
  if (strcmp(e.text, message) != 0) fail_msg("got  %s\nwant %s", e.text, message);
}

static void expect_strings(char *const *got, size_t count, const char *const *want, size_t want_count) {
  assert_int_equal(count, want_count);
  for (size_t i = 0; i < count; i++) assert_string_equal(got[i], want[i]);
}

static void expect_label(const spec_container *s, size_t index, const char *key, const char *value) {
  assert_true(index < s->labels.count);
  assert_string_equal(s->labels.keys[index], key);
  assert_string_equal(s->labels.values[index], value);
}

static void expect_same_text(const char *a, const char *b) {
  if (a == NULL || b == NULL) {
    assert_ptr_equal(a, b);
    return;
  }
  assert_string_equal(a, b);
}

/* What the service makes of the spec's JSON form (spec_from_json of spec_to_json, as `up` sends it and
 * wctrd reads it) is the spec itself, field by field. */
static void expect_round_trip(const spec_container *s) {
  cJSON *params = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  assert_true(spec_to_json(s, params, hc, true));
  assert_true(cJSON_AddItemToObject(params, "HostConfig", hc));
  spec_container back;
  spec_warnings w = {0};
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (spec_from_json(params, "params", 64, &back, &w, &e) != WCTR_OK) fail_msg("spec_from_json: %s", e.text);
  cJSON_Delete(params);
  assert_string_equal(back.image, s->image);
  expect_strings(back.process.cmd, back.process.cmd_count, (const char *const *)s->process.cmd, s->process.cmd_count);
  expect_strings(back.process.env, back.process.env_count, (const char *const *)s->process.env, s->process.env_count);
  expect_same_text(back.process.working_dir, s->process.working_dir);
  expect_same_text(back.process.user, s->process.user);
  expect_same_text(back.hostname, s->hostname);
  assert_int_equal(back.process.tty, s->process.tty);
  assert_int_equal(back.process.open_stdin, s->process.open_stdin);
  assert_int_equal(back.isolation, s->isolation);
  assert_memory_equal(&back.resources, &s->resources, sizeof back.resources);
  expect_strings(back.binds, back.bind_count, (const char *const *)s->binds, s->bind_count);
  assert_int_equal(back.auto_remove, s->auto_remove);
  assert_int_equal(back.stop_timeout, s->stop_timeout);
  assert_int_equal(back.restart.name, s->restart.name);
  assert_int_equal(back.restart.max_retries, s->restart.max_retries);
  assert_int_equal(back.labels.count, s->labels.count);
  for (size_t i = 0; i < s->labels.count; i++) expect_label(&back, i, s->labels.keys[i], s->labels.values[i]);
  expect_strings(back.security_opt, back.security_opt_count, (const char *const *)s->security_opt,
                 s->security_opt_count);
  expect_same_text(back.credspec_option, s->credspec_option);
  assert_int_equal(back.secret_count, s->secret_count);
  for (size_t i = 0; i < s->secret_count; i++) {
    assert_string_equal(back.secrets[i].name, s->secrets[i].name);
    assert_string_equal(back.secrets[i].target, s->secrets[i].target);
  }
  spec_free(&back);
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
  /* The container's name is the model's; the spec describes what runs in it. */
  assert_string_equal(ct_service(p, "web")->container_name, "shop-web-1");
  assert_string_equal(ct_service(p, "worker")->container_name, "shop-worker-1");

  spec_container web;
  spec_of(p, "web", &web);
  assert_string_equal(web.image, "mcr.microsoft.com/windows/servercore:ltsc2022");
  static const char *const web_cmd[] = {"C:\\app\\run.exe", "--port", "80"};
  expect_strings(web.process.cmd, web.process.cmd_count, web_cmd, 3);
  static const char *const web_env[] = {"EMPTY=", "FROM_FILE=1", "SHARED=env"};
  expect_strings(web.process.env, web.process.env_count, web_env, 3);
  assert_string_equal(web.process.working_dir, "C:\\app");
  assert_string_equal(web.process.user, "ContainerUser");
  assert_string_equal(web.hostname, "web01");
  assert_false(web.process.tty);
  assert_false(web.process.open_stdin);
  assert_int_equal(web.isolation, WCTR_ISOLATION_PROCESS);
  spec_resources want_web = {.memory_bytes = 524288000, .nano_cpus = 1500000000};
  assert_memory_equal(&web.resources, &want_web, sizeof want_web);
  assert_int_equal(web.stop_timeout, 90);
  assert_int_equal(web.restart.name, SPEC_RESTART_UNLESS_STOPPED);
  assert_int_equal(web.restart.max_retries, 0);
  assert_false(web.auto_remove);
  static const char *const web_binds[] = {"C:\\data:C:\\data:ro", "C:\\proj\\logs:C:\\logs"};
  expect_strings(web.binds, web.bind_count, web_binds, 2);
  static const char *const web_opts[] = {"credentialspec=file://web.json"};
  expect_strings(web.security_opt, web.security_opt_count, web_opts, 1);
  assert_string_equal(web.credspec_option, "file://web.json");
  assert_null(web.credspec_source); /* resolving it is the service's job */
  assert_null(web.credspec_json);
  /* compose's own labels and the service's, sorted by key as spec_labels keeps them. */
  assert_int_equal(web.labels.count, 4);
  expect_label(&web, 0, "com.docker.compose.container-number", "1");
  expect_label(&web, 1, "com.docker.compose.project", "shop");
  expect_label(&web, 2, "com.docker.compose.service", "web");
  expect_label(&web, 3, "tier", "front");
  assert_int_equal(web.secret_count, 2);
  assert_string_equal(web.secrets[0].name, "db_password");
  assert_string_equal(web.secrets[0].target, "db_password");
  assert_string_equal(web.secrets[1].name, "api_key");
  assert_string_equal(web.secrets[1].target, "key.txt");
  expect_round_trip(&web);
  spec_free(&web);

  spec_container worker;
  spec_of(p, "worker", &worker);
  assert_string_equal(worker.image, "host");
  static const char *const worker_cmd[] = {"cmd", "/S", "/C", "ping -n 3 127.0.0.1"};
  expect_strings(worker.process.cmd, worker.process.cmd_count, worker_cmd, 4);
  assert_int_equal(worker.process.env_count, 0);
  assert_null(worker.process.working_dir);
  assert_null(worker.process.user);
  assert_null(worker.hostname);
  assert_int_equal(worker.isolation, WCTR_ISOLATION_JOB);
  spec_resources want_worker = {.memory_bytes = 1073741824, .cpu_percent = 40, .pids_limit = 10};
  assert_memory_equal(&worker.resources, &want_worker, sizeof want_worker);
  /* No stop_grace_period: the default the service takes for create params without StopTimeout. */
  assert_int_equal(worker.stop_timeout, SPEC_DEFAULT_STOP_TIMEOUT);
  assert_int_equal(worker.restart.name, SPEC_RESTART_ON_FAILURE);
  assert_int_equal(worker.restart.max_retries, 5);
  assert_int_equal(worker.bind_count, 0);
  assert_int_equal(worker.security_opt_count, 0);
  assert_null(worker.credspec_option);
  assert_int_equal(worker.secret_count, 0);
  assert_int_equal(worker.labels.count, 3);
  expect_label(&worker, 0, "com.docker.compose.container-number", "1");
  expect_label(&worker, 1, "com.docker.compose.project", "shop");
  expect_label(&worker, 2, "com.docker.compose.service", "worker");
  expect_round_trip(&worker);
  spec_free(&worker);
  compose_free(p);
}

/* An entrypoint and a command together, in either form; neither gives no words (an image may have them); an
 * entrypoint replaces the image's Entrypoint and Cmd, [] clears it (then a command is needed). */
static void test_command_forms(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n"
                                    "  both: {image: i, entrypoint: 'C:\\run.cmd', command: [a, b]}\n"
                                    "  none: {image: i}\n"
                                    "  empty: {image: i, entrypoint: [], command: []}\n"
                                    "  cleared: {image: i, entrypoint: [], command: [c]}\n"
                                    "  grace: {image: i, command: [x], stop_grace_period: 1500ms}\n");
  spec_container s;
  spec_of(p, "both", &s);
  static const char *const both[] = {"cmd", "/S", "/C", "C:\\run.cmd", "a", "b"};
  expect_strings(s.process.cmd, s.process.cmd_count, both, 6);
  assert_true(s.process.entrypoint_set);
  assert_int_equal(s.process.entrypoint_count, 4);
  spec_free(&s);
  spec_of(p, "none", &s);
  assert_int_equal(s.process.cmd_count, 0);
  assert_null(s.process.cmd);
  assert_false(s.process.entrypoint_set);
  spec_free(&s);
  expect_refused(p, "empty", WCTR_EINVAL,
                 "services.empty.entrypoint: an empty entrypoint without a command would run the image's Cmd without its "
                 "Entrypoint, and wctr keeps an image's Entrypoint and Cmd as one command; give the command");
  spec_of(p, "cleared", &s);
  assert_true(s.process.entrypoint_set);
  assert_int_equal(s.process.entrypoint_count, 0);
  assert_int_equal(s.process.cmd_count, 1);
  spec_free(&s);
  /* 1.5 s is never shortened to 1. */
  spec_of(p, "grace", &s);
  assert_int_equal(s.stop_timeout, 2);
  spec_free(&s);
  compose_free(p);
}

static void test_credential_spec_sources(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\spec.json", spec_text);
  ct_file(CT_DIR "\\broken.json", "{\"CmsPlugins\":[\"ActiveDirectory\"]}");
  compose_project *p = ct_load_text("services:\n"
                                    "  a: {image: i, command: [x], credential_spec: {config: good}}\n"
                                    "  b: {image: i, command: [x], credential_spec: {registry: webapp01}}\n"
                                    "  c: {image: i, command: [x], security_opt: [\"credentialspec=raw://{}\"]}\n"
                                    "  d: {image: i, command: [x], credential_spec: {config: bad}}\n"
                                    "  e: {image: i, command: [x], credential_spec: {config: gone}}\n"
                                    "configs:\n"
                                    "  good: {file: ./spec.json}\n"
                                    "  bad: {file: ./broken.json}\n"
                                    "  gone: {file: ./missing.json}\n");
  spec_container a;
  spec_of(p, "a", &a);
  /* config:// is read here and passed as raw:// of the spec, rendered again. */
  assert_int_equal(a.security_opt_count, 1);
  const char *want = "credentialspec=raw://{\"CmsPlugins\":[\"ActiveDirectory\"]";
  if (strncmp(a.security_opt[0], want, strlen(want)) != 0) fail_msg("%s", a.security_opt[0]);
  assert_ptr_equal(a.credspec_option, a.security_opt[0] + strlen("credentialspec="));
  assert_non_null(strstr(a.credspec_option, "\"MachineAccountName\":\"webapp01\""));
  assert_int_equal(ct_reads(CT_DIR "\\spec.json"), 1);
  expect_round_trip(&a);
  spec_free(&a);
  spec_container b;
  spec_of(p, "b", &b);
  static const char *const b_opts[] = {"credentialspec=registry://webapp01"};
  expect_strings(b.security_opt, b.security_opt_count, b_opts, 1);
  assert_string_equal(b.credspec_option, "registry://webapp01");
  spec_free(&b);
  spec_container c;
  spec_of(p, "c", &c);
  static const char *const c_opts[] = {"credentialspec=raw://{}"};
  expect_strings(c.security_opt, c.security_opt_count, c_opts, 1);
  /* The whole spec travels only with with_secrets (the create request); otherwise it is redacted. */
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  assert_true(spec_to_json(&c, config, hc, true));
  char *whole = cJSON_PrintUnformatted(cJSON_GetObjectItem(hc, "SecurityOpt"));
  assert_string_equal(whole, "[\"credentialspec=raw://{}\"]");
  free(whole);
  cJSON_Delete(config);
  cJSON_Delete(hc);
  config = cJSON_CreateObject();
  hc = cJSON_CreateObject();
  assert_true(spec_to_json(&c, config, hc, false));
  char *shown = cJSON_PrintUnformatted(cJSON_GetObjectItem(hc, "SecurityOpt"));
  assert_null(strstr(shown, "raw://{}"));
  free(shown);
  cJSON_Delete(config);
  cJSON_Delete(hc);
  spec_free(&c);
  expect_refused(p, "d", WCTR_EINVAL,
                 "services.d.credential_spec: config \"bad\": credential spec: \"DomainJoinConfig\" is required");
  expect_refused(p, "e", WCTR_ENOENT,
                 "services.e.credential_spec: config \"gone\" (C:\\proj\\missing.json): no such file");
  /* Without a reader a config:// spec cannot be read, and says so. */
  spec_container none;
  wctr_errmsg e;
  assert_int_equal(compose_service_to_spec(p, ct_service(p, "a"), NULL, NULL, &none, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "services.a.credential_spec: config \"good\" cannot be read here (no reader)");
  assert_null(none.security_opt);
  compose_free(p);
}

static void test_refusals(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\app.conf", "x");
  compose_project *p = ct_load_text("services:\n"
                                    "  job: {image: host, command: [x], isolation: job, credential_spec: {file: w.json}}\n"
                                    "  cfg: {image: host, command: [x], configs: [app]}\n"
                                    "  long: {image: host, command: [x], stop_grace_period: 2h}\n"
                                    "  lbl: {image: host, command: [x], labels: [com.docker.compose.project=other]}\n"
                                    "  quote: {image: host, command: 'cmd /c \"a b\"'}\n"
                                    "  equote: {image: host, entrypoint: 'run \"x\"'}\n"
                                    "  hour: {image: host, command: [x], stop_grace_period: 1h}\n"
                                    "  many: {image: host, command: [x], deploy: {replicas: 2}}\n"
                                    "  none: {image: host, command: [x], deploy: {replicas: 0}}\n"
                                    "  one: {image: host, command: [x], deploy: {replicas: 1}}\n"
                                    "configs:\n"
                                    "  app: {file: ./app.conf}\n");
  expect_refused(p, "job", WCTR_EINVAL,
                 "services.job.credential_spec: a credential spec (gMSA) needs process or hyperv isolation: a job "
                 "container runs on the host with a local identity and cannot carry a gMSA");
  expect_refused(p, "cfg", WCTR_ENOTSUP,
                 "services.cfg.configs: giving a config to a container as a file is not supported by wctr yet "
                 "(configs can be used as credential_spec: {config: NAME})");
  expect_refused(p, "many", WCTR_ENOTSUP,
                 "services.many.deploy.replicas: wctr compose up runs one container per service, not 2");
  expect_refused(p, "none", WCTR_ENOTSUP,
                 "services.none.deploy.replicas: wctr compose up runs one container per service, not 0");
  spec_container one;
  spec_of(p, "one", &one);
  spec_free(&one);
  expect_refused(p, "long", WCTR_EINVAL, "services.long.stop_grace_period: at most 1h (wctr's longest stop timeout)");
  expect_refused(p, "lbl", WCTR_EINVAL,
                 "services.lbl.labels: com.docker.compose.project=other: com.docker.compose.* labels are set by wctr "
                 "compose");
  expect_refused(p, "quote", WCTR_EINVAL,
                 "services.quote.command: a command line with double quotes cannot be passed through cmd /S /C "
                 "unchanged; write it in the list form ([\"cmd\", \"/c\", \"...\"])");
  expect_refused(p, "equote", WCTR_EINVAL,
                 "services.equote.entrypoint: a command line with double quotes cannot be passed through cmd /S /C "
                 "unchanged; write it in the list form ([\"cmd\", \"/c\", \"...\"])");
  /* 1h itself is the longest stop timeout, not beyond it. */
  spec_container hour;
  spec_of(p, "hour", &hour);
  assert_int_equal(hour.stop_timeout, SPEC_MAX_STOP_TIMEOUT);
  spec_free(&hour);
  compose_free(p);
}

/* logging: json-file's options become the spec's log options (checked as --log-opt is, naming
 * services.S.logging.options); another driver is refused at load naming logging.driver; compose config shows them. */
static void test_logging(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n"
                                    "  web:\n"
                                    "    image: host\n"
                                    "    command: [x]\n"
                                    "    logging: {driver: json-file, options: {max-size: 1k, max-file: 3, labels: app}}\n"
                                    "  bad: {image: host, command: [x], logging: {options: {max-files: 3}}}\n");
  spec_container web;
  spec_of(p, "web", &web);
  int64_t size = 0;
  int files = 0;
  spec_log_limits(&web.log, &size, &files);
  assert_int_equal(size, 1000);
  assert_int_equal(files, 3);
  assert_int_equal(web.log.opts.count, 3);
  assert_string_equal(web.log.opts.keys[0], "labels");
  assert_string_equal(web.log.opts.values[0], "app");
  spec_free(&web);
  expect_refused(p, "bad", WCTR_EINVAL,
                 "services.bad.logging.options: unknown log opt 'max-files' for json-file log driver");
  char *out = NULL;
  wctr_errmsg e;
  assert_int_equal(compose_render(p, 0, &out, &e), WCTR_OK);
  if (strstr(out, "    logging:\n      driver: json-file\n      options:\n        labels: app\n        max-file: \"3\"\n") ==
      NULL) {
    fail_msg("compose config:\n%s", out);
  }
  free(out);
  compose_free(p);
  ct_fail_text("services:\n  s: {image: host, logging: {driver: syslog}}\n",
               "compose.yml: services.s.logging.driver: \"syslog\": wctr keeps a container's logs with the json-file driver only");
}

/* A spec holds only secret references the service accepts: a name or target spec/ refuses is refused
 * here, naming the service's entry, before `up` creates anything. */
static void test_secret_references(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n"
                                    "  name: {image: host, command: [x], secrets: [ok, bad_]}\n"
                                    "  device: {image: host, command: [x], secrets: [{source: ok, target: con.txt}]}\n"
                                    "  fine: {image: host, command: [x], secrets: [{source: ok, target: a.b-c_d}]}\n"
                                    "secrets:\n"
                                    "  ok: {file: ./ok.txt}\n"
                                    "  bad_: {file: ./bad.txt}\n");
  expect_refused(p, "name", WCTR_EINVAL,
                 "services.name.secrets[1]: invalid secret name \"bad_\": use 1 to 64 characters [a-zA-Z0-9_.-], "
                 "starting and ending with a letter or digit");
  expect_refused(p, "device", WCTR_EINVAL, "services.device.secrets[0]: target \"con.txt\" is a Windows device name");
  spec_container s;
  spec_of(p, "fine", &s);
  assert_int_equal(s.secret_count, 1);
  assert_string_equal(s.secrets[0].name, "ok");
  assert_string_equal(s.secrets[0].target, "a.b-c_d");
  spec_free(&s);
  compose_free(p);
}

/* `up` must not create a container and then meet a refusal wctrd's create would have given for a later
 * one: every check create runs that needs no host runs here, naming the service's key. */
static void test_create_checks(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(
      "services:\n"
      "  posix: {image: app, volumes: [\"./data:/data\"]}\n"
      "  jobvol: {image: host, command: [x], isolation: job, volumes: [\"./data:C:\\\\data\"]}\n"
      "  jobhost: {image: host, command: [x], isolation: job, hostname: web}\n"
      "  jobcmd: {image: host, isolation: job}\n"
      "  root: {image: app, volumes: [\"./data:C:\\\\\"]}\n"
      "  ropipe: {image: app, volumes: [{type: npipe, source: //./pipe/a, target: //./pipe/a, read_only: true}]}\n"
      "  halfpipe: {image: app, volumes: [\"//./pipe/a:C:\\\\a\"]}\n"
      "  badhost: {image: app, hostname: web_01}\n"
      "  pipes:\n"
      "    image: app\n"
      "    volumes:\n"
      "      - //./pipe/docker_engine://./pipe/docker_engine\n"
      "      - {type: npipe, source: \"\\\\\\\\.\\\\PIPE\\\\b\", target: \"\\\\\\\\.\\\\pipe\\\\b\"}\n"
      "  jobok: {image: host, isolation: job, entrypoint: [cmd, /c], command: [echo, hi]}\n");
  expect_refused(p, "posix", WCTR_EINVAL,
                 "services.posix.volumes[0]: -v \"C:\\proj\\data:/data\": the container path must be absolute with a "
                 "drive letter (C:\\dir)");
  expect_refused(p, "jobvol", WCTR_EINVAL,
                 "services.jobvol.volumes: a job container shares the host's file system and has no mounts; use "
                 "isolation: process or hyperv, or give the host path itself");
  expect_refused(p, "jobhost", WCTR_EINVAL,
                 "services.jobhost.hostname: a job container shares the host's name; use isolation: process or hyperv");
  expect_refused(p, "jobcmd", WCTR_EINVAL,
                 "services.jobcmd: a command is required: a job container has no image default (command or "
                 "entrypoint)");
  expect_refused(p, "root", WCTR_EINVAL,
                 "services.root.volumes[0]: -v \"C:\\proj\\data:C:\\\": the container path cannot be the root of a "
                 "drive (C:\\)");
  expect_refused(p, "ropipe", WCTR_EINVAL,
                 "services.ropipe.volumes[0]: -v \"//./pipe/a://./pipe/a:ro\": a named pipe cannot be mounted "
                 "read-only");
  expect_refused(p, "halfpipe", WCTR_EINVAL,
                 "services.halfpipe.volumes[0]: -v \"//./pipe/a:C:\\a\": a named pipe can only be mapped to a named "
                 "pipe (\\\\.\\pipe\\NAME on both sides)");
  /* What only spec_from_json checks comes back with the service named. */
  expect_refused(p, "badhost", WCTR_EINVAL,
                 "services.badhost: invalid hostname \"web_01\": 1 to 63 letters, digits and '-', not starting or "
                 "ending with '-'");
  /* Docker's spellings of a pipe reach wctrd as written, and spec reads them as pipes. */
  spec_container s;
  spec_of(p, "pipes", &s);
  assert_int_equal(s.bind_count, 2);
  assert_string_equal(s.binds[0], "//./pipe/docker_engine://./pipe/docker_engine");
  assert_string_equal(s.binds[1], "\\\\.\\PIPE\\b:\\\\.\\pipe\\b");
  for (size_t i = 0; i < s.bind_count; i++) {
    spec_mount m;
    wctr_errmsg e;
    assert_int_equal(spec_mount_parse(s.binds[i], &m, &e), WCTR_OK);
    assert_true(m.pipe);
    assert_string_equal(m.host_path, i == 0 ? "\\\\.\\pipe\\docker_engine" : "\\\\.\\pipe\\b");
    assert_string_equal(m.container_path, i == 0 ? "\\\\.\\pipe\\docker_engine" : "\\\\.\\pipe\\b");
    spec_mount_free(&m);
  }
  expect_round_trip(&s);
  spec_free(&s);
  spec_of(p, "jobok", &s);
  assert_int_equal(s.process.cmd_count, 4);
  expect_round_trip(&s);
  spec_free(&s);
  compose_free(p);
}

static void test_arguments(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("services:\n  web: {image: i}\n");
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(compose_service_to_spec(NULL, ct_service(p, "web"), NULL, NULL, &s, &e), WCTR_EINVAL);
  assert_null(s.image);
  assert_int_equal(compose_service_to_spec(p, NULL, NULL, NULL, &s, &e), WCTR_EINVAL);
  assert_int_equal(compose_service_to_spec(p, ct_service(p, "web"), NULL, NULL, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "compose_service_to_spec: out must not be NULL");
  compose_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_key),
      cmocka_unit_test(test_command_forms),
      cmocka_unit_test(test_credential_spec_sources),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_logging),
      cmocka_unit_test(test_secret_references),
      cmocka_unit_test(test_create_checks),
      cmocka_unit_test(test_arguments),
  };
  int rc = cmocka_run_group_tests_name("compose_spec", tests, NULL, NULL);
  ct_reset();
  return rc;
}
