/* The bytes ioc_child emits and test_ioc_win checks: every value 0..255 occurs, NUL bytes often
 * (every 5th byte), and the sequence does not repeat with a small period. */
#ifndef WCTR_TESTS_IOC_CHILD_PATTERN_H
#define WCTR_TESTS_IOC_CHILD_PATTERN_H

#include <stddef.h>
#include <stdint.h>

static inline unsigned char ioc_child_pattern(size_t i) {
  if (i % 5 == 0) return 0;
  uint32_t x = (uint32_t)i * 2654435761u;
  x ^= x >> 15;
  return (unsigned char)(x >> 8);
}

#endif
