/* service/manager.h - the container manager (portable): the containers of one wctrd, their state machine
 * (service/container.h), their records (service/store.h), their output (service/logs.h), restart policies,
 * recovery after a crash, and events. What runs is a runtime's (runtime/runtime.h): the manager chooses one
 * by isolation, hands it a spec, and hears back from it through events. Windows-specific code lives behind
 * those seams, so the whole manager runs natively with the fake runtime (runtime/rt_fake.h) under
 * ASan/UBSan.
 *
 * Operations (svc_manager_ops; params and results in docs/protocol.md):
 *   container.create  {create params, "DryRun"?}  -> {"Id","Name","Warnings"} | dry run {"DryRun","Id","Calls","Warnings"}
 *   container.start   {"Id"}                        -> {} once the runtime has started it; {"NotModified":true} at once
 *                                                    when it runs already (Docker's 304: no error)
 *   container.run     {"Id"} (stream)              attach, start, output chunks, stdin, then {"ExitCode","OOMKilled"}
 *   container.attach  {"Id","Stdin"?} (stream)     output chunks of the current run, or of the next one when it is not
 *                                                    running (stdin too with Stdin, when created with OpenStdin), then
 *                                                    {"ExitCode","OOMKilled"} when that run ends; ENOENT if it is removed.
 *                                                    A client that leaves closes the container's stdin only when it
 *                                                    was created with StdinOnce (spec/spec.h; run -dit keeps it open)
 *   container.restart {"Id","Timeout"?}           -> {} once stopped (as container.stop) and started again
 *   container.rename  {"Id","Name"}               -> {} (Docker's name rules; EEXIST when the name is taken)
 *   container.stop    {"Id","Timeout"?}           -> {} once it has exited: stop signal, then kill after Timeout
 *                                                    (default its StopTimeout), then at most SVC_KILL_WAIT_MS more
 *   container.kill    {"Id","Signal"?}              -> {} once it has exited (a paused container is resumed first, for
 *                                                    stop and kill alike, as containerd does). Signal as dockerd 20.10
 *                                                    on Windows reads it: none, KILL, SIGKILL or 9 terminates; TERM,
 *                                                    SIGTERM or 15 (any case) sends the graceful stop signal and answers
 *                                                    once it is delivered, with no kill after it (libcontainerd's
 *                                                    Shutdown); EINVAL "Invalid signal: X" for another name or 0,
 *                                                    "The windows daemon does not support signal N" for another number
 *   container.pause   {"Id"}                        -> {} once the runtime froze it (runtime.h pause): State.Paused, status
 *                                                    "paused", event "pause"; ESTATE "Container ID is not running" /
 *                                                    "Container ID is already paused"; the runtime's refusal as "Cannot
 *                                                    pause container ID: REASON" with its code (ENOTSUP: job containers,
 *                                                    process isolation - Docker's "cannot pause Windows Server
 *                                                    Containers"). While paused: start is ESTATE "cannot start a paused
 *                                                    container, try unpause instead", exec ESTATE "Container X is paused,
 *                                                    unpause the container before exec", remove without Force ESTATE "You
 *                                                    cannot remove a paused container ID. Unpause and then stop ..."
 *   container.unpause {"Id"}                        -> {}, event "unpause"; ESTATE "Container ID is not paused"
 *   container.remove  {"Id","Force"?}             -> {}
 *   container.list    {"All"?,"Filters"?:{KEY:[values]},"Size"?} -> [summaries]; a summary carries "Health"
 *                     (starting|healthy|unhealthy) once its healthcheck has a status. Filters as dockerd's (values
 *                     of a key are alternatives, keys all match; label's values all match): label, health
 *                     (starting, healthy, unhealthy, none), name (a part of the name, ^ and $ anchors), id
 *                     (prefix), ancestor (the image reference, or what rt_host.image_resolve names for it),
 *                     status (Docker's seven; lists every state), exited (code of an exited container),
 *                     before/since (a container ref; the last value), isolation, is-task. Refusals, EINVAL
 *                     with dockerd's texts ("invalid filter 'KEY'", "Invalid filter 'status=X'",
 *                     "strconv.Atoi: parsing \"X\": invalid syntax"), ENOENT "No such container: X".
 *                     Size: each summary gets SizeRw and SizeRootFs (manager_files.c: a job container's
 *                     sandbox folder, both; an HCS container's scratch VHD, and a running process-isolated
 *                     one's mounted volume as SizeRootFs); the op is BLOCKING (the sizes walk folders).
 *   container.inspect {"Id"}                        -> the record plus the runtime's view (AppliedLimits);
 *                     State.Health {Status, FailingStreak, Log[{Start, End, ExitCode, Output}]} once the
 *                     healthcheck (Config.Healthcheck, spec/spec.h) has a status (manager_health.c: probes
 *                     through the runtime's exec while a run lasts; "health_status: S" events)
 *   container.stats   {"Id"}                        -> CPU (two samples 250 ms apart: CPUPercent of one CPU, and the
 *                                                    samples CpuTotal100ns, PreCpuTotal100ns, SampleMs), memory, IO,
 *                                                    processes
 *   container.top     {"Id"}                        -> {"Processes": the runtime's list (runtime.h top: HCS's ProcessList
 *                                                    shape)}; ESTATE "Container ID is not running" when it is not
 *   container.update  {"Id", resource fields...}    -> {"Warnings"}
 *   container.wait    {"Id"} (stream)              -> {"StatusCode"} once it is not running
 *   container.logs    {"Id","Tail"?,"Follow"?,"Timestamps"?,"Details"?,"Since"?,"Until"?} (stream): output chunks,
 *                                                    then {}; every file of the log, oldest first (the spec's
 *                                                    max-file); Since/Until keep the lines logged within them (the
 *                                                    log's time form "2026-12-07T07:14:33.123456789Z", inclusive);
 *                                                    Details puts each line's attributes and a space before it
 *                                                    (after the timestamp), as dockerd's logs --details
 *   container.archive.stat {"Id","Path"}            -> Docker's path stat {"name","size","mode" (Go's FileMode: a folder
 *                                                    has 1<<31|0755, a file 0644),"mtime","linkTarget":""}
 *   container.archive.get  {"Id","Path"} (stream)    a "stat" frame (as above), the tar as output chunks (stdout),
 *                                                    then {"Size"}
 *   container.archive.put  {"Id","Path","NoOverwriteDirNonDir"?,"Rename"?:{"From","To"}} (stream): the tar as stdin
 *                                                    frames, extracted into the folder Path once it ended -> {"Entries"};
 *                                                    Rename renames the archive's first component (To "" drops it)
 *                     Not ADMIN (docker cp over the Engine API's token; docs/security.md). Path: images/tar_tree.h's container paths;
 *                     where C:\ is and what is refused: manager_archive.c (job: the sandbox folder; process: the
 *                     mounted volume while running; Hyper-V running: dockerd's "filesystem operations against a
 *                     running Hyper-V container are not supported", ENOTSUP; a process-isolated or Hyper-V one
 *                     that does not run: its root mounted by its runtime for the operation and unmounted after;
 *                     meanwhile container.start, container.remove and another archive op of it are EBUSY "container
 *                     X is busy: a copy (docker cp) has its file system mounted; it can be started once the copy
 *                     ends"; a mount that fails: its error, "its file system cannot be mounted to copy: ...").
 *                     ENOENT "Could not find the file PATH in container REF"; EINVAL "extraction point is not a
 *                     directory: ..."; EEXIST "cannot overwrite directory \"X\" with non-directory \"X\"";
 *                     CopyUIDGID true: EINVAL (Windows files have no uid/gid).
 *   exec.create       {"Id","Cmd":[...],"Env"?,"User"?,"WorkingDir"?,"Tty"?,"AttachStdin"?,"Privileged"?}
 *                                                 -> {"Id"} of an exec instance in a running container (ESTATE "Container
 *                                                    X is not running"; Privileged: ENOTSUP, Windows has no privileged mode)
 *   exec.start        {"Id","Detach"?,"Tty"?} (stream) runs it once: output chunks, stdin (AttachStdin), then
 *                                                    {"ExitCode"}; Detach: {} once it runs. A command that cannot start
 *                                                    fails with the runtime's message (ENOENT not found, EACCES denied)
 *                                                    and the instance records 127 / 126. ESTATE when started already.
 *   exec.inspect      {"Id"}                        -> Docker's exec inspect {"ID","Running","ExitCode"(null while it runs),
 *                                                    "ProcessConfig","OpenStdin","ContainerID","Pid",...}
 *                                                    Instances live in memory, for the life of their container.
 *   events            {} (stream)                   "event" frames {Time,Type,Action,Id[,Name][,ExitCode][,Attributes]} until
 *                                                    the client leaves: Type "container" for what the manager does,
 *                                                    "image" for what the image operations report
 *                                                    (svc_manager_emit_image), "volume" (create, destroy;
 *                                                    Id the volume's name, no Name, Attributes as dockerd's:
 *                                                    driver), "network" (create, destroy; Id the network's,
 *                                                    Attributes name and type, svc_manager_emit_network)
 * A ref ("Id") is a full id, a unique id prefix, or a name.
 *
 * Threads and locks. Everything happens on the I/O core (common/ioc.h): requests and runtime events on its
 * workers, and every step that may block - a runtime's start, signal, stats, release and remove, and every
 * write of a record to the disk - on its blocking pool. Nothing waits for a client: attached clients,
 * followers, waiters and event subscribers are sinks (service/ops.h) that queue, and one that does not read
 * is dropped by its front-end. Two locks: the manager's (the list, every record, run state, waiters) and a
 * per-container output lock (its log writer and attached clients), always taken in that order, each held
 * briefly and never across a runtime call, a disk flush or a wait; the rules are asserted in code.
 *
 * Runs. A start hands the runtime a copy of the spec; output is logged as it arrives (service/logs.h) and
 * fanned out to attached clients. When the runtime reports the exit, the run is released first (its job or
 * compute systems go), and only then is the container recorded as exited: a start right after an exit
 * never meets the previous run's job. A start that fails leaves the container as it was, with the error
 * in State.Error.
 *
 * At start the manager loads every record and repairs what a crash left: a container recorded as running
 * is re-attached when its runtime still finds it, else marked exited (its exit code when the runtime could
 * still read it, else -1) and what the run left is cleaned up; a container caught half-removed is removed;
 * each runtime then sweeps what it owns that no container uses. --rm containers that ended meanwhile go.
 * Then restart policies apply (spec/spec.h): `always` containers that ran before, and `unless-stopped` ones
 * a user did not stop, are started again. While wctrd runs, a container that exits is restarted as its
 * policy says, after Docker's backoff (an I/O core timer), never after a user's stop or kill, nor while
 * wctrd stops. svc_manager_stop stops every running container (each with its stop timeout, at most 10 s,
 * all at once) and returns when they have exited or been given up on. */
