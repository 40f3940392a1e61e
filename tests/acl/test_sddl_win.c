/* tests/acl/test_sddl_win.c - the portable SDDL model checked against Windows itself (mingw build only).
 *
 * For each string: Windows parses it (ConvertStringSecurityDescriptorToSecurityDescriptorW) and prints it
 * back (ConvertSecurityDescriptorToStringSecurityDescriptorW); wctr's canonical form must be the same
 * string, and wctr's model must hold what Windows' binary descriptor holds (control bits, ACE types,
 * flags, masks, SIDs, ACL size). A named pipe created with wctr's descriptors must read back as what wctr
 * expects. The portable constants are checked against the Windows headers at compile time.
 *
 * Built twice: test_acl_sddl_win runs under Wine too (only aliases Wine 8 knows); with
 * WCTR_TEST_NEWER_ALIASES it checks the aliases Windows 10 / Server 2016 added, which Wine 8 neither
 * parses nor prints, and so runs on Windows only. */
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "acl/sd.h"
#include "common/wstr.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The portable numbers are Windows' numbers. */
_Static_assert(ACL_RIGHT_DELETE == DELETE, "DELETE");
_Static_assert(ACL_RIGHT_READ_CONTROL == READ_CONTROL, "READ_CONTROL");
_Static_assert(ACL_RIGHT_WRITE_DAC == WRITE_DAC, "WRITE_DAC");
_Static_assert(ACL_RIGHT_WRITE_OWNER == WRITE_OWNER, "WRITE_OWNER");
_Static_assert(ACL_RIGHT_SYNCHRONIZE == SYNCHRONIZE, "SYNCHRONIZE");
_Static_assert(ACL_RIGHT_GENERIC_ALL == GENERIC_ALL, "GENERIC_ALL");
_Static_assert(ACL_RIGHT_GENERIC_EXECUTE == GENERIC_EXECUTE, "GENERIC_EXECUTE");
_Static_assert(ACL_RIGHT_GENERIC_WRITE == GENERIC_WRITE, "GENERIC_WRITE");
_Static_assert(ACL_RIGHT_GENERIC_READ == GENERIC_READ, "GENERIC_READ");
_Static_assert(ACL_FILE_ALL_ACCESS == FILE_ALL_ACCESS, "FILE_ALL_ACCESS");
_Static_assert(ACL_FILE_GENERIC_READ == FILE_GENERIC_READ, "FILE_GENERIC_READ");
_Static_assert(ACL_FILE_GENERIC_WRITE == FILE_GENERIC_WRITE, "FILE_GENERIC_WRITE");
_Static_assert(ACL_FILE_GENERIC_EXECUTE == FILE_GENERIC_EXECUTE, "FILE_GENERIC_EXECUTE");
_Static_assert(ACL_KEY_ALL_ACCESS == KEY_ALL_ACCESS, "KEY_ALL_ACCESS");
_Static_assert(ACL_KEY_READ == KEY_READ && ACL_KEY_READ == KEY_EXECUTE, "KEY_READ");
_Static_assert(ACL_KEY_WRITE == KEY_WRITE, "KEY_WRITE");
_Static_assert(ACL_ACE_OBJECT_INHERIT == OBJECT_INHERIT_ACE, "OBJECT_INHERIT_ACE");
_Static_assert(ACL_ACE_CONTAINER_INHERIT == CONTAINER_INHERIT_ACE, "CONTAINER_INHERIT_ACE");
_Static_assert(ACL_ACE_NO_PROPAGATE == NO_PROPAGATE_INHERIT_ACE, "NO_PROPAGATE_INHERIT_ACE");
_Static_assert(ACL_ACE_INHERIT_ONLY == INHERIT_ONLY_ACE, "INHERIT_ONLY_ACE");
_Static_assert(ACL_ACE_INHERITED == INHERITED_ACE, "INHERITED_ACE");
_Static_assert(ACL_MAX_ACL_BYTES == 0xffff, "ACL.AclSize is a WORD");

/* Windows' binary descriptor -> wctr's model, field by field (no SDDL involved). This is also how a
 * read-back is best compared: Windows' SDDL printer may use aliases relative to the machine or domain. */
static void model_from_descriptor(PSECURITY_DESCRIPTOR sd, acl_sd *out) {
  /* The product's own conversion (acl_win.h), checked here against Windows' SDDL. */
  wctr_errmsg e;
  if (acl_sd_from_descriptor(sd, out, &e) != WCTR_OK) fail_msg("acl_sd_from_descriptor: %s", e.text);
  BOOL present = FALSE;
  BOOL defaulted = FALSE;
  PACL dacl = NULL;
  assert_true(GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted));
  /* Windows' ACL is exactly as large as wctr computes. */
  if (present && dacl != NULL) assert_int_equal(dacl->AclSize, out->dacl_bytes);
}

