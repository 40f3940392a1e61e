/* chatter MS: a container payload that writes a numbered line to stdout every MS milliseconds until it is
 * killed, ignoring console control events (so a stop has to terminate it). For the client-isolation
 * benchmark: its log must keep growing while clients misbehave. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

static BOOL WINAPI ignore_all(DWORD type) {
  (void)type;
  return TRUE;
}

int main(int argc, char **argv) {
  DWORD ms = argc > 1 ? (DWORD)strtoul(argv[1], NULL, 10) : 50;
  SetConsoleCtrlHandler(ignore_all, TRUE);
  for (unsigned long i = 0;; i++) {
    printf("line %lu\n", i);
    fflush(stdout);
    Sleep(ms);
  }
}
