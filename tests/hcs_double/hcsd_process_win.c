/* tests/hcs_double/hcsd_process_win.c - processes of the HCS double: real host processes started with
 * CreateProcessW in the compute system's job object, so that exit codes, standard streams and
 * "terminate kills everything" are real.
 *
 * Standard streams, when asked for, reach the client as overlapped named-pipe handles (as hcsshim
 * expects: it hands them to go-winio): the client's stdout/stderr ends are pipe servers the child
 * writes into; its stdin end feeds a relay thread that copies into the child's own pipe, so that
 * HcsModifyProcess CloseHandle StdIn gives the child end-of-file whatever the client still holds.
 *
 * What the double does not emulate (README): the user account (User, RestrictedToken: processes run
 * as the client's own user), console emulation beyond merging stderr into stdout (EmulateConsole,
 * ConsoleSize), and console control events (HcsSignalProcess ends the process with
 * STATUS_CONTROL_C_EXIT, what a console program's default handler does). */
#include "hcsd_core.h"

#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_validate.h"

hcsd_proch *g_prochandles;

/* Wine gives a child every inheritable handle of the parent, PROC_THREAD_ATTRIBUTE_HANDLE_LIST or
 * not: creating the double's processes one at a time at least keeps one child's pipe ends out of
 * another child (which would hold its stdin open). */
static SRWLOCK g_spawn_lock = SRWLOCK_INIT;
static LONG g_pipe_serial;

static wchar_t *dup_wide(const wchar_t *s) {
  wchar_t *d = _wcsdup(s);
  if (d == NULL) hcsd_oom();
  return d;
}

static void close_handle(HANDLE *h) {
  if (*h != NULL && *h != INVALID_HANDLE_VALUE) CloseHandle(*h);
  *h = NULL;
}

/* ---- processes and handles ---- */

hcsd_proch *hcsd_proch_find(HCS_PROCESS handle) {
  uintptr_t v = (uintptr_t)handle;
  if ((v & 0xf) != HK_PROCESS) return NULL;
  for (hcsd_proch *h = g_prochandles; h != NULL; h = h->next) {
    if (h->value == v) return h;
  }
  return NULL;
}

void hcsd_proc_ref(hcsd_proc *proc) {
  proc->refs++;
}

void hcsd_proc_unref_locked(hcsd_proc *proc) {
  if (--proc->refs > 0) return;
  for (hcsd_proc **p = &proc->sys->procs; *p != NULL; p = &(*p)->next) {
    if (*p == proc) {
      *p = proc->next;
      break;
    }
  }
  for (int i = 0; i < 3; i++) close_handle(&proc->caller[i]);
  for (int i = 0; i < 2; i++) close_handle(&proc->out_server[i]);
  close_handle(&proc->process);
  close_handle(&proc->stdin_stop);
  free(proc->fail_detail);
  hcsd_sys_unref_locked(proc->sys);
  free(proc);
}

static hcsd_proc *proc_new_locked(hcsd_sys *sys) {
  hcsd_proc *p = calloc(1, sizeof *p);
  if (p == NULL) hcsd_oom();
  p->sys = sys;
  hcsd_sys_ref(sys);
  p->state = PROC_CREATING;
  p->next = sys->procs;
  sys->procs = p;
  return p;
}

static hcsd_proch *proch_new_locked(hcsd_proc *proc) {
  hcsd_proch *h = calloc(1, sizeof *h);
  if (h == NULL) hcsd_oom();
  h->value = hcsd_new_handle(HK_PROCESS);
  h->proc = proc;
  hcsd_proc_ref(proc);
  proc->handles++;
  h->next = g_prochandles;
  g_prochandles = h;
  return h;
}

static void proch_unlink_locked(hcsd_proch *h) {
  for (hcsd_proch **p = &g_prochandles; *p != NULL; p = &(*p)->next) {
    if (*p == h) {
      *p = h->next;
      return;
    }
  }
}

void hcsd_proch_release_locked(hcsd_proch *h) {
  hcsd_proc_unref_locked(h->proc);
  free(h);
}

/* ---- threads: exit watcher and stdin relay ---- */

static DWORD WINAPI watcher_main(void *arg) {
  hcsd_proc *p = arg;
  WaitForSingleObject(p->process, INFINITE);
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proc_exited_locked(p);
  hcsd_proc_unref_locked(p);
  ReleaseSRWLockExclusive(&g_core_lock);
  return 0;
}

typedef struct relay {
  hcsd_proc *proc; /* referenced */
  HANDLE from;     /* server end of the client's stdin pipe, overlapped */
  HANDLE to;       /* write end of the child's stdin pipe */
  HANDLE stop;     /* the process's stdin_stop event (the proc reference keeps it open) */
} relay;

static DWORD WINAPI relay_main(void *arg) {
  relay *r = arg;
  char buf[4096];
  OVERLAPPED ov;
  HANDLE io = CreateEventW(NULL, TRUE, FALSE, NULL);
  for (bool more = io != NULL; more;) {
    memset(&ov, 0, sizeof ov);
    ov.hEvent = io;
    DWORD got = 0;
    if (!ReadFile(r->from, buf, sizeof buf, NULL, &ov) && GetLastError() != ERROR_IO_PENDING) break;
    HANDLE waits[2] = {io, r->stop};
    if (WaitForMultipleObjects(2, waits, FALSE, INFINITE) != WAIT_OBJECT_0) {
      CancelIoEx(r->from, &ov);
      GetOverlappedResult(r->from, &ov, &got, TRUE);
      break;
    }
    /* ERROR_BROKEN_PIPE: the client closed its end, which is end-of-file for the child too. */
    if (!GetOverlappedResult(r->from, &ov, &got, FALSE)) break;
    for (DWORD done = 0; more && done < got;) {
      DWORD n = 0;
      more = WriteFile(r->to, buf + done, got - done, &n, NULL) != 0;
      done += n;
    }
  }
  if (io != NULL) CloseHandle(io);
  CloseHandle(r->to); /* the child reads end-of-file */
  CloseHandle(r->from);
  AcquireSRWLockExclusive(&g_core_lock);
  r->proc->stdin_relay = false;
  WakeAllConditionVariable(&g_core_cv);
  hcsd_proc_unref_locked(r->proc);
  ReleaseSRWLockExclusive(&g_core_lock);
  free(r);
  return 0;
}

