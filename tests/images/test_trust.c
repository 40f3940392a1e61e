/* tests/images/test_trust.c - image trust (images/trust.h): the simplesigning payload, DER signatures, PEM
 * keys, the policy (prefixes, keys, strictness), each verdict with its own message, and pulls under the
 * "signed" policy from the in-memory registry (fake_registry.h): a signed image pulled with its key recorded,
 * and every refusal (unsigned, unknown key, another image's signature, a corrupted signature, a payload
 * edited after signing) leaving nothing in the store.
 *
 * Two cryptographies. The decisions run over a test double of the crypto seam (a "signature" is a keyed
 * hash of the key's fingerprint and the payload, in DER), which says exactly which key made what; the real
 * one, Windows' CryptoAPI + BCrypt (images/trust_crypto_win.c), is checked under Wine against signatures
 * made by openssl (trust_vectors.h) and, end to end, by tests/e2e/image_trust.sh. */
#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/fs.h"
#include "common/ioc.h"
#include "fake_registry.h"
#include "images/import.h"
#include "images/pull.h"
#include "images/store.h"
#include "images/trust.h"
#include "images_test.h"
#include "pull_fixture.h"
#include "trust_double.h"
#include "trust_vectors.h"

static const char *fingerprint_of(const char *pem) {
  static char fp[IMG_DIGEST_MAX];
  uint8_t *der = NULL;
  size_t n = 0;
  assert_int_equal(img_trust_pem_decode(pem, strlen(pem), "test", &der, &n, NULL), WCTR_OK);
  img_digest_of(der, n, fp);
  free(der);
  return fp;
}

/* --- the format -------------------------------------------------------------------------------------------- */

