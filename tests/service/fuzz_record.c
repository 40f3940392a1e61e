/* tests/service/fuzz_record.c - libFuzzer harness for the record load path (what is accepted must load
 * again): the text of <data-root>\containers\<id>\config.json as svc_store loads it
 * (svc_container_from_json over the parsed text, service/container.h).
 *
 * Aborts (a finding) when a refusal leaves nothing to say, or when a record that loads does not survive its
 * own life: written back the way the store writes it (svc_store_format) it must fit SVC_RECORD_MAX, load
 * again, and print the same the second time (a fixed point); every state change the manager may make must
 * leave it writable; inspect (svc_container_to_json) must print as UTF-8 JSON text. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/utf8.h"
#include "service/container.h"
#include "service/store.h"

static void check(int ok) {
  if (!ok) abort();
}

/* The record of c as the store writes it, loaded again into out. */
static char *round_trip(const svc_container *c, svc_container *out, size_t *len) {
  char *text = svc_store_format(c, len);
  check(text != NULL);
  check(*len <= SVC_RECORD_MAX);
  cJSON *json = cJSON_ParseWithLength(text, *len);
  check(json != NULL);
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  check(svc_container_from_json(json, out, &e) == WCTR_OK);
  cJSON_Delete(json);
  return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *json = cJSON_ParseWithLength((const char *)data, size);
  if (json == NULL) return 0;
  svc_container c;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = svc_container_from_json(json, &c, &e);
  cJSON_Delete(json);
  if (err != WCTR_OK) {
    check(e.text[0] != '\0');
    check(wctr_utf8_valid(e.text, strlen(e.text)));
    return 0;
  }
  size_t len1 = 0, len2 = 0;
  svc_container once, twice;
  char *first = round_trip(&c, &once, &len1);
  char *second = round_trip(&once, &twice, &len2);
  check(len1 == len2 && memcmp(first, second, len1) == 0);
  cJSON_free(first);
  cJSON_free(second);
  svc_container_free(&twice);
  /* Whatever state it was loaded in, the manager's changes keep it a record that loads. */
  static const svc_event events[] = {SVC_EVENT_START, SVC_EVENT_EXIT, SVC_EVENT_REMOVE};
  for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
    if (svc_container_transition(&once, events[i], &e) != WCTR_OK) continue;
    svc_container again;
    size_t n = 0;
    cJSON_free(round_trip(&once, &again, &n));
    svc_container_free(&again);
  }
  cJSON *inspect = svc_container_to_json(&c);
  char *shown = inspect != NULL ? wctr_json_print(inspect) : NULL;
  check(shown != NULL && wctr_utf8_valid(shown, strlen(shown)));
  cJSON_free(shown);
  cJSON_Delete(inspect);
  svc_container_free(&once);
  svc_container_free(&c);
  return 0;
}
