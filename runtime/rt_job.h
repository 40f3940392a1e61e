/* runtime/rt_job.h - the job runtime's opener (Windows only; runtime/rt_job_win.c, contract in
 * runtime/runtime.h). Job containers run as a job object on the host: limits from the spec (jobs/limits.h),
 * the first process started by jobs/job.h's job_spawn with the least-privilege identity, the container's
 * sandbox folder as working directory and CONTAINER_SANDBOX_MOUNT_POINT, its secrets materialised through
 * rt_host.secrets_materialize for that identity and exposed as WCTR_SECRETS_DIR. Re-attach (after a wctrd
 * crash) opens the job wctr-<id> and adopts the recorded process only when it is in that job
 * (jobs/notify.h job_contains_process): a process id is reused once its process is gone, and a foreign
 * process is never taken for the container; the job then goes with its last handle (WCTR_ENOENT).
 * Exec (RT_METHODS_V2): job_spawn with .exec in the container's job - the container's identity (or -u), its
 * environment as the first process got it plus exec's -e (exec's wins, names without case), its working
 * directory (or -w); -t is accepted and changes nothing (a job container has no console; proc_resize is
 * refused); a missing program is WCTR_ENOENT "exec: "X": executable file not found". An exec'd process
 * holds no handle to the job and ends with the first process (the job is terminated); exec after that is
 * WCTR_ESTATE. A re-attached container's exec gets the environment its start computed (the secrets folder
 * <container_dir>\secrets when the spec names secrets).
 * Pause (RT_METHODS_V3) is refused with WCTR_ENOTSUP and RT_JOB_PAUSE_REFUSAL: Windows documents no way to freeze
 * a job object (per-thread SuspendThread races with the job's new threads and processes; the job freeze Windows
 * has is undocumented). */
#ifndef WCTR_RUNTIME_RT_JOB_H
#define WCTR_RUNTIME_RT_JOB_H

#include "runtime/runtime.h"

#define RT_JOB_PAUSE_REFUSAL                                                                                   \
  "cannot pause job containers: Windows documents no way to freeze a job object (suspending each thread races with " \
  "the threads and processes the job starts meanwhile)"

wctr_err rt_job_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e);

#endif
