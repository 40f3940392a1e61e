/* gmsa/gmsa_util.c - portable helpers of the gmsa module (see gmsa_util.h). */
#include "gmsa/gmsa_util.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "spec/text.h"

void gmsa_secure_zero(void *p, size_t n) {
  /* A plain memset before free is a dead store the optimiser may drop; stores through a volatile
   * pointer must each be performed. */
  volatile unsigned char *v = (volatile unsigned char *)p;
  while (n > 0) {
    *v++ = 0;
    n--;
  }
}

void gmsa_secret_free(char *text) {
  if (text == NULL) return;
  gmsa_secure_zero(text, strlen(text) + 1);
  cJSON_free(text);
}

char *gmsa_strndup(const char *s, size_t n) {
  char *copy = cJSON_malloc(n + 1);
  if (copy == NULL) return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

/* The text rules are spec/text.h's, shared with the spec checks (labels, credential spec sources). */
const char *gmsa_quote(char *buf, size_t size, const char *s) { return spec_quote(buf, size, s); }

bool gmsa_utf8_valid(const char *s, size_t n) { return spec_utf8_valid(s, n); }

size_t gmsa_utf8_length(const char *s) {
  size_t count = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if ((*p & 0xC0) != 0x80) count++;
  }
  return count;
}

bool gmsa_has_control(const char *s) { return spec_has_control(s); }

bool gmsa_ascii_equal_nocase(const char *a, const char *b) { return spec_ascii_equal_nocase(a, b); }

static void zero_tree(cJSON *item) {
  for (; item != NULL; item = item->next) {
    if (item->valuestring != NULL && (item->type & cJSON_IsReference) == 0) {
      gmsa_secure_zero(item->valuestring, strlen(item->valuestring));
    }
    if (item->string != NULL && (item->type & cJSON_StringIsConst) == 0) {
      gmsa_secure_zero(item->string, strlen(item->string));
    }
    if ((item->type & cJSON_IsReference) == 0) zero_tree(item->child);
  }
}

void gmsa_json_secure_delete(cJSON *tree) {
  /* cJSON_Delete frees the item's siblings too; zero_tree walks the same ones. */
  zero_tree(tree);
  cJSON_Delete(tree);
}
