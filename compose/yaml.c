/* compose/yaml.c - compose files as a tree of nodes: libyaml's events, anchors and aliases expanded,
 * merge keys applied, plain scalars resolved as compose v2 resolves them (see compose/compose.h, YAML). */
#include "compose/compose_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#define TAG_PREFIX "tag:yaml.org,2002:"

/* ---- Nodes ------------------------------------------------------------------------------------------ */

cy_node *cy_new(cy_kind kind, const char *file, unsigned line, unsigned column) {
  cy_node *n = calloc(1, sizeof *n);
  if (n == NULL) return NULL;
  n->kind = kind;
  n->file = file;
  n->line = line;
  n->column = column;
  return n;
}

cy_node *cy_new_scalar(cy_type type, const char *text, const char *file, unsigned line, unsigned column) {
  cy_node *n = cy_new(CY_SCALAR, file, line, column);
  if (n == NULL) return NULL;
  n->type = type;
  n->text = cc_strdup(text);
  if (n->text == NULL) {
    free(n);
    return NULL;
  }
  return n;
}

void cy_free(cy_node *n) {
  if (n == NULL) return;
  free(n->text);
  for (size_t i = 0; i < n->count; i++) {
    if (n->kind == CY_MAP) {
      free(n->pairs[i].key);
      cy_free(n->pairs[i].value);
    } else if (n->kind == CY_SEQ) {
      cy_free(n->items[i]);
    }
  }
  free(n->pairs);
  free(n->items);
  free(n);
}

static bool grow(cy_node *n) {
  if (n->count < n->cap) return true;
  size_t cap = n->cap == 0 ? 4 : n->cap * 2;
  if (n->kind == CY_MAP) {
    cy_pair *p = realloc(n->pairs, cap * sizeof *p);
    if (p == NULL) return false;
    n->pairs = p;
  } else {
    cy_node **p = realloc(n->items, cap * sizeof *p);
    if (p == NULL) return false;
    n->items = p;
  }
  n->cap = cap;
  return true;
}

bool cy_map_add(cy_node *map, char *key, cy_node *value, unsigned line) {
  if (!grow(map)) {
    free(key);
    cy_free(value);
    return false;
  }
  map->pairs[map->count].key = key;
  map->pairs[map->count].value = value;
  map->pairs[map->count].line = line;
  map->count++;
  return true;
}

bool cy_seq_add(cy_node *seq, cy_node *item) {
  if (!grow(seq)) {
    cy_free(item);
    return false;
  }
  seq->items[seq->count++] = item;
  return true;
}

cy_pair *cy_map_get(const cy_node *map, const char *key) {
  if (map == NULL || map->kind != CY_MAP) return NULL;
  for (size_t i = 0; i < map->count; i++) {
    if (strcmp(map->pairs[i].key, key) == 0) return &map->pairs[i];
  }
  return NULL;
}

void cy_map_remove(cy_node *map, size_t index) {
  free(map->pairs[index].key);
  cy_free(map->pairs[index].value);
  memmove(&map->pairs[index], &map->pairs[index + 1], (map->count - index - 1) * sizeof map->pairs[0]);
  map->count--;
}

static bool charge(cy_budget *b, size_t text) {
  if (b == NULL) return true;
  if (b->nodes >= COMPOSE_MAX_NODES || text > COMPOSE_MAX_TEXT - b->text) {
    b->exceeded = true;
    return false;
  }
  b->nodes++;
  b->text += text;
  return true;
}

cy_node *cy_copy(const cy_node *n, cy_budget *budget) {
  if (!charge(budget, n->text != NULL ? strlen(n->text) : 0)) return NULL;
  cy_node *c = cy_new(n->kind, n->file, n->line, n->column);
  if (c == NULL) return NULL;
  c->type = n->type;
  c->tags = n->tags;
  c->boolean = n->boolean;
  if (n->text != NULL) {
    c->text = cc_strdup(n->text);
    if (c->text == NULL) goto fail;
  }
  for (size_t i = 0; i < n->count; i++) {
    if (n->kind == CY_MAP) {
      if (!charge(budget, strlen(n->pairs[i].key))) goto fail;
      char *key = cc_strdup(n->pairs[i].key);
      cy_node *value = key != NULL ? cy_copy(n->pairs[i].value, budget) : NULL;
      if (value == NULL) {
        free(key);
        goto fail;
      }
      if (!cy_map_add(c, key, value, n->pairs[i].line)) goto fail;
    } else {
      cy_node *item = cy_copy(n->items[i], budget);
      if (item == NULL || !cy_seq_add(c, item)) goto fail;
    }
  }
  return c;
fail:
  cy_free(c);
  return NULL;
}

