/* tests/common/test_json.c - common/json.h: typed getters, their messages, int64 edges, check_keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "common/json.h"

/* Each test parses its own document; teardown frees it. */
static cJSON *doc;

static const cJSON *parse(const char *text) {
  cJSON_Delete(doc);
  doc = cJSON_Parse(text);
  if (doc == NULL) fail_msg("test document does not parse: %s", text);
  return doc;
}

static int teardown(void **state) {
  (void)state;
  cJSON_Delete(doc);
  doc = NULL;
  return 0;
}

/* A failure: the code, the exact sentence, and the code stored in e as well. */
static void expect_fail(wctr_err got, const wctr_errmsg *e, const char *text) {
  assert_int_equal(got, WCTR_EINVAL);
  assert_int_equal(e->code, WCTR_EINVAL);
  assert_string_equal(e->text, text);
}

/* --- type names -------------------------------------------------------------------------------- */

static void test_type_names(void **state) {
  (void)state;
  const cJSON *o = parse("{\"s\":\"x\",\"n\":1,\"t\":true,\"f\":false,\"z\":null,\"a\":[],\"o\":{}}");
  assert_string_equal(wctr_json_type_name(cJSON_GetObjectItem(o, "s")), "a string");
  assert_string_equal(wctr_json_type_name(cJSON_GetObjectItem(o, "n")), "a number");
  assert_string_equal(wctr_json_type_name(cJSON_GetObjectItem(o, "t")), "a boolean");
  assert_string_equal(wctr_json_type_name(cJSON_GetObjectItem(o, "f")), "a boolean");
  assert_string_equal(wctr_json_type_name(cJSON_GetObjectItem(o, "z")), "null");
  assert_string_equal(wctr_json_type_name(cJSON_GetObjectItem(o, "a")), "an array");
  assert_string_equal(wctr_json_type_name(cJSON_GetObjectItem(o, "o")), "an object");
  assert_string_equal(wctr_json_type_name(NULL), "missing");
  cJSON invalid;
  memset(&invalid, 0, sizeof invalid); /* type cJSON_Invalid */
  assert_string_equal(wctr_json_type_name(&invalid), "invalid");
}

/* --- strings ----------------------------------------------------------------------------------- */

static void test_string_present(void **state) {
  (void)state;
  const cJSON *o = parse("{\"name\":\"web-1\",\"empty\":\"\",\"u\":\"\\u00e9\"}");
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  const char *out = NULL;
  assert_int_equal(wctr_json_get_string(o, "name", "params", true, &out, &e), WCTR_OK);
  assert_string_equal(out, "web-1");
  /* Points into the tree, nothing is copied. */
  assert_ptr_equal(out, cJSON_GetObjectItem(o, "name")->valuestring);
  assert_int_equal(wctr_json_get_string(o, "empty", "params", false, &out, &e), WCTR_OK);
  assert_string_equal(out, "");
  assert_int_equal(wctr_json_get_string(o, "u", "params", true, &out, &e), WCTR_OK);
  assert_string_equal(out, "\xc3\xa9");
  assert_int_equal(e.code, WCTR_OK);
}

static void test_string_missing(void **state) {
  (void)state;
  const cJSON *o = parse("{\"Name\":\"x\"}");
  wctr_errmsg e;
  const char *sentinel = "untouched";
  const char *out = sentinel;
  /* Optional: OK and *out left alone. Keys are case sensitive. */
  assert_int_equal(wctr_json_get_string(o, "name", "params", false, &out, &e), WCTR_OK);
  assert_ptr_equal(out, sentinel);
  expect_fail(wctr_json_get_string(o, "name", "params", true, &out, &e), &e, "params: \"name\" is required");
  assert_ptr_equal(out, sentinel);
  /* A NULL object has no keys: missing, not a crash. */
  assert_int_equal(wctr_json_get_string(NULL, "name", "params", false, &out, &e), WCTR_OK);
  expect_fail(wctr_json_get_string(NULL, "name", "wctrd.json", true, &out, &e), &e,
              "wctrd.json: \"name\" is required");
  assert_ptr_equal(out, sentinel);
}

