/* service/manager_run.c - runs: start, the runtime's events, the exit, stop and kill, removal, restart
 * policies, attach (container.run), stdin, wait and stats (service/manager.h, manager_internal.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "service/manager_internal.h"

/* A start that meets the previous run's job object (its name outlives the last handle for a moment while
 * the killed processes go: seen under Wine, and after a wctrd restart) is retried, every 100 ms for 5 s. */
enum { START_RETRY_MS = 100, START_RETRIES = 50, STDIN_QUEUE_MAX = 1024 * 1024 };

static void finalize_job(void *arg) {
  ctr *c = arg;
  mgr_finalize(c->m, c);
}

/* --- attach (container.run) --------------------------------------------------------------------------------- */

struct mgr_run {
  svc_manager *m;
  ctr *c;
  svc_sink *sink;
  bool attached;   /* out_lock: in c->attached */
  bool gone;       /* out_lock: the client stopped taking output */
  bool finished;   /* out_lock: the sink's finish was called (or is being called) */
  bool stdin_open; /* m->lock */
  bool started;    /* m->lock */
  char *pending;   /* m->lock: stdin that came before the start completed */
  size_t pending_len;
  bool pending_eof;
  int refs;        /* m->lock: the sink's (until on_release) and the start's (until its done ran) */
  mgr_run *next;
};

static void run_unref(mgr_run *r) {
  svc_manager *m = r->m;
  wctr_mutex_lock(&m->lock);
  bool last = --r->refs == 0;
  wctr_mutex_unlock(&m->lock);
  if (!last) return;
  mgr_release(m, r->c);
  free(r->pending);
  free(r);
}

static bool run_output_locked(mgr_run *r, rt_stream stream, const char *data, size_t len) {
  WCTR_ASSERT_HELD(&r->c->out_lock);
  if (r->gone || r->finished) return false;
  if (svc_sink_output(r->sink, (svc_output_stream)stream, data, len) != WCTR_OK) r->gone = true;
  return !r->gone;
}

static void run_detach_locked(mgr_run *r) {
  ctr *c = r->c;
  WCTR_ASSERT_HELD(&c->out_lock);
  if (!r->attached) return;
  for (mgr_run **p = &c->attached; *p != NULL; p = &(*p)->next) {
    if (*p == r) {
      *p = r->next;
      break;
    }
  }
  r->attached = false;
}

/* The one place a run's sink is finished; result is taken. */
static void run_finish(mgr_run *r, wctr_err err, cJSON *result, const char *message) {
  ctr *c = r->c;
  wctr_mutex_lock(&c->out_lock);
  bool first = !r->finished;
  r->finished = true;
  run_detach_locked(r);
  wctr_mutex_unlock(&c->out_lock);
  if (!first) {
    cJSON_Delete(result);
    return;
  }
  svc_sink_finish(r->sink, err, result, message);
}

typedef struct stdin_close_job {
  svc_manager *m;
  ctr *c;
  rt_task *t;
} stdin_close_job;

