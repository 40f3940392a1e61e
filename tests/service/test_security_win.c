/* Security under Wine, in process: the descriptors wctrd hands to Win32 for the data root and its folders,
 * the secret store and the secret folders (through the acl seam), the BitLocker gate with every volume
 * state presented through the seam, DPAPI at rest, cleanup and the start-up sweep, and the audit records
 * all of that leaves. */
#include <windows.h>

#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_sys.h"
#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "acl/sid.h"
#include "common/ioc.h"
#include "common/wstr.h"
#include "service/audit.h"
#include "service/container.h"
#include "service/engine.h"
#include "service/secrets.h"
#include "service/security.h"
#include "service/svc_sys.h"
#include "testutil.h"

#define VALUE "pa55-w0rd-Zq9x!"

static char data_root[MAX_PATH];
static char recorded[64][600];
static char recorded_path[64][MAX_PATH];
static int recorded_count;
static int protection = 1, conversion = 1;
static HRESULT bitlocker_hr = S_OK;
static acl_syscalls saved;

static void record(const wchar_t *path, SECURITY_ATTRIBUTES *sa) {
  if (recorded_count == 64) return;
  char *p = wctr_wide_to_utf8(path);
  snprintf(recorded_path[recorded_count], MAX_PATH, "%s", p != NULL ? p : "?");
  free(p);
  if (sa == NULL || sa->lpSecurityDescriptor == NULL) {
    snprintf(recorded[recorded_count++], 600, "(inherited)");
    return;
  }
  acl_sd model;
  wctr_errmsg e;
  char *text = NULL;
  assert_int_equal(acl_sd_from_descriptor(sa->lpSecurityDescriptor, &model, &e), WCTR_OK);
  assert_int_equal(acl_sddl_format(&model, &text, &e), WCTR_OK);
  snprintf(recorded[recorded_count++], 600, "%s", text);
  free(text);
  acl_sd_free(&model);
}

static BOOL WINAPI rec_create_dir(LPCWSTR path, LPSECURITY_ATTRIBUTES sa) {
  record(path, sa);
  return CreateDirectoryW(path, sa);
}

static DWORD audit_access; /* what the audit file was opened for */

static HANDLE WINAPI rec_create_file(LPCWSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa, DWORD disp,
                                     DWORD flags, HANDLE tmpl) {
  record(path, sa);
  if (wcsstr(path, L"audit.jsonl") != NULL) audit_access = access;
  return CreateFileW(path, access, share, sa, disp, flags, tmpl);
}

/* The store's atomic writes go through the service's seam. */
static HANDLE(WINAPI *real_svc_create_file)(LPCWSTR, DWORD, DWORD, LPSECURITY_ATTRIBUTES, DWORD, DWORD, HANDLE);
static HANDLE WINAPI rec_svc_create_file(LPCWSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa,
                                         DWORD disp, DWORD flags, HANDLE tmpl) {
  record(path, sa);
  return real_svc_create_file(path, access, share, sa, disp, flags, tmpl);
}

static HRESULT fake_bitlocker(const wchar_t *volume, int *p, int *c) {
  (void)volume;
  *p = protection;
  *c = conversion;
  return bitlocker_hr;
}

/* The descriptor recorded for the path ending in suffix (the last one), or NULL. */
static const char *descriptor_of(const char *suffix) {
  for (int i = recorded_count - 1; i >= 0; i--) {
    size_t n = strlen(recorded_path[i]), m = strlen(suffix);
    if (n >= m && _stricmp(recorded_path[i] + n - m, suffix) == 0) return recorded[i];
  }
  return NULL;
}

static void remove_tree(const char *path) {
  wchar_t from[MAX_PATH + 2] = {0};
  MultiByteToWideChar(CP_UTF8, 0, path, -1, from, MAX_PATH);
  SHFILEOPSTRUCTW op = {.wFunc = FO_DELETE, .pFrom = from, .fFlags = FOF_NO_UI};
  SHFileOperationW(&op);
}

