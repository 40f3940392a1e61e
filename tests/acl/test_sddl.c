/* tests/acl/test_sddl.c - acl/sd.h: SDDL parsing, the model, canonical formatting, every parse error.
 *
 * Expected canonical strings are what ConvertSecurityDescriptorToStringSecurityDescriptorW prints for
 * the same descriptor (several are taken from real Windows read-backs, e.g. the DACL of C:\). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "acl/sd.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static char *canonical_or_fail(const char *sddl) {
  char *out = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = acl_sddl_canonical(sddl, &out, &e);
  if (err != WCTR_OK) fail_msg("\"%s\" did not parse: %s", sddl, e.text);
  assert_non_null(out);
  return out;
}

static void test_round_trips(void **state) {
  (void)state;
  static const struct {
    const char *in;
    const char *canonical;
  } cases[] = {
      {"", ""},
      {"D:", "D:"},
      {"D:P", "D:P"},
      {"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)", "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"},
      /* FRFW has no single name and SYNCHRONIZE has no letters: Windows prints hex. */
      {"D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;S-1-5-32-545)", "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019f;;;BU)"},
      {"D:(A;;FRFX;;;BU)", "D:(A;;0x1200a9;;;BU)"},
      /* Sections come out as O, G, D whatever order they went in. */
      {"G:SYO:BAD:(A;;FA;;;SY)", "O:BAG:SYD:(A;;FA;;;SY)"},
      {"D:(A;;FA;;;SY)O:BA", "O:BAD:(A;;FA;;;SY)"},
      /* DACL flags print as P, AR, AI. */
      {"D:AIARP(A;;FA;;;SY)", "D:PARAI(A;;FA;;;SY)"},
      {"D:AI", "D:AI"},
      {"D:PP", "D:P"},
      /* ACE flags print as OI CI NP IO ID. */
      {"D:(D;IDIOCIOINP;FA;;;WD)", "D:(D;OICINPIOID;FA;;;WD)"},
      {"D:(A;OIOI;FA;;;WD)", "D:(A;OI;FA;;;WD)"},
      /* Rights: an exact group name first, then bit names in bit order, then hex. */
      {"D:(A;;0x1f01ff;;;SY)", "D:(A;;FA;;;SY)"},
      {"D:(A;;0x00120089;;;SY)", "D:(A;;FR;;;SY)"},
      {"D:(A;;0x120116;;;SY)", "D:(A;;FW;;;SY)"},
      {"D:(A;;0x1200A0;;;SY)", "D:(A;;FX;;;SY)"},
      {"D:(A;;GRGX;;;BU)", "D:(A;;GXGR;;;BU)"},
      {"D:(A;;WDRC;;;BU)", "D:(A;;RCWD;;;BU)"},
      {"D:(A;;KX;;;BU)", "D:(A;;KR;;;BU)"},
      {"D:(A;;KA;;;SY)", "D:(A;;KA;;;SY)"},
      {"D:(A;;KW;;;SY)", "D:(A;;KW;;;SY)"},
      {"D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)", "D:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)"},
      {"D:(A;;FAFR;;;SY)", "D:(A;;FA;;;SY)"},
      {"D:(A;;;;;SY)", "D:(A;;;;;SY)"},
      {"D:(A;;0x0;;;SY)", "D:(A;;;;;SY)"},
      {"D:(A;;0xffffffff;;;SY)", "D:(A;;0xffffffff;;;SY)"},
      {"D:(A;;0x100000;;;SY)", "D:(A;;0x100000;;;SY)"},
      /* SIDs: aliases where Windows has one, canonical decimal otherwise. */
      {"D:(A;;FA;;;s-1-5-18)", "D:(A;;FA;;;SY)"},
      {"D:(A;;FA;;;sy)", "D:(A;;FA;;;SY)"},
      {"D:(A;;FA;;;S-1-5-93-2-2)", "D:(A;;FA;;;S-1-5-93-2-2)"},
      {"D:(A;;FA;;;S-1-5-093-02-01)", "D:(A;;FA;;;S-1-5-93-2-1)"},
      {"O:S-1-5-21-1-2-3-500G:S-1-5-21-1-2-3-513", "O:S-1-5-21-1-2-3-500G:S-1-5-21-1-2-3-513"},
      {"D:(A;;FA;;;S-1-5-32-558)", "D:(A;;FA;;;MU)"},
      /* The DACL of C:\ on Windows Server, as icacls / Get-Acl print it. */
      {"O:SYG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;LC;;;BU)"
       "(A;CI;DC;;;BU)(A;OICIIO;SDGXGWGR;;;AU)(A;;0x1301bf;;;AU)",
       "O:SYG:SYD:PAI(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;OICIIO;GA;;;CO)(A;OICI;0x1200a9;;;BU)(A;CI;LC;;;BU)"
       "(A;CI;DC;;;BU)(A;OICIIO;SDGXGWGR;;;AU)(A;;0x1301bf;;;AU)"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    char *out = canonical_or_fail(cases[i].in);
    if (strcmp(out, cases[i].canonical) != 0) {
      fail_msg("\"%s\" -> \"%s\", want \"%s\"", cases[i].in, out, cases[i].canonical);
    }
    /* The canonical form is a fixed point. */
    char *again = canonical_or_fail(out);
    assert_string_equal(again, out);
    free(again);
    free(out);
  }
}

