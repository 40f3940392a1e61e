/* docker/template.c - Go's text/template over JSON values (portable): lexer, parser, evaluator, functions.
 * The language and its messages follow Go's text/template (lex.go, parse.go, exec.go, funcs.go) as
 * docker/cli uses it; docker/template.h says what is covered and where wctr sets limits. */
#include "docker/template.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: the parse tree, and the strings a run makes ------------------------------------------------ */

typedef struct arena_block {
  struct arena_block *next;
  size_t used;
  size_t cap;
  max_align_t data[];
} arena_block;

typedef struct arena {
  arena_block *head;
  size_t total; /* bytes handed out */
} arena;

static void *arena_alloc(arena *a, size_t n) {
  size_t align = sizeof(max_align_t);
  n = (n + align - 1) / align * align;
  if (n == 0) n = align;
  if (a->head == NULL || a->head->cap - a->head->used < n) {
    size_t cap = n > 32768 ? n : 32768;
    arena_block *b = malloc(sizeof *b + cap);
    if (b == NULL) return NULL;
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  void *p = (char *)a->head->data + a->head->used;
  a->head->used += n;
  a->total += n;
  memset(p, 0, n);
  return p;
}

static void arena_free(arena *a) {
  arena_block *b = a->head;
  while (b != NULL) {
    arena_block *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->total = 0;
}

/* ---- tokens --------------------------------------------------------------------------------------------- */

typedef enum tok_kind {
  T_EOF, T_TEXT, T_LDELIM, T_RDELIM, T_SPACE, T_FIELD, T_VAR, T_IDENT, T_STRING, T_RAW, T_CHAR, T_NUMBER,
  T_BOOL, T_NIL, T_DOT, T_PIPE, T_LPAREN, T_RPAREN, T_DECLARE, T_ASSIGN, T_COMMA, T_OTHER,
  T_IF, T_ELSE, T_END, T_RANGE, T_WITH, T_DEFINE, T_TEMPLATE, T_BLOCK, T_BREAK, T_CONTINUE,
} tok_kind;

typedef struct token {
  tok_kind kind;
  size_t pos; /* in the source */
  size_t len;
} token;

/* ---- the tree ------------------------------------------------------------------------------------------- */

typedef enum arg_kind { A_FIELD, A_VAR, A_DOT, A_NIL, A_BOOL, A_NUMBER, A_STRING, A_IDENT, A_PIPE, A_CHAIN } arg_kind;

struct pipe;

typedef struct arg {
  arg_kind kind;
  size_t pos, len;     /* source span, for messages */
  char **names;        /* FIELD: the chain; VAR: names[0] is "$x", the rest fields; CHAIN: fields */
  size_t nnames;
  bool b;              /* BOOL */
  bool is_int;         /* NUMBER: an int (else a float64) */
  int64_t i;
  double f;
  char *s;             /* STRING (s_len bytes); IDENT: the function's name */
  size_t s_len;
  int func;            /* IDENT: index in funcs[] */
  struct pipe *pipe;   /* PIPE */
  struct arg *node;    /* CHAIN: what the fields apply to */
} arg;

typedef struct cmd {
  arg **args;
  size_t nargs;
  size_t pos;
} cmd;

typedef struct pipe {
  char **decl;
  size_t ndecl;
  bool assign;
  cmd **cmds;
  size_t ncmds;
  size_t pos, len;
} pipe;

typedef enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_TEMPLATE, N_BREAK, N_CONTINUE } node_kind;

struct list;

typedef struct node {
  node_kind kind;
  size_t pos;
  const char *text; /* TEXT */
  size_t text_len;
  pipe *pipe;       /* ACTION, IF, RANGE, WITH, TEMPLATE (may be NULL) */
  struct list *list;
  struct list *else_list;
  char *name;       /* TEMPLATE */
} node;

typedef struct list {
  node **nodes;
  size_t n;
  size_t cap;
} list;

typedef struct named {
  char *name;
  list *body;
} named;

struct docker_tpl {
  arena mem;
  char *src;
  size_t src_len;
  list *root;
  named *defs;
  size_t ndefs;
  size_t defs_cap;
};

/* ---- the functions -------------------------------------------------------------------------------------- */

typedef enum fn_id {
  F_AND, F_OR, F_NOT, F_LEN, F_INDEX, F_SLICE, F_PRINT, F_PRINTF, F_PRINTLN, F_EQ, F_NE, F_LT, F_LE, F_GT,
  F_GE, F_HTML, F_JS, F_URLQUERY, F_CALL, F_JSON, F_SPLIT, F_JOIN, F_TITLE, F_LOWER, F_UPPER, F_PAD,
  F_TRUNCATE,
} fn_id;

static const char *const funcs[] = {
    [F_AND] = "and",   [F_OR] = "or",       [F_NOT] = "not",         [F_LEN] = "len",      [F_INDEX] = "index",
    [F_SLICE] = "slice", [F_PRINT] = "print", [F_PRINTF] = "printf", [F_PRINTLN] = "println", [F_EQ] = "eq",
    [F_NE] = "ne",     [F_LT] = "lt",       [F_LE] = "le",           [F_GT] = "gt",        [F_GE] = "ge",
    [F_HTML] = "html", [F_JS] = "js",       [F_URLQUERY] = "urlquery", [F_CALL] = "call", [F_JSON] = "json",
    [F_SPLIT] = "split", [F_JOIN] = "join", [F_TITLE] = "title",     [F_LOWER] = "lower", [F_UPPER] = "upper",
    [F_PAD] = "pad",   [F_TRUNCATE] = "truncate",
};

static int find_func(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
    if (strlen(funcs[i]) == len && memcmp(funcs[i], name, len) == 0) return (int)i;
  }
  return -1;
}

/* ---- lexer ---------------------------------------------------------------------------------------------- */

typedef struct lexer {
  const char *s;
  size_t n;
  token *toks;
  size_t ntoks;
  size_t cap;
  wctr_errmsg *e;
  bool failed;
} lexer;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static bool is_alnum(char c) { return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80; }

static int line_of(const char *s, size_t pos) {
  int line = 1;
  for (size_t i = 0; i < pos; i++) {
    if (s[i] == '\n') line++;
  }
  return line;
}

static bool lex_fail(lexer *lx, size_t pos, const char *fmt, ...) WCTR_PRINTF(3, 4);
static bool lex_fail(lexer *lx, size_t pos, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!lx->failed) wctr_fail(lx->e, WCTR_EINVAL, "template: :%d: %s", line_of(lx->s, pos), msg);
  lx->failed = true;
  return false;
}

static bool emit(lexer *lx, tok_kind kind, size_t pos, size_t len) {
  if (lx->ntoks == lx->cap) {
    size_t cap = lx->cap == 0 ? 64 : lx->cap * 2;
    token *grown = realloc(lx->toks, cap * sizeof *grown);
    if (grown == NULL) {
      if (!lx->failed) wctr_fail(lx->e, WCTR_ENOMEM, "template: out of memory");
      lx->failed = true;
      return false;
    }
    lx->toks = grown;
    lx->cap = cap;
  }
  lx->toks[lx->ntoks++] = (token){kind, pos, len};
  return true;
}

static bool starts(const lexer *lx, size_t at, const char *word) {
  size_t n = strlen(word);
  return at <= lx->n && lx->n - at >= n && memcmp(lx->s + at, word, n) == 0;
}

/* At a right delimiter: "}}", or " -}}" (trim); *len is its length. */
static bool at_right(const lexer *lx, size_t at, bool *trim, size_t *len) {
  if (starts(lx, at, "}}")) {
    *trim = false;
    *len = 2;
    return true;
  }
  if (at + 4 <= lx->n && is_space(lx->s[at]) && lx->s[at + 1] == '-' && starts(lx, at + 2, "}}")) {
    *trim = true;
    *len = 4;
    return true;
  }
  return false;
}

static void describe_char(char *out, size_t size, const char *s, size_t n) {
  uint32_t cp;
  docker_utf8_decode(s, n, &cp);
  if (cp >= 0x20 && cp < 0x7F) {
    snprintf(out, size, "U+%04" PRIX32 " '%c'", cp, (char)cp);
  } else {
    snprintf(out, size, "U+%04" PRIX32, cp);
  }
}

/* After an identifier, a field or a number: something that can end it. */
static bool at_terminator(const lexer *lx, size_t at) {
  if (at >= lx->n) return true;
  char c = lx->s[at];
  bool trim;
  size_t len;
  if (is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(') return true;
  return at_right(lx, at, &trim, &len);
}

static size_t scan_quoted(lexer *lx, size_t at, char quote, const char *what) {
  size_t i = at + 1;
  for (;;) {
    if (i >= lx->n || lx->s[i] == '\n') {
      lex_fail(lx, at, "unterminated %s", what);
      return 0;
    }
    if (lx->s[i] == '\\') {
      i += 2;
      continue;
    }
    if (lx->s[i] == quote) return i + 1;
    i++;
  }
}

static size_t scan_number(lexer *lx, size_t at) {
  size_t i = at;
  if (i < lx->n && (lx->s[i] == '+' || lx->s[i] == '-')) i++;
  const char *digits = "0123456789_";
  bool hex = false;
  if (i + 1 < lx->n && lx->s[i] == '0' && strchr("xXoObB", lx->s[i + 1]) != NULL) {
    char base = (char)tolower((unsigned char)lx->s[i + 1]);
    i += 2;
    digits = base == 'x' ? "0123456789abcdefABCDEF_" : base == 'o' ? "01234567_" : "01_";
    hex = base == 'x';
  }
  while (i < lx->n && lx->s[i] != '\0' && strchr(digits, lx->s[i]) != NULL) i++;
  if (i < lx->n && lx->s[i] == '.') {
    i++;
    while (i < lx->n && lx->s[i] != '\0' && strchr(digits, lx->s[i]) != NULL) i++;
  }
  if (i < lx->n && strchr(hex ? "pP" : "eE", lx->s[i]) != NULL && lx->s[i] != '\0') {
    i++;
    if (i < lx->n && (lx->s[i] == '+' || lx->s[i] == '-')) i++;
    while (i < lx->n && isdigit((unsigned char)lx->s[i])) i++;
  }
  if (i < lx->n && lx->s[i] == 'i') i++;
  if (i == at || (i < lx->n && is_alnum(lx->s[i]))) {
    size_t end = i;
    while (end < lx->n && is_alnum(lx->s[end])) end++;
    lex_fail(lx, at, "bad number syntax: \"%.*s\"", (int)(end - at > 40 ? 40 : end - at), lx->s + at);
    return 0;
  }
  return i;
}

static const struct {
  const char *word;
  tok_kind kind;
} keywords[] = {{"if", T_IF},         {"else", T_ELSE},         {"end", T_END},     {"range", T_RANGE},
                {"with", T_WITH},     {"define", T_DEFINE},     {"template", T_TEMPLATE}, {"block", T_BLOCK},
                {"break", T_BREAK},   {"continue", T_CONTINUE}, {"true", T_BOOL},   {"false", T_BOOL},
                {"nil", T_NIL}};

/* Lexes one action starting at *at (after the left delimiter); leaves *at after the right one. */
static bool lex_action(lexer *lx, size_t *at, bool *trim_after) {
  size_t i = *at;
  int parens = 0;
  for (;;) {
    bool trim;
    size_t dlen;
    if (at_right(lx, i, &trim, &dlen)) {
      if (parens > 0) return lex_fail(lx, i, "unclosed left paren");
      if (!emit(lx, T_RDELIM, i, dlen)) return false;
      *at = i + dlen;
      *trim_after = trim;
      return true;
    }
    if (i >= lx->n) return lex_fail(lx, i, "unclosed action");
    char c = lx->s[i];
    size_t start = i;
    if (is_space(c)) {
      /* A run of spaces, stopping before a trim-marked right delimiter (it starts with a space). */
      while (i < lx->n && is_space(lx->s[i]) && !at_right(lx, i, &trim, &dlen)) i++;
      if (i == start) continue; /* the space belongs to " -}}" */
      if (!emit(lx, T_SPACE, start, i - start)) return false;
    } else if (c == '=') {
      if (!emit(lx, T_ASSIGN, i++, 1)) return false;
    } else if (c == ':') {
      if (i + 1 >= lx->n || lx->s[i + 1] != '=') return lex_fail(lx, i, "expected :=");
      if (!emit(lx, T_DECLARE, i, 2)) return false;
      i += 2;
    } else if (c == '|') {
      if (!emit(lx, T_PIPE, i++, 1)) return false;
    } else if (c == '"') {
      i = scan_quoted(lx, i, '"', "quoted string");
      if (i == 0 || !emit(lx, T_STRING, start, i - start)) return false;
    } else if (c == '\'') {
      i = scan_quoted(lx, i, '\'', "character constant");
      if (i == 0 || !emit(lx, T_CHAR, start, i - start)) return false;
    } else if (c == '`') {
      const char *close = memchr(lx->s + i + 1, '`', lx->n - i - 1);
      if (close == NULL) return lex_fail(lx, i, "unterminated raw quoted string");
      i = (size_t)(close - lx->s) + 1;
      if (!emit(lx, T_RAW, start, i - start)) return false;
    } else if (c == '$') {
      i++;
      while (i < lx->n && is_alnum(lx->s[i])) i++;
      if (!at_terminator(lx, i)) {
        char what[32];
        describe_char(what, sizeof what, lx->s + i, lx->n - i);
        return lex_fail(lx, i, "bad character %s", what);
      }
      if (!emit(lx, T_VAR, start, i - start)) return false;
    } else if (c == '.' && i + 1 < lx->n && isdigit((unsigned char)lx->s[i + 1])) {
      i = scan_number(lx, i);
      if (i == 0 || !emit(lx, T_NUMBER, start, i - start)) return false;
    } else if (c == '.') {
      i++;
      while (i < lx->n && is_alnum(lx->s[i])) i++;
      if (!at_terminator(lx, i)) {
        char what[32];
        describe_char(what, sizeof what, lx->s + i, lx->n - i);
        return lex_fail(lx, i, "bad character %s", what);
      }
      if (!emit(lx, i - start == 1 ? T_DOT : T_FIELD, start, i - start)) return false;
    } else if (c == '+' || c == '-' || isdigit((unsigned char)c)) {
      i = scan_number(lx, i);
      if (i == 0 || !emit(lx, T_NUMBER, start, i - start)) return false;
    } else if (is_alnum(c)) {
      while (i < lx->n && is_alnum(lx->s[i])) i++;
      if (!at_terminator(lx, i)) {
        char what[32];
        describe_char(what, sizeof what, lx->s + i, lx->n - i);
        return lex_fail(lx, i, "bad character %s", what);
      }
      tok_kind kind = T_IDENT;
      for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
        if (strlen(keywords[k].word) == i - start && memcmp(keywords[k].word, lx->s + start, i - start) == 0) {
          kind = keywords[k].kind;
        }
      }
      if (!emit(lx, kind, start, i - start)) return false;
    } else if (c == '(') {
      parens++;
      if (!emit(lx, T_LPAREN, i++, 1)) return false;
    } else if (c == ')') {
      if (--parens < 0) return lex_fail(lx, i, "unexpected right paren");
      if (!emit(lx, T_RPAREN, i++, 1)) return false;
    } else if (c == ',') {
      if (!emit(lx, T_COMMA, i++, 1)) return false;
    } else if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7F) {
      if (!emit(lx, T_OTHER, i++, 1)) return false;
    } else {
      char what[32];
      describe_char(what, sizeof what, lx->s + i, lx->n - i);
      return lex_fail(lx, i, "unrecognized character in action: %s", what);
    }
  }
}

