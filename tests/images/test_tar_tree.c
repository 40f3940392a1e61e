/* tests/images/test_tar_tree.c - the tar writer (images/tar_write.h) read back by the layer reader, container
 * paths, and folders packed and extracted (images/tar_tree.h): renames, merges, refusals and the promise that
 * a refused archive leaves the destination as it was. Natively (POSIX files, ASan) and under Wine. */
#include "common/fs.h"
#include "images/tar.h"
#include "images/tar_tree.h"
#include "images/tar_write.h"
#include "images_test.h"
#include "tarw.h"

#ifndef _WIN32
#include <unistd.h>
#endif

/* The archives are read back in uneven pieces, as a pipe or a socket gives them. */
enum { UNEVEN = 700 };

static void add_file(img_tarw *w, const char *name, const char *body, int64_t mtime) {
  wctr_errmsg e;
  img_tarw_entry ent = {.name = name, .size = strlen(body), .mode = 0644, .mtime = mtime};
  assert_int_equal(img_tarw_begin(w, &ent, &e), WCTR_OK);
  assert_int_equal(img_tarw_write(w, body, strlen(body), &e), WCTR_OK);
}

static void add_dir(img_tarw *w, const char *name) {
  wctr_errmsg e;
  img_tarw_entry ent = {.name = name, .dir = true, .mode = 0755, .mtime = 1700000000};
  assert_int_equal(img_tarw_begin(w, &ent, &e), WCTR_OK);
}

/* Reads b back: the names, kinds and bodies, joined "name=body;" (folders "name/;"). */
static char *read_back(tarw *b) {
  b->pos = 0;
  img_tar *t = NULL;
  wctr_errmsg e;
  assert_int_equal(img_tar_open(tarw_in, b, false, &t, &e), WCTR_OK);
  size_t cap = 1 << 16, len = 0;
  char *out = calloc(1, cap);
  assert_non_null(out);
  for (;;) {
    const img_tar_entry *en = NULL;
    wctr_err err = img_tar_next(t, &en, &e);
    if (err != WCTR_OK) FAILF("read back: %s", e.text);
    if (en == NULL) break;
    len += (size_t)snprintf(out + len, cap - len, "%s%s", en->name, en->kind == IMG_TAR_DIR ? ";" : "=");
    if (en->kind == IMG_TAR_FILE) {
      for (;;) {
        size_t got = 0;
        assert_int_equal(img_tar_read(t, out + len, cap - len - 1, &got, &e), WCTR_OK);
        if (got == 0) break;
        len += got;
      }
      len += (size_t)snprintf(out + len, cap - len, ";");
    }
  }
  char digest[IMG_DIGEST_MAX];
  uint64_t total = 0;
  assert_int_equal(img_tar_finish(t, digest, &total, &e), WCTR_OK);
  assert_int_equal(total, b->len);
  img_tar_free(t);
  return out;
}

static void test_writer_round_trip(void **state) {
  (void)state;
  tarw b = {.piece = UNEVEN};
  img_tarw w;
  img_tarw_init(&w, tarw_out, &b);
  char long_name[400];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  char split[260]; /* 150 + '/' + 99 + 'x': fits prefix + name, no PAX */
  memset(split, 'p', 150);
  split[150] = '/';
  memset(split + 151, 'q', 99);
  split[250] = '\0';
  add_dir(&w, "d");
  add_file(&w, "d/a.txt", "hello", 1700000000);
  add_file(&w, long_name, "long", 1700000000);
  add_file(&w, split, "split", 1700000000);
  add_file(&w, "d/\xc3\xa9t\xc3\xa9.txt", "utf8", -5);
  add_file(&w, "d/empty", "", 0);
  wctr_errmsg e;
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  assert_int_equal(b.len % IMG_TAR_BLOCK, 0);
  char *got = read_back(&b);
  char want[2048];
  snprintf(want, sizeof want, "d/;d/a.txt=hello;%s=long;%s=split;d/\xc3\xa9t\xc3\xa9.txt=utf8;d/empty=;", long_name, split);
  assert_string_equal(got, want);
  free(got);
  /* The split name needed no PAX header: exactly 6 headers + bodies' blocks + the PAX ones for the long and
   * the non-ASCII name (2 blocks each, header and records) + the end. */
  size_t blocks = 6 + 1 + 1 + 1 + 1 + 0 + 2 + 2 + 2;
  assert_int_equal(b.len, blocks * IMG_TAR_BLOCK);
  free(b.data);
}

