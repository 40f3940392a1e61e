/* The HTTP session (service/http.h) over the fake transport (tests/service/thttp.h): requests one at a time and
 * in order, keep-alive and close, bodies, the bounds and their refusals, streams, the hijack, the client
 * leaving, phases, and the query helpers. A test handler answers by path. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ioc.h"
#include "service/http.h"
#include "testutil.h"
#include "thttp.h"

enum { WAIT_MS = 5000 };

static wctr_ioc *ioc;

/* --- the test handler ---------------------------------------------------------------------------------------- */

typedef struct handler_state {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int requests;
  char last_method[16];
  char last_path[256];
  char last_query[256];
  char last_body[256];
  size_t last_body_len;
  bool last_upgrade;
  bool last_keep_alive;
  svc_http_exchange *held; /* an exchange the test answers itself */
  int refused;
  int refused_status;
  char input[4096];
  size_t input_len;
  bool input_eof;
  int closes;
  int releases;
  bool pause_input;
  /* Streamed bodies: every byte checked against pattern_at(offset). */
  bool last_streamed;
  size_t stream_bytes;
  size_t stream_mismatch;
  int input_calls;
  int eofs;
  bool resume_inside; /* on_input resumes (as another thread may) before it returns asking to stop */
} handler_state;

static handler_state hs;

/* The byte at offset i of a generated body. */
static char pattern_at(size_t i) { return (char)(unsigned char)((i * 131u + 7u) % 251u); }

static bool h_input(void *ctx, const char *data, size_t len, bool eof) {
  (void)ctx;
  pthread_mutex_lock(&hs.mu);
  hs.input_calls++;
  if (eof) hs.eofs++;
  for (size_t i = 0; i < len; i++) {
    if (data[i] != pattern_at(hs.stream_bytes + i)) hs.stream_mismatch++;
  }
  hs.stream_bytes += len;
  if (hs.input_len + len < sizeof hs.input) {
    memcpy(hs.input + hs.input_len, data, len);
    hs.input_len += len;
  }
  if (eof) hs.input_eof = true;
  bool pause = hs.pause_input;
  bool resume_inside = hs.resume_inside;
  svc_http_exchange *x = hs.held;
  pthread_cond_broadcast(&hs.cv);
  pthread_mutex_unlock(&hs.mu);
  if (resume_inside && x != NULL) svc_http_resume_input(x);
  return pause;
}

static void h_close(void *ctx) {
  (void)ctx;
  pthread_mutex_lock(&hs.mu);
  hs.closes++;
  pthread_cond_broadcast(&hs.cv);
  pthread_mutex_unlock(&hs.mu);
}

static void h_release(void *ctx) {
  (void)ctx;
  pthread_mutex_lock(&hs.mu);
  hs.releases++;
  pthread_cond_broadcast(&hs.cv);
  pthread_mutex_unlock(&hs.mu);
}

static void on_request(void *ctx, svc_http_exchange *x) {
  (void)ctx;
  const svc_http_request *r = svc_http_req(x);
  svc_http_set_callbacks(x, NULL, h_input, h_close, h_release);
  pthread_mutex_lock(&hs.mu);
  hs.requests++;
  snprintf(hs.last_method, sizeof hs.last_method, "%s", r->method);
  snprintf(hs.last_path, sizeof hs.last_path, "%s", r->path);
  snprintf(hs.last_query, sizeof hs.last_query, "%s", r->query);
  hs.last_body_len = r->body_len;
  snprintf(hs.last_body, sizeof hs.last_body, "%.*s", (int)(r->body_len < 255 ? r->body_len : 255),
           r->body != NULL ? r->body : "");
  hs.last_upgrade = r->upgrade;
  hs.last_streamed = r->body_streamed;
  hs.last_keep_alive = r->keep_alive;
  bool hold = strncmp(r->path, "/hold", 5) == 0 || strncmp(r->path, "/load", 5) == 0 ||
              strncmp(r->path, "/limited", 8) == 0 || strncmp(r->path, "/hijack", 7) == 0 || strncmp(r->path, "/stream", 7) == 0;
  if (hold) hs.held = x;
  pthread_cond_broadcast(&hs.cv);
  pthread_mutex_unlock(&hs.mu);
  if (strncmp(r->path, "/hijack", 7) == 0) {
    assert_int_equal(svc_http_hijack(x, "X-Test: 1\r\n", "application/vnd.docker.raw-stream"), WCTR_OK);
  } else if (strncmp(r->path, "/stream", 7) == 0) {
    assert_int_equal(svc_http_begin(x, 200, NULL, "application/json"), WCTR_OK);
  } else if (!hold) {
    char body[512];
    int n = snprintf(body, sizeof body, "you asked %s %s", r->method, r->path);
    svc_http_respond(x, 200, "X-Test: 1\r\n", "text/plain", body, (size_t)n);
  }
}

