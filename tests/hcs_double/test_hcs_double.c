/* tests/hcs_double/test_hcs_double.c - the HCS test double, driven as a client drives HCS: the DLLs are
 * loaded by absolute path (LoadLibraryExW, as wctrd does) and every function is called through
 * GetProcAddress with the prototypes of mingw-w64's computecore.h and computestorage.h, and hcsshim's
 * shapes for vmcompute.dll (which has no header). Every refusal a real host makes that the double models
 * (README.md, "Refusals") has its test here, with the HRESULT.
 *
 * The state folder is a fresh one per run (WCTR_HCS_DOUBLE_STATE); knobs come from the environment
 * set before the DLL is loaded and from control.txt written by the tests. */
#include <windows.h>

#include <computecore.h>
#include <computestorage.h>
#include <objbase.h>
#include <shlobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cjson/cJSON.h>

#include "testutil.h"

#define HCS_E_INVALID_STATE ((HRESULT)0x80370105L)
#define HCS_E_INVALID_JSON ((HRESULT)0x8037010DL)
#define HCS_E_SYSTEM_NOT_FOUND ((HRESULT)0x8037010EL)
#define HCS_E_SYSTEM_ALREADY_EXISTS ((HRESULT)0x8037010FL)
#define HCS_E_SYSTEM_ALREADY_STOPPED ((HRESULT)0x80370110L)
#define HCS_E_OPERATION_NOT_STARTED ((HRESULT)0x80370115L)
#define HCS_E_OPERATION_ALREADY_STARTED ((HRESULT)0x80370116L)
#define HCS_E_OPERATION_PENDING ((HRESULT)0x80370117L)
#define HCS_E_OPERATION_TIMEOUT ((HRESULT)0x80370118L)
#define HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET ((HRESULT)0x80370119L)
#define HCS_E_PROCESS_ALREADY_STOPPED ((HRESULT)0x8037011FL)
#define HCS_E_IMAGE_MISMATCH ((HRESULT)0x80370101L)
#define HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION ((HRESULT)0x80370120L)
#define E_NOT_VIRTUAL_DISK ((HRESULT)0xC03A0015L)
#define E_NOT_READY HRESULT_FROM_WIN32(ERROR_NOT_READY)
#define E_BUSY HRESULT_FROM_WIN32(ERROR_BUSY)
#define E_PATH_NOT_FOUND HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND)
#define E_FILE_NOT_FOUND HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)
#define E_PRIVILEGE_NOT_HELD HRESULT_FROM_WIN32(ERROR_PRIVILEGE_NOT_HELD)
#define E_INVALID_DATA HRESULT_FROM_WIN32(ERROR_INVALID_DATA)
#define SCSI0 "df6d0690-79e5-55b6-a5ec-c1e2f77f580a"
/* The VSMB path prefix as it appears inside JSON text (backslashes escaped). */
#define VSMB "\\\\\\\\?\\\\VMSMB\\\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\\\"

#define WAIT_MS 20000

/* ---- the API, resolved by name ---- */

#define HCS_FUNCTIONS(X)                                                                                 \
  X(HcsCreateOperation) X(HcsCloseOperation) X(HcsWaitForOperationResult)                                \
  X(HcsWaitForOperationResultAndProcessInfo) X(HcsGetOperationResult) X(HcsCancelOperation)             \
  X(HcsCreateComputeSystem) X(HcsOpenComputeSystem) X(HcsCloseComputeSystem) X(HcsStartComputeSystem)   \
  X(HcsShutDownComputeSystem) X(HcsTerminateComputeSystem) X(HcsPauseComputeSystem)                     \
  X(HcsResumeComputeSystem) X(HcsGetComputeSystemProperties) X(HcsModifyComputeSystem)                  \
  X(HcsSetComputeSystemCallback) X(HcsCreateProcess) X(HcsOpenProcess) X(HcsCloseProcess)               \
  X(HcsTerminateProcess) X(HcsSignalProcess) X(HcsGetProcessInfo) X(HcsGetProcessProperties)            \
  X(HcsModifyProcess) X(HcsSetProcessCallback) X(HcsGetServiceProperties) X(HcsModifyServiceSettings)   \
  X(HcsGrantVmAccess) X(HcsEnumerateComputeSystems)

#define STORAGE_FUNCTIONS(X)                                                                             \
  X(HcsImportLayer) X(HcsSetupBaseOSLayer) X(HcsInitializeWritableLayer) X(HcsAttachLayerStorageFilter) \
  X(HcsDetachLayerStorageFilter) X(HcsFormatWritableLayerVhd) X(HcsDestroyLayer)

static struct {
#define FIELD(name) __typeof__(&name) name;
  HCS_FUNCTIONS(FIELD) STORAGE_FUNCTIONS(FIELD)
#undef FIELD
} hcs;

/* vmcompute.dll as hcsshim declares it (internal/wclayer): DriverInfo {Flavour, HomeDir} and
 * WC_LAYER_DESCRIPTOR {LayerId, Flags, Path}, arrays passed with a pointer-sized count. */
typedef struct driver_info {
  int flavour;
  PCWSTR home_dir;
} driver_info;
typedef struct layer_descriptor {
  GUID id;
  ULONG flags;
  PCWSTR path;
} layer_descriptor;
static struct {
  HRESULT(WINAPI *NameToGuid)(PCWSTR, GUID *);
  HRESULT(WINAPI *CreateSandboxLayer)(driver_info *, PCWSTR, PCWSTR, layer_descriptor *, size_t);
  HRESULT(WINAPI *ActivateLayer)(driver_info *, PCWSTR);
  HRESULT(WINAPI *PrepareLayer)(driver_info *, PCWSTR, layer_descriptor *, size_t);
  HRESULT(WINAPI *GetLayerMountPath)(driver_info *, PCWSTR, size_t *, PWSTR);
  HRESULT(WINAPI *UnprepareLayer)(driver_info *, PCWSTR);
  HRESULT(WINAPI *DeactivateLayer)(driver_info *, PCWSTR);
  HRESULT(WINAPI *DestroyLayer)(driver_info *, PCWSTR);
  HRESULT(WINAPI *LayerExists)(driver_info *, PCWSTR, UINT32 *);
  HRESULT(WINAPI *ImportLayer)(driver_info *, PCWSTR, PCWSTR, layer_descriptor *, size_t);
  HRESULT(WINAPI *ProcessBaseImage)(PCWSTR);
  HRESULT(WINAPI *ProcessUtilityImage)(PCWSTR);
} vm;
static driver_info g_info = {1, L""};

/* computenetwork.dll with mingw-w64's computenetwork.h prototypes (handles as void *). */
#define HCN_FUNCTIONS(X)                                                                                  \
  X(HcnEnumerateNetworks, (PCWSTR, PWSTR *, PWSTR *))                                                     \
  X(HcnCreateNetwork, (const GUID *, PCWSTR, void **, PWSTR *))                                           \
  X(HcnOpenNetwork, (const GUID *, void **, PWSTR *))                                                     \
  X(HcnModifyNetwork, (void *, PCWSTR, PWSTR *))                                                          \
  X(HcnQueryNetworkProperties, (void *, PCWSTR, PWSTR *, PWSTR *))                                        \
  X(HcnDeleteNetwork, (const GUID *, PWSTR *))                                                            \
  X(HcnCloseNetwork, (void *))                                                                            \
  X(HcnEnumerateEndpoints, (PCWSTR, PWSTR *, PWSTR *))                                                    \
  X(HcnCreateEndpoint, (void *, const GUID *, PCWSTR, void **, PWSTR *))                                  \
  X(HcnOpenEndpoint, (const GUID *, void **, PWSTR *))                                                    \
  X(HcnModifyEndpoint, (void *, PCWSTR, PWSTR *))                                                         \
  X(HcnQueryEndpointProperties, (void *, PCWSTR, PWSTR *, PWSTR *))                                       \
  X(HcnDeleteEndpoint, (const GUID *, PWSTR *))                                                           \
  X(HcnCloseEndpoint, (void *))                                                                           \
  X(HcnEnumerateNamespaces, (PCWSTR, PWSTR *, PWSTR *))                                                   \
  X(HcnCreateNamespace, (const GUID *, PCWSTR, void **, PWSTR *))                                         \
  X(HcnOpenNamespace, (const GUID *, void **, PWSTR *))                                                   \
  X(HcnModifyNamespace, (void *, PCWSTR, PWSTR *))                                                        \
  X(HcnQueryNamespaceProperties, (void *, PCWSTR, PWSTR *, PWSTR *))                                      \
  X(HcnDeleteNamespace, (const GUID *, PWSTR *))                                                          \
  X(HcnCloseNamespace, (void *))
static struct {
#define HCN(name, args) HRESULT(WINAPI *name) args;
  HCN_FUNCTIONS(HCN)
#undef HCN
} hcn;

static HMODULE g_core, g_storage, g_vmcompute, g_network;
/* The fixture every container of these tests stands on: a base layer and a mounted scratch over it. */
static wchar_t g_base[MAX_PATH], g_scratch[MAX_PATH];
static char g_base_utf8[MAX_PATH * 3], g_base_id[37], g_volume[80];
static wchar_t g_dll_dir[MAX_PATH];
static wchar_t g_state[MAX_PATH];
static wchar_t g_child[MAX_PATH];
static char g_child_utf8[MAX_PATH * 3];
static unsigned g_serial;

/* ---- paths ---- */

static bool exists(const wchar_t *path) {
  return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

/* The folder of this executable, with a trailing backslash. */
static void exe_dir(wchar_t *out, size_t size) {
  GetModuleFileNameW(NULL, out, (DWORD)size);
  wchar_t *slash = wcsrchr(out, L'\\');
  if (slash != NULL) slash[1] = L'\0';
}

/* The double's DLLs and the child program: where the build put them (compile definitions) or, when
 * the executables were copied elsewhere (the Windows runner), at the same place relative to this one. */
static void find_files(void) {
  wchar_t dir[MAX_PATH], probe[MAX_PATH];
  wctr_test_native_path(HCSD_DLL_DIR, g_dll_dir, MAX_PATH);
  swprintf(probe, MAX_PATH, L"%ls\\computecore.dll", g_dll_dir);
  if (!exists(probe)) {
    exe_dir(dir, MAX_PATH);
    swprintf(g_dll_dir, MAX_PATH, L"%ls..\\..\\hcs_double", dir);
    GetFullPathNameW(g_dll_dir, MAX_PATH, probe, NULL);
    wcscpy_s(g_dll_dir, MAX_PATH, probe);
  }
  wctr_test_native_path(HCSD_CHILD_EXE, g_child, MAX_PATH);
  if (!exists(g_child)) {
    exe_dir(dir, MAX_PATH);
    swprintf(g_child, MAX_PATH, L"%lshcsd_child.exe", dir);
  }
  WideCharToMultiByte(CP_UTF8, 0, g_child, -1, g_child_utf8, sizeof g_child_utf8, NULL, NULL);
}

static HMODULE load_dll(const wchar_t *name) {
  wchar_t path[MAX_PATH];
  swprintf(path, MAX_PATH, L"%ls\\%ls", g_dll_dir, name);
  HMODULE m = LoadLibraryExW(path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
  if (m == NULL) {
    fprintf(stderr, "cannot load %ls (error %lu)\n", path, (unsigned long)GetLastError());
    exit(1);
  }
  return m;
}

static void load_api(void) {
  g_core = load_dll(L"computecore.dll");
  g_storage = load_dll(L"computestorage.dll");
  g_vmcompute = load_dll(L"vmcompute.dll");
  g_network = load_dll(L"computenetwork.dll");
#define RESOLVE(name)                                                               \
  hcs.name = (__typeof__(hcs.name))(void *)GetProcAddress(g_core, #name);           \
  if (hcs.name == NULL) hcs.name = (__typeof__(hcs.name))(void *)GetProcAddress(g_storage, #name);
  HCS_FUNCTIONS(RESOLVE) STORAGE_FUNCTIONS(RESOLVE)
#undef RESOLVE
#define VM(name) vm.name = (__typeof__(vm.name))(void *)GetProcAddress(g_vmcompute, #name);
  VM(NameToGuid) VM(CreateSandboxLayer) VM(ActivateLayer) VM(PrepareLayer) VM(GetLayerMountPath) VM(UnprepareLayer)
  VM(DeactivateLayer) VM(DestroyLayer) VM(LayerExists) VM(ImportLayer) VM(ProcessBaseImage) VM(ProcessUtilityImage)
#undef VM
#define HCN(name, args) hcn.name = (HRESULT(WINAPI *) args)(void *)GetProcAddress(g_network, #name);
  HCN_FUNCTIONS(HCN)
#undef HCN
}

static void unique_id(const char *prefix, char *out, size_t size) {
  snprintf(out, size, "%s-%lu-%u", prefix, (unsigned long)GetCurrentProcessId(), ++g_serial);
}

static wchar_t *wide(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  wchar_t *w = malloc((size_t)n * sizeof *w);
  assert_non_null(w);
  MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
  return w;
}

/* A LocalAlloc'ed result document to malloc'ed UTF-8 (NULL stays NULL), freeing it as HCS asks. */
static char *take_doc(PWSTR doc) {
  if (doc == NULL) return NULL;
  int n = WideCharToMultiByte(CP_UTF8, 0, doc, -1, NULL, 0, NULL, NULL);
  char *s = malloc((size_t)n);
  assert_non_null(s);
  WideCharToMultiByte(CP_UTF8, 0, doc, -1, s, n, NULL, NULL);
  assert_null(LocalFree(doc));
  return s;
}

/* ---- files of the state folder ---- */

static void state_file(const wchar_t *name, wchar_t *out) {
  swprintf(out, MAX_PATH, L"%ls\\%ls", g_state, name);
}

static char *read_file(const wchar_t *path) {
  HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, 0, NULL);
  if (f == INVALID_HANDLE_VALUE) return NULL;
  DWORD size = GetFileSize(f, NULL), got = 0;
  char *text = malloc(size + 1);
  assert_non_null(text);
  ReadFile(f, text, size, &got, NULL);
  text[got] = '\0';
  CloseHandle(f);
  return text;
}

static void write_file(const wchar_t *path, const char *text) {
  HANDLE f = CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS, 0, NULL);
  assert_true(f != INVALID_HANDLE_VALUE);
  DWORD written;
  assert_true(WriteFile(f, text, (DWORD)strlen(text), &written, NULL));
  CloseHandle(f);
}

static void control(const char *text) {
  wchar_t path[MAX_PATH];
  state_file(L"control.txt", path);
  if (text == NULL) {
    DeleteFileW(path);
  } else {
    write_file(path, text);
  }
}

/* The call-log lines (parsed) with "call" == call, optionally also "id" == id. Caller deletes. */
static cJSON *log_lines(const char *call, const char *id) {
  wchar_t path[MAX_PATH];
  state_file(L"calls.jsonl", path);
  char *text = read_file(path);
  assert_non_null(text);
  cJSON *out = cJSON_CreateArray();
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    cJSON *j = cJSON_Parse(line);
    assert_non_null(j); /* every line is one JSON object */
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "call");
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (cJSON_IsString(c) && strcmp(c->valuestring, call) == 0 &&
        (id == NULL || (cJSON_IsString(i) && strcmp(i->valuestring, id) == 0))) {
      cJSON_AddItemToArray(out, j);
    } else {
      cJSON_Delete(j);
    }
  }
  free(text);
  return out;
}

/* ---- operations ---- */

static HCS_OPERATION new_op(void) {
  HCS_OPERATION op = hcs.HcsCreateOperation(NULL, NULL);
  assert_non_null(op);
  return op;
}

/* Waits for op (then closes it); its result document, if any, into *doc (malloc'ed UTF-8). */
static HRESULT finish(HCS_OPERATION op, char **doc) {
  PWSTR result = NULL;
  HRESULT hr = hcs.HcsWaitForOperationResult(op, WAIT_MS, &result);
  char *text = take_doc(result);
  if (doc != NULL) {
    *doc = text;
  } else {
    free(text);
  }
  hcs.HcsCloseOperation(op);
  return hr;
}

/* Checks an error document: {"Error": hr as int32, "ErrorMessage": containing want}. */
static void assert_error_doc(const char *doc, HRESULT hr, const char *want) {
  if (doc == NULL) fail_msg("no result document for 0x%08lx", (unsigned long)hr);
  cJSON *j = cJSON_Parse(doc);
  assert_non_null(j);
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(j, "Error");
  const cJSON *message = cJSON_GetObjectItemCaseSensitive(j, "ErrorMessage");
  assert_true(cJSON_IsNumber(error));
  assert_int_equal((int32_t)error->valuedouble, (int32_t)hr);
  assert_true(cJSON_IsString(message));
  if (strstr(message->valuestring, want) == NULL) fail_msg("ErrorMessage \"%s\" lacks \"%s\"", message->valuestring, want);
  cJSON_Delete(j);
}

/* ---- layers (vmcompute.dll) ---- */

static void guid_text(const GUID *g, char out[37]) {
  snprintf(out, 37, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", (unsigned long)g->Data1, (unsigned)g->Data2,
           (unsigned)g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4], g->Data4[5],
           g->Data4[6], g->Data4[7]);
}

/* NameToGuid of a layer folder's name, as a client computes a layer's id. */
static void layer_id(const wchar_t *folder, GUID *g) {
  const wchar_t *name = wcsrchr(folder, L'\\');
  assert_int_equal(vm.NameToGuid(name != NULL ? name + 1 : folder, g), S_OK);
}

static layer_descriptor descriptor(const wchar_t *folder) {
  layer_descriptor d;
  memset(&d, 0, sizeof d);
  layer_id(folder, &d.id);
  d.path = folder;
  return d;
}

/* A layer folder in the state folder (with Files\ for a base layer). */
static void make_layer(const wchar_t *name, bool base, wchar_t *out) {
  state_file(name, out);
  SHCreateDirectoryExW(NULL, out, NULL);
  if (base) {
    wchar_t files[MAX_PATH];
    swprintf(files, MAX_PATH, L"%ls\\Files", out);
    CreateDirectoryW(files, NULL);
  }
}

/* SeBackupPrivilege and SeRestorePrivilege on or off in this process's token: the layer writer's calls need
 * them (hcsshim), and the double checks the caller's token. */
static void privileges(bool on) {
  HANDLE tok = NULL;
  assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok));
  static const wchar_t *const names[] = {L"SeBackupPrivilege", L"SeRestorePrivilege"};
  for (int i = 0; i < 2; i++) {
    TOKEN_PRIVILEGES tp = {.PrivilegeCount = 1};
    assert_true(LookupPrivilegeValueW(NULL, names[i], &tp.Privileges[0].Luid));
    tp.Privileges[0].Attributes = on ? SE_PRIVILEGE_ENABLED : 0;
    assert_true(AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL));
    assert_int_equal(GetLastError(), ERROR_SUCCESS);
  }
  CloseHandle(tok);
}

static void put_u32(char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (char)(v >> (8 * i));
}

/* A staged entry of the transport format: the attribute word, then a data stream (when data is not NULL)
 * and an alternate data stream (when ads is not NULL, as ":NAME:$DATA"); cut: write only that many bytes. */
static void staged(const wchar_t *path, uint32_t word, const char *data, const wchar_t *ads, const char *ads_data,
                   size_t cut) {
  char buf[1024];
  size_t n = 0;
  put_u32(buf, word);
  n = 4;
  if (data != NULL) {
    memset(buf + n, 0, 20);
    put_u32(buf + n, 1); /* BACKUP_DATA */
    put_u32(buf + n + 8, (uint32_t)strlen(data));
    memcpy(buf + n + 20, data, strlen(data));
    n += 20 + strlen(data);
  }
  if (ads != NULL) {
    size_t name = wcslen(ads) * 2;
    memset(buf + n, 0, 20);
    put_u32(buf + n, 4); /* BACKUP_ALTERNATE_DATA */
    put_u32(buf + n + 8, (uint32_t)strlen(ads_data));
    put_u32(buf + n + 16, (uint32_t)name);
    for (size_t i = 0; i < wcslen(ads); i++) {
      buf[n + 20 + 2 * i] = (char)ads[i];
      buf[n + 20 + 2 * i + 1] = 0;
    }
    memcpy(buf + n + 20 + name, ads_data, strlen(ads_data));
    n += 20 + name + strlen(ads_data);
  }
  if (cut != 0 && cut < n) n = cut;
  HANDLE f = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
  assert_true(f != INVALID_HANDLE_VALUE);
  DWORD w = 0;
  assert_true(WriteFile(f, buf, (DWORD)n, &w, NULL));
  CloseHandle(f);
}

/* A staging folder of the transport format: Files\ (x.txt with a stream), Hives\H_Delta. */
static void make_staging(const wchar_t *name, wchar_t *out) {
  wchar_t p[MAX_PATH];
  make_layer(name, false, out);
  swprintf(p, MAX_PATH, L"%ls\\Files", out);
  CreateDirectoryW(p, NULL);
  swprintf(p, MAX_PATH, L"%ls\\Files.$wcidirs$", out);
  staged(p, FILE_ATTRIBUTE_DIRECTORY, NULL, NULL, NULL, 0);
  swprintf(p, MAX_PATH, L"%ls\\Files\\x.txt", out);
  staged(p, FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_HIDDEN, "hi", L":s:$DATA", "ss", 0);
  swprintf(p, MAX_PATH, L"%ls\\Hives", out);
  CreateDirectoryW(p, NULL);
  swprintf(p, MAX_PATH, L"%ls\\Hives.$wcidirs$", out);
  staged(p, FILE_ATTRIBUTE_DIRECTORY, NULL, NULL, NULL, 0);
  swprintf(p, MAX_PATH, L"%ls\\Hives\\H_Delta", out);
  write_file(p, "hive");
}

