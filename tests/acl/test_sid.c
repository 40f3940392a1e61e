/* tests/acl/test_sid.c - acl/sid.h: which strings are SIDs, canonical form, SDDL aliases.
 *
 * The alias table below is written out again from Microsoft's "SID strings" page and winnt.h's RIDs,
 * independently of sid.c, so a typo in either shows up as a failure. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "acl/sid.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
  const char *alias;
  const char *sid;
} expected_aliases[] = {
    {"AA", "S-1-5-32-579"},
    {"AC", "S-1-15-2-1"},
    {"AN", "S-1-5-7"},
    {"AO", "S-1-5-32-548"},
    {"AS", "S-1-18-1"},
    {"AU", "S-1-5-11"},
    {"BA", "S-1-5-32-544"},
    {"BG", "S-1-5-32-546"},
    {"BO", "S-1-5-32-551"},
    {"BU", "S-1-5-32-545"},
    {"CD", "S-1-5-32-574"},
    {"CG", "S-1-3-1"},
    {"CO", "S-1-3-0"},
    {"CY", "S-1-5-32-569"},
    {"ED", "S-1-5-9"},
    {"ER", "S-1-5-32-573"},
    {"ES", "S-1-5-32-576"},
    {"HA", "S-1-5-32-578"},
    {"HI", "S-1-16-12288"},
    {"IS", "S-1-5-32-568"},
    {"IU", "S-1-5-4"},
    {"LS", "S-1-5-19"},
    {"LU", "S-1-5-32-559"},
    {"LW", "S-1-16-4096"},
    {"ME", "S-1-16-8192"},
    {"MP", "S-1-16-8448"},
    {"MS", "S-1-5-32-577"},
    {"MU", "S-1-5-32-558"},
    {"NO", "S-1-5-32-556"},
    {"NS", "S-1-5-20"},
    {"NU", "S-1-5-2"},
    {"OW", "S-1-3-4"},
    {"PO", "S-1-5-32-550"},
    {"PS", "S-1-5-10"},
    {"PU", "S-1-5-32-547"},
    {"RA", "S-1-5-32-575"},
    {"RC", "S-1-5-12"},
    {"RD", "S-1-5-32-555"},
    {"RE", "S-1-5-32-552"},
    {"RM", "S-1-5-32-580"},
    {"RU", "S-1-5-32-554"},
    {"SI", "S-1-16-16384"},
    {"SO", "S-1-5-32-549"},
    {"SS", "S-1-18-2"},
    {"SU", "S-1-5-6"},
    {"SY", "S-1-5-18"},
    {"UD", "S-1-5-84-0-0-0-0-0"},
    {"WD", "S-1-1-0"},
    {"WR", "S-1-5-33"},
};

static const char *const domain_relative_aliases[] = {"AP", "CA", "CN", "DA", "DC", "DD", "DG", "DU", "EA",
                                                      "EK", "KA", "LA", "LG", "PA", "RO", "RS", "SA"};

static void test_valid_sids(void **state) {
  (void)state;
  static const char *const valid[] = {
      "S-1-5-18",
      "S-1-5-32-544",
      "S-1-5-93-2-1",
      "S-1-5-21-1004336348-1177238915-682003330-512",
      "S-1-0-0",
      "S-1-281474976710655-1",                     /* largest authority: 2^48-1 */
      "S-1-5-4294967295",                          /* largest sub-authority */
      "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15", /* 15 sub-authorities */
      "s-1-5-18",                                  /* ConvertStringSidToSidW accepts a lowercase s */
      "S-1-05-018",                                /* ... and leading zeros */
  };
  for (size_t i = 0; i < COUNT_OF(valid); i++) {
    if (!acl_sid_string_valid(valid[i])) fail_msg("\"%s\" should be a valid SID string", valid[i]);
  }
}

