/* tests/images/fuzz_images.c - every parser of what a registry or an archive sends: the first byte picks
 * the parser (manifest/index with each Content-Type, config, WWW-Authenticate, token answer, reference,
 * a store record, a save archive's manifest.json), the rest is its input, up to 1 MiB. Checks that each
 * either refuses with a message or gives a result whose invariants hold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "images/archive.h"
#include "images/auth.h"
#include "images/manifest.h"
#include "images/reference.h"
#include "images/store.h"

static char *nul_terminated(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL) return NULL;
  memcpy(s, data, size);
  s[size] = '\0';
  return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint8_t which = data[0] % 9;
  const char *body = (const char *)data + 1;
  size_t len = size - 1;
  char *text = nul_terminated(data + 1, len);
  if (text == NULL) return 0;
  wctr_errmsg e;
  e.text[0] = '\0';
  switch (which) {
    case 0:
    case 1:
    case 2: {
      static const char *const types[] = {NULL, IMG_MT_DOCKER_LIST, IMG_MT_OCI_MANIFEST};
      img_manifest m;
      if (img_manifest_parse(body, len, types[which], &m, &e) == WCTR_OK) {
        if (m.kind == IMG_DOC_MANIFEST && (m.count == 0 || !img_digest_valid(m.config.digest))) abort();
        for (size_t i = 0; i < m.count; i++) {
          if (!img_digest_valid(m.items[i].digest) || m.items[i].size < 0) abort();
        }
        if (m.kind == IMG_DOC_INDEX) {
          size_t chosen = 0;
          img_host h = {.os_version = "10.0.20348", .arch = "amd64"};
          if (img_platform_choose(&m, &h, "fuzz", &chosen, &e) == WCTR_OK && chosen >= m.count) abort();
        }
        img_manifest_free(&m);
      } else if (e.text[0] == '\0') {
        abort();
      }
      break;
    }
    case 3: {
      img_config c;
      if (img_config_parse(body, len, &c, &e) == WCTR_OK) {
        if (c.diff_count == 0) abort();
        char(*chain)[IMG_DIGEST_MAX] = calloc(c.diff_count, sizeof *chain);
        if (chain != NULL && img_chain_ids(c.diff_ids, c.diff_count, chain) == WCTR_OK && !img_digest_valid(chain[c.diff_count - 1])) abort();
        free(chain);
        img_config_free(&c);
      }
      break;
    }
    case 4: {
      img_challenge c;
      if (img_challenge_parse(text, &c, &e) == WCTR_OK) {
        if (c.scheme == IMG_AUTH_NONE) abort();
        char url[4096];
        img_token_url(&c, "repository:x:pull", url, sizeof url, &e);
      }
      break;
    }
    case 5: {
      char *token = NULL;
      int64_t exp = 0;
      if (img_token_parse(body, len, &token, &exp, &e) == WCTR_OK) {
        if (token == NULL || token[0] == '\0' || exp < 1) abort();
        free(token);
      }
      break;
    }
    case 6: {
      img_ref r;
      if (img_ref_parse(text, &r, &e) == WCTR_OK) {
        char f[800];
        img_ref_familiar(&r, f, sizeof f);
        img_ref again;
        if (img_ref_parse(f, &again, &e) != WCTR_OK || strcmp(again.path, r.path) != 0 || strcmp(again.domain, r.domain) != 0) abort();
      }
      break;
    }
    case 7: {
      cJSON *j = cJSON_ParseWithLength(body, len);
      img_record r;
      if (j != NULL && img_record_from_json(j, &r, &e) == WCTR_OK) {
        if (r.layer_count == 0) abort();
        img_record_free(&r);
      }
      cJSON_Delete(j);
      break;
    }
    case 8: {
      img_archive_manifest am;
      if (img_archive_manifest_parse(body, len, &am, &e) == WCTR_OK) img_archive_manifest_free(&am);
      break;
    }
  }
  free(text);
  return 0;
}
