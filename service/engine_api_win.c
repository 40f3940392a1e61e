/* service/engine_api_win.c - the Engine API token file (contract in service/engine_api.h). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "common/log.h"
#include "common/wstr.h"
#include "service/engine_api.h"
#include "service/svc_sys.h"

wctr_err svc_engine_api_token_write(const char *data_root, const char *token, const char *sddl, char *path,
                                    size_t path_size, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  acl_sa sa = {0};
  wchar_t *wide = NULL;
  HANDLE h = INVALID_HANDLE_VALUE;
  if ((size_t)snprintf(path, path_size, "%s\\config\\%s", data_root, SVC_API_TOKEN_FILE) >= path_size) {
    return wctr_fail(e, WCTR_ETOOBIG, "the path of the Engine API token file is too long");
  }
  wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  err = acl_sa_from_sddl(sddl, &sa, e);
  if (err != WCTR_OK) goto done;
  /* A file that exists keeps its own DACL when it is overwritten: it goes first, and the new one is created
   * with the descriptor from its first instant. */
  if (!DeleteFileW(wide) && GetLastError() != ERROR_FILE_NOT_FOUND) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("DeleteFileW", code, "%s", path), "cannot replace %s (error %lu)", path,
                    (unsigned long)code);
    goto done;
  }
  h = svc_sys.CreateFileW(wide, GENERIC_WRITE, 0, &sa.sa, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("CreateFileW", code, "%s", path), "cannot write %s (error %lu)", path,
                    (unsigned long)code);
    goto done;
  }
  char line[2 * SVC_API_TOKEN_BYTES + 8];
  int n = snprintf(line, sizeof line, "%s\r\n", token);
  DWORD written = 0;
  if (n < 0 || !svc_sys.WriteFile(h, line, (DWORD)n, &written, NULL) || written != (DWORD)n) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("WriteFile", code, "%s", path), "cannot write %s (error %lu)", path,
                    (unsigned long)code);
  }
  SecureZeroMemory(line, sizeof line);
done:
  if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  if (err != WCTR_OK && h != INVALID_HANDLE_VALUE) DeleteFileW(wide);
  acl_sa_free(&sa);
  free(wide);
  return err;
}

void svc_engine_api_token_remove(const char *path) {
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return;
  if (!DeleteFileW(wide) && GetLastError() != ERROR_FILE_NOT_FOUND) {
    wctr_log_win32("DeleteFileW", GetLastError(), "the Engine API token file %s", path);
  }
  free(wide);
}
