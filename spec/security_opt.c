/* spec/security_opt.c - HostConfig.SecurityOpt: credentialspec=VALUE, the only option wctr takes
 * (portable; the rules are spec_from_json's in spec.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "spec/credspec_source.h"
#include "spec/spec_internal.h"
#include "spec/text.h"

#define CREDSPEC_KEY "credentialspec"
#define REDACTED_RAW "credentialspec=raw://" SPEC_REDACTED

/* Compares the first n bytes ignoring ASCII case. */
static bool prefix_nocase(const char *s, const char *prefix, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\0' || tolower((unsigned char)s[i]) != tolower((unsigned char)prefix[i])) return false;
  }
  return true;
}

/* Docker splits an option at the first '=' (or ':', its old form) and compares the key without case. */
static size_t key_length(const char *opt) { return strcspn(opt, "=:"); }

static bool is_credspec(const char *opt) {
  size_t key_len = key_length(opt);
  return key_len == strlen(CREDSPEC_KEY) && opt[key_len] != '\0' && prefix_nocase(opt, CREDSPEC_KEY, key_len);
}

wctr_err spec_security_opt_from_json(const cJSON *hc, const char *where, spec_container *s, wctr_errmsg *e) {
  const cJSON *arr = NULL;
  wctr_err err = wctr_json_get_string_array(hc, "SecurityOpt", where, false, &arr, e);
  if (err != WCTR_OK || arr == NULL) return err;
  size_t n = (size_t)cJSON_GetArraySize(arr);
  s->security_opt = calloc(n + 1, sizeof *s->security_opt);
  if (s->security_opt == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t i = 0;
  for (const cJSON *item = arr->child; item != NULL; item = item->next, i++) {
    const char *opt = item->valuestring;
    size_t key_len = key_length(opt);
    if (!is_credspec(opt)) {
      char shown[SPEC_QUOTE_SIZE];
      return wctr_fail(e, WCTR_EINVAL,
                       "%s.SecurityOpt[%zu]: %s is not supported by wctr; only credentialspec=... is (a gMSA "
                       "credential spec)",
                       where, i, spec_quote(shown, sizeof shown, key_len > 64 ? "(a long option)" : opt));
    }
    if (s->credspec_option != NULL) {
      return wctr_fail(e, WCTR_EINVAL, "%s.SecurityOpt[%zu]: only one credentialspec= may be given", where, i);
    }
    s->security_opt[i] = spec_strdup(opt);
    if (s->security_opt[i] == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    s->security_opt_count = i + 1;
    s->credspec_option = s->security_opt[i] + key_len + 1;
    /* The scheme is checked now; the folder is the service's, so the "must be under" message names it when
     * the service resolves the value. A raw:// value is never quoted. */
    spec_credspec_source src;
    err = spec_credspec_source_parse(s->credspec_option, NULL, &src, e);
    spec_credspec_source_free(&src);
    if (err != WCTR_OK) return err;
  }
  if (s->credspec_option != NULL && s->isolation == WCTR_ISOLATION_JOB) {
    return wctr_fail(e, WCTR_EINVAL,
                     "a credential spec (gMSA) needs process or Hyper-V isolation: a job container runs on the host "
                     "with a local identity and cannot carry a gMSA (remove credentialspec= or choose another "
                     "isolation)");
  }
  return WCTR_OK;
}

void spec_security_opt_relink(spec_container *s) {
  s->credspec_option = NULL;
  for (size_t i = 0; i < s->security_opt_count; i++) {
    const char *opt = s->security_opt[i];
    if (opt != NULL && is_credspec(opt)) {
      s->credspec_option = opt + key_length(opt) + 1;
      return;
    }
  }
}

bool spec_security_opt_to_json(const spec_container *s, cJSON *arr, bool with_secrets) {
  for (size_t i = 0; i < s->security_opt_count; i++) {
    const char *opt = s->security_opt[i];
    bool raw = s->credspec_option != NULL && opt + key_length(opt) + 1 == s->credspec_option &&
               prefix_nocase(s->credspec_option, "raw://", 6);
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(raw && !with_secrets ? REDACTED_RAW : opt))) return false;
  }
  return true;
}
