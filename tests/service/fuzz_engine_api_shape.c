/* tests/service/fuzz_engine_api_shape.c - libFuzzer harness for the Engine API's Docker shapes
 * (service/engine_api_internal.h, engine_api_shape.c): the input is any JSON, taken as a Docker create body, an
 * update body, a record, a list entry, an event (and its attributes), an image, a filter set, and (a string) a
 * Go duration or an until filter's time. Aborts (a finding) when a refused body says nothing, when an accepted one
 * maps to something that is not an object, when a shape of any input is not a JSON object that prints, or when the
 * list's text differs from the printed list entry. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "service/engine_api_internal.h"

static void check(int ok) {
  if (!ok) abort();
}

static void printable(cJSON *j) {
  check(cJSON_IsObject(j));
  char *text = cJSON_PrintUnformatted(j);
  check(text != NULL);
  cJSON_free(text);
  cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *in = cJSON_ParseWithLength((const char *)data, size);
  if (in == NULL) return 0;
  cJSON *params = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (api_shape_create(in, "/fuzz", &params, &e) == WCTR_OK) {
    check(cJSON_IsObject(params));
    check(strcmp(cJSON_GetObjectItemCaseSensitive(params, "Name")->valuestring, "fuzz") == 0);
    cJSON_Delete(params);
  } else {
    check(e.text[0] != '\0');
    check(params == NULL);
  }
  cJSON *update = cJSON_CreateObject();
  wctr_errmsg_clear(&e);
  if (api_shape_update(in, update, &e) != WCTR_OK) check(e.text[0] != '\0');
  cJSON_Delete(update);
  printable(api_shape_inspect(in));
  cJSON *entry = api_shape_summary(in, 1800000000);
  check(cJSON_IsObject(entry));
  /* The list's text is what printing the trees gives, for any input. */
  cJSON *arr = cJSON_CreateArray();
  check(arr != NULL && cJSON_AddItemToArray(arr, entry));
  char *want = wctr_json_print(arr);
  size_t len = 0;
  const cJSON *one = in;
  char *got = api_shape_summaries_text(&one, 1, 1800000000, &len);
  check(want != NULL && got != NULL && len == strlen(want) + 1 && memcmp(got, want, len - 1) == 0 && got[len - 1] == '\n');
  cJSON_free(want);
  free(got);
  cJSON_Delete(arr);
  printable(api_shape_event(in, in));
  printable(api_shape_image_inspect(in));
  printable(api_shape_image_summary(in));
  printable(api_shape_stats(in, 4, "2026-01-01T00:00:00.000000000Z", "2026-01-01T00:00:00.000000000Z"));
  char id[80];
  api_shape_image_id(in, id);
  check(strlen(id) == 71 && strncmp(id, "sha256:", 7) == 0);
  (void)api_shape_summary_matches(in, in);
  (void)api_shape_event_matches(in, in);
  (void)api_shape_labels_match(in, "label", in);
  if (cJSON_IsString(in)) {
    int64_t v = 0;
    (void)api_parse_go_duration(in->valuestring, &v);
    (void)api_parse_until(in->valuestring, 1800000000, &v);
  }
  cJSON_Delete(in);
  return 0;
}
