/* tests/images/pull_fixture.c - the pulling suites' shared state (pull_fixture.h). */
#include "pull_fixture.h"

#include "common/clock.h"
#include "common/fs.h"
#include "images/import.h"
#include "images_test.h"

void pull_fixture_temp_dir(const char *prefix, char *out, size_t size) {
  char name[128];
  wctr_test_unique_name(prefix, name, sizeof name);
#ifdef _WIN32
  const char *base = getenv("TEMP");
#else
  const char *base = getenv("TMPDIR");
#endif
  if (base == NULL || base[0] == '\0') base = "/tmp";
  snprintf(out, size, "%s%s%s", base, WCTR_FS_SEP, name);
  wctr_errmsg e;
  if (wctr_fs_mkdir(out, &e) != WCTR_OK) FAILF("%s", e.text);
}

void pull_fixture_open_store(pull_fixture *f) {
  img_store_options so = {.root = f->store_dir, .importer = img_importer_test()};
  wctr_errmsg e;
  if (img_store_open(&so, &f->store, &e) != WCTR_OK) FAILF("store: %s", e.text);
}

void pull_fixture_start(pull_fixture *f, const char *root) {
  snprintf(f->root, sizeof f->root, "%s", root);
  snprintf(f->store_dir, sizeof f->store_dir, "%s%sstore", f->root, WCTR_FS_SEP);
  wctr_errmsg e;
  wctr_ioc_options io = {.workers = 2, .pool_max = 6};
  if (wctr_ioc_start(&io, &f->ioc, &e) != WCTR_OK) FAILF("%s", e.text);
  wctr_mutex_init(&f->lock);
  pull_fixture_open_store(f);
  f->reg = fake_registry_new("127.0.0.1:5000");
  f->t = fake_registry_transport(f->reg);
}

void pull_fixture_stop(pull_fixture *f) {
  img_store_close(f->store);
  wctr_ioc_stop(f->ioc);
  fake_registry_free(f->reg);
  wctr_mutex_destroy(&f->lock);
  wctr_fs_remove_tree(f->root, NULL);
}

void pull_fixture_wait(pull_fixture *f, img_pull *p) {
  for (int i = 0; i < 3000; i++) {
    wctr_mutex_lock(&f->lock);
    bool d = f->done;
    wctr_mutex_unlock(&f->lock);
    if (d) break;
    wctr_sleep_ms(5);
  }
  img_pull_release(p);
  assert_true(f->done);
}

static bool count_fn(void *ctx, const char *name, bool is_dir) {
  (void)name, (void)is_dir;
  (*(size_t *)ctx)++;
  return true;
}

size_t pull_fixture_entries(const pull_fixture *f, const char *sub) {
  char p[900];
  snprintf(p, sizeof p, "%s%s%s", f->store_dir, WCTR_FS_SEP, sub);
  size_t n = 0;
  wctr_fs_list(p, count_fn, &n);
  return n;
}

const char *pull_fixture_push_image(pull_fixture *f, const char *repo, const char *tag, const char *const *layers,
                                    size_t n, char config[IMG_DIGEST_MAX], char (*digests)[IMG_DIGEST_MAX]) {
  char *m = fake_image(f->reg, HOST_OS ".1", layers, n, false, config, digests);
  const char *d = fake_registry_manifest(f->reg, repo, tag, "application/vnd.oci.image.manifest.v1+json", m);
  free(m);
  return d;
}
