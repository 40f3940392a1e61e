/* tests/hcs_double/hcsd_layers_win.c - image layers in vmcompute.dll's double: privileges, the transport
 * format, placeholders. Contract: hcsd_layers.h. */
#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_kit.h"
#include "hcsd_layers.h"

#define PATH_CAP 2048
#define MARKER L".$wcidirs$"
#define MAX_META (1u << 20)
#define SETTABLE (FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_ARCHIVE | \
                  FILE_ATTRIBUTE_NOT_CONTENT_INDEXED)

HRESULT hcsd_check_layer_privileges(char *detail, size_t detail_size) {
  HANDLE tok = NULL;
  if (!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok)) {
    if (GetLastError() != ERROR_NO_TOKEN || !OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
      snprintf(detail, detail_size, "cannot read the caller's token (error %lu)", GetLastError());
      return HRESULT_FROM_WIN32(GetLastError());
    }
  }
  DWORD len = 0;
  GetTokenInformation(tok, TokenPrivileges, NULL, 0, &len);
  TOKEN_PRIVILEGES *tp = len > 0 ? malloc(len) : NULL;
  if (tp == NULL || !GetTokenInformation(tok, TokenPrivileges, tp, len, &len)) {
    free(tp);
    CloseHandle(tok);
    snprintf(detail, detail_size, "cannot read the caller's privileges");
    return E_FAIL;
  }
  static const wchar_t *const needed[] = {L"SeBackupPrivilege", L"SeRestorePrivilege"};
  HRESULT hr = S_OK;
  for (size_t i = 0; i < ARRAYSIZE(needed) && SUCCEEDED(hr); i++) {
    LUID luid;
    bool enabled = false;
    if (LookupPrivilegeValueW(NULL, needed[i], &luid)) {
      for (DWORD k = 0; k < tp->PrivilegeCount; k++) {
        const LUID_AND_ATTRIBUTES *p = &tp->Privileges[k];
        if (p->Luid.LowPart == luid.LowPart && p->Luid.HighPart == luid.HighPart &&
            (p->Attributes & SE_PRIVILEGE_ENABLED)) {
          enabled = true;
        }
      }
    }
    if (!enabled) {
      snprintf(detail, detail_size, "the caller's token does not have %ls enabled (hcsshim takes SeBackupPrivilege and "
                                    "SeRestorePrivilege for the layer writer)", needed[i]);
      hr = HRESULT_FROM_WIN32(ERROR_PRIVILEGE_NOT_HELD);
    }
  }
  free(tp);
  CloseHandle(tok);
  return hr;
}

typedef struct decode {
  cJSON *reparse;
  int files;
  int placeholders;
  char *detail;
  size_t detail_size;
  const wchar_t *layer; /* for the paths the record shows, relative to it */
} decode;

static HRESULT invalid(decode *d, const char *what, const wchar_t *path) {
  snprintf(d->detail, d->detail_size, "%s: %ls", what, path);
  return HRESULT_FROM_WIN32(ERROR_INVALID_DATA);
}

static HRESULT win32(decode *d, const char *what, const wchar_t *path) {
  DWORD code = GetLastError();
  snprintf(d->detail, d->detail_size, "%s %ls (error %lu)", what, path, code);
  return HRESULT_FROM_WIN32(code != 0 ? code : ERROR_GEN_FAILURE);
}

static bool join(wchar_t *out, const wchar_t *a, const wchar_t *b) {
  int n = _snwprintf(out, PATH_CAP, L"%ls\\%ls", a, b);
  out[PATH_CAP - 1] = L'\0';
  return n > 0 && n < PATH_CAP;
}

static bool read_exact(HANDLE h, void *buf, DWORD n, DWORD *got) {
  *got = 0;
  while (*got < n) {
    DWORD k = 0;
    if (!ReadFile(h, (uint8_t *)buf + *got, n - *got, &k, NULL)) return false;
    if (k == 0) break;
    *got += k;
  }
  return true;
}

