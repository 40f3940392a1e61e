/* service/pipe_api.c - the wctr pipe protocol front-end (contract in service/pipe_api.h). Portable.
 *
 * A request (svc_pipe_call) is referenced by: the connection until svc_pipe_call_detach, the operation
 * until it finishes, svc_pipe_handle until svc_ops_invoke has returned, and each delivery job and drain
 * waiter while it runs. The last one out calls on_release and frees it, so on_release comes after finish
 * and after every callback, exactly once.
 *
 * Lock order: the call's lock, then the connection's (the connection's methods are called under the call's
 * lock, so sends and the end of the request never cross); the connection never calls in here under its own
 * lock. Operation callbacks (on_input, on_close, on_release, a drain waiter's fn) run with no lock held. */
#include "service/pipe_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/json.h"
#include "common/log.h"
#include "common/proto.h"
#include "service/audit.h"

typedef struct input_item {
  struct input_item *next;
  bool eof;
  size_t len;
  char data[]; /* len bytes */
} input_item;

struct svc_pipe_call {
  svc_sink sink; /* first member: what the operation writes to */
  svc_pipe_api api;
  svc_pipe_conn *conn;
  svc_caller caller;
  bool has_id;
  int64_t id;
  char op[WCTR_PROTO_MAX_OP + 1];
  cJSON *target; /* the params' target keys, for the audit record of a refusal or a drop */
  bool streaming;
  wctr_mutex lock;
  int refs;
  bool invoked;         /* svc_ops_invoke has returned: callbacks may be delivered */
  bool finished;        /* finish was called */
  bool ended;           /* conn->end was called: the connection is not touched again */
  bool closed;          /* the client is gone, dropped or refused: output fails, finish is discarded */
  bool close_pending;   /* on_close is owed to the operation */
  bool close_delivered;
  bool delivering;      /* a delivery job runs */
  input_item *in_head, *in_tail;
};

/* --- references ------------------------------------------------------------------------------------------------ */

static void call_free(svc_pipe_call *c) {
  while (c->in_head != NULL) {
    input_item *it = c->in_head;
    c->in_head = it->next;
    wctr_secure_zero(it->data, it->len);
    free(it);
  }
  cJSON_Delete(c->target);
  wctr_mutex_destroy(&c->lock);
  free(c);
}

static void call_unref(svc_pipe_call *c) {
  wctr_mutex_lock(&c->lock);
  int left = --c->refs;
  wctr_mutex_unlock(&c->lock);
  if (left > 0) return;
  if (c->sink.on_release != NULL) c->sink.on_release(c->sink.op_ctx);
  call_free(c);
}

/* The one conn->end of the request. Called without the lock. */
static void end_conn(svc_pipe_call *c, svc_pipe_end how) {
  wctr_mutex_lock(&c->lock);
  bool first = !c->ended;
  c->ended = true;
  wctr_mutex_unlock(&c->lock);
  if (first) c->conn->methods->end(c->conn, how);
}

/* --- delivering on_input / on_close ------------------------------------------------------------------------- */

static bool has_work_locked(const svc_pipe_call *c) {
  if (c->finished) return false;
  return c->in_head != NULL || (c->close_pending && !c->close_delivered);
}

static void deliver_job(void *arg) {
  svc_pipe_call *c = arg;
  for (;;) {
    wctr_mutex_lock(&c->lock);
    input_item *item = NULL;
    bool close = false;
    if (!has_work_locked(c)) {
      c->delivering = false;
      wctr_mutex_unlock(&c->lock);
      break;
    }
    if (c->in_head != NULL) {
      /* In order: what the client sent before it left (its last stdin, its eof) still counts. */
      item = c->in_head;
      c->in_head = item->next;
      if (c->in_head == NULL) c->in_tail = NULL;
    } else {
      c->close_delivered = true;
      close = true;
    }
    wctr_mutex_unlock(&c->lock);
    if (close) {
      if (c->sink.on_close != NULL) c->sink.on_close(c->sink.op_ctx);
    } else {
      if (c->sink.on_input != NULL) c->sink.on_input(c->sink.op_ctx, item->data, item->len, item->eof);
      wctr_secure_zero(item->data, item->len);
      free(item);
    }
  }
  call_unref(c);
}

