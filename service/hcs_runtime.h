/* service/hcs_runtime.h - process- and Hyper-V-isolated containers for the container manager (Windows).
 *
 * The manager (service/manager_win.c) owns the lifecycle - records, states, logs, events - for every
 * isolation; this file is what it calls for the two HCS isolations, the way it calls jobs/job.h for job
 * containers.
 *
 * Create (svc_hcs_prepare): the image must be in the catalog (service/images.h); its Cmd and User fill
 * in what the request leaves out; process isolation checks the image's OS version against the host with
 * hcsshim's rule (hcs/osversion.h) and refuses a mismatch before anything exists.
 *
 * Start (svc_hcs_start), in this order; a failure at any step undoes the steps before it, so nothing
 * is left (no compute system, no sandbox created by this start):
 *   process isolation
 *     1. <container dir>\sandbox: HcsInitializeWritableLayer over the image's layers (first start only),
 *        HcsAttachLayerStorageFilter;
 *     2. HcsCreateComputeSystem(<id>, hcs_doc_process_container), exit callback, HcsStartComputeSystem;
 *     3. the server silo \Container_<id> opened through jobs/job.h for OOM notifications, accounting and
 *        --pids-limit (refused when the silo cannot be opened and a process limit was asked for); its
 *        events reach the manager's job monitor with the manager's key (OOM as for job containers);
 *   Hyper-V isolation
 *     1. <container dir>\sandbox initialised as above (its sandbox.vhdx is the container's scratch disk);
 *        the utility VM's scratch <container dir>\uvm\sandbox.vhdx copied from the base layer's
 *        UtilityVM\SystemTemplate.vhdx (hcsshim's way), HcsGrantVmAccess on it;
 *     2. the utility VM <id>@vm (hcs_doc_uvm) created with its exit callback and started;
 *     3. the scratch disk granted to the VM and hot-added as SCSI lun 1 (hcs_doc_scsi_add);
 *     4. the hosted container (hcs_doc_hosted_container, Storage.Path = C:\c\<short id> in the VM) created
 *        with its exit callback and started;
 *   both: HcsCreateProcess(hcs_doc_process_params), the process exit callback, the stdio pipes handed
 *   to the manager.
 * With secrets (--secret): after CCG and before step 1, svc_secrets_materialize decrypts them into
 * <container dir>\secrets, readable by ContainerUser (ContainerAdministrator when the container runs as
 * that), and the folder is mapped read-only at SVC_SECRETS_CONTAINER_PATH (C:\ProgramData\wctr\secrets,
 * a VSMB share for Hyper-V); a failed start removes it, the manager removes it when the run ends.
 * With a credential spec (c->spec.credspec_json), before step 1: a Container Credential Guard
 * instance is added (HcsModifyServiceSettings AddInstance, transport LRPC for process isolation, HvSocket
 * for Hyper-V), read back (HcsGetServiceProperties), and put in the container's document
 * (ContainerCredentialGuard) and, for Hyper-V, in the utility VM's HvSocket ServiceTable. The instance is
 * removed when the start fails, when the container's run ends (svc_hcs_finish), when its systems are found
 * gone after a wctrd crash (svc_hcs_cleanup), and by the sweep at service start (svc_hcs_sweep_ccg).
 * The record's "Runtime" gets {"SystemId","Sandbox"} and for Hyper-V "UtilityVm":{"Id","MemoryMB",
 * "ProcessorCount"} - the numbers from the document that was sent - so `inspect` shows them.
 *
 * Exit: the done event is set when the first process exits (its code, when HCS could read it) or when a
 * compute system exits. svc_hcs_finish then applies Docker's rule - the container lives as long as its
 * first process - by terminating what is left, and waits for every system's exit event: a system that
 * exited on its own ("UnexpectedExit" of the VM or the container) makes the exit code -1 with a reason,
 * even though HCS reported the killed process's exit first. Then the storage filter is detached and the
 * handles released.
 *
 * Dry run (svc_hcs_plan_calls): the documents a start would send, in order, as
 *   {"call":"HcsCreateComputeSystem","id":"<system id>","document":{...}} (and "path" for the storage
 *   calls); nothing is created and HCS is not needed. With a credential spec the AddInstance request is
 *   shown with PluginInput redacted; ContainerCredentialGuard comes from HCS at run time, so the container
 *   document of a dry run does not have it.
 *
 * Handles and threads: an svc_hcs_ctr is reference counted; stop/kill/stdin take a reference while they
 * call HCS, so svc_hcs_finish never closes a handle under them. Callbacks only record and signal. */
