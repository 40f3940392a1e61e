/* kube/names.c - Kubernetes' rules for names, label keys and values, data keys, environment variable
 * names and Windows user names, as its API server validates them; and quantities. */
#include "kube/kube_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

/* n bytes of s as an RFC 1123 label. */
static bool label_n(const char *s, size_t n) {
  if (n == 0 || n > 63 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1])) return false;
  for (size_t i = 0; i < n; i++) {
    if (!lower_alnum(s[i]) && s[i] != '-') return false;
  }
  return true;
}

bool kube_dns1123_label(const char *s) { return s != NULL && label_n(s, strlen(s)); }

bool kube_dns1035_label(const char *s) { return kube_dns1123_label(s) && s[0] >= 'a' && s[0] <= 'z'; }

bool kube_dns1123_subdomain(const char *s) {
  if (s == NULL) return false;
  size_t n = strlen(s);
  if (n == 0 || n > 253) return false;
  const char *p = s;
  for (;;) {
    const char *dot = strchr(p, '.');
    size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
    /* A subdomain's parts may be longer than a label's 63 (the whole is bounded by 253). */
    if (len == 0 || !lower_alnum(p[0]) || !lower_alnum(p[len - 1])) return false;
    for (size_t i = 0; i < len; i++) {
      if (!lower_alnum(p[i]) && p[i] != '-') return false;
    }
    if (dot == NULL) return true;
    p = dot + 1;
  }
}

/* The name part of a label key, or a label value when non-empty. */
static bool qualified_name(const char *s, size_t n) {
  if (n == 0 || n > 63 || !alnum(s[0]) || !alnum(s[n - 1])) return false;
  for (size_t i = 0; i < n; i++) {
    if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
  }
  return true;
}

bool kube_label_key(const char *s) {
  if (s == NULL) return false;
  const char *slash = strchr(s, '/');
  if (slash == NULL) return qualified_name(s, strlen(s));
  size_t plen = (size_t)(slash - s);
  char prefix[254];
  if (plen == 0 || plen > 253) return false;
  memcpy(prefix, s, plen);
  prefix[plen] = '\0';
  return kube_dns1123_subdomain(prefix) && qualified_name(slash + 1, strlen(slash + 1));
}

bool kube_label_value(const char *s) { return s != NULL && (s[0] == '\0' || qualified_name(s, strlen(s))); }

bool kube_data_key(const char *s) {
  if (s == NULL) return false;
  size_t n = strlen(s);
  if (n == 0 || n > 253) return false;
  for (size_t i = 0; i < n; i++) {
    if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.') return false;
  }
  /* "." and ".." would be folder names in the volume. */
  return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

bool kube_env_name(const char *s) {
  if (s == NULL || s[0] == '\0') return false;
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p < 0x20 || *p > 0x7E || *p == '=') return false;
  }
  return true;
}

const char *kube_windows_user_problem(const char *s) {
  static const char bad_user[] = "\"/\\[]:;|=,+*?<>@";
  static const char bad_domain[] = "\\/:*?\"<>|";
  if (s == NULL || s[0] == '\0') return "it is empty";
  if (strlen(s) > 256) return "it is longer than 256 characters";
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7F) return "it holds a control character";
  }
  const char *slash = strchr(s, '\\');
  const char *user = s;
  if (slash != NULL) {
    if (strchr(slash + 1, '\\') != NULL) return "it holds more than one '\\' (DOMAIN\\USER)";
    size_t dlen = (size_t)(slash - s);
    if (dlen == 0) return "its domain (before '\\') is empty";
    if (dlen > 255) return "its domain is longer than 255 characters";
    for (size_t i = 0; i < dlen; i++) {
      if (strchr(bad_domain, s[i]) != NULL) return "its domain holds one of \\ / : * ? \" < > |";
    }
    user = slash + 1;
  }
  size_t ulen = strlen(user);
  if (ulen == 0) return "its user name is empty";
  if (ulen > 104) return "its user name is longer than 104 characters";
  bool only_dots_spaces = true;
  for (size_t i = 0; i < ulen; i++) {
    if (strchr(bad_user, user[i]) != NULL) return "its user name holds one of \" / \\ [ ] : ; | = , + * ? < > @";
    if (user[i] != '.' && user[i] != ' ') only_dots_spaces = false;
  }
  if (only_dots_spaces) return "its user name is only dots and spaces";
  return NULL;
}

char *kube_lower_name(const char *name) {
  size_t n = strlen(name);
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c == '_') c = '-';
    out[i] = c;
  }
  out[n] = '\0';
  return out;
}

void kube_memory_quantity(int64_t bytes, char *out, size_t size) {
  static const struct {
    int64_t unit;
    const char *suffix;
  } units[] = {{INT64_C(1) << 40, "Ti"}, {INT64_C(1) << 30, "Gi"}, {INT64_C(1) << 20, "Mi"}, {INT64_C(1) << 10, "Ki"}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (bytes >= units[i].unit && bytes % units[i].unit == 0) {
      snprintf(out, size, "%" PRId64 "%s", bytes / units[i].unit, units[i].suffix);
      return;
    }
  }
  snprintf(out, size, "%" PRId64, bytes);
}

bool kube_cpu_quantity(int64_t nano_cpus, char *out, size_t size) {
  if (nano_cpus <= 0 || nano_cpus % INT64_C(1000000) != 0) return false;
  if (nano_cpus % INT64_C(1000000000) == 0) {
    snprintf(out, size, "%" PRId64, nano_cpus / INT64_C(1000000000));
  } else {
    snprintf(out, size, "%" PRId64 "m", nano_cpus / INT64_C(1000000));
  }
  return true;
}

char *kube_dollar_escape(const char *s) {
  size_t n = 0;
  for (const char *p = s; *p != '\0'; p++) n += *p == '$' ? 2 : 1;
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  char *w = out;
  for (const char *p = s; *p != '\0'; p++) {
    *w++ = *p;
    if (*p == '$') *w++ = '$';
  }
  *w = '\0';
  return out;
}
