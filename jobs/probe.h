/* jobs/probe.h - can this host run job containers? Windows only. */
#ifndef WCTR_JOBS_PROBE_H
#define WCTR_JOBS_PROBE_H

#include <stdbool.h>

typedef struct job_probe_result {
  bool available;
  char detail[320]; /* why not */
} job_probe_result;

#ifdef _WIN32
/* Creates and closes an unnamed job object. Never fails. */
void job_probe(job_probe_result *out);
#endif

#endif
