/* service/engine_api.c - the Docker Engine API front-end: routing, versions, the token, replies and streams,
 * operation steps, the audit of refusals (contract in service/engine_api.h; how the files share the work:
 * service/engine_api_internal.h). Portable. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/random.h"
#include "common/utf8.h"
#include "service/engine_api_internal.h"

enum { INPUT_PAUSE_BYTES = 1024 * 1024 };

static const char common_headers[] = "Api-Version: " API_VERSION_TEXT "\r\nDocker-Experimental: false\r\n"
                                     "Ostype: windows\r\nServer: wctr/" WCTR_VERSION " (windows)\r\n";

/* --- requests: references ---------------------------------------------------------------------------------------- */

static void req_free(api_req *r) {
  while (r->in_head != NULL) {
    api_input *it = r->in_head;
    r->in_head = it->next;
    free(it);
  }
  if (r->state_free != NULL) r->state_free(r->state);
  free(r->id);
  wctr_mutex_destroy(&r->lock);
  free(r);
}

void api_req_ref(api_req *r) {
  wctr_mutex_lock(&r->lock);
  r->refs++;
  wctr_mutex_unlock(&r->lock);
}

void api_req_unref(api_req *r) {
  wctr_mutex_lock(&r->lock);
  int left = --r->refs;
  wctr_mutex_unlock(&r->lock);
  if (left == 0) req_free(r);
}

/* --- steps --------------------------------------------------------------------------------------------------------- */

struct api_step {
  svc_sink sink; /* first member: what the operation writes to */
  api_req *r;
  api_then then;
  bool is_stream;
  int refs;            /* r->lock: the operation (until finish), the invoke (until it returned), deliveries */
  bool invoked;        /* r->lock */
  bool finished;       /* r->lock */
  bool close_done;     /* r->lock */
};

typedef struct then_job {
  api_req *r;
  api_then then;
  wctr_err err;
  cJSON *result;
  char *message;
} then_job;

static void then_run(void *arg) {
  then_job *j = arg;
  j->then(j->r, j->err, j->result, j->message);
  cJSON_Delete(j->result);
  free(j->message);
  api_req *r = j->r;
  free(j);
  api_req_unref(r);
}

static void step_unref(api_step *s) {
  api_req *r = s->r;
  wctr_mutex_lock(&r->lock);
  int left = --s->refs;
  if (left == 0 && r->stream == s) r->stream = NULL;
  wctr_mutex_unlock(&r->lock);
  if (left > 0) return;
  if (s->sink.on_release != NULL) s->sink.on_release(s->sink.op_ctx);
  free(s);
  api_req_unref(r);
}

static void schedule_delivery(api_req *r);

/* A stream the client does not read is dropped: the connection closes, the step gets on_close. */
static void drop(api_req *r) {
  wctr_mutex_lock(&r->lock);
  bool first = !r->gone;
  r->gone = true;
  r->close_owed = true;
  bool end = !r->answered;
  r->answered = true;
  wctr_mutex_unlock(&r->lock);
  if (!first) return;
  char detail[200];
  snprintf(detail, sizeof detail, "stream dropped: the client did not read (more than %u bytes waiting)",
           SVC_SINK_QUEUE_MAX);
  wctr_log(WCTR_LOG_WARN, "engine api: %s of %s: %s", r->target, r->caller.name, detail);
  cJSON *p = api_id_params(r->id != NULL ? r->id : r->target);
  svc_ops_audit(r->api->ops, &r->caller, r->op != NULL ? r->op : "engine-api", p, WCTR_EPIPE, detail);
  cJSON_Delete(p);
  if (end) svc_http_finish(r->x, true);
  schedule_delivery(r);
}

void api_drop(api_req *r) { drop(r); }

static wctr_err step_output(svc_sink *sink, svc_output_stream stream, const char *data, size_t len) {
  api_step *s = (api_step *)sink;
  api_req *r = s->r;
  if (r->on_output == NULL) return WCTR_OK;
  return r->on_output(r, stream, data, len);
}

static wctr_err step_frame(svc_sink *sink, const char *kind, cJSON *data) {
  api_step *s = (api_step *)sink;
  api_req *r = s->r;
  if (r->on_frame == NULL) {
    cJSON_Delete(data);
    return WCTR_OK;
  }
  return r->on_frame(r, kind, data);
}

/* The exchange is freed once it is answered and released: every use of r->x after the answer could reach
 * freed memory, so such uses check r->answered and call into the session under r->lock (the session never
 * calls back into the front-end from these calls). */
static size_t step_pending(svc_sink *sink) {
  api_step *s = (api_step *)sink;
  api_req *r = s->r;
  wctr_mutex_lock(&r->lock);
  size_t n = r->answered ? 0 : svc_http_pending(r->x);
  wctr_mutex_unlock(&r->lock);
  return n;
}

static void step_when_drained(svc_sink *sink, size_t below, void (*fn)(void *arg), void *arg) {
  api_step *s = (api_step *)sink;
  api_req *r = s->r;
  wctr_mutex_lock(&r->lock);
  bool now = r->answered;
  if (!now) svc_http_when_drained(r->x, below, fn, arg);
  wctr_mutex_unlock(&r->lock);
  if (now && !wctr_ioc_post(r->api->ioc, fn, arg)) fn(arg);
}