/* A base layer as ProcessBaseImage and ProcessUtilityImage read it. */
static void make_base_image(const wchar_t *name, wchar_t *out) {
  wchar_t p[MAX_PATH];
  make_layer(name, true, out);
  swprintf(p, MAX_PATH, L"%ls\\Files\\Windows\\System32\\config", out);
  SHCreateDirectoryExW(NULL, p, NULL);
  swprintf(p, MAX_PATH, L"%ls\\UtilityVM\\Files\\EFI\\Microsoft\\Boot", out);
  SHCreateDirectoryExW(NULL, p, NULL);
  swprintf(p, MAX_PATH, L"%ls\\UtilityVM\\Files\\EFI\\Microsoft\\Boot\\BCD", out);
  write_file(p, "bcd");
}

/* A scratch over base: created, activated and prepared; its volume into volume. */
static void mounted_scratch(const wchar_t *scratch, const wchar_t *base, char *volume, size_t size) {
  layer_descriptor d = descriptor(base);
  assert_int_equal(vm.CreateSandboxLayer(&g_info, scratch, NULL, &d, 1), S_OK);
  assert_int_equal(vm.ActivateLayer(&g_info, scratch), S_OK);
  assert_int_equal(vm.PrepareLayer(&g_info, scratch, &d, 1), S_OK);
  wchar_t buf[100];
  size_t len = ARRAYSIZE(buf);
  assert_int_equal(vm.GetLayerMountPath(&g_info, scratch, &len, buf), S_OK);
  WideCharToMultiByte(CP_UTF8, 0, buf, -1, volume, (int)size, NULL, NULL);
}

/* The fixture's names; its volume when it is mounted (a client process finds it as the test left it). */
static void fixture_load(void) {
  state_file(L"fixture\\base", g_base);
  state_file(L"fixture\\scratch", g_scratch);
  WideCharToMultiByte(CP_UTF8, 0, g_base, -1, g_base_utf8, sizeof g_base_utf8, NULL, NULL);
  GUID g;
  layer_id(g_base, &g);
  guid_text(&g, g_base_id);
  wchar_t buf[100];
  size_t len = ARRAYSIZE(buf);
  if (vm.GetLayerMountPath(&g_info, g_scratch, &len, buf) == S_OK) {
    WideCharToMultiByte(CP_UTF8, 0, buf, -1, g_volume, sizeof g_volume, NULL, NULL);
  }
}

static void fixture_create(void) {
  wchar_t base[MAX_PATH];
  make_layer(L"fixture\\base", true, base);
  fixture_load();
  mounted_scratch(g_scratch, g_base, g_volume, sizeof g_volume);
}

/* ---- compute systems ---- */

/* A process-isolated container standing on the fixture (its volume, its layer), as JSON text; extra is put at
 * the top level (",\"ShouldTerminateOnLastHandleClosed\":true"). The text lives until the next call. */
static const char *container_doc_with(const char *extra) {
  static char doc[4096];
  cJSON *d = cJSON_CreateObject();
  cJSON *v = cJSON_AddObjectToObject(d, "SchemaVersion");
  cJSON_AddNumberToObject(v, "Major", 2);
  cJSON_AddNumberToObject(v, "Minor", 1);
  cJSON_AddStringToObject(d, "Owner", "wctr-test");
  cJSON *c = cJSON_AddObjectToObject(d, "Container");
  cJSON *storage = cJSON_AddObjectToObject(c, "Storage");
  cJSON *layers = cJSON_AddArrayToObject(storage, "Layers");
  cJSON *l = cJSON_CreateObject();
  cJSON_AddStringToObject(l, "Id", g_base_id);
  cJSON_AddStringToObject(l, "Path", g_base_utf8);
  cJSON_AddItemToArray(layers, l);
  cJSON_AddStringToObject(storage, "Path", g_volume);
  cJSON_AddItemToObject(c, "Memory", cJSON_Parse("{\"SizeInMB\":500}"));
  cJSON_AddItemToObject(c, "Processor", cJSON_Parse("{\"Count\":2}"));
  cJSON_AddItemToObject(c, "RegistryChanges",
                        cJSON_Parse("{\"AddValues\":[{\"Key\":{\"Hive\":\"System\",\"Name\":\"ControlSet001\\\\Control\"},"
                                    "\"Name\":\"WaitToKillServiceTimeout\",\"Type\":\"String\",\"StringValue\":\"2147483647\"}]}"));
  char *text = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  assert_non_null(text);
  size_t n = strlen(text);
  snprintf(doc, sizeof doc, "%.*s%s}", (int)(n - 1), text, extra);
  cJSON_free(text);
  return doc;
}

static const char *container_doc(void) { return container_doc_with(""); }

static HRESULT create_system(const char *id, const char *doc, HCS_SYSTEM *sys, char **result) {
  HCS_OPERATION op = new_op();
  wchar_t *wid = wide(id), *wdoc = wide(doc);
  *sys = NULL;
  HRESULT call = hcs.HcsCreateComputeSystem(wid, wdoc, op, NULL, sys);
  free(wid);
  free(wdoc);
  if (FAILED(call)) {
    hcs.HcsCloseOperation(op);
    return call;
  }
  return finish(op, result);
}

typedef HRESULT(WINAPI *system_call)(HCS_SYSTEM, HCS_OPERATION, PCWSTR);

static HRESULT on_system(system_call fn, HCS_SYSTEM sys, const char *options, char **result) {
  HCS_OPERATION op = new_op();
  wchar_t *w = options != NULL ? wide(options) : NULL;
  HRESULT call = fn(sys, op, w);
  free(w);
  if (FAILED(call)) {
    hcs.HcsCloseOperation(op);
    return call;
  }
  return finish(op, result);
}

static HRESULT modify_system(HCS_SYSTEM sys, const char *doc, char **result) {
  HCS_OPERATION op = new_op();
  wchar_t *w = wide(doc);
  HRESULT call = hcs.HcsModifyComputeSystem(sys, op, w, NULL);
  free(w);
  if (FAILED(call)) {
    hcs.HcsCloseOperation(op);
    return call;
  }
  return finish(op, result);
}

/* The value of "State" in the system's basic properties. */
static void assert_state(HCS_SYSTEM sys, const char *state) {
  char *doc = NULL;
  assert_int_equal(on_system(hcs.HcsGetComputeSystemProperties, sys, NULL, &doc), S_OK);
  cJSON *j = cJSON_Parse(doc);
  assert_non_null(j);
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "State");
  assert_true(cJSON_IsString(s));
  assert_string_equal(s->valuestring, state);
  cJSON_Delete(j);
  free(doc);
}

static HCS_SYSTEM running_container(const char *id) {
  HCS_SYSTEM sys;
  assert_int_equal(create_system(id, container_doc(), &sys, NULL), S_OK);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), S_OK);
  return sys;
}

/* ---- events ---- */

#define MAX_EVENTS 32

typedef struct recorder {
  SRWLOCK lock;
  CONDITION_VARIABLE cv;
  int count;
  HCS_EVENT_TYPE types[MAX_EVENTS];
  char *data[MAX_EVENTS];
  HCS_OPERATION ops[MAX_EVENTS];
  DWORD thread;
} recorder;

static void recorder_init(recorder *r) {
  memset(r, 0, sizeof *r);
  InitializeSRWLock(&r->lock);
  InitializeConditionVariable(&r->cv);
}

static void recorder_free(recorder *r) {
  for (int i = 0; i < r->count; i++) free(r->data[i]);
}

static void CALLBACK record_event(HCS_EVENT *event, void *context) {
  recorder *r = context;
  AcquireSRWLockExclusive(&r->lock);
  if (r->count < MAX_EVENTS) {
    r->types[r->count] = event->Type;
    r->data[r->count] = NULL;
    if (event->EventData != NULL) {
      int n = WideCharToMultiByte(CP_UTF8, 0, event->EventData, -1, NULL, 0, NULL, NULL);
      r->data[r->count] = malloc((size_t)n);
      WideCharToMultiByte(CP_UTF8, 0, event->EventData, -1, r->data[r->count], n, NULL, NULL);
    }
    r->ops[r->count] = event->Operation;
    r->count++;
  }
  r->thread = GetCurrentThreadId();
  WakeAllConditionVariable(&r->cv);
  ReleaseSRWLockExclusive(&r->lock);
}

/* The data of the first event of type (parsed), waiting for it; fails the test after WAIT_MS. */
static cJSON *wait_event(recorder *r, HCS_EVENT_TYPE type) {
  ULONGLONG until = GetTickCount64() + WAIT_MS;
  AcquireSRWLockExclusive(&r->lock);
  for (;;) {
    for (int i = 0; i < r->count; i++) {
      if (r->types[i] == type) {
        cJSON *j = r->data[i] != NULL ? cJSON_Parse(r->data[i]) : cJSON_CreateNull();
        ReleaseSRWLockExclusive(&r->lock);
        assert_non_null(j);
        return j;
      }
    }
    ULONGLONG now = GetTickCount64();
    if (now >= until) break;
    SleepConditionVariableSRW(&r->cv, &r->lock, (DWORD)(until - now), 0);
  }
  ReleaseSRWLockExclusive(&r->lock);
  fail_msg("no event 0x%x within %d ms", (unsigned)type, WAIT_MS);
  return NULL;
}

static int events_of(recorder *r, HCS_EVENT_TYPE type) {
  AcquireSRWLockExclusive(&r->lock);
  int n = 0;
  for (int i = 0; i < r->count; i++) n += r->types[i] == type;
  ReleaseSRWLockExclusive(&r->lock);
  return n;
}

static double number(const cJSON *obj, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(v)) fail_msg("no number \"%s\"", name);
  return v->valuedouble;
}

static const char *string(const cJSON *obj, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsString(v)) fail_msg("no string \"%s\"", name);
  return v->valuestring;
}

/* ---- processes ---- */

/* ProcessParameters running the child program with args; pipes as asked. Caller frees. */
static char *child_params(const char *args, bool in, bool out, bool err) {
  char cmd[MAX_PATH * 3 + 512];
  snprintf(cmd, sizeof cmd, "\"%s\" %s", g_child_utf8, args);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "CommandLine", cmd);
  if (in) cJSON_AddBoolToObject(p, "CreateStdInPipe", true);
  if (out) cJSON_AddBoolToObject(p, "CreateStdOutPipe", true);
  if (err) cJSON_AddBoolToObject(p, "CreateStdErrPipe", true);
  char *text = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  return text;
}

static HRESULT create_process(HCS_SYSTEM sys, const char *params, HCS_PROCESS *proc, HCS_PROCESS_INFORMATION *info,
                              char **result) {
  HCS_OPERATION op = new_op();
  wchar_t *w = wide(params);
  *proc = NULL;
  HRESULT call = hcs.HcsCreateProcess(sys, w, op, NULL, proc);
  free(w);
  if (FAILED(call)) {
    hcs.HcsCloseOperation(op);
    return call;
  }
  PWSTR doc = NULL;
  HRESULT hr = hcs.HcsWaitForOperationResultAndProcessInfo(op, WAIT_MS, info, &doc);
  char *text = take_doc(doc);
  if (result != NULL) {
    *result = text;
  } else {
    free(text);
  }
  hcs.HcsCloseOperation(op);
  return hr;
}

typedef HRESULT(WINAPI *process_call)(HCS_PROCESS, HCS_OPERATION, PCWSTR);

static HRESULT on_process(process_call fn, HCS_PROCESS proc, const char *doc, char **result) {
  HCS_OPERATION op = new_op();
  wchar_t *w = doc != NULL ? wide(doc) : NULL;
  HRESULT call = fn(proc, op, w);
  free(w);
  if (FAILED(call)) {
    hcs.HcsCloseOperation(op);
    return call;
  }
  return finish(op, result);
}

/* Reads an overlapped pipe handle until end-of-file (the handles HCS returns are overlapped). */
static size_t read_all(HANDLE h, char *buf, size_t size) {
  size_t used = 0;
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  for (;;) {
    OVERLAPPED ov;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = ev;
    DWORD got = 0;
    if (!ReadFile(h, buf + used, (DWORD)(size - 1 - used), NULL, &ov) && GetLastError() != ERROR_IO_PENDING) break;
    if (WaitForSingleObject(ev, WAIT_MS) != WAIT_OBJECT_0) {
      CancelIoEx(h, &ov);
      GetOverlappedResult(h, &ov, &got, TRUE);
      fail_msg("no end-of-file within %d ms", WAIT_MS);
    }
    if (!GetOverlappedResult(h, &ov, &got, FALSE) || got == 0) break;
    used += got;
    if (used + 1 >= size) break;
  }
  CloseHandle(ev);
  buf[used] = '\0';
  return used;
}

/* Reads what is there (at least one byte). */
static size_t read_some(HANDLE h, char *buf, size_t size) {
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  OVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = ev;
  DWORD got = 0;
  if (ReadFile(h, buf, (DWORD)(size - 1), NULL, &ov) || GetLastError() == ERROR_IO_PENDING) {
    if (WaitForSingleObject(ev, WAIT_MS) != WAIT_OBJECT_0) CancelIoEx(h, &ov);
    GetOverlappedResult(h, &ov, &got, TRUE);
  }
  CloseHandle(ev);
  buf[got] = '\0';
  return got;
}

static void write_all(HANDLE h, const char *text) {
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  OVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = ev;
  DWORD n = 0;
  if (!WriteFile(h, text, (DWORD)strlen(text), NULL, &ov)) assert_int_equal(GetLastError(), ERROR_IO_PENDING);
  assert_true(GetOverlappedResult(h, &ov, &n, TRUE));
  assert_int_equal(n, strlen(text));
  CloseHandle(ev);
}

static void close_info(HCS_PROCESS_INFORMATION *info) {
  if (info->StdInput != NULL) CloseHandle(info->StdInput);
  if (info->StdOutput != NULL) CloseHandle(info->StdOutput);
  if (info->StdError != NULL) CloseHandle(info->StdError);
}

/* ================================ tests ================================ */

static void test_exports(void **state) {
  (void)state;
#define CHECK(name) assert_non_null(hcs.name);
  HCS_FUNCTIONS(CHECK) STORAGE_FUNCTIONS(CHECK)
#undef CHECK
  /* computestorage's functions live in computestorage.dll only, vmcompute's in vmcompute.dll. */
  assert_null(GetProcAddress(g_core, "HcsImportLayer"));
  assert_non_null(GetProcAddress(g_storage, "HcsImportLayer"));
  assert_non_null(vm.NameToGuid);
  assert_non_null(vm.CreateSandboxLayer);
  assert_non_null(vm.ActivateLayer);
  assert_non_null(vm.PrepareLayer);
  assert_non_null(vm.GetLayerMountPath);
  assert_non_null(vm.UnprepareLayer);
  assert_non_null(vm.DeactivateLayer);
  assert_non_null(vm.DestroyLayer);
  assert_non_null(vm.LayerExists);
  assert_non_null(vm.ImportLayer);
  assert_non_null(vm.ProcessBaseImage);
  assert_non_null(vm.ProcessUtilityImage);
  assert_null(GetProcAddress(g_core, "ActivateLayer"));
#define HCN(name, args) assert_non_null(hcn.name);
  HCN_FUNCTIONS(HCN)
#undef HCN
  assert_null(GetProcAddress(g_core, "HcnCreateNetwork"));
}

static void test_invalid_documents(void **state) {
  (void)state;
  static const struct {
    const char *doc;
    const char *message;
  } cases[] = {
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"Bogus\":1}}",
       "ComputeSystem.Container: unknown field \"Bogus\""},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"owner\":\"t\",\"Container\":{}}",
       "unknown field \"owner\" (field names are case-sensitive: did you mean \"Owner\"?)"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":5,\"Container\":{}}",
       "ComputeSystem.Owner: expected a string, got a number"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"Memory\":{\"SizeInMB\":-1}}}",
       "ComputeSystem.Container.Memory.SizeInMB: -1 is out of range for uint64"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"Processor\":{\"Count\":1.5}}}",
       "ComputeSystem.Container.Processor.Count: 1.5 is not an integer (int32)"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"Processor\":{\"Weight\":"
       "4294967296}}}",
       "ComputeSystem.Container.Processor.Weight: 4294967296 is out of range for int32"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"Storage\":{\"Layers\":[{\"Id\":"
       "\"not-a-guid\"}]}}}",
       "ComputeSystem.Container.Storage.Layers[0].Id: \"not-a-guid\" is not a GUID"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"MappedDirectories\":[{"
       "\"HostPath\":\"C:\\\\x\",\"HostPathType\":\"Relative\"}]}}",
       "ComputeSystem.Container.MappedDirectories[0].HostPathType: \"Relative\" is not one of \"AbsolutePath\", "
       "\"VirtualSmbShareName\""},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"MappedDirectories\":{}}}",
       "ComputeSystem.Container.MappedDirectories: expected an array, got an object"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"MappedDirectories\":[{"
       "\"ReadOnly\":\"yes\"}]}}",
       "ComputeSystem.Container.MappedDirectories[0].ReadOnly: expected a boolean, got a string"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{\"GuestOs\":null}}",
       "ComputeSystem.Container.GuestOs: null is not allowed"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"a\",\"Owner\":\"b\",\"Container\":{}}",
       "ComputeSystem: duplicate field \"Owner\""},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{}", "not valid JSON"},
      {"[]", "ComputeSystem: expected an object, got an array"},
      /* required fields and exclusivity */
      {"{\"Owner\":\"t\",\"Container\":{}}", "ComputeSystem.SchemaVersion: required field is missing"},
      {"{\"SchemaVersion\":{\"Major\":2},\"Owner\":\"t\",\"Container\":{}}",
       "ComputeSystem.SchemaVersion.Minor: required field is missing"},
      {"{\"SchemaVersion\":{\"Major\":1,\"Minor\":0},\"Owner\":\"t\",\"Container\":{}}",
       "ComputeSystem.SchemaVersion.Major: 1 is not supported"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Container\":{}}", "ComputeSystem.Owner: required field is missing"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"\",\"Container\":{}}",
       "ComputeSystem.Owner: must not be empty"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\"}",
       "ComputeSystem: one of Container, VirtualMachine or HostedSystem is required"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"Container\":{},\"VirtualMachine\":{}}",
       "mutually exclusive"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"HostedSystem\":{\"SchemaVersion\":{\"Major\":2,"
       "\"Minor\":1},\"Container\":{}}}",
       "ComputeSystem.HostingSystemId: required field is missing"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"HostingSystemId\":\"x\",\"Container\":{}}",
       "ComputeSystem.HostingSystemId: only valid together with HostedSystem"},
      {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"t\",\"HostingSystemId\":\"x\",\"HostedSystem\":{"
       "\"SchemaVersion\":{\"Major\":2,\"Minor\":1}}}",
       "ComputeSystem.HostedSystem.Container: required field is missing"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char id[64];
    unique_id("invalid", id, sizeof id);
    HCS_SYSTEM sys = NULL;
    char *doc = NULL;
    /* The call accepts the operation; what is wrong with the document comes back through it. */
    HRESULT hr = create_system(id, cases[i].doc, &sys, &doc);
    if (hr != HCS_E_INVALID_JSON) fail_msg("case %zu: 0x%08lx instead of HCS_E_INVALID_JSON", i, (unsigned long)hr);
    assert_non_null(sys);
    assert_error_doc(doc, HCS_E_INVALID_JSON, cases[i].message);
    assert_error_doc(doc, HCS_E_INVALID_JSON, "The virtual machine or container JSON document is invalid");
    free(doc);
    /* The handle leads nowhere, and the id is free. */
    assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), HCS_E_SYSTEM_NOT_FOUND);
    hcs.HcsCloseComputeSystem(sys);
    HCS_SYSTEM none;
    wchar_t *wid = wide(id);
    assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &none), HCS_E_SYSTEM_NOT_FOUND);
    free(wid);
  }
}

static void test_bad_arguments(void **state) {
  (void)state;
  HCS_SYSTEM sys = (HCS_SYSTEM)1;
  HCS_OPERATION op = new_op();
  assert_int_equal(hcs.HcsCreateComputeSystem(NULL, L"{}", op, NULL, &sys), E_INVALIDARG);
  assert_null(sys);
  assert_int_equal(hcs.HcsCreateComputeSystem(L"x", L"{}", (HCS_OPERATION)0x12345, NULL, &sys), E_HANDLE);
  assert_int_equal(hcs.HcsOpenComputeSystem(L"x", 0, &sys), E_INVALIDARG); /* must be GENERIC_ALL */
  /* An operation not used yet, then used twice. */
  assert_int_equal(hcs.HcsWaitForOperationResult(op, 0, NULL), HCS_E_OPERATION_NOT_STARTED);
  char id[64];
  unique_id("args", id, sizeof id);
  wchar_t *wid = wide(id), *wdoc = wide(container_doc());
  assert_int_equal(hcs.HcsCreateComputeSystem(wid, wdoc, op, NULL, &sys), S_OK);
  HCS_SYSTEM again = NULL;
  assert_int_equal(hcs.HcsCreateComputeSystem(wid, wdoc, op, NULL, &again), HCS_E_OPERATION_ALREADY_STARTED);
  assert_null(again);
  assert_int_equal(finish(op, NULL), S_OK);
  /* A closed operation is an invalid handle. */
  assert_int_equal(hcs.HcsWaitForOperationResult(op, 0, NULL), E_HANDLE);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), E_HANDLE);
  free(wid);
  free(wdoc);
}

