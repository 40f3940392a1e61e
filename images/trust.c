/* images/trust.c - cosign signatures and the image-trust policy (portable). Contract: images/trust.h. */
#include "images/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/json.h"

/* --- the format ------------------------------------------------------------------------------------------ */

void img_sig_tag(const char *digest, char out[IMG_SIG_TAG_MAX]) {
  snprintf(out, IMG_SIG_TAG_MAX, "sha256-%.64s.sig", img_digest_valid(digest) ? img_digest_hex(digest) : "");
}

/* A string member that must be there, of at most size - 1 bytes. */
static wctr_err payload_text(const cJSON *obj, const char *key, const char *where, char *out, size_t size,
                             wctr_errmsg *e) {
  const char *v = NULL;
  wctr_err err = wctr_json_get_string(obj, key, where, true, &v, e);
  if (err != WCTR_OK) return err;
  if (strlen(v) >= size) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" is longer than %zu bytes", where, key, size - 1);
  snprintf(out, size, "%s", v);
  return WCTR_OK;
}

wctr_err img_sig_payload_parse(const char *body, size_t len, img_sig_payload *out, wctr_errmsg *e) {
  static const char *const top_keys[] = {"critical", "optional", NULL};
  static const char *const critical_keys[] = {"identity", "image", "type", NULL};
  static const char *const identity_keys[] = {"docker-reference", NULL};
  static const char *const image_keys[] = {"docker-manifest-digest", NULL};
  memset(out, 0, sizeof *out);
  cJSON *root = NULL;
  wctr_err err = WCTR_OK;
  if (len == 0 || len > IMG_SIG_PAYLOAD_MAX) {
    err = wctr_fail(e, WCTR_EINVAL, "the payload has %zu bytes (1 to %u expected)", len, IMG_SIG_PAYLOAD_MAX);
    goto done;
  }
  root = cJSON_ParseWithLength(body, len);
  if (!cJSON_IsObject(root)) {
    err = wctr_fail(e, WCTR_EINVAL, "the payload is not a JSON object");
    goto done;
  }
  const cJSON *critical = NULL;
  const cJSON *identity = NULL;
  const cJSON *image = NULL;
  const char *type = NULL;
  err = wctr_json_check_keys(root, "payload", top_keys, e);
  if (err == WCTR_OK) err = wctr_json_get_object(root, "critical", "payload", true, &critical, e);
  if (err == WCTR_OK) {
    const cJSON *optional = cJSON_GetObjectItemCaseSensitive(root, "optional");
    if (optional != NULL && !cJSON_IsNull(optional) && !cJSON_IsObject(optional)) {
      err = wctr_fail(e, WCTR_EINVAL, "payload: \"optional\" must be null or an object, not %s",
                      wctr_json_type_name(optional));
    }
  }
  /* The signature format requires refusing a critical field one does not understand. */
  if (err == WCTR_OK) err = wctr_json_check_keys(critical, "payload.critical", critical_keys, e);
  if (err == WCTR_OK) err = wctr_json_get_string(critical, "type", "payload.critical", true, &type, e);
  if (err == WCTR_OK && strcmp(type, IMG_SIG_PAYLOAD_TYPE) != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "payload.critical: \"type\" is \"%.80s\", not \"" IMG_SIG_PAYLOAD_TYPE "\"", type);
  }
  if (err == WCTR_OK) err = wctr_json_get_object(critical, "identity", "payload.critical", true, &identity, e);
  if (err == WCTR_OK) err = wctr_json_check_keys(identity, "payload.critical.identity", identity_keys, e);
  if (err == WCTR_OK) {
    err = payload_text(identity, "docker-reference", "payload.critical.identity", out->reference, sizeof out->reference, e);
  }
  if (err == WCTR_OK) err = wctr_json_get_object(critical, "image", "payload.critical", true, &image, e);
  if (err == WCTR_OK) err = wctr_json_check_keys(image, "payload.critical.image", image_keys, e);
  if (err == WCTR_OK) {
    err = payload_text(image, "docker-manifest-digest", "payload.critical.image", out->digest, sizeof out->digest, e);
  }
  if (err == WCTR_OK) err = img_digest_check(out->digest, "payload.critical.image.docker-manifest-digest", e);
done:
  cJSON_Delete(root);
  if (err != WCTR_OK) memset(out, 0, sizeof *out);
  return err;
}

