/* tests/images/backup_double_win.c - the BackupWrite stand-in. Contract: backup_double.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_double.h"
#include "common/wstr.h"
#include "images/images_sys.h"

#define HEADER 20

typedef enum phase { IN_HEADER, IN_NAME, IN_DATA } phase;

typedef struct bd_ctx {
  phase at;
  uint8_t head[HEADER];
  size_t head_len;
  uint32_t id;
  uint64_t size;
  uint32_t name_bytes;
  uint8_t name[512];
  size_t name_len;
  uint64_t left;        /* data bytes still due */
  uint8_t *acc;         /* security, EA and reparse streams, kept whole to check */
  size_t acc_len;
  HANDLE ads;
  bd_record *rec;
  wchar_t path[1024];
} bd_ctx;

static SRWLOCK lock = SRWLOCK_INIT;
static bd_record *records;
static size_t count, cap;
static char first_error[512];
static bool keep = true;
static uint64_t calls, bytes;

static void violation(const char *what) {
  AcquireSRWLockExclusive(&lock);
  if (first_error[0] == '\0') snprintf(first_error, sizeof first_error, "BackupWrite: %s", what);
  ReleaseSRWLockExclusive(&lock);
}

/* The file's path, asked of Windows the first time it is needed (a record, an alternate stream). */
static bool know_path(HANDLE file, bd_ctx *c) {
  if (c->path[0] != L'\0') return true;
  DWORD len = GetFinalPathNameByHandleW(file, c->path, 1000, FILE_NAME_NORMALIZED);
  if (len == 0 || len >= 1000) {
    c->path[0] = L'\0';
    return false;
  }
  return true;
}

static bd_record *new_record(bd_ctx *c) {
  if (!keep) return NULL;
  AcquireSRWLockExclusive(&lock);
  if (count == cap) {
    size_t n = cap == 0 ? 256 : cap * 2;
    bd_record *r = realloc(records, n * sizeof *r);
    if (r == NULL) abort();
    records = r;
    cap = n;
  }
  bd_record *r = &records[count++];
  memset(r, 0, sizeof *r);
  char *p = wctr_wide_to_utf8(c->path);
  snprintf(r->path, sizeof r->path, "%s", p != NULL ? p : "?");
  free(p);
  r->id = c->id;
  r->size = c->size;
  size_t n = 0;
  for (size_t i = 0; i + 1 < c->name_len && n + 1 < sizeof r->name; i += 2) r->name[n++] = c->name[i + 1] == 0 ? (char)c->name[i] : '?';
  r->name[n] = '\0';
  size_t index = count - 1;
  ReleaseSRWLockExclusive(&lock);
  return &records[index];
}

/* Records may move when the array grows: a stream's record is looked up again by index when updated. */
static void keep_bytes(bd_ctx *c, uint64_t offset, const uint8_t *p, size_t n) {
  if (c->rec == NULL || offset >= BD_KEEP) return;
  size_t k = n < BD_KEEP - offset ? n : (size_t)(BD_KEEP - offset);
  memcpy(c->rec->data + offset, p, k);
}

static bool ea_chain_ok(const uint8_t *d, size_t n) {
  size_t off = 0;
  for (;;) {
    if (n - off < 8) return false;
    uint32_t next = (uint32_t)d[off] | (uint32_t)d[off + 1] << 8 | (uint32_t)d[off + 2] << 16 | (uint32_t)d[off + 3] << 24;
    size_t nl = d[off + 5];
    size_t vl = (size_t)d[off + 6] | (size_t)d[off + 7] << 8;
    if (8 + nl + 1 + vl > n - off || d[off + 8 + nl] != 0) return false;
    if (next == 0) return true;
    if (next % 4 != 0 || next < 8 + nl + 1 + vl || next > n - off) return false;
    off += next;
  }
}

static bool reparse_ok(const uint8_t *d, size_t n) {
  if (n < 8) return false;
  uint32_t tag = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
  size_t len = (size_t)d[4] | (size_t)d[5] << 8;
  if (len + 8 != n) return false;
  if (tag != IO_REPARSE_TAG_MOUNT_POINT && tag != IO_REPARSE_TAG_SYMLINK) return true; /* other tags: opaque */
  size_t fixed = tag == IO_REPARSE_TAG_MOUNT_POINT ? 8 : 12;
  if (len < fixed) return false;
  size_t so = (size_t)d[8] | (size_t)d[9] << 8, sl = (size_t)d[10] | (size_t)d[11] << 8;
  size_t po = (size_t)d[12] | (size_t)d[13] << 8, pl = (size_t)d[14] | (size_t)d[15] << 8;
  size_t names = len - fixed;
  return so + sl <= names && po + pl <= names && sl % 2 == 0 && pl % 2 == 0;
}

