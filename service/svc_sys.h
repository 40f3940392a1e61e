/* service/svc_sys.h - the system-call seam of the service module (Windows only). Tests replace
 * entries to record exactly what wctrd hands to Windows (the pipe's security descriptor) or to make
 * the Nth call fail; the product never changes them. */
#ifndef WCTR_SERVICE_SVC_SYS_H
#define WCTR_SERVICE_SVC_SYS_H

#include <windows.h>

typedef struct svc_syscalls {
  HANDLE(WINAPI *CreateNamedPipeW)
  (LPCWSTR name, DWORD open_mode, DWORD pipe_mode, DWORD max_instances, DWORD out_size, DWORD in_size,
   DWORD default_timeout, LPSECURITY_ATTRIBUTES sa);
  BOOL(WINAPI *ImpersonateNamedPipeClient)(HANDLE pipe);
  /* Record and log writes: tests make the disk "full" here. */
  BOOL(WINAPI *WriteFile)(HANDLE file, LPCVOID buf, DWORD len, LPDWORD written, LPOVERLAPPED ov);
  /* Files and folders created with a descriptor of their own: tests record the DACL handed to Windows. */
  HANDLE(WINAPI *CreateFileW)
  (LPCWSTR name, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa, DWORD disposition, DWORD flags, HANDLE tmpl);
  BOOL(WINAPI *CreateDirectoryW)(LPCWSTR name, LPSECURITY_ATTRIBUTES sa);
} svc_syscalls;

extern svc_syscalls svc_sys;

#endif