static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static bool ea_ok(const uint8_t *b, size_t n) {
  size_t off = 0;
  for (;;) {
    if (n - off < 8) return false;
    size_t nl = b[off + 5], vl = (size_t)b[off + 6] | (size_t)b[off + 7] << 8;
    uint32_t next = u32(b + off);
    if (8 + nl + 1 + vl > n - off || b[off + 8 + nl] != 0) return false;
    if (next == 0) return true;
    if (next % 4 != 0 || next < 8 + nl + 1 + vl || next > n - off) return false;
    off += next;
  }
}

/* A reparse buffer of a junction or symbolic link: its print name, or false. */
static bool reparse_target(const uint8_t *b, size_t n, uint32_t *tag, char *target, size_t size) {
  if (n < 16) return false;
  *tag = u32(b);
  size_t len = (size_t)b[4] | (size_t)b[5] << 8;
  bool mp = *tag == IO_REPARSE_TAG_MOUNT_POINT;
  if (len + 8 != n || (!mp && *tag != IO_REPARSE_TAG_SYMLINK)) return false;
  size_t fixed = mp ? 8 : 12;
  if (len < fixed) return false;
  size_t po = (size_t)b[12] | (size_t)b[13] << 8, pl = (size_t)b[14] | (size_t)b[15] << 8;
  size_t so = (size_t)b[8] | (size_t)b[9] << 8, sl = (size_t)b[10] | (size_t)b[11] << 8;
  if (so + sl > len - fixed || po + pl > len - fixed || pl % 2 != 0) return false;
  const uint8_t *names = b + 8 + fixed;
  wchar_t w[600];
  size_t units = pl / 2 < 599 ? pl / 2 : 599;
  for (size_t i = 0; i < units; i++) w[i] = (wchar_t)(names[po + 2 * i] | names[po + 2 * i + 1] << 8);
  w[units] = L'\0';
  WideCharToMultiByte(CP_UTF8, 0, w, -1, target, (int)size, NULL, NULL);
  return true;
}

static void record_reparse(decode *d, const wchar_t *dest, uint32_t tag, const char *target) {
  char *path = hcsd_utf8(dest + wcslen(d->layer) + 1, NULL);
  cJSON *r = cJSON_CreateObject();
  if (r == NULL || path == NULL) hcsd_oom();
  cJSON_AddStringToObject(r, "Path", path);
  cJSON_AddStringToObject(r, "Tag", tag == IO_REPARSE_TAG_MOUNT_POINT ? "MountPoint" : "SymbolicLink");
  cJSON_AddStringToObject(r, "Target", target);
  cJSON_AddItemToArray(d->reparse, r);
  free(path);
}

static HRESULT copy_data(decode *d, HANDLE src, HANDLE dst, uint64_t size, const wchar_t *path) {
  static uint8_t buf[65536];
  while (size > 0) {
    DWORD want = size < sizeof buf ? (DWORD)size : (DWORD)sizeof buf, got = 0, put = 0;
    if (!read_exact(src, buf, want, &got) || got < want) return invalid(d, "a stream is cut short", path);
    if (!WriteFile(dst, buf, got, &put, NULL) || put != got) return win32(d, "cannot write", path);
    size -= got;
  }
  return S_OK;
}

