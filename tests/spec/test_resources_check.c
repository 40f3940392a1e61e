/* tests/spec/test_resources_check.c - spec/spec.h spec_resources_check: Docker's Windows checks, their
 * order and messages, the precedence warnings, and wctr's memory minimums, at every boundary. */
#include <string.h>

#include "spec_test.h"

#include "common/units.h"
#include "spec/spec.h"

static const wctr_isolation all_isolations[] = {WCTR_ISOLATION_JOB, WCTR_ISOLATION_PROCESS,
                                                WCTR_ISOLATION_HYPERV};

/* Runs the check and returns its code; on failure also verifies that *effective was not written. */
static wctr_err check(const spec_resources *r, wctr_isolation iso, int host, spec_resources *eff,
                      spec_warnings *w, wctr_errmsg *e) {
  memset(eff, 0x5A, sizeof *eff);
  spec_resources before = *eff;
  wctr_errmsg_clear(e);
  wctr_err err = spec_resources_check(r, iso, host, eff, w, e);
  if (err != WCTR_OK && memcmp(eff, &before, sizeof before) != 0) FAILF("effective written on failure");
  if (err != WCTR_OK && e->code != err) FAILF("e->code %d differs from the result %d", e->code, err);
  return err;
}

static void expect_ok(const spec_resources *r, wctr_isolation iso, int host, const char *what) {
  spec_resources eff;
  spec_warnings w = {0};
  wctr_errmsg e;
  if (check(r, iso, host, &eff, &w, &e) != WCTR_OK) {
    FAILF("%s (%s, %d CPUs): refused: %s", what, spec_isolation_name(iso), host, e.text);
  }
  if (memcmp(&eff, r, sizeof eff) != 0) FAILF("%s (%s): effective differs from requested", what,
                                              spec_isolation_name(iso));
  if (w.count != 0) FAILF("%s (%s): unexpected warning: %s", what, spec_isolation_name(iso), w.text[0]);
}

static void expect_err(const spec_resources *r, wctr_isolation iso, int host, const char *message,
                       const char *what) {
  spec_resources eff;
  spec_warnings w = {0};
  wctr_errmsg e;
  wctr_err err = check(r, iso, host, &eff, &w, &e);
  if (err != WCTR_EINVAL) {
    FAILF("%s (%s, %d CPUs): returned %s, want invalid_argument", what, spec_isolation_name(iso), host,
          wctr_err_name(err));
  }
  if (strcmp(e.text, message) != 0) {
    FAILF("%s (%s, %d CPUs):\n got: %s\nwant: %s", what, spec_isolation_name(iso), host, e.text, message);
  }
}

static void test_names_and_minimums(void **state) {
  (void)state;
  assert_string_equal(spec_isolation_name(WCTR_ISOLATION_JOB), "job");
  assert_string_equal(spec_isolation_name(WCTR_ISOLATION_PROCESS), "process");
  assert_string_equal(spec_isolation_name(WCTR_ISOLATION_HYPERV), "hyperv");
  /* 0 is "default" since spec/ (the unresolved isolation of a request); still no floor of its own. */
  assert_string_equal(spec_isolation_name(WCTR_ISOLATION_DEFAULT), "default");
  assert_string_equal(spec_isolation_name((wctr_isolation)4), "unknown");
  assert_true(spec_min_memory(WCTR_ISOLATION_JOB) == 16777216);
  assert_true(spec_min_memory(WCTR_ISOLATION_PROCESS) == 41943040);
  assert_true(spec_min_memory(WCTR_ISOLATION_HYPERV) == 136314880);
  assert_true(spec_min_memory((wctr_isolation)0) == 0);
}

static void test_empty_is_fine_everywhere(void **state) {
  (void)state;
  spec_resources r = {0};
  for (size_t i = 0; i < COUNT_OF(all_isolations); i++) {
    expect_ok(&r, all_isolations[i], 1, "nothing set");
    expect_ok(&r, all_isolations[i], 64, "nothing set");
  }
}