static void schedule_delivery(svc_pipe_call *c) {
  wctr_mutex_lock(&c->lock);
  bool go = c->invoked && !c->delivering && has_work_locked(c);
  if (go) {
    c->delivering = true;
    c->refs++;
  }
  wctr_mutex_unlock(&c->lock);
  /* Posted, so that an operation that drops its stream from inside output() (holding its own locks) is not
   * called back there; inline only when the core refuses (it is stopping). */
  if (go && !wctr_ioc_post(c->api.ioc, deliver_job, c)) deliver_job(c);
}

/* --- refusals and drops ----------------------------------------------------------------------------------------- */

static char *format_frame(const svc_pipe_call *c, const char *kind, const char *key, cJSON *value, size_t *len) {
  cJSON *msg = cJSON_CreateObject();
  char idtext[32];
  snprintf(idtext, sizeof idtext, "%lld", (long long)c->id);
  bool ok = msg != NULL && value != NULL && cJSON_AddNumberToObject(msg, "v", WCTR_PROTO_VERSION) != NULL &&
            cJSON_AddRawToObject(msg, "id", idtext) != NULL && cJSON_AddStringToObject(msg, "stream", kind) != NULL;
  if (!ok || !cJSON_AddItemToObject(msg, key, value)) {
    cJSON_Delete(value);
    cJSON_Delete(msg);
    return NULL;
  }
  char *text = cJSON_PrintUnformatted(msg);
  cJSON_Delete(msg);
  if (text != NULL) *len = strlen(text);
  return text;
}

/* The stream ends because its client did not read: the connection closes at once. */
static void drop(svc_pipe_call *c, size_t waiting) {
  char detail[200];
  snprintf(detail, sizeof detail, "stream dropped: the client did not read (%zu bytes waiting, limit %u)", waiting,
           SVC_SINK_QUEUE_MAX);
  wctr_log(WCTR_LOG_WARN, "op %s (request %lld) of %s (pid %u): %s", c->op, (long long)c->id, c->caller.name,
           c->caller.pid, detail);
  svc_ops_audit(c->api.ops, &c->caller, c->op, c->target, WCTR_EPIPE, detail);
  end_conn(c, SVC_PIPE_DROP);
  schedule_delivery(c);
}

/* Sends one message of the operation's (taken). Bounded; an overflow drops the stream. */
static wctr_err send_bounded(svc_pipe_call *c, char *msg, size_t len) {
  if (msg == NULL) return WCTR_ENOMEM;
  wctr_mutex_lock(&c->lock);
  if (c->closed || c->ended) {
    wctr_mutex_unlock(&c->lock);
    cJSON_free(msg);
    return WCTR_EPIPE;
  }
  wctr_err err = c->conn->methods->send(c->conn, msg, len, true);
  size_t waiting = 0;
  bool dropped = err == WCTR_ETOOBIG;
  if (dropped) {
    waiting = c->conn->methods->queued(c->conn);
    c->closed = true;
    c->close_pending = !c->finished;
  }
  wctr_mutex_unlock(&c->lock);
  if (dropped) {
    drop(c, waiting);
    return WCTR_EPIPE;
  }
  return err;
}

/* Ends a running stream on the client's account (a frame it should not have sent): the error is its final
 * response, the operation gets on_close. */
