/* tests/jobs/test_jobs_win_limits.c - what job_create and job_apply_limits hand to Windows, structure by
 * structure, recorded through the jobs_sys seam; what they do when Windows refuses a step (nothing is
 * left); how limits and accounting are read back. Wine stores no limits and refuses CPU rate control, so
 * the seam is the only place these properties can be seen there; test_jobs_win_enforced checks on
 * Windows that the same structures are enforced. */
#include "jobs_win_test.h"

#include <sddl.h>
#include <stdlib.h>
#include <string.h>

#include "acl/sd.h"
#include "common/units.h"
#include "jobs/jobs_sys.h"

static jobs_syscalls real;

/* --- seam: record, pretend, fail ---------------------------------------------------------------------- */
typedef struct set_call {
  JOBOBJECTINFOCLASS cls;
  DWORD size;
  BYTE data[256];
} set_call;

static set_call sets[32];
static int set_count;
static int fail_set_at;       /* 1-based SetInformationJobObject call to fail, 0 never */
static DWORD fail_set_code;
static BOOL pretend_cpu;      /* CPU rate control: record and succeed without Windows (Wine refuses it) */

static BOOL WINAPI recording_set(HANDLE job, JOBOBJECTINFOCLASS cls, LPVOID info, DWORD size) {
  int n = ++set_count;
  if (n <= (int)COUNT_OF(sets)) {
    sets[n - 1].cls = cls;
    sets[n - 1].size = size;
    memcpy(sets[n - 1].data, info, size < sizeof sets[0].data ? size : sizeof sets[0].data);
  }
  if (n == fail_set_at) {
    SetLastError(fail_set_code);
    return FALSE;
  }
  if (cls == JobObjectCpuRateControlInformation && pretend_cpu) return TRUE;
  return real.SetInformationJobObject(job, cls, info, size);
}

static JOBOBJECT_IO_RATE_CONTROL_INFORMATION io_sets[8];
static int io_set_count;
static DWORD io_set_fail; /* 0: succeed (without Windows: Wine lacks the function) */

static DWORD WINAPI recording_set_io(HANDLE job, JOBOBJECT_IO_RATE_CONTROL_INFORMATION *info) {
  (void)job;
  if (io_set_count < (int)COUNT_OF(io_sets)) io_sets[io_set_count] = *info;
  io_set_count++;
  if (io_set_fail != 0) {
    SetLastError(io_set_fail);
    return 0;
  }
  return 1;
}

static char created_name[256];
static char created_sddl[256];
static int create_count;
static DWORD fail_create; /* 0: forward */

static HANDLE WINAPI recording_create(LPSECURITY_ATTRIBUTES sa, LPCWSTR name) {
  create_count++;
  WideCharToMultiByte(CP_UTF8, 0, name, -1, created_name, sizeof created_name, NULL, NULL);
  wchar_t *text = NULL;
  created_sddl[0] = '\0';
  if (sa != NULL && ConvertSecurityDescriptorToStringSecurityDescriptorW(sa->lpSecurityDescriptor, SDDL_REVISION_1,
                                                                          DACL_SECURITY_INFORMATION, &text, NULL)) {
    WideCharToMultiByte(CP_UTF8, 0, text, -1, created_sddl, sizeof created_sddl, NULL, NULL);
    LocalFree(text);
  }
  if (fail_create != 0) {
    SetLastError(fail_create);
    return NULL;
  }
  return real.CreateJobObjectW(sa, name);
}

/* Query answers the test chooses; classes without one go to Windows. */
static BOOL answer_cpu;
static DWORD cpu_query_fail;
static JOBOBJECT_CPU_RATE_CONTROL_INFORMATION cpu_answer;
static int cpu_queries;
static BOOL answer_extended;
static JOBOBJECT_EXTENDED_LIMIT_INFORMATION extended_answer;
static BOOL answer_accounting;
static DWORD accounting_fail; /* the combined class refused with this code */
static JOBOBJECT_BASIC_AND_IO_ACCOUNTING_INFORMATION accounting_answer;
static BOOL answer_usage;
static JOB_MEMORY_USAGE_INFORMATION usage_answer;

