/* tests/hcs/test_errors.c - hcs/errors.h: the HRESULT table (both HCS forms), and the sentence built
 * from a code and a result document. */
#include "hcs_test.h"

#include "hcs/errors.h"

static void test_both_forms(void **state) {
  (void)state;
  const hcs_error_info *a = hcs_error_lookup(0xC0370101u);
  const hcs_error_info *b = hcs_error_lookup(0x80370101u);
  assert_non_null(a);
  assert_ptr_equal(a, b);
  assert_string_equal(a->name, "HCS_E_IMAGE_MISMATCH");
  assert_string_equal(a->hint, "use --isolation=hyperv");
  static const struct {
    uint32_t hr;
    const char *name;
    wctr_err err;
  } known[] = {
      {0xC037010Eu, "HCS_E_SYSTEM_NOT_FOUND", WCTR_ENOENT},
      {0xC0370110u, "HCS_E_SYSTEM_ALREADY_STOPPED", WCTR_ESTATE},
      {0xC0370105u, "HCS_E_INVALID_STATE", WCTR_ESTATE},
      {0x80370105u, "HCS_E_INVALID_STATE", WCTR_ESTATE},
      {0xC037010Du, "HCS_E_INVALID_JSON", WCTR_EINTERNAL},
      {0xC0370106u, "HCS_E_UNEXPECTED_EXIT", WCTR_ESYSTEM},
      {0x8037011Fu, "HCS_E_PROCESS_ALREADY_STOPPED", WCTR_ESTATE},
      {0x80370118u, "HCS_E_OPERATION_TIMEOUT", WCTR_ETIMEDOUT},
      {0x8037010Fu, "HCS_E_SYSTEM_ALREADY_EXISTS", WCTR_EEXIST},
      {0x80070490u, "ERROR_NOT_FOUND", WCTR_ENOENT},
      {0x80070005u, "E_ACCESSDENIED", WCTR_EACCES},
      {0x800700AAu, "ERROR_BUSY", WCTR_EBUSY},
      {0x80070015u, "ERROR_NOT_READY", WCTR_ESTATE},
      {0xC03A0015u, "ERROR_VIRTDISK_NOT_VIRTUAL_DISK", WCTR_EINVAL},
  };
  for (size_t i = 0; i < COUNT_OF(known); i++) {
    const hcs_error_info *info = hcs_error_lookup(known[i].hr);
    if (info == NULL) FAILF("0x%08X not in the table", (unsigned)known[i].hr);
    assert_string_equal(info->name, known[i].name);
    assert_int_equal(hcs_error_code(known[i].hr), known[i].err);
  }
  assert_null(hcs_error_lookup(0x8037FFFFu));
  assert_null(hcs_error_lookup(0xC0070490u)); /* only FACILITY_VMCOMPUTE has the 0xC form */
  assert_int_equal(hcs_error_code(0), WCTR_OK);
  assert_int_equal(hcs_error_code(0x8037FFFFu), wctr_from_hresult(0x8037FFFFu));
}

static void test_table_is_well_formed(void **state) {
  (void)state;
  size_t n = 0;
  const hcs_error_info *t = hcs_error_table(&n);
  assert_true(n >= 30);
  for (size_t i = 0; i < n; i++) {
    /* HCS's own codes, Win32 ones, and the virtual disk service's (0xC03Axxxx, passed on as they are). */
    uint32_t family = t[i].code >> 16;
    if ((t[i].code & 0x80000000u) == 0 || (family != 0x8037u && family != 0x8007u && family != 0xC03Au)) {
      FAILF("row %zu: 0x%08X is not a canonical failure code", i, (unsigned)t[i].code);
    }
    if (t[i].name == NULL || t[i].meaning == NULL || t[i].meaning[0] == '\0') FAILF("row %zu incomplete", i);
    size_t len = strlen(t[i].meaning);
    if (t[i].meaning[len - 1] == '.') FAILF("row %zu: meaning ends with a period", i);
    if ((t[i].code >> 16) == 0x8037u && strncmp(t[i].name, "HCS_E_", 6) != 0) FAILF("row %zu: name %s", i, t[i].name);
    if (t[i].err == WCTR_OK) FAILF("row %zu maps to success", i);
    for (size_t j = 0; j < i; j++) {
      if (t[j].code == t[i].code) FAILF("0x%08X twice", (unsigned)t[i].code);
    }
  }
}