static void test_string_wrong_type(void **state) {
  (void)state;
  const cJSON *o = parse("{\"n\":1,\"b\":false,\"z\":null,\"a\":[\"x\"],\"o\":{\"x\":\"y\"}}");
  wctr_errmsg e;
  const char *sentinel = "untouched";
  const char *out = sentinel;
  expect_fail(wctr_json_get_string(o, "n", "params", true, &out, &e), &e,
              "params: \"n\" must be a string, not a number");
  expect_fail(wctr_json_get_string(o, "b", "params", false, &out, &e), &e,
              "params: \"b\" must be a string, not a boolean");
  /* null is not "missing": a client that sends null gets told so. */
  expect_fail(wctr_json_get_string(o, "z", "params", false, &out, &e), &e,
              "params: \"z\" must be a string, not null");
  expect_fail(wctr_json_get_string(o, "a", "params", false, &out, &e), &e,
              "params: \"a\" must be a string, not an array");
  expect_fail(wctr_json_get_string(o, "o", "params", false, &out, &e), &e,
              "params: \"o\" must be a string, not an object");
  assert_ptr_equal(out, sentinel);
}

static void test_string_where_and_message_example(void **state) {
  (void)state;
  /* The example the brief and json.h give, word for word. */
  const cJSON *o = parse("{\"name\":42}");
  wctr_errmsg e;
  const char *out = NULL;
  expect_fail(wctr_json_get_string(o, "name", "params", true, &out, &e), &e,
              "params: \"name\" must be a string, not a number");
  expect_fail(wctr_json_get_string(o, "name", "wctrd.json", true, &out, &e), &e,
              "wctrd.json: \"name\" must be a string, not a number");
}

/* --- booleans ---------------------------------------------------------------------------------- */

static void test_bool(void **state) {
  (void)state;
  const cJSON *o = parse("{\"t\":true,\"f\":false,\"n\":1,\"s\":\"true\",\"z\":null}");
  wctr_errmsg e;
  bool out = false;
  assert_int_equal(wctr_json_get_bool(o, "t", "params", true, &out, &e), WCTR_OK);
  assert_true(out);
  assert_int_equal(wctr_json_get_bool(o, "f", "params", true, &out, &e), WCTR_OK);
  assert_false(out);

  out = true;
  assert_int_equal(wctr_json_get_bool(o, "missing", "params", false, &out, &e), WCTR_OK);
  assert_true(out);
  expect_fail(wctr_json_get_bool(o, "missing", "params", true, &out, &e), &e,
              "params: \"missing\" is required");
  /* 1 and "true" are not booleans. */
  expect_fail(wctr_json_get_bool(o, "n", "params", true, &out, &e), &e,
              "params: \"n\" must be a boolean, not a number");
  expect_fail(wctr_json_get_bool(o, "s", "params", true, &out, &e), &e,
              "params: \"s\" must be a boolean, not a string");
  expect_fail(wctr_json_get_bool(o, "z", "params", false, &out, &e), &e,
              "params: \"z\" must be a boolean, not null");
  assert_true(out);
}

/* --- int64 ------------------------------------------------------------------------------------- */

#define MAX_SAFE 9007199254740991LL /* 2^53 - 1 */

/* Reads {"n": <text>} with the given bounds. */
static wctr_err get_n(const char *number_text, int64_t min, int64_t max, int64_t *out, wctr_errmsg *e) {
  char text[256];
  snprintf(text, sizeof text, "{\"n\":%s}", number_text);
  const cJSON *o = parse(text);
  return wctr_json_get_int64(o, "n", "params", true, min, max, out, e);
}

static void expect_int(const char *number_text, int64_t min, int64_t max, int64_t want) {
  wctr_errmsg e;
  int64_t out = -12345;
  wctr_err err = get_n(number_text, min, max, &out, &e);
  if (err != WCTR_OK) fail_msg("%s in [%lld, %lld]: %s", number_text, (long long)min, (long long)max, e.text);
  if (out != want) fail_msg("%s read as %lld, want %lld", number_text, (long long)out, (long long)want);
}

static void expect_int_fail(const char *number_text, int64_t min, int64_t max, const char *text) {
  wctr_errmsg e;
  int64_t out = -12345;
  wctr_err err = get_n(number_text, min, max, &out, &e);
  if (err == WCTR_OK)
    fail_msg("%s in [%lld, %lld] was accepted as %lld", number_text, (long long)min, (long long)max,
             (long long)out);
  expect_fail(err, &e, text);
  assert_int_equal(out, -12345);
}

static void test_int64_present(void **state) {
  (void)state;
  expect_int("0", 0, 10, 0);
  expect_int("7", 0, 10, 7);
  expect_int("-3", -5, 5, -3);
  expect_int("1.0", 0, 10, 1);
  expect_int("1e1", 0, 10, 10);
  expect_int("2.5e1", 0, 100, 25);
  expect_int("100E-2", 0, 10, 1);
}

