/* images/wclayer.c - a Windows layer tar as the operations that write it (portable). Contract:
 * images/wclayer.h. */
#include "images/wclayer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COPY_SIZE (256u * 1024u)
#define SHOWN 160
#define WHITEOUT ".wh."

/* --- a set of layer paths, compared as Windows compares names (ASCII case folded) ------------------------ */

enum { SEEN_FILE = 1, SEEN_DIR = 2, SEEN_LINK = 3 };

typedef struct pslot {
  char *key;
  uint64_t hash;
  int kind;
} pslot;

typedef struct pset {
  pslot *slots;
  size_t cap; /* a power of two */
  size_t count;
} pset;

static unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c; }

static uint64_t path_hash(const char *s, size_t n) {
  uint64_t h = UINT64_C(1469598103934665603);
  for (size_t i = 0; i < n; i++) h = (h ^ fold((unsigned char)s[i])) * UINT64_C(1099511628211);
  return h;
}

static bool same_path(const char *a, const char *b, size_t n) {
  if (strlen(a) != n) return false;
  for (size_t i = 0; i < n; i++) {
    if (fold((unsigned char)a[i]) != fold((unsigned char)b[i])) return false;
  }
  return true;
}

static void pset_free(pset *s) {
  for (size_t i = 0; i < s->cap; i++) free(s->slots[i].key);
  free(s->slots);
  memset(s, 0, sizeof *s);
}

/* The kind recorded for the first n bytes of path, 0 when absent. */
static int pset_get(const pset *s, const char *path, size_t n) {
  if (s->cap == 0) return 0;
  uint64_t h = path_hash(path, n);
  for (size_t i = (size_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
    const pslot *p = &s->slots[i];
    if (p->key == NULL) return 0;
    if (p->hash == h && same_path(p->key, path, n)) return p->kind;
  }
}

static bool pset_put(pset *s, const char *path, int kind) {
  if ((s->count + 1) * 2 > s->cap) {
    size_t cap = s->cap == 0 ? 256 : s->cap * 2;
    pslot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL) return false;
    for (size_t i = 0; i < s->cap; i++) {
      if (s->slots[i].key == NULL) continue;
      size_t j = (size_t)s->slots[i].hash & (cap - 1);
      while (slots[j].key != NULL) j = (j + 1) & (cap - 1);
      slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
  }
  size_t n = strlen(path);
  uint64_t h = path_hash(path, n);
  size_t i = (size_t)h & (s->cap - 1);
  while (s->slots[i].key != NULL) {
    if (s->slots[i].hash == h && same_path(s->slots[i].key, path, n)) {
      s->slots[i].kind = kind;
      return true;
    }
    i = (i + 1) & (s->cap - 1);
  }
  char *key = malloc(n + 1);
  if (key == NULL) return false;
  memcpy(key, path, n + 1);
  s->slots[i] = (pslot){.key = key, .hash = h, .kind = kind};
  s->count++;
  return true;
}

/* --- names ----------------------------------------------------------------------------------------------- */

/* A name for a message: at most SHOWN bytes, control characters as '?'. */
static const char *shown(const char *name, char out[SHOWN + 4]) {
  size_t n = 0;
  for (; name[n] != '\0' && n < SHOWN; n++) out[n] = (unsigned char)name[n] < 0x20 ? '?' : name[n];
  if (name[n] != '\0') {
    memcpy(out + n, "...", 3);
    n += 3;
  }
  out[n] = '\0';
  return out;
}

static wctr_err bad_name(const char *name, const char *why, wctr_errmsg *e) {
  char s[SHOWN + 4];
  return wctr_fail(e, WCTR_EINVAL, "layer entry \"%s\" %s: refused", shown(name, s), why);
}

static bool utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1fu) : len == 3 ? (c & 0x0fu) : (c & 0x07u);
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3fu);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

