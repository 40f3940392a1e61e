/* tests/hcs_double/hcsd_layers.h - image layers in vmcompute.dll's double: the privileges the layer writer
 * needs, the legacy transport format ImportLayer reads, and what the double keeps about imported and
 * processed layers (state.json "Layers"). Linked into vmcompute.dll only.
 *
 * The transport format (what hcsshim's legacyLayerWriter stages, internal/wclayer/legacy.go): under the
 * staging folder, Files\ and Hives\; each folder F also as a file "F.$wcidirs$"; each file under Files\ (and
 * each .$wcidirs$ file) holds the 4-byte little-endian attribute word and then the entry's Win32 backup stream
 * (WIN32_STREAM_ID records); each file under Hives\ holds the hive itself (BackupWrite restored it). The
 * staged files' times are the entries' (their attributes are not: the word carries them).
 *
 * What the double makes of it (its model, README.md "Image layers"): the layer folder gets, first, a
 * placeholder of every name of its immediate parent's Files\ tree (a folder for a folder, an empty file for a
 * file - standing in for the filter's view of the parents that a real layer folder holds, which is why hcsshim
 * deletes a whiteout's name from the folder after ImportLayer), then Files\ and Hives\ as staged: data,
 * alternate data streams (as "NAME:STREAM"), attributes and times applied; security descriptors, extended
 * attributes and reparse data checked (reparse points recorded, since Wine cannot make them). */
#ifndef WCTR_TESTS_HCS_DOUBLE_HCSD_LAYERS_H
#define WCTR_TESTS_HCS_DOUBLE_HCSD_LAYERS_H

#include <windows.h>

#include <stddef.h>

#include <cjson/cJSON.h>

/* S_OK when the calling thread's token (its impersonation token, else the process's) has SeBackupPrivilege
 * and SeRestorePrivilege enabled (hcsshim: "the caller must have taken the SeBackupPrivilege and
 * SeRestorePrivilege privileges"); otherwise HRESULT_FROM_WIN32(ERROR_PRIVILEGE_NOT_HELD) with detail
 * naming the one that is not. */
HRESULT hcsd_check_layer_privileges(char *detail, size_t detail_size);

/* Decodes the transport format at staging into the layer folder layer (created if missing), over the
 * placeholders of parent (the immediate parent's folder, NULL for none). record gets "Files" (entries
 * decoded), "Placeholders" and "Reparse" ([{"Path","Tag","Target"}]). S_OK, or
 * HRESULT_FROM_WIN32(ERROR_INVALID_DATA) with detail when the staging is not the format (an unknown
 * top-level entry, a folder without its .$wcidirs$ or a marker without its folder, a file shorter than its
 * attribute word, an attribute word that contradicts the entry, a malformed backup stream), or the Win32
 * failure of writing the layer. */
HRESULT hcsd_import_transport(const wchar_t *staging, const wchar_t *layer, const wchar_t *parent, cJSON *record,
                              char *detail, size_t detail_size);

#endif
