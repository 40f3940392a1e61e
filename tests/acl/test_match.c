/* tests/acl/test_match.c - acl/sd.h: generic-rights mapping, acl_sd_matches and acl_sddl_expect.
 *
 * The "actual" strings stand for what Windows gives back for an object wctr created; the messages are
 * checked word for word because they are what an operator reads when a DACL is not what wctr set. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "acl/sd.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static void test_map_generic_file(void **state) {
  (void)state;
  static const struct {
    uint32_t in;
    uint32_t out;
  } cases[] = {
      {0, 0},
      {ACL_RIGHT_GENERIC_READ, 0x120089u},
      {ACL_RIGHT_GENERIC_WRITE, 0x120116u},
      {ACL_RIGHT_GENERIC_EXECUTE, 0x1200a0u},
      {ACL_RIGHT_GENERIC_ALL, 0x1f01ffu},
      {ACL_RIGHT_GENERIC_READ | ACL_RIGHT_GENERIC_WRITE, 0x12019fu},
      {ACL_RIGHT_GENERIC_READ | ACL_RIGHT_GENERIC_EXECUTE, 0x1200a9u},
      {ACL_RIGHT_GENERIC_READ | ACL_RIGHT_DELETE, 0x130089u}, /* specific bits are kept */
      {ACL_RIGHT_GENERIC_MASK, 0x1f01ffu},
      {ACL_FILE_ALL_ACCESS, ACL_FILE_ALL_ACCESS}, /* nothing generic: unchanged */
      {0x01000000u, 0x01000000u},                 /* ACCESS_SYSTEM_SECURITY */
      {0xffffffffu, 0x0fffffffu},                 /* generic bits always cleared */
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    uint32_t got = acl_map_generic_file(cases[i].in);
    if (got != cases[i].out) fail_msg("map(0x%x) = 0x%x, want 0x%x", cases[i].in, got, cases[i].out);
  }
}

/* acl_sddl_expect with a message that must match exactly (NULL: must succeed). */
static void expect(const char *expected, const char *actual, unsigned options, const char *message) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = acl_sddl_expect(expected, actual, options, &e);
  if (message == NULL) {
    if (err != WCTR_OK) fail_msg("\"%s\" vs \"%s\": %s", expected, actual, e.text);
    return;
  }
  if (err != WCTR_ESTATE)
    fail_msg("\"%s\" vs \"%s\": got %s (%s), want invalid_state", expected, actual, wctr_err_name(err), e.text);
  assert_int_equal(e.code, WCTR_ESTATE);
  if (strcmp(e.text, message) != 0)
    fail_msg("\"%s\" vs \"%s\":\n  got  \"%s\"\n  want \"%s\"", expected, actual, e.text, message);
}

static void test_generic_and_specific_forms_are_equal(void **state) {
  (void)state;
  expect("D:(A;;FRFW;;;BU)", "D:(A;;0x12019f;;;S-1-5-32-545)", 0, NULL);
  expect("D:(A;;FRFW;;;BU)", "D:(A;;0x12019f;;;S-1-5-32-545)", ACL_MATCH_EXACT_MASK, NULL);
  expect("D:(A;;GRGW;;;BU)", "D:(A;;FRFW;;;BU)", 0, NULL);
  expect("D:(A;;GA;;;SY)", "D:(A;;FA;;;SY)", 0, NULL);
  expect("D:(A;;GA;;;SY)", "D:(A;;0x1f01ff;;;SY)", 0, NULL);
  expect("D:(A;;GRGX;;;BU)", "D:(A;;0x1200a9;;;BU)", 0, NULL);
  expect("D:(A;;GRSD;;;BU)", "D:(A;;0x130089;;;BU)", 0, NULL);
  /* Without mapping, the written bits are what counts. */
  expect("D:(A;;GA;;;SY)", "D:(A;;FA;;;SY)", ACL_MATCH_EXACT_MASK,
         "ACE 1: expected allow 0x10000000 for S-1-5-18, found allow 0x1f01ff for S-1-5-18");
  /* Mapping is not a licence for more rights: GR is not GA. */
  expect("D:(A;;GR;;;SY)", "D:(A;;FA;;;SY)", 0,
         "ACE 1: expected allow 0x120089 for S-1-5-18, found allow 0x1f01ff for S-1-5-18");
}

