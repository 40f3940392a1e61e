/* acl/sd.c - security-descriptor model, SDDL parser and formatter, comparison (portable).
 * The contract, grammar and canonical form are in acl/sd.h. */
#include "acl/sd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rights with a two-letter SDDL name, in the order Windows tries them when it prints a mask: the first
 * whose value equals the whole mask wins. The order matters once: KEY_READ and KEY_EXECUTE are both
 * 0x20019, and Windows prints "KR". */
static const struct {
  char name[3];
  uint32_t value;
} named_rights[] = {
    {"GA", ACL_RIGHT_GENERIC_ALL},
    {"GR", ACL_RIGHT_GENERIC_READ},
    {"GW", ACL_RIGHT_GENERIC_WRITE},
    {"GX", ACL_RIGHT_GENERIC_EXECUTE},
    {"RC", ACL_RIGHT_READ_CONTROL},
    {"SD", ACL_RIGHT_DELETE},
    {"WD", ACL_RIGHT_WRITE_DAC},
    {"WO", ACL_RIGHT_WRITE_OWNER},
    /* Directory-service bits; on files they are the low file bits (LC is FILE_APPEND_DATA, ...), and
     * Windows prints them with these names there too. */
    {"RP", 0x00000010u},
    {"WP", 0x00000020u},
    {"CC", 0x00000001u},
    {"DC", 0x00000002u},
    {"LC", 0x00000004u},
    {"SW", 0x00000008u},
    {"LO", 0x00000080u},
    {"DT", 0x00000040u},
    {"CR", 0x00000100u},
    {"FA", ACL_FILE_ALL_ACCESS},
    {"FR", ACL_FILE_GENERIC_READ},
    {"FW", ACL_FILE_GENERIC_WRITE},
    {"FX", ACL_FILE_GENERIC_EXECUTE},
    {"KA", ACL_KEY_ALL_ACCESS},
    {"KR", ACL_KEY_READ},
    {"KW", ACL_KEY_WRITE},
    {"KX", ACL_KEY_READ},
};

/* Names of single bits, used when no group above equals the mask but every set bit has a name. */
static const char *const bit_names[32] = {
    "CC", "DC", "LC", "SW", "RP", "WP", "DT", "LO", /* 0-7 */
    "CR", NULL, NULL, NULL, NULL, NULL, NULL, NULL, /* 8-15 */
    "SD", "RC", "WD", "WO", NULL, NULL, NULL, NULL, /* 16-23: SYNCHRONIZE (20) has no name */
    NULL, NULL, NULL, NULL, "GA", "GX", "GW", "GR", /* 24-31 */
};

/* ACE flags in the order Windows prints them. */
static const struct {
  char name[3];
  uint8_t value;
} ace_flag_names[] = {
    {"OI", ACL_ACE_OBJECT_INHERIT}, {"CI", ACL_ACE_CONTAINER_INHERIT}, {"NP", ACL_ACE_NO_PROPAGATE},
    {"IO", ACL_ACE_INHERIT_ONLY},   {"ID", ACL_ACE_INHERITED},
};

#define ACL_HEADER_BYTES 8u
/* ACCESS_ALLOWED_ACE / ACCESS_DENIED_ACE: 4-byte header, 4-byte mask, then the SID (8 + 4 per
 * sub-authority). */
#define ACE_BYTES(subauthorities) (16u + 4u * (unsigned)(subauthorities))

void acl_sd_init(acl_sd *sd) {
  if (sd == NULL) return;
  memset(sd, 0, sizeof *sd);
}

void acl_sd_free(acl_sd *sd) {
  if (sd == NULL) return;
  free(sd->aces);
  memset(sd, 0, sizeof *sd);
}

wctr_err acl_sd_set_owner(acl_sd *sd, const char *sid, wctr_errmsg *e) {
  char canonical[ACL_SID_STRING_MAX];
  wctr_errmsg sub;
  if (acl_sid_canonical(sid, canonical, &sub) != WCTR_OK) return wctr_fail(e, WCTR_EINVAL, "owner: %s", sub.text);
  memcpy(sd->owner, canonical, sizeof canonical);
  sd->has_owner = true;
  return WCTR_OK;
}

