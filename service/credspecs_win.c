/* service/credspecs_win.c - the credential spec store and its pipe operations (see credspecs.h). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "common/json.h"
#include "common/log.h"
#include "common/wstr.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "gmsa/resolve.h"
#include "gmsa/source.h"
#include "service/credspecs.h"
#include "service/store.h"
#include "service/svc_sys.h"
#include "spec/names.h"
#include "spec/text.h"

struct svc_credspecs {
  char dir[1100];
  svc_op ops[5];
  /* add and remove one at a time: "does NAME exist?" and the write that follows are one step (two adds of
   * one name both "succeeded", the second silently replacing the first), and NAME.tmp is one file. */
  SRWLOCK lock;
};

static bool is_tmp_name(const char *name) {
  size_t n = strlen(name);
  return n >= 4 && spec_ascii_equal_nocase(name + n - 4, ".tmp");
}

/* A NAME.tmp is an add that a crash interrupted: its text may hold a password (PluginInput), and no name
 * the store takes ends in .tmp (spec_credspec_name_check), so nothing refers to it. */
static void remove_unfinished_writes(const char *dir) {
  char pattern[1200];
  snprintf(pattern, sizeof pattern, "%s\\*", dir);
  wchar_t *wide = wctr_utf8_to_wide(pattern);
  if (wide == NULL) return;
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(wide, &fd);
  free(wide);
  if (find == INVALID_HANDLE_VALUE) return;
  do {
    if (fd.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) continue;
    char *name = wctr_wide_to_utf8(fd.cFileName);
    if (name != NULL && is_tmp_name(name)) {
      char path[1400];
      snprintf(path, sizeof path, "%s\\%s", dir, name);
      wchar_t *wpath = wctr_utf8_to_wide(path);
      if (wpath != NULL && DeleteFileW(wpath)) wctr_log(WCTR_LOG_INFO, "removed an unfinished credential spec write: %s", path);
      free(wpath);
    }
    free(name);
  } while (FindNextFileW(find, &fd));
  FindClose(find);
}

static void folder_of(const char *data_root, char *out, size_t size) {
  snprintf(out, size, "%s\\" SVC_CREDSPEC_DIR, data_root);
}

wctr_err svc_credspecs_open(const char *data_root, svc_credspecs **out, wctr_errmsg *e) {
  svc_credspecs *s = calloc(1, sizeof *s);
  if (s == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  folder_of(data_root, s->dir, sizeof s->dir);
  wchar_t *wide = wctr_utf8_to_wide(s->dir);
  acl_sa sa = {0};
  wctr_err err = wide != NULL ? acl_sa_from_sddl(ACL_SDDL_DATA_ROOT, &sa, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK && !svc_sys.CreateDirectoryW(wide, &sa.sa) && GetLastError() != ERROR_ALREADY_EXISTS) {
    DWORD code = GetLastError();
    err = wctr_fail(e, wctr_log_win32("CreateDirectoryW", code, "%s", s->dir), "cannot create %s (error %lu)", s->dir,
                    (unsigned long)code);
  }
  acl_sa_free(&sa);
  free(wide);
  if (err != WCTR_OK) {
    free(s);
    return err;
  }
  InitializeSRWLock(&s->lock);
  remove_unfinished_writes(s->dir);
  *out = s;
  return WCTR_OK;
}

void svc_credspecs_close(svc_credspecs *s) { free(s); }

wctr_err svc_credspecs_resolve(const char *data_root, spec_container *c, wctr_errmsg *e) {
  const char *option = c->credspec_option;
  if (option == NULL) return WCTR_OK;
  char dir[1100];
  folder_of(data_root, dir, sizeof dir);
  gmsa_resolver r;
  gmsa_resolver_windows(dir, &r);
  char *spec = NULL;
  char *source = NULL;
  wctr_err err = gmsa_resolve(&r, option, &spec, &source, e);
  if (err == WCTR_OK) err = svc_spec_set_credspec(c, source, spec, e);
  gmsa_secret_free(spec);
  cJSON_free(source);
  return err;
}

/* --- operations ---------------------------------------------------------------------------------- */

/* NAME: a file:// name without folders. */
static wctr_err name_param(const svc_credspecs *s, const cJSON *params, const char *const *extra, const char **name,
                           wctr_errmsg *e) {
  const char *keys[4] = {"Name"};
  for (size_t i = 0; extra != NULL && extra[i] != NULL && i < 2; i++) keys[i + 1] = extra[i];
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Name\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Name", "params", true, name, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  if (strchr(*name, '\\') != NULL || strchr(*name, '/') != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "credential spec name \"%.64s\": one file name, without folders", *name);
  }
  /* The one rule of a store name (spec/names.h): a file name Windows opens as named, not ending in .tmp. */
  wctr_err named = spec_credspec_name_check(*name, "params.Name", e);
  if (named != WCTR_OK) return named;
  gmsa_source src;
  wctr_err err = gmsa_source_make(GMSA_SOURCE_FILE, *name, s->dir, &src, e);
  gmsa_source_free(&src);
  return err;
}