/* The order n of P-256 (FIPS 186-4, D.1.2.3), big-endian. */
static const uint8_t p256_order[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                       0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

/* One DER INTEGER at *pos into out (32 bytes, left-padded): positive, minimal, in [1, n-1]. */
static wctr_err der_integer(const uint8_t *der, size_t len, size_t *pos, const char *name, uint8_t out[32],
                            wctr_errmsg *e) {
  size_t i = *pos;
  if (i + 2 > len || der[i] != 0x02) return wctr_fail(e, WCTR_EINVAL, "the signature's %s is not a DER INTEGER", name);
  size_t n = der[i + 1];
  size_t next = i + 2 + n;
  i += 2;
  if (n == 0 || n > 33 || i + n > len) return wctr_fail(e, WCTR_EINVAL, "the signature's %s has a length of %zu", name, n);
  const uint8_t *v = der + i;
  if (v[0] & 0x80) return wctr_fail(e, WCTR_EINVAL, "the signature's %s is negative", name);
  if (n > 1 && v[0] == 0x00 && !(v[1] & 0x80)) return wctr_fail(e, WCTR_EINVAL, "the signature's %s is not minimally encoded", name);
  if (v[0] == 0x00 && n > 1) {
    v++;
    n--;
  }
  if (n > 32) return wctr_fail(e, WCTR_EINVAL, "the signature's %s is larger than 256 bits", name);
  memset(out, 0, 32);
  memcpy(out + (32 - n), v, n);
  bool zero = true;
  for (size_t k = 0; k < 32; k++) zero = zero && out[k] == 0;
  if (zero) return wctr_fail(e, WCTR_EINVAL, "the signature's %s is zero", name);
  if (memcmp(out, p256_order, 32) >= 0) return wctr_fail(e, WCTR_EINVAL, "the signature's %s is not below P-256's order", name);
  *pos = next;
  return WCTR_OK;
}

wctr_err img_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t out[64], wctr_errmsg *e) {
  /* SEQUENCE { INTEGER r, INTEGER s }: at most 2 + 2 * 35 bytes, so every length fits the short form. */
  if (len < 8 || der[0] != 0x30) return wctr_fail(e, WCTR_EINVAL, "the signature is not a DER SEQUENCE (an ECDSA signature)");
  if (der[1] & 0x80 || (size_t)der[1] + 2 != len) {
    return wctr_fail(e, WCTR_EINVAL, "the signature's DER length does not match its %zu bytes", len);
  }
  size_t pos = 2;
  wctr_err err = der_integer(der, len, &pos, "r", out, e);
  if (err == WCTR_OK) err = der_integer(der, len, &pos, "s", out + 32, e);
  if (err == WCTR_OK && pos != len) err = wctr_fail(e, WCTR_EINVAL, "the signature has bytes after its end");
  if (err != WCTR_OK) memset(out, 0, 64);
  return err;
}

