/* tests/hcs_double/hcsd_system_win.c - compute systems of the HCS double: create, open, the state
 * machine (Created -> Running <-> Paused -> Stopped), properties, modify, callbacks, persistence.
 *
 * Like HCS, a call that takes an operation reports what went wrong with the document or the state
 * through the operation (the call itself returns S_OK once the operation is accepted); only bad
 * arguments (NULL pointers, handles) fail the call. A system lives until it is stopped and its last
 * handle is closed; a running system whose handles are all closed lives on (in state.json too), so
 * that a restarted client can open it again, as with the real service. */
#include "hcsd_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_validate.h"

hcsd_sys *g_systems;
hcsd_sysh *g_syshandles;

static const char *const state_names[] = {"Creating", "Failed", "Created", "Running", "Paused", "Stopped"};

/* System property types of PropertyQuery (SchemaReference.md System_PropertyType, with the ones
 * hcsshim's PropertyType adds); the double emulates Statistics, ProcessList,
 * TerminateOnLastHandleClosed and SystemGUID and says E_NOTIMPL for the rest. */
static const char *const system_property_types[] = {
    "Memory", "GuestMemory", "Statistics", "ProcessList", "TerminateOnLastHandleClosed", "SharedMemoryRegion",
    "GuestConnection", "ICHeartbeatStatus", "ProcessorTopology", "CpuGroup", "SystemGUID", NULL,
};

static char *dup_string(const char *s) {
  char *d = _strdup(s);
  if (d == NULL) hcsd_oom();
  return d;
}

static wchar_t *dup_wide(const wchar_t *s) {
  wchar_t *d = _wcsdup(s);
  if (d == NULL) hcsd_oom();
  return d;
}

/* ---- systems and handles ---- */

hcsd_sysh *hcsd_sysh_find(HCS_SYSTEM handle) {
  uintptr_t v = (uintptr_t)handle;
  if ((v & 0xf) != HK_SYSTEM) return NULL;
  for (hcsd_sysh *h = g_syshandles; h != NULL; h = h->next) {
    if (h->value == v) return h;
  }
  return NULL;
}

void hcsd_sys_ref(hcsd_sys *sys) {
  sys->refs++;
}

void hcsd_sys_unref_locked(hcsd_sys *sys) {
  if (--sys->refs > 0) return;
  if (sys->job != NULL) CloseHandle(sys->job);
  cJSON_Delete(sys->config);
  cJSON_Delete(sys->guest);
  free(sys->id);
  free(sys->owner);
  free(sys->hosting_id);
  free(sys);
}

static hcsd_sys *sys_new(const char *id) {
  hcsd_sys *sys = calloc(1, sizeof *sys);
  if (sys == NULL) hcsd_oom();
  sys->id = dup_string(id);
  sys->state = SYS_CREATING;
  return sys;
}

static hcsd_sysh *sysh_new_locked(hcsd_sys *sys) {
  hcsd_sysh *h = calloc(1, sizeof *h);
  if (h == NULL) hcsd_oom();
  h->value = hcsd_new_handle(HK_SYSTEM);
  h->sys = sys;
  hcsd_sys_ref(sys);
  sys->handles++;
  h->next = g_syshandles;
  g_syshandles = h;
  return h;
}

static void sysh_unlink_locked(hcsd_sysh *h) {
  for (hcsd_sysh **p = &g_syshandles; *p != NULL; p = &(*p)->next) {
    if (*p == h) {
      *p = h->next;
      return;
    }
  }
}

void hcsd_sysh_release_locked(hcsd_sysh *h) {
  hcsd_sys_unref_locked(h->sys);
  free(h);
}

static cJSON *sys_record(const hcsd_sys *sys) {
  cJSON *r = cJSON_CreateObject();
  if (r == NULL) hcsd_oom();
  cJSON_AddStringToObject(r, "Id", sys->id);
  cJSON_AddStringToObject(r, "State", state_names[sys->state]);
  cJSON_AddStringToObject(r, "Owner", sys->owner);
  cJSON_AddStringToObject(r, "SystemType", sys->is_vm ? "VirtualMachine" : "Container");
  if (sys->hosting_id != NULL) cJSON_AddStringToObject(r, "HostingSystemId", sys->hosting_id);
  cJSON_AddStringToObject(r, "RuntimeId", sys->runtime_id);
  if (sys->exit_type != NULL) {
    cJSON_AddStringToObject(r, "ExitType", sys->exit_type);
    cJSON_AddNumberToObject(r, "ExitStatus", (double)(int32_t)sys->exit_status);
  }
  cJSON_AddBoolToObject(r, "TerminateOnLastHandleClosed", sys->terminate_on_last_close);
  ULARGE_INTEGER started;
  started.LowPart = sys->started.dwLowDateTime;
  started.HighPart = sys->started.dwHighDateTime;
  cJSON_AddNumberToObject(r, "Started100ns", (double)started.QuadPart);
  cJSON_AddNumberToObject(r, "HolderPid", (double)sys->holder_pid);
  cJSON_AddNumberToObject(r, "HolderStart", (double)sys->holder_start);
  if (sys->is_vm) {
    cJSON_AddBoolToObject(r, "GuestConnection", sys->guest_connection);
    cJSON *guest = sys->guest != NULL ? cJSON_Duplicate(sys->guest, 1) : cJSON_CreateObject();
    if (guest == NULL) hcsd_oom();
    cJSON_AddItemToObject(r, "Guest", guest);
  }
  cJSON *config = cJSON_Duplicate(sys->config, 1);
  if (config == NULL) hcsd_oom();
  cJSON_AddItemToObject(r, "Configuration", config);
  return r;
}

/* The creation time of the current process (100 ns units), to tell a holder from a later process that got
 * its pid. */
static unsigned long long process_start(HANDLE process) {
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes(process, &created, &exited, &kernel, &user)) return 0;
  ULARGE_INTEGER u;
  u.LowPart = created.dwLowDateTime;
  u.HighPart = created.dwHighDateTime;
  return u.QuadPart;
}

