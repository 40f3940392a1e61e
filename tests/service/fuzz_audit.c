/* tests/service/fuzz_audit.c - libFuzzer harness of the audit record formatter (service/audit.h).
 *
 * A client's invalid UTF-8 went raw into audit.jsonl, which strict JSON readers then
 * refused. The input is split at NUL bytes into the record's fields (caller SID, caller name, op, target,
 * result, detail, and the params whose target svc_audit_target picks); whatever they hold, the line must be
 * one strict JSON object: well-formed UTF-8, no raw control character (so no line break), parsing back to
 * the keys of the format with each field that was UTF-8 unchanged, and a target cut between characters. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/utf8.h"
#include "service/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "fuzz_audit: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

enum { FIELDS = 7 };

static bool utf8(const char *s) { return wctr_utf8_valid(s, strlen(s)); }

/* The field back from the line equals what was given when that was UTF-8. */
static void check_field(const cJSON *o, const char *key, const char *given) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  CHECK(cJSON_IsString(v));
  CHECK(utf8(v->valuestring));
  if (utf8(given)) CHECK(strcmp(v->valuestring, given) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *copy = malloc(size + 1);
  CHECK(copy != NULL);
  memcpy(copy, data, size);
  copy[size] = '\0';
  const char *field[FIELDS];
  size_t n = 0;
  field[n++] = copy;
  for (size_t i = 0; i < size && n < FIELDS; i++) {
    if (copy[i] == '\0') field[n++] = copy + i + 1;
  }
  while (n < FIELDS) field[n++] = "";

  /* The target as the operation layer takes it: from the params a client sent. */
  char target[SVC_AUDIT_TARGET_MAX];
  cJSON *params = cJSON_CreateObject();
  CHECK(params != NULL);
  CHECK(cJSON_AddStringToObject(params, "Name", field[6]) != NULL);
  svc_audit_target(params, target);
  cJSON_Delete(params);
  size_t tn = strlen(target);
  CHECK(tn < SVC_AUDIT_TARGET_MAX);
  CHECK(strncmp(target, field[6], tn) == 0);
  if (utf8(field[6])) CHECK(utf8(target)); /* never cut inside a character */

  svc_audit_record r = {.time = "2026-11-22T15:40:01.123Z", .caller_sid = field[0], .caller_name = field[1],
                        .op = field[2], .target = field[3][0] != '\0' ? field[3] : target, .result = field[4],
                        .detail = field[5]};
  char *line = svc_audit_format(&r);
  CHECK(line != NULL);
  size_t len = strlen(line);
  CHECK(utf8(line));
  for (size_t i = 0; i < len; i++) CHECK((unsigned char)line[i] >= 0x20);
  const char *end = NULL;
  cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, false);
  CHECK(o != NULL && cJSON_IsObject(o));
  CHECK(end == line + len);
  check_field(o, "CallerSid", r.caller_sid);
  check_field(o, "CallerName", r.caller_name);
  check_field(o, "Op", r.op);
  check_field(o, "Target", r.target);
  check_field(o, "Result", r.result);
  if (r.detail[0] != '\0') check_field(o, "Detail", r.detail);
  CHECK(cJSON_GetArraySize(o) == (r.detail[0] != '\0' ? 7 : 6));
  /* `wctr audit --since` reads it back. */
  CHECK(svc_audit_line_since(line, len, "2026-11-22"));
  cJSON_Delete(o);
  cJSON_free(line);
  free(copy);
  return 0;
}