static void on_refused(void *ctx, const svc_caller *caller, int status, const char *reason) {
  (void)ctx;
  (void)reason;
  assert_string_equal(caller->name, "TEST\\client");
  pthread_mutex_lock(&hs.mu);
  hs.refused++;
  hs.refused_status = status;
  pthread_mutex_unlock(&hs.mu);
}

/* /load... streams its body without a bound, /limited... with a bound of 1000 bytes; the rest are read whole. */
static bool stream_body(void *ctx, const svc_http_request *r, uint64_t *limit) {
  (void)ctx;
  *limit = strncmp(r->path, "/limited", 8) == 0 ? 1000u : 0u;
  return strncmp(r->path, "/load", 5) == 0 || strncmp(r->path, "/limited", 8) == 0;
}

static const svc_http_handler handler = {.on_request = on_request, .on_refused = on_refused, .stream_body = stream_body};

static bool wait_for(bool (*cond)(void), unsigned ms) {
  for (unsigned waited = 0; waited < ms; waited += 5) {
    pthread_mutex_lock(&hs.mu);
    bool ok = cond();
    pthread_mutex_unlock(&hs.mu);
    if (ok) return true;
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  return false;
}

static bool one_held(void) { return hs.held != NULL; }
static bool one_close(void) { return hs.closes == 1; }
static bool one_release(void) { return hs.releases >= 1; }
static bool got_eof(void) { return hs.input_eof; }
static size_t want_bytes;
static bool got_bytes(void) { return hs.stream_bytes >= want_bytes; }
static bool one_refused(void) { return hs.refused == 1; }

static int setup(void **state) {
  (void)state;
  memset(&hs, 0, sizeof hs);
  pthread_mutex_init(&hs.mu, NULL);
  pthread_cond_init(&hs.cv, NULL);
  wctr_ioc_options o = {.workers = 2, .pool_max = 2};
  wctr_errmsg e;
  if (wctr_ioc_start(&o, &ioc, &e) != WCTR_OK) fail_msg("%s", e.text);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wctr_ioc_stop(ioc);
  ioc = NULL;
  return 0;
}

/* Ends the connection as a transport does and checks that the session lets go of it. */
static void finish_conn(thttp *t) {
  thttp_gone(t);
  assert_true(thttp_wait_released(t, WAIT_MS));
  thttp_free(t);
}

/* The i-th response of the output; bit k of heads: response k answers a HEAD. */
static void nth_response(thttp *t, int i, unsigned heads, thttp_resp *r) {
  size_t len = 0;
  char *out = thttp_output(t, &len);
  size_t at = 0;
  for (int k = 0; k <= i; k++) {
    size_t n = thttp_parse(out + at, len - at, (heads >> k) & 1u, r);
    if (n == 0) fail_msg("response %d is incomplete in:\n%s", k, out);
    if (k < i) thttp_resp_free(r);
    at += n;
  }
  free(out);
}

/* --- requests ----------------------------------------------------------------------------------------------------- */

static void test_get_and_keep_alive(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  assert_true(thttp_feed_text(&t, "GET /v1.41/a%20b?x=1&y=%41 HTTP/1.1\r\nHost: x\r\n\r\n"));
  assert_true(thttp_wait_text(&t, "you asked GET /v1.41/a b", WAIT_MS));
  assert_string_equal(hs.last_query, "x=1&y=%41");
  assert_true(hs.last_keep_alive);
  uint64_t since = 0;
  assert_true(thttp_feed_text(&t, "GET /second HTTP/1.1\r\n\r\n"));
  assert_true(thttp_wait_text(&t, "you asked GET /second", WAIT_MS));
  thttp_resp r;
  nth_response(&t, 0, 0u, &r);
  assert_int_equal(r.status, 200);
  char v[64];
  assert_true(thttp_header(&r, "X-Test", v, sizeof v));
  assert_true(thttp_header(&r, "Content-Length", v, sizeof v));
  assert_false(thttp_header(&r, "Connection", v, sizeof v));
  thttp_resp_free(&r);
  assert_false(t.closed);
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_IDLE);
  finish_conn(&t);
}