static void test_invalid_sids(void **state) {
  (void)state;
  static const char *const invalid[] = {
      "",
      "S",
      "S-",
      "S-1",
      "S-1-",
      "S-1-5",    /* no sub-authority */
      "S-2-5-18", /* revision */
      "S-0-5-18",
      "S-1-5-18-", /* empty last component */
      "S-1--5-18",
      "S-1-5--18",
      "S-1-5-x",
      "S-1-+5-18",
      "S-1-5-+18",
      "S-1--18",
      "S-1-5-18 ",
      " S-1-5-18",
      "S-1-5-18\n",
      "S-1-281474976710656-1", /* authority 2^48 */
      "S-1-5-4294967296",      /* sub-authority 2^32 */
      "S-1-5-99999999999999999999999",
      "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", /* 16 sub-authorities */
      "SY",                                           /* an alias is not a SID string */
      "BA",
      "X-1-5-18",
      "S_1_5_18",
      "S-1-0x5-18",
  };
  assert_false(acl_sid_string_valid(NULL));
  for (size_t i = 0; i < COUNT_OF(invalid); i++) {
    if (acl_sid_string_valid(invalid[i])) fail_msg("\"%s\" should not be a valid SID string", invalid[i]);
  }
}

static void test_canonical_form(void **state) {
  (void)state;
  static const struct {
    const char *in;
    const char *out;
  } cases[] = {
      {"S-1-5-18", "S-1-5-18"},
      {"s-1-5-18", "S-1-5-18"},
      {"S-1-0005-00000018", "S-1-5-18"},
      {"S-1-5-0", "S-1-5-0"},
      {"S-1-5-000", "S-1-5-0"},
      {"SY", "S-1-5-18"},
      {"sy", "S-1-5-18"},
      {"Ba", "S-1-5-32-544"},
      {"S-1-281474976710655-4294967295", "S-1-281474976710655-4294967295"},
      {"S-1-5-93-2-2", "S-1-5-93-2-2"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    char out[ACL_SID_STRING_MAX];
    wctr_errmsg e;
    wctr_errmsg_clear(&e);
    if (acl_sid_canonical(cases[i].in, out, &e) != WCTR_OK) fail_msg("\"%s\": %s", cases[i].in, e.text);
    assert_string_equal(out, cases[i].out);
  }
}

static void test_longest_sid_fits(void **state) {
  (void)state;
  const char *longest =
      "S-1-281474976710655-4294967295-4294967295-4294967295-4294967295-4294967295-4294967295-4294967295-"
      "4294967295-4294967295-4294967295-4294967295-4294967295-4294967295-4294967295-4294967295";
  char out[ACL_SID_STRING_MAX];
  assert_true(strlen(longest) < ACL_SID_STRING_MAX);
  assert_true(acl_sid_string_valid(longest));
  assert_int_equal(acl_sid_canonical(longest, out, NULL), WCTR_OK);
  assert_string_equal(out, longest);
  assert_int_equal(acl_sid_subauthority_count(longest), 15);
}

static void expect_canonical_error(const char *in, const char *fragment) {
  char out[ACL_SID_STRING_MAX];
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = acl_sid_canonical(in, out, &e);
  if (err != WCTR_EINVAL) fail_msg("\"%s\": expected WCTR_EINVAL, got %s", in ? in : "(null)", wctr_err_name(err));
  assert_int_equal(e.code, WCTR_EINVAL);
  if (strstr(e.text, fragment) == NULL)
    fail_msg("\"%s\": message \"%s\" lacks \"%s\"", in ? in : "(null)", e.text, fragment);
  assert_string_equal(out, "");
}

static void test_error_messages(void **state) {
  (void)state;
  expect_canonical_error(NULL, "missing");
  expect_canonical_error("", "expected a SID");
  expect_canonical_error("S-", "revision is missing");
  expect_canonical_error("S-2-5-18", "revision must be 1");
  expect_canonical_error("S-1", "identifier authority is missing");
  expect_canonical_error("S-1-x", "identifier authority must be a decimal number");
  expect_canonical_error("S-1-281474976710656-1", "larger than 2^48-1");
  expect_canonical_error("S-1-5-18-", "sub-authority 2 is empty");
  expect_canonical_error("S-1-5-4294967296", "sub-authority 1 is larger than 4294967295");
  expect_canonical_error("S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "more than 15 sub-authorities");
  expect_canonical_error("S-1-5", "no sub-authority");
  expect_canonical_error("ZZ", "unknown SID alias \"ZZ\"");
  expect_canonical_error("zz", "unknown SID alias \"ZZ\"");
  expect_canonical_error("S-1-5-18x", "unexpected text after the SID at offset 8");
  expect_canonical_error("SYS", "unexpected text after the SID at offset 2");
  expect_canonical_error("1-5-18", "expected a SID");
}

static void test_domain_relative_aliases_refused(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(domain_relative_aliases); i++) {
    char out[ACL_SID_STRING_MAX];
    wctr_errmsg e;
    wctr_errmsg_clear(&e);
    assert_int_equal(acl_sid_canonical(domain_relative_aliases[i], out, &e), WCTR_EINVAL);
    char want[64];
    snprintf(want, sizeof want, "SID alias \"%s\" stands for a machine- or domain-relative SID",
             domain_relative_aliases[i]);
    if (strstr(e.text, want) == NULL) fail_msg("%s: message \"%s\"", domain_relative_aliases[i], e.text);
  }
}

static void test_alias_table(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(expected_aliases); i++) {
    char out[ACL_SID_STRING_MAX];
    assert_int_equal(acl_sid_canonical(expected_aliases[i].alias, out, NULL), WCTR_OK);
    if (strcmp(out, expected_aliases[i].sid) != 0) {
      fail_msg("alias %s resolves to %s, want %s", expected_aliases[i].alias, out, expected_aliases[i].sid);
    }
    const char *alias = acl_sid_alias(expected_aliases[i].sid);
    if (alias == NULL || strcmp(alias, expected_aliases[i].alias) != 0) {
      fail_msg("SID %s prints as %s, want %s", expected_aliases[i].sid, alias ? alias : "(none)",
               expected_aliases[i].alias);
    }
  }
}

