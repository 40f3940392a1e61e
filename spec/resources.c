/* spec/resources.c - the table of resource names, Docker's checks and formulas (portable; spec.h).
 *
 * The checks and formulas came from jobs/limits.c when spec/ was made: hcs/ and the front-ends need the
 * same vocabulary without depending on the job-object module. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "common/units.h"
#include "spec/spec.h"

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
/* JSON numbers are doubles: beyond 2^53 an integer is no longer exact. */
#define JSON_INT_MAX INT64_C(9007199254740991)

/* --- Memory minimums ----------------------------------------------------------------------------------
 * Windows processes under a memory limit that is too small do not fail cleanly: they hang or die in loader
 * code before main (microsoft/Windows-Containers#482), which users report as "the container never starts".
 * wctr refuses such limits up front. The floors are the smallest memory each kind of container can start
 * in, not recommendations:
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
#define MIN_MEMORY_JOB (16 * ((int64_t)1 << 20))
#define MIN_MEMORY_PROCESS (40 * ((int64_t)1 << 20))
#define MIN_MEMORY_HYPERV (130 * ((int64_t)1 << 20))

/* --- the table --------------------------------------------------------------------------------------- */

/* Docker's HostConfig names and docker run's flags; the compose keys of compose-spec's service level (the
 * I/O limits have none). The whole-number ranges are those `wctr run` has always taken: Docker's int32
 * CPU fields, a PidsLimit that reaches past the largest DWORD (so that the check, not the flag parser,
 * says it is too large), and a positive int32 for IOPS, HCS's own type. */
const spec_resource_field spec_resource_fields[] = {
    {"Memory", "--memory", "mem_limit", SPEC_UNIT_BYTES, offsetof(spec_resources, memory_bytes), 0, 0},
    {"NanoCpus", "--cpus", "cpus", SPEC_UNIT_NANO_CPUS, offsetof(spec_resources, nano_cpus), 0, 0},
    {"CpuCount", "--cpu-count", "cpu_count", SPEC_UNIT_COUNT, offsetof(spec_resources, cpu_count), INT32_MIN,
     INT32_MAX},
    {"CpuPercent", "--cpu-percent", "cpu_percent", SPEC_UNIT_COUNT, offsetof(spec_resources, cpu_percent),
     INT32_MIN, INT32_MAX},
    {"CpuShares", "--cpu-shares", "cpu_shares", SPEC_UNIT_COUNT, offsetof(spec_resources, cpu_shares), INT32_MIN,
     INT32_MAX},
    {"PidsLimit", "--pids-limit", "pids_limit", SPEC_UNIT_COUNT, offsetof(spec_resources, pids_limit), INT32_MIN,
     (int64_t)UINT32_MAX + 1},
    {"IOMaximumIOps", "--io-maxiops", NULL, SPEC_UNIT_COUNT, offsetof(spec_resources, io_maxiops), 0, INT32_MAX},
    {"IOMaximumBandwidth", "--io-maxbandwidth", NULL, SPEC_UNIT_BYTES, offsetof(spec_resources, io_maxbandwidth),
     0, 0},
};
const size_t spec_resource_field_count = sizeof spec_resource_fields / sizeof spec_resource_fields[0];

const spec_resource_field *spec_resource_by_wire(const char *wire) {
  for (size_t i = 0; wire != NULL && i < spec_resource_field_count; i++) {
    if (strcmp(spec_resource_fields[i].wire, wire) == 0) return &spec_resource_fields[i];
  }
  return NULL;
}

const spec_resource_field *spec_resource_by_flag(const char *flag) {
  for (size_t i = 0; flag != NULL && i < spec_resource_field_count; i++) {
    if (strcmp(spec_resource_fields[i].flag, flag) == 0) return &spec_resource_fields[i];
  }
  return NULL;
}

int64_t *spec_resource_value(spec_resources *r, const spec_resource_field *f) {
  return (int64_t *)(void *)((char *)r + f->offset);
}

