/* tests/common/test_log.c - common/log.h: line format, level filtering, folding, level names, sink. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "common/log.h"

/* --- a sink that keeps what it is given -------------------------------------------------------- */

#define MAX_LINES 64
#define STAMP_LEN 24 /* 2026-11-22T13:00:00.123Z */

struct captured {
  int count;
  wctr_log_level levels[MAX_LINES];
  char lines[MAX_LINES][4096];
  void *ctx[MAX_LINES];
};

static struct captured cap;

static void capture_sink(void *ctx, wctr_log_level level, const char *line) {
  if (cap.count < MAX_LINES) {
    cap.levels[cap.count] = level;
    cap.ctx[cap.count] = ctx;
    snprintf(cap.lines[cap.count], sizeof cap.lines[0], "%s", line);
  }
  cap.count++;
}

static int setup(void **state) {
  (void)state;
  memset(&cap, 0, sizeof cap);
  wctr_log_configure(WCTR_LOG_DEBUG, capture_sink, &cap);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  wctr_log_configure(WCTR_LOG_INFO, NULL, NULL);
  return 0;
}

/* The message part of a captured line: after "<stamp> <LEVEL> ". */
static const char *message_of(int i) {
  assert_true(strlen(cap.lines[i]) >= STAMP_LEN + 7);
  return cap.lines[i] + STAMP_LEN + 7;
}

/* --- time stamps ------------------------------------------------------------------------------- */

static bool is_digits(const char *p, int n) {
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
  }
  return true;
}

