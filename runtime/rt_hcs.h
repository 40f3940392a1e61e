/* runtime/rt_hcs.h - process- and Hyper-V-isolated containers through the Host Compute Service (Windows
 * only; runtime/rt_hcs_win.c, contract in runtime/runtime.h). Every step follows what Microsoft's own
 * clients do (hcsshim, moby); docs/hcs.md's fidelity table names the source of each and what the HCS test
 * double checks of it.
 *
 * Open (rt_hcs_open) never fails for want of HCS: computecore.dll and vmcompute.dll are loaded here
 * (hcs/client.h), and when they cannot be, available() says why; prepare and plan (dry runs) work either way.
 * The Owner of every compute system is hcs_owner_for_data_root(rt_options.data_root): "wctr-" and a stable id
 * of this data root, so that this wctrd's sweep finds its own systems and never anyone else's (HCS_OWNER when
 * the service gives no data root; then nothing is swept by Owner).
 *
 * prepare: the image must be in the catalog (rt_host.image_resolve; WCTR_ENOENT "No such image" otherwise,
 * and WCTR_ENOTSUP when the service has no catalog); the spec's image becomes the catalog's name
 * ("x" -> "x:latest"), its command and user fill in what the spec leaves out ("No command specified: image
 * x has no default command" without either); process isolation checks the image's OS version against the
 * host with hcsshim's rule (hcs/osversion.h) and refuses a mismatch before anything exists. Layer ids are the
 * catalog's: vmcompute NameToGuid of each layer folder's name. The network (runtime/rt_net.h,
 * docs/networking.md): the one the spec joins (spec_network_joined: "nat" for default, none for "none") must
 * resolve (rt_host.network_resolve: WCTR_ENOENT "network x not found"), HNS must be there (WCTR_ENOTSUP
 * "--network nat: the Host Network Service is not available ..." otherwise; not in a dry run), and its host
 * ports must be free of running containers (WCTR_EEXIST, Docker's "port is already allocated").
 *
 * start, in this order; a failure at any step undoes the steps before it in reverse, so nothing is left (no
 * compute system, no mounted scratch, no guest storage, no CCG instance, no secrets folder, no scratch created
 * by this start):
 *   0. with a credential spec (spec->credspec_json): a Container Credential Guard instance is added
 *      (HcsModifyServiceSettings AddInstance, transport LRPC for process isolation, HvSocket for Hyper-V),
 *      read back (HcsGetServiceProperties) and put in the container's document (ContainerCredentialGuard)
 *      and, for Hyper-V, in the utility VM's HvSocket ServiceTable (gmsa/ccg.h);
 *      with secrets: rt_host.secrets_materialize decrypts them into <container dir>\secrets for
 *      ContainerUser (ContainerAdministrator when the container runs as that), and the folder is mapped
 *      read-only at RT_SECRETS_CONTAINER_PATH (a read-only VSMB share for Hyper-V);
 *   1. the scratch: <container dir>\RT_HCS_SANDBOX_DIR gets its VHD, RT_HCS_SCRATCH_VHD, from vmcompute's
 *      CreateSandboxLayer over the image's layers when it has none yet (a container's first start): what
 *      hcsshim does for a scratch folder without sandbox.vhdx, and moby's windowsfilter driver for every
 *      container (docs/hcs.md says why this route);
 *   the network (a container that joins one; runtime/rt_net.h): its host ports held in the runtime's table
 *      (net/ports.h; -P's and -p 80's chosen here), what a crash left under its ids removed, HcnCreateEndpoint
 *      on the network (PortMapping policies, MAC, DNS), HcnCreateNamespace, HcnModifyNamespace adding the
 *      endpoint - after step 1's scratch and storage steps below, right before the container's compute
 *      system; a failure here is never WCTR_EEXIST (which would make the manager try again);
 *   process isolation
 *     2. the scratch mounted as hcsshim mounts it (hcs_scratch_mount: ActivateLayer, PrepareLayer with the
 *        parent layers, GetLayerMountPath); the volume "\\?\Volume{GUID}\" is the container's Storage.Path;
 *     3. HcsCreateComputeSystem(<id>, hcs_doc_process_container with Container.Networking.Namespace), its exit
 *        callback, HcsStartComputeSystem;
 *     4. the server silo \Container_<id> opened through jobs/job.h for OOM notifications (a keyed source of
 *        the I/O core, jobs/notify.h) and --pids-limit (refused when the silo cannot be opened and a process
 *        limit was asked for; otherwise a warning in wctrd's log and no OOM report);
 *   Hyper-V isolation
 *     2. the utility VM's scratch <container dir>\uvm\sandbox.vhdx copied from the base layer's
 *        UtilityVM\SystemTemplate.vhdx (hcsshim's way), HcsGrantVmAccess on it;
 *     3. the utility VM <id>@vm (hcs_doc_uvm, with its GuestConnection) created with its exit callback and
 *        started;
 *     4. the container's scratch VHD granted to the VM (HcsGrantVmAccess) and hot-added on SCSI controller 0
 *        at RT_HCS_SCRATCH_LUN with a MappedVirtualDisk guest request mounting it at C:\c\<short id> in the
 *        VM (hcs_doc_scsi_add), then a CombinedLayers guest request combining the layers' VSMB shares there
 *        (hcs_doc_combined_layers);
 *     4b. with a network: the namespace added to the VM's guest (NetworkNamespace), the endpoint pre-added
 *        (Network PreAdd) and the VM's adapter for it (VirtualMachine/Devices/NetworkAdapters/<nic>), as
 *        hcsshim's internal/uvm/network.go does;
 *     5. the hosted container (hcs_doc_hosted_container, Storage.Path = C:\c\<short id>) created with its exit
 *        callback and started;
 *   both: HcsCreateProcess(hcs_doc_process_params) and the process's exit callback. The stdio handles HCS
 *   returns are overlapped pipes: stdout and stderr are read by I/O core readers, stdin (OpenStdin) is
 *   written by a bounded I/O core writer.
 * The started state ("Runtime" of the record) is {"Type":"hcs","SystemId","Owner","Sandbox","StoragePath"}
 * (StoragePath: the mounted volume, or the guest path for Hyper-V) and for Hyper-V
 * "UtilityVm":{"Id","MemoryMB","ProcessorCount"} - the numbers of the document that was sent - and with a
 * network "Network" (rt_net_state_json: Name, NetworkID, HnsNetworkId, EndpointID, NamespaceId, AdapterId,
 * IPAddress, IPPrefixLen, Gateway, MacAddress, Ports [{PrivatePort, PublicPort, Type, IP}]). identity is the
 * process's user (ContainerUser by default).
 *
 * No thread per container. HCS's exit callbacks run on HCS's threads and only record and post to the I/O
 * core. The run ends when the first process exits or a compute system exits; then, on the blocking pool,
 * Docker's rule - the container lives as long as its first process - ends what is left in the reverse of
 * the start's order: the container's compute system terminated, then for Hyper-V the VM's network adapter
 * and guest namespace removed, the combined layers removed, the scratch unmounted by the guest and taken off the SCSI controller (one request,
 * hcs_doc_scsi_remove), and the utility VM terminated (failures of the guest's steps, as after a VM crash,
 * go to the debug log). The exit is reported once every compute system reported its exit (at most 10 s after
 * the terminate: a system that stays silent is logged) and both streams ended (at most RT_DRAIN_MS after the
 * end). A compute system that exited on its own (any exit type but GracefulExit and ForcedExit, e.g. a
 * crashed utility VM, which takes its container with it) makes the exit code -1 with the reason in
 * rt_exit.why, even though HCS reported the killed process's exit code first; so does an exit code HCS could
 * not read.
 *
 * signal: RT_SIGNAL_STOP sends CtrlShutdown to the first process (HcsSignalProcess; the compute system's
 * shutdown when the process is not known), RT_SIGNAL_KILL terminates the container's compute system (the
 * process then ends with RT_KILLED_EXIT_CODE as HCS reports it, and the end above takes the rest in order;
 * the utility VM is terminated at once only when the container cannot be). stdin_close: HCS relays stdin, so
 * closing our end of the pipe is not end of file in the container: after the queued input is written (at
 * most 30 s), the pipe is closed and HcsModifyProcess CloseHandle StdIn is sent. stats:
 * HcsGetComputeSystemProperties' Statistics (CPU Processor.TotalRuntime100ns, memory
 * Memory.MemoryUsageCommitBytes and MemoryUsageCommitPeakBytes, Storage.ReadSizeBytes / WriteSizeBytes /
 * ReadCountNormalized / WriteCountNormalized) and the ProcessList's length (0 when HCS does not give it).
 * update: WCTR_ENOTSUP (Docker's "resource updating isn't supported on Windows"); inspect adds nothing;
 * resize (the container's and an exec's) is WCTR_ENOTSUP.
 * pause / resume (RT_METHODS_V3): Hyper-V only, as Docker on Windows: HcsPauseComputeSystem /
 * HcsResumeComputeSystem of the utility VM (options ""); HCS's refusal (a VM that is not Running / not Paused)
 * comes back as its failure. Process isolation: WCTR_ENOTSUP with RT_HCS_PAUSE_REFUSAL, Docker's words, before
 * any call.
 * exec (RT_METHODS_V2): HcsCreateProcess in the container's running compute system with ProcessParameters
 * (hcs_doc_process_params) of the exec: its cmd, user (else the container's, else ContainerUser),
 * working_dir (else the container's), the container's env plus the exec's (the exec's wins, names without
 * case), tty as EmulateConsole, open_stdin as CreateStdInPipe (closed as the container's stdin is). A program
 * HCS cannot find is WCTR_ENOENT "exec: \"X\": executable file not found (...)"; a run that has ended is
 * WCTR_ESTATE. Its exit comes from HcsEventProcessExited (posted to a worker), after its output is drained;
 * the end of the run terminates the compute system, which ends the exec'd processes first.
 *
 * release: the silo's notifications removed, the handles closed, the scratch volume unmounted (process
 * isolation: UnprepareLayer, DeactivateLayer), the namespace and the endpoint deleted and the host ports
 * released, the CCG instance removed, the secrets folder removed (rt_host.secrets_cleanup).
 * reattach (wctrd restarted): HcsOpenComputeSystem of the utility VM and the container by id (they outlived
 * wctrd: ShouldTerminateOnLastHandleClosed is false), HcsOpenProcess of the recorded pid, their exit
 * callbacks, the silo's notifications, the recorded "Network" (its host ports held again); the task undoes
 * the mounted scratch or the guest's storage and the network at its end as a started one does. No output (what was written while wctrd was away is lost, and HCS hands the stdio
 * pipes out once). WCTR_ENOENT when any of them is gone, with ended->code -1 (HCS keeps no exit code for a
 * system that is gone).
 * cleanup (after such a WCTR_ENOENT): the CCG instance, the namespace and the endpoint; for process isolation
 * the scratch unmounted if it is still mounted (a failure only logged); a compute system still there is the
 * sweep's.
 * remove: the scratch unmounted if a crash left it mounted, then the writable layer destroyed (vmcompute
 * DestroyLayer).
 * mount_root (RT_METHODS_V4, docker cp of a container that does not run, process or Hyper-V alike): the
 * scratch VHD made when the container never started (CreateSandboxLayer over the image's layers, as its first
 * start would: dockerd makes the writable layer at create), then mounted on the host as a start mounts it
 * (hcs_scratch_mount: ActivateLayer, PrepareLayer, GetLayerMountPath); root is the volume. A Hyper-V
 * container's scratch is the same VHD, handed to a utility VM only while it runs, so the host mount serves it
 * (dockerd's windowsfilter driver mounts it the same way). On failure what this call did is undone
 * (UnprepareLayer, DeactivateLayer; DestroyLayer of a scratch it made). unmount_root: UnprepareLayer,
 * DeactivateLayer. A crash between the two is repaired by the sweep (every owned container that does not run
 * has its scratch unmounted), and remove unmounts before it destroys.
 * sweep (wctrd's start, after every reattach): the compute systems whose Owner is this data root's and that
 * no running container has (HcsEnumerateComputeSystems with {"Owners":[owner]}, checked again on the answer;
 * hosted containers, then utility VMs, opened and terminated); then the scratch volumes of owned containers
 * that do not run, unmounted if mounted; then the CCG instances of owned containers that do not run
 * (gmsa/ccg.h); then rt_net_sweep: the namespaces and endpoints of owned containers that do not run, by their
 * ids, and every endpoint named "<owner>_..." whose container does not run. Nothing of anyone else: not another Owner's system, not an id this data root does not own.
 *
 * Dry run (plan): every call of the start above, in order, with its arguments - nothing is created and HCS
 * is not needed:
 *   {"call":"HcsModifyServiceSettings","document":AddInstance with PluginInput redacted} (credential spec),
 *   {"call":"CreateSandboxLayer","path":<sandbox>,"layers":[{"Id","Path"}...]} (a first start's),
 *   process: {"call":"ActivateLayer","path"}, {"call":"PrepareLayer","path","layers"},
 *     {"call":"GetLayerMountPath","path","result":RT_HCS_DRY_RUN_VOLUME};
 *   Hyper-V: {"call":"CopyFileW","path":<VM scratch>,"source":<SystemTemplate.vhdx>},
 *     {"call":"HcsGrantVmAccess","id":<vm>,"path":<VM scratch>}, {"call":"HcsCreateComputeSystem","id":<vm>,
 *     "document"}, {"call":"HcsStartComputeSystem","id":<vm>}, {"call":"HcsGrantVmAccess","id":<vm>,
 *     "path":<scratch VHD>}, {"call":"HcsModifyComputeSystem","id":<vm>,"document":the SCSI request},
 *     {"call":"HcsModifyComputeSystem","id":<vm>,"document":the CombinedLayers request};
 *   with a network: {"call":"HcnCreateEndpoint","id","network","document"}, {"call":"HcnCreateNamespace","id",
 *     "document"}, {"call":"HcnModifyNamespace","id","document"} (host ports a start would choose now), and
 *     for Hyper-V the VM's three HcsModifyComputeSystem requests (NetworkNamespace, Network PreAdd,
 *     NetworkAdapters);
 *   {"call":"HcsCreateComputeSystem","id","document"}, {"call":"HcsStartComputeSystem","id"},
 *   {"call":"HcsCreateProcess","id","document"}.
 * The volume of a process-isolated container is known only at start: its Storage.Path in a dry run is
 * RT_HCS_DRY_RUN_VOLUME. ContainerCredentialGuard comes from HCS at run time, so the container document of a
 * dry run does not have it. */