static void test_arguments(void **state) {
  (void)state;
  spec_resources r = {0};
  spec_resources eff;
  wctr_errmsg e;
  assert_int_equal(spec_resources_check(NULL, WCTR_ISOLATION_JOB, 1, &eff, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "spec_resources_check: requested and effective must not be NULL");
  assert_int_equal(spec_resources_check(&r, WCTR_ISOLATION_JOB, 1, NULL, NULL, &e), WCTR_EINVAL);
  expect_err(&r, (wctr_isolation)0, 4, "unknown isolation 0 (expected job, process or hyperv)", "zero");
  expect_err(&r, (wctr_isolation)4, 4, "unknown isolation 4 (expected job, process or hyperv)", "four");
  expect_err(&r, WCTR_ISOLATION_JOB, 0, "host_cpus must be at least 1, not 0", "no CPUs");
  expect_err(&r, WCTR_ISOLATION_JOB, -3, "host_cpus must be at least 1, not -3", "negative CPUs");
  /* No errmsg and no warnings: still a code. */
  r.cpu_shares = -1;
  assert_int_equal(spec_resources_check(&r, WCTR_ISOLATION_JOB, 1, &eff, NULL, NULL), WCTR_EINVAL);
}

static void test_shares_percent_count_ranges(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(all_isolations); i++) {
    wctr_isolation iso = all_isolations[i];
    spec_resources r = {0};
    static const int64_t shares_ok[] = {1, 2, 1024, 9999, 10000};
    for (size_t k = 0; k < COUNT_OF(shares_ok); k++) {
      r.cpu_shares = shares_ok[k];
      expect_ok(&r, iso, 2, "shares in range");
    }
    r.cpu_shares = -1;
    expect_err(&r, iso, 2, "range of CPUShares is from 1 to 10000", "shares -1");
    r.cpu_shares = 10001;
    expect_err(&r, iso, 2, "range of CPUShares is from 1 to 10000", "shares 10001");
    r.cpu_shares = INT64_MIN;
    expect_err(&r, iso, 2, "range of CPUShares is from 1 to 10000", "shares INT64_MIN");

    r = (spec_resources){0};
    static const int64_t percent_ok[] = {1, 50, 99, 100};
    for (size_t k = 0; k < COUNT_OF(percent_ok); k++) {
      r.cpu_percent = percent_ok[k];
      expect_ok(&r, iso, 2, "percent in range");
    }
    r.cpu_percent = -1;
    expect_err(&r, iso, 2, "range of CPUPercent is from 1 to 100", "percent -1");
    r.cpu_percent = 101;
    expect_err(&r, iso, 2, "range of CPUPercent is from 1 to 100", "percent 101");

    r = (spec_resources){0};
    r.cpu_count = 1;
    expect_ok(&r, iso, 2, "count 1");
    r.cpu_count = 1000; /* more than the host: clamped later, with a warning, not refused */
    expect_ok(&r, iso, 2, "count 1000");
    r.cpu_count = INT64_MAX;
    expect_ok(&r, iso, 2, "count INT64_MAX");
    r.cpu_count = -1;
    expect_err(&r, iso, 2, "invalid CPUCount: CPUCount cannot be negative", "count -1");
  }
}

/* Docker's order: shares, percent, count, the two nano conflicts, the nano range. */
static void test_check_order(void **state) {
  (void)state;
  spec_resources r = {.cpu_shares = -1, .cpu_percent = -1, .cpu_count = -1, .nano_cpus = -1};
  for (size_t i = 0; i < COUNT_OF(all_isolations); i++) {
    expect_err(&r, all_isolations[i], 2, "range of CPUShares is from 1 to 10000", "all bad");
  }
  r.cpu_shares = 0;
  expect_err(&r, WCTR_ISOLATION_HYPERV, 2, "range of CPUPercent is from 1 to 100", "percent first");
  r.cpu_percent = 0;
  expect_err(&r, WCTR_ISOLATION_HYPERV, 2, "invalid CPUCount: CPUCount cannot be negative", "count next");
  r = (spec_resources){.nano_cpus = 5000000000, .cpu_percent = 10, .cpu_shares = 10};
  expect_err(&r, WCTR_ISOLATION_HYPERV, 2,
             "conflicting options: Nano CPUs and CPU Percent cannot both be set", "percent conflict first");
  r.cpu_percent = 0;
  expect_err(&r, WCTR_ISOLATION_HYPERV, 2,
             "conflicting options: Nano CPUs and CPU Shares cannot both be set", "shares conflict");
  r.cpu_shares = 0;
  expect_err(&r, WCTR_ISOLATION_HYPERV, 2,
             "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available", "range last");
  /* CPU checks come before --pids-limit and --memory. */
  r = (spec_resources){.nano_cpus = -1, .pids_limit = 5, .memory_bytes = -1};
  expect_err(&r, WCTR_ISOLATION_PROCESS, 2,
             "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available", "cpus before pids");
  r.nano_cpus = 0;
  expect_err(&r, WCTR_ISOLATION_HYPERV, 2,
             "invalid option: --pids-limit is not supported with Hyper-V isolation (the processes run in the utility VM); use --isolation=process or job",
             "pids before memory");
}