static void test_pipelined_requests_answered_in_order(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\nPOST /three HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
  assert_true(thttp_wait_text(&t, "you asked POST /three", WAIT_MS));
  const char *want[] = {"you asked GET /one", "you asked GET /two", "you asked POST /three"};
  for (int i = 0; i < 3; i++) {
    thttp_resp r;
    nth_response(&t, i, 0u, &r);
    assert_string_equal(r.body, want[i]);
    thttp_resp_free(&r);
  }
  assert_string_equal(hs.last_body, "abc");
  finish_conn(&t);
}

static void test_connection_close_and_http10(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET /bye HTTP/1.1\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(t.graceful);
  char *out = thttp_output(&t, NULL);
  assert_non_null(strstr(out, "Connection: close"));
  assert_null(strstr(out, "/never")); /* nothing after a close is served */
  free(out);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);

  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET /old HTTP/1.0\r\n\r\n");
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  out = thttp_output(&t, NULL);
  assert_int_equal(strncmp(out, "HTTP/1.0 200 OK\r\n", 17), 0);
  free(out);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

static void test_chunked_request_body(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n");
  assert_true(thttp_wait_text(&t, "you asked POST /c", WAIT_MS));
  assert_string_equal(hs.last_body, "Wikipedia");
  assert_int_equal(hs.last_body_len, 9);
  finish_conn(&t);
}

static void test_head_has_no_body(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "HEAD /h HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
  assert_true(thttp_wait_text(&t, "you asked GET /after", WAIT_MS));
  thttp_resp r;
  nth_response(&t, 0, 1u, &r);
  char v[32];
  assert_true(thttp_header(&r, "Content-Length", v, sizeof v));
  assert_string_equal(v, "17"); /* "you asked HEAD /h", without sending it */
  thttp_resp_free(&r);
  nth_response(&t, 1, 1u, &r);
  assert_string_equal(r.body, "you asked GET /after");
  thttp_resp_free(&r);
  finish_conn(&t);
}

static void test_expect_continue(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  assert_true(thttp_wait_text(&t, "HTTP/1.1 100 Continue\r\n\r\n", WAIT_MS));
  thttp_feed_text(&t, "ok");
  assert_true(thttp_wait_text(&t, "you asked POST /e", WAIT_MS));
  finish_conn(&t);
}

/* --- refusals ------------------------------------------------------------------------------------------------------- */

static void expect_refusal(const char *request, size_t len, int status) {
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed(&t, request, len);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  thttp_resp r;
  nth_response(&t, 0, 0u, &r);
  assert_int_equal(r.status, status);
  thttp_resp_free(&r);
  assert_int_equal(hs.requests, 0);
  assert_int_equal(hs.refused, 1);
  assert_int_equal(hs.refused_status, status);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
  hs.refused = 0;
}

static void test_garbage_is_400(void **state) {
  (void)state;
  expect_refusal("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n", 23, 400);
  expect_refusal("GET /a%zz HTTP/1.1\r\n\r\n", 22, 400);
  expect_refusal("GET http://x/abs HTTP/1.1\r\n\r\n", 29, 400);
}

static void test_body_over_the_limit_is_413_unread(void **state) {
  (void)state;
  char req[128];
  int n = snprintf(req, sizeof req, "POST /big HTTP/1.1\r\nContent-Length: %u\r\n\r\n", SVC_HTTP_MAX_BODY + 1);
  expect_refusal(req, (size_t)n, 413);
}

