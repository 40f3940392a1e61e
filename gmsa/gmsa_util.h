/* gmsa/gmsa_util.h - small portable helpers shared by the gmsa module (credspec.c, ccg.c). The text checks
 * (quoting, UTF-8, control characters, case) are spec/text.h's under gmsa's names.
 *
 * Memory: every block the gmsa module hands out, and every string it keeps, is allocated with
 * cJSON_malloc and released with cJSON_free, the same allocator as the cJSON trees it parses. One
 * allocator means a caller (or a test, through cJSON_InitHooks) sees every block the module frees, and
 * can check that none still holds a secret when it is released. */
#ifndef WCTR_GMSA_GMSA_UTIL_H
#define WCTR_GMSA_GMSA_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/text.h"

/* Overwrites n bytes at p with zeros in a way the compiler may not remove as a dead store (writes
 * through a volatile pointer). The portable stand-in for SecureZeroMemory, which is Windows-only.
 * p may be NULL when n is 0. */
void gmsa_secure_zero(void *p, size_t n);

/* Zeros a NUL-terminated string that may hold a secret (its strlen bytes and the NUL), then releases it
 * with cJSON_free. Accepts NULL. This is how callers free text that gmsa_credspec_to_json returns. */
void gmsa_secret_free(char *text);

/* Zeros every string of a cJSON tree (values and keys, not references), then deletes it: for trees that
 * hold a credential spec. Accepts NULL. */
struct cJSON;
void gmsa_json_secure_delete(struct cJSON *tree);

/* A copy of the first n bytes of s plus a NUL, from cJSON_malloc; NULL when out of memory. */
char *gmsa_strndup(const char *s, size_t n);

/* Writes s into buf as a double-quoted value for an error message: '"' becomes \", control bytes and
 * DEL become \xNN (so a message never carries terminal escapes or line breaks from outside input), and
 * more than 64 bytes of s are cut and marked with "...". Never pass a secret. Returns buf. */
const char *gmsa_quote(char *buf, size_t size, const char *s);
/* Buffer size that always holds gmsa_quote's output: 64 bytes, each at most 4 wide, quotes, "...". */
#define GMSA_QUOTE_SIZE SPEC_QUOTE_SIZE

/* True when the n bytes at s are well-formed UTF-8 (no overlong forms, no surrogates, at most
 * U+10FFFF), which is what the Windows layer's UTF-8 -> UTF-16 conversion accepts. */
bool gmsa_utf8_valid(const char *s, size_t n);
/* The number of code points in well-formed UTF-8 (bytes that are not continuation bytes). */
size_t gmsa_utf8_length(const char *s);

/* True when s contains a byte below 0x20 or DEL (0x7F). */
bool gmsa_has_control(const char *s);

/* ASCII case-insensitive equality. Bytes outside ASCII must match exactly: Windows folds case with its
 * own upper-case table, which portable code does not have, so this errs on the side of "different". */
bool gmsa_ascii_equal_nocase(const char *a, const char *b);

#endif
