/* The operation layer (service/ops.h) with a real I/O core and a fake front-end sink: lookup, the
 * administrator check, where calls run, and the audit record of every kind of outcome. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/ioc.h"
#include "common/log.h"
#include "service/ops.h"
#include "testutil.h"

enum { WAIT_MS = 10000 };

static wctr_ioc *ioc;

/* --- the audit trail ------------------------------------------------------------------------------------ */

typedef struct record {
  char op[64];
  char target[64];
  wctr_err result;
  char detail[256];
} record;

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static record records[16];
static int record_count;

static void capture_audit(void *ctx, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                          const char *detail) {
  (void)ctx;
  assert_non_null(caller);
  pthread_mutex_lock(&audit_lock);
  if (record_count < 16) {
    record *r = &records[record_count++];
    snprintf(r->op, sizeof r->op, "%s", op);
    snprintf(r->target, sizeof r->target, "%s", target);
    r->result = result;
    snprintf(r->detail, sizeof r->detail, "%s", detail != NULL ? detail : "");
  }
  pthread_mutex_unlock(&audit_lock);
}

static int audited(void) {
  pthread_mutex_lock(&audit_lock);
  int n = record_count;
  pthread_mutex_unlock(&audit_lock);
  return n;
}

/* --- a sink that records --------------------------------------------------------------------------------- */

typedef struct fake_sink {
  svc_sink sink; /* first */
  pthread_mutex_t lock;
  pthread_cond_t cv;
  int finishes;
  wctr_err err;
  char result[256];
  char message[256];
  uint64_t finish_thread;
  int frames;
  int outputs;
} fake_sink;

static wctr_err fs_output(svc_sink *s, svc_output_stream stream, const char *data, size_t len) {
  (void)stream, (void)data, (void)len;
  fake_sink *f = (fake_sink *)s;
  pthread_mutex_lock(&f->lock);
  f->outputs++;
  pthread_mutex_unlock(&f->lock);
  return WCTR_OK;
}

static wctr_err fs_frame(svc_sink *s, const char *kind, cJSON *data) {
  (void)kind;
  fake_sink *f = (fake_sink *)s;
  cJSON_Delete(data);
  pthread_mutex_lock(&f->lock);
  f->frames++;
  pthread_mutex_unlock(&f->lock);
  return WCTR_OK;
}

static size_t fs_pending(svc_sink *s) {
  (void)s;
  return 0;
}

static void fs_when_drained(svc_sink *s, size_t below, void (*fn)(void *arg), void *arg) {
  (void)s, (void)below;
  fn(arg);
}

static void fs_finish(svc_sink *s, wctr_err err, cJSON *result, const char *message) {
  fake_sink *f = (fake_sink *)s;
  char *text = result != NULL ? cJSON_PrintUnformatted(result) : NULL;
  cJSON_Delete(result);
  pthread_mutex_lock(&f->lock);
  f->finishes++;
  f->err = err;
  f->finish_thread = wctr_thread_id();
  snprintf(f->result, sizeof f->result, "%s", text != NULL ? text : "");
  snprintf(f->message, sizeof f->message, "%s", message != NULL ? message : "");
  pthread_cond_broadcast(&f->cv);
  pthread_mutex_unlock(&f->lock);
  cJSON_free(text);
}

static const svc_sink_methods fake_methods = {.version = 1, .output = fs_output, .frame = fs_frame,
                                              .pending = fs_pending, .when_drained = fs_when_drained,
                                              .finish = fs_finish};

static void sink_init(fake_sink *f) {
  memset(f, 0, sizeof *f);
  f->sink.methods = &fake_methods;
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->cv, NULL);
}

static void sink_wait_finished(fake_sink *f) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += WAIT_MS / 1000;
  pthread_mutex_lock(&f->lock);
  while (f->finishes == 0) {
    if (pthread_cond_timedwait(&f->cv, &f->lock, &until) != 0) break;
  }
  int n = f->finishes;
  pthread_mutex_unlock(&f->lock);
  if (n == 0) fail_msg("the operation did not finish within %d ms", WAIT_MS);
}

static void sink_free(fake_sink *f) {
  pthread_mutex_destroy(&f->lock);
  pthread_cond_destroy(&f->cv);
}