static void stdin_close_run(void *arg) {
  stdin_close_job *j = arg;
  wctr_errmsg e;
  if (j->t->runtime->methods->stdin_close(j->t, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: closing stdin: %s", j->c->rec.name, e.text);
  }
  mgr_task_put(j->m, j->c);
  mgr_release(j->m, j->c);
  free(j);
}

/* Writes data to the task's stdin and, with eof, closes it afterwards (the close may block: pool). The
 * caller took the task use; it is given back here. */
static void stdin_deliver(svc_manager *m, ctr *c, rt_task *t, const char *data, size_t len, bool eof) {
  wctr_errmsg e;
  if (len > 0 && t->runtime->methods->stdin_write(t, data, len, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: stdin: %s; the input is dropped", c->rec.name, e.text);
  }
  if (!eof) {
    mgr_task_put(m, c);
    return;
  }
  stdin_close_job *j = malloc(sizeof *j);
  if (j == NULL) {
    mgr_task_put(m, c);
    return;
  }
  *j = (stdin_close_job){.m = m, .c = c, .t = t};
  wctr_mutex_lock(&m->lock);
  mgr_ref_locked(m, c);
  wctr_mutex_unlock(&m->lock);
  mgr_pool(m, stdin_close_run, j);
}

static void run_input(void *p, const char *data, size_t len, bool eof) {
  mgr_run *r = p;
  svc_manager *m = r->m;
  ctr *c = r->c;
  wctr_mutex_lock(&m->lock);
  if (!r->stdin_open) {
    wctr_mutex_unlock(&m->lock);
    return; /* created without -i, or closed already */
  }
  if (!r->started) {
    if (r->pending_len + len > STDIN_QUEUE_MAX) {
      wctr_log(WCTR_LOG_WARN, "container %s: more than %d bytes of stdin before it started; the rest is dropped",
               c->rec.name, STDIN_QUEUE_MAX);
    } else if (len > 0) {
      char *grown = realloc(r->pending, r->pending_len + len);
      if (grown != NULL) {
        memcpy(grown + r->pending_len, data, len);
        r->pending = grown;
        r->pending_len += len;
      }
    }
    if (eof) r->pending_eof = true;
    wctr_mutex_unlock(&m->lock);
    return;
  }
  rt_task *t = mgr_task_get_locked(m, c);
  if (eof) r->stdin_open = false;
  wctr_mutex_unlock(&m->lock);
  if (t != NULL) stdin_deliver(m, c, t, data, len, eof);
}

static void run_close(void *p) {
  mgr_run *r = p;
  svc_manager *m = r->m;
  ctr *c = r->c;
  /* The client left: with StdinOnce the container reads end of file, as docker's attach does; without it
   * (run -dit) stdin stays open for the next client. */
  wctr_mutex_lock(&m->lock);
  if (!c->rec.spec.process.stdin_once) r->stdin_open = false;
  bool was_open = r->stdin_open && r->started;
  /* Before the start has completed, run_started delivers the end of file. */
  if (r->stdin_open && !r->started) r->pending_eof = true;
  else r->stdin_open = false;
  rt_task *t = was_open ? mgr_task_get_locked(m, c) : NULL;
  wctr_mutex_unlock(&m->lock);
  if (t != NULL) stdin_deliver(m, c, t, NULL, 0, true);
  run_finish(r, WCTR_EPIPE, NULL, "the client left");
}

static void run_release(void *p) { run_unref(p); }

/* A start completed: clients that attached before it (container.attach) get the stdin they sent meanwhile. A
 * container.run's own client is among them; its run_started then finds nothing left to deliver. */
static void attached_started(svc_manager *m, ctr *c) {
  enum { MAX_RUNS = 32 };
  mgr_run *todo[MAX_RUNS];
  rt_task *tasks[MAX_RUNS];
  char *data[MAX_RUNS];
  size_t lens[MAX_RUNS];
  bool eofs[MAX_RUNS];
  size_t n = 0;
  wctr_mutex_lock(&m->lock);
  wctr_mutex_lock(&c->out_lock);
  for (mgr_run *r = c->attached; r != NULL && n < MAX_RUNS; r = r->next) {
    if (r->started) continue;
    r->started = true;
    if (r->pending_len == 0 && !r->pending_eof) continue;
    rt_task *t = mgr_task_get_locked(m, c);
    if (t == NULL) continue;
    todo[n] = r;
    tasks[n] = t;
    data[n] = r->pending;
    lens[n] = r->pending_len;
    eofs[n] = r->pending_eof;
    if (r->pending_eof) r->stdin_open = false;
    r->pending = NULL;
    r->pending_len = 0;
    r->pending_eof = false;
    r->refs++;
    n++;
  }
  wctr_mutex_unlock(&c->out_lock);
  wctr_mutex_unlock(&m->lock);
  for (size_t i = 0; i < n; i++) {
    stdin_deliver(m, c, tasks[i], data[i], lens[i], eofs[i]);
    free(data[i]);
    run_unref(todo[i]);
  }
}

/* --- runtime events --------------------------------------------------------------------------------------- */

static void on_output(void *ctx, void *key, rt_stream stream, const char *data, size_t len) {
  (void)ctx;
  ctr *c = key;
  wctr_mutex_lock(&c->out_lock);
  if (c->log != NULL) svc_log_writer_write(c->log, (int)stream, data, len, mgr_follow_line_locked, c);
  for (mgr_run *r = c->attached; r != NULL; r = r->next) run_output_locked(r, stream, data, len);
  wctr_mutex_unlock(&c->out_lock);
}

static void on_oom(void *ctx, void *key) {
  svc_manager *m = ctx;
  ctr *c = key;
  wctr_mutex_lock(&m->lock);
  bool first = !c->oom;
  c->oom = true;
  char id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
  snprintf(id, sizeof id, "%s", c->rec.id);
  snprintf(name, sizeof name, "%s", c->rec.name);
  wctr_mutex_unlock(&m->lock);
  if (!first) return;
  wctr_log(WCTR_LOG_WARN, "container %s reached its memory limit", name);
  mgr_emit(m, "oom", id, name, 0);
}

static void on_exited(void *ctx, void *key, const rt_exit *x) {
  svc_manager *m = ctx;
  ctr *c = key;
  wctr_mutex_lock(&m->lock);
  c->exit = *x;
  c->exit_arrived = true;
  bool finalize = false;
  /* While the start is still returning, the start's completion takes it from here. */
  if (!c->starting && c->task != NULL && !c->releasing) {
    c->releasing = true;
    finalize = c->task_uses == 0;
  }
  wctr_mutex_unlock(&m->lock);
  if (finalize) mgr_pool(m, finalize_job, c);
}

rt_events mgr_runtime_events(svc_manager *m) {
  return (rt_events){.ctx = m, .output = on_output, .oom = on_oom, .exited = on_exited};
}

/* --- the exit ------------------------------------------------------------------------------------------------ */

struct mgr_waiter {
  svc_manager *m;
  ctr *c;
  svc_sink *sink;
  bool finished; /* m->lock */
  mgr_waiter *next;
};

struct mgr_stopper {
  svc_manager *m;
  ctr *c;
  uint32_t timeout_ms;
  bool kill_now;
  bool once;          /* kill -s TERM: the stop signal is delivered and that is all (no clock, no kill after) */
  int phase;          /* 0: the stop signal is out, 1: the kill is out */
  bool initiated;     /* m->lock */
  bool finished;      /* m->lock */
  int refs;           /* m->lock: the list, a pending timer, a pending signal */
  mgr_tmr *timer;     /* m->lock */
  mgr_done_fn done;
  void *arg;
  mgr_stopper *next;
};

static void stopper_unref(svc_manager *m, mgr_stopper *s);
static void restart_schedule_locked(svc_manager *m, ctr *c, int64_t count);

void mgr_finalize(svc_manager *m, ctr *c) {
  WCTR_ASSERT_NOT_HELD(&m->lock);
  wctr_mutex_lock(&m->lock);
  rt_task *t = c->task;
  wctr_mutex_unlock(&m->lock);
  /* The run goes first (its job, compute systems, filters, secrets): whoever sees the container exited may
   * start it again at once. */
  if (t != NULL) t->runtime->methods->release(t);
  mgr_health_end(m, c);

  mgr_run *runs = NULL; /* detached, to finish: linked through next, which nobody else reads any more */
  wctr_mutex_lock(&c->out_lock);
  if (c->log != NULL) {
    svc_log_writer_flush(c->log, mgr_follow_line_locked, c);
    svc_log_writer_close(c->log);
    c->log = NULL;
  }
  while (c->attached != NULL) {
    mgr_run *r = c->attached;
    run_detach_locked(r);
    if (!r->finished) {
      r->finished = true;
      r->next = runs;
      runs = r;
    }
  }
  mgr_follow *followers = mgr_follow_detach_locked(c);
  wctr_mutex_unlock(&c->out_lock);

  mgr_waiter *waiters = NULL;
  mgr_stopper *stoppers = NULL;
  char stamp[40];
  wctr_time_now_iso8601(stamp, sizeof stamp);
  wctr_mutex_lock(&m->lock);
  c->task = NULL;
  c->releasing = false;
  c->exit_arrived = false;
  wctr_errmsg e;
  svc_container_transition(&c->rec, SVC_EVENT_EXIT, &e);
  svc_container_state *st = &c->rec.state;
  st->exit_code = c->exit.code;
  st->oom_killed = c->exit.oom_killed || c->oom;
  st->pid = 0;
  st->paused = false; /* a paused run that ends is no longer paused (Docker's SetStopped) */
  snprintf(st->error, sizeof st->error, "%s", c->exit.why);
  snprintf(st->finished_at, sizeof st->finished_at, "%s", stamp);
  waiters = c->waiters;
  c->waiters = NULL;
  for (mgr_waiter *w = waiters; w != NULL; w = w->next) w->finished = true;
  stoppers = c->stoppers;
  c->stoppers = NULL;
  for (mgr_stopper *s = stoppers; s != NULL; s = s->next) {
    s->finished = true;
    if (s->timer != NULL && mgr_timer_cancel(m, s->timer, NULL)) s->refs--;
    s->timer = NULL;
  }
  bool auto_remove = c->rec.spec.auto_remove;
  int64_t code = st->exit_code;
  bool oom = st->oom_killed;
  bool restart = !auto_remove && !c->unlinked &&
                 spec_restart_on_exit(&c->rec.spec.restart, code, st->restart_count, st->manually_stopped, m->stopping);
  if (restart) restart_schedule_locked(m, c, st->restart_count);
  char id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
  snprintf(id, sizeof id, "%s", c->rec.id);
  snprintf(name, sizeof name, "%s", c->rec.name);
  wctr_mutex_unlock(&m->lock);

  /* An --rm container's record is about to go; writing its exit first would only cost a flush. */
  if (!auto_remove) mgr_save(m, c);
  wctr_log(WCTR_LOG_INFO, "container %s exited with code %lld%s", name, (long long)code,
           oom ? " (memory limit reached)" : "");
  mgr_emit(m, "die", id, name, code);
  /* Each is finished after its successor is read: a finished sink may free its operation at once. */
  while (runs != NULL) {
    mgr_run *run = runs;
    runs = run->next;
    cJSON *r = cJSON_CreateObject();
    if (r != NULL) {
      cJSON_AddNumberToObject(r, "ExitCode", (double)code);
      cJSON_AddBoolToObject(r, "OOMKilled", oom);
    }
    svc_sink_finish(run->sink, r != NULL ? WCTR_OK : WCTR_ENOMEM, r, r != NULL ? NULL : "out of memory");
  }
  mgr_follow_ended(m, followers);
  while (waiters != NULL) {
    mgr_waiter *w = waiters;
    waiters = w->next;
    cJSON *r = cJSON_CreateObject();
    if (r != NULL) cJSON_AddNumberToObject(r, "StatusCode", (double)code);
    svc_sink_finish(w->sink, r != NULL ? WCTR_OK : WCTR_ENOMEM, r, r != NULL ? NULL : "out of memory");
  }
  while (stoppers != NULL) {
    mgr_stopper *s = stoppers;
    stoppers = s->next;
    s->done(m, c, s->arg, WCTR_OK, NULL);
    stopper_unref(m, s);
  }
  if (auto_remove) {
    wctr_errmsg re;
    if (mgr_remove_now(m, c, &re) != WCTR_OK) {
      wctr_log(WCTR_LOG_ERROR, "container %s (--rm): %s", name, re.text);
    } else {
      /* Docker's --rm removes the container's anonymous volumes with it. */
      mgr_volumes_drop_anonymous(m, &c->rec.spec);
    }
  }
  mgr_release(m, c); /* the run's */
}

/* --- start ----------------------------------------------------------------------------------------------------- */

typedef struct start_job {
  svc_manager *m;
  ctr *c;
  svc_state before;
  int64_t restart_count;
  int retries;
  mgr_done_fn done;
  void *arg;
  mgr_args args;
} start_job;

typedef struct signal_job {
  svc_manager *m;
  mgr_stopper *s;
  rt_task *t;
  rt_signal sig;
} signal_job;

static void signal_run(void *arg);

/* Sends the stopper's next signal (m->lock held); the job to schedule once the lock is released, or NULL
 * when there is no task to signal (the exit is on its way). */
static signal_job *stopper_initiate_locked(svc_manager *m, mgr_stopper *s) {
  WCTR_ASSERT_HELD(&m->lock);
  s->initiated = true;
  rt_task *t = mgr_task_get_locked(m, s->c);
  if (t == NULL) return NULL;
  signal_job *j = malloc(sizeof *j);
  if (j == NULL) {
    s->c->task_uses--; /* no call will be made */
    return NULL;
  }
  bool kill = s->kill_now || s->phase == 1;
  if (kill) s->phase = 1;
  *j = (signal_job){.m = m, .s = s, .t = t, .sig = kill ? RT_SIGNAL_KILL : RT_SIGNAL_STOP};
  s->refs++;
  return j;
}

static void start_run(void *arg);

static void start_retry(void *arg) {
  start_job *j = arg;
  mgr_pool(j->m, start_run, j);
}

static void start_run(void *arg) {
  start_job *j = arg;
  svc_manager *m = j->m;
  ctr *c = j->c;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = WCTR_OK;

  wctr_mutex_lock(&c->out_lock);
  if (c->log == NULL) {
    if (mgr_log_writer_open(m, c, &j->args, &c->log, &e) != WCTR_OK) {
      wctr_log(WCTR_LOG_ERROR, "container %s: %s; its output will reach attached clients only", c->rec.name, e.text);
      c->log = NULL;
    }
  }
  wctr_mutex_unlock(&c->out_lock);

  rt_task *t = NULL;
  rt_started info;
  memset(&info, 0, sizeof info);
  err = c->rt->methods->start(c->rt, &j->args.a, &t, &info, &e);
  if (err == WCTR_EEXIST && j->retries < START_RETRIES) {
    wctr_mutex_lock(&m->lock);
    bool go_on = !c->unlinked && c->stoppers == NULL && !m->stopping;
    wctr_mutex_unlock(&m->lock);
    if (go_on) {
      j->retries++;
      if (mgr_timer(m, START_RETRY_MS, start_retry, j) != NULL) return;
    }
  }

  signal_job *signals[16];
  size_t nsignals = 0;
  mgr_stopper *unneeded = NULL;
  bool finalize = false;
  char stamp[40];
  wctr_time_now_iso8601(stamp, sizeof stamp);
  wctr_mutex_lock(&m->lock);
  c->starting = false;
  svc_container_state *st = &c->rec.state;
  if (err != WCTR_OK) {
    st->status = j->before;
    snprintf(st->error, sizeof st->error, "%s", e.text);
    /* Nothing runs: a stop asked for meanwhile is done. */
    unneeded = c->stoppers;
    c->stoppers = NULL;
    for (mgr_stopper *s = unneeded; s != NULL; s = s->next) s->finished = true;
  } else {
    c->task = t;
    st->pid = info.pid;
    snprintf(c->rec.identity, sizeof c->rec.identity, "%s", info.identity);
    cJSON_Delete(c->rec.runtime);
    c->rec.runtime = info.state;
    info.state = NULL;
    snprintf(st->started_at, sizeof st->started_at, "%s", stamp);
    st->error[0] = '\0';
    st->exit_code = 0;
    st->oom_killed = false;
    st->finished_at[0] = '\0';
    st->restart_count = j->restart_count;
    if (j->restart_count == 0) st->manually_stopped = false;
    if (c->exit_arrived) {
      c->releasing = true;
      finalize = c->task_uses == 0;
    } else {
      mgr_health_begin_locked(m, c);
    }
    for (mgr_stopper *s = c->stoppers; s != NULL && nsignals < sizeof signals / sizeof signals[0]; s = s->next) {
      if (s->initiated) continue;
      signal_job *sj = stopper_initiate_locked(m, s);
      if (sj != NULL) signals[nsignals++] = sj;
    }
  }
  char name[SVC_NAME_MAX + 1], id[SVC_ID_HEX + 1];
  snprintf(name, sizeof name, "%s", c->rec.name);
  snprintf(id, sizeof id, "%s", c->rec.id);
  uint32_t pid = st->pid;
  wctr_mutex_unlock(&m->lock);
  cJSON_Delete(info.state);

  if (err != WCTR_OK) {
    wctr_mutex_lock(&c->out_lock);
    svc_log_writer_close(c->log);
    c->log = NULL;
    wctr_mutex_unlock(&c->out_lock);
  }
  mgr_save(m, c);
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "container %s started (pid %u)", name, pid);
    mgr_emit(m, "start", id, name, 0);
    attached_started(m, c);
  }
  for (size_t i = 0; i < nsignals; i++) mgr_pool(m, signal_run, signals[i]);
  while (unneeded != NULL) {
    mgr_stopper *s = unneeded;
    unneeded = s->next;
    s->done(m, c, s->arg, WCTR_OK, NULL);
    stopper_unref(m, s);
  }
  j->done(m, c, j->arg, err, e.text);
  if (finalize) mgr_pool(m, finalize_job, c);
  if (err != WCTR_OK) mgr_release(m, c); /* the run's: there is no run */
  mgr_args_free(&j->args);
  free(j);
}