/* This process holds sys's handles now (create and open). */
static void hold_locked(hcsd_sys *sys) {
  sys->holder_pid = GetCurrentProcessId();
  sys->holder_start = process_start(GetCurrentProcess());
}

/* Is the process that held the record's handles still running? */
static bool holder_alive(const cJSON *r) {
  const cJSON *pid = cJSON_GetObjectItemCaseSensitive(r, "HolderPid");
  const cJSON *start = cJSON_GetObjectItemCaseSensitive(r, "HolderStart");
  if (!cJSON_IsNumber(pid) || pid->valuedouble <= 0) return true; /* not recorded: assume so */
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid->valuedouble);
  if (h == NULL) return false;
  DWORD code = 0;
  bool alive = GetExitCodeProcess(h, &code) && code == STILL_ACTIVE;
  if (alive && cJSON_IsNumber(start) && start->valuedouble > 0 &&
      (double)process_start(h) != start->valuedouble) {
    alive = false; /* another process got the pid */
  }
  CloseHandle(h);
  return alive;
}

void hcsd_sys_persist_locked(hcsd_sys *sys) {
  if (!sys->listed) {
    hcsd_store_remove("Systems", sys->id);
    return;
  }
  cJSON *r = sys_record(sys);
  hcsd_store_put("Systems", r);
  cJSON_Delete(r);
}

static const char *exit_type_name(const char *name) {
  static const char *const types[] = {"GracefulExit", "ForcedExit", "UnexpectedExit", "Unknown", "None"};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (name != NULL && strcmp(name, types[i]) == 0) return types[i];
  }
  return "Unknown";
}

/* A system from its state.json record (a client before us made it), listed. NULL when the record
 * is not one the double wrote. */
static hcsd_sys *sys_from_record(const cJSON *r) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "Id");
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(r, "State");
  const cJSON *owner = cJSON_GetObjectItemCaseSensitive(r, "Owner");
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "SystemType");
  const cJSON *runtime = cJSON_GetObjectItemCaseSensitive(r, "RuntimeId");
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(r, "Configuration");
  if (!cJSON_IsString(id) || !cJSON_IsString(state) || !cJSON_IsString(owner) || !cJSON_IsString(type) ||
      !cJSON_IsString(runtime) || strlen(runtime->valuestring) != 36 || !cJSON_IsObject(config)) {
    return NULL;
  }
  hcsd_sys_state st = SYS_CREATED;
  for (int i = SYS_CREATED; i <= SYS_STOPPED; i++) {
    if (strcmp(state->valuestring, state_names[i]) == 0) st = (hcsd_sys_state)i;
  }
  hcsd_sys *sys = sys_new(id->valuestring);
  sys->state = st;
  sys->owner = dup_string(owner->valuestring);
  sys->is_vm = strcmp(type->valuestring, "VirtualMachine") == 0;
  const cJSON *hosting = cJSON_GetObjectItemCaseSensitive(r, "HostingSystemId");
  if (cJSON_IsString(hosting)) sys->hosting_id = dup_string(hosting->valuestring);
  memcpy(sys->runtime_id, runtime->valuestring, 37);
  const cJSON *exit_type = cJSON_GetObjectItemCaseSensitive(r, "ExitType");
  if (cJSON_IsString(exit_type)) sys->exit_type = exit_type_name(exit_type->valuestring);
  const cJSON *exit_status = cJSON_GetObjectItemCaseSensitive(r, "ExitStatus");
  if (cJSON_IsNumber(exit_status)) sys->exit_status = (HRESULT)(int32_t)exit_status->valuedouble;
  sys->terminate_on_last_close = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "TerminateOnLastHandleClosed"));
  const cJSON *started = cJSON_GetObjectItemCaseSensitive(r, "Started100ns");
  if (cJSON_IsNumber(started)) {
    ULARGE_INTEGER u;
    u.QuadPart = (ULONGLONG)started->valuedouble;
    sys->started.dwLowDateTime = u.LowPart;
    sys->started.dwHighDateTime = u.HighPart;
  }
  sys->config = cJSON_Duplicate(config, 1);
  if (sys->config == NULL) hcsd_oom();
  const cJSON *holder = cJSON_GetObjectItemCaseSensitive(r, "HolderPid");
  const cJSON *holder_start = cJSON_GetObjectItemCaseSensitive(r, "HolderStart");
  if (cJSON_IsNumber(holder)) sys->holder_pid = (DWORD)holder->valuedouble;
  if (cJSON_IsNumber(holder_start)) sys->holder_start = (unsigned long long)holder_start->valuedouble;
  sys->guest_connection = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "GuestConnection"));
  const cJSON *guest = cJSON_GetObjectItemCaseSensitive(r, "Guest");
  if (cJSON_IsObject(guest)) {
    sys->guest = cJSON_Duplicate(guest, 1);
    if (sys->guest == NULL) hcsd_oom();
  }
  sys->listed = true;
  hcsd_sys_ref(sys);
  sys->next = g_systems;
  g_systems = sys;
  return sys;
}

/* A system loaded from state.json whose holder is gone while ShouldTerminateOnLastHandleClosed was set:
 * its processes are killed and it leaves the table and state.json. */
static void end_orphan_locked(hcsd_sys *sys) {
  HANDLE job = hcsd_sys_job_locked(sys, false);
  if (job != NULL) TerminateJobObject(job, HCSD_EXIT_TERMINATED);
  sys->state = SYS_STOPPED;
  sys->exit_type = "ForcedExit";
  for (hcsd_sys **p = &g_systems; *p != NULL; p = &(*p)->next) {
    if (*p == sys) {
      *p = sys->next;
      break;
    }
  }
  sys->listed = false;
  hcsd_sys_persist_locked(sys);
  hcsd_sys_unref_locked(sys);
}

