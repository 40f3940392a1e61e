/* The container manager in-process under Wine with the real job runtime (runtime/rt_job_win.c) on the Windows
 * I/O core, with failures injected through the seams: whatever fails, no half-created container is left,
 * and what a crash leaves is repaired at the next start. (The state machine's every path runs natively
 * with the fake runtime in test_manager_fake.c.) */
#include <windows.h>

#include <shellapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "common/ioc.h"
#include "common/ioc_win.h"
#include "common/log.h"
#include "common/wstr.h"
#include "jobs/jobs_sys.h"
#include "runtime/rt_fake.h"
#include "runtime/rt_job.h"
#include "service/container.h"
#include "service/manager.h"
#include "service/store.h"
#include "testutil.h"
#include "tsink.h"

static char data_root[MAX_PATH];
static svc_manager *mgr;
static wctr_ioc *ioc;
static int write_calls;
static int fail_write_from; /* 0: never */
static BOOL fail_create_job;

static wctr_err maybe_failing_write(const char *what, size_t len) {
  (void)what;
  (void)len;
  if (fail_write_from != 0 && ++write_calls >= fail_write_from) return WCTR_ENOSPC;
  return WCTR_OK;
}

static HANDLE WINAPI maybe_failing_create_job(LPSECURITY_ATTRIBUTES sa, LPCWSTR name) {
  if (fail_create_job) {
    SetLastError(ERROR_NOT_ENOUGH_QUOTA);
    return NULL;
  }
  return CreateJobObjectW(sa, name);
}

static void start_manager(void) {
  /* Process and Hyper-V isolation on a host without HCS: the fake runtime, unavailable. */
  rt_fake_set_available(false, "no HCS here");
  svc_manager_options opt = {.ioc = ioc, .data_root = data_root, .server_sku = true, .host_cpus = 2,
                             .host_os_version = "10.0.20348", .open_job = rt_job_open, .open_hcs = rt_fake_open};
  wctr_errmsg e;
  wctr_err err = svc_manager_start(&opt, &mgr, &e);
  if (err != WCTR_OK) fail_msg("manager: %s", e.text);
}

/* Removes a data root left by an earlier run (Wine reuses process ids, and so would the names). */
static void remove_tree(const char *path) {
  wchar_t from[MAX_PATH + 2] = {0};
  MultiByteToWideChar(CP_UTF8, 0, path, -1, from, MAX_PATH);
  SHFILEOPSTRUCTW op = {.wFunc = FO_DELETE, .pFrom = from, .fFlags = FOF_NO_UI};
  SHFileOperationW(&op);
}

static int setup(void **state) {
  (void)state;
  char name[64];
  wctr_test_unique_name("wctr-mgr", name, sizeof name);
  snprintf(data_root, sizeof data_root, "C:\\%s", name);
  remove_tree(data_root);
  wchar_t *wide = wctr_utf8_to_wide(data_root);
  CreateDirectoryW(wide, NULL);
  free(wide);
  fail_write_from = 0;
  write_calls = 0;
  fail_create_job = FALSE;
  wctr_errmsg e;
  wctr_ioc_options io = {0};
  if (wctr_ioc_start(&io, &ioc, &e) != WCTR_OK) fail_msg("ioc: %s", e.text);
  start_manager();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_manager_stop(mgr);
  mgr = NULL;
  wctr_ioc_stop(ioc);
  ioc = NULL;
  remove_tree(data_root);
  return 0;
}