static void step_finish(svc_sink *sink, wctr_err err, cJSON *result, const char *message) {
  api_step *s = (api_step *)sink;
  api_req *r = s->r;
  wctr_mutex_lock(&r->lock);
  WCTR_ASSERT(!s->finished);
  s->finished = true;
  r->refs++; /* the continuation's */
  wctr_mutex_unlock(&r->lock);
  then_job *j = calloc(1, sizeof *j);
  char *msg = NULL;
  if (message != NULL) {
    size_t n = strlen(message);
    msg = malloc(n + 1);
    if (msg != NULL) memcpy(msg, message, n + 1);
  }
  if (j == NULL) {
    /* Nothing can carry the answer on: the client gets the connection closed. */
    cJSON_Delete(result);
    free(msg);
    svc_http_finish(r->x, true);
    api_req_unref(r);
  } else {
    *j = (then_job){.r = r, .then = s->then, .err = err, .result = result, .message = msg};
    /* Never inline: the operation may hold its own locks here. */
    if (!wctr_ioc_post(r->api->ioc, then_run, j)) then_run(j);
  }
  step_unref(s);
}

static const svc_sink_methods step_methods = {
    .version = 1,
    .output = step_output,
    .frame = step_frame,
    .pending = step_pending,
    .when_drained = step_when_drained,
    .finish = step_finish,
};

void api_call(api_req *r, const char *op, cJSON *params, bool stream, api_then then) {
  api_step *s = calloc(1, sizeof *s);
  wctr_mutex_lock(&r->lock);
  bool gone = r->gone;
  if (s != NULL && !gone) {
    s->sink.methods = &step_methods;
    s->r = r;
    s->then = then;
    s->is_stream = stream;
    s->refs = 2; /* the operation's, the invoke's */
    r->refs++;   /* the step's */
    if (stream) r->stream = s;
  }
  wctr_mutex_unlock(&r->lock);
  if (s == NULL || gone) {
    free(s);
    cJSON_Delete(params);
    then_job *j = calloc(1, sizeof *j);
    if (j == NULL) {
      svc_http_finish(r->x, true);
      return;
    }
    api_req_ref(r);
    *j = (then_job){.r = r, .then = then, .err = gone ? WCTR_EPIPE : WCTR_ENOMEM};
    if (!wctr_ioc_post(r->api->ioc, then_run, j)) then_run(j);
    return;
  }
  svc_ops_invoke(r->api->ops, &r->caller, op, params, &s->sink);
  cJSON_Delete(params);
  wctr_mutex_lock(&r->lock);
  s->invoked = true;
  wctr_mutex_unlock(&r->lock);
  schedule_delivery(r);
  step_unref(s);
}

/* --- deliveries to the stream step: the client's input after a hijack, its leaving ----------------------------------- */

static bool has_work_locked(api_req *r) {
  api_step *s = r->stream;
  if (s == NULL || !s->invoked || s->finished) return false;
  return r->in_head != NULL || (r->close_owed && !s->close_done);
}

static void deliver_job(void *arg) {
  api_req *r = arg;
  for (;;) {
    wctr_mutex_lock(&r->lock);
    if (!has_work_locked(r)) {
      r->delivering = false;
      bool resume = r->input_paused && r->in_bytes < INPUT_PAUSE_BYTES / 4 && !r->gone && !r->answered;
      if (resume) {
        r->input_paused = false;
        svc_http_resume_input(r->x);
      }
      wctr_mutex_unlock(&r->lock);
      break;
    }
    api_step *s = r->stream;
    s->refs++;
    api_input *it = NULL;
    bool close = false;
    if (r->in_head != NULL) {
      it = r->in_head;
      r->in_head = it->next;
      if (r->in_head == NULL) r->in_tail = NULL;
      r->in_bytes -= it->len;
    } else {
      s->close_done = true;
      close = true;
    }
    wctr_mutex_unlock(&r->lock);
    if (close) {
      if (s->sink.on_close != NULL) s->sink.on_close(s->sink.op_ctx);
    } else {
      if (s->sink.on_input != NULL) s->sink.on_input(s->sink.op_ctx, it->data, it->len, it->eof);
      free(it);
    }
    step_unref(s);
  }
  api_req_unref(r);
}

static void schedule_delivery(api_req *r) {
  wctr_mutex_lock(&r->lock);
  bool go = !r->delivering && has_work_locked(r);
  if (go) {
    r->delivering = true;
    r->refs++;
  }
  wctr_mutex_unlock(&r->lock);
  if (go && !wctr_ioc_post(r->api->ioc, deliver_job, r)) deliver_job(r);
}

void api_stop_stream(api_req *r) {
  wctr_mutex_lock(&r->lock);
  r->close_owed = true;
  wctr_mutex_unlock(&r->lock);
  schedule_delivery(r);
}

/* The exchange's callbacks. */
static bool x_input(void *ctx, const char *data, size_t len, bool eof) {
  api_req *r = ctx;
  api_input *it = malloc(sizeof *it + len);
  if (it == NULL) return false;
  it->next = NULL;
  it->eof = eof;
  it->len = len;
  if (len > 0) memcpy(it->data, data, len);
  wctr_mutex_lock(&r->lock);
  if (r->in_tail != NULL) {
    r->in_tail->next = it;
  } else {
    r->in_head = it;
  }
  r->in_tail = it;
  r->in_bytes += len;
  bool pause = r->in_bytes > INPUT_PAUSE_BYTES;
  if (pause) r->input_paused = true;
  wctr_mutex_unlock(&r->lock);
  schedule_delivery(r);
  return pause;
}

static void x_close(void *ctx) {
  api_req *r = ctx;
  wctr_mutex_lock(&r->lock);
  r->gone = true;
  r->close_owed = true;
  wctr_mutex_unlock(&r->lock);
  schedule_delivery(r);
}

static void x_release(void *ctx) { api_req_unref(ctx); }

/* --- replies --------------------------------------------------------------------------------------------------------- */

/* True once: the caller answers the exchange. */
static bool take_answer(api_req *r) {
  wctr_mutex_lock(&r->lock);
  bool first = !r->answered;
  r->answered = true;
  wctr_mutex_unlock(&r->lock);
  return first;
}