/* The system called id: in memory, or from state.json. With g_core_lock held.
 *
 * A record left Stopped by another process is gone: that process's handles closed when it ended, and
 * HCS removes a stopped system once no handle is left (the double does not share systems between
 * processes running at the same time, only between one and its successor). */
static hcsd_sys *lookup_locked(const char *id) {
  for (hcsd_sys *s = g_systems; s != NULL; s = s->next) {
    if (hcsd_id_equal(s->id, id)) return s;
  }
  cJSON *r = hcsd_store_get("Systems", id);
  if (r == NULL) return NULL;
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(r, "State");
  hcsd_sys *sys = NULL;
  if (cJSON_IsString(state) && strcmp(state->valuestring, "Stopped") == 0) {
    hcsd_store_remove("Systems", id);
  } else {
    sys = sys_from_record(r);
    if (sys != NULL && sys->terminate_on_last_close && !holder_alive(r)) {
      /* Its holder died with the handles open: HCS closed them and, as the document asked, terminated the
       * system and everything in it. */
      end_orphan_locked(sys);
      sys = NULL;
    }
  }
  cJSON_Delete(r);
  return sys;
}

/* A stopped system nobody holds a handle to is gone, from memory and from state.json. */
static void maybe_remove_locked(hcsd_sys *sys) {
  if (!sys->listed || sys->state != SYS_STOPPED || sys->handles > 0) return;
  for (hcsd_sys **p = &g_systems; *p != NULL; p = &(*p)->next) {
    if (*p == sys) {
      *p = sys->next;
      break;
    }
  }
  sys->listed = false;
  hcsd_sys_persist_locked(sys);
  hcsd_sys_unref_locked(sys);
}

HRESULT hcsd_sys_usable(const hcsd_sys *sys, char *detail, size_t detail_size) {
  if (sys->state == SYS_CREATING) {
    snprintf(detail, detail_size, "compute system \"%s\": its creation has not completed", sys->id);
    return HCS_E_INVALID_STATE;
  }
  if (sys->state == SYS_FAILED) {
    snprintf(detail, detail_size, "compute system \"%s\": its creation failed", sys->id);
    return HCS_E_SYSTEM_NOT_FOUND;
  }
  return S_OK;
}

HANDLE hcsd_sys_job_locked(hcsd_sys *sys, bool create) {
  if (sys->job != NULL) return sys->job;
  /* Named after the state folder and the id, so that after a restart the processes a previous
   * client started are found again (a job lives as long as a process in it). */
  char key[MAX_PATH * 3 + 200];
  char *dir = hcsd_utf8(hcsd_state_dir(), NULL);
  snprintf(key, sizeof key, "%s|%s", dir != NULL ? dir : "", sys->id);
  free(dir);
  for (char *p = key; *p != '\0'; p++) {
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  }
  wchar_t name[80];
  swprintf(name, ARRAYSIZE(name), L"Local\\wctr-hcs-double-job-%016llx", hcsd_hash(key, strlen(key), 0));
  sys->job = create ? CreateJobObjectW(NULL, name) : OpenJobObjectW(JOB_OBJECT_ALL_ACCESS, FALSE, name);
  return sys->job;
}

void hcsd_sys_exit_data(const hcsd_sys *sys, char *out, size_t out_size) {
  snprintf(out, out_size, "{\"Status\":%ld,\"ExitType\":\"%s\"}", (long)(int32_t)sys->exit_status,
           sys->exit_type != NULL ? sys->exit_type : "Unknown");
}

static HRESULT stop_system_as(hcsd_sys *sys, bool graceful, bool crash, char *detail, size_t detail_size);

static HRESULT stop_system(hcsd_sys *sys, bool graceful, char *detail, size_t detail_size) {
  return stop_system_as(sys, graceful, false, detail, detail_size);
}

static DWORD WINAPI crash_main(LPVOID arg) {
  char *id = arg;
  hcsd_sys *sys = NULL;
  AcquireSRWLockExclusive(&g_core_lock);
  for (hcsd_sys *s = g_systems; s != NULL && sys == NULL; s = s->next) {
    if (hcsd_id_equal(s->id, id) && s->state != SYS_STOPPED) sys = s;
  }
  if (sys != NULL) hcsd_sys_ref(sys);
  ReleaseSRWLockExclusive(&g_core_lock);
  if (sys != NULL) {
    char detail[300];
    stop_system_as(sys, false, true, detail, sizeof detail);
    AcquireSRWLockExclusive(&g_core_lock);
    hcsd_sys_unref_locked(sys);
    ReleaseSRWLockExclusive(&g_core_lock);
  }
  free(id);
  return 0;
}

void hcsd_sys_crash(const char *id) {
  char *copy = _strdup(id);
  HANDLE t = copy != NULL ? CreateThread(NULL, 0, crash_main, copy, 0, NULL) : NULL;
  if (t != NULL) {
    CloseHandle(t);
  } else {
    free(copy);
  }
}

void hcsd_sys_unload(void) {
  for (hcsd_sys *s = g_systems; s != NULL; s = s->next) {
    if (s->job != NULL) CloseHandle(s->job);
    s->job = NULL;
  }
}

static void post_exit_locked(hcsd_sys *sys) {
  char data[120];
  hcsd_sys_exit_data(sys, data, sizeof data);
  hcsd_sys_event_locked(sys, HcsEventSystemExited, data);
}

/* Stops sys (and, for a utility VM, the containers it hosts, which lose their guest): ends every
 * process, then marks it Stopped and raises SystemExited. Without g_core_lock. */