static BOOL WINAPI answering_query(HANDLE job, JOBOBJECTINFOCLASS cls, LPVOID info, DWORD size, LPDWORD returned) {
  if (cls == JobObjectCpuRateControlInformation && (answer_cpu || cpu_query_fail != 0)) {
    cpu_queries++;
    if (cpu_query_fail != 0) {
      SetLastError(cpu_query_fail);
      return FALSE;
    }
    memcpy(info, &cpu_answer, sizeof cpu_answer);
    return TRUE;
  }
  if (cls == JobObjectCpuRateControlInformation) cpu_queries++;
  if (cls == JobObjectExtendedLimitInformation && answer_extended) {
    memcpy(info, &extended_answer, sizeof extended_answer);
    return TRUE;
  }
  if (cls == JobObjectBasicAndIoAccountingInformation && accounting_fail != 0) {
    SetLastError(accounting_fail);
    return FALSE;
  }
  if ((cls == JobObjectBasicAndIoAccountingInformation || cls == JobObjectBasicAccountingInformation) &&
      answer_accounting) {
    memcpy(info, &accounting_answer, size); /* the basic class is the combined one's first member */
    return TRUE;
  }
  if (cls == JOB_INFO_CLASS_MEMORY_USAGE && answer_usage) {
    memcpy(info, &usage_answer, sizeof usage_answer);
    return TRUE;
  }
  return real.QueryInformationJobObject(job, cls, info, size, returned);
}

typedef enum io_query_mode { IO_QUERY_ABSENT, IO_QUERY_NONE, IO_QUERY_BLOCKS, IO_QUERY_FAIL } io_query_mode;
static io_query_mode io_query;
static int io_queries;
static JOBOBJECT_IO_RATE_CONTROL_INFORMATION *io_blocks_given;
static void *io_blocks_freed;

static DWORD WINAPI answering_query_io(HANDLE job, PCWSTR volume, JOBOBJECT_IO_RATE_CONTROL_INFORMATION **blocks,
                                       ULONG *count) {
  (void)job;
  assert_null(volume); /* every volume */
  io_queries++;
  *blocks = NULL;
  *count = 0;
  switch (io_query) {
  case IO_QUERY_ABSENT:
    SetLastError(ERROR_PROC_NOT_FOUND);
    return 0;
  case IO_QUERY_FAIL:
    SetLastError(ERROR_ACCESS_DENIED);
    return 0;
  case IO_QUERY_NONE:
    return 1;
  case IO_QUERY_BLOCKS:
    io_blocks_given = calloc(2, sizeof *io_blocks_given);
    io_blocks_given[0].ControlFlags = 0; /* a disabled block first: skipped */
    io_blocks_given[0].MaxIops = 1;
    io_blocks_given[1].ControlFlags = JOB_OBJECT_IO_RATE_CONTROL_ENABLE;
    io_blocks_given[1].MaxIops = 300;
    io_blocks_given[1].MaxBandwidth = 2097152;
    io_blocks_given[1].VolumeName = L"\\Device\\HarddiskVolume1";
    *blocks = io_blocks_given;
    *count = 2;
    return 1;
  }
  return 0;
}

static VOID WINAPI recording_free(VOID *buffer) {
  io_blocks_freed = buffer;
  free(buffer);
}

static int setup(void **state) {
  (void)state;
  real = jobs_sys;
  jobs_sys.SetInformationJobObject = recording_set;
  jobs_sys.SetIoRateControlInformationJobObject = recording_set_io;
  jobs_sys.CreateJobObjectW = recording_create;
  jobs_sys.QueryInformationJobObject = answering_query;
  jobs_sys.QueryIoRateControlInformationJobObject = answering_query_io;
  jobs_sys.FreeMemoryJobObject = recording_free;
  set_count = io_set_count = create_count = cpu_queries = io_queries = 0;
  fail_set_at = 0;
  fail_set_code = 0;
  pretend_cpu = TRUE;
  io_set_fail = 0;
  fail_create = 0;
  answer_cpu = answer_extended = answer_accounting = answer_usage = FALSE;
  cpu_query_fail = accounting_fail = 0;
  io_query = IO_QUERY_ABSENT;
  io_blocks_given = NULL;
  io_blocks_freed = NULL;
  memset(sets, 0, sizeof sets);
  memset(io_sets, 0, sizeof io_sets);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  jobs_sys = real;
  return 0;
}