static void refuse_input(svc_pipe_call *c, wctr_err err, const char *text) {
  wctr_mutex_lock(&c->lock);
  bool act = !c->closed && !c->finished && !c->ended;
  if (act) {
    c->closed = true;
    c->close_pending = true;
  }
  wctr_mutex_unlock(&c->lock);
  if (!act) return;
  wctr_log(WCTR_LOG_INFO, "op %s (request %lld) of %s (pid %u) ended: %s", c->op, (long long)c->id, c->caller.name,
           c->caller.pid, text);
  svc_ops_audit(c->api.ops, &c->caller, c->op, c->target, err, text);
  size_t len = 0;
  char *msg = wctr_response_format_error(true, c->id, err, text, &len);
  wctr_mutex_lock(&c->lock);
  /* Not bounded: it is the one last message. The flags keep every other sender out. */
  if (msg != NULL && !c->ended) {
    c->conn->methods->send(c->conn, msg, len, false);
  } else {
    cJSON_free(msg);
  }
  wctr_mutex_unlock(&c->lock);
  end_conn(c, msg != NULL ? SVC_PIPE_CLOSE : SVC_PIPE_DROP);
  schedule_delivery(c);
}

/* --- the sink ----------------------------------------------------------------------------------------------------- */

static wctr_err sink_output(svc_sink *s, svc_output_stream stream, const char *data, size_t len) {
  svc_pipe_call *c = (svc_pipe_call *)s;
  const char *kind = stream == SVC_STDERR ? "stderr" : "stdout";
  cJSON *value = NULL;
  const char *key = "data";
  if (wctr_proto_text_ok(data, len)) {
    char *text = malloc(len + 1);
    if (text == NULL) return WCTR_ENOMEM;
    memcpy(text, data, len);
    text[len] = '\0';
    value = cJSON_CreateString(text);
    free(text);
  } else {
    char *b64 = wctr_base64_encode((const uint8_t *)data, len);
    if (b64 == NULL) return WCTR_ENOMEM;
    value = cJSON_CreateString(b64);
    free(b64);
    key = "data64";
  }
  size_t msg_len = 0;
  char *msg = format_frame(c, kind, key, value, &msg_len);
  return send_bounded(c, msg, msg_len);
}

static wctr_err sink_frame(svc_sink *s, const char *kind, cJSON *data) {
  svc_pipe_call *c = (svc_pipe_call *)s;
  size_t len = 0;
  char *msg = format_frame(c, kind, "data", data, &len);
  return send_bounded(c, msg, len);
}

static size_t sink_pending(svc_sink *s) {
  svc_pipe_call *c = (svc_pipe_call *)s;
  wctr_mutex_lock(&c->lock);
  size_t n = c->closed || c->ended ? 0 : c->conn->methods->queued(c->conn);
  wctr_mutex_unlock(&c->lock);
  return n;
}

/* A drain waiter holds a reference, so that it runs before on_release. */
typedef struct drain_waiter {
  svc_pipe_call *c;
  void (*fn)(void *arg);
  void *arg;
} drain_waiter;

static void drained(void *arg) {
  drain_waiter *w = arg;
  svc_pipe_call *c = w->c;
  w->fn(w->arg);
  free(w);
  call_unref(c);
}

static void sink_when_drained(svc_sink *s, size_t below, void (*fn)(void *arg), void *arg) {
  svc_pipe_call *c = (svc_pipe_call *)s;
  drain_waiter *w = malloc(sizeof *w);
  if (w == NULL) {
    /* Cannot wait: let the producer try now (it sees the bound, or a closed stream). */
    if (!wctr_ioc_post(c->api.ioc, fn, arg)) fn(arg);
    return;
  }
  *w = (drain_waiter){.c = c, .fn = fn, .arg = arg};
  wctr_mutex_lock(&c->lock);
  c->refs++;
  bool now = c->closed || c->ended;
  if (!now) c->conn->methods->when_drained(c->conn, below, drained, w);
  wctr_mutex_unlock(&c->lock);
  if (now && !wctr_ioc_post(c->api.ioc, drained, w)) drained(w);
}

