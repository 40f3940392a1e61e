/* service/manager_recover.c - what a crash left, repaired when wctrd starts (service/manager.h). Runs on
 * the starting thread before any front-end opens, so blocking runtime calls are made directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/log.h"
#include "service/manager_internal.h"

static void finalize_job(void *arg) {
  ctr *c = arg;
  mgr_finalize(c->m, c);
}

/* archive-<16 hex digits>.tar: the temporary tar of a docker cp (manager_archive.c), and nothing else. */
static bool is_archive_tmp(const char *name) {
  static const char prefix[] = "archive-", suffix[] = ".tar";
  size_t len = strlen(name);
  if (len != sizeof prefix - 1 + 16 + sizeof suffix - 1) return false;
  if (memcmp(name, prefix, sizeof prefix - 1) != 0 || strcmp(name + len - (sizeof suffix - 1), suffix) != 0) return false;
  for (size_t i = sizeof prefix - 1; i < sizeof prefix - 1 + 16; i++) {
    char ch = name[i];
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  }
  return true;
}

typedef struct stale_archives {
  char dir[1300];
  char names[8][32];
  size_t count;
  bool more;
} stale_archives;

static bool collect_archive(void *ctx, const char *name, bool is_dir) {
  stale_archives *s = ctx;
  if (is_dir || !is_archive_tmp(name)) return true;
  if (s->count == sizeof s->names / sizeof s->names[0]) {
    s->more = true;
    return false;
  }
  snprintf(s->names[s->count++], sizeof s->names[0], "%s", name);
  return true;
}

/* A copy that a crash cut short left its temporary tar in the container's folder: removed (until now it went
 * only with the container). The files are collected first, then removed: no removal during the listing. */
static void remove_stale_archives(svc_manager *m, const char *id, const char *name) {
  stale_archives s;
  memset(&s, 0, sizeof s);
  if (svc_store_path(m->store, id, NULL, s.dir, sizeof s.dir) != WCTR_OK) return;
  do {
    s.count = 0;
    s.more = false;
    if (wctr_fs_list(s.dir, collect_archive, &s) != WCTR_OK) return;
    for (size_t i = 0; i < s.count; i++) {
      char path[1400];
      if (wctr_fs_join(path, sizeof path, s.dir, s.names[i]) != WCTR_OK) return;
      if (wctr_fs_remove(path) != WCTR_OK) {
        wctr_log(WCTR_LOG_WARN, "container %s: the temporary archive %s a copy left cannot be removed", name, path);
        return;
      }
      wctr_log(WCTR_LOG_INFO, "container %s: removed %s, which a copy cut short by a crash left", name, s.names[i]);
    }
  } while (s.more);
}

/* A container recorded as running: the runtime takes it back, or says what is known of its end. */
static void recover_one(svc_manager *m, ctr *c) {
  wctr_errmsg e;
  mgr_args args;
  wctr_mutex_lock(&m->lock);
  wctr_err err = mgr_args_fill_locked(m, c, &args, &e);
  if (err == WCTR_OK) c->starting = true;
  if (err != WCTR_OK) {
    /* Nothing can ask the runtime about it: left "running", it would stay so for ever with no run to end
     * it, and stop would wait for an exit that never comes. */
    char stamp[40];
    wctr_time_now_iso8601(stamp, sizeof stamp);
    svc_container_state *st = &c->rec.state;
    st->status = SVC_STATE_EXITED;
    st->exit_code = -1;
    st->pid = 0;
    snprintf(st->finished_at, sizeof st->finished_at, "%s", stamp);
    snprintf(st->error, sizeof st->error, "wctrd restarted and could not re-attach: %s", e.text);
  }
  wctr_mutex_unlock(&m->lock);
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "container %s: %s; marked exited", c->rec.name, e.text);
    mgr_save(m, c);
    return;
  }
  /* Output from the moment it is re-attached is logged again. */
  wctr_mutex_lock(&c->out_lock);
  if (mgr_log_writer_open(m, c, &args, &c->log, &e) != WCTR_OK) {
    c->log = NULL;
  }
  wctr_mutex_unlock(&c->out_lock);
  rt_task *t = NULL;
  rt_exit ended = {.code = -1};
  if (c->rt == NULL) {
    err = wctr_fail(&e, WCTR_ENOTSUP, "its isolation is not available any more");
    snprintf(ended.why, sizeof ended.why, "wctrd restarted and %s isolation is not available", 
             spec_isolation_name(c->rec.spec.isolation));
  } else {
    err = c->rt->methods->reattach(c->rt, &args.a, &t, &ended, &e);
  }
  bool finalize = false;
  char stamp[40];
  wctr_time_now_iso8601(stamp, sizeof stamp);
  wctr_mutex_lock(&m->lock);
  c->starting = false;
  if (err == WCTR_OK) {
    c->task = t;
    mgr_ref_locked(m, c); /* the run's */
    if (c->exit_arrived) {
      c->releasing = true;
      finalize = true;
    } else {
      mgr_health_begin_locked(m, c);
    }
  } else {
    svc_container_state *st = &c->rec.state;
    st->status = SVC_STATE_EXITED;
    st->exit_code = ended.code;
    st->pid = 0;
    snprintf(st->finished_at, sizeof st->finished_at, "%s", stamp);
    snprintf(st->error, sizeof st->error, "%s",
             ended.why[0] != '\0' ? ended.why : "wctrd restarted; the container had stopped meanwhile");
  }
  wctr_mutex_unlock(&m->lock);
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "container %s re-attached (pid %u); output written while wctrd was down is lost",
             c->rec.name, c->rec.state.pid);
    if (finalize) mgr_pool(m, finalize_job, c);
  } else {
    if (err != WCTR_ENOENT) wctr_log(WCTR_LOG_WARN, "container %s: re-attaching failed: %s", c->rec.name, e.text);
    if (c->rt != NULL) c->rt->methods->cleanup(c->rt, &args.a);
    wctr_mutex_lock(&c->out_lock);
    svc_log_writer_close(c->log);
    c->log = NULL;
    wctr_mutex_unlock(&c->out_lock);
    mgr_save(m, c);
    wctr_log(WCTR_LOG_INFO, "container %s was running when wctrd stopped and is gone; marked exited (%lld)",
             c->rec.name, (long long)c->rec.state.exit_code);
  }
  mgr_args_free(&args);
}