static void test_writer_mtime_read_back(void **state) {
  (void)state;
  tarw b = {.piece = UNEVEN};
  img_tarw w;
  img_tarw_init(&w, tarw_out, &b);
  add_file(&w, "old", "x", -86400);
  add_file(&w, "now", "y", 1765000000);
  wctr_errmsg e;
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  img_tar *t = NULL;
  assert_int_equal(img_tar_open(tarw_in, &b, false, &t, &e), WCTR_OK);
  const img_tar_entry *en = NULL;
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_int_equal(en->mtime.sec, -86400);
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_int_equal(en->mtime.sec, 1765000000);
  img_tar_free(t);
  free(b.data);
}

static void test_writer_refusals(void **state) {
  (void)state;
  tarw b = {.piece = UNEVEN};
  img_tarw w;
  wctr_errmsg e;
  img_tarw_init(&w, tarw_out, &b);
  img_tarw_entry ent = {.name = "f", .size = 3, .mode = 0644};
  assert_int_equal(img_tarw_begin(&w, &ent, &e), WCTR_OK);
  assert_int_equal(img_tarw_write(&w, "abcd", 4, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "entry f"));
  /* A failed writer takes nothing more. */
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_ESTATE);
  img_tarw_init(&w, tarw_out, &b);
  assert_int_equal(img_tarw_begin(&w, &ent, &e), WCTR_OK);
  assert_int_equal(img_tarw_write(&w, "ab", 2, &e), WCTR_OK);
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "1 bytes of its body"));
  img_tarw_init(&w, tarw_out, &b);
  img_tarw_entry bad = {.name = "/abs"};
  assert_int_equal(img_tarw_begin(&w, &bad, &e), WCTR_EINVAL);
  img_tarw_init(&w, tarw_out, &b);
  bad.name = "";
  assert_int_equal(img_tarw_begin(&w, &bad, &e), WCTR_EINVAL);
  /* The output's failure stops the writer. */
  tarw full = {.piece = UNEVEN, .fail_after = 600};
  img_tarw_init(&w, tarw_out, &full);
  add_file(&w, "a", "x", 0);
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_ENOSPC);
  free(full.data);
  free(b.data);
}

static void check_cpath(const char *path, wctr_err want, const char *rel_want, bool hint_want) {
  char rel[IMG_PATH_MAX];
  bool hint = false;
  wctr_errmsg e;
  e.text[0] = '\0';
  wctr_err err = img_cpath_parse(path, rel, sizeof rel, &hint, &e);
  if (err != want) FAILF("%s: got %d (%s), want %d", path, (int)err, e.text, (int)want);
  if (want == WCTR_OK) {
    assert_string_equal(rel, rel_want);
    assert_int_equal(hint, hint_want);
  } else {
    assert_non_null(strstr(e.text, path));
  }
}