/* Every byte of every file under dir, searched for needle; the path of the first hit into where. */
static bool tree_contains(const char *dir, const char *needle, char *where, size_t where_size) {
  wchar_t pattern[MAX_PATH * 2];
  _snwprintf(pattern, ARRAYSIZE(pattern), L"%hs\\*", dir);
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  bool found = false;
  if (find == INVALID_HANDLE_VALUE) return false;
  do {
    if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
    char *name = wctr_wide_to_utf8(fd.cFileName);
    char path[MAX_PATH * 2];
    snprintf(path, sizeof path, "%s\\%s", dir, name);
    free(name);
    if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
      found = tree_contains(path, needle, where, where_size);
    } else {
      FILE *f = _wfopen(wctr_utf8_to_wide(path), L"rb");
      if (f != NULL) {
        static char buf[4 << 20];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        for (size_t i = 0; i + strlen(needle) <= n && !found; i++) found = memcmp(buf + i, needle, strlen(needle)) == 0;
        if (found) snprintf(where, where_size, "%s", path);
      }
    }
  } while (!found && FindNextFileW(find, &fd));
  FindClose(find);
  return found;
}

static bool audit_has(const char *text) {
  char path[MAX_PATH + 40];
  snprintf(path, sizeof path, "%s\\audit\\audit.jsonl", data_root);
  FILE *f = _wfopen(wctr_utf8_to_wide(path), L"rb");
  if (f == NULL) return false;
  static char buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strstr(buf, text) != NULL;
}

static int setup(void **state) {
  (void)state;
  char name[64];
  wctr_test_unique_name("wctr-sec", name, sizeof name);
  snprintf(data_root, sizeof data_root, "C:\\%s", name);
  remove_tree(data_root);
  saved = acl_sys;
  acl_sys.CreateDirectoryW = rec_create_dir;
  acl_sys.CreateFileW = rec_create_file;
  acl_sys.bitlocker_query = fake_bitlocker;
  real_svc_create_file = svc_sys.CreateFileW;
  svc_sys.CreateFileW = rec_svc_create_file;
  recorded_count = 0;
  protection = 1, conversion = 1, bitlocker_hr = S_OK;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_audit_close();
  acl_sys = saved;
  svc_sys.CreateFileW = real_svc_create_file;
  remove_tree(data_root);
  return 0;
}

/* The data root, its folders and their repair, as wctrd's start does them. */
static void test_engine_data_root(void **state) {
  (void)state;
  svc_config flags;
  svc_config_init(&flags);
  char pipe[80];
  wctr_test_unique_name("wctr-sec-pipe", pipe, sizeof pipe);
  wctr_errmsg e;
  assert_int_equal(svc_config_set_pipe(&flags, pipe, "--pipe", &e), WCTR_OK);
  svc_engine *eng = NULL;
  svc_engine_options opt = {.data_root = data_root, .flags = &flags};
  if (svc_engine_start(&opt, &eng, &e) != WCTR_OK) fail_msg("engine: %s", e.text);
  const char *root = descriptor_of(data_root + 2); /* the path as Windows spells it */
  assert_non_null(root);
  assert_string_equal(root, ACL_SDDL_DATA_ROOT);
  for (size_t i = 0; acl_data_root_subdirs[i] != NULL; i++) {
    char suffix[64];
    snprintf(suffix, sizeof suffix, "\\%s", acl_data_root_subdirs[i]);
    const char *d = descriptor_of(suffix);
    if (d == NULL || strcmp(d, ACL_SDDL_DATA_ROOT) != 0) fail_msg("%s: %s", suffix, d != NULL ? d : "not created");
  }
  assert_string_equal(descriptor_of("\\audit\\audit.jsonl"), ACL_SDDL_DATA_FILE);
  /* Under Wine every read-back differs (mode bits), so every folder is repaired at start, and audited. */
  if (wctr_test_under_wine()) assert_true(audit_has("\"Op\":\"service.repair-dacl\""));
  assert_true(audit_has("\"Op\":\"service.secrets-sweep\""));
  svc_engine_stop(eng);
}

static void configure(bool allow) {
  wchar_t *wide = wctr_utf8_to_wide(data_root);
  CreateDirectoryW(wide, NULL);
  free(wide);
  wctr_errmsg e;
  assert_int_equal(svc_audit_open(data_root, &e), WCTR_OK);
  svc_secrets_configure(data_root, allow);
}