/* ---- spawning ---- */

typedef struct spawn_handles {
  HANDLE child[3];  /* inheritable: stdin, stdout, stderr of the child */
  HANDLE caller[3]; /* the client's ends */
  HANDLE out_server[2];
  HANDLE relay_from, relay_to;
} spawn_handles;

static void spawn_handles_close(spawn_handles *s) {
  for (int i = 0; i < 3; i++) {
    if (i == 0 || s->child[i] != s->child[i - 1]) close_handle(&s->child[i]);
    s->child[i] = NULL;
    close_handle(&s->caller[i]);
  }
  for (int i = 0; i < 2; i++) close_handle(&s->out_server[i]);
  close_handle(&s->relay_from);
  close_handle(&s->relay_to);
}

/* A named pipe: server end (overlapped, not inheritable) and client end. inbound: data flows from
 * the client end to the server end. */
static bool make_pipe(bool inbound, bool client_overlapped, bool client_inherit, HANDLE *server, HANDLE *client) {
  wchar_t name[96];
  swprintf(name, ARRAYSIZE(name), L"\\\\.\\pipe\\wctr-hcs-double-%lu-%ld", (unsigned long)GetCurrentProcessId(),
           InterlockedIncrement(&g_pipe_serial));
  *server = CreateNamedPipeW(name,
                             (inbound ? PIPE_ACCESS_INBOUND : PIPE_ACCESS_OUTBOUND) | FILE_FLAG_OVERLAPPED |
                                 FILE_FLAG_FIRST_PIPE_INSTANCE,
                             PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 65536,
                             65536, 0, NULL);
  if (*server == INVALID_HANDLE_VALUE) {
    *server = NULL;
    return false;
  }
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, client_inherit};
  *client = CreateFileW(name, inbound ? GENERIC_WRITE : GENERIC_READ, 0, &sa, OPEN_EXISTING,
                        client_overlapped ? FILE_FLAG_OVERLAPPED : 0, NULL);
  if (*client == INVALID_HANDLE_VALUE) {
    *client = NULL;
    close_handle(server);
    return false;
  }
  return true;
}

/* The environment block: the client's own environment (so that programs find SystemRoot, PATH...)
 * with Environment's variables set over it. NULL when there is no Environment. */
static wchar_t *environment_block(const cJSON *env) {
  if (env == NULL) return NULL;
  wchar_t *base = GetEnvironmentStringsW();
  size_t cap = 4096, used = 0;
  wchar_t *block = malloc(cap * sizeof *block);
  if (block == NULL) hcsd_oom();
  for (int pass = 0; pass < 2; pass++) {
    const wchar_t *p = base;
    const cJSON *e = env->child;
    for (;;) {
      wchar_t *entry = NULL;
      if (pass == 0) {
        if (p == NULL || *p == L'\0') break;
        size_t len = wcslen(p);
        /* Skip variables Environment sets ("=C:=C:\..." entries have no name to match). */
        const wchar_t *eq = wcschr(p + 1, L'=');
        bool overridden = false;
        for (const cJSON *v = env->child; eq != NULL && v != NULL && !overridden; v = v->next) {
          wchar_t *name = hcsd_wide(v->string);
          overridden = (size_t)(eq - p) == wcslen(name) && _wcsnicmp(p, name, (size_t)(eq - p)) == 0;
          free(name);
        }
        if (!overridden) entry = dup_wide(p);
        p += len + 1;
      } else {
        if (e == NULL) break;
        size_t n = strlen(e->string) + strlen(e->valuestring) + 2;
        char *kv = malloc(n);
        if (kv == NULL) hcsd_oom();
        snprintf(kv, n, "%s=%s", e->string, e->valuestring);
        entry = hcsd_wide(kv);
        free(kv);
        e = e->next;
      }
      if (entry == NULL) continue;
      size_t len = wcslen(entry) + 1;
      while (used + len + 1 > cap) {
        cap *= 2;
        wchar_t *grown = realloc(block, cap * sizeof *block);
        if (grown == NULL) hcsd_oom();
        block = grown;
      }
      memcpy(block + used, entry, len * sizeof *entry);
      used += len;
      free(entry);
    }
  }
  if (base != NULL) FreeEnvironmentStringsW(base);
  block[used] = L'\0';
  if (used == 0) block[1] = L'\0'; /* an empty block is two NULs */
  return block;
}

static const char *optional_string(const cJSON *doc, const char *name) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, name);
  return item != NULL ? item->valuestring : NULL;
}

