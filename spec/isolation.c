/* spec/isolation.c - isolation names, the parser and the default isolation (portable; spec.h). */
#include <ctype.h>
#include <string.h>

#include "spec/spec.h"

const char *spec_isolation_name(wctr_isolation isolation) {
  switch (isolation) {
    case WCTR_ISOLATION_DEFAULT: return "default";
    case WCTR_ISOLATION_JOB: return "job";
    case WCTR_ISOLATION_PROCESS: return "process";
    case WCTR_ISOLATION_HYPERV: return "hyperv";
  }
  return "unknown";
}

wctr_err spec_isolation_parse(const char *text, wctr_isolation *out, wctr_errmsg *e) {
  static const wctr_isolation all[] = {WCTR_ISOLATION_DEFAULT, WCTR_ISOLATION_PROCESS, WCTR_ISOLATION_HYPERV,
                                       WCTR_ISOLATION_JOB};
  if (text == NULL || out == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "spec_isolation_parse: text and out must not be NULL");
  }
  char lower[16];
  size_t n = strlen(text);
  if (n < sizeof lower) {
    for (size_t i = 0; i <= n; i++) lower[i] = (char)tolower((unsigned char)text[i]);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
      if (strcmp(lower, spec_isolation_name(all[i])) == 0) {
        *out = all[i];
        return WCTR_OK;
      }
    }
  }
  /* Docker's message, with wctr's fourth mode. */
  return wctr_fail(e, WCTR_EINVAL,
                   "invalid isolation (%s): Windows supports 'default', 'process', or 'hyperv' (and wctr 'job')",
                   text);
}

wctr_isolation spec_default_isolation(bool server_sku) {
  /* Docker's rule (daemon_windows.go): Windows Server runs process isolation by default, client SKUs have
   * only Hyper-V. Never a job container: it shares the host's kernel objects and file system. */
  return server_sku ? WCTR_ISOLATION_PROCESS : WCTR_ISOLATION_HYPERV;
}
