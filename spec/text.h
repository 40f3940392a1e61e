/* spec/text.h - text checks shared by the spec rules and the modules above them (portable).
 *
 * Outside input reaches messages and Windows APIs through these: label keys, credential spec paths and
 * names, secret targets. They live in spec/ (the lowest module that needs them) so that gmsa/ and the
 * front-ends use the very same rules instead of a copy each. */
#ifndef WCTR_SPEC_TEXT_H
#define WCTR_SPEC_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes at s are well-formed UTF-8 (common/utf8.h: no overlong forms, no surrogates, at most
 * U+10FFFF), which is what the Windows layer's UTF-8 -> UTF-16 conversion accepts. */
bool spec_utf8_valid(const char *s, size_t n);

/* True when s contains a byte below 0x20 or DEL (0x7F). */
bool spec_has_control(const char *s);

/* ASCII case-insensitive equality. Bytes outside ASCII must match exactly: Windows folds case with its own
 * upper-case table, which portable code does not have, so this errs on the side of "different". */
bool spec_ascii_equal_nocase(const char *a, const char *b);

/* Writes s into buf as a double-quoted value for an error message: '"' becomes \", control bytes and DEL
 * become \xNN (so a message never carries terminal escapes or line breaks from outside input), and more
 * than 64 bytes of s are cut and marked with "...". Never pass a secret. Returns buf. */
const char *spec_quote(char *buf, size_t size, const char *s);
/* Buffer size that always holds spec_quote's output: 64 bytes, each at most 4 wide, quotes, "...". */
#define SPEC_QUOTE_SIZE 272

#endif