wctr_err img_trust_pem_decode(const char *text, size_t len, const char *where, uint8_t **der, size_t *der_len,
                              wctr_errmsg *e) {
  static const char begin[] = "-----BEGIN PUBLIC KEY-----";
  static const char end[] = "-----END PUBLIC KEY-----";
  *der = NULL;
  *der_len = 0;
  char *b64 = NULL;
  wctr_err err = WCTR_OK;
  if (len > IMG_TRUST_PEM_MAX) {
    err = wctr_fail(e, WCTR_EINVAL, "%s: %zu bytes is too large for a public key (at most %u)", where, len, IMG_TRUST_PEM_MAX);
    goto done;
  }
  size_t start = len;
  for (size_t i = 0; i + sizeof begin - 1 <= len; i++) {
    if (memcmp(text + i, begin, sizeof begin - 1) == 0) {
      start = i + sizeof begin - 1;
      break;
    }
  }
  size_t stop = len;
  for (size_t i = start; start < len && i + sizeof end - 1 <= len; i++) {
    if (memcmp(text + i, end, sizeof end - 1) == 0) {
      stop = i;
      break;
    }
  }
  if (start == len || stop == len) {
    err = wctr_fail(e, WCTR_EINVAL, "%s is not a PEM public key (no \"%s\" ... \"%s\" block; cosign.pub has one)", where,
                    begin, end);
    goto done;
  }
  b64 = malloc(stop - start + 1);
  if (b64 == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  size_t n = 0;
  for (size_t i = start; i < stop; i++) {
    char c = text[i];
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
    b64[n++] = c;
  }
  err = wctr_base64_decode(b64, n, der, der_len, where, e);
  if (err == WCTR_OK && *der_len == 0) {
    free(*der);
    *der = NULL;
    err = wctr_fail(e, WCTR_EINVAL, "%s: the PEM block is empty", where);
  }
done:
  free(b64);
  return err;
}

void img_sig_manifest_free(img_sig_manifest *m) {
  if (m == NULL) return;
  free(m->layers);
  memset(m, 0, sizeof *m);
}

wctr_err img_sig_manifest_parse(const char *body, size_t len, img_sig_manifest *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  cJSON *root = len > 0 && len <= IMG_MANIFEST_MAX_BYTES ? cJSON_ParseWithLength(body, len) : NULL;
  wctr_err err = WCTR_OK;
  if (!cJSON_IsObject(root)) {
    err = wctr_fail(e, WCTR_EINVAL, "the signature manifest is not a JSON object of at most %u bytes", IMG_MANIFEST_MAX_BYTES);
    goto done;
  }
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  if (!cJSON_IsArray(layers)) {
    err = wctr_fail(e, WCTR_EINVAL, "the signature manifest: \"layers\" must be an array");
    goto done;
  }
  out->layers = calloc(IMG_SIG_MAX_LAYERS, sizeof *out->layers);
  if (out->layers == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  int index = -1;
  const cJSON *l;
  cJSON_ArrayForEach(l, layers) {
    index++;
    char where[64];
    snprintf(where, sizeof where, "the signature manifest: layers[%d]", index);
    const char *mt = NULL;
    if (!cJSON_IsObject(l)) {
      err = wctr_fail(e, WCTR_EINVAL, "%s must be an object", where);
      goto done;
    }
    err = wctr_json_get_string(l, "mediaType", where, true, &mt, e);
    if (err != WCTR_OK) goto done;
    if (strcmp(mt, IMG_SIG_LAYER_TYPE) != 0) {
      out->ignored++;
      continue;
    }
    if (out->count == IMG_SIG_MAX_LAYERS) {
      out->ignored++;
      continue;
    }
    img_sig_layer *s = &out->layers[out->count];
    const char *digest = NULL;
    int64_t size = 0;
    err = wctr_json_get_string(l, "digest", where, true, &digest, e);
    if (err == WCTR_OK) err = img_digest_check(digest, where, e);
    if (err == WCTR_OK) err = wctr_json_get_int64(l, "size", where, true, 0, INT64_C(1) << 53, &size, e);
    if (err != WCTR_OK) goto done;
    snprintf(s->payload.media_type, sizeof s->payload.media_type, "%s", mt);
    snprintf(s->payload.digest, sizeof s->payload.digest, "%s", digest);
    s->payload.size = size;
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(l, "annotations");
    const cJSON *sig = cJSON_IsObject(ann) ? cJSON_GetObjectItemCaseSensitive(ann, IMG_SIG_ANNOTATION) : NULL;
    if (cJSON_IsString(sig)) {
      s->signature_present = true;
      if (strlen(sig->valuestring) < sizeof s->signature) snprintf(s->signature, sizeof s->signature, "%s", sig->valuestring);
    }
    out->count++;
  }
done:
  cJSON_Delete(root);
  if (err != WCTR_OK) img_sig_manifest_free(out);
  return err;
}

/* --- the policy ------------------------------------------------------------------------------------------- */

typedef struct tkey {
  char *path;
  char fingerprint[IMG_DIGEST_MAX];
  void *handle;
} tkey;

typedef struct tscope {
  char *prefix; /* "" at the top level */
  img_trust_mode mode;
  bool own_keys;
  size_t keys[IMG_TRUST_MAX_KEYS];
  size_t nkeys;
} tscope;

struct img_trust_policy {
  tkey keys[IMG_TRUST_MAX_KEYS];
  size_t nkeys;
  tscope top;
  tscope *scopes;
  size_t nscopes;
  const img_trust_crypto *crypto;
};

void img_trust_policy_free(img_trust_policy *p) {
  if (p == NULL) return;
  for (size_t i = 0; i < p->nkeys; i++) {
    if (p->crypto != NULL && p->keys[i].handle != NULL) p->crypto->free_key(p->crypto->ctx, p->keys[i].handle);
    free(p->keys[i].path);
  }
  for (size_t i = 0; i < p->nscopes; i++) free(p->scopes[i].prefix);
  free(p->scopes);
  free(p->top.prefix);
  free(p);
}

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

static wctr_err parse_mode(const cJSON *obj, const char *where, img_trust_mode *out, wctr_errmsg *e) {
  const char *v = NULL;
  wctr_err err = wctr_json_get_string(obj, "policy", where, false, &v, e);
  if (err != WCTR_OK || v == NULL) return err;
  if (strcmp(v, "signed") == 0) *out = IMG_TRUST_SIGNED;
  else if (strcmp(v, "off") == 0) *out = IMG_TRUST_OFF;
  else return wctr_fail(e, WCTR_EINVAL, "%s: \"policy\" must be \"signed\" or \"off\", not \"%.60s\"", where, v);
  return WCTR_OK;
}

static wctr_err parse_keys(img_trust_policy *p, const cJSON *obj, const char *where, tscope *s, wctr_errmsg *e) {
  const cJSON *keys = NULL;
  wctr_err err = wctr_json_get_string_array(obj, "keys", where, false, &keys, e);
  if (err != WCTR_OK || keys == NULL) return err;
  s->own_keys = true;
  const cJSON *k;
  cJSON_ArrayForEach(k, keys) {
    const char *path = k->valuestring;
    if (path[0] == '\0' || strlen(path) >= IMG_TRUST_PATH_MAX) {
      return wctr_fail(e, WCTR_EINVAL, "%s: \"keys\" holds a path that is empty or longer than %d bytes", where,
                       IMG_TRUST_PATH_MAX - 1);
    }
    size_t index = p->nkeys;
    for (size_t i = 0; i < p->nkeys; i++) {
      if (strcmp(p->keys[i].path, path) == 0) index = i;
    }
    if (index == p->nkeys) {
      if (p->nkeys == IMG_TRUST_MAX_KEYS) return wctr_fail(e, WCTR_EINVAL, "%s: more than %d key files", where, IMG_TRUST_MAX_KEYS);
      p->keys[index].path = dup_text(path);
      if (p->keys[index].path == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      p->nkeys++;
    }
    bool listed = false;
    for (size_t i = 0; i < s->nkeys; i++) listed = listed || s->keys[i] == index;
    if (listed) return wctr_fail(e, WCTR_EINVAL, "%s: \"keys\" lists %.200s twice", where, path);
    s->keys[s->nkeys++] = index;
  }
  return WCTR_OK;
}

/* A registry, or a registry and a path prefix: the first component is a domain (images/reference.h). */
static bool prefix_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > IMG_NAME_MAX || s[n - 1] == '/' || s[0] == '/' || strstr(s, "//") != NULL) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == ':' ||
              c == '/' || c == '[' || c == ']';
    if (!ok) return false;
  }
  size_t first = strcspn(s, "/");
  return memchr(s, '.', first) != NULL || memchr(s, ':', first) != NULL || (first == 9 && strncmp(s, "localhost", 9) == 0);
}

