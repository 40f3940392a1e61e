/* compose/merge.c - merging compose documents (several -f files, several documents in one file) with
 * compose's rules for the keys wctr supports. The rules are listed in compose/compose.h (MERGING). Every
 * document has been checked on its own before it is merged, so shapes here are the valid ones. */
#include "compose/compose_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum mctx {
  M_TOP,      /* the document */
  M_SERVICES, /* services: each value is a service */
  M_NAMED,    /* secrets: / configs: / networks: at the top level */
  M_NETWORK,  /* one top-level network */
  M_IPAM,     /* a network's ipam */
  M_SERVICE,  /* one service */
  M_ENV,      /* environment or labels as a map: every value replaces, null too */
  M_DEPS,     /* depends_on as a map: service names */
  M_GENERIC,
} mctx;

typedef struct mstate {
  wctr_errmsg *e;
  cc_path path;
} mstate;

static wctr_err mfail(mstate *m, const cy_node *where, const char *fmt, ...) WCTR_PRINTF(3, 4);

static wctr_err mfail(mstate *m, const cy_node *where, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return wctr_fail(m->e, WCTR_EINVAL, "%s: %s: %s", where->file, m->path.text, msg);
}

static wctr_err moom(mstate *m) {
  return wctr_fail(m->e, WCTR_ENOMEM, "out of memory while merging compose files");
}

/* Drops !reset keys and !override marks from a subtree that arrives whole (nothing under it to reset). */
static void strip_tags(cy_node *n) {
  n->tags = 0;
  if (n->kind == CY_MAP) {
    size_t i = 0;
    while (i < n->count) {
      if (n->pairs[i].value->tags & CY_TAG_RESET) {
        cy_map_remove(n, i);
        continue;
      }
      strip_tags(n->pairs[i].value);
      i++;
    }
  } else if (n->kind == CY_SEQ) {
    for (size_t i = 0; i < n->count; i++) strip_tags(n->items[i]);
  }
}

static bool is_null(const cy_node *n) { return n->kind == CY_SCALAR && n->type == CY_NULL; }

/* ---- Short volume syntax -------------------------------------------------------------------------------- */

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

void cc_volume_spec_free(cc_volume_spec *v) {
  free(v->source);
  free(v->target);
  free(v->mode);
  memset(v, 0, sizeof *v);
}

bool cc_split_volume(const char *spec, cc_volume_spec *out, char *msg, size_t msg_size) {
  memset(out, 0, sizeof *out);
  char q[CC_QUOTE_SIZE];
  if (spec[0] == '\0') {
    snprintf(msg, msg_size, "invalid empty volume spec");
    return false;
  }
  char *parts[3] = {NULL, NULL, NULL};
  size_t n = 0;
  size_t start = 0;
  for (size_t i = 0;; i++) {
    char c = spec[i];
    /* "C:" at the start of a part is a drive letter, not a separator (compose's isWindowsDrive). */
    if (c == ':' && i - start == 1 && is_letter(spec[start])) continue;
    if (c != ':' && c != '\0') continue;
    if (i == start) {
      snprintf(msg, msg_size, "invalid volume spec %s: empty section between colons", cc_quote(q, sizeof q, spec));
      goto fail;
    }
    if (n == 3) {
      snprintf(msg, msg_size, "invalid volume spec %s: too many colons", cc_quote(q, sizeof q, spec));
      goto fail;
    }
    parts[n] = cc_strndup(spec + start, i - start);
    if (parts[n] == NULL) {
      snprintf(msg, msg_size, "out of memory");
      goto fail;
    }
    n++;
    start = i + 1;
    if (c == '\0') break;
  }
  if (n == 1) {
    out->target = parts[0];
  } else {
    out->source = parts[0];
    out->target = parts[1];
    out->mode = parts[2];
  }
  return true;
fail:
  for (size_t i = 0; i < 3; i++) free(parts[i]);
  return false;
}

char *cc_volume_key(const cy_node *item) {
  if (item->kind == CY_SCALAR && item->type == CY_STR) {
    cc_volume_spec v;
    char msg[8];
    if (!cc_split_volume(item->text, &v, msg, sizeof msg)) return NULL;
    char *key = v.target;
    v.target = NULL;
    cc_volume_spec_free(&v);
    return key;
  }
  const cy_pair *t = cy_map_get(item, "target");
  if (t != NULL && t->value->kind == CY_SCALAR && t->value->type == CY_STR) return cc_strdup(t->value->text);
  return NULL;
}