/* Starts the process of doc (valid ProcessParameters) in job; fills p on success. */
static HRESULT spawn(hcsd_proc *p, const cJSON *doc, HANDLE job, char *detail, size_t detail_size) {
  bool want[3] = {cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "CreateStdInPipe")),
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "CreateStdOutPipe")),
                  cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "CreateStdErrPipe"))};
  /* EmulateConsole: "if set, ignore StdErrPipe" - the console carries both output streams. */
  bool console = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "EmulateConsole"));
  if (console) want[2] = false;
  const char *app = optional_string(doc, "ApplicationName");
  const char *cwd = optional_string(doc, "WorkingDirectory");
  wchar_t *cmdline = hcsd_wide(cJSON_GetObjectItemCaseSensitive(doc, "CommandLine")->valuestring);
  wchar_t *wapp = app != NULL ? hcsd_wide(app) : NULL;
  wchar_t *wcwd = cwd != NULL ? hcsd_wide(cwd) : NULL;
  wchar_t *env = environment_block(cJSON_GetObjectItemCaseSensitive(doc, "Environment"));
  spawn_handles s;
  memset(&s, 0, sizeof s);
  HRESULT hr = S_OK;
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
  PROCESS_INFORMATION pi;
  memset(&pi, 0, sizeof pi);
  SECURITY_ATTRIBUTES inherit = {sizeof inherit, NULL, TRUE};

  AcquireSRWLockExclusive(&g_spawn_lock);
  bool ok = true;
  if (want[0]) {
    /* Client end: the writable client side of a named pipe; the relay reads the server side. */
    ok = make_pipe(true, true, false, &s.relay_from, &s.caller[0]) &&
         CreatePipe(&s.child[0], &s.relay_to, &inherit, 0) && SetHandleInformation(s.relay_to, HANDLE_FLAG_INHERIT, 0);
  }
  for (int i = 1; ok && i < 3; i++) {
    if (!want[i]) continue;
    /* Client end: the server side (overlapped); the child writes into the client side. */
    ok = make_pipe(true, false, true, &s.caller[i], &s.child[i]) &&
         DuplicateHandle(GetCurrentProcess(), s.caller[i], GetCurrentProcess(), &s.out_server[i - 1], 0, FALSE,
                         DUPLICATE_SAME_ACCESS);
  }
  if (ok && console && want[1]) s.child[2] = s.child[1];
  /* Streams nobody asked for go to NUL, never to the client's own console or pipes. */
  for (int i = 0; ok && i < 3; i++) {
    if (s.child[i] != NULL) continue;
    s.child[i] = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
                             OPEN_EXISTING, 0, NULL);
    ok = s.child[i] != INVALID_HANDLE_VALUE;
    if (!ok) s.child[i] = NULL;
  }
  if (!ok) {
    hr = HRESULT_FROM_WIN32(GetLastError());
    snprintf(detail, detail_size, "setting up the standard streams failed (error %lu)", (unsigned long)GetLastError());
  }

  HANDLE list[3];
  DWORD nlist = 0;
  for (int i = 0; i < 3 && SUCCEEDED(hr); i++) {
    bool seen = false;
    for (DWORD j = 0; j < nlist; j++) seen = seen || list[j] == s.child[i];
    if (!seen) list[nlist++] = s.child[i];
  }
  SIZE_T size = 0;
  if (SUCCEEDED(hr)) {
    InitializeProcThreadAttributeList(NULL, 2, 0, &size);
    attrs = malloc(size);
    if (attrs == NULL) hcsd_oom();
    /* The job from the start (no moment outside it); only the stdio handles inherited (Windows). */
    if (!InitializeProcThreadAttributeList(attrs, 2, 0, &size) ||
        !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &job, sizeof job, NULL, NULL) ||
        !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list, nlist * sizeof list[0], NULL,
                                   NULL)) {
      hr = HRESULT_FROM_WIN32(GetLastError());
      snprintf(detail, detail_size, "preparing the process attributes failed (error %lu)",
               (unsigned long)GetLastError());
    }
  }
  if (SUCCEEDED(hr)) {
    STARTUPINFOEXW si;
    memset(&si, 0, sizeof si);
    si.StartupInfo.cb = sizeof si;
    si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
    si.StartupInfo.hStdInput = s.child[0];
    si.StartupInfo.hStdOutput = s.child[1];
    si.StartupInfo.hStdError = s.child[2];
    si.lpAttributeList = attrs;
    if (!CreateProcessW(wapp, cmdline, NULL, NULL, TRUE,
                        EXTENDED_STARTUPINFO_PRESENT | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW, env, wcwd,
                        &si.StartupInfo, &pi)) {
      DWORD err = GetLastError();
      hr = HRESULT_FROM_WIN32(err);
      snprintf(detail, detail_size, "ProcessParameters.CommandLine: CreateProcessW(\"%s\") failed with error %lu",
               cJSON_GetObjectItemCaseSensitive(doc, "CommandLine")->valuestring, (unsigned long)err);
    }
  }
  /* The child has its ends now (or there is no child): ours go before another spawn can inherit. */
  for (int i = 0; i < 3; i++) {
    if (i == 0 || s.child[i] != s.child[i - 1]) close_handle(&s.child[i]);
    s.child[i] = NULL;
  }
  ReleaseSRWLockExclusive(&g_spawn_lock);
  if (attrs != NULL) {
    DeleteProcThreadAttributeList(attrs);
    free(attrs);
  }
  free(cmdline);
  free(wapp);
  free(wcwd);
  free(env);
  if (FAILED(hr)) {
    spawn_handles_close(&s);
    return hr;
  }
  CloseHandle(pi.hThread);

  relay *r = NULL;
  AcquireSRWLockExclusive(&g_core_lock);
  p->pid = pi.dwProcessId;
  p->process = pi.hProcess;
  p->state = PROC_RUNNING;
  p->emulate_console = console;
  for (int i = 0; i < 3; i++) p->caller[i] = s.caller[i];
  for (int i = 0; i < 2; i++) p->out_server[i] = s.out_server[i];
  if (want[0]) {
    p->stdin_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    r = calloc(1, sizeof *r);
    if (r == NULL || p->stdin_stop == NULL) hcsd_oom();
    r->proc = p;
    r->from = s.relay_from;
    r->to = s.relay_to;
    r->stop = p->stdin_stop;
    hcsd_proc_ref(p);
    p->stdin_relay = true;
  }
  hcsd_proc_ref(p); /* the watcher's */
  ReleaseSRWLockExclusive(&g_core_lock);
  if (r != NULL && !hcsd_start_thread(relay_main, r)) hcsd_oom();
  if (!hcsd_start_thread(watcher_main, p)) hcsd_oom();
  return S_OK;
}

