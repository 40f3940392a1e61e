/* tests/gmsa/test_source.c - `credentialspec=` values: schemes, Docker's messages, file:// paths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gmsa/credspec.h"
#include "gmsa/source.h"
#include "secret_watch.h"
#include "testutil.h"

#define DIR "C:\\ProgramData\\wctr\\credentialspecs"
#define UNDER "invalid credential spec: file:// path must be under C:\\ProgramData\\wctr\\credentialspecs"
#define FP "invalid credential spec: file:// path "

/* Parses option; on success checks kind and value, on failure code and exact message. */
static void expect_ok(const char *option, gmsa_source_kind kind, const char *value) {
  gmsa_source src;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = gmsa_source_parse(option, DIR, &src, &e);
  if (err != WCTR_OK) fail_msg("%s: %s", option, e.text);
  assert_int_equal(src.kind, kind);
  assert_string_equal(src.value, value);
  gmsa_source_free(&src);
  assert_null(src.value);
}

static void expect_fail(const char *option, wctr_err code, const char *message) {
  gmsa_source src;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = gmsa_source_parse(option, DIR, &src, &e);
  if (err != code || strcmp(e.text, message) != 0) {
    print_error("option:   %s\nexpected: %d %s\ngot:      %d %s\n", option, code, message, err, e.text);
  }
  assert_int_equal(err, code);
  assert_string_equal(e.text, message);
  /* A failed parse leaves nothing to free. */
  assert_int_equal(src.kind, 0);
  assert_null(src.value);
}

