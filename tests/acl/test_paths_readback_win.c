/* Windows only: what Windows stores for the descriptors wctr creates and applies, read back and compared
 * ACE by ACE. Wine folds file DACLs into Unix mode bits (it reads back an unprotected DACL of SYSTEM, the
 * owner and Everyone), so this suite exits 77 there and runs on the Windows workflow. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "acl/sid.h"
#include "common/wstr.h"
#include "testutil.h"

static char base[MAX_PATH];

static void test_created_and_applied_read_back(void **state) {
  (void)state;
  wctr_errmsg e;
  char *actual = NULL;
  bool created = false;
  assert_int_equal(acl_create_dir(base, ACL_SDDL_DATA_ROOT, &created, &e), WCTR_OK);
  assert_true(created);
  if (acl_verify_dacl(base, ACL_SDDL_DATA_ROOT, &actual, &e) != WCTR_OK) fail_msg("%s", e.text);
  free(actual);
  /* A folder created with the default (inherited) DACL, then given the data root's DACL. */
  char sub[MAX_PATH + 8];
  snprintf(sub, sizeof sub, "%s\\loose", base);
  wchar_t *wide = wctr_utf8_to_wide(sub);
  assert_true(CreateDirectoryW(wide, NULL));
  assert_int_equal(acl_verify_dacl(sub, ACL_SDDL_DATA_ROOT, NULL, &e), WCTR_ESTATE);
  assert_int_equal(acl_apply_dacl(sub, ACL_SDDL_DATA_ROOT, &e), WCTR_OK);
  if (acl_verify_dacl(sub, ACL_SDDL_DATA_ROOT, NULL, &e) != WCTR_OK) fail_msg("%s", e.text);
  RemoveDirectoryW(wide);
  free(wide);
  /* A secrets folder and a secret file in it, for ContainerUser. */
  char *sddl = NULL;
  char *dir_sddl = NULL;
  char secrets[MAX_PATH + 16];
  char file[MAX_PATH + 24];
  HANDLE h = INVALID_HANDLE_VALUE;
  snprintf(secrets, sizeof secrets, "%s\\secrets", base);
  assert_int_equal(acl_secrets_dir_sddl(ACL_SID_CONTAINER_USER, &dir_sddl, &e), WCTR_OK);
  assert_int_equal(acl_create_dir(secrets, dir_sddl, &created, &e), WCTR_OK);
  if (acl_verify_dacl(secrets, dir_sddl, NULL, &e) != WCTR_OK) fail_msg("%s", e.text);
  snprintf(file, sizeof file, "%s\\secret", secrets);
  assert_int_equal(acl_secret_file_sddl(ACL_SID_CONTAINER_USER, &sddl, &e), WCTR_OK);
  assert_int_equal(acl_create_file(file, sddl, GENERIC_WRITE, 0, CREATE_NEW, &h, &e), WCTR_OK);
  CloseHandle(h);
  if (acl_verify_dacl(file, sddl, NULL, &e) != WCTR_OK) fail_msg("%s", e.text);
  wide = wctr_utf8_to_wide(file);
  DeleteFileW(wide);
  free(wide);
  wide = wctr_utf8_to_wide(secrets);
  RemoveDirectoryW(wide);
  free(wide);
  free(dir_sddl);
  free(sddl);
  wide = wctr_utf8_to_wide(base);
  RemoveDirectoryW(wide);
  free(wide);
}

int main(void) {
  wctr_test_require_windows("Wine folds file DACLs into Unix mode bits; read-backs never match");
  char name[80];
  wctr_test_unique_name("wctr-acl-readback", name, sizeof name);
  wchar_t tmp[MAX_PATH];
  GetTempPathW(MAX_PATH, tmp);
  char *t = wctr_wide_to_utf8(tmp);
  snprintf(base, sizeof base, "%s%s", t, name);
  free(t);
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_created_and_applied_read_back)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