/* ---- system-wide process functions ---- */

void hcsd_sys_end_processes(hcsd_sys *sys, UINT exit_code) {
  hcsd_proc *procs[256];
  HANDLE handles[256];
  size_t n = 0;
  AcquireSRWLockExclusive(&g_core_lock);
  HANDLE job = hcsd_sys_job_locked(sys, false);
  for (hcsd_proc *p = sys->procs; p != NULL && n < 256; p = p->next) {
    if (p->state != PROC_RUNNING) continue;
    hcsd_proc_ref(p);
    procs[n] = p;
    handles[n++] = p->process;
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  /* The job also holds what the processes started, and processes of an earlier client. */
  if (job != NULL) TerminateJobObject(job, exit_code);
  for (size_t i = 0; i < n; i++) {
    if (job == NULL) TerminateProcess(handles[i], exit_code);
    WaitForSingleObject(handles[i], 10000);
  }
  AcquireSRWLockExclusive(&g_core_lock);
  for (size_t i = 0; i < n; i++) {
    hcsd_proc_exited_locked(procs[i]);
    hcsd_proc_unref_locked(procs[i]);
  }
  ReleaseSRWLockExclusive(&g_core_lock);
}

/* Process ids in the job (JobObjectBasicProcessIdList); returns the count. */
static DWORD job_pids(HANDLE job, DWORD *pids, DWORD max) {
  size_t size = sizeof(JOBOBJECT_BASIC_PROCESS_ID_LIST) + max * sizeof(ULONG_PTR);
  JOBOBJECT_BASIC_PROCESS_ID_LIST *list = calloc(1, size);
  if (list == NULL) hcsd_oom();
  DWORD n = 0;
  if (job != NULL && QueryInformationJobObject(job, JobObjectBasicProcessIdList, list, (DWORD)size, NULL)) {
    for (DWORD i = 0; i < list->NumberOfProcessIdsInList && n < max; i++) pids[n++] = (DWORD)list->ProcessIdList[i];
  }
  free(list);
  return n;
}

HRESULT hcsd_sys_suspend(hcsd_sys *sys, bool suspend, char *detail, size_t detail_size) {
  typedef LONG(NTAPI * nt_fn)(HANDLE);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  nt_fn fn = ntdll != NULL ? (nt_fn)(void *)GetProcAddress(ntdll, suspend ? "NtSuspendProcess" : "NtResumeProcess")
                           : NULL;
  if (fn == NULL) {
    snprintf(detail, detail_size, "ntdll has no %s", suspend ? "NtSuspendProcess" : "NtResumeProcess");
    return E_NOTIMPL;
  }
  AcquireSRWLockExclusive(&g_core_lock);
  HANDLE job = hcsd_sys_job_locked(sys, false);
  ReleaseSRWLockExclusive(&g_core_lock);
  DWORD pids[256];
  DWORD n = job_pids(job, pids, 256);
  for (DWORD i = 0; i < n; i++) {
    HANDLE h = OpenProcess(PROCESS_SUSPEND_RESUME, FALSE, pids[i]);
    if (h == NULL) continue; /* exited meanwhile */
    LONG status = fn(h);
    CloseHandle(h);
    if (status < 0) {
      snprintf(detail, detail_size, "%s(%lu) failed with NTSTATUS 0x%08lx", suspend ? "NtSuspendProcess" : "NtResumeProcess",
               (unsigned long)pids[i], (unsigned long)status);
      return HRESULT_FROM_NT(status);
    }
  }
  return S_OK;
}

static long long filetime_100ns(const FILETIME *ft) {
  ULARGE_INTEGER u;
  u.LowPart = ft->dwLowDateTime;
  u.HighPart = ft->dwHighDateTime;
  return (long long)u.QuadPart;
}

cJSON *hcsd_sys_process_list(hcsd_sys *sys) {
  cJSON *list = cJSON_CreateArray();
  if (list == NULL) hcsd_oom();
  AcquireSRWLockExclusive(&g_core_lock);
  HANDLE job = hcsd_sys_job_locked(sys, false);
  ReleaseSRWLockExclusive(&g_core_lock);
  DWORD pids[256];
  DWORD n = job_pids(job, pids, 256);
  for (DWORD i = 0; i < n; i++) {
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pids[i]);
    if (h == NULL) continue;
    cJSON *d = cJSON_CreateObject();
    if (d == NULL) hcsd_oom();
    cJSON_AddNumberToObject(d, "ProcessId", (double)pids[i]);
    wchar_t image[MAX_PATH];
    DWORD len = ARRAYSIZE(image);
    if (QueryFullProcessImageNameW(h, 0, image, &len)) {
      const wchar_t *base = wcsrchr(image, L'\\');
      char *name = hcsd_utf8(base != NULL ? base + 1 : image, NULL);
      if (name != NULL) cJSON_AddStringToObject(d, "ImageName", name);
      free(name);
    }
    FILETIME created, exited, kernel, user;
    if (GetProcessTimes(h, &created, &exited, &kernel, &user)) {
      char when[40];
      hcsd_iso_time(&created, when);
      cJSON_AddStringToObject(d, "CreateTimestamp", when);
      cJSON_AddNumberToObject(d, "KernelTime100ns", (double)filetime_100ns(&kernel));
      cJSON_AddNumberToObject(d, "UserTime100ns", (double)filetime_100ns(&user));
    }
    PROCESS_MEMORY_COUNTERS_EX mem;
    memset(&mem, 0, sizeof mem);
    if (K32GetProcessMemoryInfo(h, (PROCESS_MEMORY_COUNTERS *)&mem, sizeof mem)) {
      cJSON_AddNumberToObject(d, "MemoryCommitBytes", (double)mem.PrivateUsage);
      cJSON_AddNumberToObject(d, "MemoryWorkingSetPrivateBytes", (double)mem.WorkingSetSize);
      cJSON_AddNumberToObject(d, "MemoryWorkingSetSharedBytes", 0);
    }
    CloseHandle(h);
    cJSON_AddItemToArray(list, d);
  }
  return list;
}