/* Does the component (n bytes) name a DOS device, with or without an extension? */
static bool device_name(const char *c, size_t n) {
  size_t base = 0;
  while (base < n && c[base] != '.') base++;
  while (base > 0 && c[base - 1] == ' ') base--;
  char up[8];
  if (base == 0 || base > 7) return false;
  for (size_t i = 0; i < base; i++) up[i] = (char)(c[i] >= 'a' && c[i] <= 'z' ? c[i] - 32 : c[i]);
  up[base] = '\0';
  static const char *const fixed[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", NULL};
  for (size_t i = 0; fixed[i] != NULL; i++) {
    if (strcmp(up, fixed[i]) == 0) return true;
  }
  return base == 4 && (memcmp(up, "COM", 3) == 0 || memcmp(up, "LPT", 3) == 0) && up[3] >= '0' && up[3] <= '9';
}

/* One component's characters (n bytes, no '/'); last: the name's last component (a stream may start). */
static const char *component_problem(const char *c, size_t n, bool last, bool stream, size_t *stream_at) {
  if (n == 0) return "has an empty component";
  if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return "has a \".\" or \"..\" component";
  size_t colon = n;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)c[i];
    if (ch < 0x20) return "has a control character";
    if (ch == '\\') return "has a backslash (a Windows layer's names use '/')";
    if (strchr("<>\"|?*", ch) != NULL) return "has a character Windows does not allow in names";
    if (ch == ':' && colon == n) colon = i;
  }
  if (colon < n) {
    if (!(stream && last)) return "has a ':' that is not an alternate data stream right after its file";
    if (colon == 0 || colon + 1 == n) return "names an empty file or stream";
    if (memchr(c + colon + 1, ':', n - colon - 1) != NULL) return "names a stream with a type";
    *stream_at = colon;
  }
  size_t base = colon;
  if (c[base - 1] == '.' || c[base - 1] == ' ') return "has a component ending in a dot or a space";
  if (device_name(c, base)) return "names a device";
  return NULL;
}

wctr_err img_wcl_layer_path(const char *name, bool stream, char *out, size_t size, wctr_errmsg *e) {
  size_t n = strlen(name);
  if (n == 0) return bad_name(name, "is empty", e);
  if (name[0] == '/') return bad_name(name, "is an absolute path", e);
  if (n >= 2 && name[n - 1] == '/') n--;
  if (n >= 2 && ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) && name[1] == ':') {
    return bad_name(name, "names a drive", e);
  }
  if (!utf8_valid((const unsigned char *)name, n)) return bad_name(name, "is not valid UTF-8", e);
  if (n >= size) return bad_name(name, "is too long", e);
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && name[j] != '/') j++;
    size_t stream_at = 0;
    const char *why = component_problem(name + i, j - i, j == n, stream, &stream_at);
    if (why != NULL) return bad_name(name, why, e);
    i = j + 1;
    if (j == n - 1) return bad_name(name, "has an empty component", e); /* "a//" left a trailing '/' */
  }
  for (size_t k = 0; k < n; k++) out[k] = name[k] == '/' ? '\\' : name[k];
  out[n] = '\0';
  return WCTR_OK;
}

/* Where a layer path lies. */
typedef enum where {
  AT_FILES_ROOT,
  AT_HIVES_ROOT,
  AT_UVM_ROOT,
  AT_UVM_FILES_ROOT,
  IN_FILES,
  IN_HIVES,       /* directly in Hives\ */
  IN_HIVES_DEEP,  /* deeper */
  IN_UVM_FILES,
  IN_UVM_OTHER,
  ELSEWHERE
} where;

static bool has_prefix(const char *p, const char *prefix) {
  size_t n = strlen(prefix);
  return strncmp(p, prefix, n) == 0 && p[n] == '\\';
}

static where where_is(const char *p) {
  if (strcmp(p, "Files") == 0) return AT_FILES_ROOT;
  if (strcmp(p, "Hives") == 0) return AT_HIVES_ROOT;
  if (strcmp(p, "UtilityVM") == 0) return AT_UVM_ROOT;
  if (strcmp(p, "UtilityVM\\Files") == 0) return AT_UVM_FILES_ROOT;
  if (has_prefix(p, "Files")) return IN_FILES;
  if (has_prefix(p, "Hives")) return strchr(p + 6, '\\') == NULL ? IN_HIVES : IN_HIVES_DEEP;
  if (has_prefix(p, "UtilityVM\\Files")) return IN_UVM_FILES;
  if (has_prefix(p, "UtilityVM")) return IN_UVM_OTHER;
  return ELSEWHERE;
}

static bool is_root(where w) {
  return w == AT_FILES_ROOT || w == AT_HIVES_ROOT || w == AT_UVM_ROOT || w == AT_UVM_FILES_ROOT;
}

/* --- stream pieces ---------------------------------------------------------------------------------------- */

