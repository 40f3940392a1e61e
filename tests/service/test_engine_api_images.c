/* The Engine API's /images endpoints (service/engine_api_images.c) end to end without sockets: raw HTTP requests
 * through HTTP sessions over the fake transport (tests/service/thttp.h), the real operation layer and the real image
 * operations (service/image_ops.h) over a real store and the images suites' in-memory registry
 * (tests/images/fake_registry.h), with an `image add` catalog of one record played by the test: pull as Docker's JSON
 * progress stream with X-Registry-Auth (and no secret in the audit trail), the refusals before a stream, list and
 * inspect of store and catalog images, tag, history, save (one name, several), load of the saved archive, rmi with
 * force, prune with dangling, and the audit of each. Natively under ASan/UBSan and under Wine. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/ioc.h"
#include "images/import.h"
#include "images/store.h"
#include "service/engine_api.h"
#include "service/image_ops.h"
#include "service/ops.h"
#include "tests/images/fake_registry.h"
#include "testutil.h"
#include "thttp.h"

enum { WAIT_MS = 10000 };
#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define AUTH "Authorization: Bearer " TOKEN "\r\n"

static wctr_ioc *ioc;
static svc_ops *ops;
static svc_engine_api *api;
static svc_image_service svc;
static fake_registry *reg;
static char root[600];
static char in_use_by[128];
static bool legacy_removed;

/* --- the audit trail, captured --- */

static pthread_mutex_t audit_mu = PTHREAD_MUTEX_INITIALIZER;
static cJSON *audit_records;

static void audit(void *ctx, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                  const char *detail) {
  (void)ctx, (void)caller;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "Op", op);
  cJSON_AddStringToObject(r, "Target", target != NULL ? target : "");
  cJSON_AddStringToObject(r, "Result", wctr_err_name(result));
  cJSON_AddStringToObject(r, "Detail", detail != NULL ? detail : "");
  pthread_mutex_lock(&audit_mu);
  cJSON_AddItemToArray(audit_records, r);
  pthread_mutex_unlock(&audit_mu);
}

static bool audited(const char *op, const char *result, const char *target_part) {
  bool found = false;
  pthread_mutex_lock(&audit_mu);
  const cJSON *r;
  cJSON_ArrayForEach(r, audit_records) {
    const char *o = cJSON_GetObjectItemCaseSensitive(r, "Op")->valuestring;
    const char *res = cJSON_GetObjectItemCaseSensitive(r, "Result")->valuestring;
    const char *t = cJSON_GetObjectItemCaseSensitive(r, "Target")->valuestring;
    if (strcmp(o, op) == 0 && strcmp(res, result) == 0 && (target_part == NULL || strstr(t, target_part) != NULL)) {
      found = true;
    }
  }
  pthread_mutex_unlock(&audit_mu);
  return found;
}

static bool audit_mentions(const char *text) {
  pthread_mutex_lock(&audit_mu);
  char *all = cJSON_PrintUnformatted(audit_records);
  pthread_mutex_unlock(&audit_mu);
  bool found = strstr(all, text) != NULL;
  cJSON_free(all);
  return found;
}

/* --- the catalog of `image add` records: one, "legacy:latest" --- */

static const char legacy_record[] =
    "{\"Name\":\"legacy:latest\",\"Layers\":[{\"Id\":\"11111111-2222-5333-8444-555555555555\",\"Path\":\"C:\\\\l\\\\top\"}],"
    "\"OsVersion\":\"10.0.20348.1\",\"Cmd\":[\"cmd\",\"/c\",\"ver\"],\"Created\":\"2026-11-01T09:00:00Z\"}";

static bool is_legacy(const cJSON *params) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(params, "Name");
  return cJSON_IsString(n) && (strcmp(n->valuestring, "legacy") == 0 || strcmp(n->valuestring, "legacy:latest") == 0);
}

static wctr_err l_list(void *ctx, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)e;
  *result = cJSON_CreateArray();
  if (!legacy_removed) cJSON_AddItemToArray(*result, cJSON_Parse(legacy_record));
  return WCTR_OK;
}

static wctr_err l_inspect(void *ctx, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx;
  if (!is_legacy(params) || legacy_removed) return wctr_fail(e, WCTR_ENOENT, "No such image: x");
  *result = cJSON_Parse(legacy_record);
  return WCTR_OK;
}

static wctr_err l_remove(void *ctx, const cJSON *params, svc_image_used_fn used, void *used_ctx, cJSON **result,
                         wctr_errmsg *e) {
  (void)ctx, (void)used, (void)used_ctx;
  if (!is_legacy(params) || legacy_removed) return wctr_fail(e, WCTR_ENOENT, "No such image: x");
  legacy_removed = true;
  *result = cJSON_CreateObject();
  return WCTR_OK;
}

