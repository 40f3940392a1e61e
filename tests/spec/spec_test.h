/* tests/spec/spec_test.h - small helpers shared by the spec suites. */
#ifndef WCTR_TESTS_SPEC_TEST_H
#define WCTR_TESTS_SPEC_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "spec/spec.h"
#include "testutil.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* fail_msg with the message formatted by our own snprintf (mingw's C99 one under the mingw preset), so
 * %zu and %lld do not depend on the C runtime the cmocka DLL prints with. */
#define FAILF(...)                                  \
  do {                                              \
    char failf_[4096];                              \
    snprintf(failf_, sizeof failf_, __VA_ARGS__);   \
    fail_msg("%s", failf_);                         \
  } while (0)

/* Written into outputs before a call that must fail, to see that a failure leaves them alone. */
#define UNTOUCHED ((int64_t)0x5A5A5A5A5A5A5A5ALL)

#endif
