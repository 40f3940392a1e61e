/* jobs/probe_win.c - job isolation needs nothing but job objects; prove they can be created here. */
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "jobs/probe.h"

void job_probe(job_probe_result *out) {
  memset(out, 0, sizeof *out);
  HANDLE job = CreateJobObjectW(NULL, NULL);
  if (job == NULL) {
    snprintf(out->detail, sizeof out->detail, "job objects cannot be created here (error %lu)",
             (unsigned long)GetLastError());
    return;
  }
  CloseHandle(job);
  out->available = true;
  snprintf(out->detail, sizeof out->detail, "job objects available");
}
