/* spec/names.c - names and paths from outside, one rule per kind (portable; contract in spec/names.h). */
#include "spec/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec/text.h"

bool spec_is_device_name(const char *component, size_t len) {
  static const char *const names[] = {
      "CON",  "PRN",  "AUX",  "NUL",  "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
      "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
      /* Windows also treats COM and LPT followed by superscript one, two and three as devices. */
      "COM\xC2\xB9", "COM\xC2\xB2", "COM\xC2\xB3", "LPT\xC2\xB9", "LPT\xC2\xB2", "LPT\xC2\xB3", "CONIN$",
      "CONOUT$", NULL};
  char base[16];
  size_t n = 0;
  while (n < len && component[n] != '.') n++;
  while (n > 0 && component[n - 1] == ' ') n--;
  if (n == 0 || n >= sizeof base) return false;
  memcpy(base, component, n);
  base[n] = '\0';
  for (size_t i = 0; names[i] != NULL; i++) {
    if (spec_ascii_equal_nocase(base, names[i])) return true;
  }
  return false;
}

wctr_err spec_file_name_check(const char *name, size_t max, const char *what, const char *where, wctr_errmsg *e) {
  char q[SPEC_QUOTE_SIZE];
  if (name == NULL || name[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "%s: a %s cannot be empty", where, what);
  size_t n = strlen(name);
  if (n > max) {
    return wctr_fail(e, WCTR_EINVAL, "%s: %s %s is longer than %zu bytes", where, what, spec_quote(q, sizeof q, name),
                     max);
  }
  if (!spec_utf8_valid(name, n)) return wctr_fail(e, WCTR_EINVAL, "%s: %s is not valid UTF-8", where, what);
  if (spec_has_control(name) || strpbrk(name, "\\/:*?\"<>|") != NULL) {
    return wctr_fail(e, WCTR_EINVAL,
                     "%s: %s %s must be a file name (no \\ / : * ? \" < > | or control characters)", where, what,
                     spec_quote(q, sizeof q, name));
  }
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[n - 1] == '.' || name[n - 1] == ' ') {
    return wctr_fail(e, WCTR_EINVAL, "%s: %s %s cannot be . or .. or end with a dot or a space", where, what,
                     spec_quote(q, sizeof q, name));
  }
  if (spec_is_device_name(name, n)) {
    return wctr_fail(e, WCTR_EINVAL, "%s: %s %s is a Windows device name", where, what, spec_quote(q, sizeof q, name));
  }
  return WCTR_OK;
}

wctr_err spec_credspec_name_check(const char *name, const char *where, wctr_errmsg *e) {
  wctr_err err = spec_file_name_check(name, SPEC_NAME_MAX, "credential spec name", where, e);
  if (err != WCTR_OK) return err;
  size_t n = strlen(name);
  if (n >= 4 && spec_ascii_equal_nocase(name + n - 4, ".tmp")) {
    char q[SPEC_QUOTE_SIZE];
    return wctr_fail(e, WCTR_EINVAL,
                     "%s: credential spec name %s ends in .tmp, which the store keeps for its unfinished writes "
                     "(and hides from its listing); choose another name",
                     where, spec_quote(q, sizeof q, name));
  }
  return WCTR_OK;
}

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool is_sep(char c) { return c == '\\' || c == '/'; }

/* Checks one component (len bytes at s) of a path; a sentence into e when it is refused. */
static wctr_err check_component(const char *s, size_t len, const char *what, wctr_errmsg *e) {
  char comp[SPEC_NAME_MAX + 1];
  char q[SPEC_QUOTE_SIZE];
  if (len > SPEC_NAME_MAX) return wctr_fail(e, WCTR_EINVAL, "%s has a component longer than %d bytes", what, SPEC_NAME_MAX);
  memcpy(comp, s, len);
  comp[len] = '\0';
  if (spec_has_control(comp) || strpbrk(comp, ":*?\"<>|") != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "%s has a component %s with a character Windows does not allow in a name "
                     "(: * ? \" < > | or a control character)", what, spec_quote(q, sizeof q, comp));
  }
  if (comp[len - 1] == '.' || comp[len - 1] == ' ') {
    return wctr_fail(e, WCTR_EINVAL, "%s has a component %s ending in a dot or a space, which Windows drops", what,
                     spec_quote(q, sizeof q, comp));
  }
  if (spec_is_device_name(comp, len)) {
    return wctr_fail(e, WCTR_EINVAL, "%s has a component %s that is a Windows device name", what,
                     spec_quote(q, sizeof q, comp));
  }
  return WCTR_OK;
}

