/* common/random_win.c - common/random.h with the C runtime's rand_s: RtlGenRandom, the system's generator
 * (the one BCryptGenRandom's system-preferred RNG draws from). Not bcrypt.dll itself: under Wine, loading it
 * starts a TLS library that costs an idle wctrd some 0.4 MB of commit (BENCHMARKS.md), and ids and pipe
 * names are needed long before any of bcrypt's ciphers. */
#define _CRT_RAND_S
#include <stdlib.h>
#include <string.h>

#include "common/random.h"

wctr_err wctr_random_bytes(void *out, size_t len) {
  unsigned char *p = out;
  while (len > 0) {
    unsigned int v = 0;
    if (rand_s(&v) != 0) return WCTR_ESYSTEM;
    size_t n = len < sizeof v ? len : sizeof v;
    memcpy(p, &v, n);
    p += n;
    len -= n;
  }
  return WCTR_OK;
}
