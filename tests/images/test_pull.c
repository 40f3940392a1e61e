/* tests/images/test_pull.c - the registry client, the content store, the pull, save and load, against the
 * in-memory registry (fake_registry.h) with the test importer: progress in Docker's words, shared layers,
 * the platform choice, every refusal leaving nothing registered (a corrupted blob, a cut download, an index
 * without a match, a Linux image, a cancelled pull), the three ways of authenticating, redirects that must
 * not carry credentials, foreign layers, rmi/tag/prune and their reference counts, the start-up sweep after
 * a simulated crash, and archives of both Docker formats. */
#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/fs.h"
#include "common/ioc.h"
#include "fake_registry.h"
#include "images/archive.h"
#include "images/import.h"
#include "images/pull.h"
#include "images/registry.h"
#include "images/store.h"
#include "images_test.h"
#include "pull_fixture.h"

typedef struct env {
  pull_fixture fx;
  /* the last pull */
  wctr_err err;
  char message[512];
  cJSON *result;
  char events[400][120];
  size_t nevents;
} env;

static int setup(void **state) {
  env *v = calloc(1, sizeof *v);
  char root[600];
  pull_fixture_temp_dir("wctr-images", root, sizeof root);
  pull_fixture_start(&v->fx, root);
  *state = v;
  return 0;
}

static int teardown(void **state) {
  env *v = *state;
  pull_fixture_stop(&v->fx);
  cJSON_Delete(v->result);
  free(v);
  return 0;
}

static void on_progress(void *ctx, const char *id, const char *status, int64_t current, int64_t total) {
  env *v = ctx;
  (void)current, (void)total;
  wctr_mutex_lock(&v->fx.lock);
  if (v->nevents < COUNT_OF(v->events)) snprintf(v->events[v->nevents++], sizeof v->events[0], "%s: %s", id, status);
  wctr_mutex_unlock(&v->fx.lock);
}

static void on_done(void *ctx, wctr_err err, const char *message, cJSON *result) {
  env *v = ctx;
  wctr_mutex_lock(&v->fx.lock);
  v->err = err;
  snprintf(v->message, sizeof v->message, "%s", message);
  cJSON_Delete(v->result);
  v->result = result;
  v->fx.done = true;
  wctr_mutex_unlock(&v->fx.lock);
}

typedef struct pull_args {
  const char *ref;
  const char *user, *password;
  const char *host_os;
  unsigned concurrency;
  bool cancel;
} pull_args;

static wctr_err pull_ex(env *v, const pull_args *a) {
  v->fx.done = false;
  v->nevents = 0;
  cJSON_Delete(v->result);
  v->result = NULL;
  img_pull_options o = {.ioc = v->fx.ioc, .store = v->fx.store, .transport = &v->fx.t, .host_os_version = a->host_os ? a->host_os : HOST_OS,
                        .host_arch = "amd64", .ref = a->ref, .user = a->user, .password = a->password,
                        .concurrency = a->concurrency, .ctx = v, .progress = on_progress, .done = on_done};
  img_pull *p = NULL;
  wctr_errmsg e;
  wctr_err err = img_pull_start(&o, &p, &e);
  if (err != WCTR_OK) {
    snprintf(v->message, sizeof v->message, "%s", e.text);
    return err;
  }
  if (a->cancel) img_pull_cancel(p);
  pull_fixture_wait(&v->fx, p);
  return v->err;
}

static wctr_err pull(env *v, const char *ref) {
  pull_args a = {.ref = ref};
  return pull_ex(v, &a);
}

static bool saw(env *v, const char *event) {
  for (size_t i = 0; i < v->nevents; i++) {
    if (strcmp(v->events[i], event) == 0) return true;
  }
  return false;
}

static const char *status_of(env *v) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(v->result, "Status");
  return cJSON_IsString(s) ? s->valuestring : "";
}

