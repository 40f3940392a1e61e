/* `wctr check`: every check's decision on synthetic facts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/descriptors.h"
#include "service/check.h"
#include "testutil.h"

static svc_check_result results[SVC_CHECK_COUNT];

/* A host where every check passes. */
/* svc_image_trust_status's shape: "signed", nothing refused. */
static cJSON *trust_status(const char *policy, bool signed_, const char *refused_image) {
  static cJSON *kept[8];
  static size_t nkept;
  cJSON *o = cJSON_CreateObject();
  cJSON *p = cJSON_AddObjectToObject(o, "Policy");
  cJSON_AddStringToObject(p, "Policy", policy);
  cJSON *keys = cJSON_AddArrayToObject(p, "Keys");
  cJSON_AddItemToArray(keys, cJSON_CreateObject());
  cJSON *repos = cJSON_AddObjectToObject(p, "Repositories");
  cJSON *team = cJSON_AddObjectToObject(repos, "reg.example/team");
  cJSON_AddStringToObject(team, "Policy", "off");
  cJSON_AddBoolToObject(o, "Signed", signed_);
  cJSON *r = cJSON_AddArrayToObject(o, "Refused");
  if (refused_image != NULL) {
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "Image", refused_image);
    cJSON_AddStringToObject(x, "Reason", "never verified");
    cJSON_AddItemToArray(r, x);
  }
  if (nkept == 8) nkept = 0;
  cJSON_Delete(kept[nkept]);
  kept[nkept++] = o;
  return o;
}

static svc_check_facts good(void) {
  svc_check_facts f = {
      .data_root = "C:\\ProgramData\\wctr",
      .data_root_dacl = {.value = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"},
      .pipe_dacl = {.value = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019f;;;S-1-5-21-1-2-3-1500)"},
      .binary_path = "C:\\Program Files\\wctr\\wctrd.exe",
      .binary_dacl = {.value = "D:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)"},
      .binary_dir_dacl = {.value = "D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;0x1200a9;;;BU)"
                                   "(A;OICIIOID;GA;;;CO)"},
      .audit_present = true,
      .audit_dacl = {.value = "D:P(A;;FA;;;SY)(A;;FA;;;BA)"},
      .hcs_available = true,
      .hcs_detail = "C:\\Windows\\System32\\computecore.dll",
      .os_version = "10.0.20348",
  };
  f.image_trust = trust_status("signed", true, NULL);
  snprintf(f.bitlocker.volume, sizeof f.bitlocker.volume, "C:\\");
  acl_bitlocker_classify(1, 1, &f.bitlocker);
  return f;
}

static const svc_check_result *run(const svc_check_facts *f, const char *id) {
  svc_check_run(f, results);
  for (size_t i = 0; i < SVC_CHECK_COUNT; i++) {
    if (strcmp(results[i].id, id) == 0) return &results[i];
  }
  fail_msg("no check %s", id);
  return NULL;
}

static void expect(const svc_check_facts *f, const char *id, svc_check_status status, const char *detail_part) {
  const svc_check_result *r = run(f, id);
  if (r->status != status) {
    fail_msg("%s: %s (%s), wanted %s", id, svc_check_status_name(r->status), r->detail, svc_check_status_name(status));
  }
  if (detail_part != NULL && strstr(r->detail, detail_part) == NULL) fail_msg("%s: \"%s\" lacks \"%s\"", id, r->detail, detail_part);
  if (status == SVC_CHECK_PASS) {
    assert_string_equal(r->remedy, "");
  } else if (status != SVC_CHECK_INFO) {
    assert_true(strlen(r->remedy) > 10);
  }
}

static void test_all_pass_and_json(void **state) {
  (void)state;
  svc_check_facts f = good();
  svc_check_run(&f, results);
  const char *ids[SVC_CHECK_COUNT] = {"data-root-dacl", "pipe-dacl", "bitlocker", "allow-unencrypted-secrets",
                                      "service-binary", "container-memory-limit", "container-user",
                                      "credspec-plugin-input", "orphaned-secrets", "container-records", "audit-log",
                                      "hcs", "host-build", "image-trust"};
  for (size_t i = 0; i < SVC_CHECK_COUNT; i++) {
    assert_string_equal(results[i].id, ids[i]);
    if (results[i].status != SVC_CHECK_PASS) fail_msg("%s: %s", results[i].id, results[i].detail);
  }
  cJSON *j = svc_check_json(results, SVC_CHECK_COUNT);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "Checks")), SVC_CHECK_COUNT);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "Summary"), "Pass")->valueint, SVC_CHECK_COUNT);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "Summary"), "Fail")->valueint, 0);
  cJSON_Delete(j);
}

