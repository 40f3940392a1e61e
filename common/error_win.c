/* common/error_win.c - proves at compile time that the portable code tables in error_codes.inc carry
 * the values the Windows headers give those names. */
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include <winternl.h>
#include <wbemcli.h>

#include "common/error.h"
#include "common/error_codes.inc"

#define WCTR_CHECK_WIN32(name, value, err) \
  _Static_assert((uint32_t)(name) == (value), #name " differs from error_codes.inc");
WCTR_WIN32_CODES(WCTR_CHECK_WIN32)

#define WCTR_CHECK_HRESULT(name, value, err) \
  _Static_assert((uint32_t)(name) == (value), #name " differs from error_codes.inc");
WCTR_HRESULT_CODES(WCTR_CHECK_HRESULT)

#define WCTR_CHECK_NTSTATUS(name, value, err) \
  _Static_assert((uint32_t)(name) == (value), #name " differs from error_codes.inc");
WCTR_NTSTATUS_CODES(WCTR_CHECK_NTSTATUS)

/* A translation unit must declare something. */
int wctr_error_codes_checked(void);
int wctr_error_codes_checked(void) { return 1; }