wctr_err acl_sd_set_group(acl_sd *sd, const char *sid, wctr_errmsg *e) {
  char canonical[ACL_SID_STRING_MAX];
  wctr_errmsg sub;
  if (acl_sid_canonical(sid, canonical, &sub) != WCTR_OK) return wctr_fail(e, WCTR_EINVAL, "group: %s", sub.text);
  memcpy(sd->group, canonical, sizeof canonical);
  sd->has_group = true;
  return WCTR_OK;
}

wctr_err acl_sd_add_ace(acl_sd *sd, acl_ace_type type, uint8_t flags, uint32_t mask, const char *sid, wctr_errmsg *e) {
  char canonical[ACL_SID_STRING_MAX];
  wctr_errmsg sub;
  if (sd == NULL) return wctr_fail(e, WCTR_EINVAL, "security descriptor is missing");
  if (type != ACL_ACE_ALLOW && type != ACL_ACE_DENY) {
    return wctr_fail(e, WCTR_EINVAL, "ACE type %d is neither allow nor deny", (int)type);
  }
  if ((flags & ~ACL_ACE_FLAGS_ALL) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "ACE flags 0x%x include bits other than OI CI NP IO ID", (unsigned)flags);
  }
  if (acl_sid_canonical(sid, canonical, &sub) != WCTR_OK) return wctr_fail(e, WCTR_EINVAL, "ACE SID: %s", sub.text);

  size_t acl_bytes = sd->dacl_bytes != 0 ? sd->dacl_bytes : ACL_HEADER_BYTES;
  acl_bytes += ACE_BYTES(acl_sid_subauthority_count(canonical));
  if (acl_bytes > ACL_MAX_ACL_BYTES) {
    return wctr_fail(e, WCTR_EINVAL, "the DACL would be larger than %u bytes, the most Windows accepts",
                     ACL_MAX_ACL_BYTES);
  }
  if (sd->ace_count == sd->ace_capacity) {
    size_t capacity = sd->ace_capacity == 0 ? 8 : sd->ace_capacity * 2;
    acl_ace *grown = realloc(sd->aces, capacity * sizeof *grown);
    if (grown == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory adding an ACE");
    sd->aces = grown;
    sd->ace_capacity = capacity;
  }
  acl_ace *ace = &sd->aces[sd->ace_count++];
  ace->type = type;
  ace->flags = flags;
  ace->mask = mask;
  memcpy(ace->sid, canonical, sizeof canonical);
  sd->dacl_present = true;
  sd->dacl_bytes = acl_bytes;
  return WCTR_OK;
}

/* ---- SDDL in ---------------------------------------------------------------------------------------- */

typedef struct parser {
  const char *text; /* the whole input, for offsets */
  const char *p;    /* where parsing is */
  acl_sd *sd;
  wctr_errmsg *e;
} parser;

/* Copies up to max characters of s into buf for a message, with anything that is not printable ASCII
 * shown as '?': SDDL comes from outside and the message may reach a log or a terminal. With ellipsis,
 * "..." marks text cut off after max characters. */
static void printable_excerpt(const char *s, size_t max, bool ellipsis, char *buf, size_t size) {
  size_t n = 0;
  while (n < max && n + 1 < size && s[n] != '\0') {
    unsigned char c = (unsigned char)s[n];
    buf[n] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
    n++;
  }
  buf[n] = '\0';
  if (ellipsis && s[n] != '\0' && n + 4 <= size) memcpy(buf + n, "...", 4);
}