static void respond(api_req *r, int status, const char *content_type, const char *body, size_t len) {
  if (!take_answer(r)) return;
  svc_http_respond(r->x, status, common_headers, content_type, body, len);
}

void api_reply_with(api_req *r, int status, const char *headers, const char *content_type, const char *body,
                    size_t len) {
  if (!take_answer(r)) return;
  size_t n = strlen(common_headers) + (headers != NULL ? strlen(headers) : 0) + 1;
  char *all = malloc(n);
  if (all == NULL) {
    svc_http_finish(r->x, true);
    return;
  }
  snprintf(all, n, "%s%s", common_headers, headers != NULL ? headers : "");
  svc_http_respond(r->x, status, all, content_type, body, len);
  free(all);
}

void api_reply_json(api_req *r, int status, cJSON *body) {
  if (body == NULL) {
    respond(r, status, NULL, NULL, 0);
    return;
  }
  /* wctr_json_print: whatever a record or a message holds, the answer is UTF-8 (common/utf8.h). */
  char *text = wctr_json_print(body);
  cJSON_Delete(body);
  if (text == NULL) {
    respond(r, 500, API_JSON, "{\"message\":\"out of memory\"}\n", 28);
    return;
  }
  size_t n = strlen(text);
  char *line = realloc(text, n + 2); /* Docker's encoder ends each document with a newline */
  if (line == NULL) {
    cJSON_free(text);
    respond(r, 500, API_JSON, "{\"message\":\"out of memory\"}\n", 28);
    return;
  }
  line[n] = '\n';
  line[n + 1] = '\0';
  respond(r, status, API_JSON, line, n + 1);
  free(line);
}

void api_reply_text(api_req *r, int status, const char *content_type, const char *text) {
  respond(r, status, content_type, text, strlen(text));
}

static void reply_message(api_req *r, int status, const char *message) {
  cJSON *body = cJSON_CreateObject();
  if (body != NULL) cJSON_AddStringToObject(body, "message", message);
  api_reply_json(r, status, body);
}

void api_reply_error(api_req *r, int status, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  reply_message(r, status, message);
}

int api_status_for(wctr_err err) {
  switch (err) {
    case WCTR_OK: return 200;
    case WCTR_EINVAL:
    case WCTR_EPROTO:
    case WCTR_ECONFIG:
    case WCTR_ENOTSUP: return 400;
    case WCTR_EACCES: return 403;
    case WCTR_ENOENT: return 404;
    case WCTR_EEXIST:
    case WCTR_ESTATE:
    case WCTR_EBUSY: return 409;
    case WCTR_ETOOBIG: return 413;
    case WCTR_EBADOP: return 501;
    case WCTR_ECANCELED:
    case WCTR_ENOSERVICE: return 503;
    default: return 500;
  }
}

void api_reply_failure(api_req *r, wctr_err err, const char *message) {
  reply_message(r, api_status_for(err), message != NULL && message[0] != '\0' ? message : wctr_strerror(err));
}

