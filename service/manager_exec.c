/* service/manager_exec.c - exec instances (service/manager.h: exec.create, exec.start, exec.inspect): a
 * process run in a running container through its runtime's exec (runtime/runtime.h v2), Docker's shape (an
 * instance is created, then started once, then inspected). Instances live in memory only, as Docker's do:
 * they do not outlive wctrd, nor (past the next exec.create) their container.
 *
 * A started instance holds a use of the container's task (mgr_task_get_locked) until its process has exited
 * and been released: the run's release waits for it, and the runtime ends exec'd processes with the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/log.h"
#include "common/random.h"
#include "service/manager_internal.h"
#include "spec/names.h"

/* Instances kept at most; an exec.create past it forgets the oldest that have ended. */
enum { EXEC_KEEP_MAX = 256, EXEC_STDIN_QUEUE_MAX = 1024 * 1024 };

typedef enum exec_state { EXEC_CREATED = 0, EXEC_STARTING, EXEC_RUNNING, EXEC_EXITED } exec_state;

struct mgr_exec {
  svc_manager *m;
  ctr *c;                /* a reference */
  char id[SVC_ID_HEX + 1];
  spec_process process;  /* owned; constant once listed */
  exec_state state;      /* m->lock */
  bool has_code;         /* m->lock */
  int64_t exit_code;     /* m->lock */
  uint32_t pid;          /* m->lock */
  rt_proc *proc;         /* m->lock: from the exec until the release */
  int refs;              /* m->lock: the list, the start's sink (until on_release), a running process */
  /* The client of a start that is not detached. */
  wctr_mutex out_lock;
  svc_sink *sink;        /* out_lock: until its finish */
  bool gone;             /* out_lock: the client stopped taking output */
  bool stdin_open;       /* m->lock */
  char *pending;         /* m->lock: stdin that came before the process started */
  size_t pending_len;
  bool pending_eof;
  mgr_exec *next;
};

static void exec_free(mgr_exec *x) {
  char **argv[2] = {x->process.cmd, x->process.env};
  size_t counts[2] = {x->process.cmd_count, x->process.env_count};
  for (int k = 0; k < 2; k++) {
    for (size_t i = 0; i < counts[k]; i++) free(argv[k][i]);
    free(argv[k]);
  }
  free(x->process.user);
  free(x->process.working_dir);
  free(x->pending);
  wctr_mutex_destroy(&x->out_lock);
  free(x);
}

static void exec_unref(mgr_exec *x) {
  svc_manager *m = x->m;
  wctr_mutex_lock(&m->lock);
  bool last = --x->refs == 0;
  wctr_mutex_unlock(&m->lock);
  if (!last) return;
  mgr_release(m, x->c);
  exec_free(x);
}

/* The one place the client's sink is finished; result is taken. */
static void exec_finish(mgr_exec *x, wctr_err err, cJSON *result, const char *message) {
  wctr_mutex_lock(&x->out_lock);
  svc_sink *s = x->sink;
  x->sink = NULL;
  wctr_mutex_unlock(&x->out_lock);
  if (s == NULL) {
    cJSON_Delete(result);
    return;
  }
  svc_sink_finish(s, err, result, message);
}

static mgr_exec *exec_find_locked(svc_manager *m, const char *id) {
  WCTR_ASSERT_HELD(&m->lock);
  for (mgr_exec *x = m->execs; x != NULL; x = x->next) {
    if (strcmp(x->id, id) == 0 && !x->c->unlinked) return x;
  }
  return NULL;
}

/* Forgets what nobody can start or inspect any more (their container is gone), and past EXEC_KEEP_MAX the
 * oldest that ended. The list's references are dropped by the caller, without the lock. */
static mgr_exec *exec_prune_locked(svc_manager *m) {
  WCTR_ASSERT_HELD(&m->lock);
  mgr_exec *dropped = NULL;
  int kept = 0;
  for (mgr_exec **p = &m->execs; *p != NULL;) {
    mgr_exec *x = *p;
    bool idle = x->state == EXEC_CREATED || x->state == EXEC_EXITED;
    /* Newest first: those past the cap are the oldest. */
    bool drop = idle && (x->c->unlinked || (kept >= EXEC_KEEP_MAX && x->state == EXEC_EXITED));
    if (drop) {
      *p = x->next;
      x->next = dropped;
      dropped = x;
      m->exec_count--;
    } else {
      kept++;
      p = &x->next;
    }
  }
  return dropped;
}