static void test_prefix_errors(void **state) {
  (void)state;
  /* Docker's sentence, with config:// in the list because wctr accepts it. */
  static const char docker[] =
      "invalid credential spec security option - value must be prefixed by 'file://', 'registry://', "
      "'config://', or 'raw://' followed by a non-empty value";
  assert_string_equal(GMSA_SOURCE_MSG_PREFIX, docker);
  static const char *const bad[] = {"",
                                    "spec.json",
                                    "file:/spec.json",
                                    "file:spec.json",
                                    "file://",
                                    "raw://",
                                    "registry://",
                                    "config://",
                                    "http://x",
                                    "://x",
                                    "ftp://a.json",
                                    " file://a.json",
                                    "filE :// x",
                                    "credentialspec=file://a.json",
                                    "fil://a.json",
                                    "files://a.json"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_fail(bad[i], WCTR_EINVAL, docker);

  gmsa_source src;
  wctr_errmsg e;
  assert_int_equal(gmsa_source_parse(NULL, DIR, &src, &e), WCTR_EINVAL);
  assert_string_equal(e.text, docker);
}

static void test_schemes(void **state) {
  (void)state;
  expect_ok("file://webapp01.json", GMSA_SOURCE_FILE, "webapp01.json");
  expect_ok("registry://webapp01", GMSA_SOURCE_REGISTRY, "webapp01");
  expect_ok("config://webapp01-spec", GMSA_SOURCE_CONFIG, "webapp01-spec");
  expect_ok("raw://{\"CmsPlugins\":[]}", GMSA_SOURCE_RAW, "{\"CmsPlugins\":[]}");
  /* Docker lower-cases the scheme before matching it. */
  expect_ok("FILE://a.json", GMSA_SOURCE_FILE, "a.json");
  expect_ok("Registry://a", GMSA_SOURCE_REGISTRY, "a");
  expect_ok("CONFIG://a", GMSA_SOURCE_CONFIG, "a");
  expect_ok("rAw://{}", GMSA_SOURCE_RAW, "{}");
  /* Only the first "://" splits: URLs inside raw JSON stay as they are. */
  expect_ok("raw://{\"u\":\"https://vault\"}", GMSA_SOURCE_RAW, "{\"u\":\"https://vault\"}");
  assert_string_equal(gmsa_source_kind_name(GMSA_SOURCE_FILE), "file");
  assert_string_equal(gmsa_source_kind_name(GMSA_SOURCE_REGISTRY), "registry");
  assert_string_equal(gmsa_source_kind_name(GMSA_SOURCE_CONFIG), "config");
  assert_string_equal(gmsa_source_kind_name(GMSA_SOURCE_RAW), "raw");
  assert_string_equal(gmsa_source_kind_name((gmsa_source_kind)0), "unknown");
}

static void test_file_normalised(void **state) {
  (void)state;
  expect_ok("file://sub/webapp01.json", GMSA_SOURCE_FILE, "sub\\webapp01.json");
  expect_ok("file://sub\\webapp01.json", GMSA_SOURCE_FILE, "sub\\webapp01.json");
  expect_ok("file://a/./b/../c.json", GMSA_SOURCE_FILE, "a\\c.json");
  expect_ok("file://a\\..\\b.json", GMSA_SOURCE_FILE, "b.json");
  expect_ok("file://./x.json", GMSA_SOURCE_FILE, "x.json");
  expect_ok("file://a/b/c/../../d/e.json", GMSA_SOURCE_FILE, "a\\d\\e.json");
  expect_ok("file://.hidden.json", GMSA_SOURCE_FILE, ".hidden.json");
  expect_ok("file://my spec.json", GMSA_SOURCE_FILE, "my spec.json");
  expect_ok(
      "file://sp\xC3\xA9"
      "c.json",
      GMSA_SOURCE_FILE,
      "sp\xC3\xA9"
      "c.json");
  expect_ok("file://..json", GMSA_SOURCE_FILE, "..json");
  /* Names that only look like devices. */
  expect_ok("file://NULL.json", GMSA_SOURCE_FILE, "NULL.json");
  expect_ok("file://console", GMSA_SOURCE_FILE, "console");
  expect_ok("file://COM10", GMSA_SOURCE_FILE, "COM10");
  expect_ok("file://nul_x.json", GMSA_SOURCE_FILE, "nul_x.json");
  expect_ok("file://xNUL", GMSA_SOURCE_FILE, "xNUL");
  expect_ok("file://CONIN", GMSA_SOURCE_FILE, "CONIN");
}

static void test_file_absolute(void **state) {
  (void)state;
  assert_string_equal(GMSA_SOURCE_MSG_ABSOLUTE, "invalid credential spec: file:// path cannot be absolute");
  static const char *const bad[] = {"file://C:\\x",
                                    "file://c:/x.json",
                                    "file://C:x",
                                    "file://C:",
                                    "file://z:\\creds\\a",
                                    "file://\\x",
                                    "file:///etc/x",
                                    "file://\\\\server\\share\\x",
                                    "file://\\\\?\\C:\\x",
                                    "file://\\\\.\\NUL",
                                    "file:////server/share/x",
                                    "file://\\\\?\\UNC\\server\\share\\x.json",
                                    "file://\\..\\x"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_fail(bad[i], WCTR_EINVAL, GMSA_SOURCE_MSG_ABSOLUTE);
}

static void test_file_escapes(void **state) {
  (void)state;
  static const char *const bad[] = {"file://..\\..\\x.json",
                                    "file://a\\..\\..\\b",
                                    "file://..",
                                    "file://../x.json",
                                    "file://a/../../x",
                                    "file://./../x",
                                    "file://a/b/../../../c",
                                    "file://..\\credentialspecs\\x.json"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_fail(bad[i], WCTR_EINVAL, UNDER);

  /* Without the folder, the message still reads as a sentence. */
  gmsa_source src;
  wctr_errmsg e;
  assert_int_equal(gmsa_source_parse("file://../x", NULL, &src, &e), WCTR_EINVAL);
  assert_string_equal(e.text,
                      "invalid credential spec: file:// path must be under the credentialspecs folder");

  /* Staying inside but naming the folder itself is not a file. */
  expect_fail(
      "file://a\\..", WCTR_EINVAL,
      "invalid credential spec: file:// path must name a file under C:\\ProgramData\\wctr\\credentialspecs");
  expect_fail(
      "file://.", WCTR_EINVAL,
      "invalid credential spec: file:// path must name a file under C:\\ProgramData\\wctr\\credentialspecs");
}

static void test_file_bad_names(void **state) {
  (void)state;
  /* "a:b" is not a stream: a single letter and ':' is drive A:, relative to that drive's folder. */
  expect_fail("file://a:b", WCTR_EINVAL, GMSA_SOURCE_MSG_ABSOLUTE);
  /* Any other ':' names an NTFS alternate data stream. */
  static const char *const streams[] = {"file://ab:c", "file://x.json::$DATA", "file://1:x",
                                        "file://sub\\a:b.json", "file://\xC3\xA9:x"};
  for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
    expect_fail(streams[i], WCTR_EINVAL, FP "cannot contain ':' (alternate data streams)");
  }

  static const char *const devices[][2] = {
      {"file://NUL", "\"NUL\""},
      {"file://nul.json", "\"nul.json\""},
      {"file://sub\\CON", "\"CON\""},
      {"file://COM1.txt", "\"COM1.txt\""},
      {"file://lpt9", "\"lpt9\""},
      {"file://NUL .json", "\"NUL .json\""},
      {"file://Aux.tar.gz", "\"Aux.tar.gz\""},
      {"file://prn", "\"prn\""},
      {"file://COM0", "\"COM0\""},
      {"file://com\xC2\xB9", "\"com\xC2\xB9\""},
      {"file://LPT\xC2\xB3.json", "\"LPT\xC2\xB3.json\""},
      {"file://CONOUT$", "\"CONOUT$\""},
      {"file://conin$.json", "\"conin$.json\""},
  };
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
    char message[256];
    snprintf(message, sizeof message, FP "component %s is a reserved device name", devices[i][1]);
    expect_fail(devices[i][0], WCTR_EINVAL, message);
  }

  static const char *const empty[] = {"file://a\\\\b", "file://a//b",  "file://a\\",
                                      "file://a/",     "file://a/\\b", "file://sub\\\\..\\x"};
  for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
    expect_fail(empty[i], WCTR_EINVAL, FP "has an empty component");
  }

  static const char *const trailing[][2] = {
      {"file://x.json.", "\"x.json.\""}, {"file://x.json ", "\"x.json \""}, {"file://...", "\"...\""},
      {"file://. .", "\". .\""},         {"file://a\\.. \\b", "\".. \""},   {"file://sub./x", "\"sub.\""},
      {"file://.. /x", "\".. \""}};
  for (size_t i = 0; i < sizeof trailing / sizeof trailing[0]; i++) {
    char message[256];
    snprintf(message, sizeof message, FP "component %s ends with a dot or a space", trailing[i][1]);
    expect_fail(trailing[i][0], WCTR_EINVAL, message);
  }

  static const char *const controls[] = {"file://a\x01\x62", "file://a\tb.json", "file://x.json\n",
                                         "file://\x7f"};
  for (size_t i = 0; i < sizeof controls / sizeof controls[0]; i++) {
    expect_fail(controls[i], WCTR_EINVAL, FP "cannot contain control characters");
  }

  static const char *const wild[] = {"file://a*.json", "file://a?.json", "file://a<b",
                                     "file://a>b",     "file://a|b",     "file://a\"b"};
  for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
    expect_fail(wild[i], WCTR_EINVAL, FP "cannot contain any of < > \" | ? *");
  }

  /* Overlong UTF-8 for "../" (C0 AE C0 AE 2F): a lenient decoder would climb out of the folder. */
  expect_fail("file://\xC0\xAE\xC0\xAE/x.json", WCTR_EINVAL, FP "is not valid UTF-8");
  expect_fail("file://\xED\xA0\x80.json", WCTR_EINVAL, FP "is not valid UTF-8");
  expect_fail("file://a\xFF", WCTR_EINVAL, FP "is not valid UTF-8");
}

