/* cli/format.h - Docker's --format, the way docker/cli's formatter applies it (portable; not a public
 * contract). Lists (ps, images, stats, secret ls, and any later list) go through cli_format_*; inspect-like
 * output (inspect -f, info, version, events) through cli_inspect_* and cli_format_template.
 *
 * A list's --format value (docker/cli formatter.Format):
 *   ""/"table"       the command's default table;
 *   "json"           {{json .}} per row;
 *   "table TEMPLATE" TEMPLATE per row, aligned by docker/cli's tabwriter (minwidth 10, padding 3) under a
 *                    header row: the same template run over the header names (a field's header, e.g.
 *                    .ID -> "CONTAINER ID"), with json, split, join, title, lower, upper and truncate
 *                    leaving their argument as it is; the header shows even when there are no rows;
 *   anything else    TEMPLATE per row, each followed by a newline, not aligned.
 * Before parsing, spaces around the template are trimmed and the two-character sequences \t and \n become
 * a tab and a newline (so `--format '{{.ID}}\t{{.Names}}'` works from any shell).
 *
 * Rows are formatter contexts (docker/template.h): every field Docker's context has, by Docker's names, and
 * methods such as .Label "KEY". `{{json .}}` prints the fields in key order, as docker/cli's MarshalJSON. */
#ifndef WCTR_CLI_FORMAT_H
#define WCTR_CLI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "docker/template.h"
#include "docker/text.h"
#include "common/error.h"

/* The keys of Docker's shapes whose objects are maps, not structs (labels, options, port maps...): a key
 * absent there is <no value>, not an error (docker/template.h). */
extern const char *const cli_docker_map_keys[];

typedef struct cli_format {
  bool table;
  docker_tpl *tpl;
} cli_format;

/* Compiles a list's --format value (given may be NULL for the default) against default_table (a "table ..."
 * format). A template that does not parse fails with Go's message prefixed "template parsing error: ". */
wctr_err cli_format_compile(const char *given, const char *default_table, cli_format *out, wctr_errmsg *e);
void cli_format_free(cli_format *f);

/* Writes rows (n contexts) with f; header maps field names to header texts (docker/cli's SubHeaderContext).
 * A row whose template fails stops the listing: nothing is written to out, and e says why, prefixed
 * "template parsing error: " as docker/cli words it. */
wctr_err cli_format_write(const cli_format *f, const cJSON *header, const docker_tpl_object *rows, size_t n, docker_buf *out,
                          wctr_errmsg *e);

/* Runs one template (already processed: `json` is {{json .}}) over a JSON value with Docker's map keys, and
 * appends a newline, as docker inspect -f, info, version and events do. */
wctr_err cli_format_template(const docker_tpl *t, const cJSON *value, docker_buf *out, wctr_errmsg *e);

/* Parses a --format value for inspect, info, version or events: "json" is {{json .}}; "\t" and "\n" are
 * not translated (docker/cli translates them for lists only). */
wctr_err cli_format_parse_plain(const char *given, docker_tpl **out, wctr_errmsg *e);

/* docker inspect's output, element by element:
 *   no format (NULL or "")  the elements as a JSON array, indented by 4 spaces as json.Indent does, with
 *                           the daemon's HTML escaping ("[]" when there are none);
 *   "json"                  the same array on one line;
 *   a template              the template's output for each element, each followed by a newline (a lone
 *                           newline when no element printed). */
typedef struct cli_inspect {
  const char *format;
  bool plain;  /* < > & as they are: for wctr's own objects, which no Docker daemon escapes */
  docker_tpl *tpl;
  cJSON *all;  /* the elements, for the JSON forms */
  docker_buf text;
} cli_inspect;

/* Parses the format (WCTR_EINVAL with "template parsing error: ..." when it does not parse). */
wctr_err cli_inspect_begin(cli_inspect *in, const char *format, wctr_errmsg *e);
/* Adds one element (copied). A template that fails for it writes nothing and returns the error. */
wctr_err cli_inspect_add(cli_inspect *in, const cJSON *element, wctr_errmsg *e);
/* Appends the output to out and frees what in holds. */
void cli_inspect_finish(cli_inspect *in, docker_buf *out);

/* ---- the pieces Docker's contexts are made of ---- */

/* A context's "Labels" field: k=v pairs sorted, joined with ','. labels is a JSON object (or NULL). */
char *cli_format_labels(const cJSON *labels);
/* The method .Label "KEY" over a JSON object of labels (self). */
extern const docker_tpl_method cli_label_method;
/* go-units HumanDuration of seconds: "Less than a second", "About a minute", "3 hours", "2 weeks"... */
void cli_human_duration(int64_t seconds, char *out, size_t size);
/* The same followed by " ago" (docker ps's RunningFor, docker images' CreatedSince). */
void cli_human_ago(int64_t seconds, char *out, size_t size);
/* go-units HumanSizeWithPrecision(size, 3): "0B", "1.5kB", "500MB" (decimal units, as docker images). */
void cli_human_size(double bytes, char *out, size_t size);
/* docker/cli's Ellipsis: at most width display columns, the last one "…" when cut. */
void cli_ellipsis(const char *s, size_t width, docker_buf *out);

#endif
