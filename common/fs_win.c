/* common/fs_win.c - common/fs.h on Win32 (wide-character calls only). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/wstr.h"

struct wctr_file {
  HANDLE h;
};

static wctr_err fail_win32(wctr_errmsg *e, const char *call, DWORD code, const char *what, const char *path) {
  wctr_err err = wctr_log_win32(call, code, "%s", path);
  return wctr_fail(e, err, "cannot %s %s (error %lu)", what, path, (unsigned long)code);
}

wctr_err wctr_fs_mkdir(const char *path, wctr_errmsg *e) {
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return wctr_fail(e, WCTR_EINVAL, "not a valid path: %s", path);
  BOOL ok = CreateDirectoryW(w, NULL);
  DWORD code = GetLastError();
  free(w);
  if (ok) return WCTR_OK;
  if (code == ERROR_ALREADY_EXISTS) return wctr_fail(e, WCTR_EEXIST, "%s exists", path);
  return fail_win32(e, "CreateDirectoryW", code, "create", path);
}

static DWORD attributes(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  DWORD a = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
  free(w);
  return a;
}

bool wctr_fs_is_dir(const char *path) {
  DWORD a = attributes(path);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT);
}

wctr_err wctr_fs_stat(const char *path, wctr_fs_info *out) {
  memset(out, 0, sizeof *out);
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return WCTR_EINVAL;
  WIN32_FILE_ATTRIBUTE_DATA d;
  BOOL ok = GetFileAttributesExW(w, GetFileExInfoStandard, &d);
  DWORD code = GetLastError();
  free(w);
  if (!ok) return code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND ? WCTR_ENOENT : wctr_from_win32(code);
  out->kind = (d.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) ? WCTR_FS_LINK
              : (d.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)   ? WCTR_FS_DIR
                                                                   : WCTR_FS_FILE;
  out->size = out->kind == WCTR_FS_FILE ? ((uint64_t)d.nFileSizeHigh << 32) | d.nFileSizeLow : 0;
  uint64_t ft = ((uint64_t)d.ftLastWriteTime.dwHighDateTime << 32) | d.ftLastWriteTime.dwLowDateTime;
  /* FILETIME counts 100 ns from 1601; 11644473600 s separate 1601 from 1970. */
  out->mtime = (int64_t)(ft / 10000000u) - INT64_C(11644473600);
  return WCTR_OK;
}

bool wctr_fs_exists(const char *path) { return attributes(path) != INVALID_FILE_ATTRIBUTES; }

wctr_err wctr_fs_set_mtime(const char *path, int64_t sec, uint32_t nsec, wctr_errmsg *e) {
  /* FILETIME counts 100 ns from 1601; 11644473600 s separate 1601 from 1970. */
  if (nsec > 999999999u || sec < -INT64_C(11644473600) || sec > INT64_C(900000000000)) {
    return wctr_fail(e, WCTR_EINVAL, "%s: the time %lld.%09u cannot be held by a Windows file", path, (long long)sec, nsec);
  }
  uint64_t ft = (uint64_t)(sec + INT64_C(11644473600)) * 10000000u + nsec / 100u;
  FILETIME write = {.dwLowDateTime = (DWORD)(ft & 0xFFFFFFFFu), .dwHighDateTime = (DWORD)(ft >> 32)};
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return wctr_fail(e, WCTR_EINVAL, "%s: the path is not valid UTF-8", path);
  /* Backup semantics open a folder; the reparse point itself, never its target. */
  HANDLE h = CreateFileW(w, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
  DWORD code = GetLastError();
  free(w);
  if (h == INVALID_HANDLE_VALUE) return fail_win32(e, "CreateFileW", code, "set the time of", path);
  BOOL ok = SetFileTime(h, NULL, NULL, &write);
  code = GetLastError();
  CloseHandle(h);
  return ok ? WCTR_OK : fail_win32(e, "SetFileTime", code, "set the time of", path);
}

wctr_err wctr_fs_rename(const char *from, const char *to, bool replace, wctr_errmsg *e) {
  wchar_t *wf = wctr_utf8_to_wide(from);
  wchar_t *wt = wctr_utf8_to_wide(to);
  BOOL ok = wf != NULL && wt != NULL &&
            MoveFileExW(wf, wt, MOVEFILE_WRITE_THROUGH | (replace ? MOVEFILE_REPLACE_EXISTING : 0));
  DWORD code = GetLastError();
  free(wf);
  free(wt);
  if (ok) return WCTR_OK;
  return fail_win32(e, "MoveFileExW", code, "rename", from);
}

wctr_err wctr_fs_remove(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return WCTR_EINVAL;
  BOOL ok = DeleteFileW(w);
  DWORD code = GetLastError();
  free(w);
  if (ok || code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return WCTR_OK;
  return wctr_from_win32(code);
}

/* A reparse point (junction, symbolic link, mount point) is removed as a link and never followed: removing
 * a container must not reach into whatever a link inside it points at. */
static BOOL remove_tree_w(const wchar_t *dir) {
  size_t n = wcslen(dir);
  wchar_t *pattern = malloc((n + 3) * sizeof *pattern);
  if (pattern == NULL) return FALSE;
  _snwprintf(pattern, n + 3, L"%ls\\*", dir);
  pattern[n + 2] = L'\0';
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  free(pattern);
  if (find != INVALID_HANDLE_VALUE) {
    do {
      if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
      size_t m = n + wcslen(fd.cFileName) + 2;
      wchar_t *child = malloc(m * sizeof *child);
      if (child == NULL) continue;
      _snwprintf(child, m, L"%ls\\%ls", dir, fd.cFileName);
      child[m - 1] = L'\0';
      if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
        remove_tree_w(child);
      } else if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
        RemoveDirectoryW(child);
      } else {
        SetFileAttributesW(child, FILE_ATTRIBUTE_NORMAL);
        DeleteFileW(child);
      }
      free(child);
    } while (FindNextFileW(find, &fd));
    FindClose(find);
  }
  return RemoveDirectoryW(dir) || GetLastError() == ERROR_FILE_NOT_FOUND || GetLastError() == ERROR_PATH_NOT_FOUND;
}

