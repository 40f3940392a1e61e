/* tests/jobs/test_jobs_win_run.c - real jobs and real processes (Windows and Wine): exit codes and output
 * through inherited pipes, the exact environment, notifications through the monitor, accounting, process
 * lists, KILL_ON_JOB_CLOSE, termination, names, the graceful stop, and the identity the process gets. */
#include "jobs_win_test.h"

#include <string.h>

#include "jobs/jobs_sys.h"

static jobs_test_events events;
static job_monitor *monitor;

/* The stop signal's threads, recorded on their way to Windows (jobs_sys seam). */
static HANDLE (WINAPI *real_create_remote_thread)(HANDLE, LPSECURITY_ATTRIBUTES, SIZE_T, LPTHREAD_START_ROUTINE,
                                                  LPVOID, DWORD, LPDWORD);
static DWORD signalled[16];
static int signal_count;
static BOOL signal_bad_call;

static HANDLE WINAPI recording_remote_thread(HANDLE process, LPSECURITY_ATTRIBUTES sa, SIZE_T stack,
                                             LPTHREAD_START_ROUTINE start, LPVOID parameter, DWORD flags, LPDWORD id) {
  HMODULE kernel32 = GetModuleHandleW(L"kernel32.dll");
  if ((void (*)(void))start != (void (*)(void))GetProcAddress(kernel32, "CtrlRoutine") ||
      parameter != (LPVOID)(ULONG_PTR)CTRL_SHUTDOWN_EVENT || flags != 0) {
    signal_bad_call = TRUE;
  }
  if (signal_count < (int)COUNT_OF(signalled)) signalled[signal_count] = GetProcessId(process);
  signal_count++;
  return real_create_remote_thread(process, sa, stack, start, parameter, flags, id);
}

/* Whether the process runs %SystemRoot%\System32\conhost.exe. */
static bool is_conhost(DWORD pid) {
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (h == NULL) return false;
  wchar_t image[MAX_PATH];
  DWORD size = MAX_PATH;
  bool yes = QueryFullProcessImageNameW(h, 0, image, &size) && size >= 12 && _wcsicmp(image + size - 12, L"\\conhost.exe") == 0;
  CloseHandle(h);
  return yes;
}

static int setup(void **state) {
  (void)state;
  wctr_errmsg e;
  jobs_test_events_init(&events);
  if (job_monitor_start(jobs_test_events_record, &events, &monitor, &e) != WCTR_OK) FAILF("monitor: %s", e.text);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  job_monitor_stop(monitor);
  monitor = NULL;
  jobs_test_events_free(&events);
  return 0;
}

static job_object *create(const char *what, const job_limits *limits) {
  job_object *job = NULL;
  wctr_errmsg e;
  if (job_create(jobs_test_name(what), limits, &job, &e) != WCTR_OK) FAILF("job_create: %s", e.text);
  return job;
}

static job_process spawn(job_object *job, const char *args, HANDLE out) {
  job_process p;
  wctr_errmsg e;
  if (jobs_test_spawn_helper(job, args, out, &p, &e) != WCTR_OK) FAILF("job_spawn %s: %s", args, e.text);
  return p;
}

