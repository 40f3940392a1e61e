/* tests/images/trust_double.h - a test double of image trust's crypto seam (images/trust.h, img_trust_crypto):
 * a key is any DER (its fingerprint is what the double keeps); a "signature" by the key of fingerprint FP over a
 * payload is r = SHA-256("r|FP|payload"), s = SHA-256("s|FP|payload") (first bytes set to 1 and 2, so both lie in
 * [1, n-1]) in ASN.1 DER. It knows exactly which key signed what, so the tests of the decisions (verdicts,
 * policy, pulls, the run-time gate) run natively; Windows' real ECDSA is tested against openssl's signatures
 * (test_trust.c under Wine, tests/e2e/image_trust.sh). */
#ifndef WCTR_TESTS_IMAGES_TRUST_DOUBLE_H
#define WCTR_TESTS_IMAGES_TRUST_DOUBLE_H

#include "images/trust.h"

extern const img_trust_crypto double_crypto;
/* The annotation (base64 of DER) the double accepts for the key of fingerprint fp over payload; malloc'ed. */
char *double_sign(const char *fp, const char *payload);
/* A simplesigning payload for repo and digest; malloc'ed. */
char *payload_for(const char *repo, const char *digest);

#endif
