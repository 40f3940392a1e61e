/* service/engine_win.c - starting and stopping one wctrd. */
#include <windows.h>

#include <knownfolders.h>
#include <shlobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "acl/bitlocker.h"
#include "acl/descriptors.h"
#include "common/ioc.h"
#include "common/json.h"
#include "runtime/rt_hcs.h"
#include "runtime/rt_job.h"
#include "common/log.h"
#include "common/wstr.h"
#include "hcs/client.h"
#include "hcs/hcs.h"
#include "acl/acl_sys.h"
#include "jobs/probe.h"
#include "service/audit.h"
#include "service/engine.h"
#include "service/credspecs.h"
#include "images/http.h"
#include "images/import.h"
#include "images/store.h"
#include "images/trust.h"
#include "service/engine_api.h"
#include "service/hooks.h"
#include "service/http_server.h"
#include "service/image_ops.h"
#include "service/images.h"
#include "hcs/document.h"
#include "service/networks.h"
#include "service/layer_import.h"
#include "service/manager.h"
#include "service/ops.h"
#include "service/pipe_api.h"
#include "service/secrets.h"
#include "service/security.h"
#include "service/system_ops.h"

/* The blocking pool: container starts, stops, removes and stats, info and check, at most CPUs +
 * BLOCKING_POOL_EXTRA at once - enough that a few slow calls do not queue everything else behind them,
 * without a thread per request. With the main thread, a worker per CPU, the timer thread and the wait
 * threads of the running containers' exits (one per 63 on Windows), wctrd never has more than 2 x CPUs + 8
 * threads for up to 126 running containers, pool full or not (BENCHMARKS.md, "Threads"). */
enum { STOP_TIMEOUT_MS = 10000, BLOCKING_POOL_EXTRA = 4 };

struct svc_engine {
  svc_config cfg;
  char data_root[1024];
  char *pipe_sddl;
  HANDLE log_file;
  bool log_to_stderr;
  wctr_ioc *ioc;
  svc_ops *ops;
  svc_server *server;
  svc_manager *manager;
  svc_images *images;
  svc_networks *networks;
  img_store *store;
  svc_layer_import *layer_import; /* the production importer (images/wcimport.h over vmcompute) */
  img_http *http;
  svc_image_service image_service;
  svc_hooks hooks;
  svc_credspecs *credspecs;
  svc_system_host system;
  svc_security_host security;
  bool audit_open;
  /* The Docker Engine API: its front-end, its listeners, the token file. */
  char group_sids[SVC_MAX_GROUPS][192];
  svc_engine_api *api;
  svc_http_server *api_server;
  char token_path[1200];
};

wctr_err svc_default_data_root(char *out, size_t size, wctr_errmsg *e) {
  wchar_t *base = NULL;
  HRESULT hr = SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, NULL, &base);
  if (FAILED(hr)) {
    if (base != NULL) CoTaskMemFree(base);
    return wctr_fail(e, wctr_log_hresult("SHGetKnownFolderPath", (uint32_t)hr, "ProgramData"),
                     "cannot find %%ProgramData%%; give --data-root");
  }
  char *utf8 = wctr_wide_to_utf8(base);
  CoTaskMemFree(base);
  if (utf8 == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  int n = snprintf(out, size, "%s\\wctr", utf8);
  free(utf8);
  if (n < 0 || (size_t)n >= size) return wctr_fail(e, WCTR_EINVAL, "%%ProgramData%% is too long");
  return WCTR_OK;
}

/* Creates dir (and missing parents with their default ACL). Only dir itself gets sa. */

/* The manager's records, for the networks (service/networks.h). */
static cJSON *manager_records(void *m) { return svc_manager_records(m); }

