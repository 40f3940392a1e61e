/* tests/runtime/test_rt_hcs_win.c - the HCS runtime (runtime/rt_hcs.h) against the HCS test double, under
 * Wine and on Windows: a real I/O core, a small fake rt_host (an image catalog of two layer folders this
 * suite creates, a secrets hook that records its calls), and the double's computecore.dll and
 * computestorage.dll copied next to this executable, where hcs/client.h loads them from. The double
 * validates every document, runs the containers' processes for real (tests/hcs_double/hcsd_child), keeps
 * its compute systems and CCG instances in a state folder and logs every call; the suite reads both. */
#include <windows.h>

#include <psapi.h>
#include <tlhelp32.h>
#include <winternl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "common/ioc.h"
#include "common/wstr.h"
#include "credspec_sample.h"
#include "gmsa/ccg.h"
#include "gmsa/gmsa_util.h"
#include "hcs/document.h"
#include "hcsd_validate.h"
#include "runtime/rt_hcs.h"
#include "spec/spec.h"
#include "testutil.h"

#define WAIT_MS 30000
#define APP_LAYER_ID "6ba9cac1-7086-5ee9-a197-c465d3f50ad7"
#define BASE_LAYER_ID "8e7d9c68-2c33-4a5b-9e0f-0123456789ab"
#define SIGNALED_EXIT 0xC000013Au

static wctr_ioc *g_ioc;
static rt_runtime *g_rt;
static char g_root[MAX_PATH * 3];   /* the suite's folder */
static char g_state[MAX_PATH * 3];  /* the double's state folder */
static char g_app[MAX_PATH * 3], g_base[MAX_PATH * 3];
static char g_child[MAX_PATH * 3];  /* hcsd_child.exe */
static unsigned g_serial;

/* --- the fake host -------------------------------------------------------------------------------------- */

typedef struct host_calls {
  CRITICAL_SECTION lock;
  int materialized;
  int cleaned;
  char last_sid[80];
  char last_id[65];
} host_calls;
static host_calls g_host;

static char *xstrdup(const char *s) {
  char *d = strdup(s);
  assert_non_null(d);
  return d;
}

static wctr_err image_resolve(void *ctx, const char *ref, rt_image *out, wctr_errmsg *e) {
  (void)ctx;
  memset(out, 0, sizeof *out);
  const char *version = NULL;
  if (strcmp(ref, "testimg") == 0 || strcmp(ref, "testimg:latest") == 0) version = "10.0.20348.1";
  if (strcmp(ref, "oldimg") == 0 || strcmp(ref, "oldimg:latest") == 0) version = "10.0.17763.1";
  if (version == NULL) return wctr_fail(e, WCTR_ENOENT, "No such image: %s", ref);
  out->name = xstrdup(strncmp(ref, "testimg", 7) == 0 ? "testimg:latest" : "oldimg:latest");
  out->layer_count = 2;
  out->layer_ids = calloc(2, sizeof *out->layer_ids);
  out->layer_paths = calloc(2, sizeof *out->layer_paths);
  assert_non_null(out->layer_ids);
  assert_non_null(out->layer_paths);
  out->layer_ids[0] = xstrdup(APP_LAYER_ID);
  out->layer_ids[1] = xstrdup(BASE_LAYER_ID);
  out->layer_paths[0] = xstrdup(g_app);
  out->layer_paths[1] = xstrdup(g_base);
  snprintf(out->os_version, sizeof out->os_version, "%s", version);
  out->cmd_count = 3;
  out->cmd = calloc(3, sizeof *out->cmd);
  assert_non_null(out->cmd);
  out->cmd[0] = xstrdup(g_child);
  out->cmd[1] = xstrdup("out");
  out->cmd[2] = xstrdup("from-image");
  out->user = xstrdup("ContainerAdministrator");
  return WCTR_OK;
}

static void container_dir(const char *id, char *out, size_t size) {
  snprintf(out, size, "%s\\containers\\%s", g_root, id);
}

/* As the service's: <container dir>\secrets with one file per reference. */
static wctr_err secrets_materialize(void *ctx, const char *id, const spec_container *spec, const char *reader_sid,
                                    char *dir, size_t dir_size, wctr_errmsg *e) {
  (void)ctx;
  EnterCriticalSection(&g_host.lock);
  g_host.materialized++;
  snprintf(g_host.last_sid, sizeof g_host.last_sid, "%s", reader_sid);
  snprintf(g_host.last_id, sizeof g_host.last_id, "%s", id);
  LeaveCriticalSection(&g_host.lock);
  char cdir[MAX_PATH * 3];
  container_dir(id, cdir, sizeof cdir);
  snprintf(dir, dir_size, "%s\\%s", cdir, RT_SECRETS_DIR_NAME);
  wctr_err err = wctr_fs_mkdir(dir, e);
  for (size_t i = 0; err == WCTR_OK && i < spec->secret_count; i++) {
    char file[MAX_PATH * 3];
    snprintf(file, sizeof file, "%s\\%s", dir, spec->secrets[i].target);
    err = wctr_fs_write_atomic(file, "value", 5, e);
  }
  return err;
}

static void secrets_cleanup(void *ctx, const char *id) {
  (void)ctx;
  EnterCriticalSection(&g_host.lock);
  g_host.cleaned++;
  LeaveCriticalSection(&g_host.lock);
  char dir[MAX_PATH * 3];
  container_dir(id, dir, sizeof dir);
  snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "\\%s", RT_SECRETS_DIR_NAME);
  wctr_errmsg e;
  wctr_fs_remove_tree(dir, &e);
}

/* --- events ------------------------------------------------------------------------------------------------ */

typedef struct rec {
  CRITICAL_SECTION lock;
  char *out;
  size_t out_len;
  char *err;
  size_t err_len;
  int exited;
  int after_exit; /* events that came after exited */
  int ooms;
  rt_exit exit;
  HANDLE done;
} rec;

static void append(char **buf, size_t *len, const char *data, size_t n) {
  char *grown = realloc(*buf, *len + n + 1);
  assert_non_null(grown);
  memcpy(grown + *len, data, n);
  *len += n;
  grown[*len] = '\0';
  *buf = grown;
}