/* --- helpers ---------------------------------------------------------------------------------------- */
static JOBOBJECT_EXTENDED_LIMIT_INFORMATION extended_of(int call) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION x;
  assert_true(call >= 1 && call <= set_count);
  assert_int_equal(sets[call - 1].cls, JobObjectExtendedLimitInformation);
  assert_int_equal(sets[call - 1].size, sizeof x);
  memcpy(&x, sets[call - 1].data, sizeof x);
  return x;
}

static JOBOBJECT_CPU_RATE_CONTROL_INFORMATION cpu_of(int call) {
  JOBOBJECT_CPU_RATE_CONTROL_INFORMATION c;
  assert_true(call >= 1 && call <= set_count);
  assert_int_equal(sets[call - 1].cls, JobObjectCpuRateControlInformation);
  assert_int_equal(sets[call - 1].size, sizeof c);
  memcpy(&c, sets[call - 1].data, sizeof c);
  return c;
}

/* The whole structure, byte for byte: flags, values, and zero everywhere else. */
static void expect_extended(int call, DWORD flags, SIZE_T memory, DWORD processes) {
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION want;
  memset(&want, 0, sizeof want);
  want.BasicLimitInformation.LimitFlags = flags;
  want.JobMemoryLimit = memory;
  want.BasicLimitInformation.ActiveProcessLimit = processes;
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION got = extended_of(call);
  if (memcmp(&got, &want, sizeof got) != 0) {
    FAILF("call %d: LimitFlags 0x%lx JobMemoryLimit %llu ActiveProcessLimit %lu; want 0x%lx %llu %lu (and zeros)", call,
          (unsigned long)got.BasicLimitInformation.LimitFlags, (unsigned long long)got.JobMemoryLimit,
          (unsigned long)got.BasicLimitInformation.ActiveProcessLimit, (unsigned long)flags,
          (unsigned long long)memory, (unsigned long)processes);
  }
}

#define ALWAYS (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION)

static job_object *create_ok(const char *what, const job_limits *limits, const char **name_out) {
  const char *name = jobs_test_name(what);
  job_object *job = NULL;
  wctr_errmsg e;
  if (job_create(name, limits, &job, &e) != WCTR_OK) FAILF("job_create: %s", e.text);
  if (name_out != NULL) *name_out = name;
  return job;
}

/* A create that must fail and leave no job of that name. */
static void expect_create_fails(const job_limits *limits, wctr_err want, const char *text) {
  const char *name = jobs_test_name("fails");
  static int sentinel;
  job_object *job = (job_object *)&sentinel; /* any non-NULL value: it must come back NULL */
  wctr_errmsg e;
  wctr_err err = job_create(name, limits, &job, &e);
  if (err != want) FAILF("job_create gave %s (%s), want %s", wctr_err_name(err), e.text, wctr_err_name(want));
  assert_null(job);
  if (text != NULL && strstr(e.text, text) == NULL) FAILF("message \"%s\" lacks \"%s\"", e.text, text);
  assert_false(jobs_test_job_exists(name));
}

/* --- tests ------------------------------------------------------------------------------------------ */
static void test_descriptor_and_name(void **state) {
  (void)state;
  const char *name = NULL;
  job_object *job = create_ok("sd", NULL, &name);
  char want[256];
  snprintf(want, sizeof want, "Global\\%s", name);
  assert_string_equal(created_name, want);
  wctr_errmsg e;
  if (acl_sddl_expect(JOB_SDDL, created_sddl, ACL_MATCH_STRICT, &e) != WCTR_OK) {
    FAILF("descriptor given to CreateJobObjectW: %s (%s)", e.text, created_sddl);
  }
  job_close(job);
}

static void test_bare_job(void **state) {
  (void)state;
  job_object *job = create_ok("bare", NULL, NULL);
  assert_int_equal(set_count, 1); /* the extended limits only: no CPU, no I/O call */
  expect_extended(1, ALWAYS, 0, 0);
  assert_int_equal(io_set_count, 0);
  job_close(job);
}

