/* tests/images/test_tar.c - the streaming layer tar reader (images/tar.h): ustar, PAX and GNU headers, the
 * records of Windows layers, gzip (one or several members), the digest of the whole uncompressed stream, and
 * every refusal, on archives written by tarw.c. Natively (ASan, the portable SHA-256) and under Wine (BCrypt,
 * zlib built for mingw). */
#include <zlib.h>

#include "images/tar.h"
#include "images_test.h"
#include "tarw.h"

/* A source over a buffer, handing out at most chunk bytes per call (1 exercises every boundary). */
typedef struct src {
  const uint8_t *data;
  size_t len;
  size_t pos;
  size_t chunk;
  size_t fail_at; /* a read starting at or past this offset fails (0: never) */
} src;

static wctr_err src_read(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  src *s = ctx;
  if (s->fail_at != 0 && s->pos >= s->fail_at) return wctr_fail(e, WCTR_EIO, "the source failed on purpose");
  size_t n = s->len - s->pos;
  if (n > size) n = size;
  if (s->chunk != 0 && n > s->chunk) n = s->chunk;
  if (n > 0) memcpy(buf, s->data + s->pos, n);
  s->pos += n;
  *got = n;
  return WCTR_OK;
}

static img_tar *open_tar(src *s, const tarw *w, bool gzip, size_t chunk) {
  *s = (src){.data = w->data, .len = w->len, .chunk = chunk};
  img_tar *t = NULL;
  wctr_errmsg e;
  assert_int_equal(img_tar_open(src_read, s, gzip, &t, &e), WCTR_OK);
  return t;
}

static char *read_body(img_tar *t, size_t step) {
  size_t cap = 64, len = 0;
  char *out = malloc(cap);
  assert_non_null(out);
  for (;;) {
    if (len + step + 1 > cap) {
      cap = (len + step + 1) * 2;
      out = realloc(out, cap);
      assert_non_null(out);
    }
    size_t got = 0;
    wctr_errmsg e;
    assert_int_equal(img_tar_read(t, out + len, step, &got, &e), WCTR_OK);
    if (got == 0) break;
    len += got;
  }
  out[len] = '\0';
  return out;
}

/* Reads to the end; the error (WCTR_OK when none) and its message. */
static wctr_err read_all(const tarw *w, bool gzip, size_t chunk, wctr_errmsg *e, size_t *entries) {
  src s;
  img_tar *t = open_tar(&s, w, gzip, chunk);
  const img_tar_entry *en = NULL;
  wctr_err err = WCTR_OK;
  size_t n = 0;
  for (;;) {
    err = img_tar_next(t, &en, e);
    if (err != WCTR_OK || en == NULL) break;
    n++;
  }
  char d[IMG_DIGEST_MAX];
  if (err == WCTR_OK) err = img_tar_finish(t, d, NULL, e);
  img_tar_free(t);
  if (entries != NULL) *entries = n;
  return err;
}

static void expect_refusal(const tarw *w, bool gzip, const char *fragment) {
  wctr_errmsg e;
  e.text[0] = '\0';
  wctr_err err = read_all(w, gzip, 0, &e, NULL);
  if (err == WCTR_OK) FAILF("expected a refusal containing \"%s\", the archive was accepted", fragment);
  if (strstr(e.text, fragment) == NULL) FAILF("expected \"%s\" in \"%s\"", fragment, e.text);
}