static void ev_output(void *ctx, void *key, rt_stream stream, const char *data, size_t len) {
  (void)ctx;
  rec *r = key;
  EnterCriticalSection(&r->lock);
  if (r->exited > 0) r->after_exit++;
  if (stream == RT_STDOUT) {
    append(&r->out, &r->out_len, data, len);
  } else {
    append(&r->err, &r->err_len, data, len);
  }
  LeaveCriticalSection(&r->lock);
}

static void ev_oom(void *ctx, void *key) {
  (void)ctx;
  rec *r = key;
  EnterCriticalSection(&r->lock);
  if (r->exited > 0) r->after_exit++;
  r->ooms++;
  LeaveCriticalSection(&r->lock);
}

static void ev_exited(void *ctx, void *key, const rt_exit *x) {
  (void)ctx;
  rec *r = key;
  EnterCriticalSection(&r->lock);
  if (r->exited > 0) r->after_exit++;
  r->exited++;
  r->exit = *x;
  LeaveCriticalSection(&r->lock);
  SetEvent(r->done);
}

static rt_options options(void) {
  rt_options o = {
      .ioc = g_ioc,
      .events = {.ctx = NULL, .output = ev_output, .oom = ev_oom, .exited = ev_exited},
      .host = {.ctx = NULL, .secrets_materialize = secrets_materialize, .secrets_cleanup = secrets_cleanup,
               .image_resolve = image_resolve},
      .host_cpus = 2,
      .host_os_version = "10.0.20348",
  };
  return o;
}

/* --- containers ------------------------------------------------------------------------------------------ */

typedef struct ctr {
  char id[65];
  char name[32];
  char dir[MAX_PATH * 3];
  spec_container spec;
  rec r;
  rt_args a;
  rt_task *t;
  rt_started info;
} ctr;

/* {"Image": image, "Cmd": [hcsd_child, args...], "HostConfig": {"Isolation": isolation}}; args NULL-ended. */
static cJSON *params_new(const char *image, const char *isolation, ...) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Image", image);
  va_list ap;
  va_start(ap, isolation);
  const char *arg = va_arg(ap, const char *);
  if (arg != NULL) {
    cJSON *cmd = cJSON_AddArrayToObject(p, "Cmd");
    cJSON_AddItemToArray(cmd, cJSON_CreateString(g_child));
    for (; arg != NULL; arg = va_arg(ap, const char *)) cJSON_AddItemToArray(cmd, cJSON_CreateString(arg));
  }
  va_end(ap);
  cJSON *hc = cJSON_AddObjectToObject(p, "HostConfig");
  cJSON_AddStringToObject(hc, "Isolation", isolation);
  return p;
}

/* The spec from params (deleted), prepared by the runtime; a container folder of its own. */
static void ctr_init(ctr *c, cJSON *params) {
  memset(c, 0, sizeof c[0]);
  snprintf(c->id, sizeof c->id, "%08lx%08x%048x", (unsigned long)GetCurrentProcessId(), ++g_serial, 0xabcu);
  snprintf(c->name, sizeof c->name, "rt-%u", g_serial);
  container_dir(c->id, c->dir, sizeof c->dir);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(c->dir, &e), WCTR_OK);
  spec_warnings w = {0};
  if (spec_from_json(params, "params", 2, &c->spec, &w, &e) != WCTR_OK) fail_msg("spec: %s", e.text);
  cJSON_Delete(params);
  if (g_rt->methods->prepare(g_rt, &c->spec, false, &w, &e) != WCTR_OK) fail_msg("prepare: %s", e.text);
  InitializeCriticalSection(&c->r.lock);
  c->r.done = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(c->r.done);
  c->a = (rt_args){.id = c->id, .name = c->name, .spec = &c->spec, .container_dir = c->dir, .key = &c->r};
}

static void ctr_start(ctr *c) {
  wctr_errmsg e;
  wctr_err err = g_rt->methods->start(g_rt, &c->a, &c->t, &c->info, &e);
  if (err != WCTR_OK) fail_msg("start %s: %s", c->name, e.text);
  assert_non_null(c->t);
}

static void ctr_wait(ctr *c) {
  if (WaitForSingleObject(c->r.done, WAIT_MS) != WAIT_OBJECT_0) fail_msg("%s did not exit within %d s", c->name, WAIT_MS / 1000);
}

/* Release, then make sure nothing more is reported. */
static void ctr_release(ctr *c) {
  if (c->t != NULL) c->t->runtime->methods->release(c->t);
  c->t = NULL;
  Sleep(100);
  EnterCriticalSection(&c->r.lock);
  assert_int_equal(c->r.exited, 1);
  assert_int_equal(c->r.after_exit, 0);
  LeaveCriticalSection(&c->r.lock);
}

static void ctr_free(ctr *c) {
  spec_free(&c->spec);
  cJSON_Delete(c->info.state);
  free(c->r.out);
  free(c->r.err);
  CloseHandle(c->r.done);
  DeleteCriticalSection(&c->r.lock);
  wctr_errmsg e;
  wctr_fs_remove_tree(c->dir, &e);
}

static void signal_ok(ctr *c, rt_signal sig) {
  wctr_errmsg e;
  if (c->t->runtime->methods->signal(c->t, sig, &e) != WCTR_OK) fail_msg("signal %s: %s", c->name, e.text);
}

/* --- the double's files ------------------------------------------------------------------------------------ */

static char *read_text(const char *path) {
  char *text = NULL;
  size_t len = 0;
  if (wctr_fs_read_all(path, 64u * 1024u * 1024u, &text, &len) != WCTR_OK) return NULL;
  return text;
}

/* The call-log lines with "call" == call and, when given, "id" == id or "path" == path. */
static cJSON *calls(const char *call, const char *id, const char *path) {
  char file[MAX_PATH * 3];
  snprintf(file, sizeof file, "%s\\calls.jsonl", g_state);
  char *text = read_text(file);
  cJSON *out = cJSON_CreateArray();
  if (text == NULL) return out; /* no call yet */
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "call");
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
    bool match = cJSON_IsString(c) && strcmp(c->valuestring, call) == 0 &&
                 (id == NULL || (cJSON_IsString(i) && strcmp(i->valuestring, id) == 0)) &&
                 (path == NULL || (cJSON_IsString(p) && strcmp(p->valuestring, path) == 0));
    if (match) {
      cJSON_AddItemToArray(out, j);
    } else {
      cJSON_Delete(j);
    }
  }
  free(text);
  return out;
}