static void test_nano_conflicts(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(all_isolations); i++) {
    spec_resources r = {.nano_cpus = 1, .cpu_percent = 1};
    expect_err(&r, all_isolations[i], 4, "conflicting options: Nano CPUs and CPU Percent cannot both be set",
               "nano + percent");
    r = (spec_resources){.nano_cpus = 1, .cpu_shares = 1};
    expect_err(&r, all_isolations[i], 4, "conflicting options: Nano CPUs and CPU Shares cannot both be set",
               "nano + shares");
    /* --cpus with --cpu-count is not a conflict in Docker. */
    r = (spec_resources){.nano_cpus = 1000000000, .cpu_count = 2};
    expect_ok(&r, all_isolations[i], 4, "nano + count");
  }
}

static void test_nano_range(void **state) {
  (void)state;
  static const struct {
    int host;
    const char *message;
  } hosts[] = {
      {1, "range of CPUs is from 0.01 to 1.00, as there are only 1 CPUs available"},
      {2, "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"},
      {64, "range of CPUs is from 0.01 to 64.00, as there are only 64 CPUs available"},
  };
  for (size_t i = 0; i < COUNT_OF(all_isolations); i++) {
    for (size_t h = 0; h < COUNT_OF(hosts); h++) {
      wctr_isolation iso = all_isolations[i];
      int64_t all = (int64_t)hosts[h].host * 1000000000;
      spec_resources r = {.nano_cpus = all};
      expect_ok(&r, iso, hosts[h].host, "exactly the host");
      r.nano_cpus = 10000000; /* 0.01 */
      expect_ok(&r, iso, hosts[h].host, "0.01");
      r.nano_cpus = 1; /* below 0.01: Docker does not refuse it either */
      expect_ok(&r, iso, hosts[h].host, "one nanoCPU");
      r.nano_cpus = all + 1;
      expect_err(&r, iso, hosts[h].host, hosts[h].message, "above the host");
      r.nano_cpus = INT64_MAX;
      expect_err(&r, iso, hosts[h].host, hosts[h].message, "INT64_MAX");
      r.nano_cpus = -1;
      expect_err(&r, iso, hosts[h].host, hosts[h].message, "negative");
    }
  }
  /* The largest host count cannot overflow host * 1e9. */
  spec_resources r = {.nano_cpus = INT64_MAX};
  expect_err(&r, WCTR_ISOLATION_JOB, 2147483647,
             "range of CPUs is from 0.01 to 2147483647.00, as there are only 2147483647 CPUs available",
             "INT_MAX host");
}

static void expect_warnings(const spec_warnings *w, size_t n, const char *const *texts, const char *what) {
  if (w->count != n) FAILF("%s: %zu warnings, want %zu", what, w->count, n);
  for (size_t i = 0; i < n; i++) {
    if (strcmp(w->text[i], texts[i]) != 0) FAILF("%s: warning %zu:\n got: %s\nwant: %s", what, i, w->text[i], texts[i]);
  }
}