wctr_err img_trust_policy_parse(const cJSON *j, const char *where, img_trust_policy **out, wctr_errmsg *e) {
  static const char *const keys[] = {"policy", "keys", "repositories", NULL};
  static const char *const scope_keys[] = {"policy", "keys", NULL};
  *out = NULL;
  img_trust_policy *p = calloc(1, sizeof *p);
  if (p == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  p->top.prefix = dup_text("");
  wctr_err err = p->top.prefix != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (j == NULL || err != WCTR_OK) goto done;
  err = wctr_json_check_keys(j, where, keys, e);
  if (err == WCTR_OK) err = parse_mode(j, where, &p->top.mode, e);
  if (err == WCTR_OK) err = parse_keys(p, j, where, &p->top, e);
  if (err == WCTR_OK && p->top.mode == IMG_TRUST_SIGNED && p->top.nkeys == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "%s: \"policy\" is \"signed\" but \"keys\" lists no public key to verify with", where);
  }
  const cJSON *repos = NULL;
  if (err == WCTR_OK) err = wctr_json_get_object(j, "repositories", where, false, &repos, e);
  if (err != WCTR_OK || repos == NULL) goto done;
  int n = cJSON_GetArraySize(repos);
  if (n > IMG_TRUST_MAX_SCOPES) {
    err = wctr_fail(e, WCTR_EINVAL, "%s: \"repositories\" has %d entries (at most %d)", where, n, IMG_TRUST_MAX_SCOPES);
    goto done;
  }
  p->scopes = calloc((size_t)n + 1, sizeof *p->scopes);
  if (p->scopes == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  const cJSON *r;
  cJSON_ArrayForEach(r, repos) {
    char at[IMG_NAME_MAX + 96];
    snprintf(at, sizeof at, "%s: \"repositories\".\"%.255s\"", where, r->string);
    if (!prefix_valid(r->string)) {
      err = wctr_fail(e, WCTR_EINVAL, "%s: not a registry or repository prefix (\"registry.example.com\", "
                      "\"127.0.0.1:5000/team\", \"docker.io/library\": lowercase, a registry first)", at);
      goto done;
    }
    for (size_t i = 0; i < p->nscopes; i++) {
      if (strcmp(p->scopes[i].prefix, r->string) == 0) {
        err = wctr_fail(e, WCTR_EINVAL, "%s: the prefix is listed twice", at);
        goto done;
      }
    }
    tscope *s = &p->scopes[p->nscopes];
    s->prefix = dup_text(r->string);
    if (s->prefix == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      goto done;
    }
    p->nscopes++;
    s->mode = IMG_TRUST_OFF;
    err = wctr_json_check_keys(r, at, scope_keys, e);
    if (err == WCTR_OK && cJSON_GetObjectItemCaseSensitive(r, "policy") == NULL) {
      err = wctr_fail(e, WCTR_EINVAL, "%s: \"policy\" is required", at);
    }
    if (err == WCTR_OK) err = parse_mode(r, at, &s->mode, e);
    if (err == WCTR_OK) err = parse_keys(p, r, at, s, e);
    if (err == WCTR_OK && !s->own_keys) {
      memcpy(s->keys, p->top.keys, sizeof s->keys);
      s->nkeys = p->top.nkeys;
    }
    if (err == WCTR_OK && s->mode == IMG_TRUST_SIGNED && s->nkeys == 0) {
      err = wctr_fail(e, WCTR_EINVAL, "%s: \"policy\" is \"signed\" but no public key is listed for it or at the top level", at);
    }
    if (err != WCTR_OK) goto done;
  }
done:
  if (err != WCTR_OK) {
    img_trust_policy_free(p);
    return err;
  }
  *out = p;
  return WCTR_OK;
}

static wctr_err import_pem(img_trust_policy *p, tkey *k, const char *pem, size_t len, wctr_errmsg *e) {
  uint8_t *der = NULL;
  size_t der_len = 0;
  char where[IMG_TRUST_PATH_MAX + 40];
  snprintf(where, sizeof where, "image-trust key %s", k->path);
  wctr_err err = img_trust_pem_decode(pem, len, where, &der, &der_len, e);
  void *handle = NULL;
  if (err == WCTR_OK) err = p->crypto->import_key(p->crypto->ctx, der, der_len, where, &handle, e);
  if (err == WCTR_OK) err = img_digest_of(der, der_len, k->fingerprint);
  if (err != WCTR_OK) {
    if (handle != NULL) p->crypto->free_key(p->crypto->ctx, handle);
    free(der);
    return err == WCTR_ENOMEM || err == WCTR_ESYSTEM ? wctr_fail(e, err, "%s cannot be imported", where) : err;
  }
  if (k->handle != NULL) p->crypto->free_key(p->crypto->ctx, k->handle);
  k->handle = handle;
  free(der);
  return WCTR_OK;
}

wctr_err img_trust_policy_load_keys(img_trust_policy *p, const img_trust_crypto *crypto, wctr_errmsg *e) {
  if (p->nkeys == 0) return WCTR_OK;
  if (crypto == NULL) {
    return wctr_fail(e, WCTR_ENOTSUP, "image-trust: verifying signatures needs Windows' CryptoAPI and BCrypt; this build has neither");
  }
  p->crypto = crypto;
  for (size_t i = 0; i < p->nkeys; i++) {
    char *text = NULL;
    size_t len = 0;
    wctr_err err = wctr_fs_read_all(p->keys[i].path, IMG_TRUST_PEM_MAX, &text, &len);
    if (err != WCTR_OK) {
      return wctr_fail(e, err, "image-trust key %s cannot be read (%s)", p->keys[i].path, wctr_strerror(err));
    }
    err = import_pem(p, &p->keys[i], text, len, e);
    free(text);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

wctr_err img_trust_policy_set_key(img_trust_policy *p, const char *path, const char *pem, size_t len, wctr_errmsg *e) {
  for (size_t i = 0; i < p->nkeys; i++) {
    if (strcmp(p->keys[i].path, path) == 0) {
      if (p->crypto == NULL) return wctr_fail(e, WCTR_ENOTSUP, "image-trust: no cryptography was given (img_trust_policy_load_keys)");
      return import_pem(p, &p->keys[i], pem, len, e);
    }
  }
  return wctr_fail(e, WCTR_ENOENT, "image-trust lists no key %.200s", path);
}

static const tscope *scope_for(const img_trust_policy *p, const char *repo) {
  const tscope *best = &p->top;
  size_t best_len = 0;
  for (size_t i = 0; i < p->nscopes; i++) {
    size_t n = strlen(p->scopes[i].prefix);
    if (strncmp(repo, p->scopes[i].prefix, n) == 0 && (repo[n] == '\0' || repo[n] == '/') && n > best_len) {
      best = &p->scopes[i];
      best_len = n;
    }
  }
  return best;
}

img_trust_mode img_trust_mode_for(const img_trust_policy *p, const char *repo, const char **prefix) {
  if (p == NULL) {
    if (prefix != NULL) *prefix = "";
    return IMG_TRUST_OFF;
  }
  const tscope *s = scope_for(p, repo != NULL ? repo : "");
  if (prefix != NULL) *prefix = s->prefix;
  return s->mode;
}

bool img_trust_any_signed(const img_trust_policy *p) {
  if (p == NULL) return false;
  bool any = p->top.mode == IMG_TRUST_SIGNED;
  for (size_t i = 0; i < p->nscopes; i++) any = any || p->scopes[i].mode == IMG_TRUST_SIGNED;
  return any;
}

bool img_trust_key_trusted(const img_trust_policy *p, const char *repo, const char *fingerprint, const char **path) {
  if (p == NULL || fingerprint == NULL || fingerprint[0] == '\0') return false;
  const tscope *s = scope_for(p, repo != NULL ? repo : "");
  for (size_t i = 0; i < s->nkeys; i++) {
    const tkey *k = &p->keys[s->keys[i]];
    if (k->handle != NULL && strcmp(k->fingerprint, fingerprint) == 0) {
      if (path != NULL) *path = k->path;
      return true;
    }
  }
  return false;
}

static cJSON *keys_json(const img_trust_policy *p, const tscope *s) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a != NULL && i < s->nkeys; i++) {
    const tkey *k = &p->keys[s->keys[i]];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "File", k->path);
    cJSON_AddStringToObject(o, "Fingerprint", k->fingerprint);
    cJSON_AddItemToArray(a, o);
  }
  return a;
}