static void test_memory_and_processes_from_docker_flags(void **state) {
  (void)state;
  wctr_errmsg e;
  spec_resources r = {0};
  assert_int_equal(wctr_parse_size("500m", "--memory", &r.memory_bytes, &e), WCTR_OK);
  r.pids_limit = 5;
  job_limits limits;
  assert_int_equal(job_limits_from_spec(&r, 4, &limits, &e), WCTR_OK);
  job_object *job = create_ok("memory", &limits, NULL);
  assert_int_equal(set_count, 1);
  expect_extended(1, ALWAYS | JOB_OBJECT_LIMIT_JOB_MEMORY | JOB_OBJECT_LIMIT_ACTIVE_PROCESS, 524288000, 5);
  assert_int_equal(io_set_count, 0);
  job_close(job);
}

static void test_cpu_rate(void **state) {
  (void)state;
  wctr_errmsg e;
  spec_resources r = {.nano_cpus = 2000000000}; /* --cpus 2 on 4 CPUs: half the host */
  job_limits limits;
  assert_int_equal(job_limits_from_spec(&r, 4, &limits, &e), WCTR_OK);
  job_object *job = create_ok("rate", &limits, NULL);
  assert_int_equal(set_count, 2);
  expect_extended(1, ALWAYS, 0, 0);
  JOBOBJECT_CPU_RATE_CONTROL_INFORMATION c = cpu_of(2);
  assert_int_equal(c.ControlFlags, JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP);
  assert_int_equal(c.CpuRate, 5000);
  job_close(job);
}

static void test_cpu_weight(void **state) {
  (void)state;
  wctr_errmsg e;
  spec_resources r = {.cpu_shares = 5000};
  job_limits limits;
  assert_int_equal(job_limits_from_spec(&r, 4, &limits, &e), WCTR_OK);
  job_object *job = create_ok("weight", &limits, NULL);
  assert_int_equal(set_count, 2);
  JOBOBJECT_CPU_RATE_CONTROL_INFORMATION c = cpu_of(2);
  assert_int_equal(c.ControlFlags, JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED);
  assert_int_equal(c.Weight, 5); /* 1 + 8 * 5000 / 10000 */
  job_close(job);
}

static void test_io(void **state) {
  (void)state;
  /* The documented layout, as jobs_sys.h declares it. */
  assert_int_equal(sizeof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION), 40);
  assert_int_equal(offsetof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION, MaxBandwidth), 8);
  assert_int_equal(offsetof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION, ReservationIops), 16);
  assert_int_equal(offsetof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION, VolumeName), 24);
  assert_int_equal(offsetof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION, BaseIoSize), 32);
  assert_int_equal(offsetof(JOBOBJECT_IO_RATE_CONTROL_INFORMATION, ControlFlags), 36);
  job_limits limits = {.flags = JOB_LIMIT_IO_IOPS | JOB_LIMIT_IO_BANDWIDTH, .io_max_iops = 100,
                       .io_max_bandwidth = 1048576};
  job_object *job = create_ok("io", &limits, NULL);
  assert_int_equal(set_count, 1);
  assert_int_equal(io_set_count, 1);
  assert_true(io_sets[0].MaxIops == 100);
  assert_true(io_sets[0].MaxBandwidth == 1048576);
  assert_true(io_sets[0].ReservationIops == 0);
  assert_null(io_sets[0].VolumeName);
  assert_int_equal(io_sets[0].BaseIoSize, 0);
  assert_int_equal(io_sets[0].ControlFlags, JOB_OBJECT_IO_RATE_CONTROL_ENABLE);
  job_close(job);

  /* Only one of the two: the other is 0, "no limit". */
  io_set_count = 0;
  job_limits iops_only = {.flags = JOB_LIMIT_IO_IOPS, .io_max_iops = 7};
  job = create_ok("iops", &iops_only, NULL);
  assert_int_equal(io_set_count, 1);
  assert_true(io_sets[0].MaxIops == 7 && io_sets[0].MaxBandwidth == 0);
  job_close(job);
}

