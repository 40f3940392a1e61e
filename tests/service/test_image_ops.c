/* tests/service/test_image_ops.c - the image operations of wctrd (service/image_ops.h) over a real store and
 * the in-memory registry (tests/images/fake_registry.h), with a catalog of `image add` records played by
 * the test: the pull as a stream (Docker's progress frames, its result, a refusal, a client that leaves),
 * list and inspect across the store and the catalog, tag, history, remove and prune with a container using
 * the image, the name an `image add` may not take, login against Basic auth, save streamed to the client and
 * loaded back from its stdin, and the image a container gets (rt_image: folders top-most first, command,
 * user). Portable: natively with the sanitizers, and under Wine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "common/ioc.h"
#include "images/import.h"
#include "images/store.h"
#include "runtime/runtime.h"
#include "service/image_ops.h"
#include "tests/images/fake_registry.h"
#include "tests/images/trust_double.h"
#include "tests/images/trust_vectors.h"
#include "testutil.h"
#include "tsink.h"

#define WAIT_MS 10000

static wctr_ioc *ioc;
static svc_image_service svc;
static fake_registry *reg;
static char root[600];
static const svc_caller caller = {.sid = "S-1-5-21-1-2-3-1001", .name = "HOST\\tester", .pid = 1};
static char in_use_by[64]; /* the name a container was created with ("" none) */
/* The image events reported (svc_image_service.event), one "action id name" line each. */
static char events[4096];
static size_t events_len;

static void record_event(void *ctx, const char *action, const char *id, const char *name) {
  (void)ctx;
  events_len += (size_t)snprintf(events + events_len, sizeof events - events_len, "%s %s %s\n", action, id, name);
  if (events_len >= sizeof events) events_len = sizeof events - 1;
}

/* The events since the last call, then forgotten. */
static void expect_events(const char *want) {
  if (strcmp(events, want) != 0) fail_msg("events:\n%s\nwanted:\n%s", events, want);
  events[0] = '\0';
  events_len = 0;
}

/* The store's id of a name. */
static void id_of(const char *name, char out[80]);
static bool legacy_removed;

/* --- the catalog of `image add` records, one record "legacy:latest" --- */

static const char legacy_record[] =
    "{\"Name\":\"legacy:latest\",\"Layers\":[{\"Id\":\"11111111-2222-5333-8444-555555555555\",\"Path\":\"C:\\\\l\\\\top\"}],"
    "\"OsVersion\":\"10.0.20348.1\",\"Cmd\":[\"cmd\",\"/c\",\"ver\"],\"Created\":\"2026-11-01T09:00:00Z\"}";

static bool is_legacy(const cJSON *params) {
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(params, "Name");
  return cJSON_IsString(n) && (strcmp(n->valuestring, "legacy") == 0 || strcmp(n->valuestring, "legacy:latest") == 0);
}

static wctr_err l_add(void *ctx, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)params, (void)e;
  *result = cJSON_Parse(legacy_record);
  return WCTR_OK;
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
  if (!is_legacy(params)) return wctr_fail(e, WCTR_ENOENT, "No such image: x");
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
  wctr_test_unique_name("wctr-image-ops", name, sizeof name);
#ifdef _WIN32
  const char *base = getenv("TEMP");
#else
  const char *base = getenv("TMPDIR");
