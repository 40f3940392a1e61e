/* tests/hcs_double/vmcompute_win.c - vmcompute.dll of the HCS test double: the layer functions hcsshim and
 * moby call (internal/wclayer), sharing the state folder, call log and knobs of the other doubles (kit/).
 *
 * Every function is logged and counted against the knobs like computecore's; a fail rule returns its
 * HRESULT from the call, a delay sleeps in it. Like the real functions they answer with a bare HRESULT; the
 * double explains each refusal in the call log ({"refused":NAME,"hr","detail"}).
 *
 * What is real: NameToGuid (the double's, hcsd_storage.h), the scratch VHD CreateSandboxLayer writes
 * (sandbox.vhdx in the layer's folder), the VHDs ProcessBaseImage and ProcessUtilityImage write, the copy
 * ImportLayer makes and the folder DestroyLayer deletes. What is modelled in state.json ("Mounts"): the
 * mounted scratch volume of ActivateLayer - a made-up "\\?\Volume{GUID}\" that GetLayerMountPath returns -
 * and the filter PrepareLayer attaches, so that computecore.dll accepts that volume, and only it, as a
 * process-isolated container's Storage.Path.
 *
 * Refused as a host refuses them (README.md lists the codes): a driver info other than hcsshim's {Flavour 1,
 * HomeDir ""}, a relative path, a layer descriptor whose id is not NameToGuid of its folder's name, a
 * scratch without a VHD the double made, a mount step out of order (prepare before activate:
 * ERROR_NOT_READY; deactivate while prepared, unprepare while a compute system uses the volume, destroy while
 * mounted: ERROR_BUSY). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_kit.h"
#include "hcsd_layers.h"
#include "hcsd_storage.h"

/* hcsshim's shapes (internal/wclayer/layerutils.go). */
typedef struct vm_driver_info {
  int flavour;
  PCWSTR home_dir;
} vm_driver_info;

typedef struct vm_layer_descriptor {
  GUID layer_id;
  ULONG flags;
  PCWSTR path;
} vm_layer_descriptor;

#define FILTER_DRIVER 1
#define MAX_DESCRIPTORS 128

static cJSON *fields_new(void) {
  cJSON *f = cJSON_CreateObject();
  if (f == NULL) hcsd_oom();
  return f;
}

static void add_info(cJSON *f, const vm_driver_info *info) {
  if (info == NULL) return;
  cJSON_AddNumberToObject(f, "flavour", info->flavour);
  hcsd_add_string(f, "homeDir", info->home_dir);
}

/* The descriptors as the call log shows them: [{"Id","Path","Flags"}]. */
static cJSON *descriptors_json(const vm_layer_descriptor *d, size_t count) {
  cJSON *list = cJSON_CreateArray();
  if (list == NULL) hcsd_oom();
  for (size_t i = 0; d != NULL && i < count && i < MAX_DESCRIPTORS; i++) {
    cJSON *l = cJSON_CreateObject();
    if (l == NULL) hcsd_oom();
    char id[37];
    hcsd_guid_text(&d[i].layer_id, id);
    cJSON_AddStringToObject(l, "Id", id);
    hcsd_add_string(l, "Path", d[i].path);
    cJSON_AddNumberToObject(l, "Flags", d[i].flags);
    cJSON_AddItemToArray(list, l);
  }
  return list;
}

