/* common/base64.h - RFC 4648 base64 with padding (portable). Used to carry binary data (a secret's
 * value, DPAPI blobs, entropy) in JSON. Decoding is strict: only the standard alphabet, padding required,
 * no whitespace, unused bits zero (one spelling per value). */
#ifndef WCTR_COMMON_BASE64_H
#define WCTR_COMMON_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* malloc'ed, NUL-terminated; NULL when out of memory. */
char *wctr_base64_encode(const uint8_t *data, size_t len);

/* Decodes len characters of text. *out malloc'ed (free with free(); zero it first when it held a
 * secret), *out_len its size. WCTR_EINVAL when text is not base64 (the message names where, never the
 * text itself), WCTR_ENOMEM. */
wctr_err wctr_base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len, const char *where,
                            wctr_errmsg *e);

/* Overwrites n bytes with zeros in a way the compiler cannot drop (SecureZeroMemory's job, for portable
 * code that held a secret). */
void wctr_secure_zero(void *p, size_t n);

#endif
