/* jobs/signal_win.c - the graceful stop: CTRL_SHUTDOWN_EVENT to every process of a job through
 * kernel32!CtrlRoutine (why this way, and not GenerateConsoleCtrlEvent: job_signal_stop in jobs/job.h). */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "jobs/jobs_sys.h"
#include "jobs/jobs_win.h"

/* What CreateRemoteThread needs, and IsProcessInJob / IsWow64Process. */
#define SIGNAL_ACCESS                                                                                      \
  (PROCESS_CREATE_THREAD | PROCESS_QUERY_INFORMATION | PROCESS_VM_OPERATION | PROCESS_VM_WRITE | \
   PROCESS_VM_READ)

/* Whether the process is the console host (%SystemRoot%\System32\conhost.exe) that Windows starts inside the
 * job for a console program. It is left alone: it ends by itself when its last client does, while ending it
 * first would send its clients CTRL_CLOSE_EVENT, after which Windows gives them only a few seconds. */
static BOOL is_console_host(HANDLE process) {
  wchar_t image[MAX_PATH];
  wchar_t conhost[MAX_PATH];
  DWORD size = MAX_PATH;
  UINT n = GetSystemDirectoryW(conhost, MAX_PATH - 13);
  if (n == 0 || n >= MAX_PATH - 13) return FALSE;
  memcpy(conhost + n, L"\\conhost.exe", sizeof L"\\conhost.exe");
  if (!QueryFullProcessImageNameW(process, 0, image, &size)) return FALSE;
  return CompareStringOrdinal(image, -1, conhost, -1, TRUE) == CSTR_EQUAL;
}

wctr_err job_signal_stop(job_object *job, wctr_errmsg *e) {
  if (job == NULL) return wctr_fail(e, WCTR_EINVAL, "job_signal_stop needs a job");
  /* Looked up in wctrd's own kernel32: system DLLs are mapped at the same address in every process of one
   * architecture until the next boot, so the address is valid in the job's processes too. */
  LPTHREAD_START_ROUTINE ctrl = (LPTHREAD_START_ROUTINE)jobs_kernel32_export("CtrlRoutine");
  if (ctrl == NULL) {
    wctr_log(WCTR_LOG_ERROR, "kernel32 has no CtrlRoutine - job %s", job->name);
    return wctr_fail(e, WCTR_ENOTSUP,
                     "this Windows has no kernel32!CtrlRoutine, so the processes of job %s cannot be asked to stop; "
                     "they will be terminated",
                     job->name);
  }
  uint32_t *pids = NULL;
  size_t count = 0;
  wctr_err err = job_list_pids(job, &pids, &count, e);
  if (err != WCTR_OK) return err;

  size_t signalled = 0;
  wctr_err last = WCTR_OK;
  wctr_errmsg last_msg;
  wctr_errmsg_clear(&last_msg);
  for (size_t i = 0; i < count; i++) {
    HANDLE process = OpenProcess(SIGNAL_ACCESS, FALSE, pids[i]);
    if (process == NULL) {
      DWORD code = GetLastError();
      if (code == ERROR_INVALID_PARAMETER) continue; /* exited since it was listed */
      last = jobs_fail_win32(&last_msg, "OpenProcess", code, "cannot open process %lu of job %s to ask it to stop",
                             (unsigned long)pids[i], job->name);
      continue;
    }
    BOOL in_job = FALSE;
    BOOL wow64 = FALSE;
    if (!IsProcessInJob(process, job->handle, &in_job) || !in_job) {
      /* The id was reused by a process outside the job after its owner exited: not ours to signal. */
    } else if (is_console_host(process)) {
      /* see is_console_host */
    } else if (IsWow64Process(process, &wow64) && wow64) {
      /* Its kernel32 is the 32-bit one, at another address: a thread at our CtrlRoutine would crash it. */
      wctr_log(WCTR_LOG_WARN, "process %lu of job %s is a 32-bit process; it gets no stop signal and will be terminated",
               (unsigned long)pids[i], job->name);
      last = wctr_fail(&last_msg, WCTR_ENOTSUP, "process %lu of job %s is a 32-bit process, which cannot be asked to stop",
                       (unsigned long)pids[i], job->name);
    } else {
      HANDLE thread = jobs_sys.CreateRemoteThread(process, NULL, 0, ctrl, (LPVOID)(ULONG_PTR)CTRL_SHUTDOWN_EVENT, 0, NULL);
      if (thread == NULL) {
        last = jobs_fail_win32(&last_msg, "CreateRemoteThread", GetLastError(),
                               "cannot deliver CTRL_SHUTDOWN_EVENT to process %lu of job %s", (unsigned long)pids[i],
                               job->name);
      } else {
        CloseHandle(thread); /* not waited for: the handlers may take as long as the caller's stop timeout */
        signalled++;
      }
    }
    CloseHandle(process);
  }
  free(pids);
  if (signalled == 0 && last != WCTR_OK) {
    if (e != NULL) *e = last_msg;
    return last;
  }
  return WCTR_OK;
}