static void test_ace_differences(void **state) {
  (void)state;
  const char *pipe = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;S-1-5-32-545)";
  expect(pipe, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;BU)", 0,
         "ACE 3: expected allow 0x12019f for S-1-5-32-545, found allow 0x120089 for S-1-5-32-545");
  expect(pipe, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(D;;FRFW;;;BU)", 0,
         "ACE 3: expected allow 0x12019f for S-1-5-32-545, found deny 0x12019f for S-1-5-32-545");
  expect(pipe, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;AU)", 0,
         "ACE 3: expected allow 0x12019f for S-1-5-32-545, found allow 0x12019f for S-1-5-11");
  expect(pipe, "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;OICI;FRFW;;;BU)", 0,
         "ACE 3: expected allow 0x12019f for S-1-5-32-545, found allow 0x12019f [OICI] for S-1-5-32-545");
  expect("D:P(A;OICI;FA;;;SY)", "D:P(A;OICIID;FA;;;SY)", 0,
         "ACE 1: expected allow 0x1f01ff [OICI] for S-1-5-18, found allow 0x1f01ff [OICIID] for S-1-5-18");
  /* Order matters: Windows evaluates ACEs in order, and wctr never reorders them. */
  expect("D:P(A;;FA;;;SY)(A;;FA;;;BA)", "D:P(A;;FA;;;BA)(A;;FA;;;SY)", 0,
         "ACE 1: expected allow 0x1f01ff for S-1-5-18, found allow 0x1f01ff for S-1-5-32-544");
  expect(pipe, "D:P(A;;FA;;;SY)(A;;FA;;;BA)", 0,
         "ACE 3: expected allow 0x12019f for S-1-5-32-545, found none (the DACL has 2 ACEs)");
  expect("D:P(A;;FA;;;SY)(A;;FA;;;BA)", pipe, 0,
         "ACE 3: found allow 0x12019f for S-1-5-32-545, which is not expected (expected 2 ACEs)");
  expect("D:P", "D:P(A;;FA;;;WD)", 0,
         "ACE 1: found allow 0x1f01ff for S-1-1-0, which is not expected (expected 0 ACEs)");
  /* The message shows the mapped mask unless mapping is off. */
  expect("D:(A;;GW;;;BU)", "D:(A;;GR;;;BU)", 0,
         "ACE 1: expected allow 0x120116 for S-1-5-32-545, found allow 0x120089 for S-1-5-32-545");
  expect("D:(A;;GW;;;BU)", "D:(A;;GR;;;BU)", ACL_MATCH_EXACT_MASK,
         "ACE 1: expected allow 0x40000000 for S-1-5-32-545, found allow 0x80000000 for S-1-5-32-545");
}

static void test_dacl_flags(void **state) {
  (void)state;
  /* Windows adds AI when a protected DACL is set through SetNamedSecurityInfo: ignored by default. */
  expect("D:P(A;OICI;FA;;;SY)", "D:PAI(A;OICI;FA;;;SY)", 0, NULL);
  expect("D:P(A;OICI;FA;;;SY)", "D:PARAI(A;OICI;FA;;;SY)", 0, NULL);
  expect("D:P(A;OICI;FA;;;SY)", "D:PAI(A;OICI;FA;;;SY)", ACL_MATCH_AUTO_INHERIT,
         "DACL: expected it unset, found auto-inherited (AI)");
  expect("D:PAI(A;OICI;FA;;;SY)", "D:PAIAR(A;OICI;FA;;;SY)", ACL_MATCH_AUTO_INHERIT,
         "DACL: expected it unset, found auto-inherit requested (AR)");
  expect("D:PAI(A;OICI;FA;;;SY)", "D:PAI(A;OICI;FA;;;SY)", ACL_MATCH_AUTO_INHERIT, NULL);
  /* Protection is never ignored: an unprotected DACL lets the parent's ACEs in. */
  expect("D:P(A;OICI;FA;;;SY)", "D:AI(A;OICI;FA;;;SY)", 0, "DACL: expected protected (P), found it unset");
  expect("D:(A;OICI;FA;;;SY)", "D:P(A;OICI;FA;;;SY)", 0, "DACL: expected it unset, found protected (P)");
}

static void test_parts(void **state) {
  (void)state;
  /* Parts the expected descriptor leaves out are not compared by default... */
  expect("D:P(A;;FA;;;SY)", "O:BAG:SYD:PAI(A;;FA;;;SY)", 0, NULL);
  expect("O:BA", "O:BAG:SYD:P", 0, NULL);
  expect("", "O:BAG:SYD:P(A;;FA;;;WD)", 0, NULL);
  /* ... and are with ACL_MATCH_ALL_PARTS. */
  expect("D:P(A;;FA;;;SY)", "O:BAD:P(A;;FA;;;SY)", ACL_MATCH_ALL_PARTS, "owner: expected none, found S-1-5-32-544");
  expect("D:P(A;;FA;;;SY)", "G:SYD:P(A;;FA;;;SY)", ACL_MATCH_ALL_PARTS, "group: expected none, found S-1-5-18");
  expect("O:BA", "O:BAD:P(A;;FA;;;SY)", ACL_MATCH_ALL_PARTS, "DACL: expected none, found one with 1 ACEs");
  expect("O:BA", "O:BA", ACL_MATCH_STRICT, NULL);
  /* Parts that expected names must be there and equal. */
  expect("O:BAD:P", "O:SYD:P", 0, "owner: expected S-1-5-32-544, found S-1-5-18");
  expect("O:BAD:P", "D:P", 0, "owner: expected S-1-5-32-544, found none");
  expect("G:SY", "G:S-1-5-18", 0, NULL);
  expect("G:SY", "G:BA", 0, "group: expected S-1-5-18, found S-1-5-32-544");
  expect("G:SY", "O:SY", 0, "group: expected S-1-5-18, found none");
  expect("D:P(A;;FA;;;SY)(A;;FA;;;BA)", "O:BA", 0, "DACL: expected one with 2 ACEs, found none");
  /* An empty DACL (no access) is not the same as no DACL. */
  expect("D:", "O:BA", 0, "DACL: expected one with 0 ACEs, found none");
}