static void test_exit_code_events_and_accounting(void **state) {
  (void)state;
  wctr_errmsg e;
  job_object *job = create("exit7", NULL);
  int key = 7;
  assert_int_equal(job_monitor_add(monitor, job, &key, &e), WCTR_OK);
  job_spawn_spec spec = {.command_line = "cmd /c exit 7", .env = jobs_test_env()};
  job_process p;
  if (job_spawn(job, &spec, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  assert_true(p.pid != 0);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 7);
  assert_true(jobs_test_events_wait(&events, &key, JOB_EVENT_NEW_PROCESS, p.pid, JOBS_T));
  assert_true(jobs_test_events_wait(&events, &key, JOB_EVENT_EXIT_PROCESS, p.pid, JOBS_T));
  assert_true(jobs_test_events_wait(&events, &key, JOB_EVENT_ALL_EXITED, 0, JOBS_T));
  job_stats stats;
  assert_int_equal(job_query_stats(job, &stats, &e), WCTR_OK);
  assert_true(stats.total_processes >= 1);
  assert_int_equal(stats.active_processes, 0);
  uint32_t *pids = NULL;
  size_t count = 99;
  assert_int_equal(job_list_pids(job, &pids, &count, &e), WCTR_OK);
  assert_int_equal(count, 0);
  assert_null(pids);
  job_process_close(&p);
  job_monitor_remove(monitor, job);
  job_close(job);
}

static void test_output_through_an_inherited_pipe(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_object *job = create("print", NULL);
  job_process p = spawn(job, "print hello-from-the-job", w);
  /* wctrd's end of the pipe stays non-inheritable: job_spawn passed a duplicate. */
  DWORD flags = 0;
  assert_true(GetHandleInformation(w, &flags));
  assert_int_equal(flags & HANDLE_FLAG_INHERIT, 0);
  CloseHandle(w); /* the child holds the only writer now */
  assert_string_equal(jobs_test_read_all(r, JOBS_T), "hello-from-the-job");
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 0);
  job_process_close(&p);
  CloseHandle(r);
  job_close(job);
}

/* job_spawn's CREATE_NO_WINDOW: each container's process gets a console of its own - console APIs work on
 * it, and neither another container's process nor wctrd (this test process) is attached to it. Both
 * processes are alive when each reports, so a console they shared would list them both. */
static bool pid_listed(const char *report, uint32_t pid) {
  char needle[24];
  snprintf(needle, sizeof needle, ",%lu,", (unsigned long)pid);
  return strstr(report, needle) != NULL;
}

