/* acl/bitlocker.c - BitLocker status classification (portable). */
#include "acl/bitlocker.h"

#include <stdio.h>

const char *acl_bitlocker_state_name(acl_bitlocker_state state) {
  switch (state) {
    case ACL_BITLOCKER_ENCRYPTED: return "encrypted";
    case ACL_BITLOCKER_NOT_ENCRYPTED: return "not-encrypted";
    case ACL_BITLOCKER_UNKNOWN: break;
  }
  return "unknown";
}

static const char *conversion_text(int conversion) {
  switch (conversion) {
    case 0: return "fully decrypted";
    case 1: return "fully encrypted";
    case 2: return "encryption in progress";
    case 3: return "decryption in progress";
    case 4: return "encryption paused";
    case 5: return "decryption paused";
  }
  return "in an unknown conversion state";
}

void acl_bitlocker_classify(int protection_status, int conversion_status, acl_bitlocker_status *out) {
  /* ProtectionStatus 2 means the volume is locked or its state is unknown to BitLocker itself. */
  if (protection_status == 2 || protection_status < 0 || protection_status > 2 || conversion_status < 0 ||
      conversion_status > 5) {
    out->state = ACL_BITLOCKER_UNKNOWN;
    snprintf(out->detail, sizeof out->detail,
             "BitLocker reports protection status %d and conversion status %d", protection_status,
             conversion_status);
    return;
  }
  if (protection_status == 1 && conversion_status == 1) {
    out->state = ACL_BITLOCKER_ENCRYPTED;
    snprintf(out->detail, sizeof out->detail, "protection on, fully encrypted");
    return;
  }
  out->state = ACL_BITLOCKER_NOT_ENCRYPTED;
  snprintf(out->detail, sizeof out->detail, "protection %s, %s", protection_status == 1 ? "on" : "off",
           conversion_text(conversion_status));
}
