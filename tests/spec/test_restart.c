/* tests/spec/test_restart.c - spec/spec.h restart policies: the command-line form and its messages, the
 * names, Docker's restart-manager decisions (after an exit, at wctrd's start) and the backoff. */
#include "spec_test.h"

static void test_parse_forms(void **state) {
  (void)state;
  static const struct {
    const char *text;
    spec_restart_name name;
    int64_t retries;
  } ok[] = {{"", SPEC_RESTART_NO, 0},
            {"no", SPEC_RESTART_NO, 0},
            {"always", SPEC_RESTART_ALWAYS, 0},
            {"unless-stopped", SPEC_RESTART_UNLESS_STOPPED, 0},
            {"on-failure", SPEC_RESTART_ON_FAILURE, 0},
            {"on-failure:0", SPEC_RESTART_ON_FAILURE, 0},
            {"on-failure:5", SPEC_RESTART_ON_FAILURE, 5},
            {"on-failure:2147483647", SPEC_RESTART_ON_FAILURE, 2147483647}};
  for (size_t i = 0; i < COUNT_OF(ok); i++) {
    spec_restart r = {SPEC_RESTART_ALWAYS, 99};
    wctr_errmsg e;
    if (spec_restart_parse(ok[i].text, &r, &e) != WCTR_OK) FAILF("\"%s\" refused: %s", ok[i].text, e.text);
    assert_int_equal(r.name, ok[i].name);
    assert_int_equal(r.max_retries, ok[i].retries);
  }
}

static void test_parse_messages(void **state) {
  (void)state;
  static const struct {
    const char *text;
    const char *message;
  } bad[] = {
      {"sometimes", "invalid restart policy 'sometimes'"},
      {"Always", "invalid restart policy 'Always'"}, /* Docker's names are lower case */
      {"always:3", "restart policy 'always' takes no maximum retry count"},
      {"no:1", "restart policy 'no' takes no maximum retry count"},
      {"on-failure:", "invalid restart policy 'on-failure:': the maximum retry count must be a whole number from 0 "
                      "to 2147483647"},
      {"on-failure:-1", "invalid restart policy 'on-failure:-1': the maximum retry count must be a whole number "
                        "from 0 to 2147483647"},
      {"on-failure:x", "invalid restart policy 'on-failure:x': the maximum retry count must be a whole number from "
                       "0 to 2147483647"},
      {"on-failure:2147483648", "invalid restart policy 'on-failure:2147483648': the maximum retry count must be a "
                                "whole number from 0 to 2147483647"},
      {"on-failure: 1", "invalid restart policy 'on-failure: 1': the maximum retry count must be a whole number "
                        "from 0 to 2147483647"},
      {"a-policy-name-far-longer-than-any-real-one", "invalid restart policy "
                                                     "'a-policy-name-far-longer-than-any-real-one'"},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    spec_restart r = {SPEC_RESTART_ALWAYS, 99};
    wctr_errmsg e;
    if (spec_restart_parse(bad[i].text, &r, &e) != WCTR_EINVAL) FAILF("\"%s\" accepted", bad[i].text);
    assert_string_equal(e.text, bad[i].message);
    assert_int_equal(r.name, SPEC_RESTART_ALWAYS); /* untouched */
    assert_int_equal(r.max_retries, 99);
  }
}

static void test_names(void **state) {
  (void)state;
  static const spec_restart_name all[] = {SPEC_RESTART_NO, SPEC_RESTART_ON_FAILURE, SPEC_RESTART_ALWAYS,
                                          SPEC_RESTART_UNLESS_STOPPED};
  static const char *const text[] = {"no", "on-failure", "always", "unless-stopped"};
  for (size_t i = 0; i < COUNT_OF(all); i++) {
    assert_string_equal(spec_restart_name_text(all[i]), text[i]);
    spec_restart_name back = SPEC_RESTART_ALWAYS;
    assert_true(spec_restart_name_parse(text[i], &back));
    assert_int_equal(back, all[i]);
  }
  spec_restart_name n = SPEC_RESTART_ALWAYS;
  assert_true(spec_restart_name_parse("", &n));
  assert_int_equal(n, SPEC_RESTART_NO);
  assert_false(spec_restart_name_parse("on-failure:1", &n));
  assert_false(spec_restart_name_parse("NO", &n));
}

