/* jobs/job.h - job objects for job-isolated containers (Windows only): the contract the container
 * manager (service/) programs against. Implemented in jobs/job_win.c (jobs, limits, accounting),
 * jobs/spawn_win.c (the container's process), jobs/identity_win.c (its token), jobs/signal_win.c (the
 * graceful stop) and jobs/monitor_win.c (notifications). Every Win32 call a test must observe or make
 * fail goes through the seam in jobs/jobs_sys.h.
 *
 * Names. A job is created and opened as "Global\<name>", with <name> given by the caller (the container
 * manager uses "wctr-<container id>"). wctrd the service runs in session 0, where Local\ and Global\ are
 * the same directory (\BaseNamedObjects); `wctrd run` in an administrator's console runs in that user's
 * session, where Local\ would be \Sessions\<n>\BaseNamedObjects. Global\ gives one name for the same
 * container whichever way wctrd runs, so a restarted wctrd, a console wctrd and the tools all find it
 * (creating a Global\ object outside session 0 needs SeCreateGlobalPrivilege, which administrators
 * hold). Names are 1..200 bytes of UTF-8 without a backslash (the kernel reads one as a directory).
 *
 * Lifetime. Every job has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: when the last handle to it closes, Windows
 * terminates every process in it. The first process of a container (job_spawn) holds one SYNCHRONIZE-only
 * handle to its own job, so a job outlives a wctrd that dies exactly as long as that process runs - the
 * container keeps running and the next wctrd re-attaches with job_open - and when that process ends,
 * whatever else it left in the job is terminated. Nothing leaks: a job with no first process left and no
 * wctrd is gone, and job_open says WCTR_ENOENT.
 *
 * Security. The job is created with the descriptor JOB_SDDL: SYSTEM and Administrators only. A
 * container's processes (which never run as either, see job_identity_token) cannot open their own job
 * to lift its limits or to terminate it.
 *
 * Ownership: job_object and job_monitor are opaque; job_close and job_monitor_stop accept NULL. A
 * job_process's handle is the caller's (job_process_close). Strings are UTF-8. Functions on different
 * jobs may run on different threads at once; one job_object is not to be closed while another thread
 * uses it.
 *
 * Wine 8 (the development lane) creates, opens, fills and terminates jobs, honours KILL_ON_JOB_CLOSE and
 * PROC_THREAD_ATTRIBUTE_JOB_LIST and posts NEW_PROCESS / EXIT_PROCESS / ACTIVE_PROCESS_ZERO, but it
 * accepts memory and process limits without storing or enforcing them, refuses CPU rate control with
 * ERROR_INVALID_PARAMETER, lacks the I/O rate functions, never posts memory-limit or abnormal-exit
 * messages, its LogonUserW returns a token that cannot be used, and it keeps a job's name until the job's
 * killed processes are gone (a few hundred milliseconds) where Windows drops it with the last handle. The
 * product does not detect Wine: each of these is handled as the same refusal would be on Windows, as
 * written below. */
#ifndef WCTR_JOBS_JOB_H
#define WCTR_JOBS_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "jobs/limits.h"

typedef struct job_object job_object;
typedef struct job_monitor job_monitor;

/* The descriptor every job is created with: protected DACL, SYSTEM and Administrators full access. */
#define JOB_SDDL "D:P(A;;GA;;;SY)(A;;GA;;;BA)"

/* The longest name job_create and job_open take, in bytes (the "Global\" prefix is added). */
#define JOB_NAME_MAX 200

/* --- job objects ------------------------------------------------------------------------------------ */

/* Creates "Global\<name>" with JOB_SDDL and sets on it, in this order:
 *  1. JobObjectExtendedLimitInformation, always: KILL_ON_JOB_CLOSE and DIE_ON_UNHANDLED_EXCEPTION (a
 *     crashing process dies at once with its exception code instead of waiting on Windows Error
 *     Reporting, which would keep the container "running"), plus JOB_MEMORY with JobMemoryLimit and
 *     ACTIVE_PROCESS with ActiveProcessLimit when limits carries them (on Windows 8 and later, as under
 *     Wine, the conhost.exe of a console program runs inside the job and counts against it);
 *  2. JobObjectCpuRateControlInformation when limits carries a CPU limit: ENABLE | HARD_CAP with CpuRate,
 *     or ENABLE | WEIGHT_BASED with Weight;
 *  3. SetIoRateControlInformationJobObject when limits carries an I/O limit: ENABLE, MaxIops,
 *     MaxBandwidth, no reservation, VolumeName NULL (the limit applies to each volume).
 * limits may be NULL (no limits beyond step 1). A limit Windows refuses fails the create with a message
 * that names the limit and Windows' reason - a container never runs without a limit it asked for. (Under
 * Wine every CPU limit is refused with ERROR_INVALID_PARAMETER and every I/O limit is WCTR_ENOTSUP;
 * containers without them run.)
 * Errors: WCTR_EINVAL for a bad name or inconsistent limits (unknown flag bits, CPU_RATE with
 * CPU_WEIGHT, a flagged value out of range: memory 0, rate outside 1..10000, weight outside 1..9,
 * process limit 0, I/O value <= 0); WCTR_EEXIST when "Global\<name>" exists (as a job or any other
 * object); WCTR_ENOTSUP when this Windows lacks the I/O rate functions; otherwise the translated Win32
 * error. On failure nothing is left: the only handle is closed, so the job is gone. */