#endif
  if (base == NULL || base[0] == '\0') base = "/tmp";
  snprintf(root, sizeof root, "%s%s%s", base, WCTR_FS_SEP, name);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(root, &e), WCTR_OK);
  wctr_ioc_options io = {.workers = 2, .pool_max = 6};
  assert_int_equal(wctr_ioc_start(&io, &ioc, &e), WCTR_OK);
  char store_dir[700];
  snprintf(store_dir, sizeof store_dir, "%s%sstore", root, WCTR_FS_SEP);
  img_store_options so = {.root = store_dir, .importer = img_importer_test()};
  img_store *store = NULL;
  assert_int_equal(img_store_open(&so, &store, &e), WCTR_OK);
  reg = fake_registry_new("127.0.0.1:5000");
  memset(&svc, 0, sizeof svc);
  svc.ioc = ioc;
  svc.store = store;
  svc.transport = fake_registry_transport(reg);
  snprintf(svc.host_os_version, sizeof svc.host_os_version, "10.0.20348");
  svc.legacy = (svc_image_legacy){.add = l_add, .list = l_list, .inspect = l_inspect, .remove = l_remove};
  svc.used = used;
  svc.event = record_event;
  events[0] = '\0';
  events_len = 0;
  in_use_by[0] = '\0';
  legacy_removed = false;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wctr_ioc_stop(ioc);
  img_store_close(svc.store);
  fake_registry_free(reg);
  wctr_fs_remove_tree(root, NULL);
  return 0;
}

static const svc_op *op(const char *name) {
  size_t n = 0;
  const svc_op *t = svc_image_ops(&n);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(t[i].name, name) == 0) return &t[i];
  }
  fail_msg("no op %s", name);
  return NULL;
}

/* A call; params (taken) as JSON text; expect the error; the result (caller frees). */
static cJSON *call(const char *name, const char *params, wctr_err expect, char *message, size_t size) {
  cJSON *p = params != NULL ? cJSON_Parse(params) : NULL;
  cJSON *result = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = op(name)->call(&svc, &caller, p, &result, &e);
  if (err != expect) fail_msg("%s: expected %s, got %s (%s)", name, wctr_err_name(expect), wctr_err_name(err), e.text);
  if (message != NULL) snprintf(message, size, "%s", e.text);
  cJSON_Delete(p);
  return result;
}

static tsink *begin(const char *name, const char *params) {
  tsink *s = malloc(sizeof *s);
  tsink_init(s, ioc);
  cJSON *p = cJSON_Parse(params);
  op(name)->start(&svc, &caller, p, &s->base);
  cJSON_Delete(p);
  return s;
}

static void end(tsink *s) {
  assert_true(tsink_wait_released(s, WAIT_MS));
  tsink_free(s);
  free(s);
}

static bool count_entry(void *ctx, const char *name, bool is_dir) {
  (void)name, (void)is_dir;
  (*(size_t *)ctx)++;
  return true;
}

static void contains(const char *text, const char *part) {
  if (text == NULL || strstr(text, part) == NULL) fail_msg("\"%s\" not found in:\n%s", part, text != NULL ? text : "(null)");
}

/* "app:v1" of two layers in the registry; layer digests in d. */
static void push_app(const char *repo, const char *tag, const char *l1, const char *l2, char (*d)[IMG_DIGEST_MAX]) {
  const char *layers[] = {l1, l2};
  char config[IMG_DIGEST_MAX];
  char *m = fake_image(reg, "10.0.20348.1", layers, 2, false, config, d);
  fake_registry_manifest(reg, repo, tag, "application/vnd.oci.image.manifest.v1+json", m);
  free(m);
}

static void pull_ok(const char *name) {
  char params[300];
  snprintf(params, sizeof params, "{\"Name\":\"%s\"}", name);
  tsink *s = begin("image.pull", params);
  assert_true(tsink_wait_finished(s, WAIT_MS));
  if (s->err != WCTR_OK) fail_msg("pull %s: %s", name, s->message);
  end(s);
}

/* --- the tests --- */

