/* runtime/rt_hcs_win.c - process and Hyper-V containers through HCS (runtime/runtime.h, runtime/rt_hcs.h).
 * Everything waits on the I/O core: HCS's exit callbacks record and post, the output comes through two
 * overlapped readers, stdin through a bounded writer, the silo's notifications (OOM) through a keyed source,
 * and the HCS calls that end a run go to the blocking pool. No thread per container. The storage steps
 * follow hcsshim's (docs/hcs.md has the fidelity table). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/sid.h"
#include "common/fs.h"
#include "common/ioc_win.h"
#include "common/log.h"
#include "common/wstr.h"
#include "gmsa/ccg.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "hcs/client.h"
#include "hcs/document.h"
#include "hcs/osversion.h"
#include "jobs/job.h"
#include "jobs/notify.h"
#include "runtime/rt_hcs.h"
#include "runtime/rt_net.h"

#define HR_IMAGE_MISMATCH 0x80370101u
enum {
  READ_BUFFER = 4096,
  STDIN_QUEUE_MAX = 1024 * 1024,
  STOP_CALL_MS = 30000,   /* one HCS call made to end or signal a run */
  FINISH_WAIT_MS = 10000, /* the compute systems' exit events after the terminate */
  STDIN_FLUSH_MS = 30000, /* queued input written before stdin is closed */
};

typedef struct hcs_rt {
  rt_runtime base;
  rt_options opt;
  hcs_client *client; /* NULL when HCS cannot be loaded */
  char why[400];
  char host_os[40];
  char data_root[1024];          /* "" when the service gave none: nothing is swept by Owner then */
  char owner[HCS_OWNER_SIZE];    /* the Owner of this data root's systems (hcs_owner_for_data_root) */
  net_client *net;               /* NULL when the host has no HNS */
  char net_why[400];
  net_ports *ports;              /* the host ports this wctrd's running containers publish */
} hcs_rt;

typedef struct hcs_task hcs_task;

typedef struct hcs_stream {
  hcs_task *t;
  rt_stream which;
} hcs_stream;

struct hcs_task {
  rt_task base;
  hcs_rt *rt;
  void *key;
  char id[65];
  char name[129];
  wctr_isolation isolation;
  wctr_mutex lock;
  /* Set before the task is armed and cleared by release only: the HCS handles serialise their own calls
   * against their closing (hcs/client.h). */
  hcs_system *system;
  hcs_system *uvm;
  hcs_process *init;
  job_object *silo;
  ULONG_PTR source;            /* the silo's notifications; 0 none */
  hcs_stream streams[2];
  wctr_ioc_reader *readers[2]; /* lock: NULL once ended */
  int open_streams;            /* lock: readers that have not ended */
  wctr_ioc_writer *stdin_w;    /* lock */
  HANDLE stdin_flushed;        /* auto-reset: the stdin queue emptied or failed (stdin_close waits on it) */
  wctr_ioc_timer *drain;       /* lock: RT_DRAIN_MS after the end */
  wctr_ioc_timer *settle;      /* lock: FINISH_WAIT_MS for the systems' exits */
  bool armed;                  /* lock: start or reattach succeeded; events may be reported */
  bool ended;                  /* lock: the first process or a compute system exited */
  bool finishing;              /* lock: the end job was queued */
  bool finished;               /* lock: the end job has run (what was left is terminated) */
  bool given_up;               /* lock: the systems did not report their exit in time */
  int systems;                 /* lock: compute systems watched */
  int systems_exited;          /* lock */
  bool code_set;               /* lock: the exit code is decided (the process's, or -1 after a crash) */
  bool unexpected;             /* lock: a compute system exited on its own */
  int64_t code;                /* lock */
  char why[200];               /* lock */
  bool oom;                    /* lock */
  bool reported;               /* lock */
  bool mounted;                /* process: the scratch is activated and prepared (vmcompute) */
  bool scsi_added;             /* Hyper-V: the scratch is on the VM's SCSI and mounted by its guest */
  bool combined;               /* Hyper-V: the guest combined the layers over it */
  char guest_path[40];         /* Hyper-V: where, in the VM */
  bool ccg_added;
  bool has_secrets;
  rt_net_plan net;             /* the network the run joined (ids, ports); not enabled without one */
  rt_net_run netrun;           /* what of it exists */
  char sandbox[1200];
  /* What exec's processes get unless they say otherwise: the container's process (copied at start/reattach). */
  char **env;
  size_t env_count;
  char *user;                  /* NULL: HCS_DEFAULT_USER */
  char *working_dir;           /* NULL: the image's */
  int refs;                    /* lock: the owner until release, each pending callback or job, each exec */
};

/* An exec'd process: HcsCreateProcess in the running container's compute system. */
typedef struct hcs_proc hcs_proc;
typedef struct hcs_proc_stream {
  hcs_proc *p;
  rt_stream which;
} hcs_proc_stream;

struct hcs_proc {
  rt_proc base;
  hcs_task *t;                 /* a reference, dropped when the process is freed */
  rt_exec_events ev;
  wctr_mutex lock;
  hcs_process *process;        /* closed by proc_release (which waits for HCS's callbacks) */
  hcs_proc_stream streams[2];
  wctr_ioc_reader *readers[2]; /* lock */
  int open_streams;            /* lock */
  wctr_ioc_writer *stdin_w;    /* lock */
  HANDLE stdin_flushed;        /* auto-reset, as the task's */
  wctr_ioc_timer *drain;       /* lock */
  bool armed;                  /* lock: its readers are set up; nothing is reported before */
  bool exited;                 /* lock */
  bool reported;               /* lock */
  int64_t code;                /* lock */
  int refs;                    /* lock: the owner until proc_release, and each pending callback */
};

static void release_common(hcs_task *t);

/* --- small helpers ------------------------------------------------------------------------------------- */

static void strip_slash(const char *in, char *out, size_t size) {
  snprintf(out, size, "%s", in);
  size_t n = strlen(out);
  while (n > 0 && (out[n - 1] == '\\' || out[n - 1] == '/')) out[--n] = '\0';
}

static rt_net_ctx net_ctx(hcs_rt *rt) {
  rt_net_ctx c = {.client = rt->net, .why = rt->net_why, .ports = rt->ports, .host = &rt->opt.host, .owner = rt->owner};
  return c;
}

static wctr_err copy_file(const char *from, const char *to, wctr_errmsg *e) {
  wchar_t *wf = wctr_utf8_to_wide(from);
  wchar_t *wt = wctr_utf8_to_wide(to);
  BOOL ok = wf != NULL && wt != NULL && CopyFileW(wf, wt, FALSE);
  DWORD code = GetLastError();
  free(wf);
  free(wt);
  if (ok) return WCTR_OK;
  if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) {
    return wctr_fail(e, WCTR_ENOENT, "Hyper-V isolation needs the image's utility VM: %s is missing", from);
  }
  return wctr_fail(e, wctr_log_win32("CopyFileW", code, "%s", to), "cannot create the utility VM's scratch %s", to);
}

static bool same_path(const char *a, const char *b) {
  char x[1300], y[1300];
  strip_slash(a, x, sizeof x);
  strip_slash(b, y, sizeof y);
  return _stricmp(x, y) == 0;
}

static const char *user_of(const spec_container *spec) {
  return spec->process.user != NULL ? spec->process.user : HCS_DEFAULT_USER;
}

/* --- the task: references, events, the end of a run ---------------------------------------------------- */

static void task_unref(hcs_task *t) {
  wctr_mutex_lock(&t->lock);
  bool last = --t->refs == 0;
  wctr_mutex_unlock(&t->lock);
  if (!last) return;
  if (t->stdin_flushed != NULL) CloseHandle(t->stdin_flushed);
  for (size_t i = 0; i < t->env_count; i++) free(t->env[i]);
  free(t->env);
  free(t->user);
  free(t->working_dir);
  wctr_mutex_destroy(&t->lock);
  free(t);
}

/* The container's process as exec's defaults (hcs_task.env, user, working_dir). */
static bool keep_process(hcs_task *t, const spec_process *p) {
  if (p->env_count > 0) {
    t->env = calloc(p->env_count, sizeof *t->env);
    if (t->env == NULL) return false;
    for (size_t i = 0; i < p->env_count; i++) {
      t->env[i] = _strdup(p->env[i]);
      if (t->env[i] == NULL) return false;
      t->env_count = i + 1;
    }
  }
  if (p->user != NULL && (t->user = _strdup(p->user)) == NULL) return false;
  if (p->working_dir != NULL && (t->working_dir = _strdup(p->working_dir)) == NULL) return false;
  return true;
}

static hcs_task *task_new(hcs_rt *rt, const rt_args *a) {
  hcs_task *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  if (wctr_mutex_init(&t->lock) != WCTR_OK) {
    free(t);
    return NULL;
  }
  t->base.runtime = &rt->base;
  t->rt = rt;
  t->key = a->key;
  t->isolation = a->spec->isolation;
  t->code = -1;
  t->refs = 1;
  snprintf(t->id, sizeof t->id, "%s", a->id);
  snprintf(t->name, sizeof t->name, "%s", a->name);
  for (int i = 0; i < 2; i++) t->streams[i] = (hcs_stream){.t = t, .which = (rt_stream)(i + 1)};
  return t;
}

/* Reports the exit once: the run ended, what was left is terminated, every compute system reported its exit
 * (or was given up on) and both streams are done. */
static void maybe_report(hcs_task *t) {
  rt_exit x;
  memset(&x, 0, sizeof x);
  wctr_mutex_lock(&t->lock);
  bool systems_done = t->systems_exited >= t->systems || t->given_up;
  bool go = t->armed && t->ended && t->finished && systems_done && t->open_streams == 0 && !t->reported;
  if (go) {
    t->reported = true;
    x.code = t->code;
    x.oom_killed = t->oom;
    snprintf(x.why, sizeof x.why, "%s", t->why);
    if (t->drain != NULL && wctr_ioc_timer_cancel(t->drain)) t->refs--;
    t->drain = NULL;
    if (t->settle != NULL && wctr_ioc_timer_cancel(t->settle)) t->refs--;
    t->settle = NULL;
  }
  wctr_mutex_unlock(&t->lock);
  if (go) t->rt->opt.events.exited(t->rt->opt.events.ctx, t->key, &x);
}

static void on_settle_timeout(void *arg) {
  hcs_task *t = arg;
  wctr_mutex_lock(&t->lock);
  t->settle = NULL;
  bool silent = t->systems_exited < t->systems && !t->reported;
  if (silent) t->given_up = true;
  wctr_mutex_unlock(&t->lock);
  if (silent) {
    wctr_log(WCTR_LOG_WARN, "container %s: the compute systems did not report their exit within %d s", t->name,
             FINISH_WAIT_MS / 1000);
  }
  maybe_report(t);
  task_unref(t);
}

/* Hyper-V: the guest's side of the container's storage, in the reverse of its order - the combined layers,
 * then the scratch disk (the guest unmounts it, then it leaves the SCSI controller). A VM that crashed or
 * was terminated has nothing left to remove, so failures are logged for debugging only. */
static void remove_guest_storage(hcs_task *t) {
  wctr_errmsg e;
  if (t->uvm == NULL) return;
  if (t->combined) {
    cJSON *req = hcs_doc_combined_layers(t->guest_path, NULL, 0, false);
    wctr_err err = req != NULL ? hcs_system_modify(t->uvm, req, STOP_CALL_MS, &e) : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
    cJSON_Delete(req);
    if (err != WCTR_OK) wctr_log(WCTR_LOG_DEBUG, "container %s: combined layers not removed: %s", t->name, e.text);
    t->combined = false;
  }
  if (t->scsi_added) {
    cJSON *req = hcs_doc_scsi_remove(RT_HCS_SCRATCH_LUN, t->guest_path);
    wctr_err err = req != NULL ? hcs_system_modify(t->uvm, req, STOP_CALL_MS, &e) : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
    cJSON_Delete(req);
    if (err != WCTR_OK) wctr_log(WCTR_LOG_DEBUG, "container %s: scratch disk not removed: %s", t->name, e.text);
    t->scsi_added = false;
  }
}

/* What is left of a run, in the reverse of the start's order: the container's compute system, then (Hyper-V)
 * the guest's storage and the utility VM. Already stopped counts as done. */