/* Every two-letter combination is either in the table above, domain-relative, or unknown: no alias is
 * accepted that the test does not know about. */
static void test_no_unlisted_alias(void **state) {
  (void)state;
  size_t accepted = 0;
  for (char a = 'A'; a <= 'Z'; a++) {
    for (char b = 'A'; b <= 'Z'; b++) {
      char alias[3] = {a, b, '\0'};
      char out[ACL_SID_STRING_MAX];
      if (acl_sid_canonical(alias, out, NULL) != WCTR_OK) continue;
      accepted++;
      bool listed = false;
      for (size_t i = 0; i < COUNT_OF(expected_aliases); i++)
        listed = listed || strcmp(expected_aliases[i].alias, alias) == 0;
      if (!listed) fail_msg("alias %s is accepted but not listed", alias);
    }
  }
  assert_int_equal(accepted, COUNT_OF(expected_aliases));
}

static void test_alias_lookup(void **state) {
  (void)state;
  assert_string_equal(acl_sid_alias(ACL_SID_SYSTEM), "SY");
  assert_string_equal(acl_sid_alias(ACL_SID_ADMINISTRATORS), "BA");
  assert_string_equal(acl_sid_alias(ACL_SID_USERS), "BU");
  assert_string_equal(acl_sid_alias(ACL_SID_AUTHENTICATED_USERS), "AU");
  assert_string_equal(acl_sid_alias(ACL_SID_EVERYONE), "WD");
  assert_string_equal(acl_sid_alias(ACL_SID_LOCAL_SERVICE), "LS");
  assert_string_equal(acl_sid_alias(ACL_SID_NETWORK_SERVICE), "NS");
  assert_string_equal(acl_sid_alias(ACL_SID_CREATOR_OWNER), "CO");
  assert_string_equal(acl_sid_alias(ACL_SID_ALL_APP_PACKAGES), "AC");
  assert_string_equal(acl_sid_alias("s-1-5-018"), "SY"); /* any accepted spelling */
  assert_string_equal(acl_sid_alias("sy"), "SY");
  /* The container identities have no alias: Windows prints them numerically. */
  assert_null(acl_sid_alias(ACL_SID_CONTAINER_ADMINISTRATOR));
  assert_null(acl_sid_alias(ACL_SID_CONTAINER_USER));
  assert_null(acl_sid_alias("S-1-5-21-1-2-3-500"));
  assert_null(acl_sid_alias("S-1-5-18-1"));
  assert_null(acl_sid_alias("not a sid"));
  assert_null(acl_sid_alias(NULL));
}

