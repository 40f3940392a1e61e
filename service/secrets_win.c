/* service/secrets_win.c - the encrypted secret store and the per-container secret folders. Contract in
 * service/secrets.h. */
#include <windows.h>

#include <bcrypt.h>
#include <dpapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "common/base64.h"
#include "common/log.h"
#include "common/wstr.h"
#include "jobs/job.h"
#include "service/audit.h"
#include "service/container.h"
#include "service/secrets.h"
#include "service/store.h"

enum { ENTROPY_BYTES = 32 };

/* Creates and removals one at a time: two creates of one name must not both pass the "exists?" check. */
static SRWLOCK store_lock = SRWLOCK_INIT;

static struct {
  SRWLOCK lock;
  char data_root[1024];
  bool allow_unencrypted;
} cfg = {SRWLOCK_INIT, "", false};

void svc_secrets_configure(const char *data_root, bool allow_unencrypted) {
  AcquireSRWLockExclusive(&cfg.lock);
  snprintf(cfg.data_root, sizeof cfg.data_root, "%s", data_root);
  cfg.allow_unencrypted = allow_unencrypted;
  ReleaseSRWLockExclusive(&cfg.lock);
}

static void settings(char *root, size_t size, bool *allow) {
  AcquireSRWLockShared(&cfg.lock);
  snprintf(root, size, "%s", cfg.data_root);
  *allow = cfg.allow_unencrypted;
  ReleaseSRWLockShared(&cfg.lock);
}

/* The BitLocker gate. A refusal is the caller's error (the operation layer records it with who asked); an
 * allowance under "allow-unencrypted-secrets" comes back in note (else "") for the caller's own audit
 * record, and is logged. */
static wctr_err gate(char *note, size_t note_size, wctr_errmsg *e) {
  char root[1024];
  bool allow = false;
  char why[900];
  acl_bitlocker_status volume;
  note[0] = '\0';
  settings(root, sizeof root, &allow);
  if (root[0] == '\0') return wctr_fail(e, WCTR_ESTATE, "secrets are not configured in this process");
  acl_bitlocker_probe(root, &volume);
  svc_secrets_gate decision = svc_secrets_gate_decide(&volume, allow, why, sizeof why);
  if (decision == SVC_SECRETS_REFUSED) return wctr_fail(e, WCTR_EACCES, "%s", why);
  if (decision == SVC_SECRETS_ALLOWED_UNENCRYPTED) {
    wctr_log(WCTR_LOG_WARN, "secrets: %s", why);
    snprintf(note, note_size, "%s", why);
  }
  return WCTR_OK;
}

/* store.h's atomic write, with the file created under the descriptor sddl from its first instant. */
static wctr_err write_atomic_sddl(const char *path, const char *sddl, const char *text, size_t len, wctr_errmsg *e) {
  acl_sa sa;
  wctr_err err = acl_sa_from_sddl(sddl, &sa, e);
  if (err == WCTR_OK) err = svc_write_atomic_sa(path, text, len, &sa.sa, e);
  acl_sa_free(&sa);
  return err;
}

