/* images/sha256_win.c - SHA-256 through BCrypt (the system's FIPS-validated provider). Contract:
 * images/digest.h. */
#include <windows.h>

#include <bcrypt.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "images/digest.h"

struct img_hash {
  BCRYPT_HASH_HANDLE handle;
};

static BCRYPT_ALG_HANDLE provider;
static INIT_ONCE provider_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK open_provider(PINIT_ONCE once, PVOID param, PVOID *context) {
  (void)once, (void)param, (void)context;
  NTSTATUS st = BCryptOpenAlgorithmProvider(&provider, BCRYPT_SHA256_ALGORITHM, NULL, 0);
  if (!BCRYPT_SUCCESS(st)) {
    wctr_log(WCTR_LOG_ERROR, "BCryptOpenAlgorithmProvider(SHA256) failed: 0x%08lx", (unsigned long)st);
    provider = NULL;
  }
  return TRUE;
}

wctr_err img_hash_new(img_hash **out) {
  InitOnceExecuteOnce(&provider_once, open_provider, NULL, NULL);
  if (provider == NULL) return WCTR_ESYSTEM;
  img_hash *h = calloc(1, sizeof *h);
  if (h == NULL) return WCTR_ENOMEM;
  /* The provider handle is shared by every thread (BCrypt allows it); each hash object is one caller's. */
  NTSTATUS st = BCryptCreateHash(provider, &h->handle, NULL, 0, NULL, 0, 0);
  if (!BCRYPT_SUCCESS(st)) {
    wctr_log(WCTR_LOG_ERROR, "BCryptCreateHash(SHA256) failed: 0x%08lx", (unsigned long)st);
    free(h);
    return WCTR_ESYSTEM;
  }
  *out = h;
  return WCTR_OK;
}

void img_hash_update(img_hash *h, const void *data, size_t len) {
  const UCHAR *p = data;
  while (len > 0) {
    ULONG n = len > 0x40000000u ? 0x40000000u : (ULONG)len;
    BCryptHashData(h->handle, (PUCHAR)p, n, 0);
    p += n;
    len -= n;
  }
}

void img_hash_final(img_hash *h, char out[IMG_DIGEST_MAX]) {
  UCHAR sum[32] = {0};
  BCryptFinishHash(h->handle, sum, sizeof sum, 0);
  int o = snprintf(out, IMG_DIGEST_MAX, "%s", IMG_DIGEST_PREFIX);
  for (int i = 0; i < 32; i++) o += snprintf(out + o, (size_t)(IMG_DIGEST_MAX - o), "%02x", sum[i]);
}

void img_hash_free(img_hash *h) {
  if (h == NULL) return;
  if (h->handle != NULL) BCryptDestroyHash(h->handle);
  free(h);
}
