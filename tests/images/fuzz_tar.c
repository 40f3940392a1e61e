/* tests/images/fuzz_tar.c - the layer tar reader and the Windows layer walker on any input up to 1 MiB. The
 * first byte picks gzip (bit 0) and a base layer (bit 1); the rest is the blob. A sink checks what the walker
 * hands it: paths inside Files, Hives or UtilityVM\Files with no "..", an entry's backup stream made of whole
 * WIN32_STREAM_ID records, operations in order. Every input either is refused with a message or is read to
 * its end with a digest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "images/tar.h"
#include "images/wclayer.h"

typedef struct src {
  const uint8_t *data;
  size_t len, pos;
} src;

static wctr_err src_read(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  (void)e;
  src *s = ctx;
  size_t n = s->len - s->pos < size ? s->len - s->pos : size;
  if (n > 4096) n = 4096; /* uneven pieces */
  if (n > 0) memcpy(buf, s->data + s->pos, n);
  s->pos += n;
  *got = n;
  return WCTR_OK;
}

typedef struct sink_state {
  bool open;
  uint8_t head[IMG_WCL_STREAM_HEADER];
  size_t head_len;   /* bytes of the next header seen so far */
  uint64_t name_left;
  uint64_t size;     /* the current stream's data length, due after its name */
  uint64_t need;     /* data bytes still due */
} sink_state;

static void check_path(const char *p) {
  if (strncmp(p, "Files", 5) != 0 && strncmp(p, "Hives", 5) != 0 && strncmp(p, "UtilityVM", 9) != 0) abort();
  if (strchr(p, '/') != NULL || strchr(p, ':') != NULL) abort();
  for (const char *c = p; *c != '\0';) {
    const char *end = strchr(c, '\\');
    size_t n = end != NULL ? (size_t)(end - c) : strlen(c);
    if (n == 0 || (n == 2 && c[0] == '.' && c[1] == '.') || (n == 1 && c[0] == '.')) abort();
    c += n + (end != NULL ? 1 : 0);
  }
}

static wctr_err s_add(void *ctx, const char *path, const img_wcl_info *info, uint64_t size, wctr_errmsg *e) {
  (void)info, (void)size, (void)e;
  sink_state *s = ctx;
  if (s->open) abort();
  check_path(path);
  *s = (sink_state){.open = true};
  return WCTR_OK;
}

/* Follows the stream records: a header, its name, its data. */
static wctr_err s_write(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  (void)e;
  sink_state *s = ctx;
  if (!s->open) abort();
  const uint8_t *p = data;
  while (len > 0) {
    size_t n = 0;
    if (s->need > 0) {
      n = s->need < len ? (size_t)s->need : len;
      s->need -= n;
    } else if (s->name_left > 0) {
      n = s->name_left < len ? (size_t)s->name_left : len;
      s->name_left -= n;
      if (s->name_left == 0) s->need = s->size;
    } else {
      n = IMG_WCL_STREAM_HEADER - s->head_len < len ? IMG_WCL_STREAM_HEADER - s->head_len : len;
      memcpy(s->head + s->head_len, p, n);
      s->head_len += n;
      if (s->head_len == IMG_WCL_STREAM_HEADER) {
        uint32_t id = s->head[0];
        if (id != 1 && id != 2 && id != 3 && id != 4 && id != 8) abort();
        s->size = 0;
        for (int i = 7; i >= 0; i--) s->size = s->size << 8 | s->head[8 + i];
        s->name_left = (uint32_t)s->head[16] | (uint32_t)s->head[17] << 8;
        if ((id == 4) != (s->name_left > 0)) abort(); /* only alternate data streams have names */
        s->head_len = 0;
        if (s->name_left == 0) s->need = s->size;
      }
    }
    p += n;
    len -= n;
  }
  return WCTR_OK;
}

static wctr_err s_done(void *ctx, wctr_errmsg *e) {
  (void)e;
  sink_state *s = ctx;
  if (!s->open || s->need != 0 || s->name_left != 0 || s->head_len != 0) abort();
  s->open = false;
  return WCTR_OK;
}

static wctr_err s_link(void *ctx, const char *path, const char *target, bool in_layer, wctr_errmsg *e) {
  (void)in_layer, (void)e;
  sink_state *s = ctx;
  if (s->open) abort();
  check_path(path);
  check_path(target);
  return WCTR_OK;
}

static wctr_err s_remove(void *ctx, const char *path, wctr_errmsg *e) {
  (void)e;
  sink_state *s = ctx;
  if (s->open) abort();
  check_path(path);
  return WCTR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  bool gzip = data[0] & 1;
  bool base = data[0] & 2;
  src in = {.data = data + 1, .len = size - 1};
  img_tar *t = NULL;
  wctr_errmsg e;
  e.text[0] = '\0';
  if (img_tar_open(src_read, &in, gzip, &t, &e) != WCTR_OK) abort();
  sink_state st = {0};
  img_wcl_sink sink = {.ctx = &st, .add = s_add, .write = s_write, .done = s_done, .link = s_link, .remove = s_remove};
  img_wcl_options opt = {.base = base};
  img_wcl_result res;
  wctr_err err = img_wcl_apply(t, &opt, &sink, &res, &e);
  if (err != WCTR_OK && e.text[0] == '\0') abort();
  if (err == WCTR_OK && (!img_digest_valid(res.diff_id) || st.open)) abort();
  img_tar_free(t);
  /* The reader alone: every entry, every body. */
  in.pos = 0;
  if (img_tar_open(src_read, &in, gzip, &t, &e) != WCTR_OK) abort();
  const img_tar_entry *en = NULL;
  uint8_t buf[8192];
  while (img_tar_next(t, &en, &e) == WCTR_OK && en != NULL) {
    if (en->name[0] == '\0' || strlen(en->name) > IMG_TAR_MAX_NAME) abort();
    uint64_t total = 0;
    size_t got = 0;
    while (img_tar_read(t, buf, sizeof buf, &got, &e) == WCTR_OK && got > 0) total += got;
    if (total > en->size) abort();
  }
  img_tar_free(t);
  return 0;
}