static wctr_err random_bytes(uint8_t *out, size_t n, wctr_errmsg *e) {
  NTSTATUS st = BCryptGenRandom(NULL, out, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (st != 0) return wctr_fail(e, WCTR_ESYSTEM, "no random numbers (BCryptGenRandom 0x%08lx)", (unsigned long)st);
  return WCTR_OK;
}

static void store_dir(char *out, size_t size) {
  char root[1024];
  bool allow;
  settings(root, sizeof root, &allow);
  snprintf(out, size, "%s\\secrets", root);
}

/* Calls fn for every stored record until it returns false. Files that cannot be read are logged and
 * skipped: one damaged file must not hide the others. A .json.tmp is a create in progress (or one a crash
 * interrupted: the start-up sweep removes those) and is not a record. */
typedef bool (*record_fn)(void *ctx, const char *path, const svc_secret_meta *m, const uint8_t *entropy,
                          size_t entropy_len, const uint8_t *blob, size_t blob_len);
static void for_each_record(record_fn fn, void *ctx) {
  char dir[1100];
  wchar_t pattern[1200];
  store_dir(dir, sizeof dir);
  if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, pattern, ARRAYSIZE(pattern) - 8) <= 0) return;
  wcscat(pattern, L"\\*");
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return;
  bool go = true;
  do {
    if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) continue;
    char *name = wctr_wide_to_utf8(fd.cFileName);
    if (name == NULL) continue;
    char path[1300];
    snprintf(path, sizeof path, "%s\\%s", dir, name);
    size_t n = strlen(name);
    if (n > 5 && strcmp(name + n - 5, ".json") == 0) {
      char *text = NULL;
      size_t len = 0;
      wctr_errmsg e;
      svc_secret_meta m;
      uint8_t *entropy = NULL, *blob = NULL;
      size_t entropy_len = 0, blob_len = 0;
      wchar_t *wpath = wctr_utf8_to_wide(path);
      wctr_err read = wpath != NULL ? svc_read_text(wpath, &text, &len) : WCTR_ENOMEM;
      free(wpath);
      if (read == WCTR_ENOENT) {
        /* Removed since the folder was listed, from outside (no removal of ours runs while the store is read
         * under its lock): not damage. */
        wctr_log(WCTR_LOG_DEBUG, "secret store: %s went away while the store was read", path);
      } else if (read != WCTR_OK) {
        wctr_log(WCTR_LOG_ERROR, "secret store: %s is skipped: it cannot be read (%s)", path, wctr_strerror(read));
      } else if (svc_secret_record_parse(text, len, path, &m, &entropy, &entropy_len, &blob, &blob_len, &e) == WCTR_OK) {
        go = fn(ctx, path, &m, entropy, entropy_len, blob, blob_len);
      } else {
        wctr_log(WCTR_LOG_ERROR, "secret store: %s is skipped: %s", path, e.text);
      }
      free(text);
      free(entropy);
      free(blob);
    }
    free(name);
  } while (go && FindNextFileW(find, &fd));
  FindClose(find);
}

typedef struct find_ctx {
  const char *name;
  bool found;
  char path[1300];
  svc_secret_meta meta;
  /* When want_value: the decrypted value (zeroed and LocalFree'd by the caller). */
  bool want_value;
  DATA_BLOB value;
  wctr_err err;
  wctr_errmsg *e;
} find_ctx;

static bool find_one(void *p, const char *path, const svc_secret_meta *m, const uint8_t *entropy, size_t entropy_len,
                     const uint8_t *blob, size_t blob_len) {
  find_ctx *f = p;
  if (strcmp(m->name, f->name) != 0) return true;
  f->found = true;
  f->meta = *m;
  snprintf(f->path, sizeof f->path, "%s", path);
  if (f->want_value) {
    DATA_BLOB in = {.cbData = (DWORD)blob_len, .pbData = (BYTE *)blob};
    DATA_BLOB ent = {.cbData = (DWORD)entropy_len, .pbData = (BYTE *)entropy};
    if (!CryptUnprotectData(&in, NULL, &ent, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &f->value)) {
      DWORD code = GetLastError();
      f->err = wctr_fail(f->e, wctr_log_win32("CryptUnprotectData", code, "secret %s", m->name),
                         "secret %s cannot be decrypted on this host (error %lu)", m->name, (unsigned long)code);
    } else if (f->value.cbData != (DWORD)m->size) {
      SecureZeroMemory(f->value.pbData, f->value.cbData);
      LocalFree(f->value.pbData);
      f->value.pbData = NULL;
      f->err = wctr_fail(f->e, WCTR_EIO, "secret %s: the decrypted size does not match its record", m->name);
    }
  }
  return false;
}

/* Before svc_secrets_configure there is no data root: nothing may be looked for, written or removed
 * relative to the current drive. */
static bool configured(void) {
  AcquireSRWLockShared(&cfg.lock);
  bool yes = cfg.data_root[0] != '\0';
  ReleaseSRWLockShared(&cfg.lock);
  return yes;
}

static wctr_err find_secret(const char *name, bool want_value, find_ctx *f, wctr_errmsg *e) {
  memset(f, 0, sizeof *f);
  if (!configured()) return wctr_fail(e, WCTR_ESTATE, "secrets are not configured in this process");
  f->name = name;
  f->want_value = want_value;
  f->e = e;
  for_each_record(find_one, f);
  if (!f->found) return wctr_fail(e, WCTR_ENOENT, "no such secret: %s", name);
  return f->err;
}