static int count_calls(const char *call, const char *id, const char *path) {
  cJSON *l = calls(call, id, path);
  int n = cJSON_GetArraySize(l);
  cJSON_Delete(l);
  return n;
}

/* Is id among state.json's member (Systems or CcgInstances)? */
static bool in_state(const char *member, const char *id) {
  char file[MAX_PATH * 3];
  snprintf(file, sizeof file, "%s\\state.json", g_state);
  char *text = read_text(file);
  if (text == NULL) return false;
  cJSON *j = cJSON_Parse(text);
  free(text);
  assert_non_null(j);
  bool found = false;
  const cJSON *item;
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(j, member)) {
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(item, "Id");
    if (cJSON_IsString(i) && _stricmp(i->valuestring, id) == 0) found = true;
  }
  cJSON_Delete(j);
  return found;
}

static void control(const char *text) {
  char file[MAX_PATH * 3];
  snprintf(file, sizeof file, "%s\\control.txt", g_state);
  if (text == NULL) {
    wctr_fs_remove(file);
    return;
  }
  wctr_errmsg e;
  assert_int_equal(wctr_fs_write_atomic(file, text, strlen(text), &e), WCTR_OK);
}

/* Is the storage filter attached to the container's sandbox, as the call log tells: its last attach or
 * detach was an attach. */
static bool filter_attached(const ctr *c) {
  char sandbox[MAX_PATH * 3];
  snprintf(sandbox, sizeof sandbox, "%s\\sandbox", c->dir);
  char file[MAX_PATH * 3];
  snprintf(file, sizeof file, "%s\\calls.jsonl", g_state);
  char *text = read_text(file);
  bool attached = false;
  char *save = NULL;
  for (char *line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL; line = strtok_r(NULL, "\n", &save)) {
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j);
    const cJSON *call = cJSON_GetObjectItemCaseSensitive(j, "call");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(j, "path");
    if (cJSON_IsString(path) && strcmp(path->valuestring, sandbox) == 0 && cJSON_IsString(call) &&
        cJSON_GetObjectItemCaseSensitive(j, "injected") == NULL) {
      if (strcmp(call->valuestring, "HcsAttachLayerStorageFilter") == 0) attached = true;
      if (strcmp(call->valuestring, "HcsDetachLayerStorageFilter") == 0) attached = false;
    }
    cJSON_Delete(j);
  }
  free(text);
  return attached;
}

/* Nothing of the container is left in HCS: no compute system, no CCG instance, no attached filter. */
static void assert_nothing_left(const ctr *c) {
  char vm[80];
  snprintf(vm, sizeof vm, "%s%s", c->id, RT_HCS_UVM_SUFFIX);
  assert_false(in_state("Systems", c->id));
  assert_false(in_state("Systems", vm));
  assert_false(in_state("CcgInstances", c->id));
  assert_false(filter_attached(c));
}

/* --- tests: a process-isolated container ----------------------------------------------------------------- */

static void test_process_output_and_exit(void **state) {
  (void)state;
  ctr c;
  const char *text = "hello\r\nw\xc3\xb6rld \xe2\x9c\x93\n\ttabs and  spaces\n";
  ctr_init(&c, params_new("testimg", "process", "out", text, "err", "to-stderr", "exit", "7", NULL));
  assert_string_equal(c.spec.image, "testimg:latest"); /* prepare: the catalog's name */
  ctr_start(&c);
  assert_true(c.info.pid != 0);
  assert_string_equal(c.info.identity, "ContainerAdministrator"); /* the image's user */
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(c.info.state, "Type")->valuestring, "hcs");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(c.info.state, "SystemId")->valuestring, c.id);
  char sandbox[MAX_PATH * 3];
  snprintf(sandbox, sizeof sandbox, "%s\\sandbox", c.dir);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(c.info.state, "Sandbox")->valuestring, sandbox);
  assert_null(cJSON_GetObjectItemCaseSensitive(c.info.state, "UtilityVm"));
  assert_true(filter_attached(&c)); /* until release */
  ctr_wait(&c);
  assert_true(filter_attached(&c));
  EnterCriticalSection(&c.r.lock);
  assert_int_equal(c.r.out_len, strlen(text));
  assert_memory_equal(c.r.out, text, strlen(text));
  assert_string_equal(c.r.err, "to-stderr");
  assert_int_equal(c.r.exit.code, 7);
  assert_string_equal(c.r.exit.why, "");
  assert_false(c.r.exit.oom_killed);
  LeaveCriticalSection(&c.r.lock);
  /* The documents the double accepted: one system, one process, the filter attached over the sandbox. */
  assert_int_equal(count_calls("HcsCreateComputeSystem", c.id, NULL), 1);
  assert_int_equal(count_calls("HcsInitializeWritableLayer", NULL, sandbox), 1);
  assert_int_equal(count_calls("HcsAttachLayerStorageFilter", NULL, sandbox), 1);
  ctr_release(&c);
  assert_nothing_left(&c);
  assert_int_equal(count_calls("HcsDetachLayerStorageFilter", NULL, sandbox), 1);
  /* remove: the sandbox layer goes. */
  assert_true(wctr_fs_exists(sandbox));
  g_rt->methods->remove(g_rt, &c.a);
  assert_false(wctr_fs_exists(sandbox));
  assert_int_equal(count_calls("HcsDestroyLayer", NULL, sandbox), 1);
  ctr_free(&c);
}

static void test_image_command(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "process", NULL)); /* no Cmd: the image's */
  assert_int_equal(c.spec.process.cmd_count, 3);
  ctr_start(&c);
  ctr_wait(&c);
  assert_string_equal(c.r.out, "from-image");
  assert_int_equal(c.r.exit.code, 0);
  ctr_release(&c);
  ctr_free(&c);
}

