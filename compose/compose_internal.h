/* compose/compose_internal.h - what the files of compose/ share (and white-box tests). Not a contract: the
 * contract is compose/compose.h (the loader, the model, render) and compose/to_spec.h. */
#ifndef WCTR_COMPOSE_COMPOSE_INTERNAL_H
#define WCTR_COMPOSE_COMPOSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose/compose.h"


/* Go's strconv.ParseInt/ParseUint(s, 0, 64) syntax on s (already without '_', as go-yaml strips them):
 * sign, then 0x/0X, 0o/0O, 0b/0B or a leading 0 (octal), then at least one digit. Sets *neg and the
 * magnitude; false on a bad or missing digit or a magnitude beyond uint64. */
bool cc_go_int(const char *s, bool *neg, uint64_t *magnitude);

/* String builder; on allocation failure it sets oom and ignores further writes. */
typedef struct cc_buf {
  char *p;
  size_t len, cap;
  bool oom;
} cc_buf;
void cc_buf_putn(cc_buf *b, const char *s, size_t n);
void cc_buf_puts(cc_buf *b, const char *s);
void cc_buf_putc(cc_buf *b, char c);
void cc_buf_printf(cc_buf *b, const char *fmt, ...) WCTR_PRINTF(2, 3);
/* The text (malloc'd, NUL-terminated) and an empty builder; NULL when out of memory. */
char *cc_buf_take(cc_buf *b);
void cc_buf_free(cc_buf *b);

char *cc_strdup(const char *s);
char *cc_strndup(const char *s, size_t n);

/* A value quoted for a message: "..." with \" and \xNN for control bytes, cut after 64 bytes with "...". */
#define CC_QUOTE_SIZE 280
const char *cc_quote(char *buf, size_t size, const char *s);

/* Path in the document, "services.web.volumes[0]", built while walking. */
typedef struct cc_path {
  char text[400];
  size_t len;
} cc_path;
size_t cc_path_key(cc_path *p, const char *key);
size_t cc_path_index(cc_path *p, size_t index);
void cc_path_pop(cc_path *p, size_t mark);

/* Warnings: appended once each (duplicates dropped); w may be NULL. */
void cc_warn(compose_warnings *w, const char *fmt, ...) WCTR_PRINTF(2, 3);

/* ---- YAML node tree (yaml.c) ---- */
typedef enum cy_kind { CY_SCALAR = 1, CY_MAP, CY_SEQ } cy_kind;
typedef enum cy_type { CY_STR = 1, CY_NULL, CY_BOOL, CY_INT, CY_FLOAT } cy_type;
enum { CY_TAG_RESET = 1u, CY_TAG_OVERRIDE = 2u };

typedef struct cy_node cy_node;
typedef struct cy_pair {
  char *key;
  cy_node *value;
  unsigned line; /* of the key, 1-based */
} cy_pair;

struct cy_node {
  cy_kind kind;
  cy_type type;  /* scalars */
  unsigned tags; /* CY_TAG_* */
  char *text;    /* scalars: the text, NUL-terminated, no NUL inside */
  bool boolean;  /* CY_BOOL: the value */
  size_t count;  /* map pairs or sequence items */
  size_t cap;
  cy_pair *pairs;   /* CY_MAP */
  cy_node **items;  /* CY_SEQ */
  const char *file; /* where the node was written (the name as given); not owned */
  unsigned line, column;
};

/* Counts nodes and text across one load, so that alias expansion stays bounded. */
typedef struct cy_budget {
  size_t nodes;
  size_t text;
  bool exceeded; /* set when a charge was refused: the failure is the budget's, not the allocator's */
} cy_budget;

/* Parses len bytes into documents (each a root node; an empty document is a null scalar). file names the
 * input in messages and in every node (it must outlive the nodes). */
wctr_err cy_parse(const char *file, const char *data, size_t len, cy_budget *budget, cy_node ***docs,
                  size_t *doc_count, wctr_errmsg *e);
