/* images/wcimport_win.c - the Windows layer importer: base layers written into their folder, other layers
 * staged in the legacy transport format for vmcompute ImportLayer (hcsshim's way). Contract:
 * images/wcimport.h. */
#include <windows.h>
#include <winternl.h>

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/log.h"
#include "common/wstr.h"
#include "images/images_sys.h"
#include "images/manifest.h"
#include "images/tar.h"
#include "images/wcimport.h"
#include "images/wclayer.h"

img_syscalls img_sys = {.BackupWrite = BackupWrite};

#define WRITE_BUF (256u * 1024u)
#define READ_BUF (1u << 20)
#define STATUS_NAME_COLLISION ((NTSTATUS)0xC0000035L)
#define STATUS_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define STATUS_PATH_NOT_FOUND ((NTSTATUS)0xC000003AL)
#define STATUS_REPARSE_ENCOUNTERED ((NTSTATUS)0xC000050BL)
#define FILE_DISPOSITION_CLASS ((FILE_INFORMATION_CLASS)13)
#define FILE_LINK_CLASS ((FILE_INFORMATION_CLASS)11)

typedef struct wci {
  img_importer imp;
  img_vmcompute vm;
} wci;

/* FILE_LINK_INFORMATION (ntifs.h), which mingw's headers lack. */
typedef struct link_info {
  BOOLEAN replace;
  HANDLE root;
  ULONG name_length;
  WCHAR name[1];
} link_info;

/* --- paths and NT calls ----------------------------------------------------------------------------------- */

/* An absolute path as a wide long path ("\\?\C:\..."), so deep layers pass MAX_PATH. */
static wchar_t *long_path(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w == NULL) return NULL;
  for (wchar_t *p = w; *p != L'\0'; p++) {
    if (*p == L'/') *p = L'\\';
  }
  bool drive = ((w[0] >= L'A' && w[0] <= L'Z') || (w[0] >= L'a' && w[0] <= L'z')) && w[1] == L':' && w[2] == L'\\';
  if (!drive) return w;
  size_t n = wcslen(w);
  wchar_t *l = malloc((n + 5) * sizeof *l);
  if (l != NULL) {
    memcpy(l, L"\\\\?\\", 4 * sizeof *l);
    memcpy(l + 4, w, (n + 1) * sizeof *l);
  }
  free(w);
  return l;
}

/* Opens or creates rel under root; no component of rel may be a reparse point (OBJ_DONT_REPARSE). */
static NTSTATUS nt_open(HANDLE root, const wchar_t *rel, ACCESS_MASK access, ULONG share, ULONG disposition,
                        ULONG options, HANDLE *out) {
  *out = NULL;
  size_t n = wcslen(rel);
  if (n == 0 || n > 32000) return (NTSTATUS)0xC0000033L; /* STATUS_OBJECT_NAME_INVALID */
  UNICODE_STRING us = {.Length = (USHORT)(n * sizeof(wchar_t)), .MaximumLength = (USHORT)(n * sizeof(wchar_t)),
                       .Buffer = (PWSTR)rel};
  OBJECT_ATTRIBUTES oa;
  InitializeObjectAttributes(&oa, &us, OBJ_CASE_INSENSITIVE | OBJ_DONT_REPARSE, root, NULL);
  IO_STATUS_BLOCK io;
  return NtCreateFile(out, access | SYNCHRONIZE, &oa, &io, NULL, FILE_ATTRIBUTE_NORMAL, share, disposition,
                      options | FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT | FILE_OPEN_REPARSE_POINT,
                      NULL, 0);
}

static wctr_err nt_fail(NTSTATUS st, const char *what, const char *path, wctr_errmsg *e) {
  if (st == STATUS_REPARSE_ENCOUNTERED) {
    return wctr_fail(e, WCTR_EINVAL, "cannot %s %s in the layer: its path passes through a reparse point: refused", what,
                     path);
  }
  if (st == STATUS_NAME_COLLISION) return wctr_fail(e, WCTR_EEXIST, "cannot %s %s in the layer: it exists already", what, path);
  if (st == STATUS_PATH_NOT_FOUND) {
    return wctr_fail(e, WCTR_ENOENT, "cannot %s %s in the layer: its folder is not in the layer before it", what, path);
  }
  ULONG code = RtlNtStatusToDosError(st);
  return wctr_fail(e, wctr_from_win32(code), "cannot %s %s in the layer (NTSTATUS 0x%08lx, error %lu)", what, path,
                   (unsigned long)st, (unsigned long)code);
}

static wctr_err win_fail(const char *call, const char *path, wctr_errmsg *e) {
  DWORD code = GetLastError();
  return wctr_fail(e, wctr_from_win32(code), "%s failed on %s (error %lu)", call, path, (unsigned long)code);
}

static FILE_BASIC_INFO basic_info(const img_wcl_info *in, bool keep_attributes) {
  FILE_BASIC_INFO b;
  memset(&b, 0, sizeof b);
  b.CreationTime.QuadPart = in->creation;
  b.LastAccessTime.QuadPart = in->last_access;
  b.LastWriteTime.QuadPart = in->last_write;
  b.ChangeTime.QuadPart = in->change;
  b.FileAttributes = keep_attributes ? in->attributes : 0; /* 0: left as they are */
  return b;
}

/* Removes path and everything under it without following reparse points, using the backup privileges (a
 * layer's own descriptors may deny its files to administrators). Missing is removed. */
