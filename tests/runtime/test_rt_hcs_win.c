/* tests/runtime/test_rt_hcs_win.c - the HCS runtime (runtime/rt_hcs.h) against the HCS test double, under
 * Wine and on Windows: a real I/O core, a small fake rt_host (an image catalog of two layer folders this
 * suite creates, with NameToGuid ids; a secrets hook that records its calls), and the double's
 * computecore.dll and vmcompute.dll copied next to this executable, where hcs/client.h loads them from. The
 * double validates every document, refuses what a real host refuses (storage, guest, processor), runs the
 * containers' processes for real (tests/hcs_double/hcsd_child), keeps its compute systems, mounted scratch
 * volumes and CCG instances in a state folder and logs every call; the suite reads both. */
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
#include "hcs/client.h"
#include "hcs/document.h"
#include "hcsd_validate.h"
#include "net/client.h"
#include "net/document.h"
#include "runtime/rt_hcs.h"
#include "spec/spec.h"
#include "testutil.h"

#define WAIT_MS 30000
#define SIGNALED_EXIT 0xC000013Au

static wctr_ioc *g_ioc;
static rt_runtime *g_rt;
static char g_root[MAX_PATH * 3];   /* the suite's folder */
static char g_state[MAX_PATH * 3];  /* the double's state folder */
static char g_app[MAX_PATH * 3], g_base[MAX_PATH * 3];
static char g_child[MAX_PATH * 3];  /* hcsd_child.exe */
static char g_app_id[HCS_GUID_SIZE], g_base_id[HCS_GUID_SIZE]; /* NameToGuid of the folders' names */
static char g_owner[HCS_OWNER_SIZE]; /* the runtime's Owner for g_root */
static hcs_client *g_client;         /* the suite's own client of the double, for what a crash leaves */
static net_client *g_net;            /* and of the networking double */
static int g_resolves;               /* network_resolve calls */
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
  out->layer_ids[0] = xstrdup(g_app_id);
  out->layer_ids[1] = xstrdup(g_base_id);
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

/* As the service's: a network by name from HNS; the default "nat" is created when the host has none. */
static wctr_err network_resolve(void *ctx, const char *name, rt_network *out, wctr_errmsg *e) {
  (void)ctx;
  memset(out, 0, sizeof *out);
  EnterCriticalSection(&g_host.lock);
  g_resolves++;
  LeaveCriticalSection(&g_host.lock);
  cJSON *q = net_doc_query("Name", name);
  cJSON *list = NULL;
  wctr_err err = net_networks_list(g_net, q, &list, e);
  cJSON_Delete(q);
  if (err != WCTR_OK) return err;
  net_network_info info;
  if (cJSON_GetArraySize(list) > 0) {
    err = net_network_info_read(cJSON_GetArrayItem(list, 0), &info, e);
  } else if (strcmp(name, "nat") == 0) {
    cJSON *doc = NULL, *props = NULL;
    char id[NET_GUID_SIZE];
    net_guid_for("suite", "nat", "network", id);
    err = net_doc_network("nat", NULL, NULL, &doc, e);
    if (err == WCTR_OK) err = net_network_create(g_net, id, doc, &props, NULL, e);
    if (err == WCTR_OK) err = net_network_info_read(props, &info, e);
    cJSON_Delete(doc);
    cJSON_Delete(props);
  } else {
    err = wctr_fail(e, WCTR_ENOENT, "network %s not found", name);
  }
  cJSON_Delete(list);
  if (err != WCTR_OK) return err;
  snprintf(out->name, sizeof out->name, "%s", name);
  snprintf(out->hns_id, sizeof out->hns_id, "%s", info.id);
  net_id_for_hns(info.id, out->id);
  return WCTR_OK;
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

/* Waits (at most 30 s: Wine under load is slow) until the run has written text to stdout. */
static void wait_output(rec *r, const char *text) {
  for (int i = 0; i < 3000; i++) {
    EnterCriticalSection(&r->lock);
    bool seen = r->out != NULL && strstr(r->out, text) != NULL;
    LeaveCriticalSection(&r->lock);
    if (seen) return;
    Sleep(10);
  }
  fail_msg("no \"%s\" on stdout", text);
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
               .image_resolve = image_resolve, .network_resolve = network_resolve},
      .host_cpus = 2,
      .host_os_version = "10.0.20348",
      .data_root = g_root,
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

/* Is the compute system id in state.json and not stopped? (A stopped one stays listed while a handle to it is
 * open.) */
static bool system_running(const char *id) {
  char file[MAX_PATH * 3];
  snprintf(file, sizeof file, "%s\\state.json", g_state);
  char *text = read_text(file);
  cJSON *j = text != NULL ? cJSON_Parse(text) : NULL;
  free(text);
  bool running = false;
  const cJSON *item;
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(j, "Systems")) {
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(item, "Id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(item, "State");
    if (cJSON_IsString(i) && _stricmp(i->valuestring, id) == 0 && cJSON_IsString(st) &&
        strcmp(st->valuestring, "Stopped") != 0) {
      running = true;
    }
  }
  cJSON_Delete(j);
  return running;
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

static void sandbox_of(const ctr *c, char *out, size_t size) { snprintf(out, size, "%s\\sandbox", c->dir); }

/* Is the container's scratch mounted, as the double's state.json tells (vmcompute's ActivateLayer until
 * DeactivateLayer)? */
static bool mounted(const ctr *c) {
  char sandbox[MAX_PATH * 3];
  sandbox_of(c, sandbox, sizeof sandbox);
  return in_state("Mounts", sandbox);
}

/* The position of the first call-log line after `after` with "call" == call and (when given) id or path,
 * or -1; lines are numbered from 0. */
static int call_at(const char *call, const char *id, const char *path, int after) {
  char file[MAX_PATH * 3];
  snprintf(file, sizeof file, "%s\\calls.jsonl", g_state);
  char *text = read_text(file);
  int n = 0, found = -1;
  char *save = NULL;
  for (char *line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL && found < 0;
       line = strtok_r(NULL, "\n", &save), n++) {
    if (n <= after) continue;
    cJSON *j = cJSON_Parse(line);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "call");
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(j, "id");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
    if (cJSON_IsString(c) && strcmp(c->valuestring, call) == 0 &&
        (id == NULL || (cJSON_IsString(i) && strcmp(i->valuestring, id) == 0)) &&
        (path == NULL || (cJSON_IsString(p) && strcmp(p->valuestring, path) == 0)) &&
        cJSON_GetObjectItemCaseSensitive(j, "injected") == NULL) {
      found = n;
    }
    cJSON_Delete(j);
  }
  free(text);
  return found;
}

/* Nothing of the container is left in HCS: no compute system, no CCG instance, no mounted scratch. */
static void assert_nothing_left(const ctr *c) {
  char vm[80], ep[NET_GUID_SIZE], ns[NET_GUID_SIZE];
  snprintf(vm, sizeof vm, "%s%s", c->id, RT_HCS_UVM_SUFFIX);
  assert_false(in_state("Systems", c->id));
  assert_false(in_state("Systems", vm));
  assert_false(in_state("CcgInstances", c->id));
  assert_false(mounted(c));
  net_guid_for(g_owner, c->id, "endpoint", ep);
  net_guid_for(g_owner, c->id, "namespace", ns);
  assert_false(in_state("Endpoints", ep));
  assert_false(in_state("Namespaces", ns));
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
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(c.info.state, "Owner")->valuestring, g_owner);
  assert_true(mounted(&c)); /* until release */
  /* Storage.Path is the volume GetLayerMountPath gave, and the record keeps it. */
  const char *volume = cJSON_GetObjectItemCaseSensitive(c.info.state, "StoragePath")->valuestring;
  assert_true(hv_is_volume_path(volume));
  cJSON *created = calls("HcsCreateComputeSystem", c.id, NULL);
  const cJSON *doc = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(created, 0), "document");
  const cJSON *storage = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Container"), "Storage");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(storage, "Path")->valuestring, volume);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(storage, "Layers"), 0),
                                                       "Id")->valuestring,
                      g_app_id);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "Owner")->valuestring, g_owner);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ShouldTerminateOnLastHandleClosed")));
  cJSON_Delete(created);
  ctr_wait(&c);
  assert_true(mounted(&c));
  EnterCriticalSection(&c.r.lock);
  assert_int_equal(c.r.out_len, strlen(text));
  assert_memory_equal(c.r.out, text, strlen(text));
  assert_string_equal(c.r.err, "to-stderr");
  assert_int_equal(c.r.exit.code, 7);
  assert_string_equal(c.r.exit.why, "");
  assert_false(c.r.exit.oom_killed);
  LeaveCriticalSection(&c.r.lock);
  /* hcsshim's order: the scratch VHD, its mount, the filter, the volume, then the system on it. */
  int created_at = call_at("CreateSandboxLayer", NULL, sandbox, -1);
  int activated = call_at("ActivateLayer", NULL, sandbox, created_at);
  int prepared = call_at("PrepareLayer", NULL, sandbox, activated);
  int volume_at = call_at("GetLayerMountPath", NULL, sandbox, prepared);
  int system_at = call_at("HcsCreateComputeSystem", c.id, NULL, volume_at);
  assert_true(created_at >= 0 && activated > created_at && prepared > activated && volume_at > prepared &&
              system_at > volume_at);
  assert_int_equal(count_calls("CreateSandboxLayer", NULL, sandbox), 1);
  assert_int_equal(count_calls("HcsCreateComputeSystem", c.id, NULL), 1);
  ctr_release(&c);
  assert_nothing_left(&c);
  /* Reverse: the system terminated, then UnprepareLayer, DeactivateLayer. */
  int terminated = call_at("HcsTerminateComputeSystem", c.id, NULL, system_at);
  int unprepared = call_at("UnprepareLayer", NULL, sandbox, terminated);
  assert_true(terminated > system_at && unprepared > terminated);
  assert_true(call_at("DeactivateLayer", NULL, sandbox, unprepared) > unprepared);
  /* remove: the writable layer goes. */
  assert_true(wctr_fs_exists(sandbox));
  g_rt->methods->remove(g_rt, &c.a);
  assert_false(wctr_fs_exists(sandbox));
  assert_int_equal(count_calls("DestroyLayer", NULL, sandbox), 1);
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
  /* Killed once it has written, so that the output before a kill is known to reach the log. */
  wait_output(&c.r, "before");
  assert_int_equal(WaitForSingleObject(c.r.done, 0), WAIT_TIMEOUT);
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