static HRESULT stop_system_as(hcsd_sys *sys, bool graceful, bool crash, char *detail, size_t detail_size) {
  hcsd_sys *hosted[64];
  size_t n = 0;
  AcquireSRWLockExclusive(&g_core_lock);
  HRESULT hr = hcsd_sys_usable(sys, detail, detail_size);
  if (SUCCEEDED(hr) && sys->state == SYS_STOPPED) {
    snprintf(detail, detail_size, "compute system \"%s\" has already stopped (%s)", sys->id,
             sys->exit_type != NULL ? sys->exit_type : "Unknown");
    hr = HCS_E_SYSTEM_ALREADY_STOPPED;
  } else if (SUCCEEDED(hr) && graceful && sys->state == SYS_CREATED) {
    snprintf(detail, detail_size, "compute system \"%s\" is Created: there is nothing to shut down (terminate it)",
             sys->id);
    hr = HCS_E_INVALID_STATE;
  }
  if (FAILED(hr)) {
    ReleaseSRWLockExclusive(&g_core_lock);
    return hr;
  }
  if (sys->is_vm) {
    for (hcsd_sys *s = g_systems; s != NULL && n < sizeof hosted / sizeof hosted[0]; s = s->next) {
      if (s->hosting_id != NULL && hcsd_id_equal(s->hosting_id, sys->id) && s->state != SYS_STOPPED) {
        hcsd_sys_ref(s);
        hosted[n++] = s;
      }
    }
  }
  ReleaseSRWLockExclusive(&g_core_lock);

  UINT code = graceful ? HCSD_EXIT_SIGNALED : HCSD_EXIT_TERMINATED;
  for (size_t i = 0; i < n; i++) hcsd_sys_end_processes(hosted[i], HCSD_EXIT_TERMINATED);
  hcsd_sys_end_processes(sys, code);

  AcquireSRWLockExclusive(&g_core_lock);
  for (size_t i = 0; i < n; i++) {
    if (hosted[i]->state != SYS_STOPPED) {
      hosted[i]->state = SYS_STOPPED;
      hosted[i]->exit_type = "UnexpectedExit";
      hosted[i]->exit_status = HCS_E_UNEXPECTED_EXIT;
      post_exit_locked(hosted[i]);
      hcsd_sys_persist_locked(hosted[i]);
      maybe_remove_locked(hosted[i]);
    }
    hcsd_sys_unref_locked(hosted[i]);
  }
  if (sys->state == SYS_STOPPED) {
    /* Another stop won the race while the processes were ending. */
    snprintf(detail, detail_size, "compute system \"%s\" has already stopped", sys->id);
    hr = HCS_E_SYSTEM_ALREADY_STOPPED;
  } else {
    sys->state = SYS_STOPPED;
    sys->exit_type = crash ? "UnexpectedExit" : graceful ? "GracefulExit" : "ForcedExit";
    sys->exit_status = crash ? HCS_E_UNEXPECTED_EXIT : S_OK;
    post_exit_locked(sys);
    hcsd_sys_persist_locked(sys);
    maybe_remove_locked(sys);
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

/* ---- option strings ---- */

/* NULL and "" are "no options" (hcsshim passes ""); anything else must be a document of type
 * (NULL: the call takes none). */
static HRESULT check_options(const wchar_t *options, const char *type, const char *call, char *detail,
                             size_t detail_size) {
  if (options == NULL || options[0] == L'\0') return S_OK;
  if (type == NULL) {
    snprintf(detail, detail_size, "%s options: the call takes no options (pass NULL)", call);
    return E_INVALIDARG;
  }
  bool valid;
  char *text = hcsd_utf8(options, &valid);
  if (!valid) {
    snprintf(detail, detail_size, "%s: not valid UTF-16", type);
    return HCS_E_INVALID_JSON;
  }
  cJSON *doc = hv_parse(text, type, detail, detail_size);
  free(text);
  bool ok = doc != NULL && hv_check_type(doc, type, type, detail, detail_size);
  cJSON_Delete(doc);
  return ok ? S_OK : HCS_E_INVALID_JSON;
}

/* Parses a call's document; HCS_E_INVALID_JSON with the reason when it is not JSON. */
static HRESULT parse_document(const wchar_t *text, const char *what, cJSON **out, char *detail,
                              size_t detail_size) {
  bool valid;
  char *utf8 = hcsd_utf8(text, &valid);
  if (!valid) {
    snprintf(detail, detail_size, "%s: not valid UTF-16", what);
    return HCS_E_INVALID_JSON;
  }
  *out = hv_parse(utf8, what, detail, detail_size);
  free(utf8);
  return *out != NULL ? S_OK : HCS_E_INVALID_JSON;
}

/* ---- the calls' work ---- */

static HRESULT create_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  hcsd_sys *sys = w->sys;
  cJSON *doc = NULL;
  hv_system_kind kind = HV_SYSTEM_CONTAINER;
  HRESULT hr = parse_document(w->text, "ComputeSystem", &doc, detail, detail_size);
  if (SUCCEEDED(hr) && !hv_check_compute_system(doc, &kind, detail, detail_size)) hr = HCS_E_INVALID_JSON;
  if (SUCCEEDED(hr)) {
    int32_t rule = hv_check_system_rules(doc, kind, detail, detail_size);
    if (rule != 0) hr = (HRESULT)rule;
  }
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_sys *existing = SUCCEEDED(hr) ? lookup_locked(sys->id) : NULL;
  if (existing != NULL) {
    snprintf(detail, detail_size, "compute system \"%s\" already exists (%s)", existing->id,
             state_names[existing->state]);
    hr = HCS_E_SYSTEM_ALREADY_EXISTS;
  }
  const char *hosting = SUCCEEDED(hr) && kind == HV_SYSTEM_HOSTED
                            ? cJSON_GetObjectItemCaseSensitive(doc, "HostingSystemId")->valuestring
                            : NULL;
  hcsd_sys *host = NULL;
  if (SUCCEEDED(hr) && hosting != NULL) {
    host = lookup_locked(hosting);
    if (host == NULL) {
      snprintf(detail, detail_size, "ComputeSystem.HostingSystemId: no compute system \"%s\"", hosting);
      hr = HCS_E_SYSTEM_NOT_FOUND;
    } else if (!host->is_vm) {
      snprintf(detail, detail_size, "ComputeSystem.HostingSystemId: \"%s\" is a container, not a virtual machine",
               hosting);
      hr = E_INVALIDARG;
    } else if (host->state != SYS_RUNNING) {
      snprintf(detail, detail_size, "ComputeSystem.HostingSystemId: \"%s\" is %s, not Running", hosting,
               state_names[host->state]);
      hr = HCS_E_INVALID_STATE;
    }
  }
  /* What a host checks beyond the shape: storage, disks, the guest (hcsd_guest_win.c). */
  if (SUCCEEDED(hr)) hr = hcsd_check_new_system_locked(sys, doc, kind, host, detail, detail_size);
  if (FAILED(hr)) {
    sys->state = SYS_FAILED;
    ReleaseSRWLockExclusive(&g_core_lock);
    cJSON_Delete(doc);
    return hr;
  }
  hold_locked(sys);
  sys->owner = dup_string(cJSON_GetObjectItemCaseSensitive(doc, "Owner")->valuestring);
  sys->is_vm = kind == HV_SYSTEM_VM;
  sys->hosting_id = hosting != NULL ? dup_string(hosting) : NULL;
  sys->terminate_on_last_close = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "ShouldTerminateOnLastHandleClosed"));
  hcsd_new_guid(sys->runtime_id);
  sys->config = doc;
  sys->state = SYS_CREATED;
  sys->listed = true;
  hcsd_sys_ref(sys);
  sys->next = g_systems;
  g_systems = sys;
  hcsd_sys_persist_locked(sys);
  ReleaseSRWLockExclusive(&g_core_lock);
  return S_OK;
}

