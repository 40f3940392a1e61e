/* compose/text.c - text helpers of the compose loader: strings, messages, variables (interpolation,
 * env files), paths, project names and Go durations. Rules are in compose/compose.h. */
#include "compose/compose_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Strings ------------------------------------------------------------------------------------------ */

static bool is_digit_in(char c, int base) {
  if (base == 16) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  return c >= '0' && c < (char)('0' + base);
}

bool cc_go_int(const char *s, bool *neg, uint64_t *magnitude) {
  *neg = false;
  if (*s == '+' || *s == '-') {
    *neg = *s == '-';
    s++;
  }
  int base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
    base = 8;
    s += 2;
  } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
    base = 2;
    s += 2;
  } else if (s[0] == '0' && s[1] != '\0') {
    base = 8;
    s += 1;
  }
  if (*s == '\0') return false;
  uint64_t v = 0;
  for (; *s != '\0'; s++) {
    if (!is_digit_in(*s, base)) return false;
    unsigned d = (*s >= '0' && *s <= '9') ? (unsigned)(*s - '0') : (unsigned)((*s | 0x20) - 'a' + 10);
    if (v > (UINT64_MAX - d) / (uint64_t)base) return false;
    v = v * (uint64_t)base + d;
  }
  *magnitude = v;
  return true;
}

char *cc_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p == NULL) return NULL;
  if (n > 0) memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *cc_strdup(const char *s) { return cc_strndup(s, strlen(s)); }

