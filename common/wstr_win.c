/* common/wstr_win.c - UTF-8 <-> UTF-16 conversions with strict checking of the input. */
#include <windows.h>

#include <stdlib.h>

#include "common/wstr.h"

wchar_t *wctr_utf8_to_wide(const char *utf8) {
  if (utf8 == NULL) return NULL;
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
  if (n <= 0) return NULL;
  wchar_t *wide = malloc((size_t)n * sizeof *wide);
  if (wide == NULL) return NULL;
  if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, wide, n) != n) {
    free(wide);
    return NULL;
  }
  return wide;
}

char *wctr_wide_to_utf8(const wchar_t *wide) {
  if (wide == NULL) return NULL;
  int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide, -1, NULL, 0, NULL, NULL);
  if (n <= 0) return NULL;
  char *utf8 = malloc((size_t)n);
  if (utf8 == NULL) return NULL;
  if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wide, -1, utf8, n, NULL, NULL) != n) {
    free(utf8);
    return NULL;
  }
  return utf8;
}