static void test_each_process_has_a_console_of_its_own(void **state) {
  (void)state;
  job_object *jobs[2] = {create("console-a", NULL), create("console-b", NULL)};
  HANDLE in_r[2], in_w[2], out_r[2], out_w[2];
  job_process p[2];
  char reports[2][256];
  for (int i = 0; i < 2; i++) {
    jobs_test_pipe(&in_r[i], &in_w[i]);
    jobs_test_pipe(&out_r[i], &out_w[i]);
    job_spawn_spec spec = {.command_line = jobs_helper_cmdline("console"), .env = jobs_test_env(), .std_in = in_r[i],
                           .std_out = out_w[i]};
    wctr_errmsg e;
    if (job_spawn(jobs[i], &spec, &p[i], &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
    CloseHandle(in_r[i]);
    CloseHandle(out_w[i]);
  }
  for (int i = 0; i < 2; i++) jobs_test_read_until(out_r[i], "ready", JOBS_T);
  for (int i = 0; i < 2; i++) {
    DWORD written = 0;
    assert_true(WriteFile(in_w[i], "\n", 1, &written, NULL));
  }
  for (int i = 0; i < 2; i++) {
    snprintf(reports[i], sizeof reports[i], "%s", jobs_test_read_all(out_r[i], JOBS_T));
    assert_int_equal(jobs_test_exit_code(p[i].process, JOBS_T), 0);
  }
  for (int i = 0; i < 2; i++) {
    const char *report = strstr(reports[i], "console=");
    if (report == NULL) FAILF("process %d reported no console: %s", i, reports[i]);
    if (strncmp(report, "console=1 ", 10) != 0) FAILF("console APIs fail in process %d: %s", i, report);
    if (!pid_listed(report, p[i].pid)) FAILF("process %d (pid %lu) is not on its own console: %s", i, (unsigned long)p[i].pid, report);
    if (pid_listed(report, p[1 - i].pid)) FAILF("process %d shares its console with process %d: %s", i, 1 - i, report);
    if (pid_listed(report, GetCurrentProcessId())) FAILF("process %d shares wctrd's console: %s", i, report);
  }
  for (int i = 0; i < 2; i++) {
    job_process_close(&p[i]);
    CloseHandle(in_w[i]);
    CloseHandle(out_r[i]);
    job_close(jobs[i]);
  }
}

static int compare_strings(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_environment_is_exactly_the_list(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_object *job = create("environ", NULL);
  /* SystemDrive and SystemRoot are given because Wine's loader adds them when they are missing. */
  char drive[64], root[MAX_PATH + 16];
  wchar_t wide[MAX_PATH];
  assert_true(GetEnvironmentVariableW(L"SystemDrive", wide, MAX_PATH) > 0);
  snprintf(drive, sizeof drive, "SystemDrive=%ls", wide);
  assert_true(GetEnvironmentVariableW(L"SystemRoot", wide, MAX_PATH) > 0);
  snprintf(root, sizeof root, "SystemRoot=%ls", wide);
  const char *const env[] = {"ZED=1", root, "alpha=two words", drive, "Mid=x=y", NULL};
  job_spawn_spec spec = {.command_line = jobs_helper_cmdline("environ"), .env = env, .std_out = w};
  job_process p;
  wctr_errmsg e;
  if (job_spawn(job, &spec, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  CloseHandle(w);
  const char *out = jobs_test_read_all(r, JOBS_T);
  /* These entries and nothing of wctrd's own environment. Wine's loader adds WINE* variables to every
   * process and moves SystemDrive and SystemRoot to the end, so lines are compared as a set; the order of
   * the block handed to Windows is test_jobs_win_spawn's. */
  char *lines[32];
  size_t count = 0;
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", out);
  for (char *line = strtok(copy, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (wctr_test_under_wine() && strncmp(line, "WINE", 4) == 0) continue;
    assert_true(count < COUNT_OF(lines));
    lines[count++] = line;
  }
  qsort(lines, count, sizeof lines[0], compare_strings);
  char kept[1024] = "";
  size_t used = 0;
  for (size_t i = 0; i < count && used < sizeof kept; i++) used += (size_t)snprintf(kept + used, sizeof kept - used, "%s;", lines[i]);
  const char *sorted_want[] = {"Mid=x=y", drive, root, "ZED=1", "alpha=two words"};
  char want[1024] = "";
  used = 0;
  for (size_t i = 0; i < COUNT_OF(sorted_want); i++) used += (size_t)snprintf(want + used, sizeof want - used, "%s;", sorted_want[i]);
  assert_string_equal(kept, want);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 0);
  job_process_close(&p);
  CloseHandle(r);
  job_close(job);
}

static void test_bad_environment_starts_nothing(void **state) {
  (void)state;
  job_object *job = create("badenv", NULL);
  static const char *const no_equals[] = {"A=1", "SECRETVALUE", NULL};
  static const char *const empty_name[] = {"=C:\\", NULL};
  static const char *const twice[] = {"Path=a", "B=2", "PATH=hunter2", NULL};
  const char *const *cases[] = {no_equals, empty_name, twice};
  const char *messages[] = {"environment entry 2 is not NAME=value", "environment entry 1 is not NAME=value",
                            "environment variable PATH is given twice (entries 1 and 3)"};
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    job_spawn_spec spec = {.command_line = "cmd /c exit 0", .env = cases[i]};
    job_process p;
    wctr_errmsg e;
    assert_int_equal(job_spawn(job, &spec, &p, &e), WCTR_EINVAL);
    assert_string_equal(e.text, messages[i]);
    assert_null(strstr(e.text, "hunter2")); /* values never reach a message */
    assert_null(p.process);
  }
  job_stats stats;
  wctr_errmsg e;
  assert_int_equal(job_query_stats(job, &stats, &e), WCTR_OK);
  assert_int_equal(stats.total_processes, 0);
  job_close(job);
}

/* The first process holds a SYNCHRONIZE handle to its own job (job_spawn), so closing wctrd's handles
 * leaves the container running (a dying wctrd does not take it along); KILL_ON_JOB_CLOSE then fires when
 * that process ends, and takes whatever else runs in the job with it. */
static void test_kill_on_job_close(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_object *job = create("killclose", NULL);
  job_process first = spawn(job, "tree 1 60000", w); /* it starts a child of its own in the job */
  CloseHandle(w);
  jobs_test_read_until(r, "started 1", JOBS_T);
  CloseHandle(r);
  uint32_t *pids = NULL;
  size_t count = 0;
  wctr_errmsg e;
  assert_int_equal(job_list_pids(job, &pids, &count, &e), WCTR_OK);
  HANDLE child = NULL;
  for (size_t i = 0; i < count && child == NULL; i++) {
    if (pids[i] == first.pid) continue;
    HANDLE h = OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pids[i]);
    wchar_t image[MAX_PATH];
    DWORD n = MAX_PATH;
    /* Not the conhost.exe of the first process: the sleeping child. */
    if (h != NULL && QueryFullProcessImageNameW(h, 0, image, &n) && wcsstr(image, L"conhost") == NULL) {
      child = h;
    } else if (h != NULL) {
      CloseHandle(h);
    }
  }
  free(pids);
  assert_non_null(child);
  job_close(job); /* wctrd's last handle */
  assert_int_equal(WaitForSingleObject(first.process, 500), WAIT_TIMEOUT);
  assert_int_equal(WaitForSingleObject(child, 0), WAIT_TIMEOUT);
  TerminateProcess(first.process, 3);
  assert_int_equal(WaitForSingleObject(child, JOBS_T), WAIT_OBJECT_0); /* gone with the job's last handle */
  CloseHandle(child);
  job_process_close(&first);
}

static void test_terminate_with_the_given_code(void **state) {
  (void)state;
  wctr_errmsg e;
  job_object *job = create("terminate", NULL);
  int key = 137;
  assert_int_equal(job_monitor_add(monitor, job, &key, &e), WCTR_OK);
  job_process p = spawn(job, "sleep 60000", NULL);
  assert_true(jobs_test_events_wait(&events, &key, JOB_EVENT_NEW_PROCESS, p.pid, JOBS_T));
  assert_int_equal(job_terminate(job, 137, &e), WCTR_OK);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 137);
  assert_true(jobs_test_events_wait(&events, &key, JOB_EVENT_ALL_EXITED, 0, JOBS_T));
  job_process_close(&p);
  job_monitor_remove(monitor, job);
  job_close(job);
}

static void test_names(void **state) {
  (void)state;
  wctr_errmsg e;
  const char *name = jobs_test_name("named");
  job_object *job = NULL;
  assert_int_equal(job_create(name, NULL, &job, &e), WCTR_OK);
  job_process p = spawn(job, "sleep 60000", NULL);

  /* A second handle by name sees the same job. */
  job_object *second = NULL;
  if (job_open(name, &second, &e) != WCTR_OK) FAILF("job_open: %s", e.text);
  uint32_t *pids = NULL;
  size_t count = 0;
  assert_int_equal(job_list_pids(second, &pids, &count, &e), WCTR_OK);
  /* The process, and possibly the conhost.exe its hidden console brings into the job (when it exists
   * yet depends on timing). */
  assert_true(count == 1 || count == 2);
  bool found = false;
  for (size_t i = 0; i < count; i++) found = found || pids[i] == p.pid;
  assert_true(found);
  free(pids);

  /* The name is taken; the job that has it is left as it was. */
  job_object *again = NULL;
  assert_int_equal(job_create(name, NULL, &again, &e), WCTR_EEXIST);
  assert_null(again);
  assert_non_null(strstr(e.text, "already exists"));
  assert_int_equal(WaitForSingleObject(p.process, 0), WAIT_TIMEOUT);

  /* One handle closed: the other keeps the job and its process. */
  job_close(job);
  assert_int_equal(WaitForSingleObject(p.process, 200), WAIT_TIMEOUT);
  assert_true(jobs_test_job_exists(name));
  /* wctrd's last one closed: the process keeps the job (its own handle), so the name stays taken... */
  job_close(second);
  assert_int_equal(WaitForSingleObject(p.process, 200), WAIT_TIMEOUT);
  assert_true(jobs_test_job_exists(name));
  /* ...until it ends: then the job goes and the name is free. */
  TerminateProcess(p.process, 1);
  jobs_test_exit_code(p.process, JOBS_T);
  job_process_close(&p);
  /* Windows removes the name with the last handle. Wine keeps it until the job object itself goes, which
   * its dying processes delay by a few hundred milliseconds: allow for that. */
  job_object *gone = NULL;
  wctr_err err = WCTR_OK;
  for (int i = 0; i < 150; i++) {
    err = job_open(name, &gone, &e);
    if (err != WCTR_OK || !wctr_test_under_wine()) break;
    job_close(gone);
    gone = NULL;
    Sleep(100);
  }
  assert_int_equal(err, WCTR_ENOENT);
  assert_null(gone);
  assert_non_null(strstr(e.text, name));
}

static void test_name_of_another_object_type(void **state) {
  (void)state;
  const char *name = jobs_test_name("event");
  wchar_t wide[128] = L"Global\\";
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 7, 120);
  HANDLE event = CreateEventW(NULL, TRUE, FALSE, wide);
  assert_non_null(event);
  job_object *job = NULL;
  wctr_errmsg e;
  assert_int_equal(job_create(name, NULL, &job, &e), WCTR_EEXIST);
  assert_null(job);
  assert_non_null(strstr(e.text, "not a job"));
  CloseHandle(event);
}

static void test_bad_names(void **state) {
  (void)state;
  char long_name[JOB_NAME_MAX + 2];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  const char *names[] = {"", "a\\b", long_name, "\xff\xfe"};
  for (size_t i = 0; i < COUNT_OF(names); i++) {
    job_object *job = NULL;
    wctr_errmsg e;
    assert_int_equal(job_create(names[i], NULL, &job, &e), WCTR_EINVAL);
    assert_int_equal(job_open(names[i], &job, &e), WCTR_EINVAL);
  }
  job_object *job = NULL;
  wctr_errmsg e;
  assert_int_equal(job_create(NULL, NULL, &job, &e), WCTR_EINVAL);
}

static void test_process_list_grows(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_object *job = create("tree", NULL);
  /* 11 processes and the root's conhost.exe: more than job_list_pids' first buffer holds (8). */
  job_process p = spawn(job, "tree 10 60000", w);
  CloseHandle(w);
  jobs_test_read_until(r, "started 10", JOBS_T);
  uint32_t *pids = NULL;
  size_t count = 0;
  wctr_errmsg e;
  assert_int_equal(job_list_pids(job, &pids, &count, &e), WCTR_OK);
  assert_true(count >= 11);
  bool root = false;
  for (size_t i = 0; i < count; i++) root = root || pids[i] == p.pid;
  assert_true(root);
  free(pids);
  job_stats stats;
  assert_int_equal(job_query_stats(job, &stats, &e), WCTR_OK);
  assert_int_equal(stats.active_processes, count);
  assert_int_equal(job_terminate(job, 1, &e), WCTR_OK);
  jobs_test_exit_code(p.process, JOBS_T);
  job_process_close(&p);
  CloseHandle(r);
  job_close(job);
}

static void test_stop_signal_reaches_a_handler(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_object *job = create("ctrl", NULL);
  job_process p = spawn(job, "ctrl", w);
  CloseHandle(w);
  jobs_test_read_until(r, "ready", JOBS_T);
  wctr_errmsg e;
  if (job_signal_stop(job, &e) != WCTR_OK) FAILF("job_signal_stop: %s", e.text);
  jobs_test_read_until(r, "ctrl 6", JOBS_T); /* CTRL_SHUTDOWN_EVENT */
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 40 + CTRL_SHUTDOWN_EVENT);
  job_process_close(&p);
  CloseHandle(r);
  job_close(job);
}

