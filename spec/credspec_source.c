/* spec/credspec_source.c - parsing `credentialspec=SCHEME://VALUE` (portable; see credspec_source.h). */
#include "spec/credspec_source.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <string.h>

#include "common/base64.h"
#include "spec/names.h"
#include "spec/text.h"

/* NTFS and the Win32 name rules allow 255 UTF-16 units per component; counting bytes is stricter for
 * non-ASCII names, which is the safe direction. */
#define COMPONENT_MAX 255

const char *spec_credspec_kind_name(spec_credspec_kind kind) {
  switch (kind) {
    case SPEC_CREDSPEC_FILE:
      return "file";
    case SPEC_CREDSPEC_REGISTRY:
      return "registry";
    case SPEC_CREDSPEC_CONFIG:
      return "config";
    case SPEC_CREDSPEC_RAW:
      return "raw";
  }
  return "unknown";
}

static bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool is_separator(char c) { return c == '\\' || c == '/'; }

static wctr_err fail_under(const char *what, const char *dir, wctr_errmsg *e) {
  return wctr_fail(e, WCTR_EINVAL, "%s%s", what, dir != NULL ? dir : "the credentialspecs folder");
}

/* Checks a file:// path and writes its normalised form to *out (cJSON_malloc). */
static wctr_err normalize_file(const char *rel, const char *dir, char **out, wctr_errmsg *e) {
  char q[SPEC_QUOTE_SIZE];
  wctr_err err = WCTR_OK;
  size_t n = strlen(rel);
  char *buf = NULL;
  size_t o = 0;
  *out = NULL;

  if (n > SPEC_CREDSPEC_PATH_MAX) {
    return wctr_fail(e, WCTR_ETOOBIG, "invalid credential spec: file:// path is longer than %d bytes",
                     SPEC_CREDSPEC_PATH_MAX);
  }
  if (!spec_utf8_valid(rel, n))
    return wctr_fail(e, WCTR_EINVAL, "invalid credential spec: file:// path is not valid UTF-8");
  if (spec_has_control(rel)) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid credential spec: file:// path cannot contain control characters");
  }
  /* A leading separator is a root (\x, /x) or a UNC or device path (\\server\share, \\?\C:\x,
   * \\.\NUL); a letter and ':' is a drive, absolute (C:\x) or relative to that drive's current folder
   * (C:x). Either way the path does not start in credentialspecs. */
  if (is_separator(rel[0]) || (is_ascii_letter(rel[0]) && rel[1] == ':')) {
    return wctr_fail(e, WCTR_EINVAL, SPEC_CREDSPEC_MSG_ABSOLUTE);
  }
  if (strchr(rel, ':') != NULL) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid credential spec: file:// path cannot contain ':' (alternate data streams)");
  }
  if (strpbrk(rel, "<>\"|?*") != NULL) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid credential spec: file:// path cannot contain any of < > \" | ? *");
  }

  /* The normal form is never longer than the input. buf always holds the components kept so far,
   * joined with '\', NUL-terminated. */
  buf = cJSON_malloc(n + 1);
  if (buf == NULL) return wctr_fail(e, WCTR_ENOMEM, "invalid credential spec: out of memory");
  buf[0] = '\0';
  const char *p = rel;
  for (;;) {
    const char *start = p;
    while (*p != '\0' && !is_separator(*p)) p++;
    size_t len = (size_t)(p - start);
    if (len == 0) {
      err = wctr_fail(e, WCTR_EINVAL, "invalid credential spec: file:// path has an empty component");
      goto done;
    }
    if (len == 1 && start[0] == '.') {
      /* "." stays in the same folder. */
    } else if (len == 2 && start[0] == '.' && start[1] == '.') {
      if (o == 0) {
        err = fail_under(SPEC_CREDSPEC_MSG_UNDER, dir, e);
        goto done;
      }
      while (o > 0 && buf[o - 1] != '\\') o--;
      if (o > 0) o--; /* the separator before the dropped component */
      buf[o] = '\0';
    } else {
      if (len > COMPONENT_MAX) {
        err = wctr_fail(e, WCTR_EINVAL,
                        "invalid credential spec: file:// path component is longer than %d bytes",
                        COMPONENT_MAX);
        goto done;
      }
      if (o > 0) buf[o++] = '\\';
      size_t comp = o;
      memcpy(buf + o, start, len);
      o += len;
      buf[o] = '\0';
      if (start[len - 1] == '.' || start[len - 1] == ' ') {
        err = wctr_fail(e, WCTR_EINVAL,
                        "invalid credential spec: file:// path component %s ends with a dot or a space",
                        spec_quote(q, sizeof q, buf + comp));
        goto done;
      }
      if (spec_is_device_name(start, len)) {
        err = wctr_fail(e, WCTR_EINVAL,
                        "invalid credential spec: file:// path component %s is a reserved device name",
                        spec_quote(q, sizeof q, buf + comp));
        goto done;
      }
    }
    if (*p == '\0') break;
    p++; /* the separator; a separator at the very end leaves an empty last component */
  }
  if (o == 0) {
    err = fail_under("invalid credential spec: file:// path must name a file under ", dir, e);
    goto done;
  }
  *out = buf;
  buf = NULL;

