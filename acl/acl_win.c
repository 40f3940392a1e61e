/* acl/acl_win.c - SDDL <-> Win32 security descriptors, SID lookups. */
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "common/log.h"
#include "common/wstr.h"

wctr_err acl_sa_from_sddl(const char *sddl, acl_sa *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  wchar_t *wide = wctr_utf8_to_wide(sddl);
  if (wide == NULL) return wctr_fail(e, WCTR_EINVAL, "security descriptor is not valid UTF-8");
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1, &out->sd, NULL)) {
    DWORD code = GetLastError();
    free(wide);
    wctr_log_win32("ConvertStringSecurityDescriptorToSecurityDescriptorW", code, "SDDL %s", sddl);
    return wctr_fail(e, WCTR_EINTERNAL, "Windows refused the security descriptor %s (error %lu)", sddl,
                     (unsigned long)code);
  }
  free(wide);
  out->sa.nLength = sizeof out->sa;
  out->sa.lpSecurityDescriptor = out->sd;
  out->sa.bInheritHandle = FALSE;
  return WCTR_OK;
}

void acl_sa_free(acl_sa *sa) {
  if (sa == NULL) return;
  if (sa->sd != NULL) LocalFree(sa->sd);
  memset(sa, 0, sizeof *sa);
}

wctr_err acl_sddl_of_descriptor(PSECURITY_DESCRIPTOR sd, char **out, wctr_errmsg *e) {
  wchar_t *wide = NULL;
  *out = NULL;
  if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION,
                                                            &wide, NULL)) {
    DWORD code = GetLastError();
    wctr_log_win32("ConvertSecurityDescriptorToStringSecurityDescriptorW", code, "formatting a DACL");
    return wctr_fail(e, wctr_from_win32(code), "cannot format the security descriptor (error %lu)",
                     (unsigned long)code);
  }
  *out = wctr_wide_to_utf8(wide);
  LocalFree(wide);
  if (*out == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  return WCTR_OK;
}

wctr_err acl_sddl_of_handle(HANDLE handle, SE_OBJECT_TYPE type, char **out, wctr_errmsg *e) {
  PSECURITY_DESCRIPTOR sd = NULL;
  *out = NULL;
  DWORD code = GetSecurityInfo(handle, type, DACL_SECURITY_INFORMATION, NULL, NULL, NULL, NULL, &sd);
  if (code != ERROR_SUCCESS) {
    wctr_log_win32("GetSecurityInfo", code, "reading a DACL back");
    return wctr_fail(e, wctr_from_win32(code), "cannot read the security descriptor back (error %lu)",
                     (unsigned long)code);
  }
  wctr_err err = acl_sddl_of_descriptor(sd, out, e);
  LocalFree(sd);
  return err;
}

wctr_err acl_lookup_sid(const char *account, char *out, size_t size, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wchar_t *wide = wctr_utf8_to_wide(account);
  PSID parsed = NULL;
  wchar_t *sid_text = NULL;
  BYTE sid_buf[SECURITY_MAX_SID_SIZE];
  wchar_t domain[256];
  DWORD sid_size = sizeof sid_buf;
  DWORD domain_size = ARRAYSIZE(domain);
  SID_NAME_USE use;
  PSID sid = (PSID)sid_buf;
  if (wide == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "account name is not valid UTF-8");
    goto done;
  }
  /* A SID string is taken as is, so groups that only exist in a domain the host cannot reach at install
   * time can still be named. */
  if ((wide[0] == L'S' || wide[0] == L's') && wide[1] == L'-') {
    if (!ConvertStringSidToSidW(wide, &parsed)) {
      err = wctr_fail(e, WCTR_EINVAL, "\"%s\" is not a valid SID", account);
      goto done;
    }
    sid = parsed;
  } else if (!LookupAccountNameW(NULL, wide, sid, &sid_size, domain, &domain_size, &use)) {
    DWORD code = GetLastError();
    wctr_log_win32("LookupAccountNameW", code, "account \"%s\"", account);
    err = wctr_fail(e, code == ERROR_NONE_MAPPED ? WCTR_ENOENT : wctr_from_win32(code),
                    "no account or group named \"%s\" on this host", account);
    goto done;
  }
  if (!ConvertSidToStringSidW(sid, &sid_text)) {
    err = wctr_log_win32("ConvertSidToStringSidW", GetLastError(), "account \"%s\"", account);
    wctr_fail(e, err, "cannot format the SID of \"%s\"", account);
    goto done;
  }
  if (WideCharToMultiByte(CP_UTF8, 0, sid_text, -1, out, (int)size, NULL, NULL) <= 0) {
    err = wctr_fail(e, WCTR_EINTERNAL, "SID of \"%s\" does not fit", account);
  }
done:
  if (sid_text != NULL) LocalFree(sid_text);
  if (parsed != NULL) LocalFree(parsed);
  free(wide);
  return err;
}

void acl_account_name(PSID sid, char *out, size_t size) {
  wchar_t name[256];
  wchar_t domain[256];
  DWORD name_size = ARRAYSIZE(name);
  DWORD domain_size = ARRAYSIZE(domain);
  SID_NAME_USE use;
  wchar_t *sid_text = NULL;
  out[0] = '\0';
  if (LookupAccountSidW(NULL, sid, name, &name_size, domain, &domain_size, &use)) {
    wchar_t full[520];
    if (domain[0] != L'\0') {
      _snwprintf(full, ARRAYSIZE(full), L"%ls\\%ls", domain, name);
    } else {
      _snwprintf(full, ARRAYSIZE(full), L"%ls", name);
    }
    full[ARRAYSIZE(full) - 1] = L'\0';
    if (WideCharToMultiByte(CP_UTF8, 0, full, -1, out, (int)size, NULL, NULL) > 0) return;
  }
  if (ConvertSidToStringSidW(sid, &sid_text)) {
    if (WideCharToMultiByte(CP_UTF8, 0, sid_text, -1, out, (int)size, NULL, NULL) <= 0) out[0] = '\0';
    LocalFree(sid_text);
  }
  if (out[0] == '\0') snprintf(out, size, "unknown");
}
