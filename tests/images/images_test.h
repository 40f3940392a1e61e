/* tests/images/images_test.h - shared by the images suites. */
#ifndef WCTR_TESTS_IMAGES_TEST_H
#define WCTR_TESTS_IMAGES_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define FAILF(...)                          \
  do {                                      \
    char failf_buf_[768];                   \
    snprintf(failf_buf_, sizeof failf_buf_, __VA_ARGS__); \
    fail_msg("%s", failf_buf_);             \
  } while (0)

#endif