static wctr_err parse_error(const parser *ps, const char *at, const char *fmt, ...) WCTR_PRINTF(3, 4);
static wctr_err parse_error(const parser *ps, const char *at, const char *fmt, ...) {
  char what[384];
  char excerpt[24];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  size_t offset = (size_t)(at - ps->text);
  if (*at == '\0') return wctr_fail(ps->e, WCTR_EINVAL, "SDDL at offset %zu (end of text): %s", offset, what);
  printable_excerpt(at, 16, true, excerpt, sizeof excerpt);
  return wctr_fail(ps->e, WCTR_EINVAL, "SDDL at offset %zu (\"%s\"): %s", offset, excerpt, what);
}

static bool is_section_start(const char *p) {
  return (p[0] == 'O' || p[0] == 'G' || p[0] == 'D' || p[0] == 'S') && p[1] == ':';
}

/* A two-character token at p, printable, for messages ("\"ZZ\""). */
static void token2(const char *p, char out[3]) { printable_excerpt(p, 2, false, out, 3); }

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static wctr_err parse_ace_flags(parser *ps, size_t n, uint8_t *flags) {
  *flags = 0;
  while (*ps->p != ';') {
    const char *p = ps->p;
    char tok[3];
    if (*p == '\0' || *p == ')') return parse_error(ps, p, "ACE %zu: expected ';' after the ACE flags", n);
    if (p[1] == '\0' || p[1] == ';' || p[1] == ')') {
      return parse_error(ps, p, "ACE %zu: incomplete ACE flag (flags are two letters: OI CI NP IO ID)", n);
    }
    bool known = false;
    for (size_t i = 0; i < sizeof ace_flag_names / sizeof ace_flag_names[0]; i++) {
      if (p[0] == ace_flag_names[i].name[0] && p[1] == ace_flag_names[i].name[1]) {
        *flags |= ace_flag_names[i].value;
        known = true;
      }
    }
    token2(p, tok);
    if (!known && (strcmp(tok, "SA") == 0 || strcmp(tok, "FA") == 0)) {
      return parse_error(ps, p, "ACE %zu: audit flag \"%s\" only has a meaning in a SACL, which wctr does not model", n,
                         tok);
    }
    if (!known) return parse_error(ps, p, "ACE %zu: unknown ACE flag \"%s\" (expected OI, CI, NP, IO or ID)", n, tok);
    ps->p += 2;
  }
  ps->p++;
  return WCTR_OK;
}

static wctr_err parse_ace_rights(parser *ps, size_t n, uint32_t *mask) {
  const char *p = ps->p;
  *mask = 0;
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
    if (p[1] == 'X') return parse_error(ps, p, "ACE %zu: write hexadecimal rights with a lowercase \"0x\"", n);
    const char *digits = p + 2;
    uint64_t value = 0;
    size_t count = 0;
    while (hex_digit(digits[count]) >= 0) {
      value = value * 16 + (uint64_t)hex_digit(digits[count]);
      if (value > UINT32_MAX) return parse_error(ps, p, "ACE %zu: rights are larger than 0xffffffff", n);
      count++;
    }
    if (count == 0) return parse_error(ps, p, "ACE %zu: hexadecimal rights \"0x\" have no digits", n);
    if (digits[count] != ';') {
      return parse_error(ps, digits + count,
                         "ACE %zu: expected ';' after the hexadecimal rights (a hex mask is the whole field)", n);
    }
    *mask = (uint32_t)value;
    ps->p = digits + count + 1;
    return WCTR_OK;
  }
  while (*p != ';') {
    char tok[3];
    if (*p == '\0' || *p == ')') return parse_error(ps, p, "ACE %zu: expected ';' after the rights", n);
    if (p[1] == '\0' || p[1] == ';' || p[1] == ')') {
      return parse_error(ps, p, "ACE %zu: incomplete right (rights are two letters, or one 0x... number)", n);
    }
    bool known = false;
    for (size_t i = 0; i < sizeof named_rights / sizeof named_rights[0]; i++) {
      if (p[0] == named_rights[i].name[0] && p[1] == named_rights[i].name[1]) {
        *mask |= named_rights[i].value;
        known = true;
        break;
      }
    }
    token2(p, tok);
    if (!known) return parse_error(ps, p, "ACE %zu: unknown right \"%s\"", n, tok);
    p += 2;
  }
  ps->p = p + 1;
  return WCTR_OK;
}