wctr_err job_create(const char *name, const job_limits *limits, job_object **out, wctr_errmsg *e);

/* Opens "Global\<name>" (see Lifetime above). WCTR_ENOENT when there is no such job; WCTR_EACCES when
 * its descriptor refuses this process. */
wctr_err job_open(const char *name, job_object **out, wctr_errmsg *e);

/* Opens the server silo job HCS made for a process-isolated container, \Container_<container_id>, for
 * notifications (OOM), accounting and the limits HCS does not cover (the process count). WCTR_ENOENT
 * when it cannot be opened (no such silo: an HCS double, or a Hyper-V container whose silo is in the VM). */
wctr_err job_open_silo(const char *container_id, job_object **out, wctr_errmsg *e);

/* Adds JOB_OBJECT_LIMIT_ACTIVE_PROCESS = limit to a job's extended limits, keeping every other limit as
 * its creator set it (for a silo: HCS's). */
wctr_err job_set_process_limit(job_object *job, uint32_t limit, wctr_errmsg *e);

/* `wctr update`: makes the wctr-managed limits of a live job equal to *limits (the caller passes the
 * container's complete limits after merging the update in, as its state store holds them):
 *  - JobObjectExtendedLimitInformation is rewritten whole: KILL_ON_JOB_CLOSE and
 *    DIE_ON_UNHANDLED_EXCEPTION stay, a memory or process limit absent from *limits is removed;
 *  - a CPU or I/O limit in *limits is set (replacing the previous one of its kind);
 *  - a CPU or I/O control absent from *limits is switched off (ControlFlags 0) when the job has one. For a
 *    job created through this job_object wctr knows what it set; for an opened job it asks Windows. A
 *    Windows that refuses to report CPU rate control (ERROR_INVALID_PARAMETER) or lacks the I/O rate
 *    functions cannot have applied one, so nothing is switched off there.
 * Steps run in job_create's order; when one fails, the earlier ones stay applied and the error names
 * the failing limit (the caller may apply the previous limits again). Errors as job_create. */
wctr_err job_apply_limits(job_object *job, const job_limits *limits, wctr_errmsg *e);

/* Reads the limits back from Windows: memory and process limit from JobObjectExtendedLimitInformation,
 * CPU rate or weight from JobObjectCpuRateControlInformation, I/O from the first enabled block of
 * QueryIoRateControlInformationJobObject. Only the limit fields and flags of *out are meaningful; a limit
 * kind this Windows cannot have (see job_apply_limits) reads as absent; an I/O read-back that fails is a
 * warning in out->warnings, not an error. Under Wine memory and process limits read back absent (not
 * stored). Errors: the translated Win32 error of the extended-limit or CPU query. */
wctr_err job_query_limits(job_object *job, job_limits *out, wctr_errmsg *e);

typedef struct job_stats {
  uint64_t user_time_100ns;     /* TotalUserTime of every process that ran in the job */
  uint64_t kernel_time_100ns;   /* TotalKernelTime */
  uint64_t peak_job_memory;     /* PeakJobMemoryUsed, bytes (0 under Wine) */
  uint64_t job_memory;          /* committed now, bytes, from JobObjectMemoryUsageInformation; 0 when
                                   this Windows does not report it */
  uint64_t read_operations, write_operations, read_bytes, write_bytes; /* IoInfo (0 under Wine) */
  uint32_t active_processes;
  uint32_t total_processes;
  uint32_t terminated_processes; /* TotalTerminatedProcesses: ended for violating a job limit */
} job_stats;