static void test_payload(void **state) {
  (void)state;
  img_sig_payload p;
  wctr_errmsg e;
  assert_int_equal(img_sig_payload_parse(K1_PAYLOAD, strlen(K1_PAYLOAD), &p, &e), WCTR_OK);
  assert_string_equal(p.digest, K1_PAYLOAD_DIGEST);
  assert_string_equal(p.reference, "127.0.0.1:5000/app");
  static const char optional_obj[] = "{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-manifest-"
                                     "digest\":\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},"
                                     "\"type\":\"cosign container image signature\"},\"optional\":{\"creator\":\"me\"}}";
  assert_int_equal(img_sig_payload_parse(optional_obj, strlen(optional_obj), &p, &e), WCTR_OK);
  static const struct {
    const char *text, *says;
  } bad[] = {
      {"", "bytes"},
      {"[]", "not a JSON object"},
      {"{\"optional\":null}", "\"critical\""},
      {"{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-manifest-digest\":\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},\"type\":\"other\"}}", "\"type\""},
      {"{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-manifest-digest\":\"md5:00\"},\"type\":\"cosign container image signature\"}}", "not a digest"},
      {"{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-manifest-digest\":\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},\"type\":\"cosign container image signature\",\"extra\":1}}", "extra"},
      {"{\"critical\":{\"image\":{\"docker-manifest-digest\":\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},\"type\":\"cosign container image signature\"}}", "\"identity\""},
      {"{\"critical\":{\"identity\":{\"docker-reference\":7},\"image\":{\"docker-manifest-digest\":\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},\"type\":\"cosign container image signature\"}}", "docker-reference"},
      {"{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":{\"docker-manifest-digest\":\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},\"type\":\"cosign container image signature\"},\"optional\":3}", "\"optional\""},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    e.text[0] = '\0';
    if (img_sig_payload_parse(bad[i].text, strlen(bad[i].text), &p, &e) != WCTR_EINVAL) FAILF("accepted: %s", bad[i].text);
    if (strstr(e.text, bad[i].says) == NULL) FAILF("%s: message \"%s\" lacks %s", bad[i].text, e.text, bad[i].says);
    assert_string_equal(p.digest, "");
  }
  char tag[IMG_SIG_TAG_MAX];
  img_sig_tag(K1_PAYLOAD_DIGEST, tag);
  assert_string_equal(tag, "sha256-4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10.sig");
}

static void test_der(void **state) {
  (void)state;
  uint8_t *der = NULL;
  size_t n = 0;
  assert_int_equal(wctr_base64_decode(K1_SIG, strlen(K1_SIG), &der, &n, "sig", NULL), WCTR_OK);
  uint8_t rs[64];
  wctr_errmsg e;
  assert_int_equal(img_sig_der_to_raw(der, n, rs, &e), WCTR_OK);
  /* r is 32 bytes as is; s had a 0x00 before its high bit (openssl asn1parse shows both) */
  assert_int_equal(rs[0], 0x70);
  assert_int_equal(rs[31], 0xf5);
  assert_int_equal(rs[32], 0xa3);
  assert_int_equal(rs[63], 0xdc);
  /* trailing byte, short, wrong outer length */
  uint8_t buf[80];
  memcpy(buf, der, n);
  buf[n] = 0;
  assert_int_equal(img_sig_der_to_raw(buf, n + 1, rs, &e), WCTR_EINVAL);
  assert_int_equal(img_sig_der_to_raw(der, n - 1, rs, &e), WCTR_EINVAL);
  free(der);
  static const struct {
    uint8_t bytes[16];
    size_t len;
    const char *says;
  } bad[] = {
      {{0x31, 6, 2, 1, 1, 2, 1, 1}, 8, "SEQUENCE"},
      {{0x30, 6, 2, 1, 0, 2, 1, 1}, 8, "zero"},
      {{0x30, 6, 2, 1, 0x80, 2, 1, 1}, 8, "negative"},
      {{0x30, 7, 2, 2, 0, 1, 2, 1, 1}, 9, "minimal"},
      {{0x30, 6, 4, 1, 1, 2, 1, 1}, 8, "INTEGER"},
      {{0x30, 6, 2, 1, 1, 2, 5, 1}, 8, "length"},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    e.text[0] = '\0';
    assert_int_equal(img_sig_der_to_raw(bad[i].bytes, bad[i].len, rs, &e), WCTR_EINVAL);
    if (strstr(e.text, bad[i].says) == NULL) FAILF("case %zu: \"%s\" lacks %s", i, e.text, bad[i].says);
  }
  /* r equal to the curve's order: refused */
  uint8_t at_n[70] = {0x30, 68, 0x02, 32, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                      0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
  /* 0xff at the top needs a 0x00: build r = n as 33 bytes */
  uint8_t r_n[71] = {0x30, 69, 0x02, 33, 0x00};
  memcpy(r_n + 5, at_n + 4, 32);
  r_n[37] = 0x02;
  r_n[38] = 32;
  memset(r_n + 39, 0x11, 32);
  e.text[0] = '\0';
  assert_int_equal(img_sig_der_to_raw(r_n, sizeof r_n, rs, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "order"));
}

static void test_pem(void **state) {
  (void)state;
  uint8_t *der = NULL;
  size_t n = 0;
  wctr_errmsg e;
  assert_int_equal(img_trust_pem_decode(K1_PEM, strlen(K1_PEM), "k1", &der, &n, &e), WCTR_OK);
  assert_int_equal(n, 91); /* SPKI of a P-256 key */
  char fp[IMG_DIGEST_MAX];
  img_digest_of(der, n, fp);
  assert_string_equal(fp, K1_FP);
  free(der);
  /* text around the block is ignored, as openssl ignores it */
  char around[600];
  snprintf(around, sizeof around, "a comment\r\n%s\r\ntrailer", K1_PEM);
  assert_int_equal(img_trust_pem_decode(around, strlen(around), "k1", &der, &n, &e), WCTR_OK);
  free(der);
  static const char *const bad[] = {"", "-----BEGIN PUBLIC KEY-----\nAAAA", "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
                                    "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
                                    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"};
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    e.text[0] = '\0';
    assert_int_equal(img_trust_pem_decode(bad[i], strlen(bad[i]), "keyfile.pub", &der, &n, &e), WCTR_EINVAL);
    assert_null(der);
    assert_non_null(strstr(e.text, "keyfile.pub"));
  }
}

static void test_sig_manifest(void **state) {
  (void)state;
  static const char m[] =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
      "\"application/vnd.oci.image.config.v1+json\",\"size\":2,\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\"},"
      "\"layers\":[{\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"size\":250,\"digest\":"
      "\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\",\"annotations\":{"
      "\"dev.cosignproject.cosign/signature\":\"MEUC\"}},{\"mediaType\":\"text/plain\",\"size\":1,\"digest\":"
      "\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"},{\"mediaType\":"
      "\"application/vnd.dev.cosign.simplesigning.v1+json\",\"size\":10,\"digest\":"
      "\"sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10\"}]}";
  img_sig_manifest sm;
  wctr_errmsg e;
  assert_int_equal(img_sig_manifest_parse(m, strlen(m), &sm, &e), WCTR_OK);
  assert_int_equal(sm.count, 2);
  assert_int_equal(sm.ignored, 1);
  assert_true(sm.layers[0].signature_present);
  assert_string_equal(sm.layers[0].signature, "MEUC");
  assert_int_equal(sm.layers[0].payload.size, 250);
  assert_false(sm.layers[1].signature_present);
  img_sig_manifest_free(&sm);
  static const char bad_digest[] = "{\"layers\":[{\"mediaType\":\"application/vnd.dev.cosign."
                                   "simplesigning.v1+json\",\"digest\":\"md5:1\",\"size\":1}]}";
  static const char *const bad[] = {"{}", "[]", "{\"layers\":[1]}", bad_digest};
  for (size_t i = 0; i < COUNT_OF(bad); i++) assert_int_equal(img_sig_manifest_parse(bad[i], strlen(bad[i]), &sm, &e), WCTR_EINVAL);
}

/* --- the policy ------------------------------------------------------------------------------------------- */

typedef struct keys_env {
  char dir[600];
  char k1[700], k2[700];
} keys_env;

static void write_keys(keys_env *k) {
  pull_fixture_temp_dir("wctr-trust", k->dir, sizeof k->dir);
  snprintf(k->k1, sizeof k->k1, "%s%sk1.pub", k->dir, WCTR_FS_SEP);
  snprintf(k->k2, sizeof k->k2, "%s%sk2.pub", k->dir, WCTR_FS_SEP);
  assert_int_equal(wctr_fs_write_atomic(k->k1, K1_PEM, strlen(K1_PEM), NULL), WCTR_OK);
  assert_int_equal(wctr_fs_write_atomic(k->k2, K2_PEM, strlen(K2_PEM), NULL), WCTR_OK);
}

/* A policy from JSON text where $K1 and $K2 stand for the key files (JSON-escaped). */
static wctr_err policy_from(const keys_env *k, const char *text, const img_trust_crypto *c, img_trust_policy **out,
                            wctr_errmsg *e) {
  char esc1[1400], esc2[1400], buf[4096];
  size_t a = 0, b = 0;
  for (const char *s = k->k1; *s; s++) {
    if (*s == '\\') esc1[a++] = '\\';
    esc1[a++] = *s;
  }
  esc1[a] = '\0';
  for (const char *s = k->k2; *s; s++) {
    if (*s == '\\') esc2[b++] = '\\';
    esc2[b++] = *s;
  }
  esc2[b] = '\0';
  size_t n = 0;
  for (const char *s = text; *s && n < sizeof buf - 1400;) {
    if (strncmp(s, "$K1", 3) == 0 || strncmp(s, "$K2", 3) == 0) {
      n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", s[2] == '1' ? esc1 : esc2);
      s += 3;
    } else {
      buf[n++] = *s++;
    }
  }
  buf[n] = '\0';
  cJSON *j = cJSON_Parse(buf);
  if (j == NULL) FAILF("bad test JSON %s", buf);
  *out = NULL;
  wctr_err err = img_trust_policy_parse(j, "wctrd.json: \"image-trust\"", out, e);
  cJSON_Delete(j);
  if (err == WCTR_OK && c != NULL) {
    err = img_trust_policy_load_keys(*out, c, e);
    if (err != WCTR_OK) {
      img_trust_policy_free(*out);
      *out = NULL;
    }
  }
  return err;
}

static void test_policy(void **state) {
  (void)state;
  keys_env k;
  write_keys(&k);
  img_trust_policy *p = NULL;
  wctr_errmsg e;
  /* default: off everywhere */
  assert_int_equal(img_trust_policy_parse(NULL, "x", &p, &e), WCTR_OK);
  assert_int_equal(img_trust_mode_for(p, "docker.io/library/x", NULL), IMG_TRUST_OFF);
  assert_false(img_trust_any_signed(p));
  assert_int_equal(img_trust_policy_load_keys(p, NULL, &e), WCTR_OK); /* no key: no crypto needed */
  img_trust_policy_free(p);
  assert_int_equal(img_trust_mode_for(NULL, "x", NULL), IMG_TRUST_OFF);
  /* prefixes: longest at a "/" boundary wins; a prefix without keys trusts the top level's */
  assert_int_equal(policy_from(&k, "{\"policy\":\"signed\",\"keys\":[\"$K1\"],\"repositories\":{\"127.0.0.1:5000\":"
                                   "{\"policy\":\"off\"},\"127.0.0.1:5000/team\":{\"policy\":\"signed\",\"keys\":[\"$K2\"]},"
                                   "\"docker.io/library\":{\"policy\":\"signed\"}}}", &double_crypto, &p, &e), WCTR_OK);
  const char *prefix = NULL;
  assert_int_equal(img_trust_mode_for(p, "mcr.microsoft.com/windows/nanoserver", &prefix), IMG_TRUST_SIGNED);
  assert_string_equal(prefix, "");
  assert_int_equal(img_trust_mode_for(p, "127.0.0.1:5000/app", &prefix), IMG_TRUST_OFF);
  assert_string_equal(prefix, "127.0.0.1:5000");
  assert_int_equal(img_trust_mode_for(p, "127.0.0.1:5000/team/app", &prefix), IMG_TRUST_SIGNED);
  assert_string_equal(prefix, "127.0.0.1:5000/team");
  assert_int_equal(img_trust_mode_for(p, "127.0.0.1:5000/teamx/app", &prefix), IMG_TRUST_OFF);
  assert_string_equal(prefix, "127.0.0.1:5000");
  const char *file = NULL;
  assert_true(img_trust_key_trusted(p, "docker.io/library/x", K1_FP, &file));
  assert_string_equal(file, k.k1);
  assert_false(img_trust_key_trusted(p, "127.0.0.1:5000/team/app", K1_FP, NULL));
  assert_true(img_trust_key_trusted(p, "127.0.0.1:5000/team/app", fingerprint_of(K2_PEM), NULL));
  cJSON *j = img_trust_policy_json(p);
  char *text = cJSON_PrintUnformatted(j);
  assert_non_null(strstr(text, "\"Policy\":\"signed\""));
  assert_non_null(strstr(text, K1_FP));
  assert_non_null(strstr(text, "\"127.0.0.1:5000/team\":{\"Policy\":\"signed\""));
  cJSON_free(text);
  cJSON_Delete(j);
  img_trust_policy_free(p);
  /* refusals, each naming the field */
  static const struct {
    const char *json, *says;
  } bad[] = {
      {"{\"policy\":\"signed\"}", "lists no public key"},
      {"{\"policy\":\"on\",\"keys\":[\"$K1\"]}", "\"signed\" or \"off\""},
      {"{\"polcy\":\"signed\"}", "polcy"},
      {"{\"keys\":\"$K1\"}", "keys"},
      {"{\"keys\":[\"\"]}", "empty"},
      {"{\"keys\":[\"$K1\",\"$K1\"]}", "twice"},
      {"{\"repositories\":{\"app\":{\"policy\":\"off\"}}}", "not a registry or repository prefix"},
      {"{\"repositories\":{\"Reg.io\":{\"policy\":\"off\"}}}", "not a registry"},
      {"{\"repositories\":{\"reg.io/\":{\"policy\":\"off\"}}}", "not a registry"},
      {"{\"repositories\":{\"reg.io\":{}}}", "\"policy\" is required"},
      {"{\"repositories\":{\"reg.io\":{\"policy\":\"signed\"}}}", "no public key"},
      {"{\"repositories\":{\"reg.io\":{\"policy\":\"off\",\"x\":1}}}", "\"x\""},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    e.text[0] = '\0';
    if (policy_from(&k, bad[i].json, NULL, &p, &e) != WCTR_EINVAL) FAILF("accepted %s", bad[i].json);
    if (strstr(e.text, bad[i].says) == NULL || strstr(e.text, "image-trust") == NULL) FAILF("%s: \"%s\"", bad[i].json, e.text);
  }
  /* keys that cannot be read or imported stop the load, naming the file */
  assert_int_equal(policy_from(&k, "{\"policy\":\"signed\",\"keys\":[\"/nonexistent/cosign.pub\"]}", &double_crypto, &p, &e),
                   WCTR_ENOENT);
  assert_non_null(strstr(e.text, "/nonexistent/cosign.pub"));
  assert_int_equal(wctr_fs_write_atomic(k.k2, "not a key", 9, NULL), WCTR_OK);
  assert_int_equal(policy_from(&k, "{\"policy\":\"signed\",\"keys\":[\"$K2\"]}", &double_crypto, &p, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, k.k2));
  /* without crypto, keys cannot be loaded (the native build has none of its own) */
  assert_int_equal(policy_from(&k, "{\"policy\":\"signed\",\"keys\":[\"$K1\"]}", NULL, &p, &e), WCTR_OK);
  assert_int_equal(img_trust_policy_load_keys(p, NULL, &e), WCTR_ENOTSUP);
  img_trust_policy_free(p);
  wctr_fs_remove_tree(k.dir, NULL);
}

/* --- verdicts ----------------------------------------------------------------------------------------------- */

static void test_verdicts(void **state) {
  (void)state;
  keys_env k;
  write_keys(&k);
  img_trust_policy *p = NULL;
  wctr_errmsg e;
  assert_int_equal(policy_from(&k, "{\"policy\":\"signed\",\"keys\":[\"$K1\"],\"repositories\":{\"other.io\":"
                                   "{\"policy\":\"signed\",\"keys\":[\"$K2\"]}}}", &double_crypto, &p, &e), WCTR_OK);
  const char *k2fp = fingerprint_of(K2_PEM);
  char k2[IMG_DIGEST_MAX];
  snprintf(k2, sizeof k2, "%s", k2fp);
  const char *repo = "127.0.0.1:5000/app";
  const char *digest = K1_PAYLOAD_DIGEST;
  char *payload = payload_for(repo, digest);
  img_sig_check c;
  /* verified */
  char *sig = double_sign(K1_FP, payload);
  img_trust_check_signature(p, repo, digest, payload, strlen(payload), sig, &c);
  assert_int_equal(c.verdict, IMG_TRUST_VERIFIED);
  assert_string_equal(c.key, K1_FP);
  assert_string_equal(c.key_file, k.k1);
  assert_string_equal(c.signed_digest, digest);
  assert_non_null(strstr(c.message, "verified with key"));
  /* the same signature for another digest: other-image */
  const char *other = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  img_trust_check_signature(p, repo, other, payload, strlen(payload), sig, &c);
  assert_int_equal(c.verdict, IMG_TRUST_OTHER_IMAGE);
  assert_non_null(strstr(c.message, "other image"));
  assert_non_null(strstr(c.message, other));
  /* payload edited after signing: no trusted key verifies it */
  char *edited = payload_for("127.0.0.1:5000/evil", digest);
  img_trust_check_signature(p, repo, digest, edited, strlen(edited), sig, &c);
  assert_int_equal(c.verdict, IMG_TRUST_UNKNOWN_KEY);
  assert_non_null(strstr(c.message, "changed after signing"));
  assert_string_equal(c.key, "");
  free(sig);
  /* signed with K2, which the policy trusts for other.io only: named */
  sig = double_sign(k2, payload);
  img_trust_check_signature(p, repo, digest, payload, strlen(payload), sig, &c);
  assert_int_equal(c.verdict, IMG_TRUST_UNKNOWN_KEY);
  assert_non_null(strstr(c.message, k2));
  assert_non_null(strstr(c.message, "not trusted for 127.0.0.1:5000/app"));
  /* ... and verified where K2 is trusted */
  img_trust_check_signature(p, "other.io/app", digest, payload, strlen(payload), sig, &c);
  assert_int_equal(c.verdict, IMG_TRUST_VERIFIED);
  free(sig);
  /* a key the host knows nowhere */
  sig = double_sign("sha256:2222222222222222222222222222222222222222222222222222222222222222", payload);
  img_trust_check_signature(p, repo, digest, payload, strlen(payload), sig, &c);
  assert_int_equal(c.verdict, IMG_TRUST_UNKNOWN_KEY);
  assert_non_null(strstr(c.message, "unknown key"));
  free(sig);
  /* bad signatures: absent, not base64, not DER */
  img_trust_check_signature(p, repo, digest, payload, strlen(payload), NULL, &c);
  assert_int_equal(c.verdict, IMG_TRUST_BAD_SIGNATURE);
  assert_non_null(strstr(c.message, "no dev.cosignproject.cosign/signature annotation"));
  img_trust_check_signature(p, repo, digest, payload, strlen(payload), "@@@@", &c);
  assert_int_equal(c.verdict, IMG_TRUST_BAD_SIGNATURE);
  img_trust_check_signature(p, repo, digest, payload, strlen(payload), "AAAAAAAA", &c);
  assert_int_equal(c.verdict, IMG_TRUST_BAD_SIGNATURE);
  assert_non_null(strstr(c.message, "DER"));
  /* malformed payload */
  img_trust_check_signature(p, repo, digest, "{\"critical\":{}}", 15, "AAAA", &c);
  assert_int_equal(c.verdict, IMG_TRUST_MALFORMED_PAYLOAD);
  assert_non_null(strstr(c.message, "malformed payload"));
  /* the image's verdict over several signatures: one valid is enough; otherwise the order of the contract */
  img_sig_manifest m;
  memset(&m, 0, sizeof m);
  img_sig_layer layers[3];
  memset(layers, 0, sizeof layers);
  m.layers = layers;
  m.count = 3;
  char *good = double_sign(K1_FP, payload);
  snprintf(layers[0].signature, sizeof layers[0].signature, "%s", "AAAA");
  layers[0].signature_present = true;
  snprintf(layers[1].signature, sizeof layers[1].signature, "%s", good);
  layers[1].signature_present = true;
  const char *payloads[3] = {payload, edited, payload};
  size_t lens[3] = {strlen(payload), strlen(edited), strlen(payload)};
  img_trust_report r;
  img_trust_verify_manifest(p, repo, digest, &m, payloads, lens, &r);
  assert_int_equal(r.verdict, IMG_TRUST_UNKNOWN_KEY); /* bad, unknown (edited), bad (absent) */
  assert_non_null(strstr(r.message, "3 signatures, none valid"));
  img_trust_report_free(&r);
  payloads[1] = payload;
  lens[1] = strlen(payload);
  img_trust_verify_manifest(p, repo, digest, &m, payloads, lens, &r);
  assert_int_equal(r.verdict, IMG_TRUST_VERIFIED);
  assert_string_equal(r.key, K1_FP);
  cJSON *j = img_trust_report_json(&r);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "Verdict")->valuestring, "verified");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "Signatures")), 3);
  cJSON_Delete(j);
  img_trust_report_free(&r);
  m.count = 0;
  img_trust_verify_manifest(p, repo, digest, &m, payloads, lens, &r);
  assert_int_equal(r.verdict, IMG_TRUST_NO_SIGNATURE);
  assert_non_null(strstr(r.message, "has no signature"));
  img_trust_report_free(&r);
  free(good);
  free(edited);
  free(payload);
  img_trust_policy_free(p);
  wctr_fs_remove_tree(k.dir, NULL);
}