static void test_store_encrypted_volume(void **state) {
  (void)state;
  configure(false);
  svc_secret_meta m;
  wctr_errmsg e;
  if (svc_secret_create("db", (const uint8_t *)VALUE, strlen(VALUE), &m, &e) != WCTR_OK) fail_msg("%s", e.text);
  assert_int_equal(m.size, (int64_t)strlen(VALUE));
  assert_string_equal(descriptor_of("\\secrets"), ACL_SDDL_DATA_ROOT);
  char suffix[90];
  snprintf(suffix, sizeof suffix, "%s.json.tmp", m.id); /* written to a temporary file, then renamed */
  assert_string_equal(descriptor_of(suffix), ACL_SDDL_DATA_FILE);
  char hit[MAX_PATH * 2];
  assert_false(tree_contains(data_root, VALUE, hit, sizeof hit));
  assert_int_equal(svc_secret_create("db", (const uint8_t *)"x", 1, &m, &e), WCTR_EEXIST);
  svc_secret_meta *list = NULL;
  size_t n = 0;
  assert_int_equal(svc_secret_list(&list, &n, &e), WCTR_OK);
  assert_int_equal(n, 1);
  assert_string_equal(list[0].name, "db");
  free(list);
  assert_int_equal(svc_secret_inspect("nope", &m, &e), WCTR_ENOENT);
  assert_int_equal(svc_secret_create("big", (const uint8_t *)"", 0, &m, &e), WCTR_EINVAL);
  assert_int_equal(svc_secret_delete("db", NULL, NULL, &e), WCTR_OK);
  assert_int_equal(svc_secret_inspect("db", &m, &e), WCTR_ENOENT);
}

static void test_store_refused_when_not_encrypted(void **state) {
  (void)state;
  svc_secret_meta m;
  wctr_errmsg e;
  configure(false);
  bitlocker_hr = (HRESULT)0x8004100E; /* Wine: no BitLocker provider -> unknown */
  assert_int_equal(svc_secret_create("db", (const uint8_t *)VALUE, 3, &m, &e), WCTR_EACCES);
  assert_non_null(strstr(e.text, "allow-unencrypted-secrets"));
  assert_null(strstr(e.text, "pa5"));
  /* The refusal is recorded by the dispatcher, with the caller (test_audit, e2e_secrets); no second record. */
  assert_false(audit_has("\"Op\":\"secret.create\""));
  bitlocker_hr = S_OK;
  protection = 1, conversion = 2; /* still encrypting */
  assert_int_equal(svc_secret_create("db", (const uint8_t *)VALUE, 3, &m, &e), WCTR_EACCES);
  protection = 0, conversion = 1; /* protection suspended */
  assert_int_equal(svc_secret_create("db", (const uint8_t *)VALUE, 3, &m, &e), WCTR_EACCES);
  svc_secret_meta *list = NULL;
  size_t n = 9;
  assert_int_equal(svc_secret_list(&list, &n, &e), WCTR_OK);
  assert_int_equal(n, 0); /* nothing written */
  free(list);
}

static void test_override_allows_and_audits(void **state) {
  (void)state;
  svc_secret_meta m;
  wctr_errmsg e;
  configure(true);
  bitlocker_hr = (HRESULT)0x8004100E;
  assert_int_equal(svc_secret_create("db", (const uint8_t *)VALUE, strlen(VALUE), &m, &e), WCTR_OK);
  assert_true(audit_has("allowed by \\\"allow-unencrypted-secrets\\\": true"));
}

static bool file_exists(const char *name) {
  char path[MAX_PATH + 60];
  snprintf(path, sizeof path, "%s\\audit\\%s", data_root, name);
  wchar_t *wide = wctr_utf8_to_wide(path);
  bool there = GetFileAttributesW(wide) != INVALID_FILE_ATTRIBUTES;
  free(wide);
  return there;
}

/* Append-only and rotated: the handle can only append, and at the threshold the files shift down, the
 * oldest dropped. */
