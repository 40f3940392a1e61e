/* The pipe server under Wine: real pipes, the real I/O core, operation layer and front-end, real clients,
 * including broken, idle and non-reading ones. The descriptor handed to CreateNamedPipeW is recorded
 * through the seam and compared with the documented one; the read-back is compared too (Wine keeps pipe
 * descriptors exactly; it does not enforce them - see test_pipe_dacl_enforced for the Windows-only half). */
#include <windows.h>

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/descriptors.h"
#include "acl/sd.h"
#include "cli/client.h"
#include "common/ioc.h"
#include "common/log.h"
#include "common/proto.h"
#include "service/ops.h"
#include "service/pipe_api.h"
#include "service/server.h"
#include "service/system_ops.h"
#include "service/svc_sys.h"
#include "testutil.h"

enum { T = 10000 }; /* ms: generous for Wine on a loaded machine */

static svc_server *server;
static char pipe_path[128];
static char expected_sddl[512];

/* --- seam: record the descriptor, fail on demand ----------------------------------------------------- */
static char recorded_sddl[512];
static int create_calls;
static int fail_create_at; /* 1-based call number to fail, 0 never */
static BOOL fail_impersonation;

static HANDLE WINAPI recording_create(LPCWSTR name, DWORD open_mode, DWORD pipe_mode, DWORD max_instances,
                                      DWORD out_size, DWORD in_size, DWORD timeout, LPSECURITY_ATTRIBUTES sa) {
  create_calls++;
  if (fail_create_at == create_calls) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return INVALID_HANDLE_VALUE;
  }
  wchar_t *text = NULL;
  if (sa != NULL && ConvertSecurityDescriptorToStringSecurityDescriptorW(sa->lpSecurityDescriptor, SDDL_REVISION_1,
                                                                          DACL_SECURITY_INFORMATION, &text, NULL)) {
    WideCharToMultiByte(CP_UTF8, 0, text, -1, recorded_sddl, sizeof recorded_sddl, NULL, NULL);
    LocalFree(text);
  }
  return CreateNamedPipeW(name, open_mode, pipe_mode, max_instances, out_size, in_size, timeout, sa);
}

static BOOL WINAPI maybe_failing_impersonation(HANDLE pipe) {
  if (fail_impersonation) {
    SetLastError(ERROR_CANNOT_IMPERSONATE);
    return FALSE;
  }
  return ImpersonateNamedPipeClient(pipe);
}

/* --- the service side: the real operation layer and front-end, fixed host facts, stream operations ------- */
static wctr_ioc *ioc;
static svc_ops *ops;

static void facts(void *ctx, svc_host_facts *f) {
  (void)ctx;
  snprintf(f->os_name, sizeof f->os_name, "test host");
  f->job_available = true;
}

static wctr_err live_sddl(void *ctx, char *buf, size_t size, wctr_errmsg *e) {
  (void)ctx;
  return svc_server_pipe_sddl(server, buf, size, e);
}

static svc_system_host host = {.host_facts = facts, .pipe_sddl = live_sddl, .data_root = "C:\\x", .pipe_path = pipe_path};

/* "hold": runs until its client is gone; records when it heard (on_close). */
static volatile LONG holds_started;
static volatile LONG holds_closed;
static volatile LONG64 last_close_ms;

typedef struct hold {
  svc_sink *sink;
} hold;

static void hold_close(void *ctx) {
  hold *h = ctx;
  InterlockedExchange64(&last_close_ms, (LONG64)wctr_ioc_now_ms());
  InterlockedIncrement(&holds_closed);
  svc_sink_finish(h->sink, WCTR_OK, cJSON_CreateObject(), NULL);
}

static void hold_release(void *ctx) {
  free(ctx);
}

static void start_hold(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)ctx, (void)caller, (void)params;
  hold *h = calloc(1, sizeof *h);
  h->sink = sink;
  sink->op_ctx = h;
  sink->on_close = hold_close;
  sink->on_release = hold_release;
  InterlockedIncrement(&holds_started);
}

/* "flood": writes 64 KiB of output per step, a step after another on the workers, until the sink refuses
 * (its client does not read: dropped) - the way a chatty container meets a paused `wctr attach`. */
static volatile LONG floods_dropped;