cJSON *hcsd_sys_statistics(hcsd_sys *sys) {
  AcquireSRWLockExclusive(&g_core_lock);
  HANDLE job = hcsd_sys_job_locked(sys, false);
  FILETIME started = sys->started;
  ReleaseSRWLockExclusive(&g_core_lock);
  FILETIME now;
  GetSystemTimeAsFileTime(&now);
  char when[40];
  cJSON *s = cJSON_CreateObject();
  cJSON *cpu = cJSON_CreateObject();
  cJSON *mem = cJSON_CreateObject();
  cJSON *io = cJSON_CreateObject();
  if (s == NULL || cpu == NULL || mem == NULL || io == NULL) hcsd_oom();
  hcsd_iso_time(&now, when);
  cJSON_AddStringToObject(s, "Timestamp", when);
  hcsd_iso_time(&started, when);
  cJSON_AddStringToObject(s, "ContainerStartTime", when);
  long long up = filetime_100ns(&now) - filetime_100ns(&started);
  cJSON_AddNumberToObject(s, "Uptime100ns", (double)(up > 0 && filetime_100ns(&started) > 0 ? up : 0));
  JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION acct;
  memset(&acct, 0, sizeof acct);
  if (job != NULL) QueryInformationJobObject(job, JobObjectBasicAndIoAccountingInformation, &acct, sizeof acct, NULL);
  long long user = acct.BasicInfo.TotalUserTime.QuadPart, kernel = acct.BasicInfo.TotalKernelTime.QuadPart;
  cJSON_AddNumberToObject(cpu, "TotalRuntime100ns", (double)(user + kernel));
  cJSON_AddNumberToObject(cpu, "RuntimeUser100ns", (double)user);
  cJSON_AddNumberToObject(cpu, "RuntimeKernel100ns", (double)kernel);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION ext;
  memset(&ext, 0, sizeof ext);
  if (job != NULL) QueryInformationJobObject(job, JobObjectExtendedLimitInformation, &ext, sizeof ext, NULL);
  double commit = 0, working = 0;
  DWORD pids[256];
  DWORD n = job_pids(job, pids, 256);
  for (DWORD i = 0; i < n; i++) {
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pids[i]);
    PROCESS_MEMORY_COUNTERS_EX pm;
    memset(&pm, 0, sizeof pm);
    if (h != NULL && K32GetProcessMemoryInfo(h, (PROCESS_MEMORY_COUNTERS *)&pm, sizeof pm)) {
      commit += (double)pm.PrivateUsage;
      working += (double)pm.WorkingSetSize;
    }
    if (h != NULL) CloseHandle(h);
  }
  cJSON_AddNumberToObject(mem, "MemoryUsageCommitBytes", commit);
  cJSON_AddNumberToObject(mem, "MemoryUsageCommitPeakBytes",
                          (double)ext.PeakJobMemoryUsed > commit ? (double)ext.PeakJobMemoryUsed : commit);
  cJSON_AddNumberToObject(mem, "MemoryUsagePrivateWorkingSetBytes", working);
  cJSON_AddNumberToObject(io, "ReadCountNormalized", (double)acct.IoInfo.ReadOperationCount);
  cJSON_AddNumberToObject(io, "ReadSizeBytes", (double)acct.IoInfo.ReadTransferCount);
  cJSON_AddNumberToObject(io, "WriteCountNormalized", (double)acct.IoInfo.WriteOperationCount);
  cJSON_AddNumberToObject(io, "WriteSizeBytes", (double)acct.IoInfo.WriteTransferCount);
  cJSON_AddItemToObject(s, "Processor", cpu);
  cJSON_AddItemToObject(s, "Memory", mem);
  cJSON_AddItemToObject(s, "Storage", io);
  return s;
}

/* ---- the calls' work ---- */