const char *cy_describe(const cy_node *n) {
  if (n->kind == CY_MAP) return "a mapping";
  if (n->kind == CY_SEQ) return "a list";
  switch (n->type) {
    case CY_NULL: return "null";
    case CY_BOOL: return "a boolean";
    case CY_INT:
    case CY_FLOAT: return "a number";
    case CY_STR: break;
  }
  return "a string";
}

/* ---- Plain scalars ---------------------------------------------------------------------------------- */

/* Go's strconv.ParseInt(s, 0, 64) or ParseUint(s, 0, 64) succeeding, on s without '_'. */
static bool go_int(const char *s) {
  bool neg = false;
  uint64_t v = 0;
  if (!cc_go_int(s, &neg, &v)) return false;
  return neg ? v <= (uint64_t)INT64_MAX + 1u : true;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_float(const char *s) {
  if (*s == '+' || *s == '-') s++;
  if (*s == '.') {
    s++;
    if (!(*s >= '0' && *s <= '9')) return false;
    while (*s >= '0' && *s <= '9') s++;
  } else {
    if (!(*s >= '0' && *s <= '9')) return false;
    while (*s >= '0' && *s <= '9') s++;
    if (*s == '.') {
      s++;
      while (*s >= '0' && *s <= '9') s++;
    }
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-') s++;
    if (!(*s >= '0' && *s <= '9')) return false;
    while (*s >= '0' && *s <= '9') s++;
  }
  return *s == '\0';
}

cy_type cy_resolve_plain(const char *text, bool *boolean) {
  static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
  static const char *const trues[] = {"true", "True", "TRUE"};
  static const char *const falses[] = {"false", "False", "FALSE"};
  static const char *const floats[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf", "+.INF",
                                       "-.inf", "-.Inf", "-.INF", ".nan",  ".NaN",  ".NAN"};
  for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
    if (strcmp(text, nulls[i]) == 0) return CY_NULL;
  }
  for (size_t i = 0; i < 3; i++) {
    if (strcmp(text, trues[i]) == 0) {
      if (boolean != NULL) *boolean = true;
      return CY_BOOL;
    }
    if (strcmp(text, falses[i]) == 0) {
      if (boolean != NULL) *boolean = false;
      return CY_BOOL;
    }
  }
  for (size_t i = 0; i < sizeof floats / sizeof floats[0]; i++) {
    if (strcmp(text, floats[i]) == 0) return CY_FLOAT;
  }
  char c = text[0];
  if (c == '.') return yaml_float(text) ? CY_FLOAT : CY_STR;
  if (!(c == '+' || c == '-' || (c >= '0' && c <= '9'))) return CY_STR;
  /* go-yaml drops every '_' before trying the number parsers. */
  size_t n = strlen(text);
  char small[64];
  char *plain = n < sizeof small ? small : malloc(n + 1);
  if (plain == NULL) return CY_STR;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (text[i] != '_') plain[k++] = text[i];
  }
  plain[k] = '\0';
  cy_type t = go_int(plain) ? CY_INT : yaml_float(plain) ? CY_FLOAT : CY_STR;
  if (plain != small) free(plain);
  return t;
}

/* ---- The parser ------------------------------------------------------------------------------------- */

/* The keys of a mapping being parsed, hashed, so that duplicate checks and merges stay linear. slots hold
 * a pair index + 1 (0 is empty); cap is a power of two, at most half full. */
typedef struct keyset {
  size_t *slots;
  size_t cap;
} keyset;