/* --- tests: exec (HcsCreateProcess in the running system) ------------------------------------------------ */

typedef struct xrec {
  CRITICAL_SECTION lock;
  char *out;
  size_t out_len;
  char *err;
  size_t err_len;
  int exited;
  int64_t code;
  HANDLE done;
} xrec;

static void xr_output(void *ctx, rt_stream stream, const char *data, size_t len) {
  xrec *x = ctx;
  EnterCriticalSection(&x->lock);
  if (stream == RT_STDOUT) {
    append(&x->out, &x->out_len, data, len);
  } else {
    append(&x->err, &x->err_len, data, len);
  }
  LeaveCriticalSection(&x->lock);
}

static void xr_exited(void *ctx, int64_t code) {
  xrec *x = ctx;
  EnterCriticalSection(&x->lock);
  x->exited++;
  x->code = code;
  LeaveCriticalSection(&x->lock);
  SetEvent(x->done);
}

static void xrec_init(xrec *x) {
  memset(x, 0, sizeof *x);
  InitializeCriticalSection(&x->lock);
  x->done = CreateEventW(NULL, TRUE, FALSE, NULL);
  assert_non_null(x->done);
}

static void xrec_free(xrec *x) {
  free(x->out);
  free(x->err);
  CloseHandle(x->done);
  DeleteCriticalSection(&x->lock);
}

static void xrec_wait(xrec *x) {
  if (WaitForSingleObject(x->done, WAIT_MS) != WAIT_OBJECT_0) fail_msg("the exec did not exit within %d s", WAIT_MS / 1000);
}

static void test_exec(void **state) {
  (void)state;
  ctr c;
  cJSON *p = params_new("testimg", "process", "sleep", "60000", NULL);
  cJSON *env = cJSON_AddArrayToObject(p, "Env");
  cJSON_AddItemToArray(env, cJSON_CreateString("FOO=container"));
  cJSON_AddItemToArray(env, cJSON_CreateString("BAR=kept"));
  ctr_init(&c, p);
  ctr_start(&c);
  const rt_methods *m = c.t->runtime->methods;
  assert_int_equal(m->version, RT_METHODS_V4);
  wctr_errmsg e;

  /* The container's environment, exec's -e winning; output on both streams; its own exit code. */
  xrec x;
  xrec_init(&x);
  char *c1[] = {g_child, (char *)"env", (char *)"FOO", (char *)"out", (char *)"|", (char *)"env", (char *)"BAR",
                (char *)"err", (char *)"on-stderr", (char *)"exit", (char *)"3", NULL};
  char *e1[] = {(char *)"foo=exec", NULL};
  spec_process p1 = {.cmd = c1, .cmd_count = 11, .env = e1, .env_count = 1, .user = (char *)"ContainerUser",
                     .working_dir = (char *)"C:\\"};
  rt_exec_events ev = {.ctx = &x, .output = xr_output, .exited = xr_exited};
  rt_proc *proc = NULL;
  uint32_t pid = 0;
  if (m->exec(c.t, &p1, &ev, &proc, &pid, &e) != WCTR_OK) fail_msg("exec: %s", e.text);
  assert_non_null(proc);
  assert_true(pid != 0);
  xrec_wait(&x);
  EnterCriticalSection(&x.lock);
  assert_string_equal(x.out, "exec|kept");
  assert_string_equal(x.err, "on-stderr");
  assert_int_equal(x.code, 3);
  assert_int_equal(x.exited, 1);
  LeaveCriticalSection(&x.lock);
  m->proc_release(proc);
  xrec_free(&x);
  /* What HCS was asked: a process in the container's system, with -u, -w and the merged environment. */
  cJSON *created = calls("HcsCreateProcess", c.id, NULL);
  assert_int_equal(cJSON_GetArraySize(created), 2);
  const cJSON *doc = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(created, 1), "document");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "User")->valuestring, "ContainerUser");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "WorkingDirectory")->valuestring, "C:\\");
  const cJSON *penv = cJSON_GetObjectItemCaseSensitive(doc, "Environment");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(penv, "foo")->valuestring, "exec");
  assert_null(cJSON_GetObjectItemCaseSensitive(penv, "FOO"));
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(penv, "BAR")->valuestring, "kept");
  assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "CreateStdInPipe")));
  cJSON_Delete(created);

  /* -i: stdin through HCS's pipe, end of file by HcsModifyProcess CloseHandle StdIn. */
  xrec_init(&x);
  char *c2[] = {g_child, (char *)"cat", NULL};
  spec_process p2 = {.cmd = c2, .cmd_count = 2, .open_stdin = true};
  ev.ctx = &x;
  if (m->exec(c.t, &p2, &ev, &proc, &pid, &e) != WCTR_OK) fail_msg("exec -i: %s", e.text);
  if (m->proc_stdin_write(proc, "typed", 5, &e) != WCTR_OK) fail_msg("proc_stdin_write: %s", e.text);
  if (m->proc_stdin_close(proc, &e) != WCTR_OK) fail_msg("proc_stdin_close: %s", e.text);
  assert_int_equal(m->proc_stdin_write(proc, "x", 1, &e), WCTR_EPIPE);
  xrec_wait(&x);
  EnterCriticalSection(&x.lock);
  assert_string_equal(x.out, "typed<eof>");
  assert_int_equal(x.code, 0);
  LeaveCriticalSection(&x.lock);
  m->proc_release(proc);
  xrec_free(&x);

  /* A program that does not exist: WCTR_ENOENT with Docker's words (exit 127), nothing to release. */
  xrec_init(&x);
  ev.ctx = &x;
  char *c3[] = {(char *)"C:\\no\\such-program.exe", NULL};
  spec_process p3 = {.cmd = c3, .cmd_count = 1};
  rt_proc *none = NULL;
  assert_int_equal(m->exec(c.t, &p3, &ev, &none, &pid, &e), WCTR_ENOENT);
  assert_null(none);
  assert_non_null(strstr(e.text, "executable file not found"));

  /* proc_kill: the process ends with RT_KILLED_EXIT_CODE's code from HCS's terminate. */
  char *c4[] = {g_child, (char *)"sleep", (char *)"60000", NULL};
  spec_process p4 = {.cmd = c4, .cmd_count = 3};
  if (m->exec(c.t, &p4, &ev, &proc, &pid, &e) != WCTR_OK) fail_msg("exec: %s", e.text);
  assert_int_equal(WaitForSingleObject(x.done, 200), WAIT_TIMEOUT);
  /* top: HCS's ProcessList, the exec'd process in it. */
  cJSON *procs = NULL;
  if (m->top(c.t, &procs, &e) != WCTR_OK) fail_msg("top: %s", e.text);
  bool listed = false;
  const cJSON *pr;
  cJSON_ArrayForEach(pr, procs) {
    const cJSON *ppid = cJSON_GetObjectItemCaseSensitive(pr, "ProcessId");
    listed = listed || (cJSON_IsNumber(ppid) && (uint32_t)ppid->valuedouble == pid);
  }
  assert_true(listed);
  cJSON_Delete(procs);
  if (m->proc_kill(proc, &e) != WCTR_OK) fail_msg("proc_kill: %s", e.text);
  xrec_wait(&x);
  assert_int_equal(x.code, RT_KILLED_EXIT_CODE);
  m->proc_release(proc);
  xrec_free(&x);

  /* An exec'd process ends with the container: the run's end terminates the system, HCS reports it. */
  xrec_init(&x);
  ev.ctx = &x;
  if (m->exec(c.t, &p4, &ev, &proc, &pid, &e) != WCTR_OK) fail_msg("exec: %s", e.text);
  signal_ok(&c, RT_SIGNAL_KILL);
  ctr_wait(&c);
  xrec_wait(&x);
  assert_int_equal(x.exited, 1);
  /* ... and no exec starts in a container whose run has ended. */
  assert_int_equal(m->exec(c.t, &p4, &ev, &none, &pid, &e), WCTR_ESTATE);
  m->proc_release(proc);
  xrec_free(&x);
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
  char guest[40];
  snprintf(guest, sizeof guest, "C:\\c\\%.12s", c.id);
  const cJSON *hosted_storage = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, 0), "document"),
                                           "HostedSystem"),
          "Container"),
      "Storage");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(hosted_storage, "Path")->valuestring, guest);
  cJSON_Delete(l);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(c.info.state, "StoragePath")->valuestring, guest);
  /* The VM's guest: the scratch hot-added and mounted, the layers combined; at the end the reverse, before the
   * VM goes. */
  l = calls("HcsModifyComputeSystem", vm, NULL);
  assert_int_equal(cJSON_GetArraySize(l), 9);
  /* The network between the storage and the container, as hcsshim orders it: the namespace into the guest,
   * the adapter's pre-add, the adapter with the guest's add; at the end the adapter and the namespace go
   * before the storage. */
  static const char *const want[][3] = {{"Add", "MappedVirtualDisk", "Add"},
                                        {NULL, "CombinedLayers", "Add"},
                                        {NULL, "NetworkNamespace", "Add"},
                                        {NULL, "Network", "Add"},
                                        {"Add", "Network", "Add"},
                                        {"Remove", "Network", "Remove"},
                                        {NULL, "NetworkNamespace", "Remove"},
                                        {NULL, "CombinedLayers", "Remove"},
                                        {"Remove", "MappedVirtualDisk", "Remove"}};
  for (int i = 0; i < 9; i++) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, i), "document");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(d, "GuestRequest");
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(d, "RequestType");
    if (want[i][0] == NULL) {
      assert_null(rt);
    } else {
      assert_string_equal(rt->valuestring, want[i][0]);
    }
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(g, "ResourceType")->valuestring, want[i][1]);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(g, "RequestType")->valuestring, want[i][2]);
  }
  cJSON_Delete(l);
  int vm_started = call_at("HcsStartComputeSystem", vm, NULL, -1);
  int disk_added = call_at("HcsModifyComputeSystem", vm, NULL, vm_started);
  int combined = call_at("HcsModifyComputeSystem", vm, NULL, disk_added);
  int endpoint_made = call_at("HcnCreateEndpoint", NULL, NULL, combined);
  int nic_added = call_at("HcsModifyComputeSystem", vm, NULL, call_at("HcsModifyComputeSystem", vm, NULL, endpoint_made));
  int hosted_created = call_at("HcsCreateComputeSystem", c.id, NULL, combined);
  int hosted_ended = call_at("HcsTerminateComputeSystem", c.id, NULL, hosted_created);
  int nic_removed = call_at("HcsModifyComputeSystem", vm, NULL, hosted_ended);
  int ns_removed = call_at("HcsModifyComputeSystem", vm, NULL, nic_removed);
  int uncombined = call_at("HcsModifyComputeSystem", vm, NULL, ns_removed);
  int disk_removed = call_at("HcsModifyComputeSystem", vm, NULL, uncombined);
  int vm_ended = call_at("HcsTerminateComputeSystem", vm, NULL, disk_removed);
  assert_true(vm_started >= 0 && disk_added > vm_started && combined > disk_added && endpoint_made > combined &&
              nic_added > endpoint_made && hosted_created > nic_added && hosted_ended > hosted_created &&
              nic_removed > hosted_ended && ns_removed > nic_removed && uncombined > ns_removed &&
              disk_removed > uncombined && vm_ended > disk_removed);
  /* The scratch disk was created (not assumed) and granted before it was added. */
  char sandbox[MAX_PATH * 3], vhd[MAX_PATH * 3];
  sandbox_of(&c, sandbox, sizeof sandbox);
  snprintf(vhd, sizeof vhd, "%s\\sandbox.vhdx", sandbox);
  int vhd_created = call_at("CreateSandboxLayer", NULL, sandbox, -1);
  int granted = call_at("HcsGrantVmAccess", vm, vhd, vhd_created);
  assert_true(vhd_created >= 0 && granted > vhd_created && granted < disk_added);
  char scratch[MAX_PATH * 3];
  snprintf(scratch, sizeof scratch, "%s\\uvm\\sandbox.vhdx", c.dir);
  assert_true(wctr_fs_exists(scratch));
  ctr_release(&c);
  assert_nothing_left(&c);
  /* HNS's objects go at the release, after the VM: the namespace, then the endpoint. */
  int ns_deleted = call_at("HcnDeleteNamespace", NULL, NULL, vm_ended);
  assert_true(ns_deleted > vm_ended && call_at("HcnDeleteEndpoint", NULL, NULL, ns_deleted) > ns_deleted);
  ctr_free(&c);
}