static void test_every_alias_round_trips(void **state) {
  (void)state;
  static const char *const aliases[] = {"AA", "AC", "AN", "AO", "AS", "AU", "BA", "BG", "BO", "BU", "CD", "CG", "CO",
                                        "CY", "ED", "ER", "ES", "HA", "HI", "IS", "IU", "LS", "LU", "LW", "ME", "MP",
                                        "MS", "MU", "NO", "NS", "NU", "OW", "PO", "PS", "PU", "RA", "RC", "RD", "RE",
                                        "RM", "RU", "SI", "SO", "SS", "SU", "SY", "UD", "WD", "WR"};
  for (size_t i = 0; i < COUNT_OF(aliases); i++) {
    char in[64];
    snprintf(in, sizeof in, "O:%sD:(A;;FA;;;%s)", aliases[i], aliases[i]);
    char *out = canonical_or_fail(in);
    assert_string_equal(out, in);
    free(out);
  }
}

static void test_parse_model(void **state) {
  (void)state;
  acl_sd sd;
  wctr_errmsg e;
  assert_int_equal(acl_sddl_parse("O:BAG:SYD:PAI(A;OICI;FA;;;SY)(D;CIID;0x12019f;;;S-1-5-93-2-2)(A;;GR;;;BU)", &sd, &e),
                   WCTR_OK);
  assert_true(sd.has_owner);
  assert_string_equal(sd.owner, "S-1-5-32-544");
  assert_true(sd.has_group);
  assert_string_equal(sd.group, "S-1-5-18");
  assert_true(sd.dacl_present);
  assert_true(sd.dacl_protected);
  assert_true(sd.dacl_auto_inherited);
  assert_false(sd.dacl_auto_inherit_req);
  assert_int_equal(sd.ace_count, 3);
  assert_int_equal(sd.aces[0].type, ACL_ACE_ALLOW);
  assert_int_equal(sd.aces[0].flags, ACL_ACE_OBJECT_INHERIT | ACL_ACE_CONTAINER_INHERIT);
  assert_int_equal(sd.aces[0].mask, ACL_FILE_ALL_ACCESS);
  assert_string_equal(sd.aces[0].sid, "S-1-5-18");
  assert_int_equal(sd.aces[1].type, ACL_ACE_DENY);
  assert_int_equal(sd.aces[1].flags, ACL_ACE_CONTAINER_INHERIT | ACL_ACE_INHERITED);
  assert_int_equal(sd.aces[1].mask, ACL_FILE_GENERIC_READ | ACL_FILE_GENERIC_WRITE);
  assert_string_equal(sd.aces[1].sid, ACL_SID_CONTAINER_USER);
  /* Generic rights are kept as written; only comparison maps them. */
  assert_int_equal(sd.aces[2].mask, ACL_RIGHT_GENERIC_READ);
  /* 8-byte ACL header, ACEs of 16 + 4 per sub-authority. */
  assert_int_equal(sd.dacl_bytes, 8 + 20 + 28 + 24);
  acl_sd_free(&sd);
  assert_null(sd.aces);
  assert_int_equal(sd.ace_count, 0);
  assert_false(sd.dacl_present);

  assert_int_equal(acl_sddl_parse("", &sd, &e), WCTR_OK);
  assert_false(sd.has_owner);
  assert_false(sd.has_group);
  assert_false(sd.dacl_present);
  acl_sd_free(&sd);

  /* "D:" is an empty DACL (nobody has access), not an absent one. */
  assert_int_equal(acl_sddl_parse("D:", &sd, &e), WCTR_OK);
  assert_true(sd.dacl_present);
  assert_int_equal(sd.ace_count, 0);
  acl_sd_free(&sd);
}