void api_refuse(api_req *r, int status, wctr_err code, const char *op, const char *fmt, ...) {
  char message[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  cJSON *p = cJSON_CreateObject();
  if (p != NULL) cJSON_AddStringToObject(p, "Id", op == NULL || r->id == NULL ? r->target : r->id);
  wctr_log(WCTR_LOG_INFO, "engine api: refused %s of %s: %s", r->target, r->caller.name, message);
  svc_ops_audit(r->api->ops, &r->caller, op != NULL ? op : "engine-api", p, code, message);
  cJSON_Delete(p);
  reply_message(r, status, message);
}

cJSON *api_id_params(const char *id) {
  cJSON *p = cJSON_CreateObject();
  if (p != NULL) cJSON_AddStringToObject(p, "Id", id != NULL ? id : "");
  return p;
}

/* --- streams --------------------------------------------------------------------------------------------------------- */

/* Under r->lock, so that no write of another thread (a step's output) can come before the head. */
wctr_err api_begin(api_req *r, int status, const char *content_type) {
  wctr_mutex_lock(&r->lock);
  wctr_err err = WCTR_ESTATE;
  if (!r->answered && !r->streaming) {
    r->streaming = true;
    err = svc_http_begin(r->x, status, common_headers, content_type);
  }
  wctr_mutex_unlock(&r->lock);
  return err;
}

wctr_err api_begin_with(api_req *r, int status, const char *headers, const char *content_type) {
  if (headers == NULL || headers[0] == '\0') return api_begin(r, status, content_type);
  size_t n = strlen(common_headers) + strlen(headers) + 1;
  char *all = malloc(n);
  if (all == NULL) return WCTR_ENOMEM;
  snprintf(all, n, "%s%s", common_headers, headers);
  wctr_mutex_lock(&r->lock);
  wctr_err err = WCTR_ESTATE;
  if (!r->answered && !r->streaming) {
    r->streaming = true;
    err = svc_http_begin(r->x, status, all, content_type);
  }
  wctr_mutex_unlock(&r->lock);
  free(all);
  return err;
}

wctr_err api_hijack(api_req *r, const char *content_type) {
  wctr_mutex_lock(&r->lock);
  wctr_err err = WCTR_ESTATE;
  if (!r->answered && !r->streaming) {
    r->streaming = r->hijacked = true;
    err = svc_http_hijack(r->x, common_headers, content_type);
  }
  wctr_mutex_unlock(&r->lock);
  return err;
}

bool api_streaming(api_req *r) {
  wctr_mutex_lock(&r->lock);
  bool s = r->streaming;
  wctr_mutex_unlock(&r->lock);
  return s;
}

wctr_err api_write(api_req *r, const void *data, size_t len) {
  wctr_mutex_lock(&r->lock);
  wctr_err err = r->answered || r->gone ? WCTR_EPIPE : svc_http_write(r->x, data, len);
  wctr_mutex_unlock(&r->lock);
  if (err == WCTR_ETOOBIG) {
    drop(r);
    return WCTR_EPIPE;
  }
  return err;
}

wctr_err api_write_frame(api_req *r, int stream, const char *data, size_t len) {
  while (len > 0) {
    /* One frame per 16 MiB at most: the size field is 32 bits, and a chunk is never that large anyway. */
    size_t n = len > 16u * 1024u * 1024u ? 16u * 1024u * 1024u : len;
    char *frame = malloc(8 + n);
    if (frame == NULL) return WCTR_ENOMEM;
    frame[0] = (char)stream;
    frame[1] = frame[2] = frame[3] = 0;
    frame[4] = (char)((n >> 24) & 0xff);
    frame[5] = (char)((n >> 16) & 0xff);
    frame[6] = (char)((n >> 8) & 0xff);
    frame[7] = (char)(n & 0xff);
    memcpy(frame + 8, data, n);
    wctr_err err = api_write(r, frame, 8 + n);
    free(frame);
    if (err != WCTR_OK) return err;
    data += n;
    len -= n;
  }
  return WCTR_OK;
}

void api_end(api_req *r) {
  if (!take_answer(r)) return;
  svc_http_finish(r->x, false);
}

void api_abort(api_req *r) {
  if (!take_answer(r)) return;
  svc_http_finish(r->x, true);
}

bool api_queue_body(api_req *r) {
  size_t len = r->hr->body_len;
  api_input *it = malloc(sizeof *it + len);
  if (it == NULL) return false;
  it->next = NULL;
  it->eof = true;
  it->len = len;
  if (len > 0) memcpy(it->data, r->hr->body, len);
  wctr_mutex_lock(&r->lock);
  if (r->in_tail != NULL) {
    r->in_tail->next = it;
  } else {
    r->in_head = it;
  }
  r->in_tail = it;
  r->in_bytes += len;
  wctr_mutex_unlock(&r->lock);
  return true;
}

/* --- query parameters ------------------------------------------------------------------------------------------------- */

char *api_query(api_req *r, const char *key) {
  char *value = NULL;
  bool present = false;
  if (svc_http_query(r->hr->query, key, &value, &present) != WCTR_OK) return NULL;
  return value;
}

bool api_query_bool(api_req *r, const char *key, bool def, bool *out) {
  char *v = api_query(r, key);
  *out = def;
  if (v == NULL) return true;
  bool ok = true;
  if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0 || strcmp(v, "True") == 0) {
    *out = true;
  } else if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0 || strcmp(v, "False") == 0 || v[0] == '\0') {
    *out = false;
  } else {
    ok = false;
    api_refuse(r, 400, WCTR_EINVAL, r->op, "invalid value for %s: \"%.64s\" is not a boolean (1, 0, true or false)", key,
               v);
  }
  free(v);
  return ok;
}

bool api_query_int(api_req *r, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out) {
  char *v = api_query(r, key);
  *out = def;
  if (v == NULL || v[0] == '\0') {
    free(v);
    return true;
  }
  char *end = NULL;
  long long n = strtoll(v, &end, 10);
  bool ok = end != NULL && *end == '\0' && n >= min && n <= max;
  if (ok) {
    *out = n;
  } else {
    api_refuse(r, 400, WCTR_EINVAL, r->op, "invalid value for %s: \"%.64s\" is not a whole number from %lld to %lld",
               key, v, (long long)min, (long long)max);
  }
  free(v);
  return ok;
}

bool api_query_filters(api_req *r, cJSON **out) {
  *out = NULL;
  char *v = api_query(r, "filters");
  if (v == NULL || v[0] == '\0') {
    free(v);
    return true;
  }
  cJSON *in = cJSON_Parse(v);
  wctr_errmsg se;
  /* JSON text as the pipe takes it (common/proto.h): no raw control character in a string. */
  if (in != NULL && wctr_proto_check_strings(v, strlen(v), in, "filters", &se) != WCTR_OK) {
    free(v);
    cJSON_Delete(in);
    api_refuse(r, 400, WCTR_EINVAL, r->op, "invalid filter: %s", se.text);
    return false;
  }
  free(v);
  cJSON *norm = cJSON_CreateObject();
  bool ok = cJSON_IsObject(in) && norm != NULL;
  const cJSON *key;
  for (key = in != NULL ? in->child : NULL; ok && key != NULL; key = key->next) {
    cJSON *arr = cJSON_AddArrayToObject(norm, key->string);
    if (arr == NULL) {
      ok = false;
      break;
    }
    const cJSON *v2;
    if (cJSON_IsArray(key)) {
      /* The older form: {"label": ["a=b"]} */
      cJSON_ArrayForEach(v2, key) {
        ok = ok && cJSON_IsString(v2) && cJSON_AddItemToArray(arr, cJSON_CreateString(v2->valuestring));
      }
    } else if (cJSON_IsObject(key)) {
      /* Docker's map of sets: {"label": {"a=b": true}} */
      cJSON_ArrayForEach(v2, key) {
        ok = ok && cJSON_IsTrue(v2) && cJSON_AddItemToArray(arr, cJSON_CreateString(v2->string));
      }
    } else {
      ok = false;
    }
  }
  cJSON_Delete(in);
  if (!ok) {
    cJSON_Delete(norm);
    api_refuse(r, 400, WCTR_EINVAL, r->op,
               "invalid filter: \"filters\" must be a JSON object of arrays of strings ({\"label\":[\"a=b\"]})");
    return false;
  }
  *out = norm;
  return true;
}

