/* tests/hcs/hcs_test.h - helpers shared by the hcs suites: container specs from create params and exact
 * JSON comparison with a compact notation for expected documents. */
#ifndef WCTR_TESTS_HCS_TEST_H
#define WCTR_TESTS_HCS_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "spec/spec.h"
#include "testutil.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* fail_msg with our own snprintf, so %zu does not depend on the C runtime cmocka prints with. */
#define FAILF(...)                                \
  do {                                            \
    char failf_[4096];                            \
    snprintf(failf_, sizeof failf_, __VA_ARGS__); \
    fail_msg("%s", failf_);                       \
  } while (0)

#define HCS_TEST_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* A container spec from create params (the API's own reader), on a host with 4 CPUs. */
static inline void hcs_test_container(const char *params_json, spec_container *c) {
  cJSON *params = cJSON_Parse(params_json);
  assert_non_null(params);
  wctr_errmsg e;
  spec_warnings w = {0};
  wctr_err err = spec_from_json(params, "params", 4, c, &w, &e);
  cJSON_Delete(params);
  if (err != WCTR_OK) FAILF("params %s refused: %s", params_json, e.text);
}

/* Expected documents are written with ' for " and | for one backslash (JSON's \\), so that
 * "C:|layers|top" reads C:\layers\top. */
static inline cJSON *hcs_test_parse(const char *compact) {
  size_t n = strlen(compact);
  char *text = malloc(2 * n + 1);
  assert_non_null(text);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (compact[i] == '\'') {
      text[k++] = '"';
    } else if (compact[i] == '|') {
      text[k++] = '\\';
      text[k++] = '\\';
    } else {
      text[k++] = compact[i];
    }
  }
  text[k] = '\0';
  cJSON *doc = cJSON_Parse(text);
  if (doc == NULL) FAILF("expected document does not parse: %s", text);
  free(text);
  return doc;
}

/* Exact comparison: the same fields (no more, no fewer), the same values, arrays in order. */
static inline void hcs_test_expect_json(const cJSON *doc, const char *compact) {
  assert_non_null(doc);
  cJSON *want = hcs_test_parse(compact);
  if (!cJSON_Compare(doc, want, true)) {
    char *got_text = cJSON_PrintUnformatted(doc);
    char *want_text = cJSON_PrintUnformatted(want);
    char msg[4096];
    snprintf(msg, sizeof msg, "document differs\n got: %s\nwant: %s", got_text, want_text);
    free(got_text);
    free(want_text);
    cJSON_Delete(want);
    fail_msg("%s", msg);
  }
  cJSON_Delete(want);
}

#endif