static void test_describe(void **state) {
  (void)state;
  char buf[512];
  /* code alone */
  assert_string_equal(hcs_error_describe(0xC0370101u, NULL, buf, sizeof buf),
                      "The container operating system does not match the host operating system "
                      "(HCS_E_IMAGE_MISMATCH, 0xC0370101); use --isolation=hyperv");
  /* the first event's message is the detail; newlines fold, the period goes */
  hcs_error_describe(0x80370101u,
                     "{\"Error\":-2143878911,\"ErrorMessage\":\"generic\",\"ErrorEvents\":[{\"Message\":\"\","
                     "\"Provider\":\"x\"},{\"Message\":\"The container image was built\\r\\nfor 10.0.17763.\","
                     "\"StackTrace\":\"secret frames\"}]}",
                     buf, sizeof buf);
  assert_string_equal(buf, "The container operating system does not match the host operating system "
                           "(HCS_E_IMAGE_MISMATCH, 0x80370101): The container image was built  for 10.0.17763; "
                           "use --isolation=hyperv");
  /* ErrorMessage when there are no events; a detail equal to the meaning is dropped */
  hcs_error_describe(0xC037010Eu, "{\"ErrorMessage\":\"A virtual machine or container with the specified "
                                  "identifier does not exist.\"}", buf, sizeof buf);
  assert_string_equal(buf, "A virtual machine or container with the specified identifier does not exist "
                           "(HCS_E_SYSTEM_NOT_FOUND, 0xC037010E)");
  hcs_error_describe(0x80070490u, "{\"ErrorMessage\":\"layer 3 is missing\"}", buf, sizeof buf);
  assert_string_equal(buf, "Element not found (ERROR_NOT_FOUND, 0x80070490): layer 3 is missing");
  /* unknown code, malformed document */
  hcs_error_describe(0x8037FFFFu, "{not json", buf, sizeof buf);
  assert_string_equal(buf, "HCS call failed (0x8037FFFF)");
  hcs_error_describe(0x8037FFFFu, "[1,2]", buf, sizeof buf);
  assert_string_equal(buf, "HCS call failed (0x8037FFFF)");
  /* hr 0: the document's Error, signed as HCS writes it */
  hcs_error_describe(0, "{\"Error\":-1070137074}", buf, sizeof buf);
  assert_string_equal(buf, "A virtual machine or container with the specified identifier does not exist "
                           "(HCS_E_SYSTEM_NOT_FOUND, 0xC037010E)");
  hcs_error_describe(0, "{\"Error\":2151088408}", buf, sizeof buf);
  assert_string_equal(buf, "The operation did not complete in time (HCS_E_OPERATION_TIMEOUT, 0x80370118); "
                           "the host may be overloaded; try again");
}

static void test_describe_truncates(void **state) {
  (void)state;
  char small[24];
  memset(small, 'x', sizeof small);
  hcs_error_describe(0xC0370101u, "{\"ErrorMessage\":\"long detail\"}", small, sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
  assert_string_equal(small, "The container operating");
  char one[1] = {'x'};
  hcs_error_describe(0xC0370101u, NULL, one, sizeof one);
  assert_int_equal(one[0], '\0');
  assert_null(hcs_error_describe(1, NULL, NULL, 0));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_both_forms),
      cmocka_unit_test(test_table_is_well_formed),
      cmocka_unit_test(test_describe),
      cmocka_unit_test(test_describe_truncates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
