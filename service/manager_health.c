/* service/manager_health.c - Docker's healthcheck (the container's Config.Healthcheck, spec/spec.h): while a
 * run lasts, its probe runs through the runtime's exec (the path `exec` takes) every interval, on the I/O
 * core's timers - no thread per container. Docker's rules (moby daemon/health.go): the first probe one
 * interval after the start; exit 0 is healthy and clears the failing streak; any other result (a non-zero
 * exit, a probe that could not start: -1 with the reason, a timeout: -1 "Health check exceeded timeout
 * (30s)") counts once the start period is over or the container was healthy once, and `retries` in a row
 * make it unhealthy; the last 5 results are kept, each output cut at 4096 bytes; a change of status is a
 * "health_status: S" event. A probe that outlives its timeout is killed (the runtime's proc_kill).
 *
 * The health state lives in memory (ctr.health, m->lock), as wctr keeps exec instances: wctrd's restart
 * starts it again ("starting") for a container it takes back. Each run has a generation: a probe or a timer
 * of an earlier run changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "docker/docker.h"
#include "service/manager_internal.h"

enum { HEALTH_OUTPUT_MAX = 4096 };
#define DEFAULT_SPAN_NS 30000000000LL /* Docker's interval and timeout */
#define DEFAULT_RETRIES 3
#define MAX_TIMER_MS 2000000000LL     /* a timer's due time fits in 32 bits */

const char *mgr_health_status_name(mgr_health_status s) {
  switch (s) {
    case MGR_HEALTH_STARTING: return "starting";
    case MGR_HEALTH_HEALTHY: return "healthy";
    case MGR_HEALTH_UNHEALTHY: return "unhealthy";
    default: return "none";
  }
}

static uint32_t span_ms(int64_t ns, int64_t fallback_ns) {
  int64_t ms = (ns > 0 ? ns : fallback_ns) / 1000000;
  if (ms < 1) ms = 1;
  if (ms > MAX_TIMER_MS) ms = MAX_TIMER_MS;
  return (uint32_t)ms;
}

/* Milliseconds since 1970 of an ISO 8601 stamp (the records' times); 0 when unreadable. */
static int64_t stamp_ms(const char *iso) {
  int64_t s = 0;
  int32_t ns = 0;
  if (iso == NULL || !docker_time_parse(iso, &s, &ns)) return 0;
  return s * 1000 + ns / 1000000;
}

typedef struct tick_job {
  ctr *c;        /* a reference */
  uint64_t gen;
} tick_job;

typedef struct probe {
  svc_manager *m;
  ctr *c;        /* a reference */
  uint64_t gen;
  rt_task *task; /* a use (mgr_task_get_locked), given back after the process's release */
  int refs;      /* m->lock: the process path, a timeout timer, a kill in flight */
  rt_proc *proc; /* m->lock: from the exec's return */
  bool begun;    /* m->lock: the exec returned */
  bool exited;   /* m->lock */
  bool timed_out;
  int64_t code;
  mgr_tmr *timeout; /* m->lock */
  uint32_t timeout_ms;
  char start[40];
  char out[HEALTH_OUTPUT_MAX + 1]; /* m->lock */
  size_t out_len;
  char failure[512]; /* the exec's refusal */
} probe;

static void tick(void *arg);

/* m->lock held: the next probe of c's current run in ms. */
static void schedule_locked(svc_manager *m, ctr *c, uint32_t ms) {
  WCTR_ASSERT_HELD(&m->lock);
  tick_job *j = malloc(sizeof *j);
  if (j == NULL) {
    wctr_log(WCTR_LOG_ERROR, "container %s: out of memory; its healthcheck stops", c->rec.name);
    return;
  }
  *j = (tick_job){.c = c, .gen = c->health.gen};
  mgr_ref_locked(m, c);
  c->health.timer = mgr_timer(m, ms, tick, j);
  if (c->health.timer == NULL) {
    c->refs--; /* still referenced by the caller: never the last */
    free(j);
  }
}

