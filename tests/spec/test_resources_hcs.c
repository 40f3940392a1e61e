/* tests/spec/test_resources_hcs.c - spec/spec.h spec_hcs_*: Docker's Processor and Memory numbers for HCS
 * documents, process isolation and Hyper-V, at the edges (1, 2, 4, 64 CPUs; tiny, whole, fractional and
 * over-the-host amounts). */
#include <string.h>

#include "spec_test.h"

#include "spec/spec.h"

#define NANO 1000000000LL

static void test_process_maximum(void **state) {
  (void)state;
  static const struct {
    int host;
    int64_t nano;
    uint32_t maximum;
  } cases[] = {
      {1, 0, 0},                /* unset: leave Maximum out */
      {1, 1, 1},                /* raised to 1 */
      {1, 10000000, 100},       /* 0.01 */
      {1, 500000000, 5000},
      {1, NANO, 10000},
      {2, 10000000, 50},
      {2, 1500000000, 7500},
      {2, 2 * NANO, 10000},
      {4, NANO, 2500},
      {64, 1000000, 1},         /* 0.001: 0.15625 raised */
      {64, 10000000, 1},        /* 0.01: 1.5625 truncated */
      {64, NANO, 156},
      {64, 64 * NANO, 10000},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    uint32_t maximum = 0xDEADBEEF;
    wctr_errmsg e;
    if (spec_hcs_process_cpu(cases[i].nano, cases[i].host, &maximum, &e) != WCTR_OK) {
      FAILF("case %zu: refused: %s", i, e.text);
    }
    if (maximum != cases[i].maximum) {
      FAILF("%lld nano on %d CPUs: Maximum %u, want %u", (long long)cases[i].nano, cases[i].host,
            (unsigned)maximum, (unsigned)cases[i].maximum);
    }
  }
}

struct hv_case {
  int host;
  int64_t nano;
  uint32_t count;
  uint32_t maximum;
};

static void test_hyperv_count_and_maximum(void **state) {
  (void)state;
  static const struct hv_case cases[] = {
      {4, 0, 0, 0},
      {4, 1, 1, 1},                     /* one nanoCPU: 1 VP capped at the smallest Maximum */
      {4, 10000, 1, 1},                 /* 0.00001: 0.1 raised to 1 */
      {1, 10000000, 1, 100},            /* 0.01 */
      {4, 500000000, 1, 5000},          /* 0.5 */
      {4, 999999999, 1, 9999},
      {4, NANO, 1, 0},                  /* whole: no Maximum */
      {4, 1000000001, 2, 5000},         /* just over 1: 2 VPs at 50.00000005% */
      {4, 1500000000, 2, 7500},
      {4, 2 * NANO, 2, 0},
      {4, 2500000000, 3, 8333},         /* 8333.33 truncated */
      {4, 3000000001, 4, 7500},         /* 7500.0000025 */
      {4, 4 * NANO, 4, 0},
      {2, 1999999999, 2, 9999},
      {64, 63500000000, 64, 9921},      /* 9921.875 */
      {64, 64 * NANO, 64, 0},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    uint32_t count = 0xDEADBEEF;
    uint32_t maximum = 0xDEADBEEF;
    wctr_errmsg e;
    if (spec_hcs_hyperv_cpu(cases[i].nano, cases[i].host, &count, &maximum, &e) != WCTR_OK) {
      FAILF("case %zu: refused: %s", i, e.text);
    }
    if (count != cases[i].count || maximum != cases[i].maximum) {
      FAILF("%lld nano: Count %u Maximum %u, want %u and %u", (long long)cases[i].nano, (unsigned)count,
            (unsigned)maximum, (unsigned)cases[i].count, (unsigned)cases[i].maximum);
    }
  }
}

