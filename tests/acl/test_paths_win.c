/* The acl path layer (acl/acl_win.h) through its seam: the exact descriptor every folder and file is
 * created with, the exact protected DACL applied to an existing path, and read-backs compared ACE by ACE.
 * The seam shows what wctr hands to Win32, which holds under Wine too; whether Windows stores and
 * enforces it is test_acl_paths_readback_win's job (Windows only). */
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_sys.h"
#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "acl/sid.h"
#include "common/wstr.h"
#include "testutil.h"

static char recorded[8][512];
static int recorded_count;
static DWORD recorded_info;
static const char *present_sddl; /* what the fake GetNamedSecurityInfoW returns */

static void record_sd(PSECURITY_DESCRIPTOR sd) {
  acl_sd model;
  wctr_errmsg e;
  char *text = NULL;
  assert_true(recorded_count < 8);
  if (sd == NULL) {
    snprintf(recorded[recorded_count++], sizeof recorded[0], "(none)");
    return;
  }
  assert_int_equal(acl_sd_from_descriptor(sd, &model, &e), WCTR_OK);
  assert_int_equal(acl_sddl_format(&model, &text, &e), WCTR_OK);
  snprintf(recorded[recorded_count++], sizeof recorded[0], "%s", text);
  free(text);
  acl_sd_free(&model);
}

static BOOL WINAPI rec_create_dir(LPCWSTR path, LPSECURITY_ATTRIBUTES sa) {
  record_sd(sa != NULL ? sa->lpSecurityDescriptor : NULL);
  return CreateDirectoryW(path, sa);
}

static HANDLE WINAPI rec_create_file(LPCWSTR path, DWORD access, DWORD share, LPSECURITY_ATTRIBUTES sa, DWORD disp,
                                     DWORD flags, HANDLE tmpl) {
  record_sd(sa != NULL ? sa->lpSecurityDescriptor : NULL);
  return CreateFileW(path, access, share, sa, disp, flags, tmpl);
}

static DWORD WINAPI rec_set(LPWSTR path, SE_OBJECT_TYPE type, SECURITY_INFORMATION info, PSID owner, PSID group,
                            PACL dacl, PACL sacl) {
  SECURITY_DESCRIPTOR sd;
  assert_true(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
  assert_true(SetSecurityDescriptorDacl(&sd, TRUE, dacl, FALSE));
  if (info & PROTECTED_DACL_SECURITY_INFORMATION) {
    assert_true(SetSecurityDescriptorControl(&sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED));
  }
  recorded_info = info;
  record_sd(&sd);
  return SetNamedSecurityInfoW(path, type, info, owner, group, dacl, sacl);
}

static DWORD WINAPI fake_get(LPCWSTR path, SE_OBJECT_TYPE type, SECURITY_INFORMATION info, PSID *owner, PSID *group,
                             PACL *dacl, PACL *sacl, PSECURITY_DESCRIPTOR *sd) {
  (void)path, (void)type, (void)info, (void)owner, (void)group, (void)dacl, (void)sacl;
  wchar_t *wide = wctr_utf8_to_wide(present_sddl);
  BOOL ok = ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1, sd, NULL);
  free(wide);
  return ok ? ERROR_SUCCESS : GetLastError();
}

static DWORD WINAPI failing_set(LPWSTR path, SE_OBJECT_TYPE type, SECURITY_INFORMATION info, PSID owner, PSID group,
                                PACL dacl, PACL sacl) {
  (void)path, (void)type, (void)info, (void)owner, (void)group, (void)dacl, (void)sacl;
  return ERROR_ACCESS_DENIED;
}

static acl_syscalls saved;
static char base[MAX_PATH];

static int setup(void **state) {
  (void)state;
  saved = acl_sys;
  acl_sys.CreateDirectoryW = rec_create_dir;
  acl_sys.CreateFileW = rec_create_file;
  acl_sys.SetNamedSecurityInfoW = rec_set;
  recorded_count = 0;
  recorded_info = 0;
  char name[80];
  wctr_test_unique_name("wctr-acl-paths", name, sizeof name);
  wchar_t tmp[MAX_PATH];
  GetTempPathW(MAX_PATH, tmp);
  char *t = wctr_wide_to_utf8(tmp);
  snprintf(base, sizeof base, "%s%s", t, name);
  free(t);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  acl_sys = saved;
  char cmd[MAX_PATH + 40];
  snprintf(cmd, sizeof cmd, "%s", base);
  wchar_t *wide = wctr_utf8_to_wide(cmd);
  /* Best effort: the folders are in the temporary folder. */
  wchar_t sub[MAX_PATH * 2];
  _snwprintf(sub, ARRAYSIZE(sub), L"%ls\\f.txt", wide);
  DeleteFileW(sub);
  _snwprintf(sub, ARRAYSIZE(sub), L"%ls\\sub", wide);
  RemoveDirectoryW(sub);
  RemoveDirectoryW(wide);
  free(wide);
  return 0;
}

