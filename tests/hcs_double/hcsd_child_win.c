/* tests/hcs_double/hcsd_child_win.c - the process test_hcs_double.c runs inside the double's compute
 * systems. Commands run in order:
 *
 *   out TEXT       write TEXT to stdout        err TEXT    write TEXT to stderr
 *   cat            copy stdin to stdout until end-of-file, then write "<eof>" to stdout
 *   env NAME       write NAME's value (or "<unset>") to stdout
 *   sleep MS       sleep (at most 120 s, so that a forgotten child ends on its own)
 *   spawn MS       start "hcsd_child sleep MS" and write its pid to stdout
 *   exit N         exit with code N (decimal or 0x...)
 *
 * Output goes through WriteFile on the standard handles: no CRT text translation. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

static void put(DWORD which, const wchar_t *text) {
  char buf[1024];
  int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, buf, sizeof buf, NULL, NULL);
  DWORD written;
  if (n > 1) WriteFile(GetStdHandle(which), buf, (DWORD)(n - 1), &written, NULL);
}

static void cat(void) {
  char buf[4096];
  DWORD got, written;
  while (ReadFile(GetStdHandle(STD_INPUT_HANDLE), buf, sizeof buf, &got, NULL) && got > 0) {
    WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), buf, got, &written, NULL);
  }
  put(STD_OUTPUT_HANDLE, L"<eof>");
}

static void spawn(const wchar_t *ms) {
  wchar_t self[MAX_PATH], cmd[MAX_PATH + 64];
  GetModuleFileNameW(NULL, self, MAX_PATH);
  swprintf(cmd, ARRAYSIZE(cmd), L"\"%ls\" sleep %ls", self, ms);
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  ZeroMemory(&si, sizeof si);
  si.cb = sizeof si;
  if (!CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) ExitProcess(90);
  wchar_t pid[32];
  swprintf(pid, ARRAYSIZE(pid), L"%lu", (unsigned long)pi.dwProcessId);
  put(STD_OUTPUT_HANDLE, pid);
  CloseHandle(pi.hThread);
  CloseHandle(pi.hProcess);
}

int wmain(int argc, wchar_t **argv) {
  for (int i = 1; i < argc; i++) {
    const wchar_t *cmd = argv[i];
    const wchar_t *arg = i + 1 < argc ? argv[i + 1] : L"";
    if (wcscmp(cmd, L"cat") == 0) {
      cat();
      continue;
    }
    i++;
    if (wcscmp(cmd, L"out") == 0) {
      put(STD_OUTPUT_HANDLE, arg);
    } else if (wcscmp(cmd, L"err") == 0) {
      put(STD_ERROR_HANDLE, arg);
    } else if (wcscmp(cmd, L"env") == 0) {
      wchar_t value[512];
      DWORD n = GetEnvironmentVariableW(arg, value, ARRAYSIZE(value));
      put(STD_OUTPUT_HANDLE, n > 0 && n < ARRAYSIZE(value) ? value : L"<unset>");
    } else if (wcscmp(cmd, L"sleep") == 0) {
      unsigned long ms = wcstoul(arg, NULL, 10);
      Sleep(ms > 120000 ? 120000 : (DWORD)ms);
    } else if (wcscmp(cmd, L"spawn") == 0) {
      spawn(arg);
    } else if (wcscmp(cmd, L"exit") == 0) {
      return (int)wcstoul(arg, NULL, 0);
    } else {
      put(STD_ERROR_HANDLE, L"hcsd_child: unknown command");
      return 99;
    }
  }
  return 0;
}
