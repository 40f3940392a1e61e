/* tests/jobs/jobs_win_test.c - support for the Windows suites of the jobs module (jobs_win_test.h). */
#include "jobs_win_test.h"

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the helper process ------------------------------------------------------------------------------ */

static void say(const char *text) {
  /* WriteFile on the raw handle: no C runtime buffering between the helper and the test reading it. */
  DWORD written = 0;
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  WriteFile(out, text, (DWORD)strlen(text), &written, NULL);
}

static BOOL WINAPI on_ctrl(DWORD type) {
  char line[32];
  snprintf(line, sizeof line, "ctrl %lu\n", (unsigned long)type);
  say(line);
  ExitProcess(40 + type);
  return TRUE;
}

static int helper_environ(void) {
  wchar_t *block = GetEnvironmentStringsW();
  for (const wchar_t *at = block; at != NULL && *at != L'\0'; at += wcslen(at) + 1) {
    char line[1024];
    int n = WideCharToMultiByte(CP_UTF8, 0, at, -1, line, (int)sizeof line - 2, NULL, NULL);
    if (n <= 0) continue;
    line[n - 1] = '\n';
    line[n] = '\0';
    say(line);
  }
  FreeEnvironmentStringsW(block);
  return 0;
}

static int helper_tree(int children, DWORD ms) {
  wchar_t self[MAX_PATH];
  GetModuleFileNameW(NULL, self, MAX_PATH);
  int started = 0;
  for (int i = 0; i < children; i++) {
    wchar_t cmd[MAX_PATH + 64];
    swprintf(cmd, ARRAYSIZE(cmd), L"\"%ls\" --jobs-helper sleep %lu", self, (unsigned long)ms);
    STARTUPINFOW si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    if (CreateProcessW(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
      CloseHandle(pi.hThread);
      CloseHandle(pi.hProcess);
      started++;
    }
  }
  char line[32];
  snprintf(line, sizeof line, "started %d\n", started);
  say(line);
  Sleep(ms);
  return 0;
}

static int helper_alloc(unsigned long mib) {
  void *p = VirtualAlloc(NULL, (SIZE_T)mib << 20, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  if (p == NULL) {
    char line[48];
    snprintf(line, sizeof line, "refused %lu\n", (unsigned long)GetLastError());
    say(line);
    return 1;
  }
  say("allocated\n");
  VirtualFree(p, 0, MEM_RELEASE);
  return 0;
}

static int helper_whoami(void) {
  HANDLE token = NULL;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return 2;
  union {
    TOKEN_USER user;
    BYTE bytes[512];
  } user;
  union {
    TOKEN_MANDATORY_LABEL label;
    BYTE bytes[128];
  } level;
  BYTE privileges[4096];
  DWORD n = 0;
  wchar_t *sid = NULL;
  char text[256];
  BOOL admin = FALSE;
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD admins_size = sizeof admins;
  CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &admins_size);
  CheckTokenMembership(NULL, admins, &admin);
  DWORD rid = 0;
  if (GetTokenInformation(token, TokenIntegrityLevel, &level, sizeof level, &n)) {
    rid = *GetSidSubAuthority(level.label.Label.Sid, (DWORD)(*GetSidSubAuthorityCount(level.label.Label.Sid) - 1));
  }
  DWORD privilege_count = 0;
  if (GetTokenInformation(token, TokenPrivileges, privileges, sizeof privileges, &n)) {
    privilege_count = ((TOKEN_PRIVILEGES *)(void *)privileges)->PrivilegeCount;
  }
  if (!GetTokenInformation(token, TokenUser, &user, sizeof user, &n) || !ConvertSidToStringSidW(user.user.User.Sid, &sid)) {
    return 2;
  }
  snprintf(text, sizeof text, "user=%ls admin=%d integrity=%lu privileges=%lu\n", sid, admin ? 1 : 0,
           (unsigned long)rid, (unsigned long)privilege_count);
  say(text);
  LocalFree(sid);
  CloseHandle(token);
  return 0;
}

/* "console": the console this process is attached to, once its stdin gives it a line (so that the test
 * can have every process it compares alive at that moment). */
static int helper_console(void) {
  say("ready\n");
  char byte = 0;
  DWORD got = 0;
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  while (ReadFile(in, &byte, 1, &got, NULL) && got == 1 && byte != '\n') continue;
  DWORD pids[16];
  DWORD count = GetConsoleProcessList(pids, COUNT_OF(pids));
  /* The console's own screen buffer, not the redirected stdout: console APIs work on it. */
  HANDLE out = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                           OPEN_EXISTING, 0, NULL);
  DWORD modes = 0;
  BOOL usable = out != INVALID_HANDLE_VALUE && GetConsoleMode(out, &modes);
  if (out != INVALID_HANDLE_VALUE) CloseHandle(out);
  char line[256];
  int n = snprintf(line, sizeof line, "console=%d pids=", usable ? 1 : 0);
  for (DWORD i = 0; i < count && i < COUNT_OF(pids) && n > 0 && (size_t)n < sizeof line; i++) {
    n += snprintf(line + n, sizeof line - (size_t)n, ",%lu", (unsigned long)pids[i]);
  }
  if (n > 0 && (size_t)n < sizeof line - 2) snprintf(line + n, sizeof line - (size_t)n, ",\n");
  say(line);
  return 0;
}