static void test_audit_append_only_and_rotated(void **state) {
  (void)state;
  configure(false);
  assert_true(audit_access & FILE_APPEND_DATA);
  assert_false(audit_access & FILE_WRITE_DATA);
  assert_false(audit_access & GENERIC_WRITE);
  svc_audit_set_rotation(1000);
  for (int i = 0; i < 60; i++) {
    char target[32];
    snprintf(target, sizeof target, "c%02d", i);
    svc_audit_record r = {.caller_sid = "S-1-5-21-1-2-3-1001", .caller_name = "HOST\\ann", .op = "container.stop",
                          .target = target, .result = "ok"};
    svc_audit_write(&r);
  }
  svc_audit_set_rotation(SVC_AUDIT_ROTATE_BYTES);
  assert_true(file_exists("audit.jsonl"));
  assert_true(file_exists("audit.1.jsonl"));
  assert_true(file_exists("audit.4.jsonl"));
  assert_false(file_exists("audit.5.jsonl"));
  assert_true(audit_has("\"Target\":\"c59\"")); /* the newest is in the current file */
  assert_false(audit_has("\"Target\":\"c00\"")); /* and the oldest rotated out of it */
}

/* --- audit.read: a start operation on the I/O core ------------------------------------------------------ */

typedef struct audit_sink {
  svc_sink sink; /* first */
  volatile LONG frames;
  volatile LONG finishes;
  wctr_err err;
  char result[128];
  char last_target[64];
} audit_sink;

static wctr_err as_output(svc_sink *s, svc_output_stream st, const char *d, size_t n) {
  (void)s, (void)st, (void)d, (void)n;
  return WCTR_OK;
}

static wctr_err as_frame(svc_sink *s, const char *kind, cJSON *data) {
  audit_sink *a = (audit_sink *)s;
  assert_string_equal(kind, "record");
  const cJSON *t = cJSON_GetObjectItem(data, "Target");
  if (cJSON_IsString(t)) snprintf(a->last_target, sizeof a->last_target, "%s", t->valuestring);
  cJSON_Delete(data);
  InterlockedIncrement(&a->frames);
  return WCTR_OK;
}

static size_t as_pending(svc_sink *s) {
  (void)s;
  return 0;
}

static void as_when_drained(svc_sink *s, size_t below, void (*fn)(void *), void *arg) {
  (void)s, (void)below;
  fn(arg);
}

static void as_finish(svc_sink *s, wctr_err err, cJSON *result, const char *message) {
  (void)message;
  audit_sink *a = (audit_sink *)s;
  char *text = result != NULL ? cJSON_PrintUnformatted(result) : NULL;
  snprintf(a->result, sizeof a->result, "%s", text != NULL ? text : "");
  cJSON_free(text);
  cJSON_Delete(result);
  a->err = err;
  InterlockedIncrement(&a->finishes);
}

static const svc_sink_methods audit_sink_methods = {.version = 1, .output = as_output, .frame = as_frame,
                                                    .pending = as_pending, .when_drained = as_when_drained,
                                                    .finish = as_finish};

static void write_record(const char *target) {
  svc_audit_record r = {.caller_sid = "S-1-5-21-1-2-3-1001", .caller_name = "HOST\\ann", .op = "container.stop",
                        .target = target, .result = "ok"};
  svc_audit_write(&r);
}

static bool wait_until(volatile LONG *counter, LONG value, DWORD ms) {
  for (DWORD waited = 0; InterlockedCompareExchange(counter, 0, 0) < value && waited < ms; waited += 5) Sleep(5);
  return InterlockedCompareExchange(counter, 0, 0) >= value;
}

/* The records there are, then with Follow the new ones as they are written (a timer polls: no thread), until
 * on_close; then it finishes at the next poll, and its context is released. */
