/* tests/net/test_errors.c - net/errors.h: the HCN error table, records read as JSON or text, the sentence. */
#include <stdio.h>
#include <string.h>

#include "net/errors.h"
#include "testutil.h"

static void test_table(void **state) {
  (void)state;
  size_t n = 0;
  const net_error_info *t = net_error_table(&n);
  assert_true(n > 30);
  for (size_t i = 0; i < n; i++) {
    assert_non_null(t[i].name);
    assert_true(t[i].meaning[strlen(t[i].meaning) - 1] != '.');
    for (size_t j = 0; j < i; j++) assert_true(t[i].code != t[j].code);
    assert_ptr_equal(net_error_lookup(t[i].code), &t[i]);
  }
  assert_int_equal(net_error_code(NET_E_PORT_ALREADY_EXISTS), WCTR_EEXIST);
  assert_int_equal(net_error_code(NET_E_NETWORK_NOT_FOUND), WCTR_ENOENT);
  assert_int_equal(net_error_code(NET_E_ENTITY_HAS_REFERENCES), WCTR_EBUSY);
  assert_true(net_error_is_not_found(NET_E_ENDPOINT_NOT_FOUND));
  assert_true(net_error_is_not_found(NET_E_ELEMENT_NOT_FOUND));
  assert_false(net_error_is_not_found(NET_E_PORT_ALREADY_EXISTS));
  assert_null(net_error_lookup(0x803BFFFFu));
}

static void test_sentences(void **state) {
  (void)state;
  char buf[400];
  net_error_describe(NET_E_PORT_ALREADY_EXISTS, NULL, buf, sizeof buf);
  assert_string_equal(buf, "The port is already in use (HCN_E_PORT_ALREADY_EXISTS, 0x803B0013); another container or "
                           "program already publishes this host port: choose another with -p");
  net_error_describe(NET_E_NETWORK_NOT_FOUND, "{\"Success\":false,\"Error\":\"Network 'web' was not found.\\n\","
                                              "\"ErrorCode\":2151350273}", buf, sizeof buf);
  assert_string_equal(buf, "The network does not exist (HCN_E_NETWORK_NOT_FOUND, 0x803B0001): Network 'web' was not "
                           "found; see wctr network ls");
  /* a record that is plain text is the detail as it stands */
  net_error_describe(0x803BFFFFu, "  something broke.", buf, sizeof buf);
  assert_string_equal(buf, "HNS call failed (0x803BFFFF): something broke");
  /* a record repeating the meaning adds nothing */
  net_error_describe(NET_E_ENDPOINT_NOT_FOUND, "{\"Error\":\"The endpoint does not exist\"}", buf, sizeof buf);
  assert_string_equal(buf, "The endpoint does not exist (HCN_E_ENDPOINT_NOT_FOUND, 0x803B0002)");
  /* a damaged record is ignored, a short buffer is cut and terminated */
  net_error_describe(NET_E_INVALID_JSON, "{\"Error\":", buf, sizeof buf);
  assert_non_null(strstr(buf, "HCN_E_INVALID_JSON"));
  char tiny[10];
  net_error_describe(NET_E_INVALID_JSON, NULL, tiny, sizeof tiny);
  assert_int_equal(strlen(tiny), 9);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_table), cmocka_unit_test(test_sentences)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