static wctr_err make_dir(const wchar_t *dir, SECURITY_ATTRIBUTES *sa, const char *shown, wctr_errmsg *e) {
  /* Through the acl seam, so tests see the exact descriptor each folder is created with. */
  if (acl_sys.CreateDirectoryW(dir, sa)) return WCTR_OK;
  DWORD code = GetLastError();
  if (code == ERROR_ALREADY_EXISTS) {
    DWORD attrs = GetFileAttributesW(dir);
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY)) return WCTR_OK;
    return wctr_fail(e, WCTR_EEXIST, "%s exists and is not a folder", shown);
  }
  if (code == ERROR_PATH_NOT_FOUND) {
    size_t n = wcslen(dir);
    wchar_t *parent = malloc((n + 1) * sizeof *parent);
    if (parent == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    memcpy(parent, dir, (n + 1) * sizeof *parent);
    wchar_t *slash = wcsrchr(parent, L'\\');
    wctr_err err = WCTR_ENOENT;
    if (slash != NULL && slash > parent + 2) {
      *slash = L'\0';
      err = make_dir(parent, NULL, shown, e);
    }
    free(parent);
    if (err != WCTR_OK) return err;
    if (acl_sys.CreateDirectoryW(dir, sa)) return WCTR_OK;
    code = GetLastError();
  }
  return wctr_fail(e, wctr_log_win32("CreateDirectoryW", code, "%s", shown), "cannot create %s (error %lu)",
                   shown, (unsigned long)code);
}

static wctr_err prepare_data_root(svc_engine *eng, const char *requested, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wchar_t *wide = NULL;
  wchar_t full[1024];
  wchar_t sub[1100];
  acl_sa sa = {0};
  char fallback[1024];
  if (requested == NULL) {
    err = svc_default_data_root(fallback, sizeof fallback, e);
    if (err != WCTR_OK) return err;
    requested = fallback;
  }
  wide = wctr_utf8_to_wide(requested);
  if (wide == NULL) return wctr_fail(e, WCTR_EINVAL, "--data-root is not valid UTF-8");
  DWORD n = GetFullPathNameW(wide, ARRAYSIZE(full), full, NULL);
  if (n == 0 || n >= ARRAYSIZE(full) - 32) {
    err = wctr_fail(e, WCTR_EINVAL, "--data-root \"%s\" is not a usable path", requested);
    goto done;
  }
  while (n > 3 && full[n - 1] == L'\\') full[--n] = L'\0';
  char *utf8 = wctr_wide_to_utf8(full);
  if (utf8 == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  snprintf(eng->data_root, sizeof eng->data_root, "%s", utf8);
  free(utf8);
  /* The root gets SYSTEM + Administrators only from the instant it exists; config\ and logs\ inherit. */
  err = acl_sa_from_sddl(ACL_SDDL_DATA_ROOT, &sa, e);
  if (err != WCTR_OK) goto done;
  err = make_dir(full, &sa.sa, eng->data_root, e);
  if (err != WCTR_OK) goto done;
  /* Each folder inside gets the same protected DACL of its own (acl_data_root_subdirs), so none depends
   * on inheriting the root's. */
  for (size_t i = 0; acl_data_root_subdirs[i] != NULL && err == WCTR_OK; i++) {
    _snwprintf(sub, ARRAYSIZE(sub), L"%ls\\%hs", full, acl_data_root_subdirs[i]);
    sub[ARRAYSIZE(sub) - 1] = L'\0';
    err = make_dir(sub, &sa.sa, eng->data_root, e);
  }
done:
  acl_sa_free(&sa);
  free(wide);
  return err;
}

/* The data root and each folder of acl_data_root_subdirs must read back as ACL_SDDL_DATA_ROOT. One that
 * does not (an existing root that grants more, a folder someone loosened) gets the DACL applied again,
 * and the repair is audited. Under Wine the read-back never matches (file DACLs are folded into mode
 * bits), so there every start repairs and says so. */
static void repair_data_root_dacls(svc_engine *eng) {
  char path[1200];
  for (size_t i = 0; i == 0 || acl_data_root_subdirs[i - 1] != NULL; i++) {
    if (i == 0) {
      snprintf(path, sizeof path, "%s", eng->data_root);
    } else {
      snprintf(path, sizeof path, "%s\\%s", eng->data_root, acl_data_root_subdirs[i - 1]);
    }
    char *actual = NULL;
    wctr_errmsg e;
    wctr_err err = acl_verify_dacl(path, ACL_SDDL_DATA_ROOT, &actual, &e);
    if (err == WCTR_OK) {
      free(actual);
      continue;
    }
    char detail[1400];
    snprintf(detail, sizeof detail, "was %s; set %s", actual != NULL ? actual : e.text, ACL_SDDL_DATA_ROOT);
    wctr_errmsg ae;
    wctr_err applied = acl_apply_dacl(path, ACL_SDDL_DATA_ROOT, &ae);
    if (applied == WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "repaired the DACL of %s (%s)", path, detail);
      svc_audit_service("service.repair-dacl", path, "ok", detail);
    } else {
      wctr_log(WCTR_LOG_ERROR, "cannot repair the DACL of %s: %s", path, ae.text);
      svc_audit_service("service.repair-dacl", path, wctr_err_name(applied), ae.text);
    }
    free(actual);
  }
}

