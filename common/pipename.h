/* common/pipename.h - names of wctrd's named pipe, as users write them.
 *
 * Accepted forms (all name the local machine; a remote pipe is refused, because wctrd rejects remote
 * clients anyway and a remote name is a typo or a misunderstanding):
 *   \\.\pipe\NAME              (Windows)
 *   npipe:////./pipe/NAME       (Docker's --host / DOCKER_HOST form)
 *   npipe://./pipe/NAME         (the same with two slashes, as some tools write it)
 *   NAME                        (only where bare names are allowed: wctrd --pipe)
 * NAME: 1 to 200 characters, no '\', '/', control characters. */
#ifndef WCTR_COMMON_PIPENAME_H
#define WCTR_COMMON_PIPENAME_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define WCTR_DEFAULT_PIPE_NAME "wctr_engine"
#define WCTR_PIPE_PREFIX "\\\\.\\pipe\\"
#define WCTR_PIPE_NAME_MAX 200
#define WCTR_PIPE_PATH_MAX (sizeof WCTR_PIPE_PREFIX + WCTR_PIPE_NAME_MAX)

/* Writes the full path \\.\pipe\NAME for text into out (WCTR_PIPE_PATH_MAX bytes). flag names the
 * source in messages ("--host", "WCTR_HOST", "--pipe", "wctrd.json: \"pipe\""). */
wctr_err wctr_pipe_path(const char *text, bool allow_bare_name, const char *flag, char *out, size_t size,
                        wctr_errmsg *e);

#endif
