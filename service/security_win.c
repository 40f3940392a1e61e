/* service/security_win.c - secret, audit and check operations. Contract in service/security.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/acl_win.h"
#include "common/base64.h"
#include "common/json.h"
#include "common/log.h"
#include "common/wstr.h"
#include "service/audit.h"
#include "service/check.h"
#include "service/container.h"
#include "service/secrets.h"
#include "service/security.h"

enum { FOLLOW_POLL_MS = 250, CREDSPEC_MAX = 64 * 1024, CREDSPECS_MAX = 256, CREDSPEC_DEPTH = 8 };

/* --- secrets ------------------------------------------------------------------------------------------- */

/* Names of the containers that name the secret, comma-separated, into out; how many (being created too:
 * service/manager.h). */
static int secret_users(svc_security_host *h, const char *name, char *out, size_t size, cJSON *names) {
  return svc_manager_secret_users(h->manager, name, out, size, names);
}

/* secret.remove's refusal, asked by the store under its lock (service/secrets.h). */
typedef struct remove_check {
  svc_security_host *h;
  bool force;
  int users;
  char names[512];
} remove_check;

static wctr_err secret_in_use(void *ctx, const char *name, wctr_errmsg *e) {
  remove_check *rc = ctx;
  rc->users = secret_users(rc->h, name, rc->names, sizeof rc->names, NULL);
  if (rc->users > 0 && !rc->force) {
    return wctr_fail(e, WCTR_ESTATE, "secret %s is in use by container(s) %s: remove them first or use --force", name,
                     rc->names);
  }
  return WCTR_OK;
}

static wctr_err op_secret_create(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                 wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Data", NULL};
  (void)ctx;
  (void)caller;
  const char *name = NULL;
  const char *data = NULL;
  uint8_t *value = NULL;
  size_t len = 0;
  svc_secret_meta meta;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Name\" is required");
  wctr_err err = WCTR_EINVAL;
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Name", "params", true, &name, e) != WCTR_OK ||
      wctr_json_get_string(params, "Data", "params", true, &data, e) != WCTR_OK) {
    goto done;
  }
  err = spec_secret_check_name(name, "params.Name", e);
  if (err == WCTR_OK) err = wctr_base64_decode(data, strlen(data), &value, &len, "params.Data", e);
  if (err == WCTR_OK) err = svc_secret_create(name, value, len, &meta, e);
  if (err == WCTR_OK) {
    *result = svc_secret_meta_json(&meta);
    if (*result == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    wctr_log(WCTR_LOG_INFO, "secret %s created (%lld bytes)", meta.name, (long long)meta.size);
  }
done:
  if (value != NULL) SecureZeroMemory(value, len);
  free(value);
  /* The request tree is the front-end's and is freed after this returns; its copy of the value (base64 is
   * the value, only spelled differently) is overwritten here so it does not linger in freed memory, also
   * when the request was refused before "Data" was read. */
  const cJSON *sent = cJSON_GetObjectItemCaseSensitive(params, "Data");
  if (cJSON_IsString(sent)) SecureZeroMemory(sent->valuestring, strlen(sent->valuestring));
  return err;
}