/* --- operations ---------------------------------------------------------------------------------------------- */

static atomic_ullong call_thread;
static atomic_bool call_on_worker;
static atomic_int calls;

static wctr_err op_echo(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)e;
  atomic_store(&call_thread, wctr_thread_id());
  atomic_store(&call_on_worker, wctr_ioc_on_worker(ioc));
  atomic_fetch_add(&calls, 1);
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "Ctx", ctx != NULL ? (const char *)ctx : "none");
  cJSON_AddStringToObject(r, "Caller", caller->name);
  if (params != NULL) cJSON_AddItemToObject(r, "Params", cJSON_Duplicate(params, true));
  *result = r;
  return WCTR_OK;
}

static wctr_err op_fail(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)ctx, (void)caller, (void)params;
  *result = cJSON_CreateObject(); /* set, then failed: must not leak or be sent */
  return wctr_fail(e, WCTR_ENOENT, "no such container: web");
}

/* A blocking call that takes a while: the caller has long returned (and freed its params) when it reads them. */
static wctr_err op_slow(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
  return op_echo(ctx, caller, params, result, e);
}

typedef struct started {
  svc_sink *sink;
  atomic_int inputs;
  atomic_int closes;
  atomic_int releases;
  char last_input[64];
} started;

static started last_started;

static void st_input(void *ctx, const char *data, size_t len, bool eof) {
  started *st = ctx;
  snprintf(st->last_input, sizeof st->last_input, "%.*s%s", (int)len, data, eof ? "<eof>" : "");
  atomic_fetch_add(&st->inputs, 1);
}

static void st_close(void *ctx) {
  started *st = ctx;
  atomic_fetch_add(&st->closes, 1);
}

static void st_release(void *ctx) {
  started *st = ctx;
  atomic_fetch_add(&st->releases, 1);
}

/* Stays running: the test drives it through the sink. */
static void start_follow(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)ctx, (void)caller, (void)params;
  memset(&last_started, 0, sizeof last_started);
  last_started.sink = sink;
  sink->op_ctx = &last_started;
  sink->on_input = st_input;
  sink->on_close = st_close;
  sink->on_release = st_release;
}

/* Refuses its params at once, before it set anything. */
static void start_refuse(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)ctx, (void)caller, (void)params;
  svc_sink_finish(sink, WCTR_EINVAL, NULL, "params: unknown key \"x\"");
}

static const svc_op table[] = {
    {.name = "echo", .call = op_echo},
    {.name = "echo.blocking", .call = op_slow, .flags = SVC_OP_BLOCKING},
    {.name = "container.stop", .call = op_fail, .flags = SVC_OP_BLOCKING},
    {.name = "container.create", .call = op_echo},
    {.name = "container.list", .call = op_echo},
    {.name = "secret.create", .call = op_echo},
    {.name = "audit.read", .start = start_follow, .flags = SVC_OP_ADMIN},
    {.name = "events", .start = start_follow},
    {.name = "container.run", .start = start_follow},
    {.name = "container.logs", .start = start_refuse},
    {.name = "own.ctx", .call = op_echo, .ctx = "own"},
};

static const svc_caller user = {.sid = "S-1-5-21-1-2-3-1001", .name = "HOST\\ann", .pid = 7, .admin = false};
static const svc_caller admin = {.sid = "S-1-5-21-1-2-3-500", .name = "HOST\\admin", .pid = 8, .admin = true};

static svc_ops *new_ops(void) {
  svc_ops *o = NULL;
  wctr_errmsg e;
  assert_int_equal(svc_ops_new(ioc, capture_audit, NULL, &o, &e), WCTR_OK);
  assert_int_equal(svc_ops_add(o, table, sizeof table / sizeof table[0], "table", &e), WCTR_OK);
  record_count = 0;
  return o;
}

/* Invokes text-free: name and params JSON (or NULL). */
static void invoke(svc_ops *o, const svc_caller *caller, const char *name, const char *params, fake_sink *f) {
  cJSON *p = params != NULL ? cJSON_Parse(params) : NULL;
  svc_ops_invoke(o, caller, name, p, &f->sink);
  cJSON_Delete(p); /* the operation may outlive this: it has its own copy */
}

/* --- tests ---------------------------------------------------------------------------------------------------- */

