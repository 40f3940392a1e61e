/* images/tar_write.c - images/tar_write.h. */
#include "images/tar_write.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/tar.h"

enum { NAME_LEN = 100, PREFIX_LEN = 155 };
#define OCTAL11_MAX UINT64_C(077777777777) /* the largest value 11 octal digits hold */

static wctr_err put(img_tarw *w, const void *data, size_t len, wctr_errmsg *e) {
  if (len == 0) return WCTR_OK;
  wctr_err err = w->out(w->ctx, data, len, e);
  if (err != WCTR_OK) {
    w->failed = true;
    return err;
  }
  w->written += len;
  return WCTR_OK;
}

static wctr_err zeros(img_tarw *w, size_t n, wctr_errmsg *e) {
  static const char zero[IMG_TAR_BLOCK];
  while (n > 0) {
    size_t k = n < sizeof zero ? n : sizeof zero;
    wctr_err err = put(w, zero, k, e);
    if (err != WCTR_OK) return err;
    n -= k;
  }
  return WCTR_OK;
}

void img_tarw_init(img_tarw *w, img_tarw_out_fn out, void *ctx) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->ctx = ctx;
}

static void octal(char *field, size_t width, uint64_t value) {
  /* width - 1 digits and a NUL, as Go writes them. */
  char digits[32];
  snprintf(digits, sizeof digits, "%0*" PRIo64, (int)(width - 1), value);
  memcpy(field, digits, width - 1);
  field[width - 1] = '\0';
}

static bool ascii(const char *s) {
  for (; *s != '\0'; s++) {
    if ((unsigned char)*s >= 0x80) return false;
  }
  return true;
}

/* Splits name into prefix + '/' + rest when both fit; false when no split does. */
static bool split_ustar(const char *name, size_t len, size_t *cut) {
  if (len <= NAME_LEN) {
    *cut = 0;
    return true;
  }
  for (size_t i = len; i-- > 0;) {
    if (name[i] != '/') continue;
    if (i <= PREFIX_LEN && len - i - 1 <= NAME_LEN && len - i - 1 > 0 && i > 0) {
      *cut = i;
      return true;
    }
  }
  return false;
}

/* One "LEN key=value\n" record, LEN counting itself. */
static size_t pax_record(char *out, size_t size, const char *key, const char *value) {
  size_t body = strlen(key) + strlen(value) + 3; /* ' ', '=', '\n' */
  size_t digits = 1;
  for (size_t total = body + digits;; total = body + digits) {
    char tmp[24];
    int k = snprintf(tmp, sizeof tmp, "%zu", total);
    if ((size_t)k == digits) break;
    digits = (size_t)k;
  }
  size_t total = body + digits;
  if (out != NULL && size > total) snprintf(out, size, "%zu %s=%s\n", total, key, value);
  return total;
}

static void checksum(char *h) {
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < IMG_TAR_BLOCK; i++) sum += (unsigned char)h[i];
  snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
}

static void header(char *h, const char *name, size_t len, char type, uint64_t size, uint32_t mode, int64_t mtime) {
  memset(h, 0, IMG_TAR_BLOCK);
  size_t cut = 0;
  if (split_ustar(name, len, &cut) && cut > 0) {
    memcpy(h + 345, name, cut);
    memcpy(h, name + cut + 1, len - cut - 1);
  } else {
    memcpy(h, name, len < NAME_LEN ? len : NAME_LEN);
  }
  octal(h + 100, 8, mode & 07777);
  octal(h + 108, 8, 0);
  octal(h + 116, 8, 0);
  octal(h + 124, 12, size <= OCTAL11_MAX ? size : 0);
  octal(h + 136, 12, mtime >= 0 && (uint64_t)mtime <= OCTAL11_MAX ? (uint64_t)mtime : 0);
  h[156] = type;
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  checksum(h);
}

