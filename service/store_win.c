/* service/store_win.c - container records on disk, written atomically. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/log.h"
#include "common/wstr.h"
#include "service/store.h"
#include "gmsa/gmsa_util.h"
#include "service/svc_sys.h"

#define RECORD_FILE "container.json"
#define RECORD_MAX (1024 * 1024)

struct svc_store {
  char root[1024]; /* <data-root>\containers */
};

void svc_store_path(const svc_store *st, const char *id, const char *file, char *out, size_t size) {
  if (file != NULL) {
    snprintf(out, size, "%s\\%s\\%s", st->root, id, file);
  } else {
    snprintf(out, size, "%s\\%s", st->root, id);
  }
}

wctr_err svc_store_open(const char *data_root, svc_store **out, wctr_errmsg *e) {
  svc_store *st = calloc(1, sizeof *st);
  if (st == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  snprintf(st->root, sizeof st->root, "%s\\containers", data_root);
  wctr_err err = svc_make_subdir(st->root, e);
  if (err != WCTR_OK) {
    free(st);
    return err;
  }
  *out = st;
  return WCTR_OK;
}

void svc_store_close(svc_store *st) { free(st); }

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

wctr_err svc_store_save(svc_store *st, const svc_container *c, wctr_errmsg *e) {
  char path[1200];
  svc_store_path(st, c->id, RECORD_FILE, path, sizeof path);
  /* The record form carries a resolved credential spec, which may hold a secret (PluginInput): the file
   * is covered by the data root's DACL, and the text and tree are zeroed once written. */
  cJSON *json = svc_container_to_record_json(c);
  char *text = json != NULL ? cJSON_Print(json) : NULL;
  gmsa_json_secure_delete(json);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = svc_write_atomic(path, text, strlen(text), e);
  gmsa_secret_free(text);
  return err;
}

/* Deletes a folder tree. Best effort for what is inside; the result says whether the folder is gone. */
BOOL svc_delete_tree(const wchar_t *dir) {
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
      /* A reparse point is removed as a link, never followed: removing a container must not reach into
       * whatever a link inside it points at. */
      if ((fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && !(fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)) {
        svc_delete_tree(child);
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
  return RemoveDirectoryW(dir) || GetLastError() == ERROR_FILE_NOT_FOUND;
}

/* Removal renames the folder to <id>.removing first: one atomic step after which no record of the
 * container is loaded again, however far the deletion gets before a crash; load_all finishes it. */
wctr_err svc_store_remove(svc_store *st, const char *id, wctr_errmsg *e) {
  char path[1200];
  char doomed[1220];
  svc_store_path(st, id, NULL, path, sizeof path);
  snprintf(doomed, sizeof doomed, "%s.removing", path);
  wchar_t *wide = wctr_utf8_to_wide(path);
  wchar_t *wdoomed = wctr_utf8_to_wide(doomed);
  if (wide == NULL || wdoomed == NULL) {
    free(wide);
    free(wdoomed);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  BOOL ok = MoveFileExW(wide, wdoomed, MOVEFILE_WRITE_THROUGH) || GetLastError() == ERROR_FILE_NOT_FOUND;
  if (ok) ok = svc_delete_tree(wdoomed);
  DWORD code = GetLastError();
  free(wide);
  free(wdoomed);
  if (!ok) {
    return wctr_fail(e, wctr_log_win32("RemoveDirectoryW", code, "%s", path), "cannot remove %s (error %lu)", path,
                     (unsigned long)code);
  }
  return WCTR_OK;
}

wctr_err svc_store_create(svc_store *st, const svc_container *c, wctr_errmsg *e) {
  char path[1200];
  svc_store_path(st, c->id, NULL, path, sizeof path);
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  BOOL ok = CreateDirectoryW(wide, NULL);
  DWORD code = GetLastError();
  free(wide);
  if (!ok) {
    return wctr_fail(e, code == ERROR_ALREADY_EXISTS ? WCTR_EEXIST : wctr_log_win32("CreateDirectoryW", code, "%s", path),
                     "cannot create %s (error %lu)", path, (unsigned long)code);
  }
  wctr_err err = svc_store_save(st, c, e);
  if (err != WCTR_OK) {
    wctr_errmsg ignored;
    svc_store_remove(st, c->id, &ignored);
  }
  return err;
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

/* Loads one container folder; moves it aside when its record is unreadable. */
static wctr_err load_one(svc_store *st, const wchar_t *name, svc_container *out) {
  char *id = wctr_wide_to_utf8(name);
  if (id == NULL) return WCTR_ENOMEM;
  char path[1200];
  svc_store_path(st, id, RECORD_FILE ".tmp", path, sizeof path);
  wchar_t *wtmp = wctr_utf8_to_wide(path);
  if (wtmp != NULL && DeleteFileW(wtmp)) wctr_log(WCTR_LOG_INFO, "removed an unfinished record write: %s", path);
  free(wtmp);
  svc_store_path(st, id, RECORD_FILE, path, sizeof path);
  wchar_t *wpath = wctr_utf8_to_wide(path);
  char *text = NULL;
  size_t len = 0;
  wctr_err err = wpath != NULL ? svc_read_text(wpath, &text, &len) : WCTR_ENOMEM;
  free(wpath);
  wctr_errmsg e;
  snprintf(e.text, sizeof e.text, "%s", wctr_strerror(err));
  if (err == WCTR_OK) {
    cJSON *json = cJSON_ParseWithLength(text, len);
    err = json == NULL ? wctr_fail(&e, WCTR_EINVAL, "not valid JSON") : svc_container_from_json(json, out, &e);
    gmsa_json_secure_delete(json); /* it may hold a credential spec */
    if (err == WCTR_OK && strcmp(out->id, id) != 0) {
      svc_container_free(out);
      err = wctr_fail(&e, WCTR_EINVAL, "the record's Id does not match its folder");
    }
  }
  if (text != NULL) gmsa_secure_zero(text, len);
  free(text);
  if (err != WCTR_OK) {
    char from[1200];
    char to[1250];
    svc_store_path(st, id, NULL, from, sizeof from);
    snprintf(to, sizeof to, "%s.damaged", from);
    wchar_t *wfrom = wctr_utf8_to_wide(from);
    wchar_t *wto = wctr_utf8_to_wide(to);
    BOOL moved = wfrom != NULL && wto != NULL && MoveFileExW(wfrom, wto, MOVEFILE_REPLACE_EXISTING);
    wctr_log(WCTR_LOG_ERROR, "container %s: unreadable record (%s); %s %s", id, e.text,
             moved ? "moved aside to" : "could not move it aside to", to);
    free(wfrom);
    free(wto);
  }
  free(id);
  return err;
}

static bool is_container_id(const wchar_t *name) {
  if (wcslen(name) != SVC_ID_HEX) return false;
  for (const wchar_t *p = name; *p != L'\0'; p++) {
    if (!((*p >= L'0' && *p <= L'9') || (*p >= L'a' && *p <= L'f'))) return false;
  }
  return true;
}

wctr_err svc_store_load_all(svc_store *st, svc_container **list, size_t *count, wctr_errmsg *e) {
  *list = NULL;
  *count = 0;
  size_t cap = 0;
  char pattern[1100];
  snprintf(pattern, sizeof pattern, "%s\\*", st->root);
  wchar_t *wpattern = wctr_utf8_to_wide(pattern);
  if (wpattern == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(wpattern, &fd);
  free(wpattern);
  if (find == INVALID_HANDLE_VALUE) return WCTR_OK;
  do {
    if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) continue;
    size_t len = wcslen(fd.cFileName);
    if (len > 9 && wcscmp(fd.cFileName + len - 9, L".removing") == 0) {
      char dir[1400];
      char *name = wctr_wide_to_utf8(fd.cFileName);
      snprintf(dir, sizeof dir, "%s\\%s", st->root, name != NULL ? name : "");
      free(name);
      wchar_t *wdir = wctr_utf8_to_wide(dir);
      if (wdir != NULL && svc_delete_tree(wdir)) wctr_log(WCTR_LOG_INFO, "finished removing %s", dir);
      free(wdir);
      continue;
    }
    if (!is_container_id(fd.cFileName)) continue;
    if (*count == cap) {
      cap = cap == 0 ? 16 : cap * 2;
      svc_container *grown = realloc(*list, cap * sizeof **list);
      if (grown == NULL) {
        FindClose(find);
        return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      }
      *list = grown;
    }
    if (load_one(st, fd.cFileName, &(*list)[*count]) == WCTR_OK) (*count)++;
  } while (FindNextFileW(find, &fd));
  FindClose(find);
  return WCTR_OK;
}