static void test_audit_read_follows_on_a_timer(void **state) {
  (void)state;
  configure(false);
  write_record("first");
  write_record("second");
  wctr_ioc *ioc = NULL;
  wctr_errmsg e;
  wctr_ioc_options io = {.workers = 2};
  assert_int_equal(wctr_ioc_start(&io, &ioc, &e), WCTR_OK);
  svc_security_host host = {.ioc = ioc, .data_root = data_root};
  size_t n = 0;
  const svc_op *ops = svc_security_ops(&n);
  const svc_op *read = NULL;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(ops[i].name, "audit.read") == 0) read = &ops[i];
  }
  assert_non_null(read);
  assert_non_null(read->start);
  assert_true((read->flags & SVC_OP_ADMIN) != 0);
  svc_caller caller = {.sid = "S-1-5-32-544", .name = "HOST\\admin", .admin = true};
  /* Without Follow: what is there, then the count. */
  audit_sink once = {.sink.methods = &audit_sink_methods};
  read->start(&host, &caller, NULL, &once.sink);
  assert_true(wait_until(&once.finishes, 1, 10000));
  assert_int_equal(once.err, WCTR_OK);
  assert_true(once.frames >= 2);
  char expect[64];
  snprintf(expect, sizeof expect, "{\"Records\":%ld}", once.frames);
  assert_string_equal(once.result, expect);
  assert_string_equal(once.last_target, "second");
  once.sink.on_release(once.sink.op_ctx);
  /* With Follow. */
  cJSON *params = cJSON_Parse("{\"Follow\":true}");
  audit_sink follow = {.sink.methods = &audit_sink_methods};
  read->start(&host, &caller, params, &follow.sink);
  cJSON_Delete(params);
  LONG before = once.frames;
  assert_true(wait_until(&follow.frames, before, 10000));
  write_record("third");
  assert_true(wait_until(&follow.frames, before + 1, 5000));
  assert_string_equal(follow.last_target, "third");
  assert_int_equal(follow.finishes, 0);
  DWORD closed_at = GetTickCount();
  follow.sink.on_close(follow.sink.op_ctx);
  assert_true(wait_until(&follow.finishes, 1, 5000));
  assert_true(GetTickCount() - closed_at < 2000); /* the next poll (250 ms), with room for a loaded machine */
  follow.sink.on_release(follow.sink.op_ctx);
  /* Refused params: at once, before anything is opened. */
  params = cJSON_Parse("{\"Since\":\"yesterday\"}");
  audit_sink bad = {.sink.methods = &audit_sink_methods};
  read->start(&host, &caller, params, &bad.sink);
  cJSON_Delete(params);
  assert_int_equal(bad.finishes, 1);
  assert_int_equal(bad.err, WCTR_EINVAL);
  if (bad.sink.on_release != NULL) bad.sink.on_release(bad.sink.op_ctx);
  wctr_ioc_stop(ioc);
}

/* The Event Log source's message file is wctrd.exe itself: its message table turns event 1 and 2 into the
 * record's own text. wctrd.exe sits three folders up from this suite (build/tests/service/). */
static void test_event_message_table(void **state) {
  (void)state;
  wchar_t path[MAX_PATH];
  DWORD n = GetModuleFileNameW(NULL, path, MAX_PATH);
  assert_true(n > 0 && n < MAX_PATH);
  for (int up = 0; up < 3; up++) *wcsrchr(path, L'\\') = L'\0';
  wcscat(path, L"\\wctrd.exe");
  HMODULE exe = LoadLibraryExW(path, NULL, LOAD_LIBRARY_AS_DATAFILE);
  if (exe == NULL) fail_msg("cannot load %ls (error %lu)", path, GetLastError());
  for (DWORD id = 1; id <= 2; id++) {
    wchar_t text[256];
    DWORD_PTR args[1] = {(DWORD_PTR)L"{\"Op\":\"secret.create\"}"};
    DWORD len = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, exe, id, 0x409, text,
                               ARRAYSIZE(text), (va_list *)args);
    if (len == 0) fail_msg("message %lu: error %lu", id, GetLastError());
    assert_non_null(wcsstr(text, L"{\"Op\":\"secret.create\"}"));
  }
  FreeLibrary(exe);
}

static bool running(void *ctx, const char *id) {
  (void)ctx, (void)id;
  return true;
}

static bool not_running(void *ctx, const char *id) {
  (void)ctx, (void)id;
  return false;
}