static size_t key_hash(const char *s) {
  uint64_t h = 14695981039346656037u; /* FNV-1a */
  for (; *s != '\0'; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return (size_t)h;
}

/* The index of key in map, or SIZE_MAX. */
static size_t keyset_find(const keyset *ks, const cy_node *map, const char *key) {
  if (ks->cap == 0) return SIZE_MAX;
  for (size_t i = key_hash(key) & (ks->cap - 1);; i = (i + 1) & (ks->cap - 1)) {
    if (ks->slots[i] == 0) return SIZE_MAX;
    if (strcmp(map->pairs[ks->slots[i] - 1].key, key) == 0) return ks->slots[i] - 1;
  }
}

static void keyset_put(keyset *ks, const cy_node *map, size_t index) {
  size_t i = key_hash(map->pairs[index].key) & (ks->cap - 1);
  while (ks->slots[i] != 0) i = (i + 1) & (ks->cap - 1);
  ks->slots[i] = index + 1;
}

/* Indexes pair `index` of map (called right after it was added); false when out of memory. */
static bool keyset_add(keyset *ks, const cy_node *map, size_t index) {
  if ((index + 1) * 2 > ks->cap) {
    size_t cap = ks->cap == 0 ? 16 : ks->cap * 2;
    size_t *slots = calloc(cap, sizeof *slots);
    if (slots == NULL) return false;
    free(ks->slots);
    ks->slots = slots;
    ks->cap = cap;
    for (size_t k = 0; k < index; k++) keyset_put(ks, map, k);
  }
  keyset_put(ks, map, index);
  return true;
}

typedef struct frame {
  cy_node *node;
  keyset keys;
  char *anchor; /* of this collection, registered when it ends */
  bool has_key; /* a mapping: a key is waiting for its value */
  char *key;
  bool key_is_merge; /* the waiting key is a plain << */
  unsigned key_line, key_column;
  cy_node **merges; /* mappings from << values, in order */
  size_t merge_count, merge_cap;
  unsigned merge_line; /* of the mapping's << key, once there is one */
} frame;

typedef struct anchor {
  char *name;
  cy_node *node; /* a private copy: the tree's own node may be moved or freed by a merge */
} anchor;

typedef struct pstate {
  const char *file;
  cy_budget *budget;
  wctr_errmsg *e;
  frame stack[COMPOSE_MAX_DEPTH + 1];
  size_t depth;
  anchor *anchors;
  size_t anchor_count, anchor_cap;
  cy_node *root;
  cy_node **docs;
  size_t doc_count, doc_cap;
} pstate;

static wctr_err at(pstate *s, unsigned line, unsigned column, wctr_err code, const char *fmt, ...)
    WCTR_PRINTF(5, 6);

static wctr_err at(pstate *s, unsigned line, unsigned column, wctr_err code, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return wctr_fail(s->e, code, "%s: line %u, column %u: %s", s->file, line, column, msg);
}

static wctr_err oom(pstate *s) { return wctr_fail(s->e, WCTR_ENOMEM, "%s: out of memory", s->file); }

static wctr_err too_big(pstate *s) {
  return wctr_fail(s->e, WCTR_ETOOBIG,
                   "%s: the document is too large once its aliases are expanded (more than %u nodes or %u "
                   "bytes of text)",
                   s->file, COMPOSE_MAX_NODES, COMPOSE_MAX_TEXT);
}

static void free_anchors(pstate *s) {
  for (size_t i = 0; i < s->anchor_count; i++) {
    free(s->anchors[i].name);
    cy_free(s->anchors[i].node);
  }
  free(s->anchors);
  s->anchors = NULL;
  s->anchor_count = s->anchor_cap = 0;
}

static void free_frame(frame *f) {
  cy_free(f->node);
  free(f->keys.slots);
  free(f->anchor);
  free(f->key);
  for (size_t i = 0; i < f->merge_count; i++) cy_free(f->merges[i]);
  free(f->merges);
  memset(f, 0, sizeof *f);
}

/* Anchors may be redefined; the latest definition is the one an alias names (YAML 1.2). */
static wctr_err add_anchor(pstate *s, const char *name, const cy_node *node) {
  cy_node *copy = cy_copy(node, s->budget);
  if (copy == NULL) return s->budget->exceeded ? too_big(s) : oom(s);
  for (size_t i = 0; i < s->anchor_count; i++) {
    if (strcmp(s->anchors[i].name, name) == 0) {
      cy_free(s->anchors[i].node);
      s->anchors[i].node = copy;
      return WCTR_OK;
    }
  }
  if (s->anchor_count == s->anchor_cap) {
    size_t cap = s->anchor_cap == 0 ? 8 : s->anchor_cap * 2;
    anchor *a = realloc(s->anchors, cap * sizeof *a);
    if (a == NULL) {
      cy_free(copy);
      return oom(s);
    }
    s->anchors = a;
    s->anchor_cap = cap;
  }
  char *dup = cc_strdup(name);
  if (dup == NULL) {
    cy_free(copy);
    return oom(s);
  }
  s->anchors[s->anchor_count].name = dup;
  s->anchors[s->anchor_count].node = copy;
  s->anchor_count++;
  return WCTR_OK;
}

static const cy_node *find_anchor(const pstate *s, const char *name) {
  for (size_t i = 0; i < s->anchor_count; i++) {
    if (strcmp(s->anchors[i].name, name) == 0) return s->anchors[i].node;
  }
  return NULL;
}

/* A copy charged to the budget, with a message when it fails. */
static wctr_err copy_of(pstate *s, const cy_node *n, cy_node **out) {
  *out = cy_copy(n, s->budget);
  if (*out != NULL) return WCTR_OK;
  return s->budget->exceeded ? too_big(s) : oom(s);
}

static wctr_err add_merge_source(pstate *s, frame *f, cy_node *value) {
  if (value->kind == CY_SEQ) {
    for (size_t i = 0; i < value->count; i++) {
      if (value->items[i]->kind != CY_MAP) {
        wctr_err err = at(s, value->items[i]->line, value->items[i]->column, WCTR_EINVAL,
                          "a merge key (<<) takes a mapping or a list of mappings, and this list holds %s",
                          cy_describe(value->items[i]));
        cy_free(value);
        return err;
      }
    }
  } else if (value->kind != CY_MAP) {
    wctr_err err = at(s, value->line, value->column, WCTR_EINVAL,
                      "a merge key (<<) takes a mapping or a list of mappings, not %s", cy_describe(value));
    cy_free(value);
    return err;
  }
  if (f->merge_count == f->merge_cap) {
    size_t cap = f->merge_cap == 0 ? 2 : f->merge_cap * 2;
    cy_node **m = realloc(f->merges, cap * sizeof *m);
    if (m == NULL) {
      cy_free(value);
      return oom(s);
    }
    f->merges = m;
    f->merge_cap = cap;
  }
  f->merges[f->merge_count++] = value;
  return WCTR_OK;
}

/* Puts a finished node where it belongs: the document root, a list item, or a mapping value. Takes n. */
static wctr_err attach(pstate *s, cy_node *n) {
  if (s->depth == 0) {
    if (n->tags != 0) {
      unsigned line = n->line, column = n->column;
      cy_free(n);
      return at(s, line, column, WCTR_EINVAL, "!reset and !override are only allowed on a mapping's value");
    }
    s->root = n;
    return WCTR_OK;
  }
  frame *f = &s->stack[s->depth - 1];
  if (f->node->kind == CY_SEQ) {
    if (n->tags != 0) {
      unsigned line = n->line, column = n->column;
      cy_free(n);
      return at(s, line, column, WCTR_EINVAL, "!reset and !override are only allowed on a mapping's value");
    }
    return cy_seq_add(f->node, n) ? WCTR_OK : oom(s);
  }
  if (!f->has_key) {
    /* n is a key. Compose keys are strings: a mapping or a list as a key has no meaning here. */
    if (n->kind != CY_SCALAR) {
      unsigned line = n->line, column = n->column;
      cy_free(n);
      return at(s, line, column, WCTR_EINVAL, "a mapping key must be a scalar, not a mapping or a list");
    }
    if (n->tags != 0) {
      unsigned line = n->line, column = n->column;
      cy_free(n);
      return at(s, line, column, WCTR_EINVAL, "!reset and !override are only allowed on a mapping's value");
    }
    f->has_key = true;
    f->key = n->text;
    n->text = NULL;
    f->key_line = n->line;
    f->key_column = n->column;
    cy_free(n);
    return WCTR_OK;
  }
  f->has_key = false;
  char *key = f->key;
  f->key = NULL;
  if (f->key_is_merge) {
    f->key_is_merge = false;
    free(key);
    /* Like any key, << once per mapping: docker-compose 1.29.2 keeps the last of two, compose v2 refuses
     * them, and a silent choice would hide one of the mappings. Several go in one list. */
    if (f->merge_line != 0) {
      wctr_err err = at(s, f->key_line, f->key_column, WCTR_EINVAL,
                        "mapping key \"<<\" already defined at line %u (merge several mappings with "
                        "<<: [*a, *b])",
                        f->merge_line);
      cy_free(n);
      return err;
    }
    f->merge_line = f->key_line;
    if (n->tags != 0) {
      unsigned line = n->line, column = n->column;
      cy_free(n);
      return at(s, line, column, WCTR_EINVAL, "!reset and !override are not allowed on a merge key (<<)");
    }
    return add_merge_source(s, f, n);
  }
  if (f->node->count >= COMPOSE_MAX_KEYS) {
    free(key);
    cy_free(n);
    return at(s, f->key_line, f->key_column, WCTR_ETOOBIG, "a mapping with more than %u keys",
              COMPOSE_MAX_KEYS);
  }
  size_t dup = keyset_find(&f->keys, f->node, key);
  if (dup != SIZE_MAX) {
    char q[CC_QUOTE_SIZE];
    wctr_err err = at(s, f->key_line, f->key_column, WCTR_EINVAL, "mapping key %s already defined at line %u",
                      cc_quote(q, sizeof q, key), f->node->pairs[dup].line);
    free(key);
    cy_free(n);
    return err;
  }
  if (!cy_map_add(f->node, key, n, f->key_line)) return oom(s);
  return keyset_add(&f->keys, f->node, f->node->count - 1) ? WCTR_OK : oom(s);
}

/* The YAML merge: keys written in the mapping win; among merged mappings, the earlier one wins. */
static wctr_err apply_merges(pstate *s, frame *f) {
  for (size_t m = 0; m < f->merge_count; m++) {
    cy_node *src = f->merges[m];
    size_t maps = src->kind == CY_SEQ ? src->count : 1;
    for (size_t k = 0; k < maps; k++) {
      cy_node *map = src->kind == CY_SEQ ? src->items[k] : src;
      for (size_t i = 0; i < map->count; i++) {
        if (keyset_find(&f->keys, f->node, map->pairs[i].key) != SIZE_MAX) continue;
        if (f->node->count >= COMPOSE_MAX_KEYS) {
          return at(s, f->node->line, f->node->column, WCTR_ETOOBIG, "a mapping with more than %u keys",
                    COMPOSE_MAX_KEYS);
        }
        if (!cy_map_add(f->node, map->pairs[i].key, map->pairs[i].value, map->pairs[i].line)) {
          map->pairs[i].key = NULL;
          map->pairs[i].value = NULL;
          return oom(s);
        }
        map->pairs[i].key = NULL;
        map->pairs[i].value = NULL;
        if (!keyset_add(&f->keys, f->node, f->node->count - 1)) return oom(s);
      }
    }
  }
  return WCTR_OK;
}

static bool has_nul(const char *p, size_t n) { return n > 0 && memchr(p, '\0', n) != NULL; }

/* The tag of a node: sets *type for scalars (resolving plain ones) and the !reset/!override flags. */
static wctr_err read_tag(pstate *s, const yaml_event_t *ev, cy_node *n, bool plain) {
  const char *tag = NULL;
  if (ev->type == YAML_SCALAR_EVENT) tag = (const char *)ev->data.scalar.tag;
  if (ev->type == YAML_MAPPING_START_EVENT) tag = (const char *)ev->data.mapping_start.tag;
  if (ev->type == YAML_SEQUENCE_START_EVENT) tag = (const char *)ev->data.sequence_start.tag;
  unsigned line = n->line, column = n->column;
  bool resolve = n->kind == CY_SCALAR && plain;
  if (tag != NULL && strcmp(tag, "!") != 0) {
    if (strcmp(tag, "!reset") == 0) {
      n->tags |= CY_TAG_RESET;
    } else if (strcmp(tag, "!override") == 0) {
      n->tags |= CY_TAG_OVERRIDE;
    } else if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
      const char *t = tag + strlen(TAG_PREFIX);
      if (n->kind == CY_MAP || n->kind == CY_SEQ) {
        if (strcmp(t, n->kind == CY_MAP ? "map" : "seq") != 0) {
          return at(s, line, column, WCTR_EINVAL, "the tag !!%s does not fit %s", t, cy_describe(n));
        }
        return WCTR_OK;
      }
      resolve = false;
      bool b = false;
      cy_type r = cy_resolve_plain(n->text, &b);
      if (strcmp(t, "str") == 0) {
        n->type = CY_STR;
      } else if (strcmp(t, "int") == 0 && r == CY_INT) {
        n->type = CY_INT;
      } else if (strcmp(t, "float") == 0 && (r == CY_INT || r == CY_FLOAT)) {
        n->type = CY_FLOAT;
      } else if (strcmp(t, "bool") == 0 && r == CY_BOOL) {
        n->type = CY_BOOL;
        n->boolean = b;
      } else if (strcmp(t, "null") == 0 && r == CY_NULL) {
        n->type = CY_NULL;
      } else if (strcmp(t, "str") == 0 || strcmp(t, "int") == 0 || strcmp(t, "float") == 0 ||
                 strcmp(t, "bool") == 0 || strcmp(t, "null") == 0) {
        char q[CC_QUOTE_SIZE];
        return at(s, line, column, WCTR_EINVAL, "%s cannot be read as !!%s", cc_quote(q, sizeof q, n->text), t);
      } else {
        return at(s, line, column, WCTR_EINVAL, "the YAML tag !!%s is not supported", t);
      }
    } else {
      char q[CC_QUOTE_SIZE];
      return at(s, line, column, WCTR_EINVAL,
                "the YAML tag %s is not supported (compose's !reset and !override are)",
                cc_quote(q, sizeof q, tag));
    }
  }
  if (n->kind == CY_SCALAR) {
    if (resolve) {
      bool b = false;
      n->type = cy_resolve_plain(n->text, &b);
      n->boolean = b;
    } else if (n->type == 0) {
      n->type = CY_STR;
    }
  }
  return WCTR_OK;
}

