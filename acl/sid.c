/* acl/sid.c - SID strings: parsing, canonical form, SDDL aliases (portable). Contract in acl/sid.h. */
#include "acl/sid.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SID_MAX_SUBAUTHORITIES 15
#define SID_MAX_AUTHORITY ((UINT64_C(1) << 48) - 1)

/* The SDDL aliases whose SID does not depend on the machine or domain, as Windows 10 / Server 2016 and
 * later print them (Microsoft's "SID strings" table; the RIDs are winnt.h's). Sorted by alias. */
static const struct {
  char alias[3];
  const char *sid;
} sid_aliases[] = {
    {"AA", "S-1-5-32-579"},       /* Access Control Assistance Operators */
    {"AC", "S-1-15-2-1"},         /* ALL APPLICATION PACKAGES */
    {"AN", "S-1-5-7"},            /* ANONYMOUS LOGON */
    {"AO", "S-1-5-32-548"},       /* Account Operators */
    {"AS", "S-1-18-1"},           /* Authentication authority asserted identity */
    {"AU", "S-1-5-11"},           /* Authenticated Users */
    {"BA", "S-1-5-32-544"},       /* Administrators */
    {"BG", "S-1-5-32-546"},       /* Guests */
    {"BO", "S-1-5-32-551"},       /* Backup Operators */
    {"BU", "S-1-5-32-545"},       /* Users */
    {"CD", "S-1-5-32-574"},       /* Certificate Service DCOM Access */
    {"CG", "S-1-3-1"},            /* CREATOR GROUP */
    {"CO", "S-1-3-0"},            /* CREATOR OWNER */
    {"CY", "S-1-5-32-569"},       /* Cryptographic Operators */
    {"ED", "S-1-5-9"},            /* ENTERPRISE DOMAIN CONTROLLERS */
    {"ER", "S-1-5-32-573"},       /* Event Log Readers */
    {"ES", "S-1-5-32-576"},       /* RDS Endpoint Servers */
    {"HA", "S-1-5-32-578"},       /* Hyper-V Administrators */
    {"HI", "S-1-16-12288"},       /* High Mandatory Level */
    {"IS", "S-1-5-32-568"},       /* IIS_IUSRS */
    {"IU", "S-1-5-4"},            /* INTERACTIVE */
    {"LS", "S-1-5-19"},           /* LOCAL SERVICE */
    {"LU", "S-1-5-32-559"},       /* Performance Log Users */
    {"LW", "S-1-16-4096"},        /* Low Mandatory Level */
    {"ME", "S-1-16-8192"},        /* Medium Mandatory Level */
    {"MP", "S-1-16-8448"},        /* Medium Plus Mandatory Level */
    {"MS", "S-1-5-32-577"},       /* RDS Management Servers */
    {"MU", "S-1-5-32-558"},       /* Performance Monitor Users */
    {"NO", "S-1-5-32-556"},       /* Network Configuration Operators */
    {"NS", "S-1-5-20"},           /* NETWORK SERVICE */
    {"NU", "S-1-5-2"},            /* NETWORK */
    {"OW", "S-1-3-4"},            /* OWNER RIGHTS */
    {"PO", "S-1-5-32-550"},       /* Print Operators */
    {"PS", "S-1-5-10"},           /* SELF */
    {"PU", "S-1-5-32-547"},       /* Power Users */
    {"RA", "S-1-5-32-575"},       /* RDS Remote Access Servers */
    {"RC", "S-1-5-12"},           /* RESTRICTED */
    {"RD", "S-1-5-32-555"},       /* Remote Desktop Users */
    {"RE", "S-1-5-32-552"},       /* Replicator */
    {"RM", "S-1-5-32-580"},       /* Remote Management Users */
    {"RU", "S-1-5-32-554"},       /* Pre-Windows 2000 Compatible Access */
    {"SI", "S-1-16-16384"},       /* System Mandatory Level */
    {"SO", "S-1-5-32-549"},       /* Server Operators */
    {"SS", "S-1-18-2"},           /* Service asserted identity */
    {"SU", "S-1-5-6"},            /* SERVICE */
    {"SY", "S-1-5-18"},           /* SYSTEM */
    {"UD", "S-1-5-84-0-0-0-0-0"}, /* USER MODE DRIVERS */
    {"WD", "S-1-1-0"},            /* Everyone */
    {"WR", "S-1-5-33"},           /* WRITE RESTRICTED */
};

/* Aliases Windows resolves against the machine's or the domain's SID. Known here only to say why they
 * are refused. */
static const char *const domain_aliases[] = {"AP", "CA", "CN", "DA", "DC", "DD", "DG", "DU", "EA",
                                             "EK", "KA", "LA", "LG", "PA", "RO", "RS", "SA"};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static char upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; }

/* Reads a run of decimal digits at text. Returns how many characters it used (0 when text does not start
 * with a digit); sets *overflow when the value exceeds max. Leading zeros are accepted, as wcstoul does. */
static size_t read_decimal(const char *text, uint64_t max, uint64_t *value, bool *overflow) {
  size_t n = 0;
  uint64_t v = 0;
  *overflow = false;
  while (is_digit(text[n])) {
    uint64_t digit = (uint64_t)(text[n] - '0');
    if (v > (max - digit) / 10) *overflow = true;
    if (!*overflow) v = v * 10 + digit;
    n++;
  }
  *value = v;
  return n;
}

