/* spec/secrets_ref.c - a container's references to secrets: names, targets and the "Secrets" create
 * param (portable; spec.h). Moved from service/secrets.c, which keeps what is about the store. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "spec/names.h"
#include "spec/spec.h"

/* At most 64 characters of an outside value, unprintable ones as '?', for messages. */
static void shown(const char *value, char out[72]) {
  size_t n = 0;
  for (; n < 64 && value[n] != '\0'; n++) {
    unsigned char c = (unsigned char)value[n];
    out[n] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
  }
  snprintf(out + n, 72 - n, "%s", value[n] != '\0' ? "..." : "");
}

wctr_err spec_secret_check_name(const char *name, const char *where, wctr_errmsg *e) {
  char text[72];
  if (name == NULL || name[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "%s: a secret name cannot be empty", where);
  size_t n = strlen(name);
  bool ok = n <= SPEC_SECRET_NAME_MAX && isalnum((unsigned char)name[0]) && isalnum((unsigned char)name[n - 1]);
  for (size_t i = 1; ok && i + 1 < n; i++) {
    unsigned char c = (unsigned char)name[i];
    ok = isalnum(c) || c == '_' || c == '.' || c == '-';
  }
  if (ok) return WCTR_OK;
  shown(name, text);
  return wctr_fail(e, WCTR_EINVAL,
                   "%s: invalid secret name \"%s\": use 1 to %d characters [a-zA-Z0-9_.-], starting and ending with "
                   "a letter or digit",
                   where, text, SPEC_SECRET_NAME_MAX);
}

wctr_err spec_secret_check_target(const char *target, const char *where, wctr_errmsg *e) {
  /* One rule for file names (spec/names.h): the device check knew COM1 but not COM with a superscript one,
   * and "nul .txt" passed (Windows drops the spaces before the extension: it is NUL). */
  return spec_file_name_check(target, SPEC_SECRET_TARGET_MAX, "target", where, e);
}

wctr_err spec_secret_refs_parse(const cJSON *array, const char *where_base, spec_secret_ref **out, size_t *count,
                                wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Target", NULL};
  *out = NULL;
  *count = 0;
  if (array == NULL || cJSON_IsNull(array)) return WCTR_OK;
  if (!cJSON_IsArray(array)) {
    return wctr_fail(e, WCTR_EINVAL, "%s: \"Secrets\" must be an array, not %s", where_base, wctr_json_type_name(array));
  }
  int n = cJSON_GetArraySize(array);
  if (n > SPEC_SECRET_REFS_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "%s: \"Secrets\" has %d entries; at most %d", where_base, n, SPEC_SECRET_REFS_MAX);
  }
  if (n == 0) return WCTR_OK;
  spec_secret_ref *refs = calloc((size_t)n, sizeof *refs);
  if (refs == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  int i = 0;
  wctr_err err = WCTR_OK;
  for (const cJSON *item = array->child; item != NULL && err == WCTR_OK; item = item->next, i++) {
    char where[96];
    const char *name = NULL;
    const char *target = NULL;
    snprintf(where, sizeof where, "%.60s.Secrets[%d]", where_base, i);
    if (wctr_json_check_keys(item, where, keys, e) != WCTR_OK ||
        wctr_json_get_string(item, "Name", where, true, &name, e) != WCTR_OK ||
        wctr_json_get_string(item, "Target", where, false, &target, e) != WCTR_OK) {
      err = WCTR_EINVAL;
      break;
    }
    if (target == NULL) target = name;
    err = spec_secret_check_name(name, where, e);
    if (err == WCTR_OK) err = spec_secret_check_target(target, where, e);
    if (err != WCTR_OK) break;
    snprintf(refs[i].name, sizeof refs[i].name, "%s", name);
    snprintf(refs[i].target, sizeof refs[i].target, "%s", target);
    for (int k = 0; k < i; k++) {
      bool same = true;
      const char *a = refs[k].target;
      const char *b = refs[i].target;
      for (; same && (*a != '\0' || *b != '\0'); a++, b++) same = tolower((unsigned char)*a) == tolower((unsigned char)*b);
      if (same) {
        err = wctr_fail(e, WCTR_EINVAL, "%s: target \"%s\" is already used by %.60s.Secrets[%d]", where,
                        refs[i].target, where_base, k);
        break;
      }
    }
  }
  if (err != WCTR_OK) {
    free(refs);
    return err;
  }
  *out = refs;
  *count = (size_t)n;
  return WCTR_OK;
}

cJSON *spec_secret_refs_json(const spec_secret_ref *refs, size_t count) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < count; i++) {
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || cJSON_AddStringToObject(o, "Name", refs[i].name) == NULL ||
        cJSON_AddStringToObject(o, "Target", refs[i].target) == NULL || !cJSON_AddItemToArray(arr, o)) {
      cJSON_Delete(o);
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
}
