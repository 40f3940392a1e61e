/* acl/acl_sys.h - the system-call seam of the acl module (Windows only). Tests replace entries to
 * record what wctr hands to Windows (the exact security descriptor of every file, folder and DACL
 * applied) or to present states Wine cannot produce (a BitLocker status, a read-back DACL); the product
 * never changes them. */
#ifndef WCTR_ACL_ACL_SYS_H
#define WCTR_ACL_ACL_SYS_H

#include <windows.h>

#include <aclapi.h>

typedef struct acl_syscalls {
  /* Reads ProtectionStatus and ConversionStatus of the volume (volume GUID path "\\?\Volume{...}\")
   * from WMI ROOT\CIMV2\Security\MicrosoftVolumeEncryption. Returns S_OK or the failing HRESULT. */
  HRESULT (*bitlocker_query)(const wchar_t *volume_guid_path, int *protection_status,
                             int *conversion_status);
  /* Object creation with a descriptor from the first instant (acl_create_dir, acl_create_file). */
  BOOL(WINAPI *CreateDirectoryW)(LPCWSTR path, LPSECURITY_ATTRIBUTES sa);
  HANDLE(WINAPI *CreateFileW)
  (LPCWSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa, DWORD disposition, DWORD flags,
   HANDLE template_file);
  /* Applying a protected DACL to an existing path (acl_apply_dacl) and reading one back. */
  DWORD(WINAPI *SetNamedSecurityInfoW)
  (LPWSTR path, SE_OBJECT_TYPE type, SECURITY_INFORMATION info, PSID owner, PSID group, PACL dacl, PACL sacl);
  DWORD(WINAPI *GetNamedSecurityInfoW)
  (LPCWSTR path, SE_OBJECT_TYPE type, SECURITY_INFORMATION info, PSID *owner, PSID *group, PACL *dacl,
   PACL *sacl, PSECURITY_DESCRIPTOR *sd);
} acl_syscalls;

extern acl_syscalls acl_sys;

/* The real implementations, for tests that wrap them. */
HRESULT acl_bitlocker_query_wmi(const wchar_t *volume_guid_path, int *protection_status,
                                int *conversion_status);

#endif