static wctr_err on_scalar(pstate *s, const yaml_event_t *ev) {
  unsigned line = (unsigned)ev->start_mark.line + 1, column = (unsigned)ev->start_mark.column + 1;
  const char *value = (const char *)ev->data.scalar.value;
  size_t len = ev->data.scalar.length;
  if (has_nul(value, len)) return at(s, line, column, WCTR_EINVAL, "a string holds a NUL character");
  if (!charge(s->budget, len)) return too_big(s);
  cy_node *n = cy_new(CY_SCALAR, s->file, line, column);
  if (n == NULL) return oom(s);
  n->text = cc_strndup(value, len);
  if (n->text == NULL) {
    cy_free(n);
    return oom(s);
  }
  bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
  wctr_err err = read_tag(s, ev, n, plain);
  if (err != WCTR_OK) {
    cy_free(n);
    return err;
  }
  const char *anchor_name = (const char *)ev->data.scalar.anchor;
  if (anchor_name != NULL) {
    err = add_anchor(s, anchor_name, n);
    if (err != WCTR_OK) {
      cy_free(n);
      return err;
    }
  }
  /* A plain, untagged << in key position is YAML's merge key. */
  bool merge = plain && ev->data.scalar.tag == NULL && strcmp(n->text, "<<") == 0;
  frame *f = s->depth > 0 ? &s->stack[s->depth - 1] : NULL;
  bool is_key = f != NULL && f->node->kind == CY_MAP && !f->has_key;
  err = attach(s, n);
  if (err == WCTR_OK && is_key && merge) f->key_is_merge = true;
  return err;
}