cJSON *img_trust_policy_json(const img_trust_policy *p) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "Policy", p != NULL && p->top.mode == IMG_TRUST_SIGNED ? "signed" : "off");
  if (p == NULL) {
    cJSON_AddArrayToObject(o, "Keys");
    cJSON_AddObjectToObject(o, "Repositories");
    return o;
  }
  cJSON_AddItemToObject(o, "Keys", keys_json(p, &p->top));
  cJSON *r = cJSON_AddObjectToObject(o, "Repositories");
  for (size_t i = 0; r != NULL && i < p->nscopes; i++) {
    cJSON *s = cJSON_AddObjectToObject(r, p->scopes[i].prefix);
    cJSON_AddStringToObject(s, "Policy", p->scopes[i].mode == IMG_TRUST_SIGNED ? "signed" : "off");
    cJSON_AddItemToObject(s, "Keys", keys_json(p, &p->scopes[i]));
  }
  return o;
}

/* --- verification ------------------------------------------------------------------------------------------ */

const char *img_trust_verdict_name(img_trust_verdict v) {
  switch (v) {
    case IMG_TRUST_VERIFIED: return "verified";
    case IMG_TRUST_NO_SIGNATURE: return "no-signature";
    case IMG_TRUST_OTHER_IMAGE: return "other-image";
    case IMG_TRUST_UNKNOWN_KEY: return "unknown-key";
    case IMG_TRUST_BAD_SIGNATURE: return "bad-signature";
    case IMG_TRUST_MALFORMED_PAYLOAD: return "malformed-payload";
  }
  return "unknown";
}

