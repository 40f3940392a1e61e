/* spec/restart.c - restart policies: names, the command-line form and Docker's restart-manager decisions
 * (portable; spec.h). */
#include <stdio.h>
#include <string.h>

#include "spec/spec.h"

/* Docker's MaximumRetryCount is a Go int on the wire; wctr keeps it within int32 like its other counts. */
#define MAX_RETRIES INT32_MAX
/* Docker's backoff (restartmanager): 100 ms, doubled per restart, at most 10 s. */
#define BACKOFF_FIRST_MS 100u
#define BACKOFF_MAX_MS 10000u

const char *spec_restart_name_text(spec_restart_name name) {
  switch (name) {
    case SPEC_RESTART_NO: return "no";
    case SPEC_RESTART_ON_FAILURE: return "on-failure";
    case SPEC_RESTART_ALWAYS: return "always";
    case SPEC_RESTART_UNLESS_STOPPED: return "unless-stopped";
  }
  return "no";
}

/* The policy a name stands for; false for an unknown one. "" is "no", as in Docker's API. */
bool spec_restart_name_parse(const char *text, spec_restart_name *out) {
  static const spec_restart_name all[] = {SPEC_RESTART_NO, SPEC_RESTART_ON_FAILURE, SPEC_RESTART_ALWAYS,
                                          SPEC_RESTART_UNLESS_STOPPED};
  if (text[0] == '\0') {
    *out = SPEC_RESTART_NO;
    return true;
  }
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    if (strcmp(text, spec_restart_name_text(all[i])) == 0) {
      *out = all[i];
      return true;
    }
  }
  return false;
}

wctr_err spec_restart_parse(const char *text, spec_restart *out, wctr_errmsg *e) {
  if (text == NULL || out == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "spec_restart_parse: text and out must not be NULL");
  }
  const char *colon = strchr(text, ':');
  size_t n = colon != NULL ? (size_t)(colon - text) : strlen(text);
  char name[32];
  spec_restart r = {SPEC_RESTART_NO, 0};
  if (n >= sizeof name) return wctr_fail(e, WCTR_EINVAL, "invalid restart policy '%.64s'", text);
  memcpy(name, text, n);
  name[n] = '\0';
  if (!spec_restart_name_parse(name, &r.name)) return wctr_fail(e, WCTR_EINVAL, "invalid restart policy '%.64s'", name);
  if (colon != NULL) {
    if (r.name != SPEC_RESTART_ON_FAILURE) {
      return wctr_fail(e, WCTR_EINVAL, "restart policy '%s' takes no maximum retry count", name);
    }
    /* Decimal digits only: no sign, no space, no base prefix - the number people write after the colon. */
    const char *d = colon + 1;
    int64_t max = 0;
    bool ok = *d != '\0';
    for (; ok && *d != '\0'; d++) {
      ok = *d >= '0' && *d <= '9' && max <= (MAX_RETRIES - (*d - '0')) / 10;
      if (ok) max = max * 10 + (*d - '0');
    }
    if (!ok) {
      return wctr_fail(e, WCTR_EINVAL,
                       "invalid restart policy '%.64s': the maximum retry count must be a whole number from 0 to %d",
                       text, MAX_RETRIES);
    }
    r.max_retries = max;
  }
  *out = r;
  return WCTR_OK;
}

bool spec_restart_on_exit(const spec_restart *r, int64_t exit_code, int64_t restart_count, bool manually_stopped,
                          bool service_stopping) {
  if (r == NULL || service_stopping || manually_stopped) return false;
  switch (r->name) {
    case SPEC_RESTART_NO: return false;
    case SPEC_RESTART_ALWAYS:
    case SPEC_RESTART_UNLESS_STOPPED: return true;
    case SPEC_RESTART_ON_FAILURE: return exit_code != 0 && (r->max_retries == 0 || restart_count < r->max_retries);
  }
  return false;
}

bool spec_restart_on_service_start(const spec_restart *r, bool has_run, bool manually_stopped) {
  if (r == NULL || !has_run) return false;
  if (r->name == SPEC_RESTART_ALWAYS) return true;
  return r->name == SPEC_RESTART_UNLESS_STOPPED && !manually_stopped;
}

uint32_t spec_restart_delay_ms(int64_t restart_count) {
  /* 100 << 7 is already past the ceiling; stopping the shift there keeps it defined for any count. */
  if (restart_count <= 0) return BACKOFF_FIRST_MS;
  if (restart_count >= 7) return BACKOFF_MAX_MS;
  uint32_t d = BACKOFF_FIRST_MS << restart_count;
  return d > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d;
}
