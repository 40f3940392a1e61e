/* tests/common/fuzz_request.c - libFuzzer harness of the pipe request parser.
 *
 * Whatever bytes arrive, the server must be able to answer: the request is either accepted with sane
 * fields or refused with a sentence, and the response built from that outcome must read back on the
 * client as the same id and code. A request the server accepts must also survive being rebuilt by the
 * client's own formatter; what is accepted is strict JSON text, and every answer is UTF-8. Any broken promise
 * aborts, which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/proto.h"
#include "common/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                          \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      fprintf(stderr, "fuzz_request: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                               \
    }                                                                                        \
  } while (0)

/* The id the client waits for when the server could not read one: the null-id error must reach it,
 * whatever id it was. */
#define OTHER_ID 4242

static bool op_is_valid(const char *op) {
  size_t n = strlen(op);
  if (n == 0 || n > WCTR_PROTO_MAX_OP) return false;
  for (size_t i = 0; i < n; i++) {
    char c = op[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

/* Compact text of item, or "" for NULL; caller frees with cJSON_free. */
static char *print_or_empty(const cJSON *item) {
  char *text = item != NULL ? cJSON_PrintUnformatted(item) : NULL;
  if (item != NULL) CHECK(text != NULL);
  if (text == NULL) {
    text = cJSON_malloc(1);
    CHECK(text != NULL);
    text[0] = '\0';
  }
  return text;
}

/* The client rebuilds an accepted request; the server must read the same id, op and params. */
static void check_request_round_trip(const wctr_request *req) {
  cJSON *params = NULL;
  if (req->params != NULL) {
    params = cJSON_Duplicate(req->params, true);
    CHECK(params != NULL);
  }
  size_t len = 0;
  char *text = wctr_request_format(req->id, req->op, params, &len);
  CHECK(text != NULL);
  CHECK(len == strlen(text));
  wctr_request again;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  CHECK(wctr_request_parse(text, len, &again, &e) == WCTR_OK);
  CHECK(again.has_id && again.id == req->id);
  CHECK(strcmp(again.op, req->op) == 0);
  CHECK((again.params == NULL) == (req->params == NULL));
  /* Compared as printed text: cJSON_Compare trips over duplicate keys inside params. */
  char *before = print_or_empty(req->params);
  char *after = print_or_empty(again.params);
  CHECK(strcmp(before, after) == 0);
  cJSON_free(before);
  cJSON_free(after);
  wctr_request_free(&again);
  cJSON_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wctr_request req;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = wctr_request_parse((const char *)data, size, &req, &e);

  size_t len = 0;
  char *response = NULL;
  int64_t expect_id = OTHER_ID;
  if (err == WCTR_OK) {
    CHECK(req.has_id);
    CHECK(req.id >= 0 && req.id <= WCTR_PROTO_MAX_ID);
    CHECK(req.op != NULL && op_is_valid(req.op));
    CHECK(req.params == NULL || cJSON_IsObject(req.params));
    /* A NUL byte is not JSON, and inside a string it would hide the rest of the string. */
    CHECK(size == 0 || memchr(data, 0, size) == NULL);
    /* Strict JSON text: what is accepted is UTF-8 without raw control characters, so
     * nothing else can reach a response, a record or the audit trail. */
    CHECK(wctr_utf8_valid((const char *)data, size));
    CHECK(wctr_proto_check_strings((const char *)data, size, req.root, "request", &e) == WCTR_OK);
    check_request_round_trip(&req);

    /* The answer carries the op back, so the client can be checked to read this very result. */
    cJSON *result = cJSON_CreateObject();
    CHECK(result != NULL);
    CHECK(cJSON_AddStringToObject(result, "op", req.op) != NULL);
    response = wctr_response_format_result(true, req.id, result, &len);
    expect_id = req.id;
  } else {
    CHECK(err == WCTR_EPROTO || err == WCTR_ETOOBIG);
    CHECK(e.code == err);
    CHECK(e.text[0] != '\0');
    CHECK(req.op == NULL && req.params == NULL);
    if (req.has_id) {
      CHECK(req.id >= 0 && req.id <= WCTR_PROTO_MAX_ID);
      expect_id = req.id;
    }
    response = wctr_response_format_error(req.has_id, req.id, err, e.text, &len);
  }
  CHECK(response != NULL);
  CHECK(len == strlen(response));
  /* Whatever was sent, the answer is UTF-8 (a refusal never echoes the bytes that were refused). */
  CHECK(wctr_utf8_valid(response, len));
  CHECK(len <= WCTR_PROTO_MAX_RESPONSE);

  cJSON *result = NULL;
  wctr_errmsg back;
  wctr_errmsg_clear(&back);
  wctr_err got = wctr_response_parse(response, len, expect_id, &result, &back);
  if (err == WCTR_OK) {
    if (got != WCTR_OK) fprintf(stderr, "fuzz_request: response %s read as: %s\n", response, back.text);
    CHECK(got == WCTR_OK);
    CHECK(result != NULL);
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(result, "op");
    CHECK(cJSON_IsString(op) && strcmp(op->valuestring, req.op) == 0);
  } else {
    if (got != err) fprintf(stderr, "fuzz_request: response %s read as: %s\n", response, back.text);
    CHECK(got == err);
    CHECK(back.code == err);
    CHECK(strcmp(back.text, e.text) == 0);
    CHECK(result == NULL);
  }

  cJSON_Delete(result);
  cJSON_free(response);
  wctr_request_free(&req);
  return 0;
}
