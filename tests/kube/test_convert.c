/* tests/kube/test_convert.c - a compose project as Kubernetes objects (kube_convert, kube/kube.h): golden
 * files for representative projects (gMSA + Hyper-V + secrets + configs; a HostProcess service; job-style
 * services; Services from ports), and every refusal with its exact message.
 *
 * The golden files are the .yaml files of tests/kube/golden (WCTR_KUBE_GOLDEN names the folder). With WCTR_KUBE_OUT set,
 * every YAML generated here is also written there, and the kube_openapi test validates those files against
 * Kubernetes' OpenAPI schemas (tests/kube/validate). WCTR_KUBE_UPDATE=1 rewrites the golden files instead of
 * comparing (review the diff before committing it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose_test.h"
#include "kube/kube.h"

#ifdef _WIN32
#include <wchar.h>
#endif

/* ---- the fake host ---- */

static const char spec_plain[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
    "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
    "\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"},{\"Name\":\"webapp01\",\"Scope\":\"CONTOSO\"}]}}";
static const char spec_api[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"api01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
    "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
    "\"Name\":\"api01\",\"Scope\":\"contoso.com\"}]}}";
#define PLUGIN_TAIL                                                                                                   \
  ",\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\",\"PluginGUID\":\"{859E1386-BDB4-49E8-85C7-3070B13920E1}\"," \
  "\"PluginInput\":"
static const char spec_plugin[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
    "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
    "\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"}]" PLUGIN_TAIL "\"contoso.com:ccg:S3cret-Pa55\"}}}";
static const char spec_redacted[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
    "\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{"
    "\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"}]" PLUGIN_TAIL "\"<redacted>\"}}}";

static struct {
  int secret_reads;
  int credspec_reads;
  int image_asks;
  const char *bad_version; /* the OS version the fake gives for every image, when set */
} host_state;

static wctr_err fake_image(void *ctx, const char *image, char *buf, size_t size, wctr_errmsg *e) {
  assert_ptr_equal(ctx, &host_state);
  host_state.image_asks++;
  if (host_state.bad_version != NULL) {
    snprintf(buf, size, "%s", host_state.bad_version);
    return WCTR_OK;
  }
  if (strcmp(image, "shop-api") == 0) {
    snprintf(buf, size, "10.0.20348.2113");
    return WCTR_OK;
  }
  return wctr_fail(e, WCTR_ENOENT, "No such image: %s", image);
}

static wctr_err fake_credspec(void *ctx, const char *value, char **json, wctr_errmsg *e) {
  assert_ptr_equal(ctx, &host_state);
  host_state.credspec_reads++;
  const char *text = strcmp(value, "file://api.json") == 0        ? spec_api
                     : strcmp(value, "file://redacted.json") == 0 ? spec_redacted
                                                                  : NULL;
  if (text == NULL) return wctr_fail(e, WCTR_ENOENT, "no credential spec %s", value + 7);
  *json = strdup(text);
  return WCTR_OK;
}

static wctr_err fake_secret(void *ctx, const char *name, uint8_t **value, size_t *len, wctr_errmsg *e) {
  assert_ptr_equal(ctx, &host_state);
  host_state.secret_reads++;
  const char *v = strcmp(name, "db_password") == 0                          ? "Pa55word $(HOME)"
                  : strcmp(name, "a_b") == 0 || strcmp(name, "a-b") == 0 ? "ab"
                                                                         : NULL;
  if (v == NULL) return wctr_fail(e, WCTR_ENOENT, "No such secret: %s", name);
  *len = strlen(v);
  *value = malloc(*len);
  memcpy(*value, v, *len);
  return WCTR_OK;
}

static kube_host fake_host(void) {
  compose_options o = ct_options(NULL, 0);
  kube_host h = {.ctx = &host_state,
                 .image_os_version = fake_image,
                 .credspec = fake_credspec,
                 .secret_value = fake_secret,
                 .read_file = o.read_file,
                 .read_ctx = o.ctx};
  return h;
}

/* ---- golden files ---- */

static FILE *open_in(const char *env, const char *name, const char *mode) {
  const char *dir = getenv(env);
  if (dir == NULL || dir[0] == '\0') return NULL;
  char path[2048];
  snprintf(path, sizeof path, "%s/%s", dir, name);
#ifdef _WIN32
  wchar_t wpath[2048];
  wchar_t wmode[8];
  wctr_test_native_path(path, wpath, sizeof wpath / sizeof wpath[0]);
  mbstowcs(wmode, mode, sizeof wmode / sizeof wmode[0]);
  return _wfopen(wpath, wmode);
#else
  return fopen(path, mode);
#endif
}