/* --- pulls under the policy ---------------------------------------------------------------------------------- */

typedef struct env {
  pull_fixture fx;
  keys_env keys;
  img_trust_policy *policy;
  wctr_err err;
  char message[1024];
  char decided[1024];
  int decisions;
} env;

static int setup(void **state) {
  env *v = calloc(1, sizeof *v);
  write_keys(&v->keys);
  pull_fixture_start(&v->fx, v->keys.dir);
  wctr_errmsg e;
  if (policy_from(&v->keys, "{\"policy\":\"signed\",\"keys\":[\"$K1\"]}", &double_crypto, &v->policy, &e) != WCTR_OK) {
    FAILF("%s", e.text);
  }
  *state = v;
  return 0;
}

static int teardown(void **state) {
  env *v = *state;
  pull_fixture_stop(&v->fx);
  img_trust_policy_free(v->policy);
  free(v);
  return 0;
}

static void on_done(void *ctx, wctr_err err, const char *message, cJSON *result) {
  env *v = ctx;
  wctr_mutex_lock(&v->fx.lock);
  v->err = err;
  snprintf(v->message, sizeof v->message, "%s", message);
  cJSON_Delete(result);
  v->fx.done = true;
  wctr_mutex_unlock(&v->fx.lock);
}

static void on_decided(void *ctx, const char *image, const img_trust_report *r, const char *error) {
  env *v = ctx;
  wctr_mutex_lock(&v->fx.lock);
  v->decisions++;
  snprintf(v->decided, sizeof v->decided, "%s %s %s", image, r != NULL ? img_trust_verdict_name(r->verdict) : "error",
           r != NULL ? r->key : error);
  wctr_mutex_unlock(&v->fx.lock);
}

