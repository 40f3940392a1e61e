/* tests/compose/compose_test.c - the in-memory files and environment of the compose suites. */
#include "compose_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 64
#define MAX_VARS 64

static struct {
  char *path;
  char *data;
  size_t len;
  wctr_err error;
  int reads;
} files[MAX_FILES];
static size_t file_count;

static struct {
  char *name;
  char *value;
} vars[MAX_VARS];
static size_t var_count;

static compose_warnings warnings;

void ct_reset(void) {
  for (size_t i = 0; i < file_count; i++) {
    free(files[i].path);
    free(files[i].data);
  }
  memset(files, 0, sizeof files);
  file_count = 0;
  for (size_t i = 0; i < var_count; i++) {
    free(vars[i].name);
    free(vars[i].value);
  }
  memset(vars, 0, sizeof vars);
  var_count = 0;
  compose_warnings_free(&warnings);
}

static size_t slot(const char *path) {
  for (size_t i = 0; i < file_count; i++) {
    if (strcmp(files[i].path, path) == 0) return i;
  }
  assert_true(file_count < MAX_FILES);
  files[file_count].path = strdup(path);
  assert_non_null(files[file_count].path);
  return file_count++;
}

void ct_file_bytes(const char *path, const char *data, size_t len) {
  size_t i = slot(path);
  free(files[i].data);
  files[i].data = malloc(len + 1);
  assert_non_null(files[i].data);
  memcpy(files[i].data, data, len);
  files[i].len = len;
  files[i].error = WCTR_OK;
}

void ct_file(const char *path, const char *text) { ct_file_bytes(path, text, strlen(text)); }

void ct_file_error(const char *path, wctr_err code) {
  size_t i = slot(path);
  files[i].error = code;
}

int ct_reads(const char *path) {
  for (size_t i = 0; i < file_count; i++) {
    if (strcmp(files[i].path, path) == 0) return files[i].reads;
  }
  return 0;
}

void ct_env(const char *name, const char *value) {
  for (size_t i = 0; i < var_count; i++) {
    if (strcmp(vars[i].name, name) == 0) {
      free(vars[i].value);
      vars[i].value = value != NULL ? strdup(value) : NULL;
      return;
    }
  }
  assert_true(var_count < MAX_VARS);
  vars[var_count].name = strdup(name);
  vars[var_count].value = value != NULL ? strdup(value) : NULL;
  var_count++;
}

static wctr_err read_cb(void *ctx, const char *path, char **data, size_t *len, wctr_errmsg *e) {
  assert_ptr_equal(ctx, &files);
  for (size_t i = 0; i < file_count; i++) {
    if (strcmp(files[i].path, path) != 0) continue;
    files[i].reads++;
    if (files[i].error != WCTR_OK) return wctr_fail(e, files[i].error, "the test refused to read it");
    if (files[i].data == NULL) break;
    *data = malloc(files[i].len > 0 ? files[i].len : 1);
    assert_non_null(*data);
    memcpy(*data, files[i].data, files[i].len);
    *len = files[i].len;
    return WCTR_OK;
  }
  return wctr_fail(e, WCTR_ENOENT, "no such file");
}

static const char *env_cb(void *ctx, const char *name) {
  assert_ptr_equal(ctx, &files);
  for (size_t i = 0; i < var_count; i++) {
    if (strcmp(vars[i].name, name) == 0) return vars[i].value;
  }
  return NULL;
}

compose_options ct_options(const char *const *list, size_t count) {
  compose_options o;
  memset(&o, 0, sizeof o);
  o.files = list;
  o.file_count = count;
  o.working_dir = CT_DIR;
  o.credspec_dir = "C:\\ProgramData\\wctr\\credentialspecs";
  o.read_file = read_cb;
  o.lookup_env = env_cb;
  o.ctx = &files;
  return o;
}

compose_project *ct_load(const compose_options *opt) {
  compose_project *p = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = compose_load(opt, &p, &warnings, &e);
  if (err != WCTR_OK) fail_msg("compose_load failed: %s (%s)", e.text, wctr_err_name(err));
  assert_non_null(p);
  return p;
}

void ct_fail(const compose_options *opt, wctr_err code, const char *message) {
  compose_project *p = (compose_project *)1;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = compose_load(opt, &p, &warnings, &e);
  if (err != code || strcmp(e.text, message) != 0) {
    print_error("expected: %s %s\ngot:      %s %s\n", wctr_err_name(code), message, wctr_err_name(err), e.text);
  }
  assert_int_equal(err, code);
  assert_string_equal(e.text, message);
  assert_int_equal(e.code, code);
  assert_null(p);
}

const compose_warnings *ct_warnings(void) { return &warnings; }

int ct_warned(const char *text) {
  for (size_t i = 0; i < warnings.count; i++) {
    if (strcmp(warnings.text[i], text) == 0) return 1;
  }
  for (size_t i = 0; i < warnings.count; i++) print_message("warning: %s\n", warnings.text[i]);
  return 0;
}

static const char *const one_file[] = {"compose.yml"};

compose_project *ct_load_text(const char *text) {
  ct_file(CT_DIR "\\compose.yml", text);
  compose_options o = ct_options(one_file, 1);
  return ct_load(&o);
}

void ct_fail_text(const char *text, const char *message) {
  ct_file(CT_DIR "\\compose.yml", text);
  compose_options o = ct_options(one_file, 1);
  ct_fail(&o, WCTR_EINVAL, message);
}

void ct_expect_render(const compose_project *p, int json, const char *expected) {
  char *out = NULL;
  wctr_errmsg e;
  assert_int_equal(compose_render(p, json != 0, &out, &e), WCTR_OK);
  if (strcmp(out, expected) != 0) print_error("expected:\n%s\ngot:\n%s\n", expected, out);
  assert_string_equal(out, expected);
  /* The same model renders to the same text every time. */
  char *again = NULL;
  assert_int_equal(compose_render(p, json != 0, &again, &e), WCTR_OK);
  assert_string_equal(out, again);
  free(out);
  free(again);
}

const compose_service *ct_service(const compose_project *p, const char *name) {
  const compose_service *s = compose_find_service(p, name);
  if (s == NULL) fail_msg("no service %s", name);
  return s;
}
