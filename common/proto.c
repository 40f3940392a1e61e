/* common/proto.c - parsing and building pipe protocol messages (portable). */
#include "common/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/json.h"
#include "common/utf8.h"

/* Everything after the JSON value must be white space: a message is one value, nothing more. */
static bool only_space(const char *p, const char *end) {
  for (; p < end; p++) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return false;
  }
  return true;
}

static cJSON *parse_one_value(const char *buf, size_t len) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
  if (root != NULL && (end == NULL || !only_space(end, buf + len))) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}

static bool has_escaped_nul(const char *p, size_t len) {
  for (size_t i = 0; i + 1 < len; i++) {
    if (p[i] != '\\') continue;
    if (p[i + 1] == 'u' && i + 5 < len && memcmp(p + i + 2, "0000", 4) == 0) return true;
    i++;
  }
  return false;
}

/* A raw byte below 0x20 inside a string: JSON requires those escaped (RFC 8259), and cJSON would take them,
 * so a record written from such a request could be six times its size (each one written back as \u00XX).
 * The offset of the first one, or len when there is none. */
static size_t raw_control_in_string(const char *buf, size_t len) {
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)buf[i];
    if (!in_string) {
      if (c == '"') in_string = true;
      continue;
    }
    if (c == '\\') {
      i++; /* the escaped character, whatever it is, is not the string's end */
    } else if (c == '"') {
      in_string = false;
    } else if (c < 0x20) {
      return i;
    }
  }
  return len;
}

/* Appends to the path in p (size bytes) ".key" or "[i]"; keeps what fits. The key is shown only when it is
 * UTF-8 without control characters, and shortened. */
static void path_push(char *p, size_t size, const cJSON *item, int index) {
  size_t used = strlen(p);
  if (used + 8 >= size) return;
  if (item->string == NULL) {
    snprintf(p + used, size - used, "[%d]", index);
    return;
  }
  const char *k = item->string;
  size_t n = strlen(k);
  bool plain = n > 0 && n <= 40;
  bool showable = n <= 40 && wctr_utf8_valid(k, n);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)k[i];
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    showable = showable && c >= 0x20 && c != 0x7f && c != '"' && c != '\\';
  }
  if (plain) {
    snprintf(p + used, size - used, ".%s", k);
  } else if (showable) {
    snprintf(p + used, size - used, "[\"%s\"]", k);
  } else {
    snprintf(p + used, size - used, "[key %d]", index);
  }
}

/* The first string (value or key) of the tree under item that is not UTF-8: its path into path. */
static bool find_bad_utf8(const cJSON *item, char *path, size_t size, int *bad_key) {
  int index = 0;
  for (const cJSON *c = item->child; c != NULL; c = c->next, index++) {
    size_t mark = strlen(path);
    if (c->string != NULL && !wctr_utf8_valid(c->string, strlen(c->string))) {
      *bad_key = index;
      return true;
    }
    path_push(path, size, c, index);
    if (cJSON_IsString(c) && c->valuestring != NULL && !wctr_utf8_valid(c->valuestring, strlen(c->valuestring))) {
      return true;
    }
    if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && find_bad_utf8(c, path, size, bad_key)) return true;
    path[mark] = '\0';
  }
  return false;
}

wctr_err wctr_proto_check_strings(const char *buf, size_t len, const cJSON *root, const char *where, wctr_errmsg *e) {
  size_t at = raw_control_in_string(buf, len);
  if (at < len) {
    return wctr_fail(e, WCTR_EPROTO,
                     "%s: a string holds the raw control character 0x%02X (at byte %zu); JSON requires it escaped "
                     "as \\u00%02X",
                     where, (unsigned)(unsigned char)buf[at], at, (unsigned)(unsigned char)buf[at]);
  }
  if (root == NULL || wctr_utf8_valid(buf, len)) return WCTR_OK;
  char path[160];
  snprintf(path, sizeof path, "%s", where);
  int bad_key = -1;
  if (!find_bad_utf8(root, path, sizeof path, &bad_key)) {
    return wctr_fail(e, WCTR_EPROTO, "%s is not valid UTF-8", where);
  }
  if (bad_key >= 0) return wctr_fail(e, WCTR_EPROTO, "%s: key %d is not valid UTF-8", path, bad_key);
  return wctr_fail(e, WCTR_EPROTO, "%s is not valid UTF-8", path);
}

