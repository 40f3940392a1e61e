/* gmsa/resolve_win.c - reading credential specs from the credentialspecs folder and from the registry
 * (Windows layer of gmsa/resolve.h). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/log.h"
#include "common/wstr.h"
#include "gmsa/credspec.h"
#include "gmsa/resolve.h"
#include "gmsa/source.h"

/* The final path of an open handle (\\?\C:\..., links resolved), malloc'ed; NULL on failure. */
static wchar_t *final_path(HANDLE h) {
  DWORD n = GetFinalPathNameByHandleW(h, NULL, 0, FILE_NAME_NORMALIZED);
  if (n == 0) return NULL;
  wchar_t *buf = calloc((size_t)n + 1, sizeof *buf);
  if (buf != NULL && GetFinalPathNameByHandleW(h, buf, n + 1, FILE_NAME_NORMALIZED) == 0) {
    free(buf);
    buf = NULL;
  }
  return buf;
}

wctr_err gmsa_read_spec_file(const char *credspec_dir, const char *relative, char **text, size_t *len,
                             wctr_errmsg *e) {
  *text = NULL;
  *len = 0;
  wctr_err err = WCTR_OK;
  HANDLE dir = INVALID_HANDLE_VALUE;
  HANDLE file = INVALID_HANDLE_VALUE;
  wchar_t *wdir = NULL, *wpath = NULL, *fdir = NULL, *ffile = NULL;
  char *buf = NULL;
  LARGE_INTEGER size = {.QuadPart = 0};
  size_t n = strlen(credspec_dir) + strlen(relative) + 2;
  char *path = malloc(n);
  if (path == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  snprintf(path, n, "%s\\%s", credspec_dir, relative);
  wdir = wctr_utf8_to_wide(credspec_dir);
  wpath = wctr_utf8_to_wide(path);
  if (wdir == NULL || wpath == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  /* FILE_FLAG_BACKUP_SEMANTICS opens a folder; the folder handle gives its final path, links resolved. */
  dir = CreateFileW(wdir, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                    OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  file = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (file == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) {
      err = wctr_fail(e, WCTR_ENOENT, "invalid credential spec: file://%s: no such file in %s", relative, credspec_dir);
    } else {
      err = wctr_fail(e, wctr_log_win32("CreateFileW", code, "credential spec %s", path),
                      "invalid credential spec: file://%s cannot be opened (error %lu)", relative, (unsigned long)code);
    }
    goto done;
  }
  if (dir == INVALID_HANDLE_VALUE) {
    err = wctr_fail(e, WCTR_ENOENT, "invalid credential spec: the folder %s cannot be opened", credspec_dir);
    goto done;
  }
  fdir = final_path(dir);
  ffile = final_path(file);
  if (fdir == NULL || ffile == NULL) {
    err = wctr_fail(e, wctr_log_win32("GetFinalPathNameByHandleW", GetLastError(), "credential spec %s", path),
                    "invalid credential spec: file://%s: its final path cannot be read", relative);
    goto done;
  }
  /* The string checks of gmsa/source.h cannot see links: whatever the path went through, the file that is
   * open must lie inside the folder's own final path. */
  size_t dn = wcslen(fdir);
  while (dn > 0 && fdir[dn - 1] == L'\\') dn--;
  if (wcslen(ffile) <= dn + 1 || _wcsnicmp(ffile, fdir, dn) != 0 || ffile[dn] != L'\\') {
    err = wctr_fail(e, WCTR_EACCES, GMSA_SOURCE_MSG_UNDER "%s (file://%s leads elsewhere through a link)", credspec_dir,
                    relative);
    goto done;
  }
  if (!GetFileSizeEx(file, &size) || size.QuadPart > GMSA_CREDSPEC_MAX_BYTES) {
    err = wctr_fail(e, WCTR_ETOOBIG, "invalid credential spec: file://%s is larger than %u bytes", relative,
                    GMSA_CREDSPEC_MAX_BYTES);
    goto done;
  }
  buf = malloc((size_t)size.QuadPart + 1);
  DWORD got = 0;
  if (buf == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  if (!ReadFile(file, buf, (DWORD)size.QuadPart, &got, NULL)) {
    err = wctr_fail(e, wctr_log_win32("ReadFile", GetLastError(), "credential spec %s", path),
                    "invalid credential spec: file://%s cannot be read", relative);
    goto done;
  }
  buf[got] = '\0';
  *text = buf;
  *len = got;
  buf = NULL;
done:
  if (dir != INVALID_HANDLE_VALUE) CloseHandle(dir);
  if (file != INVALID_HANDLE_VALUE) CloseHandle(file);
  if (buf != NULL) SecureZeroMemory(buf, (size_t)(size.QuadPart > 0 ? size.QuadPart : 0));
  free(buf);
  free(wdir);
  free(wpath);
  free(fdir);
  free(ffile);
  free(path);
  return err;
}

static wctr_err read_file_cb(void *ctx, const char *credspec_dir, const char *relative, char **text, size_t *len,
                             wctr_errmsg *e) {
  (void)ctx;
  return gmsa_read_spec_file(credspec_dir, relative, text, len, e);
}

/* Docker reads the value as a string under HKLM\...\CredentialSpecs (moby daemon/oci_windows.go). */
static wctr_err read_registry_cb(void *ctx, const char *value_name, char **text, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  *text = NULL;
  *len = 0;
  wchar_t *name = wctr_utf8_to_wide(value_name);
  wchar_t *key = wctr_utf8_to_wide(GMSA_REGISTRY_KEY);
  wctr_err err = WCTR_OK;
  wchar_t *data = NULL;
  if (name == NULL || key == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  DWORD bytes = 0;
  LSTATUS st = RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_REG_SZ, NULL, NULL, &bytes);
  if (st == ERROR_SUCCESS && bytes > (GMSA_CREDSPEC_MAX_BYTES + 1) * sizeof(wchar_t)) {
    err = wctr_fail(e, WCTR_ETOOBIG, "invalid credential spec: registry://%s is larger than %u bytes", value_name,
                    GMSA_CREDSPEC_MAX_BYTES);
    goto done;
  }
  if (st == ERROR_SUCCESS) {
    data = calloc(bytes / sizeof(wchar_t) + 1, sizeof *data);
    st = data != NULL ? RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_REG_SZ, NULL, data, &bytes)
                      : ERROR_NOT_ENOUGH_MEMORY;
  }
  if (st == ERROR_FILE_NOT_FOUND) {
    err = wctr_fail(e, WCTR_ENOENT, "invalid credential spec: registry value \"%.64s\" not found under HKLM\\%s",
                    value_name, GMSA_REGISTRY_KEY);
    goto done;
  }
  if (st != ERROR_SUCCESS) {
    err = wctr_fail(e, wctr_log_win32("RegGetValueW", (uint32_t)st, "credential spec %s", value_name),
                    "invalid credential spec: registry value \"%.64s\" cannot be read (a REG_SZ is expected)",
                    value_name);
    goto done;
  }
  char *utf8 = wctr_wide_to_utf8(data);
  if (utf8 == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "invalid credential spec: registry://%.64s is not valid text", value_name);
    goto done;
  }
  *text = utf8;
  *len = strlen(utf8);
done:
  if (data != NULL) SecureZeroMemory(data, bytes);
  free(data);
  free(name);
  free(key);
  return err;
}

void gmsa_resolver_windows(const char *credspec_dir, gmsa_resolver *out) {
  *out = (gmsa_resolver){.credspec_dir = credspec_dir, .read_file = read_file_cb, .read_registry = read_registry_cb};
}
