/* hcs/osversion.h - Windows OS versions and the process-isolation compatibility rule (portable).
 *
 * A process-isolated container shares the host's kernel, so its image must have been built for a
 * kernel the host can serve. The rule is hcsshim's osversion.CheckHostAndContainerCompat:
 *   1. major and minor must be equal (10.0 everywhere today);
 *   2. host build < 20348 (before Windows Server 2022): the builds must be equal;
 *   3. otherwise the image build must lie in [L, host build], where L is the newest LTSC build in
 *      {20348, 26100} that is <= the host build (hcsshim's loop tests host.Build >= ltsc, so on a 26100
 *      host L is 26100, not 20348: a Server 2022 image does not run process-isolated on Server 2025).
 * REFERENCE.md words L as "strictly below the host build"; hcsshim's code is the authority and treats a
 * host that is itself an LTSC build as the start of its own range. The revision (4th part) never
 * matters. When the rule refuses, Hyper-V isolation still runs the image: the message says so. */
#ifndef WCTR_HCS_OSVERSION_H
#define WCTR_HCS_OSVERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define HCS_BUILD_LTSC2022 20348u
#define HCS_BUILD_LTSC2025 26100u

typedef struct hcs_osversion {
  uint32_t major;
  uint32_t minor;
  uint32_t build;
  uint32_t revision; /* 0 when the text had three parts */
} hcs_osversion;

/* Parses "10.0.20348" or "10.0.20348.1234": three or four decimal parts, each 0..4294967295, no signs,
 * spaces or empty parts. WCTR_EINVAL naming the text otherwise ("OS version \"10.0\" must be
 * major.minor.build[.revision]"); *out is written only on success. */
wctr_err hcs_osversion_parse(const char *text, hcs_osversion *out, wctr_errmsg *e);

typedef enum hcs_compat {
  HCS_COMPAT_OK = 1,
  HCS_COMPAT_MISMATCH = 2, /* process isolation refused; Hyper-V isolation may run the image */
} hcs_compat;

/* Applies the rule above to image on host. When msg is not NULL (size > 0) it receives a sentence for
 * people: on mismatch e.g. "image OS version 10.0.17763 does not match host 10.0.20348; use
 * --isolation=hyperv" (or, for a range, "... host 10.0.26100 runs images from build 26100 to 26100 ..."),
 * on success "image OS version 10.0.20348 runs on host 10.0.22621". Versions are shown as
 * major.minor.build: the revision plays no part. */
hcs_compat hcs_osversion_check(const hcs_osversion *host, const hcs_osversion *image, char *msg,
                               size_t size);

#endif
