/* npipe_http PIPE METHOD PATH: one HTTP/1.1 request over a named pipe (the Engine API's npipe listener, as a
 * Windows client such as the docker CLI reaches it), with "Connection: close"; prints the whole answer (head
 * and body) as received. Exits 0 when an answer arrived, 1 otherwise. For tests/e2e/engine_api.sh. */
#include <windows.h>

#include <stdio.h>
#include <string.h>

int wmain(int argc, wchar_t **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: npipe_http \\\\.\\pipe\\NAME METHOD PATH\n");
    return 2;
  }
  HANDLE h = INVALID_HANDLE_VALUE;
  for (int i = 0; i < 50 && h == INVALID_HANDLE_VALUE; i++) {
    h = CreateFileW(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PIPE_BUSY) WaitNamedPipeW(argv[1], 200);
  }
  if (h == INVALID_HANDLE_VALUE) {
    fprintf(stderr, "npipe_http: cannot open the pipe (error %lu)\n", GetLastError());
    return 1;
  }
  char req[1024];
  int n = snprintf(req, sizeof req, "%ls %ls HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n", argv[2], argv[3]);
  DWORD done = 0;
  if (n <= 0 || !WriteFile(h, req, (DWORD)n, &done, NULL)) {
    fprintf(stderr, "npipe_http: write failed (error %lu)\n", GetLastError());
    return 1;
  }
  char buf[65536];
  size_t total = 0;
  DWORD got = 0;
  while (ReadFile(h, buf, sizeof buf, &got, NULL) && got > 0) {
    fwrite(buf, 1, got, stdout);
    total += got;
  }
  CloseHandle(h);
  return total > 0 ? 0 : 1;
}
