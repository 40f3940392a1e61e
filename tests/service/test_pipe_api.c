/* The pipe protocol front-end (service/pipe_api.h) over a fake connection, with the real operation layer and
 * I/O core: every message gets exactly one well-formed answer, frames are exact (text or data64), stdin
 * frames reach the operation, a client that does not read is dropped (log, audit, on_close), and the
 * operation's context is released exactly once. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/ioc.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/utf8.h"
#include "service/audit.h"
#include "service/ops.h"
#include "service/pipe_api.h"
#include "service/system_ops.h"
#include "testutil.h"

enum { WAIT_MS = 10000, MAX_MSGS = 64 };

static wctr_ioc *ioc;
static svc_ops *ops;
static svc_pipe_api api;

static void pause_ms(long ms) {
  nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

/* Polls cond (a test of shared state) for up to WAIT_MS. */
#define WAIT_FOR(cond)                                                                 \
  do {                                                                                 \
    int waited_ = 0;                                                                   \
    while (!(cond) && waited_ < WAIT_MS) {                                             \
      pause_ms(2);                                                                     \
      waited_ += 2;                                                                    \
    }                                                                                  \
    if (!(cond)) fail_msg("timed out waiting for %s", #cond);                          \
  } while (0)

/* --- the audit trail and wctrd's log -------------------------------------------------------------------- */

typedef struct record {
  char op[64];
  char target[64];
  wctr_err result;
  char detail[256];
} record;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static record records[16];
static atomic_int record_count;
static char warn_lines[4][512];
static atomic_int warn_count;

static void capture_audit(void *ctx, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                          const char *detail) {
  (void)ctx;
  assert_string_equal(caller->sid, "S-1-5-21-1-2-3-1001");
  pthread_mutex_lock(&lock);
  int n = atomic_load(&record_count);
  if (n < 16) {
    record *r = &records[n];
    snprintf(r->op, sizeof r->op, "%s", op);
    snprintf(r->target, sizeof r->target, "%s", target);
    r->result = result;
    snprintf(r->detail, sizeof r->detail, "%s", detail != NULL ? detail : "");
    atomic_store(&record_count, n + 1);
  }
  pthread_mutex_unlock(&lock);
}

static void capture_log(void *ctx, wctr_log_level level, const char *line) {
  (void)ctx;
  if (level != WCTR_LOG_WARN) return;
  pthread_mutex_lock(&lock);
  int n = atomic_load(&warn_count);
  if (n < 4) {
    snprintf(warn_lines[n], sizeof warn_lines[n], "%s", line);
    atomic_store(&warn_count, n + 1);
  }
  pthread_mutex_unlock(&lock);
}

/* --- a fake connection --------------------------------------------------------------------------------------- */

typedef struct waiter {
  size_t below;
  void (*fn)(void *arg);
  void *arg;
} waiter;

typedef struct fake_conn {
  svc_pipe_conn base; /* first */
  pthread_mutex_t lock;
  char *msgs[MAX_MSGS];
  size_t lens[MAX_MSGS];
  bool bounded[MAX_MSGS];
  atomic_int count;
  size_t queued; /* bytes the "client" has not read */
  waiter waiters[8];
  int waiter_count;
  atomic_int ends;
  svc_pipe_end how;
  bool gone; /* sends fail with EPIPE */
} fake_conn;

static void fire_waiters_locked(fake_conn *c, bool all) {
  for (int i = 0; i < c->waiter_count;) {
    if (all || c->queued <= c->waiters[i].below) {
      waiter w = c->waiters[i];
      c->waiters[i] = c->waiters[--c->waiter_count];
      assert_true(wctr_ioc_post(ioc, w.fn, w.arg));
    } else {
      i++;
    }
  }
}

static wctr_err fc_send(svc_pipe_conn *base, char *msg, size_t len, bool bounded) {
  fake_conn *c = (fake_conn *)base;
  pthread_mutex_lock(&c->lock);
  wctr_err err = WCTR_OK;
  int n = atomic_load(&c->count);
  if (atomic_load(&c->ends) > 0) fail_msg("send after end");
  if (c->gone) {
    err = WCTR_EPIPE;
  } else if (bounded && c->queued + len > SVC_SINK_QUEUE_MAX) {
    err = WCTR_ETOOBIG;
  } else if (n == MAX_MSGS) {
    err = WCTR_ENOMEM;
  } else {
    c->msgs[n] = msg;
    c->lens[n] = len;
    c->bounded[n] = bounded;
    c->queued += len;
    msg = NULL;
    atomic_store(&c->count, n + 1);
  }
  pthread_mutex_unlock(&c->lock);
  free(msg);
  return err;
}

static size_t fc_queued(svc_pipe_conn *base) {
  fake_conn *c = (fake_conn *)base;
  pthread_mutex_lock(&c->lock);
  size_t n = c->queued;
  pthread_mutex_unlock(&c->lock);
  return n;
}

static void fc_when_drained(svc_pipe_conn *base, size_t below, void (*fn)(void *arg), void *arg) {
  fake_conn *c = (fake_conn *)base;
  pthread_mutex_lock(&c->lock);
  assert_true(c->waiter_count < 8);
  c->waiters[c->waiter_count++] = (waiter){.below = below, .fn = fn, .arg = arg};
  fire_waiters_locked(c, false);
  pthread_mutex_unlock(&c->lock);
}

static void fc_end(svc_pipe_conn *base, svc_pipe_end how) {
  fake_conn *c = (fake_conn *)base;
  pthread_mutex_lock(&c->lock);
  c->how = how;
  /* As the server does: a connection that closes lets every drain waiter go. */
  if (how == SVC_PIPE_DROP) fire_waiters_locked(c, true);
  pthread_mutex_unlock(&c->lock);
  atomic_fetch_add(&c->ends, 1);
}

static const svc_pipe_conn_methods fc_methods = {.version = 1, .send = fc_send, .queued = fc_queued,
                                                 .when_drained = fc_when_drained, .end = fc_end};

static fake_conn *conn_new(void) {
  fake_conn *c = calloc(1, sizeof *c);
  assert_non_null(c);
  c->base.methods = &fc_methods;
  pthread_mutex_init(&c->lock, NULL);
  return c;
}

/* The client reads everything queued. */
static void client_reads(fake_conn *c) {
  pthread_mutex_lock(&c->lock);
  c->queued = 0;
  fire_waiters_locked(c, false);
  pthread_mutex_unlock(&c->lock);
}

static void conn_free(fake_conn *c) {
  for (int i = 0; i < atomic_load(&c->count); i++) free(c->msgs[i]);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

/* Message i as a NUL-terminated string (static buffer per slot is enough for the tests). */
static const char *msg_text(fake_conn *c, int i) {
  static char buf[4][4096];
  static int slot;
  char *b = buf[slot++ % 4];
  assert_true(i < atomic_load(&c->count));
  snprintf(b, sizeof buf[0], "%.*s", (int)c->lens[i], c->msgs[i]);
  return b;
}

static const svc_caller caller = {.sid = "S-1-5-21-1-2-3-1001", .name = "HOST\\ann", .pid = 42};
static const svc_caller admin = {.sid = "S-1-5-21-1-2-3-1001", .name = "HOST\\ann", .pid = 42, .admin = true};

/* Handles text as a request from who; the call is returned (detach it). */
static svc_pipe_call *request_as(fake_conn *c, const svc_caller *who, const char *text, bool *streaming) {
  bool dummy;
  char *copy = strdup(text); /* the front-end may not keep a pointer into the buffer */
  svc_pipe_call *call = svc_pipe_handle(&api, &c->base, who, copy, strlen(copy), strlen(copy),
                                        streaming != NULL ? streaming : &dummy);
  memset(copy, 'x', strlen(copy));
  free(copy);
  assert_non_null(call);
  return call;
}

static svc_pipe_call *request(fake_conn *c, const char *text, bool *streaming) {
  return request_as(c, &caller, text, streaming);
}

/* One request, one answer (waited for: some operations run on the pool); the parsed answer. */
static cJSON *roundtrip(const char *text) {
  fake_conn *c = conn_new();
  bool streaming = true;
  svc_pipe_call *call = request(c, text, &streaming);
  assert_false(streaming);
  WAIT_FOR(atomic_load(&c->ends) == 1);
  svc_pipe_call_detach(call);
  assert_int_equal(atomic_load(&c->count), 1);
  assert_int_equal(c->how, SVC_PIPE_NEXT); /* the connection stays usable */
  assert_false(c->bounded[0]);             /* a final answer is never held to the stream bound */
  cJSON *resp = cJSON_ParseWithLength(c->msgs[0], c->lens[0]);
  assert_non_null(resp);
  assert_int_equal(cJSON_GetObjectItem(resp, "v")->valueint, 1);
  conn_free(c);
  return resp;
}

static void expect_error(const char *text, const char *code, const char *message_part, bool id_known) {
  cJSON *resp = roundtrip(text);
  cJSON *error = cJSON_GetObjectItem(resp, "error");
  assert_non_null(error);
  assert_null(cJSON_GetObjectItem(resp, "result"));
  assert_string_equal(cJSON_GetObjectItem(error, "code")->valuestring, code);
  const char *msg = cJSON_GetObjectItem(error, "message")->valuestring;
  if (strstr(msg, message_part) == NULL) fail_msg("message \"%s\" lacks \"%s\"", msg, message_part);
  cJSON *id = cJSON_GetObjectItem(resp, "id");
  if (id_known) {
    assert_true(cJSON_IsNumber(id));
  } else {
    assert_true(cJSON_IsNull(id));
  }
  cJSON_Delete(resp);
}

/* --- the host of version and info -------------------------------------------------------------------------- */

static bool hcs_present;
static bool sddl_fails;

static void fake_facts(void *ctx, svc_host_facts *f) {
  (void)ctx;
  snprintf(f->os_name, sizeof f->os_name, "Windows Server 2022 Datacenter");
  snprintf(f->os_version, sizeof f->os_version, "10.0.20348");
  f->server_sku = true;
  f->hcs_available = hcs_present;
  snprintf(f->hcs_detail, sizeof f->hcs_detail, "%s", hcs_present ? "C:\\Windows\\System32\\computecore.dll" : "missing");
  f->job_available = true;
  snprintf(f->bitlocker.volume, sizeof f->bitlocker.volume, "C:\\");
  acl_bitlocker_classify(1, 1, &f->bitlocker);
}

static wctr_err fake_sddl(void *ctx, char *buf, size_t size, wctr_errmsg *e) {
  (void)ctx;
  if (sddl_fails) return wctr_fail(e, WCTR_EACCES, "no READ_CONTROL");
  snprintf(buf, size, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  return WCTR_OK;
}

static svc_system_host host = {.host_facts = fake_facts, .pipe_sddl = fake_sddl, .data_root = "C:\\ProgramData\\wctr",
                               .pipe_path = "\\\\.\\pipe\\wctr_engine"};

/* --- test operations ------------------------------------------------------------------------------------------ */

static wctr_err echo_call(void *ctx, const svc_caller *c, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)c, (void)e;
  *result = params != NULL ? cJSON_Duplicate(params, true) : cJSON_CreateNull();
  return WCTR_OK;
}

static wctr_err fail_call(void *ctx, const svc_caller *c, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)c, (void)params, (void)result;
  return wctr_fail(e, WCTR_ENOENT, "no such container: web");
}

/* A start operation the test drives by hand through the sink it keeps. */
typedef struct op_state {
  svc_sink *sink;
  atomic_int closes;
  atomic_int releases;
  atomic_int inputs;
  atomic_int drained;
  char input[8][64];
  size_t input_len[8];
  bool input_eof[8];
  atomic_int closes_before_release; /* closes seen when on_release came */
} op_state;

static op_state st;

static void st_input(void *ctx, const char *data, size_t len, bool eof) {
  op_state *o = ctx;
  int n = atomic_load(&o->inputs);
  if (n < 8) {
    memcpy(o->input[n], data, len < 64 ? len : 64);
    o->input_len[n] = len;
    o->input_eof[n] = eof;
  }
  atomic_store(&o->inputs, n + 1);
}

static void st_close(void *ctx) {
  atomic_fetch_add(&((op_state *)ctx)->closes, 1);
}

static void st_release(void *ctx) {
  op_state *o = ctx;
  atomic_store(&o->closes_before_release, atomic_load(&o->closes));
  atomic_fetch_add(&o->releases, 1);
}

static void start_manual(void *ctx, const svc_caller *c, const cJSON *params, svc_sink *sink) {
  (void)ctx, (void)c, (void)params;
  st.sink = sink;
  sink->op_ctx = &st;
  sink->on_input = st_input;
  sink->on_close = st_close;
  sink->on_release = st_release;
}

/* Sends N numbers as "stdout" frames, then {"Sent": N}, all before it returns. */
static void start_count(void *ctx, const svc_caller *c, const cJSON *params, svc_sink *sink) {
  (void)ctx, (void)c;
  int n = cJSON_GetObjectItem(params, "N")->valueint;
  for (int i = 0; i < n; i++) svc_sink_frame(sink, "stdout", cJSON_CreateNumber(i));
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "Sent", n);
  svc_sink_finish(sink, WCTR_OK, r, NULL);
}