static bool used(void *ctx, const char *image, char *container, size_t size) {
  (void)ctx;
  if (in_use_by[0] == '\0' || strcmp(image, in_use_by) != 0) return false;
  snprintf(container, size, "web");
  return true;
}

/* --- set-up --- */

static int setup(void **state) {
  (void)state;
  char name[128];
  wctr_test_unique_name("wctr-api-img", name, sizeof name);
#ifdef _WIN32
  const char *base = getenv("TEMP");
#else
  const char *base = getenv("TMPDIR");
#endif
  if (base == NULL || base[0] == '\0') base = "/tmp";
  snprintf(root, sizeof root, "%s%s%s", base, WCTR_FS_SEP, name);
  wctr_errmsg e;
  if (wctr_fs_mkdir(root, &e) != WCTR_OK) fail_msg("%s", e.text);
  wctr_ioc_options io = {.workers = 2, .pool_max = 6};
  if (wctr_ioc_start(&io, &ioc, &e) != WCTR_OK) fail_msg("ioc: %s", e.text);
  char store_dir[700];
  snprintf(store_dir, sizeof store_dir, "%s%sstore", root, WCTR_FS_SEP);
  img_store_options so = {.root = store_dir, .importer = img_importer_test()};
  img_store *store = NULL;
  if (img_store_open(&so, &store, &e) != WCTR_OK) fail_msg("store: %s", e.text);
  reg = fake_registry_new("127.0.0.1:5000");
  memset(&svc, 0, sizeof svc);
  svc.ioc = ioc;
  svc.store = store;
  svc.transport = fake_registry_transport(reg);
  snprintf(svc.host_os_version, sizeof svc.host_os_version, "10.0.20348");
  svc.legacy = (svc_image_legacy){.list = l_list, .inspect = l_inspect, .remove = l_remove};
  svc.used = used;
  in_use_by[0] = '\0';
  legacy_removed = false;
  audit_records = cJSON_CreateArray();
  if (svc_ops_new(ioc, audit, NULL, &ops, &e) != WCTR_OK) fail_msg("%s", e.text);
  size_t n = 0;
  const svc_op *t = svc_image_ops(&n);
  if (svc_ops_add(ops, t, n, &svc, &e) != WCTR_OK) fail_msg("%s", e.text);
  svc_engine_api_options ao = {.ioc = ioc, .ops = ops, .token = TOKEN};
  snprintf(ao.host.os_version, sizeof ao.host.os_version, "10.0.20348");
  ao.host.host_cpus = 2;
  if (svc_engine_api_new(&ao, &api, &e) != WCTR_OK) fail_msg("%s", e.text);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_ops_free(ops);
  svc_engine_api_free(api);
  wctr_ioc_stop(ioc);
  img_store_close(svc.store);
  fake_registry_free(reg);
  cJSON_Delete(audit_records);
  wctr_fs_remove_tree(root, NULL);
  return 0;
}

/* --- requests --- */

typedef struct response {
  int status;
  char head[8192];
  char *body;
  size_t body_len;
} response;

/* One request on a fresh TCP connection (with the token and the extra header lines); the whole response. */
static void request_raw(const char *method, const char *target, const char *headers, const char *body, size_t body_len,
                        response *out) {
  thttp t;
  thttp_init(&t, ioc, svc_engine_api_handler(api, true), "token holder on tcp://127.0.0.1:2375");
  char head[4096];
  snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: api\r\n" AUTH "%sContent-Length: %zu\r\n\r\n", method, target,
           headers != NULL ? headers : "", body_len);
  thttp_feed_text(&t, head);
  if (body_len > 0) thttp_feed(&t, body, body_len);
  thttp_resp r;
  memset(&r, 0, sizeof r);
  bool done = false;
  for (int rounds = 0; rounds < WAIT_MS / 5 && !done; rounds++) {
    size_t len = 0;
    char *text = thttp_output(&t, &len);
    size_t n = thttp_parse(text, len, false, &r);
    free(text);
    if (n > 0 && r.complete) {
      done = true;
      break;
    }
    if (n > 0) thttp_resp_free(&r);
    thttp_wait_len(&t, len + 1, 50);
  }
  if (!done) {
    char *text = thttp_output(&t, NULL);
    fail_msg("%s %s: no complete response in:\n%.2000s", method, target, text);
  }
  out->status = r.status;
  snprintf(out->head, sizeof out->head, "%s", r.head);
  out->body = malloc(r.body_len + 1);
  memcpy(out->body, r.body, r.body_len);
  out->body[r.body_len] = '\0';
  out->body_len = r.body_len;
  thttp_resp_free(&r);
  thttp_gone(&t);
  if (!thttp_wait_released(&t, WAIT_MS)) fail_msg("the session did not release its connection");
  thttp_free(&t);
}