static void test_image_trust(void **state) {
  (void)state;
  svc_check_facts f = good();
  const svc_check_result *r = run(&f, "image-trust");
  assert_int_equal(r->status, SVC_CHECK_PASS);
  assert_non_null(strstr(r->detail, "\"signed\" (1 key), reg.example/team: \"off\""));
  f.image_trust = trust_status("off", false, NULL);
  expect(&f, "image-trust", SVC_CHECK_WARN, "any image pulled, loaded or added runs");
  f.image_trust = trust_status("signed", true, "app:v1");
  expect(&f, "image-trust", SVC_CHECK_WARN, "1 image(s) in the store would be refused at run: app:v1");
  f.image_trust = NULL;
  expect(&f, "image-trust", SVC_CHECK_INFO, "did not report");
}

static void test_data_root(void **state) {
  (void)state;
  svc_check_facts f = good();
  f.data_root_dacl.value = "D:(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"; /* inheritance not cut */
  expect(&f, "data-root-dacl", SVC_CHECK_FAIL, "protected");
  f.data_root_dacl.value = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)"; /* grants more */
  expect(&f, "data-root-dacl", SVC_CHECK_FAIL, "read back");
  f.data_root_dacl = (svc_check_text){.error = "access denied"};
  expect(&f, "data-root-dacl", SVC_CHECK_FAIL, "access denied");
}

static void test_pipe(void **state) {
  (void)state;
  svc_check_facts f = good();
  f.pipe_dacl.value = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FRFW;;;BU)";
  expect(&f, "pipe-dacl", SVC_CHECK_FAIL, "Users may write");
  f.pipe_dacl.value = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;GA;;;WD)";
  expect(&f, "pipe-dacl", SVC_CHECK_FAIL, "Everyone");
  f.pipe_dacl.value = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;0x12019f;;;AU)";
  expect(&f, "pipe-dacl", SVC_CHECK_FAIL, "Authenticated Users");
  f.pipe_dacl.value = "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;WD)"; /* read only: fine */
  expect(&f, "pipe-dacl", SVC_CHECK_PASS, NULL);
  f.pipe_dacl.value = "D:P(A;;FA;;;SY)(D;;FA;;;BU)"; /* a deny ACE grants nothing */
  expect(&f, "pipe-dacl", SVC_CHECK_PASS, NULL);
  f.pipe_dacl = (svc_check_text){.error = "gone"};
  expect(&f, "pipe-dacl", SVC_CHECK_WARN, "gone");
}

static void test_bitlocker_and_override(void **state) {
  (void)state;
  svc_check_facts f = good();
  f.bitlocker.state = ACL_BITLOCKER_UNKNOWN;
  expect(&f, "bitlocker", SVC_CHECK_WARN, "refused");
  expect(&f, "allow-unencrypted-secrets", SVC_CHECK_PASS, NULL);
  f.allow_unencrypted_secrets = true;
  expect(&f, "bitlocker", SVC_CHECK_FAIL, "anyway");
  expect(&f, "allow-unencrypted-secrets", SVC_CHECK_FAIL, "unknown");
  f = good();
  f.allow_unencrypted_secrets = true;
  expect(&f, "allow-unencrypted-secrets", SVC_CHECK_WARN, "encrypted today");
}