static void test_container_paths(void **state) {
  (void)state;
  check_cpath("C:\\dir\\file.txt", WCTR_OK, "dir/file.txt", false);
  check_cpath("c:/dir/sub/", WCTR_OK, "dir/sub", true);
  check_cpath("\\x", WCTR_OK, "x", false);
  check_cpath("/x/y", WCTR_OK, "x/y", false);
  check_cpath("rel\\.\\x", WCTR_OK, "rel/x", false);
  check_cpath("C:\\dir\\.", WCTR_OK, "dir", true);
  check_cpath("C:\\", WCTR_OK, "", true);
  check_cpath("C:", WCTR_OK, "", false);
  check_cpath("D:\\x", WCTR_EINVAL, NULL, false);
  check_cpath("C:x", WCTR_EINVAL, NULL, false);
  check_cpath("\\\\server\\share\\x", WCTR_EINVAL, NULL, false);
  check_cpath("C:\\a\\..\\..\\Windows", WCTR_EINVAL, NULL, false);
  check_cpath("..", WCTR_EINVAL, NULL, false);
  check_cpath("C:\\a\\b:stream", WCTR_EINVAL, NULL, false);
  check_cpath("C:\\nul", WCTR_EINVAL, NULL, false);
  check_cpath("C:\\COM1.txt", WCTR_EINVAL, NULL, false);
  check_cpath("C:\\trailing ", WCTR_EINVAL, NULL, false);
  check_cpath("", WCTR_EINVAL, NULL, false);
  assert_true(img_name_valid("console", 7));
  assert_true(img_name_valid("com10", 5));
  assert_false(img_name_valid("a|b", 3));
  assert_false(img_name_valid("tab\t", 4));
}

/* --- folders ---------------------------------------------------------------------------------------------- */

static void fresh_dir(char *out, size_t size, const char *prefix) {
  wctr_test_unique_name(prefix, out, size);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(out, &e), WCTR_OK);
}

static void put_file(const char *dir, const char *name, const char *body) {
  char path[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(path, sizeof path, dir, name), WCTR_OK);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_write_atomic(path, body, strlen(body), &e), WCTR_OK);
}

static char *get_file(const char *dir, const char *name) {
  char path[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(path, sizeof path, dir, name), WCTR_OK);
  char *out = NULL;
  size_t len = 0;
  if (wctr_fs_read_all(path, 1 << 20, &out, &len) != WCTR_OK) return NULL;
  return out;
}

static int count_entries_cb_n;
static bool count_cb(void *ctx, const char *name, bool is_dir) {
  (void)ctx;
  (void)name;
  (void)is_dir;
  count_entries_cb_n++;
  return true;
}
static int count_entries(const char *dir) {
  count_entries_cb_n = 0;
  assert_int_equal(wctr_fs_list(dir, count_cb, NULL), WCTR_OK);
  return count_entries_cb_n;
}

static wctr_err extract(tarw *b, const char *dest, const img_tree_extract_opts *o, wctr_errmsg *e) {
  b->pos = 0;
  uint64_t n = 0;
  return img_tree_extract(tarw_in, b, dest, o, &n, e);
}

static void test_pack_then_extract(void **state) {
  (void)state;
  char src[256], dst[256];
  fresh_dir(src, sizeof src, "tt-src");
  fresh_dir(dst, sizeof dst, "tt-dst");
  char sub[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(sub, sizeof sub, src, "sub"), WCTR_OK);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(sub, &e), WCTR_OK);
  put_file(src, "top.txt", "top body");
  put_file(sub, "inner.txt", "inner body");
  tarw b = {.piece = UNEVEN};
  img_tarw w;
  img_tarw_init(&w, tarw_out, &b);
  assert_int_equal(img_tree_pack(src, "data", &w, &e), WCTR_OK);
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  char *listing = read_back(&b);
  assert_non_null(strstr(listing, "data/;"));
  assert_non_null(strstr(listing, "data/top.txt=top body;"));
  assert_non_null(strstr(listing, "data/sub/inner.txt=inner body;"));
  free(listing);
  /* As is: dst/data/... */
  assert_int_equal(extract(&b, dst, NULL, &e), WCTR_OK);
  char data[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(data, sizeof data, dst, "data"), WCTR_OK);
  char *body = get_file(data, "top.txt");
  assert_non_null(body);
  assert_string_equal(body, "top body");
  free(body);
  assert_int_equal(count_entries(dst), 1); /* no staging folder left */
  /* Renamed: dst/copy/..., and the contents only: dst/top.txt. */
  img_tree_extract_opts rename = {.strip = "data", .replace = "copy"};
  assert_int_equal(extract(&b, dst, &rename, &e), WCTR_OK);
  char copy[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(copy, sizeof copy, dst, "copy"), WCTR_OK);
  assert_true(wctr_fs_is_dir(copy));
  img_tree_extract_opts contents = {.strip = "data", .replace = ""};
  assert_int_equal(extract(&b, dst, &contents, &e), WCTR_OK);
  body = get_file(dst, "top.txt");
  assert_non_null(body);
  assert_string_equal(body, "top body");
  free(body);
  assert_int_equal(count_entries(dst), 4); /* data, copy, top.txt, sub */
  /* A second extraction merges folders and replaces files. */
  put_file(src, "top.txt", "changed");
  b.len = 0;
  img_tarw_init(&w, tarw_out, &b);
  assert_int_equal(img_tree_pack(src, "data", &w, &e), WCTR_OK);
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  put_file(data, "kept.txt", "kept");
  assert_int_equal(extract(&b, dst, NULL, &e), WCTR_OK);
  body = get_file(data, "top.txt");
  assert_string_equal(body, "changed");
  free(body);
  body = get_file(data, "kept.txt");
  assert_non_null(body);
  free(body);
  /* A single file packs as one entry. */
  char one[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(one, sizeof one, src, "top.txt"), WCTR_OK);
  b.len = 0;
  img_tarw_init(&w, tarw_out, &b);
  assert_int_equal(img_tree_pack(one, "top.txt", &w, &e), WCTR_OK);
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  listing = read_back(&b);
  assert_string_equal(listing, "top.txt=changed;");
  free(listing);
  free(b.data);
  assert_int_equal(wctr_fs_remove_tree(src, &e), WCTR_OK);
  assert_int_equal(wctr_fs_remove_tree(dst, &e), WCTR_OK);
}

