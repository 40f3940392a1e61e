/* tests/images/test_wclayer.c - the Windows layer walker (images/wclayer.h) with a sink that records what it is
 * told: the operations of hcsshim's LayerWriter in order, each entry's Win32 backup stream parsed back
 * (security descriptor, extended attributes, reparse data, data, alternate data streams), the basic
 * information from the PAX records, whiteouts and hard links; then every refusal of the header, each on a
 * generated hostile layer, with nothing passed to the sink for the refused entry. */
#include "images/wclayer.h"
#include "images_test.h"
#include "tarw.h"

#define ATTR_ARCHIVE 0x20u
#define ATTR_DIR IMG_WCL_ATTR_DIRECTORY
#define ATTR_REPARSE IMG_WCL_ATTR_REPARSE_POINT

/* --- the recording sink ------------------------------------------------------------------------------------ */

typedef struct rec {
  char log[65536];    /* one line per operation and per stream */
  uint8_t *stream;    /* the current entry's backup stream */
  size_t stream_len;
  bool open;
  int fail_add_at;    /* fail the Nth add (0: never) */
  int adds;
} rec;

static void logf_(rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(rec *r, const char *fmt, ...) {
  size_t n = strlen(r->log);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->log + n, sizeof r->log - n, fmt, ap);
  va_end(ap);
}

static wctr_err rec_add(void *ctx, const char *path, const img_wcl_info *info, uint64_t size, wctr_errmsg *e) {
  rec *r = ctx;
  if (r->open) return wctr_fail(e, WCTR_EINTERNAL, "add while an entry is open");
  if (r->fail_add_at != 0 && ++r->adds == r->fail_add_at) return wctr_fail(e, WCTR_EIO, "the sink failed on purpose");
  logf_(r, "add %s attr=%#x size=%llu ct=%lld wt=%lld at=%lld\n", path, info->attributes, (unsigned long long)size,
        (long long)info->creation, (long long)info->last_write, (long long)info->last_access);
  r->open = true;
  r->stream_len = 0;
  return WCTR_OK;
}

static wctr_err rec_write(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  rec *r = ctx;
  if (!r->open) return wctr_fail(e, WCTR_EINTERNAL, "write without add");
  uint8_t *s = realloc(r->stream, r->stream_len + len);
  assert_non_null(s);
  memcpy(s + r->stream_len, data, len);
  r->stream = s;
  r->stream_len += len;
  return WCTR_OK;
}

static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

/* UTF-16LE (ASCII only in these tests) to text. */
static void narrow(const uint8_t *p, size_t bytes, char *out, size_t size) {
  size_t n = 0;
  for (size_t i = 0; i + 1 < bytes && n + 1 < size; i += 2) out[n++] = p[i + 1] == 0 ? (char)p[i] : '?';
  out[n] = '\0';
}

/* Parses the backup stream back: "  stream ID name=... size=N" and what the stream holds. */
static wctr_err rec_done(void *ctx, wctr_errmsg *e) {
  rec *r = ctx;
  size_t at = 0;
  while (at < r->stream_len) {
    if (r->stream_len - at < IMG_WCL_STREAM_HEADER) return wctr_fail(e, WCTR_EINTERNAL, "a stream header is cut");
    const uint8_t *h = r->stream + at;
    uint32_t id = u32(h);
    uint64_t size = (uint64_t)u32(h + 8) | (uint64_t)u32(h + 12) << 32;
    uint32_t name_size = u32(h + 16);
    char name[256] = "";
    narrow(h + 20, name_size, name, sizeof name);
    at += IMG_WCL_STREAM_HEADER + name_size;
    if (r->stream_len - at < size) return wctr_fail(e, WCTR_EINTERNAL, "a stream is cut");
    const uint8_t *d = r->stream + at;
    logf_(r, "  stream %u%s%s size=%llu", id, name[0] ? " name=" : "", name, (unsigned long long)size);
    if (id == IMG_WCL_STREAM_DATA || id == IMG_WCL_STREAM_ALTERNATE) {
      logf_(r, " data=%.*s", (int)(size > 40 ? 40 : size), (const char *)d);
    } else if (id == IMG_WCL_STREAM_REPARSE) {
      uint32_t tag = u32(d);
      bool mp = tag == IMG_WCL_TAG_MOUNT_POINT;
      const uint8_t *names = d + 8 + (mp ? 8 : 12);
      char sub[200], print[200];
      narrow(names + u16(d + 8), u16(d + 10), sub, sizeof sub);
      narrow(names + u16(d + 12), u16(d + 14), print, sizeof print);
      logf_(r, " tag=%#x sub=%s print=%s", tag, sub, print);
      if (!mp) logf_(r, " flags=%u", u32(d + 16));
      assert_int_equal(u16(d + 4) + 8, size);
    } else if (id == IMG_WCL_STREAM_EA) {
      size_t off = 0;
      for (;;) {
        const uint8_t *ea = d + off;
        logf_(r, " ea=%.*s:%u", ea[5], (const char *)ea + 8, u16(ea + 6));
        if (u32(ea) == 0) break;
        off += u32(ea);
      }
    } else if (id == IMG_WCL_STREAM_SECURITY) {
      assert_true(img_wcl_sd_valid(d, (size_t)size));
    }
    logf_(r, "\n");
    at += (size_t)size;
  }
  r->open = false;
  return WCTR_OK;
}

