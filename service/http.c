/* service/http.c - HTTP/1.1 on one byte connection (contract in service/http.h). Portable.
 *
 * A session is referenced by the transport (until gone), by its current exchange (while one exists) and by
 * each posted parse job; the last one out releases the connection and frees the session. An exchange is
 * referenced by its answer (until respond or finish), by its dispatch (until on_request returned), by each
 * callback in progress and by each drain waiter; the last one out calls on_release.
 *
 * Lock: the session's, taken for its state and around every conn->send (so the bytes of one exchange go out
 * in the order they were written). Never held while calling the handler or conn->close / conn->release
 * (which may come back into the session). */
#include "service/http.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "common/log.h"

typedef struct input_item {
  struct input_item *next;
  bool eof;
  size_t len;
  char data[];
} input_item;

typedef enum x_mode { X_NEW = 0, X_STREAM, X_RAW_STREAM, X_HIJACKED } x_mode;

struct svc_http_exchange {
  svc_http_session *s;
  svc_http_request req;
  void *ctx;
  bool (*on_input)(void *ctx, const char *data, size_t len, bool eof);
  void (*on_close)(void *ctx);
  void (*on_release)(void *ctx);
  /* Under the session's lock. */
  int refs;
  x_mode mode;
  bool answered;       /* respond or finish was called */
  bool close_owed;     /* the client is gone: on_close is due */
  bool close_done;     /* on_close was delivered (or is being) */
  bool head;           /* a HEAD request: no body in the answer */
  bool body_stream;    /* the body streams to on_input (the handler's stream_body) */
  bool body_done;      /* ... and its end was queued */
  bool dispatched;     /* on_request returned: the body may be delivered */
  bool refused;        /* the session refused the streamed body: the answer sends nothing */
  uint64_t body_limit; /* 0: none */
  uint64_t body_seen;
};

struct svc_http_session {
  svc_http_options opt;
  svc_http_conn *conn;
  wctr_mutex lock;
  int refs;
  http_parser parser;
  /* The request being parsed. */
  svc_http_request cur;
  char *url;
  size_t url_len, url_cap;
  char *field, *value;
  size_t field_len, field_cap, value_len, value_cap;
  bool in_value;
  size_t body_cap;
  bool message_done;
  bool mid_message;    /* the parser is inside a request (its first bytes were consumed) */
  bool expect_continue;
  int fail_status;     /* a callback refused the request: 413, 431, 400 */
  char fail_reason[200];
  /* Input not parsed yet. */
  char *in;
  size_t in_len, in_cap;
  bool paused;         /* feed answered false; conn->resume is owed */
  bool held;           /* the handler's on_input asked to stop reading (until svc_http_resume_input) */
  unsigned resumes;    /* svc_http_resume_input calls: one during an on_input call ends the hold it asks for */
  bool stream_next;    /* the request being parsed streams its body (decided at its headers) */
  uint64_t stream_limit;
  /* Hijacked input, delivered one item at a time. */
  input_item *inq_head, *inq_tail;
  bool delivering;
  svc_http_phase phase;
  uint64_t since;
  svc_http_exchange *x;
  bool gone;           /* the transport called gone */
  bool eof;            /* the client's stream ended */
  bool closing;        /* conn->close was called (or is owed) */
  bool dead_parser;    /* after an upgrade or a refusal nothing more is parsed */
};

static const http_parser_settings settings;

/* --- small helpers ------------------------------------------------------------------------------------------- */

static bool grow(char **buf, size_t *cap, size_t need) {
  if (need <= *cap) return true;
  size_t cap2 = *cap == 0 ? 256 : *cap;
  while (cap2 < need) cap2 *= 2;
  char *p = realloc(*buf, cap2);
  if (p == NULL) return false;
  *buf = p;
  *cap = cap2;
  return true;
}

static bool append(char **buf, size_t *len, size_t *cap, const char *data, size_t n) {
  if (!grow(buf, cap, *len + n + 1)) return false;
  memcpy(*buf + *len, data, n);
  *len += n;
  (*buf)[*len] = '\0';
  return true;
}

static void request_free(svc_http_request *r) {
  free(r->target);
  free(r->path);
  free(r->query);
  for (size_t i = 0; i < r->header_count; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  free(r->body);
  memset(r, 0, sizeof *r);
}

static char *dup_n(const char *s, size_t n) {
  char *c = malloc(n + 1);
  if (c == NULL) return NULL;
  memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

const char *svc_http_header_get(const svc_http_request *r, const char *name) {
  for (size_t i = 0; i < r->header_count; i++) {
    const char *a = r->headers[i].name;
    const char *b = name;
    while (*a != '\0' && tolower((unsigned char)*a) == tolower((unsigned char)*b)) a++, b++;
    if (*a == '\0' && *b == '\0') return r->headers[i].value;
  }
  return NULL;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *svc_http_decode(const char *text, size_t len, bool plus_is_space) {
  char *out = malloc(len + 1);
  if (out == NULL) return NULL;
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= len) {
        free(out);
        return NULL;
      }
      int a = hex_value(text[i + 1]);
      int b = hex_value(text[i + 2]);
      if (a < 0 || b < 0 || (a == 0 && b == 0)) {
        free(out);
        return NULL;
      }
      out[n++] = (char)(a * 16 + b);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out[n++] = ' ';
    } else if (c == '\0') {
      free(out);
      return NULL;
    } else {
      out[n++] = c;
    }
  }
  out[n] = '\0';
  return out;
}

