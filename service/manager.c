/* service/manager.c - the manager's life, the container list, records on disk, async helpers and events
 * (service/manager.h; how the files share the work: service/manager_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/clock.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "service/manager_internal.h"
#include "service/volumes.h"

/* --- containers and references ------------------------------------------------------------------------------ */

ctr *mgr_ctr_new(svc_manager *m) {
  ctr *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->m = m;
  if (wctr_mutex_init(&c->out_lock) != WCTR_OK) {
    free(c);
    return NULL;
  }
  if (wctr_mutex_init(&c->save_lock) != WCTR_OK) {
    wctr_mutex_destroy(&c->out_lock);
    free(c);
    return NULL;
  }
  return c;
}

void mgr_ctr_free(ctr *c) {
  if (c == NULL) return;
  svc_log_writer_close(c->log);
  svc_log_gz_free(c->log_gz);
  mgr_health_free(c);
  svc_container_free(&c->rec);
  wctr_mutex_destroy(&c->out_lock);
  wctr_mutex_destroy(&c->save_lock);
  free(c);
}

void mgr_ref_locked(svc_manager *m, ctr *c) {
  WCTR_ASSERT_HELD(&m->lock);
  c->refs++;
}

void mgr_release(svc_manager *m, ctr *c) {
  if (c == NULL) return;
  WCTR_ASSERT_NOT_HELD(&m->lock);
  wctr_mutex_lock(&m->lock);
  WCTR_ASSERT(c->refs > 0);
  bool free_it = --c->refs == 0 && c->unlinked;
  wctr_mutex_unlock(&m->lock);
  if (free_it) mgr_ctr_free(c);
}

wctr_err mgr_find(svc_manager *m, const char *ref, ctr **out, wctr_errmsg *e) {
  ctr *found = NULL;
  int matches = 0;
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    bool exact = false;
    if (c->creating || !svc_container_matches(&c->rec, ref, &exact)) continue;
    if (exact) {
      found = c;
      matches = 1;
      break;
    }
    found = c;
    matches++;
  }
  if (matches == 1) mgr_ref_locked(m, found);
  wctr_mutex_unlock(&m->lock);
  if (matches == 0) return wctr_fail(e, WCTR_ENOENT, "No such container: %s", ref);
  if (matches > 1) return wctr_fail(e, WCTR_EINVAL, "%s matches more than one container; use more of the id", ref);
  *out = found;
  return WCTR_OK;
}

wctr_err mgr_find_param(svc_manager *m, const cJSON *params, const char *const *extra_keys, ctr **out,
                        wctr_errmsg *e) {
  const char *keys[12] = {"Id"};
  size_t n = 1;
  for (size_t i = 0; extra_keys != NULL && extra_keys[i] != NULL && n < 11; i++) keys[n++] = extra_keys[i];
  keys[n] = NULL;
  const char *ref = NULL;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Id\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  wctr_err err = wctr_json_get_string(params, "Id", "params", true, &ref, e);
  return err == WCTR_OK ? mgr_find(m, ref, out, e) : err;
}

rt_runtime *mgr_runtime_for(svc_manager *m, wctr_isolation isolation) {
  if (isolation == WCTR_ISOLATION_JOB) return m->job_rt;
  if (isolation == WCTR_ISOLATION_PROCESS || isolation == WCTR_ISOLATION_HYPERV) return m->hcs_rt;
  return NULL;
}

wctr_err mgr_args_fill_locked(svc_manager *m, ctr *c, mgr_args *out, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&m->lock);
  memset(out, 0, sizeof *out);
  if (svc_store_path(m->store, c->rec.id, NULL, out->dir, sizeof out->dir) != WCTR_OK) {
    return wctr_fail(e, WCTR_ETOOBIG, "the container folder's path is too long");
  }
  snprintf(out->id, sizeof out->id, "%s", c->rec.id);
  snprintf(out->name, sizeof out->name, "%s", c->rec.name);
  wctr_err err = spec_copy(&c->rec.spec, &out->spec, e);
  if (err != WCTR_OK) return err;
  if (c->rec.runtime != NULL && (out->state = cJSON_Duplicate(c->rec.runtime, true)) == NULL) {
    spec_free(&out->spec);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  out->a = (rt_args){.id = out->id, .name = out->name, .spec = &out->spec, .container_dir = out->dir,
                     .state = out->state, .pid = c->rec.state.pid, .key = c};
  return WCTR_OK;
}

void mgr_args_free(mgr_args *a) {
  spec_free(&a->spec);
  cJSON_Delete(a->state);
  a->state = NULL;
}