static void test_pull_and_run_folders(void **state) {
  env *v = *state;
  static const char *const layers[] = {"BASE LAYER tar bytes", "TOP layer tar bytes"};
  char config[IMG_DIGEST_MAX], digests[2][IMG_DIGEST_MAX];
  const char *mdigest = pull_fixture_push_image(&v->fx, "app", "v1", layers, 2, config, digests);
  if (pull(v, "127.0.0.1:5000/app:v1") != WCTR_OK) FAILF("pull: %s", v->message);
  assert_string_equal(status_of(v), "Downloaded newer image for 127.0.0.1:5000/app:v1");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(v->result, "Digest")->valuestring, mdigest);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(v->result, "Id")->valuestring, config);
  char short0[16], short1[16], ev[120];
  img_digest_short(digests[0], short0, sizeof short0);
  img_digest_short(digests[1], short1, sizeof short1);
  assert_true(saw(v, "v1: Pulling from app"));
  snprintf(ev, sizeof ev, "%s: Pulling fs layer", short0);
  assert_true(saw(v, ev));
  snprintf(ev, sizeof ev, "%s: Verifying Checksum", short1);
  assert_true(saw(v, ev));
  snprintf(ev, sizeof ev, "%s: Download complete", short1);
  assert_true(saw(v, ev));
  snprintf(ev, sizeof ev, "%s: Extracting", short0);
  assert_true(saw(v, ev));
  snprintf(ev, sizeof ev, "%s: Pull complete", short1);
  assert_true(saw(v, ev));
  /* HTTPS was tried first; the loopback registry then answered over HTTP */
  assert_int_equal(fake_registry_requests(v->fx.reg, "GET https://127.0.0.1:5000/v2/"), 1);
  /* the folders HCS gets: top-most first, each made by the importer with its parents */
  img_record r;
  char name[300];
  wctr_errmsg e;
  assert_int_equal(img_store_find(v->fx.store, "127.0.0.1:5000/app:v1", &r, name, sizeof name, &e), WCTR_OK);
  assert_string_equal(name, "127.0.0.1:5000/app:v1");
  assert_string_equal(r.os_version, HOST_OS ".1");
  char **paths = NULL, **ids = NULL;
  size_t count = 0;
  assert_int_equal(img_store_layer_folders(v->fx.store, &r, &paths, &ids, &count, &e), WCTR_OK);
  assert_int_equal(count, 2);
  assert_string_equal(img_digest_hex(r.layers[1].chain_id), strrchr(paths[0], WCTR_FS_SEP[0]) + 1);
  char want_id[40];
  img_layer_id(img_digest_hex(r.layers[1].chain_id), want_id, sizeof want_id);
  assert_string_equal(ids[0], want_id);
  char meta[900];
  snprintf(meta, sizeof meta, "%s%slayer.json", paths[0], WCTR_FS_SEP);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(wctr_fs_read_all(meta, 65536, &text, &len), WCTR_OK);
  assert_non_null(strstr(text, ids[1])); /* the top layer was imported onto its parent */
  free(text);
  snprintf(meta, sizeof meta, "%s%sUtilityVM", paths[1], WCTR_FS_SEP);
  assert_true(wctr_fs_is_dir(meta));
  for (size_t i = 0; i < count; i++) free(paths[i]), free(ids[i]);
  free(paths);
  free(ids);
  img_record_free(&r);
  /* again: nothing downloaded, up to date */
  int blobs_before = fake_registry_requests(v->fx.reg, digests[0]);
  assert_int_equal(pull(v, "127.0.0.1:5000/app:v1"), WCTR_OK);
  assert_string_equal(status_of(v), "Image is up to date for 127.0.0.1:5000/app:v1");
  assert_int_equal(fake_registry_requests(v->fx.reg, digests[0]), blobs_before);
  snprintf(ev, sizeof ev, "%s: Already exists", short0);
  assert_true(saw(v, ev));
  assert_int_equal(pull_fixture_entries(&v->fx, "tmp"), 0);
}

static void test_shared_layers_and_removal(void **state) {
  env *v = *state;
  static const char *const a[] = {"shared base", "a top"};
  static const char *const b[] = {"shared base", "b top", "b top 2"};
  char ca[IMG_DIGEST_MAX], cb[IMG_DIGEST_MAX], da[2][IMG_DIGEST_MAX], db[3][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "a", "latest", a, 2, ca, da);
  pull_fixture_push_image(&v->fx, "b", "latest", b, 3, cb, db);
  assert_int_equal(pull(v, "127.0.0.1:5000/a"), WCTR_OK);
  assert_int_equal(pull(v, "127.0.0.1:5000/b"), WCTR_OK);
  char short0[16], ev[120];
  img_digest_short(db[0], short0, sizeof short0);
  snprintf(ev, sizeof ev, "%s: Already exists", short0);
  assert_true(saw(v, ev)); /* the base layer was imported once */
  assert_int_equal(fake_registry_requests(v->fx.reg, db[0]), 1);
  assert_int_equal(pull_fixture_entries(&v->fx, "layers"), 4 * 2); /* base, a top, b top, b top 2: folders and records */
  cJSON *report = NULL;
  wctr_errmsg e;
  assert_int_equal(img_store_remove(v->fx.store, "127.0.0.1:5000/a", false, NULL, NULL, &report, &e), WCTR_OK);
  char *t = cJSON_PrintUnformatted(report);
  char want[400];
  snprintf(want, sizeof want, "[{\"Untagged\":\"127.0.0.1:5000/a:latest\"},{\"Untagged\":\"127.0.0.1:5000/a@%s\"},{\"Deleted\":\"%s\"}]",
           cJSON_GetObjectItemCaseSensitive(v->result, "Digest") ? "" : "", ca);
  (void)want;
  assert_non_null(strstr(t, "{\"Untagged\":\"127.0.0.1:5000/a:latest\"}"));
  assert_non_null(strstr(t, ca));
  cJSON_free(t);
  cJSON_Delete(report);
  assert_int_equal(pull_fixture_entries(&v->fx, "layers"), 3 * 2); /* a's top went, the shared base stayed */
  assert_true(img_store_has_layer(v->fx.store, db[0]));
  assert_int_equal(img_store_remove(v->fx.store, cb, false, NULL, NULL, &report, &e), WCTR_OK);
  cJSON_Delete(report);
  assert_int_equal(pull_fixture_entries(&v->fx, "layers"), 0);
  assert_int_equal(pull_fixture_entries(&v->fx, "images"), 0);
  assert_int_equal(pull_fixture_entries(&v->fx, "blobs" WCTR_FS_SEP "sha256"), 0);
  assert_int_equal(img_store_remove(v->fx.store, "127.0.0.1:5000/b", false, NULL, NULL, &report, &e), WCTR_ENOENT);
  assert_string_equal(e.text, "No such image: 127.0.0.1:5000/b:latest");
}