static void test_int64_bounds_inclusive(void **state) {
  (void)state;
  expect_int("0", 0, 10, 0);
  expect_int("10", 0, 10, 10);
  expect_int_fail("-1", 0, 10, "params: \"n\" must be between 0 and 10");
  expect_int_fail("11", 0, 10, "params: \"n\" must be between 0 and 10");
  expect_int_fail("-6", -5, 5, "params: \"n\" must be between -5 and 5");
  expect_int("5", 5, 5, 5);
  expect_int_fail("4", 5, 5, "params: \"n\" must be between 5 and 5");
}

static void test_int64_fractions(void **state) {
  (void)state;
  expect_int_fail("1.5", 0, 10, "params: \"n\" must be an integer, not a number");
  expect_int_fail("0.1", 0, 10, "params: \"n\" must be an integer, not a number");
  expect_int_fail("-0.5", -10, 10, "params: \"n\" must be an integer, not a number");
  expect_int_fail("9.999", 0, 10, "params: \"n\" must be an integer, not a number");
  /* Tiny but not zero. */
  expect_int_fail("1e-300", 0, 10, "params: \"n\" must be an integer, not a number");
  /* A fraction out of range is still a fraction first: it must not be truncated into range. */
  expect_int_fail("10.5", 0, 10, "params: \"n\" must be an integer, not a number");
  expect_int_fail("-0.9", 0, 10, "params: \"n\" must be an integer, not a number");
}

static void test_int64_huge(void **state) {
  (void)state;
  /* Finite but far beyond int64: a range error, never an overflowing conversion (UBSan watches). */
  expect_int_fail("1e300", 0, MAX_SAFE, "params: \"n\" must be between 0 and 9007199254740991");
  expect_int_fail("-1e300", -MAX_SAFE, MAX_SAFE,
                  "params: \"n\" must be between -9007199254740991 and 9007199254740991");
  expect_int_fail("9223372036854775808", 0, MAX_SAFE, "params: \"n\" must be between 0 and 9007199254740991");
  expect_int_fail("1e19", 0, MAX_SAFE, "params: \"n\" must be between 0 and 9007199254740991");
  /* Beyond double: strtod gives infinity, which is not an integer. */
  expect_int_fail("1e400", 0, MAX_SAFE, "params: \"n\" must be an integer, not a number");
  expect_int_fail("-1e400", -MAX_SAFE, MAX_SAFE, "params: \"n\" must be an integer, not a number");
}

static void test_int64_negative_zero(void **state) {
  (void)state;
  expect_int("-0", 0, 10, 0);
  expect_int("-0.0", 0, 10, 0);
  expect_int("-0e5", 0, 10, 0);
  expect_int("-0", -10, 0, 0);
}

static void test_int64_2p53_edges(void **state) {
  (void)state;
  expect_int("9007199254740991", 0, MAX_SAFE, MAX_SAFE);
  expect_int("9007199254740990", 0, MAX_SAFE, MAX_SAFE - 1);
  expect_int("-9007199254740991", -MAX_SAFE, 0, -MAX_SAFE);
  expect_int_fail("9007199254740992", 0, MAX_SAFE, "params: \"n\" must be between 0 and 9007199254740991");
  /* 2^53 + 1 has no double of its own: it reads as 2^53 and is out of range, not 2^53 - 1. */
  expect_int_fail("9007199254740993", 0, MAX_SAFE, "params: \"n\" must be between 0 and 9007199254740991");
  expect_int_fail("-9007199254740992", -MAX_SAFE, 0, "params: \"n\" must be between -9007199254740991 and 0");
  expect_int_fail("9.007199254740992e15", 0, MAX_SAFE,
                  "params: \"n\" must be between 0 and 9007199254740991");
  /* With the widest bounds json.h allows, 2^53 itself is representable and accepted. */
  expect_int("9007199254740992", -9007199254740992LL, 9007199254740992LL, 9007199254740992LL);
  expect_int("-9007199254740992", -9007199254740992LL, 9007199254740992LL, -9007199254740992LL);
}