void mgr_save(svc_manager *m, ctr *c) {
  WCTR_ASSERT_NOT_HELD(&m->lock);
  wctr_mutex_lock(&m->lock);
  if (c->unlinked && c->rec.state.status == SVC_STATE_REMOVING) {
    wctr_mutex_unlock(&m->lock);
    return; /* its folder is going: a late save must not bring the record back */
  }
  size_t len = 0;
  char *text = svc_store_format(&c->rec, &len);
  uint64_t seq = ++c->save_seq;
  char name[SVC_NAME_MAX + 1];
  char id[SVC_ID_HEX + 1];
  snprintf(name, sizeof name, "%s", c->rec.name);
  snprintf(id, sizeof id, "%s", c->rec.id);
  wctr_mutex_unlock(&m->lock);
  if (text == NULL) {
    wctr_log(WCTR_LOG_ERROR, "container %s: its record was not saved: out of memory", name);
    return;
  }
  wctr_mutex_lock(&c->save_lock);
  if (seq > c->saved_seq && !c->deleted) {
    wctr_errmsg e;
    if (svc_store_write(m->store, id, text, len, &e) == WCTR_OK) {
      c->saved_seq = seq;
    } else {
      wctr_log(WCTR_LOG_ERROR, "container %s: its record was not saved: %s", name, e.text);
    }
  }
  wctr_mutex_unlock(&c->save_lock);
  memset(text, 0, len); /* a resolved credential spec may be in there */
  cJSON_free(text);
}

rt_task *mgr_task_get_locked(svc_manager *m, ctr *c) {
  WCTR_ASSERT_HELD(&m->lock);
  if (c->task == NULL || c->releasing) return NULL;
  c->task_uses++;
  return c->task;
}

static void finalize_job(void *arg) {
  ctr *c = arg;
  mgr_finalize(c->m, c); /* the run holds a reference on c */
}

void mgr_task_put(svc_manager *m, ctr *c) {
  WCTR_ASSERT_NOT_HELD(&m->lock);
  wctr_mutex_lock(&m->lock);
  WCTR_ASSERT(c->task_uses > 0);
  bool release_now = --c->task_uses == 0 && c->releasing;
  wctr_mutex_unlock(&m->lock);
  /* The exit arrived while this call was in flight: the release waited for it. */
  if (release_now) mgr_pool(m, finalize_job, c);
}

/* --- async helpers ------------------------------------------------------------------------------------------ */

typedef struct mgr_job {
  svc_manager *m;
  wctr_ioc_fn fn;
  void *arg;
  wctr_ioc_timer *timer; /* mgr_timer's */
} mgr_job;

struct mgr_tmr {
  mgr_job job;
};

static void job_done(svc_manager *m) {
  wctr_mutex_lock(&m->lock);
  m->busy--;
  wctr_mutex_unlock(&m->lock);
}

static void job_run(void *p) {
  mgr_job *j = p;
  svc_manager *m = j->m;
  wctr_ioc_fn fn = j->fn;
  void *arg = j->arg;
  free(j);
  fn(arg);
  job_done(m);
}

static mgr_job *job_new(svc_manager *m, wctr_ioc_fn fn, void *arg, size_t size) {
  mgr_job *j = calloc(1, size);
  if (j == NULL) return NULL;
  *j = (mgr_job){.m = m, .fn = fn, .arg = arg};
  bool held = wctr_mutex_held(&m->lock);
  if (!held) wctr_mutex_lock(&m->lock);
  m->busy++;
  if (!held) wctr_mutex_unlock(&m->lock);
  return j;
}

static void job_abandon(mgr_job *j) {
  svc_manager *m = j->m;
  free(j);
  bool held = wctr_mutex_held(&m->lock);
  if (!held) wctr_mutex_lock(&m->lock);
  m->busy--;
  if (!held) wctr_mutex_unlock(&m->lock);
}

bool mgr_pool(svc_manager *m, wctr_ioc_fn fn, void *arg) {
  WCTR_ASSERT_NOT_HELD(&m->lock);
  mgr_job *j = job_new(m, fn, arg, sizeof *j);
  if (j != NULL && wctr_ioc_blocking(m->ioc, job_run, j)) return true;
  if (j != NULL) job_abandon(j);
  /* Out of memory or the core is stopping: the work must still happen, so it happens here (every caller
   * of mgr_pool holds no lock and can take the job running at once). */
  wctr_log(WCTR_LOG_WARN, "the blocking pool refused a job; running it on this thread");
  fn(arg);
  return false;
}