static void drained(void *arg) {
  atomic_fetch_add(&((op_state *)arg)->drained, 1);
}

static const svc_op test_ops[] = {
    {.name = "echo", .call = echo_call},
    {.name = "count", .start = start_count, .flags = SVC_OP_STREAM},
    {.name = "manual", .start = start_manual, .flags = SVC_OP_STREAM},
    {.name = "events", .start = start_manual, .flags = SVC_OP_STREAM},
    {.name = "container.run", .start = start_manual, .flags = SVC_OP_STREAM},
    {.name = "container.create", .call = echo_call},
    {.name = "container.list", .call = echo_call},
    {.name = "container.stop", .call = fail_call},
    {.name = "secret.create", .call = echo_call},
    {.name = "audit.read", .start = start_manual, .flags = SVC_OP_ADMIN | SVC_OP_STREAM},
    {.name = "later", .start = start_count}, /* an asynchronous call, not a stream */
};

static int setup(void **state) {
  (void)state;
  wctr_errmsg e;
  wctr_ioc_options opt = {.workers = 2, .pool_max = 2};
  if (wctr_ioc_start(&opt, &ioc, &e) != WCTR_OK) return -1;
  if (svc_ops_new(ioc, capture_audit, NULL, &ops, &e) != WCTR_OK) return -1;
  size_t n = 0;
  const svc_op *sys = svc_system_ops(&n);
  if (svc_ops_add(ops, sys, n, &host, &e) != WCTR_OK) return -1;
  if (svc_ops_add(ops, test_ops, sizeof test_ops / sizeof test_ops[0], NULL, &e) != WCTR_OK) return -1;
  api = (svc_pipe_api){.ioc = ioc, .ops = ops};
  wctr_log_configure(WCTR_LOG_WARN, capture_log, NULL);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_ops_free(ops);
  wctr_ioc_stop(ioc);
  return 0;
}