static bool buf_reserve(cc_buf *b, size_t more) {
  if (b->oom) return false;
  if (more < b->cap - b->len) return true;
  size_t cap = b->cap == 0 ? 64 : b->cap;
  while (cap - b->len <= more) {
    if (cap > SIZE_MAX / 2) {
      b->oom = true;
      return false;
    }
    cap *= 2;
  }
  char *p = realloc(b->p, cap);
  if (p == NULL) {
    b->oom = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void cc_buf_putn(cc_buf *b, const char *s, size_t n) {
  if (!buf_reserve(b, n)) return;
  if (n > 0) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void cc_buf_puts(cc_buf *b, const char *s) { cc_buf_putn(b, s, strlen(s)); }

void cc_buf_putc(cc_buf *b, char c) { cc_buf_putn(b, &c, 1); }

void cc_buf_printf(cc_buf *b, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    b->oom = true;
    return;
  }
  if ((size_t)n < sizeof small) {
    cc_buf_putn(b, small, (size_t)n);
    return;
  }
  if (!buf_reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

char *cc_buf_take(cc_buf *b) {
  if (b->oom) {
    cc_buf_free(b);
    return NULL;
  }
  char *p = b->p != NULL ? b->p : cc_strdup("");
  memset(b, 0, sizeof *b);
  return p;
}

void cc_buf_free(cc_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

const char *cc_quote(char *buf, size_t size, const char *s) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  size_t i = 0;
  if (size < 8) {
    if (size > 0) buf[0] = '\0';
    return buf;
  }
  buf[o++] = '"';
  for (; s[i] != '\0' && i < 64 && o + 8 < size; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == 0x7F) {
      buf[o++] = '\\';
      buf[o++] = 'x';
      buf[o++] = hex[c >> 4];
      buf[o++] = hex[c & 15];
    } else if (c == '"' || c == '\\') {
      buf[o++] = '\\';
      buf[o++] = (char)c;
    } else {
      buf[o++] = (char)c;
    }
  }
  if (s[i] != '\0') {
    buf[o++] = '.';
    buf[o++] = '.';
    buf[o++] = '.';
  }
  buf[o++] = '"';
  buf[o] = '\0';
  return buf;
}

/* ---- Document paths and warnings -------------------------------------------------------------------- */

/* Appends text; a path too long for the buffer is cut and marked, and the mark still restores it. */
static size_t path_append(cc_path *p, const char *text, size_t n) {
  size_t mark = p->len;
  if (n >= sizeof p->text - p->len - 4) {
    size_t room = sizeof p->text - p->len - 4;
    memcpy(p->text + p->len, text, room);
    p->len += room;
    memcpy(p->text + p->len, "...", 4);
    p->len += 3;
  } else {
    memcpy(p->text + p->len, text, n);
    p->len += n;
    p->text[p->len] = '\0';
  }
  return mark;
}

size_t cc_path_key(cc_path *p, const char *key) {
  if (p->len + 5 >= sizeof p->text) return p->len;
  size_t mark = p->len;
  if (p->len > 0) path_append(p, ".", 1);
  path_append(p, key, strlen(key));
  return mark;
}

size_t cc_path_index(cc_path *p, size_t index) {
  char text[32];
  int n = snprintf(text, sizeof text, "[%zu]", index);
  if (p->len + 5 >= sizeof p->text) return p->len;
  return path_append(p, text, (size_t)n);
}

void cc_path_pop(cc_path *p, size_t mark) {
  p->len = mark;
  p->text[mark] = '\0';
}

void cc_warn(compose_warnings *w, const char *fmt, ...) {
  if (w == NULL) return;
  char text[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  for (size_t i = 0; i < w->count; i++) {
    if (strcmp(w->text[i], text) == 0) return;
  }
  char **grown = realloc(w->text, (w->count + 1) * sizeof *grown);
  if (grown == NULL) return;
  w->text = grown;
  w->text[w->count] = cc_strdup(text);
  if (w->text[w->count] != NULL) w->count++;
}

void compose_warnings_free(compose_warnings *w) {
  if (w == NULL) return;
  for (size_t i = 0; i < w->count; i++) free(w->text[i]);
  free(w->text);
  w->text = NULL;
  w->count = 0;
}

/* ---- Variables ------------------------------------------------------------------------------------------ */

bool cc_kvlist_set(cc_kvlist *l, const char *key, const char *value) {
  char *v = value != NULL ? cc_strdup(value) : NULL;
  if (value != NULL && v == NULL) return false;
  for (size_t i = 0; i < l->count; i++) {
    if (strcmp(l->items[i].key, key) == 0) {
      free(l->items[i].value);
      l->items[i].value = v;
      return true;
    }
  }
  if (l->count == l->cap) {
    size_t cap = l->cap == 0 ? 8 : l->cap * 2;
    cc_kv *items = realloc(l->items, cap * sizeof *items);
    if (items == NULL) {
      free(v);
      return false;
    }
    l->items = items;
    l->cap = cap;
  }
  char *k = cc_strdup(key);
  if (k == NULL) {
    free(v);
    return false;
  }
  l->items[l->count].key = k;
  l->items[l->count].value = v;
  l->count++;
  return true;
}

const cc_kv *cc_kvlist_get(const cc_kvlist *l, const char *key) {
  if (l == NULL) return NULL;
  for (size_t i = 0; i < l->count; i++) {
    if (strcmp(l->items[i].key, key) == 0) return &l->items[i];
  }
  return NULL;
}

void cc_kvlist_free(cc_kvlist *l) {
  if (l == NULL) return;
  for (size_t i = 0; i < l->count; i++) {
    free(l->items[i].key);
    free(l->items[i].value);
  }
  free(l->items);
  memset(l, 0, sizeof *l);
}

const char *cc_env_get(const cc_env *env, const char *name) {
  if (env == NULL) return NULL;
  if (env->lookup != NULL) {
    const char *v = env->lookup(env->ctx, name);
    if (v != NULL) return v;
  }
  const cc_kv *kv = cc_kvlist_get(env->dotenv, name);
  if (kv != NULL && kv->value != NULL) return kv->value;
  kv = cc_kvlist_get(env->local, name);
  if (kv != NULL && kv->value != NULL) return kv->value;
  return NULL;
}

/* ---- Interpolation ------------------------------------------------------------------------------------ */

#define INTERP_MAX_NESTING 32

typedef enum interp_fail {
  IF_NONE = 0,
  IF_INVALID,
  IF_UNTERMINATED,
  IF_REQUIRED,
  IF_NESTING,
  IF_OOM,
} interp_fail;

typedef struct interp {
  const cc_env *env;
  compose_warnings *w;
  interp_fail fail;
  char name[128]; /* IF_REQUIRED: the variable (cut) */
  char *reason;   /* IF_REQUIRED: the message, interpolated; owned */
} interp;

static bool name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

static bool subst(interp *it, const char *in, size_t len, cc_buf *out, int depth);

static char *subst_text(interp *it, const char *in, size_t len, int depth) {
  cc_buf b = {0};
  if (!subst(it, in, len, &b, depth)) {
    cc_buf_free(&b);
    return NULL;
  }
  char *s = cc_buf_take(&b);
  if (s == NULL) it->fail = IF_OOM;
  return s;
}

static void lookup_name(interp *it, const char *name, size_t n, const char **value) {
  char small[128];
  char *key = n < sizeof small ? small : malloc(n + 1);
  *value = NULL;
  if (key == NULL) {
    it->fail = IF_OOM;
    return;
  }
  memcpy(key, name, n);
  key[n] = '\0';
  *value = cc_env_get(it->env, key);
  if (key != small) free(key);
}

static void warn_unset(interp *it, const char *name, size_t n) {
  cc_warn(it->w, "The \"%.*s\" variable is not set. Defaulting to a blank string.", (int)(n > 200 ? 200 : n),
          name);
}

/* One ${...} body (between the braces). */
static bool braced(interp *it, const char *body, size_t len, cc_buf *out, int depth) {
  size_t n = 0;
  if (len == 0 || !name_start(body[0])) {
    it->fail = IF_INVALID;
    return false;
  }
  while (n < len && name_char(body[n])) n++;
  const char *value;
  lookup_name(it, body, n, &value);
  if (it->fail != IF_NONE) return false;
  if (n == len) {
    if (value == NULL) warn_unset(it, body, n);
    cc_buf_puts(out, value != NULL ? value : "");
    return true;
  }
  bool colon = body[n] == ':';
  size_t op = n + (colon ? 1 : 0);
  if (op >= len || (body[op] != '-' && body[op] != '?' && body[op] != '+')) {
    it->fail = IF_INVALID;
    return false;
  }
  char kind = body[op];
  const char *arg = body + op + 1;
  size_t arg_len = len - op - 1;
  bool set = value != NULL && (!colon || value[0] != '\0');
  if (kind == '-') {
    if (set) {
      cc_buf_puts(out, value);
      return true;
    }
    return subst(it, arg, arg_len, out, depth + 1);
  }
  if (kind == '+') {
    if (set) return subst(it, arg, arg_len, out, depth + 1);
    cc_buf_puts(out, value != NULL ? value : "");
    return true;
  }
  /* '?' */
  if (set) {
    cc_buf_puts(out, value);
    return true;
  }
  char *reason = subst_text(it, arg, arg_len, depth + 1);
  if (reason == NULL) return false;
  it->fail = IF_REQUIRED;
  snprintf(it->name, sizeof it->name, "%.*s", (int)(n > 100 ? 100 : n), body);
  it->reason = reason;
  return false;
}

static bool subst(interp *it, const char *in, size_t len, cc_buf *out, int depth) {
  if (depth > INTERP_MAX_NESTING) {
    it->fail = IF_NESTING;
    return false;
  }
  size_t i = 0;
  while (i < len) {
    const char *dollar = memchr(in + i, '$', len - i);
    if (dollar == NULL) {
      cc_buf_putn(out, in + i, len - i);
      break;
    }
    size_t d = (size_t)(dollar - in);
    cc_buf_putn(out, in + i, d - i);
    char next = d + 1 < len ? in[d + 1] : '\0';
    if (next == '$') {
      cc_buf_putc(out, '$');
      i = d + 2;
    } else if (next == '{') {
      /* The body ends at the brace that balances this one, so defaults may hold ${...} themselves. */
      size_t j = d + 2;
      int level = 1;
      while (j < len) {
        if (in[j] == '{') level++;
        if (in[j] == '}' && --level == 0) break;
        j++;
      }
      if (j >= len) {
        /* A '{' left open inside (${UNSET:-{x}): compose v2's pattern then takes everything up to the last
         * '}' of the line, and both compose implementations read ${UNSET:-{x} as "{x". */
        size_t eol = d + 2;
        while (eol < len && in[eol] != '\n') eol++;
        j = eol;
        while (j > d + 2 && in[j - 1] != '}') j--;
        if (j == d + 2) {
          it->fail = IF_UNTERMINATED;
          return false;
        }
        j--;
      }
      if (!braced(it, in + d + 2, j - d - 2, out, depth)) return false;
      i = j + 1;
    } else if (name_start(next)) {
      size_t j = d + 1;
      while (j < len && name_char(in[j])) j++;
      const char *value;
      lookup_name(it, in + d + 1, j - d - 1, &value);
      if (it->fail != IF_NONE) return false;
      if (value == NULL) warn_unset(it, in + d + 1, j - d - 1);
      cc_buf_puts(out, value != NULL ? value : "");
      i = j;
    } else {
      /* "$" before anything else is text, as compose leaves it. */
      cc_buf_putc(out, '$');
      i = d + 1;
    }
  }
  if (out->oom) {
    it->fail = IF_OOM;
    return false;
  }
  return true;
}

wctr_err cc_interpolate(const char *in, const char *shown, const cc_env *env, compose_warnings *w, char **out,
                        char *msg, size_t msg_size) {
  *out = NULL;
  interp it = {.env = env, .w = w};
  size_t len = strlen(in);
  if (memchr(in, '$', len) == NULL) {
    *out = cc_strdup(in);
    if (*out == NULL) {
      snprintf(msg, msg_size, "out of memory");
      return WCTR_ENOMEM;
    }
    return WCTR_OK;
  }
  char *s = subst_text(&it, in, len, 0);
  if (s != NULL) {
    *out = s;
    return WCTR_OK;
  }
  char q[CC_QUOTE_SIZE + 16];
  if (shown != NULL) {
    snprintf(q, sizeof q, "in %.*s", CC_QUOTE_SIZE, shown);
  } else {
    cc_quote(q, sizeof q, in);
  }
  wctr_err err = WCTR_EINVAL;
  switch (it.fail) {
    case IF_UNTERMINATED:
      snprintf(msg, msg_size, "invalid interpolation format %s (unterminated \"${\"; write $$ for a literal $)",
               q);
      break;
    case IF_NESTING:
      snprintf(msg, msg_size, "invalid interpolation format %s (nested more than %d levels deep)", q,
               INTERP_MAX_NESTING);
      break;
    case IF_REQUIRED:
      if (it.reason != NULL && it.reason[0] != '\0') {
        snprintf(msg, msg_size, "required variable %s is missing a value: %.200s", it.name, it.reason);
      } else {
        snprintf(msg, msg_size, "required variable %s is missing a value", it.name);
      }
      break;
    case IF_OOM:
    case IF_NONE:
      snprintf(msg, msg_size, "out of memory");
      err = WCTR_ENOMEM;
      break;
    case IF_INVALID:
      snprintf(msg, msg_size, "invalid interpolation format %s (write $$ for a literal $)", q);
      break;
  }
  free(it.reason);
  return err;
}

bool cc_utf8_valid(const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    size_t len;
    unsigned min;
    if (c < 0x80) {
      i++;
      continue;
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
      return false;
    }
    if (n - i < len) return false;
    unsigned cp = c & (0xFFu >> (len + 1));
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3Fu);
    }
    /* No overlong forms, no surrogates, nothing above U+10FFFF. */
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

/* ---- Env files ---------------------------------------------------------------------------------------- */

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static wctr_err dotenv_fail(wctr_errmsg *e, const char *name, size_t line, const char *fmt, ...) WCTR_PRINTF(4, 5);

static wctr_err dotenv_fail(wctr_errmsg *e, const char *name, size_t line, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return wctr_fail(e, WCTR_EINVAL, "%s:%zu: %s", name, line, msg);
}

/* The value part of one statement (NUL-terminated, blanks before it skipped; a quoted value may run over
 * several lines, joined with \n): the text to interpolate, or the literal (*literal set); NULL with *why set
 * when it is malformed. Inside either kind of quotes a backslash escapes the next character, as compose v2's
 * parser reads them: \' does not close a single-quoted value (and stands for '), \" does not close a
 * double-quoted one. */
static char *dotenv_value(const char *v, bool *literal, const char **why) {
  cc_buf b = {0};
  *literal = false;
  *why = NULL;
  const char *rest;
  if (*v == '\'') {
    const char *p = v + 1;
    for (; *p != '\0' && *p != '\''; p++) {
      if (*p == '\\' && p[1] == '\'') {
        p++;
        cc_buf_putc(&b, '\'');
      } else if (*p == '\\' && p[1] != '\0') {
        /* Any other escape stays as written: single quotes take the text literally. */
        cc_buf_putn(&b, p, 2);
        p++;
      } else {
        cc_buf_putc(&b, *p);
      }
    }
    if (*p == '\0') {
      cc_buf_free(&b);
      *why = "the value's single quote is not closed (a backslash before a quote escapes it)";
      return NULL;
    }
    *literal = true;
    rest = p + 1;
  } else if (*v == '"') {
    const char *p = v + 1;
    for (; *p != '\0' && *p != '"'; p++) {
      if (*p == '\\' && p[1] != '\0') {
        p++;
        switch (*p) {
          /* The escapes both compose implementations decode. */
          case 'a': cc_buf_putc(&b, '\a'); break;
          case 'b': cc_buf_putc(&b, '\b'); break;
          case 'f': cc_buf_putc(&b, '\f'); break;
          case 'n': cc_buf_putc(&b, '\n'); break;
          case 'r': cc_buf_putc(&b, '\r'); break;
          case 't': cc_buf_putc(&b, '\t'); break;
          case 'v': cc_buf_putc(&b, '\v'); break;
          case '\\': cc_buf_putc(&b, '\\'); break;
          case '"': cc_buf_putc(&b, '"'); break;
          /* \$ is a literal dollar: $$ survives the interpolation that follows as one $. */
          case '$': cc_buf_puts(&b, "$$"); break;
          default:
            cc_buf_putc(&b, '\\');
            cc_buf_putc(&b, *p);
            break;
        }
      } else {
        cc_buf_putc(&b, *p);
      }
    }
    if (*p == '\0') {
      cc_buf_free(&b);
      *why = "the value's double quote is not closed (a backslash before a quote escapes it)";
      return NULL;
    }
    rest = p + 1;
  } else {
    /* Unquoted: a '#' after a blank starts a comment; trailing blanks go. */
    size_t n = 0;
    while (v[n] != '\0' && !(v[n] == '#' && n > 0 && is_blank(v[n - 1]))) n++;
    while (n > 0 && is_blank(v[n - 1])) n--;
    cc_buf_putn(&b, v, n);
    rest = "";
  }
  while (is_blank(*rest)) rest++;
  if (*rest != '\0' && *rest != '#') {
    cc_buf_free(&b);
    *why = "only a comment may follow a quoted value";
    return NULL;
  }
  char *out = cc_buf_take(&b);
  if (out == NULL) *why = "out of memory";
  return out;
}

/* One line of an env file, NUL-terminated and without its line break, into out. */
static wctr_err dotenv_line(const char *name, size_t line, char *s, const cc_env *env, const cc_env *chain,
                            compose_warnings *w, cc_kvlist *out, wctr_errmsg *e) {
  while (is_blank(*s)) s++;
  if (*s == '\0' || *s == '#') return WCTR_OK;
  /* Values become Windows environment strings (UTF-16): they must be well-formed UTF-8. Comments may be
   * in any encoding. */
  if (!cc_utf8_valid(s, strlen(s))) return dotenv_fail(e, name, line, "the line is not valid UTF-8");
  if (strncmp(s, "export", 6) == 0 && is_blank(s[6])) {
    s += 7;
    while (is_blank(*s)) s++;
  }
  char *eq = strchr(s, '=');
  size_t klen = eq != NULL ? (size_t)(eq - s) : strlen(s);
  while (klen > 0 && is_blank(s[klen - 1])) klen--;
  char *key = cc_strndup(s, klen);
  if (key == NULL) return wctr_fail(e, WCTR_ENOMEM, "%s: out of memory", name);
  wctr_err err = WCTR_OK;
  char *value = NULL;
  if (key[0] == '\0' || strpbrk(key, " \t'\"=") != NULL) {
    char q[CC_QUOTE_SIZE];
    err = dotenv_fail(e, name, line, "invalid variable name %s", cc_quote(q, sizeof q, key));
  } else if (eq == NULL) {
    /* "KEY" alone: the environment's value, or nothing. */
    const char *v = cc_env_get(env, key);
    if (v != NULL && !cc_kvlist_set(out, key, v)) err = wctr_fail(e, WCTR_ENOMEM, "%s: out of memory", name);
  } else {
    const char *v = eq + 1;
    while (is_blank(*v)) v++;
    bool literal;
    const char *why;
    char *raw = dotenv_value(v, &literal, &why);
    if (raw == NULL) {
      err = dotenv_fail(e, name, line, "%s", why);
    } else if (literal) {
      value = raw;
    } else {
      /* Env files often hold passwords: messages name the variable, never quote its value. */
      char msg[400];
      char shown[160];
      snprintf(shown, sizeof shown, "the value of %.100s", key);
      err = cc_interpolate(raw, shown, chain, w, &value, msg, sizeof msg);
      free(raw);
      if (err == WCTR_ENOMEM) {
        err = wctr_fail(e, err, "%s: out of memory", name);
      } else if (err != WCTR_OK) {
        err = dotenv_fail(e, name, line, "%s", msg);
      }
    }
    if (err == WCTR_OK && !cc_kvlist_set(out, key, value))
      err = wctr_fail(e, WCTR_ENOMEM, "%s: out of memory", name);
  }
  free(key);
  free(value);
  return err;
}

/* The quote that opens the value of the line data[0..n) and is not closed on it ('\'' or '"'), or 0. Reads
 * the line as dotenv_line does: a comment or a line without '=' has no value; in quotes a backslash
 * escapes the next character (dotenv_value's rule). */
static char open_quote(const char *data, size_t n) {
  size_t i = 0;
  while (i < n && is_blank(data[i])) i++;
  if (i == n || data[i] == '#') return 0;
  const char *eq = memchr(data + i, '=', n - i);
  if (eq == NULL) return 0;
  i = (size_t)(eq - data) + 1;
  while (i < n && is_blank(data[i])) i++;
  if (i == n || (data[i] != '\'' && data[i] != '"')) return 0;
  char quote = data[i];
  for (i++; i < n; i++) {
    if (data[i] == '\\' && i + 1 < n) {
      i++;
    } else if (data[i] == quote) {
      return 0;
    }
  }
  return quote;
}

/* The end of a statement whose quoted value opened at line [start, stop) and goes on: the end of the line
 * that closes the quote (*lines counts the line breaks crossed), or stop when no later line does (the
 * value is then reported as not closed). */
static size_t statement_end(const char *data, size_t len, size_t start, size_t stop, char quote, size_t *lines) {
  *lines = 0;
  /* Where the scan of the first line stopped: after the opening quote, with a trailing backslash (an
   * escaped line break) handled as any escape. */
  size_t i = start;
  while (data[i] != '=') i++;
  i++;
  while (data[i] != quote) i++;
  for (i++; i < len; i++) {
    if (data[i] == '\\' && i + 1 < len) {
      if (data[i + 1] == '\n') *lines += 1;
      i++;
    } else if (data[i] == '\n') {
      *lines += 1;
    } else if (data[i] == quote) {
      size_t end = i;
      while (end < len && data[end] != '\n') end++;
      return end;
    }
  }
  *lines = 0;
  return stop;
}

wctr_err cc_dotenv_parse(const char *name, const char *data, size_t len, const cc_env *env,
                         compose_warnings *w, cc_kvlist *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  size_t pos = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
  cc_env chain = {0};
  if (env != NULL) chain = *env;
  chain.local = out;
  wctr_err err = WCTR_OK;
  size_t line = 0;
  while (pos < len && err == WCTR_OK) {
    line++;
    size_t first = line;
    size_t start = pos;
    size_t stop = start;
    while (stop < len && data[stop] != '\n') stop++;
    /* A quoted value may go on over the next lines (a certificate): the statement then ends with the line
     * that closes it. */
    char quote = open_quote(data + start, stop - start);
    if (quote != 0) {
      size_t lines = 0;
      stop = statement_end(data, len, start, stop, quote, &lines);
      line += lines;
    }
    pos = stop < len ? stop + 1 : len;
    if (stop > start && data[stop - 1] == '\r') stop--;
    /* One statement, its line breaks \n whatever the file uses: a value does not change with the
     * checkout's line endings. */
    char *text = malloc(stop - start + 1);
    if (text == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "%s: out of memory", name);
      break;
    }
    size_t n = 0;
    size_t at = first;
    for (size_t i = start; i < stop && err == WCTR_OK; i++) {
      if (data[i] == '\0') {
        err = dotenv_fail(e, name, at, "the line holds a NUL character");
      } else if (data[i] == '\r' && i + 1 < stop && data[i + 1] == '\n') {
        continue;
      } else {
        if (data[i] == '\n') at++;
        text[n++] = data[i];
      }
    }
    text[n] = '\0';
    if (err == WCTR_OK) err = dotenv_line(name, first, text, env, &chain, w, out, e);
    free(text);
  }
  if (err != WCTR_OK) cc_kvlist_free(out);
  return err;
}

/* ---- Paths ---------------------------------------------------------------------------------------------- */

static bool is_sep(char c) { return c == '/' || c == '\\'; }
static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool cc_path_is_abs(const char *p) { return is_sep(p[0]) || (is_letter(p[0]) && p[1] == ':'); }

/* Length of the root of an absolute path: "C:\" (or "C:"), "\\server\share\", "/". */
static size_t root_len(const char *p) {
  if (is_letter(p[0]) && p[1] == ':') return is_sep(p[2]) ? 3 : 2;
  if (is_sep(p[0]) && is_sep(p[1])) {
    /* UNC: the server and the share belong to the root. */
    size_t i = 2;
    for (int parts = 0; parts < 2; parts++) {
      while (p[i] != '\0' && !is_sep(p[i])) i++;
      if (p[i] != '\0') i++;
    }
    return i;
  }
  return is_sep(p[0]) ? 1 : 0;
}

char *cc_path_join(const char *dir, const char *rel) {
  if (cc_path_is_abs(rel)) return cc_strdup(rel);
  char sep = (strchr(dir, '\\') != NULL || (is_letter(dir[0]) && dir[1] == ':')) ? '\\' : '/';
  size_t root = root_len(dir);
  /* Components of dir (after its root) and of rel, with "." dropped and ".." taking one back (never
   * above the root). */
  size_t total = strlen(dir) + strlen(rel) + 2;
  const char **parts = malloc(total * sizeof *parts);
  size_t *lens = malloc(total * sizeof *lens);
  char *out = NULL;
  if (parts == NULL || lens == NULL) goto done;
  size_t n = 0;
  const char *sources[2] = {dir + root, rel};
  for (int k = 0; k < 2; k++) {
    const char *s = sources[k];
    while (*s != '\0') {
      while (is_sep(*s)) s++;
      const char *c = s;
      while (*s != '\0' && !is_sep(*s)) s++;
      size_t len = (size_t)(s - c);
      if (len == 0 || (len == 1 && c[0] == '.')) continue;
      if (len == 2 && c[0] == '.' && c[1] == '.') {
        if (n > 0) n--;
        continue;
      }
      parts[n] = c;
      lens[n] = len;
      n++;
    }
  }
  cc_buf b = {0};
  for (size_t i = 0; i < root; i++) cc_buf_putc(&b, is_sep(dir[i]) ? sep : dir[i]);
  if (root > 0 && !is_sep(dir[root - 1]) && n > 0 && !(root == 2 && dir[1] == ':')) cc_buf_putc(&b, sep);
  for (size_t i = 0; i < n; i++) {
    if (i > 0) cc_buf_putc(&b, sep);
    cc_buf_putn(&b, parts[i], lens[i]);
  }
  if (b.len == 0) cc_buf_putc(&b, '.');
  out = cc_buf_take(&b);
done:
  free(parts);
  free(lens);
  return out;
}

char *cc_path_dir(const char *p) {
  size_t root = root_len(p);
  size_t end = strlen(p);
  while (end > root && is_sep(p[end - 1])) end--;
  while (end > root && !is_sep(p[end - 1])) end--;
  while (end > root && is_sep(p[end - 1])) end--;
  if (end == 0) return cc_strdup(".");
  return cc_strndup(p, end);
}

const char *cc_path_base(const char *p, size_t *len) {
  size_t root = root_len(p);
  size_t end = strlen(p);
  while (end > root && is_sep(p[end - 1])) end--;
  size_t start = end;
  while (start > root && !is_sep(p[start - 1])) start--;
  *len = end - start;
  return p + start;
}

char *cc_normalize_project_name(const char *s) {
  cc_buf b = {0};
  for (; *s != '\0'; s++) {
    char c = *s;
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      if (b.len == 0 && (c == '_' || c == '-')) continue;
      cc_buf_putc(&b, c);
    }
  }
  return cc_buf_take(&b);
}

/* ---- Go durations --------------------------------------------------------------------------------------- */

static const struct {
  const char *name;
  int64_t ns;
} units[] = {
    {"ns", 1},           {"us", 1000},      {"\xC2\xB5s", 1000}, /* U+00B5 micro sign */
    {"\xCE\xBCs", 1000},                                         /* U+03BC Greek mu */
    {"ms", 1000000},     {"s", 1000000000}, {"m", 60LL * 1000000000}, {"h", 3600LL * 1000000000},
};

bool cc_parse_duration(const char *s, int64_t *ns, char *msg, size_t msg_size) {
  char q[CC_QUOTE_SIZE];
  const char *orig = s;
  if (*s == '+') s++;
  if (*s == '-') {
    snprintf(msg, msg_size, "invalid duration %s: cannot be negative", cc_quote(q, sizeof q, orig));
    return false;
  }
  if (strcmp(s, "0") == 0) {
    *ns = 0;
    return true;
  }
  if (*s == '\0') goto bad;
  int64_t total = 0;
  while (*s != '\0') {
    const char *start = s;
    int64_t whole = 0;
    bool overflow = false;
    while (*s >= '0' && *s <= '9') {
      int d = *s - '0';
      if (whole > (INT64_MAX - d) / 10) overflow = true;
      if (!overflow) whole = whole * 10 + d;
      s++;
    }
    bool had_whole = s > start;
    int64_t frac = 0;
    int64_t scale = 1;
    bool had_frac = false;
    if (*s == '.') {
      s++;
      const char *fs = s;
      while (*s >= '0' && *s <= '9') {
        /* The first nine digits count (a nanosecond of a second); later ones are dropped, which keeps
         * the arithmetic exact in 64 bits (Go keeps more digits through a float64). */
        if (scale < 1000000000LL) {
          frac = frac * 10 + (*s - '0');
          scale *= 10;
        }
        s++;
      }
      had_frac = s > fs;
    }
    if (!had_whole && !had_frac) goto bad;
    const char *us = s;
    while (*s != '\0' && *s != '.' && !(*s >= '0' && *s <= '9')) s++;
    size_t ulen = (size_t)(s - us);
    int64_t unit = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      if (strlen(units[i].name) == ulen && memcmp(units[i].name, us, ulen) == 0) unit = units[i].ns;
    }
    if (ulen == 0) {
      snprintf(msg, msg_size, "invalid duration %s: missing unit (ns, us, ms, s, m or h)",
               cc_quote(q, sizeof q, orig));
      return false;
    }
    if (unit == 0) {
      char uq[CC_QUOTE_SIZE];
      char ubuf[64];
      snprintf(ubuf, sizeof ubuf, "%.*s", (int)(ulen > 60 ? 60 : ulen), us);
      snprintf(msg, msg_size, "invalid duration %s: unknown unit %s", cc_quote(q, sizeof q, orig),
               cc_quote(uq, sizeof uq, ubuf));
      return false;
    }
    if (overflow || whole > INT64_MAX / unit) goto big;
    int64_t v = whole * unit;
    if (frac > 0) {
      /* frac * unit / scale without overflow: unit = hi * scale + lo. */
      int64_t hi = unit / scale, lo = unit % scale;
      int64_t add = frac * hi + (frac * lo) / scale;
      if (v > INT64_MAX - add) goto big;
      v += add;
    }
    if (total > INT64_MAX - v) goto big;
    total += v;
  }
  *ns = total;
  return true;
bad:
  snprintf(msg, msg_size, "invalid duration %s (write it like 10s, 1m30s or 1.5h)", cc_quote(q, sizeof q, orig));
  return false;
big:
  snprintf(msg, msg_size, "invalid duration %s: too large (at most 2562047h47m16.854775807s)",
           cc_quote(q, sizeof q, orig));
  return false;
}

