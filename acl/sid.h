/* acl/sid.h - security identifiers as strings: validation, canonical form, SDDL aliases (portable).
 *
 * wctr carries SIDs as strings ("S-1-5-18") everywhere above the Windows layer; the Windows layer converts
 * them with ConvertStringSidToSidW. This file decides which strings are SIDs, writes every SID in one
 * canonical form so that two spellings of the same SID compare equal with strcmp, and knows the two-letter
 * SDDL aliases ("SY", "BA") that Windows prints in place of well-known SIDs.
 *
 * Numeric form accepted: S-1-<authority>(-<sub-authority>){1,15}, all decimal without sign; the authority
 * is at most 2^48-1 (it is a 6-byte field), each sub-authority at most 2^32-1, the revision is exactly 1.
 * A lowercase 's' and leading zeros are accepted because ConvertStringSidToSidW accepts them; the canonical
 * form has neither. Windows prints an authority of 2^32 or more in hex ("S-1-0x..."); wctr neither prints
 * nor accepts that form (no SID wctr deals with has such an authority).
 *
 * Aliases: the two-letter SDDL constants whose SID is the same on every machine (Microsoft's "SID strings"
 * table, Windows 10 / Server 2016 and later), matched case-insensitively like Windows. Aliases relative to
 * a domain ("DA", "LA", "DU", ...) depend on the machine or domain SID, which portable code cannot know:
 * they are refused with a message naming them. The container identities have no alias. */
#ifndef WCTR_ACL_SID_H
#define WCTR_ACL_SID_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Enough for the longest canonical SID ("S-1-" + 15 digits + 15 x "-4294967295") and its NUL. */
#define ACL_SID_STRING_MAX 192

/* Well-known SIDs, canonical numeric form. */
#define ACL_SID_EVERYONE "S-1-1-0"             /* WD */
#define ACL_SID_CREATOR_OWNER "S-1-3-0"        /* CO */
#define ACL_SID_AUTHENTICATED_USERS "S-1-5-11" /* AU */
#define ACL_SID_SYSTEM "S-1-5-18"              /* SY, LocalSystem */
#define ACL_SID_LOCAL_SERVICE "S-1-5-19"       /* LS */
#define ACL_SID_NETWORK_SERVICE "S-1-5-20"     /* NS */
#define ACL_SID_ADMINISTRATORS "S-1-5-32-544"  /* BA, BUILTIN\Administrators */
#define ACL_SID_USERS "S-1-5-32-545"           /* BU, BUILTIN\Users */
#define ACL_SID_ALL_APP_PACKAGES "S-1-15-2-1"  /* AC */
/* The identities processes run as inside every Windows container. The host has no account for them
 * (LookupAccountSid fails there) and SDDL has no alias for them. */
#define ACL_SID_CONTAINER_ADMINISTRATOR "S-1-5-93-2-1"
#define ACL_SID_CONTAINER_USER "S-1-5-93-2-2"

/* True when sid is exactly one numeric SID string as described above (no alias, nothing before or after).
 * NULL is not valid. */
bool acl_sid_string_valid(const char *sid);

/* Reads one SID at the start of text, as SDDL writes it: numeric ("S-1-5-18") or a two-letter alias
 * ("SY"). Stops at the first character that cannot continue the SID and stores how many characters it
 * used in *used. Writes the canonical numeric form to out.
 * Errors: WCTR_EINVAL with a sentence naming the fault (unknown alias, domain-relative alias, revision
 * other than 1, a number out of range, more than 15 sub-authorities, none at all, an empty component). */
wctr_err acl_sid_scan(const char *text, size_t *used, char out[ACL_SID_STRING_MAX], wctr_errmsg *e);

/* The whole of sid (numeric or alias) -> canonical numeric form in out. WCTR_EINVAL when sid is NULL, is
 * not exactly one SID, or has trailing text. */
wctr_err acl_sid_canonical(const char *sid, char out[ACL_SID_STRING_MAX], wctr_errmsg *e);

/* The SDDL alias Windows prints for sid (numeric or alias, any accepted spelling), e.g. "SY" for
 * "S-1-5-18"; NULL when it has none or sid is not a SID. The string is static. */
const char *acl_sid_alias(const char *sid);

/* Number of sub-authorities of a SID given in canonical numeric form (the binary SID is 8 + 4 * n bytes);
 * 0 when sid is not a canonical SID. */
size_t acl_sid_subauthority_count(const char *sid);

#endif
