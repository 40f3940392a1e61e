/* images/gzip.h - gzip through zlib (portable): a streaming reader of gzip (one member or several, as RFC 1952
 * allows and Go's gzip.Reader reads), which the layer tar reader (images/tar.h) and wctrd's compressed rotated
 * logs (service/logs.h) read through, and a file compressor for those logs.
 *
 * Errors of the reader, as sentences without a prefix (the caller says where): "the gzip stream is empty",
 * "the gzip stream is truncated", "gzip: <zlib's reason>" (WCTR_EINVAL), "data after the gzip stream is not
 * gzip: <reason>" (WCTR_EINVAL), WCTR_ENOMEM; an error of the read callback comes back as it is. After an
 * error the reader gives nothing more. */
#ifndef WCTR_IMAGES_GZIP_H
#define WCTR_IMAGES_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Reads up to size bytes of the compressed source; *got 0 at its end. */
typedef wctr_err (*img_gz_read_fn)(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e);

typedef struct img_gunzip img_gunzip;

wctr_err img_gunzip_new(img_gz_read_fn read, void *ctx, img_gunzip **out, wctr_errmsg *e);
/* Up to size bytes of the uncompressed stream into dst; *got 0 only at the end of the last member. */
wctr_err img_gunzip_read(img_gunzip *g, uint8_t *dst, size_t size, size_t *got, wctr_errmsg *e);
void img_gunzip_free(img_gunzip *g); /* accepts NULL */

/* Compresses the file src into dst (created or emptied; gzip, zlib's default level, as Go's gzip.NewWriter),
 * synced to the disk before it returns, so that a rename after it publishes a whole file. src is not
 * touched. Errors name the file (WCTR_ENOENT, WCTR_EIO, WCTR_ENOMEM...); dst may then be partial. */
wctr_err img_gzip_file(const char *src, const char *dst, wctr_errmsg *e);

#endif