bool api_filters_check(api_req *r, const cJSON *filters, const char *const *allowed, const char *what) {
  const cJSON *f;
  cJSON_ArrayForEach(f, filters) {
    bool known = false;
    for (size_t i = 0; allowed[i] != NULL && !known; i++) known = strcmp(allowed[i], f->string) == 0;
    if (!known) {
      char list[256] = "";
      size_t used = 0;
      for (size_t i = 0; allowed[i] != NULL && used < sizeof list; i++) {
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i > 0 ? ", " : "", allowed[i]);
      }
      api_refuse(r, 400, WCTR_EINVAL, r->op, "invalid filter '%s': %s supports %s", f->string, what, list);
      return false;
    }
  }
  return true;
}

/* --- the body ---------------------------------------------------------------------------------------------------------- */

wctr_err api_body_json(api_req *r, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  if (r->hr->body == NULL || r->hr->body_len == 0) return WCTR_OK;
  cJSON *root = cJSON_ParseWithLength(r->hr->body, r->hr->body_len);
  if (root == NULL) return wctr_fail(e, WCTR_EINVAL, "the body is not JSON");
  /* The pipe's rule for a request (common/proto.h): strings are UTF-8, without raw control characters, so
   * nothing a client sends reaches a record, an answer or the audit trail in another form. */
  wctr_err err = wctr_proto_check_strings(r->hr->body, r->hr->body_len, root, "body", e);
  if (err != WCTR_OK) {
    cJSON_Delete(root);
    return WCTR_EINVAL;
  }
  *out = root;
  return WCTR_OK;
}

void api_create_from_body(api_req *r, const char *op, api_shape_fn shape, bool anonymous, const char *config,
                          api_then then) {
  cJSON *body = NULL;
  wctr_errmsg be;
  wctr_err body_err = api_body_json(r, &body, &be);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "Name");
  if (cJSON_IsString(name) && (!anonymous || name->valuestring[0] != '\0')) {
    size_t n = strlen(name->valuestring) + 1;
    r->id = malloc(n);
    if (r->id != NULL) memcpy(r->id, name->valuestring, n);
  }
  /* (no body is dockerd's empty request: an anonymous volume) */
  if (body_err == WCTR_OK && body == NULL && anonymous) body = cJSON_CreateObject();
  cJSON *params = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (body_err != WCTR_OK) {
    api_refuse(r, 400, WCTR_EINVAL, op, "%s", be.text);
  } else if (body == NULL && anonymous) {
    api_reply_error(r, 500, "out of memory");
  } else if (body == NULL) {
    api_refuse(r, 400, WCTR_EINVAL, op, "the body must be a JSON object (Docker's %s)", config);
  } else if (shape(body, &params, &e) != WCTR_OK) {
    api_refuse(r, api_status_for(e.code), e.code, op, "%s", e.text);
  } else {
    api_call(r, op, params, false, then);
  }
  cJSON_Delete(body);
}

/* --- routing --------------------------------------------------------------------------------------------------------- */

typedef void (*api_fn)(api_req *r);

typedef struct route {
  const char *method;
  const char *pattern; /* "*" matches one path segment, which becomes r->id */
  api_fn fn;
  const char *op;      /* the operation it maps to (audit of refusals and drops) */
  const char *missing; /* for 501: what wctr lacks */
} route;

/* Why an endpoint Docker has is not served (501, listed in docs/engine-api.md). */
static const char no_files[] =
    "exporting, diffing or committing a container's file system is not implemented yet; copy files with "
    "/containers/{id}/archive (docker cp)";
static const char no_swarm[] =
    "swarm mode (services, tasks, nodes, swarm secrets and configs) is not implemented by wctr; for secrets see "
    "`wctr secret` and --secret";
static const char no_plugins[] = "Engine plugins are not supported by wctr";
static const char no_build[] = "building images is not implemented";