/* The backup stream of src (after its attribute word) applied to dest (a file, or a folder when dir). */
static HRESULT apply_streams(decode *d, HANDLE src, HANDLE dest_file, const wchar_t *dest, bool dir) {
  for (;;) {
    uint8_t h[20];
    DWORD got = 0;
    if (!read_exact(src, h, sizeof h, &got)) return win32(d, "cannot read", dest);
    if (got == 0) return S_OK;
    if (got < sizeof h) return invalid(d, "a backup stream header is cut short", dest);
    uint32_t id = u32(h);
    uint64_t size = (uint64_t)u32(h + 8) | (uint64_t)u32(h + 12) << 32;
    uint32_t name_bytes = u32(h + 16);
    wchar_t name[260];
    if (name_bytes > 0) {
      if (id != BACKUP_ALTERNATE_DATA || name_bytes % 2 != 0 || name_bytes >= sizeof name) {
        return invalid(d, "a backup stream name where none belongs", dest);
      }
      if (!read_exact(src, name, name_bytes, &got) || got < name_bytes) return invalid(d, "a stream name is cut short", dest);
      name[name_bytes / 2] = L'\0';
    }
    HRESULT hr = S_OK;
    if (id == BACKUP_DATA) {
      if (dir) return invalid(d, "data in a folder's marker", dest);
      hr = copy_data(d, src, dest_file, size, dest);
    } else if (id == BACKUP_ALTERNATE_DATA) {
      wchar_t *type = name_bytes > 0 ? wcsstr(name, L":$DATA") : NULL;
      if (name[0] != L':' || type == NULL || type[6] != L'\0' || type == name) return invalid(d, "an alternate data stream name that is not :NAME:$DATA", dest);
      *type = L'\0';
      wchar_t ads[PATH_CAP];
      _snwprintf(ads, PATH_CAP, L"%ls%ls", dest, name);
      ads[PATH_CAP - 1] = L'\0';
      HANDLE a = CreateFileW(ads, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_FLAG_BACKUP_SEMANTICS, NULL);
      if (a == INVALID_HANDLE_VALUE) return win32(d, "cannot create the stream", ads);
      hr = copy_data(d, src, a, size, dest);
      CloseHandle(a);
    } else if (id == BACKUP_SECURITY_DATA || id == BACKUP_EA_DATA || id == BACKUP_REPARSE_DATA) {
      if (size > MAX_META) return invalid(d, "a metadata stream over 1 MiB", dest);
      uint8_t *b = malloc((size_t)size + 1);
      if (b == NULL) hcsd_oom();
      if (!read_exact(src, b, (DWORD)size, &got) || got < size) {
        free(b);
        return invalid(d, "a stream is cut short", dest);
      }
      char target[1200];
      uint32_t tag = 0;
      if (id == BACKUP_SECURITY_DATA && !IsValidSecurityDescriptor(b)) {
        hr = invalid(d, "a security stream that is not a security descriptor", dest);
      } else if (id == BACKUP_EA_DATA && !ea_ok(b, (size_t)size)) {
        hr = invalid(d, "extended attributes whose chain runs past the stream", dest);
      } else if (id == BACKUP_REPARSE_DATA) {
        if (!reparse_target(b, (size_t)size, &tag, target, sizeof target)) {
          hr = invalid(d, "reparse data that is not a junction's or a symbolic link's", dest);
        } else {
          record_reparse(d, dest, tag, target);
        }
      }
      free(b);
    } else {
      return invalid(d, "an unknown backup stream id", dest);
    }
    if (FAILED(hr)) return hr;
  }
}

/* The staged file's times on dest, and the word's attributes (after the data: a read-only file is written
 * first). */
static HRESULT finish_entry(decode *d, HANDLE staged, const wchar_t *dest, bool dir, uint32_t word) {
  FILE_BASIC_INFO b;
  if (!GetFileInformationByHandleEx(staged, FileBasicInfo, &b, sizeof b)) return win32(d, "cannot read the times of", dest);
  HANDLE h = CreateFileW(dest, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, NULL);
  if (h == INVALID_HANDLE_VALUE) return win32(d, "cannot open", dest);
  b.FileAttributes = word & SETTABLE;
  if (b.FileAttributes == 0 && !dir) b.FileAttributes = FILE_ATTRIBUTE_NORMAL;
  BOOL ok = SetFileInformationByHandle(h, FileBasicInfo, &b, sizeof b);
  CloseHandle(h);
  return ok ? S_OK : win32(d, "cannot set the times and attributes of", dest);
}

/* A staged file or marker: its attribute word, which must agree with what it is. */
static HRESULT open_staged(decode *d, const wchar_t *path, bool dir, HANDLE *out, uint32_t *word) {
  *out = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
  if (*out == INVALID_HANDLE_VALUE) return win32(d, "cannot open", path);
  uint8_t w[4];
  DWORD got = 0;
  if (!read_exact(*out, w, 4, &got) || got < 4) {
    CloseHandle(*out);
    return invalid(d, "a staged file shorter than its attribute word", path);
  }
  *word = u32(w);
  if (((*word & FILE_ATTRIBUTE_DIRECTORY) != 0) != dir) {
    CloseHandle(*out);
    return invalid(d, dir ? "a folder marker whose attribute word is not a folder's" : "a file whose attribute word is a folder's", path);
  }
  return S_OK;
}