/* One "(type;flags;rights;;;sid)" at ps->p, which is at '('. n counts ACEs from 1, for messages. */
static wctr_err parse_ace(parser *ps, size_t n) {
  const char *p = ++ps->p;
  acl_ace_type type;
  size_t len = strcspn(p, ";)");
  if (len == 1 && (p[0] == 'A' || p[0] == 'D')) {
    type = p[0] == 'A' ? ACL_ACE_ALLOW : ACL_ACE_DENY;
  } else if (len == 0) {
    return parse_error(ps, p, "ACE %zu: the ACE type is missing", n);
  } else {
    char tok[16];
    printable_excerpt(p, len < 8 ? len : 8, len > 8, tok, sizeof tok);
    return parse_error(ps, p, "ACE %zu: ACE type \"%s\" is not supported (wctr models allow \"A\" and deny \"D\" ACEs)",
                       n, tok);
  }
  if (p[len] != ';') return parse_error(ps, p + len, "ACE %zu: expected ';' after the ACE type", n);
  ps->p = p + len + 1;

  uint8_t flags = 0;
  wctr_err err = parse_ace_flags(ps, n, &flags);
  if (err != WCTR_OK) return err;
  uint32_t mask = 0;
  err = parse_ace_rights(ps, n, &mask);
  if (err != WCTR_OK) return err;

  static const char *const guid_fields[] = {"object GUID", "inherited object GUID"};
  for (size_t i = 0; i < 2; i++) {
    if (*ps->p != ';') {
      return parse_error(ps, ps->p,
                         "ACE %zu: the %s field must be empty (object ACEs are for directory-service objects, "
                         "not files or pipes)",
                         n, guid_fields[i]);
    }
    ps->p++;
  }

  char sid[ACL_SID_STRING_MAX];
  size_t used = 0;
  wctr_errmsg sub;
  if (acl_sid_scan(ps->p, &used, sid, &sub) != WCTR_OK)
    return parse_error(ps, ps->p, "ACE %zu: trustee: %s", n, sub.text);
  ps->p += used;
  if (*ps->p == ';') {
    return parse_error(ps, ps->p,
                       "ACE %zu: unexpected field after the SID (conditional expressions and resource attributes "
                       "are not supported)",
                       n);
  }
  if (*ps->p != ')') return parse_error(ps, ps->p, "ACE %zu: expected ')' after the SID", n);

  err = acl_sd_add_ace(ps->sd, type, flags, mask, sid, &sub);
  if (err == WCTR_ENOMEM) return wctr_fail(ps->e, WCTR_ENOMEM, "out of memory parsing SDDL");
  if (err != WCTR_OK) return parse_error(ps, ps->p, "ACE %zu: %s", n, sub.text);
  ps->p++;
  return WCTR_OK;
}