/* The spec of a file of the store, parsed and validated. */
static wctr_err load_spec(const svc_credspecs *s, const char *name, gmsa_credspec **spec, wctr_errmsg *e) {
  char *text = NULL;
  size_t len = 0;
  wctr_err err = gmsa_read_spec_file(s->dir, name, &text, &len, e);
  if (err != WCTR_OK) return err;
  wctr_errmsg inner;
  err = gmsa_credspec_load(text, len, spec, &inner);
  if (err != WCTR_OK) wctr_fail(e, err, "file://%s: %s", name, inner.text);
  gmsa_secure_zero(text, len);
  free(text);
  return err;
}

static cJSON *accounts_of(const gmsa_credspec *spec) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < spec->account_count; i++) {
    char both[600];
    snprintf(both, sizeof both, "%s\\%s", spec->accounts[i].scope, spec->accounts[i].name);
    cJSON_AddItemToArray(arr, cJSON_CreateString(both));
  }
  return arr;
}

static wctr_err op_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const none[] = {NULL};
  (void)caller;
  svc_credspecs *s = ctx;
  if (params != NULL && wctr_json_check_keys(params, "params", none, e) != WCTR_OK) return WCTR_EINVAL;
  char pattern[1200];
  snprintf(pattern, sizeof pattern, "%s\\*", s->dir);
  wchar_t *wide = wctr_utf8_to_wide(pattern);
  if (wide == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON *arr = cJSON_CreateArray();
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(wide, &fd);
  free(wide);
  if (find != INVALID_HANDLE_VALUE) {
    do {
      if (fd.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) continue;
      char *name = wctr_wide_to_utf8(fd.cFileName);
      if (name == NULL || is_tmp_name(name)) {
        free(name);
        continue;
      }
      cJSON *item = cJSON_CreateObject();
      cJSON_AddStringToObject(item, "Name", name);
      cJSON_AddNumberToObject(item, "Size", (double)(((uint64_t)fd.nFileSizeHigh << 32) | fd.nFileSizeLow));
      gmsa_credspec *spec = NULL;
      wctr_errmsg le;
      if (load_spec(s, name, &spec, &le) == WCTR_OK) {
        cJSON_AddBoolToObject(item, "Valid", true);
        cJSON_AddItemToObject(item, "Accounts", accounts_of(spec));
      } else {
        cJSON_AddBoolToObject(item, "Valid", false);
        cJSON_AddStringToObject(item, "Error", le.text);
      }
      gmsa_credspec_free(spec);
      /* FindFirstFile's order is the file system's: sorted here, so the list reads the same everywhere. */
      int at = 0;
      for (const cJSON *o = arr->child; o != NULL && strcmp(cJSON_GetObjectItem(o, "Name")->valuestring, name) < 0;
           o = o->next) {
        at++;
      }
      if (at == cJSON_GetArraySize(arr)) {
        cJSON_AddItemToArray(arr, item);
      } else {
        cJSON_InsertItemInArray(arr, at, item);
      }
      free(name);
    } while (FindNextFileW(find, &fd));
    FindClose(find);
  }
  *result = arr;
  return WCTR_OK;
}

static wctr_err op_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)caller;
  svc_credspecs *s = ctx;
  const char *name = NULL;
  gmsa_credspec *spec = NULL;
  char *text = NULL;
  wctr_err err = name_param(s, params, NULL, &name, e);
  if (err == WCTR_OK) err = load_spec(s, name, &spec, e);
  if (err == WCTR_OK) err = gmsa_credspec_to_json_redacted(spec, &text, e);
  gmsa_credspec_free(spec);
  if (err != WCTR_OK) return err;
  cJSON *r = cJSON_CreateObject();
  char source[600];
  snprintf(source, sizeof source, "file://%s", name);
  cJSON_AddStringToObject(r, "Name", name);
  cJSON_AddStringToObject(r, "Source", source);
  cJSON_AddItemToObject(r, "Spec", cJSON_Parse(text));
  gmsa_secret_free(text);
  *result = r;
  return WCTR_OK;
}

