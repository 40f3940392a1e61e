/* ioc_child: a child process for test_ioc_win (the I/O core's pipes and handle waits).
 *   ioc_child emit N      writes N bytes of ioc_child_pattern to stdout (binary, NUL bytes included),
 *                         in writes of varying sizes, then exits 0
 *   ioc_child sleep MS    sleeps MS milliseconds, then exits 7
 *   ioc_child cat         copies stdin to stdout until end of file, then exits 0 */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "ioc_child_pattern.h"

static int write_all(HANDLE h, const unsigned char *p, DWORD n) {
  while (n > 0) {
    DWORD done = 0;
    if (!WriteFile(h, p, n, &done, NULL)) return 1;
    p += done;
    n -= done;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "emit") == 0) {
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    size_t total = strtoul(argv[2], NULL, 10);
    static unsigned char buf[70000];
    size_t at = 0;
    DWORD chunk = 1;
    while (at < total) {
      DWORD n = chunk;
      if (n > total - at) n = (DWORD)(total - at);
      for (DWORD i = 0; i < n; i++) buf[i] = ioc_child_pattern(at + i);
      if (write_all(out, buf, n) != 0) return 2;
      at += n;
      /* 1, 7, 49, ... bytes: small writes and writes larger than the pipe's buffer. */
      chunk = chunk * 7 > sizeof buf ? 1 : chunk * 7;
    }
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "sleep") == 0) {
    Sleep((DWORD)strtoul(argv[2], NULL, 10));
    return 7;
  }
  if (argc == 2 && strcmp(argv[1], "cat") == 0) {
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    unsigned char buf[4096];
    DWORD n = 0;
    while (ReadFile(in, buf, sizeof buf, &n, NULL) && n > 0) {
      if (write_all(out, buf, n) != 0) return 2;
    }
    return 0;
  }
  return 64;
}