static bool remove_tree_w(const wchar_t *path) {
  DWORD attr = GetFileAttributesW(path);
  if (attr == INVALID_FILE_ATTRIBUTES) {
    DWORD code = GetLastError();
    return code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND;
  }
  bool ok = true;
  if ((attr & FILE_ATTRIBUTE_DIRECTORY) && !(attr & FILE_ATTRIBUTE_REPARSE_POINT)) {
    size_t n = wcslen(path);
    wchar_t *pattern = malloc((n + 3) * sizeof *pattern);
    if (pattern == NULL) return false;
    _snwprintf(pattern, n + 3, L"%ls\\*", path);
    pattern[n + 2] = L'\0';
    WIN32_FIND_DATAW fd;
    HANDLE find = FindFirstFileExW(pattern, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, FIND_FIRST_EX_LARGE_FETCH);
    free(pattern);
    if (find != INVALID_HANDLE_VALUE) {
      do {
        if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
        size_t m = n + wcslen(fd.cFileName) + 2;
        wchar_t *child = malloc(m * sizeof *child);
        if (child == NULL) {
          ok = false;
          continue;
        }
        _snwprintf(child, m, L"%ls\\%ls", path, fd.cFileName);
        child[m - 1] = L'\0';
        if (!remove_tree_w(child)) ok = false;
        free(child);
      } while (FindNextFileW(find, &fd));
      FindClose(find);
    }
  }
  HANDLE h = CreateFileW(path, DELETE | FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
  if (h == INVALID_HANDLE_VALUE) return false;
  if (attr & FILE_ATTRIBUTE_READONLY) {
    FILE_BASIC_INFO b;
    memset(&b, 0, sizeof b);
    b.FileAttributes = (attr & ~(DWORD)FILE_ATTRIBUTE_READONLY) | FILE_ATTRIBUTE_NORMAL;
    b.FileAttributes &= FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_NORMAL;
    if (b.FileAttributes != FILE_ATTRIBUTE_NORMAL) b.FileAttributes &= ~(DWORD)FILE_ATTRIBUTE_NORMAL;
    SetFileInformationByHandle(h, FileBasicInfo, &b, sizeof b);
  }
  FILE_DISPOSITION_INFO d = {.DeleteFile = TRUE};
  if (!SetFileInformationByHandle(h, FileDispositionInfo, &d, sizeof d)) ok = false;
  CloseHandle(h);
  return ok;
}

static wctr_err remove_tree(const char *path, wctr_errmsg *e) {
  wchar_t *w = long_path(path);
  if (w == NULL) return wctr_fail(e, WCTR_EINVAL, "not a valid path: %s", path);
  bool ok = remove_tree_w(w);
  DWORD code = GetLastError();
  free(w);
  return ok ? WCTR_OK : wctr_fail(e, wctr_from_win32(code), "cannot remove %s completely (error %lu)", path, (unsigned long)code);
}

/* --- privileges ------------------------------------------------------------------------------------------- */

/* On the process token, counted across concurrent imports: vmcompute checks the process token, not a thread's
 * impersonation token, for ProcessBaseImage (moby's windowsfilter and BuildKit enable them process-wide for
 * that reason); they are set back to what they were when the last import ends. */
static const wchar_t *const priv_names[] = {L"SeBackupPrivilege", L"SeRestorePrivilege", L"SeSecurityPrivilege"};
#define PRIV_COUNT (sizeof priv_names / sizeof priv_names[0])

static SRWLOCK priv_lock = SRWLOCK_INIT;
static unsigned priv_refs;
static DWORD priv_before[PRIV_COUNT]; /* each one's attributes before the first import enabled it */

typedef struct privs {
  HANDLE previous; /* the thread's impersonation token, put back afterwards; NULL when none */
  bool counted;
} privs;

/* Sets the privileges of the process token: enabled, or back to priv_before. */
static wctr_err set_privileges(bool enable, wctr_errmsg *e) {
  HANDLE tok = NULL;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok)) {
    return win_fail("OpenProcessToken", "wctrd's token", e);
  }
  wctr_err err = WCTR_OK;
  size_t done = 0;
  for (; done < PRIV_COUNT; done++) {
    TOKEN_PRIVILEGES tp = {.PrivilegeCount = 1};
    TOKEN_PRIVILEGES prev;
    DWORD prev_len = 0;
    tp.Privileges[0].Attributes = enable ? SE_PRIVILEGE_ENABLED : (priv_before[done] & SE_PRIVILEGE_ENABLED);
    BOOL ok = LookupPrivilegeValueW(NULL, priv_names[done], &tp.Privileges[0].Luid) &&
              AdjustTokenPrivileges(tok, FALSE, &tp, sizeof prev, &prev, &prev_len);
    DWORD code = GetLastError();
    if (!ok || code == ERROR_NOT_ALL_ASSIGNED) {
      err = wctr_fail(e, WCTR_EACCES, "importing a Windows layer needs SeBackupPrivilege, SeRestorePrivilege and "
                                      "SeSecurityPrivilege; wctrd's account does not hold %ls (run wctrd as LocalSystem "
                                      "or an administrator)", priv_names[done]);
      break;
    }
    if (enable) priv_before[done] = prev.PrivilegeCount == 1 ? prev.Privileges[0].Attributes : SE_PRIVILEGE_ENABLED;
  }
  if (err != WCTR_OK && enable) {
    /* undo the ones already enabled */
    for (size_t i = 0; i < done; i++) {
      TOKEN_PRIVILEGES tp = {.PrivilegeCount = 1};
      tp.Privileges[0].Attributes = priv_before[i] & SE_PRIVILEGE_ENABLED;
      if (LookupPrivilegeValueW(NULL, priv_names[i], &tp.Privileges[0].Luid)) AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL);
    }
  }
  CloseHandle(tok);
  return err;
}

