/* service/audit.h - the audit trail: who did what, and what was refused.
 *
 * Every request that changes something (svc_audit_op_changes) and every request that fails is recorded,
 * centrally by the operation layer (service/ops.c), never op by op; the service adds its own records for
 * what it does on its own (a data root DACL repaired, secret folders swept at start, a secret used on a
 * volume that is not encrypted because allow-unencrypted-secrets is on).
 *
 * A record is one JSON line (svc_audit_format), keys in this order:
 *   {"Time":"2026-11-22T15:40:01.123Z","CallerSid":"S-1-5-21-...","CallerName":"HOST\\admin",
 *    "Op":"secret.create","Target":"db-password","Result":"ok"}
 * plus "Detail" (the error message of a refused request, or a note) when there is one. Result is "ok" or
 * the error's stable wire code (common/error.h: "access_denied", "invalid_argument", ...). For secrets
 * the target is the secret's name; a value never reaches a record (the operation layer reads only the names
 * listed in svc_audit_target).
 *
 * Windows side (audit_win.c): <data-root>\audit\audit.jsonl, created with ACL_SDDL_DATA_FILE, written
 * through a handle opened with FILE_APPEND_DATA only (every write lands at the end), rotated at
 * SVC_AUDIT_ROTATE_BYTES to audit.1.jsonl ... audit.<SVC_AUDIT_KEEP>.jsonl (the oldest dropped); each
 * record also goes to the Windows Event Log, source SVC_AUDIT_EVENT_SOURCE (registered by `wctrd
 * install`), with ReportEventW: information (event 1) for "ok", warning (event 2) otherwise. */
#ifndef WCTR_SERVICE_AUDIT_H
#define WCTR_SERVICE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define SVC_AUDIT_DIR "audit"
#define SVC_AUDIT_FILE "audit.jsonl"
#define SVC_AUDIT_ROTATE_BYTES (10u * 1024u * 1024u)
#define SVC_AUDIT_KEEP 4
#define SVC_AUDIT_EVENT_SOURCE L"wctrd"
#define SVC_AUDIT_TARGET_MAX 256

typedef struct svc_audit_record {
  char time[40];           /* ISO 8601 UTC; svc_audit_write fills it when empty */
  const char *caller_sid;  /* "S-1-5-18" for what the service does itself */
  const char *caller_name;
  const char *op;          /* the pipe op, or "service.<what>" for the service's own records */
  const char *target;      /* "" when none */
  const char *result;      /* "ok" or a wire error code */
  const char *detail;      /* NULL or "" when none */
} svc_audit_record;

/* The JSON line of a record, without the line end; free with cJSON_free. NULL when out of memory
 * or when a required field (caller_sid, caller_name, op, result) is NULL. Whatever bytes the fields hold,
 * the line is one strict JSON object: well-formed UTF-8 (a byte that is not is written as \ufffd), control
 * characters escaped, no line break (tests/service/fuzz_audit.c). */
char *svc_audit_format(const svc_audit_record *r);

/* Does op change something (container create/start/run/stop/kill/remove/update/restart/rename, secret
 * create/remove, network create/remove/prune), or hand a secret's value out (secret.read, recorded like a
 * change)? Other reads (list, inspect, logs, info, check, audit, ...) are recorded only when refused. */
bool svc_audit_op_changes(const char *op);

/* What a request acts on, from its params: "Id", else "Name", else "Image" (container.create without a
 * name), cut to at most SVC_AUDIT_TARGET_MAX - 1 bytes between two characters; "" when none. Only those keys are read: "Data" (a
 * secret's value) never is. */
void svc_audit_target(const cJSON *params, char out[SVC_AUDIT_TARGET_MAX]);

/* True when line is a record whose Time is at or after since (ISO 8601 UTC strings of wctr's form compare
 * as text); since NULL or "" accepts every record. A line that is not a record is false. */
bool svc_audit_line_since(const char *line, size_t len, const char *since);

/* --since for `wctr audit`: an ISO 8601 UTC time ("2026-11-22", "2026-11-22T15:00:00Z", with or without
 * fraction) or a duration before now ("10m", "2h", "3d", "90s"). now is wctr's ISO form. out receives the
 * time to compare records with. WCTR_EINVAL naming --since. */
wctr_err svc_audit_parse_since(const char *text, const char *now, char out[40], wctr_errmsg *e);

#ifdef _WIN32
/* audit_win.c. One audit trail per process (wctrd has one data root): opened by the engine before the pipe,
 * closed after it. Thread-safe. */
wctr_err svc_audit_open(const char *data_root, wctr_errmsg *e);
void svc_audit_close(void);
/* Writes a record to the file and the Event Log. Never fails the caller: a record that cannot be written
 * is logged (without its detail) and counted. */
void svc_audit_write(svc_audit_record *r);
/* A record for something the service did on its own, as SYSTEM ("S-1-5-18", "wctrd"). */
void svc_audit_service(const char *op, const char *target, const char *result, const char *detail);
/* The size at which the file is rotated; SVC_AUDIT_ROTATE_BYTES unless a test sets a smaller one. */
void svc_audit_set_rotation(uint64_t bytes);
/* Path of the current audit file (for `wctr check`), "" before svc_audit_open. */
void svc_audit_path(char *out, size_t size);
/* Registers / removes the Event Log source (HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\
 * wctrd) with the given message file (wctrd.exe's path). For `wctrd install` / `uninstall`. */
wctr_err svc_audit_register_source(const wchar_t *exe_path, wctr_errmsg *e);
void svc_audit_deregister_source(void);
#endif

#endif