bool mgr_post(svc_manager *m, wctr_ioc_fn fn, void *arg) {
  mgr_job *j = job_new(m, fn, arg, sizeof *j);
  if (j != NULL && wctr_ioc_post(m->ioc, job_run, j)) return true;
  if (j != NULL) job_abandon(j);
  /* Only when the core is stopping or memory is out; running fn here would run it under whatever lock
   * the caller holds, so it is logged and dropped instead. */
  wctr_log(WCTR_LOG_ERROR, "the I/O core refused a callback; it is dropped");
  return false;
}

/* A fired timer's job is freed only once fn has returned: mgr_tmr is the handle a caller keeps, and the
 * contract (manager_internal.h) lets the caller cancel it until fn has cleared the caller's copy under
 * m->lock - which fn does after it began. Freed before fn (as job_run frees a pool job), the handle was
 * gone in that window and a cancel read freed memory (ASan saw it with healthcheck timers of 10 ms). A
 * cancel in the window is safe: the core's timer is valid until this returns, and it answers false. */
static void timer_run(void *p) {
  mgr_tmr *t = p;
  svc_manager *m = t->job.m;
  t->job.fn(t->job.arg);
  free(t);
  job_done(m);
}

mgr_tmr *mgr_timer(svc_manager *m, uint32_t ms, wctr_ioc_fn fn, void *arg) {
  mgr_tmr *t = (mgr_tmr *)job_new(m, fn, arg, sizeof *t);
  wctr_errmsg e;
  if (t != NULL && wctr_ioc_timer_start(m->ioc, ms, timer_run, t, &t->job.timer, &e) == WCTR_OK) return t;
  if (t != NULL) job_abandon(&t->job);
  wctr_log(WCTR_LOG_ERROR, "no timer for %u ms: %s", ms, t != NULL ? e.text : "out of memory");
  return NULL; /* the caller does without */
}

bool mgr_timer_cancel(svc_manager *m, mgr_tmr *t, void **arg) {
  (void)m;
  if (t == NULL) return false;
  if (!wctr_ioc_timer_cancel(t->job.timer)) return false;
  if (arg != NULL) *arg = t->job.arg;
  job_abandon(&t->job);
  return true;
}

/* --- events ------------------------------------------------------------------------------------------------- */

struct mgr_evsub {
  svc_manager *m;
  svc_sink *sink;
  bool finished;
  mgr_evsub *next;
};

/* name NULL: the frame has none (a volume's id is its name); attributes (borrowed, may be NULL): copied into each
 * frame as "Attributes". */
static void emit(svc_manager *m, const char *type, const char *action, const char *id, const char *name,
                 int64_t exit_code, const cJSON *attributes) {
  char stamp[40];
  wctr_time_now_iso8601(stamp, sizeof stamp);
  wctr_mutex_lock(&m->events_lock);
  for (mgr_evsub *s = m->events; s != NULL; s = s->next) {
    if (s->finished) continue;
    cJSON *ev = cJSON_CreateObject();
    if (ev == NULL) break;
    cJSON_AddStringToObject(ev, "Time", stamp);
    cJSON_AddStringToObject(ev, "Type", type);
    cJSON_AddStringToObject(ev, "Action", action);
    cJSON_AddStringToObject(ev, "Id", id);
    if (name != NULL) cJSON_AddStringToObject(ev, "Name", name);
    if (attributes != NULL) cJSON_AddItemToObject(ev, "Attributes", cJSON_Duplicate(attributes, true));
    if (strcmp(action, "die") == 0 || strcmp(action, "exec_die") == 0) cJSON_AddNumberToObject(ev, "ExitCode", (double)exit_code);
    /* Never blocks: a subscriber that does not read is dropped by its front-end, and gets on_close. */
    svc_sink_frame(s->sink, "event", ev);
  }
  wctr_mutex_unlock(&m->events_lock);
}

void mgr_emit(svc_manager *m, const char *action, const char *id, const char *name, int64_t exit_code) {
  emit(m, "container", action, id, name, exit_code, NULL);
}

void mgr_emit_of(svc_manager *m, ctr *c, const char *action, const cJSON *attributes) {
  WCTR_ASSERT_NOT_HELD(&m->lock);
  char id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
  wctr_mutex_lock(&m->lock);
  snprintf(id, sizeof id, "%s", c->rec.id);
  snprintf(name, sizeof name, "%s", c->rec.name);
  wctr_mutex_unlock(&m->lock);
  emit(m, "container", action, id, name, 0, attributes);
}

