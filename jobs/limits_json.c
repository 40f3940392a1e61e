/* jobs/limits_json.c - job limits as JSON (jobs/limits_json.h). */
#include "jobs/limits_json.h"

cJSON *job_limits_to_json(const job_limits *l) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  bool ok = true;
  if (l->flags & JOB_LIMIT_MEMORY) ok = ok && cJSON_AddNumberToObject(o, "JobMemoryLimit", (double)l->job_memory_limit);
  if (l->flags & JOB_LIMIT_CPU_RATE) ok = ok && cJSON_AddNumberToObject(o, "CpuRate", l->cpu_rate);
  if (l->flags & JOB_LIMIT_CPU_WEIGHT) ok = ok && cJSON_AddNumberToObject(o, "CpuWeight", l->cpu_weight);
  if (l->flags & JOB_LIMIT_PROCESSES) ok = ok && cJSON_AddNumberToObject(o, "ActiveProcessLimit", l->active_process_limit);
  if (l->flags & JOB_LIMIT_IO_IOPS) ok = ok && cJSON_AddNumberToObject(o, "MaxIops", (double)l->io_max_iops);
  if (l->flags & JOB_LIMIT_IO_BANDWIDTH) ok = ok && cJSON_AddNumberToObject(o, "MaxBandwidth", (double)l->io_max_bandwidth);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}
