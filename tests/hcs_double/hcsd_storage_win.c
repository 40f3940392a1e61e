/* tests/hcs_double/hcsd_storage_win.c - NameToGuid, VHD files, layer ids, mounts and grants of the HCS
 * doubles (hcsd_storage.h). */
#include "hcsd_storage.h"

#include <bcrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The double's own namespace for NameToGuid (any fixed GUID does: the values are the double's). */
static const unsigned char name_namespace[16] = {0x5c, 0x1f, 0x7e, 0x32, 0x0b, 0x4d, 0x4f, 0x61,
                                                 0x9a, 0x27, 0xd3, 0x48, 0x15, 0xc6, 0x0e, 0x77};

static void sha1(const void *a, size_t an, const void *b, size_t bn, unsigned char out[20]) {
  BCRYPT_ALG_HANDLE alg = NULL;
  BCRYPT_HASH_HANDLE hash = NULL;
  bool ok = BCRYPT_SUCCESS(BCryptOpenAlgorithmProvider(&alg, BCRYPT_SHA1_ALGORITHM, NULL, 0)) &&
            BCRYPT_SUCCESS(BCryptCreateHash(alg, &hash, NULL, 0, NULL, 0, 0)) &&
            BCRYPT_SUCCESS(BCryptHashData(hash, (PUCHAR)a, (ULONG)an, 0)) &&
            BCRYPT_SUCCESS(BCryptHashData(hash, (PUCHAR)b, (ULONG)bn, 0)) &&
            BCRYPT_SUCCESS(BCryptFinishHash(hash, out, 20, 0));
  if (hash != NULL) BCryptDestroyHash(hash);
  if (alg != NULL) BCryptCloseAlgorithmProvider(alg, 0);
  if (!ok) {
    /* Ids must be stable, not secret: FNV-1a keeps them deterministic if BCrypt is missing. */
    unsigned long long h1 = hcsd_hash(a, an, 0), h2 = hcsd_hash(b, bn, h1);
    memset(out, 0, 20);
    memcpy(out, &h1, sizeof h1);
    memcpy(out + 8, &h2, sizeof h2);
  }
}

void hcsd_name_to_guid(const wchar_t *name, GUID *out) {
  unsigned char d[20];
  sha1(name_namespace, sizeof name_namespace, name, wcslen(name) * sizeof(wchar_t), d);
  d[6] = (unsigned char)((d[6] & 0x0f) | 0x50); /* version 5 */
  d[8] = (unsigned char)((d[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  out->Data1 = (unsigned long)d[0] << 24 | (unsigned long)d[1] << 16 | (unsigned long)d[2] << 8 | d[3];
  out->Data2 = (unsigned short)(d[4] << 8 | d[5]);
  out->Data3 = (unsigned short)(d[6] << 8 | d[7]);
  memcpy(out->Data4, d + 8, 8);
}

void hcsd_guid_text(const GUID *g, char out[37]) {
  snprintf(out, 37, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned long)g->Data1,
           (unsigned)g->Data2, (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4],
           g->Data4[5], g->Data4[6], g->Data4[7]);
}

bool hcsd_guid_from_text(const char *text, GUID *out) {
  unsigned v[11];
  int used = 0;
  if (text == NULL || strlen(text) != 36) return false;
  int n = sscanf(text, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                 &v[7], &v[8], &v[9], &v[10], &used);
  if (n != 11 || used != 36) return false;
  out->Data1 = v[0];
  out->Data2 = (unsigned short)v[1];
  out->Data3 = (unsigned short)v[2];
  for (int i = 0; i < 8; i++) out->Data4[i] = (unsigned char)v[3 + i];
  return true;
}

/* The last component of path, trailing separators ignored. */
static void folder_name(const char *path, char *out, size_t size) {
  size_t end = strlen(path);
  while (end > 0 && (path[end - 1] == '\\' || path[end - 1] == '/')) end--;
  size_t start = end;
  while (start > 0 && path[start - 1] != '\\' && path[start - 1] != '/' && path[start - 1] != ':') start--;
  size_t len = end - start < size ? end - start : size - 1;
  memcpy(out, path + start, len);
  out[len] = '\0';
}

void hcsd_layer_id_of(const char *path, char out[37]) {
  char name[MAX_PATH * 3];
  folder_name(path, name, sizeof name);
  wchar_t *w = hcsd_wide(name);
  GUID g;
  hcsd_name_to_guid(w, &g);
  free(w);
  hcsd_guid_text(&g, out);
}

HRESULT hcsd_check_layer_id(const char *id, const char *path, const char *where, char *detail, size_t detail_size) {
  char want[37], name[MAX_PATH * 3];
  hcsd_layer_id_of(path, want);
  if (id != NULL && hcsd_id_equal(id, want)) return S_OK;
  folder_name(path, name, sizeof name);
  snprintf(detail, detail_size, "%s: layer id %s is not NameToGuid(\"%s\") = %s, the id of that folder in every client",
           where, id != NULL ? id : "(none)", name, want);
  return E_INVALIDARG;
}

HRESULT hcsd_vhd_write(const wchar_t *path, const char *kind) {
  HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f == INVALID_HANDLE_VALUE) return HRESULT_FROM_WIN32(GetLastError());
  char text[128];
  char disk[37];
  hcsd_new_guid(disk);
  int n = snprintf(text, sizeof text, "%skind=%s\ndisk=%s\n", HCSD_VHD_MAGIC, kind, disk);
  DWORD written = 0;
  BOOL ok = WriteFile(f, text, (DWORD)n, &written, NULL);
  DWORD code = GetLastError();
  CloseHandle(f);
  return ok ? S_OK : HRESULT_FROM_WIN32(code);
}

HRESULT hcsd_vhd_check(const char *path, const char *where, char *detail, size_t detail_size) {
  wchar_t *w = hcsd_wide(path);
  HANDLE f = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD code = GetLastError();
  free(w);
  if (f == INVALID_HANDLE_VALUE) {
    snprintf(detail, detail_size, "%s: no virtual disk at %s (it was never created)", where, path);
    return HRESULT_FROM_WIN32(code == ERROR_PATH_NOT_FOUND ? ERROR_PATH_NOT_FOUND : ERROR_FILE_NOT_FOUND);
  }
  char head[sizeof HCSD_VHD_MAGIC];
  DWORD got = 0;
  BOOL read = ReadFile(f, head, sizeof head - 1, &got, NULL);
  CloseHandle(f);
  if (!read || got != sizeof head - 1 || memcmp(head, HCSD_VHD_MAGIC, sizeof head - 1) != 0) {
    snprintf(detail, detail_size, "%s: %s is not a virtual disk", where, path);
    return HCSD_E_NOT_VIRTUAL_DISK;
  }
  return S_OK;
}

cJSON *hcsd_mount_by_volume(const char *volume) {
  cJSON *mounts = hcsd_store_list("Mounts");
  cJSON *found = NULL;
  for (cJSON *m = mounts->child; m != NULL && found == NULL; m = m->next) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "Volume");
    if (cJSON_IsString(v) && hcsd_id_equal(v->valuestring, volume)) found = cJSON_Duplicate(m, 1);
  }
  cJSON_Delete(mounts);
  return found;
}

