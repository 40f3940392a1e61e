/* The credential spec store (service/credspecs.h) in-process under Wine: the descriptors handed to Win32
 * for its folder and files (through its seam), its operations, what a refused request leaves (nothing),
 * the resolution at create time, and a link that leaves the folder. */
#include <windows.h>

#include <shellapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "common/wstr.h"
#include "gmsa/resolve.h"
#include "service/container.h"
#include "service/credspecs.h"
#include "service/svc_sys.h"
#include "credspec_sample.h"
#include "testutil.h"

#define SECRET SAMPLE_SPEC_SECRET

static char data_root[MAX_PATH];
static svc_credspecs *store;
static const svc_op *ops;
static size_t op_count;
static char last_file_sddl[256];
static char last_dir_sddl[256];
static int files_created;

static void sddl_of(LPSECURITY_ATTRIBUTES sa, char *out, size_t size) {
  char *text = NULL;
  wctr_errmsg e;
  out[0] = '\0';
  if (sa != NULL && acl_sddl_of_descriptor(sa->lpSecurityDescriptor, &text, &e) == WCTR_OK) {
    snprintf(out, size, "%s", text);
  }
  free(text);
}

static HANDLE WINAPI recording_create_file(LPCWSTR name, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa,
                                          DWORD disposition, DWORD flags, HANDLE tmpl) {
  files_created++;
  sddl_of(sa, last_file_sddl, sizeof last_file_sddl);
  return CreateFileW(name, access, share, sa, disposition, flags, tmpl);
}

static BOOL WINAPI recording_create_dir(LPCWSTR name, LPSECURITY_ATTRIBUTES sa) {
  sddl_of(sa, last_dir_sddl, sizeof last_dir_sddl);
  return CreateDirectoryW(name, sa);
}

static void remove_tree(const char *path) {
  wchar_t from[MAX_PATH + 2] = {0};
  MultiByteToWideChar(CP_UTF8, 0, path, -1, from, MAX_PATH);
  SHFILEOPSTRUCTW op = {.wFunc = FO_DELETE, .pFrom = from, .fFlags = FOF_NO_UI | FOF_NOCONFIRMATION};
  SHFileOperationW(&op);
}

static bool exists(const char *name) {
  char path[MAX_PATH * 2];
  snprintf(path, sizeof path, "%s\\credentialspecs\\%s", data_root, name);
  wchar_t *w = wctr_utf8_to_wide(path);
  bool found = GetFileAttributesW(w) != INVALID_FILE_ATTRIBUTES;
  free(w);
  return found;
}

static int setup(void **state) {
  (void)state;
  char name[64];
  wctr_test_unique_name("wctr-credspecs", name, sizeof name);
  wchar_t temp[MAX_PATH];
  GetTempPathW(MAX_PATH, temp);
  char *t = wctr_wide_to_utf8(temp);
  snprintf(data_root, sizeof data_root, "%s%s", t, name);
  free(t);
  remove_tree(data_root);
  wchar_t *w = wctr_utf8_to_wide(data_root);
  CreateDirectoryW(w, NULL);
  free(w);
  svc_sys.CreateFileW = recording_create_file;
  svc_sys.CreateDirectoryW = recording_create_dir;
  wctr_errmsg e;
  if (svc_credspecs_open(data_root, &store, &e) != WCTR_OK) fail_msg("%s", e.text);
  ops = svc_credspecs_ops(store, &op_count);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_credspecs_close(store);
  remove_tree(data_root);
  return 0;
}

static wctr_err call(const char *op, const char *params_json, cJSON **result, wctr_errmsg *e) {
  svc_caller caller = {.sid = "S-1-5-32-544", .name = "test"};
  cJSON *params = params_json != NULL ? cJSON_Parse(params_json) : NULL;
  *result = NULL;
  wctr_err err = WCTR_EBADOP;
  for (size_t i = 0; i < op_count; i++) {
    if (strcmp(ops[i].name, op) == 0) err = ops[i].call(ops[i].ctx, &caller, params, result, e);
  }
  cJSON_Delete(params);
  return err;
}

static char *add_params(const char *name, const char *text, bool force) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", name);
  cJSON_AddStringToObject(p, "Spec", text);
  if (force) cJSON_AddBoolToObject(p, "Force", true);
  char *s = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  return s;
}

/* credentialspec.add of the sample spec as name, which must succeed. */
static void add_sample(const char *name, bool force) {
  cJSON *r = NULL;
  wctr_errmsg e;
  char *p = add_params(name, sample_spec, force);
  wctr_err err = call("credentialspec.add", p, &r, &e);
  free(p);
  cJSON_Delete(r);
  if (err != WCTR_OK) fail_msg("add %s: %s", name, e.text);
}