static void test_huge_header_is_431_and_the_rest_is_dropped(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET / HTTP/1.1\r\nX-Big: ");
  char *chunk = malloc(64 * 1024);
  memset(chunk, 'a', 64 * 1024);
  /* 10 MiB of header: refused after 80 KiB; the rest is read and thrown away, nothing is kept (the transport
   * reads on until the close it was asked for). */
  for (int i = 0; i < 160; i++) thttp_feed(&t, chunk, 64 * 1024);
  free(chunk);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  size_t len = 0;
  char *out = thttp_output(&t, &len);
  assert_int_equal(strncmp(out, "HTTP/1.1 431 ", 13), 0);
  assert_true(len < 1024);
  free(out);
  assert_int_equal(hs.refused_status, 431);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

/* --- streams ---------------------------------------------------------------------------------------------------------- */

static void test_chunked_stream(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET /stream HTTP/1.1\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  svc_http_exchange *x = hs.held;
  assert_int_equal(svc_http_write(x, "first\n", 6), WCTR_OK);
  assert_int_equal(svc_http_write(x, "", 0), WCTR_OK); /* nothing: an empty chunk would end the body */
  assert_int_equal(svc_http_write(x, "second\n", 7), WCTR_OK);
  svc_http_finish(x, false);
  assert_true(wait_for(one_release, WAIT_MS));
  thttp_resp r;
  nth_response(&t, 0, 0u, &r);
  assert_true(r.chunked);
  assert_true(r.complete);
  assert_string_equal(r.body, "first\nsecond\n");
  thttp_resp_free(&r);
  assert_false(t.closed); /* keep-alive after a chunked stream */
  thttp_feed_text(&t, "GET /next HTTP/1.1\r\n\r\n");
  assert_true(thttp_wait_text(&t, "you asked GET /next", WAIT_MS));
  finish_conn(&t);
}

static void test_stream_bound_for_a_client_that_does_not_read(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  t.slow = true;
  thttp_feed_text(&t, "GET /stream HTTP/1.1\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  svc_http_exchange *x = hs.held;
  char *block = calloc(1, 64 * 1024);
  wctr_err err = WCTR_OK;
  int writes = 0;
  while (err == WCTR_OK && writes < 1000) {
    err = svc_http_write(x, block, 64 * 1024);
    writes++;
  }
  free(block);
  assert_int_equal(err, WCTR_ETOOBIG);
  assert_true(t.queued <= SVC_SINK_QUEUE_MAX);
  assert_true(svc_http_pending(x) > SVC_SINK_QUEUE_MAX - 64 * 1024 - 64);
  svc_http_finish(x, true); /* the handler drops it */
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_false(t.graceful);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

/* --- hijack --------------------------------------------------------------------------------------------------------- */

static void test_hijack_upgrade(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  /* The bytes after the request are the client's stream: they reach on_input after the hijack. */
  thttp_feed_text(&t, "POST /hijack HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\nearly");
  assert_true(wait_for(one_held, WAIT_MS));
  assert_true(hs.last_upgrade);
  assert_true(thttp_wait_text(&t, "HTTP/1.1 101 UPGRADED\r\n", WAIT_MS));
  char *out = thttp_output(&t, NULL);
  assert_non_null(strstr(out, "Connection: Upgrade\r\nUpgrade: tcp\r\n"));
  assert_non_null(strstr(out, "Content-Type: application/vnd.docker.raw-stream\r\n"));
  assert_null(strstr(out, "Content-Length"));
  free(out);
  assert_true(thttp_feed(&t, " late\0x", 7));
  svc_http_exchange *x = hs.held;
  assert_int_equal(svc_http_write(x, "\x01\x00\x00\x00\x00\x00\x00\x02hi", 10), WCTR_OK);
  thttp_eof(&t); /* the client shut its sending side: stdin's end */
  assert_true(wait_for(got_eof, WAIT_MS));
  assert_int_equal(hs.input_len, 12);
  assert_memory_equal(hs.input, "early late\0x", 12);
  assert_int_equal(hs.closes, 0); /* a half-close of a hijacked stream is not the client leaving */
  svc_http_finish(x, false);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(t.graceful);
  out = thttp_output(&t, NULL);
  assert_non_null(strstr(out, "\r\n\r\n\x01\x00\x00\x00\x00\x00\x00\x02hi"));
  free(out);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  assert_int_equal(hs.releases, 1);
  thttp_free(&t);
}

static void test_hijack_without_upgrade_is_200_raw(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /hijack HTTP/1.1\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  assert_true(thttp_wait_text(&t, "HTTP/1.1 200 OK\r\n", WAIT_MS));
  svc_http_finish(hs.held, false);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

static void test_input_pause_and_resume(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  hs.pause_input = true;
  thttp_feed_text(&t, "POST /hijack HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  assert_true(thttp_wait_text(&t, "101 UPGRADED", WAIT_MS));
  assert_false(thttp_feed_text(&t, "stop reading")); /* the handler asked to pause */
  int before = t.resumes;
  svc_http_resume_input(hs.held);
  assert_int_equal(t.resumes, before + 1);
  svc_http_finish(hs.held, false);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

/* --- the client leaving, phases --------------------------------------------------------------------------------------- */

static void test_client_gone_during_a_request(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET /hold HTTP/1.1\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  thttp_gone(&t);
  assert_true(wait_for(one_close, WAIT_MS));
  assert_int_equal(hs.releases, 0); /* not before the answer */
  assert_int_equal(svc_http_respond(hs.held, 200, NULL, "text/plain", "late", 4), WCTR_EPIPE);
  assert_true(wait_for(one_release, WAIT_MS));
  assert_true(thttp_wait_released(&t, WAIT_MS));
  assert_int_equal(hs.closes, 1);
  thttp_free(&t);
}

static void test_eof_during_a_request_cancels_it_but_the_answer_goes(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET /hold HTTP/1.1\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  thttp_eof(&t);
  assert_true(wait_for(one_close, WAIT_MS));
  assert_int_equal(svc_http_respond(hs.held, 200, NULL, "text/plain", "late", 4), WCTR_OK);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(thttp_wait_text(&t, "late", WAIT_MS));
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

static void test_phases(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  uint64_t since = 0;
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_FRESH);
  thttp_feed_text(&t, "GET /hold HTTP/1.1\r\nHost");
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_READING);
  uint64_t reading_since = since;
  thttp_feed_text(&t, ": x\r\n"); /* more bytes of the same request do not restart its clock */
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_READING);
  assert_int_equal(since, reading_since);
  thttp_feed_text(&t, "\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_BUSY);
  svc_http_respond(hs.held, 204, NULL, NULL, NULL, 0);
  assert_true(thttp_wait_text(&t, "204 No Content", WAIT_MS));
  for (int i = 0; i < 200 && svc_http_session_phase(t.session, &since) != SVC_HTTP_IDLE; i++) {
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_IDLE);
  finish_conn(&t);
}

static void test_pipelined_input_beyond_the_bound_pauses_reading(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "GET /hold HTTP/1.1\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  char *chunk = malloc(64 * 1024);
  memset(chunk, 'x', 64 * 1024);
  bool go_on = true;
  int fed = 0;
  while (go_on && fed < 64) {
    go_on = thttp_feed(&t, chunk, 64 * 1024);
    fed++;
  }
  free(chunk);
  assert_false(go_on);
  assert_true(fed * 64 * 1024 >= (int)SVC_HTTP_MAX_BUFFERED);
  svc_http_respond(hs.held, 204, NULL, NULL, NULL, 0);
  /* The buffered "request" is garbage: refused with 400 once the first is answered. */
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}


/* --- streamed bodies ------------------------------------------------------------------------------------------------- */

/* n bytes of the pattern from offset at. */
static char *pattern(size_t at, size_t n) {
  char *p = malloc(n > 0 ? n : 1);
  if (p == NULL) abort();
  for (size_t i = 0; i < n; i++) p[i] = pattern_at(at + i);
  return p;
}

static void test_streamed_body_split_across_many_feeds_beyond_the_old_limit(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  size_t total = SVC_HTTP_MAX_BODY + 1024u * 1024u + 17u; /* larger than a body read whole may be */
  char head[160];
  snprintf(head, sizeof head, "POST /load/v1?quiet=0 HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", total);
  /* The head alone: on_request comes before any byte of the body. */
  assert_true(thttp_feed_text(&t, head));
  assert_true(wait_for(one_held, WAIT_MS));
  assert_true(hs.last_streamed);
  assert_int_equal(hs.last_body_len, 0);
  assert_string_equal(hs.last_path, "/load/v1");
  assert_string_equal(hs.last_query, "quiet=0");
  uint64_t since = 0;
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_READING);
  char *body = pattern(0, total);
  /* Pieces of every size from 1 byte to 64 KiB, the last one followed by a pipelined request. */
  size_t at = 0;
  int feeds = 0;
  for (size_t step = 1; at < total; step = step * 3 % 65521u + 1u, feeds++) {
    size_t n = step < total - at ? step : total - at;
    assert_true(thttp_feed(&t, body + at, n));
    at += n;
  }
  assert_true(feeds > 100);
  assert_true(thttp_feed_text(&t, "GET /after HTTP/1.1\r\n\r\n"));
  free(body);
  assert_true(wait_for(got_eof, WAIT_MS));
  assert_int_equal(hs.stream_bytes, total);
  assert_int_equal(hs.stream_mismatch, 0);
  assert_int_equal(hs.eofs, 1);
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_BUSY); /* the body is in */
  assert_int_equal(hs.requests, 1); /* the pipelined request waits for the answer */
  assert_int_equal(svc_http_respond(hs.held, 200, NULL, "text/plain", "loaded", 6), WCTR_OK);
  assert_true(thttp_wait_text(&t, "you asked GET /after", WAIT_MS));
  assert_false(t.closed); /* keep-alive: the body was read to its end */
  thttp_resp r;
  nth_response(&t, 0, 0u, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.body, "loaded");
  thttp_resp_free(&r);
  finish_conn(&t);
}

static void test_streamed_chunked_body_with_extensions_and_trailers(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  static const char req[] = "POST /load HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
                            "4;name=value\r\nWiki\r\n5;x;y=\"q\"\r\npedia\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  /* One byte at a time. */
  for (size_t i = 0; i + 1 < sizeof req; i++) assert_true(thttp_feed(&t, req + i, 1));
  assert_true(wait_for(got_eof, WAIT_MS));
  assert_true(hs.last_streamed);
  assert_int_equal(hs.input_len, 19);
  assert_memory_equal(hs.input, "Wikipedia0123456789", 19);
  assert_int_equal(hs.eofs, 1);
  assert_true(thttp_wait_text(&t, "HTTP/1.1 100 Continue\r\n\r\n", WAIT_MS));
  svc_http_respond(hs.held, 204, NULL, NULL, NULL, 0);
  assert_true(thttp_wait_text(&t, "204 No Content", WAIT_MS));
  char *out = thttp_output(&t, NULL);
  assert_true(strstr(out, "100 Continue") < strstr(out, "204 No Content")); /* in that order */
  free(out);
  assert_false(t.closed);
  finish_conn(&t);
}

static void test_a_request_without_a_body_is_not_streamed(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /load HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  assert_false(hs.last_streamed);
  assert_int_equal(hs.last_body_len, 0);
  assert_int_equal(hs.input_calls, 0);
  svc_http_respond(hs.held, 400, NULL, "text/plain", "no body", 7);
  assert_true(thttp_wait_text(&t, "no body", WAIT_MS));
  assert_false(t.closed);
  finish_conn(&t);
}

static void test_streamed_body_bound(void **state) {
  (void)state;
  /* By Content-Length: 413 before a byte is read, no exchange. */
  expect_refusal("POST /limited HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", 48, 413);
  /* Within it: streamed. */
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /limited HTTP/1.1\r\nContent-Length: 1000\r\n\r\n");
  char *body = pattern(0, 1000);
  thttp_feed(&t, body, 1000);
  assert_true(wait_for(got_eof, WAIT_MS));
  assert_int_equal(hs.stream_bytes, 1000);
  svc_http_respond(hs.held, 204, NULL, NULL, NULL, 0);
  finish_conn(&t);
  memset(&hs.requests, 0, sizeof hs - offsetof(handler_state, requests));
  /* Chunked past it: the session answers 413 itself (the handler had not answered), the handler hears the client
   * is gone, and its own answer sends nothing. */
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /limited HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  for (int i = 0; i < 3; i++) {
    thttp_feed_text(&t, "190\r\n"); /* 400 bytes */
    thttp_feed(&t, body, 400);
    thttp_feed_text(&t, "\r\n");
  }
  free(body);
  assert_true(wait_for(one_close, WAIT_MS));
  assert_true(wait_for(one_refused, WAIT_MS));
  assert_int_equal(hs.refused_status, 413);
  assert_true(hs.stream_bytes <= 1000);
  assert_false(hs.input_eof);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(t.graceful);
  assert_int_equal(svc_http_respond(hs.held, 200, NULL, "text/plain", "too late", 8), WCTR_EPIPE);
  thttp_resp r;
  nth_response(&t, 0, 0u, &r);
  assert_int_equal(r.status, 413);
  assert_non_null(strstr(r.body, "larger than the limit of 1000 bytes"));
  thttp_resp_free(&r);
  char *out = thttp_output(&t, NULL);
  assert_null(strstr(out, "too late"));
  free(out);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  assert_int_equal(hs.releases, 1);
  thttp_free(&t);
}

static void test_malformed_chunking_mid_body(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /load HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  want_bytes = 5;
  assert_true(wait_for(got_bytes, WAIT_MS));
  thttp_feed_text(&t, "zz\r\nnot a chunk\r\n");
  assert_true(wait_for(one_close, WAIT_MS));
  assert_int_equal(hs.refused_status, 400);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  thttp_resp r;
  nth_response(&t, 0, 0u, &r);
  assert_int_equal(r.status, 400);
  assert_non_null(strstr(r.body, "malformed HTTP request"));
  thttp_resp_free(&r);
  assert_false(hs.input_eof);
  svc_http_finish(hs.held, false); /* the handler ends it */
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);

  /* After the handler began its answer, a malformed body can only cut the connection. */
  memset(&hs.requests, 0, sizeof hs - offsetof(handler_state, requests));
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /load HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  assert_int_equal(svc_http_begin(hs.held, 200, NULL, "application/json"), WCTR_OK);
  assert_int_equal(svc_http_write(hs.held, "{}\n", 3), WCTR_OK);
  thttp_feed_text(&t, "3\r\nabcX\r\n"); /* no CRLF after the chunk's data */
  assert_true(wait_for(one_close, WAIT_MS));
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_false(t.graceful);
  assert_int_equal(svc_http_write(hs.held, "{}\n", 3), WCTR_EPIPE);
  svc_http_finish(hs.held, false);
  char *out = thttp_output(&t, NULL);
  assert_null(strstr(out, "400 Bad Request")); /* no second status line inside a begun answer */
  free(out);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

static void test_client_that_stops_mid_body(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /load HTTP/1.1\r\nContent-Length: 100000\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  char *body = pattern(0, 1000);
  uint64_t since = 0, first = 0;
  thttp_feed(&t, body, 1000);
  assert_int_equal(svc_http_session_phase(t.session, &first), SVC_HTTP_READING);
  struct timespec ts = {0, 20000000};
  nanosleep(&ts, NULL);
  /* Each byte of the body restarts the clock the transport times requests by. */
  thttp_feed(&t, body, 10);
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_READING);
  assert_true(since > first);
  free(body);
  /* The client sends nothing more: the phase stays READING with its clock running (the transport's request timeout
   * ends it), the handler hears the client is gone and the connection ends. */
  nanosleep(&ts, NULL);
  uint64_t later = 0;
  assert_int_equal(svc_http_session_phase(t.session, &later), SVC_HTTP_READING);
  assert_int_equal(later, since);
  thttp_gone(&t); /* what the transport does once the request timeout passed */
  assert_true(wait_for(one_close, WAIT_MS));
  assert_false(hs.input_eof);
  assert_int_equal(svc_http_respond(hs.held, 200, NULL, NULL, NULL, 0), WCTR_EPIPE);
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);

  /* A client that half-closes mid-body: the same for the handler (its request is cancelled). */
  memset(&hs.requests, 0, sizeof hs - offsetof(handler_state, requests));
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /load HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  assert_true(wait_for(one_held, WAIT_MS));
  thttp_eof(&t);
  assert_true(wait_for(one_close, WAIT_MS));
  assert_false(hs.input_eof);
  svc_http_respond(hs.held, 400, NULL, "text/plain", "cut short", 9);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(thttp_wait_released(&t, WAIT_MS));
  thttp_free(&t);
}

static void test_handler_slow_to_take_input(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  size_t total = 64u * 1024u;
  char head[128];
  snprintf(head, sizeof head, "POST /load HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", total);
  thttp_feed_text(&t, head);
  assert_true(wait_for(one_held, WAIT_MS));
  assert_int_equal(svc_http_hijack(hs.held, NULL, NULL), WCTR_ESTATE); /* the body is not the client's stream */
  pthread_mutex_lock(&hs.mu);
  hs.pause_input = true;
  pthread_mutex_unlock(&hs.mu);
  char *body = pattern(0, total);
  /* The handler holds after the first piece: reading stops (feed answers false on every read still in flight, each
   * delivered, nothing piles up in the session), and the session is BUSY, not waiting for the client. */
  assert_false(thttp_feed(&t, body, 1000));
  assert_false(thttp_feed(&t, body + 1000, 1000));
  assert_int_equal(hs.stream_bytes, 2000);
  uint64_t since = 0;
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_BUSY);
  int resumes = t.resumes;
  pthread_mutex_lock(&hs.mu);
  hs.pause_input = false;
  pthread_mutex_unlock(&hs.mu);
  svc_http_resume_input(hs.held);
  assert_int_equal(t.resumes, resumes + 1);
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_READING);
  assert_true(thttp_feed(&t, body + 2000, total - 2000));
  free(body);
  assert_true(wait_for(got_eof, WAIT_MS));
  assert_int_equal(hs.stream_bytes, total);
  assert_int_equal(hs.stream_mismatch, 0);
  svc_http_respond(hs.held, 204, NULL, NULL, NULL, 0);
  finish_conn(&t);
}

