/* The Docker Engine API front-end (service/engine_api.h) end to end without sockets: raw HTTP requests through
 * HTTP sessions (service/http.h) over the fake transport (tests/service/thttp.h), to the real operation layer,
 * the real container manager with the fake runtime (runtime/rt_fake.h) and the real version/info operations,
 * plus a small fake image catalog. Natively under ASan/UBSan and under Wine on the Windows I/O core. Every
 * case starts a manager on a fresh data root; the audit trail is captured. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/fs.h"
#include "common/ioc.h"
#include "runtime/rt_fake.h"
#include "service/engine_api.h"
#include "service/engine_api_internal.h"
#include "service/manager.h"
#include "service/networks.h"
#include "service/ops.h"
#include "service/system_ops.h"
#include "testutil.h"
#include "thttp.h"

enum { WAIT_MS = 10000 };
#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"

static wctr_ioc *ioc;
static svc_manager *mgr;
static svc_ops *ops;
static svc_networks *nets;
static svc_engine_api *api;
static char root[512];

/* --- the audit trail, captured ------------------------------------------------------------------------------- */

static pthread_mutex_t audit_mu = PTHREAD_MUTEX_INITIALIZER;
static cJSON *audit_records;

static void audit(void *ctx, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                  const char *detail) {
  (void)ctx;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "Caller", caller->name);
  cJSON_AddStringToObject(r, "Op", op);
  cJSON_AddStringToObject(r, "Target", target);
  cJSON_AddStringToObject(r, "Result", wctr_err_name(result));
  cJSON_AddStringToObject(r, "Detail", detail != NULL ? detail : "");
  pthread_mutex_lock(&audit_mu);
  cJSON_AddItemToArray(audit_records, r);
  pthread_mutex_unlock(&audit_mu);
}

/* A record whose fields contain each given text (NULL: any). */
static bool audited(const char *op, const char *result, const char *detail_part) {
  bool found = false;
  pthread_mutex_lock(&audit_mu);
  const cJSON *r;
  cJSON_ArrayForEach(r, audit_records) {
    const char *o = cJSON_GetObjectItemCaseSensitive(r, "Op")->valuestring;
    const char *res = cJSON_GetObjectItemCaseSensitive(r, "Result")->valuestring;
    const char *d = cJSON_GetObjectItemCaseSensitive(r, "Detail")->valuestring;
    const char *c = cJSON_GetObjectItemCaseSensitive(r, "Caller")->valuestring;
    if ((op == NULL || strcmp(o, op) == 0) && (result == NULL || strcmp(res, result) == 0) &&
        (detail_part == NULL || strstr(d, detail_part) != NULL) && strcmp(c, "token holder on tcp://127.0.0.1:2375") == 0) {
      found = true;
    }
  }
  pthread_mutex_unlock(&audit_mu);
  return found;
}

/* --- host facts for version/info, and a fake image catalog --------------------------------------------------------- */

static void facts(void *ctx, svc_host_facts *f) {
  (void)ctx;
  memset(f, 0, sizeof *f);
  snprintf(f->os_name, sizeof f->os_name, "Windows Server 2022 Datacenter");
  snprintf(f->os_version, sizeof f->os_version, "10.0.20348");
  f->server_sku = true;
  f->job_available = true;
}

static wctr_err pipe_sddl(void *ctx, char *buf, size_t size, wctr_errmsg *e) {
  (void)ctx;
  (void)e;
  snprintf(buf, size, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  return WCTR_OK;
}

static svc_system_host system_host = {.host_facts = facts, .pipe_sddl = pipe_sddl, .data_root = "C:\\wctr",
                                      .pipe_path = "\\\\.\\pipe\\wctr_engine"};

static bool image_removed;

static cJSON *image_record(void) {
  return cJSON_Parse("{\"Name\":\"testimg:latest\",\"Layers\":[{\"Id\":\"0a1b2c3d-4e5f-6789-abcd-ef0123456789\",\"Path\":"
                     "\"C:\\\\layers\\\\app\"},{\"Id\":\"fedcba98-7654-3210-fedc-ba9876543210\",\"Path\":\"C:\\\\layers\\\\base\"}],"
                     "\"OsVersion\":\"10.0.20348.1\",\"Cmd\":[\"cmd\",\"/c\",\"echo hi\"],\"Created\":\"2026-01-02T03:04:05.000Z\"}");
}

static bool is_testimg(const cJSON *params) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(params, "Name");
  return !image_removed && cJSON_IsString(n) &&
         (strcmp(n->valuestring, "testimg") == 0 || strcmp(n->valuestring, "testimg:latest") == 0);
}

static wctr_err img_list(void *ctx, const svc_caller *c, const cJSON *p, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)c, (void)p, (void)e;
  *result = cJSON_CreateArray();
  if (!image_removed) cJSON_AddItemToArray(*result, image_record());
  return WCTR_OK;
}

static wctr_err img_inspect(void *ctx, const svc_caller *c, const cJSON *p, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)c;
  if (!is_testimg(p)) return wctr_fail(e, WCTR_ENOENT, "No such image: %s", cJSON_GetObjectItemCaseSensitive(p, "Name")->valuestring);
  *result = image_record();
  return WCTR_OK;
}

static wctr_err img_remove(void *ctx, const svc_caller *c, const cJSON *p, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)c;
  if (!is_testimg(p)) return wctr_fail(e, WCTR_ENOENT, "No such image");
  image_removed = true;
  /* what image.remove answers for a catalog image (service/image_ops.c) */
  *result = cJSON_CreateArray();
  cJSON *u = cJSON_CreateObject();
  cJSON_AddStringToObject(u, "Untagged", cJSON_GetObjectItemCaseSensitive(p, "Name")->valuestring);
  cJSON_AddItemToArray(*result, u);
  return WCTR_OK;
}

static const svc_op image_ops[] = {
    {.name = "image.list", .call = img_list},
    {.name = "image.inspect", .call = img_inspect},
    {.name = "image.remove", .call = img_remove},
};

/* A fake HNS for the networks (service/networks.h): created networks get 172.2x.0.0/16. */
static cJSON *hns_networks;
static int hns_next = 20;

static wctr_err hns_list(void *ctx, cJSON **out, wctr_errmsg *e) {
  (void)ctx;
  (void)e;
  *out = cJSON_Duplicate(hns_networks, true);
  return WCTR_OK;
}

static wctr_err hns_create(void *ctx, const char *id, const cJSON *doc, cJSON **props, wctr_errmsg *e) {
  (void)ctx;
  (void)e;
  cJSON *p = cJSON_Duplicate(doc, true);
  cJSON_AddStringToObject(p, "ID", id);
  if (cJSON_GetObjectItem(p, "Ipams") == NULL) {
    char ipams[200];
    snprintf(ipams, sizeof ipams, "[{\"Type\":\"Static\",\"Subnets\":[{\"IpAddressPrefix\":\"172.%d.0.0/16\"}]}]", hns_next++);
    cJSON_AddItemToObject(p, "Ipams", cJSON_Parse(ipams));
  }
  cJSON_AddItemToArray(hns_networks, cJSON_Duplicate(p, true));
  *props = p;
  return WCTR_OK;
}

static wctr_err hns_remove(void *ctx, const char *id, wctr_errmsg *e) {
  (void)ctx;
  for (cJSON *n = hns_networks->child; n != NULL; n = n->next) {
    if (strcmp(cJSON_GetObjectItem(n, "ID")->valuestring, id) == 0) {
      cJSON_Delete(cJSON_DetachItemViaPointer(hns_networks, n));
      return WCTR_OK;
    }
  }
  return wctr_fail(e, WCTR_ENOENT, "no such network");
}

static const svc_hns fake_hns = {.list = hns_list, .create = hns_create, .remove = hns_remove};

/* --- setup ------------------------------------------------------------------------------------------------------------ */

static int setup(void **state) {
  (void)state;
  char name[64];
  wctr_test_unique_name("wctr-api", name, sizeof name);
#ifdef _WIN32
  snprintf(root, sizeof root, "C:\\%s", name);
#else
  snprintf(root, sizeof root, "/tmp/%s", name);
#endif
  wctr_errmsg e;
  if (wctr_fs_mkdir(root, &e) != WCTR_OK) fail_msg("%s", e.text);
  wctr_ioc_options io = {.workers = 2, .pool_max = 8};
  if (wctr_ioc_start(&io, &ioc, &e) != WCTR_OK) fail_msg("ioc: %s", e.text);
  rt_fake_reset();
  image_removed = false;
  audit_records = cJSON_CreateArray();
  svc_manager_options o = {.ioc = ioc, .data_root = root, .server_sku = true, .host_cpus = 4,
                           .host_os_version = "10.0.20348", .open_job = rt_fake_open, .open_hcs = rt_fake_open,
                           .kill_wait_ms = 2000};
  if (svc_manager_start(&o, &mgr, &e) != WCTR_OK) fail_msg("manager: %s", e.text);
  if (svc_ops_new(ioc, audit, NULL, &ops, &e) != WCTR_OK) fail_msg("%s", e.text);
  size_t n = 0;
  const svc_op *t = svc_system_ops(&n);
  if (svc_ops_add(ops, t, n, &system_host, &e) != WCTR_OK) fail_msg("%s", e.text);
  t = svc_manager_ops(&n);
  if (svc_ops_add(ops, t, n, mgr, &e) != WCTR_OK) fail_msg("%s", e.text);
  t = svc_manager_volume_ops(&n);
  if (svc_ops_add(ops, t, n, mgr, &e) != WCTR_OK) fail_msg("%s", e.text);
  if (svc_ops_add(ops, image_ops, 3, NULL, &e) != WCTR_OK) fail_msg("%s", e.text);
  hns_networks = cJSON_CreateArray();
  hns_next = 20;
  if (svc_networks_open(root, "wctr-test", &fake_hns, &nets, &e) != WCTR_OK) fail_msg("networks: %s", e.text);
  svc_networks_ensure_default(nets);
  t = svc_networks_ops(&n);
  if (svc_ops_add(ops, t, n, nets, &e) != WCTR_OK) fail_msg("%s", e.text);
  svc_engine_api_options ao = {.ioc = ioc, .ops = ops, .token = TOKEN};
  snprintf(ao.host.os_version, sizeof ao.host.os_version, "10.0.20348");
  snprintf(ao.host.hostname, sizeof ao.host.hostname, "testhost");
  ao.host.host_cpus = 4;
  ao.host.mem_total = 8ull << 30;
  if (svc_engine_api_new(&ao, &api, &e) != WCTR_OK) fail_msg("%s", e.text);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_manager_stop(mgr);
  svc_ops_free(ops);
  svc_networks_close(nets);
  cJSON_Delete(hns_networks);
  svc_engine_api_free(api);
  wctr_ioc_stop(ioc);
  cJSON_Delete(audit_records);
  wctr_errmsg e;
  wctr_fs_remove_tree(root, &e);
  return 0;
}

/* --- requests ---------------------------------------------------------------------------------------------------------- */

typedef struct conn {
  thttp t;
  bool open;
} conn;

static conn *connect_api(bool tcp) {
  conn *c = calloc(1, sizeof *c);
  thttp_init(&c->t, ioc, svc_engine_api_handler(api, tcp), tcp ? "token holder on tcp://127.0.0.1:2375" : "TEST\\piper");
  c->open = true;
  return c;
}

static void disconnect(conn *c) {
  thttp_gone(&c->t);
  if (!thttp_wait_released(&c->t, WAIT_MS)) fail_msg("the session did not release its connection");
  thttp_free(&c->t);
  free(c);
}

/* Waits until the first response on c is complete (or, for a stream, its head arrived when want_complete is
 * false). */
static void read_response(conn *c, bool head_request, bool want_complete, thttp_resp *r) {
  for (int rounds = 0; rounds < WAIT_MS / 5; rounds++) {
    size_t len = 0;
    char *out = thttp_output(&c->t, &len);
    size_t n = thttp_parse(out, len, head_request, r);
    free(out);
    if (n > 0 && (r->complete || !want_complete)) return;
    if (n > 0) thttp_resp_free(r);
    thttp_wait_len(&c->t, len + 1, 50);
  }
  char *out = thttp_output(&c->t, NULL);
  fail_msg("no complete response in:\n%s", out);
}

/* One request on a fresh TCP connection (with the token); the response complete. */
static void request(const char *method, const char *target, const char *body, thttp_resp *r) {
  conn *c = connect_api(true);
  char head[2048];
  snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: api\r\n" AUTH "Content-Type: application/json\r\n"
           "Content-Length: %zu\r\n\r\n", method, target, body != NULL ? strlen(body) : 0);
  thttp_feed_text(&c->t, head);
  if (body != NULL) thttp_feed_text(&c->t, body);
  read_response(c, strcmp(method, "HEAD") == 0, true, r);
  disconnect(c);
}

static cJSON *request_json(const char *method, const char *target, const char *body, int want_status) {
  thttp_resp r;
  request(method, target, body, &r);
  if (r.status != want_status) fail_msg("%s %s: status %d, wanted %d: %s", method, target, r.status, want_status, r.body);
  cJSON *j = r.body_len > 0 ? cJSON_Parse(r.body) : NULL;
  if (r.body_len > 0 && j == NULL) fail_msg("%s %s: not JSON: %s", method, target, r.body);
  thttp_resp_free(&r);
  return j;
}