static wctr_err on_alias(pstate *s, const yaml_event_t *ev) {
  unsigned line = (unsigned)ev->start_mark.line + 1, column = (unsigned)ev->start_mark.column + 1;
  const char *name = (const char *)ev->data.alias.anchor;
  const cy_node *target = find_anchor(s, name);
  if (target == NULL) {
    char q[CC_QUOTE_SIZE];
    return at(s, line, column, WCTR_EINVAL, "unknown anchor %s referenced", cc_quote(q, sizeof q, name));
  }
  cy_node *n;
  wctr_err err = copy_of(s, target, &n);
  if (err != WCTR_OK) return err;
  n->line = line;
  n->column = column;
  return attach(s, n);
}

static wctr_err on_start(pstate *s, const yaml_event_t *ev, cy_kind kind) {
  unsigned line = (unsigned)ev->start_mark.line + 1, column = (unsigned)ev->start_mark.column + 1;
  if (s->depth >= COMPOSE_MAX_DEPTH) {
    return at(s, line, column, WCTR_ETOOBIG, "nested more than %d levels deep", COMPOSE_MAX_DEPTH);
  }
  if (s->depth > 0) {
    frame *p = &s->stack[s->depth - 1];
    if (p->node->kind == CY_MAP && !p->has_key) {
      return at(s, line, column, WCTR_EINVAL, "a mapping key must be a scalar, not a mapping or a list");
    }
  }
  if (!charge(s->budget, 0)) return too_big(s);
  cy_node *n = cy_new(kind, s->file, line, column);
  if (n == NULL) return oom(s);
  wctr_err err = read_tag(s, ev, n, false);
  if (err != WCTR_OK) {
    cy_free(n);
    return err;
  }
  const char *anchor_name =
      kind == CY_MAP ? (const char *)ev->data.mapping_start.anchor : (const char *)ev->data.sequence_start.anchor;
  frame *f = &s->stack[s->depth++];
  memset(f, 0, sizeof *f);
  f->node = n;
  if (anchor_name != NULL) {
    f->anchor = cc_strdup(anchor_name);
    if (f->anchor == NULL) return oom(s);
  }
  return WCTR_OK;
}