static void stop_systems(hcs_task *t) {
  wctr_errmsg e;
  if (t->system != NULL && hcs_system_terminate(t->system, STOP_CALL_MS, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s", t->name, e.text);
  }
  rt_net_guest_remove(t->name, t->net.nic_id, &t->netrun, t->uvm);
  remove_guest_storage(t);
  if (t->uvm != NULL && hcs_system_terminate(t->uvm, STOP_CALL_MS, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s", t->name, e.text);
  }
}

/* On the blocking pool: Docker's rule - the container lives as long as its first process - terminates what
 * is left; then the systems' exit events are awaited, bounded. */
static void end_run(void *arg) {
  hcs_task *t = arg;
  wctr_errmsg e;
  stop_systems(t);
  wctr_mutex_lock(&t->lock);
  t->finished = true;
  if (t->systems_exited < t->systems && !t->given_up && !t->reported) {
    t->refs++;
    if (wctr_ioc_timer_start(t->rt->opt.ioc, FINISH_WAIT_MS, on_settle_timeout, t, &t->settle, &e) != WCTR_OK) {
      t->refs--;
      t->settle = NULL;
      t->given_up = true; /* without a timer nothing would end the wait */
    }
  }
  wctr_mutex_unlock(&t->lock);
  maybe_report(t);
  task_unref(t);
}

static void on_drain_timeout(void *arg) {
  hcs_task *t = arg;
  wctr_mutex_lock(&t->lock);
  t->drain = NULL;
  bool open = t->open_streams > 0 && !t->reported;
  /* Cancelled under the lock: on_end clears the pointers under it, so none of these has ended yet. */
  for (int i = 0; open && i < 2; i++) {
    if (t->readers[i] != NULL) wctr_ioc_reader_cancel(t->readers[i]);
  }
  wctr_mutex_unlock(&t->lock);
  if (open) {
    wctr_log(WCTR_LOG_WARN, "container %s: output still open %u ms after exit; the rest is dropped", t->name,
             RT_DRAIN_MS);
  }
  task_unref(t);
}

/* On a worker, after HCS reported an exit: the first time the run is seen ended (and the task armed), the
 * end job goes to the pool and the output gets its drain time. */
static void on_step(void *arg) {
  hcs_task *t = arg;
  wctr_errmsg e;
  wctr_mutex_lock(&t->lock);
  bool go = t->armed && t->ended && !t->finishing;
  if (go) {
    t->finishing = true;
    t->refs++; /* the end job's */
    if (t->open_streams > 0 && !t->reported && t->drain == NULL) {
      t->refs++;
      if (wctr_ioc_timer_start(t->rt->opt.ioc, RT_DRAIN_MS, on_drain_timeout, t, &t->drain, &e) != WCTR_OK) {
        t->refs--;
        t->drain = NULL;
      }
    }
  }
  wctr_mutex_unlock(&t->lock);
  if (go && !wctr_ioc_blocking(t->rt->opt.ioc, end_run, t)) {
    /* Only when the core stops: nothing is terminated, the systems go when their handles close. */
    wctr_mutex_lock(&t->lock);
    t->refs--;
    t->finished = true;
    t->given_up = true;
    wctr_mutex_unlock(&t->lock);
  }
  maybe_report(t);
  task_unref(t);
}

/* Called with t->lock held: posts on_step with a reference of its own. */
static void post_step_locked(hcs_task *t) {
  WCTR_ASSERT_HELD(&t->lock);
  t->refs++;
  if (!wctr_ioc_post(t->rt->opt.ioc, on_step, t)) t->refs--;
}

/* HCS callbacks: on HCS's threads, so they only record and post. The task outlives them: release closes the
 * handles (which waits for running callbacks) before it lets go of its reference. */
static void on_process_exit(void *ctx, const hcs_exit *x) {
  hcs_task *t = ctx;
  wctr_mutex_lock(&t->lock);
  if (!t->code_set) {
    t->code_set = true;
    t->code = x->code_known ? x->exit_code : -1;
    if (!x->code_known) snprintf(t->why, sizeof t->why, "HCS could not read the exit code");
  }
  t->ended = true;
  post_step_locked(t);
  wctr_mutex_unlock(&t->lock);
}

/* A system's exit. A crash (any exit type but the graceful or forced one wctr asks for) wins over the
 * process's exit code, which the crash caused: HCS delivers the processes' exits first. */
static void on_system_exit(hcs_task *t, const hcs_exit *x, const char *which, bool is_uvm) {
  bool unexpected = strcmp(x->exit_type, "GracefulExit") != 0 && strcmp(x->exit_type, "ForcedExit") != 0;
  char why[sizeof t->why] = "";
  wctr_mutex_lock(&t->lock);
  /* A crashed utility VM takes its container with it: the VM is the cause worth naming. */
  if (unexpected && (!t->unexpected || is_uvm)) {
    t->unexpected = true;
    t->code_set = true;
    t->code = -1;
    snprintf(t->why, sizeof t->why, "the %s exited (%s, status 0x%08lX)", which, x->exit_type,
             (unsigned long)(uint32_t)x->status);
    snprintf(why, sizeof why, "%s", t->why);
  }
  /* A system that stops ends the run even when its process's exit never came. */
  t->code_set = true;
  t->ended = true;
  t->systems_exited++;
  post_step_locked(t);
  wctr_mutex_unlock(&t->lock);
  if (why[0] != '\0') wctr_log(WCTR_LOG_WARN, "container %s: %s", t->name, why);
}

static void on_container_exit(void *ctx, const hcs_exit *x) {
  on_system_exit(ctx, x, "container's compute system", false);
}
static void on_uvm_exit(void *ctx, const hcs_exit *x) { on_system_exit(ctx, x, "utility VM", true); }

static void on_data(void *ctx, const char *data, size_t len) {
  hcs_stream *s = ctx;
  hcs_task *t = s->t;
  wctr_mutex_lock(&t->lock);
  bool armed = t->armed;
  wctr_mutex_unlock(&t->lock);
  if (armed) t->rt->opt.events.output(t->rt->opt.events.ctx, t->key, s->which, data, len);
}

static void on_end(void *ctx, DWORD error) {
  hcs_stream *s = ctx;
  hcs_task *t = s->t;
  if (error != 0 && error != ERROR_OPERATION_ABORTED) {
    wctr_log(WCTR_LOG_WARN, "container %s: reading its %s failed (error %lu)", t->name,
             s->which == RT_STDOUT ? "stdout" : "stderr", (unsigned long)error);
  }
  wctr_mutex_lock(&t->lock);
  t->readers[s->which - 1] = NULL;
  t->open_streams--;
  wctr_mutex_unlock(&t->lock);
  maybe_report(t);
  task_unref(t);
}

static void on_stdin_flushed(void *ctx) {
  hcs_task *t = ctx;
  SetEvent(t->stdin_flushed);
}

static void on_stdin_error(void *ctx, DWORD error) {
  (void)error;
  hcs_task *t = ctx;
  SetEvent(t->stdin_flushed);
}

static void on_silo_packet(void *ctx, DWORD message, ULONG_PTR data) {
  (void)data;
  hcs_task *t = ctx;
  job_event_kind kind;
  if (!job_event_from_message(message, &kind) || kind != JOB_EVENT_MEMORY_LIMIT) return;
  wctr_mutex_lock(&t->lock);
  bool first = t->armed && !t->oom && !t->reported;
  t->oom = true;
  wctr_mutex_unlock(&t->lock);
  if (first) t->rt->opt.events.oom(t->rt->opt.events.ctx, t->key);
}

/* The silo's notifications on the core's port (OOM). A failure costs only the OOM report. */
static void watch_silo(hcs_task *t) {
  wctr_errmsg e;
  ULONG_PTR key = 0;
  if (wctr_ioc_source_add(t->rt->opt.ioc, on_silo_packet, t, &key, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: no silo notifications (%s); OOM will not be reported", t->name, e.text);
    return;
  }
  if (job_notify_port(t->silo, wctr_ioc_port(t->rt->opt.ioc), key, &e) != WCTR_OK) {
    wctr_ioc_source_remove(t->rt->opt.ioc, key);
    wctr_log(WCTR_LOG_WARN, "container %s: no silo notifications (%s); OOM will not be reported", t->name, e.text);
    return;
  }
  t->source = key;
}

static wctr_err watch_system(hcs_task *t, hcs_system *s, hcs_exit_fn fn, wctr_errmsg *e) {
  wctr_mutex_lock(&t->lock);
  t->systems++;
  wctr_mutex_unlock(&t->lock);
  wctr_err err = hcs_system_watch(s, fn, t, e);
  if (err != WCTR_OK) {
    wctr_mutex_lock(&t->lock);
    t->systems--;
    wctr_mutex_unlock(&t->lock);
  }
  return err;
}

/* --- Container Credential Guard (gmsa/ccg.h) ---------------------------------------------------------- */

static gmsa_ccg_transport ccg_transport(bool hyperv) { return hyperv ? GMSA_CCG_HVSOCKET : GMSA_CCG_LRPC; }

/* The AddInstance document with the spec's PluginInput replaced by GMSA_REDACTED. */
static wctr_err ccg_add_redacted(const rt_args *a, bool hyperv, cJSON **out, wctr_errmsg *e) {
  const char *spec_text = a->spec->credspec_json;
  gmsa_credspec *spec = NULL;
  char *redacted = NULL;
  wctr_err err = gmsa_credspec_parse(spec_text, strlen(spec_text), &spec, e);
  if (err == WCTR_OK) err = gmsa_credspec_to_json_redacted(spec, &redacted, e);
  if (err == WCTR_OK) err = gmsa_ccg_add_settings(a->id, redacted, ccg_transport(hyperv), out, e);
  gmsa_credspec_free(spec);
  gmsa_secret_free(redacted);
  return err;
}

/* RemoveInstance; an instance that is gone already counts as removed. */
static wctr_err ccg_remove(hcs_rt *rt, const char *id, wctr_errmsg *e) {
  cJSON *remove = NULL;
  wctr_err err = gmsa_ccg_remove_settings(id, &remove, e);
  if (err == WCTR_OK) err = hcs_service_modify(rt->client, remove, NULL, e);
  cJSON_Delete(remove);
  if (err == WCTR_ENOENT) err = WCTR_OK;
  return err;
}

/* --- the plan: what a start sends --------------------------------------------------------------------- */

typedef struct plan {
  bool hyperv;
  rt_image img;
  hcs_layer *layers;
  spec_mount *mounts;
  size_t mount_count;
  char sandbox[1200];      /* the writable layer's folder: <container dir>\sandbox */
  char scratch_vhdx[1300]; /* its scratch VHD: <sandbox>\sandbox.vhdx */
  char secrets_dir[1200];
  char uvm_id[80];
  char uvm_scratch[1300];
  char uvm_template[700];
  char guest_path[40];     /* Hyper-V: where the guest mounts the scratch and combines the layers */
  uint64_t uvm_mb;
  double uvm_cpus;
  cJSON *layer_list;       /* the parents as vmcompute's descriptors show in the dry run */
  cJSON *uvm_doc;
  cJSON *scsi;             /* Hyper-V: the scratch hot-added and mounted by the guest */
  cJSON *combine;          /* Hyper-V: the layers combined over it */
  cJSON *doc;
  cJSON *process;
  rt_net_plan net;         /* the network the container joins (rt_net.h) */
} plan;

static void plan_free(plan *p) {
  for (size_t i = 0; i < p->mount_count; i++) spec_mount_free(&p->mounts[i]);
  free(p->mounts);
  free(p->layers);
  rt_image_free(&p->img);
  cJSON_Delete(p->layer_list);
  /* After CCG the documents hold the credential spec: zeroed before they are freed. */
  gmsa_json_secure_delete(p->uvm_doc);
  cJSON_Delete(p->scsi);
  cJSON_Delete(p->combine);
  gmsa_json_secure_delete(p->doc);
  cJSON_Delete(p->process);
  rt_net_plan_free(&p->net);
  memset(p, 0, sizeof *p);
}

static wctr_err resolve_image(hcs_rt *rt, const char *ref, rt_image *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  if (rt->opt.host.image_resolve == NULL) {
    return wctr_fail(e, WCTR_ENOTSUP, "image \"%s\": this service has no image catalog for process and Hyper-V "
                     "isolation", ref);
  }
  wctr_err err = rt->opt.host.image_resolve(rt->opt.host.ctx, ref, out, e);
  if (err == WCTR_OK && out->layer_count == 0) {
    rt_image_free(out);
    err = wctr_fail(e, WCTR_EINVAL, "image \"%s\" has no layers", ref);
  }
  return err;
}

/* What a container's storage is made of, the same for a start's plan and a stopped container's mount
 * (hrt_mount_root): the image's layers (top-most first), the writable layer's folder and its scratch VHD. p is
 * zeroed first; plan_free frees what was filled. */
static wctr_err plan_storage(hcs_rt *rt, const rt_args *a, plan *p, wctr_errmsg *e) {
  const spec_container *spec = a->spec;
  memset(p, 0, sizeof *p);
  p->hyperv = spec->isolation == WCTR_ISOLATION_HYPERV;
  if (spec->isolation != WCTR_ISOLATION_PROCESS && !p->hyperv) {
    return wctr_fail(e, WCTR_EINVAL, "the HCS runtime runs process and Hyper-V isolation, not %s",
                     spec_isolation_name(spec->isolation));
  }
  wctr_err err = resolve_image(rt, spec->image, &p->img, e);
  if (err != WCTR_OK) return err;
  p->layers = calloc(p->img.layer_count, sizeof *p->layers);
  if (p->layers == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; i < p->img.layer_count; i++) p->layers[i] = (hcs_layer){p->img.layer_ids[i], p->img.layer_paths[i]};
  char dir[1100];
  strip_slash(a->container_dir, dir, sizeof dir);
  snprintf(p->sandbox, sizeof p->sandbox, "%s\\%s", dir, RT_HCS_SANDBOX_DIR);
  snprintf(p->scratch_vhdx, sizeof p->scratch_vhdx, "%s\\%s", p->sandbox, RT_HCS_SCRATCH_VHD);
  return WCTR_OK;
}

/* The documents of a start, built (and so checked) before anything exists. A process-isolated container's
 * Storage.Path is RT_HCS_DRY_RUN_VOLUME until the start knows the mounted volume (set_storage_path). */
static wctr_err plan_build(hcs_rt *rt, const rt_args *a, plan *p, bool dry_run, spec_warnings *warnings, wctr_errmsg *e) {
  const spec_container *spec = a->spec;
  wctr_err err = plan_storage(rt, a, p, e);
  if (err != WCTR_OK) return err;
  size_t mounts = spec->bind_count + (spec->secret_count > 0 ? 1 : 0);
  p->mounts = mounts > 0 ? calloc(mounts, sizeof *p->mounts) : NULL;
  if (mounts > 0 && p->mounts == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; i < spec->bind_count; i++) {
    err = spec_mount_parse(spec->binds[i], &p->mounts[i], e);
    if (err != WCTR_OK) return err;
    p->mount_count++;
    spec_mount *m = &p->mounts[i];
    if (m->volume != NULL || m->anonymous) {
      /* A volume is a folder of the data root (Docker's local driver), mapped as a bind is: the service
       * created it (and named an anonymous one) at create; a dry run may show the placeholder. */
      char path[1400];
      if (rt->data_root[0] == '\0') {
        return wctr_fail(e, WCTR_ENOTSUP, "-v %s: this service has no data root to keep volumes in", spec->binds[i]);
      }
      snprintf(path, sizeof path, "%s\\" SPEC_VOLUMES_DIR "\\%s\\" SPEC_VOLUME_DATA_DIR, rt->data_root,
               m->volume != NULL ? m->volume : "<anonymous>");
      m->host_path = strdup(path);
      if (m->host_path == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  char dir[1100];
  strip_slash(a->container_dir, dir, sizeof dir);
  snprintf(p->secrets_dir, sizeof p->secrets_dir, "%s\\%s", dir, RT_SECRETS_DIR_NAME);
  if (spec->secret_count > 0) {
    /* The folder rt_host.secrets_materialize fills at start, read-only where Docker's secrets would be. */
    spec_mount *m = &p->mounts[p->mount_count];
    m->host_path = strdup(p->secrets_dir);
    m->container_path = strdup(RT_SECRETS_CONTAINER_PATH);
    if (m->host_path == NULL || m->container_path == NULL) {
      spec_mount_free(m);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    m->read_only = true;
    p->mount_count++;
  }
  const char *base = p->img.layer_paths[p->img.layer_count - 1];
  if (p->hyperv) {
    snprintf(p->uvm_id, sizeof p->uvm_id, "%s%s", a->id, RT_HCS_UVM_SUFFIX);
    snprintf(p->uvm_scratch, sizeof p->uvm_scratch, "%s\\uvm\\%s", dir, RT_HCS_SCRATCH_VHD);
    snprintf(p->uvm_template, sizeof p->uvm_template, "%s\\UtilityVM\\SystemTemplate.vhdx", base);
    snprintf(p->guest_path, sizeof p->guest_path, "C:\\c\\%.12s", a->id);
  }
  /* The network first: the documents name its namespace. */
  rt_net_ctx nc = net_ctx(rt);
  err = rt_net_plan_build(&nc, a, p->img.exposed, p->img.exposed_count, dry_run, &p->net, e);
  if (err != WCTR_OK) return err;
  hcs_doc_input in = {
      .network_namespace = p->net.enabled ? p->net.namespace_id : NULL,
      .dns_search = spec->net.dns_search,
      .dns_search_count = spec->net.dns_search_count,
      .container_id = a->id,
      .owner = rt->owner,
      .layers = p->layers,
      .layer_count = p->img.layer_count,
      .sandbox_path = p->hyperv ? p->guest_path : RT_HCS_DRY_RUN_VOLUME,
      .mounts = p->mounts,
      .mount_count = p->mount_count,
      .host_cpus = rt->opt.host_cpus > 0 ? rt->opt.host_cpus : 1,
      .uvm_id = p->hyperv ? p->uvm_id : NULL,
      .uvm_scratch_path = p->hyperv ? p->uvm_scratch : NULL,
  };
  p->layer_list = hcs_doc_layer_list(p->layers, p->img.layer_count);
  if (p->layer_list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (p->hyperv) {
    err = hcs_doc_uvm(spec, &in, &p->uvm_doc, warnings, e);
    if (err == WCTR_OK) err = hcs_doc_hosted_container(spec, &in, &p->doc, NULL, e);
    if (err == WCTR_OK) {
      p->scsi = hcs_doc_scsi_add(RT_HCS_SCRATCH_LUN, p->scratch_vhdx, p->guest_path);
      p->combine = hcs_doc_combined_layers(p->guest_path, p->layers, p->img.layer_count, true);
      if (p->scsi == NULL || p->combine == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    if (err == WCTR_OK) {
      const cJSON *topo = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->uvm_doc, "VirtualMachine"),
                                                           "ComputeTopology");
      const cJSON *mb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(topo, "Memory"), "SizeInMB");
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(topo, "Processor"), "Count");
      p->uvm_mb = cJSON_IsNumber(mb) ? (uint64_t)mb->valuedouble : 0;
      p->uvm_cpus = cJSON_IsNumber(n) ? n->valuedouble : 0;
    }
  } else {
    err = hcs_doc_process_container(spec, &in, &p->doc, warnings, e);
  }
  if (err == WCTR_OK) err = hcs_doc_process_params(spec, &p->process, e);
  return err;
}

/* Process isolation: the container's Storage.Path becomes the volume GetLayerMountPath gave. */
static wctr_err set_storage_path(plan *p, const char *volume, wctr_errmsg *e) {
  cJSON *storage = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->doc, "Container"), "Storage");
  cJSON *path = cJSON_CreateString(volume);
  if (storage == NULL || path == NULL || !cJSON_ReplaceItemInObjectCaseSensitive(storage, "Path", path)) {
    cJSON_Delete(path);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  return WCTR_OK;
}

/* AddInstance for the container, then the instance HCS made put into the documents: the container's
 * ContainerCredentialGuard and, for Hyper-V, the utility VM's HvSocket service. */
static wctr_err ccg_add(hcs_rt *rt, const rt_args *a, plan *p, hcs_task *t, wctr_errmsg *e) {
  cJSON *add = NULL;
  cJSON *props = NULL;
  cJSON *query = cJSON_Parse(GMSA_CCG_QUERY);
  gmsa_ccg_instance inst = {0};
  wctr_err err = query != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = gmsa_ccg_add_settings(a->id, a->spec->credspec_json, ccg_transport(p->hyperv), &add, e);
  if (err == WCTR_OK) err = hcs_service_modify(rt->client, add, NULL, e);
  gmsa_json_secure_delete(add);
  if (err != WCTR_OK) {
    cJSON_Delete(query);
    return err;
  }
  t->ccg_added = true;
  err = hcs_service_properties(rt->client, query, &props, e);
  cJSON_Delete(query);
  if (err == WCTR_OK) err = gmsa_ccg_find_instance_doc(props, a->id, &inst, e);
  gmsa_json_secure_delete(props);
  cJSON *container = p->hyperv ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->doc, "HostedSystem"),
                                                                   "Container")
                               : cJSON_GetObjectItemCaseSensitive(p->doc, "Container");
  if (err == WCTR_OK) err = gmsa_ccg_put_in_container(container, &inst, e);
  if (err == WCTR_OK && p->hyperv) {
    cJSON *devices = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->uvm_doc, "VirtualMachine"),
                                                      "Devices");
    cJSON *hv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(devices, "HvSocket"), "HvSocketConfig");
    err = gmsa_ccg_put_in_vm(hv, &inst, e);
  }
  gmsa_ccg_instance_free(&inst);
  return err;
}

