/* jobs/limits.c - resource checks and limit formulas (portable; the contract is limits.h). */
#include "jobs/limits.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/units.h"

/* CpuRate and HCS Maximum: hundredths of a percent, so 10000 is the whole of what they are a share of. */
#define CPU_RATE_MAX 10000
/* Docker's Windows bounds (daemon_windows.go: windowsMinCPUShares ... windowsMaxCPUPercent). */
#define CPU_SHARES_MIN 1
#define CPU_SHARES_MAX 10000
#define CPU_PERCENT_MIN 1
#define CPU_PERCENT_MAX 100
/* Job object weights run 1..9; shares map onto 1 + 0..8. */
#define CPU_WEIGHT_SPAN 8
/* NanoCPUs per unit of CpuRate on one CPU: 1e9 nanoCPUs = 10000 hundredths of a percent. */
#define NANO_PER_RATE (WCTR_NANO_PER_CPU / CPU_RATE_MAX)

static void warn(job_warnings *w, const char *fmt, ...) WCTR_PRINTF(2, 3);

static void warn(job_warnings *w, const char *fmt, ...) {
  /* Three warnings at most can arise (limits.h); the bound only keeps a future fourth from writing past
   * the array. */
  if (w == NULL || w->count >= JOB_WARNINGS_MAX) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->text[w->count], sizeof w->text[w->count], fmt, ap);
  va_end(ap);
  w->count++;
}

const char *job_isolation_name(wctr_isolation isolation) {
  switch (isolation) {
    case WCTR_ISOLATION_JOB: return "job";
    case WCTR_ISOLATION_PROCESS: return "process";
    case WCTR_ISOLATION_HYPERV: return "hyperv";
  }
  return "unknown";
}

int64_t job_min_memory(wctr_isolation isolation) {
  switch (isolation) {
    case WCTR_ISOLATION_JOB: return JOB_MIN_MEMORY_JOB;
    case WCTR_ISOLATION_PROCESS: return JOB_MIN_MEMORY_PROCESS;
    case WCTR_ISOLATION_HYPERV: return JOB_MIN_MEMORY_HYPERV;
  }
  return 0;
}

static wctr_err host_cpus_error(int host_cpus, wctr_errmsg *e) {
  return wctr_fail(e, WCTR_EINVAL, "host_cpus must be at least 1, not %d", host_cpus);
}

/* Docker's text, including its "CPUs" for a host of one. */
static wctr_err cpus_range_error(int host_cpus, wctr_errmsg *e) {
  return wctr_fail(e, WCTR_EINVAL, "range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available",
                   host_cpus, host_cpus);
}

/* Docker applies the precedence only to Windows Server (process-isolated) containers, because there the
 * controls map onto one job object CPU mode; job containers have exactly that constraint. */
static void apply_cpu_precedence(job_resources *r, wctr_isolation isolation, job_warnings *w) {
  if (isolation == WCTR_ISOLATION_HYPERV) return;
  const char *kind = isolation == WCTR_ISOLATION_PROCESS ? "Windows Server Containers" : "job containers";
  if (r->cpu_count > 0) {
    if (r->cpu_shares > 0) {
      warn(w, "Conflicting options: CPU count takes priority over CPU shares on %s. CPU shares discarded",
           kind);
      r->cpu_shares = 0;
    }
    if (r->cpu_percent > 0) {
      warn(w, "Conflicting options: CPU count takes priority over CPU percent on %s. CPU percent discarded",
           kind);
      r->cpu_percent = 0;
    }
  } else if (r->cpu_shares > 0 && r->cpu_percent > 0) {
    warn(w, "Conflicting options: CPU shares takes priority over CPU percent on %s. CPU percent discarded",
         kind);
    r->cpu_percent = 0;
  }
}

