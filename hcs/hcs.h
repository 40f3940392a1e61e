/* hcs/hcs.h - can this host run HCS containers (the client itself is hcs/client.h).
 *
 * computecore.dll and vmcompute.dll are loaded at run time (LoadLibraryExW + GetProcAddress), never through
 * an import library, so the same wctrd.exe starts on a host without the Containers feature and says so.
 * They are searched in the executable's folder and in System32 only (not the current directory or PATH). */
#ifndef WCTR_HCS_HCS_H
#define WCTR_HCS_HCS_H

#include <stdbool.h>

#define HCS_UNAVAILABLE_MESSAGE                                                                  \
  "the Host Compute Service is not available on this host: enable the Containers feature (Windows " \
  "Server 2019 / Windows 10 1809 or later)"

typedef struct hcs_probe_result {
  bool available;
  char detail[320]; /* the DLL's path when available; HCS_UNAVAILABLE_MESSAGE and the cause when not */
} hcs_probe_result;

#ifdef _WIN32
/* Loads computecore.dll and vmcompute.dll, resolves the functions wctr needs, unloads them. Never fails.
 * detail is computecore.dll's path when both are there. */
void hcs_probe(hcs_probe_result *out);
#endif

#endif