static void test_stdin_cat(void **state) {
  (void)state;
  ctr c;
  cJSON *p = params_new("testimg", "process", "cat", NULL);
  cJSON_AddBoolToObject(p, "OpenStdin", true);
  ctr_init(&c, p);
  ctr_start(&c);
  /* 300 KiB of every byte value, in pieces: what reaches the container comes back out of cat. */
  enum { TOTAL = 300 * 1024, PIECE = 50 * 1024 };
  char *data = malloc(TOTAL);
  assert_non_null(data);
  for (size_t i = 0; i < TOTAL; i++) data[i] = (char)(i * 7 + i / 256);
  wctr_errmsg e;
  for (size_t at = 0; at < TOTAL; at += PIECE) {
    if (c.t->runtime->methods->stdin_write(c.t, data + at, PIECE, &e) != WCTR_OK) fail_msg("stdin_write: %s", e.text);
  }
  if (c.t->runtime->methods->stdin_close(c.t, &e) != WCTR_OK) fail_msg("stdin_close: %s", e.text);
  assert_int_equal(c.t->runtime->methods->stdin_write(c.t, "x", 1, &e), WCTR_EPIPE);
  ctr_wait(&c);
  EnterCriticalSection(&c.r.lock);
  assert_int_equal(c.r.out_len, TOTAL + 5);
  assert_memory_equal(c.r.out, data, TOTAL);
  assert_memory_equal(c.r.out + TOTAL, "<eof>", 5);
  assert_int_equal(c.r.exit.code, 0);
  LeaveCriticalSection(&c.r.lock);
  free(data);
  /* HCS relays stdin: its end of file is HcsModifyProcess CloseHandle StdIn. */
  cJSON *mods = calls("HcsModifyProcess", NULL, NULL);
  bool closed = false;
  const cJSON *m;
  cJSON_ArrayForEach(m, mods) {
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "document"), "CloseHandle"), "Handle");
    if (cJSON_IsString(h) && strcmp(h->valuestring, "StdIn") == 0) closed = true;
  }
  cJSON_Delete(mods);
  assert_true(closed);
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);
}

static void test_stop_signal(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "process", "sleep", "60000", NULL));
  ctr_start(&c);
  assert_int_equal(WaitForSingleObject(c.r.done, 300), WAIT_TIMEOUT); /* it runs */
  ULONGLONG t0 = GetTickCount64();
  signal_ok(&c, RT_SIGNAL_STOP);
  ctr_wait(&c);
  assert_true(GetTickCount64() - t0 < 15000);
  assert_int_equal(c.r.exit.code, (int64_t)SIGNALED_EXIT); /* what the double's signal ends it with */
  assert_string_equal(c.r.exit.why, "");
  assert_int_equal(count_calls("HcsSignalProcess", NULL, NULL) > 0, 1);
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);
}

static void test_kill(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "process", "out", "before", "sleep", "60000", NULL));
  ctr_start(&c);
  assert_int_equal(WaitForSingleObject(c.r.done, 300), WAIT_TIMEOUT);
  /* stats while it runs: HCS's Statistics and ProcessList. */
  rt_stats s;
  wctr_errmsg e;
  if (c.t->runtime->methods->stats(c.t, &s, &e) != WCTR_OK) fail_msg("stats: %s", e.text);
  assert_true(s.processes >= 1);
  assert_true(s.memory_peak_bytes >= s.memory_bytes);
  assert_int_equal(c.t->runtime->methods->update(c.t, &c.spec.resources, NULL, &e), WCTR_ENOTSUP);
  assert_non_null(strstr(e.text, "process isolation"));
  signal_ok(&c, RT_SIGNAL_KILL);
  ctr_wait(&c);
  assert_int_equal(c.r.exit.code, RT_KILLED_EXIT_CODE);
  assert_string_equal(c.r.exit.why, "");
  assert_string_equal(c.r.out, "before");
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);
}

/* --- tests: Hyper-V ----------------------------------------------------------------------------------------- */

static void test_hyperv(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "hyperv", "out", "in-vm", "exit", "5", NULL));
  ctr_start(&c);
  char vm[80];
  snprintf(vm, sizeof vm, "%s%s", c.id, RT_HCS_UVM_SUFFIX);
  const cJSON *uvm = cJSON_GetObjectItemCaseSensitive(c.info.state, "UtilityVm");
  assert_non_null(uvm);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(uvm, "Id")->valuestring, vm);
  assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(uvm, "MemoryMB")->valuedouble, HCS_UVM_DEFAULT_MB);
  assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(uvm, "ProcessorCount")->valuedouble, HCS_UVM_DEFAULT_CPUS);
  ctr_wait(&c);
  assert_string_equal(c.r.out, "in-vm");
  assert_int_equal(c.r.exit.code, 5);
  assert_string_equal(c.r.exit.why, "");
  /* The utility VM, its scratch disk hot-added, then the container it hosts. */
  cJSON *l = calls("HcsCreateComputeSystem", vm, NULL);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 0), "document"),
                                                   "VirtualMachine"));
  cJSON_Delete(l);
  l = calls("HcsCreateComputeSystem", c.id, NULL);
  assert_int_equal(cJSON_GetArraySize(l), 1);
  const cJSON *hosting =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 0), "document"), "HostingSystemId");
  assert_string_equal(hosting->valuestring, vm);
  cJSON_Delete(l);
  assert_int_equal(count_calls("HcsModifyComputeSystem", vm, NULL), 1);
  assert_int_equal(count_calls("HcsGrantVmAccess", NULL, NULL) >= 2, 1);
  char scratch[MAX_PATH * 3];
  snprintf(scratch, sizeof scratch, "%s\\uvm\\sandbox.vhdx", c.dir);
  assert_true(wctr_fs_exists(scratch));
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);
}

/* A utility VM that crashes takes its container with it: the exit code is unknown and why says so. */
static void test_hyperv_vm_crash(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "hyperv", "sleep", "60000", NULL));
  ctr_start(&c);
  char rule[120];
  snprintf(rule, sizeof rule, "crash %s%s\n", c.id, RT_HCS_UVM_SUFFIX);
  control(rule);
  rt_stats s;
  wctr_errmsg e;
  c.t->runtime->methods->stats(c.t, &s, &e); /* any call makes the double read the rule */
  ctr_wait(&c);
  control(NULL);
  assert_int_equal(c.r.exit.code, -1);
  if (strstr(c.r.exit.why, "utility VM exited (UnexpectedExit") == NULL) fail_msg("why: \"%s\"", c.r.exit.why);
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);
}