static void test_tables_and_lookup(void **state) {
  (void)state;
  svc_ops *o = new_ops();
  wctr_errmsg e;
  assert_non_null(svc_ops_find(o, "echo"));
  assert_ptr_equal(svc_ops_find(o, "echo")->ctx, (void *)"table");
  assert_ptr_equal(svc_ops_find(o, "own.ctx")->ctx, (void *)"own"); /* an op's own ctx wins */
  assert_null(svc_ops_find(o, "launch"));
  assert_null(svc_ops_find(o, NULL));
  /* Names are unique across tables and within one. */
  const svc_op again[] = {{.name = "echo", .call = op_echo}};
  assert_int_equal(svc_ops_add(o, again, 1, NULL, &e), WCTR_EEXIST);
  assert_non_null(strstr(e.text, "\"echo\" is defined twice"));
  const svc_op twice[] = {{.name = "x", .call = op_echo}, {.name = "x", .call = op_echo}};
  assert_int_equal(svc_ops_add(o, twice, 2, NULL, &e), WCTR_EEXIST);
  assert_null(svc_ops_find(o, "x")); /* nothing of a refused table is kept */
  const svc_op both[] = {{.name = "y", .call = op_echo, .start = start_follow}};
  assert_int_equal(svc_ops_add(o, both, 1, NULL, &e), WCTR_EINVAL);
  const svc_op more[] = {{.name = "z", .call = op_echo}};
  assert_int_equal(svc_ops_add(o, more, 1, "second", &e), WCTR_OK);
  assert_ptr_equal(svc_ops_find(o, "z")->ctx, (void *)"second");
  svc_ops_free(o);
}

static void test_call_runs_here_and_is_answered(void **state) {
  (void)state;
  svc_ops *o = new_ops();
  fake_sink f;
  sink_init(&f);
  invoke(o, &user, "echo", "{\"Id\":\"web\"}", &f);
  /* A plain call answers before invoke returns, on the caller's thread. */
  assert_int_equal(f.finishes, 1);
  assert_int_equal(f.err, WCTR_OK);
  assert_string_equal(f.result, "{\"Ctx\":\"table\",\"Caller\":\"HOST\\\\ann\",\"Params\":{\"Id\":\"web\"}}");
  assert_true(atomic_load(&call_thread) == wctr_thread_id());
  assert_int_equal(audited(), 0); /* a read that worked: no record */
  sink_free(&f);
  svc_ops_free(o);
}

static void test_blocking_call_runs_on_the_pool(void **state) {
  (void)state;
  svc_ops *o = new_ops();
  fake_sink f;
  sink_init(&f);
  invoke(o, &user, "echo.blocking", "{\"Name\":\"db\",\"List\":[1,{\"k\":\"v\"}]}", &f);
  sink_wait_finished(&f);
  assert_int_equal(f.err, WCTR_OK);
  /* The params were copied: the original was freed before the call read them. */
  assert_string_equal(f.result,
                      "{\"Ctx\":\"table\",\"Caller\":\"HOST\\\\ann\",\"Params\":{\"Name\":\"db\",\"List\":[1,{\"k\":\"v\"}]}}");
  assert_true(atomic_load(&call_thread) != wctr_thread_id());
  assert_false(atomic_load(&call_on_worker)); /* the pool, not a worker */
  assert_true(f.finish_thread == atomic_load(&call_thread)); /* finished from there */
  /* A failing blocking change: refused, recorded once its outcome is known, the result it set dropped. */
  fake_sink g;
  sink_init(&g);
  invoke(o, &user, "container.stop", "{\"Id\":\"web\"}", &g);
  sink_wait_finished(&g);
  assert_int_equal(g.err, WCTR_ENOENT);
  assert_string_equal(g.message, "no such container: web");
  assert_string_equal(g.result, "");
  assert_int_equal(audited(), 1);
  assert_string_equal(records[0].op, "container.stop");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_ENOENT);
  assert_string_equal(records[0].detail, "no such container: web");
  sink_free(&f);
  sink_free(&g);
  svc_ops_free(o);
}

