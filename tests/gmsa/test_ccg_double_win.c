/* tests/gmsa/test_ccg_double_win.c - gmsa/ccg.h against the HCS test double's computecore.dll, under Wine:
 * the whole Container Credential Guard sequence the HCS start/stop path will make (add an LRPC and an
 * HvSocket instance, read them back, put them into the documents, sweep, remove), with the double
 * validating every request strictly and keeping its instances in its state folder, as HCS keeps them. */
#include <windows.h>

#include <shellapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/wstr.h"
#include "credspec_sample.h"
#include "gmsa/ccg.h"
#include "gmsa/gmsa_util.h"
#include "hcsd_validate.h"
#include "testutil.h"

#define PROCESS_ID "1111111111111111111111111111111111111111111111111111111111111111"
#define HYPERV_ID "2222222222222222222222222222222222222222222222222222222222222222"

typedef HRESULT(WINAPI *modify_fn)(PCWSTR settings, PWSTR *result);
typedef HRESULT(WINAPI *properties_fn)(PCWSTR query, PWSTR *result);
static modify_fn modify_service;
static properties_fn service_properties;
static wchar_t state_dir[MAX_PATH];

/* HcsModifyServiceSettings with a document of ours; the HRESULT. */
static HRESULT modify(const char *doc) {
  wchar_t *wide = wctr_utf8_to_wide(doc);
  PWSTR result = NULL;
  HRESULT hr = modify_service(wide, &result);
  if (result != NULL) LocalFree(result);
  SecureZeroMemory(wide, wcslen(wide) * sizeof *wide);
  free(wide);
  return hr;
}

/* HcsGetServiceProperties(GMSA_CCG_QUERY) as UTF-8 (free with free()). */
static char *properties(void) {
  PWSTR result = NULL;
  HRESULT hr = service_properties(L"" GMSA_CCG_QUERY, &result);
  if (FAILED(hr)) fail_msg("HcsGetServiceProperties: 0x%08lx", (unsigned long)hr);
  char *text = wctr_wide_to_utf8(result);
  LocalFree(result);
  return text;
}

static void add(const char *id, gmsa_ccg_transport transport, HRESULT want) {
  char *req = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_ccg_add_request(id, sample_spec, transport, &req, &e), WCTR_OK);
  HRESULT hr = modify(req);
  gmsa_secret_free(req);
  if (hr != want) fail_msg("AddInstance %s: 0x%08lx, wanted 0x%08lx", id, (unsigned long)hr, (unsigned long)want);
}

static HRESULT remove_instance(const char *id) {
  char *req = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_ccg_remove_request(id, &req, &e), WCTR_OK);
  HRESULT hr = modify(req);
  cJSON_free(req);
  return hr;
}

