/* service/store_win.c - the Windows-only building blocks of the catalogs under the data root (service/store.h). */
#define RECORD_MAX (1024 * 1024)
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/wstr.h"
#include "service/store.h"
#include "gmsa/gmsa_util.h"
#include "service/svc_sys.h"

wctr_err svc_make_subdir(const char *path, wctr_errmsg *e) {
  wchar_t *wide = wctr_utf8_to_wide(path);
  /* Created inside the data root, whose protected DACL it inherits. */
  BOOL ok = wide != NULL && (CreateDirectoryW(wide, NULL) || GetLastError() == ERROR_ALREADY_EXISTS);
  DWORD code = GetLastError();
  free(wide);
  if (ok) return WCTR_OK;
  return wctr_fail(e, wctr_log_win32("CreateDirectoryW", code, "%s", path), "cannot create %s", path);
}

wctr_err svc_write_atomic(const char *path, const char *text, size_t len, wctr_errmsg *e) {
  return svc_write_atomic_sa(path, text, len, NULL, e);
}

/* Writes path atomically: temp file, flush, rename over. */
wctr_err svc_write_atomic_sa(const char *path, const char *text, size_t len, SECURITY_ATTRIBUTES *sa, wctr_errmsg *e) {
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
  h = svc_sys.CreateFileW(wtmp, GENERIC_WRITE, 0, sa, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
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

BOOL svc_delete_tree(const wchar_t *dir) {
  /* One implementation of "remove a tree without following links": common/fs.h's. */
  char *utf8 = wctr_wide_to_utf8(dir);
  wctr_errmsg e;
  BOOL gone = utf8 != NULL && wctr_fs_remove_tree(utf8, &e) == WCTR_OK;
  free(utf8);
  return gone;
}

wctr_err svc_read_text(const wchar_t *path, char **out, size_t *len) {
  HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) return wctr_from_win32(GetLastError());
  LARGE_INTEGER size;
  wctr_err err = WCTR_OK;
  char *text = NULL;
  DWORD got = 0;
  if (!GetFileSizeEx(h, &size) || size.QuadPart > RECORD_MAX) {
    err = WCTR_ETOOBIG;
  } else if ((text = malloc((size_t)size.QuadPart + 1)) == NULL) {
    err = WCTR_ENOMEM;
  } else if (!ReadFile(h, text, (DWORD)size.QuadPart, &got, NULL) || got != (DWORD)size.QuadPart) {
    err = WCTR_EIO;
  }
  CloseHandle(h);
  if (err != WCTR_OK) {
    free(text);
    return err;
  }
  text[got] = '\0';
  *out = text;
  *len = got;
  return WCTR_OK;
}