/* wctrd run --test-bitlocker-state: the BitLocker probe answers what the e2e tests present (args.h). */
static int test_protection = -1;
static int test_conversion = -1;
static HRESULT test_bitlocker_query(const wchar_t *volume, int *protection, int *conversion) {
  (void)volume;
  *protection = test_protection;
  *conversion = test_conversion;
  return test_protection < 0 ? (HRESULT)0x8004100E /* WBEM_E_INVALID_NAMESPACE, as under Wine */ : S_OK;
}

static void audit_sink(void *ctx, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                       const char *detail) {
  (void)ctx;
  svc_audit_record r = {.caller_sid = caller->sid, .caller_name = caller->name, .op = op[0] != '\0' ? op : "(unreadable)",
                        .target = target, .result = result == WCTR_OK ? "ok" : wctr_err_name(result),
                        .detail = detail};
  svc_audit_write(&r);
}

/* Reads <data-root>\config\wctrd.json into file_cfg; a missing file is an empty config. */
static wctr_err read_config(const svc_engine *eng, svc_config *file_cfg, char *where, size_t where_size,
                            wctr_errmsg *e) {
  char path[1200];
  wctr_err err = WCTR_OK;
  char *text = NULL;
  snprintf(path, sizeof path, "%s\\config\\%s", eng->data_root, SVC_CONFIG_FILE);
  snprintf(where, where_size, "%s", path);
  svc_config_init(file_cfg);
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  HANDLE h = CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  free(wide);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    if (code == ERROR_FILE_NOT_FOUND) return WCTR_OK;
    return wctr_fail(e, wctr_log_win32("CreateFileW", code, "%s", path), "cannot read %s (error %lu)", path,
                     (unsigned long)code);
  }
  LARGE_INTEGER size;
  if (!GetFileSizeEx(h, &size) || size.QuadPart > SVC_CONFIG_MAX_BYTES) {
    err = wctr_fail(e, WCTR_ECONFIG, "%s is larger than %u bytes", path, SVC_CONFIG_MAX_BYTES);
    goto done;
  }
  text = malloc((size_t)size.QuadPart + 1);
  DWORD got = 0;
  if (text == NULL || !ReadFile(h, text, (DWORD)size.QuadPart, &got, NULL) || got != (DWORD)size.QuadPart) {
    err = wctr_fail(e, WCTR_EIO, "cannot read %s", path);
    goto done;
  }
  err = svc_config_parse(text, got, path, file_cfg, e);
done:
  free(text);
  CloseHandle(h);
  return err;
}