static void test_well_known_constants(void **state) {
  (void)state;
  static const struct {
    const char *value;
    const char *want;
  } constants[] = {
      {ACL_SID_EVERYONE, "S-1-1-0"},
      {ACL_SID_CREATOR_OWNER, "S-1-3-0"},
      {ACL_SID_AUTHENTICATED_USERS, "S-1-5-11"},
      {ACL_SID_SYSTEM, "S-1-5-18"},
      {ACL_SID_LOCAL_SERVICE, "S-1-5-19"},
      {ACL_SID_NETWORK_SERVICE, "S-1-5-20"},
      {ACL_SID_ADMINISTRATORS, "S-1-5-32-544"},
      {ACL_SID_USERS, "S-1-5-32-545"},
      {ACL_SID_ALL_APP_PACKAGES, "S-1-15-2-1"},
      {ACL_SID_CONTAINER_ADMINISTRATOR, "S-1-5-93-2-1"},
      {ACL_SID_CONTAINER_USER, "S-1-5-93-2-2"},
  };
  for (size_t i = 0; i < COUNT_OF(constants); i++) {
    char out[ACL_SID_STRING_MAX];
    assert_string_equal(constants[i].value, constants[i].want);
    assert_true(acl_sid_string_valid(constants[i].value));
    /* Constants are already canonical, so strcmp against parsed SIDs works. */
    assert_int_equal(acl_sid_canonical(constants[i].value, out, NULL), WCTR_OK);
    assert_string_equal(out, constants[i].value);
  }
}

static void test_scan_stops_at_end_of_sid(void **state) {
  (void)state;
  char out[ACL_SID_STRING_MAX];
  size_t used = 99;
  assert_int_equal(acl_sid_scan("S-1-5-32-545)(A;", &used, out, NULL), WCTR_OK);
  assert_int_equal(used, 12);
  assert_string_equal(out, "S-1-5-32-545");
  assert_int_equal(acl_sid_scan("BAG:SY", &used, out, NULL), WCTR_OK);
  assert_int_equal(used, 2);
  assert_string_equal(out, "S-1-5-32-544");
  assert_int_equal(acl_sid_scan("S-1-5-18G:SY", &used, out, NULL), WCTR_OK);
  assert_int_equal(used, 8);
  /* A dangling dash belongs to the SID and makes it invalid, rather than ending it. */
  wctr_errmsg e;
  assert_int_equal(acl_sid_scan("S-1-5-18-)", &used, out, &e), WCTR_EINVAL);
  assert_int_equal(used, 0);
  assert_non_null(strstr(e.text, "sub-authority 2 is empty"));
}

static void test_subauthority_count(void **state) {
  (void)state;
  assert_int_equal(acl_sid_subauthority_count("S-1-1-0"), 1);
  assert_int_equal(acl_sid_subauthority_count("S-1-5-32-544"), 2);
  assert_int_equal(acl_sid_subauthority_count("S-1-5-84-0-0-0-0-0"), 6);
  /* Only the canonical form counts, so callers cannot size a binary SID from a spelling they did not
   * normalise. */
  assert_int_equal(acl_sid_subauthority_count("s-1-5-18"), 0);
  assert_int_equal(acl_sid_subauthority_count("S-1-5-018"), 0);
  assert_int_equal(acl_sid_subauthority_count("SY"), 0);
  assert_int_equal(acl_sid_subauthority_count(NULL), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_sids),
      cmocka_unit_test(test_invalid_sids),
      cmocka_unit_test(test_canonical_form),
      cmocka_unit_test(test_longest_sid_fits),
      cmocka_unit_test(test_error_messages),
      cmocka_unit_test(test_domain_relative_aliases_refused),
      cmocka_unit_test(test_alias_table),
      cmocka_unit_test(test_no_unlisted_alias),
      cmocka_unit_test(test_alias_lookup),
      cmocka_unit_test(test_well_known_constants),
      cmocka_unit_test(test_scan_stops_at_end_of_sid),
      cmocka_unit_test(test_subauthority_count),
  };
  return cmocka_run_group_tests_name("acl/sid", tests, NULL, NULL);
}