/* UTF-8 (valid) to UTF-16LE bytes; *units the count of UTF-16 units. out NULL: counts only. */
static size_t utf16le(const char *s, uint8_t *out) {
  size_t units = 0;
  const unsigned char *u = (const unsigned char *)s;
  while (*u != '\0') {
    uint32_t cp = *u;
    size_t len = cp < 0x80 ? 1 : (cp & 0xe0) == 0xc0 ? 2 : (cp & 0xf0) == 0xe0 ? 3 : 4;
    cp = len == 1 ? cp : len == 2 ? (cp & 0x1fu) : len == 3 ? (cp & 0x0fu) : (cp & 0x07u);
    for (size_t k = 1; k < len && u[k] != '\0'; k++) cp = cp << 6 | (u[k] & 0x3fu);
    u += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      uint16_t hi = (uint16_t)(0xd800 + (cp >> 10));
      uint16_t lo = (uint16_t)(0xdc00 + (cp & 0x3ff));
      if (out != NULL) {
        out[units * 2] = (uint8_t)hi;
        out[units * 2 + 1] = (uint8_t)(hi >> 8);
        out[units * 2 + 2] = (uint8_t)lo;
        out[units * 2 + 3] = (uint8_t)(lo >> 8);
      }
      units += 2;
    } else {
      if (out != NULL) {
        out[units * 2] = (uint8_t)cp;
        out[units * 2 + 1] = (uint8_t)(cp >> 8);
      }
      units++;
    }
  }
  return units;
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

wctr_err img_wcl_stream_header(uint32_t id, uint64_t size, const char *name, uint8_t *out, size_t cap, size_t *len) {
  size_t units = name != NULL ? utf16le(name, NULL) : 0;
  size_t need = IMG_WCL_STREAM_HEADER + units * 2;
  if (need > cap) return WCTR_ETOOBIG;
  put32(out, id);
  put32(out + 4, 0);
  for (int i = 0; i < 8; i++) out[8 + i] = (uint8_t)(size >> (8 * i));
  put32(out + 16, (uint32_t)(units * 2));
  if (units > 0) utf16le(name, out + IMG_WCL_STREAM_HEADER);
  *len = need;
  return WCTR_OK;
}

wctr_err img_wcl_reparse_data(const char *target, bool mountpoint, uint8_t **out, size_t *len, wctr_errmsg *e) {
  *out = NULL;
  *len = 0;
  size_t n = strlen(target);
  char *print = malloc(n + 1);
  char *subst = malloc(n + 5);
  uint8_t *buf = NULL;
  wctr_err err = WCTR_OK;
  if (print == NULL || subst == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i <= n; i++) print[i] = target[i] == '/' ? '\\' : target[i];
  bool drive = n >= 2 && print[1] == ':';
  /* The NT form of a drive path; a relative (or rooted) target stays as it is, as Windows writes them. */
  snprintf(subst, n + 5, "%s%s", drive ? "\\??\\" : "", print);
  size_t su = utf16le(subst, NULL);
  size_t pu = utf16le(print, NULL);
  size_t fixed = mountpoint ? 8 : 12; /* offsets and lengths, and a symlink's flags */
  size_t data = fixed + (su + 1) * 2 + (pu + 1) * 2;
  if (8 + data > IMG_WCL_MAX_REPARSE) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the link target \"%.100s\" is too long for a reparse point", target);
    goto done;
  }
  buf = calloc(1, 8 + data);
  if (buf == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  put32(buf, mountpoint ? IMG_WCL_TAG_MOUNT_POINT : IMG_WCL_TAG_SYMLINK);
  put16(buf + 4, (uint32_t)data);
  /* The names are NUL-terminated in the buffer although they are counted. */
  put16(buf + 8, 0);
  put16(buf + 10, (uint32_t)(su * 2));
  put16(buf + 12, (uint32_t)((su + 1) * 2));
  put16(buf + 14, (uint32_t)(pu * 2));
  if (!mountpoint) put32(buf + 16, drive || print[0] == '\\' ? 0 : 1); /* SYMLINK_FLAG_RELATIVE */
  uint8_t *names = buf + 8 + fixed;
  utf16le(subst, names);
  utf16le(print, names + (su + 1) * 2);
  *out = buf;
  *len = 8 + data;
  buf = NULL;
done:
  free(print);
  free(subst);
  free(buf);
  return err;
}

static bool sid_valid(const uint8_t *sd, size_t len, uint32_t off) {
  if (off < 20 || off >= len || len - off < 8 || sd[off] != 1) return false;
  size_t n = sd[off + 1];
  return n <= 15 && 8 + 4 * n <= len - off;
}

