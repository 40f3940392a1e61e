/* service/manager_win.c - containers: create, start, stop, kill, remove, list, inspect, logs, wait.
 *
 * Threads and locks:
 *  - m->lock guards the list of containers and every record; it is never held across a wait or a pipe
 *    write;
 *  - each container's subs_lock guards its attached clients, and is held while output is queued to
 *    them (a sink never blocks: service/ops.h), so output reaches each client in order;
 *  - a running container has two reader threads (stdout, stderr: log file + attached clients) and a
 *    waiter thread (init process exit -> the rest of the job is terminated -> readers drained -> record
 *    updated -> `exited` event set);
 *  - a container is referenced by the operations using it (refs) and freed only when removed and
 *    unreferenced. */
#include <windows.h>

#include <bcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/cmdline.h"
#include "common/json.h"
#include "common/log.h"
#include "common/wstr.h"
#include "jobs/job.h"
#include "service/credspecs.h"
#include "service/hcs_runtime.h"
#include "service/images.h"
#include "service/manager.h"
#include "service/secrets.h"
#include "service/store.h"
#include "service/svc_sys.h"

#define LOG_FILE "container-log.json"
#define LOG_MAX_BYTES (10u * 1024u * 1024u) /* then rotated to .1: at most twice this on disk */
enum { KILL_WAIT_MS = 10000, READER_DRAIN_MS = 5000, KILLED_EXIT_CODE = 1 };

struct tmp_stream;

/* An attached client (run, logs -f). */
typedef struct subscriber {
  struct tmp_stream *t;
  bool gone; /* a write failed: the client left or was dropped */
  /* logs -f while it sends the log files: live output is held here, then sent (bounded: past
   * SVC_SINK_QUEUE_MAX the client is taken as gone, as a sink would drop it). */
  bool holding;
  char *held;
  size_t held_len;
  struct held_piece {
    svc_output_stream stream;
    size_t len;
  } pieces[64];
  size_t piece_count;
  struct subscriber *next;
} subscriber;

typedef struct ctr {
  svc_container rec;
  job_object *job;          /* job isolation: the container's job */
  svc_hcs_ctr *hrt;         /* process and Hyper-V isolation: the running compute systems */
  HANDLE process;           /* job isolation: the first process */
  HANDLE exited;            /* manual reset: set whenever the container is not running */
  HANDLE readers[2];
  HANDLE waiter;
  HANDLE stdin_write;       /* -i: our end of the container's stdin; NULL when closed or not asked for */
  CRITICAL_SECTION stdin_lock;
  HANDLE log_file;
  uint64_t log_size;
  CRITICAL_SECTION log_lock;
  CRITICAL_SECTION subs_lock;
  subscriber *subs;
  volatile LONG oom;
  int refs;
  bool unlinked;
  struct ctr *next;
} ctr;

/* A client of `wctr events`. */
typedef struct event_sub {
  struct tmp_stream *t;
  bool gone;
  struct event_sub *next;
} event_sub;

struct svc_manager {
  CRITICAL_SECTION lock;
  CRITICAL_SECTION events_lock; /* guards event_subs; held while an event is written to them */
  event_sub *event_subs;
  svc_store *store;
  svc_images *images;
  svc_hcs *hcs;
  job_monitor *monitor;
  ctr *list;
  char data_root[1024];
  int host_cpus;
  svc_manager_options opt;
  char hcs_detail[320];
  volatile LONG stopping; /* svc_manager_stop has begun: restart policies no longer apply */
  volatile LONG tmp_threads; /* TEMPORARY (issue 10): stream operations still running on threads */
};

/* --- small helpers ---------------------------------------------------------------------------------- */

static void ctr_free(ctr *c) {
  if (c == NULL) return;
  if (c->process != NULL) CloseHandle(c->process);
  if (c->exited != NULL) CloseHandle(c->exited);
  if (c->log_file != INVALID_HANDLE_VALUE && c->log_file != NULL) CloseHandle(c->log_file);
  job_close(c->job);
  if (c->stdin_write != NULL) CloseHandle(c->stdin_write);
  DeleteCriticalSection(&c->log_lock);
  DeleteCriticalSection(&c->subs_lock);
  DeleteCriticalSection(&c->stdin_lock);
  svc_container_free(&c->rec);
  free(c);
}

static ctr *ctr_new(void) {
  ctr *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->log_file = INVALID_HANDLE_VALUE;
  InitializeCriticalSection(&c->log_lock);
  InitializeCriticalSection(&c->subs_lock);
  InitializeCriticalSection(&c->stdin_lock);
  c->exited = CreateEventW(NULL, TRUE, TRUE, NULL);
  if (c->exited == NULL) {
    ctr_free(c);
    return NULL;
  }
  return c;
}

/* Drops a reference taken by find(); frees a removed container with the last one. Caller holds no lock. */
static void release(svc_manager *m, ctr *c) {
  EnterCriticalSection(&m->lock);
  bool free_it = --c->refs == 0 && c->unlinked;
  LeaveCriticalSection(&m->lock);
  if (free_it) ctr_free(c);
}

/* Finds a container by ref and takes a reference. */
static wctr_err find(svc_manager *m, const char *ref, ctr **out, wctr_errmsg *e) {
  ctr *found = NULL;
  int matches = 0;
  EnterCriticalSection(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    bool exact = false;
    if (!svc_container_matches(&c->rec, ref, &exact)) continue;
    if (exact) {
      found = c;
      matches = 1;
      break;
    }
    found = c;
    matches++;
  }
  if (matches == 1) found->refs++;
  LeaveCriticalSection(&m->lock);
  if (matches == 0) return wctr_fail(e, WCTR_ENOENT, "No such container: %s", ref);
  if (matches > 1) return wctr_fail(e, WCTR_EINVAL, "%s matches more than one container; use more of the id", ref);
  *out = found;
  return WCTR_OK;
}

static wctr_err ref_param(const cJSON *params, const char **ref, wctr_errmsg *e, const char *const *extra_keys) {
  const char *keys[8] = {"Id"};
  size_t n = 1;
  for (size_t i = 0; extra_keys != NULL && extra_keys[i] != NULL && n < 7; i++) keys[n++] = extra_keys[i];
  keys[n] = NULL;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Id\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  return wctr_json_get_string(params, "Id", "params", true, ref, e);
}

/* ref_param, then find: the container a request names, referenced. */
static wctr_err find_param(svc_manager *m, const cJSON *params, const char *const *extra_keys, ctr **out,
                           wctr_errmsg *e) {
  const char *ref = NULL;
  wctr_err err = ref_param(params, &ref, e, extra_keys);
  return err == WCTR_OK ? find(m, ref, out, e) : err;
}

static wctr_err random_hex(char *out, size_t hex_chars) {
  unsigned char bytes[64];
  if (hex_chars / 2 > sizeof bytes) return WCTR_EINVAL;
  if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, bytes, (ULONG)(hex_chars / 2), BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
    return WCTR_ESYSTEM;
  }
  for (size_t i = 0; i < hex_chars / 2; i++) snprintf(out + 2 * i, 3, "%02x", bytes[i]);
  return WCTR_OK;
}