static char *read_golden(const char *name) {
  FILE *f = open_in("WCTR_KUBE_GOLDEN", name, "rb");
  if (f == NULL) fail_msg("golden file %s cannot be opened (WCTR_KUBE_GOLDEN=%s)", name, getenv("WCTR_KUBE_GOLDEN"));
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

static void write_to(const char *env, const char *name, const char *text) {
  FILE *f = open_in(env, name, "wb");
  if (f == NULL) {
    if (getenv(env) != NULL) fail_msg("cannot write %s into %s", name, getenv(env));
    return;
  }
  fwrite(text, 1, strlen(text), f);
  fclose(f);
}

/* The YAML of the objects equals the golden file name (and is written for the OpenAPI validation). */
static void expect_golden(const kube_output *out, const char *name) {
  char *text = NULL;
  size_t len = 0;
  wctr_errmsg e;
  assert_int_equal(kube_yaml(out->objects, out->count, &text, &len, &e), WCTR_OK);
  assert_int_equal(strlen(text), len);
  write_to("WCTR_KUBE_OUT", name, text);
  const char *update = getenv("WCTR_KUBE_UPDATE");
  if (update != NULL && strcmp(update, "1") == 0) {
    write_to("WCTR_KUBE_GOLDEN", name, text);
  } else {
    const char *want = read_golden(name);
    if (strcmp(text, want) != 0) print_error("%s differs; got:\n%s\n", name, text);
    assert_string_equal(text, want);
  }
  kube_text_free(text, len);
}

static kube_output convert_ok(const compose_project *p, const kube_options *opt) {
  kube_host h = fake_host();
  kube_output out;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (kube_convert(p, opt, &h, &out, &e) != WCTR_OK) fail_msg("kube_convert: %s", e.text);
  return out;
}

static void expect_refused(const compose_project *p, const kube_options *opt, wctr_err code, const char *message) {
  kube_host h = fake_host();
  kube_output out = {.count = 99};
  wctr_errmsg e;
  wctr_err err = kube_convert(p, opt, &h, &out, &e);
  if (err != code || strcmp(e.text, message) != 0) {
    print_error("expected: %s %s\ngot:      %s %s\n", wctr_err_name(code), message, wctr_err_name(err), e.text);
  }
  assert_int_equal(err, code);
  assert_string_equal(e.text, message);
  assert_int_equal(out.count, 0);
  assert_null(out.objects);
}

/* The kinds and names of the objects, in order: "Kind/name Kind/name ...". */
static void expect_objects(const kube_output *out, const char *want) {
  char got[4096] = "";
  for (size_t i = 0; i < out->count; i++) {
    size_t used = strlen(got);
    snprintf(got + used, sizeof got - used, "%s%s/%s", i > 0 ? " " : "", out->objects[i].kind, out->objects[i].name);
  }
  assert_string_equal(got, want);
}

static const cJSON *at(const cJSON *o, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = o;
  for (char *tok = strtok(buf, "."); tok != NULL && cur != NULL; tok = strtok(NULL, ".")) {
    if (tok[0] >= '0' && tok[0] <= '9') {
      cur = cJSON_GetArrayItem(cur, (int)strtol(tok, NULL, 10));
    } else {
      cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
  }
  if (cur == NULL) fail_msg("no %s", path);
  return cur;
}

static const char *str_at(const cJSON *o, const char *path) {
  const cJSON *v = at(o, path);
  assert_true(cJSON_IsString(v));
  return v->valuestring;
}

static const kube_object *find(const kube_output *out, const char *kind, const char *name) {
  for (size_t i = 0; i < out->count; i++) {
    if (strcmp(out->objects[i].kind, kind) == 0 && strcmp(out->objects[i].name, name) == 0) return &out->objects[i];
  }
  fail_msg("no %s/%s", kind, name);
  return NULL;
}

/* ---- the projects ---- */

static const char shop_yml[] =
    "name: shop\n"
    "services:\n"
    "  web:\n"
    "    image: mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022\n"
    "    isolation: hyperv\n"
    "    credential_spec: {config: webspec}\n"
    "    entrypoint: ['C:\\ServiceMonitor.exe']\n"
    "    command: [w3svc]\n"
    "    environment:\n"
    "      GREETING: 'costs $$5 and $(HOME)'\n"
    "      MODE: production\n"
    "    working_dir: C:\\inetpub\n"
    "    user: ContainerAdministrator\n"
    "    hostname: shop-web\n"
    "    labels:\n"
    "      tier: frontend\n"
    "      com.example/description: \"The shop's front end\"\n"
    "    mem_limit: 512m\n"
    "    cpus: 1.5\n"
    "    secrets:\n"
    "      - source: db_password\n"
    "        target: db.txt\n"
    "    configs: [site_json]\n"
    "    stop_grace_period: 45s\n"
    "    restart: always\n"
    "    deploy: {replicas: 2}\n"
    "    depends_on: [api]\n"
    "    healthcheck: {test: 'curl -f http://localhost/', interval: 1m, timeout: 1500ms, retries: 5, start_period: 20s}\n"
    "  api:\n"
    "    image: shop-api\n"
    "    credential_spec: {file: api.json}\n"
    "    command: ['C:\\api\\api.exe', --port, '8080']\n"
    "    secrets: [db_password]\n"
    "    restart: unless-stopped\n"
    "    cpu_count: 2\n"
    "    healthcheck: {test: [CMD, 'C:\\api\\api.exe', --check]}\n"
    "secrets:\n"
    "  db_password: {file: ./db.txt}\n"
    "configs:\n"
    "  webspec: {file: ./web-spec.json}\n"
    "  site_json: {file: ./site.json}\n";

static compose_project *load_shop(void) {
  ct_reset();
  ct_file(CT_DIR "\\web-spec.json", spec_plain);
  ct_file(CT_DIR "\\site.json", "{\"title\": \"Shop\", \"price\": \"$5\"}\n");
  return ct_load_text(shop_yml);
}

static void test_gmsa_hyperv_secrets(void **state) {
  (void)state;
  compose_project *p = load_shop();
  memset(&host_state, 0, sizeof host_state);
  kube_options opt = {.plain_text_secrets = true, .namespace_name = "shop"};
  kube_output out = convert_ok(p, &opt);
  expect_objects(&out,
                 "RuntimeClass/runhcs-wcow-hypervisor GMSACredentialSpec/shop-api ClusterRole/shop-api-gmsa-use "
                 "GMSACredentialSpec/shop-web ClusterRole/shop-web-gmsa-use ServiceAccount/api ServiceAccount/web "
                 "RoleBinding/api-gmsa-use RoleBinding/web-gmsa-use Secret/db-password ConfigMap/site-json "
                 "Deployment/api Deployment/web");
  /* The secret is read once for two services; the file:// spec came from the host. */
  assert_int_equal(host_state.secret_reads, 1);
  assert_int_equal(host_state.credspec_reads, 1);
  /* Only the process-isolated service's image is asked about (Hyper-V runs older images). */
  assert_int_equal(host_state.image_asks, 1);
  const kube_object *web = find(&out, "Deployment", "web");
  const kube_object *api = find(&out, "Deployment", "api");
  const cJSON *api_sel = at(api->body, "spec.template.spec.nodeSelector");
  assert_string_equal(cJSON_GetObjectItem(api_sel, "node.kubernetes.io/windows-build")->valuestring, "10.0.20348");
  assert_null(cJSON_GetObjectItem(at(web->body, "spec.template.spec.nodeSelector"), "node.kubernetes.io/windows-build"));
  /* Kubernetes would expand $(HOME): every '$' is doubled so the process gets the compose value. */
  assert_string_equal(str_at(web->body, "spec.template.spec.containers.0.env.0.value"), "costs $$5 and $$(HOME)");
  /* healthcheck -> an exec livenessProbe: CMD-SHELL in cmd /S /C, spans rounded up, Docker's defaults. */
  assert_string_equal(str_at(web->body, "spec.template.spec.containers.0.livenessProbe.exec.command.3"),
                      "curl -f http://localhost/");
  assert_string_equal(str_at(web->body, "spec.template.spec.containers.0.livenessProbe.exec.command.0"), "cmd");
  const cJSON *lp = at(web->body, "spec.template.spec.containers.0.livenessProbe");
  assert_int_equal((int)cJSON_GetObjectItem(lp, "periodSeconds")->valuedouble, 60);
  assert_int_equal((int)cJSON_GetObjectItem(lp, "timeoutSeconds")->valuedouble, 2);
  assert_int_equal((int)cJSON_GetObjectItem(lp, "failureThreshold")->valuedouble, 5);
  assert_int_equal((int)cJSON_GetObjectItem(lp, "initialDelaySeconds")->valuedouble, 20);
  lp = at(api->body, "spec.template.spec.containers.0.livenessProbe");
  assert_string_equal(str_at(lp, "exec.command.0"), "C:\\api\\api.exe");
  assert_int_equal((int)cJSON_GetObjectItem(lp, "periodSeconds")->valuedouble, 30);
  assert_int_equal((int)cJSON_GetObjectItem(lp, "failureThreshold")->valuedouble, 3);
  assert_null(cJSON_GetObjectItem(lp, "initialDelaySeconds"));
  const kube_object *secret = find(&out, "Secret", "db-password");
  assert_string_equal(str_at(secret->body, "data.db_password"), "UGE1NXdvcmQgJChIT01FKQ==");
  assert_non_null(secret->comment);
  expect_golden(&out, "shop.yaml");
  kube_output_free(&out);
  kube_output_free(&out); /* a second free is harmless */
  compose_free(p);
  ct_reset();
}

static void test_host_process(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(
      "name: node-tools\n"
      "services:\n"
      "  agent:\n"
      "    image: host\n"
      "    isolation: job\n"
      "    user: 'nt authority\\system'\n"
      "    command: [powershell.exe, -NoProfile, -Command, 'Get-Service | Out-File $$env:TEMP\\s.txt']\n"
      "    environment: [LOG_LEVEL=debug]\n"
      "    restart: always\n"
      "    mem_limit: 1g\n"
      "  once:\n"
      "    image: host\n"
      "    isolation: job\n"
      "    command: [cmd, /c, echo, ready]\n");
  memset(&host_state, 0, sizeof host_state);
  kube_options opt = {.host_process_image = "mcr.microsoft.com/oss/kubernetes/windows-host-process-containers-base-image:v1.0.0"};
  kube_output out = convert_ok(p, &opt);
  expect_objects(&out, "Deployment/agent Job/once");
  assert_int_equal(host_state.image_asks, 0);
  const kube_object *agent = find(&out, "Deployment", "agent");
  assert_true(cJSON_IsTrue(at(agent->body, "spec.template.spec.hostNetwork")));
  assert_true(cJSON_IsTrue(at(agent->body, "spec.template.spec.securityContext.windowsOptions.hostProcess")));
  assert_string_equal(str_at(agent->body, "spec.template.spec.securityContext.windowsOptions.runAsUserName"),
                      "NT AUTHORITY\\SYSTEM");
  /* The one container inherits HostProcess from the pod: it sets no windowsOptions of its own. */
  assert_null(cJSON_GetObjectItem(at(agent->body, "spec.template.spec.containers.0"), "securityContext"));
  const kube_object *once = find(&out, "Job", "once");
  assert_string_equal(str_at(once->body, "spec.template.spec.securityContext.windowsOptions.runAsUserName"),
                      "NT AUTHORITY\\Local service");
  expect_golden(&out, "hostprocess.yaml");
  kube_output_free(&out);
  compose_free(p);
  ct_reset();
}

static void test_job_style(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(
      "name: batch\n"
      "services:\n"
      "  migrate:\n"
      "    image: mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
      "    command: migrate.cmd --all C:\\data\n"
      "  report:\n"
      "    image: mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
      "    isolation: process\n"
      "    entrypoint: [report.exe]\n"
      "    command: [--out, 'C:\\reports']\n"
      "    restart: on-failure:3\n"
      "    deploy: {replicas: 2}\n"
      "  retry:\n"
      "    image: mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
      "    command: [retry.exe]\n"
      "    restart: on-failure\n"
      "    stop_grace_period: 1500ms\n"
      "    mem_limit: 100000000\n"
      "    deploy: {resources: {limits: {cpus: '0.25'}}}\n");
  memset(&host_state, 0, sizeof host_state);
  kube_options opt = {0};
  kube_output out = convert_ok(p, &opt);
  expect_objects(&out, "Job/migrate Job/report Job/retry");
  const kube_object *migrate = find(&out, "Job", "migrate");
  assert_int_equal(at(migrate->body, "spec.backoffLimit")->valueint, 0);
  assert_string_equal(str_at(migrate->body, "spec.template.spec.restartPolicy"), "Never");
  /* A shell-form command runs as compose_service_to_spec runs it. */
  assert_string_equal(str_at(migrate->body, "spec.template.spec.containers.0.args.3"), "migrate.cmd --all C:\\data");
  const kube_object *report = find(&out, "Job", "report");
  assert_int_equal(at(report->body, "spec.backoffLimit")->valueint, 3);
  assert_int_equal(at(report->body, "spec.parallelism")->valueint, 2);
  const kube_object *retry = find(&out, "Job", "retry");
  assert_int_equal(at(retry->body, "spec.backoffLimit")->valuedouble, 2147483647.0);
  assert_int_equal(at(retry->body, "spec.template.spec.terminationGracePeriodSeconds")->valueint, 2);
  assert_string_equal(str_at(retry->body, "spec.template.spec.containers.0.resources.limits.cpu"), "250m");
  assert_string_equal(str_at(retry->body, "spec.template.spec.containers.0.resources.limits.memory"), "100000000");
  expect_golden(&out, "batch.yaml");
  kube_output_free(&out);
  compose_free(p);
  ct_reset();
}

static void test_services_from_ports(void **state) {
  (void)state;
  const kube_port ports[] = {{.port = 80, .host_port = 8080}, {.port = 443}, {.port = 53, .udp = true},
                             {.port = 80, .host_port = 8081}};
  kube_object svc[2];
  wctr_errmsg e;
  assert_int_equal(kube_service_object("shop", "web", "shop", KUBE_SERVICE_CLUSTER_IP, ports, 4, &svc[0], &e), WCTR_OK);
  /* One port per container port and protocol: 80/tcp published twice is one Service port. */
  assert_int_equal(cJSON_GetArraySize(at(svc[0].body, "spec.ports")), 3);
  assert_string_equal(str_at(svc[0].body, "spec.type"), "ClusterIP");
  assert_int_equal(kube_service_object("shop", "web", "shop", KUBE_SERVICE_LOAD_BALANCER, ports, 4, &svc[1], &e),
                   WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(at(svc[1].body, "spec.ports")), 4);
  assert_int_equal(at(svc[1].body, "spec.ports.0.port")->valueint, 8080);
  assert_int_equal(at(svc[1].body, "spec.ports.0.targetPort")->valueint, 80);
  kube_output out = {.objects = svc, .count = 2};
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(kube_yaml(svc, 1, &text, &len, &e), WCTR_OK);
  write_to("WCTR_KUBE_OUT", "service-clusterip.yaml", text);
  kube_text_free(text, len);
  assert_int_equal(kube_yaml(&svc[1], 1, &text, &len, &e), WCTR_OK);
  write_to("WCTR_KUBE_OUT", "service-loadbalancer.yaml", text);
  kube_text_free(text, len);
  expect_golden(&out, "services.yaml");
  kube_object none;
  assert_int_equal(kube_service_object("shop", "web", "shop", KUBE_SERVICE_NODE_PORT, ports, 0, &none, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "services.web: a Service needs a port");
  const kube_port zero = {.port = 0};
  assert_int_equal(kube_service_object("shop", "web", "shop", KUBE_SERVICE_NODE_PORT, &zero, 1, &none, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "services.web.ports[0]: port 0");
  assert_int_equal(kube_service_object("shop", "Web", "shop", KUBE_SERVICE_NODE_PORT, ports, 1, &none, &e), WCTR_EINVAL);
  for (size_t i = 0; i < 2; i++) {
    free(svc[i].kind);
    free(svc[i].name);
    cJSON_Delete(svc[i].body);
  }
}

/* A compose project's ports and expose (the compose model's port specs) become the container's ports and a Service. */
static void test_compose_ports_make_a_service(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text("name: shop\n"
                                    "services:\n"
                                    "  web:\n"
                                    "    image: iis\n"
                                    "    restart: always\n"
                                    "    ports: ['8080:80', '53:53/udp']\n"
                                    "    expose: ['9000']\n"
                                    "  worker:\n"
                                    "    image: iis\n"
                                    "    restart: always\n");
  memset(&host_state, 0, sizeof host_state);
  kube_options opt = {0};
  kube_output out = convert_ok(p, &opt);
  expect_objects(&out, "Service/web Deployment/web Deployment/worker");
  const kube_object *web = find(&out, "Deployment", "web");
  const cJSON *cports = at(web->body, "spec.template.spec.containers.0.ports");
  assert_int_equal(cJSON_GetArraySize(cports), 3);
  assert_int_equal(at(cports, "0.containerPort")->valueint, 80);
  assert_string_equal(str_at(cports, "1.protocol"), "UDP");
  assert_int_equal(at(cports, "2.containerPort")->valueint, 9000);
  const kube_object *svc = find(&out, "Service", "web");
  assert_string_equal(str_at(svc->body, "spec.type"), "ClusterIP");
  assert_int_equal(cJSON_GetArraySize(at(svc->body, "spec.ports")), 3);
  assert_int_equal(at(svc->body, "spec.ports.0.port")->valueint, 80);
  assert_int_equal(at(svc->body, "spec.ports.0.targetPort")->valueint, 80);
  kube_output_free(&out);
  compose_free(p);
  ct_reset();
}

static void test_plugin_input_with_flag(void **state) {
  (void)state;
  ct_reset();
  ct_file(CT_DIR "\\plugin.json", spec_plugin);
  compose_project *p = ct_load_text("name: app\nservices:\n  web:\n    image: iis\n    restart: always\n"
                                    "    credential_spec: {config: plug}\nconfigs:\n  plug: {file: ./plugin.json}\n");
  kube_options opt = {.allow_plugin_input = true};
  kube_output out = convert_ok(p, &opt);
  const kube_object *cs = find(&out, "GMSACredentialSpec", "app-web");
  assert_string_equal(str_at(cs->body, "credspec.ActiveDirectoryConfig.HostAccountConfig.PluginInput"),
                      "contoso.com:ccg:S3cret-Pa55");
  /* A config used only as a credential spec is no ConfigMap. */
  expect_objects(&out, "GMSACredentialSpec/app-web ClusterRole/app-web-gmsa-use ServiceAccount/web "
                       "RoleBinding/web-gmsa-use Deployment/web");
  char *text = NULL;
  size_t len = 0;
  wctr_errmsg e;
  assert_int_equal(kube_yaml(out.objects, out.count, &text, &len, &e), WCTR_OK);
  write_to("WCTR_KUBE_OUT", "plugin-input.yaml", text);
  kube_text_free(text, len);
  kube_output_free(&out);
  compose_free(p);
  ct_reset();
}

static void test_binary_config_and_namespace(void **state) {
  (void)state;
  ct_reset();
  ct_file_bytes(CT_DIR "\\logo.bin", "\x89PNG\0\x01", 6);
  compose_project *p = ct_load_text("name: app\nservices:\n  web:\n    image: iis\n    restart: always\n"
                                    "    configs: [{source: logo, target: logo.png}]\nconfigs:\n  logo: {file: ./logo.bin}\n");
  kube_options opt = {.namespace_name = "team-a"};
  kube_output out = convert_ok(p, &opt);
  const kube_object *cm = find(&out, "ConfigMap", "logo");
  assert_string_equal(str_at(cm->body, "binaryData.logo"), "iVBORwAB");
  assert_string_equal(str_at(cm->body, "metadata.namespace"), "team-a");
  const kube_object *web = find(&out, "Deployment", "web");
  assert_string_equal(str_at(web->body, "spec.template.spec.volumes.0.projected.sources.0.configMap.items.0.path"),
                      "logo.png");
  assert_string_equal(str_at(web->body, "spec.template.spec.containers.0.volumeMounts.0.mountPath"),
                      "C:\\ProgramData\\wctr\\configs");
  char *text = NULL;
  size_t len = 0;
  wctr_errmsg e;
  assert_int_equal(kube_yaml(out.objects, out.count, &text, &len, &e), WCTR_OK);
  write_to("WCTR_KUBE_OUT", "binary-config.yaml", text);
  kube_text_free(text, len);
  kube_output_free(&out);
  compose_free(p);
  ct_reset();
}

/* ---- refusals ---- */

static void refused_text(const char *text, const kube_options *opt, wctr_err code, const char *message) {
  compose_project *p = ct_load_text(text);
  memset(&host_state, 0, sizeof host_state);
  expect_refused(p, opt, code, message);
  compose_free(p);
}

#define ONE(body) "name: app\nservices:\n  web:\n    image: iis\n" body

static void test_refusals(void **state) {
  (void)state;
  ct_reset();
  kube_options none = {0};
  kube_options secrets_ok = {.plain_text_secrets = true};
  kube_options hp = {.host_process_image = "hpc"};
  refused_text(ONE("    volumes: ['C:\\data:C:\\data']\n"), &none, WCTR_ENOTSUP,
               "services.web.volumes: a bind mount or a named pipe names this host's files, and a pod runs on any "
               "node of the cluster; use a PersistentVolumeClaim (not generated by wctr)");
  refused_text(ONE("    volumes: ['data:C:\\data']\nvolumes:\n  data: {}\n"), &none, WCTR_ENOTSUP,
               "services.web.volumes: a named or anonymous volume is a folder on this host, and a pod runs on any "
               "node of the cluster; use a PersistentVolumeClaim (not generated by wctr: its storage class and size "
               "are the cluster's choice)");
  refused_text(ONE("    volumes: ['C:\\cache']\n"), &none, WCTR_ENOTSUP,
               "services.web.volumes: a named or anonymous volume is a folder on this host, and a pod runs on any "
               "node of the cluster; use a PersistentVolumeClaim (not generated by wctr: its storage class and size "
               "are the cluster's choice)");
  refused_text(ONE("    cpu_percent: 50\n"), &none, WCTR_ENOTSUP,
               "services.web.cpu_percent: a share of a host's CPUs depends on the node's size; Kubernetes has no such "
               "limit (use cpus)");
  refused_text(ONE("    cpu_shares: 512\n"), &none, WCTR_ENOTSUP,
               "services.web.cpu_shares: a weight relative to the host's other containers has no Kubernetes "
               "equivalent (use cpus)");
  refused_text(ONE("    pids_limit: 100\n"), &none, WCTR_ENOTSUP,
               "services.web.pids_limit: Kubernetes sets a process limit per node (the kubelet's podPidsLimit), not per "
               "pod");
  refused_text(ONE("    logging: {driver: json-file, options: {max-size: 1k}}\n"), &none, WCTR_ENOTSUP,
               "services.web.logging.options: a pod's log files are rotated by the kubelet (containerLogMaxSize, "
               "containerLogMaxFiles), not per pod");
  refused_text(ONE("    entrypoint: []\n"), &none, WCTR_ENOTSUP,
               "services.web.entrypoint: [] clears the image's entrypoint, and an empty command in Kubernetes keeps it");
  refused_text(ONE("    cpus: 0.0005\n"), &none, WCTR_EINVAL,
               "services.web.cpus: 500000 nano-CPUs is finer than Kubernetes' CPU unit (1m, a thousandth of a CPU)");
  refused_text(ONE("    secrets: [db_password]\nsecrets:\n  db_password: {file: ./x}\n"), &none, WCTR_EACCES,
               "services.web.secrets: a Kubernetes Secret holds the value in base64 (no encryption), in the output "
               "and in the cluster; give --plain-text-secrets to write the values");
  assert_int_equal(host_state.secret_reads, 0); /* refused before any value was read */
  refused_text(ONE("    secrets: [missing]\nsecrets:\n  missing: {file: ./x}\n"), &secrets_ok, WCTR_ENOENT,
               "services.web.secrets: secret missing cannot be read from wctr's store: No such secret: missing");
  refused_text(ONE("    secrets: [a_b, a-b]\nsecrets:\n  a_b: {file: ./x}\n  a-b: {file: ./y}\n"), &secrets_ok,
               WCTR_EINVAL, "secrets.a-b and secrets.a_b would both be the Kubernetes object \"a-b\"");
  refused_text(ONE("    secrets: [Bad.]\nsecrets:\n  Bad.: {file: ./x}\n"), &secrets_ok, WCTR_EINVAL,
               "services.web.secrets[0]: invalid secret name \"Bad.\": use 1 to 64 characters [a-zA-Z0-9_.-], "
               "starting and ending with a letter or digit");
  ct_file(CT_DIR "\\plugin.json", spec_plugin);
  refused_text(ONE("    credential_spec: {config: plug}\nconfigs:\n  plug: {file: ./plugin.json}\n"), &none,
               WCTR_EACCES,
               "services.web.credential_spec: the spec's PluginInput may hold a password (wctr cannot tell a "
               "plugin's reference from a secret), and a GMSACredentialSpec is cluster-scoped, readable by everyone "
               "who may read gmsacredentialspecs; give --allow-plugin-input to write it anyway");
  refused_text(ONE("    credential_spec: {registry: web}\n"), &none, WCTR_ENOTSUP,
               "services.web.credential_spec: a registry:// spec is read from the registry of the host that runs the "
               "container, which a cluster node is not: store it as a file (wctr credentialspec add) or give it as a "
               "config of the project");
  refused_text(ONE("    credential_spec: {file: redacted.json}\n"), &none, WCTR_ENOENT,
               "services.web.credential_spec: wctrd never reveals the PluginInput of file://redacted.json; give the "
               "spec as a config of the project (credential_spec: {config: NAME}) to convert it");
  refused_text(ONE("    credential_spec: {file: nope.json}\n"), &none, WCTR_ENOENT,
               "services.web.credential_spec: file://nope.json cannot be read: no credential spec nope.json");
  refused_text(ONE("    isolation: job\n    command: [x]\n"), &hp, WCTR_EINVAL,
               "services.web.image: a job container's folder \"iis\" is a folder of this host; a HostProcess pod needs "
               "an image (build one from the folder)");
  refused_text("name: app\nservices:\n  web:\n    image: host\n    isolation: job\n    command: [x]\n", &none,
               WCTR_EINVAL,
               "services.web.image: \"host\" (the host's own files) is no image on a cluster; give "
               "--host-process-image IMAGE (a HostProcess base image)");
  refused_text("name: app\nservices:\n  web:\n    image: host\n    isolation: job\n    command: [x]\n"
               "    user: ContainerUser\n",
               &hp, WCTR_EINVAL,
               "services.web.user: a HostProcess container runs as NT AUTHORITY\\SYSTEM, NT AUTHORITY\\Local service "
               "or NT AUTHORITY\\NetworkService, not \"ContainerUser\"");
  refused_text("name: app\nservices:\n  web:\n    image: host\n    isolation: job\n    command: [x]\n"
               "    secrets: [s]\nsecrets:\n  s: {file: ./x}\n",
               &hp, WCTR_ENOTSUP,
               "services.web.secrets: a HostProcess container's volumes are mounted under its sandbox folder "
               "(%CONTAINER_SANDBOX_MOUNT_POINT%), not where wctr's job containers find them");
  refused_text("name: app\nservices:\n  Web_1:\n    image: iis\n", &none, WCTR_EINVAL,
               "services.Web_1: \"Web_1\" is not a Kubernetes name (DNS-1035: at most 63 lower-case letters, digits "
               "and '-', a letter first, a letter or digit last); other services reach it by this name, so wctr does "
               "not rename it");
  refused_text("name: app\nservices:\n  1web:\n    image: iis\n", &none, WCTR_EINVAL,
               "services.1web: \"1web\" is not a Kubernetes name (DNS-1035: at most 63 lower-case letters, digits "
               "and '-', a letter first, a letter or digit last); other services reach it by this name, so wctr does "
               "not rename it");
  refused_text(ONE("    hostname: WEB\n"), &none, WCTR_EINVAL,
               "services.web.hostname: \"WEB\" is not a pod hostname (DNS-1123 label: at most 63 lower-case "
               "letters, digits and '-')");
  refused_text(ONE("    user: 'a\\b\\c'\n"), &none, WCTR_EINVAL,
               "services.web.user: \"a\\b\\c\" is not a Windows user name Kubernetes accepts: it holds more than "
               "one '\\' (DOMAIN\\USER)");
  refused_text(ONE("    user: 'bob@corp'\n"), &none, WCTR_EINVAL,
               "services.web.user: \"bob@corp\" is not a Windows user name Kubernetes accepts: its user name holds "
               "one of \" / \\ [ ] : ; | = , + * ? < > @");
  refused_text(ONE("    environment: {\"caf\xC3\xA9\": x}\n"), &none, WCTR_EINVAL,
               "services.web.environment: \"caf\xC3\xA9\" is not a name Kubernetes accepts (printable ASCII without "
               "'=')");
  refused_text(ONE("    labels: [app.kubernetes.io/name=other]\n"), &none, WCTR_EINVAL,
               "services.web.labels: app.kubernetes.io/name is set by wctr's Kubernetes conversion");
  refused_text(ONE("    labels: ['a b=c']\n"), &none, WCTR_EINVAL,
               "services.web.labels: \"a b\" is neither a Kubernetes label key nor an annotation key ([prefix/]name, "
               "name at most 63 characters of letters, digits, '-', '_', '.')");
  refused_text("name: app_\nservices:\n  web:\n    image: iis\n", &none, WCTR_EINVAL,
               "project name \"app_\" cannot be the label app.kubernetes.io/part-of (at most 63 letters, digits, '-', "
               "'_', '.', a letter or digit at both ends)");
  kube_options bad_ns = {.namespace_name = "Team A"};
  refused_text(ONE(""), &bad_ns, WCTR_EINVAL,
               "namespace \"Team A\" is not a Kubernetes namespace name (DNS-1123 label)");
  /* compose_service_to_spec's refusals come through unchanged. */
  refused_text(ONE("    stop_grace_period: 2h\n"), &none, WCTR_EINVAL,
               "services.web.stop_grace_period: at most 1h (wctr's longest stop timeout)");
  host_state.bad_version = "ltsc2022";
  compose_project *p = ct_load_text(ONE(""));
  expect_refused(p, &none, WCTR_EINVAL,
                 "services.web.image: the OS version \"ltsc2022\" of iis is not M.m.build[.rev]");
  compose_free(p);
  host_state.bad_version = NULL;
  ct_reset();
}

static void test_refused_config_files(void **state) {
  (void)state;
  ct_reset();
  kube_options none = {0};
  char *big = malloc(KUBE_CONFIGMAP_MAX_BYTES + 2);
  memset(big, 'x', KUBE_CONFIGMAP_MAX_BYTES + 1);
  big[KUBE_CONFIGMAP_MAX_BYTES + 1] = '\0';
  ct_file(CT_DIR "\\big.txt", big);
  free(big);
  refused_text(ONE("    configs: [big]\nconfigs:\n  big: {file: ./big.txt}\n"), &none, WCTR_ETOOBIG,
               "configs.big: C:\\proj\\big.txt is 1048577 bytes; a ConfigMap holds at most 1 MiB");
  ct_file_error(CT_DIR "\\gone.txt", WCTR_EACCES);
  refused_text(ONE("    configs: [gone]\nconfigs:\n  gone: {file: ./gone.txt}\n"), &none, WCTR_EACCES,
               "configs.gone: C:\\proj\\gone.txt cannot be read: the test refused to read it");
  ct_reset();
}

/* Without a host (wctr without wctrd): the build label is left out, and what only wctrd holds is refused. */
static void test_without_host(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(ONE("    credential_spec: {file: api.json}\n"));
  kube_host bare = {0};
  kube_options none = {0};
  kube_output out;
  wctr_errmsg e;
  assert_int_equal(kube_convert(p, &none, &bare, &out, &e), WCTR_ENOENT);
  assert_string_equal(e.text, "services.web.credential_spec: file://api.json cannot be read: no wctrd to read it from");
  compose_free(p);
  p = ct_load_text(ONE("    command: [x]\n"));
  assert_int_equal(kube_convert(p, &none, &bare, &out, &e), WCTR_OK);
  const cJSON *sel = at(out.objects[0].body, "spec.template.spec.nodeSelector");
  assert_int_equal(cJSON_GetArraySize(sel), 1);
  assert_string_equal(str_at(out.objects[0].body, "spec.template.spec.containers.0.securityContext.windowsOptions."
                                                  "runAsUserName"),
                      "ContainerUser");
  kube_output_free(&out);
  assert_int_equal(kube_convert(NULL, &none, &bare, &out, &e), WCTR_EINVAL);
  compose_free(p);
  ct_reset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gmsa_hyperv_secrets), cmocka_unit_test(test_host_process),
      cmocka_unit_test(test_job_style),           cmocka_unit_test(test_services_from_ports),
      cmocka_unit_test(test_compose_ports_make_a_service),
      cmocka_unit_test(test_plugin_input_with_flag), cmocka_unit_test(test_binary_config_and_namespace),
      cmocka_unit_test(test_refusals),            cmocka_unit_test(test_refused_config_files),
      cmocka_unit_test(test_without_host),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
