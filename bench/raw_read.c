/* raw_read FILE...: copies each file to stdout with ReadFile and WriteFile of 64 KiB, and nothing else: the
 * stricter baseline of the logs benchmark (scripts/bench), next to `type` - Wine's cmd.exe `type` converts
 * what it prints and is several times slower than the disk and the pipe, so it flatters `wctr logs`. */
#include <windows.h>

#include <stdio.h>

int wmain(int argc, wchar_t **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: raw_read FILE...\n");
    return 2;
  }
  HANDLE out = GetStdHandle(STD_OUTPUT_HANDLE);
  static char buf[64 * 1024];
  for (int i = 1; i < argc; i++) {
    HANDLE h = CreateFileW(argv[i], GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (h == INVALID_HANDLE_VALUE) {
      fprintf(stderr, "raw_read: cannot open %ls (error %lu)\n", argv[i], GetLastError());
      return 1;
    }
    DWORD n = 0;
    while (ReadFile(h, buf, sizeof buf, &n, NULL) && n > 0) {
      for (DWORD done = 0; done < n;) {
        DWORD w = 0;
        if (!WriteFile(out, buf + done, n - done, &w, NULL)) {
          CloseHandle(h);
          return 1;
        }
        done += w;
      }
    }
    CloseHandle(h);
  }
  return 0;
}
