/* common/utf8.h - well-formed UTF-8 (RFC 3629), the one rule of the project (portable).
 *
 * Every string that crosses wctr's boundary is UTF-8: requests (common/proto.h refuses anything else,
 * naming the field), responses and the audit trail (written valid whatever they are handed: see
 * wctr_json_print), error messages (wctr_fail scrubs what it formats). spec/text.h's spec_utf8_valid and
 * proto's wctr_proto_text_ok are this rule. Well-formed: no overlong form, no UTF-16 surrogate (U+D800 to
 * U+DFFF), nothing past U+10FFFF, no stray continuation byte, no sequence cut short - which is what the
 * Windows layer's UTF-8 -> UTF-16 conversion accepts and what strict JSON readers require. */
#ifndef WCTR_COMMON_UTF8_H
#define WCTR_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* The length (1 to 4) of the well-formed sequence that starts at s, of the n bytes available there; 0
 * when n is 0 or those bytes do not start one. NUL is a sequence of length 1. */
size_t wctr_utf8_seq(const char *s, size_t n);
/* Are the n bytes at s well-formed UTF-8? */
bool wctr_utf8_valid(const char *s, size_t n);
/* Where to cut s to keep at most n bytes without splitting a sequence: the largest m <= n with
 * s[0..m) made of whole sequences of s (s is NUL-terminated and may be longer than n). */
size_t wctr_utf8_cut(const char *s, size_t n);
/* Replaces in place, in the NUL-terminated s, every byte that is not part of a well-formed sequence with
 * '?' (the length stays); returns how many were replaced. */
size_t wctr_utf8_scrub(char *s);

#endif
