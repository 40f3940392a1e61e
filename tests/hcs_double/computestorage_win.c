/* tests/hcs_double/computestorage_win.c - computestorage.dll of the HCS test double: the layer
 * functions of the documented computestorage route. Each call is logged and counted against the knobs
 * like computecore's; its documents are validated (LayerData, OsLayerOptions, layer ids NameToGuid of
 * their folders); the folder effects that make sense on a host without the storage filter are real
 * (import copies the files into the layer folder, initialize creates the writable layer's folder -
 * and no VHD: HcsInitializeWritableLayer's documentation mentions none -, destroy removes a layer
 * folder), the rest (filter attach/detach, VHD set-up and formatting) is checked and recorded only. */
#include <windows.h>

#include <computestorage.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_kit.h"
#include "hcsd_storage.h"
#include "hcsd_validate.h"

#define is_absolute hcsd_is_absolute
#define is_directory hcsd_is_directory

/* Validates a document of type (NULL and "" allowed when optional); a LayerData's ids must be NameToGuid
 * of their folders (E_INVALIDARG). */
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
  HRESULT hr = doc != NULL && hv_check_type(doc, type, type, detail, detail_size) ? S_OK : HCS_E_INVALID_JSON;
  int i = 0;
  const cJSON *l;
  const cJSON *layers = SUCCEEDED(hr) && strcmp(type, "LayerData") == 0 ? cJSON_GetObjectItemCaseSensitive(doc, "Layers")
                                                                        : NULL;
  cJSON_ArrayForEach(l, layers) {
    if (FAILED(hr)) break;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(l, "Id");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(l, "Path");
    char where[64];
    snprintf(where, sizeof where, "LayerData.Layers[%d]", i++);
    if (cJSON_IsString(path)) {
      hr = hcsd_check_layer_id(cJSON_IsString(id) ? id->valuestring : NULL, path->valuestring, where, detail,
                               detail_size);
    }
  }
  cJSON_Delete(doc);
  return hr;
}

/* The call's result, with the reason of a refusal in the call log. */
static HRESULT finish(const char *name, HRESULT hr, const char *detail) {
  if (FAILED(hr)) hcsd_log_refusal(name, hr, detail);
  return hr;
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
  char detail[600] = "";
  if (!is_absolute(layerPath) || !is_absolute(sourceFolderPath)) return E_INVALIDARG;
  hr = check_document(layerData, "LayerData", false, detail, sizeof detail);
  if (FAILED(hr)) return finish("HcsImportLayer", hr, detail);
  if (!is_directory(sourceFolderPath)) return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  hcsd_create_directories(layerPath);
  DWORD err = hcsd_copy_tree(sourceFolderPath, layerPath);
  return err == 0 ? S_OK : HRESULT_FROM_WIN32(err);
}

HRESULT WINAPI HcsSetupBaseOSLayer(PCWSTR layerPath, HANDLE vhdHandle, PCWSTR options) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", layerPath);
  cJSON_AddBoolToObject(f, "vhd", vhdHandle != NULL && vhdHandle != INVALID_HANDLE_VALUE);
  hcsd_add_document(f, "options", options);
  HRESULT hr = begin("HcsSetupBaseOSLayer", f);
  if (FAILED(hr)) return hr;
  char detail[600] = "";
  if (!is_absolute(layerPath)) return E_INVALIDARG;
  hr = check_document(options, "OsLayerOptions", true, detail, sizeof detail);
  if (FAILED(hr)) return finish("HcsSetupBaseOSLayer", hr, detail);
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
  char detail[600] = "";
  /* options: "Reserved for future use. Must be NULL." */
  if (!is_absolute(writableLayerPath) || (options != NULL && options[0] != L'\0')) return E_INVALIDARG;
  hr = check_document(layerData, "LayerData", false, detail, sizeof detail);
  if (FAILED(hr)) return finish("HcsInitializeWritableLayer", hr, detail);
  /* The folder only. Its documentation mentions no VHD, and no Microsoft client expects one from it: a
   * scratch VHD comes from vmcompute's CreateSandboxLayer, a copied blank.vhdx, or CreateVirtualDisk with
   * HcsFormatWritableLayerVhd. A client that assumes one is refused when it uses the disk. */
  hcsd_create_directories(writableLayerPath);
  if (!is_directory(writableLayerPath)) return HRESULT_FROM_WIN32(GetLastError());
  return S_OK;
}

HRESULT WINAPI HcsAttachLayerStorageFilter(PCWSTR layerPath, PCWSTR layerData) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", layerPath);
  hcsd_add_document(f, "document", layerData);
  HRESULT hr = begin("HcsAttachLayerStorageFilter", f);
  if (FAILED(hr)) return hr;
  char detail[600] = "";
  if (!is_absolute(layerPath)) return E_INVALIDARG;
  hr = check_document(layerData, "LayerData", false, detail, sizeof detail);
  if (FAILED(hr)) return finish("HcsAttachLayerStorageFilter", hr, detail);
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
  DWORD err = hcsd_delete_tree(layerPath);
  return err == 0 ? S_OK : HRESULT_FROM_WIN32(err);
}
