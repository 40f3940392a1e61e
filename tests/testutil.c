#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

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
#ifdef _WIN32
  unsigned long pid = GetCurrentProcessId();
#else
  unsigned long pid = (unsigned long)getpid();
#endif
  snprintf(buf, size, "%s-%lu-%u", prefix, pid, ++counter);
}