static void log_sink(void *ctx, wctr_log_level level, const char *line) {
  (void)level;
  svc_engine *eng = ctx;
  if (eng->log_to_stderr) {
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
  }
  if (eng->log_file != INVALID_HANDLE_VALUE) {
    char buf[2100];
    int n = snprintf(buf, sizeof buf, "%s\r\n", line);
    DWORD written;
    if (n > 0) WriteFile(eng->log_file, buf, (DWORD)((size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1), &written, NULL);
  }
}

static wctr_err open_log(svc_engine *eng, wctr_errmsg *e) {
  char path[1200];
  snprintf(path, sizeof path, "%s\\logs\\wctrd.log", eng->data_root);
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  /* FILE_APPEND_DATA without FILE_WRITE_DATA: every write lands at the end, even from two processes. */
  eng->log_file = CreateFileW(wide, FILE_APPEND_DATA | SYNCHRONIZE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                              OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  free(wide);
  if (eng->log_file == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    return wctr_fail(e, wctr_log_win32("CreateFileW", code, "%s", path), "cannot open the log %s (error %lu)",
                     path, (unsigned long)code);
  }
  return WCTR_OK;
}

static void os_facts(svc_host_facts *f) {
  typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOEXW *);
  OSVERSIONINFOEXW v = {.dwOSVersionInfoSize = sizeof v};
  /* GetVersionEx lies to programs without a manifest; RtlGetVersion does not. */
  rtl_get_version_fn fn = (rtl_get_version_fn)(void (*)(void))GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion");
  if (fn != NULL && fn(&v) == 0) {
    snprintf(f->os_version, sizeof f->os_version, "%lu.%lu.%lu", v.dwMajorVersion, v.dwMinorVersion,
             v.dwBuildNumber);
    f->server_sku = v.wProductType != VER_NT_WORKSTATION;
  } else {
    snprintf(f->os_version, sizeof f->os_version, "unknown");
  }
  wchar_t name[128];
  DWORD size = sizeof name;
  if (RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", L"ProductName",
                   RRF_RT_REG_SZ, NULL, name, &size) == ERROR_SUCCESS) {
    char *utf8 = wctr_wide_to_utf8(name);
    snprintf(f->os_name, sizeof f->os_name, "%s", utf8 != NULL ? utf8 : "Windows");
    free(utf8);
  } else {
    snprintf(f->os_name, sizeof f->os_name, "Windows");
  }
}

static void host_facts(void *ctx, svc_host_facts *f) {
  svc_engine *eng = ctx;
  memset(f, 0, sizeof *f);
  os_facts(f);
  hcs_probe_result hcs;
  hcs_probe(&hcs);
  f->hcs_available = hcs.available;
  snprintf(f->hcs_detail, sizeof f->hcs_detail, "%s", hcs.detail);
  job_probe_result job;
  job_probe(&job);
  f->job_available = job.available;
  snprintf(f->job_detail, sizeof f->job_detail, "%s", job.detail);
  acl_bitlocker_probe(eng->data_root, &f->bitlocker);
  f->allow_unencrypted_secrets = eng->cfg.allow_unencrypted_secrets;
}

static wctr_err pipe_sddl(void *ctx, char *buf, size_t size, wctr_errmsg *e) {
  svc_engine *eng = ctx;
  return svc_server_pipe_sddl(eng->server, buf, size, e);
}

static wctr_err build_pipe_sddl(svc_engine *eng, wctr_errmsg *e) {
  const char *list[SVC_MAX_GROUPS];
  for (size_t i = 0; i < eng->cfg.group_count; i++) {
    wctr_err err = acl_lookup_sid(eng->cfg.groups[i], eng->group_sids[i], sizeof eng->group_sids[i], e);
    if (err != WCTR_OK) return err;
    list[i] = eng->group_sids[i];
  }
  return acl_pipe_sddl(list, eng->cfg.group_count, &eng->pipe_sddl, e);
}

/* img_layer_id for the image store: vmcompute NameToGuid of the layer folder's name, the id every Microsoft
 * client gives that folder (images/import.h). Where vmcompute.dll is missing (no Containers feature: no
 * container can run here) the portable derivation stands in; ids are computed when asked, never kept, so a
 * host that gains the feature gets NameToGuid from then on. */