static void test_lifecycle(void **state) {
  (void)state;
  wctr_errmsg e;
  add(PROCESS_ID, GMSA_CCG_LRPC, S_OK);
  add(HYPERV_ID, GMSA_CCG_HVSOCKET, S_OK);
  /* HCS keeps one instance per id. */
  add(PROCESS_ID, GMSA_CCG_LRPC, HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS));

  char *props = properties();
  gmsa_ccg_instance lrpc, hv;
  assert_int_equal(gmsa_ccg_find_instance(props, PROCESS_ID, &lrpc, &e), WCTR_OK);
  assert_int_equal(gmsa_ccg_find_instance(props, HYPERV_ID, &hv, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItem(lrpc.credential_guard, "Transport")->valuestring, "LRPC");
  assert_null(lrpc.service_id);
  assert_non_null(hv.service_id);
  /* The spec HCS echoes back is the one handed over. */
  assert_string_equal(cJSON_GetObjectItem(lrpc.credential_guard, "CredentialSpec")->valuestring, sample_spec);

  /* Process isolation: the container document with ContainerCredentialGuard passes the double's schema. */
  char msg[1200];
  hv_system_kind kind;
  cJSON *cs = cJSON_Parse("{\"Owner\":\"wctr\",\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Container\":{}}");
  assert_int_equal(gmsa_ccg_put_in_container(cJSON_GetObjectItem(cs, "Container"), &lrpc, &e), WCTR_OK);
  if (!hv_check_compute_system(cs, &kind, msg, sizeof msg)) fail_msg("%s", msg);
  gmsa_json_secure_delete(cs);
  /* Hyper-V: the utility VM's HvSocket service table gets the instance's service. */
  cJSON *vm = cJSON_Parse("{\"Owner\":\"wctr\",\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"VirtualMachine\":{"
                          "\"Devices\":{\"HvSocket\":{\"HvSocketConfig\":{}}}}}");
  cJSON *hvc = cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(vm, "VirtualMachine"), "Devices"), "HvSocket"),
      "HvSocketConfig");
  assert_int_equal(gmsa_ccg_put_in_vm(hvc, &hv, &e), WCTR_OK);
  if (!hv_check_compute_system(vm, &kind, msg, sizeof msg)) fail_msg("%s", msg);
  cJSON_Delete(vm);
  gmsa_ccg_instance_free(&lrpc);
  gmsa_ccg_instance_free(&hv);

  /* wctrd restarts with only the process container still running: the Hyper-V one's instance goes. */
  const char *owned[] = {PROCESS_ID, HYPERV_ID};
  const char *running[] = {PROCESS_ID};
  char **ids = NULL;
  size_t n = 0;
  assert_int_equal(gmsa_ccg_sweep(props, owned, 2, running, 1, &ids, &n, &e), WCTR_OK);
  gmsa_secure_zero(props, strlen(props));
  free(props);
  assert_int_equal(n, 1);
  assert_string_equal(ids[0], HYPERV_ID);
  assert_int_equal(remove_instance(ids[0]), S_OK);
  gmsa_ccg_ids_free(ids, n);
  props = properties();
  assert_int_equal(gmsa_ccg_find_instance(props, HYPERV_ID, &hv, &e), WCTR_ENOENT);
  assert_int_equal(gmsa_ccg_find_instance(props, PROCESS_ID, &lrpc, &e), WCTR_OK);
  gmsa_ccg_instance_free(&lrpc);
  gmsa_secure_zero(props, strlen(props));
  free(props);

  /* The stop path removes it; a second removal is HCS's "not found", which the stop path ignores. */
  assert_int_equal(remove_instance(PROCESS_ID), S_OK);
  assert_int_equal(remove_instance(PROCESS_ID), HRESULT_FROM_WIN32(ERROR_NOT_FOUND));
}

static void remove_tree(const wchar_t *dir) {
  wchar_t from[MAX_PATH + 2] = {0};
  wcsncpy(from, dir, MAX_PATH);
  SHFILEOPSTRUCTW op = {.wFunc = FO_DELETE, .pFrom = from, .fFlags = FOF_NO_UI | FOF_NOCONFIRMATION};
  SHFileOperationW(&op);
}

int main(void) {
  char name[64];
  wctr_test_unique_name("wctr-ccg-double", name, sizeof name);
  wchar_t temp[MAX_PATH];
  GetTempPathW(MAX_PATH, temp);
  swprintf(state_dir, MAX_PATH, L"%ls%hs", temp, name);
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", state_dir);
  wchar_t dir[MAX_PATH], dll[MAX_PATH];
  wctr_test_native_path(HCSD_DLL_DIR, dir, MAX_PATH);
  swprintf(dll, MAX_PATH, L"%ls\\computecore.dll", dir);
  if (GetFileAttributesW(dll) == INVALID_FILE_ATTRIBUTES) {
    /* The executables were copied (the Windows runner): the double is at ..\..\hcs_double from here. */
    GetModuleFileNameW(NULL, dir, MAX_PATH);
    wchar_t *slash = wcsrchr(dir, L'\\');
    if (slash != NULL) slash[1] = L'\0';
    swprintf(dll, MAX_PATH, L"%ls..\\..\\hcs_double\\computecore.dll", dir);
  }
  HMODULE core = LoadLibraryExW(dll, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (core == NULL) {
    fprintf(stderr, "cannot load %ls (error %lu)\n", dll, (unsigned long)GetLastError());
    return 1;
  }
  modify_service = (modify_fn)(void *)GetProcAddress(core, "HcsModifyServiceSettings");
  service_properties = (properties_fn)(void *)GetProcAddress(core, "HcsGetServiceProperties");
  if (modify_service == NULL || service_properties == NULL) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_lifecycle)};
  int rc = cmocka_run_group_tests_name("gmsa_ccg_double", tests, NULL, NULL);
  FreeLibrary(core);
  remove_tree(state_dir);
  return rc;
}