#ifndef WCTR_RUNTIME_RT_HCS_H
#define WCTR_RUNTIME_RT_HCS_H

#include "runtime/runtime.h"

/* The utility VM's compute-system id is the container's id followed by this. */
#define RT_HCS_UVM_SUFFIX "@vm"
/* The container's writable layer, inside rt_args.container_dir, and its scratch VHD inside that. */
#define RT_HCS_SANDBOX_DIR "sandbox"
#define RT_HCS_SCRATCH_VHD "sandbox.vhdx"
/* Where the container's scratch goes on the utility VM's SCSI controller 0 (0 is the VM's own scratch). */
#define RT_HCS_SCRATCH_LUN 1u
/* A dry run's stand-in for the volume GetLayerMountPath gives at start: the nil GUID, in the volume form
 * HCS takes. */
#define RT_HCS_DRY_RUN_VOLUME "\\\\?\\Volume{00000000-0000-0000-0000-000000000000}\\"
/* How long one HCS call of a start may take before it is cancelled: a utility VM boots within this on any
 * host that can run one. */
#define RT_HCS_CALL_TIMEOUT_MS 240000u

/* moby's libcontainerd refusal of a process-isolated container's pause, word for word (Docker's clients and
 * scripts look for it). */
#define RT_HCS_PAUSE_REFUSAL "cannot pause Windows Server Containers"

wctr_err rt_hcs_open(const rt_options *opt, rt_runtime **out, wctr_errmsg *e);

#endif
