/* tests/common/test_error.c - common/error.h: names, messages, wctr_fail and the Windows code tables.
 *
 * The translation tests are generated from the X-macro lists of common/error_codes.inc, so an entry
 * added there is tested without touching this file. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "common/error.h"
#include "common/error_codes.inc"

/* Every code as the X-macro list spells it, independent of error.c's own tables. */
struct err_spec {
  wctr_err code;
  const char *symbol;
  const char *wire;
  const char *message;
};

static const struct err_spec all_errors[] = {
#define SPEC(name, wire, msg) {WCTR_##name, "WCTR_" #name, wire, msg},
    WCTR_ERRNO_MAP(SPEC)
#undef SPEC
};
#define ERROR_COUNT (sizeof all_errors / sizeof all_errors[0])

/* One entry of a Windows code list. */
struct win_code {
  const char *symbol;
  uint32_t value;
  wctr_err want;
};

#define WIN_CODE(name, value, err) {#name, value, WCTR_##err},
static const struct win_code win32_codes[] = {WCTR_WIN32_CODES(WIN_CODE)};
static const struct win_code hresult_codes[] = {WCTR_HRESULT_CODES(WIN_CODE)};
static const struct win_code ntstatus_codes[] = {WCTR_NTSTATUS_CODES(WIN_CODE)};
#undef WIN_CODE
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#define STATUS_TIMEOUT_VALUE 0x00000102u
#define HRESULT_FROM_WIN32_VALUE(c) (0x80070000u | ((c)&0xFFFFu))
#define NTSTATUS_FROM_WIN32_VALUE(c) (0xC0070000u | ((c)&0xFFFFu))

static void expect_code(const char *what, const char *symbol, uint32_t value, wctr_err got, wctr_err want) {
  if (got != want) {
    fail_msg("%s(%s = 0x%08lX) gave %s, want %s", what, symbol, (unsigned long)value, wctr_err_name(got),
             wctr_err_name(want));
  }
}

static bool in_list(const struct win_code *list, size_t n, uint32_t value) {
  for (size_t i = 0; i < n; i++) {
    if (list[i].value == value) return true;
  }
  return false;
}

/* --- names and messages ------------------------------------------------------------------------ */

static void test_enum_matches_list(void **state) {
  (void)state;
  assert_int_equal(ERROR_COUNT, WCTR__ERR_COUNT);
  /* 0 is success: every caller writes `if (err != WCTR_OK)` and wctr_from_* rely on it. */
  assert_int_equal(WCTR_OK, 0);
  for (size_t i = 0; i < ERROR_COUNT; i++) assert_int_equal(all_errors[i].code, (wctr_err)i);
}

static void test_names_and_messages(void **state) {
  (void)state;
  for (size_t i = 0; i < ERROR_COUNT; i++) {
    const struct err_spec *s = &all_errors[i];
    const char *name = wctr_err_name(s->code);
    const char *message = wctr_strerror(s->code);
    assert_non_null(name);
    assert_non_null(message);
    if (strcmp(name, s->wire) != 0) fail_msg("%s: wire name \"%s\", want \"%s\"", s->symbol, name, s->wire);
    if (strcmp(message, s->message) != 0) {
      fail_msg("%s: message \"%s\", want \"%s\"", s->symbol, message, s->message);
    }
    if (name[0] == '\0') fail_msg("%s has an empty wire name", s->symbol);
    if (message[0] == '\0') fail_msg("%s has an empty message", s->symbol);
    /* Wire names are identifiers clients match on: lower case letters and underscores only. */
    for (const char *p = name; *p != '\0'; p++) {
      if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
        fail_msg("%s: wire name \"%s\" has '%c'", s->symbol, name, *p);
    }
  }
}

static void test_names_and_messages_distinct(void **state) {
  (void)state;
  for (size_t i = 0; i < ERROR_COUNT; i++) {
    for (size_t j = i + 1; j < ERROR_COUNT; j++) {
      if (strcmp(wctr_err_name((wctr_err)i), wctr_err_name((wctr_err)j)) == 0) {
        fail_msg("%s and %s share the wire name \"%s\"", all_errors[i].symbol, all_errors[j].symbol,
                 wctr_err_name((wctr_err)i));
      }
      if (strcmp(wctr_strerror((wctr_err)i), wctr_strerror((wctr_err)j)) == 0) {
        fail_msg("%s and %s share the message \"%s\"", all_errors[i].symbol, all_errors[j].symbol,
                 wctr_strerror((wctr_err)i));
      }
    }
  }
}