static void test_rights_letters(void **state) {
  (void)state;
  static const struct {
    const char *letters;
    uint32_t mask;
  } rights[] = {
      {"GA", 0x10000000u}, {"GR", 0x80000000u},   {"GW", 0x40000000u},    {"GX", 0x20000000u}, {"RC", 0x00020000u},
      {"SD", 0x00010000u}, {"WD", 0x00040000u},   {"WO", 0x00080000u},    {"CC", 0x1u},        {"DC", 0x2u},
      {"LC", 0x4u},        {"SW", 0x8u},          {"RP", 0x10u},          {"WP", 0x20u},       {"DT", 0x40u},
      {"LO", 0x80u},       {"CR", 0x100u},        {"FA", 0x1f01ffu},      {"FR", 0x120089u},   {"FW", 0x120116u},
      {"FX", 0x1200a0u},   {"KA", 0xf003fu},      {"KR", 0x20019u},       {"KW", 0x20006u},    {"KX", 0x20019u},
      {"FRFW", 0x12019fu}, {"GRGW", 0xc0000000u}, {"RCSDWDWO", 0xf0000u},
  };
  for (size_t i = 0; i < COUNT_OF(rights); i++) {
    char sddl[64];
    acl_sd sd;
    wctr_errmsg e;
    snprintf(sddl, sizeof sddl, "D:(A;;%s;;;SY)", rights[i].letters);
    if (acl_sddl_parse(sddl, &sd, &e) != WCTR_OK) fail_msg("%s: %s", sddl, e.text);
    if (sd.aces[0].mask != rights[i].mask)
      fail_msg("%s: mask 0x%x, want 0x%x", rights[i].letters, sd.aces[0].mask, rights[i].mask);
    acl_sd_free(&sd);
  }
}