static wctr_err rec_link(void *ctx, const char *path, const char *target, bool in_layer, wctr_errmsg *e) {
  (void)e;
  rec *r = ctx;
  logf_(r, "link %s -> %s%s\n", path, target, in_layer ? " (layer)" : " (parents)");
  return WCTR_OK;
}

static wctr_err rec_remove(void *ctx, const char *path, wctr_errmsg *e) {
  (void)e;
  logf_(ctx, "remove %s\n", path);
  return WCTR_OK;
}

static img_wcl_sink rec_sink(rec *r) {
  return (img_wcl_sink){.ctx = r, .add = rec_add, .write = rec_write, .done = rec_done, .link = rec_link,
                        .remove = rec_remove};
}

typedef struct src {
  const uint8_t *data;
  size_t len, pos;
} src;

static wctr_err src_read(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  (void)e;
  src *s = ctx;
  size_t n = s->len - s->pos < size ? s->len - s->pos : size;
  if (n > 0) memcpy(buf, s->data + s->pos, n);
  s->pos += n;
  *got = n;
  return WCTR_OK;
}

static wctr_err apply(const uint8_t *data, size_t len, bool gzip, bool base, const char *diff_id, rec *r,
                      img_wcl_result *res, wctr_errmsg *e) {
  src s = {.data = data, .len = len};
  img_tar *t = NULL;
  wctr_err err = img_tar_open(src_read, &s, gzip, &t, e);
  assert_int_equal(err, WCTR_OK);
  img_wcl_options opt = {.base = base, .diff_id = diff_id};
  img_wcl_sink sink = rec_sink(r);
  err = img_wcl_apply(t, &opt, &sink, res, e);
  img_tar_free(t);
  return err;
}

static void expect_line(const rec *r, const char *line) {
  if (strstr(r->log, line) == NULL) FAILF("expected \"%s\" in:\n%s", line, r->log);
}

/* --- a base layer ----------------------------------------------------------------------------------------- */