wctr_err wctr_fs_remove_tree(const char *path, wctr_errmsg *e) {
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return wctr_fail(e, WCTR_EINVAL, "not a valid path: %s", path);
  DWORD a = GetFileAttributesW(w);
  BOOL ok = TRUE;
  if (a != INVALID_FILE_ATTRIBUTES) {
    if ((a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT)) {
      ok = remove_tree_w(w);
    } else if (a & FILE_ATTRIBUTE_DIRECTORY) {
      ok = RemoveDirectoryW(w);
    } else {
      SetFileAttributesW(w, FILE_ATTRIBUTE_NORMAL);
      ok = DeleteFileW(w);
    }
  }
  DWORD code = GetLastError();
  free(w);
  if (ok) return WCTR_OK;
  return fail_win32(e, "RemoveDirectoryW", code, "remove", path);
}

wctr_err wctr_fs_list(const char *dir, bool (*fn)(void *ctx, const char *name, bool is_dir), void *ctx) {
  char pattern[4096];
  if (wctr_fs_join(pattern, sizeof pattern, dir, "*") != WCTR_OK) return WCTR_ETOOBIG;
  wchar_t *w = wctr_utf8_to_wide(pattern);
  if (w == NULL) return WCTR_EINVAL;
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(w, &fd);
  DWORD code = GetLastError();
  free(w);
  if (find == INVALID_HANDLE_VALUE) return code == ERROR_FILE_NOT_FOUND ? WCTR_OK : wctr_from_win32(code);
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
    char *name = wctr_wide_to_utf8(fd.cFileName);
    if (name == NULL) continue;
    bool is_dir = (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
    bool go_on = fn(ctx, name, is_dir);
    free(name);
    if (!go_on) break;
  } while (FindNextFileW(find, &fd));
  FindClose(find);
  return WCTR_OK;
}