static void sink_finish(svc_sink *s, wctr_err err, cJSON *result, const char *message) {
  svc_pipe_call *c = (svc_pipe_call *)s;
  wctr_mutex_lock(&c->lock);
  WCTR_ASSERT(!c->finished);
  c->finished = true;
  bool answer = !c->closed && !c->ended;
  wctr_mutex_unlock(&c->lock);
  if (!answer) {
    cJSON_Delete(result); /* the client is gone: nobody to tell */
    call_unref(c);
    return;
  }
  size_t len = 0;
  char *msg = err == WCTR_OK ? wctr_response_format_result(c->has_id, c->id, result, &len)
                             : wctr_response_format_error(c->has_id, c->id, err, message, &len);
  if (msg != NULL && len > WCTR_PROTO_MAX_RESPONSE) {
    /* No client reads more (cli/client.h): the answer would be refused there or, worse, taken in part. */
    char text[240];
    snprintf(text, sizeof text, "the answer to %s is %zu bytes, more than the protocol's limit of %u; ask for less "
             "(a filter)", c->op[0] != '\0' ? c->op : "the request", len, WCTR_PROTO_MAX_RESPONSE);
    wctr_log(WCTR_LOG_WARN, "op %s (request %lld) of %s (pid %u): %s", c->op, (long long)c->id, c->caller.name,
             c->caller.pid, text);
    svc_ops_audit(c->api.ops, &c->caller, c->op, c->target, WCTR_ETOOBIG, text);
    wctr_secure_zero(msg, len);
    cJSON_free(msg);
    msg = wctr_response_format_error(c->has_id, c->id, WCTR_ETOOBIG, text, &len);
  }
  wctr_err sent = WCTR_ENOMEM;
  wctr_mutex_lock(&c->lock);
  if (msg != NULL && !c->closed && !c->ended) {
    /* The final answer is not held to the stream bound: a listing may be large (WCTR_PROTO_MAX_RESPONSE);
     * the connection reads no further request before it has been taken. */
    sent = c->conn->methods->send(c->conn, msg, len, false);
  } else if (msg != NULL) {
    cJSON_free(msg);
    sent = WCTR_EPIPE;
  }
  wctr_mutex_unlock(&c->lock);
  end_conn(c, sent != WCTR_OK ? SVC_PIPE_DROP : c->streaming ? SVC_PIPE_CLOSE : SVC_PIPE_NEXT);
  call_unref(c);
}

static const svc_sink_methods pipe_sink_methods = {
    .version = 1,
    .output = sink_output,
    .frame = sink_frame,
    .pending = sink_pending,
    .when_drained = sink_when_drained,
    .finish = sink_finish,
};

/* --- requests ----------------------------------------------------------------------------------------------------- */

/* Only the keys that name a target (service/audit.h): never a value such as a secret's. */
static cJSON *target_of(const cJSON *params) {
  static const char *const keys[] = {"Id", "Name", "Image", NULL};
  if (!cJSON_IsObject(params)) return NULL;
  cJSON *t = cJSON_CreateObject();
  for (size_t i = 0; t != NULL && keys[i] != NULL; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, keys[i]);
    if (cJSON_IsString(v)) cJSON_AddStringToObject(t, keys[i], v->valuestring);
  }
  return t;
}

/* A request may carry a secret's value (secret.create): its strings are wiped before the tree is freed. */
static void wipe_strings(cJSON *item) {
  for (; item != NULL; item = item->next) {
    if (cJSON_IsString(item) && item->valuestring != NULL) wctr_secure_zero(item->valuestring, strlen(item->valuestring));
    wipe_strings(item->child);
  }
}