static int reset(void **state) {
  (void)state;
  memset(&st, 0, sizeof st);
  atomic_store(&record_count, 0);
  atomic_store(&warn_count, 0);
  return 0;
}

/* --- version, info, refusals (the dispatcher's tests, kept) ------------------------------------------------- */

static void test_version(void **state) {
  (void)state;
  cJSON *resp = roundtrip("{\"v\":1,\"id\":7,\"op\":\"version\"}");
  assert_int_equal(cJSON_GetObjectItem(resp, "id")->valueint, 7);
  cJSON *r = cJSON_GetObjectItem(resp, "result");
  assert_string_equal(cJSON_GetObjectItem(r, "Version")->valuestring, WCTR_VERSION);
  assert_int_equal(cJSON_GetObjectItem(r, "ApiVersion")->valueint, 1);
  assert_string_equal(cJSON_GetObjectItem(r, "Os")->valuestring, "windows");
  cJSON_Delete(resp);
}

static void test_info_without_hcs(void **state) {
  (void)state;
  hcs_present = false;
  sddl_fails = false;
  cJSON *resp = roundtrip("{\"v\":1,\"id\":1,\"op\":\"info\",\"params\":{}}");
  cJSON *r = cJSON_GetObjectItem(resp, "result");
  assert_string_equal(cJSON_GetObjectItem(r, "OperatingSystem")->valuestring, "Windows Server 2022 Datacenter");
  assert_string_equal(cJSON_GetObjectItem(r, "OSVersion")->valuestring, "10.0.20348");
  assert_string_equal(cJSON_GetObjectItem(r, "DataRoot")->valuestring, "C:\\ProgramData\\wctr");
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "HCS"), "Available")));
  cJSON *iso = cJSON_GetObjectItem(r, "Isolation");
  assert_string_equal(cJSON_GetObjectItem(iso, "Default")->valuestring, "process");
  cJSON *avail = cJSON_GetObjectItem(iso, "Available");
  assert_int_equal(cJSON_GetArraySize(avail), 1);
  assert_string_equal(cJSON_GetArrayItem(avail, 0)->valuestring, "job");
  cJSON *pipe = cJSON_GetObjectItem(r, "Pipe");
  assert_string_equal(cJSON_GetObjectItem(pipe, "Name")->valuestring, "\\\\.\\pipe\\wctr_engine");
  assert_string_equal(cJSON_GetObjectItem(pipe, "SDDL")->valuestring, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  cJSON *bl = cJSON_GetObjectItem(r, "BitLocker");
  assert_string_equal(cJSON_GetObjectItem(bl, "State")->valuestring, "encrypted");
  assert_string_equal(cJSON_GetObjectItem(bl, "Volume")->valuestring, "C:\\");
  /* The fake facts leave allow-unencrypted-secrets off; info shows it either way. */
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Secrets"), "AllowUnencrypted")));
  cJSON *who = cJSON_GetObjectItem(r, "Caller");
  assert_string_equal(cJSON_GetObjectItem(who, "SID")->valuestring, "S-1-5-21-1-2-3-1001");
  assert_string_equal(cJSON_GetObjectItem(who, "Name")->valuestring, "HOST\\ann");
  cJSON_Delete(resp);
}

