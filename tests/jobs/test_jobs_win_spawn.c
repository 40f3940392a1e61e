/* tests/jobs/test_jobs_win_spawn.c - how job_spawn creates the container's process, recorded through the
 * jobs_sys seam around the real calls: creation flags, the handle and job lists, the window station, the
 * environment block; the fallback when Windows refuses PROC_THREAD_ATTRIBUTE_JOB_LIST; and that a failure
 * at any step leaves no process behind. */
#include "jobs_win_test.h"

#include <stdlib.h>
#include <string.h>

#include "jobs/jobs_sys.h"

static jobs_syscalls real;

/* --- seam ------------------------------------------------------------------------------------------- */
typedef struct attribute_call {
  DWORD_PTR attribute;
  SIZE_T size;
  HANDLE values[4];
  BOOL inheritable[4]; /* for the handle list: each value's HANDLE_FLAG_INHERIT at the time */
} attribute_call;

static attribute_call attributes[8];
static int attribute_count;
static BOOL refuse_job_list; /* as Windows before 10 does */

static BOOL WINAPI recording_update(LPPROC_THREAD_ATTRIBUTE_LIST list, DWORD flags, DWORD_PTR attribute, PVOID value,
                                    SIZE_T size, PVOID previous, PSIZE_T returned) {
  if (attribute_count < (int)COUNT_OF(attributes)) {
    attribute_call *c = &attributes[attribute_count];
    c->attribute = attribute;
    c->size = size;
    for (SIZE_T i = 0; i < size / sizeof(HANDLE) && i < COUNT_OF(c->values); i++) {
      c->values[i] = ((HANDLE *)value)[i];
      DWORD handle_flags = 0;
      c->inheritable[i] = GetHandleInformation(c->values[i], &handle_flags) && (handle_flags & HANDLE_FLAG_INHERIT);
    }
  }
  attribute_count++;
  if (attribute == PROC_THREAD_ATTRIBUTE_JOB_LIST && refuse_job_list) {
    SetLastError(ERROR_NOT_SUPPORTED);
    return FALSE;
  }
  return real.UpdateProcThreadAttribute(list, flags, attribute, value, size, previous, returned);
}

static struct {
  int count;
  HANDLE token;
  BOOL application_given;
  BOOL inherit;
  DWORD flags;
  BOOL desktop_null;
  wchar_t desktop[64];
  DWORD cb;
  HANDLE std_in, std_out, std_err;
  wchar_t environment[1024];
  size_t environment_len; /* characters up to and including the block's final NUL */
  DWORD pid;
  HANDLE kept;            /* a handle to the created process, to see what became of it */
} created;
static DWORD fail_create;

static BOOL WINAPI recording_create(HANDLE token, LPCWSTR application, LPWSTR command_line, LPSECURITY_ATTRIBUTES psa,
                                    LPSECURITY_ATTRIBUTES tsa, BOOL inherit, DWORD flags, LPVOID environment,
                                    LPCWSTR directory, LPSTARTUPINFOW si, LPPROCESS_INFORMATION info) {
  created.count++;
  created.token = token;
  created.application_given = application != NULL;
  created.inherit = inherit;
  created.flags = flags;
  created.desktop_null = si->lpDesktop == NULL;
  if (si->lpDesktop != NULL) wcsncpy(created.desktop, si->lpDesktop, COUNT_OF(created.desktop) - 1);
  created.cb = si->cb;
  created.std_in = si->hStdInput;
  created.std_out = si->hStdOutput;
  created.std_err = si->hStdError;
  const wchar_t *env = environment;
  size_t n = 0;
  while (n + 1 < COUNT_OF(created.environment) && !(env[n] == L'\0' && (n == 0 || env[n - 1] == L'\0'))) n++;
  if (n == 0) n = 1; /* an empty block: its first NUL ends it, the second is its terminator */
  memcpy(created.environment, env, (n + 1) * sizeof(wchar_t));
  created.environment_len = n + 1;
  if (fail_create != 0) {
    SetLastError(fail_create);
    return FALSE;
  }
  BOOL ok = real.CreateProcessAsUserW(token, application, command_line, psa, tsa, inherit, flags, environment,
                                      directory, si, info);
  if (ok) {
    created.pid = info->dwProcessId;
    DuplicateHandle(GetCurrentProcess(), info->hProcess, GetCurrentProcess(), &created.kept, 0, FALSE,
                    DUPLICATE_SAME_ACCESS);
  }
  return ok;
}