/* Logs the call and applies the knobs: S_OK to go on, or the injected failure. */
static HRESULT begin(const char *name, cJSON *fields) {
  hcsd_knob knob;
  hcsd_call(name, fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  return knob.fail;
}

static HRESULT refuse(const char *name, HRESULT hr, const char *detail) {
  hcsd_log_refusal(name, hr, detail);
  return hr;
}

/* hcsshim's driver info and an absolute layer path (the id of every call since HomeDir is ""). */
static HRESULT check_layer_call(const vm_driver_info *info, PCWSTR id, char *detail, size_t detail_size) {
  if (info == NULL) {
    snprintf(detail, detail_size, "the driver info is NULL");
    return E_POINTER;
  }
  if (info->flavour != FILTER_DRIVER) {
    snprintf(detail, detail_size, "DriverInfo.Flavour %d: only 1 (the filter driver) is supported", info->flavour);
    return E_INVALIDARG;
  }
  if (info->home_dir != NULL && info->home_dir[0] != L'\0') {
    snprintf(detail, detail_size, "DriverInfo.HomeDir must be empty: the layer is named by its full path");
    return E_INVALIDARG;
  }
  if (!hcsd_is_absolute(id)) {
    snprintf(detail, detail_size, "the layer \"%ls\" is not an absolute path", id != NULL ? id : L"(null)");
    return E_INVALIDARG;
  }
  return S_OK;
}

/* Each descriptor's folder exists and its id is NameToGuid of the folder's name; *out (when given) gets
 * them as [{"Id","Path"}]. */
static HRESULT check_descriptors(const vm_layer_descriptor *d, size_t count, bool need_base, cJSON **out,
                                 char *detail, size_t detail_size) {
  if (out != NULL) *out = NULL;
  if (count > MAX_DESCRIPTORS || (count > 0 && d == NULL)) {
    snprintf(detail, detail_size, "%zu layer descriptors", count);
    return E_INVALIDARG;
  }
  if (need_base && count == 0) {
    snprintf(detail, detail_size, "no parent layers: a scratch needs at least its base layer");
    return E_INVALIDARG;
  }
  cJSON *list = cJSON_CreateArray();
  if (list == NULL) hcsd_oom();
  HRESULT hr = S_OK;
  for (size_t i = 0; i < count && SUCCEEDED(hr); i++) {
    char where[48];
    snprintf(where, sizeof where, "descriptor %zu", i);
    if (!hcsd_is_absolute(d[i].path)) {
      snprintf(detail, detail_size, "%s: the path is not absolute", where);
      hr = E_INVALIDARG;
      break;
    }
    if (!hcsd_is_directory(d[i].path)) {
      snprintf(detail, detail_size, "%s: no layer folder %ls", where, d[i].path);
      hr = HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
      break;
    }
    char id[37];
    hcsd_guid_text(&d[i].layer_id, id);
    char *path = hcsd_utf8(d[i].path, NULL);
    hr = hcsd_check_layer_id(id, path, where, detail, detail_size);
    cJSON *l = cJSON_CreateObject();
    if (l == NULL) hcsd_oom();
    cJSON_AddStringToObject(l, "Id", id);
    cJSON_AddStringToObject(l, "Path", path);
    cJSON_AddItemToArray(list, l);
    free(path);
  }
  if (SUCCEEDED(hr) && need_base) {
    wchar_t files[MAX_PATH + 8];
    swprintf(files, ARRAYSIZE(files), L"%ls\\Files", d[count - 1].path);
    if (!hcsd_is_directory(files)) {
      snprintf(detail, detail_size, "the last descriptor, %ls, is not a base layer: it has no Files folder", d[count - 1].path);
      hr = HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
    }
  }
  if (FAILED(hr) || out == NULL) {
    cJSON_Delete(list);
  } else {
    *out = list;
  }
  return hr;
}

/* ---- names ---- */

HRESULT WINAPI NameToGuid(PCWSTR name, GUID *guid) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "name", name);
  HRESULT hr = begin("NameToGuid", f);
  if (FAILED(hr)) return hr;
  if (guid == NULL) return E_POINTER;
  if (name == NULL || name[0] == L'\0') return refuse("NameToGuid", E_INVALIDARG, "the name is empty");
  hcsd_name_to_guid(name, guid);
  return S_OK;
}

/* ---- the scratch layer ---- */

HRESULT WINAPI CreateSandboxLayer(const vm_driver_info *info, PCWSTR id, PCWSTR parent, const vm_layer_descriptor *d,
                                  size_t count) {
  cJSON *f = fields_new();
  add_info(f, info);
  hcsd_add_string(f, "path", id);
  hcsd_add_string(f, "parent", parent);
  cJSON_AddItemToObject(f, "layers", descriptors_json(d, count));
  HRESULT hr = begin("CreateSandboxLayer", f);
  if (FAILED(hr)) return hr;
  char detail[800] = "";
  hr = check_layer_call(info, id, detail, sizeof detail);
  if (SUCCEEDED(hr) && parent != NULL && parent[0] != L'\0') {
    snprintf(detail, sizeof detail, "the parent is given by the descriptors (hcsshim passes none)");
    hr = E_INVALIDARG;
  }
  if (SUCCEEDED(hr)) hr = check_descriptors(d, count, true, NULL, detail, sizeof detail);
  if (FAILED(hr)) return refuse("CreateSandboxLayer", hr, detail);
  hcsd_create_directories(id);
  if (!hcsd_is_directory(id)) return refuse("CreateSandboxLayer", HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND), "cannot create the folder");
  wchar_t vhd[MAX_PATH + 16];
  swprintf(vhd, ARRAYSIZE(vhd), L"%ls\\sandbox.vhdx", id);
  if (GetFileAttributesW(vhd) != INVALID_FILE_ATTRIBUTES) {
    return refuse("CreateSandboxLayer", HRESULT_FROM_WIN32(ERROR_FILE_EXISTS), "the layer already has its sandbox.vhdx");
  }
  hr = hcsd_vhd_write(vhd, "Sandbox");
  return FAILED(hr) ? refuse("CreateSandboxLayer", hr, "cannot write sandbox.vhdx") : S_OK;
}

