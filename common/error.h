/* common/error.h - the one error type of wctr.
 *
 * Every function that can fail returns a wctr_err. Codes come from one X-macro list; each has a wire
 * name (the "code" string of a pipe error response, stable across versions) and a message for people.
 * Details go in a wctr_errmsg filled by the function that knows them ("params.name must be a string").
 *
 * Windows failure codes are translated here and nowhere else: wctr_from_win32 (GetLastError values),
 * wctr_from_hresult and wctr_from_ntstatus. The tables are portable numbers (error_codes.inc) that
 * error_win.c checks against the Windows headers at compile time. Log the original code where it
 * happens (common/log.h wctr_log_win32), then return the translated enum. */
#ifndef WCTR_COMMON_ERROR_H
#define WCTR_COMMON_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifdef _WIN32
#define WCTR_PRINTF(fmt_index, first_arg) __attribute__((format(gnu_printf, fmt_index, first_arg)))
#else
#define WCTR_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#endif

/* X(NAME, "wire_name", "message") */
#define WCTR_ERRNO_MAP(X)                                                               \
  X(OK, "ok", "success")                                                                \
  X(EINVAL, "invalid_argument", "invalid argument")                                    \
  X(ENOMEM, "out_of_memory", "out of memory")                                          \
  X(ENOENT, "not_found", "not found")                                                  \
  X(EEXIST, "already_exists", "already exists")                                        \
  X(EACCES, "access_denied", "access denied")                                          \
  X(EBUSY, "busy", "resource busy")                                                    \
  X(ETIMEDOUT, "timeout", "operation timed out")                                       \
  X(ECANCELED, "canceled", "operation canceled")                                       \
  X(EIO, "io_error", "input/output error")                                             \
  X(ENOSPC, "no_space", "no space left on the volume")                                 \
  X(ETOOBIG, "too_large", "too large")                                                 \
  X(EPROTO, "bad_request", "malformed request")                                        \
  X(EBADOP, "unknown_op", "unknown operation")                                         \
  X(ENOSERVICE, "service_unavailable", "the wctr service is not reachable")            \
  X(EPIPE, "broken_pipe", "the connection was closed")                                 \
  X(ENOTSUP, "not_supported", "not supported on this host")                            \
  X(ESTATE, "invalid_state", "invalid state for this operation")                       \
  X(ECONFIG, "bad_config", "invalid configuration")                                    \
  X(ESYSTEM, "system_error", "a system call failed")                                   \
  X(EINTERNAL, "internal", "internal error")

typedef enum wctr_err {
#define WCTR_ERR_ENUM(name, wire, msg) WCTR_##name,
  WCTR_ERRNO_MAP(WCTR_ERR_ENUM)
#undef WCTR_ERR_ENUM
  WCTR__ERR_COUNT
} wctr_err;

/* Message for people; never NULL ("unknown error" for a value outside the enum). */
const char *wctr_strerror(wctr_err err);
/* Wire name ("invalid_argument"); never NULL ("internal" for a value outside the enum). */
const char *wctr_err_name(wctr_err err);
/* Wire name -> code. Returns 0 and sets *out when known, -1 otherwise. */
int wctr_err_from_name(const char *name, wctr_err *out);

/* A code with the sentence that explains it. text is always NUL-terminated; it never holds a secret. */
typedef struct wctr_errmsg {
  wctr_err code;
  char text[512];
} wctr_errmsg;

/* Fills *e (when e is not NULL) and returns code, so callers can write `return wctr_fail(e, ...)`. The text
 * is always well-formed UTF-8: a byte of the formatted text that is not (outside input quoted, or a
 * character cut by a precision or by the end of text) becomes '?'. */
wctr_err wctr_fail(wctr_errmsg *e, wctr_err code, const char *fmt, ...) WCTR_PRINTF(3, 4);
/* Sets *e to success. */
void wctr_errmsg_clear(wctr_errmsg *e);

/* Windows codes -> wctr_err. Unknown failures become WCTR_ESYSTEM; success becomes WCTR_OK. */
wctr_err wctr_from_win32(uint32_t code);
wctr_err wctr_from_hresult(uint32_t hr);
wctr_err wctr_from_ntstatus(uint32_t status);

#endif
