/* jobs/spawn_win.c - a container's first process, created suspended inside its job under its own
 * identity (contract and reasons: job_spawn in jobs/job.h). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wstr.h"
#include "jobs/jobs_sys.h"
#include "jobs/jobs_win.h"

/* --- the environment block -------------------------------------------------------------------------- */

typedef struct env_entry {
  wchar_t *text;    /* "NAME=value" */
  int name_len;     /* characters before '=' */
  size_t position;  /* in the caller's list, from 1, for messages */
  const char *utf8; /* the caller's string, for messages (the name part only is ever shown) */
} env_entry;

static int compare_names(const void *a, const void *b) {
  const env_entry *x = a;
  const env_entry *y = b;
  /* Windows keeps environment blocks sorted by name, case-insensitively, in ordinal (not locale) order. */
  return CompareStringOrdinal(x->text, x->name_len, y->text, y->name_len, TRUE) - CSTR_EQUAL;
}

/* env -> a CREATE_UNICODE_ENVIRONMENT block ("A=1\0B=2\0\0"), sorted, malloc'ed. */
static wctr_err build_env_block(const char *const *env, wchar_t **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  size_t count = 0;
  env_entry *entries = NULL;
  *out = NULL;
  while (env != NULL && env[count] != NULL) count++;
  if (count > 0) {
    entries = calloc(count, sizeof *entries);
    if (entries == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  size_t total = 1; /* the block's final NUL */
  for (size_t i = 0; i < count; i++) {
    const char *eq = strchr(env[i], '=');
    if (eq == NULL || eq == env[i]) {
      err = wctr_fail(e, WCTR_EINVAL, "environment entry %zu is not NAME=value", i + 1);
      goto done;
    }
    entries[i].utf8 = env[i];
    entries[i].position = i + 1;
    entries[i].text = wctr_utf8_to_wide(env[i]);
    if (entries[i].text == NULL) {
      err = wctr_fail(e, WCTR_EINVAL, "environment entry %zu (%.*s) is not valid UTF-8", i + 1, (int)(eq - env[i]),
                      env[i]);
      goto done;
    }
    entries[i].name_len = (int)(wcschr(entries[i].text, L'=') - entries[i].text);
    total += wcslen(entries[i].text) + 1;
  }
  if (count > 1) qsort(entries, count, sizeof *entries, compare_names);
  for (size_t i = 1; i < count; i++) {
    if (compare_names(&entries[i - 1], &entries[i]) == 0) {
      /* Which value would win differs between programs; the caller decides, not Windows. Named as the
       * later entry spells it (qsort does not keep the order of equal names). */
      const env_entry *first = entries[i - 1].position < entries[i].position ? &entries[i - 1] : &entries[i];
      const env_entry *later = first == &entries[i] ? &entries[i - 1] : &entries[i];
      const char *eq = strchr(later->utf8, '=');
      err = wctr_fail(e, WCTR_EINVAL, "environment variable %.*s is given twice (entries %zu and %zu)",
                      (int)(eq - later->utf8), later->utf8, first->position, later->position);
      goto done;
    }
  }
  if (total < 2) total = 2; /* an empty block is two NULs */
  wchar_t *block = calloc(total, sizeof *block);
  if (block == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  wchar_t *at = block;
  for (size_t i = 0; i < count; i++) {
    size_t len = wcslen(entries[i].text) + 1;
    memcpy(at, entries[i].text, len * sizeof *at);
    at += len;
  }
  *out = block;

done:
  for (size_t i = 0; i < count && entries != NULL; i++) free(entries[i].text);
  free(entries);
  return err;
}

/* --- stdio ------------------------------------------------------------------------------------------ */

/* The handles the process inherits: inheritable duplicates of the caller's (the caller's own handles are
 * left as they are, inheritable or not), or the NUL device. */
typedef struct stdio_handles {
  HANDLE std[3];     /* for STARTUPINFO: in, out, err */
  HANDLE list[3];    /* the same, each once, for PROC_THREAD_ATTRIBUTE_HANDLE_LIST (a repeated handle
                        makes CreateProcess fail) */
  DWORD count;
} stdio_handles;

static void stdio_close(stdio_handles *s) {
  for (DWORD i = 0; i < s->count; i++) CloseHandle(s->list[i]);
  memset(s, 0, sizeof *s);
}

static wctr_err stdio_prepare(const job_spawn_spec *spec, stdio_handles *s, wctr_errmsg *e) {
  HANDLE given[3] = {spec->std_in, spec->std_out, spec->std_err};
  HANDLE nul = NULL;
  memset(s, 0, sizeof *s);
  for (int i = 0; i < 3; i++) {
    if (given[i] == NULL || given[i] == INVALID_HANDLE_VALUE) {
      if (nul == NULL) {
        SECURITY_ATTRIBUTES inherit = {.nLength = sizeof inherit, .bInheritHandle = TRUE};
        nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                          OPEN_EXISTING, 0, NULL);
        if (nul == INVALID_HANDLE_VALUE) {
          stdio_close(s);
          return jobs_fail_win32(e, "CreateFileW", GetLastError(), "cannot open the NUL device for the process's stdio");
        }
        s->list[s->count++] = nul;
      }
      s->std[i] = nul;
      continue;
    }
    int same = -1;
    for (int j = 0; j < i; j++) {
      if (given[j] == given[i]) same = j;
    }
    if (same >= 0) { /* e.g. one pipe for stdout and stderr: one duplicate */
      s->std[i] = s->std[same];
      continue;
    }
    HANDLE dup = NULL;
    if (!DuplicateHandle(GetCurrentProcess(), given[i], GetCurrentProcess(), &dup, 0, TRUE, DUPLICATE_SAME_ACCESS)) {
      static const char *const names[] = {"stdin", "stdout", "stderr"};
      stdio_close(s);
      return jobs_fail_win32(e, "DuplicateHandle", GetLastError(), "cannot pass the process's %s", names[i]);
    }
    s->std[i] = dup;
    s->list[s->count++] = dup;
  }
  return WCTR_OK;
}

/* The program, for messages: the application, else the command line's first word (the rest of a command
 * line may carry secrets). */
static void program_name(const job_spawn_spec *spec, char *buf, size_t size) {
  const char *p = spec->application != NULL ? spec->application : spec->command_line;
  size_t n = 0;
  if (spec->application != NULL) {
    n = strlen(p);
  } else if (p[0] == '"') {
    p++;
    while (p[n] != '\0' && p[n] != '"') n++;
  } else {
    while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t') n++;
  }
  snprintf(buf, size, "%.*s", (int)(n < 200 ? n : 200), p);
}

/* Ends a process that never ran (or must not run on), and waits until it is gone, so that a failed spawn
 * leaves nothing behind. */
static void discard_process(HANDLE process) {
  TerminateProcess(process, ERROR_PROCESS_ABORTED);
  WaitForSingleObject(process, 10000);
}

wctr_err job_spawn(job_object *job, const job_spawn_spec *spec, job_process *out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  HANDLE token = NULL;
  char identity[192] = "";
  char program[256] = "";
  wchar_t *application = NULL;
  wchar_t *command_line = NULL;
  wchar_t *directory = NULL;
  wchar_t *environment = NULL;
  stdio_handles stdio;
  LPPROC_THREAD_ATTRIBUTE_LIST attributes = NULL;
  BOOL attributes_ready = FALSE;
  HANDLE job_list[1];
  PROCESS_INFORMATION pi;
  memset(&stdio, 0, sizeof stdio);
  memset(&pi, 0, sizeof pi);
  if (out != NULL) memset(out, 0, sizeof *out);
  if (job == NULL || spec == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_spawn needs a job, a spec and an output");
  if (spec->command_line == NULL || spec->command_line[0] == '\0') {
    return wctr_fail(e, WCTR_EINVAL, "the container's process needs a command line");
  }
  program_name(spec, program, sizeof program);

  err = build_env_block(spec->env, &environment, e);
  if (err != WCTR_OK) goto done;
  command_line = wctr_utf8_to_wide(spec->command_line); /* writable: CreateProcess may modify it */
  application = spec->application != NULL ? wctr_utf8_to_wide(spec->application) : NULL;
  directory = spec->working_dir != NULL ? wctr_utf8_to_wide(spec->working_dir) : NULL;
  if (command_line == NULL || (spec->application != NULL && application == NULL) ||
      (spec->working_dir != NULL && directory == NULL)) {
    err = wctr_fail(e, WCTR_EINVAL, "the command line, program or working directory is not valid UTF-8");
    goto done;
  }
  err = job_identity_token(spec->user, &token, identity, sizeof identity, e);
  if (err != WCTR_OK) goto done;
  err = stdio_prepare(spec, &stdio, e);
  if (err != WCTR_OK) goto done;

  SIZE_T size = 0;
  InitializeProcThreadAttributeList(NULL, 2, 0, &size); /* fails, telling the size */
  attributes = malloc(size);
  if (attributes == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  if (!InitializeProcThreadAttributeList(attributes, 2, 0, &size)) {
    err = jobs_fail_win32(e, "InitializeProcThreadAttributeList", GetLastError(), "cannot prepare %s", program);
    goto done;
  }
  attributes_ready = TRUE;
  /* Windows keeps pointers to these values until CreateProcess: stdio.list and job_list live to the end. */
  if (!jobs_sys.UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, stdio.list,
                                          stdio.count * sizeof(HANDLE), NULL, NULL)) {
    err = jobs_fail_win32(e, "UpdateProcThreadAttribute", GetLastError(), "cannot limit the handles %s inherits",
                          program);
    goto done;
  }
  job_list[0] = job->handle;
  BOOL born_in_job = jobs_sys.UpdateProcThreadAttribute(attributes, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, job_list,
                                                        sizeof job_list, NULL, NULL);
  if (!born_in_job) {
    /* Windows before 10 does not know the job list. The process is still created suspended, so it is in
     * the job before its first instruction: AssignProcessToJobObject below, before ResumeThread. */
    wctr_log(WCTR_LOG_INFO, "PROC_THREAD_ATTRIBUTE_JOB_LIST refused (error %lu): %s joins job %s before it runs",
             (unsigned long)GetLastError(), program, job->name);
  }

  static wchar_t own_window_station[] = L""; /* see job_spawn: a hidden window station of the process's own */
  STARTUPINFOEXW si;
  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = stdio.std[0];
  si.StartupInfo.hStdOutput = stdio.std[1];
  si.StartupInfo.hStdError = stdio.std[2];
  si.StartupInfo.lpDesktop = own_window_station;
  si.lpAttributeList = attributes;
  DWORD flags = EXTENDED_STARTUPINFO_PRESENT | CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW;
  if (!jobs_sys.CreateProcessAsUserW(token, application, command_line, NULL, NULL, TRUE, flags, environment, directory,
                                     &si.StartupInfo, &pi)) {
    err = jobs_fail_win32(e, "CreateProcessAsUserW", GetLastError(), "cannot start %s as %s", program, identity);
    memset(&pi, 0, sizeof pi);
    goto done;
  }
  if (!born_in_job && !jobs_sys.AssignProcessToJobObject(job->handle, pi.hProcess)) {
    err = jobs_fail_win32(e, "AssignProcessToJobObject", GetLastError(), "cannot put %s in job %s", program, job->name);
    goto done;
  }
  HANDLE keep_alive = NULL;
  if (!spec->exec && !DuplicateHandle(GetCurrentProcess(), job->handle, pi.hProcess, &keep_alive, SYNCHRONIZE, FALSE, 0)) {
    err = jobs_fail_win32(e, "DuplicateHandle", GetLastError(), "cannot hand job %s to %s", job->name, program);
    goto done;
  }
  if (ResumeThread(pi.hThread) == (DWORD)-1) {
    err = jobs_fail_win32(e, "ResumeThread", GetLastError(), "cannot start %s", program);
    goto done;
  }
  out->pid = pi.dwProcessId;
  out->process = pi.hProcess;
  snprintf(out->identity, sizeof out->identity, "%s", identity);
  pi.hProcess = NULL;

done:
  if (pi.hProcess != NULL) {
    discard_process(pi.hProcess);
    CloseHandle(pi.hProcess);
  }
  if (pi.hThread != NULL) CloseHandle(pi.hThread);
  if (attributes_ready) DeleteProcThreadAttributeList(attributes);
  free(attributes);
  stdio_close(&stdio);
  if (token != NULL) CloseHandle(token);
  free(application);
  free(command_line);
  free(directory);
  free(environment);
  return err;
}

void job_process_close(job_process *p) {
  if (p == NULL) return;
  if (p->process != NULL) CloseHandle(p->process);
  p->process = NULL;
  p->pid = 0;
}
