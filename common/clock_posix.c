/* common/clock_posix.c - common/clock.h on POSIX. */
#include <errno.h>
#include <time.h>

#include "common/clock.h"

void wctr_sleep_ms(uint32_t ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
