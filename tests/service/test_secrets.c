/* Secrets, portable half: Docker's size rule, references in a container's record, the stored record, the
 * BitLocker gate, base64. (Names, targets and the "Secrets" create param: tests/spec/test_secrets_ref.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "service/container.h"
#include "service/secrets.h"
#include "testutil.h"

static void test_sizes(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_int_equal(svc_secret_check_size(0, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "larger than 0"));
  assert_int_equal(svc_secret_check_size(1, &e), WCTR_OK);
  assert_int_equal(svc_secret_check_size(500 * 1024, &e), WCTR_OK);
  assert_int_equal(svc_secret_check_size(500 * 1024 + 1, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "500 KB"));
}

/* Secrets in a container's create params: parsed, persisted and read back with the record. */
static void test_container_secrets(void **state) {
  (void)state;
  wctr_errmsg e;
  spec_warnings w = {0};
  svc_container c;
  cJSON *p = cJSON_Parse("{\"Image\":\"host\",\"Cmd\":[\"cmd\"],\"HostConfig\":{\"Isolation\":\"job\"},"
                         "\"Secrets\":[{\"Name\":\"db\",\"Target\":\"pw.txt\"}]}");
  assert_int_equal(svc_container_from_params(p, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                             "n1", "2026-11-22T00:00:00.000Z", 4, &c, &w, &e),
                   WCTR_OK);
  assert_int_equal(c.spec.secret_count, 1);
  assert_string_equal(c.spec.secrets[0].target, "pw.txt");
  cJSON *rec = svc_container_to_json(&c);
  const cJSON *s = cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "Config"), "Secrets");
  assert_int_equal(cJSON_GetArraySize(s), 1);
  svc_container back;
  assert_int_equal(svc_container_from_json(rec, &back, &e), WCTR_OK);
  assert_int_equal(back.spec.secret_count, 1);
  assert_string_equal(back.spec.secrets[0].name, "db");
  assert_string_equal(back.spec.secrets[0].target, "pw.txt");
  svc_container_free(&back);
  cJSON_Delete(rec);
  svc_container_free(&c);
  cJSON_Delete(p);
  p = cJSON_Parse("{\"Image\":\"host\",\"Cmd\":[\"cmd\"],\"Secrets\":[{\"Name\":\"db\",\"Target\":\"CON\"}]}");
  assert_int_equal(svc_container_from_params(p, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                             "n1", "2026-11-22T00:00:00.000Z", 4, &c, &w, &e),
                   WCTR_EINVAL);
  assert_non_null(strstr(e.text, "params.Secrets[0]"));
  cJSON_Delete(p);
}

static void test_record(void **state) {
  (void)state;
  wctr_errmsg e;
  svc_secret_meta m = {.id = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", .name = "db",
                       .created = "2026-11-22T15:00:00.000Z", .size = 6};
  char *text = svc_secret_record_format(&m, "AAEC", "c2VjcmV0");
  assert_string_equal(text, "{\"Version\":1,\"ID\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\","
                            "\"Name\":\"db\",\"CreatedAt\":\"2026-11-22T15:00:00.000Z\",\"Size\":6,"
                            "\"Protection\":\"dpapi-machine\",\"Entropy\":\"AAEC\",\"Blob\":\"c2VjcmV0\"}");
  svc_secret_meta back;
  uint8_t *ent = NULL, *blob = NULL;
  size_t ent_len = 0, blob_len = 0;
  assert_int_equal(svc_secret_record_parse(text, strlen(text), "f", &back, &ent, &ent_len, &blob, &blob_len, &e), WCTR_OK);
  assert_string_equal(back.id, m.id);
  assert_string_equal(back.name, "db");
  assert_int_equal(back.size, 6);
  assert_int_equal(ent_len, 3);
  assert_int_equal(ent[2], 2);
  assert_int_equal(blob_len, 6);
  assert_memory_equal(blob, "secret", 6);
  free(ent);
  free(blob);
  cJSON *meta = svc_secret_meta_json(&m);
  char *shown = cJSON_PrintUnformatted(meta);
  assert_null(strstr(shown, "Blob"));
  assert_null(strstr(shown, "Entropy"));
  cJSON_free(shown);
  cJSON_Delete(meta);
  cJSON_free(text);
  const char *bad[][2] = {
      {"{}", "Version"},
      {"{\"Version\":2,\"ID\":\"x\",\"Name\":\"a\",\"CreatedAt\":\"t\",\"Size\":1,\"Protection\":\"dpapi-machine\",\"Entropy\":\"\",\"Blob\":\"\"}", "Version"},
      {"{\"Version\":1,\"ID\":\"x\",\"Name\":\"a\",\"CreatedAt\":\"t\",\"Size\":1,\"Protection\":\"dpapi-machine\",\"Entropy\":\"\",\"Blob\":\"\"}", "ID"},
      {"{\"Version\":1,\"ID\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"Name\":\"a\",\"CreatedAt\":\"t\",\"Size\":1,\"Protection\":\"none\",\"Entropy\":\"\",\"Blob\":\"\"}", "Protection"},
      {"{\"Version\":1,\"ID\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"Name\":\"a\",\"CreatedAt\":\"t\",\"Size\":600000,\"Protection\":\"dpapi-machine\",\"Entropy\":\"\",\"Blob\":\"\"}", "Size"},
      {"{\"Version\":1,\"ID\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"Name\":\"a\",\"CreatedAt\":\"t\",\"Size\":1,\"Protection\":\"dpapi-machine\",\"Entropy\":\"!!!!\",\"Blob\":\"\"}", "entropy"},
      /* fuzz_secrets: a CreatedAt that is not UTF-8 was written back as \ufffd escapes, too long to read again. */
      {"{\"Version\":1,\"ID\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\",\"Name\":\"a\",\"CreatedAt\":\"2026\xd1\xd1\xd1\xd1\xd1\xd1\xd1\xd1\xd1Z\",\"Size\":1,\"Protection\":\"dpapi-machine\",\"Entropy\":\"\",\"Blob\":\"\"}", "f.CreatedAt is not valid UTF-8"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(svc_secret_record_parse(bad[i][0], strlen(bad[i][0]), "f", &back, &ent, &ent_len, &blob, &blob_len, &e),
                     WCTR_EINVAL);
    if (strstr(e.text, bad[i][1]) == NULL) fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.text, bad[i][1]);
    assert_null(ent);
    assert_null(blob);
  }
}