static void base_layer(tarw *w) {
  size_t sd_len = 0;
  const uint8_t *sd = tarw_sample_sd(&sd_len);
  static const uint8_t eav[] = {'v', 'a', 'l'};
  char *ea = tarw_b64_record("MSWINDOWS.xattr.$KERNEL.PURGE.X", eav, sizeof eav);
  char *ea2 = tarw_b64_record("MSWINDOWS.xattr.SECOND", eav, 1);
  const char *eas[] = {ea, ea2, NULL};
  const char *mp[] = {"MSWINDOWS.mountpoint=1", NULL};
  tarw_init(w);
  tarw_win(w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, sd, sd_len, NULL);
  tarw_win(w, "Files/Windows/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/a.txt", '0', NULL, "hello", 5, ATTR_ARCHIVE, sd, sd_len, eas);
  tarw_entry(w, "Files/Windows/a.txt:Zone.Identifier", '0', NULL, "zz", 2, NULL);
  tarw_entry(w, "Files/Windows/a.txt:second", '0', NULL, "s2", 2, NULL);
  tarw_entry(w, "Files/Windows/b.txt", '1', "Files/Windows/a.txt", NULL, 0, NULL);
  tarw_win(w, "Files/Documents and Settings", '2', "C:\\Users", NULL, 0, ATTR_DIR | ATTR_REPARSE, NULL, 0, mp);
  tarw_win(w, "Files/Windows/sym", '2', "a.txt", NULL, 0, ATTR_REPARSE | ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_win(w, "Files/up", '2', "Windows/../Windows/a.txt", NULL, 0, ATTR_REPARSE, NULL, 0, NULL);
  tarw_win(w, "Hives/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Hives/System_Delta", '0', NULL, "regf", 4, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/Files/EFI", '0', NULL, "efi!", 4, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_end(w);
  free(ea);
  free(ea2);
}

static void test_base_layer(void **state) {
  (void)state;
  tarw w;
  base_layer(&w);
  char want[IMG_DIGEST_MAX];
  assert_int_equal(img_digest_of(w.data, w.len, want), WCTR_OK);
  for (int gz = 0; gz < 2; gz++) {
    uint8_t *g = NULL;
    size_t gl = 0;
    if (gz) tarw_gzip(w.data, w.len, &g, &gl);
    rec r = {0};
    img_wcl_result res;
    wctr_errmsg e;
    wctr_err err = apply(gz ? g : w.data, gz ? gl : w.len, gz, true, want, &r, &res, &e);
    if (err != WCTR_OK) FAILF("%s", e.text);
    assert_string_equal(res.diff_id, want);
    assert_int_equal(res.length, w.len);
    assert_int_equal(res.size, 5 + 4 + 4);
    assert_true(res.has_utility_vm);
    assert_int_equal(res.entries, 14);
    /* times: mtime 1700000000.25, creation 1600000000.5, atime 1700000001 as FILETIMEs */
    expect_line(&r, "add Files attr=0x10 size=0 ct=132444736005000000 wt=133444736002500000 at=133444736010000000\n"
                    "  stream 3 size=80\n");
    expect_line(&r, "add Files\\Windows attr=0x10 size=0");
    expect_line(&r, "add Files\\Windows\\a.txt attr=0x20 size=5");
    expect_line(&r, "  stream 3 size=80\n"
                    "  stream 2 size=44 ea=$KERNEL.PURGE.X:3 ea=SECOND:1\n"
                    "  stream 1 size=5 data=hello\n"
                    "  stream 4 name=:Zone.Identifier:$DATA size=2 data=zz\n"
                    "  stream 4 name=:second:$DATA size=2 data=s2\n");
    expect_line(&r, "link Files\\Windows\\b.txt -> Files\\Windows\\a.txt (layer)\n");
    expect_line(&r, "add Files\\Documents and Settings attr=0x410 size=0");
    expect_line(&r, "  stream 8 size=60 tag=0xa0000003 sub=\\??\\C:\\Users print=C:\\Users\n");
    expect_line(&r, "  stream 8 size=44 tag=0xa000000c sub=a.txt print=a.txt flags=1\n");
    expect_line(&r, "add Hives\\System_Delta attr=0x20 size=4");
    expect_line(&r, "add UtilityVM\\Files\\EFI attr=0x20 size=4");
    assert_null(strstr(r.log, "remove"));
    free(r.stream);
    free(g);
  }
  tarw_free(&w);
}

static void test_diff_layer(void **state) {
  (void)state;
  tarw w;
  tarw_init(&w);
  tarw_win(&w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(&w, "Files/new.txt", '0', NULL, "new", 3, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_entry(&w, "Files/.wh.gone.txt", '0', NULL, NULL, 0, NULL);
  tarw_entry(&w, "Files/parent-link", '1', "Files/in/parent.txt", NULL, 0, NULL);
  tarw_entry(&w, "Files/own-link", '1', "Files/NEW.TXT", NULL, 0, NULL); /* Windows names ignore case */
  tarw_win(&w, "Hives/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(&w, "Hives/Software_Delta", '0', NULL, "hive", 4, 0, NULL, 0, NULL);
  tarw_end(&w);
  rec r = {0};
  img_wcl_result res;
  wctr_errmsg e;
  wctr_err err = apply(w.data, w.len, false, false, NULL, &r, &res, &e);
  if (err != WCTR_OK) FAILF("%s", e.text);
  expect_line(&r, "remove Files\\gone.txt\n");
  expect_line(&r, "link Files\\parent-link -> Files\\in\\parent.txt (parents)\n");
  expect_line(&r, "link Files\\own-link -> Files\\NEW.TXT (layer)\n");
  expect_line(&r, "add Hives\\Software_Delta attr=0 size=4");
  assert_false(res.has_utility_vm);
  assert_int_equal(res.size, 7);
  free(r.stream);
  /* the same layer against another diff id */
  memset(&r, 0, sizeof r);
  err = apply(w.data, w.len, false, false, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &r,
              &res, &e);
  assert_int_equal(err, WCTR_EINVAL);
  assert_non_null(strstr(e.text, "not its diff id"));
  free(r.stream);
  tarw_free(&w);
}

static void test_sink_failure(void **state) {
  (void)state;
  tarw w;
  base_layer(&w);
  rec r = {.fail_add_at = 3};
  img_wcl_result res;
  wctr_errmsg e;
  assert_int_equal(apply(w.data, w.len, false, true, NULL, &r, &res, &e), WCTR_EIO);
  assert_non_null(strstr(e.text, "on purpose"));
  assert_null(strstr(r.log, "a.txt"));
  free(r.stream);
  tarw_free(&w);
}

/* --- refusals ---------------------------------------------------------------------------------------------- */

typedef struct hostile {
  const char *what;
  bool base;
  const char *name;
  char type;
  const char *link;
  uint32_t attributes;
  const char *record; /* one more PAX record, or NULL */
  const char *fragment;
} hostile;

static const hostile cases[] = {
    {"outside the roots", true, "Other/x", '0', NULL, 0, NULL, "outside Files, Hives and UtilityVM"},
    {"a root in another case", true, "files/x", '0', NULL, 0, NULL, "outside Files, Hives and UtilityVM"},
    {"dot dot", true, "Files/../x", '0', NULL, 0, NULL, "\"..\""},
    {"dot", true, "Files/./x", '0', NULL, 0, NULL, "\".\""},
    {"absolute", true, "/Files/x", '0', NULL, 0, NULL, "absolute"},
    {"backslash", true, "Files\\..\\x", '0', NULL, 0, NULL, "backslash"},
    {"drive", true, "C:/Windows/x", '0', NULL, 0, NULL, "names a drive"},
    {"device", true, "Files/CON", '0', NULL, 0, NULL, "names a device"},
    {"device with an extension", true, "Files/nul.txt", '0', NULL, 0, NULL, "names a device"},
    {"numbered device", true, "Files/lpt1 .log", '0', NULL, 0, NULL, "names a device"},
    {"console device", true, "Files/CONOUT$", '0', NULL, 0, NULL, "names a device"},
    {"control character", true, "Files/a\x01" "b", '0', NULL, 0, NULL, "control character"},
    {"forbidden character", true, "Files/a?b", '0', NULL, 0, NULL, "does not allow"},
    {"trailing dot", true, "Files/dots...", '0', NULL, 0, NULL, "ending in a dot"},
    {"trailing space", true, "Files/space ", '0', NULL, 0, NULL, "ending in a dot or a space"},
    {"a stream without its file", true, "Files/a:b", '0', NULL, 0, NULL, "alternate data stream right after its file"},
    {"invalid UTF-8", true, "Files/\xff\xfe", '0', NULL, 0, NULL, "UTF-8"},
    {"overlong UTF-8", true, "Files/\xc0\xaf", '0', NULL, 0, NULL, "UTF-8"},
    {"empty component", true, "Files//x", '0', NULL, 0, NULL, "empty component"},
    {"whiteout in a base layer", true, "Files/.wh.x", '0', NULL, 0, NULL, "whiteout in a base layer"},
    {"opaque whiteout", false, "Files/d/.wh..wh..opq", '0', NULL, 0, NULL, "opaque whiteout"},
    {"whiteout outside Files", false, "Hives/.wh.x", '0', NULL, 0, NULL, "whiteout outside Files"},
    {"whiteout of nothing", false, "Files/.wh.", '0', NULL, 0, NULL, "ending in a dot"},
    {"hard link out of the layer", true, "Files/l", '1', "../../Windows/System32/config/SAM", 0, NULL,
     "hard link leading out of the layer"},
    {"hard link to another root", true, "Files/l", '1', "Hives/System_Delta", 0, NULL, "hard link leading out of the layer"},
    {"hard link to an absolute path", false, "Files/l", '1', "/etc/passwd", 0, NULL, "hard link leading out of the layer"},
    {"hard link to nothing in a base layer", true, "Files/l", '1', "Files/absent", 0, NULL, "does not have before it"},
    {"hard link to a folder", true, "Files/l", '1', "Files/d", 0, NULL, "to a folder"},
    {"hard link in Hives", true, "Hives/l", '1', "Files/a", 0, NULL, "hard link outside Files"},
    {"symlink to a UNC path", true, "Files/s", '2', "\\\\server\\share", ATTR_REPARSE, NULL, "UNC, device or NT path"},
    {"symlink to an NT path", true, "Files/s", '2', "\\??\\C:\\x", ATTR_REPARSE, NULL, "UNC, device or NT path"},
    {"symlink to a device path", true, "Files/s", '2', "//./PhysicalDrive0", ATTR_REPARSE, NULL, "UNC, device or NT path"},
    {"symlink to another drive", true, "Files/s", '2', "D:\\data", ATTR_REPARSE, NULL, "another drive than C:"},
    {"drive-relative symlink", true, "Files/s", '2', "C:x", ATTR_REPARSE, NULL, "drive-relative"},
    {"symlink climbing out", true, "Files/d/s", '2', "..\\..\\x", ATTR_REPARSE, NULL, "climbs above the root"},
    {"symlink climbing out with slashes", true, "Files/s", '2', "../x", ATTR_REPARSE, NULL, "climbs above the root"},
    {"symlink to a device", true, "Files/s", '2', "C:\\x\\NUL", ATTR_REPARSE, NULL, "to a device"},
    {"relative junction", true, "Files/j3", '2', "Windows", ATTR_REPARSE | ATTR_DIR, "MSWINDOWS.mountpoint=1",
     "junction whose target is not a path on C:"},
    {"link without a target", true, "Files/s", '2', "", ATTR_REPARSE, NULL, "without a target"},
    {"under a junction", true, "Files/J/evil.dll", '0', NULL, 0, NULL, "lies under a link this layer made"},
    {"hard link under a junction", true, "Files/j/evil", '1', "Files/a", 0, NULL, "through a link"},
    {"hard link to under a junction", true, "Files/l", '1', "Files/j/x", 0, NULL, "through a link"},
    {"device entry", true, "Files/dev", '3', NULL, 0, NULL, "device or FIFO"},
    {"unknown type", true, "Files/z", 'Z', NULL, 0, NULL, "entry type"},
    {"folder without the attribute", true, "Files/d2/", '5', NULL, ATTR_ARCHIVE, NULL, "folder whose attributes"},
    {"file with the folder attribute", true, "Files/f", '0', NULL, ATTR_DIR, NULL, "file whose attributes"},
    {"file with the reparse attribute", true, "Files/f", '0', NULL, ATTR_REPARSE, NULL, "file whose attributes"},
    {"link without the reparse attribute", true, "Files/s", '2', "a", ATTR_ARCHIVE, NULL, "link whose attributes"},
    {"junction that is no folder", true, "Files/j2", '2', "C:\\x", ATTR_REPARSE, "MSWINDOWS.mountpoint=1", "link whose attributes"},
    {"a root that is a file", true, "UtilityVM", '0', NULL, 0, NULL, "not a folder"},
    {"a folder under Hives", true, "Hives/sub/x", '0', NULL, 0, NULL, "folder under Hives"},
    {"a folder in Hives", true, "Hives/sub/", '5', NULL, ATTR_DIR, NULL, "not a file"},
    {"utility VM in a layer with parents", false, "UtilityVM/", '5', NULL, ATTR_DIR, NULL, "layer with parents"},
    {"utility VM outside its Files", true, "UtilityVM/other", '0', NULL, 0, NULL, "outside UtilityVM\\Files"},
    {"security descriptor", true, "Files/f", '0', NULL, 0, "MSWINDOWS.rawsd=AQAEgAAAAAAAAAAAAAAAAP8AAAA=", "not a self-relative"},
    {"legacy SDDL without Windows", true, "Files/f", '0', NULL, 0, "MSWINDOWS.sd=O:BA", "legacy MSWINDOWS.sd"},
    {"attribute name with a space", true, "Files/f", '0', NULL, 0, "MSWINDOWS.xattr.A B=AAAA", "printable ASCII"},
    {"twice", true, "Files/a", '0', NULL, 0, NULL, "appears twice"},
};

/* A base layer's start (Files, Files/a, Files/d, a junction Files/j) then the hostile entry. */
static void hostile_layer(tarw *w, const hostile *h) {
  const char *mp[] = {"MSWINDOWS.mountpoint=1", NULL};
  const char *more[] = {h->record, NULL};
  tarw_init(w);
  tarw_win(w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/a", '0', NULL, "a", 1, 0, NULL, 0, NULL);
  tarw_win(w, "Files/d/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/j", '2', "C:\\Users", NULL, 0, ATTR_DIR | ATTR_REPARSE, NULL, 0, mp);
  tarw_win(w, "Hives/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  if (h->attributes != 0 || h->record != NULL) {
    tarw_win(w, h->name, h->type, h->link, "x", 1, h->attributes, NULL, 0, h->record != NULL ? more : NULL);
  } else {
    tarw_entry(w, h->name, h->type, h->link, "x", 1, NULL);
  }
  tarw_win(w, "Files/after", '0', NULL, "after", 5, 0, NULL, 0, NULL);
  tarw_end(w);
}

static void test_refusals(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    const hostile *h = &cases[i];
    tarw w;
    hostile_layer(&w, h);
    rec r = {0};
    img_wcl_result res;
    wctr_errmsg e;
    e.text[0] = '\0';
    wctr_err err = apply(w.data, w.len, false, h->base, NULL, &r, &res, &e);
    if (err == WCTR_OK) FAILF("%s: accepted", h->what);
    if (strstr(e.text, h->fragment) == NULL) FAILF("%s: expected \"%s\" in \"%s\"", h->what, h->fragment, e.text);
    if (strstr(e.text, "refused") == NULL) FAILF("%s: \"%s\" does not say it was refused", h->what, e.text);
    /* nothing after the refusal reached the sink */
    if (strstr(r.log, "after") != NULL) FAILF("%s: the sink saw entries after the refusal:\n%s", h->what, r.log);
    free(r.stream);
    tarw_free(&w);
  }
}

static void test_extended_attribute_bounds(void **state) {
  (void)state;
  uint8_t *big = calloc(1, 70000);
  assert_non_null(big);
  char *huge = tarw_b64_record("MSWINDOWS.xattr.BIG", big, 65536);
  char *a = tarw_b64_record("MSWINDOWS.xattr.A", big, 40000);
  char *b = tarw_b64_record("MSWINDOWS.xattr.B", big, 40000);
  char longname[300];
  char n256[257];
  memset(n256, 'N', 256);
  n256[256] = '\0';
  snprintf(longname, sizeof longname, "MSWINDOWS.xattr.%s=AAAA", n256);
  const char *one[] = {huge, NULL};
  const char *two[] = {a, b, NULL};
  const char *named[] = {longname, NULL};
  const char *const *sets[] = {one, two, named};
  static const char *const fragments[] = {"more than 65535", "pass 64 KiB", "printable ASCII"};
  for (size_t i = 0; i < COUNT_OF(sets); i++) {
    tarw w;
    tarw_init(&w);
    tarw_win(&w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
    tarw_win(&w, "Files/f", '0', NULL, "f", 1, 0, NULL, 0, sets[i]);
    tarw_end(&w);
    rec r = {0};
    img_wcl_result res;
    wctr_errmsg e;
    assert_int_equal(apply(w.data, w.len, false, true, NULL, &r, &res, &e), WCTR_EINVAL);
    if (strstr(e.text, fragments[i]) == NULL) FAILF("expected \"%s\" in \"%s\"", fragments[i], e.text);
    free(r.stream);
    tarw_free(&w);
  }
  free(huge);
  free(a);
  free(b);
  free(big);
}

static void test_pieces(void **state) {
  (void)state;
  char out[64];
  wctr_errmsg e;
  assert_int_equal(img_wcl_layer_path("Files/a/b/", false, out, sizeof out, &e), WCTR_OK);
  assert_string_equal(out, "Files\\a\\b");
  assert_int_equal(img_wcl_layer_path("Files/a:s", true, out, sizeof out, &e), WCTR_OK);
  assert_string_equal(out, "Files\\a:s");
  assert_int_equal(img_wcl_layer_path("Files/a:s:$DATA", true, out, sizeof out, &e), WCTR_EINVAL);
  assert_int_equal(img_wcl_layer_path("Files/\xe2\x82\xac", false, out, sizeof out, &e), WCTR_OK); /* the euro sign */
  assert_int_equal(img_wcl_layer_path("Files/\xed\xa0\x80", false, out, sizeof out, &e), WCTR_EINVAL); /* a surrogate */
  assert_int_equal(img_wcl_layer_path("Files/COM10", false, out, sizeof out, &e), WCTR_OK);
  assert_int_equal(img_wcl_layer_path("Files/console", false, out, sizeof out, &e), WCTR_OK);
  uint8_t h[64];
  size_t len = 0;
  assert_int_equal(img_wcl_stream_header(4, 0x123456789ull, ":s:$DATA", h, sizeof h, &len), WCTR_OK);
  assert_int_equal(len, 20 + 16);
  assert_int_equal(u32(h), 4);
  assert_int_equal(u32(h + 8), 0x23456789u);
  assert_int_equal(u32(h + 12), 1);
  assert_int_equal(u32(h + 16), 16);
  assert_int_equal(img_wcl_stream_header(4, 1, ":a-much-longer-name:$DATA", h, sizeof h, &len), WCTR_ETOOBIG);
  size_t sd_len = 0;
  const uint8_t *sd = tarw_sample_sd(&sd_len);
  assert_true(img_wcl_sd_valid(sd, sd_len));
  uint8_t broken[128];
  memcpy(broken, sd, sd_len);
  broken[3] = 0; /* not self-relative */
  assert_false(img_wcl_sd_valid(broken, sd_len));
  memcpy(broken, sd, sd_len);
  broken[4] = 200; /* owner outside */
  assert_false(img_wcl_sd_valid(broken, sd_len));
  memcpy(broken, sd, sd_len);
  broken[48 + 2] = 100; /* DACL size past the end */
  assert_false(img_wcl_sd_valid(broken, sd_len));
  assert_false(img_wcl_sd_valid(sd, 19));
  uint8_t *rp = NULL;
  assert_int_equal(img_wcl_reparse_data("C:/ProgramData", true, &rp, &len, &e), WCTR_OK);
  assert_int_equal(u32(rp), IMG_WCL_TAG_MOUNT_POINT);
  assert_int_equal(u16(rp + 4) + 8, len);
  free(rp);
  char longtarget[9000];
  memset(longtarget, 'x', sizeof longtarget - 1);
  longtarget[sizeof longtarget - 1] = '\0';
  assert_int_equal(img_wcl_reparse_data(longtarget, false, &rp, &len, &e), WCTR_ETOOBIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base_layer),   cmocka_unit_test(test_diff_layer),
      cmocka_unit_test(test_sink_failure), cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_extended_attribute_bounds), cmocka_unit_test(test_pieces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