int64_t spec_resource_get(const spec_resources *r, const spec_resource_field *f) {
  int64_t v;
  memcpy(&v, (const char *)r + f->offset, sizeof v);
  return v;
}

wctr_err spec_resources_from_json(const cJSON *obj, const char *where, spec_resources *r, wctr_errmsg *e) {
  if (r == NULL) return wctr_fail(e, WCTR_EINVAL, "spec_resources_from_json: r must not be NULL");
  /* Read into a copy: *r keeps its values when a later field is refused. */
  spec_resources out = *r;
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    wctr_err err = wctr_json_get_int64(obj, f->wire, where, false, -JSON_INT_MAX, JSON_INT_MAX,
                                       spec_resource_value(&out, f), e);
    if (err != WCTR_OK) return err;
  }
  *r = out;
  return WCTR_OK;
}

bool spec_resources_to_json(const spec_resources *r, cJSON *obj) {
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    if (cJSON_AddNumberToObject(obj, f->wire, (double)spec_resource_get(r, f)) == NULL) return false;
  }
  return true;
}

/* --- warnings ---------------------------------------------------------------------------------------- */

void spec_warn(spec_warnings *w, const char *fmt, ...) {
  /* A handful can arise per request (three from one resources check); the bound only keeps more from
   * writing past the array. */
  if (w == NULL || w->count >= SPEC_WARNINGS_MAX) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->text[w->count], sizeof w->text[w->count], fmt, ap);
  va_end(ap);
  w->count++;
}

/* --- checks ------------------------------------------------------------------------------------------ */

