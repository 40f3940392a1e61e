/* common/proto.h - the pipe protocol's messages (docs/protocol.md is the reference for clients).
 *
 * One JSON request per pipe message:   {"v":1,"id":N,"op":"NAME","params":{...}}
 * One JSON response per request:       {"v":1,"id":N,"result":...}
 *                                  or  {"v":1,"id":N,"error":{"code":"wire_name","message":"..."}}
 * id is an integer in [0, 2^53-1] chosen by the client and echoed; it is null in the response when the
 * request was too broken to read it. params is optional and must be an object. Unknown top-level keys
 * are refused. A request larger than WCTR_PROTO_MAX_REQUEST bytes is refused without being parsed. A request
 * must be strict JSON text: UTF-8 strings without raw control characters (wctr_proto_check_strings), so
 * nothing a client sends reaches a response, a record or the audit trail in another form. Every message
 * wctrd and wctr write is UTF-8 whatever its strings held (wctr_json_print). */
#ifndef WCTR_COMMON_PROTO_H
#define WCTR_COMMON_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define WCTR_PROTO_VERSION 1
#define WCTR_PROTO_MAX_REQUEST (1024u * 1024u)
/* Responses may carry more (inspect of many containers); the client refuses anything larger. */
#define WCTR_PROTO_MAX_RESPONSE (64u * 1024u * 1024u)
#define WCTR_PROTO_MAX_ID 9007199254740991LL /* 2^53 - 1: exact in a JSON number */
#define WCTR_PROTO_MAX_OP 64

typedef struct wctr_request {
  bool has_id;          /* id could be read (also set when a later check failed) */
  int64_t id;
  const char *op;       /* points into root */
  const cJSON *params;  /* an object, or NULL when absent */
  cJSON *root;          /* owned; released by wctr_request_free */
} wctr_request;

/* Parses and checks one request message of len bytes (not NUL-terminated). On failure the message
 * names the problem and req->has_id/id tell whether the id can be echoed. Call wctr_request_free
 * whatever the result. */
wctr_err wctr_request_parse(const char *buf, size_t len, wctr_request *req, wctr_errmsg *e);
void wctr_request_free(wctr_request *req);

/* Builders. Each takes ownership of the cJSON passed in (also on failure), returns a malloc'ed
 * NUL-terminated message (caller frees with cJSON_free) and its length without the NUL in *len, or
 * NULL when out of memory. */
char *wctr_request_format(int64_t id, const char *op, cJSON *params, size_t *len);
char *wctr_response_format_result(bool has_id, int64_t id, cJSON *result, size_t *len);
char *wctr_response_format_error(bool has_id, int64_t id, wctr_err code, const char *message,
                                 size_t *len);

/* Does len bytes of data form valid UTF-8 (common/utf8.h) with no NUL? Output and stdin frames carry such a
 * chunk as "data" (JSON text), any other as "data64". */
bool wctr_proto_text_ok(const char *data, size_t len);

/* Strict JSON text for a message from outside (buf, len bytes; root its parse): no raw control character
 * (below 0x20) inside a string - JSON requires \u00XX there - and every string and key well-formed UTF-8.
 * WCTR_EPROTO naming where: "request: a string holds the raw control character 0x01 (at byte 52) ...",
 * "request.params.Labels[\"team\"] is not valid UTF-8", "request.params.Labels: key 2 is not valid UTF-8"
 * (a key that cannot be shown is "[key N]", an array element "[N]"). root may be NULL (only the raw scan). */
wctr_err wctr_proto_check_strings(const char *buf, size_t len, const cJSON *root, const char *where, wctr_errmsg *e);

/* A stdin frame of request id: {"v":1,"id":id,"stream":"stdin","data":...} (or "data64", see above) for
 * len bytes of data, with "eof":true when eof (data may then be empty: len 0 sends only the end). A
 * malloc'ed message (free with cJSON_free) and its length, NULL when out of memory. */
char *wctr_stdin_frame_format(int64_t id, const char *data, size_t len, bool eof, size_t *out_len);

/* Client side: checks a response to request expect_id. On success *result owns the "result" value
 * (caller frees with cJSON_Delete). An error response returns its code (WCTR_EINTERNAL for a code
 * this client does not know) with the server's message in e; a malformed response is WCTR_EPROTO. */
wctr_err wctr_response_parse(const char *buf, size_t len, int64_t expect_id, cJSON **result,
                             wctr_errmsg *e);

#endif