static void test_on_exit(void **state) {
  (void)state;
  spec_restart no = {SPEC_RESTART_NO, 0};
  spec_restart always = {SPEC_RESTART_ALWAYS, 0};
  spec_restart unless = {SPEC_RESTART_UNLESS_STOPPED, 0};
  spec_restart fail2 = {SPEC_RESTART_ON_FAILURE, 2};
  spec_restart fail = {SPEC_RESTART_ON_FAILURE, 0};
  assert_false(spec_restart_on_exit(&no, 1, 0, false, false));
  assert_true(spec_restart_on_exit(&always, 0, 0, false, false));
  assert_true(spec_restart_on_exit(&always, 0, 1000, false, false));
  assert_false(spec_restart_on_exit(&always, 0, 0, true, false)); /* a user stopped it */
  assert_false(spec_restart_on_exit(&always, 0, 0, false, true)); /* wctrd is stopping */
  assert_true(spec_restart_on_exit(&unless, 3, 0, false, false));
  assert_false(spec_restart_on_exit(&unless, 3, 0, true, false));
  assert_false(spec_restart_on_exit(&fail2, 0, 0, false, false)); /* success is not a failure */
  assert_true(spec_restart_on_exit(&fail2, 1, 0, false, false));
  assert_true(spec_restart_on_exit(&fail2, -1, 1, false, false));
  assert_false(spec_restart_on_exit(&fail2, 1, 2, false, false)); /* the retries are used up */
  assert_true(spec_restart_on_exit(&fail, 1, 1000000, false, false)); /* 0: no limit */
  assert_false(spec_restart_on_exit(&fail, 1, 0, false, true));
  assert_false(spec_restart_on_exit(NULL, 1, 0, false, false));
}

static void test_on_service_start(void **state) {
  (void)state;
  spec_restart no = {SPEC_RESTART_NO, 0};
  spec_restart always = {SPEC_RESTART_ALWAYS, 0};
  spec_restart unless = {SPEC_RESTART_UNLESS_STOPPED, 0};
  spec_restart fail = {SPEC_RESTART_ON_FAILURE, 0};
  assert_false(spec_restart_on_service_start(&no, true, false));
  assert_true(spec_restart_on_service_start(&always, true, false));
  assert_true(spec_restart_on_service_start(&always, true, true)); /* Docker: always, even when stopped */
  assert_false(spec_restart_on_service_start(&always, false, false)); /* never ran */
  assert_true(spec_restart_on_service_start(&unless, true, false));
  assert_false(spec_restart_on_service_start(&unless, true, true));
  assert_false(spec_restart_on_service_start(&fail, true, false));
  assert_false(spec_restart_on_service_start(NULL, true, false));
}

static void test_backoff(void **state) {
  (void)state;
  static const struct {
    int64_t count;
    uint32_t ms;
  } cases[] = {{-5, 100}, {0, 100}, {1, 200}, {2, 400}, {3, 800}, {4, 1600}, {5, 3200}, {6, 6400},
               {7, 10000}, {8, 10000}, {63, 10000}, {INT64_MAX, 10000}};
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    if (spec_restart_delay_ms(cases[i].count) != cases[i].ms) {
      FAILF("restart %lld: %u ms, want %u", (long long)cases[i].count, spec_restart_delay_ms(cases[i].count),
            cases[i].ms);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_forms),  cmocka_unit_test(test_parse_messages),
      cmocka_unit_test(test_names),        cmocka_unit_test(test_on_exit),
      cmocka_unit_test(test_on_service_start), cmocka_unit_test(test_backoff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
