/* hcs/client.h - the Host Compute Service client, Windows layer.
 *
 * computecore.dll (compute systems, processes, the service) and vmcompute.dll (container layers: the
 * scratch VHD, its mounting, layer ids, and the layer import the images module will use) are loaded at run
 * time (LoadLibraryExW from the executable's folder and System32 only) and every function is resolved by
 * name, so one wctrd.exe runs on hosts with and without the Containers feature. A missing DLL or function is
 * WCTR_ENOTSUP with HCS_UNAVAILABLE_MESSAGE and the name of what is missing. computestorage.dll is not
 * loaded: no Microsoft client mounts a container's storage through it (docs/hcs.md).
 *
 * Every call that HCS runs as an operation goes through one helper: create an operation, make the call,
 * wait for its result with the caller's timeout, cancel the operation when the wait times out, close it.
 * Failures become one sentence (hcs/errors.h: the HRESULT's name and meaning, HCS's ErrorMessage or first
 * ErrorEvents[].Message, and a hint) prefixed by what was being done, e.g.
 *   "HcsStartComputeSystem: The container operating system does not match the host operating system
 *    (HCS_E_IMAGE_MISMATCH, 0xC0370101); use --isolation=hyperv"
 * and the wctr_err of hcs_error_code. *hr_out (when given) receives the raw HRESULT so a caller can add
 * context for a specific code.
 *
 * Handles: an hcs_system or hcs_process serialises against its own closing: calls hold a shared lock,
 * close takes it exclusively, so a handle is never closed while a call on it is in flight. Exit callbacks
 * (hcs_*_watch) run on HCS's threads; they must not call back into the same handle's close.
 *
 * Documents are cJSON trees; they are sent as compact UTF-16 JSON. Result documents come back parsed. */
#ifndef WCTR_HCS_CLIENT_H
#define WCTR_HCS_CLIENT_H

#include <windows.h>

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "hcs/document.h"

typedef struct hcs_client hcs_client;
typedef struct hcs_system hcs_system;
typedef struct hcs_process hcs_process;

/* What an exit callback receives. For a process: exit_code (valid when code_known: HCS counts the code
 * only when LastWaitResult is 0). For a system: exit_type ("GracefulExit", "ForcedExit",
 * "UnexpectedExit", ...) and status (an HRESULT, 0 when clean). */
typedef struct hcs_exit {
  bool is_process;
  bool code_known;
  int64_t exit_code;
  uint32_t pid;
  char exit_type[32];
  int32_t status;
} hcs_exit;

typedef void (*hcs_exit_fn)(void *ctx, const hcs_exit *exit);

/* Standard streams of a created process; NULL for those not asked for. Owned by the caller. */
typedef struct hcs_process_io {
  uint32_t pid;
  HANDLE std_in;
  HANDLE std_out;
  HANDLE std_err;
} hcs_process_io;

wctr_err hcs_client_load(hcs_client **out, wctr_errmsg *e);
void hcs_client_unload(hcs_client *h); /* accepts NULL */

/* Compute systems. timeout_ms bounds each wait. */
wctr_err hcs_system_create(hcs_client *h, const char *id, const cJSON *config, DWORD timeout_ms, hcs_system **out,
                           uint32_t *hr_out, wctr_errmsg *e);
/* WCTR_ENOENT when no system has this id. */
wctr_err hcs_system_open(hcs_client *h, const char *id, hcs_system **out, wctr_errmsg *e);
wctr_err hcs_system_start(hcs_system *s, DWORD timeout_ms, uint32_t *hr_out, wctr_errmsg *e);
wctr_err hcs_system_shutdown(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e);
/* Already stopped counts as success. */
wctr_err hcs_system_terminate(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e);
/* Suspends / resumes a running system (every process of it, and a utility VM's virtual processors).
 * HCS refuses a system that is not Running (pause) or not Paused (resume): WCTR_ESTATE-class failures with
 * HCS's code in the message. */
wctr_err hcs_system_pause(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e);
wctr_err hcs_system_resume(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e);
wctr_err hcs_system_modify(hcs_system *s, const cJSON *request, DWORD timeout_ms, wctr_errmsg *e);
wctr_err hcs_system_properties(hcs_system *s, const cJSON *query, DWORD timeout_ms, cJSON **out, wctr_errmsg *e);
/* Registers fn for HcsEventSystemExited. One registration per handle. */
wctr_err hcs_system_watch(hcs_system *s, hcs_exit_fn fn, void *ctx, wctr_errmsg *e);
const char *hcs_system_id(const hcs_system *s);
void hcs_system_close(hcs_system *s); /* accepts NULL; waits for calls in flight */

/* Processes. params is a ProcessParameters document. */
wctr_err hcs_process_create(hcs_system *s, const cJSON *params, DWORD timeout_ms, hcs_process **out,
                            hcs_process_io *io, wctr_errmsg *e);
wctr_err hcs_process_open(hcs_system *s, uint32_t pid, hcs_process **out, wctr_errmsg *e);
wctr_err hcs_process_watch(hcs_process *p, hcs_exit_fn fn, void *ctx, wctr_errmsg *e);
/* signal: "CtrlShutdown", "CtrlC", ... */
wctr_err hcs_process_signal(hcs_process *p, const char *signal, DWORD timeout_ms, wctr_errmsg *e);
wctr_err hcs_process_terminate(hcs_process *p, DWORD timeout_ms, wctr_errmsg *e);
wctr_err hcs_process_close_stdin(hcs_process *p, DWORD timeout_ms, wctr_errmsg *e);
void hcs_process_close(hcs_process *p); /* accepts NULL */

