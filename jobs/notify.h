/* jobs/notify.h - a job's notifications on a completion port the caller serves (Windows only), and the
 * check that a process is in a job. The I/O core (common/ioc_win.h) serves one port for everything; a job
 * is associated with it under a key from wctr_ioc_source_add, whose generations guarantee that a message
 * Windows posts after the job's owner let go (already queued, or a job that keeps reporting) is dropped
 * instead of reaching freed memory. This replaces the thread of job_monitor for the service. */
#ifndef WCTR_JOBS_NOTIFY_H
#define WCTR_JOBS_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "jobs/job.h"

/* JobObjectAssociateCompletionPortInformation with port and key. A job that already reports to another port
 * (a wctrd before a restart) is moved: the old association is removed by associating NULL (Windows 8 and
 * later allow it) and the new one made; where Windows refuses the move (Windows 7, Wine 8) the error is
 * WCTR_EBUSY and the job stays unwatched. */
wctr_err job_notify_port(job_object *job, void *port, uintptr_t key, wctr_errmsg *e);

/* The contract's event for a job message of such a port (bytes of the packet); false for the messages the
 * contract leaves out. For process messages the packet's OVERLAPPED pointer is the process id. */
bool job_event_from_message(uint32_t message, job_event_kind *kind);

/* Is the process (a HANDLE with PROCESS_QUERY_LIMITED_INFORMATION) in the job? IsProcessInJob, and when that
 * fails (Wine's does for a process opened after a restart) the job's list of process ids (job_list_pids)
 * holding the process's id; an error only when neither can answer. A process id recorded before a crash
 * may belong to another process by now: re-attaching checks this first. */
wctr_err job_contains_process(job_object *job, void *process, bool *in, wctr_errmsg *e);

#endif
