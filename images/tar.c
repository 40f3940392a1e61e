/* images/tar.c - the streaming layer tar reader (portable). Contract: images/tar.h. */
#include "images/tar.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "common/base64.h"
#include "images/gzip.h"

#define BUF_SIZE (256u * 1024u)
#define XATTR_PREFIX "MSWINDOWS.xattr."
#define FILETIME_1970 INT64_C(116444736000000000)

/* What the headers of one entry say, as they arrive: owned strings, later records win. */
typedef struct meta {
  char *path;
  char *linkpath;
  char *gnu_name;
  char *gnu_link;
  bool has_size;
  uint64_t size;
  img_tar_time mtime, atime, ctime, creation;
  bool has_fileattr;
  uint32_t fileattr;
  uint8_t *rawsd;
  size_t rawsd_len;
  char *sddl;
  bool mountpoint;
  img_tar_xattr *xattrs; /* names and values owned (cast away const when freed) */
  size_t xattr_count;
} meta;

struct img_tar {
  img_tar_read_fn read;
  void *ctx;
  img_gunzip *gz;  /* gzip: the stream inflated (images/gzip.h); NULL for a plain tar */
  bool source_failed; /* the read callback failed (its error is passed on as it is) */
  uint8_t *buf;
  size_t pos, len;
  bool eof;          /* the uncompressed stream has ended */
  uint64_t consumed; /* uncompressed bytes taken by the parser */
  uint64_t length;   /* uncompressed bytes produced (and hashed) */
  img_hash *hash;
  bool broken;       /* an error happened: nothing more is read */
  bool ended;        /* the end of the archive was seen */
  bool finished;
  meta m;
  img_tar_entry entry;
  bool has_entry;
  uint64_t remaining; /* body bytes of the current entry not yet read */
  uint64_t padding;   /* then this many bytes up to the next block */
};

static void meta_clear(meta *m) {
  free(m->path);
  free(m->linkpath);
  free(m->gnu_name);
  free(m->gnu_link);
  free(m->rawsd);
  free(m->sddl);
  for (size_t i = 0; i < m->xattr_count; i++) {
    free((char *)m->xattrs[i].name);
    free((uint8_t *)m->xattrs[i].value);
  }
  free(m->xattrs);
  memset(m, 0, sizeof *m);
}

void img_tar_free(img_tar *t) {
  if (t == NULL) return;
  img_gunzip_free(t->gz);
  meta_clear(&t->m);
  img_hash_free(t->hash);
  free(t->buf);
  free(t);
}

/* The gzip reader's source: the caller's, noting a failure of its own. */
static wctr_err gz_source(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  img_tar *t = ctx;
  wctr_err err = t->read(t->ctx, buf, size, got, e);
  if (err != WCTR_OK) t->source_failed = true;
  return err;
}

wctr_err img_tar_open(img_tar_read_fn read, void *ctx, bool gzip, img_tar **out, wctr_errmsg *e) {
  *out = NULL;
  img_tar *t = calloc(1, sizeof *t);
  wctr_err err = t != NULL ? WCTR_OK : WCTR_ENOMEM;
  if (err == WCTR_OK) {
    t->read = read;
    t->ctx = ctx;
    t->buf = malloc(BUF_SIZE);
    if (t->buf == NULL) err = WCTR_ENOMEM;
  }
  if (err == WCTR_OK) err = img_hash_new(&t->hash);
  wctr_errmsg ignored;
  if (err == WCTR_OK && gzip) err = img_gunzip_new(gz_source, t, &t->gz, &ignored);
  if (err != WCTR_OK) {
    img_tar_free(t);
    return wctr_fail(e, err, "cannot start reading the layer: %s", wctr_strerror(err));
  }
  *out = t;
  return WCTR_OK;
}

static wctr_err broken(img_tar *t, wctr_errmsg *e, wctr_err code, const char *what) {
  t->broken = true;
  return wctr_fail(e, code, "layer tar at byte %llu: %s", (unsigned long long)t->consumed, what);
}

/* Decompresses up to size bytes into dst; *got 0 only at the end of the last member. The gzip reader's
 * sentence gets the tar's place; an error of the source comes back as it is. */
