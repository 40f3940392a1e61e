/* docker/text.h - the text pieces Docker's output is made of (portable): a growable buffer, the display width
 * of UTF-8 text, docker/cli's tabwriter, Go's strconv.Quote, Go's number formatting and Go's encoding/json
 * (compact and indented) over cJSON values. Shared by the template engine (docker/template.h), the formatter
 * (cli/format.h), the commands, and wctrd's log tags (service/); not a public contract.
 *
 * What each piece reproduces was checked in docker/cli's sources (docs/cli.md, "Output"). */
#ifndef WCTR_DOCKER_TEXT_H
#define WCTR_DOCKER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

/* ---- a growable buffer ---------------------------------------------------------------------------------
 * Appends never fail loudly: once memory runs out, or the text would pass max (0: no limit), the buffer
 * stops growing and `failed` stays set; the caller checks it once at the end. data is NUL-terminated
 * whenever it is not NULL. */
typedef struct docker_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t max;
  bool failed;
} docker_buf;

void docker_buf_init(docker_buf *b, size_t max);
void docker_buf_free(docker_buf *b);
bool docker_buf_add(docker_buf *b, const char *s, size_t n);
bool docker_buf_adds(docker_buf *b, const char *s);
bool docker_buf_addc(docker_buf *b, char c);
bool docker_buf_addf(docker_buf *b, const char *fmt, ...) WCTR_PRINTF(2, 3);
/* Takes the text (malloc'ed; "" when empty) and leaves the buffer empty. NULL when the buffer failed. */
char *docker_buf_take(docker_buf *b);

/* ---- UTF-8 ----------------------------------------------------------------------------------------------- */

/* Decodes one code point at s (n bytes left): returns its length (1 for a byte that starts no valid
 * sequence, *cp then 0xFFFD) and the code point in *cp. n must be > 0. */
size_t docker_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Appends cp as UTF-8 (U+FFFD for a surrogate or a value past U+10FFFF). */
void docker_utf8_encode(docker_buf *b, uint32_t cp);
/* Columns a code point takes on a terminal, as go-runewidth counts them for docker/cli's tabwriter: 2 for
 * East Asian wide and fullwidth characters (and emoji), 0 for combining marks, zero-width characters and
 * controls, else 1. */
int docker_rune_width(uint32_t cp);
/* The display width of n bytes of UTF-8. */
size_t docker_text_width(const char *s, size_t n);

/* ---- docker/cli's tabwriter ----------------------------------------------------------------------------
 * Text in, cells separated by '\t' and lines by '\n' (what a table template writes), out aligned as
 * docker/cli's fork of Go's text/tabwriter does with (minwidth, tabwidth 1, padding, ' ', flags 0): a column
 * is as wide as its widest cell plus padding, at least minwidth; a column block runs over consecutive lines
 * that have a cell in that column (a cell is the text before a tab: the text after the last tab of a line
 * is not aligned); widths count display columns (docker_text_width). `docker ps` uses (10, 3), `version`
 * (20, 1). */
void docker_tabwrite(const char *text, size_t len, int minwidth, int padding, docker_buf *out);

/* ---- Go's formatting ----------------------------------------------------------------------------------- */

/* strconv.Quote: "..." with \a \b \f \n \r \t \v \\ \" escaped, other control and non-printable
 * characters as \xNN, \uNNNN or \UNNNNNNNN, and bytes that are not UTF-8 as \xNN. */
void docker_go_quote(docker_buf *b, const char *s, size_t n);
/* A float64 as fmt's %v prints it (shortest digits that read back the same; %e form when the exponent is
 * below -4 or at least 6, strconv's rule for the shortest 'g'): 1.5, 100000, 1e+06, 1.23456789e+08, 1e-05. */
void docker_go_float(docker_buf *b, double x);
/* A float64 as encoding/json writes it (shortest digits; %e form below 1e-6 or from 1e21 on). */
void docker_json_float(docker_buf *b, double x);

/* ---- Go's encoding/json ---------------------------------------------------------------------------------
 * item as json.Marshal (indent NULL) or json.MarshalIndent(item, "", indent) writes it: members in their
 * order, whole numbers as integers, "\u003c" "\u003e" "\u0026" for < > & when escape_html (the daemon's
 * encoder; docker's `json` template function and `--format json` do not), \u2028 and \u2029 always,
 * control characters as \n \r \t or \u00XX. Empty objects and arrays as {} and [] in both forms. */
void docker_json_write(docker_buf *b, const cJSON *item, const char *indent, bool escape_html);

#endif
