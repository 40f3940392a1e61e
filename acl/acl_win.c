/* acl/acl_win.c - SDDL <-> Win32 security descriptors, SID lookups. */
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_sys.h"
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

/* --- paths -------------------------------------------------------------------------------------------- */

/* The wide path and the descriptor every path function starts from; on failure neither is left. */
static wctr_err path_and_descriptor(const char *path, const char *sddl, wchar_t **wide, acl_sa *sa, wctr_errmsg *e) {
  *wide = wctr_utf8_to_wide(path);
  if (*wide == NULL) return wctr_fail(e, WCTR_EINVAL, "path is not valid UTF-8");
  wctr_err err = acl_sa_from_sddl(sddl, sa, e);
  if (err != WCTR_OK) {
    free(*wide);
    *wide = NULL;
  }
  return err;
}

wctr_err acl_create_dir(const char *path, const char *sddl, bool *created, wctr_errmsg *e) {
  acl_sa sa = {0};
  wchar_t *wide = NULL;
  if (created != NULL) *created = false;
  wctr_err err = path_and_descriptor(path, sddl, &wide, &sa, e);
  if (err != WCTR_OK) return err;
  if (acl_sys.CreateDirectoryW(wide, &sa.sa)) {
    if (created != NULL) *created = true;
  } else {
    DWORD code = GetLastError();
    DWORD attrs = GetFileAttributesW(wide);
    if (code == ERROR_ALREADY_EXISTS && attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY)) {
      err = WCTR_OK;
    } else if (code == ERROR_ALREADY_EXISTS) {
      err = wctr_fail(e, WCTR_EEXIST, "%s exists and is not a folder", path);
    } else {
      err = wctr_fail(e, wctr_log_win32("CreateDirectoryW", code, "%s", path), "cannot create %s (error %lu)",
                      path, (unsigned long)code);
    }
  }
  acl_sa_free(&sa);
  free(wide);
  return err;
}

wctr_err acl_create_file(const char *path, const char *sddl, DWORD access, DWORD share, DWORD disposition,
                         HANDLE *out, wctr_errmsg *e) {
  acl_sa sa = {0};
  wchar_t *wide = NULL;
  *out = INVALID_HANDLE_VALUE;
  wctr_err err = path_and_descriptor(path, sddl, &wide, &sa, e);
  if (err == WCTR_OK) {
    HANDLE h = acl_sys.CreateFileW(wide, access, share, &sa.sa, disposition, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
      DWORD code = GetLastError();
      err = wctr_fail(e, wctr_log_win32("CreateFileW", code, "%s", path), "cannot create %s (error %lu)", path,
                      (unsigned long)code);
    } else {
      *out = h;
    }
  }
  acl_sa_free(&sa);
  free(wide);
  return err;
}

wctr_err acl_apply_dacl(const char *path, const char *sddl, wctr_errmsg *e) {
  acl_sa sa = {0};
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = NULL;
  wchar_t *wide = NULL;
  wctr_err err = path_and_descriptor(path, sddl, &wide, &sa, e);
  if (err != WCTR_OK) return err;
  if (!GetSecurityDescriptorDacl(sa.sd, &present, &dacl, &defaulted) || !present || dacl == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "the descriptor %s has no DACL to apply", sddl);
    goto done;
  }
  DWORD code = acl_sys.SetNamedSecurityInfoW(wide, SE_FILE_OBJECT,
                                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                             NULL, NULL, dacl, NULL);
  if (code != ERROR_SUCCESS) {
    err = wctr_fail(e, wctr_log_win32("SetNamedSecurityInfoW", code, "%s", path),
                    "cannot set the DACL of %s (error %lu)", path, (unsigned long)code);
  }
done:
  acl_sa_free(&sa);
  free(wide);
  return err;
}

/* SID -> canonical string, for the model. */
static wctr_err sid_text(PSID sid, char out[ACL_SID_STRING_MAX], wctr_errmsg *e) {
  wchar_t *wide = NULL;
  if (!ConvertSidToStringSidW(sid, &wide)) return wctr_fail(e, WCTR_EINVAL, "a SID in the descriptor is invalid");
  int n = WideCharToMultiByte(CP_UTF8, 0, wide, -1, out, ACL_SID_STRING_MAX, NULL, NULL);
  LocalFree(wide);
  if (n <= 0) return wctr_fail(e, WCTR_EINVAL, "a SID in the descriptor is too long");
  return WCTR_OK;
}

