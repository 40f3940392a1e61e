/* images/import.h - the seam between the content store and the Windows layer import (portable
 * interface).
 *
 * The store hands an importer one verified layer blob at a time, base first, and the folders of the layers
 * below it; the importer unpacks it into a new layer folder, or fails leaving nothing there. wctrd's
 * production importer is the Windows one (images/wcimport.h: the tar/PAX reader, BackupWrite, vmcompute
 * ImportLayer for layers with parents, ProcessBaseImage/ProcessUtilityImage for base layers, the backup and
 * restore privileges), built in service/layer_import_win.c; it is not ready where vmcompute.dll is missing
 * or the account lacks the privileges, so such a pull ends with that sentence after resolving the image and
 * before downloading any layer, and registers nothing. img_importer_unavailable remains the store's default
 * when it is given no importer (the native suites). The tests, and `wctrd run --test-layer-import` (a test
 * switch that says so loudly in the log), use img_importer_test (images/import_test.c), which writes a
 * plausible layer folder (Files\, a marker naming the blob) so pull, run, save and load are exercised end
 * to end where no vmcompute.dll is at hand.
 *
 * Layer ids. HCS names a layer by a GUID derived from its folder's name (vmcompute!NameToGuid, which every
 * Microsoft client uses; REFERENCE.md). img_layer_id is that derivation behind a pointer: the portable
 * default hashes the name (SHA-256, shaped as a version-5 GUID, for the native tests); wctrd sets it to
 * hcs_layer_id (hcs/client.h: NameToGuid) at start (service/engine_win.c), which falls back to the portable
 * one where vmcompute.dll is missing. Ids are computed when asked, never trusted from a file. Layer folders
 * are named by their chain id's hex digits, so the same layer gets the same id wherever it is imported.
 *
 * The Windows importer plugs in here: images/ and hcs/ are peers (rank 3), so the vmcompute calls it needs
 * (hcs_layer_import, hcs_layer_process_base, hcs_layer_process_utility, hcs_layer_destroy of hcs/client.h)
 * reach it from service/ (service/layer_import.h), which builds it and hands it to img_store_open in
 * service/engine_win.c. */
#ifndef WCTR_IMAGES_IMPORT_H
#define WCTR_IMAGES_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define IMG_GUID_TEXT 36

typedef struct img_import_layer {
  const char *blob_path;  /* the verified blob, as the registry or the archive gave it */
  const char *media_type; /* a layer type of images/manifest.h (gzip or plain tar) */
  const char *diff_id;    /* the digest of the uncompressed tar: the importer checks it */
  const char *dest;       /* the folder to create (it does not exist); the layer's home */
  const char *layer_id;   /* img_layer_id of dest's name */
  const char *const *parents;    /* parent layer folders, immediate parent first, base last */
  const char *const *parent_ids; /* their layer ids, same order */
  size_t parent_count;           /* 0 for a base layer */
} img_import_layer;

typedef struct img_importer {
  void *ctx;
  /* Optional (NULL: ready). Can this host import layers at all (the DLLs, the privileges)? A pull asks
   * before it downloads a layer, so that a host that cannot import is told at once, not after gigabytes. */
  wctr_err (*ready)(void *ctx, wctr_errmsg *e);
  /* BLOCKING. Unpacks l into l->dest; on failure nothing is left at dest. *size: bytes unpacked. */
  wctr_err (*import)(void *ctx, const img_import_layer *l, int64_t *size, wctr_errmsg *e);
  /* BLOCKING. Removes a layer folder this importer made (or a partial one after a crash). */
  wctr_err (*destroy)(void *ctx, const char *path, const char *layer_id, wctr_errmsg *e);
} img_importer;

/* Not ready and refuses every layer (WCTR_ENOTSUP, "importing Windows layers is not available yet ...");
 * destroy removes the folder. The store's default when it is given no importer. */
const img_importer *img_importer_unavailable(void);
/* The test importer (images/import_test.c): checks the blob's diff id when it is a plain tar, then writes
 * dest\Files\ (with a file per parent and one naming the blob), dest\layer.json {"DiffId","Blob","Parents"},
 * and for a base layer dest\Files\Windows\System32\ and dest\UtilityVM\Files\. Its size is the blob's. */
const img_importer *img_importer_test(void);

/* The layer id of a folder name ("0123...ef" -> "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx"). out >= 37 bytes. */
extern wctr_err (*img_layer_id)(const char *folder_name, char *out, size_t size);
wctr_err img_layer_id_portable(const char *folder_name, char *out, size_t size);

#endif