/* A refusal: status and {"message"} containing text. */
static void expect_error(const char *method, const char *target, const char *body, int status, const char *text) {
  cJSON *j = request_json(method, target, body, status);
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
  if (!cJSON_IsString(m) || strstr(m->valuestring, text) == NULL) {
    fail_msg("%s %s: message %s lacks \"%s\"", method, target, cJSON_IsString(m) ? m->valuestring : "(none)", text);
  }
  cJSON_Delete(j);
}

static const char *str_at(const cJSON *j, const char *a, const char *b) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
  if (b != NULL) v = cJSON_GetObjectItemCaseSensitive(v, b);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const cJSON *j, const char *a, const char *b) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, a);
  if (b != NULL) v = cJSON_GetObjectItemCaseSensitive(v, b);
  return cJSON_IsNumber(v) ? v->valuedouble : -999;
}

/* A container as the docker CLI creates it (every field it sends), with the script as its command. */
static char *base_body(const char *script_json) {
  char *b = malloc(8192);
  snprintf(b, 8192,
           "{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":true,"
           "\"AttachStderr\":true,\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":[\"A=1\"],"
           "\"Cmd\":%s,\"Image\":\"host\",\"Volumes\":{},\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,"
           "\"Labels\":{\"tier\":\"web\"}%s,"
           "\"HostConfig\":{\"Binds\":null,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"\",\"Config\":{}},"
           "\"NetworkMode\":\"default\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},"
           "\"AutoRemove\":false,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"CapAdd\":null,\"CapDrop\":null,"
           "\"CgroupnsMode\":\"\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"GroupAdd\":null,"
           "\"IpcMode\":\"\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\"PidMode\":\"\",\"Privileged\":false,"
           "\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\","
           "\"ShmSize\":0,\"ConsoleSize\":[0,0],\"Isolation\":\"job\",\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0,"
           "\"CgroupParent\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceReadBps\":null,"
           "\"BlkioDeviceWriteBps\":null,\"BlkioDeviceReadIOps\":null,\"BlkioDeviceWriteIOps\":null,\"CpuPeriod\":0,"
           "\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"CpusetCpus\":\"\",\"CpusetMems\":\"\","
           "\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRequests\":null,\"KernelMemory\":0,\"KernelMemoryTCP\":0,"
           "\"MemoryReservation\":0,\"MemorySwap\":0,\"MemorySwappiness\":null,\"OomKillDisable\":false,"
           "\"PidsLimit\":null,\"Ulimits\":null,\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,"
           "\"IOMaximumBandwidth\":0,\"MaskedPaths\":null,\"ReadonlyPaths\":null%s},"
           "\"NetworkingConfig\":{\"EndpointsConfig\":{}}}",
           script_json, "", "");
  return b;
}

/* Replaces (or adds) the fields of extra (",\"Key\":value..." without braces) in obj. */
static void merge(cJSON *obj, const char *extra) {
  if (extra == NULL) return;
  size_t n = strlen(extra) + 3;
  char *text = malloc(n);
  snprintf(text, n, "{%s}", extra[0] == ',' ? extra + 1 : extra);
  cJSON *e = cJSON_Parse(text);
  if (e == NULL) fail_msg("bad extra fields: %s", text);
  free(text);
  while (e->child != NULL) {
    cJSON *item = cJSON_DetachItemViaPointer(e, e->child);
    cJSON_DeleteItemFromObjectCaseSensitive(obj, item->string);
    cJSON_AddItemToObject(obj, item->string, item);
  }
  cJSON_Delete(e);
}

static char *create_body(const char *script_json, const char *extra_config, const char *extra_host) {
  char *b = base_body(script_json);
  cJSON *j = cJSON_Parse(b);
  free(b);
  if (j == NULL) fail_msg("the test's create body is not JSON");
  merge(j, extra_config);
  merge(cJSON_GetObjectItemCaseSensitive(j, "HostConfig"), extra_host);
  char *text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  return text;
}

/* Creates a container; returns its id (static per call slot). */
static const char *create(const char *name, const char *script_json, const char *extra_config, const char *extra_host) {
  static char ids[8][80];
  static int next;
  char target[256];
  snprintf(target, sizeof target, "/v1.41/containers/create%s%s", name != NULL ? "?name=" : "", name != NULL ? name : "");
  char *body = create_body(script_json, extra_config, extra_host);
  cJSON *j = request_json("POST", target, body, 201);
  free(body);
  char *slot = ids[next++ % 8];
  snprintf(slot, 80, "%s", str_at(j, "Id", NULL));
  assert_int_equal(strlen(slot), 64);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "Warnings")));
  cJSON_Delete(j);
  return slot;
}

/* target + "?" or "&" + "filters=" + the JSON, percent-encoded (into a static buffer per call slot). */
static const char *with_filters(const char *target, const char *json) {
  static char out[4][1024];
  static int next;
  char *o = out[next++ % 4];
  size_t n = (size_t)snprintf(o, 1024, "%s%sfilters=", target, strchr(target, '?') != NULL ? "&" : "?");
  for (const char *p = json; *p != '\0' && n + 4 < 1024; p++) {
    unsigned char ch = (unsigned char)*p;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_') {
      o[n++] = (char)ch;
    } else {
      n += (size_t)snprintf(o + n, 1024 - n, "%%%02X", ch);
    }
  }
  o[n] = '\0';
  return o;
}

/* The names of a list answer, in order, as "a,b,c". */
static void names_of(const cJSON *list, char *out, size_t size) {
  size_t n = 0;
  out[0] = '\0';
  const cJSON *c;
  cJSON_ArrayForEach(c, list) {
    const char *name = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "Names"), 0)->valuestring;
    n += (size_t)snprintf(out + n, size - n, "%s%s", n > 0 ? "," : "", name + 1);
    if (n >= size) break;
  }
}

static void expect_names(const char *target, const char *want) {
  cJSON *l = request_json("GET", target, NULL, 200);
  char got[512];
  names_of(l, got, sizeof got);
  cJSON_Delete(l);
  if (strcmp(got, want) != 0) fail_msg("GET %s: \"%s\", wanted \"%s\"", target, got, want);
}

static cJSON *inspect(const char *ref) {
  char target[256];
  snprintf(target, sizeof target, "/containers/%s/json", ref);
  return request_json("GET", target, NULL, 200);
}

static bool wait_status(const char *ref, const char *want) {
  for (int i = 0; i < WAIT_MS / 10; i++) {
    cJSON *j = inspect(ref);
    bool ok = strcmp(str_at(j, "State", "Status"), want) == 0;
    cJSON_Delete(j);
    if (ok) return true;
    wctr_sleep_ms(10);
  }
  return false;
}

static void post_204(const char *ref, const char *action, int want) {
  char target[256];
  snprintf(target, sizeof target, "/v1.41/containers/%s/%s", ref, action);
  thttp_resp r;
  request("POST", target, NULL, &r);
  if (r.status != want) fail_msg("POST %s: %d (%s), wanted %d", target, r.status, r.body, want);
  thttp_resp_free(&r);
}

/* --- cases: the protocol ------------------------------------------------------------------------------------------------ */

static void test_ping_and_headers(void **state) {
  (void)state;
  thttp_resp r;
  request("GET", "/_ping", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "OK");
  char v[128];
  assert_true(thttp_header(&r, "Api-Version", v, sizeof v));
  assert_string_equal(v, "1.41");
  assert_true(thttp_header(&r, "Ostype", v, sizeof v));
  assert_string_equal(v, "windows");
  assert_true(thttp_header(&r, "Docker-Experimental", v, sizeof v));
  assert_true(thttp_header(&r, "Server", v, sizeof v));
  assert_non_null(strstr(v, "wctr/"));
  thttp_resp_free(&r);
  request("HEAD", "/_ping", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(thttp_header(&r, "Content-Length", v, sizeof v));
  assert_string_equal(v, "0");
  assert_true(thttp_header(&r, "Api-Version", v, sizeof v));
  thttp_resp_free(&r);
  /* Every answer carries the version headers, errors included. */
  request("GET", "/nowhere", NULL, &r);
  assert_int_equal(r.status, 404);
  assert_true(thttp_header(&r, "Api-Version", v, sizeof v));
  assert_string_equal(r.body, "{\"message\":\"page not found\"}\n");
  thttp_resp_free(&r);
  assert_true(audited("engine-api", "unknown_op", "page not found"));
}

static void test_token(void **state) {
  (void)state;
  const char *cases[] = {"", "Authorization: Bearer nope\r\n", "Authorization: Basic " TOKEN "\r\n",
                         "Authorization: Bearer " TOKEN "x\r\n"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    conn *c = connect_api(true);
    char head[512];
    snprintf(head, sizeof head, "GET /v1.41/containers/json HTTP/1.1\r\n%s\r\n", cases[i]);
    thttp_feed_text(&c->t, head);
    thttp_resp r;
    read_response(c, false, true, &r);
    assert_int_equal(r.status, 401);
    assert_non_null(strstr(r.body, "Bearer"));
    assert_null(strstr(r.body, TOKEN)); /* never echoed */
    thttp_resp_free(&r);
    disconnect(c);
  }
  assert_true(audited("engine-api", "access_denied", "no token"));
  assert_true(audited("engine-api", "access_denied", "wrong token"));
  /* The pipe listener needs none: its DACL decides who connects. */
  conn *c = connect_api(false);
  thttp_feed_text(&c->t, "GET /version HTTP/1.1\r\n\r\n");
  thttp_resp r;
  read_response(c, false, true, &r);
  assert_int_equal(r.status, 200);
  thttp_resp_free(&r);
  disconnect(c);
}

static void test_versions(void **state) {
  (void)state;
  cJSON *v = request_json("GET", "/v1.24/version", NULL, 200);
  assert_string_equal(str_at(v, "ApiVersion", NULL), "1.41");
  assert_string_equal(str_at(v, "MinAPIVersion", NULL), "1.24");
  assert_string_equal(str_at(v, "Os", NULL), "windows");
  assert_string_equal(str_at(v, "KernelVersion", NULL), "10.0.20348");
  cJSON_Delete(v);
  expect_error("GET", "/v1.42/version", NULL, 400, "client version 1.42 is too new. Maximum supported API version is 1.41");
  expect_error("GET", "/v2.0/version", NULL, 400, "is too new");
  expect_error("GET", "/v1.23/version", NULL, 400,
               "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client");
  expect_error("GET", "/vx/version", NULL, 404, "page not found");
  cJSON *info = request_json("GET", "/info", NULL, 200);
  assert_string_equal(str_at(info, "OSType", NULL), "windows");
  assert_string_equal(str_at(info, "OperatingSystem", NULL), "Windows Server 2022 Datacenter");
  assert_string_equal(str_at(info, "Isolation", NULL), "process");
  assert_string_equal(str_at(info, "Swarm", "LocalNodeState"), "inactive");
  assert_int_equal(num_at(info, "NCPU", NULL), 4);
  assert_int_equal(num_at(info, "Images", NULL), 1);
  cJSON_Delete(info);
}

/* --- create -------------------------------------------------------------------------------------------------------------- */

static void test_create_maps_and_inspect_shape(void **state) {
  (void)state;
  const char *id = create("web", "[\"out=hi\\\\n\"]", ",\"StopTimeout\":7", ",\"Memory\":314572800,\"PidsLimit\":0");
  cJSON *j = inspect("web");
  assert_string_equal(str_at(j, "Id", NULL), id);
  assert_string_equal(str_at(j, "Name", NULL), "/web");
  assert_string_equal(str_at(j, "Path", NULL), "out=hi\\n");
  assert_string_equal(str_at(j, "State", "Status"), "created");
  assert_string_equal(str_at(j, "State", "StartedAt"), "0001-01-01T00:00:00Z");
  assert_string_equal(str_at(j, "HostConfig", "Isolation"), "job");
  assert_int_equal(num_at(j, "HostConfig", "Memory"), 314572800);
  assert_string_equal(str_at(j, "Config", "Image"), "host");
  assert_int_equal(num_at(j, "Config", "StopTimeout"), 7);
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "Config"), "Labels");
  assert_string_equal(str_at(labels, "tier", NULL), "web");
  const cJSON *env = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "Config"), "Env");
  assert_string_equal(cJSON_GetArrayItem(env, 0)->valuestring, "A=1");
  /* A job container shares the host's network stack: Docker's "host". */
  assert_string_equal(str_at(j, "HostConfig", "NetworkMode"), "host");
  assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "Wctr")); /* wctr's own view beside Docker's */
  cJSON_Delete(j);
  /* Entrypoint and Cmd make the command, as Docker's (a string Entrypoint is one argument). */
  char *body = create_body("[\"exit=4\"]", NULL, NULL);
  cJSON *parsed = cJSON_Parse(body);
  cJSON_ReplaceItemInObjectCaseSensitive(parsed, "Entrypoint", cJSON_CreateString("out=ep"));
  char *text = cJSON_PrintUnformatted(parsed);
  cJSON_Delete(parsed);
  free(body);
  cJSON *c = request_json("POST", "/containers/create?name=/ep", text, 201);
  cJSON_Delete(c);
  free(text);
  j = inspect("ep");
  assert_string_equal(str_at(j, "Path", NULL), "out=ep");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "Args"), 0)->valuestring, "exit=4");
  cJSON_Delete(j);
  /* A change is audited with the connection's caller. */
  assert_true(audited("container.create", "ok", NULL));
}