/* A utility VM that crashes takes its container with it: the exit code is unknown and why says so. */
/* pause / resume (RT_METHODS_V3): a Hyper-V container's utility VM is paused, which freezes what the container
 * runs; a process-isolated one is refused with Docker's words before any HCS call. */
static void test_pause_resume(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "hyperv", "out", "a", "sleep", "1500", "out", "b", "sleep", "60000", NULL));
  ctr_start(&c);
  wait_output(&c.r, "a");
  const rt_methods *m = c.t->runtime->methods;
  assert_int_equal(m->version, RT_METHODS_V4);
  char vm[80];
  snprintf(vm, sizeof vm, "%s%s", c.id, RT_HCS_UVM_SUFFIX);
  wctr_errmsg e;
  if (RT_PAUSE_FN(m)(c.t, &e) != WCTR_OK) fail_msg("pause: %s", e.text);
  assert_int_equal(count_calls("HcsPauseComputeSystem", vm, NULL), 1);
  /* frozen: the sleep's time passes, and "b" is not written */
  Sleep(3000);
  EnterCriticalSection(&c.r.lock);
  bool b_seen = strstr(c.r.out, "b") != NULL;
  LeaveCriticalSection(&c.r.lock);
  assert_false(b_seen);
  /* HCS refuses a second pause (a VM that is not Running) */
  assert_int_not_equal(RT_PAUSE_FN(m)(c.t, &e), WCTR_OK);
  if (strstr(e.text, "HcsPauseComputeSystem") == NULL) fail_msg("second pause: %s", e.text);
  if (RT_RESUME_FN(m)(c.t, &e) != WCTR_OK) fail_msg("resume: %s", e.text);
  assert_int_equal(count_calls("HcsResumeComputeSystem", vm, NULL), 1);
  wait_output(&c.r, "b");
  assert_int_not_equal(RT_RESUME_FN(m)(c.t, &e), WCTR_OK); /* not paused */
  /* paused again, then killed: the container is terminated all the same */
  if (RT_PAUSE_FN(m)(c.t, &e) != WCTR_OK) fail_msg("pause: %s", e.text);
  signal_ok(&c, RT_SIGNAL_KILL);
  ctr_wait(&c);
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);

  ctr p;
  ctr_init(&p, params_new("testimg", "process", "sleep", "60000", NULL));
  ctr_start(&p);
  int before = count_calls("HcsPauseComputeSystem", NULL, NULL);
  assert_int_equal(RT_PAUSE_FN(p.t->runtime->methods)(p.t, &e), WCTR_ENOTSUP);
  assert_string_equal(e.text, "cannot pause Windows Server Containers");
  assert_int_equal(count_calls("HcsPauseComputeSystem", NULL, NULL), before);
  signal_ok(&p, RT_SIGNAL_KILL);
  ctr_wait(&p);
  ctr_release(&p);
  assert_nothing_left(&p);
  ctr_free(&p);
}

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

/* A start that fails at any step leaves nothing: no compute system, no mounted scratch, no guest storage, no
 * CCG instance, no secrets, no scratch it created. Every step of both isolations fails in turn. */
