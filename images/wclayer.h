/* images/wclayer.h - a Windows layer tar as the operations that write it (portable).
 *
 * A Windows image layer is a tar in the format of go-winio's backuptar and hcsshim's pkg/ociwclayer
 * (REFERENCE.md "Images"): `Files/...` is the container's C:\, `Hives/NAME_Delta` are registry deltas, a base
 * layer adds `UtilityVM/Files/...` (the utility VM's own C:\). Each entry's Windows metadata rides in PAX
 * records (images/tar.h); a file's alternate data streams are entries named `FILE:STREAM` right after it;
 * a symlink entry is a symbolic link or, with MSWINDOWS.mountpoint, a junction; `.wh.NAME` is a whiteout.
 *
 * img_wcl_apply reads such a tar and drives a sink with hcsshim's LayerWriter operations - add a file or
 * folder with its basic information, then its Win32 backup stream (WIN32_STREAM_ID records: the security
 * descriptor, extended attributes, reparse data, the data, then the alternate data streams; what BackupWrite
 * takes), add a hard link, remove (a whiteout) - after checking everything it is given. What the sink does
 * with them (write a base layer's files, stage the legacy transport format for vmcompute ImportLayer, or
 * record them for a test) is the sink's business; the Windows importer is images/wcimport.h.
 *
 * Refused, each with a sentence naming the entry (nothing is passed to the sink after a refusal; what the
 * sink wrote before it is the caller's to remove):
 *   - a name that is not a relative path inside the layer: empty components, "." or "..", a leading '/'
 *     (absolute), a backslash, a drive ("C:"), a device name (CON, NUL, COM1, LPT1, CONIN$, ... with or
 *     without an extension), characters Windows forbids in names (control characters, < > " | ? *), a
 *     component ending in a dot or a space (Win32 would drop it and write another file), invalid UTF-8, or
 *     a ':' anywhere but in an alternate data stream right after its file;
 *   - an entry outside Files/, Hives/ and UtilityVM/Files/ (the three folders themselves are the format's
 *     top-level entries and must be folders); anything under Hives/ but files directly in it; UtilityVM in
 *     a layer with parents (Windows Server 2016 layers, which hcsshim clones: not supported);
 *   - an entry under a symbolic link or junction this layer made (writing it would follow the link);
 *   - a whiteout in a base layer; a whiteout outside Files/; an opaque whiteout (.wh..wh..opq, a Linux
 *     layer's);
 *   - a hard link whose name or target is not a file path under Files/ or UtilityVM/Files/, or, in a base
 *     layer, whose target the layer has not added before it;
 *   - a link leading out of the layer: a symbolic link or junction whose target is a UNC, device or NT path,
 *     another drive than C:, a drive-relative path, or a relative path that climbs above the root it lives
 *     in (Files\ or UtilityVM\Files\); a link without a target;
 *   - devices, FIFOs and unknown entry types; attributes that contradict the entry's type (a folder entry
 *     without FILE_ATTRIBUTE_DIRECTORY, a file with it, a reparse point attribute on what is not a link);
 *   - a security descriptor that is not a well-formed self-relative one, an extended attribute whose name is
 *     not 1-255 printable ASCII characters or whose value passes 65535 bytes, more than 64 KiB of them;
 *   - an uncompressed stream whose digest is not diff_id (checked once the stream has been read: every
 *     byte passed through SHA-256 as it arrived).
 *
 * Paths given to the sink are relative to the layer's folder, '\'-separated, UTF-8 ("Files\Windows\System32"). */
#ifndef WCTR_IMAGES_WCLAYER_H
#define WCTR_IMAGES_WCLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "images/digest.h"
#include "images/tar.h"

/* Win32 values the format carries (winnt.h), for portable code. */
#define IMG_WCL_ATTR_READONLY 0x1u
#define IMG_WCL_ATTR_DIRECTORY 0x10u
#define IMG_WCL_ATTR_REPARSE_POINT 0x400u
#define IMG_WCL_STREAM_DATA 1u      /* BACKUP_DATA */
#define IMG_WCL_STREAM_EA 2u        /* BACKUP_EA_DATA */
#define IMG_WCL_STREAM_SECURITY 3u  /* BACKUP_SECURITY_DATA */
#define IMG_WCL_STREAM_ALTERNATE 4u /* BACKUP_ALTERNATE_DATA */
#define IMG_WCL_STREAM_REPARSE 8u   /* BACKUP_REPARSE_DATA */
#define IMG_WCL_STREAM_HEADER 20u   /* WIN32_STREAM_ID up to its name */
#define IMG_WCL_TAG_MOUNT_POINT 0xA0000003u
#define IMG_WCL_TAG_SYMLINK 0xA000000Cu
#define IMG_WCL_MAX_EA 65536u
#define IMG_WCL_MAX_REPARSE 16384u  /* MAXIMUM_REPARSE_DATA_BUFFER_SIZE */

