/* service/ops.c - the operation layer: tables, lookup, the administrator check, where each operation runs,
 * and the audit trail (contract in service/ops.h). Portable. */
#include "service/ops.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "service/audit.h"

enum { STOP_WAIT_MS = 10000 };

struct svc_ops {
  wctr_ioc *ioc;
  svc_audit_fn audit;
  void *audit_ctx;
  svc_op *ops; /* every table, ctx resolved */
  size_t count;
  /* Operations that outlive svc_ops_invoke (start operations until on_release, blocking calls until they
   * finished): svc_ops_free waits for them, since each of them still writes the audit trail. */
  pthread_mutex_t lock;
  pthread_cond_t idle;
  size_t running;
};

static void running_add(svc_ops *o, int delta) {
  pthread_mutex_lock(&o->lock);
  o->running = (size_t)((long long)o->running + delta);
  if (o->running == 0) pthread_cond_broadcast(&o->idle);
  pthread_mutex_unlock(&o->lock);
}

wctr_err svc_ops_new(wctr_ioc *ioc, svc_audit_fn audit, void *audit_ctx, svc_ops **out, wctr_errmsg *e) {
  *out = NULL;
  svc_ops *o = calloc(1, sizeof *o);
  if (o == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  o->ioc = ioc;
  o->audit = audit;
  o->audit_ctx = audit_ctx;
  pthread_mutex_init(&o->lock, NULL);
  pthread_cond_init(&o->idle, NULL);
  *out = o;
  return WCTR_OK;
}

wctr_err svc_ops_add(svc_ops *o, const svc_op *table, size_t count, void *ctx, wctr_errmsg *e) {
  for (size_t i = 0; i < count; i++) {
    const svc_op *op = &table[i];
    if (op->name == NULL || (op->call == NULL) == (op->start == NULL)) {
      return wctr_fail(e, WCTR_EINVAL, "operation %zu of the table (%s) must have a name and exactly one of call and start",
                       i, op->name != NULL ? op->name : "no name");
    }
    if (svc_ops_find(o, op->name) != NULL) {
      return wctr_fail(e, WCTR_EEXIST, "the operation \"%s\" is defined twice", op->name);
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(table[j].name, op->name) == 0) {
        return wctr_fail(e, WCTR_EEXIST, "the operation \"%s\" is defined twice", op->name);
      }
    }
  }
  svc_op *grown = realloc(o->ops, (o->count + count) * sizeof *grown);
  if (grown == NULL && o->count + count > 0) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  o->ops = grown;
  for (size_t i = 0; i < count; i++) {
    o->ops[o->count + i] = table[i];
    if (o->ops[o->count + i].ctx == NULL) o->ops[o->count + i].ctx = ctx;
  }
  o->count += count;
  return WCTR_OK;
}

const svc_op *svc_ops_find(const svc_ops *o, const char *name) {
  if (o == NULL || name == NULL) return NULL;
  for (size_t i = 0; i < o->count; i++) {
    if (strcmp(o->ops[i].name, name) == 0) return &o->ops[i];
  }
  return NULL;
}

/* One record, when the trail is kept and the outcome is worth one (a change, or a failure). */
static void audit_outcome(svc_ops *o, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                          const char *detail) {
  if (o->audit == NULL) return;
  if (result == WCTR_OK && !svc_audit_op_changes(op)) return;
  o->audit(o->audit_ctx, caller, op != NULL ? op : "", target != NULL ? target : "", result,
           result == WCTR_OK ? NULL : detail);
}

void svc_ops_audit(svc_ops *o, const svc_caller *caller, const char *op, const cJSON *params, wctr_err result,
                   const char *detail) {
  if (o == NULL) return;
  char target[SVC_AUDIT_TARGET_MAX];
  svc_audit_target(params, target);
  audit_outcome(o, caller, op, target, result, detail);
}

/* The answer of a call: recorded, then handed to the front-end. */
static void finish_call(svc_ops *o, const svc_caller *caller, const char *op, const char *target, wctr_err err,
                        cJSON *result, const wctr_errmsg *e, svc_sink *sink) {
  const char *message = e->text[0] != '\0' ? e->text : NULL;
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "op %s from %s failed: %s", op, caller->name, message != NULL ? message : wctr_strerror(err));
    cJSON_Delete(result);
    result = NULL;
  }
  audit_outcome(o, caller, op, target, err, message);
  svc_sink_finish(sink, err, result, err == WCTR_OK ? NULL : message);
}

