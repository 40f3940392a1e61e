/* runtime/runtime.h - one interface for the kinds of isolation (containerd's task API and moby's
 * libcontainerd are the models; SQLite's versioned sqlite3_io_methods is the shape).
 *
 * Implementations (each a static table of rt_methods and an opener):
 *   runtime/rt_job_win.c   job containers: a job object on the host (jobs/);
 *   runtime/rt_hcs_win.c   process and Hyper-V isolation through the Host Compute Service (hcs/, gmsa/ CCG);
 *   runtime/rt_fake.c      portable and programmable (runtime/rt_fake.h): runs the manager natively under
 *                          ASan/UBSan in the native lane.
 *
 * The manager (service/) owns records, states, logs, events and restart policies; a runtime owns only what
 * runs. Runtimes never see the manager's state or its logs: they get a spec (spec/spec.h) and the facts the
 * manager owns (rt_args), and they report back through rt_events - output, OOM, exit - from the I/O core's
 * workers (common/ioc.h). No runtime keeps a thread per container.
 *
 * Threads and blocking. Methods marked BLOCKING may take long (HCS operations, CreateProcessAsUser, LogonUser,
 * a stop signal delivered into every process of a job): the manager calls them on the I/O core's blocking
 * pool, never on a worker and never with its own lock held. The others return promptly and may be called
 * from a worker. Any method but release may be called concurrently with any other on the same task; a
 * runtime serialises what it must inside. release is the manager's last call on a task: the manager
 * guarantees no other call on it is in flight or will follow.
 *
 * Events. For each start (or reattach) that succeeded, a runtime reports zero or more output chunks per
 * stream (in order within a stream; the two streams interleave freely), at most one oom per start, and
 * then exactly one exited, after both output streams have ended or have been given up on (a grandchild
 * holding the pipe open must not keep a container "running": RT_DRAIN_MS after the first process ended,
 * what is left of the output is dropped, with a line in wctrd's log). Nothing is reported after exited.
 * Callbacks are made without any runtime lock held and may call back into the runtime (signal, stats...)
 * but must not call release from inside exited (post it). */
#ifndef WCTR_RUNTIME_RUNTIME_H
#define WCTR_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/ioc.h"
#include "spec/spec.h"

#define RT_METHODS_V1 1
/* v2: exec runs a process in the running container (rt_proc and its methods below). */
#define RT_METHODS_V2 2
/* v3: pause and resume (docker pause / unpause), appended after close: a caller reads them only from a table
 * whose version is at least RT_METHODS_V3, so a v2 table (without the fields) stays valid. */
#define RT_METHODS_V3 3
/* v4: mount_root and unmount_root (a stopped container's C:\ on the host, for docker cp), appended after resume
 * as v3 appended pause: a v3 table stays valid and its runtime has no such thing. */
#define RT_METHODS_V4 4
#define RT_DRAIN_MS 5000u
/* The exit code of a process wctr terminated (job_terminate, HcsTerminateProcess): Docker shows 1 for a
 * container killed on Windows where the code cannot be read otherwise. */
#define RT_KILLED_EXIT_CODE 1

typedef struct rt_runtime rt_runtime;
typedef struct rt_task rt_task;
typedef struct rt_proc rt_proc;

typedef enum rt_stream { RT_STDOUT = 1, RT_STDERR = 2 } rt_stream;
typedef enum rt_signal {
  RT_SIGNAL_STOP = 1, /* the graceful stop: CTRL_SHUTDOWN to every process (job), CtrlShutdown (HCS) */
  RT_SIGNAL_KILL,     /* terminate everything now */
} rt_signal;

typedef struct rt_exit {
  int64_t code;       /* the first process's exit code; -1 when it cannot be known */
  bool oom_killed;    /* a memory limit was reached during the run */
  char why[256];      /* "" or a sentence: a compute system crashed, the output was cut, ... */
} rt_exit;

typedef struct rt_stats {
  uint64_t cpu_100ns;          /* user + kernel time of every process that ran */
  uint64_t memory_bytes;       /* committed now */
  uint64_t memory_peak_bytes;
  uint64_t read_bytes, write_bytes, read_ops, write_ops;
  uint32_t processes;          /* running now */
} rt_stats;

/* How runtimes reach the manager. Set once at open; ctx is the manager's. key is rt_args.key. */
typedef struct rt_events {
  void *ctx;
  void (*output)(void *ctx, void *key, rt_stream stream, const char *data, size_t len);
  void (*oom)(void *ctx, void *key);
  void (*exited)(void *ctx, void *key, const rt_exit *exit);
} rt_events;