/* Service: HcsModifyServiceSettings / HcsGetServiceProperties. *out (when given) is the result document. */
wctr_err hcs_service_modify(hcs_client *h, const cJSON *settings, cJSON **out, wctr_errmsg *e);
wctr_err hcs_service_properties(hcs_client *h, const cJSON *query, cJSON **out, wctr_errmsg *e);
wctr_err hcs_grant_vm_access(hcs_client *h, const char *vm_id, const char *path, wctr_errmsg *e);

/* Compute systems that exist, HcsEnumerateComputeSystems with a SystemQuery ({"Owners":[...]} etc., or NULL
 * for all): *out is the array of {"Id","SystemType","State","Owner",...} HCS answers (an empty array when the
 * answer has none). */
wctr_err hcs_systems_enumerate(hcs_client *h, const cJSON *query, DWORD timeout_ms, cJSON **out, wctr_errmsg *e);

/* --- vmcompute.dll: layers -------------------------------------------------------------------------------
 * The calls hcsshim (internal/wclayer) and moby's windowsfilter driver make, with the same arguments: the
 * driver info {Flavour 1 (the filter driver), HomeDir ""} and the layer's folder as its id; parents are
 * WC_LAYER_DESCRIPTORs {NameToGuid id, Flags 0, Path}, top-most first. Failures are one sentence like HCS's
 * ("ActivateLayer: The device is not ready (ERROR_NOT_READY, 0x80070015)") and the wctr_err of
 * hcs_error_code; *hr_out (when given) receives the HRESULT.
 *
 * hcs_layer_create_scratch: CreateSandboxLayer - the writable layer's folder (created when missing) gets
 *   its scratch VHD, sandbox.vhdx, formatted and linked to the parents; what hcsshim's CreateScratchLayer
 *   does when a scratch folder has no sandbox.vhdx yet.
 * hcs_layer_activate / hcs_layer_prepare / hcs_layer_mount_path: ActivateLayer mounts the scratch VHD,
 *   PrepareLayer attaches the filter with the parents (serialised in this process, as hcsshim serialises it:
 *   a Windows bug makes concurrent calls time out), GetLayerMountPath returns the mounted volume,
 *   "\\?\Volume{GUID}\" - the container's Storage.Path. hcs_layer_unprepare / hcs_layer_deactivate undo them.
 * hcs_scratch_mount: the three in hcsshim's order with its retries (ActivateLayer + PrepareLayer again, up
 *   to 5 times 100 ms apart, on ERROR_NOT_READY or ERROR_DEVICE_NOT_CONNECTED, which Windows Server 2019
 *   gives under load), undoing what succeeded when a later step fails; volume receives the mount path.
 * hcs_scratch_unmount: UnprepareLayer then DeactivateLayer (the reverse); ERROR_NOT_READY from Unprepare
 *   (the VHD is not mounted: a crash took it, or it never was) is nothing to undo and counts as success.
 * hcs_layer_destroy: DestroyLayer - the layer's folder and everything in it; a folder that does not exist
 *   counts as destroyed.
 * hcs_layer_exists: LayerExists.
 * hcs_layer_import, hcs_layer_process_base, hcs_layer_process_utility: ImportLayer (path, the staged files,
 *   the parents), ProcessBaseImage (the base layer's folder: makes blank.vhdx and blank-base.vhdx),
 *   ProcessUtilityImage (<base layer>\UtilityVM: makes SystemTemplate.vhdx) - for the images module.
 * hcs_layer_name_to_guid: NameToGuid(name) as "8-4-4-4-12" lower case. */
wctr_err hcs_layer_create_scratch(hcs_client *h, const char *path, const hcs_layer *parents, size_t count,
                                  wctr_errmsg *e);
wctr_err hcs_layer_activate(hcs_client *h, const char *path, uint32_t *hr_out, wctr_errmsg *e);
wctr_err hcs_layer_prepare(hcs_client *h, const char *path, const hcs_layer *parents, size_t count, uint32_t *hr_out,
                           wctr_errmsg *e);
wctr_err hcs_layer_mount_path(hcs_client *h, const char *path, char *out, size_t size, wctr_errmsg *e);
wctr_err hcs_layer_unprepare(hcs_client *h, const char *path, uint32_t *hr_out, wctr_errmsg *e);
wctr_err hcs_layer_deactivate(hcs_client *h, const char *path, uint32_t *hr_out, wctr_errmsg *e);
wctr_err hcs_scratch_mount(hcs_client *h, const char *path, const hcs_layer *parents, size_t count, char *volume,
                           size_t size, wctr_errmsg *e);
wctr_err hcs_scratch_unmount(hcs_client *h, const char *path, wctr_errmsg *e);
wctr_err hcs_layer_destroy(hcs_client *h, const char *path, wctr_errmsg *e);
wctr_err hcs_layer_exists(hcs_client *h, const char *path, bool *exists, wctr_errmsg *e);
wctr_err hcs_layer_import(hcs_client *h, const char *path, const char *staging, const hcs_layer *parents,
                          size_t count, wctr_errmsg *e);
wctr_err hcs_layer_process_base(hcs_client *h, const char *path, wctr_errmsg *e);
wctr_err hcs_layer_process_utility(hcs_client *h, const char *path, wctr_errmsg *e);
wctr_err hcs_layer_name_to_guid(hcs_client *h, const char *name, char out[HCS_GUID_SIZE], wctr_errmsg *e);

/* The id of a layer folder as every Microsoft client computes it: NameToGuid of the folder's name
 * (hcs_layer_folder_name), with vmcompute.dll loaded for the call (no client needed: the image catalog
 * calls it). WCTR_ENOTSUP with HCS_UNAVAILABLE_MESSAGE when vmcompute.dll or NameToGuid is missing. */
wctr_err hcs_layer_id(const char *folder, char out[HCS_GUID_SIZE], wctr_errmsg *e);

#endif
