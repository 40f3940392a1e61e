/* tests/gmsa/fuzz_credspec.c - libFuzzer harness for gmsa/credspec.h.
 *
 * Every input goes through parse; whatever parses is validated, rendered (full and redacted), parsed
 * again and freed. Aborts (a finding) when:
 *   - a failure leaves a spec behind or says nothing;
 *   - a parsed spec does not render, or its rendering does not parse back to a spec that renders to
 *     the same text and validates to the same result (render is the inverse of parse);
 *   - the validation result depends on PluginInput's content other than through its two rules (it is
 *     checked again with PluginInput replaced by a sentinel, which passes them: same code and message, or
 *     the original failed on one of those rules, whose messages only name the field, and the copy passes),
 *     or the sentinel shows up in the message;
 *   - the redacted rendering parses back to anything but GMSA_REDACTED in PluginInput. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"

/* Control bytes, which gmsa_quote escapes, so the raw sentinel can appear in a message only if
 * PluginInput was copied into it. */
static const char sentinel[] = "\x01wctr-fuzz-plugin-input\x02";

/* The only verdicts PluginInput's content may decide (gmsa/credspec.h); both name the field alone. */
static const char input_empty[] =
    "credential spec: ActiveDirectoryConfig.HostAccountConfig.PluginInput must not be empty (the CCG plugin reads "
    "its account from it)";
static const char input_placeholder[] =
    "credential spec: ActiveDirectoryConfig.HostAccountConfig.PluginInput holds an unexpanded template placeholder "
    "($NAME$): fill it in";

static void check(int ok) {
  if (!ok) abort();
}

static gmsa_credspec *parse_ok(const char *text) {
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  check(gmsa_credspec_parse(text, strlen(text), &spec, &e) == WCTR_OK);
  check(spec != NULL);
  return spec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = gmsa_credspec_parse((const char *)data, size, &spec, &e);
  if (err != WCTR_OK) {
    check(spec == NULL);
    check(e.code == err && e.text[0] != '\0');
    return 0;
  }
  check(spec != NULL);

  wctr_errmsg verdict;
  wctr_errmsg_clear(&verdict);
  wctr_err valid = gmsa_credspec_validate(spec, &verdict);
  check(valid == WCTR_OK || valid == WCTR_EINVAL);
  check(valid == WCTR_OK || verdict.text[0] != '\0');

  char *json = NULL;
  char *redacted = NULL;
  check(gmsa_credspec_to_json(spec, &json, &e) == WCTR_OK && json != NULL);
  check(strlen(json) <= size);
  check(gmsa_credspec_to_json_redacted(spec, &redacted, &e) == WCTR_OK && redacted != NULL);

  /* Round trip: the rendering parses, renders identically, and validates the same way. */
  gmsa_credspec *again = parse_ok(json);
  char *json2 = NULL;
  check(gmsa_credspec_to_json(again, &json2, &e) == WCTR_OK);
  check(strcmp(json, json2) == 0);
  wctr_errmsg verdict2;
  wctr_errmsg_clear(&verdict2);
  check(gmsa_credspec_validate(again, &verdict2) == valid);
  check(strcmp(verdict.text, verdict2.text) == 0);
  /* load is parse + validate. */
  gmsa_credspec *loaded = NULL;
  check(gmsa_credspec_load(json, strlen(json), &loaded, &e) == valid);
  check((loaded != NULL) == (valid == WCTR_OK));
  gmsa_credspec_free(loaded);

  /* The full rendering is never longer than the input (parse refuses the raw control characters that
   * rendering would escape), but GMSA_REDACTED may be longer than the PluginInput it replaces. */
  gmsa_credspec *shown = NULL;
  if (strlen(redacted) <= GMSA_CREDSPEC_MAX_BYTES) {
    shown = parse_ok(redacted);
    check((shown->host_account == NULL) == (spec->host_account == NULL));
    if (shown->host_account != NULL) check(strcmp(shown->host_account->plugin_input, GMSA_REDACTED) == 0);
  }
  if (spec->host_account != NULL) {
    /* Validation must not look at PluginInput's content, let alone quote it. */
    gmsa_secret_free(again->host_account->plugin_input);
    again->host_account->plugin_input = gmsa_strndup(sentinel, strlen(sentinel));
    check(again->host_account->plugin_input != NULL);
    wctr_errmsg_clear(&verdict2);
    wctr_err valid2 = gmsa_credspec_validate(again, &verdict2);
    if (valid2 != valid || strcmp(verdict.text, verdict2.text) != 0) {
      /* PluginInput is checked last: failing only on it, the spec passes with any other input. */
      check(valid2 == WCTR_OK);
      check(strcmp(verdict.text, input_empty) == 0 || strcmp(verdict.text, input_placeholder) == 0);
    }
    check(strstr(verdict2.text, sentinel) == NULL);
  }

  gmsa_credspec_free(shown);
  gmsa_credspec_free(again);
  gmsa_credspec_free(spec);
  gmsa_secret_free(json);
  gmsa_secret_free(json2);
  gmsa_secret_free(redacted);
  return 0;
}
