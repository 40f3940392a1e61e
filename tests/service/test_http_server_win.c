/* The Engine API's listeners (service/http_server.h) on the Windows I/O core, with a small handler: loopback TCP
 * and a named pipe in byte mode, the caller of each, the timeouts (nothing sent, a request that never
 * completes, an idle keep-alive connection), eviction at the cap, a 10 MiB header, a port already in use, and
 * a stop with connections open; a streamed body (/load: the handler takes it as it arrives, holding the reading
 * after every piece until a worker resumes it) larger than a body read whole, one that keeps coming slowly, and
 * one whose client stops mid-body. Timeouts are shortened through the options. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ioc.h"
#include "service/http_server.h"
#include "testutil.h"

enum { FIRST_MS = 400, REQUEST_MS = 600, IDLE_MS = 600, LINGER_MS = 300 };

static wctr_ioc *ioc;
static svc_http_server *server;
static uint16_t port;
static char pipe_path[128];

static void on_request(void *ctx, svc_http_exchange *x) {
  (void)ctx;
  char body[512];
  int n = snprintf(body, sizeof body, "caller=%s path=%s", svc_http_caller(x)->name, svc_http_req(x)->path);
  svc_http_respond(x, 200, NULL, "text/plain", body, (size_t)n);
}

/* /load: the body streams; the handler counts it, holds the reading after every piece (a worker resumes it, as
 * an operation that took its input does), and answers at its end. One such request at a time. */
static struct {
  CRITICAL_SECTION cs;
  svc_http_exchange *x;
  size_t bytes;
  int holds;
  int closes;
  bool answered;
} ld;

static void resume_job(void *arg) { svc_http_resume_input(arg); }

static bool ld_input(void *ctx, const char *data, size_t len, bool eof) {
  svc_http_exchange *x = ctx;
  (void)data;
  EnterCriticalSection(&ld.cs);
  ld.bytes += len;
  size_t bytes = ld.bytes;
  bool answer = eof && !ld.answered;
  if (answer) ld.answered = true;
  if (!eof) ld.holds++;
  LeaveCriticalSection(&ld.cs);
  if (answer) {
    char body[64];
    int n = snprintf(body, sizeof body, "got %zu bytes", bytes);
    svc_http_respond(x, 200, NULL, "text/plain", body, (size_t)n);
    return false;
  }
  if (!eof && !wctr_ioc_post(ioc, resume_job, x)) return false;
  return !eof;
}

static void ld_close(void *ctx) {
  EnterCriticalSection(&ld.cs);
  ld.closes++;
  bool answer = !ld.answered;
  ld.answered = true;
  LeaveCriticalSection(&ld.cs);
  if (answer) svc_http_finish(ctx, false);
}

static void on_request_or_load(void *ctx, svc_http_exchange *x) {
  if (!svc_http_req(x)->body_streamed) {
    on_request(ctx, x);
    return;
  }
  EnterCriticalSection(&ld.cs);
  ld.x = x;
  ld.bytes = 0;
  ld.answered = false;
  LeaveCriticalSection(&ld.cs);
  svc_http_set_callbacks(x, x, ld_input, ld_close, NULL);
}

static bool stream_body(void *ctx, const svc_http_request *r, uint64_t *limit) {
  (void)ctx;
  *limit = 0;
  return strcmp(r->path, "/load") == 0;
}

static const svc_http_handler handler = {.on_request = on_request_or_load, .stream_body = stream_body};

/* The request timeout of the next setup: REQUEST_MS, or longer for a test about something else than timeouts (a
 * loaded machine can leave the server's read completion unscheduled for longer than REQUEST_MS). */
static unsigned request_ms = REQUEST_MS;