static void test_precedence_process_and_job(void **state) {
  (void)state;
  static const struct {
    wctr_isolation iso;
    const char *count_shares;
    const char *count_percent;
    const char *shares_percent;
  } kinds[] = {
      {WCTR_ISOLATION_PROCESS,
       "Conflicting options: CPU count takes priority over CPU shares on Windows Server Containers. CPU "
       "shares discarded",
       "Conflicting options: CPU count takes priority over CPU percent on Windows Server Containers. CPU "
       "percent discarded",
       "Conflicting options: CPU shares takes priority over CPU percent on Windows Server Containers. CPU "
       "percent discarded"},
      {WCTR_ISOLATION_JOB,
       "Conflicting options: CPU count takes priority over CPU shares on job containers. CPU shares discarded",
       "Conflicting options: CPU count takes priority over CPU percent on job containers. CPU percent "
       "discarded",
       "Conflicting options: CPU shares takes priority over CPU percent on job containers. CPU percent "
       "discarded"},
  };
  for (size_t k = 0; k < COUNT_OF(kinds); k++) {
    wctr_isolation iso = kinds[k].iso;
    spec_resources eff;
    wctr_errmsg e;

    spec_resources r = {.cpu_count = 2, .cpu_shares = 500, .memory_bytes = 1 << 30};
    spec_warnings w = {0};
    assert_int_equal(check(&r, iso, 4, &eff, &w, &e), WCTR_OK);
    assert_true(eff.cpu_count == 2 && eff.cpu_shares == 0 && eff.memory_bytes == 1 << 30);
    expect_warnings(&w, 1, (const char *const[]){kinds[k].count_shares}, "count + shares");

    r = (spec_resources){.cpu_count = 2, .cpu_percent = 50};
    w = (spec_warnings){0};
    assert_int_equal(check(&r, iso, 4, &eff, &w, &e), WCTR_OK);
    assert_true(eff.cpu_count == 2 && eff.cpu_percent == 0);
    expect_warnings(&w, 1, (const char *const[]){kinds[k].count_percent}, "count + percent");

    r = (spec_resources){.cpu_count = 2, .cpu_shares = 500, .cpu_percent = 50};
    w = (spec_warnings){0};
    assert_int_equal(check(&r, iso, 4, &eff, &w, &e), WCTR_OK);
    assert_true(eff.cpu_count == 2 && eff.cpu_shares == 0 && eff.cpu_percent == 0);
    expect_warnings(&w, 2, (const char *const[]){kinds[k].count_shares, kinds[k].count_percent},
                    "count + shares + percent");

    r = (spec_resources){.cpu_shares = 500, .cpu_percent = 50};
    w = (spec_warnings){0};
    assert_int_equal(check(&r, iso, 4, &eff, &w, &e), WCTR_OK);
    assert_true(eff.cpu_shares == 500 && eff.cpu_percent == 0);
    expect_warnings(&w, 1, (const char *const[]){kinds[k].shares_percent}, "shares + percent");

    /* As in Docker, the range check sees the values after the drop: a dropped out-of-range value is a
     * warning, not an error... */
    r = (spec_resources){.cpu_count = 1, .cpu_shares = 20000, .cpu_percent = 500};
    w = (spec_warnings){0};
    assert_int_equal(check(&r, iso, 4, &eff, &w, &e), WCTR_OK);
    assert_int_equal(w.count, 2);
    /* ...and --cpus with a dropped --cpu-shares is no conflict. */
    r = (spec_resources){.nano_cpus = 1000000000, .cpu_count = 1, .cpu_shares = 10};
    w = (spec_warnings){0};
    assert_int_equal(check(&r, iso, 4, &eff, &w, &e), WCTR_OK);
    assert_true(eff.nano_cpus == 1000000000 && eff.cpu_shares == 0);
    expect_warnings(&w, 1, (const char *const[]){kinds[k].count_shares}, "nano + count + shares");

    /* A negative value is never dropped (only positive losers are), so it is still refused, and the
     * warnings that arose before the refusal are kept, as Docker returns them with its error. */
    r = (spec_resources){.cpu_count = 1, .cpu_shares = 5, .cpu_percent = -1};
    w = (spec_warnings){0};
    assert_int_equal(check(&r, iso, 4, &eff, &w, &e), WCTR_EINVAL);
    assert_string_equal(e.text, "range of CPUPercent is from 1 to 100");
    expect_warnings(&w, 1, (const char *const[]){kinds[k].count_shares}, "warning kept on error");

    /* The effective copy may be the request itself. */
    r = (spec_resources){.cpu_count = 2, .cpu_shares = 500};
    assert_int_equal(spec_resources_check(&r, iso, 4, &r, NULL, &e), WCTR_OK);
    assert_true(r.cpu_count == 2 && r.cpu_shares == 0);
  }
}

static void test_hyperv_keeps_everything(void **state) {
  (void)state;
  spec_resources r = {.cpu_count = 2, .cpu_shares = 500, .cpu_percent = 50};
  expect_ok(&r, WCTR_ISOLATION_HYPERV, 4, "count + shares + percent");
  r = (spec_resources){.cpu_count = 1, .cpu_shares = 20000};
  expect_err(&r, WCTR_ISOLATION_HYPERV, 4, "range of CPUShares is from 1 to 10000", "no drop, so refused");
  r = (spec_resources){.nano_cpus = 1000000000, .cpu_count = 1, .cpu_shares = 10};
  expect_err(&r, WCTR_ISOLATION_HYPERV, 4, "conflicting options: Nano CPUs and CPU Shares cannot both be set",
             "no drop, so a conflict");
}