static HRESULT parse_document(const wchar_t *text, const char *what, cJSON **out, char *detail, size_t detail_size) {
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

/* The error for using a process in its state; S_OK when it runs. With g_core_lock held. */
static HRESULT proc_running(const hcsd_proc *p, char *detail, size_t detail_size) {
  switch (p->state) {
    case PROC_CREATING:
      snprintf(detail, detail_size, "the process has not been created yet");
      return HCS_E_INVALID_STATE;
    case PROC_FAILED:
      snprintf(detail, detail_size, "%s", p->fail_detail != NULL ? p->fail_detail : "its creation failed");
      return p->fail_result;
    case PROC_EXITED:
      snprintf(detail, detail_size, "process %lu has already exited with code %lu", (unsigned long)p->pid,
               (unsigned long)p->exit_code);
      return HCS_E_PROCESS_ALREADY_STOPPED;
    case PROC_RUNNING:
      break;
  }
  return S_OK;
}

static void create_process_failed(hcsd_work *w, HRESULT hr, const char *detail) {
  if (w->proc->state != PROC_CREATING) return;
  w->proc->state = PROC_FAILED;
  w->proc->fail_result = hr;
  w->proc->fail_detail = _strdup(detail != NULL ? detail : "");
}

static HRESULT create_process_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  cJSON *doc = NULL;
  HRESULT hr = parse_document(w->text, "ProcessParameters", &doc, detail, detail_size);
  if (SUCCEEDED(hr) && !hv_check_process_parameters(doc, detail, detail_size)) hr = HCS_E_INVALID_JSON;
  HANDLE job = NULL;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_sys *sys = w->sys;
  if (SUCCEEDED(hr)) hr = hcsd_sys_usable(sys, detail, detail_size);
  if (SUCCEEDED(hr) && sys->state != SYS_RUNNING) {
    snprintf(detail, detail_size, "compute system \"%s\" is %s; processes start in a Running system", sys->id,
             sys->state == SYS_CREATED ? "Created" : sys->state == SYS_PAUSED ? "Paused" : "Stopped");
    hr = HCS_E_INVALID_STATE;
  }
  if (SUCCEEDED(hr)) {
    job = hcsd_sys_job_locked(sys, true);
    if (job == NULL) {
      hr = HRESULT_FROM_WIN32(GetLastError());
      snprintf(detail, detail_size, "compute system \"%s\": its job object cannot be created", sys->id);
    }
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  if (SUCCEEDED(hr)) hr = spawn(w->proc, doc, job, detail, detail_size);
  cJSON_Delete(doc);
  return hr;
}

/* Terminate (arg 0) or signal (arg 1). */
static HRESULT end_process_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  bool signal = w->arg != 0;
  HRESULT hr = S_OK;
  if (signal) {
    cJSON *doc = NULL;
    if (w->text == NULL || w->text[0] == L'\0') {
      snprintf(detail, detail_size, "SignalProcessOptions: required (which signal?)");
      return HCS_E_INVALID_JSON;
    }
    hr = parse_document(w->text, "SignalProcessOptions", &doc, detail, detail_size);
    if (SUCCEEDED(hr) && !hv_check_signal_options(doc, detail, detail_size)) hr = HCS_E_INVALID_JSON;
    cJSON_Delete(doc);
  } else if (w->text != NULL && w->text[0] != L'\0') {
    snprintf(detail, detail_size, "HcsTerminateProcess options: the call takes no options (pass NULL)");
    hr = E_INVALIDARG;
  }
  if (FAILED(hr)) return hr;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proc *p = w->proc;
  hr = proc_running(p, detail, detail_size);
  HANDLE process = p->process;
  ReleaseSRWLockExclusive(&g_core_lock);
  if (FAILED(hr)) return hr;
  TerminateProcess(process, signal ? HCSD_EXIT_SIGNALED : HCSD_EXIT_TERMINATED);
  WaitForSingleObject(process, 10000);
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proc_exited_locked(p);
  ReleaseSRWLockExclusive(&g_core_lock);
  return S_OK;
}

static HRESULT process_info_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proc *p = w->proc;
  HRESULT hr = proc_running(p, detail, detail_size);
  if (hr == HCS_E_PROCESS_ALREADY_STOPPED) hr = S_OK; /* its information outlives it */
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