static wctr_err on_end(pstate *s) {
  frame *f = &s->stack[s->depth - 1];
  wctr_err err = WCTR_OK;
  if (f->node->kind == CY_MAP) err = apply_merges(s, f);
  if (err == WCTR_OK && f->anchor != NULL) err = add_anchor(s, f->anchor, f->node);
  if (err != WCTR_OK) return err;
  cy_node *n = f->node;
  f->node = NULL;
  free_frame(f);
  s->depth--;
  return attach(s, n);
}

static wctr_err end_document(pstate *s) {
  cy_node *root = s->root;
  s->root = NULL;
  if (root == NULL) {
    root = cy_new_scalar(CY_NULL, "", s->file, 1, 1);
    if (root == NULL) return oom(s);
  }
  if (s->doc_count == s->doc_cap) {
    size_t cap = s->doc_cap == 0 ? 2 : s->doc_cap * 2;
    cy_node **d = realloc(s->docs, cap * sizeof *d);
    if (d == NULL) {
      cy_free(root);
      return oom(s);
    }
    s->docs = d;
    s->doc_cap = cap;
  }
  s->docs[s->doc_count++] = root;
  /* Anchors belong to one document. */
  free_anchors(s);
  return WCTR_OK;
}

static wctr_err parser_error(pstate *s, const yaml_parser_t *p) {
  const char *problem = p->problem != NULL ? p->problem : "cannot parse the YAML";
  if (p->error == YAML_MEMORY_ERROR) return oom(s);
  if (p->error == YAML_READER_ERROR) {
    return wctr_fail(s->e, WCTR_EINVAL, "%s: byte %zu: %s", s->file, p->problem_offset, problem);
  }
  unsigned line = (unsigned)p->problem_mark.line + 1, column = (unsigned)p->problem_mark.column + 1;
  if (p->context != NULL) {
    return at(s, line, column, WCTR_EINVAL, "%s (%s at line %u)", problem, p->context,
              (unsigned)p->context_mark.line + 1);
  }
  return at(s, line, column, WCTR_EINVAL, "%s", problem);
}

