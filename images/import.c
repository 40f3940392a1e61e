/* images/import.c - the refusing importer and the layer id (portable). Contract: images/import.h. */
#include "images/import.h"

#include <stdio.h>
#include <string.h>

#include "common/fs.h"
#include "images/digest.h"

static wctr_err refuse(void *ctx, const img_import_layer *l, int64_t *size, wctr_errmsg *e) {
  (void)ctx, (void)size;
  return wctr_fail(e, WCTR_ENOTSUP,
                   "importing Windows layers is not available yet (layer %.19s...): this wctrd resolves and verifies "
                   "images but cannot unpack their layers; register layers Docker unpacked with 'wctr image add'",
                   l->diff_id);
}

static wctr_err not_ready(void *ctx, wctr_errmsg *e) {
  (void)ctx;
  return wctr_fail(e, WCTR_ENOTSUP,
                   "importing Windows layers is not available yet: this wctrd resolves and verifies images but cannot "
                   "unpack their layers; register layers Docker unpacked with 'wctr image add'");
}

static wctr_err remove_folder(void *ctx, const char *path, const char *layer_id, wctr_errmsg *e) {
  (void)ctx, (void)layer_id;
  return wctr_fs_remove_tree(path, e);
}

static const img_importer unavailable = {.ready = not_ready, .import = refuse, .destroy = remove_folder};

const img_importer *img_importer_unavailable(void) { return &unavailable; }

wctr_err img_layer_id_portable(const char *folder_name, char *out, size_t size) {
  char d[IMG_DIGEST_MAX];
  wctr_err err = img_digest_of(folder_name, strlen(folder_name), d);
  if (err != WCTR_OK) return err;
  const char *h = img_digest_hex(d);
  /* version 5 shape: the 13th digit is 5, the 17th one of 8, 9, a, b */
  static const char variant[] = "89ab";
  char v = variant[(h[16] >= 'a' ? h[16] - 'a' + 10 : h[16] - '0') & 3];
  snprintf(out, size, "%.8s-%.4s-5%.3s-%c%.3s-%.12s", h, h + 8, h + 13, v, h + 17, h + 20);
  return WCTR_OK;
}

wctr_err (*img_layer_id)(const char *folder_name, char *out, size_t size) = img_layer_id_portable;