static void test_int64_missing_and_wrong_type(void **state) {
  (void)state;
  const cJSON *o = parse("{\"s\":\"1\",\"b\":true,\"z\":null,\"a\":[1],\"o\":{}}");
  wctr_errmsg e;
  int64_t out = 99;
  assert_int_equal(wctr_json_get_int64(o, "n", "params", false, 0, 10, &out, &e), WCTR_OK);
  assert_int_equal(out, 99);
  expect_fail(wctr_json_get_int64(o, "n", "params", true, 0, 10, &out, &e), &e, "params: \"n\" is required");
  expect_fail(wctr_json_get_int64(o, "s", "params", true, 0, 10, &out, &e), &e,
              "params: \"s\" must be an integer, not a string");
  expect_fail(wctr_json_get_int64(o, "b", "params", true, 0, 10, &out, &e), &e,
              "params: \"b\" must be an integer, not a boolean");
  expect_fail(wctr_json_get_int64(o, "z", "params", false, 0, 10, &out, &e), &e,
              "params: \"z\" must be an integer, not null");
  expect_fail(wctr_json_get_int64(o, "a", "params", false, 0, 10, &out, &e), &e,
              "params: \"a\" must be an integer, not an array");
  expect_fail(wctr_json_get_int64(o, "o", "params", false, 0, 10, &out, &e), &e,
              "params: \"o\" must be an integer, not an object");
  assert_int_equal(out, 99);
}

/* --- string arrays ----------------------------------------------------------------------------- */

static void test_string_array(void **state) {
  (void)state;
  const cJSON *o = parse(
      "{\"cmd\":[\"cmd\",\"/c\",\"echo hi\"],\"none\":[],\"mixed\":[\"a\",\"b\",1],"
      "\"nested\":[[\"a\"]],\"nul\":[null],\"s\":\"cmd\",\"obj\":{\"0\":\"a\"}}");
  wctr_errmsg e;
  const cJSON *out = NULL;
  assert_int_equal(wctr_json_get_string_array(o, "cmd", "params", true, &out, &e), WCTR_OK);
  assert_ptr_equal(out, cJSON_GetObjectItem(o, "cmd"));
  assert_int_equal(cJSON_GetArraySize(out), 3);
  assert_int_equal(wctr_json_get_string_array(o, "none", "params", true, &out, &e), WCTR_OK);
  assert_ptr_equal(out, cJSON_GetObjectItem(o, "none"));

  const cJSON *sentinel = o;
  out = sentinel;
  assert_int_equal(wctr_json_get_string_array(o, "missing", "params", false, &out, &e), WCTR_OK);
  assert_ptr_equal(out, sentinel);
  expect_fail(wctr_json_get_string_array(o, "missing", "params", true, &out, &e), &e,
              "params: \"missing\" is required");
  expect_fail(wctr_json_get_string_array(o, "mixed", "params", true, &out, &e), &e,
              "params: \"mixed\"[2] must be a string, not a number");
  expect_fail(wctr_json_get_string_array(o, "nested", "params", true, &out, &e), &e,
              "params: \"nested\"[0] must be a string, not an array");
  expect_fail(wctr_json_get_string_array(o, "nul", "params", true, &out, &e), &e,
              "params: \"nul\"[0] must be a string, not null");
  expect_fail(wctr_json_get_string_array(o, "s", "params", true, &out, &e), &e,
              "params: \"s\" must be an array of strings, not a string");
  expect_fail(wctr_json_get_string_array(o, "obj", "params", true, &out, &e), &e,
              "params: \"obj\" must be an array of strings, not an object");
  assert_ptr_equal(out, sentinel);
}

/* --- objects ----------------------------------------------------------------------------------- */

static void test_object(void **state) {
  (void)state;
  const cJSON *o = parse("{\"limits\":{\"memory\":1},\"empty\":{},\"a\":[],\"s\":\"{}\",\"z\":null}");
  wctr_errmsg e;
  const cJSON *out = NULL;
  assert_int_equal(wctr_json_get_object(o, "limits", "spec", true, &out, &e), WCTR_OK);
  assert_ptr_equal(out, cJSON_GetObjectItem(o, "limits"));
  assert_int_equal(wctr_json_get_object(o, "empty", "spec", true, &out, &e), WCTR_OK);
  assert_ptr_equal(out, cJSON_GetObjectItem(o, "empty"));

  const cJSON *sentinel = o;
  out = sentinel;
  assert_int_equal(wctr_json_get_object(o, "missing", "spec", false, &out, &e), WCTR_OK);
  assert_ptr_equal(out, sentinel);
  expect_fail(wctr_json_get_object(o, "missing", "spec", true, &out, &e), &e,
              "spec: \"missing\" is required");
  expect_fail(wctr_json_get_object(o, "a", "spec", true, &out, &e), &e,
              "spec: \"a\" must be an object, not an array");
  expect_fail(wctr_json_get_object(o, "s", "spec", true, &out, &e), &e,
              "spec: \"s\" must be an object, not a string");
  expect_fail(wctr_json_get_object(o, "z", "spec", false, &out, &e), &e,
              "spec: \"z\" must be an object, not null");
  assert_ptr_equal(out, sentinel);
}

