/* tests/acl/test_descriptors.c - acl/descriptors.h: the exact descriptors wctr applies.
 *
 * Each descriptor is checked three ways: its exact string (what Windows is handed), its parsed meaning
 * (who gets which rights, inherited how), and that it matches the canonical form Windows would give
 * back for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "acl/descriptors.h"
#include "acl/sd.h"
#include "acl/sid.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static void expect_ace(const acl_sd *sd, size_t index, acl_ace_type type, uint8_t flags, uint32_t mask,
                       const char *sid) {
  assert_true(index < sd->ace_count);
  const acl_ace *ace = &sd->aces[index];
  if (ace->type != type || ace->flags != flags || ace->mask != mask || strcmp(ace->sid, sid) != 0) {
    fail_msg("ACE %zu is %c flags 0x%x mask 0x%x %s; want %c flags 0x%x mask 0x%x %s", index + 1, (char)ace->type,
             ace->flags, ace->mask, ace->sid, (char)type, flags, mask, sid);
  }
}

static void parse_or_fail(const char *sddl, acl_sd *sd) {
  wctr_errmsg e;
  if (acl_sddl_parse(sddl, sd, &e) != WCTR_OK) fail_msg("\"%s\": %s", sddl, e.text);
}

/* --- data root ------------------------------------------------------------------------------------ */

static void test_data_root(void **state) {
  (void)state;
  assert_string_equal(ACL_SDDL_DATA_ROOT, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)");
  acl_sd sd;
  parse_or_fail(ACL_SDDL_DATA_ROOT, &sd);
  assert_false(sd.has_owner);
  assert_false(sd.has_group);
  assert_true(sd.dacl_present);
  assert_true(sd.dacl_protected);
  assert_int_equal(sd.ace_count, 2);
  const uint8_t inherit = ACL_ACE_OBJECT_INHERIT | ACL_ACE_CONTAINER_INHERIT;
  expect_ace(&sd, 0, ACL_ACE_ALLOW, inherit, ACL_FILE_ALL_ACCESS, ACL_SID_SYSTEM);
  expect_ace(&sd, 1, ACL_ACE_ALLOW, inherit, ACL_FILE_ALL_ACCESS, ACL_SID_ADMINISTRATORS);
  acl_sd_free(&sd);

  /* Already in the form Windows prints, so a read-back compares equal even as a string. */
  char *canonical = NULL;
  assert_int_equal(acl_sddl_canonical(ACL_SDDL_DATA_ROOT, &canonical, NULL), WCTR_OK);
  assert_string_equal(canonical, ACL_SDDL_DATA_ROOT);
  free(canonical);
  /* What Windows gives back after SetNamedSecurityInfo with PROTECTED_DACL_SECURITY_INFORMATION. */
  assert_int_equal(acl_sddl_expect(ACL_SDDL_DATA_ROOT, "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", 0, NULL),
                   WCTR_OK);
  /* A child of the root carries the same ACEs as inherited ones: not a match for the root itself. */
  wctr_errmsg e;
  assert_int_equal(acl_sddl_expect(ACL_SDDL_DATA_ROOT, "D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)", 0, &e), WCTR_ESTATE);
  assert_string_equal(e.text, "DACL: expected protected (P), found it unset");
}

/* --- pipe ----------------------------------------------------------------------------------------- */

static char *pipe_sddl_or_fail(const char *const *groups, size_t count) {
  char *out = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (acl_pipe_sddl(groups, count, &out, &e) != WCTR_OK) fail_msg("acl_pipe_sddl: %s", e.text);
  assert_non_null(out);
  return out;
}