/* Does key k verify rs over the payload? A system failure counts as no (and is said in *failure). */
static bool key_verifies(const img_trust_policy *p, const tkey *k, const void *payload, size_t len, const uint8_t rs[64],
                         char *failure, size_t size) {
  if (p->crypto == NULL || k->handle == NULL) return false;
  bool valid = false;
  wctr_errmsg e;
  e.text[0] = '\0';
  if (p->crypto->verify(p->crypto->ctx, k->handle, payload, len, rs, &valid, &e) != WCTR_OK) {
    snprintf(failure, size, "%s", e.text);
    return false;
  }
  return valid;
}

void img_trust_check_signature(const img_trust_policy *p, const char *repo, const char *digest, const void *payload,
                               size_t len, const char *signature, img_sig_check *out) {
  memset(out, 0, sizeof *out);
  wctr_errmsg e;
  e.text[0] = '\0';
  img_sig_payload pl;
  if (img_sig_payload_parse(payload, len, &pl, &e) != WCTR_OK) {
    out->verdict = IMG_TRUST_MALFORMED_PAYLOAD;
    snprintf(out->message, sizeof out->message, "malformed payload: %s", e.text);
    return;
  }
  snprintf(out->signed_digest, sizeof out->signed_digest, "%s", pl.digest);
  snprintf(out->reference, sizeof out->reference, "%s", pl.reference);
  uint8_t *der = NULL;
  size_t der_len = 0;
  uint8_t rs[64];
  if (signature == NULL || signature[0] == '\0') {
    out->verdict = IMG_TRUST_BAD_SIGNATURE;
    snprintf(out->message, sizeof out->message, "bad signature: the layer has no " IMG_SIG_ANNOTATION " annotation");
    return;
  }
  wctr_err err = wctr_base64_decode(signature, strlen(signature), &der, &der_len, "the " IMG_SIG_ANNOTATION " annotation", &e);
  if (err == WCTR_OK) err = img_sig_der_to_raw(der, der_len, rs, &e);
  free(der);
  if (err != WCTR_OK) {
    out->verdict = IMG_TRUST_BAD_SIGNATURE;
    snprintf(out->message, sizeof out->message, "bad signature: %s (not an ECDSA P-256 signature in ASN.1 DER)", e.text);
    return;
  }
  char failure[256] = "";
  const tscope *s = p != NULL ? scope_for(p, repo) : NULL;
  const tkey *by = NULL;
  for (size_t i = 0; s != NULL && by == NULL && i < s->nkeys; i++) {
    const tkey *k = &p->keys[s->keys[i]];
    if (key_verifies(p, k, payload, len, rs, failure, sizeof failure)) by = k;
  }
  if (by == NULL) {
    out->verdict = IMG_TRUST_UNKNOWN_KEY;
    /* A key held for another prefix: name it, so the administrator sees which scope is missing it. */
    const tkey *other = NULL;
    for (size_t i = 0; p != NULL && other == NULL && i < p->nkeys; i++) {
      bool in_scope = false;
      for (size_t j = 0; j < s->nkeys; j++) in_scope = in_scope || s->keys[j] == i;
      if (!in_scope && key_verifies(p, &p->keys[i], payload, len, rs, failure, sizeof failure)) other = &p->keys[i];
    }
    if (other != NULL) {
      snprintf(out->message, sizeof out->message, "unknown key: signed with key %s (%s), which is not trusted for %s",
               other->fingerprint, other->path, repo);
    } else if (s == NULL || s->nkeys == 0) {
      snprintf(out->message, sizeof out->message, "unknown key: no key is trusted for %s (image-trust \"keys\")", repo);
    } else {
      snprintf(out->message, sizeof out->message,
               "unknown key: none of the %zu key(s) trusted for %s verifies it (it was made with another key, or it or "
               "its payload changed after signing)%s%s", s->nkeys, repo, failure[0] != '\0' ? "; " : "", failure);
    }
    return;
  }
  snprintf(out->key, sizeof out->key, "%s", by->fingerprint);
  snprintf(out->key_file, sizeof out->key_file, "%s", by->path);
  if (digest == NULL || strcmp(pl.digest, digest) != 0) {
    out->verdict = IMG_TRUST_OTHER_IMAGE;
    snprintf(out->message, sizeof out->message,
             "other image: signed with trusted key %s over %s, not over %s (a signature copied from another image)",
             by->fingerprint, pl.digest, digest != NULL ? digest : "");
    return;
  }
  out->verdict = IMG_TRUST_VERIFIED;
  snprintf(out->message, sizeof out->message, "verified with key %s (%s)", by->fingerprint, by->path);
}