/* After "D:": flags, then ACEs. */
static wctr_err parse_dacl(parser *ps) {
  acl_sd *sd = ps->sd;
  sd->dacl_present = true;
  sd->dacl_bytes = ACL_HEADER_BYTES;
  for (;;) {
    const char *p = ps->p;
    if (*p == '\0' || *p == '(' || is_section_start(p)) break;
    if (p[0] == 'P') {
      sd->dacl_protected = true;
      ps->p += 1;
    } else if (p[0] == 'A' && p[1] == 'I') {
      sd->dacl_auto_inherited = true;
      ps->p += 2;
    } else if (p[0] == 'A' && p[1] == 'R') {
      sd->dacl_auto_inherit_req = true;
      ps->p += 2;
    } else if (strncmp(p, "NO_ACCESS_CONTROL", 17) == 0) {
      return parse_error(ps, p,
                         "DACL: the NULL DACL \"NO_ACCESS_CONTROL\" grants everyone full access; wctr refuses it");
    } else {
      return parse_error(ps, p, "DACL: unknown DACL flag (expected P, AI, AR, or ACEs in parentheses)");
    }
  }
  size_t n = 0;
  while (*ps->p == '(') {
    wctr_err err = parse_ace(ps, ++n);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

static wctr_err parse_sid_section(parser *ps, const char *part, char out[ACL_SID_STRING_MAX]) {
  size_t used = 0;
  wctr_errmsg sub;
  if (acl_sid_scan(ps->p, &used, out, &sub) != WCTR_OK) return parse_error(ps, ps->p, "%s: %s", part, sub.text);
  ps->p += used;
  return WCTR_OK;
}

wctr_err acl_sddl_parse(const char *sddl, acl_sd *out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  acl_sd_init(out);
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "no descriptor to parse into");
  if (sddl == NULL) return wctr_fail(e, WCTR_EINVAL, "SDDL string is missing");
  parser ps = {sddl, sddl, out, e};
  bool seen[4] = {false, false, false, false}; /* O G D S */
  while (*ps.p != '\0') {
    const char *section = ps.p;
    const char *kinds = "OGDS";
    const char *kind = *section != '\0' ? strchr(kinds, *section) : NULL;
    if (kind == NULL) {
      err = parse_error(&ps, section, "expected a section \"O:\", \"G:\" or \"D:\"");
      goto done;
    }
    if (section[1] != ':') {
      err = parse_error(&ps, section + 1, "expected ':' after the section letter '%c'", *section);
      goto done;
    }
    if (*kind == 'S') {
      err = parse_error(&ps, section, "SACL section \"S:\" is not supported: wctr neither sets nor reads system ACLs");
      goto done;
    }
    size_t index = (size_t)(kind - kinds);
    if (seen[index]) {
      err = parse_error(&ps, section, "second \"%c:\" section", *section);
      goto done;
    }
    seen[index] = true;
    ps.p += 2;
    const char *part = "DACL";
    if (*kind == 'O') {
      part = "owner";
      err = parse_sid_section(&ps, part, out->owner);
      out->has_owner = err == WCTR_OK;
    } else if (*kind == 'G') {
      part = "group";
      err = parse_sid_section(&ps, part, out->group);
      out->has_group = err == WCTR_OK;
    } else {
      err = parse_dacl(&ps);
    }
    if (err != WCTR_OK) goto done;
    if (*ps.p != '\0' && !is_section_start(ps.p)) {
      err = parse_error(&ps, ps.p, "%s: unexpected text (expected the end or the next section)", part);
      goto done;
    }
  }
done:
  if (err != WCTR_OK) acl_sd_free(out);
  return err;
}

/* ---- SDDL out --------------------------------------------------------------------------------------- */

typedef struct strbuf {
  char *data;
  size_t len;
  size_t cap;
  bool failed;
} strbuf;

static void sb_add(strbuf *b, const char *s) {
  size_t n = strlen(s);
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap == 0 ? 128 : b->cap;
    while (b->len + n + 1 > cap) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
      b->failed = true;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n + 1);
  b->len += n;
}

void acl_rights_string(uint32_t mask, char out[ACL_RIGHTS_STRING_MAX]) {
  out[0] = '\0';
  if (mask == 0) return;
  for (size_t i = 0; i < sizeof named_rights / sizeof named_rights[0]; i++) {
    if (named_rights[i].value == mask) {
      snprintf(out, ACL_RIGHTS_STRING_MAX, "%s", named_rights[i].name);
      return;
    }
  }
  for (unsigned bit = 0; bit < 32; bit++) {
    if ((mask & (UINT32_C(1) << bit)) != 0 && bit_names[bit] == NULL) {
      snprintf(out, ACL_RIGHTS_STRING_MAX, "0x%x", (unsigned)mask);
      return;
    }
  }
  size_t len = 0;
  for (unsigned bit = 0; bit < 32; bit++) {
    if ((mask & (UINT32_C(1) << bit)) != 0) {
      memcpy(out + len, bit_names[bit], 2);
      len += 2;
    }
  }
  out[len] = '\0'; /* at most 17 named bits: 34 characters */
}