/* A refused archive changes nothing: the good entries before the bad one are not placed either. */
static void refused(const char *bad_name, char type, const char *link, const char *want) {
  char dst[256];
  fresh_dir(dst, sizeof dst, "tt-ref");
  tarw t;
  tarw_init(&t);
  tarw_entry(&t, "good.txt", '0', NULL, "good", 4, NULL);
  tarw_entry(&t, bad_name, type, link, type == '0' ? "bad" : NULL, type == '0' ? 3 : 0, NULL);
  tarw_end(&t);
  tarw b = {.data = t.data, .len = t.len, .piece = UNEVEN};
  wctr_errmsg e;
  e.text[0] = '\0';
  assert_int_not_equal(extract(&b, dst, NULL, &e), WCTR_OK);
  if (strstr(e.text, want) == NULL) FAILF("%s: %s", bad_name, e.text);
  assert_int_equal(count_entries(dst), 0);
  tarw_free(&t);
  assert_int_equal(wctr_fs_remove_tree(dst, &e), WCTR_OK);
}

static void test_extract_refusals(void **state) {
  (void)state;
  refused("../escape.txt", '0', NULL, "\"..\" component");
  refused("a/../../escape.txt", '0', NULL, "\"..\" component");
  refused("/abs.txt", '0', NULL, "absolute name");
  refused("C:/Windows/x.txt", '0', NULL, "absolute name");
  refused("a/b:ads", '0', NULL, "not a valid Windows file name");
  refused("dir/nul", '0', NULL, "not a valid Windows file name");
  refused("link", '2', "C:\\Windows", "only files and folders");
  refused("hard", '1', "good.txt", "only files and folders");
  refused("good.txt/inner", '0', NULL, "is a file earlier in the archive");
  /* A truncated archive: the good entry is not placed either. */
  char dst[256];
  fresh_dir(dst, sizeof dst, "tt-trunc");
  tarw t;
  tarw_init(&t);
  tarw_entry(&t, "good.txt", '0', NULL, "good", 4, NULL);
  tarw_header(&t, "cut.txt", '0', 5000, NULL);
  tarw_bytes(&t, "only a little", 13);
  tarw b = {.data = t.data, .len = t.len, .piece = UNEVEN};
  wctr_errmsg e;
  assert_int_not_equal(extract(&b, dst, NULL, &e), WCTR_OK);
  assert_int_equal(count_entries(dst), 0);
  tarw_free(&t);
  assert_int_equal(wctr_fs_remove_tree(dst, &e), WCTR_OK);
}

