/* common/json.c - strict typed getters over cJSON. */
#include "common/json.h"

#include <math.h>
#include <string.h>

#include "common/base64.h"
#include "common/utf8.h"

const char *wctr_json_type_name(const cJSON *item) {
  if (item == NULL) return "missing";
  if (cJSON_IsString(item)) return "a string";
  if (cJSON_IsNumber(item)) return "a number";
  if (cJSON_IsBool(item)) return "a boolean";
  if (cJSON_IsNull(item)) return "null";
  if (cJSON_IsArray(item)) return "an array";
  if (cJSON_IsObject(item)) return "an object";
  return "invalid";
}

wctr_err wctr_json_check_keys(const cJSON *obj, const char *where, const char *const allowed[],
                              wctr_errmsg *e) {
  if (!cJSON_IsObject(obj)) {
    return wctr_fail(e, WCTR_EINVAL, "%s must be an object, not %s", where, wctr_json_type_name(obj));
  }
  for (const cJSON *item = obj->child; item != NULL; item = item->next) {
    bool known = false;
    for (size_t i = 0; allowed[i] != NULL && !known; i++) known = strcmp(allowed[i], item->string) == 0;
    if (!known) return wctr_fail(e, WCTR_EINVAL, "%s: unknown key \"%s\"", where, item->string);
    for (const cJSON *other = obj->child; other != item; other = other->next) {
      if (strcmp(other->string, item->string) == 0) {
        return wctr_fail(e, WCTR_EINVAL, "%s: duplicate key \"%s\"", where, item->string);
      }
    }
  }
  return WCTR_OK;
}

/* Shared by the getters: the item, or the right answer when it is missing. */
static wctr_err lookup(const cJSON *obj, const char *key, const char *where, bool required,
                       const cJSON **item, wctr_errmsg *e) {
  *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (*item == NULL && required) {
    return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" is required", where, key);
  }
  return WCTR_OK;
}

static wctr_err wrong_type(const char *where, const char *key, const char *want, const cJSON *item,
                           wctr_errmsg *e) {
  return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" must be %s, not %s", where, key, want,
                   wctr_json_type_name(item));
}

wctr_err wctr_json_get_string(const cJSON *obj, const char *key, const char *where, bool required,
                              const char **out, wctr_errmsg *e) {
  const cJSON *item;
  wctr_err err = lookup(obj, key, where, required, &item, e);
  if (err != WCTR_OK || item == NULL) return err;
  if (!cJSON_IsString(item)) return wrong_type(where, key, "a string", item, e);
  *out = item->valuestring;
  return WCTR_OK;
}

wctr_err wctr_json_get_bool(const cJSON *obj, const char *key, const char *where, bool required,
                            bool *out, wctr_errmsg *e) {
  const cJSON *item;
  wctr_err err = lookup(obj, key, where, required, &item, e);
  if (err != WCTR_OK || item == NULL) return err;
  if (!cJSON_IsBool(item)) return wrong_type(where, key, "a boolean", item, e);
  *out = cJSON_IsTrue(item);
  return WCTR_OK;
}

wctr_err wctr_json_get_int64(const cJSON *obj, const char *key, const char *where, bool required,
                             int64_t min, int64_t max, int64_t *out, wctr_errmsg *e) {
  const cJSON *item;
  wctr_err err = lookup(obj, key, where, required, &item, e);
  if (err != WCTR_OK || item == NULL) return err;
  if (!cJSON_IsNumber(item)) return wrong_type(where, key, "an integer", item, e);
  double v = item->valuedouble;
  /* Compare as doubles before converting: a huge or fractional value must not be truncated into
   * range. */
  if (!isfinite(v) || v != floor(v)) return wrong_type(where, key, "an integer", item, e);
  if (v < (double)min || v > (double)max) {
    return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" must be between %lld and %lld", where, key,
                     (long long)min, (long long)max);
  }
  *out = (int64_t)v;
  return WCTR_OK;
}

wctr_err wctr_json_get_string_array(const cJSON *obj, const char *key, const char *where,
                                    bool required, const cJSON **out, wctr_errmsg *e) {
  const cJSON *item;
  wctr_err err = lookup(obj, key, where, required, &item, e);
  if (err != WCTR_OK || item == NULL) return err;
  if (!cJSON_IsArray(item)) return wrong_type(where, key, "an array of strings", item, e);
  int index = 0;
  for (const cJSON *el = item->child; el != NULL; el = el->next, index++) {
    if (!cJSON_IsString(el)) {
      return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\"[%d] must be a string, not %s", where, key, index,
                       wctr_json_type_name(el));
    }
  }
  *out = item;
  return WCTR_OK;
}

wctr_err wctr_json_get_object(const cJSON *obj, const char *key, const char *where, bool required,
                              const cJSON **out, wctr_errmsg *e) {
  const cJSON *item;
  wctr_err err = lookup(obj, key, where, required, &item, e);
  if (err != WCTR_OK || item == NULL) return err;
  if (!cJSON_IsObject(item)) return wrong_type(where, key, "an object", item, e);
  *out = item;
  return WCTR_OK;
}

char *wctr_json_print(const cJSON *item) {
  char *text = cJSON_PrintUnformatted(item);
  if (text == NULL) return NULL;
  size_t n = strlen(text);
  if (wctr_utf8_valid(text, n)) return text;
  /* cJSON copies a string's bytes as they are: a byte that is not UTF-8 can only be inside a string, where
   * the escape of U+FFFD (the replacement character) keeps the text valid JSON for strict readers. */
  size_t bad = 0;
  for (size_t i = 0; i < n;) {
    size_t len = wctr_utf8_seq(text + i, n - i);
    if (len == 0) {
      bad++;
      len = 1;
    }
    i += len;
  }
  char *out = cJSON_malloc(n + bad * 5 + 1);
  if (out != NULL) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
      size_t len = wctr_utf8_seq(text + i, n - i);
      if (len == 0) {
        memcpy(out + o, "\\ufffd", 6);
        o += 6;
        i++;
      } else {
        memcpy(out + o, text + i, len);
        o += len;
        i += len;
      }
    }
    out[o] = '\0';
  }
  /* The text may be a record holding a credential spec: the first copy does not linger. */
  wctr_secure_zero(text, n);
  cJSON_free(text);
  return out;
}

bool wctr_json_put(cJSON *obj, const char *key, cJSON *item) {
  if (item == NULL) return false;
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}
