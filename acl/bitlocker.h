/* acl/bitlocker.h - is the volume that holds the data root protected by BitLocker?
 *
 * "Encrypted" means what Windows' Win32_EncryptableVolume calls ProtectionStatus 1 (protection on) and
 * ConversionStatus 1 (fully encrypted). Everything else is "not encrypted" (with the reason), and a
 * volume whose status cannot be read (no BitLocker WMI provider, access denied, Wine) is "unknown",
 * which callers that protect secrets must treat as not encrypted. */
#ifndef WCTR_ACL_BITLOCKER_H
#define WCTR_ACL_BITLOCKER_H

#include <stddef.h>
#include <stdint.h>

typedef enum acl_bitlocker_state {
  ACL_BITLOCKER_UNKNOWN = 0,
  ACL_BITLOCKER_ENCRYPTED,
  ACL_BITLOCKER_NOT_ENCRYPTED
} acl_bitlocker_state;

typedef struct acl_bitlocker_status {
  acl_bitlocker_state state;
  char volume[64];    /* "C:" or the volume GUID path */
  char detail[320];   /* one sentence for people */
} acl_bitlocker_status;

/* "encrypted", "not-encrypted", "unknown". */
const char *acl_bitlocker_state_name(acl_bitlocker_state state);

/* Portable: classifies the two WMI values; fills state and detail of out. */
void acl_bitlocker_classify(int protection_status, int conversion_status, acl_bitlocker_status *out);

#ifdef _WIN32
/* Windows layer (bitlocker_win.c): probes the volume that holds path. Never fails: a status that cannot
 * be read is ACL_BITLOCKER_UNKNOWN with the reason (and the HRESULT) in detail. The WMI query goes
 * through acl_sys.bitlocker_query so tests can present every state. */
void acl_bitlocker_probe(const char *path, acl_bitlocker_status *out);
#endif

#endif
