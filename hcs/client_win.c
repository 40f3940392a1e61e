/* hcs/client_win.c - computecore.dll and vmcompute.dll loaded at run time; operations, handles, callbacks,
 * layers. The contract is hcs/client.h. */
#include <windows.h>

#include <computecore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wstr.h"
#include "hcs/client.h"
#include "hcs/errors.h"
#include "hcs/hcs.h"

#define HR_OPERATION_TIMEOUT 0x80370118u
#define HR_ALREADY_STOPPED 0x80370110u
#define HR_NOT_FOUND_SYSTEM 0x8037010Eu
#define HR_PROCESS_STOPPED 0x8037011Fu
/* What a cancelled wait is allowed to take before the operation is closed anyway. */
#define CANCEL_WAIT_MS 5000
#define HR_NOT_READY 0x80070015u
#define HR_DEVICE_NOT_CONNECTED 0x8007048Fu
/* hcsshim's retries of ActivateLayer + PrepareLayer (internal/layers/wcow_mount.go). */
#define MOUNT_TRIES 5
#define MOUNT_RETRY_MS 100

/* vmcompute.dll has no header in mingw-w64; the shapes are hcsshim's (internal/wclayer/layerutils.go):
 * struct DriverInfo {GraphDriverType Flavour; LPCWSTR HomeDir;} with Flavour 1 the filter driver, and
 * WC_LAYER_DESCRIPTOR {GUID LayerId; ULONG Flags; PCWSTR Path;}. Arrays are passed with their length as a
 * pointer-sized integer, as hcsshim's generated syscalls pass Go slices. */
typedef struct vm_driver_info {
  int flavour;
  PCWSTR home_dir;
} vm_driver_info;

typedef struct vm_layer_descriptor {
  GUID layer_id;
  ULONG flags;
  PCWSTR path;
} vm_layer_descriptor;

#define VM_FILTER_DRIVER 1

/* One entry per function: its name and where its address goes. */
#define HCS_FUNCTIONS(X)                                                                                   \
  X(computecore, HcsCreateOperation, HCS_OPERATION, (void *, HCS_OPERATION_COMPLETION))             \
  X(computecore, HcsCloseOperation, void, (HCS_OPERATION))                                         \
  X(computecore, HcsWaitForOperationResult, HRESULT, (HCS_OPERATION, DWORD, PWSTR *))              \
  X(computecore, HcsWaitForOperationResultAndProcessInfo, HRESULT, (HCS_OPERATION, DWORD, HCS_PROCESS_INFORMATION *, PWSTR *))                            \
  X(computecore, HcsGetOperationResult, HRESULT, (HCS_OPERATION, PWSTR *))                         \
  X(computecore, HcsCancelOperation, HRESULT, (HCS_OPERATION))                                     \
  X(computecore, HcsCreateComputeSystem, HRESULT, (PCWSTR, PCWSTR, HCS_OPERATION, const SECURITY_DESCRIPTOR *, HCS_SYSTEM *))            \
  X(computecore, HcsOpenComputeSystem, HRESULT, (PCWSTR, DWORD, HCS_SYSTEM *))                     \
  X(computecore, HcsCloseComputeSystem, void, (HCS_SYSTEM))                                        \
  X(computecore, HcsStartComputeSystem, HRESULT, (HCS_SYSTEM, HCS_OPERATION, PCWSTR))              \
  X(computecore, HcsShutDownComputeSystem, HRESULT, (HCS_SYSTEM, HCS_OPERATION, PCWSTR))           \
  X(computecore, HcsTerminateComputeSystem, HRESULT, (HCS_SYSTEM, HCS_OPERATION, PCWSTR))          \
  X(computecore, HcsPauseComputeSystem, HRESULT, (HCS_SYSTEM, HCS_OPERATION, PCWSTR))              \
  X(computecore, HcsResumeComputeSystem, HRESULT, (HCS_SYSTEM, HCS_OPERATION, PCWSTR))             \
  X(computecore, HcsGetComputeSystemProperties, HRESULT, (HCS_SYSTEM, HCS_OPERATION, PCWSTR))      \
  X(computecore, HcsModifyComputeSystem, HRESULT, (HCS_SYSTEM, HCS_OPERATION, PCWSTR, HANDLE))     \
  X(computecore, HcsSetComputeSystemCallback, HRESULT, (HCS_SYSTEM, HCS_EVENT_OPTIONS, const void *, HCS_EVENT_CALLBACK))                     \
  X(computecore, HcsCreateProcess, HRESULT, (HCS_SYSTEM, PCWSTR, HCS_OPERATION, const SECURITY_DESCRIPTOR *, HCS_PROCESS *))       \
  X(computecore, HcsOpenProcess, HRESULT, (HCS_SYSTEM, DWORD, DWORD, HCS_PROCESS *))               \
  X(computecore, HcsCloseProcess, void, (HCS_PROCESS))                                             \
  X(computecore, HcsTerminateProcess, HRESULT, (HCS_PROCESS, HCS_OPERATION, PCWSTR))               \
  X(computecore, HcsSignalProcess, HRESULT, (HCS_PROCESS, HCS_OPERATION, PCWSTR))                  \
  X(computecore, HcsGetProcessInfo, HRESULT, (HCS_PROCESS, HCS_OPERATION))                         \
  X(computecore, HcsModifyProcess, HRESULT, (HCS_PROCESS, HCS_OPERATION, PCWSTR))                  \
  X(computecore, HcsSetProcessCallback, HRESULT, (HCS_PROCESS, HCS_EVENT_OPTIONS, void *, HCS_EVENT_CALLBACK))                          \
  X(computecore, HcsGetServiceProperties, HRESULT, (PCWSTR, PWSTR *))                              \
  X(computecore, HcsModifyServiceSettings, HRESULT, (PCWSTR, PWSTR *))                             \
  X(computecore, HcsGrantVmAccess, HRESULT, (PCWSTR, PCWSTR))                                      \
  X(computecore, HcsEnumerateComputeSystems, HRESULT, (PCWSTR, HCS_OPERATION))                     \
  X(vmcompute, NameToGuid, HRESULT, (PCWSTR, GUID *))                                              \
  X(vmcompute, CreateSandboxLayer, HRESULT, (vm_driver_info *, PCWSTR, PCWSTR, vm_layer_descriptor *, size_t)) \
  X(vmcompute, ActivateLayer, HRESULT, (vm_driver_info *, PCWSTR))                                 \
  X(vmcompute, PrepareLayer, HRESULT, (vm_driver_info *, PCWSTR, vm_layer_descriptor *, size_t))   \
  X(vmcompute, GetLayerMountPath, HRESULT, (vm_driver_info *, PCWSTR, size_t *, PWSTR))            \
  X(vmcompute, UnprepareLayer, HRESULT, (vm_driver_info *, PCWSTR))                                \
  X(vmcompute, DeactivateLayer, HRESULT, (vm_driver_info *, PCWSTR))                               \
  X(vmcompute, DestroyLayer, HRESULT, (vm_driver_info *, PCWSTR))                                  \
  X(vmcompute, LayerExists, HRESULT, (vm_driver_info *, PCWSTR, UINT32 *))                         \
  X(vmcompute, ImportLayer, HRESULT, (vm_driver_info *, PCWSTR, PCWSTR, vm_layer_descriptor *, size_t)) \
  X(vmcompute, ProcessBaseImage, HRESULT, (PCWSTR))                                                \
  X(vmcompute, ProcessUtilityImage, HRESULT, (PCWSTR))