wctr_err svc_secret_create(const char *name, const uint8_t *value, size_t len, svc_secret_meta *out,
                           wctr_errmsg *e) {
  uint8_t entropy[ENTROPY_BYTES];
  uint8_t id_bytes[32];
  DATA_BLOB blob = {0};
  char *entropy_b64 = NULL;
  char *blob_b64 = NULL;
  char *record = NULL;
  find_ctx existing;
  wctr_err err = spec_secret_check_name(name, "params.Name", e);
  if (err == WCTR_OK) err = svc_secret_check_size(len, e);
  if (err != WCTR_OK) return err;
  AcquireSRWLockExclusive(&store_lock);
  if (find_secret(name, false, &existing, e) == WCTR_OK) {
    ReleaseSRWLockExclusive(&store_lock);
    return wctr_fail(e, WCTR_EEXIST, "secret %s already exists; remove it first (wctr secret rm %s)", name, name);
  }
  char note[900];
  err = gate(note, sizeof note, e);
  if (err != WCTR_OK) goto done;
  if (note[0] != '\0') svc_audit_service("secret.create", name, "ok", note);
  err = random_bytes(entropy, sizeof entropy, e);
  if (err == WCTR_OK) err = random_bytes(id_bytes, sizeof id_bytes, e);
  if (err != WCTR_OK) goto done;
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < sizeof id_bytes; i++) snprintf(out->id + 2 * i, 3, "%02x", id_bytes[i]);
  snprintf(out->name, sizeof out->name, "%s", name);
  wctr_time_now_iso8601(out->created, sizeof out->created);
  out->size = (int64_t)len;
  DATA_BLOB in = {.cbData = (DWORD)len, .pbData = (BYTE *)value};
  DATA_BLOB ent = {.cbData = sizeof entropy, .pbData = entropy};
  /* Machine scope: LocalSystem (the service) and an administrator's console wctrd decrypt alike. The
   * description is stored in clear inside the blob, so it says nothing about the secret. */
  if (!CryptProtectData(&in, L"wctr secret", &ent, NULL, NULL, CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN,
                        &blob)) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("CryptProtectData", code, "secret %s", name),
                    "cannot encrypt secret %s (error %lu)", name, (unsigned long)code);
    goto done;
  }
  entropy_b64 = wctr_base64_encode(entropy, sizeof entropy);
  blob_b64 = wctr_base64_encode(blob.pbData, blob.cbData);
  record = entropy_b64 != NULL && blob_b64 != NULL ? svc_secret_record_format(out, entropy_b64, blob_b64) : NULL;
  if (record == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  char dir[1100];
  char path[1300];
  store_dir(dir, sizeof dir);
  err = acl_create_dir(dir, ACL_SDDL_DATA_ROOT, NULL, e);
  snprintf(path, sizeof path, "%s\\%s.json", dir, out->id);
  if (err == WCTR_OK) err = write_atomic_sddl(path, ACL_SDDL_DATA_FILE, record, strlen(record), e);
done:
  ReleaseSRWLockExclusive(&store_lock);
  SecureZeroMemory(entropy, sizeof entropy);
  if (blob.pbData != NULL) LocalFree(blob.pbData);
  free(entropy_b64);
  free(blob_b64);
  cJSON_free(record);
  return err;
}

typedef struct list_ctx {
  svc_secret_meta *list;
  size_t count;
  size_t cap;
  bool failed;
} list_ctx;

static bool list_one(void *p, const char *path, const svc_secret_meta *m, const uint8_t *entropy, size_t entropy_len,
                     const uint8_t *blob, size_t blob_len) {
  (void)path, (void)entropy, (void)entropy_len, (void)blob, (void)blob_len;
  list_ctx *l = p;
  if (l->count == l->cap) {
    size_t cap = l->cap == 0 ? 16 : l->cap * 2;
    svc_secret_meta *grown = realloc(l->list, cap * sizeof *grown);
    if (grown == NULL) {
      l->failed = true;
      return false;
    }
    l->list = grown;
    l->cap = cap;
  }
  l->list[l->count++] = *m;
  return true;
}