static void privs_revert(privs *p) {
  if (p->counted) {
    AcquireSRWLockExclusive(&priv_lock);
    if (--priv_refs == 0) set_privileges(false, NULL);
    ReleaseSRWLockExclusive(&priv_lock);
    p->counted = false;
  }
  if (p->previous != NULL) {
    SetThreadToken(NULL, p->previous);
    CloseHandle(p->previous);
    p->previous = NULL;
  }
}

/* The import runs as wctrd itself (a thread that impersonates a client stops for it) with the privileges. */
static wctr_err privs_enable(privs *p, wctr_errmsg *e) {
  memset(p, 0, sizeof *p);
  HANDLE cur = NULL;
  if (OpenThreadToken(GetCurrentThread(), TOKEN_IMPERSONATE, TRUE, &cur)) {
    p->previous = cur;
    RevertToSelf();
  }
  AcquireSRWLockExclusive(&priv_lock);
  wctr_err err = priv_refs == 0 ? set_privileges(true, e) : WCTR_OK;
  if (err == WCTR_OK) {
    priv_refs++;
    p->counted = true;
  }
  ReleaseSRWLockExclusive(&priv_lock);
  if (err != WCTR_OK) privs_revert(p);
  return err;
}

/* --- one import ------------------------------------------------------------------------------------------- */

typedef struct dir_time {
  wchar_t *rel;
  FILE_BASIC_INFO info;
} dir_time;

typedef struct pending_link {
  wchar_t *path;
  wchar_t *target;
  char *path_text;
  bool in_layer;
} pending_link;

typedef struct job {
  wci *w;
  const img_import_layer *l;
  bool base;
  char *staging_text;
  HANDLE root;         /* base: the layer's folder; other: the staging folder */
  /* the entry being written */
  HANDLE cur;
  char *cur_path;
  bool cur_backup;     /* through BackupWrite (else plain writes of the transport format) */
  BOOL cur_security;
  LPVOID backup_ctx;
  FILE_BASIC_INFO cur_info;
  uint8_t *buf;
  size_t buf_len;
  dir_time *dirs;
  size_t ndirs, capdirs;
  wchar_t **tombs;
  size_t ntombs;
  pending_link *links;
  size_t nlinks;
  bool vm_touched;     /* vmcompute has seen the folder: DestroyLayer cleans it */
} job;

static wctr_err oom(wctr_errmsg *e) { return wctr_fail(e, WCTR_ENOMEM, "out of memory"); }

static wctr_err flush(job *j, wctr_errmsg *e) {
  if (j->buf_len == 0) return WCTR_OK;
  if (j->cur_backup) {
    DWORD written = 0;
    if (!img_sys.BackupWrite(j->cur, j->buf, (DWORD)j->buf_len, &written, FALSE, j->cur_security, &j->backup_ctx)) {
      return win_fail("BackupWrite", j->cur_path, e);
    }
    if (written != j->buf_len) return wctr_fail(e, WCTR_EIO, "BackupWrite took %lu of %zu bytes of %s", (unsigned long)written, j->buf_len, j->cur_path);
  } else {
    size_t at = 0;
    while (at < j->buf_len) {
      DWORD n = 0;
      if (!WriteFile(j->cur, j->buf + at, (DWORD)(j->buf_len - at), &n, NULL)) return win_fail("WriteFile", j->cur_path, e);
      at += n;
    }
  }
  j->buf_len = 0;
  return WCTR_OK;
}

static void close_current(job *j) {
  if (j->cur != NULL) {
    if (j->backup_ctx != NULL) {
      DWORD n = 0;
      img_sys.BackupWrite(j->cur, NULL, 0, &n, TRUE, FALSE, &j->backup_ctx);
      j->backup_ctx = NULL;
    }
    CloseHandle(j->cur);
  }
  j->cur = NULL;
  free(j->cur_path);
  j->cur_path = NULL;
  j->buf_len = 0;
}

static wctr_err push_dir(job *j, const wchar_t *rel, const FILE_BASIC_INFO *info, wctr_errmsg *e) {
  if (j->ndirs == j->capdirs) {
    size_t cap = j->capdirs == 0 ? 64 : j->capdirs * 2;
    dir_time *d = realloc(j->dirs, cap * sizeof *d);
    if (d == NULL) return oom(e);
    j->dirs = d;
    j->capdirs = cap;
  }
  wchar_t *copy = _wcsdup(rel);
  if (copy == NULL) return oom(e);
  j->dirs[j->ndirs++] = (dir_time){.rel = copy, .info = *info};
  return WCTR_OK;
}

static bool under(const char *path, const char *root) {
  size_t n = strlen(root);
  return strncmp(path, root, n) == 0 && path[n] == '\\';
}

