/* kube/yaml.c - Kubernetes objects as YAML (contract in kube/kube.h). A writer of its own rather than
 * libyaml's emitter: every string is double-quoted whatever it holds, so no value can read back as a
 * number, a boolean or null, and the text lives in one buffer that is zeroed whenever it grows or is
 * freed (a Secret's values pass through it). */
#include "kube/kube_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"

/* 2^53: every integer up to it is exact in cJSON's double. */
#define MAX_EXACT 9007199254740992.0

typedef struct ybuf {
  char *data;
  size_t len, cap;
  bool oom;
} ybuf;

/* Grows by copying into a new block and zeroing the old one (realloc could leave a copy behind). */
static void yb_put(ybuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap == 0 ? 1024 : b->cap;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = malloc(cap);
    if (p == NULL) {
      b->oom = true;
      return;
    }
    if (b->data != NULL) {
      memcpy(p, b->data, b->len);
      wctr_secure_zero(b->data, b->cap);
      free(b->data);
    }
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void yb_str(ybuf *b, const char *s) { yb_put(b, s, strlen(s)); }

static void yb_indent(ybuf *b, int n) {
  for (int i = 0; i < n; i++) yb_put(b, " ", 1);
}

static void yb_free(ybuf *b) {
  if (b->data != NULL) wctr_secure_zero(b->data, b->cap);
  free(b->data);
  memset(b, 0, sizeof *b);
}

/* The length of the UTF-8 sequence at p (n bytes left) and its code point; 0 when it is not well-formed. */
static size_t utf8_at(const unsigned char *p, size_t n, uint32_t *cp) {
  unsigned c = p[0];
  size_t len;
  uint32_t min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  uint32_t v = c & (0xFFu >> (len + 1));
  for (size_t k = 1; k < len; k++) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (p[k] & 0x3Fu);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

bool kube_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  uint32_t cp;
  while (i < n) {
    size_t len = utf8_at(p + i, n - i, &cp);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

/* A double-quoted scalar. False when s is not UTF-8. */
static bool y_quoted(ybuf *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  size_t n = strlen(s);
  yb_put(b, "\"", 1);
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t len = utf8_at(p + i, n - i, &cp);
    if (len == 0) return false;
    char esc[16];
    if (cp == '"') {
      yb_str(b, "\\\"");
    } else if (cp == '\\') {
      yb_str(b, "\\\\");
    } else if (cp == '\n') {
      yb_str(b, "\\n");
    } else if (cp == '\t') {
      yb_str(b, "\\t");
    } else if (cp == '\r') {
      yb_str(b, "\\r");
    } else if (cp < 0x20 || cp == 0x7F) {
      snprintf(esc, sizeof esc, "\\x%02X", (unsigned)cp);
      yb_str(b, esc);
    } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE ||
               cp == 0xFFFF) {
      /* What YAML does not allow unescaped (C1 controls, U+FFFE, U+FFFF), what a reader takes for a line break
       * (U+0085, U+2028, U+2029), and a byte-order mark: escaped so that they survive as written. */
      snprintf(esc, sizeof esc, "\\u%04X", (unsigned)cp);
      yb_str(b, esc);
    } else {
      yb_put(b, s + i, len);
    }
    i += len;
  }
  yb_put(b, "\"", 1);
  return true;
}

static bool plain_key(const char *k) {
  static const char *const special[] = {"y", "yes", "n", "no", "on", "off", "true", "false", "null", NULL};
  if (!((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z') || k[0] == '_')) return false;
  for (const char *p = k; *p != '\0'; p++) {
    char c = *p;
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '/' || c == '-';
    if (!ok) return false;
  }
  for (size_t i = 0; special[i] != NULL; i++) {
    size_t n = strlen(special[i]);
    if (strlen(k) != n) continue;
    size_t j = 0;
    while (j < n && (k[j] | 0x20) == special[i][j]) j++;
    if (j == n) return false;
  }
  return true;
}

typedef struct ywriter {
  ybuf buf;
  wctr_err err;
  wctr_errmsg *e;
} ywriter;

static void y_fail(ywriter *w, const char *what) {
  if (w->err == WCTR_OK) w->err = wctr_fail(w->e, WCTR_EINVAL, "%s", what);
}

static void y_key(ywriter *w, const char *k) {
  if (plain_key(k)) {
    yb_str(&w->buf, k);
  } else if (!y_quoted(&w->buf, k)) {
    y_fail(w, "a key of the output is not valid UTF-8");
  }
  yb_put(&w->buf, ":", 1);
}

/* A scalar (no line break). */
static void y_scalar(ywriter *w, const cJSON *v) {
  if (cJSON_IsString(v)) {
    if (!y_quoted(&w->buf, v->valuestring)) y_fail(w, "a string of the output is not valid UTF-8");
  } else if (cJSON_IsBool(v)) {
    yb_str(&w->buf, cJSON_IsTrue(v) ? "true" : "false");
  } else if (cJSON_IsNull(v)) {
    yb_str(&w->buf, "null");
  } else if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (!(d == floor(d)) || fabs(d) > MAX_EXACT) {
      y_fail(w, "a number of the output is not an exact integer");
      return;
    }
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, (int64_t)d);
    yb_str(&w->buf, text);
  } else if (cJSON_IsObject(v)) {
    yb_str(&w->buf, "{}");
  } else if (cJSON_IsArray(v)) {
    yb_str(&w->buf, "[]");
  } else {
    y_fail(w, "a value of the output has no YAML form");
  }
}

static bool is_block(const cJSON *v) { return (cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child != NULL; }

static void y_seq(ywriter *w, const cJSON *seq, int indent, int depth);

/* A mapping's pairs; the first at the current position when first_inline (a sequence item's "- "). */
static void y_map(ywriter *w, const cJSON *map, int indent, bool first_inline, int depth) {
  if (depth > 64) {
    y_fail(w, "the output nests too deeply");
    return;
  }
  bool first = true;
  for (const cJSON *c = map->child; c != NULL && w->err == WCTR_OK; c = c->next) {
    if (!(first && first_inline)) yb_indent(&w->buf, indent);
    first = false;
    y_key(w, c->string != NULL ? c->string : "");
    if (cJSON_IsObject(c) && is_block(c)) {
      yb_put(&w->buf, "\n", 1);
      y_map(w, c, indent + 2, false, depth + 1);
    } else if (cJSON_IsArray(c) && is_block(c)) {
      /* kubectl's layout: a sequence's items at its key's indent. */
      yb_put(&w->buf, "\n", 1);
      y_seq(w, c, indent, depth + 1);
    } else {
      yb_put(&w->buf, " ", 1);
      y_scalar(w, c);
      yb_put(&w->buf, "\n", 1);
    }
  }
}

static void y_seq(ywriter *w, const cJSON *seq, int indent, int depth) {
  if (depth > 64) {
    y_fail(w, "the output nests too deeply");
    return;
  }
  for (const cJSON *c = seq->child; c != NULL && w->err == WCTR_OK; c = c->next) {
    yb_indent(&w->buf, indent);
    if (cJSON_IsArray(c) && is_block(c)) {
      yb_put(&w->buf, "-\n", 2);
      y_seq(w, c, indent + 2, depth + 1);
      continue;
    }
    yb_put(&w->buf, "- ", 2);
    if (cJSON_IsObject(c) && is_block(c)) {
      y_map(w, c, indent + 2, true, depth + 1);
    } else {
      y_scalar(w, c);
      yb_put(&w->buf, "\n", 1);
    }
  }
}

static void y_comment(ywriter *w, const char *comment) {
  if (comment == NULL) return;
  const char *p = comment;
  while (*p != '\0') {
    const char *nl = strchr(p, '\n');
    size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
    yb_put(&w->buf, "# ", 2);
    yb_put(&w->buf, p, n);
    yb_put(&w->buf, "\n", 1);
    p += n;
    if (*p == '\n') p++;
  }
}

static void y_object(ywriter *w, const kube_object *o) {
  y_comment(w, o->comment);
  if (!cJSON_IsObject(o->body)) {
    y_fail(w, "an object of the output is not a mapping");
    return;
  }
  y_map(w, o->body, 0, false, 0);
}

static wctr_err y_finish(ywriter *w, char **text, size_t *len) {
  if (w->err == WCTR_OK && w->buf.oom) w->err = wctr_fail(w->e, WCTR_ENOMEM, "out of memory");
  if (w->err == WCTR_OK && w->buf.data == NULL) yb_put(&w->buf, "", 0);
  if (w->err == WCTR_OK && w->buf.oom) w->err = wctr_fail(w->e, WCTR_ENOMEM, "out of memory");
  if (w->err != WCTR_OK) {
    yb_free(&w->buf);
    return w->err;
  }
  *text = w->buf.data;
  *len = w->buf.len;
  return WCTR_OK;
}

wctr_err kube_yaml(const kube_object *objects, size_t count, char **text, size_t *len, wctr_errmsg *e) {
  ywriter w = {.e = e};
  if (text == NULL || len == NULL) return wctr_fail(e, WCTR_EINVAL, "kube_yaml: no output");
  *text = NULL;
  *len = 0;
  for (size_t i = 0; i < count && w.err == WCTR_OK; i++) {
    if (i > 0) yb_str(&w.buf, "---\n");
    y_object(&w, &objects[i]);
  }
  return y_finish(&w, text, len);
}

wctr_err kube_yaml_one(const kube_object *object, char **text, size_t *len, wctr_errmsg *e) {
  return kube_yaml(object, 1, text, len, e);
}

char *kube_file_name(const kube_object *object, size_t index) {
  size_t n = strlen(object->kind) + strlen(object->name) + 40;
  char *out = malloc(n);
  if (out == NULL) return NULL;
  snprintf(out, n, "%02zu-%s-%s.yaml", index, object->kind, object->name);
  for (char *p = out; *p != '\0'; p++) {
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  }
  return out;
}

void kube_text_free(char *text, size_t len) {
  if (text == NULL) return;
  wctr_secure_zero(text, len);
  free(text);
}
