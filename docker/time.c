/* docker/time.c - wctr's ISO 8601 times as Docker writes them (portable; no time zone, no libc clock). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/civil.h"
#include "docker/docker.h"

static bool digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool docker_time_parse(const char *text, int64_t *unix_seconds, int32_t *nanos) {
  int y, mo, d, h, mi, s;
  if (text == NULL || strlen(text) < 20 || !digits(text, 4, &y) || text[4] != '-' || !digits(text + 5, 2, &mo) ||
      text[7] != '-' || !digits(text + 8, 2, &d) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text + 11, 2, &h) || text[13] != ':' || !digits(text + 14, 2, &mi) || text[16] != ':' ||
      !digits(text + 17, 2, &s)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  const char *p = text + 19;
  int32_t ns = 0;
  if (*p == '.') {
    p++;
    int count = 0;
    while (isdigit((unsigned char)*p)) {
      if (count < 9) ns = ns * 10 + (*p - '0');
      count++;
      p++;
    }
    if (count == 0) return false;
    for (int i = count; i < 9; i++) ns *= 10;
  }
  int64_t offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int oh, om;
    if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om)) return false;
    offset = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
    p += 6;
  } else {
    return false;
  }
  if (*p != '\0') return false;
  *unix_seconds = wctr_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  *nanos = ns;
  return true;
}

static void split_time(int64_t t, int64_t *y, int *mo, int *d, int *h, int *mi, int *s) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t rem = t - days * 86400;
  wctr_civil_from_days(days, y, mo, d);
  *h = (int)(rem / 3600);
  *mi = (int)(rem % 3600 / 60);
  *s = (int)(rem % 60);
}

void docker_time_rfc3339(int64_t unix_seconds, int32_t nanos, char *out, size_t size) {
  int64_t y;
  int mo, d, h, mi, s;
  split_time(unix_seconds, &y, &mo, &d, &h, &mi, &s);
  char frac[12] = "";
  if (nanos > 0) {
    snprintf(frac, sizeof frac, ".%09d", (int)nanos);
    size_t n = strlen(frac);
    while (n > 1 && frac[n - 1] == '0') frac[--n] = '\0';
  }
  snprintf(out, size, "%04lld-%02d-%02dT%02d:%02d:%02d%sZ", (long long)y, mo, d, h, mi, s, frac);
}

void docker_time_go_string(int64_t unix_seconds, char *out, size_t size) {
  int64_t y;
  int mo, d, h, mi, s;
  split_time(unix_seconds, &y, &mo, &d, &h, &mi, &s);
  snprintf(out, size, "%04lld-%02d-%02d %02d:%02d:%02d +0000 UTC", (long long)y, mo, d, h, mi, s);
}

void docker_time_convert(const char *wctr_time, char *out, size_t size) {
  int64_t t;
  int32_t ns;
  if (wctr_time == NULL || !docker_time_parse(wctr_time, &t, &ns)) {
    snprintf(out, size, "%s", DOCKER_ZERO_TIME);
    return;
  }
  docker_time_rfc3339(t, ns, out, size);
}

/* Go's time.ParseDuration: [-+]? then one or more (decimal number, unit ns|us|µs|ms|s|m|h); "0" alone is 0. */
static bool go_duration(const char *s, double *seconds) {
  double total = 0;
  bool negative = false;
  if (*s == '-' || *s == '+') negative = *s++ == '-';
  if (strcmp(s, "0") == 0) {
    *seconds = 0;
    return true;
  }
  if (*s == '\0') return false;
  while (*s != '\0') {
    double v = 0, scale = 1;
    bool any = false;
    while (isdigit((unsigned char)*s)) {
      v = v * 10 + (*s++ - '0');
      any = true;
    }
    if (*s == '.') {
      s++;
      while (isdigit((unsigned char)*s)) {
        scale /= 10;
        v += (*s++ - '0') * scale;
        any = true;
      }
    }
    if (!any) return false;
    static const struct {
      const char *unit;
      double seconds;
    } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"\xce\xbcs", 1e-6}, {"ms", 1e-3},
                 {"s", 1},     {"m", 60},    {"h", 3600}};
    size_t k = 0;
    for (; k < sizeof units / sizeof units[0]; k++) {
      size_t n = strlen(units[k].unit);
      /* listed so that "ms" is tried before "m" */
      if (strncmp(s, units[k].unit, n) == 0) break;
    }
    if (k == sizeof units / sizeof units[0]) return false;
    s += strlen(units[k].unit);
    total += v * units[k].seconds;
  }
  *seconds = negative ? -total : total;
  return true;
}