wctr_err svc_http_query(const char *query, const char *key, char **out, bool *present) {
  *out = NULL;
  *present = false;
  size_t klen = strlen(key);
  const char *p = query != NULL ? query : "";
  while (*p != '\0') {
    const char *end = strchr(p, '&');
    size_t plen = end != NULL ? (size_t)(end - p) : strlen(p);
    const char *eq = memchr(p, '=', plen);
    size_t name_len = eq != NULL ? (size_t)(eq - p) : plen;
    char *name = svc_http_decode(p, name_len, true);
    if (name == NULL) return WCTR_EINVAL;
    bool match = strlen(name) == klen && memcmp(name, key, klen) == 0;
    free(name);
    if (match) {
      const char *v = eq != NULL ? eq + 1 : p + plen;
      size_t vlen = eq != NULL ? plen - name_len - 1 : 0;
      *out = svc_http_decode(v, vlen, true);
      if (*out == NULL) return WCTR_EINVAL;
      *present = true;
      return WCTR_OK;
    }
    p += plen;
    if (*p == '&') p++;
  }
  return WCTR_OK;
}

const char *svc_http_reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "UPGRADED"; /* Docker's word for the hijack */
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Request Entity Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

/* --- references ---------------------------------------------------------------------------------------------- */

static void session_unref(svc_http_session *s) {
  wctr_mutex_lock(&s->lock);
  int left = --s->refs;
  wctr_mutex_unlock(&s->lock);
  if (left > 0) return;
  s->conn->methods->release(s->conn);
  request_free(&s->cur);
  while (s->inq_head != NULL) {
    input_item *it = s->inq_head;
    s->inq_head = it->next;
    free(it);
  }
  free(s->url);
  free(s->field);
  free(s->value);
  free(s->in);
  wctr_mutex_destroy(&s->lock);
  free(s);
}

static void exchange_unref(svc_http_exchange *x) {
  svc_http_session *s = x->s;
  wctr_mutex_lock(&s->lock);
  int left = --x->refs;
  wctr_mutex_unlock(&s->lock);
  if (left > 0) return;
  if (x->on_release != NULL) x->on_release(x->ctx);
  request_free(&x->req);
  free(x);
  session_unref(s);
}

/* --- parsing ------------------------------------------------------------------------------------------------- */

static int fail(http_parser *p, int status, const char *reason) {
  svc_http_session *s = p->data;
  if (s->fail_status == 0) {
    s->fail_status = status;
    snprintf(s->fail_reason, sizeof s->fail_reason, "%s", reason);
  }
  return -1;
}

static int commit_header(svc_http_session *s) {
  if (s->field_len == 0) return 0;
  if (s->cur.header_count >= SVC_HTTP_MAX_HEADERS) return fail(&s->parser, 431, "too many header fields");
  svc_http_header *grown = realloc(s->cur.headers, (s->cur.header_count + 1) * sizeof *grown);
  if (grown == NULL) return fail(&s->parser, 500, "out of memory");
  s->cur.headers = grown;
  for (size_t i = 0; i < s->field_len; i++) s->field[i] = (char)tolower((unsigned char)s->field[i]);
  const char *v = s->value != NULL ? s->value : "";
  size_t vlen = s->value_len;
  while (vlen > 0 && (*v == ' ' || *v == '\t')) v++, vlen--;
  while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) vlen--;
  char *name = dup_n(s->field, s->field_len);
  char *value = dup_n(v, vlen);
  if (name == NULL || value == NULL) {
    free(name);
    free(value);
    return fail(&s->parser, 500, "out of memory");
  }
  s->cur.headers[s->cur.header_count++] = (svc_http_header){.name = name, .value = value};
  s->field_len = 0;
  s->value_len = 0;
  s->in_value = false;
  return 0;
}

static int on_message_begin(http_parser *p) {
  svc_http_session *s = p->data;
  request_free(&s->cur);
  s->url_len = 0;
  s->field_len = 0;
  s->value_len = 0;
  s->in_value = false;
  s->body_cap = 0;
  s->message_done = false;
  s->mid_message = true;
  s->expect_continue = false;
  return 0;
}

static int on_url(http_parser *p, const char *at, size_t len) {
  svc_http_session *s = p->data;
  return append(&s->url, &s->url_len, &s->url_cap, at, len) ? 0 : fail(p, 500, "out of memory");
}

static int on_header_field(http_parser *p, const char *at, size_t len) {
  svc_http_session *s = p->data;
  if (s->in_value && commit_header(s) != 0) return -1;
  return append(&s->field, &s->field_len, &s->field_cap, at, len) ? 0 : fail(p, 500, "out of memory");
}

static int on_header_value(http_parser *p, const char *at, size_t len) {
  svc_http_session *s = p->data;
  s->in_value = true;
  return append(&s->value, &s->value_len, &s->value_cap, at, len) ? 0 : fail(p, 500, "out of memory");
}