static void test_create_refuses_what_it_cannot_apply(void **state) {
  (void)state;
  struct {
    const char *config, *host, *text;
  } cases[] = {
      {NULL, ",\"Privileged\":true", "HostConfig.Privileged: wctr cannot apply this field"},
      {NULL, ",\"CapAdd\":[\"NET_ADMIN\"]", "HostConfig.CapAdd"},
      {NULL, ",\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"8080\"}]}", "a job container shares the host's network"},
      {NULL, ",\"DnsOptions\":[\"ndots:2\"]", "HostConfig.DnsOptions"},
      {NULL, ",\"CpuQuota\":50000", "HostConfig.CpuQuota"},
      {NULL, ",\"MemorySwap\":1073741824", "HostConfig.MemorySwap"},
      {NULL, ",\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"C:\\\\v\"}]", "HostConfig.Mounts[0]"},
      {NULL, ",\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"C:\\\\v\"}]", "HostConfig.Mounts[0].Source: create v"},
      {NULL, ",\"Frobnicate\":1", "HostConfig.Frobnicate: unknown field"},
      {",\"MacAddress\":\"02:42:ac:11:00:02\"", NULL, "--mac-address: a job container"},
      {",\"Healthcheck\":{\"Test\":[\"CMD\",\"x\"],\"Interval\":5}", NULL, "Interval in Healthcheck cannot be less than 1ms"},
      {",\"Frob\":true", NULL, "Frob: unknown field"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *body = create_body("[\"exit=0\"]", cases[i].config, cases[i].host);
    expect_error("POST", "/containers/create?name=refused", body, 400, cases[i].text);
    free(body);
  }
  /* LogConfig and NetworkMode: the CLI always sends them; other log drivers, and a mode the isolation cannot have,
   * are refused. */
  char *body = create_body("[\"exit=0\"]", NULL, ",\"LogConfig\":{\"Type\":\"syslog\",\"Config\":{}}");
  expect_error("POST", "/containers/create", body, 400, "json-file driver only");
  free(body);
  body = create_body("[\"exit=0\"]", NULL, ",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-sise\":\"1m\"}}");
  expect_error("POST", "/containers/create", body, 400,
               "HostConfig.LogConfig.Config: unknown log opt 'max-sise' for json-file log driver");
  free(body);
  body = create_body("[\"exit=0\"]", NULL, ",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"max-file\":\"0\"}}");
  expect_error("POST", "/containers/create", body, 400, "max-file cannot be less than 1");
  free(body);
  body = create_body("[\"exit=0\"]", NULL, ",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"tag\":\"{{.Name\"}}");
  expect_error("POST", "/containers/create", body, 400,
               "failed to initialize logging driver: template: log-tag:1: unclosed action");
  free(body);
  body = create_body("[\"exit=0\"]", NULL, ",\"NetworkMode\":\"none\"");
  expect_error("POST", "/containers/create", body, 400, "--network none: a job container shares the host's network");
  free(body);
  body = create_body("[\"exit=0\"]", ",\"OpenStdin\":true,\"StdinOnce\":\"no\"", NULL);
  expect_error("POST", "/containers/create", body, 400, "StdinOnce must be a boolean");
  free(body);
  expect_error("POST", "/containers/create", "not json", 400, "must be a JSON object");
  expect_error("POST", "/containers/create?platform=linux", "{}", 400, "Windows containers only");
  /* Nothing was created, and each refusal is in the trail. */
  cJSON *list = request_json("GET", "/containers/json?all=1", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(list), 0);
  cJSON_Delete(list);
  assert_true(audited("container.create", "invalid_argument", "HostConfig.Privileged"));
  /* A name in use: 409. */
  create("taken", "[\"exit=0\"]", NULL, NULL);
  body = create_body("[\"exit=0\"]", NULL, NULL);
  expect_error("POST", "/containers/create?name=taken", body, 409, "is already in use");
  free(body);
}

/* --- lifecycle -------------------------------------------------------------------------------------------------------- */

static void test_list_filters_and_status(void **state) {
  (void)state;
  const char *a = create("alpha", "[\"exit=3\"]", NULL, NULL);
  create("beta", "[\"wait\"]", ",\"Labels\":{\"tier\":\"db\"}", NULL);
  create("gamma", "[\"exit=0\"]", NULL, NULL);
  post_204("alpha", "start", 204);
  assert_true(wait_status("alpha", "exited"));
  post_204("beta", "start", 204);
  assert_true(wait_status("beta", "running"));
  cJSON *l = request_json("GET", "/containers/json", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1); /* running only */
  const cJSON *b = cJSON_GetArrayItem(l, 0);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "Names"), 0)->valuestring, "/beta");
  assert_int_equal(strncmp(str_at(b, "Status", NULL), "Up ", 3), 0);
  assert_string_equal(str_at(b, "State", NULL), "running");
  cJSON_Delete(l);
  l = request_json("GET", "/containers/json?all=1", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 3);
  /* Newest first, as Docker lists them. */
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 2), "Names"), 0)->valuestring,
                      "/alpha");
  cJSON_Delete(l);
  l = request_json("GET", "/containers/json?all=1&limit=1", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  cJSON_Delete(l);
  /* Docker CLI's filters form {"key":{"value":true}} and docker-py's {"key":["value"]}. */
  l = request_json("GET", "/containers/json?all=1&filters=%7B%22label%22%3A%7B%22tier%3Ddb%22%3Atrue%7D%7D", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  cJSON_Delete(l);
  l = request_json("GET", "/containers/json?filters=%7B%22status%22%3A%5B%22exited%22%5D%7D", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  assert_string_equal(str_at(cJSON_GetArrayItem(l, 0), "Id", NULL), a);
  assert_int_equal(strncmp(str_at(cJSON_GetArrayItem(l, 0), "Status", NULL), "Exited (3) ", 11), 0);
  cJSON_Delete(l);
  l = request_json("GET", "/containers/json?all=1&filters=%7B%22name%22%3A%5B%22amm%22%5D%7D", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1); /* gamma */
  cJSON_Delete(l);
  char target[256];
  snprintf(target, sizeof target, "/containers/json?all=1&filters=%%7B%%22exited%%22%%3A%%5B%%223%%22%%5D%%2C%%22id%%22%%3A%%5B%%22%.6s%%22%%5D%%7D", a);
  l = request_json("GET", target, NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  cJSON_Delete(l);
  snprintf(target, sizeof target, "/containers/json?all=1&filters=%%7B%%22exited%%22%%3A%%5B%%220%%22%%5D%%2C%%22id%%22%%3A%%5B%%22%.6s%%22%%5D%%7D", a);
  l = request_json("GET", target, NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 0);
  cJSON_Delete(l);
  expect_error("GET", "/containers/json?filters=%7B%22network%22%3A%5B%22x%22%5D%7D", NULL, 400, "invalid filter 'network'");
  expect_error("GET", "/containers/json?filters=notjson", NULL, 400, "invalid filter");
  expect_error("GET", "/containers/json?all=maybe", NULL, 400, "not a boolean");
  post_204("beta", "kill", 204);
}

static void test_list_before_since_limit_and_more_filters(void **state) {
  (void)state;
  /* Created in this order (apart in time: Docker orders by creation), none running. */
  create("one", "[\"exit=0\"]", NULL, NULL);
  wctr_sleep_ms(20);
  create("two", "[\"exit=0\"]", ",\"Labels\":{\"tier\":\"db\"}", NULL);
  wctr_sleep_ms(20);
  create("three", "[\"exit=0\"]", NULL, NULL);
  expect_names("/containers/json", "");
  /* A limit includes stopped containers (Docker: "the most recently created, including non-running ones"). */
  expect_names("/containers/json?limit=2", "three,two");
  /* before/since: older / newer than the one named, stopped ones included. */
  expect_names(with_filters("/containers/json", "{\"before\":[\"three\"]}"), "two,one");
  expect_names(with_filters("/containers/json", "{\"since\":[\"one\"]}"), "three,two");
  expect_names(with_filters("/containers/json", "{\"since\":[\"one\"],\"before\":[\"three\"]}"), "two");
  expect_names(with_filters("/containers/json?limit=1", "{\"before\":[\"three\"]}"), "two");
  /* The named container need not pass the other filters. */
  expect_names(with_filters("/containers/json", "{\"before\":[\"three\"],\"label\":[\"tier=db\"]}"), "two");
  expect_names(with_filters("/containers/json?all=1", "{\"label\":[\"tier\"]}"), "three,two,one");
  expect_names(with_filters("/containers/json?all=1", "{\"label\":[\"tier=web\",\"tier=db\"]}"), ""); /* all must match */
  expect_error("GET", with_filters("/containers/json", "{\"before\":[\"nope\"]}"), NULL, 404, "No such container: nope");
  /* health: no health checks, so "none" for all; is-task: never. */
  expect_names(with_filters("/containers/json?all=1", "{\"health\":[\"none\"]}"), "three,two,one");
  expect_names(with_filters("/containers/json?all=1", "{\"health\":[\"healthy\"]}"), "");
  expect_names(with_filters("/containers/json?all=1", "{\"is-task\":[\"false\"]}"), "three,two,one");
  expect_names(with_filters("/containers/json?all=1", "{\"is-task\":[\"true\"]}"), "");
  expect_error("GET", with_filters("/containers/json", "{\"health\":[\"fine\"]}"), NULL, 400, "invalid filter 'health=fine'");
  expect_error("GET", with_filters("/containers/json", "{\"status\":[\"sleeping\"]}"), NULL, 400, "invalid filter 'status=sleeping'");
  expect_error("GET", with_filters("/containers/json", "{\"exited\":[\"x\"]}"), NULL, 400, "invalid filter 'exited=x'");
  /* Docker's keys wctr cannot decide say why. */
  expect_error("GET", with_filters("/containers/json", "{\"volume\":[\"C:\\\\data\"]}"), NULL, 400, "invalid filter 'volume'");
  expect_error("GET", with_filters("/containers/json", "{\"publish\":[\"80\"]}"), NULL, 400, "does not filter on ports");
  assert_true(audited("container.list", "invalid_argument", "invalid filter 'volume'"));
}

static void test_pause_and_unpause(void **state) {
  (void)state;
  create("frz", "[\"wait\"]", NULL, NULL);
  /* Docker's statuses: not running 409, not paused 500, no such container 404. */
  expect_error("POST", "/containers/frz/pause", NULL, 409, "is not running");
  expect_error("POST", "/containers/frz/unpause", NULL, 500, "is not paused");
  expect_error("POST", "/containers/nope/pause", NULL, 404, "No such container: nope");
  post_204("frz", "start", 204);
  assert_true(wait_status("frz", "running"));
  post_204("frz", "pause", 204);
  assert_true(wait_status("frz", "paused"));
  cJSON *j = request_json("GET", "/containers/frz/json", NULL, 200);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "State"), "Paused")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "State"), "Running")));
  cJSON_Delete(j);
  /* the list shows it without all=1, as Docker's (it is running), with Docker's status text */
  cJSON *list = request_json("GET", "/containers/json", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(list), 1);
  const cJSON *row = cJSON_GetArrayItem(list, 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "State")->valuestring, "paused");
  assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(row, "Status")->valuestring, "(Paused)"));
  cJSON_Delete(list);
  cJSON *info = request_json("GET", "/info", NULL, 200);
  assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(info, "ContainersPaused")->valuedouble, 1);
  assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(info, "ContainersRunning")->valuedouble, 0);
  cJSON_Delete(info);
  expect_error("POST", "/containers/frz/pause", NULL, 409, "is already paused");
  expect_error("POST", "/containers/frz/exec", "{\"Cmd\":[\"out=x\"],\"AttachStdout\":true,\"AttachStderr\":true}", 409,
               "Container frz is paused, unpause the container before exec");
  expect_error("DELETE", "/containers/frz", NULL, 409, "You cannot remove a paused container");
  post_204("frz", "unpause", 204);
  assert_true(wait_status("frz", "running"));
  /* the runtime's refusal is Docker's 500 "Cannot pause container ID: ..." */
  rt_fake_refuse_pause(true);
  expect_error("POST", "/containers/frz/pause", NULL, 500, "Cannot pause container ");
  rt_fake_refuse_pause(false);
  post_204("frz", "kill", 204);
  assert_true(wait_status("frz", "exited"));
  assert_true(audited("container.pause", "ok", NULL));
}