static bool lex(lexer *lx) {
  size_t i = 0;
  bool trim_next = false;
  while (i <= lx->n) {
    if (trim_next) {
      while (i < lx->n && is_space(lx->s[i])) i++;
      trim_next = false;
    }
    const char *open = NULL;
    for (size_t k = i; k + 1 < lx->n; k++) {
      if (lx->s[k] == '{' && lx->s[k + 1] == '{') {
        open = lx->s + k;
        break;
      }
    }
    if (open == NULL) {
      if (i < lx->n && !emit(lx, T_TEXT, i, lx->n - i)) return false;
      break;
    }
    size_t at = (size_t)(open - lx->s);
    bool trim_before = at + 3 < lx->n && lx->s[at + 2] == '-' && is_space(lx->s[at + 3]);
    size_t text_end = at;
    if (trim_before) {
      while (text_end > i && is_space(lx->s[text_end - 1])) text_end--;
    }
    if (text_end > i && !emit(lx, T_TEXT, i, text_end - i)) return false;
    size_t inside = at + 2 + (trim_before ? 2 : 0);
    if (starts(lx, inside, "/*")) {
      size_t k = inside + 2;
      while (k + 1 < lx->n && !(lx->s[k] == '*' && lx->s[k + 1] == '/')) k++;
      if (k + 1 >= lx->n) return lex_fail(lx, at, "unclosed comment");
      bool trim;
      size_t dlen;
      if (!at_right(lx, k + 2, &trim, &dlen)) return lex_fail(lx, at, "comment ends before closing delimiter");
      i = k + 2 + dlen;
      trim_next = trim;
      continue;
    }
    if (!emit(lx, T_LDELIM, at, inside - at)) return false;
    i = inside;
    if (!lex_action(lx, &i, &trim_next)) return false;
  }
  return emit(lx, T_EOF, lx->n, 0);
}

/* ---- parser ------------------------------------------------------------------------------------------- */

typedef struct parser {
  docker_tpl *t;
  token *toks;
  size_t ntoks;
  size_t at;
  wctr_errmsg *e;
  bool failed;
  char **vars; /* the variables in scope */
  size_t nvars;
  size_t vars_cap;
  int range_depth;
  int depth;
} parser;

static bool parse_fail(parser *p, size_t pos, const char *fmt, ...) WCTR_PRINTF(3, 4);
static bool parse_fail(parser *p, size_t pos, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (!p->failed) wctr_fail(p->e, WCTR_EINVAL, "template: :%d: %s", line_of(p->t->src, pos), msg);
  p->failed = true;
  return false;
}

static void *palloc(parser *p, size_t n) {
  void *mem = arena_alloc(&p->t->mem, n);
  if (mem == NULL && !p->failed) {
    wctr_fail(p->e, WCTR_ENOMEM, "template: out of memory");
    p->failed = true;
  }
  return mem;
}

static char *pstrndup(parser *p, const char *s, size_t n) {
  char *copy = palloc(p, n + 1);
  if (copy != NULL) memcpy(copy, s, n);
  return copy;
}

/* A growing array in the arena (old copies are left behind; trees are small next to their text). */
static bool grow(parser *p, void ***items, size_t n) {
  if (n == 0 || (n & (n - 1)) == 0) {
    size_t cap = n == 0 ? 4 : n * 2;
    void **bigger = palloc(p, cap * sizeof *bigger);
    if (bigger == NULL) return false;
    if (n > 0) memcpy(bigger, *items, n * sizeof *bigger);
    *items = bigger;
  }
  return true;
}

static token *peek(parser *p) { return &p->toks[p->at]; }
static token *next(parser *p) {
  token *t = &p->toks[p->at];
  if (t->kind != T_EOF) p->at++;
  return t;
}
static token *peek_non_space(parser *p) {
  while (p->toks[p->at].kind == T_SPACE) p->at++;
  return &p->toks[p->at];
}
static token *next_non_space(parser *p) {
  peek_non_space(p);
  return next(p);
}

/* How a token reads in "unexpected X" messages. */
static void tok_text(const parser *p, const token *t, char *out, size_t size) {
  switch (t->kind) {
    case T_EOF: snprintf(out, size, "EOF"); return;
    case T_LDELIM: snprintf(out, size, "<left delim>"); return;
    case T_RDELIM: snprintf(out, size, "<right delim>"); return;
    case T_SPACE: snprintf(out, size, "<space>"); return;
    case T_IF: case T_ELSE: case T_END: case T_RANGE: case T_WITH: case T_DEFINE: case T_TEMPLATE:
    case T_BLOCK: case T_BREAK: case T_CONTINUE:
      snprintf(out, size, "<%.*s>", (int)t->len, p->t->src + t->pos);
      return;
    default:
      if (t->len > 10) {
        snprintf(out, size, "\"%.10s\"...", p->t->src + t->pos);
      } else {
        snprintf(out, size, "\"%.*s\"", (int)t->len, p->t->src + t->pos);
      }
      return;
  }
}

static bool var_known(const parser *p, const char *name, size_t len) {
  for (size_t i = p->nvars; i-- > 0;) {
    if (strlen(p->vars[i]) == len && memcmp(p->vars[i], name, len) == 0) return true;
  }
  return false;
}

static bool push_var(parser *p, char *name) {
  if (p->nvars == p->vars_cap) {
    size_t cap = p->vars_cap == 0 ? 8 : p->vars_cap * 2;
    char **grown = realloc(p->vars, cap * sizeof *grown);
    if (grown == NULL) {
      if (!p->failed) wctr_fail(p->e, WCTR_ENOMEM, "template: out of memory");
      p->failed = true;
      return false;
    }
    p->vars = grown;
    p->vars_cap = cap;
  }
  p->vars[p->nvars++] = name;
  return true;
}

/* Go's unquote of "..." and '...': the escapes of Go's string literals. Writes to out (size >= len). */
static bool unquote(parser *p, const token *t, char *out, size_t *out_len) {
  const char *s = p->t->src + t->pos + 1;
  size_t n = t->len - 2;
  docker_buf b;
  docker_buf_init(&b, 0);
  for (size_t i = 0; i < n;) {
    if (s[i] != '\\') {
      docker_buf_addc(&b, s[i++]);
      continue;
    }
    if (i + 1 >= n) break;
    char c = s[i + 1];
    i += 2;
    const char *simple = strchr("abfnrtv\\\"'", c);
    if (simple != NULL && c != '\0') {
      static const char values[] = "\a\b\f\n\r\t\v\\\"'";
      if ((c == '\'' && s[-1] == '"') || (c == '"' && s[-1] == '\'')) goto bad;
      docker_buf_addc(&b, values[simple - "abfnrtv\\\"'"]);
      continue;
    }
    int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : (c >= '0' && c <= '7') ? 3 : 0;
    if (digits == 0) goto bad;
    if (c >= '0' && c <= '7') i--;
    if (i + (size_t)digits > n) goto bad;
    uint32_t v = 0;
    for (int k = 0; k < digits; k++) {
      char d = s[i + (size_t)k];
      int dv = c >= '0' && c <= '7' ? (d >= '0' && d <= '7' ? d - '0' : -1)
                                    : (isxdigit((unsigned char)d) ? (isdigit((unsigned char)d) ? d - '0' : (tolower((unsigned char)d) - 'a' + 10)) : -1);
      if (dv < 0) goto bad;
      v = v * (c >= '0' && c <= '7' ? 8u : 16u) + (uint32_t)dv;
    }
    i += (size_t)digits;
    if (c == 'x' || (c >= '0' && c <= '7')) {
      if (v > 255) goto bad;
      docker_buf_addc(&b, (char)v);
    } else {
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) goto bad;
      docker_utf8_encode(&b, v);
    }
  }
  if (b.failed) {
    docker_buf_free(&b);
    return parse_fail(p, t->pos, "out of memory");
  }
  if (b.len > 0) memcpy(out, b.data, b.len);
  *out_len = b.len;
  docker_buf_free(&b);
  return true;
bad:
  docker_buf_free(&b);
  return parse_fail(p, t->pos, "invalid syntax: %.*s", (int)(t->len > 40 ? 40 : t->len), p->t->src + t->pos);
}

/* Go's NumberNode: an int when the text is an integer (any base, _ separators), else a float64. */
static bool parse_number(parser *p, const token *t, arg *a) {
  const char *s = p->t->src + t->pos;
  size_t n = t->len;
  char text[128];
  if (t->kind == T_CHAR) {
    char buf[16];
    size_t len = 0;
    if (t->len > sizeof buf + 2 || !unquote(p, t, buf, &len)) {
      return p->failed || parse_fail(p, t->pos, "malformed character constant: %.*s", (int)(n > 20 ? 20 : n), s);
    }
    uint32_t cp = 0;
    size_t used = len > 0 ? docker_utf8_decode(buf, len, &cp) : 0;
    if (len == 0 || used != len) return parse_fail(p, t->pos, "malformed character constant: %.*s", (int)n, s);
    a->is_int = true;
    a->i = cp;
    a->f = cp;
    return true;
  }
  if (n >= sizeof text) return parse_fail(p, t->pos, "illegal number syntax: \"%.20s...\"", s);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '_') text[k++] = s[i];
  }
  text[k] = '\0';
  if (k > 0 && text[k - 1] == 'i') return parse_fail(p, t->pos, "complex numbers are not supported: \"%.*s\"", (int)n, s);
  const char *body = text[0] == '+' || text[0] == '-' ? text + 1 : text;
  bool neg = text[0] == '-';
  int base = 10;
  const char *digits = body;
  if (body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    base = 16;
    digits = body + 2;
  } else if (body[0] == '0' && (body[1] == 'o' || body[1] == 'O')) {
    base = 8;
    digits = body + 2;
  } else if (body[0] == '0' && (body[1] == 'b' || body[1] == 'B')) {
    base = 2;
    digits = body + 2;
  } else if (body[0] == '0' && body[1] != '\0' && strspn(body, "0123456789") == strlen(body)) {
    base = 8;
    digits = body + 1;
  }
  if (digits[0] != '\0' && strcspn(digits, base == 16 ? ".pP" : ".eE") == strlen(digits)) {
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(digits, &end, base);
    bool fits = errno == 0 && *end == '\0' && (neg ? v <= (unsigned long long)INT64_MAX + 1 : v <= INT64_MAX);
    if (*end == '\0' && fits) {
      a->is_int = true;
      a->i = neg ? (int64_t)(0 - v) : (int64_t)v;
      a->f = (double)a->i;
      return true;
    }
    if (*end != '\0' && base != 10) return parse_fail(p, t->pos, "illegal number syntax: \"%.*s\"", (int)n, s);
  }
  errno = 0;
  char *end = NULL;
  double f = strtod(text, &end);
  if (end == text || *end != '\0' || (base == 8 && strchr(text, '.') == NULL)) {
    return parse_fail(p, t->pos, "illegal number syntax: \"%.*s\"", (int)n, s);
  }
  a->f = f;
  a->is_int = false;
  return true;
}

static pipe *parse_pipeline(parser *p, const char *context, tok_kind end);

static arg *new_arg(parser *p, arg_kind kind, const token *t) {
  arg *a = palloc(p, sizeof *a);
  if (a == NULL) return NULL;
  a->kind = kind;
  a->pos = t->pos;
  a->len = t->len;
  return a;
}

static bool add_name(parser *p, arg *a, const char *s, size_t n) {
  char *name = pstrndup(p, s, n);
  if (name == NULL || !grow(p, (void ***)&a->names, a->nnames)) return false;
  a->names[a->nnames++] = name;
  return true;
}

static arg *term(parser *p) {
  token *t = next_non_space(p);
  const char *s = p->t->src + t->pos;
  arg *a = NULL;
  switch (t->kind) {
    case T_IDENT: {
      int f = find_func(s, t->len);
      if (f < 0) {
        parse_fail(p, t->pos, "function \"%.*s\" not defined", (int)(t->len > 64 ? 64 : t->len), s);
        return NULL;
      }
      a = new_arg(p, A_IDENT, t);
      if (a != NULL) a->func = f;
      return a;
    }
    case T_DOT: return new_arg(p, A_DOT, t);
    case T_NIL: return new_arg(p, A_NIL, t);
    case T_VAR:
      if (!var_known(p, s, t->len)) {
        parse_fail(p, t->pos, "undefined variable \"%.*s\"", (int)(t->len > 64 ? 64 : t->len), s);
        return NULL;
      }
      a = new_arg(p, A_VAR, t);
      if (a != NULL && !add_name(p, a, s, t->len)) return NULL;
      return a;
    case T_FIELD:
      a = new_arg(p, A_FIELD, t);
      if (a != NULL && !add_name(p, a, s + 1, t->len - 1)) return NULL;
      return a;
    case T_BOOL:
      a = new_arg(p, A_BOOL, t);
      if (a != NULL) a->b = t->len == 4;
      return a;
    case T_CHAR:
    case T_NUMBER:
      a = new_arg(p, A_NUMBER, t);
      if (a != NULL && !parse_number(p, t, a)) return NULL;
      return a;
    case T_LPAREN: {
      if (++p->depth > DOCKER_TPL_MAX_DEPTH) {
        parse_fail(p, t->pos, "the template nests more than %d deep", DOCKER_TPL_MAX_DEPTH);
        return NULL;
      }
      a = new_arg(p, A_PIPE, t);
      if (a == NULL) return NULL;
      a->pipe = parse_pipeline(p, "parenthesized pipeline", T_RPAREN);
      p->depth--;
      if (a->pipe == NULL) return NULL;
      a->len = a->pipe->pos + a->pipe->len + 1 - a->pos;
      return a;
    }
    case T_STRING:
    case T_RAW:
      a = new_arg(p, A_STRING, t);
      if (a == NULL) return NULL;
      a->s = palloc(p, t->len + 1);
      if (a->s == NULL) return NULL;
      if (t->kind == T_RAW) {
        a->s_len = t->len - 2;
        memcpy(a->s, s + 1, a->s_len);
        /* Go drops carriage returns from raw strings. */
        size_t k = 0;
        for (size_t i = 0; i < a->s_len; i++) {
          if (a->s[i] != '\r') a->s[k++] = a->s[i];
        }
        a->s_len = k;
      } else if (!unquote(p, t, a->s, &a->s_len)) {
        return NULL;
      }
      return a;
    default:
      p->at--; /* not a term: let the caller see it */
      return NULL;
  }
}