wctr_err svc_secret_list(svc_secret_meta **list, size_t *count, wctr_errmsg *e) {
  list_ctx l = {0};
  if (!configured()) return wctr_fail(e, WCTR_ESTATE, "secrets are not configured in this process");
  AcquireSRWLockShared(&store_lock);
  for_each_record(list_one, &l);
  ReleaseSRWLockShared(&store_lock);
  if (l.failed) {
    free(l.list);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *list = l.list;
  *count = l.count;
  return WCTR_OK;
}

wctr_err svc_secret_inspect(const char *name, svc_secret_meta *out, wctr_errmsg *e) {
  find_ctx f;
  wctr_err err = spec_secret_check_name(name, "params.Name", e);
  if (err != WCTR_OK) return err;
  AcquireSRWLockShared(&store_lock);
  err = find_secret(name, false, &f, e);
  ReleaseSRWLockShared(&store_lock);
  if (err == WCTR_OK) *out = f.meta;
  return err;
}

wctr_err svc_secret_delete(const char *name, svc_secret_in_use_fn in_use, void *ctx, wctr_errmsg *e) {
  find_ctx f;
  wctr_err err = spec_secret_check_name(name, "params.Name", e);
  if (err != WCTR_OK) return err;
  AcquireSRWLockExclusive(&store_lock);
  err = find_secret(name, false, &f, e);
  /* Asked under the lock that a container create's last check of its secrets takes too: no create can slip
   * between this answer and the removal (service/manager.h svc_manager_secret_users). */
  if (err == WCTR_OK && in_use != NULL) err = in_use(ctx, name, e);
  if (err != WCTR_OK) {
    ReleaseSRWLockExclusive(&store_lock);
    return err;
  }
  wchar_t *wide = wctr_utf8_to_wide(f.path);
  BOOL ok = wide != NULL && DeleteFileW(wide);
  DWORD code = GetLastError();
  ReleaseSRWLockExclusive(&store_lock);
  free(wide);
  if (!ok) {
    return wctr_fail(e, wctr_log_win32("DeleteFileW", code, "%s", f.path), "cannot remove secret %s (error %lu)",
                     name, (unsigned long)code);
  }
  return WCTR_OK;
}

wctr_err svc_secrets_check_refs(const spec_container *spec, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  AcquireSRWLockShared(&store_lock);
  for (size_t i = 0; i < spec->secret_count && err == WCTR_OK; i++) {
    find_ctx f;
    err = find_secret(spec->secrets[i].name, false, &f, e);
  }
  ReleaseSRWLockShared(&store_lock);
  return err;
}

static void secrets_dir_of(const char *id, char *out, size_t size) {
  char root[1024];
  bool allow;
  settings(root, sizeof root, &allow);
  snprintf(out, size, "%s\\containers\\%s\\secrets", root, id);
}

bool svc_secrets_cleanup(const char *id) {
  char dir[1200];
  if (!configured()) return true; /* nothing can have been materialised */
  secrets_dir_of(id, dir, sizeof dir);
  wchar_t *wide = wctr_utf8_to_wide(dir);
  BOOL gone = wide != NULL && svc_delete_tree(wide);
  free(wide);
  return gone;
}

wctr_err svc_secrets_materialize(const char *id, const char *name, const spec_container *spec, const char *reader_sid,
                                 char *dir_out, size_t dir_size, wctr_errmsg *e) {
  char *dir_sddl = NULL;
  char *file_sddl = NULL;
  char names[1024] = "";
  char dir[1200];
  bool created = false;
  dir_out[0] = '\0';
  if (spec->secret_count == 0) return WCTR_OK;
  for (size_t i = 0; i < spec->secret_count; i++) {
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%s", i > 0 ? "," : "", spec->secrets[i].name);
  }
  char note[900];
  wctr_err err = gate(note, sizeof note, e);
  if (err == WCTR_OK) err = acl_secrets_dir_sddl(reader_sid, &dir_sddl, e);
  if (err == WCTR_OK) err = acl_secret_file_sddl(reader_sid, &file_sddl, e);
  if (err != WCTR_OK) goto done;
  secrets_dir_of(id, dir, sizeof dir);
  /* A folder left by a crash would keep its old DACL (CreateDirectoryW does not replace it): start clean. */
  svc_secrets_cleanup(id);
  err = acl_create_dir(dir, dir_sddl, &created, e);
  if (err != WCTR_OK) goto done;
  for (size_t i = 0; i < spec->secret_count && err == WCTR_OK; i++) {
    const spec_secret_ref *ref = &spec->secrets[i];
    find_ctx f;
    char path[1400];
    HANDLE h = INVALID_HANDLE_VALUE;
    AcquireSRWLockShared(&store_lock);
    err = find_secret(ref->name, true, &f, e);
    ReleaseSRWLockShared(&store_lock);
    if (err != WCTR_OK) break;
    snprintf(path, sizeof path, "%s\\%s", dir, ref->target);
    err = acl_create_file(path, file_sddl, GENERIC_WRITE, 0, CREATE_NEW, &h, e);
    if (err == WCTR_OK) {
      DWORD written = 0;
      if (!WriteFile(h, f.value.pbData, f.value.cbData, &written, NULL) || written != f.value.cbData ||
          !FlushFileBuffers(h)) {
        DWORD code = GetLastError();
        err = wctr_fail(e, wctr_log_win32("WriteFile", code, "%s", path), "cannot write secret %s for container %s (error %lu)",
                        ref->name, name, (unsigned long)code);
      }
      CloseHandle(h);
    }
    SecureZeroMemory(f.value.pbData, f.value.cbData);
    LocalFree(f.value.pbData);
  }
  if (err == WCTR_OK) {
    char detail[2300];
    snprintf(dir_out, dir_size, "%s", dir);
    snprintf(detail, sizeof detail, "secrets %s given to container %.12s as %s%s%s", names, id, reader_sid,
             note[0] != '\0' ? "; " : "", note);
    svc_audit_service("secret.use", name, "ok", detail);
  }
done:
  if (err != WCTR_OK) {
    svc_secrets_cleanup(id);
    dir_out[0] = '\0';
  }
  free(dir_sddl);
  free(file_sddl);
  return err;
}

size_t svc_secrets_orphans(bool (*running)(void *ctx, const char *id), void *ctx,
                           void (*fn)(void *arg, const char *id, const char *folder), void *arg) {
  char root[1024];
  char dir[1100];
  wchar_t pattern[1200];
  bool allow;
  size_t found = 0;
  settings(root, sizeof root, &allow);
  if (root[0] == '\0') return 0;
  snprintf(dir, sizeof dir, "%s\\containers", root);
  if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, pattern, ARRAYSIZE(pattern) - 8) <= 0) return 0;
  wcscat(pattern, L"\\*");
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return 0;
  do {
    if (!(fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || wcslen(fd.cFileName) < SVC_ID_HEX) continue;
    char *name = wctr_wide_to_utf8(fd.cFileName);
    if (name == NULL) continue;
    /* <id>, or <id>.removing / <id>.damaged left by the store: the id is the first 64 characters. */
    char id[SVC_ID_HEX + 1];
    snprintf(id, sizeof id, "%.64s", name);
    char sub[1400];
    snprintf(sub, sizeof sub, "%s\\%s\\secrets", dir, name);
    wchar_t *wide = wctr_utf8_to_wide(sub);
    DWORD attrs = wide != NULL ? GetFileAttributesW(wide) : INVALID_FILE_ATTRIBUTES;
    free(wide);
    bool live = strlen(name) == SVC_ID_HEX && running(ctx, id);
    if (attrs != INVALID_FILE_ATTRIBUTES && !live) {
      found++;
      fn(arg, id, sub);
    }
    free(name);
  } while (FindNextFileW(find, &fd));
  FindClose(find);
  return found;
}