#ifndef WCTR_SERVICE_MANAGER_H
#define WCTR_SERVICE_MANAGER_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/ioc.h"
#include "runtime/runtime.h"
#include "service/ops.h"
#include "spec/spec.h"

#define SVC_KILL_WAIT_MS 10000u

typedef struct svc_manager svc_manager;

/* Create-time checks that need the service's stores (each may be NULL: not checked). */
typedef struct svc_manager_hooks {
  void *ctx;
  /* Every secret the spec names exists (service/secrets.h). */
  wctr_err (*secrets_check)(void *ctx, const spec_container *spec, wctr_errmsg *e);
  /* The credentialspec= option read and validated into spec->credspec_source / credspec_json. */
  wctr_err (*credspec_resolve)(void *ctx, spec_container *spec, wctr_errmsg *e);
  /* Gives a new volume's _data folder its DACL (service/volumes.h; Windows: ACL_SDDL_VOLUME_DATA). */
  wctr_err (*volume_secure)(void *ctx, const char *data_dir, wctr_errmsg *e);
} svc_manager_hooks;

typedef wctr_err (*svc_runtime_open_fn)(const rt_options *opt, rt_runtime **out, wctr_errmsg *e);

typedef struct svc_manager_options {
  wctr_ioc *ioc;               /* borrowed; outlives the manager */
  const char *data_root;
  bool server_sku;             /* the default isolation (spec_default_isolation) */
  int host_cpus;               /* >= 1 */
  const char *host_os_version; /* "10.0.20348" */
  /* The runtimes, opened by the manager with its own events (NULL: that isolation is not available). */
  svc_runtime_open_fn open_job;
  svc_runtime_open_fn open_hcs; /* process and Hyper-V */
  rt_host host;                /* what the runtimes may ask of the service */
  svc_manager_hooks hooks;
  uint32_t kill_wait_ms;       /* 0: SVC_KILL_WAIT_MS (tests shorten it) */
} svc_manager_options;