static arg *operand(parser *p) {
  arg *a = term(p);
  if (a == NULL || p->failed) return NULL;
  if (peek(p)->kind != T_FIELD) return a;
  /* A chain: .A.B, $x.A, (pipe).A */
  if (a->kind == A_BOOL || a->kind == A_STRING || a->kind == A_NUMBER || a->kind == A_NIL || a->kind == A_DOT) {
    parse_fail(p, peek(p)->pos, "unexpected . after term \"%.*s\"", (int)(a->len > 40 ? 40 : a->len), p->t->src + a->pos);
    return NULL;
  }
  arg *target = a;
  if (a->kind != A_FIELD && a->kind != A_VAR) {
    target = palloc(p, sizeof *target);
    if (target == NULL) return NULL;
    target->kind = A_CHAIN;
    target->pos = a->pos;
    target->len = a->len;
    target->node = a;
  }
  while (peek(p)->kind == T_FIELD) {
    token *f = next(p);
    if (!add_name(p, target, p->t->src + f->pos + 1, f->len - 1)) return NULL;
    target->len = f->pos + f->len - target->pos;
  }
  return target;
}

static cmd *command(parser *p) {
  cmd *c = palloc(p, sizeof *c);
  if (c == NULL) return NULL;
  c->pos = peek_non_space(p)->pos;
  for (;;) {
    peek_non_space(p);
    arg *a = operand(p);
    if (p->failed) return NULL;
    if (a != NULL) {
      if (!grow(p, (void ***)&c->args, c->nargs)) return NULL;
      c->args[c->nargs++] = a;
    }
    token *t = next(p);
    if (t->kind == T_SPACE) continue;
    if (t->kind == T_RDELIM || t->kind == T_RPAREN) {
      p->at--;
    } else if (t->kind != T_PIPE) {
      char what[40];
      tok_text(p, t, what, sizeof what);
      parse_fail(p, t->pos, "unexpected %s in operand", what);
      return NULL;
    }
    break;
  }
  if (c->nargs == 0) {
    parse_fail(p, c->pos, "empty command");
    return NULL;
  }
  return c;
}

static pipe *parse_pipeline(parser *p, const char *context, tok_kind end) {
  pipe *pp = palloc(p, sizeof *pp);
  if (pp == NULL) return NULL;
  token *first = peek_non_space(p);
  pp->pos = first->pos;
  /* Declarations: $x := , $x = , and in a range $i, $e := */
  if (first->kind == T_VAR) {
    size_t save = p->at;
    token *v = next(p);
    token *after = peek_non_space(p);
    if (after->kind == T_DECLARE || after->kind == T_ASSIGN) {
      pp->assign = after->kind == T_ASSIGN;
      next(p);
      char *name = pstrndup(p, p->t->src + v->pos, v->len);
      if (name == NULL || !grow(p, (void ***)&pp->decl, 0)) return NULL;
      pp->decl[pp->ndecl++] = name;
      if (pp->assign && !var_known(p, name, v->len)) {
        parse_fail(p, v->pos, "undefined variable \"%s\"", name);
        return NULL;
      }
      if (!pp->assign && !push_var(p, name)) return NULL;
    } else if (after->kind == T_COMMA) {
      next(p);
      if (strcmp(context, "range") != 0) {
        parse_fail(p, after->pos, "too many declarations in %s", context);
        return NULL;
      }
      token *v2 = next_non_space(p);
      token *decl = peek_non_space(p);
      if (v2->kind != T_VAR || (decl->kind != T_DECLARE && decl->kind != T_ASSIGN)) {
        parse_fail(p, v2->pos, "range can only initialize variables");
        return NULL;
      }
      pp->assign = decl->kind == T_ASSIGN;
      next(p);
      char *n1 = pstrndup(p, p->t->src + v->pos, v->len);
      char *n2 = pstrndup(p, p->t->src + v2->pos, v2->len);
      if (n1 == NULL || n2 == NULL || !grow(p, (void ***)&pp->decl, 0)) return NULL;
      pp->decl[0] = n1;
      pp->decl[1] = n2;
      pp->ndecl = 2;
      for (size_t k = 0; k < 2; k++) {
        if (pp->assign && !var_known(p, pp->decl[k], strlen(pp->decl[k]))) {
          parse_fail(p, v->pos, "undefined variable \"%s\"", pp->decl[k]);
          return NULL;
        }
        if (!pp->assign && !push_var(p, pp->decl[k])) return NULL;
      }
    } else {
      p->at = save;
    }
  }
  for (;;) {
    token *t = peek_non_space(p);
    if (t->kind == end) {
      next(p);
      break;
    }
    switch (t->kind) {
      case T_BOOL: case T_CHAR: case T_DOT: case T_FIELD: case T_IDENT: case T_NUMBER: case T_NIL: case T_RAW:
      case T_STRING: case T_VAR: case T_LPAREN: {
        cmd *c = command(p);
        if (c == NULL) return NULL;
        if (!grow(p, (void ***)&pp->cmds, pp->ncmds)) return NULL;
        pp->cmds[pp->ncmds++] = c;
        break;
      }
      default: {
        char what[40];
        tok_text(p, t, what, sizeof what);
        parse_fail(p, t->pos, "unexpected %s in %s", what, context);
        return NULL;
      }
    }
  }
  pp->len = p->toks[p->at - 1].pos - pp->pos;
  if (pp->ncmds == 0) {
    parse_fail(p, pp->pos, "missing value for %s", context);
    return NULL;
  }
  for (size_t i = 1; i < pp->ncmds; i++) {
    arg_kind k = pp->cmds[i]->args[0]->kind;
    if (k == A_BOOL || k == A_DOT || k == A_NIL || k == A_NUMBER || k == A_STRING) {
      parse_fail(p, pp->cmds[i]->pos, "non executable command in pipeline stage %zu", i + 1);
      return NULL;
    }
  }
  return pp;
}

/* What ended an item list: {{end}}, {{else}} (with what follows it left to read), or EOF. */
typedef enum { END_END, END_ELSE, END_EOF } list_end;

static node *text_or_action(parser *p, list_end *ended, size_t *end_pos, bool top);

static list *item_list(parser *p, list_end *ended, size_t *end_pos) {
  list *l = palloc(p, sizeof *l);
  if (l == NULL) return NULL;
  for (;;) {
    if (peek(p)->kind == T_EOF) {
      *ended = END_EOF;
      *end_pos = peek(p)->pos;
      return l;
    }
    list_end e = END_EOF;
    node *n = text_or_action(p, &e, end_pos, false);
    if (p->failed) return NULL;
    if (n == NULL) {
      *ended = e;
      return l;
    }
    if (!grow(p, (void ***)&l->nodes, l->n)) return NULL;
    l->nodes[l->n++] = n;
  }
}

static bool expect_rdelim(parser *p, const char *context) {
  token *t = next_non_space(p);
  if (t->kind == T_RDELIM) return true;
  char what[40];
  tok_text(p, t, what, sizeof what);
  return parse_fail(p, t->pos, "unexpected %s in %s", what, context);
}

static node *control(parser *p, node_kind kind, const char *context, size_t pos) {
  if (++p->depth > DOCKER_TPL_MAX_DEPTH) {
    parse_fail(p, pos, "the template nests more than %d deep", DOCKER_TPL_MAX_DEPTH);
    return NULL;
  }
  size_t vars_mark = p->nvars;
  node *n = palloc(p, sizeof *n);
  if (n == NULL) return NULL;
  n->kind = kind;
  n->pos = pos;
  n->pipe = parse_pipeline(p, context, T_RDELIM);
  if (n->pipe == NULL) return NULL;
  if (kind == N_RANGE) p->range_depth++;
  list_end ended = END_EOF;
  size_t end_pos = 0;
  n->list = item_list(p, &ended, &end_pos);
  if (kind == N_RANGE) p->range_depth--;
  if (n->list == NULL) return NULL;
  if (ended == END_EOF) {
    parse_fail(p, end_pos, "unexpected EOF");
    return NULL;
  }
  if (ended == END_ELSE) {
    token *t = peek_non_space(p);
    if ((kind == N_IF && t->kind == T_IF) || (kind == N_WITH && t->kind == T_WITH)) {
      /* {{else if ...}} / {{else with ...}}: a nested control that shares this one's {{end}}. */
      next(p);
      n->else_list = palloc(p, sizeof *n->else_list);
      if (n->else_list == NULL || !grow(p, (void ***)&n->else_list->nodes, 0)) return NULL;
      node *inner = control(p, kind, context, t->pos);
      if (inner == NULL) return NULL;
      n->else_list->nodes[n->else_list->n++] = inner;
    } else {
      if (!expect_rdelim(p, "else")) return NULL;
      n->else_list = item_list(p, &ended, &end_pos);
      if (n->else_list == NULL) return NULL;
      if (ended != END_END) {
        parse_fail(p, end_pos, ended == END_EOF ? "unexpected EOF" : "expected end; found {{else}}");
        return NULL;
      }
    }
  }
  p->nvars = vars_mark;
  p->depth--;
  return n;
}

static bool template_name(parser *p, const char *context, char **name) {
  token *t = next_non_space(p);
  if (t->kind != T_STRING && t->kind != T_RAW) {
    char what[40];
    tok_text(p, t, what, sizeof what);
    return parse_fail(p, t->pos, "unexpected %s in %s clause", what, context);
  }
  char *buf = palloc(p, t->len + 1);
  size_t len = 0;
  if (buf == NULL) return false;
  if (t->kind == T_RAW) {
    len = t->len - 2;
    memcpy(buf, p->t->src + t->pos + 1, len);
  } else if (!unquote(p, t, buf, &len)) {
    return false;
  }
  buf[len] = '\0';
  *name = buf;
  return true;
}

static bool add_def(parser *p, char *name, list *body) {
  for (size_t i = 0; i < p->t->ndefs; i++) {
    if (strcmp(p->t->defs[i].name, name) == 0) {
      /* A later definition replaces an earlier one unless it is empty (Go's rule). */
      if (body->n > 0) p->t->defs[i].body = body;
      return true;
    }
  }
  if (p->t->ndefs == p->t->defs_cap) {
    size_t cap = p->t->defs_cap == 0 ? 4 : p->t->defs_cap * 2;
    named *grown = realloc(p->t->defs, cap * sizeof *grown);
    if (grown == NULL) return parse_fail(p, 0, "out of memory");
    p->t->defs = grown;
    p->t->defs_cap = cap;
  }
  p->t->defs[p->t->ndefs++] = (named){name, body};
  return true;
}

/* {{define "name"}} ... {{end}} (top level) and {{block "name" pipeline}} ... {{end}}. */
static list *definition_body(parser *p, size_t pos) {
  if (++p->depth > DOCKER_TPL_MAX_DEPTH) {
    parse_fail(p, pos, "the template nests more than %d deep", DOCKER_TPL_MAX_DEPTH);
    return NULL;
  }
  char **saved = p->vars;
  size_t saved_n = p->nvars, saved_cap = p->vars_cap;
  int saved_range = p->range_depth;
  p->vars = NULL;
  p->nvars = 0;
  p->vars_cap = 0;
  p->range_depth = 0;
  static char dollar[] = "$";
  list *body = NULL;
  if (push_var(p, dollar)) {
    list_end ended = END_EOF;
    size_t end_pos = 0;
    body = item_list(p, &ended, &end_pos);
    if (body != NULL && ended != END_END) {
      parse_fail(p, end_pos, ended == END_EOF ? "unexpected EOF" : "unexpected {{else}}");
      body = NULL;
    }
  }
  free(p->vars);
  p->vars = saved;
  p->nvars = saved_n;
  p->vars_cap = saved_cap;
  p->range_depth = saved_range;
  p->depth--;
  return body;
}