void mgr_emit_volume(svc_manager *m, const char *action, const char *volume, const cJSON *attributes) {
  emit(m, "volume", action, volume, NULL, 0, attributes);
}

void svc_manager_emit_network(void *m, const char *action, const char *id, const cJSON *attributes) {
  emit(m, "network", action, id, NULL, 0, attributes);
}

void svc_manager_emit_image(void *m, const char *action, const char *id, const char *name) {
  emit(m, "image", action, id, name, 0, NULL);
}

static void evsub_close(void *p) {
  mgr_evsub *s = p;
  svc_manager *m = s->m;
  wctr_mutex_lock(&m->events_lock);
  bool finish = !s->finished;
  s->finished = true;
  for (mgr_evsub **pp = &m->events; *pp != NULL; pp = &(*pp)->next) {
    if (*pp == s) {
      *pp = s->next;
      break;
    }
  }
  wctr_mutex_unlock(&m->events_lock);
  if (finish) svc_sink_finish(s->sink, WCTR_OK, NULL, NULL);
}

static void evsub_release(void *p) { free(p); }

void mgr_events_start(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  static const char *const none[] = {NULL};
  svc_manager *m = ctx;
  wctr_errmsg e;
  if (params != NULL && wctr_json_check_keys(params, "params", none, &e) != WCTR_OK) {
    svc_sink_finish(sink, WCTR_EINVAL, NULL, e.text);
    return;
  }
  mgr_evsub *s = calloc(1, sizeof *s);
  if (s == NULL) {
    svc_sink_finish(sink, WCTR_ENOMEM, NULL, "out of memory");
    return;
  }
  s->m = m;
  s->sink = sink;
  sink->op_ctx = s;
  sink->on_close = evsub_close;
  sink->on_release = evsub_release;
  wctr_mutex_lock(&m->events_lock);
  s->next = m->events;
  m->events = s;
  wctr_mutex_unlock(&m->events_lock);
}

/* --- shared ------------------------------------------------------------------------------------------------- */

void mgr_finish_error(svc_sink *s, wctr_err err, const char *message) { svc_sink_finish(s, err, NULL, message); }

/* --- life ----------------------------------------------------------------------------------------------------- */

