/* tests/common/test_proto.c - common/proto.h: request parsing and refusals, response building and
 * reading back.
 *
 * Every message is handed to the parser in a malloc'ed buffer of exactly its length with no NUL after
 * it, as a pipe read delivers it, so AddressSanitizer sees any read past the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "common/proto.h"

#define MAX_ID 9007199254740991LL
#define OP_RULE "request: \"op\" must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-'"

/* --- helpers ----------------------------------------------------------------------------------- */

static wctr_request req;
static char *copy;
static char *big;       /* a large message of one test, freed by teardown even when the test fails */
static char *formatted; /* the last message a builder returned, likewise */

/* Owns a builder's result until the next one or the end of the test. */
static char *keep(char *text) {
  cJSON_free(formatted);
  formatted = text;
  return text;
}

static int teardown(void **state) {
  (void)state;
  wctr_request_free(&req);
  free(copy);
  copy = NULL;
  free(big);
  big = NULL;
  keep(NULL);
  return 0;
}

static wctr_err parse_bytes(const char *bytes, size_t len, wctr_errmsg *e) {
  wctr_request_free(&req);
  free(copy);
  copy = malloc(len > 0 ? len : 1);
  assert_non_null(copy);
  memcpy(copy, bytes, len);
  wctr_errmsg_clear(e);
  return wctr_request_parse(copy, len, &req, e);
}

static wctr_err parse_text(const char *text, wctr_errmsg *e) {
  return parse_bytes(text, strlen(text), e);
}

static void expect_ok(const char *text) {
  wctr_errmsg e;
  wctr_err err = parse_text(text, &e);
  if (err != WCTR_OK) fail_msg("refused (%s: %s): %s", wctr_err_name(err), e.text, text);
  assert_true(req.has_id);
  assert_non_null(req.op);
  assert_non_null(req.root);
}

/* A refusal: code, exact message, and whether the id can still be echoed. */
static void expect_refused_bytes(const char *bytes, size_t len, wctr_err code, const char *message,
                                 bool has_id, int64_t id) {
  wctr_errmsg e;
  wctr_err err = parse_bytes(bytes, len, &e);
  if (err == WCTR_OK) fail_msg("accepted: %.*s", (int)len, bytes);
  assert_int_equal(err, code);
  assert_int_equal(e.code, code);
  assert_string_equal(e.text, message);
  assert_int_equal(req.has_id, has_id);
  if (has_id) assert_int_equal(req.id, id);
  assert_null(req.op);
  assert_null(req.params);
}

static void expect_refused(const char *text, const char *message, bool has_id, int64_t id) {
  expect_refused_bytes(text, strlen(text), WCTR_EPROTO, message, has_id, id);
}

/* --- valid requests ---------------------------------------------------------------------------- */

static void test_valid_without_params(void **state) {
  (void)state;
  expect_ok("{\"v\":1,\"id\":7,\"op\":\"container.list\"}");
  assert_int_equal(req.id, 7);
  assert_string_equal(req.op, "container.list");
  assert_null(req.params);
}

static void test_valid_with_params(void **state) {
  (void)state;
  expect_ok(
      "{\"v\":1,\"id\":12,\"op\":\"container.create\",\"params\":{\"name\":\"web\",\"cmd\":[\"cmd\",\"/"
      "c\"]}}");
  assert_int_equal(req.id, 12);
  assert_string_equal(req.op, "container.create");
  assert_non_null(req.params);
  assert_true(cJSON_IsObject(req.params));
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(req.params, "name")->valuestring, "web");
  /* op and params live in the tree the request owns. */
  assert_ptr_equal(req.params, cJSON_GetObjectItemCaseSensitive(req.root, "params"));
  assert_ptr_equal(req.op, cJSON_GetObjectItemCaseSensitive(req.root, "op")->valuestring);

  expect_ok("{\"v\":1,\"id\":1,\"op\":\"ping\",\"params\":{}}");
  assert_non_null(req.params);
  assert_null(req.params->child);
}

static void test_valid_id_edges(void **state) {
  (void)state;
  expect_ok("{\"v\":1,\"id\":0,\"op\":\"ping\"}");
  assert_int_equal(req.id, 0);
  expect_ok("{\"v\":1,\"id\":9007199254740991,\"op\":\"ping\"}");
  assert_int_equal(req.id, MAX_ID);
  /* Other spellings of an integer are integers. */
  expect_ok("{\"v\":1,\"id\":-0,\"op\":\"ping\"}");
  assert_int_equal(req.id, 0);
  expect_ok("{\"v\":1,\"id\":3.0,\"op\":\"ping\"}");
  assert_int_equal(req.id, 3);
  expect_ok("{\"v\":1,\"id\":1e3,\"op\":\"ping\"}");
  assert_int_equal(req.id, 1000);
}

static void test_valid_layout(void **state) {
  (void)state;
  /* Key order and white space around the value do not matter. */
  expect_ok(" \t\r\n{ \"op\" : \"ping\" ,\n \"id\" : 5 , \"v\" : 1 }\r\n\t ");
  assert_int_equal(req.id, 5);
  assert_string_equal(req.op, "ping");
  expect_ok("{\"params\":{\"a\":1},\"op\":\"x\",\"v\":1,\"id\":2}");
  assert_int_equal(req.id, 2);
}

