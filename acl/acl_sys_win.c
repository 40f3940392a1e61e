/* acl/acl_sys_win.c - the real entries of the acl module's system-call seam (acl_sys.h). */
#include <windows.h>

#include <aclapi.h>

#include "acl/acl_sys.h"

acl_syscalls acl_sys = {
    .bitlocker_query = acl_bitlocker_query_wmi,
    .CreateDirectoryW = CreateDirectoryW,
    .CreateFileW = CreateFileW,
    .SetNamedSecurityInfoW = SetNamedSecurityInfoW,
    .GetNamedSecurityInfoW = GetNamedSecurityInfoW,
};