static void test_binary(void **state) {
  (void)state;
  svc_check_facts f = good();
  f.binary_dir_dacl.value = "D:(A;OICI;FA;;;SY)(A;OICI;0x1301bf;;;AU)"; /* Modify for Authenticated Users */
  expect(&f, "service-binary", SVC_CHECK_FAIL, "its folder");
  f = good();
  f.binary_dacl.value = "D:(A;;FA;;;SY)(A;;FW;;;S-1-5-21-1-2-3-1001)";
  expect(&f, "service-binary", SVC_CHECK_FAIL, "S-1-5-21-1-2-3-1001");
  f = good();
  f.binary_dacl = (svc_check_text){.error = "no such file"};
  expect(&f, "service-binary", SVC_CHECK_WARN, "no such file");
}

static void test_containers(void **state) {
  (void)state;
  svc_check_facts f = good();
  cJSON *list = cJSON_Parse(
      "[{\"Name\":\"web\",\"Config\":{},\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":524288000},\"Identity\":\"NT AUTHORITY\\\\LOCAL SERVICE\"},"
      " {\"Name\":\"db\",\"Config\":{\"User\":\"ContainerUser\"},\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":0}},"
      " {\"Name\":\"adm\",\"Config\":{\"User\":\"ContainerAdministrator\"},\"HostConfig\":{\"Isolation\":\"hyperv\",\"Memory\":1}},"
      " {\"Name\":\"img\",\"Config\":{},\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":1},\"Identity\":\"ContainerAdministrator\"},"
      " {\"Name\":\"cu\",\"Config\":{},\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":1},\"Identity\":\"ContainerUser\"},"
      " {\"Name\":\"root\",\"Config\":{},\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":1},\"Identity\":\"HOST\\\\Administrator\"}]");
  f.containers = list;
  expect(&f, "container-memory-limit", SVC_CHECK_WARN, "1 of 6 without a memory limit: db");
  const svc_check_result *r = run(&f, "container-user");
  assert_int_equal(r->status, SVC_CHECK_WARN);
  assert_non_null(strstr(r->detail, "3 container(s)"));
  assert_non_null(strstr(r->detail, "adm (ContainerAdministrator)"));
  assert_non_null(strstr(r->detail, "img (ContainerAdministrator)")); /* the image's user, as it ran */
  assert_null(strstr(r->detail, "cu ("));
  assert_non_null(strstr(r->detail, "root (HOST\\Administrator)"));
  assert_null(strstr(r->detail, "web"));
  assert_null(strstr(r->detail, "db ("));
  cJSON_Delete(list);
  list = cJSON_Parse("[{\"Name\":\"x\",\"Config\":{\"User\":\"S-1-5-21-9-9-9-500\"},\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":5}}]");
  f.containers = list;
  expect(&f, "container-user", SVC_CHECK_WARN, "x (S-1-5-21-9-9-9-500)");
  expect(&f, "container-memory-limit", SVC_CHECK_PASS, NULL);
  cJSON_Delete(list);
}

/* A valid credential spec whose PluginInput is input. */
static void spec_with(char *out, size_t size, const char *input) {
  snprintf(out, size,
      "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\","
      "\"MachineAccountName\":\"web\",\"Guid\":\"01234567-89ab-cdef-0123-456789abcdef\",\"DnsTreeName\":\"c.com\","
      "\"DnsName\":\"c.com\",\"NetBiosName\":\"C\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":"
      "[{\"Name\":\"web\",\"Scope\":\"c.com\"}],\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\",\"PluginGUID\":"
      "\"{859E1386-BDB4-49E8-85C7-3070B13920E1}\",\"PluginInput\":\"%s\"}}}",
           input);
}