static char *windows_sddl(PSECURITY_DESCRIPTOR sd) {
  wchar_t *wide = NULL;
  SECURITY_INFORMATION info = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
  assert_true(ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, info, &wide, NULL));
  char *text = wctr_wide_to_utf8(wide);
  LocalFree(wide);
  assert_non_null(text);
  return text;
}

/* Windows and wctr read sddl the same way and print it the same way. */
static void check_against_windows(const char *sddl) {
  wchar_t *wide = wctr_utf8_to_wide(sddl);
  PSECURITY_DESCRIPTOR sd = NULL;
  assert_non_null(wide);
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1, &sd, NULL)) {
    fail_msg("Windows refuses \"%s\": error %lu", sddl, GetLastError());
  }
  free(wide);

  char *theirs = windows_sddl(sd);
  char *ours = NULL;
  wctr_errmsg e;
  if (acl_sddl_canonical(sddl, &ours, &e) != WCTR_OK) fail_msg("wctr refuses \"%s\": %s", sddl, e.text);
  if (strcmp(ours, theirs) != 0) fail_msg("\"%s\": Windows prints \"%s\", wctr \"%s\"", sddl, theirs, ours);

  acl_sd from_windows;
  acl_sd from_wctr;
  model_from_descriptor(sd, &from_windows);
  assert_int_equal(acl_sddl_parse(sddl, &from_wctr, &e), WCTR_OK);
  if (!acl_sd_matches(&from_wctr, &from_windows, ACL_MATCH_STRICT, &e)) fail_msg("\"%s\": %s", sddl, e.text);
  if (from_wctr.dacl_present) assert_int_equal(from_wctr.dacl_bytes, from_windows.dacl_bytes);

  acl_sd_free(&from_windows);
  acl_sd_free(&from_wctr);
  free(ours);
  free(theirs);
  LocalFree(sd);
}

#ifndef WCTR_TEST_NEWER_ALIASES

static void test_strings_match_windows(void **state) {
  (void)state;
  static const char *const cases[] = {
      "",
      "D:",
      "D:P",
      "D:AIARP(A;;FA;;;SY)",
      "G:SYO:BAD:(A;;FA;;;SY)",
      "O:S-1-5-21-1-2-3-500G:S-1-5-21-1-2-3-513",
      "D:(D;IDIOCIOINP;FA;;;WD)",
      "D:(A;;GRGX;;;BU)",
      "D:(A;;GRGW;;;BU)",
      "D:(A;;WDRC;;;BU)",
      "D:(A;;FRFW;;;BU)",
      "D:(A;;FRFX;;;BU)",
      "D:(A;;KX;;;BU)(A;;KA;;;SY)(A;;KW;;;SY)",
      "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)",
      "D:(A;;;;;SY)",
      "D:(A;;0xffffffff;;;SY)",
      "D:(A;;0x100000;;;SY)",
      "D:(A;;0x1200a9;;;SY)",
      "D:(A;;FA;;;s-1-5-18)",
      "D:(A;;FA;;;sy)",
      "D:(A;;FA;;;S-1-5-093-02-01)",
      "D:(A;;FA;;;S-1-5-84-0-0-0-0-1)",
      "O:SYG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;LC;;;BU)"
      "(A;CI;DC;;;BU)(A;OICIIO;SDGXGWGR;;;AU)(A;;0x1301bf;;;AU)",
      /* The aliases Wine 8 knows as well as Windows. */
      "D:(A;;FA;;;AC)(A;;FA;;;AN)(A;;FA;;;AO)(A;;FA;;;AU)(A;;FA;;;BA)(A;;FA;;;BG)(A;;FA;;;BO)(A;;FA;;;BU)"
      "(A;;FA;;;CG)(A;;FA;;;CO)(A;;FA;;;ED)(A;;FA;;;HI)(A;;FA;;;IU)(A;;FA;;;LS)(A;;FA;;;LW)(A;;FA;;;ME)"
      "(A;;FA;;;NO)(A;;FA;;;NS)(A;;FA;;;NU)(A;;FA;;;OW)(A;;FA;;;PO)(A;;FA;;;PS)(A;;FA;;;PU)(A;;FA;;;RC)"
      "(A;;FA;;;RD)(A;;FA;;;RE)(A;;FA;;;RU)(A;;FA;;;SI)(A;;FA;;;SO)(A;;FA;;;SU)(A;;FA;;;SY)(A;;FA;;;WD)",
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) check_against_windows(cases[i]);
}