/* --- tests: secrets, CCG, failures ------------------------------------------------------------------------ */

static void test_secrets_and_ccg(void **state) {
  (void)state;
  ctr c;
  cJSON *p = params_new("testimg", "process", "exit", "0", NULL);
  cJSON *secrets = cJSON_AddArrayToObject(p, "Secrets");
  cJSON *ref = cJSON_CreateObject();
  cJSON_AddStringToObject(ref, "Name", "db");
  cJSON_AddItemToArray(secrets, ref);
  cJSON_AddStringToObject(p, "User", "ContainerUser");
  ctr_init(&c, p);
  c.spec.credspec_json = xstrdup(sample_spec);
  int materialized = g_host.materialized, cleaned = g_host.cleaned;
  ctr_start(&c);
  assert_int_equal(g_host.materialized, materialized + 1);
  assert_string_equal(g_host.last_sid, "S-1-5-93-2-2"); /* ContainerUser */
  assert_true(in_state("CcgInstances", c.id));
  /* The document maps the secrets folder read-only and carries the CCG instance HCS made. */
  cJSON *l = calls("HcsCreateComputeSystem", c.id, NULL);
  const cJSON *container =
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 0), "document"), "Container");
  assert_non_null(cJSON_GetObjectItemCaseSensitive(container, "ContainerCredentialGuard"));
  char folder[MAX_PATH * 3];
  snprintf(folder, sizeof folder, "%s\\%s", c.dir, RT_SECRETS_DIR_NAME);
  bool mapped = false;
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(container, "MappedDirectories")) {
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(m, "HostPath");
    const cJSON *guest = cJSON_GetObjectItemCaseSensitive(m, "ContainerPath");
    if (cJSON_IsString(host) && strcmp(host->valuestring, folder) == 0 && cJSON_IsString(guest) &&
        strcmp(guest->valuestring, RT_SECRETS_CONTAINER_PATH) == 0 &&
        cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "ReadOnly"))) {
      mapped = true;
    }
  }
  cJSON_Delete(l);
  assert_true(mapped);
  ctr_wait(&c);
  assert_int_equal(c.r.exit.code, 0);
  assert_int_equal(g_host.cleaned, cleaned);
  ctr_release(&c);
  assert_int_equal(g_host.cleaned, cleaned + 1);
  assert_false(wctr_fs_exists(folder));
  assert_nothing_left(&c);
  ctr_free(&c);
}

/* A start that fails leaves nothing: no system, no CCG instance, no secrets, no sandbox it created. */
static void test_failed_start_leaves_nothing(void **state) {
  (void)state;
  ctr c;
  cJSON *p = params_new("testimg", "process", "exit", "0", NULL);
  cJSON *secrets = cJSON_AddArrayToObject(p, "Secrets");
  cJSON *ref = cJSON_CreateObject();
  cJSON_AddStringToObject(ref, "Name", "db");
  cJSON_AddItemToArray(secrets, ref);
  ctr_init(&c, p);
  c.spec.credspec_json = xstrdup(sample_spec);
  int cleaned = g_host.cleaned;
  control("fail HcsCreateProcess:1:0x80070002\n");
  wctr_errmsg e;
  wctr_err err = g_rt->methods->start(g_rt, &c.a, &c.t, &c.info, &e);
  control(NULL);
  assert_int_equal(err, WCTR_ENOENT);
  assert_non_null(strstr(e.text, "HcsCreateProcess"));
  assert_null(c.t);
  assert_int_equal(g_host.cleaned, cleaned + 1);
  char sandbox[MAX_PATH * 3];
  snprintf(sandbox, sizeof sandbox, "%s\\sandbox", c.dir);
  assert_false(wctr_fs_exists(sandbox));
  assert_nothing_left(&c);
  Sleep(100);
  assert_int_equal(c.r.exited, 0); /* nothing is reported for a start that failed */
  ctr_free(&c);
}

/* --- tests: dry run ----------------------------------------------------------------------------------------- */

static void validate_calls(const cJSON *list, bool hyperv) {
  char msg[1200];
  const cJSON *call;
  int n = 0;
  cJSON_ArrayForEach(call, list) {
    n++;
    const char *name = cJSON_GetObjectItemCaseSensitive(call, "call")->valuestring;
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(call, "document");
    bool ok = true;
    msg[0] = '\0';
    if (strcmp(name, "HcsInitializeWritableLayer") == 0 || strcmp(name, "HcsAttachLayerStorageFilter") == 0) {
      ok = hv_check_type(doc, "LayerData", "LayerData", msg, sizeof msg);
    } else if (strcmp(name, "HcsModifyServiceSettings") == 0) {
      hv_service_request kind;
      ok = hv_check_service_modification(doc, &kind, msg, sizeof msg) && kind == HV_CCG_ADD;
    } else if (strcmp(name, "HcsCreateComputeSystem") == 0) {
      hv_system_kind kind;
      ok = hv_check_compute_system(doc, &kind, msg, sizeof msg);
    } else if (strcmp(name, "HcsModifyComputeSystem") == 0) {
      ok = hyperv && hv_check_modify_setting(doc, true, msg, sizeof msg);
    } else if (strcmp(name, "HcsCreateProcess") == 0) {
      ok = hv_check_process_parameters(doc, msg, sizeof msg);
    } else {
      fail_msg("unexpected call %s", name);
    }
    if (!ok) fail_msg("%s: %s", name, msg);
  }
  assert_int_equal(n, hyperv ? 6 : 5);
}

static void test_plan(void **state) {
  (void)state;
  for (int hyperv = 0; hyperv < 2; hyperv++) {
    ctr c;
    cJSON *p = params_new("testimg", hyperv ? "hyperv" : "process", "out", "x", NULL);
    cJSON *secrets = cJSON_AddArrayToObject(p, "Secrets");
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "Name", "db");
    cJSON_AddItemToArray(secrets, ref);
    cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(p, "HostConfig"), "Memory", 512.0 * 1024 * 1024);
    ctr_init(&c, p);
    c.spec.credspec_json = xstrdup(sample_spec);
    int materialized = g_host.materialized;
    cJSON *list = NULL;
    spec_warnings w = {0};
    wctr_errmsg e;
    if (g_rt->methods->plan(g_rt, &c.a, &list, &w, &e) != WCTR_OK) fail_msg("plan: %s", e.text);
    validate_calls(list, hyperv != 0);
    char *text = cJSON_PrintUnformatted(list);
    assert_null(strstr(text, SAMPLE_SPEC_SECRET)); /* PluginInput redacted */
    cJSON_free(text);
    cJSON_Delete(list);
    /* Nothing was created. */
    assert_int_equal(count_calls("HcsCreateComputeSystem", c.id, NULL), 0);
    assert_int_equal(g_host.materialized, materialized);
    assert_false(in_state("CcgInstances", c.id));
    ctr_free(&c);
  }
}