static wctr_err start(unsigned max_connections, wctr_errmsg *e) {
  svc_api_address a[2];
  char text[64];
  snprintf(text, sizeof text, "tcp://127.0.0.1:%u", port);
  if (svc_api_address_parse(text, "test", &a[0], e) != WCTR_OK) return e->code;
  char name[64];
  wctr_test_unique_name("wctr-http", name, sizeof name);
  snprintf(pipe_path, sizeof pipe_path, "\\\\.\\pipe\\%s", name);
  snprintf(text, sizeof text, "npipe:////./pipe/%s", name);
  if (svc_api_address_parse(text, "test", &a[1], e) != WCTR_OK) return e->code;
  svc_http_server_options o = {.addresses = a, .count = 2, .sddl = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;WD)",
                               .ioc = ioc, .pipe_handler = handler, .tcp_handler = handler,
                               .max_connections = max_connections, .first_request_timeout_ms = FIRST_MS,
                               .request_timeout_ms = request_ms, .idle_timeout_ms = IDLE_MS, .linger_ms = LINGER_MS};
  return svc_http_server_start(&o, &server, e);
}

static int setup(void **state) {
  (void)state;
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  wctr_ioc_options io = {.workers = 2, .pool_max = 2};
  wctr_errmsg e;
  if (wctr_ioc_start(&io, &ioc, &e) != WCTR_OK) fail_msg("%s", e.text);
  memset(&ld, 0, sizeof ld);
  InitializeCriticalSection(&ld.cs);
  wctr_err err = WCTR_EBUSY;
  for (int i = 0; i < 10 && err == WCTR_EBUSY; i++) {
    port = (uint16_t)(20000 + (GetTickCount() * 7919u + (unsigned)i * 104729u) % 20000u);
    err = start(0, &e);
  }
  if (err != WCTR_OK) fail_msg("server: %s", e.text);
  return 0;
}

/* For the streamed body: its holds and resumes are under test, not the request timeout. */
static int setup_patient(void **state) {
  request_ms = 30000;
  return setup(state);
}

static int teardown(void **state) {
  (void)state;
  request_ms = REQUEST_MS;
  svc_http_server_stop(server, 5000);
  server = NULL;
  wctr_ioc_stop(ioc);
  DeleteCriticalSection(&ld.cs);
  WSACleanup();
  return 0;
}

static SOCKET tcp_connect(void) {
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) fail_msg("connect: %d", WSAGetLastError());
  DWORD t = 5000;
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&t, sizeof t);
  return s;
}

/* Reads until the peer closes or timeout; returns the bytes (NUL-terminated, static). closed tells which. */
static const char *read_all(SOCKET s, bool *closed) {
  static char buf[65536];
  size_t n = 0;
  *closed = false;
  for (;;) {
    int got = recv(s, buf + n, (int)(sizeof buf - 1 - n), 0);
    if (got == 0) {
      *closed = true;
      break;
    }
    if (got < 0) {
      *closed = WSAGetLastError() == WSAECONNRESET;
      break;
    }
    n += (size_t)got;
    if (n >= sizeof buf - 1) break;
  }
  buf[n] = '\0';
  return buf;
}

static const char *read_response(SOCKET s) {
  static char buf[8192];
  size_t n = 0;
  while (n < sizeof buf - 1) {
    int got = recv(s, buf + n, (int)(sizeof buf - 1 - n), 0);
    if (got <= 0) break;
    n += (size_t)got;
    buf[n] = '\0';
    const char *end = strstr(buf, "\r\n\r\n");
    const char *cl = strstr(buf, "Content-Length: ");
    if (end != NULL && cl != NULL && n >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10)) break;
  }
  buf[n] = '\0';
  return buf;
}

static void send_text(SOCKET s, const char *text) { send(s, text, (int)strlen(text), 0); }

/* --- cases --------------------------------------------------------------------------------------------------------- */

static void test_tcp_keep_alive_and_caller(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  send_text(s, "GET /one HTTP/1.1\r\n\r\n");
  const char *r = read_response(s);
  assert_non_null(strstr(r, "HTTP/1.1 200 OK"));
  char want[128];
  snprintf(want, sizeof want, "caller=token holder on tcp://127.0.0.1:%u path=/one", port);
  assert_non_null(strstr(r, want));
  send_text(s, "GET /two HTTP/1.1\r\nConnection: close\r\n\r\n");
  bool closed = false;
  r = read_all(s, &closed);
  assert_non_null(strstr(r, "path=/two"));
  assert_true(closed);
  closesocket(s);
}

