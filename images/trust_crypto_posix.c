/* images/trust_crypto_posix.c - no system cryptography for image trust off Windows (contract: images/trust.h).
 * wctrd verifies with CryptoAPI and BCrypt (trust_crypto_win.c); the native lane's tests give the policy a
 * crypto of their own. */
#include "images/trust.h"

const img_trust_crypto *img_trust_system_crypto(void) { return NULL; }