static void ace_flags_string(uint8_t flags, char out[16]) {
  size_t len = 0;
  for (size_t i = 0; i < sizeof ace_flag_names / sizeof ace_flag_names[0]; i++) {
    if ((flags & ace_flag_names[i].value) != 0) {
      memcpy(out + len, ace_flag_names[i].name, 2);
      len += 2;
    }
  }
  out[len] = '\0';
}

/* A SID as Windows prints it: alias when it has one. Fails when the model holds something that is not a
 * SID. */
static wctr_err add_sid(strbuf *b, const char *sid, wctr_errmsg *sub) {
  char canonical[ACL_SID_STRING_MAX];
  wctr_err err = acl_sid_canonical(sid, canonical, sub);
  if (err != WCTR_OK) return err;
  const char *alias = acl_sid_alias(canonical);
  sb_add(b, alias != NULL ? alias : canonical);
  return WCTR_OK;
}

wctr_err acl_sddl_format(const acl_sd *sd, char **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wctr_errmsg sub;
  strbuf b = {NULL, 0, 0, false};
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "no place for the SDDL string");
  *out = NULL;
  if (sd == NULL) return wctr_fail(e, WCTR_EINVAL, "security descriptor is missing");
  sb_add(&b, ""); /* an empty descriptor formats as "" */
  if (sd->has_owner) {
    sb_add(&b, "O:");
    if (add_sid(&b, sd->owner, &sub) != WCTR_OK) {
      err = wctr_fail(e, WCTR_EINVAL, "owner: %s", sub.text);
      goto done;
    }
  }
  if (sd->has_group) {
    sb_add(&b, "G:");
    if (add_sid(&b, sd->group, &sub) != WCTR_OK) {
      err = wctr_fail(e, WCTR_EINVAL, "group: %s", sub.text);
      goto done;
    }
  }
  if (sd->dacl_present) {
    sb_add(&b, "D:");
    if (sd->dacl_protected) sb_add(&b, "P");
    if (sd->dacl_auto_inherit_req) sb_add(&b, "AR");
    if (sd->dacl_auto_inherited) sb_add(&b, "AI");
    for (size_t i = 0; i < sd->ace_count; i++) {
      const acl_ace *ace = &sd->aces[i];
      char flags[16];
      char rights[ACL_RIGHTS_STRING_MAX];
      if (ace->type != ACL_ACE_ALLOW && ace->type != ACL_ACE_DENY) {
        err = wctr_fail(e, WCTR_EINVAL, "ACE %zu: type %d is neither allow nor deny", i + 1, (int)ace->type);
        goto done;
      }
      if ((ace->flags & ~ACL_ACE_FLAGS_ALL) != 0) {
        err = wctr_fail(e, WCTR_EINVAL, "ACE %zu: flags 0x%x include bits other than OI CI NP IO ID", i + 1,
                        (unsigned)ace->flags);
        goto done;
      }
      ace_flags_string(ace->flags, flags);
      acl_rights_string(ace->mask, rights);
      sb_add(&b, ace->type == ACL_ACE_ALLOW ? "(A;" : "(D;");
      sb_add(&b, flags);
      sb_add(&b, ";");
      sb_add(&b, rights);
      sb_add(&b, ";;;");
      if (add_sid(&b, ace->sid, &sub) != WCTR_OK) {
        err = wctr_fail(e, WCTR_EINVAL, "ACE %zu: SID: %s", i + 1, sub.text);
        goto done;
      }
      sb_add(&b, ")");
    }
  }
  if (b.failed) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory formatting SDDL");
    goto done;
  }
  *out = b.data;
  b.data = NULL;
done:
  free(b.data);
  return err;
}

