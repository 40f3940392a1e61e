/* common/wstr.h - UTF-8 <-> UTF-16 for the Windows layer (wide Win32 calls only; *A calls are banned).
 * Windows only. Returned strings are malloc'ed; the caller frees them with free(). NULL on invalid
 * input (not valid UTF-8 / UTF-16) or when out of memory. */
#ifndef WCTR_COMMON_WSTR_H
#define WCTR_COMMON_WSTR_H

#include <stddef.h>
#include <wchar.h>

wchar_t *wctr_utf8_to_wide(const char *utf8);
char *wctr_wide_to_utf8(const wchar_t *wide);

#endif