void mgr_start(svc_manager *m, ctr *c, int64_t restart_count, mgr_done_fn done, void *arg) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = WCTR_OK;
  start_job *j = calloc(1, sizeof *j);
  if (j == NULL) {
    done(m, c, arg, WCTR_ENOMEM, "out of memory");
    return;
  }
  wctr_mutex_lock(&m->lock);
  svc_state before = c->rec.state.status;
  const char *why = NULL;
  if (c->unlinked || c->rec.state.status == SVC_STATE_REMOVING) {
    err = wctr_fail(&e, WCTR_ENOENT, "No such container: %s", c->rec.name);
  } else if (m->stopping) {
    err = wctr_fail(&e, WCTR_ECANCELED, "wctrd is stopping");
  } else if (c->starting || c->releasing) {
    err = wctr_fail(&e, WCTR_ESTATE, "container %s is %s", c->rec.name, c->starting ? "starting" : "stopping");
  } else if (c->copying) {
    err = wctr_fail(&e, WCTR_EBUSY, MGR_COPYING_MESSAGE, c->rec.name, "started");
  } else if (c->rt == NULL) {
    err = wctr_fail(&e, WCTR_ENOTSUP, "%s isolation is not available on this host",
                    spec_isolation_name(c->rec.spec.isolation));
  } else if (!c->rt->methods->available(c->rt, &why)) {
    err = wctr_fail(&e, WCTR_ENOTSUP, "%s isolation needs the Host Compute Service: %s. Use --isolation=job to run "
                    "the command in a job object on the host", spec_isolation_name(c->rec.spec.isolation),
                    why != NULL ? why : "it is not available");
  } else {
    err = svc_container_transition(&c->rec, SVC_EVENT_START, &e);
  }
  if (err == WCTR_OK) {
    if (restart_count == 0) mgr_restart_cancel_locked(m, c);
    err = mgr_args_fill_locked(m, c, &j->args, &e);
    if (err != WCTR_OK) c->rec.state.status = before;
  }
  if (err == WCTR_OK) {
    c->starting = true;
    c->exit_arrived = false;
    c->oom = false;
    mgr_ref_locked(m, c); /* the run's */
  }
  wctr_mutex_unlock(&m->lock);
  if (err != WCTR_OK) {
    free(j);
    done(m, c, arg, err, e.text);
    return;
  }
  j->m = m;
  j->c = c;
  j->before = before;
  j->restart_count = restart_count;
  j->done = done;
  j->arg = arg;
  mgr_pool(m, start_run, j);
}