static void test_create_dir_with_descriptor(void **state) {
  (void)state;
  wctr_errmsg e;
  bool created = false;
  assert_int_equal(acl_create_dir(base, ACL_SDDL_DATA_ROOT, &created, &e), WCTR_OK);
  assert_true(created);
  assert_int_equal(recorded_count, 1);
  assert_string_equal(recorded[0], ACL_SDDL_DATA_ROOT);
  /* A folder that exists is left alone (no second descriptor applied behind the caller's back). */
  assert_int_equal(acl_create_dir(base, ACL_SDDL_DATA_ROOT, &created, &e), WCTR_OK);
  assert_false(created);
  char sub[MAX_PATH + 8];
  snprintf(sub, sizeof sub, "%s\\sub", base);
  char *sddl = NULL;
  assert_int_equal(acl_secrets_dir_sddl(ACL_SID_CONTAINER_USER, &sddl, &e), WCTR_OK);
  assert_int_equal(acl_create_dir(sub, sddl, &created, &e), WCTR_OK);
  assert_string_equal(recorded[2], "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;S-1-5-93-2-2)");
  free(sddl);
}

static void test_create_file_with_descriptor(void **state) {
  (void)state;
  wctr_errmsg e;
  HANDLE h = INVALID_HANDLE_VALUE;
  assert_int_equal(acl_create_dir(base, ACL_SDDL_DATA_ROOT, NULL, &e), WCTR_OK);
  char path[MAX_PATH + 8];
  snprintf(path, sizeof path, "%s\\f.txt", base);
  char *sddl = NULL;
  assert_int_equal(acl_secret_file_sddl("S-1-5-19", &sddl, &e), WCTR_OK);
  assert_int_equal(acl_create_file(path, sddl, GENERIC_WRITE, 0, CREATE_NEW, &h, &e), WCTR_OK);
  CloseHandle(h);
  assert_string_equal(recorded[1], "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;LS)");
  /* CREATE_NEW on an existing file fails and names the path. */
  assert_int_not_equal(acl_create_file(path, sddl, GENERIC_WRITE, 0, CREATE_NEW, &h, &e), WCTR_OK);
  assert_non_null(strstr(e.text, "f.txt"));
  free(sddl);
}

static void test_apply_protected(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_true(CreateDirectoryW(wctr_utf8_to_wide(base), NULL)); /* default, inherited DACL */
  assert_int_equal(acl_apply_dacl(base, ACL_SDDL_DATA_ROOT, &e), WCTR_OK);
  assert_int_equal(recorded_count, 1);
  assert_string_equal(recorded[0], ACL_SDDL_DATA_ROOT);
  assert_true(recorded_info & DACL_SECURITY_INFORMATION);
  assert_true(recorded_info & PROTECTED_DACL_SECURITY_INFORMATION);
  assert_false(recorded_info & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION));
  acl_sys.SetNamedSecurityInfoW = failing_set;
  assert_int_equal(acl_apply_dacl(base, ACL_SDDL_DATA_ROOT, &e), WCTR_EACCES);
  assert_non_null(strstr(e.text, base));
}

static void test_read_back_compared_ace_by_ace(void **state) {
  (void)state;
  wctr_errmsg e;
  char *actual = NULL;
  acl_sys.GetNamedSecurityInfoW = fake_get;
  present_sddl = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"; /* Windows adds AI when applying: still a match */
  assert_int_equal(acl_verify_dacl("C:\\x", ACL_SDDL_DATA_ROOT, &actual, &e), WCTR_OK);
  assert_string_equal(actual, "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
  free(actual);
  present_sddl = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)"; /* grants more */
  assert_int_equal(acl_verify_dacl("C:\\x", ACL_SDDL_DATA_ROOT, &actual, &e), WCTR_ESTATE);
  assert_non_null(strstr(e.text, "C:\\x"));
  assert_non_null(strstr(e.text, "ACE"));
  free(actual);
  present_sddl = "D:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"; /* inheritance not cut */
  assert_int_equal(acl_verify_dacl("C:\\x", ACL_SDDL_DATA_ROOT, NULL, &e), WCTR_ESTATE);
  assert_non_null(strstr(e.text, "protected"));
  present_sddl = "D:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"; /* order matters: ACE by ACE */
  assert_int_equal(acl_verify_dacl("C:\\x", ACL_SDDL_DATA_ROOT, NULL, &e), WCTR_ESTATE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create_dir_with_descriptor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_create_file_with_descriptor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_apply_protected, setup, teardown),
      cmocka_unit_test_setup_teardown(test_read_back_compared_ace_by_ace, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