void img_trust_report_free(img_trust_report *r) {
  if (r == NULL) return;
  free(r->sigs);
  memset(r, 0, sizeof *r);
}

static void report_begin(img_trust_report *out, const char *repo, const char *digest) {
  memset(out, 0, sizeof *out);
  snprintf(out->repository, sizeof out->repository, "%s", repo);
  snprintf(out->digest, sizeof out->digest, "%s", digest);
  img_sig_tag(digest, out->sig_tag);
  out->verdict = IMG_TRUST_NO_SIGNATURE;
}

/* The image's verdict from its signatures (the contract's order) and its sentence. */
static void report_end(img_trust_report *out, const char *why_none) {
  static const img_trust_verdict order[] = {IMG_TRUST_VERIFIED, IMG_TRUST_OTHER_IMAGE, IMG_TRUST_UNKNOWN_KEY,
                                            IMG_TRUST_BAD_SIGNATURE, IMG_TRUST_MALFORMED_PAYLOAD};
  const img_sig_check *pick = NULL;
  for (size_t o = 0; pick == NULL && o < sizeof order / sizeof order[0]; o++) {
    for (size_t i = 0; pick == NULL && i < out->count; i++) {
      if (out->sigs[i].verdict == order[o]) pick = &out->sigs[i];
    }
  }
  if (pick == NULL) {
    out->verdict = IMG_TRUST_NO_SIGNATURE;
    snprintf(out->message, sizeof out->message, "%s@%s has no signature: %s", out->repository, out->digest,
             why_none != NULL ? why_none : "no cosign signature layer");
    return;
  }
  out->verdict = pick->verdict;
  if (pick->verdict == IMG_TRUST_VERIFIED) {
    snprintf(out->key, sizeof out->key, "%s", pick->key);
    snprintf(out->key_file, sizeof out->key_file, "%s", pick->key_file);
    snprintf(out->message, sizeof out->message, "%s@%s: %s", out->repository, out->digest, pick->message);
    return;
  }
  char more[96] = "";
  if (out->count > 1) snprintf(more, sizeof more, " (%zu signatures, none valid)", out->count);
  snprintf(out->message, sizeof out->message, "%s@%s has no valid signature: %s%s", out->repository, out->digest,
           pick->message, more);
}

static bool report_add(img_trust_report *out) {
  img_sig_check *grown = realloc(out->sigs, (out->count + 1) * sizeof *grown);
  if (grown == NULL) return false;
  out->sigs = grown;
  memset(&out->sigs[out->count], 0, sizeof out->sigs[out->count]);
  out->count++;
  return true;
}