typedef struct flood {
  svc_sink *sink;
  char chunk[64 * 1024];
} flood;

static void flood_step(void *arg) {
  flood *f = arg;
  if (svc_sink_output(f->sink, SVC_STDOUT, f->chunk, sizeof f->chunk) != WCTR_OK) {
    InterlockedIncrement(&floods_dropped);
    svc_sink_finish(f->sink, WCTR_OK, cJSON_CreateObject(), NULL);
    return;
  }
  if (!wctr_ioc_post(ioc, flood_step, f)) svc_sink_finish(f->sink, WCTR_ECANCELED, NULL, "stopping");
}

static void flood_release(void *ctx) {
  free(ctx);
}

static void start_flood(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)ctx, (void)caller, (void)params;
  flood *f = calloc(1, sizeof *f);
  memset(f->chunk, 'z', sizeof f->chunk);
  f->sink = sink;
  sink->op_ctx = f;
  sink->on_release = flood_release;
  if (!wctr_ioc_post(ioc, flood_step, f)) svc_sink_finish(sink, WCTR_ECANCELED, NULL, "stopping");
}

/* "big": a call whose answer is larger than the stream bound (a long listing). */
static wctr_err op_big(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)caller, (void)params, (void)e;
  size_t n = SVC_SINK_QUEUE_MAX + 12345;
  char *text = malloc(n + 1);
  memset(text, 'q', n);
  text[n] = '\0';
  *result = cJSON_CreateString(text);
  free(text);
  return WCTR_OK;
}

/* "count-stdin": counts the stdin bytes it receives and answers {"Bytes": n} at the client's end of file. */
typedef struct counter {
  svc_sink *sink;
  size_t bytes;
  bool done;
} counter;

static void counter_input(void *ctx, const char *data, size_t len, bool eof) {
  (void)data;
  counter *k = ctx;
  k->bytes += len;
  if (!eof || k->done) return;
  k->done = true;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "Bytes", (double)k->bytes);
  svc_sink_finish(k->sink, WCTR_OK, r, NULL);
}

static void counter_close(void *ctx) {
  counter *k = ctx;
  if (k->done) return;
  k->done = true;
  svc_sink_finish(k->sink, WCTR_EPIPE, NULL, "the client left");
}

static void start_counter(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)ctx, (void)caller, (void)params;
  counter *k = calloc(1, sizeof *k);
  k->sink = sink;
  sink->op_ctx = k;
  sink->on_input = counter_input;
  sink->on_close = counter_close;
  sink->on_release = hold_release;
}

static const svc_op test_ops[] = {
    {.name = "hold", .start = start_hold, .flags = SVC_OP_STREAM},
    {.name = "count-stdin", .start = start_counter, .flags = SVC_OP_STREAM},
    {.name = "flood", .start = start_flood, .flags = SVC_OP_STREAM},
    {.name = "big", .call = op_big},
};

typedef struct server_limits {
  unsigned max_connections, first_ms, idle_ms;
} server_limits;

static wctr_err start_server_with(server_limits lim, wctr_errmsg *e) {
  svc_server_options opt = {.pipe_path = pipe_path, .sddl = expected_sddl, .ioc = ioc,
                            .api = {.ioc = ioc, .ops = ops}, .max_connections = lim.max_connections,
                            .first_request_timeout_ms = lim.first_ms, .idle_timeout_ms = lim.idle_ms};
  return svc_server_start(&opt, &server, e);
}

static wctr_err start_server(unsigned max_connections, wctr_errmsg *e) {
  return start_server_with((server_limits){.max_connections = max_connections}, e);
}

static int setup(void **state) {
  (void)state;
  char name[64];
  wctr_test_unique_name("wctr-test-pipe", name, sizeof name);
  snprintf(pipe_path, sizeof pipe_path, "\\\\.\\pipe\\%s", name);
  create_calls = 0;
  fail_create_at = 0;
  fail_impersonation = FALSE;
  recorded_sddl[0] = '\0';
  holds_started = holds_closed = floods_dropped = 0;
  wctr_errmsg e;
  assert_int_equal(start_server(0, &e), WCTR_OK);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  return 0;
}