/* FILE_BASIC_INFO: FILETIMEs (0: leave as is) and attributes. */
typedef struct img_wcl_info {
  int64_t creation;
  int64_t last_access;
  int64_t last_write;
  int64_t change;
  uint32_t attributes;
} img_wcl_info;

typedef struct img_wcl_sink {
  void *ctx;
  /* A file or folder (attributes has FILE_ATTRIBUTE_DIRECTORY) at path; its backup stream follows through
   * write, then done. size: its data's length (0 for folders and links). */
  wctr_err (*add)(void *ctx, const char *path, const img_wcl_info *info, uint64_t size, wctr_errmsg *e);
  wctr_err (*write)(void *ctx, const void *data, size_t len, wctr_errmsg *e);
  wctr_err (*done)(void *ctx, wctr_errmsg *e);
  /* A hard link at path to target; in_layer: the target was added earlier by this layer (otherwise it is
   * a parent layer's: only in a layer with parents). */
  wctr_err (*link)(void *ctx, const char *path, const char *target, bool in_layer, wctr_errmsg *e);
  /* A whiteout: path (under Files\) is deleted from the parents' view. Layers with parents only. */
  wctr_err (*remove)(void *ctx, const char *path, wctr_errmsg *e);
  /* Optional: the self-relative security descriptor of a legacy MSWINDOWS.sd (SDDL) record; *sd malloc'ed.
   * NULL: such records are refused. */
  wctr_err (*sd_from_sddl)(void *ctx, const char *sddl, uint8_t **sd, size_t *len, wctr_errmsg *e);
} img_wcl_sink;

typedef struct img_wcl_options {
  bool base;           /* a base layer: no parents, no whiteouts, every hard link inside */
  const char *diff_id; /* the digest the uncompressed stream must have; NULL: not checked (tests) */
} img_wcl_options;

typedef struct img_wcl_result {
  char diff_id[IMG_DIGEST_MAX]; /* what the stream hashed to */
  uint64_t length;              /* bytes of the uncompressed stream */
  int64_t size;                 /* bytes of file data (not counting streams), hcsshim's layer size */
  uint64_t entries;             /* tar entries read */
  bool has_utility_vm;          /* UtilityVM\Files was added */
} img_wcl_result;

/* Reads t to its end (img_tar_next until NULL, then img_tar_finish) and drives sink. */
wctr_err img_wcl_apply(img_tar *t, const img_wcl_options *opt, const img_wcl_sink *sink, img_wcl_result *res,
                       wctr_errmsg *e);

/* The pieces, for the importer, the test doubles and the tests. */
/* A tar name as a layer path: checks it (the rules above; stream: a ':' may start an alternate data
 * stream in the last component) and writes it '\'-separated without a trailing '/'. */
wctr_err img_wcl_layer_path(const char *name, bool stream, char *out, size_t size, wctr_errmsg *e);
/* A WIN32_STREAM_ID header: id, size, and the UTF-16LE name of a UTF-8 stream name (":s:$DATA"; NULL for
 * none). *len the header's length; out must hold IMG_WCL_STREAM_HEADER + 2 * strlen(name) bytes. */
wctr_err img_wcl_stream_header(uint32_t id, uint64_t size, const char *name, uint8_t *out, size_t cap, size_t *len);
/* The REPARSE_DATA_BUFFER of a symbolic link or junction to target ('\' or '/' separated). *out malloc'ed. */
wctr_err img_wcl_reparse_data(const char *target, bool mountpoint, uint8_t **out, size_t *len, wctr_errmsg *e);
/* Is sd a well-formed self-relative security descriptor of len bytes? */
bool img_wcl_sd_valid(const uint8_t *sd, size_t len);

#endif
