/* service/manager_internal.h - what the files of the container manager share (not a contract for anyone
 * else; service/manager.h is). The manager is split by responsibility:
 *   manager.c          the manager's life (start, stop), the container list and references, records on
 *                      disk, async helpers, events;
 *   manager_run.c      runs: start, runtime events (output, OOM, exit), the exit's finalisation, stop and
 *                      kill, restart, removal, restart policies, attach (container.run, container.attach),
 *                      stdin, wait, stats;
 *   manager_logs.c     container.logs (files and follow);
 *   manager_ops.c      create, list, inspect, update, rename and the operation table;
 *   manager_recover.c  what a crash left, at start;
 *   manager_exec.c     exec instances (exec.create, exec.start, exec.inspect);
 *   manager_pause.c    container.pause and container.unpause;
 *   manager_archive.c  container.archive.stat/get/put (files in and out as tar streams).
 *
 * Locks (wctr_mutex, asserted): m->lock guards the list, every record, run state and the lists of waiters
 * and stoppers; c->out_lock guards a container's log writer, attached clients and followers; m->events_lock
 * guards the event subscribers. Order: m->lock, then c->out_lock, then m->events_lock; never the reverse.
 * No lock is held across a runtime call, a disk write, or a sink's finish (a sink's on_release may come
 * back into the manager). Output and frames to sinks are non-blocking and may be sent under the locks. */
#ifndef WCTR_SERVICE_MANAGER_INTERNAL_H
#define WCTR_SERVICE_MANAGER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/ioc.h"
#include "runtime/runtime.h"
#include "service/container.h"
#include "service/logs.h"
#include "service/manager.h"
#include "service/ops.h"
#include "service/store.h"

typedef struct ctr ctr;
typedef struct mgr_run mgr_run;
typedef struct mgr_follow mgr_follow;
typedef struct mgr_waiter mgr_waiter;
typedef struct mgr_stopper mgr_stopper;
typedef struct mgr_evsub mgr_evsub;
typedef struct mgr_exec mgr_exec;

/* A container's health (manager_health.c), m->lock. */
typedef enum mgr_health_status {
  MGR_HEALTH_NONE = 0, /* no healthcheck has run in this wctrd */
  MGR_HEALTH_STARTING,
  MGR_HEALTH_HEALTHY,
  MGR_HEALTH_UNHEALTHY,
} mgr_health_status;
enum { MGR_HEALTH_LOG_MAX = 5 }; /* Docker's maxLogEntries */
typedef struct mgr_health_result {
  char start[40], end[40];
  int64_t exit_code;
  char *output;
} mgr_health_result;
typedef struct mgr_health {
  mgr_health_status status;
  int64_t failing_streak;
  mgr_health_result log[MGR_HEALTH_LOG_MAX]; /* oldest first */
  size_t log_count;
  uint64_t gen;             /* bumped when a run begins or ends: what an older run scheduled is dropped */
  struct mgr_tmr *timer;    /* the next probe */
} mgr_health;