static wctr_err pull(env *v, const char *ref) {
  v->fx.done = false;
  v->decisions = 0;
  v->decided[0] = '\0';
  img_pull_options o = {.ioc = v->fx.ioc, .store = v->fx.store, .transport = &v->fx.t, .host_os_version = HOST_OS,
                        .host_arch = "amd64", .ref = ref, .ctx = v, .done = on_done, .trust = v->policy,
                        .trust_decided = on_decided};
  img_pull *p = NULL;
  wctr_errmsg e;
  wctr_err err = img_pull_start(&o, &p, &e);
  if (err != WCTR_OK) return err;
  pull_fixture_wait(&v->fx, p);
  return v->err;
}

static size_t blobs(env *v) { return pull_fixture_entries(&v->fx, "blobs" WCTR_FS_SEP "sha256"); }

/* An image in repo:tag; returns its manifest digest (static inside the registry). */
static const char *push(env *v, const char *repo, const char *tag, const char *layer) {
  const char *const layers[] = {layer};
  char config[IMG_DIGEST_MAX], digests[1][IMG_DIGEST_MAX];
  return pull_fixture_push_image(&v->fx, repo, tag, layers, 1, config, digests);
}

/* Pushes a .sig manifest for digest in repo with one signature layer (payload, annotation; NULL: none). */
static void push_sig(env *v, const char *repo, const char *digest, const char *payload, const char *signature) {
  const char *pd = fake_registry_blob(v->fx.reg, payload, strlen(payload));
  char pdigest[IMG_DIGEST_MAX];
  snprintf(pdigest, sizeof pdigest, "%s", pd);
  const char *cd = fake_registry_blob(v->fx.reg, "{}", 2);
  char body[2048];
  char ann[700] = "";
  if (signature != NULL) snprintf(ann, sizeof ann, ",\"annotations\":{\"dev.cosignproject.cosign/signature\":\"%s\"}", signature);
  snprintf(body, sizeof body, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
           "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":2,\"digest\":\"%s\"},\"layers\":[{\"mediaType\":"
           "\"application/vnd.dev.cosign.simplesigning.v1+json\",\"size\":%zu,\"digest\":\"%s\"%s}]}", cd, strlen(payload),
           pdigest, ann);
  char tag[IMG_SIG_TAG_MAX];
  img_sig_tag(digest, tag);
  fake_registry_manifest(v->fx.reg, repo, tag, "application/vnd.oci.image.manifest.v1+json", body);
}

