/* images/tar_tree.c - images/tar_tree.h. */
#include "images/tar_tree.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/random.h"

enum { TREE_MAX_DEPTH = 128, PACK_CHUNK = 64 * 1024 };

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool device_name(const char *name, size_t len) {
  static const char *const devices[] = {"con", "prn", "aux", "nul", NULL};
  size_t stem = 0;
  while (stem < len && name[stem] != '.') stem++;
  char base[8];
  if (stem > 4) return false;
  for (size_t i = 0; i < stem; i++) base[i] = lower(name[i]);
  base[stem] = '\0';
  for (size_t i = 0; devices[i] != NULL; i++) {
    if (strcmp(base, devices[i]) == 0) return true;
  }
  return stem == 4 && (memcmp(base, "com", 3) == 0 || memcmp(base, "lpt", 3) == 0) && base[3] >= '1' &&
         base[3] <= '9';
}

bool img_name_valid(const char *name, size_t len) {
  if (len == 0 || len > 255) return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c < 0x20 || strchr("<>:\"/\\|?*", c) != NULL) return false;
  }
  if (name[len - 1] == ' ' || name[len - 1] == '.') return false;
  return !device_name(name, len);
}

static bool is_sep(char c) { return c == '\\' || c == '/'; }

wctr_err img_cpath_parse(const char *path, char *rel, size_t size, bool *dir_hint, wctr_errmsg *e) {
  size_t n = strlen(path);
  const char *p = path;
  *dir_hint = false;
  if (size == 0) return wctr_fail(e, WCTR_ETOOBIG, "no room for a path");
  rel[0] = '\0';
  if (n == 0) return wctr_fail(e, WCTR_EINVAL, "the container path is empty");
  if (is_sep(p[0]) && is_sep(p[1])) {
    return wctr_fail(e, WCTR_EINVAL, "container path %s: UNC and device paths are not paths inside a container", path);
  }
  if (n >= 2 && p[1] == ':') {
    if (lower(p[0]) != 'c') {
      return wctr_fail(e, WCTR_EINVAL, "container path %s: a container has only the drive C:", path);
    }
    if (n > 2 && !is_sep(p[2])) {
      return wctr_fail(e, WCTR_EINVAL, "container path %s: a drive-relative path (C:x) names no fixed place; write C:\\x",
                       path);
    }
    p += 2;
  }
  size_t at = 0;
  bool last_dot = false;
  while (*p != '\0') {
    while (is_sep(*p)) p++;
    if (*p == '\0') break;
    const char *start = p;
    while (*p != '\0' && !is_sep(*p)) p++;
    size_t len = (size_t)(p - start);
    last_dot = len == 1 && start[0] == '.';
    if (last_dot) continue;
    if (len == 2 && start[0] == '.' && start[1] == '.') {
      return wctr_fail(e, WCTR_EINVAL, "container path %s: \"..\" is not accepted (no path may leave the container's root)",
                       path);
    }
    if (!img_name_valid(start, len)) {
      return wctr_fail(e, WCTR_EINVAL, "container path %s: \"%.*s\" is not a valid Windows file name", path,
                       (int)(len > 255 ? 255 : len), start);
    }
    if (at + (at > 0) + len + 1 > size) return wctr_fail(e, WCTR_ETOOBIG, "container path %s is too long", path);
    if (at > 0) rel[at++] = '/';
    memcpy(rel + at, start, len);
    at += len;
    rel[at] = '\0';
  }
  *dir_hint = is_sep(path[n - 1]) || last_dot;
  return WCTR_OK;
}

