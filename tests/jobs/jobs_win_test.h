/* tests/jobs/jobs_win_test.h - support for the Windows suites of the jobs module (test_jobs_win_*).
 *
 * Helper processes: a suite starts its own .exe with "--jobs-helper MODE ..." instead of a separate helper
 * program (the Windows workflow runs every .exe under build/tests as a suite, so a helper .exe would be
 * run as one). Each suite's main() calls jobs_helper_main first and exits with what it returns when that
 * is not -1. Modes:
 *   exit N          exits with N
 *   print TEXT      writes TEXT to stdout
 *   environ         writes each environment entry on a line of its own
 *   sleep MS        sleeps MS milliseconds
 *   ctrl            registers a console control handler, writes "ready", sleeps 30 s (exit 3); the handler
 *                   writes "ctrl N" and exits with 40 + N
 *   tree N MS       starts N children "sleep MS" (they inherit the job), writes "started K" with the number
 *                   it could start, then sleeps MS
 *   alloc MIB       commits MIB MiB: writes "allocated" and exits 0, or "refused E" and exits 1
 *   crash           writes through a NULL pointer
 *   whoami          writes "user=<SID> admin=<0|1> integrity=<RID> privileges=<N>" for its own token
 *                   (admin: Administrators enabled; privileges: how many the token holds)
 *   cwd             writes its current directory
 *   console         writes "ready", waits for a line on stdin, then writes "console=<0|1> pids=,<pid>,...,":
 *                   whether console APIs work on its console's screen buffer (CONOUT$), and the processes
 *                   attached to that console (GetConsoleProcessList) */
#ifndef WCTR_TESTS_JOBS_JOBS_WIN_TEST_H
#define WCTR_TESTS_JOBS_JOBS_WIN_TEST_H

#include <windows.h>

#include "jobs_test.h"

#include "jobs/job.h"

enum { JOBS_T = 15000 }; /* ms: generous for Wine on a loaded machine */

/* -1 when argv is not a helper invocation; otherwise the helper's exit code. */
int jobs_helper_main(int argc, char **argv);

/* "\"<this .exe>\" --jobs-helper <args>", UTF-8, in a static buffer. */
const char *jobs_helper_cmdline(const char *args);

/* A unique job name for this run: "wctr-test-<what>-<pid>-<n>" in a static rotating buffer. */
const char *jobs_test_name(const char *what);

/* The environment the suites give helpers: SystemRoot and PATH of this process (NULL-terminated). */
const char *const *jobs_test_env(void);

/* A pipe for a child's stdout; both ends non-inheritable (job_spawn duplicates what it passes). */
void jobs_test_pipe(HANDLE *read_end, HANDLE *write_end);

/* Reads until every writer has closed the pipe or timeout_ms pass; fails the test on a timeout. The
 * result is NUL-terminated, in a static buffer. */
const char *jobs_test_read_all(HANDLE read_end, DWORD timeout_ms);

/* Reads until the text read so far contains want (or fails the test after timeout_ms). */
void jobs_test_read_until(HANDLE read_end, const char *want, DWORD timeout_ms);

/* Waits for the process and returns its exit code; fails the test when it does not end in time. */
DWORD jobs_test_exit_code(HANDLE process, DWORD timeout_ms);

/* True when "Global\<name>" opens as a job (asked of Windows directly, not through the seam). */
bool jobs_test_job_exists(const char *name);

/* True when no process with this id runs (it never existed, or it has exited). */
bool jobs_test_process_gone(DWORD pid);

/* Spawns the helper with args in job, stdout to out (may be NULL), with jobs_test_env(). */
wctr_err jobs_test_spawn_helper(job_object *job, const char *args, HANDLE out, job_process *p, wctr_errmsg *e);

/* Events from a job_monitor, recorded for the tests to wait on (thread-safe). */
typedef struct jobs_test_event {
  void *key;
  job_event_kind kind;
  uint32_t pid;
} jobs_test_event;

typedef struct jobs_test_events {
  CRITICAL_SECTION lock;
  HANDLE changed; /* auto-reset, set on each event */
  jobs_test_event items[256];
  size_t count;
} jobs_test_events;

void jobs_test_events_init(jobs_test_events *r);
void jobs_test_events_free(jobs_test_events *r);
/* A job_event_fn; ctx is the jobs_test_events. */
void jobs_test_events_record(void *ctx, void *key, job_event_kind kind, uint32_t pid);
/* Waits until an event with this key and kind (and pid, unless pid is 0) has been recorded. */
bool jobs_test_events_wait(jobs_test_events *r, void *key, job_event_kind kind, uint32_t pid, DWORD timeout_ms);
/* How many events with this key were recorded. */
size_t jobs_test_events_count(jobs_test_events *r, void *key);

#endif