static void test_pull_stream(void **state) {
  (void)state;
  char d[2][IMG_DIGEST_MAX];
  push_app("app", "v1", "pull base", "pull top", d);
  fake_registry_auth(reg, FAKE_AUTH_BASIC, "alice", "pw-secret");
  tsink *s = begin("image.pull", "{\"Name\":\"127.0.0.1:5000/app:v1\",\"Auth\":{\"Username\":\"alice\",\"Password\":\"pw-secret\"}}");
  assert_true(tsink_wait_finished(s, WAIT_MS));
  if (s->err != WCTR_OK) fail_msg("pull: %s", s->message);
  /* Docker's words as "progress" frames: the tag first, then each layer to "Pull complete" */
  char *frames = cJSON_PrintUnformatted(s->frames);
  contains(frames, "{\"kind\":\"progress\",\"data\":{\"id\":\"v1\",\"status\":\"Pulling from app\"}}");
  char short_id[16], want[120];
  img_digest_short(d[1], short_id, sizeof short_id);
  snprintf(want, sizeof want, "{\"id\":\"%s\",\"status\":\"Pull complete\"}", short_id);
  contains(frames, want);
  snprintf(want, sizeof want, "{\"id\":\"%s\",\"status\":\"Downloading\",\"progressDetail\":{\"current\":", short_id);
  contains(frames, want);
  assert_null(strstr(frames, "pw-secret"));
  cJSON_free(frames);
  const cJSON *status = cJSON_GetObjectItemCaseSensitive(s->result, "Status");
  assert_string_equal(status->valuestring, "Downloaded newer image for 127.0.0.1:5000/app:v1");
  assert_true(strncmp(cJSON_GetObjectItemCaseSensitive(s->result, "Digest")->valuestring, "sha256:", 7) == 0);
  end(s);
  /* without credentials: Docker's advice, no secret in it */
  fake_registry_auth(reg, FAKE_AUTH_BASIC, "alice", "pw-secret");
  push_app("app", "v2", "pull base 2", "pull top 2", d);
  s = begin("image.pull", "{\"Name\":\"127.0.0.1:5000/app:v2\"}");
  assert_true(tsink_wait_finished(s, WAIT_MS));
  assert_int_equal(s->err, WCTR_EACCES);
  contains(s->message, "run 'wctr login 127.0.0.1:5000'");
  end(s);
  /* params are checked, naming the field */
  s = begin("image.pull", "{\"Name\":\"127.0.0.1:5000/app:v1\",\"Auth\":{\"User\":\"x\"}}");
  assert_true(tsink_wait_finished(s, WAIT_MS));
  assert_int_equal(s->err, WCTR_EINVAL);
  contains(s->message, "params.Auth");
  end(s);
  s = begin("image.pull", "{\"Name\":\"Bad:Name\"}");
  assert_true(tsink_wait_finished(s, WAIT_MS));
  assert_int_equal(s->err, WCTR_EINVAL);
  contains(s->message, "must be lowercase");
  end(s);
}

static void test_pull_client_leaves(void **state) {
  (void)state;
  char d[2][IMG_DIGEST_MAX];
  push_app("gone", "latest", "gone base", "gone top", d);
  tsink *s = begin("image.pull", "{\"Name\":\"127.0.0.1:5000/gone\"}");
  tsink_close(s);
  assert_true(tsink_wait_finished(s, WAIT_MS));
  /* cancelled, or it raced to the end: never half-registered */
  if (s->err != WCTR_OK) {
    assert_int_equal(s->err, WCTR_ECANCELED);
    cJSON *l = call("image.list", NULL, WCTR_OK, NULL, 0);
    char *t = cJSON_PrintUnformatted(l);
    assert_null(strstr(t, "gone"));
    cJSON_free(t);
    cJSON_Delete(l);
  }
  end(s);
}