/* What a runtime may ask of the service that owns it, without including it (service/ is higher). Each
 * may be NULL when the service has no such thing (native tests). */
typedef struct rt_image {
  char *name;           /* the catalog's name for the reference ("nanoserver" -> "nanoserver:latest"), which
                           the record keeps; NULL: the reference as given */
  char **layer_ids;     /* layer_count, top-most first */
  char **layer_paths;
  size_t layer_count;
  char os_version[32];  /* "10.0.20348.169", "" when unknown */
  char **cmd;           /* the image's default command; cmd_count may be 0 */
  size_t cmd_count;
  char *user;           /* NULL when the image has none */
  char **exposed;       /* the image's exposed ports ("80/tcp"), which -P publishes; exposed_count may be 0 */
  size_t exposed_count;
} rt_image;
void rt_image_free(rt_image *img); /* accepts a zeroed one */

/* Where HCS containers see their secrets folder, mapped read-only (a VSMB share for Hyper-V). */
#define RT_SECRETS_CONTAINER_PATH SPEC_SECRETS_CONTAINER_PATH /* spec/spec.h: binds may not touch it */
/* The secrets folder's name inside rt_args.container_dir. */
#define RT_SECRETS_DIR_NAME "secrets"

/* A network a container joins, as the service knows it (rt_host.network_resolve). */
typedef struct rt_network {
  char name[129];       /* wctr's name: "nat" */
  char id[65];          /* wctr's id of it (what inspect shows as NetworkID) */
  char hns_id[37];      /* the HNS network's GUID */
} rt_network;

typedef struct rt_host {
  void *ctx;
  /* Decrypts the container's secrets into its folder, readable by reader_sid only; dir receives the
   * folder ("" when the spec names no secret). Nothing left behind on failure. The folder is
   * <rt_args.container_dir>\RT_SECRETS_DIR_NAME: the HCS runtime maps it in documents it builds before the
   * folder exists (dry run), and refuses to start a container whose secrets land anywhere else. */
  wctr_err (*secrets_materialize)(void *ctx, const char *id, const spec_container *spec, const char *reader_sid,
                                  char *dir, size_t dir_size, wctr_errmsg *e);
  void (*secrets_cleanup)(void *ctx, const char *id);
  /* An image of the catalog by reference (HCS runtimes). WCTR_ENOENT with Docker's "No such image". */
  wctr_err (*image_resolve)(void *ctx, const char *ref, rt_image *out, wctr_errmsg *e);
  /* The network a container joins, by name (spec/network.h spec_network_joined: "nat" for the default),
   * the default one adopted or created when missing. WCTR_ENOENT with Docker's "network X not found";
   * WCTR_ENOTSUP when the host has no HNS. */
  wctr_err (*network_resolve)(void *ctx, const char *name, rt_network *out, wctr_errmsg *e);
} rt_host;

/* Everything the manager knows about one container that a runtime needs. Borrowed for the call. */
typedef struct rt_args {
  const char *id;             /* 64 hex digits */
  const char *name;           /* for messages and logs */
  const spec_container *spec; /* isolation resolved */
  const char *container_dir;  /* <data-root>\containers\<id>: the runtime's own files go in there */
  const cJSON *state;         /* what this runtime recorded at its last start ("Runtime"), or NULL */
  uint32_t pid;               /* reattach: the first process recorded */
  void *key;                  /* handed back with every event of this task */
} rt_args;

/* How an exec'd process (rt_methods.exec) reports. For each exec that succeeded: zero or more output chunks
 * per stream (in order within a stream), then exactly one exited, after both streams have ended or been
 * given up on (RT_DRAIN_MS, as a container's). The process dies with its container: when the run ends (its
 * first process exited, or it was killed) the runtime ends every process it exec'd in it, and each reports
 * its exited (the manager holds the task until then: its release follows every proc_release). Callbacks
 * as rt_events'. */
typedef struct rt_exec_events {
  void *ctx;
  void (*output)(void *ctx, rt_stream stream, const char *data, size_t len);
  void (*exited)(void *ctx, int64_t code);
} rt_exec_events;

/* What a successful start reports, for the record. */
typedef struct rt_started {
  uint32_t pid;
  char identity[192];         /* who the first process runs as */
  cJSON *state;               /* owned by the caller: recorded as "Runtime", handed back as rt_args.state */
} rt_started;