static void test_stop_signal_without_a_handler_ends_the_process(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_object *job = create("nohandler", NULL);
  job_process p = spawn(job, "tree 2 60000", w);
  CloseHandle(w);
  jobs_test_read_until(r, "started 2", JOBS_T);
  /* Every process of the job, not only the first, gets the event (the default handler ends each); the
   * console host, which is not signalled, ends after its last client. */
  uint32_t *pids = NULL;
  size_t count = 0;
  wctr_errmsg e;
  assert_int_equal(job_list_pids(job, &pids, &count, &e), WCTR_OK);
  assert_true(count >= 3);
  size_t consoles = 0;
  for (size_t i = 0; i < count; i++) consoles += is_conhost(pids[i]);
  Sleep(200); /* let the children reach their main() */
  real_create_remote_thread = jobs_sys.CreateRemoteThread;
  jobs_sys.CreateRemoteThread = recording_remote_thread;
  signal_count = 0;
  signal_bad_call = FALSE;
  wctr_err err = job_signal_stop(job, &e);
  jobs_sys.CreateRemoteThread = real_create_remote_thread;
  if (err != WCTR_OK) FAILF("job_signal_stop: %s", e.text);
  /* One thread at kernel32!CtrlRoutine(CTRL_SHUTDOWN_EVENT) per process, the console host left out. */
  assert_false(signal_bad_call);
  assert_int_equal(signal_count, count - consoles);
  for (int i = 0; i < signal_count; i++) assert_false(is_conhost(signalled[i]));
  jobs_test_exit_code(p.process, JOBS_T);
  for (size_t i = 0; i < count; i++) {
    for (int t = 0; t < 500 && !jobs_test_process_gone(pids[i]); t++) Sleep(10);
    assert_true(jobs_test_process_gone(pids[i]));
  }
  free(pids);
  job_process_close(&p);
  CloseHandle(r);
  job_close(job);
}