static void test_info_with_hcs_and_unreadable_pipe(void **state) {
  (void)state;
  hcs_present = true;
  sddl_fails = true;
  cJSON *resp = roundtrip("{\"v\":1,\"id\":2,\"op\":\"info\"}");
  cJSON *r = cJSON_GetObjectItem(resp, "result");
  cJSON *avail = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Isolation"), "Available");
  assert_int_equal(cJSON_GetArraySize(avail), 3);
  assert_string_equal(cJSON_GetArrayItem(avail, 0)->valuestring, "process");
  assert_string_equal(cJSON_GetArrayItem(avail, 1)->valuestring, "hyperv");
  assert_string_equal(cJSON_GetArrayItem(avail, 2)->valuestring, "job");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "Pipe"), "SDDL")->valuestring,
                      "unreadable: no READ_CONTROL");
  cJSON_Delete(resp);
}

static void test_refusals(void **state) {
  (void)state;
  expect_error("not json", "bad_request", "not valid JSON", false);
  expect_error("{\"v\":1,\"id\":\"7\",\"op\":\"info\"}", "bad_request", "\"id\" must be an integer", false);
  expect_error("{\"v\":1,\"id\":3,\"op\":\"launch\"}", "unknown_op", "unknown operation \"launch\"", true);
  expect_error("{\"v\":1,\"id\":3,\"op\":\"info\",\"params\":[]}", "bad_request", "\"params\" must be an object", true);
  expect_error("{\"v\":1,\"id\":3,\"op\":\"version\",\"params\":{\"x\":1}}", "invalid_argument",
               "params: unknown key \"x\"", true);
  expect_error("{\"v\":2,\"id\":3,\"op\":\"version\"}", "bad_request", "protocol version 2", true);
  expect_error("", "bad_request", "not valid JSON", false);
}

/* Over the limit: refused unread, with a null id; not audited (it is never read). */
static void test_too_large(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  bool streaming = true;
  const char *head = "{\"v\":1,\"id\":5,\"op\":\"version\"}";
  svc_pipe_call *call = svc_pipe_handle(&api, &c->base, &caller, head, strlen(head), 2u * 1024u * 1024u, &streaming);
  assert_false(streaming);
  assert_int_equal(atomic_load(&c->ends), 1);
  assert_int_equal(c->how, SVC_PIPE_NEXT);
  assert_string_equal(msg_text(c, 0), "{\"v\":1,\"id\":null,\"error\":{\"code\":\"too_large\",\"message\":\"request of "
                                      "2097152 bytes is larger than the limit of 1048576 bytes\"}}");
  svc_pipe_call_detach(call);
  assert_int_equal(atomic_load(&record_count), 0);
  conn_free(c);
}

/* An answer over WCTR_PROTO_MAX_RESPONSE was sent and cut (or refused) by the client; it is
 * an error naming the size and the limit instead, logged and audited. */
static void test_an_answer_over_the_protocol_limit_is_an_error(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":6,\"op\":\"manual\"}", NULL);
  size_t n = WCTR_PROTO_MAX_RESPONSE;
  char *text = malloc(n + 1);
  assert_non_null(text);
  memset(text, 'L', n);
  text[n] = '\0';
  svc_sink_finish(st.sink, WCTR_OK, cJSON_CreateString(text), NULL);
  free(text);
  assert_int_equal(atomic_load(&c->count), 1);
  char want[300];
  snprintf(want, sizeof want, "{\"v\":1,\"id\":6,\"error\":{\"code\":\"too_large\",\"message\":\"the answer to manual is "
           "%zu bytes, more than the protocol's limit of 67108864; ask for less (a filter)\"}}",
           (size_t)WCTR_PROTO_MAX_RESPONSE + strlen("{\"v\":1,\"id\":6,\"result\":\"\"}"));
  assert_string_equal(msg_text(c, 0), want);
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  conn_free(c);
  assert_int_equal(atomic_load(&record_count), 1);
  assert_int_equal(records[0].result, WCTR_ETOOBIG);
}