static HRESULT start_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  hcsd_sys *sys = w->sys;
  HRESULT hr = check_options(w->text, "StartOptions", "HcsStartComputeSystem", detail, detail_size);
  if (FAILED(hr)) return hr;
  AcquireSRWLockExclusive(&g_core_lock);
  hr = hcsd_sys_usable(sys, detail, detail_size);
  if (SUCCEEDED(hr) && sys->state != SYS_CREATED) {
    snprintf(detail, detail_size, "compute system \"%s\" is %s; only a Created system can start%s", sys->id,
             state_names[sys->state], sys->state == SYS_STOPPED ? " (a stopped system cannot start again)" : "");
    hr = HCS_E_INVALID_STATE;
  }
  if (SUCCEEDED(hr) && sys->hosting_id != NULL) {
    hcsd_sys *host = lookup_locked(sys->hosting_id);
    if (host == NULL || host->state != SYS_RUNNING) {
      snprintf(detail, detail_size, "compute system \"%s\": its hosting system \"%s\" is not running", sys->id,
               sys->hosting_id);
      hr = HCS_E_INVALID_STATE;
    }
  }
  if (SUCCEEDED(hr) && hcsd_sys_job_locked(sys, true) == NULL) {
    hr = HRESULT_FROM_WIN32(GetLastError());
    snprintf(detail, detail_size, "compute system \"%s\": CreateJobObjectW failed", sys->id);
  }
  if (SUCCEEDED(hr)) {
    sys->state = SYS_RUNNING;
    GetSystemTimeAsFileTime(&sys->started);
    hcsd_sys_persist_locked(sys);
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

static HRESULT stop_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  bool graceful = w->arg != 0;
  HRESULT hr = check_options(w->text, NULL, graceful ? "HcsShutDownComputeSystem" : "HcsTerminateComputeSystem",
                             detail, detail_size);
  if (FAILED(hr)) return hr;
  return stop_system(w->sys, graceful, detail, detail_size);
}

static HRESULT pause_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  hcsd_sys *sys = w->sys;
  bool pause = w->arg != 0;
  HRESULT hr = check_options(w->text, pause ? "PauseOptions" : NULL,
                             pause ? "HcsPauseComputeSystem" : "HcsResumeComputeSystem", detail, detail_size);
  if (FAILED(hr)) return hr;
  AcquireSRWLockExclusive(&g_core_lock);
  hr = hcsd_sys_usable(sys, detail, detail_size);
  hcsd_sys_state from = pause ? SYS_RUNNING : SYS_PAUSED;
  if (SUCCEEDED(hr) && sys->state != from) {
    snprintf(detail, detail_size, "compute system \"%s\" is %s; only a %s system can be %s", sys->id,
             state_names[sys->state], state_names[from], pause ? "paused" : "resumed");
    hr = HCS_E_INVALID_STATE;
  }
  /* A utility VM's pause stops its virtual processors: what runs in the containers it hosts stops with it. */
  hcsd_sys *hosted[64];
  size_t n = 0;
  if (SUCCEEDED(hr) && sys->is_vm) {
    for (hcsd_sys *s = g_systems; s != NULL && n < sizeof hosted / sizeof hosted[0]; s = s->next) {
      if (s->hosting_id != NULL && hcsd_id_equal(s->hosting_id, sys->id) && s->state == SYS_RUNNING) {
        hcsd_sys_ref(s);
        hosted[n++] = s;
      }
    }
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  if (SUCCEEDED(hr)) hr = hcsd_sys_suspend(sys, pause, detail, detail_size);
  for (size_t i = 0; SUCCEEDED(hr) && i < n; i++) hr = hcsd_sys_suspend(hosted[i], pause, detail, detail_size);
  if (n > 0) {
    AcquireSRWLockExclusive(&g_core_lock);
    for (size_t i = 0; i < n; i++) hcsd_sys_unref_locked(hosted[i]);
    ReleaseSRWLockExclusive(&g_core_lock);
  }
  if (SUCCEEDED(hr)) {
    AcquireSRWLockExclusive(&g_core_lock);
    if (sys->state == from) {
      sys->state = pause ? SYS_PAUSED : SYS_RUNNING;
      hcsd_sys_persist_locked(sys);
    }
    ReleaseSRWLockExclusive(&g_core_lock);
  }
  return hr;
}