wctr_err acl_sd_from_descriptor(PSECURITY_DESCRIPTOR sd, acl_sd *out, wctr_errmsg *e) {
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = NULL;
  PSID sid = NULL;
  char text[ACL_SID_STRING_MAX];
  wctr_err err = WCTR_OK;
  acl_sd_init(out);
  if (!GetSecurityDescriptorControl(sd, &control, &revision)) {
    return wctr_fail(e, WCTR_EINVAL, "not a security descriptor");
  }
  if (GetSecurityDescriptorOwner(sd, &sid, &defaulted) && sid != NULL) {
    err = sid_text(sid, text, e);
    if (err == WCTR_OK) err = acl_sd_set_owner(out, text, e);
  }
  sid = NULL;
  if (err == WCTR_OK && GetSecurityDescriptorGroup(sd, &sid, &defaulted) && sid != NULL) {
    err = sid_text(sid, text, e);
    if (err == WCTR_OK) err = acl_sd_set_group(out, text, e);
  }
  if (err != WCTR_OK || !GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) || !present) goto done;
  if (dacl == NULL) {
    /* A NULL DACL grants everyone everything; the model cannot hold it, and wctr must say so. */
    err = wctr_fail(e, WCTR_ESTATE, "the DACL is NULL: everyone has full access");
    goto done;
  }
  out->dacl_present = true;
  out->dacl_bytes = sizeof(ACL);
  out->dacl_protected = (control & SE_DACL_PROTECTED) != 0;
  out->dacl_auto_inherited = (control & SE_DACL_AUTO_INHERITED) != 0;
  out->dacl_auto_inherit_req = (control & SE_DACL_AUTO_INHERIT_REQ) != 0;
  for (DWORD i = 0; i < dacl->AceCount && err == WCTR_OK; i++) {
    ACCESS_ALLOWED_ACE *ace = NULL; /* ACCESS_DENIED_ACE has the same layout */
    if (!GetAce(dacl, i, (void **)&ace)) {
      err = wctr_fail(e, WCTR_EINVAL, "ACE %lu cannot be read", (unsigned long)i + 1);
      break;
    }
    BYTE type = ace->Header.AceType;
    if (type != ACCESS_ALLOWED_ACE_TYPE && type != ACCESS_DENIED_ACE_TYPE) {
      err = wctr_fail(e, WCTR_EINVAL, "ACE %lu has type %u, which wctr does not model", (unsigned long)i + 1,
                      (unsigned)type);
      break;
    }
    err = sid_text((PSID)&ace->SidStart, text, e);
    if (err == WCTR_OK) {
      err = acl_sd_add_ace(out, type == ACCESS_ALLOWED_ACE_TYPE ? ACL_ACE_ALLOW : ACL_ACE_DENY,
                           ace->Header.AceFlags, ace->Mask, text, e);
    }
  }
done:
  if (err != WCTR_OK) acl_sd_free(out);
  return err;
}

wctr_err acl_read_dacl(const char *path, char **out, wctr_errmsg *e) {
  PSECURITY_DESCRIPTOR sd = NULL;
  acl_sd model;
  *out = NULL;
  wchar_t *wide = wctr_utf8_to_wide(path);
  if (wide == NULL) return wctr_fail(e, WCTR_EINVAL, "path is not valid UTF-8");
  DWORD code = acl_sys.GetNamedSecurityInfoW(wide, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, NULL,
                                             NULL, &sd);
  free(wide);
  if (code != ERROR_SUCCESS) {
    return wctr_fail(e, wctr_from_win32(code), "cannot read the DACL of %s (error %lu)", path, (unsigned long)code);
  }
  wctr_err err = acl_sd_from_descriptor(sd, &model, e);
  LocalFree(sd);
  if (err != WCTR_OK) return err;
  err = acl_sddl_format(&model, out, e);
  acl_sd_free(&model);
  return err;
}

wctr_err acl_verify_dacl(const char *path, const char *expected, char **actual, wctr_errmsg *e) {
  char *read = NULL;
  wctr_errmsg why;
  if (actual != NULL) *actual = NULL;
  wctr_err err = acl_read_dacl(path, &read, e);
  if (err != WCTR_OK) return err;
  err = acl_sddl_expect(expected, read, 0, &why);
  if (err != WCTR_OK) err = wctr_fail(e, err, "%s: %s (read back %s)", path, why.text, read);
  if (actual != NULL) {
    *actual = read;
  } else {
    free(read);
  }
  return err;
}