/* --- helpers ---------------------------------------------------------------------------------------- */
static cli_client *connect_client(void) {
  cli_client *c = NULL;
  wctr_errmsg e;
  wctr_err err = cli_client_open(pipe_path, T, &c, &e);
  if (err != WCTR_OK) fail_msg("connect: %s", e.text);
  return c;
}

static void expect_version_works(cli_client *c) {
  cJSON *result = NULL;
  wctr_errmsg e;
  wctr_err err = cli_client_call(c, "version", NULL, &result, T, &e);
  if (err != WCTR_OK) fail_msg("version: %s", e.text);
  assert_string_equal(cJSON_GetObjectItem(result, "Version")->valuestring, WCTR_VERSION);
  cJSON_Delete(result);
}

/* Sends raw bytes and returns the error code string of the response (static buffer). */
static const char *raw_error_code(cli_client *c, const char *buf, size_t len, bool *id_null) {
  static char code[64];
  wctr_errmsg e;
  char *resp = NULL;
  size_t resp_len = 0;
  if (cli_client_send(c, buf, len, T, &e) != WCTR_OK) fail_msg("send: %s", e.text);
  if (cli_client_recv(c, &resp, &resp_len, T, &e) != WCTR_OK) fail_msg("recv: %s", e.text);
  cJSON *root = cJSON_ParseWithLength(resp, resp_len);
  free(resp);
  assert_non_null(root);
  cJSON *error = cJSON_GetObjectItem(root, "error");
  assert_non_null(error);
  snprintf(code, sizeof code, "%s", cJSON_GetObjectItem(error, "code")->valuestring);
  if (id_null != NULL) *id_null = cJSON_IsNull(cJSON_GetObjectItem(root, "id"));
  cJSON_Delete(root);
  return code;
}

/* The connection was closed by wctrd: a request gets no answer. */
static void expect_broken(cli_client *c) {
  char *resp = NULL;
  size_t len = 0;
  wctr_errmsg e;
  wctr_err err = cli_client_send(c, "{\"v\":1,\"id\":1,\"op\":\"version\"}", 29, T, &e);
  if (err == WCTR_OK) err = cli_client_recv(c, &resp, &len, T, &e);
  free(resp);
  if (err != WCTR_EPIPE) fail_msg("the connection is still served (%s)", err == WCTR_OK ? "answered" : e.text);
}

/* Opens a connection and starts a stream operation on it, without reading anything. */
static cli_client *start_stream(const char *op) {
  cli_client *c = connect_client();
  size_t len = 0;
  char *msg = wctr_request_format(1, op, NULL, &len);
  wctr_errmsg e;
  if (cli_client_send(c, msg, len, T, &e) != WCTR_OK) fail_msg("send: %s", e.text);
  cJSON_free(msg);
  return c;
}

static void wait_for_holds(LONG n) {
  for (int i = 0; i < T / 5 && InterlockedCompareExchange(&holds_started, 0, 0) < n; i++) Sleep(5);
  assert_true(InterlockedCompareExchange(&holds_started, 0, 0) >= n);
}

static double now_ms(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER t;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&t);
  return (double)t.QuadPart * 1000.0 / (double)freq.QuadPart;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* p99 of 50 version calls, each on a connection of its own as wctr makes them (ms). */
static double version_p99(void) {
  enum { N = 50 };
  double t[N];
  for (int i = 0; i < N; i++) {
    double start = now_ms();
    cli_client *c = connect_client();
    expect_version_works(c);
    cli_client_close(c);
    t[i] = now_ms() - start;
  }
  qsort(t, N, sizeof t[0], compare_double);
  return t[(N * 99 + 99) / 100 - 1]; /* the 50th of 50: the slowest */
}

/* --- tests ------------------------------------------------------------------------------------------ */
static void test_descriptor_handed_to_windows(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_true(create_calls >= 1);
  /* What wctrd asked for, exactly: SYSTEM and Administrators full control, Users read/write. */
  wctr_err err = acl_sddl_expect(expected_sddl, recorded_sddl, ACL_MATCH_STRICT, &e);
  if (err != WCTR_OK) fail_msg("descriptor given to CreateNamedPipeW: %s (%s)", e.text, recorded_sddl);
  char live[512];
  assert_int_equal(svc_server_pipe_sddl(server, live, sizeof live, &e), WCTR_OK);
  err = acl_sddl_expect(expected_sddl, live, 0, &e);
  if (err != WCTR_OK) fail_msg("descriptor read back: %s (%s)", e.text, live);
}