static HRESULT process_properties_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  static const char *const no_types[] = {NULL};
  if (w->text != NULL && w->text[0] != L'\0') {
    cJSON *query = NULL;
    HRESULT hr = parse_document(w->text, "PropertyQuery", &query, detail, detail_size);
    if (SUCCEEDED(hr) && !hv_check_property_query(query, no_types, detail, detail_size)) hr = HCS_E_INVALID_JSON;
    cJSON_Delete(query);
    if (FAILED(hr)) return hr;
  }
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proc *p = w->proc;
  HRESULT hr = proc_running(p, detail, detail_size);
  if (hr == HCS_E_PROCESS_ALREADY_STOPPED || SUCCEEDED(hr)) {
    cJSON *status = cJSON_CreateObject();
    if (status == NULL) hcsd_oom();
    cJSON_AddNumberToObject(status, "ProcessId", (double)p->pid);
    cJSON_AddBoolToObject(status, "Exited", p->state == PROC_EXITED);
    if (p->state == PROC_EXITED) cJSON_AddNumberToObject(status, "ExitCode", (double)p->exit_code);
    cJSON_AddNumberToObject(status, "LastWaitResult", 0);
    *result = status;
    hr = S_OK;
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

static HRESULT modify_process_work(hcsd_work *w, cJSON **result, char *detail, size_t detail_size) {
  (void)result;
  cJSON *doc = NULL;
  HRESULT hr = parse_document(w->text, "ProcessModifyRequest", &doc, detail, detail_size);
  if (SUCCEEDED(hr) && !hv_check_process_modify(doc, detail, detail_size)) hr = HCS_E_INVALID_JSON;
  if (FAILED(hr)) {
    cJSON_Delete(doc);
    return hr;
  }
  const cJSON *close = cJSON_GetObjectItemCaseSensitive(doc, "CloseHandle");
  const char *which = close != NULL ? cJSON_GetObjectItemCaseSensitive(close, "Handle")->valuestring : NULL;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proc *p = w->proc;
  /* Like HCS, a modify request fails once the process has exited. */
  hr = proc_running(p, detail, detail_size);
  if (SUCCEEDED(hr) && which != NULL) {
    bool all = strcmp(which, "All") == 0;
    if ((all || strcmp(which, "StdIn") == 0) && p->stdin_stop != NULL) {
      SetEvent(p->stdin_stop);
      /* Wait (bounded) until the relay has closed the child's end: end-of-file is visible then. */
      ULONGLONG until = GetTickCount64() + 10000;
      while (p->stdin_relay && GetTickCount64() < until) {
        SleepConditionVariableSRW(&g_core_cv, &g_core_lock, 100, 0);
      }
    }
    for (int i = 0; i < 2; i++) {
      if ((all || strcmp(which, i == 0 ? "StdOut" : "StdErr") == 0) && p->out_server[i] != NULL) {
        DisconnectNamedPipe(p->out_server[i]);
        close_handle(&p->out_server[i]);
      }
    }
  }
  /* ConsoleSize: accepted; the double has no console to resize. */
  ReleaseSRWLockExclusive(&g_core_lock);
  cJSON_Delete(doc);
  return hr;
}

/* ---- the exported functions ---- */

static cJSON *process_fields(HCS_PROCESS process, HCS_OPERATION operation, bool with_op) {
  cJSON *f = cJSON_CreateObject();
  if (f == NULL) hcsd_oom();
  AcquireSRWLockShared(&g_core_lock);
  hcsd_proch *h = hcsd_proch_find(process);
  if (h != NULL) {
    cJSON_AddStringToObject(f, "id", h->proc->sys->id);
    cJSON_AddNumberToObject(f, "process", (double)(h->value >> 4));
    cJSON_AddNumberToObject(f, "processId", (double)h->proc->pid);
  } else {
    cJSON_AddStringToObject(f, "process", "(invalid handle)");
  }
  if (with_op) {
    hcsd_op *op = hcsd_op_find(operation);
    if (op != NULL) {
      cJSON_AddNumberToObject(f, "operation", (double)op->id);
    } else {
      cJSON_AddStringToObject(f, "operation", "(invalid handle)");
    }
  }
  ReleaseSRWLockShared(&g_core_lock);
  return f;
}

HRESULT WINAPI HcsCreateProcess(HCS_SYSTEM computeSystem, PCWSTR processParameters, HCS_OPERATION operation,
                                const SECURITY_DESCRIPTOR *securityDescriptor, HCS_PROCESS *process) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  AcquireSRWLockShared(&g_core_lock);
  hcsd_sysh *sh = hcsd_sysh_find(computeSystem);
  if (sh != NULL) cJSON_AddStringToObject(fields, "id", sh->sys->id);
  hcsd_op *o = hcsd_op_find(operation);
  if (o != NULL) cJSON_AddNumberToObject(fields, "operation", (double)o->id);
  ReleaseSRWLockShared(&g_core_lock);
  hcsd_add_document(fields, "document", processParameters);
  hcsd_call("HcsCreateProcess", fields, &knob);
  if (process == NULL) return E_POINTER;
  *process = NULL;
  if (processParameters == NULL || securityDescriptor != NULL) return E_INVALIDARG;
  AcquireSRWLockExclusive(&g_core_lock);
  sh = hcsd_sysh_find(computeSystem);
  hcsd_op *op = hcsd_op_find(operation);
  if (sh == NULL || op == NULL) {
    ReleaseSRWLockExclusive(&g_core_lock);
    return E_HANDLE;
  }
  hcsd_proc *p = proc_new_locked(sh->sys);
  hcsd_proch *h = proch_new_locked(p);
  hcsd_work *w = hcsd_work_new(create_process_work);
  w->on_failure = create_process_failed;
  w->sys = sh->sys;
  hcsd_sys_ref(sh->sys);
  w->proc = p;
  hcsd_proc_ref(p);
  uintptr_t target = sh->value;
  bool wants_ops = sh->callback != NULL && (sh->options & HcsEventOptionEnableOperationCallbacks) != 0;
  ReleaseSRWLockExclusive(&g_core_lock);
  w->text = dup_wide(processParameters);
  HRESULT hr = hcsd_submit(op, HcsOperationTypeCreateProcess, target, wants_ops, &knob, w);
  AcquireSRWLockExclusive(&g_core_lock);
  if (FAILED(hr)) {
    proch_unlink_locked(h);
    p->handles--;
    hcsd_proch_release_locked(h);
  } else {
    *process = (HCS_PROCESS)h->value;
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

HRESULT WINAPI HcsOpenProcess(HCS_SYSTEM computeSystem, DWORD processId, DWORD requestedAccess,
                              HCS_PROCESS *process) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  AcquireSRWLockShared(&g_core_lock);
  hcsd_sysh *sh = hcsd_sysh_find(computeSystem);
  if (sh != NULL) cJSON_AddStringToObject(fields, "id", sh->sys->id);
  ReleaseSRWLockShared(&g_core_lock);
  cJSON_AddNumberToObject(fields, "processId", (double)processId);
  cJSON_AddNumberToObject(fields, "requestedAccess", (double)requestedAccess);
  hcsd_call("HcsOpenProcess", fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (process == NULL) return E_POINTER;
  *process = NULL;
  if (FAILED(knob.fail)) return knob.fail;
  if (requestedAccess != GENERIC_ALL) return E_INVALIDARG;
  AcquireSRWLockExclusive(&g_core_lock);
  sh = hcsd_sysh_find(computeSystem);
  if (sh == NULL) {
    ReleaseSRWLockExclusive(&g_core_lock);
    return E_HANDLE;
  }
  hcsd_sys *sys = sh->sys;
  char detail[200];
  HRESULT hr = hcsd_sys_usable(sys, detail, sizeof detail);
  hcsd_proc *found = NULL;
  for (hcsd_proc *p = sys->procs; SUCCEEDED(hr) && p != NULL && found == NULL; p = p->next) {
    if (p->pid == processId && (p->state == PROC_RUNNING || p->state == PROC_EXITED)) found = p;
  }
  if (SUCCEEDED(hr) && found == NULL) {
    /* A process an earlier client started (before a restart): still in the system's job. */
    HANDLE job = hcsd_sys_job_locked(sys, false);
    DWORD pids[256];
    DWORD n = job_pids(job, pids, 256);
    bool in_job = false;
    for (DWORD i = 0; i < n; i++) in_job = in_job || pids[i] == processId;
    /* Membership from the job's process list: Wine's IsProcessInJob fails for such a handle. */
    HANDLE h = in_job ? OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE | PROCESS_TERMINATE |
                                        PROCESS_SUSPEND_RESUME,
                                    FALSE, processId)
                      : NULL;
    if (h != NULL) {
      found = proc_new_locked(sys);
      found->pid = processId;
      found->process = h;
      found->state = PROC_RUNNING;
      hcsd_proc_ref(found); /* the watcher's */
      if (!hcsd_start_thread(watcher_main, found)) hcsd_oom();
    }
  }
  if (SUCCEEDED(hr) && found == NULL) hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  if (SUCCEEDED(hr)) *process = (HCS_PROCESS)proch_new_locked(found)->value;
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

void WINAPI HcsCloseProcess(HCS_PROCESS process) {
  hcsd_knob knob;
  hcsd_call("HcsCloseProcess", process_fields(process, NULL, false), &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proch *h = hcsd_proch_find(process);
  if (h != NULL) {
    proch_unlink_locked(h);
    h->proc->handles--;
    while (h->callbacks_running > 0 && !hcsd_on_dispatcher()) {
      SleepConditionVariableSRW(&g_core_cv, &g_core_lock, INFINITE, 0);
    }
    if (h->callbacks_running > 0) {
      h->closed = true; /* freed when the callback returns */
    } else {
      hcsd_proch_release_locked(h);
    }
  }
  ReleaseSRWLockExclusive(&g_core_lock);
}

static HRESULT submit_process_call(const char *name, HCS_PROCESS process, HCS_OPERATION operation,
                                   const wchar_t *document, bool document_required, HCS_OPERATION_TYPE type,
                                   hcsd_work_fn fn, int arg) {
  hcsd_knob knob;
  cJSON *fields = process_fields(process, operation, true);
  hcsd_add_document(fields, "document", document);
  hcsd_call(name, fields, &knob);
  if (document_required && document == NULL) return E_INVALIDARG;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proch *h = hcsd_proch_find(process);
  hcsd_op *op = hcsd_op_find(operation);
  if (h == NULL || op == NULL) {
    ReleaseSRWLockExclusive(&g_core_lock);
    return E_HANDLE;
  }
  hcsd_work *w = hcsd_work_new(fn);
  w->proc = h->proc;
  hcsd_proc_ref(h->proc);
  w->arg = arg;
  uintptr_t target = h->value;
  bool wants_ops = h->callback != NULL && (h->options & HcsEventOptionEnableOperationCallbacks) != 0;
  ReleaseSRWLockExclusive(&g_core_lock);
  w->text = document != NULL ? dup_wide(document) : NULL;
  return hcsd_submit(op, type, target, wants_ops, &knob, w);
}

HRESULT WINAPI HcsTerminateProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options) {
  /* No HCS_OPERATION_TYPE names terminate: HCS reports it as signaling. */
  return submit_process_call("HcsTerminateProcess", process, operation, options, false,
                             HcsOperationTypeSignalProcess, end_process_work, 0);
}

HRESULT WINAPI HcsSignalProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR options) {
  return submit_process_call("HcsSignalProcess", process, operation, options, false, HcsOperationTypeSignalProcess,
                             end_process_work, 1);
}

HRESULT WINAPI HcsGetProcessInfo(HCS_PROCESS process, HCS_OPERATION operation) {
  return submit_process_call("HcsGetProcessInfo", process, operation, NULL, false, HcsOperationTypeGetProcessInfo,
                             process_info_work, 0);
}

HRESULT WINAPI HcsGetProcessProperties(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR propertyQuery) {
  return submit_process_call("HcsGetProcessProperties", process, operation, propertyQuery, false,
                             HcsOperationTypeGetProcessProperties, process_properties_work, 0);
}

HRESULT WINAPI HcsModifyProcess(HCS_PROCESS process, HCS_OPERATION operation, PCWSTR settings) {
  return submit_process_call("HcsModifyProcess", process, operation, settings, true, HcsOperationTypeModifyProcess,
                             modify_process_work, 0);
}

HRESULT WINAPI HcsSetProcessCallback(HCS_PROCESS process, HCS_EVENT_OPTIONS callbackOptions, void *context,
                                     HCS_EVENT_CALLBACK callback) {
  hcsd_knob knob;
  cJSON *fields = process_fields(process, NULL, false);
  cJSON_AddNumberToObject(fields, "options", (double)callbackOptions);
  cJSON_AddBoolToObject(fields, "callback", callback != NULL);
  hcsd_call("HcsSetProcessCallback", fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (FAILED(knob.fail)) return knob.fail;
  if (callback == NULL || ((unsigned)callbackOptions & ~(unsigned)HcsEventOptionEnableOperationCallbacks) != 0) {
    return E_INVALIDARG;
  }
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_proch *h = hcsd_proch_find(process);
  HRESULT hr = S_OK;
  if (h == NULL) {
    hr = E_HANDLE;
  } else if (h->callback != NULL) {
    hr = HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET;
  } else {
    h->callback = callback;
    h->context = context;
    h->options = (unsigned)callbackOptions;
    /* A process that exited before this callback was set still tells it (hcsshim waits for this
     * event alone after registering, even for a process that may already have ended). */
    if (h->proc->state == PROC_EXITED && h->proc->exit_reported) {
      char data[160];
      hcsd_proc_exit_data(h->proc, data, sizeof data);
      hcsd_post_event_locked(h->value, HcsEventProcessExited, data, NULL);
    }
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}
