/* images/digest.h - content digests (portable interface): "sha256:<64 lowercase hex>", the only algorithm
 * registries and image formats use today. Every manifest and blob wctr takes from outside is hashed while
 * it arrives and compared with the digest it was asked for (images/registry.h, images/store.h).
 *
 * The hash is SHA-256 from the system: BCrypt on Windows (images/sha256_win.c), and a portable
 * implementation for the native lane (images/sha256.c), both checked against the same FIPS 180-4
 * vectors in tests/images. */
#ifndef WCTR_IMAGES_DIGEST_H
#define WCTR_IMAGES_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define IMG_DIGEST_PREFIX "sha256:"
#define IMG_DIGEST_HEX 64
#define IMG_DIGEST_MAX 72 /* "sha256:" + 64 hex + NUL, rounded */

typedef struct img_hash img_hash;

/* WCTR_ENOMEM or WCTR_ESYSTEM when the system's provider cannot be opened. */
wctr_err img_hash_new(img_hash **out);
void img_hash_update(img_hash *h, const void *data, size_t len);
/* "sha256:<hex>" of everything given so far; the hash cannot be used again afterwards. */
void img_hash_final(img_hash *h, char out[IMG_DIGEST_MAX]);
void img_hash_free(img_hash *h); /* accepts NULL */

/* The digest of a buffer; WCTR_OK or the error of img_hash_new. */
wctr_err img_digest_of(const void *data, size_t len, char out[IMG_DIGEST_MAX]);

/* Is text "sha256:" followed by exactly 64 lowercase hex digits? */
bool img_digest_valid(const char *text);
/* The same as a check whose message names where and quotes (at most 80 characters of) the text:
 * `manifest.layers[2].digest "md5:..." is not a digest: wctr knows sha256:<64 lowercase hex digits>`. */
wctr_err img_digest_check(const char *text, const char *where, wctr_errmsg *e);
/* The 64 hex digits of a valid digest. */
const char *img_digest_hex(const char *digest);
/* A short id for people (Docker's): the first 12 hex digits. out >= 13 bytes. */
void img_digest_short(const char *digest, char *out, size_t size);

#endif