typedef struct mount_edit {
  const char *path;      /* the layer's folder */
  const char *vhd;       /* activate: <path>\sandbox.vhdx, already checked */
  cJSON *layers;         /* prepare: taken */
  HRESULT hr;
  char detail[600];
  char volume[64];       /* activate, get: the volume */
} mount_edit;

static cJSON *find_mount(cJSON *state, const char *path) {
  return hcsd_store_find(cJSON_GetObjectItemCaseSensitive(state, "Mounts"), path);
}

static bool not_mounted(mount_edit *m) {
  snprintf(m->detail, sizeof m->detail, "%s is not activated: its scratch VHD is not mounted", m->path);
  m->hr = HRESULT_FROM_WIN32(ERROR_NOT_READY);
  return false;
}

static bool activate_fn(cJSON *state, void *ctx) {
  mount_edit *m = ctx;
  cJSON *mount = find_mount(state, m->path);
  if (mount != NULL) {
    snprintf(m->volume, sizeof m->volume, "%s", cJSON_GetObjectItemCaseSensitive(mount, "Volume")->valuestring);
    return false; /* already mounted: nothing changes */
  }
  char guid[37];
  hcsd_new_guid(guid);
  snprintf(m->volume, sizeof m->volume, "\\\\?\\Volume{%s}\\", guid);
  mount = cJSON_CreateObject();
  if (mount == NULL) hcsd_oom();
  cJSON_AddStringToObject(mount, "Id", m->path);
  cJSON_AddStringToObject(mount, "Vhd", m->vhd);
  cJSON_AddStringToObject(mount, "Volume", m->volume);
  cJSON_AddBoolToObject(mount, "Prepared", false);
  cJSON_AddItemToObject(mount, "Layers", cJSON_CreateArray());
  cJSON_AddItemToArray(hcsd_store_section(state, "Mounts"), mount);
  return true;
}

HRESULT WINAPI ActivateLayer(const vm_driver_info *info, PCWSTR id) {
  cJSON *f = fields_new();
  add_info(f, info);
  hcsd_add_string(f, "path", id);
  HRESULT hr = begin("ActivateLayer", f);
  if (FAILED(hr)) return hr;
  mount_edit m = {.hr = S_OK};
  hr = check_layer_call(info, id, m.detail, sizeof m.detail);
  if (FAILED(hr)) return refuse("ActivateLayer", hr, m.detail);
  char *path = hcsd_utf8(id, NULL);
  char vhd[MAX_PATH * 3 + 16];
  snprintf(vhd, sizeof vhd, "%s\\sandbox.vhdx", path);
  /* The scratch must be a VHD someone created: a writable layer folder alone mounts nothing. */
  hr = hcsd_vhd_check(vhd, "ActivateLayer", m.detail, sizeof m.detail);
  if (SUCCEEDED(hr)) {
    m.path = path;
    m.vhd = vhd;
    hcsd_store_edit(activate_fn, &m);
  }
  free(path);
  return FAILED(hr) ? refuse("ActivateLayer", hr, m.detail) : S_OK;
}

static bool prepare_fn(cJSON *state, void *ctx) {
  mount_edit *m = ctx;
  cJSON *mount = find_mount(state, m->path);
  if (mount == NULL) return not_mounted(m);
  cJSON_ReplaceItemInObjectCaseSensitive(mount, "Prepared", cJSON_CreateBool(true));
  cJSON_ReplaceItemInObjectCaseSensitive(mount, "Layers", m->layers);
  m->layers = NULL;
  return true;
}