/* Calls a manager operation by name with params given as JSON text. */
static wctr_err op(const char *name, const char *params_json, cJSON **result, wctr_errmsg *e) {
  size_t n = 0;
  const svc_op *ops = svc_manager_ops(&n);
  svc_caller caller = {.sid = "S-1-5-18", .name = "test"};
  for (size_t i = 0; i < n; i++) {
    if (strcmp(ops[i].name, name) != 0) continue;
    cJSON *params = params_json != NULL ? cJSON_Parse(params_json) : NULL;
    cJSON *ignored = NULL;
    wctr_err err;
    if (ops[i].call != NULL) {
      err = ops[i].call(mgr, &caller, params, result != NULL ? result : &ignored, e);
    } else {
      /* A long-running operation: its answer comes through a sink. */
      tsink s;
      tsink_init(&s, ioc);
      ops[i].start(mgr, &caller, params, &s.base);
      if (!tsink_wait_released(&s, 20000)) fail_msg("%s did not finish", name);
      err = s.err;
      snprintf(e->text, sizeof e->text, "%s", s.message);
      if (result != NULL) {
        *result = s.result;
        s.result = NULL;
      }
      tsink_free(&s);
    }
    cJSON_Delete(params);
    cJSON_Delete(ignored);
    return err;
  }
  fail_msg("no op %s", name);
  return WCTR_EINTERNAL;
}

static int count_container_dirs(void) {
  char pattern[MAX_PATH + 20];
  snprintf(pattern, sizeof pattern, "%s\\containers\\*", data_root);
  wchar_t *wide = wctr_utf8_to_wide(pattern);
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(wide, &fd);
  free(wide);
  int n = 0;
  if (find == INVALID_HANDLE_VALUE) return 0;
  do {
    if (wcscmp(fd.cFileName, L".") != 0 && wcscmp(fd.cFileName, L"..") != 0) n++;
  } while (FindNextFileW(find, &fd));
  FindClose(find);
  return n;
}

static char *create(const char *params) {
  cJSON *r = NULL;
  wctr_errmsg e;
  wctr_err err = op("container.create", params, &r, &e);
  if (err != WCTR_OK) fail_msg("create: %s", e.text);
  char *id = strdup(cJSON_GetObjectItem(r, "Id")->valuestring);
  cJSON_Delete(r);
  return id;
}

static cJSON *inspect(const char *id) {
  char params[128];
  snprintf(params, sizeof params, "{\"Id\":\"%s\"}", id);
  cJSON *r = NULL;
  wctr_errmsg e;
  if (op("container.inspect", params, &r, &e) != WCTR_OK) fail_msg("inspect: %s", e.text);
  return r;
}

static const char *status_of(cJSON *record) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(record, "State"), "Status")->valuestring;
}

static void test_full_disk_at_create_leaves_nothing(void **state) {
  (void)state;
  fail_write_from = 1;
  wctr_errmsg e;
  assert_int_not_equal(op("container.create", "{\"Image\":\"host\",\"Cmd\":[\"cmd\"],\"HostConfig\":{\"Isolation\":\"job\"}}",
                          NULL, &e),
                       WCTR_OK);
  assert_non_null(strstr(e.text, "cannot write"));
  fail_write_from = 0;
  cJSON *list = NULL;
  assert_int_equal(op("container.list", "{\"All\":true}", &list, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(list), 0);
  cJSON_Delete(list);
  assert_int_equal(count_container_dirs(), 0);
}

static void test_failed_job_creation_leaves_a_created_container(void **state) {
  (void)state;
  char *id = create("{\"Name\":\"nojob\",\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"exit 0\"],"
                    "\"HostConfig\":{\"Isolation\":\"job\"}}");
  fail_create_job = TRUE;
  wctr_errmsg e;
  assert_int_not_equal(op("container.start", "{\"Id\":\"nojob\"}", NULL, &e), WCTR_OK);
  fail_create_job = FALSE;
  cJSON *r = inspect(id);
  assert_string_equal(status_of(r), "created");
  const char *error = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "State"), "Error")->valuestring;
  assert_true(strlen(error) > 0);
  cJSON_Delete(r);
  /* No job of that name survives the failure. */
  wchar_t name[80];
  _snwprintf(name, 80, L"wctr-%hs", id);
  name[79] = L'\0';
  HANDLE job = OpenJobObjectW(JOB_OBJECT_QUERY, FALSE, name);
  assert_null(job);
  /* And it starts fine once the cause is gone. */
  assert_int_equal(op("container.start", "{\"Id\":\"nojob\"}", NULL, &e), WCTR_OK);
  free(id);
}