/* Docker-style names: adjective_noun, unique among the containers. Called with m->lock held. */
static void generate_name(svc_manager *m, const char *id, char *out, size_t size) {
  static const char *const adjectives[] = {"brave", "calm", "eager", "fair", "gentle", "happy", "keen", "lucid",
                                           "merry", "nimble", "proud", "quiet", "sharp", "steady", "swift", "tidy"};
  static const char *const nouns[] = {"bohr", "curie", "dijkstra", "euler", "gauss", "hopper", "knuth", "lovelace",
                                      "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "wirth", "zuse"};
  unsigned a = (unsigned)strtoul((char[]){id[0], id[1], 0}, NULL, 16) % 16;
  unsigned b = (unsigned)strtoul((char[]){id[2], id[3], 0}, NULL, 16) % 16;
  for (int attempt = 0; attempt < 100; attempt++) {
    if (attempt == 0) {
      snprintf(out, size, "%s_%s", adjectives[a], nouns[b]);
    } else {
      snprintf(out, size, "%s_%s%d", adjectives[a], nouns[b], attempt);
    }
    bool taken = false;
    for (ctr *c = m->list; c != NULL && !taken; c = c->next) taken = strcmp(c->rec.name, out) == 0;
    if (!taken) return;
  }
  snprintf(out, size, "wctr_%.12s", id);
}

/* --- output: log file and attached clients ----------------------------------------------------------- */

static void log_path(svc_manager *m, const char *id, const char *suffix, char *out, size_t size) {
  char base[1200];
  svc_store_path(m->store, id, LOG_FILE, base, sizeof base);
  snprintf(out, size, "%s%s", base, suffix);
}

static HANDLE open_log(const char *path, bool truncate) {
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return INVALID_HANDLE_VALUE;
  HANDLE h = CreateFileW(wide, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                         truncate ? CREATE_ALWAYS : OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  free(wide);
  return h;
}

/* Appends one JSON line per line of output (Docker's json-file shape: {"log","stream","time"}) and
 * rotates at LOG_MAX_BYTES. A failed write (disk full) is logged once per chunk and the output still
 * goes to attached clients: a full disk must not stop the container. */
static void log_append(svc_manager *m, ctr *c, const char *stream, const char *data, size_t len) {
  char stamp[40];
  wctr_time_now_iso8601(stamp, sizeof stamp);
  EnterCriticalSection(&c->log_lock);
  size_t start = 0;
  while (start < len && c->log_file != INVALID_HANDLE_VALUE) {
    const char *nl = memchr(data + start, '\n', len - start);
    size_t end = nl != NULL ? (size_t)(nl - data) + 1 : len;
    cJSON *line = cJSON_CreateObject();
    char *piece = malloc(end - start + 1);
    if (line == NULL || piece == NULL) {
      cJSON_Delete(line);
      free(piece);
      break;
    }
    memcpy(piece, data + start, end - start);
    piece[end - start] = '\0';
    cJSON_AddStringToObject(line, "log", piece);
    cJSON_AddStringToObject(line, "stream", stream);
    cJSON_AddStringToObject(line, "time", stamp);
    free(piece);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (text == NULL) break;
    size_t n = strlen(text);
    text[n] = '\n';
    if (c->log_size + n + 1 > LOG_MAX_BYTES) {
      char cur[1250];
      char old[1260];
      log_path(m, c->rec.id, "", cur, sizeof cur);
      log_path(m, c->rec.id, ".1", old, sizeof old);
      CloseHandle(c->log_file);
      wchar_t *wcur = wctr_utf8_to_wide(cur);
      wchar_t *wold = wctr_utf8_to_wide(old);
      if (wcur != NULL && wold != NULL) MoveFileExW(wcur, wold, MOVEFILE_REPLACE_EXISTING);
      free(wcur);
      free(wold);
      c->log_file = open_log(cur, true);
      c->log_size = 0;
    }
    DWORD written = 0;
    if (c->log_file != INVALID_HANDLE_VALUE && svc_sys.WriteFile(c->log_file, text, (DWORD)(n + 1), &written, NULL)) {
      c->log_size += written;
    } else {
      wctr_log_win32("WriteFile", GetLastError(), "log of container %s", c->rec.name);
    }
    cJSON_free(text);
    start = end;
  }
  LeaveCriticalSection(&c->log_lock);
}

static wctr_err tmp_output(struct tmp_stream *t, svc_output_stream stream, const char *data, size_t len);

/* Live output held for a logs -f client while it gets the log files; a client past the bound is gone. */
static void hold_output(subscriber *s, svc_output_stream stream, const char *data, size_t len) {
  bool extend = s->piece_count > 0 && s->pieces[s->piece_count - 1].stream == stream;
  if (s->held_len + len > SVC_SINK_QUEUE_MAX || (!extend && s->piece_count == sizeof s->pieces / sizeof s->pieces[0])) {
    s->gone = true;
    return;
  }
  char *grown = realloc(s->held, s->held_len + len);
  if (grown == NULL) {
    s->gone = true;
    return;
  }
  if (extend) {
    s->pieces[s->piece_count - 1].len += len;
  } else {
    s->pieces[s->piece_count++] = (struct held_piece){.stream = stream, .len = len};
  }
  memcpy(grown + s->held_len, data, len);
  s->held = grown;
  s->held_len += len;
}

static void broadcast(ctr *c, const char *stream, const char *data, size_t len) {
  svc_output_stream which = strcmp(stream, "stderr") == 0 ? SVC_STDERR : SVC_STDOUT;
  EnterCriticalSection(&c->subs_lock);
  for (subscriber *s = c->subs; s != NULL; s = s->next) {
    if (s->gone) continue;
    if (s->holding) {
      hold_output(s, which, data, len);
    } else if (tmp_output(s->t, which, data, len) != WCTR_OK) {
      s->gone = true;
    }
  }
  LeaveCriticalSection(&c->subs_lock);
}

static void subscribe(ctr *c, subscriber *s) {
  EnterCriticalSection(&c->subs_lock);
  s->next = c->subs;
  c->subs = s;
  LeaveCriticalSection(&c->subs_lock);
}

static void unsubscribe(ctr *c, subscriber *s) {
  EnterCriticalSection(&c->subs_lock);
  for (subscriber **p = &c->subs; *p != NULL; p = &(*p)->next) {
    if (*p == s) {
      *p = s->next;
      break;
    }
  }
  LeaveCriticalSection(&c->subs_lock);
}

typedef struct reader_arg {
  svc_manager *m;
  ctr *c;
  HANDLE pipe;
  const char *stream;
} reader_arg;

/* One read or write that works on both kinds of handle the container's streams come as: anonymous pipes
 * (job containers, synchronous) and HCS's overlapped named pipes. */
static bool pipe_io(HANDLE h, bool write, void *buf, DWORD len, DWORD *done) {
  OVERLAPPED ov = {0};
  ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (ov.hEvent == NULL) return false;
  BOOL ok = write ? WriteFile(h, buf, len, done, &ov) : ReadFile(h, buf, len, done, &ov);
  if (!ok && GetLastError() == ERROR_IO_PENDING) ok = GetOverlappedResult(h, &ov, done, TRUE);
  CloseHandle(ov.hEvent);
  return ok != FALSE;
}

static DWORD WINAPI reader_main(LPVOID p) {
  reader_arg *a = p;
  char buf[4096];
  DWORD n = 0;
  while (pipe_io(a->pipe, false, buf, sizeof buf, &n) && n > 0) {
    log_append(a->m, a->c, a->stream, buf, n);
    broadcast(a->c, a->stream, buf, n);
  }
  CloseHandle(a->pipe);
  free(a);
  return 0;
}

/* --- events ------------------------------------------------------------------------------------------ */

static wctr_err tmp_frame(struct tmp_stream *t, const char *kind, cJSON *data);

/* Tells every `wctr events` client: {"Time","Type":"container","Action":create|start|die|oom|destroy,
 * "Id","Name", and for die "ExitCode"}. */
static void emit(svc_manager *m, const char *action, const char *id, const char *name, int64_t exit_code) {
  EnterCriticalSection(&m->events_lock);
  for (event_sub *s = m->event_subs; s != NULL; s = s->next) {
    if (s->gone) continue;
    char stamp[40];
    wctr_time_now_iso8601(stamp, sizeof stamp);
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "Time", stamp);
    cJSON_AddStringToObject(ev, "Type", "container");
    cJSON_AddStringToObject(ev, "Action", action);
    cJSON_AddStringToObject(ev, "Id", id);
    cJSON_AddStringToObject(ev, "Name", name);
    if (strcmp(action, "die") == 0) cJSON_AddNumberToObject(ev, "ExitCode", (double)exit_code);
    if (tmp_frame(s->t, "event", ev) != WCTR_OK) s->gone = true;
  }
  LeaveCriticalSection(&m->events_lock);
}

/* --- exit -------------------------------------------------------------------------------------------- */

static void remove_container(svc_manager *m, ctr *c);
static void restart_after_exit(svc_manager *m, ctr *c, int64_t exit_code);

/* The init process has ended: the container has. */
static DWORD WINAPI waiter_main(LPVOID p) {
  reader_arg *a = p;
  svc_manager *m = a->m;
  ctr *c = a->c;
  free(a);
  int64_t exit_code = -1;
  char why[200] = "";
  wctr_errmsg e;
  if (c->hrt != NULL) {
    WaitForSingleObject(svc_hcs_done_event(c->hrt), INFINITE);
    /* Terminates what is left of the compute systems (Docker's rule below) and closes them. */
    EnterCriticalSection(&m->lock);
    svc_hcs_ctr *hrt = c->hrt;
    c->hrt = NULL;
    LeaveCriticalSection(&m->lock);
    svc_hcs_finish(m->hcs, hrt, &exit_code, why, sizeof why);
  } else {
    WaitForSingleObject(c->process, INFINITE);
    DWORD code = 0;
    exit_code = GetExitCodeProcess(c->process, &code) ? (int64_t)code : -1;
  }
  /* Docker's rule: the container lives as long as its first process. Whatever it left behind goes. */
  if (c->job != NULL) job_terminate(c->job, KILLED_EXIT_CODE, &e);
  HANDLE readers[2];
  DWORD nreaders = 0;
  for (int i = 0; i < 2; i++) {
    if (c->readers[i] != NULL) readers[nreaders++] = c->readers[i];
  }
  if (nreaders > 0 && WaitForMultipleObjects(nreaders, readers, TRUE, READER_DRAIN_MS) == WAIT_TIMEOUT) {
    wctr_log(WCTR_LOG_WARN, "container %s: output still open %d ms after exit; the rest is dropped", c->rec.name,
             READER_DRAIN_MS);
  }
  EnterCriticalSection(&m->lock);
  for (int i = 0; i < 2; i++) {
    if (c->readers[i] != NULL) CloseHandle(c->readers[i]);
    c->readers[i] = NULL;
  }
  c->rec.state.exit_code = exit_code;
  c->rec.state.oom_killed = InterlockedCompareExchange(&c->oom, 0, 0) != 0;
  c->rec.state.pid = 0;
  if (why[0] != '\0') snprintf(c->rec.state.error, sizeof c->rec.state.error, "%s", why);
  wctr_time_now_iso8601(c->rec.state.finished_at, sizeof c->rec.state.finished_at);
  svc_container_transition(&c->rec, SVC_EVENT_EXIT, &e);
  /* An --rm container's record is about to go; writing its exit first would only cost a flush. */
  if (!c->rec.config.auto_remove && svc_store_save(m->store, &c->rec, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "container %s: exit not recorded: %s", c->rec.name, e.text);
  }
  job_object *job = c->job;
  c->job = NULL;
  EnterCriticalSection(&c->stdin_lock);
  if (c->stdin_write != NULL) CloseHandle(c->stdin_write);
  c->stdin_write = NULL;
  LeaveCriticalSection(&c->stdin_lock);
  if (c->process != NULL) CloseHandle(c->process);
  c->process = NULL;
  bool auto_remove = c->rec.config.auto_remove;
  if (c->log_file != INVALID_HANDLE_VALUE) {
    CloseHandle(c->log_file);
    c->log_file = INVALID_HANDLE_VALUE;
  }
  LeaveCriticalSection(&m->lock);
  job_close(job);
  if (c->rec.config.secret_count > 0) svc_secrets_cleanup(c->rec.id); /* issue 6: whatever ended it */
  wctr_log(WCTR_LOG_INFO, "container %s exited with code %lld%s", c->rec.name, (long long)exit_code,
           c->rec.state.oom_killed ? " (memory limit reached)" : "");
  emit(m, "die", c->rec.id, c->rec.name, exit_code);
  SetEvent(c->exited);
  if (auto_remove) remove_container(m, c);
  if (!auto_remove) restart_after_exit(m, c, exit_code);
  release(m, c); /* the waiter's reference */
  return 0;
}

static void on_job_event(void *ctx, void *key, job_event_kind kind, uint32_t pid) {
  (void)pid;
  svc_manager *m = ctx;
  ctr *c = key;
  if (kind == JOB_EVENT_MEMORY_LIMIT && InterlockedExchange(&c->oom, 1) == 0) {
    wctr_log(WCTR_LOG_WARN, "container %s reached its memory limit", c->rec.name);
    emit(m, "oom", c->rec.id, c->rec.name, 0);
  }
}

/* --- start --------------------------------------------------------------------------------------------- */

/* The environment of a job container's process: the host's system variables a Windows program needs to
 * start (without SystemRoot many DLLs fail to load), then the container's own -e values, which win. */
static char **build_env(const svc_container *rc, const char *sandbox, const char *secrets_dir) {
  static const char *const inherited[] = {"SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT", "Path",
                                          "ProgramData", "ProgramFiles", "ProgramFiles(x86)", "CommonProgramFiles",
                                          "NUMBER_OF_PROCESSORS", "OS", "PROCESSOR_ARCHITECTURE", "TEMP", "TMP"};
  size_t cap = sizeof inherited / sizeof inherited[0] + rc->config.env_count + 3;
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
    for (size_t k = 0; k < rc->config.env_count && !overridden; k++) {
      overridden = _strnicmp(rc->config.env[k], inherited[i], name_len) == 0 && rc->config.env[k][name_len] == '=';
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
  if (secrets_dir != NULL && secrets_dir[0] != '\0') { /* issue 6: files named by target */
    size_t size = strlen(secrets_dir) + sizeof SVC_SECRETS_ENV + 2;
    env[n] = malloc(size);
    if (env[n] != NULL) snprintf(env[n++], size, "%s=%s", SVC_SECRETS_ENV, secrets_dir);
  }
  for (size_t k = 0; k < rc->config.env_count; k++) {
    size_t size = strlen(rc->config.env[k]) + 1;
    env[n] = malloc(size);
    if (env[n] != NULL) memcpy(env[n++], rc->config.env[k], size);
  }
  env[n] = NULL;
  return env;
}

static void free_env(char **env) {
  for (size_t i = 0; env != NULL && env[i] != NULL; i++) free(env[i]);
  free(env);
}

static bool make_pipe(HANDLE *parent_end, HANDLE *child_end, bool child_reads) {
  SECURITY_ATTRIBUTES sa = {.nLength = sizeof sa, .bInheritHandle = TRUE};
  HANDLE r = NULL;
  HANDLE w = NULL;
  if (!CreatePipe(&r, &w, &sa, 0)) return false;
  *parent_end = child_reads ? w : r;
  *child_end = child_reads ? r : w;
  /* Only the child's end may be inherited. */
  SetHandleInformation(*parent_end, HANDLE_FLAG_INHERIT, 0);
  return true;
}

/* The container is running: its waiter thread watches for the exit (with a reference of its own, released
 * when it is done). */
static void start_waiter(svc_manager *m, ctr *c) {
  ResetEvent(c->exited);
  reader_arg *w = malloc(sizeof *w);
  *w = (reader_arg){.m = m, .c = c};
  c->refs++;
  c->waiter = CreateThread(NULL, 0, waiter_main, w, 0, NULL);
  if (c->waiter != NULL) CloseHandle(c->waiter);
}

/* A started container's streams: the log file, stdin for -i, a reader per output stream, and the waiter.
 * Takes the handles (stderr may be NULL: a console merges it into stdout). */
static void run_streams(svc_manager *m, ctr *c, HANDLE out_r, HANDLE err_r, HANDLE in_w) {
  char path[1250];
  log_path(m, c->rec.id, "", path, sizeof path);
  c->log_file = open_log(path, false);
  LARGE_INTEGER size = {0};
  if (c->log_file != INVALID_HANDLE_VALUE && GetFileSizeEx(c->log_file, &size)) c->log_size = (uint64_t)size.QuadPart;
  EnterCriticalSection(&c->stdin_lock);
  if (c->stdin_write != NULL) CloseHandle(c->stdin_write);
  c->stdin_write = in_w;
  LeaveCriticalSection(&c->stdin_lock);
  InterlockedExchange(&c->oom, 0);
  HANDLE pipes[2] = {out_r, err_r};
  const char *names[2] = {"stdout", "stderr"};
  for (int i = 0; i < 2; i++) {
    c->readers[i] = NULL;
    if (pipes[i] == NULL) continue;
    reader_arg *a = malloc(sizeof *a);
    *a = (reader_arg){.m = m, .c = c, .pipe = pipes[i], .stream = names[i]};
    c->readers[i] = CreateThread(NULL, 0, reader_main, a, 0, NULL);
  }
  start_waiter(m, c);
}

static void container_dir(svc_manager *m, const char *id, char *out, size_t size) {
  svc_store_path(m->store, id, "", out, size);
}

/* Process and Hyper-V isolation. Called with m->lock held, which is released while HCS works (a utility
 * VM takes seconds to boot; `wctr ps` must not wait for it): the container is already "running" for
 * every other operation, and stop/kill find no compute system yet and have nothing to do. */
static wctr_err start_hcs_container(svc_manager *m, ctr *c, wctr_errmsg *e) {
  char dir[1250];
  container_dir(m, c->rec.id, dir, sizeof dir);
  svc_container work = c->rec;
  work.runtime = NULL; /* svc_hcs_start replaces it; the record's own is swapped in below */
  LeaveCriticalSection(&m->lock);
  svc_hcs_ctr *hrt = NULL;
  svc_hcs_io io;
  wctr_err err = svc_hcs_start(m->hcs, &work, dir, c, &hrt, &io, e);
  EnterCriticalSection(&m->lock);
  if (err != WCTR_OK) return err;
  cJSON_Delete(c->rec.runtime);
  c->rec.runtime = work.runtime;
  memcpy(c->rec.identity, work.identity, sizeof c->rec.identity);
  c->rec.state.pid = io.pid;
  c->hrt = hrt;
  c->process = NULL;
  run_streams(m, c, io.std_out, io.std_err, io.std_in);
  return WCTR_OK;
}

static wctr_err start_job_container(svc_manager *m, ctr *c, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  char job_name[80];
  HANDLE out_r = NULL, out_w = NULL, err_r = NULL, err_w = NULL;
  HANDLE in_r = NULL, in_w = NULL;
  HANDLE nul = INVALID_HANDLE_VALUE;
  char **env = NULL;
  wctr_cmdline cl = {0};
  job_process proc = {0};
  job_object *job = NULL;
  const svc_container_config *cfg = &c->rec.config;
  bool host_image = _stricmp(cfg->image, "host") == 0;
  char secrets_dir[1200] = "";
  snprintf(job_name, sizeof job_name, "wctr-%s", c->rec.id);
  err = svc_secrets_materialize_job(&c->rec, secrets_dir, sizeof secrets_dir, e); /* issue 6 */
  if (err != WCTR_OK) goto done;
  err = job_create(job_name, &c->rec.limits, &job, e);
  if (err != WCTR_OK) goto done;
  if (!make_pipe(&out_r, &out_w, false) || !make_pipe(&err_r, &err_w, false)) {
    err = wctr_fail(e, wctr_log_win32("CreatePipe", GetLastError(), "container %s", c->rec.name),
                    "cannot create the output pipes");
    goto done;
  }
  if (cfg->open_stdin) {
    if (!make_pipe(&in_w, &in_r, true)) {
      err = wctr_fail(e, wctr_log_win32("CreatePipe", GetLastError(), "container %s", c->rec.name),
                      "cannot create the input pipe");
      goto done;
    }
    nul = in_r; /* the child's stdin; closed below like the NUL handle */
  } else {
    SECURITY_ATTRIBUTES inherit = {.nLength = sizeof inherit, .bInheritHandle = TRUE};
    nul = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
  }
  for (size_t i = 0; i < cfg->cmd_count && err == WCTR_OK; i++) err = wctr_cmdline_append(&cl, cfg->cmd[i]);
  env = build_env(&c->rec, host_image ? NULL : cfg->image, secrets_dir);
  if (err != WCTR_OK || env == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  /* "host" has no sandbox: start at the root of the system drive, as a new console does. */
  wchar_t drive[8] = L"C:";
  GetEnvironmentVariableW(L"SystemDrive", drive, ARRAYSIZE(drive));
  char root_dir[16];
  snprintf(root_dir, sizeof root_dir, "%c:\\", (char)drive[0]);
  job_spawn_spec spec = {
      .command_line = cl.text,
      .working_dir = cfg->working_dir != NULL ? cfg->working_dir : host_image ? root_dir : cfg->image,
      .env = (const char *const *)env,
      .user = cfg->user,
      .std_in = nul != INVALID_HANDLE_VALUE ? nul : NULL,
      .std_out = out_w,
      .std_err = err_w,
  };
  err = job_spawn(job, &spec, &proc, e);
  if (err != WCTR_OK) goto done;
  /* The child has its ends; ours would keep the pipes open after it exits. */
  CloseHandle(out_w);
  CloseHandle(err_w);
  out_w = err_w = NULL;
  if (m->monitor != NULL && job_monitor_add(m->monitor, job, c, e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: no job notifications (%s); OOM will not be reported", c->rec.name,
             e->text);
  }
  c->job = job;
  job = NULL;
  c->process = proc.process;
  proc.process = NULL;
  c->rec.state.pid = proc.pid;
  snprintf(c->rec.identity, sizeof c->rec.identity, "%s", proc.identity);
  run_streams(m, c, out_r, err_r, in_w);
  out_r = err_r = in_w = NULL;
done:
  if (out_r != NULL) CloseHandle(out_r);
  if (out_w != NULL) CloseHandle(out_w);
  if (err_r != NULL) CloseHandle(err_r);
  if (err_w != NULL) CloseHandle(err_w);
  if (nul != INVALID_HANDLE_VALUE && nul != NULL) CloseHandle(nul);
  if (in_w != NULL) CloseHandle(in_w);
  job_process_close(&proc);
  if (job != NULL) {
    wctr_errmsg ignored;
    job_terminate(job, KILLED_EXIT_CODE, &ignored);
    job_close(job);
  }
  free_env(env);
  wctr_cmdline_free(&cl);
  if (err != WCTR_OK && secrets_dir[0] != '\0') svc_secrets_cleanup(c->rec.id); /* issue 6 */
  return err;
}

/* Starts a created or exited container. Called with m->lock held (start is quick). */
static wctr_err start_locked(svc_manager *m, ctr *c, wctr_errmsg *e) {
  svc_state before = c->rec.state.status;
  wctr_err err = svc_container_transition(&c->rec, SVC_EVENT_START, e);
  if (err != WCTR_OK) return err;
  err = c->rec.config.isolation == WCTR_ISOLATION_JOB ? start_job_container(m, c, e) : start_hcs_container(m, c, e);
  if (err != WCTR_OK) {
    c->rec.state.status = before;
    snprintf(c->rec.state.error, sizeof c->rec.state.error, "%s", e->text);
    wctr_errmsg ignored;
    svc_store_save(m->store, &c->rec, &ignored);
    return err;
  }
  c->rec.state.error[0] = '\0';
  c->rec.state.manually_stopped = false;
  c->rec.state.restart_count = 0; /* restart_after_exit sets its own count after this */
  c->rec.state.exit_code = 0;
  c->rec.state.oom_killed = false;
  c->rec.state.finished_at[0] = '\0';
  wctr_time_now_iso8601(c->rec.state.started_at, sizeof c->rec.state.started_at);
  if (svc_store_save(m->store, &c->rec, e) != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "container %s started but its state was not saved: %s", c->rec.name, e->text);
  }
  wctr_log(WCTR_LOG_INFO, "container %s started (pid %u)", c->rec.name, c->rec.state.pid);
  emit(m, "start", c->rec.id, c->rec.name, 0);
  return WCTR_OK;
}

/* --- operations ------------------------------------------------------------------------------------------ */

/* dry_run: the documents of a process or Hyper-V container can be shown on a host without HCS. */
static wctr_err resolve_isolation(svc_manager *m, cJSON *params, bool dry_run, wctr_errmsg *e) {
  cJSON *hc = cJSON_GetObjectItemCaseSensitive(params, "HostConfig");
  const cJSON *iso = cJSON_GetObjectItemCaseSensitive(hc, "Isolation");
  const char *name = cJSON_IsString(iso) ? iso->valuestring : "default";
  if (_stricmp(name, "default") != 0) return WCTR_OK;
  /* Docker's default: process on Server, hyperv on client SKUs. Never silently a job container: it
   * shares the host's kernel objects and file system, so it must be asked for. */
  const char *def = m->opt.server_sku ? "process" : "hyperv";
  if (!dry_run && !svc_hcs_available(m->hcs, NULL)) {
    return wctr_fail(e, WCTR_ENOTSUP,
                     "the default isolation (%s) needs the Host Compute Service: %s. Use --isolation=job to run the "
                     "command in a job object on the host",
                     def, m->hcs_detail);
  }
  if (hc == NULL) hc = cJSON_AddObjectToObject(params, "HostConfig");
  if (hc == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON_DeleteItemFromObjectCaseSensitive(hc, "Isolation");
  cJSON_AddStringToObject(hc, "Isolation", def);
  return WCTR_OK;
}

static wctr_err check_image(const svc_container *rc, wctr_errmsg *e) {
  if (rc->config.isolation != WCTR_ISOLATION_JOB) {
    return WCTR_OK;
  }
  if (_stricmp(rc->config.image, "host") == 0) return WCTR_OK;
  /* A job container's image is a folder on the host that becomes its sandbox root. */
  wchar_t *wide = wctr_utf8_to_wide(rc->config.image);
  DWORD attrs = wide != NULL ? GetFileAttributesW(wide) : INVALID_FILE_ATTRIBUTES;
  bool absolute = wide != NULL && ((iswalpha(wide[0]) && wide[1] == L':' && wide[2] == L'\\') ||
                                   (wide[0] == L'\\' && wide[1] == L'\\'));
  free(wide);
  if (!absolute || attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
    return wctr_fail(e, WCTR_EINVAL,
                     "image \"%s\": for --isolation=job the image is an absolute path to an existing folder (the "
                     "sandbox), or \"host\"",
                     rc->config.image);
  }
  return WCTR_OK;
}

/* The isolation named in create params (0 for default or unreadable: the record's parser reports those). */
static wctr_isolation params_isolation(const cJSON *params) {
  const cJSON *iso = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(params, "HostConfig"), "Isolation");
  wctr_isolation out = 0;
  wctr_errmsg ignored;
  if (!cJSON_IsString(iso) || svc_isolation_parse(iso->valuestring, &out, &ignored) != WCTR_OK) return 0;
  return out;
}

/* container.create with "DryRun": true: everything a create and a start would check, then the HCS calls a
 * start would make ({"DryRun":true,"Calls":[...],"Warnings":[...]}); nothing is written or created. */
static wctr_err dry_run(svc_manager *m, const svc_container *rc, const job_warnings *warnings, cJSON **result,
                        wctr_errmsg *e) {
  if (rc->config.isolation == WCTR_ISOLATION_JOB) {
    return wctr_fail(e, WCTR_EINVAL, "--dry-run shows the documents sent to the Host Compute Service; a job container "
                     "sends none (use --isolation=process or hyperv)");
  }
  char dir[1250];
  container_dir(m, rc->id, dir, sizeof dir);
  cJSON *calls = NULL;
  job_warnings more = *warnings;
  wctr_err err = svc_hcs_plan_calls(m->hcs, rc, dir, &calls, &more, e);
  if (err != WCTR_OK) return err;
  cJSON *r = cJSON_CreateObject();
  cJSON *w = cJSON_AddArrayToObject(r, "Warnings");
  for (size_t i = 0; w != NULL && i < more.count; i++) cJSON_AddItemToArray(w, cJSON_CreateString(more.text[i]));
  cJSON_AddBoolToObject(r, "DryRun", true);
  cJSON_AddStringToObject(r, "Id", rc->id);
  cJSON_AddItemToObject(r, "Calls", calls);
  *result = r;
  return WCTR_OK;
}

static wctr_err op_create(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  svc_manager *m = ctx;
  char id[SVC_ID_HEX + 1];
  char name[SVC_NAME_MAX + 1];
  char now[40];
  job_warnings warnings = {0};
  ctr *c = NULL;
  bool is_dry_run = false;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Image\" is required");
  cJSON *copy = cJSON_Duplicate(params, true);
  if (copy == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = wctr_json_get_bool(copy, "DryRun", "params", false, &is_dry_run, e);
  cJSON_DeleteItemFromObjectCaseSensitive(copy, "DryRun");
  if (err == WCTR_OK) err = resolve_isolation(m, copy, is_dry_run, e);
  wctr_isolation iso = params_isolation(copy);
  if (err == WCTR_OK && iso == WCTR_ISOLATION_JOB && cJSON_GetObjectItemCaseSensitive(copy, "Cmd") == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "a command is required: job containers have no image default (wctr run "
                    "--isolation=job [OPTIONS] FOLDER|host COMMAND [ARG...])");
  }
  if (err == WCTR_OK && (iso == WCTR_ISOLATION_PROCESS || iso == WCTR_ISOLATION_HYPERV)) {
    if (!is_dry_run && !svc_hcs_available(m->hcs, NULL)) {
      err = wctr_fail(e, WCTR_ENOTSUP, "%s isolation needs the Host Compute Service: %s. Use --isolation=job to run "
                      "the command in a job object on the host", job_isolation_name(iso), m->hcs_detail);
    } else {
      err = svc_hcs_prepare(m->hcs, iso, copy, e);
    }
  }
  if (err == WCTR_OK && random_hex(id, SVC_ID_HEX) != WCTR_OK) err = wctr_fail(e, WCTR_ESYSTEM, "no random numbers");
  if (err != WCTR_OK) goto done;
  wctr_time_now_iso8601(now, sizeof now);
  c = ctr_new();
  if (c == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  EnterCriticalSection(&m->lock);
  generate_name(m, id, name, sizeof name);
  err = svc_container_from_params(copy, id, name, now, m->host_cpus, &c->rec, &warnings, e);
  if (err == WCTR_OK) err = check_image(&c->rec, e);
  if (err == WCTR_OK) err = svc_secrets_check_refs(&c->rec, e); /* issue 6 */
  /* Read and validated now, so a bad spec fails before anything exists (gmsa/resolve.h). */
  if (err == WCTR_OK) err = svc_credspecs_resolve(m->data_root, &c->rec, e);
  for (ctr *o = m->list; err == WCTR_OK && o != NULL; o = o->next) {
    if (strcmp(o->rec.name, c->rec.name) == 0) {
      err = wctr_fail(e, WCTR_EEXIST, "Conflict. The container name \"%s\" is already in use by container %.12s",
                      c->rec.name, o->rec.id);
    }
  }
  if (err == WCTR_OK && is_dry_run) {
    LeaveCriticalSection(&m->lock);
    err = dry_run(m, &c->rec, &warnings, result, e);
    goto done;
  }
  /* The record reaches the disk before the container exists in the list: a failed write leaves nothing. */
  if (err == WCTR_OK) err = svc_store_create(m->store, &c->rec, e);
  if (err == WCTR_OK) {
    c->next = m->list;
    m->list = c;
  }
  LeaveCriticalSection(&m->lock);
  if (err != WCTR_OK) goto done;
  wctr_log(WCTR_LOG_INFO, "container %s (%.12s) created by %s", c->rec.name, c->rec.id, caller->name);
  emit(m, "create", c->rec.id, c->rec.name, 0);
  cJSON *r = cJSON_CreateObject();
  cJSON *w = cJSON_AddArrayToObject(r, "Warnings");
  for (size_t i = 0; w != NULL && i < warnings.count; i++) cJSON_AddItemToArray(w, cJSON_CreateString(warnings.text[i]));
  cJSON_AddStringToObject(r, "Id", c->rec.id);
  cJSON_AddStringToObject(r, "Name", c->rec.name);
  *result = r;
  c = NULL;
done:
  if (c != NULL) ctr_free(c);
  cJSON_Delete(copy);
  return err;
}

static wctr_err op_start(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_err err = find_param(m, params, NULL, &c, e);
  if (err != WCTR_OK) return err;
  EnterCriticalSection(&m->lock);
  err = start_locked(m, c, e);
  bool discard = err != WCTR_OK && c->rec.config.auto_remove;
  LeaveCriticalSection(&m->lock);
  if (err == WCTR_OK) wctr_log(WCTR_LOG_DEBUG, "start of %s asked by %s", c->rec.name, caller->name);
  /* --rm: a container that cannot start is removed too, as Docker does. */
  if (discard) remove_container(m, c);
  release(m, c);
  if (err == WCTR_OK) *result = cJSON_CreateObject();
  return err;
}

/* Waits until the container is not running, or the service stops (cancel may be NULL). */
static bool wait_exited(ctr *c, HANDLE cancel, DWORD timeout_ms) {
  HANDLE handles[2] = {c->exited, cancel};
  DWORD r = WaitForMultipleObjects(cancel != NULL ? 2 : 1, handles, FALSE, timeout_ms);
  return r == WAIT_OBJECT_0;
}

/* Sends the stop signal on a thread of its own, through a job handle of its own: delivering it means
 * starting a thread in each of the container's processes, which a process can hold up (seen under Wine
 * when wctrd runs as a service), and neither the stop timeout nor any lock may depend on that. */
static DWORD WINAPI signal_main(LPVOID arg) {
  char *job_name = arg;
  job_object *job = NULL;
  wctr_errmsg e;
  if (job_open(job_name, &job, &e) == WCTR_OK && job_signal_stop(job, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "job %s: stop signal failed (%s); it will be terminated", job_name, e.text);
  }
  job_close(job);
  free(job_name);
  return 0;
}

/* HCS: CtrlShutdown to the first process, on a thread of its own for the same reason; holds a reference. */
static DWORD WINAPI hcs_signal_main(LPVOID arg) {
  svc_hcs_ctr *hrt = arg;
  wctr_errmsg e;
  if (svc_hcs_signal_stop(hrt, &e) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "stop signal failed (%s); it will be terminated", e.text);
  svc_hcs_unref(hrt);
  return 0;
}

/* The container's compute systems with a reference taken under m->lock, or NULL. */
static svc_hcs_ctr *hcs_ref(svc_manager *m, ctr *c) {
  EnterCriticalSection(&m->lock);
  svc_hcs_ctr *hrt = c->hrt;
  if (hrt != NULL) svc_hcs_ref(hrt);
  LeaveCriticalSection(&m->lock);
  return hrt;
}

/* Graceful stop then terminate. timeout_s < 0: the container's own StopTimeout. */
static wctr_err stop_container(svc_manager *m, ctr *c, int timeout_s, bool kill_now, wctr_errmsg *e) {
  EnterCriticalSection(&m->lock);
  bool running = c->rec.state.status == SVC_STATE_RUNNING && (c->job != NULL || c->hrt != NULL);
  int timeout = timeout_s >= 0 ? timeout_s : c->rec.config.stop_timeout;
  LeaveCriticalSection(&m->lock);
  if (!running) return WCTR_OK;
  bool signalled = false;
  svc_hcs_ctr *hrt = hcs_ref(m, c);
  if (!kill_now && hrt != NULL) {
    svc_hcs_ref(hrt); /* the signal thread's */
    HANDLE t = CreateThread(NULL, 0, hcs_signal_main, hrt, 0, NULL);
    if (t != NULL) {
      CloseHandle(t);
      signalled = true;
    } else {
      svc_hcs_unref(hrt);
    }
  } else if (!kill_now) {
    char *job_name = malloc(SVC_ID_HEX + 8);
    if (job_name != NULL) snprintf(job_name, SVC_ID_HEX + 8, "wctr-%s", c->rec.id);
    HANDLE t = job_name != NULL ? CreateThread(NULL, 0, signal_main, job_name, 0, NULL) : NULL;
    if (t != NULL) {
      CloseHandle(t);
      signalled = true;
    } else {
      free(job_name);
    }
  }
  if (kill_now || !signalled || !wait_exited(c, NULL, (DWORD)timeout * 1000)) {
    wctr_errmsg te;
    if (hrt != NULL && svc_hcs_kill(hrt, &te) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "container %s: %s", c->rec.name, te.text);
    EnterCriticalSection(&m->lock);
    if (c->job != NULL && job_terminate(c->job, KILLED_EXIT_CODE, &te) != WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "container %s: %s", c->rec.name, te.text);
    }
    LeaveCriticalSection(&m->lock);
    if (!wait_exited(c, NULL, KILL_WAIT_MS)) {
      if (hrt != NULL) svc_hcs_unref(hrt);
      return wctr_fail(e, WCTR_ETIMEDOUT, "container %s did not exit within %d s of being terminated", c->rec.name,
                       KILL_WAIT_MS / 1000);
    }
  }
  if (hrt != NULL) svc_hcs_unref(hrt);
  return WCTR_OK;
}

/* A stop or kill by a user: the restart policy must not bring the container back (Docker's
 * HasBeenManuallyStopped), also when it is between two restarts. */
static void mark_manually_stopped(svc_manager *m, ctr *c) {
  EnterCriticalSection(&m->lock);
  c->rec.state.manually_stopped = true;
  wctr_errmsg e;
  if (c->rec.state.status != SVC_STATE_RUNNING && svc_store_save(m->store, &c->rec, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s", c->rec.name, e.text);
  }
  LeaveCriticalSection(&m->lock);
}

static wctr_err op_stop_or_kill(void *ctx, const cJSON *params, cJSON **result, bool kill_now, wctr_errmsg *e) {
  static const char *const stop_keys[] = {"Timeout", NULL};
  svc_manager *m = ctx;
  const char *ref = NULL;
  int64_t timeout = -1;
  ctr *c = NULL;
  wctr_err err = ref_param(params, &ref, e, kill_now ? NULL : stop_keys);
  if (err == WCTR_OK && !kill_now) {
    err = wctr_json_get_int64(params, "Timeout", "params", false, 0, SVC_MAX_STOP_TIMEOUT, &timeout, e);
  }
  if (err == WCTR_OK) err = find(m, ref, &c, e);
  if (err != WCTR_OK) return err;
  mark_manually_stopped(m, c);
  err = stop_container(m, c, (int)timeout, kill_now, e);
  release(m, c);
  if (err == WCTR_OK) *result = cJSON_CreateObject();
  return err;
}

static wctr_err op_stop(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  return op_stop_or_kill(ctx, params, result, false, e);
}

static wctr_err op_kill(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  return op_stop_or_kill(ctx, params, result, true, e);
}

/* Unlinks and deletes a container that is not running. */
static void remove_container(svc_manager *m, ctr *c) {
  wctr_errmsg e;
  EnterCriticalSection(&m->lock);
  if (c->unlinked || svc_container_transition(&c->rec, SVC_EVENT_REMOVE, &e) != WCTR_OK) {
    LeaveCriticalSection(&m->lock);
    return;
  }
  for (ctr **p = &m->list; *p != NULL; p = &(*p)->next) {
    if (*p == c) {
      *p = c->next;
      break;
    }
  }
  c->unlinked = true;
  c->refs++;
  LeaveCriticalSection(&m->lock);
  char dir[1250];
  container_dir(m, c->rec.id, dir, sizeof dir);
  svc_hcs_remove(m->hcs, &c->rec, dir);
  if (svc_store_remove(m->store, c->rec.id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "container %s: %s (removed at the next start)", c->rec.name, e.text);
  }
  wctr_log(WCTR_LOG_INFO, "container %s removed", c->rec.name);
  emit(m, "destroy", c->rec.id, c->rec.name, 0);
  release(m, c);
}

static wctr_err op_remove(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Force", NULL};
  (void)caller;
  svc_manager *m = ctx;
  const char *ref = NULL;
  bool force = false;
  ctr *c = NULL;
  wctr_err err = ref_param(params, &ref, e, keys);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Force", "params", false, &force, e);
  if (err == WCTR_OK) err = find(m, ref, &c, e);
  if (err != WCTR_OK) return err;
  EnterCriticalSection(&m->lock);
  bool running = c->rec.state.status == SVC_STATE_RUNNING;
  LeaveCriticalSection(&m->lock);
  if (running && !force) {
    err = wctr_fail(e, WCTR_ESTATE, "You cannot remove a running container %.12s. Stop the container before "
                    "attempting removal or force remove", c->rec.id);
  } else if (running) {
    mark_manually_stopped(m, c);
    err = stop_container(m, c, 0, true, e);
  }
  if (err == WCTR_OK) remove_container(m, c);
  release(m, c);
  if (err == WCTR_OK) *result = cJSON_CreateObject();
  return err;
}

/* "Filters": {"label": ["key", "key=value", ...]} (Docker's filter map; every label given must match). */
static wctr_err list_filters(const cJSON *params, const cJSON **labels, wctr_errmsg *e) {
  static const char *const keys[] = {"label", NULL};
  const cJSON *filters = NULL;
  if (wctr_json_get_object(params, "Filters", "params", false, &filters, e) != WCTR_OK) return WCTR_EINVAL;
  if (filters == NULL) return WCTR_OK;
  if (wctr_json_check_keys(filters, "params.Filters", keys, e) != WCTR_OK ||
      wctr_json_get_string_array(filters, "label", "params.Filters", false, labels, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  return WCTR_OK;
}

static bool labels_match(const svc_container *rc, const cJSON *labels) {
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (!svc_container_has_label(rc, l->valuestring)) return false;
  }
  return true;
}

static cJSON *summary(const ctr *c) {
  cJSON *s = cJSON_CreateObject();
  if (s == NULL) return NULL;
  char command[512] = "";
  size_t used = 0;
  for (size_t i = 0; i < c->rec.config.cmd_count && used < sizeof command; i++) {
    used += (size_t)snprintf(command + used, sizeof command - used, "%s%s", i > 0 ? " " : "", c->rec.config.cmd[i]);
  }
  cJSON_AddStringToObject(s, "Id", c->rec.id);
  cJSON_AddStringToObject(s, "Name", c->rec.name);
  cJSON_AddStringToObject(s, "Image", c->rec.config.image);
  cJSON_AddStringToObject(s, "Command", command);
  cJSON_AddStringToObject(s, "Created", c->rec.created);
  cJSON_AddStringToObject(s, "State", svc_state_name(c->rec.state.status));
  cJSON_AddNumberToObject(s, "ExitCode", (double)c->rec.state.exit_code);
  cJSON_AddStringToObject(s, "StartedAt", c->rec.state.started_at);
  cJSON_AddStringToObject(s, "FinishedAt", c->rec.state.finished_at);
  cJSON_AddStringToObject(s, "Isolation", job_isolation_name(c->rec.config.isolation));
  cJSON *labels = cJSON_AddObjectToObject(s, "Labels");
  for (size_t i = 0; labels != NULL && i < c->rec.config.opts.label_count; i++) {
    cJSON_AddStringToObject(labels, c->rec.config.opts.label_keys[i], c->rec.config.opts.label_values[i]);
  }
  return s;
}

static wctr_err op_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"All", "Filters", NULL};
  (void)caller;
  svc_manager *m = ctx;
  bool all = false;
  const cJSON *labels = NULL;
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_bool(params, "All", "params", false, &all, e) != WCTR_OK ||
                         list_filters(params, &labels, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  cJSON *arr = cJSON_CreateArray();
  if (arr == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  EnterCriticalSection(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    if ((all || c->rec.state.status == SVC_STATE_RUNNING) && labels_match(&c->rec, labels)) {
      cJSON_AddItemToArray(arr, summary(c));
    }
  }
  LeaveCriticalSection(&m->lock);
  *result = arr;
  return WCTR_OK;
}

static wctr_err op_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_err err = find_param(m, params, NULL, &c, e);
  if (err != WCTR_OK) return err;
  EnterCriticalSection(&m->lock);
  cJSON *json = svc_container_to_json(&c->rec);
  /* What Windows holds for the job right now, beside what wctr asked for (EffectiveLimits). */
  if (json != NULL && c->job != NULL) {
    job_limits applied;
    wctr_errmsg qe;
    bool read = job_query_limits(c->job, &applied, &qe) == WCTR_OK;
    cJSON *a = read ? svc_limits_json(&applied) : cJSON_CreateObject();
    if (a != NULL && !read) cJSON_AddStringToObject(a, "Error", qe.text);
    if (a != NULL) cJSON_AddItemToObject(json, "AppliedLimits", a);
  }
  LeaveCriticalSection(&m->lock);
  release(m, c);
  if (json == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  *result = json;
  return WCTR_OK;
}

static uint64_t stat_field(const cJSON *stats, const char *group, const char *field) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(stats, group), field);
  return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* One sample of an HCS container's Statistics, in the job's terms (CPU time as user time). */
static wctr_err hcs_sample(svc_manager *m, ctr *c, job_stats *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  svc_hcs_ctr *hrt = hcs_ref(m, c);
  if (hrt == NULL) return WCTR_OK;
  cJSON *stats = NULL;
  wctr_err err = svc_hcs_stats(hrt, &stats, e);
  svc_hcs_unref(hrt);
  if (err != WCTR_OK) return err;
  out->user_time_100ns = stat_field(stats, "Processor", "TotalRuntime100ns");
  out->job_memory = stat_field(stats, "Memory", "MemoryUsageCommitBytes");
  out->peak_job_memory = stat_field(stats, "Memory", "MemoryUsageCommitPeakBytes");
  out->read_bytes = stat_field(stats, "Storage", "ReadSizeBytes");
  out->write_bytes = stat_field(stats, "Storage", "WriteSizeBytes");
  cJSON_Delete(stats);
  return WCTR_OK;
}

static wctr_err op_stats(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_err err = find_param(m, params, NULL, &c, e);
  if (err != WCTR_OK) return err;
  job_stats a = {0};
  job_stats b = {0};
  LARGE_INTEGER f, t0, t1;
  QueryPerformanceFrequency(&f);
  EnterCriticalSection(&m->lock);
  bool running = c->job != NULL || c->hrt != NULL;
  bool hcs = c->hrt != NULL;
  if (c->job != NULL) err = job_query_stats(c->job, &a, e);
  LeaveCriticalSection(&m->lock);
  if (hcs) err = hcs_sample(m, c, &a, e);
  QueryPerformanceCounter(&t0);
  /* CPU % needs two samples; a quarter second keeps `wctr stats --no-stream` quick. */
  if (running && err == WCTR_OK) Sleep(250);
  QueryPerformanceCounter(&t1);
  if (running && err == WCTR_OK && hcs) err = hcs_sample(m, c, &b, e);
  EnterCriticalSection(&m->lock);
  if (running && err == WCTR_OK && c->job != NULL) err = job_query_stats(c->job, &b, e);
  int64_t limit = c->rec.config.resources.memory_bytes;
  cJSON *r = cJSON_CreateObject();
  cJSON_AddStringToObject(r, "Id", c->rec.id);
  cJSON_AddStringToObject(r, "Name", c->rec.name);
  LeaveCriticalSection(&m->lock);
  release(m, c);
  if (err != WCTR_OK) {
    cJSON_Delete(r);
    return err;
  }
  double elapsed_100ns = (double)(t1.QuadPart - t0.QuadPart) * 1e7 / (double)f.QuadPart;
  double cpu = 0;
  uint64_t used_a = a.user_time_100ns + a.kernel_time_100ns;
  uint64_t used_b = b.user_time_100ns + b.kernel_time_100ns;
  if (running && elapsed_100ns > 0 && used_b >= used_a) cpu = 100.0 * (double)(used_b - used_a) / elapsed_100ns;
  cJSON_AddNumberToObject(r, "CPUPercent", cpu);
  cJSON_AddNumberToObject(r, "MemoryUsage", (double)b.job_memory);
  cJSON_AddNumberToObject(r, "MemoryPeak", (double)b.peak_job_memory);
  cJSON_AddNumberToObject(r, "MemoryLimit", (double)limit);
  cJSON_AddNumberToObject(r, "ReadBytes", (double)b.read_bytes);
  cJSON_AddNumberToObject(r, "WriteBytes", (double)b.write_bytes);
  cJSON_AddNumberToObject(r, "Processes", b.active_processes);
  *result = r;
  return WCTR_OK;
}

/* --- TEMPORARY (issue 10): replaced by the new manager --------------------------------------------------
 * The stream operations still block (they wait for an exit, read log files, wait for their client). Each is
 * a start operation (service/ops.h) that runs the old code on a thread of its own, over this small blocking
 * adapter on the sink: frames and output go to the sink (which never blocks: a client that does not read is
 * dropped by the front-end), the client's stdin arrives through on_input, and on_close (the client left, was
 * dropped, or wctrd stops) sets `closed`, which every wait of these threads includes. */

typedef struct tmp_input {
  struct tmp_input *next;
  bool eof;
  size_t len;
  char data[];
} tmp_input;

typedef struct tmp_stream tmp_stream;
typedef void (*tmp_fn)(svc_manager *m, const svc_caller *caller, const cJSON *params, tmp_stream *t);

struct tmp_stream {
  svc_sink *sink;
  svc_manager *m;
  tmp_fn fn;
  svc_caller caller;
  cJSON *params;    /* a copy, or NULL */
  HANDLE closed;    /* manual reset: on_close came */
  HANDLE drained;   /* auto reset: the sink's queue went low */
  HANDLE input;     /* manual reset: tmp_input waiting */
  CRITICAL_SECTION lock;
  tmp_input *in_head, *in_tail;
  bool finished;
  volatile LONG refs; /* the thread, and the sink until on_release */
};

enum { TMP_HIGH = SVC_SINK_QUEUE_MAX / 2, TMP_LOW = SVC_SINK_QUEUE_MAX / 8 };

static wctr_err tmp_output(tmp_stream *t, svc_output_stream stream, const char *data, size_t len) {
  return svc_sink_output(t->sink, stream, data, len);
}

static wctr_err tmp_frame(tmp_stream *t, const char *kind, cJSON *data) {
  return svc_sink_frame(t->sink, kind, data);
}

static void tmp_set_drained(void *arg) {
  tmp_stream *t = arg;
  SetEvent(t->drained);
}

/* A frame from a producer that can wait (a log file): first for the client to take what is queued. */
static wctr_err tmp_frame_paced(tmp_stream *t, const char *kind, cJSON *data) {
  if (t->sink->methods->pending(t->sink) > TMP_HIGH) {
    t->sink->methods->when_drained(t->sink, TMP_LOW, tmp_set_drained, t);
    HANDLE both[2] = {t->drained, t->closed};
    WaitForMultipleObjects(2, both, FALSE, INFINITE);
  }
  return svc_sink_frame(t->sink, kind, data);
}

static void tmp_finish(tmp_stream *t, wctr_err err, cJSON *result, const char *message) {
  t->finished = true;
  svc_sink_finish(t->sink, err, result, message);
}

/* One chunk of the client's stdin: WCTR_OK with *item (free it), WCTR_ETIMEDOUT, or WCTR_EPIPE once the
 * client is gone. */
static wctr_err tmp_recv(tmp_stream *t, tmp_input **item, DWORD timeout_ms) {
  *item = NULL;
  HANDLE both[2] = {t->input, t->closed};
  DWORD w = WaitForMultipleObjects(2, both, FALSE, timeout_ms);
  EnterCriticalSection(&t->lock);
  *item = t->in_head;
  if (*item != NULL) {
    t->in_head = (*item)->next;
    if (t->in_head == NULL) t->in_tail = NULL;
  }
  if (t->in_head == NULL) ResetEvent(t->input);
  LeaveCriticalSection(&t->lock);
  if (*item != NULL) return WCTR_OK;
  return w == WAIT_OBJECT_0 + 1 ? WCTR_EPIPE : WCTR_ETIMEDOUT;
}

static void tmp_unref(tmp_stream *t) {
  if (InterlockedDecrement(&t->refs) > 0) return;
  while (t->in_head != NULL) {
    tmp_input *it = t->in_head;
    t->in_head = it->next;
    free(it);
  }
  cJSON_Delete(t->params);
  if (t->closed != NULL) CloseHandle(t->closed);
  if (t->drained != NULL) CloseHandle(t->drained);
  if (t->input != NULL) CloseHandle(t->input);
  DeleteCriticalSection(&t->lock);
  free(t);
}

static void tmp_on_input(void *ctx, const char *data, size_t len, bool eof) {
  tmp_stream *t = ctx;
  tmp_input *it = malloc(sizeof *it + len);
  if (it == NULL) return;
  it->next = NULL;
  it->eof = eof;
  it->len = len;
  if (len > 0) memcpy(it->data, data, len);
  EnterCriticalSection(&t->lock);
  if (t->in_tail != NULL) {
    t->in_tail->next = it;
  } else {
    t->in_head = it;
  }
  t->in_tail = it;
  SetEvent(t->input);
  LeaveCriticalSection(&t->lock);
}

static void tmp_on_close(void *ctx) {
  tmp_stream *t = ctx;
  SetEvent(t->closed);
}

static void tmp_on_release(void *ctx) {
  tmp_unref(ctx);
}

static DWORD WINAPI tmp_main(LPVOID arg) {
  tmp_stream *t = arg;
  svc_manager *m = t->m;
  t->fn(m, &t->caller, t->params, t);
  if (!t->finished) tmp_finish(t, WCTR_EPIPE, NULL, "the operation ended without a response");
  tmp_unref(t);
  InterlockedDecrement(&m->tmp_threads);
  return 0;
}

static void tmp_start(svc_manager *m, const svc_caller *caller, const cJSON *params, svc_sink *sink, tmp_fn fn) {
  tmp_stream *t = calloc(1, sizeof *t);
  if (t == NULL) {
    svc_sink_finish(sink, WCTR_ENOMEM, NULL, "out of memory");
    return;
  }
  InitializeCriticalSection(&t->lock);
  t->sink = sink;
  t->m = m;
  t->fn = fn;
  t->caller = *caller;
  t->refs = 2;
  t->params = params != NULL ? cJSON_Duplicate(params, true) : NULL;
  t->closed = CreateEventW(NULL, TRUE, FALSE, NULL);
  t->drained = CreateEventW(NULL, FALSE, FALSE, NULL);
  t->input = CreateEventW(NULL, TRUE, FALSE, NULL);
  sink->op_ctx = t;
  sink->on_input = tmp_on_input;
  sink->on_close = tmp_on_close;
  sink->on_release = tmp_on_release;
  HANDLE thread = NULL;
  InterlockedIncrement(&m->tmp_threads);
  if ((params == NULL || t->params != NULL) && t->closed != NULL && t->drained != NULL && t->input != NULL) {
    thread = CreateThread(NULL, 0, tmp_main, t, 0, NULL);
  }
  if (thread == NULL) {
    InterlockedDecrement(&m->tmp_threads);
    tmp_finish(t, WCTR_ENOMEM, NULL, "cannot start the operation (out of memory or threads)");
    tmp_unref(t);
    return;
  }
  CloseHandle(thread);
}

/* The thread's wait ended on `closed`: whom to blame. */
static const char *tmp_gone_text(svc_manager *m) {
  return InterlockedCompareExchange(&m->stopping, 0, 0) != 0 ? "wctrd is stopping" : "the client is gone";
}

/* -i: the client's stdin (on_input) goes into the container's stdin until EOF, the container's exit, or the
 * client leaving. */
typedef struct stdin_pump {
  svc_manager *m;
  ctr *c;
  tmp_stream *t;
} stdin_pump;

static void close_stdin(svc_manager *m, ctr *c) {
  EnterCriticalSection(&c->stdin_lock);
  bool open = c->stdin_write != NULL;
  if (open) CloseHandle(c->stdin_write);
  c->stdin_write = NULL;
  LeaveCriticalSection(&c->stdin_lock);
  /* HCS relays the container's stdin: closing our end of the pipe is not end of file in there. */
  svc_hcs_ctr *hrt = open ? hcs_ref(m, c) : NULL;
  if (hrt != NULL) {
    wctr_errmsg e;
    if (svc_hcs_close_stdin(hrt, &e) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "container %s: %s", c->rec.name, e.text);
    svc_hcs_unref(hrt);
  }
}

static DWORD WINAPI stdin_main(LPVOID arg) {
  stdin_pump *p = arg;
  for (;;) {
    if (WaitForSingleObject(p->c->exited, 0) == WAIT_OBJECT_0) break;
    tmp_input *item = NULL;
    wctr_err err = tmp_recv(p->t, &item, 200);
    if (err == WCTR_ETIMEDOUT) continue;
    if (err != WCTR_OK) {
      close_stdin(p->m, p->c); /* the client left: the container reads end of file */
      break;
    }
    EnterCriticalSection(&p->c->stdin_lock);
    DWORD written = 0;
    if (item->len > 0 && p->c->stdin_write != NULL) {
      pipe_io(p->c->stdin_write, true, item->data, (DWORD)item->len, &written);
    }
    LeaveCriticalSection(&p->c->stdin_lock);
    if (item->eof) close_stdin(p->m, p->c);
    free(item);
  }
  return 0;
}

static void stream_run(svc_manager *m, const svc_caller *caller, const cJSON *params, tmp_stream *t) {
  (void)caller;
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_err err = find_param(m, params, NULL, &c, &e);
  if (err != WCTR_OK) {
    tmp_finish(t, err, NULL, e.text);
    return;
  }
  /* Attached before the start, so not a byte of output is missed. */
  subscriber sub = {.t = t};
  subscribe(c, &sub);
  EnterCriticalSection(&m->lock);
  err = start_locked(m, c, &e);
  bool discard = err != WCTR_OK && c->rec.config.auto_remove;
  LeaveCriticalSection(&m->lock);
  if (discard) remove_container(m, c);
  stdin_pump pump = {.m = m, .c = c, .t = t};
  HANDLE pump_thread = NULL;
  if (err == WCTR_OK && c->rec.config.open_stdin) pump_thread = CreateThread(NULL, 0, stdin_main, &pump, 0, NULL);
  if (err == WCTR_OK && !wait_exited(c, t->closed, INFINITE)) {
    err = wctr_fail(&e, WCTR_ECANCELED, "%s", tmp_gone_text(m));
  }
  /* The pump reads the same client's input: it must be done before the final response. */
  if (pump_thread != NULL) {
    close_stdin(m, c);
    WaitForSingleObject(pump_thread, INFINITE);
    CloseHandle(pump_thread);
  }
  unsubscribe(c, &sub);
  cJSON *r = NULL;
  if (err == WCTR_OK) {
    r = cJSON_CreateObject();
    EnterCriticalSection(&m->lock);
    cJSON_AddNumberToObject(r, "ExitCode", (double)c->rec.state.exit_code);
    cJSON_AddBoolToObject(r, "OOMKilled", c->rec.state.oom_killed);
    LeaveCriticalSection(&m->lock);
  }
  release(m, c);
  tmp_finish(t, err, r, err == WCTR_OK ? NULL : e.text);
}

static void stream_wait(svc_manager *m, const svc_caller *caller, const cJSON *params, tmp_stream *t) {
  (void)caller;
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_err err = find_param(m, params, NULL, &c, &e);
  if (err != WCTR_OK) {
    tmp_finish(t, err, NULL, e.text);
    return;
  }
  if (!wait_exited(c, t->closed, INFINITE)) {
    release(m, c);
    tmp_finish(t, WCTR_ECANCELED, NULL, tmp_gone_text(m));
    return;
  }
  cJSON *r = cJSON_CreateObject();
  EnterCriticalSection(&m->lock);
  cJSON_AddNumberToObject(r, "StatusCode", (double)c->rec.state.exit_code);
  LeaveCriticalSection(&m->lock);
  release(m, c);
  tmp_finish(t, WCTR_OK, r, NULL);
}

/* A log file opened where it is, read up to the size it had then: rotation may rename it meanwhile. */
typedef struct log_snapshot {
  HANDLE h;
  uint64_t size;
} log_snapshot;

static log_snapshot snapshot_log(const char *path) {
  log_snapshot snap = {.h = INVALID_HANDLE_VALUE};
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide != NULL) {
    snap.h = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  }
  free(wide);
  LARGE_INTEGER size;
  if (snap.h != INVALID_HANDLE_VALUE && GetFileSizeEx(snap.h, &size)) snap.size = (uint64_t)size.QuadPart;
  return snap;
}

/* Calls line(arg, text, len) for each line of the snapshot; stops when it returns an error. */
static wctr_err each_log_line(const log_snapshot *snap, wctr_err (*line)(void *arg, char *text, size_t len),
                              void *arg) {
  if (snap->h == INVALID_HANDLE_VALUE) return WCTR_OK;
  enum { CHUNK = 64 * 1024 };
  char *buf = malloc(CHUNK);
  char *part = NULL;
  size_t part_len = 0;
  uint64_t at = 0;
  wctr_err err = buf != NULL ? WCTR_OK : WCTR_ENOMEM;
  while (err == WCTR_OK && at < snap->size) {
    LARGE_INTEGER pos = {.QuadPart = (LONGLONG)at};
    DWORD want = snap->size - at < CHUNK ? (DWORD)(snap->size - at) : CHUNK;
    DWORD got = 0;
    if (!SetFilePointerEx(snap->h, pos, NULL, FILE_BEGIN) || !ReadFile(snap->h, buf, want, &got, NULL) || got == 0) break;
    at += got;
    char *joined = realloc(part, part_len + got + 1);
    if (joined == NULL) {
      err = WCTR_ENOMEM;
      break;
    }
    part = joined;
    memcpy(part + part_len, buf, got);
    part_len += got;
    size_t start = 0;
    for (size_t i = 0; i < part_len && err == WCTR_OK; i++) {
      if (part[i] != '\n') continue;
      part[i] = '\0';
      err = line(arg, part + start, i - start);
      start = i + 1;
    }
    memmove(part, part + start, part_len - start);
    part_len -= start;
  }
  free(part);
  free(buf);
  return err;
}

typedef struct log_sender {
  tmp_stream *t;
  int64_t skip;
  int64_t count;
  bool timestamps;
} log_sender;

static wctr_err count_line(void *arg, char *text, size_t len) {
  (void)text;
  (void)len;
  ((log_sender *)arg)->count++;
  return WCTR_OK;
}

static wctr_err send_line(void *arg, char *text, size_t len) {
  log_sender *ls = arg;
  if (ls->count++ < ls->skip) return WCTR_OK;
  cJSON *entry = cJSON_ParseWithLength(text, len);
  const cJSON *log = cJSON_GetObjectItemCaseSensitive(entry, "log");
  const cJSON *stream = cJSON_GetObjectItemCaseSensitive(entry, "stream");
  const cJSON *time = cJSON_GetObjectItemCaseSensitive(entry, "time");
  wctr_err err = WCTR_OK;
  if (cJSON_IsString(log) && cJSON_IsString(stream)) {
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "log", log->valuestring);
    if (ls->timestamps && cJSON_IsString(time)) cJSON_AddStringToObject(data, "time", time->valuestring);
    err = tmp_frame_paced(ls->t, stream->valuestring, data);
  }
  cJSON_Delete(entry);
  return err;
}