static void test_state_machine(void **state) {
  (void)state;
  char id[64], *doc = NULL;
  unique_id("states", id, sizeof id);
  HCS_SYSTEM sys, other;
  recorder events;
  recorder_init(&events);
  wchar_t *wid = wide(id);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &other), HCS_E_SYSTEM_NOT_FOUND);
  assert_int_equal(create_system(id, container_doc(), &sys, NULL), S_OK);
  assert_int_equal(hcs.HcsSetComputeSystemCallback(sys, HcsEventOptionNone, &events, record_event), S_OK);
  assert_int_equal(hcs.HcsSetComputeSystemCallback(sys, HcsEventOptionNone, &events, record_event),
                   HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET);
  assert_state(sys, "Created");

  assert_int_equal(create_system(id, container_doc(), &other, &doc), HCS_E_SYSTEM_ALREADY_EXISTS);
  assert_error_doc(doc, HCS_E_SYSTEM_ALREADY_EXISTS, id);
  free(doc);
  hcs.HcsCloseComputeSystem(other);

  assert_int_equal(on_system(hcs.HcsPauseComputeSystem, sys, NULL, NULL), HCS_E_INVALID_STATE);
  assert_int_equal(on_system(hcs.HcsShutDownComputeSystem, sys, NULL, NULL), HCS_E_INVALID_STATE);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), S_OK);
  assert_state(sys, "Running");
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, &doc), HCS_E_INVALID_STATE);
  assert_error_doc(doc, HCS_E_INVALID_STATE, "is Running");
  free(doc);
  assert_int_equal(on_system(hcs.HcsPauseComputeSystem, sys, NULL, NULL), S_OK);
  assert_state(sys, "Paused");
  assert_int_equal(on_system(hcs.HcsPauseComputeSystem, sys, NULL, NULL), HCS_E_INVALID_STATE);
  assert_int_equal(on_system(hcs.HcsResumeComputeSystem, sys, NULL, NULL), S_OK);
  assert_int_equal(on_system(hcs.HcsResumeComputeSystem, sys, NULL, NULL), HCS_E_INVALID_STATE);
  assert_state(sys, "Running");

  /* A second handle sees the same system and gets its events too. */
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &other), S_OK);
  recorder events2;
  recorder_init(&events2);
  assert_int_equal(hcs.HcsSetComputeSystemCallback(other, HcsEventOptionNone, &events2, record_event), S_OK);

  assert_int_equal(on_system(hcs.HcsShutDownComputeSystem, sys, NULL, NULL), S_OK);
  cJSON *exit = wait_event(&events, HcsEventSystemExited);
  assert_int_equal(number(exit, "Status"), 0);
  assert_string_equal(string(exit, "ExitType"), "GracefulExit");
  cJSON_Delete(exit);
  exit = wait_event(&events2, HcsEventSystemExited);
  assert_string_equal(string(exit, "ExitType"), "GracefulExit");
  cJSON_Delete(exit);
  assert_true(events.thread != GetCurrentThreadId()); /* never inside the client's call */
  assert_state(sys, "Stopped");

  assert_int_equal(on_system(hcs.HcsShutDownComputeSystem, sys, NULL, &doc), HCS_E_SYSTEM_ALREADY_STOPPED);
  assert_error_doc(doc, HCS_E_SYSTEM_ALREADY_STOPPED, "already stopped");
  free(doc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), HCS_E_SYSTEM_ALREADY_STOPPED);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), HCS_E_INVALID_STATE);
  assert_int_equal(events_of(&events, HcsEventSystemExited), 1);

  /* Stopped and no handle left: gone. */
  hcs.HcsCloseComputeSystem(sys);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), S_OK); /* "other" still holds it */
  hcs.HcsCloseComputeSystem(sys);
  hcs.HcsCloseComputeSystem(other);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), HCS_E_SYSTEM_NOT_FOUND);
  free(wid);
  recorder_free(&events);
  recorder_free(&events2);
}

static void test_terminate_and_options(void **state) {
  (void)state;
  char id[64], *doc = NULL;
  unique_id("terminate", id, sizeof id);
  recorder events;
  recorder_init(&events);
  HCS_SYSTEM sys = running_container(id);
  assert_int_equal(hcs.HcsSetComputeSystemCallback(sys, HcsEventOptionNone, &events, record_event), S_OK);
  /* Reserved options must be absent: NULL and "" pass, anything else is refused. */
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, "{\"x\":1}", &doc), E_INVALIDARG);
  assert_error_doc(doc, E_INVALIDARG, "takes no options");
  free(doc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, "", NULL), S_OK);
  cJSON *exit = wait_event(&events, HcsEventSystemExited);
  assert_string_equal(string(exit, "ExitType"), "ForcedExit");
  cJSON_Delete(exit);
  hcs.HcsCloseComputeSystem(sys);
  recorder_free(&events);

  /* A Created system can be terminated (hcsshim does so when a start fails). */
  unique_id("terminate", id, sizeof id);
  assert_int_equal(create_system(id, container_doc(), &sys, NULL), S_OK);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  assert_state(sys, "Stopped");
  hcs.HcsCloseComputeSystem(sys);

  /* ShouldTerminateOnLastHandleClosed. */
  unique_id("lastclose", id, sizeof id);
  assert_int_equal(create_system(id, container_doc_with(",\"ShouldTerminateOnLastHandleClosed\":true"), &sys, NULL), S_OK);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  wchar_t *wid = wide(id);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), HCS_E_SYSTEM_NOT_FOUND);
  free(wid);
}

static void test_process_stdout_and_exit_code(void **state) {
  (void)state;
  char id[64], out[256], err[256], *doc = NULL;
  unique_id("proc", id, sizeof id);
  HCS_SYSTEM sys = running_container(id);
  char *params = child_params("out hello-from-the-container err oops exit 7", false, true, true);
  HCS_PROCESS proc;
  HCS_PROCESS_INFORMATION info;
  assert_int_equal(create_process(sys, params, &proc, &info, NULL), S_OK);
  free(params);
  assert_true(info.ProcessId != 0);
  assert_null(info.StdInput);
  assert_non_null(info.StdOutput);
  assert_non_null(info.StdError);
  recorder events;
  recorder_init(&events);
  /* Set after the start: a process that already ended still reports its exit. */
  assert_int_equal(hcs.HcsSetProcessCallback(proc, HcsEventOptionNone, &events, record_event), S_OK);
  read_all(info.StdOutput, out, sizeof out);
  read_all(info.StdError, err, sizeof err);
  assert_string_equal(out, "hello-from-the-container");
  assert_string_equal(err, "oops");
  cJSON *exit = wait_event(&events, HcsEventProcessExited);
  assert_int_equal(number(exit, "ProcessId"), info.ProcessId);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(exit, "Exited")));
  assert_int_equal(number(exit, "ExitCode"), 7);
  assert_int_equal(number(exit, "LastWaitResult"), 0);
  cJSON_Delete(exit);
  assert_int_equal(on_process(hcs.HcsGetProcessProperties, proc, NULL, &doc), S_OK);
  cJSON *props = cJSON_Parse(doc);
  assert_int_equal(number(props, "ExitCode"), 7);
  assert_int_equal(number(props, "ProcessId"), info.ProcessId);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(props, "Exited")));
  cJSON_Delete(props);
  free(doc);
  /* Once exited, modify and terminate say so. */
  assert_int_equal(on_process(hcs.HcsModifyProcess, proc,
                              "{\"Operation\":\"CloseHandle\",\"CloseHandle\":{\"Handle\":\"StdIn\"}}", NULL),
                   HCS_E_PROCESS_ALREADY_STOPPED);
  assert_int_equal(on_process(hcs.HcsTerminateProcess, proc, NULL, NULL), HCS_E_PROCESS_ALREADY_STOPPED);
  close_info(&info);
  /* HcsOpenProcess by pid finds it; the stdio handles were handed out once already. */
  HCS_PROCESS again;
  assert_int_equal(hcs.HcsOpenProcess(sys, info.ProcessId, GENERIC_ALL, &again), S_OK);
  HCS_OPERATION op = new_op();
  assert_int_equal(hcs.HcsGetProcessInfo(again, op), S_OK);
  HCS_PROCESS_INFORMATION info2;
  assert_int_equal(hcs.HcsWaitForOperationResultAndProcessInfo(op, WAIT_MS, &info2, NULL), S_OK);
  assert_int_equal(info2.ProcessId, info.ProcessId);
  assert_null(info2.StdOutput);
  hcs.HcsCloseOperation(op);
  hcs.HcsCloseProcess(again);
  assert_int_equal(hcs.HcsOpenProcess(sys, 4242424, GENERIC_ALL, &again), HRESULT_FROM_WIN32(ERROR_NOT_FOUND));
  hcs.HcsCloseProcess(proc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  recorder_free(&events);
}

static void test_process_emulated_console(void **state) {
  (void)state;
  char id[64], out[256];
  unique_id("console", id, sizeof id);
  HCS_SYSTEM sys = running_container(id);
  char *params = child_params("out to-stdout err +to-stderr exit 0", false, true, true);
  cJSON *p = cJSON_Parse(params);
  cJSON_AddBoolToObject(p, "EmulateConsole", true);
  free(params);
  params = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  HCS_PROCESS proc;
  HCS_PROCESS_INFORMATION info;
  assert_int_equal(create_process(sys, params, &proc, &info, NULL), S_OK);
  free(params);
  /* "EmulateConsole: if set, ignore StdErrPipe": both streams come through stdout. */
  assert_null(info.StdError);
  read_all(info.StdOutput, out, sizeof out);
  assert_string_equal(out, "to-stdout+to-stderr");
  close_info(&info);
  hcs.HcsCloseProcess(proc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
}

static void test_process_stdin_and_environment(void **state) {
  (void)state;
  char id[64], out[256];
  unique_id("stdin", id, sizeof id);
  HCS_SYSTEM sys = running_container(id);
  char *params = child_params("env WCTR_DOUBLE_TEST out , cat exit 0", true, true, false);
  /* Environment reaches the child. */
  cJSON *p = cJSON_Parse(params);
  cJSON *env = cJSON_AddObjectToObject(p, "Environment");
  cJSON_AddStringToObject(env, "WCTR_DOUBLE_TEST", "set-by-hcs");
  free(params);
  params = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  HCS_PROCESS proc;
  HCS_PROCESS_INFORMATION info;
  assert_int_equal(create_process(sys, params, &proc, &info, NULL), S_OK);
  free(params);
  assert_non_null(info.StdInput);
  assert_null(info.StdError);
  write_all(info.StdInput, "typed-into-stdin");
  /* Closing stdin through HCS is end-of-file for the child, although we still hold our handle. */
  assert_int_equal(on_process(hcs.HcsModifyProcess, proc,
                              "{\"Operation\":\"CloseHandle\",\"CloseHandle\":{\"Handle\":\"StdIn\"}}", NULL),
                   S_OK);
  read_all(info.StdOutput, out, sizeof out);
  assert_string_equal(out, "set-by-hcs,typed-into-stdin<eof>");
  char *doc = NULL;
  assert_int_equal(on_process(hcs.HcsModifyProcess, proc, "{\"Operation\":\"CloseHandle\"}", &doc),
                   HCS_E_INVALID_JSON);
  free(doc);
  close_info(&info);
  hcs.HcsCloseProcess(proc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
}

static void test_process_validation_and_state(void **state) {
  (void)state;
  char id[64], *doc = NULL;
  unique_id("pvalid", id, sizeof id);
  HCS_SYSTEM sys;
  assert_int_equal(create_system(id, container_doc(), &sys, NULL), S_OK);
  HCS_PROCESS proc;
  HCS_PROCESS_INFORMATION info;
  char *params = child_params("exit 0", false, false, false);
  assert_int_equal(create_process(sys, params, &proc, &info, &doc), HCS_E_INVALID_STATE); /* not started */
  assert_error_doc(doc, HCS_E_INVALID_STATE, "processes start in a Running system");
  free(doc);
  hcs.HcsCloseProcess(proc);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), S_OK);
  assert_int_equal(create_process(sys, "{\"WorkingDirectory\":\"C:\\\\\"}", &proc, &info, &doc), HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ProcessParameters.CommandLine: required field is missing");
  free(doc);
  /* A failed creation still gives a handle (as HCS does); its information repeats the failure. */
  HCS_OPERATION op = new_op();
  assert_int_equal(hcs.HcsGetProcessInfo(proc, op), S_OK);
  assert_int_equal(finish(op, NULL), HCS_E_INVALID_JSON);
  hcs.HcsCloseProcess(proc);
  assert_int_equal(create_process(sys, "{\"CommandLine\":\"x\",\"CreateStdOutPipe\":1}", &proc, &info, &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ProcessParameters.CreateStdOutPipe: expected a boolean, got a number");
  free(doc);
  hcs.HcsCloseProcess(proc);
  assert_int_equal(create_process(sys, "{\"CommandLine\":\"x\",\"ConsoleSize\":[25]}", &proc, &info, &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ProcessParameters.ConsoleSize: expected exactly 2 elements");
  free(doc);
  hcs.HcsCloseProcess(proc);
  /* A program that does not exist: CreateProcessW's error. */
  HRESULT hr = create_process(sys, "{\"CommandLine\":\"C:\\\\no\\\\such\\\\program.exe\"}", &proc, &info, &doc);
  assert_true(hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) || hr == HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND));
  assert_error_doc(doc, hr, "CreateProcessW");
  free(doc);
  hcs.HcsCloseProcess(proc);
  /* Signals: validated, then the process ends with STATUS_CONTROL_C_EXIT. */
  params = child_params("sleep 60000", false, false, false);
  assert_int_equal(create_process(sys, params, &proc, &info, NULL), S_OK);
  free(params);
  assert_int_equal(on_process(hcs.HcsSignalProcess, proc, "{\"Signal\":\"CtrlZ\"}", &doc), HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "SignalProcessOptions.Signal: \"CtrlZ\" is not one of");
  free(doc);
  recorder events;
  recorder_init(&events);
  assert_int_equal(hcs.HcsSetProcessCallback(proc, HcsEventOptionNone, &events, record_event), S_OK);
  assert_int_equal(on_process(hcs.HcsSignalProcess, proc, "{\"Signal\":\"CtrlShutdown\"}", NULL), S_OK);
  cJSON *exit = wait_event(&events, HcsEventProcessExited);
  assert_int_equal((DWORD)number(exit, "ExitCode"), 0xC000013Au);
  cJSON_Delete(exit);
  hcs.HcsCloseProcess(proc);
  recorder_free(&events);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
}

static void test_terminate_kills_the_job(void **state) {
  (void)state;
  char id[64], out[64];
  unique_id("job", id, sizeof id);
  HCS_SYSTEM sys = running_container(id);
  recorder sys_events, proc_events;
  recorder_init(&sys_events);
  recorder_init(&proc_events);
  assert_int_equal(hcs.HcsSetComputeSystemCallback(sys, HcsEventOptionNone, &sys_events, record_event), S_OK);
  char *params = child_params("spawn 60000 sleep 60000", false, true, false);
  HCS_PROCESS proc;
  HCS_PROCESS_INFORMATION info;
  assert_int_equal(create_process(sys, params, &proc, &info, NULL), S_OK);
  free(params);
  assert_int_equal(hcs.HcsSetProcessCallback(proc, HcsEventOptionNone, &proc_events, record_event), S_OK);
  assert_true(read_some(info.StdOutput, out, sizeof out) > 0);
  DWORD grandchild = (DWORD)strtoul(out, NULL, 10);
  HANDLE g = OpenProcess(SYNCHRONIZE, FALSE, grandchild);
  assert_non_null(g);
  /* Both are in the system's job: ProcessList shows them. */
  char *doc = NULL;
  assert_int_equal(on_system(hcs.HcsGetComputeSystemProperties, sys, "{\"PropertyTypes\":[\"ProcessList\"]}", &doc),
                   S_OK);
  assert_non_null(strstr(doc, "\"ProcessList\""));
  cJSON *props = cJSON_Parse(doc);
  int seen = 0;
  const cJSON *d;
  cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(props, "ProcessList")) {
    DWORD pid = (DWORD)number(d, "ProcessId");
    seen += pid == info.ProcessId || pid == grandchild;
  }
  assert_int_equal(seen, 2);
  cJSON_Delete(props);
  free(doc);

  /* Paused: the processes are suspended (and a terminate still ends them). */
  assert_int_equal(on_system(hcs.HcsPauseComputeSystem, sys, NULL, NULL), S_OK);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  assert_int_equal(WaitForSingleObject(g, WAIT_MS), WAIT_OBJECT_0);
  CloseHandle(g);
  cJSON *exit = wait_event(&proc_events, HcsEventProcessExited);
  assert_int_equal(number(exit, "ExitCode"), 1);
  cJSON_Delete(exit);
  exit = wait_event(&sys_events, HcsEventSystemExited);
  assert_string_equal(string(exit, "ExitType"), "ForcedExit");
  cJSON_Delete(exit);
  close_info(&info);
  hcs.HcsCloseProcess(proc);
  hcs.HcsCloseComputeSystem(sys);
  recorder_free(&sys_events);
  recorder_free(&proc_events);
}

static void test_properties_and_modify(void **state) {
  (void)state;
  char id[64], *doc = NULL;
  unique_id("props", id, sizeof id);
  HCS_SYSTEM sys = running_container(id);
  assert_int_equal(on_system(hcs.HcsGetComputeSystemProperties, sys, NULL, &doc), S_OK);
  cJSON *p = cJSON_Parse(doc);
  assert_string_equal(string(p, "Id"), id);
  assert_string_equal(string(p, "SystemType"), "Container");
  assert_string_equal(string(p, "Owner"), "wctr-test");
  assert_int_equal(strlen(string(p, "RuntimeId")), 36);
  cJSON_Delete(p);
  free(doc);
  assert_int_equal(on_system(hcs.HcsGetComputeSystemProperties, sys, "{\"PropertyTypes\":[\"Statistics\"]}", &doc),
                   S_OK);
  p = cJSON_Parse(doc);
  const cJSON *stats = cJSON_GetObjectItemCaseSensitive(p, "Statistics");
  assert_true(cJSON_IsObject(stats));
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(stats, "Processor")));
  cJSON_Delete(p);
  free(doc);
  assert_int_equal(on_system(hcs.HcsGetComputeSystemProperties, sys, "{\"PropertyTypes\":[\"Bogus\"]}", &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "PropertyQuery.PropertyTypes[0]: \"Bogus\" is not one of");
  free(doc);
  assert_int_equal(on_system(hcs.HcsGetComputeSystemProperties, sys, "{\"PropertyTypes\":[\"Memory\"]}", &doc),
                   E_NOTIMPL);
  assert_error_doc(doc, E_NOTIMPL, "not emulated");
  free(doc);

  assert_int_equal(modify_system(sys, "{\"ResourcePath\":\"Container/Memory/SizeInMB\",\"RequestType\":\"Update\","
                                      "\"Settings\":1024}",
                                 NULL),
                   S_OK);
  assert_int_equal(modify_system(sys, "{\"ResourcePath\":\"Container/Processor\",\"RequestType\":\"Update\","
                                      "\"Settings\":{\"Maximum\":5000}}",
                                 NULL),
                   S_OK);
  assert_int_equal(modify_system(sys, "{\"ResourcePath\":\"Container/Memory/SizeInMB\",\"RequestType\":\"Update\","
                                      "\"Settings\":\"1024\"}",
                                 &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModifySettingRequest.Settings: expected an integer (uint64), got a string");
  free(doc);
  assert_int_equal(modify_system(sys, "{\"ResourcePath\":\"Container/Processor\",\"RequestType\":\"Update\","
                                      "\"Settings\":{\"Maximum\":5000,\"Limit\":1}}",
                                 &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModifySettingRequest.Settings: unknown field \"Limit\"");
  free(doc);
  assert_int_equal(modify_system(sys, "{\"ResourcePath\":\"VirtualMachine/Devices/VirtualSmb/Shares\","
                                      "\"RequestType\":\"Add\",\"Settings\":{}}",
                                 &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModifySettingRequest.ResourcePath");
  free(doc);
  assert_int_equal(modify_system(sys, "{\"ResourcePath\":\"Container/Memory/SizeInMB\",\"RequestType\":\"Add\","
                                      "\"Settings\":1}",
                                 &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModifySettingRequest.RequestType: \"Add\" is not a request type");
  free(doc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  assert_int_equal(modify_system(sys, "{\"ResourcePath\":\"Container/Memory/SizeInMB\",\"RequestType\":\"Update\","
                                      "\"Settings\":1024}",
                                 NULL),
                   HCS_E_INVALID_STATE);
  hcs.HcsCloseComputeSystem(sys);
}

/* ---- Hyper-V: the utility VM, the guest's storage, the hosted container ---- */

typedef struct hv_fixture {
  wchar_t base[MAX_PATH];    /* a base layer with UtilityVM\Files and its SystemTemplate.vhdx */
  wchar_t scratch[MAX_PATH]; /* the container's scratch folder, with its sandbox.vhdx */
  wchar_t uvm_vhd[MAX_PATH]; /* the VM's own scratch, a copy of SystemTemplate.vhdx */
  char base_utf8[MAX_PATH * 3], base_id[37], scratch_vhd[MAX_PATH * 3], uvm_vhd_utf8[MAX_PATH * 3];
} hv_fixture;

static void hv_fixture_init(hv_fixture *f, const wchar_t *name) {
  wchar_t dir[MAX_PATH], path[MAX_PATH];
  swprintf(dir, MAX_PATH, L"hv-%ls\\base", name);
  make_layer(dir, true, f->base);
  swprintf(path, MAX_PATH, L"%ls\\UtilityVM\\Files\\EFI\\Microsoft\\Boot", f->base);
  SHCreateDirectoryExW(NULL, path, NULL);
  swprintf(path, MAX_PATH, L"%ls\\UtilityVM\\Files\\EFI\\Microsoft\\Boot\\BCD", f->base);
  write_file(path, "bcd");
  swprintf(path, MAX_PATH, L"%ls\\UtilityVM", f->base);
  privileges(true);
  assert_int_equal(vm.ProcessUtilityImage(path), S_OK);
  privileges(false);
  swprintf(path, MAX_PATH, L"%ls\\UtilityVM\\SystemTemplate.vhdx", f->base);
  swprintf(dir, MAX_PATH, L"hv-%ls\\uvm.vhdx", name);
  state_file(dir, f->uvm_vhd);
  assert_true(CopyFileW(path, f->uvm_vhd, FALSE)); /* hcsshim's way to a VM's scratch */
  swprintf(dir, MAX_PATH, L"hv-%ls\\scratch", name);
  state_file(dir, f->scratch);
  layer_descriptor d = descriptor(f->base);
  assert_int_equal(vm.CreateSandboxLayer(&g_info, f->scratch, NULL, &d, 1), S_OK);
  WideCharToMultiByte(CP_UTF8, 0, f->base, -1, f->base_utf8, sizeof f->base_utf8, NULL, NULL);
  WideCharToMultiByte(CP_UTF8, 0, f->uvm_vhd, -1, f->uvm_vhd_utf8, sizeof f->uvm_vhd_utf8, NULL, NULL);
  WideCharToMultiByte(CP_UTF8, 0, f->scratch, -1, f->scratch_vhd, sizeof f->scratch_vhd, NULL, NULL);
  snprintf(f->scratch_vhd + strlen(f->scratch_vhd), sizeof f->scratch_vhd - strlen(f->scratch_vhd), "\\sandbox.vhdx");
  guid_text(&d.id, f->base_id);
}

/* The VM's document: its scratch at 0:0, the OS and the base layer over VSMB (the layer's share named by its
 * id), with or without a GuestConnection. Caller frees with cJSON_free. */
static char *vm_doc(const hv_fixture *f, bool guest_connection) {
  cJSON *d = cJSON_Parse("{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"wctr-test\",\"VirtualMachine\":{"
                         "\"StopOnReset\":true,\"ComputeTopology\":{\"Memory\":{\"SizeInMB\":1024},\"Processor\":{"
                         "\"Count\":2}},\"Devices\":{\"Scsi\":{\"" SCSI0 "\":{\"Attachments\":{\"0\":{\"Type\":"
                         "\"VirtualDisk\"}}}},\"VirtualSmb\":{\"Shares\":[]}}}}");
  cJSON *machine = cJSON_GetObjectItemCaseSensitive(d, "VirtualMachine");
  cJSON *devices = cJSON_GetObjectItemCaseSensitive(machine, "Devices");
  cJSON *att = cJSON_GetObjectItemCaseSensitive(
      cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(devices, "Scsi"), SCSI0),
                                       "Attachments"),
      "0");
  cJSON_AddStringToObject(att, "Path", f->uvm_vhd_utf8);
  cJSON *shares = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(devices, "VirtualSmb"), "Shares");
  char os[MAX_PATH * 3 + 32];
  snprintf(os, sizeof os, "%s\\UtilityVM\\Files", f->base_utf8);
  const char *names[] = {"os", f->base_id}, *paths[] = {os, f->base_utf8};
  for (int i = 0; i < 2; i++) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "Name", names[i]);
    cJSON_AddStringToObject(s, "Path", paths[i]);
    cJSON_AddItemToObject(s, "Options", cJSON_Parse("{\"ReadOnly\":true,\"TakeBackupPrivilege\":true}"));
    cJSON_AddItemToArray(shares, s);
  }
  if (guest_connection) cJSON_AddItemToObject(machine, "GuestConnection", cJSON_CreateObject());
  char *text = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  return text;
}

/* The hosted container: the layer at its VSMB path, Storage.Path root; processor (NULL for none). */
static char *hosted_doc(const char *vm_id, const char *layer_id, const char *root, const char *processor) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Owner\":\"wctr-test\",\"HostingSystemId\":\"%s\","
           "\"HostedSystem\":{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Container\":{\"Storage\":{\"Layers\":"
           "[{\"Id\":\"%s\",\"Path\":\"" VSMB "%s\"}],\"Path\":\"%s\"}%s%s}}}",
           vm_id, layer_id, layer_id, root, processor != NULL ? ",\"Processor\":" : "", processor != NULL ? processor : "");
  char *copy = strdup(text);
  assert_non_null(copy);
  return copy;
}

/* JSON-escaped (backslashes doubled) into out. */
static void escaped(const char *in, char *out, size_t size) {
  size_t k = 0;
  for (; *in != '\0' && k + 2 < size; in++) {
    if (*in == '\\') out[k++] = '\\';
    out[k++] = *in;
  }
  out[k] = '\0';
}

static char *scsi_add(const char *vhd, const char *guest_path) {
  char text[2048], path[MAX_PATH * 6];
  escaped(vhd, path, sizeof path);
  snprintf(text, sizeof text,
           "{\"ResourcePath\":\"VirtualMachine/Devices/Scsi/" SCSI0 "/Attachments/1\",\"RequestType\":\"Add\","
           "\"Settings\":{\"Type\":\"VirtualDisk\",\"Path\":\"%s\"}%s%s%s}",
           path, guest_path != NULL ? ",\"GuestRequest\":{\"ResourceType\":\"MappedVirtualDisk\",\"RequestType\":"
                                      "\"Add\",\"Settings\":{\"ContainerPath\":\"" : "",
           guest_path != NULL ? guest_path : "", guest_path != NULL ? "\",\"Lun\":1}}" : "");
  char *copy = strdup(text);
  assert_non_null(copy);
  return copy;
}

#define GUEST_ROOT "C:\\\\c\\\\hosted"
#define SCSI_REMOVE_GUEST                                                                              \
  "{\"ResourcePath\":\"VirtualMachine/Devices/Scsi/" SCSI0 "/Attachments/1\",\"RequestType\":\"Remove\"," \
  "\"GuestRequest\":{\"ResourceType\":\"MappedVirtualDisk\",\"RequestType\":\"Remove\",\"Settings\":{"      \
  "\"ContainerPath\":\"" GUEST_ROOT "\",\"Lun\":1}}}"
#define SCSI_REMOVE_HOST "{\"ResourcePath\":\"VirtualMachine/Devices/Scsi/" SCSI0 "/Attachments/1\",\"RequestType\":\"Remove\"}"
#define COMBINED_REMOVE                                                                                 \
  "{\"GuestRequest\":{\"ResourceType\":\"CombinedLayers\",\"RequestType\":\"Remove\",\"Settings\":{"      \
  "\"ContainerRootPath\":\"" GUEST_ROOT "\"}}}"

static char *combine(const char *root, const char *id, const char *share) {
  char text[1024];
  snprintf(text, sizeof text,
           "{\"GuestRequest\":{\"ResourceType\":\"CombinedLayers\",\"RequestType\":\"Add\",\"Settings\":{"
           "\"ContainerRootPath\":\"%s\",\"Layers\":[{\"Id\":\"%s\",\"Path\":\"" VSMB "%s\"}]}}}",
           root, id, share);
  char *copy = strdup(text);
  assert_non_null(copy);
  return copy;
}

static void grant(const char *vm_id, const char *path) {
  wchar_t *w = wide(vm_id), *p = wide(path);
  assert_int_equal(hcs.HcsGrantVmAccess(w, p), S_OK);
  free(w);
  free(p);
}

/* A running utility VM with its guest connection, the scratch on SCSI mounted at GUEST_ROOT and the base
 * layer combined over it: what a hosted container stands on. */
static HCS_SYSTEM ready_vm(const hv_fixture *f, const char *vm_id) {
  HCS_SYSTEM v;
  grant(vm_id, f->uvm_vhd_utf8);
  char *doc = vm_doc(f, true);
  assert_int_equal(create_system(vm_id, doc, &v, NULL), S_OK);
  cJSON_free(doc);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, v, NULL, NULL), S_OK);
  grant(vm_id, f->scratch_vhd);
  char *req = scsi_add(f->scratch_vhd, GUEST_ROOT);
  assert_int_equal(modify_system(v, req, NULL), S_OK);
  free(req);
  req = combine(GUEST_ROOT, f->base_id, f->base_id);
  assert_int_equal(modify_system(v, req, NULL), S_OK);
  free(req);
  return v;
}