static const route routes[] = {
    {"GET", "/_ping", api_ping, NULL, NULL},
    {"HEAD", "/_ping", api_ping, NULL, NULL},
    {"GET", "/version", api_version, "version", NULL},
    {"GET", "/info", api_info, "info", NULL},
    {"GET", "/events", api_events, "events", NULL},
    {"GET", "/system/df", api_system_df, "container.list", NULL},
    {"GET", "/containers/json", api_containers_list, "container.list", NULL},
    {"POST", "/containers/create", api_container_create, "container.create", NULL},
    {"POST", "/containers/prune", api_containers_prune, "container.remove", NULL},
    {"GET", "/containers/*/json", api_container_inspect, "container.inspect", NULL},
    {"POST", "/containers/*/start", api_container_start, "container.start", NULL},
    {"POST", "/containers/*/stop", api_container_stop, "container.stop", NULL},
    {"POST", "/containers/*/restart", api_container_restart, "container.restart", NULL},
    {"POST", "/containers/*/kill", api_container_kill, "container.kill", NULL},
    {"POST", "/containers/*/wait", api_container_wait, "container.wait", NULL},
    {"POST", "/containers/*/attach", api_container_attach, "container.attach", NULL},
    {"GET", "/containers/*/logs", api_container_logs, "container.logs", NULL},
    {"GET", "/containers/*/stats", api_container_stats, "container.stats", NULL},
    {"POST", "/containers/*/update", api_container_update, "container.update", NULL},
    {"POST", "/containers/*/rename", api_container_rename, "container.rename", NULL},
    {"DELETE", "/containers/*", api_container_delete, "container.remove", NULL},
    {"GET", "/containers/*/top", api_container_top, "container.top", NULL},
    {"POST", "/containers/*/pause", api_container_pause, "container.pause", NULL},
    {"POST", "/containers/*/unpause", api_container_unpause, "container.unpause", NULL},
    {"POST", "/containers/*/exec", api_container_exec, "exec.create", NULL},
    {"POST", "/exec/*/start", api_exec_start, "exec.start", NULL},
    {"GET", "/exec/*/json", api_exec_inspect, "exec.inspect", NULL},
    {"POST", "/exec/*/resize", api_exec_resize, "exec.resize", NULL},
    {"POST", "/containers/*/resize", NULL, "container.resize",
     "resizing a container's TTY is not implemented yet through the Engine API"},
    {"GET", "/containers/*/attach/ws", NULL, "container.attach",
     "attaching over a websocket is not implemented; use POST /containers/{id}/attach"},
    {"GET", "/containers/*/archive", api_container_archive_get, "container.archive.get", NULL},
    {"HEAD", "/containers/*/archive", api_container_archive_head, "container.archive.stat", NULL},
    {"PUT", "/containers/*/archive", api_container_archive_put, "container.archive.put", NULL},
    {"GET", "/containers/*/export", NULL, "container.export", no_files},
    {"GET", "/containers/*/changes", NULL, "container.changes", no_files},
    {"POST", "/commit", NULL, "container.commit", no_files},
    {"POST", "/auth", api_auth, "registry.login", NULL},
    {"GET", "/networks", api_networks_list, "network.list", NULL},
    {"POST", "/networks/create", api_network_create, "network.create", NULL},
    {"POST", "/networks/prune", api_networks_prune, "network.prune", NULL},
    {"GET", "/networks/*", api_network_inspect, "network.inspect", NULL},
    {"DELETE", "/networks/*", api_network_delete, "network.remove", NULL},
    {"POST", "/networks/*/connect", NULL, "network.connect",
     "connecting a container to a network is not supported: a container joins one network when it is created "
     "(HostConfig.NetworkMode)"},
    {"POST", "/networks/*/disconnect", NULL, "network.disconnect",
     "disconnecting a container from its network is not supported: a container keeps the network it was created on"},
    {"GET", "/volumes", api_volumes_list, "volume.list", NULL},
    {"POST", "/volumes/create", api_volume_create, "volume.create", NULL},
    {"POST", "/volumes/prune", api_volumes_prune, "volume.prune", NULL},
    {"GET", "/volumes/*", api_volume_inspect, "volume.inspect", NULL},
    {"DELETE", "/volumes/*", api_volume_delete, "volume.remove", NULL},
    {"GET", "/images/json", api_images_list, "image.list", NULL},
    {"POST", "/images/create", api_image_create, "image.pull", NULL},
    {"POST", "/images/load", api_image_load, "image.load", NULL},
    {"GET", "/images/get", api_images_get, "image.save", NULL},
    {"GET", "/images/search", NULL, "image.search",
     "searching a registry is not implemented: wctrd talks to registries only to pull (docker pull NAME:TAG)"},
    {"POST", "/images/prune", api_images_prune, "image.prune", NULL},
    {"POST", "/build", NULL, "image.build", no_build},
};

/* Families of endpoints Docker has and wctr does not: any method and any path under the prefix gets 501 with
 * the reason (dockerd would serve them; "page not found" would wrongly say the path does not exist). */
typedef struct missing_family {
  const char *prefix;
  const char *op;
  const char *missing;
} missing_family;

static const missing_family missing_families[] = {
    {"/swarm", "swarm", no_swarm},
    {"/services", "swarm", no_swarm},
    {"/tasks", "swarm", no_swarm},
    {"/nodes", "swarm", no_swarm},
    {"/secrets", "swarm", no_swarm},
    {"/configs", "swarm", no_swarm},
    {"/plugins", "plugin", no_plugins},
    {"/build", "image.build", no_build},
};

/* Image routes take a name that may hold '/' ("library/nanoserver:ltsc2022"): matched by their ends. */
typedef struct image_route {
  const char *method;
  const char *suffix; /* "" for the name alone */
  api_fn fn;
  const char *op;
  const char *missing;
} image_route;

static const image_route image_routes[] = {
    {"GET", "/json", api_image_inspect, "image.inspect", NULL},
    {"GET", "/history", api_image_history, "image.history", NULL},
    {"POST", "/tag", api_image_tag, "image.tag", NULL},
    {"POST", "/push", NULL, "image.push", "pushing images is not implemented: wctrd only pulls from registries"},
    {"GET", "/get", api_image_get, "image.save", NULL},
    {"DELETE", "", api_image_delete, "image.remove", NULL},
};

/* Does path match pattern ("*" one non-empty segment, copied into *segment)? */
static bool match(const char *pattern, const char *path, char **segment) {
  *segment = NULL;
  const char *p = pattern;
  const char *s = path;
  while (*p != '\0') {
    if (*p == '*') {
      const char *end = strchr(s, '/');
      size_t n = end != NULL ? (size_t)(end - s) : strlen(s);
      if (n == 0) break;
      free(*segment);
      *segment = malloc(n + 1);
      if (*segment == NULL) return false;
      memcpy(*segment, s, n);
      (*segment)[n] = '\0';
      s += n;
      p++;
      continue;
    }
    if (*p != *s) break;
    p++;
    s++;
  }
  if (*p == '\0' && (*s == '\0' || (s[0] == '/' && s[1] == '\0'))) return true;
  free(*segment);
  *segment = NULL;
  return false;
}

static void not_implemented(api_req *r, const char *op, const char *missing) {
  api_refuse(r, 501, WCTR_ENOTSUP, op, "%s", missing);
}