static void test_version_and_identity(void **state) {
  (void)state;
  cli_client *c = connect_client();
  expect_version_works(c);
  cJSON *info = NULL;
  wctr_errmsg e;
  assert_int_equal(cli_client_call(c, "info", NULL, &info, T, &e), WCTR_OK);
  const char *sid = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "Caller"), "SID")->valuestring;
  assert_true(strncmp(sid, "S-1-5-", 6) == 0);
  assert_true(strlen(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "Caller"), "Name")->valuestring) > 0);
  cJSON_Delete(info);
  cli_client_close(c);
}

static void test_garbage_gets_errors_and_the_connection_survives(void **state) {
  (void)state;
  cli_client *c = connect_client();
  bool id_null = false;
  assert_string_equal(raw_error_code(c, "not json", 8, &id_null), "bad_request");
  assert_true(id_null);
  assert_string_equal(raw_error_code(c, "", 0, NULL), "bad_request");
  const char *wrong_types = "{\"v\":\"1\",\"id\":1,\"op\":\"version\"}";
  assert_string_equal(raw_error_code(c, wrong_types, strlen(wrong_types), NULL), "bad_request");
  const char *params_array = "{\"v\":1,\"id\":1,\"op\":\"version\",\"params\":[1]}";
  assert_string_equal(raw_error_code(c, params_array, strlen(params_array), NULL), "bad_request");
  const char *unknown_op = "{\"v\":1,\"id\":9,\"op\":\"format-c\"}";
  assert_string_equal(raw_error_code(c, unknown_op, strlen(unknown_op), &id_null), "unknown_op");
  assert_false(id_null);
  const char binary[] = {'{', 0, (char)0xff, '}'};
  assert_string_equal(raw_error_code(c, binary, sizeof binary, NULL), "bad_request");
  expect_version_works(c);
  cli_client_close(c);
}

static void test_two_mib_request_is_refused_and_drained(void **state) {
  (void)state;
  size_t n = 2u * 1024u * 1024u;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, ' ', n);
  memcpy(big, "{\"v\":1,\"id\":1,\"op\":\"version\"}", 29);
  cli_client *c = connect_client();
  bool id_null = false;
  assert_string_equal(raw_error_code(c, big, n, &id_null), "too_large");
  assert_true(id_null);
  /* The rest of the 2 MiB was read and dropped: the next request on the same connection is answered. */
  expect_version_works(c);
  cli_client_close(c);
  free(big);
}

static void test_request_of_exactly_the_limit_is_served(void **state) {
  (void)state;
  size_t n = WCTR_PROTO_MAX_REQUEST;
  char *msg = malloc(n);
  assert_non_null(msg);
  memset(msg, ' ', n);
  const char *head = "{\"v\":1,\"id\":5,\"op\":\"version\"}";
  memcpy(msg, head, strlen(head));
  cli_client *c = connect_client();
  wctr_errmsg e;
  char *resp = NULL;
  size_t len = 0;
  assert_int_equal(cli_client_send(c, msg, n, T, &e), WCTR_OK);
  assert_int_equal(cli_client_recv(c, &resp, &len, T, &e), WCTR_OK);
  cJSON *result = NULL;
  assert_int_equal(wctr_response_parse(resp, len, 5, &result, &e), WCTR_OK);
  cJSON_Delete(result);
  free(resp);
  cli_client_close(c);
  free(msg);
}

static void test_connect_and_disconnect_without_a_word(void **state) {
  (void)state;
  for (int i = 0; i < 30; i++) cli_client_close(connect_client());
  cli_client *c = connect_client();
  /* Half a conversation: send, then leave without reading the answer. */
  cli_client *rude = connect_client();
  wctr_errmsg e;
  assert_int_equal(cli_client_send(rude, "{\"v\":1,\"id\":1,\"op\":\"info\"}", 26, T, &e), WCTR_OK);
  cli_client_close(rude);
  expect_version_works(c);
  cli_client_close(c);
}

typedef struct worker_arg {
  int failures;
  char why[256];
} worker_arg;