HRESULT WINAPI PrepareLayer(const vm_driver_info *info, PCWSTR id, const vm_layer_descriptor *d, size_t count) {
  cJSON *f = fields_new();
  add_info(f, info);
  hcsd_add_string(f, "path", id);
  cJSON_AddItemToObject(f, "layers", descriptors_json(d, count));
  HRESULT hr = begin("PrepareLayer", f);
  if (FAILED(hr)) return hr;
  mount_edit m = {.hr = S_OK};
  hr = check_layer_call(info, id, m.detail, sizeof m.detail);
  if (SUCCEEDED(hr)) hr = check_descriptors(d, count, true, &m.layers, m.detail, sizeof m.detail);
  if (FAILED(hr)) return refuse("PrepareLayer", hr, m.detail);
  char *path = hcsd_utf8(id, NULL);
  m.path = path;
  hcsd_store_edit(prepare_fn, &m);
  cJSON_Delete(m.layers);
  free(path);
  return FAILED(m.hr) ? refuse("PrepareLayer", m.hr, m.detail) : S_OK;
}

static bool volume_fn(cJSON *state, void *ctx) {
  mount_edit *m = ctx;
  cJSON *mount = find_mount(state, m->path);
  if (mount == NULL) return not_mounted(m);
  snprintf(m->volume, sizeof m->volume, "%s", cJSON_GetObjectItemCaseSensitive(mount, "Volume")->valuestring);
  return false;
}

HRESULT WINAPI GetLayerMountPath(const vm_driver_info *info, PCWSTR id, size_t *length, PWSTR buffer) {
  cJSON *f = fields_new();
  add_info(f, info);
  hcsd_add_string(f, "path", id);
  cJSON_AddBoolToObject(f, "buffer", buffer != NULL);
  HRESULT hr = begin("GetLayerMountPath", f);
  if (FAILED(hr)) return hr;
  if (length == NULL) return E_POINTER;
  mount_edit m = {.hr = S_OK};
  hr = check_layer_call(info, id, m.detail, sizeof m.detail);
  if (FAILED(hr)) return refuse("GetLayerMountPath", hr, m.detail);
  char *path = hcsd_utf8(id, NULL);
  m.path = path;
  hcsd_store_edit(volume_fn, &m);
  free(path);
  if (FAILED(m.hr)) return refuse("GetLayerMountPath", m.hr, m.detail);
  wchar_t *volume = hcsd_wide(m.volume);
  size_t needed = wcslen(volume) + 1;
  /* First the length (in characters, with the NUL), then the path, as hcsshim asks. */
  hr = S_OK;
  if (buffer != NULL && *length < needed) {
    hr = HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER);
  } else if (buffer != NULL) {
    memcpy(buffer, volume, needed * sizeof *volume);
  }
  *length = needed;
  free(volume);
  return hr;
}

/* The non-stopped compute system whose Storage.Path is volume, or NULL (state.json, as computecore.dll
 * keeps its systems there). */
static const char *system_using(cJSON *state, const char *volume) {
  const cJSON *s;
  cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(state, "Systems")) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(s, "State");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "Configuration"), "Container"),
            "Storage"),
        "Path");
    if (cJSON_IsString(st) && strcmp(st->valuestring, "Stopped") != 0 && cJSON_IsString(path) &&
        hcsd_id_equal(path->valuestring, volume)) {
      return cJSON_GetObjectItemCaseSensitive(s, "Id")->valuestring;
    }
  }
  return NULL;
}

static bool unprepare_fn(cJSON *state, void *ctx) {
  mount_edit *m = ctx;
  cJSON *mount = find_mount(state, m->path);
  if (mount == NULL) return not_mounted(m);
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mount, "Prepared"))) return false;
  const char *volume = cJSON_GetObjectItemCaseSensitive(mount, "Volume")->valuestring;
  const char *user = system_using(state, volume);
  if (user != NULL) {
    snprintf(m->detail, sizeof m->detail, "%s is the storage of compute system \"%s\", which has not stopped", volume,
             user);
    m->hr = HRESULT_FROM_WIN32(ERROR_BUSY);
    return false;
  }
  cJSON_ReplaceItemInObjectCaseSensitive(mount, "Prepared", cJSON_CreateBool(false));
  cJSON_ReplaceItemInObjectCaseSensitive(mount, "Layers", cJSON_CreateArray());
  return true;
}

