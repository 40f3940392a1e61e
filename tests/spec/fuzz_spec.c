/* tests/spec/fuzz_spec.c - libFuzzer harness for spec_from_json: create params as any front-end sends them,
 * inputs up to 1 MiB (cmake/WctrTest.cmake).
 *
 * Findings (abort): a refusal without a message or with *out written; an accepted spec whose JSON form
 * (spec_to_json) is not read back to an equal spec (spec_from_json, then spec_to_json again compares
 * equal); a copy (spec_copy) that does not show the same JSON; a raw:// credential spec option shown
 * unredacted in the display form. */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "spec/spec.h"

static void check(bool ok) {
  if (!ok) abort();
}

/* raw:// in any case, as the scheme is matched. */
static bool is_raw(const char *option) {
  static const char raw[] = "raw://";
  for (size_t i = 0; i < sizeof raw - 1; i++) {
    char c = option[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != raw[i]) return false;
  }
  return true;
}

/* config and HostConfig as one params object. */
static cJSON *params_of(const spec_container *s, bool with_secrets) {
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  check(config != NULL && hc != NULL && spec_to_json(s, config, hc, with_secrets));
  check(cJSON_AddItemToObject(config, "HostConfig", hc));
  return config;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *params = cJSON_ParseWithLength((const char *)data, size);
  if (params == NULL) return 0;
  spec_container s;
  memset(&s, 0x5A, sizeof s);
  spec_container untouched = s;
  spec_warnings w = {0};
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = spec_from_json(params, "params", 4, &s, &w, &e);
  cJSON_Delete(params);
  check(w.count <= SPEC_WARNINGS_MAX);
  if (err != WCTR_OK) {
    check(e.text[0] != '\0' && e.code == err);
    check(memcmp(&s, &untouched, sizeof s) == 0);
    return 0;
  }

  /* The round trip: what the record file holds reads back to the same spec. */
  cJSON *first = params_of(&s, true);
  spec_container back;
  err = spec_from_json(first, "params", 4, &back, NULL, &e);
  check(err == WCTR_OK);
  cJSON *second = params_of(&back, true);
  check(cJSON_Compare(first, second, true));
  check(back.isolation == s.isolation && back.restart.name == s.restart.name &&
        back.restart.max_retries == s.restart.max_retries && back.labels.count == s.labels.count &&
        back.secret_count == s.secret_count && back.process.cmd_count == s.process.cmd_count &&
        memcmp(&back.resources, &s.resources, sizeof s.resources) == 0);

  /* A copy shows the same JSON once the original is gone. */
  spec_container copy;
  check(spec_copy(&s, &copy, &e) == WCTR_OK);
  spec_free(&s);
  cJSON *third = params_of(&copy, true);
  check(cJSON_Compare(first, third, true));

  /* The display form never shows a raw:// spec: the option is replaced whole. */
  if (copy.credspec_option != NULL && is_raw(copy.credspec_option)) {
    cJSON *shown = params_of(&copy, false);
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(shown, "HostConfig"), "SecurityOpt");
    check(cJSON_GetArraySize(opts) == 1);
    check(strcmp(cJSON_GetArrayItem(opts, 0)->valuestring, "credentialspec=raw://<redacted>") == 0);
    cJSON_Delete(shown);
  }
  cJSON_Delete(first);
  cJSON_Delete(second);
  cJSON_Delete(third);
  spec_free(&back);
  spec_free(&copy);
  return 0;
}