/* Returns the node, or NULL with *ended set when the action was {{end}} or {{else}}. */
static node *text_or_action(parser *p, list_end *ended, size_t *end_pos, bool top) {
  token *t = next(p);
  if (t->kind == T_TEXT) {
    node *n = palloc(p, sizeof *n);
    if (n == NULL) return NULL;
    n->kind = N_TEXT;
    n->pos = t->pos;
    n->text = p->t->src + t->pos;
    n->text_len = t->len;
    return n;
  }
  if (t->kind != T_LDELIM) {
    char what[40];
    tok_text(p, t, what, sizeof what);
    parse_fail(p, t->pos, "unexpected %s", what);
    return NULL;
  }
  token *k = peek_non_space(p);
  size_t pos = k->pos;
  switch (k->kind) {
    case T_END:
      next(p);
      if (!expect_rdelim(p, "end")) return NULL;
      *ended = END_END;
      *end_pos = pos;
      return NULL;
    case T_ELSE:
      next(p); /* what follows ({{else}}, {{else if ...}}) is the enclosing control's to read */
      *ended = END_ELSE;
      *end_pos = pos;
      return NULL;
    case T_IF: next(p); return control(p, N_IF, "if", pos);
    case T_WITH: next(p); return control(p, N_WITH, "with", pos);
    case T_RANGE: next(p); return control(p, N_RANGE, "range", pos);
    case T_BREAK:
    case T_CONTINUE: {
      next(p);
      const char *word = k->kind == T_BREAK ? "break" : "continue";
      if (p->range_depth == 0) {
        parse_fail(p, pos, "{{%s}} outside {{range}}", word);
        return NULL;
      }
      if (!expect_rdelim(p, word)) return NULL;
      node *n = palloc(p, sizeof *n);
      if (n != NULL) {
        n->kind = k->kind == T_BREAK ? N_BREAK : N_CONTINUE;
        n->pos = pos;
      }
      return n;
    }
    case T_TEMPLATE:
    case T_BLOCK: {
      bool block = k->kind == T_BLOCK;
      next(p);
      node *n = palloc(p, sizeof *n);
      if (n == NULL) return NULL;
      n->kind = N_TEMPLATE;
      n->pos = pos;
      if (!template_name(p, block ? "block" : "template", &n->name)) return NULL;
      if (block || peek_non_space(p)->kind != T_RDELIM) {
        n->pipe = parse_pipeline(p, block ? "block" : "template", T_RDELIM);
        if (n->pipe == NULL) return NULL;
      } else {
        next_non_space(p);
      }
      if (block) {
        list *body = definition_body(p, pos);
        if (body == NULL || !add_def(p, n->name, body)) return NULL;
      }
      return n;
    }
    case T_DEFINE: {
      if (!top) {
        parse_fail(p, pos, "unexpected <define> in command");
        return NULL;
      }
      next(p);
      char *name = NULL;
      if (!template_name(p, "define", &name) || !expect_rdelim(p, "define")) return NULL;
      list *body = definition_body(p, pos);
      if (body == NULL || !add_def(p, name, body)) return NULL;
      /* Nothing to run where it stands: an empty text node keeps the caller's loop simple. */
      node *n = palloc(p, sizeof *n);
      if (n != NULL) {
        n->kind = N_TEXT;
        n->pos = pos;
        n->text = "";
      }
      return n;
    }
    default: {
      node *n = palloc(p, sizeof *n);
      if (n == NULL) return NULL;
      n->kind = N_ACTION;
      n->pos = pos;
      n->pipe = parse_pipeline(p, "command", T_RDELIM);
      return n->pipe != NULL ? n : NULL;
    }
  }
}

wctr_err docker_tpl_parse(const char *text, size_t len, docker_tpl **out, wctr_errmsg *e) {
  *out = NULL;
  wctr_errmsg_clear(e);
  docker_tpl *t = calloc(1, sizeof *t);
  if (t == NULL) return wctr_fail(e, WCTR_ENOMEM, "template: out of memory");
  t->src = malloc(len + 1);
  if (t->src == NULL) {
    free(t);
    return wctr_fail(e, WCTR_ENOMEM, "template: out of memory");
  }
  if (len > 0) memcpy(t->src, text, len);
  t->src[len] = '\0';
  t->src_len = len;
  lexer lx = {.s = t->src, .n = len, .e = e};
  parser p = {.t = t, .e = e};
  static char dollar[] = "$";
  if (lex(&lx)) {
    p.toks = lx.toks;
    p.ntoks = lx.ntoks;
    t->root = palloc(&p, sizeof *t->root);
    if (t->root != NULL) push_var(&p, dollar);
    while (!p.failed && t->root != NULL && peek(&p)->kind != T_EOF) {
      list_end ended = END_EOF;
      size_t end_pos = 0;
      node *n = text_or_action(&p, &ended, &end_pos, true);
      if (p.failed) break;
      if (n == NULL) {
        parse_fail(&p, end_pos, ended == END_END ? "unexpected {{end}}" : "unexpected {{else}}");
        break;
      }
      if (!grow(&p, (void ***)&t->root->nodes, t->root->n)) break;
      t->root->nodes[t->root->n++] = n;
    }
  }
  free(lx.toks);
  free(p.vars);
  if (lx.failed || p.failed || t->root == NULL) {
    wctr_err code = e->code != WCTR_OK ? e->code : WCTR_ENOMEM;
    docker_tpl_free(t);
    return code;
  }
  *out = t;
  return WCTR_OK;
}

void docker_tpl_free(docker_tpl *t) {
  if (t == NULL) return;
  arena_free(&t->mem);
  free(t->defs);
  free(t->src);
  free(t);
}

/* ---- values --------------------------------------------------------------------------------------------- */

typedef enum vkind { V_INVALID, V_NIL, V_BOOL, V_INT, V_FLOAT, V_STR, V_JSON, V_OBJ } vkind;

typedef struct val {
  vkind k;
  bool b;
  int64_t i;
  double f;
  const char *s; /* V_STR: n bytes */
  size_t n;
  const cJSON *j; /* V_JSON: an array or an object */
  const docker_tpl_object *o;
} val;

static val v_invalid(void) { return (val){.k = V_INVALID}; }
static val v_bool(bool b) { return (val){.k = V_BOOL, .b = b}; }
static val v_int(int64_t i) { return (val){.k = V_INT, .i = i}; }
static val v_str(const char *s, size_t n) { return (val){.k = V_STR, .s = s, .n = n}; }

static val from_json(const cJSON *j) {
  if (j == NULL) return v_invalid();
  if (cJSON_IsNull(j)) return (val){.k = V_NIL};
  if (cJSON_IsBool(j)) return v_bool(cJSON_IsTrue(j));
  if (cJSON_IsNumber(j)) {
    double d = j->valuedouble;
    if (d == floor(d) && fabs(d) < 9223372036854775808.0) return v_int((int64_t)d);
    return (val){.k = V_FLOAT, .f = d};
  }
  if (cJSON_IsString(j)) return v_str(j->valuestring != NULL ? j->valuestring : "", j->valuestring != NULL ? strlen(j->valuestring) : 0);
  if (cJSON_IsArray(j) || cJSON_IsObject(j)) return (val){.k = V_JSON, .j = j};
  if (cJSON_IsRaw(j) && j->valuestring != NULL) {
    /* Raw JSON text: a whole number too long for a double (a time in nanoseconds), or else its text. */
    char *end = NULL;
    errno = 0;
    long long v = strtoll(j->valuestring, &end, 10);
    if (end != j->valuestring && *end == '\0' && errno == 0) return v_int((int64_t)v);
    return v_str(j->valuestring, strlen(j->valuestring));
  }
  return (val){.k = V_NIL};
}

static const char *type_name(const val *v) {
  switch (v->k) {
    case V_INVALID: return "<nil>";
    case V_NIL: return "<nil>";
    case V_BOOL: return "bool";
    case V_INT: return "int";
    case V_FLOAT: return "float64";
    case V_STR: return "string";
    case V_JSON: return cJSON_IsArray(v->j) ? "[]interface {}" : "map[string]interface {}";
    case V_OBJ: return v->o->type_name != NULL ? v->o->type_name : "struct";
  }
  return "?";
}

/* ---- execution state ------------------------------------------------------------------------------------ */

typedef struct var {
  const char *name;
  val v;
} var;

typedef enum flow { FLOW_NORMAL, FLOW_BREAK, FLOW_CONTINUE } flow;

typedef struct exec {
  const docker_tpl *t;
  docker_tpl_opts o;
  docker_buf *out;
  wctr_errmsg *e;
  bool failed;
  uint64_t steps;
  int depth;   /* nesting of lists and pipelines, all templates together */
  int calls;   /* {{template}} calls in progress */
  const char *tname; /* the template running: "" for the main one */
  var *vars;
  size_t nvars;
  size_t vars_cap;
  arena mem;         /* strings the run makes */
  cJSON **owned;     /* JSON values the run makes (split, slice, methods) */
  size_t nowned;
  size_t owned_cap;
  size_t budget;     /* bytes the run may make */
  flow flow;
} exec;

static bool fail_at(exec *x, size_t pos, size_t len, const char *fmt, ...) WCTR_PRINTF(4, 5);
static bool fail_at(exec *x, size_t pos, size_t len, const char *fmt, ...) {
  if (x->failed) return false;
  char msg[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *src = x->t->src;
  if (pos > x->t->src_len) pos = x->t->src_len;
  if (len > x->t->src_len - pos) len = x->t->src_len - pos;
  size_t line_start = pos;
  while (line_start > 0 && src[line_start - 1] != '\n') line_start--;
  /* The node's text, on one line and short. */
  char ctx[64];
  size_t n = len < sizeof ctx - 4 ? len : sizeof ctx - 4;
  for (size_t i = 0; i < n; i++) ctx[i] = src[pos + i] == '\n' ? ' ' : src[pos + i];
  ctx[n] = '\0';
  if (n < len) memcpy(ctx + n, "...", 4);
  wctr_fail(x->e, WCTR_EINVAL, "template: :%d:%zu: executing \"%.40s\" at <%s>: %s", line_of(src, pos),
            pos - line_start, x->tname, ctx, msg);
  x->failed = true;
  return false;
}

static bool fail_limit(exec *x, const char *fmt, ...) WCTR_PRINTF(2, 3);
static bool fail_limit(exec *x, const char *fmt, ...) {
  if (x->failed) return false;
  char msg[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  wctr_fail(x->e, WCTR_ETOOBIG, "template: %s", msg);
  x->failed = true;
  return false;
}

static bool fail_oom(exec *x) {
  if (!x->failed) wctr_fail(x->e, WCTR_ENOMEM, "template: out of memory");
  x->failed = true;
  return false;
}

static bool step(exec *x) {
  if (++x->steps > x->o.max_steps) {
    return fail_limit(x, "the template ran more than %" PRIu64 " steps (wctr's limit)", x->o.max_steps);
  }
  return true;
}

/* Room for n more bytes of values made by the run. */
static bool charge(exec *x, size_t n) {
  if (n > x->budget) {
    return fail_limit(x, "the template's values grew past %zu bytes (wctr's limit)", x->o.max_output * 2);
  }
  x->budget -= n;
  return true;
}

static char *xalloc(exec *x, size_t n) {
  if (!charge(x, n + 1)) return NULL;
  char *p = arena_alloc(&x->mem, n + 1);
  if (p == NULL) fail_oom(x);
  return p;
}

static val make_str(exec *x, const char *s, size_t n) {
  char *copy = xalloc(x, n);
  if (copy == NULL) return v_invalid();
  if (n > 0) memcpy(copy, s, n);
  return v_str(copy, n);
}

/* Takes a buffer's text as a string value (the buffer is freed). */
static bool str_from_buf(exec *x, docker_buf *b, val *out) {
  if (b->failed) {
    /* A buffer bounded by the budget stopped at it (memory running out first is not told apart). */
    bool bounded = b->max != 0;
    docker_buf_free(b);
    if (bounded) return fail_limit(x, "the template's values grew past %zu bytes (wctr's limit)", x->o.max_output * 2);
    return fail_oom(x);
  }
  *out = make_str(x, b->data != NULL ? b->data : "", b->len);
  docker_buf_free(b);
  return !x->failed;
}

static bool own(exec *x, cJSON *j) {
  if (j == NULL) return fail_oom(x);
  if (x->nowned == x->owned_cap) {
    size_t cap = x->owned_cap == 0 ? 8 : x->owned_cap * 2;
    cJSON **grown = realloc(x->owned, cap * sizeof *grown);
    if (grown == NULL) {
      cJSON_Delete(j);
      return fail_oom(x);
    }
    x->owned = grown;
    x->owned_cap = cap;
  }
  x->owned[x->nowned++] = j;
  return true;
}

static bool push(exec *x, const char *name, val v) {
  if (x->nvars == x->vars_cap) {
    size_t cap = x->vars_cap == 0 ? 8 : x->vars_cap * 2;
    var *grown = realloc(x->vars, cap * sizeof *grown);
    if (grown == NULL) return fail_oom(x);
    x->vars = grown;
    x->vars_cap = cap;
  }
  x->vars[x->nvars++] = (var){name, v};
  return true;
}

static var *find_var(exec *x, const char *name) {
  for (size_t i = x->nvars; i-- > 0;) {
    if (strcmp(x->vars[i].name, name) == 0) return &x->vars[i];
  }
  return NULL;
}

/* ---- printing (fmt's %v) -------------------------------------------------------------------------------- */

static bool is_map_key(const exec *x, const char *key) {
  if (key == NULL || x->o.map_keys == NULL) return false;
  for (const char *const *k = x->o.map_keys; *k != NULL; k++) {
    if (strcmp(*k, key) == 0) return true;
  }
  return false;
}

/* Object members in key order (Go prints maps sorted). */
static int cmp_members(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string != NULL ? x->string : "", y->string != NULL ? y->string : "");
}

static const cJSON **sorted_members(const cJSON *obj, size_t *count) {
  size_t n = (size_t)cJSON_GetArraySize(obj);
  const cJSON **m = malloc((n > 0 ? n : 1) * sizeof *m);
  if (m == NULL) return NULL;
  size_t k = 0;
  for (const cJSON *c = obj->child; c != NULL && k < n; c = c->next) m[k++] = c;
  qsort(m, k, sizeof *m, cmp_members);
  *count = k;
  return m;
}

static void print_json_value(exec *x, docker_buf *b, const cJSON *j, int depth);

static void print_val(exec *x, docker_buf *b, const val *v) {
  switch (v->k) {
    case V_INVALID: docker_buf_adds(b, "<no value>"); break;
    case V_NIL: docker_buf_adds(b, "<nil>"); break;
    case V_BOOL: docker_buf_adds(b, v->b ? "true" : "false"); break;
    case V_INT: docker_buf_addf(b, "%" PRId64, v->i); break;
    case V_FLOAT: docker_go_float(b, v->f); break;
    case V_STR: docker_buf_add(b, v->s, v->n); break;
    case V_JSON: print_json_value(x, b, v->j, 0); break;
    case V_OBJ: print_json_value(x, b, v->o->fields, 0); break;
  }
}

static void print_json_value(exec *x, docker_buf *b, const cJSON *j, int depth) {
  if (depth > 200) {
    docker_buf_adds(b, "...");
    return;
  }
  if (cJSON_IsArray(j)) {
    docker_buf_addc(b, '[');
    for (const cJSON *c = j->child; c != NULL; c = c->next) {
      if (c != j->child) docker_buf_addc(b, ' ');
      print_json_value(x, b, c, depth + 1);
    }
    docker_buf_addc(b, ']');
  } else if (cJSON_IsObject(j)) {
    size_t n = 0;
    const cJSON **m = sorted_members(j, &n);
    if (m == NULL) {
      b->failed = true;
      return;
    }
    docker_buf_adds(b, "map[");
    for (size_t i = 0; i < n; i++) {
      if (i > 0) docker_buf_addc(b, ' ');
      docker_buf_adds(b, m[i]->string != NULL ? m[i]->string : "");
      docker_buf_addc(b, ':');
      print_json_value(x, b, m[i], depth + 1);
    }
    docker_buf_addc(b, ']');
    free(m);
  } else {
    val v = from_json(j);
    print_val(x, b, &v);
  }
}

static void json_of(exec *x, docker_buf *b, const val *v) {
  (void)x;
  switch (v->k) {
    case V_INVALID:
    case V_NIL: docker_buf_adds(b, "null"); break;
    case V_BOOL: docker_buf_adds(b, v->b ? "true" : "false"); break;
    case V_INT: docker_buf_addf(b, "%" PRId64, v->i); break;
    case V_FLOAT: docker_json_float(b, v->f); break;
    case V_STR: {
      /* json of a Go string: its bytes, invalid UTF-8 as U+FFFD. */
      char *z = malloc(v->n + 1);
      if (z == NULL) {
        b->failed = true;
        return;
      }
      memcpy(z, v->s, v->n);
      z[v->n] = '\0';
      cJSON tmp = {.type = cJSON_String, .valuestring = z};
      /* A NUL inside the string ends it for the JSON writer; write the rest as \u0000 pieces. */
      size_t start = 0;
      docker_buf piece;
      docker_buf_init(&piece, 0);
      docker_buf_addc(&piece, '"');
      while (start <= v->n) {
        size_t k = strlen(z + start);
        tmp.valuestring = z + start;
        docker_buf inner;
        docker_buf_init(&inner, 0);
        docker_json_write(&inner, &tmp, NULL, false);
        if (inner.len >= 2) docker_buf_add(&piece, inner.data + 1, inner.len - 2);
        if (inner.failed) piece.failed = true;
        docker_buf_free(&inner);
        start += k + 1;
        if (start <= v->n) docker_buf_adds(&piece, "\\u0000");
      }
      docker_buf_addc(&piece, '"');
      docker_buf_add(b, piece.data != NULL ? piece.data : "", piece.len);
      if (piece.failed) b->failed = true;
      docker_buf_free(&piece);
      free(z);
      break;
    }
    case V_JSON: docker_json_write(b, v->j, NULL, false); break;
    case V_OBJ: docker_json_write(b, v->o->fields, NULL, false); break;
  }
}

/* Go's truth: false, 0, "", empty arrays and maps, nil and no value are false. */
static bool truth(const val *v) {
  switch (v->k) {
    case V_INVALID:
    case V_NIL: return false;
    case V_BOOL: return v->b;
    case V_INT: return v->i != 0;
    case V_FLOAT: return v->f != 0;
    case V_STR: return v->n > 0;
    case V_JSON: return v->j->child != NULL;
    case V_OBJ: return true;
  }
  return false;
}

/* ---- evaluation ------------------------------------------------------------------------------------- */

static bool eval_pipeline(exec *x, const val *dot, const pipe *pp, val *out);
static bool eval_arg(exec *x, const val *dot, const arg *a, val *out);
static bool call_function(exec *x, const val *dot, const arg *ident, arg *const *args, size_t nargs,
                          const val *final, val *out);

static bool not_a_function(exec *x, const arg *a, size_t nargs, const val *final) {
  if (nargs > 1 || final != NULL) {
    return fail_at(x, a->pos, a->len, "can't give argument to non-function %.*s", (int)(a->len > 40 ? 40 : a->len),
                   x->t->src + a->pos);
  }
  return true;
}

/* Docker's templates run over Go structs first, so a field also answers to its Go name where the JSON name
 * differs: ID for "Id", APIVersion for "ApiVersion", NanoCPUs for "NanoCpus", and TimeNano for an event's
 * lower-case "timeNano". */
static const cJSON *go_field(const cJSON *obj, const char *name) {
  static const struct {
    const char *go, *json;
  } renamed[] = {{"ID", "Id"},           {"APIVersion", "ApiVersion"}, {"MinAPIVersion", "MinAPIVersion"},
                 {"CPUShares", "CpuShares"}, {"NanoCPUs", "NanoCpus"}, {"CPUCount", "CpuCount"},
                 {"CPUPercent", "CpuPercent"}, {"CPUPeriod", "CpuPeriod"}, {"CPUQuota", "CpuQuota"},
                 {"CPURealtimePeriod", "CpuRealtimePeriod"}, {"CPURealtimeRuntime", "CpuRealtimeRuntime"},
                 {"DNS", "Dns"},         {"DNSOptions", "DnsOptions"}, {"DNSSearch", "DnsSearch"}};
  for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++) {
    if (strcmp(renamed[i].go, name) != 0) continue;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, renamed[i].json);
    if (f != NULL) return f;
  }
  /* json:"status", json:"id": the Go name with its first letter (or, for ID, all of it) in lower case. */
  char lower[64];
  size_t n = strlen(name);
  if (n == 0 || n >= sizeof lower) return NULL;
  memcpy(lower, name, n + 1);
  lower[0] = (char)tolower((unsigned char)lower[0]);
  const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, lower);
  if (f != NULL) return f;
  for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)lower[i]);
  return cJSON_GetObjectItemCaseSensitive(obj, lower);
}