/* The handler takes the input on another thread, which resumes before on_input returned asking to stop: the
 * resume is not lost (reading would stop for good). */
static void test_resume_before_the_hold_is_recorded(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /load HTTP/1.1\r\nContent-Length: 300\r\n\r\n");
  assert_true(wait_for(one_held, WAIT_MS));
  pthread_mutex_lock(&hs.mu);
  hs.pause_input = true;
  hs.resume_inside = true;
  pthread_mutex_unlock(&hs.mu);
  char *body = pattern(0, 300);
  assert_true(thttp_feed(&t, body, 100));
  uint64_t since = 0;
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_READING);
  pthread_mutex_lock(&hs.mu);
  hs.resume_inside = false;
  pthread_mutex_unlock(&hs.mu);
  assert_false(thttp_feed(&t, body + 100, 100)); /* a hold without a resume holds */
  assert_int_equal(svc_http_session_phase(t.session, &since), SVC_HTTP_BUSY);
  pthread_mutex_lock(&hs.mu);
  hs.pause_input = false;
  pthread_mutex_unlock(&hs.mu);
  svc_http_resume_input(hs.held);
  assert_true(thttp_feed(&t, body + 200, 100));
  free(body);
  assert_true(wait_for(got_eof, WAIT_MS));
  assert_int_equal(hs.stream_bytes, 300);
  assert_int_equal(hs.stream_mismatch, 0);
  svc_http_respond(hs.held, 204, NULL, NULL, NULL, 0);
  finish_conn(&t);
}