static cJSON *request_json(const char *method, const char *target, int want_status) {
  response r;
  request_raw(method, target, NULL, NULL, 0, &r);
  if (r.status != want_status) fail_msg("%s %s: status %d, wanted %d: %s", method, target, r.status, want_status, r.body);
  cJSON *j = r.body_len > 0 ? cJSON_Parse(r.body) : NULL;
  if (r.body_len > 0 && j == NULL) fail_msg("%s %s: not JSON: %s", method, target, r.body);
  free(r.body);
  return j;
}

static void expect_error(const char *method, const char *target, const char *headers, int status, const char *text) {
  response r;
  request_raw(method, target, headers, NULL, 0, &r);
  if (r.status != status) fail_msg("%s %s: status %d, wanted %d: %s", method, target, r.status, status, r.body);
  cJSON *j = cJSON_Parse(r.body);
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
  if (!cJSON_IsString(m) || strstr(m->valuestring, text) == NULL) {
    fail_msg("%s %s: message %s lacks \"%s\"", method, target, r.body, text);
  }
  cJSON_Delete(j);
  free(r.body);
}

/* A pull that fails: before its stream began (an HTTP error and {"message"}) or in it (Docker's error message, which
 * the docker CLI and docker-py raise) - text in either, and nothing after the error. */
static void expect_pull_error(const char *query, const char *headers, const char *text) {
  char target[400];
  snprintf(target, sizeof target, "/images/create?%s", query);
  response r;
  request_raw("POST", target, headers, NULL, 0, &r);
  const char *err = strstr(r.body, "{\"errorDetail\":{\"message\":");
  if (r.status == 200) {
    if (err == NULL || strstr(err, text) == NULL || strchr(err, '\n')[1] != '\0') {
      fail_msg("pull %s: no error message with \"%s\" at the end of: %s", query, text, r.body);
    }
  } else if (r.status < 400 || strstr(r.body, "\"message\"") == NULL || strstr(r.body, text) == NULL) {
    fail_msg("pull %s: %d %s", query, r.status, r.body);
  }
  free(r.body);
}

static void contains(const char *text, const char *part) {
  if (text == NULL || strstr(text, part) == NULL) fail_msg("\"%s\" not found in:\n%.3000s", part, text != NULL ? text : "(null)");
}

/* The lines of a JSON message stream, each parsed (fails on a line that is not JSON). */
static cJSON *messages(const char *body) {
  cJSON *out = cJSON_CreateArray();
  const char *p = body;
  while (*p != '\0') {
    const char *nl = strchr(p, '\n');
    if (nl == NULL) fail_msg("a message without its newline: %s", p);
    cJSON *m = cJSON_ParseWithLength(p, (size_t)(nl - p));
    if (m == NULL) fail_msg("not a JSON message: %.*s", (int)(nl - p), p);
    cJSON_AddItemToArray(out, m);
    p = nl + 1;
  }
  return out;
}

static bool has_bytes(const char *data, size_t len, const char *part) {
  size_t n = strlen(part);
  for (size_t i = 0; i + n <= len; i++) {
    if (memcmp(data + i, part, n) == 0) return true;
  }
  return false;
}

static void push_app(const char *repo, const char *tag, const char *l1, const char *l2) {
  const char *layers[] = {l1, l2};
  char config[IMG_DIGEST_MAX];
  char d[2][IMG_DIGEST_MAX];
  char *m = fake_image(reg, "10.0.20348.1", layers, 2, false, config, d);
  fake_registry_manifest(reg, repo, tag, "application/vnd.oci.image.manifest.v1+json", m);
  free(m);
}

/* "X-Registry-Auth: <base64url of json>\r\n" */
static void auth_header(const char *json, char *out, size_t size) {
  char *b = wctr_base64_encode((const uint8_t *)json, strlen(json));
  for (char *c = b; *c != '\0'; c++) {
    if (*c == '+') *c = '-';
    if (*c == '/') *c = '_';
  }
  snprintf(out, size, "X-Registry-Auth: %s\r\n", b);
  free(b);
}

static void pull(const char *query, const char *headers) {
  char target[400];
  snprintf(target, sizeof target, "/v1.41/images/create?%s", query);
  response r;
  request_raw("POST", target, headers, NULL, 0, &r);
  if (r.status != 200) fail_msg("pull %s: %d %s", query, r.status, r.body);
  contains(r.body, "\"status\":\"Status: Downloaded newer image for");
  free(r.body);
}

/* --- the tests --- */