static bool ends_with_marker(const wchar_t *name) {
  size_t n = wcslen(name), m = wcslen(MARKER);
  return n > m && _wcsicmp(name + n - m, MARKER) == 0;
}

static bool exists(const wchar_t *p, bool dir) {
  DWORD a = GetFileAttributesW(p);
  return a != INVALID_FILE_ATTRIBUTES && ((a & FILE_ATTRIBUTE_DIRECTORY) != 0) == dir;
}

static HRESULT decode_folder(decode *d, const wchar_t *staged, const wchar_t *dest, bool hives);

/* A staged folder F of staged_parent: dest\F made, its content, then its marker's streams, times, attributes. */
static HRESULT decode_subfolder(decode *d, const wchar_t *staged_parent, const wchar_t *dest_parent, const wchar_t *name,
                                bool hives) {
  wchar_t s[PATH_CAP], t[PATH_CAP], marker[PATH_CAP];
  if (!join(s, staged_parent, name) || !join(t, dest_parent, name)) return invalid(d, "a path too long", name);
  _snwprintf(marker, PATH_CAP, L"%ls%ls", s, MARKER);
  marker[PATH_CAP - 1] = L'\0';
  if (!exists(marker, false)) return invalid(d, "a staged folder without its .$wcidirs$ marker", s);
  if (!CreateDirectoryW(t, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) return win32(d, "cannot create", t);
  HRESULT hr = decode_folder(d, s, t, hives);
  if (FAILED(hr)) return hr;
  HANDLE m = NULL;
  uint32_t word = 0;
  hr = open_staged(d, marker, true, &m, &word);
  if (FAILED(hr)) return hr;
  hr = apply_streams(d, m, NULL, t, true);
  if (SUCCEEDED(hr)) hr = finish_entry(d, m, t, true, word);
  CloseHandle(m);
  d->files++;
  return hr;
}

static HRESULT decode_file(decode *d, const wchar_t *staged, const wchar_t *dest, bool hive) {
  HRESULT hr = S_OK;
  if (hive) {
    /* A hive is the file itself (BackupWrite restored it into the staging). */
    if (!CopyFileW(staged, dest, FALSE)) return win32(d, "cannot copy the hive", staged);
    HANDLE s = CreateFileW(staged, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (s == INVALID_HANDLE_VALUE) return win32(d, "cannot open", staged);
    hr = finish_entry(d, s, dest, false, FILE_ATTRIBUTE_ARCHIVE);
    CloseHandle(s);
    d->files++;
    return hr;
  }
  HANDLE s = NULL;
  uint32_t word = 0;
  hr = open_staged(d, staged, false, &s, &word);
  if (FAILED(hr)) return hr;
  SetFileAttributesW(dest, FILE_ATTRIBUTE_NORMAL); /* a placeholder or an earlier copy may be read-only */
  HANDLE t = CreateFileW(dest, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (t == INVALID_HANDLE_VALUE) {
    hr = win32(d, "cannot create", dest);
  } else {
    hr = apply_streams(d, s, t, dest, false);
    CloseHandle(t);
  }
  if (SUCCEEDED(hr)) hr = finish_entry(d, s, dest, false, word);
  CloseHandle(s);
  d->files++;
  return hr;
}

static HRESULT decode_folder(decode *d, const wchar_t *staged, const wchar_t *dest, bool hives) {
  wchar_t pattern[PATH_CAP];
  if (!join(pattern, staged, L"*")) return invalid(d, "a path too long", staged);
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return S_OK;
  HRESULT hr = S_OK;
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
    wchar_t s[PATH_CAP], t[PATH_CAP];
    if (!join(s, staged, fd.cFileName) || !join(t, dest, fd.cFileName)) {
      hr = invalid(d, "a path too long", fd.cFileName);
    } else if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
      if (hives) {
        hr = invalid(d, "a folder in Hives", s);
      } else {
        hr = decode_subfolder(d, staged, dest, fd.cFileName, false);
      }
    } else if (ends_with_marker(fd.cFileName)) {
      /* handled with its folder; one without a folder is not the format */
      s[wcslen(s) - wcslen(MARKER)] = L'\0';
      if (!exists(s, true)) hr = invalid(d, "a .$wcidirs$ marker without its folder", s);
    } else {
      hr = decode_file(d, s, t, hives);
    }
  } while (SUCCEEDED(hr) && FindNextFileW(find, &fd));
  FindClose(find);
  return hr;
}

/* Names of the parent's Files tree as placeholders (folders, empty files). */
static HRESULT placeholders(decode *d, const wchar_t *from, const wchar_t *to) {
  if (!CreateDirectoryW(to, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) return win32(d, "cannot create", to);
  wchar_t pattern[PATH_CAP];
  if (!join(pattern, from, L"*")) return invalid(d, "a path too long", from);
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return S_OK;
  HRESULT hr = S_OK;
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
    if (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) continue; /* never followed */
    wchar_t s[PATH_CAP], t[PATH_CAP];
    if (!join(s, from, fd.cFileName) || !join(t, to, fd.cFileName)) {
      hr = invalid(d, "a path too long", fd.cFileName);
    } else if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
      hr = placeholders(d, s, t);
    } else if (wcschr(fd.cFileName, L':') == NULL) { /* Wine shows a stream as a file "NAME:STREAM" */
      HANDLE h = CreateFileW(t, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
      if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
      d->placeholders++;
    }
  } while (SUCCEEDED(hr) && FindNextFileW(find, &fd));
  FindClose(find);
  return hr;
}

HRESULT hcsd_import_transport(const wchar_t *staging, const wchar_t *layer, const wchar_t *parent, cJSON *record,
                              char *detail, size_t detail_size) {
  decode d = {.reparse = cJSON_CreateArray(), .detail = detail, .detail_size = detail_size, .layer = layer};
  if (d.reparse == NULL) hcsd_oom();
  HRESULT hr = S_OK;
  /* The staging's top level: Files and Hives with their markers (tombstones.txt, of the older format, is
   * carried over as it is). */
  wchar_t pattern[PATH_CAP];
  join(pattern, staging, L"*");
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find != INVALID_HANDLE_VALUE) {
    do {
      const wchar_t *n = fd.cFileName;
      if (wcscmp(n, L".") == 0 || wcscmp(n, L"..") == 0) continue;
      bool known = _wcsicmp(n, L"Files") == 0 || _wcsicmp(n, L"Hives") == 0 || _wcsicmp(n, L"Files" MARKER) == 0 ||
                   _wcsicmp(n, L"Hives" MARKER) == 0 || _wcsicmp(n, L"tombstones.txt") == 0;
      if (!known) {
        wchar_t p[PATH_CAP];
        join(p, staging, n);
        hr = invalid(&d, "the staging holds what the transport format has not", p);
      }
    } while (SUCCEEDED(hr) && FindNextFileW(find, &fd));
    FindClose(find);
  }
  if (SUCCEEDED(hr) && !CreateDirectoryW(layer, NULL) && GetLastError() != ERROR_ALREADY_EXISTS) hr = win32(&d, "cannot create", layer);
  wchar_t from[PATH_CAP], to[PATH_CAP];
  if (SUCCEEDED(hr) && parent != NULL && join(from, parent, L"Files") && join(to, layer, L"Files") && exists(from, true)) {
    hr = placeholders(&d, from, to);
  }
  if (SUCCEEDED(hr) && join(from, staging, L"Files") && exists(from, true)) hr = decode_subfolder(&d, staging, layer, L"Files", false);
  if (SUCCEEDED(hr) && join(from, staging, L"Hives") && exists(from, true)) hr = decode_subfolder(&d, staging, layer, L"Hives", true);
  if (SUCCEEDED(hr) && join(from, staging, L"tombstones.txt") && exists(from, false) && join(to, layer, L"tombstones.txt") &&
      !CopyFileW(from, to, FALSE)) {
    hr = win32(&d, "cannot copy", from);
  }
  cJSON_AddNumberToObject(record, "Files", d.files);
  cJSON_AddNumberToObject(record, "Placeholders", d.placeholders);
  cJSON_AddItemToObject(record, "Reparse", d.reparse);
  return hr;
}