/* One field of receiver; args (nargs, evaluated here) and final go to a method. */
static bool eval_field(exec *x, const val *dot, const char *name, const arg *at, arg *const *args, size_t nargs,
                       const val *final, const val *receiver, val *out) {
  bool has_args = nargs > 1 || final != NULL;
  switch (receiver->k) {
    case V_INVALID:
      *out = v_invalid();
      return true;
    case V_OBJ: {
      const docker_tpl_object *o = receiver->o;
      for (size_t i = 0; i < o->method_count; i++) {
        const docker_tpl_method *m = &o->methods[i];
        if (strcmp(m->name, name) != 0) continue;
        size_t given = (nargs > 0 ? nargs - 1 : 0) + (final != NULL ? 1 : 0);
        if (given != (size_t)m->nargs) {
          return fail_at(x, at->pos, at->len, "wrong number of args for %s: want %d got %zu", name, m->nargs, given);
        }
        const char *texts[8];
        val vals[8];
        size_t k = 0;
        for (size_t a = 1; a < nargs && k < 8; a++) {
          if (!eval_arg(x, dot, args[a], &vals[k])) return false;
          k++;
        }
        if (final != NULL && k < 8) vals[k++] = *final;
        char *zs[8] = {0};
        bool ok = true;
        for (size_t a = 0; a < k && ok; a++) {
          if (vals[a].k != V_STR) {
            ok = fail_at(x, at->pos, at->len, "wrong type for value; expected string; got %s", type_name(&vals[a]));
            break;
          }
          zs[a] = xalloc(x, vals[a].n);
          ok = zs[a] != NULL;
          if (ok) memcpy(zs[a], vals[a].s, vals[a].n);
          texts[a] = zs[a];
        }
        if (!ok) return false;
        cJSON *result = m->call(o->self, texts);
        if (!own(x, result)) return false;
        *out = from_json(result);
        return true;
      }
      const cJSON *f = cJSON_GetObjectItemCaseSensitive(o->fields, name);
      if (f == NULL) {
        return fail_at(x, at->pos, at->len, "can't evaluate field %s in type %s", name, type_name(receiver));
      }
      if (has_args) return fail_at(x, at->pos, at->len, "%s has arguments but cannot be invoked as function", name);
      *out = from_json(f);
      return true;
    }
    case V_JSON:
      if (cJSON_IsObject(receiver->j)) {
        if (has_args) return fail_at(x, at->pos, at->len, "%s is not a method but has arguments", name);
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(receiver->j, name);
        if (f != NULL) {
          *out = from_json(f);
          return true;
        }
        if (is_map_key(x, receiver->j->string)) {
          *out = v_invalid();
          return true;
        }
        f = go_field(receiver->j, name);
        if (f != NULL) {
          *out = from_json(f);
          return true;
        }
        return fail_at(x, at->pos, at->len, "map has no entry for key \"%s\"", name);
      }
      return fail_at(x, at->pos, at->len, "can't evaluate field %s in type %s", name, type_name(receiver));
    case V_NIL:
      return fail_at(x, at->pos, at->len, "nil pointer evaluating interface {}.%s", name);
    default:
      return fail_at(x, at->pos, at->len, "can't evaluate field %s in type %s", name, type_name(receiver));
  }
}

static bool eval_field_chain(exec *x, const val *dot, val receiver, const arg *at, char *const *names, size_t n,
                             arg *const *args, size_t nargs, const val *final, val *out) {
  for (size_t i = 0; i + 1 < n; i++) {
    val next_v;
    if (!eval_field(x, dot, names[i], at, NULL, 0, NULL, &receiver, &next_v)) return false;
    receiver = next_v;
  }
  return eval_field(x, dot, names[n - 1], at, args, nargs, final, &receiver, out);
}

static bool eval_command(exec *x, const val *dot, const cmd *c, const val *final, val *out) {
  const arg *first = c->args[0];
  if (!step(x)) return false;
  switch (first->kind) {
    case A_FIELD:
      return eval_field_chain(x, dot, *dot, first, first->names, first->nnames, c->args, c->nargs, final, out);
    case A_CHAIN: {
      if (first->node->kind == A_NIL) return fail_at(x, first->pos, first->len, "indirection through explicit nil");
      val base;
      if (!eval_arg(x, dot, first->node, &base)) return false;
      return eval_field_chain(x, dot, base, first, first->names, first->nnames, c->args, c->nargs, final, out);
    }
    case A_VAR: {
      var *v = find_var(x, first->names[0]);
      if (v == NULL) return fail_at(x, first->pos, first->len, "undefined variable: %s", first->names[0]);
      if (first->nnames == 1) {
        if (!not_a_function(x, first, c->nargs, final)) return false;
        *out = v->v;
        return true;
      }
      return eval_field_chain(x, dot, v->v, first, first->names + 1, first->nnames - 1, c->args, c->nargs, final, out);
    }
    case A_IDENT: return call_function(x, dot, first, c->args, c->nargs, final, out);
    case A_PIPE:
      if (!not_a_function(x, first, c->nargs, final)) return false;
      return eval_pipeline(x, dot, first->pipe, out);
    default: break;
  }
  if (!not_a_function(x, first, c->nargs, final)) return false;
  switch (first->kind) {
    case A_BOOL: *out = v_bool(first->b); return true;
    case A_DOT: *out = *dot; return true;
    case A_NIL: return fail_at(x, first->pos, first->len, "nil is not a command");
    case A_NUMBER: *out = first->is_int ? v_int(first->i) : (val){.k = V_FLOAT, .f = first->f}; return true;
    case A_STRING: *out = v_str(first->s, first->s_len); return true;
    default: return fail_at(x, first->pos, first->len, "can't evaluate command");
  }
}

static bool eval_arg(exec *x, const val *dot, const arg *a, val *out) {
  if (!step(x)) return false;
  switch (a->kind) {
    case A_DOT: *out = *dot; return true;
    case A_NIL: *out = (val){.k = V_NIL}; return true;
    case A_BOOL: *out = v_bool(a->b); return true;
    case A_NUMBER: *out = a->is_int ? v_int(a->i) : (val){.k = V_FLOAT, .f = a->f}; return true;
    case A_STRING: *out = v_str(a->s, a->s_len); return true;
    case A_FIELD: return eval_field_chain(x, dot, *dot, a, a->names, a->nnames, NULL, 0, NULL, out);
    case A_VAR: {
      var *v = find_var(x, a->names[0]);
      if (v == NULL) return fail_at(x, a->pos, a->len, "undefined variable: %s", a->names[0]);
      if (a->nnames == 1) {
        *out = v->v;
        return true;
      }
      return eval_field_chain(x, dot, v->v, a, a->names + 1, a->nnames - 1, NULL, 0, NULL, out);
    }
    case A_PIPE: return eval_pipeline(x, dot, a->pipe, out);
    case A_IDENT: return call_function(x, dot, a, NULL, 0, NULL, out);
    case A_CHAIN: {
      if (a->node->kind == A_NIL) return fail_at(x, a->pos, a->len, "indirection through explicit nil");
      val base;
      if (!eval_arg(x, dot, a->node, &base)) return false;
      return eval_field_chain(x, dot, base, a, a->names, a->nnames, NULL, 0, NULL, out);
    }
  }
  return false;
}

static bool eval_pipeline(exec *x, const val *dot, const pipe *pp, val *out) {
  if (++x->depth > DOCKER_TPL_MAX_DEPTH * 4) return fail_limit(x, "the template nests too deep");
  val value = v_invalid();
  bool ok = true;
  for (size_t i = 0; ok && i < pp->ncmds; i++) {
    val next_v;
    ok = eval_command(x, dot, pp->cmds[i], i > 0 ? &value : NULL, &next_v);
    if (ok) value = next_v;
  }
  for (size_t i = 0; ok && i < pp->ndecl; i++) {
    if (pp->assign) {
      var *v = find_var(x, pp->decl[i]);
      if (v == NULL) {
        ok = fail_at(x, pp->pos, pp->len, "undefined variable: %s", pp->decl[i]);
      } else {
        v->v = value;
      }
    } else {
      ok = push(x, pp->decl[i], value);
    }
  }
  x->depth--;
  *out = value;
  return ok;
}

/* ---- functions ---------------------------------------------------------------------------------------- */

static bool want_str(exec *x, const arg *at, const val *v, const char **s, size_t *n) {
  if (v->k != V_STR) {
    return fail_at(x, at->pos, at->len, "wrong type for value; expected string; got %s", type_name(v));
  }
  *s = v->s;
  *n = v->n;
  return true;
}

static bool want_int(exec *x, const arg *at, const val *v, int64_t *i) {
  if (v->k == V_INT) {
    *i = v->i;
    return true;
  }
  if (v->k == V_FLOAT && v->f == floor(v->f) && fabs(v->f) < 9e18) {
    *i = (int64_t)v->f;
    return true;
  }
  return fail_at(x, at->pos, at->len, "wrong type for value; expected int; got %s", type_name(v));
}

/* Go's fmt.Sprint of one operand. */
static void sprint_one(exec *x, docker_buf *b, const val *v) { print_val(x, b, v); }