void img_trust_verify_manifest(const img_trust_policy *p, const char *repo, const char *digest,
                               const img_sig_manifest *m, const char *const *payloads, const size_t *lens,
                               img_trust_report *out) {
  report_begin(out, repo, digest);
  for (size_t i = 0; i < m->count; i++) {
    if (!report_add(out)) break;
    img_sig_check *c = &out->sigs[out->count - 1];
    if (payloads[i] == NULL) {
      c->verdict = IMG_TRUST_MALFORMED_PAYLOAD;
      snprintf(c->message, sizeof c->message, "malformed payload: its blob could not be read");
    } else {
      img_trust_check_signature(p, repo, digest, payloads[i], lens[i],
                                m->layers[i].signature_present ? m->layers[i].signature : NULL, c);
      if (m->layers[i].signature_present && m->layers[i].signature[0] == '\0' && c->verdict == IMG_TRUST_BAD_SIGNATURE) {
        snprintf(c->message, sizeof c->message, "bad signature: the " IMG_SIG_ANNOTATION " annotation is too long");
      }
    }
    snprintf(c->payload_blob, sizeof c->payload_blob, "%s", m->layers[i].payload.digest);
  }
  report_end(out, m->ignored > 0 ? "its .sig manifest holds no cosign simplesigning layer" : NULL);
}

wctr_err img_trust_verify(const img_trust_policy *p, img_registry *r, const char *repo, const char *digest,
                          img_trust_report *out, wctr_errmsg *e) {
  char tag[IMG_SIG_TAG_MAX];
  img_sig_tag(digest, tag);
  char *body = NULL;
  size_t len = 0;
  char mt[128];
  char got[IMG_DIGEST_MAX];
  wctr_errmsg me;
  me.text[0] = '\0';
  wctr_err err = img_registry_manifest(r, tag, &body, &len, mt, got, &me);
  if (err == WCTR_ENOENT) {
    report_begin(out, repo, digest);
    char why[160];
    snprintf(why, sizeof why, "%s has no tag %s (sign it with cosign sign --key)", repo, tag);
    report_end(out, why);
    return WCTR_OK;
  }
  if (err != WCTR_OK) return wctr_fail(e, err, "the signatures of %s cannot be fetched: %s", repo, me.text);
  img_sig_manifest m;
  err = img_sig_manifest_parse(body, len, &m, &me);
  free(body);
  if (err != WCTR_OK) {
    report_begin(out, repo, digest);
    if (report_add(out)) {
      out->sigs[0].verdict = IMG_TRUST_BAD_SIGNATURE;
      snprintf(out->sigs[0].message, sizeof out->sigs[0].message, "bad signature: the tag %s is not a signature manifest: %s",
               tag, me.text);
    }
    report_end(out, NULL);
    return WCTR_OK;
  }
  char **payloads = calloc(m.count + 1, sizeof *payloads);
  size_t *lens = calloc(m.count + 1, sizeof *lens);
  if (payloads == NULL || lens == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; err == WCTR_OK && i < m.count; i++) {
    if (m.layers[i].payload.size > (int64_t)IMG_SIG_PAYLOAD_MAX) continue; /* malformed: never fetched */
    err = img_registry_blob_bytes(r, &m.layers[i].payload, IMG_SIG_PAYLOAD_MAX, &payloads[i], &lens[i], &me);
    if (err != WCTR_OK) err = wctr_fail(e, err, "the signature payload %s of %s cannot be fetched: %s", m.layers[i].payload.digest, repo, me.text);
  }
  if (err == WCTR_OK) img_trust_verify_manifest(p, repo, digest, &m, (const char *const *)payloads, lens, out);
  for (size_t i = 0; payloads != NULL && i < m.count; i++) free(payloads[i]);
  free(payloads);
  free(lens);
  img_sig_manifest_free(&m);
  return err;
}

cJSON *img_trust_report_json(const img_trust_report *r) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "Repository", r->repository);
  cJSON_AddStringToObject(o, "Digest", r->digest);
  cJSON_AddStringToObject(o, "SignatureTag", r->sig_tag);
  cJSON_AddStringToObject(o, "Verdict", img_trust_verdict_name(r->verdict));
  if (r->key[0] != '\0') {
    cJSON_AddStringToObject(o, "Key", r->key);
    cJSON_AddStringToObject(o, "KeyFile", r->key_file);
  }
  cJSON_AddStringToObject(o, "Message", r->message);
  cJSON *a = cJSON_AddArrayToObject(o, "Signatures");
  for (size_t i = 0; a != NULL && i < r->count; i++) {
    const img_sig_check *c = &r->sigs[i];
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "Payload", c->payload_blob);
    cJSON_AddStringToObject(s, "SignedDigest", c->signed_digest);
    cJSON_AddStringToObject(s, "Reference", c->reference);
    cJSON_AddStringToObject(s, "Verdict", img_trust_verdict_name(c->verdict));
    cJSON_AddStringToObject(s, "Key", c->key);
    cJSON_AddStringToObject(s, "KeyFile", c->key_file);
    cJSON_AddStringToObject(s, "Message", c->message);
    cJSON_AddItemToArray(a, s);
  }
  return o;
}
