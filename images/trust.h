/* images/trust.h - image trust: cosign key-based signatures, verified against the keys and the policy of
 * wctrd.json's "image-trust" (portable; the cryptography is a seam, img_trust_crypto, that wctrd fills with
 * Windows' own: images/trust_crypto_win.c, CryptoAPI for the key and BCrypt for ECDSA).
 *
 * The signature format (docs/security.md "Image trust", REFERENCE.md "Image trust"). A signature of the image
 * whose manifest (or index) digest is sha256:<hex> lives in the same repository under the tag
 * "sha256-<hex>.sig": an OCI manifest whose layers of media type IMG_SIG_LAYER_TYPE are the signatures. Each
 * such layer's blob is the simplesigning payload
 *   {"critical":{"identity":{"docker-reference":"<repo>"},"image":{"docker-manifest-digest":"sha256:..."},
 *    "type":"cosign container image signature"},"optional":null|{...}}
 * and its annotation IMG_SIG_ANNOTATION is base64 of an ASN.1 DER ECDSA-Sig-Value over SHA-256 of the
 * payload's exact bytes. Keys are PEM "PUBLIC KEY" (SubjectPublicKeyInfo) of ECDSA P-256, cosign.pub.
 *
 * Verdicts of one signature, checked in this order (each its own message):
 *   malformed-payload  the payload is not the simplesigning document: not JSON, a critical field missing or
 *                      of another type, an unknown critical field (the format requires refusing those), the
 *                      wrong type string, a digest that is not one
 *   bad-signature      the annotation is missing, not base64, or not a DER ECDSA P-256 signature (r and s
 *                      in [1, n-1], minimal encoding, nothing after it)
 *   unknown-key        a well-formed signature that no key trusted for the repository verifies. ECDSA cannot
 *                      tell a signature made with another key from one (or its payload) altered after
 *                      signing; the message says both. When a key the policy holds for another prefix
 *                      verifies it, the message names that key.
 *   other-image        verified by a trusted key, but its docker-manifest-digest is not the image's digest
 *   verified           verified by a trusted key, over this digest
 * An image is verified when one of its signatures is; otherwise its verdict is no-signature (no .sig tag,
 * or no signature layer in it), else the first of other-image, unknown-key, bad-signature, malformed-payload
 * that one of its signatures has.
 *
 * The policy ("image-trust" in wctrd.json, service/config.h):
 *   {"policy": "signed"|"off", "keys": ["<path of a PEM public key>", ...],
 *    "repositories": {"<prefix>": {"policy": "signed"|"off", "keys"?: [...]}, ...}}
 * every key optional ("policy" is "off" by default). A prefix is a registry ("127.0.0.1:5000",
 * "docker.io") or a registry and a repository path prefix ("docker.io/library"), matched at "/"
 * boundaries; the longest matching prefix decides, otherwise the top level. A prefix's "keys" replace the
 * top level's; without them it trusts the top level's. "signed" needs at least one key where it applies.
 * At most IMG_TRUST_MAX_KEYS paths and IMG_TRUST_MAX_SCOPES prefixes. Every key is read and imported when
 * the policy is loaded (img_trust_policy_load_keys): a key that cannot be read or is not ECDSA P-256 stops
 * wctrd with a message naming the file. A key's fingerprint is "sha256:<hex>" of its DER
 * SubjectPublicKeyInfo (what `openssl pkey -pubin -outform DER | sha256sum` prints).
 *
 * Threads: a loaded policy is read-only; every function may be called from any thread. Every parser takes
 * any bytes (tests/images/fuzz_trust.c). */
#ifndef WCTR_IMAGES_TRUST_H
#define WCTR_IMAGES_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "images/digest.h"
#include "images/manifest.h"
#include "images/reference.h"
#include "images/registry.h"

#define IMG_SIG_LAYER_TYPE "application/vnd.dev.cosign.simplesigning.v1+json"
#define IMG_SIG_ANNOTATION "dev.cosignproject.cosign/signature"
#define IMG_SIG_PAYLOAD_TYPE "cosign container image signature"
#define IMG_SIG_MAX_LAYERS 32            /* signatures looked at per image */
#define IMG_SIG_PAYLOAD_MAX (64u * 1024u) /* a payload is a few hundred bytes */
#define IMG_SIG_TEXT_MAX 512             /* the annotation: base64 of at most 72 DER bytes, with room */
#define IMG_SIG_TAG_MAX 80               /* "sha256-<64 hex>.sig" */
#define IMG_TRUST_MAX_KEYS 32
#define IMG_TRUST_MAX_SCOPES 64
#define IMG_TRUST_PEM_MAX (16u * 1024u)
#define IMG_TRUST_PATH_MAX 512