static void test_index_choice(void **state) {
  env *v = *state;
  static const char *const l17[] = {"ltsc2019 base"};
  static const char *const l20[] = {"ltsc2022 base"};
  char c17[IMG_DIGEST_MAX], c20[IMG_DIGEST_MAX], d17[1][IMG_DIGEST_MAX], d20[1][IMG_DIGEST_MAX];
  char *m17 = fake_image(v->fx.reg, "10.0.17763.5206", l17, 1, false, c17, d17);
  char *m20 = fake_image(v->fx.reg, "10.0.20348.2113", l20, 1, false, c20, d20);
  const char *mt = "application/vnd.oci.image.manifest.v1+json";
  char dig17[IMG_DIGEST_MAX], dig20[IMG_DIGEST_MAX];
  snprintf(dig17, sizeof dig17, "%s", fake_registry_manifest(v->fx.reg, "multi", NULL, mt, m17));
  snprintf(dig20, sizeof dig20, "%s", fake_registry_manifest(v->fx.reg, "multi", NULL, mt, m20));
  char index[2000];
  snprintf(index, sizeof index,
           "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
           "{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\",\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.17763.5206\"}},"
           "{\"mediaType\":\"%s\",\"size\":%zu,\"digest\":\"%s\",\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.20348.2113\"}},"
           "{\"mediaType\":\"%s\",\"size\":10,\"digest\":\"sha256:%064d\",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}",
           mt, strlen(m17), dig17, mt, strlen(m20), dig20, mt, 7);
  const char *idx = fake_registry_manifest(v->fx.reg, "multi", "latest", "application/vnd.oci.image.index.v1+json", index);
  char idx_digest[IMG_DIGEST_MAX];
  snprintf(idx_digest, sizeof idx_digest, "%s", idx);
  free(m17);
  free(m20);
  assert_int_equal(pull(v, "127.0.0.1:5000/multi"), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(v->result, "Id")->valuestring, c20);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(v->result, "Digest")->valuestring, idx_digest);
  assert_int_equal(fake_registry_requests(v->fx.reg, d17[0]), 0);
  cJSON *rep = NULL;
  wctr_errmsg e;
  assert_int_equal(img_store_remove(v->fx.store, c20, false, NULL, NULL, &rep, &e), WCTR_OK);
  cJSON_Delete(rep);
  /* a host no entry fits: refused with the list, nothing left */
  pull_args a = {.ref = "127.0.0.1:5000/multi", .host_os = "10.0.19041"};
  assert_int_equal(pull_ex(v, &a), WCTR_ENOENT);
  assert_string_equal(v->message, "no image for Windows 10.0.19041 in 127.0.0.1:5000/multi:latest; available: windows/amd64 "
                                  "10.0.17763.5206, windows/amd64 10.0.20348.2113, linux/amd64");
  assert_int_equal(pull_fixture_entries(&v->fx, "blobs" WCTR_FS_SEP "sha256"), 0);
  assert_int_equal(pull_fixture_entries(&v->fx, "images"), 0);
  /* 2019 host */
  a.host_os = "10.0.17763";
  assert_int_equal(pull_ex(v, &a), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(v->result, "Id")->valuestring, c17);
}