typedef struct fmt_spec {
  bool minus, plus, sharp, space, zero;
  int width, prec;
  bool has_width, has_prec;
} fmt_spec;

static void pad_to(docker_buf *b, const fmt_spec *f, const char *s, size_t n, bool numeric) {
  size_t w = docker_text_width(s, n);
  size_t want = f->has_width && f->width > 0 ? (size_t)f->width : 0;
  size_t padn = want > w ? want - w : 0;
  if (f->minus) {
    docker_buf_add(b, s, n);
    for (size_t i = 0; i < padn; i++) docker_buf_addc(b, ' ');
    return;
  }
  if (f->zero && numeric && padn > 0 && n > 0 && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) {
    docker_buf_addc(b, s[0]);
    for (size_t i = 0; i < padn; i++) docker_buf_addc(b, '0');
    docker_buf_add(b, s + 1, n - 1);
    return;
  }
  for (size_t i = 0; i < padn; i++) docker_buf_addc(b, f->zero && numeric ? '0' : ' ');
  docker_buf_add(b, s, n);
}

static void bad_verb(exec *x, docker_buf *b, char verb, const val *v) {
  docker_buf_addf(b, "%%!%c(", verb);
  if (v->k == V_INVALID || v->k == V_NIL) {
    docker_buf_adds(b, "<nil>");
  } else {
    docker_buf_adds(b, type_name(v));
    docker_buf_addc(b, '=');
    print_val(x, b, v);
  }
  docker_buf_addc(b, ')');
}

static void fmt_int(docker_buf *b, const fmt_spec *f, char verb, int64_t i) {
  char digits[80];
  uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
  const char *prefix = "";
  switch (verb) {
    case 'x': snprintf(digits, sizeof digits, "%" PRIx64, u); prefix = f->sharp ? "0x" : ""; break;
    case 'X': snprintf(digits, sizeof digits, "%" PRIX64, u); prefix = f->sharp ? "0X" : ""; break;
    case 'o': snprintf(digits, sizeof digits, "%" PRIo64, u); prefix = f->sharp ? "0" : ""; break;
    case 'O': snprintf(digits, sizeof digits, "%" PRIo64, u); prefix = "0o"; break;
    case 'b': {
      size_t k = 0;
      char rev[70];
      do {
        rev[k++] = (char)('0' + (u & 1));
        u >>= 1;
      } while (u != 0);
      for (size_t j = 0; j < k; j++) digits[j] = rev[k - 1 - j];
      digits[k] = '\0';
      break;
    }
    default: snprintf(digits, sizeof digits, "%" PRIu64, u); break;
  }
  char text[128];
  size_t dl = strlen(digits);
  char zeros[80] = "";
  if (f->has_prec && f->prec > (int)dl && f->prec < 70) {
    memset(zeros, '0', (size_t)f->prec - dl);
    zeros[f->prec - (int)dl] = '\0';
  }
  if (f->has_prec && f->prec == 0 && i == 0) digits[0] = '\0';
  snprintf(text, sizeof text, "%s%s%s%s", i < 0 ? "-" : f->plus ? "+" : f->space ? " " : "", prefix, zeros, digits);
  fmt_spec g = *f;
  if (f->has_prec) g.zero = false;
  pad_to(b, &g, text, strlen(text), true);
}

static void fmt_float(docker_buf *b, const fmt_spec *f, char verb, double d) {
  char text[512];
  if (verb == 'v') {
    docker_buf tmp;
    docker_buf_init(&tmp, 0);
    if (f->plus && d >= 0) docker_buf_addc(&tmp, '+');
    docker_go_float(&tmp, d);
    pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, true);
    docker_buf_free(&tmp);
    return;
  }
  int prec = f->has_prec ? f->prec : (verb == 'g' || verb == 'G') ? -1 : 6;
  if (prec < 0 && (verb == 'g' || verb == 'G')) {
    docker_buf tmp;
    docker_buf_init(&tmp, 0);
    if (f->plus && d >= 0) docker_buf_addc(&tmp, '+');
    docker_go_float(&tmp, d);
    if (verb == 'G' && tmp.data != NULL) {
      for (size_t i = 0; i < tmp.len; i++) tmp.data[i] = (char)toupper((unsigned char)tmp.data[i]);
    }
    pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, true);
    docker_buf_free(&tmp);
    return;
  }
  if (prec > 100) prec = 100;
  const char *sign = d >= 0 && f->plus ? "+" : d >= 0 && f->space ? " " : "";
  switch (verb) {
    case 'e': snprintf(text, sizeof text, "%s%.*e", sign, prec, d); break;
    case 'E': snprintf(text, sizeof text, "%s%.*E", sign, prec, d); break;
    case 'g': snprintf(text, sizeof text, "%s%.*g", sign, prec, d); break;
    case 'G': snprintf(text, sizeof text, "%s%.*G", sign, prec, d); break;
    default: snprintf(text, sizeof text, "%s%.*f", sign, prec, d); break;
  }
  pad_to(b, f, text, strlen(text), true);
}

static void fmt_one(exec *x, docker_buf *b, const fmt_spec *f, char verb, const val *v) {
  docker_buf tmp;
  docker_buf_init(&tmp, 0);
  switch (verb) {
    case 'v':
      if (v->k == V_FLOAT) {
        fmt_float(b, f, 'v', v->f);
      } else if (v->k == V_INT) {
        fmt_int(b, f, 'd', v->i);
      } else {
        print_val(x, &tmp, v);
        pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, false);
      }
      break;
    case 's':
      if (v->k == V_STR || v->k == V_JSON || v->k == V_OBJ) {
        if (v->k == V_STR) {
          size_t n = v->n;
          if (f->has_prec) {
            /* precision counts runes */
            size_t i = 0;
            for (int r = 0; i < n && r < f->prec; r++) {
              uint32_t cp;
              i += docker_utf8_decode(v->s + i, n - i, &cp);
            }
            n = i;
          }
          pad_to(b, f, v->s, n, false);
        } else {
          print_val(x, &tmp, v);
          pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, false);
        }
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 'q':
      if (v->k == V_STR) {
        docker_go_quote(&tmp, v->s, v->n);
        pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, false);
      } else if (v->k == V_INT && v->i >= 0 && v->i <= 0x10FFFF) {
        docker_buf_addc(&tmp, '\'');
        if (v->i == '\'') {
          docker_buf_adds(&tmp, "\\'");
        } else {
          docker_buf q;
          docker_buf_init(&q, 0);
          char enc[8];
          docker_buf e;
          docker_buf_init(&e, 0);
          docker_utf8_encode(&e, (uint32_t)v->i);
          size_t el = e.len < sizeof enc ? e.len : 0;
          if (el > 0) memcpy(enc, e.data, el);
          docker_buf_free(&e);
          docker_go_quote(&q, enc, el);
          if (q.len >= 2) docker_buf_add(&tmp, q.data + 1, q.len - 2);
          docker_buf_free(&q);
        }
        docker_buf_addc(&tmp, '\'');
        pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, false);
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 'd': case 'o': case 'O': case 'b':
      if (v->k == V_INT) {
        fmt_int(b, f, verb, v->i);
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 'x': case 'X':
      if (v->k == V_INT) {
        fmt_int(b, f, verb, v->i);
      } else if (v->k == V_STR) {
        for (size_t i = 0; i < v->n; i++) docker_buf_addf(&tmp, verb == 'x' ? "%02x" : "%02X", (unsigned char)v->s[i]);
        pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, false);
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 'c':
      if (v->k == V_INT && v->i >= 0 && v->i <= 0x10FFFF) {
        docker_utf8_encode(&tmp, (uint32_t)v->i);
        pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, false);
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 'U':
      if (v->k == V_INT) {
        docker_buf_addf(&tmp, "U+%04" PRIX64, (uint64_t)v->i);
        pad_to(b, f, tmp.data != NULL ? tmp.data : "", tmp.len, false);
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
      if (v->k == V_FLOAT) {
        fmt_float(b, f, verb, v->f);
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 't':
      if (v->k == V_BOOL) {
        pad_to(b, f, v->b ? "true" : "false", v->b ? 4 : 5, false);
      } else {
        bad_verb(x, b, verb, v);
      }
      break;
    case 'T': {
      const char *t = type_name(v);
      pad_to(b, f, t, strlen(t), false);
      break;
    }
    default: bad_verb(x, b, verb, v); break;
  }
  if (tmp.failed) b->failed = true;
  docker_buf_free(&tmp);
}

static int star_arg(const val *args, size_t nargs, size_t *used, bool *bad) {
  if (*used >= nargs || args[*used].k != V_INT || args[*used].i > 1000000 || args[*used].i < -1000000) {
    *bad = true;
    if (*used < nargs) (*used)++;
    return 0;
  }
  return (int)args[(*used)++].i;
}

/* Go's fmt.Sprintf, for the verbs templates use; widths and precisions up to 10^6 as Go allows. */
static void go_sprintf(exec *x, docker_buf *b, const char *f, size_t fn, const val *args, size_t nargs) {
  size_t used = 0;
  for (size_t i = 0; i < fn;) {
    if (f[i] != '%') {
      docker_buf_addc(b, f[i++]);
      continue;
    }
    i++;
    if (i >= fn) {
      docker_buf_adds(b, "%!(NOVERB)");
      break;
    }
    fmt_spec s = {0};
    for (; i < fn; i++) {
      char c = f[i];
      if (c == '-') s.minus = true;
      else if (c == '+') s.plus = true;
      else if (c == '#') s.sharp = true;
      else if (c == ' ') s.space = true;
      else if (c == '0') s.zero = !s.minus;
      else break;
    }
    bool bad_width = false, bad_prec = false;
    if (i < fn && f[i] == '*') {
      i++;
      s.width = star_arg(args, nargs, &used, &bad_width);
      s.has_width = !bad_width;
      if (s.width < 0) {
        s.minus = true;
        s.width = -s.width;
      }
    } else {
      while (i < fn && isdigit((unsigned char)f[i])) {
        if (s.width <= 1000000) s.width = s.width * 10 + (f[i] - '0');
        i++;
        s.has_width = true;
        if (s.width > 1000000) bad_width = true;
      }
    }
    if (i < fn && f[i] == '.') {
      i++;
      s.has_prec = true;
      if (i < fn && f[i] == '*') {
        i++;
        s.prec = star_arg(args, nargs, &used, &bad_prec);
        if (s.prec < 0) s.has_prec = false;
      } else {
        while (i < fn && isdigit((unsigned char)f[i])) {
          if (s.prec <= 1000000) s.prec = s.prec * 10 + (f[i] - '0');
          i++;
          if (s.prec > 1000000) bad_prec = true;
        }
      }
    }
    if (i >= fn) {
      docker_buf_adds(b, "%!(NOVERB)");
      break;
    }
    char verb = f[i++];
    if (bad_width) {
      docker_buf_adds(b, "%!(BADWIDTH)");
      s.has_width = false;
      s.width = 0;
    }
    if (bad_prec) {
      docker_buf_adds(b, "%!(BADPREC)");
      s.has_prec = false;
      s.prec = 0;
    }
    if (verb == '%') {
      docker_buf_addc(b, '%');
      continue;
    }
    if (used >= nargs) {
      docker_buf_addf(b, "%%!%c(MISSING)", verb);
      continue;
    }
    fmt_one(x, b, &s, verb, &args[used++]);
    if (b->failed) return;
  }
  if (used < nargs) {
    docker_buf_adds(b, "%!(EXTRA ");
    for (size_t k = used; k < nargs; k++) {
      if (k > used) docker_buf_adds(b, ", ");
      docker_buf_adds(b, type_name(&args[k]));
      docker_buf_addc(b, '=');
      print_val(x, b, &args[k]);
    }
    docker_buf_addc(b, ')');
  }
}

/* Letters changed by title/upper/lower: ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. */
static uint32_t to_upper(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 32;
  if (c == 0xFF) return 0x178;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
    bool odd_lower = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_lower ? (c % 2 == 0) : (c % 2 == 1)) return c - 1;
    return c;
  }
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

static uint32_t to_lower(uint32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c == 0x178) return 0xFF;
  if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 && c != 0x17F) {
    bool odd_lower = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_lower ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

static bool is_letter_or_digit(uint32_t c) {
  return (c < 0x80 && (isalnum((int)c) || c == '_')) || c >= 0x80;
}

/* 0 lower, 1 upper, 2 title (strings.Title: the first letter of each word, words separated by anything that
 * is not a letter, a digit or '_'). */
static bool change_case(exec *x, const char *s, size_t n, int how, val *out) {
  docker_buf b;
  docker_buf_init(&b, 0);
  bool word_start = true;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = docker_utf8_decode(s + i, n - i, &cp);
    if (len == 1 && (unsigned char)s[i] >= 0x80) {
      docker_buf_addc(&b, s[i]); /* not UTF-8: kept as it is */
    } else {
      uint32_t c = how == 0 ? to_lower(cp) : how == 1 ? to_upper(cp) : word_start ? to_upper(cp) : cp;
      docker_utf8_encode(&b, c);
    }
    word_start = !is_letter_or_digit(cp);
    i += len;
  }
  return str_from_buf(x, &b, out);
}

static bool compare_eq(exec *x, const arg *at, const val *a, const val *b, bool *eq) {
  bool a_nil = a->k == V_NIL || a->k == V_INVALID, b_nil = b->k == V_NIL || b->k == V_INVALID;
  if (a_nil || b_nil) {
    *eq = a_nil && b_nil;
    return true;
  }
  bool a_num = a->k == V_INT || a->k == V_FLOAT, b_num = b->k == V_INT || b->k == V_FLOAT;
  if (a_num && b_num) {
    *eq = a->k == V_INT && b->k == V_INT ? a->i == b->i : (a->k == V_INT ? (double)a->i : a->f) == (b->k == V_INT ? (double)b->i : b->f);
    return true;
  }
  if (a->k != b->k) return fail_at(x, at->pos, at->len, "error calling eq: incompatible types for comparison");
  switch (a->k) {
    case V_BOOL: *eq = a->b == b->b; return true;
    case V_STR: *eq = a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0); return true;
    default: return fail_at(x, at->pos, at->len, "error calling eq: non-comparable type %s", type_name(a));
  }
}