static void test_failed_start_leaves_nothing(void **state) {
  (void)state;
  static const struct {
    const char *isolation;
    const char *rule;
    const char *says;
  } steps[] = {
      {"process", "fail CreateSandboxLayer:1:0x80070005", "CreateSandboxLayer"},
      {"process", "fail ActivateLayer:*:0x80070015", "ActivateLayer"}, /* hcsshim's retries, then no more */
      {"process", "fail PrepareLayer:*:0x80070005", "PrepareLayer"},
      {"process", "fail GetLayerMountPath:1:0x80070005", "GetLayerMountPath"},
      {"process", "fail HcsCreateComputeSystem:1:0x8037010D", "HcsCreateComputeSystem"},
      {"process", "fail HcsStartComputeSystem:1:0x80370101", "HcsStartComputeSystem"},
      {"process", "fail HcsCreateProcess:1:0x80070002", "HcsCreateProcess"},
      {"hyperv", "fail CreateSandboxLayer:1:0x80070005", "CreateSandboxLayer"},
      {"hyperv", "fail HcsGrantVmAccess:1:0x80070005", "HcsGrantVmAccess"},
      {"hyperv", "fail HcsStartComputeSystem:1:0x80370102", "HcsStartComputeSystem"},
      {"hyperv", "fail HcsModifyComputeSystem:1:0x80370105", "HcsModifyComputeSystem"}, /* the SCSI disk */
      {"hyperv", "fail HcsModifyComputeSystem:2:0x80070003", "HcsModifyComputeSystem"}, /* the combined layers */
      {"hyperv", "fail HcsCreateComputeSystem:2:0x8037010D", "HcsCreateComputeSystem"}, /* the hosted container */
      {"hyperv", "fail HcsCreateProcess:1:0x80070005", "HcsCreateProcess"},
      /* The network's steps (rt_net.h): HNS's objects, then the utility VM's side. */
      {"process", "fail HcnCreateEndpoint:1:0x803B0013", "HcnCreateEndpoint"},
      {"process", "fail HcnCreateNamespace:1:0x80070005", "HcnCreateNamespace"},
      {"process", "fail HcnModifyNamespace:1:0x803B002B", "HcnModifyNamespace"},
      {"hyperv", "fail HcnCreateEndpoint:1:0x803B001B", "HcnCreateEndpoint"},
      {"hyperv", "fail HcsModifyComputeSystem:3:0x80370105", "HcsModifyComputeSystem"}, /* the guest's namespace */
      {"hyperv", "fail HcsModifyComputeSystem:4:0x80070490", "HcsModifyComputeSystem"}, /* the adapter's pre-add */
      {"hyperv", "fail HcsModifyComputeSystem:5:0x80070490", "HcsModifyComputeSystem"}, /* the adapter */
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    ctr c;
    cJSON *p = params_new("testimg", steps[i].isolation, "exit", "0", NULL);
    cJSON *secrets = cJSON_AddArrayToObject(p, "Secrets");
    cJSON *ref = cJSON_CreateObject();
    cJSON_AddStringToObject(ref, "Name", "db");
    cJSON_AddItemToArray(secrets, ref);
    ctr_init(&c, p);
    c.spec.credspec_json = xstrdup(sample_spec);
    int cleaned = g_host.cleaned;
    char rule[120];
    snprintf(rule, sizeof rule, "%s\n", steps[i].rule);
    control(rule);
    wctr_errmsg e;
    wctr_err err = g_rt->methods->start(g_rt, &c.a, &c.t, &c.info, &e);
    control(NULL);
    if (err == WCTR_OK) fail_msg("%s: the start succeeded", steps[i].rule);
    /* The manager tries a start again on WCTR_EEXIST (the previous task not released yet): never for these. */
    if (err == WCTR_EEXIST) fail_msg("%s: WCTR_EEXIST would make the manager try the start again", steps[i].rule);
    if (strstr(e.text, steps[i].says) == NULL) fail_msg("%s: \"%s\" does not name %s", steps[i].rule, e.text, steps[i].says);
    assert_null(c.t);
    assert_int_equal(g_host.cleaned, cleaned + 1);
    char sandbox[MAX_PATH * 3], uvm[MAX_PATH * 3];
    sandbox_of(&c, sandbox, sizeof sandbox);
    snprintf(uvm, sizeof uvm, "%s\\uvm\\sandbox.vhdx", c.dir);
    if (wctr_fs_exists(sandbox)) fail_msg("%s: the scratch %s is left", steps[i].rule, sandbox);
    assert_false(wctr_fs_exists(uvm));
    assert_nothing_left(&c);
    Sleep(50);
    assert_int_equal(c.r.exited, 0); /* nothing is reported for a start that failed */
    ctr_free(&c);
  }
}

/* Windows Server 2019 gives ERROR_NOT_READY when a scratch is mounted under load; hcsshim tries again, so
 * does wctr, and the start goes on. */
static void test_mount_retry(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, params_new("testimg", "process", "out", "after-retry", NULL));
  control("fail ActivateLayer:1:0x80070015\nfail PrepareLayer:1:0x8007048F\n");
  ctr_start(&c);
  control(NULL);
  ctr_wait(&c);
  assert_string_equal(c.r.out, "after-retry");
  char sandbox[MAX_PATH * 3];
  sandbox_of(&c, sandbox, sizeof sandbox);
  assert_int_equal(count_calls("ActivateLayer", NULL, sandbox), 3);
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);
}

/* --- tests: a stopped container's root (docker cp) ------------------------------------------------------------- */

/* mount_root (RT_METHODS_V4) of a container that never started: its scratch made as a first start makes it, then
 * mounted on the host in hcsshim's order; unmount_root in the reverse. A Hyper-V container's scratch is mounted
 * on the host the same way (no utility VM). The next mount reuses the scratch; a crash between mount and unmount
 * is repaired by the sweep; the start that follows uses the same scratch. */
static void test_mount_root(void **state) {
  (void)state;
  static const char *const isolations[] = {"process", "hyperv"};
  for (size_t i = 0; i < 2; i++) {
    ctr c;
    ctr_init(&c, params_new("testimg", isolations[i], "out", "after-cp", NULL));
    char sandbox[MAX_PATH * 3], vm[80];
    sandbox_of(&c, sandbox, sizeof sandbox);
    snprintf(vm, sizeof vm, "%s%s", c.id, RT_HCS_UVM_SUFFIX);
    assert_non_null(RT_MOUNT_ROOT_FN(g_rt->methods));
    assert_non_null(RT_UNMOUNT_ROOT_FN(g_rt->methods));
    char volume[200] = "";
    wctr_errmsg e;
    if (g_rt->methods->mount_root(g_rt, &c.a, volume, sizeof volume, &e) != WCTR_OK) fail_msg("mount_root: %s", e.text);
    assert_true(hv_is_volume_path(volume));
    assert_true(mounted(&c));
    int created_at = call_at("CreateSandboxLayer", NULL, sandbox, -1);
    int activated = call_at("ActivateLayer", NULL, sandbox, created_at);
    int prepared = call_at("PrepareLayer", NULL, sandbox, activated);
    int volume_at = call_at("GetLayerMountPath", NULL, sandbox, prepared);
    assert_true(created_at >= 0 && activated > created_at && prepared > activated && volume_at > prepared);
    assert_int_equal(count_calls("HcsCreateComputeSystem", c.id, NULL), 0);
    assert_int_equal(count_calls("HcsCreateComputeSystem", vm, NULL), 0);
    assert_int_equal(g_rt->methods->unmount_root(g_rt, &c.a, &e), WCTR_OK);
    assert_false(mounted(&c));
    int unprepared = call_at("UnprepareLayer", NULL, sandbox, volume_at);
    assert_true(unprepared > volume_at && call_at("DeactivateLayer", NULL, sandbox, unprepared) > unprepared);
    /* Again: the scratch is there, not made a second time. Then "wctrd crashes" with it mounted: the sweep of an
     * owned container that does not run unmounts it. */
    assert_int_equal(g_rt->methods->mount_root(g_rt, &c.a, volume, sizeof volume, &e), WCTR_OK);
    assert_int_equal(count_calls("CreateSandboxLayer", NULL, sandbox), 1);
    assert_true(mounted(&c));
    const char *owned[] = {c.id};
    g_rt->methods->sweep(g_rt, owned, 1, NULL, 0);
    assert_false(mounted(&c));
    /* The first start uses the scratch the copy made. */
    ctr_start(&c);
    ctr_wait(&c);
    assert_string_equal(c.r.out, "after-cp");
    assert_int_equal(count_calls("CreateSandboxLayer", NULL, sandbox), 1);
    ctr_release(&c);
    assert_nothing_left(&c);
    g_rt->methods->remove(g_rt, &c.a);
    assert_false(wctr_fs_exists(sandbox));
    ctr_free(&c);
  }
}

/* A mount that fails at any step leaves nothing mounted, and destroys the scratch it made (a container that never
 * started); one whose scratch existed keeps it. */