svc_pipe_call *svc_pipe_handle(const svc_pipe_api *api, svc_pipe_conn *conn, const svc_caller *caller,
                               const char *msg, size_t len, size_t total, bool *streaming) {
  *streaming = false;
  svc_pipe_call *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  if (wctr_mutex_init(&c->lock) != WCTR_OK) {
    free(c);
    return NULL;
  }
  c->sink.methods = &pipe_sink_methods;
  c->api = *api;
  c->conn = conn;
  c->caller = *caller;
  c->refs = 3; /* the connection, the operation (until finish), this function (until invoke returned) */
  wctr_request req;
  memset(&req, 0, sizeof req);
  if (total > len || total > WCTR_PROTO_MAX_REQUEST) {
    char text[160];
    snprintf(text, sizeof text, "request of %zu bytes is larger than the limit of %u bytes", total,
             WCTR_PROTO_MAX_REQUEST);
    wctr_log(WCTR_LOG_INFO, "refused a request of %zu bytes from %s (pid %u)", total, caller->name, caller->pid);
    sink_finish(&c->sink, WCTR_ETOOBIG, NULL, text);
    goto invoked;
  }
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = wctr_request_parse(msg, len, &req, &e);
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "refused a request from %s (pid %u): %s", caller->name, caller->pid, e.text);
    svc_ops_audit(api->ops, caller, "", NULL, err, e.text);
    c->has_id = req.has_id;
    c->id = req.id;
    sink_finish(&c->sink, err, NULL, e.text);
    goto invoked;
  }
  c->has_id = true;
  c->id = req.id;
  snprintf(c->op, sizeof c->op, "%s", req.op);
  const svc_op *op = svc_ops_find(api->ops, req.op);
  c->streaming = op != NULL && op->start != NULL && (op->flags & SVC_OP_STREAM) != 0;
  if (c->streaming) c->target = target_of(req.params);
  *streaming = c->streaming;
  svc_ops_invoke(api->ops, caller, req.op, req.params, &c->sink);
invoked:
  if (req.root != NULL) wipe_strings(req.root->child);
  wctr_request_free(&req);
  wctr_mutex_lock(&c->lock);
  c->invoked = true;
  wctr_mutex_unlock(&c->lock);
  schedule_delivery(c);
  call_unref(c);
  return c;
}

/* --- client frames -------------------------------------------------------------------------------------------- */

static bool has_escaped_nul(const char *p, size_t len) {
  for (size_t i = 0; i + 1 < len; i++) {
    if (p[i] != '\\') continue;
    if (p[i + 1] == 'u' && i + 5 < len && memcmp(p + i + 2, "0000", 4) == 0) return true;
    i++;
  }
  return false;
}

