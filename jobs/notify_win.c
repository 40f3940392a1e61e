/* jobs/notify_win.c - job notifications on the caller's completion port (jobs/notify.h). */
#include <windows.h>

#include <stdlib.h>

#include "common/log.h"
#include "jobs/jobs_sys.h"
#include "jobs/jobs_win.h"
#include "jobs/notify.h"

static BOOL associate(job_object *job, HANDLE port, ULONG_PTR key) {
  JOBOBJECT_ASSOCIATE_COMPLETION_PORT link = {.CompletionKey = (PVOID)key, .CompletionPort = port};
  return jobs_sys.SetInformationJobObject(job->handle, JobObjectAssociateCompletionPortInformation, &link, sizeof link);
}

wctr_err job_notify_port(job_object *job, void *port, uintptr_t key, wctr_errmsg *e) {
  if (job == NULL || port == NULL || key == 0) return wctr_fail(e, WCTR_EINVAL, "job_notify_port needs a job, a port and a key");
  if (associate(job, port, key)) return WCTR_OK;
  DWORD code = GetLastError();
  if (code != ERROR_INVALID_PARAMETER) {
    return jobs_fail_win32(e, "SetInformationJobObject", code, "cannot watch job %s", job->name);
  }
  /* ERROR_INVALID_PARAMETER for valid arguments: the job already reports to a port (a wctrd before a
   * restart). Windows 8 and later remove an association when given a NULL port; then the new one can be
   * made. */
  if (!associate(job, NULL, 0) || !associate(job, port, key)) {
    code = GetLastError();
    wctr_log_win32("SetInformationJobObject", code, "moving job %s to a new completion port", job->name);
    return wctr_fail(e, WCTR_EBUSY,
                     "job %s already reports to another completion port and Windows refused to move it (error %lu); "
                     "its processes run on, unwatched",
                     job->name, (unsigned long)code);
  }
  return WCTR_OK;
}

bool job_event_from_message(uint32_t message, job_event_kind *kind) {
  switch (message) {
    case JOB_OBJECT_MSG_NEW_PROCESS: *kind = JOB_EVENT_NEW_PROCESS; return true;
    case JOB_OBJECT_MSG_EXIT_PROCESS: *kind = JOB_EVENT_EXIT_PROCESS; return true;
    case JOB_OBJECT_MSG_ABNORMAL_EXIT_PROCESS: *kind = JOB_EVENT_ABNORMAL_EXIT; return true;
    case JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO: *kind = JOB_EVENT_ALL_EXITED; return true;
    case JOB_OBJECT_MSG_JOB_MEMORY_LIMIT:
    case JOB_OBJECT_MSG_PROCESS_MEMORY_LIMIT: *kind = JOB_EVENT_MEMORY_LIMIT; return true;
    default:
      /* Time limits, notification limits and ACTIVE_PROCESS_LIMIT (a process refused by --pids-limit) are not
       * part of the contract yet. */
      return false;
  }
}

wctr_err job_contains_process(job_object *job, void *process, bool *in, wctr_errmsg *e) {
  BOOL result = FALSE;
  if (jobs_sys.IsProcessInJob((HANDLE)process, job->handle, &result)) {
    *in = result != FALSE;
    return WCTR_OK;
  }
  /* Wine's IsProcessInJob fails for a process opened after a restart (and so could Windows for a handle
   * without the right it wants): the job's own list of process ids answers the same question. The handle
   * is still open, so its id cannot have been given to another process meanwhile. */
  DWORD code = GetLastError();
  DWORD pid = GetProcessId((HANDLE)process);
  uint32_t *pids = NULL;
  size_t count = 0;
  wctr_errmsg le;
  if (pid == 0 || job_list_pids(job, &pids, &count, &le) != WCTR_OK) {
    return jobs_fail_win32(e, "IsProcessInJob", code, "cannot tell whether a process is in job %s", job->name);
  }
  *in = false;
  for (size_t i = 0; i < count; i++) {
    if (pids[i] == (uint32_t)pid) *in = true;
  }
  free(pids);
  return WCTR_OK;
}
