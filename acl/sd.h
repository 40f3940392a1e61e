/* acl/sd.h - a model of a security descriptor, SDDL in and out, and comparison (portable).
 *
 * What is modelled: an optional owner and group, a DACL (present or not; protected "P"; auto-inherited
 * "AI"; auto-inherit-requested "AR") and its allow/deny ACEs with flags OI CI NP IO ID, an access mask and
 * a trustee SID. That is all wctr sets on files, directories and named pipes, and all Windows gives back
 * for them when asked for owner, group and DACL. Numbers are Windows' own (ACE flag bits, access mask
 * bits, SECURITY_DESCRIPTOR_CONTROL bits), so the Windows layer copies them without translation.
 *
 * SDDL in (acl_sddl_parse) follows ConvertStringSecurityDescriptorToSecurityDescriptorW for this subset:
 *   sddl    = *( "O:" sid / "G:" sid / "D:" dflags *ace )      each section at most once, any order
 *   dflags  = *( "P" / "AI" / "AR" )
 *   ace     = "(" ("A" / "D") ";" *("OI"/"CI"/"NP"/"IO"/"ID") ";" rights ";" ";" ";" sid ")"
 *   rights  = "0x" 1*hexdigit (whole field, at most 0xffffffff) / *two-letter-right (OR'ed, repeats allowed)
 *             GA GR GW GX  RC SD WD WO  CC DC LC SW RP WP DT LO CR  FA FR FW FX  KA KR KW KX
 *             An empty field is a mask of 0, as in Windows, and so is "0x0" (which Wine 8 refuses). The
 *             system parser is laxer than this one (observed in Wine 8): it takes "0X", hex mixed with
 *             letters ("FA0x1") and clamps hex above 32 bits; wctr refuses all three.
 *   sid     = see acl/sid.h (numeric S-1-... or a machine-independent two-letter alias)
 * Deliberately refused, each with a message naming the part and the offset: SACLs ("S:"), the NULL DACL
 * "D:NO_ACCESS_CONTROL" (it grants everyone everything; wctr must never set or accept it), ACE types other
 * than A and D (audit, object, callback, label ACEs), non-empty object GUID fields, audit flags SA/FA,
 * conditional-ACE and resource-attribute fields, domain-relative SID aliases, and whitespace (Windows skips
 * some blanks; it never emits them and wctr never writes them). Windows also limits a binary ACL to 64 KiB;
 * so does this model.
 *
 * SDDL out (acl_sddl_format) is what ConvertSecurityDescriptorToStringSecurityDescriptorW writes, so that
 * formatting what Windows gives back and formatting wctr's own descriptor produce the same string:
 *   - sections in the order O, G, D; DACL flags in the order P, AR, AI;
 *   - ACE flags in the order OI CI NP IO ID;
 *   - SIDs as their alias when Windows has one ("SY", "BA"), else S-1-... in decimal;
 *   - rights: the name of the one known right group equal to the mask (FA, FR, FW, FX, KA, KR (also for
 *     KX, the same value), KW, GA, ...); else, when every set bit has a two-letter name, those names in
 *     bit order ("SDGXGWGR", "RCWD"); else 0x%x in lowercase hex ("0x1200a9" for FR|FX, "0x12019f" for
 *     FR|FW); nothing for a mask of 0.
 *
 * Generic rights: Windows replaces GENERIC_* bits by object-specific rights when it creates a file,
 * directory or pipe (and splits an inheritable generic ACE into a mapped one and an inherit-only one), so
 * a descriptor written with GA reads back with FA. acl_map_generic_file does that mapping with the
 * FILE_GENERIC_* constants; acl_sd_matches applies it to both sides before comparing masks. wctr's own
 * descriptors still use specific rights (FA, FR, FW) so that no ACE is split and the read-back has the
 * same ACEs in the same order.
 *
 * Checking a read-back: build the actual acl_sd from the binary descriptor (GetSecurityDescriptorControl,
 * GetAce, ConvertSidToStringSidW, then acl_sd_set_owner / acl_sd_add_ace) rather than parsing what
 * ConvertSecurityDescriptorToStringSecurityDescriptorW prints. Windows may print accounts of the machine's
 * or the domain's own SID with domain-relative aliases ("LA", "DA", "DU"), which portable code cannot
 * resolve and acl_sddl_parse therefore refuses. tests/acl/test_sddl_win.c (model_from_descriptor) shows
 * the conversion and checks it against Windows. */
#ifndef WCTR_ACL_SD_H
#define WCTR_ACL_SD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl/sid.h"
#include "common/error.h"

