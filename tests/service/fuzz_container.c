/* tests/service/fuzz_container.c - libFuzzer harness for container create params as a record takes them
 * (service/container.h over spec/spec.h), including Labels, RestartPolicy and SecurityOpt.
 *
 * The input is the params object of container.create. Aborts (a finding) when a refusal leaves nothing to
 * say, or when an accepted container does not survive its own record: the record form (with a credential
 * spec set, as the service would) must read back, and inspect must never show the spec's PluginInput. */
#define _GNU_SOURCE /* memmem */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "service/container.h"

static const char spec[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":"
    "\"web\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"c.com\",\"DnsName\":\"c.com\","
    "\"NetBiosName\":\"C\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{\"Name\":\"web\",\"Scope\":"
    "\"c.com\"}],\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\",\"PluginGUID\":"
    "\"{859E1386-BDB4-49E8-85C7-3070B13920E1}\",\"PluginInput\":\"qfuzz-plugin-secret\"}}}";

static void check(int ok) {
  if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *params = cJSON_ParseWithLength((const char *)data, size);
  if (params == NULL) return 0;
  svc_container c;
  spec_warnings w = {0};
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = svc_container_from_params(params, "0123456789abcdef", "fuzz_name", "2026-11-22T13:00:00.000Z", 4, &c,
                                           &w, &e);
  cJSON_Delete(params);
  if (err != WCTR_OK) {
    check(e.text[0] != '\0');
    return 0;
  }
  if (c.spec.credspec_option != NULL) check(svc_container_set_credspec(&c, "file://x.json", spec, &e) == WCTR_OK);
  cJSON *inspect = svc_container_to_json(&c);
  char *shown = inspect != NULL ? cJSON_PrintUnformatted(inspect) : NULL;
  /* Unless the input itself carried the sentinel (a label, a path...), inspect must not show it. It starts
   * with a letter that no JSON escape ends with (escapes end in a hex digit or b f n r t " \ /), so the
   * printed text cannot form it out of an escaped control character and the input's "fuzz...". */
  bool in_input = size >= 19 && memmem(data, size, "qfuzz-plugin-secret", 19) != NULL;
  check(shown != NULL && (in_input || strstr(shown, "qfuzz-plugin-secret") == NULL));
  cJSON_free(shown);
  cJSON_Delete(inspect);
  cJSON *record = svc_container_to_record_json(&c);
  check(record != NULL);
  svc_container back;
  err = svc_container_from_json(record, &back, &e);
  cJSON_Delete(record);
  check(err == WCTR_OK);
  check(back.spec.labels.count == c.spec.labels.count);
  check(back.spec.restart.name == c.spec.restart.name);
  check((back.spec.credspec_json == NULL) == (c.spec.credspec_json == NULL));
  svc_container_free(&back);
  svc_container_free(&c);
  return 0;
}
