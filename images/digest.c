/* images/digest.c - digest text (portable). Contract: images/digest.h. */
#include "images/digest.h"

#include <stdio.h>
#include <string.h>

bool img_digest_valid(const char *text) {
  if (text == NULL || strncmp(text, IMG_DIGEST_PREFIX, strlen(IMG_DIGEST_PREFIX)) != 0) return false;
  const char *hex = text + strlen(IMG_DIGEST_PREFIX);
  for (size_t i = 0; i < IMG_DIGEST_HEX; i++) {
    char c = hex[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return hex[IMG_DIGEST_HEX] == '\0';
}

wctr_err img_digest_check(const char *text, const char *where, wctr_errmsg *e) {
  if (img_digest_valid(text)) return WCTR_OK;
  char shown[84];
  size_t o = 0;
  for (const char *p = text != NULL ? text : ""; *p != '\0' && o < 80; p++) {
    shown[o++] = (*p >= 0x20 && *p < 0x7f && *p != '"') ? *p : '?';
  }
  shown[o] = '\0';
  return wctr_fail(e, WCTR_EINVAL, "%s \"%s\" is not a digest: wctr knows sha256:<64 lowercase hex digits>", where,
                   shown);
}

const char *img_digest_hex(const char *digest) { return digest + strlen(IMG_DIGEST_PREFIX); }

void img_digest_short(const char *digest, char *out, size_t size) {
  const char *hex = img_digest_valid(digest) ? img_digest_hex(digest) : digest;
  snprintf(out, size, "%.12s", hex);
}

wctr_err img_digest_of(const void *data, size_t len, char out[IMG_DIGEST_MAX]) {
  img_hash *h = NULL;
  wctr_err err = img_hash_new(&h);
  if (err != WCTR_OK) return err;
  img_hash_update(h, data, len);
  img_hash_final(h, out);
  img_hash_free(h);
  return WCTR_OK;
}
