/* chatter MS [COUNT]: a container payload that writes numbered lines to stdout, "line 0", "line 1", ...
 *   - without COUNT, one line every MS milliseconds, each written at once, until it is killed, ignoring
 *     console control events (so a stop has to terminate it): for the client-isolation benchmark, whose
 *     chatty container's log must keep growing while clients misbehave;
 *   - with COUNT, COUNT lines as fast as it can and then it exits 0: the large log of the logs benchmark.
 *     The lines go out in 64 KiB writes of its own (WriteFile), because Wine's C runtime flushes stdout at
 *     every LF, and that would measure the payload rather than the log. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

static BOOL WINAPI ignore_all(DWORD type) {
  (void)type;
  return TRUE;
}

static int write_all(HANDLE out, const char *p, size_t len) {
  while (len > 0) {
    DWORD n = 0;
    if (!WriteFile(out, p, (DWORD)len, &n, NULL)) return 1;
    p += n;
    len -= n;
  }
  return 0;
}

int main(int argc, char **argv) {
  DWORD ms = argc > 1 ? (DWORD)strtoul(argv[1], NULL, 10) : 50;
  unsigned long count = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
  SetConsoleCtrlHandler(ignore_all, TRUE);
  if (count == 0) {
    for (unsigned long i = 0;; i++) {
      printf("line %lu\n", i);
      fflush(stdout);
      Sleep(ms);
    }
  }
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  static char buf[64 * 1024];
  size_t len = 0;
  for (unsigned long i = 0; i < count; i++) {
    if (sizeof buf - len < 32) {
      if (write_all(out, buf, len) != 0) return 1;
      len = 0;
    }
    len += (size_t)snprintf(buf + len, sizeof buf - len, "line %lu\n", i);
  }
  return write_all(out, buf, len);
}