static void test_start_stop_restart_kill(void **state) {
  (void)state;
  create("svc", "[\"wait\"]", NULL, NULL);
  post_204("svc", "start", 204);
  assert_true(wait_status("svc", "running"));
  post_204("svc", "start", 304); /* already started */
  post_204("svc", "restart?t=1", 204);
  assert_true(wait_status("svc", "running"));
  assert_int_equal(rt_fake_count("start"), 2);
  post_204("svc", "stop?t=1", 204);
  assert_true(wait_status("svc", "exited"));
  post_204("svc", "stop", 304); /* already stopped */
  expect_error("POST", "/containers/svc/kill", NULL, 409, "is not running");
  /* The signal is read first (dockerd's router): 400 even for a container that is not running. */
  expect_error("POST", "/containers/svc/kill?signal=HUP", NULL, 400, "Invalid signal: HUP");
  expect_error("POST", "/containers/svc/kill?signal=2", NULL, 400, "The windows daemon does not support signal 2");
  post_204("svc", "start", 204);
  assert_true(wait_status("svc", "running"));
  /* SIGTERM: the graceful stop signal (the fake's process ends on it), answered once it is delivered. */
  int stops = rt_fake_count("signal-stop");
  int kills = rt_fake_count("signal-kill");
  post_204("svc", "kill?signal=SIGTERM", 204);
  assert_true(wait_status("svc", "exited"));
  assert_int_equal(rt_fake_count("signal-stop"), stops + 1);
  assert_int_equal(rt_fake_count("signal-kill"), kills);
  post_204("svc", "start", 204);
  assert_true(wait_status("svc", "running"));
  post_204("svc", "kill?signal=SIGKILL", 204);
  assert_true(wait_status("svc", "exited"));
  assert_int_equal(rt_fake_count("signal-kill"), kills + 1);
  expect_error("POST", "/containers/nope/start", NULL, 404, "No such container: nope");
  expect_error("POST", "/containers/svc/stop?t=abc", NULL, 400, "invalid value for t");
  assert_true(audited("container.restart", "ok", NULL));
}

/* A wait request kept open: its head arrives once the wait is in place. */
static conn *begin_wait(const char *ref, const char *condition) {
  conn *c = connect_api(true);
  char head[512];
  snprintf(head, sizeof head, "POST /v1.41/containers/%s/wait?condition=%s HTTP/1.1\r\n" AUTH "\r\n", ref, condition);
  thttp_feed_text(&c->t, head);
  if (!thttp_wait_text(&c->t, "HTTP/1.1 200 OK\r\n", WAIT_MS)) fail_msg("no head for the wait");
  return c;
}

static long long end_wait(conn *c) {
  thttp_resp r;
  read_response(c, false, true, &r);
  cJSON *j = cJSON_Parse(r.body);
  long long code = (long long)num_at(j, "StatusCode", NULL);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "Error")));
  cJSON_Delete(j);
  thttp_resp_free(&r);
  disconnect(c);
  return code;
}

static void test_wait_conditions(void **state) {
  (void)state;
  create("w1", "[\"sleep=100\",\"exit=5\"]", NULL, NULL);
  /* next-exit before the start (docker run's order), not-running on a container not running: at once. */
  conn *next = begin_wait("w1", "next-exit");
  conn *now = begin_wait("w1", "not-running");
  assert_int_equal(end_wait(now), 0);
  post_204("w1", "start", 204);
  assert_int_equal(end_wait(next), 5);
  /* not-running on a running one waits for the exit. */
  post_204("w1", "start", 204);
  conn *nr = begin_wait("w1", "");
  assert_int_equal(end_wait(nr), 5);
  /* removed: an AutoRemove container (docker run --rm) - its exit code, once it is gone. */
  create("w2", "[\"exit=7\"]", NULL, ",\"AutoRemove\":true");
  conn *rm = begin_wait("w2", "removed");
  post_204("w2", "start", 204);
  assert_int_equal(end_wait(rm), 7);
  expect_error("GET", "/containers/w2/json", NULL, 404, "No such container");
  expect_error("POST", "/containers/w1/wait?condition=soon", NULL, 400, "invalid condition");
  expect_error("POST", "/containers/gone/wait", NULL, 404, "No such container");
}

/* Docker's multiplexed stream into its streams' bytes; false when a frame is malformed. */
static bool demux(const char *data, size_t len, char *out1, char *out2, size_t size) {
  size_t n1 = 0, n2 = 0, at = 0;
  out1[0] = out2[0] = '\0';
  while (at + 8 <= len) {
    unsigned char st = (unsigned char)data[at];
    size_t n = ((size_t)(unsigned char)data[at + 4] << 24) | ((size_t)(unsigned char)data[at + 5] << 16) |
               ((size_t)(unsigned char)data[at + 6] << 8) | (size_t)(unsigned char)data[at + 7];
    if (data[at + 1] != 0 || data[at + 2] != 0 || data[at + 3] != 0 || (st != 1 && st != 2) || at + 8 + n > len) return false;
    char *dst = st == 1 ? out1 : out2;
    size_t *dn = st == 1 ? &n1 : &n2;
    if (*dn + n + 1 > size) return false;
    memcpy(dst + *dn, data + at + 8, n);
    *dn += n;
    dst[*dn] = '\0';
    at += 8 + n;
  }
  return at == len;
}

static void test_attach_frames_and_stdin(void **state) {
  (void)state;
  create("att", "[\"out=hello\\\\n\",\"err=oops\\\\n\",\"exit=2\"]", NULL, NULL);
  conn *a = connect_api(true);
  thttp_feed_text(&a->t, "POST /v1.41/containers/att/attach?stream=1&stdout=1&stderr=1 HTTP/1.1\r\n" AUTH
                         "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  assert_true(thttp_wait_text(&a->t, "HTTP/1.1 101 UPGRADED\r\n", WAIT_MS));
  post_204("att", "start", 204);
  assert_true(thttp_wait_closed(&a->t, WAIT_MS)); /* the stream ends with the run */
  thttp_resp r;
  read_response(a, false, false, &r);
  char o1[256], o2[256];
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_string_equal(o1, "hello\n");
  assert_string_equal(o2, "oops\n");
  thttp_resp_free(&r);
  disconnect(a);
  /* stdin through the hijacked connection; its half-close is the container's end of input. */
  create("cat", "[\"cat\"]", ",\"OpenStdin\":true,\"StdinOnce\":true", NULL);
  /* StdinOnce false (docker run -dit) is kept: stdin stays open across attaches. */
  create("open-stdin", "[\"cat\"]", ",\"OpenStdin\":true,\"StdinOnce\":false", NULL);
  cJSON *kept = request_json("GET", "/containers/open-stdin/json", NULL, 200);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(kept, "Config"), "StdinOnce")));
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(kept, "Config"), "OpenStdin")));
  cJSON_Delete(kept);
  a = connect_api(true);
  thttp_feed_text(&a->t, "POST /containers/cat/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n" AUTH
                         "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  assert_true(thttp_wait_text(&a->t, "101 UPGRADED", WAIT_MS));
  thttp_feed(&a->t, "before start\n", 13); /* kept until the container runs */
  post_204("cat", "start", 204);
  thttp_feed(&a->t, "bin\0ary\n", 8);
  thttp_eof(&a->t);
  assert_true(thttp_wait_closed(&a->t, WAIT_MS));
  read_response(a, false, false, &r);
  char *big1 = malloc(4096), *big2 = malloc(4096);
  assert_true(demux(r.body, r.body_len, big1, big2, 4096));
  assert_memory_equal(big1, "before start\nbin\0ary\n", 21);
  free(big1);
  free(big2);
  thttp_resp_free(&r);
  disconnect(a);
  expect_error("POST", "/containers/cat/attach?stream=1&logs=1&stdout=1", NULL, 400, "logs");
}

/* --- exec ------------------------------------------------------------------------------------------------------------ */

/* POST /containers/{ref}/exec with body: the new instance's id (static per call slot). */
static const char *exec_create(const char *ref, const char *body) {
  static char ids[4][80];
  static int next;
  char target[256];
  snprintf(target, sizeof target, "/v1.41/containers/%s/exec", ref);
  cJSON *j = request_json("POST", target, body, 201);
  char *slot = ids[next++ % 4];
  snprintf(slot, 80, "%s", str_at(j, "Id", NULL));
  assert_int_equal(strlen(slot), 64);
  cJSON_Delete(j);
  return slot;
}

/* POST /exec/{id}/start, hijacked as the docker CLI asks; input (may be NULL) then the half-close; the bytes of the
 * stream once it ends (malloc'ed, *len). */
static char *exec_stream(const char *id, const char *body, const char *input, size_t input_len, size_t *len) {
  conn *c = connect_api(true);
  char head[1024];
  snprintf(head, sizeof head, "POST /v1.41/exec/%s/start HTTP/1.1\r\nHost: api\r\n" AUTH
           "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
           id, strlen(body), body);
  thttp_feed_text(&c->t, head);
  assert_true(thttp_wait_text(&c->t, "HTTP/1.1 101 UPGRADED\r\n", WAIT_MS));
  assert_true(thttp_wait_text(&c->t, "application/vnd.docker.raw-stream", WAIT_MS));
  if (input != NULL) thttp_feed(&c->t, input, input_len);
  thttp_eof(&c->t);
  assert_true(thttp_wait_closed(&c->t, WAIT_MS));
  thttp_resp r;
  read_response(c, false, false, &r);
  char *out = malloc(r.body_len + 1);
  memcpy(out, r.body, r.body_len);
  out[r.body_len] = '\0';
  *len = r.body_len;
  thttp_resp_free(&r);
  disconnect(c);
  return out;
}

static cJSON *exec_inspect(const char *id) {
  char target[160];
  snprintf(target, sizeof target, "/exec/%s/json", id);
  return request_json("GET", target, NULL, 200);
}

static void test_exec(void **state) {
  (void)state;
  const char *cid = create("ex", "[\"wait\"]", ",\"User\":\"CtrUser\"", NULL);
  post_204("ex", "start", 204);
  assert_true(wait_status("ex", "running"));
  /* What the docker CLI sends for `docker exec -e FOO=bar -w C:\work -u U1 ex ...`. */
  const char *x = exec_create("ex", "{\"User\":\"U1\",\"Privileged\":false,\"Tty\":false,\"AttachStdin\":false,"
                                    "\"AttachStderr\":true,\"AttachStdout\":true,\"Detach\":false,\"DetachKeys\":\"\","
                                    "\"Env\":[\"FOO=bar\"],\"WorkingDir\":\"C:\\\\work\",\"Cmd\":[\"whoami\","
                                    "\"getenv=FOO\",\"pwd\",\"err=e\\\\n\",\"exit=3\"]}");
  cJSON *i = exec_inspect(x);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, "Running")));
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(i, "ExitCode")));
  assert_string_equal(str_at(i, "ContainerID", NULL), cid);
  assert_string_equal(str_at(i, "ID", NULL), x);
  assert_string_equal(str_at(i, "ProcessConfig", "entrypoint"), "whoami");
  assert_string_equal(str_at(i, "ProcessConfig", "user"), "U1");
  cJSON_Delete(i);
  size_t len = 0;
  char *bytes = exec_stream(x, "{\"Detach\":false,\"Tty\":false}", NULL, 0, &len);
  char o1[256], o2[256];
  assert_true(demux(bytes, len, o1, o2, sizeof o1));
  assert_string_equal(o1, "U1\nbar\nC:\\work\n");
  assert_string_equal(o2, "e\n");
  free(bytes);
  i = exec_inspect(x);
  assert_int_equal((int)num_at(i, "ExitCode", NULL), 3);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, "Running")));
  assert_true(num_at(i, "Pid", NULL) > 0);
  cJSON_Delete(i);
  /* An instance starts once (Docker's 409). */
  char target[200];
  snprintf(target, sizeof target, "/exec/%s/start", x);
  expect_error("POST", target, "{\"Detach\":false}", 409, "has already run");
  /* stdin (AttachStdin) through the hijacked connection; its half-close is the process's end of input. */
  /* docker-py's body (Container besides the path). */
  x = exec_create(cid, "{\"Container\":\"ex\",\"AttachStdin\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"cat\"]}");
  bytes = exec_stream(x, "{}", "in\0put\n", 7, &len);
  char *big1 = malloc(4096), *big2 = malloc(4096);
  assert_true(demux(bytes, len, big1, big2, 4096));
  assert_memory_equal(big1, "in\0put\n", 7);
  free(big1);
  free(big2);
  free(bytes);
  /* A Tty exec: raw bytes, no frames. */
  x = exec_create("ex", "{\"Tty\":true,\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"out=raw\",\"err=!\"]}");
  bytes = exec_stream(x, "{\"Tty\":true}", NULL, 0, &len);
  assert_int_equal(len, 4);
  assert_memory_equal(bytes, "raw!", 4);
  free(bytes);
  /* A command that does not exist: the stream says why, the instance records 127 (docker exec's exit code). */
  x = exec_create("ex", "{\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":[\"nosuch.exe\"]}");
  bytes = exec_stream(x, "{}", NULL, 0, &len);
  assert_true(demux(bytes, len, o1, o2, sizeof o1));
  assert_non_null(strstr(o1, "executable file not found"));
  free(bytes);
  i = exec_inspect(x);
  assert_int_equal((int)num_at(i, "ExitCode", NULL), 127);
  cJSON_Delete(i);
  assert_true(audited("exec.start", "not_found", "executable file not found"));
  /* docker exec -d: neither stream attached, Detach; the start answers 200 without a body once it runs. */
  x = exec_create("ex", "{\"Detach\":true,\"AttachStdout\":false,\"AttachStderr\":false,\"Cmd\":[\"exit=5\"]}");
  snprintf(target, sizeof target, "/exec/%s/start", x);
  thttp_resp r;
  request("POST", target, "{\"Detach\":true,\"Tty\":false}", &r);
  assert_int_equal(r.status, 200);
  assert_int_equal(r.body_len, 0);
  thttp_resp_free(&r);
  int code = -1;
  for (int k = 0; k < WAIT_MS / 10 && code < 0; k++) {
    i = exec_inspect(x);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(i, "ExitCode");
    if (cJSON_IsNumber(c)) code = (int)c->valuedouble;
    cJSON_Delete(i);
    if (code < 0) wctr_sleep_ms(10);
  }
  assert_int_equal(code, 5);
  /* Refusals, named as wctr exec's, with Docker's status codes. */
  expect_error("POST", "/containers/ex/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":true,\"AttachStderr\":true,"
               "\"Privileged\":true}", 400, "Privileged: Windows does not support privileged mode");
  assert_true(audited("exec.create", "invalid_argument", "Privileged"));
  expect_error("POST", "/containers/ex/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":false,\"AttachStderr\":true}", 400,
               "AttachStdout");
  expect_error("POST", "/containers/ex/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":true,\"AttachStderr\":true,"
               "\"DetachKeys\":\"ctrl-x\"}", 400, "DetachKeys");
  expect_error("POST", "/containers/ex/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":true,\"AttachStderr\":true,"
               "\"ConsoleSize\":[24,80]}", 400, "ConsoleSize");
  expect_error("POST", "/containers/ex/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":true,\"AttachStderr\":true,"
               "\"Frobnicate\":1}", 400, "Frobnicate: unknown field");
  expect_error("POST", "/containers/ex/exec", "{\"AttachStdout\":true,\"AttachStderr\":true}", 400,
               "No exec command specified");
  expect_error("POST", "/containers/ex/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":true,\"AttachStderr\":true,"
               "\"Env\":[\"NOEQUALS\"]}", 400, "NOEQUALS");
  expect_error("POST", "/containers/nope/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":true,\"AttachStderr\":true}", 404,
               "No such container: nope");
  expect_error("GET", "/exec/nope/json", NULL, 404, "No such exec instance");
  expect_error("POST", "/exec/nope/start", "{}", 404, "No such exec instance");
  expect_error("POST", "/exec/nope/start", "{\"Detach\":\"yes\"}", 400, "Detach");
  snprintf(target, sizeof target, "/v1.41/exec/%s/resize?h=24&w=80", x);
  expect_error("POST", target, NULL, 501, "resizing an exec's console is not supported");
  assert_true(audited("exec.resize", "not_supported", NULL));
  post_204("ex", "kill", 204);
  assert_true(wait_status("ex", "exited"));
  expect_error("POST", "/containers/ex/exec", "{\"Cmd\":[\"pwd\"],\"AttachStdout\":true,\"AttachStderr\":true}", 409,
               "is not running");
}