static wctr_err inflate_some(img_tar *t, uint8_t *dst, size_t size, size_t *got, wctr_errmsg *e) {
  wctr_errmsg why;
  wctr_errmsg_clear(&why);
  wctr_err err = img_gunzip_read(t->gz, dst, size, got, &why);
  if (err == WCTR_OK) return WCTR_OK;
  t->broken = true;
  if (t->source_failed) return wctr_fail(e, err, "%s", why.text);
  return broken(t, e, err, why.text);
}

/* Produces up to size bytes of the uncompressed stream into dst, hashing them. */
static wctr_err produce(img_tar *t, uint8_t *dst, size_t size, size_t *got, wctr_errmsg *e) {
  *got = 0;
  if (t->eof) return WCTR_OK;
  wctr_err err = WCTR_OK;
  size_t n = 0;
  if (t->gz != NULL) {
    err = inflate_some(t, dst, size, &n, e);
  } else {
    err = t->read(t->ctx, dst, size, &n, e);
    if (err != WCTR_OK) t->broken = true;
  }
  if (err != WCTR_OK) return err;
  if (n == 0) t->eof = true;
  img_hash_update(t->hash, dst, n);
  t->length += n;
  *got = n;
  return WCTR_OK;
}

/* Takes up to size bytes (dst NULL: discards them); *got < size only at the end of the stream. */
static wctr_err take(img_tar *t, uint8_t *dst, size_t size, size_t *got, wctr_errmsg *e) {
  size_t done = 0;
  while (done < size) {
    if (t->pos == t->len) {
      size_t want = size - done;
      /* Large reads skip the buffer. */
      if (dst != NULL && want >= BUF_SIZE / 2) {
        size_t n = 0;
        wctr_err err = produce(t, dst + done, want, &n, e);
        if (err != WCTR_OK) return err;
        if (n == 0) break;
        done += n;
        t->consumed += n;
        continue;
      }
      size_t n = 0;
      wctr_err err = produce(t, t->buf, BUF_SIZE, &n, e);
      if (err != WCTR_OK) return err;
      t->pos = 0;
      t->len = n;
      if (n == 0) break;
    }
    size_t n = t->len - t->pos;
    if (n > size - done) n = size - done;
    if (dst != NULL) memcpy(dst + done, t->buf + t->pos, n);
    t->pos += n;
    done += n;
    t->consumed += n;
  }
  *got = done;
  return WCTR_OK;
}

static wctr_err skip(img_tar *t, uint64_t n, wctr_errmsg *e) {
  while (n > 0) {
    size_t chunk = n > BUF_SIZE ? BUF_SIZE : (size_t)n;
    size_t got = 0;
    wctr_err err = take(t, NULL, chunk, &got, e);
    if (err != WCTR_OK) return err;
    if (got < chunk) return broken(t, e, WCTR_EINVAL, "the stream ends inside an entry");
    n -= got;
  }
  return WCTR_OK;
}

/* --- header fields ------------------------------------------------------------------------------------- */

/* An octal field (leading spaces or NULs, then digits, then spaces or NULs; empty is 0) or a base-256 one
 * (first byte 0x80 positive, 0xff negative). */
static bool number(const uint8_t *p, size_t n, bool allow_negative, int64_t *out) {
  if (p[0] == 0x80 || p[0] == 0xff) {
    bool neg = p[0] == 0xff;
    if (neg && !allow_negative) return false;
    uint64_t v = 0;
    for (size_t i = 1; i < n; i++) {
      uint8_t b = neg ? (uint8_t)~p[i] : p[i];
      if (v >> 55) return false;
      v = v << 8 | b;
    }
    if (v > (uint64_t)INT64_MAX) return false;
    *out = neg ? -(int64_t)v - 1 : (int64_t)v;
    return true;
  }
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\0')) i++;
  uint64_t v = 0;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
    if (v >> 60) return false;
    v = v * 8 + (uint64_t)(p[i] - '0');
  }
  for (; i < n; i++) {
    if (p[i] != ' ' && p[i] != '\0') return false;
  }
  *out = (int64_t)v;
  return true;
}