static void test_rights_string(void **state) {
  (void)state;
  static const struct {
    uint32_t mask;
    const char *text;
  } cases[] = {
      {0, ""},
      {ACL_FILE_ALL_ACCESS, "FA"},
      {ACL_FILE_GENERIC_READ, "FR"},
      {ACL_FILE_GENERIC_WRITE, "FW"},
      {ACL_FILE_GENERIC_EXECUTE, "FX"},
      {ACL_FILE_GENERIC_READ | ACL_FILE_GENERIC_WRITE, "0x12019f"},
      {ACL_FILE_GENERIC_READ | ACL_FILE_GENERIC_EXECUTE, "0x1200a9"},
      {ACL_RIGHT_GENERIC_ALL, "GA"},
      {ACL_RIGHT_GENERIC_READ, "GR"},
      {ACL_RIGHT_GENERIC_WRITE, "GW"},
      {ACL_RIGHT_GENERIC_EXECUTE, "GX"},
      {ACL_RIGHT_GENERIC_MASK, "GAGXGWGR"},
      {ACL_RIGHT_GENERIC_READ | ACL_RIGHT_GENERIC_WRITE, "GWGR"},
      {ACL_KEY_ALL_ACCESS, "KA"},
      {ACL_KEY_READ, "KR"},
      {ACL_KEY_WRITE, "KW"},
      {ACL_RIGHT_READ_CONTROL | ACL_RIGHT_WRITE_DAC, "RCWD"},
      {ACL_RIGHT_DELETE | (ACL_RIGHT_GENERIC_MASK & ~ACL_RIGHT_GENERIC_ALL), "SDGXGWGR"},
      {ACL_RIGHT_SYNCHRONIZE, "0x100000"},
      {0x1u, "CC"},
      {0x5u, "CCLC"},
      {0x200u, "0x200"},
      {0x01000000u, "0x1000000"}, /* ACCESS_SYSTEM_SECURITY has no SDDL name */
      {0xffffffffu, "0xffffffff"},
      {0x1301bfu, "0x1301bf"},
      {0xf01ffu, "CCDCLCSWRPWPDTLOCRSDRCWDWO"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    char out[ACL_RIGHTS_STRING_MAX];
    acl_rights_string(cases[i].mask, out);
    if (strcmp(out, cases[i].text) != 0) fail_msg("0x%x -> \"%s\", want \"%s\"", cases[i].mask, out, cases[i].text);
  }
  /* The longest possible output (every named bit, no group matching) fits. */
  char out[ACL_RIGHTS_STRING_MAX];
  acl_rights_string(0xf00f01ffu, out);
  assert_string_equal(out, "CCDCLCSWRPWPDTLOCRSDRCWDWOGAGXGWGR");
}

/* --- errors ------------------------------------------------------------------------------------ */

static void expect_parse_error(const char *sddl, const char *fragment) {
  acl_sd sd;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = acl_sddl_parse(sddl, &sd, &e);
  if (err != WCTR_EINVAL) fail_msg("\"%s\": expected WCTR_EINVAL, got %s", sddl ? sddl : "(null)", wctr_err_name(err));
  assert_int_equal(e.code, WCTR_EINVAL);
  if (strstr(e.text, fragment) == NULL)
    fail_msg("\"%s\": message \"%s\" lacks \"%s\"", sddl ? sddl : "(null)", e.text, fragment);
  /* A failed parse leaves nothing behind. */
  assert_null(sd.aces);
  assert_int_equal(sd.ace_count, 0);
  assert_false(sd.has_owner);
  assert_false(sd.has_group);
  assert_false(sd.dacl_present);
}

static void test_section_errors(void **state) {
  (void)state;
  expect_parse_error(NULL, "SDDL string is missing");
  expect_parse_error("X:", "SDDL at offset 0 (\"X:\"): expected a section \"O:\", \"G:\" or \"D:\"");
  expect_parse_error("D", "SDDL at offset 1 (end of text): expected ':' after the section letter 'D'");
  expect_parse_error("DP(A;;FA;;;SY)", "offset 1 (\"P(A;;FA;;;SY)\"): expected ':' after the section letter 'D'");
  expect_parse_error("d:(A;;FA;;;SY)", "offset 0");
  expect_parse_error("S:(AU;SA;FA;;;WD)", "SACL section \"S:\" is not supported");
  expect_parse_error("D:(A;;FA;;;SY)S:", "offset 14 (\"S:\"): SACL section");
  expect_parse_error("D:(A;;FA;;;SY)D:(A;;FA;;;BA)", "offset 14 (\"D:(A;;FA;;;BA)\"): second \"D:\" section");
  expect_parse_error("O:SYO:BA", "offset 4 (\"O:BA\"): second \"O:\" section");
  expect_parse_error("G:SYG:BA", "second \"G:\" section");
  expect_parse_error(" D:(A;;FA;;;SY)", "offset 0 (\" D:(A;;FA;;;SY)\"): expected a section");
  expect_parse_error("D:(A;;FA;;;SY) ", "offset 14 (\" \"): DACL: unexpected text");
  expect_parse_error("D:(A;;FA;;;SY)junk", "offset 14 (\"junk\"): DACL: unexpected text");
  expect_parse_error("O:SYjunk", "offset 4 (\"junk\"): owner: unexpected text");
  expect_parse_error("G:SY;", "offset 4 (\";\"): group: unexpected text");
  expect_parse_error("O:", "offset 2 (end of text): owner: expected a SID");
  expect_parse_error("O:ZZ", "offset 2 (\"ZZ\"): owner: unknown SID alias \"ZZ\"");
  expect_parse_error("G:DA", "group: SID alias \"DA\" stands for a machine- or domain-relative SID");
  expect_parse_error("O:S-1-5", "owner: SID has no sub-authority");
}

static void test_dacl_flag_errors(void **state) {
  (void)state;
  expect_parse_error(
      "D:NO_ACCESS_CONTROL",
      "offset 2 (\"NO_ACCESS_CONTRO...\"): DACL: the NULL DACL \"NO_ACCESS_CONTROL\" grants everyone full access");
  expect_parse_error("D:PNO_ACCESS_CONTROL", "NULL DACL");
  expect_parse_error("D:PX(A;;FA;;;SY)", "offset 3 (\"X(A;;FA;;;SY)\"): DACL: unknown DACL flag");
  expect_parse_error("D:A(A;;FA;;;SY)", "offset 2 (\"A(A;;FA;;;SY)\"): DACL: unknown DACL flag");
  expect_parse_error("D:pai", "offset 2 (\"pai\"): DACL: unknown DACL flag");
}

static void test_ace_errors(void **state) {
  (void)state;
  expect_parse_error("D:(", "offset 3 (end of text): ACE 1: the ACE type is missing");
  expect_parse_error("D:(;;FA;;;SY)", "ACE 1: the ACE type is missing");
  expect_parse_error("D:(A;;FA;;;SY)(OA;;FA;;;SY)",
                     "offset 15 (\"OA;;FA;;;SY)\"): ACE 2: ACE type \"OA\" is not supported");
  expect_parse_error("D:(AU;;FA;;;SY)", "ACE type \"AU\" is not supported");
  expect_parse_error("D:(ML;;NW;;;LW)", "ACE type \"ML\" is not supported");
  expect_parse_error("D:(XA;;FA;;;WD;(@User.x==1))", "ACE type \"XA\" is not supported");
  expect_parse_error("D:(a;;FA;;;SY)", "ACE type \"a\" is not supported");
  expect_parse_error("D:(A)", "offset 4 (\")\"): ACE 1: expected ';' after the ACE type");
  expect_parse_error("D:(A;XX;FA;;;SY)", "offset 5 (\"XX;FA;;;SY)\"): ACE 1: unknown ACE flag \"XX\"");
  expect_parse_error("D:(A;oi;FA;;;SY)", "unknown ACE flag \"oi\"");
  expect_parse_error("D:(A;SA;FA;;;SY)", "ACE 1: audit flag \"SA\" only has a meaning in a SACL");
  expect_parse_error("D:(A;OIFA;FA;;;SY)", "offset 7 (\"FA;FA;;;SY)\"): ACE 1: audit flag \"FA\"");
  expect_parse_error("D:(A;O;FA;;;SY)", "ACE 1: incomplete ACE flag");
  expect_parse_error("D:(A; ;FA;;;SY)", "ACE 1: incomplete ACE flag");
  expect_parse_error("D:(A;OI", "offset 7 (end of text): ACE 1: expected ';' after the ACE flags");
  expect_parse_error("D:(A;OI)", "offset 7 (\")\"): ACE 1: expected ';' after the ACE flags");
  expect_parse_error("D:(A;;ZZ;;;SY)", "offset 6 (\"ZZ;;;SY)\"): ACE 1: unknown right \"ZZ\"");
  expect_parse_error("D:(A;;FAZZ;;;SY)", "offset 8 (\"ZZ;;;SY)\"): ACE 1: unknown right \"ZZ\"");
  expect_parse_error("D:(A;;NW;;;SY)", "unknown right \"NW\"");
  expect_parse_error("D:(A;;fa;;;SY)", "unknown right \"fa\"");
  expect_parse_error("D:(A;;F;;;SY)", "ACE 1: incomplete right");
  expect_parse_error("D:(A;;FA", "offset 8 (end of text): ACE 1: expected ';' after the rights");
  expect_parse_error("D:(A;;FA)", "ACE 1: expected ';' after the rights");
  expect_parse_error("D:(A;;0x;;;SY)", "offset 6 (\"0x;;;SY)\"): ACE 1: hexadecimal rights \"0x\" have no digits");
  expect_parse_error("D:(A;;0x100000000;;;SY)", "ACE 1: rights are larger than 0xffffffff");
  expect_parse_error("D:(A;;0x1fg;;;SY)", "offset 10 (\"g;;;SY)\"): ACE 1: expected ';' after the hexadecimal rights");
  expect_parse_error("D:(A;;0x1FR;;;SY)", "offset 10 (\"R;;;SY)\"): ACE 1: expected ';' after the hexadecimal");
  expect_parse_error("D:(A;;FA0x1;;;SY)", "ACE 1: unknown right \"0x\"");
  expect_parse_error("D:(A;;0X1;;;SY)", "ACE 1: write hexadecimal rights with a lowercase \"0x\"");
  expect_parse_error("D:(A;;0x1", "ACE 1: expected ';' after the hexadecimal rights");
  expect_parse_error("D:(OA;;CR;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)", "ACE type \"OA\" is not supported");
  expect_parse_error("D:(A;;FA;ab721a53-1e2f-11d0-9819-00aa0040529b;;WD)",
                     "offset 9 (\"ab721a53-1e2f-11...\"): ACE 1: the object GUID field must be empty");
  expect_parse_error("D:(A;;FA;;ab721a53-1e2f-11d0-9819-00aa0040529b;WD)",
                     "offset 10 (\"ab721a53-1e2f-11...\"): ACE 1: the inherited object GUID field must be empty");
  expect_parse_error("D:(A;;FA;;;", "offset 11 (end of text): ACE 1: trustee: expected a SID");
  expect_parse_error("D:(A;;FA;;;)", "ACE 1: trustee: expected a SID");
  expect_parse_error("D:(A;;FA;;;ZZ)", "offset 11 (\"ZZ)\"): ACE 1: trustee: unknown SID alias \"ZZ\"");
  expect_parse_error("D:(A;;FA;;;DU)", "ACE 1: trustee: SID alias \"DU\" stands for a machine- or domain-relative SID");
  expect_parse_error("D:(A;;FA;;;S-1-5)", "ACE 1: trustee: SID has no sub-authority");
  expect_parse_error("D:(A;;FA;;;S-1-5-18-)", "ACE 1: trustee: SID sub-authority 2 is empty");
  expect_parse_error("D:(A;;FA;;;S-1-5-99999999999)", "sub-authority 1 is larger than 4294967295");
  expect_parse_error("D:(A;;FA;;;SY", "offset 13 (end of text): ACE 1: expected ')' after the SID");
  expect_parse_error("D:(A;;FA;;;SYX)", "offset 13 (\"X)\"): ACE 1: expected ')' after the SID");
  expect_parse_error("D:(A;;FA;;;SY )", "ACE 1: expected ')' after the SID");
  expect_parse_error("D:(A;;FA;;;WD;(Member_of {SID(BA)}))", "ACE 1: unexpected field after the SID");
  expect_parse_error("D:(A;;FA;;;SY)(A;;FA;;;SY)(A;;FA;;;SY)(", "ACE 4: the ACE type is missing");
}

/* Messages quote the input, so anything unprintable in it is shown as '?'. */
static void test_messages_are_printable(void **state) {
  (void)state;
  acl_sd sd;
  wctr_errmsg e;
  assert_int_equal(acl_sddl_parse("D:(A;;FA;;;SY)\x01\x1b[31m\xff", &sd, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "(\"??[31m?\")"));
  for (const char *p = e.text; *p != '\0'; p++) {
    if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) fail_msg("unprintable byte in \"%s\"", e.text);
  }
  assert_int_equal(acl_sddl_parse("D:(A;\"\";FA;;;SY)", &sd, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "unknown ACE flag \"??\""));
}