int jobs_helper_main(int argc, char **argv) {
  if (argc < 3 || strcmp(argv[1], "--jobs-helper") != 0) return -1;
  const char *mode = argv[2];
  const char *arg = argc > 3 ? argv[3] : "0";
  if (strcmp(mode, "exit") == 0) return (int)strtol(arg, NULL, 10);
  if (strcmp(mode, "print") == 0) {
    say(arg);
    return 0;
  }
  if (strcmp(mode, "environ") == 0) return helper_environ();
  if (strcmp(mode, "sleep") == 0) {
    Sleep((DWORD)strtoul(arg, NULL, 10));
    return 0;
  }
  if (strcmp(mode, "ctrl") == 0) {
    SetConsoleCtrlHandler(on_ctrl, TRUE);
    say("ready\n");
    Sleep(30000);
    return 3;
  }
  if (strcmp(mode, "tree") == 0) {
    return helper_tree((int)strtol(arg, NULL, 10), argc > 4 ? (DWORD)strtoul(argv[4], NULL, 10) : 1000);
  }
  if (strcmp(mode, "alloc") == 0) return helper_alloc(strtoul(arg, NULL, 10));
  if (strcmp(mode, "crash") == 0) {
    volatile int *volatile nowhere = NULL; /* opaque to the optimiser: a real access violation, not a trap */
    *nowhere = 1;
    return 0;
  }
  if (strcmp(mode, "whoami") == 0) return helper_whoami();
  if (strcmp(mode, "console") == 0) return helper_console();
  if (strcmp(mode, "cwd") == 0) {
    wchar_t dir[MAX_PATH];
    char text[MAX_PATH * 3];
    DWORD n = GetCurrentDirectoryW(MAX_PATH, dir);
    if (n == 0 || n >= MAX_PATH) return 2;
    WideCharToMultiByte(CP_UTF8, 0, dir, -1, text, (int)sizeof text, NULL, NULL);
    say(text);
    return 0;
  }
  return 99;
}

const char *jobs_helper_cmdline(const char *args) {
  static char line[2048];
  wchar_t self[MAX_PATH];
  char self8[MAX_PATH * 3];
  DWORD n = GetModuleFileNameW(NULL, self, MAX_PATH);
  assert_true(n > 0 && n < MAX_PATH);
  assert_true(WideCharToMultiByte(CP_UTF8, 0, self, -1, self8, (int)sizeof self8, NULL, NULL) > 0);
  snprintf(line, sizeof line, "\"%s\" --jobs-helper %s", self8, args);
  return line;
}

const char *jobs_test_name(const char *what) {
  static char names[8][96];
  static unsigned next;
  char prefix[64];
  char *out = names[next++ % 8];
  snprintf(prefix, sizeof prefix, "wctr-test-%s", what);
  wctr_test_unique_name(prefix, out, sizeof names[0]);
  return out;
}

const char *const *jobs_test_env(void) {
  static char system_root[MAX_PATH * 3 + 16];
  static char path[32768 + 8];
  static const char *env[3];
  wchar_t wide[32768];
  char value[sizeof path];
  if (env[0] != NULL) return env;
  DWORD n = GetEnvironmentVariableW(L"SystemRoot", wide, ARRAYSIZE(wide));
  assert_true(n > 0 && n < ARRAYSIZE(wide));
  WideCharToMultiByte(CP_UTF8, 0, wide, -1, value, (int)sizeof value, NULL, NULL);
  snprintf(system_root, sizeof system_root, "SystemRoot=%s", value);
  n = GetEnvironmentVariableW(L"PATH", wide, ARRAYSIZE(wide));
  if (n == 0 || n >= ARRAYSIZE(wide)) wide[0] = L'\0';
  WideCharToMultiByte(CP_UTF8, 0, wide, -1, value, (int)sizeof value, NULL, NULL);
  snprintf(path, sizeof path, "PATH=%s", value);
  env[0] = system_root;
  env[1] = path;
  env[2] = NULL;
  return env;
}

void jobs_test_pipe(HANDLE *read_end, HANDLE *write_end) {
  assert_true(CreatePipe(read_end, write_end, NULL, 0));
}

static char read_buf[65536];
static size_t read_len;