done:
  if (buf != NULL) cJSON_free(buf);
  return err;
}

static wctr_err check_registry(const char *name, wctr_errmsg *e) {
  size_t n = strlen(name);
  if (n > SPEC_CREDSPEC_REGISTRY_NAME_MAX) {
    return wctr_fail(e, WCTR_ETOOBIG,
                     "invalid credential spec: registry:// value name is longer than %d bytes",
                     SPEC_CREDSPEC_REGISTRY_NAME_MAX);
  }
  if (!spec_utf8_valid(name, n)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid credential spec: registry:// value name is not valid UTF-8");
  }
  /* The name is looked up as a value of the one CredentialSpecs key; a '\' has no business in it and
   * would read as a subkey path to anything that builds a path from it. */
  if (strchr(name, '\\') != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "invalid credential spec: registry:// value name cannot contain '\\'");
  }
  if (spec_has_control(name)) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid credential spec: registry:// value name cannot contain control characters");
  }
  return WCTR_OK;
}

static wctr_err check_config(const char *name, wctr_errmsg *e) {
  if (!spec_utf8_valid(name, strlen(name))) {
    return wctr_fail(e, WCTR_EINVAL, "invalid credential spec: config:// name is not valid UTF-8");
  }
  if (spec_has_control(name)) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid credential spec: config:// name cannot contain control characters");
  }
  /* A config name is a name, never a path: whatever store resolves it may well be a folder. */
  if (strpbrk(name, "/\\") != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
    return wctr_fail(e, WCTR_EINVAL, "invalid credential spec: config:// name cannot be a path");
  }
  return WCTR_OK;
}

wctr_err spec_credspec_source_make(spec_credspec_kind kind, const char *value, const char *credspec_dir,
                          spec_credspec_source *out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  char *copy = NULL;
  memset(out, 0, sizeof *out);
  const char *name = spec_credspec_kind_name(kind);
  if (strcmp(name, "unknown") == 0)
    return wctr_fail(e, WCTR_EINVAL, "invalid credential spec: unknown source kind");
  if (value == NULL || value[0] == '\0') {
    return wctr_fail(e, WCTR_EINVAL, "invalid credential spec: %s:// value must not be empty", name);
  }
  switch (kind) {
    case SPEC_CREDSPEC_FILE:
      err = normalize_file(value, credspec_dir, &copy, e);
      break;
    case SPEC_CREDSPEC_REGISTRY:
      err = check_registry(value, e);
      break;
    case SPEC_CREDSPEC_CONFIG:
      err = check_config(value, e);
      break;
    case SPEC_CREDSPEC_RAW:
      /* The JSON is checked by gmsa_credspec_parse; only its size is bounded here. */
      if (strlen(value) > SPEC_CREDSPEC_MAX_BYTES) {
        err = wctr_fail(
            e, WCTR_ETOOBIG,
            "invalid credential spec: raw:// value of %zu bytes is larger than the limit of %u bytes",
            strlen(value), SPEC_CREDSPEC_MAX_BYTES);
      }
      break;
  }
  if (err != WCTR_OK) return err;
  if (copy == NULL) {
    size_t n = strlen(value);
    copy = cJSON_malloc(n + 1);
    if (copy == NULL) return wctr_fail(e, WCTR_ENOMEM, "invalid credential spec: out of memory");
    memcpy(copy, value, n + 1);
  }
  out->kind = kind;
  out->value = copy;
  return WCTR_OK;
}

/* The scheme (n bytes) equals name, ignoring ASCII case. */
static bool scheme_is(const char *scheme, size_t n, const char *name) {
  char buf[16];
  if (n != strlen(name) || n >= sizeof buf) return false;
  memcpy(buf, scheme, n);
  buf[n] = '\0';
  return spec_ascii_equal_nocase(buf, name);
}

wctr_err spec_credspec_source_parse(const char *option, const char *credspec_dir, spec_credspec_source *out, wctr_errmsg *e) {
  static const spec_credspec_kind kinds[] = {SPEC_CREDSPEC_FILE, SPEC_CREDSPEC_REGISTRY, SPEC_CREDSPEC_CONFIG,
                                           SPEC_CREDSPEC_RAW};
  memset(out, 0, sizeof *out);
  /* Docker splits at the first "://" and refuses an empty rest with the same message as a bad scheme. */
  const char *sep = option != NULL ? strstr(option, "://") : NULL;
  if (sep == NULL || sep[3] == '\0') return wctr_fail(e, WCTR_EINVAL, SPEC_CREDSPEC_MSG_PREFIX);
  size_t scheme_len = (size_t)(sep - option);
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    if (scheme_is(option, scheme_len, spec_credspec_kind_name(kinds[i]))) {
      return spec_credspec_source_make(kinds[i], sep + 3, credspec_dir, out, e);
    }
  }
  return wctr_fail(e, WCTR_EINVAL, SPEC_CREDSPEC_MSG_PREFIX);
}

void spec_credspec_source_free(spec_credspec_source *src) {
  if (src == NULL) return;
  /* A raw:// value is a whole credential spec (PluginInput included). */
  if (src->value != NULL) {
    wctr_secure_zero(src->value, strlen(src->value) + 1);
    cJSON_free(src->value);
  }
  wctr_secure_zero(src, sizeof *src);
}
