/* docker/template.h - Go's text/template, the language of Docker's --format, over JSON values (portable).
 *
 * No C library implements Go's template language (DESIGN.md), so this is a small engine of wctr's own,
 * written from the language's definition and checked against docker/cli's use of it (docs/cli.md):
 *
 *   text and {{actions}}, {{- and -}} trimming, comments ({{/ * ... * /}} without the inner spaces);
 *   pipelines with | and parentheses;
 *   .Field chains, $ and $variables (:= declares, = assigns; scoped to the enclosing if/range/with);
 *   literals: "strings" with Go's escapes, `raw strings`, 'c' characters, numbers (decimal, 0x, 0o, 0b,
 *   _ separators, floats), true, false, nil;
 *   {{if}} {{else if}} {{else}} {{end}}, {{range}} (arrays, objects in key order, integers; $i, $e :=),
 *   {{break}} {{continue}}, {{with}} {{else with}}, {{define}} {{template}} {{block}};
 *   Go's functions: and, or (both short-circuit), not, len, index, slice, print, printf, println, eq, ne,
 *   lt, le, gt, ge, html, js, urlquery (call is refused: templates here hold no function values);
 *   docker/cli's: json, split, join, title, lower, upper, pad, truncate.
 *
 * Values. The dot is a JSON value (arrays, objects, strings, numbers - whole numbers are Go ints, others
 * float64 - booleans, null) or a docker_tpl_object, a formatter context: named fields (held as a JSON object)
 * and methods that take arguments (`.Label "com.example"`). Values print as Go's fmt prints them: strings
 * as they are, null as <nil>, an absent value as <no value>, arrays as [a b], objects as map[k:v] (keys
 * sorted). `json` writes JSON (encoding/json without HTML escaping; a context as its fields).
 *
 * Fields. `.Name` on a context is its field or method, or the error "can't evaluate field Name in type T".
 * On a JSON object it is the member; an absent member is the error `map has no entry for key "Name"`
 * (docker inspect's missingkey=error; Docker's typed structs also refuse unknown fields), except in
 * objects that are maps in Docker's types (labels, options: docker_tpl_opts.map_keys), where it is
 * <no value>, as Go gives for a map. Docker runs its templates over Go structs first, so outside maps a
 * field also answers to its Go name where Docker's JSON name differs (.ID for "Id", .APIVersion for
 * "ApiVersion", .NanoCPUs for "NanoCpus", .TimeNano for "timeNano"). `index` of an absent key gives the map's
 * zero value: "" for a map of strings, <no value> otherwise.
 *
 * Limits (wctr's, so that no --format can hang or exhaust the CLI): the parse nests 100 deep at most, a
 * {{template}} calls 100 deep, execution takes at most max_steps steps and writes at most max_output bytes.
 *
 * Errors: parse errors read as Go's ("template: :1: unexpected \"}\" in operand"); execution errors name
 * the place ("template: :1:2: executing \"\" at <.Foo>: map has no entry for key \"Foo\""). */
#ifndef WCTR_DOCKER_TEMPLATE_H
#define WCTR_DOCKER_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "docker/text.h"
#include "common/error.h"

#define DOCKER_TPL_MAX_DEPTH 100
#define DOCKER_TPL_DEFAULT_STEPS 50000000u
#define DOCKER_TPL_DEFAULT_OUTPUT (64u * 1024u * 1024u)

typedef struct docker_tpl docker_tpl;

/* A method of a context: takes nargs string arguments, returns a new JSON value (NULL: out of memory). */
typedef struct docker_tpl_method {
  const char *name;
  int nargs;
  cJSON *(*call)(const void *self, const char *const *args);
} docker_tpl_method;

typedef struct docker_tpl_object {
  const char *type_name;         /* shown in errors: "*formatter.ContainerContext" */
  const cJSON *fields;           /* an object; its members in the order `json` prints them */
  const docker_tpl_method *methods; /* may be NULL */
  size_t method_count;
  const void *self;
} docker_tpl_object;

typedef struct docker_tpl_opts {
  /* docker/cli's HeaderFunctions: json, split, join, title, lower, upper and truncate return their first
   * argument unchanged (a table's header row is the template run over the header names). */
  bool header;
  /* Keys whose JSON objects are maps (NULL-terminated; NULL for none). */
  const char *const *map_keys;
  uint64_t max_steps;  /* 0: DOCKER_TPL_DEFAULT_STEPS */
  size_t max_output;   /* 0: DOCKER_TPL_DEFAULT_OUTPUT */
} docker_tpl_opts;

/* Parses text (len bytes; NUL bytes are text like any other). On failure *out is NULL and e holds Go's
 * message (WCTR_EINVAL; WCTR_ENOMEM). */
wctr_err docker_tpl_parse(const char *text, size_t len, docker_tpl **out, wctr_errmsg *e);
void docker_tpl_free(docker_tpl *t);

/* Runs t with the dot set to json (when object is NULL) or to object, appending to out. On an error, what
 * was written before it stays in out and e says what failed (WCTR_EINVAL, WCTR_ETOOBIG past a limit,
 * WCTR_ENOMEM). opts may be NULL. */
wctr_err docker_tpl_exec(const docker_tpl *t, const cJSON *json, const docker_tpl_object *object, const docker_tpl_opts *opts,
                      docker_buf *out, wctr_errmsg *e);

#endif