static void test_list_inspect_across_store_and_catalog(void **state) {
  (void)state;
  char d[2][IMG_DIGEST_MAX];
  push_app("app", "v1", "list base", "list top", d);
  pull_ok("127.0.0.1:5000/app:v1");
  cJSON *list = call("image.list", "{\"All\":true}", WCTR_OK, NULL, 0);
  assert_int_equal(cJSON_GetArraySize(list), 2);
  const cJSON *img = cJSON_GetArrayItem(list, 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(img, "Name")->valuestring, "127.0.0.1:5000/app:v1");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(img, "RepoTags"), 0)->valuestring,
                      "127.0.0.1:5000/app:v1");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(img, "Layers")), 2);
  const cJSON *cat = cJSON_GetArrayItem(list, 1);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cat, "Catalog")));
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cat, "Id")->valuestring, "");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cat, "Name")->valuestring, "legacy:latest"); /* kept whole */
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cat, "RepoTags"), 0)->valuestring, "legacy:latest");
  cJSON_Delete(list);
  cJSON *i = call("image.inspect", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(i, "RootFS"), "Layers")), 2);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(i, "OsVersion")->valuestring, "10.0.20348.1");
  cJSON_Delete(i);
  i = call("image.inspect", "{\"Name\":\"legacy\"}", WCTR_OK, NULL, 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(i, "Name")->valuestring, "legacy:latest");
  cJSON_Delete(i);
  char msg[300];
  cJSON_Delete(call("image.inspect", "{\"Name\":\"nothere\"}", WCTR_ENOENT, msg, sizeof msg));
  contains(msg, "No such image: nothere");
  cJSON_Delete(call("image.inspect", "{\"Name\":\"x\",\"Extra\":1}", WCTR_EINVAL, msg, sizeof msg));
  contains(msg, "Extra");
  /* image add may not take a name the store has */
  cJSON_Delete(call("image.add", "{\"Name\":\"127.0.0.1:5000/app:v1\",\"Layers\":[\"C:\\\\l\"]}", WCTR_EEXIST, msg, sizeof msg));
  contains(msg, "exists in the image store");
  cJSON_Delete(call("image.add", "{\"Name\":\"fresh\",\"Layers\":[\"C:\\\\l\"]}", WCTR_OK, NULL, 0));
}

static void id_of(const char *name, char out[80]) {
  char params[300];
  snprintf(params, sizeof params, "{\"Name\":\"%s\"}", name);
  cJSON *r = call("image.inspect", params, WCTR_OK, NULL, 0);
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "Id");
  assert_true(cJSON_IsString(id));
  snprintf(out, 80, "%s", id->valuestring);
  cJSON_Delete(r);
}

static void test_tag_history_remove_prune(void **state) {
  (void)state;
  char d[2][IMG_DIGEST_MAX];
  push_app("app", "v1", "rm base", "rm top", d);
  pull_ok("127.0.0.1:5000/app:v1");
  char id[80], want[1024];
  id_of("127.0.0.1:5000/app:v1", id);
  assert_int_equal(strncmp(id, "sha256:", 7), 0);
  /* dockerd's image events: the pull names the reference */
  expect_events("pull 127.0.0.1:5000/app:v1 127.0.0.1:5000/app:v1\n");
  cJSON_Delete(call("image.tag", "{\"Source\":\"127.0.0.1:5000/app:v1\",\"Target\":\"mine\"}", WCTR_OK, NULL, 0));
  snprintf(want, sizeof want, "tag %s mine\n", id);
  expect_events(want);
  cJSON *h = call("image.history", "{\"Name\":\"mine\"}", WCTR_OK, NULL, 0);
  assert_int_equal(cJSON_GetArraySize(h), 2);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(h, 0), "CreatedBy")->valuestring, "layer 1");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(h, 1), "Id")->valuestring, "<missing>");
  cJSON_Delete(h);
  /* a container created from "mine:latest" holds the image under every name */
  snprintf(in_use_by, sizeof in_use_by, "mine:latest");
  char msg[300];
  cJSON_Delete(call("image.remove", "{\"Name\":\"127.0.0.1:5000/app:v1\",\"Force\":true}", WCTR_ESTATE, msg, sizeof msg));
  contains(msg, "container web is using its referenced image");
  cJSON *pr = call("image.prune", "{\"All\":true}", WCTR_OK, NULL, 0);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pr, "ImagesDeleted")), 0);
  cJSON_Delete(pr);
  expect_events(""); /* nothing changed, nothing reported */
  in_use_by[0] = '\0';
  cJSON *r = call("image.remove", "{\"Name\":\"mine\"}", WCTR_OK, NULL, 0);
  char *t = cJSON_PrintUnformatted(r);
  assert_string_equal(t, "[{\"Untagged\":\"mine:latest\"}]");
  cJSON_free(t);
  cJSON_Delete(r);
  /* a tag removed from an image that stays: untag, with the image's id (dockerd's actor) */
  snprintf(want, sizeof want, "untag %s %s\n", id, id);
  expect_events(want);
  pr = call("image.prune", "{\"All\":true}", WCTR_OK, NULL, 0);
  /* Docker's: the tag and the repository digest untagged, then the image deleted */
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pr, "ImagesDeleted")), 3);
  assert_true(cJSON_GetObjectItemCaseSensitive(pr, "SpaceReclaimed")->valuedouble > 0);
  cJSON_Delete(pr);
  snprintf(want, sizeof want, "untag %s %s\nuntag %s %s\ndelete %s %s\n", id, id, id, id, id, id);
  expect_events(want);
  /* a catalog image goes through the catalog */
  r = call("image.remove", "{\"Name\":\"legacy\"}", WCTR_OK, NULL, 0);
  t = cJSON_PrintUnformatted(r);
  assert_string_equal(t, "[{\"Untagged\":\"legacy\"}]");
  cJSON_free(t);
  cJSON_Delete(r);
  assert_true(legacy_removed);
  expect_events("untag legacy legacy\n"); /* a catalog image has no id: its name */
  cJSON *l = call("image.list", NULL, WCTR_OK, NULL, 0);
  assert_int_equal(cJSON_GetArraySize(l), 0);
  cJSON_Delete(l);
}