static void test_strict_equality(void **state) {
  (void)state;
  expect("O:BAG:SYD:PAI(A;OICI;GA;;;SY)", "O:S-1-5-32-544G:s-1-5-18D:AIP(A;CIOI;0x10000000;;;SY)", ACL_MATCH_STRICT,
         NULL);
  expect("D:(A;;GA;;;SY)", "D:(A;;FA;;;SY)", ACL_MATCH_STRICT,
         "ACE 1: expected allow 0x10000000 for S-1-5-18, found allow 0x1f01ff for S-1-5-18");
}

static void test_models_filled_by_hand(void **state) {
  (void)state;
  /* SIDs compare by value even when a caller wrote an alias or an odd spelling into the model. */
  acl_ace expected_ace = {ACL_ACE_ALLOW, 0, ACL_FILE_ALL_ACCESS, "BA"};
  acl_ace actual_ace = {ACL_ACE_ALLOW, 0, ACL_FILE_ALL_ACCESS, "s-1-5-32-0544"};
  acl_sd expected;
  acl_sd actual;
  acl_sd_init(&expected);
  acl_sd_init(&actual);
  expected.dacl_present = actual.dacl_present = true;
  expected.aces = &expected_ace;
  actual.aces = &actual_ace;
  expected.ace_count = actual.ace_count = 1;
  assert_true(acl_sd_matches(&expected, &actual, ACL_MATCH_STRICT, NULL));
  snprintf(actual_ace.sid, sizeof actual_ace.sid, "S-1-5-32-545");
  wctr_errmsg why;
  assert_false(acl_sd_matches(&expected, &actual, 0, &why));
  assert_int_equal(why.code, WCTR_ESTATE);
  assert_string_equal(why.text,
                      "ACE 1: expected allow 0x1f01ff for S-1-5-32-544, found allow 0x1f01ff for S-1-5-32-545");
  assert_false(acl_sd_matches(&expected, &actual, 0, NULL)); /* why may be NULL */
  assert_false(acl_sd_matches(NULL, &actual, 0, &why));
  assert_int_equal(why.code, WCTR_EINVAL);
  assert_false(acl_sd_matches(&expected, NULL, 0, &why));
}

static void test_expect_parse_errors(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_int_equal(acl_sddl_expect("D:(A;;FA;;;ZZ)", "D:", 0, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "expected SDDL: SDDL at offset 11 (\"ZZ)\"): ACE 1: trustee: unknown SID alias \"ZZ\"");
  assert_int_equal(acl_sddl_expect("D:", "D:NO_ACCESS_CONTROL", 0, &e), WCTR_EINVAL);
  assert_int_equal(strncmp(e.text, "actual SDDL: SDDL at offset 2", 29), 0);
  assert_non_null(strstr(e.text, "NULL DACL"));
  assert_int_equal(acl_sddl_expect(NULL, "D:", 0, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "expected SDDL: SDDL string is missing");
  assert_int_equal(acl_sddl_expect("D:", NULL, 0, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "actual SDDL: SDDL string is missing");
  assert_int_equal(acl_sddl_expect("D:", "D:", 0, NULL), WCTR_OK);
  assert_int_equal(acl_sddl_expect("D:", "O:SY", 0, NULL), WCTR_ESTATE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_map_generic_file),
      cmocka_unit_test(test_generic_and_specific_forms_are_equal),
      cmocka_unit_test(test_ace_differences),
      cmocka_unit_test(test_dacl_flags),
      cmocka_unit_test(test_parts),
      cmocka_unit_test(test_strict_equality),
      cmocka_unit_test(test_models_filled_by_hand),
      cmocka_unit_test(test_expect_parse_errors),
  };
  return cmocka_run_group_tests_name("acl/match", tests, NULL, NULL);
}