/* --- methods: create time ------------------------------------------------------------------------------ */

static bool hrt_available(rt_runtime *base, const char **why) {
  hcs_rt *rt = (hcs_rt *)base;
  if (why != NULL) *why = rt->why;
  return rt->client != NULL;
}

static wctr_err hrt_prepare(rt_runtime *base, spec_container *spec, bool dry_run, spec_warnings *w, wctr_errmsg *e) {
  (void)w;
  hcs_rt *rt = (hcs_rt *)base;
  if (spec->image == NULL || spec->image[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "params: \"Image\" is required");
  rt_image img;
  wctr_err err = resolve_image(rt, spec->image, &img, e);
  if (err != WCTR_OK) return err;
  const char *name = img.name != NULL ? img.name : spec->image;
  if (spec->process.cmd_count == 0) {
    if (img.cmd_count == 0) {
      err = wctr_fail(e, WCTR_EINVAL, "No command specified: image %s has no default command", name);
    } else {
      char **cmd = calloc(img.cmd_count, sizeof *cmd);
      size_t n = 0;
      for (; cmd != NULL && n < img.cmd_count; n++) {
        cmd[n] = strdup(img.cmd[n]);
        if (cmd[n] == NULL) break;
      }
      if (cmd == NULL || n < img.cmd_count) {
        for (size_t i = 0; cmd != NULL && i < n; i++) free(cmd[i]);
        free(cmd);
        err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      } else {
        free(spec->process.cmd);
        spec->process.cmd = cmd;
        spec->process.cmd_count = n;
      }
    }
  }
  if (err == WCTR_OK && img.user != NULL && spec->process.user == NULL) {
    spec->process.user = strdup(img.user);
    if (spec->process.user == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK && spec->isolation == WCTR_ISOLATION_PROCESS) {
    hcs_osversion host, mine;
    char msg[300];
    if (hcs_osversion_parse(rt->host_os, &host, e) != WCTR_OK) {
      err = wctr_fail(e, WCTR_ESYSTEM, "the host's OS version \"%s\" cannot be read", rt->host_os);
    } else if (hcs_osversion_parse(img.os_version, &mine, e) != WCTR_OK) {
      err = WCTR_EINVAL;
    } else if (hcs_osversion_check(&host, &mine, msg, sizeof msg) != HCS_COMPAT_OK) {
      err = wctr_fail(e, WCTR_EINVAL, "image %s: %s", name, msg);
    }
  }
  /* The network exists and no running container publishes the same host ports: before anything is created. */
  if (err == WCTR_OK) {
    rt_net_ctx nc = net_ctx(rt);
    err = rt_net_check(&nc, "", spec, dry_run, e);
  }
  /* The record keeps the catalog's normalised name. */
  if (err == WCTR_OK && img.name != NULL && strcmp(img.name, spec->image) != 0) {
    char *copy = strdup(img.name);
    if (copy == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else {
      free(spec->image);
      spec->image = copy;
    }
  }
  rt_image_free(&img);
  return err;
}

/* One call of the plan: {"call", "id"?, "path"?, <extra>?, "document"?} (extra: a member named extra_name,
 * copied). False when out of memory. */
static bool add_call_with(cJSON *calls, const char *call, const char *id, const char *path, const char *extra_name,
                          const cJSON *extra, const cJSON *doc) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || !cJSON_AddItemToArray(calls, o) || cJSON_AddStringToObject(o, "call", call) == NULL) {
    cJSON_Delete(o);
    return false;
  }
  if (id != NULL && cJSON_AddStringToObject(o, "id", id) == NULL) return false;
  if (path != NULL && cJSON_AddStringToObject(o, "path", path) == NULL) return false;
  if (extra_name != NULL && !cJSON_AddItemToObject(o, extra_name, cJSON_Duplicate(extra, true))) return false;
  return doc == NULL || cJSON_AddItemToObject(o, "document", cJSON_Duplicate(doc, true));
}

static bool add_call(cJSON *calls, const char *call, const char *id, const char *path, const cJSON *doc) {
  return add_call_with(calls, call, id, path, NULL, NULL, doc);
}

static bool add_string_call(cJSON *calls, const char *call, const char *path, const char *name, const char *value) {
  cJSON *v = cJSON_CreateString(value);
  bool ok = v != NULL && add_call_with(calls, call, NULL, path, name, v, NULL);
  cJSON_Delete(v);
  return ok;
}

/* The calls of a start, in order (rt_hcs.h). */
static wctr_err plan_calls(hcs_rt *rt, const rt_args *a, plan *p, cJSON *list, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  bool ok = true;
  if (a->spec->credspec_json != NULL) {
    /* The AddInstance request as it would be sent, with PluginInput redacted: a dry run shows documents,
     * never secrets. ContainerCredentialGuard itself comes from HCS's answer at run time. */
    cJSON *add = NULL;
    err = ccg_add_redacted(a, p->hyperv, &add, e);
    ok = err == WCTR_OK && add_call(list, "HcsModifyServiceSettings", NULL, NULL, add);
    cJSON_Delete(add);
    if (err != WCTR_OK) return err;
  }
  /* The scratch (a container's first start only). */
  ok = ok && add_call_with(list, "CreateSandboxLayer", NULL, p->sandbox, "layers", p->layer_list, NULL);
  if (ok && !p->hyperv) {
    ok = add_call(list, "ActivateLayer", NULL, p->sandbox, NULL) &&
         add_call_with(list, "PrepareLayer", NULL, p->sandbox, "layers", p->layer_list, NULL) &&
         add_string_call(list, "GetLayerMountPath", p->sandbox, "result", RT_HCS_DRY_RUN_VOLUME);
  }
  if (ok && p->hyperv) {
    ok = add_string_call(list, "CopyFileW", p->uvm_scratch, "source", p->uvm_template) &&
         add_call(list, "HcsGrantVmAccess", p->uvm_id, p->uvm_scratch, NULL) &&
         add_call(list, "HcsCreateComputeSystem", p->uvm_id, NULL, p->uvm_doc) &&
         add_call(list, "HcsStartComputeSystem", p->uvm_id, NULL, NULL) &&
         add_call(list, "HcsGrantVmAccess", p->uvm_id, p->scratch_vhdx, NULL) &&
         add_call(list, "HcsModifyComputeSystem", p->uvm_id, NULL, p->scsi) &&
         add_call(list, "HcsModifyComputeSystem", p->uvm_id, NULL, p->combine);
  }
  /* The network: HNS's objects, then (Hyper-V) the utility VM's side, right before the container. */
  if (ok) {
    rt_net_ctx nc = net_ctx(rt);
    err = rt_net_plan_calls(&nc, a, &p->net, list, e);
    if (err != WCTR_OK) return err;
    ok = !p->hyperv || rt_net_plan_guest_calls(&p->net, p->uvm_id, list);
  }
  ok = ok && add_call(list, "HcsCreateComputeSystem", a->id, NULL, p->doc) &&
       add_call(list, "HcsStartComputeSystem", a->id, NULL, NULL) &&
       add_call(list, "HcsCreateProcess", a->id, NULL, p->process);
  return ok ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

static wctr_err hrt_plan(rt_runtime *base, const rt_args *a, cJSON **calls, spec_warnings *w, wctr_errmsg *e) {
  hcs_rt *rt = (hcs_rt *)base;
  *calls = NULL;
  plan p;
  wctr_err err = plan_build(rt, a, &p, true, w, e);
  cJSON *list = err == WCTR_OK ? cJSON_CreateArray() : NULL;
  if (err == WCTR_OK && list == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = plan_calls(rt, a, &p, list, e);
  plan_free(&p);
  if (err != WCTR_OK) {
    cJSON_Delete(list);
    return err;
  }
  *calls = list;
  return WCTR_OK;
}

/* --- methods: start ------------------------------------------------------------------------------------ */

/* A system to create, watch and start; on failure it is terminated and closed. */
static wctr_err create_and_start(hcs_rt *rt, const char *id, const cJSON *doc, hcs_exit_fn on_exit, hcs_task *t,
                                 hcs_system **out, const char *image_os, wctr_errmsg *e) {
  hcs_system *s = NULL;
  uint32_t hr = 0;
  bool watched = false;
  wctr_err err = hcs_system_create(rt->client, id, doc, RT_HCS_CALL_TIMEOUT_MS, &s, &hr, e);
  if (err == WCTR_OK) err = watch_system(t, s, on_exit, e);
  watched = err == WCTR_OK;
  if (err == WCTR_OK) err = hcs_system_start(s, RT_HCS_CALL_TIMEOUT_MS, &hr, e);
  if (err != WCTR_OK && (hr & 0x3FFFFFFFu) == (HR_IMAGE_MISMATCH & 0x3FFFFFFFu)) {
    /* HCS's own check disagreed with ours: say what was compared. */
    char more[sizeof e->text];
    snprintf(more, sizeof more, "%s (image OS version %s, host %s)", e->text, image_os, rt->host_os);
    snprintf(e->text, sizeof e->text, "%s", more);
  }
  if (err != WCTR_OK && s != NULL) {
    wctr_errmsg te;
    hcs_system_terminate(s, STOP_CALL_MS, &te);
    hcs_system_close(s); /* waits for its callback, which counted an exit */
    s = NULL;
    if (watched) {
      wctr_mutex_lock(&t->lock);
      t->systems--;
      wctr_mutex_unlock(&t->lock);
    }
  }
  *out = s;
  return err;
}

/* Process isolation: the silo HCS made, for OOM and the process limit. */
static wctr_err open_silo(const rt_args *a, hcs_task *t, wctr_errmsg *e) {
  wctr_errmsg se;
  const spec_resources *r = &a->spec->resources;
  if (job_open_silo(a->id, &t->silo, &se) != WCTR_OK) {
    t->silo = NULL;
    if (r->pids_limit > 0) return wctr_fail(e, WCTR_ENOTSUP, "--pids-limit cannot be applied: %s", se.text);
    wctr_log(WCTR_LOG_WARN, "container %s: %s; OOM will not be reported", a->name, se.text);
    return WCTR_OK;
  }
  if (r->pids_limit > 0) {
    wctr_err err = job_set_process_limit(t->silo, (uint32_t)r->pids_limit, e);
    if (err != WCTR_OK) return err;
  }
  watch_silo(t);
  return WCTR_OK;
}

static cJSON *runtime_json(const hcs_rt *rt, const plan *p, const hcs_task *t, const char *id, const char *storage_path) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL && cJSON_AddStringToObject(o, "Type", "hcs") && cJSON_AddStringToObject(o, "SystemId", id) &&
            cJSON_AddStringToObject(o, "Owner", rt->owner) && cJSON_AddStringToObject(o, "Sandbox", p->sandbox) &&
            cJSON_AddStringToObject(o, "StoragePath", storage_path);
  if (ok && p->hyperv) {
    cJSON *vm = cJSON_AddObjectToObject(o, "UtilityVm");
    ok = vm != NULL && cJSON_AddStringToObject(vm, "Id", p->uvm_id) &&
         cJSON_AddNumberToObject(vm, "MemoryMB", (double)p->uvm_mb) &&
         cJSON_AddNumberToObject(vm, "ProcessorCount", p->uvm_cpus);
  }
  if (ok && t->net.enabled) {
    cJSON *net = rt_net_state_json(&t->net, &t->netrun, p->hyperv);
    ok = net != NULL && cJSON_AddItemToObject(o, "Network", net);
    if (!ok) cJSON_Delete(net);
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* Readers, stdin and the armed flag under the lock, so no callback sees a half-built task; an exit HCS
 * reported meanwhile is taken up at once. On failure the caller releases the task. */
static wctr_err arm(hcs_task *t, HANDLE *out_h, HANDLE *err_h, HANDLE *in_h, wctr_errmsg *e) {
  hcs_rt *rt = t->rt;
  wctr_err err = WCTR_OK;
  wctr_mutex_lock(&t->lock);
  HANDLE *ours[2] = {out_h, err_h};
  for (int i = 0; i < 2 && err == WCTR_OK; i++) {
    if (*ours[i] == NULL) continue;
    t->refs++;
    err = wctr_ioc_reader_start(rt->opt.ioc, *ours[i], READ_BUFFER, on_data, on_end, &t->streams[i], &t->readers[i], e);
    if (err == WCTR_OK) {
      *ours[i] = NULL;
      t->open_streams++;
    } else {
      t->refs--;
    }
  }
  if (err == WCTR_OK && *in_h != NULL) {
    wctr_ioc_writer_options wo = {.max_queued = STDIN_QUEUE_MAX, .on_drain = on_stdin_flushed,
                                  .on_error = on_stdin_error, .ctx = t};
    err = wctr_ioc_writer_start(rt->opt.ioc, *in_h, false, &wo, &t->stdin_w, e);
    if (err == WCTR_OK) *in_h = NULL;
  }
  if (err == WCTR_OK) {
    t->armed = true;
    if (t->ended) post_step_locked(t);
  }
  wctr_mutex_unlock(&t->lock);
  return err;
}

static wctr_err hrt_start(rt_runtime *base, const rt_args *a, rt_task **out, rt_started *info, wctr_errmsg *e) {
  hcs_rt *rt = (hcs_rt *)base;
  const spec_container *spec = a->spec;
  *out = NULL;
  const char *why = NULL;
  if (!hrt_available(base, &why)) return wctr_fail(e, WCTR_ENOTSUP, "%s", why);
  plan p;
  hcs_task *t = NULL;
  bool sandbox_created = false;
  bool uvm_scratch_created = false;
  char storage_path[80] = "";
  hcs_process_io pio = {0};
  cJSON *state = NULL;
  const char *user = user_of(spec);
  rt_net_ctx nc = net_ctx(rt);
  wctr_err err = plan_build(rt, a, &p, false, NULL, e);
  if (err == WCTR_OK) {
    t = task_new(rt, a);
    if (t == NULL || !keep_process(t, &spec->process)) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (t != NULL) {
    /* The task owns the network's plan from here: its end removes what of it exists. */
    t->net = p.net;
    memset(&p.net, 0, sizeof p.net);
  }
  if (err == WCTR_OK && spec->process.open_stdin) {
    t->stdin_flushed = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (t->stdin_flushed == NULL) {
      err = wctr_fail(e, wctr_log_win32("CreateEventW", GetLastError(), "stdin"), "cannot create an event for stdin");
    }
  }
  if (err != WCTR_OK) goto fail;
  snprintf(t->sandbox, sizeof t->sandbox, "%s", p.sandbox);
  if (spec->credspec_json != NULL) {
    err = ccg_add(rt, a, &p, t, e);
    if (err != WCTR_OK) goto fail;
  }
  if (spec->secret_count > 0) {
    if (rt->opt.host.secrets_materialize == NULL) {
      err = wctr_fail(e, WCTR_ENOTSUP, "this service cannot give containers their secrets");
      goto fail;
    }
    /* Readable by the container's own identity only (with SYSTEM and Administrators): ContainerUser unless
     * the container runs as ContainerAdministrator. */
    const char *sid = _stricmp(user, "ContainerAdministrator") == 0 ? ACL_SID_CONTAINER_ADMINISTRATOR : ACL_SID_CONTAINER_USER;
    char dir[1300] = "";
    err = rt->opt.host.secrets_materialize(rt->opt.host.ctx, a->id, spec, sid, dir, sizeof dir, e);
    if (err != WCTR_OK) goto fail;
    t->has_secrets = true;
    if (!same_path(dir, p.secrets_dir)) {
      /* The documents map the folder where runtime.h says it is; a folder elsewhere would be left out. */
      err = wctr_fail(e, WCTR_ESTATE, "the secrets folder %s is not %s, which the container's documents map", dir,
                      p.secrets_dir);
      goto fail;
    }
  }
  /* The scratch VHD, on a container's first start: vmcompute's CreateSandboxLayer, as hcsshim makes one for
   * a scratch folder without sandbox.vhdx (docs/hcs.md says why this route). */
  if (!wctr_fs_exists(p.scratch_vhdx)) {
    err = hcs_layer_create_scratch(rt->client, p.sandbox, p.layers, p.img.layer_count, e);
    if (err != WCTR_OK) goto fail;
    sandbox_created = true;
  }
  if (!p.hyperv) {
    /* Mounted as hcsshim mounts it; the volume is the container's Storage.Path. */
    err = hcs_scratch_mount(rt->client, p.sandbox, p.layers, p.img.layer_count, storage_path, sizeof storage_path, e);
    if (err != WCTR_OK) goto fail;
    t->mounted = true;
    err = set_storage_path(&p, storage_path, e);
    /* Its network: the endpoint in a namespace of its own, which the document names. */
    if (err == WCTR_OK) err = rt_net_setup(&nc, a, &t->net, &t->netrun, e);
    if (err == WCTR_OK) err = create_and_start(rt, a->id, p.doc, on_container_exit, t, &t->system, p.img.os_version, e);
    if (err == WCTR_OK) err = open_silo(a, t, e);
    if (err != WCTR_OK) goto fail;
  } else {
    snprintf(storage_path, sizeof storage_path, "%s", p.guest_path);
    snprintf(t->guest_path, sizeof t->guest_path, "%s", p.guest_path);
    char uvm_dir[1300];
    snprintf(uvm_dir, sizeof uvm_dir, "%s", p.uvm_scratch);
    *strrchr(uvm_dir, '\\') = '\0';
    err = wctr_fs_mkdir(uvm_dir, e);
    if (err == WCTR_EEXIST && wctr_fs_is_dir(uvm_dir)) err = WCTR_OK;
    if (err == WCTR_OK) err = copy_file(p.uvm_template, p.uvm_scratch, e);
    if (err != WCTR_OK) goto fail;
    uvm_scratch_created = true;
    err = hcs_grant_vm_access(rt->client, p.uvm_id, p.uvm_scratch, e);
    if (err == WCTR_OK) err = create_and_start(rt, p.uvm_id, p.uvm_doc, on_uvm_exit, t, &t->uvm, p.img.os_version, e);
    /* The container's scratch: granted, on SCSI and mounted by the guest, then the layers combined over it. */
    if (err == WCTR_OK) err = hcs_grant_vm_access(rt->client, p.uvm_id, p.scratch_vhdx, e);
    if (err == WCTR_OK) err = hcs_system_modify(t->uvm, p.scsi, RT_HCS_CALL_TIMEOUT_MS, e);
    if (err == WCTR_OK) t->scsi_added = true;
    if (err == WCTR_OK) err = hcs_system_modify(t->uvm, p.combine, RT_HCS_CALL_TIMEOUT_MS, e);
    if (err == WCTR_OK) t->combined = true;
    /* Its network: HNS's endpoint and namespace, then the namespace and an adapter in the utility VM. */
    if (err == WCTR_OK) err = rt_net_setup(&nc, a, &t->net, &t->netrun, e);
    if (err == WCTR_OK) err = rt_net_guest_add(&t->net, &t->netrun, t->uvm, e);
    if (err == WCTR_OK) err = create_and_start(rt, a->id, p.doc, on_container_exit, t, &t->system, p.img.os_version, e);
    if (err != WCTR_OK) goto fail;
  }
  err = hcs_process_create(t->system, p.process, RT_HCS_CALL_TIMEOUT_MS, &t->init, &pio, e);
  if (err == WCTR_OK) err = hcs_process_watch(t->init, on_process_exit, t, e);
  if (err == WCTR_OK) {
    state = runtime_json(rt, &p, t, a->id, storage_path);
    if (state == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK) err = arm(t, &pio.std_out, &pio.std_err, &pio.std_in, e);
  if (err != WCTR_OK) goto fail;
  info->pid = pio.pid;
  snprintf(info->identity, sizeof info->identity, "%s", user);
  info->state = state;
  plan_free(&p);
  *out = &t->base;
  return WCTR_OK;
fail:
  cJSON_Delete(state);
  if (pio.std_in != NULL) CloseHandle(pio.std_in);
  if (pio.std_out != NULL) CloseHandle(pio.std_out);
  if (pio.std_err != NULL) CloseHandle(pio.std_err);
  if (t != NULL) {
    wctr_errmsg ue;
    if (t->init != NULL) hcs_process_terminate(t->init, STOP_CALL_MS, &ue);
    /* In the reverse of the start's order: the systems and the guest's storage, then (release_common) the
     * handles, the mounted scratch, the CCG instance and the secrets folder. */
    stop_systems(t);
    release_common(t);
  }
  if (uvm_scratch_created) wctr_fs_remove(p.uvm_scratch);
  if (sandbox_created) {
    wctr_errmsg de;
    if (hcs_layer_destroy(rt->client, p.sandbox, &de) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "container %s: %s", a->name, de.text);
  }
  plan_free(&p);
  return err;
}

static wctr_err hrt_reattach(rt_runtime *base, const rt_args *a, rt_task **out, rt_exit *ended, wctr_errmsg *e) {
  hcs_rt *rt = (hcs_rt *)base;
  *out = NULL;
  ended->code = -1;
  ended->oom_killed = false;
  ended->why[0] = '\0';
  const char *why = NULL;
  if (!hrt_available(base, &why)) {
    snprintf(ended->why, sizeof ended->why, "wctrd restarted and the Host Compute Service is not available");
    return wctr_fail(e, WCTR_ENOENT, "%s", why);
  }
  hcs_task *t = task_new(rt, a);
  if (t == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (!keep_process(t, &a->spec->process)) {
    task_unref(t);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  const cJSON *sandbox = cJSON_GetObjectItemCaseSensitive(a->state, "Sandbox");
  if (cJSON_IsString(sandbox)) {
    snprintf(t->sandbox, sizeof t->sandbox, "%s", sandbox->valuestring);
  } else {
    char dir[1100];
    strip_slash(a->container_dir, dir, sizeof dir);
    snprintf(t->sandbox, sizeof t->sandbox, "%s\\%s", dir, RT_HCS_SANDBOX_DIR);
  }
  snprintf(t->guest_path, sizeof t->guest_path, "C:\\c\\%.12s", a->id);
  /* The network it joined, as recorded: its ports held again, its objects this task's to remove. */
  rt_net_ctx nc = net_ctx(rt);
  rt_net_from_state(&nc, a, a->state, &t->net, &t->netrun);
  wctr_err err = WCTR_OK;
  if (a->spec->isolation == WCTR_ISOLATION_HYPERV) {
    char uvm_id[80];
    snprintf(uvm_id, sizeof uvm_id, "%s%s", a->id, RT_HCS_UVM_SUFFIX);
    err = hcs_system_open(rt->client, uvm_id, &t->uvm, e);
    if (err == WCTR_OK) err = watch_system(t, t->uvm, on_uvm_exit, e);
  }
  if (err == WCTR_OK) err = hcs_system_open(rt->client, a->id, &t->system, e);
  if (err == WCTR_OK) err = watch_system(t, t->system, on_container_exit, e);
  if (err == WCTR_OK && a->pid == 0) err = wctr_fail(e, WCTR_ENOENT, "container %s has no recorded process", a->name);
  if (err == WCTR_OK) err = hcs_process_open(t->system, a->pid, &t->init, e);
  if (err == WCTR_OK) err = hcs_process_watch(t->init, on_process_exit, t, e);
  if (err == WCTR_OK && a->spec->isolation == WCTR_ISOLATION_PROCESS) {
    wctr_errmsg se;
    if (job_open_silo(a->id, &t->silo, &se) == WCTR_OK) {
      watch_silo(t);
    } else {
      t->silo = NULL;
    }
  }
  if (err != WCTR_OK) {
    /* What the run left (a mounted scratch, CCG instance, secrets) is the caller's cleanup's. */
    wctr_errmsg copy = *e;
    release_common(t);
    /* HCS keeps no exit code for a system that is gone. */
    snprintf(ended->why, sizeof ended->why, "wctrd restarted; the compute system had stopped meanwhile");
    return wctr_fail(e, WCTR_ENOENT, "container %s is gone: %s", a->name, copy.text);
  }
  /* What the run set up is this task's to undo at its end: the mounted scratch (process isolation), the
   * guest's storage (Hyper-V). */
  t->mounted = a->spec->isolation == WCTR_ISOLATION_PROCESS;
  t->scsi_added = t->combined = a->spec->isolation == WCTR_ISOLATION_HYPERV;
  t->ccg_added = a->spec->credspec_json != NULL;
  t->has_secrets = a->spec->secret_count > 0;
  wctr_errmsg ae;
  HANDLE none[3] = {NULL, NULL, NULL};
  arm(t, &none[0], &none[1], &none[2], &ae); /* nothing to start: it cannot fail */
  *out = &t->base;
  return WCTR_OK;
}

/* --- methods: the running container -------------------------------------------------------------------- */

/* --- exec ---------------------------------------------------------------------------------------------- */

static void proc_unref(hcs_proc *p) {
  wctr_mutex_lock(&p->lock);
  bool last = --p->refs == 0;
  wctr_mutex_unlock(&p->lock);
  if (!last) return;
  hcs_task *t = p->t;
  if (p->stdin_flushed != NULL) CloseHandle(p->stdin_flushed);
  wctr_mutex_destroy(&p->lock);
  free(p);
  task_unref(t);
}

static void proc_maybe_report(hcs_proc *p) {
  wctr_mutex_lock(&p->lock);
  bool go = p->armed && p->exited && p->open_streams == 0 && !p->reported;
  if (go) p->reported = true;
  if (go && p->drain != NULL) {
    if (wctr_ioc_timer_cancel(p->drain)) p->refs--;
    p->drain = NULL;
  }
  int64_t code = p->code;
  wctr_mutex_unlock(&p->lock);
  if (go) p->ev.exited(p->ev.ctx, code);
}

static void proc_on_data(void *ctx, const char *data, size_t len) {
  hcs_proc_stream *s = ctx;
  s->p->ev.output(s->p->ev.ctx, s->which, data, len);
}

static void proc_on_end(void *ctx, DWORD error) {
  hcs_proc_stream *s = ctx;
  hcs_proc *p = s->p;
  if (error != 0 && error != ERROR_OPERATION_ABORTED) {
    wctr_log(WCTR_LOG_WARN, "container %s: reading an exec's %s failed (error %lu)", p->t->name,
             s->which == RT_STDOUT ? "stdout" : "stderr", (unsigned long)error);
  }
  wctr_mutex_lock(&p->lock);
  p->readers[s->which - 1] = NULL;
  p->open_streams--;
  wctr_mutex_unlock(&p->lock);
  proc_maybe_report(p);
  proc_unref(p);
}

static void proc_on_drain_timeout(void *arg) {
  hcs_proc *p = arg;
  wctr_mutex_lock(&p->lock);
  p->drain = NULL;
  bool open = p->open_streams > 0 && !p->reported;
  for (int i = 0; open && i < 2; i++) {
    if (p->readers[i] != NULL) wctr_ioc_reader_cancel(p->readers[i]);
  }
  wctr_mutex_unlock(&p->lock);
  if (open) {
    wctr_log(WCTR_LOG_WARN, "container %s: an exec's output still open %u ms after it exited; the rest is dropped",
             p->t->name, RT_DRAIN_MS);
  }
  proc_unref(p);
}

/* Exited and armed: the output gets its drain time. */
static void proc_drain_locked(hcs_proc *p) {
  WCTR_ASSERT_HELD(&p->lock);
  wctr_errmsg e;
  if (p->open_streams > 0 && !p->reported && p->drain == NULL) {
    p->refs++;
    if (wctr_ioc_timer_start(p->t->rt->opt.ioc, RT_DRAIN_MS, proc_on_drain_timeout, p, &p->drain, &e) != WCTR_OK) {
      p->refs--;
      p->drain = NULL;
    }
  }
}

/* On a worker, after HCS reported the exit: the output gets its drain time, then the exit is reported (once
 * armed: exec arms after HCS answered, and an exit may come first). */
static void proc_on_exit_step(void *arg) {
  hcs_proc *p = arg;
  wctr_mutex_lock(&p->lock);
  if (p->armed) proc_drain_locked(p);
  wctr_mutex_unlock(&p->lock);
  proc_maybe_report(p);
  proc_unref(p);
}

/* HCS's thread: records and posts (the process handle's close waits for this callback). */
static void proc_on_exit(void *ctx, const hcs_exit *x) {
  hcs_proc *p = ctx;
  wctr_mutex_lock(&p->lock);
  bool first = !p->exited;
  p->exited = true;
  p->code = x->code_known ? x->exit_code : -1;
  if (first) p->refs++;
  wctr_mutex_unlock(&p->lock);
  if (first && !wctr_ioc_post(p->t->rt->opt.ioc, proc_on_exit_step, p)) proc_unref(p);
}

static void proc_on_stdin_flushed(void *ctx) {
  hcs_proc *p = ctx;
  SetEvent(p->stdin_flushed);
}

static void proc_on_stdin_error(void *ctx, DWORD error) {
  (void)error;
  hcs_proc *p = ctx;
  SetEvent(p->stdin_flushed);
}

/* The container's environment with exec's -e added; exec's value wins (names without case, as Windows). */
static char **exec_env(const hcs_task *t, const spec_process *sp, size_t *count) {
  char **env = calloc(t->env_count + sp->env_count + 1, sizeof *env);
  size_t n = 0;
  if (env == NULL) return NULL;
  for (size_t i = 0; i < t->env_count; i++) {
    const char *eq = strchr(t->env[i], '=');
    size_t name_len = eq != NULL ? (size_t)(eq - t->env[i]) : strlen(t->env[i]);
    bool overridden = false;
    for (size_t k = 0; k < sp->env_count && !overridden; k++) {
      overridden = _strnicmp(sp->env[k], t->env[i], name_len) == 0 && sp->env[k][name_len] == '=';
    }
    if (!overridden) env[n++] = t->env[i]; /* borrowed: the task outlives this call */
  }
  for (size_t k = 0; k < sp->env_count; k++) env[n++] = sp->env[k];
  *count = n;
  return env;
}

/* docker exec in an HCS container: HcsCreateProcess in its running compute system, with the container's
 * user (or -u), environment plus -e and working directory (or -w); -t is EmulateConsole (stderr on stdout).
 * The process ends with the container: the end of the run terminates the compute system, whose processes'
 * exits HCS reports first. */
static wctr_err hrt_exec(rt_task *base, const spec_process *sp, const rt_exec_events *ev, rt_proc **out, uint32_t *pid,
                         wctr_errmsg *e) {
  hcs_task *t = (hcs_task *)base;
  hcs_rt *rt = t->rt;
  wctr_err err = WCTR_OK;
  char **env = NULL;
  cJSON *doc = NULL;
  hcs_process_io pio = {0};
  hcs_process *hp = NULL;
  hcs_proc *p = NULL;
  bool counted = false;

  wctr_mutex_lock(&t->lock);
  bool ending = t->ended || !t->armed || t->system == NULL;
  if (!ending) t->refs++;
  wctr_mutex_unlock(&t->lock);
  if (ending) return wctr_fail(e, WCTR_ESTATE, "container %s is stopping", t->name);
  counted = true;
  spec_container c;
  memset(&c, 0, sizeof c);
  c.process.cmd = sp->cmd;
  c.process.cmd_count = sp->cmd_count;
  c.process.user = sp->user != NULL ? sp->user : t->user;
  c.process.working_dir = sp->working_dir != NULL ? sp->working_dir : t->working_dir;
  c.process.tty = sp->tty;
  c.process.open_stdin = sp->open_stdin;
  env = exec_env(t, sp, &c.process.env_count);
  if (env == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  c.process.env = env;
  err = hcs_doc_process_params(&c, &doc, e);
  if (err != WCTR_OK) goto done;
  p = calloc(1, sizeof *p);
  if (p == NULL || wctr_mutex_init(&p->lock) != WCTR_OK) {
    free(p);
    p = NULL;
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  p->base.task = &t->base;
  p->t = t;
  counted = false; /* p's reference now */
  p->ev = *ev;
  p->refs = 1;
  for (int i = 0; i < 2; i++) p->streams[i] = (hcs_proc_stream){.p = p, .which = (rt_stream)(i + 1)};
  if (sp->open_stdin) {
    p->stdin_flushed = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (p->stdin_flushed == NULL) {
      err = wctr_fail(e, wctr_log_win32("CreateEventW", GetLastError(), "stdin"), "cannot create an event for stdin");
      goto done;
    }
  }
  err = hcs_process_create(t->system, doc, RT_HCS_CALL_TIMEOUT_MS, &hp, &pio, e);
  if (err == WCTR_ENOENT) {
    /* docker exec's words, for its exit code 127 (runtime.h) */
    wctr_errmsg why = *e;
    err = wctr_fail(e, WCTR_ENOENT, "exec: \"%s\": executable file not found (%s)", sp->cmd[0], why.text);
  }
  if (err != WCTR_OK) goto done;
  p->process = hp;
  err = hcs_process_watch(hp, proc_on_exit, p, e);
  if (err != WCTR_OK) goto done;
  wctr_mutex_lock(&p->lock);
  HANDLE *ours[2] = {&pio.std_out, &pio.std_err};
  for (int i = 0; i < 2 && err == WCTR_OK; i++) {
    if (*ours[i] == NULL) continue;
    p->refs++;
    err = wctr_ioc_reader_start(rt->opt.ioc, *ours[i], READ_BUFFER, proc_on_data, proc_on_end, &p->streams[i],
                                &p->readers[i], e);
    if (err == WCTR_OK) {
      *ours[i] = NULL;
      p->open_streams++;
    } else {
      p->refs--;
    }
  }
  if (err == WCTR_OK && pio.std_in != NULL) {
    wctr_ioc_writer_options wo = {.max_queued = STDIN_QUEUE_MAX, .on_drain = proc_on_stdin_flushed,
                                  .on_error = proc_on_stdin_error, .ctx = p};
    err = wctr_ioc_writer_start(rt->opt.ioc, pio.std_in, false, &wo, &p->stdin_w, e);
    if (err == WCTR_OK) pio.std_in = NULL;
  }
  if (err == WCTR_OK) {
    p->armed = true;
    if (p->exited) proc_drain_locked(p); /* its step ran before the readers were there */
  }
  wctr_mutex_unlock(&p->lock);
  if (err != WCTR_OK) goto done;
  proc_maybe_report(p);
  *pid = pio.pid;
  *out = &p->base;
  p = NULL;
done:
  if (pio.std_in != NULL) CloseHandle(pio.std_in);
  if (pio.std_out != NULL) CloseHandle(pio.std_out);
  if (pio.std_err != NULL) CloseHandle(pio.std_err);
  if (p != NULL) {
    /* Not armed whole: the process goes, and nothing is reported for an exec that failed. */
    wctr_errmsg ue;
    wctr_mutex_lock(&p->lock);
    p->reported = true;
    wctr_ioc_writer *w = p->stdin_w;
    p->stdin_w = NULL;
    wctr_mutex_unlock(&p->lock);
    if (p->process != NULL) {
      hcs_process_terminate(p->process, STOP_CALL_MS, &ue);
      hcs_process_close(p->process); /* waits for its callbacks */
      p->process = NULL;
    }
    if (w != NULL) wctr_ioc_writer_close(w, false, true);
    proc_unref(p);
  }
  cJSON_Delete(doc);
  free(env);
  if (counted) task_unref(t);
  return err;
}

static wctr_err hrt_proc_stdin_write(rt_proc *base, const void *data, size_t len, wctr_errmsg *e) {
  hcs_proc *p = (hcs_proc *)base;
  wctr_mutex_lock(&p->lock);
  wctr_err err = p->stdin_w != NULL ? wctr_ioc_writer_write(p->stdin_w, data, len, false) : WCTR_EPIPE;
  wctr_mutex_unlock(&p->lock);
  if (err == WCTR_ETOOBIG) return wctr_fail(e, err, "the process does not read its stdin (%d bytes queued)", STDIN_QUEUE_MAX);
  if (err != WCTR_OK) return wctr_fail(e, err, "stdin is closed");
  return WCTR_OK;
}

static wctr_err hrt_proc_stdin_close(rt_proc *base, wctr_errmsg *e) {
  hcs_proc *p = (hcs_proc *)base;
  wctr_mutex_lock(&p->lock);
  wctr_ioc_writer *w = p->stdin_w;
  p->stdin_w = NULL;
  wctr_mutex_unlock(&p->lock);
  if (w == NULL) return WCTR_OK;
  /* As the container's stdin (hrt_stdin_close): what was queued goes before HCS's CloseHandle. */
  uint64_t until = wctr_ioc_now_ms() + STDIN_FLUSH_MS;
  for (;;) {
    if (wctr_ioc_writer_queued(w) == 0) break;
    uint64_t now = wctr_ioc_now_ms();
    if (now >= until) {
      wctr_log(WCTR_LOG_WARN, "container %s: an exec's stdin was not read within %d s; the rest is dropped",
               p->t->name, STDIN_FLUSH_MS / 1000);
      break;
    }
    WaitForSingleObject(p->stdin_flushed, (DWORD)(until - now));
  }
  wctr_ioc_writer_close(w, false, true);
  wctr_err err = hcs_process_close_stdin(p->process, STOP_CALL_MS, e);
  /* A process that has exited has no stdin left to close. */
  wctr_mutex_lock(&p->lock);
  bool exited = p->exited;
  wctr_mutex_unlock(&p->lock);
  return exited ? WCTR_OK : err;
}

static wctr_err hrt_proc_resize(rt_proc *p, unsigned rows, unsigned cols, wctr_errmsg *e) {
  (void)p;
  (void)rows;
  (void)cols;
  return wctr_fail(e, WCTR_ENOTSUP, "resizing the console of a container is not supported yet");
}

static wctr_err hrt_proc_kill(rt_proc *base, wctr_errmsg *e) {
  hcs_proc *p = (hcs_proc *)base;
  wctr_err err = hcs_process_terminate(p->process, STOP_CALL_MS, e);
  wctr_mutex_lock(&p->lock);
  bool exited = p->exited;
  wctr_mutex_unlock(&p->lock);
  return exited ? WCTR_OK : err;
}

static void hrt_proc_release(rt_proc *base) {
  hcs_proc *p = (hcs_proc *)base;
  hcs_process_close(p->process); /* waits for a callback in flight */
  p->process = NULL;
  wctr_mutex_lock(&p->lock);
  wctr_ioc_writer *w = p->stdin_w;
  p->stdin_w = NULL;
  for (int i = 0; p->open_streams > 0 && i < 2; i++) {
    if (p->readers[i] != NULL) wctr_ioc_reader_cancel(p->readers[i]);
  }
  if (p->drain != NULL && wctr_ioc_timer_cancel(p->drain)) p->refs--;
  p->drain = NULL;
  wctr_mutex_unlock(&p->lock);
  if (w != NULL) wctr_ioc_writer_close(w, false, true);
  proc_unref(p);
}

static wctr_err hrt_signal(rt_task *base, rt_signal sig, wctr_errmsg *e) {
  hcs_task *t = (hcs_task *)base;
  if (sig == RT_SIGNAL_STOP) {
    return t->init != NULL ? hcs_process_signal(t->init, "CtrlShutdown", STOP_CALL_MS, e)
                           : hcs_system_shutdown(t->system, STOP_CALL_MS, e);
  }
  /* The container; its end (end_run) takes the guest's storage and the utility VM away in order. Only when
   * the container cannot be terminated does the VM go at once, taking it along. */
  wctr_err err = hcs_system_terminate(t->system, STOP_CALL_MS, e);
  if (err != WCTR_OK && t->uvm != NULL) {
    wctr_errmsg ue;
    wctr_log(WCTR_LOG_WARN, "container %s: %s; terminating its utility VM", t->name, e->text);
    err = hcs_system_terminate(t->uvm, STOP_CALL_MS, &ue);
    if (err != WCTR_OK) *e = ue;
  }
  return err;
}

/* Docker on Windows pauses Hyper-V containers only (moby's libcontainerd refuses the others with these words);
 * for wctr the Hyper-V container's utility VM is what pauses: a VM's pause stops its virtual processors, and
 * with them everything the container runs. */
static wctr_err hrt_pause_resume(rt_task *base, bool pause, wctr_errmsg *e) {
  hcs_task *t = (hcs_task *)base;
  if (t->isolation != WCTR_ISOLATION_HYPERV || t->uvm == NULL) {
    if (!pause) return wctr_fail(e, WCTR_ESTATE, "a process-isolated container is never paused");
    return wctr_fail(e, WCTR_ENOTSUP, "%s", RT_HCS_PAUSE_REFUSAL);
  }
  wctr_mutex_lock(&t->lock);
  bool ended = t->ended;
  wctr_mutex_unlock(&t->lock);
  if (ended) return wctr_fail(e, WCTR_ESTATE, "the container's run has ended");
  return pause ? hcs_system_pause(t->uvm, STOP_CALL_MS, e) : hcs_system_resume(t->uvm, STOP_CALL_MS, e);
}

static wctr_err hrt_pause(rt_task *base, wctr_errmsg *e) { return hrt_pause_resume(base, true, e); }
static wctr_err hrt_resume(rt_task *base, wctr_errmsg *e) { return hrt_pause_resume(base, false, e); }

static wctr_err hrt_stdin_write(rt_task *base, const void *data, size_t len, wctr_errmsg *e) {
  hcs_task *t = (hcs_task *)base;
  wctr_mutex_lock(&t->lock);
  wctr_err err = t->stdin_w != NULL ? wctr_ioc_writer_write(t->stdin_w, data, len, false) : WCTR_EPIPE;
  wctr_mutex_unlock(&t->lock);
  if (err == WCTR_ETOOBIG) {
    return wctr_fail(e, err, "the container does not read its stdin (%d bytes queued)", STDIN_QUEUE_MAX);
  }
  if (err != WCTR_OK) return wctr_fail(e, err, "stdin is closed");
  return WCTR_OK;
}

static wctr_err hrt_stdin_close(rt_task *base, wctr_errmsg *e) {
  hcs_task *t = (hcs_task *)base;
  wctr_mutex_lock(&t->lock);
  wctr_ioc_writer *w = t->stdin_w;
  t->stdin_w = NULL; /* later writes: WCTR_EPIPE */
  wctr_mutex_unlock(&t->lock);
  if (w == NULL) return WCTR_OK;
  /* What was queued goes first: HCS's CloseHandle ends the container's stdin whatever is still in our pipe. */
  uint64_t until = wctr_ioc_now_ms() + STDIN_FLUSH_MS;
  for (;;) {
    if (wctr_ioc_writer_queued(w) == 0) break;
    uint64_t now = wctr_ioc_now_ms();
    if (now >= until) {
      wctr_log(WCTR_LOG_WARN, "container %s: its stdin was not read within %d s; the rest is dropped", t->name,
               STDIN_FLUSH_MS / 1000);
      break;
    }
    WaitForSingleObject(t->stdin_flushed, (DWORD)(until - now));
  }
  wctr_ioc_writer_close(w, false, true);
  return t->init != NULL ? hcs_process_close_stdin(t->init, STOP_CALL_MS, e) : WCTR_OK;
}

static wctr_err hrt_resize(rt_task *t, unsigned rows, unsigned cols, wctr_errmsg *e) {
  (void)t;
  (void)rows;
  (void)cols;
  return wctr_fail(e, WCTR_ENOTSUP, "resizing the console of a container is not supported yet");
}

static uint64_t stat_field(const cJSON *stats, const char *group, const char *field) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(stats, group), field);
  return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* HcsGetComputeSystemProperties with one property type; *out is that member of the answer. */
static wctr_err system_property(hcs_system *s, const char *type, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  cJSON *q = cJSON_CreateObject();
  cJSON *types = q != NULL ? cJSON_AddArrayToObject(q, "PropertyTypes") : NULL;
  if (types == NULL || !cJSON_AddItemToArray(types, cJSON_CreateString(type))) {
    cJSON_Delete(q);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON *props = NULL;
  wctr_err err = hcs_system_properties(s, q, STOP_CALL_MS, &props, e);
  cJSON_Delete(q);
  if (err != WCTR_OK) return err;
  *out = cJSON_DetachItemFromObjectCaseSensitive(props, type);
  cJSON_Delete(props);
  if (*out == NULL) return wctr_fail(e, WCTR_ESYSTEM, "HcsGetComputeSystemProperties returned no %s", type);
  return WCTR_OK;
}

static wctr_err hrt_stats(rt_task *base, rt_stats *out, wctr_errmsg *e) {
  hcs_task *t = (hcs_task *)base;
  memset(out, 0, sizeof *out);
  cJSON *stats = NULL;
  wctr_err err = system_property(t->system, "Statistics", &stats, e);
  if (err != WCTR_OK) return err;
  out->cpu_100ns = stat_field(stats, "Processor", "TotalRuntime100ns");
  out->memory_bytes = stat_field(stats, "Memory", "MemoryUsageCommitBytes");
  out->memory_peak_bytes = stat_field(stats, "Memory", "MemoryUsageCommitPeakBytes");
  out->read_bytes = stat_field(stats, "Storage", "ReadSizeBytes");
  out->write_bytes = stat_field(stats, "Storage", "WriteSizeBytes");
  out->read_ops = stat_field(stats, "Storage", "ReadCountNormalized");
  out->write_ops = stat_field(stats, "Storage", "WriteCountNormalized");
  cJSON_Delete(stats);
  /* The process count is a separate property; a host that does not give it costs only the count. */
  cJSON *list = NULL;
  wctr_errmsg le;
  if (system_property(t->system, "ProcessList", &list, &le) == WCTR_OK && cJSON_IsArray(list)) {
    out->processes = (uint32_t)cJSON_GetArraySize(list);
  } else {
    wctr_log(WCTR_LOG_DEBUG, "container %s: no process list: %s", t->name, le.text);
  }
  cJSON_Delete(list);
  return WCTR_OK;
}

/* docker top: HcsGetComputeSystemProperties' ProcessList, as HCS gives it. */
static wctr_err hrt_top(rt_task *base, cJSON **out, wctr_errmsg *e) {
  hcs_task *t = (hcs_task *)base;
  cJSON *list = NULL;
  wctr_err err = system_property(t->system, "ProcessList", &list, e);
  if (err != WCTR_OK) return err;
  if (!cJSON_IsArray(list)) {
    cJSON_Delete(list);
    return wctr_fail(e, WCTR_ESYSTEM, "HCS gave no ProcessList for container %s", t->name);
  }
  *out = list;
  return WCTR_OK;
}

static wctr_err hrt_update(rt_task *base, const spec_resources *r, spec_warnings *w, wctr_errmsg *e) {
  (void)r;
  (void)w;
  hcs_task *t = (hcs_task *)base;
  /* Docker's word for Windows containers; HCS can change some limits live (20H2 and later). */
  return wctr_fail(e, WCTR_ENOTSUP, "resource updating isn't supported on Windows for %s isolation",
                   spec_isolation_name(t->isolation));
}

static wctr_err hrt_inspect(rt_task *t, cJSON **out, wctr_errmsg *e) {
  (void)t;
  (void)e;
  *out = NULL;
  return WCTR_OK;
}

/* --- methods: the end ---------------------------------------------------------------------------------- */

static void secrets_cleanup(hcs_rt *rt, const char *id) {
  if (rt->opt.host.secrets_cleanup != NULL) rt->opt.host.secrets_cleanup(rt->opt.host.ctx, id);
}

static void release_common(hcs_task *t) {
  hcs_rt *rt = t->rt;
  wctr_errmsg e;
  wctr_mutex_lock(&t->lock);
  wctr_ioc_writer *w = t->stdin_w;
  t->stdin_w = NULL;
  for (int i = 0; t->open_streams > 0 && i < 2; i++) {
    if (t->readers[i] != NULL) wctr_ioc_reader_cancel(t->readers[i]);
  }
  if (t->drain != NULL && wctr_ioc_timer_cancel(t->drain)) t->refs--;
  t->drain = NULL;
  if (t->settle != NULL && wctr_ioc_timer_cancel(t->settle)) t->refs--;
  t->settle = NULL;
  wctr_mutex_unlock(&t->lock);
  if (w != NULL) wctr_ioc_writer_close(w, false, true);
  /* The silo's events stop before the task's memory can go (the old manager never removed them). */
  if (t->source != 0) wctr_ioc_source_remove(rt->opt.ioc, t->source);
  t->source = 0;
  job_close(t->silo);
  t->silo = NULL;
  /* Closing waits for HCS's callbacks running on these handles; none comes after. */
  hcs_process_close(t->init);
  hcs_system_close(t->system);
  hcs_system_close(t->uvm);
  t->init = NULL;
  t->system = NULL;
  t->uvm = NULL;
  /* The scratch volume goes after the system that stood on it: UnprepareLayer, DeactivateLayer. */
  if (t->mounted && hcs_scratch_unmount(rt->client, t->sandbox, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: its scratch volume is still mounted: %s", t->name, e.text);
  }
  t->mounted = false;
  /* HCS keeps a CCG instance until it is told: it goes with the container's run. */
  if (t->ccg_added && ccg_remove(rt, t->id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: Container Credential Guard instance not removed: %s", t->name, e.text);
  }
  t->ccg_added = false;
  /* The network after the systems that used it: the namespace, the endpoint, the host ports. */
  if (t->net.enabled) {
    rt_net_ctx nc = net_ctx(rt);
    rt_net_teardown(&nc, t->id, t->name, t->net.endpoint_id, t->net.namespace_id, &t->netrun);
  }
  rt_net_run_free(&t->netrun);
  rt_net_plan_free(&t->net);
  if (t->has_secrets) secrets_cleanup(rt, t->id);
  t->has_secrets = false;
  task_unref(t);
}

static void hrt_release(rt_task *base) { release_common((hcs_task *)base); }

/* <container dir>\sandbox of a container of this data root. */
static void sandbox_of(const char *container_dir, char *out, size_t size) {
  char dir[1100];
  strip_slash(container_dir, dir, sizeof dir);
  snprintf(out, size, "%s\\%s", dir, RT_HCS_SANDBOX_DIR);
}

/* After a crash the scratch may or may not still be mounted: an unmount that finds nothing is fine, and what
 * fails is worth a line in the log only. */
static void unmount_quietly(hcs_rt *rt, const char *name, const char *sandbox) {
  if (rt->client == NULL || !wctr_fs_exists(sandbox)) return;
  wctr_errmsg e;
  if (hcs_scratch_unmount(rt->client, sandbox, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_DEBUG, "container %s: %s", name, e.text);
  }
}

static void hrt_cleanup(rt_runtime *base, const rt_args *a) {
  hcs_rt *rt = (hcs_rt *)base;
  wctr_errmsg e;
  /* Its network namespace and endpoint, by the ids every run of it has. */
  if (rt->net != NULL) {
    rt_net_ctx nc = net_ctx(rt);
    char ep[NET_GUID_SIZE], ns[NET_GUID_SIZE];
    net_guid_for(rt->owner, a->id, "endpoint", ep);
    net_guid_for(rt->owner, a->id, "namespace", ns);
    rt_net_teardown(&nc, a->id, a->name, ep, ns, NULL);
  }
  if (rt->client != NULL && a->spec->credspec_json != NULL && ccg_remove(rt, a->id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: Container Credential Guard instance not removed: %s", a->name, e.text);
  }
  /* The secrets folder of a run that ended while wctrd was away is the service's start-up sweep's (it is
   * audited there, with every other folder a crash left). A compute system still there is the sweep's too
   * (by Owner). */
  if (a->spec->isolation != WCTR_ISOLATION_PROCESS) return;
  const cJSON *recorded = cJSON_GetObjectItemCaseSensitive(a->state, "Sandbox");
  char sandbox[1200];
  if (cJSON_IsString(recorded)) {
    snprintf(sandbox, sizeof sandbox, "%s", recorded->valuestring);
  } else {
    sandbox_of(a->container_dir, sandbox, sizeof sandbox);
  }
  unmount_quietly(rt, a->name, sandbox);
}

static void hrt_remove(rt_runtime *base, const rt_args *a) {
  hcs_rt *rt = (hcs_rt *)base;
  if (rt->client == NULL) return;
  char sandbox[1200];
  sandbox_of(a->container_dir, sandbox, sizeof sandbox);
  if (!wctr_fs_exists(sandbox)) return;
  /* A scratch a crash left mounted cannot be destroyed: unmounted first. */
  unmount_quietly(rt, a->name, sandbox);
  wctr_errmsg e;
  if (hcs_layer_destroy(rt->client, sandbox, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s (the folder goes with the container's)", a->name, e.text);
  }
}

/* A stopped container's C:\\ on the host, for docker cp: its scratch mounted as a start mounts it (hcsshim's
 * steps over the image's layers), which serves a Hyper-V container too - its scratch is the same VHD, which only
 * a run hands to the utility VM (dockerd mounts a stopped Hyper-V container's layers on the host the same way).
 * A container that never started gets its scratch here, as its first start would make it (dockerd makes the
 * writable layer at create); a mount that fails destroys a scratch it made. */
static wctr_err hrt_mount_root(rt_runtime *base, const rt_args *a, char *root, size_t root_size, wctr_errmsg *e) {
  hcs_rt *rt = (hcs_rt *)base;
  const char *why = NULL;
  plan p;
  memset(&p, 0, sizeof p);
  bool created = false;
  bool mounted = false;
  char volume[80] = "";
  wctr_errmsg ue;
  wctr_err err = hrt_available(base, &why) ? plan_storage(rt, a, &p, e) : wctr_fail(e, WCTR_ENOTSUP, "%s", why);
  if (err == WCTR_OK && !wctr_fs_exists(p.scratch_vhdx)) {
    err = hcs_layer_create_scratch(rt->client, p.sandbox, p.layers, p.img.layer_count, e);
    created = err == WCTR_OK;
  }
  if (err == WCTR_OK) err = hcs_scratch_mount(rt->client, p.sandbox, p.layers, p.img.layer_count, volume, sizeof volume, e);
  mounted = err == WCTR_OK;
  if (err == WCTR_OK && strlen(volume) >= root_size) err = wctr_fail(e, WCTR_ETOOBIG, "the volume path %s is too long", volume);
  if (err == WCTR_OK) {
    snprintf(root, root_size, "%s", volume);
    wctr_log(WCTR_LOG_INFO, "container %s: scratch mounted at %s for a copy", a->name, volume);
    goto done;
  }
  if (mounted && hcs_scratch_unmount(rt->client, p.sandbox, &ue) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s", a->name, ue.text);
  }
  if (created && hcs_layer_destroy(rt->client, p.sandbox, &ue) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s", a->name, ue.text);
  }
done:
  plan_free(&p);
  return err;
}

static wctr_err hrt_unmount_root(rt_runtime *base, const rt_args *a, wctr_errmsg *e) {
  hcs_rt *rt = (hcs_rt *)base;
  const char *why = NULL;
  if (!hrt_available(base, &why)) return wctr_fail(e, WCTR_ENOTSUP, "%s", why);
  char sandbox[1200];
  sandbox_of(a->container_dir, sandbox, sizeof sandbox);
  return hcs_scratch_unmount(rt->client, sandbox, e);
}

static bool id_in(const char *id, size_t len, const char *const *ids, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (ids[i] != NULL && strlen(ids[i]) == len && _strnicmp(ids[i], id, len) == 0) return true;
  }
  return false;
}

/* Compute systems whose Owner is this data root's and that no running container has: what a crashed wctrd
 * left (systems outlive it: ShouldTerminateOnLastHandleClosed is false). Hosted containers first, then the
 * utility VMs. Never a system of another Owner. */
static void sweep_systems(hcs_rt *rt, const char *const *running, size_t running_count) {
  if (rt->data_root[0] == '\0') {
    wctr_log(WCTR_LOG_INFO, "compute systems not swept: the service gave the HCS runtime no data root to own them by");
    return;
  }
  cJSON *query = cJSON_CreateObject();
  cJSON *owners = query != NULL ? cJSON_AddArrayToObject(query, "Owners") : NULL;
  cJSON *list = NULL;
  wctr_errmsg e;
  wctr_err err = owners != NULL && cJSON_AddItemToArray(owners, cJSON_CreateString(rt->owner))
                     ? hcs_systems_enumerate(rt->client, query, STOP_CALL_MS, &list, &e)
                     : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(query);
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "compute systems not swept: %s", e.text);
    return;
  }
  size_t suffix = strlen(RT_HCS_UVM_SUFFIX);
  for (int pass = 0; pass < 2; pass++) {
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
      const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "Id");
      const cJSON *owner = cJSON_GetObjectItemCaseSensitive(item, "Owner");
      /* The query asked for this Owner; the answer is checked again, so nothing of anyone else goes. */
      if (!cJSON_IsString(id) || !cJSON_IsString(owner) || _stricmp(owner->valuestring, rt->owner) != 0) continue;
      size_t len = strlen(id->valuestring);
      bool vm = len > suffix && _stricmp(id->valuestring + len - suffix, RT_HCS_UVM_SUFFIX) == 0;
      if (vm != (pass == 1)) continue;
      if (id_in(id->valuestring, vm ? len - suffix : len, running, running_count)) continue;
      hcs_system *s = NULL;
      err = hcs_system_open(rt->client, id->valuestring, &s, &e);
      if (err == WCTR_ENOENT) continue; /* its VM took it along */
      if (err == WCTR_OK) err = hcs_system_terminate(s, STOP_CALL_MS, &e);
      hcs_system_close(s);
      if (err == WCTR_OK) {
        wctr_log(WCTR_LOG_INFO, "removed compute system %s, which no running container of this data root has", id->valuestring);
      } else {
        wctr_log(WCTR_LOG_WARN, "compute system %s not removed: %s", id->valuestring, e.text);
      }
    }
  }
  cJSON_Delete(list);
}

static void hrt_sweep(rt_runtime *base, const char *const *owned, size_t owned_count, const char *const *running,
                      size_t running_count) {
  hcs_rt *rt = (hcs_rt *)base;
  if (rt->client == NULL) return;
  /* Systems first: a scratch cannot be unmounted, nor a namespace removed, while a system stands on it. */
  sweep_systems(rt, running, running_count);
  if (rt->data_root[0] != '\0') {
    rt_net_ctx nc = net_ctx(rt);
    rt_net_sweep(&nc, owned, owned_count, running, running_count);
  }
  for (size_t i = 0; rt->data_root[0] != '\0' && i < owned_count; i++) {
    if (owned[i] == NULL || id_in(owned[i], strlen(owned[i]), running, running_count)) continue;
    char sandbox[1200];
    snprintf(sandbox, sizeof sandbox, "%s\\containers\\%s\\%s", rt->data_root, owned[i], RT_HCS_SANDBOX_DIR);
    unmount_quietly(rt, owned[i], sandbox);
  }
  cJSON *query = cJSON_Parse(GMSA_CCG_QUERY);
  cJSON *props = NULL;
  char **ids = NULL;
  size_t n = 0;
  wctr_errmsg e;
  wctr_err err = query != NULL ? hcs_service_properties(rt->client, query, &props, &e)
                               : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(query);
  if (err == WCTR_OK) err = gmsa_ccg_sweep_doc(props, owned, owned_count, running, running_count, &ids, &n, &e);
  gmsa_json_secure_delete(props);
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "Container Credential Guard instances not swept: %s", e.text);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (ccg_remove(rt, ids[i], &e) == WCTR_OK) {
      wctr_log(WCTR_LOG_INFO, "removed the Container Credential Guard instance of container %.12s, which no longer runs",
               ids[i]);
    } else {
      wctr_log(WCTR_LOG_WARN, "Container Credential Guard instance %.12s not removed: %s", ids[i], e.text);
    }
  }
  gmsa_ccg_ids_free(ids, n);
}

static void hrt_close(rt_runtime *base) {
  hcs_rt *rt = (hcs_rt *)base;
  if (rt == NULL) return;
  hcs_client_unload(rt->client);
  net_client_unload(rt->net);
  net_ports_free(rt->ports);
  free(rt);
}

static const rt_methods hcs_methods = {
    .version = RT_METHODS_V4, .name = "hcs",          .available = hrt_available,     .prepare = hrt_prepare,
    .plan = hrt_plan,         .start = hrt_start,     .reattach = hrt_reattach,       .exec = hrt_exec,
    .signal = hrt_signal,     .stdin_write = hrt_stdin_write, .stdin_close = hrt_stdin_close,
    .resize = hrt_resize,     .stats = hrt_stats,     .update = hrt_update,           .inspect = hrt_inspect,
    .release = hrt_release,   .cleanup = hrt_cleanup, .remove = hrt_remove,           .sweep = hrt_sweep,
    .close = hrt_close,
    .proc_stdin_write = hrt_proc_stdin_write, .proc_stdin_close = hrt_proc_stdin_close,
    .proc_resize = hrt_proc_resize, .proc_kill = hrt_proc_kill, .proc_release = hrt_proc_release,
    .top = hrt_top,           .pause = hrt_pause,     .resume = hrt_resume,
    .mount_root = hrt_mount_root, .unmount_root = hrt_unmount_root,
};

/* A host port handed out for -P must be free on the host too. */
static bool probe_port(void *ctx, uint16_t port, spec_proto proto) {
  (void)ctx;
  return net_host_port_free(port, (int)proto) != 0;
}

wctr_err rt_hcs_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e) {
  hcs_rt *rt = calloc(1, sizeof *rt);
  if (rt == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  rt->base.methods = &hcs_methods;
  rt->opt = *opt;
  snprintf(rt->host_os, sizeof rt->host_os, "%s", opt->host_os_version != NULL ? opt->host_os_version : "");
  /* Without trailing separators, so "C:\\x\\" and "C:\\x" own the same systems. */
  strip_slash(opt->data_root != NULL ? opt->data_root : "", rt->data_root, sizeof rt->data_root);
  if (rt->data_root[0] != '\0') {
    hcs_owner_for_data_root(rt->data_root, rt->owner);
  } else {
    snprintf(rt->owner, sizeof rt->owner, "%s", HCS_OWNER);
  }
  rt->opt.data_root = rt->data_root;
  wctr_errmsg le;
  if (net_ports_new(probe_port, NULL, &rt->ports, e) != WCTR_OK) {
    free(rt);
    return WCTR_ENOMEM;
  }
  if (net_client_load(&rt->net, &le) != WCTR_OK) {
    rt->net = NULL;
    snprintf(rt->net_why, sizeof rt->net_why, "%s", le.text);
    wctr_log(WCTR_LOG_INFO, "container networks unavailable: %s", le.text);
  }
  if (hcs_client_load(&rt->client, &le) != WCTR_OK) {
    rt->client = NULL;
    snprintf(rt->why, sizeof rt->why, "%s", le.text);
    wctr_log(WCTR_LOG_INFO, "process and Hyper-V isolation unavailable: %s", le.text);
  }
  *out = &rt->base;
  return WCTR_OK;
}
