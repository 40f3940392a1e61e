/* common/opts.h - command-line option parsing shared by wctr and wctrd.
 *
 * Docker-style (spf13/pflag's rules): `--name value`, `--name=value`, `-n value`, `-nvalue`, `-n=value`,
 * `-abc` (bundled single-letter booleans), `--` ends the options. Parsing stops at the first argument that
 * is not an option (a command or an image name), so `wctr run IMAGE cmd /c echo --x` never reads the
 * container's own arguments as wctr flags. Messages name the flag: `unknown flag: --memroy`.
 *
 * Boolean flags (takes_value false) take an optional value, as pflag's bool flags do: `--rm` and `-d` alone
 * are true; `--rm=V` and `-d=V` take V as Go's strconv.ParseBool reads it (1 t T TRUE true True, 0 f F FALSE
 * false False); a following word is never a boolean's value (`--rm false` is the flag and an operand). */
#ifndef WCTR_COMMON_OPTS_H
#define WCTR_COMMON_OPTS_H

#include <stdbool.h>

#include "common/error.h"

typedef struct wctr_opt {
  const char *long_name; /* without dashes; NULL ends the table */
  char short_name;       /* 0 when none */
  bool takes_value;      /* false: a boolean flag (its value is optional, see above) */
  int id;                /* returned to the caller */
} wctr_opt;

typedef struct wctr_opts {
  int argc;
  char **argv;
  int index;             /* next argument to look at; starts where the caller says */
  const char *bundle;    /* rest of a bundle of single-letter flags being read (-abc) */
} wctr_opts;

void wctr_opts_init(wctr_opts *st, int argc, char **argv, int first);

/* Returns 1 with *id and *value for the next option, 0 when the options end (st->index is then the first
 * positional argument, or argc), -1 with e filled on an unknown flag, a missing value, or a boolean's value
 * that strconv.ParseBool refuses (pflag's text: `invalid argument "x" for "-d, --detach" flag:
 * strconv.ParseBool: parsing "x": invalid syntax`). A boolean flag's *value is the static string "true" or
 * "false" (read it with wctr_opts_flag); an option that takes one gets its value as given. */
int wctr_opts_next(wctr_opts *st, const wctr_opt *table, int *id, const char **value, wctr_errmsg *e);

/* A boolean flag's value as wctr_opts_next gave it: true for "true"; false for "false" and NULL. */
bool wctr_opts_flag(const char *value);

/* Go's strconv.ParseBool: WCTR_OK with *out for the six spellings of each value, WCTR_EINVAL otherwise
 * (without a message: the caller names the flag or field). */
wctr_err wctr_parse_go_bool(const char *text, bool *out);

#endif
