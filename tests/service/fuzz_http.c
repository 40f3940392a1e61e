/* tests/service/fuzz_http.c - libFuzzer harness for an HTTP session (service/http.h): the input is what a client
 * sends on one connection, fed in two pieces (split where its first byte says) to a handler that answers every
 * request at once, except those whose body it streams (paths "/l...", unbounded, and "/m...", at most 64 bytes),
 * answered at the body's end or when the client is gone; a streamed body must arrive in order and within its
 * bound. Aborts (a finding) when the session breaks its contract: a response is not one complete
 * HTTP/1.x message, more bytes are kept than the bounds allow, the connection is released twice or not at all,
 * or nothing at all is answered to a client that sent something and then left. ASan/UBSan catch the rest. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ioc.h"
#include "service/http.h"

static void check(int ok) {
  if (!ok) abort();
}

typedef struct fconn {
  svc_http_conn base;
  pthread_mutex_t mu;
  size_t sent;
  int closes;
  int releases;
} fconn;

static wctr_err f_send(svc_http_conn *c, char *data, size_t len) {
  fconn *f = (fconn *)c;
  /* Every message of the session starts a response, a chunk, or raw bytes; a response starts with the status line. */
  pthread_mutex_lock(&f->mu);
  if (f->sent == 0) check(len >= 12 && memcmp(data, "HTTP/1.", 7) == 0);
  f->sent += len;
  pthread_mutex_unlock(&f->mu);
  free(data);
  return WCTR_OK;
}
static size_t f_queued(svc_http_conn *c) {
  (void)c;
  return 0;
}
static wctr_ioc *ioc;
static void f_when_drained(svc_http_conn *c, size_t below, void (*fn)(void *), void *arg) {
  (void)c;
  (void)below;
  check(wctr_ioc_post(ioc, fn, arg));
}
static void f_close(svc_http_conn *c, bool graceful) {
  (void)graceful;
  fconn *f = (fconn *)c;
  pthread_mutex_lock(&f->mu);
  f->closes++;
  pthread_mutex_unlock(&f->mu);
}
static void f_resume(svc_http_conn *c) { (void)c; }
static void f_release(svc_http_conn *c) {
  fconn *f = (fconn *)c;
  pthread_mutex_lock(&f->mu);
  f->releases++;
  pthread_mutex_unlock(&f->mu);
}
static const svc_http_conn_methods methods = {.version = 1, .send = f_send, .queued = f_queued,
                                              .when_drained = f_when_drained, .close = f_close,
                                              .resume = f_resume, .release = f_release};

static bool on_input(void *ctx, const char *data, size_t len, bool eof) {
  (void)ctx, (void)data, (void)len, (void)eof;
  return false;
}

/* A streamed body's exchange: answered once, at the body's end or when the client is gone. */
typedef struct streamed {
  svc_http_exchange *x;
  pthread_mutex_t mu;
  bool answered;
  bool eof;
  uint64_t limit;
  uint64_t got;
} streamed;

static void answer_streamed(streamed *st, bool ok) {
  pthread_mutex_lock(&st->mu);
  bool first = !st->answered;
  st->answered = true;
  pthread_mutex_unlock(&st->mu);
  if (!first) return;
  if (ok) {
    svc_http_respond(st->x, 200, NULL, "text/plain", "body", 4);
  } else {
    svc_http_finish(st->x, false);
  }
}

static bool s_input(void *ctx, const char *data, size_t len, bool eof) {
  streamed *st = ctx;
  (void)data;
  pthread_mutex_lock(&st->mu);
  check(!st->eof); /* nothing after the end */
  st->eof = eof;
  st->got += len;
  check(st->limit == 0 || st->got <= st->limit);
  pthread_mutex_unlock(&st->mu);
  if (eof) answer_streamed(st, true);
  return false;
}

static void s_close(void *ctx) { answer_streamed(ctx, false); }

static void s_release(void *ctx) {
  streamed *st = ctx;
  pthread_mutex_destroy(&st->mu);
  free(st);
}

static bool stream_body(void *ctx, const svc_http_request *r, uint64_t *limit) {
  (void)ctx;
  *limit = r->path[1] == 'm' ? 64u : 0u;
  return r->path[1] == 'l' || r->path[1] == 'm';
}

static void on_request(void *ctx, svc_http_exchange *x) {
  (void)ctx;
  const svc_http_request *r = svc_http_req(x);
  check(r->path != NULL && r->path[0] == '/' && r->query != NULL && r->method != NULL);
  check(r->body_len <= SVC_HTTP_MAX_BODY && r->header_count <= SVC_HTTP_MAX_HEADERS);
  if (r->body_streamed) {
    check(!r->upgrade && r->body == NULL && (r->path[1] == 'l' || r->path[1] == 'm'));
    streamed *st = calloc(1, sizeof *st);
    check(st != NULL);
    st->x = x;
    st->limit = r->path[1] == 'm' ? 64u : 0u;
    pthread_mutex_init(&st->mu, NULL);
    svc_http_set_callbacks(x, st, s_input, s_close, s_release);
    return;
  }
  svc_http_set_callbacks(x, NULL, on_input, NULL, NULL);
  if (r->upgrade) {
    svc_http_hijack(x, NULL, "application/vnd.docker.raw-stream");
    svc_http_write(x, "raw", 3);
    svc_http_finish(x, false);
  } else if (r->path[1] == 's') {
    svc_http_begin(x, 200, NULL, "application/json");
    svc_http_write(x, "{}\n", 3);
    svc_http_finish(x, false);
  } else {
    svc_http_respond(x, 200, "X-Fuzz: 1\r\n", "text/plain", "ok", 2);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (ioc == NULL) {
    wctr_ioc_options o = {.workers = 1, .pool_max = 1};
    wctr_errmsg e;
    check(wctr_ioc_start(&o, &ioc, &e) == WCTR_OK);
  }
  fconn f = {.base.methods = &methods};
  pthread_mutex_init(&f.mu, NULL);
  svc_http_options o = {.ioc = ioc, .handler = {.on_request = on_request, .stream_body = stream_body}};
  svc_http_session *s = NULL;
  wctr_errmsg e;
  check(svc_http_session_new(&o, &f.base, &s, &e) == WCTR_OK);
  size_t cut = size > 0 ? (size_t)data[0] * size / 256 : 0;
  svc_http_session_feed(s, (const char *)data, cut);
  svc_http_session_feed(s, (const char *)data + cut, size - cut);
  svc_http_session_eof(s);
  /* Let the pipelined requests be served (they are parsed on the core), then the transport ends it. */
  for (int i = 0; i < 2000; i++) {
    uint64_t since = 0;
    svc_http_phase p = svc_http_session_phase(s, &since);
    if (p == SVC_HTTP_CLOSING || p == SVC_HTTP_IDLE || p == SVC_HTTP_FRESH) break;
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  svc_http_session_gone(s);
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&f.mu);
    int released = f.releases;
    pthread_mutex_unlock(&f.mu);
    if (released > 0) break;
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
  }
  check(f.releases == 1);
  pthread_mutex_destroy(&f.mu);
  return 0;
}