static void test_materialize_cleanup_sweep(void **state) {
  (void)state;
  svc_secret_meta m;
  wctr_errmsg e;
  configure(false);
  assert_int_equal(svc_secret_create("db", (const uint8_t *)VALUE, strlen(VALUE), &m, &e), WCTR_OK);
  svc_container c;
  memset(&c, 0, sizeof c);
  snprintf(c.id, sizeof c.id, "%s", "aaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccddddaaaabbbbccccdddd");
  snprintf(c.name, sizeof c.name, "web");
  spec_secret_ref refs[1] = {{.name = "db", .target = "pw.txt"}};
  c.spec.secrets = refs;
  c.spec.secret_count = 1;
  char cdir[MAX_PATH + 100];
  snprintf(cdir, sizeof cdir, "%s\\containers\\%s", data_root, c.id);
  char containers[MAX_PATH + 20];
  snprintf(containers, sizeof containers, "%s\\containers", data_root);
  CreateDirectoryW(wctr_utf8_to_wide(containers), NULL);
  CreateDirectoryW(wctr_utf8_to_wide(cdir), NULL);
  char dir[MAX_PATH * 2];
  if (svc_secrets_materialize(c.id, c.name, &c.spec, ACL_SID_CONTAINER_USER, dir, sizeof dir, &e) != WCTR_OK) fail_msg("%s", e.text);
  assert_string_equal(descriptor_of("\\secrets"), "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;S-1-5-93-2-2)");
  assert_string_equal(descriptor_of("\\secrets\\pw.txt"), "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;S-1-5-93-2-2)");
  char hit[MAX_PATH * 2] = "";
  assert_true(tree_contains(data_root, VALUE, hit, sizeof hit));
  assert_non_null(strstr(hit, "\\secrets\\pw.txt")); /* the running container's folder, nowhere else */
  assert_true(audit_has("\"Op\":\"secret.use\",\"Target\":\"web\",\"Result\":\"ok\""));
  assert_true(svc_secrets_cleanup(c.id));
  assert_false(tree_contains(data_root, VALUE, hit, sizeof hit));
  /* Left behind by a crash: the sweep removes it unless the container runs. */
  assert_int_equal(svc_secrets_materialize(c.id, c.name, &c.spec, ACL_SID_CONTAINER_USER, dir, sizeof dir, &e), WCTR_OK);
  /* A create a crash interrupted leaves its temporary file; the sweep removes it too. */
  char tmp[MAX_PATH + 40];
  snprintf(tmp, sizeof tmp, "%s\\secrets\\0123.json.tmp", data_root);
  FILE *partial = _wfopen(wctr_utf8_to_wide(tmp), L"wb");
  assert_non_null(partial);
  fputs("{\"Version\":1,", partial);
  fclose(partial);
  assert_int_equal(svc_secrets_sweep(running, NULL), 0);
  assert_int_equal(GetFileAttributesW(wctr_utf8_to_wide(tmp)), INVALID_FILE_ATTRIBUTES);
  assert_true(tree_contains(data_root, VALUE, hit, sizeof hit));
  assert_int_equal(svc_secrets_sweep(not_running, NULL), 1);
  assert_false(tree_contains(data_root, VALUE, hit, sizeof hit));
  assert_true(audit_has("removed the secrets folders of 1 container(s) that are not running: aaaabbbbcccc"));
  /* A secret that does not exist: nothing is left behind. */
  refs[0] = (spec_secret_ref){.name = "gone", .target = "x"};
  assert_int_equal(svc_secrets_materialize(c.id, c.name, &c.spec, ACL_SID_CONTAINER_USER, dir, sizeof dir, &e), WCTR_ENOENT);
  char sdir[MAX_PATH * 2];
  snprintf(sdir, sizeof sdir, "%s\\secrets", cdir);
  assert_int_equal(GetFileAttributesW(wctr_utf8_to_wide(sdir)), INVALID_FILE_ATTRIBUTES);
  /* Refused on a volume that is not encrypted, and audited. */
  refs[0] = (spec_secret_ref){.name = "db", .target = "pw.txt"};
  bitlocker_hr = (HRESULT)0x8004100E;
  assert_int_equal(svc_secrets_materialize(c.id, c.name, &c.spec, ACL_SID_CONTAINER_USER, dir, sizeof dir, &e), WCTR_EACCES);
  assert_non_null(strstr(e.text, "allow-unencrypted-secrets"));
  assert_int_equal(GetFileAttributesW(wctr_utf8_to_wide(sdir)), INVALID_FILE_ATTRIBUTES);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_engine_data_root, setup, teardown),
      cmocka_unit_test_setup_teardown(test_store_encrypted_volume, setup, teardown),
      cmocka_unit_test_setup_teardown(test_store_refused_when_not_encrypted, setup, teardown),
      cmocka_unit_test_setup_teardown(test_override_allows_and_audits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_materialize_cleanup_sweep, setup, teardown),
      cmocka_unit_test_setup_teardown(test_audit_append_only_and_rotated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_audit_read_follows_on_a_timer, setup, teardown),
      cmocka_unit_test(test_event_message_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