static wctr_err store_layer_id(const char *folder_name, char *out, size_t size) {
  char id[HCS_GUID_SIZE];
  wctr_errmsg e;
  wctr_err err = hcs_layer_id(folder_name, id, &e);
  if (err == WCTR_ENOTSUP) return img_layer_id_portable(folder_name, out, size);
  if (err != WCTR_OK) return err;
  if (size < sizeof id) return WCTR_EINVAL;
  snprintf(out, size, "%s", id);
  return WCTR_OK;
}

/* The Docker Engine API, when --docker-api or "docker-api" names listeners: a token for the TCP ones
 * (written where only those the pipe's DACL admits can read it), the front-end, the listeners. */
static wctr_err start_engine_api(svc_engine *eng, const svc_host_facts *facts, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  char token[2 * SVC_API_TOKEN_BYTES + 1] = "";
  char *token_sddl = NULL;
  bool tcp = false;
  for (size_t i = 0; i < eng->cfg.docker_api_count; i++) tcp = tcp || eng->cfg.docker_api[i].kind == SVC_API_TCP;
  if (tcp) {
    const char *list[SVC_MAX_GROUPS];
    for (size_t i = 0; i < eng->cfg.group_count; i++) list[i] = eng->group_sids[i];
    err = svc_engine_api_token_new(token, sizeof token, e);
    if (err == WCTR_OK) err = acl_api_token_sddl(list, eng->cfg.group_count, &token_sddl, e);
    if (err == WCTR_OK) {
      err = svc_engine_api_token_write(eng->data_root, token, token_sddl, eng->token_path, sizeof eng->token_path, e);
    }
    if (err != WCTR_OK) goto done;
  }
  svc_engine_api_options ao = {.ioc = eng->ioc, .ops = eng->ops, .token = tcp ? token : NULL};
  snprintf(ao.host.os_version, sizeof ao.host.os_version, "%s", facts->os_version);
  snprintf(ao.host.data_root, sizeof ao.host.data_root, "%s", eng->data_root);
  ao.host.host_cpus = (int)GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  MEMORYSTATUSEX mem = {.dwLength = sizeof mem};
  if (GlobalMemoryStatusEx(&mem)) ao.host.mem_total = mem.ullTotalPhys;
  wchar_t host[256];
  DWORD hn = ARRAYSIZE(host);
  if (GetComputerNameExW(ComputerNameDnsHostname, host, &hn)) {
    char *utf8 = wctr_wide_to_utf8(host);
    snprintf(ao.host.hostname, sizeof ao.host.hostname, "%s", utf8 != NULL ? utf8 : "");
    free(utf8);
  }
  err = svc_engine_api_new(&ao, &eng->api, e);
  if (err != WCTR_OK) goto done;
  svc_http_server_options so = {.addresses = eng->cfg.docker_api, .count = eng->cfg.docker_api_count,
                                .sddl = eng->pipe_sddl, .ioc = eng->ioc,
                                .pipe_handler = svc_engine_api_handler(eng->api, false),
                                .tcp_handler = svc_engine_api_handler(eng->api, true)};
  err = svc_http_server_start(&so, &eng->api_server, e);
  if (err != WCTR_OK) goto done;
  for (size_t i = 0; i < eng->cfg.docker_api_count; i++) {
    const svc_api_address *a = &eng->cfg.docker_api[i];
    if (a->kind == SVC_API_TCP) {
      /* dockerd's warning, in wctr's words: TCP without TLS is for this machine only, and the token is the key. */
      wctr_log(WCTR_LOG_WARN, "Docker Engine API listening on %s without TLS: every request needs the token in %s, "
               "which only SYSTEM, Administrators and the pipe's groups can read", a->text, eng->token_path);
    } else {
      wctr_log(WCTR_LOG_INFO, "Docker Engine API listening on %s (pipe DACL %s)", a->text, eng->pipe_sddl);
    }
    svc_audit_service("service.docker-api", a->text, "ok", a->kind == SVC_API_TCP ? "loopback TCP with a bearer token" :
                      "named pipe with wctr's pipe DACL");
  }
done:
  SecureZeroMemory(token, sizeof token);
  free(token_sddl);
  return err;
}