static DWORD WINAPI hammer(LPVOID p) {
  worker_arg *w = p;
  cli_client *c = NULL;
  wctr_errmsg e;
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK) {
    w->failures++;
    snprintf(w->why, sizeof w->why, "open: %s", e.text);
    return 0;
  }
  for (int i = 0; i < 25; i++) {
    cJSON *result = NULL;
    if (cli_client_call(c, i % 2 == 0 ? "version" : "info", NULL, &result, T, &e) != WCTR_OK) {
      w->failures++;
      snprintf(w->why, sizeof w->why, "call %d: %s", i, e.text);
    }
    cJSON_Delete(result);
  }
  cli_client_close(c);
  return 0;
}

static void test_many_clients_at_once(void **state) {
  (void)state;
  enum { N = 16 };
  HANDLE threads[N];
  worker_arg args[N];
  memset(args, 0, sizeof args);
  for (int i = 0; i < N; i++) {
    threads[i] = CreateThread(NULL, 0, hammer, &args[i], 0, NULL);
    assert_non_null(threads[i]);
  }
  assert_int_equal(WaitForMultipleObjects(N, threads, TRUE, 120000), WAIT_OBJECT_0);
  for (int i = 0; i < N; i++) {
    CloseHandle(threads[i]);
    if (args[i].failures != 0) fail_msg("client %d: %d failures, last: %s", i, args[i].failures, args[i].why);
  }
}

static void test_second_server_on_the_same_pipe_fails_loudly(void **state) {
  (void)state;
  svc_server *second = NULL;
  svc_server_options opt = {.pipe_path = pipe_path, .sddl = expected_sddl, .ioc = ioc, .api = {.ioc = ioc, .ops = ops}};
  wctr_errmsg e;
  assert_int_equal(svc_server_start(&opt, &second, &e), WCTR_EBUSY);
  assert_null(second);
  assert_non_null(strstr(e.text, "already in use"));
  expect_version_works(connect_client()); /* the first one is untouched (client leaks until exit) */
}

static void test_failed_create_leaves_nothing(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  fail_create_at = create_calls + 1;
  wctr_errmsg e;
  assert_int_equal(start_server(0, &e), WCTR_ENOMEM);
  assert_non_null(strstr(e.text, "cannot create the pipe"));
  cli_client *c = NULL;
  assert_int_equal(cli_client_open(pipe_path, 200, &c, &e), WCTR_ENOENT);
  fail_create_at = 0;
  assert_int_equal(start_server(0, &e), WCTR_OK); /* for teardown */
}

static void test_unidentified_caller_is_refused(void **state) {
  (void)state;
  fail_impersonation = TRUE;
  cli_client *c = connect_client();
  assert_string_equal(raw_error_code(c, "{\"v\":1,\"id\":1,\"op\":\"version\"}", 29, NULL), "access_denied");
  /* ...and disconnected. */
  char *resp = NULL;
  size_t len;
  wctr_errmsg e;
  wctr_err err = cli_client_send(c, "{}", 2, T, &e);
  if (err == WCTR_OK) err = cli_client_recv(c, &resp, &len, T, &e);
  assert_int_equal(err, WCTR_EPIPE);
  free(resp);
  cli_client_close(c);
  fail_impersonation = FALSE;
  expect_version_works(connect_client());
}

/* At the cap a new client is admitted by closing the connection idle the longest; only when every connection
 * has a request or a stream in flight does a new client wait (and give up). */
static void test_connection_cap(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  wctr_errmsg e;
  assert_int_equal(start_server(2, &e), WCTR_OK);
  cli_client *a = connect_client();
  cli_client *b = connect_client();
  expect_version_works(a);
  Sleep(20);
  expect_version_works(b); /* a is now the one idle the longest */
  cli_client *c = connect_client();
  expect_version_works(c);
  expect_broken(a);
  expect_version_works(b);
  cli_client_close(a);
  cli_client_close(b);
  cli_client_close(c);
  /* Two streams in flight: nobody to evict. */
  cli_client *s1 = start_stream("hold");
  cli_client *s2 = start_stream("hold");
  wait_for_holds(2);
  cli_client *d = NULL;
  assert_int_equal(cli_client_open(pipe_path, 300, &d, &e), WCTR_EBUSY);
  cli_client_close(s1); /* room again */
  d = connect_client();
  expect_version_works(d);
  cli_client_close(d);
  cli_client_close(s2);
}

