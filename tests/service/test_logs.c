/* tests/service/test_logs.c - json-file logs with options (service/logs.h): Docker's rotation over N files,
 * the reader across all of them oldest first, what a crash mid-rotation or mid-write leaves, and the
 * attributes each entry carries (--log-opt labels=/env=) as `logs --details` shows them. Portable: runs
 * natively and under Wine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/fs.h"
#include "images/gzip.h"
#include "service/logs.h"
#include "testutil.h"

static char dir[600];
static char path[700];

static int setup(void **state) {
  (void)state;
  char name[64];
  wctr_errmsg e;
  wctr_test_unique_name("wctr-logs", name, sizeof name);
#ifdef _WIN32
  snprintf(dir, sizeof dir, "C:\\%s", name);
#else
  snprintf(dir, sizeof dir, "/tmp/%s", name);
#endif
  if (wctr_fs_mkdir(dir, &e) != WCTR_OK) return -1;
  return wctr_fs_join(path, sizeof path, dir, SVC_LOG_FILE) == WCTR_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  wctr_errmsg e;
  wctr_fs_remove_tree(dir, &e);
  return 0;
}

static void numbered(int n, char *out, size_t size) {
  if (n == 0) {
    snprintf(out, size, "%s", path);
  } else {
    snprintf(out, size, "%s.%d", path, n);
  }
}

/* What the reader delivers: "details|line" per entry when with_details, else the lines. */
typedef struct collected {
  char text[16384];
  bool with_details;
  int lines;
} collected;

static void collect(void *ctx, int stream, const char *data, size_t len, const char *time, const char *details) {
  (void)stream;
  (void)time;
  collected *c = ctx;
  size_t at = strlen(c->text);
  if (c->with_details) at += (size_t)snprintf(c->text + at, sizeof c->text - at, "%s|", details);
  snprintf(c->text + at, sizeof c->text - at, "%.*s", (int)len, data);
  c->lines++;
}

static void read_all(int max_files, int64_t tail, collected *c, uint64_t *skipped) {
  svc_log_reader *r = NULL;
  wctr_errmsg e;
  bool done = false;
  assert_int_equal(svc_log_reader_open(path, max_files, tail, &r, &e), WCTR_OK);
  while (!done) assert_int_equal(svc_log_reader_next(r, 100, collect, c, &done), WCTR_OK);
  if (skipped != NULL) *skipped = svc_log_reader_skipped(r);
  svc_log_reader_close(r);
}

static void write_lines(svc_log_writer *w, int from, int to) {
  for (int i = from; i < to; i++) {
    char line[64];
    snprintf(line, sizeof line, "line %03d of the container's output\n", i);
    svc_log_writer_write(w, 1, line, strlen(line), NULL, NULL);
  }
}

/* max-size 1k, max-file 3: Docker's names (.1 newest rotated, .2 oldest), never a fourth file, and the
 * reader gives the newest lines, oldest first, in order; a tail reaches back through the rotated files. */
static void test_rotation_keeps_max_files(void **state) {
  (void)state;
  wctr_errmsg e;
  svc_log_writer *w = NULL;
  svc_log_options o = {.max_bytes = 1000, .max_files = 3};
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  write_lines(w, 0, 200);
  svc_log_writer_close(w);
  char name[720];
  for (int n = 0; n < 3; n++) {
    numbered(n, name, sizeof name);
    assert_true(wctr_fs_exists(name));
    wctr_file *f = NULL;
    uint64_t size = 0;
    assert_int_equal(wctr_file_open(name, WCTR_FILE_READ, &f, &e), WCTR_OK);
    assert_int_equal(wctr_file_size(f, &size), WCTR_OK);
    wctr_file_close(f);
    assert_true(size <= 1000);
  }
  numbered(3, name, sizeof name);
  assert_false(wctr_fs_exists(name));
  collected c = {0};
  read_all(3, -1, &c, NULL);
  if (c.lines <= 10 || c.lines >= 200) fail_msg("%d lines: %s", c.lines, c.text);
  /* The lines are consecutive and end with the last one written. */
  int first = (int)strtol(c.text + 5, NULL, 10);
  for (int i = 0; i < c.lines; i++) {
    char want[64];
    snprintf(want, sizeof want, "line %03d of the container's output\n", first + i);
    assert_non_null(strstr(c.text, want));
  }
  assert_int_equal(first + c.lines, 200);
  collected t = {0};
  read_all(3, c.lines - 1, &t, NULL);
  assert_int_equal(t.lines, c.lines - 1);
  assert_string_equal(t.text, strchr(c.text, '\n') + 1);
}

