/* acl/acl_win.h - the Windows side of acl: descriptors handed to Win32, read back from Win32, and
 * account names resolved to SIDs. Windows only. All strings are UTF-8. */
#ifndef WCTR_ACL_ACL_WIN_H
#define WCTR_ACL_ACL_WIN_H

#include <windows.h>

#include <accctrl.h>

#include "common/error.h"

/* A SECURITY_ATTRIBUTES whose descriptor is built from SDDL, for creating an object with its DACL
 * from the first instant (no window with inherited rights). */
typedef struct acl_sa {
  SECURITY_ATTRIBUTES sa;
  PSECURITY_DESCRIPTOR sd; /* LocalAlloc'ed by Windows; released by acl_sa_free */
} acl_sa;

wctr_err acl_sa_from_sddl(const char *sddl, acl_sa *out, wctr_errmsg *e);
void acl_sa_free(acl_sa *sa);

/* The DACL of a descriptor (or of an object through its handle) as SDDL, e.g. for `wctr info` and
 * for comparing what Windows stored with what wctr asked for. *out is malloc'ed; free with free(). */
wctr_err acl_sddl_of_descriptor(PSECURITY_DESCRIPTOR sd, char **out, wctr_errmsg *e);
wctr_err acl_sddl_of_handle(HANDLE handle, SE_OBJECT_TYPE type, char **out, wctr_errmsg *e);

/* An account or group name ("Users", "DOMAIN\group") or a SID string -> SID string. The message names
 * the account when it does not exist. out must hold 192 bytes. */
wctr_err acl_lookup_sid(const char *account, char *out, size_t size, wctr_errmsg *e);

/* SID -> "DOMAIN\name", or the SID string itself when the account cannot be looked up (the container
 * SIDs S-1-5-93-2-x have no host account). */
void acl_account_name(PSID sid, char *out, size_t size);

#endif