static void test_from_name_round_trip(void **state) {
  (void)state;
  for (size_t i = 0; i < ERROR_COUNT; i++) {
    wctr_err out = WCTR__ERR_COUNT;
    assert_int_equal(wctr_err_from_name(all_errors[i].wire, &out), 0);
    if (out != all_errors[i].code) fail_msg("\"%s\" read back as %d", all_errors[i].wire, (int)out);
  }
}

static void test_from_name_refuses_unknown(void **state) {
  (void)state;
  static const char *const unknown[] = {
      "",          "nope",   "Invalid_Argument", "INVALID_ARGUMENT", "invalid_argument ", " timeout",
      "timeout\n", "EINVAL", "WCTR_EINVAL",      "invalid argument", "internal_",         "unknown_op.",
      "o",
  };
  for (size_t i = 0; i < COUNT_OF(unknown); i++) {
    wctr_err out = WCTR_EBUSY;
    if (wctr_err_from_name(unknown[i], &out) != -1)
      fail_msg("\"%s\" was accepted as a wire name", unknown[i]);
    assert_int_equal(out, WCTR_EBUSY); /* untouched */
  }
  wctr_err out = WCTR_EBUSY;
  assert_int_equal(wctr_err_from_name(NULL, &out), -1);
  assert_int_equal(out, WCTR_EBUSY);
}

static void test_out_of_range_values(void **state) {
  (void)state;
  const wctr_err bad[] = {WCTR__ERR_COUNT, (wctr_err)(WCTR__ERR_COUNT + 1), (wctr_err)1000, (wctr_err)-1,
                          (wctr_err)INT32_MIN};
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    assert_string_equal(wctr_strerror(bad[i]), "unknown error");
    assert_string_equal(wctr_err_name(bad[i]), "internal");
  }
  /* The name given to an unknown value must read back as a real code, not fail on the client. */
  wctr_err out = WCTR_OK;
  assert_int_equal(wctr_err_from_name(wctr_err_name(WCTR__ERR_COUNT), &out), 0);
  assert_int_equal(out, WCTR_EINTERNAL);
}

/* --- wctr_fail ----------------------------------------------------------------------------------- */

static void test_fail_fills_text(void **state) {
  (void)state;
  wctr_errmsg e;
  memset(&e, 'x', sizeof e);
  assert_int_equal(wctr_fail(&e, WCTR_ENOENT, "container \"%s\" has %d %s", "web", 3, "parts"), WCTR_ENOENT);
  assert_int_equal(e.code, WCTR_ENOENT);
  assert_string_equal(e.text, "container \"web\" has 3 parts");

  assert_int_equal(wctr_fail(&e, WCTR_EINVAL, "%s", ""), WCTR_EINVAL);
  assert_int_equal(e.code, WCTR_EINVAL);
  assert_string_equal(e.text, "");

  /* A message that is data, not a format: % in it is not interpreted. */
  assert_int_equal(wctr_fail(&e, WCTR_EIO, "%s", "100%s done %n"), WCTR_EIO);
  assert_string_equal(e.text, "100%s done %n");
}

static void test_fail_without_message_returns_code(void **state) {
  (void)state;
  for (size_t i = 0; i < ERROR_COUNT; i++) {
    assert_int_equal(wctr_fail(NULL, all_errors[i].code, "ignored %d", 1), all_errors[i].code);
  }
}