void mgr_health_begin_locked(svc_manager *m, ctr *c) {
  WCTR_ASSERT_HELD(&m->lock);
  c->health.gen++;
  if (!spec_healthcheck_active(&c->rec.spec.health)) {
    c->health.status = MGR_HEALTH_NONE;
    return;
  }
  /* Docker's initHealthMonitor: starting, the streak cleared, the log kept. */
  c->health.status = MGR_HEALTH_STARTING;
  c->health.failing_streak = 0;
  schedule_locked(m, c, span_ms(c->rec.spec.health.interval_ns, DEFAULT_SPAN_NS));
}

void mgr_health_end(svc_manager *m, ctr *c) {
  WCTR_ASSERT_NOT_HELD(&m->lock);
  void *arg = NULL;
  wctr_mutex_lock(&m->lock);
  c->health.gen++;
  mgr_tmr *t = c->health.timer;
  c->health.timer = NULL;
  bool cancelled = t != NULL && mgr_timer_cancel(m, t, &arg);
  wctr_mutex_unlock(&m->lock);
  if (cancelled) {
    tick_job *j = arg;
    mgr_release(m, j->c);
    free(j);
  }
}

void mgr_health_free(ctr *c) {
  for (size_t i = 0; i < MGR_HEALTH_LOG_MAX; i++) free(c->health.log[i].output);
  memset(&c->health, 0, sizeof c->health);
}

/* --- a probe ----------------------------------------------------------------------------------------------- */

static void probe_unref(probe *p) {
  svc_manager *m = p->m;
  wctr_mutex_lock(&m->lock);
  bool last = --p->refs == 0;
  rt_proc *proc = p->proc;
  wctr_mutex_unlock(&m->lock);
  if (!last) return;
  /* The process is released before the task's use is given back (runtime.h), and only once no kill can
   * still use it. */
  if (proc != NULL) p->task->runtime->methods->proc_release(proc);
  if (p->task != NULL) mgr_task_put(m, p->c);
  mgr_release(m, p->c);
  free(p);
}

static void probe_output(void *ctx, rt_stream stream, const char *data, size_t len) {
  (void)stream; /* Docker keeps stdout and stderr together */
  probe *p = ctx;
  wctr_mutex_lock(&p->m->lock);
  size_t room = HEALTH_OUTPUT_MAX - p->out_len;
  size_t n = len < room ? len : room;
  memcpy(p->out + p->out_len, data, n);
  p->out_len += n;
  p->out[p->out_len] = '\0';
  wctr_mutex_unlock(&p->m->lock);
}

/* m->lock held: one result into c's health (Docker's handleProbeResult); true when the status changed. */
static bool record_locked(svc_manager *m, ctr *c, const char *start, const char *end, int64_t code, const char *output) {
  WCTR_ASSERT_HELD(&m->lock);
  mgr_health *h = &c->health;
  mgr_health_status before = h->status;
  mgr_health_result *slot;
  if (h->log_count < MGR_HEALTH_LOG_MAX) {
    slot = &h->log[h->log_count++];
  } else {
    free(h->log[0].output);
    memmove(&h->log[0], &h->log[1], (MGR_HEALTH_LOG_MAX - 1) * sizeof h->log[0]);
    slot = &h->log[MGR_HEALTH_LOG_MAX - 1];
  }
  memset(slot, 0, sizeof *slot);
  snprintf(slot->start, sizeof slot->start, "%s", start);
  snprintf(slot->end, sizeof slot->end, "%s", end);
  slot->exit_code = code;
  size_t n = strlen(output) + 1;
  slot->output = malloc(n);
  if (slot->output != NULL) memcpy(slot->output, output, n);
  const spec_healthcheck *hc = &c->rec.spec.health;
  if (code == 0) {
    h->failing_streak = 0;
    h->status = MGR_HEALTH_HEALTHY;
  } else {
    bool counts = true;
    /* While starting (never healthy yet), a failure inside the start period does not count. */
    if (h->status == MGR_HEALTH_STARTING && hc->start_period_ns > 0) {
      int64_t since = stamp_ms(start) - stamp_ms(c->rec.state.started_at);
      if (since < hc->start_period_ns / 1000000) counts = false;
    }
    if (counts) {
      h->failing_streak++;
      int64_t retries = hc->retries > 0 ? hc->retries : DEFAULT_RETRIES;
      if (h->failing_streak >= retries) h->status = MGR_HEALTH_UNHEALTHY;
    }
  }
  return h->status != before;
}

