/* tests/images/tarw.c - tar archives in memory for the tests. Contract: tarw.h. */
#include "tarw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/base64.h"

static void oom(void) {
  fprintf(stderr, "tarw: out of memory\n");
  abort();
}

void tarw_init(tarw *w) { memset(w, 0, sizeof *w); }

void tarw_free(tarw *w) {
  free(w->data);
  memset(w, 0, sizeof *w);
}

void tarw_bytes(tarw *w, const void *p, size_t n) {
  if (w->len + n > w->cap) {
    size_t cap = w->cap == 0 ? 65536 : w->cap;
    while (cap < w->len + n) cap *= 2;
    uint8_t *d = realloc(w->data, cap);
    if (d == NULL) oom();
    w->data = d;
    w->cap = cap;
  }
  if (n > 0) memcpy(w->data + w->len, p, n);
  w->len += n;
}

wctr_err tarw_out(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  tarw *w = ctx;
  if (w->fail_after != 0 && w->len + len > w->fail_after) return wctr_fail(e, WCTR_ENOSPC, "full on purpose");
  tarw_bytes(w, data, len);
  return WCTR_OK;
}

wctr_err tarw_in(void *ctx, void *out, size_t size, size_t *got, wctr_errmsg *e) {
  (void)e;
  tarw *w = ctx;
  size_t n = w->len - w->pos < size ? w->len - w->pos : size;
  if (w->piece != 0 && n > w->piece) n = w->piece;
  if (n > 0) memcpy(out, w->data + w->pos, n);
  w->pos += n;
  *got = n;
  return WCTR_OK;
}

static void octal(uint8_t *p, size_t n, uint64_t v) {
  snprintf((char *)p, n, "%0*llo", (int)(n - 1), (unsigned long long)v);
}

void tarw_header(tarw *w, const char *name, char type, uint64_t size, const char *link) {
  uint8_t h[512];
  memset(h, 0, sizeof h);
  memcpy(h, name, strlen(name) > 100 ? 100 : strlen(name));
  octal(h + 100, 8, type == '5' ? 0755 : 0644);
  octal(h + 108, 8, 0);
  octal(h + 116, 8, 0);
  octal(h + 124, 12, size);
  octal(h + 136, 12, 1700000000);
  h[156] = (uint8_t)type;
  if (link != NULL) memcpy(h + 157, link, strlen(link) > 100 ? 100 : strlen(link));
  memcpy(h + 257, "ustar\0" "00", 8);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < sizeof h; i++) sum += h[i];
  snprintf((char *)h + 148, 8, "%06o", sum);
  h[155] = ' ';
  tarw_bytes(w, h, sizeof h);
}

void tarw_body(tarw *w, const void *body, size_t size) {
  static const uint8_t zero[512];
  tarw_bytes(w, body, size);
  tarw_bytes(w, zero, (512 - size % 512) % 512);
}

static void record(tarw *out, const char *kv) {
  /* "LEN kv\n" where LEN counts itself. */
  size_t n = strlen(kv) + 2;
  size_t total = n + 1;
  for (size_t d = 1; d < 20; d++) {
    size_t digits = 1;
    for (size_t v = n + d; v >= 10; v /= 10) digits++;
    if (digits == d) {
      total = n + d;
      break;
    }
  }
  char len[24];
  snprintf(len, sizeof len, "%zu ", total);
  tarw_bytes(out, len, strlen(len));
  tarw_bytes(out, kv, strlen(kv));
  tarw_bytes(out, "\n", 1);
}

void tarw_pax(tarw *w, char type, const char *const *records, size_t count) {
  tarw body;
  tarw_init(&body);
  for (size_t i = 0; count > 0 ? i < count : records[i] != NULL; i++) record(&body, records[i]);
  tarw_header(w, type == 'g' ? "pax_global_header" : "PaxHeaders/entry", type, body.len, NULL);
  tarw_body(w, body.data, body.len);
  tarw_free(&body);
}