static void test_missing_program_fails_the_start_cleanly(void **state) {
  (void)state;
  char *id = create("{\"Image\":\"host\",\"Cmd\":[\"no-such-program-xyz.exe\"],\"HostConfig\":{\"Isolation\":\"job\"}}");
  wctr_errmsg e;
  char params[128];
  snprintf(params, sizeof params, "{\"Id\":\"%s\"}", id);
  assert_int_equal(op("container.start", params, NULL, &e), WCTR_ENOENT);
  cJSON *r = inspect(id);
  assert_string_equal(status_of(r), "created");
  cJSON_Delete(r);
  free(id);
}

static void test_name_conflicts_and_references(void **state) {
  (void)state;
  char *id = create("{\"Name\":\"dup\",\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\"}}");
  wctr_errmsg e;
  assert_int_equal(op("container.create", "{\"Name\":\"dup\",\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\"}}",
                      NULL, &e),
                   WCTR_EEXIST);
  assert_non_null(strstr(e.text, "The container name \"dup\" is already in use"));
  assert_int_equal(op("container.inspect", "{\"Id\":\"nope\"}", NULL, &e), WCTR_ENOENT);
  assert_string_equal(e.text, "No such container: nope");
  char prefix[8];
  snprintf(prefix, sizeof prefix, "%.6s", id);
  char params[64];
  snprintf(params, sizeof params, "{\"Id\":\"%s\"}", prefix);
  assert_int_equal(op("container.inspect", params, NULL, &e), WCTR_OK);
  assert_int_equal(op("container.create", "{\"Image\":\"host\",\"Cmd\":[\"x\"]}", NULL, &e), WCTR_ENOTSUP);
  assert_non_null(strstr(e.text, "needs the Host Compute Service"));
  assert_int_equal(op("container.create", "{\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"process\"}}",
                      NULL, &e),
                   WCTR_ENOTSUP);
  free(id);
}

static void test_crash_leftovers_are_repaired_at_start(void **state) {
  (void)state;
  char *running = create("{\"Name\":\"was-running\",\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\"}}");
  char *removing = create("{\"Name\":\"was-removing\",\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\"}}");
  svc_manager_stop(mgr);
  /* What a crash leaves: one record says running (its job is long gone), one says removing, and a
   * half-written record. */
  svc_store *st = NULL;
  wctr_errmsg e;
  assert_int_equal(svc_store_open(data_root, &st, &e), WCTR_OK);
  svc_container *list = NULL;
  size_t n = 0;
  assert_int_equal(svc_store_load_all(st, &list, &n, NULL, &e), WCTR_OK);
  assert_int_equal(n, 2);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(list[i].id, running) == 0) {
      list[i].state.status = SVC_STATE_RUNNING;
      list[i].state.pid = 0x7ffffff0; /* no such process */
    } else {
      list[i].state.status = SVC_STATE_REMOVING;
    }
    assert_int_equal(svc_store_save(st, &list[i], &e), WCTR_OK);
    svc_container_free(&list[i]);
  }
  free(list);
  char tmp[MAX_PATH * 2];
  svc_store_path(st, running, "container.json.tmp", tmp, sizeof tmp);
  FILE *f = fopen(tmp, "wb");
  if (f != NULL) {
    fputs("{\"Id\":", f);
    fclose(f);
  }
  svc_store_close(st);
  start_manager();
  cJSON *r = inspect(running);
  assert_string_equal(status_of(r), "exited");
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "State"), "ExitCode")->valueint, -1);
  cJSON_Delete(r);
  char params[128];
  snprintf(params, sizeof params, "{\"Id\":\"%s\"}", removing);
  assert_int_equal(op("container.inspect", params, NULL, &e), WCTR_ENOENT);
  assert_int_equal(count_container_dirs(), 1);
  FILE *gone = fopen(tmp, "rb");
  assert_null(gone);
  free(running);
  free(removing);
}

