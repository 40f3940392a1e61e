/* acl/acl_win.h - the Windows side of acl: descriptors handed to Win32, read back from Win32, and
 * account names resolved to SIDs. Windows only. All strings are UTF-8. */
#ifndef WCTR_ACL_ACL_WIN_H
#define WCTR_ACL_ACL_WIN_H

#include <windows.h>

#include <accctrl.h>
#include <stdbool.h>

#include "acl/sd.h"
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

/* --- paths: created with their descriptor, DACLs applied and read back (all through acl_sys) ---------
 * Paths are UTF-8 Windows paths. Messages name the path and the failing call's code; they never contain
 * file contents. */

/* Creates the folder path with the descriptor sddl from its first instant (CreateDirectoryW with the
 * security attributes), so there is no moment where it exists with inherited rights. The parent must
 * exist. *created (may be NULL) says whether it was created; a folder that already exists is left as it
 * is (WCTR_OK, *created false: apply its DACL with acl_apply_dacl). WCTR_EEXIST when a file has the name. */
wctr_err acl_create_dir(const char *path, const char *sddl, bool *created, wctr_errmsg *e);

/* Creates or opens a file with CreateFileW(access, share, disposition), giving it the descriptor sddl
 * when the call creates it (Windows ignores the descriptor of a file that already exists). *out is the
 * handle (CloseHandle). */
wctr_err acl_create_file(const char *path, const char *sddl, DWORD access, DWORD share, DWORD disposition,
                         HANDLE *out, wctr_errmsg *e);

/* Replaces the DACL of an existing file or folder by the DACL of sddl, protected (inheritance from the
 * parent cut: PROTECTED_DACL_SECURITY_INFORMATION) through SetNamedSecurityInfoW. Owner and group are
 * left alone. */
wctr_err acl_apply_dacl(const char *path, const char *sddl, wctr_errmsg *e);

/* The model of a binary descriptor's owner, group and DACL, built ACE by ACE (never by parsing what
 * Windows prints, which may use machine-relative aliases). out is initialised here; acl_sd_free it. */
wctr_err acl_sd_from_descriptor(PSECURITY_DESCRIPTOR sd, acl_sd *out, wctr_errmsg *e);

/* The DACL of path as read back from Windows (GetNamedSecurityInfoW), in canonical SDDL (acl_sddl_format).
 * *out malloc'ed; free with free(). */
wctr_err acl_read_dacl(const char *path, char **out, wctr_errmsg *e);

/* Reads the DACL of path back and compares it with expected ACE by ACE (acl_sddl_expect, options 0).
 * WCTR_OK when it matches; WCTR_ESTATE naming the path and the first difference; the read's errors.
 * actual (may be NULL) receives the read-back SDDL, malloc'ed, also on WCTR_ESTATE. */
wctr_err acl_verify_dacl(const char *path, const char *expected, char **actual, wctr_errmsg *e);

#endif