static void stream_logs(svc_manager *m, const svc_caller *caller, const cJSON *params, tmp_stream *t) {
  static const char *const keys[] = {"Tail", "Follow", "Timestamps", NULL};
  (void)caller;
  const char *ref = NULL;
  ctr *c = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  int64_t tail = -1;
  bool follow = false;
  bool timestamps = false;
  wctr_err err = ref_param(params, &ref, &e, keys);
  if (err == WCTR_OK) err = wctr_json_get_int64(params, "Tail", "params", false, -1, INT32_MAX, &tail, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Follow", "params", false, &follow, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Timestamps", "params", false, &timestamps, &e);
  if (err == WCTR_OK) err = find(m, ref, &c, &e);
  if (err != WCTR_OK) {
    tmp_finish(t, err, NULL, e.text);
    return;
  }
  /* The files as they are now, and (with follow) live output held from now on: nothing is lost or sent
   * twice, and no lock is held while the client takes the files. */
  subscriber sub = {.t = t, .holding = true};
  char old[1260];
  char cur[1250];
  EnterCriticalSection(&c->subs_lock);
  EnterCriticalSection(&c->log_lock);
  log_path(m, c->rec.id, ".1", old, sizeof old);
  log_path(m, c->rec.id, "", cur, sizeof cur);
  log_snapshot snaps[2] = {snapshot_log(old), snapshot_log(cur)};
  LeaveCriticalSection(&c->log_lock);
  if (follow) {
    sub.next = c->subs;
    c->subs = &sub;
  }
  LeaveCriticalSection(&c->subs_lock);
  log_sender counter = {.t = t};
  for (int i = 0; i < 2; i++) each_log_line(&snaps[i], count_line, &counter);
  log_sender sender = {.t = t, .timestamps = timestamps,
                       .skip = tail < 0 || tail >= counter.count ? 0 : counter.count - tail};
  for (int i = 0; i < 2 && err == WCTR_OK; i++) err = each_log_line(&snaps[i], send_line, &sender);
  for (int i = 0; i < 2; i++) {
    if (snaps[i].h != INVALID_HANDLE_VALUE) CloseHandle(snaps[i].h);
  }
  if (follow) {
    /* What came while the files were sent, then live. */
    EnterCriticalSection(&c->subs_lock);
    size_t at = 0;
    for (size_t i = 0; i < sub.piece_count && !sub.gone && err == WCTR_OK; i++) {
      if (tmp_output(t, sub.pieces[i].stream, sub.held + at, sub.pieces[i].len) != WCTR_OK) sub.gone = true;
      at += sub.pieces[i].len;
    }
    free(sub.held);
    sub.held = NULL;
    sub.holding = false;
    bool lost = sub.gone;
    LeaveCriticalSection(&c->subs_lock);
    /* Output that outgrew what is held for a client still taking the files is not silently skipped. */
    if (err == WCTR_OK && lost) {
      err = wctr_fail(&e, WCTR_EPIPE, "the container wrote more than %u bytes while its log was sent; follow again",
                      SVC_SINK_QUEUE_MAX);
    }
    if (err == WCTR_OK) wait_exited(c, t->closed, INFINITE);
    unsubscribe(c, &sub);
  }
  release(m, c);
  if (err == WCTR_OK) {
    tmp_finish(t, WCTR_OK, cJSON_CreateObject(), NULL);
  } else if (e.code == err && e.text[0] != '\0') {
    tmp_finish(t, err, NULL, e.text);
  } else {
    tmp_finish(t, err, NULL, err == WCTR_EPIPE ? "the client is gone" : "the container's log cannot be read");
  }
}