char *cc_grant_key(const cy_node *item) {
  if (item->kind == CY_SCALAR) return cc_strdup(item->text);
  const cy_pair *t = cy_map_get(item, "target");
  if (t == NULL || t->value->kind != CY_SCALAR || t->value->type != CY_STR) t = cy_map_get(item, "source");
  if (t != NULL && t->value->kind == CY_SCALAR && t->value->type == CY_STR) return cc_strdup(t->value->text);
  return NULL;
}

/* compose's portIndexer: a short entry by its text, a long one by host_ip:published:target/protocol. */
static char *port_key(const cy_node *item) {
  if (item->kind == CY_SCALAR) return cc_strdup(item->text);
  if (item->kind != CY_MAP) return NULL;
  const char *parts[4] = {"", "", "", "tcp"};
  static const char *const keys[4] = {"host_ip", "published", "target", "protocol"};
  for (size_t i = 0; i < 4; i++) {
    const cy_pair *p = cy_map_get(item, keys[i]);
    if (p != NULL && p->value->kind == CY_SCALAR && p->value->type != CY_NULL) parts[i] = p->value->text;
  }
  cc_buf b = {0};
  cc_buf_printf(&b, "%s:%s:%s/%s", parts[0], parts[1], parts[2], parts[3]);
  return cc_buf_take(&b);
}

/* An ipam.config entry by its subnet (compose's mergeIPAMConfig). */
static char *subnet_key(const cy_node *item) {
  const cy_pair *p = item->kind == CY_MAP ? cy_map_get(item, "subnet") : NULL;
  if (p == NULL || p->value->kind != CY_SCALAR) return NULL;
  return cc_strdup(p->value->text);
}

/* ---- Shape normalisation ------------------------------------------------------------------------------- */

/* environment / labels as a map (a list item "K=V" -> K: "V", "K" -> K: null); *n is replaced. For
 * depends_on, list items become {condition: service_started}. */
static wctr_err to_map(mstate *m, cy_node **slot, bool depends_on) {
  cy_node *list = *slot;
  if (list->kind != CY_SEQ) return WCTR_OK;
  cy_node *map = cy_new(CY_MAP, list->file, list->line, list->column);
  if (map == NULL) return moom(m);
  for (size_t i = 0; i < list->count; i++) {
    const cy_node *item = list->items[i];
    const char *text = item->text != NULL ? item->text : "";
    const char *eq = depends_on ? NULL : strchr(text, '=');
    char *key = eq != NULL ? cc_strndup(text, (size_t)(eq - text)) : cc_strdup(text);
    cy_node *value;
    if (depends_on) {
      value = cy_new(CY_MAP, item->file, item->line, item->column);
      cy_node *cond = cy_new_scalar(CY_STR, "service_started", item->file, item->line, item->column);
      char *ck = cc_strdup("condition");
      if (value == NULL || cond == NULL || ck == NULL) {
        free(ck);
        cy_free(cond);
        cy_free(value);
        value = NULL;
      } else if (!cy_map_add(value, ck, cond, item->line)) {
        cy_free(value);
        value = NULL;
      }
    } else {
      value = eq != NULL ? cy_new_scalar(CY_STR, eq + 1, item->file, item->line, item->column)
                         : cy_new_scalar(CY_NULL, "", item->file, item->line, item->column);
    }
    if (key == NULL || value == NULL) {
      free(key);
      cy_free(value);
      cy_free(map);
      return moom(m);
    }
    /* A key listed twice: the later entry wins, where the first one stood. */
    cy_pair *old = cy_map_get(map, key);
    if (old != NULL) {
      free(key);
      cy_free(old->value);
      old->value = value;
      continue;
    }
    if (!cy_map_add(map, key, value, item->line)) {
      cy_free(map);
      return moom(m);
    }
  }
  cy_free(list);
  *slot = map;
  return WCTR_OK;
}

/* A string as a one-item list (env_file). */
static wctr_err to_seq(mstate *m, cy_node **slot) {
  cy_node *n = *slot;
  if (n->kind == CY_SEQ) return WCTR_OK;
  cy_node *seq = cy_new(CY_SEQ, n->file, n->line, n->column);
  if (seq == NULL) return moom(m);
  if (!cy_seq_add(seq, n)) {
    *slot = NULL;
    cy_free(seq);
    return moom(m);
  }
  *slot = seq;
  return WCTR_OK;
}

/* ---- Merging ------------------------------------------------------------------------------------------- */

static wctr_err merge_map(mstate *m, cy_node *base, cy_node *over, mctx ctx);