static void test_logs(void **state) {
  (void)state;
  create("lg", "[\"out=1\\\\n2\\\\n3\\\\n\",\"err=e\\\\n\"]", NULL, NULL);
  post_204("lg", "start", 204);
  assert_true(wait_status("lg", "exited"));
  thttp_resp r;
  char o1[512], o2[512];
  request("GET", "/v1.41/containers/lg/logs?stdout=1&stderr=1", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.chunked);
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_string_equal(o1, "1\n2\n3\n");
  assert_string_equal(o2, "e\n");
  thttp_resp_free(&r);
  request("GET", "/containers/lg/logs?stdout=1&tail=2", NULL, &r);
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_string_equal(o1, "3\n"); /* the last two lines are "3" and "e"; stderr is not asked for */
  assert_string_equal(o2, "");
  thttp_resp_free(&r);
  request("GET", "/containers/lg/logs?stdout=1&timestamps=1&tail=1&stderr=1", NULL, &r);
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_int_equal(strlen(o2), 30 + 1 + 2);
  assert_int_equal(o2[29], 'Z');
  thttp_resp_free(&r);
  /* since/until: Unix seconds (the docker CLI's form). */
  request("GET", "/containers/lg/logs?stdout=1&stderr=1&since=4102444800", NULL, &r); /* 2100 */
  assert_int_equal(r.body_len, 0);
  thttp_resp_free(&r);
  request("GET", "/containers/lg/logs?stdout=1&stderr=1&until=946684800.5", NULL, &r); /* 2000 */
  assert_int_equal(r.body_len, 0);
  thttp_resp_free(&r);
  request("GET", "/containers/lg/logs?stdout=1&stderr=1&since=946684800&until=4102444800", NULL, &r);
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_string_equal(o1, "1\n2\n3\n");
  thttp_resp_free(&r);
  expect_error("GET", "/containers/lg/logs", NULL, 400, "you must choose at least one stream");
  expect_error("GET", "/containers/lg/logs?stdout=1&tail=x", NULL, 400, "invalid value for tail");
  expect_error("GET", "/containers/lg/logs?stdout=1&since=yesterday", NULL, 400, "invalid value for since");
  /* details: the attributes of --log-opt labels=/env= before each line; none here, so Docker's lone space. */
  request("GET", "/containers/lg/logs?stdout=1&details=1", NULL, &r);
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_string_equal(o1, " 1\n 2\n 3\n");
  thttp_resp_free(&r);
  create("lgd", "[\"out=x\\\\n\"]", ",\"Labels\":{\"app\":\"web\"}",
         ",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{\"labels\":\"app\",\"max-size\":\"1k\"}}");
  cJSON *ins = request_json("GET", "/containers/lgd/json", NULL, 200);
  char *lc = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(ins, "HostConfig"), "LogConfig"));
  assert_string_equal(lc, "{\"Type\":\"json-file\",\"Config\":{\"labels\":\"app\",\"max-size\":\"1k\"}}");
  free(lc);
  cJSON_Delete(ins);
  post_204("lgd", "start", 204);
  assert_true(wait_status("lgd", "exited"));
  request("GET", "/containers/lgd/logs?stdout=1&details=1", NULL, &r);
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_string_equal(o1, "app=web x\n");
  thttp_resp_free(&r);
  /* follow: what the run writes later arrives, and the stream ends with it. */
  create("fl", "[\"out=a\\\\n\",\"sleep=300\",\"out=b\\\\n\"]", NULL, NULL);
  post_204("fl", "start", 204);
  conn *c = connect_api(true);
  thttp_feed_text(&c->t, "GET /containers/fl/logs?stdout=1&follow=1 HTTP/1.1\r\n" AUTH "\r\n");
  read_response(c, false, true, &r);
  assert_true(demux(r.body, r.body_len, o1, o2, sizeof o1));
  assert_string_equal(o1, "a\nb\n");
  thttp_resp_free(&r);
  disconnect(c);
}

static void test_stats(void **state) {
  (void)state;
  create("st", "[\"wait\"]", NULL, NULL);
  post_204("st", "start", 204);
  assert_true(wait_status("st", "running"));
  cJSON *s = request_json("GET", "/containers/st/stats?stream=0", NULL, 200);
  assert_int_equal(num_at(s, "num_procs", NULL), 4);
  assert_string_equal(str_at(s, "name", NULL), "/st");
  assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "cpu_stats"), "cpu_usage"));
  assert_non_null(cJSON_GetObjectItemCaseSensitive(s, "memory_stats"));
  /* read - preread is the sampling interval the CPU total was measured over. */
  int64_t rs = 0, rn = 0, ps = 0, pn = 0;
  (void)rs, (void)rn, (void)ps, (void)pn;
  assert_int_equal(strlen(str_at(s, "read", NULL)), 30);
  assert_int_equal(strlen(str_at(s, "preread", NULL)), 30);
  cJSON_Delete(s);
  /* Streamed: a line a second until the client leaves. */
  conn *c = connect_api(true);
  thttp_feed_text(&c->t, "GET /containers/st/stats HTTP/1.1\r\n" AUTH "\r\n");
  assert_true(thttp_wait_text(&c->t, "Transfer-Encoding: chunked", WAIT_MS));
  for (int i = 0; i < 300; i++) {
    char *out = thttp_output(&c->t, NULL);
    int lines = 0;
    for (char *p = strstr(out, "\"num_procs\""); p != NULL; p = strstr(p + 1, "\"num_procs\"")) lines++;
    free(out);
    if (lines >= 2) break;
    wctr_sleep_ms(20);
  }
  char *out = thttp_output(&c->t, NULL);
  assert_non_null(strstr(strstr(out, "\"num_procs\"") + 1, "\"num_procs\""));
  free(out);
  disconnect(c);
  expect_error("GET", "/containers/st/stats?stream=1&one-shot=1", NULL, 400, "one-shot");
  post_204("st", "kill", 204);
}

static void test_update_rename_delete_prune(void **state) {
  (void)state;
  create("up", "[\"wait\"]", NULL, NULL);
  post_204("up", "start", 204);
  assert_true(wait_status("up", "running"));
  /* The CLI sends every resource, zeros meaning "unchanged". */
  cJSON *u = request_json("POST", "/containers/up/update",
                          "{\"CpuShares\":0,\"Memory\":314572800,\"NanoCpus\":0,\"CpuPeriod\":0,\"KernelMemory\":0,"
                          "\"MemorySwap\":0,\"PidsLimit\":null,\"RestartPolicy\":{\"Name\":\"\",\"MaximumRetryCount\":0}}",
                          200);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(u, "Warnings")));
  cJSON_Delete(u);
  cJSON *j = inspect("up");
  assert_int_equal(num_at(j, "HostConfig", "Memory"), 314572800);
  cJSON_Delete(j);
  expect_error("POST", "/containers/up/update", "{\"RestartPolicy\":{\"Name\":\"always\"}}", 400, "RestartPolicy");
  expect_error("POST", "/containers/up/update", "{\"CpuQuota\":1000}", 400, "CpuQuota");
  /* rename */
  post_204("up", "rename?name=down", 204);
  j = inspect("down");
  assert_string_equal(str_at(j, "Name", NULL), "/down");
  cJSON_Delete(j);
  create("other", "[\"exit=0\"]", NULL, NULL);
  expect_error("POST", "/containers/other/rename?name=down", NULL, 409, "already in use");
  expect_error("POST", "/containers/other/rename?name=bad%20name", NULL, 400, "Invalid container name");
  expect_error("POST", "/containers/other/rename", NULL, 400, "name");
  assert_true(audited("container.rename", "ok", NULL));
  /* delete: a running one needs force */
  expect_error("DELETE", "/containers/down", NULL, 409, "cannot remove a running container");
  expect_error("DELETE", "/containers/down?link=1", NULL, 400, "link");
  thttp_resp r;
  request("DELETE", "/containers/down?force=1&v=1", NULL, &r);
  assert_int_equal(r.status, 204);
  thttp_resp_free(&r);
  expect_error("GET", "/containers/down/json", NULL, 404, "No such container");
  /* prune: what is not running goes */
  create("p1", "[\"exit=0\"]", NULL, NULL);
  create("p2", "[\"wait\"]", NULL, NULL);
  post_204("p2", "start", 204);
  assert_true(wait_status("p2", "running"));
  cJSON *p = request_json("POST", "/containers/prune", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "ContainersDeleted")), 2); /* other, p1 */
  assert_int_equal(num_at(p, "SpaceReclaimed", NULL), 0);
  cJSON_Delete(p);
  cJSON *l = request_json("GET", "/containers/json?all=1", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  cJSON_Delete(l);
  post_204("p2", "kill", 204);
  assert_true(wait_status("p2", "exited"));
  /* prune's filters: until (created at or before), label and label! as Docker's. */
  create("keep", "[\"exit=0\"]", ",\"Labels\":{\"keep\":\"yes\"}", NULL);
  p = request_json("POST", with_filters("/containers/prune", "{\"until\":[\"2000-01-01T00:00:00Z\"]}"), NULL, 200);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p, "ContainersDeleted"))); /* all created later */
  cJSON_Delete(p);
  p = request_json("POST", with_filters("/containers/prune", "{\"label\":[\"keep=no\"]}"), NULL, 200);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p, "ContainersDeleted")));
  cJSON_Delete(p);
  p = request_json("POST", with_filters("/containers/prune", "{\"label!\":[\"keep\"],\"until\":[\"-1h\"]}"), NULL, 200);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "ContainersDeleted")), 1); /* p2 */
  cJSON_Delete(p);
  expect_names("/containers/json?all=1", "keep");
  p = request_json("POST", with_filters("/containers/prune", "{\"label\":[\"keep=yes\"],\"until\":[\"0s\"]}"), NULL, 200);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "ContainersDeleted")), 1);
  cJSON_Delete(p);
  expect_names("/containers/json?all=1", "");
  expect_error("POST", with_filters("/containers/prune", "{\"until\":[\"soon\"]}"), NULL, 400, "invalid filter 'until=soon'");
  expect_error("POST", with_filters("/containers/prune", "{\"until\":[\"1h\",\"2h\"]}"), NULL, 400, "more than one until");
  expect_error("POST", with_filters("/containers/prune", "{\"status\":[\"exited\"]}"), NULL, 400, "invalid filter 'status'");
}