static void test_mount_root_failures(void **state) {
  (void)state;
  static const struct {
    const char *rule;
    const char *says;
  } steps[] = {
      {"fail CreateSandboxLayer:1:0x80070005", "CreateSandboxLayer"},
      {"fail ActivateLayer:*:0x80070015", "ActivateLayer"},
      {"fail PrepareLayer:*:0x80070005", "PrepareLayer"},
      {"fail GetLayerMountPath:1:0x80070005", "GetLayerMountPath"},
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    ctr c;
    ctr_init(&c, params_new("testimg", i % 2 == 0 ? "process" : "hyperv", "exit", "0", NULL));
    char sandbox[MAX_PATH * 3], rule[120], volume[200] = "";
    sandbox_of(&c, sandbox, sizeof sandbox);
    snprintf(rule, sizeof rule, "%s\n", steps[i].rule);
    control(rule);
    wctr_errmsg e;
    wctr_err err = g_rt->methods->mount_root(g_rt, &c.a, volume, sizeof volume, &e);
    control(NULL);
    if (err == WCTR_OK) fail_msg("%s: the mount succeeded", steps[i].rule);
    if (strstr(e.text, steps[i].says) == NULL) fail_msg("%s: \"%s\" does not name %s", steps[i].rule, e.text, steps[i].says);
    assert_false(mounted(&c));
    if (wctr_fs_exists(sandbox)) fail_msg("%s: the scratch %s it made is left", steps[i].rule, sandbox);
    /* With a scratch already there (the container ran once), a failed mount keeps it. */
    if (i == 3) {
      assert_int_equal(g_rt->methods->mount_root(g_rt, &c.a, volume, sizeof volume, &e), WCTR_OK);
      assert_int_equal(g_rt->methods->unmount_root(g_rt, &c.a, &e), WCTR_OK);
      control(rule);
      err = g_rt->methods->mount_root(g_rt, &c.a, volume, sizeof volume, &e);
      control(NULL);
      assert_int_not_equal(err, WCTR_OK);
      assert_false(mounted(&c));
      assert_true(wctr_fs_exists(sandbox));
      int unprepared = count_calls("UnprepareLayer", NULL, sandbox);
      assert_true(unprepared >= 2); /* the unmount above, and the undo of the failed mount */
      g_rt->methods->remove(g_rt, &c.a);
    }
    ctr_free(&c);
  }
}

/* --- tests: dry run ----------------------------------------------------------------------------------------- */

/* The calls of a plan, in order, each argument checked the way the double checks it. */
static void validate_calls(const cJSON *list, bool hyperv, const ctr *c) {
  static const char *const process_calls[] = {"HcsModifyServiceSettings", "CreateSandboxLayer", "ActivateLayer",
                                              "PrepareLayer", "GetLayerMountPath", "HcnCreateEndpoint",
                                              "HcnCreateNamespace", "HcnModifyNamespace", "HcsCreateComputeSystem",
                                              "HcsStartComputeSystem", "HcsCreateProcess", NULL};
  static const char *const hyperv_calls[] = {"HcsModifyServiceSettings", "CreateSandboxLayer", "CopyFileW",
                                             "HcsGrantVmAccess", "HcsCreateComputeSystem", "HcsStartComputeSystem",
                                             "HcsGrantVmAccess", "HcsModifyComputeSystem", "HcsModifyComputeSystem",
                                             "HcnCreateEndpoint", "HcnCreateNamespace", "HcnModifyNamespace",
                                             "HcsModifyComputeSystem", "HcsModifyComputeSystem", "HcsModifyComputeSystem",
                                             "HcsCreateComputeSystem", "HcsStartComputeSystem", "HcsCreateProcess", NULL};
  const char *const *want = hyperv ? hyperv_calls : process_calls;
  char msg[1200], sandbox[MAX_PATH * 3], vm[80];
  sandbox_of(c, sandbox, sizeof sandbox);
  snprintf(vm, sizeof vm, "%s%s", c->id, RT_HCS_UVM_SUFFIX);
  const cJSON *call;
  int n = 0;
  cJSON_ArrayForEach(call, list) {
    const char *name = cJSON_GetObjectItemCaseSensitive(call, "call")->valuestring;
    if (want[n] == NULL || strcmp(name, want[n]) != 0) fail_msg("call %d is %s, not %s", n, name, want[n] != NULL ? want[n] : "(none)");
    n++;
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(call, "document");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(call, "id");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(call, "path");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(call, "layers");
    bool ok = true;
    msg[0] = '\0';
    if (strcmp(name, "HcsModifyServiceSettings") == 0) {
      hv_service_request kind;
      ok = hv_check_service_modification(doc, &kind, msg, sizeof msg) && kind == HV_CCG_ADD;
    } else if (strcmp(name, "CreateSandboxLayer") == 0 || strcmp(name, "PrepareLayer") == 0) {
      /* The parents as vmcompute's descriptors: NameToGuid ids, top-most first. */
      assert_string_equal(path->valuestring, sandbox);
      assert_int_equal(cJSON_GetArraySize(layers), 2);
      assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(layers, 0), "Id")->valuestring, g_app_id);
      assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(layers, 1), "Path")->valuestring, g_base);
    } else if (strcmp(name, "ActivateLayer") == 0) {
      assert_string_equal(path->valuestring, sandbox);
    } else if (strcmp(name, "GetLayerMountPath") == 0) {
      assert_string_equal(cJSON_GetObjectItemCaseSensitive(call, "result")->valuestring, RT_HCS_DRY_RUN_VOLUME);
    } else if (strcmp(name, "CopyFileW") == 0) {
      assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(call, "source")->valuestring, "SystemTemplate.vhdx"));
    } else if (strcmp(name, "HcsGrantVmAccess") == 0) {
      assert_string_equal(id->valuestring, vm);
    } else if (strcmp(name, "HcsCreateComputeSystem") == 0) {
      hv_system_kind kind;
      ok = hv_check_compute_system(doc, &kind, msg, sizeof msg) && hv_check_system_rules(doc, kind, msg, sizeof msg) == 0;
      if (ok) assert_int_equal(kind, hyperv ? (strcmp(id->valuestring, vm) == 0 ? HV_SYSTEM_VM : HV_SYSTEM_HOSTED)
                                            : HV_SYSTEM_CONTAINER);
      if (ok && kind == HV_SYSTEM_VM) {
        assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "VirtualMachine"),
                                                         "GuestConnection"));
      }
      if (ok) assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "Owner")->valuestring, g_owner);
    } else if (strcmp(name, "HcsModifyComputeSystem") == 0) {
      ok = hv_check_modify_setting(doc, true, msg, sizeof msg);
    } else if (strcmp(name, "HcsCreateProcess") == 0) {
      ok = hv_check_process_parameters(doc, msg, sizeof msg);
    } else if (strcmp(name, "HcnCreateEndpoint") == 0) {
      ok = hv_check_hcn_endpoint(doc, msg, sizeof msg);
      char ep[NET_GUID_SIZE];
      net_guid_for(g_owner, c->id, "endpoint", ep);
      assert_string_equal(id->valuestring, ep);
      assert_true(net_guid_valid(cJSON_GetObjectItemCaseSensitive(call, "network")->valuestring));
    } else if (strcmp(name, "HcnCreateNamespace") == 0) {
      ok = hv_check_hcn_namespace(doc, msg, sizeof msg);
    } else if (strcmp(name, "HcnModifyNamespace") == 0) {
      bool add = false;
      const char *ep = NULL;
      ok = hv_check_hcn_namespace_modify(doc, &add, &ep, msg, sizeof msg) && add;
    } else if (strcmp(name, "HcsStartComputeSystem") != 0) {
      fail_msg("unexpected call %s", name);
    }
    if (!ok) fail_msg("%s: %s", name, msg);
  }
  assert_null(want[n]);
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
    cJSON *hc = cJSON_GetObjectItemCaseSensitive(p, "HostConfig");
    cJSON_AddNumberToObject(hc, "Memory", 512.0 * 1024 * 1024);
    /* Every CPU flag Docker lets through together: the documents still hold one field per Processor. */
    cJSON_AddNumberToObject(hc, "CpuCount", 1);
    cJSON_AddNumberToObject(hc, "CpuShares", 512);
    cJSON_AddNumberToObject(hc, "CpuPercent", 50);
    ctr_init(&c, p);
    c.spec.credspec_json = xstrdup(sample_spec);
    int materialized = g_host.materialized;
    cJSON *list = NULL;
    spec_warnings w = {0};
    wctr_errmsg e;
    if (g_rt->methods->plan(g_rt, &c.a, &list, &w, &e) != WCTR_OK) fail_msg("plan: %s", e.text);
    validate_calls(list, hyperv != 0, &c);
    char *text = cJSON_PrintUnformatted(list);
    assert_null(strstr(text, SAMPLE_SPEC_SECRET)); /* PluginInput redacted */
    cJSON_free(text);
    cJSON_Delete(list);
    /* Nothing was created. */
    assert_int_equal(count_calls("HcsCreateComputeSystem", c.id, NULL), 0);
    char sandbox[MAX_PATH * 3];
    sandbox_of(&c, sandbox, sizeof sandbox);
    assert_int_equal(count_calls("CreateSandboxLayer", NULL, sandbox), 0);
    assert_false(wctr_fs_exists(sandbox));
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
    char sandbox[MAX_PATH * 3], volume[80];
    sandbox_of(&c, sandbox, sizeof sandbox);
    wctr_errmsg e;
    /* What the earlier run made: its scratch, still mounted for a process-isolated one, whose system is gone. */
    hcs_layer layers[2] = {{g_app_id, g_app}, {g_base_id, g_base}};
    assert_int_equal(hcs_layer_create_scratch(g_client, sandbox, layers, 2, &e), WCTR_OK);
    if (!hyperv) assert_int_equal(hcs_scratch_mount(g_client, sandbox, layers, 2, volume, sizeof volume, &e), WCTR_OK);
    assert_int_equal(mounted(&c), !hyperv);
    cJSON_AddStringToObject(st, "Sandbox", sandbox);
    c.a.state = st;
    c.a.pid = 4242;
    rt_task *t = NULL;
    rt_exit ended;
    assert_int_equal(g_rt->methods->reattach(g_rt, &c.a, &t, &ended, &e), WCTR_ENOENT);
    assert_null(t);
    assert_int_equal(ended.code, -1);
    assert_true(ended.why[0] != '\0');
    int unprepared = count_calls("UnprepareLayer", NULL, sandbox);
    int cleaned = g_host.cleaned;
    g_rt->methods->cleanup(g_rt, &c.a);
    assert_int_equal(g_host.cleaned, cleaned);
    /* Only process isolation mounts a scratch on the host: cleanup unmounts it. */
    assert_false(mounted(&c));
    assert_int_equal(count_calls("UnprepareLayer", NULL, sandbox), unprepared + (hyperv ? 0 : 1));
    /* and remove destroys it */
    g_rt->methods->remove(g_rt, &c.a);
    assert_false(wctr_fs_exists(sandbox));
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

