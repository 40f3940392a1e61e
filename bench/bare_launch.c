/* bare_launch [--own-console] COMMAND_LINE: the baseline of the launch benchmark. Does what a job
 * container's start needs at the least - a job object, a process created suspended inside it, resumed,
 * waited for - and nothing else, and exits with the child's exit code. scripts/bench times it against
 * `wctr run --rm --isolation=job host ...` for the same command in the same Wine session.
 * --own-console adds CREATE_NO_WINDOW, as wctrd must: a service has no console to share, so a console
 * program it starts gets a hidden one of its own (and a conhost.exe with it). */
#include <windows.h>

#include <stdio.h>
#include <wchar.h>

int wmain(int argc, wchar_t **argv) {
  DWORD console = 0;
  if (argc == 3 && wcscmp(argv[1], L"--own-console") == 0) {
    console = CREATE_NO_WINDOW;
    argv++;
    argc--;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: bare_launch [--own-console] \"COMMAND LINE\"\n");
    return 2;
  }
  HANDLE job = CreateJobObjectW(NULL, NULL);
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits = {0};
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  SetInformationJobObject(job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(NULL, 1, 0, &size);
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = HeapAlloc(GetProcessHeap(), 0, size);
  InitializeProcThreadAttributeList(attrs, 1, 0, &size);
  UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &job, sizeof job, NULL, NULL);
  STARTUPINFOEXW si = {.StartupInfo.cb = sizeof si, .lpAttributeList = attrs};
  PROCESS_INFORMATION pi;
  if (!CreateProcessW(NULL, argv[1], NULL, NULL, FALSE, CREATE_SUSPENDED | EXTENDED_STARTUPINFO_PRESENT | console, NULL, NULL,
                      &si.StartupInfo, &pi)) {
    fprintf(stderr, "CreateProcessW failed: %lu\n", GetLastError());
    return 1;
  }
  ResumeThread(pi.hThread);
  WaitForSingleObject(pi.hProcess, INFINITE);
  DWORD code = 0;
  GetExitCodeProcess(pi.hProcess, &code);
  return (int)code;
}