/* --- stop and kill ------------------------------------------------------------------------------------------ */

static void stopper_unref(svc_manager *m, mgr_stopper *s) {
  wctr_mutex_lock(&m->lock);
  bool last = --s->refs == 0;
  wctr_mutex_unlock(&m->lock);
  if (!last) return;
  mgr_release(m, s->c);
  free(s);
}

static void stopper_unlink_locked(ctr *c, mgr_stopper *s) {
  for (mgr_stopper **p = &c->stoppers; *p != NULL; p = &(*p)->next) {
    if (*p == s) {
      *p = s->next;
      return;
    }
  }
}

static void stopper_timer(void *arg);

static void signal_run(void *arg) {
  signal_job *j = arg;
  svc_manager *m = j->m;
  mgr_stopper *s = j->s;
  ctr *c = s->c;
  wctr_errmsg e;
  /* A paused container is resumed first, so that its processes can take the signal (containerd does the same
   * for a stop or kill of a paused task); it stays running until the exit, as Docker's does. */
  wctr_mutex_lock(&m->lock);
  bool paused = c->rec.state.paused;
  wctr_mutex_unlock(&m->lock);
  wctr_err (*resume)(rt_task *, wctr_errmsg *) = RT_RESUME_FN(j->t->runtime->methods);
  if (paused && resume != NULL) {
    if (resume(j->t, &e) != WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "container %s: it could not be resumed before its %s (%s)", c->rec.name,
               j->sig == RT_SIGNAL_STOP ? "stop" : "kill", e.text);
    } else {
      wctr_mutex_lock(&m->lock);
      c->rec.state.paused = false;
      wctr_mutex_unlock(&m->lock);
      mgr_save(m, c);
    }
  }
  /* dockerd's kill event, for each signal it sends (a stop's SIGTERM, the SIGKILL after its timeout, a kill): sent
   * before the signal, so that it always comes before the die the signal brings. */
  cJSON *attrs = cJSON_CreateObject();
  if (attrs != NULL && cJSON_AddStringToObject(attrs, "signal", j->sig == RT_SIGNAL_STOP ? "15" : "9") != NULL) {
    mgr_emit_of(m, c, "kill", attrs);
  }
  cJSON_Delete(attrs);
  if (j->t->runtime->methods->signal(j->t, j->sig, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s signal failed (%s)%s", c->rec.name,
             j->sig == RT_SIGNAL_STOP ? "the stop" : "the kill", e.text,
             j->sig == RT_SIGNAL_STOP ? "; it will be terminated" : "");
  }
  mgr_task_put(m, c);
  if (s->once) {
    /* dockerd on Windows answers a kill with another signal once the shutdown is asked for, not at the exit. */
    wctr_mutex_lock(&m->lock);
    bool finish = !s->finished;
    if (finish) {
      s->finished = true;
      stopper_unlink_locked(c, s);
    }
    wctr_mutex_unlock(&m->lock);
    if (finish) {
      s->done(m, c, s->arg, WCTR_OK, NULL);
      stopper_unref(m, s); /* the list's */
    }
    stopper_unref(m, s);
    free(j);
    return;
  }
  bool no_clock = false;
  wctr_mutex_lock(&m->lock);
  if (!s->finished && s->timer == NULL) {
    /* The clock starts once the signal is out: the stop timeout, then the kill's own wait. */
    uint32_t ms = s->phase == 0 ? s->timeout_ms : m->kill_wait_ms;
    s->refs++;
    s->timer = mgr_timer(m, ms, stopper_timer, s);
    /* Without a timer nothing would ever move the stop on (a container that ignores the stop signal would
     * keep its stopper waiting for ever): the next step comes now, with the timer's reference. */
    no_clock = s->timer == NULL;
  }
  wctr_mutex_unlock(&m->lock);
  if (no_clock) stopper_timer(s);
  stopper_unref(m, s);
  free(j);
}

static void stopper_timer(void *arg) {
  mgr_stopper *s = arg;
  svc_manager *m = s->m;
  ctr *c = s->c;
  signal_job *next = NULL;
  bool give_up = false;
  wctr_mutex_lock(&m->lock);
  s->timer = NULL;
  if (!s->finished) {
    if (s->phase == 0) {
      s->phase = 1;
      next = stopper_initiate_locked(m, s);
      if (next == NULL) {
        /* No task to kill (the exit is being processed): wait the kill's time for it. */
        s->refs++;
        s->timer = mgr_timer(m, m->kill_wait_ms, stopper_timer, s);
        if (s->timer == NULL) s->refs--;
      }
    } else {
      give_up = true;
      s->finished = true;
      stopper_unlink_locked(c, s);
    }
  }
  char name[SVC_NAME_MAX + 1];
  snprintf(name, sizeof name, "%s", c->rec.name);
  wctr_mutex_unlock(&m->lock);
  if (next != NULL) mgr_pool(m, signal_run, next);
  if (give_up) {
    char msg[300];
    snprintf(msg, sizeof msg, "container %s did not exit within %u s of being terminated", name,
             (unsigned)(m->kill_wait_ms / 1000));
    s->done(m, c, s->arg, WCTR_ETIMEDOUT, msg);
    stopper_unref(m, s); /* the list's */
  }
  stopper_unref(m, s); /* the timer's */
}

static void stopper_begin(svc_manager *m, ctr *c, uint32_t timeout_ms, bool kill_now, bool once, mgr_done_fn done,
                          void *arg) {
  mgr_stopper *s = calloc(1, sizeof *s);
  if (s == NULL) {
    done(m, c, arg, WCTR_ENOMEM, "out of memory");
    return;
  }
  *s = (mgr_stopper){.m = m, .c = c, .timeout_ms = timeout_ms, .kill_now = kill_now, .once = once, .done = done,
                     .arg = arg, .refs = 1};
  signal_job *j = NULL;
  wctr_mutex_lock(&m->lock);
  bool running = c->rec.state.status == SVC_STATE_RUNNING;
  if (running) {
    mgr_ref_locked(m, c); /* the stopper's */
    s->next = c->stoppers;
    c->stoppers = s;
    /* While the start is in progress the signal waits for it; while the exit is being processed there is
     * nothing to signal. */
    if (!c->starting && !c->releasing) j = stopper_initiate_locked(m, s);
  }
  wctr_mutex_unlock(&m->lock);
  if (!running) {
    free(s);
    done(m, c, arg, WCTR_OK, NULL);
    return;
  }
  if (j != NULL) mgr_pool(m, signal_run, j);
}

