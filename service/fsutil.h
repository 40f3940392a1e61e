/* service/fsutil.h - files written atomically with the descriptor they need (Windows only). store.h's
 * svc_write_atomic is this with the folder's inherited descriptor. */
#ifndef WCTR_SERVICE_FSUTIL_H
#define WCTR_SERVICE_FSUTIL_H

#include <windows.h>

#include <stddef.h>

#include "common/error.h"

/* Writes len bytes to path atomically: path.tmp is written (through svc_sys.WriteFile), flushed to disk
 * and moved over path with MoveFileExW(REPLACE_EXISTING | WRITE_THROUGH), so a crash at any point leaves
 * the old file or the new one, never half of one. sddl: the descriptor the file is created with
 * (acl_create_file), or NULL to inherit the folder's. On failure the .tmp is gone. */
wctr_err svc_file_write_atomic(const char *path, const char *sddl, const void *data, size_t len, wctr_errmsg *e);

#endif