/* Getters on an array or a scalar: the key cannot be there. */
static void test_getter_on_non_object(void **state) {
  (void)state;
  const cJSON *a = parse("[\"name\",\"x\"]");
  wctr_errmsg e;
  const char *out = NULL;
  expect_fail(wctr_json_get_string(a, "name", "params", true, &out, &e), &e, "params: \"name\" is required");
  assert_null(out);
}

/* --- check_keys -------------------------------------------------------------------------------- */

static const char *const allowed[] = {"name", "image", "cmd", NULL};

static void test_check_keys_ok(void **state) {
  (void)state;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  assert_int_equal(wctr_json_check_keys(parse("{}"), "params", allowed, &e), WCTR_OK);
  assert_int_equal(wctr_json_check_keys(parse("{\"cmd\":[],\"name\":\"a\"}"), "params", allowed, &e),
                   WCTR_OK);
  assert_int_equal(wctr_json_check_keys(parse("{\"image\":1,\"cmd\":2,\"name\":3}"), "params", allowed, &e),
                   WCTR_OK);
  static const char *const none[] = {NULL};
  assert_int_equal(wctr_json_check_keys(parse("{}"), "params", none, &e), WCTR_OK);
  assert_int_equal(e.code, WCTR_OK);
}

static void test_check_keys_unknown(void **state) {
  (void)state;
  wctr_errmsg e;
  expect_fail(wctr_json_check_keys(parse("{\"name\":\"a\",\"imag\":\"b\"}"), "params", allowed, &e), &e,
              "params: unknown key \"imag\"");
  /* Keys are compared exactly: case, prefixes and trailing spaces all count. */
  expect_fail(wctr_json_check_keys(parse("{\"Name\":\"a\"}"), "params", allowed, &e), &e,
              "params: unknown key \"Name\"");
  expect_fail(wctr_json_check_keys(parse("{\"nam\":\"a\"}"), "params", allowed, &e), &e,
              "params: unknown key \"nam\"");
  expect_fail(wctr_json_check_keys(parse("{\"names\":\"a\"}"), "params", allowed, &e), &e,
              "params: unknown key \"names\"");
  expect_fail(wctr_json_check_keys(parse("{\"name \":\"a\"}"), "params", allowed, &e), &e,
              "params: unknown key \"name \"");
  expect_fail(wctr_json_check_keys(parse("{\"\":1}"), "params", allowed, &e), &e, "params: unknown key \"\"");
  static const char *const none[] = {NULL};
  expect_fail(wctr_json_check_keys(parse("{\"name\":1}"), "wctrd.json", none, &e), &e,
              "wctrd.json: unknown key \"name\"");
}

static void test_check_keys_duplicate(void **state) {
  (void)state;
  wctr_errmsg e;
  expect_fail(wctr_json_check_keys(parse("{\"name\":\"a\",\"name\":\"b\"}"), "params", allowed, &e), &e,
              "params: duplicate key \"name\"");
  expect_fail(wctr_json_check_keys(parse("{\"name\":\"a\",\"cmd\":[],\"image\":\"i\",\"cmd\":[]}"), "params",
                                   allowed, &e),
              &e, "params: duplicate key \"cmd\"");
  /* Same value twice is still two keys. */
  expect_fail(wctr_json_check_keys(parse("{\"image\":1,\"image\":1}"), "params", allowed, &e), &e,
              "params: duplicate key \"image\"");
  /* The first problem in document order is the one reported. */
  expect_fail(wctr_json_check_keys(parse("{\"x\":1,\"name\":1,\"name\":2}"), "params", allowed, &e), &e,
              "params: unknown key \"x\"");
  expect_fail(wctr_json_check_keys(parse("{\"name\":1,\"name\":2,\"x\":1}"), "params", allowed, &e), &e,
              "params: duplicate key \"name\"");
}

