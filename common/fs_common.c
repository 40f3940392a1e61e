/* common/fs_common.c - the portable parts of common/fs.h. */
#include <stdio.h>
#include <string.h>

#include "common/fs.h"

wctr_err (*wctr_fs_write_hook)(const char *what, size_t len) = NULL;

wctr_err wctr_fs_join(char *out, size_t size, const char *a, const char *b) {
  size_t la = strlen(a);
  bool sep = la > 0 && a[la - 1] != '\\' && a[la - 1] != '/';
  int n = snprintf(out, size, "%s%s%s", a, sep ? WCTR_FS_SEP : "", b);
  if (n < 0 || (size_t)n >= size) {
    if (size > 0) out[0] = '\0';
    return WCTR_ETOOBIG;
  }
  return WCTR_OK;
}