static void test_damaged_record_is_moved_aside(void **state) {
  (void)state;
  char *id = create("{\"Name\":\"damaged\",\"Image\":\"host\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"job\"}}");
  svc_manager_stop(mgr);
  char path[MAX_PATH * 2];
  snprintf(path, sizeof path, "%s\\containers\\%s\\container.json", data_root, id);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("{ not json", f);
  fclose(f);
  start_manager();
  wctr_errmsg e;
  assert_int_equal(op("container.inspect", "{\"Id\":\"damaged\"}", NULL, &e), WCTR_ENOENT);
  char aside[MAX_PATH * 2];
  snprintf(aside, sizeof aside, "%s\\containers\\%s.damaged", data_root, id);
  wchar_t *wide = wctr_utf8_to_wide(aside);
  DWORD attrs = GetFileAttributesW(wide);
  free(wide);
  assert_true(attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY));
  free(id);
}

/* The old manager never removed a job from its monitor, so the monitor grew with every run and a late job
 * message could reach a freed container. Now every run's job notifications are a keyed source of the I/O
 * core that the job runtime's release removes: after a restart loop of six runs, none is left. */
static void test_restart_loop_leaves_no_job_source(void **state) {
  (void)state;
  /* A running job container has exactly one source (its job's notifications). */
  char *held = create("{\"Name\":\"held\",\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"ping -n 30 127.0.0.1 >nul\"],"
                      "\"HostConfig\":{\"Isolation\":\"job\"}}");
  wctr_errmsg he;
  assert_int_equal(op("container.start", "{\"Id\":\"held\"}", NULL, &he), WCTR_OK);
  assert_int_equal(wctr_ioc_source_count(ioc), 1);
  assert_int_equal(op("container.kill", "{\"Id\":\"held\"}", NULL, &he), WCTR_OK);
  assert_int_equal(wctr_ioc_source_count(ioc), 0);
  free(held);
  char *id = create("{\"Name\":\"loop\",\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"exit 3\"],"
                    "\"HostConfig\":{\"Isolation\":\"job\",\"RestartPolicy\":{\"Name\":\"on-failure\","
                    "\"MaximumRetryCount\":5}}}");
  wctr_errmsg e;
  assert_int_equal(op("container.start", "{\"Id\":\"loop\"}", NULL, &e), WCTR_OK);
  size_t during = 0;
  long long restarts = 0;
  for (int i = 0; i < 600 && restarts < 5; i++) {
    size_t n = wctr_ioc_source_count(ioc);
    if (n > during) during = n;
    cJSON *r = inspect(id);
    restarts = (long long)cJSON_GetObjectItem(r, "RestartCount")->valuedouble;
    bool exited = strcmp(status_of(r), "exited") == 0;
    cJSON_Delete(r);
    if (restarts >= 5 && exited) break;
    Sleep(50);
  }
  assert_int_equal(restarts, 5);
  for (int i = 0; i < 100; i++) {
    cJSON *r = inspect(id);
    bool exited = strcmp(status_of(r), "exited") == 0;
    cJSON_Delete(r);
    if (exited) break;
    Sleep(50);
  }
  assert_true(during <= 1); /* one run at a time, one source */
  assert_int_equal(wctr_ioc_source_count(ioc), 0);
  free(id);
}

int main(void) {
  wctr_log_configure(WCTR_LOG_ERROR, NULL, NULL);
  wctr_fs_write_hook = maybe_failing_write;
  jobs_sys.CreateJobObjectW = maybe_failing_create_job;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_full_disk_at_create_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_job_creation_leaves_a_created_container, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_program_fails_the_start_cleanly, setup, teardown),
      cmocka_unit_test_setup_teardown(test_name_conflicts_and_references, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crash_leftovers_are_repaired_at_start, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damaged_record_is_moved_aside, setup, teardown),
      cmocka_unit_test_setup_teardown(test_restart_loop_leaves_no_job_source, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