static bool checksum_ok(const uint8_t *h) {
  int64_t want = 0;
  if (!number(h + 148, 8, false, &want)) return false;
  int64_t usum = 0;
  int64_t ssum = 0;
  for (size_t i = 0; i < IMG_TAR_BLOCK; i++) {
    uint8_t b = (i >= 148 && i < 156) ? (uint8_t)' ' : h[i];
    usum += b;
    ssum += (int8_t)b;
  }
  /* Some old writers summed signed bytes; Go accepts either. */
  return want == usum || want == ssum;
}

static bool all_zero(const uint8_t *h) {
  for (size_t i = 0; i < IMG_TAR_BLOCK; i++) {
    if (h[i] != 0) return false;
  }
  return true;
}

static size_t field_len(const uint8_t *p, size_t n) {
  size_t len = 0;
  while (len < n && p[len] != '\0') len++;
  return len;
}

static char *dup_bytes(const void *p, size_t n) {
  char *s = malloc(n + 1);
  if (s == NULL) return NULL;
  memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

/* --- PAX records --------------------------------------------------------------------------------------- */

static bool decimal_u64(const char *s, size_t n, uint64_t max, uint64_t *out) {
  if (n == 0 || n > 20) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = (uint64_t)(s[i] - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* "[-]SECONDS[.FRACTION]" as Go's parsePAXTime reads it (at most 9 fraction digits count). */
static bool pax_time(const char *s, size_t n, img_tar_time *out) {
  bool neg = n > 0 && s[0] == '-';
  size_t i = neg ? 1 : 0;
  const char *dot = memchr(s + i, '.', n - i);
  size_t secs_len = dot != NULL ? (size_t)(dot - (s + i)) : n - i;
  uint64_t secs = 0;
  if (!decimal_u64(s + i, secs_len, (uint64_t)INT64_MAX / 2, &secs)) return false;
  uint32_t nsec = 0;
  if (dot != NULL) {
    size_t frac_len = n - i - secs_len - 1;
    if (frac_len == 0) return false;
    for (size_t k = 0; k < frac_len; k++) {
      char c = dot[1 + k];
      if (c < '0' || c > '9') return false;
      if (k < 9) nsec = nsec * 10 + (uint32_t)(c - '0');
    }
    for (size_t k = frac_len; k < 9; k++) nsec *= 10;
  }
  int64_t sec = (int64_t)secs;
  if (neg) {
    sec = -sec;
    if (nsec > 0) {
      sec -= 1;
      nsec = 1000000000u - nsec;
    }
  }
  out->set = true;
  out->sec = sec;
  out->nsec = nsec;
  return true;
}

static bool key_is(const char *k, size_t klen, const char *want) {
  return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

static wctr_err set_string(img_tar *t, char **slot, const char *v, size_t vlen, const char *key, wctr_errmsg *e) {
  if (memchr(v, '\0', vlen) != NULL || vlen > IMG_TAR_MAX_NAME) {
    char what[96];
    snprintf(what, sizeof what, "PAX record %s is longer than %u bytes or holds a NUL", key, IMG_TAR_MAX_NAME);
    return broken(t, e, WCTR_EINVAL, what);
  }
  char *s = dup_bytes(v, vlen);
  if (s == NULL) return broken(t, e, WCTR_ENOMEM, "out of memory");
  free(*slot);
  *slot = s;
  return WCTR_OK;
}

static wctr_err bad_record(img_tar *t, const char *key, size_t klen, const char *why, wctr_errmsg *e) {
  char what[200];
  snprintf(what, sizeof what, "PAX record %.*s %s", (int)(klen > 80 ? 80 : klen), key, why);
  return broken(t, e, WCTR_EINVAL, what);
}

static wctr_err base64_value(img_tar *t, const char *key, size_t klen, const char *v, size_t vlen, uint8_t **out,
                             size_t *out_len, wctr_errmsg *e) {
  wctr_errmsg ignored;
  wctr_err err = wctr_base64_decode(v, vlen, out, out_len, "value", &ignored);
  if (err == WCTR_ENOMEM) return broken(t, e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) return bad_record(t, key, klen, "is not base64", e);
  return WCTR_OK;
}

static wctr_err pax_xattr(img_tar *t, const char *k, size_t klen, const char *v, size_t vlen, wctr_errmsg *e) {
  meta *m = &t->m;
  size_t plen = strlen(XATTR_PREFIX);
  const char *name = k + plen;
  size_t nlen = klen - plen;
  if (nlen == 0) return bad_record(t, k, klen, "names no attribute", e);
  uint8_t *value = NULL;
  size_t len = 0;
  wctr_err err = base64_value(t, k, klen, v, vlen, &value, &len, e);
  if (err != WCTR_OK) return err;
  for (size_t i = 0; i < m->xattr_count; i++) {
    if (strlen(m->xattrs[i].name) == nlen && memcmp(m->xattrs[i].name, name, nlen) == 0) {
      free((uint8_t *)m->xattrs[i].value);
      m->xattrs[i].value = value;
      m->xattrs[i].len = len;
      return WCTR_OK;
    }
  }
  img_tar_xattr *grown = realloc(m->xattrs, (m->xattr_count + 1) * sizeof *grown);
  char *copy = dup_bytes(name, nlen);
  if (grown != NULL) m->xattrs = grown;
  if (grown == NULL || copy == NULL) {
    free(copy);
    free(value);
    return broken(t, e, WCTR_ENOMEM, "out of memory");
  }
  m->xattrs[m->xattr_count++] = (img_tar_xattr){.name = copy, .value = value, .len = len};
  return WCTR_OK;
}

static wctr_err pax_record(img_tar *t, const char *k, size_t klen, const char *v, size_t vlen, wctr_errmsg *e) {
  meta *m = &t->m;
  if (key_is(k, klen, "path")) return set_string(t, &m->path, v, vlen, "path", e);
  if (key_is(k, klen, "linkpath")) return set_string(t, &m->linkpath, v, vlen, "linkpath", e);
  if (key_is(k, klen, "size")) {
    if (!decimal_u64(v, vlen, (uint64_t)INT64_MAX, &m->size)) return bad_record(t, k, klen, "is not a size", e);
    m->has_size = true;
    return WCTR_OK;
  }
  img_tar_time *slot = key_is(k, klen, "mtime")                     ? &m->mtime
                       : key_is(k, klen, "atime")                   ? &m->atime
                       : key_is(k, klen, "ctime")                   ? &m->ctime
                       : key_is(k, klen, "LIBARCHIVE.creationtime") ? &m->creation
                                                                    : NULL;
  if (slot != NULL) return pax_time(v, vlen, slot) ? WCTR_OK : bad_record(t, k, klen, "is not a time", e);
  if (key_is(k, klen, "MSWINDOWS.fileattr")) {
    uint64_t a = 0;
    if (!decimal_u64(v, vlen, UINT32_MAX, &a)) return bad_record(t, k, klen, "is not a 32-bit decimal number", e);
    m->fileattr = (uint32_t)a;
    m->has_fileattr = true;
    return WCTR_OK;
  }
  if (key_is(k, klen, "MSWINDOWS.rawsd")) {
    free(m->rawsd);
    m->rawsd = NULL;
    return base64_value(t, k, klen, v, vlen, &m->rawsd, &m->rawsd_len, e);
  }
  if (key_is(k, klen, "MSWINDOWS.sd")) return set_string(t, &m->sddl, v, vlen, "MSWINDOWS.sd", e);
  if (key_is(k, klen, "MSWINDOWS.mountpoint")) {
    m->mountpoint = true;
    return WCTR_OK;
  }
  if (klen >= strlen(XATTR_PREFIX) && memcmp(k, XATTR_PREFIX, strlen(XATTR_PREFIX)) == 0) {
    return pax_xattr(t, k, klen, v, vlen, e);
  }
  if (klen > 11 && memcmp(k, "GNU.sparse.", 11) == 0) {
    return broken(t, e, WCTR_ENOTSUP, "sparse files (GNU.sparse PAX records) are not supported in a layer");
  }
  return WCTR_OK; /* uid, gid, uname, gname, SCHILY.*, comment...: nothing a Windows layer uses */
}

/* "LEN key=value\n" records, LEN counting the whole record. apply: false for a global header (checked,
 * then ignored). */
static wctr_err pax_parse(img_tar *t, const char *data, size_t len, bool apply, wctr_errmsg *e) {
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    uint64_t rec = 0;
    while (j < len && j - i < 8 && data[j] >= '0' && data[j] <= '9') rec = rec * 10 + (uint64_t)(data[j++] - '0');
    if (j == i || j >= len || data[j] != ' ' || rec < 5 || rec > len - i || data[i + rec - 1] != '\n') {
      return broken(t, e, WCTR_EINVAL, "a PAX extended header has a malformed record");
    }
    const char *kv = data + j + 1;
    size_t kvlen = (size_t)(i + rec - 1 - (j + 1));
    const char *eq = memchr(kv, '=', kvlen);
    if (eq == NULL || eq == kv || memchr(kv, '\0', (size_t)(eq - kv)) != NULL) {
      return broken(t, e, WCTR_EINVAL, "a PAX extended header has a record without a key");
    }
    size_t klen = (size_t)(eq - kv);
    if (apply) {
      wctr_err err = pax_record(t, kv, klen, eq + 1, kvlen - klen - 1, e);
      if (err != WCTR_OK) return err;
    }
    i += (size_t)rec;
  }
  return WCTR_OK;
}

/* The body of a metadata header ('x', 'g', 'L', 'K'), whole, NUL-terminated; *out malloc'ed. */
static wctr_err meta_body(img_tar *t, int64_t size, char kind, char **out, size_t *len, wctr_errmsg *e) {
  *out = NULL;
  if (size < 0 || (uint64_t)size > IMG_TAR_MAX_META) {
    char what[120];
    snprintf(what, sizeof what, "a '%c' extended header of %lld bytes is larger than the %u allowed", kind,
             (long long)size, IMG_TAR_MAX_META);
    return broken(t, e, WCTR_ETOOBIG, what);
  }
  char *body = malloc((size_t)size + 1);
  if (body == NULL) return broken(t, e, WCTR_ENOMEM, "out of memory");
  size_t got = 0;
  wctr_err err = take(t, (uint8_t *)body, (size_t)size, &got, e);
  if (err == WCTR_OK && got < (size_t)size) err = broken(t, e, WCTR_EINVAL, "the stream ends inside an extended header");
  uint64_t pad = (IMG_TAR_BLOCK - (uint64_t)size % IMG_TAR_BLOCK) % IMG_TAR_BLOCK;
  if (err == WCTR_OK) err = skip(t, pad, e);
  if (err != WCTR_OK) {
    free(body);
    return err;
  }
  body[size] = '\0';
  *out = body;
  *len = (size_t)size;
  return WCTR_OK;
}

/* A GNU long name: the body up to its first NUL. */
static wctr_err gnu_long(img_tar *t, char *body, size_t len, char **slot, wctr_errmsg *e) {
  size_t n = strnlen(body, len);
  if (n == 0 || n > IMG_TAR_MAX_NAME) {
    free(body);
    return broken(t, e, WCTR_EINVAL, "a GNU long name is empty or too long");
  }
  body[n] = '\0';
  free(*slot);
  *slot = body;
  return WCTR_OK;
}

/* --- entries ------------------------------------------------------------------------------------------- */

static img_tar_kind kind_of(char type, const char *name) {
  switch (type) {
    case '0':
    case '7':
      return IMG_TAR_FILE;
    case '\0': {
      size_t n = strlen(name);
      return n > 0 && name[n - 1] == '/' ? IMG_TAR_DIR : IMG_TAR_FILE;
    }
    case '1':
      return IMG_TAR_LINK;
    case '2':
      return IMG_TAR_SYMLINK;
    case '3':
    case '4':
    case '6':
      return IMG_TAR_DEVICE;
    case '5':
      return IMG_TAR_DIR;
    default:
      return IMG_TAR_OTHER;
  }
}

/* Builds the entry from its ustar header h and the metadata gathered before it. */
static wctr_err make_entry(img_tar *t, const uint8_t *h, uint64_t offset, wctr_errmsg *e) {
  meta *m = &t->m;
  img_tar_entry *en = &t->entry;
  memset(en, 0, sizeof *en);
  en->offset = offset;
  en->typeflag = (char)h[156];
  int64_t size = 0;
  int64_t mode = 0;
  int64_t mtime = 0;
  if (!number(h + 124, 12, false, &size)) return broken(t, e, WCTR_EINVAL, "the size field is not a number");
  if (!number(h + 100, 8, false, &mode)) return broken(t, e, WCTR_EINVAL, "the mode field is not a number");
  if (!number(h + 136, 12, true, &mtime)) return broken(t, e, WCTR_EINVAL, "the mtime field is not a number");
  /* The name: PAX path, else a GNU long name, else ustar's prefix/name. */
  if (m->path == NULL && m->gnu_name == NULL) {
    size_t nlen = field_len(h, 100);
    bool posix = memcmp(h + 257, "ustar\0", 6) == 0;
    size_t plen = posix ? field_len(h + 345, 155) : 0;
    char *name = malloc(plen + 1 + nlen + 1);
    if (name == NULL) return broken(t, e, WCTR_ENOMEM, "out of memory");
    size_t at = 0;
    if (plen > 0) {
      memcpy(name, h + 345, plen);
      name[plen] = '/';
      at = plen + 1;
    }
    memcpy(name + at, h, nlen);
    name[at + nlen] = '\0';
    m->path = name;
  } else if (m->path == NULL) {
    m->path = m->gnu_name;
    m->gnu_name = NULL;
  }
  if (m->linkpath == NULL && m->gnu_link == NULL) {
    m->linkpath = dup_bytes(h + 157, field_len(h + 157, 100));
    if (m->linkpath == NULL) return broken(t, e, WCTR_ENOMEM, "out of memory");
  } else if (m->linkpath == NULL) {
    m->linkpath = m->gnu_link;
    m->gnu_link = NULL;
  }
  if (m->path[0] == '\0') return broken(t, e, WCTR_EINVAL, "an entry has an empty name");
  en->name = m->path;
  en->linkname = m->linkpath;
  en->kind = kind_of(en->typeflag, en->name);
  en->mode = (uint32_t)(mode & 07777777);
  uint64_t body = m->has_size ? m->size : (uint64_t)size;
  /* Header-only types carry no body, whatever their size says (Go's isHeaderOnlyType). */
  if (en->kind == IMG_TAR_LINK || en->kind == IMG_TAR_SYMLINK || en->kind == IMG_TAR_DEVICE ||
      en->kind == IMG_TAR_DIR) {
    body = 0;
  }
  en->size = body;
  en->mtime = m->mtime.set ? m->mtime : (img_tar_time){.set = true, .sec = mtime};
  en->atime = m->atime;
  en->ctime = m->ctime;
  en->creation = m->creation;
  en->has_fileattr = m->has_fileattr;
  en->fileattr = m->fileattr;
  en->rawsd = m->rawsd;
  en->rawsd_len = m->rawsd_len;
  en->sddl = m->sddl;
  en->mountpoint = m->mountpoint;
  en->xattrs = m->xattrs;
  en->xattr_count = m->xattr_count;
  t->remaining = body;
  t->padding = (IMG_TAR_BLOCK - body % IMG_TAR_BLOCK) % IMG_TAR_BLOCK;
  t->has_entry = true;
  return WCTR_OK;
}

wctr_err img_tar_next(img_tar *t, const img_tar_entry **entry, wctr_errmsg *e) {
  *entry = NULL;
  if (t->broken) return wctr_fail(e, WCTR_ESTATE, "the layer tar reader failed before");
  if (t->ended) return WCTR_OK;
  wctr_err err = WCTR_OK;
  if (t->has_entry) {
    err = skip(t, t->remaining + t->padding, e);
    if (err != WCTR_OK) return err;
    t->has_entry = false;
    t->remaining = t->padding = 0;
  }
  meta_clear(&t->m);
  uint8_t h[IMG_TAR_BLOCK];
  uint64_t first = t->consumed;
  for (;;) {
    uint64_t at = t->consumed;
    size_t got = 0;
    err = take(t, h, IMG_TAR_BLOCK, &got, e);
    if (err != WCTR_OK) return err;
    if (got == 0 && at == first) { /* the stream ends at a header's boundary */
      t->ended = true;
      return WCTR_OK;
    }
    if (got < IMG_TAR_BLOCK) return broken(t, e, WCTR_EINVAL, "the stream ends inside a header");
    if (all_zero(h)) {
      if (at != first) return broken(t, e, WCTR_EINVAL, "an extended header is followed by the end of the archive");
      err = take(t, h, IMG_TAR_BLOCK, &got, e);
      if (err != WCTR_OK) return err;
      if (got != 0 && (got < IMG_TAR_BLOCK || !all_zero(h))) {
        return broken(t, e, WCTR_EINVAL, "a zero block is followed by more entries");
      }
      t->ended = true;
      return WCTR_OK;
    }
    if (!checksum_ok(h)) return broken(t, e, WCTR_EINVAL, "a header's checksum does not match");
    char type = (char)h[156];
    int64_t size = 0;
    if (!number(h + 124, 12, false, &size)) return broken(t, e, WCTR_EINVAL, "the size field is not a number");
    char *body = NULL;
    size_t len = 0;
    switch (type) {
      case 'x':
      case 'g':
        err = meta_body(t, size, type, &body, &len, e);
        if (err == WCTR_OK) err = pax_parse(t, body, len, type == 'x', e);
        free(body);
        if (err != WCTR_OK) return err;
        continue;
      case 'L':
      case 'K':
        err = meta_body(t, size, type, &body, &len, e);
        if (err == WCTR_OK) err = gnu_long(t, body, len, type == 'L' ? &t->m.gnu_name : &t->m.gnu_link, e);
        if (err != WCTR_OK) return err;
        continue;
      case 'S':
        return broken(t, e, WCTR_ENOTSUP, "sparse files (GNU type 'S') are not supported in a layer");
      case 'M':
      case 'V':
        return broken(t, e, WCTR_ENOTSUP, "multi-volume archives are not supported");
      default:
        break;
    }
    err = make_entry(t, h, first, e);
    if (err != WCTR_OK) return err;
    *entry = &t->entry;
    return WCTR_OK;
  }
}

wctr_err img_tar_read(img_tar *t, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  *got = 0;
  if (t->broken) return wctr_fail(e, WCTR_ESTATE, "the layer tar reader failed before");
  if (!t->has_entry || t->remaining == 0) return WCTR_OK;
  if (size > t->remaining) size = (size_t)t->remaining;
  size_t n = 0;
  wctr_err err = take(t, buf, size, &n, e);
  if (err != WCTR_OK) return err;
  if (n < size) return broken(t, e, WCTR_EINVAL, "the stream ends inside an entry's body");
  t->remaining -= n;
  *got = n;
  return WCTR_OK;
}

wctr_err img_tar_finish(img_tar *t, char digest[IMG_DIGEST_MAX], uint64_t *length, wctr_errmsg *e) {
  if (t->broken) return wctr_fail(e, WCTR_ESTATE, "the layer tar reader failed before");
  if (!t->ended || t->finished) return wctr_fail(e, WCTR_ESTATE, "the layer tar was not read to its end");
  /* Whatever follows the end-of-archive blocks is part of the diff id too. */
  while (!t->eof) {
    size_t got = 0;
    wctr_err err = produce(t, t->buf, BUF_SIZE, &got, e);
    if (err != WCTR_OK) return err;
  }
  t->pos = t->len = 0;
  t->finished = true;
  img_hash_final(t->hash, digest);
  if (length != NULL) *length = t->length;
  return WCTR_OK;
}

int64_t img_tar_filetime(const img_tar_time *t) {
  if (!t->set) return 0;
  /* 100 ns units since 1601; times outside what a FILETIME holds become 0 or the largest. */
  const int64_t max_sec = (INT64_MAX - FILETIME_1970) / 10000000 - 1;
  const int64_t min_sec = -(FILETIME_1970 / 10000000);
  if (t->sec < min_sec) return 0;
  if (t->sec > max_sec) return INT64_MAX;
  int64_t v = t->sec * 10000000 + (int64_t)(t->nsec / 100) + FILETIME_1970;
  return v < 0 ? 0 : v;
}
