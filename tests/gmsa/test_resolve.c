/* tests/gmsa/test_resolve.c - credentialspec= values to validated specs (gmsa/resolve.h), with fake readers:
 * which reader is asked for what, traversal attempts that must never reach a reader, Docker's messages,
 * errors that name the source, and the secret zeroed on every path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "gmsa/resolve.h"
#include "gmsa/source.h"
#include "secret_watch.h"
#include "credspec_sample.h"
#include "testutil.h"

#define DIR "C:\\ProgramData\\wctr\\credentialspecs"
#define SECRET SAMPLE_SPEC_SECRET

static struct {
  int file_reads;
  int registry_reads;
  char last_dir[256];
  char last_name[256];
  const char *content; /* what the readers return; NULL: ENOENT */
} fake;

static char *dup_text(const char *s) {
  size_t n = strlen(s);
  char *c = malloc(n + 1);
  memcpy(c, s, n + 1);
  return c;
}

static wctr_err f_file(void *ctx, const char *dir, const char *rel, char **text, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  fake.file_reads++;
  snprintf(fake.last_dir, sizeof fake.last_dir, "%s", dir);
  snprintf(fake.last_name, sizeof fake.last_name, "%s", rel);
  if (fake.content == NULL) return wctr_fail(e, WCTR_ENOENT, "invalid credential spec: file://%s: no such file", rel);
  *text = dup_text(fake.content);
  *len = strlen(fake.content);
  return WCTR_OK;
}

static wctr_err f_registry(void *ctx, const char *name, char **text, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  fake.registry_reads++;
  snprintf(fake.last_name, sizeof fake.last_name, "%s", name);
  if (fake.content == NULL) return wctr_fail(e, WCTR_ENOENT, "invalid credential spec: registry value \"%s\" not found", name);
  *text = dup_text(fake.content);
  *len = strlen(fake.content);
  return WCTR_OK;
}

static const gmsa_resolver resolver = {.credspec_dir = DIR, .read_file = f_file, .read_registry = f_registry};

static int reset(void **state) {
  (void)state;
  memset(&fake, 0, sizeof fake);
  fake.content = sample_spec;
  return 0;
}

static void expect_ok(const char *value, const char *source) {
  char *spec = NULL;
  char *shown = NULL;
  wctr_errmsg e;
  wctr_err err = gmsa_resolve(&resolver, value, &spec, &shown, &e);
  if (err != WCTR_OK) fail_msg("%s: %s", value, e.text);
  assert_string_equal(shown, source);
  /* The spec comes back rendered again, whole (it is what CCG gets). */
  assert_string_equal(spec, sample_spec);
  gmsa_secret_free(spec);
  cJSON_free(shown);
}

static void expect_fail(const char *value, wctr_err code, const char *message) {
  char *spec = (char *)"x";
  char *shown = (char *)"x";
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = gmsa_resolve(&resolver, value, &spec, &shown, &e);
  if (err != code || strcmp(e.text, message) != 0) {
    fail_msg("%s\n got %d \"%s\"\nwant %d \"%s\"", value, err, e.text, code, message);
  }
  assert_null(spec);
  assert_null(shown);
  assert_null(strstr(e.text, SECRET));
}

static void test_sources(void **state) {
  (void)state;
  expect_ok("file://web.json", "file://web.json");
  assert_int_equal(fake.file_reads, 1);
  assert_string_equal(fake.last_dir, DIR);
  assert_string_equal(fake.last_name, "web.json");
  /* The reader gets the normalised path. */
  expect_ok("FILE://team/./a/../web.json", "file://team\\web.json");
  assert_string_equal(fake.last_name, "team\\web.json");
  expect_ok("registry://webapp01", "registry://webapp01");
  assert_int_equal(fake.registry_reads, 1);
  assert_string_equal(fake.last_name, "webapp01");
  char raw[sizeof sample_spec + 8];
  snprintf(raw, sizeof raw, "raw://%s", sample_spec);
  /* raw:// never shows its content. */
  expect_ok(raw, "raw://");
  assert_int_equal(fake.file_reads + fake.registry_reads, 3);
}