static void test_pull_stream_and_auth(void **state) {
  (void)state;
  push_app("app", "v1", "api pull base", "api pull top");
  fake_registry_auth(reg, FAKE_AUTH_BASIC, "alice", "pw-secret");
  char auth[512];
  auth_header("{\"username\":\"alice\",\"password\":\"pw-secret\",\"serveraddress\":\"127.0.0.1:5000\"}", auth,
              sizeof auth);
  response r;
  request_raw("POST", "/v1.41/images/create?fromImage=127.0.0.1%3A5000%2Fapp&tag=v1", auth, NULL, 0, &r);
  if (r.status != 200) fail_msg("pull: %d %s", r.status, r.body);
  contains(r.head, "application/json");
  cJSON *msgs = messages(r.body);
  int n = cJSON_GetArraySize(msgs);
  assert_true(n >= 5);
  /* Docker's messages: the tag first, layers with progressDetail, the digest and the status last */
  const cJSON *first = cJSON_GetArrayItem(msgs, 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "status")->valuestring, "Pulling from app");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(first, "id")->valuestring, "v1");
  contains(r.body, "\"status\":\"Pull complete\"");
  contains(r.body, "\"progressDetail\":{\"current\":");
  const char *digest = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, n - 2), "status")->valuestring;
  assert_true(strncmp(digest, "Digest: sha256:", 15) == 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, n - 1), "status")->valuestring,
                      "Status: Downloaded newer image for 127.0.0.1:5000/app:v1");
  assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, n - 1), "id"));
  cJSON_Delete(msgs);
  free(r.body);
  assert_true(audited("image.pull", "ok", "127.0.0.1:5000/app:v1"));

  /* Without credentials: the registry's refusal, in the operation's words. */
  push_app("app", "v2", "api pull base 2", "api pull top 2");
  expect_pull_error("fromImage=127.0.0.1:5000/app&tag=v2", NULL, "asks for a user name and password");
  /* A wrong password: refused the same way, the password nowhere. */
  auth_header("{\"username\":\"alice\",\"password\":\"not-it-9\"}", auth, sizeof auth);
  expect_pull_error("fromImage=127.0.0.1:5000/app&tag=v2", auth, "127.0.0.1:5000");
  assert_true(audited("image.pull", "access_denied", "127.0.0.1:5000/app:v2"));
  assert_false(audit_mentions("pw-secret"));
  assert_false(audit_mentions("not-it-9"));
  /* docker login: POST /auth checks the credentials with the registry; wctrd keeps nothing. */
  response lr;
  const char *good = "{\"username\":\"alice\",\"password\":\"pw-secret\",\"serveraddress\":\"https://127.0.0.1:5000/v2/\"}";
  request_raw("POST", "/v1.41/auth", "Content-Type: application/json\r\n", good, strlen(good), &lr);
  if (lr.status != 200) fail_msg("login: %d %s", lr.status, lr.body);
  contains(lr.body, "\"Status\":\"Login Succeeded\"");
  free(lr.body);
  const char *wrong = "{\"username\":\"alice\",\"password\":\"not-it-7\",\"serveraddress\":\"127.0.0.1:5000\"}";
  request_raw("POST", "/auth", "Content-Type: application/json\r\n", wrong, strlen(wrong), &lr);
  assert_true(lr.status >= 400);
  contains(lr.body, "\"message\"");
  assert_null(strstr(lr.body, "not-it-7"));
  free(lr.body);
  assert_true(audited("registry.login", "access_denied", NULL) || audited("registry.login", "invalid_argument", NULL) ||
              audited("registry.login", "network", NULL));
  assert_false(audit_mentions("not-it-7"));
  request_raw("POST", "/auth", NULL, "{}", 2, &lr);
  assert_int_equal(lr.status, 400);
  free(lr.body);
  /* The standard alphabet with padding is read too (docker-py's urlsafe encoding differs only in two characters). */
  char *b = wctr_base64_encode((const uint8_t *)"{\"username\":\"alice\",\"password\":\"pw-secret\"}", 43);
  snprintf(auth, sizeof auth, "X-Registry-Auth: %s\r\n", b);
  free(b);
  pull("fromImage=127.0.0.1:5000/app&tag=v2", auth);
  /* An empty AuthConfig ("{}", what the docker CLI sends without a login) is no credential. */
  fake_registry_auth(reg, FAKE_AUTH_NONE, NULL, NULL);
  push_app("other", "1", "other base", "other top");
  auth_header("{}", auth, sizeof auth);
  pull("fromImage=127.0.0.1:5000/other&tag=1", auth);
  /* A tag missing from the registry: the HTTP status of the failure, before any message. */
  expect_pull_error("fromImage=127.0.0.1:5000/other&tag=nope", NULL, "nope");
}