wctr_err cy_parse(const char *file, const char *data, size_t len, cy_budget *budget, cy_node ***docs,
                  size_t *doc_count, wctr_errmsg *e) {
  *docs = NULL;
  *doc_count = 0;
  pstate s;
  memset(&s, 0, sizeof s);
  s.file = file;
  s.budget = budget;
  s.e = e;
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return oom(&s);
  yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
  wctr_err err = WCTR_OK;
  bool done = false;
  while (!done && err == WCTR_OK) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      err = parser_error(&s, &parser);
      break;
    }
    switch (ev.type) {
      case YAML_STREAM_END_EVENT: done = true; break;
      case YAML_DOCUMENT_END_EVENT: err = end_document(&s); break;
      case YAML_SCALAR_EVENT: err = on_scalar(&s, &ev); break;
      case YAML_ALIAS_EVENT: err = on_alias(&s, &ev); break;
      case YAML_MAPPING_START_EVENT: err = on_start(&s, &ev, CY_MAP); break;
      case YAML_SEQUENCE_START_EVENT: err = on_start(&s, &ev, CY_SEQ); break;
      case YAML_MAPPING_END_EVENT:
      case YAML_SEQUENCE_END_EVENT: err = on_end(&s); break;
      default: break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  while (s.depth > 0) free_frame(&s.stack[--s.depth]);
  cy_free(s.root);
  free_anchors(&s);
  if (err != WCTR_OK) {
    for (size_t i = 0; i < s.doc_count; i++) cy_free(s.docs[i]);
    free(s.docs);
    return err;
  }
  *docs = s.docs;
  *doc_count = s.doc_count;
  return WCTR_OK;
}
