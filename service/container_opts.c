/* service/container_opts.c - labels, restart policy and security options (credential spec) of a
 * container record (portable; the rules are in service/container.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "gmsa/source.h"
#include "service/container.h"

#define REDACTED_RAW "credentialspec=raw://" GMSA_REDACTED

static char *copy_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

static void free_strings(char **list, size_t n) {
  for (size_t i = 0; list != NULL && i < n; i++) free(list[i]);
  free(list);
}

/* Compares the first n bytes ignoring ASCII case. */
static bool prefix_nocase(const char *s, const char *prefix, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\0' || tolower((unsigned char)s[i]) != tolower((unsigned char)prefix[i])) return false;
  }
  return true;
}

/* Zeroes a string that may hold a credential spec, then frees it. */
static void free_secret(char *s) {
  if (s == NULL) return;
  gmsa_secure_zero(s, strlen(s));
  free(s);
}

void svc_container_opts_free(svc_container_opts *o) {
  if (o == NULL) return;
  free_strings(o->label_keys, o->label_count);
  free_strings(o->label_values, o->label_count);
  /* A raw:// option is the spec itself. */
  for (size_t i = 0; o->security_opt != NULL && i < o->security_opt_count; i++) free_secret(o->security_opt[i]);
  free(o->security_opt);
  free(o->credspec_source);
  free_secret(o->credspec_json);
  memset(o, 0, sizeof *o);
}

const char *svc_restart_name_text(svc_restart_name name) {
  switch (name) {
    case SVC_RESTART_NO: return "no";
    case SVC_RESTART_ON_FAILURE: return "on-failure";
    case SVC_RESTART_ALWAYS: return "always";
    case SVC_RESTART_UNLESS_STOPPED: return "unless-stopped";
  }
  return "no";
}

/* --- parsing ---------------------------------------------------------------------------------------- */