static void test_refused_cpu_limit_leaves_nothing(void **state) {
  (void)state;
  job_limits limits = {.flags = JOB_LIMIT_CPU_RATE, .cpu_rate = 5000};
  fail_set_at = 2;
  fail_set_code = ERROR_INVALID_PARAMETER; /* what Wine answers, and Windows for a bad value */
  expect_create_fails(&limits, WCTR_EINVAL, "Windows refused the CPU limit of job");
  /* The same refusal does not touch a job without a CPU limit: the second call never comes. */
  set_count = 0;
  job_close(create_ok("nocpu", NULL, NULL));
  assert_int_equal(set_count, 1);
}

/* Without the seam's pretence: Windows applies a CPU cap and reads it back; Wine refuses it with
 * ERROR_INVALID_PARAMETER, and the create fails with that reason. */
static void test_cpu_limit_as_this_host_does_it(void **state) {
  (void)state;
  pretend_cpu = FALSE;
  job_limits limits = {.flags = JOB_LIMIT_CPU_RATE, .cpu_rate = 2500};
  if (wctr_test_under_wine()) {
    expect_create_fails(&limits, WCTR_EINVAL, "hard cap at 25.00% of all CPUs");
    expect_create_fails(&limits, WCTR_EINVAL, "(error 87)");
    return;
  }
  job_object *job = create_ok("realcpu", &limits, NULL);
  job_limits back;
  wctr_errmsg e;
  assert_int_equal(job_query_limits(job, &back, &e), WCTR_OK);
  assert_int_equal(back.flags, JOB_LIMIT_CPU_RATE);
  assert_int_equal(back.cpu_rate, 2500);
  job_close(job);
}

static void test_io_functions_missing(void **state) {
  (void)state;
  job_limits limits = {.flags = JOB_LIMIT_IO_BANDWIDTH, .io_max_bandwidth = 1 << 20};
  io_set_fail = ERROR_PROC_NOT_FOUND; /* the seam's default entry when kernel32 lacks the function */
  expect_create_fails(&limits, WCTR_ENOTSUP, "SetIoRateControlInformationJobObject");
  /* Wine 8 really lacks it: the default entry says so. */
  if (wctr_test_under_wine()) {
    jobs_sys.SetIoRateControlInformationJobObject = real.SetIoRateControlInformationJobObject;
    expect_create_fails(&limits, WCTR_ENOTSUP, "which this Windows does not have");
  }
}

static void test_every_failing_step_leaves_nothing(void **state) {
  (void)state;
  job_limits all = {.flags = JOB_LIMIT_MEMORY | JOB_LIMIT_CPU_WEIGHT | JOB_LIMIT_IO_IOPS,
                    .job_memory_limit = 64 << 20, .cpu_weight = 2, .io_max_iops = 50};
  fail_create = ERROR_ACCESS_DENIED;
  expect_create_fails(&all, WCTR_EACCES, "cannot create job");
  fail_create = 0;
  fail_set_code = ERROR_NOT_ENOUGH_MEMORY;
  for (int step = 1; step <= 2; step++) {
    set_count = 0;
    fail_set_at = step;
    expect_create_fails(&all, WCTR_ENOMEM, step == 1 ? "limits of job" : "CPU limit of job");
  }
  fail_set_at = 0;
  io_set_fail = ERROR_INVALID_FUNCTION;
  expect_create_fails(&all, WCTR_ESYSTEM, "Windows refused the I/O limits of job");
}

static void test_inconsistent_limits_create_nothing(void **state) {
  (void)state;
  const job_limits bad[] = {
      {.flags = JOB_LIMIT_CPU_RATE | JOB_LIMIT_CPU_WEIGHT, .cpu_rate = 100, .cpu_weight = 2},
      {.flags = JOB_LIMIT_CPU_RATE, .cpu_rate = 0},
      {.flags = JOB_LIMIT_CPU_RATE, .cpu_rate = 10001},
      {.flags = JOB_LIMIT_CPU_WEIGHT, .cpu_weight = 10},
      {.flags = JOB_LIMIT_MEMORY},
      {.flags = JOB_LIMIT_PROCESSES},
      {.flags = JOB_LIMIT_IO_IOPS, .io_max_iops = -1},
      {.flags = JOB_LIMIT_IO_BANDWIDTH},
      {.flags = 1u << 20},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) expect_create_fails(&bad[i], WCTR_EINVAL, NULL);
  assert_int_equal(create_count, 0);
}

