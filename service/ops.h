/* service/ops.h - the operation layer (portable): one table of operations that every front-end calls the
 * same way - the wctr pipe protocol (service/pipe_api.h) today, the Docker Engine API next. It knows who
 * is calling, refuses administrator-only operations to others, runs each operation where it belongs (a
 * worker, or the blocking pool for calls that may take long), and writes the audit trail; the wire format
 * (JSON messages, HTTP, frames) is the front-end's.
 *
 * An operation's outcome always travels through a sink the front-end provides (svc_sink): the final answer
 * (finish, exactly once), and before it, for long-running operations (attach, logs -f, events, wait, audit
 * -f), output chunks and JSON frames. A sink never blocks its caller: it queues, and a front-end bounds
 * what it queues per client (SVC_SINK_QUEUE_MAX); a client that does not read loses its stream - the
 * front-end drops the connection, says so in wctrd's log and the audit trail, and calls on_close - and
 * nobody else notices. A producer that can wait (a log file being sent) asks when_drained instead of
 * pushing past the bound.
 *
 * Callbacks from the front-end to an operation (on_input, on_close) are made one at a time per sink, on
 * the I/O core's workers, never before svc_ops_invoke has returned (a start operation sets them while it
 * runs), never after finish has been called and has returned... except that on_close may already be
 * running when finish is called; therefore the operation's context lives until on_release, which the
 * front-end calls exactly once, after finish and after every callback has returned (on_release may be
 * called from inside finish: an operation does not touch its context after calling finish).
 *
 * Audit (service/audit.h): one record per request that changes something or fails, written once its
 * outcome is known (a blocking call's on the pool, a start operation's at its finish). A start operation
 * whose client left before it finished (on_close was delivered) is recorded only when it changes
 * something: a follow that ends because its client left is no refusal. */
#ifndef WCTR_SERVICE_OPS_H
#define WCTR_SERVICE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/ioc.h"

/* Who sent a request (front-ends fill it: impersonation on a pipe, the token holder on TCP). */
typedef struct svc_caller {
  char sid[192];  /* "S-1-5-21-..." */
  char name[320]; /* "DOMAIN\user", or the SID when the account cannot be looked up */
  uint32_t pid;   /* client process id, 0 when unknown */
  bool admin;     /* holds BUILTIN\Administrators enabled */
} svc_caller;

/* Bytes a front-end queues for one client at most before it drops the stream. */
#define SVC_SINK_QUEUE_MAX (4u * 1024u * 1024u)

typedef enum svc_output_stream { SVC_STDOUT = 1, SVC_STDERR = 2 } svc_output_stream;

typedef struct svc_sink svc_sink;
typedef struct svc_sink_methods {
  int version; /* 1 */
  /* A chunk of a container's output, binary-safe (any bytes, NUL included). WCTR_EPIPE once the client is
   * gone or was dropped; the operation then only waits for on_close/on_release. */
  wctr_err (*output)(svc_sink *s, svc_output_stream stream, const char *data, size_t len);
  /* A JSON frame of a kind ("event", "record", "progress"...); data is taken, also on failure. */
  wctr_err (*frame)(svc_sink *s, const char *kind, cJSON *data);
  /* Bytes queued and not yet taken by the client. */
  size_t (*pending)(svc_sink *s);
  /* fn(arg) once, on a worker, as soon as pending() <= below or the client is gone (then output fails). */
  void (*when_drained)(svc_sink *s, size_t below, void (*fn)(void *arg), void *arg);
  /* The final answer, exactly once: err WCTR_OK with result (taken; may be NULL for {}), or an error and its
   * message. */
  void (*finish)(svc_sink *s, wctr_err err, cJSON *result, const char *message);
} svc_sink_methods;