wctr_err img_tree_resolve(const char *root, const char *rel, char *out, size_t size, wctr_fs_info *info,
                          wctr_errmsg *e) {
  wctr_fs_info st;
  if (snprintf(out, size, "%s", root) >= (int)size) return wctr_fail(e, WCTR_ETOOBIG, "the path %s is too long", root);
  if (wctr_fs_stat(out, &st) != WCTR_OK || st.kind != WCTR_FS_DIR) {
    return wctr_fail(e, WCTR_ENOENT, "the container's root folder %s is missing", root);
  }
  const char *p = rel;
  while (*p != '\0') {
    const char *slash = strchr(p, '/');
    size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
    char part[256];
    if (len >= sizeof part) return wctr_fail(e, WCTR_EINVAL, "a name in %s is too long", rel);
    memcpy(part, p, len);
    part[len] = '\0';
    char next[IMG_PATH_MAX];
    if (wctr_fs_join(next, sizeof next, out, part) != WCTR_OK || strlen(next) >= size) {
      return wctr_fail(e, WCTR_ETOOBIG, "the path %s is too long", rel);
    }
    memcpy(out, next, strlen(next) + 1);
    wctr_err err = wctr_fs_stat(out, &st);
    if (err == WCTR_ENOENT) return wctr_fail(e, WCTR_ENOENT, "no such file or folder: %s", rel);
    if (err != WCTR_OK) return wctr_fail(e, err, "cannot read %s", rel);
    if (st.kind == WCTR_FS_LINK) {
      return wctr_fail(e, WCTR_EINVAL, "%.*s is a link (symbolic link, junction or mount point): wctr never follows one "
                       "inside a container", (int)(p - rel + len), rel);
    }
    if (slash != NULL && st.kind != WCTR_FS_DIR) {
      return wctr_fail(e, WCTR_ENOENT, "no such file or folder: %s (%.*s is a file)", rel, (int)(p - rel + len), rel);
    }
    p = slash != NULL ? slash + 1 : p + len;
  }
  if (info != NULL) *info = st;
  return WCTR_OK;
}

/* --- pack --------------------------------------------------------------------------------------------------- */

typedef struct pack_walk {
  img_tarw *w;
  const char *dir;
  const char *name;
  int depth;
  wctr_err err;
  wctr_errmsg *e;
} pack_walk;

static wctr_err pack_one(const char *path, const char *name, int depth, img_tarw *w, wctr_errmsg *e);

static bool pack_child(void *ctx, const char *child, bool is_dir) {
  pack_walk *pw = ctx;
  (void)is_dir;
  char path[IMG_PATH_MAX];
  size_t nlen = strlen(pw->name) + 1 + strlen(child) + 1;
  char *name = malloc(nlen);
  if (name == NULL) {
    pw->err = wctr_fail(pw->e, WCTR_ENOMEM, "out of memory");
    return false;
  }
  snprintf(name, nlen, "%s/%s", pw->name, child);
  if (wctr_fs_join(path, sizeof path, pw->dir, child) != WCTR_OK) {
    pw->err = wctr_fail(pw->e, WCTR_ETOOBIG, "the path of %s is too long", name);
  } else {
    pw->err = pack_one(path, name, pw->depth + 1, pw->w, pw->e);
  }
  free(name);
  return pw->err == WCTR_OK;
}