static bool deactivate_fn(cJSON *state, void *ctx) {
  mount_edit *m = ctx;
  cJSON *mounts = cJSON_GetObjectItemCaseSensitive(state, "Mounts");
  cJSON *mount = hcsd_store_find(mounts, m->path);
  if (mount == NULL) return not_mounted(m);
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mount, "Prepared"))) {
    snprintf(m->detail, sizeof m->detail, "%s is still prepared: UnprepareLayer first", m->path);
    m->hr = HRESULT_FROM_WIN32(ERROR_BUSY);
    return false;
  }
  cJSON_Delete(cJSON_DetachItemViaPointer(mounts, mount));
  return true;
}

static HRESULT mount_step(const char *name, const vm_driver_info *info, PCWSTR id,
                          bool (*fn)(cJSON *state, void *ctx)) {
  cJSON *f = fields_new();
  add_info(f, info);
  hcsd_add_string(f, "path", id);
  HRESULT hr = begin(name, f);
  if (FAILED(hr)) return hr;
  mount_edit m = {.hr = S_OK};
  hr = check_layer_call(info, id, m.detail, sizeof m.detail);
  if (FAILED(hr)) return refuse(name, hr, m.detail);
  char *path = hcsd_utf8(id, NULL);
  m.path = path;
  hcsd_store_edit(fn, &m);
  free(path);
  return FAILED(m.hr) ? refuse(name, m.hr, m.detail) : S_OK;
}

HRESULT WINAPI UnprepareLayer(const vm_driver_info *info, PCWSTR id) {
  return mount_step("UnprepareLayer", info, id, unprepare_fn);
}

HRESULT WINAPI DeactivateLayer(const vm_driver_info *info, PCWSTR id) {
  return mount_step("DeactivateLayer", info, id, deactivate_fn);
}

static bool mounted_fn(cJSON *state, void *ctx) {
  mount_edit *m = ctx;
  if (find_mount(state, m->path) != NULL) {
    snprintf(m->detail, sizeof m->detail, "%s is activated: DeactivateLayer first", m->path);
    m->hr = HRESULT_FROM_WIN32(ERROR_BUSY);
  }
  return false;
}

HRESULT WINAPI DestroyLayer(const vm_driver_info *info, PCWSTR id) {
  HRESULT hr = mount_step("DestroyLayer", info, id, mounted_fn);
  if (FAILED(hr)) return hr;
  if (wcslen(id) <= 3) return refuse("DestroyLayer", E_INVALIDARG, "never a drive root");
  if (!hcsd_is_directory(id)) return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  DWORD err = hcsd_delete_tree(id);
  if (err != 0) return refuse("DestroyLayer", HRESULT_FROM_WIN32(err), "cannot delete the layer's folder");
  char *path = hcsd_utf8(id, NULL);
  hcsd_store_remove("Layers", path);
  free(path);
  return S_OK;
}

HRESULT WINAPI LayerExists(const vm_driver_info *info, PCWSTR id, UINT32 *exists) {
  cJSON *f = fields_new();
  add_info(f, info);
  hcsd_add_string(f, "path", id);
  HRESULT hr = begin("LayerExists", f);
  if (FAILED(hr)) return hr;
  if (exists == NULL) return E_POINTER;
  char detail[600] = "";
  hr = check_layer_call(info, id, detail, sizeof detail);
  if (FAILED(hr)) return refuse("LayerExists", hr, detail);
  *exists = hcsd_is_directory(id) ? 1 : 0;
  return S_OK;
}

/* ---- images ---- */

/* The layers the double imported or processed (state.json "Layers"): {"Id": folder, "LayerId", "Kind":
 * "Base"|"Import", "Parents": [folders, immediate first], "UtilityVM", "Files", "Placeholders", "Reparse"}. */

/* The parents of an import, in hcsshim's order: immediate first, each the layer the previous one was
 * imported over, the last a base layer. */