wctr_err spec_path_normalize(const char *path, const char *what, char **out, bool *is_root, wctr_errmsg *e) {
  *out = NULL;
  if (is_root != NULL) *is_root = false;
  size_t n = path != NULL ? strlen(path) : 0;
  if (n == 0) return wctr_fail(e, WCTR_EINVAL, "%s is empty", what);
  if (n > SPEC_PATH_MAX) return wctr_fail(e, WCTR_EINVAL, "%s is longer than %d bytes", what, SPEC_PATH_MAX);
  if (!spec_utf8_valid(path, n)) return wctr_fail(e, WCTR_EINVAL, "%s is not valid UTF-8", what);
  /* The normal form is never longer than the path (a root "C:" gains its separator: one byte more). */
  char *buf = malloc(n + 2);
  if (buf == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t o = 0;
  const char *p = path;
  wctr_err err = WCTR_OK;
  if (is_letter(path[0]) && path[1] == ':' && is_sep(path[2])) {
    buf[o++] = path[0];
    buf[o++] = ':';
    p = path + 3;
  } else if (is_sep(path[0]) && is_sep(path[1])) {
    /* \\server\share: both belong to the root. "\\?\" and "\\.\" are device paths, not shares. */
    buf[o++] = '\\';
    buf[o++] = '\\';
    p = path + 2;
    for (int part = 0; part < 2 && err == WCTR_OK; part++) {
      const char *start = p;
      while (*p != '\0' && !is_sep(*p)) p++;
      size_t len = (size_t)(p - start);
      bool dots = (len == 1 && (start[0] == '.' || start[0] == '?')) || (len == 2 && start[0] == '.' && start[1] == '.');
      if (len == 0 || dots) {
        err = wctr_fail(e, WCTR_EINVAL, "%s must be absolute (C:\\dir or \\\\server\\share)", what);
        break;
      }
      err = check_component(start, len, what, e);
      if (err != WCTR_OK) break;
      if (part == 1) buf[o++] = '\\';
      memcpy(buf + o, start, len);
      o += len;
      if (is_sep(*p)) p++;
    }
  } else {
    err = wctr_fail(e, WCTR_EINVAL, "%s must be absolute (C:\\dir or \\\\server\\share)", what);
  }
  size_t root = o; /* "C:" or "\\server\share": components go after it, each behind a '\' */
  while (err == WCTR_OK && *p != '\0') {
    const char *start = p;
    while (*p != '\0' && !is_sep(*p)) p++;
    size_t len = (size_t)(p - start);
    if (is_sep(*p)) p++;
    if (len == 0 || (len == 1 && start[0] == '.')) continue;
    if (len == 2 && start[0] == '.' && start[1] == '.') {
      if (o == root) {
        err = wctr_fail(e, WCTR_EINVAL, "%s goes above its root with \"..\"", what);
        break;
      }
      while (o > root && buf[o - 1] != '\\') o--;
      o--; /* the separator before the component dropped */
      continue;
    }
    err = check_component(start, len, what, e);
    if (err != WCTR_OK) break;
    buf[o++] = '\\';
    memcpy(buf + o, start, len);
    o += len;
  }
  if (err != WCTR_OK) {
    free(buf);
    return err;
  }
  bool at_root = o == root;
  /* A drive's root is "C:\"; a share's is "\\server\share". */
  if (at_root && buf[1] == ':') buf[o++] = '\\';
  buf[o] = '\0';
  if (is_root != NULL) *is_root = at_root;
  *out = buf;
  return WCTR_OK;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

bool spec_path_within(const char *path, const char *base) {
  size_t n = strlen(base);
  /* A root ends in its separator ("C:\"): what follows it is inside. */
  size_t cmp = n > 0 && base[n - 1] == '\\' ? n - 1 : n;
  if (strlen(path) < cmp) return false;
  for (size_t i = 0; i < cmp; i++) {
    if (lower(path[i]) != lower(base[i])) return false;
  }
  return path[cmp] == '\0' || path[cmp] == '\\';
}

wctr_err spec_working_dir_check(const char *dir, const char *where, wctr_errmsg *e) {
  char q[SPEC_QUOTE_SIZE];
  char *normal = NULL;
  wctr_errmsg why;
  if (spec_path_normalize(dir, "it", &normal, NULL, &why) != WCTR_OK) {
    /* Docker's sentence, with wctr's reason when it is not simply relative. */
    spec_quote(q, sizeof q, dir);
    q[0] = '\'';
    q[strlen(q) - 1] = '\'';
    bool relative = strstr(why.text, "must be absolute") != NULL;
    return wctr_fail(e, WCTR_EINVAL, "%s: the working directory %s is invalid, it needs to be an absolute path%s%s",
                     where, q, relative ? "" : ": ", relative ? "" : why.text);
  }
  free(normal);
  return WCTR_OK;
}
