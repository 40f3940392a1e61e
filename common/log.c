/* common/log.c - portable part of logging: levels, the sink, line formatting. */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/utf8.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static wctr_log_level log_max = WCTR_LOG_INFO;
static wctr_log_sink log_sink;
static void *log_sink_ctx;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const level_tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};

void wctr_log_configure(wctr_log_level max, wctr_log_sink sink, void *ctx) {
  pthread_mutex_lock(&log_lock);
  log_max = max;
  log_sink = sink;
  log_sink_ctx = ctx;
  pthread_mutex_unlock(&log_lock);
}

wctr_log_level wctr_log_max_level(void) {
  pthread_mutex_lock(&log_lock);
  wctr_log_level max = log_max;
  pthread_mutex_unlock(&log_lock);
  return max;
}

const char *wctr_log_level_name(wctr_log_level level) {
  if ((unsigned)level > (unsigned)WCTR_LOG_DEBUG) return "debug";
  return level_names[level];
}

int wctr_log_level_parse(const char *name, wctr_log_level *out) {
  for (int i = 0; i <= (int)WCTR_LOG_DEBUG; i++) {
    if (name != NULL && strcmp(name, level_names[i]) == 0) {
      *out = (wctr_log_level)i;
      return 0;
    }
  }
  return -1;
}

void wctr_time_now_iso8601(char *buf, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  time_t secs = ts.tv_sec;
  gmtime_r(&secs, &tm);
  snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts.tv_nsec / 1000000));
}

void wctr_log(wctr_log_level level, const char *fmt, ...) {
  if ((unsigned)level > (unsigned)WCTR_LOG_DEBUG) level = WCTR_LOG_DEBUG;
  char line[2048];
  char stamp[40];
  wctr_time_now_iso8601(stamp, sizeof stamp);
  int used = snprintf(line, sizeof line, "%s %s ", stamp, level_tags[level]);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + used, sizeof line - (size_t)used, fmt, ap);
  va_end(ap);
  /* One event, one line: a message that carries a newline (a system message, a path) is folded. */
  for (char *p = line; *p != '\0'; p++) {
    if (*p == '\r' || *p == '\n') *p = ' ';
  }
  /* And UTF-8, as every text wctr writes (the Event Log takes it as UTF-16): a name from outside or a line
   * cut at its end shows '?' for a byte that is not. */
  wctr_utf8_scrub(line);
  pthread_mutex_lock(&log_lock);
  if (level <= log_max) {
    if (log_sink != NULL) {
      log_sink(log_sink_ctx, level, line);
    } else {
      fprintf(stderr, "%s\n", line);
      fflush(stderr);
    }
  }
  pthread_mutex_unlock(&log_lock);
}
