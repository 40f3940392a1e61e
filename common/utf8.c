/* common/utf8.c - well-formed UTF-8 (portable; contract in common/utf8.h). */
#include "common/utf8.h"

size_t wctr_utf8_seq(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  if (n == 0) return 0;
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  /* The second byte's range rules out overlong forms (E0, F0), surrogates (ED) and code points above
   * U+10FFFF (F4): the table of RFC 3629 section 4. */
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || p[1] < lo || p[1] > hi) return 0;
  for (size_t k = 2; k < len; k++) {
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  }
  return len;
}

bool wctr_utf8_valid(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t len = wctr_utf8_seq(s + i, n - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

size_t wctr_utf8_cut(const char *s, size_t n) {
  size_t i = 0;
  while (i < n && s[i] != '\0') {
    size_t avail = 0;
    while (avail < 4 && s[i + avail] != '\0') avail++;
    size_t len = wctr_utf8_seq(s + i, avail);
    if (len == 0) len = 1; /* a byte that is no sequence stands alone */
    if (i + len > n) break;
    i += len;
  }
  return i;
}

size_t wctr_utf8_scrub(char *s) {
  size_t replaced = 0;
  size_t i = 0;
  while (s[i] != '\0') {
    size_t avail = 0;
    while (avail < 4 && s[i + avail] != '\0') avail++;
    size_t len = wctr_utf8_seq(s + i, avail);
    if (len == 0) {
      s[i] = '?';
      replaced++;
      len = 1;
    }
    i += len;
  }
  return replaced;
}