static wctr_err op_secret_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                               wctr_errmsg *e) {
  static const char *const keys[] = {NULL};
  (void)ctx;
  (void)caller;
  svc_secret_meta *list = NULL;
  size_t count = 0;
  if (params != NULL && wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  wctr_err err = svc_secret_list(&list, &count, e);
  if (err != WCTR_OK) return err;
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < count; i++) cJSON_AddItemToArray(arr, svc_secret_meta_json(&list[i]));
  free(list);
  if (arr == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  *result = arr;
  return WCTR_OK;
}

static wctr_err name_param(const cJSON *params, const char *const *keys, const char **name, wctr_errmsg *e) {
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Name\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Name", "params", true, name, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  return WCTR_OK;
}

static wctr_err op_secret_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                  wctr_errmsg *e) {
  static const char *const keys[] = {"Name", NULL};
  (void)caller;
  const char *name = NULL;
  svc_secret_meta meta;
  wctr_err err = name_param(params, keys, &name, e);
  if (err == WCTR_OK) err = svc_secret_inspect(name, &meta, e);
  if (err != WCTR_OK) return err;
  cJSON *o = svc_secret_meta_json(&meta);
  cJSON *users = cJSON_AddArrayToObject(o, "UsedBy");
  if (o == NULL || users == NULL) {
    cJSON_Delete(o);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  char names[512];
  secret_users(ctx, name, names, sizeof names, users);
  *result = o;
  return WCTR_OK;
}

static wctr_err op_secret_remove(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                                 wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Force", NULL};
  (void)caller;
  const char *name = NULL;
  bool force = false;
  wctr_err err = name_param(params, keys, &name, e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Force", "params", false, &force, e);
  if (err == WCTR_OK) err = spec_secret_check_name(name, "params.Name", e);
  if (err != WCTR_OK) return err;
  remove_check rc = {.h = ctx, .force = force};
  err = svc_secret_delete(name, secret_in_use, &rc, e);
  if (err != WCTR_OK) return err;
  wctr_log(WCTR_LOG_INFO, "secret %s removed%s%s%s", name, rc.users > 0 ? " (forced; still named by " : "",
           rc.users > 0 ? rc.names : "", rc.users > 0 ? ")" : "");
  *result = cJSON_CreateObject();
  return WCTR_OK;
}

/* An administrator's export of a value (`wctr compose convert --plain-text-secrets`): recorded in the audit
 * trail with the caller (svc_audit_op_changes), named in the log, never shown there. */
static wctr_err op_secret_read(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                               wctr_errmsg *e) {
  static const char *const keys[] = {"Name", NULL};
  (void)ctx;
  const char *name = NULL;
  uint8_t *value = NULL;
  size_t len = 0;
  char *b64 = NULL;
  wctr_err err = name_param(params, keys, &name, e);
  if (err == WCTR_OK) err = svc_secret_read(name, &value, &len, e);
  if (err != WCTR_OK) return err;
  b64 = wctr_base64_encode(value, len);
  SecureZeroMemory(value, len);
  free(value);
  cJSON *o = cJSON_CreateObject();
  bool ok = b64 != NULL && o != NULL && cJSON_AddStringToObject(o, "Name", name) != NULL &&
            cJSON_AddStringToObject(o, "Data", b64) != NULL;
  if (b64 != NULL) SecureZeroMemory(b64, strlen(b64));
  free(b64);
  if (!ok) {
    cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "Data");
    if (cJSON_IsString(data)) SecureZeroMemory(data->valuestring, strlen(data->valuestring));
    cJSON_Delete(o);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_log(WCTR_LOG_INFO, "secret %s read by %s", name, caller->name);
  *result = o;
  return WCTR_OK;
}

/* --- audit ------------------------------------------------------------------------------------------------ */

/* audit.read runs as steps on the I/O core: read what the file has, send it as frames while the client keeps
 * up (past AUDIT_HIGH bytes waiting, continue when it is below AUDIT_LOW), and with Follow look again every
 * FOLLOW_POLL_MS. At most one continuation is outstanding at any time - a posted step, a timer or a drain
 * wait - so steps never run at once, and only a step finishes. on_close only marks the follow closed: the
 * next step (at most one poll later, or at once when it waits for the client) finishes. Cancelling the
 * timer instead would race with its firing. */
enum { AUDIT_HIGH = SVC_SINK_QUEUE_MAX / 2, AUDIT_LOW = SVC_SINK_QUEUE_MAX / 8, AUDIT_STEP_BYTES = 256 * 1024 };

typedef struct audit_follow {
  svc_sink *sink;
  wctr_ioc *ioc;
  HANDLE file;
  uint64_t offset;
  char *pending; /* a line not yet ended */
  size_t pending_len;
  char since[40];
  bool follow;
  int64_t sent;
  CRITICAL_SECTION lock;
  bool closed; /* on_close came */
} audit_follow;

/* Sends every complete line read (at most AUDIT_STEP_BYTES of the file per call) that passes since. *more:
 * the file has more to read now. */
static wctr_err send_new_lines(audit_follow *r, bool *more) {
  char buf[8192];
  size_t taken = 0;
  *more = false;
  while (taken < AUDIT_STEP_BYTES) {
    LARGE_INTEGER at = {.QuadPart = (LONGLONG)r->offset};
    DWORD got = 0;
    if (!SetFilePointerEx(r->file, at, NULL, FILE_BEGIN) || !ReadFile(r->file, buf, sizeof buf, &got, NULL)) {
      return WCTR_EIO;
    }
    if (got == 0) return WCTR_OK;
    taken += got;
    r->offset += got;
    char *joined = realloc(r->pending, r->pending_len + got + 1);
    if (joined == NULL) return WCTR_ENOMEM;
    memcpy(joined + r->pending_len, buf, got);
    r->pending = joined;
    r->pending_len += got;
    size_t start = 0;
    for (size_t i = 0; i < r->pending_len; i++) {
      if (r->pending[i] != '\n') continue;
      size_t len = i - start;
      if (len > 0 && r->pending[start + len - 1] == '\r') len--;
      if (len > 0 && svc_audit_line_since(r->pending + start, len, r->since)) {
        cJSON *rec = cJSON_ParseWithLength(r->pending + start, len);
        if (rec != NULL) {
          if (svc_sink_frame(r->sink, "record", rec) != WCTR_OK) return WCTR_EPIPE;
          r->sent++;
        }
      }
      start = i + 1;
    }
    memmove(r->pending, r->pending + start, r->pending_len - start);
    r->pending_len -= start;
  }
  *more = true;
  return WCTR_OK;
}

static void audit_step(void *arg);

static bool audit_closed(audit_follow *r) {
  EnterCriticalSection(&r->lock);
  bool closed = r->closed;
  LeaveCriticalSection(&r->lock);
  return closed;
}

/* The last act of a step: after finish, r may be released at any moment. */
static void audit_finish(audit_follow *r, wctr_err err) {
  if (err == WCTR_OK || err == WCTR_EPIPE) {
    cJSON *res = cJSON_CreateObject();
    cJSON_AddNumberToObject(res, "Records", (double)r->sent);
    svc_sink_finish(r->sink, WCTR_OK, res, NULL);
  } else {
    svc_sink_finish(r->sink, err, NULL, "the audit log cannot be read");
  }
}

static void audit_step(void *arg) {
  audit_follow *r = arg;
  if (audit_closed(r)) {
    audit_finish(r, WCTR_EPIPE);
    return;
  }
  bool more = false;
  wctr_err err = send_new_lines(r, &more);
  if (err != WCTR_OK) {
    audit_finish(r, err);
    return;
  }
  if (r->sink->methods->pending(r->sink) > AUDIT_HIGH) {
    /* Runs when the client has taken enough, or is gone (then the frames fail and the step finishes). */
    r->sink->methods->when_drained(r->sink, AUDIT_LOW, audit_step, r);
    return;
  }
  if (more) {
    if (!wctr_ioc_post(r->ioc, audit_step, r)) audit_finish(r, WCTR_ECANCELED);
    return;
  }
  if (!r->follow) {
    audit_finish(r, WCTR_OK);
    return;
  }
  wctr_ioc_timer *timer = NULL;
  wctr_errmsg e;
  wctr_err armed = wctr_ioc_timer_start(r->ioc, FOLLOW_POLL_MS, audit_step, r, &timer, &e);
  if (armed != WCTR_OK) audit_finish(r, armed);
}

static void audit_on_close(void *ctx) {
  audit_follow *r = ctx;
  EnterCriticalSection(&r->lock);
  r->closed = true;
  LeaveCriticalSection(&r->lock);
}

static void audit_on_release(void *ctx) {
  audit_follow *r = ctx;
  if (r->file != INVALID_HANDLE_VALUE) CloseHandle(r->file);
  free(r->pending);
  DeleteCriticalSection(&r->lock);
  free(r);
}

static void start_audit(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  static const char *const keys[] = {"Since", "Follow", NULL};
  svc_security_host *h = ctx;
  (void)caller;
  const char *since = NULL;
  bool follow = false;
  wctr_errmsg e;
  char path[1200];
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, &e) != WCTR_OK ||
                         wctr_json_get_string(params, "Since", "params", false, &since, &e) != WCTR_OK ||
                         wctr_json_get_bool(params, "Follow", "params", false, &follow, &e) != WCTR_OK)) {
    svc_sink_finish(sink, WCTR_EINVAL, NULL, e.text);
    return;
  }
  char from[40] = "";
  if (since != NULL) {
    char now[40];
    wctr_time_now_iso8601(now, sizeof now);
    if (svc_audit_parse_since(since, now, from, &e) != WCTR_OK) {
      svc_sink_finish(sink, WCTR_EINVAL, NULL, e.text);
      return;
    }
  }
  audit_follow *r = calloc(1, sizeof *r);
  if (r == NULL) {
    svc_sink_finish(sink, WCTR_ENOMEM, NULL, "out of memory");
    return;
  }
  r->sink = sink;
  r->ioc = h->ioc;
  r->follow = follow;
  snprintf(r->since, sizeof r->since, "%s", from);
  InitializeCriticalSection(&r->lock);
  svc_audit_path(path, sizeof path);
  wchar_t *wide = wctr_utf8_to_wide(path);
  /* The writer keeps its append handle open: share write and delete (rotation renames it). */
  r->file = wide != NULL ? CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                       NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL)
                         : INVALID_HANDLE_VALUE;
  free(wide);
  sink->op_ctx = r;
  sink->on_close = audit_on_close;
  sink->on_release = audit_on_release;
  if (r->file == INVALID_HANDLE_VALUE) {
    svc_sink_finish(sink, WCTR_ENOENT, NULL, "the audit log cannot be opened");
    return;
  }
  if (!wctr_ioc_post(h->ioc, audit_step, r)) svc_sink_finish(sink, WCTR_ECANCELED, NULL, "wctrd is stopping");
}

