/* tests/images/fuzz_tar_write.c - the tar writer (images/tar_write.h) on entries made from any input up to
 * 1 MiB, read back by the layer reader (images/tar.h): every entry the writer accepted comes back with the
 * same name (folders with their '/'), kind, size, body and mtime, and nothing else. Input: records of
 * [flags][name length][mtime: 8 bytes][body length: 2 bytes][name][body]; flags bit 0: a folder; bit 1: an
 * mtime before 1970. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "images/tar.h"
#include "images/tar_write.h"
#include "tarw.h"

typedef struct want {
  char *name;
  bool dir;
  const uint8_t *body;
  size_t size;
  int64_t mtime;
} want;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tarw b = {.piece = 3000};
  img_tarw w;
  img_tarw_init(&w, tarw_out, &b);
  want wants[64] = {0};
  size_t n = 0;
  size_t at = 0;
  wctr_errmsg e;
  while (n < 64 && at + 12 <= size) {
    uint8_t flags = data[at];
    size_t name_len = data[at + 1] + 1u;
    if (flags & 4) name_len += 200; /* long names: PAX */
    uint64_t t = 0;
    for (int i = 0; i < 8; i++) t = (t << 8) | data[at + 2 + i];
    size_t body_len = ((size_t)data[at + 10] << 8) | data[at + 11];
    at += 12;
    if (at + name_len > size) break;
    char *name = malloc(name_len + 1);
    if (name == NULL) abort();
    memcpy(name, data + at, name_len);
    name[name_len] = '\0';
    at += name_len;
    size_t clen = strlen(name); /* a NUL makes it a shorter C string: that is the name given */
    /* A file named with a trailing '/' is a folder to every reader (Go's rule): write it as one. */
    bool dir = (flags & 1) != 0 || (clen > 0 && name[clen - 1] == '/');
    if (dir) body_len = 0;
    if (at + body_len > size) body_len = size - at;
    int64_t mtime = (int64_t)(t % UINT64_C(100000000000));
    if (flags & 2) mtime = -mtime;
    img_tarw_entry ent = {.name = name, .dir = dir, .size = body_len, .mode = 0644, .mtime = mtime};
    wctr_err err = img_tarw_begin(&w, &ent, &e);
    if (err != WCTR_OK) {
      /* Only an empty or absolute name is refused; the writer stays usable. */
      if (clen != 0 && name[0] != '/') abort();
      free(name);
      break;
    }
    err = img_tarw_write(&w, data + at, body_len, &e);
    if (err != WCTR_OK) abort();
    wants[n++] = (want){.name = name, .dir = dir, .body = data + at, .size = body_len, .mtime = mtime};
    at += body_len;
  }
  if (img_tarw_finish(&w, &e) != WCTR_OK) abort();
  if (b.len % IMG_TAR_BLOCK != 0) abort();
  img_tar *t = NULL;
  if (img_tar_open(tarw_in, &b, false, &t, &e) != WCTR_OK) abort();
  uint8_t *body = malloc(70000);
  if (body == NULL) abort();
  size_t k = 0;
  for (;; k++) {
    const img_tar_entry *en = NULL;
    if (img_tar_next(t, &en, &e) != WCTR_OK) abort();
    if (en == NULL) break;
    if (k >= n) abort();
    const want *x = &wants[k];
    size_t len = strlen(x->name);
    size_t en_len = strlen(en->name);
    if (x->dir) {
      if (en->kind != IMG_TAR_DIR || en_len != len + (x->name[len - 1] != '/') || memcmp(en->name, x->name, len) != 0) abort();
    } else {
      if (strcmp(en->name, x->name) != 0) abort();
      {
        if (en->kind != IMG_TAR_FILE || en->size != x->size) abort();
        size_t got_total = 0;
        for (;;) {
          size_t got = 0;
          if (img_tar_read(t, body + got_total, 70000 - got_total, &got, &e) != WCTR_OK) abort();
          if (got == 0) break;
          got_total += got;
        }
        if (got_total != x->size || (x->size > 0 && memcmp(body, x->body, x->size) != 0)) abort();
      }
    }
    if (en->mtime.sec != x->mtime) abort();
  }
  if (k != n) abort();
  char digest[IMG_DIGEST_MAX];
  uint64_t total = 0;
  if (img_tar_finish(t, digest, &total, &e) != WCTR_OK || total != b.len) abort();
  img_tar_free(t);
  free(body);
  for (size_t i = 0; i < n; i++) free(wants[i].name);
  free(b.data);
  return 0;
}
