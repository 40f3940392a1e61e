/* tests/hcs_double/hcsd_core.h - inside computecore.dll of the HCS double: handles, operations,
 * compute systems, processes, and the dispatcher thread that delivers callbacks.
 *
 * Locking: one lock (g_core_lock) guards every structure below. It is never held while a client
 * callback runs or while waiting for a process. The state.json functions take the state folder's
 * mutex and may be called with g_core_lock held (always in this order); the call log takes that mutex
 * too, so hcsd_call is made before g_core_lock is taken.
 *
 * Handles given to the client are serial numbers tagged with their kind, never reused, so a closed,
 * stale or wrong-kind handle gets E_HANDLE instead of touching freed memory. */
#ifndef WCTR_TESTS_HCS_DOUBLE_HCSD_CORE_H
#define WCTR_TESTS_HCS_DOUBLE_HCSD_CORE_H

#include <windows.h>

#include <computecore.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hcsd_kit.h"

/* HcsEventOptionEnableLiveMigrationEvents (hcsshim internal/computecore): accepted, never raised. */
#define HCSD_EVENT_OPTION_LIVE_MIGRATION 0x4u

/* Exit codes the double gives processes it ends (README): a console process's default handler
 * exits with STATUS_CONTROL_C_EXIT on a control event; a forced end uses 1 as `taskkill /f`. */
#define HCSD_EXIT_SIGNALED 0xC000013Au
#define HCSD_EXIT_TERMINATED 1u

extern SRWLOCK g_core_lock;
extern CONDITION_VARIABLE g_core_cv; /* callback finished, with g_core_lock */

typedef enum hcsd_kind { HK_OP = 1, HK_SYSTEM = 2, HK_PROCESS = 3 } hcsd_kind;

typedef struct hcsd_op hcsd_op;
typedef struct hcsd_proc hcsd_proc;
uintptr_t hcsd_new_handle(hcsd_kind kind);

/* ---- the dispatcher: callbacks, in the order they were raised, on one thread ---- */

typedef struct hcsd_task hcsd_task;
struct hcsd_task {
  hcsd_task *next;
  void (*run)(hcsd_task *task);  /* without g_core_lock */
  void (*drop)(hcsd_task *task); /* frees the task (and the references it holds); with g_core_lock */
};
/* Queues task. With g_core_lock held. */
void hcsd_post_locked(hcsd_task *task);
/* True on the dispatcher thread (where callbacks run: close functions called from a callback must
 * not wait for it to end). */
bool hcsd_on_dispatcher(void);

/* Queues an event for the callback of the system or process handle value target (looked up again
 * when it is delivered: a handle closed meanwhile gets nothing). data is UTF-8 JSON or NULL; op,
 * for HcsEventOperationCallback, is referenced. */
void hcsd_post_event_locked(uintptr_t target, HCS_EVENT_TYPE type, const char *data, hcsd_op *op);

/* A thread that keeps computecore.dll loaded until it ends (FreeLibraryAndExitThread), so a client
 * that FreeLibrary's the DLL while a process watcher runs cannot pull the code from under it. */
bool hcsd_start_thread(DWORD(WINAPI *fn)(void *), void *arg);

/* ---- operations ---- */

typedef enum hcsd_op_state { OP_IDLE, OP_PENDING, OP_DONE } hcsd_op_state;

struct hcsd_op {
  struct hcsd_op *next; /* in the table of open operations */
  uintptr_t value;
  unsigned long long id; /* for the call log */
  int refs;
  bool open; /* HcsCloseOperation not called yet */
  const void *context;
  HCS_OPERATION_COMPLETION callback;
  HCS_OPERATION_TYPE type;
  hcsd_op_state state;
  bool canceled;
  HRESULT result;
  wchar_t *doc;     /* result document, malloc'ed; NULL when none */
  hcsd_proc *proc;  /* CreateProcess / GetProcessInfo: the process whose information is the result */
  uintptr_t target; /* system or process handle given with it, for HcsEventOperationCallback */
  HANDLE done;      /* manual-reset, set at completion */
  int callbacks_running;
};

hcsd_op *hcsd_op_find(HCS_OPERATION handle);
void hcsd_op_ref(hcsd_op *op);
void hcsd_op_unref_locked(hcsd_op *op);

/* Marks op as started by a call of the given type on target (a handle value, 0 for none). Fails
 * with HCS_E_OPERATION_ALREADY_STARTED for a used operation, and with
 * HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET when op has a completion callback and target's event
 * callback asked for operation callbacks. */
HRESULT hcsd_op_begin_locked(hcsd_op *op, HCS_OPERATION_TYPE type, uintptr_t target, bool target_wants_ops);
/* Completes op (once; later completions are ignored): result, document (taken), the process for
 * process information (a reference is taken), then queues its callback or operation event. */
void hcsd_op_complete_locked(hcsd_op *op, HRESULT result, wchar_t *doc, hcsd_proc *proc);