static wctr_err sink_add(void *ctx, const char *path, const img_wcl_info *info, uint64_t size, wctr_errmsg *e) {
  (void)size;
  job *j = ctx;
  close_current(j);
  wchar_t *rel = wctr_utf8_to_wide(path);
  if (rel == NULL) return oom(e);
  bool dir = (info->attributes & IMG_WCL_ATTR_DIRECTORY) != 0;
  FILE_BASIC_INFO b = basic_info(info, true);
  wctr_err err = WCTR_OK;
  NTSTATUS st = 0;
  j->cur_path = strdup(path);
  if (j->cur_path == NULL) {
    err = oom(e);
    goto done;
  }
  if (j->base) {
    ACCESS_MASK access = GENERIC_READ | GENERIC_WRITE | WRITE_DAC | WRITE_OWNER | ACCESS_SYSTEM_SECURITY;
    st = nt_open(j->root, rel, access, FILE_SHARE_READ, FILE_CREATE, dir ? FILE_DIRECTORY_FILE : FILE_NON_DIRECTORY_FILE,
                 &j->cur);
    if (st != 0) {
      err = nt_fail(st, "create", path, e);
      goto done;
    }
    j->cur_backup = true;
    j->cur_security = TRUE;
    j->cur_info = b;
    if (dir) err = push_dir(j, rel, &b, e);
    goto done;
  }
  /* The transport format: a folder is a folder and "<folder>.$wcidirs$"; a file under Files is the
   * attribute word and its backup stream; a hive is restored by BackupWrite (without security). */
  j->cur_info = basic_info(info, false);
  if (dir) {
    HANDLE h = NULL;
    st = nt_open(j->root, rel, FILE_LIST_DIRECTORY, FILE_SHARE_READ | FILE_SHARE_WRITE, FILE_CREATE, FILE_DIRECTORY_FILE, &h);
    if (st != 0) {
      err = nt_fail(st, "stage", path, e);
      goto done;
    }
    CloseHandle(h);
    err = push_dir(j, rel, &b, e);
    size_t n = wcslen(rel);
    wchar_t *marker = malloc((n + 11) * sizeof *marker);
    if (err == WCTR_OK && marker == NULL) err = oom(e);
    if (err != WCTR_OK) {
      free(marker);
      goto done;
    }
    _snwprintf(marker, n + 11, L"%ls.$wcidirs$", rel);
    marker[n + 10] = L'\0';
    free(rel);
    rel = marker;
  }
  st = nt_open(j->root, rel, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, FILE_CREATE, FILE_NON_DIRECTORY_FILE, &j->cur);
  if (st != 0) {
    err = nt_fail(st, "stage", path, e);
    goto done;
  }
  if (under(path, "Hives")) {
    j->cur_backup = true;
    j->cur_security = FALSE;
  } else {
    j->cur_backup = false;
    uint32_t a = info->attributes;
    uint8_t word[4] = {(uint8_t)a, (uint8_t)(a >> 8), (uint8_t)(a >> 16), (uint8_t)(a >> 24)};
    memcpy(j->buf, word, sizeof word);
    j->buf_len = sizeof word;
  }
done:
  free(rel);
  if (err != WCTR_OK) close_current(j);
  return err;
}

static wctr_err sink_write(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  job *j = ctx;
  const uint8_t *p = data;
  while (len > 0) {
    size_t n = WRITE_BUF - j->buf_len < len ? WRITE_BUF - j->buf_len : len;
    memcpy(j->buf + j->buf_len, p, n);
    j->buf_len += n;
    p += n;
    len -= n;
    if (j->buf_len == WRITE_BUF) {
      wctr_err err = flush(j, e);
      if (err != WCTR_OK) return err;
    }
  }
  return WCTR_OK;
}

static wctr_err sink_done(void *ctx, wctr_errmsg *e) {
  job *j = ctx;
  wctr_err err = flush(j, e);
  /* The basic information last: the streams' writes must not leave their own times (Wine updates them;
   * NTFS keeps what was set on the handle either way). */
  if (err == WCTR_OK && !SetFileInformationByHandle(j->cur, FileBasicInfo, &j->cur_info, sizeof j->cur_info)) {
    err = win_fail("SetFileInformationByHandle(FileBasicInfo)", j->cur_path, e);
  }
  close_current(j);
  return err;
}

static wctr_err link_in(HANDLE dst_root, const wchar_t *path, HANDLE src_root, const wchar_t *target, const char *shown,
                        wctr_errmsg *e) {
  HANDLE src = NULL;
  HANDLE dir = NULL;
  link_info *li = NULL;
  wchar_t *parent = _wcsdup(path);
  wctr_err err = parent != NULL ? WCTR_OK : oom(e);
  NTSTATUS st = 0;
  if (err == WCTR_OK) {
    st = nt_open(src_root, target, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                 FILE_OPEN, FILE_NON_DIRECTORY_FILE, &src);
    if (st != 0) err = nt_fail(st, "open the hard link target of", shown, e);
  }
  wchar_t *slash = parent != NULL ? wcsrchr(parent, L'\\') : NULL;
  if (err == WCTR_OK && slash == NULL) err = wctr_fail(e, WCTR_EINVAL, "the hard link %s has no folder", shown);
  if (err == WCTR_OK) {
    *slash = L'\0';
    st = nt_open(dst_root, parent, FILE_LIST_DIRECTORY | FILE_ADD_FILE | FILE_TRAVERSE,
                 FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN, FILE_DIRECTORY_FILE, &dir);
    if (st != 0) err = nt_fail(st, "open the folder of", shown, e);
  }
  if (err == WCTR_OK) {
    const wchar_t *name = slash + 1;
    size_t bytes = wcslen(name) * sizeof(wchar_t);
    size_t size = sizeof *li + bytes;
    li = calloc(1, size);
    if (li == NULL) {
      err = oom(e);
    } else {
      li->replace = FALSE;
      li->root = dir;
      li->name_length = (ULONG)bytes;
      memcpy(li->name, name, bytes);
      IO_STATUS_BLOCK io;
      st = NtSetInformationFile(src, &io, li, (ULONG)size, FILE_LINK_CLASS);
      if (st != 0) err = nt_fail(st, "link", shown, e);
    }
  }
  free(li);
  free(parent);
  if (dir != NULL) CloseHandle(dir);
  if (src != NULL) CloseHandle(src);
  return err;
}