struct ctr {
  svc_manager *m;
  svc_container rec;      /* m->lock */
  int refs;               /* m->lock: the list, each operation using it, a run in progress */
  bool unlinked;          /* m->lock: removed from the list; freed with the last reference */
  bool removed;           /* m->lock: its removal finished (unlinked and the record gone for good) */
  bool creating;          /* m->lock: in the list to hold its name, not yet visible */
  bool remove_volumes;    /* m->lock: a removal was asked with RemoveVolumes (rm -v) */
  rt_runtime *rt;         /* by isolation; constant */
  /* The run, m->lock. */
  rt_task *task;          /* from a successful start (or reattach) until the release */
  bool starting;          /* a runtime start (or reattach) is in progress */
  bool releasing;         /* the exit arrived and the release is scheduled: no new runtime call */
  bool exit_arrived;
  rt_exit exit;
  bool oom;
  int task_uses;          /* runtime calls in flight on task */
  bool pausing;           /* a pause or unpause is in flight (rec.state.paused says the outcome) */
  bool copying;           /* a docker cp holds the stopped container's root (manager_archive.c): from its checks until
                             its unmount, no start, removal or other copy that mounts */
  mgr_waiter *waiters;
  mgr_stopper *stoppers;
  struct mgr_tmr *restart_timer; /* a restart by policy is scheduled */
  uint64_t restart_gen;   /* bumped when a scheduled restart is called off */
  mgr_health health;      /* m->lock */
  /* Records on disk. save_seq under m->lock; saved_seq under save_lock. */
  wctr_mutex save_lock;
  uint64_t save_seq, saved_seq;
  bool deleted;           /* save_lock: the folder is being removed; no save may bring the record back */
  /* Output, out_lock. */
  wctr_mutex out_lock;
  svc_log_writer *log;    /* while a run's output may arrive */
  svc_log_gz *log_gz;     /* its log's compression state, kept across runs (out_lock; service/logs.h) */
  mgr_run *attached;
  mgr_follow *followers;
  ctr *next;
};

struct svc_manager {
  svc_manager_options opt;
  char data_root[1024];
  char host_os_version[32];
  wctr_ioc *ioc;
  wctr_mutex lock;
  ctr *list;
  svc_store *store;
  struct svc_volumes *volumes;
  rt_runtime *job_rt;
  rt_runtime *hcs_rt;
  wctr_mutex events_lock;
  mgr_evsub *events;
  bool stopping;          /* m->lock: svc_manager_stop has begun */
  int busy;               /* m->lock: pool jobs, posts and timers of the manager in flight */
  mgr_exec *execs;        /* m->lock: exec instances, newest first (manager_exec.c) */
  int exec_count;         /* m->lock */
  uint32_t kill_wait_ms;
};

/* --- manager_volumes.c --- */

/* Makes sure every volume the spec mounts exists (a named one is created on first use, as Docker's run
 * does); an anonymous one is created with a generated name, which replaces its bind in spec ("NAME:C:\x").
 * Called once the container is listed (service/volumes.h: the race with a remove). */
wctr_err mgr_volumes_ensure(svc_manager *m, spec_container *spec, wctr_errmsg *e);
/* Removes the anonymous volumes the spec mounts that no listed container uses (rm -v, --rm, a failed
 * create). */
void mgr_volumes_drop_anonymous(svc_manager *m, const spec_container *spec);
bool mgr_volume_in_use(svc_manager *m, const char *volume);

/* --- manager.c ------------------------------------------------------------------------------------------ */

ctr *mgr_ctr_new(svc_manager *m);
void mgr_ctr_free(ctr *c);
/* Finds a visible container by ref and takes a reference (WCTR_ENOENT "No such container: X"). */
wctr_err mgr_find(svc_manager *m, const char *ref, ctr **out, wctr_errmsg *e);
/* "Id" from params (plus the other keys allowed), then mgr_find. */
wctr_err mgr_find_param(svc_manager *m, const cJSON *params, const char *const *extra_keys, ctr **out,
                        wctr_errmsg *e);
void mgr_ref_locked(svc_manager *m, ctr *c);
/* Drops a reference; frees an unlinked container with the last. No lock held. */
void mgr_release(svc_manager *m, ctr *c);
rt_runtime *mgr_runtime_for(svc_manager *m, wctr_isolation isolation);
/* The arguments of a runtime call for c: a copy of what it needs, taken under m->lock. */
typedef struct mgr_args {
  rt_args a;
  spec_container spec;
  cJSON *state;
  char dir[1300];
  char id[SVC_ID_HEX + 1];
  char name[SVC_NAME_MAX + 1];
} mgr_args;
wctr_err mgr_args_fill_locked(svc_manager *m, ctr *c, mgr_args *out, wctr_errmsg *e);
void mgr_args_free(mgr_args *a);
/* Writes c's record as it is now; on the pool, no lock held. The latest state always wins. */
void mgr_save(svc_manager *m, ctr *c);
/* The container's runtime task for one call (task_uses + 1), or NULL when it has none or is releasing;
 * mgr_task_put ends the use and schedules a pending release. */
