/* common/log_win.c - logging of Win32 and HRESULT failures with the system's own message. */
#include <windows.h>

#include <stdarg.h>
#include <stdio.h>

#include "common/log.h"

const char *wctr_system_message(uint32_t code, char *buf, size_t size) {
  wchar_t wide[512];
  DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                           MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT), wide, ARRAYSIZE(wide), NULL);
  while (n > 0 && (wide[n - 1] == L'\r' || wide[n - 1] == L'\n' || wide[n - 1] == L' ')) n--;
  if (n == 0 || size == 0) {
    snprintf(buf, size, "unknown error");
    return buf;
  }
  int bytes = WideCharToMultiByte(CP_UTF8, 0, wide, (int)n, buf, (int)size - 1, NULL, NULL);
  buf[bytes > 0 ? bytes : 0] = '\0';
  if (bytes <= 0) snprintf(buf, size, "unknown error");
  return buf;
}

static void log_code(const char *call, uint32_t code, const char *fmt, va_list ap) {
  char context[1024];
  char sysmsg[512];
  vsnprintf(context, sizeof context, fmt, ap);
  wctr_system_message(code, sysmsg, sizeof sysmsg);
  wctr_log(WCTR_LOG_ERROR, "%s failed: code=%lu (0x%08lX) %s - %s", call, (unsigned long)code,
           (unsigned long)code, sysmsg, context);
}

wctr_err wctr_log_win32(const char *call, uint32_t code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_code(call, code, fmt, ap);
  va_end(ap);
  return wctr_from_win32(code);
}

wctr_err wctr_log_hresult(const char *call, uint32_t hr, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  log_code(call, hr, fmt, ap);
  va_end(ap);
  return wctr_from_hresult(hr);
}
