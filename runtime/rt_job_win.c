/* runtime/rt_job_win.c - job containers: a job object on the host per container (runtime/runtime.h,
 * runtime/rt_job.h). Everything waits on the I/O core: the first process's exit through a handle wait,
 * its output through two overlapped readers, its stdin through a bounded writer, the job's notifications
 * (OOM) through a keyed source on the core's port. No thread per container.
 *
 * Exit, as Docker's rule: the container lives as long as its first process. When it exits, whatever else
 * it left in the job is terminated, the output is drained (at most RT_DRAIN_MS: a grandchild that holds the
 * pipe open elsewhere must not keep the container "running"), and then the exit is reported. */
#include <windows.h>

#include <psapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "common/cmdline.h"
#include "common/ioc_win.h"
#include "common/log.h"
#include "common/wstr.h"
#include "jobs/job.h"
#include "jobs/limits_json.h"
#include "jobs/notify.h"
#include "runtime/rt_job.h"

enum { READ_BUFFER = 4096, STDIN_QUEUE_MAX = 1024 * 1024 };
#define SECRETS_ENV "WCTR_SECRETS_DIR"

typedef struct job_rt {
  rt_runtime base;
  rt_options opt;
} job_rt;

typedef struct job_task job_task;

typedef struct job_stream {
  job_task *t;
  rt_stream which;
} job_stream;

struct job_task {
  rt_task base;
  job_rt *rt;
  void *key;
  char id[65];
  char name[129];
  wctr_mutex lock;
  job_object *job;
  HANDLE process;
  wctr_ioc_wait *wait;      /* lock: the first process's exit, until it fires or is cancelled */
  job_stream streams[2];
  int open_streams;         /* lock: readers that have not ended */
  wctr_ioc_reader *readers[2]; /* lock: NULL once ended */
  wctr_ioc_writer *stdin_w; /* lock */
  ULONG_PTR source;         /* job notifications; 0 none */
  wctr_ioc_timer *drain;    /* lock */
  bool process_exited;      /* lock */
  bool reported;            /* lock */
  bool oom;                 /* lock */
  int64_t code;
  bool has_secrets;
  bool ending;              /* lock: the run is over (set before the job is terminated): no more exec */
  char **env;               /* the container's environment as its first process got it (build_env), for exec */
  char *user;               /* the container's user (NULL: the default identity) */
  char *working_dir;        /* the first process's working directory */
  int refs;                 /* lock: the owner until release, each pending callback, each exec'd process */
};

/* An exec'd process (rt_methods.exec): its own pipes, exit wait and drain, in the task's job. */
typedef struct job_proc job_proc;
typedef struct proc_stream {
  job_proc *p;
  rt_stream which;
} proc_stream;

struct job_proc {
  rt_proc base;
  job_task *t;              /* a reference, dropped when the process is freed */
  rt_exec_events ev;
  wctr_mutex lock;
  HANDLE process;
  wctr_ioc_wait *wait;      /* lock */
  proc_stream streams[2];
  int open_streams;         /* lock */
  wctr_ioc_reader *readers[2]; /* lock */
  wctr_ioc_writer *stdin_w; /* lock */
  wctr_ioc_timer *drain;    /* lock */
  bool exited;              /* lock */
  bool reported;            /* lock */
  int64_t code;
  int refs;                 /* lock: the owner until proc_release, and each pending callback */
};

static void release_common(job_task *t);
static void free_env(char **env);

/* --- helpers ------------------------------------------------------------------------------------------ */

static void task_unref(job_task *t) {
  wctr_mutex_lock(&t->lock);
  bool last = --t->refs == 0;
  wctr_mutex_unlock(&t->lock);
  if (!last) return;
  wctr_mutex_destroy(&t->lock);
  free_env(t->env);
  free(t->user);
  free(t->working_dir);
  free(t);
}

/* Reports the exit once, when the first process has ended and both streams are done. */
static void maybe_report(job_task *t) {
  wctr_mutex_lock(&t->lock);
  bool go = t->process_exited && t->open_streams == 0 && !t->reported;
  if (go) t->reported = true;
  rt_exit x = {.code = t->code, .oom_killed = t->oom};
  if (go && t->drain != NULL) {
    if (wctr_ioc_timer_cancel(t->drain)) t->refs--;
    t->drain = NULL;
  }
  wctr_mutex_unlock(&t->lock);
  if (go) t->rt->opt.events.exited(t->rt->opt.events.ctx, t->key, &x);
}

static void on_data(void *ctx, const char *data, size_t len) {
  job_stream *s = ctx;
  job_task *t = s->t;
  t->rt->opt.events.output(t->rt->opt.events.ctx, t->key, s->which, data, len);
}