static void assert_nothing_left(env *v) {
  assert_int_equal(pull_fixture_entries(&v->fx, "blobs" WCTR_FS_SEP "sha256"), 0);
  assert_int_equal(pull_fixture_entries(&v->fx, "images"), 0);
  assert_int_equal(pull_fixture_entries(&v->fx, "layers"), 0);
  assert_int_equal(pull_fixture_entries(&v->fx, "tmp"), 0);
  cJSON *list = NULL;
  wctr_errmsg e;
  assert_int_equal(img_store_list(v->fx.store, &list, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(list), 0);
  cJSON_Delete(list);
}

static void test_corrupted_and_cut(void **state) {
  env *v = *state;
  static const char *const layers[] = {"good base", "corrupted top layer bytes bytes bytes"};
  char c[IMG_DIGEST_MAX], d[2][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "bad", "latest", layers, 2, c, d);
  fake_registry_corrupt(v->fx.reg, d[1]);
  assert_int_equal(pull(v, "127.0.0.1:5000/bad"), WCTR_EINVAL);
  char want[300];
  snprintf(want, sizeof want, "blob %s from 127.0.0.1:5000 does not match its digest", d[1]);
  if (strstr(v->message, want) == NULL) FAILF("message: %s", v->message);
  assert_nothing_left(v);
  static const char *const cut[] = {"a base", "a layer whose download is cut half-way through its body"};
  pull_fixture_push_image(&v->fx, "cut", "latest", cut, 2, c, d);
  fake_registry_cut(v->fx.reg, d[1]);
  assert_int_equal(pull(v, "127.0.0.1:5000/cut"), WCTR_EIO);
  assert_string_equal(v->message, "the connection to the registry was cut");
  assert_nothing_left(v);
  /* the manifest itself tampered with: the tag's announced digest does not match */
  static const char *const ok[] = {"fine"};
  const char *md = pull_fixture_push_image(&v->fx, "tampered", "latest", ok, 1, c, d);
  fake_registry_corrupt(v->fx.reg, md);
  assert_int_equal(pull(v, "127.0.0.1:5000/tampered"), WCTR_EINVAL);
  assert_non_null(strstr(v->message, "does not match its digest"));
  assert_nothing_left(v);
}

static void test_refusals(void **state) {
  env *v = *state;
  assert_int_equal(pull(v, "127.0.0.1:5000/nothing:here"), WCTR_ENOENT);
  assert_string_equal(v->message, "manifest for 127.0.0.1:5000/nothing:here not found: MANIFEST_UNKNOWN: manifest unknown");
  /* a Linux image */
  const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:"
                    "1111111111111111111111111111111111111111111111111111111111111111\"]}}";
  char cd[IMG_DIGEST_MAX];
  snprintf(cd, sizeof cd, "%s", fake_registry_blob(v->fx.reg, cfg, strlen(cfg)));
  char m[800];
  snprintf(m, sizeof m, "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"size\":%zu,\"digest\":\"%s\"},\"layers\":[{"
           "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"size\":1,\"digest\":\"sha256:%s\"}]}",
           strlen(cfg), cd, "1111111111111111111111111111111111111111111111111111111111111111");
  fake_registry_manifest(v->fx.reg, "linux", "latest", "application/vnd.oci.image.manifest.v1+json", m);
  assert_int_equal(pull(v, "127.0.0.1:5000/linux"), WCTR_EINVAL);
  assert_string_equal(v->message, "image operating system \"linux\" cannot be used on this platform (127.0.0.1:5000/linux:latest "
                                  "is not a Windows image)");
  assert_nothing_left(v);
  /* cancelled at once: ECANCELED (or, if it raced to the end, OK) and then nothing half-done */
  static const char *const layers[] = {"c1", "c2", "c3"};
  char c[IMG_DIGEST_MAX], d[3][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "cancel", "latest", layers, 3, c, d);
  pull_args a = {.ref = "127.0.0.1:5000/cancel", .cancel = true};
  wctr_err err = pull_ex(v, &a);
  if (err != WCTR_OK) {
    assert_int_equal(err, WCTR_ECANCELED);
    assert_nothing_left(v);
  }
  wctr_errmsg e;
  img_pull_options o = {.ioc = v->fx.ioc, .store = v->fx.store, .transport = &v->fx.t, .ref = "Bad:Ref", .done = on_done};
  img_pull *p = NULL;
  assert_int_equal(img_pull_start(&o, &p, &e), WCTR_EINVAL);
}

/* wctrd's importer today (images/import.h): a pull that needs a layer is refused after the image is resolved
 * and before any layer is downloaded; nothing stays. A pull whose layers are all here needs no import. */
static void test_importer_not_ready(void **state) {
  env *v = *state;
  static const char *const layers[] = {"nr base", "nr top"};
  char c[IMG_DIGEST_MAX], d[2][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "nr", "latest", layers, 2, c, d);
  if (pull(v, "127.0.0.1:5000/nr") != WCTR_OK) FAILF("%s", v->message);
  img_store_close(v->fx.store);
  img_store_options so = {.root = v->fx.store_dir, .importer = img_importer_unavailable()};
  wctr_errmsg e;
  if (img_store_open(&so, &v->fx.store, &e) != WCTR_OK) FAILF("store: %s", e.text);
  /* all layers are in the store: a new tag for the same image needs no import */
  pull_fixture_push_image(&v->fx, "nr", "again", layers, 2, c, d);
  if (pull(v, "127.0.0.1:5000/nr:again") != WCTR_OK) FAILF("%s", v->message);
  assert_string_equal(status_of(v), "Downloaded newer image for 127.0.0.1:5000/nr:again");
  cJSON *rep = NULL;
  assert_int_equal(img_store_remove(v->fx.store, c, true, NULL, NULL, &rep, &e), WCTR_OK);
  cJSON_Delete(rep);
  assert_nothing_left(v);
  int before = fake_registry_requests(v->fx.reg, d[0] + 7) + fake_registry_requests(v->fx.reg, d[1] + 7);
  assert_int_equal(pull(v, "127.0.0.1:5000/nr"), WCTR_ENOTSUP);
  assert_string_equal(v->message, "importing Windows layers is not available yet: this wctrd resolves and verifies images "
                                  "but cannot unpack their layers; register layers Docker unpacked with 'wctr image add'");
  assert_int_equal(fake_registry_requests(v->fx.reg, d[0] + 7) + fake_registry_requests(v->fx.reg, d[1] + 7), before);
  for (size_t i = 0; i < v->nevents; i++) {
    if (strstr(v->events[i], ": Pulling fs layer") != NULL || strstr(v->events[i], ": Downloading") != NULL) {
      FAILF("a layer was downloaded: %s", v->events[i]);
    }
  }
  assert_nothing_left(v);
  /* load: the layers cannot be imported either, and nothing stays */
  img_import_layer l = {.blob_path = "x", .diff_id = "sha256:00", .dest = "y", .layer_id = "z"};
  int64_t size = 0;
  assert_int_equal(img_importer_unavailable()->import(NULL, &l, &size, &e), WCTR_ENOTSUP);
  assert_non_null(strstr(e.text, "not available yet"));
}

static void test_auth(void **state) {
  env *v = *state;
  fake_registry_free(v->fx.reg);
  v->fx.reg = fake_registry_new("reg.test");
  v->fx.t = fake_registry_transport(v->fx.reg);
  static const char *const layers[] = {"auth base"};
  char c[IMG_DIGEST_MAX], d[1][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "private", "latest", layers, 1, c, d);
  /* anonymous tokens, and blobs redirected to a CDN that must not see them */
  fake_registry_auth(v->fx.reg, FAKE_AUTH_BEARER, NULL, NULL);
  fake_registry_redirect_blobs(v->fx.reg, true);
  if (pull(v, "reg.test/private") != WCTR_OK) FAILF("%s", v->message);
  assert_true(fake_registry_tokens(v->fx.reg) >= 1);
  assert_false(fake_registry_auth_leaked(v->fx.reg));
  assert_true(fake_registry_requests(v->fx.reg, "https://cdn.test/") >= 1);
  /* tokens for a user: a wrong password is refused by the token server */
  fake_registry_auth(v->fx.reg, FAKE_AUTH_BEARER, "alice", "s3cret");
  cJSON *rep = NULL;
  wctr_errmsg e;
  assert_int_equal(img_store_remove(v->fx.store, c, false, NULL, NULL, &rep, &e), WCTR_OK);
  cJSON_Delete(rep);
  pull_args a = {.ref = "reg.test/private", .user = "alice", .password = "wrong"};
  assert_int_equal(pull_ex(v, &a), WCTR_EACCES);
  assert_string_equal(v->message, "unauthorized: incorrect username or password from the token server auth.test");
  assert_null(strstr(v->message, "wrong"));
  a.password = "s3cret";
  if (pull_ex(v, &a) != WCTR_OK) FAILF("%s", v->message);
  /* Basic */
  assert_int_equal(img_store_remove(v->fx.store, c, false, NULL, NULL, &rep, &e), WCTR_OK);
  cJSON_Delete(rep);
  fake_registry_auth(v->fx.reg, FAKE_AUTH_BASIC, "bob", "pw");
  assert_int_equal(pull(v, "reg.test/private"), WCTR_EACCES);
  assert_string_equal(v->message, "unauthorized: reg.test asks for a user name and password: run 'wctr login reg.test'");
  a.user = "bob";
  a.password = "pw";
  if (pull_ex(v, &a) != WCTR_OK) FAILF("%s", v->message);
  assert_false(fake_registry_auth_leaked(v->fx.reg));
  /* login checks */
  img_credentials good = {.user = "bob", .password = "pw"}, bad = {.user = "bob", .password = "no"};
  img_registry_options ro = {.transport = &v->fx.t, .credentials = &good};
  assert_int_equal(img_registry_login(&ro, "reg.test", &e), WCTR_OK);
  ro.credentials = &bad;
  assert_int_equal(img_registry_login(&ro, "reg.test", &e), WCTR_EACCES);
  assert_string_equal(e.text, "unauthorized: incorrect username or password for reg.test");
  /* an HTTPS-only registry that is not insecure is never tried over HTTP */
  assert_false(img_registry_insecure("reg.test", NULL));
  static const char *const list[] = {"reg.test", "10.0.0.0/8", NULL};
  assert_true(img_registry_insecure("reg.test", list));
  assert_true(img_registry_insecure("10.1.2.3:5000", list));
  assert_false(img_registry_insecure("11.1.2.3:5000", list));
  assert_false(img_registry_insecure("reg.test:5000", list));
}

static void test_foreign_and_concurrency(void **state) {
  env *v = *state;
  static const char *const layers[] = {"foreign base from its url", "l1", "l2", "l3", "l4", "l5"};
  char c[IMG_DIGEST_MAX], d[6][IMG_DIGEST_MAX];
  char *m = fake_image(v->fx.reg, HOST_OS ".1", layers, 6, true, c, d);
  fake_registry_manifest(v->fx.reg, "six", "latest", "application/vnd.oci.image.manifest.v1+json", m);
  free(m);
  pull_args a = {.ref = "127.0.0.1:5000/six", .concurrency = 2};
  if (pull_ex(v, &a) != WCTR_OK) FAILF("%s", v->message);
  assert_int_equal(fake_registry_requests(v->fx.reg, "https://foreign.test/"), 1);
  char s[16], ev[120];
  img_digest_short(d[5], s, sizeof s);
  snprintf(ev, sizeof ev, "%s: Waiting", s);
  assert_true(saw(v, ev)); /* beyond the two downloads at once */
  img_record r;
  wctr_errmsg e;
  assert_int_equal(img_store_find(v->fx.store, "127.0.0.1:5000/six", &r, NULL, 0, &e), WCTR_OK);
  assert_int_equal(r.layer_count, 6);
  img_record_free(&r);
}

static void test_tag_prune_in_use(void **state) {
  env *v = *state;
  static const char *const layers[] = {"tag base"};
  char c[IMG_DIGEST_MAX], d[1][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "t", "latest", layers, 1, c, d);
  assert_int_equal(pull(v, "127.0.0.1:5000/t"), WCTR_OK);
  wctr_errmsg e;
  assert_int_equal(img_store_tag(v->fx.store, "127.0.0.1:5000/t", "mine:1", &e), WCTR_OK);
  assert_int_equal(img_store_tag(v->fx.store, c + 7, "other", &e), WCTR_OK); /* by id */
  assert_int_equal(img_store_tag(v->fx.store, "nope", "x", &e), WCTR_ENOENT);
  assert_int_equal(img_store_tag(v->fx.store, "mine:1", "x@sha256:1111111111111111111111111111111111111111111111111111111111111111", &e),
                   WCTR_EINVAL);
  cJSON *list = NULL;
  assert_int_equal(img_store_list(v->fx.store, &list, &e), WCTR_OK);
  char *t = cJSON_PrintUnformatted(list);
  assert_non_null(strstr(t, "\"RepoTags\":[\"127.0.0.1:5000/t:latest\",\"mine:1\",\"other:latest\"]"));
  cJSON_free(t);
  cJSON_Delete(list);
  cJSON *inspect = NULL;
  assert_int_equal(img_store_inspect(v->fx.store, "mine:1", &inspect, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(inspect, "Os")->valuestring, "windows");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(inspect, "OsVersion")->valuestring, HOST_OS ".1");
  assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(inspect, "Config"), "Cmd"));
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(inspect, "RootFS"), "Layers")), 1);
  cJSON_Delete(inspect);
  cJSON *hist = NULL;
  assert_int_equal(img_store_history(v->fx.store, "other", &hist, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(hist, 0), "CreatedBy")->valuestring, "layer 0");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(hist, 0), "Id")->valuestring, c);
  cJSON_Delete(hist);
  /* by id with three tags: must be forced */
  cJSON *rep = NULL;
  assert_int_equal(img_store_remove(v->fx.store, c, false, NULL, NULL, &rep, &e), WCTR_ESTATE);
  assert_non_null(strstr(e.text, "must be forced"));
  /* a tag among several: untagged only */
  assert_int_equal(img_store_remove(v->fx.store, "other", false, NULL, NULL, &rep, &e), WCTR_OK);
  t = cJSON_PrintUnformatted(rep);
  assert_string_equal(t, "[{\"Untagged\":\"other:latest\"}]");
  cJSON_free(t);
  cJSON_Delete(rep);
  /* prune keeps tagged images; -a takes them unless a container uses one */
  assert_int_equal(img_store_prune(v->fx.store, false, NULL, NULL, &rep, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "ImagesDeleted")), 0);
  cJSON_Delete(rep);
  assert_int_equal(img_store_remove(v->fx.store, c, true, NULL, NULL, &rep, &e), WCTR_OK);
  cJSON_Delete(rep);
  assert_int_equal(pull(v, "127.0.0.1:5000/t"), WCTR_OK);
}