/* On the pool: the probe's process has exited (or never started): its result recorded, the next one
 * scheduled. */
static void probe_done(void *arg) {
  probe *p = arg;
  svc_manager *m = p->m;
  ctr *c = p->c;
  char end[40], output[HEALTH_OUTPUT_MAX + 160];
  wctr_time_now_iso8601(end, sizeof end);
  void *timer_arg = NULL;
  wctr_mutex_lock(&m->lock);
  if (p->timeout != NULL && mgr_timer_cancel(m, p->timeout, &timer_arg)) p->refs--; /* never the last: ours */
  p->timeout = NULL;
  int64_t code = p->code;
  if (p->failure[0] != '\0') {
    code = -1;
    snprintf(output, sizeof output, "%s", p->failure);
  } else if (p->timed_out) {
    code = -1;
    /* Go's Duration text, as Docker's message prints it: "30s", "500ms", "1.5s". */
    char span[32];
    if (p->timeout_ms % 1000 == 0) snprintf(span, sizeof span, "%us", p->timeout_ms / 1000);
    else if (p->timeout_ms < 1000) snprintf(span, sizeof span, "%ums", p->timeout_ms);
    else snprintf(span, sizeof span, "%gs", p->timeout_ms / 1000.0);
    snprintf(output, sizeof output, "Health check exceeded timeout (%s)", span);
  } else {
    snprintf(output, sizeof output, "%s", p->out);
  }
  bool current = p->gen == c->health.gen && c->rec.state.status == SVC_STATE_RUNNING && !c->releasing;
  bool changed = false;
  char id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
  snprintf(id, sizeof id, "%s", c->rec.id);
  snprintf(name, sizeof name, "%s", c->rec.name);
  const char *status = NULL;
  if (current) {
    changed = record_locked(m, c, p->start, end, code, output);
    status = mgr_health_status_name(c->health.status);
    if (!m->stopping) schedule_locked(m, c, span_ms(c->rec.spec.health.interval_ns, DEFAULT_SPAN_NS));
  }
  wctr_mutex_unlock(&m->lock);
  if (changed) {
    char action[64];
    snprintf(action, sizeof action, "health_status: %s", status);
    wctr_log(WCTR_LOG_INFO, "container %s is %s (probe exit code %lld)", name, status, (long long)code);
    mgr_emit(m, action, id, name, 0);
  }
  probe_unref(p);
}

static void probe_exited(void *ctx, int64_t code) {
  probe *p = ctx;
  wctr_mutex_lock(&p->m->lock);
  p->exited = true;
  p->code = code;
  bool now = p->begun; /* else the exec's return takes it from here */
  wctr_mutex_unlock(&p->m->lock);
  if (now && !mgr_pool(p->m, probe_done, p)) probe_unref(p);
}

static void probe_kill(void *arg) {
  probe *p = arg;
  wctr_errmsg e;
  /* proc is constant once begun and released only with the last reference, which this job holds. */
  if (p->task->runtime->methods->proc_kill(p->proc, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "a healthcheck probe past its timeout could not be ended: %s", e.text);
  }
  probe_unref(p);
}

static void probe_timeout(void *arg) {
  probe *p = arg;
  svc_manager *m = p->m;
  wctr_mutex_lock(&m->lock);
  p->timeout = NULL;
  bool kill = !p->exited;
  if (kill) p->timed_out = true;
  wctr_mutex_unlock(&m->lock);
  /* The timer's reference goes to the kill. */
  if (!kill || !mgr_pool(m, probe_kill, p)) probe_unref(p);
}