static wctr_err sink_link(void *ctx, const char *path, const char *target, bool in_layer, wctr_errmsg *e) {
  job *j = ctx;
  close_current(j);
  wchar_t *p = wctr_utf8_to_wide(path);
  wchar_t *t = wctr_utf8_to_wide(target);
  wctr_err err = p != NULL && t != NULL ? WCTR_OK : oom(e);
  if (err == WCTR_OK && j->base) {
    err = link_in(j->root, p, j->root, t, path, e);
  } else if (err == WCTR_OK) {
    /* ImportLayer cannot take hard links: made in the layer's folder after it, as hcsshim does. */
    pending_link *grown = realloc(j->links, (j->nlinks + 1) * sizeof *grown);
    char *text = strdup(path);
    if (grown != NULL) j->links = grown;
    if (grown == NULL || text == NULL) {
      free(text);
      err = oom(e);
    } else {
      j->links[j->nlinks++] = (pending_link){.path = p, .target = t, .path_text = text, .in_layer = in_layer};
      p = t = NULL;
    }
  }
  free(p);
  free(t);
  return err;
}

static wctr_err sink_remove(void *ctx, const char *path, wctr_errmsg *e) {
  job *j = ctx;
  close_current(j);
  wchar_t *p = wctr_utf8_to_wide(path);
  wchar_t **grown = p != NULL ? realloc(j->tombs, (j->ntombs + 1) * sizeof *grown) : NULL;
  if (grown == NULL) {
    free(p);
    return oom(e);
  }
  j->tombs = grown;
  j->tombs[j->ntombs++] = p;
  return WCTR_OK;
}

static wctr_err sink_sddl(void *ctx, const char *sddl, uint8_t **sd, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  *sd = NULL;
  *len = 0;
  wchar_t *w = wctr_utf8_to_wide(sddl);
  PSECURITY_DESCRIPTOR psd = NULL;
  ULONG size = 0;
  BOOL ok = w != NULL && ConvertStringSecurityDescriptorToSecurityDescriptorW(w, SDDL_REVISION_1, &psd, &size);
  free(w);
  if (!ok) return wctr_fail(e, WCTR_EINVAL, "a MSWINDOWS.sd record \"%.80s\" is not SDDL Windows reads: refused", sddl);
  *sd = malloc(size);
  if (*sd != NULL) {
    memcpy(*sd, psd, size);
    *len = size;
  }
  LocalFree(psd);
  return *sd != NULL ? WCTR_OK : oom(e);
}

/* Sets the folders' times again, deepest first: creating their children changed them. */
static wctr_err reapply_dir_times(job *j, HANDLE root, wctr_errmsg *e) {
  for (size_t i = j->ndirs; i-- > 0;) {
    HANDLE h = NULL;
    NTSTATUS st = nt_open(root, j->dirs[i].rel, FILE_WRITE_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                          FILE_OPEN, FILE_DIRECTORY_FILE, &h);
    if (st != 0) {
      char *path = wctr_wide_to_utf8(j->dirs[i].rel);
      wctr_err err = nt_fail(st, "set the times of", path != NULL ? path : "a folder", e);
      free(path);
      return err;
    }
    BOOL ok = SetFileInformationByHandle(h, FileBasicInfo, &j->dirs[i].info, sizeof j->dirs[i].info);
    CloseHandle(h);
    if (!ok) return win_fail("SetFileInformationByHandle(FileBasicInfo)", "a folder of the layer", e);
  }
  return WCTR_OK;
}

static HANDLE open_root(const char *path) {
  wchar_t *w = long_path(path);
  if (w == NULL) return INVALID_HANDLE_VALUE;
  HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, NULL);
  free(w);
  return h;
}

static wctr_err make_folder(const char *path, wctr_errmsg *e) {
  wchar_t *w = long_path(path);
  if (w == NULL) return wctr_fail(e, WCTR_EINVAL, "not a valid path: %s", path);
  BOOL ok = CreateDirectoryW(w, NULL);
  free(w);
  return ok ? WCTR_OK : win_fail("CreateDirectoryW", path, e);
}