static void test_ustar_entries(void **state) {
  (void)state;
  tarw w;
  tarw_init(&w);
  tarw_entry(&w, "Files/", '5', NULL, NULL, 0, NULL);
  tarw_entry(&w, "Files/a.txt", '0', NULL, "hello, layer", 12, NULL);
  tarw_entry(&w, "Files/b.bin", '0', NULL, "skipped body that nobody reads", 30, NULL);
  tarw_entry(&w, "Files/link", '1', "Files/a.txt", NULL, 0, NULL);
  tarw_entry(&w, "Files/sym", '2', "a.txt", NULL, 0, NULL);
  tarw_entry(&w, "Files/fifo", '6', NULL, NULL, 0, NULL);
  tarw_end(&w);
  static const size_t chunks[] = {0, 1, 7, 511, 513};
  for (size_t c = 0; c < COUNT_OF(chunks); c++) {
    src s;
    img_tar *t = open_tar(&s, &w, false, chunks[c]);
    const img_tar_entry *en = NULL;
    wctr_errmsg e;
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_non_null(en);
    assert_string_equal(en->name, "Files/");
    assert_int_equal(en->kind, IMG_TAR_DIR);
    assert_int_equal(en->mode, 0755);
    assert_true(en->mtime.set);
    assert_int_equal(en->mtime.sec, 1700000000);
    assert_false(en->atime.set);
    assert_int_equal(en->offset, 0);
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_string_equal(en->name, "Files/a.txt");
    assert_int_equal(en->kind, IMG_TAR_FILE);
    assert_int_equal(en->size, 12);
    assert_int_equal(en->offset, 512);
    char *body = read_body(t, 5);
    assert_string_equal(body, "hello, layer");
    free(body);
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK); /* b.bin: its body is skipped */
    assert_string_equal(en->name, "Files/b.bin");
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_int_equal(en->kind, IMG_TAR_LINK);
    assert_string_equal(en->linkname, "Files/a.txt");
    assert_int_equal(en->size, 0);
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_int_equal(en->kind, IMG_TAR_SYMLINK);
    assert_string_equal(en->linkname, "a.txt");
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_int_equal(en->kind, IMG_TAR_DEVICE);
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_null(en);
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK); /* the end stays the end */
    assert_null(en);
    char d[IMG_DIGEST_MAX], want[IMG_DIGEST_MAX];
    uint64_t length = 0;
    assert_int_equal(img_tar_finish(t, d, &length, &e), WCTR_OK);
    assert_int_equal(img_digest_of(w.data, w.len, want), WCTR_OK);
    assert_string_equal(d, want);
    assert_int_equal(length, w.len);
    img_tar_free(t);
  }
  tarw_free(&w);
}