rt_task *mgr_task_get_locked(svc_manager *m, ctr *c);
void mgr_task_put(svc_manager *m, ctr *c);

/* Async helpers: the manager counts what it has in flight, so svc_manager_stop can wait for it. */
bool mgr_pool(svc_manager *m, wctr_ioc_fn fn, void *arg);
bool mgr_post(svc_manager *m, wctr_ioc_fn fn, void *arg);
/* fn(arg) on a worker after ms. The handle stays valid until fn returns; the caller cancels it under m->lock
 * while its copy is set, and fn clears that copy under m->lock first thing (so a fired handle is never
 * used after fn). true: fn will never run, and *arg (when arg is not NULL) receives the arg it would have
 * had, which the caller owns again; false: fn runs (or is running). */
typedef struct mgr_tmr mgr_tmr;
mgr_tmr *mgr_timer(svc_manager *m, uint32_t ms, wctr_ioc_fn fn, void *arg);
bool mgr_timer_cancel(svc_manager *m, mgr_tmr *t, void **arg);

/* Events to `events` subscribers: {"Time","Type":"container","Action","Id","Name"[,"ExitCode"]}. */
void mgr_emit(svc_manager *m, const char *action, const char *id, const char *name, int64_t exit_code);
/* c's event, its id and name read under m->lock (not held), with attributes of its own (borrowed; may be NULL):
 * kill's {"signal":"15"}. */
void mgr_emit_of(svc_manager *m, ctr *c, const char *action, const cJSON *attributes);
/* Docker's volume events: {"Time","Type":"volume","Action","Id":VOLUME,"Attributes":{...}} (no Name: dockerd's
 * volume actor has none). attributes are borrowed. */
void mgr_emit_volume(svc_manager *m, const char *action, const char *volume, const cJSON *attributes);
void mgr_events_start(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);

/* --- manager_run.c -------------------------------------------------------------------------------------- */

typedef void (*mgr_done_fn)(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message);
/* Starts c (created or exited) asynchronously; done runs once the runtime has answered (on the pool). */
void mgr_start(svc_manager *m, ctr *c, int64_t restart_count, mgr_done_fn done, void *arg);
/* Stops c: the stop signal (or the kill with kill_now), then the kill after timeout_ms, then gives up after
 * the kill wait; done runs once it has exited (WCTR_OK), at once when it is not running, or with
 * WCTR_ETIMEDOUT. */
void mgr_stop(svc_manager *m, ctr *c, uint32_t timeout_ms, bool kill_now, mgr_done_fn done, void *arg);
/* Removes a container that is not running (on the pool). */
wctr_err mgr_remove_now(svc_manager *m, ctr *c, wctr_errmsg *e);
rt_events mgr_runtime_events(svc_manager *m);
/* After the exit and every runtime call on the task: release the run, record the exit (on the pool). */
void mgr_finalize(svc_manager *m, ctr *c);
/* A line of a run's output to followers (logs -f), out_lock held (a svc_log_line_fn, ctx = c). */
void mgr_follow_line_locked(void *c, int stream, const char *data, size_t len, const char *time, const char *details);
/* The --log-opt tag of a container with this id and name (svc_log_tag), malloc'ed into *tag; NULL when the
 * option is absent or gives "". At create (a template that does not parse or run is refused, WCTR_EINVAL)
 * and when a run opens its log. */
wctr_err mgr_log_tag(const spec_container *spec, const char *id, const char *name, char **tag, wctr_errmsg *e);
/* Opens the log writer of a run with the spec's log options (limits, attributes and tag, compression on the
 * blocking pool: service/logs.h). */
