/* jobs/monitor_win.c - job notifications: one I/O completion port for every job of the service, one
 * thread reading it (contract: job_monitor_* in jobs/job.h).
 *
 * The completion key Windows posts with a job's messages is not the caller's key but a registration
 * number, never reused. Windows may still post for a job after job_monitor_remove (messages already
 * queued, or a job that keeps reporting to the port), and the caller may have freed its key by then: a
 * number that is no longer registered is simply dropped, where a raw pointer would be used after free. */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "jobs/jobs_sys.h"
#include "jobs/jobs_win.h"

#define QUIT_KEY 0 /* registration numbers start at 1 */

typedef struct watch {
  ULONG_PTR id;
  void *key;
} watch;

struct job_monitor {
  HANDLE port;
  HANDLE thread;
  job_event_fn fn;
  void *ctx;
  LONG64 serial;       /* tells this monitor from any other, even one at the same address later */
  CRITICAL_SECTION lock; /* guards the table; held while fn runs, so that job_monitor_remove waits for a
                            callback in progress (re-entrant: fn may call it on this thread) */
  watch *watches;
  size_t count, capacity;
  ULONG_PTR next_id;
};

static LONG64 monitor_serials;

static BOOL translate(DWORD message, job_event_kind *kind) {
  switch (message) {
  case JOB_OBJECT_MSG_NEW_PROCESS:
    *kind = JOB_EVENT_NEW_PROCESS;
    return TRUE;
  case JOB_OBJECT_MSG_EXIT_PROCESS:
    *kind = JOB_EVENT_EXIT_PROCESS;
    return TRUE;
  case JOB_OBJECT_MSG_ABNORMAL_EXIT_PROCESS:
    *kind = JOB_EVENT_ABNORMAL_EXIT;
    return TRUE;
  case JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO:
    *kind = JOB_EVENT_ALL_EXITED;
    return TRUE;
  case JOB_OBJECT_MSG_JOB_MEMORY_LIMIT:
  case JOB_OBJECT_MSG_PROCESS_MEMORY_LIMIT:
    *kind = JOB_EVENT_MEMORY_LIMIT;
    return TRUE;
  default:
    /* Time limits, notification limits and ACTIVE_PROCESS_LIMIT (a process refused by --pids-limit) are
     * not part of the contract yet. */
    return FALSE;
  }
}

static watch *find_watch(job_monitor *m, ULONG_PTR id) {
  for (size_t i = 0; i < m->count; i++) {
    if (m->watches[i].id == id) return &m->watches[i];
  }
  return NULL;
}

static DWORD WINAPI monitor_main(void *arg) {
  job_monitor *m = arg;
  for (;;) {
    DWORD message = 0;
    ULONG_PTR id = 0;
    LPOVERLAPPED data = NULL;
    if (!GetQueuedCompletionStatus(m->port, &message, &id, &data, INFINITE)) {
      /* Job messages are posted packets, never failed I/O: a failure means the port itself is gone. */
      wctr_log_win32("GetQueuedCompletionStatus", GetLastError(), "the job monitor stops");
      return 1;
    }
    if (id == QUIT_KEY) return 0;
    job_event_kind kind;
    if (!translate(message, &kind)) continue;
    /* For process messages the "overlapped" pointer carries the process id. */
    uint32_t pid = kind == JOB_EVENT_ALL_EXITED ? 0 : (uint32_t)(ULONG_PTR)data;
    EnterCriticalSection(&m->lock);
    watch *w = find_watch(m, id);
    if (w != NULL) m->fn(m->ctx, w->key, kind, pid);
    LeaveCriticalSection(&m->lock);
  }
}