static void assert_nothing_kept(env *v, const char *ref) {
  img_record r;
  wctr_errmsg e;
  assert_int_equal(img_store_find(v->fx.store, ref, &r, NULL, 0, &e), WCTR_ENOENT);
  assert_int_equal(blobs(v), 0);
}

static void test_pull_signed(void **state) {
  env *v = *state;
  char d[IMG_DIGEST_MAX];
  snprintf(d, sizeof d, "%s", push(v, "app", "v1", "signed layer"));
  char *payload = payload_for("127.0.0.1:5000/app", d);
  char *sig = double_sign(K1_FP, payload);
  push_sig(v, "app", d, payload, sig);
  if (pull(v, "127.0.0.1:5000/app:v1") != WCTR_OK) FAILF("pull: %s", v->message);
  assert_int_equal(v->decisions, 1);
  assert_non_null(strstr(v->decided, "verified"));
  img_record r;
  wctr_errmsg e;
  assert_int_equal(img_store_find(v->fx.store, "127.0.0.1:5000/app:v1", &r, NULL, 0, &e), WCTR_OK);
  assert_string_equal(r.trust.key, K1_FP);
  assert_string_equal(r.trust.key_file, v->keys.k1);
  assert_string_equal(r.trust.digest, d);
  assert_string_equal(r.trust.repository, "127.0.0.1:5000/app");
  assert_true(strlen(r.trust.verified) >= 20);
  /* the record survives a reopen, and inspect shows it */
  img_record_free(&r);
  img_store_close(v->fx.store);
  img_store_options so = {.root = v->fx.store_dir, .importer = img_importer_test()};
  assert_int_equal(img_store_open(&so, &v->fx.store, &e), WCTR_OK);
  cJSON *j = NULL;
  assert_int_equal(img_store_inspect(v->fx.store, "127.0.0.1:5000/app:v1", &j, &e), WCTR_OK);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "Trust");
  assert_non_null(t);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "Key")->valuestring, K1_FP);
  cJSON_Delete(j);
  free(sig);
  free(payload);
}