static void test_second_create_changes_nothing(void **state) {
  (void)state;
  const char *name = NULL;
  job_limits limits = {.flags = JOB_LIMIT_MEMORY, .job_memory_limit = 100 << 20};
  job_object *job = create_ok("twice", &limits, &name);
  int calls = set_count;
  job_object *again = NULL;
  wctr_errmsg e;
  job_limits other = {.flags = JOB_LIMIT_MEMORY, .job_memory_limit = 1 << 30};
  assert_int_equal(job_create(name, &other, &again, &e), WCTR_EEXIST);
  assert_null(again);
  assert_int_equal(set_count, calls); /* nothing was set on the existing job */
  assert_true(jobs_test_job_exists(name));
  job_close(job);
}

static void test_apply_limits_replaces(void **state) {
  (void)state;
  wctr_errmsg e;
  job_limits first = {.flags = JOB_LIMIT_MEMORY | JOB_LIMIT_CPU_RATE, .job_memory_limit = 256 << 20, .cpu_rate = 3000};
  job_object *job = create_ok("update", &first, NULL);
  assert_int_equal(set_count, 2);

  /* Only a process limit now: memory removed, CPU switched off (wctr set one), no I/O call. */
  set_count = 0;
  job_limits second = {.flags = JOB_LIMIT_PROCESSES, .active_process_limit = 3};
  assert_int_equal(job_apply_limits(job, &second, &e), WCTR_OK);
  assert_int_equal(set_count, 2);
  expect_extended(1, ALWAYS | JOB_OBJECT_LIMIT_ACTIVE_PROCESS, 0, 3);
  assert_int_equal(cpu_of(2).ControlFlags, 0);
  assert_int_equal(io_set_count, 0);
  assert_int_equal(cpu_queries, 0); /* known, not asked */

  /* A weight and I/O. */
  set_count = 0;
  job_limits third = {.flags = JOB_LIMIT_CPU_WEIGHT | JOB_LIMIT_IO_BANDWIDTH, .cpu_weight = 9, .io_max_bandwidth = 4096};
  assert_int_equal(job_apply_limits(job, &third, &e), WCTR_OK);
  assert_int_equal(set_count, 2);
  expect_extended(1, ALWAYS, 0, 0);
  assert_int_equal(cpu_of(2).ControlFlags, JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED);
  assert_int_equal(cpu_of(2).Weight, 9);
  assert_int_equal(io_set_count, 1);
  assert_true(io_sets[0].MaxBandwidth == 4096 && io_sets[0].MaxIops == 0);

  /* Nothing: both controls switched off. */
  set_count = 0;
  io_set_count = 0;
  job_limits none = {0};
  assert_int_equal(job_apply_limits(job, &none, &e), WCTR_OK);
  assert_int_equal(set_count, 2);
  expect_extended(1, ALWAYS, 0, 0);
  assert_int_equal(cpu_of(2).ControlFlags, 0);
  assert_int_equal(io_set_count, 1);
  assert_int_equal(io_sets[0].ControlFlags, 0);
  assert_true(io_sets[0].MaxIops == 0 && io_sets[0].MaxBandwidth == 0);

  /* And again: nothing left to switch off. */
  set_count = 0;
  io_set_count = 0;
  assert_int_equal(job_apply_limits(job, &none, &e), WCTR_OK);
  assert_int_equal(set_count, 1);
  assert_int_equal(io_set_count, 0);

  /* A failing step names its limit; the earlier steps stay. */
  set_count = 0;
  fail_set_at = 2;
  fail_set_code = ERROR_INVALID_PARAMETER;
  job_limits fourth = {.flags = JOB_LIMIT_MEMORY | JOB_LIMIT_CPU_RATE, .job_memory_limit = 1 << 30, .cpu_rate = 100};
  assert_int_equal(job_apply_limits(job, &fourth, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "hard cap at 1.00% of all CPUs"));
  expect_extended(1, ALWAYS | JOB_OBJECT_LIMIT_JOB_MEMORY, 1 << 30, 0);
  job_close(job);
}