static bool uses_t(void *ctx, const char *const *names, size_t count, char *container, size_t size) {
  (void)ctx;
  for (size_t i = 0; i < count; i++) {
    if (strcmp(names[i], "127.0.0.1:5000/t:latest") == 0) {
      snprintf(container, size, "web");
      return true;
    }
  }
  return false;
}

static void test_in_use(void **state) {
  env *v = *state;
  static const char *const layers[] = {"used base"};
  char c[IMG_DIGEST_MAX], d[1][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "t", "latest", layers, 1, c, d);
  assert_int_equal(pull(v, "127.0.0.1:5000/t"), WCTR_OK);
  cJSON *rep = NULL;
  wctr_errmsg e;
  assert_int_equal(img_store_remove(v->fx.store, "127.0.0.1:5000/t", true, uses_t, NULL, &rep, &e), WCTR_ESTATE);
  char s[16];
  img_digest_short(c, s, sizeof s);
  char want[300];
  snprintf(want, sizeof want, "conflict: unable to remove 127.0.0.1:5000/t: container web is using its referenced image %s", s);
  assert_string_equal(e.text, want);
  assert_int_equal(img_store_prune(v->fx.store, true, uses_t, NULL, &rep, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "ImagesDeleted")), 0);
  cJSON_Delete(rep);
  assert_int_equal(img_store_prune(v->fx.store, true, NULL, NULL, &rep, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "ImagesDeleted")), 3);
  assert_true(cJSON_GetObjectItemCaseSensitive(rep, "SpaceReclaimed")->valuedouble > 0);
  cJSON_Delete(rep);
  assert_nothing_left(v);
}