static void test_login(void **state) {
  (void)state;
  fake_registry_auth(reg, FAKE_AUTH_BASIC, "bob", "pw");
  cJSON *r = call("registry.login", "{\"Server\":\"127.0.0.1:5000\",\"Username\":\"bob\",\"Password\":\"pw\"}", WCTR_OK, NULL, 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "Status")->valuestring, "Login Succeeded");
  cJSON_Delete(r);
  char msg[300];
  cJSON_Delete(call("registry.login", "{\"Server\":\"127.0.0.1:5000\",\"Username\":\"bob\",\"Password\":\"nope\"}",
                    WCTR_EACCES, msg, sizeof msg));
  assert_string_equal(msg, "unauthorized: incorrect username or password for 127.0.0.1:5000");
  cJSON_Delete(call("registry.login", "{\"Server\":\"a/b\",\"Username\":\"bob\",\"Password\":\"pw\"}", WCTR_EINVAL, msg,
                    sizeof msg));
  contains(msg, "is not a registry host[:port]");
  assert_null(strstr(msg, "pw"));
}

static void test_save_then_load(void **state) {
  (void)state;
  char d[2][IMG_DIGEST_MAX];
  push_app("app", "v1", "save base", "save top", d);
  pull_ok("127.0.0.1:5000/app:v1");
  char id[80], want[1024];
  id_of("127.0.0.1:5000/app:v1", id);
  expect_events("pull 127.0.0.1:5000/app:v1 127.0.0.1:5000/app:v1\n");
  tsink *s = begin("image.save", "{\"Names\":[\"127.0.0.1:5000/app:v1\"]}");
  assert_true(tsink_wait_finished(s, WAIT_MS));
  if (s->err != WCTR_OK) fail_msg("save: %s", s->message);
  snprintf(want, sizeof want, "save %s %s\n", id, id);
  expect_events(want);
  size_t len = s->out_len[1];
  assert_int_equal((long long)len, tsink_result_int(s, "Size"));
  char *archive = malloc(len);
  memcpy(archive, s->out[1], len);
  end(s);
  cJSON_Delete(call("image.remove", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0));
  /* the archive arrives as the client's stdin, in pieces */
  s = begin("image.load", "{}");
  for (size_t off = 0; off < len; off += 1000) tsink_input(s, archive + off, len - off < 1000 ? len - off : 1000, false);
  tsink_input(s, NULL, 0, true);
  assert_true(tsink_wait_finished(s, WAIT_MS));
  if (s->err != WCTR_OK) fail_msg("load: %s", s->message);
  char *frames = cJSON_PrintUnformatted(s->frames);
  contains(frames, "\"status\":\"Loaded image: 127.0.0.1:5000/app:v1\"");
  cJSON_free(frames);
  end(s);
  /* the remove before it (untag of each name, delete), then the load */
  snprintf(want, sizeof want, "untag %s %s\nuntag %s %s\ndelete %s %s\nload %s %s\n", id, id, id, id, id, id, id, id);
  expect_events(want);
  free(archive);
  cJSON_Delete(call("image.inspect", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0));
  /* a client that leaves before the archive ends: nothing loaded, no temporary file */
  cJSON_Delete(call("image.remove", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0));
  s = begin("image.load", "{}");
  tsink_input(s, "not a whole archive", 19, false);
  tsink_close(s);
  assert_true(tsink_wait_finished(s, WAIT_MS));
  assert_int_equal(s->err, WCTR_ECANCELED);
  end(s);
  cJSON *l = call("image.list", NULL, WCTR_OK, NULL, 0);
  assert_int_equal(cJSON_GetArraySize(l), 1); /* the catalog's record only */
  cJSON_Delete(l);
  char tmp[800];
  snprintf(tmp, sizeof tmp, "%s%sstore%stmp", root, WCTR_FS_SEP, WCTR_FS_SEP);
  size_t n = 0;
  assert_int_equal(wctr_fs_list(tmp, count_entry, &n), WCTR_OK);
  assert_int_equal(n, 0);
  /* save of a name that is not there */
  s = begin("image.save", "{\"Names\":[\"nothere\"]}");
  assert_true(tsink_wait_finished(s, WAIT_MS));
  assert_int_equal(s->err, WCTR_ENOENT);
  end(s);
}