/* A stream's data is complete: check and apply what needs the whole of it. */
static bool finish_stream(HANDLE file, bd_ctx *c, BOOL process_security) {
  bool ok = true;
  if (c->ads != NULL) {
    CloseHandle(c->ads);
    c->ads = NULL;
  }
  if (c->id == BACKUP_SECURITY_DATA) {
    if (!process_security) {
      if (c->rec != NULL) c->rec->security_skipped = true;
    } else if (!IsValidSecurityDescriptor(c->acc)) {
      violation("a security stream that is not a security descriptor");
      ok = false;
    } else {
      SECURITY_INFORMATION si = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
      BOOL applied = SetKernelObjectSecurity(file, si, c->acc);
      if (c->rec != NULL) c->rec->applied = applied != FALSE;
    }
  } else if (c->id == BACKUP_EA_DATA && !ea_chain_ok(c->acc, c->acc_len)) {
    violation("extended attributes whose chain runs past the stream");
    ok = false;
  } else if (c->id == BACKUP_REPARSE_DATA && !reparse_ok(c->acc, c->acc_len)) {
    violation("reparse data whose lengths disagree");
    ok = false;
  }
  free(c->acc);
  c->acc = NULL;
  c->acc_len = 0;
  return ok;
}

static bool start_stream(HANDLE file, bd_ctx *c) {
  c->id = (uint32_t)c->head[0] | (uint32_t)c->head[1] << 8 | (uint32_t)c->head[2] << 16 | (uint32_t)c->head[3] << 24;
  c->size = 0;
  for (int i = 7; i >= 0; i--) c->size = c->size << 8 | c->head[8 + i];
  c->name_bytes = (uint32_t)c->head[16] | (uint32_t)c->head[17] << 8 | (uint32_t)c->head[18] << 16 | (uint32_t)c->head[19] << 24;
  c->name_len = 0;
  c->left = c->size;
  switch (c->id) {
    case BACKUP_DATA:
    case BACKUP_EA_DATA:
    case BACKUP_SECURITY_DATA:
    case BACKUP_REPARSE_DATA:
      if (c->name_bytes != 0) {
        violation("a name on a stream that takes none");
        return false;
      }
      break;
    case BACKUP_ALTERNATE_DATA:
      if (c->name_bytes == 0 || c->name_bytes > sizeof c->name || c->name_bytes % 2 != 0) {
        violation("an alternate data stream without a proper name");
        return false;
      }
      break;
    default:
      violation("an unknown stream id");
      return false;
  }
  if (c->id != BACKUP_DATA && c->id != BACKUP_ALTERNATE_DATA) {
    if (c->size > (1u << 20)) {
      violation("a metadata stream over 1 MiB");
      return false;
    }
    c->acc = malloc(c->size + 1);
    if (c->acc == NULL) return false;
  }
  (void)file;
  return true;
}