/* Windows stores an ACL in at most 65535 bytes: 8 for the header and 20 for an ACE naming SYSTEM, so
 * 3276 such ACEs fit and 3277 do not. */
static void test_acl_size_limit(void **state) {
  (void)state;
  const char *ace = "(A;;FA;;;SY)";
  size_t ace_len = strlen(ace);
  char *sddl = malloc(2 + 3277 * ace_len + 1);
  assert_non_null(sddl);
  memcpy(sddl, "D:", 2);
  for (size_t i = 0; i < 3277; i++) memcpy(sddl + 2 + i * ace_len, ace, ace_len);
  sddl[2 + 3276 * ace_len] = '\0';
  acl_sd sd;
  wctr_errmsg e;
  assert_int_equal(acl_sddl_parse(sddl, &sd, &e), WCTR_OK);
  assert_int_equal(sd.ace_count, 3276);
  assert_int_equal(sd.dacl_bytes, 8 + 3276 * 20);
  acl_sd_free(&sd);
  sddl[2 + 3276 * ace_len] = '('; /* put the 3277th ACE back */
  sddl[2 + 3277 * ace_len] = '\0';
  expect_parse_error(sddl, "ACE 3277: the DACL would be larger than 65535 bytes");
  free(sddl);
}

/* --- building and formatting a model by hand ------------------------------------------------------ */

