/* tests/acl/fuzz_sddl.c - libFuzzer harness for the SDDL parser and formatter (acl/sd.h).
 *
 * For every input that parses: format it, parse the result again, and abort unless the second parse
 * gives the same descriptor (strict comparison: exact masks, AI/AR, every part) and formatting that
 * gives the same string again. Inputs that do not parse must fail cleanly with a printable message.
 * ASan/UBSan (native preset) catch memory and arithmetic faults on the way. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/sd.h"

static void check(int ok, const char *what, const char *detail) {
  if (ok) return;
  fprintf(stderr, "fuzz_sddl: %s: %s\n", what, detail);
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0'; /* the API takes C strings: an embedded NUL simply ends the input early */

  acl_sd first;
  acl_sd second;
  char *formatted = NULL;
  char *reformatted = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  acl_sd_init(&second);

  wctr_err err = acl_sddl_parse(text, &first, &e);
  if (err != WCTR_OK) {
    check(err == WCTR_EINVAL, "parse failed with a code other than invalid_argument", e.text);
    check(first.ace_count == 0 && first.aces == NULL, "failed parse left ACEs behind", e.text);
    for (const char *p = e.text; *p != '\0'; p++) {
      check((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f, "unprintable byte in message", e.text);
    }
    goto done;
  }
  err = acl_sddl_format(&first, &formatted, &e);
  check(err == WCTR_OK, "a parsed descriptor did not format", e.text);
  err = acl_sddl_parse(formatted, &second, &e);
  check(err == WCTR_OK, "the canonical form did not parse", e.text);
  check(acl_sd_matches(&first, &second, ACL_MATCH_STRICT, &e), "re-parse differs", e.text);
  check(first.ace_count == second.ace_count && first.dacl_bytes == second.dacl_bytes, "re-parse differs in size",
        formatted);
  for (size_t i = 0; i < first.ace_count; i++) {
    /* Parsed SIDs are canonical, so they compare as strings. */
    check(strcmp(first.aces[i].sid, second.aces[i].sid) == 0, "SID changed in the round trip", formatted);
  }
  err = acl_sddl_format(&second, &reformatted, &e);
  check(err == WCTR_OK, "the re-parsed descriptor did not format", e.text);
  check(strcmp(formatted, reformatted) == 0, "the canonical form is not a fixed point", formatted);

done:
  acl_sd_free(&first);
  acl_sd_free(&second);
  free(formatted);
  free(reformatted);
  free(text);
  return 0;
}