static void test_pull_refusals(void **state) {
  env *v = *state;
  wctr_errmsg e;
  /* unsigned */
  char d[IMG_DIGEST_MAX];
  snprintf(d, sizeof d, "%s", push(v, "plain", "v1", "unsigned layer"));
  assert_int_equal(pull(v, "127.0.0.1:5000/plain:v1"), WCTR_EACCES);
  assert_non_null(strstr(v->message, "has no signature"));
  assert_non_null(strstr(v->message, "image-trust policy \"signed\""));
  assert_non_null(strstr(v->decided, "no-signature"));
  assert_nothing_kept(v, "127.0.0.1:5000/plain:v1");
  /* no layer was fetched: refused before the config and the layers */
  const char *const layer[] = {"unsigned layer"};
  char cfg[IMG_DIGEST_MAX], ld[1][IMG_DIGEST_MAX];
  free(fake_image(v->fx.reg, HOST_OS ".1", layer, 1, false, cfg, ld));
  assert_int_equal(fake_registry_requests(v->fx.reg, ld[0]), 0);
  /* signed with a key the host does not have */
  snprintf(d, sizeof d, "%s", push(v, "unknown", "v1", "layer u"));
  char *payload = payload_for("127.0.0.1:5000/unknown", d);
  char *sig = double_sign(fingerprint_of(K2_PEM), payload);
  push_sig(v, "unknown", d, payload, sig);
  assert_int_equal(pull(v, "127.0.0.1:5000/unknown:v1"), WCTR_EACCES);
  assert_non_null(strstr(v->message, "unknown key"));
  assert_nothing_kept(v, "127.0.0.1:5000/unknown:v1");
  free(sig);
  free(payload);
  /* a trusted signature of another image copied over */
  char d2[IMG_DIGEST_MAX];
  snprintf(d2, sizeof d2, "%s", push(v, "copy", "v1", "layer c"));
  payload = payload_for("127.0.0.1:5000/copy", "sha256:3333333333333333333333333333333333333333333333333333333333333333");
  sig = double_sign(K1_FP, payload);
  push_sig(v, "copy", d2, payload, sig);
  assert_int_equal(pull(v, "127.0.0.1:5000/copy:v1"), WCTR_EACCES);
  assert_non_null(strstr(v->message, "other image"));
  assert_nothing_kept(v, "127.0.0.1:5000/copy:v1");
  free(sig);
  free(payload);
  /* corrupted signature (not DER) */
  snprintf(d2, sizeof d2, "%s", push(v, "corrupt", "v1", "layer x"));
  payload = payload_for("127.0.0.1:5000/corrupt", d2);
  push_sig(v, "corrupt", d2, payload, "MEUCIQDhZmFrZQ==");
  assert_int_equal(pull(v, "127.0.0.1:5000/corrupt:v1"), WCTR_EACCES);
  assert_non_null(strstr(v->message, "bad signature"));
  assert_nothing_kept(v, "127.0.0.1:5000/corrupt:v1");
  free(payload);
  /* payload edited after signing (a trusted signature, another payload under it) */
  snprintf(d2, sizeof d2, "%s", push(v, "edited", "v1", "layer e"));
  payload = payload_for("127.0.0.1:5000/edited", d2);
  sig = double_sign(K1_FP, payload);
  char *edited = payload_for("127.0.0.1:5000/edited ", d2);
  push_sig(v, "edited", d2, edited, sig);
  assert_int_equal(pull(v, "127.0.0.1:5000/edited:v1"), WCTR_EACCES);
  assert_non_null(strstr(v->message, "changed after signing"));
  assert_nothing_kept(v, "127.0.0.1:5000/edited:v1");
  free(edited);
  free(sig);
  free(payload);
  /* malformed payload */
  snprintf(d2, sizeof d2, "%s", push(v, "malformed", "v1", "layer m"));
  push_sig(v, "malformed", d2, "{\"critical\":null}", "AAAA");
  assert_int_equal(pull(v, "127.0.0.1:5000/malformed:v1"), WCTR_EACCES);
  assert_non_null(strstr(v->message, "malformed payload"));
  assert_nothing_kept(v, "127.0.0.1:5000/malformed:v1");
  (void)e;
}

