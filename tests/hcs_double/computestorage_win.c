/* tests/hcs_double/computestorage_win.c - computestorage.dll of the HCS test double: the layer
 * functions a container engine calls before HCS sees a layer. Each call is logged and counted against
 * the knobs like computecore's; its documents are validated (LayerData, OsLayerOptions); the folder
 * effects that make sense on a host without the storage filter are real (import copies the files
 * into the layer folder, initialize creates the writable layer's folder, destroy removes a layer
 * folder), the rest (filter attach/detach, VHD set-up and formatting) is checked and recorded only. */
#include <windows.h>

#include <computestorage.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_support.h"
#include "hcsd_validate.h"

/* Layer paths are absolute (a drive or UNC path): HCS resolves nothing against a current directory. */
static bool is_absolute(const wchar_t *path) {
  if (path == NULL) return false;
  bool drive = ((path[0] >= L'A' && path[0] <= L'Z') || (path[0] >= L'a' && path[0] <= L'z')) && path[1] == L':' &&
               path[2] == L'\\';
  return drive || (path[0] == L'\\' && path[1] == L'\\');
}

static bool is_directory(const wchar_t *path) {
  DWORD a = GetFileAttributesW(path);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

/* Validates a document of type (NULL and "" allowed when optional). */
static HRESULT check_document(const wchar_t *text, const char *type, bool optional, char *detail,
                              size_t detail_size) {
  if (text == NULL || text[0] == L'\0') {
    if (optional) return S_OK;
    snprintf(detail, detail_size, "%s: required", type);
    return E_INVALIDARG;
  }
  bool valid;
  char *utf8 = hcsd_utf8(text, &valid);
  if (!valid) {
    snprintf(detail, detail_size, "%s: not valid UTF-16", type);
    return HCS_E_INVALID_JSON;
  }
  cJSON *doc = hv_parse(utf8, type, detail, detail_size);
  free(utf8);
  bool ok = doc != NULL && hv_check_type(doc, type, type, detail, detail_size);
  cJSON_Delete(doc);
  return ok ? S_OK : HCS_E_INVALID_JSON;
}

static void create_directories(const wchar_t *path) {
  wchar_t buf[MAX_PATH];
  if (wcslen(path) >= MAX_PATH) return;
  wcscpy_s(buf, MAX_PATH, path);
  for (wchar_t *p = buf + 3; *p != L'\0'; p++) {
    if (*p != L'\\') continue;
    *p = L'\0';
    CreateDirectoryW(buf, NULL);
    *p = L'\\';
  }
  CreateDirectoryW(buf, NULL);
}

/* Copies (copy) or deletes (copy false) the tree under from into to. Win32 error or 0. */
static DWORD walk_tree(const wchar_t *from, const wchar_t *to, bool copy) {
  wchar_t pattern[MAX_PATH];
  if (swprintf(pattern, MAX_PATH, L"%ls\\*", from) < 0) return ERROR_FILENAME_EXCED_RANGE;
  if (copy && !CreateDirectoryW(to, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) return GetLastError();
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return GetLastError() == ERROR_FILE_NOT_FOUND ? 0 : GetLastError();
  DWORD err = 0;
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
    wchar_t src[MAX_PATH], dst[MAX_PATH];
    if (swprintf(src, MAX_PATH, L"%ls\\%ls", from, fd.cFileName) < 0 ||
        (copy && swprintf(dst, MAX_PATH, L"%ls\\%ls", to, fd.cFileName) < 0)) {
      err = ERROR_FILENAME_EXCED_RANGE;
      break;
    }
    bool dir = (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0 &&
               (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0;
    if (dir) {
      err = walk_tree(src, copy ? dst : NULL, copy);
    } else if (copy) {
      err = CopyFileW(src, dst, FALSE) ? 0 : GetLastError();
    } else {
      SetFileAttributesW(src, FILE_ATTRIBUTE_NORMAL);
      err = DeleteFileW(src) ? 0 : GetLastError();
    }
  } while (err == 0 && FindNextFileW(find, &fd));
  FindClose(find);
  if (err == 0 && !copy && !RemoveDirectoryW(from)) err = GetLastError();
  return err;
}

/* Logs the call, applies the knobs; S_OK to go on, or the injected failure. */
static HRESULT begin(const char *name, cJSON *fields) {
  hcsd_knob knob;
  hcsd_call(name, fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  return knob.fail;
}

static cJSON *fields_new(void) {
  cJSON *f = cJSON_CreateObject();
  if (f == NULL) hcsd_oom();
  return f;
}

HRESULT WINAPI HcsImportLayer(PCWSTR layerPath, PCWSTR sourceFolderPath, PCWSTR layerData) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", layerPath);
  hcsd_add_string(f, "source", sourceFolderPath);
  hcsd_add_document(f, "document", layerData);
  HRESULT hr = begin("HcsImportLayer", f);
  if (FAILED(hr)) return hr;
  char detail[600];
  if (!is_absolute(layerPath) || !is_absolute(sourceFolderPath)) return E_INVALIDARG;
  hr = check_document(layerData, "LayerData", false, detail, sizeof detail);
  if (FAILED(hr)) return hr;
  if (!is_directory(sourceFolderPath)) return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  create_directories(layerPath);
  DWORD err = walk_tree(sourceFolderPath, layerPath, true);
  return err == 0 ? S_OK : HRESULT_FROM_WIN32(err);
}

HRESULT WINAPI HcsSetupBaseOSLayer(PCWSTR layerPath, HANDLE vhdHandle, PCWSTR options) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", layerPath);
  cJSON_AddBoolToObject(f, "vhd", vhdHandle != NULL && vhdHandle != INVALID_HANDLE_VALUE);
  hcsd_add_document(f, "options", options);
  HRESULT hr = begin("HcsSetupBaseOSLayer", f);
  if (FAILED(hr)) return hr;
  char detail[600];
  if (!is_absolute(layerPath)) return E_INVALIDARG;
  hr = check_document(options, "OsLayerOptions", true, detail, sizeof detail);
  if (FAILED(hr)) return hr;
  DWORD flags;
  if (vhdHandle != NULL && !GetHandleInformation(vhdHandle, &flags)) return E_HANDLE;
  return is_directory(layerPath) ? S_OK : HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
}

HRESULT WINAPI HcsInitializeWritableLayer(PCWSTR writableLayerPath, PCWSTR layerData, PCWSTR options) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", writableLayerPath);
  hcsd_add_document(f, "document", layerData);
  hcsd_add_document(f, "options", options);
  HRESULT hr = begin("HcsInitializeWritableLayer", f);
  if (FAILED(hr)) return hr;
  char detail[600];
  /* options: "Reserved for future use. Must be NULL." */
  if (!is_absolute(writableLayerPath) || (options != NULL && options[0] != L'\0')) return E_INVALIDARG;
  hr = check_document(layerData, "LayerData", false, detail, sizeof detail);
  if (FAILED(hr)) return hr;
  create_directories(writableLayerPath);
  if (!is_directory(writableLayerPath)) return HRESULT_FROM_WIN32(GetLastError());
  /* The folder of a writable layer holds its scratch disk, sandbox.vhdx (as Docker's windowsfilter folders
   * do): Hyper-V isolation hands that file to the utility VM. The double's is an empty file. */
  size_t n = wcslen(writableLayerPath);
  wchar_t *vhd = malloc((n + 16) * sizeof *vhd);
  if (vhd == NULL) return E_OUTOFMEMORY;
  _snwprintf(vhd, n + 16, L"%ls\\sandbox.vhdx", writableLayerPath);
  vhd[n + 15] = L'\0';
  HANDLE h = CreateFileW(vhd, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD code = GetLastError();
  free(vhd);
  if (h == INVALID_HANDLE_VALUE && code != ERROR_FILE_EXISTS) return HRESULT_FROM_WIN32(code);
  if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  return S_OK;
}

HRESULT WINAPI HcsAttachLayerStorageFilter(PCWSTR layerPath, PCWSTR layerData) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", layerPath);
  hcsd_add_document(f, "document", layerData);
  HRESULT hr = begin("HcsAttachLayerStorageFilter", f);
  if (FAILED(hr)) return hr;
  char detail[600];
  if (!is_absolute(layerPath)) return E_INVALIDARG;
  hr = check_document(layerData, "LayerData", false, detail, sizeof detail);
  if (FAILED(hr)) return hr;
  return is_directory(layerPath) ? S_OK : HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
}

HRESULT WINAPI HcsDetachLayerStorageFilter(PCWSTR layerPath) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", layerPath);
  HRESULT hr = begin("HcsDetachLayerStorageFilter", f);
  if (FAILED(hr)) return hr;
  if (!is_absolute(layerPath)) return E_INVALIDARG;
  return is_directory(layerPath) ? S_OK : HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
}

HRESULT WINAPI HcsFormatWritableLayerVhd(HANDLE vhdHandle) {
  cJSON *f = fields_new();
  cJSON_AddBoolToObject(f, "vhd", vhdHandle != NULL && vhdHandle != INVALID_HANDLE_VALUE);
  HRESULT hr = begin("HcsFormatWritableLayerVhd", f);
  if (FAILED(hr)) return hr;
  DWORD flags;
  if (vhdHandle == NULL || vhdHandle == INVALID_HANDLE_VALUE || !GetHandleInformation(vhdHandle, &flags)) {
    return E_HANDLE;
  }
  return S_OK;
}

HRESULT WINAPI HcsDestroyLayer(PCWSTR layerPath) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", layerPath);
  HRESULT hr = begin("HcsDestroyLayer", f);
  if (FAILED(hr)) return hr;
  if (!is_absolute(layerPath) || wcslen(layerPath) <= 3) return E_INVALIDARG; /* never a drive root */
  if (!is_directory(layerPath)) return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  DWORD err = walk_tree(layerPath, NULL, false);
  return err == 0 ? S_OK : HRESULT_FROM_WIN32(err);
}