static void expect_refused(HRESULT got, HRESULT want, const char *doc, const char *text) {
  if (got != want) fail_msg("0x%08lx instead of 0x%08lx (%s)", (unsigned long)got, (unsigned long)want, text);
  assert_error_doc(doc, want, text);
}

static void test_hyperv_storage(void **state) {
  (void)state;
  HRESULT hr;
  hv_fixture f;
  hv_fixture_init(&f, L"a");
  char vm_id[64], ct_id[64], *doc = NULL, *req = NULL;
  HCS_SYSTEM v, ct;

  /* A hosted container needs its VM. */
  unique_id("uvm", vm_id, sizeof vm_id);
  unique_id("hosted", ct_id, sizeof ct_id);
  req = hosted_doc(vm_id, f.base_id, GUEST_ROOT, NULL);
  assert_int_equal(create_system(ct_id, req, &ct, &doc), HCS_E_SYSTEM_NOT_FOUND);
  assert_error_doc(doc, HCS_E_SYSTEM_NOT_FOUND, "ComputeSystem.HostingSystemId");
  free(doc);
  free(req);
  hcs.HcsCloseComputeSystem(ct);

  /* The VM's own scratch must be granted to it. */
  char *text = vm_doc(&f, true);
  hr = create_system(vm_id, text, &v, &doc);
  expect_refused(hr, E_ACCESSDENIED, doc, "was not granted access");
  free(doc);
  hcs.HcsCloseComputeSystem(v);

  /* Without a GuestConnection nothing in the guest serves requests: refused with
   * HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION, for a guest request and for a hosted container alike. */
  grant(vm_id, f.uvm_vhd_utf8);
  char *bare = vm_doc(&f, false);
  assert_int_equal(create_system(vm_id, bare, &v, NULL), S_OK);
  cJSON_free(bare);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, v, NULL, NULL), S_OK);
  grant(vm_id, f.scratch_vhd);
  req = scsi_add(f.scratch_vhd, GUEST_ROOT);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION, doc, "has no GuestConnection");
  free(doc);
  free(req);
  req = hosted_doc(vm_id, f.base_id, GUEST_ROOT, NULL);
  hr = create_system(ct_id, req, &ct, &doc);
  expect_refused(hr, HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION, doc,
                 "has no GuestConnection");
  free(doc);
  free(req);
  hcs.HcsCloseComputeSystem(ct);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, v, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(v);

  /* With one, step by step. */
  unique_id("uvm", vm_id, sizeof vm_id);
  grant(vm_id, f.uvm_vhd_utf8);
  assert_int_equal(create_system(vm_id, text, &v, NULL), S_OK);
  cJSON_free(text);
  /* A guest request needs a running guest. */
  req = combine(GUEST_ROOT, f.base_id, f.base_id);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, HCS_E_INVALID_STATE, doc, "is not running");
  free(doc);
  free(req);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, v, NULL, NULL), S_OK);
  /* A scratch VHD that was never created: HcsInitializeWritableLayer makes a folder, not a disk. */
  wchar_t only[MAX_PATH];
  state_file(L"hv-a\\initialized", only);
  char data[MAX_PATH * 6 + 200], base_json[MAX_PATH * 6];
  escaped(f.base_utf8, base_json, sizeof base_json);
  snprintf(data, sizeof data, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Layers\":[{\"Id\":\"%s\",\"Path\":\"%s\"}]}",
           f.base_id, base_json);
  wchar_t *wdata = wide(data);
  assert_int_equal(hcs.HcsInitializeWritableLayer(only, wdata, NULL), S_OK);
  free(wdata);
  char missing[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, only, -1, missing, sizeof missing, NULL, NULL);
  snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "\\sandbox.vhdx");
  req = scsi_add(missing, GUEST_ROOT);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, E_FILE_NOT_FOUND, doc, "it was never created");
  free(doc);
  free(req);
  /* A disk that is not a VHD, and one the VM was not granted. */
  char fake[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, only, -1, fake, sizeof fake, NULL, NULL);
  snprintf(fake + strlen(fake), sizeof fake - strlen(fake), "\\fake.vhdx");
  wchar_t *wfake = wide(fake);
  write_file(wfake, "not a virtual disk");
  free(wfake);
  grant(vm_id, fake);
  req = scsi_add(fake, GUEST_ROOT);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, E_NOT_VIRTUAL_DISK, doc, "is not a virtual disk");
  free(doc);
  free(req);
  req = scsi_add(f.scratch_vhd, GUEST_ROOT);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, E_ACCESSDENIED, doc, "was not granted access");
  free(doc);
  grant(vm_id, f.scratch_vhd);
  /* No scratch mounted at the hosted container's Storage.Path yet. */
  char *hosted = hosted_doc(vm_id, f.base_id, GUEST_ROOT, NULL);
  hr = create_system(ct_id, hosted, &ct, &doc);
  expect_refused(hr, E_PATH_NOT_FOUND, doc, "no scratch disk is mounted");
  free(doc);
  hcs.HcsCloseComputeSystem(ct);
  /* Combining needs the mounted scratch. */
  char *comb = combine(GUEST_ROOT, f.base_id, f.base_id);
  hr = modify_system(v, comb, &doc);
  expect_refused(hr, E_PATH_NOT_FOUND, doc, "no scratch disk is mounted");
  free(doc);
  /* The scratch on SCSI, mounted by the guest (one request). */
  assert_int_equal(modify_system(v, req, NULL), S_OK);
  /* The lun is taken now; a guest mount needs a disk on its lun; a share needs its folder. */
  hr = modify_system(v, req, &doc);
  expect_refused(hr, HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS), doc, "is in use");
  free(doc);
  free(req);
  hr = modify_system(v,
                     "{\"GuestRequest\":{\"ResourceType\":\"MappedVirtualDisk\",\"RequestType\":\"Add\","
                     "\"Settings\":{\"ContainerPath\":\"C:\\\\c\\\\other\",\"Lun\":2}}}",
                     &doc);
  expect_refused(hr, HRESULT_FROM_WIN32(ERROR_NOT_FOUND), doc, "no disk is attached at SCSI lun 2");
  free(doc);
  hr = modify_system(v,
                     "{\"ResourcePath\":\"VirtualMachine/Devices/VirtualSmb/Shares\",\"RequestType\":\"Add\","
                     "\"Settings\":{\"Name\":\"nosuch\",\"Path\":\"C:\\\\no\\\\such\\\\folder\"}}",
                     &doc);
  expect_refused(hr, E_PATH_NOT_FOUND, doc, "does not exist");
  free(doc);
  hr = create_system(ct_id, hosted, &ct, &doc);
  expect_refused(hr, E_PATH_NOT_FOUND, doc, "no layers are combined");
  free(doc);
  hcs.HcsCloseComputeSystem(ct);
  /* Layers that are not the VM's shares, or whose id is not NameToGuid of the shared folder. */
  req = combine(GUEST_ROOT, f.base_id, "no-such-share");
  hr = modify_system(v, req, &doc);
  expect_refused(hr, E_PATH_NOT_FOUND, doc, "is not a VSMB share");
  free(doc);
  free(req);
  req = combine(GUEST_ROOT, "8e7d9c68-2c33-4a5b-9e0f-0123456789ab", f.base_id);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, E_INVALIDARG, doc, "is not NameToGuid(\"base\")");
  free(doc);
  free(req);
  assert_int_equal(modify_system(v, comb, NULL), S_OK);
  hr = modify_system(v, comb, &doc);
  expect_refused(hr, HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS), doc, "layers are already combined");
  free(doc);
  free(comb);
  /* Two of Count, Maximum and Weight; layers that are not the combined ones. */
  req = hosted_doc(vm_id, f.base_id, GUEST_ROOT, "{\"Count\":1,\"Weight\":100}");
  hr = create_system(ct_id, req, &ct, &doc);
  expect_refused(hr, E_INVALIDARG, doc, "Count, Maximum and Weight are mutually exclusive");
  free(doc);
  free(req);
  hcs.HcsCloseComputeSystem(ct);
  req = hosted_doc(vm_id, "8e7d9c68-2c33-4a5b-9e0f-0123456789ab", GUEST_ROOT, NULL);
  hr = create_system(ct_id, req, &ct, &doc);
  expect_refused(hr, E_INVALIDARG, doc, "is not the combined layer's");
  free(doc);
  free(req);
  hcs.HcsCloseComputeSystem(ct);
  /* Now it stands. */
  assert_int_equal(create_system(ct_id, hosted, &ct, NULL), S_OK);
  free(hosted);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, ct, NULL, NULL), S_OK);
  /* Teardown only in reverse: the layers while the container runs, the disk while layers are combined or
   * the guest has it mounted, are in use. */
  hr = modify_system(v, COMBINED_REMOVE, &doc);
  expect_refused(hr, E_BUSY, doc, "which has not stopped");
  free(doc);
  hr = modify_system(v, SCSI_REMOVE_GUEST, &doc);
  expect_refused(hr, E_BUSY, doc, "layers are still combined");
  free(doc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, ct, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(ct);
  assert_int_equal(modify_system(v, COMBINED_REMOVE, NULL), S_OK);
  hr = modify_system(v, SCSI_REMOVE_HOST, &doc);
  expect_refused(hr, E_BUSY, doc, "the guest still has the disk");
  free(doc);
  assert_int_equal(modify_system(v, SCSI_REMOVE_GUEST, NULL), S_OK);
  hr = modify_system(v, SCSI_REMOVE_GUEST, &doc);
  expect_refused(hr, HRESULT_FROM_WIN32(ERROR_NOT_FOUND), doc, "no disk is mounted");
  free(doc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, v, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(v);

  /* A container dies with its utility VM. */
  unique_id("uvm", vm_id, sizeof vm_id);
  unique_id("hosted", ct_id, sizeof ct_id);
  v = ready_vm(&f, vm_id);
  /* A VM takes VM resource paths only. */
  assert_int_equal(modify_system(v, "{\"ResourcePath\":\"Container/Memory/SizeInMB\",\"RequestType\":\"Update\","
                                    "\"Settings\":1}",
                                 NULL),
                   HCS_E_INVALID_JSON);
  hosted = hosted_doc(vm_id, f.base_id, GUEST_ROOT, "{\"Maximum\":5000}");
  assert_int_equal(create_system(ct_id, hosted, &ct, NULL), S_OK);
  free(hosted);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, ct, NULL, NULL), S_OK);
  recorder events;
  recorder_init(&events);
  assert_int_equal(hcs.HcsSetComputeSystemCallback(ct, HcsEventOptionNone, &events, record_event), S_OK);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, v, NULL, NULL), S_OK);
  cJSON *exit = wait_event(&events, HcsEventSystemExited);
  assert_string_equal(string(exit, "ExitType"), "UnexpectedExit");
  cJSON_Delete(exit);
  assert_state(ct, "Stopped");
  hcs.HcsCloseComputeSystem(ct);
  hcs.HcsCloseComputeSystem(v);
  recorder_free(&events);
  /* Each refusal explained its HRESULT in the result document, and the call log has every request. */
  cJSON *lines = log_lines("HcsModifyComputeSystem", vm_id);
  assert_true(cJSON_GetArraySize(lines) >= 3);
  cJSON_Delete(lines);
}

static void CALLBACK record_completion(HCS_OPERATION op, void *context) {
  recorder *r = context;
  AcquireSRWLockExclusive(&r->lock);
  if (r->count < MAX_EVENTS) {
    r->types[r->count] = HcsEventOperationCallback;
    r->data[r->count] = NULL;
    r->ops[r->count++] = op;
  }
  r->thread = GetCurrentThreadId();
  WakeAllConditionVariable(&r->cv);
  ReleaseSRWLockExclusive(&r->lock);
}

typedef struct nested {
  HCS_SYSTEM sys;
  HRESULT hr;
  HANDLE done;
} nested;

