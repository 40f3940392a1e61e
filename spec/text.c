/* spec/text.c - UTF-8, control characters, case and quoting for messages (portable; see text.h). */
#include "spec/text.h"

#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

bool spec_utf8_valid(const char *s, size_t n) { return wctr_utf8_valid(s, n); }

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