/* --- tests: prepare ----------------------------------------------------------------------------------------- */

static void test_prepare_rules(void **state) {
  (void)state;
  wctr_errmsg e;
  spec_warnings w = {0};
  spec_container s;
  cJSON *p = params_new("nosuch", "process", "exit", "0", NULL);
  assert_int_equal(spec_from_json(p, "params", 2, &s, &w, &e), WCTR_OK);
  assert_int_equal(g_rt->methods->prepare(g_rt, &s, true, &w, &e), WCTR_ENOENT);
  assert_string_equal(e.text, "No such image: nosuch");
  spec_free(&s);
  cJSON_Delete(p);
  /* Process isolation refuses an image for another Windows; Hyper-V runs it. */
  p = params_new("oldimg", "process", "exit", "0", NULL);
  assert_int_equal(spec_from_json(p, "params", 2, &s, &w, &e), WCTR_OK);
  assert_int_equal(g_rt->methods->prepare(g_rt, &s, false, &w, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "--isolation=hyperv"));
  assert_non_null(strstr(e.text, "oldimg:latest"));
  spec_free(&s);
  cJSON_Delete(p);
  p = params_new("oldimg", "hyperv", "exit", "0", NULL);
  cJSON_AddStringToObject(p, "User", "ContainerUser");
  assert_int_equal(spec_from_json(p, "params", 2, &s, &w, &e), WCTR_OK);
  assert_int_equal(g_rt->methods->prepare(g_rt, &s, false, &w, &e), WCTR_OK);
  assert_string_equal(s.image, "oldimg:latest");
  assert_string_equal(s.process.user, "ContainerUser"); /* the spec's user wins over the image's */
  assert_int_equal(s.process.cmd_count, 3);             /* the spec's command is kept */
  spec_free(&s);
  cJSON_Delete(p);
}

/* --- tests: wctrd restarts ---------------------------------------------------------------------------------- */

static void test_reattach_running(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "process", "sleep", "60000", NULL));
  ctr_start(&c);
  /* A second runtime, as a restarted wctrd opens it, takes the container back by its record. */
  rt_runtime *again = NULL;
  wctr_errmsg e;
  rt_options o = options();
  assert_int_equal(rt_hcs_open(&o, &again, &e), WCTR_OK);
  rec r2;
  memset(&r2, 0, sizeof r2);
  InitializeCriticalSection(&r2.lock);
  r2.done = CreateEventW(NULL, TRUE, FALSE, NULL);
  rt_args a = c.a;
  a.state = c.info.state;
  a.pid = c.info.pid;
  a.key = &r2;
  rt_task *t = NULL;
  rt_exit ended;
  if (again->methods->reattach(again, &a, &t, &ended, &e) != WCTR_OK) fail_msg("reattach: %s", e.text);
  assert_non_null(t);
  rt_stats s;
  if (t->runtime->methods->stats(t, &s, &e) != WCTR_OK) fail_msg("stats: %s", e.text);
  assert_true(s.processes >= 1);
  assert_int_equal(t->runtime->methods->signal(t, RT_SIGNAL_KILL, &e), WCTR_OK);
  if (WaitForSingleObject(r2.done, WAIT_MS) != WAIT_OBJECT_0) fail_msg("the re-attached container did not exit");
  assert_int_equal(r2.exited, 1);
  assert_int_equal(r2.exit.code, RT_KILLED_EXIT_CODE);
  assert_int_equal(r2.out_len, 0); /* no output after a reattach */
  t->runtime->methods->release(t);
  ctr_wait(&c); /* the first runtime's task saw the same end */
  assert_int_equal(c.r.exit.code, RT_KILLED_EXIT_CODE);
  ctr_release(&c);
  Sleep(100);
  assert_int_equal(r2.exited, 1);
  assert_int_equal(r2.after_exit, 0);
  again->methods->close(again);
  assert_nothing_left(&c);
  CloseHandle(r2.done);
  DeleteCriticalSection(&r2.lock);
  ctr_free(&c);
}

/* Gone after a restart: WCTR_ENOENT, nothing reported; cleanup then removes what the run left on the host
 * (the storage filter of a process-isolated one) and leaves its secrets folder to the service's start-up
 * sweep, which audits it. */
static void test_reattach_gone(void **state) {
  (void)state;
  for (int hyperv = 0; hyperv < 2; hyperv++) {
    ctr c;
    cJSON *p = params_new("testimg", hyperv ? "hyperv" : "process", "exit", "0", NULL);
    cJSON *secrets = cJSON_AddArrayToObject(p, "Secrets");
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "Name", "db");
    cJSON_AddItemToArray(secrets, ref);
    ctr_init(&c, p);
    cJSON *st = cJSON_CreateObject();
    char sandbox[MAX_PATH * 3];
    snprintf(sandbox, sizeof sandbox, "%s\\sandbox", c.dir);
    wctr_errmsg e;
    assert_int_equal(wctr_fs_mkdir(sandbox, &e), WCTR_OK); /* what the earlier run made */
    cJSON_AddStringToObject(st, "Sandbox", sandbox);
    c.a.state = st;
    c.a.pid = 4242;
    rt_task *t = NULL;
    rt_exit ended;
    assert_int_equal(g_rt->methods->reattach(g_rt, &c.a, &t, &ended, &e), WCTR_ENOENT);
    assert_null(t);
    assert_int_equal(ended.code, -1);
    assert_true(ended.why[0] != '\0');
    int detached = count_calls("HcsDetachLayerStorageFilter", NULL, sandbox);
    int cleaned = g_host.cleaned;
    g_rt->methods->cleanup(g_rt, &c.a);
    assert_int_equal(g_host.cleaned, cleaned);
    /* Only process isolation attaches a filter on the host. */
    assert_int_equal(count_calls("HcsDetachLayerStorageFilter", NULL, sandbox), detached + (hyperv ? 0 : 1));
    cJSON_Delete(st);
    c.a.state = NULL;
    Sleep(100);
    assert_int_equal(c.r.exited, 0);
    ctr_free(&c);
  }
}