static cJSON *basic_properties_locked(const hcsd_sys *sys) {
  cJSON *p = cJSON_CreateObject();
  if (p == NULL) hcsd_oom();
  cJSON_AddStringToObject(p, "Id", sys->id);
  cJSON_AddStringToObject(p, "SystemType", sys->is_vm ? "VirtualMachine" : "Container");
  cJSON_AddStringToObject(p, "RuntimeOsType", "Windows");
  cJSON_AddStringToObject(p, "Owner", sys->owner);
  cJSON_AddStringToObject(p, "RuntimeId", sys->runtime_id);
  cJSON_AddStringToObject(p, "State", state_names[sys->state]);
  cJSON_AddBoolToObject(p, "Stopped", sys->state == SYS_STOPPED);
  if (sys->exit_type != NULL) cJSON_AddStringToObject(p, "ExitType", sys->exit_type);
  if (sys->hosting_id != NULL) cJSON_AddStringToObject(p, "HostingSystemId", sys->hosting_id);
  return p;
}

static HRESULT properties_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  hcsd_sys *sys = w->sys;
  cJSON *query = NULL;
  HRESULT hr = S_OK;
  if (w->text != NULL && w->text[0] != L'\0') {
    hr = parse_document(w->text, "PropertyQuery", &query, detail, detail_size);
    if (SUCCEEDED(hr) && !hv_check_property_query(query, system_property_types, detail, detail_size)) {
      hr = HCS_E_INVALID_JSON;
    }
  }
  const cJSON *types = query != NULL ? cJSON_GetObjectItemCaseSensitive(query, "PropertyTypes") : NULL;
  int i = 0;
  for (const cJSON *t = types != NULL ? types->child : NULL; SUCCEEDED(hr) && t != NULL; t = t->next, i++) {
    const char *name = t->valuestring;
    if (strcmp(name, "Statistics") != 0 && strcmp(name, "ProcessList") != 0 &&
        strcmp(name, "TerminateOnLastHandleClosed") != 0 && strcmp(name, "SystemGUID") != 0) {
      snprintf(detail, detail_size, "PropertyQuery.PropertyTypes[%d]: \"%s\" is not emulated by the HCS test double",
               i, name);
      hr = E_NOTIMPL;
    }
  }
  AcquireSRWLockExclusive(&g_core_lock);
  if (SUCCEEDED(hr)) hr = hcsd_sys_usable(sys, detail, detail_size);
  cJSON *props = SUCCEEDED(hr) ? basic_properties_locked(sys) : NULL;
  ReleaseSRWLockExclusive(&g_core_lock);
  for (const cJSON *t = types != NULL ? types->child : NULL; SUCCEEDED(hr) && t != NULL; t = t->next) {
    const char *name = t->valuestring;
    if (strcmp(name, "Statistics") == 0) {
      cJSON_AddItemToObject(props, "Statistics", hcsd_sys_statistics(sys));
    } else if (strcmp(name, "ProcessList") == 0) {
      cJSON_AddItemToObject(props, "ProcessList", hcsd_sys_process_list(sys));
    } else if (strcmp(name, "TerminateOnLastHandleClosed") == 0) {
      cJSON_AddBoolToObject(props, "TerminateOnLastHandleClosed", sys->terminate_on_last_close);
    } else {
      cJSON_AddStringToObject(props, "SystemGUID", sys->runtime_id);
    }
  }
  cJSON_Delete(query);
  *result = props;
  return hr;
}

static HRESULT modify_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  hcsd_sys *sys = w->sys;
  AcquireSRWLockExclusive(&g_core_lock);
  HRESULT hr = hcsd_sys_usable(sys, detail, detail_size);
  bool is_vm = sys->is_vm;
  if (SUCCEEDED(hr) && sys->state == SYS_STOPPED) {
    snprintf(detail, detail_size, "compute system \"%s\" is Stopped", sys->id);
    hr = HCS_E_INVALID_STATE;
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  if (FAILED(hr)) return hr;
  cJSON *doc = NULL;
  hr = parse_document(w->text, "ModifySettingRequest", &doc, detail, detail_size);
  if (SUCCEEDED(hr) && !hv_check_modify_setting(doc, is_vm, detail, detail_size)) hr = HCS_E_INVALID_JSON;
  /* A utility VM's disks, shares and guest change (hcsd_guest_win.c); other accepted requests have no
   * effect beyond the call log: the double applies no resource limits. */
  if (SUCCEEDED(hr) && is_vm) {
    AcquireSRWLockExclusive(&g_core_lock);
    hr = sys->state == SYS_STOPPED ? HCS_E_INVALID_STATE : hcsd_guest_modify_locked(sys, doc, detail, detail_size);
    if (sys->state == SYS_STOPPED) snprintf(detail, detail_size, "compute system \"%s\" is Stopped", sys->id);
    if (SUCCEEDED(hr)) hcsd_sys_persist_locked(sys);
    ReleaseSRWLockExclusive(&g_core_lock);
  }
  cJSON_Delete(doc);
  return hr;
}

/* ---- the exported functions ---- */

static cJSON *system_fields(HCS_SYSTEM system) {
  cJSON *f = cJSON_CreateObject();
  if (f == NULL) hcsd_oom();
  AcquireSRWLockShared(&g_core_lock);
  hcsd_sysh *h = hcsd_sysh_find(system);
  if (h != NULL) {
    cJSON_AddStringToObject(f, "id", h->sys->id);
    cJSON_AddNumberToObject(f, "system", (double)(h->value >> 4));
  } else {
    cJSON_AddStringToObject(f, "system", "(invalid handle)");
  }
  ReleaseSRWLockShared(&g_core_lock);
  return f;
}

static void add_operation(cJSON *fields, HCS_OPERATION operation) {
  AcquireSRWLockShared(&g_core_lock);
  hcsd_op *op = hcsd_op_find(operation);
  if (op != NULL) {
    cJSON_AddNumberToObject(fields, "operation", (double)op->id);
  } else {
    cJSON_AddStringToObject(fields, "operation", "(invalid handle)");
  }
  ReleaseSRWLockShared(&g_core_lock);
}

