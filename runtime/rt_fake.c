/* runtime/rt_fake.c - the programmable runtime (runtime/rt_fake.h). */
#include "runtime/rt_fake.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

enum { CHUNK = 64 * 1024, STDIN_MAX = 1024 * 1024, MAX_PLANTED = 64, MAX_LIVE = 256 };

typedef struct fake_rt {
  rt_runtime base;
  rt_options opt;
} fake_rt;

typedef struct planted {
  char id[65];
  bool alive;
  char script[1024];
  int code;
} planted;

static struct {
  bool init;
  wctr_mutex lock;
  bool unavailable;
  char why[200];
  int fail_starts;
  wctr_err fail_err;
  char fail_message[200];
  unsigned start_delay_ms;
  unsigned signal_delay_ms;
  unsigned release_delay_ms;
  bool refuse_pause;
  char storage_path[512]; /* "" : none; else a started process-isolated task's StoragePath */
  char root_path[512];    /* "" : mount_root refuses; else the folder it reports */
  char root_log[2048];    /* "mount-root <id>;unmount-root <id>;..." */
  int counts[24];
  int live;
  char live_ids[MAX_LIVE][65]; /* the ids of the live tasks: a start of one of them is refused */
  int live_id_count;
  unsigned next_pid;
  planted planted[MAX_PLANTED];
  int planted_count;
  char sweep_running[4096];
} g;

static const char *const count_names[] = {"start", "release", "remove", "cleanup", "sweep", "signal-stop",
                                          "signal-kill", "stdin-close", "reattach", "start-conflict", "exec",
                                          "proc-release", "pause", "resume", "mount-root", "unmount-root", NULL};

/* g.lock held. Is a task of this id live? With take, it is made live when it is not. */
static bool live_id_locked(const char *id, bool take) {
  for (int i = 0; i < g.live_id_count; i++) {
    if (strcmp(g.live_ids[i], id) == 0) return true;
  }
  if (take && g.live_id_count < MAX_LIVE) snprintf(g.live_ids[g.live_id_count++], sizeof g.live_ids[0], "%s", id);
  return false;
}

static void live_id_drop_locked(const char *id) {
  for (int i = 0; i < g.live_id_count; i++) {
    if (strcmp(g.live_ids[i], id) == 0) {
      memmove(g.live_ids[i], g.live_ids[g.live_id_count - 1], sizeof g.live_ids[0]);
      g.live_id_count--;
      return;
    }
  }
}

static void count(const char *what) {
  for (int i = 0; count_names[i] != NULL; i++) {
    if (strcmp(count_names[i], what) == 0) g.counts[i]++;
  }
}

static void global_init(void) {
  if (g.init) return;
  if (wctr_mutex_init(&g.lock) == WCTR_OK) g.init = true;
}