/* ---- work done for an operation: now, or later when a delay knob says so ---- */

typedef struct hcsd_work hcsd_work;
/* Does the work. Returns the result; on success *result may be set to the result document (taken),
 * on failure detail says why (the error document is made from it). May take g_core_lock. */
typedef HRESULT (*hcsd_work_fn)(hcsd_work *work, cJSON **result, char *detail, size_t detail_size);

struct hcsd_work {
  hcsd_work_fn fn;
  DWORD delay_ms;      /* deferred by a delay knob */
  hcsd_op *op;         /* referenced */
  HRESULT injected;    /* a fail knob for this call: complete with it instead of working */
  struct hcsd_sys *sys;    /* referenced, may be NULL */
  struct hcsd_proc *proc;  /* referenced, may be NULL */
  wchar_t *text;       /* the call's document, copied */
  int arg;             /* call-specific */
  /* Called (with g_core_lock held) when the work ends in failure, whether fn failed, a knob
   * failed the call, or it was canceled before running: lets a create mark its object failed. */
  void (*on_failure)(hcsd_work *work, HRESULT result, const char *detail);
};

/* Allocates a work item for fn (zeroed beyond). */
hcsd_work *hcsd_work_new(hcsd_work_fn fn);
/* Starts op for the call and runs work now or, with a delay knob, on a thread of its own after the
 * delay (work is always consumed). Returns what the API call itself returns: S_OK, an operation
 * error (already started, callback conflict) or an injected ":call" failure (then the operation
 * holds it too, as hcsshim reads the document after a failed call). */
HRESULT hcsd_submit(hcsd_op *op, HCS_OPERATION_TYPE type, uintptr_t target, bool target_wants_ops,
                    const hcsd_knob *knob, hcsd_work *work);

/* ---- compute systems ---- */

typedef enum hcsd_sys_state {
  SYS_CREATING, /* HcsCreateComputeSystem's work has not run yet: invisible */
  SYS_FAILED,   /* it failed: the handle leads nowhere */
  SYS_CREATED,
  SYS_RUNNING,
  SYS_PAUSED,
  SYS_STOPPED,
} hcsd_sys_state;

typedef struct hcsd_sys {
  struct hcsd_sys *next; /* in the table of systems, from SYS_CREATED until removed */
  int refs;              /* handles, works, processes */
  bool listed;
  char *id;
  hcsd_sys_state state;
  char *owner;
  bool is_vm;
  char *hosting_id; /* hosted container: its utility VM */
  char runtime_id[37];
  const char *exit_type; /* once stopped */
  HRESULT exit_status;
  bool terminate_on_last_close;
  cJSON *config;
  HANDLE job; /* the processes' job object, named after the state folder and id */
  int handles;
  struct hcsd_proc *procs;
  FILETIME started;
  /* The process holding the system's handles (its creator or last opener), for
   * ShouldTerminateOnLastHandleClosed: when that process is gone without closing them - a crash -, HCS
   * closes them and terminates the system; the next process to look finds it gone. */
  DWORD holder_pid;
  unsigned long long holder_start; /* the holder's creation time, so a reused pid is not mistaken */
  /* A utility VM: its document had GuestConnection (without it nothing serves guest requests), and what its
   * guest has (hcsd_guest_win.c): {"Scsi":{"<controller>/<lun>":"<vhd>"},"Disks":{"<guest path>":lun},
   * "Combined":{"<guest path>":[{"Id","Path"}]},"Shares":{"<name>":"<host path>"},"Namespaces":{"<ns>":true},
   * "PreAdded":{"<adapter>":"<endpoint>"},"Nics":{"<adapter>":"<endpoint>"}}. */
  bool guest_connection;
  cJSON *guest;
} hcsd_sys;

typedef struct hcsd_sysh {
  struct hcsd_sysh *next;
  uintptr_t value;
  hcsd_sys *sys;
  HCS_EVENT_CALLBACK callback;
  void *context;
  unsigned options;
  int callbacks_running;
  bool closed;
} hcsd_sysh;

extern hcsd_sys *g_systems;
extern hcsd_sysh *g_syshandles;

hcsd_sysh *hcsd_sysh_find(HCS_SYSTEM handle);
/* Frees a closed handle (and its reference on the system). */
void hcsd_sysh_release_locked(hcsd_sysh *h);
void hcsd_sys_ref(hcsd_sys *sys);
/* control.txt "crash ID": the system stops on its own, as a crashed VM does (ExitType "UnexpectedExit",
 * Status HCS_E_UNEXPECTED_EXIT; a utility VM takes its hosted containers with it). On a thread of its own:
 * the rule is read inside an API call. */