static void create_failed(hcsd_work *w, HRESULT hr, const char *detail) {
  (void)hr;
  (void)detail;
  if (w->sys->state == SYS_CREATING) w->sys->state = SYS_FAILED;
}

HRESULT WINAPI HcsCreateComputeSystem(PCWSTR id, PCWSTR configuration, HCS_OPERATION operation,
                                      const SECURITY_DESCRIPTOR *securityDescriptor, HCS_SYSTEM *computeSystem) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  hcsd_add_string(fields, "id", id);
  add_operation(fields, operation);
  hcsd_add_document(fields, "document", configuration);
  hcsd_call("HcsCreateComputeSystem", fields, &knob);
  if (computeSystem == NULL) return E_POINTER;
  *computeSystem = NULL;
  bool valid;
  char *uid = hcsd_utf8(id, &valid);
  /* The security descriptor is "reserved for future use, must be NULL". */
  if (uid == NULL || uid[0] == '\0' || configuration == NULL || securityDescriptor != NULL) {
    free(uid);
    return E_INVALIDARG;
  }
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_op *op = hcsd_op_find(operation);
  if (op == NULL) {
    ReleaseSRWLockExclusive(&g_core_lock);
    free(uid);
    return E_HANDLE;
  }
  hcsd_sys *sys = sys_new(uid);
  free(uid);
  hcsd_sysh *h = sysh_new_locked(sys);
  ReleaseSRWLockExclusive(&g_core_lock);

  hcsd_work *w = hcsd_work_new(create_work);
  w->on_failure = create_failed;
  w->sys = sys;
  hcsd_sys_ref(sys); /* under no lock: nobody else knows sys yet */
  w->text = dup_wide(configuration);
  HRESULT hr = hcsd_submit(op, HcsOperationTypeCreate, 0, false, &knob, w);
  AcquireSRWLockExclusive(&g_core_lock);
  if (FAILED(hr)) {
    sysh_unlink_locked(h);
    sys->handles--;
    hcsd_sysh_release_locked(h);
  } else {
    *computeSystem = (HCS_SYSTEM)h->value;
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

HRESULT WINAPI HcsOpenComputeSystem(PCWSTR id, DWORD requestedAccess, HCS_SYSTEM *computeSystem) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  hcsd_add_string(fields, "id", id);
  cJSON_AddNumberToObject(fields, "requestedAccess", (double)requestedAccess);
  hcsd_call("HcsOpenComputeSystem", fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (computeSystem == NULL) return E_POINTER;
  *computeSystem = NULL;
  if (FAILED(knob.fail)) return knob.fail;
  char *uid = hcsd_utf8(id, NULL);
  /* requestedAccess is "reserved for future use, must be GENERIC_ALL". */
  if (uid == NULL || uid[0] == '\0' || requestedAccess != GENERIC_ALL) {
    free(uid);
    return E_INVALIDARG;
  }
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_sys *sys = lookup_locked(uid);
  HRESULT hr = HCS_E_SYSTEM_NOT_FOUND;
  if (sys != NULL) {
    *computeSystem = (HCS_SYSTEM)sysh_new_locked(sys)->value;
    /* This process holds it now: its handles are the ones HCS closes if it dies. */
    hold_locked(sys);
    hcsd_sys_persist_locked(sys);
    hr = S_OK;
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  free(uid);
  return hr;
}

void WINAPI HcsCloseComputeSystem(HCS_SYSTEM computeSystem) {
  hcsd_knob knob;
  hcsd_call("HcsCloseComputeSystem", system_fields(computeSystem), &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_sysh *h = hcsd_sysh_find(computeSystem);
  if (h == NULL) {
    ReleaseSRWLockExclusive(&g_core_lock);
    return;
  }
  sysh_unlink_locked(h);
  hcsd_sys *sys = h->sys;
  hcsd_sys_ref(sys);
  sys->handles--;
  bool terminate = sys->handles == 0 && sys->terminate_on_last_close &&
                   (sys->state == SYS_RUNNING || sys->state == SYS_PAUSED || sys->state == SYS_CREATED);
  /* Callbacks of this handle may be running on the dispatcher: wait for them, unless this is one. */
  while (h->callbacks_running > 0 && !hcsd_on_dispatcher()) {
    SleepConditionVariableSRW(&g_core_cv, &g_core_lock, INFINITE, 0);
  }
  if (h->callbacks_running > 0) {
    h->closed = true; /* freed when the callback returns */
  } else {
    hcsd_sysh_release_locked(h);
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  if (terminate) {
    char detail[300];
    stop_system(sys, false, detail, sizeof detail);
  }
  AcquireSRWLockExclusive(&g_core_lock);
  maybe_remove_locked(sys);
  hcsd_sys_unref_locked(sys);
  ReleaseSRWLockExclusive(&g_core_lock);
}

/* The common shape of the calls that take a system and an operation. */
static HRESULT submit_system_call(const char *name, HCS_SYSTEM computeSystem, HCS_OPERATION operation,
                                  const wchar_t *document, bool document_required, HCS_OPERATION_TYPE type,
                                  hcsd_work_fn fn, int arg) {
  hcsd_knob knob;
  cJSON *fields = system_fields(computeSystem);
  add_operation(fields, operation);
  hcsd_add_document(fields, "document", document);
  hcsd_call(name, fields, &knob);
  if (document_required && document == NULL) return E_INVALIDARG;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_sysh *h = hcsd_sysh_find(computeSystem);
  hcsd_op *op = hcsd_op_find(operation);
  if (h == NULL || op == NULL) {
    ReleaseSRWLockExclusive(&g_core_lock);
    return E_HANDLE;
  }
  hcsd_work *w = hcsd_work_new(fn);
  w->sys = h->sys;
  hcsd_sys_ref(h->sys);
  w->arg = arg;
  uintptr_t target = h->value;
  bool wants_ops = h->callback != NULL && (h->options & HcsEventOptionEnableOperationCallbacks) != 0;
  ReleaseSRWLockExclusive(&g_core_lock);
  w->text = document != NULL ? dup_wide(document) : NULL;
  return hcsd_submit(op, type, target, wants_ops, &knob, w);
}

HRESULT WINAPI HcsStartComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return submit_system_call("HcsStartComputeSystem", computeSystem, operation, options, false,
                            HcsOperationTypeStart, start_work, 0);
}

HRESULT WINAPI HcsShutDownComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return submit_system_call("HcsShutDownComputeSystem", computeSystem, operation, options, false,
                            HcsOperationTypeShutdown, stop_work, 1);
}

HRESULT WINAPI HcsTerminateComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return submit_system_call("HcsTerminateComputeSystem", computeSystem, operation, options, false,
                            HcsOperationTypeTerminate, stop_work, 0);
}

HRESULT WINAPI HcsPauseComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return submit_system_call("HcsPauseComputeSystem", computeSystem, operation, options, false,
                            HcsOperationTypePause, pause_work, 1);
}

