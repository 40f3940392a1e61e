/* common/pipename.c - parsing pipe names and Docker-style npipe:// hosts (portable). */
#include "common/pipename.h"

#include <stdio.h>
#include <string.h>

static bool starts_with_ci(const char *s, const char *prefix) {
  for (; *prefix != '\0'; s++, prefix++) {
    char a = *s >= 'A' && *s <= 'Z' ? (char)(*s + 32) : *s;
    if (a != *prefix) return false;
  }
  return true;
}

static wctr_err check_name(const char *name, const char *text, const char *flag, wctr_errmsg *e) {
  size_t n = strlen(name);
  if (n == 0) return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": the pipe name is empty", flag, text);
  if (n > WCTR_PIPE_NAME_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "%s: the pipe name is longer than %d characters", flag,
                     WCTR_PIPE_NAME_MAX);
  }
  for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7F || *p == '\\' || *p == '/') {
      return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": a pipe name cannot contain '\\', '/' or control characters",
                       flag, text);
    }
  }
  return WCTR_OK;
}

wctr_err wctr_pipe_path(const char *text, bool allow_bare_name, const char *flag, char *out, size_t size,
                        wctr_errmsg *e) {
  const char *name = NULL;
  if (text == NULL) return wctr_fail(e, WCTR_EINVAL, "%s: no pipe given", flag);
  if (starts_with_ci(text, "\\\\.\\pipe\\")) {
    name = text + strlen("\\\\.\\pipe\\");
  } else if (starts_with_ci(text, "npipe:////./pipe/")) {
    name = text + strlen("npipe:////./pipe/");
  } else if (starts_with_ci(text, "npipe://./pipe/")) {
    name = text + strlen("npipe://./pipe/");
  } else if (starts_with_ci(text, "npipe:") || starts_with_ci(text, "\\\\")) {
    return wctr_fail(e, WCTR_EINVAL,
                     "%s \"%s\": only pipes on this machine can be used (\\\\.\\pipe\\NAME or npipe:////./pipe/NAME)",
                     flag, text);
  } else if (strstr(text, "://") != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": wctr talks over a named pipe only (npipe:////./pipe/NAME)",
                     flag, text);
  } else if (allow_bare_name) {
    name = text;
  } else {
    return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": expected \\\\.\\pipe\\NAME or npipe:////./pipe/NAME", flag,
                     text);
  }
  wctr_err err = check_name(name, text, flag, e);
  if (err != WCTR_OK) return err;
  if ((size_t)snprintf(out, size, "%s%s", WCTR_PIPE_PREFIX, name) >= size) {
    return wctr_fail(e, WCTR_EINVAL, "%s: the pipe name is too long", flag);
  }
  return WCTR_OK;
}