static void test_stop_signal_on_an_empty_job(void **state) {
  (void)state;
  job_object *job = create("empty", NULL);
  wctr_errmsg e;
  assert_int_equal(job_signal_stop(job, &e), WCTR_OK);
  job_close(job);
}

static void test_monitor_remove_and_events_of_other_jobs(void **state) {
  (void)state;
  wctr_errmsg e;
  job_object *quiet = create("quiet", NULL);
  job_object *loud = create("loud", NULL);
  int quiet_key = 1, loud_key = 2;
  assert_int_equal(job_monitor_add(monitor, quiet, &quiet_key, &e), WCTR_OK);
  assert_int_equal(job_monitor_add(monitor, quiet, &quiet_key, &e), WCTR_EINVAL); /* already in */
  assert_int_equal(job_monitor_add(monitor, loud, &loud_key, &e), WCTR_OK);
  job_monitor_remove(monitor, quiet);
  job_monitor_remove(monitor, quiet); /* twice is harmless */
  job_process a = spawn(quiet, "exit 0", NULL);
  job_process b = spawn(loud, "exit 0", NULL);
  jobs_test_exit_code(a.process, JOBS_T);
  jobs_test_exit_code(b.process, JOBS_T);
  assert_true(jobs_test_events_wait(&events, &loud_key, JOB_EVENT_ALL_EXITED, 0, JOBS_T));
  Sleep(300); /* the quiet job's messages, if any were delivered, would be in by now */
  assert_int_equal(jobs_test_events_count(&events, &quiet_key), 0);
  assert_int_equal(jobs_test_events_count(&events, NULL), 0); /* nor under any other key */
  job_process_close(&a);
  job_process_close(&b);
  job_monitor_remove(monitor, loud);
  job_close(quiet);
  job_close(loud);
}