HRESULT WINAPI HcsResumeComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR options) {
  return submit_system_call("HcsResumeComputeSystem", computeSystem, operation, options, false,
                            HcsOperationTypeResume, pause_work, 0);
}

HRESULT WINAPI HcsGetComputeSystemProperties(HCS_SYSTEM computeSystem, HCS_OPERATION operation,
                                             PCWSTR propertyQuery) {
  return submit_system_call("HcsGetComputeSystemProperties", computeSystem, operation, propertyQuery, false,
                            HcsOperationTypeGetProperties, properties_work, 0);
}

HRESULT WINAPI HcsModifyComputeSystem(HCS_SYSTEM computeSystem, HCS_OPERATION operation, PCWSTR configuration,
                                      HANDLE identity) {
  (void)identity; /* an impersonation token for file access; the double opens no files here */
  return submit_system_call("HcsModifyComputeSystem", computeSystem, operation, configuration, true,
                            HcsOperationTypeModify, modify_work, 0);
}

HRESULT WINAPI HcsSetComputeSystemCallback(HCS_SYSTEM computeSystem, HCS_EVENT_OPTIONS callbackOptions,
                                           const void *context, HCS_EVENT_CALLBACK callback) {
  hcsd_knob knob;
  cJSON *fields = system_fields(computeSystem);
  cJSON_AddNumberToObject(fields, "options", (double)callbackOptions);
  cJSON_AddBoolToObject(fields, "callback", callback != NULL);
  hcsd_call("HcsSetComputeSystemCallback", fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (FAILED(knob.fail)) return knob.fail;
  unsigned known = HcsEventOptionEnableOperationCallbacks | HCSD_EVENT_OPTION_LIVE_MIGRATION;
  if (callback == NULL || ((unsigned)callbackOptions & ~known) != 0) return E_INVALIDARG;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_sysh *h = hcsd_sysh_find(computeSystem);
  HRESULT hr = S_OK;
  if (h == NULL) {
    hr = E_HANDLE;
  } else if (h->callback != NULL) {
    hr = HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET;
  } else {
    h->callback = callback;
    h->context = (void *)context;
    h->options = (unsigned)callbackOptions;
    /* A system that stopped before this callback was set (opened after it exited) still tells it. */
    if (h->sys->state == SYS_STOPPED) {
      char data[120];
      hcsd_sys_exit_data(h->sys, data, sizeof data);
      hcsd_post_event_locked(h->value, HcsEventSystemExited, data, NULL);
    }
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

/* ---- enumeration ---- */

/* Does value appear in the query's array field (no field: everything matches)? Ids and owners compare as
 * HCS compares names, without case. */
static bool query_allows(const cJSON *query, const char *field, const char *value) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(query, field);
  if (list == NULL) return true;
  const cJSON *v;
  cJSON_ArrayForEach(v, list) {
    if (value != NULL && hcsd_id_equal(v->valuestring, value)) return true;
  }
  return false;
}

static HRESULT enumerate_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  cJSON *query = NULL;
  HRESULT hr = S_OK;
  if (w->text != NULL && w->text[0] != L'\0') {
    hr = parse_document(w->text, "SystemQuery", &query, detail, detail_size);
    if (SUCCEEDED(hr) && !hv_check_system_query(query, detail, detail_size)) hr = HCS_E_INVALID_JSON;
  }
  if (FAILED(hr)) {
    cJSON_Delete(query);
    return hr;
  }
  /* Systems other processes made live in state.json: bring them in (a stopped one, or one its holder took
   * down with it, is gone on the way). */
  cJSON *records = hcsd_store_list("Systems");
  AcquireSRWLockExclusive(&g_core_lock);
  const cJSON *r;
  cJSON_ArrayForEach(r, records) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "Id");
    if (cJSON_IsString(id)) lookup_locked(id->valuestring);
  }
  cJSON *list = cJSON_CreateArray();
  if (list == NULL) hcsd_oom();
  for (hcsd_sys *s = g_systems; s != NULL; s = s->next) {
    if (!s->listed || !query_allows(query, "Ids", s->id) || !query_allows(query, "Owners", s->owner) ||
        !query_allows(query, "Types", s->is_vm ? "VirtualMachine" : "Container")) {
      continue;
    }
    cJSON_AddItemToArray(list, basic_properties_locked(s));
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  cJSON_Delete(records);
  cJSON_Delete(query);
  *result = list;
  return S_OK;
}

HRESULT WINAPI HcsEnumerateComputeSystems(PCWSTR query, HCS_OPERATION operation) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  add_operation(fields, operation);
  hcsd_add_document(fields, "document", query);
  hcsd_call("HcsEnumerateComputeSystems", fields, &knob);
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_op *op = hcsd_op_find(operation);
  ReleaseSRWLockExclusive(&g_core_lock);
  if (op == NULL) return E_HANDLE;
  hcsd_work *w = hcsd_work_new(enumerate_work);
  w->text = query != NULL ? dup_wide(query) : NULL;
  return hcsd_submit(op, HcsOperationTypeEnumerate, 0, false, &knob, w);
}