/* max-file 1: the file starts over when full (Docker's behaviour), no .1. */
static void test_one_file_starts_over(void **state) {
  (void)state;
  wctr_errmsg e;
  svc_log_writer *w = NULL;
  svc_log_options o = {.max_bytes = 500, .max_files = 1};
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  write_lines(w, 0, 50);
  svc_log_writer_close(w);
  char name[720];
  numbered(1, name, sizeof name);
  assert_false(wctr_fs_exists(name));
  collected c = {0};
  read_all(1, -1, &c, NULL);
  assert_true(c.lines >= 1 && c.lines < 50);
  assert_non_null(strstr(c.text, "line 049"));
}

static void put_file(const char *name, const char *text) {
  wctr_file *f = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_file_open(name, WCTR_FILE_TRUNCATE, &f, &e), WCTR_OK);
  assert_int_equal(wctr_file_write(f, text, strlen(text)), WCTR_OK);
  wctr_file_close(f);
}

/* What a crash leaves: a rotation stopped after .1 became .2 (a gap at .1) and an entry cut mid-write at the
 * end of the current file. The next writer ends the cut entry, so it is one skipped line; the reader reads
 * the files that are there, oldest first; the next rotation fills the gap. */
static void test_crash_mid_rotation(void **state) {
  (void)state;
  wctr_errmsg e;
  char name[720];
  numbered(2, name, sizeof name);
  put_file(name, "{\"log\":\"oldest\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-07T00:00:00.000000000Z\"}\n");
  put_file(path, "{\"log\":\"newer\\n\",\"stream\":\"stderr\",\"time\":\"2026-12-07T00:00:01.000000000Z\"}\n"
                 "{\"log\":\"cut in the mid");
  svc_log_writer *w = NULL;
  svc_log_options o = {.max_bytes = 100000, .max_files = 3};
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  svc_log_writer_write(w, 1, "after the crash\n", 16, NULL, NULL);
  svc_log_writer_close(w);
  collected c = {0};
  uint64_t skipped = 0;
  read_all(3, -1, &c, &skipped);
  if (strcmp(c.text, "oldest\nnewer\nafter the crash\n") != 0) fail_msg("got [%s]", c.text);
  assert_int_equal(skipped, 1);
  /* A rotation now: path -> .1 (the gap), .2 stays the oldest. */
  o.max_bytes = 10;
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  svc_log_writer_write(w, 1, "newest\n", 7, NULL, NULL);
  svc_log_writer_close(w);
  numbered(1, name, sizeof name);
  assert_true(wctr_fs_exists(name));
  collected d = {0};
  read_all(3, -1, &d, NULL);
  assert_string_equal(d.text, "oldest\nnewer\nafter the crash\nnewest\n");
}

/* Attributes: each entry carries "attrs" between "stream" and "time" (Docker's order); the reader gives
 * Docker's --details text (sorted, URL-query-escaped, "k=v,k2=v2"), "" for an entry without. */
