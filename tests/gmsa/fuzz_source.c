/* tests/gmsa/fuzz_source.c - libFuzzer harness for gmsa/source.h.
 *
 * The input (up to its first NUL) is a credentialspec= value. Aborts when a failure leaves a value
 * behind or says nothing, or when a file:// value that passed is not in normal form: relative, '\'
 * separators only, no empty, "." or ".." component, no ':' or control character, and unchanged when
 * checked again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gmsa/source.h"

static void check(int ok) {
  if (!ok) abort();
}

static void check_normal_path(const char *path) {
  check(path[0] != '\0' && path[0] != '\\');
  check(strchr(path, '/') == NULL && strchr(path, ':') == NULL);
  const char *p = path;
  for (;;) {
    const char *end = strchr(p, '\\');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    check(len > 0);
    check(!(len == 1 && p[0] == '.'));
    check(!(len == 2 && p[0] == '.' && p[1] == '.'));
    check(p[len - 1] != '.' && p[len - 1] != ' ');
    if (end == NULL) break;
    p = end + 1;
  }
  for (p = path; *p != '\0'; p++) check((unsigned char)*p >= 0x20 && *p != 0x7F);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *option = malloc(size + 1);
  if (option == NULL) return 0;
  memcpy(option, data, size);
  option[size] = '\0';

  gmsa_source src;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = gmsa_source_parse(option, "C:\\ProgramData\\wctr\\credentialspecs", &src, &e);
  if (err != WCTR_OK) {
    check(src.value == NULL && src.kind == 0);
    check(e.code == err && e.text[0] != '\0');
  } else {
    check(src.value != NULL && src.value[0] != '\0');
    if (src.kind == GMSA_SOURCE_FILE) {
      check_normal_path(src.value);
      gmsa_source again;
      check(gmsa_source_make(GMSA_SOURCE_FILE, src.value, NULL, &again, &e) == WCTR_OK);
      check(strcmp(again.value, src.value) == 0);
      gmsa_source_free(&again);
    }
    gmsa_source_free(&src);
  }
  free(option);
  return 0;
}
