/* tests/service/fuzz_secrets.c - libFuzzer harness for the secret parsers that read outside input: the
 * create param "Secrets" (spec/spec.h), a stored secret record, base64 (common/base64.h) and
 * `wctr audit --since` (service/audit.h).
 *
 * Invariants: refs that parse have valid names and targets and survive a round trip through their JSON;
 * a record that parses formats back to text that parses to the same metadata; base64 that decodes encodes
 * back to the same text; every failure is invalid_argument with a message; --since gives wctr's time form. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "service/audit.h"
#include "service/secrets.h"

static void check(int ok, const char *what) {
  if (ok) return;
  fprintf(stderr, "fuzz_secrets: %s\n", what);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  wctr_errmsg e;

  cJSON *json = cJSON_ParseWithLength(text, size);
  if (json != NULL) {
    spec_secret_ref *refs = NULL;
    size_t n = 0;
    wctr_err err = spec_secret_refs_parse(json, "params", &refs, &n, &e);
    if (err == WCTR_OK) {
      for (size_t i = 0; i < n; i++) {
        check(spec_secret_check_name(refs[i].name, "x", &e) == WCTR_OK, "a parsed ref has a bad name");
        check(spec_secret_check_target(refs[i].target, "x", &e) == WCTR_OK, "a parsed ref has a bad target");
      }
      cJSON *back = spec_secret_refs_json(refs, n);
      spec_secret_ref *again = NULL;
      size_t m = 0;
      check(n == 0 || back != NULL, "refs do not format");
      if (back != NULL) {
        check(spec_secret_refs_parse(back, "params", &again, &m, &e) == WCTR_OK && m == n, "refs do not parse back");
        for (size_t i = 0; i < n; i++) {
          check(strcmp(again[i].name, refs[i].name) == 0 && strcmp(again[i].target, refs[i].target) == 0,
                "refs change in a round trip");
        }
      }
      free(again);
      cJSON_Delete(back);
      free(refs);
    } else {
      check(err == WCTR_EINVAL && e.text[0] != '\0' && refs == NULL, "a refused ref list");
    }
    cJSON_Delete(json);
  }

  svc_secret_meta meta;
  uint8_t *ent = NULL, *blob = NULL;
  size_t ent_len = 0, blob_len = 0;
  if (svc_secret_record_parse(text, size, "f", &meta, &ent, &ent_len, &blob, &blob_len, &e) == WCTR_OK) {
    char *eb = wctr_base64_encode(ent, ent_len);
    char *bb = wctr_base64_encode(blob, blob_len);
    char *rec = eb != NULL && bb != NULL ? svc_secret_record_format(&meta, eb, bb) : NULL;
    svc_secret_meta again;
    uint8_t *e2 = NULL, *b2 = NULL;
    size_t e2_len = 0, b2_len = 0;
    check(rec != NULL && svc_secret_record_parse(rec, strlen(rec), "f", &again, &e2, &e2_len, &b2, &b2_len, &e) == WCTR_OK,
          "a record does not parse back");
    check(strcmp(again.id, meta.id) == 0 && strcmp(again.name, meta.name) == 0 && again.size == meta.size &&
              e2_len == ent_len && b2_len == blob_len && memcmp(e2, ent, ent_len) == 0 && memcmp(b2, blob, blob_len) == 0,
          "a record changes in a round trip");
    free(e2);
    free(b2);
    cJSON_free(rec);
    free(eb);
    free(bb);
    free(ent);
    free(blob);
  } else {
    check(ent == NULL && blob == NULL, "a refused record left buffers");
  }

  uint8_t *decoded = NULL;
  size_t decoded_len = 0;
  if (wctr_base64_decode(text, size, &decoded, &decoded_len, "x", &e) == WCTR_OK) {
    char *encoded = wctr_base64_encode(decoded, decoded_len);
    check(encoded != NULL && strlen(encoded) == size && memcmp(encoded, text, size) == 0,
          "base64 that decodes does not encode back to itself");
    free(encoded);
    free(decoded);
  } else {
    check(decoded == NULL, "a refused base64 left a buffer");
  }

  char since[40];
  if (svc_audit_parse_since(text, "2026-11-22T15:40:01.123Z", since, &e) == WCTR_OK) {
    check(strlen(since) == 24 && since[10] == 'T' && since[23] == 'Z', "--since gives another form");
  }
  free(text);
  return 0;
}