static void test_builder(void **state) {
  (void)state;
  acl_sd sd;
  wctr_errmsg e;
  char *out = NULL;
  acl_sd_init(&sd);
  assert_int_equal(acl_sd_set_owner(&sd, "s-1-5-32-0544", &e), WCTR_OK);
  assert_string_equal(sd.owner, "S-1-5-32-544");
  assert_int_equal(acl_sd_set_group(&sd, "SY", &e), WCTR_OK);
  assert_string_equal(sd.group, "S-1-5-18");
  assert_int_equal(acl_sd_add_ace(&sd, ACL_ACE_ALLOW, ACL_ACE_OBJECT_INHERIT | ACL_ACE_CONTAINER_INHERIT,
                                  ACL_FILE_ALL_ACCESS, ACL_SID_SYSTEM, &e),
                   WCTR_OK);
  assert_int_equal(acl_sd_add_ace(&sd, ACL_ACE_DENY, 0, ACL_FILE_GENERIC_WRITE, ACL_SID_CONTAINER_USER, &e), WCTR_OK);
  assert_true(sd.dacl_present);
  sd.dacl_protected = true;
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_OK);
  assert_string_equal(out, "O:BAG:SYD:P(A;OICI;FA;;;SY)(D;;FW;;;S-1-5-93-2-2)");
  free(out);

  /* Refusals leave the descriptor as it was. */
  assert_int_equal(acl_sd_set_owner(&sd, "nobody", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "owner: "));
  assert_string_equal(sd.owner, "S-1-5-32-544");
  assert_int_equal(acl_sd_set_group(&sd, "S-1-5", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "group: SID has no sub-authority"));
  assert_string_equal(sd.group, "S-1-5-18");
  assert_int_equal(acl_sd_add_ace(&sd, (acl_ace_type)'X', 0, 1, "SY", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "neither allow nor deny"));
  assert_int_equal(acl_sd_add_ace(&sd, ACL_ACE_ALLOW, 0x40, 1, "SY", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "ACE flags 0x40"));
  assert_int_equal(acl_sd_add_ace(&sd, ACL_ACE_ALLOW, 0, 1, "S-1-5-18 ", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "ACE SID: unexpected text after the SID"));
  assert_int_equal(acl_sd_add_ace(NULL, ACL_ACE_ALLOW, 0, 1, "SY", &e), WCTR_EINVAL);
  assert_int_equal(sd.ace_count, 2);

  acl_sd_free(&sd);
  acl_sd_free(&sd); /* twice is fine */
  acl_sd_free(NULL);
}