static bool compare_lt(exec *x, const arg *at, const char *fname, const val *a, const val *b, bool *lt) {
  bool a_num = a->k == V_INT || a->k == V_FLOAT, b_num = b->k == V_INT || b->k == V_FLOAT;
  if (a_num && b_num) {
    *lt = a->k == V_INT && b->k == V_INT ? a->i < b->i : (a->k == V_INT ? (double)a->i : a->f) < (b->k == V_INT ? (double)b->i : b->f);
    return true;
  }
  if (a->k == V_STR && b->k == V_STR) {
    size_t m = a->n < b->n ? a->n : b->n;
    int c = m > 0 ? memcmp(a->s, b->s, m) : 0;
    *lt = c < 0 || (c == 0 && a->n < b->n);
    return true;
  }
  if (a->k != b->k && a->k != V_BOOL && b->k != V_BOOL) {
    return fail_at(x, at->pos, at->len, "error calling %s: incompatible types for comparison", fname);
  }
  return fail_at(x, at->pos, at->len, "error calling %s: invalid type for comparison", fname);
}

static bool escape_html(exec *x, const char *s, size_t n, val *out) {
  docker_buf b;
  docker_buf_init(&b, 0);
  for (size_t i = 0; i < n; i++) {
    switch (s[i]) {
      case '"': docker_buf_adds(&b, "&#34;"); break;
      case '\'': docker_buf_adds(&b, "&#39;"); break;
      case '&': docker_buf_adds(&b, "&amp;"); break;
      case '<': docker_buf_adds(&b, "&lt;"); break;
      case '>': docker_buf_adds(&b, "&gt;"); break;
      case '\0': docker_buf_adds(&b, "\xEF\xBF\xBD"); break;
      default: docker_buf_addc(&b, s[i]); break;
    }
  }
  return str_from_buf(x, &b, out);
}

static bool escape_js(exec *x, const char *s, size_t n, val *out) {
  docker_buf b;
  docker_buf_init(&b, 0);
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      switch (c) {
        case '\\': docker_buf_adds(&b, "\\\\"); break;
        case '\'': docker_buf_adds(&b, "\\'"); break;
        case '"': docker_buf_adds(&b, "\\\""); break;
        case '<': docker_buf_adds(&b, "\\u003C"); break;
        case '>': docker_buf_adds(&b, "\\u003E"); break;
        case '&': docker_buf_adds(&b, "\\u0026"); break;
        case '=': docker_buf_adds(&b, "\\u003D"); break;
        case '\n': docker_buf_adds(&b, "\\n"); break;
        case '\r': docker_buf_adds(&b, "\\r"); break;
        case '\t': docker_buf_adds(&b, "\\t"); break;
        default:
          if (c < 0x20) {
            docker_buf_addf(&b, "\\u%04X", c);
          } else {
            docker_buf_addc(&b, (char)c);
          }
      }
      i++;
      continue;
    }
    uint32_t cp;
    size_t len = docker_utf8_decode(s + i, n - i, &cp);
    if (cp == 0x2028 || cp == 0x2029 || cp == 0xFFFD) {
      docker_buf_addf(&b, "\\u%04X", (unsigned)cp);
    } else {
      docker_buf_add(&b, s + i, len);
    }
    i += len;
  }
  return str_from_buf(x, &b, out);
}

static bool escape_query(exec *x, const char *s, size_t n, val *out) {
  docker_buf b;
  docker_buf_init(&b, 0);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      docker_buf_addc(&b, (char)c);
    } else if (c == ' ') {
      docker_buf_addc(&b, '+');
    } else {
      docker_buf_addf(&b, "%%%02X", c);
    }
  }
  return str_from_buf(x, &b, out);
}

/* The text of html, js and urlquery's arguments: one string as it is, else fmt.Sprint of them all. */
static bool escaper_text(exec *x, const val *args, size_t n, val *out) {
  if (n == 1 && args[0].k == V_STR) {
    *out = args[0];
    return true;
  }
  docker_buf b;
  docker_buf_init(&b, 0);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && args[i].k != V_STR && args[i - 1].k != V_STR) docker_buf_addc(&b, ' ');
    sprint_one(x, &b, &args[i]);
  }
  return str_from_buf(x, &b, out);
}

static bool index_of(exec *x, const arg *at, const val *item, const val *key, val *out) {
  if (item->k == V_INVALID || item->k == V_NIL) return fail_at(x, at->pos, at->len, "error calling index: index of untyped nil");
  if (item->k == V_JSON && cJSON_IsArray(item->j)) {
    if (key->k != V_INT) return fail_at(x, at->pos, at->len, "error calling index: cannot index slice/array with type %s", type_name(key));
    int64_t size = cJSON_GetArraySize(item->j);
    if (key->i < 0 || key->i >= size) {
      return fail_at(x, at->pos, at->len, "error calling index: index out of range: %" PRId64, key->i);
    }
    *out = from_json(cJSON_GetArrayItem(item->j, (int)key->i));
    return true;
  }
  if (item->k == V_JSON) {
    if (key->k != V_STR) return fail_at(x, at->pos, at->len, "error calling index: value has type %s; should be string", type_name(key));
    char *name = xalloc(x, key->n);
    if (name == NULL) return false;
    memcpy(name, key->s, key->n);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(item->j, name);
    if (f != NULL && strlen(name) == key->n) {
      *out = from_json(f);
      return true;
    }
    /* The zero value of the map's element type: "" for a map of strings. */
    bool strings = true;
    for (const cJSON *c = item->j->child; c != NULL && strings; c = c->next) strings = cJSON_IsString(c);
    *out = strings ? v_str("", 0) : v_invalid();
    return true;
  }
  if (item->k == V_STR) {
    if (key->k != V_INT) return fail_at(x, at->pos, at->len, "error calling index: cannot index slice/array with type %s", type_name(key));
    if (key->i < 0 || (size_t)key->i >= item->n) {
      return fail_at(x, at->pos, at->len, "error calling index: index out of range: %" PRId64, key->i);
    }
    *out = v_int((unsigned char)item->s[key->i]);
    return true;
  }
  return fail_at(x, at->pos, at->len, "error calling index: can't index item of type %s", type_name(item));
}

static bool fn_slice(exec *x, const arg *at, const val *args, size_t n, val *out) {
  const val *item = &args[0];
  int64_t idx[3] = {0, -1, -1};
  if (n - 1 > 3) return fail_at(x, at->pos, at->len, "error calling slice: too many slice indexes: %zu", n - 1);
  for (size_t i = 1; i < n; i++) {
    if (args[i].k != V_INT) return fail_at(x, at->pos, at->len, "error calling slice: cannot index slice/array with type %s", type_name(&args[i]));
    idx[i - 1] = args[i].i;
  }
  int64_t len = 0;
  if (item->k == V_STR) {
    if (n - 1 == 3) return fail_at(x, at->pos, at->len, "error calling slice: cannot 3-index slice a string");
    len = (int64_t)item->n;
  } else if (item->k == V_JSON && cJSON_IsArray(item->j)) {
    len = cJSON_GetArraySize(item->j);
  } else if (item->k == V_INVALID || item->k == V_NIL) {
    return fail_at(x, at->pos, at->len, "error calling slice: slice of untyped nil");
  } else {
    return fail_at(x, at->pos, at->len, "error calling slice: can't slice item of type %s", type_name(item));
  }
  int64_t lo = idx[0], hi = n >= 3 ? idx[1] : len, cap = n >= 4 ? idx[2] : len;
  if (lo < 0 || hi < lo || hi > len || cap < hi || cap > len) {
    return fail_at(x, at->pos, at->len, "error calling slice: index out of range: %" PRId64, lo < 0 || lo > len ? lo : hi);
  }
  if (item->k == V_STR) {
    *out = v_str(item->s + lo, (size_t)(hi - lo));
    return true;
  }
  if (!charge(x, (size_t)(hi - lo) * 64)) return false;
  cJSON *arr = cJSON_CreateArray();
  for (int64_t i = lo; arr != NULL && i < hi; i++) {
    cJSON *copy = cJSON_Duplicate(cJSON_GetArrayItem(item->j, (int)i), true);
    if (copy == NULL || !cJSON_AddItemToArray(arr, copy)) {
      cJSON_Delete(copy);
      cJSON_Delete(arr);
      arr = NULL;
    }
  }
  if (!own(x, arr)) return false;
  *out = from_json(arr);
  return true;
}

static bool fn_split(exec *x, const char *s, size_t n, const char *sep, size_t sn, val *out) {
  if (!charge(x, (n + 1) * 64)) return false;
  cJSON *arr = cJSON_CreateArray();
  if (arr == NULL) return fail_oom(x);
  bool ok = true;
  size_t start = 0;
  if (sn == 0) {
    /* Every UTF-8 sequence on its own. */
    for (size_t i = 0; ok && i < n;) {
      uint32_t cp;
      size_t len = docker_utf8_decode(s + i, n - i, &cp);
      char *piece = xalloc(x, len);
      ok = piece != NULL;
      if (ok) {
        memcpy(piece, s + i, len);
        cJSON *str = cJSON_CreateString(piece);
        ok = str != NULL && cJSON_AddItemToArray(arr, str);
      }
      i += len;
    }
  } else {
    for (size_t i = 0; ok;) {
      size_t k = i;
      while (k + sn <= n && memcmp(s + k, sep, sn) != 0) k++;
      bool last = k + sn > n;
      size_t end = last ? n : k;
      char *piece = xalloc(x, end - start);
      ok = piece != NULL;
      if (ok) {
        memcpy(piece, s + start, end - start);
        cJSON *str = cJSON_CreateString(piece);
        ok = str != NULL && cJSON_AddItemToArray(arr, str);
      }
      if (last) break;
      start = k + sn;
      i = start;
    }
  }
  if (!ok) {
    cJSON_Delete(arr);
    return x->failed ? false : fail_oom(x);
  }
  if (!own(x, arr)) return false;
  *out = from_json(arr);
  return true;
}

static int strcmp_ptr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool fn_join(exec *x, const arg *at, const val *elems, const char *sep, size_t sn, val *out) {
  if (elems->k == V_INVALID || elems->k == V_NIL) {
    *out = v_str("", 0);
    return true;
  }
  if (elems->k != V_JSON) return fail_at(x, at->pos, at->len, "error calling join: expected slice, got %s", type_name(elems));
  docker_buf b;
  docker_buf_init(&b, x->budget);
  if (cJSON_IsArray(elems->j)) {
    for (const cJSON *c = elems->j->child; c != NULL; c = c->next) {
      if (c != elems->j->child) docker_buf_add(&b, sep, sn);
      val v = from_json(c);
      print_val(x, &b, &v);
    }
  } else {
    /* A map: its values, printed, sorted (docker/cli's rule). */
    size_t n = (size_t)cJSON_GetArraySize(elems->j);
    char **texts = calloc(n > 0 ? n : 1, sizeof *texts);
    size_t k = 0;
    for (const cJSON *c = elems->j->child; texts != NULL && c != NULL && k < n; c = c->next) {
      docker_buf one;
      docker_buf_init(&one, 0);
      val v = from_json(c);
      print_val(x, &one, &v);
      texts[k++] = docker_buf_take(&one);
    }
    bool all = texts != NULL;
    for (size_t i = 0; all && i < k; i++) all = texts[i] != NULL;
    if (all) {
      qsort(texts, k, sizeof *texts, strcmp_ptr);
      for (size_t i = 0; i < k; i++) {
        if (i > 0) docker_buf_add(&b, sep, sn);
        docker_buf_adds(&b, texts[i]);
      }
    } else {
      b.failed = true;
    }
    for (size_t i = 0; texts != NULL && i < k; i++) free(texts[i]);
    free(texts);
  }
  if (b.failed && b.max != 0 && b.len + 1 >= b.max) {
    docker_buf_free(&b);
    return fail_limit(x, "the template's values grew past %zu bytes (wctr's limit)", x->o.max_output * 2);
  }
  return str_from_buf(x, &b, out);
}

