/* sleeper SECONDS [--ignore-ctrl] [--exit N]: a container payload for the end-to-end tests. Prints
 * "sleeping", sleeps, prints "woke", exits N (default 0). With --ignore-ctrl it ignores every console
 * control event, the way a badly behaved service does, so `wctr stop -t 1` has to terminate it.
 * sleeper --cat: copies stdin to stdout byte for byte until end of file, then prints "eof" (for `wctr run
 * -i`, binary input included).
 * sleeper --lines MS: writes a numbered line of 100 bytes ("line 0000000042 xxx...") every MS milliseconds
 * until it is killed, each with a WriteFile of its own (a chatty container for the client isolation test). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static BOOL WINAPI ignore_all(DWORD type) {
  (void)type;
  return TRUE;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--cat") == 0) {
    char buf[4096];
    DWORD n = 0;
    DWORD written = 0;
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    /* WriteFile, not the C runtime's text mode: the bytes go out as they came in. */
    while (ReadFile(in, buf, sizeof buf, &n, NULL) && n > 0) WriteFile(out, buf, n, &written, NULL);
    printf("eof\n");
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "--lines") == 0) {
    DWORD ms = (DWORD)strtoul(argv[2], NULL, 10);
    HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
    char line[128];
    for (unsigned long i = 0;; i++) {
      int n = snprintf(line, sizeof line, "line %010lu ", i);
      memset(line + n, 'x', 99 - (size_t)n);
      line[99] = '\n';
      DWORD written = 0;
      if (!WriteFile(out, line, 100, &written, NULL)) return 1;
      Sleep(ms);
    }
  }
  if (argc < 2) {
    fprintf(stderr, "usage: sleeper SECONDS [--ignore-ctrl] [--exit N]\n");
    return 2;
  }
  int code = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--ignore-ctrl") == 0) SetConsoleCtrlHandler(ignore_all, TRUE);
    if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) code = (int)strtol(argv[++i], NULL, 10);
  }
  printf("sleeping\n");
  fflush(stdout);
  Sleep((DWORD)strtoul(argv[1], NULL, 10) * 1000u);
  printf("woke\n");
  fflush(stdout);
  return code;
}