/* Pulled with the policy off: no trust recorded; pulled again under "signed": recorded. */
static void test_pull_off_then_signed(void **state) {
  env *v = *state;
  img_trust_policy *signed_policy = v->policy;
  v->policy = NULL;
  char d[IMG_DIGEST_MAX];
  snprintf(d, sizeof d, "%s", push(v, "late", "v1", "layer l"));
  if (pull(v, "127.0.0.1:5000/late:v1") != WCTR_OK) FAILF("%s", v->message);
  assert_int_equal(v->decisions, 0);
  img_record r;
  wctr_errmsg e;
  assert_int_equal(img_store_find(v->fx.store, "127.0.0.1:5000/late:v1", &r, NULL, 0, &e), WCTR_OK);
  assert_string_equal(r.trust.key, "");
  img_record_free(&r);
  v->policy = signed_policy;
  char *payload = payload_for("127.0.0.1:5000/late", d);
  char *sig = double_sign(K1_FP, payload);
  push_sig(v, "late", d, payload, sig);
  if (pull(v, "127.0.0.1:5000/late:v1") != WCTR_OK) FAILF("%s", v->message);
  assert_int_equal(img_store_find(v->fx.store, "127.0.0.1:5000/late:v1", &r, NULL, 0, &e), WCTR_OK);
  assert_string_equal(r.trust.key, K1_FP);
  img_record_free(&r);
  free(sig);
  free(payload);
}