/* svc_ops_free waits for a blocking call still running, which writes the trail through it. */
static void test_free_waits_for_running_calls(void **state) {
  (void)state;
  svc_ops *o = new_ops();
  fake_sink f;
  sink_init(&f);
  atomic_store(&calls, 0);
  invoke(o, &user, "echo.blocking", NULL, &f);
  svc_ops_free(o);
  assert_int_equal(atomic_load(&calls), 1);
  assert_int_equal(f.finishes, 1);
  sink_free(&f);
}

static void test_unknown_op_and_admin_refusal_are_audited(void **state) {
  (void)state;
  svc_ops *o = new_ops();
  fake_sink f;
  sink_init(&f);
  invoke(o, &user, "launch", NULL, &f);
  assert_int_equal(f.err, WCTR_EBADOP);
  assert_string_equal(f.message, "unknown operation \"launch\"");
  assert_int_equal(audited(), 1);
  assert_string_equal(records[0].op, "launch");
  assert_int_equal(records[0].result, WCTR_EBADOP);
  sink_free(&f);
  sink_init(&f);
  invoke(o, &user, "audit.read", NULL, &f);
  assert_int_equal(f.finishes, 1);
  assert_int_equal(f.err, WCTR_EACCES);
  assert_string_equal(f.message, "audit.read is for administrators only; HOST\\ann is not one");
  assert_null(f.sink.on_release); /* refused before it started: nothing to release */
  assert_int_equal(audited(), 2);
  assert_string_equal(records[1].op, "audit.read");
  assert_int_equal(records[1].result, WCTR_EACCES);
  assert_non_null(strstr(records[1].detail, "administrators only"));
  /* An administrator gets it started, and a read that is allowed is not recorded. */
  sink_free(&f);
  sink_init(&f);
  invoke(o, &admin, "audit.read", NULL, &f);
  assert_int_equal(f.finishes, 0);
  svc_sink_finish(last_started.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  assert_int_equal(f.finishes, 1);
  f.sink.on_release(f.sink.op_ctx);
  assert_int_equal(atomic_load(&last_started.releases), 1);
  assert_int_equal(audited(), 2);
  sink_free(&f);
  svc_ops_free(o);
}

static void test_audit_of_calls(void **state) {
  (void)state;
  svc_ops *o = new_ops();
  fake_sink f;
  sink_init(&f);
  invoke(o, &user, "container.list", NULL, &f); /* a read that works: no record */
  assert_int_equal(audited(), 0);
  invoke(o, &user, "container.create", "{\"Name\":\"web\",\"Image\":\"host\"}", &f);
  assert_int_equal(audited(), 1);
  assert_string_equal(records[0].op, "container.create");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_OK);
  assert_string_equal(records[0].detail, "");
  /* The value of a secret never reaches a record. */
  invoke(o, &user, "secret.create", "{\"Name\":\"db\",\"Data\":\"c2VjcmV0\"}", &f);
  assert_int_equal(audited(), 2);
  assert_string_equal(records[1].op, "secret.create");
  assert_string_equal(records[1].target, "db");
  assert_null(strstr(records[1].detail, "c2VjcmV0"));
  /* A front-end's own refusal: the same record. */
  cJSON *p = cJSON_Parse("{\"Id\":\"web\"}");
  svc_ops_audit(o, &user, "container.run", p, WCTR_EPIPE, "stream dropped");
  cJSON_Delete(p);
  svc_ops_audit(o, &user, "", NULL, WCTR_EPROTO, "request is not valid JSON");
  svc_ops_audit(o, &user, "container.list", NULL, WCTR_OK, NULL); /* nothing to record */
  assert_int_equal(audited(), 4);
  assert_string_equal(records[2].target, "web");
  assert_int_equal(records[2].result, WCTR_EPIPE);
  assert_string_equal(records[3].op, "");
  assert_int_equal(records[3].result, WCTR_EPROTO);
  sink_free(&f);
  svc_ops_free(o);
}