static int number_at(const char *p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (p[i] - '0');
  return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Checks the shape of "YYYY-MM-DDTHH:MM:SS.mmmZ" and returns its seconds since the epoch. */
static long long check_stamp(const char *s) {
  if (!(is_digits(s, 4) && s[4] == '-' && is_digits(s + 5, 2) && s[7] == '-' && is_digits(s + 8, 2) &&
        s[10] == 'T' && is_digits(s + 11, 2) && s[13] == ':' && is_digits(s + 14, 2) && s[16] == ':' &&
        is_digits(s + 17, 2) && s[19] == '.' && is_digits(s + 20, 3) && s[23] == 'Z')) {
    fail_msg("not an ISO 8601 UTC time stamp: \"%.24s\"", s);
  }
  int year = number_at(s, 4), month = number_at(s + 5, 2), day = number_at(s + 8, 2);
  int hour = number_at(s + 11, 2), minute = number_at(s + 14, 2), second = number_at(s + 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    fail_msg("time stamp out of range: \"%.24s\"", s);
  }
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

static void test_time_now(void **state) {
  (void)state;
  char buf[32];
  memset(buf, 'x', sizeof buf);
  time_t before = time(NULL);
  wctr_time_now_iso8601(buf, sizeof buf);
  time_t after = time(NULL);
  assert_int_equal(strlen(buf), STAMP_LEN);
  long long t = check_stamp(buf);
  /* UTC, not local time: the stamp agrees with time() (one second of slack for coarse clocks). */
  if (t < (long long)before - 1 || t > (long long)after + 1) {
    fail_msg("stamp %s is %lld s away from time() = %lld", buf, t - (long long)before, (long long)before);
  }
}

static void test_time_now_small_buffer(void **state) {
  (void)state;
  char buf[16];
  memset(buf, 'x', sizeof buf);
  wctr_time_now_iso8601(buf, 11);
  assert_int_equal(strlen(buf), 10); /* "YYYY-MM-DD", cut and terminated */
  assert_int_equal(buf[4], '-');
  for (size_t i = 11; i < sizeof buf; i++) assert_int_equal(buf[i], 'x');
}

/* --- line format ------------------------------------------------------------------------------- */

static void test_line_format(void **state) {
  (void)state;
  time_t before = time(NULL);
  wctr_log(WCTR_LOG_ERROR, "CreateFileW failed: code=%d (0x%08x) %s", 5, 5u, "Access is denied.");
  time_t after = time(NULL);
  assert_int_equal(cap.count, 1);
  assert_int_equal(cap.levels[0], WCTR_LOG_ERROR);
  assert_ptr_equal(cap.ctx[0], &cap);
  const char *line = cap.lines[0];
  long long t = check_stamp(line);
  if (t < (long long)before - 1 || t > (long long)after + 1) fail_msg("stamp of \"%s\" is not now", line);
  assert_string_equal(line + STAMP_LEN, " ERROR CreateFileW failed: code=5 (0x00000005) Access is denied.");
}

/* The level word is padded to five characters so that messages line up. */
static void test_level_tags(void **state) {
  (void)state;
  wctr_log(WCTR_LOG_ERROR, "e");
  wctr_log(WCTR_LOG_WARN, "w");
  wctr_log(WCTR_LOG_INFO, "i");
  wctr_log(WCTR_LOG_DEBUG, "d");
  assert_int_equal(cap.count, 4);
  static const char *const want[] = {" ERROR e", " WARN  w", " INFO  i", " DEBUG d"};
  for (int i = 0; i < 4; i++) {
    check_stamp(cap.lines[i]);
    assert_string_equal(cap.lines[i] + STAMP_LEN, want[i]);
    assert_int_equal(cap.levels[i], (wctr_log_level)i);
  }
}

static void test_empty_message(void **state) {
  (void)state;
  wctr_log(WCTR_LOG_INFO, "%s", "");
  assert_int_equal(cap.count, 1);
  assert_string_equal(cap.lines[0] + STAMP_LEN, " INFO  ");
}

/* --- filtering --------------------------------------------------------------------------------- */

static int count_logged_at(wctr_log_level max) {
  memset(&cap, 0, sizeof cap);
  wctr_log_configure(max, capture_sink, &cap);
  assert_int_equal(wctr_log_max_level(), max);
  wctr_log(WCTR_LOG_ERROR, "error line");
  wctr_log(WCTR_LOG_WARN, "warn line");
  wctr_log(WCTR_LOG_INFO, "info line");
  wctr_log(WCTR_LOG_DEBUG, "debug line");
  return cap.count;
}

static void test_level_filtering(void **state) {
  (void)state;
  assert_int_equal(count_logged_at(WCTR_LOG_ERROR), 1);
  assert_string_equal(message_of(0), "error line");
  assert_int_equal(count_logged_at(WCTR_LOG_WARN), 2);
  assert_string_equal(message_of(1), "warn line");
  assert_int_equal(count_logged_at(WCTR_LOG_INFO), 3);
  assert_string_equal(message_of(2), "info line");
  assert_int_equal(count_logged_at(WCTR_LOG_DEBUG), 4);
  assert_string_equal(message_of(3), "debug line");
  for (int i = 0; i < 4; i++) assert_int_equal(cap.levels[i], (wctr_log_level)i);
}

/* A level beyond DEBUG is logged as DEBUG, so it is filtered like DEBUG. */
static void test_out_of_range_level(void **state) {
  (void)state;
  wctr_log_configure(WCTR_LOG_INFO, capture_sink, &cap);
  wctr_log((wctr_log_level)9, "too chatty");
  assert_int_equal(cap.count, 0);
  wctr_log_configure(WCTR_LOG_DEBUG, capture_sink, &cap);
  wctr_log((wctr_log_level)9, "too chatty");
  assert_int_equal(cap.count, 1);
  assert_int_equal(cap.levels[0], WCTR_LOG_DEBUG);
  assert_string_equal(cap.lines[0] + STAMP_LEN, " DEBUG too chatty");
}

/* Runs first, before any test configures logging: the level a process starts with. */
static void test_default_level_is_info(void **state) {
  (void)state;
  assert_int_equal(wctr_log_max_level(), WCTR_LOG_INFO);
}

/* With no sink, lines go to stderr, one per line. */
static void test_stderr_sink(void **state) {
  (void)state;
  char path[128];
  wctr_test_unique_name("test_common_log-stderr", path, sizeof path);
  FILE *f = fopen(path, "w+b");
  assert_non_null(f);
  fflush(stderr);
  int saved = dup(fileno(stderr));
  assert_true(saved >= 0);
  /* Nothing may fail while stderr is redirected, or cmocka's report would land in the file. POSIX dup2
   * returns the new descriptor, Windows' returns 0: only -1 means failure. */
  int redirected = dup2(fileno(f), fileno(stderr));
  wctr_log_configure(WCTR_LOG_WARN, NULL, NULL);
  wctr_log(WCTR_LOG_WARN, "to stderr\nfolded");
  wctr_log(WCTR_LOG_INFO, "dropped");
  fflush(stderr);
  int restored = dup2(saved, fileno(stderr));
  close(saved);
  assert_int_not_equal(redirected, -1);
  assert_int_not_equal(restored, -1);

  char text[256] = {0};
  rewind(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  remove(path);
  assert_int_equal(n, strlen(text));
  check_stamp(text);
  /* stderr is a text stream: on Windows its newline may be written as CR LF. */
  static const char want[] = " WARN  to stderr folded";
  assert_memory_equal(text + STAMP_LEN, want, sizeof want - 1);
  const char *end = text + STAMP_LEN + sizeof want - 1;
  if (strcmp(end, "\n") != 0 && strcmp(end, "\r\n") != 0) fail_msg("stderr got \"%s\"", text);
}

/* --- folding and length ------------------------------------------------------------------------ */

static void test_newlines_folded(void **state) {
  (void)state;
  wctr_log(WCTR_LOG_WARN, "first\nsecond\r\nthird\r");
  wctr_log(WCTR_LOG_WARN, "path %s: %s", "C:\\data\nroot", "The system cannot find the file specified.\r\n");
  assert_int_equal(cap.count, 2);
  assert_string_equal(message_of(0), "first second  third ");
  assert_string_equal(message_of(1), "path C:\\data root: The system cannot find the file specified.  ");
  for (int i = 0; i < 2; i++) {
    assert_null(strchr(cap.lines[i], '\n'));
    assert_null(strchr(cap.lines[i], '\r'));
  }
}

static void test_long_message_truncated(void **state) {
  (void)state;
  char big[5000];
  memset(big, 'm', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  big[3000] = '\n';
  wctr_log(WCTR_LOG_INFO, "%s", big);
  assert_int_equal(cap.count, 1);
  /* log.c builds lines in 2048 bytes: a longer message is cut, never overflows. */
  assert_int_equal(strlen(cap.lines[0]), 2047);
  check_stamp(cap.lines[0]);
  const char *msg = message_of(0);
  for (const char *p = msg; *p != '\0'; p++) assert_int_equal(*p, 'm');
}

/* --- level names ------------------------------------------------------------------------------- */

static void test_level_names(void **state) {
  (void)state;
  static const char *const names[] = {"error", "warn", "info", "debug"};
  for (int i = 0; i < 4; i++) {
    assert_string_equal(wctr_log_level_name((wctr_log_level)i), names[i]);
    wctr_log_level out = (wctr_log_level)(3 - i);
    assert_int_equal(wctr_log_level_parse(names[i], &out), 0);
    assert_int_equal(out, (wctr_log_level)i);
  }
  assert_string_equal(wctr_log_level_name((wctr_log_level)4), "debug");
  assert_string_equal(wctr_log_level_name((wctr_log_level)-1), "debug");
}

static void test_level_parse_unknown(void **state) {
  (void)state;
  static const char *const bad[] = {"",      "warning", "trace", "fatal", "info ",
                                    " info", "inf",     "infos", "0",     "e"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    wctr_log_level out = WCTR_LOG_WARN;
    if (wctr_log_level_parse(bad[i], &out) != -1) fail_msg("\"%s\" was accepted as a level", bad[i]);
    assert_int_equal(out, WCTR_LOG_WARN);
  }
  wctr_log_level out = WCTR_LOG_WARN;
  assert_int_equal(wctr_log_level_parse(NULL, &out), -1);
  assert_int_equal(out, WCTR_LOG_WARN);
}

/* --- threads ----------------------------------------------------------------------------------- */

#define THREADS 4
#define LINES_PER_THREAD 500

static int thread_lines;
static int thread_bad_lines;

/* Runs under the log lock: plain counters are safe, and a torn line would show here. */
static void counting_sink(void *ctx, wctr_log_level level, const char *line) {
  (void)ctx;
  (void)level;
  thread_lines++;
  if (strlen(line) < STAMP_LEN + 7 || strncmp(line + STAMP_LEN + 7, "thread ", 7) != 0 ||
      strstr(line + STAMP_LEN + 7, " line ") == NULL) {
    thread_bad_lines++;
  }
}

static void *log_from_thread(void *arg) {
  int n = (int)(intptr_t)arg;
  for (int i = 0; i < LINES_PER_THREAD; i++) wctr_log(WCTR_LOG_INFO, "thread %d line %d", n, i);
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  thread_lines = 0;
  thread_bad_lines = 0;
  wctr_log_configure(WCTR_LOG_INFO, counting_sink, NULL);
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_create(&threads[i], NULL, log_from_thread, (void *)(intptr_t)i), 0);
  }
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(threads[i], NULL), 0);
  assert_int_equal(thread_lines, THREADS * LINES_PER_THREAD);
  assert_int_equal(thread_bad_lines, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_level_is_info),
      cmocka_unit_test_setup_teardown(test_time_now, setup, teardown),
      cmocka_unit_test_setup_teardown(test_time_now_small_buffer, setup, teardown),
      cmocka_unit_test_setup_teardown(test_line_format, setup, teardown),
      cmocka_unit_test_setup_teardown(test_level_tags, setup, teardown),
      cmocka_unit_test_setup_teardown(test_empty_message, setup, teardown),
      cmocka_unit_test_setup_teardown(test_level_filtering, setup, teardown),
      cmocka_unit_test_setup_teardown(test_out_of_range_level, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stderr_sink, setup, teardown),
      cmocka_unit_test_setup_teardown(test_newlines_folded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_long_message_truncated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_level_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_level_parse_unknown, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
  };
  /* A zone five hours east of UTC: a stamp taken in local time instead of UTC would be off by 5 h. */
#ifdef _WIN32
  _putenv("TZ=WCT-5");
  _tzset();
#else
  setenv("TZ", "WCT-5", 1);
  tzset();
#endif
  return cmocka_run_group_tests_name("common/log", tests, NULL, NULL);
}