static void test_file_lengths(void **state) {
  (void)state;
  char option[2048];
  int prefix = snprintf(option, sizeof option, "file://");
  /* A 255-byte component passes, 256 does not. */
  memset(option + prefix, 'a', 255);
  option[prefix + 255] = '\0';
  gmsa_source src;
  wctr_errmsg e;
  assert_int_equal(gmsa_source_parse(option, DIR, &src, &e), WCTR_OK);
  gmsa_source_free(&src);
  memset(option + prefix, 'a', 256);
  option[prefix + 256] = '\0';
  expect_fail(option, WCTR_EINVAL, FP "component is longer than 255 bytes");
  /* The whole path: GMSA_SOURCE_PATH_MAX bytes at most. */
  for (int i = 0; i < GMSA_SOURCE_PATH_MAX + 1; i++) option[prefix + i] = (i % 100 == 99) ? '\\' : 'b';
  option[prefix + GMSA_SOURCE_PATH_MAX + 1] = '\0';
  expect_fail(option, WCTR_ETOOBIG, FP "is longer than 1024 bytes");
  option[prefix + GMSA_SOURCE_PATH_MAX] = '\0';
  assert_int_equal(gmsa_source_parse(option, DIR, &src, &e), WCTR_OK);
  gmsa_source_free(&src);
}

