/* private_bytes NAME.exe: prints the private bytes (PrivateUsage) of the first process with that image
 * name, for the service-memory line of BENCHMARKS.md. Wine 8 leaves PrivateUsage at 0; the commit charge
 * (PagefileUsage, the same quantity on Windows) is printed then, and the line says which it is. */
#include <windows.h>

#include <psapi.h>
#include <stdio.h>
#include <tlhelp32.h>

int wmain(int argc, wchar_t **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: private_bytes NAME.exe\n");
    return 2;
  }
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  PROCESSENTRY32W pe = {.dwSize = sizeof pe};
  for (BOOL more = Process32FirstW(snap, &pe); more; more = Process32NextW(snap, &pe)) {
    if (_wcsicmp(pe.szExeFile, argv[1]) != 0) continue;
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pe.th32ProcessID);
    PROCESS_MEMORY_COUNTERS_EX pmc = {.cb = sizeof pmc};
    if (h != NULL && GetProcessMemoryInfo(h, (PROCESS_MEMORY_COUNTERS *)&pmc, sizeof pmc)) {
      if (pmc.PrivateUsage != 0) {
        printf("%llu PrivateUsage\n", (unsigned long long)pmc.PrivateUsage);
      } else {
        printf("%llu PagefileUsage\n", (unsigned long long)pmc.PagefileUsage);
      }
      return 0;
    }
  }
  fprintf(stderr, "no process named %ls\n", argv[1]);
  return 1;
}
