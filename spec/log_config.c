/* spec/log_config.c - the json-file driver's options: checks, limits and the attributes of each line
 * (portable; contract: spec/spec.h "log options"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/units.h"
#include "spec/spec_internal.h"
#include "spec/text.h"

static const char *opt_get(const spec_labels *opts, const char *key) {
  for (size_t i = 0; opts != NULL && i < opts->count; i++) {
    if (strcmp(opts->keys[i], key) == 0) return opts->values[i];
  }
  return NULL;
}

/* Go's strconv.ParseBool. */
static bool go_bool(const char *v, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
    if (strcmp(v, yes[i]) == 0) {
      *out = true;
      return true;
    }
    if (strcmp(v, no[i]) == 0) {
      *out = false;
      return true;
    }
  }
  return false;
}

/* A whole number in decimal digits with an optional sign (Go's Atoi), within int32. */
static bool whole_number(const char *v, int64_t *out) {
  const char *p = v;
  bool neg = false;
  if (*p == '+' || *p == '-') neg = *p++ == '-';
  if (*p == '\0') return false;
  int64_t n = 0;
  for (; *p != '\0'; p++) {
    if (*p < '0' || *p > '9') return false;
    n = n * 10 + (*p - '0');
    if (n > 2147483647) return false;
  }
  *out = neg ? -n : n;
  return true;
}

wctr_err spec_log_opts_check(const spec_labels *opts, const char *where, wctr_errmsg *e) {
  static const char *const known[] = {"max-size", "max-file", "compress", "labels", "labels-regex",
                                      "env",      "env-regex", "tag"};
  char shown[SPEC_QUOTE_SIZE];
  for (size_t i = 0; opts != NULL && i < opts->count; i++) {
    bool ok = false;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) ok = ok || strcmp(opts->keys[i], known[k]) == 0;
    if (!ok) {
      return wctr_fail(e, WCTR_EINVAL, "%s: unknown log opt '%.100s' for json-file log driver", where, opts->keys[i]);
    }
  }
  const char *size = opt_get(opts, "max-size");
  const char *file = opt_get(opts, "max-file");
  const char *compress = opt_get(opts, "compress");
  int64_t bytes = -1;
  if (size != NULL) {
    wctr_errmsg why;
    if (wctr_parse_human_size(size, "max-size", &bytes, &why) != WCTR_OK) {
      return wctr_fail(e, WCTR_EINVAL, "%s: %s", where, why.text);
    }
    if (bytes <= 0) return wctr_fail(e, WCTR_EINVAL, "%s: max-size must be a positive number", where);
  }
  int64_t files = 1;
  if (file != NULL) {
    if (!whole_number(file, &files)) {
      return wctr_fail(e, WCTR_EINVAL, "%s: invalid value %s for max-file: not a whole number", where,
                       spec_quote(shown, sizeof shown, file));
    }
    if (files < 1) return wctr_fail(e, WCTR_EINVAL, "%s: max-file cannot be less than 1", where);
    if (files > SPEC_LOG_MAX_FILES) {
      return wctr_fail(e, WCTR_EINVAL, "%s: max-file %lld: wctr keeps at most %d log files per container", where,
                       (long long)files, SPEC_LOG_MAX_FILES);
    }
  }
  if (compress != NULL) {
    bool on = false;
    if (!go_bool(compress, &on)) {
      return wctr_fail(e, WCTR_EINVAL, "%s: invalid value %s for compress: true or false", where,
                       spec_quote(shown, sizeof shown, compress));
    }
    if (on && (files == 1 || bytes == -1)) {
      return wctr_fail(e, WCTR_EINVAL, "%s: compress cannot be true when max-file is less than 2 or max-size is not set",
                       where);
    }
  }
  static const char *const refused[] = {"labels-regex", "env-regex"};
  for (size_t k = 0; k < sizeof refused / sizeof refused[0]; k++) {
    if (opt_get(opts, refused[k]) != NULL) {
      return wctr_fail(e, WCTR_EINVAL,
                       "%s: %s: wctr does not match Go regular expressions; list the names with %s= instead", where,
                       refused[k], k == 0 ? "labels" : "env");
    }
  }
  return WCTR_OK;
}

void spec_log_limits(const spec_log_config *l, int64_t *max_size, int *max_files) {
  const char *size = opt_get(&l->opts, "max-size");
  const char *file = opt_get(&l->opts, "max-file");
  int64_t bytes = 0;
  int64_t files = 0;
  wctr_errmsg ignored;
  if (size == NULL || wctr_parse_human_size(size, "max-size", &bytes, &ignored) != WCTR_OK || bytes <= 0) {
    bytes = SPEC_LOG_DEFAULT_MAX_SIZE;
  }
  if (file == NULL || !whole_number(file, &files) || files < 1 || files > SPEC_LOG_MAX_FILES) {
    files = size != NULL ? 1 : SPEC_LOG_DEFAULT_MAX_FILE;
  }
  *max_size = bytes;
  *max_files = (int)files;
}

bool spec_log_compress(const spec_log_config *l) {
  const char *v = opt_get(&l->opts, "compress");
  bool on = false;
  int64_t bytes = 0;
  int max_files = 0;
  spec_log_limits(l, &bytes, &max_files);
  return v != NULL && go_bool(v, &on) && on && max_files > 1;
}

/* Sets key to value in a map kept sorted by key (a key set again takes the new value); false when out of
 * memory. */