static void test_engine_ops(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":3,\"op\":\"echo\",\"params\":{\"a\":1}}", NULL);
  assert_string_equal(msg_text(c, 0), "{\"v\":1,\"id\":3,\"result\":{\"a\":1}}");
  svc_pipe_call_detach(call);
  conn_free(c);
  /* A stream: frames, then the final answer; the connection closes after it. */
  c = conn_new();
  bool streaming = false;
  call = request(c, "{\"v\":1,\"id\":9007199254740991,\"op\":\"count\",\"params\":{\"N\":2}}", &streaming);
  assert_true(streaming);
  assert_int_equal(atomic_load(&c->count), 3);
  assert_string_equal(msg_text(c, 0), "{\"v\":1,\"id\":9007199254740991,\"stream\":\"stdout\",\"data\":0}");
  assert_string_equal(msg_text(c, 1), "{\"v\":1,\"id\":9007199254740991,\"stream\":\"stdout\",\"data\":1}");
  assert_string_equal(msg_text(c, 2), "{\"v\":1,\"id\":9007199254740991,\"result\":{\"Sent\":2}}");
  assert_true(c->bounded[0] && c->bounded[1] && !c->bounded[2]);
  assert_int_equal(c->how, SVC_PIPE_CLOSE);
  svc_pipe_call_detach(call);
  conn_free(c);
  /* A start operation that is not a stream (container.stop, .start, .remove...) answers like a call: the
   * connection stays usable for the next request, as the protocol has always had it. */
  c = conn_new();
  streaming = true;
  call = request(c, "{\"v\":1,\"id\":4,\"op\":\"later\",\"params\":{\"N\":0}}", &streaming);
  assert_false(streaming);
  assert_string_equal(msg_text(c, 0), "{\"v\":1,\"id\":4,\"result\":{\"Sent\":0}}");
  assert_int_equal(c->how, SVC_PIPE_NEXT);
  svc_pipe_call_detach(call);
  conn_free(c);
}

/* --- output frames ---------------------------------------------------------------------------------------------- */

static void expect_output(fake_conn *c, svc_output_stream stream, const char *data, size_t len, const char *expected) {
  int before = atomic_load(&c->count);
  assert_int_equal(svc_sink_output(st.sink, stream, data, len), WCTR_OK);
  assert_int_equal(atomic_load(&c->count), before + 1);
  assert_string_equal(msg_text(c, before), expected);
  /* Whatever the form, the client gets the bytes back exactly. */
  cJSON *m = cJSON_ParseWithLength(c->msgs[before], c->lens[before]);
  const cJSON *text = cJSON_GetObjectItem(m, "data");
  const cJSON *b64 = cJSON_GetObjectItem(m, "data64");
  if (cJSON_IsString(text)) {
    assert_int_equal(strlen(text->valuestring), len);
    assert_memory_equal(text->valuestring, data, len);
  } else {
    uint8_t *raw = NULL;
    size_t n = 0;
    wctr_errmsg e;
    assert_int_equal(wctr_base64_decode(b64->valuestring, strlen(b64->valuestring), &raw, &n, "data64", &e), WCTR_OK);
    assert_int_equal(n, len);
    assert_memory_equal(raw, data, len);
    free(raw);
  }
  cJSON_Delete(m);
}

static void test_output_text_or_data64(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":4,\"op\":\"manual\"}", NULL);
  expect_output(c, SVC_STDOUT, "hello\r\n", 7, "{\"v\":1,\"id\":4,\"stream\":\"stdout\",\"data\":\"hello\\r\\n\"}");
  expect_output(c, SVC_STDERR, "oops", 4, "{\"v\":1,\"id\":4,\"stream\":\"stderr\",\"data\":\"oops\"}");
  expect_output(c, SVC_STDOUT, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
                "{\"v\":1,\"id\":4,\"stream\":\"stdout\",\"data\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
  expect_output(c, SVC_STDOUT, "a\0b", 3, "{\"v\":1,\"id\":4,\"stream\":\"stdout\",\"data64\":\"YQBi\"}");
  expect_output(c, SVC_STDERR, "\xff", 1, "{\"v\":1,\"id\":4,\"stream\":\"stderr\",\"data64\":\"/w==\"}");
  expect_output(c, SVC_STDOUT, "\xc0\x80", 2, "{\"v\":1,\"id\":4,\"stream\":\"stdout\",\"data64\":\"wIA=\"}");       /* overlong NUL */
  expect_output(c, SVC_STDOUT, "\xed\xa0\x80", 3, "{\"v\":1,\"id\":4,\"stream\":\"stdout\",\"data64\":\"7aCA\"}");   /* a surrogate */
  expect_output(c, SVC_STDOUT, "\xe2\x82", 2, "{\"v\":1,\"id\":4,\"stream\":\"stdout\",\"data64\":\"4oI=\"}");       /* cut short */
  expect_output(c, SVC_STDOUT, "\xf4\x90\x80\x80", 4, "{\"v\":1,\"id\":4,\"stream\":\"stdout\",\"data64\":\"9JCAgA==\"}"); /* past U+10FFFF */
  assert_int_equal(svc_sink_frame(st.sink, "event", cJSON_CreateString("x")), WCTR_OK);
  assert_string_equal(msg_text(c, atomic_load(&c->count) - 1), "{\"v\":1,\"id\":4,\"stream\":\"event\",\"data\":\"x\"}");
  svc_sink_finish(st.sink, WCTR_OK, NULL, NULL);
  assert_string_equal(msg_text(c, atomic_load(&c->count) - 1), "{\"v\":1,\"id\":4,\"result\":null}");
  assert_int_equal(c->how, SVC_PIPE_CLOSE);
  assert_int_equal(atomic_load(&st.releases), 0); /* the connection still holds the request */
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  assert_int_equal(atomic_load(&st.closes), 0); /* finished first: no on_close */
  conn_free(c);
}

/* --- stdin frames ------------------------------------------------------------------------------------------------- */

static void input(svc_pipe_call *call, const char *text) {
  svc_pipe_call_input(call, text, strlen(text), strlen(text));
}

