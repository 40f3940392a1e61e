/* common/opts.h - command-line option parsing shared by wctr and wctrd.
 *
 * Docker-style: `--name value`, `--name=value`, `-n value`, `-nvalue`, boolean flags `--flag` and
 * `-abc` (bundled single-letter booleans), `--` ends the options. Parsing stops at the first argument that
 * is not an option (a command or an image name), so `wctr run IMAGE cmd /c echo --x` never reads the
 * container's own arguments as wctr flags. Messages name the flag: `unknown flag: --memroy`. */
#ifndef WCTR_COMMON_OPTS_H
#define WCTR_COMMON_OPTS_H

#include <stdbool.h>

#include "common/error.h"

typedef struct wctr_opt {
  const char *long_name; /* without dashes; NULL ends the table */
  char short_name;       /* 0 when none */
  bool takes_value;
  int id;                /* returned to the caller */
} wctr_opt;

typedef struct wctr_opts {
  int argc;
  char **argv;
  int index;             /* next argument to look at; starts where the caller says */
  const char *bundle;    /* rest of a bundle of single-letter flags being read (-abc) */
} wctr_opts;

void wctr_opts_init(wctr_opts *st, int argc, char **argv, int first);

/* Returns 1 with *id (and *value for options that take one) for the next option, 0 when the options
 * end (st->index is then the first positional argument, or argc), -1 with e filled on an unknown
 * flag, a missing value, or a value given to a boolean flag. */
int wctr_opts_next(wctr_opts *st, const wctr_opt *table, int *id, const char **value, wctr_errmsg *e);

#endif
