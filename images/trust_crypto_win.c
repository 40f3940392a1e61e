/* images/trust_crypto_win.c - the cryptography of image trust with Windows' own: CryptDecodeObjectEx reads a
 * key's SubjectPublicKeyInfo, BCrypt imports its P-256 point and verifies ECDSA over SHA-256. Contract:
 * images/trust.h (img_trust_crypto). Both DLLs are delay-loaded: a wctrd without an image-trust key never
 * loads crypt32 for it. */
#include <windows.h>

#include <bcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wincrypt.h>

#include "common/log.h"
#include "images/trust.h"

#ifndef STATUS_INVALID_SIGNATURE
#define STATUS_INVALID_SIGNATURE ((NTSTATUS)0xC000A000L)
#endif

/* The parameters of an id-ecPublicKey SPKI for P-256: the DER of OID 1.2.840.10045.3.1.7 (prime256v1). */
static const BYTE p256_oid_der[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* Microsoft documents key handles of its older CryptoAPI as not thread-safe and says nothing for CNG's: pulls
 * verify on several pool threads, so verifications take turns (a few per pull, each well under a millisecond). */
static SRWLOCK verify_lock = SRWLOCK_INIT;
static BCRYPT_ALG_HANDLE ecdsa_alg;
static BCRYPT_ALG_HANDLE sha_alg;
static INIT_ONCE open_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK open_providers(PINIT_ONCE once, PVOID param, PVOID *context) {
  (void)once, (void)param, (void)context;
  NTSTATUS st = BCryptOpenAlgorithmProvider(&ecdsa_alg, BCRYPT_ECDSA_P256_ALGORITHM, NULL, 0);
  if (!BCRYPT_SUCCESS(st)) {
    wctr_log(WCTR_LOG_ERROR, "BCryptOpenAlgorithmProvider(ECDSA_P256) failed: 0x%08lx", (unsigned long)st);
    ecdsa_alg = NULL;
  }
  st = BCryptOpenAlgorithmProvider(&sha_alg, BCRYPT_SHA256_ALGORITHM, NULL, 0);
  if (!BCRYPT_SUCCESS(st)) {
    wctr_log(WCTR_LOG_ERROR, "BCryptOpenAlgorithmProvider(SHA256) failed: 0x%08lx", (unsigned long)st);
    sha_alg = NULL;
  }
  return TRUE;
}

static wctr_err import_key(void *ctx, const uint8_t *spki, size_t len, const char *where, void **key, wctr_errmsg *e) {
  (void)ctx;
  *key = NULL;
  CERT_PUBLIC_KEY_INFO *info = NULL;
  DWORD size = 0;
  wctr_err err = WCTR_OK;
  InitOnceExecuteOnce(&open_once, open_providers, NULL, NULL);
  if (ecdsa_alg == NULL || sha_alg == NULL) return wctr_fail(e, WCTR_ESYSTEM, "%s: BCrypt has no ECDSA P-256 or SHA-256 provider", where);
  if (len > 4096 || !CryptDecodeObjectEx(X509_ASN_ENCODING, X509_PUBLIC_KEY_INFO, spki, (DWORD)len,
                                         CRYPT_DECODE_ALLOC_FLAG, NULL, &info, &size)) {
    return wctr_fail(e, WCTR_EINVAL, "%s is not a SubjectPublicKeyInfo (CryptDecodeObjectEx: error %lu)", where,
                     (unsigned long)GetLastError());
  }
  if (info->Algorithm.pszObjId == NULL || strcmp(info->Algorithm.pszObjId, szOID_ECC_PUBLIC_KEY) != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "%s is a %s key, not an ECDSA key (cosign generate-key-pair makes ECDSA P-256)",
                    where, info->Algorithm.pszObjId != NULL ? info->Algorithm.pszObjId : "?");
    goto done;
  }
  if (info->Algorithm.Parameters.cbData != sizeof p256_oid_der ||
      memcmp(info->Algorithm.Parameters.pbData, p256_oid_der, sizeof p256_oid_der) != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "%s is an ECDSA key on another curve than P-256", where);
    goto done;
  }
  const CRYPT_BIT_BLOB *pk = &info->PublicKey;
  if (pk->cUnusedBits != 0 || pk->cbData != 65 || pk->pbData[0] != 0x04) {
    err = wctr_fail(e, WCTR_EINVAL, "%s: the P-256 point is not an uncompressed point of 65 bytes", where);
    goto done;
  }
  BYTE blob[sizeof(BCRYPT_ECCKEY_BLOB) + 64];
  BCRYPT_ECCKEY_BLOB *h = (BCRYPT_ECCKEY_BLOB *)blob;
  h->dwMagic = BCRYPT_ECDSA_PUBLIC_P256_MAGIC;
  h->cbKey = 32;
  memcpy(blob + sizeof *h, pk->pbData + 1, 64);
  BCRYPT_KEY_HANDLE k = NULL;
  NTSTATUS st = BCryptImportKeyPair(ecdsa_alg, NULL, BCRYPT_ECCPUBLIC_BLOB, &k, blob, sizeof blob, 0);
  if (!BCRYPT_SUCCESS(st)) {
    err = wctr_fail(e, WCTR_EINVAL, "%s: BCrypt refuses the P-256 point (BCryptImportKeyPair: 0x%08lx)", where,
                    (unsigned long)st);
    goto done;
  }
  *key = k;
done:
  LocalFree(info);
  return err;
}

static wctr_err verify(void *ctx, void *key, const void *msg, size_t len, const uint8_t rs[64], bool *valid,
                       wctr_errmsg *e) {
  (void)ctx;
  *valid = false;
  if (len > 0xffffffffu) return wctr_fail(e, WCTR_EINVAL, "the payload is too large to hash");
  BCRYPT_HASH_HANDLE hh = NULL;
  UCHAR hash[32];
  NTSTATUS st = BCryptCreateHash(sha_alg, &hh, NULL, 0, NULL, 0, 0);
  if (BCRYPT_SUCCESS(st)) st = BCryptHashData(hh, (PUCHAR)msg, (ULONG)len, 0);
  if (BCRYPT_SUCCESS(st)) st = BCryptFinishHash(hh, hash, sizeof hash, 0);
  if (hh != NULL) BCryptDestroyHash(hh);
  if (!BCRYPT_SUCCESS(st)) return wctr_fail(e, WCTR_ESYSTEM, "SHA-256 of the payload failed (BCrypt: 0x%08lx)", (unsigned long)st);
  UCHAR sig[64];
  memcpy(sig, rs, sizeof sig);
  AcquireSRWLockExclusive(&verify_lock);
  st = BCryptVerifySignature((BCRYPT_KEY_HANDLE)key, NULL, hash, sizeof hash, sig, sizeof sig, 0);
  ReleaseSRWLockExclusive(&verify_lock);
  if (BCRYPT_SUCCESS(st)) {
    *valid = true;
    return WCTR_OK;
  }
  if (st == STATUS_INVALID_SIGNATURE) return WCTR_OK;
  return wctr_fail(e, WCTR_ESYSTEM, "BCryptVerifySignature failed: 0x%08lx", (unsigned long)st);
}

static void free_key(void *ctx, void *key) {
  (void)ctx;
  if (key != NULL) BCryptDestroyKey((BCRYPT_KEY_HANDLE)key);
}

static const img_trust_crypto system_crypto = {.ctx = NULL, .import_key = import_key, .verify = verify, .free_key = free_key};

const img_trust_crypto *img_trust_system_crypto(void) { return &system_crypto; }