static bool route_images(api_req *r, const char *path) {
  static const char prefix[] = "/images/";
  if (strncmp(path, prefix, sizeof prefix - 1) != 0) return false;
  const char *name = path + sizeof prefix - 1;
  size_t len = strlen(name);
  for (size_t i = 0; i < sizeof image_routes / sizeof image_routes[0]; i++) {
    const image_route *ir = &image_routes[i];
    size_t sl = strlen(ir->suffix);
    if (strcmp(r->hr->method, ir->method) != 0 || len <= sl || strcmp(name + len - sl, ir->suffix) != 0) continue;
    r->id = malloc(len - sl + 1);
    if (r->id == NULL) {
      api_reply_error(r, 500, "out of memory");
      return true;
    }
    memcpy(r->id, name, len - sl);
    r->id[len - sl] = '\0';
    r->op = ir->op;
    if (ir->fn == NULL) {
      not_implemented(r, ir->op, ir->missing);
    } else {
      ir->fn(r);
    }
    return true;
  }
  return false;
}

/* "/v1.41/..." -> minor 41 and the rest; false with *bad set for a malformed one (404). */
static const char *strip_version(api_req *r, const char *path, bool *versioned) {
  *versioned = false;
  r->minor = SVC_API_MAX_VERSION_MINOR;
  if (path[0] != '/' || path[1] != 'v' || !isdigit((unsigned char)path[2])) return path;
  const char *p = path + 2;
  long major = 0, minor = 0;
  while (isdigit((unsigned char)*p) && major < 1000) major = major * 10 + (*p++ - '0');
  if (*p != '.') return path;
  p++;
  if (!isdigit((unsigned char)*p)) return path;
  while (isdigit((unsigned char)*p) && minor < 100000) minor = minor * 10 + (*p++ - '0');
  if (*p != '/' && *p != '\0') return path;
  *versioned = true;
  if (major != 1 || minor > SVC_API_MAX_VERSION_MINOR) {
    r->minor = -1;
  } else if (minor < SVC_API_MIN_VERSION_MINOR) {
    r->minor = -2;
  } else {
    r->minor = (int)minor;
  }
  return p;
}

/* Strings from outside are UTF-8 (common/utf8.h), in the Engine API as in the pipe protocol: the path and
 * every query parameter, once percent-decoded, or the request is refused naming the part at fault (a name
 * or an id that is not UTF-8 would otherwise reach answers, logs and the audit trail in another form). */
static bool request_text_ok(api_req *r) {
  const char *path = r->hr->path;
  if (!wctr_utf8_valid(path, strlen(path))) {
    api_refuse(r, 400, WCTR_EINVAL, NULL, "the request path is not valid UTF-8 once percent-decoded");
    return false;
  }
  const char *q = r->hr->query;
  for (int index = 0; *q != '\0'; index++) {
    const char *end = strchr(q, '&');
    size_t n = end != NULL ? (size_t)(end - q) : strlen(q);
    const char *eq = memchr(q, '=', n);
    size_t kn = eq != NULL ? (size_t)(eq - q) : n;
    char *key = svc_http_decode(q, kn, true);
    char *value = eq != NULL ? svc_http_decode(eq + 1, n - kn - 1, true) : NULL;
    bool ok = key != NULL && (eq == NULL || value != NULL);
    bool key_ok = ok && wctr_utf8_valid(key, strlen(key));
    bool value_ok = value == NULL || wctr_utf8_valid(value, strlen(value));
    if (!ok) {
      api_refuse(r, 400, WCTR_EINVAL, NULL, "query parameter %d has a bad %%-escape or an encoded NUL", index + 1);
    } else if (!key_ok) {
      api_refuse(r, 400, WCTR_EINVAL, NULL, "the name of query parameter %d is not valid UTF-8", index + 1);
    } else if (!value_ok) {
      api_refuse(r, 400, WCTR_EINVAL, NULL, "query parameter %.64s is not valid UTF-8", key);
    }
    free(key);
    free(value);
    if (!ok || !key_ok || !value_ok) return false;
    q += n;
    if (*q == '&') q++;
  }
  return true;
}

/* Constant time: the time taken does not tell how much of a guess was right. */
static bool token_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < lb; i++) diff |= (unsigned char)(a[i % (la > 0 ? la : 1)] ^ b[i]);
  return diff == 0 && la > 0;
}

static bool authorised(api_req *r, const api_listener *l) {
  if (!l->token_required) return true;
  const char *auth = svc_http_header_get(r->hr, "authorization");
  const char *bearer = "Bearer ";
  if (auth != NULL && strncmp(auth, bearer, strlen(bearer)) == 0 && l->api->has_token &&
      token_equal(auth + strlen(bearer), l->api->token)) {
    return true;
  }
  api_refuse(r, 401, WCTR_EACCES, NULL,
             "%s: this Engine API listener needs \"Authorization: Bearer <token>\" with the token in "
             "<data-root>\\config\\api-token (for the docker CLI: \"HttpHeaders\" in its config.json)",
             auth == NULL ? "no token" : "wrong token");
  return false;
}