#define X(dll, name, ret, args) typedef ret(WINAPI *name##_fn) args;
HCS_FUNCTIONS(X)
#undef X

struct hcs_client {
  HMODULE computecore;
  HMODULE vmcompute;
  SRWLOCK prepare_lock; /* PrepareLayer one at a time (hcs/client.h) */
#define X(dll, name, ret, args) name##_fn name;
  HCS_FUNCTIONS(X)
#undef X
};

typedef struct watch {
  hcs_exit_fn fn;
  void *ctx;
  bool is_process;
} watch;

struct hcs_system {
  hcs_client *h;
  HCS_SYSTEM handle;
  SRWLOCK lock;
  watch watch;
  char id[160];
};

struct hcs_process {
  hcs_client *h;
  HCS_PROCESS handle;
  SRWLOCK lock;
  watch watch;
  uint32_t pid;
};

/* --- loading ------------------------------------------------------------------------------------------ */

static const DWORD load_from = LOAD_LIBRARY_SEARCH_APPLICATION_DIR | LOAD_LIBRARY_SEARCH_SYSTEM32;

wctr_err hcs_client_load(hcs_client **out, wctr_errmsg *e) {
  *out = NULL;
  hcs_client *h = calloc(1, sizeof *h);
  if (h == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  InitializeSRWLock(&h->prepare_lock);
  h->computecore = LoadLibraryExW(L"computecore.dll", NULL, load_from);
  h->vmcompute = h->computecore != NULL ? LoadLibraryExW(L"vmcompute.dll", NULL, load_from) : NULL;
  if (h->computecore == NULL || h->vmcompute == NULL) {
    DWORD code = GetLastError();
    const char *dll = h->computecore == NULL ? "computecore.dll" : "vmcompute.dll";
    hcs_client_unload(h);
    return wctr_fail(e, WCTR_ENOTSUP, "%s (%s cannot be loaded: error %lu)", HCS_UNAVAILABLE_MESSAGE, dll,
                     (unsigned long)code);
  }
#define X(dll, name, ret, args)                                                                       \
  h->name = (name##_fn)(void (*)(void))GetProcAddress(h->dll, #name);                                      \
  if (h->name == NULL) {                                                                              \
    hcs_client_unload(h);                                                                             \
    return wctr_fail(e, WCTR_ENOTSUP, "%s (%s.dll has no %s)", HCS_UNAVAILABLE_MESSAGE, #dll, #name); \
  }
  HCS_FUNCTIONS(X)
#undef X
  *out = h;
  return WCTR_OK;
}

void hcs_client_unload(hcs_client *h) {
  if (h == NULL) return;
  if (h->vmcompute != NULL) FreeLibrary(h->vmcompute);
  if (h->computecore != NULL) FreeLibrary(h->computecore);
  free(h);
}

/* --- documents and failures --------------------------------------------------------------------------- */

/* Documents can carry secrets (a credential spec's PluginInput in CCG requests), so they are printed into
 * buffers sized up front (cJSON_PrintPreallocated never grows one, so no copy is left behind by a
 * realloc), and every copy is zeroed before it is freed (free_wide for the UTF-16 text). */
static wchar_t *to_wide_json(const cJSON *doc) {
  if (doc == NULL) return NULL;
  for (size_t size = 4096; size <= 16u * 1024u * 1024u; size *= 8) {
    char *text = malloc(size);
    if (text == NULL) return NULL;
    bool printed = cJSON_PrintPreallocated((cJSON *)doc, text, (int)size, false);
    wchar_t *wide = printed ? wctr_utf8_to_wide(text) : NULL;
    SecureZeroMemory(text, size);
    free(text);
    if (printed) return wide;
  }
  return NULL;
}

static void free_wide(wchar_t *wide) {
  if (wide == NULL) return;
  SecureZeroMemory(wide, wcslen(wide) * sizeof *wide);
  free(wide);
}

/* Takes a result string from HCS (LocalAlloc'ed) and returns it as UTF-8 (malloc'ed), or NULL. */
static char *take_result(PWSTR doc) {
  if (doc == NULL) return NULL;
  char *utf8 = wctr_wide_to_utf8(doc);
  /* Service answers list CCG instances with their credential specs: no copy is freed unzeroed. */
  SecureZeroMemory(doc, wcslen(doc) * sizeof *doc);
  LocalFree(doc);
  return utf8;
}

static void free_text(char *text) {
  if (text == NULL) return;
  SecureZeroMemory(text, strlen(text));
  free(text);
}

static wctr_err hcs_failure(HRESULT hr, const char *doc_utf8, const char *what, uint32_t *hr_out, wctr_errmsg *e) {
  char text[600];
  hcs_error_describe((uint32_t)hr, doc_utf8, text, sizeof text);
  if (hr_out != NULL) *hr_out = (uint32_t)hr;
  wctr_err err = hcs_error_code((uint32_t)hr);
  if (err == WCTR_OK) err = WCTR_ESYSTEM;
  /* Not logged here: some codes are answers (already stopped), and callers log what matters. */
  return wctr_fail(e, err, "%s: %s", what, text);
}

/* Same condition, either form (0x8037xxxx or 0xC037xxxx). */
static bool hr_is(HRESULT hr, uint32_t code) {
  return (uint32_t)hr == code || ((uint32_t)hr & 0x3FFFFFFFu) == (code & 0x3FFFFFFFu);
}

typedef HRESULT (*op_call)(void *arg, HCS_OPERATION op);

/* The operation helper: create, call, wait (timeout -> cancel), close. *result gets the result document
 * (UTF-8, malloc'ed) when asked for; *pi the process information for calls that produce a process. */
static wctr_err run_op(hcs_client *h, const char *what, op_call call, void *arg, DWORD timeout_ms, char **result,
                       HCS_PROCESS_INFORMATION *pi, uint32_t *hr_out, wctr_errmsg *e) {
  if (result != NULL) *result = NULL;
  if (hr_out != NULL) *hr_out = 0;
  HCS_OPERATION op = h->HcsCreateOperation(NULL, NULL);
  if (op == NULL) return wctr_fail(e, WCTR_ENOMEM, "%s: HcsCreateOperation failed", what);
  PWSTR doc = NULL;
  HRESULT hr = call(arg, op);
  if (FAILED(hr)) {
    /* The operation may hold HCS's error document even though the call failed. */
    h->HcsGetOperationResult(op, &doc);
    char *text = take_result(doc);
    h->HcsCloseOperation(op);
    wctr_err err = hcs_failure(hr, text, what, hr_out, e);
    free(text);
    return err;
  }
  hr = pi != NULL ? h->HcsWaitForOperationResultAndProcessInfo(op, timeout_ms, pi, &doc)
                  : h->HcsWaitForOperationResult(op, timeout_ms, &doc);
  char *text = take_result(doc);
  if (hr_is(hr, HR_OPERATION_TIMEOUT) && pi == NULL) {
    /* Cancel, then give the cancellation a moment so the work does not outlive its caller's decision. */
    h->HcsCancelOperation(op);
    PWSTR late = NULL;
    h->HcsWaitForOperationResult(op, CANCEL_WAIT_MS, &late);
    if (late != NULL) LocalFree(late);
    h->HcsCloseOperation(op);
    free(text);
    if (hr_out != NULL) *hr_out = (uint32_t)hr;
    wctr_log(WCTR_LOG_ERROR, "%s did not complete within %lu ms; cancelled", what, (unsigned long)timeout_ms);
    return wctr_fail(e, WCTR_ETIMEDOUT, "%s did not complete within %lu s; it was cancelled", what,
                     (unsigned long)(timeout_ms / 1000));
  }
  h->HcsCloseOperation(op);
  if (FAILED(hr)) {
    wctr_err err = hcs_failure(hr, text, what, hr_out, e);
    free(text);
    return err;
  }
  if (result != NULL) {
    *result = text;
  } else {
    free(text);
  }
  return WCTR_OK;
}

static cJSON *parse_result(char *text) {
  cJSON *doc = text != NULL && text[0] != '\0' ? cJSON_Parse(text) : NULL;
  free_text(text);
  return doc;
}

/* --- callbacks ----------------------------------------------------------------------------------------- */

static void CALLBACK on_event(HCS_EVENT *event, void *context) {
  watch *w = context;
  if (event == NULL || w == NULL || w->fn == NULL) return;
  bool wanted = w->is_process ? event->Type == HcsEventProcessExited : event->Type == HcsEventSystemExited;
  if (!wanted) return;
  hcs_exit x = {.is_process = w->is_process, .exit_code = -1};
  char *text = event->EventData != NULL ? wctr_wide_to_utf8(event->EventData) : NULL;
  cJSON *data = text != NULL ? cJSON_Parse(text) : NULL;
  free(text);
  if (w->is_process) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(data, "ExitCode");
    const cJSON *wait = cJSON_GetObjectItemCaseSensitive(data, "LastWaitResult");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(data, "ProcessId");
    /* The code counts only when HCS could wait for the process (LastWaitResult 0). */
    x.code_known = cJSON_IsNumber(code) && (wait == NULL || (cJSON_IsNumber(wait) && wait->valuedouble == 0));
    if (x.code_known) x.exit_code = (int64_t)(uint32_t)(int64_t)code->valuedouble;
    if (cJSON_IsNumber(pid)) x.pid = (uint32_t)pid->valuedouble;
  } else {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(data, "ExitType");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(data, "Status");
    snprintf(x.exit_type, sizeof x.exit_type, "%s", cJSON_IsString(type) ? type->valuestring : "Unknown");
    if (cJSON_IsNumber(status)) x.status = (int32_t)(int64_t)status->valuedouble;
  }
  cJSON_Delete(data);
  w->fn(w->ctx, &x);
}

/* --- compute systems ----------------------------------------------------------------------------------- */

typedef struct create_arg {
  hcs_client *h;
  const wchar_t *id;
  const wchar_t *config;
  HCS_SYSTEM system;
} create_arg;

static HRESULT call_create(void *p, HCS_OPERATION op) {
  create_arg *a = p;
  return a->h->HcsCreateComputeSystem(a->id, a->config, op, NULL, &a->system);
}

static hcs_system *system_new(hcs_client *h, const char *id, HCS_SYSTEM handle) {
  hcs_system *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->h = h;
  s->handle = handle;
  InitializeSRWLock(&s->lock);
  snprintf(s->id, sizeof s->id, "%s", id);
  return s;
}

wctr_err hcs_system_create(hcs_client *h, const char *id, const cJSON *config, DWORD timeout_ms, hcs_system **out,
                           uint32_t *hr_out, wctr_errmsg *e) {
  *out = NULL;
  wchar_t *wid = wctr_utf8_to_wide(id);
  wchar_t *wconfig = to_wide_json(config);
  if (wid == NULL || wconfig == NULL) {
    free(wid);
    free_wide(wconfig);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  create_arg a = {.h = h, .id = wid, .config = wconfig};
  wctr_err err = run_op(h, "HcsCreateComputeSystem", call_create, &a, timeout_ms, NULL, NULL, hr_out, e);
  free(wid);
  free_wide(wconfig);
  if (err != WCTR_OK) {
    /* A failed create can still hand back a handle (of nothing): close it. */
    if (a.system != NULL) h->HcsCloseComputeSystem(a.system);
    return err;
  }
  *out = system_new(h, id, a.system);
  if (*out == NULL) {
    h->HcsCloseComputeSystem(a.system);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  return WCTR_OK;
}

wctr_err hcs_system_open(hcs_client *h, const char *id, hcs_system **out, wctr_errmsg *e) {
  *out = NULL;
  wchar_t *wid = wctr_utf8_to_wide(id);
  if (wid == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  HCS_SYSTEM handle = NULL;
  HRESULT hr = h->HcsOpenComputeSystem(wid, GENERIC_ALL, &handle);
  free(wid);
  if (hr_is(hr, HR_NOT_FOUND_SYSTEM)) return wctr_fail(e, WCTR_ENOENT, "compute system %s does not exist", id);
  if (FAILED(hr)) return hcs_failure(hr, NULL, "HcsOpenComputeSystem", NULL, e);
  *out = system_new(h, id, handle);
  if (*out == NULL) {
    h->HcsCloseComputeSystem(handle);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  return WCTR_OK;
}

const char *hcs_system_id(const hcs_system *s) { return s->id; }

typedef struct sys_arg {
  hcs_system *s;
  HRESULT(WINAPI *fn)(HCS_SYSTEM, HCS_OPERATION, PCWSTR);
  const wchar_t *options;
} sys_arg;

static HRESULT call_sys(void *p, HCS_OPERATION op) {
  sys_arg *a = p;
  return a->fn(a->s->handle, op, a->options);
}

static wctr_err sys_op(hcs_system *s, const char *what, HRESULT(WINAPI *fn)(HCS_SYSTEM, HCS_OPERATION, PCWSTR),
                       const wchar_t *options, DWORD timeout_ms, char **result, uint32_t *hr_out, wctr_errmsg *e) {
  AcquireSRWLockShared(&s->lock);
  wctr_err err;
  if (s->handle == NULL) {
    err = wctr_fail(e, WCTR_ESTATE, "%s: the compute system handle is closed", what);
  } else {
    sys_arg a = {.s = s, .fn = fn, .options = options};
    err = run_op(s->h, what, call_sys, &a, timeout_ms, result, NULL, hr_out, e);
  }
  ReleaseSRWLockShared(&s->lock);
  return err;
}

wctr_err hcs_system_start(hcs_system *s, DWORD timeout_ms, uint32_t *hr_out, wctr_errmsg *e) {
  return sys_op(s, "HcsStartComputeSystem", s->h->HcsStartComputeSystem, NULL, timeout_ms, NULL, hr_out, e);
}

wctr_err hcs_system_shutdown(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e) {
  /* hcsshim passes "" for the reserved options; so does wctr. */
  uint32_t hr = 0;
  wctr_err err = sys_op(s, "HcsShutDownComputeSystem", s->h->HcsShutDownComputeSystem, L"", timeout_ms, NULL, &hr, e);
  return err != WCTR_OK && hr_is((HRESULT)hr, HR_ALREADY_STOPPED) ? WCTR_OK : err;
}

wctr_err hcs_system_terminate(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e) {
  uint32_t hr = 0;
  wctr_err err = sys_op(s, "HcsTerminateComputeSystem", s->h->HcsTerminateComputeSystem, L"", timeout_ms, NULL, &hr, e);
  return err != WCTR_OK && hr_is((HRESULT)hr, HR_ALREADY_STOPPED) ? WCTR_OK : err;
}

wctr_err hcs_system_pause(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e) {
  /* "" as hcsshim passes: the default PauseOptions. */
  return sys_op(s, "HcsPauseComputeSystem", s->h->HcsPauseComputeSystem, L"", timeout_ms, NULL, NULL, e);
}

wctr_err hcs_system_resume(hcs_system *s, DWORD timeout_ms, wctr_errmsg *e) {
  return sys_op(s, "HcsResumeComputeSystem", s->h->HcsResumeComputeSystem, L"", timeout_ms, NULL, NULL, e);
}

wctr_err hcs_system_properties(hcs_system *s, const cJSON *query, DWORD timeout_ms, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  wchar_t *wq = query != NULL ? to_wide_json(query) : NULL;
  if (query != NULL && wq == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  char *text = NULL;
  wctr_err err = sys_op(s, "HcsGetComputeSystemProperties", s->h->HcsGetComputeSystemProperties, wq, timeout_ms,
                        &text, NULL, e);
  free_wide(wq);
  if (err == WCTR_OK) *out = parse_result(text);
  if (err == WCTR_OK && *out == NULL) err = wctr_fail(e, WCTR_ESYSTEM, "HcsGetComputeSystemProperties: no document");
  return err;
}

typedef struct modify_arg {
  hcs_system *s;
  const wchar_t *request;
} modify_arg;

static HRESULT call_modify(void *p, HCS_OPERATION op) {
  modify_arg *a = p;
  return a->s->h->HcsModifyComputeSystem(a->s->handle, op, a->request, NULL);
}

wctr_err hcs_system_modify(hcs_system *s, const cJSON *request, DWORD timeout_ms, wctr_errmsg *e) {
  wchar_t *wr = to_wide_json(request);
  if (wr == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  AcquireSRWLockShared(&s->lock);
  modify_arg a = {.s = s, .request = wr};
  wctr_err err = s->handle == NULL ? wctr_fail(e, WCTR_ESTATE, "HcsModifyComputeSystem: the handle is closed")
                                   : run_op(s->h, "HcsModifyComputeSystem", call_modify, &a, timeout_ms, NULL, NULL,
                                            NULL, e);
  ReleaseSRWLockShared(&s->lock);
  free_wide(wr);
  return err;
}

wctr_err hcs_system_watch(hcs_system *s, hcs_exit_fn fn, void *ctx, wctr_errmsg *e) {
  AcquireSRWLockShared(&s->lock);
  s->watch = (watch){.fn = fn, .ctx = ctx, .is_process = false};
  HRESULT hr = s->handle != NULL ? s->h->HcsSetComputeSystemCallback(s->handle, HcsEventOptionNone, &s->watch, on_event)
                                 : E_HANDLE;
  ReleaseSRWLockShared(&s->lock);
  return FAILED(hr) ? hcs_failure(hr, NULL, "HcsSetComputeSystemCallback", NULL, e) : WCTR_OK;
}

void hcs_system_close(hcs_system *s) {
  if (s == NULL) return;
  AcquireSRWLockExclusive(&s->lock);
  HCS_SYSTEM handle = s->handle;
  s->handle = NULL;
  ReleaseSRWLockExclusive(&s->lock);
  /* HCS waits for running callbacks of this handle before the close returns. */
  if (handle != NULL) s->h->HcsCloseComputeSystem(handle);
  free(s);
}

/* --- processes ----------------------------------------------------------------------------------------- */

typedef struct process_arg {
  hcs_system *s;
  const wchar_t *params;
  HCS_PROCESS process;
} process_arg;

static HRESULT call_create_process(void *p, HCS_OPERATION op) {
  process_arg *a = p;
  return a->s->h->HcsCreateProcess(a->s->handle, a->params, op, NULL, &a->process);
}

typedef struct info_arg {
  hcs_client *h;
  HCS_PROCESS process;
} info_arg;

static HRESULT call_process_info(void *p, HCS_OPERATION op) {
  info_arg *a = p;
  return a->h->HcsGetProcessInfo(a->process, op);
}

static hcs_process *process_new(hcs_client *h, HCS_PROCESS handle, uint32_t pid) {
  hcs_process *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  p->h = h;
  p->handle = handle;
  p->pid = pid;
  InitializeSRWLock(&p->lock);
  return p;
}

wctr_err hcs_process_create(hcs_system *s, const cJSON *params, DWORD timeout_ms, hcs_process **out,
                            hcs_process_io *io, wctr_errmsg *e) {
  *out = NULL;
  memset(io, 0, sizeof *io);
  wchar_t *wp = to_wide_json(params);
  if (wp == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  HCS_PROCESS_INFORMATION pi = {0};
  process_arg a = {.s = s, .params = wp};
  AcquireSRWLockShared(&s->lock);
  wctr_err err = s->handle == NULL ? wctr_fail(e, WCTR_ESTATE, "HcsCreateProcess: the compute system handle is closed")
                                   : run_op(s->h, "HcsCreateProcess", call_create_process, &a, timeout_ms, NULL, &pi,
                                            NULL, e);
  ReleaseSRWLockShared(&s->lock);
  free_wide(wp);
  if (err != WCTR_OK && a.process != NULL && err != WCTR_EINVAL) {
    /* WS2022: the process can exist while the wait reports a failure. Its information is still there. */
    info_arg ia = {.h = s->h, .process = a.process};
    wctr_errmsg again;
    memset(&pi, 0, sizeof pi);
    if (run_op(s->h, "HcsGetProcessInfo", call_process_info, &ia, timeout_ms, NULL, &pi, NULL, &again) == WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "HcsCreateProcess reported \"%s\" but the process exists; continuing", e->text);
      err = WCTR_OK;
    }
  }
  if (err != WCTR_OK) {
    if (a.process != NULL) s->h->HcsCloseProcess(a.process);
    return err;
  }
  *out = process_new(s->h, a.process, pi.ProcessId);
  if (*out == NULL) {
    s->h->HcsCloseProcess(a.process);
    if (pi.StdInput != NULL) CloseHandle(pi.StdInput);
    if (pi.StdOutput != NULL) CloseHandle(pi.StdOutput);
    if (pi.StdError != NULL) CloseHandle(pi.StdError);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  io->pid = pi.ProcessId;
  io->std_in = pi.StdInput;
  io->std_out = pi.StdOutput;
  io->std_err = pi.StdError;
  return WCTR_OK;
}

wctr_err hcs_process_open(hcs_system *s, uint32_t pid, hcs_process **out, wctr_errmsg *e) {
  *out = NULL;
  HCS_PROCESS handle = NULL;
  AcquireSRWLockShared(&s->lock);
  HRESULT hr = s->handle != NULL ? s->h->HcsOpenProcess(s->handle, pid, GENERIC_ALL, &handle) : E_HANDLE;
  ReleaseSRWLockShared(&s->lock);
  if (hr == HRESULT_FROM_WIN32(ERROR_NOT_FOUND)) return wctr_fail(e, WCTR_ENOENT, "process %u does not exist", pid);
  if (FAILED(hr)) return hcs_failure(hr, NULL, "HcsOpenProcess", NULL, e);
  *out = process_new(s->h, handle, pid);
  if (*out == NULL) {
    s->h->HcsCloseProcess(handle);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  return WCTR_OK;
}

wctr_err hcs_process_watch(hcs_process *p, hcs_exit_fn fn, void *ctx, wctr_errmsg *e) {
  AcquireSRWLockShared(&p->lock);
  p->watch = (watch){.fn = fn, .ctx = ctx, .is_process = true};
  HRESULT hr = p->handle != NULL ? p->h->HcsSetProcessCallback(p->handle, HcsEventOptionNone, &p->watch, on_event)
                                 : E_HANDLE;
  ReleaseSRWLockShared(&p->lock);
  return FAILED(hr) ? hcs_failure(hr, NULL, "HcsSetProcessCallback", NULL, e) : WCTR_OK;
}

typedef struct proc_arg {
  hcs_process *p;
  HRESULT(WINAPI *fn)(HCS_PROCESS, HCS_OPERATION, PCWSTR);
  const wchar_t *options;
} proc_arg;

static HRESULT call_proc(void *arg, HCS_OPERATION op) {
  proc_arg *a = arg;
  return a->fn(a->p->handle, op, a->options);
}

/* A process that has already exited has done what a signal, terminate or close would do. */
static wctr_err proc_op(hcs_process *p, const char *what, HRESULT(WINAPI *fn)(HCS_PROCESS, HCS_OPERATION, PCWSTR),
                        const cJSON *options, DWORD timeout_ms, wctr_errmsg *e) {
  wchar_t *wo = options != NULL ? to_wide_json(options) : NULL;
  if (options != NULL && wo == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  uint32_t hr = 0;
  AcquireSRWLockShared(&p->lock);
  proc_arg a = {.p = p, .fn = fn, .options = wo != NULL ? wo : L""};
  wctr_err err = p->handle == NULL ? wctr_fail(e, WCTR_ESTATE, "%s: the process handle is closed", what)
                                   : run_op(p->h, what, call_proc, &a, timeout_ms, NULL, NULL, &hr, e);
  ReleaseSRWLockShared(&p->lock);
  free_wide(wo);
  return err != WCTR_OK && hr_is((HRESULT)hr, HR_PROCESS_STOPPED) ? WCTR_OK : err;
}

wctr_err hcs_process_signal(hcs_process *p, const char *signal, DWORD timeout_ms, wctr_errmsg *e) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || cJSON_AddStringToObject(o, "Signal", signal) == NULL) {
    cJSON_Delete(o);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_err err = proc_op(p, "HcsSignalProcess", p->h->HcsSignalProcess, o, timeout_ms, e);
  cJSON_Delete(o);
  return err;
}

wctr_err hcs_process_terminate(hcs_process *p, DWORD timeout_ms, wctr_errmsg *e) {
  return proc_op(p, "HcsTerminateProcess", p->h->HcsTerminateProcess, NULL, timeout_ms, e);
}

wctr_err hcs_process_close_stdin(hcs_process *p, DWORD timeout_ms, wctr_errmsg *e) {
  cJSON *o = cJSON_CreateObject();
  cJSON *ch = cJSON_AddObjectToObject(o, "CloseHandle");
  if (o == NULL || ch == NULL || cJSON_AddStringToObject(o, "Operation", "CloseHandle") == NULL ||
      cJSON_AddStringToObject(ch, "Handle", "StdIn") == NULL) {
    cJSON_Delete(o);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_err err = proc_op(p, "HcsModifyProcess", p->h->HcsModifyProcess, o, timeout_ms, e);
  cJSON_Delete(o);
  return err;
}

void hcs_process_close(hcs_process *p) {
  if (p == NULL) return;
  AcquireSRWLockExclusive(&p->lock);
  HCS_PROCESS handle = p->handle;
  p->handle = NULL;
  ReleaseSRWLockExclusive(&p->lock);
  if (handle != NULL) p->h->HcsCloseProcess(handle);
  free(p);
}

/* --- service ------------------------------------------------------------------------------------------- */

static wctr_err service_call(const char *what, HRESULT(WINAPI *fn)(PCWSTR, PWSTR *),
                             const cJSON *doc, cJSON **out, wctr_errmsg *e) {
  if (out != NULL) *out = NULL;
  wchar_t *wd = doc != NULL ? to_wide_json(doc) : NULL;
  if (doc != NULL && wd == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  PWSTR result = NULL;
  HRESULT hr = fn(wd, &result);
  free_wide(wd);
  char *text = take_result(result);
  if (FAILED(hr)) {
    wctr_err err = hcs_failure(hr, text, what, NULL, e);
    free(text);
    return err;
  }
  if (out != NULL) {
    *out = parse_result(text);
  } else {
    free_text(text);
  }
  return WCTR_OK;
}

wctr_err hcs_service_modify(hcs_client *h, const cJSON *settings, cJSON **out, wctr_errmsg *e) {
  return service_call("HcsModifyServiceSettings", h->HcsModifyServiceSettings, settings, out, e);
}

wctr_err hcs_service_properties(hcs_client *h, const cJSON *query, cJSON **out, wctr_errmsg *e) {
  wctr_err err = service_call("HcsGetServiceProperties", h->HcsGetServiceProperties, query, out, e);
  if (err == WCTR_OK && *out == NULL) err = wctr_fail(e, WCTR_ESYSTEM, "HcsGetServiceProperties: no document");
  return err;
}

wctr_err hcs_grant_vm_access(hcs_client *h, const char *vm_id, const char *path, wctr_errmsg *e) {
  wchar_t *wid = wctr_utf8_to_wide(vm_id);
  wchar_t *wpath = wctr_utf8_to_wide(path);
  HRESULT hr = wid != NULL && wpath != NULL ? h->HcsGrantVmAccess(wid, wpath) : E_OUTOFMEMORY;
  free(wid);
  free(wpath);
  return FAILED(hr) ? hcs_failure(hr, NULL, "HcsGrantVmAccess", NULL, e) : WCTR_OK;
}

/* --- enumeration ---------------------------------------------------------------------------------------- */

typedef struct enum_arg {
  hcs_client *h;
  const wchar_t *query;
} enum_arg;

static HRESULT call_enumerate(void *p, HCS_OPERATION op) {
  enum_arg *a = p;
  return a->h->HcsEnumerateComputeSystems(a->query, op);
}

wctr_err hcs_systems_enumerate(hcs_client *h, const cJSON *query, DWORD timeout_ms, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  wchar_t *wq = query != NULL ? to_wide_json(query) : NULL;
  if (query != NULL && wq == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  enum_arg a = {.h = h, .query = wq};
  char *text = NULL;
  wctr_err err = run_op(h, "HcsEnumerateComputeSystems", call_enumerate, &a, timeout_ms, &text, NULL, NULL, e);
  free_wide(wq);
  if (err != WCTR_OK) return err;
  cJSON *list = parse_result(text);
  if (list == NULL) list = cJSON_CreateArray(); /* no document: nothing exists */
  if (!cJSON_IsArray(list)) {
    cJSON_Delete(list);
    return wctr_fail(e, WCTR_ESYSTEM, "HcsEnumerateComputeSystems: the answer is not an array");
  }
  *out = list;
  return WCTR_OK;
}

/* --- vmcompute.dll: layers ---------------------------------------------------------------------------- */

/* The descriptors of parents (their GUIDs parsed, their paths converted); *paths keeps the UTF-16 paths
 * alive for the call. Free both with free_descriptors. */
static wctr_err make_descriptors(const char *what, const hcs_layer *parents, size_t count, vm_layer_descriptor **out,
                                 wchar_t ***paths, wctr_errmsg *e) {
  *out = NULL;
  *paths = NULL;
  if (count == 0 || parents == NULL) return wctr_fail(e, WCTR_EINVAL, "%s: the image has no layers", what);
  vm_layer_descriptor *d = calloc(count, sizeof *d);
  wchar_t **p = calloc(count, sizeof *p);
  if (d == NULL || p == NULL) {
    free(d);
    free(p);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = d;
  *paths = p;
  for (size_t i = 0; i < count; i++) {
    hcs_guid g;
    if (parents[i].id == NULL || !hcs_guid_parse(parents[i].id, &g)) {
      return wctr_fail(e, WCTR_EINVAL, "%s: layer %zu's id \"%.60s\" is not a GUID", what, i,
                       parents[i].id != NULL ? parents[i].id : "");
    }
    d[i].layer_id.Data1 = g.data1;
    d[i].layer_id.Data2 = g.data2;
    d[i].layer_id.Data3 = g.data3;
    memcpy(d[i].layer_id.Data4, g.data4, sizeof g.data4);
    d[i].flags = 0;
    p[i] = parents[i].path != NULL ? wctr_utf8_to_wide(parents[i].path) : NULL;
    if (p[i] == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    d[i].path = p[i];
  }
  return WCTR_OK;
}

static void free_descriptors(vm_layer_descriptor *d, wchar_t **paths, size_t count) {
  for (size_t i = 0; paths != NULL && i < count; i++) free(paths[i]);
  free(paths);
  free(d);
}

static vm_driver_info driver_info(void) {
  vm_driver_info info = {.flavour = VM_FILTER_DRIVER, .home_dir = L""};
  return info;
}

static wctr_err vm_failure(HRESULT hr, const char *what, const char *path, uint32_t *hr_out, wctr_errmsg *e) {
  char text[600];
  hcs_error_describe((uint32_t)hr, NULL, text, sizeof text);
  if (hr_out != NULL) *hr_out = (uint32_t)hr;
  wctr_err err = hcs_error_code((uint32_t)hr);
  if (err == WCTR_OK) err = WCTR_ESYSTEM;
  return wctr_fail(e, err, "%s %.300s: %s", what, path, text);
}

/* A call that takes the driver info and a layer path. */
static wctr_err path_call(const char *what, HRESULT(WINAPI *fn)(vm_driver_info *, PCWSTR), const char *path,
                          uint32_t *hr_out, wctr_errmsg *e) {
  if (hr_out != NULL) *hr_out = 0;
  wchar_t *wpath = wctr_utf8_to_wide(path);
  if (wpath == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  vm_driver_info info = driver_info();
  HRESULT hr = fn(&info, wpath);
  free(wpath);
  return FAILED(hr) ? vm_failure(hr, what, path, hr_out, e) : WCTR_OK;
}

wctr_err hcs_layer_create_scratch(hcs_client *h, const char *path, const hcs_layer *parents, size_t count,
                                  wctr_errmsg *e) {
  vm_layer_descriptor *d = NULL;
  wchar_t **paths = NULL;
  wchar_t *wpath = wctr_utf8_to_wide(path);
  wctr_err err = wpath != NULL ? make_descriptors("CreateSandboxLayer", parents, count, &d, &paths, e)
                               : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    vm_driver_info info = driver_info();
    /* No parent id: hcsshim passes 0 and the whole chain as descriptors. */
    HRESULT hr = h->CreateSandboxLayer(&info, wpath, NULL, d, count);
    if (FAILED(hr)) err = vm_failure(hr, "CreateSandboxLayer", path, NULL, e);
  }
  free_descriptors(d, paths, count);
  free(wpath);
  return err;
}

wctr_err hcs_layer_activate(hcs_client *h, const char *path, uint32_t *hr_out, wctr_errmsg *e) {
  return path_call("ActivateLayer", h->ActivateLayer, path, hr_out, e);
}

wctr_err hcs_layer_prepare(hcs_client *h, const char *path, const hcs_layer *parents, size_t count, uint32_t *hr_out,
                           wctr_errmsg *e) {
  if (hr_out != NULL) *hr_out = 0;
  vm_layer_descriptor *d = NULL;
  wchar_t **paths = NULL;
  wchar_t *wpath = wctr_utf8_to_wide(path);
  wctr_err err = wpath != NULL ? make_descriptors("PrepareLayer", parents, count, &d, &paths, e)
                               : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    vm_driver_info info = driver_info();
    AcquireSRWLockExclusive(&h->prepare_lock);
    HRESULT hr = h->PrepareLayer(&info, wpath, d, count);
    ReleaseSRWLockExclusive(&h->prepare_lock);
    if (FAILED(hr)) err = vm_failure(hr, "PrepareLayer", path, hr_out, e);
  }
  free_descriptors(d, paths, count);
  free(wpath);
  return err;
}

wctr_err hcs_layer_mount_path(hcs_client *h, const char *path, char *out, size_t size, wctr_errmsg *e) {
  if (size > 0) out[0] = '\0';
  wchar_t *wpath = wctr_utf8_to_wide(path);
  if (wpath == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  vm_driver_info info = driver_info();
  size_t length = 0;
  wchar_t *buf = NULL;
  wctr_err err = WCTR_OK;
  /* Twice, as hcsshim calls it: the length (in characters), then the path. */
  HRESULT hr = h->GetLayerMountPath(&info, wpath, &length, NULL);
  if (SUCCEEDED(hr) && (length == 0 || length > 32768)) {
    err = wctr_fail(e, WCTR_ESYSTEM, "GetLayerMountPath %.300s: no mounted volume (length %zu)", path, length);
  } else if (SUCCEEDED(hr)) {
    buf = calloc(length + 1, sizeof *buf);
    hr = buf != NULL ? h->GetLayerMountPath(&info, wpath, &length, buf) : E_OUTOFMEMORY;
  }
  if (err == WCTR_OK && FAILED(hr)) err = vm_failure(hr, "GetLayerMountPath", path, NULL, e);
  if (err == WCTR_OK) {
    char *utf8 = wctr_wide_to_utf8(buf);
    if (utf8 == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else if (strlen(utf8) >= size) {
      err = wctr_fail(e, WCTR_ETOOBIG, "GetLayerMountPath %.300s: the volume path is too long", path);
    } else {
      memcpy(out, utf8, strlen(utf8) + 1);
    }
    free(utf8);
  }
  free(buf);
  free(wpath);
  return err;
}

wctr_err hcs_layer_unprepare(hcs_client *h, const char *path, uint32_t *hr_out, wctr_errmsg *e) {
  return path_call("UnprepareLayer", h->UnprepareLayer, path, hr_out, e);
}

wctr_err hcs_layer_deactivate(hcs_client *h, const char *path, uint32_t *hr_out, wctr_errmsg *e) {
  return path_call("DeactivateLayer", h->DeactivateLayer, path, hr_out, e);
}

static bool mount_retryable(uint32_t hr) { return hr == HR_NOT_READY || hr == HR_DEVICE_NOT_CONNECTED; }

wctr_err hcs_scratch_mount(hcs_client *h, const char *path, const hcs_layer *parents, size_t count, char *volume,
                           size_t size, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  for (int attempt = 1; attempt <= MOUNT_TRIES; attempt++) {
    uint32_t hr = 0;
    err = hcs_layer_activate(h, path, &hr, e);
    if (err == WCTR_OK) {
      err = hcs_layer_prepare(h, path, parents, count, &hr, e);
      if (err != WCTR_OK) {
        wctr_errmsg ue;
        hcs_layer_deactivate(h, path, NULL, &ue);
      }
    }
    if (err == WCTR_OK || !mount_retryable(hr) || attempt == MOUNT_TRIES) break;
    wctr_log(WCTR_LOG_WARN, "%s; trying again (%d of %d)", e->text, attempt + 1, MOUNT_TRIES);
    Sleep(MOUNT_RETRY_MS);
  }
  if (err != WCTR_OK) return err;
  err = hcs_layer_mount_path(h, path, volume, size, e);
  if (err != WCTR_OK) {
    wctr_errmsg ue;
    if (hcs_scratch_unmount(h, path, &ue) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "%s", ue.text);
  }
  return err;
}

wctr_err hcs_scratch_unmount(hcs_client *h, const char *path, wctr_errmsg *e) {
  uint32_t hr = 0;
  wctr_err err = hcs_layer_unprepare(h, path, &hr, e);
  /* Not mounted: a crash or a failed start took it before, there is nothing to undo. */
  if (err != WCTR_OK && hr == HR_NOT_READY) return WCTR_OK;
  if (err != WCTR_OK) return err;
  return hcs_layer_deactivate(h, path, NULL, e);
}

wctr_err hcs_layer_destroy(hcs_client *h, const char *path, wctr_errmsg *e) {
  uint32_t hr = 0;
  wctr_err err = path_call("DestroyLayer", h->DestroyLayer, path, &hr, e);
  if (err != WCTR_OK && (hr == (uint32_t)HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND) ||
                         hr == (uint32_t)HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND))) {
    return WCTR_OK;
  }
  return err;
}

wctr_err hcs_layer_exists(hcs_client *h, const char *path, bool *exists, wctr_errmsg *e) {
  *exists = false;
  wchar_t *wpath = wctr_utf8_to_wide(path);
  if (wpath == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  vm_driver_info info = driver_info();
  UINT32 found = 0;
  HRESULT hr = h->LayerExists(&info, wpath, &found);
  free(wpath);
  if (FAILED(hr)) return vm_failure(hr, "LayerExists", path, NULL, e);
  *exists = found != 0;
  return WCTR_OK;
}

wctr_err hcs_layer_import(hcs_client *h, const char *path, const char *staging, const hcs_layer *parents,
                          size_t count, wctr_errmsg *e) {
  vm_layer_descriptor *d = NULL;
  wchar_t **paths = NULL;
  wchar_t *wpath = wctr_utf8_to_wide(path);
  wchar_t *wstaging = wctr_utf8_to_wide(staging);
  wctr_err err = WCTR_OK;
  if (wpath == NULL || wstaging == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  /* A base layer has no parents: no descriptors at all. */
  if (err == WCTR_OK && count > 0) err = make_descriptors("ImportLayer", parents, count, &d, &paths, e);
  if (err == WCTR_OK) {
    vm_driver_info info = driver_info();
    HRESULT hr = h->ImportLayer(&info, wpath, wstaging, d, count);
    if (FAILED(hr)) err = vm_failure(hr, "ImportLayer", path, NULL, e);
  }
  free_descriptors(d, paths, count);
  free(wpath);
  free(wstaging);
  return err;
}

static wctr_err image_call(const char *what, HRESULT(WINAPI *fn)(PCWSTR), const char *path, wctr_errmsg *e) {
  wchar_t *wpath = wctr_utf8_to_wide(path);
  if (wpath == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  HRESULT hr = fn(wpath);
  free(wpath);
  return FAILED(hr) ? vm_failure(hr, what, path, NULL, e) : WCTR_OK;
}

wctr_err hcs_layer_process_base(hcs_client *h, const char *path, wctr_errmsg *e) {
  return image_call("ProcessBaseImage", h->ProcessBaseImage, path, e);
}

wctr_err hcs_layer_process_utility(hcs_client *h, const char *path, wctr_errmsg *e) {
  return image_call("ProcessUtilityImage", h->ProcessUtilityImage, path, e);
}

static wctr_err name_to_guid(NameToGuid_fn fn, const char *name, char out[HCS_GUID_SIZE], wctr_errmsg *e) {
  out[0] = '\0';
  if (name == NULL || name[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "NameToGuid: the name is empty");
  wchar_t *wname = wctr_utf8_to_wide(name);
  if (wname == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  GUID g;
  memset(&g, 0, sizeof g);
  HRESULT hr = fn(wname, &g);
  free(wname);
  if (FAILED(hr)) return vm_failure(hr, "NameToGuid", name, NULL, e);
  hcs_guid hg = {.data1 = g.Data1, .data2 = g.Data2, .data3 = g.Data3};
  memcpy(hg.data4, g.Data4, sizeof hg.data4);
  hcs_guid_format(&hg, out);
  return WCTR_OK;
}

wctr_err hcs_layer_name_to_guid(hcs_client *h, const char *name, char out[HCS_GUID_SIZE], wctr_errmsg *e) {
  return name_to_guid(h->NameToGuid, name, out, e);
}

wctr_err hcs_layer_id(const char *folder, char out[HCS_GUID_SIZE], wctr_errmsg *e) {
  out[0] = '\0';
  char name[MAX_PATH * 3];
  hcs_layer_folder_name(folder, name, sizeof name);
  if (name[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "layer \"%.300s\" has no folder name", folder != NULL ? folder : "");
  HMODULE dll = LoadLibraryExW(L"vmcompute.dll", NULL, load_from);
  if (dll == NULL) {
    return wctr_fail(e, WCTR_ENOTSUP, "%s (vmcompute.dll cannot be loaded: error %lu)", HCS_UNAVAILABLE_MESSAGE,
                     (unsigned long)GetLastError());
  }
  NameToGuid_fn fn = (NameToGuid_fn)(void (*)(void))GetProcAddress(dll, "NameToGuid");
  wctr_err err = fn != NULL ? name_to_guid(fn, name, out, e)
                            : wctr_fail(e, WCTR_ENOTSUP, "%s (vmcompute.dll has no NameToGuid)", HCS_UNAVAILABLE_MESSAGE);
  FreeLibrary(dll);
  return err;
}