static void test_pax_records(void **state) {
  (void)state;
  char longname[300];
  memset(longname, 'n', sizeof longname);
  memcpy(longname, "Files/", 6);
  longname[sizeof longname - 1] = '\0';
  static const uint8_t ea1[] = {1, 2, 3};
  static const uint8_t ea2[] = {9};
  size_t sd_len = 0;
  const uint8_t *sd = tarw_sample_sd(&sd_len);
  char *rawsd = tarw_b64_record("MSWINDOWS.rawsd", sd, sd_len);
  char *x1 = tarw_b64_record("MSWINDOWS.xattr.FIRST", ea1, sizeof ea1);
  char *x2 = tarw_b64_record("MSWINDOWS.xattr.SECOND", ea2, sizeof ea2);
  char *x1again = tarw_b64_record("MSWINDOWS.xattr.FIRST", ea2, sizeof ea2);
  const char *recs[] = {"MSWINDOWS.fileattr=34", rawsd, x1, x2, x1again, "mtime=1700000000.123456789",
                        "atime=-1.25", "ctime=5", "LIBARCHIVE.creationtime=1600000000.5", "uid=7", "SCHILY.xattr.x=y",
                        "MSWINDOWS.mountpoint=1", "MSWINDOWS.sd=O:BAG:SY", NULL};
  tarw w;
  tarw_init(&w);
  const char *global[] = {"comment=ignored", "path=not/applied", NULL};
  tarw_pax(&w, 'g', global, 0);
  tarw_entry(&w, longname, '0', NULL, "x", 1, recs);
  const char *size_rec[] = {"size=3", NULL};
  tarw_pax(&w, 'x', size_rec, 0);
  tarw_header(&w, "Files/sized", '0', 99, NULL); /* PAX size wins over the header's */
  tarw_body(&w, "abc", 3);
  tarw_end(&w);
  src s;
  img_tar *t = open_tar(&s, &w, false, 3);
  const img_tar_entry *en = NULL;
  wctr_errmsg e;
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_non_null(en);
  assert_string_equal(en->name, longname);
  assert_true(en->has_fileattr);
  assert_int_equal(en->fileattr, 34);
  assert_int_equal(en->rawsd_len, sd_len);
  assert_memory_equal(en->rawsd, sd, sd_len);
  assert_string_equal(en->sddl, "O:BAG:SY");
  assert_true(en->mountpoint);
  assert_int_equal(en->xattr_count, 2);
  assert_string_equal(en->xattrs[0].name, "FIRST");
  assert_int_equal(en->xattrs[0].len, 1); /* the later record won */
  assert_int_equal(en->xattrs[0].value[0], 9);
  assert_string_equal(en->xattrs[1].name, "SECOND");
  assert_int_equal(en->mtime.sec, 1700000000);
  assert_int_equal(en->mtime.nsec, 123456789);
  assert_int_equal(en->atime.sec, -2);
  assert_int_equal(en->atime.nsec, 750000000);
  assert_int_equal(en->ctime.sec, 5);
  assert_true(en->creation.set);
  assert_int_equal(en->creation.nsec, 500000000);
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_string_equal(en->name, "Files/sized");
  assert_int_equal(en->size, 3);
  assert_false(en->has_fileattr); /* records do not leak from one entry to the next */
  assert_null(en->rawsd);
  char *body = read_body(t, 2);
  assert_string_equal(body, "abc");
  free(body);
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_null(en);
  img_tar_free(t);
  tarw_free(&w);
  free(rawsd);
  free(x1);
  free(x2);
  free(x1again);
}

static void test_gnu_and_prefix(void **state) {
  (void)state;
  char longname[400];
  memset(longname, 'g', sizeof longname);
  memcpy(longname, "Files/", 6);
  longname[sizeof longname - 1] = '\0';
  tarw w;
  tarw_init(&w);
  tarw_gnu_long(&w, 'L', longname);
  tarw_gnu_long(&w, 'K', "Files/the/long/target");
  tarw_header(&w, "ignored-short-name", '1', 0, "ignored");
  /* ustar's prefix field */
  size_t at = w.len;
  tarw_header(&w, "leaf.txt", '0', 0, NULL);
  memcpy(w.data + at + 345, "Files/deep/dir", 14);
  /* fix the checksum after editing the header */
  memset(w.data + at + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; i++) sum += w.data[at + i];
  snprintf((char *)w.data + at + 148, 8, "%06o", sum);
  tarw_end(&w);
  src s;
  img_tar *t = open_tar(&s, &w, false, 0);
  const img_tar_entry *en = NULL;
  wctr_errmsg e;
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_string_equal(en->name, longname);
  assert_string_equal(en->linkname, "Files/the/long/target");
  assert_int_equal(en->kind, IMG_TAR_LINK);
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_string_equal(en->name, "Files/deep/dir/leaf.txt");
  img_tar_free(t);
  tarw_free(&w);
}

static void test_numbers(void **state) {
  (void)state;
  tarw w;
  tarw_init(&w);
  tarw_header(&w, "Files/big", '0', 0, NULL);
  /* base-256 size (5) and a negative base-256 mtime (-1) */
  uint8_t *h = w.data;
  memset(h + 124, 0, 12);
  h[124] = 0x80;
  h[135] = 5;
  memset(h + 136, 0xff, 12);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; i++) sum += h[i];
  snprintf((char *)h + 148, 8, "%06o", sum);
  tarw_body(&w, "12345", 5);
  tarw_end(&w);
  src s;
  img_tar *t = open_tar(&s, &w, false, 0);
  const img_tar_entry *en = NULL;
  wctr_errmsg e;
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_int_equal(en->size, 5);
  assert_int_equal(en->mtime.sec, -1);
  img_tar_free(t);
  tarw_free(&w);
}