static void test_attrs_and_details(void **state) {
  (void)state;
  wctr_errmsg e;
  const char *keys[] = {"app", "who"};
  const char *values[] = {"web", "a b&c=d"};
  svc_log_options o = {.attr_keys = keys, .attr_values = values, .attr_count = 2};
  put_file(path, "{\"log\":\"before\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-07T00:00:00.000000000Z\"}\n");
  svc_log_writer *w = NULL;
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  collected live = {.with_details = true};
  svc_log_writer_write(w, 2, "hello\n", 6, collect, &live);
  svc_log_writer_close(w);
  assert_string_equal(live.text, "app=web,who=a+b%26c%3Dd|hello\n");
  wctr_file *f = NULL;
  char raw[1024] = "";
  size_t got = 0;
  assert_int_equal(wctr_file_open(path, WCTR_FILE_READ, &f, &e), WCTR_OK);
  assert_int_equal(wctr_file_pread(f, 0, raw, sizeof raw - 1, &got), WCTR_OK);
  wctr_file_close(f);
  raw[got] = '\0';
  assert_non_null(strstr(raw, "{\"log\":\"hello\\n\",\"stream\":\"stderr\",\"attrs\":{\"app\":\"web\",\"who\":\"a b&c=d\"},"
                              "\"time\":\""));
  collected c = {.with_details = true};
  read_all(0, -1, &c, NULL);
  assert_string_equal(c.text, "|before\napp=web,who=a+b%26c%3Dd|hello\n");
  /* Docker's tools may write the attributes in any order: the details are sorted all the same. */
  int stream = 0;
  char *data = NULL, *details = NULL;
  size_t len = 0;
  char time[40];
  const char *line = "{\"log\":\"x\",\"stream\":\"stdout\",\"attrs\":{\"z\":\"1\",\"a\":\"\\u00e9\"},\"time\":\"t\"}";
  assert_int_equal(svc_log_entry_parse(line, strlen(line), &stream, &data, &len, time, &details), WCTR_OK);
  assert_string_equal(details, "a=%C3%A9,z=1");
  free(data);
  free(details);
  const char *bad = "{\"log\":\"x\",\"stream\":\"stdout\",\"attrs\":{\"z\":1},\"time\":\"t\"}";
  assert_int_equal(svc_log_entry_parse(bad, strlen(bad), &stream, &data, &len, time, &details), WCTR_EINVAL);
}