/* A completion callback that waits for another operation, whose work a delay knob defers. */
static void CALLBACK wait_inside_callback(HCS_OPERATION op, void *context) {
  (void)op;
  nested *n = context;
  HCS_OPERATION inner = hcs.HcsCreateOperation(NULL, NULL);
  n->hr = hcs.HcsGetComputeSystemProperties(n->sys, inner, NULL);
  if (SUCCEEDED(n->hr)) n->hr = hcs.HcsWaitForOperationResult(inner, WAIT_MS, NULL);
  hcs.HcsCloseOperation(inner);
  SetEvent(n->done);
}

static void test_operation_callbacks(void **state) {
  (void)state;
  char id[64];
  unique_id("opcb", id, sizeof id);
  recorder done;
  recorder_init(&done);
  HCS_OPERATION op = hcs.HcsCreateOperation(&done, record_completion);
  assert_non_null(op);
  HCS_SYSTEM sys;
  wchar_t *wid = wide(id), *wdoc = wide(container_doc());
  assert_int_equal(hcs.HcsCreateComputeSystem(wid, wdoc, op, NULL, &sys), S_OK);
  free(wid);
  free(wdoc);
  cJSON_Delete(wait_event(&done, HcsEventOperationCallback));
  assert_ptr_equal(done.ops[0], op);
  assert_true(done.thread != GetCurrentThreadId());
  assert_int_equal(hcs.HcsGetOperationResult(op, NULL), S_OK);
  hcs.HcsCloseOperation(op);

  /* A system callback that takes operation completions: operations with their own callback are
   * refused on that handle; the others complete through it. */
  recorder events;
  recorder_init(&events);
  assert_int_equal(hcs.HcsSetComputeSystemCallback(sys, HcsEventOptionEnableOperationCallbacks, &events, record_event),
                   S_OK);
  op = hcs.HcsCreateOperation(&done, record_completion);
  assert_int_equal(hcs.HcsStartComputeSystem(sys, op, NULL), HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET);
  hcs.HcsCloseOperation(op);
  op = new_op();
  assert_int_equal(hcs.HcsStartComputeSystem(sys, op, NULL), S_OK);
  cJSON_Delete(wait_event(&events, HcsEventOperationCallback));
  assert_ptr_equal(events.ops[0], op);
  assert_int_equal(finish(op, NULL), S_OK);

  /* Waiting inside a callback for deferred work completes (HCS calls back on pool threads). */
  HCS_SYSTEM other;
  wid = wide(id);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &other), S_OK);
  free(wid);
  nested n = {other, E_FAIL, CreateEventW(NULL, TRUE, FALSE, NULL)};
  control("delay HcsGetComputeSystemProperties:2:300\n"); /* the call inside the callback */
  op = hcs.HcsCreateOperation(&n, wait_inside_callback);
  assert_int_equal(hcs.HcsGetComputeSystemProperties(other, op, NULL), S_OK);
  assert_int_equal(WaitForSingleObject(n.done, 2 * WAIT_MS), WAIT_OBJECT_0);
  control(NULL);
  assert_int_equal(n.hr, S_OK);
  assert_int_equal(finish(op, NULL), S_OK);
  CloseHandle(n.done);
  cJSON *lines = log_lines("HcsGetComputeSystemProperties", id);
  int delayed = 0;
  const cJSON *line;
  cJSON_ArrayForEach(line, lines) delayed += cJSON_GetObjectItemCaseSensitive(line, "delayMs") != NULL;
  assert_int_equal(delayed, 1); /* the inner call's work was deferred indeed */
  cJSON_Delete(lines);
  hcs.HcsCloseComputeSystem(other);

  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  recorder_free(&done);
  recorder_free(&events);
}

static void test_fail_injection(void **state) {
  (void)state;
  char id[64], *doc = NULL;
  unique_id("inject", id, sizeof id);
  HCS_SYSTEM sys;
  assert_int_equal(create_system(id, container_doc(), &sys, NULL), S_OK);
  /* Fail the first start after the rule appears, through the operation, as HCS reports failures. */
  control("# injected by test_fail_injection\nfail HcsStartComputeSystem:1:0x80370101\n");
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, &doc), HCS_E_IMAGE_MISMATCH);
  assert_error_doc(doc, HCS_E_IMAGE_MISMATCH, "injected");
  free(doc);
  assert_state(sys, "Created"); /* the failed start changed nothing */
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), S_OK);
  /* ":call": the call itself fails (and the operation holds the same error). */
  control("fail HcsGetComputeSystemProperties:*:0x80004005:call\n");
  HCS_OPERATION op = new_op();
  assert_int_equal(hcs.HcsGetComputeSystemProperties(sys, op, NULL), E_FAIL);
  PWSTR result = NULL;
  assert_int_equal(hcs.HcsGetOperationResult(op, &result), E_FAIL);
  doc = take_doc(result);
  assert_error_doc(doc, E_FAIL, "injected");
  free(doc);
  hcs.HcsCloseOperation(op);
  assert_int_equal(on_system(hcs.HcsGetComputeSystemProperties, sys, NULL, NULL), E_FAIL); /* every call: "*" */
  /* Delay: the wait times out, the operation is pending, then completes. */
  control("delay HcsTerminateComputeSystem:1:1500\n");
  op = new_op();
  assert_int_equal(hcs.HcsTerminateComputeSystem(sys, op, NULL), S_OK);
  assert_int_equal(hcs.HcsWaitForOperationResult(op, 100, NULL), HCS_E_OPERATION_TIMEOUT);
  assert_int_equal(hcs.HcsGetOperationResult(op, NULL), HCS_E_OPERATION_PENDING);
  control(NULL);
  assert_state(sys, "Running"); /* the deferred work has not run */
  assert_int_equal(hcs.HcsWaitForOperationResult(op, WAIT_MS, NULL), S_OK);
  hcs.HcsCloseOperation(op);
  assert_state(sys, "Stopped");
  hcs.HcsCloseComputeSystem(sys);

  /* Cancel: deferred work that has not run is dropped. */
  unique_id("cancel", id, sizeof id);
  assert_int_equal(create_system(id, container_doc(), &sys, NULL), S_OK);
  control("delay HcsStartComputeSystem:1:5000\n");
  op = new_op();
  assert_int_equal(hcs.HcsStartComputeSystem(sys, op, NULL), S_OK);
  control(NULL);
  assert_int_equal(hcs.HcsWaitForOperationResult(op, 50, NULL), HCS_E_OPERATION_TIMEOUT);
  assert_int_equal(hcs.HcsCancelOperation(op), S_OK);
  assert_int_equal(hcs.HcsWaitForOperationResult(op, WAIT_MS, NULL), HRESULT_FROM_WIN32(ERROR_CANCELLED));
  hcs.HcsCloseOperation(op);
  assert_state(sys, "Created");
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);

  /* A wait that fails on its own (WS2022's spurious HcsCreateProcess wait failure). */
  unique_id("spurious", id, sizeof id);
  sys = running_container(id);
  control("fail HcsWaitForOperationResultAndProcessInfo:1:0x80370118\n");
  char *params = child_params("exit 5", false, false, false);
  HCS_PROCESS proc;
  HCS_PROCESS_INFORMATION info;
  assert_int_equal(create_process(sys, params, &proc, &info, NULL), (HRESULT)0x80370118);
  control(NULL);
  free(params);
  op = new_op();
  assert_int_equal(hcs.HcsGetProcessInfo(proc, op), S_OK); /* the recovery hcsshim does */
  assert_int_equal(hcs.HcsWaitForOperationResultAndProcessInfo(op, WAIT_MS, &info, NULL), S_OK);
  assert_true(info.ProcessId != 0);
  hcs.HcsCloseOperation(op);
  hcs.HcsCloseProcess(proc);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
}

static void test_environment_knobs(void **state) {
  (void)state;
  /* main() set WCTR_HCS_DOUBLE_FAIL=HcsGrantVmAccess:2:0x80070005 before loading the DLL. */
  wchar_t file[MAX_PATH];
  state_file(L"grant-me.vhdx", file);
  write_file(file, "vhd");
  assert_int_equal(hcs.HcsGrantVmAccess(L"some-vm", file), S_OK);
  assert_int_equal(hcs.HcsGrantVmAccess(L"some-vm", file), E_ACCESSDENIED);
  assert_int_equal(hcs.HcsGrantVmAccess(L"some-vm", file), S_OK);
  HRESULT hr = hcs.HcsGrantVmAccess(L"some-vm", L"C:\\no\\such\\file.vhdx");
  assert_true(hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND) || hr == HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND));
  assert_int_equal(hcs.HcsGrantVmAccess(L"", file), E_INVALIDARG);
  cJSON *lines = log_lines("HcsGrantVmAccess", "some-vm");
  assert_true(cJSON_GetArraySize(lines) >= 3);
  assert_string_equal(string(cJSON_GetArrayItem(lines, 1), "injected"), "0x80070005");
  cJSON_Delete(lines);
  /* and the unreadable rule of WCTR_HCS_DOUBLE_DELAY is reported in the log, not ignored silently */
  lines = log_lines("(knobs)", NULL);
  assert_true(cJSON_GetArraySize(lines) >= 1);
  assert_non_null(strstr(string(cJSON_GetArrayItem(lines, 0), "error"), "HcsNoSuchFunction is not a function"));
  cJSON_Delete(lines);
}

static void test_call_log(void **state) {
  (void)state;
  char id[64];
  unique_id("logged", id, sizeof id);
  HCS_SYSTEM sys;
  assert_int_equal(create_system(id, container_doc(), &sys, NULL), S_OK);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  cJSON *lines = log_lines("HcsCreateComputeSystem", id);
  assert_int_equal(cJSON_GetArraySize(lines), 1);
  cJSON *line = cJSON_GetArrayItem(lines, 0);
  cJSON *sent = cJSON_Parse(container_doc());
  /* Exactly the document the client sent. */
  assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(line, "document"), sent, true));
  assert_int_equal(number(line, "pid"), GetCurrentProcessId());
  assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(line, "operation")));
  cJSON_Delete(sent);
  cJSON_Delete(lines);
  lines = log_lines("HcsTerminateComputeSystem", id);
  assert_int_equal(cJSON_GetArraySize(lines), 1);
  cJSON_Delete(lines);
  lines = log_lines("HcsCloseComputeSystem", id);
  assert_int_equal(cJSON_GetArraySize(lines), 1);
  cJSON_Delete(lines);
  /* Not JSON: logged as text. */
  unique_id("logged", id, sizeof id);
  char *doc = NULL;
  assert_int_equal(create_system(id, "{oops", &sys, &doc), HCS_E_INVALID_JSON);
  free(doc);
  hcs.HcsCloseComputeSystem(sys);
  lines = log_lines("HcsCreateComputeSystem", id);
  assert_string_equal(string(cJSON_GetArrayItem(lines, 0), "documentText"), "{oops");
  cJSON_Delete(lines);
}

static HRESULT modify_service(const char *settings, char **doc) {
  wchar_t *w = wide(settings);
  PWSTR result = NULL;
  HRESULT hr = hcs.HcsModifyServiceSettings(w, &result);
  free(w);
  char *text = take_doc(result);
  if (doc != NULL) {
    *doc = text;
  } else {
    free(text);
  }
  return hr;
}

static cJSON *ccg_instances(void) {
  PWSTR result = NULL;
  assert_int_equal(hcs.HcsGetServiceProperties(L"{\"PropertyTypes\":[\"ContainerCredentialGuard\"]}", &result), S_OK);
  char *doc = take_doc(result);
  cJSON *j = cJSON_Parse(doc);
  free(doc);
  const cJSON *props = cJSON_GetObjectItemCaseSensitive(j, "Properties");
  assert_int_equal(cJSON_GetArraySize(props), 1);
  cJSON *instances = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetArrayItem(props, 0), "Instances");
  cJSON_Delete(j);
  assert_true(cJSON_IsArray(instances));
  return instances;
}

static const cJSON *instance_of(const cJSON *instances, const char *id) {
  const cJSON *i;
  cJSON_ArrayForEach(i, instances) {
    if (strcmp(string(i, "Id"), id) == 0) return i;
  }
  return NULL;
}

static void test_ccg(void **state) {
  (void)state;
  char id[64], id2[64], settings[1024], *doc = NULL;
  unique_id("ccg", id, sizeof id);
  unique_id("ccg", id2, sizeof id2);
  const char *spec = "{\\\"CmsPlugins\\\":[\\\"ActiveDirectory\\\"],\\\"DomainJoinConfig\\\":{\\\"Sid\\\":"
                     "\\\"S-1-5-21-1-2-3\\\"}}";
  snprintf(settings, sizeof settings,
           "{\"PropertyType\":\"ContainerCredentialGuard\",\"Settings\":{\"Operation\":\"AddInstance\","
           "\"OperationDetails\":{\"Id\":\"%s\",\"CredentialSpec\":\"%s\",\"Transport\":\"LRPC\"}}}",
           id, spec);
  assert_int_equal(modify_service(settings, &doc), S_OK);
  assert_null(doc);
  assert_int_equal(modify_service(settings, &doc), HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS));
  assert_error_doc(doc, HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS), id);
  free(doc);
  snprintf(settings, sizeof settings,
           "{\"PropertyType\":\"ContainerCredentialGuard\",\"Settings\":{\"Operation\":\"AddInstance\","
           "\"OperationDetails\":{\"Id\":\"%s\",\"CredentialSpec\":\"%s\",\"Transport\":\"HvSocket\"}}}",
           id2, spec);
  assert_int_equal(modify_service(settings, NULL), S_OK);

  cJSON *instances = ccg_instances();
  const cJSON *lrpc = instance_of(instances, id);
  const cJSON *hv = instance_of(instances, id2);
  assert_non_null(lrpc);
  assert_non_null(hv);
  const cJSON *guard = cJSON_GetObjectItemCaseSensitive(lrpc, "CredentialGuard");
  assert_string_equal(string(guard, "Transport"), "LRPC");
  assert_true(strlen(string(guard, "Cookie")) >= 40); /* base64 of 32 random bytes */
  assert_true(strlen(string(guard, "RpcEndpoint")) > 0);
  assert_non_null(strstr(string(guard, "CredentialSpec"), "ActiveDirectory"));
  assert_null(cJSON_GetObjectItemCaseSensitive(lrpc, "HvSocketConfig"));
  const cJSON *hvconfig = cJSON_GetObjectItemCaseSensitive(hv, "HvSocketConfig");
  assert_int_equal(strlen(string(hvconfig, "ServiceId")), 36);
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(hvconfig, "ServiceConfig")));
  cJSON_Delete(instances);

  /* Kept in the state folder, for a client that comes after this one. */
  wchar_t path[MAX_PATH];
  state_file(L"state.json", path);
  char *stored = read_file(path);
  assert_non_null(strstr(stored, id));
  free(stored);

  /* Strict: a transport HCS does not know, a spec that is not a document, a missing Id. */
  snprintf(settings, sizeof settings,
           "{\"PropertyType\":\"ContainerCredentialGuard\",\"Settings\":{\"Operation\":\"AddInstance\","
           "\"OperationDetails\":{\"Id\":\"x\",\"CredentialSpec\":\"%s\",\"Transport\":\"Tcp\"}}}",
           spec);
  assert_int_equal(modify_service(settings, &doc), HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModificationRequest.Settings.OperationDetails.Transport: \"Tcp\"");
  free(doc);
  assert_int_equal(modify_service("{\"PropertyType\":\"ContainerCredentialGuard\",\"Settings\":{\"Operation\":"
                                  "\"AddInstance\",\"OperationDetails\":{\"Id\":\"x\",\"CredentialSpec\":\"gmsa\","
                                  "\"Transport\":\"LRPC\"}}}",
                                  &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModificationRequest.Settings.OperationDetails.CredentialSpec");
  free(doc);
  assert_int_equal(modify_service("{\"PropertyType\":\"ContainerCredentialGuard\",\"Settings\":{\"Operation\":"
                                  "\"RemoveInstance\",\"OperationDetails\":{}}}",
                                  &doc),
                   HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModificationRequest.Settings.OperationDetails.Id: required field");
  free(doc);
  assert_int_equal(modify_service("{\"PropertyType\":\"ContainerCredentialGuard\"}", &doc), HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "ModificationRequest.Settings: required field is missing");
  free(doc);

  for (int i = 0; i < 2; i++) {
    snprintf(settings, sizeof settings,
             "{\"PropertyType\":\"ContainerCredentialGuard\",\"Settings\":{\"Operation\":\"RemoveInstance\","
             "\"OperationDetails\":{\"Id\":\"%s\"}}}",
             i == 0 ? id : id2);
    assert_int_equal(modify_service(settings, NULL), S_OK);
  }
  assert_int_equal(modify_service(settings, &doc), HRESULT_FROM_WIN32(ERROR_NOT_FOUND));
  assert_error_doc(doc, HRESULT_FROM_WIN32(ERROR_NOT_FOUND), id2);
  free(doc);
  instances = ccg_instances();
  assert_null(instance_of(instances, id));
  assert_null(instance_of(instances, id2));
  cJSON_Delete(instances);

  /* The service's other properties. */
  PWSTR result = NULL;
  assert_int_equal(hcs.HcsGetServiceProperties(NULL, &result), S_OK);
  doc = take_doc(result);
  assert_non_null(strstr(doc, "SupportedSchemaVersions"));
  free(doc);
  assert_int_equal(hcs.HcsGetServiceProperties(L"{\"PropertyTypes\":[\"Nope\"]}", &result), HCS_E_INVALID_JSON);
  free(take_doc(result));
}

/* The restart: another process (this program with --client) creates and starts a system, starts a
 * process in it and exits without closing anything, like a wctrd that crashed. */
/* A client process (test_restart, test_crashed_holder): a running container with a process in it, then an
 * exit that closes no handle, as a crashing wctrd leaves them. */
static int run_client(const char *id, bool terminate_on_close) {
  GetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", g_state, MAX_PATH);
  find_files();
  load_api();
  fixture_load();
  HCS_SYSTEM sys;
  const char *doc = container_doc_with(terminate_on_close ? ",\"ShouldTerminateOnLastHandleClosed\":true" : "");
  if (create_system(id, doc, &sys, NULL) != S_OK || on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL) != S_OK) {
    return 3;
  }
  char *params = child_params("sleep 60000", false, false, false);
  HCS_PROCESS proc;
  HCS_PROCESS_INFORMATION info;
  if (create_process(sys, params, &proc, &info, NULL) != S_OK) return 2;
  wchar_t path[MAX_PATH];
  char pid[32];
  state_file(L"client.pid", path);
  snprintf(pid, sizeof pid, "%lu", (unsigned long)info.ProcessId);
  write_file(path, pid);
  ExitProcess(0);
}

/* Runs this executable as a client (run_client) and returns the pid of the process it left running. */
static DWORD run_client_process(const char *id, const char *mode) {
  wchar_t self[MAX_PATH], cmd[MAX_PATH + 160];
  GetModuleFileNameW(NULL, self, MAX_PATH);
  wchar_t *wid_arg = wide(id);
  swprintf(cmd, ARRAYSIZE(cmd), L"\"%ls\" --client %ls %hs", self, wid_arg, mode);
  free(wid_arg);
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  assert_true(CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi));
  assert_int_equal(WaitForSingleObject(pi.hProcess, WAIT_MS), WAIT_OBJECT_0);
  DWORD code = 1;
  GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  CloseHandle(pi.hThread);
  assert_int_equal(code, 0);
  wchar_t path[MAX_PATH];
  state_file(L"client.pid", path);
  char *pid_text = read_file(path);
  assert_non_null(pid_text);
  DWORD pid = (DWORD)strtoul(pid_text, NULL, 10);
  free(pid_text);
  return pid;
}

static void test_restart(void **state) {
  (void)state;
  char id[64];
  unique_id("restart", id, sizeof id);
  DWORD pid = run_client_process(id, "");

  /* The system still runs, and its process too: open both, end them. */
  HCS_SYSTEM sys;
  wchar_t *wid = wide(id);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), S_OK);
  assert_state(sys, "Running");
  HCS_PROCESS proc;
  assert_int_equal(hcs.HcsOpenProcess(sys, pid, GENERIC_ALL, &proc), S_OK);
  recorder events;
  recorder_init(&events);
  assert_int_equal(hcs.HcsSetProcessCallback(proc, HcsEventOptionNone, &events, record_event), S_OK);
  assert_int_equal(on_process(hcs.HcsTerminateProcess, proc, NULL, NULL), S_OK);
  cJSON *exit = wait_event(&events, HcsEventProcessExited);
  assert_int_equal(number(exit, "ProcessId"), pid);
  assert_int_equal(number(exit, "ExitCode"), 1);
  cJSON_Delete(exit);
  hcs.HcsCloseProcess(proc);
  assert_int_equal(on_system(hcs.HcsShutDownComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), HCS_E_SYSTEM_NOT_FOUND);
  free(wid);
  recorder_free(&events);
}

/* The DLL unloads when the client FreeLibrary's it (no thread of it left running) and a fresh load
 * finds the running systems again in state.json. */
static void test_unload_and_reload(void **state) {
  (void)state;
  char id[64];
  unique_id("reload", id, sizeof id);
  HCS_SYSTEM sys = running_container(id);
  hcs.HcsCloseComputeSystem(sys); /* still running: still there */
  FreeLibrary(g_core);
  ULONGLONG until = GetTickCount64() + WAIT_MS;
  while (GetModuleHandleW(L"computecore.dll") != NULL && GetTickCount64() < until) Sleep(50);
  assert_null(GetModuleHandleW(L"computecore.dll"));
  FreeLibrary(g_storage);
  load_api();
  wchar_t *wid = wide(id);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), S_OK);
  assert_state(sys, "Running");
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), HCS_E_SYSTEM_NOT_FOUND);
  free(wid);
}

