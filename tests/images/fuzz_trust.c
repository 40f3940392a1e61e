/* tests/images/fuzz_trust.c - the image-trust parsers (images/trust.h): the first byte picks one - the
 * simplesigning payload, a DER signature, a PEM key, a .sig manifest, a whole signature check (payload and
 * annotation split at the first NUL) - the rest is its input, up to 1 MiB. Each either refuses with a message
 * or gives a result whose invariants hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "images/trust.h"

static char *nul_terminated(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL) return NULL;
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t which = data[0] % 5;
  const uint8_t *in = data + 1;
  size_t len = size - 1;
  char *text = nul_terminated(in, len);
  if (text == NULL) return 0;
  wctr_errmsg e;
  e.text[0] = '\0';
  switch (which) {
    case 0: {
      img_sig_payload p;
      if (img_sig_payload_parse(text, len, &p, &e) == WCTR_OK) {
        if (!img_digest_valid(p.digest)) abort();
      } else if (e.text[0] == '\0' || p.digest[0] != '\0') {
        abort();
      }
      break;
    }
    case 1: {
      uint8_t rs[64];
      if (img_sig_der_to_raw(in, len, rs, &e) == WCTR_OK) {
        bool zero_r = true, zero_s = true;
        for (int i = 0; i < 32; i++) zero_r = zero_r && rs[i] == 0, zero_s = zero_s && rs[32 + i] == 0;
        if (zero_r || zero_s || len > 72) abort();
      } else if (e.text[0] == '\0') {
        abort();
      }
      break;
    }
    case 2: {
      uint8_t *der = NULL;
      size_t n = 0;
      if (img_trust_pem_decode(text, len, "fuzz.pub", &der, &n, &e) == WCTR_OK) {
        if (der == NULL || n == 0) abort();
      } else if (der != NULL || e.text[0] == '\0') {
        abort();
      }
      free(der);
      break;
    }
    case 3: {
      img_sig_manifest m;
      if (img_sig_manifest_parse(text, len, &m, &e) == WCTR_OK) {
        if (m.count > IMG_SIG_MAX_LAYERS) abort();
        for (size_t i = 0; i < m.count; i++) {
          if (!img_digest_valid(m.layers[i].payload.digest)) abort();
        }
        img_sig_manifest_free(&m);
      } else if (e.text[0] == '\0' || m.layers != NULL) {
        abort();
      }
      break;
    }
    default: {
      /* a signature check against a policy without keys: never verified */
      size_t plen = strnlen(text, len);
      const char *sig = plen < len ? text + plen + 1 : NULL;
      img_sig_check c;
      img_trust_check_signature(NULL, "127.0.0.1:5000/app", "sha256:4b7ca1e6bf29d2bce9e02e1e1d8e35cfc3b8e0f3e1c4e55f1b0a4a4d2c9e8f10",
                                text, plen, sig, &c);
      if (c.verdict == IMG_TRUST_VERIFIED || c.verdict == IMG_TRUST_OTHER_IMAGE || c.message[0] == '\0') abort();
      break;
    }
  }
  free(text);
  return 0;
}
