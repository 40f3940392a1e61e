/* common/random.h - random bytes from the system's generator (RtlGenRandom, through the C runtime's rand_s,
 * on Windows; getrandom natively): ids, tokens, entropy. Portable interface; random_win.c / random_posix.c. */
#ifndef WCTR_COMMON_RANDOM_H
#define WCTR_COMMON_RANDOM_H

#include <stddef.h>

#include "common/error.h"

/* WCTR_ESYSTEM when the generator fails (never a weaker fallback). */
wctr_err wctr_random_bytes(void *out, size_t len);

#endif