/* JobObjectBasicAndIoAccountingInformation (JobObjectBasicAccountingInformation where Windows refuses the
 * combined class, as Wine does) plus the memory figures above. Process counts include conhost.exe, which
 * Windows starts inside the job for the console of a console program. */
wctr_err job_query_stats(job_object *job, job_stats *out, wctr_errmsg *e);

/* Process ids currently in the job (JobObjectBasicProcessIdList, retried with a larger buffer while the
 * job grows). *pids is malloc'ed (free with free()); NULL with *count 0 for an empty job. */
wctr_err job_list_pids(job_object *job, uint32_t **pids, size_t *count, wctr_errmsg *e);

/* The graceful stop: delivers CTRL_SHUTDOWN_EVENT (what Windows containers get from `docker stop`, and
 * what hcsshim's HostProcess containers send) to every process in the job, and returns without waiting.
 *
 * How, given that wctrd has no console (the service) or a console of its own that it must not give up
 * (`wctrd run`): a thread is started in each process at kernel32!CtrlRoutine with the event as its
 * argument (CreateRemoteThread) - the routine a console itself uses to run a process's console control
 * handlers. A handler that returns TRUE keeps the process; without one the default handler ends it. This
 * reaches every process, whatever console or process group it is in, and changes nothing in wctrd.
 * GenerateConsoleCtrlEvent was rejected: it needs wctrd to FreeConsole + AttachConsole(pid), which
 * detaches a console wctrd from its own console (its log and Ctrl+C) for the duration, process-wide, and
 * reaches only the processes of one console process group. CtrlRoutine is not a documented entry point
 * (hcsshim relies on it the same way); processes of another architecture (32-bit, WOW64) have their own
 * kernel32 at another address and are skipped, as are processes wctrd cannot open, and conhost.exe (the
 * console host Windows starts in the job: it ends by itself after its last client, while ending it first
 * would hand its clients CTRL_CLOSE_EVENT and Windows' few seconds for that). The caller waits its
 * stop timeout and then calls job_terminate, so a process that ignores or misses the event is fine.
 * Errors: WCTR_ENOTSUP when kernel32 does not export CtrlRoutine; when the job has processes but none
 * could be signalled, the error of the last attempt. An empty job is WCTR_OK. */
wctr_err job_signal_stop(job_object *job, wctr_errmsg *e);

/* TerminateJobObject: every process in the job ends with exit_code. */
wctr_err job_terminate(job_object *job, uint32_t exit_code, wctr_errmsg *e);

/* Closes wctrd's handle. When it is the last handle, Windows terminates every process left in the job
 * (KILL_ON_JOB_CLOSE) and the job disappears. A process started by job_spawn holds a handle of its own
 * while it lives, so the job outlasts wctrd's handles until that process ends. Accepts NULL. */
void job_close(job_object *job);

/* --- launching the container's first process -------------------------------------------------------- */

typedef struct job_spawn_spec {
  const char *application;      /* NULL: taken from the command line, searched as CreateProcess does */
  const char *command_line;     /* the whole command line, already quoted (common/cmdline.h); required */
  const char *working_dir;      /* NULL: wctrd's current directory (the caller should give one) */
  const char *const *env;       /* "NAME=value" strings, NULL-terminated; the process gets exactly these,
                                   sorted by name as Windows expects. NULL or empty: an empty
                                   environment (not wctrd's). A name must be non-empty, without '=', and
                                   appear once (case-insensitively) */
  const char *user;             /* NULL: the default least-privilege identity (job_identity_token) */
  void *std_in;                 /* HANDLEs for stdio; NULL: the NUL device. wctrd keeps them; the */
  void *std_out;                /* process gets inheritable duplicates, and no other handle */
  void *std_err;
  bool exec;                    /* another process of a running container (docker exec): it is given no
                                   handle to its job, so only the first process keeps a job alive (an
                                   exec'd process outliving a dead wctrd must not hold the job open) */
} job_spawn_spec;

typedef struct job_process {
  uint32_t pid;
  void *process;                /* HANDLE, owned: close with job_process_close */
  char identity[192];           /* who it runs as, e.g. "NT AUTHORITY\LOCAL SERVICE" */
} job_process;

