/* hcs/document.h - HCS v2 JSON documents for a container (portable).
 *
 * Builders turn a container spec (spec/spec.h) plus what only the Windows layer knows (image layers,
 * sandbox volume, mounts as they are mapped, host CPU count, ids) into the JSON that HcsCreateComputeSystem,
 * HcsModifyComputeSystem and HcsCreateProcess take. They allocate; the caller frees *out with cJSON_Delete.
 * On failure *out is NULL and e names the field or flag at fault. Every optional field that is unset is left
 * out: strict guests refuse unknown or unexpected fields. Field names are hcsshim's schema2 (REFERENCE.md,
 * "HCS v2 API"); what each step follows is in docs/hcs.md's fidelity table.
 *
 * Every system document carries "Owner": in->owner (hcs_owner_for_data_root: "wctr-" and a stable id of the
 * data root, so that a start-up sweep finds this wctrd's systems and never anyone else's; HCS_OWNER when
 * NULL) and "ShouldTerminateOnLastHandleClosed": false. With true, HCS would terminate every container the
 * moment wctrd's handles close - when wctrd crashes - which contradicts re-attaching running containers
 * after a restart; with false they outlive wctrd, which opens them again by id, and the sweep removes what
 * no record claims any more.
 *
 * Process isolation (hcs_doc_process_container), type ComputeSystem:
 *   {"Owner","SchemaVersion":{"Major":2,"Minor":1},
 *    "Container":{"GuestOs":{"HostName"},"Storage":{"Layers":[{"Id","Path"}...],"Path","QoS"?},
 *                 "MappedDirectories"?,"MappedPipes"?,"Networking"?,"Memory"?,"Processor"?,"RegistryChanges"},
 *    "ShouldTerminateOnLastHandleClosed":false}
 *   Storage.Path is the mounted scratch volume as the Windows layer got it from vmcompute's
 *   GetLayerMountPath ("\\?\Volume{GUID}\"); hcsshim refuses anything else, and no Microsoft client passes
 *   a folder. Layer ids are vmcompute NameToGuid of the layer folder's name (hcs_layer.id, chosen by the
 *   caller), as every Microsoft client computes them.
 *   Processor: HCS takes one of Count, Weight, Maximum (SchemaReference: mutually exclusive).
 *   spec_resources_check applies Docker's precedence count > shares > percent (dropping the loser with
 *   Docker's warning); --cpus and --cpu-count together are refused here ("--cpus and --cpu-count cannot both
 *   be set with process isolation"), where Docker would pass both to hcsshim and fail there. Count is clamped
 *   to the host (spec_cpu_count_clamp), Maximum = spec_hcs_process_cpu or percent * 100, Weight = shares.
 *   Memory.SizeInMB = spec_hcs_memory_mb. RegistryChanges always holds hcsshim's WaitToKillServiceTimeout =
 *   "2147483647" so that a stop signal gets its time.
 *
 * Hyper-V isolation: two compute systems and two guest requests.
 *   hcs_doc_uvm: the utility VM (ComputeSystem with VirtualMachine):
 *     StopOnReset true; Chipset.Uefi.BootThis {DeviceType "VmbFs", DevicePath
 *     "\EFI\Microsoft\Boot\bootmgfw.efi"}; ComputeTopology {Memory {SizeInMB = hcs_uvm_memory_mb,
 *     AllowOvercommit true}, Processor {Count}}; "GuestConnection": {} (HCS's own connection to the guest
 *     compute service: without it "the virtual machine is considered started once the chipset is powered
 *     on" and nothing serves the guest requests and the hosted container below; hcsshim before its own GCS
 *     bridge set it the same way); Devices {Scsi {HCS_SCSI_CONTROLLER_0: {Attachments {"0": {Type
 *     "VirtualDisk", Path uvm_scratch_path}}}}, VirtualSmb {Shares: "os" = <base layer>\UtilityVM\Files and
 *     one share per layer named by the layer's Id, both with hcsshim's read-only layer options {ReadOnly,
 *     ShareRead, CacheIo, PseudoOplocks, TakeBackupPrivilege}; one share "m<i>" per mapped directory: a
 *     read-only one {ReadOnly, ShareRead, CacheIo, PseudoOplocks} (hcsshim's DefaultVSMBOptions(true)), a
 *     writable one without Options (DefaultVSMBOptions(false): none of those may apply to a share the
 *     container writes)}, HvSocket {HvSocketConfig {DefaultBindSecurityDescriptor
 *     "D:P(A;;FA;;;SY)(A;;FA;;;BA)"}}}.
 *   hcs_doc_scsi_add / hcs_doc_scsi_remove: the container's scratch VHD hot-added on SCSI with the guest
 *     mounting it at a guest path, and the reverse (below).
 *   hcs_doc_combined_layers: the guest combines the VSMB layer shares over that path (below).
 *   hcs_doc_hosted_container: {"Owner","SchemaVersion","HostingSystemId": uvm_id,
 *     "HostedSystem":{"SchemaVersion","Container":{GuestOs, Storage {Layers with VSMB paths
 *     "\\?\VMSMB\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\<layer id>", Path = sandbox_path: the guest
 *     path where the scratch is mounted and the layers are combined}, QoS?, MappedDirectories with VSMB host
 *     paths?, Networking?, Memory {SizeInMB = the limit}?, Processor?, RegistryChanges}},
 *     "ShouldTerminateOnLastHandleClosed":false}.
 *     Named-pipe mounts are refused for Hyper-V ("-v \\.\pipe\x: named pipes need --isolation=process"):
 *     they would need a VSMB pipe share whose schema wctr has not verified.
 *   Processor: never two of Count/Maximum/Weight in one Processor. The VM gets the vCPUs as its
 *     ComputeTopology.Processor.Count: --cpu-count (clamped to the host), else ceil(--cpus)
 *     (spec_hcs_hyperv_cpu), else hcsshim's default of 2 (at most the host's CPUs). The hosted container gets
 *     at most one field, so Docker's flags keep their meaning inside a VM that has exactly those vCPUs:
 *     Maximum for a cap - a fractional --cpus (spec_hcs_hyperv_cpu's per-vCPU fraction, 1.5 CPUs -> 2
 *     vCPUs at 7500) or --cpu-percent (percent * 100) -, else Weight for --cpu-shares. --cpu-shares with
 *     --cpu-percent: Docker's precedence for Windows (shares over percent), the percent dropped with Docker's
 *     warning worded for Hyper-V containers ("Conflicting options: CPU shares takes priority over CPU percent
 *     on Hyper-V containers. CPU percent discarded"); --cpus with either is refused by spec_resources_check.
 *     Left out on purpose: the VM's Processor.Limit and .Weight, whose scales (VirtualMachineProcessor, uint64)
 *     are not documented to match Docker's.
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
 * Networking (both containers, with in->network_namespace): {"Namespace": the HNS namespace holding the
 * container's endpoint, "DnsSearchList": --dns-search joined with ',' (when any)} - what hcsshim's
 * hcsdoc_wcow.go puts there; without a namespace (--network none, job containers) there is no Networking.
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

/* The Owner of systems built without in->owner. wctr's own systems carry hcs_owner_for_data_root's. */
#define HCS_OWNER "wctr"
/* "wctr-" and 16 hex digits: HCS_OWNER_SIZE holds it with its NUL. */
#define HCS_OWNER_SIZE 24
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
/* GUIDs as HCS writes them: 8-4-4-4-12 hex digits, no braces, and the NUL. */
#define HCS_GUID_SIZE 37

