/* docker/time.c - wctr's ISO 8601 times as Docker writes them (portable; no time zone, no libc clock). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "docker/docker.h"

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

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
  *unix_seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
  *nanos = ns;
  return true;
}

static void split_time(int64_t t, int64_t *y, int *mo, int *d, int *h, int *mi, int *s) {
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t rem = t - days * 86400;
  civil_from_days(days, y, mo, d);
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