/* --- tests: sweep --------------------------------------------------------------------------------------------- */

typedef HRESULT(WINAPI *modify_service_fn)(PCWSTR settings, PWSTR *result);

static void add_instance(const char *id) {
  modify_service_fn modify =
      (modify_service_fn)(void *)GetProcAddress(GetModuleHandleW(L"computecore.dll"), "HcsModifyServiceSettings");
  assert_non_null(modify);
  char *req = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_ccg_add_request(id, sample_spec, GMSA_CCG_LRPC, &req, &e), WCTR_OK);
  wchar_t *w = wctr_utf8_to_wide(req);
  gmsa_secret_free(req);
  PWSTR result = NULL;
  assert_int_equal(modify(w, &result), S_OK);
  if (result != NULL) LocalFree(result);
  free(w);
}

static void test_sweep(void **state) {
  (void)state;
  char orphan[65], running[65], foreign[65];
  snprintf(orphan, sizeof orphan, "%08lx%056x", (unsigned long)GetCurrentProcessId(), 1u);
  snprintf(running, sizeof running, "%08lx%056x", (unsigned long)GetCurrentProcessId(), 2u);
  snprintf(foreign, sizeof foreign, "%08lx%056x", (unsigned long)GetCurrentProcessId(), 3u);
  add_instance(orphan);
  add_instance(running);
  add_instance(foreign);
  const char *owned[] = {orphan, running};
  const char *live[] = {running};
  g_rt->methods->sweep(g_rt, owned, 2, live, 1);
  assert_false(in_state("CcgInstances", orphan));
  assert_true(in_state("CcgInstances", running)); /* it runs */
  assert_true(in_state("CcgInstances", foreign)); /* not this data root's */
  /* cleanup of a container whose run ended while wctrd was away removes its instance. */
  spec_container s;
  memset(&s, 0, sizeof s);
  s.isolation = WCTR_ISOLATION_PROCESS;
  s.credspec_json = xstrdup(sample_spec);
  rt_args a = {.id = running, .name = "gone", .spec = &s, .container_dir = g_root};
  g_rt->methods->cleanup(g_rt, &a);
  assert_false(in_state("CcgInstances", running));
  spec_free(&s);
  const char *all[] = {foreign};
  g_rt->methods->sweep(g_rt, all, 1, NULL, 0);
  assert_false(in_state("CcgInstances", foreign));
}

/* --- tests: threads ------------------------------------------------------------------------------------------- */

typedef NTSTATUS(NTAPI *query_thread_fn)(HANDLE, THREADINFOCLASS, PVOID, ULONG, PULONG);

/* This process's threads, less the HCS double's own (it watches every process with a thread of its own,
 * as a stand-in for the HCS service; those threads start in computecore.dll). */
static int our_threads(int *all) {
  query_thread_fn query = (query_thread_fn)(void *)GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryInformationThread");
  HMODULE core = GetModuleHandleW(L"computecore.dll");
  MODULEINFO mi;
  memset(&mi, 0, sizeof mi);
  assert_non_null(query);
  assert_true(core != NULL && K32GetModuleInformation(GetCurrentProcess(), core, &mi, sizeof mi));
  uintptr_t lo = (uintptr_t)mi.lpBaseOfDll, hi = lo + mi.SizeOfImage;
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  assert_true(snap != INVALID_HANDLE_VALUE);
  THREADENTRY32 te;
  te.dwSize = sizeof te;
  int n = 0;
  *all = 0;
  DWORD me = GetCurrentProcessId();
  if (Thread32First(snap, &te)) {
    do {
      if (te.th32OwnerProcessID != me) continue;
      (*all)++;
      HANDLE h = OpenThread(THREAD_QUERY_INFORMATION, FALSE, te.th32ThreadID);
      uintptr_t start = 0;
      bool known = h != NULL && query(h, (THREADINFOCLASS)9 /* ThreadQuerySetWin32StartAddress */, &start,
                                      sizeof start, NULL) >= 0;
      if (h != NULL) CloseHandle(h);
      if (!(known && start >= lo && start < hi)) n++;
    } while (Thread32Next(snap, &te));
  }
  CloseHandle(snap);
  return n;
}

static void test_no_thread_per_container(void **state) {
  (void)state;
  enum { N = 10 };
  ctr *c = calloc(N + 1, sizeof *c);
  assert_non_null(c);
  /* One running first: whatever the first container costs once (a wait thread of HCS's callbacks, ...). */
  ctr_init(&c[N], params_new("testimg", "process", "sleep", "60000", NULL));
  ctr_start(&c[N]);
  Sleep(200);
  int base_all = 0, running_all = 0;
  int base = our_threads(&base_all);
  for (int i = 0; i < N; i++) {
    ctr_init(&c[i], params_new("testimg", "process", "out", "x", "sleep", "60000", NULL));
    ctr_start(&c[i]);
  }
  Sleep(500);
  int running = our_threads(&running_all);
  print_message("threads: %d with one container, %d with %d more (with the double's own: %d, %d)\n", base, running,
                N, base_all, running_all);
  /* Bounded, not N: a thread per container (or per stream) would add 10 or 20. */
  assert_true(running - base <= 3);
  for (int i = 0; i <= N; i++) {
    wctr_errmsg e;
    assert_int_equal(c[i].t->runtime->methods->signal(c[i].t, RT_SIGNAL_KILL, &e), WCTR_OK);
  }
  for (int i = 0; i <= N; i++) {
    ctr_wait(&c[i]);
    assert_int_equal(c[i].r.exit.code, RT_KILLED_EXIT_CODE);
    if (i < N) assert_string_equal(c[i].r.out, "x");
    ctr_release(&c[i]);
    assert_nothing_left(&c[i]);
    ctr_free(&c[i]);
  }
  free(c);
}