/* The function named by ident, with its arguments (args[1..nargs) as written, then final). */
static bool call_function(exec *x, const val *dot, const arg *ident, arg *const *args, size_t nargs,
                          const val *final, val *out) {
  fn_id f = (fn_id)ident->func;
  const arg *at = ident;
  size_t given = (nargs > 0 ? nargs - 1 : 0) + (final != NULL ? 1 : 0);
  /* and, or: their arguments are evaluated one by one, until the answer is known. */
  if (f == F_AND || f == F_OR) {
    if (given < 1) return fail_at(x, at->pos, at->len, "wrong number of args for %s: want at least 1 got 0", funcs[f]);
    val v = v_invalid();
    for (size_t i = 1; i <= given; i++) {
      if (i < nargs) {
        if (!eval_arg(x, dot, args[i], &v)) return false;
      } else {
        v = *final;
      }
      if (truth(&v) == (f == F_OR)) break;
    }
    *out = v;
    return true;
  }
  /* The argument counts: [min, max] (max -1: any). */
  static const struct {
    int min, max;
  } arity[] = {
      [F_NOT] = {1, 1},   [F_LEN] = {1, 1},     [F_INDEX] = {1, -1}, [F_SLICE] = {1, -1},  [F_PRINT] = {0, -1},
      [F_PRINTF] = {1, -1}, [F_PRINTLN] = {0, -1}, [F_EQ] = {1, -1},  [F_NE] = {2, 2},      [F_LT] = {2, 2},
      [F_LE] = {2, 2},    [F_GT] = {2, 2},      [F_GE] = {2, 2},     [F_HTML] = {0, -1},   [F_JS] = {0, -1},
      [F_URLQUERY] = {0, -1}, [F_CALL] = {1, -1}, [F_JSON] = {1, 1}, [F_SPLIT] = {2, 2},   [F_JOIN] = {2, 2},
      [F_TITLE] = {1, 1}, [F_LOWER] = {1, 1},   [F_UPPER] = {1, 1},  [F_PAD] = {3, 3},     [F_TRUNCATE] = {2, 2},
  };
  int min = arity[f].min, max = arity[f].max;
  if ((int)given < min || (max >= 0 && (int)given > max)) {
    if (max < 0) {
      return fail_at(x, at->pos, at->len, "wrong number of args for %s: want at least %d got %zu", funcs[f], min, given);
    }
    return fail_at(x, at->pos, at->len, "wrong number of args for %s: want %d got %zu", funcs[f], max, given);
  }
  val stack[8];
  val *v = given <= 8 ? stack : calloc(given, sizeof *v);
  if (v == NULL) return fail_oom(x);
  bool ok = true;
  for (size_t i = 1; ok && i < nargs; i++) ok = eval_arg(x, dot, args[i], &v[i - 1]);
  if (ok && final != NULL) v[given - 1] = *final;
  const char *s = NULL, *t = NULL;
  size_t sn = 0, tn = 0;
  int64_t i1 = 0, i2 = 0;
  if (ok) {
    switch (f) {
      case F_NOT: *out = v_bool(!truth(&v[0])); break;
      case F_LEN:
        if (v[0].k == V_STR) {
          *out = v_int((int64_t)v[0].n);
        } else if (v[0].k == V_JSON) {
          *out = v_int(cJSON_GetArraySize(v[0].j));
        } else {
          ok = fail_at(x, at->pos, at->len, "error calling len: len of %s", v[0].k == V_INVALID || v[0].k == V_NIL ? "nil pointer" : "type");
          if (v[0].k != V_INVALID && v[0].k != V_NIL) {
            x->failed = false;
            ok = fail_at(x, at->pos, at->len, "error calling len: len of type %s", type_name(&v[0]));
          }
        }
        break;
      case F_INDEX: {
        val cur = v[0];
        for (size_t k = 1; ok && k < given; k++) ok = index_of(x, at, &cur, &v[k], &cur);
        if (ok) *out = cur;
        break;
      }
      case F_SLICE: ok = fn_slice(x, at, v, given, out); break;
      case F_PRINT:
      case F_PRINTLN: {
        docker_buf b;
        docker_buf_init(&b, x->budget);
        for (size_t k = 0; k < given; k++) {
          if (k > 0 && (f == F_PRINTLN || (v[k].k != V_STR && v[k - 1].k != V_STR))) docker_buf_addc(&b, ' ');
          sprint_one(x, &b, &v[k]);
        }
        if (f == F_PRINTLN) docker_buf_addc(&b, '\n');
        ok = str_from_buf(x, &b, out);
        break;
      }
      case F_PRINTF:
        ok = want_str(x, at, &v[0], &s, &sn);
        if (ok) {
          docker_buf b;
          docker_buf_init(&b, x->budget);
          go_sprintf(x, &b, s, sn, v + 1, given - 1);
          ok = str_from_buf(x, &b, out);
        }
        break;
      case F_EQ: {
        if (given < 2) {
          ok = fail_at(x, at->pos, at->len, "error calling eq: missing argument for comparison");
          break;
        }
        bool any = false;
        for (size_t k = 1; ok && k < given && !any; k++) ok = compare_eq(x, at, &v[0], &v[k], &any);
        if (ok) *out = v_bool(any);
        break;
      }
      case F_NE: {
        bool eq = false;
        ok = compare_eq(x, at, &v[0], &v[1], &eq);
        if (ok) *out = v_bool(!eq);
        break;
      }
      case F_LT: case F_LE: case F_GT: case F_GE: {
        bool lt = false, eq = false;
        bool swap = f == F_GT || f == F_LE;
        ok = compare_lt(x, at, funcs[f], swap ? &v[1] : &v[0], swap ? &v[0] : &v[1], &lt);
        if (ok && (f == F_LE || f == F_GE)) {
          /* le a b = !(b < a); ge a b = !(a < b) */
          *out = v_bool(!lt);
        } else if (ok) {
          *out = v_bool(lt);
        }
        (void)eq;
        break;
      }
      case F_HTML:
      case F_JS:
      case F_URLQUERY: {
        val text;
        ok = escaper_text(x, v, given, &text);
        if (ok) {
          ok = f == F_HTML ? escape_html(x, text.s, text.n, out)
               : f == F_JS ? escape_js(x, text.s, text.n, out)
                           : escape_query(x, text.s, text.n, out);
        }
        break;
      }
      case F_CALL:
        ok = fail_at(x, at->pos, at->len, "error calling call: wctr's templates hold no function values to call");
        break;
      case F_JSON:
        if (x->o.header) {
          *out = v[0];
        } else {
          docker_buf b;
          docker_buf_init(&b, x->budget);
          json_of(x, &b, &v[0]);
          ok = str_from_buf(x, &b, out);
        }
        break;
      case F_SPLIT:
        if (x->o.header) {
          *out = v[0];
          break;
        }
        ok = want_str(x, at, &v[0], &s, &sn) && want_str(x, at, &v[1], &t, &tn) && fn_split(x, s, sn, t, tn, out);
        break;
      case F_JOIN:
        if (x->o.header) {
          *out = v[0];
          break;
        }
        ok = want_str(x, at, &v[1], &t, &tn) && fn_join(x, at, &v[0], t, tn, out);
        break;
      case F_TITLE: case F_LOWER: case F_UPPER:
        if (x->o.header) {
          *out = v[0];
          break;
        }
        ok = want_str(x, at, &v[0], &s, &sn) && change_case(x, s, sn, f == F_LOWER ? 0 : f == F_UPPER ? 1 : 2, out);
        break;
      case F_PAD:
        ok = want_str(x, at, &v[0], &s, &sn) && want_int(x, at, &v[1], &i1) && want_int(x, at, &v[2], &i2);
        if (ok && (i1 < 0 || i2 < 0)) ok = fail_at(x, at->pos, at->len, "error calling pad: negative Repeat count");
        if (ok && sn == 0) {
          *out = v[0];
        } else if (ok) {
          if ((uint64_t)i1 > x->budget || (uint64_t)i2 > x->budget || sn + (size_t)i1 + (size_t)i2 > x->budget) {
            ok = charge(x, SIZE_MAX);
            break;
          }
          char *p = xalloc(x, sn + (size_t)i1 + (size_t)i2);
          ok = p != NULL;
          if (ok) {
            memset(p, ' ', (size_t)i1);
            memcpy(p + i1, s, sn);
            memset(p + i1 + sn, ' ', (size_t)i2);
            *out = v_str(p, sn + (size_t)i1 + (size_t)i2);
          }
        }
        break;
      case F_TRUNCATE:
        if (x->o.header) {
          *out = v[0];
          break;
        }
        ok = want_str(x, at, &v[0], &s, &sn) && want_int(x, at, &v[1], &i1);
        if (ok && i1 < 0) ok = fail_at(x, at->pos, at->len, "error calling truncate: slice bounds out of range [:%" PRId64 "]", i1);
        if (ok) *out = (int64_t)sn < i1 ? v[0] : v_str(s, (size_t)i1);
        break;
      default: ok = fail_at(x, at->pos, at->len, "unknown function"); break;
    }
  }
  if (v != stack) free(v);
  return ok;
}

/* ---- walking -------------------------------------------------------------------------------------------- */

static bool walk_list(exec *x, const val *dot, const list *l);

static bool emit_val(exec *x, const val *v) {
  print_val(x, x->out, v);
  if (x->out->failed) {
    if (x->out->max != 0 && x->out->len + 512 >= x->out->max) {
      return fail_limit(x, "the output passed %zu bytes (wctr's limit)", x->o.max_output);
    }
    return fail_oom(x);
  }
  return true;
}

static bool walk_range(exec *x, const val *dot, const node *n) {
  size_t mark = x->nvars;
  val v;
  if (!eval_pipeline(x, dot, n->pipe, &v)) return false;
  size_t ndecl = n->pipe->ndecl;
  bool assign = n->pipe->assign;
  /* The declared variables were pushed (or assigned) with the whole value; each iteration sets them. */
  var *key_var = NULL, *elem_var = NULL;
  if (ndecl == 1) elem_var = assign ? find_var(x, n->pipe->decl[0]) : &x->vars[x->nvars - 1];
  if (ndecl == 2) {
    key_var = assign ? find_var(x, n->pipe->decl[0]) : &x->vars[x->nvars - 2];
    elem_var = assign ? find_var(x, n->pipe->decl[1]) : &x->vars[x->nvars - 1];
  }
  size_t key_index = key_var != NULL ? (size_t)(key_var - x->vars) : 0;
  size_t elem_index = elem_var != NULL ? (size_t)(elem_var - x->vars) : 0;
  bool ok = true;
  size_t count = 0;
  const cJSON **members = NULL;
  int64_t ints = 0;
  if (v.k == V_JSON && cJSON_IsArray(v.j)) {
    count = (size_t)cJSON_GetArraySize(v.j);
  } else if (v.k == V_JSON) {
    members = sorted_members(v.j, &count);
    if (members == NULL) ok = fail_oom(x);
  } else if (v.k == V_INT) {
    if (ndecl == 2) ok = fail_at(x, n->pipe->pos, n->pipe->len, "can't use %" PRId64 " to iterate over more than one variable", v.i);
    ints = v.i > 0 ? v.i : 0;
    count = (size_t)ints;
  } else if (v.k != V_INVALID && v.k != V_NIL) {
    ok = fail_at(x, n->pipe->pos, n->pipe->len, "range can't iterate over %s", type_name(&v));
  }
  const cJSON *item = v.k == V_JSON && cJSON_IsArray(v.j) ? v.j->child : NULL;
  for (size_t i = 0; ok && i < count; i++) {
    val elem, key;
    if (members != NULL) {
      elem = from_json(members[i]);
      key = v_str(members[i]->string != NULL ? members[i]->string : "", members[i]->string != NULL ? strlen(members[i]->string) : 0);
    } else if (v.k == V_INT) {
      elem = v_int((int64_t)i);
      key = elem;
    } else {
      elem = from_json(item);
      key = v_int((int64_t)i);
      item = item->next;
    }
    if (elem_var != NULL) x->vars[elem_index].v = elem;
    if (key_var != NULL) x->vars[key_index].v = key;
    size_t iter_mark = x->nvars;
    ok = walk_list(x, &elem, n->list);
    x->nvars = iter_mark;
    if (x->flow == FLOW_BREAK) {
      x->flow = FLOW_NORMAL;
      break;
    }
    x->flow = FLOW_NORMAL;
  }
  if (ok && count == 0 && n->else_list != NULL) ok = walk_list(x, dot, n->else_list);
  free(members);
  x->nvars = mark;
  return ok;
}

static bool walk(exec *x, const val *dot, const node *n) {
  if (!step(x)) return false;
  switch (n->kind) {
    case N_TEXT:
      docker_buf_add(x->out, n->text, n->text_len);
      if (x->out->failed) return fail_limit(x, "the output passed %zu bytes (wctr's limit)", x->o.max_output);
      return true;
    case N_ACTION: {
      val v;
      if (!eval_pipeline(x, dot, n->pipe, &v)) return false;
      return n->pipe->ndecl > 0 || emit_val(x, &v);
    }
    case N_IF:
    case N_WITH: {
      size_t mark = x->nvars;
      val v;
      bool ok = eval_pipeline(x, dot, n->pipe, &v);
      if (ok && truth(&v)) {
        ok = walk_list(x, n->kind == N_WITH ? &v : dot, n->list);
      } else if (ok && n->else_list != NULL) {
        ok = walk_list(x, dot, n->else_list);
      }
      x->nvars = mark;
      return ok;
    }
    case N_RANGE: return walk_range(x, dot, n);
    case N_BREAK: x->flow = FLOW_BREAK; return true;
    case N_CONTINUE: x->flow = FLOW_CONTINUE; return true;
    case N_TEMPLATE: {
      const named *def = NULL;
      for (size_t i = 0; i < x->t->ndefs; i++) {
        if (strcmp(x->t->defs[i].name, n->name) == 0) def = &x->t->defs[i];
      }
      if (def == NULL) return fail_at(x, n->pos, strlen(n->name) + 9, "no such template \"%s\"", n->name);
      val newdot = v_invalid();
      if (n->pipe != NULL && !eval_pipeline(x, dot, n->pipe, &newdot)) return false;
      if (++x->calls > DOCKER_TPL_MAX_DEPTH) return fail_limit(x, "exceeded maximum template depth (%d)", DOCKER_TPL_MAX_DEPTH);
      /* A template runs with its own variables: $ is its dot. */
      var *saved = x->vars;
      size_t saved_n = x->nvars, saved_cap = x->vars_cap;
      const char *saved_name = x->tname;
      x->vars = NULL;
      x->nvars = 0;
      x->vars_cap = 0;
      x->tname = def->name;
      bool ok = push(x, "$", newdot) && walk_list(x, &newdot, def->body);
      free(x->vars);
      x->vars = saved;
      x->nvars = saved_n;
      x->vars_cap = saved_cap;
      if (ok) x->tname = saved_name;
      x->calls--;
      return ok;
    }
  }
  return false;
}

static bool walk_list(exec *x, const val *dot, const list *l) {
  if (++x->depth > DOCKER_TPL_MAX_DEPTH * 4) return fail_limit(x, "the template nests too deep");
  bool ok = true;
  for (size_t i = 0; ok && i < l->n && x->flow == FLOW_NORMAL; i++) ok = walk(x, dot, l->nodes[i]);
  x->depth--;
  return ok;
}

wctr_err docker_tpl_exec(const docker_tpl *t, const cJSON *json, const docker_tpl_object *object, const docker_tpl_opts *opts,
                      docker_buf *out, wctr_errmsg *e) {
  wctr_errmsg_clear(e);
  exec x = {.t = t, .out = out, .e = e, .tname = ""};
  if (opts != NULL) x.o = *opts;
  if (x.o.max_steps == 0) x.o.max_steps = DOCKER_TPL_DEFAULT_STEPS;
  if (x.o.max_output == 0) x.o.max_output = DOCKER_TPL_DEFAULT_OUTPUT;
  x.budget = x.o.max_output * 2;
  size_t saved_max = out->max;
  if (out->max == 0 || out->max > out->len + x.o.max_output) out->max = out->len + x.o.max_output;
  val dot = object != NULL ? (val){.k = V_OBJ, .o = object} : from_json(json);
  if (json == NULL && object == NULL) dot = v_invalid();
  bool ok = push(&x, "$", dot) && walk_list(&x, &dot, t->root);
  out->max = saved_max;
  if (out->failed && ok) ok = fail_oom(&x);
  for (size_t i = 0; i < x.nowned; i++) cJSON_Delete(x.owned[i]);
  free(x.owned);
  free(x.vars);
  arena_free(&x.mem);
  if (ok) return WCTR_OK;
  return e->code != WCTR_OK ? e->code : WCTR_EINVAL;
}
