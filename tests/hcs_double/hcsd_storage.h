/* tests/hcs_double/hcsd_storage.h - what the three HCS DLL doubles share about storage: the double's
 * NameToGuid, its VHD files, layer-id checks, mounted scratch layers and VM access grants (the last two in
 * state.json, kit/hcsd_kit.h). Linked into computecore.dll, computestorage.dll and vmcompute.dll.
 *
 * VHDs. The double's virtual disks are files that begin with HCSD_VHD_MAGIC and a "kind=" line: made by
 * vmcompute's CreateSandboxLayer (a container's scratch, sandbox.vhdx), ProcessBaseImage (blank.vhdx,
 * blank-base.vhdx) and ProcessUtilityImage (SystemTemplate.vhdx, SystemTemplateBase.vhdx), or copied from
 * one of those (hcsshim copies SystemTemplate.vhdx for a utility VM's scratch). A test that builds a layer
 * by hand writes the magic itself (README.md). Anything else given where a VHD is needed is refused as a
 * real host refuses a file that is not a virtual disk. */
#ifndef WCTR_TESTS_HCS_DOUBLE_HCSD_STORAGE_H
#define WCTR_TESTS_HCS_DOUBLE_HCSD_STORAGE_H

#include <windows.h>

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "hcsd_kit.h"

#define HCSD_VHD_MAGIC "wctr-hcs-double VHDX v1\n"

/* The double's NameToGuid: a name-based GUID (SHA-1 of a namespace of the double's own and the name's
 * UTF-16LE bytes as given, version 5 layout). Deterministic and different for different names, as Windows'
 * is; not Windows' values (README.md). */
void hcsd_name_to_guid(const wchar_t *name, GUID *out);
/* "8-4-4-4-12" lower case; and back (false when text is not one). */
void hcsd_guid_text(const GUID *g, char out[37]);
bool hcsd_guid_from_text(const char *text, GUID *out);
/* NameToGuid of the last component of path (trailing backslashes ignored) as text. */
void hcsd_layer_id_of(const char *path, char out[37]);

/* id must be NameToGuid of path's folder name, as every Microsoft client computes layer ids: S_OK, or
 * E_INVALIDARG with detail "<where>: layer id <id> is not NameToGuid(\"<name>\") = <expected>". */
HRESULT hcsd_check_layer_id(const char *id, const char *path, const char *where, char *detail, size_t detail_size);

/* Writes a VHD of the double at path (replacing a file there). S_OK or the Win32 failure. */
HRESULT hcsd_vhd_write(const wchar_t *path, const char *kind);
/* S_OK when path is a VHD of the double; HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) when there is no such
 * file, HCSD_E_NOT_VIRTUAL_DISK when it is not one; detail names where. */
HRESULT hcsd_vhd_check(const char *path, const char *where, char *detail, size_t detail_size);

/* Mounted scratch layers (vmcompute's ActivateLayer / PrepareLayer), state.json "Mounts":
 * {"Id": the layer's folder, "Volume": "\\?\Volume{GUID}\", "Prepared": bool, "Layers": [{"Id","Path"}]}.
 * A copy of the mount whose volume is volume (case-insensitive), or NULL. */
cJSON *hcsd_mount_by_volume(const char *volume);

/* HcsGrantVmAccess, state.json "Grants": {"Id": "<vm id>|<path>", "VmId", "Path"}. */
void hcsd_grant_record(const char *vm_id, const char *path);
bool hcsd_grant_exists(const char *vm_id, const char *path);

/* Files. Paths are absolute (a drive or UNC path): HCS resolves nothing against a current directory. */
bool hcsd_is_absolute(const wchar_t *path);
bool hcsd_is_directory(const wchar_t *path);
/* Creates path and its missing parents (errors show at the next use). */
void hcsd_create_directories(const wchar_t *path);
/* Copies the tree under from into to (created); deletes the tree at path (the folder too). Win32 error or 0. */
DWORD hcsd_copy_tree(const wchar_t *from, const wchar_t *to);
DWORD hcsd_delete_tree(const wchar_t *path);

/* A refusal the call log should explain (vmcompute's and computestorage's functions return a bare
 * HRESULT): appends {"refused":name,"pid","hr":"0x...","detail"} - a line without "call", so call counts
 * are not affected. */
void hcsd_log_refusal(const char *name, HRESULT hr, const char *detail);

/* Compares two layer lists [{"Id","Path"}...] (ids and paths case-insensitively, in order); false with
 * detail naming where when they differ, b being the layers that were "prepared" or "combined" (what). */
bool hcsd_layers_equal(const cJSON *a, const cJSON *b, const char *where, const char *what, char *detail,
                       size_t detail_size);

#endif