/* --- the format ------------------------------------------------------------------------------------------ */

/* "sha256-<hex>.sig" for a valid digest. */
void img_sig_tag(const char *digest, char out[IMG_SIG_TAG_MAX]);

typedef struct img_sig_payload {
  char digest[IMG_DIGEST_MAX];    /* critical.image.docker-manifest-digest */
  char reference[IMG_NAME_MAX + 1]; /* critical.identity.docker-reference */
} img_sig_payload;

/* The simplesigning payload (above). WCTR_EINVAL naming the field at fault. */
wctr_err img_sig_payload_parse(const char *body, size_t len, img_sig_payload *out, wctr_errmsg *e);

/* A DER ECDSA-Sig-Value of P-256 as r||s (32 bytes each, big-endian): what BCrypt verifies. WCTR_EINVAL
 * saying what is wrong (not a SEQUENCE, an integer not minimal, negative, zero, not below the curve's order,
 * bytes after the end). */
wctr_err img_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t out[64], wctr_errmsg *e);

/* The DER of a PEM "PUBLIC KEY" block (the first one in text; text around it is ignored, as openssl
 * does). *der malloc'ed. WCTR_EINVAL naming where. */
wctr_err img_trust_pem_decode(const char *text, size_t len, const char *where, uint8_t **der, size_t *der_len,
                              wctr_errmsg *e);

typedef struct img_sig_layer {
  img_descriptor payload;            /* the payload's blob */
  char signature[IMG_SIG_TEXT_MAX];  /* the annotation, "" when absent or too long */
  bool signature_present;
} img_sig_layer;

typedef struct img_sig_manifest {
  img_sig_layer *layers; /* the IMG_SIG_LAYER_TYPE layers, in order, at most IMG_SIG_MAX_LAYERS */
  size_t count;
  size_t ignored;        /* layers of other types */
} img_sig_manifest;

/* The .sig manifest: a JSON object with a "layers" array of descriptors (digest and size checked as
 * images/manifest.h checks them). WCTR_EINVAL naming the field. */
wctr_err img_sig_manifest_parse(const char *body, size_t len, img_sig_manifest *out, wctr_errmsg *e);
void img_sig_manifest_free(img_sig_manifest *m); /* accepts a zeroed one */

/* --- the cryptography (a seam) --------------------------------------------------------------------------- */

typedef struct img_trust_crypto {
  void *ctx;
  /* Imports a DER SubjectPublicKeyInfo. WCTR_EINVAL naming where when it is not an ECDSA P-256 key. */
  wctr_err (*import_key)(void *ctx, const uint8_t *spki, size_t len, const char *where, void **key, wctr_errmsg *e);
  /* *valid: does rs (r||s) sign SHA-256(msg) under key? An error only when the system fails. */
  wctr_err (*verify)(void *ctx, void *key, const void *msg, size_t len, const uint8_t rs[64], bool *valid,
                     wctr_errmsg *e);
  void (*free_key)(void *ctx, void *key); /* accepts NULL */
} img_trust_crypto;

/* Windows: CryptDecodeObjectEx for the key, BCrypt ECDSA_P256 for the signature (images/trust_crypto_win.c).
 * Other platforms: NULL (the native lane's tests bring their own). */
const img_trust_crypto *img_trust_system_crypto(void);

/* --- the policy --------------------------------------------------------------------------------------------- */

typedef enum img_trust_mode { IMG_TRUST_OFF = 0, IMG_TRUST_SIGNED = 1 } img_trust_mode;

typedef struct img_trust_policy img_trust_policy;

/* Parses the "image-trust" object strictly (unknown keys, wrong types, a bad prefix, "signed" without keys,
 * a key path that is empty or longer than IMG_TRUST_PATH_MAX - 1: WCTR_EINVAL naming where). No file is
 * read. j NULL: the default, "off" everywhere. */
wctr_err img_trust_policy_parse(const cJSON *j, const char *where, img_trust_policy **out, wctr_errmsg *e);
/* Reads every key file and imports it with crypto (borrowed for the policy's life). A policy that is "off"
 * everywhere and lists no key loads without crypto. */