static void test_folder_and_file_descriptors(void **state) {
  (void)state;
  /* The folder: the data root's descriptor, from the instant it exists. */
  assert_string_equal(last_dir_sddl, ACL_SDDL_DATA_ROOT);
  add_sample("web.json", false);
  /* The file: created with SYSTEM + Administrators only, protected, before a byte is written. */
  assert_string_equal(last_file_sddl, SVC_CREDSPEC_FILE_SDDL);
  assert_int_equal(files_created, 1);
  assert_true(exists("web.json"));
  assert_false(exists("web.json.tmp"));
}

static void test_operations(void **state) {
  (void)state;
  cJSON *r = NULL;
  wctr_errmsg e;
  add_sample("web.json", false);
  /* Again: refused unless forced. */
  char *p = add_params("web.json", sample_spec, false);
  assert_int_equal(call("credentialspec.add", p, &r, &e), WCTR_EEXIST);
  assert_string_equal(e.text, "credential spec web.json already exists (remove it first, or add with --force)");
  free(p);
  add_sample("web.json", true);

  assert_int_equal(call("credentialspec.list", NULL, &r, &e), WCTR_OK);
  char *text = cJSON_PrintUnformatted(r);
  assert_non_null(strstr(text, "\"Name\":\"web.json\""));
  assert_non_null(strstr(text, "\"Valid\":true"));
  assert_non_null(strstr(text, "\"Accounts\":[\"contoso.com\\\\webapp01\"]"));
  cJSON_free(text);
  cJSON_Delete(r);

  assert_int_equal(call("credentialspec.inspect", "{\"Name\":\"web.json\"}", &r, &e), WCTR_OK);
  text = cJSON_PrintUnformatted(r);
  assert_null(strstr(text, SECRET));
  assert_non_null(strstr(text, "\"PluginInput\":\"<redacted>\""));
  assert_non_null(strstr(text, "\"Source\":\"file://web.json\""));
  cJSON_free(text);
  cJSON_Delete(r);

  assert_int_equal(call("credentialspec.check", "{\"Value\":\"file://web.json\"}", &r, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItem(r, "Source")->valuestring, "file://web.json");
  cJSON_Delete(r);
  assert_int_equal(call("credentialspec.check", "{\"Value\":\"file://missing.json\"}", &r, &e), WCTR_ENOENT);
  assert_int_equal(call("credentialspec.check", "{\"Value\":\"file://..\\\\web.json\"}", &r, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "invalid credential spec: file:// path must be under "));

  assert_int_equal(call("credentialspec.remove", "{\"Name\":\"web.json\"}", &r, &e), WCTR_OK);
  cJSON_Delete(r);
  assert_false(exists("web.json"));
  assert_int_equal(call("credentialspec.remove", "{\"Name\":\"web.json\"}", &r, &e), WCTR_ENOENT);
}

static void test_refusals_write_nothing(void **state) {
  (void)state;
  cJSON *r = NULL;
  wctr_errmsg e;
  files_created = 0;
  char *p = add_params("bad.json", "{\"CmsPlugins\":[\"ActiveDirectory\"]}", false);
  assert_int_equal(call("credentialspec.add", p, &r, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "credential spec: \"DomainJoinConfig\" is required");
  free(p);
  p = add_params("sub\\web.json", sample_spec, false);
  assert_int_equal(call("credentialspec.add", p, &r, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "credential spec name \"sub\\web.json\": one file name, without folders");
  free(p);
  p = add_params("NUL", sample_spec, false);
  assert_int_equal(call("credentialspec.add", p, &r, &e), WCTR_EINVAL);
  free(p);
  assert_int_equal(call("credentialspec.add", "{\"Name\":\"x.json\",\"Spec\":\"{}\",\"Extra\":1}", &r, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "params: unknown key \"Extra\"");
  assert_int_equal(files_created, 0);
  assert_int_equal(call("credentialspec.list", NULL, &r, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(r), 0);
  cJSON_Delete(r);
}

/* A spec added as leak.tmp (a password in its PluginInput) was accepted, then hidden from
 * `credentialspec ls` and never read by `wctr check`. The store refuses the name in any case, and the
 * NAME.tmp an add leaves when it crashes is removed when the store opens. */
static void test_tmp_names_are_the_stores(void **state) {
  (void)state;
  cJSON *r = NULL;
  wctr_errmsg e;
  const char *names[] = {"leak.tmp", "LEAK.TMP", "web.json.Tmp"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char *p = add_params(names[i], sample_spec, false);
    assert_int_equal(call("credentialspec.add", p, &r, &e), WCTR_EINVAL);
    free(p);
    assert_non_null(strstr(e.text, "ends in .tmp, which the store keeps for its unfinished writes"));
    assert_false(exists(names[i]));
  }
  char *p = add_params("nul .json", sample_spec, false);
  assert_int_equal(call("credentialspec.add", p, &r, &e), WCTR_EINVAL);
  free(p);
  assert_non_null(strstr(e.text, "is a Windows device name"));
  /* What a crash during an add leaves behind. */
  add_sample("web.json", false);
  char path[MAX_PATH * 2];
  snprintf(path, sizeof path, "%s\\credentialspecs\\half.json.tmp", data_root);
  FILE *f = _wfopen(wctr_utf8_to_wide(path), L"wb");
  assert_non_null(f);
  fputs(sample_spec, f);
  fclose(f);
  assert_int_equal(call("credentialspec.list", NULL, &r, &e), WCTR_OK);
  assert_int_equal(cJSON_GetArraySize(r), 1); /* an unfinished write is not a spec */
  cJSON_Delete(r);
  svc_credspecs_close(store);
  assert_int_equal(svc_credspecs_open(data_root, &store, &e), WCTR_OK);
  ops = svc_credspecs_ops(store, &op_count);
  assert_false(exists("half.json.tmp"));
  assert_true(exists("web.json"));
}

/* add checked "exists?" and then wrote without a lock: two adds of one name without
 * --force both succeeded, the second silently replacing the first. Raced on two threads, again and
 * again: exactly one of each pair succeeds, the other is told it exists. */
typedef struct add_race {
  const char *name;
  HANDLE go;
  wctr_err err;
} add_race;

static DWORD WINAPI race_add(LPVOID arg) {
  add_race *a = arg;
  char *p = add_params(a->name, sample_spec, false);
  cJSON *r = NULL;
  wctr_errmsg e;
  WaitForSingleObject(a->go, INFINITE);
  a->err = call("credentialspec.add", p, &r, &e);
  cJSON_Delete(r);
  free(p);
  return 0;
}

static void test_concurrent_adds_of_one_name(void **state) {
  (void)state;
  for (int round = 0; round < 40; round++) {
    char name[32];
    snprintf(name, sizeof name, "race%d.json", round);
    HANDLE go = CreateEventW(NULL, TRUE, FALSE, NULL);
    add_race a = {.name = name, .go = go}, b = {.name = name, .go = go};
    HANDLE ta = CreateThread(NULL, 0, race_add, &a, 0, NULL);
    HANDLE tb = CreateThread(NULL, 0, race_add, &b, 0, NULL);
    Sleep(2);
    SetEvent(go);
    WaitForSingleObject(ta, INFINITE);
    WaitForSingleObject(tb, INFINITE);
    CloseHandle(ta);
    CloseHandle(tb);
    CloseHandle(go);
    bool one_ok = (a.err == WCTR_OK) != (b.err == WCTR_OK);
    bool other_exists = a.err == WCTR_EEXIST || b.err == WCTR_EEXIST;
    if (!one_ok || !other_exists) {
      fail_msg("round %d: the two adds returned %s and %s", round, wctr_err_name(a.err), wctr_err_name(b.err));
    }
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", name);
    assert_false(exists(tmp));
  }
}

static void test_resolution_at_create(void **state) {
  (void)state;
  wctr_errmsg e;
  add_sample("web.json", false);
  cJSON *params = cJSON_Parse("{\"Image\":\"img\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"process\","
                              "\"SecurityOpt\":[\"credentialspec=file://web.json\"]}}");
  svc_container c;
  spec_warnings w = {0};
  assert_int_equal(svc_container_from_params(params, "0123", "n", "now", 4, &c, &w, &e), WCTR_OK);
  assert_int_equal(svc_credspecs_resolve(data_root, &c.spec, &e), WCTR_OK);
  assert_string_equal(c.spec.credspec_source, "file://web.json");
  assert_non_null(strstr(c.spec.credspec_json, SECRET));
  svc_container_free(&c);
  cJSON_Delete(params);
  /* A spec that breaks a rule fails the create, naming the source and the field. */
  FILE *f = NULL;
  char path[MAX_PATH * 2];
  snprintf(path, sizeof path, "%s\\credentialspecs\\broken.json", data_root);
  wchar_t *wpath = wctr_utf8_to_wide(path);
  f = _wfopen(wpath, L"wb");
  free(wpath);
  fputs("{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{}}", f);
  fclose(f);
  params = cJSON_Parse("{\"Image\":\"img\",\"Cmd\":[\"x\"],\"HostConfig\":{\"Isolation\":\"process\","
                       "\"SecurityOpt\":[\"credentialspec=file://broken.json\"]}}");
  assert_int_equal(svc_container_from_params(params, "0123", "n", "now", 4, &c, &w, &e), WCTR_OK);
  assert_int_equal(svc_credspecs_resolve(data_root, &c.spec, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "file://broken.json: credential spec: DomainJoinConfig"));
  svc_container_free(&c);
  cJSON_Delete(params);
}

/* registry:// reads a REG_SZ under Docker's key (HKLM\...\Virtualization\Containers\CredentialSpecs). */
static void test_registry_values(void **state) {
  (void)state;
  char name[64], bad[80];
  wctr_test_unique_name("wctr-test-spec", name, sizeof name);
  snprintf(bad, sizeof bad, "%s-broken", name);
  wchar_t *key = wctr_utf8_to_wide(GMSA_REGISTRY_KEY);
  wchar_t *wname = wctr_utf8_to_wide(name);
  wchar_t *wbad = wctr_utf8_to_wide(bad);
  wchar_t *good_value = wctr_utf8_to_wide(sample_spec);
  const wchar_t *bad_value = L"{\"CmsPlugins\":[\"ActiveDirectory\"]}";
  LSTATUS st = RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, wname, REG_SZ, good_value,
                               (DWORD)((wcslen(good_value) + 1) * sizeof(wchar_t)));
  if (st == ERROR_SUCCESS) {
    st = RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, wbad, REG_SZ, bad_value, (DWORD)((wcslen(bad_value) + 1) * sizeof(wchar_t)));
  }
  if (st != ERROR_SUCCESS) fail_msg("cannot write the test's registry values (error %ld): run as an administrator", (long)st);
  char params[200];
  cJSON *r = NULL;
  wctr_errmsg e;
  snprintf(params, sizeof params, "{\"Value\":\"registry://%s\"}", name);
  wctr_err err = call("credentialspec.check", params, &r, &e);
  if (err != WCTR_OK) fail_msg("%s", e.text);
  char want[120];
  snprintf(want, sizeof want, "registry://%s", name);
  assert_string_equal(cJSON_GetObjectItem(r, "Source")->valuestring, want);
  cJSON_Delete(r);
  snprintf(params, sizeof params, "{\"Value\":\"registry://%s\"}", bad);
  assert_int_equal(call("credentialspec.check", params, &r, &e), WCTR_EINVAL);
  snprintf(want, sizeof want, "registry://%s: credential spec: \"DomainJoinConfig\" is required", bad);
  assert_string_equal(e.text, want);
  assert_int_equal(call("credentialspec.check", "{\"Value\":\"registry://wctr-no-such-value\"}", &r, &e), WCTR_ENOENT);
  assert_non_null(strstr(e.text, "registry value \"wctr-no-such-value\" not found under HKLM\\SOFTWARE\\Microsoft"));
  HKEY k = NULL;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_SET_VALUE, &k) == ERROR_SUCCESS) {
    RegDeleteValueW(k, wname);
    RegDeleteValueW(k, wbad);
    RegCloseKey(k);
  }
  free(key);
  free(wname);
  free(wbad);
  free(good_value);
}

/* A link inside the folder to a file outside it is refused, whatever its name says. */
static void test_link_out_of_the_folder(void **state) {
  (void)state;
  char outside[MAX_PATH * 2], link[MAX_PATH * 2];
  snprintf(outside, sizeof outside, "%s\\outside.json", data_root);
  snprintf(link, sizeof link, "%s\\credentialspecs\\link.json", data_root);
  wchar_t *wout = wctr_utf8_to_wide(outside);
  wchar_t *wlink = wctr_utf8_to_wide(link);
  FILE *f = _wfopen(wout, L"wb");
  fputs(sample_spec, f);
  fclose(f);
  BOOL made = CreateSymbolicLinkW(wlink, wout, 0);
  /* Wine makes the link but cannot open a file through it: the check would not be reached. */
  HANDLE through = made ? CreateFileW(wlink, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL)
                        : INVALID_HANDLE_VALUE;
  if (through != INVALID_HANDLE_VALUE) CloseHandle(through);
  made = made && through != INVALID_HANDLE_VALUE;
  free(wout);
  free(wlink);
  if (!made) {
    /* Creating links needs a privilege; the e2e suite makes one from the outside instead. */
    print_message("no symbolic link could be made here (error %lu); tests/e2e/compose.sh makes one from the "
                  "outside\n",
                  (unsigned long)GetLastError());
    skip();
  }
  cJSON *r = NULL;
  wctr_errmsg e;
  wctr_err got = call("credentialspec.check", "{\"Value\":\"file://link.json\"}", &r, &e);
  if (got != WCTR_EACCES) fail_msg("got %d: %s", got, e.text);
  assert_non_null(strstr(e.text, "leads elsewhere through a link"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_folder_and_file_descriptors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_operations, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refusals_write_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tmp_names_are_the_stores, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_adds_of_one_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resolution_at_create, setup, teardown),
      cmocka_unit_test_setup_teardown(test_registry_values, setup, teardown),
      cmocka_unit_test_setup_teardown(test_link_out_of_the_folder, setup, teardown),
  };
  return cmocka_run_group_tests_name("service_credspecs", tests, NULL, NULL);
}