static void test_resolve(void **state) {
  (void)state;
  char d[2][IMG_DIGEST_MAX];
  push_app("app", "v1", "resolve base", "resolve top", d);
  pull_ok("127.0.0.1:5000/app:v1");
  rt_image img;
  wctr_errmsg e;
  assert_int_equal(svc_image_resolve(&svc, "127.0.0.1:5000/app:v1", &img, &e), WCTR_OK);
  assert_string_equal(img.name, "127.0.0.1:5000/app:v1");
  assert_int_equal(img.layer_count, 2);
  /* top-most first: the folder named by the top layer's chain id */
  cJSON *i = call("image.inspect", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0);
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(i, "Layers");
  assert_string_equal(img.layer_paths[0], cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(layers, 0), "Path")->valuestring);
  assert_string_equal(img.layer_ids[1], cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(layers, 1), "Id")->valuestring);
  cJSON_Delete(i);
  assert_int_equal(img.cmd_count, 1);
  assert_string_equal(img.cmd[0], "cmd");
  assert_string_equal(img.os_version, "10.0.20348.1");
  rt_image_free(&img);
  assert_int_equal(svc_image_resolve(&svc, "nothere", &img, &e), WCTR_ENOENT);
  contains(e.text, "No such image");
}

/* --- image trust: the pull under the policy, the run-time gate, its audit records, check's status, trust inspect */

static char audit_lines[16][1200];
static size_t audit_count;

static void record_audit(void *ctx, const char *o, const char *target, const char *result, const char *detail) {
  (void)ctx;
  if (audit_count < 16) snprintf(audit_lines[audit_count++], sizeof audit_lines[0], "%s %s %s %s", o, target, result, detail);
}

static wctr_err l_resolve(void *ctx, const char *ref, rt_image *out, wctr_errmsg *e) {
  (void)ctx;
  memset(out, 0, sizeof *out);
  if (strncmp(ref, "legacy", 6) != 0) return wctr_fail(e, WCTR_ENOENT, "No such image: %s", ref);
  out->name = strdup("legacy:latest");
  return WCTR_OK;
}