wctr_err img_trust_policy_load_keys(img_trust_policy *p, const img_trust_crypto *crypto, wctr_errmsg *e);
/* The same with a key's PEM text given instead of read from its path (tests, `wctr check`): path must be
 * one the policy lists. */
wctr_err img_trust_policy_set_key(img_trust_policy *p, const char *path, const char *pem, size_t len, wctr_errmsg *e);
void img_trust_policy_free(img_trust_policy *p); /* accepts NULL */

/* The mode for repo ("domain/path"); *prefix (may be NULL) receives the deciding prefix, "" for the top
 * level. p NULL: off. */
img_trust_mode img_trust_mode_for(const img_trust_policy *p, const char *repo, const char **prefix);
/* Is "signed" anywhere in the policy? */
bool img_trust_any_signed(const img_trust_policy *p);
/* Does the policy trust the key of fingerprint for repo? *path (may be NULL) receives the key's file. */
bool img_trust_key_trusted(const img_trust_policy *p, const char *repo, const char *fingerprint, const char **path);
/* {"Policy":"signed"|"off","Keys":[{"File","Fingerprint"}],"Repositories":{prefix:{"Policy","Keys":[...]}}} */
cJSON *img_trust_policy_json(const img_trust_policy *p);

/* --- verification --------------------------------------------------------------------------------------- */

typedef enum img_trust_verdict {
  IMG_TRUST_VERIFIED = 0,
  IMG_TRUST_NO_SIGNATURE,
  IMG_TRUST_OTHER_IMAGE,
  IMG_TRUST_UNKNOWN_KEY,
  IMG_TRUST_BAD_SIGNATURE,
  IMG_TRUST_MALFORMED_PAYLOAD,
} img_trust_verdict;

/* "verified", "no-signature", "other-image", "unknown-key", "bad-signature", "malformed-payload". */
const char *img_trust_verdict_name(img_trust_verdict v);

typedef struct img_sig_check {
  img_trust_verdict verdict;
  char payload_blob[IMG_DIGEST_MAX];   /* the payload's digest in the .sig manifest ("" when checked alone) */
  char signed_digest[IMG_DIGEST_MAX];  /* the payload's docker-manifest-digest, "" when malformed */
  char reference[IMG_NAME_MAX + 1];    /* its docker-reference */
  char key[IMG_DIGEST_MAX];            /* the fingerprint of the key that verified it, "" when none did */
  char key_file[IMG_TRUST_PATH_MAX];
  char message[512];                   /* one sentence for people */
} img_sig_check;

/* One signature, no network: the payload's bytes and the annotation's text (NULL: absent). repo decides
 * which keys are trusted; digest is the image's. */
void img_trust_check_signature(const img_trust_policy *p, const char *repo, const char *digest, const void *payload,
                               size_t len, const char *signature, img_sig_check *out);

typedef struct img_trust_report {
  img_trust_verdict verdict;
  char repository[IMG_NAME_MAX + 1];
  char digest[IMG_DIGEST_MAX];
  char sig_tag[IMG_SIG_TAG_MAX];
  char key[IMG_DIGEST_MAX];          /* the verifying key when verified */
  char key_file[IMG_TRUST_PATH_MAX];
  img_sig_check *sigs;
  size_t count;
  char message[1024];                /* the verdict in one sentence (a refusal names the image and the fix) */
} img_trust_report;

/* Fetches the .sig manifest of digest from r (repo "domain/path", r's repository) and each signature's
 * payload, then checks them. WCTR_OK with the report filled whatever the verdict (no .sig tag is a verdict,
 * no-signature); an error only when the registry fails otherwise (unreachable, refused, a payload larger than
 * IMG_SIG_PAYLOAD_MAX). */
wctr_err img_trust_verify(const img_trust_policy *p, img_registry *r, const char *repo, const char *digest,
                          img_trust_report *out, wctr_errmsg *e);
/* The same over a .sig manifest and payloads already in memory (tests; payloads[i] for layers[i], NULL when
 * it could not be had). */
void img_trust_verify_manifest(const img_trust_policy *p, const char *repo, const char *digest,
                               const img_sig_manifest *m, const char *const *payloads, const size_t *lens,
                               img_trust_report *out);
void img_trust_report_free(img_trust_report *r); /* accepts a zeroed one */
/* {"Repository","Digest","SignatureTag","Verdict","Key"?,"KeyFile"?,"Message","Signatures":[{"Payload",
 * "SignedDigest","Reference","Verdict","Key","KeyFile","Message"}]} */
cJSON *img_trust_report_json(const img_trust_report *r);

#endif