/* Writes text to dir\name atomically, the file created with SVC_CREDSPEC_FILE_SDDL. */
static wctr_err write_spec(const svc_credspecs *s, const char *name, const char *text, bool force, wctr_errmsg *e) {
  char path[1400];
  snprintf(path, sizeof path, "%s\\%s", s->dir, name);
  wchar_t *wpath = wctr_utf8_to_wide(path);
  acl_sa sa = {0};
  wctr_err err = wpath != NULL ? acl_sa_from_sddl(SVC_CREDSPEC_FILE_SDDL, &sa, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK && !force && GetFileAttributesW(wpath) != INVALID_FILE_ATTRIBUTES) {
    err = wctr_fail(e, WCTR_EEXIST, "credential spec %s already exists (remove it first, or add with --force)", name);
  }
  if (err == WCTR_OK) err = svc_write_atomic_sa(path, text, strlen(text), &sa.sa, e);
  acl_sa_free(&sa);
  free(wpath);
  return err;
}

static wctr_err op_add(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const extra[] = {"Spec", "Force", NULL};
  svc_credspecs *s = ctx;
  const char *name = NULL;
  const char *text = NULL;
  bool force = false;
  gmsa_credspec *spec = NULL;
  char *canonical = NULL;
  wctr_err err = name_param(s, params, extra, &name, e);
  if (err == WCTR_OK) err = wctr_json_get_string(params, "Spec", "params", true, &text, e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Force", "params", false, &force, e);
  if (err == WCTR_OK) err = gmsa_credspec_load(text, strlen(text), &spec, e);
  if (err == WCTR_OK) err = gmsa_credspec_to_json(spec, &canonical, e);
  gmsa_credspec_free(spec);
  if (err == WCTR_OK) {
    AcquireSRWLockExclusive(&s->lock);
    err = write_spec(s, name, canonical, force, e);
    ReleaseSRWLockExclusive(&s->lock);
  }
  gmsa_secret_free(canonical);
  if (err != WCTR_OK) return err;
  wctr_log(WCTR_LOG_INFO, "credential spec %s added by %s", name, caller->name);
  *result = cJSON_CreateObject();
  cJSON_AddStringToObject(*result, "Name", name);
  return WCTR_OK;
}

static wctr_err op_remove(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  svc_credspecs *s = ctx;
  const char *name = NULL;
  wctr_err err = name_param(s, params, NULL, &name, e);
  if (err != WCTR_OK) return err;
  char path[1400];
  snprintf(path, sizeof path, "%s\\%s", s->dir, name);
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  AcquireSRWLockExclusive(&s->lock);
  BOOL ok = DeleteFileW(wide);
  DWORD code = GetLastError();
  ReleaseSRWLockExclusive(&s->lock);
  free(wide);
  if (!ok && (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND)) {
    return wctr_fail(e, WCTR_ENOENT, "no credential spec %s in %s", name, s->dir);
  }
  if (!ok) {
    return wctr_fail(e, wctr_log_win32("DeleteFileW", code, "%s", path), "cannot remove %s (error %lu)", path,
                     (unsigned long)code);
  }
  wctr_log(WCTR_LOG_INFO, "credential spec %s removed by %s", name, caller->name);
  *result = cJSON_CreateObject();
  return WCTR_OK;
}

/* {"Value": "file://NAME" | "registry://NAME" | "raw://JSON"} -> {"Source"}: resolves and validates as
 * container.create would, keeping nothing (compose up checks every service's spec before creating). */
static wctr_err op_check(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Value", NULL};
  (void)caller;
  svc_credspecs *s = ctx;
  const char *value = NULL;
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Value\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Value", "params", true, &value, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  gmsa_resolver r;
  gmsa_resolver_windows(s->dir, &r);
  char *spec = NULL;
  char *source = NULL;
  wctr_err err = gmsa_resolve(&r, value, &spec, &source, e);
  gmsa_secret_free(spec);
  if (err != WCTR_OK) return err;
  *result = cJSON_CreateObject();
  cJSON_AddStringToObject(*result, "Source", source);
  cJSON_free(source);
  return WCTR_OK;
}

const svc_op *svc_credspecs_ops(svc_credspecs *s, size_t *count) {
  s->ops[0] = (svc_op){.name = "credentialspec.list", .call = op_list, .ctx = s};
  s->ops[1] = (svc_op){.name = "credentialspec.inspect", .call = op_inspect, .ctx = s};
  s->ops[2] = (svc_op){.name = "credentialspec.add", .call = op_add, .ctx = s};
  s->ops[3] = (svc_op){.name = "credentialspec.remove", .call = op_remove, .ctx = s};
  s->ops[4] = (svc_op){.name = "credentialspec.check", .call = op_check, .ctx = s};
  *count = 5;
  return s->ops;
}