static void test_fail_truncates_safely(void **state) {
  (void)state;
  /* The guard bytes catch a write past text[], which ASan cannot see inside one struct. */
  struct {
    wctr_errmsg e;
    char guard[32];
  } box;
  char long_text[2000];
  memset(&box, 0, sizeof box);
  memset(box.guard, 0x5A, sizeof box.guard);
  for (size_t i = 0; i < sizeof long_text - 1; i++) long_text[i] = (char)('a' + (char)(i % 26));
  long_text[sizeof long_text - 1] = '\0';

  assert_int_equal(wctr_fail(&box.e, WCTR_ETOOBIG, "%s", long_text), WCTR_ETOOBIG);
  assert_int_equal(box.e.code, WCTR_ETOOBIG);
  assert_int_equal(strlen(box.e.text), sizeof box.e.text - 1);
  assert_memory_equal(box.e.text, long_text, sizeof box.e.text - 1);
  for (size_t i = 0; i < sizeof box.guard; i++) assert_int_equal((unsigned char)box.guard[i], 0x5A);

  /* Exactly as long as the buffer allows: kept whole. One more: the last character goes. */
  long_text[sizeof box.e.text - 1] = '\0';
  wctr_fail(&box.e, WCTR_EINVAL, "%s", long_text);
  assert_string_equal(box.e.text, long_text);
  long_text[sizeof box.e.text - 1] = 'Q';
  long_text[sizeof box.e.text] = '\0';
  wctr_fail(&box.e, WCTR_EINVAL, "%s", long_text);
  assert_int_equal(strlen(box.e.text), sizeof box.e.text - 1);
  assert_memory_equal(box.e.text, long_text, sizeof box.e.text - 1);
  for (size_t i = 0; i < sizeof box.guard; i++) assert_int_equal((unsigned char)box.guard[i], 0x5A);
}

static void test_errmsg_clear(void **state) {
  (void)state;
  wctr_errmsg e;
  wctr_fail(&e, WCTR_EACCES, "denied");
  wctr_errmsg_clear(&e);
  assert_int_equal(e.code, WCTR_OK);
  assert_string_equal(e.text, "");
  wctr_errmsg_clear(NULL);
}

/* --- Windows codes: every table entry ------------------------------------------------------------ */

static void test_win32_table(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(win32_codes); i++) {
    const struct win_code *c = &win32_codes[i];
    assert_int_not_equal(c->want, WCTR_OK);
    expect_code("wctr_from_win32", c->symbol, c->value, wctr_from_win32(c->value), c->want);
  }
}

/* HRESULT_FROM_WIN32 and FACILITY_NTWIN32 wrap the same number: they must translate like it. */
static void test_win32_table_wrapped(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(win32_codes); i++) {
    const struct win_code *c = &win32_codes[i];
    /* Only the low 16 bits survive the wrapping; a larger value could never be reached that way. */
    if (c->value > 0xFFFFu)
      fail_msg("%s = %lu does not fit a FACILITY_WIN32 HRESULT", c->symbol, (unsigned long)c->value);
    expect_code("wctr_from_hresult(HRESULT_FROM_WIN32)", c->symbol, HRESULT_FROM_WIN32_VALUE(c->value),
                wctr_from_hresult(HRESULT_FROM_WIN32_VALUE(c->value)), c->want);
    expect_code("wctr_from_ntstatus(FACILITY_NTWIN32)", c->symbol, NTSTATUS_FROM_WIN32_VALUE(c->value),
                wctr_from_ntstatus(NTSTATUS_FROM_WIN32_VALUE(c->value)), c->want);
  }
}

static void test_hresult_table(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(hresult_codes); i++) {
    const struct win_code *c = &hresult_codes[i];
    /* An entry that is a success or a FACILITY_WIN32 value would never be looked up. */
    if ((c->value & 0x80000000u) == 0) fail_msg("%s is not a failure HRESULT", c->symbol);
    if (((c->value >> 16) & 0x7FFu) == 7u)
      fail_msg("%s belongs in WCTR_WIN32_CODES (FACILITY_WIN32)", c->symbol);
    assert_int_not_equal(c->want, WCTR_OK);
    expect_code("wctr_from_hresult", c->symbol, c->value, wctr_from_hresult(c->value), c->want);
  }
}

static void test_ntstatus_table(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(ntstatus_codes); i++) {
    const struct win_code *c = &ntstatus_codes[i];
    if (c->value != STATUS_TIMEOUT_VALUE && (c->value >> 30) != 3u)
      fail_msg("%s is not an error NTSTATUS", c->symbol);
    if (((c->value >> 16) & 0xFFFu) == 7u)
      fail_msg("%s belongs in WCTR_WIN32_CODES (FACILITY_NTWIN32)", c->symbol);
    assert_int_not_equal(c->want, WCTR_OK);
    expect_code("wctr_from_ntstatus", c->symbol, c->value, wctr_from_ntstatus(c->value), c->want);
  }
}