static void test_storage(void **state) {
  (void)state;
  wchar_t src[MAX_PATH], layer[MAX_PATH], file[MAX_PATH], scratch[MAX_PATH];
  state_file(L"layer-src", src);
  state_file(L"layers\\imported", layer);
  state_file(L"layers\\scratch", scratch);
  CreateDirectoryW(src, NULL);
  swprintf(file, MAX_PATH, L"%ls\\Files", src);
  CreateDirectoryW(file, NULL);
  swprintf(file, MAX_PATH, L"%ls\\Files\\hello.txt", src);
  write_file(file, "layer content");
  const wchar_t *data = L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Layers\":[]}";
  assert_int_equal(hcs.HcsImportLayer(layer, src, data), S_OK);
  swprintf(file, MAX_PATH, L"%ls\\Files\\hello.txt", layer);
  char *copied = read_file(file);
  assert_non_null(copied);
  assert_string_equal(copied, "layer content");
  free(copied);
  assert_int_equal(hcs.HcsImportLayer(layer, src, L"{\"Layers\":[{\"Id\":\"x\"}]}"), HCS_E_INVALID_JSON);
  assert_int_equal(hcs.HcsImportLayer(L"relative\\path", src, data), E_INVALIDARG);
  assert_int_equal(hcs.HcsSetupBaseOSLayer(layer, NULL, L"{\"Type\":\"Container\"}"), S_OK);
  assert_int_equal(hcs.HcsSetupBaseOSLayer(layer, NULL, L"{\"Type\":\"Box\"}"), HCS_E_INVALID_JSON);
  assert_int_equal(hcs.HcsInitializeWritableLayer(scratch, data, NULL), S_OK);
  assert_true(exists(scratch));
  /* A folder, no VHD (its documentation mentions none). */
  swprintf(file, MAX_PATH, L"%ls\\sandbox.vhdx", scratch);
  assert_false(exists(file));
  /* A LayerData's ids are NameToGuid of their folders. */
  char layer_data[MAX_PATH * 6 + 200], base_json[MAX_PATH * 6];
  escaped(g_base_utf8, base_json, sizeof base_json);
  snprintf(layer_data, sizeof layer_data, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Layers\":[{\"Id\":"
           "\"8e7d9c68-2c33-4a5b-9e0f-0123456789ab\",\"Path\":\"%s\"}]}", base_json);
  wchar_t *wrong = wide(layer_data);
  assert_int_equal(hcs.HcsAttachLayerStorageFilter(scratch, wrong), E_INVALIDARG);
  free(wrong);
  snprintf(layer_data, sizeof layer_data, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Layers\":[{\"Id\":"
           "\"%s\",\"Path\":\"%s\"}]}", g_base_id, base_json);
  wchar_t *right = wide(layer_data);
  assert_int_equal(hcs.HcsAttachLayerStorageFilter(scratch, right), S_OK);
  free(right);
  assert_int_equal(hcs.HcsAttachLayerStorageFilter(scratch, data), S_OK);
  assert_int_equal(hcs.HcsDetachLayerStorageFilter(scratch), S_OK);
  assert_int_equal(hcs.HcsFormatWritableLayerVhd(NULL), E_HANDLE);
  assert_int_equal(hcs.HcsDestroyLayer(layer), S_OK);
  assert_false(exists(layer));
  assert_int_equal(hcs.HcsDestroyLayer(layer), HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND));
  assert_int_equal(hcs.HcsDestroyLayer(scratch), S_OK);
  /* Fail injection reaches computestorage too. */
  control("fail HcsDestroyLayer:1:0x80070020\n");
  assert_int_equal(hcs.HcsDestroyLayer(scratch), HRESULT_FROM_WIN32(ERROR_SHARING_VIOLATION));
  control(NULL);
  cJSON *lines = log_lines("HcsImportLayer", NULL);
  assert_true(cJSON_GetArraySize(lines) >= 1);
  assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(lines, 0), "document")));
  cJSON_Delete(lines);
}

/* ---- vmcompute.dll: the scratch and its mount ---- */

/* A process-isolated container document over volume with the given layers (ids, paths) and Processor
 * (NULL: the fixture's). Caller frees with cJSON_free. */
static char *process_doc(const char *volume, const char *const *ids, const char *const *paths, size_t n,
                         const char *processor) {
  cJSON *d = cJSON_Parse(container_doc());
  cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "Container");
  cJSON *storage = cJSON_GetObjectItemCaseSensitive(c, "Storage");
  cJSON_ReplaceItemInObjectCaseSensitive(storage, "Path", cJSON_CreateString(volume));
  cJSON *layers = cJSON_CreateArray();
  for (size_t i = 0; i < n; i++) {
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "Id", ids[i]);
    cJSON_AddStringToObject(l, "Path", paths[i]);
    cJSON_AddItemToArray(layers, l);
  }
  cJSON_ReplaceItemInObjectCaseSensitive(storage, "Layers", layers);
  if (processor != NULL) cJSON_ReplaceItemInObjectCaseSensitive(c, "Processor", cJSON_Parse(processor));
  char *text = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  return text;
}

/* The call log's explanation of the last refusal of call: {"refused":call,"hr","detail"}. */
static void assert_refusal_logged(const char *call, HRESULT hr, const char *text) {
  wchar_t path[MAX_PATH];
  state_file(L"calls.jsonl", path);
  char *log = read_file(path);
  assert_non_null(log);
  char *last = NULL;
  char *save = NULL;
  for (char *line = strtok_r(log, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    cJSON *j = cJSON_Parse(line);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "refused");
    if (cJSON_IsString(r) && strcmp(r->valuestring, call) == 0) {
      free(last);
      last = cJSON_PrintUnformatted(j);
    }
    cJSON_Delete(j);
  }
  free(log);
  if (last == NULL) fail_msg("no refusal of %s in the call log", call);
  char want[16];
  snprintf(want, sizeof want, "0x%08lx", (unsigned long)hr);
  if (strstr(last, want) == NULL || strstr(last, text) == NULL) fail_msg("%s: \"%s\" lacks %s or \"%s\"", call, last, want, text);
  free(last);
}

/* A copy of the record id of section in state.json, or NULL. */
static cJSON *hcsd_record(const char *section, const char *id) {
  wchar_t path[MAX_PATH];
  state_file(L"state.json", path);
  char *text = read_file(path);
  cJSON *doc = text != NULL ? cJSON_Parse(text) : NULL;
  free(text);
  cJSON *found = NULL;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, section)) {
    const cJSON *i = cJSON_GetObjectItemCaseSensitive(r, "Id");
    if (cJSON_IsString(i) && _stricmp(i->valuestring, id) == 0) found = cJSON_Duplicate(r, true);
  }
  cJSON_Delete(doc);
  return found;
}

static bool starts_with_magic(const wchar_t *path) {
  char *text = read_file(path);
  bool ok = text != NULL && strncmp(text, "wctr-hcs-double VHDX v1\n", 24) == 0;
  free(text);
  return ok;
}


static void test_vmcompute_scratch(void **state) {
  (void)state;
  wchar_t base[MAX_PATH], app[MAX_PATH], scratch[MAX_PATH], vhd[MAX_PATH], file[MAX_PATH];
  make_layer(L"vm\\base", true, base);
  make_layer(L"vm\\app", false, app);
  state_file(L"vm\\scratch", scratch);
  swprintf(vhd, MAX_PATH, L"%ls\\sandbox.vhdx", scratch);
  /* NameToGuid: the same name, the same id; another name, another id. */
  GUID a, b, c;
  assert_int_equal(vm.NameToGuid(L"0123abcd", &a), S_OK);
  assert_int_equal(vm.NameToGuid(L"0123abcd", &b), S_OK);
  assert_int_equal(vm.NameToGuid(L"0123abce", &c), S_OK);
  assert_memory_equal(&a, &b, sizeof a);
  assert_memory_not_equal(&a, &c, sizeof a);
  assert_int_equal(vm.NameToGuid(L"", &a), E_INVALIDARG);
  assert_int_equal(vm.NameToGuid(L"x", NULL), E_POINTER);

  layer_descriptor d[2] = {descriptor(app), descriptor(base)};
  /* hcsshim's driver info only, absolute paths, parents with their NameToGuid ids, a base at the end. */
  driver_info flavour0 = {0, L""}, homedir = {1, L"C:\\layers"};
  assert_int_equal(vm.CreateSandboxLayer(&flavour0, scratch, NULL, d, 2), E_INVALIDARG);
  assert_int_equal(vm.CreateSandboxLayer(&homedir, scratch, NULL, d, 2), E_INVALIDARG);
  assert_int_equal(vm.CreateSandboxLayer(&g_info, L"vm\\scratch", NULL, d, 2), E_INVALIDARG);
  assert_int_equal(vm.CreateSandboxLayer(&g_info, scratch, NULL, d, 0), E_INVALIDARG);
  layer_descriptor swapped[2] = {d[0], d[1]};
  swapped[0].id = d[1].id;
  assert_int_equal(vm.CreateSandboxLayer(&g_info, scratch, NULL, swapped, 2), E_INVALIDARG);
  assert_refusal_logged("CreateSandboxLayer", E_INVALIDARG, "is not NameToGuid(\\\"app\\\")");
  assert_int_equal(vm.CreateSandboxLayer(&g_info, scratch, NULL, d, 1), E_PATH_NOT_FOUND); /* app is no base */
  assert_int_equal(vm.CreateSandboxLayer(&g_info, scratch, NULL, d, 2), S_OK);
  assert_true(starts_with_magic(vhd));
  assert_int_equal(vm.CreateSandboxLayer(&g_info, scratch, NULL, d, 2), HRESULT_FROM_WIN32(ERROR_FILE_EXISTS));
  UINT32 there = 0;
  assert_int_equal(vm.LayerExists(&g_info, scratch, &there), S_OK);
  assert_int_equal(there, 1);

  /* In order: activate (mount), prepare (the filter over the parents), the volume. */
  size_t len = 0;
  assert_int_equal(vm.PrepareLayer(&g_info, scratch, d, 2), E_NOT_READY);
  assert_int_equal(vm.GetLayerMountPath(&g_info, scratch, &len, NULL), E_NOT_READY);
  assert_int_equal(vm.ActivateLayer(&g_info, scratch), S_OK);
  assert_int_equal(vm.ActivateLayer(&g_info, scratch), S_OK); /* mounted already: nothing changes */
  assert_int_equal(vm.GetLayerMountPath(&g_info, scratch, &len, NULL), S_OK);
  assert_int_equal(len, 50); /* \\?\Volume{GUID}\ and the NUL */
  wchar_t buf[64];
  size_t small = 10;
  assert_int_equal(vm.GetLayerMountPath(&g_info, scratch, &small, buf), HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER));
  assert_int_equal(vm.GetLayerMountPath(&g_info, scratch, &len, buf), S_OK);
  assert_int_equal(wcsncmp(buf, L"\\\\?\\Volume{", 11), 0);
  char volume[80];
  WideCharToMultiByte(CP_UTF8, 0, buf, -1, volume, sizeof volume, NULL, NULL);
  assert_int_equal(vm.PrepareLayer(&g_info, scratch, d, 2), S_OK);
  /* A system on the volume keeps it in use; so does the filter the mount. */
  char app_id[37], base_id[37], app8[MAX_PATH * 3], base8[MAX_PATH * 3];
  guid_text(&d[0].id, app_id);
  guid_text(&d[1].id, base_id);
  WideCharToMultiByte(CP_UTF8, 0, app, -1, app8, sizeof app8, NULL, NULL);
  WideCharToMultiByte(CP_UTF8, 0, base, -1, base8, sizeof base8, NULL, NULL);
  const char *ids[] = {app_id, base_id}, *paths[] = {app8, base8};
  char *doc_text = process_doc(volume, ids, paths, 2, NULL);
  char id[64];
  unique_id("onvolume", id, sizeof id);
  HCS_SYSTEM sys;
  assert_int_equal(create_system(id, doc_text, &sys, NULL), S_OK);
  cJSON_free(doc_text);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), S_OK);
  assert_int_equal(vm.UnprepareLayer(&g_info, scratch), E_BUSY);
  assert_refusal_logged("UnprepareLayer", E_BUSY, "which has not stopped");
  assert_int_equal(vm.DeactivateLayer(&g_info, scratch), E_BUSY);
  assert_int_equal(vm.DestroyLayer(&g_info, scratch), E_BUSY);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  /* Teardown in reverse. */
  assert_int_equal(vm.UnprepareLayer(&g_info, scratch), S_OK);
  assert_int_equal(vm.DestroyLayer(&g_info, scratch), E_BUSY); /* still mounted */
  assert_int_equal(vm.DeactivateLayer(&g_info, scratch), S_OK);
  assert_int_equal(vm.UnprepareLayer(&g_info, scratch), E_NOT_READY);
  assert_int_equal(vm.DeactivateLayer(&g_info, scratch), E_NOT_READY);
  assert_int_equal(vm.DestroyLayer(&g_info, scratch), S_OK);
  assert_false(exists(scratch));
  assert_int_equal(vm.LayerExists(&g_info, scratch, &there), S_OK);
  assert_int_equal(there, 0);
  assert_int_equal(vm.DestroyLayer(&g_info, scratch), E_PATH_NOT_FOUND);

  /* A writable layer from HcsInitializeWritableLayer has no VHD: nothing to mount. */
  wchar_t only[MAX_PATH], bogus[MAX_PATH];
  state_file(L"vm\\initialized", only);
  char data[MAX_PATH * 6 + 200], base_json[MAX_PATH * 6];
  escaped(base8, base_json, sizeof base_json);
  snprintf(data, sizeof data, "{\"SchemaVersion\":{\"Major\":2,\"Minor\":1},\"Layers\":[{\"Id\":\"%s\",\"Path\":\"%s\"}]}",
           base_id, base_json);
  wchar_t *wdata = wide(data);
  assert_int_equal(hcs.HcsInitializeWritableLayer(only, wdata, NULL), S_OK);
  free(wdata);
  swprintf(file, MAX_PATH, L"%ls\\sandbox.vhdx", only);
  assert_false(exists(file));
  assert_int_equal(vm.ActivateLayer(&g_info, only), E_FILE_NOT_FOUND);
  assert_refusal_logged("ActivateLayer", E_FILE_NOT_FOUND, "it was never created");
  /* A sandbox.vhdx that is not a virtual disk. */
  state_file(L"vm\\bogus", bogus);
  CreateDirectoryW(bogus, NULL);
  swprintf(file, MAX_PATH, L"%ls\\sandbox.vhdx", bogus);
  write_file(file, "just a file");
  assert_int_equal(vm.ActivateLayer(&g_info, bogus), E_NOT_VIRTUAL_DISK);

  /* Every call is in the log with its arguments. */
  cJSON *lines = log_lines("PrepareLayer", NULL);
  const cJSON *last = cJSON_GetArrayItem(lines, cJSON_GetArraySize(lines) - 1);
  const cJSON *logged = cJSON_GetObjectItemCaseSensitive(last, "layers");
  assert_int_equal(cJSON_GetArraySize(logged), 2);
  assert_string_equal(string(cJSON_GetArrayItem(logged, 0), "Id"), app_id);
  assert_int_equal(number(last, "flavour"), 1);
  cJSON_Delete(lines);
}

/* vmcompute's image functions: the privileges they need, what processing reads and writes, the transport
 * format ImportLayer reads, the parents' order, the layers it keeps. */
static void test_vmcompute_images(void **state) {
  (void)state;
  wchar_t base[MAX_PATH], bare[MAX_PATH], uvm[MAX_PATH], file[MAX_PATH], stage[MAX_PATH], app[MAX_PATH], top[MAX_PATH];
  make_base_image(L"img\\base", base);
  make_layer(L"img\\bare", true, bare); /* Files, but no Windows in it */
  swprintf(uvm, MAX_PATH, L"%ls\\UtilityVM", base);
  make_staging(L"img\\stage", stage);
  state_file(L"img\\app", app);
  state_file(L"img\\top", top);
  layer_descriptor db = descriptor(base), da = descriptor(app);
  /* Without SeBackupPrivilege and SeRestorePrivilege, nothing. */
  privileges(false);
  assert_int_equal(vm.ProcessBaseImage(base), E_PRIVILEGE_NOT_HELD);
  assert_refusal_logged("ProcessBaseImage", E_PRIVILEGE_NOT_HELD, "SeBackupPrivilege");
  assert_int_equal(vm.ProcessUtilityImage(uvm), E_PRIVILEGE_NOT_HELD);
  assert_int_equal(vm.ImportLayer(&g_info, app, stage, &db, 1), E_PRIVILEGE_NOT_HELD);
  assert_false(exists(app));
  privileges(true);
  /* Processing reads the image: a base layer's registry, a utility VM's boot store. */
  assert_int_equal(vm.ProcessBaseImage(bare), E_PATH_NOT_FOUND);
  assert_refusal_logged("ProcessBaseImage", E_PATH_NOT_FOUND, "Windows\\\\System32\\\\config");
  assert_int_equal(vm.ProcessBaseImage(base), S_OK);
  swprintf(file, MAX_PATH, L"%ls\\blank.vhdx", base);
  assert_true(starts_with_magic(file));
  swprintf(file, MAX_PATH, L"%ls\\blank-base.vhdx", base);
  assert_true(starts_with_magic(file));
  swprintf(file, MAX_PATH, L"%ls\\UtilityVM\\Files\\EFI\\Microsoft\\Boot\\BCD", base);
  DeleteFileW(file);
  assert_int_equal(vm.ProcessUtilityImage(uvm), E_PATH_NOT_FOUND);
  write_file(file, "bcd");
  assert_int_equal(vm.ProcessUtilityImage(uvm), S_OK);
  swprintf(file, MAX_PATH, L"%ls\\UtilityVM\\SystemTemplate.vhdx", base);
  assert_true(starts_with_magic(file));
  char base8[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, base, -1, base8, sizeof base8, NULL, NULL);
  cJSON *rec = hcsd_record("Layers", base8);
  assert_string_equal(string(rec, "Kind"), "Base");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "UtilityVM")));
  cJSON_Delete(rec);

  /* ImportLayer decodes the transport format over the parent's names. */
  assert_int_equal(vm.ImportLayer(&g_info, app, stage, &db, 1), S_OK);
  swprintf(file, MAX_PATH, L"%ls\\Files\\x.txt", app);
  char *text = read_file(file);
  assert_string_equal(text, "hi");
  free(text);
  assert_true(GetFileAttributesW(file) & FILE_ATTRIBUTE_HIDDEN);
  swprintf(file, MAX_PATH, L"%ls\\Files\\x.txt:s", app);
  text = read_file(file);
  assert_string_equal(text, "ss");
  free(text);
  swprintf(file, MAX_PATH, L"%ls\\Hives\\H_Delta", app);
  text = read_file(file);
  assert_string_equal(text, "hive");
  free(text);
  swprintf(file, MAX_PATH, L"%ls\\Files\\Windows\\System32\\config", app); /* a placeholder of the parent's */
  assert_true(exists(file));
  char app8[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, app, -1, app8, sizeof app8, NULL, NULL);
  rec = hcsd_record("Layers", app8);
  assert_string_equal(string(rec, "Kind"), "Import");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rec, "Parents")), 1);
  assert_true(number(rec, "Placeholders") >= 0);
  cJSON_Delete(rec);
  /* an imported layer is no base to process */
  assert_int_equal(vm.ProcessBaseImage(app), E_INVALIDARG);

  /* Parents go immediate first, each over the next, the base last; no repeats. */
  layer_descriptor wrong[2] = {db, da}, right[2] = {da, db}, twice[2] = {db, db};
  assert_int_equal(vm.ImportLayer(&g_info, top, stage, wrong, 2), E_INVALIDARG);
  assert_refusal_logged("ImportLayer", E_INVALIDARG, "immediate first");
  assert_int_equal(vm.ImportLayer(&g_info, top, stage, twice, 2), E_INVALIDARG);
  assert_int_equal(vm.ImportLayer(&g_info, top, stage, &da, 1), E_INVALIDARG); /* app is not a base */
  assert_int_equal(vm.ImportLayer(&g_info, top, stage, right, 2), S_OK);
  swprintf(file, MAX_PATH, L"%ls\\Files\\x.txt", top);
  assert_true(exists(file));

  /* What is not the transport format. */
  static const struct {
    const wchar_t *name;
    int broken;
    const char *detail;
  } bad[] = {
      {L"img\\no-marker", 1, "without its .$wcidirs$"},
      {L"img\\lone-marker", 2, "marker without its folder"},
      {L"img\\short", 3, "shorter than its attribute word"},
      {L"img\\cut", 4, "cut short"},
      {L"img\\stranger", 5, "has not"},
      {L"img\\dir-word", 6, "attribute word is a folder's"},
  };
  for (size_t i = 0; i < ARRAYSIZE(bad); i++) {
    wchar_t s[MAX_PATH], p[MAX_PATH], dest[MAX_PATH];
    make_staging(bad[i].name, s);
    switch (bad[i].broken) {
      case 1:
        swprintf(p, MAX_PATH, L"%ls\\Files\\sub", s);
        CreateDirectoryW(p, NULL);
        break;
      case 2:
        swprintf(p, MAX_PATH, L"%ls\\Files\\gone.$wcidirs$", s);
        staged(p, FILE_ATTRIBUTE_DIRECTORY, NULL, NULL, NULL, 0);
        break;
      case 3:
        swprintf(p, MAX_PATH, L"%ls\\Files\\x.txt", s);
        staged(p, 0, NULL, NULL, NULL, 2);
        break;
      case 4:
        swprintf(p, MAX_PATH, L"%ls\\Files\\x.txt", s);
        staged(p, FILE_ATTRIBUTE_ARCHIVE, "hello", NULL, NULL, 4 + 20 + 2);
        break;
      case 5:
        swprintf(p, MAX_PATH, L"%ls\\layer.json", s);
        write_file(p, "{}");
        break;
      default:
        swprintf(p, MAX_PATH, L"%ls\\Files\\x.txt", s);
        staged(p, FILE_ATTRIBUTE_DIRECTORY, NULL, NULL, NULL, 0);
        break;
    }
    swprintf(dest, MAX_PATH, L"%ls-layer", s);
    assert_int_equal(vm.ImportLayer(&g_info, dest, s, &db, 1), E_INVALID_DATA);
    assert_refusal_logged("ImportLayer", E_INVALID_DATA, bad[i].detail);
  }
  /* DestroyLayer forgets the layer */
  assert_int_equal(vm.DestroyLayer(&g_info, top), S_OK);
  char top8[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, top, -1, top8, sizeof top8, NULL, NULL);
  assert_null(hcsd_record("Layers", top8));
  privileges(false);
}