wctr_err mgr_recover(svc_manager *m, wctr_errmsg *e) {
  svc_container *records = NULL;
  size_t count = 0;
  size_t damaged = 0;
  wctr_err err = svc_store_load_all(m->store, &records, &count, &damaged, e);
  if (err != WCTR_OK) return err;
  if (damaged > 0) {
    wctr_log(WCTR_LOG_ERROR, "%zu container records could not be read and were moved aside (<id>.damaged); "
             "`wctr check` lists them", damaged);
  }
  const char **owned = calloc(count + 1, sizeof *owned);
  char (*removed)[SVC_ID_HEX + 1] = calloc(count + 1, sizeof *removed);
  size_t owned_n = 0, removed_n = 0;
  for (size_t i = 0; i < count; i++) {
    if (records[i].state.status == SVC_STATE_REMOVING) {
      wctr_errmsg re;
      if (removed != NULL) snprintf(removed[removed_n++], SVC_ID_HEX + 1, "%s", records[i].id);
      mgr_args args;
      memset(&args, 0, sizeof args);
      /* What the runtime kept for it goes too (its sandbox), then the folder. */
      ctr tmp;
      memset(&tmp, 0, sizeof tmp);
      tmp.rec = records[i];
      rt_runtime *rt = mgr_runtime_for(m, records[i].spec.isolation);
      wctr_mutex_lock(&m->lock);
      bool filled = mgr_args_fill_locked(m, &tmp, &args, &re) == WCTR_OK;
      wctr_mutex_unlock(&m->lock);
      if (filled && rt != NULL) rt->methods->remove(rt, &args.a);
      if (filled) mgr_args_free(&args);
      svc_store_remove(m->store, records[i].id, &re);
      wctr_log(WCTR_LOG_INFO, "finished removing container %s", records[i].name);
      svc_container_free(&records[i]);
      continue;
    }
    ctr *c = mgr_ctr_new(m);
    if (c == NULL) {
      svc_container_free(&records[i]);
      continue;
    }
    c->rec = records[i];
    c->rt = mgr_runtime_for(m, c->rec.spec.isolation);
    c->refs = 1; /* the list's */
    remove_stale_archives(m, c->rec.id, c->rec.name);
    wctr_mutex_lock(&m->lock);
    c->next = m->list;
    m->list = c;
    wctr_mutex_unlock(&m->lock);
  }
  free(records);
  /* Re-attach (one at a time: the runtimes' calls block; nothing else runs yet). Every one of them: a
   * record left "running" without a run would stay so for ever. */
  ctr **todo = calloc(count + 1, sizeof *todo);
  size_t n = 0;
  wctr_mutex_lock(&m->lock);
  for (ctr *c = m->list; c != NULL && todo != NULL && n < count; c = c->next) {
    if (c->rec.state.status == SVC_STATE_RUNNING) {
      mgr_ref_locked(m, c);
      todo[n++] = c;
    }
  }
  wctr_mutex_unlock(&m->lock);
  if (todo == NULL && count > 0) {
    free(owned);
    free(removed);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory re-attaching %zu containers", count);
  }
  for (size_t i = 0; i < n; i++) {
    recover_one(m, todo[i]);
    mgr_release(m, todo[i]);
  }
  free(todo);
  /* What the runtimes left on the host for containers that do not run (CCG instances, compute systems,
   * mounted scratch volumes...), before anything new starts. */
  const char **running = calloc(count + 1, sizeof *running);
  size_t running_n = 0;
  if (owned != NULL && running != NULL) {
    wctr_mutex_lock(&m->lock);
    for (ctr *c = m->list; c != NULL; c = c->next) {
      owned[owned_n++] = c->rec.id;
      if (c->task != NULL) running[running_n++] = c->rec.id;
    }
    wctr_mutex_unlock(&m->lock);
    for (size_t i = 0; removed != NULL && i < removed_n; i++) owned[owned_n++] = removed[i];
    if (m->job_rt != NULL) m->job_rt->methods->sweep(m->job_rt, owned, owned_n, running, running_n);
    if (m->hcs_rt != NULL) m->hcs_rt->methods->sweep(m->hcs_rt, owned, owned_n, running, running_n);
  }
  free(owned);
  free(running);
  free(removed);
  /* --rm containers that ended while wctrd was down go now, as dockerd does at its start. */
  for (;;) {
    ctr *doomed = NULL;
    wctr_mutex_lock(&m->lock);
    for (ctr *c = m->list; c != NULL && doomed == NULL; c = c->next) {
      if (c->rec.spec.auto_remove && c->rec.state.status == SVC_STATE_EXITED) doomed = c;
    }
    if (doomed != NULL) mgr_ref_locked(m, doomed);
    wctr_mutex_unlock(&m->lock);
    if (doomed == NULL) break;
    wctr_errmsg re;
    if (mgr_remove_now(m, doomed, &re) != WCTR_OK) {
      wctr_log(WCTR_LOG_ERROR, "container %s (--rm): %s", doomed->rec.name, re.text);
      mgr_release(m, doomed);
      break;
    }
    mgr_release(m, doomed);
  }
  return WCTR_OK;
}