static void test_valid_op_names(void **state) {
  (void)state;
  expect_ok("{\"v\":1,\"id\":1,\"op\":\"a\"}");
  expect_ok("{\"v\":1,\"id\":1,\"op\":\"abcdefghijklmnopqrstuvwxyz0123456789._-\"}");
  expect_ok("{\"v\":1,\"id\":1,\"op\":\"-._9\"}");
  /* Exactly 64 characters. */
  char text[256];
  char op[WCTR_PROTO_MAX_OP + 1];
  memset(op, 'o', WCTR_PROTO_MAX_OP);
  op[WCTR_PROTO_MAX_OP] = '\0';
  snprintf(text, sizeof text, "{\"v\":1,\"id\":1,\"op\":\"%s\"}", op);
  expect_ok(text);
  assert_string_equal(req.op, op);
}

/* What the client builds, the server reads. */
static void test_request_format_round_trip(void **state) {
  (void)state;
  const int64_t ids[] = {0, 1, 42, 4503599627370496LL, 4503599627370499LL, MAX_ID - 1, MAX_ID};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    cJSON *params = cJSON_CreateObject();
    assert_non_null(cJSON_AddStringToObject(params, "name", "web"));
    size_t len = 0;
    char *text = keep(wctr_request_format(ids[i], "container.start", params, &len));
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    wctr_errmsg e;
    wctr_err err = parse_bytes(text, len, &e);
    if (err != WCTR_OK) fail_msg("%s refused: %s", text, e.text);
    if (req.id != ids[i]) fail_msg("id %lld was sent as %s", (long long)ids[i], text);
    assert_string_equal(req.op, "container.start");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(req.params, "name")->valuestring, "web");
  }
  size_t len = 0;
  char *text = keep(wctr_request_format(9, "ping", NULL, &len));
  assert_non_null(text);
  assert_string_equal(text, "{\"v\":1,\"id\":9,\"op\":\"ping\"}");
  assert_int_equal(len, strlen(text));
}

/* --- refusals: the message as a whole ---------------------------------------------------------- */

static void test_refuse_not_json(void **state) {
  (void)state;
  expect_refused("{", "request is not valid JSON", false, 0);
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"", "request is not valid JSON", false, 0);
  expect_refused("{v:1,id:1,op:\"ping\"}", "request is not valid JSON", false, 0);
  expect_refused("{\"v\":1,\"id\":1,\"op\":'ping'}", "request is not valid JSON", false, 0);
  expect_refused("hello", "request is not valid JSON", false, 0);
  expect_refused("   ", "request is not valid JSON", false, 0);
  expect_refused_bytes("", 0, WCTR_EPROTO, "request is not valid JSON", false, 0);
}

static void test_refuse_trailing_garbage(void **state) {
  (void)state;
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"} x", "request is not valid JSON", false, 0);
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"}}", "request is not valid JSON", false, 0);
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"},", "request is not valid JSON", false, 0);
  /* Form feed and vertical tab are not JSON white space. */
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"}\f", "request is not valid JSON", false, 0);
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"}\v", "request is not valid JSON", false, 0);
}

static void test_refuse_two_values(void **state) {
  (void)state;
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"}{\"v\":1,\"id\":2,\"op\":\"ping\"}",
                 "request is not valid JSON", false, 0);
  expect_refused("{\"v\":1,\"id\":1,\"op\":\"ping\"}\n{\"v\":1,\"id\":2,\"op\":\"ping\"}",
                 "request is not valid JSON", false, 0);
  expect_refused("1 2", "request is not valid JSON", false, 0);
}

static void test_refuse_not_object(void **state) {
  (void)state;
  expect_refused("[{\"v\":1,\"id\":1,\"op\":\"ping\"}]", "request must be a JSON object, not an array", false,
                 0);
  expect_refused("\"ping\"", "request must be a JSON object, not a string", false, 0);
  expect_refused("42", "request must be a JSON object, not a number", false, 0);
  expect_refused("true", "request must be a JSON object, not a boolean", false, 0);
  expect_refused("null", "request must be a JSON object, not null", false, 0);
}

/* --- refusals: the id -------------------------------------------------------------------------- */

static void test_refuse_bad_id(void **state) {
  (void)state;
  expect_refused("{\"v\":1,\"op\":\"ping\"}", "request: \"id\" is required", false, 0);
  expect_refused("{\"v\":1,\"id\":-1,\"op\":\"ping\"}",
                 "request: \"id\" must be between 0 and 9007199254740991", false, 0);
  expect_refused("{\"v\":1,\"id\":1.5,\"op\":\"ping\"}", "request: \"id\" must be an integer, not a number",
                 false, 0);
  expect_refused("{\"v\":1,\"id\":9007199254740992,\"op\":\"ping\"}",
                 "request: \"id\" must be between 0 and 9007199254740991", false, 0);
  expect_refused("{\"v\":1,\"id\":1e300,\"op\":\"ping\"}",
                 "request: \"id\" must be between 0 and 9007199254740991", false, 0);
  expect_refused("{\"v\":1,\"id\":\"7\",\"op\":\"ping\"}", "request: \"id\" must be an integer, not a string",
                 false, 0);
  expect_refused("{\"v\":1,\"id\":null,\"op\":\"ping\"}", "request: \"id\" must be an integer, not null",
                 false, 0);
  expect_refused("{\"v\":1,\"id\":[7],\"op\":\"ping\"}", "request: \"id\" must be an integer, not an array",
                 false, 0);
  /* A bad id wins over every later problem: nothing else can be answered to. */
  expect_refused("{\"v\":2,\"id\":\"7\",\"op\":\"PING\",\"x\":1}",
                 "request: \"id\" must be an integer, not a string", false, 0);
}