static void stream_events(svc_manager *m, const svc_caller *caller, const cJSON *params, tmp_stream *t) {
  (void)caller;
  static const char *const none[] = {NULL};
  wctr_errmsg e;
  if (params != NULL && wctr_json_check_keys(params, "params", none, &e) != WCTR_OK) {
    tmp_finish(t, WCTR_EINVAL, NULL, e.text);
    return;
  }
  event_sub sub = {.t = t};
  EnterCriticalSection(&m->events_lock);
  sub.next = m->event_subs;
  m->event_subs = &sub;
  LeaveCriticalSection(&m->events_lock);
  /* Until the client leaves, is dropped, or wctrd stops (all of them: on_close). */
  WaitForSingleObject(t->closed, INFINITE);
  EnterCriticalSection(&m->events_lock);
  for (event_sub **p = &m->event_subs; *p != NULL; p = &(*p)->next) {
    if (*p == &sub) {
      *p = sub.next;
      break;
    }
  }
  LeaveCriticalSection(&m->events_lock);
  tmp_finish(t, WCTR_OK, cJSON_CreateObject(), NULL);
}

static void start_run(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  tmp_start(ctx, caller, params, sink, stream_run);
}
static void start_wait(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  tmp_start(ctx, caller, params, sink, stream_wait);
}
static void start_logs(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  tmp_start(ctx, caller, params, sink, stream_logs);
}
static void start_events(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  tmp_start(ctx, caller, params, sink, stream_events);
}