static int assign_count;
static DWORD assigned_pid;
static DWORD fail_assign;

static BOOL WINAPI recording_assign(HANDLE job, HANDLE process) {
  assign_count++;
  assigned_pid = GetProcessId(process);
  if (fail_assign != 0) {
    SetLastError(fail_assign);
    return FALSE;
  }
  return real.AssignProcessToJobObject(job, process);
}

static job_object *job;

static int setup(void **state) {
  (void)state;
  real = jobs_sys;
  jobs_sys.UpdateProcThreadAttribute = recording_update;
  jobs_sys.CreateProcessAsUserW = recording_create;
  jobs_sys.AssignProcessToJobObject = recording_assign;
  memset(attributes, 0, sizeof attributes);
  memset(&created, 0, sizeof created);
  attribute_count = assign_count = 0;
  assigned_pid = 0;
  refuse_job_list = FALSE;
  fail_create = fail_assign = 0;
  wctr_errmsg e;
  if (job_create(jobs_test_name("spawn"), NULL, &job, &e) != WCTR_OK) FAILF("job_create: %s", e.text);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  job_close(job);
  job = NULL;
  if (created.kept != NULL) CloseHandle(created.kept);
  jobs_sys = real;
  return 0;
}

static bool job_has(DWORD pid) {
  uint32_t *pids = NULL;
  size_t count = 0;
  wctr_errmsg e;
  assert_int_equal(job_list_pids(job, &pids, &count, &e), WCTR_OK);
  bool found = false;
  for (size_t i = 0; i < count; i++) found = found || pids[i] == pid;
  free(pids);
  return found;
}

static int handle_list_index(void) {
  for (int i = 0; i < attribute_count; i++) {
    if (attributes[i].attribute == PROC_THREAD_ATTRIBUTE_HANDLE_LIST) return i;
  }
  fail_msg("no PROC_THREAD_ATTRIBUTE_HANDLE_LIST");
  return -1;
}

static bool in_handle_list(const attribute_call *c, HANDLE h) {
  for (SIZE_T i = 0; i < c->size / sizeof(HANDLE); i++) {
    if (c->values[i] == h) return true;
  }
  return false;
}

