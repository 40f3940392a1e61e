/* acl/acl_sys.h - the system-call seam of the acl module (Windows only). Tests replace entries to
 * record what wctr hands to Windows or to present states Wine cannot produce; the product never
 * changes them. */
#ifndef WCTR_ACL_ACL_SYS_H
#define WCTR_ACL_ACL_SYS_H

#include <windows.h>

typedef struct acl_syscalls {
  /* Reads ProtectionStatus and ConversionStatus of the volume (volume GUID path "\\?\Volume{...}\")
   * from WMI ROOT\CIMV2\Security\MicrosoftVolumeEncryption. Returns S_OK or the failing HRESULT. */
  HRESULT (*bitlocker_query)(const wchar_t *volume_guid_path, int *protection_status,
                             int *conversion_status);
} acl_syscalls;

extern acl_syscalls acl_sys;

/* The real implementations, for tests that wrap them. */
HRESULT acl_bitlocker_query_wmi(const wchar_t *volume_guid_path, int *protection_status,
                                int *conversion_status);

#endif
