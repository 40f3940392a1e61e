/* spec/labels.c - container labels: the strict reader, the JSON form and the filter (portable; spec.h).
 * Also the small string helpers of spec_internal.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/json.h"
#include "spec/spec_internal.h"
#include "spec/text.h"

char *spec_strdup(const char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s) + 1;
  char *copy = malloc(n);
  if (copy != NULL) memcpy(copy, s, n);
  return copy;
}

void spec_secret_str_free(char *s) {
  if (s == NULL) return;
  wctr_secure_zero(s, strlen(s));
  free(s);
}

void spec_strings_free(char **list, size_t count, bool zero) {
  for (size_t i = 0; list != NULL && i < count; i++) {
    if (zero) {
      spec_secret_str_free(list[i]);
    } else {
      free(list[i]);
    }
  }
  free(list);
}

bool spec_strings_copy(char *const *from, size_t count, char ***to) {
  *to = NULL;
  if (count == 0) return true;
  char **list = calloc(count + 1, sizeof *list);
  if (list == NULL) return false;
  for (size_t i = 0; i < count; i++) {
    list[i] = spec_strdup(from[i]);
    if (list[i] == NULL) {
      spec_strings_free(list, i, false);
      return false;
    }
  }
  *to = list;
  return true;
}

void spec_labels_free(spec_labels *l) {
  if (l == NULL) return;
  spec_strings_free(l->keys, l->count, false);
  spec_strings_free(l->values, l->count, false);
  memset(l, 0, sizeof *l);
}

typedef struct label_ref {
  const char *key;
  const char *value;
} label_ref;

static int cmp_label(const void *a, const void *b) {
  return strcmp(((const label_ref *)a)->key, ((const label_ref *)b)->key);
}

wctr_err spec_labels_from_json(const cJSON *obj, const char *where, spec_labels *out, wctr_errmsg *e) {
  const cJSON *labels = NULL;
  label_ref *refs = NULL;
  spec_labels l = {0};
  char at[80];
  snprintf(at, sizeof at, "%s.Labels", where);
  wctr_err err = wctr_json_get_object(obj, "Labels", where, false, &labels, e);
  if (err != WCTR_OK || labels == NULL) goto done;
  size_t n = (size_t)cJSON_GetArraySize(labels);
  refs = calloc(n + 1, sizeof *refs);
  l.keys = calloc(n + 1, sizeof *l.keys);
  l.values = calloc(n + 1, sizeof *l.values);
  if (refs == NULL || l.keys == NULL || l.values == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  size_t k = 0;
  for (const cJSON *item = labels->child; item != NULL && k < n; item = item->next, k++) {
    const char *key = item->string;
    if (key == NULL || key[0] == '\0') {
      err = wctr_fail(e, WCTR_EINVAL, "%s: a label key is empty", at);
      goto done;
    }
    if (strlen(key) > SPEC_LABEL_KEY_MAX || spec_has_control(key) || !spec_utf8_valid(key, strlen(key))) {
      char shown[SPEC_QUOTE_SIZE];
      err = wctr_fail(e, WCTR_EINVAL,
                      "%s: label key %s is not valid (at most %d bytes of UTF-8, no control characters)", at,
                      spec_quote(shown, sizeof shown, key), SPEC_LABEL_KEY_MAX);
      goto done;
    }
    if (!cJSON_IsString(item)) {
      err = wctr_fail(e, WCTR_EINVAL, "%s: \"%.64s\" must be a string, not %s", at, key, wctr_json_type_name(item));
      goto done;
    }
    if (strlen(item->valuestring) > SPEC_LABEL_VALUE_MAX) {
      err = wctr_fail(e, WCTR_EINVAL, "%s: the value of \"%.64s\" is longer than %d bytes", at, key,
                      SPEC_LABEL_VALUE_MAX);
      goto done;
    }
    refs[k] = (label_ref){key, item->valuestring};
  }
  /* Sorted once, not by insertion: a request with many labels must not cost quadratic time. */
  qsort(refs, k, sizeof *refs, cmp_label);
  for (size_t i = 1; i < k; i++) {
    if (strcmp(refs[i - 1].key, refs[i].key) == 0) {
      /* cJSON keeps both entries of a key written twice. */
      err = wctr_fail(e, WCTR_EINVAL, "%s: duplicate key \"%.64s\"", at, refs[i].key);
      goto done;
    }
  }
  for (size_t i = 0; i < k; i++) {
    l.keys[i] = spec_strdup(refs[i].key);
    l.values[i] = spec_strdup(refs[i].value);
    l.count = i + 1;
    if (l.keys[i] == NULL || l.values[i] == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      goto done;
    }
  }
done:
  free(refs);
  if (err != WCTR_OK || labels == NULL) {
    spec_labels_free(&l);
    if (err == WCTR_OK) memset(out, 0, sizeof *out);
    return err;
  }
  *out = l;
  return WCTR_OK;
}

bool spec_labels_to_json(const spec_labels *l, cJSON *obj) {
  for (size_t i = 0; i < l->count; i++) {
    if (cJSON_AddStringToObject(obj, l->keys[i], l->values[i]) == NULL) return false;
  }
  return true;
}

bool spec_labels_copy(const spec_labels *from, spec_labels *to) {
  memset(to, 0, sizeof *to);
  if (from->count == 0) return true;
  if (!spec_strings_copy(from->keys, from->count, &to->keys) ||
      !spec_strings_copy(from->values, from->count, &to->values)) {
    spec_strings_free(to->keys, from->count, false);
    to->keys = NULL;
    return false;
  }
  to->count = from->count;
  return true;
}

static size_t find(const spec_labels *l, const char *key, size_t key_len) {
  /* Binary search over the sorted keys; key is not NUL-terminated at key_len. */
  size_t lo = 0;
  size_t hi = l->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strncmp(l->keys[mid], key, key_len);
    if (c == 0 && l->keys[mid][key_len] != '\0') c = 1;
    if (c == 0) return mid;
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return l->count;
}

const char *spec_label_get(const spec_labels *l, const char *key) {
  if (l == NULL || key == NULL) return NULL;
  size_t i = find(l, key, strlen(key));
  return i < l->count ? l->values[i] : NULL;
}

bool spec_labels_match(const spec_labels *l, const char *filter) {
  if (l == NULL || filter == NULL) return false;
  const char *eq = strchr(filter, '=');
  size_t key_len = eq != NULL ? (size_t)(eq - filter) : strlen(filter);
  size_t i = find(l, filter, key_len);
  if (i >= l->count) return false;
  return eq == NULL || strcmp(l->values[i], eq + 1) == 0;
}