/* A job that outlives its monitor (a wctrd restart while something held the job) is moved to the new
 * monitor's port on Windows 8 and later; Wine 8 refuses the move. */
static void test_monitor_moves_a_job_to_a_new_port(void **state) {
  (void)state;
  wctr_errmsg e;
  job_object *job = create("moved", NULL);
  jobs_test_events old_events;
  jobs_test_events_init(&old_events);
  job_monitor *old = NULL;
  assert_int_equal(job_monitor_start(jobs_test_events_record, &old_events, &old, &e), WCTR_OK);
  int key = 5;
  assert_int_equal(job_monitor_add(old, job, &key, &e), WCTR_OK);
  job_monitor_stop(old);
  jobs_test_events_free(&old_events);

  wctr_err err = job_monitor_add(monitor, job, &key, &e);
  if (wctr_test_under_wine()) {
    assert_int_equal(err, WCTR_EBUSY);
    assert_non_null(strstr(e.text, "refused to move it"));
  } else {
    if (err != WCTR_OK) FAILF("job_monitor_add after a restart: %s", e.text);
    job_process p = spawn(job, "exit 3", NULL);
    assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 3);
    assert_true(jobs_test_events_wait(&events, &key, JOB_EVENT_EXIT_PROCESS, p.pid, JOBS_T));
    job_process_close(&p);
    job_monitor_remove(monitor, job);
  }
  job_close(job);
}

