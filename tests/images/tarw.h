/* tests/images/tarw.h - writes tar archives in memory for the layer tests, the fuzz corpus and the import
 * benchmark: ustar headers, PAX extended headers with any records, GNU long names, raw headers for hostile
 * archives, gzip through zlib. Aborts on out of memory (a test helper). */
#ifndef WCTR_TESTS_IMAGES_TARW_H
#define WCTR_TESTS_IMAGES_TARW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct tarw {
  uint8_t *data;
  size_t len;
  size_t cap;
  /* As a stream for images/ (tarw_out, tarw_in): */
  size_t pos;        /* tarw_in's next byte */
  size_t piece;      /* tarw_in gives at most this many bytes a call (0: as many as asked) */
  size_t fail_after; /* tarw_out refuses a write past this many bytes (0: never) */
} tarw;

void tarw_init(tarw *w);
/* images/tar_write.h's sink (img_tarw_out_fn) appending to ctx, a tarw; past fail_after bytes WCTR_ENOSPC
 * "full on purpose" (a full disk). */
wctr_err tarw_out(void *ctx, const void *data, size_t len, wctr_errmsg *e);
/* A reader for images/tar.h and images/tar_tree.h of ctx's bytes from pos, in pieces of at most piece bytes. */
wctr_err tarw_in(void *ctx, void *out, size_t size, size_t *got, wctr_errmsg *e);
void tarw_free(tarw *w);
void tarw_bytes(tarw *w, const void *p, size_t n);
/* A header block with a correct checksum (size as octal; mtime 1700000000). */
void tarw_header(tarw *w, const char *name, char type, uint64_t size, const char *link);
/* A body and its padding to the next block. */
void tarw_body(tarw *w, const void *body, size_t size);
/* A PAX extended header ('x' or 'g') holding records ("key=value", NULL-terminated list; count: how many,
 * or 0 to stop at NULL; values may hold any byte but NUL). */
void tarw_pax(tarw *w, char type, const char *const *records, size_t count);
/* An entry as Go's writer makes it: a PAX header first when records are given or the name or link is longer
 * than ustar holds (then also a "path"/"linkpath" record), then the header and the body. */
void tarw_entry(tarw *w, const char *name, char type, const char *link, const void *body, size_t size,
                const char *const *records);
/* A GNU long name ('L') or link name ('K') header. */
void tarw_gnu_long(tarw *w, char type, const char *name);
void tarw_end(tarw *w); /* two zero blocks */

/* Windows layer entries: records for attributes and times, an optional raw security descriptor. */
void tarw_win(tarw *w, const char *name, char type, const char *link, const void *body, size_t size,
              uint32_t attributes, const uint8_t *sd, size_t sd_len, const char *const *more);

/* gzip of in (one member). *out malloc'ed. */
void tarw_gzip(const uint8_t *in, size_t n, uint8_t **out, size_t *out_len);

/* A valid self-relative security descriptor (owner BA, group SY, a DACL granting BA full access);
 * *len its size. */
const uint8_t *tarw_sample_sd(size_t *len);

/* "key=" + base64(data), malloc'ed. */
char *tarw_b64_record(const char *key, const void *data, size_t n);

#endif