bool docker_duration_ns(const char *text, int64_t *ns) {
  double seconds = 0;
  if (text == NULL || !go_duration(text, &seconds)) return false;
  /* Go's Duration is int64 nanoseconds: about 292 years either way. */
  if (seconds > 9.2e9 || seconds < -9.2e9) return false;
  double v = seconds * 1e9;
  *ns = (int64_t)(v < 0 ? v - 0.5 : v + 0.5);
  return true;
}

bool docker_timestamp(const char *value, int64_t now_seconds, int64_t *unix_seconds, int32_t *nanos) {
  double d = 0;
  if (value == NULL || value[0] == '\0') return false;
  if (strcmp(value, "0") != 0 && go_duration(value, &d)) {
    /* reference.Add(-d).Unix(): whole seconds, rounded down */
    double t = (double)now_seconds - d;
    int64_t whole = (int64_t)t;
    if ((double)whole > t) whole--;
    *unix_seconds = whole;
    *nanos = 0;
    return true;
  }
  if (strchr(value, '-') != NULL && isdigit((unsigned char)value[0])) {
    /* a date: 2006-01-02, then T15, T15:04, T15:04:05[.frac], then an optional zone */
    int y, mo, dd, h = 0, mi = 0, sec = 0;
    const char *p = value;
    if (strlen(p) < 10 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
        !digits(p + 8, 2, &dd)) {
      return false;
    }
    p += 10;
    int32_t ns = 0;
    if (*p == 'T') {
      if (!digits(p + 1, 2, &h)) return false;
      p += 3;
      if (*p == ':') {
        if (!digits(p + 1, 2, &mi)) return false;
        p += 3;
        if (*p == ':') {
          if (!digits(p + 1, 2, &sec)) return false;
          p += 3;
          if (*p == '.') {
            p++;
            int count = 0;
            while (isdigit((unsigned char)*p)) {
              if (count < 9) ns = ns * 10 + (*p - '0');
              count++;
              p++;
            }
            if (count == 0) return false;
            for (int i = count; i < 9; i++) ns *= 10;
          }
        }
      }
    }
    if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || sec > 60) return false;
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
      p++;
    } else if (*p == '+' || *p == '-') {
      int oh, om;
      if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om)) return false;
      offset = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
      p += 6;
    }
    if (*p != '\0') return false;
    *unix_seconds = wctr_days_from_civil(y, mo, dd) * 86400 + h * 3600 + mi * 60 + sec - offset;
    *nanos = ns;
    return true;
  }
  /* a Unix time: seconds[.fraction] */
  const char *p = value;
  int64_t s = 0;
  if (!isdigit((unsigned char)*p)) return false;
  while (isdigit((unsigned char)*p)) {
    if (s > (INT64_MAX - 9) / 10) return false;
    s = s * 10 + (*p++ - '0');
  }
  int32_t ns = 0;
  if (*p == '.') {
    p++;
    int count = 0;
    while (isdigit((unsigned char)*p)) {
      if (count < 9) ns = ns * 10 + (*p - '0');
      count++;
      p++;
    }
    for (int i = count; i < 9; i++) ns *= 10;
  }
  if (*p != '\0') return false;
  *unix_seconds = s;
  *nanos = ns;
  return true;
}