/* --- check ------------------------------------------------------------------------------------------------ */

/* A fact that may be missing: value when err is WCTR_OK, else the error's text. */
static void text_or_error(wctr_err err, const char *value, const wctr_errmsg *e, svc_check_text *out) {
  out->value = err == WCTR_OK ? value : NULL;
  out->error = err == WCTR_OK ? NULL : e->text;
}

typedef struct credspec_files {
  svc_check_credspec items[CREDSPECS_MAX];
  char *names[CREDSPECS_MAX];
  char *texts[CREDSPECS_MAX];
  size_t count;
  size_t unchecked; /* files that were not read: past CREDSPECS_MAX, too large, or not readable */
} credspec_files;

/* Reads every file under dir (rel: its path under the credentialspecs folder, "" at the top), whatever its
 * name - a spec added as leak.tmp, or one in a sub-folder (file:// names may have folders), was never read -
 * without following reparse points, CREDSPEC_DEPTH folders deep at most. */
static void read_credspecs_in(const char *dir, const char *rel, int depth, credspec_files *cs) {
  wchar_t pattern[1200];
  if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, pattern, ARRAYSIZE(pattern) - 4) <= 0) return;
  wcscat(pattern, L"\\*");
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return;
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
    char *name = wctr_wide_to_utf8(fd.cFileName);
    if (name == NULL) {
      cs->unchecked++;
      continue;
    }
    char path[1400];
    char sub[1100];
    snprintf(path, sizeof path, "%s\\%s", dir, name);
    snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] != '\0' ? "\\" : "", name);
    free(name);
    if (fd.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
      cs->unchecked++; /* a link may lead anywhere: not followed, and said */
      continue;
    }
    if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
      if (depth < CREDSPEC_DEPTH) {
        read_credspecs_in(path, sub, depth + 1, cs);
      } else {
        cs->unchecked++;
      }
      continue;
    }
    uint64_t size = ((uint64_t)fd.nFileSizeHigh << 32) | fd.nFileSizeLow;
    if (cs->count == CREDSPECS_MAX || size > CREDSPEC_MAX) {
      cs->unchecked++;
      continue;
    }
    wchar_t *wide = wctr_utf8_to_wide(path);
    HANDLE h = wide != NULL ? CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL)
                            : INVALID_HANDLE_VALUE;
    free(wide);
    char *text = h != INVALID_HANDLE_VALUE ? malloc(CREDSPEC_MAX) : NULL;
    char *copy = text != NULL ? strdup(sub) : NULL;
    DWORD got = 0;
    if (copy != NULL && ReadFile(h, text, CREDSPEC_MAX, &got, NULL)) {
      size_t i = cs->count++;
      cs->names[i] = copy;
      cs->texts[i] = text;
      cs->items[i] = (svc_check_credspec){.file = copy, .text = text, .len = got};
    } else {
      cs->unchecked++;
      free(copy);
      free(text);
    }
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  } while (FindNextFileW(find, &fd));
  FindClose(find);
}

