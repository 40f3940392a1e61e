/* hcs/document.h - HCS v2 JSON documents for a container (portable).
 *
 * Builders turn a container spec (spec/spec.h) plus what only the Windows layer knows (image layers,
 * sandbox volume, mounts as they are mapped, host CPU count, ids) into the JSON that HcsCreateComputeSystem
 * and HcsCreateProcess take. They allocate; the caller frees *out with cJSON_Delete. On failure *out is NULL
 * and e names the field or flag at fault. Every optional field that is unset is left out: strict guests
 * refuse unknown or unexpected fields. Field names are hcsshim's schema2 (REFERENCE.md, "HCS v2 API").
 *
 * Process isolation (hcs_doc_process_container), type ComputeSystem:
 *   {"Owner":"wctr","SchemaVersion":{"Major":2,"Minor":1},
 *    "Container":{"GuestOs":{"HostName"},"Storage":{"Layers":[{"Id","Path"}...],"Path","QoS"?},
 *                 "MappedDirectories"?,"MappedPipes"?,"Memory"?,"Processor"?,"RegistryChanges"},
 *    "ShouldTerminateOnLastHandleClosed":true}
 *   Processor: HCS takes one of Count, Weight, Maximum for a process-isolated container (hcsshim refuses
 *   more than one). spec_resources_check applies Docker's precedence count > shares > percent (dropping
 *   the loser with Docker's warning); --cpus and --cpu-count together are refused here ("--cpus and
 *   --cpu-count cannot both be set with process isolation"), where Docker would pass both to hcsshim and
 *   fail there. Count is clamped to the host (spec_cpu_count_clamp), Maximum = spec_hcs_process_cpu or
 *   percent * 100, Weight = shares. Memory.SizeInMB = spec_hcs_memory_mb. RegistryChanges always holds
 *   hcsshim's WaitToKillServiceTimeout = "2147483647" so that a stop signal gets its time.
 *
 * Hyper-V isolation: two compute systems.
 *   hcs_doc_uvm: the utility VM (ComputeSystem with VirtualMachine):
 *     StopOnReset true; Chipset.Uefi.BootThis {DeviceType "VmbFs", DevicePath
 *     "\EFI\Microsoft\Boot\bootmgfw.efi"}; ComputeTopology {Memory {SizeInMB = hcs_uvm_memory_mb,
 *     AllowOvercommit true}, Processor {Count}}; Devices {Scsi {HCS_SCSI_CONTROLLER_0: {Attachments {"0":
 *     {Type "VirtualDisk", Path uvm_scratch_path}}}}, VirtualSmb {Shares: "os" = <base layer>\UtilityVM\Files,
 *     one share per layer named by the layer's Id, one share "m<i>" per mapped directory}, HvSocket
 *     {HvSocketConfig {DefaultBindSecurityDescriptor "D:P(A;;FA;;;SY)(A;;FA;;;BA)"}}} (hcsshim's values).
 *     Processor.Count: --cpu-count (clamped to the host), else ceil(--cpus) (spec_hcs_hyperv_cpu), else
 *     hcsshim's default of 2 vCPUs (at most the host's CPUs).
 *     Left out on purpose: ComputeTopology.Processor.Limit and .Weight. Their scale in schema2
 *     (VirtualMachineProcessor, uint64) is not documented to match Docker's 1..10000 Maximum, so the
 *     fraction goes where Docker's formula defines it: the hosted container's Processor (below).
 *   hcs_doc_hosted_container: {"Owner","SchemaVersion","HostingSystemId": uvm_id,
 *     "HostedSystem":{"SchemaVersion","Container":{GuestOs, Storage {Layers with VSMB paths
 *     "\\?\VMSMB\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\<layer id>", Path = sandbox_path as given: the
 *     sandbox volume as the VM sees it, which the Windows layer attaches after the VM starts}, QoS?,
 *     MappedDirectories with VSMB host paths?, Memory {SizeInMB = the limit}?, Processor {Count, Maximum,
 *     Weight}? (Docker's Hyper-V numbers: Count = ceil(N), Maximum = spec_hcs_hyperv_cpu, or percent*100),
 *     RegistryChanges}}, "ShouldTerminateOnLastHandleClosed":true}.
 *     Named-pipe mounts are refused for Hyper-V ("-v \\.\pipe\x: named pipes need --isolation=process"):
 *     they would need a VSMB pipe share whose schema wctr has not verified.
 *
 * Utility VM memory (hcs_uvm_memory_mb): with --memory M, SizeInMB = M (in MiB, truncated) + 256, rounded
 * up to an even number (Hyper-V wants an even MB count, as hcsshim rounds), at least HCS_UVM_MIN_MB.
 *   Why +256: the VM runs its own kernel, smss/csrss, the guest compute service and the VSMB client
 *   besides the container; a Server Core utility VM idles at roughly 200 MiB. Without the overhead the
 *   container would get less than its limit and the limit would show as an unexplained hang.
 *   AllowOvercommit means the VM's memory is backed by host virtual memory, so the overhead costs only
 *   what the guest touches. Without --memory the VM gets hcsshim's default of 1024 MB (HCS_UVM_DEFAULT_MB);
 *   the CLI shows the size so the cap is never silent.
 *
 * GuestOs.HostName is spec->hostname, or the first 12 characters of the container id without one.
 *
 * ProcessParameters (hcs_doc_process_params):
 *   {"CommandLine": cmd quoted by Windows rules (common/cmdline.h), "User": process.user or
 *    "ContainerUser", "WorkingDirectory"?, "Environment"? {K: V}, "EmulateConsole": Tty (-t),
 *    "CreateStdInPipe": true only with OpenStdin (left out otherwise), "CreateStdOutPipe": true,
 *    "CreateStdErrPipe": true without Tty (a console carries stderr on stdout)}. */