static void test_events(void **state) {
  (void)state;
  conn *c = connect_api(true);
  thttp_feed_text(&c->t, "GET /v1.41/events?filters=%7B%22container%22%3A%5B%22ev%22%5D%7D HTTP/1.1\r\n" AUTH "\r\n");
  assert_true(thttp_wait_text(&c->t, "HTTP/1.1 200 OK\r\n", WAIT_MS));
  create("other", "[\"exit=0\"]", NULL, NULL);
  const char *id = create("ev", "[\"exit=9\"]", NULL, NULL);
  post_204("ev", "start", 204);
  assert_true(thttp_wait_text(&c->t, "\"status\":\"die\"", WAIT_MS));
  char *out = thttp_output(&c->t, NULL);
  assert_non_null(strstr(out, "\"status\":\"create\""));
  assert_non_null(strstr(out, "\"status\":\"start\""));
  assert_non_null(strstr(out, "\"exitCode\":\"9\""));
  assert_non_null(strstr(out, id));
  assert_null(strstr(out, "\"name\":\"other\"")); /* filtered out */
  /* timeNano is an integer Go can read, not a float. */
  char *tn = strstr(out, "\"timeNano\":");
  assert_non_null(tn);
  for (char *p = tn + 11; *p != ',' && *p != '}'; p++) assert_true(*p >= '0' && *p <= '9');
  free(out);
  disconnect(c);
  /* until in the past: nothing to tell, the stream ends at once; since in the past: no history. */
  thttp_resp r;
  request("GET", "/events?until=946684800", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_true(r.complete);
  assert_int_equal(r.body_len, 0);
  thttp_resp_free(&r);
  expect_error("GET", "/events?since=946684800", NULL, 400, "no history of events");
  expect_error("GET", with_filters("/events", "{\"frob\":[\"a\"]}"), NULL, 400, "invalid filter 'frob'");
}

/* Image events (svc_manager_emit_image, what the image operations report) in Docker's shape, without a container
 * lookup, in order with the container events around them; type=image keeps only them. */
static void test_image_events(void **state) {
  (void)state;
  conn *all = connect_api(true);
  thttp_feed_text(&all->t, "GET /v1.41/events HTTP/1.1\r\n" AUTH "\r\n");
  assert_true(thttp_wait_text(&all->t, "HTTP/1.1 200 OK\r\n", WAIT_MS));
  conn *images = connect_api(true);
  thttp_feed_text(&images->t, "GET /v1.41/events?filters=%7B%22type%22%3A%5B%22image%22%5D%2C%22event%22%3A%5B%22tag%22%5D%7D "
                              "HTTP/1.1\r\n" AUTH "\r\n");
  assert_true(thttp_wait_text(&images->t, "HTTP/1.1 200 OK\r\n", WAIT_MS));
  svc_manager_emit_image(mgr, "pull", "127.0.0.1:5000/app:v1", "127.0.0.1:5000/app:v1");
  create("after", "[\"exit=0\"]", NULL, NULL);
  svc_manager_emit_image(mgr, "tag", "sha256:0123", "mine:latest");
  assert_true(thttp_wait_text(&all->t, "\"status\":\"tag\"", WAIT_MS));
  char *out = thttp_output(&all->t, NULL);
  const char *pull = strstr(out, "\"status\":\"pull\"");
  const char *create_ev = strstr(out, "\"status\":\"create\"");
  const char *tag = strstr(out, "\"status\":\"tag\"");
  assert_true(pull != NULL && create_ev != NULL && tag != NULL && pull < create_ev && create_ev < tag);
  assert_non_null(strstr(out, "\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"127.0.0.1:5000/app:v1\","
                              "\"Attributes\":{\"name\":\"127.0.0.1:5000/app:v1\"}}"));
  assert_non_null(strstr(out, "\"Actor\":{\"ID\":\"sha256:0123\",\"Attributes\":{\"name\":\"mine:latest\"}}"));
  free(out);
  assert_true(thttp_wait_text(&images->t, "\"status\":\"tag\"", WAIT_MS));
  out = thttp_output(&images->t, NULL);
  assert_null(strstr(out, "\"status\":\"pull\""));
  assert_null(strstr(out, "\"status\":\"create\""));
  free(out);
  disconnect(images);
  disconnect(all);
}

/* Events carry the container's image and labels (dockerd's attributes), and the label and image filters use them:
 * docker-compose's own "up" follows its project's events through a label filter. */
static void test_events_labels_and_image(void **state) {
  (void)state;
  create("pre", "[\"exit=1\"]", ",\"Labels\":{\"tier\":\"db\"}", NULL); /* known from the list at the start */
  conn *c = connect_api(true);
  char head[1024];
  snprintf(head, sizeof head, "GET %s HTTP/1.1\r\n" AUTH "\r\n", with_filters("/events", "{\"label\":[\"tier=db\"]}"));
  thttp_feed_text(&c->t, head);
  assert_true(thttp_wait_text(&c->t, "HTTP/1.1 200 OK\r\n", WAIT_MS));
  conn *img = connect_api(true);
  snprintf(head, sizeof head, "GET %s HTTP/1.1\r\n" AUTH "\r\n", with_filters("/events", "{\"image\":[\"nothere\"]}"));
  thttp_feed_text(&img->t, head);
  assert_true(thttp_wait_text(&img->t, "HTTP/1.1 200 OK\r\n", WAIT_MS));
  post_204("pre", "start", 204);
  create("web", "[\"exit=0\"]", NULL, NULL); /* tier=web: filtered out */
  const char *id = create("db", "[\"exit=2\"]", ",\"Labels\":{\"tier\":\"db\",\"team\":\"blue\"}", NULL);
  post_204("db", "start", 204);
  /* Its die through the label filter: its labels were learnt (a container removed before wctrd could ask for it
   * would have its events without them). */
  assert_true(thttp_wait_text(&c->t, "\"exitCode\":\"2\"", WAIT_MS));
  thttp_resp r;
  request("DELETE", "/containers/db", NULL, &r);
  assert_int_equal(r.status, 204);
  thttp_resp_free(&r);
  assert_true(thttp_wait_text(&c->t, "\"status\":\"destroy\"", WAIT_MS));
  char *out = thttp_output(&c->t, NULL);
  assert_non_null(strstr(out, "\"status\":\"start\",\"id\":")); /* pre's */
  assert_non_null(strstr(out, "\"name\":\"pre\""));
  assert_non_null(strstr(out, id));
  assert_non_null(strstr(out, "\"team\":\"blue\""));
  assert_non_null(strstr(out, "\"image\":\"host\""));
  assert_non_null(strstr(out, "\"from\":\"host\""));
  assert_null(strstr(out, "\"name\":\"web\""));
  /* In order: create, start, die, destroy of db. */
  const char *order[] = {"\"status\":\"create\",\"id\":\"", "\"status\":\"start\",\"id\":\"", "\"status\":\"die\",\"id\":\"",
                         "\"status\":\"destroy\",\"id\":\""};
  const char *at = out;
  for (size_t i = 0; i < 4; i++) {
    char want[160];
    snprintf(want, sizeof want, "%s%s", order[i], id);
    const char *found = strstr(at, want);
    if (found == NULL) fail_msg("no %s after the previous event in:\n%s", want, out);
    at = found + 1;
  }
  free(out);
  disconnect(c);
  /* An image filter that matches nothing: the stream holds no event. */
  out = thttp_output(&img->t, NULL);
  assert_null(strstr(out, "\"status\""));
  free(out);
  disconnect(img);
}

static void test_images_and_not_implemented(void **state) {
  (void)state;
  cJSON *l = request_json("GET", "/images/json", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  const cJSON *img = cJSON_GetArrayItem(l, 0);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(img, "RepoTags"), 0)->valuestring, "testimg:latest");
  const char *id = str_at(img, "Id", NULL);
  assert_int_equal(strlen(id), 7 + 64);
  assert_int_equal(strncmp(id, "sha256:0a1b2c3d4e5f6789abcdef0123456789fedcba98", 47), 0);
  cJSON_Delete(l);
  cJSON *i = request_json("GET", "/images/testimg/json", NULL, 200);
  assert_string_equal(str_at(i, "Os", NULL), "windows");
  assert_string_equal(str_at(i, "OsVersion", NULL), "10.0.20348.1");
  assert_string_equal(str_at(i, "GraphDriver", "Name"), "windowsfilter");
  cJSON_Delete(i);
  expect_error("GET", "/images/library/nope:1/json", NULL, 404, "No such image: library/nope:1");
  /* By id, as docker-py's images.list asks for each image: the full id, or a prefix of it. */
  char target[160];
  snprintf(target, sizeof target, "/images/%s/json", "sha256:0a1b2c3d4e5f6789abcdef0123456789fedcba98");
  i = request_json("GET", target, NULL, 200);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(i, "RepoTags"), 0)->valuestring, "testimg:latest");
  cJSON_Delete(i);
  i = request_json("GET", "/images/0a1b2c3d/json", NULL, 200);
  cJSON_Delete(i);
  expect_error("GET", "/images/0a1b2c3e/json", NULL, 404, "No such image");
  /* (the image endpoints over the real image operations: test_engine_api_images.c) */
  expect_error("POST", "/images/create?fromImage=x", NULL, 501, "docker pull --all-tags");
  expect_error("GET", "/exec/abc/top", NULL, 404, "page not found");
  /* Families Docker has and wctr does not: 501 with the reason, never "page not found" nor a success. */
  expect_error("GET", "/swarm", NULL, 501, "swarm mode");
  expect_error("GET", "/services", NULL, 501, "swarm mode");
  expect_error("GET", "/secrets", NULL, 501, "wctr secret");
  expect_error("GET", "/plugins", NULL, 501, "plugins");
  expect_error("GET", "/containers/x/export", NULL, 501, "exporting");
  expect_error("POST", "/commit?container=x", NULL, 501, "committing");
  expect_error("GET", "/containers/x/attach/ws", NULL, 501, "websocket");
  expect_error("POST", "/networks/nat/connect", "{\"Container\":\"x\"}", 501,
               "a container joins one network when it is created");
  assert_true(audited("image.pull", "not_supported", NULL));
  /* by a prefix of the id the front-end derives for a catalog image: removed by its name */
  cJSON *d = request_json("DELETE", "/images/0a1b2c3d4e5f", NULL, 200);
  assert_string_equal(str_at(cJSON_GetArrayItem(d, 0), "Untagged", NULL), "testimg:latest");
  cJSON_Delete(d);
  expect_error("DELETE", "/images/testimg", NULL, 404, "No such image");
  cJSON *df = request_json("GET", "/system/df", NULL, 200);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(df, "Containers")));
  cJSON_Delete(df);
}

/* /networks over network.* (service/networks.h): Docker's NetworkResource; create's body mapped, refusals named. */
static void test_networks(void **state) {
  (void)state;
  cJSON *list = request_json("GET", "/networks", NULL, 200);
  bool nat = false;
  const cJSON *n;
  cJSON_ArrayForEach(n, list) nat = nat || strcmp(str_at(n, "Name", NULL), "nat") == 0;
  assert_true(nat);
  cJSON_Delete(list);
  cJSON *c = request_json("POST", "/networks/create",
                          "{\"Name\":\"web\",\"CheckDuplicate\":true,\"Driver\":\"nat\",\"IPAM\":{\"Driver\":\"default\","
                          "\"Config\":[{\"Subnet\":\"10.50.0.0/24\",\"Gateway\":\"10.50.0.1\"}],\"Options\":{}},"
                          "\"Internal\":false,\"Labels\":{\"tier\":\"front\"}}",
                          201);
  assert_int_equal(strlen(str_at(c, "Id", NULL)), 64);
  cJSON_Delete(c);
  cJSON *i = request_json("GET", "/networks/web", NULL, 200);
  assert_string_equal(str_at(i, "Driver", NULL), "nat");
  const cJSON *cfg = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(i, "IPAM"), "Config"), 0);
  assert_string_equal(str_at(cfg, "Subnet", NULL), "10.50.0.0/24");
  assert_string_equal(str_at(cJSON_GetObjectItemCaseSensitive(i, "Labels"), "tier", NULL), "front");
  cJSON_Delete(i);
  list = request_json("GET", "/networks?filters=%7B%22label%22%3A%5B%22tier%3Dfront%22%5D%7D", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(list), 1);
  cJSON_Delete(list);
  expect_error("POST", "/networks/create", "{\"Name\":\"web\"}", 409, "network with name web already exists");
  expect_error("POST", "/networks/create", "{\"Name\":\"v6\",\"EnableIPv6\":true}", 400, "EnableIPv6: wctr cannot apply");
  /* a network needs a body; one that is not JSON is refused before it is shaped */
  expect_error("POST", "/networks/create", NULL, 400, "the body must be a JSON object (Docker's network config)");
  expect_error("POST", "/networks/create", "{\"Name\":", 400, "the body is not JSON");
  expect_error("GET", "/networks/nope", NULL, 404, "network nope not found");
  expect_error("DELETE", "/networks/none", NULL, 403, "none is a pre-defined network");
  cJSON_Delete(request_json("DELETE", "/networks/web", NULL, 204));
  cJSON *p = request_json("POST", "/networks/prune", NULL, 200);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(p, "NetworksDeleted")));
  cJSON_Delete(p);
  assert_true(audited("network.create", "ok", NULL));
}