static void exec_drop_list(mgr_exec *list) {
  while (list != NULL) {
    mgr_exec *next = list->next;
    exec_unref(list);
    list = next;
  }
}

static char *dup_str(const char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d != NULL) memcpy(d, s, n);
  return d;
}

static wctr_err copy_strings(const cJSON *arr, const char *key, bool env, char ***out, size_t *count,
                             wctr_errmsg *e) {
  int n = cJSON_GetArraySize(arr);
  *out = NULL;
  *count = 0;
  if (n == 0) return WCTR_OK;
  char **v = calloc((size_t)n, sizeof *v);
  if (v == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  *out = v;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    const char *s = it->valuestring;
    if (env && (s[0] == '=' || strchr(s, '=') == NULL)) {
      return wctr_fail(e, WCTR_EINVAL, "params: %s entry \"%.80s\" is not KEY=VALUE", key, s);
    }
    if ((v[*count] = dup_str(s)) == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    (*count)++;
  }
  return WCTR_OK;
}

/* A short form of the command for events ("exec_start: cmd arg"). */
static void command_line(const spec_process *p, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < p->cmd_count && used + 1 < size; i++) {
    int n = snprintf(out + used, size - used, "%s%s", i > 0 ? " " : "", p->cmd[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
}

static void exec_emit(svc_manager *m, mgr_exec *x, const char *what, int64_t code) {
  char line[200], action[240], id[SVC_ID_HEX + 1], name[SVC_NAME_MAX + 1];
  command_line(&x->process, line, sizeof line);
  if (strcmp(what, "exec_die") == 0) snprintf(action, sizeof action, "%s", what);
  else snprintf(action, sizeof action, "%s: %s", what, line);
  wctr_mutex_lock(&m->lock);
  snprintf(id, sizeof id, "%s", x->c->rec.id);
  snprintf(name, sizeof name, "%s", x->c->rec.name);
  wctr_mutex_unlock(&m->lock);
  mgr_emit(m, action, id, name, code);
}

/* --- exec.create ------------------------------------------------------------------------------------------ */

static wctr_err random_id(char out[SVC_ID_HEX + 1]) {
  unsigned char bytes[SVC_ID_HEX / 2];
  if (wctr_random_bytes(bytes, sizeof bytes) != WCTR_OK) return WCTR_ESYSTEM;
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof bytes; i++) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  out[SVC_ID_HEX] = '\0';
  return WCTR_OK;
}

wctr_err mgr_op_exec_create(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                            wctr_errmsg *e) {
  static const char *const keys[] = {"Cmd", "Env", "User", "WorkingDir", "Tty", "AttachStdin", "Privileged", NULL};
  svc_manager *m = ctx;
  ctr *c = NULL;
  mgr_exec *x = NULL;
  *result = NULL;
  const cJSON *cmd = NULL, *env = NULL;
  const char *user = NULL, *cwd = NULL;
  bool tty = false, in = false, privileged = false;
  wctr_err err = mgr_find_param(m, params, keys, &c, e);
  if (err == WCTR_OK) err = wctr_json_get_string_array(params, "Cmd", "params", true, &cmd, e);
  if (err == WCTR_OK) err = wctr_json_get_string_array(params, "Env", "params", false, &env, e);
  if (err == WCTR_OK) err = wctr_json_get_string(params, "User", "params", false, &user, e);
  if (err == WCTR_OK) err = wctr_json_get_string(params, "WorkingDir", "params", false, &cwd, e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Tty", "params", false, &tty, e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "AttachStdin", "params", false, &in, e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Privileged", "params", false, &privileged, e);
  if (err != WCTR_OK) goto done;
  if (cJSON_GetArraySize(cmd) == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "No exec command specified");
    goto done;
  }
  /* Windows has no privileged mode: Docker's daemon refuses it for Windows containers too. */
  if (privileged) {
    err = wctr_fail(e, WCTR_ENOTSUP, "Windows does not support privileged mode");
    goto done;
  }
  if (cwd != NULL && cwd[0] != '\0') err = spec_working_dir_check(cwd, "params", e);
  if (err != WCTR_OK) goto done;
  x = calloc(1, sizeof *x);
  if (x == NULL || wctr_mutex_init(&x->out_lock) != WCTR_OK) {
    free(x);
    x = NULL;
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  x->m = m;
  x->c = c;
  x->process.tty = tty;
  x->process.open_stdin = in;
  err = copy_strings(cmd, "Cmd", false, &x->process.cmd, &x->process.cmd_count, e);
  if (err == WCTR_OK && env != NULL) err = copy_strings(env, "Env", true, &x->process.env, &x->process.env_count, e);
  if (err == WCTR_OK && user != NULL && user[0] != '\0' && (x->process.user = dup_str(user)) == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK && cwd != NULL && cwd[0] != '\0' && (x->process.working_dir = dup_str(cwd)) == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK && random_id(x->id) != WCTR_OK) err = wctr_fail(e, WCTR_ESYSTEM, "no random numbers");
  if (err == WCTR_OK && (*result = cJSON_CreateObject()) == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK && cJSON_AddStringToObject(*result, "Id", x->id) == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err != WCTR_OK) goto done;
  mgr_exec *dropped = NULL;
  wctr_mutex_lock(&m->lock);
  if (c->rec.state.status != SVC_STATE_RUNNING || c->task == NULL || c->releasing) {
    err = wctr_fail(e, WCTR_ESTATE, "Container %s is not running", c->rec.id);
  } else if (c->rec.state.paused) {
    /* Docker's words, with the container as the client named it. */
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(params, "Id");
    err = wctr_fail(e, WCTR_ESTATE, "Container %s is paused, unpause the container before exec",
                    cJSON_IsString(ref) ? ref->valuestring : c->rec.id);
  } else {
    dropped = exec_prune_locked(m);
    x->refs = 1;
    x->next = m->execs;
    m->execs = x;
    m->exec_count++;
  }
  wctr_mutex_unlock(&m->lock);
  exec_drop_list(dropped);
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "container %s: exec %.12s created by %s", c->rec.name, x->id, caller->name);
    exec_emit(m, x, "exec_create", 0);
    c = NULL; /* the instance's reference now */
    x = NULL;
  }
done:
  if (err != WCTR_OK) {
    cJSON_Delete(*result);
    *result = NULL;
  }
  if (x != NULL) {
    x->c = NULL;
    exec_free(x);
  }
  if (c != NULL) mgr_release(m, c);
  return err;
}