static void test_gzip_members_and_digest(void **state) {
  (void)state;
  tarw w;
  tarw_init(&w);
  char big[200000];
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 31 % 251);
  tarw_entry(&w, "Files/big.bin", '0', NULL, big, sizeof big, NULL);
  tarw_entry(&w, "Files/small", '0', NULL, "s", 1, NULL);
  tarw_end(&w);
  tarw_bytes(&w, "trailing bytes after the end blocks", 35); /* part of the diff id too */
  char want[IMG_DIGEST_MAX];
  assert_int_equal(img_digest_of(w.data, w.len, want), WCTR_OK);
  /* two gzip members: the first half, the second half */
  uint8_t *g1 = NULL, *g2 = NULL;
  size_t l1 = 0, l2 = 0;
  size_t half = w.len / 2;
  tarw_gzip(w.data, half, &g1, &l1);
  tarw_gzip(w.data + half, w.len - half, &g2, &l2);
  tarw gz;
  tarw_init(&gz);
  tarw_bytes(&gz, g1, l1);
  tarw_bytes(&gz, g2, l2);
  static const size_t chunks[] = {0, 1, 100};
  for (size_t c = 0; c < COUNT_OF(chunks); c++) {
    src s;
    img_tar *t = open_tar(&s, &gz, true, chunks[c]);
    const img_tar_entry *en = NULL;
    wctr_errmsg e;
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    char *body = read_body(t, 70000);
    assert_memory_equal(body, big, sizeof big);
    free(body);
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_string_equal(en->name, "Files/small");
    assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
    assert_null(en);
    char d[IMG_DIGEST_MAX];
    uint64_t length = 0;
    assert_int_equal(img_tar_finish(t, d, &length, &e), WCTR_OK);
    assert_string_equal(d, want);
    assert_int_equal(length, w.len);
    img_tar_free(t);
  }
  /* corrupt, truncated, garbage after, empty */
  tarw bad;
  tarw_init(&bad);
  tarw_bytes(&bad, g1, l1 / 2);
  expect_refusal(&bad, true, "truncated");
  tarw_free(&bad);
  tarw_init(&bad);
  tarw_bytes(&bad, g1, l1);
  tarw_bytes(&bad, g2, l2);
  tarw_bytes(&bad, "garbage!", 8);
  expect_refusal(&bad, true, "data after the gzip stream");
  tarw_free(&bad);
  tarw_init(&bad);
  tarw_bytes(&bad, g1, l1);
  bad.data[l1 / 2] ^= 0x55;
  bad.data[l1 / 2 + 1] ^= 0xaa;
  wctr_errmsg e;
  assert_int_not_equal(read_all(&bad, true, 0, &e, NULL), WCTR_OK);
  tarw_free(&bad);
  tarw_init(&bad);
  expect_refusal(&bad, true, "empty");
  tarw_free(&bad);
  free(g1);
  free(g2);
  tarw_free(&gz);
  tarw_free(&w);
}

static void test_end_rules(void **state) {
  (void)state;
  /* the stream ending at a header's boundary is the end (Go's rule) */
  tarw w;
  tarw_init(&w);
  tarw_entry(&w, "Files/a", '0', NULL, "a", 1, NULL);
  size_t entries = 0;
  wctr_errmsg e;
  assert_int_equal(read_all(&w, false, 0, &e, &entries), WCTR_OK);
  assert_int_equal(entries, 1);
  /* an empty stream is an empty archive */
  tarw empty;
  tarw_init(&empty);
  assert_int_equal(read_all(&empty, false, 0, &e, &entries), WCTR_OK);
  assert_int_equal(entries, 0);
  /* a lone zero block followed by an entry */
  static const uint8_t zero[512];
  tarw_bytes(&w, zero, 512);
  tarw_entry(&w, "Files/b", '0', NULL, "b", 1, NULL);
  expect_refusal(&w, false, "zero block is followed");
  tarw_free(&w);
  /* a PAX header and then the end */
  tarw_init(&w);
  const char *recs[] = {"path=Files/x", NULL};
  tarw_pax(&w, 'x', recs, 0);
  tarw_end(&w);
  expect_refusal(&w, false, "followed by the end");
  tarw_free(&w);
  /* ends inside a header, inside a body */
  tarw_init(&w);
  tarw_entry(&w, "Files/a", '0', NULL, "abcdef", 6, NULL);
  w.len = 600;
  expect_refusal(&w, false, "ends inside");
  w.len = 300;
  expect_refusal(&w, false, "ends inside a header");
  tarw_free(&w);
}