static void test_stdin_frames(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":6,\"op\":\"manual\"}", NULL);
  input(call, "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data\":\"line one\\n\"}");
  size_t n = 0;
  char *frame = wctr_stdin_frame_format(6, "\0\xff\r\n", 4, false, &n); /* the client's own builder */
  assert_non_null(strstr(frame, "\"data64\":\"AP8NCg==\""));
  svc_pipe_call_input(call, frame, n, n);
  cJSON_free(frame);
  frame = wctr_stdin_frame_format(6, "end", 3, true, &n);
  assert_non_null(strstr(frame, "\"data\":\"end\""));
  svc_pipe_call_input(call, frame, n, n);
  cJSON_free(frame);
  input(call, "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"eof\":true}");
  WAIT_FOR(atomic_load(&st.inputs) == 4);
  assert_int_equal(st.input_len[0], 9);
  assert_memory_equal(st.input[0], "line one\n", 9);
  assert_false(st.input_eof[0]);
  assert_int_equal(st.input_len[1], 4);
  assert_memory_equal(st.input[1], "\0\xff\r\n", 4);
  assert_int_equal(st.input_len[2], 3);
  assert_true(st.input_eof[2]);
  assert_int_equal(st.input_len[3], 0);
  assert_true(st.input_eof[3]);
  assert_int_equal(atomic_load(&c->count), 0); /* nothing was refused */
  svc_sink_finish(st.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  input(call, "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data\":\"late\"}"); /* after the end: ignored */
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  assert_int_equal(atomic_load(&st.inputs), 4);
  conn_free(c);
}

/* A stdin frame over 1 MiB (a message like any other) ends the stream: too_large as its answer, on_close,
 * audited; the operation's own finish then goes nowhere. */
static void test_stdin_over_the_limit(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":8,\"op\":\"container.run\",\"params\":{\"Id\":\"web\"}}", NULL);
  const char *head = "{\"v\":1,\"id\":8,\"stream\":\"stdin\",\"data\":\"";
  svc_pipe_call_input(call, head, strlen(head), 2u * 1024u * 1024u);
  assert_int_equal(atomic_load(&c->ends), 1);
  assert_int_equal(c->how, SVC_PIPE_CLOSE); /* the answer is flushed, then the connection closes */
  assert_string_equal(msg_text(c, 0), "{\"v\":1,\"id\":8,\"error\":{\"code\":\"too_large\",\"message\":\"stdin frame of "
                                      "2097152 bytes is larger than the limit of 1048576 bytes\"}}");
  WAIT_FOR(atomic_load(&st.closes) == 1);
  assert_int_equal(atomic_load(&st.inputs), 0);
  assert_int_equal(atomic_load(&record_count), 1);
  assert_string_equal(records[0].op, "container.run");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_ETOOBIG);
  /* Output now fails; the finish is discarded (no second answer) and, for a change, still recorded. */
  assert_int_equal(svc_sink_output(st.sink, SVC_STDOUT, "x", 1), WCTR_EPIPE);
  svc_sink_finish(st.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  assert_int_equal(atomic_load(&c->count), 1);
  assert_int_equal(atomic_load(&record_count), 2);
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  assert_int_equal(atomic_load(&st.closes_before_release), 1);
  conn_free(c);
}

static void test_stdin_frames_refused(void **state) {
  (void)state;
  const char *bad[] = {
      "{\"v\":1,\"id\":7,\"stream\":\"stdin\",\"data\":\"x\"}",                  /* another request's id */
      "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data\":\"a\\u0000b\"}",           /* a NUL in text */
      "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data\":\"x\",\"data64\":\"eA==\"}", /* both */
      "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data64\":\"%%%\"}",               /* not base64 */
      "{\"v\":1,\"id\":6,\"stream\":\"stdin\"}",                                  /* nothing */
      "{\"v\":1,\"id\":6,\"stream\":\"stdout\",\"data\":\"x\"}",                  /* not stdin */
      "{\"v\":1,\"id\":6,\"op\":\"version\"}",                                    /* a request */
      "not json",
      "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data\":\"a\xff\"}",                /* not UTF-8 */
      "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data\":\"a\tb\"}",                 /* a raw control character */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(NULL);
    fake_conn *c = conn_new();
    svc_pipe_call *call = request(c, "{\"v\":1,\"id\":6,\"op\":\"manual\"}", NULL);
    input(call, bad[i]);
    if (atomic_load(&c->count) != 1) fail_msg("frame %zu was not refused: %s", i, bad[i]);
    cJSON *m = cJSON_ParseWithLength(c->msgs[0], c->lens[0]);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "error"), "code")->valuestring, "bad_request");
    assert_int_equal(cJSON_GetObjectItem(m, "id")->valueint, 6);
    cJSON_Delete(m);
    WAIT_FOR(atomic_load(&st.closes) == 1);
    assert_int_equal(atomic_load(&st.inputs), 0);
    svc_sink_finish(st.sink, WCTR_OK, NULL, NULL);
    svc_pipe_call_detach(call);
    WAIT_FOR(atomic_load(&st.releases) == 1);
    conn_free(c);
  }
}

/* The documented limit of a stdin frame is 1 MiB, a message like any other (it was 2 MiB).
 * A frame of exactly WCTR_PROTO_MAX_REQUEST bytes is delivered; one byte more ends the stream. */