static void test_dir_nondir(void **state) {
  (void)state;
  char dst[256];
  fresh_dir(dst, sizeof dst, "tt-dnd");
  char sub[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(sub, sizeof sub, dst, "x"), WCTR_OK);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(sub, &e), WCTR_OK);
  put_file(dst, "f", "file");
  tarw b = {.piece = UNEVEN};
  img_tarw w;
  img_tarw_init(&w, tarw_out, &b);
  add_file(&w, "x", "now a file", 0);
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  img_tree_extract_opts o = {.no_overwrite_dir_nondir = true};
  assert_int_equal(extract(&b, dst, &o, &e), WCTR_EEXIST);
  assert_string_equal(e.text, "cannot overwrite directory \"x\" with non-directory \"x\"");
  assert_true(wctr_fs_is_dir(sub));
  b.len = 0;
  img_tarw_init(&w, tarw_out, &b);
  add_dir(&w, "f");
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  assert_int_equal(extract(&b, dst, &o, &e), WCTR_EEXIST);
  assert_string_equal(e.text, "cannot overwrite non-directory \"f\" with directory \"f\"");
  /* Without the flag the archive wins, as Docker's extraction does. */
  o.no_overwrite_dir_nondir = false;
  assert_int_equal(extract(&b, dst, &o, &e), WCTR_OK);
  char f[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(f, sizeof f, dst, "f"), WCTR_OK);
  assert_true(wctr_fs_is_dir(f));
  assert_int_equal(count_entries(dst), 2);
  free(b.data);
  assert_int_equal(wctr_fs_remove_tree(dst, &e), WCTR_OK);
}

static void test_resolve(void **state) {
  (void)state;
  char root[256];
  fresh_dir(root, sizeof root, "tt-root");
  char sub[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(sub, sizeof sub, root, "d"), WCTR_OK);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(sub, &e), WCTR_OK);
  put_file(sub, "f.txt", "x");
  char out[IMG_PATH_MAX];
  wctr_fs_info st;
  assert_int_equal(img_tree_resolve(root, "d/f.txt", out, sizeof out, &st, &e), WCTR_OK);
  assert_int_equal(st.kind, WCTR_FS_FILE);
  assert_int_equal(st.size, 1);
  assert_int_equal(img_tree_resolve(root, "", out, sizeof out, &st, &e), WCTR_OK);
  assert_int_equal(st.kind, WCTR_FS_DIR);
  assert_string_equal(out, root);
  assert_int_equal(img_tree_resolve(root, "d/missing", out, sizeof out, &st, &e), WCTR_ENOENT);
  assert_int_equal(img_tree_resolve(root, "d/f.txt/under", out, sizeof out, &st, &e), WCTR_ENOENT);
#ifndef _WIN32
  /* A link inside the root is never followed, in a stat, a pack or as a destination. */
  char link[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(link, sizeof link, root, "out"), WCTR_OK);
  assert_int_equal(symlink("/etc", link), 0);
  assert_int_equal(img_tree_resolve(root, "out/passwd", out, sizeof out, &st, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "out is a link"));
  tarw b = {.piece = UNEVEN};
  img_tarw w;
  img_tarw_init(&w, tarw_out, &b);
  assert_int_equal(img_tree_pack(root, ".", &w, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "is a link"));
  free(b.data);
  b = (tarw){.piece = UNEVEN};
  img_tarw_init(&w, tarw_out, &b);
  add_file(&w, "out/x", "through the link", 0);
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  assert_int_equal(extract(&b, root, NULL, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "never writes through one"));
  free(b.data);
#endif
  assert_int_equal(wctr_fs_remove_tree(root, &e), WCTR_OK);
}

/* Extracted files and the folders the archive names keep the archive's modification times (a fresh copy's own
 * time would be now); a time before 1601 (Windows cannot hold it) leaves the copy's. */