/* Creates the process with CreateProcessAsUserW under job_identity_token(spec->user), never with wctrd's
 * own token:
 *  - PROC_THREAD_ATTRIBUTE_JOB_LIST: the process is born inside the job, so none of its code runs outside
 *    it, and children it starts are in the job too;
 *  - PROC_THREAD_ATTRIBUTE_HANDLE_LIST: only the three stdio handles are inherited (bInheritHandles must be
 *    TRUE for stdio; the list keeps every other inheritable handle of wctrd out);
 *  - CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW | EXTENDED_STARTUPINFO_PRESENT.
 *    CREATE_NO_WINDOW gives a console program a console of its own without a window, so it never shares
 *    wctrd's console (a user's Ctrl+C on `wctrd run` does not reach containers) and console APIs work.
 *    The console is made at launch: its conhost.exe starts inside the job, as the process's identity and
 *    under the job's limits, and costs 40-65 ms of a launch under Wine. A console made beforehand was
 *    measured and rejected (BENCHMARKS.md, "Launching a job container"): through
 *    PROC_THREAD_ATTRIBUTE_PARENT_PROCESS = a holder process with a console, Wine 8 gives the process no
 *    console at all (it takes the console from the caller, not from the attribute's parent); through a
 *    spare pseudo console (CreatePseudoConsole + PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE), its conhost.exe
 *    runs as wctrd outside the job and its limits, ends with wctrd's handles (a wctrd that dies would
 *    send CTRL_CLOSE_EVENT to every container), inherits every inheritable handle of wctrd under Wine 8
 *    (another spawn's stdio duplicates among them), and `wctr run` was not reliably faster (44 and 65 ms
 *    faster in two runs of three, 19 ms slower in the third).
 *    No CREATE_NEW_PROCESS_GROUP: the stop signal does not go through process groups
 *    (job_signal_stop), and a new group would disable Ctrl+C handling inside the container;
 *  - lpDesktop "": the process gets a hidden window station of its own logon session instead of
 *    inheriting wctrd's (LocalService may not open SYSTEM's, and user32 would fail to initialise with
 *    0xC0000142; Microsoft KB 165194).
 * Before it runs, the process (not an exec's, spec->exec) is given a handle to its own job with SYNCHRONIZE access only (it can do
 * nothing with it but keep the job alive): so a wctrd that dies does not take its containers with it -
 * KILL_ON_JOB_CLOSE fires only when that process and wctrd have both let go - and the next wctrd can
 * job_open the job and re-attach. When that process exits, its handle goes with it.
 * Then ResumeThread. If Windows refuses PROC_THREAD_ATTRIBUTE_JOB_LIST (older than Windows 10), the process
 * is created suspended without it and put in the job with AssignProcessToJobObject before its first
 * instruction runs. On any failure no process is left (a created one is terminated).
 * Errors: WCTR_EINVAL (no command line, a bad env entry - named by its position and name, never its
 * value); the identity's errors; WCTR_ENOENT when the program does not exist; otherwise the translated
 * Win32 error, naming the program (not the whole command line, which may carry secrets). */
wctr_err job_spawn(job_object *job, const job_spawn_spec *spec, job_process *out, wctr_errmsg *e);
void job_process_close(job_process *p);

/* The token a job container's process runs with; a primary token for CreateProcessAsUserW (close with
 * CloseHandle). identity_name receives who it is ("NT AUTHORITY\LOCAL SERVICE", or "DOMAIN\user
 * (restricted)"), truncated to name_size.
 *
 * user NULL - the default, least privilege:
 *   NT AUTHORITY\LOCAL SERVICE, from LogonUserW(L"LocalService", L"NT AUTHORITY", NULL,
 *   LOGON32_LOGON_SERVICE, LOGON32_PROVIDER_DEFAULT), as Kubernetes HostProcess containers do. It is a
 *   real, separate account with no administrator rights and few privileges, whose files and registry are
 *   its own, and Windows keeps it logged on. The token is checked: its user must be S-1-5-19.
 *   LogonUserW for a service account needs SeTcbPrivilege, which LocalSystem (wctrd the service) holds and
 *   an administrator's `wctrd run` does not. When the logon is refused with ERROR_PRIVILEGE_NOT_HELD, or
 *   returns a token that is not LocalService's (Wine returns one that cannot be read), the process runs
 *   instead under a restricted copy of wctrd's own token: CreateRestrictedToken with
 *   DISABLE_MAX_PRIVILEGE (every privilege but SeChangeNotify removed) and Administrators (S-1-5-32-544)
 *   and "local account and member of Administrators" (S-1-5-114) made deny-only, then lowered to medium
 *   integrity (a high-integrity process of the same user could otherwise open wctrd's own process and
 *   regain its rights). It is the same user without administrator rights - weaker than LocalService
 *   (it can reach that user's own files and medium-integrity processes) - so wctrd logs a warning once;
 *   production runs wctrd as the service. Any other logon failure is an error (no fallback).
 *   The restricted SIDs list stays empty: a restricting SID would make the process fail most access
 *   checks (it would need both its user and the restricting SID to be granted), breaking ordinary programs.
 * user "LocalService", "Local Service", "NetworkService", "Network Service", alone or after
 *   "NT AUTHORITY\" (any case): that account by the same service logon, checked the same way (S-1-5-19 /
 *   S-1-5-20). No fallback: without SeTcbPrivilege it is WCTR_EACCES saying that wctrd must run as the
 *   service.
 * Refused with WCTR_EINVAL and a message saying why: SYSTEM / LocalSystem (wctr never runs a container's
 *   process as SYSTEM), ContainerUser / ContainerAdministrator (accounts that exist only inside process-
 *   and Hyper-V-isolated containers), and any other account (it would need a password, which wctr does
 *   not take; group managed service accounts come with gMSA support).
 *
 * Why CreateProcessAsUserW (job_spawn) for both tokens: it takes STARTUPINFOEXW with the job and handle
 * lists; LocalSystem holds the SeAssignPrimaryTokenPrivilege and SeIncreaseQuotaPrivilege it needs, and a
 * restricted copy of the caller's own token needs neither. CreateProcessWithTokenW goes through the
 * Secondary Logon service, which is often disabled on servers, and does not pass an attribute list. */