wctr_err job_monitor_start(job_event_fn fn, void *ctx, job_monitor **out, wctr_errmsg *e) {
  if (fn == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_monitor_start needs a callback and an output");
  *out = NULL;
  job_monitor *m = calloc(1, sizeof *m);
  if (m == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  m->fn = fn;
  m->ctx = ctx;
  m->serial = InterlockedIncrement64(&monitor_serials);
  InitializeCriticalSection(&m->lock);
  m->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
  if (m->port == NULL) {
    wctr_err err = jobs_fail_win32(e, "CreateIoCompletionPort", GetLastError(), "cannot create the job monitor's port");
    DeleteCriticalSection(&m->lock);
    free(m);
    return err;
  }
  m->thread = CreateThread(NULL, 0, monitor_main, m, 0, NULL);
  if (m->thread == NULL) {
    wctr_err err = jobs_fail_win32(e, "CreateThread", GetLastError(), "cannot start the job monitor");
    CloseHandle(m->port);
    DeleteCriticalSection(&m->lock);
    free(m);
    return err;
  }
  *out = m;
  return WCTR_OK;
}

static void drop_watch(job_monitor *m, ULONG_PTR id) {
  EnterCriticalSection(&m->lock);
  for (size_t i = 0; i < m->count; i++) {
    if (m->watches[i].id == id) {
      m->watches[i] = m->watches[m->count - 1];
      m->count--;
      break;
    }
  }
  LeaveCriticalSection(&m->lock);
}

static BOOL associate(job_object *job, HANDLE port, ULONG_PTR id) {
  JOBOBJECT_ASSOCIATE_COMPLETION_PORT link = {.CompletionKey = (PVOID)id, .CompletionPort = port};
  return jobs_sys.SetInformationJobObject(job->handle, JobObjectAssociateCompletionPortInformation, &link, sizeof link);
}

wctr_err job_monitor_add(job_monitor *m, job_object *job, void *key, wctr_errmsg *e) {
  if (m == NULL || job == NULL) return wctr_fail(e, WCTR_EINVAL, "job_monitor_add needs a monitor and a job");
  if (job->monitor_serial == m->serial) return wctr_fail(e, WCTR_EINVAL, "job %s is already in this monitor", job->name);

  EnterCriticalSection(&m->lock);
  if (m->count == m->capacity) {
    size_t capacity = m->capacity == 0 ? 16 : m->capacity * 2;
    watch *grown = realloc(m->watches, capacity * sizeof *grown);
    if (grown == NULL) {
      LeaveCriticalSection(&m->lock);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    m->watches = grown;
    m->capacity = capacity;
  }
  /* Registered before the association, so that the first messages (NEW_PROCESS for the processes already
   * in the job) find it. */
  ULONG_PTR id = ++m->next_id;
  m->watches[m->count].id = id;
  m->watches[m->count].key = key;
  m->count++;
  LeaveCriticalSection(&m->lock);

  if (!associate(job, m->port, id)) {
    DWORD code = GetLastError();
    if (code != ERROR_INVALID_PARAMETER) {
      drop_watch(m, id);
      return jobs_fail_win32(e, "SetInformationJobObject", code, "cannot watch job %s", job->name);
    }
    /* ERROR_INVALID_PARAMETER for valid arguments: the job already reports to a port (a wctrd before a
     * restart, or another monitor). Windows 8 and later remove an association when given a NULL port; then
     * the new one can be made. */
    if (!associate(job, NULL, 0) || !associate(job, m->port, id)) {
      code = GetLastError();
      drop_watch(m, id);
      wctr_log_win32("SetInformationJobObject", code, "moving job %s to a new completion port", job->name);
      return wctr_fail(e, WCTR_EBUSY,
                       "job %s already reports to another completion port and Windows refused to move it (error %lu); "
                       "its processes run on, unwatched",
                       job->name, (unsigned long)code);
    }
  }
  job->monitor_serial = m->serial;
  job->monitor_id = id;
  return WCTR_OK;
}

void job_monitor_remove(job_monitor *m, job_object *job) {
  if (m == NULL || job == NULL || job->monitor_serial != m->serial) return;
  drop_watch(m, job->monitor_id);
  job->monitor_serial = 0;
  job->monitor_id = 0;
}

void job_monitor_stop(job_monitor *m) {
  if (m == NULL) return;
  /* The quit packet queues behind messages already posted; they are delivered first, which is harmless. */
  if (PostQueuedCompletionStatus(m->port, 0, QUIT_KEY, NULL)) {
    WaitForSingleObject(m->thread, INFINITE);
  } else {
    /* Without the packet the thread would block forever; closing the port makes its wait fail instead. */
    wctr_log_win32("PostQueuedCompletionStatus", GetLastError(), "stopping the job monitor");
    CloseHandle(m->port);
    m->port = NULL;
    WaitForSingleObject(m->thread, INFINITE);
  }
  CloseHandle(m->thread);
  if (m->port != NULL) CloseHandle(m->port);
  DeleteCriticalSection(&m->lock);
  free(m->watches);
  free(m);
}