static void read_credspecs(const char *data_root, credspec_files *cs) {
  char dir[1100];
  snprintf(dir, sizeof dir, "%s\\credentialspecs", data_root);
  read_credspecs_in(dir, "", 0, cs);
}

/* The <id>.damaged folders under <data-root>\containers: records the store moved aside at a start. */
typedef struct damaged_list {
  char names[CREDSPECS_MAX][SVC_ID_HEX + 16];
  const char *list[CREDSPECS_MAX];
  size_t count;
} damaged_list;

static void find_damaged(const char *data_root, damaged_list *d) {
  char dir[1100];
  wchar_t pattern[1200];
  snprintf(dir, sizeof dir, "%s\\containers", data_root);
  if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, pattern, ARRAYSIZE(pattern) - 16) <= 0) return;
  wcscat(pattern, L"\\*.damaged");
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return;
  do {
    if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || d->count == CREDSPECS_MAX) continue;
    char *name = wctr_wide_to_utf8(fd.cFileName);
    if (name == NULL) continue;
    snprintf(d->names[d->count], sizeof d->names[d->count], "%s", name);
    d->list[d->count] = d->names[d->count];
    d->count++;
    free(name);
  } while (FindNextFileW(find, &fd));
  FindClose(find);
}

typedef struct orphan_ctx {
  char ids[64][SVC_ID_HEX + 1];
  const char *list[64];
  size_t count;
} orphan_ctx;

