/* runtime/rt_job.h - the job runtime's opener (Windows only; runtime/rt_job_win.c, contract in
 * runtime/runtime.h). Job containers run as a job object on the host: limits from the spec (jobs/limits.h),
 * the first process started by jobs/job.h's job_spawn with the least-privilege identity, the container's
 * sandbox folder as working directory and CONTAINER_SANDBOX_MOUNT_POINT, its secrets materialised through
 * rt_host.secrets_materialize for that identity and exposed as WCTR_SECRETS_DIR. Re-attach (after a wctrd
 * crash) opens the job wctr-<id> and adopts the recorded process only when it is in that job
 * (jobs/notify.h job_contains_process): a process id is reused once its process is gone, and a foreign
 * process is never taken for the container; the job then goes with its last handle (WCTR_ENOENT). */
#ifndef WCTR_RUNTIME_RT_JOB_H
#define WCTR_RUNTIME_RT_JOB_H

#include "runtime/runtime.h"

wctr_err rt_job_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e);

#endif
