/* jobs/limits.c - a job container's resources as job-object limits (portable; the contract is limits.h). */
#include "jobs/limits.h"

#include <string.h>

wctr_err job_limits_from_spec(const spec_resources *r, int host_cpus, job_limits *out, wctr_errmsg *e) {
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "job_limits_from_spec: out must not be NULL");
  memset(out, 0, sizeof *out);

  spec_resources eff;
  wctr_err err = spec_resources_check(r, WCTR_ISOLATION_JOB, host_cpus, &eff, &out->warnings, e);
  if (err != WCTR_OK) return err;

  if (eff.memory_bytes > 0) {
    out->flags |= JOB_LIMIT_MEMORY;
    out->job_memory_limit = (uint64_t)eff.memory_bytes;
  }

  /* After the check: percent survives only alone, shares only without count and nano. So the hard cap
   * comes from nano and/or count, or from percent, and the weight only when there is no cap. */
  uint32_t rate = 0;
  if (eff.nano_cpus > 0) rate = spec_cpu_rate_from_nano(eff.nano_cpus, host_cpus);
  if (eff.cpu_count > 0) {
    int64_t count = spec_cpu_count_clamp(eff.cpu_count, host_cpus, &out->warnings);
    uint32_t count_rate = spec_cpu_rate_from_count(count, host_cpus);
    /* Both --cpus and --cpu-count are maximums; the smaller cap satisfies both. */
    if (rate == 0 || count_rate < rate) rate = count_rate;
  }
  if (eff.cpu_percent > 0) rate = spec_cpu_rate_from_percent(eff.cpu_percent);
  if (rate != 0) {
    out->flags |= JOB_LIMIT_CPU_RATE;
    out->cpu_rate = rate;
  }
  if (eff.cpu_shares > 0) {
    out->flags |= JOB_LIMIT_CPU_WEIGHT;
    out->cpu_weight = spec_cpu_weight_from_shares(eff.cpu_shares);
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