static void put_file(const char *path, const char *text) {
  wctr_errmsg e;
  if (wctr_fs_write_atomic(path, text, strlen(text), &e) != WCTR_OK) FAILF("%s", e.text);
}

static void test_sweep_after_crash(void **state) {
  env *v = *state;
  static const char *const layers[] = {"kept base", "kept top"};
  char c[IMG_DIGEST_MAX], d[2][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "kept", "latest", layers, 2, c, d);
  assert_int_equal(pull(v, "127.0.0.1:5000/kept"), WCTR_OK);
  img_store_close(v->fx.store);
  v->fx.store = NULL;
  /* what a crash at various points leaves */
  char p[1200];
  snprintf(p, sizeof p, "%s%stmp%sdownload.part", v->fx.store_dir, WCTR_FS_SEP, WCTR_FS_SEP);
  put_file(p, "half a blob");
  snprintf(p, sizeof p, "%s%slayers%s%064d", v->fx.store_dir, WCTR_FS_SEP, WCTR_FS_SEP, 5);
  wctr_fs_mkdir(p, NULL); /* an import interrupted before its record */
  snprintf(p, sizeof p, "%s%sblobs%ssha256%s%064d", v->fx.store_dir, WCTR_FS_SEP, WCTR_FS_SEP, WCTR_FS_SEP, 6);
  put_file(p, "a verified blob no image references");
  snprintf(p, sizeof p, "%s%srepositories.json", v->fx.store_dir, WCTR_FS_SEP);
  char *text = NULL;
  size_t len = 0;
  assert_int_equal(wctr_fs_read_all(p, 1 << 20, &text, &len), WCTR_OK);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(doc, "Tags"), "docker.io/library/ghost:latest",
                          "sha256:7777777777777777777777777777777777777777777777777777777777777777");
  text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  put_file(p, text);
  cJSON_free(text);
  pull_fixture_open_store(&v->fx);
  assert_int_equal(pull_fixture_entries(&v->fx, "tmp"), 0);
  assert_int_equal(pull_fixture_entries(&v->fx, "layers"), 4);
  assert_int_equal(pull_fixture_entries(&v->fx, "blobs" WCTR_FS_SEP "sha256"), 4); /* manifest, config, two layers */
  img_record r;
  wctr_errmsg e;
  assert_int_equal(img_store_find(v->fx.store, "ghost", &r, NULL, 0, &e), WCTR_ENOENT);
  assert_int_equal(img_store_find(v->fx.store, "127.0.0.1:5000/kept", &r, NULL, 0, &e), WCTR_OK);
  img_record_free(&r);
}