static void test_stop_with_idle_clients_is_prompt(void **state) {
  (void)state;
  cli_client *idle[5];
  for (int i = 0; i < 5; i++) idle[i] = connect_client();
  expect_version_works(idle[0]);
  DWORD start = GetTickCount();
  svc_server_stop(server, T);
  server = NULL;
  assert_true(GetTickCount() - start < 3000);
  char *resp = NULL;
  size_t len;
  wctr_errmsg e;
  wctr_err err = cli_client_send(idle[0], "{}", 2, 1000, &e);
  if (err == WCTR_OK) err = cli_client_recv(idle[0], &resp, &len, 1000, &e);
  assert_int_equal(err, WCTR_EPIPE);
  for (int i = 0; i < 5; i++) cli_client_close(idle[i]);
  assert_int_equal(start_server(0, &e), WCTR_OK); /* for teardown */
}

/* Clients that stop reading a stream are dropped at the bound; nobody else waits for them. */
static void test_non_reading_stream_clients_stall_nobody(void **state) {
  (void)state;
  double idle = version_p99();
  enum { FLOODS = 4 };
  cli_client *floods[FLOODS];
  for (int i = 0; i < FLOODS; i++) floods[i] = start_stream("flood");
  double loaded = version_p99();
  /* Today's failure is unbounded (every request waits for the stalled client: seconds, then timeouts); a
   * bounded p99 proves the isolation. The margin absorbs Wine's scheduling noise on two shared cores while
   * four floods keep the workers busy: four times the idle p99 plus 100 ms. */
  double bound = 4.0 * idle + 100.0;
  print_message("version p99: idle %.1f ms, with %d non-reading stream clients %.1f ms (bound %.1f ms)\n", idle,
                FLOODS, loaded, bound);
  if (loaded > bound) fail_msg("version p99 %.1f ms with non-reading clients, idle %.1f ms", loaded, idle);
  /* The floods really were there: each was dropped at the bound, with its client still connected. */
  for (int i = 0; i < T / 5 && InterlockedCompareExchange(&floods_dropped, 0, 0) < FLOODS; i++) Sleep(5);
  assert_int_equal(InterlockedCompareExchange(&floods_dropped, 0, 0), FLOODS);
  /* A dropped client finds its connection closed: whatever output was still in the pipe, then the end,
   * never a final answer. */
  for (int i = 0; i < FLOODS; i++) {
    wctr_errmsg e;
    wctr_err err = WCTR_OK;
    for (int frames = 0; err == WCTR_OK && frames < 1000; frames++) {
      char *msg = NULL;
      size_t len = 0;
      err = cli_client_recv(floods[i], &msg, &len, T, &e);
      static const char head[] = "{\"v\":1,\"id\":1,\"stream\":\"stdout\"";
      if (err == WCTR_OK && (len < sizeof head - 1 || memcmp(msg, head, sizeof head - 1) != 0)) {
        fail_msg("not an output frame");
      }
      free(msg);
    }
    assert_int_equal(err, WCTR_EPIPE);
    cli_client_close(floods[i]);
  }
}

/* A client that leaves mid-stream is noticed at once (a read stays posted): on_close within a second. */
static void test_a_client_that_leaves_is_noticed(void **state) {
  (void)state;
  cli_client *c = start_stream("hold");
  wait_for_holds(1);
  Sleep(50);
  LONG64 left = (LONG64)wctr_ioc_now_ms();
  cli_client_close(c);
  for (int i = 0; i < 200 && InterlockedCompareExchange(&holds_closed, 0, 0) == 0; i++) Sleep(5);
  assert_int_equal(InterlockedCompareExchange(&holds_closed, 0, 0), 1);
  LONG64 noticed = InterlockedCompareExchange64(&last_close_ms, 0, 0) - left;
  print_message("on_close %lld ms after the client left\n", (long long)noticed);
  assert_true(noticed < 1000);
}