void mgr_stop(svc_manager *m, ctr *c, uint32_t timeout_ms, bool kill_now, mgr_done_fn done, void *arg) {
  stopper_begin(m, c, timeout_ms, kill_now, false, done, arg);
}

/* --- removal ----------------------------------------------------------------------------------------------------- */

wctr_err mgr_remove_now(svc_manager *m, ctr *c, wctr_errmsg *e) {
  WCTR_ASSERT_NOT_HELD(&m->lock);
  mgr_args args;
  memset(&args, 0, sizeof args);
  wctr_mutex_lock(&m->lock);
  if (c->unlinked) {
    /* Removed meanwhile (--rm, or another rm): true only once that removal has finished; while it is in
     * progress it may still fail and bring the container back, so this one cannot say it is gone. */
    bool removed = c->removed;
    if (!removed) wctr_fail(e, WCTR_ESTATE, "removal of container %s is already in progress", c->rec.name);
    wctr_mutex_unlock(&m->lock);
    return removed ? WCTR_OK : WCTR_ESTATE;
  }
  svc_state before = c->rec.state.status;
  wctr_err err = c->starting  ? wctr_fail(e, WCTR_ESTATE, "container %s is starting", c->rec.name)
                 : c->copying ? wctr_fail(e, WCTR_EBUSY, MGR_COPYING_MESSAGE, c->rec.name, "removed")
                              : svc_container_transition(&c->rec, SVC_EVENT_REMOVE, e);
  if (err == WCTR_OK) err = mgr_args_fill_locked(m, c, &args, e);
  if (err != WCTR_OK) {
    if (c->rec.state.status == SVC_STATE_REMOVING) c->rec.state.status = before;
    wctr_mutex_unlock(&m->lock);
    return err;
  }
  mgr_restart_cancel_locked(m, c);
  for (ctr **p = &m->list; *p != NULL; p = &(*p)->next) {
    if (*p == c) {
      *p = c->next;
      break;
    }
  }
  c->unlinked = true;
  char id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
  snprintf(id, sizeof id, "%s", c->rec.id);
  snprintf(name, sizeof name, "%s", c->rec.name);
  wctr_mutex_unlock(&m->lock);
  /* Clients attached to a container that will never run again (container.attach before a start) are told. */
  mgr_run *waiting = NULL;
  wctr_mutex_lock(&c->out_lock);
  while (c->attached != NULL) {
    mgr_run *r = c->attached;
    run_detach_locked(r);
    if (!r->finished) {
      r->finished = true;
      r->next = waiting;
      waiting = r;
    }
  }
  wctr_mutex_unlock(&c->out_lock);
  while (waiting != NULL) {
    mgr_run *r = waiting;
    waiting = r->next;
    char msg[200];
    snprintf(msg, sizeof msg, "container %s was removed", name);
    svc_sink_finish(r->sink, WCTR_ENOENT, NULL, msg);
  }
  if (c->rt != NULL) c->rt->methods->remove(c->rt, &args.a);
  mgr_args_free(&args);
  wctr_errmsg se;
  /* Under the save lock: a save in flight (a start that is still returning) finishes first, and none
   * comes after. */
  wctr_mutex_lock(&c->save_lock);
  c->deleted = true;
  wctr_err removed = svc_store_remove(m->store, id, &se);
  wctr_mutex_unlock(&c->save_lock);
  if (removed != WCTR_OK) {
    char path[1300];
    svc_store_path(m->store, id, NULL, path, sizeof path);
    if (wctr_fs_exists(path)) {
      /* Not even renamed aside: the container would come back at the next start. It stays, and says so. */
      wctr_mutex_lock(&c->save_lock);
      c->deleted = false;
      wctr_mutex_unlock(&c->save_lock);
      wctr_mutex_lock(&m->lock);
      c->unlinked = false;
      c->rec.state.status = before;
      c->next = m->list;
      m->list = c;
      wctr_mutex_unlock(&m->lock);
      return wctr_fail(e, WCTR_EIO, "container %s was not removed: %s", name, se.text);
    }
    wctr_log(WCTR_LOG_WARN, "container %s: %s (the rest goes at the next start)", name, se.text);
  }
  wctr_mutex_lock(&m->lock);
  c->removed = true;
  wctr_mutex_unlock(&m->lock);
  wctr_log(WCTR_LOG_INFO, "container %s removed", name);
  mgr_emit(m, "destroy", id, name, 0);
  mgr_release(m, c); /* the list's */
  return WCTR_OK;
}

/* --- restart policies ------------------------------------------------------------------------------------------ */

typedef struct restart_arg {
  ctr *c;
  uint64_t gen;
  int64_t count; /* the restart this one will be */
} restart_arg;

void mgr_restart_cancel_locked(svc_manager *m, ctr *c) {
  WCTR_ASSERT_HELD(&m->lock);
  if (c->restart_timer == NULL) return;
  void *arg = NULL;
  if (mgr_timer_cancel(m, c->restart_timer, &arg)) {
    free(arg);
    c->refs--; /* the timer's; the caller holds another */
  }
  c->restart_timer = NULL;
  c->restart_gen++;
}

static void restart_done(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  (void)m;
  int64_t count = (int64_t)(intptr_t)arg;
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "container %s restarted by its restart policy (%s, restart %lld)", c->rec.name,
             spec_restart_name_text(c->rec.spec.restart.name), (long long)count);
  } else {
    wctr_log(WCTR_LOG_ERROR, "container %s: restart policy %s: %s", c->rec.name,
             spec_restart_name_text(c->rec.spec.restart.name), message);
  }
}

static void restart_fired(void *p) {
  restart_arg *a = p;
  ctr *c = a->c;
  svc_manager *m = c->m;
  wctr_mutex_lock(&m->lock);
  bool ours = a->gen == c->restart_gen && c->restart_timer != NULL;
  if (ours) c->restart_timer = NULL;
  bool go = ours && !c->unlinked && c->rec.state.status == SVC_STATE_EXITED && !c->rec.state.manually_stopped &&
            !m->stopping;
  wctr_mutex_unlock(&m->lock);
  if (go) mgr_start(m, c, a->count, restart_done, (void *)(intptr_t)a->count);
  mgr_release(m, c); /* the timer's */
  free(a);
}

/* Docker's restart manager: after an exit, the restart waits 100 ms doubled per restart (at most 10 s). */
static void restart_schedule_locked(svc_manager *m, ctr *c, int64_t count) {
  WCTR_ASSERT_HELD(&m->lock);
  mgr_restart_cancel_locked(m, c);
  restart_arg *a = malloc(sizeof *a);
  if (a == NULL) return;
  *a = (restart_arg){.c = c, .gen = c->restart_gen, .count = count + 1};
  mgr_ref_locked(m, c);
  c->restart_timer = mgr_timer(m, spec_restart_delay_ms(count), restart_fired, a);
  if (c->restart_timer == NULL) {
    c->refs--;
    free(a);
  }
}

static void started_at_service_start(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  (void)m;
  (void)arg;
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "container %s started again by its restart policy (%s)", c->rec.name,
             spec_restart_name_text(c->rec.spec.restart.name));
  } else {
    wctr_log(WCTR_LOG_ERROR, "container %s: restart policy %s at start: %s", c->rec.name,
             spec_restart_name_text(c->rec.spec.restart.name), message);
  }
  mgr_release(m, c);
}