static void test_credspecs(void **state) {
  (void)state;
  char clear[1024], vault[1024];
  spec_with(clear, sizeof clear, "contoso.com:ccguser:Hunter2!");
  spec_with(vault, sizeof vault, "ObjectId=1234;SecretUri=https://vault.azure.net/secrets/x");
  svc_check_credspec specs[3] = {{.file = "vault.json", .text = vault, .len = strlen(vault)},
                                 {.file = "clear.json", .text = clear, .len = strlen(clear)},
                                 {.file = "junk.json", .text = "[1,2]", .len = 5}};
  svc_check_facts f = good();
  f.credspecs = specs;
  f.credspec_count = 1;
  expect(&f, "credspec-plugin-input", SVC_CHECK_PASS, "1 credential spec");
  f.credspec_count = 2;
  const svc_check_result *r = run(&f, "credspec-plugin-input");
  assert_int_equal(r->status, SVC_CHECK_FAIL);
  assert_non_null(strstr(r->detail, "clear.json"));
  assert_null(strstr(r->detail, "Hunter2")); /* never the value */
  assert_null(strstr(r->detail, "vault.json"));
  /* Files wctrd could not read never make it PASS (a spec saved as leak.tmp was never
   * read); a password found still FAILs. */
  f.credspecs_unchecked = 3;
  expect(&f, "credspec-plugin-input", SVC_CHECK_FAIL, "clear.json");
  f.credspec_count = 1;
  expect(&f, "credspec-plugin-input", SVC_CHECK_WARN, "3 could not be read");
  f.credspecs_unchecked = 0;
  f.credspec_count = 2;
  specs[1] = specs[2];
  expect(&f, "credspec-plugin-input", SVC_CHECK_WARN, "junk.json");
  assert_true(svc_check_plugin_input_cleartext("d:u:p"));
  assert_false(svc_check_plugin_input_cleartext("d:u:"));
  assert_false(svc_check_plugin_input_cleartext(":u:p"));
  assert_false(svc_check_plugin_input_cleartext("d::p"));
  assert_false(svc_check_plugin_input_cleartext("https://vault/x"));
  assert_false(svc_check_plugin_input_cleartext(NULL));
}

static void test_orphans_audit_hcs_build(void **state) {
  (void)state;
  svc_check_facts f = good();
  const char *ids[] = {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
  f.orphaned_secret_dirs = ids;
  f.orphaned_count = 1;
  expect(&f, "orphaned-secrets", SVC_CHECK_FAIL, "0123456789ab");
  /* A record moved aside at start made its container vanish, and check said nothing. */
  f = good();
  expect(&f, "container-records", SVC_CHECK_PASS, "none moved aside");
  const char *damaged[] = {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.damaged"};
  f.damaged_records = damaged;
  f.damaged_count = 1;
  expect(&f, "container-records", SVC_CHECK_WARN,
         "1 record(s) could not be read and were moved aside (those containers are not listed): "
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.damaged");
  f = good();
  f.audit_present = false;
  expect(&f, "audit-log", SVC_CHECK_FAIL, "no audit log");
  f = good();
  f.audit_dacl.value = "D:(A;;FA;;;SY)(A;;FA;;;S-1-5-21-0-0-0-1000)(A;;0x1200a9;;;WD)"; /* what Wine reports */
  expect(&f, "audit-log", SVC_CHECK_FAIL, "expected " ACL_SDDL_DATA_FILE);
  f = good();
  f.hcs_available = false;
  f.hcs_detail = "computecore.dll cannot be loaded";
  expect(&f, "hcs", SVC_CHECK_INFO, "cannot be loaded");
  const char *builds[][2] = {{"10.0.17763", "PASS"}, {"10.0.26100", "PASS"}, {"10.0.22631", "WARN"},
                             {"10.0.14393", "FAIL"}, {"6.1.7601", "FAIL"},  {"garbage", "WARN"}};
  for (size_t i = 0; i < sizeof builds / sizeof builds[0]; i++) {
    f.os_version = builds[i][0];
    const svc_check_result *r = run(&f, "host-build");
    if (strcmp(svc_check_status_name(r->status), builds[i][1]) != 0) {
      fail_msg("%s: %s, wanted %s", builds[i][0], svc_check_status_name(r->status), builds[i][1]);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_all_pass_and_json), cmocka_unit_test(test_data_root), cmocka_unit_test(test_pipe),
      cmocka_unit_test(test_bitlocker_and_override), cmocka_unit_test(test_binary), cmocka_unit_test(test_containers),
      cmocka_unit_test(test_credspecs), cmocka_unit_test(test_orphans_audit_hcs_build),
      cmocka_unit_test(test_image_trust),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