static void test_descriptors_match_windows(void **state) {
  (void)state;
  const char *groups[] = {ACL_SID_USERS, ACL_SID_CONTAINER_USER, "S-1-5-21-1004336348-1177238915-682003330-1105"};
  char *sddl = NULL;
  check_against_windows(ACL_SDDL_DATA_ROOT);
  for (size_t count = 0; count <= COUNT_OF(groups); count++) {
    assert_int_equal(acl_pipe_sddl(groups, count, &sddl, NULL), WCTR_OK);
    check_against_windows(sddl);
    free(sddl);
  }
  assert_int_equal(acl_secrets_dir_sddl(ACL_SID_CONTAINER_USER, &sddl, NULL), WCTR_OK);
  check_against_windows(sddl);
  free(sddl);
  assert_int_equal(acl_secret_file_sddl(ACL_SID_CONTAINER_ADMINISTRATOR, &sddl, NULL), WCTR_OK);
  check_against_windows(sddl);
  free(sddl);
}

/* Creates a pipe with the descriptor, reads its security back from the handle. */
static void pipe_read_back(const char *sddl, acl_sd *out) {
  char name[64];
  char path[96];
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
  PSECURITY_DESCRIPTOR read_back = NULL;
  wchar_t *wide = wctr_utf8_to_wide(sddl);
  assert_non_null(wide);
  assert_true(
      ConvertStringSecurityDescriptorToSecurityDescriptorW(wide, SDDL_REVISION_1, &sa.lpSecurityDescriptor, NULL));
  free(wide);
  wctr_test_unique_name("wctr-acl-test", name, sizeof name);
  snprintf(path, sizeof path, "\\\\.\\pipe\\%s", name);
  wide = wctr_utf8_to_wide(path);
  assert_non_null(wide);
  HANDLE pipe = CreateNamedPipeW(wide, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1,
                                 4096, 4096, 0, &sa);
  free(wide);
  if (pipe == INVALID_HANDLE_VALUE) fail_msg("CreateNamedPipeW: error %lu", GetLastError());
  DWORD rc = GetSecurityInfo(pipe, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, NULL, NULL, &read_back);
  if (rc != ERROR_SUCCESS) fail_msg("GetSecurityInfo: error %lu", rc);
  model_from_descriptor(read_back, out);
  LocalFree(read_back);
  CloseHandle(pipe);
  LocalFree(sa.lpSecurityDescriptor);
}

static void test_pipe_reads_back(void **state) {
  (void)state;
  const char *groups[] = {ACL_SID_USERS, ACL_SID_AUTHENTICATED_USERS};
  char *sddl = NULL;
  acl_sd expected;
  acl_sd actual;
  wctr_errmsg e;
  assert_int_equal(acl_pipe_sddl(groups, COUNT_OF(groups), &sddl, NULL), WCTR_OK);
  assert_int_equal(acl_sddl_parse(sddl, &expected, &e), WCTR_OK);
  pipe_read_back(sddl, &actual);
  /* Specific rights come back as they were written, ACE for ACE, even with exact masks. */
  if (!acl_sd_matches(&expected, &actual, ACL_MATCH_EXACT_MASK, &e)) fail_msg("%s", e.text);
  acl_sd_free(&actual);

  /* Docker's generic spelling: Windows maps GA/GRGW when it creates the pipe (Wine does not); after
   * mapping both match wctr's descriptor. */
  pipe_read_back("D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;BU)(A;;GRGW;;;AU)", &actual);
  if (!acl_sd_matches(&expected, &actual, 0, &e)) fail_msg("%s", e.text);
  acl_sd_free(&actual);
  acl_sd_free(&expected);
  free(sddl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strings_match_windows),
      cmocka_unit_test(test_descriptors_match_windows),
      cmocka_unit_test(test_pipe_reads_back),
  };
  return cmocka_run_group_tests_name("acl/sddl-windows", tests, NULL, NULL);
}

#else /* WCTR_TEST_NEWER_ALIASES */

static void test_newer_aliases_match_windows(void **state) {
  (void)state;
  static const char *const aliases[] = {"AA", "AS", "CD", "CY", "ER", "ES", "HA", "IS", "LU",
                                        "MP", "MS", "MU", "RA", "RM", "SS", "UD", "WR"};
  for (size_t i = 0; i < COUNT_OF(aliases); i++) {
    char sddl[64];
    snprintf(sddl, sizeof sddl, "O:%sD:(A;;FA;;;%s)", aliases[i], aliases[i]);
    check_against_windows(sddl);
  }
  /* And the other way round: Windows prints the alias for the numeric SID. */
  check_against_windows("D:(A;;FA;;;S-1-5-32-558)(A;;FA;;;S-1-5-84-0-0-0-0-0)(A;;FA;;;S-1-16-8448)");
}

int main(void) {
  wctr_test_require_windows("Wine 8 neither parses nor prints the SDDL aliases Windows 10 added (MU, RM, UD, ...)");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_newer_aliases_match_windows),
  };
  return cmocka_run_group_tests_name("acl/sddl-windows-newer-aliases", tests, NULL, NULL);
}

#endif