static void test_extract_keeps_mtimes(void **state) {
  (void)state;
  char dst[256];
  fresh_dir(dst, sizeof dst, "tt-mtime");
  wctr_errmsg e;
  tarw b = {.piece = UNEVEN};
  img_tarw w;
  img_tarw_init(&w, tarw_out, &b);
  add_dir(&w, "d");                                 /* 1700000000 */
  add_file(&w, "d/old.txt", "old", 1234567890);     /* 2009 */
  add_file(&w, "recent.txt", "recent", 1765000000); /* 2025 */
  add_file(&w, "ancient.txt", "ancient", -12000000000); /* 1589: before 1601 */
  assert_int_equal(img_tarw_finish(&w, &e), WCTR_OK);
  assert_int_equal(extract(&b, dst, NULL, &e), WCTR_OK);
  char d[IMG_PATH_MAX], path[IMG_PATH_MAX];
  wctr_fs_info st;
  assert_int_equal(wctr_fs_join(d, sizeof d, dst, "d"), WCTR_OK);
  assert_int_equal(wctr_fs_join(path, sizeof path, d, "old.txt"), WCTR_OK);
  assert_int_equal(wctr_fs_stat(path, &st), WCTR_OK);
  assert_int_equal(st.mtime, 1234567890);
  /* The folder's time is set after its file was staged into it (which would have changed it). */
  assert_int_equal(wctr_fs_stat(d, &st), WCTR_OK);
  assert_int_equal(st.mtime, 1700000000);
  assert_int_equal(wctr_fs_join(path, sizeof path, dst, "recent.txt"), WCTR_OK);
  assert_int_equal(wctr_fs_stat(path, &st), WCTR_OK);
  assert_int_equal(st.mtime, 1765000000);
  assert_int_equal(wctr_fs_join(path, sizeof path, dst, "ancient.txt"), WCTR_OK);
  assert_int_equal(wctr_fs_stat(path, &st), WCTR_OK);
#ifdef _WIN32
  assert_true(st.mtime > 1765000000); /* the copy's own time */
#endif
  /* (POSIX file systems differ on 1589: ext4 clamps it, tmpfs keeps it; nothing to assert there.) */
  free(b.data);
  assert_int_equal(wctr_fs_remove_tree(dst, &e), WCTR_OK);
}

/* wctr_fs_set_mtime itself: to the second, a folder too, and the refusal names the path. */
static void test_fs_set_mtime(void **state) {
  (void)state;
  char dir[256];
  fresh_dir(dir, sizeof dir, "tt-setm");
  wctr_errmsg e;
  put_file(dir, "f.txt", "x");
  char path[IMG_PATH_MAX];
  assert_int_equal(wctr_fs_join(path, sizeof path, dir, "f.txt"), WCTR_OK);
  assert_int_equal(wctr_fs_set_mtime(path, 1500000000, 250000000, &e), WCTR_OK);
  wctr_fs_info st;
  assert_int_equal(wctr_fs_stat(path, &st), WCTR_OK);
  assert_int_equal(st.mtime, 1500000000);
  assert_int_equal(wctr_fs_set_mtime(dir, 1600000000, 0, &e), WCTR_OK);
  assert_int_equal(wctr_fs_stat(dir, &st), WCTR_OK);
  assert_int_equal(st.mtime, 1600000000);
  assert_int_equal(wctr_fs_set_mtime(path, 1, 1000000000u, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "f.txt"));
  assert_int_equal(wctr_fs_join(path, sizeof path, dir, "missing.txt"), WCTR_OK);
  assert_int_equal(wctr_fs_set_mtime(path, 1500000000, 0, &e), WCTR_ENOENT);
  assert_int_equal(wctr_fs_remove_tree(dir, &e), WCTR_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_writer_round_trip), cmocka_unit_test(test_writer_mtime_read_back),
      cmocka_unit_test(test_writer_refusals),   cmocka_unit_test(test_container_paths),
      cmocka_unit_test(test_pack_then_extract), cmocka_unit_test(test_extract_refusals),
      cmocka_unit_test(test_dir_nondir),        cmocka_unit_test(test_resolve),
      cmocka_unit_test(test_extract_keeps_mtimes), cmocka_unit_test(test_fs_set_mtime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