/* After ImportLayer: the whiteouts, the hard links, the folders' times (hcsshim's order). */
static wctr_err finish_diff(job *j, wctr_errmsg *e) {
  HANDLE dest = open_root(j->l->dest);
  if (dest == INVALID_HANDLE_VALUE) return win_fail("CreateFileW", j->l->dest, e);
  wctr_err err = WCTR_OK;
  for (size_t i = 0; i < j->ntombs && err == WCTR_OK; i++) {
    HANDLE h = NULL;
    NTSTATUS st = nt_open(dest, j->tombs[i], DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN, 0, &h);
    if (st == STATUS_NAME_NOT_FOUND || st == STATUS_PATH_NOT_FOUND) continue;
    char *shown = wctr_wide_to_utf8(j->tombs[i]);
    if (st != 0) {
      err = nt_fail(st, "delete (a whiteout)", shown != NULL ? shown : "a path", e);
    } else {
      FILE_DISPOSITION_INFO d = {.DeleteFile = TRUE};
      if (!SetFileInformationByHandle(h, FileDispositionInfo, &d, sizeof d)) err = win_fail("delete (a whiteout)", shown != NULL ? shown : "a path", e);
      CloseHandle(h);
    }
    free(shown);
  }
  for (size_t i = 0; i < j->nlinks && err == WCTR_OK; i++) {
    pending_link *pl = &j->links[i];
    HANDLE src = dest;
    HANDLE parent = NULL;
    if (!pl->in_layer) {
      /* The first parent, immediate first, that has the target. */
      src = NULL;
      for (size_t k = 0; k < j->l->parent_count && src == NULL; k++) {
        HANDLE r = open_root(j->l->parents[k]);
        if (r == INVALID_HANDLE_VALUE) continue;
        HANDLE probe = NULL;
        if (nt_open(r, pl->target, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN,
                    FILE_NON_DIRECTORY_FILE, &probe) == 0) {
          CloseHandle(probe);
          src = parent = r;
        } else {
          CloseHandle(r);
        }
      }
      if (src == NULL) {
        err = wctr_fail(e, WCTR_ENOENT, "the hard link %s points at a file neither the layer nor its parents have: refused",
                        pl->path_text);
        break;
      }
    }
    /* ImportLayer may have left a file of that name: the link replaces it. */
    HANDLE old = NULL;
    if (nt_open(dest, pl->path, DELETE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, FILE_OPEN,
                FILE_NON_DIRECTORY_FILE, &old) == 0) {
      FILE_DISPOSITION_INFO d = {.DeleteFile = TRUE};
      SetFileInformationByHandle(old, FileDispositionInfo, &d, sizeof d);
      CloseHandle(old);
    }
    err = link_in(dest, pl->path, src, pl->target, pl->path_text, e);
    if (parent != NULL) CloseHandle(parent);
  }
  if (err == WCTR_OK) err = reapply_dir_times(j, dest, e);
  CloseHandle(dest);
  return err;
}

typedef struct blob_src {
  wctr_file *f;
  uint64_t off;
} blob_src;

static wctr_err blob_read(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  blob_src *s = ctx;
  wctr_err err = wctr_file_pread(s->f, s->off, buf, size, got);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot read the layer blob: %s", wctr_strerror(err));
  s->off += *got;
  return WCTR_OK;
}

/* --- the writer thread ------------------------------------------------------------------------------------
 * The walk (inflating, hashing, checking) and the file system calls overlap: the walk hands each operation
 * to a queue bounded in bytes, a thread of the import applies them in order with the sink functions above.
 * The first failure of the writer is the import's: the walk gets it back at its next operation and stops. */

typedef enum op_kind { OP_ADD, OP_WRITE, OP_DONE, OP_LINK, OP_REMOVE, OP_END } op_kind;

typedef struct op {
  op_kind kind;
  char *path;
  char *target;
  img_wcl_info info;
  uint64_t size;
  bool in_layer;
  uint8_t *data;
  size_t len;
  struct op *next;
} op;

#define QUEUE_BYTES (16u << 20)
#define QUEUE_OPS 4096

typedef struct wpipe {
  job *j;
  CRITICAL_SECTION lock;
  CONDITION_VARIABLE nonempty, room;
  op *head, *tail;
  size_t ops, bytes;
  bool failed;
  wctr_err err;
  wctr_errmsg msg;
  HANDLE thread;
} wpipe;

static void op_free(op *o) {
  if (o == NULL) return;
  free(o->path);
  free(o->target);
  free(o->data);
  free(o);
}

static wctr_err apply_op(job *j, const op *o, wctr_errmsg *e) {
  switch (o->kind) {
    case OP_ADD: return sink_add(j, o->path, &o->info, o->size, e);
    case OP_WRITE: return sink_write(j, o->data, o->len, e);
    case OP_DONE: return sink_done(j, e);
    case OP_LINK: return sink_link(j, o->path, o->target, o->in_layer, e);
    case OP_REMOVE: return sink_remove(j, o->path, e);
    default: return WCTR_OK;
  }
}

static DWORD WINAPI writer_main(void *arg) {
  wpipe *p = arg;
  for (;;) {
    EnterCriticalSection(&p->lock);
    while (p->head == NULL) SleepConditionVariableCS(&p->nonempty, &p->lock, INFINITE);
    op *o = p->head;
    p->head = o->next;
    if (p->head == NULL) p->tail = NULL;
    p->ops--;
    p->bytes -= o->len;
    bool failed = p->failed;
    WakeAllConditionVariable(&p->room);
    LeaveCriticalSection(&p->lock);
    bool end = o->kind == OP_END;
    if (!end && !failed) {
      wctr_errmsg e;
      e.text[0] = '\0';
      wctr_err err = apply_op(p->j, o, &e);
      if (err != WCTR_OK) {
        EnterCriticalSection(&p->lock);
        p->failed = true;
        p->err = err;
        p->msg = e;
        LeaveCriticalSection(&p->lock);
      }
    }
    op_free(o);
    if (end) break;
  }
  close_current(p->j);
  return 0;
}

