/* service/svc_sys_win.c - the real entries of the service module's system-call seam (svc_sys.h). */
#include <windows.h>

#include "service/svc_sys.h"

svc_syscalls svc_sys = {
    .CreateNamedPipeW = CreateNamedPipeW,
    .ImpersonateNamedPipeClient = ImpersonateNamedPipeClient,
    .WriteFile = WriteFile,
    .CreateFileW = CreateFileW,
    .CreateDirectoryW = CreateDirectoryW,
};