static void test_registry_names(void **state) {
  (void)state;
  expect_ok("registry://webapp01 spec", GMSA_SOURCE_REGISTRY, "webapp01 spec");
  expect_ok("registry://a/b", GMSA_SOURCE_REGISTRY, "a/b");
  expect_fail("registry://a\\b", WCTR_EINVAL,
              "invalid credential spec: registry:// value name cannot contain '\\'");
  expect_fail("registry://..\\..\\SAM", WCTR_EINVAL,
              "invalid credential spec: registry:// value name cannot contain '\\'");
  expect_fail("registry://a\x01", WCTR_EINVAL,
              "invalid credential spec: registry:// value name cannot contain control characters");
  expect_fail("registry://a\xC3", WCTR_EINVAL,
              "invalid credential spec: registry:// value name is not valid UTF-8");
  size_t n = strlen("registry://") + GMSA_SOURCE_REGISTRY_NAME_MAX + 1;
  char *option = malloc(n + 1);
  assert_non_null(option);
  memcpy(option, "registry://", strlen("registry://"));
  memset(option + strlen("registry://"), 'r', GMSA_SOURCE_REGISTRY_NAME_MAX + 1);
  option[n] = '\0';
  expect_fail(option, WCTR_ETOOBIG,
              "invalid credential spec: registry:// value name is longer than 16383 bytes");
  option[n - 1] = '\0';
  gmsa_source src;
  wctr_errmsg e;
  assert_int_equal(gmsa_source_parse(option, DIR, &src, &e), WCTR_OK);
  gmsa_source_free(&src);
  free(option);
}

static void test_config_names(void **state) {
  (void)state;
  expect_ok("config://my_spec.v2", GMSA_SOURCE_CONFIG, "my_spec.v2");
  expect_fail("config://a/b", WCTR_EINVAL, "invalid credential spec: config:// name cannot be a path");
  expect_fail("config://a\\b", WCTR_EINVAL, "invalid credential spec: config:// name cannot be a path");
  expect_fail("config://..", WCTR_EINVAL, "invalid credential spec: config:// name cannot be a path");
  expect_fail("config://.", WCTR_EINVAL, "invalid credential spec: config:// name cannot be a path");
  expect_fail("config://a\nb", WCTR_EINVAL,
              "invalid credential spec: config:// name cannot contain control characters");
  expect_fail("config://\xF5", WCTR_EINVAL, "invalid credential spec: config:// name is not valid UTF-8");
}

static void test_raw(void **state) {
  (void)state;
  /* raw:// is passed on untouched: the JSON is gmsa_credspec_parse's to judge. */
  expect_ok("raw:// not json at all", GMSA_SOURCE_RAW, " not json at all");
  size_t n = strlen("raw://") + GMSA_CREDSPEC_MAX_BYTES + 1;
  char *option = malloc(n + 1);
  assert_non_null(option);
  memcpy(option, "raw://", strlen("raw://"));
  memset(option + strlen("raw://"), ' ', GMSA_CREDSPEC_MAX_BYTES + 1);
  option[n] = '\0';
  expect_fail(option, WCTR_ETOOBIG,
              "invalid credential spec: raw:// value of 65537 bytes is larger than the limit of 65536 bytes");
  free(option);
}