/* Go's fmtFrac: the fraction of v below 10^prec, without trailing zeros. */
static void put_frac(char *tmp, size_t *w, uint64_t *v, int prec) {
  bool print = false;
  for (int i = 0; i < prec; i++) {
    unsigned digit = (unsigned)(*v % 10);
    print = print || digit != 0;
    if (print) tmp[--*w] = (char)('0' + digit);
    *v /= 10;
  }
  if (print) tmp[--*w] = '.';
}

static void put_int(char *tmp, size_t *w, uint64_t v) {
  if (v == 0) {
    tmp[--*w] = '0';
    return;
  }
  while (v > 0) {
    tmp[--*w] = (char)('0' + v % 10);
    v /= 10;
  }
}

void cc_format_duration(int64_t ns, char *buf, size_t size) {
  char tmp[40];
  size_t w = sizeof tmp;
  uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
  tmp[--w] = '\0';
  if (u < 1000000000u) {
    int prec = 0;
    const char *unit;
    if (u == 0) {
      snprintf(buf, size, "0s");
      return;
    } else if (u < 1000u) {
      unit = "ns";
    } else if (u < 1000000u) {
      prec = 3;
      unit = "\xC2\xB5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    size_t ul = strlen(unit);
    w -= ul;
    memcpy(tmp + w, unit, ul);
    put_frac(tmp, &w, &u, prec);
    put_int(tmp, &w, u);
  } else {
    tmp[--w] = 's';
    put_frac(tmp, &w, &u, 9);
    put_int(tmp, &w, u % 60);
    u /= 60;
    if (u > 0) {
      tmp[--w] = 'm';
      put_int(tmp, &w, u % 60);
      u /= 60;
      if (u > 0) {
        tmp[--w] = 'h';
        put_int(tmp, &w, u);
      }
    }
  }
  if (ns < 0) tmp[--w] = '-';
  snprintf(buf, size, "%s", tmp + w);
}
