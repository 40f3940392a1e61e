/* jobs/limits_json.h - job limits as JSON (portable): what wctr asked for (EffectiveLimits) and what Windows
 * reports (AppliedLimits) in one shape, {"JobMemoryLimit","CpuRate","CpuWeight","ActiveProcessLimit",
 * "MaxIops","MaxBandwidth"}, each present only when its flag is set. */
#ifndef WCTR_JOBS_LIMITS_JSON_H
#define WCTR_JOBS_LIMITS_JSON_H

#include <cjson/cJSON.h>

#include "jobs/limits.h"

/* NULL when out of memory; caller frees with cJSON_Delete. */
cJSON *job_limits_to_json(const job_limits *l);

#endif