static void test_refusals(void **state) {
  (void)state;
  tarw w;
  /* checksum */
  tarw_init(&w);
  tarw_entry(&w, "Files/a", '0', NULL, "a", 1, NULL);
  w.data[0] = 'X';
  expect_refusal(&w, false, "checksum");
  tarw_free(&w);
  /* a size field that is not octal */
  tarw_init(&w);
  tarw_header(&w, "Files/a", '0', 0, NULL);
  memcpy(w.data + 124, "0000000009x", 11);
  memset(w.data + 148, ' ', 8);
  unsigned sum = 0;
  for (size_t i = 0; i < 512; i++) sum += w.data[i];
  snprintf((char *)w.data + 148, 8, "%06o", sum);
  expect_refusal(&w, false, "size field");
  tarw_free(&w);
  static const struct {
    const char *record;
    const char *fragment;
  } bad_records[] = {
      {"size=12a", "is not a size"},
      {"mtime=1.2.3", "is not a time"},
      {"atime=x", "is not a time"},
      {"MSWINDOWS.fileattr=-1", "32-bit"},
      {"MSWINDOWS.fileattr=4294967296", "32-bit"},
      {"MSWINDOWS.rawsd=!!!!", "not base64"},
      {"MSWINDOWS.xattr.=AAAA", "names no attribute"},
      {"MSWINDOWS.xattr.X=A", "not base64"},
      {"GNU.sparse.major=1", "sparse"},
  };
  for (size_t i = 0; i < COUNT_OF(bad_records); i++) {
    tarw_init(&w);
    const char *recs[] = {bad_records[i].record, NULL};
    tarw_entry(&w, "Files/a", '0', NULL, "a", 1, recs);
    tarw_end(&w);
    expect_refusal(&w, false, bad_records[i].fragment);
    tarw_free(&w);
  }
  /* malformed record framing */
  static const char *const framings[] = {"5 a=b\n", "99 path=x\n", "x path=y\n", "12 noequal\n", "9 =value\n",
                                         "10 path=xy"};
  for (size_t i = 0; i < COUNT_OF(framings); i++) {
    tarw_init(&w);
    tarw_header(&w, "PaxHeaders/a", 'x', strlen(framings[i]), NULL);
    tarw_body(&w, framings[i], strlen(framings[i]));
    tarw_entry(&w, "Files/a", '0', NULL, "a", 1, NULL);
    tarw_end(&w);
    expect_refusal(&w, false, "PAX extended header");
    tarw_free(&w);
  }
  /* a NUL in a path record */
  tarw_init(&w);
  static const char nulpath[] = "14 path=ab\0cd\n";
  tarw_header(&w, "PaxHeaders/a", 'x', sizeof nulpath - 1, NULL);
  tarw_body(&w, nulpath, sizeof nulpath - 1);
  tarw_entry(&w, "Files/a", '0', NULL, "a", 1, NULL);
  tarw_end(&w);
  expect_refusal(&w, false, "NUL");
  tarw_free(&w);
  /* an extended header over the bound, a name over the bound */
  tarw_init(&w);
  tarw_header(&w, "PaxHeaders/a", 'x', IMG_TAR_MAX_META + 1, NULL);
  tarw_end(&w);
  expect_refusal(&w, false, "larger than");
  tarw_free(&w);
  tarw_init(&w);
  size_t n = IMG_TAR_MAX_NAME + 10;
  char *huge = malloc(n + 6);
  assert_non_null(huge);
  memcpy(huge, "path=", 5);
  memset(huge + 5, 'a', n);
  huge[5 + n] = '\0';
  const char *recs[] = {huge, NULL};
  tarw_entry(&w, "Files/a", '0', NULL, "a", 1, recs);
  tarw_end(&w);
  expect_refusal(&w, false, "longer than");
  free(huge);
  tarw_free(&w);
  /* sparse, multi-volume */
  tarw_init(&w);
  tarw_header(&w, "Files/s", 'S', 0, NULL);
  tarw_end(&w);
  expect_refusal(&w, false, "sparse");
  tarw_free(&w);
  tarw_init(&w);
  tarw_header(&w, "Files/m", 'M', 0, NULL);
  tarw_end(&w);
  expect_refusal(&w, false, "multi-volume");
  tarw_free(&w);
  /* an empty name */
  tarw_init(&w);
  tarw_header(&w, "", '0', 0, NULL);
  tarw_end(&w);
  expect_refusal(&w, false, "empty name");
  tarw_free(&w);
}