/* --log-opt tag: Go's template over Docker's logger.Info fields; Docker's messages for a bad one. */
static void test_tag_template(void **state) {
  (void)state;
  wctr_errmsg e;
  char *tag = NULL;
  svc_log_tag_info info = {.id = "0123456789abcdef0123", .name = "/web", .image_id = "sha256:fedcba9876543210ff",
                           .image_name = "nanoserver:ltsc2022"};
  assert_int_equal(svc_log_tag("{{.ID}} {{.FullID}} {{.Name}} {{.ImageID}} {{.ImageFullID}} {{.ImageName}} "
                               "{{.DaemonName}}", &info, &tag, &e), WCTR_OK);
  assert_string_equal(tag, "0123456789ab 0123456789abcdef0123 web fedcba987654 sha256:fedcba9876543210ff "
                           "nanoserver:ltsc2022 docker");
  free(tag);
  /* The whole language: functions and pipelines as --format has them. */
  assert_int_equal(svc_log_tag("{{upper .Name}}-{{printf \"%.4s\" .FullID}}", &info, &tag, &e), WCTR_OK);
  assert_string_equal(tag, "WEB-0123");
  free(tag);
  info.image_id = "";
  assert_int_equal(svc_log_tag("[{{.ImageID}}]", &info, &tag, &e), WCTR_OK);
  assert_string_equal(tag, "[]");
  free(tag);
  assert_int_equal(svc_log_tag("{{.Name", &info, &tag, &e), WCTR_EINVAL);
  assert_null(tag);
  assert_string_equal(e.text, "failed to initialize logging driver: template: log-tag:1: unclosed action");
  assert_int_equal(svc_log_tag("{{.Hostnme}}", &info, &tag, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "failed to initialize logging driver: template: log-tag:1:2: executing \"log-tag\" at "
                              "<.Hostnme>: can't evaluate field Hostnme in type *logger.Info");
  /* A template that never ends is stopped by the engine's limits, not left to run. */
  assert_int_equal(svc_log_tag("{{range 100000000}}x{{end}}", &info, &tag, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "failed to initialize logging driver: "));
}

static void named(int n, const char *suffix, char *out, size_t size) { snprintf(out, size, "%s.%d%s", path, n, suffix); }

static bool exists_n(int n, const char *suffix) {
  char name[760];
  named(n, suffix, name, sizeof name);
  return wctr_fs_exists(name);
}

/* The lines "line NNN ..." of c, checked consecutive from first to last. */
static void expect_run_of_lines(const collected *c, int first, int last) {
  char want[16384] = "";
  size_t at = 0;
  for (int i = first; i <= last; i++) {
    at += (size_t)snprintf(want + at, sizeof want - at, "line %03d of the container's output\n", i);
  }
  if (strcmp(c->text, want) != 0) fail_msg("got [%s], wanted lines %d..%d", c->text, first, last);
}

/* compress=true: Docker's names (.1.gz newest rotated, .2.gz oldest), no plain rotated file or .gz.tmp left,
 * real gzip; the reader inflates them, oldest first, and --tail reaches back into them. */
static void test_compress_rotated_files(void **state) {
  (void)state;
  wctr_errmsg e;
  svc_log_options o = {.max_bytes = 1000, .max_files = 3, .compress = true};
  svc_log_writer *w = NULL;
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  write_lines(w, 0, 60);
  svc_log_writer_close(w);
  assert_true(exists_n(1, ".gz"));
  assert_true(exists_n(2, ".gz"));
  assert_false(exists_n(1, ""));
  assert_false(exists_n(2, ""));
  assert_false(exists_n(1, ".gz.tmp"));
  assert_false(exists_n(3, ".gz"));
  char name[760];
  named(1, ".gz", name, sizeof name);
  char *raw = NULL;
  size_t raw_len = 0;
  assert_int_equal(wctr_fs_read_all(name, 1 << 20, &raw, &raw_len), WCTR_OK);
  assert_true(raw_len > 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b);
  free(raw);
  collected all = {0};
  uint64_t skipped = 0;
  read_all(3, -1, &all, &skipped);
  assert_int_equal(skipped, 0);
  /* three files of 1000 bytes hold 27 entries of 107 bytes: the newest, in order */
  int first = 60 - all.lines;
  assert_true(all.lines >= 20 && all.lines <= 27);
  expect_run_of_lines(&all, first, 59);
  /* The current file holds 9 entries: a tail of 15 reads 6 from .1.gz. */
  collected tail = {0};
  read_all(3, 15, &tail, NULL);
  expect_run_of_lines(&tail, 45, 59);
  collected one = {0};
  read_all(3, 1, &one, NULL);
  expect_run_of_lines(&one, 59, 59);
}

/* A compressed rotated file is read through an inflated copy on the disk (WCTR_FILE_SCRATCH), never through
 * wctrd's memory: the copy reads back what was written, is created new only, and is gone once closed. */
static bool count_read_copies(void *ctx, const char *name, bool is_dir) {
  (void)is_dir;
  if (strstr(name, ".read-") != NULL) (*(int *)ctx)++;
  return true;
}

static void test_scratch_copies_are_gone_after_reading(void **state) {
  (void)state;
  wctr_errmsg e;
  char name[760];
  snprintf(name, sizeof name, "%s.scratch", path);
  wctr_file *f = NULL;
  assert_int_equal(wctr_file_open(name, WCTR_FILE_SCRATCH, &f, &e), WCTR_OK);
  assert_int_equal(wctr_file_write(f, "inflated", 8), WCTR_OK);
  char back[16] = {0};
  size_t got = 0;
  assert_int_equal(wctr_file_pread(f, 2, back, sizeof back, &got), WCTR_OK);
  assert_int_equal(got, 6);
  assert_memory_equal(back, "flated", 6);
  wctr_file_close(f);
  assert_false(wctr_fs_exists(name));
  put_file(name, "x");
  assert_int_equal(wctr_file_open(name, WCTR_FILE_SCRATCH, &f, &e), WCTR_EEXIST);
  assert_int_equal(wctr_fs_remove(name), WCTR_OK);

  svc_log_options o = {.max_bytes = 1000, .max_files = 4, .compress = true};
  svc_log_writer *w = NULL;
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  write_lines(w, 0, 60);
  svc_log_writer_close(w);
  assert_true(exists_n(3, ".gz"));
  collected all = {0};
  read_all(4, -1, &all, NULL);
  expect_run_of_lines(&all, 60 - all.lines, 59);
  collected tail = {0};
  read_all(4, 20, &tail, NULL); /* a tail across two compressed files: both inflated copies open at once */
  expect_run_of_lines(&tail, 40, 59);
  int copies = 0;
  assert_int_equal(wctr_fs_list(dir, count_read_copies, &copies), WCTR_OK);
  assert_int_equal(copies, 0);
}

/* The reader takes either form of a rotated file, the plain one when both exist (it is whole while it
 * exists), each once; a .gz cut short gives the entries before the cut and counts a skip. */
static void test_reader_takes_either_form(void **state) {
  (void)state;
  wctr_errmsg e;
  char plain[760], gz[760];
  const char *a = "{\"log\":\"line 000 of the container's output\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-07T00:00:00Z\"}\n";
  const char *b = "{\"log\":\"line 001 of the container's output\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-07T00:00:01Z\"}\n";
  const char *c = "{\"log\":\"line 002 of the container's output\\n\",\"stream\":\"stdout\",\"time\":\"2026-12-07T00:00:02Z\"}\n";
  named(2, "", plain, sizeof plain);
  put_file(plain, a);
  named(2, ".gz", gz, sizeof gz);
  assert_int_equal(img_gzip_file(plain, gz, &e), WCTR_OK);
  named(1, "", plain, sizeof plain);
  put_file(plain, b);
  named(1, ".gz", gz, sizeof gz);
  assert_int_equal(img_gzip_file(plain, gz, &e), WCTR_OK);
  assert_int_equal(wctr_fs_remove(plain), WCTR_OK);
  put_file(path, c);
  collected all = {0};
  uint64_t skipped = 0;
  read_all(3, -1, &all, &skipped);
  expect_run_of_lines(&all, 0, 2);
  assert_int_equal(skipped, 0);
  /* .1.gz cut in its middle: nothing of it is taken as whole. */
  char *raw = NULL;
  size_t raw_len = 0;
  assert_int_equal(wctr_fs_read_all(gz, 1 << 20, &raw, &raw_len), WCTR_OK);
  wctr_file *f = NULL;
  assert_int_equal(wctr_file_open(gz, WCTR_FILE_TRUNCATE, &f, &e), WCTR_OK);
  assert_int_equal(wctr_file_write(f, raw, raw_len / 2), WCTR_OK);
  wctr_file_close(f);
  free(raw);
  collected cut = {0};
  read_all(3, -1, &cut, &skipped);
  assert_true(skipped >= 1);
  assert_null(strstr(cut.text, "line 001"));
  assert_non_null(strstr(cut.text, "line 000"));
  assert_non_null(strstr(cut.text, "line 002"));
}

/* What a crash during a compression leaves, settled when the writer opens: a .gz.tmp removed (never taken as
 * whole), a plain file beside its whole .gz removed, a plain rotated file compressed; the entries all read
 * once, in order. */
static void test_compress_crash_repair(void **state) {
  (void)state;
  wctr_errmsg e;
  char name[760], gz[760];
  named(2, "", name, sizeof name);
  put_file(name, "{\"log\":\"line 000 of the container's output\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
  named(2, ".gz", gz, sizeof gz);
  assert_int_equal(img_gzip_file(name, gz, &e), WCTR_OK); /* renamed, not yet removed */
  named(1, "", name, sizeof name);
  put_file(name, "{\"log\":\"line 001 of the container's output\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
  named(1, ".gz.tmp", gz, sizeof gz);
  put_file(gz, "\x1f\x8bhalf"); /* cut mid-compression */
  put_file(path, "{\"log\":\"line 002 of the container's output\\n\",\"stream\":\"stdout\",\"time\":\"t\"}\n");
  collected before = {0};
  read_all(3, -1, &before, NULL);
  expect_run_of_lines(&before, 0, 2);
  svc_log_options o = {.max_bytes = 100000, .max_files = 3, .compress = true};
  svc_log_writer *w = NULL;
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  svc_log_writer_write(w, 1, "line 003 of the container's output\n", 35, NULL, NULL);
  svc_log_writer_close(w);
  assert_false(exists_n(1, ".gz.tmp"));
  assert_false(exists_n(1, ""));
  assert_false(exists_n(2, ""));
  assert_true(exists_n(1, ".gz"));
  assert_true(exists_n(2, ".gz"));
  collected after = {0};
  uint64_t skipped = 0;
  read_all(3, -1, &after, &skipped);
  expect_run_of_lines(&after, 0, 3);
  assert_int_equal(skipped, 0);
}

/* The compression runs where defer says (the pool), not on the writer's thread; a rotation due while it has
 * not finished waits (the file grows past max_bytes), then rotates once it has. */
static struct {
  void (*fn)(void *arg);
  void *arg;
  int calls;
} deferred;

static bool hold_job(void *ctx, void (*fn)(void *arg), void *arg) {
  (void)ctx;
  deferred.fn = fn;
  deferred.arg = arg;
  deferred.calls++;
  return true;
}

static void test_compress_is_deferred(void **state) {
  (void)state;
  wctr_errmsg e;
  memset(&deferred, 0, sizeof deferred);
  svc_log_options o = {.max_bytes = 1000, .max_files = 3, .compress = true, .defer = hold_job};
  svc_log_writer *w = NULL;
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  write_lines(w, 0, 10); /* one rotation */
  assert_int_equal(deferred.calls, 1);
  assert_true(exists_n(1, ""));
  assert_false(exists_n(1, ".gz"));
  write_lines(w, 10, 30); /* rotations due: they wait */
  assert_int_equal(deferred.calls, 1);
  assert_false(exists_n(2, ""));
  wctr_fs_info info;
  assert_int_equal(wctr_fs_stat(path, &info), WCTR_OK);
  assert_true(info.size > 1000);
  deferred.fn(deferred.arg);
  assert_true(exists_n(1, ".gz"));
  assert_false(exists_n(1, ""));
  write_lines(w, 30, 31); /* rotates now: .1.gz -> .2.gz, the big file -> .1, compressed later */
  assert_int_equal(deferred.calls, 2);
  assert_true(exists_n(2, ".gz"));
  assert_true(exists_n(1, ""));
  svc_log_writer_close(w); /* the job outlives the writer */
  deferred.fn(deferred.arg);
  assert_true(exists_n(1, ".gz"));
  assert_false(exists_n(1, ""));
  collected all = {0};
  read_all(3, -1, &all, NULL);
  expect_run_of_lines(&all, 0, 30);
}

/* The next run's writer shares the log's compression state (svc_log_gz): while the previous run's job still
 * compresses, its open repairs nothing (the job's .gz.tmp is left to it) and its rotation waits; once the job
 * ends, both go on. */
static void test_compress_state_outlives_the_run(void **state) {
  (void)state;
  wctr_errmsg e;
  memset(&deferred, 0, sizeof deferred);
  svc_log_gz *g = svc_log_gz_new();
  assert_non_null(g);
  svc_log_options o = {.max_bytes = 1000, .max_files = 3, .compress = true, .defer = hold_job, .gz = g};
  svc_log_writer *w = NULL;
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  write_lines(w, 0, 10); /* a rotation: .1's compression held */
  svc_log_writer_close(w);
  assert_int_equal(deferred.calls, 1);
  char tmp[760];
  named(1, ".gz.tmp", tmp, sizeof tmp);
  put_file(tmp, "\x1f\x8b"); /* as the held job would be writing it */
  assert_int_equal(svc_log_writer_open(path, &o, &w, &e), WCTR_OK);
  assert_true(wctr_fs_exists(tmp));
  write_lines(w, 10, 20); /* its rotation waits */
  assert_int_equal(deferred.calls, 1);
  assert_false(exists_n(2, ".gz"));
  deferred.fn(deferred.arg);
  assert_true(exists_n(1, ".gz"));
  assert_false(exists_n(1, ""));
  assert_false(wctr_fs_exists(tmp));
  write_lines(w, 20, 21);
  assert_int_equal(deferred.calls, 2);
  assert_true(exists_n(2, ".gz"));
  svc_log_writer_close(w);
  svc_log_gz_free(g); /* the held job keeps the state until it ends */
  deferred.fn(deferred.arg);
  collected all = {0};
  read_all(3, -1, &all, NULL);
  expect_run_of_lines(&all, 0, 20);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_rotation_keeps_max_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_one_file_starts_over, setup, teardown),
      cmocka_unit_test_setup_teardown(test_crash_mid_rotation, setup, teardown),
      cmocka_unit_test_setup_teardown(test_attrs_and_details, setup, teardown),
      cmocka_unit_test(test_tag_template),
      cmocka_unit_test_setup_teardown(test_compress_rotated_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_takes_either_form, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scratch_copies_are_gone_after_reading, setup, teardown),
      cmocka_unit_test_setup_teardown(test_compress_crash_repair, setup, teardown),
      cmocka_unit_test_setup_teardown(test_compress_is_deferred, setup, teardown),
      cmocka_unit_test_setup_teardown(test_compress_state_outlives_the_run, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