static bool attr_set(spec_labels *m, const char *key, const char *value) {
  size_t at = 0;
  while (at < m->count && strcmp(m->keys[at], key) < 0) at++;
  char *v = spec_strdup(value);
  if (v == NULL) return false;
  if (at < m->count && strcmp(m->keys[at], key) == 0) {
    free(m->values[at]);
    m->values[at] = v;
    return true;
  }
  char *k = spec_strdup(key);
  char **keys = k != NULL ? realloc(m->keys, (m->count + 1) * sizeof *keys) : NULL;
  if (keys != NULL) m->keys = keys;
  char **values = keys != NULL ? realloc(m->values, (m->count + 1) * sizeof *values) : NULL;
  if (values == NULL) {
    free(k);
    free(v);
    return false;
  }
  m->values = values;
  memmove(m->keys + at + 1, m->keys + at, (m->count - at) * sizeof *keys);
  memmove(m->values + at + 1, m->values + at, (m->count - at) * sizeof *values);
  m->keys[at] = k;
  m->values[at] = v;
  m->count++;
  return true;
}

/* The value of env name (len bytes) in "K=V" strings, the last one given; NULL when absent. */
static const char *env_get(const spec_process *p, const char *name, size_t len) {
  const char *found = NULL;
  for (size_t i = 0; i < p->env_count; i++) {
    if (strncmp(p->env[i], name, len) == 0 && p->env[i][len] == '=') found = p->env[i] + len + 1;
  }
  return found;
}

wctr_err spec_log_attrs(const struct spec_container *s, spec_labels *out, wctr_errmsg *e) {
  spec_labels m = {0};
  const char *lists[2] = {opt_get(&s->log.opts, "labels"), opt_get(&s->log.opts, "env")};
  for (int which = 0; which < 2; which++) {
    const char *p = lists[which];
    while (p != NULL && *p != '\0') {
      const char *comma = strchr(p, ',');
      size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
      char name[SPEC_LABEL_KEY_MAX + 1];
      const char *value = NULL;
      if (len > 0 && len <= SPEC_LABEL_KEY_MAX) {
        memcpy(name, p, len);
        name[len] = '\0';
        value = which == 0 ? spec_label_get(&s->labels, name) : env_get(&s->process, name, len);
      }
      if (value != NULL && !attr_set(&m, name, value)) {
        spec_labels_free(&m);
        return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      }
      p = comma != NULL ? comma + 1 : NULL;
    }
  }
  *out = m;
  return WCTR_OK;
}

wctr_err spec_log_config_from_json(const cJSON *hc, const char *where, spec_log_config *out, wctr_errmsg *e) {
  static const char *const keys[] = {"Type", "Config", NULL};
  char at[120];
  char cfg_at[140];
  snprintf(at, sizeof at, "%.80s.LogConfig", where);
  snprintf(cfg_at, sizeof cfg_at, "%s.Config", at);
  const cJSON *lc = cJSON_GetObjectItemCaseSensitive(hc, "LogConfig");
  const cJSON *cfg = NULL;
  const char *type = NULL;
  spec_labels m = {0};
  if (lc == NULL || cJSON_IsNull(lc)) return WCTR_OK;
  if (!cJSON_IsObject(lc)) return wctr_fail(e, WCTR_EINVAL, "%s: \"LogConfig\" must be an object", where);
  if (wctr_json_check_keys(lc, at, keys, e) != WCTR_OK ||
      wctr_json_get_string(lc, "Type", at, false, &type, e) != WCTR_OK ||
      wctr_json_get_object(lc, "Config", at, false, &cfg, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  if (type != NULL && type[0] != '\0' && strcmp(type, SPEC_LOG_DRIVER) != 0) {
    char shown[SPEC_QUOTE_SIZE];
    return wctr_fail(e, WCTR_EINVAL, "%s.Type %s: wctr keeps a container's logs with the json-file driver only", at,
                     spec_quote(shown, sizeof shown, type));
  }
  for (const cJSON *item = cfg != NULL ? cfg->child : NULL; item != NULL; item = item->next) {
    if (!cJSON_IsString(item)) {
      spec_labels_free(&m);
      return wctr_fail(e, WCTR_EINVAL, "%s: \"%.64s\" must be a string, not %s", cfg_at, item->string,
                       wctr_json_type_name(item));
    }
    if (strlen(item->string) > SPEC_LABEL_KEY_MAX || strlen(item->valuestring) > SPEC_LABEL_VALUE_MAX) {
      spec_labels_free(&m);
      return wctr_fail(e, WCTR_EINVAL, "%s: the option \"%.64s\" is longer than %d bytes", cfg_at, item->string,
                       SPEC_LABEL_VALUE_MAX);
    }
    if (!attr_set(&m, item->string, item->valuestring)) {
      spec_labels_free(&m);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  wctr_err err = spec_log_opts_check(&m, cfg_at, e);
  if (err != WCTR_OK) {
    spec_labels_free(&m);
    return err;
  }
  out->opts = m;
  return WCTR_OK;
}

bool spec_log_config_to_json(const spec_log_config *l, cJSON *hc) {
  if (l->opts.count == 0) return true;
  cJSON *lc = cJSON_AddObjectToObject(hc, "LogConfig");
  if (lc == NULL || cJSON_AddStringToObject(lc, "Type", SPEC_LOG_DRIVER) == NULL) return false;
  cJSON *cfg = cJSON_AddObjectToObject(lc, "Config");
  for (size_t i = 0; cfg != NULL && i < l->opts.count; i++) {
    if (cJSON_AddStringToObject(cfg, l->opts.keys[i], l->opts.values[i]) == NULL) return false;
  }
  return cfg != NULL;
}
