/* service/audit_win.c - the audit trail on disk and in the Windows Event Log. Contract in audit.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "common/log.h"
#include "common/wstr.h"
#include "service/audit.h"
#include "service/svc_sys.h"

#define EVENT_KEY L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\wctrd"
enum { EVENT_ID_OK = 1, EVENT_ID_REFUSED = 2 };

static struct {
  INIT_ONCE once;
  CRITICAL_SECTION lock;
  bool open;
  char dir[1100];
  char path[1200];
  HANDLE file;
  uint64_t size;
  HANDLE event_source;
  unsigned lost;
  uint64_t rotate_bytes;
} audit = {.once = INIT_ONCE_STATIC_INIT, .rotate_bytes = SVC_AUDIT_ROTATE_BYTES};

static BOOL CALLBACK init_lock(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  InitializeCriticalSection(&audit.lock);
  return TRUE;
}

/* Append-only: FILE_APPEND_DATA without FILE_WRITE_DATA, so no write can land anywhere but the end, even
 * from a second wctrd that shares the data root for a moment (it fails later, on the pipe). */
static wctr_err open_file(wctr_errmsg *e) {
  HANDLE h = INVALID_HANDLE_VALUE;
  wctr_err err = acl_create_file(audit.path, ACL_SDDL_DATA_FILE, FILE_APPEND_DATA | SYNCHRONIZE,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, OPEN_ALWAYS, &h, e);
  if (err != WCTR_OK) return err;
  LARGE_INTEGER size = {0};
  GetFileSizeEx(h, &size);
  audit.file = h;
  audit.size = (uint64_t)size.QuadPart;
  return WCTR_OK;
}