/* --- tests ------------------------------------------------------------------------------------------ */
static void test_flags_lists_and_window_station(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  job_process p;
  wctr_errmsg e;
  if (jobs_test_spawn_helper(job, "sleep 60000", w, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  assert_int_equal(created.count, 1);
  assert_int_equal(created.flags,
                   EXTENDED_STARTUPINFO_PRESENT | CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW);
  assert_true(created.inherit);
  assert_int_equal(created.cb, sizeof(STARTUPINFOEXW));
  assert_false(created.desktop_null);
  assert_true(created.desktop[0] == L'\0'); /* "": a window station of the process's own */
  assert_false(created.application_given);

  /* Two attributes: the handle list, then the job list with the job alone. */
  assert_int_equal(attribute_count, 2);
  int h = handle_list_index();
  assert_int_equal(attributes[1 - h].attribute, PROC_THREAD_ATTRIBUTE_JOB_LIST);
  assert_int_equal(attributes[1 - h].size, sizeof(HANDLE));
  /* stdin and stderr are one NUL handle, stdout a duplicate of the pipe: two handles, each inheritable,
   * none of them wctrd's own pipe handle. */
  const attribute_call *list = &attributes[h];
  assert_int_equal(list->size, 2 * sizeof(HANDLE));
  assert_true(list->inheritable[0] && list->inheritable[1]);
  assert_false(in_handle_list(list, w));
  assert_true(created.std_in == created.std_err);
  assert_true(created.std_out != created.std_in);
  assert_true(in_handle_list(list, created.std_in) && in_handle_list(list, created.std_out));

  /* Born in the job, and running (resumed). */
  assert_true(p.pid == created.pid);
  assert_true(job_has(p.pid));
  assert_int_equal(assign_count, 0);
  assert_int_equal(WaitForSingleObject(p.process, 100), WAIT_TIMEOUT);
  assert_int_equal(job_terminate(job, 9, &e), WCTR_OK);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 9);
  job_process_close(&p);
  assert_null(p.process);
  CloseHandle(r);
  CloseHandle(w);
}

static void test_one_handle_for_stdout_and_stderr(void **state) {
  (void)state;
  HANDLE in_r, in_w, r, w;
  jobs_test_pipe(&in_r, &in_w);
  jobs_test_pipe(&r, &w);
  job_spawn_spec spec = {.command_line = jobs_helper_cmdline("print both"), .std_in = in_r, .std_out = w, .std_err = w};
  job_process p;
  wctr_errmsg e;
  if (job_spawn(job, &spec, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  const attribute_call *list = &attributes[handle_list_index()];
  assert_int_equal(list->size, 2 * sizeof(HANDLE)); /* stdin's duplicate and one for both outputs */
  assert_true(created.std_out == created.std_err);
  assert_true(created.std_in != created.std_out);
  CloseHandle(w);
  CloseHandle(in_r);
  assert_string_equal(jobs_test_read_all(r, JOBS_T), "both");
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 0);
  job_process_close(&p);
  CloseHandle(r);
  CloseHandle(in_w);
}

static void test_environment_block(void **state) {
  (void)state;
  static const char *const env[] = {"C=3", "A=1", "b=2", NULL};
  job_spawn_spec spec = {.command_line = jobs_helper_cmdline("exit 0"), .env = env};
  job_process p;
  wctr_errmsg e;
  if (job_spawn(job, &spec, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  static const wchar_t want[] = L"A=1\0b=2\0C=3\0"; /* and the literal's own NUL ends the block */
  assert_int_equal(created.environment_len, COUNT_OF(want));
  assert_memory_equal(created.environment, want, sizeof want);
  jobs_test_exit_code(p.process, JOBS_T);
  job_process_close(&p);

  /* No list: an empty block, not wctrd's environment. */
  job_spawn_spec bare = {.command_line = jobs_helper_cmdline("exit 0")};
  if (job_spawn(job, &bare, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  assert_int_equal(created.environment_len, 2);
  assert_true(created.environment[0] == L'\0' && created.environment[1] == L'\0');
  jobs_test_exit_code(p.process, JOBS_T);
  job_process_close(&p);
}

static void test_application_and_working_directory(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  wchar_t self[MAX_PATH], system[MAX_PATH];
  char self8[MAX_PATH * 3], system8[MAX_PATH * 3];
  GetModuleFileNameW(NULL, self, MAX_PATH);
  GetSystemDirectoryW(system, MAX_PATH);
  WideCharToMultiByte(CP_UTF8, 0, self, -1, self8, sizeof self8, NULL, NULL);
  WideCharToMultiByte(CP_UTF8, 0, system, -1, system8, sizeof system8, NULL, NULL);
  job_spawn_spec spec = {.application = self8, .command_line = "helper --jobs-helper cwd", .working_dir = system8,
                         .env = jobs_test_env(), .std_out = w};
  job_process p;
  wctr_errmsg e;
  if (job_spawn(job, &spec, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  assert_true(created.application_given);
  CloseHandle(w);
  const char *out = jobs_test_read_all(r, JOBS_T);
  if (_stricmp(out, system8) != 0) FAILF("working directory %s, want %s", out, system8);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 0);
  job_process_close(&p);
  CloseHandle(r);
}

static void test_job_list_refused_falls_back_to_assignment(void **state) {
  (void)state;
  refuse_job_list = TRUE;
  job_process p;
  wctr_errmsg e;
  if (jobs_test_spawn_helper(job, "sleep 60000", NULL, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  assert_int_equal(created.flags & CREATE_SUSPENDED, CREATE_SUSPENDED); /* assigned before it ran */
  assert_int_equal(assign_count, 1);
  assert_int_equal(assigned_pid, p.pid);
  assert_true(job_has(p.pid));
  assert_int_equal(job_terminate(job, 4, &e), WCTR_OK);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 4);
  job_process_close(&p);
}

static void test_failed_assignment_leaves_no_process(void **state) {
  (void)state;
  HANDLE r, w;
  jobs_test_pipe(&r, &w);
  refuse_job_list = TRUE;
  fail_assign = ERROR_ACCESS_DENIED;
  job_process p;
  wctr_errmsg e;
  assert_int_equal(jobs_test_spawn_helper(job, "print must-not-run", w, &p, &e), WCTR_EACCES);
  assert_non_null(strstr(e.text, "cannot put"));
  assert_null(p.process);
  assert_int_equal(p.pid, 0);
  /* The process existed, suspended, and was ended before its first instruction: it wrote nothing. */
  assert_non_null(created.kept);
  assert_int_equal(jobs_test_exit_code(created.kept, JOBS_T), ERROR_PROCESS_ABORTED);
  assert_true(jobs_test_process_gone(created.pid));
  CloseHandle(w);
  assert_string_equal(jobs_test_read_all(r, JOBS_T), "");
  CloseHandle(r);
}

static void test_failed_creation_names_only_the_program(void **state) {
  (void)state;
  fail_create = ERROR_FILE_NOT_FOUND;
  job_process p;
  wctr_errmsg e;
  assert_int_equal(jobs_test_spawn_helper(job, "print SECRET-ARGUMENT", NULL, &p, &e), WCTR_ENOENT);
  assert_non_null(strstr(e.text, "test_jobs_win_spawn.exe"));
  assert_null(strstr(e.text, "SECRET-ARGUMENT"));
  assert_null(p.process);
  job_stats stats;
  assert_int_equal(job_query_stats(job, &stats, &e), WCTR_OK);
  assert_int_equal(stats.total_processes, 0);
}

static void test_missing_program(void **state) {
  (void)state;
  job_spawn_spec spec = {.command_line = "no-such-program-wctr.exe --password hunter2"};
  job_process p;
  wctr_errmsg e;
  assert_int_equal(job_spawn(job, &spec, &p, &e), WCTR_ENOENT);
  assert_non_null(strstr(e.text, "cannot start no-such-program-wctr.exe as "));
  assert_null(strstr(e.text, "hunter2"));
  job_spawn_spec quoted = {.command_line = "\"C:\\no such dir\\prog.exe\" --token abc"};
  assert_int_equal(job_spawn(job, &quoted, &p, &e), WCTR_ENOENT);
  assert_non_null(strstr(e.text, "cannot start C:\\no such dir\\prog.exe as "));
  assert_null(strstr(e.text, "abc"));
}

static void test_arguments(void **state) {
  (void)state;
  job_process p;
  wctr_errmsg e;
  job_spawn_spec empty = {.command_line = ""};
  assert_int_equal(job_spawn(job, &empty, &p, &e), WCTR_EINVAL);
  job_spawn_spec none = {0};
  assert_int_equal(job_spawn(job, &none, &p, &e), WCTR_EINVAL);
  assert_int_equal(job_spawn(NULL, &empty, &p, &e), WCTR_EINVAL);
  assert_int_equal(created.count, 0);
  job_process_close(NULL);
}

int main(int argc, char **argv) {
  int helper = jobs_helper_main(argc, argv);
  if (helper >= 0) return helper;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_flags_lists_and_window_station, setup, teardown),
      cmocka_unit_test_setup_teardown(test_one_handle_for_stdout_and_stderr, setup, teardown),
      cmocka_unit_test_setup_teardown(test_environment_block, setup, teardown),
      cmocka_unit_test_setup_teardown(test_application_and_working_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_job_list_refused_falls_back_to_assignment, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_assignment_leaves_no_process, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_creation_names_only_the_program, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_program, setup, teardown),
      cmocka_unit_test_setup_teardown(test_arguments, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
