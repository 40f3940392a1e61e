/* The HTTP session (service/http.h) over the fake transport (tests/service/thttp.h): requests one at a time and
 * in order, keep-alive and close, bodies, the bounds and their refusals, streams, the hijack, the client
 * leaving, phases, and the query helpers. A test handler answers by path. */
#include <pthread.h>
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
} handler_state;

static handler_state hs;

static bool h_input(void *ctx, const char *data, size_t len, bool eof) {
  (void)ctx;
  pthread_mutex_lock(&hs.mu);
  if (hs.input_len + len < sizeof hs.input) {
    memcpy(hs.input + hs.input_len, data, len);
    hs.input_len += len;
  }
  if (eof) hs.input_eof = true;
  bool pause = hs.pause_input;
  pthread_cond_broadcast(&hs.cv);
  pthread_mutex_unlock(&hs.mu);
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
  hs.last_keep_alive = r->keep_alive;
  bool hold = strncmp(r->path, "/hold", 5) == 0 || strncmp(r->path, "/hijack", 7) == 0 || strncmp(r->path, "/stream", 7) == 0;
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

static const svc_http_handler handler = {.on_request = on_request, .on_refused = on_refused};

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
      cmocka_unit_test(test_query_and_decode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
