/* common/base64.c - RFC 4648 base64 (portable). Contract in common/base64.h. */
#include "common/base64.h"

#include <stdbool.h>
#include <stdlib.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *wctr_base64_encode(const uint8_t *data, size_t len) {
  size_t n = (len + 2) / 3 * 4;
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)data[i] << 16;
    if (i + 1 < len) v |= (uint32_t)data[i + 1] << 8;
    if (i + 2 < len) v |= data[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
  }
  out[o] = '\0';
  return out;
}

static int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

wctr_err wctr_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len, const char *where,
                            wctr_errmsg *e) {
  *out = NULL;
  *out_len = 0;
  if (len % 4 != 0) return wctr_fail(e, WCTR_EINVAL, "%s is not base64 (its length is not a multiple of 4)", where);
  size_t pad = 0;
  if (len > 0 && text[len - 1] == '=') pad++;
  if (len > 1 && text[len - 1] == '=' && text[len - 2] == '=') pad++;
  size_t n = len / 4 * 3 - pad;
  uint8_t *buf = malloc(n > 0 ? n : 1);
  if (buf == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t o = 0;
  for (size_t i = 0; i < len; i += 4) {
    int v[4];
    bool last = i + 4 == len;
    for (int k = 0; k < 4; k++) {
      v[k] = value_of(text[i + k]);
      bool padding = last && text[i + k] == '=' && k >= 4 - (int)pad;
      if (v[k] < 0 && !padding) {
        free(buf);
        return wctr_fail(e, WCTR_EINVAL, "%s is not base64 (a character at offset %zu is outside the alphabet)",
                         where, i + (size_t)k);
      }
      if (padding) v[k] = 0;
    }
    /* Canonical only: the bits padding leaves unused must be zero, so each value has one spelling. */
    if (last && ((pad == 2 && (v[1] & 0x0f) != 0) || (pad == 1 && (v[2] & 0x03) != 0))) {
      free(buf);
      return wctr_fail(e, WCTR_EINVAL, "%s is not base64 (the last group has bits set that padding leaves unused)",
                       where);
    }
    uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    buf[o++] = (uint8_t)(bits >> 16);
    if (o < n) buf[o++] = (uint8_t)(bits >> 8);
    if (o < n) buf[o++] = (uint8_t)bits;
  }
  *out = buf;
  *out_len = n;
  return WCTR_OK;
}

void wctr_secure_zero(void *p, size_t n) {
  volatile unsigned char *b = p;
  while (n-- > 0) *b++ = 0;
}