/* --- refusals: v, op, params, keys (the id is known and echoed) -------------------------------- */

static void test_refuse_bad_version(void **state) {
  (void)state;
  expect_refused("{\"id\":3,\"op\":\"ping\"}", "request: \"v\" is required", true, 3);
  expect_refused("{\"v\":2,\"id\":3,\"op\":\"ping\"}",
                 "request: protocol version 2 is not supported (wctrd speaks 1)", true, 3);
  expect_refused("{\"v\":0,\"id\":3,\"op\":\"ping\"}",
                 "request: protocol version 0 is not supported (wctrd speaks 1)", true, 3);
  expect_refused("{\"v\":\"1\",\"id\":3,\"op\":\"ping\"}", "request: \"v\" must be an integer, not a string",
                 true, 3);
  expect_refused("{\"v\":1.5,\"id\":3,\"op\":\"ping\"}", "request: \"v\" must be an integer, not a number",
                 true, 3);
  expect_refused("{\"v\":-1,\"id\":3,\"op\":\"ping\"}", "request: \"v\" must be between 0 and 2147483647",
                 true, 3);
}

static void test_refuse_bad_op(void **state) {
  (void)state;
  expect_refused("{\"v\":1,\"id\":4}", "request: \"op\" is required", true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\"Container.list\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\"PING\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\"container list\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\" ping\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\"\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\"ping/x\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\"p\\u00e9ng\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":\"ping\\n\"}", OP_RULE, true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":7}", "request: \"op\" must be a string, not a number", true, 4);
  expect_refused("{\"v\":1,\"id\":4,\"op\":null}", "request: \"op\" must be a string, not null", true, 4);
  /* 65 characters. */
  char text[256];
  char op[WCTR_PROTO_MAX_OP + 2];
  memset(op, 'o', WCTR_PROTO_MAX_OP + 1);
  op[WCTR_PROTO_MAX_OP + 1] = '\0';
  snprintf(text, sizeof text, "{\"v\":1,\"id\":4,\"op\":\"%s\"}", op);
  expect_refused(text, OP_RULE, true, 4);
}

/* An escaped NUL cuts the C string short: "ping\u0000evil" must not be served as "ping". */
static void test_refuse_op_with_escaped_nul(void **state) {
  (void)state;
  wctr_errmsg e;
  const char *text = "{\"v\":1,\"id\":4,\"op\":\"ping\\u0000evil\"}";
  wctr_err err = parse_text(text, &e);
  if (err == WCTR_OK) fail_msg("accepted as op \"%s\": %s", req.op, text);
  assert_int_equal(err, WCTR_EPROTO);
  assert_int_equal(e.code, WCTR_EPROTO);
  assert_true(e.text[0] != '\0');
  assert_null(req.op);
}

static void test_refuse_bad_params(void **state) {
  (void)state;
  expect_refused("{\"v\":1,\"id\":5,\"op\":\"ping\",\"params\":[]}",
                 "request: \"params\" must be an object, not an array", true, 5);
  expect_refused("{\"v\":1,\"id\":5,\"op\":\"ping\",\"params\":\"{}\"}",
                 "request: \"params\" must be an object, not a string", true, 5);
  expect_refused("{\"v\":1,\"id\":5,\"op\":\"ping\",\"params\":null}",
                 "request: \"params\" must be an object, not null", true, 5);
  expect_refused("{\"v\":1,\"id\":5,\"op\":\"ping\",\"params\":1}",
                 "request: \"params\" must be an object, not a number", true, 5);
}

static void test_refuse_unknown_key(void **state) {
  (void)state;
  expect_refused("{\"v\":1,\"id\":6,\"op\":\"ping\",\"extra\":true}", "request: unknown key \"extra\"", true,
                 6);
  expect_refused("{\"v\":1,\"id\":6,\"op\":\"ping\",\"Params\":{}}", "request: unknown key \"Params\"", true,
                 6);
  expect_refused("{\"V\":1,\"id\":6,\"op\":\"ping\"}", "request: unknown key \"V\"", true, 6);
  expect_refused("{\"v\":1,\"id\":6,\"op\":\"ping\",\"result\":1}", "request: unknown key \"result\"", true,
                 6);
}