static void test_traversal_never_reaches_the_disk(void **state) {
  (void)state;
  expect_fail("file://..\\web.json", WCTR_EINVAL, GMSA_SOURCE_MSG_UNDER DIR);
  expect_fail("file://a/../../web.json", WCTR_EINVAL, GMSA_SOURCE_MSG_UNDER DIR);
  expect_fail("file://..\\credentialspecs\\web.json", WCTR_EINVAL, GMSA_SOURCE_MSG_UNDER DIR);
  expect_fail("file://C:\\Windows\\win.ini", WCTR_EINVAL, GMSA_SOURCE_MSG_ABSOLUTE);
  expect_fail("file:///etc/passwd", WCTR_EINVAL, GMSA_SOURCE_MSG_ABSOLUTE);
  expect_fail("file://\\\\server\\share\\web.json", WCTR_EINVAL, GMSA_SOURCE_MSG_ABSOLUTE);
  expect_fail("file://\\\\?\\C:\\web.json", WCTR_EINVAL, GMSA_SOURCE_MSG_ABSOLUTE);
  expect_fail("file://web.json:evil", WCTR_EINVAL,
              "invalid credential spec: file:// path cannot contain ':' (alternate data streams)");
  assert_int_equal(fake.file_reads, 0);
  assert_int_equal(fake.registry_reads, 0);
}

static void test_errors_name_the_source(void **state) {
  (void)state;
  expect_fail("web.json", WCTR_EINVAL, GMSA_SOURCE_MSG_PREFIX);
  expect_fail("config://spec", WCTR_EINVAL, GMSA_RESOLVE_MSG_CONFIG);
  fake.content = NULL;
  expect_fail("file://missing.json", WCTR_ENOENT, "invalid credential spec: file://missing.json: no such file");
  expect_fail("registry://nope", WCTR_ENOENT, "invalid credential spec: registry value \"nope\" not found");
  fake.content = "{\"CmsPlugins\":[\"ActiveDirectory\"]}";
  expect_fail("file://web.json", WCTR_EINVAL, "file://web.json: credential spec: \"DomainJoinConfig\" is required");
  fake.content = "not json";
  expect_fail("registry://webapp01", WCTR_EINVAL,
              "registry://webapp01: credential spec: not valid JSON (error at byte 0)");
  expect_fail("raw://{\"CmsPlugins\":[\"Other\"]}", WCTR_EINVAL,
              "raw://: credential spec: \"DomainJoinConfig\" is required");
  /* No reader: said plainly. */
  gmsa_resolver none = {.credspec_dir = DIR};
  char *spec = NULL;
  char *shown = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_resolve(&none, "file://web.json", &spec, &shown, &e), WCTR_ENOTSUP);
  assert_int_equal(gmsa_resolve(&none, "registry://w", &spec, &shown, &e), WCTR_ENOTSUP);
}

static void test_secret_zeroed(void **state) {
  (void)state;
  secret_watch_start(SECRET);
  char *spec = NULL;
  char *shown = NULL;
  wctr_errmsg e;
  char raw[sizeof sample_spec + 8];
  snprintf(raw, sizeof raw, "raw://%s", sample_spec);
  assert_int_equal(gmsa_resolve(&resolver, raw, &spec, &shown, &e), WCTR_OK);
  gmsa_secret_free(spec);
  cJSON_free(shown);
  /* A spec that fails the rules after parsing still holds the secret in the module's copies. */
  char broken[sizeof sample_spec + 8];
  snprintf(broken, sizeof broken, "raw://%s", sample_spec);
  char *sid = strstr(broken, "S-1-5-21-1-2-3");
  memcpy(sid, "S-1-5-32-54444", 14);
  assert_int_not_equal(gmsa_resolve(&resolver, broken, &spec, &shown, &e), WCTR_OK);
  assert_int_equal(secret_watch_outstanding(), 0);
  assert_int_equal(secret_watch_stop(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_sources, reset),
      cmocka_unit_test_setup(test_traversal_never_reaches_the_disk, reset),
      cmocka_unit_test_setup(test_errors_name_the_source, reset),
      cmocka_unit_test_setup(test_secret_zeroed, reset),
  };
  return cmocka_run_group_tests_name("gmsa_resolve", tests, NULL, NULL);
}