/* --- the process's events ---------------------------------------------------------------------------------- */

static void exec_on_output(void *ctx, rt_stream stream, const char *data, size_t len) {
  mgr_exec *x = ctx;
  wctr_mutex_lock(&x->out_lock);
  if (x->sink != NULL && !x->gone && svc_sink_output(x->sink, (svc_output_stream)stream, data, len) != WCTR_OK) {
    x->gone = true;
  }
  wctr_mutex_unlock(&x->out_lock);
}

/* On the pool: the process is released, the task's use given back, the client told. */
static void exec_ended(void *arg) {
  mgr_exec *x = arg;
  svc_manager *m = x->m;
  wctr_mutex_lock(&m->lock);
  rt_proc *p = x->proc;
  x->proc = NULL;
  int64_t code = x->exit_code;
  wctr_mutex_unlock(&m->lock);
  if (p != NULL) p->task->runtime->methods->proc_release(p);
  mgr_task_put(m, x->c);
  exec_emit(m, x, "exec_die", code);
  cJSON *result = cJSON_CreateObject();
  if (result != NULL) cJSON_AddNumberToObject(result, "ExitCode", (double)code);
  exec_finish(x, result != NULL ? WCTR_OK : WCTR_ENOMEM, result, result != NULL ? NULL : "out of memory");
  exec_unref(x); /* the running process's */
}

