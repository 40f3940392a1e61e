#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

bool wctr_test_under_wine(void) {
#ifdef _WIN32
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
#else
  return false;
#endif
}

void wctr_test_require_windows(const char *reason) {
  if (!wctr_test_under_wine()) return;
  printf("SKIPPED under Wine: %s\n", reason);
  fflush(stdout);
  exit(WCTR_TEST_SKIP_EXIT);
}

void wctr_test_unique_name(const char *prefix, char *buf, size_t size) {
  static unsigned counter;
  /* The time as well as the process id: Wine hands out small process ids again and again, and a name
   * from an earlier run (a folder, a job object) may still exist. */
#ifdef _WIN32
  unsigned long pid = GetCurrentProcessId();
  unsigned long long stamp = GetTickCount64();
#else
  unsigned long pid = (unsigned long)getpid();
  unsigned long long stamp = (unsigned long long)time(NULL);
#endif
  snprintf(buf, size, "%s-%lu-%llx-%u", prefix, pid, stamp, ++counter);
}

FILE *wctr_test_tmpfile(void) {
#ifdef _WIN32
  char name[96];
  wctr_test_unique_name("wctr-test-tmp", name, sizeof name);
  return fopen(name, "w+bD"); /* D: _O_TEMPORARY, deleted when the last handle closes */
#else
  return tmpfile();
#endif
}

#ifdef _WIN32
void wctr_test_native_path(const char *built, wchar_t *out, size_t size) {
  size_t at = 0;
  if (built[0] == '/') {
    out[0] = L'Z';
    out[1] = L':';
    at = 2;
  }
  MultiByteToWideChar(CP_UTF8, 0, built, -1, out + at, (int)(size - at));
  for (wchar_t *p = out; *p != L'\0'; p++) {
    if (*p == L'/') *p = L'\\';
  }
}
#endif