typedef struct rt_methods {
  int version;      /* RT_METHODS_V4 (a v3 table ends at resume, a v2 table at close) */
  const char *name; /* "job", "hcs", "fake" */

  /* Can containers start? why (when not NULL) says what is missing. */
  bool (*available)(rt_runtime *rt, const char **why);
  /* Create time, before anything exists: the checks only this runtime can make (an image in the catalog,
   * a sandbox folder that exists, the OS version rule); may fill what the spec leaves to the image (cmd,
   * user). dry_run: no availability required. */
  wctr_err (*prepare)(rt_runtime *rt, spec_container *spec, bool dry_run, spec_warnings *w, wctr_errmsg *e);
  /* The calls a start would make, in order, as a JSON array of {"call", "id"?, "path"?, "document"?, ...}
   * (the runtime's contract says which arguments each call shows); nothing is created. WCTR_ENOTSUP for
   * runtimes that make no such calls. */
  wctr_err (*plan)(rt_runtime *rt, const rt_args *a, cJSON **calls, spec_warnings *w, wctr_errmsg *e);
  /* BLOCKING. Starts the container; on failure nothing is left (no job, system, sandbox created by this
   * start, no secret on disk). On success the events above follow. */
  wctr_err (*start)(rt_runtime *rt, const rt_args *a, rt_task **out, rt_started *info, wctr_errmsg *e);
  /* BLOCKING. wctrd restarted: takes the container recorded as running back. WCTR_ENOENT when it is gone;
   * then *ended says what is known (the exit code when the process could still be read, else -1). */
  wctr_err (*reattach)(rt_runtime *rt, const rt_args *a, rt_task **out, rt_exit *ended, wctr_errmsg *e);
  /* BLOCKING. Another process in the running container (docker exec): p's cmd (the first word resolved as the
   * container's own processes are), env added to the container's, working_dir, user (NULL: the container's
   * user), tty, open_stdin (a stdin pipe for proc_stdin_*). On success *out and *pid are set and ev's events
   * follow (above). A command that does not exist fails with a message containing "not found", one that
   * cannot be invoked with "denied" or "not a valid application" (docker exec's 127 and 126). WCTR_ESTATE
   * when the run is ending. */
  wctr_err (*exec)(rt_task *t, const spec_process *p, const rt_exec_events *ev, rt_proc **out, uint32_t *pid,
                   wctr_errmsg *e);
  /* As stdin_write / stdin_close / resize, for an exec'd process. */
  wctr_err (*proc_stdin_write)(rt_proc *p, const void *data, size_t len, wctr_errmsg *e);
  wctr_err (*proc_stdin_close)(rt_proc *p, wctr_errmsg *e); /* BLOCKING */
  wctr_err (*proc_resize)(rt_proc *p, unsigned rows, unsigned cols, wctr_errmsg *e);
  /* BLOCKING. Terminates the exec'd process (its exited follows, code RT_KILLED_EXIT_CODE). */
  wctr_err (*proc_kill)(rt_proc *p, wctr_errmsg *e);
  /* After the process's exited: frees it. The task's release comes after every proc_release of its run. */
  void (*proc_release)(rt_proc *p);
  /* BLOCKING. The container's processes now (docker top), in HCS's ProcessList shape: an array of
   * {"ProcessId", "ImageName", "KernelTime100ns", "UserTime100ns", "MemoryWorkingSetPrivateBytes"} (a field
   * Windows would not give is left out). */
  wctr_err (*top)(rt_task *t, cJSON **out, wctr_errmsg *e);
  /* BLOCKING. Delivers a signal; returns once it is delivered (or could not be), not when the container
   * has exited: exited reports that. */
  wctr_err (*signal)(rt_task *t, rt_signal sig, wctr_errmsg *e);
  /* Queues input for the first process's stdin (non-blocking, bounded: WCTR_ETOOBIG when the container
   * does not read; WCTR_EPIPE when stdin is closed or was never opened). */
  wctr_err (*stdin_write)(rt_task *t, const void *data, size_t len, wctr_errmsg *e);
  /* BLOCKING (HCS relays stdin). End of file for the container, after what was queued. */
  wctr_err (*stdin_close)(rt_task *t, wctr_errmsg *e);
  wctr_err (*resize)(rt_task *t, unsigned rows, unsigned cols, wctr_errmsg *e);
  /* BLOCKING (HCS asks the compute system). */
  wctr_err (*stats)(rt_task *t, rt_stats *out, wctr_errmsg *e);
  /* Live limits from checked resources (WCTR_ENOTSUP with a reason where the runtime cannot). *w gets
   * the limits' warnings. */
  wctr_err (*update)(rt_task *t, const spec_resources *r, spec_warnings *w, wctr_errmsg *e);
  /* What inspect adds for a running container, e.g. {"AppliedLimits": {...}} read back from Windows;
   * *out NULL when there is nothing. */
  wctr_err (*inspect)(rt_task *t, cJSON **out, wctr_errmsg *e);
  /* After exited: frees the task and whatever held the run (job, compute systems, storage filter, CCG
   * instance, secrets folder). BLOCKING. */
  void (*release)(rt_task *t);
  /* BLOCKING. A container whose run ended while wctrd was away (reattach said WCTR_ENOENT): remove what the
   * run left behind on the host (a storage filter, a CCG instance). Its secrets folder is not the runtime's
   * to remove here: the service's start-up sweep removes every such folder and audits it. */
  void (*cleanup)(rt_runtime *rt, const rt_args *a);
  /* BLOCKING. The container is being removed: its sandbox and anything else the runtime keeps for it. */
  void (*remove)(rt_runtime *rt, const rt_args *a);
  /* BLOCKING. wctrd's start, after every reattach: remove what this runtime left on the host for ids in
   * owned (this data root's containers, removed ones included) that are not in running. Never anything
   * of anyone else. */
  void (*sweep)(rt_runtime *rt, const char *const *owned, size_t owned_count, const char *const *running,
                size_t running_count);
  void (*close)(rt_runtime *rt);

  /* --- RT_METHODS_V3 ----------------------------------------------------------------------------------------- */
  /* BLOCKING. Freezes every process of the run (docker pause) and lets them go on (unpause); output, stdin and the
   * exit wait meanwhile. WCTR_ENOTSUP with the reason where the runtime cannot freeze this run (Docker's own text
   * where Docker refuses the same container); WCTR_ESTATE when the run is not running (pause) or not paused
   * (resume), or is ending. A stop or kill of a paused run is the manager's to order (it resumes first). */
  wctr_err (*pause)(rt_task *t, wctr_errmsg *e);
  wctr_err (*resume)(rt_task *t, wctr_errmsg *e);

  /* --- RT_METHODS_V4 ----------------------------------------------------------------------------------------- */
  /* BLOCKING. A container that does not run (a's state is its last run's, or NULL when it never started): its
   * root - what it sees as C:\ - mounted on the host, as dockerd mounts a stopped Windows container's layers for
   * docker cp; root receives the host path of it (a folder or a volume path, with no trailing separator needed).
   * The manager calls it only for a container that is not running and guarantees that no start, removal or other
   * mount_root of the same container happens until the unmount_root that follows a success. On failure nothing
   * stays mounted. The runtime's contract says what a container that never started gets (a scratch made as its
   * first start would make it, or a refusal). NULL (or a table older than v4): the runtime has no stopped root
   * to mount, and the manager refuses the copy (a job container's root is its sandbox folder: no mount). */
  wctr_err (*mount_root)(rt_runtime *rt, const rt_args *a, char *root, size_t root_size, wctr_errmsg *e);
  /* BLOCKING. Undoes a mount_root that succeeded. A failure is reported (the manager logs it); the runtime's
   * cleanup, sweep and remove unmount what is left, so a crash between the two is repaired at wctrd's start. */
  wctr_err (*unmount_root)(rt_runtime *rt, const rt_args *a, wctr_errmsg *e);
} rt_methods;

