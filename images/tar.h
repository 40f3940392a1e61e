/* images/tar.h - a streaming reader of layer tars (portable), with gzip through zlib.
 *
 * A layer blob is read once, front to back, from a source callback: no seeking, no temporary copy, memory
 * bounded whatever the input (IMG_TAR_MAX_META for an extended header, IMG_TAR_MAX_NAME for a name). Every
 * byte of the uncompressed stream - headers, bodies, padding, the end-of-archive blocks and anything after
 * them - goes through SHA-256 exactly once, so img_tar_finish gives the layer's diff id without a second
 * pass (the caller compares it with the manifest's and throws away what it wrote when they differ).
 *
 * Formats: ustar (name with prefix), GNU (long names 'L' and link names 'K', base-256 numbers), POSIX PAX
 * extended headers ('x': path, linkpath, size, mtime, atime, ctime, and the records of Windows layers:
 * MSWINDOWS.fileattr (decimal attributes), MSWINDOWS.rawsd (base64 self-relative security descriptor),
 * MSWINDOWS.sd (SDDL, the legacy spelling), MSWINDOWS.mountpoint (the symlink is a junction),
 * MSWINDOWS.xattr.NAME (base64 extended attribute), LIBARCHIVE.creationtime). Global headers ('g') are
 * read and ignored, as Go's archive/tar (which wrote every Windows layer there is) ignores them. Later
 * records win over earlier ones and PAX over GNU over ustar. Header-only types (links, directories,
 * devices, FIFOs) have no body whatever their size field says (Go's rule).
 *
 * Refused with a sentence naming the entry (by its offset in the uncompressed stream) and the field: a
 * header whose checksum fails, a number that is not octal or base-256 or is negative, a malformed PAX
 * record or one whose value is not a number/base64 where one is required, a name or link name longer than
 * IMG_TAR_MAX_NAME or holding a NUL, an extended header longer than IMG_TAR_MAX_META, sparse files (GNU
 * 'S' and GNU.sparse.* records) and multi-volume archives ('M', 'V'), a lone zero block followed by data,
 * a stream that ends inside an entry, and for gzip a corrupt stream or data after it that is not another
 * gzip member. The end is two zero blocks, or the end of the stream at a header's boundary (Go accepts
 * both; the diff id catches a truncated layer).
 *
 * Ownership: an entry and everything it points to belong to the reader and stay valid until the next
 * img_tar_next, img_tar_finish or img_tar_free. */
#ifndef WCTR_IMAGES_TAR_H
#define WCTR_IMAGES_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "images/digest.h"

#define IMG_TAR_BLOCK 512
#define IMG_TAR_MAX_META (1u << 20) /* a PAX extended header, global header or GNU long name body */
#define IMG_TAR_MAX_NAME 65536      /* bytes of a name or link name (Windows' 32767 UTF-16 units in UTF-8) */

/* Reads up to size bytes of the blob into buf; *got 0 is the end. */
typedef wctr_err (*img_tar_read_fn)(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e);

typedef enum img_tar_kind {
  IMG_TAR_FILE,    /* '0', '\0' (a name ending in '/' is a directory, as Go reads old archives), '7' */
  IMG_TAR_DIR,     /* '5' */
  IMG_TAR_LINK,    /* '1': a hard link to linkname */
  IMG_TAR_SYMLINK, /* '2': a symbolic link, or a junction with MSWINDOWS.mountpoint */
  IMG_TAR_DEVICE,  /* '3', '4', '6': character and block devices, FIFOs */
  IMG_TAR_OTHER    /* any other type letter: a body the reader returns as is */
} img_tar_kind;

/* A time as PAX carries it: seconds since 1970 (negative before) and nanoseconds, 0..999999999. */
typedef struct img_tar_time {
  bool set;
  int64_t sec;
  uint32_t nsec;
} img_tar_time;

typedef struct img_tar_xattr {
  const char *name; /* after "MSWINDOWS.xattr." */
  const uint8_t *value;
  size_t len;
} img_tar_xattr;

typedef struct img_tar_entry {
  const char *name;     /* as the archive spells it; never empty */
  const char *linkname; /* "" when none */
  char typeflag;
  img_tar_kind kind;
  uint64_t size;        /* bytes of body (0 for header-only types) */
  uint32_t mode;
  uint64_t offset;      /* where the entry's first header starts in the uncompressed stream */
  img_tar_time mtime, atime, ctime, creation; /* mtime always set (the header's); the others from PAX */
  bool has_fileattr;
  uint32_t fileattr;
  const uint8_t *rawsd; /* decoded MSWINDOWS.rawsd, NULL when absent */
  size_t rawsd_len;
  const char *sddl;     /* MSWINDOWS.sd, NULL when absent */
  bool mountpoint;      /* MSWINDOWS.mountpoint present */
  const img_tar_xattr *xattrs;
  size_t xattr_count;
} img_tar_entry;

typedef struct img_tar img_tar;

/* gzip: the source is gzip (one or more members), decompressed with zlib. */
wctr_err img_tar_open(img_tar_read_fn read, void *ctx, bool gzip, img_tar **out, wctr_errmsg *e);
void img_tar_free(img_tar *t); /* accepts NULL */

/* The next entry, skipping what is left of the current one's body; *entry NULL at the end of the archive.
 * After an error the reader is unusable. */
wctr_err img_tar_next(img_tar *t, const img_tar_entry **entry, wctr_errmsg *e);
/* Up to size bytes of the current entry's body; *got 0 when it is all read. */
wctr_err img_tar_read(img_tar *t, void *buf, size_t size, size_t *got, wctr_errmsg *e);
/* After the end (img_tar_next gave NULL): reads the rest of the stream and gives the digest of the whole
 * uncompressed stream ("sha256:...") and its length. */
wctr_err img_tar_finish(img_tar *t, char digest[IMG_DIGEST_MAX], uint64_t *length, wctr_errmsg *e);

/* Windows FILETIME (100 ns since 1601) of a tar time; 0 for an unset one or one before 1601. */
int64_t img_tar_filetime(const img_tar_time *t);

#endif