static void test_answer_before_the_body_ended_closes(void **state) {
  (void)state;
  thttp t;
  thttp_init(&t, ioc, handler, "TEST\\client");
  thttp_feed_text(&t, "POST /load HTTP/1.1\r\nContent-Length: 1000000\r\n\r\nsome");
  assert_true(wait_for(one_held, WAIT_MS));
  svc_http_respond(hs.held, 401, NULL, "text/plain", "no token", 8);
  assert_true(thttp_wait_closed(&t, WAIT_MS));
  assert_true(t.graceful);
  size_t len = 0;
  char *out = thttp_output(&t, &len);
  assert_non_null(strstr(out, "Connection: close\r\n"));
  free(out);
  (void)thttp_feed_text(&t, "more of the body, dropped"); /* read and dropped, never parsed as a request */
  assert_true(thttp_wait_released(&t, WAIT_MS));
  size_t after = 0;
  free(thttp_output(&t, &after));
  assert_int_equal(after, len);
  assert_int_equal(hs.requests, 1);
  thttp_free(&t);
}

/* --- queries ------------------------------------------------------------------------------------------------------------- */

static void test_query_and_decode(void **state) {
  (void)state;
  char *v = NULL;
  bool present = false;
  assert_int_equal(svc_http_query("all=1&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&x", "filters", &v, &present), WCTR_OK);
  assert_true(present);
  assert_string_equal(v, "{\"label\":[\"a=b\"]}");
  free(v);
  assert_int_equal(svc_http_query("all=1&x", "x", &v, &present), WCTR_OK);
  assert_true(present);
  assert_string_equal(v, "");
  free(v);
  assert_int_equal(svc_http_query("a=1&a=2", "a", &v, &present), WCTR_OK);
  assert_string_equal(v, "1");
  free(v);
  assert_int_equal(svc_http_query("name=a+b", "name", &v, &present), WCTR_OK);
  assert_string_equal(v, "a b");
  free(v);
  assert_int_equal(svc_http_query("all=1", "none", &v, &present), WCTR_OK);
  assert_false(present);
  assert_null(v);
  assert_int_equal(svc_http_query("a=%4", "a", &v, &present), WCTR_EINVAL);
  assert_int_equal(svc_http_query("a=%00", "a", &v, &present), WCTR_EINVAL);
  char *d = svc_http_decode("%2Fa%2fb+c", 10, false);
  assert_string_equal(d, "/a/b+c");
  free(d);
  assert_string_equal(svc_http_reason(101), "UPGRADED");
  assert_string_equal(svc_http_reason(431), "Request Header Fields Too Large");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_get_and_keep_alive, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pipelined_requests_answered_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connection_close_and_http10, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chunked_request_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_head_has_no_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_expect_continue, setup, teardown),
      cmocka_unit_test_setup_teardown(test_garbage_is_400, setup, teardown),
      cmocka_unit_test_setup_teardown(test_body_over_the_limit_is_413_unread, setup, teardown),
      cmocka_unit_test_setup_teardown(test_huge_header_is_431_and_the_rest_is_dropped, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chunked_stream, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stream_bound_for_a_client_that_does_not_read, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hijack_upgrade, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hijack_without_upgrade_is_200_raw, setup, teardown),
      cmocka_unit_test_setup_teardown(test_input_pause_and_resume, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_gone_during_a_request, setup, teardown),
      cmocka_unit_test_setup_teardown(test_eof_during_a_request_cancels_it_but_the_answer_goes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_phases, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pipelined_input_beyond_the_bound_pauses_reading, setup, teardown),
      cmocka_unit_test_setup_teardown(test_streamed_body_split_across_many_feeds_beyond_the_old_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_streamed_chunked_body_with_extensions_and_trailers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_request_without_a_body_is_not_streamed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_streamed_body_bound, setup, teardown),
      cmocka_unit_test_setup_teardown(test_malformed_chunking_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_that_stops_mid_body, setup, teardown),
      cmocka_unit_test_setup_teardown(test_handler_slow_to_take_input, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resume_before_the_hold_is_recorded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_answer_before_the_body_ended_closes, setup, teardown),
      cmocka_unit_test(test_query_and_decode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