/* --- end of TEMPORARY (issue 10) ------------------------------------------------------------------------------ */

static wctr_err op_update(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Memory", "NanoCpus", "CpuCount", "CpuPercent", "CpuShares", "PidsLimit",
                                     "IOMaximumIOps", "IOMaximumBandwidth", NULL};
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_err err = find_param(m, params, keys, &c, e);
  if (err != WCTR_OK) return err;
  EnterCriticalSection(&m->lock);
  /* The new values replace the old ones flag by flag; the whole set is checked again, so an update can
   * never reach a combination create would refuse. */
  job_resources r = c->rec.config.resources;
  const int64_t big = INT64_C(9007199254740991);
  struct {
    const char *key;
    int64_t *field;
  } fields[] = {{"Memory", &r.memory_bytes},       {"NanoCpus", &r.nano_cpus},   {"CpuCount", &r.cpu_count},
                {"CpuPercent", &r.cpu_percent},     {"CpuShares", &r.cpu_shares}, {"PidsLimit", &r.pids_limit},
                {"IOMaximumIOps", &r.io_maxiops},  {"IOMaximumBandwidth", &r.io_maxbandwidth}};
  for (size_t i = 0; err == WCTR_OK && i < sizeof fields / sizeof fields[0]; i++) {
    err = wctr_json_get_int64(params, fields[i].key, "params", false, -big, big, fields[i].field, e);
  }
  job_limits limits;
  job_warnings warnings = {0};
  job_resources effective;
  if (err == WCTR_OK && c->rec.config.isolation != WCTR_ISOLATION_JOB) {
    /* Docker's word for Windows containers; HCS can change some limits live (20H2 and later), which
     * arrives with the HCS isolations. */
    err = wctr_fail(e, WCTR_ENOTSUP, "resource updating isn't supported on Windows for %s isolation",
                    job_isolation_name(c->rec.config.isolation));
  }
  if (err == WCTR_OK) err = job_resources_check(&r, WCTR_ISOLATION_JOB, m->host_cpus, &effective, &warnings, e);
  if (err == WCTR_OK) err = job_limits_from_resources(&r, m->host_cpus, &limits, e);
  if (err == WCTR_OK && c->job != NULL) err = job_apply_limits(c->job, &limits, e);
  if (err == WCTR_OK) {
    c->rec.config.resources = r;
    c->rec.limits = limits;
    err = svc_store_save(m->store, &c->rec, e);
  }
  cJSON *out = NULL;
  if (err == WCTR_OK) {
    out = cJSON_CreateObject();
    cJSON *w = cJSON_AddArrayToObject(out, "Warnings");
    for (size_t i = 0; w != NULL && i < limits.warnings.count; i++) {
      cJSON_AddItemToArray(w, cJSON_CreateString(limits.warnings.text[i]));
    }
    wctr_log(WCTR_LOG_INFO, "container %s: limits updated by %s", c->rec.name, caller->name);
  }
  LeaveCriticalSection(&m->lock);
  release(m, c);
  if (err == WCTR_OK) *result = out;
  return err;
}