static void test_stdin_frame_at_the_limit(void **state) {
  (void)state;
  const char *head = "{\"v\":1,\"id\":6,\"stream\":\"stdin\",\"data\":\"";
  const char *tail = "\"}";
  size_t total = WCTR_PROTO_MAX_REQUEST;
  size_t data_len = total - strlen(head) - strlen(tail);
  char *frame = malloc(total + 1);
  assert_non_null(frame);
  memcpy(frame, head, strlen(head));
  memset(frame + strlen(head), 'q', data_len);
  memcpy(frame + strlen(head) + data_len, tail, strlen(tail));
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":6,\"op\":\"manual\"}", NULL);
  svc_pipe_call_input(call, frame, total, total);
  WAIT_FOR(atomic_load(&st.inputs) == 1);
  assert_int_equal(st.input_len[0], data_len);
  assert_int_equal(atomic_load(&c->count), 0);
  /* One byte more (as the connection reports it: kept up to the limit, counted beyond). */
  svc_pipe_call_input(call, frame, total, total + 1);
  assert_int_equal(atomic_load(&c->count), 1);
  assert_non_null(strstr(msg_text(c, 0), "stdin frame of 1048577 bytes is larger than the limit of 1048576 bytes"));
  WAIT_FOR(atomic_load(&st.closes) == 1);
  assert_int_equal(atomic_load(&st.inputs), 1);
  svc_sink_finish(st.sink, WCTR_OK, NULL, NULL);
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  conn_free(c);
  free(frame);
}

/* A request that is not UTF-8 is refused naming the field, its answer and its audit record
 * are UTF-8 and carry none of its bytes. */
static void test_invalid_utf8_is_refused_and_recorded_as_utf8(void **state) {
  (void)state;
  static const char msg[] = "{\"v\":1,\"id\":9,\"op\":\"container.create\",\"params\":{\"Name\":\"w\xe9" "b\"}}";
  fake_conn *c = conn_new();
  bool streaming = false;
  svc_pipe_call *call = svc_pipe_handle(&api, &c->base, &caller, msg, sizeof msg - 1, sizeof msg - 1, &streaming);
  assert_non_null(call);
  assert_int_equal(atomic_load(&c->count), 1);
  assert_true(wctr_utf8_valid(c->msgs[0], c->lens[0]));
  assert_string_equal(msg_text(c, 0), "{\"v\":1,\"id\":9,\"error\":{\"code\":\"bad_request\",\"message\":"
                                      "\"request.params.Name is not valid UTF-8\"}}");
  svc_pipe_call_detach(call);
  conn_free(c);
  assert_int_equal(atomic_load(&record_count), 1);
  assert_int_equal(records[0].result, WCTR_EPROTO);
  assert_string_equal(records[0].detail, "request.params.Name is not valid UTF-8");
}

/* --- the bound ------------------------------------------------------------------------------------------------------ */

static void test_a_client_that_does_not_read_is_dropped(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":12,\"op\":\"container.run\",\"params\":{\"Id\":\"web\"}}", NULL);
  size_t chunk = 512 * 1024;
  char *data = malloc(chunk);
  memset(data, 'a', chunk);
  /* The client reads some: no drop while it keeps up. */
  for (int i = 0; i < 6; i++) assert_int_equal(svc_sink_output(st.sink, SVC_STDOUT, data, chunk), WCTR_OK);
  client_reads(c);
  int sent = 0;
  wctr_err err = WCTR_OK;
  while (err == WCTR_OK && sent < 100) {
    err = svc_sink_output(st.sink, SVC_STDOUT, data, chunk);
    if (err == WCTR_OK) sent++;
  }
  assert_int_equal(err, WCTR_EPIPE);
  assert_true(sent >= 6 && sent <= 8); /* about SVC_SINK_QUEUE_MAX worth */
  assert_int_equal(atomic_load(&c->ends), 1);
  assert_int_equal(c->how, SVC_PIPE_DROP);
  WAIT_FOR(atomic_load(&st.closes) == 1);
  /* Every later output or frame fails, and nothing more reaches the connection. */
  int count = atomic_load(&c->count);
  assert_int_equal(svc_sink_output(st.sink, SVC_STDOUT, "x", 1), WCTR_EPIPE);
  assert_int_equal(svc_sink_frame(st.sink, "event", cJSON_CreateObject()), WCTR_EPIPE);
  assert_int_equal(st.sink->methods->pending(st.sink), 0);
  /* wctrd's log and the audit trail say so. */
  assert_int_equal(atomic_load(&warn_count), 1);
  assert_non_null(strstr(warn_lines[0], "container.run"));
  assert_non_null(strstr(warn_lines[0], "stream dropped: the client did not read"));
  assert_non_null(strstr(warn_lines[0], "HOST\\ann"));
  assert_int_equal(atomic_load(&record_count), 1);
  assert_string_equal(records[0].op, "container.run");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_EPIPE);
  assert_non_null(strstr(records[0].detail, "stream dropped: the client did not read"));
  /* A drain waiter still runs (at once: the client is gone), before on_release. */
  st.sink->methods->when_drained(st.sink, 0, drained, &st);
  WAIT_FOR(atomic_load(&st.drained) == 1);
  /* The finish goes nowhere; the change is recorded with its outcome. */
  svc_sink_finish(st.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  assert_int_equal(atomic_load(&c->count), count);
  assert_int_equal(atomic_load(&record_count), 2);
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  pause_ms(20);
  assert_int_equal(atomic_load(&st.releases), 1);
  assert_int_equal(atomic_load(&st.closes), 1);
  free(data);
  conn_free(c);
}

static void test_when_drained_waits_for_the_client(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":13,\"op\":\"manual\"}", NULL);
  char data[1000];
  memset(data, 'b', sizeof data);
  assert_int_equal(svc_sink_output(st.sink, SVC_STDOUT, data, sizeof data), WCTR_OK);
  size_t pending = st.sink->methods->pending(st.sink);
  assert_true(pending > sizeof data);
  st.sink->methods->when_drained(st.sink, 10, drained, &st);
  pause_ms(50);
  assert_int_equal(atomic_load(&st.drained), 0);
  client_reads(c);
  WAIT_FOR(atomic_load(&st.drained) == 1);
  svc_sink_finish(st.sink, WCTR_OK, NULL, NULL);
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  conn_free(c);
}

