/* The job runtime under Wine.
 * - Re-attach after a wctrd crash: the record names a process id, and a process id is reused once its
 *   process is gone. Only a process in the container's own job is the container's: a live process outside it
 *   (this test's own) is not adopted, the one in the job is. Wine's IsProcessInJob fails for processes opened
 *   after a restart, so the job's list of process ids answers too: both ways are tested (the seam
 *   jobs_sys.IsProcessInJob).
 * - A start whose exit cannot be watched (the old start_waiter ignored a failed CreateThread, and the
 *   container stayed "running" for ever) fails whole: no job, no process left (the seam
 *   wctr_ioc_register_wait). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ioc.h"
#include "common/ioc_win.h"
#include "common/log.h"
#include "jobs/job.h"
#include "jobs/jobs_sys.h"
#include "jobs/notify.h"
#include "runtime/rt_job.h"
#include "testutil.h"

static volatile LONG exits;
static BOOL in_job_fails; /* IsProcessInJob fails, as Wine's does for a process opened after a restart */

static BOOL WINAPI maybe_failing_in_job(HANDLE process, HANDLE job, PBOOL result) {
  if (in_job_fails) {
    SetLastError(ERROR_ACCESS_DENIED);
    return FALSE;
  }
  return IsProcessInJob(process, job, result);
}

static void on_output(void *ctx, void *key, rt_stream stream, const char *data, size_t len) {
  (void)ctx, (void)key, (void)stream, (void)data, (void)len;
}
static void on_oom(void *ctx, void *key) { (void)ctx, (void)key; }
static void on_exited(void *ctx, void *key, const rt_exit *x) {
  (void)ctx, (void)key, (void)x;
  InterlockedIncrement(&exits);
}

static void reused_pid_is_not_adopted(bool in_job_answers) {
  in_job_fails = !in_job_answers;
  InterlockedExchange(&exits, 0);
  wctr_ioc *ioc = NULL;
  wctr_errmsg e;
  wctr_ioc_options io = {0};
  assert_int_equal(wctr_ioc_start(&io, &ioc, &e), WCTR_OK);
  rt_options opt = {.ioc = ioc, .events = {.output = on_output, .oom = on_oom, .exited = on_exited}, .host_cpus = 2,
                    .host_os_version = "10.0.20348"};
  rt_runtime *rt = NULL;
  if (rt_job_open(&opt, &rt, &e) != WCTR_OK) fail_msg("rt_job_open: %s", e.text);

  /* The container's job and its process, as a crashed wctrd left them. */
  char unique[64];
  wctr_test_unique_name("reuse", unique, sizeof unique);
  char id[65];
  for (size_t i = 0; i < 64; i++) id[i] = "0123456789abcdef"[((unsigned char)unique[i % strlen(unique)] + i) % 16];
  id[64] = '\0';
  char job_name[80];
  snprintf(job_name, sizeof job_name, "wctr-%s", id);
  job_limits limits;
  memset(&limits, 0, sizeof limits);
  job_object *job = NULL;
  if (job_create(job_name, &limits, &job, &e) != WCTR_OK) fail_msg("job_create: %s", e.text);
  const char *env[] = {"SystemRoot=C:\\windows", NULL};
  job_spawn_spec ss = {.command_line = "C:\\windows\\system32\\cmd.exe /c ping -n 60 127.0.0.1 >nul",
                       .working_dir = "C:\\", .env = env};
  job_process proc;
  memset(&proc, 0, sizeof proc);
  if (job_spawn(job, &ss, &proc, &e) != WCTR_OK) fail_msg("job_spawn: %s", e.text);

  spec_container spec;
  memset(&spec, 0, sizeof spec);
  spec.image = (char *)"host";
  spec.isolation = WCTR_ISOLATION_JOB;
  rt_args a = {.id = id, .name = "reuse", .spec = &spec, .container_dir = "C:\\nowhere", .pid = GetCurrentProcessId()};

  /* The recorded id now belongs to a process outside the job (ours): not the container's. */
  rt_task *t = NULL;
  rt_exit ended;
  memset(&ended, 0, sizeof ended);
  assert_int_equal(rt->methods->reattach(rt, &a, &t, &ended, &e), WCTR_ENOENT);
  assert_null(t);
  assert_int_equal(ended.code, -1);
  /* The one in the job is. */
  a.pid = proc.pid;
  if (rt->methods->reattach(rt, &a, &t, &ended, &e) != WCTR_OK) fail_msg("reattach: %s", e.text);
  assert_non_null(t);
  assert_int_equal(rt->methods->signal(t, RT_SIGNAL_KILL, &e), WCTR_OK);
  for (int i = 0; i < 1000 && InterlockedCompareExchange(&exits, 0, 0) == 0; i++) Sleep(10);
  assert_int_equal(InterlockedCompareExchange(&exits, 0, 0), 1);
  rt->methods->release(t);
  job_process_close(&proc);
  job_close(job);
  rt->methods->close(rt);
  wctr_ioc_stop(ioc);
  in_job_fails = FALSE;
}