static void test_pull_refusals(void **state) {
  (void)state;
  expect_error("POST", "/images/create?fromSrc=-&repo=x", NULL, 501, "docker import");
  assert_true(audited("image.import", "not_supported", NULL));
  expect_error("POST", "/images/create", NULL, 400, "fromImage is required");
  expect_error("POST", "/images/create?fromImage=127.0.0.1:5000/app&tag=v1&platform=linux", NULL, 400,
               "windows/amd64 only");
  expect_error("POST", "/images/create?fromImage=127.0.0.1:5000/app&tag=", NULL, 501, "--all-tags");
  expect_error("POST", "/images/create?fromImage=127.0.0.1:5000/app", NULL, 501, "--all-tags");
  expect_error("POST", "/images/create?fromImage=Bad:Name&tag=1", NULL, 400, "invalid reference format");
  expect_error("POST", "/images/create?fromImage=x&tag=1", "X-Registry-Auth: %%%\r\n", 400, "X-Registry-Auth is not base64");
  char auth[512];
  auth_header("{\"identitytoken\":\"tok-secret\"}", auth, sizeof auth);
  expect_error("POST", "/images/create?fromImage=x&tag=1", auth, 400, "identity or registry token is not supported");
  assert_false(audit_mentions("tok-secret"));
  expect_error("GET", "/images/search?term=x", NULL, 501, "searching a registry is not implemented");
  expect_error("POST", "/images/x/push", NULL, 501, "pushing images is not implemented");
}

static void test_list_inspect_tag_history(void **state) {
  (void)state;
  push_app("app", "v1", "list base", "list top");
  pull("fromImage=127.0.0.1:5000/app&tag=v1", NULL);
  cJSON *l = request_json("GET", "/v1.41/images/json", 200);
  assert_int_equal(cJSON_GetArraySize(l), 2); /* the pulled image and the catalog's */
  const cJSON *img = NULL;
  const cJSON *it;
  cJSON_ArrayForEach(it, l) {
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(it, "RepoTags");
    if (strcmp(cJSON_GetArrayItem(tags, 0)->valuestring, "127.0.0.1:5000/app:v1") == 0) img = it;
  }
  assert_non_null(img);
  char id[80];
  snprintf(id, sizeof id, "%s", cJSON_GetObjectItemCaseSensitive(img, "Id")->valuestring);
  assert_true(strncmp(id, "sha256:", 7) == 0 && strlen(id) == 71);
  assert_true(cJSON_GetObjectItemCaseSensitive(img, "Size")->valuedouble > 0);
  assert_true(cJSON_GetObjectItemCaseSensitive(img, "Created")->valuedouble > 0);
  assert_true(strncmp(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(img, "RepoDigests"), 0)->valuestring,
                      "127.0.0.1:5000/app@sha256:", 26) == 0);
  cJSON_Delete(l);
  /* the reference filter, on any of the tags */
  l = request_json("GET", "/images/json?filters=%7B%22reference%22%3A%5B%22127.0.0.1%3A5000%2Fapp%22%5D%7D", 200);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  cJSON_Delete(l);
  /* inspect by name, by id, by a prefix of the id: Docker's ImageInspect */
  cJSON *i = request_json("GET", "/images/127.0.0.1:5000/app:v1/json", 200);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(i, "Id")->valuestring, id);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(i, "Os")->valuestring, "windows");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(i, "RootFS"), "Type")->valuestring,
                      "layers");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(i, "RootFS"), "Layers")), 2);
  cJSON_Delete(i);
  char target[200];
  snprintf(target, sizeof target, "/images/%s/json", id);
  i = request_json("GET", target, 200);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(i, "Id")->valuestring, id);
  cJSON_Delete(i);
  snprintf(target, sizeof target, "/images/%.12s/json", id + 7);
  i = request_json("GET", target, 200);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(i, "Id")->valuestring, id);
  cJSON_Delete(i);
  /* the catalog's image still answers under its derived id */
  i = request_json("GET", "/images/legacy/json", 200);
  char legacy_id[80];
  snprintf(legacy_id, sizeof legacy_id, "%s", cJSON_GetObjectItemCaseSensitive(i, "Id")->valuestring);
  cJSON_Delete(i);
  snprintf(target, sizeof target, "/images/%.16s/json", legacy_id + 7);
  i = request_json("GET", target, 200);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(i, "RepoTags"), 0)->valuestring, "legacy:latest");
  cJSON_Delete(i);
  expect_error("GET", "/images/nothere:1/json", NULL, 404, "nothere");
  /* tag: 201 without a body; the new name lists */
  response r;
  request_raw("POST", "/v1.41/images/127.0.0.1:5000/app:v1/tag?repo=mine%2Fapp&tag=prod", NULL, NULL, 0, &r);
  assert_int_equal(r.status, 201);
  assert_int_equal(r.body_len, 0);
  free(r.body);
  assert_true(audited("image.tag", "ok", NULL));
  i = request_json("GET", "/images/mine/app:prod/json", 200);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(i, "Id")->valuestring, id);
  cJSON_Delete(i);
  request_raw("POST", "/images/127.0.0.1:5000/app:v1/tag?repo=mine%2Fapp", NULL, NULL, 0, &r);
  assert_int_equal(r.status, 201);
  free(r.body);
  i = request_json("GET", "/images/mine/app:latest/json", 200);
  cJSON_Delete(i);
  expect_error("POST", "/images/127.0.0.1:5000/app:v1/tag", NULL, 400, "repo is required");
  expect_error("POST", "/images/nothere:1/tag?repo=x", NULL, 404, "nothere");
  expect_error("POST", "/images/127.0.0.1:5000/app:v1/tag?repo=Bad", NULL, 400, "invalid reference format");
  /* history: Docker's rows, Created in Unix seconds, newest first, the tags on the top row */
  cJSON *h = request_json("GET", "/images/mine/app:prod/history", 200);
  assert_true(cJSON_GetArraySize(h) >= 2);
  const cJSON *top = cJSON_GetArrayItem(h, 0);
  assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(top, "Created")));
  assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(top, "Size")));
  assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(top, "CreatedBy")));
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(top, "Id")->valuestring, id);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(top, "Tags")));
  cJSON_Delete(h);
  expect_error("GET", "/images/nothere:1/history", NULL, 404, "nothere");
}