wctr_err acl_sddl_canonical(const char *sddl, char **out, wctr_errmsg *e) {
  acl_sd sd;
  if (out != NULL) *out = NULL;
  wctr_err err = acl_sddl_parse(sddl, &sd, e);
  if (err == WCTR_OK) err = acl_sddl_format(&sd, out, e);
  acl_sd_free(&sd);
  return err;
}

/* ---- comparison ------------------------------------------------------------------------------------- */

uint32_t acl_map_generic_file(uint32_t mask) {
  uint32_t mapped = mask & ~ACL_RIGHT_GENERIC_MASK;
  if ((mask & ACL_RIGHT_GENERIC_READ) != 0) mapped |= ACL_FILE_GENERIC_READ;
  if ((mask & ACL_RIGHT_GENERIC_WRITE) != 0) mapped |= ACL_FILE_GENERIC_WRITE;
  if ((mask & ACL_RIGHT_GENERIC_EXECUTE) != 0) mapped |= ACL_FILE_GENERIC_EXECUTE;
  if ((mask & ACL_RIGHT_GENERIC_ALL) != 0) mapped |= ACL_FILE_ALL_ACCESS;
  return mapped;
}

/* SIDs compare by value; a model filled by hand may hold an alias or a non-canonical spelling. */
static void sid_for_compare(const char *sid, char out[ACL_SID_STRING_MAX]) {
  if (acl_sid_canonical(sid, out, NULL) != WCTR_OK) snprintf(out, ACL_SID_STRING_MAX, "%s", sid);
}

static uint32_t mask_for_compare(uint32_t mask, unsigned options) {
  return (options & ACL_MATCH_EXACT_MASK) != 0 ? mask : acl_map_generic_file(mask);
}

/* "allow 0x1f01ff [OICI] for S-1-5-18" */
static void describe_ace(const acl_ace *ace, unsigned options, char *buf, size_t size) {
  char flags[16];
  char sid[ACL_SID_STRING_MAX];
  char flag_part[24] = "";
  ace_flags_string((uint8_t)(ace->flags & ACL_ACE_FLAGS_ALL), flags);
  if (flags[0] != '\0') snprintf(flag_part, sizeof flag_part, " [%s]", flags);
  sid_for_compare(ace->sid, sid);
  const char *type = ace->type == ACL_ACE_ALLOW ? "allow" : ace->type == ACL_ACE_DENY ? "deny" : "unknown-type";
  snprintf(buf, size, "%s 0x%x%s for %s", type, (unsigned)mask_for_compare(ace->mask, options), flag_part, sid);
}

static bool ace_matches(const acl_ace *a, const acl_ace *b, unsigned options) {
  char sa[ACL_SID_STRING_MAX];
  char sb[ACL_SID_STRING_MAX];
  if (a->type != b->type || a->flags != b->flags) return false;
  if (mask_for_compare(a->mask, options) != mask_for_compare(b->mask, options)) return false;
  sid_for_compare(a->sid, sa);
  sid_for_compare(b->sid, sb);
  return strcmp(sa, sb) == 0;
}

static bool sid_part_matches(const char *part, bool expected_has, const char *expected, bool actual_has,
                             const char *actual, unsigned options, wctr_errmsg *why) {
  char se[ACL_SID_STRING_MAX];
  char sa[ACL_SID_STRING_MAX];
  if (!expected_has && (options & ACL_MATCH_ALL_PARTS) == 0) return true;
  if (!expected_has && !actual_has) return true;
  if (expected_has) sid_for_compare(expected, se);
  if (actual_has) sid_for_compare(actual, sa);
  if (!expected_has) {
    wctr_fail(why, WCTR_ESTATE, "%s: expected none, found %s", part, sa);
    return false;
  }
  if (!actual_has) {
    wctr_fail(why, WCTR_ESTATE, "%s: expected %s, found none", part, se);
    return false;
  }
  if (strcmp(se, sa) != 0) {
    wctr_fail(why, WCTR_ESTATE, "%s: expected %s, found %s", part, se, sa);
    return false;
  }
  return true;
}