/* Reads a stdin frame of this request into *item (malloc'ed). */
static wctr_err parse_stdin(const svc_pipe_call *c, const char *msg, size_t len, input_item **item, wctr_errmsg *e) {
  static const char *const keys[] = {"v", "id", "stream", "data", "data64", "eof", NULL};
  wctr_errmsg d;
  *item = NULL;
  if (memchr(msg, '\0', len) != NULL || has_escaped_nul(msg, len)) {
    return wctr_fail(e, WCTR_EPROTO, "a stdin frame contains a NUL character (send such bytes as \"data64\")");
  }
  cJSON *root = cJSON_ParseWithLength(msg, len);
  wctr_err err = WCTR_EPROTO;
  int64_t v = 0;
  int64_t id = -1;
  const char *stream = NULL;
  const char *text = NULL;
  const char *b64 = NULL;
  bool eof = false;
  uint8_t *bytes = NULL;
  size_t n = 0;
  /* As strict as a request (common/proto.h): "data" is text, and JSON text is UTF-8. */
  if (root != NULL && wctr_proto_check_strings(msg, len, root, "stdin frame", e) != WCTR_OK) goto done;
  if (!cJSON_IsObject(root)) {
    wctr_fail(e, WCTR_EPROTO, "a message sent during a stream must be a stdin frame (a JSON object)");
    goto done;
  }
  if (wctr_json_check_keys(root, "stdin frame", keys, &d) != WCTR_OK ||
      wctr_json_get_int64(root, "v", "stdin frame", true, 0, INT32_MAX, &v, &d) != WCTR_OK ||
      wctr_json_get_int64(root, "id", "stdin frame", true, 0, WCTR_PROTO_MAX_ID, &id, &d) != WCTR_OK ||
      wctr_json_get_string(root, "stream", "stdin frame", true, &stream, &d) != WCTR_OK ||
      wctr_json_get_string(root, "data", "stdin frame", false, &text, &d) != WCTR_OK ||
      wctr_json_get_string(root, "data64", "stdin frame", false, &b64, &d) != WCTR_OK ||
      wctr_json_get_bool(root, "eof", "stdin frame", false, &eof, &d) != WCTR_OK) {
    wctr_fail(e, WCTR_EPROTO, "%s", d.text);
    goto done;
  }
  if (v != WCTR_PROTO_VERSION || id != c->id || strcmp(stream, "stdin") != 0) {
    wctr_fail(e, WCTR_EPROTO, "a message sent during a stream must be {\"v\":%d,\"id\":%lld,\"stream\":\"stdin\",...}",
              WCTR_PROTO_VERSION, (long long)c->id);
    goto done;
  }
  if (text != NULL && b64 != NULL) {
    wctr_fail(e, WCTR_EPROTO, "stdin frame: \"data\" and \"data64\" cannot both be given");
    goto done;
  }
  if (text == NULL && b64 == NULL && !eof) {
    wctr_fail(e, WCTR_EPROTO, "stdin frame: \"data\", \"data64\" or \"eof\":true is required");
    goto done;
  }
  if (b64 != NULL && wctr_base64_decode(b64, strlen(b64), &bytes, &n, "stdin frame: \"data64\"", &d) != WCTR_OK) {
    wctr_fail(e, WCTR_EPROTO, "%s", d.text);
    goto done;
  }
  if (text != NULL) n = strlen(text);
  input_item *it = malloc(sizeof *it + n + 1);
  if (it == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  it->next = NULL;
  it->eof = eof;
  it->len = n;
  if (n > 0) memcpy(it->data, text != NULL ? (const void *)text : (const void *)bytes, n);
  *item = it;
  err = WCTR_OK;
done:
  if (bytes != NULL) {
    wctr_secure_zero(bytes, n);
    free(bytes);
  }
  if (root != NULL) wipe_strings(root->child);
  cJSON_Delete(root);
  return err;
}

void svc_pipe_call_input(svc_pipe_call *c, const char *msg, size_t len, size_t total) {
  wctr_mutex_lock(&c->lock);
  bool over = c->finished || c->closed;
  wctr_mutex_unlock(&c->lock);
  if (over) return;
  if (total > len || total > WCTR_PROTO_MAX_REQUEST) {
    char text[160];
    snprintf(text, sizeof text, "stdin frame of %zu bytes is larger than the limit of %u bytes", total,
             WCTR_PROTO_MAX_REQUEST);
    refuse_input(c, WCTR_ETOOBIG, text);
    return;
  }
  input_item *item = NULL;
  wctr_errmsg e;
  wctr_err err = parse_stdin(c, msg, len, &item, &e);
  if (err != WCTR_OK) {
    refuse_input(c, err, e.text);
    return;
  }
  wctr_mutex_lock(&c->lock);
  if (c->in_tail != NULL) {
    c->in_tail->next = item;
  } else {
    c->in_head = item;
  }
  c->in_tail = item;
  wctr_mutex_unlock(&c->lock);
  schedule_delivery(c);
}

void svc_pipe_call_detach(svc_pipe_call *c) {
  wctr_mutex_lock(&c->lock);
  if (!c->finished && !c->closed) {
    c->closed = true;
    c->close_pending = true;
  }
  wctr_mutex_unlock(&c->lock);
  end_conn(c, SVC_PIPE_DROP);
  schedule_delivery(c);
  call_unref(c);
}