/* GET /containers/{id}/top over container.top: dockerd's Windows titles and rows; ps_args 400, not running 409. */
static void test_top(void **state) {
  (void)state;
  create("topper", "[\"wait\"]", NULL, NULL);
  expect_error("GET", "/containers/topper/top", NULL, 409, "is not running");
  assert_true(audited("container.top", "invalid_state", "is not running"));
  post_204("topper", "start", 204);
  assert_true(wait_status("topper", "running"));
  cJSON *t = request_json("GET", "/v1.41/containers/topper/top", NULL, 200);
  const cJSON *titles = cJSON_GetObjectItemCaseSensitive(t, "Titles");
  assert_int_equal(cJSON_GetArraySize(titles), 4);
  static const char *const want[] = {"Name", "PID", "CPU", "Private Working Set"};
  for (int i = 0; i < 4; i++) assert_string_equal(cJSON_GetArrayItem(titles, i)->valuestring, want[i]);
  const cJSON *rows = cJSON_GetObjectItemCaseSensitive(t, "Processes");
  assert_int_equal(cJSON_GetArraySize(rows), 1);
  const cJSON *row = cJSON_GetArrayItem(rows, 0);
  assert_int_equal(cJSON_GetArraySize(row), 4);
  assert_string_equal(cJSON_GetArrayItem(row, 0)->valuestring, "fake.exe");
  char *end = NULL;
  long pid = strtol(cJSON_GetArrayItem(row, 1)->valuestring, &end, 10);
  assert_true(pid > 0 && *end == '\0');
  const char *cpu = cJSON_GetArrayItem(row, 2)->valuestring;
  assert_int_equal(strlen(cpu), 12); /* HH:MM:SS.mmm */
  assert_true(cpu[2] == ':' && cpu[5] == ':' && cpu[8] == '.');
  assert_string_equal(cJSON_GetArrayItem(row, 3)->valuestring, "12.58MB"); /* the fake's 12 MiB, go-units' way */
  cJSON_Delete(t);
  expect_error("GET", "/containers/topper/top?ps_args=aux", NULL, 400, "Windows does not support arguments to top");
  assert_true(audited("container.top", "not_supported", "ps_args"));
  /* an empty ps_args is no argument (the CLI sends none) */
  cJSON_Delete(request_json("GET", "/containers/topper/top?ps_args=", NULL, 200));
  expect_error("GET", "/containers/nope/top", NULL, 404, "No such container: nope");
  post_204("topper", "kill", 204);
  assert_true(wait_status("topper", "exited"));
  expect_error("GET", "/containers/topper/top", NULL, 409, "is not running");
}

/* The shape alone: times in HH:MM:SS.mmm (hours not wrapped), sizes as go-units, null without processes. */
static void test_top_shape(void **state) {
  (void)state;
  cJSON *in = cJSON_Parse("{\"Processes\":[{\"ProcessId\":4242,\"ImageName\":\"cmd.exe\",\"KernelTime100ns\":"
                          "900000000000,\"UserTime100ns\":12345678,\"MemoryWorkingSetPrivateBytes\":1500000}]}");
  cJSON *out = api_shape_top(in);
  const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(out, "Processes"), 0);
  assert_string_equal(cJSON_GetArrayItem(row, 0)->valuestring, "cmd.exe");
  assert_string_equal(cJSON_GetArrayItem(row, 1)->valuestring, "4242");
  /* 90000 s + 1.2345678 s */
  assert_string_equal(cJSON_GetArrayItem(row, 2)->valuestring, "25:00:01.234");
  assert_string_equal(cJSON_GetArrayItem(row, 3)->valuestring, "1.5MB");
  cJSON_Delete(out);
  cJSON_Delete(in);
  in = cJSON_Parse("{\"Processes\":[]}");
  out = api_shape_top(in);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(out, "Processes")));
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "Titles")), 4);
  cJSON_Delete(out);
  cJSON_Delete(in);
}

static int volume_count(const char *target) {
  cJSON *l = request_json("GET", target, NULL, 200);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(l, "Warnings")));
  int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "Volumes"));
  cJSON_Delete(l);
  return n;
}

/* /volumes over volume.* (service/manager.h): Docker's shapes and status codes, create bodies as docker-py and
 * docker-compose send them, containers that mount volumes through Binds, Mounts and Config.Volumes. */
static void test_volumes(void **state) {
  (void)state;
  assert_int_equal(volume_count("/volumes"), 0);
  /* docker-py's create_volume: the defaults as null and {} */
  cJSON *v = request_json("POST", "/v1.41/volumes/create",
                          "{\"Name\":\"db-data\",\"Driver\":null,\"DriverOpts\":{},"
                          "\"Labels\":{\"com.docker.compose.project\":\"shop\",\"tier\":\"data\"}}", 201);
  assert_string_equal(str_at(v, "Name", NULL), "db-data");
  assert_string_equal(str_at(v, "Driver", NULL), "local");
  assert_string_equal(str_at(v, "Scope", NULL), "local");
  assert_non_null(strstr(str_at(v, "Mountpoint", NULL), "db-data"));
  assert_non_null(str_at(v, "CreatedAt", NULL));
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(v, "Options")));
  assert_string_equal(str_at(cJSON_GetObjectItemCaseSensitive(v, "Labels"), "tier", NULL), "data");
  cJSON_Delete(v);
  /* the docker CLI's: every field, Driver "local"; a second create of the name answers it as it is (201) */
  v = request_json("POST", "/volumes/create", "{\"Driver\":\"local\",\"DriverOpts\":{},\"Labels\":{},\"Name\":\"db-data\"}", 201);
  assert_string_equal(str_at(cJSON_GetObjectItemCaseSensitive(v, "Labels"), "tier", NULL), "data");
  cJSON_Delete(v);
  /* no name: an anonymous volume of 64 hex digits */
  v = request_json("POST", "/volumes/create", NULL, 201);
  assert_int_equal(strlen(str_at(v, "Name", NULL)), 64);
  char anon[80];
  snprintf(anon, sizeof anon, "%s", str_at(v, "Name", NULL));
  cJSON_Delete(v);
  expect_error("POST", "/volumes/create", "{\"Name\":\"x!\"}", 400, "includes invalid characters for a local volume name");
  expect_error("POST", "/volumes/create", "[1", 400, "the body is not JSON");
  expect_error("POST", "/volumes/create", "{\"Name\":\"nv\",\"Driver\":\"nfs\"}", 404, "plugin \"nfs\" not found");
  expect_error("POST", "/volumes/create", "{\"Name\":\"nv\",\"DriverOpts\":{\"type\":\"nfs\"}}", 400,
               "options are not supported");
  expect_error("POST", "/volumes/create", "{\"Name\":\"nv\",\"ClusterVolumeSpec\":{\"Group\":\"g\"}}", 400,
               "ClusterVolumeSpec: cluster volumes need swarm mode");
  expect_error("POST", "/volumes/create", "{\"Name\":\"nv\",\"Bogus\":1}", 400, "Bogus: unknown field");
  expect_error("POST", "/volumes/create", "{\"Name\":7}", 400, "Name must be a string");
  expect_error("POST", "/volumes/create", "{\"Name\":\"nv\",\"Labels\":{\"a\":1}}", 400, "Labels must be an object of strings");
  assert_true(audited("volume.create", "invalid_argument", "includes invalid characters"));
  assert_true(audited("volume.create", "ok", NULL));
  /* inspect, 404 */
  v = request_json("GET", "/volumes/db-data", NULL, 200);
  assert_string_equal(str_at(v, "Name", NULL), "db-data");
  cJSON_Delete(v);
  expect_error("GET", "/volumes/nv", NULL, 404, "get nv: no such volume");
  /* list and its filters */
  assert_int_equal(volume_count("/volumes"), 2);
  assert_int_equal(volume_count(with_filters("/volumes", "{\"label\":[\"tier=data\"]}")), 1);
  assert_int_equal(volume_count(with_filters("/volumes", "{\"label\":{\"tier\":true}}")), 1);
  assert_int_equal(volume_count(with_filters("/volumes", "{\"name\":[\"db-\"]}")), 1);
  assert_int_equal(volume_count(with_filters("/volumes", "{\"driver\":[\"local\"]}")), 2);
  assert_int_equal(volume_count(with_filters("/volumes", "{\"driver\":[\"nfs\"]}")), 0);
  assert_int_equal(volume_count(with_filters("/volumes", "{\"dangling\":[\"true\"]}")), 2);
  expect_error("GET", with_filters("/volumes", "{\"dangling\":[\"maybe\"]}"), NULL, 400, "dangling=maybe");
  expect_error("GET", with_filters("/volumes", "{\"scope\":[\"local\"]}"), NULL, 400, "invalid filter 'scope'");
  /* containers: a named volume through Binds (as the docker CLI's -v db-data:C:\data), one through Mounts of type
   * volume (as compose's long syntax), an anonymous one through Config.Volumes (-v C:\cache), and a Config.Volumes
   * path a bind already targets (compose lists every volume there): no second volume for it */
  const char *id = create("withvol", "[\"wait\"]", ",\"Volumes\":{\"C:\\\\cache\":{},\"c:\\\\data\":{}}",
                          ",\"Isolation\":\"process\",\"Binds\":[\"db-data:C:\\\\data\"],"
                          "\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"logs\",\"Target\":\"C:\\\\logs\",\"ReadOnly\":true}]");
  cJSON *j = inspect(id);
  const cJSON *binds = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "HostConfig"), "Binds");
  assert_int_equal(cJSON_GetArraySize(binds), 3);
  assert_string_equal(cJSON_GetArrayItem(binds, 0)->valuestring, "db-data:C:\\data");
  assert_string_equal(cJSON_GetArrayItem(binds, 1)->valuestring, "logs:C:\\logs:ro");
  assert_string_equal(cJSON_GetArrayItem(binds, 2)->valuestring + 64, ":C:\\cache");
  const cJSON *m0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "Mounts"), 0);
  assert_string_equal(str_at(m0, "Type", NULL), "volume");
  assert_string_equal(str_at(m0, "Name", NULL), "db-data");
  assert_string_equal(str_at(m0, "Destination", NULL), "C:\\data");
  assert_string_equal(str_at(m0, "Driver", NULL), "local");
  const cJSON *m1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "Mounts"), 1);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m1, "RW")));
  cJSON_Delete(j);
  assert_int_equal(volume_count("/volumes"), 4); /* db-data, the empty anonymous one, logs, the container's */
  assert_int_equal(volume_count(with_filters("/volumes", "{\"dangling\":[\"false\"]}")), 3);
  /* /system/df: every volume with Docker's UsageData (RefCount: the containers that mount it; Size not measured) */
  cJSON *df = request_json("GET", "/system/df", NULL, 200);
  const cJSON *dv = cJSON_GetObjectItemCaseSensitive(df, "Volumes");
  assert_int_equal(cJSON_GetArraySize(dv), 4);
  int mounted = 0, unmounted = 0;
  const cJSON *vol;
  cJSON_ArrayForEach(vol, dv) {
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(vol, "UsageData");
    assert_true(num_at(usage, "Size", NULL) == -1);
    int refs = (int)num_at(usage, "RefCount", NULL);
    if (strcmp(str_at(vol, "Name", NULL), anon) == 0) {
      assert_int_equal(refs, 0);
      unmounted++;
    } else {
      assert_int_equal(refs, 1);
      mounted++;
    }
  }
  assert_int_equal(mounted, 3);
  assert_int_equal(unmounted, 1);
  cJSON_Delete(df);
  expect_error("POST", "/containers/create?name=badmount", "{\"Image\":\"host\",\"HostConfig\":{\"Isolation\":\"process\","
               "\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v1\",\"Target\":\"C:\\\\v\",\"VolumeOptions\":{\"NoCopy\":true}}]}}",
               400, "HostConfig.Mounts[0].VolumeOptions: wctr cannot apply volume options");
  expect_error("POST", "/containers/create?name=badmount", "{\"Image\":\"host\",\"HostConfig\":{\"Isolation\":\"process\","
               "\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"C:\\\\t\"}]}}",
               400, "only mounts of Type \"bind\" and \"volume\"");
  expect_error("POST", "/containers/create?name=badmount", "{\"Image\":\"host\",\"Volumes\":{\"cache\":{}}}", 400,
               "Volumes[\"cache\"]");
  /* remove: in use 409 (Docker's words), force does not change that; 404; force on a missing one is no error */
  char want[200];
  snprintf(want, sizeof want, "remove db-data: volume is in use - [%s]", id);
  expect_error("DELETE", "/volumes/db-data", NULL, 409, want);
  expect_error("DELETE", "/volumes/db-data?force=1", NULL, 409, "volume is in use");
  assert_true(audited("volume.remove", "invalid_state", "volume is in use"));
  expect_error("DELETE", "/volumes/nv", NULL, 404, "no such volume");
  cJSON_Delete(request_json("DELETE", "/volumes/nv?force=true", NULL, 204));
  expect_error("DELETE", "/volumes/nv?force=maybe", NULL, 400, "invalid value for force");
  /* prune (API 1.41: every unused volume; label filters) */
  expect_error("POST", with_filters("/volumes/prune", "{\"label!\":[\"tier\"]}"), NULL, 400, "invalid filter 'label!'");
  expect_error("POST", with_filters("/volumes/prune", "{\"all\":[\"false\"]}"), NULL, 400, "API 1.41 prunes every unused volume");
  expect_error("POST", with_filters("/volumes/prune", "{\"dangling\":[\"true\"]}"), NULL, 400, "invalid filter 'dangling'");
  cJSON *p = request_json("POST", with_filters("/volumes/prune", "{\"label\":[\"nothing=here\"]}"), NULL, 200);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p, "VolumesDeleted")));
  assert_int_equal(num_at(p, "SpaceReclaimed", NULL), 0);
  cJSON_Delete(p);
  p = request_json("POST", with_filters("/volumes/prune", "{\"all\":[\"true\"]}"), NULL, 200);
  const cJSON *del = cJSON_GetObjectItemCaseSensitive(p, "VolumesDeleted");
  assert_int_equal(cJSON_GetArraySize(del), 1); /* the unused anonymous one; the container's three stay */
  assert_string_equal(cJSON_GetArrayItem(del, 0)->valuestring, anon);
  cJSON_Delete(p);
  /* rm -v: the container's anonymous volume goes with it, its named ones stay (unused now): one goes by DELETE, the
   * other by prune */
  cJSON_Delete(request_json("DELETE", "/containers/withvol?v=1", NULL, 204));
  assert_int_equal(volume_count("/volumes"), 2);
  cJSON_Delete(request_json("DELETE", "/volumes/db-data", NULL, 204));
  expect_error("GET", "/volumes/db-data", NULL, 404, "no such volume");
  p = request_json("POST", "/volumes/prune", NULL, 200);
  del = cJSON_GetObjectItemCaseSensitive(p, "VolumesDeleted");
  assert_int_equal(cJSON_GetArraySize(del), 1);
  assert_string_equal(cJSON_GetArrayItem(del, 0)->valuestring, "logs");
  cJSON_Delete(p);
  assert_int_equal(volume_count("/volumes"), 0);
  assert_true(audited("volume.prune", "ok", NULL));
}

