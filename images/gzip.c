/* images/gzip.c - gzip through zlib (portable; contract: images/gzip.h). */
#include "images/gzip.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/fs.h"

#define ZIN_SIZE (128u * 1024u)

struct img_gunzip {
  img_gz_read_fn read;
  void *ctx;
  z_stream z;
  bool z_ready;
  bool src_eof;
  bool broken;
  unsigned members; /* members inflated to their end */
  bool between;     /* a member ended and nothing of the next one has been read */
  uint8_t *zin;
};

wctr_err img_gunzip_new(img_gz_read_fn read, void *ctx, img_gunzip **out, wctr_errmsg *e) {
  *out = NULL;
  img_gunzip *g = calloc(1, sizeof *g);
  if (g != NULL) g->zin = malloc(ZIN_SIZE);
  /* 16 + 15: a gzip wrapper (not zlib, not raw deflate) with the largest window. */
  if (g == NULL || g->zin == NULL || inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
    img_gunzip_free(g);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  g->z_ready = true;
  g->read = read;
  g->ctx = ctx;
  *out = g;
  return WCTR_OK;
}

void img_gunzip_free(img_gunzip *g) {
  if (g == NULL) return;
  if (g->z_ready) inflateEnd(&g->z);
  free(g->zin);
  free(g);
}

static wctr_err broken(img_gunzip *g, wctr_errmsg *e, wctr_err code, const char *what) {
  g->broken = true;
  return wctr_fail(e, code, "%s", what);
}

/* Reads compressed input when zlib has none left. */
static wctr_err fill_input(img_gunzip *g, wctr_errmsg *e) {
  size_t got = 0;
  wctr_err err = g->read(g->ctx, g->zin, ZIN_SIZE, &got, e);
  if (err != WCTR_OK) {
    g->broken = true;
    return err;
  }
  if (got == 0) g->src_eof = true;
  g->z.next_in = g->zin;
  g->z.avail_in = (uInt)got;
  return WCTR_OK;
}

wctr_err img_gunzip_read(img_gunzip *g, uint8_t *dst, size_t size, size_t *got, wctr_errmsg *e) {
  *got = 0;
  if (g->broken) return wctr_fail(e, WCTR_EINVAL, "the gzip stream failed before");
  g->z.next_out = dst;
  g->z.avail_out = (uInt)(size > UINT_MAX ? UINT_MAX : size);
  while (g->z.avail_out > 0) {
    if (g->z.avail_in == 0 && !g->src_eof) {
      wctr_err err = fill_input(g, e);
      if (err != WCTR_OK) return err;
    }
    if (g->z.avail_in == 0 && g->src_eof) {
      /* Between members the end of the input is the end of the stream; inside one it is a truncation. */
      if (g->between) break;
      return broken(g, e, WCTR_EINVAL, g->members == 0 && g->z.total_in == 0 ? "the gzip stream is empty"
                                                                               : "the gzip stream is truncated");
    }
    uInt before = g->z.avail_in;
    int rc = inflate(&g->z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      /* Another member may follow (gzip allows several); the next inflate checks its header. */
      g->members++;
      g->between = true;
      if (inflateReset(&g->z) != Z_OK) return broken(g, e, WCTR_EINTERNAL, "cannot reset the gzip stream");
      continue;
    }
    if (rc == Z_BUF_ERROR && g->z.avail_in == 0) continue;
    if (rc != Z_OK) {
      const char *why = rc == Z_DATA_ERROR ? (g->z.msg != NULL ? g->z.msg : "corrupt data")
                        : rc == Z_MEM_ERROR ? "out of memory"
                                            : "cannot inflate";
      char what[160];
      snprintf(what, sizeof what, "%s%s", g->between ? "data after the gzip stream is not gzip: " : "gzip: ", why);
      return broken(g, e, rc == Z_MEM_ERROR ? WCTR_ENOMEM : WCTR_EINVAL, what);
    }
    if (g->z.avail_in != before) g->between = false;
  }
  *got = (size_t)(g->z.next_out - dst);
  return WCTR_OK;
}

wctr_err img_gzip_file(const char *src, const char *dst, wctr_errmsg *e) {
  enum { CHUNK = 128 * 1024 };
  wctr_file *in = NULL;
  wctr_file *out = NULL;
  uint8_t *ibuf = malloc(CHUNK);
  uint8_t *obuf = malloc(CHUNK);
  z_stream z;
  bool z_ready = false;
  wctr_err err = ibuf != NULL && obuf != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else {
      z_ready = true;
    }
  }
  if (err == WCTR_OK) err = wctr_file_open(src, WCTR_FILE_READ, &in, e);
  if (err == WCTR_OK) err = wctr_file_open(dst, WCTR_FILE_TRUNCATE, &out, e);
  uint64_t offset = 0;
  bool done = false;
  while (err == WCTR_OK && !done) {
    size_t got = 0;
    err = wctr_file_pread(in, offset, ibuf, CHUNK, &got);
    if (err != WCTR_OK) {
      err = wctr_fail(e, err, "cannot read %s: %s", src, wctr_strerror(err));
      break;
    }
    offset += got;
    int flush = got == 0 ? Z_FINISH : Z_NO_FLUSH;
    z.next_in = ibuf;
    z.avail_in = (uInt)got;
    do {
      z.next_out = obuf;
      z.avail_out = CHUNK;
      int rc = deflate(&z, flush);
      if (rc == Z_STREAM_ERROR) {
        err = wctr_fail(e, WCTR_EINTERNAL, "cannot compress %s", src);
        break;
      }
      size_t have = CHUNK - z.avail_out;
      if (have > 0) {
        err = wctr_file_write(out, obuf, have);
        if (err != WCTR_OK) err = wctr_fail(e, err, "cannot write %s: %s", dst, wctr_strerror(err));
      }
      if (rc == Z_STREAM_END) done = true;
    } while (err == WCTR_OK && z.avail_out == 0);
  }
  if (err == WCTR_OK) {
    err = wctr_file_sync(out);
    if (err != WCTR_OK) err = wctr_fail(e, err, "cannot write %s: %s", dst, wctr_strerror(err));
  }
  if (z_ready) deflateEnd(&z);
  wctr_file_close(in);
  wctr_file_close(out);
  free(ibuf);
  free(obuf);
  return err;
}