/* Two entries with one value: the second would silently never be used. */
static void check_no_duplicate_values(const char *list, const struct win_code *codes, size_t n) {
  for (size_t i = 0; i < n; i++) {
    for (size_t j = i + 1; j < n; j++) {
      if (codes[i].value == codes[j].value) {
        fail_msg("%s: %s and %s are both 0x%08lX", list, codes[i].symbol, codes[j].symbol,
                 (unsigned long)codes[i].value);
      }
    }
  }
}

static void test_tables_have_no_duplicates(void **state) {
  (void)state;
  check_no_duplicate_values("WCTR_WIN32_CODES", win32_codes, COUNT_OF(win32_codes));
  check_no_duplicate_values("WCTR_HRESULT_CODES", hresult_codes, COUNT_OF(hresult_codes));
  check_no_duplicate_values("WCTR_NTSTATUS_CODES", ntstatus_codes, COUNT_OF(ntstatus_codes));
}

/* --- Windows codes: the structural rules ------------------------------------------------------- */

static void test_win32_rules(void **state) {
  (void)state;
  assert_int_equal(wctr_from_win32(0), WCTR_OK); /* ERROR_SUCCESS */
  /* Failures the table does not list. */
  const uint32_t unknown[] = {
      1u /* ERROR_INVALID_FUNCTION */, 4u, 13u, 1223u, 0xFFFFu, 0x10000u, 0x80070005u, 0xFFFFFFFFu};
  for (size_t i = 0; i < COUNT_OF(unknown); i++) {
    assert_false(in_list(win32_codes, COUNT_OF(win32_codes), unknown[i]));
    expect_code("wctr_from_win32", "unlisted", unknown[i], wctr_from_win32(unknown[i]), WCTR_ESYSTEM);
  }
}

static void test_hresult_rules(void **state) {
  (void)state;
  /* Any HRESULT with the severity bit clear is a success: S_OK, S_FALSE, and others. */
  const uint32_t success[] = {0u, 1u, 0x00070005u, 0x00041002u, 0x7FFFFFFFu};
  for (size_t i = 0; i < COUNT_OF(success); i++) {
    expect_code("wctr_from_hresult", "success", success[i], wctr_from_hresult(success[i]), WCTR_OK);
  }
  /* FACILITY_WIN32 goes through the Win32 table, whatever the table holds. */
  expect_code("wctr_from_hresult", "E_ACCESSDENIED", 0x80070005u, wctr_from_hresult(0x80070005u),
              WCTR_EACCES);
  expect_code("wctr_from_hresult", "E_HANDLE", 0x80070006u, wctr_from_hresult(0x80070006u), WCTR_EINVAL);
  expect_code("wctr_from_hresult", "E_OUTOFMEMORY", 0x8007000Eu, wctr_from_hresult(0x8007000Eu), WCTR_ENOMEM);
  expect_code("wctr_from_hresult", "E_INVALIDARG", 0x80070057u, wctr_from_hresult(0x80070057u), WCTR_EINVAL);
  for (uint32_t code = 1; code <= 0xFFFFu; code++) {
    uint32_t hr = HRESULT_FROM_WIN32_VALUE(code);
    if (wctr_from_hresult(hr) != wctr_from_win32(code)) {
      fail_msg("0x%08lX translates unlike Win32 code %lu", (unsigned long)hr, (unsigned long)code);
    }
  }
  /* Unknown failures. */
  const uint32_t unknown[] = {0x80070001u /* HRESULT_FROM_WIN32(ERROR_INVALID_FUNCTION) */,
                              0x80004006u,
                              0x80001234u,
                              0x8004DEADu,
                              0x800F0922u,
                              0xC0000022u,
                              0xFFFFFFFFu,
                              0x80000000u};
  for (size_t i = 0; i < COUNT_OF(unknown); i++) {
    assert_false(in_list(hresult_codes, COUNT_OF(hresult_codes), unknown[i]));
    expect_code("wctr_from_hresult", "unlisted failure", unknown[i], wctr_from_hresult(unknown[i]),
                WCTR_ESYSTEM);
  }
}