static void test_source_errors_and_state(void **state) {
  (void)state;
  tarw w;
  tarw_init(&w);
  tarw_entry(&w, "Files/a", '0', NULL, "abc", 3, NULL);
  tarw_entry(&w, "Files/b", '0', NULL, "abc", 3, NULL);
  tarw_end(&w);
  src s = {.data = w.data, .len = w.len, .chunk = 512, .fail_at = 1024};
  img_tar *t = NULL;
  wctr_errmsg e;
  assert_int_equal(img_tar_open(src_read, &s, false, &t, &e), WCTR_OK);
  const img_tar_entry *en = NULL;
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_EIO);
  assert_non_null(strstr(e.text, "on purpose"));
  /* a failed reader stays failed */
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_ESTATE);
  char d[IMG_DIGEST_MAX];
  assert_int_equal(img_tar_finish(t, d, NULL, &e), WCTR_ESTATE);
  img_tar_free(t);
  /* finish before the end */
  s = (src){.data = w.data, .len = w.len};
  assert_int_equal(img_tar_open(src_read, &s, false, &t, &e), WCTR_OK);
  assert_int_equal(img_tar_next(t, &en, &e), WCTR_OK);
  assert_int_equal(img_tar_finish(t, d, NULL, &e), WCTR_ESTATE);
  img_tar_free(t);
  tarw_free(&w);
}

static void test_filetime(void **state) {
  (void)state;
  img_tar_time t = {.set = true, .sec = 0, .nsec = 0};
  assert_int_equal(img_tar_filetime(&t), INT64_C(116444736000000000));
  t = (img_tar_time){.set = true, .sec = 1700000000, .nsec = 123456789};
  assert_int_equal(img_tar_filetime(&t), INT64_C(116444736000000000) + INT64_C(17000000000000000) + 1234567);
  t = (img_tar_time){.set = true, .sec = -11644473601, .nsec = 0}; /* before 1601 */
  assert_int_equal(img_tar_filetime(&t), 0);
  t = (img_tar_time){.set = false};
  assert_int_equal(img_tar_filetime(&t), 0);
  t = (img_tar_time){.set = true, .sec = INT64_MAX / 4};
  assert_int_equal(img_tar_filetime(&t), INT64_MAX);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ustar_entries),  cmocka_unit_test(test_pax_records),
      cmocka_unit_test(test_gnu_and_prefix), cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_gzip_members_and_digest), cmocka_unit_test(test_end_rules),
      cmocka_unit_test(test_refusals),       cmocka_unit_test(test_source_errors_and_state),
      cmocka_unit_test(test_filetime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