static void test_pids_limit(void **state) {
  (void)state;
  static const int64_t refused[] = {1, -1, 100, INT64_MIN, INT64_MAX}; /* Hyper-V */
  for (size_t i = 0; i < COUNT_OF(refused); i++) {
    spec_resources r = {.pids_limit = refused[i]};
    expect_err(&r, WCTR_ISOLATION_HYPERV, 2,
               "invalid option: --pids-limit is not supported with Hyper-V isolation (the processes run in the utility VM); use --isolation=process or job", "hyperv");
  }
  static const int64_t job_ok[] = {1, 100, 4294967295, -1, INT64_MIN};
  for (size_t i = 0; i < COUNT_OF(job_ok); i++) {
    spec_resources r = {.pids_limit = job_ok[i]};
    expect_ok(&r, WCTR_ISOLATION_JOB, 2, "job pids");
    /* Process isolation: applied to the container's server silo, with the job's range. */
    expect_ok(&r, WCTR_ISOLATION_PROCESS, 2, "process pids");
  }
  spec_resources r = {.pids_limit = 4294967296};
  expect_err(&r, WCTR_ISOLATION_JOB, 2, "--pids-limit 4294967296 is too large (the largest is 4294967295)",
             "DWORD + 1");
  expect_err(&r, WCTR_ISOLATION_PROCESS, 2, "--pids-limit 4294967296 is too large (the largest is 4294967295)",
             "process DWORD + 1");
  r.pids_limit = INT64_MAX;
  expect_err(&r, WCTR_ISOLATION_JOB, 2,
             "--pids-limit 9223372036854775807 is too large (the largest is 4294967295)", "INT64_MAX");
}

static void test_memory_minimums(void **state) {
  (void)state;
  static const struct {
    wctr_isolation iso;
    int64_t min;
    const char *just_below;
    const char *one_byte;
  } cases[] = {
      {WCTR_ISOLATION_JOB, 16777216, "--memory 15.99MiB is below the minimum of 16MiB for job isolation",
       "--memory 1B is below the minimum of 16MiB for job isolation"},
      {WCTR_ISOLATION_PROCESS, 41943040,
       "--memory 39.99MiB is below the minimum of 40MiB for process isolation",
       "--memory 1B is below the minimum of 40MiB for process isolation"},
      {WCTR_ISOLATION_HYPERV, 136314880,
       "--memory 129.99MiB is below the minimum of 130MiB for hyperv isolation",
       "--memory 1B is below the minimum of 130MiB for hyperv isolation"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_resources r = {.memory_bytes = cases[i].min};
    expect_ok(&r, cases[i].iso, 2, "exactly the minimum");
    r.memory_bytes = 0;
    expect_ok(&r, cases[i].iso, 2, "unset");
    r.memory_bytes = INT64_MAX;
    expect_ok(&r, cases[i].iso, 2, "INT64_MAX");
    r.memory_bytes = cases[i].min - 1;
    expect_err(&r, cases[i].iso, 2, cases[i].just_below, "one byte below");
    r.memory_bytes = 1;
    expect_err(&r, cases[i].iso, 2, cases[i].one_byte, "one byte");
    r.memory_bytes = -1;
    expect_err(&r, cases[i].iso, 2, "--memory cannot be negative (-1)", "negative");
  }
  /* The job minimum sits between the others, so one value is fine for a job and refused for process. */
  spec_resources r = {.memory_bytes = 20 * 1048576};
  expect_ok(&r, WCTR_ISOLATION_JOB, 2, "20MiB job");
  expect_err(&r, WCTR_ISOLATION_PROCESS, 2, "--memory 20MiB is below the minimum of 40MiB for process isolation",
             "20MiB process");
}

static void test_io(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(all_isolations); i++) {
    spec_resources r = {.io_maxiops = 1, .io_maxbandwidth = INT64_MAX};
    expect_ok(&r, all_isolations[i], 2, "io set");
    r.io_maxiops = -1;
    expect_err(&r, all_isolations[i], 2, "--io-maxiops cannot be negative (-1)", "iops");
    r.io_maxiops = 0;
    r.io_maxbandwidth = -5;
    expect_err(&r, all_isolations[i], 2, "--io-maxbandwidth cannot be negative (-5)", "bandwidth");
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_and_minimums),
      cmocka_unit_test(test_empty_is_fine_everywhere),
      cmocka_unit_test(test_arguments),
      cmocka_unit_test(test_shares_percent_count_ranges),
      cmocka_unit_test(test_check_order),
      cmocka_unit_test(test_nano_conflicts),
      cmocka_unit_test(test_nano_range),
      cmocka_unit_test(test_precedence_process_and_job),
      cmocka_unit_test(test_hyperv_keeps_everything),
      cmocka_unit_test(test_pids_limit),
      cmocka_unit_test(test_memory_minimums),
      cmocka_unit_test(test_io),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