static void exec_on_exited(void *ctx, int64_t code) {
  mgr_exec *x = ctx;
  svc_manager *m = x->m;
  wctr_mutex_lock(&m->lock);
  x->exit_code = code;
  x->has_code = true;
  x->stdin_open = false;
  bool now = x->state == EXEC_RUNNING; /* else exec_begin, still returning, takes it from here */
  x->state = EXEC_EXITED;
  wctr_mutex_unlock(&m->lock);
  if (now) mgr_pool(m, exec_ended, x);
}

/* --- stdin ------------------------------------------------------------------------------------------------ */

typedef struct exec_close_job {
  mgr_exec *x;
  rt_proc *p;
} exec_close_job;

static void exec_stdin_close_run(void *arg) {
  exec_close_job *j = arg;
  wctr_errmsg e;
  if (j->p->task->runtime->methods->proc_stdin_close(j->p, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "exec %.12s: closing stdin: %s", j->x->id, e.text);
  }
  exec_unref(j->x);
  free(j);
}

/* m->lock held: the process (while it runs) for a stdin call, with a reference on x that the caller drops. */
static rt_proc *exec_proc_locked(mgr_exec *x) {
  WCTR_ASSERT_HELD(&x->m->lock);
  if (x->state != EXEC_RUNNING || x->proc == NULL) return NULL;
  x->refs++;
  return x->proc;
}

static void exec_stdin_deliver(mgr_exec *x, rt_proc *p, const char *data, size_t len, bool eof) {
  wctr_errmsg e;
  if (len > 0 && p->task->runtime->methods->proc_stdin_write(p, data, len, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "exec %.12s: stdin: %s; the input is dropped", x->id, e.text);
  }
  exec_close_job *j = eof ? malloc(sizeof *j) : NULL;
  if (j == NULL) {
    exec_unref(x);
    return;
  }
  *j = (exec_close_job){.x = x, .p = p};
  if (!mgr_pool(x->m, exec_stdin_close_run, j)) {
    free(j);
    exec_unref(x);
  }
}

static void exec_input(void *op, const char *data, size_t len, bool eof) {
  mgr_exec *x = op;
  svc_manager *m = x->m;
  wctr_mutex_lock(&m->lock);
  if (!x->stdin_open) {
    wctr_mutex_unlock(&m->lock);
    return;
  }
  if (x->state == EXEC_STARTING) {
    if (x->pending_len + len > EXEC_STDIN_QUEUE_MAX) {
      wctr_log(WCTR_LOG_WARN, "exec %.12s: more than %d bytes of stdin before it started; the rest is dropped", x->id,
               EXEC_STDIN_QUEUE_MAX);
    } else if (len > 0) {
      char *grown = realloc(x->pending, x->pending_len + len);
      if (grown != NULL) {
        memcpy(grown + x->pending_len, data, len);
        x->pending = grown;
        x->pending_len += len;
      }
    }
    if (eof) x->pending_eof = true;
    wctr_mutex_unlock(&m->lock);
    return;
  }
  rt_proc *p = exec_proc_locked(x);
  if (eof) x->stdin_open = false;
  wctr_mutex_unlock(&m->lock);
  if (p != NULL) exec_stdin_deliver(x, p, data, len, eof);
}

static void exec_close(void *op) {
  mgr_exec *x = op;
  svc_manager *m = x->m;
  /* The client left: the process reads end of file (as docker's attach does) and goes on running. */
  wctr_mutex_lock(&m->lock);
  rt_proc *p = NULL;
  if (x->stdin_open && x->state == EXEC_STARTING) {
    x->pending_eof = true;
  } else if (x->stdin_open) {
    p = exec_proc_locked(x);
    x->stdin_open = false;
  }
  wctr_mutex_unlock(&m->lock);
  if (p != NULL) exec_stdin_deliver(x, p, NULL, 0, true);
  wctr_mutex_lock(&x->out_lock);
  x->gone = true;
  wctr_mutex_unlock(&x->out_lock);
  exec_finish(x, WCTR_EPIPE, NULL, "the client left");
}

static void exec_sink_release(void *op) { exec_unref(op); }

/* --- exec.start --------------------------------------------------------------------------------------------- */

typedef struct exec_start_job {
  mgr_exec *x;
  bool detach;
} exec_start_job;