void rt_fake_reset(void) {
  global_init();
  wctr_mutex_lock(&g.lock);
  g.unavailable = false;
  g.why[0] = '\0';
  g.fail_starts = 0;
  g.start_delay_ms = 0;
  g.signal_delay_ms = 0;
  g.release_delay_ms = 0;
  g.refuse_pause = false;
  g.storage_path[0] = '\0';
  g.root_path[0] = '\0';
  g.root_log[0] = '\0';
  memset(g.counts, 0, sizeof g.counts);
  g.live_id_count = 0;
  g.planted_count = 0;
  g.sweep_running[0] = '\0';
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_set_available(bool available, const char *why) {
  global_init();
  wctr_mutex_lock(&g.lock);
  g.unavailable = !available;
  snprintf(g.why, sizeof g.why, "%s", why != NULL ? why : "");
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_fail_starts(int n, wctr_err err, const char *message) {
  global_init();
  wctr_mutex_lock(&g.lock);
  g.fail_starts = n;
  g.fail_err = err;
  snprintf(g.fail_message, sizeof g.fail_message, "%s", message);
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_set_start_delay_ms(unsigned ms) {
  global_init();
  wctr_mutex_lock(&g.lock);
  g.start_delay_ms = ms;
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_set_release_delay_ms(unsigned ms) {
  global_init();
  wctr_mutex_lock(&g.lock);
  g.release_delay_ms = ms;
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_refuse_pause(bool refuse) {
  global_init();
  wctr_mutex_lock(&g.lock);
  g.refuse_pause = refuse;
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_set_storage_path(const char *path) {
  global_init();
  wctr_mutex_lock(&g.lock);
  snprintf(g.storage_path, sizeof g.storage_path, "%s", path != NULL ? path : "");
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_set_root_path(const char *path) {
  global_init();
  wctr_mutex_lock(&g.lock);
  snprintf(g.root_path, sizeof g.root_path, "%s", path != NULL ? path : "");
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_root_log(char *out, size_t size) {
  global_init();
  wctr_mutex_lock(&g.lock);
  snprintf(out, size, "%s", g.root_log);
  wctr_mutex_unlock(&g.lock);
}

void rt_fake_set_signal_delay_ms(unsigned ms) {
  global_init();
  wctr_mutex_lock(&g.lock);
  g.signal_delay_ms = ms;
  wctr_mutex_unlock(&g.lock);
}

int rt_fake_count(const char *what) {
  global_init();
  wctr_mutex_lock(&g.lock);
  int n = 0;
  for (int i = 0; count_names[i] != NULL; i++) {
    if (strcmp(count_names[i], what) == 0) n = g.counts[i];
  }
  wctr_mutex_unlock(&g.lock);
  return n;
}

int rt_fake_live_tasks(void) {
  global_init();
  wctr_mutex_lock(&g.lock);
  int n = g.live;
  wctr_mutex_unlock(&g.lock);
  return n;
}

void rt_fake_plant(const char *id, bool alive, const char *script, int code) {
  global_init();
  wctr_mutex_lock(&g.lock);
  if (g.planted_count < MAX_PLANTED) {
    planted *p = &g.planted[g.planted_count++];
    snprintf(p->id, sizeof p->id, "%s", id);
    p->alive = alive;
    snprintf(p->script, sizeof p->script, "%s", script != NULL ? script : "");
    p->code = code;
  }
  wctr_mutex_unlock(&g.lock);
}

const char *rt_fake_last_sweep_running(void) { return g.sweep_running; }

/* --- tasks ---------------------------------------------------------------------------------------------------- */

typedef struct fake_task {
  rt_task base;
  fake_rt *rt;
  void *key;
  char id[65];
  char name[129];
  wctr_mutex lock;
  wctr_mutex deliver;  /* held while an event is delivered: nothing is reported after the exit */
  bool exit_reported;  /* deliver */
  char **script;
  size_t count;
  size_t pc;
  bool waiting;        /* in `wait` */
  bool catting;        /* in `cat` */
  bool ignore_stop;
  bool ended;          /* the exit was reported (or is being) */
  bool paused;         /* pause: no instruction runs until resume */
  bool stdin_open;
  bool stdin_eof;
  char *stdin_buf;
  size_t stdin_len;
  wctr_ioc_timer *timer; /* a sleep in progress */
  bool stepping;       /* a step is queued or running */
  int64_t code;
  bool oom;
  uint64_t started_ms;
  uint32_t pid;
  int refs;            /* the task's owner (until release) + each queued callback */
  char user[129];      /* whoami */
  char cwd[260];       /* pwd */
  char **env;          /* getenv=: "K=V", the exec's first, then the container's */
  size_t env_count;
  /* An exec'd process (rt_methods.exec) is a fake_task too, with its own events. */
  bool is_proc;
  rt_proc proc;
  rt_exec_events xev;
  struct fake_task *parent;   /* a reference on it */
  struct fake_task *children; /* lock: exec'd processes not yet released */
  struct fake_task *sibling;  /* parent->lock */
} fake_task;

static void task_unref(fake_task *t);
static void task_unref(fake_task *t) {
  wctr_mutex_lock(&t->lock);
  bool last = --t->refs == 0;
  wctr_mutex_unlock(&t->lock);
  if (!last) return;
  for (size_t i = 0; i < t->count; i++) free(t->script[i]);
  free(t->script);
  free(t->stdin_buf);
  for (size_t i = 0; i < t->env_count; i++) free(t->env[i]);
  free(t->env);
  wctr_mutex_destroy(&t->lock);
  wctr_mutex_destroy(&t->deliver);
  fake_task *parent = t->parent;
  free(t);
  if (parent != NULL) task_unref(parent);
}

/* Unescapes TEXT (\n \r \t \\ \0 \xHH) into out; returns the length. */
static size_t unescape(const char *in, char *out) {
  size_t n = 0;
  for (const char *p = in; *p != '\0'; p++) {
    if (*p != '\\' || p[1] == '\0') {
      out[n++] = *p;
      continue;
    }
    p++;
    switch (*p) {
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case '0': out[n++] = '\0'; break;
      case 'x': {
        unsigned v = 0;
        int digits = 0;
        while (digits < 2 && ((p[1] >= '0' && p[1] <= '9') || (p[1] >= 'a' && p[1] <= 'f') || (p[1] >= 'A' && p[1] <= 'F'))) {
          char h = *++p;
          v = v * 16 + (unsigned)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
          digits++;
        }
        out[n++] = (char)v;
        break;
      }
      default: out[n++] = *p;
    }
  }
  return n;
}

static bool known_instruction(const char *s) {
  static const char *const prefixes[] = {"out=", "err=", "repeat=", "sleep=", "exit=", "getenv=", NULL};
  static const char *const words[] = {"wait", "ignore-stop", "cat", "oom", "whoami", "pwd", NULL};
  for (int i = 0; prefixes[i] != NULL; i++) {
    if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0) return true;
  }
  for (int i = 0; words[i] != NULL; i++) {
    if (strcmp(s, words[i]) == 0) return true;
  }
  return false;
}

static void step(void *arg);

/* Queues a step (lock held); one at a time. */
static void schedule_locked(fake_task *t) {
  if (t->stepping || t->ended) return;
  t->stepping = true;
  t->refs++;
  if (!wctr_ioc_post(t->rt->opt.ioc, step, t)) {
    t->stepping = false;
    t->refs--;
  }
}

static void end_locked(fake_task *t, int64_t code) {
  t->ended = true;
  t->code = code;
  t->waiting = false;
  t->catting = false;
}

static void deliver_exit(fake_task *t);

/* The run ended: so do the processes exec'd in it, as the job's and the compute system's end takes them. */
static void end_children(fake_task *t) {
  enum { MAX_KIDS = 64 };
  fake_task *kids[MAX_KIDS];
  size_t n = 0;
  wctr_mutex_lock(&t->lock);
  for (fake_task *k = t->children; k != NULL && n < MAX_KIDS; k = k->sibling) {
    wctr_mutex_lock(&k->lock);
    if (!k->ended) {
      if (k->timer != NULL && wctr_ioc_timer_cancel(k->timer)) k->refs--;
      k->timer = NULL;
      end_locked(k, RT_KILLED_EXIT_CODE);
      k->refs++;
      kids[n++] = k;
    }
    wctr_mutex_unlock(&k->lock);
  }
  wctr_mutex_unlock(&t->lock);
  for (size_t i = 0; i < n; i++) {
    deliver_exit(kids[i]);
    task_unref(kids[i]);
  }
}

static void deliver_exit(fake_task *t) {
  if (!t->is_proc) end_children(t);
  wctr_mutex_lock(&t->lock);
  rt_exit x = {.code = t->code, .oom_killed = t->oom};
  wctr_mutex_unlock(&t->lock);
  wctr_mutex_lock(&t->deliver);
  if (!t->exit_reported) {
    t->exit_reported = true;
    if (t->is_proc) t->xev.exited(t->xev.ctx, x.code);
    else t->rt->opt.events.exited(t->rt->opt.events.ctx, t->key, &x);
  }
  wctr_mutex_unlock(&t->deliver);
}

static void emit_output(fake_task *t, rt_stream stream, const char *data, size_t len) {
  wctr_mutex_lock(&t->deliver);
  if (!t->exit_reported) {
    if (t->is_proc) t->xev.output(t->xev.ctx, stream, data, len);
    else t->rt->opt.events.output(t->rt->opt.events.ctx, t->key, stream, data, len);
  }
  wctr_mutex_unlock(&t->deliver);
}

/* A line for whoami/pwd/getenv= (lock held): "" when there is nothing to say. */
static void fact_line_locked(fake_task *t, const char *ins, char *line, size_t size) {
  line[0] = '\0';
  if (strcmp(ins, "whoami") == 0) {
    snprintf(line, size, "%s\n", t->user);
  } else if (strcmp(ins, "pwd") == 0) {
    snprintf(line, size, "%s\n", t->cwd);
  } else {
    const char *name = ins + 7;
    size_t nlen = strlen(name);
    for (size_t i = 0; i < t->env_count; i++) {
      if (strncmp(t->env[i], name, nlen) == 0 && t->env[i][nlen] == '=') {
        snprintf(line, size, "%s\n", t->env[i] + nlen + 1);
        break;
      }
    }
  }
}

static void timer_fired(void *arg) {
  fake_task *t = arg;
  wctr_mutex_lock(&t->lock);
  t->timer = NULL;
  schedule_locked(t);
  wctr_mutex_unlock(&t->lock);
  task_unref(t);
}

static void step(void *arg) {
  fake_task *t = arg;
  const rt_events *ev = &t->rt->opt.events;
  char *buf = malloc(CHUNK + 16);
  bool report_exit = false;
  for (;;) {
    wctr_mutex_lock(&t->lock);
    if (t->ended || buf == NULL || t->paused) {
      t->stepping = false; /* a paused task is stepped again by resume */
      wctr_mutex_unlock(&t->lock);
      break;
    }
    if (t->catting) {
      size_t n = t->stdin_len > CHUNK ? CHUNK : t->stdin_len;
      if (n > 0) {
        memcpy(buf, t->stdin_buf, n);
        memmove(t->stdin_buf, t->stdin_buf + n, t->stdin_len - n);
        t->stdin_len -= n;
        wctr_mutex_unlock(&t->lock);
        emit_output(t, RT_STDOUT, buf, n);
        continue;
      }
      if (!t->stdin_eof) {
        t->stepping = false; /* woken by stdin */
        wctr_mutex_unlock(&t->lock);
        break;
      }
      t->catting = false;
    }
    if (t->waiting || t->timer != NULL) {
      t->stepping = false;
      wctr_mutex_unlock(&t->lock);
      break;
    }
    if (t->pc >= t->count) {
      end_locked(t, 0);
      t->stepping = false;
      wctr_mutex_unlock(&t->lock);
      report_exit = true;
      break;
    }
    const char *ins = t->script[t->pc++];
    if (strncmp(ins, "out=", 4) == 0 || strncmp(ins, "err=", 4) == 0) {
      size_t len = strlen(ins + 4);
      char *text = malloc(len + 1);
      size_t n = text != NULL ? unescape(ins + 4, text) : 0;
      rt_stream stream = ins[0] == 'o' ? RT_STDOUT : RT_STDERR;
      wctr_mutex_unlock(&t->lock);
      if (n > 0) emit_output(t, stream, text, n);
      free(text);
      continue;
    }
    if (strncmp(ins, "repeat=", 7) == 0) {
      char *colon = strchr(ins + 7, ':');
      unsigned long times = strtoul(ins + 7, NULL, 10);
      const char *what = colon != NULL ? colon + 1 : "";
      char *unit = malloc(strlen(what) + 1);
      size_t unit_len = unit != NULL ? unescape(what, unit) : 0;
      wctr_mutex_unlock(&t->lock);
      size_t fill = 0;
      for (unsigned long i = 0; unit_len > 0 && unit_len <= CHUNK && i < times; i++) {
        if (fill + unit_len > CHUNK) {
          emit_output(t, RT_STDOUT, buf, fill);
          fill = 0;
        }
        memcpy(buf + fill, unit, unit_len);
        fill += unit_len;
      }
      if (fill > 0) emit_output(t, RT_STDOUT, buf, fill);
      free(unit);
      continue;
    }
    if (strcmp(ins, "whoami") == 0 || strcmp(ins, "pwd") == 0 || strncmp(ins, "getenv=", 7) == 0) {
      char line[512];
      fact_line_locked(t, ins, line, sizeof line);
      wctr_mutex_unlock(&t->lock);
      if (line[0] != '\0') emit_output(t, RT_STDOUT, line, strlen(line));
      continue;
    }
    if (strncmp(ins, "sleep=", 6) == 0) {
      unsigned long ms = strtoul(ins + 6, NULL, 10);
      t->refs++;
      wctr_errmsg e;
      if (wctr_ioc_timer_start(t->rt->opt.ioc, (uint32_t)ms, timer_fired, t, &t->timer, &e) != WCTR_OK) {
        t->refs--;
        t->timer = NULL;
      }
      wctr_mutex_unlock(&t->lock);
      continue;
    }
    if (strncmp(ins, "exit=", 5) == 0) {
      end_locked(t, strtol(ins + 5, NULL, 10));
      t->stepping = false;
      wctr_mutex_unlock(&t->lock);
      report_exit = true;
      break;
    }
    if (strcmp(ins, "wait") == 0) {
      t->waiting = true;
    } else if (strcmp(ins, "ignore-stop") == 0) {
      t->ignore_stop = true;
    } else if (strcmp(ins, "cat") == 0) {
      t->catting = true;
    } else if (strcmp(ins, "oom") == 0 && !t->is_proc) {
      t->oom = true;
      wctr_mutex_unlock(&t->lock);
      ev->oom(ev->ctx, t->key);
      continue;
    }
    wctr_mutex_unlock(&t->lock);
  }
  free(buf);
  if (report_exit) deliver_exit(t);
  task_unref(t);
}

static bool env_add(fake_task *t, char *const *env, size_t count) {
  if (count == 0) return true;
  char **grown = realloc(t->env, (t->env_count + count) * sizeof *grown);
  if (grown == NULL) return false;
  t->env = grown;
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(env[i]) + 1;
    char *copy = malloc(n);
    if (copy == NULL) return false;
    memcpy(copy, env[i], n);
    t->env[t->env_count++] = copy;
  }
  return true;
}

static fake_task *task_new(fake_rt *rt, const rt_args *a, char **script, size_t count) {
  fake_task *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  if (wctr_mutex_init(&t->lock) != WCTR_OK) {
    free(t);
    return NULL;
  }
  if (wctr_mutex_init(&t->deliver) != WCTR_OK) {
    wctr_mutex_destroy(&t->lock);
    free(t);
    return NULL;
  }
  t->base.runtime = &rt->base;
  t->rt = rt;
  t->key = a->key;
  snprintf(t->id, sizeof t->id, "%s", a->id);
  snprintf(t->name, sizeof t->name, "%s", a->name);
  t->script = script;
  t->count = count;
  t->stdin_open = a->spec->process.open_stdin;
  t->refs = 1;
  t->started_ms = wctr_ioc_now_ms();
  const spec_process *p = &a->spec->process;
  snprintf(t->user, sizeof t->user, "%s", p->user != NULL ? p->user : "FakeUser");
  snprintf(t->cwd, sizeof t->cwd, "%s", p->working_dir != NULL ? p->working_dir : "C:\\");
  if (!env_add(t, p->env, p->env_count)) {
    t->script = NULL; /* the caller's still */
    t->count = 0;
    task_unref(t);
    return NULL;
  }
  return t;
}

static char **copy_script(char *const *cmd, size_t count, wctr_errmsg *e, wctr_err *err) {
  char **script = calloc(count + 1, sizeof *script);
  if (script == NULL) {
    *err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    if (!known_instruction(cmd[i])) {
      *err = wctr_fail(e, WCTR_EINVAL, "fake runtime: unknown instruction \"%s\"", cmd[i]);
    } else if ((script[i] = malloc(strlen(cmd[i]) + 1)) == NULL) {
      *err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else {
      memcpy(script[i], cmd[i], strlen(cmd[i]) + 1);
    }
    if (*err != WCTR_OK) {
      for (size_t k = 0; k <= i; k++) free(script[k]);
      free(script);
      return NULL;
    }
  }
  return script;
}

/* --- methods ------------------------------------------------------------------------------------------------------- */

static bool fake_available(rt_runtime *rt, const char **why) {
  (void)rt;
  wctr_mutex_lock(&g.lock);
  bool ok = !g.unavailable;
  wctr_mutex_unlock(&g.lock);
  if (why != NULL) *why = ok ? NULL : g.why;
  return ok;
}

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

static wctr_err fake_prepare(rt_runtime *rt, spec_container *spec, bool dry_run, spec_warnings *w, wctr_errmsg *e) {
  (void)rt;
  (void)dry_run;
  (void)w;
  if (spec->image != NULL && strcmp(spec->image, "missing") == 0) {
    return wctr_fail(e, WCTR_ENOENT, "No such image: missing");
  }
  if (spec->image != NULL && strcmp(spec->image, "with-cmd") == 0) {
    if (spec->process.cmd_count == 0) {
      spec->process.cmd = calloc(2, sizeof *spec->process.cmd);
      if (spec->process.cmd == NULL || (spec->process.cmd[0] = dup_text("out=from-image\\n")) == NULL) {
        free(spec->process.cmd);
        spec->process.cmd = NULL;
        return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      }
      spec->process.cmd_count = 1;
    }
    if (spec->process.user == NULL && (spec->process.user = dup_text("ImageUser")) == NULL) {
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  return WCTR_OK;
}

static wctr_err fake_plan(rt_runtime *rt, const rt_args *a, cJSON **calls, spec_warnings *w, wctr_errmsg *e) {
  (void)rt;
  (void)w;
  cJSON *arr = cJSON_CreateArray();
  cJSON *call = cJSON_CreateObject();
  if (arr == NULL || call == NULL || !cJSON_AddItemToArray(arr, call)) {
    cJSON_Delete(arr);
    cJSON_Delete(call);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON_AddStringToObject(call, "call", "FakeStart");
  cJSON_AddStringToObject(call, "id", a->id);
  cJSON *doc = cJSON_AddObjectToObject(call, "document");
  if (doc != NULL) cJSON_AddStringToObject(doc, "Isolation", spec_isolation_name(a->spec->isolation));
  *calls = arr;
  return WCTR_OK;
}

static wctr_err fake_start(rt_runtime *rt, const rt_args *a, rt_task **out, rt_started *info, wctr_errmsg *e) {
  fake_rt *f = (fake_rt *)rt;
  wctr_mutex_lock(&g.lock);
  unsigned delay = g.start_delay_ms;
  bool fail = g.fail_starts > 0;
  wctr_err fail_err = g.fail_err;
  char fail_message[200];
  snprintf(fail_message, sizeof fail_message, "%s", g.fail_message);
  if (fail) g.fail_starts--;
  count("start");
  wctr_mutex_unlock(&g.lock);
  if (delay > 0) wctr_sleep_ms(delay);
  if (fail) return wctr_fail(e, fail_err, "%s", fail_message);
  /* As the job runtime: a job's name is the container's id, and the previous run's job is there until its
   * release. */
  wctr_mutex_lock(&g.lock);
  bool conflict = live_id_locked(a->id, true);
  if (conflict) count("start-conflict");
  wctr_mutex_unlock(&g.lock);
  if (conflict) return wctr_fail(e, WCTR_EEXIST, "a job named wctr-%s already exists", a->id);
  wctr_err err = WCTR_OK;
  char **script = copy_script(a->spec->process.cmd, a->spec->process.cmd_count, e, &err);
  fake_task *t = script != NULL ? task_new(f, a, script, a->spec->process.cmd_count) : NULL;
  if (t == NULL) {
    if (script != NULL) {
      for (size_t i = 0; i < a->spec->process.cmd_count; i++) free(script[i]);
      free(script);
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    wctr_mutex_lock(&g.lock);
    live_id_drop_locked(a->id);
    wctr_mutex_unlock(&g.lock);
    return err;
  }
  wctr_mutex_lock(&g.lock);
  g.live++;
  info->pid = ++g.next_pid + 1000;
  t->pid = info->pid;
  wctr_mutex_unlock(&g.lock);
  snprintf(info->identity, sizeof info->identity, "%s", a->spec->process.user != NULL ? a->spec->process.user : "FakeUser");
  info->state = cJSON_CreateObject();
  if (info->state != NULL) cJSON_AddStringToObject(info->state, "Fake", a->id);
  wctr_mutex_lock(&g.lock);
  /* As the HCS runtime reports the volume it mounted for a process-isolated container. */
  if (info->state != NULL && g.storage_path[0] != '\0' && a->spec->isolation == WCTR_ISOLATION_PROCESS) {
    cJSON_AddStringToObject(info->state, "StoragePath", g.storage_path);
  }
  wctr_mutex_unlock(&g.lock);
  wctr_mutex_lock(&t->lock);
  schedule_locked(t);
  wctr_mutex_unlock(&t->lock);
  *out = &t->base;
  return WCTR_OK;
}

static wctr_err fake_reattach(rt_runtime *rt, const rt_args *a, rt_task **out, rt_exit *ended, wctr_errmsg *e) {
  fake_rt *f = (fake_rt *)rt;
  planted p;
  bool found = false;
  wctr_mutex_lock(&g.lock);
  count("reattach");
  for (int i = 0; i < g.planted_count && !found; i++) {
    if (strcmp(g.planted[i].id, a->id) == 0) {
      p = g.planted[i];
      found = true;
    }
  }
  wctr_mutex_unlock(&g.lock);
  if (!found || !p.alive) {
    ended->code = found ? p.code : -1;
    snprintf(ended->why, sizeof ended->why, "%s", found ? "ended while wctrd was not running" : "");
    return wctr_fail(e, WCTR_ENOENT, "container %s is gone", a->name);
  }
  char *parts[64];
  size_t n = 0;
  for (char *tok = strtok(p.script, "|"); tok != NULL && n < 64; tok = strtok(NULL, "|")) parts[n++] = tok;
  wctr_err err = WCTR_OK;
  char **script = copy_script(parts, n, e, &err);
  if (script == NULL) return err;
  fake_task *t = task_new(f, a, script, n);
  if (t == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_mutex_lock(&g.lock);
  g.live++;
  live_id_locked(a->id, true);
  wctr_mutex_unlock(&g.lock);
  wctr_mutex_lock(&t->lock);
  schedule_locked(t);
  wctr_mutex_unlock(&t->lock);
  *out = &t->base;
  return WCTR_OK;
}

static fake_task *proc_of(rt_proc *p) { return (fake_task *)(void *)((char *)p - offsetof(fake_task, proc)); }

static wctr_err fake_exec(rt_task *base, const spec_process *p, const rt_exec_events *ev, rt_proc **out,
                          uint32_t *pid, wctr_errmsg *e) {
  fake_task *parent = (fake_task *)base;
  wctr_mutex_lock(&g.lock);
  count("exec");
  wctr_mutex_unlock(&g.lock);
  if (p->cmd_count == 0) return wctr_fail(e, WCTR_EINVAL, "No exec command specified");
  /* As a host's CreateProcess answers: the first word is the program. */
  if (strcmp(p->cmd[0], "denied") == 0) return wctr_fail(e, WCTR_EACCES, "exec: \"denied\": access is denied");
  if (!known_instruction(p->cmd[0])) {
    return wctr_fail(e, WCTR_ENOENT, "exec: \"%s\": executable file not found", p->cmd[0]);
  }
  wctr_err err = WCTR_OK;
  char **script = copy_script(p->cmd, p->cmd_count, e, &err);
  if (script == NULL) return err;
  spec_container spec = {.process = *p};
  rt_args a = {.id = parent->id, .name = parent->name, .spec = &spec};
  fake_task *t = task_new(parent->rt, &a, script, p->cmd_count);
  if (t == NULL) {
    for (size_t i = 0; i < p->cmd_count; i++) free(script[i]);
    free(script);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  t->is_proc = true;
  t->proc.task = base;
  t->xev = *ev;
  wctr_mutex_lock(&parent->lock);
  if (p->user == NULL) snprintf(t->user, sizeof t->user, "%s", parent->user);
  if (p->working_dir == NULL) snprintf(t->cwd, sizeof t->cwd, "%s", parent->cwd);
  bool ended = parent->ended;
  bool env_ok = env_add(t, parent->env, parent->env_count);
  if (!ended && env_ok) {
    parent->refs++;
    t->parent = parent;
    t->sibling = parent->children;
    parent->children = t;
  }
  wctr_mutex_unlock(&parent->lock);
  if (ended || !env_ok) {
    task_unref(t);
    return ended ? wctr_fail(e, WCTR_ESTATE, "container %s is not running", parent->name)
                 : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_mutex_lock(&g.lock);
  *pid = ++g.next_pid + 1000;
  wctr_mutex_unlock(&g.lock);
  wctr_mutex_lock(&t->lock);
  t->pid = *pid;
  schedule_locked(t);
  wctr_mutex_unlock(&t->lock);
  *out = &t->proc;
  return WCTR_OK;
}

static wctr_err fake_signal(rt_task *base, rt_signal sig, wctr_errmsg *e) {
  (void)e;
  fake_task *t = (fake_task *)base;
  wctr_mutex_lock(&g.lock);
  count(sig == RT_SIGNAL_STOP ? "signal-stop" : "signal-kill");
  unsigned delay = g.signal_delay_ms;
  wctr_mutex_unlock(&g.lock);
  if (delay > 0) wctr_sleep_ms(delay);
  wctr_mutex_lock(&t->lock);
  bool report = false;
  if (!t->ended && (sig == RT_SIGNAL_KILL || !t->ignore_stop)) {
    if (t->timer != NULL && wctr_ioc_timer_cancel(t->timer)) t->refs--;
    t->timer = NULL;
    end_locked(t, sig == RT_SIGNAL_KILL ? RT_KILLED_EXIT_CODE : 0);
    report = true;
  }
  wctr_mutex_unlock(&t->lock);
  if (report) deliver_exit(t);
  return WCTR_OK;
}

/* As HCS: pause refuses a run that is not running or already paused, resume one that is not paused. */
static wctr_err fake_pause(rt_task *base, wctr_errmsg *e) {
  fake_task *t = (fake_task *)base;
  wctr_mutex_lock(&g.lock);
  count("pause");
  bool refuse = g.refuse_pause;
  wctr_mutex_unlock(&g.lock);
  if (refuse) return wctr_fail(e, WCTR_ENOTSUP, "the fake runtime was told to refuse pause");
  wctr_err err = WCTR_OK;
  wctr_mutex_lock(&t->lock);
  if (t->ended) err = wctr_fail(e, WCTR_ESTATE, "the run has ended");
  else if (t->paused) err = wctr_fail(e, WCTR_ESTATE, "the run is paused already");
  else t->paused = true;
  wctr_mutex_unlock(&t->lock);
  return err;
}

static wctr_err fake_resume(rt_task *base, wctr_errmsg *e) {
  fake_task *t = (fake_task *)base;
  wctr_mutex_lock(&g.lock);
  count("resume");
  wctr_mutex_unlock(&g.lock);
  wctr_err err = WCTR_OK;
  wctr_mutex_lock(&t->lock);
  if (!t->paused) {
    err = wctr_fail(e, WCTR_ESTATE, "the run is not paused");
  } else {
    t->paused = false;
    schedule_locked(t);
  }
  wctr_mutex_unlock(&t->lock);
  return err;
}

static wctr_err fake_stdin_write(rt_task *base, const void *data, size_t len, wctr_errmsg *e) {
  fake_task *t = (fake_task *)base;
  wctr_err err = WCTR_OK;
  wctr_mutex_lock(&t->lock);
  if (!t->stdin_open || t->stdin_eof) {
    err = wctr_fail(e, WCTR_EPIPE, "stdin is closed");
  } else if (t->stdin_len + len > STDIN_MAX) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the container does not read its stdin");
  } else {
    char *grown = realloc(t->stdin_buf, t->stdin_len + len + 1);
    if (grown == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else {
      memcpy(grown + t->stdin_len, data, len);
      t->stdin_buf = grown;
      t->stdin_len += len;
      if (t->catting) schedule_locked(t);
    }
  }
  wctr_mutex_unlock(&t->lock);
  return err;
}

static wctr_err fake_stdin_close(rt_task *base, wctr_errmsg *e) {
  (void)e;
  fake_task *t = (fake_task *)base;
  wctr_mutex_lock(&g.lock);
  count("stdin-close");
  wctr_mutex_unlock(&g.lock);
  wctr_mutex_lock(&t->lock);
  t->stdin_eof = true;
  if (t->catting) schedule_locked(t);
  wctr_mutex_unlock(&t->lock);
  return WCTR_OK;
}

static wctr_err fake_resize(rt_task *t, unsigned rows, unsigned cols, wctr_errmsg *e) {
  (void)t;
  (void)rows;
  (void)cols;
  return wctr_fail(e, WCTR_ENOTSUP, "the fake runtime has no console");
}

static wctr_err fake_stats(rt_task *base, rt_stats *out, wctr_errmsg *e) {
  (void)e;
  fake_task *t = (fake_task *)base;
  memset(out, 0, sizeof *out);
  /* Half a CPU busy since the start, so CPU % is a number tests can check (about 50). */
  out->cpu_100ns = (wctr_ioc_now_ms() - t->started_ms) * 10000 / 2;
  out->memory_bytes = 12u << 20;
  out->memory_peak_bytes = 16u << 20;
  out->processes = 1;
  return WCTR_OK;
}

static cJSON *fake_process(const char *image, uint32_t pid, uint64_t since_ms) {
  cJSON *d = cJSON_CreateObject();
  if (d == NULL) return NULL;
  cJSON_AddNumberToObject(d, "ProcessId", pid);
  cJSON_AddStringToObject(d, "ImageName", image);
  cJSON_AddNumberToObject(d, "KernelTime100ns", 0);
  /* half a CPU since it started, as stats says */
  cJSON_AddNumberToObject(d, "UserTime100ns", (double)((wctr_ioc_now_ms() - since_ms) * 10000 / 2));
  cJSON_AddNumberToObject(d, "MemoryWorkingSetPrivateBytes", 12u << 20);
  return d;
}

/* The container's "process" (fake.exe) and each exec'd one still running (fake-exec.exe). */
static wctr_err fake_top(rt_task *base, cJSON **out, wctr_errmsg *e) {
  fake_task *t = (fake_task *)base;
  cJSON *list = cJSON_CreateArray();
  bool ok = list != NULL;
  wctr_mutex_lock(&t->lock);
  if (ok && !t->ended) ok = cJSON_AddItemToArray(list, fake_process("fake.exe", t->pid, t->started_ms));
  for (fake_task *k = t->children; ok && k != NULL; k = k->sibling) {
    wctr_mutex_lock(&k->lock);
    bool running = !k->ended;
    uint32_t pid = k->pid;
    uint64_t since = k->started_ms;
    wctr_mutex_unlock(&k->lock);
    if (running) ok = cJSON_AddItemToArray(list, fake_process("fake-exec.exe", pid, since));
  }
  wctr_mutex_unlock(&t->lock);
  if (!ok) {
    cJSON_Delete(list);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = list;
  return WCTR_OK;
}

static wctr_err fake_update(rt_task *t, const spec_resources *r, spec_warnings *w, wctr_errmsg *e) {
  (void)t;
  (void)r;
  (void)w;
  (void)e;
  return WCTR_OK;
}

static wctr_err fake_inspect(rt_task *base, cJSON **out, wctr_errmsg *e) {
  fake_task *t = (fake_task *)base;
  cJSON *o = cJSON_CreateObject();
  cJSON *a = o != NULL ? cJSON_AddObjectToObject(o, "AppliedLimits") : NULL;
  if (a == NULL) {
    cJSON_Delete(o);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON_AddStringToObject(a, "Fake", t->name);
  *out = o;
  return WCTR_OK;
}

static void fake_release(rt_task *base) {
  fake_task *t = (fake_task *)base;
  wctr_mutex_lock(&g.lock);
  unsigned delay = g.release_delay_ms;
  wctr_mutex_unlock(&g.lock);
  /* A release that takes its time (a job whose processes are slow to go): the id stays taken meanwhile. */
  if (delay > 0) wctr_sleep_ms(delay);
  wctr_mutex_lock(&g.lock);
  count("release");
  g.live--;
  live_id_drop_locked(t->id);
  wctr_mutex_unlock(&g.lock);
  wctr_mutex_lock(&t->lock);
  if (!t->ended) end_locked(t, RT_KILLED_EXIT_CODE); /* release before the exit: the run is killed */
  if (t->timer != NULL && wctr_ioc_timer_cancel(t->timer)) t->refs--;
  t->timer = NULL;
  wctr_mutex_unlock(&t->lock);
  task_unref(t);
}

static wctr_err fake_proc_stdin_write(rt_proc *p, const void *data, size_t len, wctr_errmsg *e) {
  return fake_stdin_write(&proc_of(p)->base, data, len, e);
}

static wctr_err fake_proc_stdin_close(rt_proc *p, wctr_errmsg *e) { return fake_stdin_close(&proc_of(p)->base, e); }

static wctr_err fake_proc_resize(rt_proc *p, unsigned rows, unsigned cols, wctr_errmsg *e) {
  return fake_resize(&proc_of(p)->base, rows, cols, e);
}

static wctr_err fake_proc_kill(rt_proc *p, wctr_errmsg *e) {
  (void)e;
  fake_task *t = proc_of(p);
  wctr_mutex_lock(&t->lock);
  bool report = !t->ended;
  if (report) {
    if (t->timer != NULL && wctr_ioc_timer_cancel(t->timer)) t->refs--;
    t->timer = NULL;
    end_locked(t, RT_KILLED_EXIT_CODE);
  }
  wctr_mutex_unlock(&t->lock);
  if (report) deliver_exit(t);
  return WCTR_OK;
}

static void fake_proc_release(rt_proc *p) {
  fake_task *t = proc_of(p);
  fake_task *parent = t->parent;
  wctr_mutex_lock(&g.lock);
  count("proc-release");
  wctr_mutex_unlock(&g.lock);
  if (parent != NULL) {
    wctr_mutex_lock(&parent->lock);
    for (fake_task **k = &parent->children; *k != NULL; k = &(*k)->sibling) {
      if (*k == t) {
        *k = t->sibling;
        break;
      }
    }
    wctr_mutex_unlock(&parent->lock);
  }
  wctr_mutex_lock(&t->lock);
  if (!t->ended) end_locked(t, RT_KILLED_EXIT_CODE);
  if (t->timer != NULL && wctr_ioc_timer_cancel(t->timer)) t->refs--;
  t->timer = NULL;
  wctr_mutex_unlock(&t->lock);
  task_unref(t);
}

static void fake_cleanup(rt_runtime *rt, const rt_args *a) {
  (void)rt;
  (void)a;
  wctr_mutex_lock(&g.lock);
  count("cleanup");
  wctr_mutex_unlock(&g.lock);
}

static void fake_remove(rt_runtime *rt, const rt_args *a) {
  (void)rt;
  (void)a;
  wctr_mutex_lock(&g.lock);
  count("remove");
  wctr_mutex_unlock(&g.lock);
}

static void fake_sweep(rt_runtime *rt, const char *const *owned, size_t owned_count, const char *const *running,
                       size_t running_count) {
  (void)rt;
  (void)owned;
  (void)owned_count;
  wctr_mutex_lock(&g.lock);
  count("sweep");
  size_t used = 0;
  g.sweep_running[0] = '\0';
  for (size_t i = 0; i < running_count && used < sizeof g.sweep_running; i++) {
    used += (size_t)snprintf(g.sweep_running + used, sizeof g.sweep_running - used, "%s%s", i > 0 ? "," : "",
                             running[i]);
  }
  wctr_mutex_unlock(&g.lock);
}

/* g.lock held. */
static void root_log_locked(const char *what, const char *id) {
  size_t used = strlen(g.root_log);
  if (used < sizeof g.root_log) snprintf(g.root_log + used, sizeof g.root_log - used, "%s %s;", what, id);
}

static wctr_err fake_mount_root(rt_runtime *rt, const rt_args *a, char *root, size_t root_size, wctr_errmsg *e) {
  (void)rt;
  wctr_err err = WCTR_OK;
  wctr_mutex_lock(&g.lock);
  count("mount-root");
  root_log_locked("mount-root", a->id);
  if (live_id_locked(a->id, false)) {
    /* The manager promises a container that does not run: a live task here is its bug. */
    err = wctr_fail(e, WCTR_ESTATE, "container %s runs: its root is not the fake runtime's to mount", a->name);
  } else if (g.root_path[0] == '\0') {
    err = wctr_fail(e, WCTR_ENOTSUP, "the fake runtime has no root folder to mount");
  } else if (strlen(g.root_path) >= root_size) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the fake root %s is too long", g.root_path);
  } else {
    snprintf(root, root_size, "%s", g.root_path);
  }
  wctr_mutex_unlock(&g.lock);
  return err;
}

static wctr_err fake_unmount_root(rt_runtime *rt, const rt_args *a, wctr_errmsg *e) {
  (void)rt;
  (void)e;
  wctr_mutex_lock(&g.lock);
  count("unmount-root");
  root_log_locked("unmount-root", a->id);
  wctr_mutex_unlock(&g.lock);
  return WCTR_OK;
}

static void fake_close(rt_runtime *rt) { free(rt); }

static const rt_methods fake_methods = {
    .version = RT_METHODS_V4, .name = "fake",       .available = fake_available,   .prepare = fake_prepare,
    .plan = fake_plan,        .start = fake_start,  .reattach = fake_reattach,     .exec = fake_exec,
    .signal = fake_signal,    .stdin_write = fake_stdin_write, .stdin_close = fake_stdin_close,
    .resize = fake_resize,    .stats = fake_stats,  .update = fake_update,         .inspect = fake_inspect,
    .release = fake_release,  .cleanup = fake_cleanup, .remove = fake_remove,      .sweep = fake_sweep,
    .close = fake_close,      .proc_stdin_write = fake_proc_stdin_write, .proc_stdin_close = fake_proc_stdin_close,
    .proc_resize = fake_proc_resize, .proc_kill = fake_proc_kill, .proc_release = fake_proc_release,
    .top = fake_top,          .pause = fake_pause,  .resume = fake_resume,
    .mount_root = fake_mount_root, .unmount_root = fake_unmount_root,
};

wctr_err rt_fake_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e) {
  global_init();
  fake_rt *f = calloc(1, sizeof *f);
  if (f == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  f->base.methods = &fake_methods;
  f->opt = *opt;
  *out = &f->base;
  return WCTR_OK;
}