/* A request's params may carry a secret's value (secret.create): a copy is wiped before it is freed. */
static void wipe_strings(cJSON *item) {
  for (; item != NULL; item = item->next) {
    if (cJSON_IsString(item) && item->valuestring != NULL) memset(item->valuestring, 0, strlen(item->valuestring));
    wipe_strings(item->child);
  }
}

static void params_free(cJSON *params) {
  if (params == NULL) return;
  wipe_strings(params->child);
  cJSON_Delete(params);
}

/* --- blocking calls: on the pool ------------------------------------------------------------------------ */

typedef struct blocking_job {
  svc_ops *o;
  const svc_op *op;
  svc_caller caller;
  cJSON *params; /* a copy, or NULL */
  char target[SVC_AUDIT_TARGET_MAX];
  svc_sink *sink;
} blocking_job;

static void run_blocking(void *arg) {
  blocking_job *job = arg;
  svc_ops *o = job->o;
  cJSON *result = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = job->op->call(job->op->ctx, &job->caller, job->params, &result, &e);
  finish_call(o, &job->caller, job->op->name, job->target, err, result, &e, job->sink);
  params_free(job->params);
  free(job);
  running_add(o, -1);
}

static void start_blocking(svc_ops *o, const svc_op *op, const svc_caller *caller, const cJSON *params,
                           const char *target, svc_sink *sink) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  blocking_job *job = calloc(1, sizeof *job);
  cJSON *copy = params != NULL ? cJSON_Duplicate(params, true) : NULL;
  if (job == NULL || (params != NULL && copy == NULL)) {
    free(job);
    params_free(copy);
    wctr_fail(&e, WCTR_ENOMEM, "out of memory");
    finish_call(o, caller, op->name, target, WCTR_ENOMEM, NULL, &e, sink);
    return;
  }
  *job = (blocking_job){.o = o, .op = op, .caller = *caller, .params = copy, .sink = sink};
  snprintf(job->target, sizeof job->target, "%s", target);
  running_add(o, 1);
  if (!wctr_ioc_blocking(o->ioc, run_blocking, job)) {
    running_add(o, -1);
    params_free(job->params);
    free(job);
    wctr_fail(&e, WCTR_ECANCELED, "wctrd is stopping");
    finish_call(o, caller, op->name, target, WCTR_ECANCELED, NULL, &e, sink);
  }
}

/* --- start operations: the sink the operation sees records the outcome ------------------------------------ */

/* The operation gets `inner`; the front-end's sink (`outer`) calls back through the trampolines below, which
 * note that the client is gone before passing on_close on. */
typedef struct started {
  svc_sink inner; /* first member */
  svc_sink *outer;
  svc_ops *o;
  const char *op; /* the table's name: lives as long as the table */
  svc_caller caller;
  char target[SVC_AUDIT_TARGET_MAX];
  atomic_bool gone; /* on_close was delivered */
} started;

static wctr_err inner_output(svc_sink *s, svc_output_stream stream, const char *data, size_t len) {
  started *st = (started *)s;
  return svc_sink_output(st->outer, stream, data, len);
}

static wctr_err inner_frame(svc_sink *s, const char *kind, cJSON *data) {
  started *st = (started *)s;
  return svc_sink_frame(st->outer, kind, data);
}

static size_t inner_pending(svc_sink *s) {
  started *st = (started *)s;
  return st->outer->methods->pending(st->outer);
}

static void inner_when_drained(svc_sink *s, size_t below, void (*fn)(void *arg), void *arg) {
  started *st = (started *)s;
  st->outer->methods->when_drained(st->outer, below, fn, arg);
}

/* A follow (logs -f, events, audit -f) ends because its client left: no refusal, no record. An operation
 * that changes something is recorded whatever happened to its client. */
static void inner_finish(svc_sink *s, wctr_err err, cJSON *result, const char *message) {
  started *st = (started *)s;
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "op %s from %s failed: %s", st->op, st->caller.name,
             message != NULL ? message : wctr_strerror(err));
  }
  if (!atomic_load(&st->gone) || svc_audit_op_changes(st->op)) {
    audit_outcome(st->o, &st->caller, st->op, st->target, err, message);
  }
  svc_sink_finish(st->outer, err, result, message);
}