static void test_save_load_remove_prune(void **state) {
  (void)state;
  push_app("app", "v1", "save base", "save top");
  push_app("app", "v2", "save base 2", "save top 2");
  pull("fromImage=127.0.0.1:5000/app&tag=v1", NULL);
  pull("fromImage=127.0.0.1:5000/app&tag=v2", NULL);
  /* save: a tar (an OCI layout with Docker's manifest.json), streamed */
  response saved;
  request_raw("GET", "/v1.41/images/127.0.0.1:5000/app:v1/get", NULL, NULL, 0, &saved);
  assert_int_equal(saved.status, 200);
  contains(saved.head, "application/x-tar");
  assert_true(saved.body_len > 1024 && saved.body_len % 512 == 0);
  assert_true(has_bytes(saved.body, saved.body_len, "manifest.json"));
  response both;
  request_raw("GET", "/images/get?names=127.0.0.1%3A5000%2Fapp%3Av1&names=127.0.0.1%3A5000%2Fapp%3Av2", NULL, NULL, 0,
              &both);
  assert_int_equal(both.status, 200);
  assert_true(both.body_len > saved.body_len);
  assert_true(has_bytes(both.body, both.body_len, "app:v2"));
  free(both.body);
  expect_error("GET", "/images/get", NULL, 400, "names is required");
  expect_error("GET", "/images/nothere:1/get", NULL, 404, "nothere");
  /* rmi: in use -> 409 (force or not: wctr never removes an image a container uses) */
  snprintf(in_use_by, sizeof in_use_by, "127.0.0.1:5000/app:v1");
  expect_error("DELETE", "/images/127.0.0.1:5000/app:v1", NULL, 409, "web");
  expect_error("DELETE", "/images/127.0.0.1:5000/app:v1?force=1", NULL, 409, "web");
  in_use_by[0] = '\0';
  cJSON *d = request_json("DELETE", "/v1.41/images/127.0.0.1:5000/app:v1?noprune=1", 200);
  char *text = cJSON_PrintUnformatted(d);
  contains(text, "{\"Untagged\":\"127.0.0.1:5000/app:v1\"}");
  contains(text, "{\"Deleted\":\"sha256:");
  cJSON_free(text);
  cJSON_Delete(d);
  assert_true(audited("image.remove", "ok", "127.0.0.1:5000/app:v1"));
  expect_error("GET", "/images/127.0.0.1:5000/app:v1/json", NULL, 404, "app:v1");
  expect_error("DELETE", "/images/127.0.0.1:5000/app:v1", NULL, 404, "app:v1");
  expect_error("DELETE", "/images/x?force=maybe", NULL, 400, "not a boolean");
  /* load: the saved archive as the body; Docker's {"stream"} lines */
  response r;
  request_raw("POST", "/v1.41/images/load?quiet=1", "Content-Type: application/x-tar\r\n", saved.body, saved.body_len, &r);
  if (r.status != 200) fail_msg("load: %d %s", r.status, r.body);
  cJSON *msgs = messages(r.body);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 0), "stream")->valuestring,
                      "Loaded image: 127.0.0.1:5000/app:v1\n");
  cJSON_Delete(msgs);
  free(r.body);
  free(saved.body);
  assert_true(audited("image.load", "ok", NULL));
  cJSON *i = request_json("GET", "/images/127.0.0.1:5000/app:v1/json", 200);
  cJSON_Delete(i);
  /* not an archive: the operation's failure, before any message */
  request_raw("POST", "/images/load", NULL, "this is not a tar archive at all", 32, &r);
  assert_true(r.status >= 400);
  contains(r.body, "\"message\"");
  free(r.body);
  expect_error("POST", "/images/load", NULL, 400, "the body must be an image archive");
  /* prune: nothing dangling; filters it cannot decide are refused; dangling=false removes what no container uses */
  cJSON *p = request_json("POST", "/v1.41/images/prune", 200);
  assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p, "ImagesDeleted")));
  assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(p, "SpaceReclaimed")->valuedouble, 0);
  cJSON_Delete(p);
  expect_error("POST", "/images/prune?filters=%7B%22until%22%3A%5B%2224h%22%5D%7D", NULL, 400, "invalid filter 'until'");
  expect_error("POST", "/images/prune?filters=%7B%22dangling%22%3A%5B%22maybe%22%5D%7D", NULL, 400, "true or false");
  expect_error("POST", "/images/prune?filters=%7B%22reference%22%3A%5B%22x%22%5D%7D", NULL, 400, "invalid filter 'reference'");
  snprintf(in_use_by, sizeof in_use_by, "127.0.0.1:5000/app:v2");
  p = request_json("POST", "/images/prune?filters=%7B%22dangling%22%3A%5B%22false%22%5D%7D", 200);
  text = cJSON_PrintUnformatted(p);
  contains(text, "\"Untagged\":\"127.0.0.1:5000/app:v1\"");
  assert_null(strstr(text, "app:v2"));
  assert_true(cJSON_GetObjectItemCaseSensitive(p, "SpaceReclaimed")->valuedouble > 0);
  cJSON_free(text);
  cJSON_Delete(p);
  assert_true(audited("image.prune", "ok", NULL));
  i = request_json("GET", "/images/127.0.0.1:5000/app:v2/json", 200);
  cJSON_Delete(i);
  /* the catalog's image, by name */
  d = request_json("DELETE", "/images/legacy", 200);
  text = cJSON_PrintUnformatted(d);
  contains(text, "{\"Untagged\":\"legacy\"}");
  cJSON_free(text);
  cJSON_Delete(d);
}