static img_trust_policy *load_policy(const char *key_file, const char *pem) {
  assert_int_equal(wctr_fs_write_atomic(key_file, pem, strlen(pem), NULL), WCTR_OK);
  char esc[1600], json[2000];
  size_t n = 0;
  for (const char *c = key_file; *c != '\0' && n < sizeof esc - 2; c++) {
    if (*c == '\\') esc[n++] = '\\';
    esc[n++] = *c;
  }
  esc[n] = '\0';
  snprintf(json, sizeof json, "{\"policy\":\"signed\",\"keys\":[\"%s\"]}", esc);
  cJSON *j = cJSON_Parse(json);
  img_trust_policy *p = NULL;
  wctr_errmsg e;
  assert_int_equal(img_trust_policy_parse(j, "image-trust", &p, &e), WCTR_OK);
  cJSON_Delete(j);
  if (img_trust_policy_load_keys(p, &double_crypto, &e) != WCTR_OK) fail_msg("%s", e.text);
  return p;
}

static void push_signature(const char *repo, const char *tag, const char *full_repo, const char *fp) {
  char *body = NULL;
  size_t len = 0;
  (void)body, (void)len;
  /* the manifest digest the tag resolves to: the registry's answer to a HEAD-less GET through image.trust */
  char params[300];
  snprintf(params, sizeof params, "{\"Name\":\"127.0.0.1:5000/%s:%s\"}", repo, tag);
  cJSON *r = call("image.trust", params, WCTR_OK, NULL, 0);
  char digest[IMG_DIGEST_MAX];
  snprintf(digest, sizeof digest, "%s", cJSON_GetObjectItemCaseSensitive(r, "Digest")->valuestring);
  cJSON_Delete(r);
  char *payload = payload_for(full_repo, digest);
  char *sig = double_sign(fp, payload);
  char pd[IMG_DIGEST_MAX];
  snprintf(pd, sizeof pd, "%s", fake_registry_blob(reg, payload, strlen(payload)));
  const char *cd = fake_registry_blob(reg, "{}", 2);
  char m[2048];
  snprintf(m, sizeof m, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
           "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":2,\"digest\":\"%s\"},\"layers\":[{"
           "\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"size\":%zu,\"digest\":\"%s\","
           "\"annotations\":{\"dev.cosignproject.cosign/signature\":\"%s\"}}]}", cd, strlen(payload), pd, sig);
  char sig_tag[IMG_SIG_TAG_MAX];
  img_sig_tag(digest, sig_tag);
  fake_registry_manifest(reg, repo, sig_tag, "application/vnd.oci.image.manifest.v1+json", m);
  free(sig);
  free(payload);
}

