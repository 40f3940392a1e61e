/* spec/spec_internal.h - shared by the files of spec/ only (and white-box tests). Not a contract. */
#ifndef WCTR_SPEC_SPEC_INTERNAL_H
#define WCTR_SPEC_SPEC_INTERNAL_H

#include "spec/spec.h"

/* malloc'ed copy; NULL for NULL or when out of memory. */
char *spec_strdup(const char *s);
/* Frees count strings and the array; accepts NULL. zero: each string is zeroed first (it may be secret). */
void spec_strings_free(char **list, size_t count, bool zero);
/* A copy of count strings (NULL when count is 0); false when out of memory. */
bool spec_strings_copy(char *const *from, size_t count, char ***to);
/* Zeroes a string that may hold a secret, then frees it; accepts NULL. */
void spec_secret_str_free(char *s);

/* Labels (labels.c): obj["Labels"] (where names obj) into *out, sorted; the rules are spec_from_json's. */
wctr_err spec_labels_from_json(const cJSON *obj, const char *where, spec_labels *out, wctr_errmsg *e);
bool spec_labels_to_json(const spec_labels *l, cJSON *obj);
bool spec_labels_copy(const spec_labels *from, spec_labels *to);

/* SecurityOpt (security_opt.c): hc["SecurityOpt"] (where names hc) into s->security_opt and
 * s->credspec_option; s->isolation must already be parsed. */
wctr_err spec_security_opt_from_json(const cJSON *hc, const char *where, spec_container *s, wctr_errmsg *e);
/* The options as the record (with_secrets) or inspect shows them. */
bool spec_security_opt_to_json(const spec_container *s, cJSON *arr, bool with_secrets);
/* Points s->credspec_option into s->security_opt again (after a copy). */
void spec_security_opt_relink(spec_container *s);

/* LogConfig (log_config.c): hc["LogConfig"] (where names hc) into *out; the rules are spec_from_json's. */
wctr_err spec_log_config_from_json(const cJSON *hc, const char *where, spec_log_config *out, wctr_errmsg *e);
/* Adds LogConfig {Type, Config} to hc when options were given; false when out of memory. */
bool spec_log_config_to_json(const spec_log_config *l, cJSON *hc);

#endif
