/* jobs/limits.h - a container's resource flags, checked as Docker checks them and turned into limits.
 *
 * Portable: no windows.h, no allocation, no logging, no global state. The host CPU count is always a
 * parameter (the caller asks Windows once), so every formula here is tested natively with exact values.
 *
 *   job_resources_check        Docker's verifyPlatformContainerResources for Windows (same order, same
 *                              messages) plus wctr's memory minimum and its rules for job containers.
 *   job_limits_from_resources  the job-object limits of a job-isolated container (the Win32 layer
 *                              applies them with SetInformationJobObject and friends).
 *   job_hcs_*                  Docker's CPU and memory numbers for HCS documents (process and Hyper-V).
 *
 * Warnings (a flag dropped or clamped) are returned to the caller in a job_warnings, never logged here:
 * the caller shows them to the user, as docker run prints the daemon's warnings. */
#ifndef WCTR_JOBS_LIMITS_H
#define WCTR_JOBS_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* How a container is isolated. Numbered from 1 so that a zeroed struct is refused instead of silently
 * meaning one of them.
 *   JOB      a job object on the host, like Kubernetes HostProcess containers (wctr's addition);
 *   PROCESS  HCS process isolation (Docker's --isolation=process, "Windows Server containers");
 *   HYPERV   HCS Hyper-V isolation (a utility VM per container). */
typedef enum wctr_isolation {
  WCTR_ISOLATION_JOB = 1,
  WCTR_ISOLATION_PROCESS = 2,
  WCTR_ISOLATION_HYPERV = 3,
} wctr_isolation;

/* "job", "process", "hyperv"; "unknown" for any other value. Never NULL. */
const char *job_isolation_name(wctr_isolation isolation);

/* What a container asked for, in Docker's units. 0 means "not set" for every field. The fields are
 * signed so that a negative number from a request can be seen and refused rather than wrapped. */
typedef struct job_resources {
  int64_t memory_bytes;      /* --memory, bytes (wctr_parse_size) */
  int64_t nano_cpus;         /* --cpus, CPUs * 1e9 (wctr_parse_cpus) */
  int64_t cpu_count;         /* --cpu-count, whole CPUs */
  int64_t cpu_percent;       /* --cpu-percent, 1..100 of the whole host */
  int64_t cpu_shares;        /* --cpu-shares, relative weight 1..10000 on Windows */
  int64_t pids_limit;        /* --pids-limit; job isolation only; negative means unlimited (Docker's -1) */
  int64_t io_maxiops;        /* --io-maxiops, IO operations per second */
  int64_t io_maxbandwidth;   /* --io-maxbandwidth, bytes per second (wctr_parse_size) */
} job_resources;

/* Warnings for the user, in the order they arose. At most JOB_WARNINGS_MAX (three can arise: shares
 * dropped, percent dropped, count clamped); each text is NUL-terminated. */
#define JOB_WARNINGS_MAX 4
#define JOB_WARNING_SIZE 160
typedef struct job_warnings {
  size_t count;
  char text[JOB_WARNINGS_MAX][JOB_WARNING_SIZE];
} job_warnings;

/* --- Memory minimums --------------------------------------------------------------------------------
 * Windows processes under a memory limit that is too small do not fail cleanly: they hang or die in
 * loader code before main (microsoft/Windows-Containers#482), which users report as "the container never
 * starts". wctr refuses such limits up front. The floors are the smallest memory each kind of container
 * can start in, not recommendations:
 *   HYPERV   130 MiB: Microsoft's published minimum for a Nano Server Hyper-V container; the utility VM
 *            boots its own kernel and base services inside this memory.
 *   PROCESS   40 MiB: Microsoft's minimum for a process-isolated Nano Server container, the smallest base
 *            image; the container starts its own smss/csrss/service host under the limit. (Server Core
 *            needs 50 MiB, but the image is not known here: the limit guards the smallest case and the
 *            larger image fails at start with HCS's own error.)
 *   JOB       16 MiB: a job container runs the host's binaries with the host's running OS, so only the
 *            container's own processes are charged: the job memory limit is a commit limit over their
 *            private memory, and shared image pages are not counted. A small console program commits a
 *            few MiB; 16 MiB leaves it room to start and refuses the single-digit values that hang.
 * Microsoft writes "MB" and means 2^20 bytes (memory sizes), hence MiB. */
#define JOB_MIN_MEMORY_JOB (16 * ((int64_t)1 << 20))
#define JOB_MIN_MEMORY_PROCESS (40 * ((int64_t)1 << 20))
#define JOB_MIN_MEMORY_HYPERV (130 * ((int64_t)1 << 20))

/* The floor above for an isolation; 0 for an unknown value. */
int64_t job_min_memory(wctr_isolation isolation);

/* Checks requested resources for one isolation on a host with host_cpus logical CPUs (>= 1) and writes
 * the resources that take effect to *effective (may be the same object as requested). Warnings are
 * appended to *warnings when it is not NULL (the caller initialises it, e.g. to all zeros).
 *
 * Order, as Docker's verifyPlatformContainerResources, so the first message is the one Docker gives:
 *  1. Process and job isolation only (Docker: "Windows Server Containers"): the CPU controls are
 *     mutually exclusive with precedence count > shares > percent. A positive loser is set to 0 in
 *     *effective with Docker's warning (for job isolation "on job containers" replaces "on Windows
 *     Server Containers"):
 *       "Conflicting options: CPU count takes priority over CPU shares on Windows Server Containers.
 *        CPU shares discarded"  (and "... over CPU percent ... CPU percent discarded",
 *       "Conflicting options: CPU shares takes priority over CPU percent ... CPU percent discarded").
 *     As in Docker, the later checks see the values after this step: with --cpu-count set, an out of
 *     range --cpu-shares is dropped with a warning, not refused. Hyper-V keeps all of them.
 *  2. "range of CPUShares is from 1 to 10000"                      shares < 0 or > 10000
 *     "range of CPUPercent is from 1 to 100"                       percent < 0 or > 100
 *     "invalid CPUCount: CPUCount cannot be negative"              count < 0
 *     "conflicting options: Nano CPUs and CPU Percent cannot both be set"
 *     "conflicting options: Nano CPUs and CPU Shares cannot both be set"
 *     "range of CPUs is from 0.01 to N.00, as there are only N CPUs available"
 *                                                                  nano < 0 or nano > N * 1e9
 *     Like Docker, nothing below 0.01 CPUs is refused (the message's 0.01 is the precision a cap can
 *     express on one CPU); the conversions raise a positive amount to the smallest cap instead.
 *  3. --pids-limit: Hyper-V: any value other than 0 is refused ("invalid option: --pids-limit is not
 *     supported with Hyper-V isolation ..."): the processes live in the utility VM. Docker refuses it for
 *     every Windows isolation ("Windows does not support PidsLimit"); wctr applies it to the job of a job
 *     container and to the server silo job of a process-isolated one. Job and process: above 4294967295
 *     (a DWORD) is refused; <= 0 is unlimited.
 *  4. --memory: negative is refused; 0 < memory < job_min_memory(isolation) is refused with
 *     "--memory 10MiB is below the minimum of 40MiB for process isolation" (wctr_format_size units,
 *     isolation name from job_isolation_name). wctr's rule, not Docker's (see the minimums above).
 *  5. --io-maxiops and --io-maxbandwidth cannot be negative.
 * Argument errors (NULL pointers, host_cpus < 1, an unknown isolation) are WCTR_EINVAL too, naming the
 * argument. All check failures are WCTR_EINVAL. *effective is written only on success; warnings may
 * have been appended before a failure (Docker returns them with the error too). */
wctr_err job_resources_check(const job_resources *requested, wctr_isolation isolation, int host_cpus,
                             job_resources *effective, job_warnings *warnings, wctr_errmsg *e);

/* --- Job objects ------------------------------------------------------------------------------------ */

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
  job_warnings warnings;         /* for the user: precedence drops and the count clamp */
} job_limits;

/* The limits of a job-isolated container. Runs job_resources_check(r, WCTR_ISOLATION_JOB, host_cpus)
 * first, so every refusal and warning above applies, then:
 *   memory      JobMemoryLimit = memory_bytes.
 *   CPU cap     from --cpus:        job_cpu_rate_from_nano(nano_cpus, host_cpus)
 *               from --cpu-count:   job_cpu_rate_from_count(job_cpu_count_clamp(count, ...), host_cpus)
 *               from --cpu-percent: job_cpu_rate_from_percent(percent)
 *               --cpus and --cpu-count may both be set (Docker allows it; both are maximums): the job
 *               gets the smaller rate, so both requests hold.
 *   CPU weight  from --cpu-shares: job_cpu_weight_from_shares(shares). The check leaves shares only
 *               when neither count nor nano is set, and percent only when none of the others is, so at
 *               most one CPU mode results.
 *   processes   ActiveProcessLimit = pids_limit when > 0.
 *   IO          MaxIops = io_maxiops, MaxBandwidth = io_maxbandwidth when > 0.
 * *out is cleared first. On success it holds the limits and every warning; on failure flags stay 0 (no
 * limit may be applied from a refused request) and only out->warnings may hold what arose before the
 * refusal. */
wctr_err job_limits_from_resources(const job_resources *r, int host_cpus, job_limits *out,
                                   wctr_errmsg *e);

/* The formulas, exported so that the HCS documents and the tests use the very same arithmetic. All
 * integer division truncates. Each is total: the stated clamps apply to any input.
 *
 * Hard cap from --cpus: rate = nano_cpus / host_cpus / 100000, then at least 1 and at most 10000.
 *   (1e9 nanoCPUs = one CPU = 100% of one CPU = 10000 / host_cpus of CpuRate; the same arithmetic as
 *   Docker's HCS Maximum for process isolation.) 0 when nano_cpus <= 0 or host_cpus < 1 (no cap).
 *   Examples: 1 CPU of 1 -> 10000; 0.01 of 1 -> 100; 0.01 of 64 -> 1 (1.5625 truncated);
 *   0.001 of 64 -> 1 (0 raised); 1.5 of 2 -> 7500; 1 of 3 -> 3333; 64 of 64 -> 10000. */
uint32_t job_cpu_rate_from_nano(int64_t nano_cpus, int host_cpus);

/* Hard cap from --cpu-count (already clamped): rate = count * 10000 / host_cpus, at least 1, at most
 * 10000. 0 when count <= 0 or host_cpus < 1. 1 of 3 -> 3333, 1 of 64 -> 156, 2 of 2 -> 10000. */
uint32_t job_cpu_rate_from_count(int64_t cpu_count, int host_cpus);

/* Hard cap from --cpu-percent: rate = percent * 100, percent clamped to 1..100. 0 when percent <= 0. */
uint32_t job_cpu_rate_from_percent(int64_t cpu_percent);

/* Weight from --cpu-shares: weight = 1 + 8 * shares / 10000 (hcsshim's jobcontainers formula), shares
 * clamped to 1..10000 first. Truncation means each weight step is 1250 shares wide and only 10000 maps
 * to 9: 1..1249 -> 1, 1250..2499 -> 2, ..., 8750..9999 -> 8, 10000 -> 9. Docker's default of 1024 shares
 * -> 1. 0 when shares <= 0. */
uint32_t job_cpu_weight_from_shares(int64_t cpu_shares);

/* --cpu-count above the host's CPUs becomes host_cpus, with Docker's warning appended to *warnings
 * (when not NULL): "Changing requested CPUCount of 8 to current number of processors, 4". Returns the
 * count to use; a count <= host_cpus (or host_cpus < 1) is returned unchanged without a warning. */
int64_t job_cpu_count_clamp(int64_t cpu_count, int host_cpus, job_warnings *warnings);

/* --- HCS documents ---------------------------------------------------------------------------------
 * Docker's numbers for the Processor and Memory sections of a compute-system document. Like the job
 * formulas they assume checked resources; they check the one precondition their arithmetic needs,
 * 0 <= nano_cpus <= host_cpus * 1e9 with host_cpus >= 1, and refuse anything else with Docker's
 * "range of CPUs is from 0.01 to N.00, as there are only N CPUs available" (WCTR_EINVAL). Outputs are
 * written only on success; 0 means "leave the field out of the document". */

/* Process isolation: Maximum = max(nano_cpus / host_cpus / 100000, 1) when nano_cpus > 0, else 0.
 * The same number as job_cpu_rate_from_nano (HCS's Maximum has the job's CpuRate scale). */
wctr_err job_hcs_process_cpu(int64_t nano_cpus, int host_cpus, uint32_t *maximum, wctr_errmsg *e);

/* Hyper-V isolation: the utility VM gets Count = ceil(nano_cpus / 1e9) virtual CPUs; when nano_cpus is
 * not a whole number of CPUs, Maximum = max(nano_cpus / Count / 100000, 1) caps them to the fraction
 * (per-VP scale), else Maximum = 0. nano_cpus == 0 gives Count = 0, Maximum = 0.
 *   1.5 -> Count 2, Maximum 7500; 2 -> Count 2, Maximum 0; 0.5 -> Count 1, Maximum 5000;
 *   0.00001 -> Count 1, Maximum 1 (0 raised). */
wctr_err job_hcs_hyperv_cpu(int64_t nano_cpus, int host_cpus, uint32_t *count, uint32_t *maximum,
                            wctr_errmsg *e);

/* Memory.SizeInMB = bytes / 1024 / 1024, truncating (500m -> 500, 1.5g -> 1536, 1 MiB - 1 -> 0);
 * 0 for bytes <= 0. */
uint64_t job_hcs_memory_mb(int64_t bytes);

#endif