static wctr_err pack_file(const char *path, const char *name, const wctr_fs_info *st, img_tarw *w, wctr_errmsg *e) {
  wctr_file *f = NULL;
  char *buf = NULL;
  wctr_err err = wctr_file_open(path, WCTR_FILE_READ, &f, e);
  uint64_t size = 0;
  if (err == WCTR_OK && wctr_file_size(f, &size) != WCTR_OK) err = wctr_fail(e, WCTR_EIO, "cannot read the size of %s", name);
  if (err != WCTR_OK) goto done;
  (void)st;
  img_tarw_entry ent = {.name = name, .size = size, .mode = 0644, .mtime = st->mtime};
  err = img_tarw_begin(w, &ent, e);
  buf = err == WCTR_OK ? malloc(PACK_CHUNK) : NULL;
  if (err == WCTR_OK && buf == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  uint64_t at = 0;
  while (err == WCTR_OK && at < size) {
    size_t want = size - at < PACK_CHUNK ? (size_t)(size - at) : PACK_CHUNK;
    size_t got = 0;
    err = wctr_file_pread(f, at, buf, want, &got);
    if (err != WCTR_OK) {
      err = wctr_fail(e, err, "cannot read %s", name);
    } else if (got == 0) {
      err = wctr_fail(e, WCTR_EIO, "%s shrank while it was read", name);
    } else {
      err = img_tarw_write(w, buf, got, e);
      at += got;
    }
  }
done:
  free(buf);
  wctr_file_close(f);
  return err;
}

static wctr_err pack_one(const char *path, const char *name, int depth, img_tarw *w, wctr_errmsg *e) {
  wctr_fs_info st;
  if (depth > TREE_MAX_DEPTH) return wctr_fail(e, WCTR_ETOOBIG, "%s is nested more than %d folders deep", name, TREE_MAX_DEPTH);
  wctr_err err = wctr_fs_stat(path, &st);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot read %s", name);
  if (st.kind == WCTR_FS_LINK) {
    return wctr_fail(e, WCTR_EINVAL, "%s is a link (symbolic link, junction or mount point): wctr does not copy links", name);
  }
  if (st.kind == WCTR_FS_FILE) return pack_file(path, name, &st, w, e);
  img_tarw_entry ent = {.name = name, .dir = true, .mode = 0755, .mtime = st.mtime};
  err = img_tarw_begin(w, &ent, e);
  if (err != WCTR_OK) return err;
  pack_walk pw = {.w = w, .dir = path, .name = name, .depth = depth, .err = WCTR_OK, .e = e};
  err = wctr_fs_list(path, pack_child, &pw);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot list %s", name);
  return pw.err;
}

wctr_err img_tree_pack(const char *path, const char *top, img_tarw *w, wctr_errmsg *e) {
  return pack_one(path, top, 0, w, e);
}

/* --- extract ------------------------------------------------------------------------------------------------ */

/* name -> the staged relative path ('/'-separated, renamed, checked); "" for the top itself. */
static wctr_err entry_path(const img_tar_entry *en, const img_tree_extract_opts *o, char *out, size_t size,
                           wctr_errmsg *e) {
  const char *p = en->name;
  size_t at = 0;
  bool first = true;
  out[0] = '\0';
  if (p[0] == '/' || p[0] == '\\' || (p[0] != '\0' && p[1] == ':')) {
    return wctr_fail(e, WCTR_EINVAL, "archive entry %s: an absolute name is not extracted", en->name);
  }
  while (*p != '\0') {
    while (*p == '/') p++;
    if (*p == '\0') break;
    const char *start = p;
    while (*p != '\0' && *p != '/') p++;
    size_t len = (size_t)(p - start);
    if (len == 1 && start[0] == '.') continue;
    if (len == 2 && start[0] == '.' && start[1] == '.') {
      return wctr_fail(e, WCTR_EINVAL, "archive entry %s: a \"..\" component is not extracted", en->name);
    }
    if (!img_name_valid(start, len)) {
      return wctr_fail(e, WCTR_EINVAL, "archive entry %s: \"%.*s\" is not a valid Windows file name", en->name,
                       (int)(len > 255 ? 255 : len), start);
    }
    const char *part = start;
    size_t plen = len;
    if (first && o != NULL && o->strip != NULL && strlen(o->strip) == len && memcmp(o->strip, start, len) == 0) {
      part = o->replace;
      plen = strlen(o->replace);
    }
    first = false;
    if (plen == 0) continue;
    if (at + (at > 0) + plen + 1 > size) return wctr_fail(e, WCTR_ETOOBIG, "archive entry %s: the name is too long", en->name);
    if (at > 0) out[at++] = '/';
    memcpy(out + at, part, plen);
    at += plen;
    out[at] = '\0';
  }
  return WCTR_OK;
}

/* base joined with rel's components. */
static wctr_err join_rel(char *out, size_t size, const char *base, const char *rel) {
  if (snprintf(out, size, "%s", base) >= (int)size) return WCTR_ETOOBIG;
  const char *p = rel;
  while (*p != '\0') {
    const char *slash = strchr(p, '/');
    size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
    char part[256];
    if (len >= sizeof part) return WCTR_ETOOBIG;
    memcpy(part, p, len);
    part[len] = '\0';
    char next[IMG_PATH_MAX];
    if (wctr_fs_join(next, sizeof next, out, part) != WCTR_OK || strlen(next) >= size) return WCTR_ETOOBIG;
    memcpy(out, next, strlen(next) + 1);
    p = slash != NULL ? slash + 1 : p + len;
  }
  return WCTR_OK;
}

/* Creates every folder of rel under base (rel's own last component too when last). A file in the way fails. */
static wctr_err mkdirs(const char *base, const char *rel, bool last, const char *entry, wctr_errmsg *e) {
  char sub[IMG_PATH_MAX];
  size_t n = strlen(rel);
  for (size_t i = 0; i <= n; i++) {
    if (rel[i] != '/' && rel[i] != '\0') continue;
    if (rel[i] == '\0' && !last) break;
    if (i >= sizeof sub) return wctr_fail(e, WCTR_ETOOBIG, "archive entry %s: the name is too long", entry);
    memcpy(sub, rel, i);
    sub[i] = '\0';
    char path[IMG_PATH_MAX];
    if (join_rel(path, sizeof path, base, sub) != WCTR_OK) {
      return wctr_fail(e, WCTR_ETOOBIG, "archive entry %s: the name is too long", entry);
    }
    wctr_fs_info st;
    if (wctr_fs_stat(path, &st) == WCTR_OK) {
      if (st.kind != WCTR_FS_DIR) {
        return wctr_fail(e, WCTR_EINVAL, "archive entry %s: %s is a file earlier in the archive, not a folder", entry, sub);
      }
      continue;
    }
    wctr_errmsg ignored;
    wctr_err err = wctr_fs_mkdir(path, &ignored);
    if (err != WCTR_OK) return wctr_fail(e, err, "archive entry %s: cannot create the folder %s", entry, sub);
  }
  return WCTR_OK;
}

typedef struct staged_dir {
  char *rel;
  img_tar_time mtime;
} staged_dir;

typedef struct extract_ctx {
  const char *staging;
  img_tar *t;
  char *buf;
  staged_dir *dirs; /* the archive's folder entries, whose times are set once everything is staged */
  size_t dir_count, dir_cap;
} extract_ctx;

/* The archive's time onto a staged entry. A time the file system cannot hold (before 1601 on Windows) leaves the
 * copy's own; any other failure fails the extraction, as Docker's does. */
static wctr_err stage_time(const char *path, const char *name, img_tar_time t, wctr_errmsg *e) {
  wctr_errmsg why;
  wctr_errmsg_clear(&why);
  wctr_err err = wctr_fs_set_mtime(path, t.sec, t.nsec, &why);
  if (err == WCTR_EINVAL) return WCTR_OK;
  if (err != WCTR_OK) return wctr_fail(e, err, "archive entry %s: its time cannot be set: %s", name, why.text);
  return WCTR_OK;
}

static wctr_err remember_dir(extract_ctx *x, const img_tar_entry *en, const char *rel, wctr_errmsg *e) {
  if (x->dir_count == x->dir_cap) {
    size_t cap = x->dir_cap == 0 ? 16 : x->dir_cap * 2;
    staged_dir *d = realloc(x->dirs, cap * sizeof *d);
    if (d == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    x->dirs = d;
    x->dir_cap = cap;
  }
  char *copy = strdup(rel);
  if (copy == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  x->dirs[x->dir_count++] = (staged_dir){copy, en->mtime};
  return WCTR_OK;
}

/* Once every entry is staged (a file staged later would change its folder's time): the folders' times. */
static wctr_err stage_dir_times(extract_ctx *x, wctr_errmsg *e) {
  for (size_t i = 0; i < x->dir_count; i++) {
    char path[IMG_PATH_MAX];
    if (join_rel(path, sizeof path, x->staging, x->dirs[i].rel) != WCTR_OK) {
      return wctr_fail(e, WCTR_ETOOBIG, "archive entry %s: the name is too long", x->dirs[i].rel);
    }
    wctr_err err = stage_time(path, x->dirs[i].rel, x->dirs[i].mtime, e);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

static wctr_err stage_file(extract_ctx *x, const img_tar_entry *en, const char *rel, wctr_errmsg *e) {
  char path[IMG_PATH_MAX];
  wctr_err err = mkdirs(x->staging, rel, false, en->name, e);
  if (err != WCTR_OK) return err;
  if (join_rel(path, sizeof path, x->staging, rel) != WCTR_OK) {
    return wctr_fail(e, WCTR_ETOOBIG, "archive entry %s: the name is too long", en->name);
  }
  wctr_fs_info st;
  if (wctr_fs_stat(path, &st) == WCTR_OK && st.kind != WCTR_FS_FILE) {
    return wctr_fail(e, WCTR_EINVAL, "archive entry %s: a folder of the same name came earlier in the archive", en->name);
  }
  wctr_file *f = NULL;
  err = wctr_file_open(path, WCTR_FILE_TRUNCATE, &f, e);
  while (err == WCTR_OK) {
    size_t got = 0;
    err = img_tar_read(x->t, x->buf, PACK_CHUNK, &got, e);
    if (err != WCTR_OK || got == 0) break;
    err = wctr_file_write(f, x->buf, got);
    if (err != WCTR_OK) err = wctr_fail(e, err, "archive entry %s: cannot write it", en->name);
  }
  wctr_file_close(f);
  if (err == WCTR_OK) err = stage_time(path, en->name, en->mtime, e);
  return err;
}

typedef struct move_walk {
  const char *from, *to, *shown;
  bool check;
  const img_tree_extract_opts *o;
  wctr_err err;
  wctr_errmsg *e;
} move_walk;

static wctr_err move_entry(const char *from, const char *to, const char *shown, bool check,
                           const img_tree_extract_opts *o, wctr_errmsg *e);

static bool move_child(void *ctx, const char *name, bool is_dir) {
  move_walk *mw = ctx;
  (void)is_dir;
  char from[IMG_PATH_MAX], to[IMG_PATH_MAX], shown[IMG_PATH_MAX];
  if (wctr_fs_join(from, sizeof from, mw->from, name) != WCTR_OK || wctr_fs_join(to, sizeof to, mw->to, name) != WCTR_OK ||
      snprintf(shown, sizeof shown, "%s%s%s", mw->shown, mw->shown[0] != '\0' ? "/" : "", name) >= (int)sizeof shown) {
    mw->err = wctr_fail(mw->e, WCTR_ETOOBIG, "the path of %s is too long", name);
    return false;
  }
  mw->err = move_entry(from, to, shown, mw->check, mw->o, mw->e);
  return mw->err == WCTR_OK;
}

/* check: only look for conflicts (nothing moves); else move from (staged) to to. */
static wctr_err move_entry(const char *from, const char *to, const char *shown, bool check,
                           const img_tree_extract_opts *o, wctr_errmsg *e) {
  wctr_fs_info src, dst;
  wctr_err err = wctr_fs_stat(from, &src);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot read the staged %s", shown);
  err = wctr_fs_stat(to, &dst);
  if (err == WCTR_ENOENT) return check ? WCTR_OK : wctr_fs_rename(from, to, false, e);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot read %s", shown);
  if (dst.kind == WCTR_FS_LINK) {
    return wctr_fail(e, WCTR_EINVAL, "%s is a link (symbolic link, junction or mount point) in the destination: wctr "
                     "never writes through one", shown);
  }
  bool src_dir = src.kind == WCTR_FS_DIR;
  bool dst_dir = dst.kind == WCTR_FS_DIR;
  if (src_dir && dst_dir) {
    move_walk mw = {.from = from, .to = to, .shown = shown, .check = check, .o = o, .err = WCTR_OK, .e = e};
    err = wctr_fs_list(from, move_child, &mw);
    if (err != WCTR_OK) return wctr_fail(e, err, "cannot list the staged %s", shown);
    return mw.err;
  }
  if (src_dir != dst_dir && o != NULL && o->no_overwrite_dir_nondir) {
    return dst_dir ? wctr_fail(e, WCTR_EEXIST, "cannot overwrite directory \"%s\" with non-directory \"%s\"", shown, shown)
                   : wctr_fail(e, WCTR_EEXIST, "cannot overwrite non-directory \"%s\" with directory \"%s\"", shown, shown);
  }
  if (check) return WCTR_OK;
  if (dst_dir) {
    err = wctr_fs_remove_tree(to, e);
    if (err != WCTR_OK) return err;
  } else if (src_dir) {
    err = wctr_fs_remove(to);
    if (err != WCTR_OK) return wctr_fail(e, err, "cannot replace %s", shown);
  }
  return wctr_fs_rename(from, to, !src_dir, e);
}

typedef struct top_walk {
  const char *staging, *dest;
  bool check;
  const img_tree_extract_opts *o;
  wctr_err err;
  wctr_errmsg *e;
} top_walk;

static bool move_top(void *ctx, const char *name, bool is_dir) {
  top_walk *tw = ctx;
  (void)is_dir;
  char from[IMG_PATH_MAX], to[IMG_PATH_MAX];
  if (wctr_fs_join(from, sizeof from, tw->staging, name) != WCTR_OK || wctr_fs_join(to, sizeof to, tw->dest, name) != WCTR_OK) {
    tw->err = wctr_fail(tw->e, WCTR_ETOOBIG, "the path of %s is too long", name);
    return false;
  }
  tw->err = move_entry(from, to, name, tw->check, tw->o, tw->e);
  return tw->err == WCTR_OK;
}

wctr_err img_tree_extract(img_tar_read_fn read, void *ctx, const char *dest, const img_tree_extract_opts *opts,
                          uint64_t *entries, wctr_errmsg *e) {
  img_tar *t = NULL;
  char staging[IMG_PATH_MAX];
  bool staged = false;
  extract_ctx x = {0};
  *entries = 0;
  wctr_fs_info st;
  wctr_err err = WCTR_OK;
  if (wctr_fs_stat(dest, &st) != WCTR_OK || st.kind != WCTR_FS_DIR) {
    err = wctr_fail(e, WCTR_ENOENT, "the destination folder %s does not exist", dest);
    goto done;
  }
  uint8_t rnd[8];
  char name[32];
  err = wctr_random_bytes(rnd, sizeof rnd);
  if (err != WCTR_OK) {
    err = wctr_fail(e, err, "no random bytes for a staging folder's name");
    goto done;
  }
  snprintf(name, sizeof name, ".wctr-cp-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
           rnd[5], rnd[6], rnd[7]);
  if (wctr_fs_join(staging, sizeof staging, dest, name) != WCTR_OK) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the destination path %s is too long", dest);
    goto done;
  }
  err = wctr_fs_mkdir(staging, e);
  if (err != WCTR_OK) goto done;
  staged = true;
  x.staging = staging;
  x.buf = malloc(PACK_CHUNK);
  if (x.buf == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  err = img_tar_open(read, ctx, false, &t, e);
  x.t = t;
  uint64_t count = 0;
  while (err == WCTR_OK) {
    const img_tar_entry *en = NULL;
    err = img_tar_next(t, &en, e);
    if (err != WCTR_OK || en == NULL) break;
    char rel[IMG_PATH_MAX];
    err = entry_path(en, opts, rel, sizeof rel, e);
    if (err != WCTR_OK) break;
    if (en->kind == IMG_TAR_DIR) {
      if (rel[0] != '\0') err = mkdirs(staging, rel, true, en->name, e);
      if (err == WCTR_OK && rel[0] != '\0') err = remember_dir(&x, en, rel, e);
    } else if (en->kind == IMG_TAR_FILE) {
      if (rel[0] == '\0') {
        err = wctr_fail(e, WCTR_EINVAL, "archive entry %s: a file needs a name", en->name);
      } else {
        err = stage_file(&x, en, rel, e);
      }
    } else {
      err = wctr_fail(e, WCTR_ENOTSUP, "archive entry %s: only files and folders are extracted (links, devices and "
                      "other types are refused)", en->name);
    }
    if (err == WCTR_OK) count++;
  }
  if (err == WCTR_OK) err = stage_dir_times(&x, e);
  if (err != WCTR_OK) goto done;
  top_walk tw = {.staging = staging, .dest = dest, .check = true, .o = opts, .err = WCTR_OK, .e = e};
  err = wctr_fs_list(staging, move_top, &tw);
  if (err == WCTR_OK) err = tw.err;
  if (err != WCTR_OK) goto done;
  tw.check = false;
  err = wctr_fs_list(staging, move_top, &tw);
  if (err == WCTR_OK) err = tw.err;
  if (err == WCTR_OK) *entries = count;
done:
  img_tar_free(t);
  free(x.buf);
  for (size_t i = 0; i < x.dir_count; i++) free(x.dirs[i].rel);
  free(x.dirs);
  if (staged) {
    wctr_errmsg ignored;
    (void)wctr_fs_remove_tree(staging, &ignored);
  }
  return err;
}