#ifndef WCTR_SERVICE_HCS_RUNTIME_H
#define WCTR_SERVICE_HCS_RUNTIME_H

#include <windows.h>

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "jobs/job.h"
#include "service/container.h"
#include "service/images.h"

#define SVC_HCS_UVM_SUFFIX "@vm"
/* How long one HCS call may take before it is cancelled: a utility VM boots within this on any host
 * that can run one. */
#define SVC_HCS_CALL_TIMEOUT_MS 240000u

typedef struct svc_hcs svc_hcs;
typedef struct svc_hcs_ctr svc_hcs_ctr;

typedef struct svc_hcs_options {
  const char *host_os_version; /* "10.0.20348" */
  int host_cpus;
  svc_images *images;          /* borrowed */
  job_monitor *monitor;        /* borrowed, may be NULL: OOM notifications of process-isolated silos */
} svc_hcs_options;

/* Never fails for want of HCS: svc_hcs_available says whether containers can start; dry runs and
 * create-time checks work either way. */
wctr_err svc_hcs_open(const svc_hcs_options *opt, svc_hcs **out, wctr_errmsg *e);
void svc_hcs_close(svc_hcs *h);
bool svc_hcs_available(const svc_hcs *h, const char **why);

/* Create time: params (a copy the manager owns) for an HCS isolation. Fills Cmd/User from the image;
 * refuses an unknown image, a missing command and, for process isolation, an image OS the host cannot run. */
wctr_err svc_hcs_prepare(svc_hcs *h, wctr_isolation isolation, cJSON *params, wctr_errmsg *e);

/* The calls a start would make, as described above. *calls is an array; warnings as the builders'. */
wctr_err svc_hcs_plan_calls(svc_hcs *h, const svc_container *c, const char *container_dir, cJSON **calls,
                            spec_warnings *warnings, wctr_errmsg *e);

typedef struct svc_hcs_io {
  uint32_t pid;
  HANDLE std_in;  /* NULL unless OpenStdin */
  HANDLE std_out;
  HANDLE std_err;
} svc_hcs_io;

/* Starts c (created or exited). On success c->runtime is replaced, *io holds the streams (the caller
 * owns them) and *out the running container. key is handed to the job monitor with OOM events. */
wctr_err svc_hcs_start(svc_hcs *h, svc_container *c, const char *container_dir, void *key, svc_hcs_ctr **out,
                       svc_hcs_io *io, wctr_errmsg *e);
/* A restarted wctrd: re-opens the compute systems of a container recorded as running. WCTR_ENOENT when
 * they are gone (the caller marks the container exited and calls svc_hcs_cleanup). */
wctr_err svc_hcs_reattach(svc_hcs *h, const svc_container *c, void *key, svc_hcs_ctr **out, wctr_errmsg *e);

HANDLE svc_hcs_done_event(const svc_hcs_ctr *r);

void svc_hcs_ref(svc_hcs_ctr *r);
void svc_hcs_unref(svc_hcs_ctr *r); /* the last one closes the handles and frees */

wctr_err svc_hcs_signal_stop(svc_hcs_ctr *r, wctr_errmsg *e); /* CtrlShutdown to the first process */
wctr_err svc_hcs_kill(svc_hcs_ctr *r, wctr_errmsg *e);        /* terminates the compute systems */
wctr_err svc_hcs_close_stdin(svc_hcs_ctr *r, wctr_errmsg *e);
/* HcsGetComputeSystemProperties' Statistics object (Processor.TotalRuntime100ns, Memory.*, Storage.*). */
wctr_err svc_hcs_stats(svc_hcs_ctr *r, cJSON **out, wctr_errmsg *e);

/* After the done event: terminates what is left, waits for every system's exit event, detaches the
 * storage filter, drops the manager's reference. *code is the first process's exit code, or -1 when it is
 * unknown or a compute system crashed (why then says which and how). */
void svc_hcs_finish(svc_hcs *h, svc_hcs_ctr *r, int64_t *code, char *why, size_t why_size);
/* A container whose systems are gone (crash, reboot): detach the storage filter if it is still there. */
void svc_hcs_cleanup(svc_hcs *h, const svc_container *c);
/* Service start: removes the Container Credential Guard instances of this data root's containers that do
 * not run (owned: every record's id; running: those re-attached). Instances of anything else on the host
 * are left alone (gmsa/ccg.h). Logged, never fatal. */
void svc_hcs_sweep_ccg(svc_hcs *h, const char *const *owned, size_t owned_count, const char *const *running,
                       size_t running_count);
/* Removal: destroys the sandbox layer. */
void svc_hcs_remove(svc_hcs *h, const svc_container *c, const char *container_dir);

#endif