/* The image operations' trust decisions: the service's own records (it decides, whoever asked). */
static void trust_audit(void *ctx, const char *op, const char *target, const char *result, const char *detail) {
  (void)ctx;
  svc_audit_service(op, target, result, detail);
}

static cJSON *image_trust(void *ctx) {
  svc_engine *eng = ctx;
  return svc_image_trust_status(&eng->image_service);
}

wctr_err svc_engine_start(const svc_engine_options *opt, svc_engine **out, wctr_errmsg *e) {
  wctr_err err;
  char where[1200];
  svc_config file_cfg;
  *out = NULL;
  svc_engine *eng = calloc(1, sizeof *eng);
  if (eng == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  eng->log_file = INVALID_HANDLE_VALUE;
  eng->log_to_stderr = opt->log_to_stderr;
  svc_config_init(&eng->cfg);
  err = prepare_data_root(eng, opt->data_root, e);
  if (err != WCTR_OK) goto done;
  err = read_config(eng, &file_cfg, where, sizeof where, e);
  if (err != WCTR_OK) goto done;
  err = svc_config_merge(opt->flags, &file_cfg, where, e);
  if (err != WCTR_OK) goto done;
  eng->cfg = *opt->flags; /* take the merged settings (and ownership of the group strings) */
  svc_config_init(opt->flags);
  err = open_log(eng, e);
  if (err != WCTR_OK) goto done;
  wctr_log_configure(eng->cfg.log_level, log_sink, eng);
  if (opt->test_bitlocker_state != NULL) {
    if (strcmp(opt->test_bitlocker_state, "encrypted") == 0) {
      test_protection = 1, test_conversion = 1;
    } else if (strcmp(opt->test_bitlocker_state, "not-encrypted") == 0) {
      test_protection = 0, test_conversion = 0;
    } else {
      test_protection = -1, test_conversion = -1;
    }
    acl_sys.bitlocker_query = test_bitlocker_query;
    wctr_log(WCTR_LOG_WARN, "TEST MODE: the BitLocker probe answers \"%s\" (--test-bitlocker-state)",
             opt->test_bitlocker_state);
  }
  err = svc_audit_open(eng->data_root, e);
  if (err != WCTR_OK) goto done;
  eng->audit_open = true;
  SYSTEM_INFO si;
  GetSystemInfo(&si); /* the CPUs the core makes workers for */
  wctr_ioc_options io = {.workers = 0, .pool_max = si.dwNumberOfProcessors + BLOCKING_POOL_EXTRA};
  err = wctr_ioc_start(&io, &eng->ioc, e);
  if (err != WCTR_OK) goto done;
  repair_data_root_dacls(eng);
  svc_secrets_configure(eng->data_root, eng->cfg.allow_unencrypted_secrets);
  if (eng->cfg.allow_unencrypted_secrets) {
    svc_audit_service("service.config", "allow-unencrypted-secrets", "ok",
                      "secrets are allowed on a volume BitLocker does not protect");
  }
  if (eng->cfg.image_trust != NULL) {
    /* Keys are read once, here: a key that cannot be read stops wctrd rather than letting images through. */
    err = img_trust_policy_load_keys(eng->cfg.image_trust, img_trust_system_crypto(), e);
    if (err != WCTR_OK) {
      if (e != NULL) e->code = WCTR_ECONFIG;
      err = WCTR_ECONFIG;
      goto done;
    }
    cJSON *pj = img_trust_policy_json(eng->cfg.image_trust);
    char *text = pj != NULL ? wctr_json_print(pj) : NULL;
    svc_audit_service("service.config", "image-trust", "ok", text != NULL ? text : "");
    wctr_log(WCTR_LOG_INFO, "image-trust: %s", text != NULL ? text : "");
    cJSON_free(text);
    cJSON_Delete(pj);
  }
  err = build_pipe_sddl(eng, e);
  if (err != WCTR_OK) goto done;
  /* The manager needs the OS facts only. host_facts would also probe BitLocker (WMI: COM and a dozen DLLs
   * that stay loaded, about 3 MB of commit under Wine) and the HCS, which `info` and `check` do when asked. */
  svc_host_facts facts;
  memset(&facts, 0, sizeof facts);
  os_facts(&facts);
  err = svc_images_open(eng->data_root, &eng->images, e);
  if (err != WCTR_OK) goto done;
  /* The image store (images/store.h): swept before anything can use it. */
  char store_dir[1200];
  snprintf(store_dir, sizeof store_dir, "%s\\images\\store", eng->data_root);
  img_layer_id = store_layer_id;
  err = svc_layer_import_open(&eng->layer_import, e);
  if (err != WCTR_OK) goto done;
  const img_importer *importer = svc_layer_import_importer(eng->layer_import);
  if (opt->test_layer_import) {
    importer = img_importer_test();
    wctr_log(WCTR_LOG_WARN, "TEST MODE: pulled and loaded layers are unpacked by a test double that writes plain "
                            "folders (--test-layer-import); containers cannot run from them on a real host");
  }
  img_store_options store_opt = {.root = store_dir, .importer = importer};
  err = img_store_open(&store_opt, &eng->store, e);
  if (err != WCTR_OK) goto done;
  err = img_http_open("wctr/" WCTR_VERSION, &eng->http, e);
  if (err != WCTR_OK) goto done;
  char owner[HCS_OWNER_SIZE];
  hcs_owner_for_data_root(eng->data_root, owner);
  err = svc_networks_open_hns(eng->data_root, owner, &eng->networks, e);
  if (err != WCTR_OK) goto done;
  eng->hooks = (svc_hooks){.data_root = eng->data_root, .images = eng->images, .image_service = &eng->image_service,
                           .networks = eng->networks, .volume_dacl_unread = opt->test_volume_dacl_unread};
  if (opt->test_volume_dacl_unread) {
    wctr_log(WCTR_LOG_WARN, "TEST MODE: a new volume's DACL is applied and not read back (--test-volume-dacl-unread)");
  }
  eng->image_service = (svc_image_service){.ioc = eng->ioc, .store = eng->store, .transport = img_http_transport(eng->http),
                                           .insecure = (const char *const *)eng->cfg.insecure,
                                           .legacy = svc_hooks_image_legacy(&eng->hooks), .used = svc_manager_image_in_use,
                                           .trust = eng->cfg.image_trust, .audit = trust_audit};
  snprintf(eng->image_service.host_os_version, sizeof eng->image_service.host_os_version, "%s", facts.os_version);
  int cpus = (int)GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  svc_manager_options mo = {.ioc = eng->ioc, .data_root = eng->data_root, .server_sku = facts.server_sku,
                            .host_cpus = cpus > 0 ? cpus : 1, .host_os_version = facts.os_version,
                            .open_job = rt_job_open, .open_hcs = rt_hcs_open,
                            .host = svc_hooks_runtime(&eng->hooks), .hooks = svc_hooks_manager(&eng->hooks)};
  err = svc_manager_start(&mo, &eng->manager, e);
  if (err != WCTR_OK) goto done;
  eng->hooks.manager = eng->manager;
  eng->image_service.used_ctx = eng->manager;
  eng->image_service.event = svc_manager_emit_image;
  eng->image_service.event_ctx = eng->manager;
  /* A network's containers are the manager's; its default exists from the start, as dockerd's does. */
  svc_networks_set_records(eng->networks, manager_records, eng->manager);
  svc_networks_set_events(eng->networks, svc_manager_emit_network, eng->manager);
  svc_networks_ensure_default(eng->networks);
  err = svc_credspecs_open(eng->data_root, &eng->credspecs, e);
  if (err != WCTR_OK) goto done;
  /* Before the pipe opens: no plaintext of a container that is not running survives a crash. */
  svc_secrets_sweep(svc_manager_running, eng->manager);
  eng->system = (svc_system_host){.ctx = eng, .host_facts = host_facts, .pipe_sddl = pipe_sddl,
                                  .data_root = eng->data_root, .pipe_path = eng->cfg.pipe_path};
  eng->security = (svc_security_host){.ioc = eng->ioc, .data_root = eng->data_root, .manager = eng->manager,
                                      .allow_unencrypted_secrets = eng->cfg.allow_unencrypted_secrets,
                                      .host_facts = host_facts, .pipe_sddl = pipe_sddl, .image_trust = image_trust,
                                      .ctx = eng};
  err = svc_ops_new(eng->ioc, audit_sink, eng, &eng->ops, e);
  if (err != WCTR_OK) goto done;
  size_t count = 0;
  const svc_op *table = svc_system_ops(&count);
  err = svc_ops_add(eng->ops, table, count, &eng->system, e);
  if (err == WCTR_OK) {
    table = svc_manager_ops(&count);
    err = svc_ops_add(eng->ops, table, count, eng->manager, e);
  }
  if (err == WCTR_OK) {
    table = svc_manager_volume_ops(&count);
    err = svc_ops_add(eng->ops, table, count, eng->manager, e);
  }
  if (err == WCTR_OK) {
    table = svc_image_ops(&count);
    err = svc_ops_add(eng->ops, table, count, &eng->image_service, e);
  }
  if (err == WCTR_OK) {
    table = svc_networks_ops(&count);
    err = svc_ops_add(eng->ops, table, count, eng->networks, e);
  }
  if (err == WCTR_OK) {
    table = svc_credspecs_ops(eng->credspecs, &count); /* each op carries the store */
    err = svc_ops_add(eng->ops, table, count, NULL, e);
  }
  if (err == WCTR_OK) {
    table = svc_security_ops(&count);
    err = svc_ops_add(eng->ops, table, count, &eng->security, e);
  }
  if (err != WCTR_OK) goto done;
  svc_server_options so = {.pipe_path = eng->cfg.pipe_path, .sddl = eng->pipe_sddl, .ioc = eng->ioc,
                           .api = {.ioc = eng->ioc, .ops = eng->ops}};
  err = svc_server_start(&so, &eng->server, e);
  if (err != WCTR_OK) goto done;
  if (eng->cfg.docker_api_count > 0) {
    err = start_engine_api(eng, &facts, e);
    if (err != WCTR_OK) goto done;
  }
  wctr_log(WCTR_LOG_INFO, "wctrd %s listening on %s (data root %s, pipe DACL %s)", WCTR_VERSION,
           eng->cfg.pipe_path, eng->data_root, eng->pipe_sddl);
done:
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "wctrd cannot start: %s", e != NULL ? e->text : wctr_strerror(err));
    svc_engine_stop(eng);
    return err;
  }
  *out = eng;
  return WCTR_OK;
}