void tarw_entry(tarw *w, const char *name, char type, const char *link, const void *body, size_t size,
                const char *const *records) {
  size_t n = 0;
  while (records != NULL && records[n] != NULL) n++;
  const char **all = calloc(n + 3, sizeof *all);
  if (all == NULL) oom();
  char *path = NULL;
  char *linkpath = NULL;
  size_t k = 0;
  if (strlen(name) > 100) {
    path = malloc(strlen(name) + 6);
    if (path == NULL) oom();
    snprintf(path, strlen(name) + 6, "path=%s", name);
    all[k++] = path;
  }
  if (link != NULL && strlen(link) > 100) {
    linkpath = malloc(strlen(link) + 10);
    if (linkpath == NULL) oom();
    snprintf(linkpath, strlen(link) + 10, "linkpath=%s", link);
    all[k++] = linkpath;
  }
  for (size_t i = 0; i < n; i++) all[k++] = records[i];
  if (k > 0) tarw_pax(w, 'x', all, k);
  tarw_header(w, name, type, type == '0' || type == '\0' ? size : 0, link);
  if (type == '0' || type == '\0') tarw_body(w, body, size);
  free(all);
  free(path);
  free(linkpath);
}

void tarw_gnu_long(tarw *w, char type, const char *name) {
  tarw_header(w, "././@LongLink", type, strlen(name) + 1, NULL);
  tarw_body(w, name, strlen(name) + 1);
}

void tarw_end(tarw *w) {
  static const uint8_t zero[1024];
  tarw_bytes(w, zero, sizeof zero);
}

char *tarw_b64_record(const char *key, const void *data, size_t n) {
  char *b = wctr_base64_encode(data, n);
  if (b == NULL) oom();
  size_t len = strlen(key) + 1 + strlen(b) + 1;
  char *r = malloc(len);
  if (r == NULL) oom();
  snprintf(r, len, "%s=%s", key, b);
  free(b);
  return r;
}

void tarw_win(tarw *w, const char *name, char type, const char *link, const void *body, size_t size,
              uint32_t attributes, const uint8_t *sd, size_t sd_len, const char *const *more) {
  size_t n = 0;
  while (more != NULL && more[n] != NULL) n++;
  const char **recs = calloc(n + 8, sizeof *recs);
  if (recs == NULL) oom();
  char attr[48];
  snprintf(attr, sizeof attr, "MSWINDOWS.fileattr=%u", attributes);
  size_t k = 0;
  recs[k++] = attr;
  recs[k++] = "LIBARCHIVE.creationtime=1600000000.5";
  recs[k++] = "mtime=1700000000.25";
  recs[k++] = "atime=1700000001";
  char *sdrec = sd != NULL ? tarw_b64_record("MSWINDOWS.rawsd", sd, sd_len) : NULL;
  if (sdrec != NULL) recs[k++] = sdrec;
  for (size_t i = 0; i < n; i++) recs[k++] = more[i];
  recs[k] = NULL;
  tarw_entry(w, name, type, link, body, size, recs);
  free(sdrec);
  free(recs);
}

void tarw_gzip(const uint8_t *in, size_t n, uint8_t **out, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) oom();
  size_t cap = deflateBound(&z, (uLong)n) + 64;
  uint8_t *buf = malloc(cap);
  if (buf == NULL) oom();
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)n;
  z.next_out = buf;
  z.avail_out = (uInt)cap;
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) oom();
  *out_len = cap - z.avail_out;
  *out = buf;
  deflateEnd(&z);
}

const uint8_t *tarw_sample_sd(size_t *len) {
  /* O:BAG:SYD:(A;;FA;;;BA) as a self-relative descriptor, laid out by hand:
   * header (20) | owner S-1-5-32-544 (16) | group S-1-5-18 (12) | DACL (8 + ACE 24). */
  static const uint8_t sd[] = {
      1, 0, 0x04, 0x80, 20, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0,
      /* owner */ 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0,
      /* group */ 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0,
      /* DACL */ 2, 0, 32, 0, 1, 0, 0, 0,
      /* ACE */ 0, 0, 24, 0, 0xff, 0x01, 0x1f, 0x00, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0};
  *len = sizeof sd;
  return sd;
}