wctr_err job_resources_check(const job_resources *requested, wctr_isolation isolation, int host_cpus,
                             job_resources *effective, job_warnings *warnings, wctr_errmsg *e) {
  if (requested == NULL || effective == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "job_resources_check: requested and effective must not be NULL");
  }
  if (job_min_memory(isolation) == 0) {
    return wctr_fail(e, WCTR_EINVAL, "unknown isolation %d (expected job, process or hyperv)",
                     (int)isolation);
  }
  if (host_cpus < 1) return host_cpus_error(host_cpus, e);

  /* Work on a copy: *effective may be *requested, and it is written only on success. */
  job_resources r = *requested;
  apply_cpu_precedence(&r, isolation, warnings);

  if (r.cpu_shares < 0 || r.cpu_shares > CPU_SHARES_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "range of CPUShares is from %d to %d", CPU_SHARES_MIN, CPU_SHARES_MAX);
  }
  if (r.cpu_percent < 0 || r.cpu_percent > CPU_PERCENT_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "range of CPUPercent is from %d to %d", CPU_PERCENT_MIN,
                     CPU_PERCENT_MAX);
  }
  if (r.cpu_count < 0) {
    return wctr_fail(e, WCTR_EINVAL, "invalid CPUCount: CPUCount cannot be negative");
  }
  if (r.nano_cpus > 0 && r.cpu_percent > 0) {
    return wctr_fail(e, WCTR_EINVAL, "conflicting options: Nano CPUs and CPU Percent cannot both be set");
  }
  if (r.nano_cpus > 0 && r.cpu_shares > 0) {
    return wctr_fail(e, WCTR_EINVAL, "conflicting options: Nano CPUs and CPU Shares cannot both be set");
  }
  /* host_cpus <= INT_MAX, so host_cpus * 1e9 < 2.2e18 fits an int64. */
  if (r.nano_cpus < 0 || r.nano_cpus > (int64_t)host_cpus * WCTR_NANO_PER_CPU) {
    return cpus_range_error(host_cpus, e);
  }

  if (isolation == WCTR_ISOLATION_HYPERV) {
    /* Docker refuses PidsLimit on Windows altogether. wctr applies it to the job of a job container and to
     * the server silo of a process-isolated one; a Hyper-V container's processes live in its utility VM,
     * out of the host's reach. */
    if (r.pids_limit != 0) {
      return wctr_fail(e, WCTR_EINVAL,
                       "invalid option: --pids-limit is not supported with Hyper-V isolation (the processes run in "
                       "the utility VM); use --isolation=process or job");
    }
  } else if (r.pids_limit > (int64_t)UINT32_MAX) {
    /* ActiveProcessLimit is a DWORD. */
    return wctr_fail(e, WCTR_EINVAL, "--pids-limit %" PRId64 " is too large (the largest is %" PRIu32 ")",
                     r.pids_limit, UINT32_MAX);
  }

  if (r.memory_bytes < 0) {
    return wctr_fail(e, WCTR_EINVAL, "--memory cannot be negative (%" PRId64 ")", r.memory_bytes);
  }
  int64_t min_memory = job_min_memory(isolation);
  if (r.memory_bytes > 0 && r.memory_bytes < min_memory) {
    char have[WCTR_FORMAT_SIZE_MAX];
    char need[WCTR_FORMAT_SIZE_MAX];
    wctr_format_size(r.memory_bytes, have, sizeof have);
    wctr_format_size(min_memory, need, sizeof need);
    return wctr_fail(e, WCTR_EINVAL, "--memory %s is below the minimum of %s for %s isolation", have, need,
                     job_isolation_name(isolation));
  }

  if (r.io_maxiops < 0) {
    return wctr_fail(e, WCTR_EINVAL, "--io-maxiops cannot be negative (%" PRId64 ")", r.io_maxiops);
  }
  if (r.io_maxbandwidth < 0) {
    return wctr_fail(e, WCTR_EINVAL, "--io-maxbandwidth cannot be negative (%" PRId64 ")",
                     r.io_maxbandwidth);
  }

  *effective = r;
  return WCTR_OK;
}

/* A cap of 0 would mean "no time at all" (and Windows refuses it), so a positive request gets at least
 * the smallest cap; more than everything is everything. */
static uint32_t clamp_rate(int64_t rate) {
  if (rate < 1) return 1;
  if (rate > CPU_RATE_MAX) return CPU_RATE_MAX;
  return (uint32_t)rate;
}

uint32_t job_cpu_rate_from_nano(int64_t nano_cpus, int host_cpus) {
  if (nano_cpus <= 0 || host_cpus < 1) return 0;
  /* Two truncating divisions, in Docker's order; for positive integers this equals one division by
   * host_cpus * 1e5, so no rounding step is lost or added. */
  return clamp_rate(nano_cpus / host_cpus / NANO_PER_RATE);
}

uint32_t job_cpu_rate_from_count(int64_t cpu_count, int host_cpus) {
  if (cpu_count <= 0 || host_cpus < 1) return 0;
  /* At or above the host's count the answer is the whole host; below it, count < host_cpus <= INT_MAX
   * keeps count * 10000 far inside int64. */
  if (cpu_count >= host_cpus) return CPU_RATE_MAX;
  return clamp_rate(cpu_count * CPU_RATE_MAX / host_cpus);
}

uint32_t job_cpu_rate_from_percent(int64_t cpu_percent) {
  if (cpu_percent <= 0) return 0;
  if (cpu_percent > CPU_PERCENT_MAX) cpu_percent = CPU_PERCENT_MAX;
  return (uint32_t)(cpu_percent * (CPU_RATE_MAX / CPU_PERCENT_MAX));
}

uint32_t job_cpu_weight_from_shares(int64_t cpu_shares) {
  if (cpu_shares <= 0) return 0;
  if (cpu_shares > CPU_SHARES_MAX) cpu_shares = CPU_SHARES_MAX;
  return (uint32_t)(1 + CPU_WEIGHT_SPAN * cpu_shares / CPU_SHARES_MAX);
}