/* One read-only image layer: Id is its GUID ("6ba9cac1-7086-5ee9-a197-c465d3f50ad7") - vmcompute NameToGuid
 * of the folder's name -, path its folder. */
typedef struct hcs_layer {
  const char *id;
  const char *path;
} hcs_layer;

/* What the builders need beyond the spec: what only the Windows layer knows. Borrowed pointers. */
typedef struct hcs_doc_input {
  const char *container_id;     /* the container's compute-system id (not a field: the API argument) */
  const char *owner;            /* "Owner" of every system document; NULL: HCS_OWNER */
  const hcs_layer *layers;      /* top-most first, base last; at least one */
  size_t layer_count;
  const char *sandbox_path;     /* process: the mounted scratch volume "\\?\Volume{GUID}\"; Hyper-V: the
                                   guest path where the scratch is mounted and the layers combined */
  const spec_mount *mounts;     /* the spec's binds parsed (spec_mount_parse), plus what the Windows layer
                                   maps itself (the secrets folder) */
  size_t mount_count;
  int host_cpus;                /* the host's logical CPUs, >= 1 */
  const char *uvm_id;           /* Hyper-V: the utility VM's compute-system id */
  const char *uvm_scratch_path; /* Hyper-V: the VM's own scratch disk (.vhdx) on the host */
  const char *network_namespace; /* the HNS namespace of the container's endpoint (net/); NULL: no network */
  char *const *dns_search;      /* --dns-search: Networking.DnsSearchList, comma-joined (hcsshim's form) */
  size_t dns_search_count;
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

/* vmcompute's layer descriptors as the dry run shows them: [{"Id","Path"}...] in the order given (the
 * parents, top-most first). NULL when out of memory. */
cJSON *hcs_doc_layer_list(const hcs_layer *layers, size_t count);

/* HcsModifyComputeSystem requests to the utility VM (NULL when out of memory or an argument is NULL).
 * hcs_doc_scsi_add: the VHD hot-added on SCSI controller 0 at lun and, when guest_path is not NULL, mounted
 *   by the guest in the same request (hcsshim's WCOW SCSI add):
 *   {"ResourcePath":"VirtualMachine/Devices/Scsi/<controller>/Attachments/<lun>","RequestType":"Add",
 *    "Settings":{"Type":"VirtualDisk","Path":host_path},
 *    "GuestRequest":{"ResourceType":"MappedVirtualDisk","RequestType":"Add",
 *                    "Settings":{"ContainerPath":guest_path,"Lun":lun}}}
 * hcs_doc_scsi_remove: the reverse - the guest unmounts, then the disk goes - in one request:
 *   {"ResourcePath":...,"RequestType":"Remove","GuestRequest":{"ResourceType":"MappedVirtualDisk",
 *    "RequestType":"Remove","Settings":{"ContainerPath":guest_path,"Lun":lun}}}
 * hcs_doc_combined_layers: the guest combines the layers' VSMB shares over the mounted scratch (add), or
 *   takes them away (remove: layers ignored), in a request that carries only the guest part:
 *   {"GuestRequest":{"ResourceType":"CombinedLayers","RequestType":"Add"|"Remove",
 *    "Settings":{"ContainerRootPath":guest_path,"Layers":[{"Id","Path":VSMB path of the share}]}}}
 *   (Layers only when adding). hcsshim's newer FilterType is left out: a Windows Server 2022 guest predates
 *   it. */
cJSON *hcs_doc_scsi_add(unsigned lun, const char *host_path, const char *guest_path);
cJSON *hcs_doc_scsi_remove(unsigned lun, const char *guest_path);
cJSON *hcs_doc_combined_layers(const char *guest_path, const hcs_layer *layers, size_t count, bool add);

/* The utility VM's memory in MB for a --memory of memory_bytes (0 = unset): see above. */
uint64_t hcs_uvm_memory_mb(int64_t memory_bytes);

/* The Owner of this data root's compute systems: "wctr-" and 16 lower-case hex digits of a 64-bit FNV-1a
 * hash of the data root's path, upper-cased and without trailing backslashes (Windows paths compare
 * without case), so the same data root gives the same Owner across restarts and two wctrds with two data
 * roots never sweep each other's systems. out must hold HCS_OWNER_SIZE bytes. */
void hcs_owner_for_data_root(const char *data_root, char out[HCS_OWNER_SIZE]);

/* The last component of a layer folder's path (trailing separators ignored): what NameToGuid is given. At
 * most size - 1 bytes are written (truncated), always NUL-terminated when size > 0. */
void hcs_layer_folder_name(const char *path, char *out, size_t size);

/* Parses a GUID as HCS writes it (8-4-4-4-12 hex digits, optional braces) into its 16 bytes in the field
 * order of Windows' GUID (Data1 and Data2/Data3 as numbers, Data4 as bytes). False when it is not one. */
typedef struct hcs_guid {
  uint32_t data1;
  uint16_t data2;
  uint16_t data3;
  uint8_t data4[8];
} hcs_guid;
bool hcs_guid_parse(const char *text, hcs_guid *out);
/* Lower-case 8-4-4-4-12 into out (HCS_GUID_SIZE bytes). */
void hcs_guid_format(const hcs_guid *g, char out[HCS_GUID_SIZE]);

#endif
