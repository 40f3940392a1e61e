/* proc_stats NAME.exe|PID: prints "threads=N commit=BYTES (PrivateUsage|PagefileUsage)" for the first process
 * with that image name (or that process id), for the thread and memory lines of BENCHMARKS.md. Threads come
 * from a Toolhelp snapshot of the threads (THREADENTRY32, what Task Manager counts); Wine 8 leaves
 * PrivateUsage at 0, so the commit charge (PagefileUsage, the same quantity on Windows) is printed then. */
#include <windows.h>

#include <psapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <tlhelp32.h>

static DWORD find_pid(const wchar_t *name) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  PROCESSENTRY32W pe = {.dwSize = sizeof pe};
  DWORD pid = 0;
  for (BOOL more = Process32FirstW(snap, &pe); more && pid == 0; more = Process32NextW(snap, &pe)) {
    if (_wcsicmp(pe.szExeFile, name) == 0) pid = pe.th32ProcessID;
  }
  CloseHandle(snap);
  return pid;
}

static unsigned count_threads(DWORD pid) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  THREADENTRY32 te = {.dwSize = sizeof te};
  unsigned n = 0;
  for (BOOL more = Thread32First(snap, &te); more; more = Thread32Next(snap, &te)) {
    if (te.th32OwnerProcessID == pid) n++;
  }
  CloseHandle(snap);
  return n;
}

int wmain(int argc, wchar_t **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: proc_stats NAME.exe|PID\n");
    return 2;
  }
  wchar_t *end = NULL;
  DWORD pid = (DWORD)wcstoul(argv[1], &end, 10);
  if (end == argv[1] || *end != L'\0') pid = find_pid(argv[1]);
  if (pid == 0) {
    fprintf(stderr, "no process %ls\n", argv[1]);
    return 1;
  }
  HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  PROCESS_MEMORY_COUNTERS_EX pmc = {.cb = sizeof pmc};
  if (h == NULL || !GetProcessMemoryInfo(h, (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof pmc)) {
    fprintf(stderr, "cannot read process %lu\n", (unsigned long)pid);
    return 1;
  }
  unsigned long long commit = pmc.PrivateUsage != 0 ? pmc.PrivateUsage : pmc.PagefileUsage;
  printf("threads=%u commit=%llu %s\n", count_threads(pid), commit, pmc.PrivateUsage != 0 ? "PrivateUsage" : "PagefileUsage");
  return 0;
}