/* The table's pause (resume), or NULL when it has none (a table older than RT_METHODS_V3). */
#define RT_PAUSE_FN(methods) ((methods)->version >= RT_METHODS_V3 ? (methods)->pause : NULL)
#define RT_RESUME_FN(methods) ((methods)->version >= RT_METHODS_V3 ? (methods)->resume : NULL)
/* The table's mount_root (unmount_root), or NULL when it has none (a table older than RT_METHODS_V4). */
#define RT_MOUNT_ROOT_FN(methods) ((methods)->version >= RT_METHODS_V4 ? (methods)->mount_root : NULL)
#define RT_UNMOUNT_ROOT_FN(methods) ((methods)->version >= RT_METHODS_V4 ? (methods)->unmount_root : NULL)

/* Every runtime and task starts with these, so the helpers below can dispatch. */
struct rt_runtime {
  const rt_methods *methods;
};
struct rt_task {
  rt_runtime *runtime;
};
struct rt_proc {
  rt_task *task;
};

/* What the openers take. */
typedef struct rt_options {
  wctr_ioc *ioc;             /* borrowed; outlives the runtime */
  rt_events events;
  rt_host host;
  int host_cpus;             /* >= 1 */
  const char *host_os_version; /* "10.0.20348" */
  const char *data_root;     /* the service's data root (rt_args.container_dir is <data_root>\containers\<id>);
                                what a runtime leaves on the host is its own by it (the HCS runtime's Owner).
                                NULL: no sweep by owner. Copied at open. */
} rt_options;

#endif
