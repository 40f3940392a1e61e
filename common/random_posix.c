/* common/random_posix.c - common/random.h with getrandom(2). */
#include <errno.h>
#include <sys/random.h>

#include "common/random.h"

wctr_err wctr_random_bytes(void *out, size_t len) {
  unsigned char *p = out;
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return WCTR_ESYSTEM;
    p += n;
    len -= (size_t)n;
  }
  return WCTR_OK;
}
