/* thread_probe N: a process that holds N threads in all (its main thread included), each idle in a wait,
 * and nothing else: the baseline of the "idle commit" benchmark, measured with bench/proc_stats.exe the same
 * way as wctrd. Prints "ready" once the threads exist, then waits until its stdin closes.
 * thread_probe --cpus: prints the number of CPUs Windows reports (what wctrd makes workers for). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static HANDLE forever;

static DWORD WINAPI idle(LPVOID arg) {
  (void)arg;
  WaitForSingleObject(forever, INFINITE);
  return 0;
}

int wmain(int argc, wchar_t **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: thread_probe N | --cpus\n");
    return 2;
  }
  if (wcscmp(argv[1], L"--cpus") == 0) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    printf("%lu\n", (unsigned long)si.dwNumberOfProcessors);
    return 0;
  }
  long n = wcstol(argv[1], NULL, 10);
  forever = CreateEventW(NULL, TRUE, FALSE, NULL);
  for (long i = 1; i < n; i++) {
    HANDLE t = CreateThread(NULL, 0, idle, NULL, 0, NULL);
    if (t == NULL) return 1;
    CloseHandle(t);
  }
  printf("ready\n");
  fflush(stdout);
  char buf[64];
  while (fgets(buf, sizeof buf, stdin) != NULL) {
  }
  return 0;
}
