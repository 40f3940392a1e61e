/* hcs/osversion.c - OS version parsing and hcsshim's process-isolation compatibility rule. */
#include "hcs/osversion.h"

#include <stdio.h>
#include <string.h>

static const uint32_t ltsc_builds[] = {HCS_BUILD_LTSC2022, HCS_BUILD_LTSC2025}; /* ascending */

wctr_err hcs_osversion_parse(const char *text, hcs_osversion *out, wctr_errmsg *e) {
  uint32_t parts[4] = {0, 0, 0, 0};
  size_t n = 0;
  if (text == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "OS version: text and out must not be NULL");
  const char *p = text;
  for (;;) {
    if (*p < '0' || *p > '9') goto bad;
    uint64_t v = 0;
    while (*p >= '0' && *p <= '9') {
      v = v * 10 + (uint64_t)(*p - '0');
      if (v > UINT32_MAX) goto bad;
      p++;
    }
    if (n == 4) goto bad;
    parts[n++] = (uint32_t)v;
    if (*p == '\0') break;
    if (*p != '.') goto bad;
    p++;
  }
  if (n < 3) goto bad;
  out->major = parts[0];
  out->minor = parts[1];
  out->build = parts[2];
  out->revision = parts[3];
  return WCTR_OK;
bad:
  return wctr_fail(e, WCTR_EINVAL, "OS version \"%.64s\" must be major.minor.build[.revision]", text);
}

hcs_compat hcs_osversion_check(const hcs_osversion *host, const hcs_osversion *image, char *msg,
                               size_t size) {
  char h[48];
  char i[48];
  snprintf(h, sizeof h, "%u.%u.%u", (unsigned)host->major, (unsigned)host->minor, (unsigned)host->build);
  snprintf(i, sizeof i, "%u.%u.%u", (unsigned)image->major, (unsigned)image->minor,
           (unsigned)image->build);
  bool have_msg = msg != NULL && size > 0;
  if (host->major != image->major || host->minor != image->minor ||
      (host->build < HCS_BUILD_LTSC2022 && host->build != image->build)) {
    if (have_msg) {
      snprintf(msg, size, "image OS version %s does not match host %s; use --isolation=hyperv", i, h);
    }
    return HCS_COMPAT_MISMATCH;
  }
  if (host->build >= HCS_BUILD_LTSC2022) {
    uint32_t low = HCS_BUILD_LTSC2022;
    for (size_t k = 0; k < sizeof ltsc_builds / sizeof ltsc_builds[0]; k++) {
      if (host->build >= ltsc_builds[k]) low = ltsc_builds[k];
    }
    if (image->build < low || image->build > host->build) {
      if (have_msg) {
        snprintf(msg, size,
                 "image OS version %s does not match host %s, which runs images from build %u to %u; "
                 "use --isolation=hyperv",
                 i, h, (unsigned)low, (unsigned)host->build);
      }
      return HCS_COMPAT_MISMATCH;
    }
  }
  if (have_msg) snprintf(msg, size, "image OS version %s runs on host %s", i, h);
  return HCS_COMPAT_OK;
}
