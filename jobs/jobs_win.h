/* jobs/jobs_win.h - what the Windows files of the jobs module share; not part of its contract (jobs/job.h). */
#ifndef WCTR_JOBS_JOBS_WIN_H
#define WCTR_JOBS_JOBS_WIN_H

#include <windows.h>

#include "common/error.h"
#include "jobs/job.h"

struct job_object {
  HANDLE handle;
  char *name;             /* as the caller gave it, without "Global\" */
  /* What wctr set through this object (JOB_LIMIT_* of the last successful step), meaningful when
   * applied_known: true for a job created here, false for an opened one (then Windows is asked). */
  unsigned applied;
  BOOL applied_known;
  LONG64 monitor_serial;  /* serial of the monitor the job was last added to (never reused), 0 none */
  ULONG_PTR monitor_id;   /* its completion key there */
};

/* An export of kernel32 looked up at run time (NULL when absent), as the generic function pointer GCC lets
 * any function pointer be cast to and from. */
void (*jobs_kernel32_export(const char *name))(void);

/* Logs the failed call with wctr_log_win32, fills *e with "<what>: <system message> (error N)" and
 * returns the translated code. */
wctr_err jobs_fail_win32(wctr_errmsg *e, const char *call, DWORD code, const char *what, ...) WCTR_PRINTF(4, 5);

#endif