#ifndef WCTR_HCS_DOCUMENT_H
#define WCTR_HCS_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "spec/spec.h"

#define HCS_OWNER "wctr"
#define HCS_DEFAULT_USER "ContainerUser"
#define HCS_UVM_OVERHEAD_MB 256u
#define HCS_UVM_DEFAULT_MB 1024u
#define HCS_UVM_DEFAULT_CPUS 2
/* The smallest Hyper-V container (130 MiB, spec_min_memory) plus the VM's overhead. */
#define HCS_UVM_MIN_MB (130u + HCS_UVM_OVERHEAD_MB)
#define HCS_SCSI_CONTROLLER_0 "df6d0690-79e5-55b6-a5ec-c1e2f77f580a"
#define HCS_VSMB_PREFIX "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\"
/* GuestOs.HostName without a hostname: Docker's short id. */
#define HCS_SHORT_ID 12

/* One read-only image layer: Id is its GUID ("6ba9cac1-7086-5ee9-a197-c465d3f50ad7"), path its folder. */
typedef struct hcs_layer {
  const char *id;
  const char *path;
} hcs_layer;

/* What the builders need beyond the spec: what only the Windows layer knows. Borrowed pointers. */
typedef struct hcs_doc_input {
  const char *container_id;     /* the container's compute-system id (not a field: the API argument) */
  const hcs_layer *layers;      /* top-most first, base last; at least one */
  size_t layer_count;
  const char *sandbox_path;     /* process: "\\?\Volume{GUID}\"; Hyper-V: the sandbox inside the VM */
  const spec_mount *mounts;     /* the spec's binds parsed (spec_mount_parse), plus what the Windows layer
                                   maps itself (the secrets folder) */
  size_t mount_count;
  int host_cpus;                /* the host's logical CPUs, >= 1 */
  const char *uvm_id;           /* Hyper-V: the utility VM's compute-system id */
  const char *uvm_scratch_path; /* Hyper-V: the VM's own scratch disk (.vhdx) on the host */
} hcs_doc_input;

/* The builders check s->resources with spec_resources_check for the container's isolation first (its
 * refusals and warnings apply; warnings go to *warnings when not NULL) and refuse a spec whose isolation is
 * not the builder's. */
wctr_err hcs_doc_process_container(const spec_container *s, const hcs_doc_input *in, cJSON **out,
                                   spec_warnings *warnings, wctr_errmsg *e);
wctr_err hcs_doc_uvm(const spec_container *s, const hcs_doc_input *in, cJSON **out, spec_warnings *warnings,
                     wctr_errmsg *e);
wctr_err hcs_doc_hosted_container(const spec_container *s, const hcs_doc_input *in, cJSON **out,
                                  spec_warnings *warnings, wctr_errmsg *e);

/* ProcessParameters for the container's first process (process.cmd, env, working_dir, user, tty,
 * open_stdin).
 * Env entries must be "K=V" with a non-empty K ("Env[2] \"FOO\" must be KEY=VALUE"); a later duplicate
 * key wins, as in Docker. */
wctr_err hcs_doc_process_params(const spec_container *s, cJSON **out, wctr_errmsg *e);

/* computestorage.dll's LayerData: {"SchemaVersion":{2,1},"Layers":[{"Id","Path"}...]} in the order given
 * (top-most first). NULL when out of memory. */
cJSON *hcs_doc_layer_data(const hcs_layer *layers, size_t count);

/* The HcsModifyComputeSystem request that hot-adds a VHDX to the utility VM's SCSI controller 0 at lun:
 * {"ResourcePath":"VirtualMachine/Devices/Scsi/<controller>/Attachments/<lun>","RequestType":"Add",
 *  "Settings":{"Type":"VirtualDisk","Path":host_path}}. NULL when out of memory. */
cJSON *hcs_doc_scsi_add(unsigned lun, const char *host_path);

/* The utility VM's memory in MB for a --memory of memory_bytes (0 = unset): see above. */
uint64_t hcs_uvm_memory_mb(int64_t memory_bytes);

#endif
