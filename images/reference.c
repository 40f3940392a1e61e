/* images/reference.c - image references (portable). Contract: images/reference.h. */
#include "images/reference.h"

#include <stdio.h>
#include <string.h>

static bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool hexdigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

/* One path component of len bytes: alnum runs joined by ".", "_", "__" or "-"+. */
static bool component_valid(const char *s, size_t len) {
  size_t i = 0;
  if (len == 0 || !lower_alnum(s[0]) || !lower_alnum(s[len - 1])) return false;
  while (i < len) {
    if (lower_alnum(s[i])) {
      i++;
      continue;
    }
    size_t start = i;
    if (s[i] == '.') {
      i++;
    } else if (s[i] == '_') {
      i++;
      if (i < len && s[i] == '_') i++;
    } else if (s[i] == '-') {
      while (i < len && s[i] == '-') i++;
    } else {
      return false;
    }
    if (i == start || i >= len || !lower_alnum(s[i])) return false;
  }
  return true;
}

/* host[:port], host = labels of [A-Za-z0-9-] joined by dots, or [IPv6]. */
static bool domain_valid(const char *s, size_t len) {
  size_t i = 0;
  if (len == 0) return false;
  if (s[0] == '[') {
    while (i < len && s[i] != ']') {
      if (!(hexdigit(s[i]) || (s[i] >= 'A' && s[i] <= 'F') || s[i] == ':' || s[i] == '[')) return false;
      i++;
    }
    if (i >= len) return false;
    i++;
  } else {
    bool label_start = true;
    while (i < len && s[i] != ':') {
      char c = s[i];
      bool alnum = lower_alnum(c) || upper(c);
      if (c == '.') {
        if (label_start) return false;
        label_start = true;
      } else if (alnum || (c == '-' && !label_start)) {
        label_start = false;
      } else {
        return false;
      }
      i++;
    }
    if (label_start) return false;
  }
  if (i == len) return true;
  if (s[i] != ':' || i + 1 == len) return false;
  for (i++; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

static bool tag_valid(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > IMG_TAG_MAX || s[0] == '.' || s[0] == '-') return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!(lower_alnum(c) || upper(c) || c == '_' || c == '.' || c == '-')) return false;
  }
  return true;
}

static wctr_err bad(const char *text, const char *why, wctr_errmsg *e) {
  char shown[120];
  size_t o = 0;
  for (const char *p = text; *p != '\0' && o < 100; p++) shown[o++] = (*p >= 0x20 && *p < 0x7f && *p != '"') ? *p : '?';
  shown[o] = '\0';
  return wctr_fail(e, WCTR_EINVAL, "invalid reference format: \"%s%s\" (%s)", shown, strlen(text) > 100 ? "..." : "",
                   why);
}

bool img_is_id_text(const char *text) {
  if (text == NULL) return false;
  if (strncmp(text, IMG_DIGEST_PREFIX, strlen(IMG_DIGEST_PREFIX)) == 0) return img_digest_valid(text);
  size_t n = strlen(text);
  if (n < 12 || n > IMG_DIGEST_HEX) return false;
  for (size_t i = 0; i < n; i++) {
    if (!hexdigit(text[i])) return false;
  }
  return true;
}