void mgr_restart_at_service_start(svc_manager *m) {
  ctr *todo[1024];
  size_t n = 0;
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL && n < sizeof todo / sizeof todo[0]; c = c->next) {
    if (c->rec.state.status == SVC_STATE_RUNNING || c->creating) continue;
    if (!spec_restart_on_service_start(&c->rec.spec.restart, c->rec.state.started_at[0] != '\0',
                                       c->rec.state.manually_stopped)) {
      continue;
    }
    mgr_ref_locked(m, c);
    todo[n++] = c;
  }
  wctr_mutex_unlock(&m->lock);
  for (size_t i = 0; i < n; i++) mgr_start(m, todo[i], 0, started_at_service_start, NULL);
}

/* --- operations --------------------------------------------------------------------------------------------------- */

static void sink_done(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  svc_sink *sink = arg;
  if (err == WCTR_OK) {
    svc_sink_finish(sink, WCTR_OK, cJSON_CreateObject(), NULL);
  } else {
    svc_sink_finish(sink, err, NULL, message);
  }
  mgr_release(m, c);
}

/* A stop of a running container that ended it: dockerd's stop event, then the answer. */
static void stopped_done(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  if (err == WCTR_OK) mgr_emit_of(m, c, "stop", NULL);
  sink_done(m, c, arg, err, message);
}

static void start_done(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  /* --rm: a container that cannot start is removed too, as Docker does. */
  if (err != WCTR_OK && err != WCTR_ESTATE && c->rec.spec.auto_remove) {
    wctr_errmsg e;
    mgr_remove_now(m, c, &e);
  }
  sink_done(m, c, arg, err, message);
}

static void restart_started(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  if (err == WCTR_OK) {
    wctr_mutex_lock(&m->lock);
    char id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
    snprintf(id, sizeof id, "%s", c->rec.id);
    snprintf(name, sizeof name, "%s", c->rec.name);
    wctr_mutex_unlock(&m->lock);
    mgr_emit(m, "restart", id, name, 0);
  }
  start_done(m, c, arg, err, message);
}