static void grant_id(const char *vm_id, const char *path, char *out, size_t size) {
  snprintf(out, size, "%s|%s", vm_id, path);
}

void hcsd_grant_record(const char *vm_id, const char *path) {
  char id[MAX_PATH * 4];
  grant_id(vm_id, path, id, sizeof id);
  cJSON *r = cJSON_CreateObject();
  if (r == NULL) hcsd_oom();
  cJSON_AddStringToObject(r, "Id", id);
  cJSON_AddStringToObject(r, "VmId", vm_id);
  cJSON_AddStringToObject(r, "Path", path);
  hcsd_store_put("Grants", r);
  cJSON_Delete(r);
}

bool hcsd_grant_exists(const char *vm_id, const char *path) {
  char id[MAX_PATH * 4];
  grant_id(vm_id, path, id, sizeof id);
  cJSON *r = hcsd_store_get("Grants", id);
  bool found = r != NULL;
  cJSON_Delete(r);
  return found;
}

bool hcsd_layers_equal(const cJSON *a, const cJSON *b, const char *where, const char *what, char *detail,
                       size_t detail_size) {
  int na = cJSON_GetArraySize(a), nb = cJSON_GetArraySize(b);
  if (na != nb) {
    snprintf(detail, detail_size, "%s: %d layers, but %d were %s", where, na, nb, what);
    return false;
  }
  for (int i = 0; i < na; i++) {
    const cJSON *x = cJSON_GetArrayItem(a, i), *y = cJSON_GetArrayItem(b, i);
    static const char *const fields[] = {"Id", "Path"};
    for (int f = 0; f < 2; f++) {
      const cJSON *u = cJSON_GetObjectItemCaseSensitive(x, fields[f]);
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(y, fields[f]);
      if (!cJSON_IsString(u) || !cJSON_IsString(v) || !hcsd_id_equal(u->valuestring, v->valuestring)) {
        snprintf(detail, detail_size, "%s[%d].%s: %s is not the %s layer's %s", where, i, fields[f],
                 cJSON_IsString(u) ? u->valuestring : "(none)", what, cJSON_IsString(v) ? v->valuestring : "(none)");
        return false;
      }
    }
  }
  return true;
}

bool hcsd_is_absolute(const wchar_t *path) {
  if (path == NULL) return false;
  bool drive = ((path[0] >= L'A' && path[0] <= L'Z') || (path[0] >= L'a' && path[0] <= L'z')) && path[1] == L':' &&
               path[2] == L'\\';
  return drive || (path[0] == L'\\' && path[1] == L'\\');
}

bool hcsd_is_directory(const wchar_t *path) {
  DWORD a = GetFileAttributesW(path);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) != 0;
}

void hcsd_create_directories(const wchar_t *path) {
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

DWORD hcsd_copy_tree(const wchar_t *from, const wchar_t *to) { return walk_tree(from, to, true); }

DWORD hcsd_delete_tree(const wchar_t *path) { return walk_tree(path, NULL, false); }

void hcsd_log_refusal(const char *name, HRESULT hr, const char *detail) {
  cJSON *line = cJSON_CreateObject();
  if (line == NULL) hcsd_oom();
  char text[11];
  hcsd_hr_string(hr, text);
  cJSON_AddStringToObject(line, "refused", name);
  cJSON_AddNumberToObject(line, "pid", (double)GetCurrentProcessId());
  cJSON_AddStringToObject(line, "hr", text);
  cJSON_AddStringToObject(line, "detail", detail != NULL ? detail : "");
  hcsd_log_line(line);
  cJSON_Delete(line);
}