wctr_err mgr_log_writer_open(svc_manager *m, ctr *c, const mgr_args *a, svc_log_writer **out, wctr_errmsg *e);
/* The run ended: every follower is detached from c and marked ended (out_lock held); the list returned is
 * handed to mgr_follow_ended once the lock is released (those already live are finished there, those still
 * catching up finish when they are done). */
mgr_follow *mgr_follow_detach_locked(ctr *c);
void mgr_follow_ended(svc_manager *m, mgr_follow *list);
void mgr_restart_at_service_start(svc_manager *m);
/* Calls off a restart by policy that is scheduled (a user started, stopped or removed the container, or
 * wctrd stops). */
void mgr_restart_cancel_locked(svc_manager *m, ctr *c);

void mgr_op_start(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_run(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_attach(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_restart(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_stop(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_kill(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_remove(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_wait(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_stats(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_top(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);

/* --- manager_pause.c ------------------------------------------------------------------------------------ */

void mgr_op_pause(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_unpause(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);

/* --- manager_logs.c ------------------------------------------------------------------------------------- */

void mgr_op_logs(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);

/* --- manager_exec.c ------------------------------------------------------------------------------------- */

wctr_err mgr_op_exec_create(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                            wctr_errmsg *e);
void mgr_op_exec_start(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
wctr_err mgr_op_exec_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                             wctr_errmsg *e);
/* At the manager's stop, once nothing is in flight: forgets every instance. */
void mgr_execs_free(svc_manager *m);

/* --- manager_health.c ----------------------------------------------------------------------------------- */

/* A run began (its status is running): with an active healthcheck, health "starting" and the first probe
 * one interval from now. */
void mgr_health_begin_locked(svc_manager *m, ctr *c);
/* The run ended: no more probes of it (a probe in flight changes nothing). No lock held. */
void mgr_health_end(svc_manager *m, ctr *c);
/* With the container: the log's texts. */
void mgr_health_free(ctr *c);
const char *mgr_health_status_name(mgr_health_status s);
/* Docker's State.Health {Status, FailingStreak, Log [{Start, End, ExitCode, Output}]}, NULL without one. */
cJSON *mgr_health_json_locked(svc_manager *m, ctr *c);

/* --- manager_archive.c ---------------------------------------------------------------------------------- */

/* A start or removal of a container whose root a docker cp holds mounted (ctr.copying) is refused (WCTR_EBUSY,
 * the Engine API's 409) with this sentence (printf: the container's name, "started" or "removed"). dockerd holds
 * the container's lock and makes the start wait; wctr says so instead of queueing it behind a copy of any size. */
#define MGR_COPYING_MESSAGE "container %s is busy: a copy (docker cp) has its file system mounted; it can be %s once the copy ends"

wctr_err mgr_op_archive_stat(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                             wctr_errmsg *e);
void mgr_op_archive_get(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);
void mgr_op_archive_put(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink);

/* --- manager_files.c ------------------------------------------------------------------------------------ */

/* container.list's "Size": the paths to measure are taken under m->lock, the walk happens after it. */
typedef struct mgr_sized mgr_sized;
typedef struct mgr_sizes {
  mgr_sized *items;
  size_t n, cap;
} mgr_sizes;
bool mgr_sizes_add_locked(svc_manager *m, ctr *c, cJSON *summary, mgr_sizes *list);
/* No lock held (it walks folders): adds "SizeRw" and "SizeRootFs" to each summary, frees the list. */
void mgr_sizes_finish(mgr_sizes *list);

/* --- manager_recover.c ---------------------------------------------------------------------------------- */

/* Loads the records and repairs what a crash left (on the starting thread, before any front-end opens). */
wctr_err mgr_recover(svc_manager *m, wctr_errmsg *e);

/* --- small shared helpers ------------------------------------------------------------------------------- */

/* A sink's finish with a printf message, or a result. */
void mgr_finish_error(svc_sink *s, wctr_err err, const char *message);

#endif