/* A process-isolated container stands on a volume the double mounted and prepared over the same layers,
 * with ids NameToGuid of their folders, and one processor limit. */
static void test_process_storage_refusals(void **state) {
  (void)state;
  wchar_t scratch[MAX_PATH];
  char id[64], *doc = NULL, half[80];
  HCS_SYSTEM sys;
  const char *ids[] = {g_base_id}, *paths[] = {g_base_utf8};
  struct {
    char *text;
    HRESULT hr;
    const char *message;
  } cases[7];
  size_t n = 0;
  /* The writable layer's folder, as no Microsoft client passes it. */
  wchar_t folder[MAX_PATH * 3];
  swprintf(folder, MAX_PATH, L"%ls", g_scratch);
  char folder8[MAX_PATH * 3];
  WideCharToMultiByte(CP_UTF8, 0, folder, -1, folder8, sizeof folder8, NULL, NULL);
  cases[n++] = (__typeof__(cases[0])){process_doc(folder8, ids, paths, 1, NULL), E_INVALIDARG, "must be a volume GUID path"};
  cases[n++] = (__typeof__(cases[0])){process_doc("\\\\?\\Volume{5f1d0c7a-0000-0000-0000-100000000000}\\", ids, paths, 1,
                                                  NULL),
                                      E_PATH_NOT_FOUND, "is not a volume the double mounted"};
  /* Activated but never prepared: no filter. */
  state_file(L"refusals\\scratch", scratch);
  layer_descriptor d = descriptor(g_base);
  assert_int_equal(vm.CreateSandboxLayer(&g_info, scratch, NULL, &d, 1), S_OK);
  assert_int_equal(vm.ActivateLayer(&g_info, scratch), S_OK);
  wchar_t buf[64];
  size_t len = ARRAYSIZE(buf);
  assert_int_equal(vm.GetLayerMountPath(&g_info, scratch, &len, buf), S_OK);
  WideCharToMultiByte(CP_UTF8, 0, buf, -1, half, sizeof half, NULL, NULL);
  cases[n++] = (__typeof__(cases[0])){process_doc(half, ids, paths, 1, NULL), HRESULT_FROM_WIN32(ERROR_NOT_READY),
                                      "has no filter over its layers"};
  /* Layers that are not the prepared ones; an id that is not NameToGuid of its folder. */
  const char *two_ids[] = {g_base_id, g_base_id}, *two_paths[] = {g_base_utf8, g_base_utf8};
  cases[n++] = (__typeof__(cases[0])){process_doc(g_volume, two_ids, two_paths, 2, NULL), E_INVALIDARG,
                                      "2 layers, but 1 were prepared"};
  const char *bad_ids[] = {"8e7d9c68-2c33-4a5b-9e0f-0123456789ab"};
  cases[n++] = (__typeof__(cases[0])){process_doc(g_volume, bad_ids, paths, 1, NULL), E_INVALIDARG,
                                      "is not NameToGuid(\"base\")"};
  /* Two of Count, Maximum and Weight. */
  cases[n++] = (__typeof__(cases[0])){process_doc(g_volume, ids, paths, 1, "{\"Count\":1,\"Maximum\":5000}"), E_INVALIDARG,
                                      "Count, Maximum and Weight are mutually exclusive (Count, Maximum given)"};
  cases[n++] = (__typeof__(cases[0])){process_doc(g_volume, ids, paths, 1, "{\"Maximum\":5000,\"Weight\":9}"),
                                      E_INVALIDARG, "(Maximum, Weight given)"};
  for (size_t i = 0; i < n; i++) {
    unique_id("refused", id, sizeof id);
    HRESULT hr = create_system(id, cases[i].text, &sys, &doc);
    if (hr != cases[i].hr) fail_msg("case %zu: 0x%08lx instead of 0x%08lx", i, (unsigned long)hr, (unsigned long)cases[i].hr);
    assert_error_doc(doc, cases[i].hr, cases[i].message);
    free(doc);
    hcs.HcsCloseComputeSystem(sys);
    cJSON_free(cases[i].text);
  }
  /* One limit is fine. */
  char *ok = process_doc(g_volume, ids, paths, 1, "{\"Weight\":9}");
  unique_id("oneproc", id, sizeof id);
  assert_int_equal(create_system(id, ok, &sys, NULL), S_OK);
  cJSON_free(ok);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  assert_int_equal(vm.DeactivateLayer(&g_info, scratch), S_OK);
}

/* ---- enumeration ---- */

static HRESULT enumerate(const char *query, cJSON **out, char **doc) {
  *out = NULL;
  HCS_OPERATION op = new_op();
  wchar_t *w = query != NULL ? wide(query) : NULL;
  HRESULT call = hcs.HcsEnumerateComputeSystems(w, op);
  free(w);
  if (FAILED(call)) {
    hcs.HcsCloseOperation(op);
    return call;
  }
  char *text = NULL;
  HRESULT hr = finish(op, &text);
  if (SUCCEEDED(hr)) *out = cJSON_Parse(text);
  if (doc != NULL) {
    *doc = text;
  } else {
    free(text);
  }
  return hr;
}

static bool listed(const cJSON *list, const char *id) {
  const cJSON *s;
  cJSON_ArrayForEach(s, list) {
    if (strcmp(string(s, "Id"), id) == 0) return true;
  }
  return false;
}

/* A document of the fixture's with another Owner. Caller frees with cJSON_free. */
static char *owned_doc(const char *owner) {
  cJSON *d = cJSON_Parse(container_doc());
  cJSON_ReplaceItemInObjectCaseSensitive(d, "Owner", cJSON_CreateString(owner));
  char *text = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  return text;
}

static void test_enumerate(void **state) {
  (void)state;
  char mine[64], theirs[64], owner[64], other[64];
  unique_id("enum-mine", mine, sizeof mine);
  unique_id("enum-theirs", theirs, sizeof theirs);
  unique_id("owner-a", owner, sizeof owner);
  unique_id("owner-b", other, sizeof other);
  char *a = owned_doc(owner), *b = owned_doc(other);
  HCS_SYSTEM sa, sb;
  assert_int_equal(create_system(mine, a, &sa, NULL), S_OK);
  assert_int_equal(create_system(theirs, b, &sb, NULL), S_OK);
  cJSON_free(a);
  cJSON_free(b);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sa, NULL, NULL), S_OK);
  cJSON *list = NULL;
  char query[160];
  snprintf(query, sizeof query, "{\"Owners\":[\"%s\"]}", owner);
  assert_int_equal(enumerate(query, &list, NULL), S_OK);
  assert_int_equal(cJSON_GetArraySize(list), 1);
  assert_string_equal(string(cJSON_GetArrayItem(list, 0), "Id"), mine);
  assert_string_equal(string(cJSON_GetArrayItem(list, 0), "Owner"), owner);
  assert_string_equal(string(cJSON_GetArrayItem(list, 0), "State"), "Running");
  assert_string_equal(string(cJSON_GetArrayItem(list, 0), "SystemType"), "Container");
  cJSON_Delete(list);
  assert_int_equal(enumerate(NULL, &list, NULL), S_OK);
  assert_true(listed(list, mine) && listed(list, theirs));
  cJSON_Delete(list);
  snprintf(query, sizeof query, "{\"Ids\":[\"%s\"],\"Types\":[\"Container\"]}", theirs);
  assert_int_equal(enumerate(query, &list, NULL), S_OK);
  assert_true(cJSON_GetArraySize(list) == 1 && listed(list, theirs));
  cJSON_Delete(list);
  assert_int_equal(enumerate("{\"Types\":[\"VirtualMachine\"],\"Ids\":[\"nothing-of-that-name\"]}", &list, NULL), S_OK);
  assert_int_equal(cJSON_GetArraySize(list), 0);
  cJSON_Delete(list);
  char *doc = NULL;
  assert_int_equal(enumerate("{\"Owner\":[\"x\"]}", &list, &doc), HCS_E_INVALID_JSON);
  assert_error_doc(doc, HCS_E_INVALID_JSON, "SystemQuery: unknown field \"Owner\"");
  free(doc);
  assert_int_equal(enumerate("{\"Types\":[\"Silo\"]}", &list, NULL), HCS_E_INVALID_JSON);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sa, NULL, NULL), S_OK);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sb, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sa);
  hcs.HcsCloseComputeSystem(sb);
  /* Gone once stopped and let go of. */
  assert_int_equal(enumerate(NULL, &list, NULL), S_OK);
  assert_false(listed(list, mine));
  cJSON_Delete(list);
}

/* ShouldTerminateOnLastHandleClosed, and the client crashes: HCS closes its handles, terminates the system and
 * every process in it; the next client finds nothing. (Without it, test_restart's system runs on.) */
static void test_crashed_holder(void **state) {
  (void)state;
  char id[64];
  unique_id("crashed", id, sizeof id);
  DWORD pid = run_client_process(id, "terminate-on-close");
  cJSON *list = NULL;
  assert_int_equal(enumerate(NULL, &list, NULL), S_OK);
  assert_false(listed(list, id));
  cJSON_Delete(list);
  HCS_SYSTEM sys;
  wchar_t *wid = wide(id);
  assert_int_equal(hcs.HcsOpenComputeSystem(wid, GENERIC_ALL, &sys), HCS_E_SYSTEM_NOT_FOUND);
  free(wid);
  HANDLE p = OpenProcess(SYNCHRONIZE, FALSE, pid);
  if (p != NULL) {
    assert_int_equal(WaitForSingleObject(p, WAIT_MS), WAIT_OBJECT_0);
    CloseHandle(p);
  }
}

/* Every operation this process created was closed: the log makes leaks visible. Runs last. */
static void test_no_leaked_operations(void **state) {
  (void)state;
  cJSON *created = log_lines("HcsCreateOperation", NULL);
  cJSON *closed = log_lines("HcsCloseOperation", NULL);
  int mine_created = 0, mine_closed = 0;
  const cJSON *l;
  cJSON_ArrayForEach(l, created) mine_created += number(l, "pid") == GetCurrentProcessId();
  cJSON_ArrayForEach(l, closed) mine_closed += number(l, "pid") == GetCurrentProcessId();
  assert_true(mine_created > 20);
  assert_int_equal(mine_created, mine_closed);
  cJSON_Delete(created);
  cJSON_Delete(closed);
}

/* ---- computenetwork.dll: networks, endpoints, namespaces ---- */

#define HCN_E_NETWORK_NOT_FOUND ((HRESULT)0x803B0001L)
#define HCN_E_ENDPOINT_NOT_FOUND ((HRESULT)0x803B0002L)
#define HCN_E_NETWORK_ALREADY_EXISTS ((HRESULT)0x803B0010L)
#define HCN_E_PORT_ALREADY_EXISTS ((HRESULT)0x803B0013L)
#define HCN_E_INVALID_JSON ((HRESULT)0x803B001BL)
#define HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS ((HRESULT)0x803B002BL)
#define HCN_E_ENTITY_HAS_REFERENCES ((HRESULT)0x803B002CL)
#define HCN_E_INVALID_SUBNET ((HRESULT)0x803B0032L)
#define E_NOT_FOUND HRESULT_FROM_WIN32(ERROR_NOT_FOUND)
#define HCN_V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

static void new_guid(GUID *g, char text[37]) {
  assert_int_equal(CoCreateGuid(g), S_OK);
  guid_text(g, text);
}

/* A CoTaskMem string from the double to malloc'ed UTF-8 (NULL stays NULL). */
static char *take_co(PWSTR s) {
  if (s == NULL) return NULL;
  int n = WideCharToMultiByte(CP_UTF8, 0, s, -1, NULL, 0, NULL, NULL);
  char *out = malloc((size_t)n);
  assert_non_null(out);
  WideCharToMultiByte(CP_UTF8, 0, s, -1, out, n, NULL, NULL);
  CoTaskMemFree(s);
  return out;
}

/* A failure and its error record: {"Success":false,"Error":"...<text>...","ErrorCode":hr}. */
/* record is read after the call (an argument's value would be taken before the call). */
static void expect_hcn(HRESULT got, HRESULT want, PWSTR *record, const char *text) {
  char *rec = take_co(*record);
  *record = NULL;
  if (got != want) fail_msg("0x%08lx instead of 0x%08lx (%s; record %s)", (unsigned long)got, (unsigned long)want, text, rec ? rec : "none");
  if (FAILED(want)) {
    cJSON *j = rec != NULL ? cJSON_Parse(rec) : NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "Error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "ErrorCode");
    if (!cJSON_IsString(e) || strstr(e->valuestring, text) == NULL) fail_msg("record %s lacks \"%s\"", rec ? rec : "(none)", text);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "Success")));
    assert_true(cJSON_IsNumber(code) && (uint32_t)code->valuedouble == (uint32_t)want);
    cJSON_Delete(j);
  }
  free(rec);
}

static HRESULT net_create(const GUID *id, const char *doc, void **h, PWSTR *rec) {
  wchar_t *w = wide(doc);
  HRESULT hr = hcn.HcnCreateNetwork(id, w, h, rec);
  free(w);
  return hr;
}

static HRESULT ep_create(void *net, const GUID *id, const char *doc, void **h, PWSTR *rec) {
  wchar_t *w = wide(doc);
  HRESULT hr = hcn.HcnCreateEndpoint(net, id, w, h, rec);
  free(w);
  return hr;
}

static HRESULT ns_modify(void *ns, const char *doc, PWSTR *rec) {
  wchar_t *w = wide(doc);
  HRESULT hr = hcn.HcnModifyNamespace(ns, w, rec);
  free(w);
  return hr;
}

/* Properties of an open object, parsed. */
static cJSON *hcn_props(HRESULT(WINAPI *query)(void *, PCWSTR, PWSTR *, PWSTR *), void *h) {
  PWSTR props = NULL, rec = NULL;
  assert_int_equal(query(h, L"{" HCN_V2 "}", &props, &rec), S_OK);
  assert_null(rec);
  char *text = take_co(props);
  cJSON *j = cJSON_Parse(text);
  free(text);
  assert_non_null(j);
  return j;
}

static char *endpoint_doc(const char *network, const char *extra) {
  char text[1024];
  snprintf(text, sizeof text, "{" HCN_V2 ",\"Name\":\"ep\",\"HostComputeNetwork\":\"%s\"%s}", network, extra);
  char *copy = strdup(text);
  assert_non_null(copy);
  return copy;
}

static char *add_endpoint_doc(const char *endpoint, bool add) {
  char text[300];
  snprintf(text, sizeof text, "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"%s\",\"Settings\":{\"EndpointId\":\"%s\"}}",
           add ? "Add" : "Remove", endpoint);
  char *copy = strdup(text);
  assert_non_null(copy);
  return copy;
}

typedef struct hcn_setup {
  GUID net, ep, ns;
  char net_id[37], ep_id[37], ns_id[37];
  void *net_h, *ep_h, *ns_h;
} hcn_setup;

/* A network with a subnet of its own, an endpoint on it and a namespace holding the endpoint. */
static void hcn_setup_make(hcn_setup *s, const char *subnet, const char *gateway) {
  PWSTR rec = NULL;
  char doc[600], name[64];
  new_guid(&s->net, s->net_id);
  new_guid(&s->ep, s->ep_id);
  new_guid(&s->ns, s->ns_id);
  unique_id("net", name, sizeof name);
  snprintf(doc, sizeof doc, "{" HCN_V2 ",\"Name\":\"%s\",\"Type\":\"NAT\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
           "\"IpAddressPrefix\":\"%s\",\"Routes\":[{\"NextHop\":\"%s\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]}",
           name, subnet, gateway);
  expect_hcn(net_create(&s->net, doc, &s->net_h, &rec), S_OK, &rec, "");
  char *ep = endpoint_doc(s->net_id, "");
  expect_hcn(ep_create(s->net_h, &s->ep, ep, &s->ep_h, &rec), S_OK, &rec, "");
  free(ep);
  wchar_t *w = wide("{" HCN_V2 "}");
  expect_hcn(hcn.HcnCreateNamespace(&s->ns, w, &s->ns_h, &rec), S_OK, &rec, "");
  free(w);
  char *add = add_endpoint_doc(s->ep_id, true);
  expect_hcn(ns_modify(s->ns_h, add, &rec), S_OK, &rec, "");
  free(add);
}

/* Namespace, endpoint, network gone, in the order a client removes them. */
static void hcn_setup_remove(hcn_setup *s) {
  PWSTR rec = NULL;
  expect_hcn(hcn.HcnDeleteNamespace(&s->ns, &rec), S_OK, &rec, "");
  expect_hcn(hcn.HcnDeleteEndpoint(&s->ep, &rec), S_OK, &rec, "");
  expect_hcn(hcn.HcnDeleteNetwork(&s->net, &rec), S_OK, &rec, "");
  assert_int_equal(hcn.HcnCloseNamespace(s->ns_h), S_OK);
  assert_int_equal(hcn.HcnCloseEndpoint(s->ep_h), S_OK);
  assert_int_equal(hcn.HcnCloseNetwork(s->net_h), S_OK);
}