/* health= on the list: container.list's Health (a container without a healthcheck is "none"). */
static void test_list_health(void **state) {
  (void)state;
  create("nohealth", "[\"wait\"]", NULL, NULL);
  create("probed", "[\"wait\"]", ",\"Healthcheck\":{\"Test\":[\"CMD\",\"probe\"],\"Interval\":1000000000}", NULL);
  post_204("nohealth", "start", 204);
  post_204("probed", "start", 204);
  assert_true(wait_status("nohealth", "running"));
  assert_true(wait_status("probed", "running"));
  expect_names(with_filters("/containers/json", "{\"health\":[\"none\"]}"), "nohealth");
  /* the probe's status comes with the run (starting, then what the probes say) */
  const char *probed = with_filters("/containers/json", "{\"health\":[\"starting\",\"healthy\",\"unhealthy\"]}");
  char got[512] = "";
  for (int i = 0; i < WAIT_MS / 10 && strcmp(got, "probed") != 0; i++) {
    cJSON *l = request_json("GET", probed, NULL, 200);
    names_of(l, got, sizeof got);
    cJSON_Delete(l);
    if (strcmp(got, "probed") != 0) wctr_sleep_ms(10);
  }
  assert_string_equal(got, "probed");
  expect_error("GET", with_filters("/containers/json", "{\"health\":[\"sick\"]}"), NULL, 400, "invalid filter 'health=sick'");
}

static void test_dropped_stream_is_audited(void **state) {
  (void)state;
  /* An attached client that never reads: 8 MiB of output pushed past the 4 MiB bound drops its stream. */
  create("flood", "[\"repeat=131072:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678\\\\n\",\"wait\"]",
         NULL, NULL);
  conn *c = connect_api(true);
  c->t.slow = true;
  thttp_feed_text(&c->t, "POST /containers/flood/attach?stream=1&stdout=1 HTTP/1.1\r\n" AUTH
                         "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  assert_true(thttp_wait_text(&c->t, "101 UPGRADED", WAIT_MS));
  post_204("flood", "start", 204);
  /* 8 MiB through the fake runtime under ASan: a loaded machine takes its time. */
  assert_true(thttp_wait_closed(&c->t, 6 * WAIT_MS));
  assert_false(c->t.graceful);
  assert_true(c->t.queued <= SVC_SINK_QUEUE_MAX);
  disconnect(c);
  assert_true(audited("container.attach", "broken_pipe", "stream dropped"));
  /* The container runs on: a client that does not read costs only its own stream. */
  cJSON *j = inspect("flood");
  assert_string_equal(str_at(j, "State", "Status"), "running");
  cJSON_Delete(j);
  post_204("flood", "kill", 204);
}

/* Through the Engine API: every string from outside is UTF-8 (the path and the query
 * once percent-decoded, the body's strings, without raw control characters), refused naming the part at
 * fault and audited; an answer is UTF-8 whatever it echoes; what is accepted loads again (a configuration
 * over SPEC_JSON_MAX is refused naming its largest field, nothing created). */
static void test_strings_from_outside_are_utf8(void **state) {
  (void)state;
  expect_error("GET", "/containers/%FF%FE/json", NULL, 400, "the request path is not valid UTF-8");
  expect_error("GET", "/containers/json?all=1&filters=%C3%28", NULL, 400, "query parameter filters is not valid UTF-8");
  expect_error("GET", "/containers/json?%FF=1", NULL, 400, "the name of query parameter 1 is not valid UTF-8");
  /* A bad escape used to read as an absent parameter (all=%ZZ listed only running containers). */
  expect_error("GET", "/containers/json?all=%ZZ", NULL, 400, "query parameter 1 has a bad %-escape");
  expect_error("GET", "/containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%01%22%5D%7D", NULL, 400,
               "raw control character 0x01");
  char *body = create_body("[\"exit=0\"]", ",\"Labels\":{\"tier\":\"PLACEHOLDER\"}", NULL);
  char *at = strstr(body, "PLACEHOLDER");
  memcpy(at, "web\xff\xfe      ", 11);
  expect_error("POST", "/containers/create?name=bad", body, 400, "body.Labels.tier is not valid UTF-8");
  memcpy(at, "web\x01       ", 11);
  expect_error("POST", "/containers/create?name=bad", body, 400, "a string holds the raw control character 0x01");
  free(body);
  expect_error("POST", "/containers/x/update", "{\"Memory\":\"\xc0\xaf\"}", 400, "body.Memory is not valid UTF-8");
  /* What an answer echoes is valid JSON text (the message names the container as sent). */
  expect_error("GET", "/containers/%C3%A9t%C3%A9/json", NULL, 404, "No such container: \xc3\xa9t\xc3\xa9");
  /* Larger than a record may hold: 413, naming Cmd. */
  size_t big = 3u * 1024u * 1024u;
  char *arg = malloc(big + 1);
  memset(arg, 'A', big);
  arg[big] = '\0';
  body = create_body("[\"exit=0\"]", NULL, NULL);
  cJSON *j = cJSON_Parse(body);
  free(body);
  cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "Cmd");
  cJSON_AddItemToArray(cmd, cJSON_CreateString(arg));
  free(arg);
  body = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  expect_error("POST", "/containers/create?name=huge", body, 413, "Cmd");
  free(body);
  cJSON *list = request_json("GET", "/containers/json?all=1", NULL, 200);
  assert_int_equal(cJSON_GetArraySize(list), 0);
  cJSON_Delete(list);
  assert_true(audited("engine-api", "invalid_argument", "the request path is not valid UTF-8"));
  assert_true(audited("container.create", "invalid_argument", "body.Labels.tier is not valid UTF-8"));
}

/* /containers/{id}/archive (docker cp): the stat header (HEAD and GET), the tar, PUT's extraction, dockerd's
 * statuses. A job container whose sandbox is a folder of the data root. */
static void test_archive(void **state) {
  (void)state;
  char sandbox[1200], file[1400];
  snprintf(sandbox, sizeof sandbox, "%s" WCTR_FS_SEP "sandbox", root);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(sandbox, &e), WCTR_OK);
  snprintf(file, sizeof file, "%s" WCTR_FS_SEP "a.txt", sandbox);
  assert_int_equal(wctr_fs_write_atomic(file, "alpha", 5, &e), WCTR_OK);
  char *body = base_body("[\"exit=0\"]");
  cJSON *b = cJSON_Parse(body);
  free(body);
  cJSON_ReplaceItemInObject(b, "Image", cJSON_CreateString(sandbox));
  char *text = cJSON_PrintUnformatted(b);
  cJSON_Delete(b);
  cJSON_Delete(request_json("POST", "/containers/create?name=cpy", text, 201));
  free(text);
  thttp_resp r;
  request("HEAD", "/v1.41/containers/cpy/archive?path=C:%5Ca.txt", NULL, &r);
  assert_int_equal(r.status, 200);
  const char *h = strstr(r.head, "X-Docker-Container-Path-Stat: ");
  assert_non_null(h);
  h += strlen("X-Docker-Container-Path-Stat: ");
  uint8_t *raw = NULL;
  size_t raw_len = 0;
  assert_int_equal(wctr_base64_decode(h, strcspn(h, "\r"), &raw, &raw_len, "header", &e), WCTR_OK);
  cJSON *stat = cJSON_ParseWithLength((const char *)raw, raw_len);
  free(raw);
  assert_string_equal(str_at(stat, "name", NULL), "a.txt");
  assert_true(num_at(stat, "size", NULL) == 5.0);
  cJSON_Delete(stat);
  thttp_resp_free(&r);
  /* GET: the tar, its stat in the header. */
  request("GET", "/v1.41/containers/cpy/archive?path=%2Fa.txt", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_non_null(strstr(r.head, "X-Docker-Container-Path-Stat: "));
  assert_non_null(strstr(r.head, "application/x-tar"));
  assert_int_equal(r.body_len % 512, 0);
  assert_true(r.body_len >= 512 * 4);
  assert_string_equal(r.body, "a.txt"); /* the first header's name field, NUL-terminated */
  assert_memory_equal(r.body + 512, "alpha", 5);
  /* PUT: the same tar into a folder, under another name via a second request to a new folder. */
  char *tar = malloc(r.body_len);
  memcpy(tar, r.body, r.body_len);
  size_t tar_len = r.body_len;
  thttp_resp_free(&r);
  char sub[1300];
  snprintf(sub, sizeof sub, "%s" WCTR_FS_SEP "in", sandbox);
  assert_int_equal(wctr_fs_mkdir(sub, &e), WCTR_OK);
  conn *c = connect_api(true);
  char head[1024];
  snprintf(head, sizeof head, "PUT /v1.41/containers/cpy/archive?path=C:%%5Cin&noOverwriteDirNonDir=true HTTP/1.1\r\n"
           "Host: api\r\n" AUTH "Content-Type: application/x-tar\r\nContent-Length: %zu\r\n\r\n", tar_len);
  thttp_feed_text(&c->t, head);
  thttp_feed(&c->t, tar, tar_len);
  read_response(c, false, true, &r);
  assert_int_equal(r.status, 200);
  thttp_resp_free(&r);
  disconnect(c);
  free(tar);
  snprintf(file, sizeof file, "%s" WCTR_FS_SEP "a.txt", sub);
  char *got = NULL;
  size_t got_len = 0;
  assert_int_equal(wctr_fs_read_all(file, 100, &got, &got_len), WCTR_OK);
  assert_string_equal(got, "alpha");
  free(got);
  /* dockerd's statuses. */
  expect_error("GET", "/containers/cpy/archive?path=C:%5Cnope", NULL, 404, "Could not find the file C:\\nope in container cpy");
  expect_error("GET", "/containers/cpy/archive", NULL, 400, "path cannot be empty");
  expect_error("GET", "/containers/cpy/archive?path=C:%5C..%5Cx", NULL, 400, "\"..\"");
  expect_error("PUT", "/containers/cpy/archive?path=C:%5Ca.txt", "x", 400, "extraction point is not a directory");
  expect_error("GET", "/containers/nosuch/archive?path=C:%5Cx", NULL, 404, "No such container: nosuch");
  assert_true(audited("container.archive.get", NULL, "Could not find the file"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_ping_and_headers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_maps_and_inspect_shape, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_refuses_what_it_cannot_apply, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_filters_and_status, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_before_since_limit_and_more_filters, setup, teardown),
      cmocka_unit_test_setup_teardown(test_start_stop_restart_kill, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pause_and_unpause, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wait_conditions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_attach_frames_and_stdin, setup, teardown),
      cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
      cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
      cmocka_unit_test_setup_teardown(test_update_rename_delete_prune, setup, teardown),
      cmocka_unit_test_setup_teardown(test_events, setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_labels_and_image, setup, teardown),
      cmocka_unit_test_setup_teardown(test_image_events, setup, teardown),
      cmocka_unit_test_setup_teardown(test_images_and_not_implemented, setup, teardown),
      cmocka_unit_test_setup_teardown(test_networks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_top, setup, teardown),
      cmocka_unit_test(test_top_shape),
      cmocka_unit_test_setup_teardown(test_volumes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_health, setup, teardown),
      cmocka_unit_test_setup_teardown(test_dropped_stream_is_audited, setup, teardown),
      cmocka_unit_test_setup_teardown(test_strings_from_outside_are_utf8, setup, teardown),
      cmocka_unit_test_setup_teardown(test_archive, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