/* audit.jsonl -> audit.1.jsonl -> ... -> audit.<KEEP>.jsonl; the oldest is dropped. */
static void rotate(void) {
  wchar_t from[1300];
  wchar_t to[1300];
  wctr_errmsg e;
  CloseHandle(audit.file);
  audit.file = INVALID_HANDLE_VALUE;
  for (int i = SVC_AUDIT_KEEP; i >= 1; i--) {
    char a[1250];
    char b[1250];
    if (i == 1) {
      snprintf(a, sizeof a, "%s", audit.path);
    } else {
      snprintf(a, sizeof a, "%s\\audit.%d.jsonl", audit.dir, i - 1);
    }
    snprintf(b, sizeof b, "%s\\audit.%d.jsonl", audit.dir, i);
    if (MultiByteToWideChar(CP_UTF8, 0, a, -1, from, ARRAYSIZE(from)) <= 0 ||
        MultiByteToWideChar(CP_UTF8, 0, b, -1, to, ARRAYSIZE(to)) <= 0) {
      continue;
    }
    MoveFileExW(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
  }
  if (open_file(&e) != WCTR_OK) wctr_log(WCTR_LOG_ERROR, "audit: cannot reopen after rotation: %s", e.text);
}

wctr_err svc_audit_open(const char *data_root, wctr_errmsg *e) {
  InitOnceExecuteOnce(&audit.once, init_lock, NULL, NULL);
  EnterCriticalSection(&audit.lock);
  wctr_err err = WCTR_OK;
  if (audit.open) goto done;
  snprintf(audit.dir, sizeof audit.dir, "%s\\%s", data_root, SVC_AUDIT_DIR);
  snprintf(audit.path, sizeof audit.path, "%s\\%s", audit.dir, SVC_AUDIT_FILE);
  err = acl_create_dir(audit.dir, ACL_SDDL_DATA_ROOT, NULL, e);
  if (err == WCTR_OK) err = open_file(e);
  if (err != WCTR_OK) goto done;
  /* Under Wine this succeeds and ReportEventW does nothing (its event log is a no-op). */
  audit.event_source = RegisterEventSourceW(NULL, SVC_AUDIT_EVENT_SOURCE);
  if (audit.event_source == NULL) {
    wctr_log_win32("RegisterEventSourceW", GetLastError(), "audit records go to %s only", audit.path);
  }
  audit.lost = 0;
  audit.open = true;
done:
  LeaveCriticalSection(&audit.lock);
  return err;
}

void svc_audit_close(void) {
  InitOnceExecuteOnce(&audit.once, init_lock, NULL, NULL);
  EnterCriticalSection(&audit.lock);
  if (audit.file != NULL && audit.file != INVALID_HANDLE_VALUE) CloseHandle(audit.file);
  audit.file = INVALID_HANDLE_VALUE;
  if (audit.event_source != NULL) DeregisterEventSource(audit.event_source);
  audit.event_source = NULL;
  audit.open = false;
  audit.path[0] = '\0';
  LeaveCriticalSection(&audit.lock);
}

void svc_audit_set_rotation(uint64_t bytes) {
  InitOnceExecuteOnce(&audit.once, init_lock, NULL, NULL);
  EnterCriticalSection(&audit.lock);
  audit.rotate_bytes = bytes;
  LeaveCriticalSection(&audit.lock);
}

void svc_audit_path(char *out, size_t size) {
  InitOnceExecuteOnce(&audit.once, init_lock, NULL, NULL);
  EnterCriticalSection(&audit.lock);
  snprintf(out, size, "%s", audit.path);
  LeaveCriticalSection(&audit.lock);
}

void svc_audit_write(svc_audit_record *r) {
  InitOnceExecuteOnce(&audit.once, init_lock, NULL, NULL);
  if (r->time[0] == '\0') wctr_time_now_iso8601(r->time, sizeof r->time);
  char *line = svc_audit_format(r);
  if (line == NULL) {
    wctr_log(WCTR_LOG_ERROR, "audit: a record for %s could not be formatted", r->op != NULL ? r->op : "?");
    return;
  }
  size_t n = strlen(line);
  EnterCriticalSection(&audit.lock);
  if (audit.open) {
    if (audit.size + n + 2 > audit.rotate_bytes && audit.size > 0) rotate();
    DWORD written = 0;
    bool ok = audit.file != INVALID_HANDLE_VALUE && svc_sys.WriteFile(audit.file, line, (DWORD)n, &written, NULL) &&
              written == n && svc_sys.WriteFile(audit.file, "\r\n", 2, &written, NULL) && written == 2;
    if (ok) {
      audit.size += n + 2;
      FlushFileBuffers(audit.file);
    } else {
      audit.lost++;
      wctr_log(WCTR_LOG_ERROR, "audit: the record of %s by %s could not be written (%u lost so far)", r->op,
               r->caller_name, audit.lost);
    }
    if (audit.event_source != NULL) {
      wchar_t *wide = wctr_utf8_to_wide(line);
      if (wide != NULL) {
        LPCWSTR strings[1] = {wide};
        bool refused = strcmp(r->result, "ok") != 0;
        ReportEventW(audit.event_source, refused ? EVENTLOG_WARNING_TYPE : EVENTLOG_INFORMATION_TYPE, 0,
                     refused ? EVENT_ID_REFUSED : EVENT_ID_OK, NULL, 1, 0, strings, NULL);
        free(wide);
      }
    }
  }
  LeaveCriticalSection(&audit.lock);
  cJSON_free(line);
}

void svc_audit_service(const char *op, const char *target, const char *result, const char *detail) {
  svc_audit_record r = {.caller_sid = "S-1-5-18", .caller_name = "wctrd", .op = op, .target = target,
                        .result = result, .detail = detail};
  svc_audit_write(&r);
}

wctr_err svc_audit_register_source(const wchar_t *exe_path, wctr_errmsg *e) {
  HKEY key = NULL;
  LSTATUS rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, EVENT_KEY, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);
  if (rc != ERROR_SUCCESS) {
    return wctr_fail(e, wctr_log_win32("RegCreateKeyExW", (DWORD)rc, "event source"),
                     "cannot register the event log source wctrd (error %ld)", (long)rc);
  }
  DWORD types = EVENTLOG_INFORMATION_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_ERROR_TYPE;
  rc = RegSetValueExW(key, L"EventMessageFile", 0, REG_EXPAND_SZ, (const BYTE *)exe_path,
                      (DWORD)((wcslen(exe_path) + 1) * sizeof(wchar_t)));
  if (rc == ERROR_SUCCESS) rc = RegSetValueExW(key, L"TypesSupported", 0, REG_DWORD, (const BYTE *)&types, sizeof types);
  RegCloseKey(key);
  if (rc != ERROR_SUCCESS) {
    return wctr_fail(e, wctr_log_win32("RegSetValueExW", (DWORD)rc, "event source"),
                     "cannot register the event log source wctrd (error %ld)", (long)rc);
  }
  return WCTR_OK;
}

void svc_audit_deregister_source(void) {
  LSTATUS rc = RegDeleteKeyW(HKEY_LOCAL_MACHINE, EVENT_KEY);
  if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) wctr_log_win32("RegDeleteKeyW", (DWORD)rc, "event source");
}