/* On the pool: the runtime's exec. */
static void exec_begin(void *arg) {
  exec_start_job *j = arg;
  mgr_exec *x = j->x;
  bool detach = j->detach;
  free(j);
  svc_manager *m = x->m;
  ctr *c = x->c;
  wctr_errmsg e = {0};
  wctr_err err = WCTR_OK;
  wctr_mutex_lock(&m->lock);
  rt_task *t = mgr_task_get_locked(m, c);
  char cname[SVC_NAME_MAX + 1];
  snprintf(cname, sizeof cname, "%s", c->rec.name);
  if (t == NULL) {
    err = wctr_fail(&e, WCTR_ESTATE, "Container %s is not running", c->rec.id);
  } else if (c->rec.state.paused) {
    err = wctr_fail(&e, WCTR_ESTATE, "Container %s is paused, unpause the container before exec", c->rec.id);
  } else if (t->runtime->methods->version < RT_METHODS_V2) {
    err = wctr_fail(&e, WCTR_ENOTSUP, "exec is not supported by the %s runtime", t->runtime->methods->name);
  }
  wctr_mutex_unlock(&m->lock);
  rt_proc *p = NULL;
  uint32_t pid = 0;
  if (err == WCTR_OK) {
    rt_exec_events ev = {.ctx = x, .output = exec_on_output, .exited = exec_on_exited};
    err = t->runtime->methods->exec(t, &x->process, &ev, &p, &pid, &e);
  }
  if (err != WCTR_OK) {
    if (t != NULL) mgr_task_put(m, c);
    /* Docker's exec instance records 126 for a process that could not be started; 127 for a command that
     * does not exist, as the CLI exits. */
    wctr_mutex_lock(&m->lock);
    x->state = EXEC_EXITED;
    x->has_code = true;
    x->exit_code = err == WCTR_ENOENT ? 127 : 126;
    x->stdin_open = false;
    wctr_mutex_unlock(&m->lock);
    wctr_log(WCTR_LOG_WARN, "container %s: exec %.12s: %s", cname, x->id, e.text);
    exec_finish(x, err, NULL, e.text);
    exec_unref(x); /* the start's */
    return;
  }
  wctr_mutex_lock(&m->lock);
  x->proc = p;
  x->pid = pid;
  bool exited = x->state == EXEC_EXITED; /* it exited while exec returned */
  if (!exited) x->state = EXEC_RUNNING;
  char *pending = x->pending;
  size_t pending_len = x->pending_len;
  bool eof = x->pending_eof;
  x->pending = NULL;
  x->pending_len = 0;
  rt_proc *in = NULL;
  if (!exited && (pending_len > 0 || eof)) {
    in = exec_proc_locked(x);
    if (eof) x->stdin_open = false;
  }
  wctr_mutex_unlock(&m->lock);
  exec_emit(m, x, "exec_start", 0);
  if (detach) exec_finish(x, WCTR_OK, NULL, NULL);
  if (in != NULL) exec_stdin_deliver(x, in, pending, pending_len, eof);
  free(pending);
  /* The start's reference is the running process's now: exec_ended drops it. */
  if (exited) exec_ended(x);
}