static void test_refuse_duplicate_key(void **state) {
  (void)state;
  expect_refused("{\"v\":1,\"id\":8,\"op\":\"ping\",\"op\":\"container.rm\"}",
                 "request: duplicate key \"op\"", true, 8);
  expect_refused("{\"v\":1,\"v\":1,\"id\":8,\"op\":\"ping\"}", "request: duplicate key \"v\"", true, 8);
  expect_refused("{\"v\":1,\"id\":8,\"op\":\"ping\",\"params\":{},\"params\":{}}",
                 "request: duplicate key \"params\"", true, 8);
  /* Two ids: refused; which one is echoed is not specified. */
  wctr_errmsg e;
  assert_int_equal(parse_text("{\"v\":1,\"id\":8,\"id\":9,\"op\":\"ping\"}", &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request: duplicate key \"id\"");
  assert_null(req.op);
}

/* --- size -------------------------------------------------------------------------------------- */

/* A valid request of exactly size bytes in big: the op, then a string param padded to fit. */
static const char pad_head[] = "{\"v\":1,\"id\":77,\"op\":\"ping\",\"params\":{\"pad\":\"";
static const char pad_tail[] = "\"}}";
#define PAD_FIXED (sizeof pad_head - 1 + sizeof pad_tail - 1)

static void request_of_size(size_t size) {
  assert_true(size > PAD_FIXED);
  free(big);
  big = malloc(size);
  assert_non_null(big);
  memcpy(big, pad_head, sizeof pad_head - 1);
  memset(big + sizeof pad_head - 1, 'p', size - PAD_FIXED);
  memcpy(big + size - (sizeof pad_tail - 1), pad_tail, sizeof pad_tail - 1);
}

static void test_size_limit_exact(void **state) {
  (void)state;
  wctr_errmsg e;
  request_of_size(WCTR_PROTO_MAX_REQUEST);
  wctr_err err = parse_bytes(big, WCTR_PROTO_MAX_REQUEST, &e);
  if (err != WCTR_OK) fail_msg("a request of exactly the limit was refused: %s", e.text);
  assert_int_equal(req.id, 77);
  const cJSON *pad = cJSON_GetObjectItemCaseSensitive(req.params, "pad");
  assert_non_null(pad);
  assert_int_equal(strlen(pad->valuestring), WCTR_PROTO_MAX_REQUEST - PAD_FIXED);

  /* Same size, padded with white space after the value instead. */
  static const char small[] = "{\"v\":1,\"id\":78,\"op\":\"ping\"}";
  memset(big, ' ', WCTR_PROTO_MAX_REQUEST);
  memcpy(big, small, sizeof small - 1);
  err = parse_bytes(big, WCTR_PROTO_MAX_REQUEST, &e);
  if (err != WCTR_OK) fail_msg("a space-padded request of exactly the limit was refused: %s", e.text);
  assert_int_equal(req.id, 78);
}

static void test_size_limit_one_more(void **state) {
  (void)state;
  wctr_errmsg e;
  request_of_size(WCTR_PROTO_MAX_REQUEST + 1);
  expect_refused_bytes(big, WCTR_PROTO_MAX_REQUEST + 1, WCTR_ETOOBIG,
                       "request of 1048577 bytes is larger than the limit of 1048576 bytes", false, 0);
  /* Refused without parsing: there is no tree, so not even the id was read. */
  assert_null(req.root);

  /* Far larger: the same answer. */
  const size_t huge = 3u * WCTR_PROTO_MAX_REQUEST;
  request_of_size(huge);
  assert_int_equal(parse_bytes(big, huge, &e), WCTR_ETOOBIG);
  assert_string_equal(e.text, "request of 3145728 bytes is larger than the limit of 1048576 bytes");
  assert_false(req.has_id);
  assert_null(req.root);
}

/* --- NUL bytes --------------------------------------------------------------------------------- */

/* A NUL byte is not JSON. Inside a string it would make the C string shorter than what was sent:
 * "ping\0evil" would be served as op "ping". */
static void test_refuse_nul_in_string(void **state) {
  (void)state;
  static const char text[] = "{\"v\":1,\"id\":9,\"op\":\"ping\0evil\"}";
  wctr_errmsg e;
  wctr_err err = parse_bytes(text, sizeof text - 1, &e);
  if (err == WCTR_OK) fail_msg("a request with a NUL byte in \"op\" was accepted as op \"%s\"", req.op);
  assert_int_equal(err, WCTR_EPROTO);
  assert_null(req.op);
  if (strstr(e.text, "NUL") == NULL && strstr(e.text, "not valid JSON") == NULL) {
    fail_msg("the message does not name the problem: %s", e.text);
  }
}

static void test_refuse_nul_elsewhere(void **state) {
  (void)state;
  wctr_errmsg e;
  static const char after[] = "{\"v\":1,\"id\":9,\"op\":\"ping\"}\0";
  assert_int_equal(parse_bytes(after, sizeof after - 1, &e), WCTR_EPROTO);
  assert_null(req.op);
  assert_false(req.has_id);
  static const char before[] = "\0{\"v\":1,\"id\":9,\"op\":\"ping\"}";
  assert_int_equal(parse_bytes(before, sizeof before - 1, &e), WCTR_EPROTO);
  assert_null(req.op);
  assert_false(req.has_id);
  static const char in_key[] = "{\"v\":1,\"id\":9,\"op\":\"ping\",\"par\0ams\":{}}";
  assert_int_equal(parse_bytes(in_key, sizeof in_key - 1, &e), WCTR_EPROTO);
  assert_null(req.op);
}

static void test_request_free(void **state) {
  (void)state;
  expect_ok("{\"v\":1,\"id\":1,\"op\":\"ping\",\"params\":{}}");
  wctr_request_free(&req);
  assert_null(req.root);
  assert_null(req.op);
  assert_null(req.params);
  assert_false(req.has_id);
  wctr_request_free(&req); /* twice is harmless */
  wctr_request_free(NULL);
}

static wctr_err read_response(const char *text, size_t len, int64_t expect_id, cJSON **result, wctr_errmsg *e);

/* --- strings from outside ----------------------------------------------------------------------------- */

/* Invalid UTF-8 was echoed raw into responses and audit.jsonl, which strict JSON readers then refused.
 * Every string and key of a request is checked, and the refusal names the field (never echoing its
 * bytes). */
static void test_refuse_invalid_utf8_naming_the_field(void **state) {
  (void)state;
  wctr_errmsg e;
  static const char in_value[] = "{\"v\":1,\"id\":4,\"op\":\"container.create\",\"params\":{\"Labels\":{\"team\":\"a\xff\"}}}";
  assert_int_equal(parse_bytes(in_value, sizeof in_value - 1, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request.params.Labels.team is not valid UTF-8");
  assert_true(req.has_id); /* the client can still match the refusal to its request */
  assert_int_equal(req.id, 4);
  static const char in_array[] = "{\"v\":1,\"id\":5,\"op\":\"container.create\",\"params\":{\"Cmd\":[\"cmd\",\"\xc0\xaf\"]}}";
  assert_int_equal(parse_bytes(in_array, sizeof in_array - 1, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request.params.Cmd[1] is not valid UTF-8");
  static const char in_key[] = "{\"v\":1,\"id\":6,\"op\":\"container.create\",\"params\":{\"Labels\":{\"ok\":\"1\",\"k\xed\xa0\x80\":\"x\"}}}";
  assert_int_equal(parse_bytes(in_key, sizeof in_key - 1, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request.params.Labels: key 1 is not valid UTF-8");
  static const char shown_key[] = "{\"v\":1,\"id\":7,\"op\":\"x\",\"params\":{\"Labels\":{\"a.b c\":\"\xf4\x90\x80\x80\"}}}";
  assert_int_equal(parse_bytes(shown_key, sizeof shown_key - 1, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request.params.Labels[\"a.b c\"] is not valid UTF-8");
  static const char cut[] = "{\"v\":1,\"id\":8,\"op\":\"x\",\"params\":{\"Name\":\"\xe2\x82\"}}";
  assert_int_equal(parse_bytes(cut, sizeof cut - 1, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request.params.Name is not valid UTF-8");
  /* The message itself is UTF-8 and carries none of the bytes sent. */
  assert_null(strchr(e.text, '\xe2'));
}

static void test_valid_utf8_and_escapes_are_accepted(void **state) {
  (void)state;
  expect_ok("{\"v\":1,\"id\":1,\"op\":\"x\",\"params\":{\"Labels\":{\"caf\xc3\xa9\":\"\xf0\x9f\x90\xb3 \\u00e9 \\ud83d\\udc33 \\n\\t\\u0001\"}}}");
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(req.params, "Labels");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, "caf\xc3\xa9");
  assert_true(cJSON_IsString(v));
  assert_string_equal(v->valuestring, "\xf0\x9f\x90\xb3 \xc3\xa9 \xf0\x9f\x90\xb3 \n\t\x01");
}

/* A raw control character inside a string is not JSON; cJSON took it, and a record written from such a
 * request grew six-fold (each one written back as \u00XX). */
static void test_refuse_raw_control_characters_in_strings(void **state) {
  (void)state;
  wctr_errmsg e;
  static const char raw[] = "{\"v\":1,\"id\":3,\"op\":\"x\",\"params\":{\"Labels\":{\"a\":\"x\x01y\"}}}";
  assert_int_equal(parse_bytes(raw, sizeof raw - 1, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request: a string holds the raw control character 0x01 (at byte 49); JSON requires it "
                              "escaped as \\u0001");
  assert_true(req.has_id);
  static const char newline[] = "{\"v\":1,\"id\":3,\"op\":\"x\",\"params\":{\"Cmd\":[\"a\nb\"]}}";
  assert_int_equal(parse_bytes(newline, sizeof newline - 1, &e), WCTR_EPROTO);
  assert_non_null(strstr(e.text, "0x0A"));
  /* Between tokens, white space is JSON's own: accepted. An escaped quote does not end the string. */
  expect_ok("{\r\n\t\"v\": 1,\n \"id\": 3, \"op\": \"x\", \"params\": {\"a\": \"q\\\"\\\\\"}}\n");
  static const char after_escape[] = "{\"v\":1,\"id\":3,\"op\":\"x\",\"params\":{\"a\":\"\\\\\x02\"}}";
  assert_int_equal(parse_bytes(after_escape, sizeof after_escape - 1, &e), WCTR_EPROTO);
  assert_non_null(strstr(e.text, "0x02"));
}

/* What wctrd writes back is UTF-8 whatever a result holds (a value read from a file, a cut message). */
static void test_responses_are_utf8_whatever_they_carry(void **state) {
  (void)state;
  cJSON *result = cJSON_CreateObject();
  cJSON_AddStringToObject(result, "Name", "bad\xff\xfe end \xe2\x82");
  size_t len = 0;
  char *text = keep(wctr_response_format_result(true, 5, result, &len));
  assert_non_null(text);
  assert_true(wctr_proto_text_ok(text, len));
  cJSON *back;
  wctr_errmsg e;
  assert_int_equal(read_response(text, len, 5, &back, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItem(back, "Name")->valuestring,
                      "bad\xef\xbf\xbd\xef\xbf\xbd end \xef\xbf\xbd\xef\xbf\xbd");
  cJSON_Delete(back);
  text = keep(wctr_response_format_error(true, 6, WCTR_EINVAL, "no such \xc0 thing", &len));
  assert_non_null(text);
  assert_true(wctr_proto_text_ok(text, len));
}

/* --- responses --------------------------------------------------------------------------------- */

/* Parses a response from an exact-size copy. */
static wctr_err read_response(const char *text, size_t len, int64_t expect_id, cJSON **result,
                              wctr_errmsg *e) {
  char *buf = malloc(len > 0 ? len : 1);
  assert_non_null(buf);
  memcpy(buf, text, len);
  wctr_errmsg_clear(e);
  *result = (cJSON *)(uintptr_t)1; /* must be reset to NULL on failure */
  wctr_err err = wctr_response_parse(buf, len, expect_id, result, e);
  free(buf);
  return err;
}

static void expect_malformed(const char *text, int64_t expect_id, const char *message) {
  cJSON *result;
  wctr_errmsg e;
  wctr_err err = read_response(text, strlen(text), expect_id, &result, &e);
  if (err != WCTR_EPROTO) fail_msg("read as %s (%s): %s", wctr_err_name(err), e.text, text);
  assert_int_equal(e.code, WCTR_EPROTO);
  assert_string_equal(e.text, message);
  assert_null(result);
}

static void test_response_result_round_trip(void **state) {
  (void)state;
  cJSON *result = cJSON_CreateObject();
  assert_non_null(cJSON_AddTrueToObject(result, "running"));
  assert_non_null(cJSON_AddStringToObject(result, "name", "web"));
  size_t len = 0;
  char *text = keep(wctr_response_format_result(true, 42, result, &len));
  assert_non_null(text);
  assert_string_equal(text, "{\"v\":1,\"id\":42,\"result\":{\"running\":true,\"name\":\"web\"}}");
  assert_int_equal(len, strlen(text));

  cJSON *back;
  wctr_errmsg e;
  assert_int_equal(read_response(text, len, 42, &back, &e), WCTR_OK);
  assert_non_null(back);
  char *printed = cJSON_PrintUnformatted(back);
  assert_string_equal(printed, "{\"running\":true,\"name\":\"web\"}");
  cJSON_free(printed);
  cJSON_Delete(back);
}

static void test_response_null_result(void **state) {
  (void)state;
  size_t len = 0;
  char *text = keep(wctr_response_format_result(true, 0, NULL, &len));
  assert_non_null(text);
  assert_string_equal(text, "{\"v\":1,\"id\":0,\"result\":null}");
  cJSON *back;
  wctr_errmsg e;
  assert_int_equal(read_response(text, len, 0, &back, &e), WCTR_OK);
  assert_non_null(back);
  assert_true(cJSON_IsNull(back));
  cJSON_Delete(back);
}

/* Every id a request may carry is echoed exactly; near 2^53 a 15-digit rendering would change it. */
static void test_response_id_round_trip(void **state) {
  (void)state;
  const int64_t ids[] = {
      0,          1,     1000000000000001LL, 4503599627370496LL, 4503599627370499LL, 9007199254740989LL,
      MAX_ID - 1, MAX_ID};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    size_t len = 0;
    char *text = keep(wctr_response_format_result(true, ids[i], cJSON_CreateTrue(), &len));
    assert_non_null(text);
    char want[128];
    snprintf(want, sizeof want, "{\"v\":1,\"id\":%lld,\"result\":true}", (long long)ids[i]);
    if (strcmp(text, want) != 0) fail_msg("id %lld formatted as %s", (long long)ids[i], text);
    cJSON *back;
    wctr_errmsg e;
    wctr_err err = read_response(text, len, ids[i], &back, &e);
    if (err != WCTR_OK) fail_msg("id %lld: %s", (long long)ids[i], e.text);
    cJSON_Delete(back);

    text = keep(wctr_response_format_error(true, ids[i], WCTR_ENOENT, "gone", &len));
    assert_non_null(text);
    snprintf(want, sizeof want,
             "{\"v\":1,\"id\":%lld,\"error\":{\"code\":\"not_found\",\"message\":\"gone\"}}",
             (long long)ids[i]);
    if (strcmp(text, want) != 0) fail_msg("id %lld formatted as %s", (long long)ids[i], text);
  }
}

static void test_response_error_known_codes(void **state) {
  (void)state;
  size_t len = 0;
  char *text = keep(wctr_response_format_error(true, 5, WCTR_ENOENT, "container \"web\" not found", &len));
  assert_non_null(text);
  assert_string_equal(text,
                      "{\"v\":1,\"id\":5,\"error\":{\"code\":\"not_found\",\"message\":\"container "
                      "\\\"web\\\" not found\"}}");
  assert_int_equal(len, strlen(text));
  cJSON *back;
  wctr_errmsg e;
  assert_int_equal(read_response(text, len, 5, &back, &e), WCTR_ENOENT);
  assert_int_equal(e.code, WCTR_ENOENT);
  assert_string_equal(e.text, "container \"web\" not found");
  assert_null(back);

  /* Every failure code survives the trip; success is not an error code and reads as internal. */
  for (int code = 0; code < (int)WCTR__ERR_COUNT; code++) {
    text = keep(wctr_response_format_error(true, 6, (wctr_err)code, "why", &len));
    assert_non_null(text);
    wctr_err want = code == WCTR_OK ? WCTR_EINTERNAL : (wctr_err)code;
    wctr_err got = read_response(text, len, 6, &back, &e);
    if (got != want) fail_msg("%s read back as %s", wctr_err_name((wctr_err)code), wctr_err_name(got));
    assert_int_equal(e.code, want);
    assert_string_equal(e.text, "why");
    assert_null(back);
  }
}

static void test_response_error_default_message(void **state) {
  (void)state;
  size_t len = 0;
  char *text = keep(wctr_response_format_error(true, 5, WCTR_EACCES, NULL, &len));
  assert_non_null(text);
  assert_string_equal(
      text, "{\"v\":1,\"id\":5,\"error\":{\"code\":\"access_denied\",\"message\":\"access denied\"}}");
  /* A code outside the enum goes out as "internal". */
  text = keep(wctr_response_format_error(true, 5, WCTR__ERR_COUNT, NULL, &len));
  assert_non_null(text);
  assert_string_equal(text,
                      "{\"v\":1,\"id\":5,\"error\":{\"code\":\"internal\",\"message\":\"unknown error\"}}");
  cJSON *back;
  wctr_errmsg e;
  assert_int_equal(read_response(text, len, 5, &back, &e), WCTR_EINTERNAL);
}

static void test_response_error_unknown_code(void **state) {
  (void)state;
  static const char *const texts[] = {
      "{\"v\":1,\"id\":3,\"error\":{\"code\":\"quantum_flux\",\"message\":\"boom\"}}",
      "{\"v\":1,\"id\":3,\"error\":{\"code\":\"ok\",\"message\":\"boom\"}}",
      "{\"v\":1,\"id\":3,\"error\":{\"code\":\"\",\"message\":\"boom\"}}",
      "{\"v\":1,\"id\":3,\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"boom\"}}",
  };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    cJSON *back;
    wctr_errmsg e;
    wctr_err err = read_response(texts[i], strlen(texts[i]), 3, &back, &e);
    if (err != WCTR_EINTERNAL) fail_msg("read as %s: %s", wctr_err_name(err), texts[i]);
    assert_int_equal(e.code, WCTR_EINTERNAL);
    assert_string_equal(e.text, "boom");
    assert_null(back);
  }
}

/* The service could not read the request's id: the error carries null and reaches any client. */
static void test_response_error_null_id(void **state) {
  (void)state;
  size_t len = 0;
  char *text = keep(wctr_response_format_error(false, 1234, WCTR_EPROTO, "request is not valid JSON", &len));
  assert_non_null(text);
  assert_string_equal(
      text,
      "{\"v\":1,\"id\":null,\"error\":{\"code\":\"bad_request\",\"message\":\"request is not valid JSON\"}}");
  cJSON *back;
  wctr_errmsg e;
  assert_int_equal(read_response(text, len, 77, &back, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "request is not valid JSON");
  assert_null(back);

  /* A result with a null id answers nobody. */
  text = keep(wctr_response_format_result(false, 77, cJSON_CreateTrue(), &len));
  assert_non_null(text);
  assert_string_equal(text, "{\"v\":1,\"id\":null,\"result\":true}");
  expect_malformed(text, 77, "the service answered another request (id mismatch)");
}

static void test_response_id_mismatch(void **state) {
  (void)state;
  size_t len = 0;
  char *text = keep(wctr_response_format_result(true, 8, cJSON_CreateTrue(), &len));
  assert_non_null(text);
  expect_malformed(text, 9, "the service answered another request (id mismatch)");
  expect_malformed(text, 0, "the service answered another request (id mismatch)");
  expect_malformed("{\"v\":1,\"result\":true}", 1, "the service answered another request (id mismatch)");
  expect_malformed("{\"v\":1,\"id\":\"1\",\"result\":true}", 1,
                   "the service answered another request (id mismatch)");
  expect_malformed("{\"v\":1,\"id\":1.5,\"result\":true}", 1,
                   "the service answered another request (id mismatch)");
}

/* An error with another request's id (or an id that is not an id) is not this request's error: it
 * must not be reported as if it were. Only null may stand for "the request could not be read". */
static void test_response_error_id_mismatch(void **state) {
  (void)state;
  size_t len = 0;
  char *text = keep(wctr_response_format_error(true, 8, WCTR_ENOENT, "container \"db\" not found", &len));
  assert_non_null(text);
  cJSON *back;
  wctr_errmsg e;
  wctr_err err = read_response(text, len, 9, &back, &e);
  if (err != WCTR_EPROTO)
    fail_msg("an error for request 8 was reported to request 9 as %s: %s", wctr_err_name(err), e.text);
  assert_null(back);

  static const char *const odd_ids[] = {
      "{\"v\":1,\"id\":\"9\",\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}",
      "{\"v\":1,\"id\":9.5,\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}",
      "{\"v\":1,\"error\":{\"code\":\"not_found\",\"message\":\"m\"}}",
  };
  for (size_t i = 0; i < sizeof odd_ids / sizeof odd_ids[0]; i++) {
    err = read_response(odd_ids[i], strlen(odd_ids[i]), 9, &back, &e);
    if (err != WCTR_EPROTO) fail_msg("read as %s: %s", wctr_err_name(err), odd_ids[i]);
    assert_null(back);
  }
}

static void test_response_malformed(void **state) {
  (void)state;
  expect_malformed("{\"v\":1,\"id\":1}", 1,
                   "malformed response from the service: no \"result\" and no \"error\"");
  expect_malformed("{\"v\":1,\"id\":1,\"result\":true,\"extra\":2}", 1,
                   "malformed response from the service: response: unknown key \"extra\"");
  expect_malformed("{\"v\":1,\"id\":1,\"result\":true,\"result\":false}", 1,
                   "malformed response from the service: response: duplicate key \"result\"");
  expect_malformed("{\"v\":2,\"id\":1,\"result\":true}", 1,
                   "the service speaks protocol version 2, this client 1");
  expect_malformed("{\"id\":1,\"result\":true}", 1,
                   "malformed response from the service: response: \"v\" is required");
  expect_malformed("{\"v\":\"1\",\"id\":1,\"result\":true}", 1,
                   "malformed response from the service: response: \"v\" must be an integer, not a string");
  expect_malformed("[1]", 1, "malformed response from the service: response must be an object, not an array");
  expect_malformed("", 1, "the service sent a response that is not one JSON value");
  expect_malformed("{\"v\":1,\"id\":1,\"result\":true", 1,
                   "the service sent a response that is not one JSON value");
  expect_malformed("{\"v\":1,\"id\":1,\"result\":true} {}", 1,
                   "the service sent a response that is not one JSON value");
  expect_malformed(
      "{\"v\":1,\"id\":1,\"error\":\"boom\"}", 1,
      "malformed error response from the service: response.error must be an object, not a string");
  expect_malformed("{\"v\":1,\"id\":1,\"error\":{\"code\":\"busy\"}}", 1,
                   "malformed error response from the service: response.error: \"message\" is required");
  expect_malformed("{\"v\":1,\"id\":1,\"error\":{\"message\":\"m\"}}", 1,
                   "malformed error response from the service: response.error: \"code\" is required");
  expect_malformed(
      "{\"v\":1,\"id\":1,\"error\":{\"code\":5,\"message\":\"m\"}}", 1,
      "malformed error response from the service: response.error: \"code\" must be a string, not a number");
  expect_malformed("{\"v\":1,\"id\":1,\"error\":{\"code\":\"busy\",\"message\":\"m\",\"detail\":1}}", 1,
                   "malformed error response from the service: response.error: unknown key \"detail\"");
}

/* One answer per response: both a result and an error is not a response. */
static void test_response_result_and_error(void **state) {
  (void)state;
  const char *text = "{\"v\":1,\"id\":1,\"result\":true,\"error\":{\"code\":\"busy\",\"message\":\"m\"}}";
  cJSON *back;
  wctr_errmsg e;
  wctr_err err = read_response(text, strlen(text), 1, &back, &e);
  if (err != WCTR_EPROTO) fail_msg("read as %s (%s): %s", wctr_err_name(err), e.text, text);
  assert_null(back);
}

static void test_response_size_limit(void **state) {
  (void)state;
  static const char small[] = "{\"v\":1,\"id\":2,\"result\":true}";
  big = malloc(WCTR_PROTO_MAX_RESPONSE + 1);
  assert_non_null(big);
  memset(big, ' ', WCTR_PROTO_MAX_RESPONSE + 1);
  memcpy(big, small, sizeof small - 1);
  cJSON *back;
  wctr_errmsg e;
  assert_int_equal(wctr_response_parse(big, WCTR_PROTO_MAX_RESPONSE, 2, &back, &e), WCTR_OK);
  assert_true(cJSON_IsTrue(back));
  cJSON_Delete(back);
  assert_int_equal(wctr_response_parse(big, WCTR_PROTO_MAX_RESPONSE + 1, 2, &back, &e), WCTR_EPROTO);
  assert_string_equal(e.text, "the service sent a response that is not one JSON value");
  assert_null(back);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_valid_without_params, teardown),
      cmocka_unit_test_teardown(test_valid_with_params, teardown),
      cmocka_unit_test_teardown(test_valid_id_edges, teardown),
      cmocka_unit_test_teardown(test_valid_layout, teardown),
      cmocka_unit_test_teardown(test_valid_op_names, teardown),
      cmocka_unit_test_teardown(test_request_format_round_trip, teardown),
      cmocka_unit_test_teardown(test_refuse_not_json, teardown),
      cmocka_unit_test_teardown(test_refuse_trailing_garbage, teardown),
      cmocka_unit_test_teardown(test_refuse_two_values, teardown),
      cmocka_unit_test_teardown(test_refuse_not_object, teardown),
      cmocka_unit_test_teardown(test_refuse_bad_id, teardown),
      cmocka_unit_test_teardown(test_refuse_bad_version, teardown),
      cmocka_unit_test_teardown(test_refuse_bad_op, teardown),
      cmocka_unit_test_teardown(test_refuse_op_with_escaped_nul, teardown),
      cmocka_unit_test_teardown(test_refuse_bad_params, teardown),
      cmocka_unit_test_teardown(test_refuse_unknown_key, teardown),
      cmocka_unit_test_teardown(test_refuse_duplicate_key, teardown),
      cmocka_unit_test_teardown(test_size_limit_exact, teardown),
      cmocka_unit_test_teardown(test_size_limit_one_more, teardown),
      cmocka_unit_test_teardown(test_refuse_nul_in_string, teardown),
      cmocka_unit_test_teardown(test_refuse_nul_elsewhere, teardown),
      cmocka_unit_test_teardown(test_request_free, teardown),
      cmocka_unit_test_teardown(test_refuse_invalid_utf8_naming_the_field, teardown),
      cmocka_unit_test_teardown(test_valid_utf8_and_escapes_are_accepted, teardown),
      cmocka_unit_test_teardown(test_refuse_raw_control_characters_in_strings, teardown),
      cmocka_unit_test_teardown(test_responses_are_utf8_whatever_they_carry, teardown),
      cmocka_unit_test_teardown(test_response_result_round_trip, teardown),
      cmocka_unit_test_teardown(test_response_null_result, teardown),
      cmocka_unit_test_teardown(test_response_id_round_trip, teardown),
      cmocka_unit_test_teardown(test_response_error_known_codes, teardown),
      cmocka_unit_test_teardown(test_response_error_default_message, teardown),
      cmocka_unit_test_teardown(test_response_error_unknown_code, teardown),
      cmocka_unit_test_teardown(test_response_error_null_id, teardown),
      cmocka_unit_test_teardown(test_response_id_mismatch, teardown),
      cmocka_unit_test_teardown(test_response_error_id_mismatch, teardown),
      cmocka_unit_test_teardown(test_response_malformed, teardown),
      cmocka_unit_test_teardown(test_response_result_and_error, teardown),
      cmocka_unit_test_teardown(test_response_size_limit, teardown),
  };
  return cmocka_run_group_tests_name("common/proto", tests, NULL, NULL);
}