/* Appends over's items to base; with key, an item whose key matches one of base's ORIGINAL items replaces
 * it in place (items of the same file are not folded together: duplicates there are the checks'
 * business). dedupe: an item equal in text to one already there is dropped. Consumes over. */
static wctr_err merge_list(mstate *m, cy_node *base, cy_node *over, char *(*key)(const cy_node *), bool dedupe) {
  if (base->kind != CY_SEQ || over->kind != CY_SEQ) {
    wctr_err err = mfail(m, over, "cannot merge %s into %s", cy_describe(over), cy_describe(base));
    cy_free(over);
    return err;
  }
  size_t original = base->count;
  wctr_err err = WCTR_OK;
  for (size_t i = 0; i < over->count && err == WCTR_OK; i++) {
    cy_node *item = over->items[i];
    over->items[i] = NULL;
    strip_tags(item);
    if (dedupe && item->kind == CY_SCALAR) {
      bool seen = false;
      for (size_t j = 0; j < base->count && !seen; j++) {
        seen = base->items[j]->kind == CY_SCALAR && strcmp(base->items[j]->text, item->text) == 0;
      }
      if (seen) {
        cy_free(item);
        continue;
      }
    }
    if (key != NULL) {
      char *k = key(item);
      bool replaced = false;
      for (size_t j = 0; k != NULL && j < original && !replaced; j++) {
        char *bk = key(base->items[j]);
        if (bk != NULL && strcmp(bk, k) == 0) {
          cy_free(base->items[j]);
          base->items[j] = item;
          replaced = true;
        }
        free(bk);
      }
      free(k);
      if (replaced) continue;
    }
    if (!cy_seq_add(base, item)) err = moom(m);
  }
  cy_free(over);
  return err;
}

static wctr_err generic(mstate *m, cy_node **slot, cy_node *over) {
  cy_node *base = *slot;
  if (is_null(over)) {
    /* compose: a null in a later file keeps the earlier value. */
    cy_free(over);
    return WCTR_OK;
  }
  if (base->kind == CY_MAP) {
    if (over->kind != CY_MAP) {
      wctr_err err = mfail(m, over, "cannot override a mapping with %s", cy_describe(over));
      cy_free(over);
      return err;
    }
    return merge_map(m, base, over, M_GENERIC);
  }
  if (base->kind == CY_SEQ) {
    if (over->kind != CY_SEQ) {
      wctr_err err = mfail(m, over, "cannot override a list with %s", cy_describe(over));
      cy_free(over);
      return err;
    }
    return merge_list(m, base, over, NULL, false);
  }
  strip_tags(over);
  cy_free(base);
  *slot = over;
  return WCTR_OK;
}

static wctr_err merge_service_key(mstate *m, const char *key, cy_node **slot, cy_node *over) {
  wctr_err err;
  /* command and entrypoint are replaced, also by null (compose's "override" rule). Otherwise a null
   * keeps what was there, and a null that was there takes what comes (nulls of one file are only
   * checked after merging). */
  if (strcmp(key, "command") == 0 || strcmp(key, "entrypoint") == 0 || is_null(*slot)) {
    strip_tags(over);
    cy_free(*slot);
    *slot = over;
    return WCTR_OK;
  }
  if (is_null(over)) {
    cy_free(over);
    return WCTR_OK;
  }
  if (strcmp(key, "environment") == 0 || strcmp(key, "labels") == 0 || strcmp(key, "depends_on") == 0) {
    bool dep = key[0] == 'd';
    err = to_map(m, slot, dep);
    if (err == WCTR_OK) err = to_map(m, &over, dep);
    if (err != WCTR_OK) {
      cy_free(over);
      return err;
    }
    return merge_map(m, *slot, over, dep ? M_DEPS : M_ENV);
  }
  if (strcmp(key, "env_file") == 0) {
    err = to_seq(m, slot);
    if (err == WCTR_OK) err = to_seq(m, &over);
    if (err != WCTR_OK) {
      cy_free(over);
      return err;
    }
    return merge_list(m, *slot, over, NULL, true);
  }
  if (strcmp(key, "volumes") == 0) return merge_list(m, *slot, over, cc_volume_key, false);
  if (strcmp(key, "secrets") == 0 || strcmp(key, "configs") == 0) {
    return merge_list(m, *slot, over, cc_grant_key, false);
  }
  if (strcmp(key, "security_opt") == 0 || strcmp(key, "expose") == 0) return merge_list(m, *slot, over, NULL, true);
  if (strcmp(key, "ports") == 0) return merge_list(m, *slot, over, port_key, false);
  if (strcmp(key, "dns") == 0 || strcmp(key, "dns_search") == 0) {
    err = to_seq(m, slot);
    if (err == WCTR_OK) err = to_seq(m, &over);
    if (err != WCTR_OK) {
      cy_free(over);
      return err;
    }
    return merge_list(m, *slot, over, NULL, true);
  }
  if (strcmp(key, "networks") == 0) {
    /* A list of names is the map NAME: null; then name by name. */
    err = to_map(m, slot, false);
    if (err == WCTR_OK) err = to_map(m, &over, false);
    if (err != WCTR_OK) {
      cy_free(over);
      return err;
    }
    return merge_map(m, *slot, over, M_DEPS);
  }
  return generic(m, slot, over);
}