void hcsd_sys_crash(const char *id);
void hcsd_sys_unref_locked(hcsd_sys *sys);
/* The error for using a system in a state it cannot be used in, or S_OK. */
HRESULT hcsd_sys_usable(const hcsd_sys *sys, char *detail, size_t detail_size);
/* Queues event for every handle of sys with a callback. data is UTF-8 JSON. */
void hcsd_sys_event_locked(hcsd_sys *sys, HCS_EVENT_TYPE type, const char *data);
/* SystemExited's event data: {"Status","ExitType"}. */
void hcsd_sys_exit_data(const hcsd_sys *sys, char *out, size_t out_size);
/* Writes sys to state.json (or removes it when it left the table). */
void hcsd_sys_persist_locked(hcsd_sys *sys);
/* At unload: closes the job objects the DLL holds (their processes, if any, keep them alive). */
void hcsd_sys_unload(void);
/* The job object of sys, created (or, after a restart, opened) on first use; NULL on failure. */
HANDLE hcsd_sys_job_locked(hcsd_sys *sys, bool create);

/* ---- what a real host checks beyond the document's shape (hcsd_guest_win.c), with g_core_lock held ----
 *
 * hcsd_check_new_system_locked: at HcsCreateComputeSystem, after the schema (README.md, "Refusals"):
 *   a process-isolated container's Storage.Path must be a volume vmcompute's ActivateLayer mounted and
 *   PrepareLayer gave its filter, over the same layers; a utility VM's SCSI disks must be VHDs that were
 *   created and granted to it, its VSMB shares folders that exist; a hosted container's VM must have a
 *   GuestConnection, and its Storage.Path a scratch the guest mounted with the same layers combined over
 *   it. Fills sys's guest state for a VM. host: the running VM of a hosted container, else NULL.
 * hcsd_guest_modify_locked: a utility VM's HcsModifyComputeSystem (SCSI disks, VSMB shares and guest
 *   requests), applied to its guest state, or refused. */
HRESULT hcsd_check_new_system_locked(hcsd_sys *sys, const cJSON *doc, int kind, hcsd_sys *host, char *detail,
                                     size_t detail_size);
HRESULT hcsd_guest_modify_locked(hcsd_sys *vm, const cJSON *request, char *detail, size_t detail_size);

/* ---- processes ---- */

typedef enum hcsd_proc_state { PROC_CREATING, PROC_FAILED, PROC_RUNNING, PROC_EXITED } hcsd_proc_state;

struct hcsd_proc {
  struct hcsd_proc *next; /* in its system's list */
  int refs;               /* handles, watcher, operations */
  hcsd_sys *sys;          /* referenced */
  hcsd_proc_state state;
  HRESULT fail_result;    /* PROC_FAILED */
  char *fail_detail;
  DWORD pid;
  HANDLE process;
  DWORD exit_code;
  bool exit_reported;
  int handles;
  /* The caller's ends of the stdio pipes until first handed out (then the caller owns them). */
  HANDLE caller[3];
  /* Our handles to the server ends of stdout/stderr pipes, to disconnect them on CloseHandle. */
  HANDLE out_server[2];
  /* Standard input relay: reads what the caller writes and feeds the child's pipe, so that
   * HcsModifyProcess CloseHandle StdIn can give the child end-of-file whatever the caller holds. */
  HANDLE stdin_stop;  /* event */
  bool stdin_relay;   /* running */
  bool emulate_console;
};

typedef struct hcsd_proch {
  struct hcsd_proch *next;
  uintptr_t value;
  hcsd_proc *proc;
  HCS_EVENT_CALLBACK callback;
  void *context;
  unsigned options;
  int callbacks_running;
  bool closed;
} hcsd_proch;

extern hcsd_proch *g_prochandles;

hcsd_proch *hcsd_proch_find(HCS_PROCESS handle);
void hcsd_proch_release_locked(hcsd_proch *h);
void hcsd_proc_ref(hcsd_proc *proc);
void hcsd_proc_unref_locked(hcsd_proc *proc);
/* ProcessExited's event data: {"ProcessId","Exited":true,"ExitCode","LastWaitResult":0}. */
void hcsd_proc_exit_data(const hcsd_proc *proc, char *out, size_t out_size);
/* Records that the process has exited (once) and queues ProcessExited to its handles' callbacks. */
void hcsd_proc_exited_locked(hcsd_proc *proc);
/* Ends every process of sys with exit_code and waits (bounded) until each has exited and been
 * reported, so that ProcessExited events precede the system's SystemExited. */
void hcsd_sys_end_processes(hcsd_sys *sys, UINT exit_code);
/* Suspends or resumes every process of the system's job (pause / resume). */
HRESULT hcsd_sys_suspend(hcsd_sys *sys, bool suspend, char *detail, size_t detail_size);
/* The processes of the system's job, for ProcessList and Statistics. */
cJSON *hcsd_sys_process_list(hcsd_sys *sys);
cJSON *hcsd_sys_statistics(hcsd_sys *sys);

/* Prints JSON to a malloc'ed UTF-16 document and deletes it. */
wchar_t *hcsd_json_to_wide(cJSON *json);

/* ISO 8601 UTC time, as HCS writes times. */
void hcsd_iso_time(const FILETIME *ft, char out[40]);

#endif