static void test_start_ops_callbacks_and_audit(void **state) {
  (void)state;
  svc_ops *o = new_ops();
  fake_sink f;
  sink_init(&f);
  /* Callbacks reach the operation through the front-end's sink. */
  invoke(o, &user, "events", NULL, &f);
  assert_non_null(f.sink.on_input);
  assert_non_null(f.sink.on_close);
  assert_non_null(f.sink.on_release);
  f.sink.on_input(f.sink.op_ctx, "abc", 3, true);
  assert_int_equal(atomic_load(&last_started.inputs), 1);
  assert_string_equal(last_started.last_input, "abc<eof>");
  /* Output and frames pass through to the front-end. */
  assert_int_equal(svc_sink_output(last_started.sink, SVC_STDOUT, "x", 1), WCTR_OK);
  assert_int_equal(svc_sink_frame(last_started.sink, "event", cJSON_CreateObject()), WCTR_OK);
  assert_int_equal(f.outputs, 1);
  assert_int_equal(f.frames, 1);
  /* A follow whose client left: on_close, then it finishes; no refusal, no record. */
  f.sink.on_close(f.sink.op_ctx);
  assert_int_equal(atomic_load(&last_started.closes), 1);
  svc_sink_finish(last_started.sink, WCTR_ECANCELED, NULL, "the client is gone");
  assert_int_equal(f.finishes, 1);
  assert_int_equal(f.err, WCTR_ECANCELED);
  f.sink.on_release(f.sink.op_ctx);
  assert_int_equal(atomic_load(&last_started.releases), 1);
  assert_int_equal(audited(), 0);
  /* A change whose client left is recorded all the same, with its outcome. */
  sink_free(&f);
  sink_init(&f);
  invoke(o, &user, "container.run", "{\"Id\":\"web\"}", &f);
  f.sink.on_close(f.sink.op_ctx);
  svc_sink_finish(last_started.sink, WCTR_EPIPE, NULL, "the operation ended without a response");
  f.sink.on_release(f.sink.op_ctx);
  assert_int_equal(audited(), 1);
  assert_string_equal(records[0].op, "container.run");
  assert_string_equal(records[0].target, "web");
  assert_int_equal(records[0].result, WCTR_EPIPE);
  /* A change that ends normally: recorded once, at its finish. */
  sink_free(&f);
  sink_init(&f);
  invoke(o, &user, "container.run", "{\"Id\":\"db\"}", &f);
  assert_int_equal(audited(), 1);
  svc_sink_finish(last_started.sink, WCTR_OK, cJSON_CreateObject(), NULL);
  assert_int_equal(audited(), 2);
  assert_string_equal(records[1].target, "db");
  assert_int_equal(records[1].result, WCTR_OK);
  f.sink.on_release(f.sink.op_ctx);
  /* A read that fails while its client is there is recorded. */
  sink_free(&f);
  sink_init(&f);
  invoke(o, &user, "events", NULL, &f);
  svc_sink_finish(last_started.sink, WCTR_EINVAL, NULL, "params: unknown key \"x\"");
  f.sink.on_release(f.sink.op_ctx);
  assert_int_equal(audited(), 3);
  assert_string_equal(records[2].op, "events");
  assert_int_equal(records[2].result, WCTR_EINVAL);
  /* A start operation that refuses at once, before it set its callbacks. */
  sink_free(&f);
  sink_init(&f);
  invoke(o, &user, "container.logs", "{\"Id\":\"web\"}", &f);
  assert_int_equal(f.finishes, 1);
  assert_int_equal(f.err, WCTR_EINVAL);
  assert_non_null(f.sink.on_release); /* the layer's own context */
  f.sink.on_input(f.sink.op_ctx, "ignored", 7, false); /* nobody to tell: no crash */
  f.sink.on_release(f.sink.op_ctx);
  assert_int_equal(audited(), 4);
  assert_string_equal(records[3].op, "container.logs");
  sink_free(&f);
  svc_ops_free(o);
}

static int setup(void **state) {
  (void)state;
  wctr_errmsg e;
  wctr_ioc_options opt = {.workers = 2, .pool_max = 2};
  return wctr_ioc_start(&opt, &ioc, &e) == WCTR_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  wctr_ioc_stop(ioc);
  return 0;
}

int main(void) {
  wctr_log_configure(WCTR_LOG_ERROR, NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables_and_lookup),
      cmocka_unit_test(test_call_runs_here_and_is_answered),
      cmocka_unit_test(test_blocking_call_runs_on_the_pool),
      cmocka_unit_test(test_free_waits_for_running_calls),
      cmocka_unit_test(test_unknown_op_and_admin_refusal_are_audited),
      cmocka_unit_test(test_audit_of_calls),
      cmocka_unit_test(test_start_ops_callbacks_and_audit),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