/* A failure HRESULT or NTSTATUS must never come back as success, even when the Win32 code it wraps
 * is 0 (ERROR_SUCCESS): the caller would carry on as if the call had worked. */
static void test_wrapped_zero_is_a_failure(void **state) {
  (void)state;
  expect_code("wctr_from_hresult", "0x80070000", 0x80070000u, wctr_from_hresult(0x80070000u), WCTR_ESYSTEM);
  expect_code("wctr_from_ntstatus", "0xC0070000", 0xC0070000u, wctr_from_ntstatus(0xC0070000u), WCTR_ESYSTEM);
}

static void test_ntstatus_rules(void **state) {
  (void)state;
  /* STATUS_TIMEOUT is a success code by severity, but a wait that ran out is a timeout. */
  expect_code("wctr_from_ntstatus", "STATUS_TIMEOUT", STATUS_TIMEOUT_VALUE,
              wctr_from_ntstatus(STATUS_TIMEOUT_VALUE), WCTR_ETIMEDOUT);
  /* Success and informational severities: STATUS_SUCCESS, STATUS_WAIT_1, STATUS_ABANDONED_WAIT_0,
   * STATUS_USER_APC, STATUS_PENDING, an informational code. */
  const uint32_t success[] = {0u, 1u, 0x80u, 0xC0u, 0x103u, 0x40000000u, 0x40000006u, 0x7FFFFFFFu};
  for (size_t i = 0; i < COUNT_OF(success); i++) {
    expect_code("wctr_from_ntstatus", "success", success[i], wctr_from_ntstatus(success[i]), WCTR_OK);
  }
  /* FACILITY_NTWIN32 goes through the Win32 table. */
  expect_code("wctr_from_ntstatus", "0xC0070005", 0xC0070005u, wctr_from_ntstatus(0xC0070005u), WCTR_EACCES);
  for (uint32_t code = 1; code <= 0xFFFFu; code++) {
    uint32_t status = NTSTATUS_FROM_WIN32_VALUE(code);
    if (wctr_from_ntstatus(status) != wctr_from_win32(code)) {
      fail_msg("0x%08lX translates unlike Win32 code %lu", (unsigned long)status, (unsigned long)code);
    }
  }
  /* Warnings (STATUS_BUFFER_OVERFLOW, STATUS_NO_MORE_FILES) and unlisted errors (STATUS_UNSUCCESSFUL,
   * STATUS_INVALID_HANDLE) are failures the table does not know. */
  const uint32_t unknown[] = {0x80000005u, 0x80000006u, 0xC0000001u, 0xC0000008u,
                              0xC0000409u, 0xFFFFFFFFu, 0x80000000u};
  for (size_t i = 0; i < COUNT_OF(unknown); i++) {
    assert_false(in_list(ntstatus_codes, COUNT_OF(ntstatus_codes), unknown[i]));
    expect_code("wctr_from_ntstatus", "unlisted failure", unknown[i], wctr_from_ntstatus(unknown[i]),
                WCTR_ESYSTEM);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_enum_matches_list),
      cmocka_unit_test(test_names_and_messages),
      cmocka_unit_test(test_names_and_messages_distinct),
      cmocka_unit_test(test_from_name_round_trip),
      cmocka_unit_test(test_from_name_refuses_unknown),
      cmocka_unit_test(test_out_of_range_values),
      cmocka_unit_test(test_fail_fills_text),
      cmocka_unit_test(test_fail_without_message_returns_code),
      cmocka_unit_test(test_fail_truncates_safely),
      cmocka_unit_test(test_errmsg_clear),
      cmocka_unit_test(test_win32_table),
      cmocka_unit_test(test_win32_table_wrapped),
      cmocka_unit_test(test_hresult_table),
      cmocka_unit_test(test_ntstatus_table),
      cmocka_unit_test(test_tables_have_no_duplicates),
      cmocka_unit_test(test_win32_rules),
      cmocka_unit_test(test_hresult_rules),
      cmocka_unit_test(test_wrapped_zero_is_a_failure),
      cmocka_unit_test(test_ntstatus_rules),
  };
  return cmocka_run_group_tests_name("common/error", tests, NULL, NULL);
}