/* Queues o (taken), waiting for room; the writer's failure when it has failed. */
static wctr_err enqueue(wpipe *p, op *o, wctr_errmsg *e) {
  if (o == NULL) return oom(e);
  EnterCriticalSection(&p->lock);
  while (!p->failed && o->kind != OP_END && (p->ops >= QUEUE_OPS || (p->bytes > 0 && p->bytes + o->len > QUEUE_BYTES))) {
    SleepConditionVariableCS(&p->room, &p->lock, INFINITE);
  }
  wctr_err err = WCTR_OK;
  if (p->failed && o->kind != OP_END) {
    err = p->err;
    if (e != NULL) *e = p->msg;
    op_free(o);
  } else {
    o->next = NULL;
    if (p->tail != NULL) {
      p->tail->next = o;
    } else {
      p->head = o;
    }
    p->tail = o;
    p->ops++;
    p->bytes += o->len;
    WakeConditionVariable(&p->nonempty);
  }
  LeaveCriticalSection(&p->lock);
  return err;
}

static op *new_op(op_kind kind, const char *path, const char *target) {
  op *o = calloc(1, sizeof *o);
  if (o == NULL) return NULL;
  o->kind = kind;
  o->path = path != NULL ? strdup(path) : NULL;
  o->target = target != NULL ? strdup(target) : NULL;
  if ((path != NULL && o->path == NULL) || (target != NULL && o->target == NULL)) {
    op_free(o);
    return NULL;
  }
  return o;
}

static wctr_err q_add(void *ctx, const char *path, const img_wcl_info *info, uint64_t size, wctr_errmsg *e) {
  op *o = new_op(OP_ADD, path, NULL);
  if (o != NULL) {
    o->info = *info;
    o->size = size;
  }
  return enqueue(ctx, o, e);
}

static wctr_err q_write(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  op *o = new_op(OP_WRITE, NULL, NULL);
  if (o != NULL) {
    o->data = malloc(len > 0 ? len : 1);
    if (o->data == NULL) {
      op_free(o);
      o = NULL;
    } else {
      memcpy(o->data, data, len);
      o->len = len;
    }
  }
  return enqueue(ctx, o, e);
}

static wctr_err q_done(void *ctx, wctr_errmsg *e) { return enqueue(ctx, new_op(OP_DONE, NULL, NULL), e); }

static wctr_err q_link(void *ctx, const char *path, const char *target, bool in_layer, wctr_errmsg *e) {
  op *o = new_op(OP_LINK, path, target);
  if (o != NULL) o->in_layer = in_layer;
  return enqueue(ctx, o, e);
}

static wctr_err q_remove(void *ctx, const char *path, wctr_errmsg *e) { return enqueue(ctx, new_op(OP_REMOVE, path, NULL), e); }

/* The walk on this thread, the writes on the writer; the writer's error wins (the walk only relays it). */
static wctr_err walk_and_write(job *j, img_tar *t, img_wcl_result *res, wctr_errmsg *e) {
  wpipe p = {.j = j};
  InitializeCriticalSection(&p.lock);
  InitializeConditionVariable(&p.nonempty);
  InitializeConditionVariable(&p.room);
  p.thread = CreateThread(NULL, 0, writer_main, &p, 0, NULL);
  if (p.thread == NULL) {
    DeleteCriticalSection(&p.lock);
    return win_fail("CreateThread", "the layer writer", e);
  }
  img_wcl_sink sink = {.ctx = &p, .add = q_add, .write = q_write, .done = q_done, .link = q_link,
                       .remove = q_remove, .sd_from_sddl = sink_sddl};
  img_wcl_options opt = {.base = j->base, .diff_id = j->l->diff_id};
  wctr_err err = img_wcl_apply(t, &opt, &sink, res, e);
  op *end = new_op(OP_END, NULL, NULL);
  while (end == NULL) { /* the writer must be told to stop */
    Sleep(10);
    end = new_op(OP_END, NULL, NULL);
  }
  enqueue(&p, end, NULL);
  WaitForSingleObject(p.thread, INFINITE);
  CloseHandle(p.thread);
  if (p.failed) {
    err = p.err;
    *e = p.msg;
  }
  DeleteCriticalSection(&p.lock);
  return err;
}

static wctr_err run_import(job *j, img_tar *t, int64_t *size, wctr_errmsg *e) {
  const img_import_layer *l = j->l;
  wctr_err err = make_folder(l->dest, e);
  if (err != WCTR_OK) return err;
  if (!j->base) {
    size_t n = strlen(l->dest) + strlen(IMG_STAGING_SUFFIX) + 1;
    j->staging_text = malloc(n);
    if (j->staging_text == NULL) return oom(e);
    snprintf(j->staging_text, n, "%s%s", l->dest, IMG_STAGING_SUFFIX);
    /* A staging left by a crash is the sweep's; one here now is refused rather than mixed in. */
    err = make_folder(j->staging_text, e);
    if (err != WCTR_OK) return err;
  }
  j->root = open_root(j->base ? l->dest : j->staging_text);
  if (j->root == INVALID_HANDLE_VALUE) {
    j->root = NULL;
    return win_fail("CreateFileW", j->base ? l->dest : j->staging_text, e);
  }
  img_wcl_result res;
  err = walk_and_write(j, t, &res, e);
  if (err == WCTR_OK && j->base) err = reapply_dir_times(j, j->root, e);
  CloseHandle(j->root);
  j->root = NULL;
  if (err != WCTR_OK) return err;
  j->vm_touched = true;
  if (j->base) {
    err = j->w->vm.process_base(j->w->vm.ctx, l->dest, e);
    if (err == WCTR_OK && res.has_utility_vm) {
      size_t n = strlen(l->dest) + 12;
      char *uvm = malloc(n);
      if (uvm == NULL) return oom(e);
      snprintf(uvm, n, "%s\\UtilityVM", l->dest);
      err = j->w->vm.process_utility(j->w->vm.ctx, uvm, e);
      free(uvm);
    }
  } else {
    err = j->w->vm.import_layer(j->w->vm.ctx, l->dest, j->staging_text, l->parents, l->parent_ids, l->parent_count, e);
    if (err == WCTR_OK) err = finish_diff(j, e);
  }
  if (err == WCTR_OK) *size = res.size;
  return err;
}