int64_t job_cpu_count_clamp(int64_t cpu_count, int host_cpus, job_warnings *warnings) {
  if (host_cpus < 1 || cpu_count <= host_cpus) return cpu_count;
  /* Docker (libcontainerd) logs this at container start; wctr hands it to the caller to show. */
  warn(warnings, "Changing requested CPUCount of %" PRId64 " to current number of processors, %d",
       cpu_count, host_cpus);
  return host_cpus;
}

wctr_err job_limits_from_resources(const job_resources *r, int host_cpus, job_limits *out,
                                   wctr_errmsg *e) {
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_limits_from_resources: out must not be NULL");
  memset(out, 0, sizeof *out);

  job_resources eff;
  wctr_err err = job_resources_check(r, WCTR_ISOLATION_JOB, host_cpus, &eff, &out->warnings, e);
  if (err != WCTR_OK) return err;

  if (eff.memory_bytes > 0) {
    out->flags |= JOB_LIMIT_MEMORY;
    out->job_memory_limit = (uint64_t)eff.memory_bytes;
  }

  /* After the check: percent survives only alone, shares only without count and nano. So the hard cap
   * comes from nano and/or count, or from percent, and the weight only when there is no cap. */
  uint32_t rate = 0;
  if (eff.nano_cpus > 0) rate = job_cpu_rate_from_nano(eff.nano_cpus, host_cpus);
  if (eff.cpu_count > 0) {
    int64_t count = job_cpu_count_clamp(eff.cpu_count, host_cpus, &out->warnings);
    uint32_t count_rate = job_cpu_rate_from_count(count, host_cpus);
    /* Both --cpus and --cpu-count are maximums; the smaller cap satisfies both. */
    if (rate == 0 || count_rate < rate) rate = count_rate;
  }
  if (eff.cpu_percent > 0) rate = job_cpu_rate_from_percent(eff.cpu_percent);
  if (rate != 0) {
    out->flags |= JOB_LIMIT_CPU_RATE;
    out->cpu_rate = rate;
  }
  if (eff.cpu_shares > 0) {
    out->flags |= JOB_LIMIT_CPU_WEIGHT;
    out->cpu_weight = job_cpu_weight_from_shares(eff.cpu_shares);
  }

  if (eff.pids_limit > 0) {
    out->flags |= JOB_LIMIT_PROCESSES;
    out->active_process_limit = (uint32_t)eff.pids_limit;
  }
  if (eff.io_maxiops > 0) {
    out->flags |= JOB_LIMIT_IO_IOPS;
    out->io_max_iops = eff.io_maxiops;
  }
  if (eff.io_maxbandwidth > 0) {
    out->flags |= JOB_LIMIT_IO_BANDWIDTH;
    out->io_max_bandwidth = eff.io_maxbandwidth;
  }
  return WCTR_OK;
}

static wctr_err hcs_nano_precondition(int64_t nano_cpus, int host_cpus, wctr_errmsg *e) {
  if (host_cpus < 1) return host_cpus_error(host_cpus, e);
  if (nano_cpus < 0 || nano_cpus > (int64_t)host_cpus * WCTR_NANO_PER_CPU) {
    return cpus_range_error(host_cpus, e);
  }
  return WCTR_OK;
}

wctr_err job_hcs_process_cpu(int64_t nano_cpus, int host_cpus, uint32_t *maximum, wctr_errmsg *e) {
  if (maximum == NULL) return wctr_fail(e, WCTR_EINVAL, "job_hcs_process_cpu: maximum must not be NULL");
  wctr_err err = hcs_nano_precondition(nano_cpus, host_cpus, e);
  if (err != WCTR_OK) return err;
  *maximum = job_cpu_rate_from_nano(nano_cpus, host_cpus);
  return WCTR_OK;
}

wctr_err job_hcs_hyperv_cpu(int64_t nano_cpus, int host_cpus, uint32_t *count, uint32_t *maximum,
                            wctr_errmsg *e) {
  if (count == NULL || maximum == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "job_hcs_hyperv_cpu: count and maximum must not be NULL");
  }
  wctr_err err = hcs_nano_precondition(nano_cpus, host_cpus, e);
  if (err != WCTR_OK) return err;

  int64_t vcpus = nano_cpus / WCTR_NANO_PER_CPU;
  int64_t cap = 0;
  if (nano_cpus % WCTR_NANO_PER_CPU != 0) {
    /* A fraction of a CPU cannot be a VP, so round the VPs up and cap each to the share that gives the
     * requested total: N / ceil(N) of one VP. nano / vcpus <= 1e9, so cap <= 10000. */
    vcpus++;
    cap = nano_cpus / vcpus / NANO_PER_RATE;
    if (cap < 1) cap = 1;
  }
  /* vcpus <= host_cpus (the precondition), so both fit. */
  *count = (uint32_t)vcpus;
  *maximum = (uint32_t)cap;
  return WCTR_OK;
}

uint64_t job_hcs_memory_mb(int64_t bytes) {
  if (bytes <= 0) return 0;
  return (uint64_t)bytes / 1024u / 1024u;
}