static void test_check_keys_not_object(void **state) {
  (void)state;
  wctr_errmsg e;
  expect_fail(wctr_json_check_keys(parse("[]"), "params", allowed, &e), &e,
              "params must be an object, not an array");
  expect_fail(wctr_json_check_keys(parse("\"x\""), "params", allowed, &e), &e,
              "params must be an object, not a string");
  expect_fail(wctr_json_check_keys(parse("3"), "params", allowed, &e), &e,
              "params must be an object, not a number");
  expect_fail(wctr_json_check_keys(parse("null"), "params", allowed, &e), &e,
              "params must be an object, not null");
}

/* --- printing ---------------------------------------------------------------------------------- */

static void test_print(void **state) {
  (void)state;
  const cJSON *o = parse("{ \"a\" : 1, \"b\" : [ true, null, \"x\\\"y\" ], \"c\" : { } }");
  char *text = wctr_json_print(o);
  assert_non_null(text);
  assert_string_equal(text, "{\"a\":1,\"b\":[true,null,\"x\\\"y\"],\"c\":{}}");
  cJSON_free(text);
}

/* A tree whose strings hold bytes that are not UTF-8 (a value read from a file, a cut message) prints as
 * valid JSON and valid UTF-8: each such byte is the escape of U+FFFD (strict readers refuse anything else). */
static void test_print_is_utf8_whatever_the_strings_hold(void **state) {
  (void)state;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "k\xff", "a\xc0\xaf" "b\xe2\x82");
  cJSON_AddStringToObject(o, "ok", "caf\xc3\xa9 \x01");
  char *text = wctr_json_print(o);
  cJSON_Delete(o);
  assert_non_null(text);
  assert_string_equal(text, "{\"k\\ufffd\":\"a\\ufffd\\ufffdb\\ufffd\\ufffd\",\"ok\":\"caf\xc3\xa9 \\u0001\"}");
  cJSON *back = cJSON_Parse(text);
  assert_non_null(back);
  assert_string_equal(cJSON_GetObjectItem(back, "k\xef\xbf\xbd")->valuestring,
                      "a\xef\xbf\xbd\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
  cJSON_Delete(back);
  cJSON_free(text);
}

static void test_put(void **state) {
  (void)state;
  cJSON *o = cJSON_CreateObject();
  assert_non_null(o);
  assert_true(wctr_json_put(o, "a", cJSON_CreateNumber(1)));
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "a")->valueint, 1);
  /* an item that could not be made: false, and nothing added */
  assert_false(wctr_json_put(o, "b", NULL));
  assert_null(cJSON_GetObjectItemCaseSensitive(o, "b"));
  /* an item that cannot be added (no object to add it to) is freed: the sanitizers see no leak */
  assert_false(wctr_json_put(NULL, "c", cJSON_CreateString("freed")));
  cJSON_Delete(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_type_names, teardown),
      cmocka_unit_test_teardown(test_string_present, teardown),
      cmocka_unit_test_teardown(test_string_missing, teardown),
      cmocka_unit_test_teardown(test_string_wrong_type, teardown),
      cmocka_unit_test_teardown(test_string_where_and_message_example, teardown),
      cmocka_unit_test_teardown(test_bool, teardown),
      cmocka_unit_test_teardown(test_int64_present, teardown),
      cmocka_unit_test_teardown(test_int64_bounds_inclusive, teardown),
      cmocka_unit_test_teardown(test_int64_fractions, teardown),
      cmocka_unit_test_teardown(test_int64_huge, teardown),
      cmocka_unit_test_teardown(test_int64_negative_zero, teardown),
      cmocka_unit_test_teardown(test_int64_2p53_edges, teardown),
      cmocka_unit_test_teardown(test_int64_missing_and_wrong_type, teardown),
      cmocka_unit_test_teardown(test_string_array, teardown),
      cmocka_unit_test_teardown(test_object, teardown),
      cmocka_unit_test_teardown(test_getter_on_non_object, teardown),
      cmocka_unit_test_teardown(test_check_keys_ok, teardown),
      cmocka_unit_test_teardown(test_check_keys_unknown, teardown),
      cmocka_unit_test_teardown(test_check_keys_duplicate, teardown),
      cmocka_unit_test_teardown(test_check_keys_not_object, teardown),
      cmocka_unit_test_teardown(test_print, teardown),
      cmocka_unit_test(test_put),
      cmocka_unit_test_teardown(test_print_is_utf8_whatever_the_strings_hold, teardown),
  };
  return cmocka_run_group_tests_name("common/json", tests, NULL, NULL);
}