/* --- archives ------------------------------------------------------------------------------------------------- */

typedef struct tarbuf {
  char *data;
  size_t len;
} tarbuf;

static void tar_add(tarbuf *t, const char *name, const char *body, size_t n, char type, const char *link) {
  unsigned char h[512];
  memset(h, 0, sizeof h);
  snprintf((char *)h, 100, "%s", name);
  snprintf((char *)h + 100, 8, "%07o", 0644);
  snprintf((char *)h + 108, 8, "%07o", 0);
  snprintf((char *)h + 116, 8, "%07o", 0);
  snprintf((char *)h + 124, 12, "%011zo", n);
  snprintf((char *)h + 136, 12, "%011o", 0);
  h[156] = (unsigned char)type;
  if (link != NULL) snprintf((char *)h + 157, 100, "%s", link);
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; i++) sum += h[i];
  snprintf((char *)h + 148, 8, "%06o", sum);
  size_t padded = (n + 511) / 512 * 512;
  t->data = realloc(t->data, t->len + 512 + padded + 1024);
  memcpy(t->data + t->len, h, 512);
  memset(t->data + t->len + 512, 0, padded);
  if (n > 0) memcpy(t->data + t->len + 512, body, n);
  t->len += 512 + padded;
}

static void test_save_load(void **state) {
  env *v = *state;
  static const char *const layers[] = {"saved base", "saved top"};
  char c[IMG_DIGEST_MAX], d[2][IMG_DIGEST_MAX];
  pull_fixture_push_image(&v->fx, "saved", "v2", layers, 2, c, d);
  assert_int_equal(pull(v, "127.0.0.1:5000/saved:v2"), WCTR_OK);
  wctr_errmsg e;
  assert_int_equal(img_store_tag(v->fx.store, "127.0.0.1:5000/saved:v2", "a-long-repository-name-for-a-pax-record/"
                                 "with/several/components/that/goes/past/a/hundred/characters:tag", &e), WCTR_OK);
  char *names[] = {"127.0.0.1:5000/saved:v2"};
  img_archive_writer *w = NULL;
  assert_int_equal(img_archive_save_begin(v->fx.store, names, 1, &w, &e), WCTR_OK);
  char path[1000];
  snprintf(path, sizeof path, "%s%sout.tar", v->fx.root, WCTR_FS_SEP);
  wctr_file *f = NULL;
  assert_int_equal(wctr_file_open(path, WCTR_FILE_TRUNCATE, &f, &e), WCTR_OK);
  char buf[3000]; /* an odd size: pieces straddle entries */
  size_t got = 0, total = 0;
  do {
    assert_int_equal(img_archive_save_read(w, buf, sizeof buf, &got, &e), WCTR_OK);
    assert_int_equal(wctr_file_write(f, buf, got), WCTR_OK);
    total += got;
  } while (got > 0);
  wctr_file_close(f);
  assert_int_equal(total, img_archive_save_size(w));
  assert_int_equal(total % 512, 0);
  img_archive_save_end(w);
  /* rmi, then load */
  cJSON *rep = NULL;
  assert_int_equal(img_store_remove(v->fx.store, c, true, NULL, NULL, &rep, &e), WCTR_OK);
  cJSON_Delete(rep);
  assert_nothing_left(v);
  cJSON *result = NULL;
  if (img_archive_load(v->fx.store, path, NULL, NULL, &result, &e) != WCTR_OK) FAILF("load: %s", e.text);
  char *t = cJSON_PrintUnformatted(result);
  assert_string_equal(t, "{\"Loaded\":[\"127.0.0.1:5000/saved:v2\"]}");
  cJSON_free(t);
  cJSON_Delete(result);
  img_record r;
  assert_int_equal(img_store_find(v->fx.store, "127.0.0.1:5000/saved:v2", &r, NULL, 0, &e), WCTR_OK);
  assert_string_equal(r.id, c); /* the same image */
  assert_string_equal(r.layers[1].blob, d[1]);
  img_record_free(&r);
  /* by id: every tag goes into the archive */
  names[0] = c;
  assert_int_equal(img_archive_save_begin(v->fx.store, names, 1, &w, &e), WCTR_OK);
  img_archive_save_end(w);
}