/* The process never gets wctrd's own rights (the decision itself is test_jobs_win_identity's). */
static void test_process_identity(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_object *job = create("whoami", NULL);
  job_process p = spawn(job, "whoami", w);
  CloseHandle(w);
  const char *out = jobs_test_read_all(r, JOBS_T);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 0);
  char user[192] = "";
  int admin = -1;
  unsigned long integrity = 0, privileges = 0;
  if (sscanf(out, "user=%191s admin=%d integrity=%lu privileges=%lu", user, &admin, &integrity, &privileges) != 4) {
    FAILF("whoami said: %s", out);
  }
  assert_int_equal(admin, 0); /* Administrators deny-only (or absent, for LocalService) */
  /* Wine drops neither privileges (DISABLE_MAX_PRIVILEGE) nor integrity levels; Windows does both. */
  if (!wctr_test_under_wine()) {
    if (strcmp(user, "S-1-5-19") != 0) {
      assert_true(privileges <= 1); /* SeChangeNotifyPrivilege at most */
      assert_true(integrity <= SECURITY_MANDATORY_MEDIUM_RID);
    }
  }
  job_process_close(&p);
  CloseHandle(r);
  job_close(job);
}

int main(int argc, char **argv) {
  int helper = jobs_helper_main(argc, argv);
  if (helper >= 0) return helper;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exit_code_events_and_accounting),
      cmocka_unit_test(test_output_through_an_inherited_pipe),
      cmocka_unit_test(test_each_process_has_a_console_of_its_own),
      cmocka_unit_test(test_environment_is_exactly_the_list),
      cmocka_unit_test(test_bad_environment_starts_nothing),
      cmocka_unit_test(test_kill_on_job_close),
      cmocka_unit_test(test_terminate_with_the_given_code),
      cmocka_unit_test(test_names),
      cmocka_unit_test(test_name_of_another_object_type),
      cmocka_unit_test(test_bad_names),
      cmocka_unit_test(test_process_list_grows),
      cmocka_unit_test(test_stop_signal_reaches_a_handler),
      cmocka_unit_test(test_stop_signal_without_a_handler_ends_the_process),
      cmocka_unit_test(test_stop_signal_on_an_empty_job),
      cmocka_unit_test(test_monitor_remove_and_events_of_other_jobs),
      cmocka_unit_test(test_monitor_moves_a_job_to_a_new_port),
      cmocka_unit_test(test_process_identity),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