/* On the pool: the probe's process started through the runtime's exec. */
static void probe_run(void *arg) {
  probe *p = arg;
  svc_manager *m = p->m;
  ctr *c = p->c;
  spec_process proc;
  memset(&proc, 0, sizeof proc);
  char *argv[64];
  char *shell[] = {"cmd", "/S", "/C", NULL};
  wctr_mutex_lock(&m->lock);
  /* The spec is constant while the container exists (rename changes only the record's name). */
  const spec_healthcheck *hc = &c->rec.spec.health;
  if (strcmp(hc->test[0], "CMD-SHELL") == 0) {
    /* Docker's shell for CMD-SHELL on Windows. */
    shell[3] = hc->test[1];
    proc.cmd = shell;
    proc.cmd_count = 4;
  } else {
    size_t n = hc->test_count - 1;
    if (n > sizeof argv / sizeof argv[0]) n = sizeof argv / sizeof argv[0];
    for (size_t i = 0; i < n; i++) argv[i] = hc->test[i + 1];
    proc.cmd = argv;
    proc.cmd_count = n;
  }
  p->timeout_ms = span_ms(hc->timeout_ns, DEFAULT_SPAN_NS);
  wctr_mutex_unlock(&m->lock);
  wctr_time_now_iso8601(p->start, sizeof p->start);
  rt_exec_events ev = {.ctx = p, .output = probe_output, .exited = probe_exited};
  rt_proc *rp = NULL;
  uint32_t pid = 0;
  wctr_errmsg e = {0};
  wctr_err err = p->task->runtime->methods->version < RT_METHODS_V2
                     ? wctr_fail(&e, WCTR_ENOTSUP, "exec is not supported by the %s runtime", p->task->runtime->methods->name)
                     : p->task->runtime->methods->exec(p->task, &proc, &ev, &rp, &pid, &e);
  if (err != WCTR_OK) {
    snprintf(p->failure, sizeof p->failure, "%s", e.text[0] != '\0' ? e.text : "the probe could not be started");
    probe_done(p);
    return;
  }
  wctr_mutex_lock(&m->lock);
  p->proc = rp;
  p->begun = true;
  bool exited = p->exited;
  if (!exited) {
    p->refs++;
    p->timeout = mgr_timer(m, p->timeout_ms, probe_timeout, p);
    if (p->timeout == NULL) p->refs--;
  }
  wctr_mutex_unlock(&m->lock);
  if (exited) probe_done(p);
}

/* A timer: the next probe of c's run, unless that run is over. */
static void tick(void *arg) {
  tick_job *j = arg;
  ctr *c = j->c;
  svc_manager *m = c->m;
  probe *p = NULL;
  wctr_mutex_lock(&m->lock);
  bool current = j->gen == c->health.gen;
  if (current) c->health.timer = NULL;
  rt_task *t = NULL;
  if (current && !m->stopping && c->rec.state.status == SVC_STATE_RUNNING) t = mgr_task_get_locked(m, c);
  if (t != NULL) {
    p = calloc(1, sizeof *p);
    if (p != NULL) {
      *p = (probe){.m = m, .c = c, .gen = j->gen, .task = t, .refs = 1};
      c = NULL; /* the job's reference is the probe's now */
    }
  }
  wctr_mutex_unlock(&m->lock);
  if (t != NULL && p == NULL) {
    wctr_log(WCTR_LOG_ERROR, "out of memory: a healthcheck probe is skipped");
    mgr_task_put(m, j->c);
  }
  if (p != NULL && !mgr_pool(m, probe_run, p)) probe_unref(p);
  if (c != NULL) mgr_release(m, c);
  free(j);
}

/* --- what inspect and list show ------------------------------------------------------------------------------- */

cJSON *mgr_health_json_locked(svc_manager *m, ctr *c) {
  WCTR_ASSERT_HELD(&m->lock);
  if (c->health.status == MGR_HEALTH_NONE) return NULL;
  cJSON *o = cJSON_CreateObject();
  cJSON *log = NULL;
  bool ok = o != NULL && cJSON_AddStringToObject(o, "Status", mgr_health_status_name(c->health.status)) != NULL &&
            cJSON_AddNumberToObject(o, "FailingStreak", (double)c->health.failing_streak) != NULL &&
            (log = cJSON_AddArrayToObject(o, "Log")) != NULL;
  for (size_t i = 0; ok && i < c->health.log_count; i++) {
    const mgr_health_result *r = &c->health.log[i];
    cJSON *e = cJSON_CreateObject();
    ok = e != NULL && cJSON_AddItemToArray(log, e) && cJSON_AddStringToObject(e, "Start", r->start) != NULL &&
         cJSON_AddStringToObject(e, "End", r->end) != NULL &&
         cJSON_AddNumberToObject(e, "ExitCode", (double)r->exit_code) != NULL &&
         cJSON_AddStringToObject(e, "Output", r->output != NULL ? r->output : "") != NULL;
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}