static HRESULT check_parent_order(const vm_layer_descriptor *d, size_t count, char *detail, size_t detail_size) {
  HRESULT hr = S_OK;
  for (size_t i = 0; i < count && SUCCEEDED(hr); i++) {
    char *path = hcsd_utf8(d[i].path, NULL);
    for (size_t k = 0; k < i; k++) {
      if (_wcsicmp(d[k].path, d[i].path) == 0) {
        snprintf(detail, detail_size, "descriptor %zu repeats %s", i, path);
        hr = E_INVALIDARG;
      }
    }
    cJSON *rec = SUCCEEDED(hr) ? hcsd_store_get("Layers", path) : NULL;
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rec, "Kind");
    const cJSON *parents = cJSON_GetObjectItemCaseSensitive(rec, "Parents");
    bool imported = cJSON_IsString(kind) && strcmp(kind->valuestring, "Import") == 0;
    if (SUCCEEDED(hr) && i + 1 == count && imported) {
      snprintf(detail, detail_size, "the last descriptor, %s, is not a base layer: it was imported over %d parent(s); "
                                    "parents go immediate first, the base last", path, cJSON_GetArraySize(parents));
      hr = E_INVALIDARG;
    }
    if (SUCCEEDED(hr) && imported) {
      /* its own parents must follow it, in the same order */
      bool same = (size_t)cJSON_GetArraySize(parents) == count - 1 - i;
      for (size_t k = 0; same && k < count - 1 - i; k++) {
        const cJSON *p = cJSON_GetArrayItem(parents, (int)k);
        char *want = hcsd_utf8(d[i + 1 + k].path, NULL);
        same = cJSON_IsString(p) && hcsd_id_equal(p->valuestring, want);
        free(want);
      }
      if (!same) {
        snprintf(detail, detail_size, "descriptor %zu, %s, was imported over other parents than the descriptors after it; "
                                      "parents go immediate first, the base last", i, path);
        hr = E_INVALIDARG;
      }
    }
    cJSON_Delete(rec);
    free(path);
  }
  return hr;
}

static void layer_record(const char *path, const char *kind, cJSON *extra) {
  cJSON *rec = hcsd_store_get("Layers", path);
  if (rec == NULL) {
    rec = cJSON_CreateObject();
    if (rec == NULL) hcsd_oom();
    cJSON_AddStringToObject(rec, "Id", path);
    char id[37];
    hcsd_layer_id_of(path, id);
    cJSON_AddStringToObject(rec, "LayerId", id);
  }
  if (kind != NULL) {
    cJSON_DeleteItemFromObjectCaseSensitive(rec, "Kind");
    cJSON_AddStringToObject(rec, "Kind", kind);
  }
  cJSON *item = extra != NULL ? extra->child : NULL;
  while (item != NULL) {
    cJSON *next = item->next;
    cJSON_DeleteItemFromObjectCaseSensitive(rec, item->string);
    cJSON_AddItemToObject(rec, item->string, cJSON_DetachItemViaPointer(extra, item));
    item = next;
  }
  hcsd_store_put("Layers", rec);
  cJSON_Delete(rec);
}

HRESULT WINAPI ImportLayer(const vm_driver_info *info, PCWSTR id, PCWSTR path, const vm_layer_descriptor *d,
                           size_t count) {
  cJSON *f = fields_new();
  add_info(f, info);
  hcsd_add_string(f, "path", id);
  hcsd_add_string(f, "source", path);
  cJSON_AddItemToObject(f, "layers", descriptors_json(d, count));
  HRESULT hr = begin("ImportLayer", f);
  if (FAILED(hr)) return hr;
  char detail[800] = "";
  hr = check_layer_call(info, id, detail, sizeof detail);
  if (SUCCEEDED(hr)) hr = hcsd_check_layer_privileges(detail, sizeof detail);
  if (SUCCEEDED(hr) && !hcsd_is_directory(path)) {
    snprintf(detail, sizeof detail, "no staged files at %ls", path != NULL ? path : L"(null)");
    hr = HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  }
  /* A layer's parents must be layers, with their ids, in the chain's order, ending at a base layer. */
  if (SUCCEEDED(hr)) hr = check_descriptors(d, count, count > 0, NULL, detail, sizeof detail);
  if (SUCCEEDED(hr)) hr = check_parent_order(d, count, detail, sizeof detail);
  if (FAILED(hr)) return refuse("ImportLayer", hr, detail);
  hcsd_create_directories(id);
  cJSON *rec = cJSON_CreateObject();
  if (rec == NULL) hcsd_oom();
  hr = hcsd_import_transport(path, id, count > 0 ? d[0].path : NULL, rec, detail, sizeof detail);
  if (FAILED(hr)) {
    cJSON_Delete(rec);
    return refuse("ImportLayer", hr, detail);
  }
  cJSON *parents = cJSON_AddArrayToObject(rec, "Parents");
  for (size_t i = 0; i < count; i++) {
    char *p = hcsd_utf8(d[i].path, NULL);
    cJSON_AddItemToArray(parents, cJSON_CreateString(p));
    free(p);
  }
  char *layer = hcsd_utf8(id, NULL);
  layer_record(layer, "Import", rec);
  free(layer);
  cJSON_Delete(rec);
  return S_OK;
}