wctr_err img_ref_parse(const char *text, img_ref *out, wctr_errmsg *e) {
  img_ref r;
  memset(&r, 0, sizeof r);
  if (text == NULL || text[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "invalid reference format: an image name is required");
  size_t n = strlen(text);
  if (n > IMG_NAME_MAX + 1 + IMG_TAG_MAX + 1 + IMG_DIGEST_MAX) return bad(text, "too long", e);
  if (img_digest_valid(text) || (n == IMG_DIGEST_HEX && img_is_id_text(text))) {
    return bad(text, "an image id, not a name", e);
  }
  char work[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 8];
  snprintf(work, sizeof work, "%s", text);
  char *at = strchr(work, '@');
  if (at != NULL) {
    *at = '\0';
    if (!img_digest_valid(at + 1)) return bad(text, "the digest must be sha256:<64 lowercase hex digits>", e);
    snprintf(r.digest, sizeof r.digest, "%s", at + 1);
  }
  char *last_slash = strrchr(work, '/');
  char *colon = strrchr(last_slash != NULL ? last_slash : work, ':');
  if (colon != NULL) {
    *colon = '\0';
    if (!tag_valid(colon + 1)) return bad(text, "a tag is [A-Za-z0-9_.-], at most 128, not starting with . or -", e);
    snprintf(r.tag, sizeof r.tag, "%s", colon + 1);
  }
  /* work is now the name: [domain/]path */
  char *name = work;
  char *slash = strchr(name, '/');
  const char *path = name;
  if (slash != NULL) {
    size_t first = (size_t)(slash - name);
    bool is_domain = memchr(name, '.', first) != NULL || memchr(name, ':', first) != NULL ||
                     (first == 9 && strncmp(name, "localhost", 9) == 0) || memchr(name, '[', first) != NULL;
    if (is_domain) {
      if (!domain_valid(name, first)) return bad(text, "the registry is not host[:port]", e);
      snprintf(r.domain, sizeof r.domain, "%.*s", (int)first, name);
      path = slash + 1;
    }
  }
  if (r.domain[0] == '\0') snprintf(r.domain, sizeof r.domain, "%s", IMG_DEFAULT_DOMAIN);
  if (path[0] == '\0') return bad(text, "the repository name is empty", e);
  for (const char *p = path; *p != '\0'; p++) {
    if (upper(*p)) return bad(text, "repository name must be lowercase", e);
  }
  for (const char *c = path;;) {
    const char *end = strchr(c, '/');
    size_t len = end != NULL ? (size_t)(end - c) : strlen(c);
    if (!component_valid(c, len)) return bad(text, "a path component is [a-z0-9] joined by '.', '_', '__' or '-'", e);
    if (end == NULL) break;
    c = end + 1;
  }
  bool hub = strcmp(r.domain, IMG_DEFAULT_DOMAIN) == 0 || strcmp(r.domain, "index.docker.io") == 0;
  if (hub) snprintf(r.domain, sizeof r.domain, "%s", IMG_DEFAULT_DOMAIN);
  int len = snprintf(r.path, sizeof r.path, "%s%s", hub && strchr(path, '/') == NULL ? "library/" : "", path);
  if (len < 0 || (size_t)len >= sizeof r.path || strlen(r.domain) + 1 + (size_t)len > IMG_NAME_MAX) {
    return bad(text, "the name is longer than 255 characters", e);
  }
  if (r.tag[0] == '\0' && r.digest[0] == '\0') snprintf(r.tag, sizeof r.tag, "%s", IMG_DEFAULT_TAG);
  *out = r;
  return WCTR_OK;
}

void img_ref_name(const img_ref *r, char *out, size_t size) { snprintf(out, size, "%s/%s", r->domain, r->path); }

void img_name_familiar(const char *full, char *out, size_t size) {
  const char *hub = IMG_DEFAULT_DOMAIN "/";
  const char *rest = full + strlen(hub);
  size_t first = strcspn(rest, "/");
  /* docker.io/a.b/c must keep its domain: "a.b/c" would read as a registry of its own */
  bool looks_like_domain = memchr(rest, '.', first) != NULL || memchr(rest, ':', first) != NULL ||
                           (first == 9 && strncmp(rest, "localhost", 9) == 0);
  if (strncmp(full, hub, strlen(hub)) == 0 && !looks_like_domain) {
    if (strncmp(rest, "library/", 8) == 0 && strchr(rest + 8, '/') == NULL) rest += 8;
    snprintf(out, size, "%s", rest);
    return;
  }
  snprintf(out, size, "%s", full);
}

void img_ref_familiar_name(const img_ref *r, char *out, size_t size) {
  char full[IMG_NAME_MAX + 2];
  img_ref_name(r, full, sizeof full);
  img_name_familiar(full, out, size);
}

void img_ref_familiar(const img_ref *r, char *out, size_t size) {
  char name[IMG_NAME_MAX + 2];
  img_ref_familiar_name(r, name, sizeof name);
  if (r->tag[0] != '\0') {
    snprintf(out, size, "%s:%s", name, r->tag);
  } else {
    snprintf(out, size, "%s@%s", name, r->digest);
  }
}

const char *img_ref_registry_host(const img_ref *r) {
  return strcmp(r->domain, IMG_DEFAULT_DOMAIN) == 0 ? "registry-1.docker.io" : r->domain;
}

bool img_host_is_loopback(const char *host) {
  char h[IMG_NAME_MAX + 1];
  snprintf(h, sizeof h, "%s", host);
  if (h[0] == '[') {
    char *end = strchr(h, ']');
    if (end == NULL) return false;
    *end = '\0';
    return strcmp(h + 1, "::1") == 0;
  }
  char *colon = strchr(h, ':');
  if (colon != NULL) *colon = '\0';
  if (strcmp(h, "localhost") == 0) return true;
  /* 127.0.0.0/8: four decimal parts, the first 127. */
  unsigned parts = 0;
  const char *p = h;
  if (strncmp(p, "127.", 4) != 0) return false;
  while (*p != '\0') {
    unsigned v = 0;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) v = v * 10 + (unsigned)(*p++ - '0'), digits++;
    if (digits == 0 || v > 255) return false;
    parts++;
    if (*p == '.') p++;
    else if (*p != '\0') return false;
  }
  return parts == 4;
}