/* --- setup ----------------------------------------------------------------------------------------------------- */

static void exe_dir(wchar_t *out, size_t size) {
  GetModuleFileNameW(NULL, out, (DWORD)size);
  wchar_t *slash = wcsrchr(out, L'\\');
  if (slash != NULL) slash[1] = L'\0';
}

static bool exists_w(const wchar_t *path) { return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES; }

/* hcs/client.h loads computecore.dll from the executable's folder first: the double goes there, from where
 * the build put it or, when the executables were copied (the Windows runner), from ..\..\hcs_double. */
static void place_double(void) {
  wchar_t here[MAX_PATH], from[MAX_PATH], probe[MAX_PATH], full[MAX_PATH];
  exe_dir(here, MAX_PATH);
  wctr_test_native_path(HCSD_DLL_DIR, from, MAX_PATH);
  swprintf(probe, MAX_PATH, L"%ls\\computecore.dll", from);
  if (!exists_w(probe)) {
    swprintf(from, MAX_PATH, L"%ls..\\..\\hcs_double", here);
    GetFullPathNameW(from, MAX_PATH, full, NULL);
    wcscpy_s(from, MAX_PATH, full);
  }
  static const wchar_t *const dlls[] = {L"computecore.dll", L"computestorage.dll"};
  for (int i = 0; i < 2; i++) {
    wchar_t src[MAX_PATH], dst[MAX_PATH];
    swprintf(src, MAX_PATH, L"%ls\\%ls", from, dlls[i]);
    swprintf(dst, MAX_PATH, L"%ls%ls", here, dlls[i]);
    if (!CopyFileW(src, dst, FALSE)) {
      fprintf(stderr, "cannot copy %ls to %ls (error %lu)\n", src, dst, (unsigned long)GetLastError());
      exit(1);
    }
  }
  wchar_t child[MAX_PATH];
  wctr_test_native_path(HCSD_CHILD_EXE, child, MAX_PATH);
  if (!exists_w(child)) {
    swprintf(child, MAX_PATH, L"%ls..\\hcs_double\\hcsd_child.exe", here);
    GetFullPathNameW(child, MAX_PATH, full, NULL);
    wcscpy_s(child, MAX_PATH, full);
  }
  WideCharToMultiByte(CP_UTF8, 0, child, -1, g_child, sizeof g_child, NULL, NULL);
}

static void mkdirs(const char *base, const char *const *subs) {
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(base, &e), WCTR_OK);
  for (size_t i = 0; subs[i] != NULL; i++) {
    char p[MAX_PATH * 3];
    snprintf(p, sizeof p, "%s\\%s", base, subs[i]);
    assert_int_equal(wctr_fs_mkdir(p, &e), WCTR_OK);
  }
}


static int setup(void **state) {
  (void)state;
  InitializeCriticalSection(&g_host.lock);
  place_double();
  wchar_t temp[MAX_PATH];
  GetTempPathW(MAX_PATH, temp);
  char temp8[MAX_PATH * 3], unique[80];
  WideCharToMultiByte(CP_UTF8, 0, temp, -1, temp8, sizeof temp8, NULL, NULL);
  wctr_test_unique_name("wctr-rthcs", unique, sizeof unique);
  snprintf(g_root, sizeof g_root, "%s%s", temp8, unique);
  snprintf(g_state, sizeof g_state, "%s\\hcs-state", g_root);
  snprintf(g_app, sizeof g_app, "%s\\layers\\app", g_root);
  snprintf(g_base, sizeof g_base, "%s\\layers\\base", g_root);
  static const char *const root_subs[] = {"containers", "layers", "hcs-state", NULL};
  static const char *const app_subs[] = {"Files", NULL};
  static const char *const base_subs[] = {"Files", "Files\\Windows", "UtilityVM", "UtilityVM\\Files", NULL};
  mkdirs(g_root, root_subs);
  mkdirs(g_app, app_subs);
  mkdirs(g_base, base_subs);
  char vhdx[MAX_PATH * 3];
  snprintf(vhdx, sizeof vhdx, "%s\\UtilityVM\\SystemTemplate.vhdx", g_base);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_write_atomic(vhdx, "template", 8, &e), WCTR_OK);
  /* Read once, when the double loads: a state folder of this run's own. */
  wchar_t *wstate = wctr_utf8_to_wide(g_state);
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", wstate);
  free(wstate);
  wctr_ioc_options io = {2, 4};
  if (wctr_ioc_start(&io, &g_ioc, &e) != WCTR_OK) fail_msg("ioc: %s", e.text);
  rt_options o = options();
  assert_int_equal(rt_hcs_open(&o, &g_rt, &e), WCTR_OK);
  const char *why = NULL;
  if (!g_rt->methods->available(g_rt, &why)) fail_msg("HCS double not loaded: %s", why);
  /* The double, not a real HCS: the module comes from this executable's folder. */
  wchar_t loaded[MAX_PATH], here[MAX_PATH];
  GetModuleFileNameW(GetModuleHandleW(L"computecore.dll"), loaded, MAX_PATH);
  exe_dir(here, MAX_PATH);
  if (_wcsnicmp(loaded, here, wcslen(here)) != 0) fail_msg("computecore.dll was loaded from %ls", loaded);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  g_rt->methods->close(g_rt);
  wctr_ioc_stop(g_ioc);
  wctr_errmsg e;
  wctr_fs_remove_tree(g_root, &e);
  DeleteCriticalSection(&g_host.lock);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prepare_rules),
      cmocka_unit_test(test_plan),
      cmocka_unit_test(test_process_output_and_exit),
      cmocka_unit_test(test_image_command),
      cmocka_unit_test(test_stdin_cat),
      cmocka_unit_test(test_stop_signal),
      cmocka_unit_test(test_kill),
      cmocka_unit_test(test_hyperv),
      cmocka_unit_test(test_hyperv_vm_crash),
      cmocka_unit_test(test_secrets_and_ccg),
      cmocka_unit_test(test_failed_start_leaves_nothing),
      cmocka_unit_test(test_reattach_running),
      cmocka_unit_test(test_reattach_gone),
      cmocka_unit_test(test_sweep),
      cmocka_unit_test(test_no_thread_per_container),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
