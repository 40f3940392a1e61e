/* common/json.h - strict, typed reading of JSON objects from outside (pipe requests, config files).
 *
 * Every getter names the place in its message: WHERE is the object's path as a person would write it
 * ("params", "wctrd.json"), so a failure reads `params: "name" must be a string`. Missing optional
 * fields leave *out untouched and return WCTR_OK. The getters allocate nothing; returned strings and items
 * point into the cJSON tree and live as long as it. */
#ifndef WCTR_COMMON_JSON_H
#define WCTR_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

/* Fails with WCTR_EINVAL when obj is not an object, has a key outside the NULL-terminated allowed
 * list ("unknown key"), or has a key twice ("duplicate key"). */
wctr_err wctr_json_check_keys(const cJSON *obj, const char *where, const char *const allowed[],
                              wctr_errmsg *e);

wctr_err wctr_json_get_string(const cJSON *obj, const char *key, const char *where, bool required,
                              const char **out, wctr_errmsg *e);
wctr_err wctr_json_get_bool(const cJSON *obj, const char *key, const char *where, bool required,
                            bool *out, wctr_errmsg *e);
/* A number with an integral value in [min, max]. Bounds must lie within +-2^53. */
wctr_err wctr_json_get_int64(const cJSON *obj, const char *key, const char *where, bool required,
                             int64_t min, int64_t max, int64_t *out, wctr_errmsg *e);
/* An array whose every element is a string; *out is the array item. */
wctr_err wctr_json_get_string_array(const cJSON *obj, const char *key, const char *where,
                                    bool required, const cJSON **out, wctr_errmsg *e);
wctr_err wctr_json_get_object(const cJSON *obj, const char *key, const char *where, bool required,
                              const cJSON **out, wctr_errmsg *e);

/* Adds item (taken) to obj under key. False when item is NULL or cannot be added (out of memory), item then
 * freed: a chain of && builds an object from items just made without leaking any. */
bool wctr_json_put(cJSON *obj, const char *key, cJSON *item);

/* "a string", "a number", "an object", ... for messages. */
const char *wctr_json_type_name(const cJSON *item);

/* Compact text of item; caller frees with cJSON_free. NULL when out of memory. Always well-formed UTF-8
 * (common/utf8.h), whatever bytes the tree's strings hold: a byte that is not UTF-8 is written as the
 * escape \ufffd, so responses, records and audit lines stay valid JSON for strict readers. Texts are zeroed
 * before their memory is released (a record may hold a credential spec). */
char *wctr_json_print(const cJSON *item);

#endif