/* A raw:// value is a whole spec and may carry the password: freed zeroed, and never in a message. */
static void test_raw_secret(void **state) {
  (void)state;
  static const char option[] =
      "raw://"
      "{\"ActiveDirectoryConfig\":{\"HostAccountConfig\":{\"PluginInput\":\"contoso.com:ccg:Pa55-w0rd!\"}}}";
  secret_watch_start("Pa55-w0rd!");
  gmsa_source src;
  wctr_errmsg e;
  assert_int_equal(gmsa_source_parse(option, DIR, &src, &e), WCTR_OK);
  assert_non_null(strstr(src.value, "Pa55-w0rd!"));
  gmsa_source_free(&src);
  assert_int_equal(secret_watch_outstanding(), 0);
  assert_int_equal(secret_watch_stop(), 0);

  char big[GMSA_CREDSPEC_MAX_BYTES + 64];
  int n = snprintf(big, sizeof big, "raw://{\"PluginInput\":\"Pa55-w0rd!\"");
  memset(big + n, ' ', sizeof big - (size_t)n - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(gmsa_source_parse(big, DIR, &src, &e), WCTR_ETOOBIG);
  assert_null(strstr(e.text, "Pa55"));
}

/* Compose's credential_spec: {file: NAME} arrives as kind and value. */
static void test_make(void **state) {
  (void)state;
  gmsa_source src;
  wctr_errmsg e;
  assert_int_equal(gmsa_source_make(GMSA_SOURCE_FILE, "sub/x.json", DIR, &src, &e), WCTR_OK);
  assert_int_equal(src.kind, GMSA_SOURCE_FILE);
  assert_string_equal(src.value, "sub\\x.json");
  gmsa_source_free(&src);
  assert_int_equal(gmsa_source_make(GMSA_SOURCE_FILE, "", DIR, &src, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "invalid credential spec: file:// value must not be empty");
  assert_int_equal(gmsa_source_make(GMSA_SOURCE_REGISTRY, NULL, DIR, &src, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "invalid credential spec: registry:// value must not be empty");
  assert_int_equal(gmsa_source_make(GMSA_SOURCE_FILE, "C:\\x", DIR, &src, &e), WCTR_EINVAL);
  assert_string_equal(e.text, GMSA_SOURCE_MSG_ABSOLUTE);
  assert_int_equal(gmsa_source_make((gmsa_source_kind)99, "x", DIR, &src, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "invalid credential spec: unknown source kind");
  assert_null(src.value);
  /* Normalising twice changes nothing. */
  assert_int_equal(gmsa_source_make(GMSA_SOURCE_FILE, "a/./b/../c.json", DIR, &src, &e), WCTR_OK);
  gmsa_source again;
  assert_int_equal(gmsa_source_make(GMSA_SOURCE_FILE, src.value, DIR, &again, &e), WCTR_OK);
  assert_string_equal(again.value, src.value);
  gmsa_source_free(&src);
  gmsa_source_free(&again);
}

static void test_free_accepts_null(void **state) {
  (void)state;
  gmsa_source_free(NULL);
  gmsa_source zero;
  memset(&zero, 0, sizeof zero);
  gmsa_source_free(&zero);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prefix_errors),     cmocka_unit_test(test_schemes),
      cmocka_unit_test(test_file_normalised),   cmocka_unit_test(test_file_absolute),
      cmocka_unit_test(test_file_escapes),      cmocka_unit_test(test_file_bad_names),
      cmocka_unit_test(test_file_lengths),      cmocka_unit_test(test_registry_names),
      cmocka_unit_test(test_config_names),      cmocka_unit_test(test_raw),
      cmocka_unit_test(test_raw_secret),        cmocka_unit_test(test_make),
      cmocka_unit_test(test_free_accepts_null),
  };
  return cmocka_run_group_tests_name("gmsa_source", tests, NULL, NULL);
}