wctr_err svc_manager_start(const svc_manager_options *opt, svc_manager **out, wctr_errmsg *e);
/* Stops every running container, waits for the manager's work in flight, closes the runtimes, frees.
 * Accepts NULL. Call before the I/O core stops and after the front-ends stopped. */
void svc_manager_stop(svc_manager *m);

/* The operations above (ctx is the manager). */
const svc_op *svc_manager_ops(size_t *count);
/* Named volumes (service/volumes.h; ctx is the manager):
 *   volume.create  {"Name"?,"Driver"?:"local","DriverOpts"?:{} (none accepted),"Labels"?} -> the volume's shape
 *                  (a second create of a name answers the volume as it is, as Docker's)
 *   volume.inspect {"Name"}              -> the shape; ENOENT "get NAME: no such volume"
 *   volume.list    {"Filters"?:{"dangling":["true"|"false"],"name":[..],"label":[..],"driver":[..]}} -> [shapes]
 *                  "Usage"?: true adds Docker's "UsageData" to each: {"Size": -1 (not measured), "RefCount": the
 *                  containers, of any state, that mount it} (docker system df)
 *   volume.remove  {"Name","Force"?}     -> {}; ESTATE "remove NAME: volume is in use - [ID, ...]" while any
 *                  container (of any state) mounts it; Force: a missing volume is no error
 *   volume.prune   {"All"?,"Filters"?:{"label":[..]}} -> {"VolumesDeleted":[names]}: unused anonymous volumes,
 *                  every unused one with All (Docker 23's rule)
 * container.remove takes "RemoveVolumes": its anonymous volumes go with it (rm -v), as with --rm. */