static void test_gate(void **state) {
  (void)state;
  char why[600];
  acl_bitlocker_status v = {.volume = "C:\\"};
  acl_bitlocker_classify(1, 1, &v);
  assert_int_equal(svc_secrets_gate_decide(&v, false, why, sizeof why), SVC_SECRETS_ALLOWED);
  assert_int_equal(svc_secrets_gate_decide(&v, true, NULL, 0), SVC_SECRETS_ALLOWED);
  acl_bitlocker_classify(1, 2, &v); /* encryption in progress */
  assert_int_equal(svc_secrets_gate_decide(&v, false, why, sizeof why), SVC_SECRETS_REFUSED);
  assert_non_null(strstr(why, "encryption in progress"));
  assert_non_null(strstr(why, "allow-unencrypted-secrets"));
  acl_bitlocker_classify(0, 1, &v); /* protection suspended */
  assert_int_equal(svc_secrets_gate_decide(&v, false, why, sizeof why), SVC_SECRETS_REFUSED);
  v.state = ACL_BITLOCKER_UNKNOWN; /* Wine: no WMI provider */
  snprintf(v.detail, sizeof v.detail, "the BitLocker WMI provider is not present");
  assert_int_equal(svc_secrets_gate_decide(&v, false, why, sizeof why), SVC_SECRETS_REFUSED);
  assert_non_null(strstr(why, "unknown"));
  assert_int_equal(svc_secrets_gate_decide(&v, true, why, sizeof why), SVC_SECRETS_ALLOWED_UNENCRYPTED);
  assert_non_null(strstr(why, "allowed by"));
}

static void test_base64(void **state) {
  (void)state;
  wctr_errmsg e;
  const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < 7; i++) {
    char *c = wctr_base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
    assert_string_equal(c, coded[i]);
    free(c);
    uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(wctr_base64_decode(coded[i], strlen(coded[i]), &d, &n, "x", &e), WCTR_OK);
    assert_int_equal(n, strlen(plain[i]));
    assert_memory_equal(d, plain[i], n);
    free(d);
  }
  const char *bad[] = {"Zg=", "Zg=a", "Z===", "Zm9v\n", "Zm 9", "=Zg=", "Zh==", "Zm9=", "Zm9vYm=="};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint8_t *d = NULL;
    size_t n = 0;
    if (wctr_base64_decode(bad[i], strlen(bad[i]), &d, &n, "params.Data", &e) != WCTR_EINVAL) fail_msg("%s accepted", bad[i]);
    assert_null(d);
    assert_non_null(strstr(e.text, "params.Data"));
  }
  char z[8] = "secret!";
  wctr_secure_zero(z, sizeof z);
  for (size_t i = 0; i < sizeof z; i++) assert_int_equal(z[i], 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes), cmocka_unit_test(test_container_secrets), cmocka_unit_test(test_record),
      cmocka_unit_test(test_gate),   cmocka_unit_test(test_base64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