static void test_format_errors(void **state) {
  (void)state;
  acl_ace ace = {ACL_ACE_ALLOW, 0, ACL_FILE_ALL_ACCESS, "S-1-5-18"};
  acl_sd sd;
  wctr_errmsg e;
  char *out = (char *)"untouched";

  acl_sd_init(&sd);
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_OK);
  assert_string_equal(out, ""); /* an empty descriptor */
  free(out);

  sd.dacl_present = true;
  sd.aces = &ace;
  sd.ace_count = 1;
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_OK);
  assert_string_equal(out, "D:(A;;FA;;;SY)");
  free(out);

  /* A model filled by hand may hold an alias or a non-canonical SID: it formats canonically. */
  snprintf(ace.sid, sizeof ace.sid, "s-1-5-32-0545");
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_OK);
  assert_string_equal(out, "D:(A;;FA;;;BU)");
  free(out);

  snprintf(ace.sid, sizeof ace.sid, "nobody");
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_EINVAL);
  assert_null(out);
  assert_non_null(strstr(e.text, "ACE 1: SID: "));

  snprintf(ace.sid, sizeof ace.sid, "SY");
  ace.type = (acl_ace_type)'X';
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "ACE 1: type 88 is neither allow nor deny"));

  ace.type = ACL_ACE_DENY;
  ace.flags = 0x80; /* FAILED_ACCESS_ACE_FLAG: SACL only */
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "ACE 1: flags 0x80"));
  ace.flags = 0;

  sd.has_owner = true;
  snprintf(sd.owner, sizeof sd.owner, "S-1-5");
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "owner: SID has no sub-authority"));
  sd.has_owner = false;
  sd.has_group = true;
  snprintf(sd.group, sizeof sd.group, "?");
  assert_int_equal(acl_sddl_format(&sd, &out, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "group: "));

  assert_int_equal(acl_sddl_format(NULL, &out, &e), WCTR_EINVAL);
  assert_int_equal(acl_sddl_format(&sd, NULL, &e), WCTR_EINVAL);
  /* sd.aces points at a local: not freed. */
}

static void test_canonical_reports_parse_errors(void **state) {
  (void)state;
  char *out = (char *)"untouched";
  wctr_errmsg e;
  assert_int_equal(acl_sddl_canonical("D:(A;;FA;;;ZZ)", &out, &e), WCTR_EINVAL);
  assert_null(out);
  assert_non_null(strstr(e.text, "unknown SID alias"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_every_alias_round_trips),
      cmocka_unit_test(test_parse_model),
      cmocka_unit_test(test_rights_letters),
      cmocka_unit_test(test_rights_string),
      cmocka_unit_test(test_section_errors),
      cmocka_unit_test(test_dacl_flag_errors),
      cmocka_unit_test(test_ace_errors),
      cmocka_unit_test(test_messages_are_printable),
      cmocka_unit_test(test_acl_size_limit),
      cmocka_unit_test(test_builder),
      cmocka_unit_test(test_format_errors),
      cmocka_unit_test(test_canonical_reports_parse_errors),
  };
  return cmocka_run_group_tests_name("acl/sddl", tests, NULL, NULL);
}