/* 300 clients connect and never say a word; a new one is served all the same. */
static void test_idle_connections_do_not_lock_others_out(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  wctr_errmsg e;
  /* Timeouts long enough that eviction, not expiry, has to make the room. */
  assert_int_equal(start_server_with((server_limits){.first_ms = 120000, .idle_ms = 120000}, &e), WCTR_OK);
  enum { N = 300 };
  cli_client **idle = calloc(N, sizeof *idle);
  for (int i = 0; i < N; i++) idle[i] = connect_client();
  cli_client *c = connect_client();
  expect_version_works(c);
  cli_client_close(c);
  /* The first ones were closed to make room (SVC_SERVER_MAX_CONNECTIONS), the last ones are still served. */
  expect_broken(idle[0]);
  expect_version_works(idle[N - 1]);
  for (int i = 0; i < N; i++) cli_client_close(idle[i]);
  free(idle);
}

/* Idle connections time out; a stream does not. */
static void test_idle_timeouts(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  wctr_errmsg e;
  assert_int_equal(start_server_with((server_limits){.first_ms = 300, .idle_ms = 500}, &e), WCTR_OK);
  cli_client *silent = connect_client();   /* never sends anything */
  cli_client *talker = connect_client();   /* identified, then idle */
  expect_version_works(talker);
  cli_client *streamer = start_stream("hold");
  wait_for_holds(1);
  Sleep(200);
  expect_version_works(talker); /* within the idle timeout: still served (and its clock starts again) */
  cli_client *returning = connect_client(); /* identified, idle, then back with a call */
  expect_version_works(returning);
  Sleep(1200);
  expect_broken(silent);
  expect_broken(talker);
  /* wctr's calls open the connection again when wctrd closed it while idle: nothing was delivered. */
  expect_version_works(returning);
  cli_client_close(returning);
  assert_int_equal(InterlockedCompareExchange(&holds_closed, 0, 0), 0); /* the stream lives on */
  cli_client_close(streamer);
  for (int i = 0; i < 200 && InterlockedCompareExchange(&holds_closed, 0, 0) == 0; i++) Sleep(5);
  assert_int_equal(InterlockedCompareExchange(&holds_closed, 0, 0), 1);
  cli_client_close(silent);
  cli_client_close(talker);
}

/* A call's answer may be larger than the stream bound: it is sent whole, and the connection goes on. */
static void test_a_large_answer_is_not_cut(void **state) {
  (void)state;
  cli_client *c = connect_client();
  cJSON *result = NULL;
  wctr_errmsg e;
  assert_int_equal(cli_client_call(c, "big", NULL, &result, T, &e), WCTR_OK);
  assert_true(cJSON_IsString(result));
  assert_int_equal(strlen(result->valuestring), SVC_SINK_QUEUE_MAX + 12345);
  cJSON_Delete(result);
  expect_version_works(c);
  cli_client_close(c);
}

/* A stdin frame is a message like any other, at most WCTR_PROTO_MAX_REQUEST bytes through
 * the real pipe (frames up to 2 MiB were taken). A frame of exactly the limit is delivered whole; one of
 * the limit plus one byte, or of 2 MiB, ends the stream with too_large, and nothing of it is delivered. */
static char *stdin_frame_of(size_t total, size_t *data_len) {
  const char *head = "{\"v\":1,\"id\":1,\"stream\":\"stdin\",\"data\":\"";
  const char *tail = "\"}";
  *data_len = total - strlen(head) - strlen(tail);
  char *f = malloc(total);
  assert_non_null(f);
  memcpy(f, head, strlen(head));
  memset(f + strlen(head), 's', *data_len);
  memcpy(f + strlen(head) + *data_len, tail, strlen(tail));
  return f;
}

static cJSON *final_answer(cli_client *c, wctr_err *err, wctr_errmsg *e) {
  char *resp = NULL;
  size_t len = 0;
  cJSON *result = NULL;
  *err = cli_client_recv(c, &resp, &len, T, e);
  if (*err == WCTR_OK) *err = wctr_response_parse(resp, len, 1, &result, e);
  free(resp);
  return result;
}