void cy_free(cy_node *n);
cy_node *cy_copy(const cy_node *n, cy_budget *budget); /* NULL when out of memory or over budget */
cy_node *cy_new(cy_kind kind, const char *file, unsigned line, unsigned column);
cy_node *cy_new_scalar(cy_type type, const char *text, const char *file, unsigned line, unsigned column);
bool cy_map_add(cy_node *map, char *key, cy_node *value, unsigned line); /* takes key and value */
bool cy_seq_add(cy_node *seq, cy_node *item);                            /* takes item */
cy_pair *cy_map_get(const cy_node *map, const char *key);
void cy_map_remove(cy_node *map, size_t index);
/* How a plain scalar resolves (YAML 1.2 core schema as go-yaml v3); *boolean for CY_BOOL. */
cy_type cy_resolve_plain(const char *text, bool *boolean);
/* "a string", "a number", "a boolean", "null", "a mapping", "a list". */
const char *cy_describe(const cy_node *n);

/* ---- Text helpers (text.c) ---- */

/* Where variables come from: the process (callback), then a list of KEY=VALUE pairs (.env), then a
 * second list (the earlier keys of the env file being read). */
typedef struct cc_kv {
  char *key;
  char *value;
} cc_kv;
typedef struct cc_kvlist {
  cc_kv *items;
  size_t count, cap;
} cc_kvlist;
bool cc_kvlist_set(cc_kvlist *l, const char *key, const char *value); /* replaces; false: out of memory */
const cc_kv *cc_kvlist_get(const cc_kvlist *l, const char *key);
void cc_kvlist_free(cc_kvlist *l);

typedef struct cc_env {
  compose_env_fn lookup;
  void *ctx;
  const cc_kvlist *dotenv; /* may be NULL */
  const cc_kvlist *local;  /* may be NULL */
} cc_env;
const char *cc_env_get(const cc_env *env, const char *name);

/* Interpolates in (see INTERPOLATION). On success *out is malloc'd. On failure, msg holds the sentence
 * without a location (e.g. `invalid interpolation format "${A" (unterminated "${"; ...)`), and the
 * return is WCTR_EINVAL (or WCTR_ENOMEM). shown, when not NULL, replaces the quoted value in messages
 * ("invalid interpolation format in the value of PW (...)"), for text that may be secret. Unset-variable
 * warnings go to w. */
wctr_err cc_interpolate(const char *in, const char *shown, const cc_env *env, compose_warnings *w, char **out,
                        char *msg, size_t msg_size);

/* Parses an env file (see ENV FILES). name is used in messages ("NAME:LINE: ..."). Keys appear once,
 * in first-seen order, later values replacing earlier ones; a "KEY" line whose variable is not set is
 * left out. */
wctr_err cc_dotenv_parse(const char *name, const char *data, size_t len, const cc_env *env,
                         compose_warnings *w, cc_kvlist *out, wctr_errmsg *e);

/* True when the n bytes at s are well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
bool cc_utf8_valid(const char *s, size_t n);

/* Paths, Windows and POSIX spelled: absolute means "/x", "\x", "C:\x", "C:/x", "C:" or "\\server". */
bool cc_path_is_abs(const char *p);
/* dir joined with rel (rel absolute: rel itself), "." and ".." resolved, separators made dir's ('\' when
 * dir has a '\' or a drive, else '/'). NULL when out of memory. */
char *cc_path_join(const char *dir, const char *rel);
/* Everything before the last separator (the root itself for "C:\x" or "/x"). */
char *cc_path_dir(const char *p);
/* The last component (empty for a root). */
const char *cc_path_base(const char *p, size_t *len);

/* compose's NormalizeProjectName. */
char *cc_normalize_project_name(const char *s);

/* Go's time.ParseDuration (without negative values) and Duration.String. */
bool cc_parse_duration(const char *s, int64_t *ns, char *msg, size_t msg_size);
void cc_format_duration(int64_t ns, char *buf, size_t size);

/* ---- Merging (merge.c) ---- */
/* Merges document `over` into `base` (a mapping, the project so far; starts empty). over is consumed. */
wctr_err cc_merge_document(cy_node *base, cy_node *over, wctr_errmsg *e);
/* The key a volumes/secrets/configs entry is merged by (its target); NULL when it has none. */
char *cc_volume_key(const cy_node *item);
char *cc_grant_key(const cy_node *item);
/* Short volume syntax split (see VALUES). On failure msg says why. */
typedef struct cc_volume_spec {
  char *source, *target, *mode; /* mode may be NULL */
} cc_volume_spec;
bool cc_split_volume(const char *spec, cc_volume_spec *out, char *msg, size_t msg_size);
void cc_volume_spec_free(cc_volume_spec *v);


#endif
