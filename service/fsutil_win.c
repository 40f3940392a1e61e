/* service/fsutil_win.c - files written atomically, folder trees removed. Contract in service/fsutil.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "common/log.h"
#include "common/wstr.h"
#include "service/fsutil.h"
#include "service/svc_sys.h"

wctr_err svc_file_write_atomic(const char *path, const char *sddl, const void *text, size_t len, wctr_errmsg *e) {
  char tmp[1200];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  wchar_t *wtmp = wctr_utf8_to_wide(tmp);
  wchar_t *wpath = wctr_utf8_to_wide(path);
  wctr_err err = WCTR_OK;
  HANDLE h = INVALID_HANDLE_VALUE;
  if (wtmp == NULL || wpath == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  if (sddl != NULL) {
    err = acl_create_file(tmp, sddl, GENERIC_WRITE, 0, CREATE_ALWAYS, &h, e);
    if (err != WCTR_OK) goto done;
  } else {
    h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  }
  if (h == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("CreateFileW", code, "%s", tmp), "cannot write %s (error %lu)", tmp,
                    (unsigned long)code);
    goto done;
  }
  DWORD written = 0;
  if (!svc_sys.WriteFile(h, text, (DWORD)len, &written, NULL) || written != len || !FlushFileBuffers(h)) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("WriteFile", code, "%s", tmp), "cannot write %s (error %lu)", tmp,
                    (unsigned long)code);
    goto done;
  }
  CloseHandle(h);
  h = INVALID_HANDLE_VALUE;
  if (!MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("MoveFileExW", code, "%s", path), "cannot replace %s (error %lu)", path,
                    (unsigned long)code);
  }
done:
  if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  if (err != WCTR_OK && wtmp != NULL) DeleteFileW(wtmp);
  free(wtmp);
  free(wpath);
  return err;
}
