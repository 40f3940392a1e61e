/* tests/jobs/test_limits_job.c - jobs/limits.h job_limits_from_spec and the job-object formulas:
 * exact CpuRate, Weight and the other limits on hosts of 1, 2, 3, 4 and 64 CPUs, at every edge. */
#include <string.h>

#include "jobs_test.h"

#include "jobs/limits.h"

#define NANO 1000000000LL

/* Converts and fails the test on an error. */
static job_limits convert(spec_resources r, int host) {
  job_limits out;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (job_limits_from_spec(&r, host, &out, &e) != WCTR_OK) FAILF("%d CPUs: refused: %s", host, e.text);
  return out;
}

/* Only a CPU hard cap of `rate`, nothing else, no warning. */
static void expect_rate_only(spec_resources r, int host, uint32_t rate, const char *what) {
  job_limits l = convert(r, host);
  if (l.flags != JOB_LIMIT_CPU_RATE || l.cpu_rate != rate || l.cpu_weight != 0 || l.warnings.count != 0) {
    FAILF("%s on %d CPUs: flags 0x%x rate %u weight %u warnings %zu, want only rate %u", what, host, l.flags,
          (unsigned)l.cpu_rate, (unsigned)l.cpu_weight, l.warnings.count, (unsigned)rate);
  }
}

static void test_nothing_set(void **state) {
  (void)state;
  spec_resources r = {0};
  job_limits l = convert(r, 4);
  assert_int_equal(l.flags, 0);
  assert_true(l.job_memory_limit == 0 && l.io_max_iops == 0 && l.io_max_bandwidth == 0);
  assert_true(l.cpu_rate == 0 && l.cpu_weight == 0 && l.active_process_limit == 0);
  assert_int_equal(l.warnings.count, 0);
}

struct nano_case {
  int host;
  int64_t nano;
  uint32_t rate;
};

static void test_rate_from_cpus(void **state) {
  (void)state;
  static const struct nano_case cases[] = {
      {1, 1, 1},                 /* 1e-9 CPUs: 0 raised to the smallest cap */
      {1, 99999, 1},             /* 0 raised */
      {1, 100000, 1},            /* exactly one unit */
      {1, 10000000, 100},        /* 0.01 of one CPU = 1% */
      {1, 500000000, 5000},
      {1, NANO, 10000},          /* the whole host */
      {2, 10000000, 50},         /* 0.01 */
      {2, NANO, 5000},
      {2, 1500000000, 7500},
      {2, 1999999999, 9999},     /* 9999.99999 truncated */
      {2, 2 * NANO, 10000},
      {3, NANO, 3333},           /* 3333.33 truncated */
      {3, 2 * NANO, 6666},       /* 6666.66 truncated, not rounded to 6667 */
      {64, 1000000, 1},          /* 0.001: 0.15625 raised */
      {64, 10000000, 1},         /* 0.01: 1.5625 truncated */
      {64, 20000000, 3},         /* 0.02: 3.125 */
      {64, 12800000, 2},         /* exactly 2 */
      {64, 12799999, 1},         /* just under 2 */
      {64, NANO, 156},           /* 156.25 */
      {64, 32 * NANO, 5000},
      {64, 63 * NANO, 9843},     /* 9843.75 */
      {64, 64 * NANO, 10000},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_resources r = {.nano_cpus = cases[i].nano};
    char what[64];
    snprintf(what, sizeof what, "--cpus %lld nano", (long long)cases[i].nano);
    expect_rate_only(r, cases[i].host, cases[i].rate, what);
    /* The exported formula and the HCS process Maximum give the same number. */
    assert_int_equal(spec_cpu_rate_from_nano(cases[i].nano, cases[i].host), cases[i].rate);
  }
}