static void test_named_pipe_identifies_the_caller(void **state) {
  (void)state;
  wchar_t wide[128];
  MultiByteToWideChar(CP_UTF8, 0, pipe_path, -1, wide, 128);
  HANDLE h = CreateFileW(wide, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  assert_true(h != INVALID_HANDLE_VALUE);
  const char req[] = "GET /piped HTTP/1.1\r\nConnection: close\r\n\r\n";
  DWORD n = 0;
  assert_true(WriteFile(h, req, sizeof req - 1, &n, NULL));
  char buf[4096];
  size_t total = 0;
  while (ReadFile(h, buf + total, (DWORD)(sizeof buf - 1 - total), &n, NULL) && n > 0) total += n;
  buf[total] = '\0';
  CloseHandle(h);
  assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
  assert_non_null(strstr(buf, "path=/piped"));
  /* Identified by impersonation: an account name, never the TCP caller's words. */
  assert_null(strstr(buf, "token holder"));
  wchar_t wuser[256];
  DWORD ulen = ARRAYSIZE(wuser);
  assert_true(GetUserNameW(wuser, &ulen));
  char user[512];
  WideCharToMultiByte(CP_UTF8, 0, wuser, -1, user, sizeof user, NULL, NULL);
  assert_non_null(strstr(buf, user));
}

static void test_silent_client_is_closed(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  DWORD t0 = GetTickCount();
  bool closed = false;
  read_all(s, &closed);
  DWORD took = GetTickCount() - t0;
  assert_true(closed);
  assert_true(took >= FIRST_MS - 50 && took < FIRST_MS + 2000);
  closesocket(s);
}

static void test_slow_loris_is_closed_after_the_request_timeout(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  DWORD t0 = GetTickCount();
  send_text(s, "GET /slow HTTP/1.1\r\n");
  bool cut = false;
  /* A byte every 100 ms: every one arrives before any idle timeout, but the request never ends. */
  for (int i = 0; i < 40 && !cut; i++) {
    Sleep(100);
    cut = send(s, "X", 1, 0) != 1;
    if (!cut) {
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(s, &fds);
      struct timeval tv = {0, 0};
      if (select(0, &fds, NULL, NULL, &tv) == 1) {
        char c;
        cut = recv(s, &c, 1, 0) <= 0;
      }
    }
  }
  DWORD took = GetTickCount() - t0;
  assert_true(cut);
  assert_true(took >= REQUEST_MS - 50 && took < REQUEST_MS + 2000);
  closesocket(s);
}

static void send_all(SOCKET s, const char *data, size_t len) {
  while (len > 0) {
    int n = send(s, data, len > 65536 ? 65536 : (int)len, 0);
    if (n <= 0) fail_msg("send: %d", WSAGetLastError());
    data += n;
    len -= (size_t)n;
  }
}

static void test_streamed_body_larger_than_a_whole_one(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  size_t total = SVC_HTTP_MAX_BODY + 2u * 1024u * 1024u;
  char head[128];
  snprintf(head, sizeof head, "POST /load HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", total);
  send_text(s, head);
  char *body = calloc(1, total);
  send_all(s, body, total);
  free(body);
  const char *r = read_response(s);
  char want[64];
  snprintf(want, sizeof want, "got %zu bytes", total);
  if (strstr(r, "HTTP/1.1 200 OK") == NULL || strstr(r, want) == NULL) fail_msg("response: %s", r);
  EnterCriticalSection(&ld.cs);
  int holds = ld.holds;
  LeaveCriticalSection(&ld.cs);
  assert_true(holds > 1); /* the reading stopped after each piece and went on once resumed */
  /* The connection serves the next request. */
  send_text(s, "GET /after HTTP/1.1\r\n\r\n");
  r = read_response(s);
  assert_non_null(strstr(r, "path=/after"));
  closesocket(s);
}

/* A client that resets its connection before the server accepted it: the client behind it in the backlog is
 * still accepted and served (Winsock's accept may fail with WSAECONNRESET for the first; the round goes on).
 * The server's workers are held meanwhile, so both are in the backlog when it accepts. */
static HANDLE hold_release;
static void hold_worker(void *arg) {
  (void)arg;
  WaitForSingleObject(hold_release, 10000);
}

static void test_a_reset_in_the_backlog_does_not_strand_the_next(void **state) {
  (void)state;
  hold_release = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(hold_release);
  assert_true(wctr_ioc_post(ioc, hold_worker, NULL));
  assert_true(wctr_ioc_post(ioc, hold_worker, NULL));
  Sleep(100);
  SOCKET reset = tcp_connect();
  struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* closesocket sends a reset */
  setsockopt(reset, SOL_SOCKET, SO_LINGER, (const char *)&lg, sizeof lg);
  closesocket(reset);
  SOCKET next = tcp_connect();
  send_text(next, "GET /after-reset HTTP/1.1\r\n\r\n");
  Sleep(100);
  SetEvent(hold_release);
  const char *r = read_response(next);
  if (strstr(r, "path=/after-reset") == NULL) fail_msg("the client behind a reset one was not served: [%s]", r);
  closesocket(next);
  Sleep(50);
  CloseHandle(hold_release);
}

/* A wake-up consumed without an accept (a lost FD_ACCEPT): the client waiting in the backlog is accepted by the
 * server's sweep, which polls the listeners, instead of waiting for a signal that never comes. */
static volatile LONG skips;
static bool skip_once(void) { return InterlockedExchange(&skips, 0) > 0; }

static void test_a_lost_accept_signal_is_caught_by_the_sweep(void **state) {
  (void)state;
  skips = 1;
  svc_http_accept_skip_hook = skip_once;
  SOCKET c = tcp_connect();
  send_text(c, "GET /lost HTTP/1.1\r\n\r\n");
  const char *r = read_response(c);
  svc_http_accept_skip_hook = NULL;
  if (strstr(r, "path=/lost") == NULL) fail_msg("the client whose wake-up was lost was not served: [%s]", r);
  assert_int_equal(skips, 0); /* the wake-up was indeed consumed */
  closesocket(c);
}

static void test_streamed_body_that_keeps_coming_slowly(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  DWORD t0 = GetTickCount();
  send_text(s, "POST /load HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  /* A piece every 200 ms for 3 request timeouts: each restarts the body's clock. */
  for (int i = 0; i < 9; i++) {
    Sleep(200);
    send_text(s, "3;slow\r\nabc\r\n");
  }
  send_text(s, "0\r\n\r\n");
  const char *r = read_response(s);
  assert_true(GetTickCount() - t0 > 3 * REQUEST_MS);
  if (strstr(r, "got 27 bytes") == NULL) fail_msg("response: %s", r);
  closesocket(s);
}

static void test_client_that_stops_mid_body_is_closed(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  send_text(s, "POST /load HTTP/1.1\r\nContent-Length: 100000\r\n\r\n0123456789");
  DWORD t0 = GetTickCount();
  bool closed = false;
  read_all(s, &closed);
  DWORD took = GetTickCount() - t0;
  assert_true(closed);
  assert_true(took >= REQUEST_MS - 50 && took < REQUEST_MS + 2000);
  for (int i = 0; i < 200; i++) {
    EnterCriticalSection(&ld.cs);
    int closes = ld.closes;
    LeaveCriticalSection(&ld.cs);
    if (closes == 1) break;
    Sleep(10);
  }
  EnterCriticalSection(&ld.cs);
  assert_int_equal(ld.closes, 1); /* the handler heard the client is gone */
  assert_int_equal(ld.bytes, 10);
  LeaveCriticalSection(&ld.cs);
  closesocket(s);
}

static void test_idle_keep_alive_is_closed(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  send_text(s, "GET /x HTTP/1.1\r\n\r\n");
  assert_non_null(strstr(read_response(s), "200 OK"));
  DWORD t0 = GetTickCount();
  bool closed = false;
  read_all(s, &closed);
  assert_true(closed);
  assert_true(GetTickCount() - t0 >= IDLE_MS - 50);
  closesocket(s);
}

static void test_huge_header_gets_431(void **state) {
  (void)state;
  SOCKET s = tcp_connect();
  send_text(s, "GET / HTTP/1.1\r\nX-Big: ");
  char *chunk = malloc(65536);
  memset(chunk, 'a', 65536);
  /* 10 MiB; the server refuses after 80 KiB and lingers, dropping the rest, so the refusal is readable. */
  for (int i = 0; i < 160; i++) {
    if (send(s, chunk, 65536, 0) != 65536) break;
  }
  free(chunk);
  shutdown(s, SD_SEND);
  bool closed = false;
  const char *r = read_all(s, &closed);
  assert_non_null(strstr(r, "HTTP/1.1 431 "));
  closesocket(s);
  /* and the next client is served */
  s = tcp_connect();
  send_text(s, "GET /after HTTP/1.1\r\n\r\n");
  assert_non_null(strstr(read_response(s), "path=/after"));
  closesocket(s);
}

static void test_eviction_at_the_cap(void **state) {
  (void)state;
  svc_http_server_stop(server, 5000);
  wctr_errmsg e;
  if (start(3, &e) != WCTR_OK) fail_msg("%s", e.text);
  SOCKET idle[3];
  for (int i = 0; i < 3; i++) {
    idle[i] = tcp_connect();
    Sleep(30); /* distinct idle times: the first is the oldest */
  }
  SOCKET s = tcp_connect();
  send_text(s, "GET /newcomer HTTP/1.1\r\n\r\n");
  assert_non_null(strstr(read_response(s), "path=/newcomer"));
  bool closed = false;
  DWORD t = 200;
  setsockopt(idle[0], SOL_SOCKET, SO_RCVTIMEO, (const char *)&t, sizeof t);
  read_all(idle[0], &closed);
  assert_true(closed); /* the one idle the longest made room */
  for (int i = 0; i < 3; i++) closesocket(idle[i]);
  closesocket(s);
}

static void test_port_in_use(void **state) {
  (void)state;
  svc_api_address a;
  char text[64];
  wctr_errmsg e;
  snprintf(text, sizeof text, "tcp://127.0.0.1:%u", port);
  assert_int_equal(svc_api_address_parse(text, "test", &a, &e), WCTR_OK);
  svc_http_server_options o = {.addresses = &a, .count = 1, .ioc = ioc, .pipe_handler = handler, .tcp_handler = handler};
  svc_http_server *second = NULL;
  assert_int_not_equal(svc_http_server_start(&o, &second, &e), WCTR_OK);
  assert_null(second);
  assert_non_null(strstr(e.text, text));
}

static void test_stop_with_connections_open(void **state) {
  (void)state;
  SOCKET s[5];
  for (int i = 0; i < 5; i++) s[i] = tcp_connect();
  send_text(s[0], "GET /partial HTTP/1.1\r\n");
  DWORD t0 = GetTickCount();
  svc_http_server_stop(server, 5000);
  server = NULL;
  assert_true(GetTickCount() - t0 < 3000);
  for (int i = 0; i < 5; i++) {
    bool closed = false;
    read_all(s[i], &closed);
    assert_true(closed);
    closesocket(s[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_tcp_keep_alive_and_caller, setup, teardown),
      cmocka_unit_test_setup_teardown(test_named_pipe_identifies_the_caller, setup, teardown),
      cmocka_unit_test_setup_teardown(test_silent_client_is_closed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slow_loris_is_closed_after_the_request_timeout, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_keep_alive_is_closed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_streamed_body_larger_than_a_whole_one, setup_patient, teardown),
      cmocka_unit_test_setup_teardown(test_streamed_body_that_keeps_coming_slowly, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_reset_in_the_backlog_does_not_strand_the_next, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_lost_accept_signal_is_caught_by_the_sweep, setup, teardown),
      cmocka_unit_test_setup_teardown(test_client_that_stops_mid_body_is_closed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_huge_header_gets_431, setup, teardown),
      cmocka_unit_test_setup_teardown(test_eviction_at_the_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_port_in_use, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stop_with_connections_open, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