/* The name is complete: records the stream, opens an alternate stream. */
static bool named(HANDLE file, bd_ctx *c) {
  if ((keep || c->id == BACKUP_ALTERNATE_DATA) && !know_path(file, c)) return false;
  c->rec = new_record(c);
  if (c->id == BACKUP_ALTERNATE_DATA) {
    /* ":stream:$DATA" -> "<path>:stream" */
    wchar_t stream[256];
    size_t units = c->name_len / 2;
    if (units >= 256) return false;
    for (size_t i = 0; i < units; i++) stream[i] = (wchar_t)(c->name[2 * i] | c->name[2 * i + 1] << 8);
    stream[units] = L'\0';
    wchar_t *type = wcsstr(stream, L":$DATA");
    if (stream[0] != L':' || type == NULL || type[6] != L'\0' || type == stream) {
      violation("an alternate data stream whose name is not :NAME:$DATA");
      return false;
    }
    *type = L'\0';
    wchar_t full[1300];
    _snwprintf(full, 1300, L"%ls%ls", c->path, stream);
    full[1299] = L'\0';
    c->ads = CreateFileW(full, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (c->ads == INVALID_HANDLE_VALUE) {
      c->ads = NULL;
      return false;
    }
  }
  return true;
}

/* The stream whose header (and name) is complete: on to its data, or done when it has none. */
static bool begun(HANDLE file, bd_ctx *c, BOOL process_security) {
  if (!named(file, c)) return false;
  if (c->left > 0) {
    c->at = IN_DATA;
    return true;
  }
  c->at = IN_HEADER;
  if (c->rec != NULL) c->rec->applied = true;
  return finish_stream(file, c, process_security);
}

static BOOL WINAPI double_backup_write(HANDLE file, LPBYTE buffer, DWORD n, LPDWORD written, BOOL abort_, BOOL process_security,
                                       LPVOID *context) {
  bd_ctx *c = *context;
  if (abort_) {
    if (c != NULL) {
      if (c->at != IN_HEADER || c->head_len != 0) violation("the context was freed inside a stream");
      if (c->ads != NULL) CloseHandle(c->ads);
      free(c->acc);
      free(c);
    }
    *context = NULL;
    return TRUE;
  }
  if (c == NULL) {
    c = calloc(1, sizeof *c);
    if (c == NULL) return FALSE;
    *context = c;
  }
  AcquireSRWLockExclusive(&lock);
  calls++;
  bytes += n;
  ReleaseSRWLockExclusive(&lock);
  size_t at = 0;
  bool ok = true;
  while (ok && at < n) {
    size_t k = 0;
    if (c->at == IN_HEADER) {
      k = HEADER - c->head_len < n - at ? HEADER - c->head_len : n - at;
      memcpy(c->head + c->head_len, buffer + at, k);
      c->head_len += k;
      if (c->head_len == HEADER) {
        c->head_len = 0;
        ok = start_stream(file, c);
        if (ok && c->name_bytes > 0) {
          c->at = IN_NAME;
        } else if (ok) {
          ok = begun(file, c, process_security);
        }
      }
    } else if (c->at == IN_NAME) {
      k = c->name_bytes - c->name_len < n - at ? c->name_bytes - c->name_len : n - at;
      memcpy(c->name + c->name_len, buffer + at, k);
      c->name_len += k;
      if (c->name_len == c->name_bytes) ok = begun(file, c, process_security);
    } else {
      k = c->left < n - at ? (size_t)c->left : n - at;
      keep_bytes(c, c->size - c->left, buffer + at, k);
      if (c->id == BACKUP_DATA || c->id == BACKUP_ALTERNATE_DATA) {
        HANDLE h = c->id == BACKUP_DATA ? file : c->ads;
        DWORD w = 0;
        ok = WriteFile(h, buffer + at, (DWORD)k, &w, NULL) && w == k;
      } else {
        memcpy(c->acc + c->acc_len, buffer + at, k);
        c->acc_len += k;
      }
      c->left -= k;
      if (ok && c->left == 0) {
        c->at = IN_HEADER;
        if (c->rec != NULL) c->rec->applied = true;
        ok = finish_stream(file, c, process_security);
      }
    }
    at += k;
  }
  if (!ok) {
    if (GetLastError() == 0) SetLastError(ERROR_INVALID_DATA);
    return FALSE;
  }
  *written = n;
  return TRUE;
}

void bd_install(bool record) {
  keep = record;
  img_sys.BackupWrite = double_backup_write;
}

void bd_reset(void) {
  AcquireSRWLockExclusive(&lock);
  free(records);
  records = NULL;
  count = cap = 0;
  first_error[0] = '\0';
  calls = bytes = 0;
  ReleaseSRWLockExclusive(&lock);
}

size_t bd_count(void) { return count; }
const bd_record *bd_get(size_t i) { return i < count ? &records[i] : NULL; }
const char *bd_error(void) { return first_error[0] != '\0' ? first_error : NULL; }
uint64_t bd_calls(void) { return calls; }
uint64_t bd_bytes(void) { return bytes; }

const bd_record *bd_find(const char *suffix, uint32_t id) {
  size_t s = strlen(suffix);
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(records[i].path);
    if (n >= s && _stricmp(records[i].path + n - s, suffix) == 0 && (id == 0 || records[i].id == id)) return &records[i];
  }
  return NULL;
}