struct svc_sink {
  const svc_sink_methods *methods;
  /* Set by a start operation before it returns (all optional): */
  void *op_ctx;
  void (*on_input)(void *op_ctx, const char *data, size_t len, bool eof); /* the client's stdin */
  void (*on_close)(void *op_ctx);   /* the client left, was dropped, or wctrd is stopping: finish soon */
  void (*on_release)(void *op_ctx); /* last call: free op_ctx */
};

/* Convenience wrappers. */
static inline wctr_err svc_sink_output(svc_sink *s, svc_output_stream st, const char *d, size_t n) {
  return s->methods->output(s, st, d, n);
}
static inline wctr_err svc_sink_frame(svc_sink *s, const char *kind, cJSON *data) {
  return s->methods->frame(s, kind, data);
}
static inline void svc_sink_finish(svc_sink *s, wctr_err err, cJSON *result, const char *message) {
  s->methods->finish(s, err, result, message);
}

enum {
  SVC_OP_ADMIN = 1u << 0,    /* refused with WCTR_EACCES (and audited) unless caller->admin */
  SVC_OP_BLOCKING = 1u << 1, /* call runs on the I/O core's blocking pool, not on a worker */
  /* A start operation that talks with its client while it lasts (output, frames, stdin: attach, logs -f,
   * wait, events, audit -f). A front-end treats it as a stream (the pipe closes the connection after its
   * answer). A start operation without it is an asynchronous call: it only finishes (container.stop waits
   * for the exit on a timer, not a thread), and on the wire it is an ordinary request. */
  SVC_OP_STREAM = 1u << 2,
};

/* An operation. Exactly one of call and start is set. params may be NULL (none given); it is valid for
 * the duration of call/start only. */
typedef struct svc_op {
  const char *name;
  /* Returns at once (or, with SVC_OP_BLOCKING, when done on the pool) with *result (NULL means {}). */
  wctr_err (*call)(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e);
  /* Long-running: answers through sink (finish exactly once, possibly before returning). Runs on a worker:
   * must not block. */
  void (*start)(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
  unsigned flags;
  void *ctx; /* NULL: the ctx given to svc_ops_add */
} svc_op;

/* The audit trail's entry point (service/audit.h): one record per request that changes something
 * (svc_audit_op_changes) or fails, once its outcome is known. op is "" when the request was too broken to
 * name one. */
typedef void (*svc_audit_fn)(void *ctx, const svc_caller *caller, const char *op, const char *target,
                             wctr_err result, const char *detail);

typedef struct svc_ops svc_ops;

/* ioc runs blocking calls (its pool); audit may be NULL (no trail). */
wctr_err svc_ops_new(wctr_ioc *ioc, svc_audit_fn audit, void *audit_ctx, svc_ops **out, wctr_errmsg *e);
/* Adds a table (copied); names must be unique across tables (WCTR_EEXIST otherwise). Tables are added
 * before the first svc_ops_invoke (lookups take no lock). */
wctr_err svc_ops_add(svc_ops *o, const svc_op *table, size_t count, void *ctx, wctr_errmsg *e);
const svc_op *svc_ops_find(const svc_ops *o, const char *name);
/* Runs the named operation for caller; its outcome reaches sink->finish (unknown operation: WCTR_EBADOP;
 * not an administrator: WCTR_EACCES), and the audit trail. params is copied when the operation outlives
 * the call. */
void svc_ops_invoke(svc_ops *o, const svc_caller *caller, const char *name, const cJSON *params, svc_sink *sink);
/* For a front-end's own refusals (a request too broken to name an operation, a stream dropped for not
 * reading): the same audit record an operation's failure gets. */
void svc_ops_audit(svc_ops *o, const svc_caller *caller, const char *op, const cJSON *params, wctr_err result,
                   const char *detail);
/* Waits (10 s at most) for blocking calls and start operations still running (until their on_release):
 * they write the audit trail through o; past that it logs and leaves o allocated. Accepts NULL. */
void svc_ops_free(svc_ops *o);

#endif