/* A process-isolated compute system of Owner owner on a scratch of its own (dir), as another client makes. */
static hcs_system *system_of(const char *id, const char *owner, const char *dir) {
  wctr_errmsg e;
  char volume[80];
  hcs_layer layers[1] = {{g_base_id, g_base}};
  assert_int_equal(hcs_layer_create_scratch(g_client, dir, layers, 1, &e), WCTR_OK);
  if (hcs_scratch_mount(g_client, dir, layers, 1, volume, sizeof volume, &e) != WCTR_OK) fail_msg("%s", e.text);
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "Owner", owner);
  cJSON *v = cJSON_AddObjectToObject(doc, "SchemaVersion");
  cJSON_AddNumberToObject(v, "Major", 2);
  cJSON_AddNumberToObject(v, "Minor", 1);
  cJSON *storage = cJSON_AddObjectToObject(cJSON_AddObjectToObject(doc, "Container"), "Storage");
  cJSON *l = cJSON_CreateObject();
  cJSON_AddStringToObject(l, "Id", g_base_id);
  cJSON_AddStringToObject(l, "Path", g_base);
  cJSON_AddItemToArray(cJSON_AddArrayToObject(storage, "Layers"), l);
  cJSON_AddStringToObject(storage, "Path", volume);
  cJSON_AddBoolToObject(doc, "ShouldTerminateOnLastHandleClosed", false);
  hcs_system *s = NULL;
  if (hcs_system_create(g_client, id, doc, WAIT_MS, &s, NULL, &e) != WCTR_OK) fail_msg("%s", e.text);
  cJSON_Delete(doc);
  assert_int_equal(hcs_system_start(s, WAIT_MS, NULL, &e), WCTR_OK);
  return s;
}

/* What a crashed wctrd leaves - compute systems of its Owner that no container it runs has, their mounted
 * scratch - goes at the next start; systems of another Owner (another data root's wctrd) and the running
 * ones stay, whatever their ids. */
static void test_sweep_systems(void **state) {
  (void)state;
  ctr lost, lost_vm, kept;
  ctr_init(&lost, params_new("testimg", "process", "sleep", "60000", NULL));
  ctr_init(&lost_vm, params_new("testimg", "hyperv", "sleep", "60000", NULL));
  ctr_init(&kept, params_new("testimg", "process", "sleep", "60000", NULL));
  ctr_start(&lost);
  ctr_start(&lost_vm);
  ctr_start(&kept);
  /* Another data root's system, under an id this data root owns too. */
  char foreign_owner[HCS_OWNER_SIZE], foreign_id[65], foreign_dir[MAX_PATH * 3];
  hcs_owner_for_data_root("C:\\another\\data-root", foreign_owner);
  assert_string_not_equal(foreign_owner, g_owner);
  snprintf(foreign_id, sizeof foreign_id, "%08lx%056x", (unsigned long)GetCurrentProcessId(), 0xf0u);
  snprintf(foreign_dir, sizeof foreign_dir, "%s\\foreign-scratch", g_root);
  hcs_system *foreign = system_of(foreign_id, foreign_owner, foreign_dir);
  char lost_vm_id[80];
  snprintf(lost_vm_id, sizeof lost_vm_id, "%s%s", lost_vm.id, RT_HCS_UVM_SUFFIX);
  assert_true(mounted(&lost));
  /* The service tracks only kept: the others are what a crash left. */
  const char *owned[] = {lost.id, lost_vm.id, kept.id, foreign_id};
  const char *live[] = {kept.id};
  g_rt->methods->sweep(g_rt, owned, 4, live, 1);
  assert_false(system_running(lost.id));
  assert_false(system_running(lost_vm.id));
  assert_false(system_running(lost_vm_id));
  assert_false(mounted(&lost)); /* its scratch, after its system */
  assert_true(system_running(kept.id));
  assert_true(mounted(&kept));
  assert_true(system_running(foreign_id));
  /* The sweep asked HCS for its Owner's systems only. */
  cJSON *l = calls("HcsEnumerateComputeSystems", NULL, NULL);
  const cJSON *q = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(l, cJSON_GetArraySize(l) - 1), "document");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(q, "Owners"), 0)->valuestring, g_owner);
  cJSON_Delete(l);
  /* The lost ones' tasks saw their systems go. */
  ctr_wait(&lost);
  ctr_wait(&lost_vm);
  ctr_release(&lost);
  ctr_release(&lost_vm);
  assert_nothing_left(&lost);
  assert_nothing_left(&lost_vm);
  wctr_errmsg e;
  assert_int_equal(kept.t->runtime->methods->signal(kept.t, RT_SIGNAL_KILL, &e), WCTR_OK);
  ctr_wait(&kept);
  ctr_release(&kept);
  assert_nothing_left(&kept);
  assert_int_equal(hcs_system_terminate(foreign, WAIT_MS, &e), WCTR_OK);
  hcs_system_close(foreign);
  assert_int_equal(hcs_scratch_unmount(g_client, foreign_dir, &e), WCTR_OK);
  ctr_free(&lost);
  ctr_free(&lost_vm);
  ctr_free(&kept);
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
  for (int i = 0; i < N; i++) wait_output(&c[i].r, "x");
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


/* --- tests: networks ---------------------------------------------------------------------------------------- */

/* The first call-log line of call whose "id" is id, parsed (NULL when none). */
static cJSON *first_call(const char *call, const char *id) {
  cJSON *l = calls(call, id, NULL);
  cJSON *first = cJSON_DetachItemFromArray(l, 0);
  cJSON_Delete(l);
  return first;
}

static void ids_of(const ctr *c, char ep[NET_GUID_SIZE], char ns[NET_GUID_SIZE]) {
  net_guid_for(g_owner, c->id, "endpoint", ep);
  net_guid_for(g_owner, c->id, "namespace", ns);
}

static cJSON *networked_params(const char *isolation, const char *network) {
  cJSON *p = params_new("testimg", isolation, "sleep", "60000", NULL);
  cJSON *hc = cJSON_GetObjectItemCaseSensitive(p, "HostConfig");
  if (network != NULL) cJSON_AddStringToObject(hc, "NetworkMode", network);
  return p;
}

/* A process-isolated container with every setting: its endpoint's document, the container's Networking,
 * the record's Network, the host ports held until the release and nothing left after it. */