static void test_out_of_range_refused(void **state) {
  (void)state;
  static const struct {
    int host;
    int64_t nano;
    const char *message;
  } cases[] = {
      {1, NANO + 1, "range of CPUs is from 0.01 to 1.00, as there are only 1 CPUs available"},
      {2, 2 * NANO + 1, "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
      {64, 64 * NANO + 1, "range of CPUs is from 0.01 to 64.00, as there are only 64 CPUs available"},
      {64, -1, "range of CPUs is from 0.01 to 64.00, as there are only 64 CPUs available"},
      {64, INT64_MAX, "range of CPUs is from 0.01 to 64.00, as there are only 64 CPUs available"},
      {64, INT64_MIN, "range of CPUs is from 0.01 to 64.00, as there are only 64 CPUs available"},
      {0, NANO, "host_cpus must be at least 1, not 0"},
      {-1, 0, "host_cpus must be at least 1, not -1"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    uint32_t count = 0xDEADBEEF;
    uint32_t maximum = 0xDEADBEEF;
    wctr_errmsg e;
    assert_int_equal(spec_hcs_process_cpu(cases[i].nano, cases[i].host, &maximum, &e), WCTR_EINVAL);
    assert_string_equal(e.text, cases[i].message);
    assert_int_equal(maximum, 0xDEADBEEF);
    assert_int_equal(spec_hcs_hyperv_cpu(cases[i].nano, cases[i].host, &count, &maximum, &e), WCTR_EINVAL);
    assert_string_equal(e.text, cases[i].message);
    assert_int_equal(count, 0xDEADBEEF);
    assert_int_equal(maximum, 0xDEADBEEF);
  }
  uint32_t v;
  wctr_errmsg e;
  assert_int_equal(spec_hcs_process_cpu(NANO, 1, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "spec_hcs_process_cpu: maximum must not be NULL");
  assert_int_equal(spec_hcs_hyperv_cpu(NANO, 1, &v, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "spec_hcs_hyperv_cpu: count and maximum must not be NULL");
  assert_int_equal(spec_hcs_hyperv_cpu(NANO, 1, NULL, &v, &e), WCTR_EINVAL);
}

/* Process isolation's Maximum is the job object's CpuRate: one scale, one formula. Checked over a sweep
 * of amounts on several hosts, including every nanoCPU around each rate step on a 3-CPU host. */
static void test_process_matches_job_rate(void **state) {
  (void)state;
  static const int hosts[] = {1, 2, 3, 7, 64};
  for (size_t h = 0; h < COUNT_OF(hosts); h++) {
    int64_t all = hosts[h] * NANO;
    for (int64_t nano = 0; nano <= all; nano += all / 997 + 1) {
      uint32_t maximum = 0;
      wctr_errmsg e;
      assert_int_equal(spec_hcs_process_cpu(nano, hosts[h], &maximum, &e), WCTR_OK);
      if (maximum != spec_cpu_rate_from_nano(nano, hosts[h])) FAILF("%lld nano on %d", (long long)nano, hosts[h]);
      /* And against the formula written out independently here. */
      int64_t want = nano == 0 ? 0 : nano / hosts[h] / 100000;
      if (nano != 0 && want < 1) want = 1;
      if ((int64_t)maximum != want) FAILF("%lld nano on %d: %u, want %lld", (long long)nano, hosts[h],
                                          (unsigned)maximum, (long long)want);
    }
  }
  for (int64_t nano = 299999; nano <= 300001; nano++) {
    uint32_t maximum = 0;
    assert_int_equal(spec_hcs_process_cpu(nano, 3, &maximum, NULL), WCTR_OK);
    assert_int_equal(maximum, 1); /* 0.99999, 1, 1.0000033: all 1 */
  }
  for (int64_t nano = 599999; nano <= 600001; nano++) {
    uint32_t maximum = 0;
    assert_int_equal(spec_hcs_process_cpu(nano, 3, &maximum, NULL), WCTR_OK);
    assert_int_equal(maximum, nano < 600000 ? 1 : 2);
  }
}

static void test_memory_size_in_mb(void **state) {
  (void)state;
  static const struct {
    int64_t bytes;
    uint64_t mb;
  } cases[] = {
      {0, 0},
      {-1, 0},
      {INT64_MIN, 0},
      {1, 0},
      {1048575, 0},           /* truncating: a limit just under 1 MiB is 0 MB */
      {1048576, 1},
      {2097151, 1},
      {524288000, 500},       /* 500m */
      {536870911, 511},
      {1610612736, 1536},     /* 1.5g */
      {136314880, 130},
      {INT64_MAX, 8796093022207},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    uint64_t mb = spec_hcs_memory_mb(cases[i].bytes);
    if (mb != cases[i].mb) FAILF("%lld bytes: %llu MB, want %llu", (long long)cases[i].bytes,
                                 (unsigned long long)mb, (unsigned long long)cases[i].mb);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_process_maximum),
      cmocka_unit_test(test_hyperv_count_and_maximum),
      cmocka_unit_test(test_out_of_range_refused),
      cmocka_unit_test(test_process_matches_job_rate),
      cmocka_unit_test(test_memory_size_in_mb),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