static void on_end(void *ctx, DWORD error) {
  job_stream *s = ctx;
  job_task *t = s->t;
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

static void on_drain_timeout(void *arg) {
  job_task *t = arg;
  wctr_mutex_lock(&t->lock);
  t->drain = NULL;
  bool open = t->open_streams > 0 && !t->reported;
  wctr_ioc_reader *readers[2] = {t->readers[0], t->readers[1]};
  /* Cancelled under the lock: on_end clears the pointers under it, so none of these has ended yet. */
  if (open) {
    for (int i = 0; i < 2; i++) {
      if (readers[i] != NULL) wctr_ioc_reader_cancel(readers[i]);
    }
  }
  wctr_mutex_unlock(&t->lock);
  if (open) {
    wctr_log(WCTR_LOG_WARN, "container %s: output still open %u ms after exit; the rest is dropped", t->name,
             RT_DRAIN_MS);
  }
  task_unref(t);
}

static void on_process_exit(void *arg) {
  job_task *t = arg;
  DWORD code = 0;
  int64_t exit_code = GetExitCodeProcess(t->process, &code) ? (int64_t)code : -1;
  /* No exec from now on: one that spawned before this is in the job and goes with it below. */
  wctr_mutex_lock(&t->lock);
  t->ending = true;
  wctr_mutex_unlock(&t->lock);
  /* Docker's rule: the container lives as long as its first process. Whatever it left behind goes. */
  wctr_errmsg e;
  if (t->job != NULL && job_terminate(t->job, RT_KILLED_EXIT_CODE, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s", t->name, e.text);
  }
  wctr_mutex_lock(&t->lock);
  t->wait = NULL;
  t->code = exit_code;
  t->process_exited = true;
  if (t->open_streams > 0 && !t->reported) {
    t->refs++;
    if (wctr_ioc_timer_start(t->rt->opt.ioc, RT_DRAIN_MS, on_drain_timeout, t, &t->drain, &e) != WCTR_OK) {
      t->refs--;
      t->drain = NULL;
    }
  }
  wctr_mutex_unlock(&t->lock);
  maybe_report(t);
  task_unref(t);
}

static void on_job_packet(void *ctx, DWORD message, ULONG_PTR data) {
  (void)data;
  job_task *t = ctx;
  job_event_kind kind;
  if (!job_event_from_message(message, &kind) || kind != JOB_EVENT_MEMORY_LIMIT) return;
  wctr_mutex_lock(&t->lock);
  bool first = !t->oom && !t->reported;
  t->oom = true;
  wctr_mutex_unlock(&t->lock);
  if (first) t->rt->opt.events.oom(t->rt->opt.events.ctx, t->key);
}

static job_task *task_new(job_rt *rt, const rt_args *a) {
  job_task *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  if (wctr_mutex_init(&t->lock) != WCTR_OK) {
    free(t);
    return NULL;
  }
  t->base.runtime = &rt->base;
  t->rt = rt;
  t->key = a->key;
  snprintf(t->id, sizeof t->id, "%s", a->id);
  snprintf(t->name, sizeof t->name, "%s", a->name);
  t->refs = 1;
  for (int i = 0; i < 2; i++) t->streams[i] = (job_stream){.t = t, .which = (rt_stream)(i + 1)};
  return t;
}

/* The job's notifications on the core's port (OOM). A failure costs only the OOM report. */
static void watch_job(job_task *t) {
  wctr_errmsg e;
  ULONG_PTR key = 0;
  if (wctr_ioc_source_add(t->rt->opt.ioc, on_job_packet, t, &key, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: no job notifications (%s); OOM will not be reported", t->name, e.text);
    return;
  }
  if (job_notify_port(t->job, wctr_ioc_port(t->rt->opt.ioc), key, &e) != WCTR_OK) {
    wctr_ioc_source_remove(t->rt->opt.ioc, key);
    wctr_log(WCTR_LOG_WARN, "container %s: no job notifications (%s); OOM will not be reported", t->name, e.text);
    return;
  }
  t->source = key;
}

/* The environment of a job container's process: the host's system variables a Windows program needs to
 * start (without SystemRoot many DLLs fail to load), then the container's own -e values, which win. */
static char **build_env(const spec_container *spec, const char *sandbox, const char *secrets_dir) {
  static const char *const inherited[] = {"SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT", "Path",
                                          "ProgramData", "ProgramFiles", "ProgramFiles(x86)", "CommonProgramFiles",
                                          "NUMBER_OF_PROCESSORS", "OS", "PROCESSOR_ARCHITECTURE", "TEMP", "TMP"};
  const spec_process *p = &spec->process;
  size_t cap = sizeof inherited / sizeof inherited[0] + p->env_count + 3;
  char **env = calloc(cap + 1, sizeof *env);
  size_t n = 0;
  if (env == NULL) return NULL;
  for (size_t i = 0; i < sizeof inherited / sizeof inherited[0]; i++) {
    wchar_t name[64];
    wchar_t value[2048];
    MultiByteToWideChar(CP_UTF8, 0, inherited[i], -1, name, 64);
    DWORD len = GetEnvironmentVariableW(name, value, ARRAYSIZE(value));
    if (len == 0 || len >= ARRAYSIZE(value)) continue;
    /* Skip a host variable the container sets itself. */
    bool overridden = false;
    size_t name_len = strlen(inherited[i]);
    for (size_t k = 0; k < p->env_count && !overridden; k++) {
      overridden = _strnicmp(p->env[k], inherited[i], name_len) == 0 && p->env[k][name_len] == '=';
    }
    if (overridden) continue;
    char *v = wctr_wide_to_utf8(value);
    if (v == NULL) continue;
    size_t size = name_len + strlen(v) + 2;
    env[n] = malloc(size);
    if (env[n] != NULL) snprintf(env[n++], size, "%s=%s", inherited[i], v);
    free(v);
  }
  if (sandbox != NULL) {
    size_t size = strlen(sandbox) + 40;
    env[n] = malloc(size);
    if (env[n] != NULL) snprintf(env[n++], size, "CONTAINER_SANDBOX_MOUNT_POINT=%s", sandbox);
  }
  if (secrets_dir != NULL && secrets_dir[0] != '\0') {
    size_t size = strlen(secrets_dir) + sizeof SECRETS_ENV + 2;
    env[n] = malloc(size);
    if (env[n] != NULL) snprintf(env[n++], size, "%s=%s", SECRETS_ENV, secrets_dir);
  }
  for (size_t k = 0; k < p->env_count; k++) {
    size_t size = strlen(p->env[k]) + 1;
    env[n] = malloc(size);
    if (env[n] != NULL) memcpy(env[n++], p->env[k], size);
  }
  env[n] = NULL;
  return env;
}

static void free_env(char **env) {
  for (size_t i = 0; env != NULL && env[i] != NULL; i++) free(env[i]);
  free(env);
}

/* The SID of the account job_spawn will run the process as (job_identity_token), so a secrets folder's read
 * ACE names exactly the account that reads it. */
static wctr_err identity_sid(const char *user, char *sid, size_t size, wctr_errmsg *e) {
  void *token = NULL;
  char identity[192];
  BYTE buf[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
  DWORD got = 0;
  wchar_t *text = NULL;
  wctr_err err = job_identity_token(user, &token, identity, sizeof identity, e);
  if (err != WCTR_OK) return err;
  if (!GetTokenInformation((HANDLE)token, TokenUser, buf, sizeof buf, &got) ||
      !ConvertSidToStringSidW(((TOKEN_USER *)buf)->User.Sid, &text) ||
      WideCharToMultiByte(CP_UTF8, 0, text, -1, sid, (int)size, NULL, NULL) <= 0) {
    err = wctr_fail(e, wctr_log_win32("GetTokenInformation", GetLastError(), "the container's identity"),
                    "cannot read the identity the container would run as");
  }
  if (text != NULL) LocalFree(text);
  CloseHandle((HANDLE)token);
  return err;
}

static void root_of_system_drive(char *out, size_t size) {
  wchar_t drive[8] = L"C:";
  GetEnvironmentVariableW(L"SystemDrive", drive, ARRAYSIZE(drive));
  snprintf(out, size, "%c:\\", (char)drive[0]);
}

/* --- methods ------------------------------------------------------------------------------------------- */

static bool jrt_available(rt_runtime *rt, const char **why) {
  (void)rt;
  (void)why;
  return true;
}

static wctr_err jrt_prepare(rt_runtime *rt, spec_container *spec, bool dry_run, spec_warnings *w, wctr_errmsg *e) {
  (void)rt;
  (void)dry_run;
  (void)w;
  if (spec_job_image_is_host(spec->image)) return WCTR_OK;
  /* A job container's image is a folder on the host that becomes its sandbox root. */
  wchar_t *wide = wctr_utf8_to_wide(spec->image);
  DWORD attrs = wide != NULL ? GetFileAttributesW(wide) : INVALID_FILE_ATTRIBUTES;
  bool absolute = wide != NULL && ((iswalpha(wide[0]) && wide[1] == L':' && wide[2] == L'\\') ||
                                   (wide[0] == L'\\' && wide[1] == L'\\'));
  free(wide);
  if (!absolute || attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
    return wctr_fail(e, WCTR_EINVAL,
                     "image \"%s\": for --isolation=job the image is an absolute path to an existing folder (the "
                     "sandbox), or \"host\"",
                     spec->image);
  }
  return WCTR_OK;
}

static wctr_err jrt_plan(rt_runtime *rt, const rt_args *a, cJSON **calls, spec_warnings *w, wctr_errmsg *e) {
  (void)rt;
  (void)a;
  (void)calls;
  (void)w;
  return wctr_fail(e, WCTR_EINVAL, "--dry-run shows the documents sent to the Host Compute Service; a job container "
                   "sends none (use --isolation=process or hyperv)");
}

static void secrets_cleanup(job_rt *rt, const char *id) {
  if (rt->opt.host.secrets_cleanup != NULL) rt->opt.host.secrets_cleanup(rt->opt.host.ctx, id);
}

static wctr_err jrt_start(rt_runtime *base, const rt_args *a, rt_task **out, rt_started *info, wctr_errmsg *e) {
  job_rt *rt = (job_rt *)base;
  const spec_container *spec = a->spec;
  wctr_err err = WCTR_OK;
  char job_name[80];
  HANDLE out_ours = NULL, out_child = NULL, err_ours = NULL, err_child = NULL, in_ours = NULL, in_child = NULL;
  char **env = NULL;
  wctr_cmdline cl = {0};
  job_process proc = {0};
  job_object *job = NULL;
  job_limits limits;
  job_task *t = NULL;
  bool host_image = spec_job_image_is_host(spec->image);
  char secrets_dir[1200] = "";
  snprintf(job_name, sizeof job_name, "wctr-%s", a->id);

  if (spec->secret_count > 0 && rt->opt.host.secrets_materialize != NULL) {
    char sid[192];
    err = identity_sid(spec->process.user, sid, sizeof sid, e);
    if (err == WCTR_OK) {
      err = rt->opt.host.secrets_materialize(rt->opt.host.ctx, a->id, spec, sid, secrets_dir, sizeof secrets_dir, e);
    }
    if (err != WCTR_OK) goto done;
  }
  err = job_limits_from_spec(&spec->resources, rt->opt.host_cpus, &limits, e);
  if (err == WCTR_OK) err = job_create(job_name, &limits, &job, e);
  if (err == WCTR_OK) err = wctr_pipe_pair(false, &out_ours, &out_child, e);
  if (err == WCTR_OK) err = wctr_pipe_pair(false, &err_ours, &err_child, e);
  if (err == WCTR_OK && spec->process.open_stdin) err = wctr_pipe_pair(true, &in_ours, &in_child, e);
  if (err == WCTR_OK && !spec->process.open_stdin) {
    SECURITY_ATTRIBUTES inherit = {.nLength = sizeof inherit, .bInheritHandle = TRUE};
    in_child = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
    if (in_child == INVALID_HANDLE_VALUE) in_child = NULL;
  }
  for (size_t i = 0; err == WCTR_OK && i < spec->process.cmd_count; i++) err = wctr_cmdline_append(&cl, spec->process.cmd[i]);
  if (err == WCTR_OK && (env = build_env(spec, host_image ? NULL : spec->image, secrets_dir)) == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err != WCTR_OK) goto done;
  /* "host" has no sandbox: start at the root of the system drive, as a new console does. */
  char root_dir[16];
  root_of_system_drive(root_dir, sizeof root_dir);
  const char *working_dir = spec->process.working_dir != NULL ? spec->process.working_dir : host_image ? root_dir : spec->image;
  job_spawn_spec ss = {
      .command_line = cl.text,
      .working_dir = working_dir,
      .env = (const char *const *)env,
      .user = spec->process.user,
      .std_in = in_child,
      .std_out = out_child,
      .std_err = err_child,
  };
  err = job_spawn(job, &ss, &proc, e);
  if (err != WCTR_OK) goto done;
  /* The child has its ends; ours would keep the pipes open after it exits. */
  CloseHandle(out_child);
  CloseHandle(err_child);
  if (in_child != NULL) CloseHandle(in_child);
  out_child = err_child = in_child = NULL;

  t = task_new(rt, a);
  if (t == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  t->job = job;
  job = NULL;
  t->process = proc.process;
  proc.process = NULL;
  t->has_secrets = secrets_dir[0] != '\0';
  t->env = env;
  env = NULL;
  t->working_dir = _strdup(working_dir);
  t->user = spec->process.user != NULL ? _strdup(spec->process.user) : NULL;
  if (t->working_dir == NULL || (spec->process.user != NULL && t->user == NULL)) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    wctr_errmsg ignored;
    job_terminate(t->job, RT_KILLED_EXIT_CODE, &ignored);
    goto done;
  }
  watch_job(t);
  /* Readers, stdin and the exit wait are armed under the lock, so no callback sees a half-built task. */
  wctr_mutex_lock(&t->lock);
  HANDLE ours[2] = {out_ours, err_ours};
  for (int i = 0; i < 2 && err == WCTR_OK; i++) {
    t->refs++;
    err = wctr_ioc_reader_start(rt->opt.ioc, ours[i], READ_BUFFER, on_data, on_end, &t->streams[i], &t->readers[i], e);
    if (err == WCTR_OK) {
      ours[i] = NULL;
      t->open_streams++;
    } else {
      t->refs--;
    }
  }
  out_ours = ours[0];
  err_ours = ours[1];
  if (err == WCTR_OK && in_ours != NULL) {
    wctr_ioc_writer_options wo = {.max_queued = STDIN_QUEUE_MAX};
    err = wctr_ioc_writer_start(rt->opt.ioc, in_ours, false, &wo, &t->stdin_w, e);
    if (err == WCTR_OK) in_ours = NULL;
  }
  if (err == WCTR_OK) {
    t->refs++;
    err = wctr_ioc_wait_start(rt->opt.ioc, t->process, on_process_exit, t, &t->wait, e);
    if (err != WCTR_OK) t->refs--;
  }
  wctr_mutex_unlock(&t->lock);
  if (err != WCTR_OK) {
    /* The process runs but cannot be watched: it goes, and the task's readers end on their own. */
    wctr_errmsg ignored;
    job_terminate(t->job, RT_KILLED_EXIT_CODE, &ignored);
    goto done;
  }
  info->pid = proc.pid;
  snprintf(info->identity, sizeof info->identity, "%s", proc.identity);
  info->state = NULL;
  *out = &t->base;
  t = NULL;
done:
  if (out_ours != NULL) CloseHandle(out_ours);
  if (out_child != NULL) CloseHandle(out_child);
  if (err_ours != NULL) CloseHandle(err_ours);
  if (err_child != NULL) CloseHandle(err_child);
  if (in_ours != NULL) CloseHandle(in_ours);
  if (in_child != NULL) CloseHandle(in_child);
  job_process_close(&proc);
  if (job != NULL) {
    wctr_errmsg ignored;
    job_terminate(job, RT_KILLED_EXIT_CODE, &ignored);
    job_close(job);
  }
  if (t != NULL) {
    release_common(t); /* a task that could not be armed goes as a released one would */
  }
  free_env(env);
  wctr_cmdline_free(&cl);
  if (err != WCTR_OK && secrets_dir[0] != '\0') secrets_cleanup(rt, a->id);
  return err;
}

static wctr_err jrt_reattach(rt_runtime *base, const rt_args *a, rt_task **out, rt_exit *ended, wctr_errmsg *e) {
  job_rt *rt = (job_rt *)base;
  char job_name[80];
  snprintf(job_name, sizeof job_name, "wctr-%s", a->id);
  job_object *job = NULL;
  HANDLE process = NULL;
  ended->code = -1;
  ended->why[0] = '\0';
  wctr_err err = job_open(job_name, &job, e);
  if (err == WCTR_OK && a->pid != 0) {
    /* PROCESS_QUERY_INFORMATION too: Wine's IsProcessInJob refuses a handle with only the limited right. */
    process = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, a->pid);
  }
  if (process != NULL) {
    /* The recorded process id may belong to another process by now: only a process in the container's own
     * job is the container's. One that cannot be shown to be in it is not adopted either: a foreign process
     * would keep the container "running" for as long as it lives, and stop would wait on it in vain. What is
     * left in the job then goes with it (KILL_ON_JOB_CLOSE), so nothing runs on unwatched. */
    bool in = false;
    wctr_errmsg ie;
    if (job_contains_process(job, process, &in, &ie) != WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "container %s: %s; process %u is not re-attached", a->name, ie.text, a->pid);
    } else if (!in) {
      wctr_log(WCTR_LOG_WARN, "container %s: process %u is not in its job (its id was given to another process)",
               a->name, a->pid);
    }
    if (!in) {
      CloseHandle(process);
      process = NULL;
    }
  }
  if (process != NULL && WaitForSingleObject(process, 0) == WAIT_OBJECT_0) {
    /* It ended while wctrd was away: its own exit code is still there to read. */
    DWORD code = 0;
    ended->code = GetExitCodeProcess(process, &code) ? (int64_t)code : -1;
    snprintf(ended->why, sizeof ended->why, "ended while wctrd was not running");
    CloseHandle(process);
    job_close(job);
    return wctr_fail(e, WCTR_ENOENT, "container %s ended while wctrd was not running", a->name);
  }
  if (job == NULL || process == NULL) {
    if (process != NULL) CloseHandle(process);
    job_close(job);
    snprintf(ended->why, sizeof ended->why, "wctrd restarted; the container had stopped meanwhile");
    return wctr_fail(e, WCTR_ENOENT, "container %s is gone", a->name);
  }
  job_task *t = task_new(rt, a);
  if (t == NULL) {
    CloseHandle(process);
    job_close(job);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  t->job = job;
  t->process = process;
  t->has_secrets = a->spec->secret_count > 0;
  /* What exec gives its processes, as the start computed it: the secrets folder is where the start put it. */
  {
    const spec_container *spec = a->spec;
    bool host_image = spec_job_image_is_host(spec->image);
    char secrets_dir[1200] = "";
    if (t->has_secrets) snprintf(secrets_dir, sizeof secrets_dir, "%s\\%s", a->container_dir, RT_SECRETS_DIR_NAME);
    char root_dir[16];
    root_of_system_drive(root_dir, sizeof root_dir);
    const char *wd = spec->process.working_dir != NULL ? spec->process.working_dir : host_image ? root_dir : spec->image;
    t->env = build_env(spec, host_image ? NULL : spec->image, secrets_dir);
    t->working_dir = _strdup(wd);
    t->user = spec->process.user != NULL ? _strdup(spec->process.user) : NULL;
    if (t->env == NULL || t->working_dir == NULL || (spec->process.user != NULL && t->user == NULL)) {
      release_common(t);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  watch_job(t);
  wctr_mutex_lock(&t->lock);
  t->refs++;
  err = wctr_ioc_wait_start(rt->opt.ioc, t->process, on_process_exit, t, &t->wait, e);
  if (err != WCTR_OK) t->refs--;
  wctr_mutex_unlock(&t->lock);
  if (err != WCTR_OK) {
    /* Output written while wctrd was down is lost anyway; without a wait the exit would never be seen. */
    release_common(t);
    return err;
  }
  *out = &t->base;
  return WCTR_OK;
}

/* --- exec: another process in the container's job ------------------------------------------------------ */

static void proc_unref(job_proc *p) {
  wctr_mutex_lock(&p->lock);
  bool last = --p->refs == 0;
  wctr_mutex_unlock(&p->lock);
  if (!last) return;
  job_task *t = p->t;
  wctr_mutex_destroy(&p->lock);
  free(p);
  task_unref(t);
}

/* Reports the exit once, when the process has ended and both streams are done (runtime.h). */
static void proc_maybe_report(job_proc *p) {
  wctr_mutex_lock(&p->lock);
  bool go = p->exited && p->open_streams == 0 && !p->reported;
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
  proc_stream *s = ctx;
  s->p->ev.output(s->p->ev.ctx, s->which, data, len);
}

static void proc_on_end(void *ctx, DWORD error) {
  proc_stream *s = ctx;
  job_proc *p = s->p;
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
  job_proc *p = arg;
  wctr_mutex_lock(&p->lock);
  p->drain = NULL;
  bool open = p->open_streams > 0 && !p->reported;
  /* Cancelled under the lock: proc_on_end clears the pointers under it. */
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

static void proc_on_exit(void *arg) {
  job_proc *p = arg;
  DWORD code = 0;
  int64_t exit_code = GetExitCodeProcess(p->process, &code) ? (int64_t)code : -1;
  wctr_errmsg e;
  wctr_mutex_lock(&p->lock);
  p->wait = NULL;
  p->code = exit_code;
  p->exited = true;
  if (p->open_streams > 0 && !p->reported) {
    p->refs++;
    if (wctr_ioc_timer_start(p->t->rt->opt.ioc, RT_DRAIN_MS, proc_on_drain_timeout, p, &p->drain, &e) != WCTR_OK) {
      p->refs--;
      p->drain = NULL;
    }
  }
  wctr_mutex_unlock(&p->lock);
  proc_maybe_report(p);
  proc_unref(p);
}

/* The container's environment with the exec's -e values added; an exec's value wins (names compare as
 * Windows compares them, without case). */
static char **exec_env(const job_task *t, const spec_process *p) {
  size_t base = 0;
  while (t->env != NULL && t->env[base] != NULL) base++;
  char **env = calloc(base + p->env_count + 1, sizeof *env);
  size_t n = 0;
  if (env == NULL) return NULL;
  for (size_t i = 0; i < base; i++) {
    const char *eq = strchr(t->env[i], '=');
    size_t name_len = eq != NULL ? (size_t)(eq - t->env[i]) : strlen(t->env[i]);
    bool overridden = false;
    for (size_t k = 0; k < p->env_count && !overridden; k++) {
      overridden = _strnicmp(p->env[k], t->env[i], name_len) == 0 && p->env[k][name_len] == '=';
    }
    if (overridden) continue;
    env[n] = _strdup(t->env[i]);
    if (env[n] == NULL) goto fail;
    n++;
  }
  for (size_t k = 0; k < p->env_count; k++) {
    env[n] = _strdup(p->env[k]);
    if (env[n] == NULL) goto fail;
    n++;
  }
  env[n] = NULL;
  return env;
fail:
  free_env(env);
  return NULL;
}

/* docker exec in a job container: the process is born in the container's job (its limits, its end with the
 * container) with the container's identity (or -u's), environment (plus -e) and working directory (or -w).
 * It holds no handle to the job (job_spawn_spec.exec), so only the first process keeps a job alive. A job
 * container has no console: -t is accepted (the output is the same pipes) and resize refused, as the
 * container's own. */
static wctr_err jrt_exec(rt_task *base, const spec_process *sp, const rt_exec_events *ev, rt_proc **out, uint32_t *pid,
                         wctr_errmsg *e) {
  job_task *t = (job_task *)base;
  job_rt *rt = t->rt;
  wctr_err err = WCTR_OK;
  HANDLE out_ours = NULL, out_child = NULL, err_ours = NULL, err_child = NULL, in_ours = NULL, in_child = NULL;
  char **env = NULL;
  wctr_cmdline cl = {0};
  job_process proc = {0};
  job_proc *p = NULL;
  bool counted = false;

  wctr_mutex_lock(&t->lock);
  bool ending = t->ending;
  if (!ending) t->refs++; /* the process's reference, taken before anything can fail */
  wctr_mutex_unlock(&t->lock);
  if (ending) return wctr_fail(e, WCTR_ESTATE, "container %s is stopping", t->name);
  counted = true;
  if (sp->cmd_count == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "exec needs a command");
    goto done;
  }
  err = wctr_pipe_pair(false, &out_ours, &out_child, e);
  if (err == WCTR_OK) err = wctr_pipe_pair(false, &err_ours, &err_child, e);
  if (err == WCTR_OK && sp->open_stdin) err = wctr_pipe_pair(true, &in_ours, &in_child, e);
  if (err == WCTR_OK && !sp->open_stdin) {
    SECURITY_ATTRIBUTES inherit = {.nLength = sizeof inherit, .bInheritHandle = TRUE};
    in_child = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
    if (in_child == INVALID_HANDLE_VALUE) in_child = NULL;
  }
  for (size_t i = 0; err == WCTR_OK && i < sp->cmd_count; i++) err = wctr_cmdline_append(&cl, sp->cmd[i]);
  if (err == WCTR_OK && (env = exec_env(t, sp)) == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) goto done;
  job_spawn_spec ss = {
      .command_line = cl.text,
      .working_dir = sp->working_dir != NULL ? sp->working_dir : t->working_dir,
      .env = (const char *const *)env,
      .user = sp->user != NULL ? sp->user : t->user,
      .std_in = in_child,
      .std_out = out_child,
      .std_err = err_child,
      .exec = true,
  };
  /* The job stays open while the task lives (release closes it after every proc_release). */
  err = job_spawn(t->job, &ss, &proc, e);
  if (err == WCTR_ENOENT) {
    /* docker exec's words, for its exit code 127 (runtime.h) */
    err = wctr_fail(e, WCTR_ENOENT, "exec: \"%s\": executable file not found (or its working directory \"%s\" is "
                    "missing)", sp->cmd[0], ss.working_dir);
  }
  if (err != WCTR_OK) goto done;
  CloseHandle(out_child);
  CloseHandle(err_child);
  if (in_child != NULL) CloseHandle(in_child);
  out_child = err_child = in_child = NULL;

  wctr_mutex_lock(&t->lock);
  ending = t->ending;
  wctr_mutex_unlock(&t->lock);
  if (ending) {
    /* The first process ended while this one was being born: the job's termination may have missed it. */
    TerminateProcess(proc.process, RT_KILLED_EXIT_CODE);
    err = wctr_fail(e, WCTR_ESTATE, "container %s is stopping", t->name);
    goto done;
  }
  p = calloc(1, sizeof *p);
  if (p == NULL || wctr_mutex_init(&p->lock) != WCTR_OK) {
    free(p);
    p = NULL;
    TerminateProcess(proc.process, RT_KILLED_EXIT_CODE);
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  p->base.task = &t->base;
  p->t = t;
  counted = false; /* the reference is p's now */
  p->ev = *ev;
  p->refs = 1;
  p->process = proc.process;
  proc.process = NULL;
  for (int i = 0; i < 2; i++) p->streams[i] = (proc_stream){.p = p, .which = (rt_stream)(i + 1)};
  wctr_mutex_lock(&p->lock);
  HANDLE ours[2] = {out_ours, err_ours};
  for (int i = 0; i < 2 && err == WCTR_OK; i++) {
    p->refs++;
    err = wctr_ioc_reader_start(rt->opt.ioc, ours[i], READ_BUFFER, proc_on_data, proc_on_end, &p->streams[i],
                                &p->readers[i], e);
    if (err == WCTR_OK) {
      ours[i] = NULL;
      p->open_streams++;
    } else {
      p->refs--;
    }
  }
  out_ours = ours[0];
  err_ours = ours[1];
  if (err == WCTR_OK && in_ours != NULL) {
    wctr_ioc_writer_options wo = {.max_queued = STDIN_QUEUE_MAX};
    err = wctr_ioc_writer_start(rt->opt.ioc, in_ours, false, &wo, &p->stdin_w, e);
    if (err == WCTR_OK) in_ours = NULL;
  }
  if (err == WCTR_OK) {
    p->refs++;
    err = wctr_ioc_wait_start(rt->opt.ioc, p->process, proc_on_exit, p, &p->wait, e);
    if (err != WCTR_OK) p->refs--;
  }
  wctr_mutex_unlock(&p->lock);
  if (err != WCTR_OK) {
    /* Not watched: it goes, and what was armed ends on its own (the readers see the pipes close). */
    TerminateProcess(p->process, RT_KILLED_EXIT_CODE);
    wctr_mutex_lock(&p->lock);
    p->reported = true; /* no exited for an exec that failed */
    wctr_ioc_writer *w = p->stdin_w;
    p->stdin_w = NULL;
    wctr_mutex_unlock(&p->lock);
    if (w != NULL) wctr_ioc_writer_close(w, false, true);
    CloseHandle(p->process);
    p->process = NULL;
    proc_unref(p);
    p = NULL;
    goto done;
  }
  *pid = proc.pid;
  *out = &p->base;
  p = NULL;
done:
  if (out_ours != NULL) CloseHandle(out_ours);
  if (out_child != NULL) CloseHandle(out_child);
  if (err_ours != NULL) CloseHandle(err_ours);
  if (err_child != NULL) CloseHandle(err_child);
  if (in_ours != NULL) CloseHandle(in_ours);
  if (in_child != NULL) CloseHandle(in_child);
  job_process_close(&proc);
  free_env(env);
  wctr_cmdline_free(&cl);
  if (counted) task_unref(t);
  return err;
}

static wctr_err jrt_proc_stdin_write(rt_proc *base, const void *data, size_t len, wctr_errmsg *e) {
  job_proc *p = (job_proc *)base;
  wctr_mutex_lock(&p->lock);
  wctr_err err = p->stdin_w != NULL ? wctr_ioc_writer_write(p->stdin_w, data, len, false) : WCTR_EPIPE;
  wctr_mutex_unlock(&p->lock);
  if (err == WCTR_ETOOBIG) return wctr_fail(e, err, "the process does not read its stdin (%d bytes queued)", STDIN_QUEUE_MAX);
  if (err != WCTR_OK) return wctr_fail(e, err, "stdin is closed");
  return WCTR_OK;
}

static wctr_err jrt_proc_stdin_close(rt_proc *base, wctr_errmsg *e) {
  (void)e;
  job_proc *p = (job_proc *)base;
  wctr_mutex_lock(&p->lock);
  wctr_ioc_writer *w = p->stdin_w;
  p->stdin_w = NULL;
  wctr_mutex_unlock(&p->lock);
  if (w != NULL) wctr_ioc_writer_close(w, true, true);
  return WCTR_OK;
}

static wctr_err jrt_proc_resize(rt_proc *p, unsigned rows, unsigned cols, wctr_errmsg *e) {
  (void)p;
  (void)rows;
  (void)cols;
  return wctr_fail(e, WCTR_ENOTSUP, "a job container has no console to resize");
}

static wctr_err jrt_proc_kill(rt_proc *base, wctr_errmsg *e) {
  job_proc *p = (job_proc *)base;
  if (!TerminateProcess(p->process, RT_KILLED_EXIT_CODE) && WaitForSingleObject(p->process, 0) != WAIT_OBJECT_0) {
    return wctr_fail(e, wctr_log_win32("TerminateProcess", GetLastError(), "an exec'd process"),
                     "cannot end the exec'd process in container %s", p->t->name);
  }
  return WCTR_OK;
}

static void jrt_proc_release(rt_proc *base) {
  job_proc *p = (job_proc *)base;
  wctr_mutex_lock(&p->lock);
  wctr_ioc_wait *wait = p->wait;
  p->wait = NULL;
  wctr_ioc_writer *w = p->stdin_w;
  p->stdin_w = NULL;
  for (int i = 0; p->open_streams > 0 && i < 2; i++) {
    if (p->readers[i] != NULL) wctr_ioc_reader_cancel(p->readers[i]);
  }
  if (p->drain != NULL && wctr_ioc_timer_cancel(p->drain)) p->refs--;
  p->drain = NULL;
  wctr_mutex_unlock(&p->lock);
  if (wait != NULL && wctr_ioc_wait_cancel(wait)) proc_unref(p); /* the wait's reference */
  if (w != NULL) wctr_ioc_writer_close(w, false, true);
  if (p->process != NULL) CloseHandle(p->process);
  p->process = NULL;
  proc_unref(p);
}

static wctr_err jrt_signal(rt_task *base, rt_signal sig, wctr_errmsg *e) {
  job_task *t = (job_task *)base;
  if (sig == RT_SIGNAL_KILL) return job_terminate(t->job, RT_KILLED_EXIT_CODE, e);
  /* Delivered by starting a thread in each process (jobs/job.h), which a process can hold up: this runs on
   * the blocking pool, and the manager's stop timeout does not depend on it. */
  return job_signal_stop(t->job, e);
}

static wctr_err jrt_stdin_write(rt_task *base, const void *data, size_t len, wctr_errmsg *e) {
  job_task *t = (job_task *)base;
  wctr_mutex_lock(&t->lock);
  wctr_err err = t->stdin_w != NULL ? wctr_ioc_writer_write(t->stdin_w, data, len, false) : WCTR_EPIPE;
  wctr_mutex_unlock(&t->lock);
  if (err == WCTR_ETOOBIG) return wctr_fail(e, err, "the container does not read its stdin (%d bytes queued)", STDIN_QUEUE_MAX);
  if (err != WCTR_OK) return wctr_fail(e, err, "stdin is closed");
  return WCTR_OK;
}

static wctr_err jrt_stdin_close(rt_task *base, wctr_errmsg *e) {
  (void)e;
  job_task *t = (job_task *)base;
  wctr_mutex_lock(&t->lock);
  wctr_ioc_writer *w = t->stdin_w;
  t->stdin_w = NULL;
  wctr_mutex_unlock(&t->lock);
  /* What was queued is written first; then the handle closes and the container reads end of file. */
  if (w != NULL) wctr_ioc_writer_close(w, true, true);
  return WCTR_OK;
}

static wctr_err jrt_resize(rt_task *t, unsigned rows, unsigned cols, wctr_errmsg *e) {
  (void)t;
  (void)rows;
  (void)cols;
  return wctr_fail(e, WCTR_ENOTSUP, "a job container has no console to resize");
}

static wctr_err jrt_stats(rt_task *base, rt_stats *out, wctr_errmsg *e) {
  job_task *t = (job_task *)base;
  job_stats s;
  memset(out, 0, sizeof *out);
  wctr_err err = job_query_stats(t->job, &s, e);
  if (err != WCTR_OK) return err;
  out->cpu_100ns = s.user_time_100ns + s.kernel_time_100ns;
  out->memory_bytes = s.job_memory;
  out->memory_peak_bytes = s.peak_job_memory;
  out->read_bytes = s.read_bytes;
  out->write_bytes = s.write_bytes;
  out->read_ops = s.read_operations;
  out->write_ops = s.write_operations;
  out->processes = s.active_processes;
  return WCTR_OK;
}

static uint64_t filetime_100ns(const FILETIME *f) { return ((uint64_t)f->dwHighDateTime << 32) | f->dwLowDateTime; }

/* docker top: the job's processes (JobObjectBasicProcessIdList), each with its image name, CPU times and
 * working set (the job runtime reads the process's WorkingSetSize: Windows has no cheaper private figure). A
 * process that ended or cannot be opened meanwhile is left out. */
/* A job object cannot be frozen through a documented API: suspending each thread of each process races with the
 * threads and processes the job creates meanwhile, and the job-wide freeze Windows has internally is not
 * documented. wctr does not pretend. */
static wctr_err jrt_pause(rt_task *base, wctr_errmsg *e) {
  (void)base;
  return wctr_fail(e, WCTR_ENOTSUP, "%s", RT_JOB_PAUSE_REFUSAL);
}

static wctr_err jrt_resume(rt_task *base, wctr_errmsg *e) {
  (void)base;
  return wctr_fail(e, WCTR_ESTATE, "a job container is never paused");
}

static wctr_err jrt_top(rt_task *base, cJSON **out, wctr_errmsg *e) {
  job_task *t = (job_task *)base;
  uint32_t *pids = NULL;
  size_t count = 0;
  wctr_err err = job_list_pids(t->job, &pids, &count, e);
  if (err != WCTR_OK) return err;
  cJSON *list = cJSON_CreateArray();
  bool ok = list != NULL;
  for (size_t i = 0; ok && i < count; i++) {
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pids[i]);
    if (h == NULL) continue;
    cJSON *d = cJSON_CreateObject();
    ok = d != NULL && cJSON_AddItemToArray(list, d);
    if (ok) cJSON_AddNumberToObject(d, "ProcessId", pids[i]);
    wchar_t image[MAX_PATH];
    DWORD len = ARRAYSIZE(image);
    if (ok && QueryFullProcessImageNameW(h, 0, image, &len)) {
      const wchar_t *slash = wcsrchr(image, L'\\');
      char *name = wctr_wide_to_utf8(slash != NULL ? slash + 1 : image);
      if (name != NULL) cJSON_AddStringToObject(d, "ImageName", name);
      free(name);
    }
    FILETIME created, exited, kernel, user;
    if (ok && GetProcessTimes(h, &created, &exited, &kernel, &user)) {
      cJSON_AddNumberToObject(d, "KernelTime100ns", (double)filetime_100ns(&kernel));
      cJSON_AddNumberToObject(d, "UserTime100ns", (double)filetime_100ns(&user));
    }
    PROCESS_MEMORY_COUNTERS mem;
    memset(&mem, 0, sizeof mem);
    if (ok && K32GetProcessMemoryInfo(h, &mem, sizeof mem)) {
      cJSON_AddNumberToObject(d, "MemoryWorkingSetPrivateBytes", (double)mem.WorkingSetSize);
    }
    CloseHandle(h);
  }
  free(pids);
  if (!ok) {
    cJSON_Delete(list);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = list;
  return WCTR_OK;
}

static wctr_err jrt_update(rt_task *base, const spec_resources *r, spec_warnings *w, wctr_errmsg *e) {
  job_task *t = (job_task *)base;
  job_limits limits;
  wctr_err err = job_limits_from_spec(r, t->rt->opt.host_cpus, &limits, e);
  if (err != WCTR_OK) return err;
  for (size_t i = 0; w != NULL && i < limits.warnings.count; i++) spec_warn(w, "%s", limits.warnings.text[i]);
  return job_apply_limits(t->job, &limits, e);
}

static wctr_err jrt_inspect(rt_task *base, cJSON **out, wctr_errmsg *e) {
  job_task *t = (job_task *)base;
  /* What Windows holds for the job right now, beside what wctr asked for (EffectiveLimits). */
  job_limits applied;
  wctr_errmsg qe;
  bool read = job_query_limits(t->job, &applied, &qe) == WCTR_OK;
  cJSON *o = cJSON_CreateObject();
  cJSON *a = read ? job_limits_to_json(&applied) : cJSON_CreateObject();
  if (o == NULL || a == NULL) {
    cJSON_Delete(o);
    cJSON_Delete(a);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (!read) cJSON_AddStringToObject(a, "Error", qe.text);
  cJSON_AddItemToObject(o, "AppliedLimits", a);
  *out = o;
  return WCTR_OK;
}

static void release_common(job_task *t) {
  job_rt *rt = t->rt;
  wctr_mutex_lock(&t->lock);
  t->ending = true;
  wctr_ioc_wait *wait = t->wait;
  t->wait = NULL;
  wctr_ioc_writer *w = t->stdin_w;
  t->stdin_w = NULL;
  bool cancel_readers = t->open_streams > 0;
  if (cancel_readers) {
    for (int i = 0; i < 2; i++) {
      if (t->readers[i] != NULL) wctr_ioc_reader_cancel(t->readers[i]);
    }
  }
  if (t->drain != NULL && wctr_ioc_timer_cancel(t->drain)) t->refs--;
  t->drain = NULL;
  wctr_mutex_unlock(&t->lock);
  if (wait != NULL && wctr_ioc_wait_cancel(wait)) task_unref(t); /* the wait's reference */
  if (w != NULL) wctr_ioc_writer_close(w, false, true);
  /* jobs/job.h: stop the job's events before the key's memory goes (the old manager never did, so its
   * monitor grew with every run and a late message could reach a freed container). */
  if (t->source != 0) wctr_ioc_source_remove(rt->opt.ioc, t->source);
  t->source = 0;
  if (t->job != NULL) {
    wctr_errmsg e;
    job_terminate(t->job, RT_KILLED_EXIT_CODE, &e);
    job_close(t->job);
    t->job = NULL;
  }
  if (t->process != NULL) CloseHandle(t->process);
  t->process = NULL;
  if (t->has_secrets) secrets_cleanup(rt, t->id);
  task_unref(t);
}

static void jrt_release(rt_task *base) { release_common((job_task *)base); }

static void jrt_cleanup(rt_runtime *rt, const rt_args *a) {
  /* A job goes with its last process (KILL_ON_JOB_CLOSE); the secrets folder of a run that ended while wctrd
   * was away is the service's start-up sweep's, which audits it with every other folder a crash left. */
  (void)rt;
  (void)a;
}

static void jrt_remove(rt_runtime *rt, const rt_args *a) {
  /* A job container keeps nothing outside its folder, which the store removes. */
  (void)rt;
  (void)a;
}

static void jrt_sweep(rt_runtime *rt, const char *const *owned, size_t owned_count, const char *const *running,
                      size_t running_count) {
  /* Jobs of containers that do not run are gone by construction (KILL_ON_JOB_CLOSE); secrets folders are
   * swept by the service. */
  (void)rt;
  (void)owned;
  (void)owned_count;
  (void)running;
  (void)running_count;
}

static void jrt_close(rt_runtime *rt) { free(rt); }

static const rt_methods job_methods = {
    .version = RT_METHODS_V3, .name = "job",        .available = jrt_available,     .prepare = jrt_prepare,
    .plan = jrt_plan,         .start = jrt_start,   .reattach = jrt_reattach,       .exec = jrt_exec,
    .signal = jrt_signal,     .stdin_write = jrt_stdin_write, .stdin_close = jrt_stdin_close,
    .resize = jrt_resize,     .stats = jrt_stats,   .update = jrt_update,           .inspect = jrt_inspect,
    .release = jrt_release,   .cleanup = jrt_cleanup, .remove = jrt_remove,         .sweep = jrt_sweep,
    .close = jrt_close,
    .proc_stdin_write = jrt_proc_stdin_write, .proc_stdin_close = jrt_proc_stdin_close,
    .proc_resize = jrt_proc_resize, .proc_kill = jrt_proc_kill, .proc_release = jrt_proc_release,
    .top = jrt_top,           .pause = jrt_pause,     .resume = jrt_resume,
};

wctr_err rt_job_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e) {
  job_rt *rt = calloc(1, sizeof *rt);
  if (rt == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  rt->base.methods = &job_methods;
  rt->opt = *opt;
  *out = &rt->base;
  return WCTR_OK;
}