static void test_a_reused_pid_is_not_adopted(void **state) {
  (void)state;
  reused_pid_is_not_adopted(true);
}

/* When IsProcessInJob cannot answer, the job's own list of process ids does: the old code adopted the
 * process anyway. */
static void test_a_reused_pid_is_not_adopted_when_windows_cannot_tell(void **state) {
  (void)state;
  reused_pid_is_not_adopted(false);
}

static BOOL WINAPI refuse_wait(PHANDLE wait, HANDLE h, WAITORTIMERCALLBACK fn, PVOID ctx, ULONG ms, ULONG flags) {
  (void)wait, (void)h, (void)fn, (void)ctx, (void)ms, (void)flags;
  SetLastError(ERROR_NOT_ENOUGH_MEMORY);
  return FALSE;
}

static void test_a_start_that_cannot_watch_its_exit_leaves_nothing(void **state) {
  (void)state;
  InterlockedExchange(&exits, 0);
  wctr_ioc *ioc = NULL;
  wctr_errmsg e;
  wctr_ioc_options io = {0};
  assert_int_equal(wctr_ioc_start(&io, &ioc, &e), WCTR_OK);
  rt_options opt = {.ioc = ioc, .events = {.output = on_output, .oom = on_oom, .exited = on_exited}, .host_cpus = 2,
                    .host_os_version = "10.0.20348"};
  rt_runtime *rt = NULL;
  if (rt_job_open(&opt, &rt, &e) != WCTR_OK) fail_msg("rt_job_open: %s", e.text);
  char unique[64];
  wctr_test_unique_name("nowait", unique, sizeof unique);
  char id[65];
  for (size_t i = 0; i < 64; i++) id[i] = "0123456789abcdef"[((unsigned char)unique[i % strlen(unique)] + 3 * i) % 16];
  id[64] = '\0';
  char *cmd[] = {(char *)"C:\\windows\\system32\\cmd.exe", (char *)"/c", (char *)"ping -n 60 127.0.0.1 >nul", NULL};
  spec_container spec;
  memset(&spec, 0, sizeof spec);
  spec.image = (char *)"host";
  spec.isolation = WCTR_ISOLATION_JOB;
  spec.process.cmd = cmd;
  spec.process.cmd_count = 3;
  rt_args a = {.id = id, .name = "nowait", .spec = &spec, .container_dir = "C:\\nowhere"};
  rt_task *t = NULL;
  rt_started info;
  memset(&info, 0, sizeof info);
  wctr_ioc_register_wait = refuse_wait;
  wctr_err err = rt->methods->start(rt, &a, &t, &info, &e);
  wctr_ioc_register_wait = RegisterWaitForSingleObject;
  assert_int_not_equal(err, WCTR_OK);
  assert_null(t);
  assert_non_null(strstr(e.text, "could not be waited for"));
  /* Nothing is left running: the job (and with it the process) is gone. */
  char job_name[80];
  snprintf(job_name, sizeof job_name, "wctr-%s", id);
  job_object *job = NULL;
  wctr_err opened = WCTR_OK;
  for (int i = 0; i < 100; i++) {
    opened = job_open(job_name, &job, &e);
    if (opened != WCTR_OK) break;
    job_close(job);
    Sleep(50);
  }
  assert_int_equal(opened, WCTR_ENOENT);
  assert_int_equal(InterlockedCompareExchange(&exits, 0, 0), 0); /* a task that never was reports nothing */
  /* With the wait back, the same id starts (nothing of the failed start is in the way). */
  memset(&info, 0, sizeof info);
  if (rt->methods->start(rt, &a, &t, &info, &e) != WCTR_OK) fail_msg("start: %s", e.text);
  cJSON_Delete(info.state);
  assert_int_equal(rt->methods->signal(t, RT_SIGNAL_KILL, &e), WCTR_OK);
  for (int i = 0; i < 1000 && InterlockedCompareExchange(&exits, 0, 0) == 0; i++) Sleep(10);
  assert_int_equal(InterlockedCompareExchange(&exits, 0, 0), 1);
  rt->methods->release(t);
  rt->methods->close(rt);
  wctr_ioc_stop(ioc);
}

/* exec (runtime.h v2): a process born in the container's job, with the container's environment plus its own
 * -e (which wins) and the container's working directory unless it gives one; a missing program is
 * WCTR_ENOENT with Docker's words; the exec'd process ends with the container's run, and no exec starts
 * after that. */
