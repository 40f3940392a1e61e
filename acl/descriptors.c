/* acl/descriptors.c - the descriptors wctr applies (portable). Contract in acl/descriptors.h. */
#include "acl/descriptors.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/sd.h"
#include "acl/sid.h"

const char *const acl_data_root_subdirs[] = {"config",          "logs",  "containers", "images", "secrets",
                                             "credentialspecs", "audit", "volumes", NULL};

/* A numeric SID from outside -> canonical form. what/index name it in the message; the value is quoted
 * only in part, as it may be anything. */
static wctr_err numeric_sid(const char *sid, const char *what, char out[ACL_SID_STRING_MAX], wctr_errmsg *e) {
  if (sid == NULL) return wctr_fail(e, WCTR_EINVAL, "%s is missing", what);
  if (!acl_sid_string_valid(sid) || acl_sid_canonical(sid, out, NULL) != WCTR_OK) {
    /* Quote at most 64 characters, unprintable ones as '?': the value came from outside. */
    char shown[68];
    size_t n = 0;
    for (; n < 64 && sid[n] != '\0'; n++) {
      unsigned char c = (unsigned char)sid[n];
      shown[n] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    }
    memcpy(shown + n, sid[n] != '\0' ? "..." : "", sid[n] != '\0' ? 4 : 1);
    return wctr_fail(e, WCTR_EINVAL, "%s (\"%s\") is not a SID string S-1-...", what, shown);
  }
  return WCTR_OK;
}

/* Appends s to the malloc'ed string at *buf (length *len, capacity *cap). False when memory runs out. */
static bool append(char **buf, size_t *len, size_t *cap, const char *s) {
  size_t n = strlen(s);
  if (*len + n + 1 > *cap) {
    size_t grown_cap = *cap == 0 ? 128 : *cap;
    while (*len + n + 1 > grown_cap) grown_cap *= 2;
    char *grown = realloc(*buf, grown_cap);
    if (grown == NULL) return false;
    *buf = grown;
    *cap = grown_cap;
  }
  memcpy(*buf + *len, s, n + 1);
  *len += n;
  return true;
}

/* SYSTEM and Administrators full access, then one ACE of group_rights per group SID (first place kept).
 * what names the descriptor in messages ("pipe", "API token file"). */
static wctr_err groups_sddl(const char *const *group_sids, size_t count, const char *group_rights, const char *what,
                            char **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  char(*canonical)[ACL_SID_STRING_MAX] = NULL;
  char *buf = NULL;
  size_t len = 0;
  size_t cap = 0;
  bool ok = true;
  acl_sd check;
  wctr_errmsg sub;
  acl_sd_init(&check);
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "no place for the %s SDDL", what);
  *out = NULL;
  if (count > 0 && group_sids == NULL) return wctr_fail(e, WCTR_EINVAL, "%s group SIDs are missing", what);

  if (count > 0) {
    canonical = calloc(count, sizeof *canonical);
    if (canonical == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory building the %s SDDL", what);
  }
  for (size_t i = 0; i < count; i++) {
    char which[64];
    snprintf(which, sizeof which, "%s group SID %zu", what, i + 1);
    err = numeric_sid(group_sids[i], which, canonical[i], e);
    if (err != WCTR_OK) goto done;
  }

  ok = append(&buf, &len, &cap, "D:P(A;;FA;;;SY)(A;;FA;;;BA)");
  for (size_t i = 0; i < count && ok; i++) {
    bool duplicate = false;
    for (size_t j = 0; j < i && !duplicate; j++) duplicate = strcmp(canonical[j], canonical[i]) == 0;
    if (duplicate) continue;
    ok = append(&buf, &len, &cap, "(A;;") && append(&buf, &len, &cap, group_rights) &&
         append(&buf, &len, &cap, ";;;") && append(&buf, &len, &cap, canonical[i]) &&
         append(&buf, &len, &cap, ")");
  }
  if (!ok) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory building the %s SDDL", what);
    goto done;
  }
  /* Windows refuses an ACL above 64 KiB; say so here, naming the limit, rather than let
   * ConvertStringSecurityDescriptorToSecurityDescriptorW fail with a bare error code later. */
  err = acl_sddl_parse(buf, &check, &sub);
  if (err != WCTR_OK) {
    err = wctr_fail(e, err, "%s SDDL for %zu groups: %s", what, count, sub.text);
    goto done;
  }
  *out = buf;
  buf = NULL;
done:
  acl_sd_free(&check);
  free(buf);
  free(canonical);
  return err;
}

wctr_err acl_pipe_sddl(const char *const *group_sids, size_t count, char **out, wctr_errmsg *e) {
  return groups_sddl(group_sids, count, "FRFW", "pipe", out, e);
}

wctr_err acl_api_token_sddl(const char *const *group_sids, size_t count, char **out, wctr_errmsg *e) {
  return groups_sddl(group_sids, count, "FR", "API token file", out, e);
}

/* The secrets descriptors differ only in the inheritance flags. */
static wctr_err secrets_sddl(const char *reader_sid, const char *flags, char **out, wctr_errmsg *e) {
  char sid[ACL_SID_STRING_MAX];
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "no place for the secrets SDDL");
  *out = NULL;
  wctr_err err = numeric_sid(reader_sid, "secrets reader SID", sid, e);
  if (err != WCTR_OK) return err;
  char *buf = NULL;
  size_t len = 0;
  size_t cap = 0;
  const char *parts[] = {"D:P(A;", flags, ";FA;;;SY)(A;", flags, ";FA;;;BA)(A;", flags, ";FR;;;", sid, ")"};
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
    if (!append(&buf, &len, &cap, parts[i])) {
      free(buf);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory building the secrets SDDL");
    }
  }
  *out = buf;
  return WCTR_OK;
}

wctr_err acl_secrets_dir_sddl(const char *reader_sid, char **out, wctr_errmsg *e) {
  return secrets_sddl(reader_sid, "OICI", out, e);
}

wctr_err acl_secret_file_sddl(const char *reader_sid, char **out, wctr_errmsg *e) {
  return secrets_sddl(reader_sid, "", out, e);
}