wctr_err job_identity_token(const char *user, void **token, char *identity_name, size_t name_size,
                            wctr_errmsg *e);

/* --- notifications ----------------------------------------------------------------------------------- */

typedef enum job_event_kind {
  JOB_EVENT_NEW_PROCESS = 1, /* JOB_OBJECT_MSG_NEW_PROCESS (also sent for the processes already in a job
                                when it is added to a monitor) */
  JOB_EVENT_EXIT_PROCESS,    /* JOB_OBJECT_MSG_EXIT_PROCESS */
  JOB_EVENT_ABNORMAL_EXIT,   /* JOB_OBJECT_MSG_ABNORMAL_EXIT_PROCESS (an exception code as exit code) */
  JOB_EVENT_ALL_EXITED,      /* JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO; pid 0 */
  JOB_EVENT_MEMORY_LIMIT,    /* JOB_OBJECT_MSG_JOB_MEMORY_LIMIT or PROCESS_MEMORY_LIMIT: pid is the
                                process whose commit hit the limit */
} job_event_kind;

/* Called on the monitor's thread, one event at a time, in the order Windows posted them; key is what
 * job_monitor_add was given. Windows documents these messages as notifications whose delivery is not
 * guaranteed: use them to learn early, and the process handle / accounting to be sure. The callback may
 * call job_monitor_add and job_monitor_remove (for any job) but not job_monitor_stop. */
typedef void (*job_event_fn)(void *ctx, void *key, job_event_kind kind, uint32_t pid);

/* One completion port and one thread for all jobs of the service. */
wctr_err job_monitor_start(job_event_fn fn, void *ctx, job_monitor **out, wctr_errmsg *e);

/* Associates the job with the monitor's port (JobObjectAssociateCompletionPortInformation); events of
 * the job then reach fn with key. A job has at most one port. A job that already reports to another port
 * (e.g. opened after a wctrd restart while a keeper held it) is moved: the old association is removed by
 * associating NULL (Windows 8 and later allow that) and the new port set. Where Windows refuses the move
 * (Windows 7 documented "no way to associate a different port"; Wine 8 refuses it too) the error is
 * WCTR_EBUSY and the job stays unmonitored. WCTR_EINVAL when this job_object is already in this monitor. */
wctr_err job_monitor_add(job_monitor *m, job_object *job, void *key, wctr_errmsg *e);

/* Stops delivering the job's events: after it returns, fn is never called with its key again (a
 * callback running on the monitor thread is waited for), so the key may be freed. Windows may still post
 * to the port; such messages are dropped. Call it before job_close when the key's memory goes away.
 * Does nothing for a job that is not in the monitor. */
void job_monitor_remove(job_monitor *m, job_object *job);

/* Posts a quit packet (events queued before it are still delivered), joins the thread, closes the port.
 * Not from the callback. Jobs stay associated with the closed port until job_monitor_add moves them to
 * another monitor; a job_object added to this monitor must not be passed to job_monitor_remove with it
 * afterwards. Accepts NULL. */
void job_monitor_stop(job_monitor *m);

#endif