static void test_cpus_above_host_refused(void **state) {
  (void)state;
  static const struct {
    int host;
    const char *message;
  } cases[] = {
      {1, "range of CPUs is from 0.01 to 1.00, as there are only 1 CPUs available"},
      {2, "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
      {64, "range of CPUs is from 0.01 to 64.00, as there are only 64 CPUs available"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_resources r = {.nano_cpus = cases[i].host * NANO + 1, .memory_bytes = 1 << 30};
    job_limits l;
    memset(&l, 0x5A, sizeof l);
    wctr_errmsg e;
    assert_int_equal(job_limits_from_spec(&r, cases[i].host, &l, &e), WCTR_EINVAL);
    assert_string_equal(e.text, cases[i].message);
    /* Cleared, not half filled: the memory limit must not be applied alone by a careless caller. */
    assert_int_equal(l.flags, 0);
    assert_true(l.job_memory_limit == 0);
  }
}

struct count_case {
  int host;
  int64_t count;
  uint32_t rate;
  const char *warning; /* NULL: none */
};

static void test_rate_from_count(void **state) {
  (void)state;
  static const struct count_case cases[] = {
      {1, 1, 10000, NULL},
      {1, 2, 10000, "Changing requested CPUCount of 2 to current number of processors, 1"},
      {2, 1, 5000, NULL},
      {2, 2, 10000, NULL},
      {2, 3, 10000, "Changing requested CPUCount of 3 to current number of processors, 2"},
      {3, 1, 3333, NULL},
      {3, 2, 6666, NULL},
      {64, 1, 156, NULL},
      {64, 63, 9843, NULL},
      {64, 64, 10000, NULL},
      {64, 65, 10000, "Changing requested CPUCount of 65 to current number of processors, 64"},
      {64, INT64_MAX, 10000,
       "Changing requested CPUCount of 9223372036854775807 to current number of processors, 64"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_resources r = {.cpu_count = cases[i].count};
    job_limits l = convert(r, cases[i].host);
    if (l.flags != JOB_LIMIT_CPU_RATE || l.cpu_rate != cases[i].rate) {
      FAILF("count %lld on %d: flags 0x%x rate %u, want %u", (long long)cases[i].count, cases[i].host, l.flags,
            (unsigned)l.cpu_rate, (unsigned)cases[i].rate);
    }
    size_t want_warnings = cases[i].warning != NULL ? 1 : 0;
    if (l.warnings.count != want_warnings) FAILF("count case %zu: %zu warnings", i, l.warnings.count);
    if (cases[i].warning != NULL) assert_string_equal(l.warnings.text[0], cases[i].warning);
  }
}

static void test_rate_from_percent(void **state) {
  (void)state;
  static const struct {
    int64_t percent;
    uint32_t rate;
  } cases[] = {{1, 100}, {2, 200}, {50, 5000}, {99, 9900}, {100, 10000}};
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_resources r = {.cpu_percent = cases[i].percent};
    /* Percent is of the whole host, so the host's size does not change it. */
    expect_rate_only(r, 1, cases[i].rate, "percent");
    expect_rate_only(r, 64, cases[i].rate, "percent");
  }
}

static void test_weight_from_shares(void **state) {
  (void)state;
  static const struct {
    int64_t shares;
    uint32_t weight;
  } cases[] = {
      {1, 1},    {1024, 1}, {1249, 1}, {1250, 2}, {2499, 2}, {2500, 3}, {5000, 5},
      {8749, 7}, {8750, 8}, {9999, 8}, {10000, 9},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_resources r = {.cpu_shares = cases[i].shares};
    job_limits l = convert(r, 2);
    if (l.flags != JOB_LIMIT_CPU_WEIGHT || l.cpu_weight != cases[i].weight || l.cpu_rate != 0) {
      FAILF("shares %lld: flags 0x%x weight %u rate %u, want weight %u", (long long)cases[i].shares, l.flags,
            (unsigned)l.cpu_weight, (unsigned)l.cpu_rate, (unsigned)cases[i].weight);
    }
    assert_int_equal(spec_cpu_weight_from_shares(cases[i].shares), cases[i].weight);
  }
}

/* --cpus and --cpu-count together: both are maximums, the smaller cap wins. */
static void test_cpus_and_count(void **state) {
  (void)state;
  spec_resources r = {.nano_cpus = NANO, .cpu_count = 3};
  expect_rate_only(r, 4, 2500, "cpus 1 (2500) + count 3 (7500)");
  r = (spec_resources){.nano_cpus = 3 * NANO, .cpu_count = 1};
  expect_rate_only(r, 4, 2500, "cpus 3 (7500) + count 1 (2500)");
  r = (spec_resources){.nano_cpus = 2 * NANO, .cpu_count = 8};
  job_limits l = convert(r, 4);
  assert_int_equal(l.flags, JOB_LIMIT_CPU_RATE);
  assert_int_equal(l.cpu_rate, 5000); /* count 8 -> 4 -> 10000; cpus 2 -> 5000 */
  assert_int_equal(l.warnings.count, 1);
  assert_string_equal(l.warnings.text[0], "Changing requested CPUCount of 8 to current number of processors, 4");
}

/* Count > shares > percent: exactly one CPU mode comes out, with the warnings in order. */
static void test_precedence(void **state) {
  (void)state;
  spec_resources r = {.cpu_count = 1, .cpu_shares = 5000};
  job_limits l = convert(r, 4);
  assert_int_equal(l.flags, JOB_LIMIT_CPU_RATE);
  assert_int_equal(l.cpu_rate, 2500);
  assert_int_equal(l.cpu_weight, 0);
  assert_int_equal(l.warnings.count, 1);
  assert_string_equal(l.warnings.text[0], "Conflicting options: CPU count takes priority over CPU shares on job "
                                          "containers. CPU shares discarded");

  r = (spec_resources){.cpu_shares = 5000, .cpu_percent = 30};
  l = convert(r, 4);
  assert_int_equal(l.flags, JOB_LIMIT_CPU_WEIGHT);
  assert_int_equal(l.cpu_weight, 5);
  assert_int_equal(l.cpu_rate, 0);
  assert_int_equal(l.warnings.count, 1);
  assert_string_equal(l.warnings.text[0], "Conflicting options: CPU shares takes priority over CPU percent on job "
                                          "containers. CPU percent discarded");

  r = (spec_resources){.cpu_count = 2, .cpu_percent = 30};
  l = convert(r, 4);
  assert_int_equal(l.flags, JOB_LIMIT_CPU_RATE);
  assert_int_equal(l.cpu_rate, 5000);
  assert_int_equal(l.warnings.count, 1);

  /* All three, with a count above the host: three warnings, precedence first, then the clamp. */
  r = (spec_resources){.cpu_count = 6, .cpu_shares = 5000, .cpu_percent = 30};
  l = convert(r, 4);
  assert_int_equal(l.flags, JOB_LIMIT_CPU_RATE);
  assert_int_equal(l.cpu_rate, 10000);
  assert_int_equal(l.warnings.count, 3);
  assert_string_equal(l.warnings.text[0], "Conflicting options: CPU count takes priority over CPU shares on job "
                                          "containers. CPU shares discarded");
  assert_string_equal(l.warnings.text[1], "Conflicting options: CPU count takes priority over CPU percent on job "
                                          "containers. CPU percent discarded");
  assert_string_equal(l.warnings.text[2], "Changing requested CPUCount of 6 to current number of processors, 4");
}

static void test_conflicts_refused(void **state) {
  (void)state;
  spec_resources r = {.nano_cpus = NANO, .cpu_shares = 10};
  job_limits l;
  wctr_errmsg e;
  assert_int_equal(job_limits_from_spec(&r, 4, &l, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "conflicting options: Nano CPUs and CPU Shares cannot both be set");
  assert_int_equal(l.flags, 0);
  r = (spec_resources){.nano_cpus = NANO, .cpu_percent = 10};
  assert_int_equal(job_limits_from_spec(&r, 4, &l, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "conflicting options: Nano CPUs and CPU Percent cannot both be set");
  /* A precedence warning raised before a refusal stays visible in out->warnings. */
  r = (spec_resources){.cpu_count = 1, .cpu_shares = 10, .memory_bytes = 1};
  assert_int_equal(job_limits_from_spec(&r, 4, &l, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--memory 1B is below the minimum of 16MiB for job isolation");
  assert_int_equal(l.flags, 0);
  assert_int_equal(l.warnings.count, 1);
  assert_int_equal(job_limits_from_spec(&r, 4, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "job_limits_from_spec: out must not be NULL");
  assert_int_equal(job_limits_from_spec(NULL, 4, &l, &e), WCTR_EINVAL);
  assert_int_equal(job_limits_from_spec(&r, 0, &l, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "host_cpus must be at least 1, not 0");
}

static void test_memory_processes_io(void **state) {
  (void)state;
  spec_resources r = {.memory_bytes = 524288000};
  job_limits l = convert(r, 2);
  assert_int_equal(l.flags, JOB_LIMIT_MEMORY);
  assert_true(l.job_memory_limit == 524288000u);

  r = (spec_resources){.memory_bytes = 16777216}; /* the job minimum itself */
  l = convert(r, 2);
  assert_true(l.job_memory_limit == 16777216u);
  r.memory_bytes = INT64_MAX;
  l = convert(r, 2);
  assert_true(l.job_memory_limit == (uint64_t)INT64_MAX);

  static const struct {
    int64_t pids;
    unsigned flags;
    uint32_t limit;
  } pids[] = {{1, JOB_LIMIT_PROCESSES, 1}, {4294967295, JOB_LIMIT_PROCESSES, 4294967295u}, {0, 0, 0}, {-1, 0, 0}};
  for (size_t i = 0; i < COUNT_OF(pids); i++) {
    r = (spec_resources){.pids_limit = pids[i].pids};
    l = convert(r, 2);
    if (l.flags != pids[i].flags || l.active_process_limit != pids[i].limit) {
      FAILF("pids %lld: flags 0x%x limit %u", (long long)pids[i].pids, l.flags, (unsigned)l.active_process_limit);
    }
  }

  r = (spec_resources){.io_maxiops = 300};
  l = convert(r, 2);
  assert_int_equal(l.flags, JOB_LIMIT_IO_IOPS);
  assert_true(l.io_max_iops == 300 && l.io_max_bandwidth == 0);
  r = (spec_resources){.io_maxbandwidth = 10485760};
  l = convert(r, 2);
  assert_int_equal(l.flags, JOB_LIMIT_IO_BANDWIDTH);
  assert_true(l.io_max_bandwidth == 10485760 && l.io_max_iops == 0);
}

static void test_everything_at_once(void **state) {
  (void)state;
  spec_resources r = {
      .memory_bytes = 1610612736,
      .nano_cpus = 1500000000,
      .cpu_count = 0,
      .pids_limit = 64,
      .io_maxiops = 1000,
      .io_maxbandwidth = 52428800,
  };
  job_limits l = convert(r, 2);
  assert_int_equal(l.flags, JOB_LIMIT_MEMORY | JOB_LIMIT_CPU_RATE | JOB_LIMIT_PROCESSES | JOB_LIMIT_IO_IOPS |
                                JOB_LIMIT_IO_BANDWIDTH);
  assert_true(l.job_memory_limit == 1610612736u);
  assert_int_equal(l.cpu_rate, 7500);
  assert_int_equal(l.cpu_weight, 0);
  assert_int_equal(l.active_process_limit, 64);
  assert_true(l.io_max_iops == 1000);
  assert_true(l.io_max_bandwidth == 52428800);
  assert_int_equal(l.warnings.count, 0);
}

/* The exported formulas on their own, including inputs the check would refuse: each is total. */
static void test_formulas_are_total(void **state) {
  (void)state;
  assert_int_equal(spec_cpu_rate_from_nano(0, 4), 0);
  assert_int_equal(spec_cpu_rate_from_nano(-1, 4), 0);
  assert_int_equal(spec_cpu_rate_from_nano(NANO, 0), 0);
  assert_int_equal(spec_cpu_rate_from_nano(INT64_MAX, 1), 10000); /* clamped, no overflow */
  assert_int_equal(spec_cpu_rate_from_nano(INT64_MAX, 2147483647), 10000);
  assert_int_equal(spec_cpu_rate_from_nano(1, 2147483647), 1);

  assert_int_equal(spec_cpu_rate_from_count(0, 4), 0);
  assert_int_equal(spec_cpu_rate_from_count(-1, 4), 0);
  assert_int_equal(spec_cpu_rate_from_count(1, 0), 0);
  assert_int_equal(spec_cpu_rate_from_count(INT64_MAX, 4), 10000);
  assert_int_equal(spec_cpu_rate_from_count(1, 20000), 1); /* 0.5 raised */
  assert_int_equal(spec_cpu_rate_from_count(2147483646, 2147483647), 9999);

  assert_int_equal(spec_cpu_rate_from_percent(0), 0);
  assert_int_equal(spec_cpu_rate_from_percent(-1), 0);
  assert_int_equal(spec_cpu_rate_from_percent(101), 10000);
  assert_int_equal(spec_cpu_rate_from_percent(INT64_MAX), 10000);

  assert_int_equal(spec_cpu_weight_from_shares(0), 0);
  assert_int_equal(spec_cpu_weight_from_shares(-1), 0);
  assert_int_equal(spec_cpu_weight_from_shares(10001), 9);
  assert_int_equal(spec_cpu_weight_from_shares(INT64_MAX), 9);

  spec_warnings w = {0};
  assert_true(spec_cpu_count_clamp(4, 4, &w) == 4);
  assert_true(spec_cpu_count_clamp(0, 4, &w) == 0);
  assert_true(spec_cpu_count_clamp(-2, 4, &w) == -2);
  assert_true(spec_cpu_count_clamp(9, 0, &w) == 9); /* no host count: nothing to clamp to */
  assert_int_equal(w.count, 0);
  assert_true(spec_cpu_count_clamp(5, 4, NULL) == 4);
  assert_true(spec_cpu_count_clamp(5, 4, &w) == 4);
  assert_int_equal(w.count, 1);
  assert_string_equal(w.text[0], "Changing requested CPUCount of 5 to current number of processors, 4");
  /* A full warnings list drops further warnings instead of writing past it. */
  for (int i = 0; i < 10; i++) spec_cpu_count_clamp(5, 4, &w);
  assert_int_equal(w.count, SPEC_WARNINGS_MAX);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nothing_set),
      cmocka_unit_test(test_rate_from_cpus),
      cmocka_unit_test(test_cpus_above_host_refused),
      cmocka_unit_test(test_rate_from_count),
      cmocka_unit_test(test_rate_from_percent),
      cmocka_unit_test(test_weight_from_shares),
      cmocka_unit_test(test_cpus_and_count),
      cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_conflicts_refused),
      cmocka_unit_test(test_memory_processes_io),
      cmocka_unit_test(test_everything_at_once),
      cmocka_unit_test(test_formulas_are_total),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