static void test_pipe_without_groups(void **state) {
  (void)state;
  char *out = pipe_sddl_or_fail(NULL, 0);
  assert_string_equal(out, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  free(out);
  const char *unused[] = {"not looked at"};
  out = pipe_sddl_or_fail(unused, 0);
  assert_string_equal(out, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  free(out);
}

static void test_pipe_one_group(void **state) {
  (void)state;
  const char *groups[] = {ACL_SID_USERS};
  char *out = pipe_sddl_or_fail(groups, 1);
  assert_string_equal(out, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;S-1-5-32-545)");

  acl_sd sd;
  parse_or_fail(out, &sd);
  assert_true(sd.dacl_protected);
  assert_int_equal(sd.ace_count, 3);
  expect_ace(&sd, 0, ACL_ACE_ALLOW, 0, ACL_FILE_ALL_ACCESS, ACL_SID_SYSTEM);
  expect_ace(&sd, 1, ACL_ACE_ALLOW, 0, ACL_FILE_ALL_ACCESS, ACL_SID_ADMINISTRATORS);
  /* Read and write, but not WRITE_DAC / WRITE_OWNER / DELETE. */
  expect_ace(&sd, 2, ACL_ACE_ALLOW, 0, 0x12019fu, ACL_SID_USERS);
  assert_int_equal(sd.aces[2].mask & (ACL_RIGHT_WRITE_DAC | ACL_RIGHT_WRITE_OWNER | ACL_RIGHT_DELETE), 0);
  acl_sd_free(&sd);

  /* The pipe's read-back as Windows prints it, and Docker's generic spelling, both match. */
  assert_int_equal(acl_sddl_expect(out, "O:BAG:SYD:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019f;;;BU)", 0, NULL), WCTR_OK);
  assert_int_equal(acl_sddl_expect(out, "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GRGW;;;BU)", 0, NULL), WCTR_OK);
  char *canonical = NULL;
  assert_int_equal(acl_sddl_canonical(out, &canonical, NULL), WCTR_OK);
  assert_string_equal(canonical, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019f;;;BU)");
  free(canonical);
  free(out);
}

static void test_pipe_several_groups(void **state) {
  (void)state;
  const char *groups[] = {"S-1-5-21-1004336348-1177238915-682003330-1105", ACL_SID_CONTAINER_USER,
                          ACL_SID_AUTHENTICATED_USERS};
  char *out = pipe_sddl_or_fail(groups, COUNT_OF(groups));
  assert_string_equal(out,
                      "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;S-1-5-21-1004336348-1177238915-682003330-1105)"
                      "(A;;FRFW;;;S-1-5-93-2-2)(A;;FRFW;;;S-1-5-11)");
  acl_sd sd;
  parse_or_fail(out, &sd);
  assert_int_equal(sd.ace_count, 5);
  for (size_t i = 0; i < COUNT_OF(groups); i++) expect_ace(&sd, 2 + i, ACL_ACE_ALLOW, 0, 0x12019fu, groups[i]);
  acl_sd_free(&sd);
  free(out);
}

static void test_pipe_dedupes_and_canonicalises(void **state) {
  (void)state;
  /* The same SID in several spellings appears once, at its first place; the order is kept otherwise. */
  const char *groups[] = {"s-1-5-32-0545", ACL_SID_AUTHENTICATED_USERS, "S-1-5-32-545", "S-1-5-011", "S-1-5-93-2-2"};
  char *out = pipe_sddl_or_fail(groups, COUNT_OF(groups));
  assert_string_equal(out,
                      "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;S-1-5-32-545)(A;;FRFW;;;S-1-5-11)"
                      "(A;;FRFW;;;S-1-5-93-2-2)");
  free(out);
  /* SYSTEM or Administrators given as a group are kept: harmless, and what was asked for. */
  const char *admins[] = {ACL_SID_ADMINISTRATORS};
  out = pipe_sddl_or_fail(admins, 1);
  assert_string_equal(out, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;S-1-5-32-544)");
  free(out);
}

static void expect_pipe_error(const char *const *groups, size_t count, const char *message) {
  char *out = (char *)"untouched";
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = acl_pipe_sddl(groups, count, &out, &e);
  if (err != WCTR_EINVAL) fail_msg("want invalid_argument, got %s", wctr_err_name(err));
  assert_null(out);
  assert_int_equal(e.code, WCTR_EINVAL);
  if (strcmp(e.text, message) != 0) fail_msg("message \"%s\", want \"%s\"", e.text, message);
}

static void test_pipe_invalid_groups(void **state) {
  (void)state;
  const char *alias[] = {"BU"};
  expect_pipe_error(alias, 1, "pipe group SID 1 (\"BU\") is not a SID string S-1-...");
  const char *second_bad[] = {ACL_SID_USERS, "S-1-5"};
  expect_pipe_error(second_bad, 2, "pipe group SID 2 (\"S-1-5\") is not a SID string S-1-...");
  const char *empty[] = {""};
  expect_pipe_error(empty, 1, "pipe group SID 1 (\"\") is not a SID string S-1-...");
  const char *name[] = {"BUILTIN\\Users"};
  expect_pipe_error(name, 1, "pipe group SID 1 (\"BUILTIN\\Users\") is not a SID string S-1-...");
  const char *trailing[] = {"S-1-5-32-545)(A;;FA;;;WD"}; /* an attempt to smuggle an ACE in */
  expect_pipe_error(trailing, 1, "pipe group SID 1 (\"S-1-5-32-545)(A;;FA;;;WD\") is not a SID string S-1-...");
  const char *null_entry[] = {ACL_SID_USERS, NULL};
  expect_pipe_error(null_entry, 2, "pipe group SID 2 is missing");
  expect_pipe_error(NULL, 1, "pipe group SIDs are missing");
  const char *control[] = {"S-1-5-\x1b[2J"};
  expect_pipe_error(control, 1, "pipe group SID 1 (\"S-1-5-?[2J\") is not a SID string S-1-...");

  char long_sid[300];
  memset(long_sid, '7', sizeof long_sid - 1);
  long_sid[sizeof long_sid - 1] = '\0';
  const char *too_long[] = {long_sid};
  char *out = NULL;
  wctr_errmsg e;
  assert_int_equal(acl_pipe_sddl(too_long, 1, &out, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "(\"7777777777777777777777777777777777777777777777777777777777777777...\")"));

  const char *ok[] = {ACL_SID_USERS};
  assert_int_equal(acl_pipe_sddl(ok, 1, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "no place for the pipe SDDL");
}

/* The header (8 bytes) and the ACEs for SYSTEM (20) and Administrators (24) leave room for 1818 ACEs of
 * 36 bytes (a domain SID S-1-5-21-a-b-c-rid) below Windows' 65535-byte ACL limit. */
static void test_pipe_acl_size_limit(void **state) {
  (void)state;
  enum { FIT = 1818 };
  char(*sids)[ACL_SID_STRING_MAX] = calloc(FIT + 1, sizeof *sids);
  const char **groups = calloc(FIT + 1, sizeof *groups);
  assert_non_null(sids);
  assert_non_null(groups);
  for (size_t i = 0; i <= FIT; i++) {
    snprintf(sids[i], sizeof sids[i], "S-1-5-21-1-2-3-%zu", 1000 + i);
    groups[i] = sids[i];
  }
  char *out = pipe_sddl_or_fail(groups, FIT);
  acl_sd sd;
  parse_or_fail(out, &sd);
  assert_int_equal(sd.ace_count, 2 + FIT);
  assert_int_equal(sd.dacl_bytes, 8 + 20 + 24 + 36 * FIT);
  acl_sd_free(&sd);
  free(out);

  wctr_errmsg e;
  out = (char *)"untouched";
  assert_int_equal(acl_pipe_sddl(groups, FIT + 1, &out, &e), WCTR_EINVAL);
  assert_null(out);
  assert_int_equal(strncmp(e.text, "pipe SDDL for 1819 groups: SDDL at offset ", 42), 0);
  assert_non_null(strstr(e.text, "ACE 1821: the DACL would be larger than 65535 bytes"));
  free(groups);
  free(sids);
}

/* --- secrets --------------------------------------------------------------------------------------- */


/* A volume's _data: SYSTEM and Administrators full access, the two container identities
 * "modify" and no more (never WRITE_DAC, WRITE_OWNER or the generic rights), nobody else, protected, and
 * inherited by every file and folder the containers create. */
static void test_volume_data(void **state) {
  (void)state;
  acl_sd sd;
  wctr_errmsg e;
  acl_sd_init(&sd);
  assert_int_equal(acl_sddl_parse(ACL_SDDL_VOLUME_DATA, &sd, &e), WCTR_OK);
  assert_true(sd.dacl_present);
  assert_true(sd.dacl_protected);
  assert_int_equal(sd.ace_count, 4);
  static const char *const sids[] = {"S-1-5-18", "S-1-5-32-544", ACL_SID_CONTAINER_ADMINISTRATOR, ACL_SID_CONTAINER_USER};
  const uint32_t write_dac = 0x40000u, write_owner = 0x80000u, generic = 0xf0000000u;
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(sd.aces[i].type, ACL_ACE_ALLOW);
    assert_int_equal(sd.aces[i].flags, ACL_ACE_OBJECT_INHERIT | ACL_ACE_CONTAINER_INHERIT);
    assert_string_equal(sd.aces[i].sid, sids[i]);
    assert_int_equal(sd.aces[i].mask & generic, 0);
    if (i >= 2) {
      /* FILE_GENERIC_READ | FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE | DELETE */
      assert_int_equal(sd.aces[i].mask, 0x1301bfu);
      assert_int_equal(sd.aces[i].mask & (write_dac | write_owner), 0);
    } else {
      assert_int_equal(sd.aces[i].mask, 0x1f01ffu); /* FILE_ALL_ACCESS */
    }
  }
  acl_sd_free(&sd);
  /* What Windows would print back is the same string (a read-back compares ACE for ACE). */
  char *canon = NULL;
  assert_int_equal(acl_sddl_canonical(ACL_SDDL_VOLUME_DATA, &canon, &e), WCTR_OK);
  assert_string_equal(canon, ACL_SDDL_VOLUME_DATA);
  free(canon);
  /* The volumes folder is one of the data root's own. */
  bool listed = false;
  for (size_t i = 0; acl_data_root_subdirs[i] != NULL; i++) listed = listed || strcmp(acl_data_root_subdirs[i], "volumes") == 0;
  assert_true(listed);
}

static void test_secrets_dir(void **state) {
  (void)state;
  char *out = NULL;
  wctr_errmsg e;
  assert_int_equal(acl_secrets_dir_sddl(ACL_SID_CONTAINER_USER, &out, &e), WCTR_OK);
  assert_string_equal(out, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;S-1-5-93-2-2)");
  acl_sd sd;
  parse_or_fail(out, &sd);
  const uint8_t inherit = ACL_ACE_OBJECT_INHERIT | ACL_ACE_CONTAINER_INHERIT;
  assert_true(sd.dacl_protected);
  assert_int_equal(sd.ace_count, 3);
  expect_ace(&sd, 0, ACL_ACE_ALLOW, inherit, ACL_FILE_ALL_ACCESS, ACL_SID_SYSTEM);
  expect_ace(&sd, 1, ACL_ACE_ALLOW, inherit, ACL_FILE_ALL_ACCESS, ACL_SID_ADMINISTRATORS);
  expect_ace(&sd, 2, ACL_ACE_ALLOW, inherit, ACL_FILE_GENERIC_READ, ACL_SID_CONTAINER_USER);
  /* The reader cannot write, delete or change the DACL. */
  assert_int_equal(sd.aces[2].mask & (ACL_FILE_GENERIC_WRITE & ~ACL_FILE_GENERIC_READ), 0);
  assert_int_equal(sd.aces[2].mask & (ACL_RIGHT_DELETE | ACL_RIGHT_WRITE_DAC | ACL_RIGHT_WRITE_OWNER), 0);
  acl_sd_free(&sd);
  /* Canonical already: a read-back compares equal as a string too. */
  char *canonical = NULL;
  assert_int_equal(acl_sddl_canonical(out, &canonical, NULL), WCTR_OK);
  assert_string_equal(canonical, out);
  free(canonical);
  free(out);

  assert_int_equal(acl_secrets_dir_sddl("s-1-5-93-2-01", &out, &e), WCTR_OK);
  assert_string_equal(out, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;S-1-5-93-2-1)");
  free(out);
}

static void test_secret_file(void **state) {
  (void)state;
  char *out = NULL;
  wctr_errmsg e;
  assert_int_equal(acl_secret_file_sddl(ACL_SID_CONTAINER_USER, &out, &e), WCTR_OK);
  assert_string_equal(out, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;S-1-5-93-2-2)");
  acl_sd sd;
  parse_or_fail(out, &sd);
  assert_int_equal(sd.ace_count, 3);
  expect_ace(&sd, 0, ACL_ACE_ALLOW, 0, ACL_FILE_ALL_ACCESS, ACL_SID_SYSTEM);
  expect_ace(&sd, 1, ACL_ACE_ALLOW, 0, ACL_FILE_ALL_ACCESS, ACL_SID_ADMINISTRATORS);
  expect_ace(&sd, 2, ACL_ACE_ALLOW, 0, ACL_FILE_GENERIC_READ, ACL_SID_CONTAINER_USER);
  acl_sd_free(&sd);
  free(out);

  /* A file inside the secrets directory inherits the directory's ACEs marked ID, which is not the
   * explicit file descriptor: the check tells them apart. */
  assert_int_equal(acl_secret_file_sddl(ACL_SID_CONTAINER_ADMINISTRATOR, &out, &e), WCTR_OK);
  assert_int_equal(acl_sddl_expect(out, "D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;FR;;;S-1-5-93-2-1)", 0, &e),
                   WCTR_ESTATE);
  free(out);
}

static void test_secrets_invalid(void **state) {
  (void)state;
  char *out = (char *)"untouched";
  wctr_errmsg e;
  assert_int_equal(acl_secrets_dir_sddl("CU", &out, &e), WCTR_EINVAL);
  assert_null(out);
  assert_string_equal(e.text, "secrets reader SID (\"CU\") is not a SID string S-1-...");
  out = (char *)"untouched";
  assert_int_equal(acl_secret_file_sddl("SY", &out, &e), WCTR_EINVAL);
  assert_null(out);
  assert_string_equal(e.text, "secrets reader SID (\"SY\") is not a SID string S-1-...");
  assert_int_equal(acl_secret_file_sddl(NULL, &out, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "secrets reader SID is missing");
  assert_int_equal(acl_secrets_dir_sddl("S-1-5-93-2-2)(A;;FA;;;WD", &out, &e), WCTR_EINVAL);
  assert_int_equal(acl_secrets_dir_sddl(ACL_SID_CONTAINER_USER, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "no place for the secrets SDDL");
}


/* The Engine API token file: the pipe's principals, the groups read-only. */
static void test_api_token_file(void **state) {
  (void)state;
  const char *groups[] = {ACL_SID_USERS, "S-1-5-32-545", "S-1-5-21-1-2-3-1001"};
  char *out = NULL;
  wctr_errmsg e;
  assert_int_equal(acl_api_token_sddl(groups, 3, &out, &e), WCTR_OK);
  assert_string_equal(out, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;S-1-5-32-545)(A;;FR;;;S-1-5-21-1-2-3-1001)");
  acl_sd sd;
  parse_or_fail(out, &sd);
  assert_true(sd.dacl_protected);
  assert_int_equal(sd.ace_count, 4);
  expect_ace(&sd, 2, ACL_ACE_ALLOW, 0, ACL_FILE_GENERIC_READ, ACL_SID_USERS);
  /* Read only: no write, no DACL or owner change, no delete. */
  assert_int_equal(sd.aces[2].mask & (ACL_FILE_GENERIC_WRITE & ~ACL_FILE_GENERIC_READ), 0);
  assert_int_equal(sd.aces[3].mask & (ACL_RIGHT_WRITE_DAC | ACL_RIGHT_WRITE_OWNER | ACL_RIGHT_DELETE), 0);
  acl_sd_free(&sd);
  free(out);
  /* No group: SYSTEM and Administrators alone, as the pipe. */
  assert_int_equal(acl_api_token_sddl(NULL, 0, &out, &e), WCTR_OK);
  assert_string_equal(out, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  free(out);
  const char *alias[] = {"BU"};
  assert_int_equal(acl_api_token_sddl(alias, 1, &out, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "API token file group SID 1 (\"BU\") is not a SID string S-1-...");
  assert_null(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_data_root),
      cmocka_unit_test(test_pipe_without_groups),
      cmocka_unit_test(test_pipe_one_group),
      cmocka_unit_test(test_pipe_several_groups),
      cmocka_unit_test(test_pipe_dedupes_and_canonicalises),
      cmocka_unit_test(test_pipe_invalid_groups),
      cmocka_unit_test(test_api_token_file),
      cmocka_unit_test(test_pipe_acl_size_limit),
      cmocka_unit_test(test_secrets_dir),
      cmocka_unit_test(test_volume_data),
      cmocka_unit_test(test_secret_file),
      cmocka_unit_test(test_secrets_invalid),
  };
  return cmocka_run_group_tests_name("acl/descriptors", tests, NULL, NULL);
}
