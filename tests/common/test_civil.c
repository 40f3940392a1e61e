/* tests/common/test_civil.c - common/civil.h: known dates (the epoch, leap days, century years, before
 * 1970) against their day numbers, and the two functions as each other's inverse over 800 years. */
#include "testutil.h"

#include "common/civil.h"

static void test_known_days(void **state) {
  (void)state;
  static const struct {
    int64_t y;
    int m, d;
    int64_t days;
  } known[] = {
      {1970, 1, 1, 0},       {1969, 12, 31, -1},    {1970, 3, 1, 59},       {1972, 2, 29, 789},
      {2000, 2, 29, 11016},  {2000, 3, 1, 11017},   {1900, 3, 1, -25508},   {2026, 12, 7, 20794},
      {1, 1, 1, -719162},    {9999, 12, 31, 2932896},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    assert_int_equal(wctr_days_from_civil(known[i].y, known[i].m, known[i].d), known[i].days);
    int64_t y = 0;
    int m = 0, d = 0;
    wctr_civil_from_days(known[i].days, &y, &m, &d);
    assert_int_equal(y, known[i].y);
    assert_int_equal(m, known[i].m);
    assert_int_equal(d, known[i].d);
  }
}

static void test_inverse(void **state) {
  (void)state;
  int64_t first = wctr_days_from_civil(1600, 1, 1), last = wctr_days_from_civil(2400, 1, 1);
  int64_t y0 = 1599;
  int m0 = 12, d0 = 31;
  for (int64_t days = first; days <= last; days++) {
    int64_t y = 0;
    int m = 0, d = 0;
    wctr_civil_from_days(days, &y, &m, &d);
    assert_int_equal(wctr_days_from_civil(y, m, d), days);
    /* each day follows the one before: the same month's next day, or the first of the next month */
    bool next_day = y == y0 && m == m0 && d == d0 + 1;
    bool next_month = d == 1 && ((y == y0 && m == m0 + 1) || (y == y0 + 1 && m == 1 && m0 == 12));
    assert_true(next_day || next_month);
    y0 = y, m0 = m, d0 = d;
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_days),
      cmocka_unit_test(test_inverse),
  };
  return cmocka_run_group_tests_name("common/civil", tests, NULL, NULL);
}