static void test_network_process(void **state) {
  (void)state;
  ctr c;
  cJSON *p = networked_params("process", NULL);
  cJSON *hc = cJSON_GetObjectItemCaseSensitive(p, "HostConfig");
  cJSON_AddItemToObject(hc, "PortBindings", cJSON_Parse("{\"80/tcp\":[{\"HostPort\":\"18080\"}],\"53/udp\":[{\"HostPort\":"
                                                        "\"18053\"}]}"));
  cJSON_AddBoolToObject(hc, "PublishAllPorts", true);
  cJSON_AddItemToObject(hc, "Dns", cJSON_Parse("[\"10.0.0.53\"]"));
  cJSON_AddItemToObject(hc, "DnsSearch", cJSON_Parse("[\"a.example\",\"b.example\"]"));
  cJSON_AddItemToObject(p, "ExposedPorts", cJSON_Parse("{\"9000/tcp\":{},\"80/tcp\":{}}"));
  cJSON_AddStringToObject(p, "MacAddress", "02:42:ac:11:00:09");
  ctr_init(&c, p);
  ctr_start(&c);
  char ep[NET_GUID_SIZE], ns[NET_GUID_SIZE];
  ids_of(&c, ep, ns);
  /* The endpoint: its network, the three mappings (9000 got a port of Docker's dynamic range), MAC, DNS. */
  cJSON *call = first_call("HcnCreateEndpoint", ep);
  assert_non_null(call);
  const cJSON *doc = cJSON_GetObjectItemCaseSensitive(call, "document");
  char msg[600];
  if (!hv_check_hcn_endpoint(doc, msg, sizeof msg)) fail_msg("%s", msg);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "MacAddress")->valuestring, "02-42-ac-11-00-09");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "Dns"),
                                                                          "ServerList"), 0)->valuestring, "10.0.0.53");
  const cJSON *policies = cJSON_GetObjectItemCaseSensitive(doc, "Policies");
  assert_int_equal(cJSON_GetArraySize(policies), 3);
  int dynamic = 0;
  const cJSON *pol;
  cJSON_ArrayForEach(pol, policies) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(pol, "Settings");
    int internal = (int)cJSON_GetObjectItemCaseSensitive(st, "InternalPort")->valuedouble;
    int external = (int)cJSON_GetObjectItemCaseSensitive(st, "ExternalPort")->valuedouble;
    int proto = (int)cJSON_GetObjectItemCaseSensitive(st, "Protocol")->valuedouble;
    if (internal == 80) assert_true(external == 18080 && proto == 6);
    if (internal == 53) assert_true(external == 18053 && proto == 17);
    if (internal == 9000) dynamic = external;
  }
  assert_true(dynamic >= 49153 && dynamic <= 65535);
  cJSON_Delete(call);
  /* The container's document names the namespace, and --dns-search as hcsshim joins it. */
  call = first_call("HcsCreateComputeSystem", c.id);
  const cJSON *net = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(call, "document"), "Container"), "Networking");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(net, "Namespace")->valuestring, ns);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(net, "DnsSearchList")->valuestring, "a.example,b.example");
  cJSON_Delete(call);
  /* The record: where it is and what it publishes. */
  const cJSON *rn = cJSON_GetObjectItemCaseSensitive(c.info.state, "Network");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rn, "Name")->valuestring, "nat");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rn, "EndpointID")->valuestring, ep);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rn, "MacAddress")->valuestring, "02:42:ac:11:00:09");
  assert_int_equal(strlen(cJSON_GetObjectItemCaseSensitive(rn, "NetworkID")->valuestring), 64);
  assert_int_equal(strncmp(cJSON_GetObjectItemCaseSensitive(rn, "IPAddress")->valuestring, "172.", 4), 0);
  assert_true(cJSON_GetObjectItemCaseSensitive(rn, "IPPrefixLen")->valuedouble > 0);
  assert_true(cJSON_GetObjectItemCaseSensitive(rn, "Gateway")->valuestring[0] != '\0');
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rn, "Ports")), 3);
  assert_null(cJSON_GetObjectItemCaseSensitive(rn, "AdapterId"));
  assert_true(in_state("Endpoints", ep) && in_state("Namespaces", ns));
  /* Another container may not publish 18080 while this one runs: refused at create, naming this one. */
  ctr other;
  cJSON *op = networked_params("process", NULL);
  cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(op, "HostConfig"), "PortBindings",
                        cJSON_Parse("{\"8080/tcp\":[{\"HostPort\":\"18080\"}]}"));
  spec_container os;
  spec_warnings w = {0};
  wctr_errmsg e;
  assert_int_equal(spec_from_json(op, "params", 2, &os, &w, &e), WCTR_OK);
  assert_int_equal(g_rt->methods->prepare(g_rt, &os, false, &w, &e), WCTR_EEXIST);
  char want[200];
  snprintf(want, sizeof want, "Bind for 0.0.0.0:18080 failed: port is already allocated (published by container %s, "
           "%.12s)", c.name, c.id);
  assert_string_equal(e.text, want);
  spec_free(&os);
  signal_ok(&c, RT_SIGNAL_KILL);
  ctr_wait(&c);
  ctr_release(&c);
  assert_nothing_left(&c);
  /* Released: now it may. */
  ctr_init(&other, op);
  ctr_start(&other);
  signal_ok(&other, RT_SIGNAL_KILL);
  ctr_wait(&other);
  ctr_release(&other);
  assert_nothing_left(&other);
  ctr_free(&other);
  ctr_free(&c);
}

/* --network none: no HNS call, no Networking; an unknown network is refused before anything exists. */
static void test_network_none_and_unknown(void **state) {
  (void)state;
  ctr c;
  ctr_init(&c, networked_params("process", "none"));
  ctr_start(&c);
  char ep[NET_GUID_SIZE], ns[NET_GUID_SIZE];
  ids_of(&c, ep, ns);
  assert_int_equal(count_calls("HcnCreateEndpoint", ep, NULL), 0);
  assert_int_equal(count_calls("HcnCreateNamespace", ns, NULL), 0);
  cJSON *call = first_call("HcsCreateComputeSystem", c.id);
  assert_null(cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(call, "document"), "Container"), "Networking"));
  cJSON_Delete(call);
  assert_null(cJSON_GetObjectItemCaseSensitive(c.info.state, "Network"));
  signal_ok(&c, RT_SIGNAL_KILL);
  ctr_wait(&c);
  ctr_release(&c);
  ctr_free(&c);
  spec_container s;
  spec_warnings w = {0};
  wctr_errmsg e;
  cJSON *p = networked_params("hyperv", "nosuch");
  assert_int_equal(spec_from_json(p, "params", 2, &s, &w, &e), WCTR_OK);
  assert_int_equal(g_rt->methods->prepare(g_rt, &s, false, &w, &e), WCTR_ENOENT);
  assert_string_equal(e.text, "network nosuch not found");
  /* a dry run refuses it too: the host has HNS */
  assert_int_equal(g_rt->methods->prepare(g_rt, &s, true, &w, &e), WCTR_ENOENT);
  spec_free(&s);
  cJSON_Delete(p);
}

/* Hyper-V: the hosted container names the namespace; the guest got it and an adapter first. */
static void test_network_hyperv(void **state) {
  (void)state;
  ctr c;
  cJSON *p = networked_params("hyperv", NULL);
  cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(p, "HostConfig"), "PortBindings",
                        cJSON_Parse("{\"80/tcp\":[{\"HostPort\":\"18081\"}]}"));
  ctr_init(&c, p);
  ctr_start(&c);
  char ep[NET_GUID_SIZE], ns[NET_GUID_SIZE], nic[NET_GUID_SIZE];
  ids_of(&c, ep, ns);
  net_guid_for(g_owner, c.id, "nic", nic);
  cJSON *call = first_call("HcsCreateComputeSystem", c.id);
  const cJSON *net = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(call, "document"), "HostedSystem"), "Container"),
      "Networking");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(net, "Namespace")->valuestring, ns);
  cJSON_Delete(call);
  const cJSON *rn = cJSON_GetObjectItemCaseSensitive(c.info.state, "Network");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rn, "AdapterId")->valuestring, nic);
  /* The adapter carries the endpoint's MAC address, as HNS gave it. */
  char vm[80];
  snprintf(vm, sizeof vm, "%s%s", c.id, RT_HCS_UVM_SUFFIX);
  cJSON *mods = calls("HcsModifyComputeSystem", vm, NULL);
  bool adapter = false;
  const cJSON *m;
  cJSON_ArrayForEach(m, mods) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "document");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(d, "ResourcePath");
    if (!cJSON_IsString(path) || strstr(path->valuestring, "NetworkAdapters") == NULL) continue;
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(d, "Settings");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(settings, "EndpointId")->valuestring, ep);
    assert_int_equal(strncmp(cJSON_GetObjectItemCaseSensitive(settings, "MacAddress")->valuestring, "00-15-5D-", 9), 0);
    adapter = true;
    break;
  }
  cJSON_Delete(mods);
  assert_true(adapter);
  signal_ok(&c, RT_SIGNAL_KILL);
  ctr_wait(&c);
  ctr_release(&c);
  assert_nothing_left(&c);
  ctr_free(&c);
}