static wctr_err parse_labels(const cJSON *params, svc_container_opts *o, wctr_errmsg *e) {
  const cJSON *labels = NULL;
  wctr_err err = wctr_json_get_object(params, "Labels", "params", false, &labels, e);
  if (err != WCTR_OK || labels == NULL) return err;
  size_t n = (size_t)cJSON_GetArraySize(labels);
  o->label_keys = calloc(n + 1, sizeof *o->label_keys);
  o->label_values = calloc(n + 1, sizeof *o->label_values);
  if (o->label_keys == NULL || o->label_values == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (const cJSON *l = labels->child; l != NULL; l = l->next) {
    const char *key = l->string;
    if (key == NULL || key[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "params.Labels: a label key is empty");
    if (strlen(key) > SVC_LABEL_MAX || gmsa_has_control(key) || !gmsa_utf8_valid(key, strlen(key))) {
      char shown[GMSA_QUOTE_SIZE];
      return wctr_fail(e, WCTR_EINVAL,
                       "params.Labels: label key %s is not valid (at most %d bytes of UTF-8, no control characters)",
                       gmsa_quote(shown, sizeof shown, key), SVC_LABEL_MAX);
    }
    if (!cJSON_IsString(l)) {
      return wctr_fail(e, WCTR_EINVAL, "params.Labels: \"%.64s\" must be a string, not %s", key,
                       wctr_json_type_name(l));
    }
    if (strlen(l->valuestring) > SVC_LABEL_VALUE_MAX) {
      return wctr_fail(e, WCTR_EINVAL, "params.Labels: the value of \"%.64s\" is longer than %d bytes", key,
                       SVC_LABEL_VALUE_MAX);
    }
    /* Sorted insertion; a key twice is refused (cJSON keeps both). */
    size_t at = 0;
    while (at < o->label_count && strcmp(o->label_keys[at], key) < 0) at++;
    if (at < o->label_count && strcmp(o->label_keys[at], key) == 0) {
      return wctr_fail(e, WCTR_EINVAL, "params.Labels: duplicate key \"%.64s\"", key);
    }
    char *k = copy_str(key);
    char *v = copy_str(l->valuestring);
    if (k == NULL || v == NULL) {
      free(k);
      free(v);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    memmove(o->label_keys + at + 1, o->label_keys + at, (o->label_count - at) * sizeof *o->label_keys);
    memmove(o->label_values + at + 1, o->label_values + at, (o->label_count - at) * sizeof *o->label_values);
    o->label_keys[at] = k;
    o->label_values[at] = v;
    o->label_count++;
  }
  return WCTR_OK;
}

static wctr_err parse_restart(const cJSON *hc, bool auto_remove, svc_container_opts *o, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "MaximumRetryCount", NULL};
  const cJSON *rp = NULL;
  const char *name = NULL;
  int64_t max = 0;
  wctr_err err = wctr_json_get_object(hc, "RestartPolicy", "params.HostConfig", false, &rp, e);
  if (err != WCTR_OK || rp == NULL) return err;
  const char *where = "params.HostConfig.RestartPolicy";
  if (wctr_json_check_keys(rp, where, keys, e) != WCTR_OK ||
      wctr_json_get_string(rp, "Name", where, false, &name, e) != WCTR_OK ||
      wctr_json_get_int64(rp, "MaximumRetryCount", where, false, INT32_MIN, INT32_MAX, &max, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  static const struct {
    const char *text;
    svc_restart_name name;
  } names[] = {{"", SVC_RESTART_NO},
               {"no", SVC_RESTART_NO},
               {"on-failure", SVC_RESTART_ON_FAILURE},
               {"always", SVC_RESTART_ALWAYS},
               {"unless-stopped", SVC_RESTART_UNLESS_STOPPED}};
  bool known = false;
  if (name == NULL) name = "";
  for (size_t i = 0; i < sizeof names / sizeof names[0] && !known; i++) {
    if (strcmp(names[i].text, name) == 0) {
      o->restart = names[i].name;
      known = true;
    }
  }
  /* Docker's messages (runconfig / daemon). */
  if (!known) return wctr_fail(e, WCTR_EINVAL, "invalid restart policy '%.64s'", name);
  if (max < 0) return wctr_fail(e, WCTR_EINVAL, "maximum retry count cannot be negative");
  if (max > 0 && o->restart != SVC_RESTART_ON_FAILURE) {
    return wctr_fail(e, WCTR_EINVAL, "maximum retry count cannot be used with restart policy '%s'", name);
  }
  if (auto_remove && o->restart != SVC_RESTART_NO) {
    return wctr_fail(e, WCTR_EINVAL, "can't create 'AutoRemove' container with restart policy");
  }
  o->restart_max_retries = max;
  return WCTR_OK;
}

static wctr_err parse_security_opt(const cJSON *hc, const svc_container_config *cfg, svc_container_opts *o,
                                   wctr_errmsg *e) {
  const cJSON *arr = NULL;
  wctr_err err = wctr_json_get_string_array(hc, "SecurityOpt", "params.HostConfig", false, &arr, e);
  if (err != WCTR_OK || arr == NULL) return err;
  size_t n = (size_t)cJSON_GetArraySize(arr);
  o->security_opt = calloc(n + 1, sizeof *o->security_opt);
  if (o->security_opt == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t i = 0;
  for (const cJSON *item = arr->child; item != NULL; item = item->next, i++) {
    const char *opt = item->valuestring;
    /* Docker splits at the first '=' (or ':', its old form) and compares the key without case. */
    size_t key_len = strcspn(opt, "=:");
    bool credspec = key_len == strlen("credentialspec") && opt[key_len] != '\0' &&
                    prefix_nocase(opt, "credentialspec", key_len);
    if (!credspec) {
      char shown[GMSA_QUOTE_SIZE];
      return wctr_fail(e, WCTR_EINVAL,
                       "params.HostConfig.SecurityOpt[%zu]: %s is not supported by wctr; only credentialspec=... is "
                       "(a gMSA credential spec)",
                       i, gmsa_quote(shown, sizeof shown, key_len > 64 ? "(a long option)" : opt));
    }
    if (o->credspec_option != NULL) {
      return wctr_fail(e, WCTR_EINVAL, "params.HostConfig.SecurityOpt[%zu]: only one credentialspec= may be given", i);
    }
    o->security_opt[i] = copy_str(opt);
    if (o->security_opt[i] == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    o->security_opt_count = i + 1;
    o->credspec_option = o->security_opt[i] + key_len + 1;
    /* The scheme is checked now (gmsa/source.h); the folder is the service's, so the "must be under" message
     * names it when the service resolves the value. A raw:// value is never quoted. */
    gmsa_source src;
    err = gmsa_source_parse(o->credspec_option, NULL, &src, e);
    gmsa_source_free(&src);
    if (err != WCTR_OK) return err;
  }
  if (o->credspec_option != NULL && cfg->isolation == WCTR_ISOLATION_JOB) {
    return wctr_fail(e, WCTR_EINVAL,
                     "a credential spec (gMSA) needs process or Hyper-V isolation: a job container runs on the host "
                     "with a local identity and cannot carry a gMSA (remove credentialspec= or choose another "
                     "isolation)");
  }
  return WCTR_OK;
}

wctr_err svc_container_opts_parse(const cJSON *params, const cJSON *hc, svc_container_config *cfg, wctr_errmsg *e) {
  svc_container_opts *o = &cfg->opts;
  wctr_err err = parse_labels(params, o, e);
  if (err == WCTR_OK && hc != NULL) err = parse_restart(hc, cfg->auto_remove, o, e);
  if (err == WCTR_OK && hc != NULL) err = parse_security_opt(hc, cfg, o, e);
  return err;
}

wctr_err svc_container_set_credspec(svc_container *c, const char *source, const char *spec_json, wctr_errmsg *e) {
  svc_container_opts *o = &c->config.opts;
  char *s = copy_str(source);
  char *j = copy_str(spec_json);
  if (s == NULL || j == NULL) {
    free(s);
    free_secret(j);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  free(o->credspec_source);
  free_secret(o->credspec_json);
  o->credspec_source = s;
  o->credspec_json = j;
  return WCTR_OK;
}

/* --- JSON ------------------------------------------------------------------------------------------- */

/* The spec as an object: whole for the record file, PluginInput redacted for inspect. */
static cJSON *spec_object(const char *spec_json, bool with_secrets) {
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  if (gmsa_credspec_parse(spec_json, strlen(spec_json), &spec, &e) != WCTR_OK) return NULL;
  char *text = NULL;
  wctr_err err = with_secrets ? gmsa_credspec_to_json(spec, &text, &e) : gmsa_credspec_to_json_redacted(spec, &text, &e);
  gmsa_credspec_free(spec);
  cJSON *obj = err == WCTR_OK ? cJSON_Parse(text) : NULL;
  gmsa_secret_free(text);
  return obj;
}

bool svc_container_opts_to_json(const svc_container *c, cJSON *root, cJSON *config, cJSON *hc, cJSON *state,
                                bool with_secrets) {
  const svc_container_opts *o = &c->config.opts;
  cJSON *labels = cJSON_AddObjectToObject(config, "Labels");
  for (size_t i = 0; labels != NULL && i < o->label_count; i++) {
    if (cJSON_AddStringToObject(labels, o->label_keys[i], o->label_values[i]) == NULL) return false;
  }
  cJSON *rp = cJSON_AddObjectToObject(hc, "RestartPolicy");
  cJSON *sec = cJSON_AddArrayToObject(hc, "SecurityOpt");
  if (labels == NULL || rp == NULL || sec == NULL) return false;
  cJSON_AddStringToObject(rp, "Name", svc_restart_name_text(o->restart));
  cJSON_AddNumberToObject(rp, "MaximumRetryCount", (double)o->restart_max_retries);
  for (size_t i = 0; i < o->security_opt_count; i++) {
    const char *opt = o->security_opt[i];
    bool raw = o->credspec_option != NULL && opt + strcspn(opt, "=:") + 1 == o->credspec_option &&
               prefix_nocase(o->credspec_option, "raw://", 6);
    if (!cJSON_AddItemToArray(sec, cJSON_CreateString(raw && !with_secrets ? REDACTED_RAW : opt))) return false;
  }
  cJSON_AddNumberToObject(root, "RestartCount", (double)c->state.restart_count);
  cJSON_AddBoolToObject(state, "ManuallyStopped", c->state.manually_stopped);
  if (o->credspec_json != NULL) {
    cJSON *cs = cJSON_AddObjectToObject(root, "CredentialSpec");
    cJSON *spec = spec_object(o->credspec_json, with_secrets);
    if (cs == NULL || spec == NULL) {
      gmsa_json_secure_delete(spec);
      return false;
    }
    cJSON_AddStringToObject(cs, "Source", o->credspec_source != NULL ? o->credspec_source : "");
    cJSON_AddItemToObject(cs, "Spec", spec);
  }
  return true;
}

wctr_err svc_container_opts_from_json(const cJSON *json, svc_container *c, wctr_errmsg *e) {
  static const char *const cs_keys[] = {"Source", "Spec", NULL};
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(json, "State");
  const cJSON *cs = NULL;
  const char *source = NULL;
  const cJSON *spec = NULL;
  wctr_err err = WCTR_OK;
  if (wctr_json_get_int64(json, "RestartCount", "container", false, 0, INT32_MAX, &c->state.restart_count, e) !=
          WCTR_OK ||
      wctr_json_get_bool(state, "ManuallyStopped", "container.State", false, &c->state.manually_stopped, e) !=
          WCTR_OK ||
      wctr_json_get_object(json, "CredentialSpec", "container", false, &cs, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  if (cs == NULL) {
    if (c->config.opts.credspec_option != NULL) {
      return wctr_fail(e, WCTR_EINVAL, "container: a credentialspec= security option without its CredentialSpec");
    }
    return WCTR_OK;
  }
  if (wctr_json_check_keys(cs, "container.CredentialSpec", cs_keys, e) != WCTR_OK ||
      wctr_json_get_string(cs, "Source", "container.CredentialSpec", true, &source, e) != WCTR_OK ||
      wctr_json_get_object(cs, "Spec", "container.CredentialSpec", true, &spec, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  /* The record is re-checked like the request was: a hand-edited spec must pass the same rules. */
  char *text = cJSON_PrintUnformatted(spec);
  gmsa_credspec *parsed = NULL;
  char *canonical = NULL;
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  err = gmsa_credspec_load(text, strlen(text), &parsed, e);
  gmsa_secret_free(text);
  if (err == WCTR_OK) err = gmsa_credspec_to_json(parsed, &canonical, e);
  gmsa_credspec_free(parsed);
  if (err == WCTR_OK) err = svc_container_set_credspec(c, source, canonical, e);
  gmsa_secret_free(canonical);
  return err;
}

/* --- labels and restart decisions --------------------------------------------------------------------- */

bool svc_container_has_label(const svc_container *c, const char *filter) {
  const svc_container_opts *o = &c->config.opts;
  const char *eq = strchr(filter, '=');
  size_t key_len = eq != NULL ? (size_t)(eq - filter) : strlen(filter);
  for (size_t i = 0; i < o->label_count; i++) {
    if (strlen(o->label_keys[i]) != key_len || strncmp(o->label_keys[i], filter, key_len) != 0) continue;
    return eq == NULL || strcmp(o->label_values[i], eq + 1) == 0;
  }
  return false;
}

bool svc_restart_on_exit(const svc_container *c, int64_t exit_code, bool service_stopping) {
  const svc_container_opts *o = &c->config.opts;
  if (service_stopping || c->state.manually_stopped) return false;
  switch (o->restart) {
    case SVC_RESTART_NO: return false;
    case SVC_RESTART_ALWAYS:
    case SVC_RESTART_UNLESS_STOPPED: return true;
    case SVC_RESTART_ON_FAILURE:
      return exit_code != 0 && (o->restart_max_retries == 0 || c->state.restart_count < o->restart_max_retries);
  }
  return false;
}

bool svc_restart_on_service_start(const svc_container *c) {
  const svc_container_opts *o = &c->config.opts;
  bool has_run = c->state.started_at[0] != '\0';
  if (!has_run || c->state.status == SVC_STATE_RUNNING || c->state.status == SVC_STATE_REMOVING) return false;
  if (o->restart == SVC_RESTART_ALWAYS) return true;
  return o->restart == SVC_RESTART_UNLESS_STOPPED && !c->state.manually_stopped;
}
