/* jobs/limits.h - the job-object limits of a job-isolated container, from its spec's resources.
 *
 * Portable: no windows.h, no allocation, no logging, no global state. The host CPU count is always a
 * parameter (the caller asks Windows once), so every conversion is tested natively with exact values.
 * The checks and Docker's formulas themselves are spec/spec.h's (spec_resources_check, spec_cpu_*); this
 * header only says which job-object limit each resource becomes. The Win32 layer (jobs/job.h) applies
 * them with SetInformationJobObject and friends. */
#ifndef WCTR_JOBS_LIMITS_H
#define WCTR_JOBS_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "spec/spec.h"

/* Which limits a job_limits carries (bits of job_limits.flags). CPU_RATE and CPU_WEIGHT never come
 * together: Windows takes one CPU rate control mode per job. */
enum {
  JOB_LIMIT_MEMORY = 1u << 0,        /* JobObjectExtendedLimitInformation, JOB_OBJECT_LIMIT_JOB_MEMORY */
  JOB_LIMIT_CPU_RATE = 1u << 1,      /* JobObjectCpuRateControlInformation, ENABLE | HARD_CAP */
  JOB_LIMIT_CPU_WEIGHT = 1u << 2,    /* JobObjectCpuRateControlInformation, ENABLE | WEIGHT_BASED */
  JOB_LIMIT_PROCESSES = 1u << 3,     /* JOB_OBJECT_LIMIT_ACTIVE_PROCESS */
  JOB_LIMIT_IO_IOPS = 1u << 4,       /* SetIoRateControlInformationJobObject MaxIops */
  JOB_LIMIT_IO_BANDWIDTH = 1u << 5,  /* SetIoRateControlInformationJobObject MaxBandwidth */
};

/* The limits of one job object; a field is meaningful only when its flag is set (it is 0 otherwise). */
typedef struct job_limits {
  unsigned flags;                /* JOB_LIMIT_* */
  uint64_t job_memory_limit;     /* bytes: JobMemoryLimit, a commit limit over the whole job */
  uint32_t cpu_rate;             /* 1..10000: CpuRate, percent * 100 of ALL host CPUs */
  uint32_t cpu_weight;           /* 1..9: Weight, relative to other jobs */
  uint32_t active_process_limit; /* ActiveProcessLimit */
  int64_t io_max_iops;           /* MaxIops */
  int64_t io_max_bandwidth;      /* MaxBandwidth, bytes per second */
  spec_warnings warnings;        /* for the user: precedence drops and the count clamp */
} job_limits;

/* The limits of a job-isolated container. Runs spec_resources_check(r, WCTR_ISOLATION_JOB, host_cpus)
 * first, so every refusal and warning of spec.h applies, then:
 *   memory      JobMemoryLimit = memory_bytes.
 *   CPU cap     from --cpus:        spec_cpu_rate_from_nano(nano_cpus, host_cpus)
 *               from --cpu-count:   spec_cpu_rate_from_count(spec_cpu_count_clamp(count, ...), host_cpus)
 *               from --cpu-percent: spec_cpu_rate_from_percent(percent)
 *               --cpus and --cpu-count may both be set (Docker allows it; both are maximums): the job
 *               gets the smaller rate, so both requests hold.
 *   CPU weight  from --cpu-shares: spec_cpu_weight_from_shares(shares). The check leaves shares only
 *               when neither count nor nano is set, and percent only when none of the others is, so at
 *               most one CPU mode results.
 *   processes   ActiveProcessLimit = pids_limit when > 0.
 *   IO          MaxIops = io_maxiops, MaxBandwidth = io_maxbandwidth when > 0.
 * *out is cleared first. On success it holds the limits and every warning; on failure flags stay 0 (no
 * limit may be applied from a refused request) and only out->warnings may hold what arose before the
 * refusal. */
wctr_err job_limits_from_spec(const spec_resources *r, int host_cpus, job_limits *out, wctr_errmsg *e);

#endif
