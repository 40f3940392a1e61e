/* tests/gmsa/fuzz_ccg.c - libFuzzer harness for gmsa/ccg.h's readers of HCS answers.
 *
 * The input is the text HcsGetServiceProperties returned. Every instance lookup and the sweep must either
 * succeed with a well-formed result or fail with a message; aborts (a finding) when a failure leaves an
 * instance behind, says nothing, or a success yields an instance that cannot be put into a container
 * document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gmsa/ccg.h"

static void check(int ok) {
  if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (text == NULL) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  wctr_errmsg e;
  static const char *const ids[] = {"a", "x", "0123456789abcdef"};
  for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
    gmsa_ccg_instance inst;
    wctr_errmsg_clear(&e);
    wctr_err err = gmsa_ccg_find_instance(text, ids[i], &inst, &e);
    if (err != WCTR_OK) {
      check(inst.credential_guard == NULL && inst.service_id == NULL && inst.service_config == NULL);
      check(e.text[0] != '\0');
      continue;
    }
    cJSON *container = cJSON_CreateObject();
    check(gmsa_ccg_put_in_container(container, &inst, &e) == WCTR_OK);
    cJSON *hv = cJSON_CreateObject();
    err = gmsa_ccg_put_in_vm(hv, &inst, &e);
    check(err == WCTR_OK || (inst.service_id == NULL && err == WCTR_EINVAL));
    cJSON_Delete(hv);
    cJSON_Delete(container);
    gmsa_ccg_instance_free(&inst);
  }
  const char *owned[] = {"a", "x"};
  char **swept = NULL;
  size_t n = 0;
  if (gmsa_ccg_sweep(text, owned, 2, owned, 1, &swept, &n, &e) == WCTR_OK) {
    check(n <= 1);
    for (size_t i = 0; i < n; i++) check(strcmp(swept[i], "x") == 0);
    gmsa_ccg_ids_free(swept, n);
  } else {
    check(swept == NULL && n == 0);
  }
  free(text);
  return 0;
}