static const svc_sink_methods inner_methods = {
    .version = 1,
    .output = inner_output,
    .frame = inner_frame,
    .pending = inner_pending,
    .when_drained = inner_when_drained,
    .finish = inner_finish,
};

static void tramp_input(void *ctx, const char *data, size_t len, bool eof) {
  started *st = ctx;
  if (st->inner.on_input != NULL) st->inner.on_input(st->inner.op_ctx, data, len, eof);
}

static void tramp_close(void *ctx) {
  started *st = ctx;
  atomic_store(&st->gone, true);
  if (st->inner.on_close != NULL) st->inner.on_close(st->inner.op_ctx);
}

static void tramp_release(void *ctx) {
  started *st = ctx;
  svc_ops *o = st->o;
  if (st->inner.on_release != NULL) st->inner.on_release(st->inner.op_ctx);
  free(st);
  running_add(o, -1);
}

static void start_op(svc_ops *o, const svc_op *op, const svc_caller *caller, const cJSON *params, const char *target,
                     svc_sink *sink) {
  started *st = calloc(1, sizeof *st);
  if (st == NULL) {
    wctr_errmsg e;
    wctr_fail(&e, WCTR_ENOMEM, "out of memory");
    finish_call(o, caller, op->name, target, WCTR_ENOMEM, NULL, &e, sink);
    return;
  }
  st->inner.methods = &inner_methods;
  st->outer = sink;
  st->o = o;
  st->op = op->name;
  st->caller = *caller;
  snprintf(st->target, sizeof st->target, "%s", target);
  atomic_init(&st->gone, false);
  /* Before start: it may finish at once, and the front-end releases through these. */
  sink->op_ctx = st;
  sink->on_input = tramp_input;
  sink->on_close = tramp_close;
  sink->on_release = tramp_release;
  running_add(o, 1);
  op->start(op->ctx, caller, params, &st->inner);
}

void svc_ops_invoke(svc_ops *o, const svc_caller *caller, const char *name, const cJSON *params, svc_sink *sink) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  char target[SVC_AUDIT_TARGET_MAX];
  svc_audit_target(params, target);
  const svc_op *op = svc_ops_find(o, name);
  if (op == NULL) {
    wctr_fail(&e, WCTR_EBADOP, "unknown operation \"%s\"", name);
    wctr_log(WCTR_LOG_INFO, "refused op %s from %s: unknown operation", name, caller->name);
    audit_outcome(o, caller, name, target, WCTR_EBADOP, e.text);
    svc_sink_finish(sink, WCTR_EBADOP, NULL, e.text);
    return;
  }
  wctr_log(WCTR_LOG_DEBUG, "op %s from %s (%s, pid %u)", name, caller->name, caller->sid, caller->pid);
  if ((op->flags & SVC_OP_ADMIN) != 0 && !caller->admin) {
    wctr_fail(&e, WCTR_EACCES, "%s is for administrators only; %s is not one", name, caller->name);
    wctr_log(WCTR_LOG_INFO, "refused op %s from %s: not an administrator", name, caller->name);
    audit_outcome(o, caller, name, target, WCTR_EACCES, e.text);
    svc_sink_finish(sink, WCTR_EACCES, NULL, e.text);
    return;
  }
  if (op->start != NULL) {
    start_op(o, op, caller, params, target, sink);
    return;
  }
  if ((op->flags & SVC_OP_BLOCKING) != 0) {
    start_blocking(o, op, caller, params, target, sink);
    return;
  }
  cJSON *result = NULL;
  wctr_err err = op->call(op->ctx, caller, params, &result, &e);
  finish_call(o, caller, op->name, target, err, result, &e, sink);
}

void svc_ops_free(svc_ops *o) {
  if (o == NULL) return;
  pthread_mutex_lock(&o->lock);
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += STOP_WAIT_MS / 1000;
  int rc = 0;
  while (o->running > 0 && rc == 0) rc = pthread_cond_timedwait(&o->idle, &o->lock, &until);
  size_t left = o->running;
  pthread_mutex_unlock(&o->lock);
  if (left > 0) {
    /* They will still write the audit trail through o: leaving it is the safe choice at exit. */
    wctr_log(WCTR_LOG_WARN, "%zu operation(s) still running after %d ms; leaving them", left, STOP_WAIT_MS);
    return;
  }
  pthread_cond_destroy(&o->idle);
  pthread_mutex_destroy(&o->lock);
  free(o->ops);
  free(o);
}
