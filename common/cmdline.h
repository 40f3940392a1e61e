/* common/cmdline.h - building Windows command lines (portable).
 *
 * Windows passes a process one string; programs split it with CommandLineToArgvW's rules. To hand
 * over arguments intact, each is quoted so that those rules give it back exactly: an argument with no
 * space, tab, newline or double quote (and not empty) is written as is; otherwise it is wrapped in
 * double quotes, every double quote is escaped with a backslash, and backslashes are doubled where they
 * precede a double quote (including the closing one). */
#ifndef WCTR_COMMON_CMDLINE_H
#define WCTR_COMMON_CMDLINE_H

#include <stddef.h>

#include "common/error.h"

typedef struct wctr_cmdline {
  char *text; /* NUL-terminated, malloc'ed; free with wctr_cmdline_free */
  size_t len;
  size_t cap;
} wctr_cmdline;

/* Appends arg (quoted as needed), separated by one space from what is already there. */
wctr_err wctr_cmdline_append(wctr_cmdline *cl, const char *arg);
void wctr_cmdline_free(wctr_cmdline *cl);

#endif