/* The client leaves mid-stream: on_close, later output fails, a late finish goes nowhere, on_release once. */
static void test_finish_after_close(void **state) {
  (void)state;
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":14,\"op\":\"events\"}", NULL);
  assert_int_equal(svc_sink_frame(st.sink, "event", cJSON_CreateObject()), WCTR_OK);
  svc_pipe_call_detach(call); /* the connection saw the client leave */
  assert_int_equal(atomic_load(&c->ends), 1);
  assert_int_equal(c->how, SVC_PIPE_DROP);
  WAIT_FOR(atomic_load(&st.closes) == 1);
  assert_int_equal(svc_sink_frame(st.sink, "event", cJSON_CreateObject()), WCTR_EPIPE);
  assert_int_equal(atomic_load(&st.releases), 0); /* not before finish */
  svc_sink_finish(st.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  assert_int_equal(atomic_load(&c->count), 1);
  assert_int_equal(atomic_load(&record_count), 0); /* a follow whose client left: no record */
  conn_free(c);
}

/* The dispatcher's audit hook, as it was: one record per request that changes something or fails. */
static void test_audit_hook(void **state) {
  (void)state;
  cJSON_Delete(roundtrip("{\"v\":1,\"id\":1,\"op\":\"container.list\"}")); /* a read that works: no record */
  assert_int_equal(atomic_load(&record_count), 0);
  cJSON_Delete(roundtrip("{\"v\":1,\"id\":2,\"op\":\"container.create\",\"params\":{\"Name\":\"web\",\"Image\":\"host\"}}"));
  assert_int_equal(atomic_load(&record_count), 1);
  assert_string_equal(records[0].op, "container.create");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_OK);
  assert_string_equal(records[0].detail, "");
  cJSON_Delete(roundtrip("{\"v\":1,\"id\":3,\"op\":\"container.stop\",\"params\":{\"Id\":\"web\"}}"));
  assert_int_equal(records[1].result, WCTR_ENOENT);
  assert_string_equal(records[1].detail, "no such container: web");
  cJSON_Delete(roundtrip("{\"v\":1,\"id\":4,\"op\":\"launch\"}")); /* unknown op: refused, recorded */
  assert_string_equal(records[2].op, "launch");
  assert_int_equal(records[2].result, WCTR_EBADOP);
  cJSON_Delete(roundtrip("not json")); /* unreadable: recorded without an op */
  assert_string_equal(records[3].op, "");
  assert_int_equal(records[3].result, WCTR_EPROTO);
  /* The value of a secret never reaches a record. */
  cJSON_Delete(roundtrip("{\"v\":1,\"id\":5,\"op\":\"secret.create\",\"params\":{\"Name\":\"db\",\"Data\":\"c2VjcmV0\"}}"));
  assert_string_equal(records[4].op, "secret.create");
  assert_string_equal(records[4].target, "db");
  assert_null(strstr(records[4].detail, "c2VjcmV0"));
  /* Administrators only: refused for others, and recorded; the stream's connection then closes. */
  fake_conn *c = conn_new();
  svc_pipe_call *call = request(c, "{\"v\":1,\"id\":6,\"op\":\"audit.read\"}", NULL);
  assert_int_equal(c->how, SVC_PIPE_CLOSE);
  assert_non_null(strstr(msg_text(c, 0), "\"access_denied\""));
  svc_pipe_call_detach(call);
  conn_free(c);
  assert_string_equal(records[5].op, "audit.read");
  assert_int_equal(records[5].result, WCTR_EACCES);
  assert_non_null(strstr(records[5].detail, "administrators only"));
  atomic_store(&record_count, 0);
  c = conn_new();
  call = request_as(c, &admin, "{\"v\":1,\"id\":7,\"op\":\"audit.read\"}", NULL); /* allowed read: no record */
  svc_sink_finish(st.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  conn_free(c);
  assert_int_equal(atomic_load(&record_count), 0);
  /* Streams: audited once, at their final answer, frames ignored. */
  memset(&st, 0, sizeof st);
  c = conn_new();
  call = request(c, "{\"v\":1,\"id\":8,\"op\":\"container.run\",\"params\":{\"Id\":\"web\"}}", NULL);
  svc_sink_frame(st.sink, "stdout", cJSON_CreateString("\"result\": not the end"));
  assert_int_equal(atomic_load(&record_count), 0);
  svc_sink_finish(st.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  svc_pipe_call_detach(call);
  WAIT_FOR(atomic_load(&st.releases) == 1);
  conn_free(c);
  assert_int_equal(atomic_load(&record_count), 1);
  assert_string_equal(records[0].op, "container.run");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_version, reset),
      cmocka_unit_test_setup(test_info_without_hcs, reset),
      cmocka_unit_test_setup(test_info_with_hcs_and_unreadable_pipe, reset),
      cmocka_unit_test_setup(test_refusals, reset),
      cmocka_unit_test_setup(test_too_large, reset),
      cmocka_unit_test_setup(test_an_answer_over_the_protocol_limit_is_an_error, reset),
      cmocka_unit_test_setup(test_engine_ops, reset),
      cmocka_unit_test_setup(test_output_text_or_data64, reset),
      cmocka_unit_test_setup(test_stdin_frames, reset),
      cmocka_unit_test_setup(test_stdin_over_the_limit, reset),
      cmocka_unit_test_setup(test_stdin_frames_refused, reset),
      cmocka_unit_test_setup(test_stdin_frame_at_the_limit, reset),
      cmocka_unit_test_setup(test_invalid_utf8_is_refused_and_recorded_as_utf8, reset),
      cmocka_unit_test_setup(test_a_client_that_does_not_read_is_dropped, reset),
      cmocka_unit_test_setup(test_when_drained_waits_for_the_client, reset),
      cmocka_unit_test_setup(test_finish_after_close, reset),
      cmocka_unit_test_setup(test_audit_hook, reset),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
