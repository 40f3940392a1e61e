/* common/log.h - log lines for people who run wctrd.
 *
 * One line per event: "2026-11-22T13:00:00.123Z ERROR <message>". Failures of system calls are logged
 * where they happen with the failing call, the original code in decimal and hex, and the system's own
 * message; the caller then returns the translated wctr_err. Thread-safe. Never pass a secret. */
#ifndef WCTR_COMMON_LOG_H
#define WCTR_COMMON_LOG_H

#include <stdint.h>

#include "common/error.h"

typedef enum wctr_log_level {
  WCTR_LOG_ERROR = 0,
  WCTR_LOG_WARN,
  WCTR_LOG_INFO,
  WCTR_LOG_DEBUG
} wctr_log_level;

/* Receives each finished line (no trailing newline). Called with the log lock held. */
typedef void (*wctr_log_sink)(void *ctx, wctr_log_level level, const char *line);

/* Lines above max are dropped. sink NULL writes to stderr. Safe to call at any time. */
void wctr_log_configure(wctr_log_level max, wctr_log_sink sink, void *ctx);
wctr_log_level wctr_log_max_level(void);

void wctr_log(wctr_log_level level, const char *fmt, ...) WCTR_PRINTF(2, 3);

/* "error", "warn", "info", "debug". */
const char *wctr_log_level_name(wctr_log_level level);
/* Returns 0 and sets *out for a known name, -1 otherwise. */
int wctr_log_level_parse(const char *name, wctr_log_level *out);

/* Formats the current UTC time as 2026-11-22T13:00:00.123Z into buf (at least 32 bytes). */
void wctr_time_now_iso8601(char *buf, size_t size);

#ifdef _WIN32
/* Windows layer (log_win.c). Each logs at ERROR "CALL failed: code=5 (0x00000005) Access is denied.
 * - <context>" and returns the translated code. */
wctr_err wctr_log_win32(const char *call, uint32_t code, const char *fmt, ...) WCTR_PRINTF(3, 4);
wctr_err wctr_log_hresult(const char *call, uint32_t hr, const char *fmt, ...) WCTR_PRINTF(3, 4);
/* The system's message for a Win32 code or HRESULT, UTF-8, without trailing newline or dot-space
 * noise; "unknown error" when the system has none. Returns buf. */
const char *wctr_system_message(uint32_t code, char *buf, size_t size);
#endif

#endif