/* --- images ------------------------------------------------------------------------------------------------ */

static bool image_in_use(void *ctx, const char *image, char *container, size_t size) {
  svc_manager *m = ctx;
  bool used = false;
  EnterCriticalSection(&m->lock);
  for (ctr *c = m->list; c != NULL && !used; c = c->next) {
    if (c->rec.config.isolation != WCTR_ISOLATION_JOB && strcmp(c->rec.config.image, image) == 0) {
      used = true;
      snprintf(container, size, "%s", c->rec.name);
    }
  }
  LeaveCriticalSection(&m->lock);
  return used;
}

static wctr_err op_image_add(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  return svc_images_add(((svc_manager *)ctx)->images, params, result, e);
}

static wctr_err op_image_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {NULL};
  (void)caller;
  if (params != NULL && wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  return svc_images_list(((svc_manager *)ctx)->images, result, e);
}

static wctr_err op_image_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                 wctr_errmsg *e) {
  (void)caller;
  return svc_images_inspect(((svc_manager *)ctx)->images, params, result, e);
}

static wctr_err op_image_remove(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                wctr_errmsg *e) {
  (void)caller;
  svc_manager *m = ctx;
  return svc_images_remove(m->images, params, image_in_use, m, result, e);
}

static const svc_op manager_ops[] = {
    {.name = "image.add", .call = op_image_add},
    {.name = "image.list", .call = op_image_list},
    {.name = "image.inspect", .call = op_image_inspect},
    {.name = "image.remove", .call = op_image_remove},
    {.name = "container.create", .call = op_create},
    /* TEMPORARY (issue 10): the blocking ones on the pool, the streams on threads of their own. */
    {.name = "container.start", .call = op_start, .flags = SVC_OP_BLOCKING},
    {.name = "container.run", .start = start_run},
    {.name = "container.stop", .call = op_stop, .flags = SVC_OP_BLOCKING},
    {.name = "container.kill", .call = op_kill, .flags = SVC_OP_BLOCKING},
    {.name = "container.remove", .call = op_remove, .flags = SVC_OP_BLOCKING},
    {.name = "container.list", .call = op_list},
    {.name = "container.inspect", .call = op_inspect},
    {.name = "container.stats", .call = op_stats, .flags = SVC_OP_BLOCKING},
    {.name = "container.wait", .start = start_wait},
    {.name = "container.logs", .start = start_logs},
    {.name = "container.update", .call = op_update},
    {.name = "events", .start = start_events},
};

