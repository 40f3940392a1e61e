/* common/error.c - error names, messages and the translation of Windows codes (portable). */
#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/error_codes.inc"
#include "common/utf8.h"

static const char *const error_messages[] = {
#define WCTR_ERR_MSG(name, wire, msg) msg,
    WCTR_ERRNO_MAP(WCTR_ERR_MSG)
#undef WCTR_ERR_MSG
};

static const char *const error_names[] = {
#define WCTR_ERR_WIRE(name, wire, msg) wire,
    WCTR_ERRNO_MAP(WCTR_ERR_WIRE)
#undef WCTR_ERR_WIRE
};

const char *wctr_strerror(wctr_err err) {
  if ((unsigned)err >= (unsigned)WCTR__ERR_COUNT) return "unknown error";
  return error_messages[err];
}

const char *wctr_err_name(wctr_err err) {
  if ((unsigned)err >= (unsigned)WCTR__ERR_COUNT) return "internal";
  return error_names[err];
}

int wctr_err_from_name(const char *name, wctr_err *out) {
  if (name == NULL) return -1;
  for (int i = 0; i < (int)WCTR__ERR_COUNT; i++) {
    if (strcmp(error_names[i], name) == 0) {
      *out = (wctr_err)i;
      return 0;
    }
  }
  return -1;
}

wctr_err wctr_fail(wctr_errmsg *e, wctr_err code, const char *fmt, ...) {
  if (e != NULL) {
    va_list ap;
    va_start(ap, fmt);
    e->code = code;
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    /* A message quotes outside input, cut with %.Ns or at the end of text: it reaches responses and the
     * audit trail, which must stay UTF-8 (common/utf8.h), so a byte that is not is shown as '?'. */
    wctr_utf8_scrub(e->text);
  }
  return code;
}

void wctr_errmsg_clear(wctr_errmsg *e) {
  if (e == NULL) return;
  e->code = WCTR_OK;
  e->text[0] = '\0';
}

struct code_map {
  uint32_t code;
  wctr_err err;
};

static const struct code_map win32_map[] = {
#define WCTR_MAP_ENTRY(name, value, err) {value, WCTR_##err},
    WCTR_WIN32_CODES(WCTR_MAP_ENTRY)};
static const struct code_map hresult_map[] = {WCTR_HRESULT_CODES(WCTR_MAP_ENTRY)};
static const struct code_map ntstatus_map[] = {WCTR_NTSTATUS_CODES(WCTR_MAP_ENTRY)
#undef WCTR_MAP_ENTRY
};

static wctr_err map_lookup(const struct code_map *map, size_t n, uint32_t code) {
  for (size_t i = 0; i < n; i++) {
    if (map[i].code == code) return map[i].err;
  }
  return WCTR_ESYSTEM;
}

wctr_err wctr_from_win32(uint32_t code) {
  if (code == 0) return WCTR_OK;
  return map_lookup(win32_map, sizeof win32_map / sizeof win32_map[0], code);
}

/* HRESULT layout: bit 31 severity, bits 16-26 facility, bits 0-15 code. FACILITY_WIN32 (7) wraps a
 * GetLastError value, so E_ACCESSDENIED (0x80070005) and ERROR_ACCESS_DENIED mean the same here. */
wctr_err wctr_from_hresult(uint32_t hr) {
  if ((hr & 0x80000000u) == 0) return WCTR_OK;
  if (((hr >> 16) & 0x7FFu) == 7u) {
    wctr_err err = wctr_from_win32(hr & 0xFFFFu);
    return err == WCTR_OK ? WCTR_ESYSTEM : err;
  }
  return map_lookup(hresult_map, sizeof hresult_map / sizeof hresult_map[0], hr);
}

/* NTSTATUS: severity in bits 30-31; success and informational codes are not failures, except
 * STATUS_TIMEOUT, which the wait functions use to say the wait ran out. Facility 7 (FACILITY_NTWIN32)
 * wraps a Win32 code. */
wctr_err wctr_from_ntstatus(uint32_t status) {
  if (status == 0x00000102u) return WCTR_ETIMEDOUT;
  if ((status >> 30) < 2u) return WCTR_OK;
  if (((status >> 16) & 0xFFFu) == 7u) {
    wctr_err err = wctr_from_win32(status & 0xFFFFu);
    return err == WCTR_OK ? WCTR_ESYSTEM : err;
  }
  return map_lookup(ntstatus_map, sizeof ntstatus_map / sizeof ntstatus_map[0], status);
}