static int on_headers_complete(http_parser *p) {
  svc_http_session *s = p->data;
  if (commit_header(s) != 0) return -1;
  const char *url = s->url != NULL ? s->url : "";
  const char *q = strchr(url, '?');
  size_t path_len = q != NULL ? (size_t)(q - url) : strlen(url);
  const char *frag = strchr(q != NULL ? q : url, '#');
  size_t query_len = q == NULL ? 0 : (frag != NULL ? (size_t)(frag - q - 1) : strlen(q + 1));
  if (frag != NULL && q == NULL) path_len = (size_t)(frag - url);
  bool url_ok = path_len != 0 && url[0] == '/';
  if (url_ok) {
    s->cur.target = dup_n(url, strlen(url));
    s->cur.path = svc_http_decode(url, path_len, false);
    s->cur.query = dup_n(q != NULL ? q + 1 : "", query_len);
  }
  s->cur.method = http_method_str((enum http_method)p->method);
  s->cur.http_major = p->http_major;
  s->cur.http_minor = p->http_minor;
  s->cur.keep_alive = http_should_keep_alive(p) != 0;
  s->cur.upgrade = p->upgrade != 0;
  /* As http-parser decides whether a request has a body (s_headers_done). */
  bool has_body = (p->flags & F_CHUNKED) != 0 || (p->content_length > 0 && p->content_length != ULLONG_MAX);
  s->stream_next = false;
  s->stream_limit = 0;
  if (url_ok && s->cur.target != NULL && s->cur.path != NULL && s->cur.query != NULL && !s->cur.upgrade && has_body &&
      s->opt.handler.stream_body != NULL) {
    uint64_t limit = 0;
    s->stream_next = s->opt.handler.stream_body(s->opt.handler.ctx, &s->cur, &limit);
    s->stream_limit = s->stream_next ? limit : 0;
  }
  uint64_t max = s->stream_next ? s->stream_limit : SVC_HTTP_MAX_BODY;
  if ((p->flags & F_CONTENTLENGTH) != 0 && max != 0 && p->content_length > max) {
    char reason[160];
    snprintf(reason, sizeof reason, "a body of %llu bytes is larger than the limit of %llu bytes",
             (unsigned long long)p->content_length, (unsigned long long)max);
    s->stream_next = false;
    return fail(p, 413, reason);
  }
  if (!url_ok) return fail(p, 400, "the request target must be a path (\"/...\")");
  if (s->cur.target == NULL || s->cur.query == NULL) return fail(p, 500, "out of memory");
  if (s->cur.path == NULL) return fail(p, 400, "the request path has a bad %-escape");
  const char *expect = svc_http_header_get(&s->cur, "expect");
  if (expect != NULL && strcmp(expect, "100-continue") == 0) s->expect_continue = true;
  if (s->stream_next) {
    /* on_request comes now; the body is parsed once it returned (parse_body_locked). */
    s->cur.body_streamed = true;
    http_parser_pause(p, 1);
  }
  return 0;
}

static bool enqueue_input_locked(svc_http_session *s, const char *data, size_t len, bool eof);

static int on_body(http_parser *p, const char *at, size_t len) {
  svc_http_session *s = p->data;
  svc_http_exchange *x = s->x;
  if (x != NULL && x->body_stream) {
    if (x->body_limit != 0 && x->body_seen + len > x->body_limit) {
      char reason[160];
      snprintf(reason, sizeof reason, "the body is larger than the limit of %llu bytes",
               (unsigned long long)x->body_limit);
      return fail(p, 413, reason);
    }
    x->body_seen += len;
    return enqueue_input_locked(s, at, len, false) ? 0 : fail(p, 500, "out of memory");
  }
  if (s->cur.body_len + len > SVC_HTTP_MAX_BODY) {
    char reason[160];
    snprintf(reason, sizeof reason, "the body is larger than the limit of %u bytes", SVC_HTTP_MAX_BODY);
    return fail(p, 413, reason);
  }
  return append(&s->cur.body, &s->cur.body_len, &s->body_cap, at, len) ? 0 : fail(p, 500, "out of memory");
}

