/* tests/hcs/test_osversion.c - hcs/osversion.h: parsing, and hcsshim's process-isolation rule at its
 * boundaries (equal builds before 20348, the LTSC ranges from 20348 and from 26100). */
#include "hcs_test.h"

#include "hcs/osversion.h"

static hcs_osversion v(const char *text) {
  hcs_osversion out;
  wctr_errmsg e;
  if (hcs_osversion_parse(text, &out, &e) != WCTR_OK) FAILF("%s refused: %s", text, e.text);
  return out;
}

static void test_parse(void **state) {
  (void)state;
  hcs_osversion o = v("10.0.20348.1234");
  assert_int_equal(o.major, 10);
  assert_int_equal(o.minor, 0);
  assert_int_equal(o.build, 20348);
  assert_int_equal(o.revision, 1234);
  o = v("10.0.17763");
  assert_int_equal(o.build, 17763);
  assert_int_equal(o.revision, 0);
  o = v("4294967295.0.1.4294967295");
  assert_int_equal(o.major, 4294967295u);
}

static void test_parse_refused(void **state) {
  (void)state;
  static const char *const bad[] = {"", "10", "10.0", "10.0.", ".10.0.1", "10..0.1", "10.0.1.2.3",
                                    "10.0.x", "10.0.20348 ", " 10.0.1", "-10.0.1", "+10.0.1",
                                    "10.0.4294967296", "10.0.99999999999999999999"};
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    hcs_osversion o = {7, 7, 7, 7};
    wctr_errmsg e;
    if (hcs_osversion_parse(bad[i], &o, &e) != WCTR_EINVAL) FAILF("\"%s\" accepted", bad[i]);
    assert_int_equal(o.major, 7); /* untouched */
    if (strstr(e.text, "must be major.minor.build[.revision]") == NULL) FAILF("message: %s", e.text);
  }
}

struct compat_case {
  const char *host;
  const char *image;
  hcs_compat want;
};

static void test_rule_boundaries(void **state) {
  (void)state;
  static const struct compat_case cases[] = {
      /* major/minor must match */
      {"10.0.20348", "6.3.20348", HCS_COMPAT_MISMATCH},
      {"10.0.20348", "10.1.20348", HCS_COMPAT_MISMATCH},
      /* before Server 2022: builds equal; the revision never matters */
      {"10.0.17763.100", "10.0.17763.5000", HCS_COMPAT_OK},
      {"10.0.17763", "10.0.17762", HCS_COMPAT_MISMATCH},
      {"10.0.17763", "10.0.17764", HCS_COMPAT_MISMATCH},
      {"10.0.20347", "10.0.20347", HCS_COMPAT_OK},
      {"10.0.20347", "10.0.20348", HCS_COMPAT_MISMATCH},
      {"10.0.19041", "10.0.17763", HCS_COMPAT_MISMATCH},
      /* host 20348 (an LTSC): range [20348, 20348] */
      {"10.0.20348", "10.0.20348", HCS_COMPAT_OK},
      {"10.0.20348", "10.0.20347", HCS_COMPAT_MISMATCH},
      {"10.0.20348", "10.0.17763", HCS_COMPAT_MISMATCH},
      {"10.0.20348", "10.0.20349", HCS_COMPAT_MISMATCH},
      /* Windows 11 22H2 host: [20348, 22621] */
      {"10.0.22621", "10.0.20348", HCS_COMPAT_OK},
      {"10.0.22621", "10.0.22000", HCS_COMPAT_OK},
      {"10.0.22621", "10.0.22621", HCS_COMPAT_OK},
      {"10.0.22621", "10.0.20347", HCS_COMPAT_MISMATCH},
      {"10.0.22621", "10.0.22622", HCS_COMPAT_MISMATCH},
      /* 25398 (23H2): still from 20348 */
      {"10.0.26099", "10.0.20348", HCS_COMPAT_OK},
      {"10.0.26099", "10.0.26099", HCS_COMPAT_OK},
      {"10.0.26099", "10.0.26100", HCS_COMPAT_MISMATCH},
      /* host 26100 (Server 2025, an LTSC): hcsshim's >= makes the range start at 26100 */
      {"10.0.26100", "10.0.26100", HCS_COMPAT_OK},
      {"10.0.26100", "10.0.20348", HCS_COMPAT_MISMATCH},
      {"10.0.26100", "10.0.26099", HCS_COMPAT_MISMATCH},
      /* after 26100: [26100, host] */
      {"10.0.26200", "10.0.26100", HCS_COMPAT_OK},
      {"10.0.26200", "10.0.26200", HCS_COMPAT_OK},
      {"10.0.26200", "10.0.26201", HCS_COMPAT_MISMATCH},
      {"10.0.26200", "10.0.20348", HCS_COMPAT_MISMATCH},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    hcs_osversion host = v(cases[i].host);
    hcs_osversion image = v(cases[i].image);
    char msg[256];
    hcs_compat got = hcs_osversion_check(&host, &image, msg, sizeof msg);
    if (got != cases[i].want) FAILF("host %s image %s: got %d (%s)", cases[i].host, cases[i].image, got, msg);
    if (got == HCS_COMPAT_MISMATCH && strstr(msg, "use --isolation=hyperv") == NULL) FAILF("message: %s", msg);
  }
}

static void test_messages(void **state) {
  (void)state;
  hcs_osversion host = v("10.0.20348.2113");
  hcs_osversion image = v("10.0.17763.5458");
  char msg[256];
  assert_int_equal(hcs_osversion_check(&host, &image, msg, sizeof msg), HCS_COMPAT_MISMATCH);
  assert_string_equal(msg, "image OS version 10.0.17763 does not match host 10.0.20348, which runs images "
                           "from build 20348 to 20348; use --isolation=hyperv");
  host = v("10.0.17763");
  image = v("10.0.20348");
  assert_int_equal(hcs_osversion_check(&host, &image, msg, sizeof msg), HCS_COMPAT_MISMATCH);
  assert_string_equal(msg, "image OS version 10.0.20348 does not match host 10.0.17763; use --isolation=hyperv");
  host = v("10.0.22621");
  image = v("10.0.20348");
  assert_int_equal(hcs_osversion_check(&host, &image, msg, sizeof msg), HCS_COMPAT_OK);
  assert_string_equal(msg, "image OS version 10.0.20348 runs on host 10.0.22621");
  /* no buffer, or a tiny one: still a decision, never an overflow */
  assert_int_equal(hcs_osversion_check(&host, &image, NULL, 0), HCS_COMPAT_OK);
  char tiny[8];
  image = v("10.0.17763");
  assert_int_equal(hcs_osversion_check(&host, &image, tiny, sizeof tiny), HCS_COMPAT_MISMATCH);
  assert_string_equal(tiny, "image O");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_parse_refused),
      cmocka_unit_test(test_rule_boundaries),
      cmocka_unit_test(test_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