void svc_engine_stop(svc_engine *eng) {
  if (eng == NULL) return;
  /* The pipe first (no new requests; running operations get on_close), then the containers, then the
   * operations still finishing (they write the audit trail), then the core that ran them all. */
  svc_http_server_stop(eng->api_server, STOP_TIMEOUT_MS);
  svc_server_stop(eng->server, STOP_TIMEOUT_MS);
  svc_manager_stop(eng->manager);
  svc_ops_free(eng->ops);
  svc_engine_api_free(eng->api);
  if (eng->token_path[0] != '\0') svc_engine_api_token_remove(eng->token_path);
  wctr_ioc_stop(eng->ioc); /* pulls and saves on the pool finish before the store goes */
  img_http_close(eng->http);
  img_store_close(eng->store);
  svc_layer_import_close(eng->layer_import);
  svc_images_close(eng->images);
  svc_networks_close(eng->networks);
  if (eng->audit_open) svc_audit_close();
  svc_credspecs_close(eng->credspecs);
  if (eng->server != NULL) wctr_log(WCTR_LOG_INFO, "wctrd stopped");
  wctr_log_configure(eng->cfg.log_level, NULL, NULL);
  if (eng->log_file != INVALID_HANDLE_VALUE) CloseHandle(eng->log_file);
  free(eng->pipe_sddl);
  svc_config_free(&eng->cfg);
  free(eng);
}
