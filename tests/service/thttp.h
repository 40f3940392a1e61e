/* tests/service/thttp.h - a fake transport for HTTP sessions (service/http.h): what the session sends is
 * kept, what a test "reads" from the network is fed, a client that does not read is simulated (queued bytes
 * that only thttp_drain takes), and the transport's side of close and release is played as the contract says
 * (close is answered by svc_http_session_gone, posted to the core). Plus a parser for what was sent: HTTP
 * responses with Content-Length, chunked bodies, or raw streams. Portable (pthreads). */
#ifndef WCTR_TESTS_THTTP_H
#define WCTR_TESTS_THTTP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/ioc.h"
#include "service/http.h"

typedef struct thttp_wait {
  struct thttp_wait *next;
  size_t below;
  void (*fn)(void *);
  void *arg;
} thttp_wait;

typedef struct thttp {
  svc_http_conn base;
  wctr_ioc *ioc;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  svc_http_session *session;
  char *out;            /* every byte sent, in order */
  size_t out_len;
  bool slow;            /* sent bytes stay queued until thttp_drain */
  size_t queued;
  thttp_wait *waits;
  int close_calls;
  bool closed;          /* close was called */
  bool graceful;        /* ... and asked for a graceful close */
  bool gone;            /* svc_http_session_gone was called */
  int resumes;
  bool released;
  int gone_jobs;        /* gone posted by close and not yet run: the thttp must outlive them */
} thttp;

/* A session over a fresh fake connection. */
void thttp_init(thttp *t, wctr_ioc *ioc, svc_http_handler handler, const char *caller_name);
/* Feeds bytes as if read from the client; returns what feed returned. */
bool thttp_feed(thttp *t, const char *data, size_t len);
bool thttp_feed_text(thttp *t, const char *text);
void thttp_eof(thttp *t);
/* The transport's end of the connection (once; later calls do nothing). */
void thttp_gone(thttp *t);
/* The client takes everything queued. */
void thttp_drain(thttp *t);
/* Waits until the output holds at least n bytes / contains text / the session asked to close / released. */
bool thttp_wait_len(thttp *t, size_t n, unsigned ms);
bool thttp_wait_text(thttp *t, const char *text, unsigned ms);
bool thttp_wait_closed(thttp *t, unsigned ms);
bool thttp_wait_released(thttp *t, unsigned ms);
/* A copy of the output so far (NUL-terminated, malloc'ed). */
char *thttp_output(thttp *t, size_t *len);
/* After the session released the connection (or when it never had one). */
void thttp_free(thttp *t);

typedef struct thttp_resp {
  int status;
  char head[8192];    /* status line and headers */
  char *body;         /* malloc'ed, NUL-terminated; chunked bodies are decoded */
  size_t body_len;
  bool chunked;
  bool complete;      /* the whole body arrived (a raw stream is never complete) */
} thttp_resp;

/* Parses the response at the start of buf: bytes consumed (0 when the head is incomplete). For a 101 or a
 * response without a length the rest of buf is its body. */
size_t thttp_parse(const char *buf, size_t len, bool head_request, thttp_resp *r);
void thttp_resp_free(thttp_resp *r);
/* The value of a header of r (case-insensitive), copied to out; false when absent. */
bool thttp_header(const thttp_resp *r, const char *name, char *out, size_t size);

#endif
