/* images/tar_write.h - a streaming tar writer (portable): what `wctr cp` and the container archive operations
 * send (Docker's format for `docker cp`: a plain, uncompressed tar).
 *
 * Entries are ustar headers; a PAX extended header ('x') comes first when ustar cannot hold a value: a name
 * that does not fit name[100] (nor prefix[155] + name[100] split at a '/'), a name that is not ASCII (Go's
 * archive/tar writes PAX for those too, so readers on every side agree on UTF-8), a size of 8 GiB or more,
 * or an mtime before 1970 or past the 11 octal digits. Directories are written with a trailing '/' (added
 * when missing). Only regular files ('0') and directories ('5') are written: wctr never follows or
 * archives links (callers refuse them first). Bodies are written as they come; the writer refuses more or
 * fewer bytes than the header announced (WCTR_EINVAL naming the entry) and pads each to the block.
 *
 * Output goes to a callback, in pieces of any size; its failure stops the writer (every later call fails
 * with WCTR_ESTATE). */
#ifndef WCTR_IMAGES_TAR_WRITE_H
#define WCTR_IMAGES_TAR_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef wctr_err (*img_tarw_out_fn)(void *ctx, const void *data, size_t len, wctr_errmsg *e);

typedef struct img_tarw {
  img_tarw_out_fn out;
  void *ctx;
  uint64_t remaining; /* body bytes the current entry still owes */
  uint64_t body;      /* the current entry's announced size (for its padding) */
  bool in_entry;
  bool failed;
  bool ended;
  uint64_t written;   /* bytes given to out so far */
  char current[160];  /* the current entry's name (shortened) for messages */
} img_tarw;

typedef struct img_tarw_entry {
  const char *name; /* '/'-separated, relative, never empty; at most IMG_TAR_MAX_NAME bytes */
  bool dir;
  uint64_t size;    /* a file's body; ignored for a directory */
  uint32_t mode;    /* permission bits (0644, 0755) */
  int64_t mtime;    /* seconds since 1970 */
} img_tarw_entry;

void img_tarw_init(img_tarw *w, img_tarw_out_fn out, void *ctx);
/* Starts an entry (the previous one must be complete). */
wctr_err img_tarw_begin(img_tarw *w, const img_tarw_entry *entry, wctr_errmsg *e);
/* Body bytes of the current file. */
wctr_err img_tarw_write(img_tarw *w, const void *data, size_t len, wctr_errmsg *e);
/* Ends the archive: the last entry must be complete; two zero blocks. */
wctr_err img_tarw_finish(img_tarw *w, wctr_errmsg *e);

#endif