static void test_apply_limits_on_an_opened_job(void **state) {
  (void)state;
  wctr_errmsg e;
  const char *name = NULL;
  job_object *created = create_ok("opened", NULL, &name);
  job_object *job = NULL;
  assert_int_equal(job_open(name, &job, &e), WCTR_OK);
  job_limits none = {0};

  /* Windows reports a CPU cap and an I/O limit: both are switched off. */
  answer_cpu = TRUE;
  cpu_answer.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP;
  cpu_answer.CpuRate = 5000;
  io_query = IO_QUERY_BLOCKS;
  set_count = 0;
  assert_int_equal(job_apply_limits(job, &none, &e), WCTR_OK);
  assert_int_equal(cpu_queries, 1);
  assert_int_equal(set_count, 2);
  assert_int_equal(cpu_of(2).ControlFlags, 0);
  assert_int_equal(io_set_count, 1);
  assert_int_equal(io_sets[0].ControlFlags, 0);
  assert_ptr_equal(io_blocks_freed, io_blocks_given); /* the query's blocks are given back to Windows */

  /* After that full replace the job's state is known: no more questions. */
  cpu_queries = io_queries = set_count = io_set_count = 0;
  assert_int_equal(job_apply_limits(job, &none, &e), WCTR_OK);
  assert_int_equal(cpu_queries + io_queries, 0);
  assert_int_equal(set_count, 1);
  job_close(job);

  /* A Windows without CPU rate control (the class refused) or without the I/O functions has nothing to
   * switch off; one whose I/O query fails otherwise gets the switch-off to be sure. */
  assert_int_equal(job_open(name, &job, &e), WCTR_OK);
  answer_cpu = FALSE;
  cpu_query_fail = ERROR_INVALID_PARAMETER;
  io_query = IO_QUERY_ABSENT;
  cpu_queries = io_queries = set_count = io_set_count = 0;
  assert_int_equal(job_apply_limits(job, &none, &e), WCTR_OK);
  assert_int_equal(cpu_queries, 1);
  assert_int_equal(set_count, 1);
  assert_int_equal(io_set_count, 0);
  job_close(job);

  assert_int_equal(job_open(name, &job, &e), WCTR_OK);
  io_query = IO_QUERY_FAIL;
  io_set_count = 0;
  assert_int_equal(job_apply_limits(job, &none, &e), WCTR_OK);
  assert_int_equal(io_set_count, 1);
  job_close(job);

  /* Any other refusal to report the CPU control is an error. */
  assert_int_equal(job_open(name, &job, &e), WCTR_OK);
  cpu_query_fail = ERROR_ACCESS_DENIED;
  assert_int_equal(job_apply_limits(job, &none, &e), WCTR_EACCES);
  assert_non_null(strstr(e.text, "cannot read the CPU limit"));
  job_close(job);
  job_close(created);
}

static void test_query_limits(void **state) {
  (void)state;
  wctr_errmsg e;
  job_object *job = create_ok("query", NULL, NULL);
  answer_extended = TRUE;
  extended_answer.BasicLimitInformation.LimitFlags = ALWAYS | JOB_OBJECT_LIMIT_JOB_MEMORY | JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
  extended_answer.JobMemoryLimit = 524288000;
  extended_answer.BasicLimitInformation.ActiveProcessLimit = 5;
  answer_cpu = TRUE;
  cpu_answer.ControlFlags = JOB_OBJECT_CPU_RATE_CONTROL_ENABLE | JOB_OBJECT_CPU_RATE_CONTROL_WEIGHT_BASED;
  cpu_answer.Weight = 4;
  io_query = IO_QUERY_BLOCKS;
  job_limits back;
  assert_int_equal(job_query_limits(job, &back, &e), WCTR_OK);
  assert_int_equal(back.flags, JOB_LIMIT_MEMORY | JOB_LIMIT_PROCESSES | JOB_LIMIT_CPU_WEIGHT | JOB_LIMIT_IO_IOPS |
                                   JOB_LIMIT_IO_BANDWIDTH);
  assert_true(back.job_memory_limit == 524288000);
  assert_int_equal(back.active_process_limit, 5);
  assert_int_equal(back.cpu_weight, 4);
  assert_int_equal(back.cpu_rate, 0);
  assert_true(back.io_max_iops == 300 && back.io_max_bandwidth == 2097152);
  assert_int_equal(back.warnings.count, 0);
  assert_ptr_equal(io_blocks_freed, io_blocks_given);

  /* No CPU rate control on this Windows, an I/O read-back that fails: what can be read, and a warning. */
  cpu_answer.ControlFlags = 0;
  answer_cpu = FALSE;
  cpu_query_fail = ERROR_INVALID_PARAMETER;
  io_query = IO_QUERY_FAIL;
  assert_int_equal(job_query_limits(job, &back, &e), WCTR_OK);
  assert_int_equal(back.flags, JOB_LIMIT_MEMORY | JOB_LIMIT_PROCESSES);
  assert_int_equal(back.warnings.count, 1);
  assert_non_null(strstr(back.warnings.text[0], "I/O limits"));
  job_close(job);
}