static void on_request(void *ctx, svc_http_exchange *x) {
  api_listener *l = ctx;
  api_req *r = calloc(1, sizeof *r);
  if (r == NULL || wctr_mutex_init(&r->lock) != WCTR_OK) {
    free(r);
    svc_http_respond(x, 500, common_headers, API_JSON, "{\"message\":\"out of memory\"}\n", 28);
    return;
  }
  r->api = l->api;
  r->x = x;
  r->hr = svc_http_req(x);
  r->caller = *svc_http_caller(x);
  r->refs = 1; /* the exchange's */
  snprintf(r->target, sizeof r->target, "%s %.280s", r->hr->method, r->hr->path);
  svc_http_set_callbacks(x, r, x_input, x_close, x_release);
  wctr_log(WCTR_LOG_DEBUG, "engine api: %s %s from %s", r->hr->method, r->hr->target, r->caller.name);
  if (!authorised(r, l)) return;
  if (!request_text_ok(r)) return;
  bool versioned = false;
  const char *path = strip_version(r, r->hr->path, &versioned);
  if (r->minor == -1) {
    api_refuse(r, 400, WCTR_EINVAL, NULL, "client version %.*s is too new. Maximum supported API version is %s",
               (int)(path - r->hr->path - 2), r->hr->path + 2, API_VERSION_TEXT);
    return;
  }
  if (r->minor == -2) {
    api_refuse(r, 400, WCTR_EINVAL, NULL,
               "client version %.*s is too old. Minimum supported API version is %s, please upgrade your client to a "
               "newer version",
               (int)(path - r->hr->path - 2), r->hr->path + 2, API_MIN_VERSION_TEXT);
    return;
  }
  if (*path == '\0') path = "/";
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    const route *rt = &routes[i];
    char *segment = NULL;
    if (strcmp(rt->method, r->hr->method) != 0 || !match(rt->pattern, path, &segment)) continue;
    r->id = segment;
    r->op = rt->op;
    if (rt->fn == NULL) {
      not_implemented(r, rt->op, rt->missing);
    } else {
      rt->fn(r);
    }
    return;
  }
  if (route_images(r, path)) return;
  for (size_t i = 0; i < sizeof missing_families / sizeof missing_families[0]; i++) {
    const missing_family *f = &missing_families[i];
    size_t n = strlen(f->prefix);
    if (strncmp(path, f->prefix, n) == 0 && (path[n] == '\0' || path[n] == '/')) {
      r->op = f->op;
      not_implemented(r, f->op, f->missing);
      return;
    }
  }
  api_refuse(r, 404, WCTR_EBADOP, NULL, "page not found");
}

static void on_refused(void *ctx, const svc_caller *caller, int status, const char *reason) {
  api_listener *l = ctx;
  char detail[300];
  snprintf(detail, sizeof detail, "HTTP %d: %s", status, reason);
  wctr_log(WCTR_LOG_INFO, "engine api: refused a request of %s: %s", caller->name, detail);
  svc_ops_audit(l->api->ops, caller, "engine-api", NULL, status == 413 || status == 431 ? WCTR_ETOOBIG : WCTR_EPROTO,
                detail);
}

/* The requests whose body streams to their operation instead of being read whole (service/http.h): an image
 * archive (docker load) is hundreds of megabytes. No bound of the session's: the operation writes the archive to
 * the store's disk as it arrives, as `wctr load` over the pipe does. */
static bool stream_body(void *ctx, const svc_http_request *hr, uint64_t *limit) {
  (void)ctx;
  *limit = 0;
  const char *path = hr->path;
  if (path[0] == '/' && path[1] == 'v' && isdigit((unsigned char)path[2])) {
    path = strchr(path + 1, '/');
    if (path == NULL) return false;
  }
  if (strcmp(hr->method, "PUT") == 0 && strncmp(path, "/containers/", 12) == 0) {
    /* PUT /containers/{id}/archive: a tar of any size, written to the container's folder as it arrives. */
    const char *slash = strchr(path + 12, '/');
    return slash != NULL && slash > path + 12 && strcmp(slash, "/archive") == 0;
  }
  if (strcmp(hr->method, "POST") != 0) return false;
  return strcmp(path, "/images/load") == 0 || strcmp(path, "/images/load/") == 0;
}

/* --- the api ------------------------------------------------------------------------------------------------------------ */

wctr_err svc_engine_api_token_new(char *out, size_t size, wctr_errmsg *e) {
  unsigned char bytes[SVC_API_TOKEN_BYTES];
  if (size < 2 * sizeof bytes + 1) return wctr_fail(e, WCTR_EINVAL, "the token buffer is too small");
  if (wctr_random_bytes(bytes, sizeof bytes) != WCTR_OK) {
    return wctr_fail(e, WCTR_ESYSTEM, "no random numbers for the Engine API token");
  }
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof bytes; i++) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  out[2 * sizeof bytes] = '\0';
  memset(bytes, 0, sizeof bytes);
  return WCTR_OK;
}

wctr_err svc_engine_api_new(const svc_engine_api_options *opt, svc_engine_api **out, wctr_errmsg *e) {
  *out = NULL;
  svc_engine_api *api = calloc(1, sizeof *api);
  if (api == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  api->ioc = opt->ioc;
  api->ops = opt->ops;
  api->host = opt->host;
  if (api->host.host_cpus < 1) api->host.host_cpus = 1;
  if (opt->token != NULL) {
    if (strlen(opt->token) >= sizeof api->token || opt->token[0] == '\0') {
      free(api);
      return wctr_fail(e, WCTR_EINVAL, "the Engine API token must be 1 to %zu characters", sizeof api->token - 1);
    }
    snprintf(api->token, sizeof api->token, "%s", opt->token);
    api->has_token = true;
  }
  api->listeners[0] = (api_listener){.api = api, .token_required = false};
  api->listeners[1] = (api_listener){.api = api, .token_required = true};
  *out = api;
  return WCTR_OK;
}

svc_http_handler svc_engine_api_handler(svc_engine_api *api, bool token_required) {
  return (svc_http_handler){.ctx = &api->listeners[token_required ? 1 : 0], .on_request = on_request,
                            .on_refused = on_refused, .stream_body = stream_body};
}

void svc_engine_api_free(svc_engine_api *api) {
  if (api == NULL) return;
  memset(api->token, 0, sizeof api->token);
  free(api);
}