/* --- load: the body streams to the operation ------------------------------------------------------------------------ */

/* Sends body to POST /images/load as a client whose reads the session paces: pieces of piece bytes (chunked, or
 * under Content-Length), and whenever the session stops reading (feed answers false) it waits for the resume as a
 * transport does. The response, whole. Returns how many times reading stopped. */
static int stream_load(const char *body, size_t len, bool chunked, size_t piece, response *out) {
  thttp t;
  thttp_init(&t, ioc, svc_engine_api_handler(api, true), "token holder on tcp://127.0.0.1:2375");
  char head[512];
  if (chunked) {
    snprintf(head, sizeof head, "POST /v1.41/images/load?quiet=0 HTTP/1.1\r\nHost: api\r\n" AUTH
             "Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n");
  } else {
    snprintf(head, sizeof head, "POST /v1.41/images/load?quiet=0 HTTP/1.1\r\nHost: api\r\n" AUTH
             "Content-Type: application/x-tar\r\nContent-Length: %zu\r\n\r\n", len);
  }
  bool go_on = thttp_feed_text(&t, head);
  int stops = 0;
  size_t at = 0;
  while (at < len || go_on == false) {
    if (!go_on) {
      /* Stopped: a transport posts no read until resume. */
      stops++;
      int resumes = t.resumes;
      for (int i = 0; i < WAIT_MS / 2; i++) {
        pthread_mutex_lock(&t.mu);
        bool resumed = t.resumes > resumes;
        pthread_mutex_unlock(&t.mu);
        if (resumed) break;
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
      }
      pthread_mutex_lock(&t.mu);
      bool resumed = t.resumes > resumes;
      pthread_mutex_unlock(&t.mu);
      if (!resumed) fail_msg("reading stopped at byte %zu of the body and never resumed", at);
      go_on = true;
      if (at == len) break;
    }
    size_t n = len - at < piece ? len - at : piece;
    if (chunked) {
      char size_line[32];
      snprintf(size_line, sizeof size_line, "%zx;piece=%zu\r\n", n, at / piece);
      thttp_feed_text(&t, size_line);
      thttp_feed(&t, body + at, n);
      go_on = thttp_feed_text(&t, "\r\n");
    } else {
      go_on = thttp_feed(&t, body + at, n);
    }
    at += n;
  }
  if (chunked) thttp_feed_text(&t, "0\r\n\r\n");
  thttp_resp r;
  memset(&r, 0, sizeof r);
  bool done = false;
  for (int rounds = 0; rounds < WAIT_MS / 5 && !done; rounds++) {
    size_t olen = 0;
    char *text = thttp_output(&t, &olen);
    size_t n = thttp_parse(text, olen, false, &r);
    free(text);
    if (n > 0 && r.complete) {
      done = true;
      break;
    }
    if (n > 0) thttp_resp_free(&r);
    thttp_wait_len(&t, olen + 1, 50);
  }
  if (!done) fail_msg("load: no complete response");
  out->status = r.status;
  snprintf(out->head, sizeof out->head, "%s", r.head);
  out->body = malloc(r.body_len + 1);
  memcpy(out->body, r.body, r.body_len);
  out->body[r.body_len] = '\0';
  out->body_len = r.body_len;
  thttp_resp_free(&r);
  thttp_gone(&t);
  if (!thttp_wait_released(&t, WAIT_MS)) fail_msg("the session did not release its connection");
  thttp_free(&t);
  return stops;
}