/* Appends what is available now. Returns FALSE once every writer has gone. */
static BOOL read_some(HANDLE read_end) {
  DWORD available = 0;
  if (!PeekNamedPipe(read_end, NULL, 0, NULL, &available, NULL)) return FALSE;
  if (available == 0) return TRUE;
  DWORD room = (DWORD)(sizeof read_buf - 1 - read_len);
  DWORD got = 0;
  if (!ReadFile(read_end, read_buf + read_len, available < room ? available : room, &got, NULL)) return FALSE;
  read_len += got;
  read_buf[read_len] = '\0';
  return TRUE;
}

const char *jobs_test_read_all(HANDLE read_end, DWORD timeout_ms) {
  read_len = 0;
  read_buf[0] = '\0';
  ULONGLONG deadline = GetTickCount64() + timeout_ms;
  while (read_some(read_end)) {
    if (GetTickCount64() > deadline) FAILF("output still open after %lu ms; read so far: %s", (unsigned long)timeout_ms, read_buf);
    Sleep(10);
  }
  return read_buf;
}

void jobs_test_read_until(HANDLE read_end, const char *want, DWORD timeout_ms) {
  read_len = 0;
  read_buf[0] = '\0';
  ULONGLONG deadline = GetTickCount64() + timeout_ms;
  while (strstr(read_buf, want) == NULL) {
    if (!read_some(read_end)) FAILF("output closed before \"%s\"; read: %s", want, read_buf);
    if (GetTickCount64() > deadline) FAILF("no \"%s\" after %lu ms; read: %s", want, (unsigned long)timeout_ms, read_buf);
    Sleep(10);
  }
}

DWORD jobs_test_exit_code(HANDLE process, DWORD timeout_ms) {
  DWORD code = 0;
  if (WaitForSingleObject(process, timeout_ms) != WAIT_OBJECT_0) FAILF("the process did not end within %lu ms", (unsigned long)timeout_ms);
  assert_true(GetExitCodeProcess(process, &code));
  return code;
}

bool jobs_test_job_exists(const char *name) {
  wchar_t wide[256] = L"Global\\";
  assert_true(MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 7, (int)ARRAYSIZE(wide) - 7) > 0);
  HANDLE h = OpenJobObjectW(JOB_OBJECT_QUERY, FALSE, wide);
  if (h == NULL) return false;
  CloseHandle(h);
  return true;
}

bool jobs_test_process_gone(DWORD pid) {
  HANDLE h = OpenProcess(SYNCHRONIZE, FALSE, pid);
  if (h == NULL) return true;
  bool gone = WaitForSingleObject(h, 0) == WAIT_OBJECT_0;
  CloseHandle(h);
  return gone;
}

wctr_err jobs_test_spawn_helper(job_object *job, const char *args, HANDLE out, job_process *p, wctr_errmsg *e) {
  job_spawn_spec spec = {.command_line = jobs_helper_cmdline(args), .env = jobs_test_env(), .std_out = out};
  return job_spawn(job, &spec, p, e);
}

/* --- events ----------------------------------------------------------------------------------------- */

void jobs_test_events_init(jobs_test_events *r) {
  memset(r, 0, sizeof *r);
  InitializeCriticalSection(&r->lock);
  r->changed = CreateEventW(NULL, FALSE, FALSE, NULL);
  assert_non_null(r->changed);
}

void jobs_test_events_free(jobs_test_events *r) {
  DeleteCriticalSection(&r->lock);
  CloseHandle(r->changed);
}

void jobs_test_events_record(void *ctx, void *key, job_event_kind kind, uint32_t pid) {
  jobs_test_events *r = ctx;
  EnterCriticalSection(&r->lock);
  if (r->count < COUNT_OF(r->items)) {
    r->items[r->count].key = key;
    r->items[r->count].kind = kind;
    r->items[r->count].pid = pid;
    r->count++;
  }
  LeaveCriticalSection(&r->lock);
  SetEvent(r->changed);
}

static bool has_event(jobs_test_events *r, void *key, job_event_kind kind, uint32_t pid) {
  bool found = false;
  EnterCriticalSection(&r->lock);
  for (size_t i = 0; i < r->count && !found; i++) {
    found = r->items[i].key == key && r->items[i].kind == kind && (pid == 0 || r->items[i].pid == pid);
  }
  LeaveCriticalSection(&r->lock);
  return found;
}

bool jobs_test_events_wait(jobs_test_events *r, void *key, job_event_kind kind, uint32_t pid, DWORD timeout_ms) {
  ULONGLONG deadline = GetTickCount64() + timeout_ms;
  while (!has_event(r, key, kind, pid)) {
    ULONGLONG now = GetTickCount64();
    if (now >= deadline) return false;
    WaitForSingleObject(r->changed, (DWORD)(deadline - now));
  }
  return true;
}

size_t jobs_test_events_count(jobs_test_events *r, void *key) {
  size_t n = 0;
  EnterCriticalSection(&r->lock);
  for (size_t i = 0; i < r->count; i++) n += r->items[i].key == key;
  LeaveCriticalSection(&r->lock);
  return n;
}