static bool acl_valid(const uint8_t *sd, size_t len, uint32_t off) {
  if (off < 20 || off >= len || len - off < 8) return false;
  const uint8_t *acl = sd + off;
  uint32_t size = get16(acl + 2);
  uint32_t count = get16(acl + 4);
  if ((acl[0] != 2 && acl[0] != 4) || size < 8 || size > len - off) return false;
  uint32_t at = 8;
  for (uint32_t i = 0; i < count; i++) {
    if (size - at < 4) return false;
    uint32_t ace = get16(acl + at + 2);
    if (ace < 4 || ace % 4 != 0 || ace > size - at) return false;
    at += ace;
  }
  return true;
}

bool img_wcl_sd_valid(const uint8_t *sd, size_t len) {
  if (sd == NULL || len < 20 || len > 65536 * 4 || sd[0] != 1) return false;
  uint32_t control = get16(sd + 2);
  if (!(control & 0x8000)) return false; /* SE_SELF_RELATIVE */
  uint32_t owner = get32(sd + 4);
  uint32_t group = get32(sd + 8);
  uint32_t sacl = get32(sd + 12);
  uint32_t dacl = get32(sd + 16);
  if (owner != 0 && !sid_valid(sd, len, owner)) return false;
  if (group != 0 && !sid_valid(sd, len, group)) return false;
  if ((control & 0x10) && sacl != 0 && !acl_valid(sd, len, sacl)) return false; /* SE_SACL_PRESENT */
  if ((control & 0x4) && dacl != 0 && !acl_valid(sd, len, dacl)) return false;  /* SE_DACL_PRESENT */
  return true;
}