static bool op_name_valid(const char *op) {
  size_t n = strlen(op);
  if (n == 0 || n > WCTR_PROTO_MAX_OP) return false;
  for (size_t i = 0; i < n; i++) {
    char c = op[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

wctr_err wctr_request_parse(const char *buf, size_t len, wctr_request *req, wctr_errmsg *e) {
  static const char *const keys[] = {"v", "id", "op", "params", NULL};
  wctr_errmsg detail;
  memset(req, 0, sizeof *req);
  if (len > WCTR_PROTO_MAX_REQUEST) {
    return wctr_fail(e, WCTR_ETOOBIG, "request of %zu bytes is larger than the limit of %u bytes", len,
                     WCTR_PROTO_MAX_REQUEST);
  }
  const char *nul = memchr(buf, '\0', len);
  if (nul != NULL) {
    return wctr_fail(e, WCTR_EPROTO, "request contains a NUL byte at offset %zu", (size_t)(nul - buf));
  }
  if (has_escaped_nul(buf, len)) return wctr_fail(e, WCTR_EPROTO, "request contains the escape \\u0000");
  req->root = parse_one_value(buf, len);
  if (req->root == NULL) return wctr_fail(e, WCTR_EPROTO, "request is not valid JSON");
  if (!cJSON_IsObject(req->root)) {
    return wctr_fail(e, WCTR_EPROTO, "request must be a JSON object, not %s",
                     wctr_json_type_name(req->root));
  }
  /* Strict JSON text: nothing a client sends is echoed into a response, a record or the audit trail
   * unless it is UTF-8 (common/utf8.h). */
  wctr_err strings = wctr_proto_check_strings(buf, len, req->root, "request", e);
  if (strings != WCTR_OK) {
    int64_t early = 0;
    wctr_errmsg ignored;
    if (wctr_json_get_int64(req->root, "id", "request", true, 0, WCTR_PROTO_MAX_ID, &early, &ignored) == WCTR_OK) {
      req->has_id = true;
      req->id = early;
    }
    return strings;
  }
  /* The id first, so that every later error can be matched to its request by the client. */
  int64_t id = 0;
  if (wctr_json_get_int64(req->root, "id", "request", true, 0, WCTR_PROTO_MAX_ID, &id, &detail) != WCTR_OK) {
    return wctr_fail(e, WCTR_EPROTO, "%s", detail.text);
  }
  req->has_id = true;
  req->id = id;

  int64_t version = 0;
  const char *op = NULL;
  const cJSON *params = NULL;
  if (wctr_json_check_keys(req->root, "request", keys, &detail) != WCTR_OK ||
      wctr_json_get_int64(req->root, "v", "request", true, 0, INT32_MAX, &version, &detail) != WCTR_OK ||
      wctr_json_get_string(req->root, "op", "request", true, &op, &detail) != WCTR_OK ||
      wctr_json_get_object(req->root, "params", "request", false, &params, &detail) != WCTR_OK) {
    return wctr_fail(e, WCTR_EPROTO, "%s", detail.text);
  }
  if (version != WCTR_PROTO_VERSION) {
    return wctr_fail(e, WCTR_EPROTO, "request: protocol version %lld is not supported (wctrd speaks %d)",
                     (long long)version, WCTR_PROTO_VERSION);
  }
  if (!op_name_valid(op)) {
    return wctr_fail(e, WCTR_EPROTO,
                     "request: \"op\" must be 1 to %d characters of a-z, 0-9, '.', '_' or '-'",
                     WCTR_PROTO_MAX_OP);
  }
  req->op = op;
  req->params = params;
  return WCTR_OK;
}

void wctr_request_free(wctr_request *req) {
  if (req == NULL) return;
  cJSON_Delete(req->root);
  memset(req, 0, sizeof *req);
}

/* Prints msg (consumed) and reports its length. */
static char *finish(cJSON *msg, size_t *len) {
  /* wctr_json_print: whatever a result holds, the message is UTF-8. */
  char *text = msg != NULL ? wctr_json_print(msg) : NULL;
  cJSON_Delete(msg);
  if (text != NULL && len != NULL) *len = strlen(text);
  return text;
}

static cJSON *add_id(cJSON *msg, int64_t id) {
  char text[32];
  snprintf(text, sizeof text, "%lld", (long long)id);
  return cJSON_AddRawToObject(msg, "id", text);
}

static cJSON *envelope(bool has_id, int64_t id) {
  cJSON *msg = cJSON_CreateObject();
  if (msg == NULL) return NULL;
  bool ok = cJSON_AddNumberToObject(msg, "v", WCTR_PROTO_VERSION) != NULL &&
            (has_id ? add_id(msg, id) : cJSON_AddNullToObject(msg, "id")) != NULL;
  if (!ok) {
    cJSON_Delete(msg);
    return NULL;
  }
  return msg;
}

char *wctr_request_format(int64_t id, const char *op, cJSON *params, size_t *len) {
  cJSON *msg = envelope(true, id);
  if (msg == NULL || cJSON_AddStringToObject(msg, "op", op) == NULL) {
    cJSON_Delete(params);
    cJSON_Delete(msg);
    return NULL;
  }
  if (params != NULL && !cJSON_AddItemToObject(msg, "params", params)) {
    cJSON_Delete(params);
    cJSON_Delete(msg);
    return NULL;
  }
  return finish(msg, len);
}

char *wctr_response_format_result(bool has_id, int64_t id, cJSON *result, size_t *len) {
  cJSON *msg = envelope(has_id, id);
  if (result == NULL) result = cJSON_CreateNull();
  if (msg == NULL || result == NULL || !cJSON_AddItemToObject(msg, "result", result)) {
    cJSON_Delete(result);
    cJSON_Delete(msg);
    return NULL;
  }
  return finish(msg, len);
}

char *wctr_response_format_error(bool has_id, int64_t id, wctr_err code, const char *message,
                                 size_t *len) {
  cJSON *msg = envelope(has_id, id);
  cJSON *error = cJSON_CreateObject();
  if (msg == NULL || error == NULL || !cJSON_AddItemToObject(msg, "error", error)) {
    cJSON_Delete(error);
    cJSON_Delete(msg);
    return NULL;
  }
  if (cJSON_AddStringToObject(error, "code", wctr_err_name(code)) == NULL ||
      cJSON_AddStringToObject(error, "message", message != NULL ? message : wctr_strerror(code)) == NULL) {
    cJSON_Delete(msg);
    return NULL;
  }
  return finish(msg, len);
}

wctr_err wctr_response_parse(const char *buf, size_t len, int64_t expect_id, cJSON **result,
                             wctr_errmsg *e) {
  static const char *const keys[] = {"v", "id", "result", "error", NULL};
  static const char *const error_keys[] = {"code", "message", NULL};
  wctr_errmsg detail;
  wctr_err err = WCTR_EPROTO;
  *result = NULL;
  cJSON *root = len <= WCTR_PROTO_MAX_RESPONSE ? parse_one_value(buf, len) : NULL;
  int64_t version = 0;
  int64_t id = 0;
  const cJSON *error = NULL;
  const char *code = NULL;
  const char *message = NULL;
  if (root == NULL) {
    wctr_fail(e, WCTR_EPROTO, "the service sent a response that is not one JSON value");
    goto done;
  }
  if (wctr_json_check_keys(root, "response", keys, &detail) != WCTR_OK ||
      wctr_json_get_int64(root, "v", "response", true, 0, INT32_MAX, &version, &detail) != WCTR_OK) {
    wctr_fail(e, WCTR_EPROTO, "malformed response from the service: %s", detail.text);
    goto done;
  }
  if (version != WCTR_PROTO_VERSION) {
    wctr_fail(e, WCTR_EPROTO, "the service speaks protocol version %lld, this client %d",
              (long long)version, WCTR_PROTO_VERSION);
    goto done;
  }
  error = cJSON_GetObjectItemCaseSensitive(root, "error");
  if (error != NULL && cJSON_GetObjectItemCaseSensitive(root, "result") != NULL) {
    wctr_fail(e, WCTR_EPROTO, "malformed response from the service: both \"result\" and \"error\"");
    goto done;
  }
  if (error != NULL) {
    if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root, "id")) &&
        (wctr_json_get_int64(root, "id", "response", true, 0, WCTR_PROTO_MAX_ID, &id, &detail) != WCTR_OK ||
         id != expect_id)) {
      wctr_fail(e, WCTR_EPROTO, "the service answered another request (id mismatch)");
      goto done;
    }
    if (wctr_json_check_keys(error, "response.error", error_keys, &detail) != WCTR_OK ||
        wctr_json_get_string(error, "code", "response.error", true, &code, &detail) != WCTR_OK ||
        wctr_json_get_string(error, "message", "response.error", true, &message, &detail) != WCTR_OK) {
      wctr_fail(e, WCTR_EPROTO, "malformed error response from the service: %s", detail.text);
      goto done;
    }
    if (wctr_err_from_name(code, &err) != 0 || err == WCTR_OK) err = WCTR_EINTERNAL;
    wctr_fail(e, err, "%s", message);
    goto done;
  }
  /* A success must answer this request; an error may carry a null id (the request was unreadable). */
  if (wctr_json_get_int64(root, "id", "response", true, 0, WCTR_PROTO_MAX_ID, &id, &detail) != WCTR_OK ||
      id != expect_id) {
    wctr_fail(e, WCTR_EPROTO, "the service answered another request (id mismatch)");
    goto done;
  }
  *result = cJSON_DetachItemFromObjectCaseSensitive(root, "result");
  if (*result == NULL) {
    wctr_fail(e, WCTR_EPROTO, "malformed response from the service: no \"result\" and no \"error\"");
    goto done;
  }
  err = WCTR_OK;
done:
  cJSON_Delete(root);
  return err;
}

bool wctr_proto_text_ok(const char *data, size_t len) {
  return memchr(data, '\0', len) == NULL && wctr_utf8_valid(data, len);
}

char *wctr_stdin_frame_format(int64_t id, const char *data, size_t len, bool eof, size_t *out_len) {
  cJSON *msg = envelope(true, id);
  bool ok = msg != NULL && cJSON_AddStringToObject(msg, "stream", "stdin") != NULL;
  if (ok && len > 0 && wctr_proto_text_ok(data, len)) {
    char *text = malloc(len + 1);
    ok = text != NULL;
    if (ok) {
      memcpy(text, data, len);
      text[len] = '\0';
      ok = cJSON_AddStringToObject(msg, "data", text) != NULL;
      wctr_secure_zero(text, len);
      free(text);
    }
  } else if (ok && len > 0) {
    char *b64 = wctr_base64_encode((const uint8_t *)data, len);
    ok = b64 != NULL && cJSON_AddStringToObject(msg, "data64", b64) != NULL;
    free(b64);
  }
  if (ok && eof) ok = cJSON_AddBoolToObject(msg, "eof", true) != NULL;
  if (!ok) {
    cJSON_Delete(msg);
    return NULL;
  }
  return finish(msg, out_len);
}