/* --- Windows' own cryptography against openssl's signatures ------------------------------------------------ */

static void test_system_crypto(void **state) {
  (void)state;
  const img_trust_crypto *c = img_trust_system_crypto();
#ifndef _WIN32
  assert_null(c); /* the native build has none: wctrd's is Windows' */
#else
  assert_non_null(c);
  uint8_t *der = NULL;
  size_t n = 0;
  wctr_errmsg e;
  void *k1 = NULL, *k2 = NULL, *none = NULL;
  assert_int_equal(img_trust_pem_decode(K1_PEM, strlen(K1_PEM), "k1", &der, &n, &e), WCTR_OK);
  if (c->import_key(c->ctx, der, n, "k1", &k1, &e) != WCTR_OK) FAILF("import: %s", e.text);
  free(der);
  assert_int_equal(img_trust_pem_decode(K2_PEM, strlen(K2_PEM), "k2", &der, &n, &e), WCTR_OK);
  assert_int_equal(c->import_key(c->ctx, der, n, "k2", &k2, &e), WCTR_OK);
  free(der);
  uint8_t *sig = NULL;
  assert_int_equal(wctr_base64_decode(K1_SIG, strlen(K1_SIG), &sig, &n, "sig", &e), WCTR_OK);
  uint8_t rs[64];
  assert_int_equal(img_sig_der_to_raw(sig, n, rs, &e), WCTR_OK);
  free(sig);
  bool valid = false;
  if (c->verify(c->ctx, k1, K1_PAYLOAD, strlen(K1_PAYLOAD), rs, &valid, &e) != WCTR_OK) FAILF("verify: %s", e.text);
  assert_true(valid);
  assert_int_equal(c->verify(c->ctx, k2, K1_PAYLOAD, strlen(K1_PAYLOAD), rs, &valid, &e), WCTR_OK);
  assert_false(valid);
  char edited[sizeof K1_PAYLOAD];
  memcpy(edited, K1_PAYLOAD, sizeof K1_PAYLOAD);
  edited[40] ^= 1;
  assert_int_equal(c->verify(c->ctx, k1, edited, strlen(edited), rs, &valid, &e), WCTR_OK);
  assert_false(valid);
  rs[10] ^= 0x40;
  assert_int_equal(c->verify(c->ctx, k1, K1_PAYLOAD, strlen(K1_PAYLOAD), rs, &valid, &e), WCTR_OK);
  assert_false(valid);
  /* RSA and P-384 keys are refused by name */
  assert_int_equal(img_trust_pem_decode(RSA_PEM, strlen(RSA_PEM), "rsa", &der, &n, &e), WCTR_OK);
  e.text[0] = '\0';
  assert_int_equal(c->import_key(c->ctx, der, n, "rsa.pub", &none, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "not an ECDSA key"));
  free(der);
  assert_int_equal(img_trust_pem_decode(P384_PEM, strlen(P384_PEM), "p384", &der, &n, &e), WCTR_OK);
  e.text[0] = '\0';
  assert_int_equal(c->import_key(c->ctx, der, n, "p384.pub", &none, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "P-256"));
  free(der);
  uint8_t junk[20] = {0x30, 18};
  assert_int_equal(c->import_key(c->ctx, junk, sizeof junk, "junk.pub", &none, &e), WCTR_EINVAL);
  c->free_key(c->ctx, k1);
  c->free_key(c->ctx, k2);
  /* the whole path: a policy with the system crypto verifies openssl's signature */
  keys_env k;
  write_keys(&k);
  img_trust_policy *p = NULL;
  assert_int_equal(policy_from(&k, "{\"policy\":\"signed\",\"keys\":[\"$K1\"]}", c, &p, &e), WCTR_OK);
  img_sig_check chk;
  img_trust_check_signature(p, "127.0.0.1:5000/app", K1_PAYLOAD_DIGEST, K1_PAYLOAD, strlen(K1_PAYLOAD), K1_SIG, &chk);
  assert_int_equal(chk.verdict, IMG_TRUST_VERIFIED);
  assert_string_equal(chk.key, K1_FP);
  img_trust_policy_free(p);
  wctr_fs_remove_tree(k.dir, NULL);
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_payload),
      cmocka_unit_test(test_der),
      cmocka_unit_test(test_pem),
      cmocka_unit_test(test_sig_manifest),
      cmocka_unit_test(test_policy),
      cmocka_unit_test(test_verdicts),
      cmocka_unit_test_setup_teardown(test_pull_signed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pull_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pull_off_then_signed, setup, teardown),
      cmocka_unit_test(test_system_crypto),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