typedef struct exec_seen {
  CRITICAL_SECTION cs;
  char out[4096];
  size_t len;
  volatile LONG exited;
  int64_t code;
} exec_seen;

static void exec_output(void *ctx, rt_stream stream, const char *data, size_t len) {
  exec_seen *x = ctx;
  (void)stream;
  EnterCriticalSection(&x->cs);
  if (len > sizeof x->out - 1 - x->len) len = sizeof x->out - 1 - x->len;
  memcpy(x->out + x->len, data, len);
  x->len += len;
  x->out[x->len] = '\0';
  LeaveCriticalSection(&x->cs);
}
static void exec_exited(void *ctx, int64_t code) {
  exec_seen *x = ctx;
  x->code = code;
  InterlockedExchange(&x->exited, 1);
}

static void wait_exec(exec_seen *x) {
  for (int i = 0; i < 1000 && InterlockedCompareExchange(&x->exited, 0, 0) == 0; i++) Sleep(10);
  assert_int_equal(InterlockedCompareExchange(&x->exited, 0, 0), 1);
}

static void test_exec_runs_in_the_job_and_ends_with_the_container(void **state) {
  (void)state;
  InterlockedExchange(&exits, 0);
  wctr_ioc *ioc = NULL;
  wctr_errmsg e;
  wctr_ioc_options io = {0};
  assert_int_equal(wctr_ioc_start(&io, &ioc, &e), WCTR_OK);
  rt_options opt = {.ioc = ioc, .events = {.output = on_output, .oom = on_oom, .exited = on_exited}, .host_cpus = 2,
                    .host_os_version = "10.0.20348"};
  rt_runtime *rt = NULL;
  if (rt_job_open(&opt, &rt, &e) != WCTR_OK) fail_msg("rt_job_open: %s", e.text);
  assert_int_equal(rt->methods->version, RT_METHODS_V3);
  char unique[64];
  wctr_test_unique_name("exec", unique, sizeof unique);
  char id[65];
  for (size_t i = 0; i < 64; i++) id[i] = "0123456789abcdef"[((unsigned char)unique[i % strlen(unique)] + 5 * i) % 16];
  id[64] = '\0';
  char *cmd[] = {(char *)"C:\\windows\\system32\\cmd.exe", (char *)"/c", (char *)"ping -n 60 127.0.0.1 >nul", NULL};
  char *env[] = {(char *)"FOO=container", (char *)"BAR=kept", NULL};
  spec_container spec;
  memset(&spec, 0, sizeof spec);
  spec.image = (char *)"host";
  spec.isolation = WCTR_ISOLATION_JOB;
  spec.process.cmd = cmd;
  spec.process.cmd_count = 3;
  spec.process.env = env;
  spec.process.env_count = 2;
  spec.process.working_dir = (char *)"C:\\windows";
  rt_args a = {.id = id, .name = "exec", .spec = &spec, .container_dir = "C:\\nowhere"};
  rt_task *t = NULL;
  rt_started info;
  memset(&info, 0, sizeof info);
  if (rt->methods->start(rt, &a, &t, &info, &e) != WCTR_OK) fail_msg("start: %s", e.text);
  cJSON_Delete(info.state);

  /* pause: refused with the reason (no documented way to freeze a job object); the run goes on. */
  assert_int_equal(RT_PAUSE_FN(rt->methods)(t, &e), WCTR_ENOTSUP);
  assert_string_equal(e.text, RT_JOB_PAUSE_REFUSAL);
  assert_int_equal(RT_RESUME_FN(rt->methods)(t, &e), WCTR_ESTATE);

  /* The container's environment and folder; exec's -e wins. */
  exec_seen x1;
  memset(&x1, 0, sizeof x1);
  InitializeCriticalSection(&x1.cs);
  char *c1[] = {(char *)"cmd.exe", (char *)"/c", (char *)"echo [%FOO%][%BAR%] & cd", NULL};
  char *e1[] = {(char *)"foo=exec", NULL};
  spec_process p1 = {.cmd = c1, .cmd_count = 3, .env = e1, .env_count = 1};
  rt_exec_events ev1 = {.ctx = &x1, .output = exec_output, .exited = exec_exited};
  rt_proc *proc = NULL;
  uint32_t pid = 0;
  if (rt->methods->exec(t, &p1, &ev1, &proc, &pid, &e) != WCTR_OK) fail_msg("exec: %s", e.text);
  assert_non_null(proc);
  assert_true(pid != 0);
  wait_exec(&x1);
  assert_int_equal(x1.code, 0);
  assert_non_null(strstr(x1.out, "[exec][kept]"));
  assert_non_null(strstr(x1.out, "C:\\windows"));
  rt->methods->proc_release(proc);

  /* -w; the process is in the container's job (its own pid is listed by the job). */
  exec_seen x2;
  memset(&x2, 0, sizeof x2);
  InitializeCriticalSection(&x2.cs);
  char *c2[] = {(char *)"cmd.exe", (char *)"/c", (char *)"cd & ping -n 60 127.0.0.1 >nul", NULL};
  spec_process p2 = {.cmd = c2, .cmd_count = 3, .working_dir = (char *)"C:\\"};
  rt_exec_events ev2 = {.ctx = &x2, .output = exec_output, .exited = exec_exited};
  if (rt->methods->exec(t, &p2, &ev2, &proc, &pid, &e) != WCTR_OK) fail_msg("exec: %s", e.text);
  char job_name[80];
  snprintf(job_name, sizeof job_name, "wctr-%s", id);
  job_object *job = NULL;
  if (job_open(job_name, &job, &e) != WCTR_OK) fail_msg("job_open: %s", e.text);
  HANDLE h = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid);
  assert_non_null(h);
  bool in = false;
  if (job_contains_process(job, h, &in, &e) != WCTR_OK) fail_msg("job_contains_process: %s", e.text);
  assert_true(in);
  job_close(job);
  /* top lists it (and the container's own), with its image name. */
  cJSON *procs = NULL;
  if (rt->methods->top(t, &procs, &e) != WCTR_OK) fail_msg("top: %s", e.text);
  bool listed = false;
  const cJSON *pr;
  cJSON_ArrayForEach(pr, procs) {
    const cJSON *ppid = cJSON_GetObjectItemCaseSensitive(pr, "ProcessId");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(pr, "ImageName");
    if (cJSON_IsNumber(ppid) && (uint32_t)ppid->valuedouble == pid) {
      listed = cJSON_IsString(name) && _stricmp(name->valuestring, "cmd.exe") == 0;
    }
  }
  assert_true(listed);
  assert_true(cJSON_GetArraySize(procs) >= 2);
  cJSON_Delete(procs);

  /* A missing program: WCTR_ENOENT, Docker's words, nothing to release. */
  char *c3[] = {(char *)"no-such-program-wctr.exe", NULL};
  spec_process p3 = {.cmd = c3, .cmd_count = 1};
  exec_seen x3;
  memset(&x3, 0, sizeof x3);
  rt_exec_events ev3 = {.ctx = &x3, .output = exec_output, .exited = exec_exited};
  rt_proc *none = NULL;
  assert_int_equal(rt->methods->exec(t, &p3, &ev3, &none, &pid, &e), WCTR_ENOENT);
  assert_null(none);
  assert_non_null(strstr(e.text, "executable file not found"));

  /* It has started (printed its folder) before the container ends. */
  bool printed = false;
  for (int i = 0; i < 1000 && !printed; i++) {
    EnterCriticalSection(&x2.cs);
    printed = strstr(x2.out, "C:\\") != NULL;
    LeaveCriticalSection(&x2.cs);
    if (!printed) Sleep(10);
  }
  assert_true(printed);
  assert_int_equal(InterlockedCompareExchange(&x2.exited, 0, 0), 0);
  /* The container ends: its exec'd process goes with it (killed, code 1) and exec is refused. */
  assert_int_equal(rt->methods->signal(t, RT_SIGNAL_KILL, &e), WCTR_OK);
  for (int i = 0; i < 1000 && InterlockedCompareExchange(&exits, 0, 0) == 0; i++) Sleep(10);
  assert_int_equal(InterlockedCompareExchange(&exits, 0, 0), 1);
  wait_exec(&x2);
  assert_int_equal(x2.code, RT_KILLED_EXIT_CODE);
  assert_int_equal(WaitForSingleObject(h, 5000), WAIT_OBJECT_0);
  CloseHandle(h);
  rt->methods->proc_release(proc);
  assert_int_equal(rt->methods->exec(t, &p1, &ev1, &none, &pid, &e), WCTR_ESTATE);
  rt->methods->release(t);
  DeleteCriticalSection(&x1.cs);
  DeleteCriticalSection(&x2.cs);
  rt->methods->close(rt);
  wctr_ioc_stop(ioc);
}

int main(void) {
  wctr_log_configure(WCTR_LOG_ERROR, NULL, NULL);
  jobs_sys.IsProcessInJob = maybe_failing_in_job;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_reused_pid_is_not_adopted),
      cmocka_unit_test(test_a_reused_pid_is_not_adopted_when_windows_cannot_tell),
      cmocka_unit_test(test_a_start_that_cannot_watch_its_exit_leaves_nothing),
      cmocka_unit_test(test_exec_runs_in_the_job_and_ends_with_the_container),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