static bool count_file(void *ctx, const char *name, bool is_dir) {
  (void)name;
  if (!is_dir) (*(int *)ctx)++;
  return true;
}

static int tmp_files(void) {
  char dir[800];
  snprintf(dir, sizeof dir, "%s%sstore%stmp", root, WCTR_FS_SEP, WCTR_FS_SEP);
  int n = 0;
  wctr_fs_list(dir, count_file, &n);
  return n;
}

static void test_load_streams_an_archive_beyond_the_old_limit(void **state) {
  (void)state;
  /* A layer of 5 MiB of varied bytes: its archive is larger than any body read whole (SVC_HTTP_MAX_BODY). */
  size_t big_len = 5u * 1024u * 1024u;
  char *big = malloc(big_len + 1);
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < big_len; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    big[i] = (char)('!' + x % 90u);
  }
  big[big_len] = '\0';
  push_app("big", "v1", big, "big top");
  free(big);
  pull("fromImage=127.0.0.1:5000/big&tag=v1", NULL);
  response saved;
  request_raw("GET", "/images/127.0.0.1:5000/big:v1/get", NULL, NULL, 0, &saved);
  assert_int_equal(saved.status, 200);
  assert_true(saved.body_len > SVC_HTTP_MAX_BODY);
  for (int chunked = 0; chunked < 2; chunked++) {
    cJSON *d = request_json("DELETE", "/images/127.0.0.1:5000/big:v1", 200);
    cJSON_Delete(d);
    expect_error("GET", "/images/127.0.0.1:5000/big:v1/json", NULL, 404, "big:v1");
    response r;
    /* Reads of 16 KiB under Content-Length; chunks of 1.5 MiB, more than the front-end queues for an operation
     * (1 MiB): reading stops until the operation took it. */
    int stops = stream_load(saved.body, saved.body_len, chunked == 1, chunked ? 1536u * 1024u : 16384u, &r);
    print_message("load of %lu bytes (%s): reading stopped %d times for the operation\n",
                  (unsigned long)saved.body_len, chunked ? "chunked" : "Content-Length", stops);
    if (chunked) assert_true(stops >= 1);
    if (r.status != 200) fail_msg("load (%s): %d %s", chunked ? "chunked" : "Content-Length", r.status, r.body);
    contains(r.body, "{\"stream\":\"Loaded image: 127.0.0.1:5000/big:v1\\n\"}");
    assert_null(strstr(r.body, "error"));
    free(r.body);
    cJSON *i = request_json("GET", "/images/127.0.0.1:5000/big:v1/json", 200);
    cJSON_Delete(i);
  }
  assert_int_equal(tmp_files(), 0);
  /* A client that leaves half-way: the operation hears it, nothing is loaded, its temporary file goes. */
  cJSON *d = request_json("DELETE", "/images/127.0.0.1:5000/big:v1", 200);
  cJSON_Delete(d);
  thttp t;
  thttp_init(&t, ioc, svc_engine_api_handler(api, true), "token holder on tcp://127.0.0.1:2375");
  char head[512];
  snprintf(head, sizeof head, "POST /images/load HTTP/1.1\r\nHost: api\r\n" AUTH "Content-Length: %zu\r\n\r\n",
           saved.body_len);
  thttp_feed_text(&t, head);
  thttp_feed(&t, saved.body, saved.body_len / 2);
  thttp_gone(&t);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
  for (int i = 0; i < WAIT_MS / 10 && tmp_files() != 0; i++) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(tmp_files(), 0);
  expect_error("GET", "/images/127.0.0.1:5000/big:v1/json", NULL, 404, "big:v1");
  /* Without the token: 401 before a byte of the body is read, and the connection closes. */
  thttp_init(&t, ioc, svc_engine_api_handler(api, true), "token holder on tcp://127.0.0.1:2375");
  thttp_feed_text(&t, "POST /images/load HTTP/1.1\r\nHost: api\r\nContent-Length: 100000000\r\n\r\n");
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  char *out = thttp_output(&t, NULL);
  thttp_resp rr;
  assert_true(thttp_parse(out, strlen(out), false, &rr) > 0);
  assert_int_equal(rr.status, 401);
  thttp_resp_free(&rr);
  free(out);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
  free(saved.body);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_pull_stream_and_auth, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pull_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_inspect_tag_history, setup, teardown),
      cmocka_unit_test_setup_teardown(test_save_load_remove_prune, setup, teardown),
      cmocka_unit_test_setup_teardown(test_load_streams_an_archive_beyond_the_old_limit, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
