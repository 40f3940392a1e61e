/* images/wcimport.h - the Windows layer importer: img_importer (images/import.h) for real Windows layers,
 * written the way hcsshim writes them (internal/wclayer, pkg/ociwclayer; REFERENCE.md "Images").
 *
 * One layer at a time, on the caller's (pool) thread, as wctrd itself (a thread impersonating a client
 * stops for it), with SeBackupPrivilege, SeRestorePrivilege and SeSecurityPrivilege enabled on the process
 * token only while imports run: vmcompute checks the process token, not a thread's, for ProcessBaseImage
 * (moby's windowsfilter and BuildKit enable them process-wide for that reason), so they are counted across
 * concurrent imports and set back to what they were when the last one ends. An account that lacks one is
 * refused with its name. (moby runs the import in a child process to keep them out of the daemon; wctrd's
 * other threads have them while an import runs.) The blob is read once
 * (images/tar.h: gzip inflated, the diff id hashed as it streams) and walked by images/wclayer.h, which
 * refuses what a Windows layer may not hold; the walk's operations go through a queue (16 MiB at most) to a
 * writer thread of the import, so that inflating and hashing overlap with the file system calls; then:
 *   - a base layer (no parents) is written straight into its folder: every file and folder created with
 *     NtCreateFile relative to the layer's folder with OBJ_DONT_REPARSE (no path the import writes can pass
 *     through a reparse point, whatever case or short name it is spelled with), its backup stream (security
 *     descriptor, extended attributes, reparse data for symbolic links and junctions, data, alternate data
 *     streams) given to BackupWrite, its attributes and times set with SetFileInformationByHandle
 *     (FileBasicInfo) once the streams are written; hard links made with FileLinkInformation relative to
 *     their folder; the folders' times set again at the end (children change them); then vmcompute
 *     ProcessBaseImage(folder) and, when the layer has UtilityVM\Files, ProcessUtilityImage(folder\UtilityVM);
 *   - another layer is staged in the legacy transport format in "<folder>-staging" next to its folder
 *     (Files\x as the 4-byte attribute word and the backup stream, each folder also as "x.$wcidirs$", Hives
 *     by BackupWrite without security), imported with vmcompute ImportLayer(folder, staging, parents
 *     immediate first with their ids), then - as hcsshim does after ImportLayer - the whiteouts deleted from
 *     the layer's folder, the hard links made (to this layer's file, or the first parent that has the
 *     target), the folders' times set again, and the staging removed.
 * The diff id is checked before anything is handed to vmcompute: a layer that does not hash to its diff id
 * never reaches ProcessBaseImage or ImportLayer. On any failure the folder is removed (DestroyLayer once
 * vmcompute has seen it, otherwise a removal that uses the backup privileges and never follows reparse
 * points), and the staging with it; *size is the layer's file bytes (hcsshim's count).
 *
 * ready (asked before a pull downloads a layer): vmcompute must be available and the account must hold the
 * three privileges (they are enabled and set back at once to find out).
 *
 * destroy: a "<folder>-staging" left by a crash is removed directly; a layer folder goes through vmcompute
 * DestroyLayer, or the same removal when vmcompute is not there.
 *
 * vmcompute is reached through img_vmcompute, so images/ (rank 3) does not include hcs/ (its peer): wctrd
 * passes the hcs/client.h functions (service/layer_import.h). BackupWrite goes through img_sys
 * (images/images_sys.h) so the Wine suite can check every stream (Wine's BackupWrite is a stub). */
#ifndef WCTR_IMAGES_WCIMPORT_H
#define WCTR_IMAGES_WCIMPORT_H

#include <stddef.h>

#include "common/error.h"
#include "images/import.h"

#define IMG_STAGING_SUFFIX "-staging"

/* vmcompute.dll's layer calls, as hcs/client.h makes them. Paths are absolute. */
typedef struct img_vmcompute {
  void *ctx;
  /* Optional (NULL: assumed). WCTR_OK when vmcompute.dll is there to call; else why not (HCS's sentence). */
  wctr_err (*available)(void *ctx, wctr_errmsg *e);
  /* ImportLayer: path the new layer's folder, staging the transport format; parents immediate first. */
  wctr_err (*import_layer)(void *ctx, const char *path, const char *staging, const char *const *parents,
                           const char *const *parent_ids, size_t count, wctr_errmsg *e);
  wctr_err (*process_base)(void *ctx, const char *path, wctr_errmsg *e);    /* ProcessBaseImage(path) */
  wctr_err (*process_utility)(void *ctx, const char *path, wctr_errmsg *e); /* ProcessUtilityImage(path) */
  /* DestroyLayer(path); WCTR_ENOTSUP when vmcompute.dll is not there. */
  wctr_err (*destroy)(void *ctx, const char *path, wctr_errmsg *e);
} img_vmcompute;

/* vm is copied; its ctx is borrowed. Windows only (images/wcimport_win.c). */
wctr_err img_importer_windows_new(const img_vmcompute *vm, img_importer **out, wctr_errmsg *e);
void img_importer_windows_free(img_importer *imp); /* accepts NULL */

#endif