int64_t spec_min_memory(wctr_isolation isolation) {
  switch (isolation) {
    case WCTR_ISOLATION_JOB: return MIN_MEMORY_JOB;
    case WCTR_ISOLATION_PROCESS: return MIN_MEMORY_PROCESS;
    case WCTR_ISOLATION_HYPERV: return MIN_MEMORY_HYPERV;
    case WCTR_ISOLATION_DEFAULT: break;
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
static void apply_cpu_precedence(spec_resources *r, wctr_isolation isolation, spec_warnings *w) {
  if (isolation == WCTR_ISOLATION_HYPERV) return;
  const char *kind = isolation == WCTR_ISOLATION_PROCESS ? "Windows Server Containers" : "job containers";
  if (r->cpu_count > 0) {
    if (r->cpu_shares > 0) {
      spec_warn(w, "Conflicting options: CPU count takes priority over CPU shares on %s. CPU shares discarded",
           kind);
      r->cpu_shares = 0;
    }
    if (r->cpu_percent > 0) {
      spec_warn(w, "Conflicting options: CPU count takes priority over CPU percent on %s. CPU percent discarded",
           kind);
      r->cpu_percent = 0;
    }
  } else if (r->cpu_shares > 0 && r->cpu_percent > 0) {
    spec_warn(w, "Conflicting options: CPU shares takes priority over CPU percent on %s. CPU percent discarded",
         kind);
    r->cpu_percent = 0;
  }
}

wctr_err spec_resources_check(const spec_resources *requested, wctr_isolation isolation, int host_cpus,
                             spec_resources *effective, spec_warnings *warnings, wctr_errmsg *e) {
  if (requested == NULL || effective == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "spec_resources_check: requested and effective must not be NULL");
  }
  if (spec_min_memory(isolation) == 0) {
    return wctr_fail(e, WCTR_EINVAL, "unknown isolation %d (expected job, process or hyperv)",
                     (int)isolation);
  }
  if (host_cpus < 1) return host_cpus_error(host_cpus, e);

  /* Work on a copy: *effective may be *requested, and it is written only on success. */
  spec_resources r = *requested;
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
  int64_t min_memory = spec_min_memory(isolation);
  if (r.memory_bytes > 0 && r.memory_bytes < min_memory) {
    char have[WCTR_FORMAT_SIZE_MAX];
    char need[WCTR_FORMAT_SIZE_MAX];
    wctr_format_size(r.memory_bytes, have, sizeof have);
    wctr_format_size(min_memory, need, sizeof need);
    return wctr_fail(e, WCTR_EINVAL, "--memory %s is below the minimum of %s for %s isolation", have, need,
                     spec_isolation_name(isolation));
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

uint32_t spec_cpu_rate_from_nano(int64_t nano_cpus, int host_cpus) {
  if (nano_cpus <= 0 || host_cpus < 1) return 0;
  /* Two truncating divisions, in Docker's order; for positive integers this equals one division by
   * host_cpus * 1e5, so no rounding step is lost or added. */
  return clamp_rate(nano_cpus / host_cpus / NANO_PER_RATE);
}

uint32_t spec_cpu_rate_from_count(int64_t cpu_count, int host_cpus) {
  if (cpu_count <= 0 || host_cpus < 1) return 0;
  /* At or above the host's count the answer is the whole host; below it, count < host_cpus <= INT_MAX
   * keeps count * 10000 far inside int64. */
  if (cpu_count >= host_cpus) return CPU_RATE_MAX;
  return clamp_rate(cpu_count * CPU_RATE_MAX / host_cpus);
}

uint32_t spec_cpu_rate_from_percent(int64_t cpu_percent) {
  if (cpu_percent <= 0) return 0;
  if (cpu_percent > CPU_PERCENT_MAX) cpu_percent = CPU_PERCENT_MAX;
  return (uint32_t)(cpu_percent * (CPU_RATE_MAX / CPU_PERCENT_MAX));
}

uint32_t spec_cpu_weight_from_shares(int64_t cpu_shares) {
  if (cpu_shares <= 0) return 0;
  if (cpu_shares > CPU_SHARES_MAX) cpu_shares = CPU_SHARES_MAX;
  return (uint32_t)(1 + CPU_WEIGHT_SPAN * cpu_shares / CPU_SHARES_MAX);
}

int64_t spec_cpu_count_clamp(int64_t cpu_count, int host_cpus, spec_warnings *warnings) {
  if (host_cpus < 1 || cpu_count <= host_cpus) return cpu_count;
  /* Docker (libcontainerd) logs this at container start; wctr hands it to the caller to show. */
  spec_warn(warnings, "Changing requested CPUCount of %" PRId64 " to current number of processors, %d",
       cpu_count, host_cpus);
  return host_cpus;
}

static wctr_err hcs_nano_precondition(int64_t nano_cpus, int host_cpus, wctr_errmsg *e) {
  if (host_cpus < 1) return host_cpus_error(host_cpus, e);
  if (nano_cpus < 0 || nano_cpus > (int64_t)host_cpus * WCTR_NANO_PER_CPU) {
    return cpus_range_error(host_cpus, e);
  }
  return WCTR_OK;
}

wctr_err spec_hcs_process_cpu(int64_t nano_cpus, int host_cpus, uint32_t *maximum, wctr_errmsg *e) {
  if (maximum == NULL) return wctr_fail(e, WCTR_EINVAL, "spec_hcs_process_cpu: maximum must not be NULL");
  wctr_err err = hcs_nano_precondition(nano_cpus, host_cpus, e);
  if (err != WCTR_OK) return err;
  *maximum = spec_cpu_rate_from_nano(nano_cpus, host_cpus);
  return WCTR_OK;
}

wctr_err spec_hcs_hyperv_cpu(int64_t nano_cpus, int host_cpus, uint32_t *count, uint32_t *maximum,
                            wctr_errmsg *e) {
  if (count == NULL || maximum == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "spec_hcs_hyperv_cpu: count and maximum must not be NULL");
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

uint64_t spec_hcs_memory_mb(int64_t bytes) {
  if (bytes <= 0) return 0;
  return (uint64_t)bytes / 1024u / 1024u;
}