static void test_stdin_frames_are_held_to_one_mib(void **state) {
  (void)state;
  wctr_errmsg e;
  wctr_err err;
  size_t data_len = 0;
  char *frame = stdin_frame_of(WCTR_PROTO_MAX_REQUEST, &data_len);
  cli_client *c = start_stream("count-stdin");
  assert_int_equal(cli_client_send(c, frame, WCTR_PROTO_MAX_REQUEST, T, &e), WCTR_OK);
  free(frame);
  const char *eof = "{\"v\":1,\"id\":1,\"stream\":\"stdin\",\"eof\":true}";
  assert_int_equal(cli_client_send(c, eof, strlen(eof), T, &e), WCTR_OK);
  cJSON *r = final_answer(c, &err, &e);
  if (err != WCTR_OK) fail_msg("a frame of exactly 1 MiB: %s", e.text);
  assert_int_equal((size_t)cJSON_GetObjectItem(r, "Bytes")->valuedouble, data_len);
  cJSON_Delete(r);
  cli_client_close(c);
  size_t sizes[] = {WCTR_PROTO_MAX_REQUEST + 1, 2u * WCTR_PROTO_MAX_REQUEST};
  for (size_t i = 0; i < 2; i++) {
    frame = stdin_frame_of(sizes[i], &data_len);
    c = start_stream("count-stdin");
    assert_int_equal(cli_client_send(c, frame, sizes[i], T, &e), WCTR_OK);
    free(frame);
    r = final_answer(c, &err, &e);
    assert_null(r);
    if (err != WCTR_ETOOBIG) fail_msg("a frame of %zu bytes: %s (%s)", sizes[i], wctr_err_name(err), e.text);
    char want[120];
    snprintf(want, sizeof want, "stdin frame of %zu bytes is larger than the limit of 1048576 bytes", sizes[i]);
    assert_string_equal(e.text, want);
    cli_client_close(c);
  }
}

/* Stop closes streams (on_close) and returns promptly. */
static void test_stop_closes_streams(void **state) {
  (void)state;
  cli_client *c = start_stream("hold");
  wait_for_holds(1);
  DWORD start = GetTickCount();
  svc_server_stop(server, T);
  server = NULL;
  assert_true(GetTickCount() - start < 3000);
  assert_int_equal(InterlockedCompareExchange(&holds_closed, 0, 0), 1);
  cli_client_close(c);
  wctr_errmsg e;
  assert_int_equal(start_server(0, &e), WCTR_OK); /* for teardown */
}

int main(void) {
  svc_sys.CreateNamedPipeW = recording_create;
  svc_sys.ImpersonateNamedPipeClient = maybe_failing_impersonation;
  wctr_log_configure(WCTR_LOG_ERROR, NULL, NULL);
  const char *groups[] = {"S-1-5-32-545"};
  char *sddl = NULL;
  wctr_errmsg e;
  if (acl_pipe_sddl(groups, 1, &sddl, &e) != WCTR_OK) {
    fprintf(stderr, "acl_pipe_sddl: %s\n", e.text);
    return 1;
  }
  snprintf(expected_sddl, sizeof expected_sddl, "%s", sddl);
  free(sddl);
  wctr_ioc_options io = {.workers = 0, .pool_max = 4};
  size_t count = 0;
  const svc_op *system = svc_system_ops(&count);
  if (wctr_ioc_start(&io, &ioc, &e) != WCTR_OK || svc_ops_new(ioc, NULL, NULL, &ops, &e) != WCTR_OK ||
      svc_ops_add(ops, system, count, &host, &e) != WCTR_OK ||
      svc_ops_add(ops, test_ops, sizeof test_ops / sizeof test_ops[0], NULL, &e) != WCTR_OK) {
    fprintf(stderr, "setup: %s\n", e.text);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_descriptor_handed_to_windows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_version_and_identity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_garbage_gets_errors_and_the_connection_survives, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_mib_request_is_refused_and_drained, setup, teardown),
      cmocka_unit_test_setup_teardown(test_request_of_exactly_the_limit_is_served, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_and_disconnect_without_a_word, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_clients_at_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_second_server_on_the_same_pipe_fails_loudly, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_create_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unidentified_caller_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stop_with_idle_clients_is_prompt, setup, teardown),
      cmocka_unit_test_setup_teardown(test_non_reading_stream_clients_stall_nobody, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_client_that_leaves_is_noticed, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_connections_do_not_lock_others_out, setup, teardown),
      cmocka_unit_test_setup_teardown(test_idle_timeouts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_a_large_answer_is_not_cut, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stdin_frames_are_held_to_one_mib, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stop_closes_streams, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  svc_ops_free(ops);
  wctr_ioc_stop(ioc);
  return rc;
}