static void note_orphan(void *arg, const char *id, const char *folder) {
  (void)folder;
  orphan_ctx *o = arg;
  if (o->count == 64) return;
  snprintf(o->ids[o->count], sizeof o->ids[o->count], "%s", id);
  o->list[o->count] = o->ids[o->count];
  o->count++;
}

static wctr_err op_check(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {NULL};
  (void)caller;
  svc_security_host *h = ctx;
  if (params != NULL && wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  svc_host_facts facts;
  memset(&facts, 0, sizeof facts);
  h->host_facts(h->ctx, &facts);
  svc_check_facts f = {.data_root = h->data_root, .bitlocker = facts.bitlocker,
                       .allow_unencrypted_secrets = h->allow_unencrypted_secrets,
                       .hcs_available = facts.hcs_available, .hcs_detail = facts.hcs_detail,
                       .os_version = facts.os_version};
  wctr_errmsg e1, e2, e3, e4, e5;
  char *root_dacl = NULL, *bin_dacl = NULL, *dir_dacl = NULL, *audit_dacl = NULL;
  char pipe[2048];
  /* Each read first, then its result: the value pointer is only known after the call. */
  wctr_err got = acl_read_dacl(h->data_root, &root_dacl, &e1);
  text_or_error(got, root_dacl, &e1, &f.data_root_dacl);
  got = h->pipe_sddl(h->ctx, pipe, sizeof pipe, &e2);
  text_or_error(got, pipe, &e2, &f.pipe_dacl);
  wchar_t exe[MAX_PATH];
  char binary[MAX_PATH * 3] = "";
  char folder[MAX_PATH * 3] = "";
  DWORD n = GetModuleFileNameW(NULL, exe, ARRAYSIZE(exe));
  if (n > 0 && n < ARRAYSIZE(exe)) WideCharToMultiByte(CP_UTF8, 0, exe, -1, binary, sizeof binary, NULL, NULL);
  snprintf(folder, sizeof folder, "%s", binary);
  char *slash = strrchr(folder, '\\');
  if (slash != NULL) *slash = '\0';
  f.binary_path = binary;
  got = acl_read_dacl(binary, &bin_dacl, &e3);
  text_or_error(got, bin_dacl, &e3, &f.binary_dacl);
  got = acl_read_dacl(folder, &dir_dacl, &e4);
  text_or_error(got, dir_dacl, &e4, &f.binary_dir_dacl);
  wctr_err err = WCTR_OK;
  cJSON *trust = NULL;
  cJSON *records = svc_manager_records(h->manager);
  f.containers = records;
  credspec_files *cs = calloc(1, sizeof *cs);
  orphan_ctx *orphans = calloc(1, sizeof *orphans);
  damaged_list *damaged = calloc(1, sizeof *damaged);
  if (cs == NULL || orphans == NULL || damaged == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  read_credspecs(h->data_root, cs);
  f.credspecs = cs->items;
  f.credspec_count = cs->count;
  f.credspecs_unchecked = cs->unchecked;
  find_damaged(h->data_root, damaged);
  f.damaged_records = damaged->list;
  f.damaged_count = damaged->count;
  /* Reported, not removed: the sweep at start removes them. */
  svc_secrets_orphans(svc_manager_running, h->manager, note_orphan, orphans);
  f.orphaned_secret_dirs = orphans->list;
  f.orphaned_count = orphans->count;
  char audit_path[1200];
  svc_audit_path(audit_path, sizeof audit_path);
  wchar_t *wide = wctr_utf8_to_wide(audit_path);
  f.audit_present = audit_path[0] != '\0' && wide != NULL && GetFileAttributesW(wide) != INVALID_FILE_ATTRIBUTES;
  free(wide);
  if (f.audit_present) {
    got = acl_read_dacl(audit_path, &audit_dacl, &e5);
    text_or_error(got, audit_dacl, &e5, &f.audit_dacl);
  }
  trust = h->image_trust != NULL ? h->image_trust(h->ctx) : NULL;
  f.image_trust = trust;
  svc_check_result results[SVC_CHECK_COUNT];
  svc_check_run(&f, results);
  *result = svc_check_json(results, SVC_CHECK_COUNT);
  if (*result == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
done:
  for (size_t i = 0; cs != NULL && i < cs->count; i++) {
    /* A credential spec may hold a password: do not leave it in freed memory. */
    SecureZeroMemory(cs->texts[i], CREDSPEC_MAX);
    free(cs->texts[i]);
    free(cs->names[i]);
  }
  free(cs);
  free(damaged);
  free(orphans);
  cJSON_Delete(records);
  cJSON_Delete(trust);
  free(root_dacl);
  free(bin_dacl);
  free(dir_dacl);
  free(audit_dacl);
  return err;
}

static const svc_op security_ops[] = {
    {.name = "secret.create", .call = op_secret_create},
    {.name = "secret.list", .call = op_secret_list},
    {.name = "secret.inspect", .call = op_secret_inspect},
    {.name = "secret.remove", .call = op_secret_remove},
    {.name = "secret.read", .call = op_secret_read, .flags = SVC_OP_ADMIN},
    {.name = "audit.read", .start = start_audit, .flags = SVC_OP_ADMIN | SVC_OP_STREAM},
    /* Reads descriptors, probes HCS, job objects and BitLocker (WMI): not on a worker. */
    {.name = "check", .call = op_check, .flags = SVC_OP_BLOCKING},
};

const svc_op *svc_security_ops(size_t *count) {
  *count = sizeof security_ops / sizeof security_ops[0];
  return security_ops;
}
