/* service/manager_pause.c - container.pause and container.unpause (service/manager.h): the runtime freezes the
 * run (runtime/runtime.h, RT_METHODS_V3) and the manager keeps the fact (state.paused), Docker's way: a paused
 * container is still running (State.Running), its status word is "paused", and the events say pause / unpause.
 * Docker's checks and words (moby daemon/pause.go, daemon/unpause.go): "Container ID is not running" and
 * "Container ID is already paused" (409), "Container ID is not paused", and the runtime's refusal as "Cannot pause
 * container ID: REASON". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "service/manager_internal.h"

typedef struct pause_op {
  svc_manager *m;
  ctr *c;
  rt_task *t;
  svc_sink *sink;
  bool pause;
} pause_op;

/* On the pool: the runtime's call, then the fact recorded and the event sent. */
static void pause_run(void *arg) {
  pause_op *p = arg;
  svc_manager *m = p->m;
  ctr *c = p->c;
  wctr_errmsg e = {0};
  const rt_methods *methods = p->t->runtime->methods;
  wctr_err (*fn)(rt_task *, wctr_errmsg *) = p->pause ? RT_PAUSE_FN(methods) : RT_RESUME_FN(methods);
  wctr_err err = fn != NULL ? fn(p->t, &e)
                            : wctr_fail(&e, WCTR_ENOTSUP, "the %s runtime cannot pause containers", methods->name);
  char id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
  wctr_mutex_lock(&m->lock);
  c->pausing = false;
  if (err == WCTR_OK) c->rec.state.paused = p->pause;
  snprintf(id, sizeof id, "%s", c->rec.id);
  snprintf(name, sizeof name, "%s", c->rec.name);
  wctr_mutex_unlock(&m->lock);
  mgr_task_put(m, c);
  if (err == WCTR_OK) {
    mgr_save(m, c);
    wctr_log(WCTR_LOG_INFO, "container %s %s", name, p->pause ? "paused" : "unpaused");
    mgr_emit(m, p->pause ? "pause" : "unpause", id, name, 0);
    cJSON *r = cJSON_CreateObject();
    svc_sink_finish(p->sink, r != NULL ? WCTR_OK : WCTR_ENOMEM, r, r != NULL ? NULL : "out of memory");
  } else {
    char msg[sizeof e.text + 160];
    snprintf(msg, sizeof msg, "Cannot %s container %s: %s", p->pause ? "pause" : "unpause", id, e.text);
    svc_sink_finish(p->sink, err, NULL, msg);
  }
  mgr_release(m, c);
  free(p);
}

static void pause_or_unpause(svc_manager *m, const cJSON *params, svc_sink *sink, bool pause) {
  static const char *const keys[] = {"Id", NULL};
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_err err = wctr_json_check_keys(params, "params", keys, &e);
  if (err == WCTR_OK) err = mgr_find_param(m, params, NULL, &c, &e);
  pause_op *p = err == WCTR_OK ? calloc(1, sizeof *p) : NULL;
  if (err == WCTR_OK && p == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    *p = (pause_op){.m = m, .c = c, .sink = sink, .pause = pause};
    wctr_mutex_lock(&m->lock);
    bool running = c->rec.state.status == SVC_STATE_RUNNING && !c->starting && !c->releasing && c->task != NULL;
    bool paused = running && c->rec.state.paused;
    if (pause && !running) {
      err = wctr_fail(&e, WCTR_ESTATE, "Container %s is not running", c->rec.id);
    } else if (pause && paused) {
      err = wctr_fail(&e, WCTR_ESTATE, "Container %s is already paused", c->rec.id);
    } else if (!pause && !paused) {
      err = wctr_fail(&e, WCTR_ESTATE, "Container %s is not paused", c->rec.id);
    } else if (c->pausing) {
      err = wctr_fail(&e, WCTR_EBUSY, "Container %s is being %s already", c->rec.id, pause ? "paused" : "unpaused");
    } else {
      p->t = mgr_task_get_locked(m, c);
      if (p->t == NULL) {
        err = wctr_fail(&e, WCTR_ESTATE, "Container %s is not running", c->rec.id);
      } else {
        c->pausing = true;
      }
    }
    wctr_mutex_unlock(&m->lock);
  }
  if (err != WCTR_OK) {
    free(p);
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  mgr_pool(m, pause_run, p); /* runs it here when the pool cannot */
}

void mgr_op_pause(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  pause_or_unpause(ctx, params, sink, true);
}

void mgr_op_unpause(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  pause_or_unpause(ctx, params, sink, false);
}
