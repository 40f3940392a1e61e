/* images/import_test.c - the test importer (portable): a plausible layer folder instead of a real import,
 * so that everything around the import is exercised. Contract: images/import.h. Never wctrd's default:
 * `wctrd run --test-layer-import` selects it and logs a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "images/digest.h"
#include "images/import.h"
#include "images/manifest.h"

static wctr_err file_digest(const char *path, char out[IMG_DIGEST_MAX], int64_t *size, wctr_errmsg *e) {
  wctr_file *f = NULL;
  wctr_err err = wctr_file_open(path, WCTR_FILE_READ, &f, e);
  if (err != WCTR_OK) return err;
  img_hash *h = NULL;
  err = img_hash_new(&h);
  char *buf = malloc(1 << 20);
  uint64_t off = 0;
  while (err == WCTR_OK && buf != NULL) {
    size_t got = 0;
    err = wctr_file_pread(f, off, buf, 1 << 20, &got);
    if (err != WCTR_OK || got == 0) break;
    img_hash_update(h, buf, got);
    off += got;
  }
  if (buf == NULL) err = WCTR_ENOMEM;
  if (err == WCTR_OK) img_hash_final(h, out);
  *size = (int64_t)off;
  img_hash_free(h);
  free(buf);
  wctr_file_close(f);
  return err == WCTR_OK ? WCTR_OK : wctr_fail(e, err, "cannot read the layer blob %s", path);
}

static wctr_err put(const char *dir, const char *name, const char *text, wctr_errmsg *e) {
  char path[2048];
  wctr_err err = wctr_fs_join(path, sizeof path, dir, name);
  if (err != WCTR_OK) return wctr_fail(e, err, "path too long under %s", dir);
  return wctr_fs_write_atomic(path, text, strlen(text), e);
}

static wctr_err mkdirs(const char *base, const char *const *parts, char *out, size_t size, wctr_errmsg *e) {
  snprintf(out, size, "%s", base);
  for (size_t i = 0; parts[i] != NULL; i++) {
    char next[2048];
    wctr_err err = wctr_fs_join(next, sizeof next, out, parts[i]);
    if (err == WCTR_OK) err = wctr_fs_mkdir(next, e);
    if (err == WCTR_EEXIST) err = WCTR_OK;
    if (err != WCTR_OK) return err;
    snprintf(out, size, "%s", next);
  }
  return WCTR_OK;
}

static wctr_err write_layer(const img_import_layer *l, const char *blob_digest, wctr_errmsg *e) {
  char files[2048];
  static const char *const files_parts[] = {"Files", NULL};
  wctr_err err = wctr_fs_mkdir(l->dest, e);
  if (err == WCTR_OK) err = mkdirs(l->dest, files_parts, files, sizeof files, e);
  char name[IMG_DIGEST_MAX + 16];
  snprintf(name, sizeof name, "layer-%.12s.txt", img_digest_hex(l->diff_id));
  if (err == WCTR_OK) err = put(files, name, blob_digest, e);
  if (err == WCTR_OK && l->parent_count == 0) {
    static const char *const sys[] = {"Files", "Windows", "System32", NULL};
    static const char *const uvm[] = {"UtilityVM", "Files", NULL};
    char p[2048];
    err = mkdirs(l->dest, sys, p, sizeof p, e);
    if (err == WCTR_OK) err = mkdirs(l->dest, uvm, p, sizeof p, e);
  }
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "DiffId", l->diff_id);
  cJSON_AddStringToObject(doc, "Blob", blob_digest);
  cJSON_AddStringToObject(doc, "LayerId", l->layer_id);
  cJSON *parents = cJSON_AddArrayToObject(doc, "Parents");
  for (size_t i = 0; i < l->parent_count; i++) cJSON_AddItemToArray(parents, cJSON_CreateString(l->parent_ids[i]));
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  if (err == WCTR_OK) err = text != NULL ? put(l->dest, "layer.json", text, e) : WCTR_ENOMEM;
  cJSON_free(text);
  return err;
}

static wctr_err test_import(void *ctx, const img_import_layer *l, int64_t *size, wctr_errmsg *e) {
  (void)ctx;
  char blob_digest[IMG_DIGEST_MAX];
  bool gzip = false;
  if (!img_layer_type_known(l->media_type, &gzip)) return wctr_fail(e, WCTR_EINVAL, "layer type %s is unknown", l->media_type);
  if (wctr_fs_exists(l->dest)) return wctr_fail(e, WCTR_EEXIST, "layer folder %s exists already", l->dest);
  wctr_err err = file_digest(l->blob_path, blob_digest, size, e);
  if (err != WCTR_OK) return err;
  /* An uncompressed tar is its own diff: a real importer checks the same thing after gunzip. */
  if (!gzip && strcmp(blob_digest, l->diff_id) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "layer %s: its content hashes to %s, not its diff id: refused", l->diff_id, blob_digest);
  }
  err = write_layer(l, blob_digest, e);
  if (err != WCTR_OK) wctr_fs_remove_tree(l->dest, NULL);
  return err;
}

static wctr_err test_destroy(void *ctx, const char *path, const char *layer_id, wctr_errmsg *e) {
  (void)ctx, (void)layer_id;
  return wctr_fs_remove_tree(path, e);
}

static const img_importer test_importer = {.import = test_import, .destroy = test_destroy};

const img_importer *img_importer_test(void) { return &test_importer; }