const svc_op *svc_manager_ops(size_t *count) {
  *count = sizeof manager_ops / sizeof manager_ops[0];
  return manager_ops;
}

/* --- start and stop of the manager ---------------------------------------------------------------------- */

/* A container recorded as running whose processes are gone: exited, code unknown (-1), and why. */
static void mark_gone(svc_manager *m, ctr *c, const char *why) {
  wctr_errmsg e;
  c->rec.state.status = SVC_STATE_EXITED;
  c->rec.state.exit_code = -1;
  c->rec.state.pid = 0;
  wctr_time_now_iso8601(c->rec.state.finished_at, sizeof c->rec.state.finished_at);
  snprintf(c->rec.state.error, sizeof c->rec.state.error, "%s", why);
  if (svc_store_save(m->store, &c->rec, &e) != WCTR_OK) wctr_log(WCTR_LOG_ERROR, "container %s: %s", c->rec.name, e.text);
  wctr_log(WCTR_LOG_INFO, "container %s was running when wctrd stopped and is gone; marked exited (-1)", c->rec.name);
}

/* An HCS container recorded as running: re-open its compute systems, or record that they are gone. */
static void recover_hcs(svc_manager *m, ctr *c) {
  wctr_errmsg e;
  svc_hcs_ctr *hrt = NULL;
  if (svc_hcs_reattach(m->hcs, &c->rec, c, &hrt, &e) == WCTR_OK) {
    c->hrt = hrt;
    start_waiter(m, c);
    wctr_log(WCTR_LOG_INFO, "container %s re-attached to its compute system; output written while wctrd was down is lost",
             c->rec.name);
    return;
  }
  svc_hcs_cleanup(m->hcs, &c->rec);
  mark_gone(m, c, "wctrd restarted; the compute system had stopped meanwhile");
}

