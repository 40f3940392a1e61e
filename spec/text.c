/* spec/text.c - UTF-8, control characters, case and quoting for messages (portable; see text.h). */
#include "spec/text.h"

#include <stdio.h>
#include <string.h>

bool spec_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t len;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c < 0x80) {
      i++;
      continue;
    }
    /* The second byte's range rules out overlong forms (E0, F0), UTF-16 surrogates (ED) and code points
     * above U+10FFFF (F4) - the table of RFC 3629 section 4. */
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
      return false;
    }
    if (n - i < len) return false;
    if (p[i + 1] < lo || p[i + 1] > hi) return false;
    for (size_t k = 2; k < len; k++) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

bool spec_has_control(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7F) return true;
  }
  return false;
}

static unsigned char ascii_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

bool spec_ascii_equal_nocase(const char *a, const char *b) {
  const unsigned char *x = (const unsigned char *)a;
  const unsigned char *y = (const unsigned char *)b;
  for (; *x != '\0' && *y != '\0'; x++, y++) {
    if (ascii_lower(*x) != ascii_lower(*y)) return false;
  }
  return *x == *y;
}

const char *spec_quote(char *buf, size_t size, const char *s) {
  static const size_t max_bytes = 64;
  size_t o = 0;
  size_t i = 0;
  if (size == 0) return buf;
  /* o + 8 < size leaves room for the widest escape, the closing quote, "..." and the NUL. */
  if (o + 1 < size) buf[o++] = '"';
  for (; s[i] != '\0' && i < max_bytes && o + 8 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7F) {
      o += (size_t)snprintf(buf + o, size - o, "\\x%02X", c);
    } else if (c == '"') {
      buf[o++] = '\\';
      buf[o++] = '"';
    } else {
      buf[o++] = (char)c;
    }
  }
  if (s[i] != '\0' && o + 4 < size) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  if (o + 1 < size) buf[o++] = '"';
  buf[o] = '\0';
  return buf;
}