/* Numeric SID at text ("S-1-..."). */
static wctr_err scan_numeric(const char *text, size_t *used, char out[ACL_SID_STRING_MAX], wctr_errmsg *e) {
  const char *p = text + 2; /* after "S-" */
  uint64_t value = 0;
  bool overflow = false;
  size_t n = read_decimal(p, UINT32_MAX, &value, &overflow);
  if (n == 0) return wctr_fail(e, WCTR_EINVAL, "SID revision is missing after \"S-\"");
  if (overflow || value != 1)
    return wctr_fail(e, WCTR_EINVAL, "SID revision must be 1, found \"%.*s\"", (int)(n > 12 ? 12 : n), p);
  p += n;
  if (*p != '-') return wctr_fail(e, WCTR_EINVAL, "SID identifier authority is missing after \"S-1\"");
  p++;
  uint64_t authority = 0;
  n = read_decimal(p, SID_MAX_AUTHORITY, &authority, &overflow);
  if (n == 0) return wctr_fail(e, WCTR_EINVAL, "SID identifier authority must be a decimal number");
  if (overflow) return wctr_fail(e, WCTR_EINVAL, "SID identifier authority is larger than 2^48-1");
  p += n;

  uint32_t sub[SID_MAX_SUBAUTHORITIES];
  size_t count = 0;
  while (*p == '-') {
    uint64_t v = 0;
    n = read_decimal(p + 1, UINT32_MAX, &v, &overflow);
    if (n == 0) return wctr_fail(e, WCTR_EINVAL, "SID sub-authority %zu is empty or not a decimal number", count + 1);
    if (overflow) return wctr_fail(e, WCTR_EINVAL, "SID sub-authority %zu is larger than 4294967295", count + 1);
    if (count == SID_MAX_SUBAUTHORITIES)
      return wctr_fail(e, WCTR_EINVAL, "SID has more than %d sub-authorities", SID_MAX_SUBAUTHORITIES);
    sub[count++] = (uint32_t)v;
    p += 1 + n;
  }
  /* Windows' parser refuses a SID without sub-authorities too; no principal has one. */
  if (count == 0) return wctr_fail(e, WCTR_EINVAL, "SID has no sub-authority");

  /* Every part is bounded above, so the canonical form always fits ACL_SID_STRING_MAX. */
  size_t len = (size_t)snprintf(out, ACL_SID_STRING_MAX, "S-1-%llu", (unsigned long long)authority);
  for (size_t i = 0; i < count; i++) {
    len += (size_t)snprintf(out + len, ACL_SID_STRING_MAX - len, "-%lu", (unsigned long)sub[i]);
  }
  *used = (size_t)(p - text);
  return WCTR_OK;
}

wctr_err acl_sid_scan(const char *text, size_t *used, char out[ACL_SID_STRING_MAX], wctr_errmsg *e) {
  *used = 0;
  out[0] = '\0';
  if (text == NULL) return wctr_fail(e, WCTR_EINVAL, "SID is missing");
  if ((text[0] == 'S' || text[0] == 's') && text[1] == '-') return scan_numeric(text, used, out, e);
  if (!is_letter(text[0]) || !is_letter(text[1])) {
    return wctr_fail(e, WCTR_EINVAL, "expected a SID (S-1-...) or a two-letter SDDL alias");
  }
  char alias[3] = {upper(text[0]), upper(text[1]), '\0'};
  for (size_t i = 0; i < sizeof sid_aliases / sizeof sid_aliases[0]; i++) {
    if (strcmp(sid_aliases[i].alias, alias) == 0) {
      snprintf(out, ACL_SID_STRING_MAX, "%s", sid_aliases[i].sid);
      *used = 2;
      return WCTR_OK;
    }
  }
  for (size_t i = 0; i < sizeof domain_aliases / sizeof domain_aliases[0]; i++) {
    if (strcmp(domain_aliases[i], alias) == 0) {
      return wctr_fail(e, WCTR_EINVAL,
                       "SID alias \"%s\" stands for a machine- or domain-relative SID, which wctr does not resolve; "
                       "write the SID as S-1-5-21-...",
                       alias);
    }
  }
  return wctr_fail(e, WCTR_EINVAL, "unknown SID alias \"%s\"", alias);
}

wctr_err acl_sid_canonical(const char *sid, char out[ACL_SID_STRING_MAX], wctr_errmsg *e) {
  size_t used = 0;
  wctr_err err = acl_sid_scan(sid, &used, out, e);
  if (err != WCTR_OK) return err;
  if (sid[used] != '\0') {
    out[0] = '\0';
    return wctr_fail(e, WCTR_EINVAL, "unexpected text after the SID at offset %zu", used);
  }
  return WCTR_OK;
}

bool acl_sid_string_valid(const char *sid) {
  char canonical[ACL_SID_STRING_MAX];
  size_t used = 0;
  if (sid == NULL || !((sid[0] == 'S' || sid[0] == 's') && sid[1] == '-')) return false;
  if (scan_numeric(sid, &used, canonical, NULL) != WCTR_OK) return false;
  return sid[used] == '\0';
}

const char *acl_sid_alias(const char *sid) {
  char canonical[ACL_SID_STRING_MAX];
  if (acl_sid_canonical(sid, canonical, NULL) != WCTR_OK) return NULL;
  for (size_t i = 0; i < sizeof sid_aliases / sizeof sid_aliases[0]; i++) {
    if (strcmp(sid_aliases[i].sid, canonical) == 0) return sid_aliases[i].alias;
  }
  return NULL;
}

size_t acl_sid_subauthority_count(const char *sid) {
  char canonical[ACL_SID_STRING_MAX];
  if (!acl_sid_string_valid(sid) || acl_sid_canonical(sid, canonical, NULL) != WCTR_OK) return 0;
  if (strcmp(canonical, sid) != 0) return 0;
  size_t dashes = 0;
  for (const char *p = sid; *p != '\0'; p++) {
    if (*p == '-') dashes++;
  }
  return dashes - 2; /* "S-1-<authority>" holds two of them */
}