void mgr_op_start(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_err err = mgr_find_param(m, params, NULL, &c, &e);
  if (err != WCTR_OK) {
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  /* Starting a container that runs already is Docker's 304 Not Modified: nothing to do, and no error. */
  wctr_mutex_lock(&m->lock);
  bool running = c->rec.state.status == SVC_STATE_RUNNING && !c->starting && !c->releasing;
  bool paused = c->rec.state.paused;
  wctr_mutex_unlock(&m->lock);
  if (running && paused) {
    sink_done(m, c, sink, WCTR_ESTATE, "cannot start a paused container, try unpause instead"); /* Docker's 409 */
    return;
  }
  if (running) {
    /* {"NotModified":true} lets a front-end that has the distinction (the Engine API's 304) make it. */
    cJSON *result = cJSON_CreateObject();
    if (result == NULL || cJSON_AddTrueToObject(result, "NotModified") == NULL) {
      cJSON_Delete(result);
      sink_done(m, c, sink, WCTR_ENOMEM, "out of memory");
      return;
    }
    svc_sink_finish(sink, WCTR_OK, result, NULL);
    mgr_release(m, c);
    return;
  }
  mgr_start(m, c, 0, start_done, sink);
}

static void run_started(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  mgr_run *r = arg;
  if (err != WCTR_OK) {
    /* --rm: removed before the answer, as Docker's daemon does, so the container is gone when the client
     * hears of the failure; this client is taken off the attached list first, to hear why the start failed
     * rather than the "was removed" the removal tells the others. */
    if (err != WCTR_ESTATE && c->rec.spec.auto_remove) {
      wctr_mutex_lock(&c->out_lock);
      run_detach_locked(r);
      wctr_mutex_unlock(&c->out_lock);
      wctr_errmsg e;
      mgr_remove_now(m, c, &e);
    }
    run_finish(r, err, NULL, message);
    run_unref(r);
    return;
  }
  wctr_mutex_lock(&m->lock);
  r->started = true;
  char *pending = r->pending;
  size_t pending_len = r->pending_len;
  bool eof = r->pending_eof;
  r->pending = NULL;
  r->pending_len = 0;
  if (eof) r->stdin_open = false;
  rt_task *t = pending_len > 0 || eof ? mgr_task_get_locked(m, c) : NULL;
  wctr_mutex_unlock(&m->lock);
  if (t != NULL) stdin_deliver(m, c, t, pending, pending_len, eof);
  free(pending);
  run_unref(r);
}

void mgr_op_run(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_err err = mgr_find_param(m, params, NULL, &c, &e);
  mgr_run *r = err == WCTR_OK ? calloc(1, sizeof *r) : NULL;
  if (err == WCTR_OK && r == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *r = (mgr_run){.m = m, .c = c, .sink = sink, .refs = 2};
  sink->op_ctx = r;
  sink->on_input = run_input;
  sink->on_close = run_close;
  sink->on_release = run_release;
  /* Attached before the start, so not a byte of output is missed. */
  wctr_mutex_lock(&c->out_lock);
  r->next = c->attached;
  c->attached = r;
  r->attached = true;
  wctr_mutex_unlock(&c->out_lock);
  wctr_mutex_lock(&m->lock);
  r->stdin_open = c->rec.spec.process.open_stdin;
  wctr_mutex_unlock(&m->lock);
  mgr_start(m, c, 0, run_started, r);
}

/* container.attach: a client joins the output (and, with Stdin, the input) of the container's current run, or of
 * its next one when it is not running; finished with {"ExitCode","OOMKilled"} when that run ends. */
void mgr_op_attach(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  static const char *const keys[] = {"Stdin", NULL};
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  bool want_stdin = false;
  wctr_err err = mgr_find_param(m, params, keys, &c, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Stdin", "params", false, &want_stdin, &e);
  mgr_run *r = err == WCTR_OK ? calloc(1, sizeof *r) : NULL;
  if (err == WCTR_OK && r == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *r = (mgr_run){.m = m, .c = c, .sink = sink, .refs = 1};
  sink->op_ctx = r;
  sink->on_input = run_input;
  sink->on_close = run_close;
  sink->on_release = run_release;
  wctr_mutex_lock(&m->lock);
  wctr_mutex_lock(&c->out_lock);
  bool removed = c->unlinked;
  if (!removed) {
    r->next = c->attached;
    c->attached = r;
    r->attached = true;
  }
  wctr_mutex_unlock(&c->out_lock);
  r->stdin_open = want_stdin && c->rec.spec.process.open_stdin;
  r->started = c->task != NULL && !c->releasing;
  wctr_mutex_unlock(&m->lock);
  if (removed) run_finish(r, WCTR_ENOENT, NULL, "No such container");
}

typedef struct stop_req {
  svc_manager *m;
  ctr *c;
  svc_sink *sink;
  int64_t timeout_s; /* < 0: the container's own */
  bool kill;
  bool once;         /* kill with a signal other than KILL */
  bool force;        /* remove */
} stop_req;

static void stop_begin(void *arg) {
  stop_req *q = arg;
  svc_manager *m = q->m;
  ctr *c = q->c;
  wctr_mutex_lock(&m->lock);
  /* A stop or kill by a user: the restart policy must not bring the container back (Docker's
   * HasBeenManuallyStopped), also when it is between two restarts. */
  c->rec.state.manually_stopped = true;
  mgr_restart_cancel_locked(m, c);
  int64_t timeout = q->timeout_s >= 0 ? q->timeout_s : c->rec.spec.stop_timeout;
  /* dockerd's stop event comes from a stop of a running container only (a kill has its kill event). */
  bool stop_event = !q->kill && c->rec.state.status == SVC_STATE_RUNNING;
  wctr_mutex_unlock(&m->lock);
  mgr_save(m, c);
  if (q->once) {
    stopper_begin(m, c, 0, false, true, sink_done, q->sink);
  } else {
    mgr_stop(m, c, (uint32_t)timeout * 1000u, q->kill, stop_event ? stopped_done : sink_done, q->sink);
  }
  free(q);
}

wctr_err svc_kill_signal_parse(const char *text, bool *once, wctr_errmsg *e) {
  *once = false;
  if (text == NULL || text[0] == '\0') return WCTR_OK;
  const char *digits = (text[0] == '+' || text[0] == '-') ? text + 1 : text;
  bool number = digits[0] != '\0' && strspn(digits, "0123456789") == strlen(digits);
  if (number) {
    errno = 0;
    long long n = strtoll(text, NULL, 10);
    if (errno != 0 || n == 0) return wctr_fail(e, WCTR_EINVAL, "Invalid signal: %s", text);
    if (n != 9 && n != 15) {
      return wctr_fail(e, WCTR_EINVAL, "The windows daemon does not support signal %lld", n);
    }
    *once = n == 15;
    return WCTR_OK;
  }
  char name[16];
  size_t len = strlen(text);
  if (len >= sizeof name) return wctr_fail(e, WCTR_EINVAL, "Invalid signal: %.64s", text);
  for (size_t i = 0; i <= len; i++) name[i] = (char)toupper((unsigned char)text[i]);
  const char *bare = strncmp(name, "SIG", 3) == 0 ? name + 3 : name;
  if (strcmp(bare, "KILL") == 0) return WCTR_OK;
  if (strcmp(bare, "TERM") == 0) {
    *once = true;
    return WCTR_OK;
  }
  return wctr_fail(e, WCTR_EINVAL, "Invalid signal: %s", text);
}

static void stop_or_kill(svc_manager *m, const cJSON *params, svc_sink *sink, bool kill) {
  static const char *const stop_keys[] = {"Timeout", NULL};
  static const char *const kill_keys[] = {"Signal", NULL};
  ctr *c = NULL;
  wctr_errmsg e;
  int64_t timeout = -1;
  bool once = false;
  wctr_err err = mgr_find_param(m, params, kill ? kill_keys : stop_keys, &c, &e);
  if (err == WCTR_OK && !kill) {
    err = wctr_json_get_int64(params, "Timeout", "params", false, 0, SPEC_MAX_STOP_TIMEOUT, &timeout, &e);
  }
  if (err == WCTR_OK && kill) {
    const char *sig = NULL;
    err = wctr_json_get_string(params, "Signal", "params", false, &sig, &e);
    if (err == WCTR_OK) err = svc_kill_signal_parse(sig, &once, &e);
  }
  stop_req *q = err == WCTR_OK ? malloc(sizeof *q) : NULL;
  if (err == WCTR_OK && q == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *q = (stop_req){.m = m, .c = c, .sink = sink, .timeout_s = timeout, .kill = kill, .once = once};
  mgr_pool(m, stop_begin, q);
}

void mgr_op_stop(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  stop_or_kill(ctx, params, sink, false);
}

void mgr_op_kill(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  stop_or_kill(ctx, params, sink, true);
}

/* container.restart: stop (the stop signal, the kill after Timeout), then start; a container that is not
 * running is just started, as Docker does. */
static void restart_after_stop(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  svc_sink *sink = arg;
  if (err != WCTR_OK) {
    sink_done(m, c, sink, err, message);
    return;
  }
  mgr_start(m, c, 0, restart_started, sink);
}

static void restart_begin(void *arg) {
  stop_req *q = arg;
  svc_manager *m = q->m;
  ctr *c = q->c;
  wctr_mutex_lock(&m->lock);
  c->rec.state.manually_stopped = true; /* the exit that follows is not one for the restart policy */
  mgr_restart_cancel_locked(m, c);
  int64_t timeout = q->timeout_s >= 0 ? q->timeout_s : c->rec.spec.stop_timeout;
  wctr_mutex_unlock(&m->lock);
  mgr_stop(m, c, (uint32_t)timeout * 1000u, false, restart_after_stop, q->sink);
  free(q);
}

void mgr_op_restart(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  static const char *const keys[] = {"Timeout", NULL};
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  int64_t timeout = -1;
  wctr_err err = mgr_find_param(m, params, keys, &c, &e);
  if (err == WCTR_OK) err = wctr_json_get_int64(params, "Timeout", "params", false, 0, SPEC_MAX_STOP_TIMEOUT, &timeout, &e);
  stop_req *q = err == WCTR_OK ? malloc(sizeof *q) : NULL;
  if (err == WCTR_OK && q == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *q = (stop_req){.m = m, .c = c, .sink = sink, .timeout_s = timeout};
  mgr_pool(m, restart_begin, q);
}

static void remove_after_stop(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  svc_sink *sink = arg;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (err == WCTR_OK) {
    err = mgr_remove_now(m, c, &e);
    message = e.text;
    wctr_mutex_lock(&m->lock);
    bool volumes = c->remove_volumes;
    wctr_mutex_unlock(&m->lock);
    /* rm -v: its anonymous volumes, once no listed container uses them (the container is unlisted now). */
    if (err == WCTR_OK && volumes) mgr_volumes_drop_anonymous(m, &c->rec.spec);
  }
  sink_done(m, c, sink, err, message);
}

static void remove_begin(void *arg) {
  stop_req *q = arg;
  svc_manager *m = q->m;
  ctr *c = q->c;
  wctr_mutex_lock(&m->lock);
  bool running = c->rec.state.status == SVC_STATE_RUNNING;
  bool paused = running && c->rec.state.paused;
  if (running && q->force) {
    c->rec.state.manually_stopped = true;
    mgr_restart_cancel_locked(m, c);
  }
  char id[SVC_ID_HEX + 1];
  snprintf(id, sizeof id, "%s", c->rec.id);
  wctr_mutex_unlock(&m->lock);
  if (paused && !q->force) {
    char msg[200];
    snprintf(msg, sizeof msg, "You cannot remove a paused container %.12s. Unpause and then stop the container before "
             "attempting removal or force remove", id);
    sink_done(m, c, q->sink, WCTR_ESTATE, msg);
  } else if (running && !q->force) {
    char msg[200];
    snprintf(msg, sizeof msg, "You cannot remove a running container %.12s. Stop the container before attempting "
             "removal or force remove", id);
    sink_done(m, c, q->sink, WCTR_ESTATE, msg);
  } else if (running) {
    mgr_stop(m, c, 0, true, remove_after_stop, q->sink);
  } else {
    remove_after_stop(m, c, q->sink, WCTR_OK, NULL);
  }
  free(q);
}

void mgr_op_remove(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  static const char *const keys[] = {"Force", "RemoveVolumes", NULL};
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  bool force = false, volumes = false;
  wctr_err err = mgr_find_param(m, params, keys, &c, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Force", "params", false, &force, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "RemoveVolumes", "params", false, &volumes, &e);
  if (err == WCTR_OK && volumes) {
    wctr_mutex_lock(&m->lock);
    c->remove_volumes = true;
    wctr_mutex_unlock(&m->lock);
  }
  stop_req *q = err == WCTR_OK ? malloc(sizeof *q) : NULL;
  if (err == WCTR_OK && q == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *q = (stop_req){.m = m, .c = c, .sink = sink, .force = force};
  mgr_pool(m, remove_begin, q);
}

/* --- wait --------------------------------------------------------------------------------------------------------- */

static void waiter_close(void *p) {
  mgr_waiter *w = p;
  svc_manager *m = w->m;
  wctr_mutex_lock(&m->lock);
  bool first = !w->finished;
  w->finished = true;
  for (mgr_waiter **pp = &w->c->waiters; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == w) {
      *pp = w->next;
      break;
    }
  }
  wctr_mutex_unlock(&m->lock);
  if (first) svc_sink_finish(w->sink, WCTR_EPIPE, NULL, "the client left");
}

static void waiter_release(void *p) {
  mgr_waiter *w = p;
  mgr_release(w->m, w->c);
  free(w);
}

void mgr_op_wait(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_err err = mgr_find_param(m, params, NULL, &c, &e);
  mgr_waiter *w = err == WCTR_OK ? calloc(1, sizeof *w) : NULL;
  if (err == WCTR_OK && w == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *w = (mgr_waiter){.m = m, .c = c, .sink = sink};
  wctr_mutex_lock(&m->lock);
  bool running = c->rec.state.status == SVC_STATE_RUNNING;
  int64_t code = c->rec.state.exit_code;
  if (running) {
    w->next = c->waiters;
    c->waiters = w;
    sink->op_ctx = w;
    sink->on_close = waiter_close;
    sink->on_release = waiter_release;
  }
  wctr_mutex_unlock(&m->lock);
  if (running) return;
  free(w);
  cJSON *r = cJSON_CreateObject();
  if (r != NULL) cJSON_AddNumberToObject(r, "StatusCode", (double)code);
  svc_sink_finish(sink, r != NULL ? WCTR_OK : WCTR_ENOMEM, r, r != NULL ? NULL : "out of memory");
  mgr_release(m, c);
}

/* --- stats --------------------------------------------------------------------------------------------------------- */

typedef struct stats_op {
  svc_manager *m;
  ctr *c;
  rt_task *t;
  svc_sink *sink;
  rt_stats a, b;
  uint64_t t0, t1;
  wctr_err err;
  wctr_errmsg e;
} stats_op;

static void stats_finish(stats_op *s) {
  svc_manager *m = s->m;
  ctr *c = s->c;
  if (s->t != NULL) mgr_task_put(m, c);
  if (s->err != WCTR_OK) {
    svc_sink_finish(s->sink, s->err, NULL, s->e.text);
  } else {
    cJSON *r = cJSON_CreateObject();
    wctr_mutex_lock(&m->lock);
    int64_t limit = c->rec.spec.resources.memory_bytes;
    if (r != NULL) {
      cJSON_AddStringToObject(r, "Id", c->rec.id);
      cJSON_AddStringToObject(r, "Name", c->rec.name);
    }
    wctr_mutex_unlock(&m->lock);
    double elapsed_100ns = (double)(s->t1 - s->t0) * 1e4;
    double cpu = 0;
    uint64_t used_a = s->a.cpu_100ns, used_b = s->b.cpu_100ns;
    if (s->t != NULL && elapsed_100ns > 0 && used_b >= used_a) cpu = 100.0 * (double)(used_b - used_a) / elapsed_100ns;
    if (r != NULL) {
      cJSON_AddNumberToObject(r, "CPUPercent", cpu);
      cJSON_AddNumberToObject(r, "MemoryUsage", (double)s->b.memory_bytes);
      cJSON_AddNumberToObject(r, "MemoryPeak", (double)s->b.memory_peak_bytes);
      cJSON_AddNumberToObject(r, "MemoryLimit", (double)limit);
      cJSON_AddNumberToObject(r, "ReadBytes", (double)s->b.read_bytes);
      cJSON_AddNumberToObject(r, "WriteBytes", (double)s->b.write_bytes);
      cJSON_AddNumberToObject(r, "Processes", s->b.processes);
      /* The samples themselves, for front-ends that compute the percentage their own way (Docker's Windows
       * stats: CPU time in 100 ns units and the two read times). */
      cJSON_AddNumberToObject(r, "CpuTotal100ns", s->t != NULL ? (double)used_b : 0);
      cJSON_AddNumberToObject(r, "PreCpuTotal100ns", s->t != NULL ? (double)used_a : 0);
      cJSON_AddNumberToObject(r, "SampleMs", s->t != NULL ? (double)(s->t1 - s->t0) : 0);
    }
    svc_sink_finish(s->sink, r != NULL ? WCTR_OK : WCTR_ENOMEM, r, r != NULL ? NULL : "out of memory");
  }
  mgr_release(m, c);
  free(s);
}

static void stats_second(void *arg) {
  stats_op *s = arg;
  s->err = s->t->runtime->methods->stats(s->t, &s->b, &s->e);
  s->t1 = wctr_ioc_now_ms();
  stats_finish(s);
}

static void stats_wait(void *arg) {
  stats_op *s = arg;
  mgr_pool(s->m, stats_second, s);
}

static void stats_first(void *arg) {
  stats_op *s = arg;
  s->err = s->t->runtime->methods->stats(s->t, &s->a, &s->e);
  s->t0 = wctr_ioc_now_ms();
  /* CPU % needs two samples; a quarter second keeps `wctr stats --no-stream` quick. */
  if (s->err != WCTR_OK || mgr_timer(s->m, 250, stats_wait, s) == NULL) stats_finish(s);
}

void mgr_op_stats(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_err err = mgr_find_param(m, params, NULL, &c, &e);
  stats_op *s = err == WCTR_OK ? calloc(1, sizeof *s) : NULL;
  if (err == WCTR_OK && s == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *s = (stats_op){.m = m, .c = c, .sink = sink};
  wctr_mutex_lock(&m->lock);
  s->t = mgr_task_get_locked(m, c);
  wctr_mutex_unlock(&m->lock);
  if (s->t == NULL) {
    stats_finish(s); /* not running: zeros */
    return;
  }
  mgr_pool(m, stats_first, s);
}

/* --- top ------------------------------------------------------------------------------------------------------------ */

typedef struct top_op {
  svc_manager *m;
  ctr *c;
  rt_task *t;
  svc_sink *sink;
} top_op;

/* On the pool: the runtime's process list (runtime.h top). */
static void top_run(void *arg) {
  top_op *s = arg;
  wctr_errmsg e = {0};
  cJSON *list = NULL;
  wctr_err err = s->t->runtime->methods->top != NULL ? s->t->runtime->methods->top(s->t, &list, &e)
                                                     : wctr_fail(&e, WCTR_ENOTSUP, "top is not supported by the %s runtime",
                                                                 s->t->runtime->methods->name);
  mgr_task_put(s->m, s->c);
  cJSON *r = err == WCTR_OK ? cJSON_CreateObject() : NULL;
  if (err == WCTR_OK && r == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (r != NULL) {
    cJSON_AddItemToObject(r, "Processes", list);
    list = NULL;
  }
  cJSON_Delete(list);
  svc_sink_finish(s->sink, err, r, err == WCTR_OK ? NULL : e.text);
  mgr_release(s->m, s->c);
  free(s);
}

void mgr_op_top(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  static const char *const keys[] = {"Id", NULL};
  wctr_err err = wctr_json_check_keys(params, "params", keys, &e);
  if (err == WCTR_OK) err = mgr_find_param(m, params, NULL, &c, &e);
  top_op *s = err == WCTR_OK ? calloc(1, sizeof *s) : NULL;
  if (err == WCTR_OK && s == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    *s = (top_op){.m = m, .c = c, .sink = sink};
    wctr_mutex_lock(&m->lock);
    s->t = mgr_task_get_locked(m, c);
    if (s->t == NULL) err = wctr_fail(&e, WCTR_ESTATE, "Container %s is not running", c->rec.id);
    wctr_mutex_unlock(&m->lock);
  }
  if (err != WCTR_OK) {
    free(s);
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  mgr_pool(m, top_run, s);
}