/* Access mask bits (winnt.h values). */
#define ACL_RIGHT_DELETE 0x00010000u          /* SD */
#define ACL_RIGHT_READ_CONTROL 0x00020000u    /* RC */
#define ACL_RIGHT_WRITE_DAC 0x00040000u       /* WD */
#define ACL_RIGHT_WRITE_OWNER 0x00080000u     /* WO */
#define ACL_RIGHT_SYNCHRONIZE 0x00100000u     /* no SDDL name */
#define ACL_RIGHT_GENERIC_ALL 0x10000000u     /* GA */
#define ACL_RIGHT_GENERIC_EXECUTE 0x20000000u /* GX */
#define ACL_RIGHT_GENERIC_WRITE 0x40000000u   /* GW */
#define ACL_RIGHT_GENERIC_READ 0x80000000u    /* GR */
#define ACL_RIGHT_GENERIC_MASK 0xf0000000u
/* File rights (also used by directories and named pipes). Every FILE_GENERIC_* set includes READ_CONTROL
 * and SYNCHRONIZE. */
#define ACL_FILE_ALL_ACCESS 0x001f01ffu      /* FA */
#define ACL_FILE_GENERIC_READ 0x00120089u    /* FR: + READ_DATA, READ_EA, READ_ATTRIBUTES */
#define ACL_FILE_GENERIC_WRITE 0x00120116u   /* FW: + WRITE_DATA, APPEND_DATA, WRITE_EA, WRITE_ATTRIBUTES */
#define ACL_FILE_GENERIC_EXECUTE 0x001200a0u /* FX: + EXECUTE, READ_ATTRIBUTES */
/* Registry key rights, only so that SDDL naming them parses and prints like Windows. */
#define ACL_KEY_ALL_ACCESS 0x000f003fu /* KA */
#define ACL_KEY_READ 0x00020019u       /* KR, and KX (KEY_EXECUTE has the same value) */
#define ACL_KEY_WRITE 0x00020006u      /* KW */

/* ACE flags (ACE_HEADER.AceFlags values). */
#define ACL_ACE_OBJECT_INHERIT 0x01u    /* OI: files created inside inherit it */
#define ACL_ACE_CONTAINER_INHERIT 0x02u /* CI: directories created inside inherit it */
#define ACL_ACE_NO_PROPAGATE 0x04u      /* NP: inherited one level only */
#define ACL_ACE_INHERIT_ONLY 0x08u      /* IO: applies to children only */
#define ACL_ACE_INHERITED 0x10u         /* ID: came from the parent */
#define ACL_ACE_FLAGS_ALL 0x1fu

typedef enum acl_ace_type {
  ACL_ACE_ALLOW = 'A', /* ACCESS_ALLOWED_ACE_TYPE */
  ACL_ACE_DENY = 'D',  /* ACCESS_DENIED_ACE_TYPE */
} acl_ace_type;

typedef struct acl_ace {
  acl_ace_type type;
  uint8_t flags;                /* ACL_ACE_* */
  uint32_t mask;                /* as written; generic bits are not mapped here */
  char sid[ACL_SID_STRING_MAX]; /* canonical numeric form when filled by this module */
} acl_ace;

/* A security descriptor. Zero-initialised (or acl_sd_init) it is empty: no owner, no group, no DACL.
 * The ACE array belongs to the descriptor; release it with acl_sd_free. */
typedef struct acl_sd {
  bool has_owner;
  char owner[ACL_SID_STRING_MAX];
  bool has_group;
  char group[ACL_SID_STRING_MAX];
  bool dacl_present;          /* false: the SDDL had no "D:" section (not a NULL DACL, which is refused) */
  bool dacl_protected;        /* P:  SE_DACL_PROTECTED, parent ACEs are not inherited */
  bool dacl_auto_inherited;   /* AI: SE_DACL_AUTO_INHERITED */
  bool dacl_auto_inherit_req; /* AR: SE_DACL_AUTO_INHERIT_REQ */
  acl_ace *aces;
  size_t ace_count;
  size_t ace_capacity; /* maintained by acl_sd_add_ace */
  size_t dacl_bytes;   /* size of the binary ACL (8-byte header + ACEs) as Windows would store it,
                          maintained by acl_sd_add_ace and acl_sddl_parse; 0 in a model filled by
                          hand until its first ACE */
} acl_sd;

/* Largest binary ACL Windows accepts (ACL.AclSize is 16 bits). */
#define ACL_MAX_ACL_BYTES 0xffffu

/* Makes *sd empty. Does not free anything (use it on fresh memory). */
void acl_sd_init(acl_sd *sd);
/* Frees the ACEs and makes *sd empty. Accepts NULL and an already empty descriptor. */
void acl_sd_free(acl_sd *sd);