static void job_free(job *j) {
  close_current(j);
  if (j->root != NULL) CloseHandle(j->root);
  for (size_t i = 0; i < j->ndirs; i++) free(j->dirs[i].rel);
  free(j->dirs);
  for (size_t i = 0; i < j->ntombs; i++) free(j->tombs[i]);
  free(j->tombs);
  for (size_t i = 0; i < j->nlinks; i++) {
    free(j->links[i].path);
    free(j->links[i].target);
    free(j->links[i].path_text);
  }
  free(j->links);
  free(j->staging_text);
  free(j->buf);
}

static wctr_err destroy_layer(wci *w, const char *path, wctr_errmsg *e) {
  size_t n = strlen(path);
  size_t s = strlen(IMG_STAGING_SUFFIX);
  if (n > s && strcmp(path + n - s, IMG_STAGING_SUFFIX) == 0) return remove_tree(path, e);
  wctr_errmsg ve;
  ve.text[0] = '\0';
  wctr_err err = w->vm.destroy(w->vm.ctx, path, &ve);
  if (err == WCTR_ENOTSUP) return remove_tree(path, e);
  if (err != WCTR_OK) {
    wctr_fail(e, err, "%s", ve.text);
    return err;
  }
  /* DestroyLayer of a folder vmcompute never processed may leave it: what is left goes the same way. */
  return wctr_fs_exists(path) ? remove_tree(path, e) : WCTR_OK;
}

static wctr_err windows_import(void *ctx, const img_import_layer *l, int64_t *size, wctr_errmsg *e) {
  wci *w = ctx;
  *size = 0;
  bool gzip = false;
  if (!img_layer_type_known(l->media_type, &gzip)) return wctr_fail(e, WCTR_EINVAL, "layer type %s is unknown", l->media_type);
  if (wctr_fs_exists(l->dest)) return wctr_fail(e, WCTR_EEXIST, "layer folder %s exists already", l->dest);
  job j = {.w = w, .l = l, .base = l->parent_count == 0};
  blob_src src = {0};
  img_tar *t = NULL;
  privs p = {0};
  j.buf = malloc(WRITE_BUF);
  wctr_err err = j.buf != NULL ? WCTR_OK : oom(e);
  if (err == WCTR_OK) err = wctr_file_open(l->blob_path, WCTR_FILE_READ, &src.f, e);
  if (err == WCTR_OK) err = img_tar_open(blob_read, &src, gzip, &t, e);
  if (err == WCTR_OK) err = privs_enable(&p, e);
  if (err == WCTR_OK) {
    err = run_import(&j, t, size, e);
    close_current(&j);
    if (j.root != NULL) {
      CloseHandle(j.root);
      j.root = NULL;
    }
    /* Nothing left on failure, and no staging ever (with the privileges still on: the layer's own
     * descriptors may deny its files to everyone else). */
    if (j.staging_text != NULL) {
      wctr_errmsg se;
      if (remove_tree(j.staging_text, &se) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "layer import: %s", se.text);
    }
    if (err != WCTR_OK && wctr_fs_exists(l->dest)) {
      wctr_errmsg de;
      wctr_err derr = j.vm_touched ? destroy_layer(w, l->dest, &de) : remove_tree(l->dest, &de);
      if (derr != WCTR_OK) wctr_log(WCTR_LOG_WARN, "layer import: cannot remove the failed layer: %s", de.text);
    }
    privs_revert(&p);
  }
  img_tar_free(t);
  wctr_file_close(src.f);
  job_free(&j);
  return err;
}

static wctr_err windows_ready(void *ctx, wctr_errmsg *e) {
  wci *w = ctx;
  if (w->vm.available != NULL) {
    wctr_err err = w->vm.available(w->vm.ctx, e);
    if (err != WCTR_OK) return err;
  }
  privs p;
  wctr_err err = privs_enable(&p, e);
  privs_revert(&p);
  return err;
}

static wctr_err windows_destroy(void *ctx, const char *path, const char *layer_id, wctr_errmsg *e) {
  (void)layer_id;
  wci *w = ctx;
  privs p;
  wctr_err err = privs_enable(&p, e);
  if (err != WCTR_OK) return err;
  err = destroy_layer(w, path, e);
  privs_revert(&p);
  return err;
}

wctr_err img_importer_windows_new(const img_vmcompute *vm, img_importer **out, wctr_errmsg *e) {
  *out = NULL;
  wci *w = calloc(1, sizeof *w);
  if (w == NULL) return oom(e);
  w->vm = *vm;
  w->imp = (img_importer){.ctx = w, .ready = windows_ready, .import = windows_import, .destroy = windows_destroy};
  *out = &w->imp;
  return WCTR_OK;
}

void img_importer_windows_free(img_importer *imp) {
  if (imp == NULL) return;
  free(imp->ctx);
}