static int on_message_complete(http_parser *p) {
  svc_http_session *s = p->data;
  svc_http_exchange *x = s->x;
  if (x != NULL && x->body_stream) {
    if (!enqueue_input_locked(s, NULL, 0, true)) return fail(p, 500, "out of memory");
    x->body_done = true;
    s->mid_message = false;
    http_parser_pause(p, 1); /* the next request waits until this one is answered */
    return 0;
  }
  s->cur.method = http_method_str((enum http_method)p->method);
  s->cur.http_major = p->http_major;
  s->cur.http_minor = p->http_minor;
  s->cur.keep_alive = http_should_keep_alive(p) != 0;
  s->cur.upgrade = p->upgrade != 0;
  s->message_done = true;
  s->mid_message = false;
  http_parser_pause(p, 1); /* one request at a time: the rest waits in the buffer */
  return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

static void set_phase_locked(svc_http_session *s, svc_http_phase phase) {
  if (s->phase == phase) return;
  s->phase = phase;
  s->since = wctr_ioc_now_ms();
}

static void consume_locked(svc_http_session *s, size_t n) {
  if (n >= s->in_len) {
    s->in_len = 0;
  } else {
    memmove(s->in, s->in + n, s->in_len - n);
    s->in_len -= n;
  }
  if (s->in_cap > 4 * 65536 && s->in_len < 65536) {
    char *shrunk = realloc(s->in, s->in_len > 0 ? s->in_len : 1);
    if (shrunk != NULL) {
      s->in = shrunk;
      s->in_cap = s->in_len > 0 ? s->in_len : 1;
    }
  }
}

/* A refusal the session answers itself, then closes. */
typedef struct refusal {
  int status;
  char reason[200];
} refusal;

static void send_locked(svc_http_session *s, const char *text, size_t len) {
  char *copy = dup_n(text, len);
  if (copy != NULL && !s->gone) {
    s->conn->methods->send(s->conn, copy, len);
  } else {
    free(copy);
  }
}

/* The refusal for a parse that stopped with err (session lock held). */
static void refusal_of_locked(svc_http_session *s, enum http_errno err, refusal *refused) {
  if (s->fail_status != 0) {
    refused->status = s->fail_status;
    snprintf(refused->reason, sizeof refused->reason, "%s", s->fail_reason);
  } else if (err == HPE_HEADER_OVERFLOW) {
    refused->status = 431;
    snprintf(refused->reason, sizeof refused->reason, "the request line and headers are larger than %u bytes",
             (unsigned)HTTP_MAX_HEADER_SIZE);
  } else {
    refused->status = 400;
    snprintf(refused->reason, sizeof refused->reason, "malformed HTTP request: %s", http_errno_description(err));
  }
}

/* The exchange for the request just parsed (s->cur), with its answer and dispatch references; NULL when out of
 * memory (refused set). */
static svc_http_exchange *new_exchange_locked(svc_http_session *s, refusal *refused) {
  svc_http_exchange *x = calloc(1, sizeof *x);
  if (x == NULL) {
    refused->status = 500;
    snprintf(refused->reason, sizeof refused->reason, "out of memory");
    s->dead_parser = true;
    return NULL;
  }
  x->s = s;
  x->req = s->cur;
  memset(&s->cur, 0, sizeof s->cur);
  x->head = strcmp(x->req.method, "HEAD") == 0;
  x->refs = 2; /* the answer, the dispatch */
  s->refs++;   /* the exchange's */
  s->x = x;
  s->message_done = false;
  return x;
}

/* Parses what is buffered while no exchange runs. Returns the exchange to dispatch (its dispatch reference
 * taken), or NULL; *refused tells a refusal to answer (after the lock is left), *close that the connection
 * should close now that nothing more will come. */
static svc_http_exchange *parse_locked(svc_http_session *s, refusal *refused, bool *close) {
  *close = false;
  refused->status = 0;
  if (s->x != NULL || s->gone || s->closing || s->dead_parser) return NULL;
  while (s->in_len > 0) {
    if (s->phase != SVC_HTTP_READING) set_phase_locked(s, SVC_HTTP_READING);
    size_t n = http_parser_execute(&s->parser, &settings, s->in, s->in_len);
    enum http_errno err = HTTP_PARSER_ERRNO(&s->parser);
    if (s->expect_continue && s->fail_status == 0) {
      static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
      send_locked(s, cont, sizeof cont - 1);
      s->expect_continue = false;
    }
    if (err == HPE_PAUSED && s->stream_next) {
      /* The headers of a request whose body streams: dispatched now, the body parsed from where it begins. */
      consume_locked(s, n);
      http_parser_pause(&s->parser, 0);
      s->stream_next = false;
      svc_http_exchange *x = new_exchange_locked(s, refused);
      if (x == NULL) return NULL;
      x->body_stream = true;
      x->body_limit = s->stream_limit;
      s->since = wctr_ioc_now_ms(); /* the body's clock: the client's next bytes (set_phase_locked keeps READING) */
      return x;
    }
    if (err == HPE_PAUSED && s->message_done) {
      consume_locked(s, n);
      http_parser_pause(&s->parser, 0);
      svc_http_exchange *x = new_exchange_locked(s, refused);
      if (x == NULL) return NULL;
      if (x->req.upgrade) s->dead_parser = true; /* what follows is not HTTP */
      set_phase_locked(s, SVC_HTTP_BUSY);
      return x;
    }
    if (err != HPE_OK) {
      s->dead_parser = true;
      refusal_of_locked(s, err, refused);
      return NULL;
    }
    consume_locked(s, n); /* all of it: a request not complete yet */
  }
  if (s->eof) *close = true;
  return NULL;
}

/* The phase of a session whose exchange streams its body: READING while it waits for the client's bytes, BUSY
 * once the body ended or while the handler holds the reading. */
static void body_phase_locked(svc_http_session *s) {
  svc_http_exchange *x = s->x;
  if (x == NULL || !x->body_stream || s->gone || s->closing) return;
  set_phase_locked(s, x->body_done || x->refused || s->held ? SVC_HTTP_BUSY : SVC_HTTP_READING);
}

/* Parses what is buffered of the current exchange's streamed body into its input queue (once dispatched). */
static void parse_body_locked(svc_http_session *s, refusal *refused) {
  refused->status = 0;
  svc_http_exchange *x = s->x;
  if (x == NULL || !x->body_stream || x->body_done || x->refused || !x->dispatched || s->gone || s->closing ||
      s->dead_parser || s->in_len == 0) {
    return;
  }
  size_t n = http_parser_execute(&s->parser, &settings, s->in, s->in_len);
  enum http_errno err = HTTP_PARSER_ERRNO(&s->parser);
  if (err == HPE_PAUSED && x->body_done) {
    consume_locked(s, n); /* the rest is the next request's */
    http_parser_pause(&s->parser, 0);
    return;
  }
  if (err != HPE_OK) {
    s->dead_parser = true;
    refusal_of_locked(s, err, refused);
    return;
  }
  consume_locked(s, n);
}

static size_t refusal_text(const refusal *r, char *text, size_t size) {
  int n = snprintf(text, size,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                   "Content-Length: %zu\r\n\r\n%s\n",
                   r->status, svc_http_reason(r->status), strlen(r->reason) + 1, r->reason);
  return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static void answer_refusal(svc_http_session *s, const refusal *r) {
  if (s->opt.handler.on_refused != NULL) s->opt.handler.on_refused(s->opt.handler.ctx, &s->opt.caller, r->status, r->reason);
  char text[512];
  size_t n = refusal_text(r, text, sizeof text);
  wctr_mutex_lock(&s->lock);
  bool act = !s->closing && !s->gone;
  if (act) {
    send_locked(s, text, n);
    s->closing = true;
    set_phase_locked(s, SVC_HTTP_CLOSING);
  }
  wctr_mutex_unlock(&s->lock);
  if (act) s->conn->methods->close(s->conn, true);
}

static bool pump_body(svc_http_session *s, bool from_feed);

/* Parses and dispatches; called without the lock (from feed, or a posted job). */
static void pump(svc_http_session *s) {
  refusal refused;
  bool close = false;
  wctr_mutex_lock(&s->lock);
  svc_http_exchange *x = parse_locked(s, &refused, &close);
  /* Room again for pipelined input (hijacked input pauses and resumes on the handler's terms). */
  bool resume = s->paused && !s->held && !s->gone && s->in_len < SVC_HTTP_MAX_BUFFERED &&
                (s->x == NULL || s->x->mode != X_HIJACKED);
  if (resume) s->paused = false;
  bool do_close = close && !s->closing && !s->gone && s->x == NULL;
  if (do_close) {
    s->closing = true;
    set_phase_locked(s, SVC_HTTP_CLOSING);
  }
  wctr_mutex_unlock(&s->lock);
  if (refused.status != 0) answer_refusal(s, &refused);
  if (do_close) s->conn->methods->close(s->conn, true);
  if (resume) s->conn->methods->resume(s->conn);
  if (x != NULL) {
    s->opt.handler.on_request(s->opt.handler.ctx, x);
    if (x->body_stream) {
      wctr_mutex_lock(&s->lock);
      x->dispatched = true;
      wctr_mutex_unlock(&s->lock);
      (void)pump_body(s, false); /* what of the body came with the headers, or while on_request ran */
    }
    exchange_unref(x); /* the dispatch's */
  }
}

static void pump_job(void *arg) {
  svc_http_session *s = arg;
  pump(s);
  session_unref(s);
}

static void schedule_pump_locked(svc_http_session *s) {
  s->refs++;
  if (!wctr_ioc_post(s->opt.ioc, pump_job, s)) s->refs--; /* stopping: nothing more is served */
}

/* --- input: a streamed body, hijacked bytes ------------------------------------------------------------------------- */

/* May queued input go to x's on_input now? (session lock held) */
static bool input_due_locked(const svc_http_exchange *x) {
  if (x == NULL) return false;
  if (x->body_stream && !x->refused && x->dispatched) return true;
  return x->mode == X_HIJACKED;
}

/* Delivers queued input to the exchange's on_input, one item at a time, on whichever thread finds the queue
 * idle. A handler asking to stop reading holds the connection's reading until svc_http_resume_input. */
static void deliver_input(svc_http_session *s) {
  /* The loop's own reference: the last exchange_unref below may drop the exchange's, which can be the session's
   * last (a hijacked stream that ended before the client's half-close reached it). */
  wctr_mutex_lock(&s->lock);
  s->refs++;
  wctr_mutex_unlock(&s->lock);
  for (;;) {
    wctr_mutex_lock(&s->lock);
    svc_http_exchange *x = s->x;
    if (s->delivering || s->inq_head == NULL || !input_due_locked(x)) {
      wctr_mutex_unlock(&s->lock);
      break;
    }
    input_item *it = s->inq_head;
    s->inq_head = it->next;
    if (s->inq_head == NULL) s->inq_tail = NULL;
    s->delivering = true;
    x->refs++;
    unsigned resumes = s->resumes;
    wctr_mutex_unlock(&s->lock);
    bool pause = false;
    if (x->on_input != NULL) pause = x->on_input(x->ctx, it->data, it->len, it->eof);
    free(it);
    wctr_mutex_lock(&s->lock);
    s->delivering = false;
    /* The handler may take the input on another thread and resume before this call returned: that resume ends
     * this hold (else reading would stop for good). */
    if (pause && s->resumes == resumes) s->paused = s->held = true;
    wctr_mutex_unlock(&s->lock);
    exchange_unref(x);
  }
  session_unref(s);
}

static bool enqueue_input_locked(svc_http_session *s, const char *data, size_t len, bool eof) {
  input_item *it = malloc(sizeof *it + len);
  if (it == NULL) return false;
  it->next = NULL;
  it->eof = eof;
  it->len = len;
  if (len > 0) memcpy(it->data, data, len);
  if (s->inq_tail != NULL) {
    s->inq_tail->next = it;
  } else {
    s->inq_head = it;
  }
  s->inq_tail = it;
  return true;
}

static void deliver_close(svc_http_session *s, svc_http_exchange *x);
static svc_http_exchange *take_close_locked(svc_http_session *s);

/* A streamed body the session refuses (malformed chunking, past the handler's bound, out of memory): the refusal
 * as for a whole body when the handler has not begun its answer (which then sends nothing), else the connection
 * closed at once; the handler is told as of a client that left. x carries a reference of the caller's. */
static void refuse_body(svc_http_session *s, svc_http_exchange *x, const refusal *r) {
  if (s->opt.handler.on_refused != NULL) s->opt.handler.on_refused(s->opt.handler.ctx, &s->opt.caller, r->status, r->reason);
  char text[512];
  size_t n = refusal_text(r, text, sizeof text);
  wctr_mutex_lock(&s->lock);
  x->refused = true;
  s->dead_parser = true;
  bool act = s->x == x && !x->answered && !s->closing && !s->gone;
  bool graceful = false;
  if (act) {
    if (x->mode == X_NEW) {
      send_locked(s, text, n);
      graceful = true;
    }
    s->closing = true;
    set_phase_locked(s, SVC_HTTP_CLOSING);
  }
  svc_http_exchange *closing = s->x == x ? take_close_locked(s) : NULL;
  wctr_mutex_unlock(&s->lock);
  if (act) s->conn->methods->close(s->conn, graceful);
  if (closing != NULL) deliver_close(s, closing);
}

/* Parses the streamed body buffered, refuses it when broken, delivers it. Returns whether reading may go on;
 * not from_feed: calls conn->resume itself when reading stopped and may go on. Called without the lock. */
static bool pump_body(svc_http_session *s, bool from_feed) {
  refusal refused;
  wctr_mutex_lock(&s->lock);
  parse_body_locked(s, &refused);
  svc_http_exchange *x = refused.status != 0 ? s->x : NULL;
  if (x != NULL) x->refs++;
  wctr_mutex_unlock(&s->lock);
  if (x != NULL) {
    refuse_body(s, x, &refused);
    exchange_unref(x);
  }
  deliver_input(s);
  wctr_mutex_lock(&s->lock);
  body_phase_locked(s);
  /* Reading stopped for the bound on what waits (before the dispatch), not by the handler: it goes on. */
  bool was_paused = s->paused;
  if (s->paused && !s->held && !s->gone && !s->closing && s->in_len < SVC_HTTP_MAX_BUFFERED) s->paused = false;
  bool go_on = !s->paused;
  bool resume = !from_feed && was_paused && go_on;
  wctr_mutex_unlock(&s->lock);
  if (resume) s->conn->methods->resume(s->conn);
  return go_on;
}

/* --- the transport's calls ------------------------------------------------------------------------------------------- */

wctr_err svc_http_session_new(const svc_http_options *opt, svc_http_conn *conn, svc_http_session **out,
                              wctr_errmsg *e) {
  *out = NULL;
  svc_http_session *s = calloc(1, sizeof *s);
  if (s == NULL || wctr_mutex_init(&s->lock) != WCTR_OK) {
    free(s);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  s->opt = *opt;
  s->conn = conn;
  s->refs = 1; /* the transport's */
  http_parser_init(&s->parser, HTTP_REQUEST);
  s->parser.data = s;
  s->phase = SVC_HTTP_FRESH;
  s->since = wctr_ioc_now_ms();
  *out = s;
  return WCTR_OK;
}

bool svc_http_session_feed(svc_http_session *s, const char *data, size_t len) {
  wctr_mutex_lock(&s->lock);
  if (s->gone || s->closing) {
    wctr_mutex_unlock(&s->lock);
    return true; /* read on to notice the end; nothing is kept */
  }
  svc_http_exchange *x = s->x;
  if (x != NULL && x->mode == X_HIJACKED) {
    bool ok = enqueue_input_locked(s, data, len, false);
    wctr_mutex_unlock(&s->lock);
    if (ok) deliver_input(s);
    wctr_mutex_lock(&s->lock);
    bool go_on = !s->paused;
    wctr_mutex_unlock(&s->lock);
    return go_on;
  }
  if (x != NULL && x->body_stream && !x->body_done) {
    if (x->refused) {
      wctr_mutex_unlock(&s->lock);
      return true; /* read and dropped until the close */
    }
    bool room = grow(&s->in, &s->in_cap, s->in_len + len + 1);
    if (room) {
      memcpy(s->in + s->in_len, data, len);
      s->in_len += len;
    } else {
      x->refs++;
    }
    if (s->phase == SVC_HTTP_READING) s->since = wctr_ioc_now_ms(); /* the client is sending: its clock restarts */
    bool dispatched = x->dispatched;
    /* Until on_request returned the body waits here, within the bound on what the session holds. */
    if (!dispatched && s->in_len >= SVC_HTTP_MAX_BUFFERED) s->paused = true;
    bool go_on = !s->paused;
    wctr_mutex_unlock(&s->lock);
    if (!room) {
      refusal r = {.status = 500};
      snprintf(r.reason, sizeof r.reason, "out of memory for the request's body");
      refuse_body(s, x, &r);
      exchange_unref(x);
      return true;
    }
    return dispatched ? pump_body(s, true) : go_on;
  }
  if (s->dead_parser) {
    /* After an upgrade that is not answered yet, or a refusal: kept for a hijack, within the bound. */
    if (x == NULL || s->in_len + len > SVC_HTTP_MAX_BUFFERED) {
      wctr_mutex_unlock(&s->lock);
      return true;
    }
  }
  if (!grow(&s->in, &s->in_cap, s->in_len + len + 1)) {
    wctr_mutex_unlock(&s->lock);
    return true;
  }
  memcpy(s->in + s->in_len, data, len);
  s->in_len += len;
  if (s->phase == SVC_HTTP_FRESH || s->phase == SVC_HTTP_IDLE) set_phase_locked(s, SVC_HTTP_READING);
  bool busy = s->x != NULL;
  if (busy && s->in_len >= SVC_HTTP_MAX_BUFFERED) s->paused = true;
  bool go_on = !s->paused;
  wctr_mutex_unlock(&s->lock);
  if (!busy) pump(s);
  return go_on;
}

static void deliver_close(svc_http_session *s, svc_http_exchange *x) {
  /* x carries a reference taken by the caller. */
  if (x->on_close != NULL) x->on_close(x->ctx);
  (void)s;
  exchange_unref(x);
}

/* Marks the current exchange's client gone; returns it with a reference when on_close is to be delivered. */
static svc_http_exchange *take_close_locked(svc_http_session *s) {
  svc_http_exchange *x = s->x;
  if (x == NULL || x->answered || x->close_done) return NULL;
  x->close_done = true;
  x->refs++;
  return x;
}

void svc_http_session_eof(svc_http_session *s) {
  wctr_mutex_lock(&s->lock);
  if (s->gone || s->eof) {
    wctr_mutex_unlock(&s->lock);
    return;
  }
  s->eof = true;
  svc_http_exchange *x = s->x;
  svc_http_exchange *closing = NULL;
  bool hijacked = x != NULL && x->mode == X_HIJACKED;
  if (hijacked) {
    enqueue_input_locked(s, NULL, 0, true);
  } else if (x != NULL) {
    /* As Go's server: the client ending its stream cancels the request it is waiting for; what is answered
     * still goes out, then the connection closes. */
    closing = take_close_locked(s);
  }
  wctr_mutex_unlock(&s->lock);
  if (hijacked) {
    deliver_input(s);
  } else if (closing != NULL) {
    deliver_close(s, closing);
  } else if (x == NULL) {
    pump(s); /* serves what is complete in the buffer, then closes */
  }
}

void svc_http_session_gone(svc_http_session *s) {
  wctr_mutex_lock(&s->lock);
  if (s->gone) {
    wctr_mutex_unlock(&s->lock);
    return;
  }
  s->gone = true;
  set_phase_locked(s, SVC_HTTP_CLOSING);
  svc_http_exchange *x = take_close_locked(s);
  wctr_mutex_unlock(&s->lock);
  if (x != NULL) deliver_close(s, x);
  session_unref(s); /* the transport's */
}

svc_http_phase svc_http_session_phase(svc_http_session *s, uint64_t *since) {
  wctr_mutex_lock(&s->lock);
  svc_http_phase p = s->phase;
  *since = s->since;
  wctr_mutex_unlock(&s->lock);
  return p;
}

/* --- answering ------------------------------------------------------------------------------------------------------- */

void svc_http_set_callbacks(svc_http_exchange *x, void *ctx, bool (*on_input)(void *ctx, const char *data, size_t len, bool eof),
                            void (*on_close)(void *ctx), void (*on_release)(void *ctx)) {
  x->ctx = ctx;
  x->on_input = on_input;
  x->on_close = on_close;
  x->on_release = on_release;
}

const svc_http_request *svc_http_req(const svc_http_exchange *x) { return &x->req; }
const svc_caller *svc_http_caller(const svc_http_exchange *x) { return &x->s->opt.caller; }

/* Will the connection close after this exchange? (session lock held) */
static bool closes_after_locked(const svc_http_session *s, const svc_http_exchange *x) {
  return !x->req.keep_alive || x->req.upgrade || s->eof || x->mode == X_HIJACKED || x->mode == X_RAW_STREAM ||
         (x->body_stream && !x->body_done) || x->refused;
}

static char *format_head(const svc_http_exchange *x, int status, const char *headers, const char *content_type,
                         const char *framing, bool close, size_t *len) {
  size_t cap = 256 + (headers != NULL ? strlen(headers) : 0) + (content_type != NULL ? strlen(content_type) : 0) +
               (framing != NULL ? strlen(framing) : 0);
  char *head = malloc(cap);
  if (head == NULL) return NULL;
  int n = snprintf(head, cap, "HTTP/1.%u %d %s\r\n%s%s%s%s%s%s\r\n", x->req.http_minor == 0 ? 0u : 1u, status,
                   svc_http_reason(status), headers != NULL ? headers : "", content_type != NULL ? "Content-Type: " : "",
                   content_type != NULL ? content_type : "", content_type != NULL ? "\r\n" : "",
                   framing != NULL ? framing : "", close ? "Connection: close\r\n" : "");
  if (n < 0 || (size_t)n >= cap) {
    free(head);
    return NULL;
  }
  *len = (size_t)n;
  return head;
}

/* The exchange is over for the session: the next request, or the close. Called without the lock. */
static void end_exchange(svc_http_exchange *x, bool abort) {
  svc_http_session *s = x->s;
  wctr_mutex_lock(&s->lock);
  if (x->answered) {
    wctr_mutex_unlock(&s->lock);
    return;
  }
  x->answered = true;
  if (s->x == x) s->held = false; /* the handler's hold ends with its exchange */
  bool close = abort || x->mode == X_NEW || closes_after_locked(s, x);
  if (x->mode == X_NEW && !abort) close = true; /* finish on an exchange never answered */
  if (s->x == x) s->x = NULL;
  bool do_close = false;
  if (close) {
    if (!s->closing && !s->gone) {
      s->closing = true;
      do_close = true;
    }
    set_phase_locked(s, SVC_HTTP_CLOSING);
  } else if (!s->gone && !s->closing) {
    set_phase_locked(s, s->in_len > 0 || s->mid_message ? SVC_HTTP_READING : SVC_HTTP_IDLE);
    schedule_pump_locked(s); /* a pipelined request may be waiting; never parsed on the answering thread */
  }
  wctr_mutex_unlock(&s->lock);
  if (do_close) s->conn->methods->close(s->conn, !abort);
  exchange_unref(x); /* the answer's */
}

wctr_err svc_http_respond(svc_http_exchange *x, int status, const char *headers, const char *content_type,
                          const void *body, size_t len) {
  svc_http_session *s = x->s;
  wctr_err err = WCTR_EPIPE;
  wctr_mutex_lock(&s->lock);
  if (x->answered || x->mode != X_NEW) {
    wctr_mutex_unlock(&s->lock);
    return WCTR_ESTATE;
  }
  bool close = closes_after_locked(s, x);
  char framing[64];
  snprintf(framing, sizeof framing, "Content-Length: %zu\r\n", len);
  size_t head_len = 0;
  char *head = format_head(x, status, headers, content_type, status == 204 || status == 304 ? NULL : framing, close,
                           &head_len);
  if (head != NULL && !s->gone && !x->refused) {
    size_t total = head_len + (x->head || body == NULL ? 0 : len);
    char *msg = realloc(head, total + 1);
    if (msg != NULL) {
      if (!x->head && body != NULL && len > 0) memcpy(msg + head_len, body, len);
      err = s->conn->methods->send(s->conn, msg, total);
    } else {
      free(head);
      err = WCTR_ENOMEM;
    }
  } else {
    free(head);
  }
  x->mode = X_STREAM; /* answered in full */
  wctr_mutex_unlock(&s->lock);
  end_exchange(x, false);
  return err;
}

static wctr_err begin(svc_http_exchange *x, int status, const char *headers, const char *content_type, x_mode mode) {
  svc_http_session *s = x->s;
  wctr_mutex_lock(&s->lock);
  if (x->answered || x->mode != X_NEW) {
    wctr_mutex_unlock(&s->lock);
    return WCTR_ESTATE;
  }
  /* HTTP/1.0 has no chunks: the body ends with the connection. */
  if (mode == X_STREAM && x->req.http_minor == 0) mode = X_RAW_STREAM;
  x->mode = mode;
  const char *framing = mode == X_STREAM ? "Transfer-Encoding: chunked\r\n" : NULL;
  size_t len = 0;
  char *head = format_head(x, status, headers, content_type, framing, mode == X_RAW_STREAM, &len);
  wctr_err err = WCTR_ENOMEM;
  if (head != NULL) {
    if (s->gone || x->refused) {
      free(head);
      err = WCTR_EPIPE;
    } else {
      err = s->conn->methods->send(s->conn, head, len);
    }
  }
  /* Bytes that followed the request are the client's stream now. */
  bool deliver = false;
  if (mode == X_HIJACKED && s->in_len > 0) {
    enqueue_input_locked(s, s->in, s->in_len, false);
    s->in_len = 0;
    deliver = true;
  }
  if (mode == X_HIJACKED && s->eof) {
    enqueue_input_locked(s, NULL, 0, true);
    deliver = true;
  }
  wctr_mutex_unlock(&s->lock);
  if (deliver) deliver_input(s);
  return err;
}

wctr_err svc_http_begin(svc_http_exchange *x, int status, const char *headers, const char *content_type) {
  return begin(x, status, headers, content_type, X_STREAM);
}

wctr_err svc_http_hijack(svc_http_exchange *x, const char *headers, const char *content_type) {
  svc_http_session *s = x->s;
  wctr_mutex_lock(&s->lock);
  bool body_due = x->body_stream && !x->body_done;
  wctr_mutex_unlock(&s->lock);
  if (body_due) return WCTR_ESTATE;
  if (x->req.upgrade) {
    size_t n = (headers != NULL ? strlen(headers) : 0) + 64;
    char *h = malloc(n);
    if (h == NULL) return WCTR_ENOMEM;
    snprintf(h, n, "Connection: Upgrade\r\nUpgrade: tcp\r\n%s", headers != NULL ? headers : "");
    wctr_err err = begin(x, 101, h, content_type, X_HIJACKED);
    free(h);
    return err;
  }
  return begin(x, 200, headers, content_type, X_HIJACKED);
}

wctr_err svc_http_write(svc_http_exchange *x, const void *data, size_t len) {
  svc_http_session *s = x->s;
  if (len == 0) return WCTR_OK;
  wctr_mutex_lock(&s->lock);
  wctr_err err = WCTR_EPIPE;
  if (x->answered || x->mode == X_NEW) {
    err = x->mode == X_NEW ? WCTR_ESTATE : WCTR_EPIPE;
  } else if (!s->gone && !x->close_done && !x->refused) {
    char prefix[24] = "";
    size_t plen = 0;
    if (x->mode == X_STREAM) plen = (size_t)snprintf(prefix, sizeof prefix, "%zx\r\n", len);
    size_t total = plen + len + (x->mode == X_STREAM ? 2 : 0);
    if (s->conn->methods->queued(s->conn) + total > SVC_SINK_QUEUE_MAX) {
      err = WCTR_ETOOBIG;
    } else {
      char *msg = malloc(total);
      if (msg == NULL) {
        err = WCTR_ENOMEM;
      } else {
        memcpy(msg, prefix, plen);
        memcpy(msg + plen, data, len);
        if (x->mode == X_STREAM) memcpy(msg + plen + len, "\r\n", 2);
        err = s->conn->methods->send(s->conn, msg, total);
      }
    }
  }
  wctr_mutex_unlock(&s->lock);
  return err;
}

size_t svc_http_pending(svc_http_exchange *x) {
  svc_http_session *s = x->s;
  wctr_mutex_lock(&s->lock);
  size_t n = s->gone ? 0 : s->conn->methods->queued(s->conn);
  wctr_mutex_unlock(&s->lock);
  return n;
}

typedef struct drain_waiter {
  svc_http_exchange *x;
  void (*fn)(void *arg);
  void *arg;
} drain_waiter;

static void drained(void *arg) {
  drain_waiter *w = arg;
  svc_http_exchange *x = w->x;
  w->fn(w->arg);
  free(w);
  exchange_unref(x);
}

void svc_http_when_drained(svc_http_exchange *x, size_t below, void (*fn)(void *arg), void *arg) {
  svc_http_session *s = x->s;
  drain_waiter *w = malloc(sizeof *w);
  if (w == NULL) {
    if (!wctr_ioc_post(s->opt.ioc, fn, arg)) fn(arg);
    return;
  }
  *w = (drain_waiter){.x = x, .fn = fn, .arg = arg};
  wctr_mutex_lock(&s->lock);
  x->refs++;
  bool now = s->gone;
  if (!now) s->conn->methods->when_drained(s->conn, below, drained, w);
  wctr_mutex_unlock(&s->lock);
  if (now && !wctr_ioc_post(s->opt.ioc, drained, w)) drained(w);
}

void svc_http_finish(svc_http_exchange *x, bool abort) {
  svc_http_session *s = x->s;
  wctr_mutex_lock(&s->lock);
  if (!x->answered && !abort && x->mode == X_STREAM && !s->gone && !x->refused) send_locked(s, "0\r\n\r\n", 5);
  wctr_mutex_unlock(&s->lock);
  end_exchange(x, abort);
}

void svc_http_resume_input(svc_http_exchange *x) {
  svc_http_session *s = x->s;
  wctr_mutex_lock(&s->lock);
  if (s->x == x) s->held = false;
  s->resumes++;
  /* Pipelined input beyond the bound keeps reading stopped until the exchange ends (pump resumes then). */
  bool resume = s->paused && !s->held && !s->gone && !s->closing && s->in_len < SVC_HTTP_MAX_BUFFERED;
  if (resume) s->paused = false;
  body_phase_locked(s); /* waiting for the client again: its clock starts now */
  wctr_mutex_unlock(&s->lock);
  if (resume) s->conn->methods->resume(s->conn);
}