static void test_network_objects(void **state) {
  (void)state;
  PWSTR rec = NULL;
  void *h = NULL, *h2 = NULL;
  GUID g;
  char id[37], name[64], doc[900];
  /* Documents outside the schema: HCN_E_INVALID_JSON naming the field. */
  static const struct {
    const char *doc, *text;
  } bad[] = {
      {"{" HCN_V2 ",\"Name\":\"x\",\"Type\":\"NAT\",\"Owner\":\"me\"}", "unknown field \"Owner\""},
      {"{\"SchemaVersion\":{\"Major\":1,\"Minor\":0},\"Name\":\"x\",\"Type\":\"NAT\"}", "not supported"},
      {"{" HCN_V2 ",\"Name\":\"x\",\"Type\":\"Bridge\"}", "HostComputeNetwork.Type"},
      {"{" HCN_V2 ",\"Type\":\"NAT\"}", "HostComputeNetwork.Name: required field is missing"},
      {"{" HCN_V2 ",\"Name\":\"x\",\"Type\":\"NAT\",\"Ipams\":[{\"Subnets\":[{\"IpAddressPrefix\":\"10.1.0.0/16\"}]}]}",
       "needs a default route"},
      {"{" HCN_V2 ",\"Name\":\"x\",\"Type\":\"NAT\",\"Ipams\":[{\"Subnets\":[{\"IpAddressPrefix\":\"10.1.0.0/16\","
       "\"Routes\":[{\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]}", "needs a NextHop"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    new_guid(&g, id);
    expect_hcn(net_create(&g, bad[i].doc, &h, &rec), HCN_E_INVALID_JSON, &rec, bad[i].text);
  }
  /* A network: HNS leaves its NAT type out, adds a MAC pool; a name is taken once; subnets do not overlap. */
  hcn_setup s;
  hcn_setup_make(&s, "10.77.0.0/24", "10.77.0.1");
  cJSON *props = hcn_props(hcn.HcnQueryNetworkProperties, s.net_h);
  assert_string_equal(cJSON_GetObjectItem(props, "ID")->valuestring, s.net_id);
  assert_null(cJSON_GetObjectItem(props, "Type"));
  assert_non_null(cJSON_GetObjectItem(props, "MacPool"));
  const char *net_name = cJSON_GetObjectItem(props, "Name")->valuestring;
  snprintf(doc, sizeof doc, "{" HCN_V2 ",\"Name\":\"%s\",\"Type\":\"NAT\"}", net_name);
  new_guid(&g, id);
  expect_hcn(net_create(&g, doc, &h, &rec), HCN_E_NETWORK_ALREADY_EXISTS, &rec, "already exists");
  /* The filter of a query selects by name. */
  PWSTR list = NULL;
  char query[300];
  snprintf(query, sizeof query, "{" HCN_V2 ",\"Filter\":\"{\\\"Name\\\":\\\"%s\\\"}\"}", net_name);
  wchar_t *wq = wide(query);
  assert_int_equal(hcn.HcnEnumerateNetworks(wq, &list, &rec), S_OK);
  free(wq);
  char *ids = take_co(list);
  cJSON *arr = cJSON_Parse(ids);
  assert_int_equal(cJSON_GetArraySize(arr), 1);
  assert_string_equal(cJSON_GetArrayItem(arr, 0)->valuestring, s.net_id);
  cJSON_Delete(arr);
  free(ids);
  cJSON_Delete(props);
  unique_id("net", name, sizeof name);
  snprintf(doc, sizeof doc, "{" HCN_V2 ",\"Name\":\"%s\",\"Type\":\"NAT\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
           "\"IpAddressPrefix\":\"10.77.0.128/25\",\"Routes\":[{\"NextHop\":\"10.77.0.129\",\"DestinationPrefix\":"
           "\"0.0.0.0/0\"}]}]}]}", name);
  new_guid(&g, id);
  expect_hcn(net_create(&g, doc, &h, &rec), HCN_E_INVALID_SUBNET, &rec, "overlaps 10.77.0.0/24");
  /* Without a subnet the double chooses one, as HNS does. */
  snprintf(doc, sizeof doc, "{" HCN_V2 ",\"Name\":\"%s\",\"Type\":\"NAT\"}", name);
  GUID auto_net;
  char auto_id[37];
  new_guid(&auto_net, auto_id);
  expect_hcn(net_create(&auto_net, doc, &h, &rec), S_OK, &rec, "");
  props = hcn_props(hcn.HcnQueryNetworkProperties, h);
  const cJSON *subnet = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(props, "Ipams"), 0), "Subnets"), 0);
  assert_non_null(strstr(cJSON_GetObjectItem(subnet, "IpAddressPrefix")->valuestring, "172."));
  cJSON_Delete(props);
  assert_int_equal(hcn.HcnCloseNetwork(h), S_OK);
  assert_int_equal(hcn.HcnCloseNetwork(h), E_HANDLE); /* closed once */
  /* The endpoint of the setup got the first address after the gateway and a MAC of the pool. */
  props = hcn_props(hcn.HcnQueryEndpointProperties, s.ep_h);
  const cJSON *ipc = cJSON_GetArrayItem(cJSON_GetObjectItem(props, "IpConfigurations"), 0);
  assert_string_equal(cJSON_GetObjectItem(ipc, "IpAddress")->valuestring, "10.77.0.2");
  assert_int_equal((int)cJSON_GetObjectItem(ipc, "PrefixLength")->valuedouble, 24);
  assert_int_equal(strncmp(cJSON_GetObjectItem(props, "MacAddress")->valuestring, "00-15-5D-", 9), 0);
  assert_string_equal(cJSON_GetObjectItem(props, "HostComputeNamespace")->valuestring, s.ns_id);
  cJSON_Delete(props);
  /* Endpoints: port mappings are the host's; an endpoint belongs to the network it is made on. */
  char *ep = endpoint_doc(s.net_id, ",\"Policies\":[{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,"
                                    "\"InternalPort\":80,\"ExternalPort\":18080}}]");
  GUID e1, e2;
  char e1_id[37], e2_id[37];
  new_guid(&e1, e1_id);
  new_guid(&e2, e2_id);
  expect_hcn(ep_create(s.net_h, &e1, ep, &h, &rec), S_OK, &rec, "");
  expect_hcn(ep_create(s.net_h, &e2, ep, &h2, &rec), HCN_E_PORT_ALREADY_EXISTS, &rec, "is mapped by endpoint");
  free(ep);
  props = hcn_props(hcn.HcnQueryEndpointProperties, h);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(props, "IpConfigurations"), 0),
                                          "IpAddress")->valuestring, "10.77.0.3");
  cJSON_Delete(props);
  ep = endpoint_doc(auto_id, "");
  expect_hcn(ep_create(s.net_h, &e2, ep, &h2, &rec), E_INVALIDARG, &rec, "but the endpoint is created on network");
  free(ep);
  ep = endpoint_doc(s.net_id, ",\"Policies\":[{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":7,\"InternalPort\":80}}]");
  expect_hcn(ep_create(s.net_h, &e2, ep, &h2, &rec), HCN_E_INVALID_JSON, &rec, "neither TCP (6) nor UDP (17)");
  free(ep);
  ep = endpoint_doc(s.net_id, ",\"Policies\":[{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":0}}]");
  expect_hcn(ep_create(s.net_h, &e2, ep, &h2, &rec), HCN_E_INVALID_JSON, &rec, "cannot be zero");
  free(ep);
  ep = endpoint_doc(s.net_id, ",\"MacAddress\":\"00:15:5d:00:00:01\"");
  expect_hcn(ep_create(s.net_h, &e2, ep, &h2, &rec), HCN_E_INVALID_JSON, &rec, "HNS's form");
  free(ep);
  ep = endpoint_doc(s.net_id, "");
  expect_hcn(ep_create((void *)(uintptr_t)12345, &e2, ep, &h2, &rec), E_HANDLE, &rec, "network handle");
  free(ep);
  /* Namespaces: an endpoint joins one; it cannot be deleted while in it, nor its network while it exists. */
  char *add = add_endpoint_doc(e2_id, true);
  expect_hcn(ns_modify(s.ns_h, add, &rec), HCN_E_ENDPOINT_NOT_FOUND, &rec, "does not exist");
  free(add);
  add = add_endpoint_doc(s.ep_id, true);
  expect_hcn(ns_modify(s.ns_h, add, &rec), HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS, &rec, "is already in namespace");
  free(add);
  expect_hcn(ns_modify(s.ns_h, "{\"ResourceType\":\"Container\",\"RequestType\":\"Add\",\"Settings\":{}}", &rec),
             HCN_E_INVALID_JSON, &rec, "endpoints only");
  props = hcn_props(hcn.HcnQueryNamespaceProperties, s.ns_h);
  const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(props, "Resources"), 0);
  assert_string_equal(cJSON_GetObjectItem(res, "Type")->valuestring, "Endpoint");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "Data"), "ID")->valuestring, s.ep_id);
  assert_string_equal(cJSON_GetObjectItem(props, "Type")->valuestring, "Host");
  cJSON_Delete(props);
  expect_hcn(hcn.HcnDeleteEndpoint(&s.ep, &rec), HCN_E_ENTITY_HAS_REFERENCES, &rec, "is in namespace");
  expect_hcn(hcn.HcnDeleteNetwork(&s.net, &rec), HCN_E_ENTITY_HAS_REFERENCES, &rec, "still has endpoint");
  /* Removing it from the namespace and adding it back. */
  char *rm = add_endpoint_doc(s.ep_id, false);
  expect_hcn(ns_modify(s.ns_h, rm, &rec), S_OK, &rec, "");
  expect_hcn(ns_modify(s.ns_h, rm, &rec), E_NOT_FOUND, &rec, "is not in namespace");
  free(rm);
  add = add_endpoint_doc(s.ep_id, true);
  expect_hcn(ns_modify(s.ns_h, add, &rec), S_OK, &rec, "");
  free(add);
  /* Opening what is not there. */
  new_guid(&g, id);
  expect_hcn(hcn.HcnOpenNetwork(&g, &h2, &rec), HCN_E_NETWORK_NOT_FOUND, &rec, "does not exist");
  expect_hcn(hcn.HcnOpenEndpoint(&g, &h2, &rec), HCN_E_ENDPOINT_NOT_FOUND, &rec, "does not exist");
  expect_hcn(hcn.HcnDeleteNamespace(&g, &rec), E_NOT_FOUND, &rec, "does not exist");
  /* Knobs: a fail rule on the first HcnCreateEndpoint. */
  control("fail HcnCreateEndpoint:1:0x803B0013\n");
  ep = endpoint_doc(s.net_id, "");
  expect_hcn(ep_create(s.net_h, &e2, ep, &h2, &rec), HCN_E_PORT_ALREADY_EXISTS, &rec, "injected");
  control(NULL);
  free(ep);
  cJSON *lines = log_lines("HcnCreateEndpoint", NULL);
  assert_true(cJSON_GetArraySize(lines) >= 2);
  cJSON *last = cJSON_GetArrayItem(lines, cJSON_GetArraySize(lines) - 1);
  assert_string_equal(cJSON_GetObjectItem(last, "injected")->valuestring, "0x803b0013");
  assert_true(cJSON_IsObject(cJSON_GetObjectItem(last, "document")));
  cJSON_Delete(lines);
  /* The refusal is in the call log too. */
  assert_refusal_logged("HcnDeleteNetwork", HCN_E_ENTITY_HAS_REFERENCES, "still has endpoint");
  expect_hcn(hcn.HcnDeleteEndpoint(&e1, &rec), S_OK, &rec, "");
  assert_int_equal(hcn.HcnCloseEndpoint(h), S_OK);
  expect_hcn(hcn.HcnDeleteNetwork(&auto_net, &rec), S_OK, &rec, "");
  hcn_setup_remove(&s);
}

/* The container fixture's document with Networking.Namespace. */
static char *networked_doc(const char *ns) {
  cJSON *d = cJSON_Parse(container_doc());
  cJSON *net = cJSON_AddObjectToObject(cJSON_GetObjectItem(d, "Container"), "Networking");
  cJSON_AddStringToObject(net, "Namespace", ns);
  char *text = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  return text;
}

static void test_network_containers(void **state) {
  (void)state;
  PWSTR rec = NULL;
  HCS_SYSTEM sys;
  char id[64], *doc = NULL;
  hcn_setup s;
  hcn_setup_make(&s, "10.78.0.0/24", "10.78.0.1");
  /* A namespace HNS does not have; one without an endpoint. */
  GUID g, empty;
  char missing[37], empty_id[37];
  new_guid(&g, missing);
  char *text = networked_doc(missing);
  unique_id("netc", id, sizeof id);
  HRESULT hr = create_system(id, text, &sys, &doc);
  expect_refused(hr, E_NOT_FOUND, doc, "no network namespace");
  free(doc);
  cJSON_free(text);
  hcs.HcsCloseComputeSystem(sys);
  void *nh = NULL;
  new_guid(&empty, empty_id);
  wchar_t *w = wide("{" HCN_V2 "}");
  expect_hcn(hcn.HcnCreateNamespace(&empty, w, &nh, &rec), S_OK, &rec, "");
  free(w);
  text = networked_doc(empty_id);
  hr = create_system(id, text, &sys, &doc);
  expect_refused(hr, E_INVALIDARG, doc, "holds no endpoint");
  free(doc);
  cJSON_free(text);
  hcs.HcsCloseComputeSystem(sys);
  /* A GUID is a GUID. */
  text = networked_doc("not-a-guid");
  hr = create_system(id, text, &sys, &doc);
  expect_refused(hr, HCS_E_INVALID_JSON, doc, "Networking.Namespace");
  free(doc);
  cJSON_free(text);
  hcs.HcsCloseComputeSystem(sys);
  /* The right one: while the container runs its namespace stays. */
  text = networked_doc(s.ns_id);
  assert_int_equal(create_system(id, text, &sys, NULL), S_OK);
  cJSON_free(text);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, sys, NULL, NULL), S_OK);
  expect_hcn(hcn.HcnDeleteNamespace(&s.ns, &rec), HCN_E_ENTITY_HAS_REFERENCES, &rec, "which has not stopped");
  char *rm = add_endpoint_doc(s.ep_id, false);
  expect_hcn(ns_modify(s.ns_h, rm, &rec), HCN_E_ENTITY_HAS_REFERENCES, &rec, "which has not stopped");
  free(rm);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, sys, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(sys);
  /* Deleting the namespace lets its endpoint go free. */
  expect_hcn(hcn.HcnDeleteNamespace(&empty, &rec), S_OK, &rec, "");
  assert_int_equal(hcn.HcnCloseNamespace(nh), S_OK);
  hcn_setup_remove(&s);
}

static char *guest_ns_doc(const char *ns, bool add) {
  char text[400];
  snprintf(text, sizeof text, "{\"GuestRequest\":{\"ResourceType\":\"NetworkNamespace\",\"RequestType\":\"%s\",\"Settings\":"
           "{\"ID\":\"%s\",\"Type\":\"Host\"," HCN_V2 "}}}", add ? "Add" : "Remove", ns);
  return strdup(text);
}

static char *preadd_doc(const char *nic, const char *endpoint, const char *network) {
  char text[600];
  snprintf(text, sizeof text, "{\"GuestRequest\":{\"ResourceType\":\"Network\",\"RequestType\":\"Add\",\"Settings\":{"
           "\"AdapterId\":\"%s\",\"RequestType\":\"PreAdd\",\"Settings\":{\"ID\":\"%s\",\"HostComputeNetwork\":\"%s\","
           HCN_V2 "}}}}", nic, endpoint, network);
  return strdup(text);
}

static char *nic_doc(const char *nic, const char *endpoint, bool add) {
  char text[600];
  const char *r = add ? "Add" : "Remove";
  snprintf(text, sizeof text, "{\"ResourcePath\":\"VirtualMachine/Devices/NetworkAdapters/%s\",\"RequestType\":\"%s\","
           "\"Settings\":{\"EndpointId\":\"%s\",\"MacAddress\":\"00-15-5D-00-00-01\"},\"GuestRequest\":{\"ResourceType\":"
           "\"Network\",\"RequestType\":\"%s\",\"Settings\":{\"AdapterId\":\"%s\",\"RequestType\":\"%s\"}}}",
           nic, r, endpoint, r, nic, r);
  return strdup(text);
}

static char *hosted_networked_doc(const char *vm_id, const hv_fixture *f, const char *ns) {
  char *base = hosted_doc(vm_id, f->base_id, GUEST_ROOT, NULL);
  cJSON *d = cJSON_Parse(base);
  free(base);
  cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "HostedSystem"), "Container");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(c, "Networking"), "Namespace", ns);
  char *text = cJSON_PrintUnformatted(d);
  cJSON_Delete(d);
  return text;
}

static void test_network_hyperv(void **state) {
  (void)state;
  hv_fixture f;
  hv_fixture_init(&f, L"net");
  char vm_id[64], ct_id[64], nic[37], *doc = NULL, *req = NULL;
  GUID nic_g;
  new_guid(&nic_g, nic);
  unique_id("uvm", vm_id, sizeof vm_id);
  unique_id("hostednet", ct_id, sizeof ct_id);
  hcn_setup s;
  hcn_setup_make(&s, "10.79.0.0/24", "10.79.0.1");
  HCS_SYSTEM v = ready_vm(&f, vm_id), ct;
  /* The namespace goes into the guest first; an unknown one is refused. */
  GUID g;
  char unknown[37];
  new_guid(&g, unknown);
  req = guest_ns_doc(unknown, true);
  HRESULT hr = modify_system(v, req, &doc);
  expect_refused(hr, E_NOT_FOUND, doc, "HNS has no namespace");
  free(doc);
  free(req);
  /* The adapter needs its pre-add, whose endpoint must be in a namespace of the guest. */
  req = preadd_doc(nic, s.ep_id, s.net_id);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, E_NOT_FOUND, doc, "is not in a namespace of the guest");
  free(doc);
  free(req);
  req = guest_ns_doc(s.ns_id, true);
  assert_int_equal(modify_system(v, req, NULL), S_OK);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS), doc, "already in the guest");
  free(doc);
  free(req);
  req = nic_doc(nic, s.ep_id, true);
  hr = modify_system(v, req, &doc);
  expect_refused(hr, E_NOT_FOUND, doc, "was not pre-added");
  free(doc);
  free(req);
  /* A hosted container on a namespace with no adapter yet. */
  req = hosted_networked_doc(vm_id, &f, s.ns_id);
  hr = create_system(ct_id, req, &ct, &doc);
  expect_refused(hr, E_INVALIDARG, doc, "has no network adapter for an endpoint of namespace");
  free(doc);
  hcs.HcsCloseComputeSystem(ct);
  char *pre = preadd_doc(nic, s.ep_id, s.net_id);
  assert_int_equal(modify_system(v, pre, NULL), S_OK);
  free(pre);
  char *add = nic_doc(nic, s.ep_id, true);
  assert_int_equal(modify_system(v, add, NULL), S_OK);
  free(add);
  /* A namespace the guest does not have. */
  char *other = hosted_networked_doc(vm_id, &f, unknown);
  hr = create_system(ct_id, other, &ct, &doc);
  expect_refused(hr, E_NOT_FOUND, doc, "was not added to the utility VM");
  free(doc);
  free(other);
  hcs.HcsCloseComputeSystem(ct);
  assert_int_equal(create_system(ct_id, req, &ct, NULL), S_OK);
  free(req);
  assert_int_equal(on_system(hcs.HcsStartComputeSystem, ct, NULL, NULL), S_OK);
  /* While it runs, its adapter and namespace stay. */
  char *rm_nic = nic_doc(nic, s.ep_id, false);
  hr = modify_system(v, rm_nic, &doc);
  expect_refused(hr, HRESULT_FROM_WIN32(ERROR_BUSY), doc, "which has not stopped");
  free(doc);
  char *rm_ns = guest_ns_doc(s.ns_id, false);
  hr = modify_system(v, rm_ns, &doc);
  expect_refused(hr, HRESULT_FROM_WIN32(ERROR_BUSY), doc, "is still in the VM");
  free(doc);
  PWSTR rec = NULL;
  expect_hcn(hcn.HcnDeleteNamespace(&s.ns, &rec), HCN_E_ENTITY_HAS_REFERENCES, &rec, "which has not stopped");
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, ct, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(ct);
  /* In hcsshim's order: the adapter, then the namespace. */
  assert_int_equal(modify_system(v, rm_nic, NULL), S_OK);
  assert_int_equal(modify_system(v, rm_ns, NULL), S_OK);
  free(rm_nic);
  free(rm_ns);
  assert_int_equal(on_system(hcs.HcsTerminateComputeSystem, v, NULL, NULL), S_OK);
  hcs.HcsCloseComputeSystem(v);
  hcn_setup_remove(&s);
}

static DWORD delete_tree(const wchar_t *dir) {
  wchar_t pattern[MAX_PATH], path[MAX_PATH];
  swprintf(pattern, MAX_PATH, L"%ls\\*", dir);
  WIN32_FIND_DATAW fd;
  HANDLE find = FindFirstFileW(pattern, &fd);
  if (find != INVALID_HANDLE_VALUE) {
    do {
      if (wcscmp(fd.cFileName, L".") == 0 || wcscmp(fd.cFileName, L"..") == 0) continue;
      swprintf(path, MAX_PATH, L"%ls\\%ls", dir, fd.cFileName);
      if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
        delete_tree(path);
      } else {
        DeleteFileW(path);
      }
    } while (FindNextFileW(find, &fd));
    FindClose(find);
  }
  return RemoveDirectoryW(dir) ? 0 : GetLastError();
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "--client") == 0) {
    return run_client(argv[2], argc == 4 && strcmp(argv[3], "terminate-on-close") == 0);
  }
  wchar_t temp[MAX_PATH];
  GetTempPathW(MAX_PATH, temp);
  swprintf(g_state, MAX_PATH, L"%lswctr-hcsd-test-%lu", temp, (unsigned long)GetCurrentProcessId());
  /* A failed run keeps its folder, and Wine reuses small pids: a stale one must not become this run's. */
  delete_tree(g_state);
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", g_state);
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_FAIL", L"HcsGrantVmAccess:2:0x80070005");
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_DELAY", L"HcsNoSuchFunction:1:5");
  find_files();
  load_api();
  fixture_create();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exports),
      cmocka_unit_test(test_invalid_documents),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_state_machine),
      cmocka_unit_test(test_terminate_and_options),
      cmocka_unit_test(test_process_stdout_and_exit_code),
      cmocka_unit_test(test_process_emulated_console),
      cmocka_unit_test(test_process_stdin_and_environment),
      cmocka_unit_test(test_process_validation_and_state),
      cmocka_unit_test(test_terminate_kills_the_job),
      cmocka_unit_test(test_properties_and_modify),
      cmocka_unit_test(test_operation_callbacks),
      cmocka_unit_test(test_fail_injection),
      /* The first calls of HcsGrantVmAccess: WCTR_HCS_DOUBLE_FAIL fails the second. */
      cmocka_unit_test(test_environment_knobs),
      cmocka_unit_test(test_hyperv_storage),
      cmocka_unit_test(test_vmcompute_scratch),
      cmocka_unit_test(test_vmcompute_images),
      cmocka_unit_test(test_process_storage_refusals),
      cmocka_unit_test(test_network_objects),
      cmocka_unit_test(test_network_containers),
      cmocka_unit_test(test_network_hyperv),
      cmocka_unit_test(test_enumerate),
      cmocka_unit_test(test_crashed_holder),
      cmocka_unit_test(test_call_log),
      cmocka_unit_test(test_ccg),
      cmocka_unit_test(test_restart),
      cmocka_unit_test(test_unload_and_reload),
      cmocka_unit_test(test_storage),
      cmocka_unit_test(test_no_leaked_operations),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  control(NULL);
  if (failed == 0) delete_tree(g_state); /* kept for whoever investigates a failure */
  return failed;
}
