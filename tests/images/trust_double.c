/* tests/images/trust_double.c - the crypto double of image trust (trust_double.h). */
#include "trust_double.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "images/digest.h"

static void hex_bytes(const char *hex, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v = 0;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

/* r||s of the double: r = SHA-256("r|" fp "|" payload), s = SHA-256("s|" ...), first bytes set so both are
 * below P-256's order and non-zero. */
static void double_rs(const char *fp, const void *payload, size_t len, uint8_t rs[64]) {
  for (int k = 0; k < 2; k++) {
    size_t n = 3 + strlen(fp) + len;
    char *buf = malloc(n);
    snprintf(buf, n, "%c|%s|", k == 0 ? 'r' : 's', fp);
    memcpy(buf + 3 + strlen(fp), payload, len);
    char d[IMG_DIGEST_MAX];
    if (img_digest_of(buf, n, d) != WCTR_OK) abort();
    free(buf);
    hex_bytes(img_digest_hex(d), rs + 32 * k, 32);
    rs[32 * k] = (uint8_t)(1 + k);
  }
}

static wctr_err double_import(void *ctx, const uint8_t *spki, size_t len, const char *where, void **key, wctr_errmsg *e) {
  (void)ctx;
  if (len < 8 || spki[0] != 0x30) return wctr_fail(e, WCTR_EINVAL, "%s is not DER", where);
  char *fp = malloc(IMG_DIGEST_MAX);
  img_digest_of(spki, len, fp);
  *key = fp;
  return WCTR_OK;
}

static wctr_err double_verify(void *ctx, void *key, const void *msg, size_t len, const uint8_t rs[64], bool *valid,
                              wctr_errmsg *e) {
  (void)ctx, (void)e;
  uint8_t want[64];
  double_rs(key, msg, len, want);
  *valid = memcmp(want, rs, 64) == 0;
  return WCTR_OK;
}

static void double_free(void *ctx, void *key) {
  (void)ctx;
  free(key);
}

const img_trust_crypto double_crypto = {.import_key = double_import, .verify = double_verify,
                                               .free_key = double_free};

/* The annotation the double accepts for (key, payload): base64 of DER. */
char *double_sign(const char *fp, const char *payload) {
  uint8_t rs[64];
  double_rs(fp, payload, strlen(payload), rs);
  uint8_t der[70] = {0x30, 68, 0x02, 32};
  memcpy(der + 4, rs, 32);
  der[36] = 0x02;
  der[37] = 32;
  memcpy(der + 38, rs + 32, 32);
  return wctr_base64_encode(der, sizeof der);
}

char *payload_for(const char *repo, const char *digest) {
  char *p = malloc(1024);
  snprintf(p, 1024, "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},\"image\":{\"docker-manifest-digest\":"
           "\"%s\"},\"type\":\"cosign container image signature\"},\"optional\":null}", repo, digest);
  return p;
}