/* Owner / group from a SID (numeric or alias), stored in canonical numeric form. WCTR_EINVAL for a bad
 * SID (the descriptor is unchanged). */
wctr_err acl_sd_set_owner(acl_sd *sd, const char *sid, wctr_errmsg *e);
wctr_err acl_sd_set_group(acl_sd *sd, const char *sid, wctr_errmsg *e);

/* Appends an ACE and marks the DACL present. sid is numeric or an alias and is stored canonical.
 * WCTR_EINVAL: type not allow/deny, flags outside ACL_ACE_FLAGS_ALL, bad SID, or the ACL would pass
 * ACL_MAX_ACL_BYTES. WCTR_ENOMEM. On failure the descriptor is unchanged. */
wctr_err acl_sd_add_ace(acl_sd *sd, acl_ace_type type, uint8_t flags, uint32_t mask, const char *sid, wctr_errmsg *e);

/* SDDL -> descriptor (grammar above). *out need not be initialised; it is overwritten, and on failure it
 * is left empty (acl_sd_free on it is still safe but not needed). Errors: WCTR_EINVAL with a message
 * "SDDL at offset N (\"text there\"): <part>: <problem>", WCTR_ENOMEM. */
wctr_err acl_sddl_parse(const char *sddl, acl_sd *out, wctr_errmsg *e);

/* Descriptor -> canonical SDDL (rules above). *out is malloc'ed; the caller frees it with free().
 * Errors: WCTR_EINVAL when the descriptor holds something SDDL cannot say (bad SID, unknown ACE type or
 * flags; the message names the ACE), WCTR_ENOMEM. *out is NULL on failure. */
wctr_err acl_sddl_format(const acl_sd *sd, char **out, wctr_errmsg *e);

/* Parse + format: the canonical spelling of an SDDL string. *out as for acl_sddl_format. */
wctr_err acl_sddl_canonical(const char *sddl, char **out, wctr_errmsg *e);

/* Longest string acl_rights_string writes, NUL included. */
#define ACL_RIGHTS_STRING_MAX 48
/* The rights field of an ACE as Windows prints it (rules above); "" for 0. */
void acl_rights_string(uint32_t mask, char out[ACL_RIGHTS_STRING_MAX]);

/* What Windows does to a mask on a file, directory or pipe: each GENERIC_* bit is replaced by the
 * matching FILE_GENERIC_* set (GENERIC_ALL by FILE_ALL_ACCESS) and the generic bits are cleared. Other
 * bits are kept. */
uint32_t acl_map_generic_file(uint32_t mask);

/* Options of acl_sd_matches / acl_sddl_expect. The default (0) fits checking a read-back against what
 * wctr set: parts the expected descriptor leaves out are not compared, masks are compared after
 * acl_map_generic_file, and AI/AR are ignored (Windows sets AI itself when a protected DACL is applied
 * through SetNamedSecurityInfo/SetSecurityInfo). */
#define ACL_MATCH_EXACT_MASK 0x1u   /* compare masks as written, without generic mapping */
#define ACL_MATCH_AUTO_INHERIT 0x2u /* also compare AI and AR */
#define ACL_MATCH_ALL_PARTS 0x4u    /* an owner, group or DACL absent from expected must be absent from actual */
#define ACL_MATCH_STRICT (ACL_MATCH_EXACT_MASK | ACL_MATCH_AUTO_INHERIT | ACL_MATCH_ALL_PARTS)

/* Compares actual with expected: owner, group, DACL presence, P (and AI/AR with ACL_MATCH_AUTO_INHERIT),
 * then the ACEs one by one in order (type, flags, mask, SID; SIDs compare by value, so "BA" equals
 * "S-1-5-32-544"), then the ACE count. ACEs are never reordered, merged or split.
 * Returns true when they match. Otherwise, when why is not NULL, fills it with code WCTR_ESTATE and a
 * sentence describing the first difference, e.g.
 *   "ACE 3: expected allow 0x12019f for S-1-5-32-545, found allow 0x120089 for S-1-5-32-545".
 * ACE numbers count from 1; masks are shown after mapping unless ACL_MATCH_EXACT_MASK. */
bool acl_sd_matches(const acl_sd *expected, const acl_sd *actual, unsigned options, wctr_errmsg *why);

/* Parses both strings and compares them with acl_sd_matches. WCTR_OK when actual matches; WCTR_EINVAL
 * when either does not parse (the message says which: "expected SDDL: ..." / "actual SDDL: ...");
 * WCTR_ESTATE with the first difference; WCTR_ENOMEM. */
wctr_err acl_sddl_expect(const char *expected_sddl, const char *actual_sddl, unsigned options, wctr_errmsg *e);

#endif