wctr_err wctr_fs_read_all(const char *path, size_t max, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return WCTR_EINVAL;
  HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD code = GetLastError();
  free(w);
  if (h == INVALID_HANDLE_VALUE) return wctr_from_win32(code);
  LARGE_INTEGER size;
  wctr_err err = WCTR_OK;
  char *text = NULL;
  DWORD got = 0;
  if (!GetFileSizeEx(h, &size)) {
    err = wctr_from_win32(GetLastError());
  } else if ((uint64_t)size.QuadPart > max || size.QuadPart > 0x7fffffff) {
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

static wctr_err write_handle(HANDLE h, const void *data, size_t len, const char *what) {
  if (wctr_fs_write_hook != NULL) {
    wctr_err hooked = wctr_fs_write_hook(what, len);
    if (hooked != WCTR_OK) return hooked;
  }
  const char *p = data;
  while (len > 0) {
    DWORD chunk = len > 0x40000000u ? 0x40000000u : (DWORD)len;
    DWORD written = 0;
    if (!WriteFile(h, p, chunk, &written, NULL)) return wctr_from_win32(GetLastError());
    if (written == 0) return WCTR_EIO;
    p += written;
    len -= written;
  }
  return WCTR_OK;
}

wctr_err wctr_fs_write_atomic(const char *path, const void *data, size_t len, wctr_errmsg *e) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return wctr_fail(e, WCTR_ETOOBIG, "path too long: %s", path);
  wchar_t *wtmp = wctr_utf8_to_wide(tmp);
  wchar_t *wpath = wctr_utf8_to_wide(path);
  wctr_err err = WCTR_OK;
  HANDLE h = INVALID_HANDLE_VALUE;
  if (wtmp == NULL || wpath == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "not a valid path: %s", path);
    goto done;
  }
  h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    err = fail_win32(e, "CreateFileW", GetLastError(), "write", tmp);
    goto done;
  }
  err = write_handle(h, data, len, path);
  if (err == WCTR_OK && !FlushFileBuffers(h)) err = wctr_from_win32(GetLastError());
  CloseHandle(h);
  h = INVALID_HANDLE_VALUE;
  if (err != WCTR_OK) {
    wctr_fail(e, err, "cannot write %s: %s", tmp, wctr_strerror(err));
    goto done;
  }
  if (!MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    err = fail_win32(e, "MoveFileExW", GetLastError(), "replace", path);
  }
done:
  if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  if (err != WCTR_OK && wtmp != NULL) DeleteFileW(wtmp);
  free(wtmp);
  free(wpath);
  return err;
}

wctr_err wctr_file_open(const char *path, wctr_file_mode mode, wctr_file **out, wctr_errmsg *e) {
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return wctr_fail(e, WCTR_EINVAL, "not a valid path: %s", path);
  HANDLE h;
  if (mode == WCTR_FILE_READ) {
    h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
  } else if (mode == WCTR_FILE_SCRATCH) {
    /* DELETE_ON_CLOSE: Windows removes it when the last handle closes, also the one a dying process leaves. */
    h = CreateFileW(w, GENERIC_READ | FILE_APPEND_DATA | SYNCHRONIZE | DELETE, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL,
                    CREATE_NEW, FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, NULL);
  } else {
    /* FILE_APPEND_DATA without FILE_WRITE_DATA: every write lands at the end. FILE_SHARE_DELETE lets the
     * log be rotated (renamed) while a reader holds it open. */
    h = CreateFileW(w, FILE_APPEND_DATA | SYNCHRONIZE | FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_DELETE,
                    NULL, mode == WCTR_FILE_TRUNCATE ? CREATE_ALWAYS : OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  }
  DWORD code = GetLastError();
  free(w);
  if (h == INVALID_HANDLE_VALUE) {
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return wctr_fail(e, WCTR_ENOENT, "%s does not exist", path);
    if (code == ERROR_FILE_EXISTS) return wctr_fail(e, WCTR_EEXIST, "%s exists", path);
    return fail_win32(e, "CreateFileW", code, "open", path);
  }
  wctr_file *f = malloc(sizeof *f);
  if (f == NULL) {
    CloseHandle(h);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  f->h = h;
  *out = f;
  return WCTR_OK;
}

void wctr_file_close(wctr_file *f) {
  if (f == NULL) return;
  CloseHandle(f->h);
  free(f);
}

wctr_err wctr_file_write(wctr_file *f, const void *data, size_t len) { return write_handle(f->h, data, len, "file"); }

wctr_err wctr_file_pread(wctr_file *f, uint64_t offset, void *buf, size_t len, size_t *got) {
  *got = 0;
  OVERLAPPED ov = {0};
  ov.Offset = (DWORD)offset;
  ov.OffsetHigh = (DWORD)(offset >> 32);
  DWORD n = 0;
  DWORD want = len > 0x40000000u ? 0x40000000u : (DWORD)len;
  if (!ReadFile(f->h, buf, want, &n, &ov)) {
    DWORD code = GetLastError();
    if (code == ERROR_HANDLE_EOF) return WCTR_OK;
    return wctr_from_win32(code);
  }
  *got = n;
  return WCTR_OK;
}

wctr_err wctr_file_size(wctr_file *f, uint64_t *size) {
  LARGE_INTEGER s;
  if (!GetFileSizeEx(f->h, &s)) return wctr_from_win32(GetLastError());
  *size = (uint64_t)s.QuadPart;
  return WCTR_OK;
}

wctr_err wctr_file_sync(wctr_file *f) { return FlushFileBuffers(f->h) ? WCTR_OK : wctr_from_win32(GetLastError()); }