static void test_stats(void **state) {
  (void)state;
  wctr_errmsg e;
  job_object *job = create_ok("stats", NULL, NULL);
  answer_accounting = TRUE;
  accounting_answer.BasicInfo.TotalUserTime.QuadPart = 11;
  accounting_answer.BasicInfo.TotalKernelTime.QuadPart = 22;
  accounting_answer.BasicInfo.TotalProcesses = 3;
  accounting_answer.BasicInfo.ActiveProcesses = 2;
  accounting_answer.BasicInfo.TotalTerminatedProcesses = 1;
  accounting_answer.IoInfo.ReadOperationCount = 4;
  accounting_answer.IoInfo.WriteOperationCount = 5;
  accounting_answer.IoInfo.ReadTransferCount = 6;
  accounting_answer.IoInfo.WriteTransferCount = 7;
  answer_extended = TRUE;
  extended_answer.PeakJobMemoryUsed = 8 << 20;
  answer_usage = TRUE;
  usage_answer.JobMemory = 3 << 20;
  job_stats s;
  assert_int_equal(job_query_stats(job, &s, &e), WCTR_OK);
  assert_true(s.user_time_100ns == 11 && s.kernel_time_100ns == 22);
  assert_true(s.total_processes == 3 && s.active_processes == 2 && s.terminated_processes == 1);
  assert_true(s.read_operations == 4 && s.write_operations == 5 && s.read_bytes == 6 && s.write_bytes == 7);
  assert_true(s.peak_job_memory == 8 << 20 && s.job_memory == 3 << 20);

  /* The combined class refused (Wine): the basic one, I/O counters 0; no current commit reported: 0. */
  accounting_fail = ERROR_INVALID_FUNCTION;
  answer_usage = FALSE;
  memset(&accounting_answer.IoInfo, 0, sizeof accounting_answer.IoInfo);
  assert_int_equal(job_query_stats(job, &s, &e), WCTR_OK);
  assert_true(s.total_processes == 3 && s.user_time_100ns == 11);
  assert_true(s.read_operations == 0 && s.write_bytes == 0);
  if (wctr_test_under_wine()) assert_true(s.job_memory == 0); /* Wine refuses class 28 */
  accounting_fail = ERROR_ACCESS_DENIED;
  assert_int_equal(job_query_stats(job, &s, &e), WCTR_EACCES);
  job_close(job);
}

int main(int argc, char **argv) {
  int helper = jobs_helper_main(argc, argv);
  if (helper >= 0) return helper;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_descriptor_and_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bare_job, setup, teardown),
      cmocka_unit_test_setup_teardown(test_memory_and_processes_from_docker_flags, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cpu_rate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cpu_weight, setup, teardown),
      cmocka_unit_test_setup_teardown(test_io, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_cpu_limit_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_cpu_limit_as_this_host_does_it, setup, teardown),
      cmocka_unit_test_setup_teardown(test_io_functions_missing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_failing_step_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_inconsistent_limits_create_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_second_create_changes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_apply_limits_replaces, setup, teardown),
      cmocka_unit_test_setup_teardown(test_apply_limits_on_an_opened_job, setup, teardown),
      cmocka_unit_test_setup_teardown(test_query_limits, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