static void test_trust(void **state) {
  (void)state;
  audit_count = 0;
  svc.audit = record_audit;
  svc.legacy.resolve = l_resolve;
  char d[2][IMG_DIGEST_MAX];
  push_app("app", "v1", "trust base", "trust top", d);
  /* pulled while the policy is off: runs, nothing audited */
  pull_ok("127.0.0.1:5000/app:v1");
  rt_image img;
  wctr_errmsg e;
  assert_int_equal(svc_image_resolve(&svc, "127.0.0.1:5000/app:v1", &img, &e), WCTR_OK);
  rt_image_free(&img);
  assert_int_equal(svc_image_resolve(&svc, "legacy", &img, &e), WCTR_OK);
  rt_image_free(&img);
  assert_int_equal(audit_count, 0);
  /* the policy turned on: the image is refused at run with the reason and the fix, and audited */
  char k1[800], k2[800];
  snprintf(k1, sizeof k1, "%s%sk1.pub", root, WCTR_FS_SEP);
  snprintf(k2, sizeof k2, "%s%sk2.pub", root, WCTR_FS_SEP);
  img_trust_policy *p1 = load_policy(k1, K1_PEM);
  svc.trust = p1;
  assert_int_equal(svc_image_resolve(&svc, "127.0.0.1:5000/app:v1", &img, &e), WCTR_EACCES);
  contains(e.text, "never verified");
  contains(e.text, "wctr pull 127.0.0.1:5000/app:v1");
  assert_int_equal(audit_count, 1);
  contains(audit_lines[0], "image.trust 127.0.0.1:5000/app:v1 access_denied run: digest sha256:");
  contains(audit_lines[0], "never-verified");
  /* `image add` records have no signature */
  assert_int_equal(svc_image_resolve(&svc, "legacy", &img, &e), WCTR_EACCES);
  contains(e.text, "wctr image add");
  /* check's view: both refused */
  cJSON *st = svc_image_trust_status(&svc);
  char *t = cJSON_PrintUnformatted(st);
  contains(t, "\"Signed\":true");
  contains(t, "\"Image\":\"127.0.0.1:5000/app:v1\"");
  contains(t, "\"Image\":\"legacy:latest\"");
  cJSON_free(t);
  cJSON_Delete(st);
  /* trust inspect: no signature yet */
  cJSON *r = call("image.trust", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "Verdict")->valuestring, "no-signature");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "Policy")->valuestring, "signed");
  cJSON_Delete(r);
  /* signed by K1 and pulled again: verified, recorded, runs, audited */
  push_signature("app", "v1", "127.0.0.1:5000/app", K1_FP);
  r = call("image.trust", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "Verdict")->valuestring, "verified");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(r, "Key")->valuestring, K1_FP);
  cJSON_Delete(r);
  audit_count = 0;
  pull_ok("127.0.0.1:5000/app:v1");
  assert_int_equal(audit_count, 1);
  contains(audit_lines[0], "image.trust 127.0.0.1:5000/app:v1 ok pull: digest sha256:");
  contains(audit_lines[0], K1_FP);
  contains(audit_lines[0], "verdict verified");
  assert_int_equal(svc_image_resolve(&svc, "127.0.0.1:5000/app:v1", &img, &e), WCTR_OK);
  rt_image_free(&img);
  contains(audit_lines[1], "image.trust 127.0.0.1:5000/app:v1 ok run:");
  cJSON *i = call("image.inspect", "{\"Name\":\"127.0.0.1:5000/app:v1\"}", WCTR_OK, NULL, 0);
  const cJSON *trust = cJSON_GetObjectItemCaseSensitive(i, "Trust");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(trust, "Key")->valuestring, K1_FP);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(trust, "KeyFile")->valuestring, k1);
  cJSON_Delete(i);
  /* the key rotated out of the policy: refused again, saying which key verified it */
  img_trust_policy *p2 = load_policy(k2, K2_PEM);
  svc.trust = p2;
  assert_int_equal(svc_image_resolve(&svc, "127.0.0.1:5000/app:v1", &img, &e), WCTR_EACCES);
  contains(e.text, K1_FP);
  contains(e.text, "does not trust");
  /* an unsigned image: the pull is refused, nothing kept, audited */
  svc.trust = p1;
  push_app("plain", "v1", "plain base", "plain top", d);
  audit_count = 0;
  tsink *s = begin("image.pull", "{\"Name\":\"127.0.0.1:5000/plain:v1\"}");
  assert_true(tsink_wait_finished(s, WAIT_MS));
  assert_int_equal(s->err, WCTR_EACCES);
  contains(s->message, "has no signature");
  end(s);
  assert_int_equal(audit_count, 1);
  contains(audit_lines[0], "image.trust 127.0.0.1:5000/plain:v1 access_denied pull:");
  contains(audit_lines[0], "verdict no-signature");
  call("image.inspect", "{\"Name\":\"127.0.0.1:5000/plain:v1\"}", WCTR_ENOENT, NULL, 0);
  svc.trust = NULL;
  svc.audit = NULL;
  img_trust_policy_free(p1);
  img_trust_policy_free(p2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_pull_stream, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pull_client_leaves, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_inspect_across_store_and_catalog, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tag_history_remove_prune, setup, teardown),
      cmocka_unit_test_setup_teardown(test_login, setup, teardown),
      cmocka_unit_test_setup_teardown(test_save_then_load, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
      cmocka_unit_test_setup_teardown(test_trust, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