/* A container recorded as running when wctrd starts: re-attach if its job and first process live on. */
static void recover(svc_manager *m, ctr *c) {
  wctr_errmsg e;
  if (c->rec.config.isolation != WCTR_ISOLATION_JOB) {
    recover_hcs(m, c);
    return;
  }
  char job_name[80];
  snprintf(job_name, sizeof job_name, "wctr-%s", c->rec.id);
  job_object *job = NULL;
  HANDLE process = NULL;
  if (job_open(job_name, &job, &e) == WCTR_OK && c->rec.state.pid != 0) {
    process = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, c->rec.state.pid);
  }
  if (process != NULL && WaitForSingleObject(process, 0) == WAIT_OBJECT_0) {
    /* It ended while wctrd was away: its own exit code is still there to read. */
    DWORD code = 0;
    int64_t exit_code = GetExitCodeProcess(process, &code) ? (int64_t)code : -1;
    CloseHandle(process);
    process = NULL;
    job_close(job);
    job = NULL;
    c->rec.state.status = SVC_STATE_EXITED;
    c->rec.state.exit_code = exit_code;
    c->rec.state.pid = 0;
    wctr_time_now_iso8601(c->rec.state.finished_at, sizeof c->rec.state.finished_at);
    snprintf(c->rec.state.error, sizeof c->rec.state.error, "ended while wctrd was not running");
    svc_store_save(m->store, &c->rec, &e);
    wctr_log(WCTR_LOG_INFO, "container %s ended while wctrd was down (exit code %lld)", c->rec.name,
             (long long)exit_code);
    return;
  }
  if (job != NULL && process != NULL) {
    c->job = job;
    c->process = process;
    if (m->monitor != NULL) job_monitor_add(m->monitor, job, c, &e);
    start_waiter(m, c);
    wctr_log(WCTR_LOG_INFO, "container %s re-attached (pid %u); output written while wctrd was down is lost",
             c->rec.name, c->rec.state.pid);
    return;
  }
  job_close(job);
  mark_gone(m, c, "wctrd restarted; the container had stopped meanwhile");
}

/* --- restart policies (issue #5) ------------------------------------------------------------------------
 * start_locked, retried while the container's previous job object still exists (WCTR_EEXIST): the job
 * goes when the last handle to it closes, and the exited process's own handle (jobs/spawn_win.c keeps the
 * job alive through the process) can outlive the exit by a moment - seen under Wine, and after a restart
 * of wctrd whose old process is still being torn down. At most about 5 s. Called with m->lock held; the
 * lock is released while waiting. */
static wctr_err start_retrying(svc_manager *m, ctr *c, wctr_errmsg *e) {
  wctr_err err = start_locked(m, c, e);
  for (int waited = 0; err == WCTR_EEXIST && waited < 5000; waited += 100) {
    LeaveCriticalSection(&m->lock);
    Sleep(100);
    EnterCriticalSection(&m->lock);
    if (c->unlinked || c->rec.state.status != SVC_STATE_EXITED || c->rec.state.manually_stopped) break;
    err = start_locked(m, c, e);
  }
  return err;
}

/* Docker's restart manager: after an exit the decision is svc_restart_on_exit's; the restart waits
 * 100 ms doubled per restart (at most 10 s, Docker's backoff) and gives up when wctrd stops, the user
 * stops or removes the container meanwhile, or it is started by someone else. */
static void restart_after_exit(svc_manager *m, ctr *c, int64_t exit_code) {
  EnterCriticalSection(&m->lock);
  bool go = !c->unlinked && c->rec.state.status == SVC_STATE_EXITED &&
            svc_restart_on_exit(&c->rec, exit_code, InterlockedCompareExchange(&m->stopping, 0, 0) != 0);
  int64_t count = c->rec.state.restart_count;
  LeaveCriticalSection(&m->lock);
  if (!go) return;
  DWORD delay = count >= 7 ? 10000 : 100u << count;
  for (DWORD waited = 0; waited < delay; waited += 50) {
    if (InterlockedCompareExchange(&m->stopping, 0, 0) != 0) return;
    Sleep(50);
  }
  wctr_errmsg e;
  EnterCriticalSection(&m->lock);
  go = !c->unlinked && c->rec.state.status == SVC_STATE_EXITED && !c->rec.state.manually_stopped &&
       InterlockedCompareExchange(&m->stopping, 0, 0) == 0;
  if (go && start_retrying(m, c, &e) == WCTR_OK) {
    c->rec.state.restart_count = count + 1;
    if (svc_store_save(m->store, &c->rec, &e) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "container %s: %s", c->rec.name, e.text);
    wctr_log(WCTR_LOG_INFO, "container %s restarted by its restart policy (%s, restart %lld)", c->rec.name,
             svc_restart_name_text(c->rec.config.opts.restart), (long long)(count + 1));
  } else if (go) {
    wctr_log(WCTR_LOG_ERROR, "container %s: restart policy %s: %s", c->rec.name,
             svc_restart_name_text(c->rec.config.opts.restart), e.text);
  }
  LeaveCriticalSection(&m->lock);
}

/* At wctrd's start: `always`, and `unless-stopped` unless a user stopped them, come back (whether wctrd
 * stopped them when it stopped, or they ended while it was away). */
static void restart_at_service_start(svc_manager *m) {
  EnterCriticalSection(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    if (!svc_restart_on_service_start(&c->rec)) continue;
    wctr_errmsg e;
    if (start_retrying(m, c, &e) == WCTR_OK) {
      wctr_log(WCTR_LOG_INFO, "container %s started again by its restart policy (%s)", c->rec.name,
               svc_restart_name_text(c->rec.config.opts.restart));
    } else {
      wctr_log(WCTR_LOG_ERROR, "container %s: restart policy %s at start: %s", c->rec.name,
               svc_restart_name_text(c->rec.config.opts.restart), e.text);
    }
  }
  LeaveCriticalSection(&m->lock);
}

wctr_err svc_manager_start(const svc_manager_options *opt, svc_manager **out, wctr_errmsg *e) {
  svc_manager *m = calloc(1, sizeof *m);
  svc_container *records = NULL;
  size_t count = 0;
  if (m == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  InitializeCriticalSection(&m->lock);
  InitializeCriticalSection(&m->events_lock);
  m->opt = *opt;
  snprintf(m->data_root, sizeof m->data_root, "%s", opt->data_root);
  snprintf(m->hcs_detail, sizeof m->hcs_detail, "%s", opt->hcs_detail != NULL ? opt->hcs_detail : "");
  m->host_cpus = (int)GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  if (m->host_cpus < 1) m->host_cpus = 1;
  wctr_err err = svc_store_open(opt->data_root, &m->store, e);
  if (err == WCTR_OK) err = svc_images_open(opt->data_root, &m->images, e);
  if (err != WCTR_OK) goto fail;
  if (job_monitor_start(on_job_event, m, &m->monitor, e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "job notifications unavailable: %s", e->text);
    m->monitor = NULL;
  }
  svc_hcs_options ho = {.host_os_version = opt->host_os_version,
                        .host_cpus = m->host_cpus, .images = m->images, .monitor = m->monitor};
  err = svc_hcs_open(&ho, &m->hcs, e);
  if (err != WCTR_OK) goto fail;
  err = svc_store_load_all(m->store, &records, &count, e);
  if (err != WCTR_OK) goto fail;
  for (size_t i = 0; i < count; i++) {
    ctr *c = ctr_new();
    if (c == NULL) {
      svc_container_free(&records[i]);
      continue;
    }
    c->rec = records[i];
    if (c->rec.state.status == SVC_STATE_REMOVING) {
      wctr_errmsg re;
      svc_store_remove(m->store, c->rec.id, &re);
      wctr_log(WCTR_LOG_INFO, "finished removing container %s", c->rec.name);
      ctr_free(c);
      continue;
    }
    c->next = m->list;
    m->list = c;
    if (c->rec.state.status == SVC_STATE_RUNNING) recover(m, c);
  }
  /* CCG instances outlive wctrd: those of containers that no longer run go, before anything new starts. */
  const char **owned = calloc(count + 1, sizeof *owned);
  const char **running = calloc(count + 1, sizeof *running);
  size_t owned_n = 0, running_n = 0;
  for (ctr *c = m->list; owned != NULL && running != NULL && c != NULL; c = c->next) {
    owned[owned_n++] = c->rec.id;
    if (c->rec.state.status == SVC_STATE_RUNNING) running[running_n++] = c->rec.id;
  }
  for (size_t i = 0; owned != NULL && i < count; i++) {
    if (records[i].state.status == SVC_STATE_REMOVING && owned_n < count) owned[owned_n++] = records[i].id;
  }
  if (owned != NULL && running != NULL) svc_hcs_sweep_ccg(m->hcs, owned, owned_n, running, running_n);
  free(owned);
  free(running);
  free(records);
  /* --rm containers that ended while wctrd was down go now, as dockerd does at its start. */
  for (;;) {
    ctr *done = NULL;
    for (ctr *c = m->list; c != NULL && done == NULL; c = c->next) {
      if (c->rec.config.auto_remove && c->rec.state.status == SVC_STATE_EXITED) done = c;
    }
    if (done == NULL) break;
    done->refs++;
    remove_container(m, done);
    release(m, done);
  }
  restart_at_service_start(m);
  *out = m;
  return WCTR_OK;
fail:
  svc_manager_stop(m);
  return err;
}

void svc_manager_stop(svc_manager *m) {
  if (m == NULL) return;
  InterlockedExchange(&m->stopping, 1);
  /* As dockerd without live-restore: containers are stopped with the service. A crash instead leaves
   * them to the repair at the next start. */
  for (;;) {
    ctr *running = NULL;
    EnterCriticalSection(&m->lock);
    for (ctr *c = m->list; c != NULL && running == NULL; c = c->next) {
      if (c->rec.state.status == SVC_STATE_RUNNING && (c->job != NULL || c->hrt != NULL)) running = c;
    }
    if (running != NULL) running->refs++;
    LeaveCriticalSection(&m->lock);
    if (running == NULL) break;
    wctr_errmsg e;
    int timeout = running->rec.config.stop_timeout < 10 ? running->rec.config.stop_timeout : 10;
    if (stop_container(m, running, timeout, false, &e) != WCTR_OK) {
      wctr_log(WCTR_LOG_ERROR, "container %s: %s", running->rec.name, e.text);
      release(m, running);
      break;
    }
    release(m, running);
  }
  /* TEMPORARY (issue 10): stream operations end once the server has closed their clients (on_close). */
  for (int waited = 0; waited < 5000 && InterlockedCompareExchange(&m->tmp_threads, 0, 0) > 0; waited += 10) Sleep(10);
  /* Exit handling (auto-remove, the last release) may still be finishing on waiter threads. */
  for (int waited = 0; waited < 5000; waited += 10) {
    bool busy = false;
    EnterCriticalSection(&m->lock);
    for (ctr *c = m->list; c != NULL && !busy; c = c->next) busy = c->refs > 0;
    LeaveCriticalSection(&m->lock);
    if (!busy) break;
    Sleep(10);
  }
  job_monitor_stop(m->monitor);
  svc_hcs_close(m->hcs);
  svc_images_close(m->images);
  svc_store_close(m->store);
  /* Records stay allocated only while a waiter thread might still use them; after the loop above no
   * container runs, so the list can go. */
  while (m->list != NULL) {
    ctr *c = m->list;
    m->list = c->next;
    ctr_free(c);
  }
  DeleteCriticalSection(&m->events_lock);
  DeleteCriticalSection(&m->lock);
  free(m);
}

/* --- for the security operations (issue 6) ------------------------------------------------------------ */

cJSON *svc_manager_records(svc_manager *m) {
  cJSON *arr = cJSON_CreateArray();
  if (arr == NULL) return NULL;
  EnterCriticalSection(&m->lock);
  for (ctr *c = m->list; c != NULL; c = c->next) {
    cJSON *rec = svc_container_to_json(&c->rec);
    if (rec == NULL || !cJSON_AddItemToArray(arr, rec)) {
      cJSON_Delete(rec);
      cJSON_Delete(arr);
      arr = NULL;
      break;
    }
  }
  LeaveCriticalSection(&m->lock);
  return arr;
}

bool svc_manager_running(void *ctx, const char *id) {
  svc_manager *m = ctx;
  bool running = false;
  EnterCriticalSection(&m->lock);
  for (ctr *c = m->list; c != NULL && !running; c = c->next) {
    running = strcmp(c->rec.id, id) == 0 && c->rec.state.status == SVC_STATE_RUNNING;
  }
  LeaveCriticalSection(&m->lock);
  return running;
}
