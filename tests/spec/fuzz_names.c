/* tests/spec/fuzz_names.c - libFuzzer harness of spec/names.h and spec_mount_parse: the
 * rules of names and paths from outside, with inputs up to 1 MiB.
 *
 * The input is taken as a path, a -v value, a file name and a credential spec name. Findings (abort):
 *   - a normal form that is not its own normal form, that holds a "." or ".." component, a doubled or
 *     trailing separator, a '/', or a component a later check refuses; is_root that does not match;
 *   - a mount accepted whose container path is a drive's root, overlaps the secrets mount point, or is not
 *     in normal form; whose host path is not in normal form;
 *   - a file name accepted that is a device name, holds a separator, ends in a dot or a space;
 *   - a credential spec name accepted that ends in .tmp in any case;
 *   - a refusal without a message, or an output written on refusal. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/names.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                        \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      fprintf(stderr, "fuzz_names: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                             \
    }                                                                                      \
  } while (0)

static bool ends_in_tmp(const char *s) {
  size_t n = strlen(s);
  if (n < 4) return false;
  const char *t = s + n - 4;
  return t[0] == '.' && (t[1] | 0x20) == 't' && (t[2] | 0x20) == 'm' && (t[3] | 0x20) == 'p';
}

/* A normal form: '\' only, no empty, "." or ".." component after the root, no trailing separator except
 * a drive's root "X:\". */
static void check_normal(const char *p) {
  size_t n = strlen(p);
  CHECK(n >= 3);
  CHECK(strchr(p, '/') == NULL);
  bool drive = p[1] == ':';
  bool root;
  if (drive) {
    CHECK(p[2] == '\\');
    root = n == 3;
  } else {
    CHECK(p[0] == '\\' && p[1] == '\\');
    CHECK(p[n - 1] != '\\');
    /* \\server\share is the root: one separator after the leading two. */
    const char *second = strchr(p + 2, '\\');
    CHECK(second != NULL);
    root = strchr(second + 1, '\\') == NULL;
  }
  const char *c = drive ? p + 3 : p + 2;
  while (*c != '\0') {
    const char *end = strchr(c, '\\');
    size_t len = end != NULL ? (size_t)(end - c) : strlen(c);
    CHECK(len > 0);
    CHECK(!(len == 1 && c[0] == '.'));
    CHECK(!(len == 2 && c[0] == '.' && c[1] == '.'));
    CHECK(c[len - 1] != '.' && c[len - 1] != ' ');
    CHECK(!spec_is_device_name(c, len));
    c = end != NULL ? end + 1 : c + len;
  }
  char *again = NULL;
  bool again_root = !root;
  wctr_errmsg e;
  CHECK(spec_path_normalize(p, "p", &again, &again_root, &e) == WCTR_OK);
  CHECK(strcmp(again, p) == 0);
  CHECK(again_root == root);
  free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  CHECK(s != NULL);
  memcpy(s, data, size);
  s[size] = '\0';
  wctr_errmsg e;

  char *normal = (char *)"untouched";
  bool root = false;
  wctr_errmsg_clear(&e);
  if (spec_path_normalize(s, "the path", &normal, &root, &e) == WCTR_OK) {
    check_normal(normal);
    char *copy = NULL;
    bool copy_root = false;
    CHECK(spec_path_normalize(normal, "p", &copy, &copy_root, &e) == WCTR_OK);
    CHECK(copy_root == root);
    free(copy);
    free(normal);
  } else {
    CHECK(normal == NULL);
    CHECK(e.text[0] != '\0');
  }

  spec_mount m;
  memset(&m, 0, sizeof m);
  wctr_errmsg_clear(&e);
  if (spec_mount_parse(s, &m, &e) == WCTR_OK) {
    /* A volume has no host path (the service's folder); a named one has a valid name. */
    CHECK((m.volume != NULL || m.anonymous) == (m.host_path == NULL));
    CHECK(!(m.volume != NULL && m.anonymous));
    if (m.volume != NULL) CHECK(spec_volume_check_name(m.volume, NULL) == WCTR_OK);
    if (!m.pipe) {
      if (m.host_path != NULL) check_normal(m.host_path);
      check_normal(m.container_path);
      CHECK(strlen(m.container_path) > 3); /* never a drive's root */
      CHECK(m.container_path[1] == ':');
      CHECK(!spec_path_within(m.container_path, SPEC_SECRETS_CONTAINER_PATH));
      CHECK(!spec_path_within(SPEC_SECRETS_CONTAINER_PATH, m.container_path));
    }
    spec_mount_free(&m);
  } else {
    CHECK(m.host_path == NULL && m.container_path == NULL);
    CHECK(e.text[0] != '\0');
  }

  wctr_errmsg_clear(&e);
  if (spec_file_name_check(s, SPEC_NAME_MAX, "name", "w", &e) == WCTR_OK) {
    size_t n = strlen(s);
    CHECK(n > 0 && n <= SPEC_NAME_MAX);
    CHECK(strpbrk(s, "\\/:*?\"<>|") == NULL);
    CHECK(s[n - 1] != '.' && s[n - 1] != ' ');
    CHECK(!spec_is_device_name(s, n));
  } else {
    CHECK(e.text[0] != '\0');
  }

  wctr_errmsg_clear(&e);
  if (spec_credspec_name_check(s, "w", &e) == WCTR_OK) {
    CHECK(!ends_in_tmp(s));
    CHECK(spec_file_name_check(s, SPEC_NAME_MAX, "name", "w", &e) == WCTR_OK);
  } else {
    CHECK(e.text[0] != '\0');
  }
  free(s);
  return 0;
}