wctr_err svc_manager_start(const svc_manager_options *opt, svc_manager **out, wctr_errmsg *e) {
  *out = NULL;
  svc_manager *m = calloc(1, sizeof *m);
  if (m == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  m->opt = *opt;
  m->ioc = opt->ioc;
  m->kill_wait_ms = opt->kill_wait_ms != 0 ? opt->kill_wait_ms : SVC_KILL_WAIT_MS;
  snprintf(m->data_root, sizeof m->data_root, "%s", opt->data_root);
  snprintf(m->host_os_version, sizeof m->host_os_version, "%s",
           opt->host_os_version != NULL ? opt->host_os_version : "");
  m->opt.data_root = m->data_root;
  m->opt.host_os_version = m->host_os_version;
  if (m->opt.host_cpus < 1) m->opt.host_cpus = 1;
  wctr_err err = wctr_mutex_init(&m->lock);
  if (err == WCTR_OK) err = wctr_mutex_init(&m->events_lock);
  if (err != WCTR_OK) {
    free(m);
    return wctr_fail(e, err, "cannot create the manager's locks");
  }
  err = svc_store_open(m->data_root, &m->store, e);
  if (err == WCTR_OK) err = svc_volumes_open(m->data_root, opt->hooks.volume_secure, opt->hooks.ctx, &m->volumes, e);
  rt_options ro = {.ioc = m->ioc, .events = mgr_runtime_events(m), .host = opt->host,
                   .host_cpus = m->opt.host_cpus, .host_os_version = m->host_os_version, .data_root = m->data_root};
  if (err == WCTR_OK && opt->open_job != NULL) err = opt->open_job(&ro, &m->job_rt, e);
  if (err == WCTR_OK && opt->open_hcs != NULL) err = opt->open_hcs(&ro, &m->hcs_rt, e);
  if (err == WCTR_OK) err = mgr_recover(m, e);
  if (err != WCTR_OK) {
    svc_manager_stop(m);
    return err;
  }
  mgr_restart_at_service_start(m);
  *out = m;
  return WCTR_OK;
}

static void stopped_one(svc_manager *m, ctr *c, void *arg, wctr_err err, const char *message) {
  int *left = arg;
  if (err != WCTR_OK) wctr_log(WCTR_LOG_ERROR, "container %s: %s", c->rec.name, message);
  wctr_mutex_lock(&m->lock);
  (*left)--;
  wctr_mutex_unlock(&m->lock);
  mgr_release(m, c);
}

void svc_manager_stop(svc_manager *m) {
  if (m == NULL) return;
  /* As dockerd without live-restore: containers are stopped with the service, all at once, each with its
   * stop timeout but at most 10 s. A crash instead leaves them to the repair at the next start. */
  int left = 0;
  wctr_mutex_lock(&m->lock);
  m->stopping = true;
  ctr *running[1024];
  size_t n = 0;
  for (ctr *c = m->list; c != NULL; c = c->next) {
    mgr_restart_cancel_locked(m, c);
    if (c->rec.state.status == SVC_STATE_RUNNING && n < sizeof running / sizeof running[0]) {
      mgr_ref_locked(m, c);
      running[n++] = c;
      left++;
    }
  }
  wctr_mutex_unlock(&m->lock);
  for (size_t i = 0; i < n; i++) {
    int timeout = running[i]->rec.spec.stop_timeout < 10 ? running[i]->rec.spec.stop_timeout : 10;
    mgr_stop(m, running[i], (uint32_t)timeout * 1000u, false, stopped_one, &left);
  }
  uint64_t deadline = wctr_ioc_now_ms() + 10000u + m->kill_wait_ms + 5000u;
  for (;;) {
    wctr_mutex_lock(&m->lock);
    bool done = left == 0 && m->busy == 0;
    int busy = m->busy;
    wctr_mutex_unlock(&m->lock);
    if (done) break;
    if (wctr_ioc_now_ms() > deadline) {
      wctr_log(WCTR_LOG_WARN, "manager: %d containers still stopping and %d jobs in flight at shutdown; leaving them",
               left, busy);
      /* Leaking is the safe choice: jobs in flight still use the manager. */
      return;
    }
    wctr_sleep_ms(10);
  }
  mgr_execs_free(m);
  if (m->job_rt != NULL) m->job_rt->methods->close(m->job_rt);
  if (m->hcs_rt != NULL) m->hcs_rt->methods->close(m->hcs_rt);
  while (m->list != NULL) {
    ctr *c = m->list;
    m->list = c->next;
    mgr_ctr_free(c);
  }
  svc_store_close(m->store);
  svc_volumes_close(m->volumes);
  wctr_mutex_destroy(&m->events_lock);
  wctr_mutex_destroy(&m->lock);
  free(m);
}

/* --- for the security operations ------------------------------------------------------------------------------- */

cJSON *svc_manager_records(svc_manager *m) {
  cJSON *arr = cJSON_CreateArray();
  if (arr == NULL) return NULL;
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    if (c->creating) continue;
    cJSON *rec = svc_container_to_json(&c->rec);
    if (rec == NULL || !cJSON_AddItemToArray(arr, rec)) {
      cJSON_Delete(rec);
      cJSON_Delete(arr);
      arr = NULL;
      break;
    }
  }
  wctr_mutex_unlock(&m->lock);
  return arr;
}

int svc_manager_secret_users(void *ctx, const char *secret, char *names, size_t size, cJSON *list) {
  svc_manager *m = ctx;
  int count = 0;
  if (size > 0) names[0] = '\0';
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    const spec_container *s = &c->rec.spec;
    bool uses = false;
    for (size_t i = 0; i < s->secret_count && !uses; i++) uses = strcmp(s->secrets[i].name, secret) == 0;
    if (!uses) continue;
    size_t used = size > 0 ? strlen(names) : 0;
    if (used + 1 < size) snprintf(names + used, size - used, "%s%s", count > 0 ? ", " : "", c->rec.name);
    if (list != NULL) cJSON_AddItemToArray(list, cJSON_CreateString(c->rec.name));
    count++;
  }
  wctr_mutex_unlock(&m->lock);
  return count;
}

bool svc_manager_running(void *ctx, const char *id) {
  svc_manager *m = ctx;
  bool running = false;
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL && !running; c = c->next) {
    running = strcmp(c->rec.id, id) == 0 && c->rec.state.status == SVC_STATE_RUNNING;
  }
  wctr_mutex_unlock(&m->lock);
  return running;
}

bool svc_manager_image_in_use(void *ctx, const char *image, char *container, size_t size) {
  svc_manager *m = ctx;
  bool used = false;
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL && !used; c = c->next) {
    if (c->rec.spec.isolation != WCTR_ISOLATION_JOB && c->rec.spec.image != NULL && strcmp(c->rec.spec.image, image) == 0) {
      used = true;
      snprintf(container, size, "%s", c->rec.name);
    }
  }
  wctr_mutex_unlock(&m->lock);
  return used;
}
