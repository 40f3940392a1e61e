/* runtime/rt_hcs.h - process- and Hyper-V-isolated containers through the Host Compute Service (Windows
 * only; runtime/rt_hcs_win.c, contract in runtime/runtime.h).
 *
 * Open (rt_hcs_open) never fails for want of HCS: computecore.dll is loaded here (hcs/client.h), and when
 * it cannot be, available() says why; prepare and plan (dry runs) work either way.
 *
 * prepare: the image must be in the catalog (rt_host.image_resolve; WCTR_ENOENT "No such image" otherwise,
 * and WCTR_ENOTSUP when the service has no catalog); the spec's image becomes the catalog's name
 * ("x" -> "x:latest"), its command and user fill in what the spec leaves out ("No command specified: image
 * x has no default command" without either); process isolation checks the image's OS version against the
 * host with hcsshim's rule (hcs/osversion.h) and refuses a mismatch before anything exists.
 *
 * start, in this order; a failure at any step undoes the steps before it, so nothing is left (no compute
 * system, no CCG instance, no secrets folder, no sandbox created by this start):
 *   0. with a credential spec (spec->credspec_json): a Container Credential Guard instance is added
 *      (HcsModifyServiceSettings AddInstance, transport LRPC for process isolation, HvSocket for Hyper-V),
 *      read back (HcsGetServiceProperties) and put in the container's document (ContainerCredentialGuard)
 *      and, for Hyper-V, in the utility VM's HvSocket ServiceTable (gmsa/ccg.h);
 *      with secrets: rt_host.secrets_materialize decrypts them into <container dir>\secrets for
 *      ContainerUser (ContainerAdministrator when the container runs as that), and the folder is mapped
 *      read-only at RT_SECRETS_CONTAINER_PATH (a VSMB share for Hyper-V);
 *   process isolation
 *     1. <container dir>\sandbox: HcsInitializeWritableLayer over the image's layers (first start only),
 *        HcsAttachLayerStorageFilter;
 *     2. HcsCreateComputeSystem(<id>, hcs_doc_process_container), its exit callback, HcsStartComputeSystem;
 *     3. the server silo \Container_<id> opened through jobs/job.h for OOM notifications (a keyed source of
 *        the I/O core, jobs/notify.h) and --pids-limit (refused when the silo cannot be opened and a process
 *        limit was asked for; otherwise a warning in wctrd's log and no OOM report);
 *   Hyper-V isolation
 *     1. <container dir>\sandbox initialised as above (its sandbox.vhdx is the container's scratch disk);
 *        the utility VM's scratch <container dir>\uvm\sandbox.vhdx copied from the base layer's
 *        UtilityVM\SystemTemplate.vhdx (hcsshim's way), HcsGrantVmAccess on it;
 *     2. the utility VM <id>@vm (hcs_doc_uvm) created with its exit callback and started;
 *     3. the scratch disk granted to the VM and hot-added as SCSI lun 1 (hcs_doc_scsi_add);
 *     4. the hosted container (hcs_doc_hosted_container, Storage.Path C:\c\<short id> in the VM) created
 *        with its exit callback and started;
 *   both: HcsCreateProcess(hcs_doc_process_params) and the process's exit callback. The stdio handles HCS
 *   returns are overlapped pipes: stdout and stderr are read by I/O core readers, stdin (OpenStdin) is
 *   written by a bounded I/O core writer.
 * The started state ("Runtime" of the record) is {"Type":"hcs","SystemId","Sandbox"} and for Hyper-V
 * "UtilityVm":{"Id","MemoryMB","ProcessorCount"} - the numbers of the document that was sent. identity
 * is the process's user (ContainerUser by default).
 *
 * No thread per container. HCS's exit callbacks run on HCS's threads and only record and post to the I/O
 * core. The run ends when the first process exits or a compute system exits; then, on the blocking pool,
 * Docker's rule - the container lives as long as its first process - terminates what is left, and the
 * exit is reported once every compute system reported its exit (at most 10 s after the terminate: a
 * system that stays silent is logged) and both streams ended (at most RT_DRAIN_MS after the end). A
 * compute system that exited on its own (any exit type but GracefulExit and ForcedExit, e.g. a crashed
 * utility VM, which takes its container with it) makes the exit code -1 with the reason in rt_exit.why,
 * even though HCS reported the killed process's exit code first; so does an exit code HCS could not read.
 *
 * signal: RT_SIGNAL_STOP sends CtrlShutdown to the first process (HcsSignalProcess; the compute system's
 * shutdown when the process is not known), RT_SIGNAL_KILL terminates the compute systems (the process
 * then ends with RT_KILLED_EXIT_CODE as HCS reports it). stdin_close: HCS relays stdin, so closing our end
 * of the pipe is not end of file in the container: after the queued input is written (at most 30 s),
 * the pipe is closed and HcsModifyProcess CloseHandle StdIn is sent. stats: HcsGetComputeSystemProperties'
 * Statistics (CPU Processor.TotalRuntime100ns, memory Memory.MemoryUsageCommitBytes and
 * MemoryUsageCommitPeakBytes, Storage.ReadSizeBytes / WriteSizeBytes / ReadCountNormalized /
 * WriteCountNormalized) and the ProcessList's length (0 when HCS does not give it). update: WCTR_ENOTSUP
 * (Docker's "resource updating isn't supported on Windows"); inspect adds nothing; resize and exec are
 * WCTR_ENOTSUP.
 *
 * release: the silo's notifications removed, the handles closed, the storage filter detached (process
 * isolation), the CCG instance removed, the secrets folder removed (rt_host.secrets_cleanup).
 * reattach (wctrd restarted): HcsOpenComputeSystem of the utility VM and the container, HcsOpenProcess of
 * the recorded pid, their exit callbacks, the silo's notifications; no output (what was written while wctrd
 * was away is lost, and HCS hands the stdio pipes out once). WCTR_ENOENT when any of them is gone, with
 * ended->code -1 (HCS keeps no exit code for a system that is gone). cleanup: the CCG instance, a storage
 * filter that may still be attached, the secrets folder. remove: the sandbox layer (HcsDestroyLayer).
 * sweep: the CCG instances of owned containers that do not run (gmsa/ccg.h); nothing of anyone else.
 *
 * Dry run (plan): the documents a start would send, in order, as
 *   {"call":"HcsInitializeWritableLayer","path":"<sandbox>","document":LayerData},
 *   {"call":"HcsModifyServiceSettings","document":AddInstance with PluginInput redacted} (credential spec),
 *   {"call":"HcsAttachLayerStorageFilter","path","document"} (process isolation),
 *   {"call":"HcsCreateComputeSystem","id":"<id>@vm","document"} and {"call":"HcsModifyComputeSystem",
 *   "id":"<id>@vm","document":the SCSI request} (Hyper-V),
 *   {"call":"HcsCreateComputeSystem","id":"<id>","document"}, {"call":"HcsCreateProcess","id","document"};
 * nothing is created and HCS is not needed. ContainerCredentialGuard comes from HCS at run time, so the
 * container document of a dry run does not have it. */
#ifndef WCTR_RUNTIME_RT_HCS_H
#define WCTR_RUNTIME_RT_HCS_H

#include "runtime/runtime.h"

/* The utility VM's compute-system id is the container's id followed by this. */
#define RT_HCS_UVM_SUFFIX "@vm"
/* How long one HCS call of a start may take before it is cancelled: a utility VM boots within this on any
 * host that can run one. */
#define RT_HCS_CALL_TIMEOUT_MS 240000u

wctr_err rt_hcs_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e);

#endif