static bool flag_matches(const char *name, bool expected, bool actual, wctr_errmsg *why) {
  if (expected == actual) return true;
  wctr_fail(why, WCTR_ESTATE, "DACL: expected %s, found %s", expected ? name : "it unset", actual ? name : "it unset");
  return false;
}

bool acl_sd_matches(const acl_sd *expected, const acl_sd *actual, unsigned options, wctr_errmsg *why) {
  char want[320];
  char got[320];
  if (expected == NULL || actual == NULL) {
    wctr_fail(why, WCTR_EINVAL, "a security descriptor to compare is missing");
    return false;
  }
  if (!sid_part_matches("owner", expected->has_owner, expected->owner, actual->has_owner, actual->owner, options, why))
    return false;
  if (!sid_part_matches("group", expected->has_group, expected->group, actual->has_group, actual->group, options, why))
    return false;
  if (!expected->dacl_present) {
    if ((options & ACL_MATCH_ALL_PARTS) != 0 && actual->dacl_present) {
      wctr_fail(why, WCTR_ESTATE, "DACL: expected none, found one with %zu ACEs", actual->ace_count);
      return false;
    }
    return true;
  }
  if (!actual->dacl_present) {
    wctr_fail(why, WCTR_ESTATE, "DACL: expected one with %zu ACEs, found none", expected->ace_count);
    return false;
  }
  if (!flag_matches("protected (P)", expected->dacl_protected, actual->dacl_protected, why)) return false;
  if ((options & ACL_MATCH_AUTO_INHERIT) != 0) {
    if (!flag_matches("auto-inherited (AI)", expected->dacl_auto_inherited, actual->dacl_auto_inherited, why))
      return false;
    if (!flag_matches("auto-inherit requested (AR)", expected->dacl_auto_inherit_req, actual->dacl_auto_inherit_req,
                      why))
      return false;
  }
  size_t common = expected->ace_count < actual->ace_count ? expected->ace_count : actual->ace_count;
  for (size_t i = 0; i < common; i++) {
    if (!ace_matches(&expected->aces[i], &actual->aces[i], options)) {
      describe_ace(&expected->aces[i], options, want, sizeof want);
      describe_ace(&actual->aces[i], options, got, sizeof got);
      wctr_fail(why, WCTR_ESTATE, "ACE %zu: expected %s, found %s", i + 1, want, got);
      return false;
    }
  }
  if (expected->ace_count > common) {
    describe_ace(&expected->aces[common], options, want, sizeof want);
    wctr_fail(why, WCTR_ESTATE, "ACE %zu: expected %s, found none (the DACL has %zu ACEs)", common + 1, want,
              actual->ace_count);
    return false;
  }
  if (actual->ace_count > common) {
    describe_ace(&actual->aces[common], options, got, sizeof got);
    wctr_fail(why, WCTR_ESTATE, "ACE %zu: found %s, which is not expected (expected %zu ACEs)", common + 1, got,
              expected->ace_count);
    return false;
  }
  return true;
}

wctr_err acl_sddl_expect(const char *expected_sddl, const char *actual_sddl, unsigned options, wctr_errmsg *e) {
  acl_sd expected;
  acl_sd actual;
  wctr_errmsg sub;
  wctr_err err;
  acl_sd_init(&expected);
  acl_sd_init(&actual);
  err = acl_sddl_parse(expected_sddl, &expected, &sub);
  if (err != WCTR_OK) {
    err = wctr_fail(e, err, "expected SDDL: %s", sub.text);
    goto done;
  }
  err = acl_sddl_parse(actual_sddl, &actual, &sub);
  if (err != WCTR_OK) {
    err = wctr_fail(e, err, "actual SDDL: %s", sub.text);
    goto done;
  }
  if (!acl_sd_matches(&expected, &actual, options, e)) err = WCTR_ESTATE;
done:
  acl_sd_free(&expected);
  acl_sd_free(&actual);
  return err;
}