typedef struct sweep_ctx {
  size_t removed;
  char ids[600];
} sweep_ctx;

static void sweep_one(void *arg, const char *id, const char *folder) {
  sweep_ctx *sw = arg;
  wchar_t *wide = wctr_utf8_to_wide(folder);
  if (wide != NULL && svc_delete_tree(wide)) {
    size_t used = strlen(sw->ids);
    snprintf(sw->ids + used, sizeof sw->ids - used, "%s%.12s", sw->removed > 0 ? "," : "", id);
    sw->removed++;
  } else {
    wctr_log(WCTR_LOG_ERROR, "cannot remove the secrets of container %.12s (%s)", id, folder);
  }
  free(wide);
}

/* The .json.tmp of a create that a crash interrupted: encrypted, but not a secret anyone asked for. */
static void remove_interrupted_creates(void) {
  char dir[1100];
  wchar_t pattern[1200];
  store_dir(dir, sizeof dir);
  if (MultiByteToWideChar(CP_UTF8, 0, dir, -1, pattern, ARRAYSIZE(pattern) - 16) <= 0) return;
  size_t base = wcslen(pattern);
  wcscat(pattern, L"\\*.json.tmp");
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find == INVALID_HANDLE_VALUE) return;
  do {
    wchar_t path[1500];
    _snwprintf(path, ARRAYSIZE(path), L"%.*ls\\%ls", (int)base, pattern, fd.cFileName);
    path[ARRAYSIZE(path) - 1] = L'\0';
    DeleteFileW(path);
  } while (FindNextFileW(find, &fd));
  FindClose(find);
}

size_t svc_secrets_sweep(bool (*running)(void *ctx, const char *id), void *ctx) {
  sweep_ctx sw = {0};
  if (!configured()) return 0;
  remove_interrupted_creates();
  svc_secrets_orphans(running, ctx, sweep_one, &sw);
  char detail[700];
  snprintf(detail, sizeof detail, "removed the secrets folders of %zu container(s) that are not running%s%s",
           sw.removed, sw.removed > 0 ? ": " : "", sw.ids);
  svc_audit_service("service.secrets-sweep", "", "ok", detail);
  if (sw.removed > 0) wctr_log(WCTR_LOG_INFO, "%s", detail);
  return sw.removed;
}