const svc_op *svc_manager_volume_ops(size_t *count);

/* An image event to every events subscriber (Type "image": pull, tag, untag, delete, load, save; id the image's id,
 * a pull's the reference it pulled; name the reference). Never blocks. ctx is the manager (the image operations'
 * svc_image_service.event). */
void svc_manager_emit_image(void *m, const char *action, const char *id, const char *name);
/* A network's event (service/networks.h svc_network_event_fn): Type "network", no Name, the attributes copied. */
void svc_manager_emit_network(void *m, const char *action, const char *id, const cJSON *attributes);
/* Every container's record (svc_container_to_json), for `wctr check`. NULL when out of memory; caller
 * frees with cJSON_Delete. */
cJSON *svc_manager_records(svc_manager *m);
/* The containers whose configuration names the secret, those being created included (a create lists its
 * container before its last check of the secrets it names, so a secret.remove that asks this while it holds
 * the secret store's lock either sees the container or makes that check fail): their names, comma-separated,
 * into names (cut to size), and each into list when it is not NULL. How many. ctx is the manager. */
int svc_manager_secret_users(void *m, const char *secret, char *names, size_t size, cJSON *list);
/* Is the container with this full id running? ctx is the manager (for the secrets sweep). */
bool svc_manager_running(void *m, const char *id);
/* Does a container of an HCS isolation use this image? The first one's name goes to container. ctx is the
 * manager (for image.remove). */
bool svc_manager_image_in_use(void *m, const char *image, char *container, size_t size);

/* A kill's signal as dockerd 20.10 on Windows reads it (its ParseSignal, then ValidSignalForPlatform): a number
 * (Go's Atoi) or a name with or without SIG, in any case. Windows knows KILL (9) and TERM (15) only: *term is
 * true for TERM (the graceful stop signal, no kill after it), false for KILL and for none (NULL or "").
 * EINVAL "Invalid signal: X" for 0 or another name, "The windows daemon does not support signal N" for another
 * number. */
wctr_err svc_kill_signal_parse(const char *text, bool *term, wctr_errmsg *e);

#endif