/* wctrd restarted: the container is taken back with its ports held again; at its end its network goes. */
static void test_network_reattach(void **state) {
  (void)state;
  ctr c;
  cJSON *p = networked_params("process", NULL);
  cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(p, "HostConfig"), "PortBindings",
                        cJSON_Parse("{\"80/tcp\":[{\"HostPort\":\"18082\"}]}"));
  ctr_init(&c, p);
  ctr_start(&c);
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
  /* The new runtime holds its host port: another container cannot publish it. */
  spec_container s;
  spec_warnings w = {0};
  cJSON *op = networked_params("process", NULL);
  cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(op, "HostConfig"), "PortBindings",
                        cJSON_Parse("{\"81/tcp\":[{\"HostPort\":\"18082\"}]}"));
  assert_int_equal(spec_from_json(op, "params", 2, &s, &w, &e), WCTR_OK);
  assert_int_equal(again->methods->prepare(again, &s, false, &w, &e), WCTR_EEXIST);
  assert_non_null(strstr(e.text, c.name));
  assert_int_equal(t->runtime->methods->signal(t, RT_SIGNAL_KILL, &e), WCTR_OK);
  if (WaitForSingleObject(r2.done, WAIT_MS) != WAIT_OBJECT_0) fail_msg("the re-attached container did not exit");
  t->runtime->methods->release(t);
  /* Its network went with the release, and its port is free again. */
  char ep[NET_GUID_SIZE], ns[NET_GUID_SIZE];
  ids_of(&c, ep, ns);
  assert_false(in_state("Endpoints", ep));
  assert_false(in_state("Namespaces", ns));
  assert_int_equal(again->methods->prepare(again, &s, false, &w, &e), WCTR_OK);
  ctr_wait(&c);
  ctr_release(&c);
  again->methods->close(again);
  assert_nothing_left(&c);
  spec_free(&s);
  cJSON_Delete(op);
  CloseHandle(r2.done);
  DeleteCriticalSection(&r2.lock);
  ctr_free(&c);
}

/* A crash's leftovers of this data root go at the start-up sweep, by id and by name; another Owner's stay. */
static void test_network_sweep(void **state) {
  (void)state;
  char lost[65], foreign[65], ep[NET_GUID_SIZE], ns[NET_GUID_SIZE], fep[NET_GUID_SIZE], named_ep[NET_GUID_SIZE];
  char name[NET_ENDPOINT_NAME_SIZE], fname[NET_ENDPOINT_NAME_SIZE], gone[65];
  snprintf(lost, sizeof lost, "%08lx%056x", (unsigned long)GetCurrentProcessId(), 11u);
  snprintf(foreign, sizeof foreign, "%08lx%056x", (unsigned long)GetCurrentProcessId(), 12u);
  snprintf(gone, sizeof gone, "%08lx%056x", (unsigned long)GetCurrentProcessId(), 13u);
  net_guid_for(g_owner, lost, "endpoint", ep);
  net_guid_for(g_owner, lost, "namespace", ns);
  net_guid_for("wctr-0000000000000000", foreign, "endpoint", fep);
  net_guid_for("suite", gone, "endpoint", named_ep); /* an id this wctrd would not compute */
  net_endpoint_name(g_owner, lost, name);
  net_endpoint_name("wctr-0000000000000000", foreign, fname);
  rt_network n;
  wctr_errmsg e;
  assert_int_equal(network_resolve(NULL, "nat", &n, &e), WCTR_OK);
  cJSON *doc = NULL;
  net_endpoint_input in = {.network_id = n.hns_id, .name = name};
  assert_int_equal(net_doc_endpoint(&in, &doc, &e), WCTR_OK);
  assert_int_equal(net_endpoint_create(g_net, n.hns_id, ep, doc, NULL, NULL, &e), WCTR_OK);
  cJSON_Delete(doc);
  in.name = fname;
  assert_int_equal(net_doc_endpoint(&in, &doc, &e), WCTR_OK);
  assert_int_equal(net_endpoint_create(g_net, n.hns_id, fep, doc, NULL, NULL, &e), WCTR_OK);
  cJSON_Delete(doc);
  char gone_name[NET_ENDPOINT_NAME_SIZE];
  net_endpoint_name(g_owner, gone, gone_name);
  in.name = gone_name;
  assert_int_equal(net_doc_endpoint(&in, &doc, &e), WCTR_OK);
  assert_int_equal(net_endpoint_create(g_net, n.hns_id, named_ep, doc, NULL, NULL, &e), WCTR_OK);
  cJSON_Delete(doc);
  cJSON *nsdoc = net_doc_namespace(), *add = net_doc_namespace_endpoint(ep, true);
  assert_int_equal(net_namespace_create(g_net, ns, nsdoc, NULL, NULL, &e), WCTR_OK);
  assert_int_equal(net_namespace_modify(g_net, ns, add, &e), WCTR_OK);
  cJSON_Delete(nsdoc);
  cJSON_Delete(add);
  const char *owned[] = {lost};
  g_rt->methods->sweep(g_rt, owned, 1, NULL, 0);
  assert_false(in_state("Namespaces", ns));
  assert_false(in_state("Endpoints", ep));
  assert_false(in_state("Endpoints", named_ep)); /* by its name: this Owner's, of a container that does not run */
  assert_true(in_state("Endpoints", fep));       /* another data root's */
  assert_int_equal(net_endpoint_delete(g_net, fep, &e), WCTR_OK);
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
  static const wchar_t *const dlls[] = {L"computecore.dll", L"vmcompute.dll", L"computenetwork.dll"};
  for (int i = 0; i < 3; i++) {
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


/* SeBackupPrivilege and SeRestorePrivilege in this process's token, on or off (the double checks them for
 * vmcompute's image functions, as hcsshim takes them). */
static void layer_privileges(bool on) {
  HANDLE tok = NULL;
  assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok));
  static const wchar_t *const names[] = {L"SeBackupPrivilege", L"SeRestorePrivilege"};
  for (int i = 0; i < 2; i++) {
    TOKEN_PRIVILEGES tp = {.PrivilegeCount = 1};
    assert_true(LookupPrivilegeValueW(NULL, names[i], &tp.Privileges[0].Luid));
    tp.Privileges[0].Attributes = on ? SE_PRIVILEGE_ENABLED : 0;
    assert_true(AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL));
  }
  CloseHandle(tok);
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
  static const char *const base_subs[] = {"Files", "Files\\Windows", "UtilityVM", "UtilityVM\\Files", "UtilityVM\\Files\\EFI",
                                          "UtilityVM\\Files\\EFI\\Microsoft", "UtilityVM\\Files\\EFI\\Microsoft\\Boot",
                                          NULL};
  mkdirs(g_root, root_subs);
  mkdirs(g_app, app_subs);
  mkdirs(g_base, base_subs);
  wctr_errmsg e;
  /* Read once, when the double loads: a state folder of this run's own. */
  wchar_t *wstate = wctr_utf8_to_wide(g_state);
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", wstate);
  free(wstate);
  /* The image as the images module will make it: the utility VM processed (its SystemTemplate.vhdx), and the
   * layers' ids NameToGuid of their folders, as the catalog has them. */
  if (hcs_client_load(&g_client, &e) != WCTR_OK) fail_msg("client: %s", e.text);
  if (net_client_load(&g_net, &e) != WCTR_OK) fail_msg("network client: %s", e.text);
  char uvm[MAX_PATH * 3], bcd[MAX_PATH * 3];
  snprintf(uvm, sizeof uvm, "%s\\UtilityVM", g_base);
  /* What ProcessUtilityImage reads (the boot store), with the privileges the layer writer holds. */
  snprintf(bcd, sizeof bcd, "%s\\Files\\EFI\\Microsoft\\Boot\\BCD", uvm);
  assert_int_equal(wctr_fs_write_atomic(bcd, "bcd", 3, &e), WCTR_OK);
  layer_privileges(true);
  assert_int_equal(hcs_layer_process_utility(g_client, uvm, &e), WCTR_OK);
  layer_privileges(false);
  assert_int_equal(hcs_layer_id(g_app, g_app_id, &e), WCTR_OK);
  assert_int_equal(hcs_layer_id(g_base, g_base_id, &e), WCTR_OK);
  char by_client[HCS_GUID_SIZE];
  assert_int_equal(hcs_layer_name_to_guid(g_client, "base", by_client, &e), WCTR_OK);
  assert_string_equal(by_client, g_base_id);
  hcs_owner_for_data_root(g_root, g_owner);
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
  hcs_client_unload(g_client);
  net_client_unload(g_net);
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
      cmocka_unit_test(test_mount_root),
      cmocka_unit_test(test_mount_root_failures),
      cmocka_unit_test(test_image_command),
      cmocka_unit_test(test_stdin_cat),
      cmocka_unit_test(test_exec),
      cmocka_unit_test(test_stop_signal),
      cmocka_unit_test(test_kill),
      cmocka_unit_test(test_hyperv),
      cmocka_unit_test(test_hyperv_vm_crash),
      cmocka_unit_test(test_pause_resume),
      cmocka_unit_test(test_secrets_and_ccg),
      cmocka_unit_test(test_failed_start_leaves_nothing),
      cmocka_unit_test(test_mount_retry),
      cmocka_unit_test(test_reattach_running),
      cmocka_unit_test(test_reattach_gone),
      cmocka_unit_test(test_sweep),
      cmocka_unit_test(test_sweep_systems),
      cmocka_unit_test(test_network_process),
      cmocka_unit_test(test_network_none_and_unknown),
      cmocka_unit_test(test_network_hyperv),
      cmocka_unit_test(test_network_reattach),
      cmocka_unit_test(test_network_sweep),
      cmocka_unit_test(test_no_thread_per_container),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