static void test_load_docker_2010(void **state) {
  env *v = *state;
  /* Docker 20.10's layout: <id>/layer.tar (the second a symlink to the first: the same layer twice),
   * <config hex>.json, manifest.json, repositories */
  const char *layer = "the layer tar bytes";
  char diff[IMG_DIGEST_MAX];
  img_digest_of(layer, strlen(layer), diff);
  char cfg[800];
  snprintf(cfg, sizeof cfg, "{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.20348.1\",\"rootfs\":{"
           "\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}", diff, diff);
  char cid[IMG_DIGEST_MAX];
  img_digest_of(cfg, strlen(cfg), cid);
  char cname[100], manifest[800];
  snprintf(cname, sizeof cname, "%s.json", img_digest_hex(cid));
  snprintf(manifest, sizeof manifest, "[{\"Config\":\"%s\",\"RepoTags\":[\"old:20.10\"],\"Layers\":[\"aaa/layer.tar\","
           "\"bbb/layer.tar\"]}]", cname);
  tarbuf t = {0};
  tar_add(&t, "aaa/", "", 0, '5', NULL);
  tar_add(&t, "aaa/VERSION", "1.0", 3, '0', NULL);
  tar_add(&t, "aaa/layer.tar", layer, strlen(layer), '0', NULL);
  tar_add(&t, "bbb/", "", 0, '5', NULL);
  tar_add(&t, "bbb/layer.tar", "", 0, '2', "../aaa/layer.tar");
  tar_add(&t, cname, cfg, strlen(cfg), '0', NULL);
  tar_add(&t, "manifest.json", manifest, strlen(manifest), '0', NULL);
  tar_add(&t, "repositories", "{}", 2, '0', NULL);
  memset(t.data + t.len, 0, 1024);
  t.len += 1024;
  char path[1000];
  snprintf(path, sizeof path, "%s%sold.tar", v->fx.root, WCTR_FS_SEP);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_write_atomic(path, t.data, t.len, &e), WCTR_OK);
  cJSON *result = NULL;
  if (img_archive_load(v->fx.store, path, NULL, NULL, &result, &e) != WCTR_OK) FAILF("load: %s", e.text);
  cJSON_Delete(result);
  img_record r;
  assert_int_equal(img_store_find(v->fx.store, "old:20.10", &r, NULL, 0, &e), WCTR_OK);
  assert_string_equal(r.id, cid);
  assert_int_equal(r.layer_count, 2);
  img_record_free(&r);
  /* a layer that does not match its diff id: refused, nothing left */
  cJSON *rep = NULL;
  assert_int_equal(img_store_remove(v->fx.store, "old:20.10", false, NULL, NULL, &rep, &e), WCTR_OK);
  cJSON_Delete(rep);
  t.data[512 * 4] ^= 1; /* inside aaa/layer.tar's body */
  assert_int_equal(wctr_fs_write_atomic(path, t.data, t.len, &e), WCTR_OK);
  assert_int_equal(img_archive_load(v->fx.store, path, NULL, NULL, &result, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "not to its diff id"));
  assert_nothing_left(v);
  /* garbage */
  t.data[148] ^= 1;
  assert_int_equal(wctr_fs_write_atomic(path, t.data, t.len, &e), WCTR_OK);
  assert_int_equal(img_archive_load(v->fx.store, path, NULL, NULL, &result, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "fails its checksum"));
  free(t.data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_pull_and_run_folders, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_layers_and_removal, setup, teardown),
      cmocka_unit_test_setup_teardown(test_index_choice, setup, teardown),
      cmocka_unit_test_setup_teardown(test_corrupted_and_cut, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
      cmocka_unit_test_setup_teardown(test_foreign_and_concurrency, setup, teardown),
      cmocka_unit_test_setup_teardown(test_importer_not_ready, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tag_prune_in_use, setup, teardown),
      cmocka_unit_test_setup_teardown(test_in_use, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sweep_after_crash, setup, teardown),
      cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
      cmocka_unit_test_setup_teardown(test_load_docker_2010, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