wctr_err img_tarw_begin(img_tarw *w, const img_tarw_entry *entry, wctr_errmsg *e) {
  char *name = NULL;
  char *pax = NULL;
  wctr_err err = WCTR_OK;
  if (w->failed || w->ended) {
    err = wctr_fail(e, WCTR_ESTATE, "the archive can take no more entries (it failed or ended)");
    goto done;
  }
  if (w->in_entry && w->remaining > 0) {
    err = wctr_fail(e, WCTR_EINVAL, "entry %s: %" PRIu64 " bytes of its body were not written", w->current,
                    w->remaining);
    goto done;
  }
  if (w->in_entry) {
    err = zeros(w, (size_t)((IMG_TAR_BLOCK - w->body % IMG_TAR_BLOCK) % IMG_TAR_BLOCK), e);
    if (err != WCTR_OK) goto done;
    w->in_entry = false;
  }
  size_t len = entry->name != NULL ? strlen(entry->name) : 0;
  if (len == 0 || len > IMG_TAR_MAX_NAME || entry->name[0] == '/') {
    err = wctr_fail(e, WCTR_EINVAL, "an archive entry's name must be relative and 1 to %u bytes long",
                    IMG_TAR_MAX_NAME);
    goto done;
  }
  bool slash = entry->dir && entry->name[len - 1] != '/';
  name = malloc(len + 2);
  if (name == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  memcpy(name, entry->name, len);
  if (slash) name[len++] = '/';
  name[len] = '\0';
  uint64_t size = entry->dir ? 0 : entry->size;
  size_t cut;
  bool need_path = !ascii(name) || !split_ustar(name, len, &cut);
  bool need_size = size > OCTAL11_MAX;
  bool need_mtime = entry->mtime < 0 || (uint64_t)entry->mtime > OCTAL11_MAX;
  if (need_path || need_size || need_mtime) {
    char num[32];
    size_t total = 0;
    if (need_path) total += pax_record(NULL, 0, "path", name);
    snprintf(num, sizeof num, "%" PRIu64, size);
    if (need_size) total += pax_record(NULL, 0, "size", num);
    char when[32];
    snprintf(when, sizeof when, "%" PRId64, entry->mtime);
    if (need_mtime) total += pax_record(NULL, 0, "mtime", when);
    pax = malloc(total + 1);
    if (pax == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      goto done;
    }
    size_t at = 0;
    if (need_path) at += pax_record(pax + at, total + 1 - at, "path", name);
    if (need_size) at += pax_record(pax + at, total + 1 - at, "size", num);
    if (need_mtime) at += pax_record(pax + at, total + 1 - at, "mtime", when);
    /* The PAX header's own name, as Go spells it: the directory, "PaxHeaders.0", the base name (ASCII only,
     * truncated: readers take the real name from the record). */
    char h[IMG_TAR_BLOCK];
    header(h, "PaxHeaders.0/entry", strlen("PaxHeaders.0/entry"), 'x', total, 0644, 0);
    err = put(w, h, sizeof h, e);
    if (err == WCTR_OK) err = put(w, pax, total, e);
    if (err == WCTR_OK) err = zeros(w, (IMG_TAR_BLOCK - total % IMG_TAR_BLOCK) % IMG_TAR_BLOCK, e);
    if (err != WCTR_OK) goto done;
  }
  char h[IMG_TAR_BLOCK];
  const char *ustar_name = name;
  size_t ustar_len = len;
  char safe[NAME_LEN + 1];
  if (need_path) {
    /* The ustar field keeps an ASCII stand-in; readers take the PAX path. */
    size_t k = 0;
    for (size_t i = 0; i < len && k < NAME_LEN; i++) safe[k++] = (unsigned char)name[i] < 0x80 ? name[i] : '_';
    if (entry->dir && k == NAME_LEN) safe[NAME_LEN - 1] = '/';
    safe[k] = '\0';
    ustar_name = safe;
    ustar_len = k;
  }
  header(h, ustar_name, ustar_len, entry->dir ? '5' : '0', size, entry->mode, entry->mtime);
  err = put(w, h, sizeof h, e);
  if (err != WCTR_OK) goto done;
  w->in_entry = true;
  w->remaining = size;
  w->body = size;
  snprintf(w->current, sizeof w->current, "%s", name);
done:
  free(pax);
  free(name); /* a refusal before any output leaves the writer usable; put() marks a failed output */
  return err;
}

wctr_err img_tarw_write(img_tarw *w, const void *data, size_t len, wctr_errmsg *e) {
  if (w->failed || w->ended || !w->in_entry) {
    return wctr_fail(e, WCTR_ESTATE, "no archive entry is open for its body");
  }
  if (len > w->remaining) {
    w->failed = true;
    return wctr_fail(e, WCTR_EINVAL, "entry %s: more body than its size (%" PRIu64 " bytes)", w->current, w->body);
  }
  wctr_err err = put(w, data, len, e);
  if (err == WCTR_OK) w->remaining -= len;
  return err;
}

wctr_err img_tarw_finish(img_tarw *w, wctr_errmsg *e) {
  if (w->failed || w->ended) return wctr_fail(e, WCTR_ESTATE, "the archive failed or already ended");
  if (w->in_entry && w->remaining > 0) {
    w->failed = true;
    return wctr_fail(e, WCTR_EINVAL, "entry %s: %" PRIu64 " bytes of its body were not written", w->current,
                     w->remaining);
  }
  wctr_err err = WCTR_OK;
  if (w->in_entry) err = zeros(w, (size_t)((IMG_TAR_BLOCK - w->body % IMG_TAR_BLOCK) % IMG_TAR_BLOCK), e);
  w->in_entry = false;
  if (err == WCTR_OK) err = zeros(w, 2 * IMG_TAR_BLOCK, e);
  if (err == WCTR_OK) w->ended = true;
  return err;
}