/* Merges over's pairs into base. Consumes over. */
static wctr_err merge_map(mstate *m, cy_node *base, cy_node *over, mctx ctx) {
  wctr_err err = WCTR_OK;
  for (size_t i = 0; i < over->count && err == WCTR_OK; i++) {
    cy_pair *op = &over->pairs[i];
    cy_node *value = op->value;
    op->value = NULL;
    size_t mark = cc_path_key(&m->path, op->key);
    cy_pair *bp = cy_map_get(base, op->key);
    size_t bi = bp != NULL ? (size_t)(bp - base->pairs) : 0;
    /* x- is an extension, replaced whole, except where keys are names people choose (compose's
     * userDefinedKeys): services, secrets, configs, depends_on; and variable names. */
    bool extension =
        strncmp(op->key, "x-", 2) == 0 && ctx != M_SERVICES && ctx != M_NAMED && ctx != M_DEPS && ctx != M_ENV;
    if (value->tags & CY_TAG_RESET) {
      if (bp != NULL) cy_map_remove(base, bi);
      cy_free(value);
    } else if (bp == NULL || (value->tags & CY_TAG_OVERRIDE) || extension) {
      strip_tags(value);
      if (bp != NULL) {
        cy_free(bp->value);
        bp->value = value;
      } else {
        char *k = cc_strdup(op->key);
        if (k == NULL || !cy_map_add(base, k, value, op->line)) {
          if (k == NULL) cy_free(value);
          err = moom(m);
        }
      }
    } else if (ctx == M_ENV) {
      strip_tags(value);
      cy_free(bp->value);
      bp->value = value;
    } else if (ctx == M_TOP && bp->value->kind == CY_MAP && value->kind == CY_MAP &&
               (strcmp(op->key, "services") == 0 || strcmp(op->key, "secrets") == 0 ||
                strcmp(op->key, "configs") == 0 || strcmp(op->key, "networks") == 0)) {
      err = merge_map(m, bp->value, value, strcmp(op->key, "services") == 0 ? M_SERVICES : M_NAMED);
    } else if (ctx == M_SERVICES && bp->value->kind == CY_MAP && value->kind == CY_MAP) {
      err = merge_map(m, bp->value, value, M_SERVICE);
    } else if (ctx == M_NAMED && m->path.len >= 9 && strncmp(m->path.text, "networks.", 9) == 0 &&
               bp->value->kind == CY_MAP && value->kind == CY_MAP) {
      err = merge_map(m, bp->value, value, M_NETWORK);
    } else if (ctx == M_NETWORK && strcmp(op->key, "labels") == 0 && !is_null(value) && !is_null(bp->value)) {
      err = to_map(m, &bp->value, false);
      if (err == WCTR_OK) err = to_map(m, &value, false);
      if (err == WCTR_OK) {
        err = merge_map(m, bp->value, value, M_ENV);
      } else {
        cy_free(value);
      }
    } else if (ctx == M_NETWORK && strcmp(op->key, "ipam") == 0 && bp->value->kind == CY_MAP &&
               value->kind == CY_MAP) {
      err = merge_map(m, bp->value, value, M_IPAM);
    } else if (ctx == M_IPAM && strcmp(op->key, "config") == 0 && bp->value->kind == CY_SEQ &&
               value->kind == CY_SEQ) {
      err = merge_list(m, bp->value, value, subnet_key, false);
    } else if (ctx == M_SERVICE) {
      err = merge_service_key(m, op->key, &bp->value, value);
    } else {
      err = generic(m, &bp->value, value);
    }
    cc_path_pop(&m->path, mark);
  }
  cy_free(over);
  return err;
}

wctr_err cc_merge_document(cy_node *base, cy_node *over, wctr_errmsg *e) {
  mstate m;
  memset(&m, 0, sizeof m);
  m.e = e;
  return merge_map(&m, base, over, M_TOP);
}