/* FILE_FULL_EA_INFORMATION entries of the xattr records, in the archive's order. */
static wctr_err ea_data(const img_tar_entry *en, const char *path, uint8_t **out, size_t *len, wctr_errmsg *e) {
  *out = NULL;
  *len = 0;
  size_t total = 0;
  char s[SHOWN + 4];
  for (size_t i = 0; i < en->xattr_count; i++) {
    const img_tar_xattr *x = &en->xattrs[i];
    size_t nl = strlen(x->name);
    bool printable = nl >= 1 && nl <= 255;
    for (size_t k = 0; printable && k < nl; k++) printable = x->name[k] > 0x20 && x->name[k] < 0x7f;
    if (!printable) {
      return wctr_fail(e, WCTR_EINVAL, "layer entry \"%s\": extended attribute \"%.40s\" is not named by 1-255 printable "
                                       "ASCII characters: refused", shown(path, s), x->name);
    }
    if (x->len > 65535) {
      return wctr_fail(e, WCTR_EINVAL, "layer entry \"%s\": extended attribute %s holds more than 65535 bytes: refused",
                       shown(path, s), x->name);
    }
    total += (8 + nl + 1 + x->len + 3) & ~(size_t)3;
  }
  if (total > IMG_WCL_MAX_EA) {
    return wctr_fail(e, WCTR_EINVAL, "layer entry \"%s\": its extended attributes pass 64 KiB: refused", shown(path, s));
  }
  if (total == 0) return WCTR_OK;
  uint8_t *buf = calloc(1, total);
  if (buf == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t at = 0;
  size_t last = 0;
  for (size_t i = 0; i < en->xattr_count; i++) {
    const img_tar_xattr *x = &en->xattrs[i];
    size_t nl = strlen(x->name);
    size_t entry = 8 + nl + 1 + x->len;
    size_t padded = (entry + 3) & ~(size_t)3;
    bool is_last = i + 1 == en->xattr_count;
    put32(buf + at, is_last ? 0 : (uint32_t)padded);
    buf[at + 4] = 0;
    buf[at + 5] = (uint8_t)nl;
    put16(buf + at + 6, (uint32_t)x->len);
    memcpy(buf + at + 8, x->name, nl);
    if (x->len > 0) memcpy(buf + at + 8 + nl + 1, x->value, x->len);
    last = at + entry;
    at += padded;
  }
  *out = buf;
  *len = last; /* the last entry is not padded */
  return WCTR_OK;
}

/* --- the walk --------------------------------------------------------------------------------------------- */

typedef struct walk {
  img_tar *t;
  const img_wcl_options *opt;
  const img_wcl_sink *sink;
  img_wcl_result *res;
  pset seen;    /* every path added, with its kind */
  pset links;   /* symbolic links and junctions made */
  uint8_t *buf;
  char path[IMG_TAR_MAX_NAME + 1];
  char raw[IMG_TAR_MAX_NAME + 1];   /* the current file's tar name, for its streams */
  char other[IMG_TAR_MAX_NAME + 1]; /* a link's target, a stream's path */
} walk;

static wctr_err refuse(const char *path, const char *why, wctr_errmsg *e) {
  char s[SHOWN + 4];
  return wctr_fail(e, WCTR_EINVAL, "layer entry \"%s\" %s: refused", shown(path, s), why);
}

/* Is any folder above path (or path itself, when self) a link this layer made? */
static bool under_link(const walk *w, const char *path, bool self) {
  if (w->links.count == 0) return false;
  for (size_t i = 0; path[i] != '\0'; i++) {
    if (path[i] == '\\' && pset_get(&w->links, path, i) != 0) return true;
  }
  return self && pset_get(&w->links, path, strlen(path)) != 0;
}

static wctr_err emit(walk *w, const void *data, size_t len, wctr_errmsg *e) {
  return len == 0 ? WCTR_OK : w->sink->write(w->sink->ctx, data, len, e);
}

static wctr_err emit_header(walk *w, uint32_t id, uint64_t size, const char *name, wctr_errmsg *e) {
  uint8_t h[IMG_WCL_STREAM_HEADER + 2 * 600];
  size_t len = 0;
  if (img_wcl_stream_header(id, size, name, h, sizeof h, &len) != WCTR_OK) {
    return refuse(w->path, "has a stream name that is too long", e);
  }
  return emit(w, h, len, e);
}

/* The body of the current tar entry as the data of a stream. */
static wctr_err emit_body(walk *w, uint64_t size, wctr_errmsg *e) {
  uint64_t left = size;
  while (left > 0) {
    size_t got = 0;
    wctr_err err = img_tar_read(w->t, w->buf, COPY_SIZE, &got, e);
    if (err != WCTR_OK) return err;
    if (got == 0) return refuse(w->path, "has less data than its size", e);
    err = emit(w, w->buf, got, e);
    if (err != WCTR_OK) return err;
    left -= got;
  }
  return WCTR_OK;
}

/* A symbolic link's or junction's target: inside the container's C: (see the header). root: the folder the
 * link's path is relative to ("Files" or "UtilityVM\Files"). */
static wctr_err check_target(walk *w, const char *target, bool mountpoint, const char *root, wctr_errmsg *e) {
  size_t n = strlen(target);
  if (n == 0) return refuse(w->path, "is a link without a target", e);
  if (n > 4096 || !utf8_valid((const unsigned char *)target, n)) return refuse(w->path, "has a link target that is too long or not UTF-8", e);
  const char *t = target;
  bool sep0 = t[0] == '\\' || t[0] == '/';
  if (sep0 && (t[1] == '\\' || t[1] == '/' || t[1] == '?')) return refuse(w->path, "is a link leading out of the layer (a UNC, device or NT path)", e);
  bool drive = n >= 2 && t[1] == ':';
  if (drive && t[0] != 'C' && t[0] != 'c') return refuse(w->path, "is a link leading out of the layer (another drive than C:)", e);
  if (drive && (n == 2 || (t[2] != '\\' && t[2] != '/'))) return refuse(w->path, "is a link with a drive-relative target", e);
  bool absolute = drive || sep0;
  if (mountpoint && !drive) return refuse(w->path, "is a junction whose target is not a path on C:", e);
  /* Relative targets resolve against the link's folder inside root; they must stay inside it. */
  long depth = 0;
  if (!absolute) {
    const char *p = w->path + strlen(root);
    for (; *p != '\0'; p++) {
      if (*p == '\\') depth++;
    }
    depth--; /* the link's own name */
  }
  size_t i = drive ? 3 : sep0 ? 1 : 0;
  while (i <= n) {
    size_t j = i;
    while (j < n && t[j] != '\\' && t[j] != '/') j++;
    size_t len = j - i;
    if (len == 0 && j < n) return refuse(w->path, "has a link target with an empty component", e);
    if (len == 2 && t[i] == '.' && t[i + 1] == '.') {
      if (!absolute && --depth < 0) return refuse(w->path, "is a link leading out of the layer (its target climbs above the root)", e);
    } else if (!(len == 1 && t[i] == '.') && len > 0) {
      for (size_t k = i; k < j; k++) {
        unsigned char c = (unsigned char)t[k];
        if (c < 0x20 || strchr("<>\"|?*:", c) != NULL) return refuse(w->path, "has a link target with a character Windows does not allow", e);
      }
      if (device_name(t + i, len)) return refuse(w->path, "is a link to a device", e);
      depth++;
    }
    i = j + 1;
  }
  return WCTR_OK;
}

static img_wcl_info info_of(const img_tar_entry *en) {
  img_wcl_info in = {0};
  in.last_write = img_tar_filetime(&en->mtime);
  in.last_access = img_tar_filetime(&en->atime);
  in.change = img_tar_filetime(&en->ctime);
  in.creation = en->creation.set ? img_tar_filetime(&en->creation) : in.last_write;
  if (en->has_fileattr) {
    in.attributes = en->fileattr;
  } else if (en->kind == IMG_TAR_DIR) {
    in.attributes = IMG_WCL_ATTR_DIRECTORY;
  } else if (en->kind == IMG_TAR_SYMLINK) {
    in.attributes = IMG_WCL_ATTR_REPARSE_POINT | (en->mountpoint ? IMG_WCL_ATTR_DIRECTORY : 0);
  }
  return in;
}

static wctr_err whiteout(walk *w, const char *last, wctr_errmsg *e) {
  if (w->opt->base) return refuse(w->path, "is a whiteout in a base layer (a base layer has nothing to delete)", e);
  const char *name = last + strlen(WHITEOUT);
  if (strncmp(name, WHITEOUT, strlen(WHITEOUT)) == 0) {
    return refuse(w->path, strcmp(name, WHITEOUT ".opq") == 0 ? "is an opaque whiteout, which only Linux layers have"
                                                              : "is an aufs whiteout entry, which only Linux layers have", e);
  }
  /* ".wh." alone cannot get here: a name ending in a dot is refused before. */
  /* The path of what is deleted: the whiteout's folder and the name after the prefix. */
  size_t dir = (size_t)(last - w->path);
  snprintf(w->other, sizeof w->other, "%.*s%s", (int)dir, w->path, name);
  if (where_is(w->other) != IN_FILES) return refuse(w->path, "is a whiteout outside Files", e);
  if (under_link(w, w->other, false)) return refuse(w->path, "is a whiteout under a link of this layer", e);
  return w->sink->remove(w->sink->ctx, w->other, e);
}

static wctr_err hard_link(walk *w, const img_tar_entry *en, wctr_errmsg *e) {
  where at = where_is(w->path);
  if (at != IN_FILES && at != IN_UVM_FILES) return refuse(w->path, "is a hard link outside Files and UtilityVM\\Files", e);
  wctr_err err = img_wcl_layer_path(en->linkname, false, w->other, sizeof w->other, e);
  if (err != WCTR_OK) return refuse(w->path, "is a hard link leading out of the layer (its target is not a layer path)", e);
  where to = where_is(w->other);
  if (to != IN_FILES && to != IN_UVM_FILES) return refuse(w->path, "is a hard link leading out of the layer (its target is not under Files or UtilityVM\\Files)", e);
  if (under_link(w, w->path, false) || under_link(w, w->other, true)) return refuse(w->path, "is a hard link through a link of this layer", e);
  int kind = pset_get(&w->seen, w->other, strlen(w->other));
  if (kind == SEEN_DIR) return refuse(w->path, "is a hard link to a folder", e);
  if (kind == 0 && w->opt->base) return refuse(w->path, "is a hard link to a file the layer does not have before it", e);
  if (pset_get(&w->seen, w->path, strlen(w->path)) != 0) return refuse(w->path, "appears twice in the layer", e);
  err = w->sink->link(w->sink->ctx, w->path, w->other, kind != 0, e);
  if (err == WCTR_OK && !pset_put(&w->seen, w->path, SEEN_FILE)) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  return err;
}

/* A file, folder or link with its streams; *next: the first entry after its alternate data streams. */
static wctr_err add_entry(walk *w, const img_tar_entry *en, const img_tar_entry **next, wctr_errmsg *e) {
  *next = NULL;
  where at = where_is(w->path);
  bool base = w->opt->base;
  if (at == ELSEWHERE) return refuse(w->path, "lies outside Files, Hives and UtilityVM", e);
  if (at == IN_UVM_OTHER) return refuse(w->path, "lies in UtilityVM but outside UtilityVM\\Files", e);
  if (!base && (at == AT_UVM_ROOT || at == AT_UVM_FILES_ROOT || at == IN_UVM_FILES)) {
    return refuse(w->path, "is a utility VM file in a layer with parents (Windows Server 2016 layers): not supported", e);
  }
  if (at == IN_HIVES_DEEP) return refuse(w->path, "lies in a folder under Hives (Hives holds registry files only)", e);
  if (under_link(w, w->path, false)) return refuse(w->path, "lies under a link this layer made (writing it would follow the link)", e);
  if (pset_get(&w->seen, w->path, strlen(w->path)) != 0) return refuse(w->path, "appears twice in the layer", e);
  img_wcl_info info = info_of(en);
  bool dir_attr = (info.attributes & IMG_WCL_ATTR_DIRECTORY) != 0;
  bool reparse_attr = (info.attributes & IMG_WCL_ATTR_REPARSE_POINT) != 0;
  switch (en->kind) {
    case IMG_TAR_DIR:
      if (!dir_attr || reparse_attr) return refuse(w->path, "is a folder whose attributes say otherwise", e);
      break;
    case IMG_TAR_FILE:
      if (dir_attr || reparse_attr) return refuse(w->path, "is a file whose attributes say otherwise", e);
      break;
    case IMG_TAR_SYMLINK:
      if (!reparse_attr || (en->mountpoint && !dir_attr)) return refuse(w->path, "is a link whose attributes say otherwise", e);
      break;
    default:
      return refuse(w->path, en->kind == IMG_TAR_DEVICE ? "is a device or FIFO, which a Windows layer cannot hold"
                                                         : "has an entry type a Windows layer does not use", e);
  }
  if (is_root(at) && en->kind != IMG_TAR_DIR) return refuse(w->path, "is a top-level entry of the format that is not a folder", e);
  if ((at == IN_HIVES || at == AT_HIVES_ROOT) && en->kind == IMG_TAR_SYMLINK) return refuse(w->path, "is a link in Hives", e);
  if (at == IN_HIVES && en->kind != IMG_TAR_FILE) return refuse(w->path, "is not a file (Hives holds registry files only)", e);
  /* Everything about the entry checked, before the sink sees it. */
  uint8_t *sd = NULL;
  size_t sd_len = 0;
  uint8_t *ea = NULL;
  size_t ea_len = 0;
  uint8_t *rp = NULL;
  size_t rp_len = 0;
  wctr_err err = WCTR_OK;
  if (en->rawsd != NULL) {
    if (!img_wcl_sd_valid(en->rawsd, en->rawsd_len)) {
      err = refuse(w->path, "has a MSWINDOWS.rawsd that is not a self-relative security descriptor", e);
      goto done;
    }
  } else if (en->sddl != NULL) {
    if (w->sink->sd_from_sddl == NULL) {
      err = refuse(w->path, "has a legacy MSWINDOWS.sd record, which needs Windows to read", e);
      goto done;
    }
    err = w->sink->sd_from_sddl(w->sink->ctx, en->sddl, &sd, &sd_len, e);
    if (err != WCTR_OK) goto done;
    if (!img_wcl_sd_valid(sd, sd_len)) {
      err = refuse(w->path, "has a MSWINDOWS.sd that is not a security descriptor", e);
      goto done;
    }
  }
  err = ea_data(en, w->path, &ea, &ea_len, e);
  if (err != WCTR_OK) goto done;
  if (en->kind == IMG_TAR_SYMLINK) {
    const char *root = at == IN_UVM_FILES ? "UtilityVM\\Files" : "Files";
    err = check_target(w, en->linkname, en->mountpoint, root, e);
    if (err == WCTR_OK) err = img_wcl_reparse_data(en->linkname, en->mountpoint, &rp, &rp_len, e);
    if (err != WCTR_OK) goto done;
  }
  uint64_t size = en->kind == IMG_TAR_FILE ? en->size : 0;
  err = w->sink->add(w->sink->ctx, w->path, &info, size, e);
  if (err != WCTR_OK) goto done;
  const uint8_t *sdp = en->rawsd != NULL ? en->rawsd : sd;
  size_t sdl = en->rawsd != NULL ? en->rawsd_len : sd_len;
  if (sdp != NULL) {
    err = emit_header(w, IMG_WCL_STREAM_SECURITY, sdl, NULL, e);
    if (err == WCTR_OK) err = emit(w, sdp, sdl, e);
  }
  if (err == WCTR_OK && ea != NULL) {
    err = emit_header(w, IMG_WCL_STREAM_EA, ea_len, NULL, e);
    if (err == WCTR_OK) err = emit(w, ea, ea_len, e);
  }
  if (err == WCTR_OK && rp != NULL) {
    err = emit_header(w, IMG_WCL_STREAM_REPARSE, rp_len, NULL, e);
    if (err == WCTR_OK) err = emit(w, rp, rp_len, e);
  }
  if (err == WCTR_OK && en->kind == IMG_TAR_FILE) {
    err = emit_header(w, IMG_WCL_STREAM_DATA, en->size, NULL, e);
    if (err == WCTR_OK) err = emit_body(w, en->size, e);
    w->res->size += (int64_t)en->size;
  }
  if (err != WCTR_OK) goto done;
  int kind = en->kind == IMG_TAR_SYMLINK ? SEEN_LINK : en->kind == IMG_TAR_DIR ? SEEN_DIR : SEEN_FILE;
  if (!pset_put(&w->seen, w->path, kind) || (kind == SEEN_LINK && !pset_put(&w->links, w->path, kind))) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  if (at == AT_UVM_FILES_ROOT) w->res->has_utility_vm = true;
  /* Its alternate data streams: regular entries named "NAME:STREAM" right after it. */
  snprintf(w->raw, sizeof w->raw, "%s", en->name);
  size_t rn = strlen(w->raw);
  if (rn > 0 && w->raw[rn - 1] == '/') w->raw[--rn] = '\0';
  for (;;) {
    const img_tar_entry *s = NULL;
    err = img_tar_next(w->t, &s, e);
    if (err != WCTR_OK) goto done;
    if (s != NULL) w->res->entries++;
    if (s == NULL || s->kind != IMG_TAR_FILE || strncmp(s->name, w->raw, rn) != 0 || s->name[rn] != ':') {
      *next = s;
      break;
    }
    err = img_wcl_layer_path(s->name, true, w->other, sizeof w->other, e);
    if (err != WCTR_OK) goto done;
    char stream[IMG_TAR_MAX_NAME + 16];
    snprintf(stream, sizeof stream, "%s:$DATA", s->name + rn);
    err = emit_header(w, IMG_WCL_STREAM_ALTERNATE, s->size, stream, e);
    if (err == WCTR_OK) err = emit_body(w, s->size, e);
    if (err != WCTR_OK) goto done;
  }
  err = w->sink->done(w->sink->ctx, e);
done:
  free(sd);
  free(ea);
  free(rp);
  return err;
}

wctr_err img_wcl_apply(img_tar *t, const img_wcl_options *opt, const img_wcl_sink *sink, img_wcl_result *res,
                       wctr_errmsg *e) {
  memset(res, 0, sizeof *res);
  walk *w = calloc(1, sizeof *w);
  wctr_err err = w != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    w->t = t;
    w->opt = opt;
    w->sink = sink;
    w->res = res;
    w->buf = malloc(COPY_SIZE);
    if (w->buf == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  const img_tar_entry *en = NULL;
  if (err == WCTR_OK) err = img_tar_next(t, &en, e);
  if (en != NULL) res->entries++;
  while (err == WCTR_OK && en != NULL) {
    err = img_wcl_layer_path(en->name, false, w->path, sizeof w->path, e);
    if (err != WCTR_OK) break;
    const char *slash = strrchr(w->path, '\\');
    const char *last = slash != NULL ? slash + 1 : w->path;
    if (strncmp(last, WHITEOUT, strlen(WHITEOUT)) == 0) {
      err = whiteout(w, last, e);
    } else if (en->kind == IMG_TAR_LINK) {
      err = hard_link(w, en, e);
    } else {
      const img_tar_entry *next = NULL;
      err = add_entry(w, en, &next, e);
      en = next;
      continue;
    }
    if (err == WCTR_OK) err = img_tar_next(t, &en, e);
    if (err == WCTR_OK && en != NULL) res->entries++;
  }
  if (err == WCTR_OK) err = img_tar_finish(t, res->diff_id, &res->length, e);
  if (err == WCTR_OK && opt->diff_id != NULL && strcmp(res->diff_id, opt->diff_id) != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "the layer's content hashes to %s, not its diff id %s: refused", res->diff_id,
                    opt->diff_id);
  }
  if (w != NULL) {
    pset_free(&w->seen);
    pset_free(&w->links);
    free(w->buf);
    free(w);
  }
  return err;
}