void mgr_op_exec_start(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  static const char *const keys[] = {"Id", "Detach", "Tty", NULL};
  (void)caller;
  svc_manager *m = ctx;
  wctr_errmsg e;
  const char *id = NULL;
  bool detach = false, tty = false;
  wctr_err err = params != NULL ? WCTR_OK : wctr_fail(&e, WCTR_EINVAL, "params: \"Id\" is required");
  if (err == WCTR_OK) err = wctr_json_check_keys(params, "params", keys, &e);
  if (err == WCTR_OK) err = wctr_json_get_string(params, "Id", "params", true, &id, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Detach", "params", false, &detach, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Tty", "params", false, &tty, &e);
  exec_start_job *j = err == WCTR_OK ? calloc(1, sizeof *j) : NULL;
  if (err == WCTR_OK && j == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  mgr_exec *x = NULL;
  if (err == WCTR_OK) {
    wctr_mutex_lock(&m->lock);
    x = exec_find_locked(m, id);
    if (x == NULL) {
      err = wctr_fail(&e, WCTR_ENOENT, "No such exec instance: %.64s", id);
    } else if (x->state == EXEC_STARTING || x->state == EXEC_RUNNING) {
      err = wctr_fail(&e, WCTR_ESTATE, "Error: Exec command %s is already running", x->id);
    } else if (x->state == EXEC_EXITED) {
      err = wctr_fail(&e, WCTR_ESTATE, "Error: Exec command %s has already run", x->id);
    } else {
      x->state = EXEC_STARTING;
      x->refs += 2; /* the sink's (until on_release) and the start's */
      x->stdin_open = !detach && x->process.open_stdin;
    }
    wctr_mutex_unlock(&m->lock);
  }
  if (err != WCTR_OK) {
    free(j);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  wctr_mutex_lock(&x->out_lock);
  x->sink = sink;
  x->gone = false;
  wctr_mutex_unlock(&x->out_lock);
  sink->op_ctx = x;
  sink->on_input = exec_input;
  sink->on_close = exec_close;
  sink->on_release = exec_sink_release;
  *j = (exec_start_job){.x = x, .detach = detach};
  if (!mgr_pool(m, exec_begin, j)) {
    free(j);
    wctr_mutex_lock(&m->lock);
    x->state = EXEC_CREATED;
    x->refs--;
    wctr_mutex_unlock(&m->lock);
    exec_finish(x, WCTR_ESTATE, NULL, "wctrd is stopping");
  }
}

/* --- exec.inspect --------------------------------------------------------------------------------------------- */

wctr_err mgr_op_exec_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                             wctr_errmsg *e) {
  static const char *const keys[] = {"Id", NULL};
  (void)caller;
  svc_manager *m = ctx;
  const char *id = NULL;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Id\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  wctr_err err = wctr_json_get_string(params, "Id", "params", true, &id, e);
  if (err != WCTR_OK) return err;
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_mutex_lock(&m->lock);
  mgr_exec *x = exec_find_locked(m, id);
  if (x == NULL) {
    err = wctr_fail(e, WCTR_ENOENT, "No such exec instance: %.64s", id);
  } else {
    const spec_process *p = &x->process;
    cJSON_AddStringToObject(o, "ID", x->id);
    cJSON_AddBoolToObject(o, "Running", x->state == EXEC_STARTING || x->state == EXEC_RUNNING);
    if (x->has_code) cJSON_AddNumberToObject(o, "ExitCode", (double)x->exit_code);
    else cJSON_AddNullToObject(o, "ExitCode");
    cJSON *pc = cJSON_AddObjectToObject(o, "ProcessConfig");
    if (pc != NULL) {
      cJSON_AddBoolToObject(pc, "tty", p->tty);
      cJSON_AddStringToObject(pc, "entrypoint", p->cmd[0]);
      cJSON *args = cJSON_AddArrayToObject(pc, "arguments");
      for (size_t i = 1; args != NULL && i < p->cmd_count; i++) cJSON_AddItemToArray(args, cJSON_CreateString(p->cmd[i]));
      cJSON_AddFalseToObject(pc, "privileged");
      cJSON_AddStringToObject(pc, "user", p->user != NULL ? p->user : "");
    }
    cJSON_AddBoolToObject(o, "OpenStdin", p->open_stdin);
    cJSON_AddBoolToObject(o, "OpenStderr", true);
    cJSON_AddBoolToObject(o, "OpenStdout", true);
    cJSON_AddBoolToObject(o, "CanRemove", false);
    cJSON_AddStringToObject(o, "ContainerID", x->c->rec.id);
    cJSON_AddStringToObject(o, "DetachKeys", "");
    cJSON_AddNumberToObject(o, "Pid", (double)x->pid);
  }
  wctr_mutex_unlock(&m->lock);
  if (err != WCTR_OK) {
    cJSON_Delete(o);
    return err;
  }
  *result = o;
  return WCTR_OK;
}

void mgr_execs_free(svc_manager *m) {
  wctr_mutex_lock(&m->lock);
  mgr_exec *list = m->execs;
  m->execs = NULL;
  m->exec_count = 0;
  wctr_mutex_unlock(&m->lock);
  exec_drop_list(list);
}