/* Writes the VHDs a processed image holds: names[i] of kinds[i] in folder, once folder\Files has need (the
 * file processing reads). */
static HRESULT process_image(const char *name, PCWSTR folder, const wchar_t *need, const wchar_t *const *names,
                             const char *const *kinds, size_t n) {
  cJSON *f = fields_new();
  hcsd_add_string(f, "path", folder);
  HRESULT hr = begin(name, f);
  if (FAILED(hr)) return hr;
  if (!hcsd_is_absolute(folder)) return refuse(name, E_INVALIDARG, "the path is not absolute");
  char detail[MAX_PATH * 3 + 200];
  hr = hcsd_check_layer_privileges(detail, sizeof detail);
  if (FAILED(hr)) return refuse(name, hr, detail);
  wchar_t files[MAX_PATH + 8];
  swprintf(files, ARRAYSIZE(files), L"%ls\\Files", folder);
  if (!hcsd_is_directory(files)) {
    snprintf(detail, sizeof detail, "%ls has no Files folder", folder);
    return refuse(name, HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND), detail);
  }
  wchar_t needed[MAX_PATH + 80];
  swprintf(needed, ARRAYSIZE(needed), L"%ls\\Files\\%ls", folder, need);
  if (GetFileAttributesW(needed) == INVALID_FILE_ATTRIBUTES) {
    snprintf(detail, sizeof detail, "%ls has no Files\\%ls: not the image this processing reads", folder, need);
    return refuse(name, HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND), detail);
  }
  for (size_t i = 0; i < n && SUCCEEDED(hr); i++) {
    wchar_t vhd[MAX_PATH + 40];
    swprintf(vhd, ARRAYSIZE(vhd), L"%ls\\%ls", folder, names[i]);
    hr = hcsd_vhd_write(vhd, kinds[i]);
  }
  return FAILED(hr) ? refuse(name, hr, "cannot write the image's VHDs") : S_OK;
}

HRESULT WINAPI ProcessBaseImage(PCWSTR path) {
  static const wchar_t *const names[] = {L"blank.vhdx", L"blank-base.vhdx"};
  static const char *const kinds[] = {"Blank", "BlankBase"};
  char *layer = path != NULL ? hcsd_utf8(path, NULL) : NULL;
  cJSON *rec = layer != NULL ? hcsd_store_get("Layers", layer) : NULL;
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rec, "Kind");
  bool imported = cJSON_IsString(kind) && strcmp(kind->valuestring, "Import") == 0;
  cJSON_Delete(rec);
  HRESULT hr = S_OK;
  if (imported) {
    cJSON *f = fields_new();
    hcsd_add_string(f, "path", path);
    hr = begin("ProcessBaseImage", f);
    if (SUCCEEDED(hr)) hr = refuse("ProcessBaseImage", E_INVALIDARG, "the layer was imported over parents: it is no base layer");
  } else {
    /* A base layer is a Windows: its registry is what the processing reads. */
    hr = process_image("ProcessBaseImage", path, L"Windows\\System32\\config", names, kinds, 2);
  }
  if (SUCCEEDED(hr)) layer_record(layer, "Base", NULL);
  free(layer);
  return hr;
}

HRESULT WINAPI ProcessUtilityImage(PCWSTR path) {
  static const wchar_t *const names[] = {L"SystemTemplate.vhdx", L"SystemTemplateBase.vhdx"};
  static const char *const kinds[] = {"SystemTemplate", "SystemTemplateBase"};
  /* The utility VM's boot store is what the processing changes (hcsshim backs it up for that). */
  HRESULT hr = process_image("ProcessUtilityImage", path, L"EFI\\Microsoft\\Boot\\BCD", names, kinds, 2);
  if (SUCCEEDED(hr)) {
    /* recorded on the layer: <layer>\UtilityVM */
    char *uvm = hcsd_utf8(path, NULL);
    char *slash = uvm != NULL ? strrchr(uvm, '\\') : NULL;
    if (slash != NULL) {
      *slash = '\0';
      cJSON *extra = cJSON_CreateObject();
      if (extra == NULL) hcsd_oom();
      cJSON_AddBoolToObject(extra, "UtilityVM", true);
      layer_record(uvm, NULL, extra);
      cJSON_Delete(extra);
    }
    free(uvm);
  }
  return hr;
}
