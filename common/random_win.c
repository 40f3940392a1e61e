/* common/random_win.c - common/random.h with BCryptGenRandom (the system-preferred RNG). */
#include <windows.h>

#include <bcrypt.h>

#include "common/random.h"

wctr_err wctr_random_bytes(void *out, size_t len) {
  unsigned char *p = out;
  while (len > 0) {
    ULONG n = len > 0x10000000u ? 0x10000000u : (ULONG)len;
    if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, p, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) return WCTR_ESYSTEM;
    p += n;
    len -= n;
  }
  return WCTR_OK;
}
