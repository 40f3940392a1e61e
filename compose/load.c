/* compose/load.c - compose_load: files -> documents -> interpolation -> checks -> merge -> model.
 *
 * Each document is checked on its own by the same conversion code that builds the model (the result is
 * thrown away), so an error names the file it is in. After merging, the conversion runs once more on the
 * merged tree with `final` set: then required keys, references between services, secrets and configs,
 * conflicts between keys, env files and the resource checks of spec/spec.h are looked at too. The
 * rules are listed in compose/compose.h. */
#include "compose/compose_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

typedef struct lctx {
  const compose_options *opt;
  compose_warnings *w;
  wctr_errmsg *e;
  cc_path path;
  bool final;
  cc_kvlist dotenv;
  cc_env env;
  char *project_dir;
  cy_budget budget;
  const cy_node *root; /* the merged document, in the final pass */
  const char **names;  /* its service names, sorted (final pass) */
  size_t name_count;
  const char *project_name; /* final pass */
} lctx;

static wctr_err lvfail(lctx *c, wctr_err code, const cy_node *n, const char *fmt, va_list ap) WCTR_PRINTF(4, 0);

static wctr_err lvfail(lctx *c, wctr_err code, const cy_node *n, const char *fmt, va_list ap) {
  char msg[440];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (c->path.len == 0) return wctr_fail(c->e, code, "%s: %s", n->file, msg);
  return wctr_fail(c->e, code, "%s: %s: %s", n->file, c->path.text, msg);
}

/* "<file>: <path>: <message>", the file being the one n was written in. */
static wctr_err lfail(lctx *c, const cy_node *n, const char *fmt, ...) WCTR_PRINTF(3, 4);

static wctr_err lfail(lctx *c, const cy_node *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  wctr_err err = lvfail(c, WCTR_EINVAL, n, fmt, ap);
  va_end(ap);
  return err;
}

static wctr_err lfailc(lctx *c, wctr_err code, const cy_node *n, const char *fmt, ...) WCTR_PRINTF(4, 5);

static wctr_err lfailc(lctx *c, wctr_err code, const cy_node *n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  wctr_err err = lvfail(c, code, n, fmt, ap);
  va_end(ap);
  return err;
}

static wctr_err loom(lctx *c) { return wctr_fail(c->e, WCTR_ENOMEM, "out of memory while loading compose files"); }

/* ---- Keys ----------------------------------------------------------------------------------------------- */

static bool in_list(const char *const *list, const char *key) {
  for (size_t i = 0; list[i] != NULL; i++) {
    if (strcmp(list[i], key) == 0) return true;
  }
  return false;
}

/* A key that is not one of the supported ones: fine for an extension where they are allowed, otherwise
 * "not supported" (compose defines it) or "unknown key" (compose does not). */
static wctr_err other_key(lctx *c, const cy_pair *p, const char *const *known, bool x_ok) {
  if (x_ok && strncmp(p->key, "x-", 2) == 0) return WCTR_OK;
  if (known != NULL && in_list(known, p->key)) {
    size_t mark = cc_path_key(&c->path, p->key);
    wctr_err err = lfail(c, p->value, "\"%s\" is not supported by wctr", p->key);
    cc_path_pop(&c->path, mark);
    return err;
  }
  char q[CC_QUOTE_SIZE];
  return lfail(c, p->value, "unknown key %s", cc_quote(q, sizeof q, p->key));
}

/* ---- Typed values --------------------------------------------------------------------------------------- */

static bool is_str(const cy_node *n) { return n->kind == CY_SCALAR && n->type == CY_STR; }
static bool is_null(const cy_node *n) { return n->kind == CY_SCALAR && n->type == CY_NULL; }

/* A value left for later: !reset ones always (merging removes them), and nulls while one document is
 * checked on its own, because compose's merge keeps the earlier value under a later null. A null that
 * is still there after merging is checked in the final pass. */
static bool deferred(const lctx *c, const cy_node *v) {
  return (v->tags & CY_TAG_RESET) != 0 || (!c->final && is_null(v));
}

/* A value escaped as cc_quote does, without the quotes around it (for Docker's sentences that quote
 * nothing or quote with '...'). */
static const char *bare(char *q, size_t size, const char *s) {
  cc_quote(q, size, s);
  size_t len = strlen(q);
  q[len - 1] = '\0';
  return q + 1;
}

static wctr_err want_str(lctx *c, const cy_node *n, const char **out) {
  if (is_str(n)) {
    *out = n->text;
    return WCTR_OK;
  }
  return lfail(c, n, "must be a string, not %s", cy_describe(n));
}

static wctr_err want_map(lctx *c, const cy_node *n) {
  if (n->kind == CY_MAP) return WCTR_OK;
  return lfail(c, n, "must be a mapping, not %s", cy_describe(n));
}

static wctr_err want_seq(lctx *c, const cy_node *n) {
  if (n->kind == CY_SEQ) return WCTR_OK;
  return lfail(c, n, "must be a list, not %s", cy_describe(n));
}

/* A YAML integer as go-yaml reads it: every '_' dropped, then Go's base-0 syntax (cc_go_int); false
 * when it does not fit an int64. The text has already been resolved as an integer. */
static bool yaml_int_value(const char *text, int64_t *out) {
  size_t n = strlen(text);
  char small[64];
  char *plain = n < sizeof small ? small : malloc(n + 1);
  if (plain == NULL) return false;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (text[i] != '_') plain[k++] = text[i];
  }
  plain[k] = '\0';
  bool neg = false;
  uint64_t v = 0;
  bool ok = cc_go_int(plain, &neg, &v) && v <= (uint64_t)INT64_MAX + (neg ? 1u : 0u);
  if (plain != small) free(plain);
  if (!ok) return false;
  *out = !neg ? (int64_t)v : v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
  return true;
}

/* strconv.ParseInt(s, 10, 64): what compose does with a string where an integer is expected. */
static bool decimal_int(const char *s, int64_t *out) {
  bool neg = false;
  if (*s == '+' || *s == '-') {
    neg = *s == '-';
    s++;
  }
  if (*s == '\0') return false;
  uint64_t v = 0;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9') return false;
    unsigned d = (unsigned)(*s - '0');
    if (v > ((uint64_t)INT64_MAX + 1u - d) / 10u) return false;
    v = v * 10u + d;
  }
  if (!neg && v > (uint64_t)INT64_MAX) return false;
  *out = neg ? (v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v) : (int64_t)v;
  return true;
}

static wctr_err want_int(lctx *c, const cy_node *n, int64_t *out) {
  char q[CC_QUOTE_SIZE];
  if (n->kind == CY_SCALAR && n->type == CY_INT) {
    if (yaml_int_value(n->text, out)) return WCTR_OK;
    return lfail(c, n, "%s is too large", n->text);
  }
  if (is_str(n)) {
    if (decimal_int(n->text, out)) return WCTR_OK;
    return lfail(c, n, "invalid whole number %s", cc_quote(q, sizeof q, n->text));
  }
  if (n->kind == CY_SCALAR && n->type == CY_FLOAT) return lfail(c, n, "must be a whole number, not %s", n->text);
  return lfail(c, n, "must be a whole number, not %s", cy_describe(n));
}

static wctr_err want_bool(lctx *c, const cy_node *n, bool *out) {
  if (n->kind == CY_SCALAR && n->type == CY_BOOL) {
    *out = n->boolean;
    return WCTR_OK;
  }
  if (!is_str(n)) return lfail(c, n, "must be a boolean, not %s", cy_describe(n));
  static const char *const yes[] = {"y", "yes", "on", NULL};
  static const char *const no[] = {"n", "no", "off", NULL};
  char low[8];
  size_t len = strlen(n->text);
  if (len < sizeof low) {
    for (size_t i = 0; i <= len; i++) {
      char ch = n->text[i];
      low[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
    }
    if (strcmp(low, "true") == 0 || strcmp(low, "false") == 0) {
      *out = low[0] == 't';
      return WCTR_OK;
    }
    if (in_list(yes, low) || in_list(no, low)) {
      *out = in_list(yes, low);
      cc_warn(c->w, "\"%s\" for boolean is not supported by YAML 1.2, please use `%s`", n->text,
              *out ? "true" : "false");
      return WCTR_OK;
    }
  }
  char q[CC_QUOTE_SIZE];
  return lfail(c, n, "invalid boolean %s", cc_quote(q, sizeof q, n->text));
}

/* Text of a scalar for environment and labels: booleans as compose prints them, numbers as written,
 * null as NULL. */
static const char *scalar_text(const cy_node *n) {
  if (n->type == CY_NULL) return NULL;
  if (n->type == CY_BOOL) return n->boolean ? "true" : "false";
  return n->text;
}

/* ---- Service values ------------------------------------------------------------------------------------- */

/* At least spec_resource_field_count (checked where the arrays are filled). */
#define RES_MAX 16

typedef struct svc_work {
  compose_service s;
  cc_kvlist env;    /* value NULL: from the environment */
  cc_kvlist labels; /* value NULL: "" */
  cc_kvlist log_opts; /* logging.options; value NULL: "" */
  char **env_files; /* resolved */
  size_t env_file_count;
  const cy_node *env_file_node;
  /* The resources, by their index in spec_resource_fields: as a service key (res) and under
   * deploy.resources.limits (dres); node: where the first of the two was written. */
  bool res_set[RES_MAX], dres_set[RES_MAX];
  int64_t res[RES_MAX], dres[RES_MAX];
  const cy_node *res_node[RES_MAX];
  const cy_node *credspec_node; /* the first credential spec seen (credential_spec or security_opt) */
  bool networks_given, network_mode_given;
} svc_work;

static void command_free(compose_command *cmd) {
  for (size_t i = 0; i < cmd->argc; i++) free(cmd->argv[i]);
  free(cmd->argv);
  memset(cmd, 0, sizeof *cmd);
}

static void strv_free(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

static void service_free(compose_service *s) {
  free(s->name);
  free(s->container_name);
  free(s->image);
  command_free(&s->entrypoint);
  command_free(&s->command);
  free(s->working_dir);
  free(s->user);
  free(s->hostname);
  gmsa_source_free(&s->credspec);
  strv_free(s->environment, s->environment_count);
  strv_free(s->labels, s->label_count);
  for (size_t i = 0; i < s->volume_count; i++) {
    free(s->volumes[i].source);
    free(s->volumes[i].target);
  }
  free(s->volumes);
  for (size_t i = 0; i < s->secret_count; i++) {
    free(s->secrets[i].source);
    free(s->secrets[i].target);
  }
  free(s->secrets);
  for (size_t i = 0; i < s->config_count; i++) {
    free(s->configs[i].source);
    free(s->configs[i].target);
  }
  free(s->configs);
  strv_free(s->depends_on, s->depends_on_count);
  strv_free(s->depends_on_completed, s->depends_on_completed_count);
  free(s->ports);
  free(s->expose);
  free(s->network_mode);
  free(s->network);
  strv_free(s->dns, s->dns_count);
  strv_free(s->dns_search, s->dns_search_count);
  free(s->mac_address);
  strv_free(s->log_opts, s->log_opt_count);
  strv_free(s->depends_on_healthy, s->depends_on_healthy_count);
  strv_free(s->health_test, s->health_test_count);
  memset(s, 0, sizeof *s);
}

static void work_free(svc_work *wk) {
  service_free(&wk->s);
  cc_kvlist_free(&wk->env);
  cc_kvlist_free(&wk->labels);
  cc_kvlist_free(&wk->log_opts);
  strv_free(wk->env_files, wk->env_file_count);
  memset(wk, 0, sizeof *wk);
}

static wctr_err set_string(lctx *c, const cy_node *n, char **field) {
  const char *text = NULL;
  wctr_err err = want_str(c, n, &text);
  if (err != WCTR_OK) return err;
  free(*field);
  *field = cc_strdup(text);
  return *field != NULL ? WCTR_OK : loom(c);
}

static wctr_err convert_command(lctx *c, const cy_node *n, compose_command *cmd) {
  command_free(cmd);
  if (is_null(n)) return WCTR_OK;
  if (is_str(n)) {
    cmd->argv = malloc(sizeof *cmd->argv);
    if (cmd->argv == NULL || (cmd->argv[0] = cc_strdup(n->text)) == NULL) {
      free(cmd->argv);
      cmd->argv = NULL;
      return loom(c);
    }
    cmd->argc = 1;
    cmd->set = true;
    cmd->shell_form = true;
    return WCTR_OK;
  }
  if (n->kind != CY_SEQ) return lfail(c, n, "must be a string or a list of strings, not %s", cy_describe(n));
  cmd->set = true;
  cmd->argv = calloc(n->count + 1, sizeof *cmd->argv);
  if (cmd->argv == NULL) return loom(c);
  for (size_t i = 0; i < n->count; i++) {
    size_t mark = cc_path_index(&c->path, i);
    const char *text = NULL;
    wctr_err err = want_str(c, n->items[i], &text);
    cc_path_pop(&c->path, mark);
    if (err != WCTR_OK) return err;
    cmd->argv[i] = cc_strdup(text);
    if (cmd->argv[i] == NULL) return loom(c);
    cmd->argc++;
  }
  return WCTR_OK;
}

/* environment and labels: a list of "K=V" / "K", or a map. */
static wctr_err convert_pairs(lctx *c, const cy_node *n, cc_kvlist *out, bool labels) {
  char q[CC_QUOTE_SIZE];
  if (n->kind == CY_MAP) {
    for (size_t i = 0; i < n->count; i++) {
      const cy_pair *p = &n->pairs[i];
      if (p->value->tags & CY_TAG_RESET) continue;
      if (p->key[0] == '\0' || strchr(p->key, '=') != NULL) {
        return lfail(c, p->value, "invalid %s name %s", labels ? "label" : "variable",
                     cc_quote(q, sizeof q, p->key));
      }
      size_t mark = cc_path_key(&c->path, p->key);
      wctr_err err = WCTR_OK;
      if (p->value->kind != CY_SCALAR) {
        err = lfail(c, p->value, "must be a string, a number, a boolean or null, not %s", cy_describe(p->value));
      } else if (!cc_kvlist_set(out, p->key, scalar_text(p->value))) {
        err = loom(c);
      }
      cc_path_pop(&c->path, mark);
      if (err != WCTR_OK) return err;
    }
    return WCTR_OK;
  }
  if (n->kind != CY_SEQ) return lfail(c, n, "must be a mapping or a list of strings, not %s", cy_describe(n));
  for (size_t i = 0; i < n->count; i++) {
    size_t mark = cc_path_index(&c->path, i);
    const char *text = NULL;
    wctr_err err = want_str(c, n->items[i], &text);
    if (err == WCTR_OK) {
      const char *eq = strchr(text, '=');
      char *key = eq != NULL ? cc_strndup(text, (size_t)(eq - text)) : cc_strdup(text);
      if (key == NULL) {
        err = loom(c);
      } else if (key[0] == '\0') {
        err = lfail(c, n->items[i], "invalid entry %s: the name is empty", cc_quote(q, sizeof q, text));
      } else if (!cc_kvlist_set(out, key, eq != NULL ? eq + 1 : NULL)) {
        err = loom(c);
      }
      free(key);
    }
    cc_path_pop(&c->path, mark);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

/* logging: {driver: json-file, options: {K: V}} (compose.h). */
static wctr_err convert_logging(lctx *c, const cy_node *n, svc_work *wk) {
  char q[CC_QUOTE_SIZE];
  if (n->kind != CY_MAP) return lfail(c, n, "must be a mapping, not %s", cy_describe(n));
  for (size_t i = 0; i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    size_t mark = cc_path_key(&c->path, p->key);
    wctr_err err = WCTR_OK;
    const char *text = NULL;
    if (strcmp(p->key, "driver") == 0) {
      err = want_str(c, p->value, &text);
      if (err == WCTR_OK && strcmp(text, "json-file") != 0) {
        err = lfail(c, p->value, "%s: wctr keeps a container's logs with the json-file driver only",
                    cc_quote(q, sizeof q, text));
      }
    } else if (strcmp(p->key, "options") == 0) {
      bool null = is_null(p->value);
      if (p->value->kind == CY_MAP) {
        err = convert_pairs(c, p->value, &wk->log_opts, true);
      } else if (!null) {
        err = lfail(c, p->value, "must be a mapping, not %s", cy_describe(p->value));
      }
    } else {
      err = lfail(c, p->value, "unknown key (logging takes driver and options)");
    }
    cc_path_pop(&c->path, mark);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

static wctr_err convert_env_file(lctx *c, const cy_node *n, svc_work *wk) {
  strv_free(wk->env_files, wk->env_file_count);
  wk->env_files = NULL;
  wk->env_file_count = 0;
  wk->env_file_node = n;
  size_t count = n->kind == CY_SEQ ? n->count : 1;
  if (n->kind != CY_SEQ && !is_str(n))
    return lfail(c, n, "must be a path or a list of paths, not %s", cy_describe(n));
  wk->env_files = calloc(count + 1, sizeof *wk->env_files);
  if (wk->env_files == NULL) return loom(c);
  for (size_t i = 0; i < count; i++) {
    const cy_node *item = n->kind == CY_SEQ ? n->items[i] : n;
    size_t mark = n->kind == CY_SEQ ? cc_path_index(&c->path, i) : c->path.len;
    wctr_err err = WCTR_OK;
    if (item->kind == CY_MAP) {
      err = lfail(c, item, "the long form of env_file ({path, required, format}) is not supported by wctr");
    } else if (!is_str(item)) {
      err = lfail(c, item, "must be a path, not %s", cy_describe(item));
    } else if (item->text[0] == '\0') {
      err = lfail(c, item, "the path is empty");
    } else {
      wk->env_files[i] = cc_path_join(c->project_dir, item->text);
      if (wk->env_files[i] == NULL) {
        err = loom(c);
      } else {
        wk->env_file_count++;
      }
    }
    cc_path_pop(&c->path, mark);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

static bool ascii_ieq(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
    char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

static wctr_err convert_isolation(lctx *c, const cy_node *n, wctr_isolation *out) {
  const char *text = NULL;
  wctr_err err = want_str(c, n, &text);
  if (err != WCTR_OK) return err;
  /* spec's names, any case; compose's own sentence (Docker's, with wctr's list) names the file's value. */
  if (spec_isolation_parse(text, out, NULL) != WCTR_OK) {
    char q[CC_QUOTE_SIZE];
    return lfail(c, n, "invalid isolation (%s): wctr supports 'default', 'process', 'hyperv', or 'job'",
                 bare(q, sizeof q, text));
  }
  return WCTR_OK;
}

/* True when a top-level secrets/configs mapping defines name. */
static bool top_defined(const lctx *c, const char *section, const char *name) {
  const cy_pair *sec = cy_map_get(c->root, section);
  return sec != NULL && sec->value->kind == CY_MAP && cy_map_get(sec->value, name) != NULL;
}

static wctr_err set_credspec(lctx *c, svc_work *wk, const cy_node *n, gmsa_source *src, const char *service) {
  if (wk->credspec_node != NULL) {
    gmsa_source_free(src);
    return lfail(c, n,
                 "a second credential spec (credential_spec and security_opt credentialspec= are one "
                 "setting; give it once)");
  }
  if (c->final && src->kind == GMSA_SOURCE_CONFIG && !top_defined(c, "configs", src->value)) {
    char q[CC_QUOTE_SIZE];
    wctr_err err = lfail(c, n, "service \"%s\" refers to undefined config %s (credential spec)", service,
                         cc_quote(q, sizeof q, src->value));
    gmsa_source_free(src);
    return err;
  }
  wk->credspec_node = n;
  wk->s.has_credspec = true;
  wk->s.credspec = *src;
  memset(src, 0, sizeof *src);
  return WCTR_OK;
}

static wctr_err convert_credential_spec(lctx *c, const cy_node *n, svc_work *wk, const char *service) {
  wctr_err err = want_map(c, n);
  if (err != WCTR_OK) return err;
  static const char *const kinds[] = {"config", "file", "registry"};
  static const gmsa_source_kind kind_of[] = {GMSA_SOURCE_CONFIG, GMSA_SOURCE_FILE, GMSA_SOURCE_REGISTRY};
  const cy_pair *given[3] = {NULL, NULL, NULL};
  bool nulls = false;
  for (size_t i = 0; i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (deferred(c, p->value)) {
      nulls = nulls || is_null(p->value);
      continue;
    }
    bool found = false;
    for (size_t k = 0; k < 3; k++) {
      if (strcmp(p->key, kinds[k]) == 0) {
        given[k] = p;
        found = true;
      }
    }
    if (!found) {
      err = other_key(c, p, NULL, true);
      if (err != WCTR_OK) return err;
    }
  }
  /* Swarm's messages (moby daemon/cluster/convert), in its order: config, file, registry. */
  const char *names[3];
  size_t count = 0;
  for (size_t k = 0; k < 3; k++) {
    if (given[k] != NULL) names[count++] = kinds[k];
  }
  if (count == 0 && nulls) return WCTR_OK; /* only nulls: what they keep is known after merging */
  if (count == 0)
    return lfail(c, n, "must either provide \"file\", \"registry\", or \"config\" for credential spec");
  if (count == 2) return lfail(c, n, "cannot specify both \"%s\" and \"%s\" credential specs", names[0], names[1]);
  if (count == 3) {
    return lfail(c, n, "cannot specify both \"%s\", \"%s\", and \"%s\" credential specs", names[0], names[1],
                 names[2]);
  }
  for (size_t k = 0; k < 3; k++) {
    if (given[k] == NULL) continue;
    size_t mark = cc_path_key(&c->path, kinds[k]);
    const char *text = NULL;
    err = want_str(c, given[k]->value, &text);
    gmsa_source src;
    wctr_errmsg ge;
    wctr_errmsg_clear(&ge);
    if (err == WCTR_OK && gmsa_source_make(kind_of[k], text, c->opt->credspec_dir, &src, &ge) != WCTR_OK) {
      err = ge.code == WCTR_ENOMEM ? loom(c) : lfail(c, given[k]->value, "%s", ge.text);
    } else if (err == WCTR_OK) {
      err = set_credspec(c, wk, given[k]->value, &src, service);
    }
    cc_path_pop(&c->path, mark);
    return err;
  }
  return WCTR_OK;
}

static wctr_err convert_security_opt(lctx *c, const cy_node *n, svc_work *wk, const char *service) {
  wctr_err err = want_seq(c, n);
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    size_t mark = cc_path_index(&c->path, i);
    const char *text = NULL;
    err = want_str(c, n->items[i], &text);
    if (err == WCTR_OK) {
      const char *eq = strchr(text, '=');
      char key[32];
      size_t klen = eq != NULL ? (size_t)(eq - text) : 0;
      snprintf(key, sizeof key, "%.*s", (int)(klen < sizeof key ? klen : 0), text);
      if (eq != NULL && ascii_ieq(key, "credentialspec")) {
        gmsa_source src;
        wctr_errmsg ge;
        wctr_errmsg_clear(&ge);
        if (gmsa_source_parse(eq + 1, c->opt->credspec_dir, &src, &ge) != WCTR_OK) {
          err = ge.code == WCTR_ENOMEM ? loom(c) : lfail(c, n->items[i], "%s", ge.text);
        } else {
          err = set_credspec(c, wk, n->items[i], &src, service);
        }
      } else {
        char q[CC_QUOTE_SIZE];
        err = lfail(c, n->items[i], "security option %s is not supported by wctr (only credentialspec=...)",
                    cc_quote(q, sizeof q, text));
      }
    }
    cc_path_pop(&c->path, mark);
  }
  return err;
}

/* mem_limit: a size or a whole number of bytes. deploy.resources.limits.memory: a size string. */
static wctr_err convert_memory(lctx *c, const cy_node *n, const char *flag, bool numbers, int64_t *out) {
  if (numbers && n->kind == CY_SCALAR && n->type == CY_INT) {
    int64_t v;
    wctr_err err = want_int(c, n, &v);
    if (err != WCTR_OK) return err;
    if (v < 0) return lfail(c, n, "a size cannot be negative");
    *out = v;
    return WCTR_OK;
  }
  if (!is_str(n)) {
    return lfail(c, n,
                 numbers ? "must be a size like \"512m\" or a whole number of bytes, not %s"
                         : "must be a size like \"512m\", not %s",
                 n->kind == CY_SCALAR && n->type == CY_FLOAT ? n->text : cy_describe(n));
  }
  wctr_errmsg ue;
  wctr_errmsg_clear(&ue);
  if (wctr_parse_size(n->text, flag, out, &ue) != WCTR_OK) return lfail(c, n, "%s", ue.text);
  return WCTR_OK;
}

static wctr_err convert_cpus(lctx *c, const cy_node *n, int64_t *out) {
  if (n->kind != CY_SCALAR || (n->type != CY_STR && n->type != CY_INT && n->type != CY_FLOAT)) {
    return lfail(c, n, "must be a number or a string, not %s", cy_describe(n));
  }
  wctr_errmsg ue;
  wctr_errmsg_clear(&ue);
  if (wctr_parse_cpus(n->text, out, &ue) != WCTR_OK) {
    /* units.h names the CLI flag; here the path already says which key it is. */
    char *flag = strstr(ue.text, " for --cpus");
    if (flag != NULL) memmove(flag, flag + 11, strlen(flag + 11) + 1);
    return lfail(c, n, "%s", ue.text);
  }
  return WCTR_OK;
}

/* --- resources: the compose column of spec's table (spec_resource_fields) ---------------------------------- */

/* deploy.resources.limits spells three of them its own way. */
static const struct {
  const char *key;
  size_t offset; /* in spec_resources */
} deploy_limits[] = {{"cpus", offsetof(spec_resources, nano_cpus)},
                     {"memory", offsetof(spec_resources, memory_bytes)},
                     {"pids", offsetof(spec_resources, pids_limit)}};

/* The table's index of the field at offset; spec_resource_field_count when none. */
static size_t field_at(size_t offset) {
  size_t i = 0;
  while (i < spec_resource_field_count && spec_resource_fields[i].offset != offset) i++;
  return i;
}

static const char *deploy_key(const spec_resource_field *f) {
  for (size_t i = 0; i < sizeof deploy_limits / sizeof deploy_limits[0]; i++) {
    if (deploy_limits[i].offset == f->offset) return deploy_limits[i].key;
  }
  return NULL;
}

/* The value of n in f's unit. name is the key as the file spells it (units.h quotes it in messages);
 * numbers: a size may also be a whole number of bytes (mem_limit, not deploy's memory). */
static wctr_err convert_unit(lctx *c, const cy_node *n, const spec_resource_field *f, const char *name, bool numbers,
                             int64_t *out) {
  switch (f->unit) {
    case SPEC_UNIT_BYTES: return convert_memory(c, n, name, numbers, out);
    case SPEC_UNIT_NANO_CPUS: return convert_cpus(c, n, out);
    case SPEC_UNIT_COUNT: break;
  }
  return want_int(c, n, out);
}

/* compose-spec's own bounds (its JSON schema) for two keys, before spec_resources_check sees them. */
static wctr_err compose_bounds(lctx *c, const cy_node *n, const spec_resource_field *f, int64_t v) {
  if (f->offset == offsetof(spec_resources, cpu_count) && v < 0) return lfail(c, n, "must be at least 0, not %" PRId64, v);
  if (f->offset == offsetof(spec_resources, cpu_percent) && (v < 0 || v > 100)) {
    return lfail(c, n, "must be between 0 and 100, not %" PRId64, v);
  }
  return WCTR_OK;
}

/* A service-level resource key (the table's compose column); *handled false for any other key. */
static wctr_err convert_resource(lctx *c, const char *k, const cy_node *v, svc_work *wk, bool *handled) {
  size_t i = 0;
  while (i < spec_resource_field_count && !(spec_resource_fields[i].compose != NULL &&
                                            strcmp(spec_resource_fields[i].compose, k) == 0)) {
    i++;
  }
  *handled = i < spec_resource_field_count && i < RES_MAX;
  if (!*handled) return WCTR_OK;
  const spec_resource_field *f = &spec_resource_fields[i];
  int64_t value = 0;
  wk->res_node[i] = v;
  wctr_err err = convert_unit(c, v, f, f->compose, true, &value);
  if (err == WCTR_OK) err = compose_bounds(c, v, f, value);
  wk->res_set[i] = err == WCTR_OK;
  if (err == WCTR_OK) wk->res[i] = value;
  return err;
}

static wctr_err convert_limits(lctx *c, const cy_node *n, svc_work *wk) {
  wctr_err err = want_map(c, n);
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (deferred(c, p->value)) continue;
    size_t k = 0;
    while (k < sizeof deploy_limits / sizeof deploy_limits[0] && strcmp(deploy_limits[k].key, p->key) != 0) k++;
    size_t at = k < sizeof deploy_limits / sizeof deploy_limits[0] ? field_at(deploy_limits[k].offset) : RES_MAX;
    if (at >= spec_resource_field_count || at >= RES_MAX) {
      err = other_key(c, p, NULL, true);
      continue;
    }
    size_t mark = cc_path_key(&c->path, p->key);
    char name[64];
    snprintf(name, sizeof name, "deploy.resources.limits.%s", p->key);
    err = convert_unit(c, p->value, &spec_resource_fields[at], name, false, &wk->dres[at]);
    wk->dres_set[at] = err == WCTR_OK;
    if (wk->res_node[at] == NULL) wk->res_node[at] = p->value;
    cc_path_pop(&c->path, mark);
  }
  return err;
}

static wctr_err convert_deploy(lctx *c, const cy_node *n, svc_work *wk) {
  static const char *const deploy_known[] = {"mode",           "endpoint_mode",
                                             "labels",         "rollback_config", "update_config",
                                             "restart_policy", "placement",       NULL};
  static const char *const resources_known[] = {"reservations", NULL};
  if (is_null(n)) return WCTR_OK;
  wctr_err err = want_map(c, n);
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (deferred(c, p->value)) continue;
    if (strcmp(p->key, "replicas") == 0) {
      size_t mark = cc_path_key(&c->path, "replicas");
      int64_t v = 0;
      err = want_int(c, p->value, &v);
      if (err == WCTR_OK && (v < 0 || v > INT32_MAX)) {
        err = lfail(c, p->value, "must be between 0 and 2147483647, not %" PRId64, v);
      }
      if (err == WCTR_OK) {
        wk->s.replicas_set = true;
        wk->s.replicas = v;
      }
      cc_path_pop(&c->path, mark);
      continue;
    }
    if (strcmp(p->key, "resources") != 0) {
      err = other_key(c, p, deploy_known, true);
      continue;
    }
    size_t mark = cc_path_key(&c->path, "resources");
    const cy_node *r = p->value;
    err = want_map(c, r);
    for (size_t k = 0; err == WCTR_OK && k < r->count; k++) {
      const cy_pair *rp = &r->pairs[k];
      if (deferred(c, rp->value)) continue;
      if (strcmp(rp->key, "limits") == 0) {
        size_t m2 = cc_path_key(&c->path, "limits");
        err = convert_limits(c, rp->value, wk);
        cc_path_pop(&c->path, m2);
      } else {
        err = other_key(c, rp, resources_known, true);
      }
    }
    cc_path_pop(&c->path, mark);
  }
  return err;
}

/* A secret or config target: a plain file name in the container's folder. */
static bool plain_file_name(const char *s) {
  if (s[0] == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return false;
  for (const char *p = s; *p != '\0'; p++) {
    unsigned char ch = (unsigned char)*p;
    if (ch < 0x20 || ch == 0x7F || strchr("/\\:<>\"|?*", ch) != NULL) return false;
  }
  return true;
}

static wctr_err convert_grants(lctx *c, const cy_node *n, bool secrets, const char *service,
                               compose_grant **out, size_t *count) {
  const char *what = secrets ? "secret" : "config";
  static const char *const windows_only[] = {"uid", "gid", "mode", NULL};
  char q[CC_QUOTE_SIZE];
  wctr_err err = want_seq(c, n);
  if (err != WCTR_OK) return err;
  *out = calloc(n->count + 1, sizeof **out);
  if (*out == NULL) return loom(c);
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_node *item = n->items[i];
    size_t mark = cc_path_index(&c->path, i);
    const char *source = NULL;
    const char *target = NULL;
    const cy_node *target_node = item;
    if (is_str(item)) {
      source = item->text;
    } else if (item->kind == CY_MAP) {
      for (size_t k = 0; err == WCTR_OK && k < item->count; k++) {
        const cy_pair *p = &item->pairs[k];
        if (p->value->tags & CY_TAG_RESET) continue;
        size_t m2 = cc_path_key(&c->path, p->key);
        if (strcmp(p->key, "source") == 0) {
          err = want_str(c, p->value, &source);
        } else if (strcmp(p->key, "target") == 0) {
          err = want_str(c, p->value, &target);
          target_node = p->value;
        } else if (in_list(windows_only, p->key)) {
          err = lfail(c, p->value,
                      "\"%s\" is not supported on Windows (%s files are protected by an ACL, not by an owner and "
                      "a mode)",
                      p->key, what);
        } else {
          cc_path_pop(&c->path, m2);
          err = other_key(c, p, NULL, true);
          continue;
        }
        cc_path_pop(&c->path, m2);
      }
      if (err == WCTR_OK && source == NULL) err = lfail(c, item, "\"source\" is required");
    } else {
      err =
          lfail(c, item, "must be a %s name or a mapping with source and target, not %s", what, cy_describe(item));
    }
    if (err == WCTR_OK && source[0] == '\0') err = lfail(c, item, "the %s name is empty", what);
    if (err == WCTR_OK && target != NULL && !plain_file_name(target)) {
      size_t m2 = item->kind == CY_MAP ? cc_path_key(&c->path, "target") : c->path.len;
      err = lfail(c, target_node,
                  "target %s must be a file name: Windows containers get their %ss in one folder (no '/', '\\' or "
                  "':')",
                  cc_quote(q, sizeof q, target), what);
      cc_path_pop(&c->path, m2);
    }
    if (err == WCTR_OK && target == NULL && !plain_file_name(source)) {
      err = lfail(c, item, "%s name %s cannot be a file name; give a target", what, cc_quote(q, sizeof q, source));
    }
    if (err == WCTR_OK && c->final && !top_defined(c, secrets ? "secrets" : "configs", source)) {
      /* compose's sentence */
      err = lfail(c, item, "service \"%s\" refers to undefined %s %s", service, what, source);
    }
    /* One folder holds them all, and Windows file names ignore case: two with one name would collide. */
    for (size_t j = 0; err == WCTR_OK && j < *count; j++) {
      if (ascii_ieq((*out)[j].target, target != NULL ? target : source)) {
        err = lfail(c, item, "target %s is already used by %.*s[%zu]",
                    cc_quote(q, sizeof q, target != NULL ? target : source), (int)mark, c->path.text, j);
      }
    }
    if (err == WCTR_OK) {
      (*out)[i].source = cc_strdup(source);
      (*out)[i].target = cc_strdup(target != NULL ? target : source);
      (*count)++;
      if ((*out)[i].source == NULL || (*out)[i].target == NULL) err = loom(c);
    }
    cc_path_pop(&c->path, mark);
  }
  return err;
}

static bool host_path(const char *s) {
  char ch = s[0];
  if (ch == '.' || ch == '/' || ch == '\\' || ch == '~') return true;
  return ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) && s[1] == ':';
}

static wctr_err resolve_source(lctx *c, const cy_node *n, const char *source, char **out) {
  if (source[0] == '~') {
    if (source[1] != '\0' && source[1] != '/' && source[1] != '\\') {
      char q[CC_QUOTE_SIZE];
      return lfail(c, n, "%s: only ~ (your own profile folder) is understood, not ~user",
                   cc_quote(q, sizeof q, source));
    }
    const char *home = cc_env_get(&(cc_env){.lookup = c->opt->lookup_env, .ctx = c->opt->ctx}, "USERPROFILE");
    if (home == NULL || home[0] == '\0') {
      home = cc_env_get(&(cc_env){.lookup = c->opt->lookup_env, .ctx = c->opt->ctx}, "HOME");
    }
    if (home == NULL || home[0] == '\0')
      return lfail(c, n, "cannot expand ~: neither USERPROFILE nor HOME is set");
    *out = cc_path_join(home, source[1] != '\0' ? source + 2 : ".");
  } else if (cc_path_is_abs(source)) {
    *out = cc_strdup(source);
  } else {
    *out = cc_path_join(c->project_dir, source);
  }
  return *out != NULL ? WCTR_OK : loom(c);
}

static wctr_err convert_mode(lctx *c, const cy_node *n, const char *mode, bool *read_only) {
  char q[CC_QUOTE_SIZE];
  const char *p = mode;
  while (true) {
    const char *end = strchr(p, ',');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    if (len == 2 && memcmp(p, "ro", 2) == 0) {
      *read_only = true;
    } else if (len == 2 && memcmp(p, "rw", 2) == 0) {
      *read_only = false;
    } else {
      char opt[64];
      snprintf(opt, sizeof opt, "%.*s", (int)(len < 60 ? len : 60), p);
      return lfail(c, n, "volume option %s is not supported by wctr (only ro and rw)", cc_quote(q, sizeof q, opt));
    }
    if (end == NULL) break;
    p = end + 1;
  }
  return WCTR_OK;
}

/* A Windows named pipe as Docker's parser spells it: \\.\pipe\NAME, or with '/' for any separator
 * (//./pipe/NAME), "pipe" in any case (what spec_mount_parse reads as a pipe). */
static bool pipe_path(const char *p) {
  static const char pipe_word[] = "pipe";
  bool sep = (p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/') && p[2] == '.' &&
             (p[3] == '\\' || p[3] == '/');
  if (!sep) return false;
  for (size_t i = 0; i < 4; i++) {
    char ch = p[4 + i];
    if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
    if (ch != pipe_word[i]) return false;
  }
  return (p[8] == '\\' || p[8] == '/') && p[9] != '\0';
}

/* A ':' after the drive letter's: the mount travels as SOURCE:TARGET[:MODE] (the -v form), where it would
 * end the path ("C:\t:ro" as a target would make the mount read-only). */
static bool stray_colon(const char *p) {
  size_t from = (((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')) && p[1] == ':') ? 2 : 0;
  return strchr(p + from, ':') != NULL;
}

static wctr_err convert_volume(lctx *c, const cy_node *item, compose_mount *m) {
  static const char *const long_known[] = {"consistency", "bind", "volume", "tmpfs", "image", NULL};
  char q[CC_QUOTE_SIZE];
  char msg[300];
  const char *source = NULL;
  const char *target = NULL;
  const cy_node *source_node = item;
  const cy_node *target_node = item;
  bool read_only = false;
  bool npipe = false;
  wctr_err err = WCTR_OK;
  cc_volume_spec spec;
  memset(&spec, 0, sizeof spec);
  if (is_str(item)) {
    if (!cc_split_volume(item->text, &spec, msg, sizeof msg)) return lfail(c, item, "%s", msg);
    if (spec.source == NULL || !host_path(spec.source)) {
      /* An anonymous volume (TARGET alone) or a named one, which the top level must define. */
      m->volume = true;
      if (spec.source != NULL && c->final && !top_defined(c, "volumes", spec.source)) {
        err = lfail(c, item, "refers to undefined volume %s: invalid compose project", spec.source);
      }
    }
    if (err == WCTR_OK && spec.mode != NULL) err = convert_mode(c, item, spec.mode, &read_only);
    source = spec.source;
    target = spec.target;
  } else if (item->kind == CY_MAP) {
    const char *type = NULL;
    const cy_node *type_node = item;
    for (size_t k = 0; err == WCTR_OK && k < item->count; k++) {
      const cy_pair *p = &item->pairs[k];
      if (p->value->tags & CY_TAG_RESET) continue;
      size_t m2 = cc_path_key(&c->path, p->key);
      if (strcmp(p->key, "type") == 0) {
        err = want_str(c, p->value, &type);
        type_node = p->value;
      } else if (strcmp(p->key, "source") == 0) {
        err = want_str(c, p->value, &source);
        source_node = p->value;
      } else if (strcmp(p->key, "target") == 0) {
        err = want_str(c, p->value, &target);
        target_node = p->value;
      } else if (strcmp(p->key, "read_only") == 0) {
        err = want_bool(c, p->value, &read_only);
      } else {
        cc_path_pop(&c->path, m2);
        err = other_key(c, p, long_known, true);
        continue;
      }
      cc_path_pop(&c->path, m2);
    }
    if (err == WCTR_OK && type == NULL) err = lfail(c, item, "\"type\" is required");
    npipe = err == WCTR_OK && strcmp(type, "npipe") == 0;
    m->volume = err == WCTR_OK && strcmp(type, "volume") == 0;
    if (err == WCTR_OK && !npipe && !m->volume && strcmp(type, "bind") != 0) {
      static const char *const types[] = {"tmpfs", "cluster", "image", NULL};
      size_t m2 = cc_path_key(&c->path, "type");
      err = in_list(types, type)
                ? lfail(c, type_node, "\"%s\" mounts are not supported by wctr (bind, volume and npipe are)", type)
                : lfail(c, type_node, "invalid mount type %s", cc_quote(q, sizeof q, type));
      cc_path_pop(&c->path, m2);
    }
    if (err == WCTR_OK && m->volume && source != NULL && c->final && !top_defined(c, "volumes", source)) {
      err = lfail(c, source_node, "refers to undefined volume %s: invalid compose project", source);
    }
    if (err == WCTR_OK && source == NULL && !m->volume) {
      err = lfail(c, item, "\"source\" is required for %s mount", npipe ? "an npipe" : "a bind");
    }
    if (err == WCTR_OK && target == NULL) err = lfail(c, item, "\"target\" is required");
    if (err == WCTR_OK && source != NULL && source[0] == '\0') err = lfail(c, source_node, "the source is empty");
    for (int side = 0; side < 2 && err == WCTR_OK; side++) {
      const char *path = side == 0 ? source : target;
      if (path == NULL) continue;
      if (stray_colon(path)) {
        size_t m2 = cc_path_key(&c->path, side == 0 ? "source" : "target");
        err = lfail(c, side == 0 ? source_node : target_node,
                    "%s cannot hold a ':' other than a drive letter's (a mount is passed as SOURCE:TARGET)",
                    cc_quote(q, sizeof q, path));
        cc_path_pop(&c->path, m2);
      }
    }
    for (int side = 0; npipe && side < 2 && err == WCTR_OK; side++) {
      const char *path = side == 0 ? source : target;
      if (!pipe_path(path)) {
        size_t m2 = cc_path_key(&c->path, side == 0 ? "source" : "target");
        err = lfail(c, side == 0 ? source_node : target_node,
                    "%s is not a named pipe (an npipe mount maps \\\\.\\pipe\\NAME or //./pipe/NAME)",
                    cc_quote(q, sizeof q, path));
        cc_path_pop(&c->path, m2);
      }
    }
  } else {
    err = lfail(c, item, "must be a string or a mapping, not %s", cy_describe(item));
  }
  if (err == WCTR_OK && !cc_path_is_abs(target)) {
    err = lfail(c, target_node, "target %s must be an absolute path in the container",
                cc_quote(q, sizeof q, target));
  }
  /* A pipe is a name, not a file: it is never resolved against a folder; nor is a volume's name. */
  bool pipe = err == WCTR_OK && !m->volume && pipe_path(source) && pipe_path(target);
  if (err == WCTR_OK && m->volume) {
    m->source = source != NULL ? cc_strdup(source) : NULL;
    if (source != NULL && m->source == NULL) err = loom(c);
  } else if (err == WCTR_OK && pipe) {
    m->source = cc_strdup(source);
    if (m->source == NULL) err = loom(c);
  } else if (err == WCTR_OK) {
    err = resolve_source(c, source_node, source, &m->source);
  }
  if (err == WCTR_OK) {
    m->target = cc_strdup(target);
    m->read_only = read_only;
    m->pipe = pipe;
    if (m->target == NULL) err = loom(c);
  }
  cc_volume_spec_free(&spec);
  return err;
}

static wctr_err convert_volumes(lctx *c, const cy_node *n, compose_service *s) {
  wctr_err err = want_seq(c, n);
  if (err != WCTR_OK) return err;
  s->volumes = calloc(n->count + 1, sizeof *s->volumes);
  if (s->volumes == NULL) return loom(c);
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    size_t mark = cc_path_index(&c->path, i);
    err = convert_volume(c, n->items[i], &s->volumes[i]);
    if (err == WCTR_OK) {
      s->volume_count++;
      /* compose's check, in its words. */
      for (size_t j = 0; j < i && err == WCTR_OK; j++) {
        if (strcmp(s->volumes[j].target, s->volumes[i].target) == 0) {
          err = lfail(c, n->items[i], "target %s already mounted as %.*s[%zu]", s->volumes[i].target, (int)mark,
                      c->path.text, j);
        }
      }
    } else {
      free(s->volumes[i].source);
      s->volumes[i].source = NULL;
    }
    cc_path_pop(&c->path, mark);
  }
  return err;
}

static int cmp_cstr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_service(const lctx *c, const char *name) {
  return c->name_count > 0 && bsearch(&name, c->names, c->name_count, sizeof *c->names, cmp_cstr) != NULL;
}

static wctr_err convert_depends_on(lctx *c, const cy_node *n, const char *service, compose_service *s) {
  static const char *const entry_known[] = {"required", "restart", "condition", NULL};
  char q[CC_QUOTE_SIZE];
  size_t count = n->count;
  if (n->kind != CY_SEQ && n->kind != CY_MAP) {
    return lfail(c, n, "must be a list of service names or a mapping, not %s", cy_describe(n));
  }
  strv_free(s->depends_on, s->depends_on_count);
  s->depends_on_count = 0;
  strv_free(s->depends_on_completed, s->depends_on_completed_count);
  s->depends_on_completed_count = 0;
  strv_free(s->depends_on_healthy, s->depends_on_healthy_count);
  s->depends_on_healthy_count = 0;
  s->depends_on = calloc(count + 1, sizeof *s->depends_on);
  s->depends_on_completed = calloc(count + 1, sizeof *s->depends_on_completed);
  s->depends_on_healthy = calloc(count + 1, sizeof *s->depends_on_healthy);
  if (s->depends_on == NULL || s->depends_on_completed == NULL || s->depends_on_healthy == NULL) return loom(c);
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < count; i++) {
    const char *name = NULL;
    const cy_node *where;
    size_t mark;
    bool completed = false;
    bool healthy = false;
    if (n->kind == CY_SEQ) {
      mark = cc_path_index(&c->path, i);
      where = n->items[i];
      err = want_str(c, where, &name);
    } else {
      const cy_pair *p = &n->pairs[i];
      if (p->value->tags & CY_TAG_RESET) continue;
      mark = cc_path_key(&c->path, p->key);
      where = p->value;
      name = p->key;
      err = want_map(c, p->value);
      bool has_condition = false;
      for (size_t k = 0; err == WCTR_OK && k < p->value->count; k++) {
        const cy_pair *e = &p->value->pairs[k];
        if (e->value->tags & CY_TAG_RESET) continue;
        size_t m2 = cc_path_key(&c->path, e->key);
        if (strcmp(e->key, "condition") == 0) {
          const char *cond = NULL;
          has_condition = true;
          err = want_str(c, e->value, &cond);
          if (err == WCTR_OK && strcmp(cond, "service_completed_successfully") == 0) {
            completed = true;
          } else if (err == WCTR_OK && strcmp(cond, "service_healthy") == 0) {
            healthy = true;
          } else if (err == WCTR_OK && strcmp(cond, "service_started") != 0) {
            err = lfail(c, e->value, "invalid condition %s", cc_quote(q, sizeof q, cond));
          }
        } else if (strcmp(e->key, "required") == 0 || strcmp(e->key, "restart") == 0) {
          bool v;
          bool required = e->key[1] == 'e' && e->key[2] == 'q';
          err = want_bool(c, e->value, &v);
          /* The defaults (required: true, restart: false) change nothing, so they are accepted. */
          if (err == WCTR_OK && v != required) {
            err = lfail(c, e->value, "%s: %s is not supported by wctr", e->key, v ? "true" : "false");
          }
        } else {
          cc_path_pop(&c->path, m2);
          err = other_key(c, e, entry_known, true);
          continue;
        }
        cc_path_pop(&c->path, m2);
      }
      if (err == WCTR_OK && !has_condition) err = lfail(c, p->value, "\"condition\" is required");
    }
    if (err == WCTR_OK && c->final && !is_service(c, name)) {
      err = lfail(c, where, "service \"%s\" depends on undefined service \"%s\"", service, name);
    }
    if (err == WCTR_OK) {
      bool dup = false;
      for (size_t k = 0; k < s->depends_on_count; k++) dup = dup || strcmp(s->depends_on[k], name) == 0;
      if (!dup) {
        s->depends_on[s->depends_on_count] = cc_strdup(name);
        if (s->depends_on[s->depends_on_count] == NULL) {
          err = loom(c);
        } else {
          s->depends_on_count++;
        }
      }
      if (err == WCTR_OK && !dup && completed) {
        s->depends_on_completed[s->depends_on_completed_count] = cc_strdup(name);
        if (s->depends_on_completed[s->depends_on_completed_count] == NULL) {
          err = loom(c);
        } else {
          s->depends_on_completed_count++;
        }
      }
      if (err == WCTR_OK && !dup && healthy) {
        s->depends_on_healthy[s->depends_on_healthy_count] = cc_strdup(name);
        if (s->depends_on_healthy[s->depends_on_healthy_count] == NULL) {
          err = loom(c);
        } else {
          s->depends_on_healthy_count++;
        }
      }
    }
    cc_path_pop(&c->path, mark);
  }
  if (err == WCTR_OK && s->depends_on_count > 1) {
    qsort(s->depends_on, s->depends_on_count, sizeof *s->depends_on, cmp_cstr);
  }
  if (err == WCTR_OK && s->depends_on_completed_count > 1) {
    qsort(s->depends_on_completed, s->depends_on_completed_count, sizeof *s->depends_on_completed, cmp_cstr);
  }
  if (err == WCTR_OK && s->depends_on_healthy_count > 1) {
    qsort(s->depends_on_healthy, s->depends_on_healthy_count, sizeof *s->depends_on_healthy, cmp_cstr);
  }
  return err;
}

static wctr_err health_span(lctx *c, const cy_node *v, int64_t *ns) {
  const char *text = NULL;
  char msg[300];
  wctr_err err = want_str(c, v, &text);
  if (err == WCTR_OK && !cc_parse_duration(text, ns, msg, sizeof msg)) err = lfail(c, v, "%s", msg);
  return err;
}

/* healthcheck: compose's keys into Docker's HealthConfig (compose.h). */
static wctr_err convert_healthcheck(lctx *c, const cy_node *n, compose_service *s) {
  static const char *const known[] = {NULL};
  strv_free(s->health_test, s->health_test_count);
  s->health_test = NULL;
  s->health_test_count = 0;
  s->healthcheck_set = false;
  s->health_interval_ns = s->health_timeout_ns = s->health_start_period_ns = s->health_retries = 0;
  if (is_null(n)) return WCTR_OK;
  wctr_err err = want_map(c, n);
  bool disable = false;
  const cy_node *test_at = NULL;
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    const cy_node *v = p->value;
    if (strcmp(p->key, "test") == 0) {
      test_at = v;
      if (is_str(v)) {
        s->health_test = calloc(3, sizeof *s->health_test);
        if (s->health_test == NULL) {
          err = loom(c);
        } else {
          s->health_test[0] = cc_strdup("CMD-SHELL");
          s->health_test[1] = cc_strdup(v->text);
          s->health_test_count = 2;
          if (s->health_test[0] == NULL || s->health_test[1] == NULL) err = loom(c);
        }
      } else if (v->kind == CY_SEQ) {
        s->health_test = calloc(v->count + 1, sizeof *s->health_test);
        if (s->health_test == NULL) err = loom(c);
        for (size_t k = 0; err == WCTR_OK && k < v->count; k++) {
          const char *word = NULL;
          size_t m2 = cc_path_index(&c->path, k);
          err = want_str(c, v->items[k], &word);
          if (err == WCTR_OK && (s->health_test[k] = cc_strdup(word)) == NULL) err = loom(c);
          if (err == WCTR_OK) s->health_test_count++;
          cc_path_pop(&c->path, m2);
        }
        if (err == WCTR_OK && s->health_test_count > 0) {
          const char *kind = s->health_test[0];
          bool ok = (strcmp(kind, "NONE") == 0 && s->health_test_count == 1) ||
                    (strcmp(kind, "CMD") == 0 && s->health_test_count >= 2) ||
                    (strcmp(kind, "CMD-SHELL") == 0 && s->health_test_count == 2);
          if (!ok) {
            err = lfail(c, v, "must be [\"NONE\"], [\"CMD\", args...] or [\"CMD-SHELL\", command], or a string");
          }
        }
      } else {
        err = lfail(c, v, "must be a string or a list, not %s", cy_describe(v));
      }
    } else if (strcmp(p->key, "interval") == 0) {
      err = health_span(c, v, &s->health_interval_ns);
    } else if (strcmp(p->key, "timeout") == 0) {
      err = health_span(c, v, &s->health_timeout_ns);
    } else if (strcmp(p->key, "start_period") == 0) {
      err = health_span(c, v, &s->health_start_period_ns);
    } else if (strcmp(p->key, "retries") == 0) {
      err = want_int(c, v, &s->health_retries);
      if (err == WCTR_OK && (s->health_retries < 0 || s->health_retries > INT32_MAX)) {
        err = lfail(c, v, "must be between 0 and 2147483647, not %" PRId64, s->health_retries);
      }
    } else if (strcmp(p->key, "disable") == 0) {
      err = want_bool(c, v, &disable);
    } else if (strcmp(p->key, "start_interval") == 0) {
      err = lfail(c, v, "is not supported by wctr (its probes run every interval)");
    } else {
      cc_path_pop(&c->path, mark);
      err = other_key(c, p, known, true);
      continue;
    }
    cc_path_pop(&c->path, mark);
  }
  if (err == WCTR_OK && disable && s->health_test_count > 0) {
    err = lfail(c, test_at, "test and disable can't be set at the same time");
  }
  if (err == WCTR_OK && disable) {
    s->health_test = calloc(2, sizeof *s->health_test);
    if (s->health_test == NULL || (s->health_test[0] = cc_strdup("NONE")) == NULL) err = loom(c);
    if (err == WCTR_OK) s->health_test_count = 1;
  }
  if (err == WCTR_OK) s->healthcheck_set = true;
  return err;
}

static wctr_err convert_restart(lctx *c, const cy_node *n, compose_service *s) {
  const char *text = NULL;
  wctr_err err = want_str(c, n, &text);
  if (err != WCTR_OK) return err;
  /* spec's syntax; "" is "no", as Docker reads an empty policy (docker-compose's own fixtures write
   * restart: ""). */
  if (spec_restart_parse(text, &s->restart, NULL) != WCTR_OK) {
    char q[CC_QUOTE_SIZE];
    return lfail(c, n, "invalid restart policy %s: use no, always, on-failure, on-failure:N or unless-stopped",
                 cc_quote(q, sizeof q, text));
  }
  return WCTR_OK;
}

/* ---- Networking ----------------------------------------------------------------------------------------- */

/* A port or a range written in a list or a long-form field: a string, or a whole number (as decimal text in
 * buf). */
static wctr_err port_text(lctx *c, const cy_node *n, char *buf, size_t size, const char **out) {
  if (is_str(n)) {
    *out = n->text;
    return WCTR_OK;
  }
  int64_t v = 0;
  if (n->kind == CY_SCALAR && n->type == CY_INT && yaml_int_value(n->text, &v)) {
    snprintf(buf, size, "%" PRId64, v);
    *out = buf;
    return WCTR_OK;
  }
  return lfail(c, n, "must be a string or a number, not %s", cy_describe(n));
}

/* Appends more to *list (duplicates too when keep_repeats, else a port already listed is dropped). */
static wctr_err append_ports(lctx *c, spec_port **list, size_t *count, const spec_port *more, size_t more_count,
                             bool keep_repeats, const cy_node *n) {
  if (*count + more_count > SPEC_PORTS_MAX) return lfail(c, n, "at most %d ports", SPEC_PORTS_MAX);
  spec_port *grown = realloc(*list, (*count + more_count + 1) * sizeof *grown);
  if (grown == NULL) return loom(c);
  *list = grown;
  for (size_t i = 0; i < more_count; i++) {
    bool seen = false;
    for (size_t k = 0; !keep_repeats && k < *count && !seen; k++) {
      seen = grown[k].port == more[i].port && grown[k].proto == more[i].proto;
    }
    if (!seen) grown[(*count)++] = more[i];
  }
  return WCTR_OK;
}

/* The long form of a ports entry as the short form it means: [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]. */
static wctr_err port_long(lctx *c, const cy_node *n, cc_buf *spec) {
  static const char *const known[] = {"name", "app_protocol", NULL};
  const char *target = NULL, *published = NULL, *host_ip = NULL, *protocol = NULL;
  char tbuf[32], pbuf[32];
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    if (strcmp(p->key, "target") == 0) {
      err = port_text(c, p->value, tbuf, sizeof tbuf, &target);
    } else if (strcmp(p->key, "published") == 0) {
      err = port_text(c, p->value, pbuf, sizeof pbuf, &published);
    } else if (strcmp(p->key, "host_ip") == 0) {
      err = want_str(c, p->value, &host_ip);
    } else if (strcmp(p->key, "protocol") == 0) {
      err = want_str(c, p->value, &protocol);
    } else if (strcmp(p->key, "mode") == 0) {
      /* Without a swarm, both publish on the host (compose's "ingress" is the default). */
      const char *mode = NULL;
      char q[CC_QUOTE_SIZE];
      err = want_str(c, p->value, &mode);
      if (err == WCTR_OK && strcmp(mode, "ingress") != 0 && strcmp(mode, "host") != 0) {
        err = lfail(c, p->value, "invalid mode %s: ingress or host", cc_quote(q, sizeof q, mode));
      }
    } else {
      cc_path_pop(&c->path, mark);
      err = other_key(c, p, known, true);
      continue;
    }
    cc_path_pop(&c->path, mark);
  }
  if (err != WCTR_OK) return err;
  if (target == NULL) return lfail(c, n, "\"target\" is required");
  if (host_ip != NULL && host_ip[0] != '\0') {
    /* An IPv6 address goes in brackets, as nat.ParsePortSpec reads it. */
    cc_buf_printf(spec, strchr(host_ip, ':') != NULL ? "[%s]:" : "%s:", host_ip);
    cc_buf_printf(spec, "%s:", published != NULL ? published : "");
  } else if (published != NULL && published[0] != '\0') {
    cc_buf_printf(spec, "%s:", published);
  }
  cc_buf_puts(spec, target);
  if (protocol != NULL) cc_buf_printf(spec, "/%s", protocol);
  return spec->oom ? loom(c) : WCTR_OK;
}

/* ports: short "[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]" (or a number) and long {target, published,
 * host_ip, protocol, mode}, read by spec_port_spec_parse with Docker's messages. */
static wctr_err convert_ports(lctx *c, const cy_node *n, compose_service *s) {
  wctr_err err = want_seq(c, n);
  free(s->ports);
  s->ports = NULL;
  s->port_count = 0;
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_node *item = n->items[i];
    size_t mark = cc_path_index(&c->path, i);
    cc_buf spec = {0};
    const char *text = NULL;
    char nbuf[32];
    if (item->kind == CY_MAP) {
      err = port_long(c, item, &spec);
      if (err == WCTR_OK) text = spec.p;
    } else {
      err = port_text(c, item, nbuf, sizeof nbuf, &text);
    }
    spec_port *ports = NULL;
    size_t count = 0;
    if (err == WCTR_OK) {
      wctr_errmsg pe;
      wctr_errmsg_clear(&pe);
      if (spec_port_spec_parse(text, &ports, &count, &pe) != WCTR_OK) err = lfail(c, item, "%s", pe.text);
    }
    if (err == WCTR_OK) err = append_ports(c, &s->ports, &s->port_count, ports, count, true, item);
    free(ports);
    cc_buf_free(&spec);
    cc_path_pop(&c->path, mark);
  }
  return err;
}

/* expose: "80", "80/udp", "8000-8010" or a number. */
static wctr_err convert_expose(lctx *c, const cy_node *n, compose_service *s) {
  wctr_err err = want_seq(c, n);
  free(s->expose);
  s->expose = NULL;
  s->expose_count = 0;
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    size_t mark = cc_path_index(&c->path, i);
    const char *text = NULL;
    char nbuf[32];
    spec_port *ports = NULL;
    size_t count = 0;
    err = port_text(c, n->items[i], nbuf, sizeof nbuf, &text);
    if (err == WCTR_OK) {
      wctr_errmsg pe;
      wctr_errmsg_clear(&pe);
      if (spec_expose_parse(text, &ports, &count, &pe) != WCTR_OK) err = lfail(c, n->items[i], "%s", pe.text);
    }
    if (err == WCTR_OK) err = append_ports(c, &s->expose, &s->expose_count, ports, count, false, n->items[i]);
    free(ports);
    cc_path_pop(&c->path, mark);
  }
  return err;
}

/* dns, dns_search: a string or a list of strings; repeats dropped. */
static wctr_err convert_dns(lctx *c, const cy_node *n, bool search, char ***out, size_t *count) {
  strv_free(*out, *count);
  *out = NULL;
  *count = 0;
  size_t total = n->kind == CY_SEQ ? n->count : 1;
  if (n->kind != CY_SEQ && !is_str(n)) return lfail(c, n, "must be a string or a list of strings, not %s", cy_describe(n));
  if (total > SPEC_DNS_MAX) return lfail(c, n, "at most %d entries", SPEC_DNS_MAX);
  *out = calloc(total + 1, sizeof **out);
  if (*out == NULL) return loom(c);
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < total; i++) {
    const cy_node *item = n->kind == CY_SEQ ? n->items[i] : n;
    size_t mark = n->kind == CY_SEQ ? cc_path_index(&c->path, i) : c->path.len;
    const char *text = NULL;
    char q[CC_QUOTE_SIZE];
    err = want_str(c, item, &text);
    /* Docker's messages (opts.ValidateIPAddress, opts.ValidateDNSSearch). */
    if (err == WCTR_OK && !search && !spec_ip_parse(text, NULL, NULL)) {
      err = lfail(c, item, "IP address is not correctly formatted: %s", bare(q, sizeof q, text));
    } else if (err == WCTR_OK && search && strcmp(text, ".") != 0 && !spec_domain_valid(text)) {
      err = lfail(c, item, "%s is not a valid domain", bare(q, sizeof q, text));
    }
    bool seen = false;
    for (size_t k = 0; err == WCTR_OK && k < *count && !seen; k++) seen = strcmp((*out)[k], text) == 0;
    if (err == WCTR_OK && !seen) {
      (*out)[*count] = cc_strdup(text);
      if ((*out)[*count] == NULL) {
        err = loom(c);
      } else {
        (*count)++;
      }
    }
    cc_path_pop(&c->path, mark);
  }
  return err;
}

static wctr_err convert_mac(lctx *c, const cy_node *n, compose_service *s) {
  const char *text = NULL;
  wctr_err err = want_str(c, n, &text);
  if (err != WCTR_OK) return err;
  char normal[SPEC_MAC_SIZE];
  wctr_errmsg me;
  wctr_errmsg_clear(&me);
  if (spec_mac_parse(text, normal, &me) != WCTR_OK) return lfail(c, n, "%s", me.text);
  free(s->mac_address);
  s->mac_address = cc_strdup(normal);
  return s->mac_address != NULL ? WCTR_OK : loom(c);
}

static wctr_err convert_network_mode(lctx *c, const cy_node *n, compose_service *s) {
  const char *text = NULL;
  char q[CC_QUOTE_SIZE];
  wctr_err err = want_str(c, n, &text);
  if (err != WCTR_OK) return err;
  if (strncmp(text, "service:", 8) == 0 || strncmp(text, "container:", 10) == 0) {
    return lfail(c, n, "%s: sharing another container's network is not supported by wctr (a Windows container has "
                 "a network namespace of its own)", cc_quote(q, sizeof q, text));
  }
  if (strcmp(text, SPEC_NETWORK_NONE) != 0 && strcmp(text, SPEC_NETWORK_HOST) != 0 &&
      strcmp(text, SPEC_NETWORK_DEFAULT) != 0 && !spec_network_name_valid(text)) {
    return lfail(c, n, "invalid network_mode %s: none, host, default or a network's name",
                 cc_quote(q, sizeof q, text));
  }
  free(s->network_mode);
  s->network_mode = cc_strdup(text);
  return s->network_mode != NULL ? WCTR_OK : loom(c);
}

/* networks: a list of names, or a map NAME: null | {...}. wctr joins a container to one network and takes
 * none of the per-network settings (each is refused by name). */
static wctr_err convert_service_networks(lctx *c, const cy_node *n, const char *service, compose_service *s) {
  static const char *const known[] = {"aliases",      "driver_opts", "gw_priority",    "interface_name",
                                      "ipv4_address", "ipv6_address", "link_local_ips", "mac_address",
                                      "priority",     NULL};
  char q[CC_QUOTE_SIZE], q2[CC_QUOTE_SIZE];
  if (n->kind != CY_SEQ && n->kind != CY_MAP) return lfail(c, n, "must be a list or a mapping, not %s", cy_describe(n));
  const char *first = NULL;
  for (size_t i = 0; i < n->count; i++) {
    const char *name = NULL;
    const cy_node *where = n->kind == CY_SEQ ? n->items[i] : n->pairs[i].value;
    size_t mark = n->kind == CY_SEQ ? cc_path_index(&c->path, i) : cc_path_key(&c->path, n->pairs[i].key);
    wctr_err err = WCTR_OK;
    if (n->kind == CY_SEQ) {
      err = want_str(c, where, &name);
    } else {
      name = n->pairs[i].key;
      if (where->tags & CY_TAG_RESET) {
        cc_path_pop(&c->path, mark);
        continue;
      }
      if (where->kind == CY_MAP) {
        for (size_t k = 0; err == WCTR_OK && k < where->count; k++) {
          if (deferred(c, where->pairs[k].value)) continue;
          err = other_key(c, &where->pairs[k], known, true);
        }
      } else if (!is_null(where)) {
        err = lfail(c, where, "must be a mapping or null, not %s", cy_describe(where));
      }
    }
    if (err == WCTR_OK && c->final && strcmp(name, "default") != 0 && !top_defined(c, "networks", name)) {
      err = lfail(c, where, "service \"%s\" refers to undefined network %s", service, bare(q, sizeof q, name));
    }
    cc_path_pop(&c->path, mark);
    if (err != WCTR_OK) return err;
    if (first == NULL) {
      first = name;
    } else if (strcmp(first, name) != 0) {
      return lfail(c, n, "%s and %s: wctr joins a container to one network (an HNS endpoint in its namespace); give one",
                   bare(q, sizeof q, first), bare(q2, sizeof q2, name));
    }
  }
  free(s->network);
  s->network = NULL;
  if (first == NULL) return WCTR_OK;
  s->network = cc_strdup(first);
  return s->network != NULL ? WCTR_OK : loom(c);
}

/* ---- A service ------------------------------------------------------------------------------------------ */

static const char *const service_known[] = {"annotations",
                                            "attach",
                                            "blkio_config",
                                            "build",
                                            "cap_add",
                                            "cap_drop",
                                            "cgroup",
                                            "cgroup_parent",
                                            "cpu_period",
                                            "cpu_quota",
                                            "cpu_rt_period",
                                            "cpu_rt_runtime",
                                            "cpuset",
                                            "develop",
                                            "device_cgroup_rules",
                                            "devices",
                                            "dns_opt",
                                            "domainname",
                                            "extends",
                                            "external_links",
                                            "extra_hosts",
                                            "gpus",
                                            "group_add",
                                            "ipc",
                                            "label_file",
                                            "links",
                                            "mem_reservation",
                                            "mem_swappiness",
                                            "memswap_limit",
                                            "models",
                                            "oom_kill_disable",
                                            "oom_score_adj",
                                            "pid",
                                            "platform",
                                            "post_start",
                                            "pre_stop",
                                            "privileged",
                                            "profiles",
                                            "provider",
                                            "pull_policy",
                                            "pull_refresh_after",
                                            "read_only",
                                            "runtime",
                                            "scale",
                                            "shm_size",
                                            "stdin_open",
                                            "stop_signal",
                                            "storage_opt",
                                            "sysctls",
                                            "tmpfs",
                                            "tty",
                                            "ulimits",
                                            "use_api_socket",
                                            "userns_mode",
                                            "uts",
                                            "volumes_from",
                                            NULL};

static wctr_err service_value(lctx *c, const cy_pair *p, const char *name, svc_work *wk, bool *handled) {
  compose_service *s = &wk->s;
  *handled = true;
  const cy_node *v = p->value;
  const char *k = p->key;
  if (strcmp(k, "image") == 0) return set_string(c, v, &s->image);
  if (strcmp(k, "command") == 0) return convert_command(c, v, &s->command);
  if (strcmp(k, "entrypoint") == 0) return convert_command(c, v, &s->entrypoint);
  if (strcmp(k, "environment") == 0) return convert_pairs(c, v, &wk->env, false);
  if (strcmp(k, "env_file") == 0) return convert_env_file(c, v, wk);
  if (strcmp(k, "labels") == 0) return convert_pairs(c, v, &wk->labels, true);
  if (strcmp(k, "working_dir") == 0) {
    wctr_err err = set_string(c, v, &s->working_dir);
    if (err == WCTR_OK && s->working_dir[0] != '\0' && !cc_path_is_abs(s->working_dir)) {
      /* Docker's sentence: the daemon would refuse it too. */
      char q[CC_QUOTE_SIZE];
      err = lfail(c, v, "the working directory '%s' is invalid, it needs to be an absolute path",
                  bare(q, sizeof q, s->working_dir));
    }
    return err;
  }
  if (strcmp(k, "user") == 0) return set_string(c, v, &s->user);
  if (strcmp(k, "hostname") == 0) return set_string(c, v, &s->hostname);
  if (strcmp(k, "container_name") == 0) {
    wctr_err err = set_string(c, v, &s->container_name);
    /* Docker's container name rule, checked here so that up fails before anything exists. */
    bool ok = err != WCTR_OK || (s->container_name != NULL && strlen(s->container_name) >= 2);
    for (size_t i = 0; err == WCTR_OK && ok && s->container_name[i] != '\0'; i++) {
      char ch = s->container_name[i];
      ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (i > 0 && (ch == '_' || ch == '.' || ch == '-'));
    }
    if (err == WCTR_OK && !ok) {
      char q[CC_QUOTE_SIZE];
      err = lfail(c, v, "invalid container name %s: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                  cc_quote(q, sizeof q, s->container_name != NULL ? s->container_name : ""));
    }
    return err;
  }
  if (strcmp(k, "init") == 0) {
    bool init = false;
    wctr_err err = want_bool(c, v, &init);
    /* An init process reaps zombies and forwards signals to PID 1 on Linux. Windows has neither: a job object
     * or a silo ends every process with the container, and stop is delivered by the runtime. wctr has no
     * init to run, so it says so rather than pretend; init: false is what it does anyway. */
    if (err == WCTR_OK && init) {
      err = lfail(c, v, "\"init: true\" is not supported by wctr: Windows containers have no Linux init to run (no "
                  "zombie processes to reap: a job object or a silo ends every process with the container); leave "
                  "it out or write false");
    }
    return err;
  }
  if (strcmp(k, "isolation") == 0) return convert_isolation(c, v, &s->isolation);
  if (strcmp(k, "credential_spec") == 0) return convert_credential_spec(c, v, wk, name);
  if (strcmp(k, "security_opt") == 0) return convert_security_opt(c, v, wk, name);
  bool resource = false;
  wctr_err rerr = convert_resource(c, k, v, wk, &resource);
  if (resource) return rerr;
  if (strcmp(k, "deploy") == 0) return convert_deploy(c, v, wk);
  if (strcmp(k, "secrets") == 0) return convert_grants(c, v, true, name, &s->secrets, &s->secret_count);
  if (strcmp(k, "configs") == 0) return convert_grants(c, v, false, name, &s->configs, &s->config_count);
  if (strcmp(k, "volumes") == 0) return convert_volumes(c, v, s);
  if (strcmp(k, "depends_on") == 0) return convert_depends_on(c, v, name, s);
  if (strcmp(k, "healthcheck") == 0) return convert_healthcheck(c, v, s);
  if (strcmp(k, "stop_grace_period") == 0) {
    const char *text = NULL;
    char msg[300];
    wctr_err err = want_str(c, v, &text);
    if (err != WCTR_OK) return err;
    if (!cc_parse_duration(text, &s->stop_grace_period_ns, msg, sizeof msg)) return lfail(c, v, "%s", msg);
    s->stop_grace_period_set = true;
    return WCTR_OK;
  }
  if (strcmp(k, "restart") == 0) return convert_restart(c, v, s);
  if (strcmp(k, "ports") == 0) return convert_ports(c, v, s);
  if (strcmp(k, "expose") == 0) return convert_expose(c, v, s);
  if (strcmp(k, "dns") == 0) return convert_dns(c, v, false, &s->dns, &s->dns_count);
  if (strcmp(k, "dns_search") == 0) return convert_dns(c, v, true, &s->dns_search, &s->dns_search_count);
  if (strcmp(k, "mac_address") == 0) return convert_mac(c, v, s);
  if (strcmp(k, "logging") == 0) return convert_logging(c, v, wk);
  if (strcmp(k, "network_mode") == 0) {
    wk->network_mode_given = true;
    return convert_network_mode(c, v, s);
  }
  if (strcmp(k, "networks") == 0) {
    wk->networks_given = true;
    return convert_service_networks(c, v, name, s);
  }
  *handled = false;
  return WCTR_OK;
}

/* "K=V" strings from a list, sorted by key. */
static wctr_err pairs_to_strv(lctx *c, const cc_kvlist *l, char ***out, size_t *count) {
  cc_kv *sorted = malloc((l->count + 1) * sizeof *sorted);
  if (sorted == NULL) return loom(c);
  size_t n = 0;
  for (size_t i = 0; i < l->count; i++) sorted[n++] = l->items[i];
  for (size_t i = 1; i < n; i++) {
    cc_kv t = sorted[i];
    size_t j = i;
    while (j > 0 && strcmp(sorted[j - 1].key, t.key) > 0) {
      sorted[j] = sorted[j - 1];
      j--;
    }
    sorted[j] = t;
  }
  *out = calloc(n + 1, sizeof **out);
  wctr_err err = *out != NULL ? WCTR_OK : loom(c);
  for (size_t i = 0; err == WCTR_OK && i < n; i++) {
    cc_buf b = {0};
    cc_buf_printf(&b, "%s=%s", sorted[i].key, sorted[i].value != NULL ? sorted[i].value : "");
    (*out)[i] = cc_buf_take(&b);
    if ((*out)[i] == NULL) {
      err = loom(c);
    } else {
      (*count)++;
    }
  }
  free(sorted);
  return err;
}

static wctr_err read_limited(lctx *c, const char *path, const char *shown, char **data, size_t *len) {
  wctr_errmsg re;
  wctr_errmsg_clear(&re);
  *data = NULL;
  *len = 0;
  wctr_err err = c->opt->read_file(c->opt->ctx, path, data, len, &re);
  if (err != WCTR_OK) {
    free(*data);
    *data = NULL;
    if (err == WCTR_ENOENT) return wctr_fail(c->e, err, "%s: no such file", shown);
    return wctr_fail(c->e, err, "%s: cannot read: %s", shown, re.text[0] != '\0' ? re.text : wctr_strerror(err));
  }
  if (*len > COMPOSE_MAX_FILE_BYTES) {
    free(*data);
    *data = NULL;
    return wctr_fail(c->e, WCTR_ETOOBIG, "%s: larger than %u bytes", shown, COMPOSE_MAX_FILE_BYTES);
  }
  return WCTR_OK;
}

/* The service's environment: env files in order, then environment, nulls from the environment. */
static wctr_err final_environment(lctx *c, svc_work *wk) {
  cc_kvlist merged = {0};
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < wk->env_file_count; i++) {
    char *data;
    size_t len;
    err = read_limited(c, wk->env_files[i], wk->env_files[i], &data, &len);
    if (err == WCTR_ENOENT) {
      size_t mark = cc_path_key(&c->path, "env_file");
      err = lfailc(c, WCTR_ENOENT, wk->env_file_node, "env file %s not found", wk->env_files[i]);
      cc_path_pop(&c->path, mark);
      break;
    }
    if (err != WCTR_OK) break;
    cc_kvlist vars;
    err = cc_dotenv_parse(wk->env_files[i], data, len, &c->env, c->w, &vars, c->e);
    free(data);
    for (size_t k = 0; err == WCTR_OK && k < vars.count; k++) {
      if (!cc_kvlist_set(&merged, vars.items[k].key, vars.items[k].value)) err = loom(c);
    }
    cc_kvlist_free(&vars);
  }
  for (size_t i = 0; err == WCTR_OK && i < wk->env.count; i++) {
    const cc_kv *kv = &wk->env.items[i];
    const char *value = kv->value != NULL ? kv->value : cc_env_get(&c->env, kv->key);
    if (value == NULL) {
      /* Not set anywhere: the variable is left out, also when an env file had it (compose). */
      for (size_t k = 0; k < merged.count; k++) {
        if (strcmp(merged.items[k].key, kv->key) == 0) {
          free(merged.items[k].key);
          free(merged.items[k].value);
          memmove(&merged.items[k], &merged.items[k + 1], (merged.count - k - 1) * sizeof merged.items[0]);
          merged.count--;
          break;
        }
      }
      continue;
    }
    if (!cc_kvlist_set(&merged, kv->key, value)) err = loom(c);
  }
  if (err == WCTR_OK) err = pairs_to_strv(c, &merged, &wk->s.environment, &wk->s.environment_count);
  cc_kvlist_free(&merged);
  return err;
}

/* Resources after both spellings are in: compose's conflict rule, then spec_resources_check. */
static wctr_err final_resources(lctx *c, svc_work *wk, const cy_node *svc) {
  compose_service *s = &wk->s;
  for (size_t i = 0; i < spec_resource_field_count && i < RES_MAX; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    if (wk->res_set[i] && wk->dres_set[i] && wk->res[i] != wk->dres[i]) {
      return lfail(c, wk->res_node[i] != NULL ? wk->res_node[i] : svc,
                   "can't set distinct values on '%s' and 'deploy.resources.limits.%s'", f->compose, deploy_key(f));
    }
    *spec_resource_value(&s->resources, f) = wk->res_set[i] ? wk->res[i] : wk->dres_set[i] ? wk->dres[i] : 0;
  }
  /* The host's size is not known here: any CPU amount passes the range check, which `up` repeats with the
   * real number. */
  spec_resources effective;
  spec_warnings jw;
  memset(&jw, 0, sizeof jw);
  wctr_errmsg je;
  wctr_errmsg_clear(&je);
  wctr_isolation iso = s->isolation != WCTR_ISOLATION_DEFAULT ? s->isolation : WCTR_ISOLATION_PROCESS;
  if (spec_resources_check(&s->resources, iso, INT_MAX, &effective, &jw, &je) != WCTR_OK) {
    return lfail(c, svc, "%s", je.text);
  }
  if (s->isolation != WCTR_ISOLATION_DEFAULT) {
    for (size_t i = 0; i < jw.count; i++) cc_warn(c->w, "%s: %s", c->path.text, jw.text[i]);
  }
  return WCTR_OK;
}

static wctr_err convert_service(lctx *c, const char *name, const cy_node *svc, svc_work *wk) {
  memset(wk, 0, sizeof *wk);
  wctr_err err = want_map(c, svc);
  for (size_t i = 0; err == WCTR_OK && i < svc->count; i++) {
    const cy_pair *p = &svc->pairs[i];
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    bool handled;
    err = service_value(c, p, name, wk, &handled);
    cc_path_pop(&c->path, mark);
    if (!handled) err = other_key(c, p, service_known, true);
  }
  if (err != WCTR_OK || !c->final) return err;
  if (wk->s.image == NULL || wk->s.image[0] == '\0') return lfail(c, svc, "service \"%s\" has no image", name);
  if (wk->network_mode_given && wk->networks_given) {
    return lfail(c, svc, "service \"%s\" declares mutually exclusive `network_mode` and `networks`", name);
  }
  /* compose's default network, but for a job container: it has the host's (spec/network.h). */
  if (wk->s.network_mode == NULL && wk->s.network == NULL && wk->s.isolation != WCTR_ISOLATION_JOB) {
    wk->s.network = cc_strdup("default");
    if (wk->s.network == NULL) return loom(c);
  }
  err = final_environment(c, wk);
  if (err == WCTR_OK) err = pairs_to_strv(c, &wk->labels, &wk->s.labels, &wk->s.label_count);
  if (err == WCTR_OK) err = pairs_to_strv(c, &wk->log_opts, &wk->s.log_opts, &wk->s.log_opt_count);
  if (err == WCTR_OK) err = final_resources(c, wk, svc);
  return err;
}

/* ---- Top level ------------------------------------------------------------------------------------------ */

static bool valid_resource_name(const char *s) {
  if (s[0] == '\0') return false;
  for (; *s != '\0'; s++) {
    char ch = *s;
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
          ch == '_' || ch == '-')) {
      return false;
    }
  }
  return true;
}

/* secrets: / configs: at the top level. out may be NULL (checking only). */
static wctr_err convert_resources(lctx *c, const cy_node *n, bool secrets, compose_resource **out,
                                  size_t *count) {
  static const char *const secret_known[] = {"name",   "environment", "external",        "labels",
                                             "driver", "driver_opts", "template_driver", NULL};
  static const char *const config_known[] = {"name",   "content",         "environment", "external",
                                             "labels", "template_driver", NULL};
  char q[CC_QUOTE_SIZE];
  wctr_err err = want_map(c, n);
  if (err != WCTR_OK) return err;
  if (out != NULL) {
    *out = calloc(n->count + 1, sizeof **out);
    if (*out == NULL) return loom(c);
  }
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (!valid_resource_name(p->key)) {
      return lfail(c, p->value, "invalid %s name %s: use letters, digits, '.', '_' and '-'",
                   secrets ? "secret" : "config", cc_quote(q, sizeof q, p->key));
    }
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    const char *file = NULL;
    const cy_node *def = p->value;
    err = want_map(c, def);
    for (size_t k = 0; err == WCTR_OK && k < def->count; k++) {
      const cy_pair *dp = &def->pairs[k];
      if (deferred(c, dp->value)) continue;
      if (strcmp(dp->key, "file") == 0) {
        size_t m2 = cc_path_key(&c->path, "file");
        err = want_str(c, dp->value, &file);
        if (err == WCTR_OK && file[0] == '\0') err = lfail(c, dp->value, "the path is empty");
        cc_path_pop(&c->path, m2);
      } else {
        err = other_key(c, dp, secrets ? secret_known : config_known, true);
      }
    }
    if (err == WCTR_OK && c->final && file == NULL) err = lfail(c, def, "\"file\" is required");
    if (err == WCTR_OK && out != NULL) {
      (*out)[*count].name = cc_strdup(p->key);
      (*out)[*count].file = cc_path_join(c->project_dir, file);
      if ((*out)[*count].name == NULL || (*out)[*count].file == NULL) {
        free((*out)[*count].name);
        free((*out)[*count].file);
        err = loom(c);
      } else {
        (*count)++;
      }
    }
    cc_path_pop(&c->path, mark);
  }
  return err;
}

static int cmp_resource(const void *a, const void *b) {
  return strcmp(((const compose_resource *)a)->name, ((const compose_resource *)b)->name);
}


/* volumes: at the top: NAME: null | {driver: local, labels, external, name}. */
static wctr_err convert_top_volumes(lctx *c, const cy_node *n, compose_project *project) {
  static const char *const known[] = {"driver_opts", NULL};
  char q[CC_QUOTE_SIZE];
  wctr_err err = want_map(c, n);
  if (err != WCTR_OK) return err;
  if (project != NULL) {
    project->volumes = calloc(n->count + 1, sizeof *project->volumes);
    if (project->volumes == NULL) return loom(c);
  }
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (!valid_resource_name(p->key)) {
      return lfail(c, p->value, "invalid volume name %s: use letters, digits, '.', '_' and '-'",
                   cc_quote(q, sizeof q, p->key));
    }
    if (p->value->tags & CY_TAG_RESET) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    const cy_node *def = p->value;
    const char *name = NULL;
    bool external = false;
    cc_kvlist labels;
    memset(&labels, 0, sizeof labels);
    if (!is_null(def)) err = want_map(c, def);
    for (size_t k = 0; err == WCTR_OK && !is_null(def) && k < def->count; k++) {
      const cy_pair *dp = &def->pairs[k];
      if (deferred(c, dp->value)) continue;
      size_t m2 = cc_path_key(&c->path, dp->key);
      if (strcmp(dp->key, "driver") == 0) {
        const char *driver = NULL;
        err = want_str(c, dp->value, &driver);
        if (err == WCTR_OK && strcmp(driver, "local") != 0) {
          err = lfail(c, dp->value, "driver %s is not supported by wctr (only local)", cc_quote(q, sizeof q, driver));
        }
      } else if (strcmp(dp->key, "name") == 0) {
        err = want_str(c, dp->value, &name);
      } else if (strcmp(dp->key, "external") == 0) {
        err = want_bool(c, dp->value, &external);
      } else if (strcmp(dp->key, "labels") == 0) {
        err = convert_pairs(c, dp->value, &labels, true);
      } else if (strcmp(dp->key, "driver_opts") == 0) {
        err = lfail(c, dp->value, "\"driver_opts\" is not supported by wctr (Docker's local driver on Windows takes "
                    "no options)");
      } else {
        cc_path_pop(&c->path, m2);
        err = other_key(c, dp, known, true);
        continue;
      }
      cc_path_pop(&c->path, m2);
    }
    if (err == WCTR_OK && project != NULL) {
      compose_volume *v = &project->volumes[project->volume_count];
      v->key = cc_strdup(p->key);
      v->name = name != NULL ? cc_strdup(name) : NULL;
      v->external = external;
      if (v->key == NULL || (name != NULL && v->name == NULL)) err = loom(c);
      if (err == WCTR_OK) err = pairs_to_strv(c, &labels, &v->labels, &v->label_count);
      project->volume_count++;
    }
    cc_kvlist_free(&labels);
    cc_path_pop(&c->path, mark);
  }
  return err;
}

static int cmp_volume(const void *a, const void *b) {
  return strcmp(((const compose_volume *)a)->key, ((const compose_volume *)b)->key);
}

/* An IPv4 CIDR, "A.B.C.D/N". */
static bool v4_cidr(const char *s) {
  const char *slash = strchr(s, '/');
  if (slash == NULL || slash == s || (size_t)(slash - s) >= 16) return false;
  char addr[16];
  memcpy(addr, s, (size_t)(slash - s));
  addr[slash - s] = '\0';
  bool v6 = false;
  if (!spec_ip_parse(addr, NULL, &v6) || v6) return false;
  const char *d = slash + 1;
  size_t len = strlen(d);
  if (len == 0 || len > 2) return false;
  int bits = 0;
  for (; *d != '\0'; d++) {
    if (*d < '0' || *d > '9') return false;
    bits = bits * 10 + (*d - '0');
  }
  return bits <= 32;
}

/* ipam: {driver: default, config: [{subnet, gateway}]}: one subnet, which wctrd gives HNS. */
static wctr_err convert_ipam(lctx *c, const cy_node *n, const char **subnet, const char **gateway) {
  static const char *const ipam_known[] = {"options", NULL};
  static const char *const config_known[] = {"aux_addresses", "ip_range", NULL};
  char q[CC_QUOTE_SIZE];
  wctr_err err = want_map(c, n);
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    if (strcmp(p->key, "driver") == 0) {
      const char *driver = NULL;
      err = want_str(c, p->value, &driver);
      if (err == WCTR_OK && strcmp(driver, "default") != 0) {
        err = lfail(c, p->value, "IPAM driver %s is not supported by wctr (HNS assigns the addresses)",
                    cc_quote(q, sizeof q, driver));
      }
    } else if (strcmp(p->key, "config") == 0) {
      const cy_node *list = p->value;
      err = want_seq(c, list);
      if (err == WCTR_OK && list->count > 1) {
        err = lfail(c, list, "%zu subnets: a network wctr creates has one", list->count);
      }
      for (size_t k = 0; err == WCTR_OK && k < list->count; k++) {
        const cy_node *cfg = list->items[k];
        size_t m2 = cc_path_index(&c->path, k);
        err = want_map(c, cfg);
        for (size_t j = 0; err == WCTR_OK && j < cfg->count; j++) {
          const cy_pair *cp = &cfg->pairs[j];
          if (deferred(c, cp->value)) continue;
          size_t m3 = cc_path_key(&c->path, cp->key);
          if (strcmp(cp->key, "subnet") == 0) {
            err = want_str(c, cp->value, subnet);
            if (err == WCTR_OK && !v4_cidr(*subnet)) {
              err = lfail(c, cp->value, "invalid subnet %s: an IPv4 CIDR such as 172.30.0.0/16",
                          cc_quote(q, sizeof q, *subnet));
            }
          } else if (strcmp(cp->key, "gateway") == 0) {
            bool v6 = false;
            err = want_str(c, cp->value, gateway);
            if (err == WCTR_OK && (!spec_ip_parse(*gateway, NULL, &v6) || v6)) {
              err = lfail(c, cp->value, "invalid gateway %s: an IPv4 address", cc_quote(q, sizeof q, *gateway));
            }
          } else {
            cc_path_pop(&c->path, m3);
            err = other_key(c, cp, config_known, true);
            continue;
          }
          cc_path_pop(&c->path, m3);
        }
        cc_path_pop(&c->path, m2);
      }
    } else {
      cc_path_pop(&c->path, mark);
      err = other_key(c, p, ipam_known, true);
      continue;
    }
    cc_path_pop(&c->path, mark);
  }
  if (err == WCTR_OK && *gateway != NULL && *subnet == NULL) err = lfail(c, n, "a gateway needs its subnet");
  return err;
}

static void network_free(compose_network *n) {
  free(n->key);
  free(n->name);
  free(n->subnet);
  free(n->gateway);
  strv_free(n->labels, n->label_count);
  memset(n, 0, sizeof *n);
}

/* One top-level network (null: every default). out may be NULL (checking only). */
static wctr_err convert_network(lctx *c, const char *key, const cy_node *def, compose_network *out) {
  static const char *const known[] = {"attachable", "driver_opts", "enable_ipv4", "enable_ipv6", "internal", NULL};
  char q[CC_QUOTE_SIZE];
  const char *name = NULL, *subnet = NULL, *gateway = NULL, *conflict = NULL;
  bool external = false;
  cc_kvlist labels = {0};
  wctr_err err = is_null(def) ? WCTR_OK : want_map(c, def);
  for (size_t i = 0; err == WCTR_OK && def->kind == CY_MAP && i < def->count; i++) {
    const cy_pair *p = &def->pairs[i];
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    if (strcmp(p->key, "name") == 0) {
      err = want_str(c, p->value, &name);
      if (err == WCTR_OK && !spec_network_name_valid(name)) {
        err = lfail(c, p->value, "invalid network name %s: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d characters",
                    cc_quote(q, sizeof q, name), SPEC_NETWORK_NAME_MAX);
      }
    } else if (strcmp(p->key, "external") == 0) {
      err = p->value->kind == CY_MAP ? lfail(c, p->value, "the {name: ...} form is not supported by wctr: write "
                                                          "external: true and name: NAME")
                                     : want_bool(c, p->value, &external);
    } else if (strcmp(p->key, "driver") == 0) {
      const char *driver = NULL;
      err = want_str(c, p->value, &driver);
      if (err == WCTR_OK && !ascii_ieq(driver, "nat")) {
        err = lfail(c, p->value, "driver %s is not supported by wctr: it creates nat networks",
                    cc_quote(q, sizeof q, driver));
      }
      conflict = "driver";
    } else if (strcmp(p->key, "ipam") == 0) {
      err = convert_ipam(c, p->value, &subnet, &gateway);
      conflict = "ipam";
    } else if (strcmp(p->key, "labels") == 0) {
      err = convert_pairs(c, p->value, &labels, true);
      for (size_t k = 0; err == WCTR_OK && k < labels.count; k++) {
        if (strncmp(labels.items[k].key, "com.docker.compose.", strlen("com.docker.compose.")) == 0) {
          err = lfail(c, p->value, "%s: com.docker.compose.* labels are set by wctr compose",
                      bare(q, sizeof q, labels.items[k].key));
        }
      }
      conflict = "labels";
    } else {
      cc_path_pop(&c->path, mark);
      err = other_key(c, p, known, true);
      continue;
    }
    cc_path_pop(&c->path, mark);
  }
  if (err == WCTR_OK && external && conflict != NULL) {
    err = lfail(c, def, "conflicting parameters \"external\" and \"%s\" specified for network \"%s\"", conflict,
                bare(q, sizeof q, key));
  }
  if (err == WCTR_OK && out != NULL) {
    cc_buf b = {0};
    if (name != NULL) {
      cc_buf_puts(&b, name);
    } else if (external) {
      cc_buf_puts(&b, key);
    } else {
      cc_buf_printf(&b, "%s_%s", c->project_name, key);
    }
    out->name = cc_buf_take(&b);
    out->key = cc_strdup(key);
    out->external = external;
    out->subnet = subnet != NULL ? cc_strdup(subnet) : NULL;
    out->gateway = gateway != NULL ? cc_strdup(gateway) : NULL;
    if (out->name == NULL || out->key == NULL || (subnet != NULL && out->subnet == NULL) ||
        (gateway != NULL && out->gateway == NULL)) {
      err = loom(c);
    }
    if (err == WCTR_OK) err = pairs_to_strv(c, &labels, &out->labels, &out->label_count);
    if (err == WCTR_OK && !spec_network_name_valid(out->name)) {
      err = lfail(c, def, "the network's name %s is not one Docker allows ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most %d "
                  "characters); give one with name:", cc_quote(q, sizeof q, out->name), SPEC_NETWORK_NAME_MAX);
    }
  }
  cc_kvlist_free(&labels);
  return err;
}

/* networks: at the top level. Every one is checked; project->networks gets them all here, and
 * final_networks keeps those services join. */
static wctr_err convert_networks(lctx *c, const cy_node *n, compose_project *project) {
  char q[CC_QUOTE_SIZE];
  wctr_err err = want_map(c, n);
  if (err == WCTR_OK && project != NULL) {
    project->networks = calloc(n->count + 1, sizeof *project->networks);
    if (project->networks == NULL) return loom(c);
  }
  for (size_t i = 0; err == WCTR_OK && i < n->count; i++) {
    const cy_pair *p = &n->pairs[i];
    if (!valid_resource_name(p->key)) {
      return lfail(c, p->value, "invalid network name %s: use letters, digits, '.', '_' and '-'",
                   cc_quote(q, sizeof q, p->key));
    }
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    compose_network *out = project != NULL ? &project->networks[project->network_count] : NULL;
    err = convert_network(c, p->key, p->value, out);
    if (out != NULL) {
      if (err == WCTR_OK) {
        project->network_count++;
      } else {
        network_free(out);
      }
    }
    cc_path_pop(&c->path, mark);
  }
  return err;
}

static int cmp_network(const void *a, const void *b) {
  return strcmp(((const compose_network *)a)->key, ((const compose_network *)b)->key);
}

/* The ports entry list of a service in the merged document, for messages. */
static const cy_node *ports_node(const lctx *c, const char *service) {
  const cy_pair *all = cy_map_get(c->root, "services");
  const cy_pair *svc = all != NULL && all->value->kind == CY_MAP ? cy_map_get(all->value, service) : NULL;
  const cy_pair *ports = svc != NULL && svc->value->kind == CY_MAP ? cy_map_get(svc->value, "ports") : NULL;
  return ports != NULL ? ports->value : NULL;
}

/* After the services: the networks they join (the "default" one added when used and not declared), the
 * rest dropped, and one host port published once in the project (Docker would refuse the second at start,
 * after the first container exists). */
static wctr_err final_networks(lctx *c, compose_project *p) {
  compose_network *kept = calloc(p->network_count + 2, sizeof *kept);
  size_t count = 0;
  if (kept == NULL) return loom(c);
  bool default_used = false;
  for (size_t i = 0; i < p->service_count; i++) {
    if (p->services[i].network != NULL && strcmp(p->services[i].network, "default") == 0) default_used = true;
  }
  bool default_declared = false;
  for (size_t i = 0; i < p->network_count; i++) {
    compose_network *n = &p->networks[i];
    bool used = false;
    for (size_t k = 0; k < p->service_count && !used; k++) {
      used = p->services[k].network != NULL && strcmp(p->services[k].network, n->key) == 0;
    }
    if (strcmp(n->key, "default") == 0) default_declared = true;
    if (used) {
      kept[count++] = *n;
    } else {
      network_free(n);
    }
  }
  free(p->networks);
  p->networks = kept;
  p->network_count = count;
  if (default_used && !default_declared) {
    compose_network *d = &p->networks[p->network_count];
    cc_buf b = {0};
    cc_buf_printf(&b, "%s_default", p->name);
    d->name = cc_buf_take(&b);
    d->key = cc_strdup("default");
    if (d->name == NULL || d->key == NULL) {
      network_free(d);
      return loom(c);
    }
    p->network_count++;
  }
  if (p->network_count > 1) qsort(p->networks, p->network_count, sizeof *p->networks, cmp_network);
  /* Host ports: owner[proto][port] = 1 + the service's index. */
  uint32_t *owner = calloc(2u * 65536u, sizeof *owner);
  if (owner == NULL) return loom(c);
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < p->service_count; i++) {
    const compose_service *s = &p->services[i];
    for (size_t k = 0; err == WCTR_OK && k < s->port_count; k++) {
      const spec_port *port = &s->ports[k];
      if (port->host_port == 0) continue;
      uint32_t *slot = &owner[(port->proto == SPEC_PROTO_UDP ? 65536u : 0u) + port->host_port];
      if (*slot == 0) {
        *slot = (uint32_t)i + 1u;
        continue;
      }
      const cy_node *where = ports_node(c, s->name);
      size_t mark = cc_path_key(&c->path, "services");
      cc_path_key(&c->path, s->name);
      cc_path_key(&c->path, "ports");
      const compose_service *other = &p->services[*slot - 1u];
      if (where != NULL && other == s) {
        err = lfail(c, where, "Bind for 0.0.0.0:%u failed: port is already allocated (by another entry)",
                    (unsigned)port->host_port);
      } else if (where != NULL) {
        err = lfail(c, where, "Bind for 0.0.0.0:%u failed: port is already allocated (services.%s publishes it too)",
                    (unsigned)port->host_port, other->name);
      } else {
        err = wctr_fail(c->e, WCTR_EINVAL, "services.%s.ports: Bind for 0.0.0.0:%u failed: port is already allocated",
                        s->name, (unsigned)port->host_port);
      }
      cc_path_pop(&c->path, mark);
    }
  }
  free(owner);
  return err;
}

static const char *const top_known[] = {"include", "models", NULL};

/* Checks one document (final == false) or converts the merged one (final == true, into *project). */
static wctr_err convert_document(lctx *c, const cy_node *root, compose_project *project) {
  wctr_err err = WCTR_OK;
  const cy_node *services = NULL;
  for (size_t i = 0; err == WCTR_OK && i < root->count; i++) {
    const cy_pair *p = &root->pairs[i];
    if (deferred(c, p->value)) continue;
    size_t mark = cc_path_key(&c->path, p->key);
    if (strcmp(p->key, "name") == 0) {
      const char *name = NULL;
      err = want_str(c, p->value, &name);
    } else if (strcmp(p->key, "services") == 0) {
      err = want_map(c, p->value);
      services = p->value;
    } else if (strcmp(p->key, "volumes") == 0) {
      err = convert_top_volumes(c, p->value, project);
    } else if (strcmp(p->key, "networks") == 0) {
      err = convert_networks(c, p->value, project);
    } else if (strcmp(p->key, "secrets") == 0 || strcmp(p->key, "configs") == 0) {
      bool secrets = p->key[0] == 's';
      err = convert_resources(
          c, p->value, secrets, project != NULL ? (secrets ? &project->secrets : &project->configs) : NULL,
          project != NULL ? (secrets ? &project->secret_count : &project->config_count) : NULL);
    } else {
      cc_path_pop(&c->path, mark);
      err = other_key(c, p, top_known, true);
      continue;
    }
    cc_path_pop(&c->path, mark);
  }
  if (err != WCTR_OK || services == NULL) return err;
  size_t mark = cc_path_key(&c->path, "services");
  if (project != NULL) {
    project->services = calloc(services->count + 1, sizeof *project->services);
    if (project->services == NULL) err = loom(c);
  }
  for (size_t i = 0; err == WCTR_OK && i < services->count; i++) {
    const cy_pair *p = &services->pairs[i];
    if (!valid_resource_name(p->key)) {
      char q[CC_QUOTE_SIZE];
      err = lfail(c, p->value, "invalid service name %s: use letters, digits, '.', '_' and '-'",
                  cc_quote(q, sizeof q, p->key));
      break;
    }
    if (deferred(c, p->value)) continue;
    size_t m2 = cc_path_key(&c->path, p->key);
    svc_work wk;
    err = convert_service(c, p->key, p->value, &wk);
    if (err == WCTR_OK && project != NULL) {
      wk.s.name = cc_strdup(p->key);
      if (wk.s.name == NULL) err = loom(c);
      project->services[project->service_count++] = wk.s;
      memset(&wk.s, 0, sizeof wk.s);
    }
    work_free(&wk);
    cc_path_pop(&c->path, m2);
  }
  cc_path_pop(&c->path, mark);
  return err;
}

/* ---- Order ------------------------------------------------------------------------------------------------ */

/* The depends_on graph with names resolved to indexes once, so that ordering stays O((n + e) log n) for
 * any number of services. rank[i] is service i's place in name order. */
typedef struct graph {
  size_t n;
  size_t *by_name;   /* service indexes sorted by name */
  size_t *rank;      /* by_name's inverse */
  size_t *dep_start; /* deps of service i: deps[dep_start[i] .. dep_start[i + 1]) */
  size_t *deps;
} graph;

typedef struct named_index {
  const char *name;
  size_t index;
} named_index;

static int cmp_named_index(const void *a, const void *b) {
  return strcmp(((const named_index *)a)->name, ((const named_index *)b)->name);
}

static void graph_free(graph *g) {
  free(g->by_name);
  free(g->rank);
  free(g->dep_start);
  free(g->deps);
  memset(g, 0, sizeof *g);
}

static size_t graph_find(const graph *g, const compose_project *p, const char *name) {
  size_t lo = 0, hi = g->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(p->services[g->by_name[mid]].name, name);
    if (c == 0) return g->by_name[mid];
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return SIZE_MAX;
}

static wctr_err graph_build(lctx *c, const compose_project *p, graph *g) {
  memset(g, 0, sizeof *g);
  size_t n = p->service_count, e = 0;
  for (size_t i = 0; i < n; i++) e += p->services[i].depends_on_count;
  g->n = n;
  g->by_name = malloc((n + 1) * sizeof *g->by_name);
  g->rank = malloc((n + 1) * sizeof *g->rank);
  g->dep_start = malloc((n + 1) * sizeof *g->dep_start);
  g->deps = malloc((e + 1) * sizeof *g->deps);
  if (g->by_name == NULL || g->rank == NULL || g->dep_start == NULL || g->deps == NULL) {
    graph_free(g);
    return loom(c);
  }
  named_index *order = malloc((n + 1) * sizeof *order);
  if (order == NULL) {
    graph_free(g);
    return loom(c);
  }
  for (size_t i = 0; i < n; i++) {
    order[i].name = p->services[i].name;
    order[i].index = i;
  }
  if (n > 1) qsort(order, n, sizeof *order, cmp_named_index);
  for (size_t r = 0; r < n; r++) {
    g->by_name[r] = order[r].index;
    g->rank[order[r].index] = r;
  }
  free(order);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    g->dep_start[i] = k;
    /* Every name was checked against services already; depends_on is sorted, so deps are in name order. */
    for (size_t d = 0; d < p->services[i].depends_on_count; d++) {
      size_t at = graph_find(g, p, p->services[i].depends_on[d]);
      if (at != SIZE_MAX) g->deps[k++] = at;
    }
  }
  g->dep_start[n] = k;
  return WCTR_OK;
}

/* compose's cycle check, in name order so that the message is always the same:
 * "dependency cycle detected: a -> b -> a". Iterative, so a long chain cannot exhaust the stack. */
static wctr_err check_cycles(lctx *c, const compose_project *p, const graph *g, const cy_node *services) {
  size_t n = g->n;
  wctr_err err = WCTR_OK;
  unsigned char *color = calloc(n + 1, 1);
  size_t *stack = malloc((n + 1) * sizeof *stack);
  size_t *next = calloc(n + 1, sizeof *next);
  if (color == NULL || stack == NULL || next == NULL) {
    err = loom(c);
    goto done;
  }
  for (size_t r = 0; r < n && err == WCTR_OK; r++) {
    size_t root = g->by_name[r];
    if (color[root] != 0) continue;
    size_t depth = 0;
    stack[depth++] = root;
    color[root] = 1;
    while (depth > 0 && err == WCTR_OK) {
      size_t v = stack[depth - 1];
      if (g->dep_start[v] + next[v] >= g->dep_start[v + 1]) {
        color[v] = 2;
        depth--;
        continue;
      }
      size_t child = g->deps[g->dep_start[v] + next[v]++];
      if (color[child] == 2) continue;
      if (color[child] == 0) {
        color[child] = 1;
        stack[depth++] = child;
        continue;
      }
      /* child is on the stack: the cycle runs from it to v and back. */
      cc_buf b = {0};
      size_t from = 0;
      while (stack[from] != child) from++;
      for (size_t k = from; k < depth; k++) cc_buf_printf(&b, "%s -> ", p->services[stack[k]].name);
      cc_buf_puts(&b, p->services[child].name);
      char *text = cc_buf_take(&b);
      if (text == NULL) {
        err = loom(c);
        break;
      }
      const cy_pair *sp = cy_map_get(services, p->services[child].name);
      size_t mark = cc_path_key(&c->path, "services");
      cc_path_key(&c->path, p->services[child].name);
      cc_path_key(&c->path, "depends_on");
      err = lfail(c, sp != NULL ? sp->value : services, "dependency cycle detected: %s", text);
      cc_path_pop(&c->path, mark);
      free(text);
    }
  }
done:
  free(color);
  free(stack);
  free(next);
  return err;
}

/* Start order: a service after everything it depends on; among those ready, the smallest name first
 * (Kahn's algorithm over a binary heap of ranks). */
static wctr_err order_services(lctx *c, compose_project *p, const graph *g) {
  size_t n = g->n, e = g->dep_start[n];
  wctr_err err = WCTR_OK;
  compose_service *sorted = calloc(n + 1, sizeof *sorted);
  size_t *waiting = calloc(n + 1, sizeof *waiting);       /* deps not placed yet */
  size_t *user_start = calloc(n + 2, sizeof *user_start); /* who depends on service d */
  size_t *users = malloc((e + 1) * sizeof *users);
  size_t *heap = malloc((n + 1) * sizeof *heap); /* ranks of ready services */
  if (sorted == NULL || waiting == NULL || user_start == NULL || users == NULL || heap == NULL) {
    err = loom(c);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    waiting[i] = g->dep_start[i + 1] - g->dep_start[i];
    for (size_t k = g->dep_start[i]; k < g->dep_start[i + 1]; k++) user_start[g->deps[k] + 2]++;
  }
  for (size_t d = 0; d < n; d++) user_start[d + 2] += user_start[d + 1];
  for (size_t i = 0; i < n; i++) {
    for (size_t k = g->dep_start[i]; k < g->dep_start[i + 1]; k++) users[user_start[g->deps[k] + 1]++] = i;
  }
  size_t heap_len = 0;
  for (size_t i = 0; i < n; i++) {
    if (waiting[i] != 0) continue;
    size_t at = heap_len++;
    heap[at] = g->rank[i];
    while (at > 0 && heap[(at - 1) / 2] > heap[at]) {
      size_t t = heap[at];
      heap[at] = heap[(at - 1) / 2];
      heap[(at - 1) / 2] = t;
      at = (at - 1) / 2;
    }
  }
  size_t placed = 0;
  while (heap_len > 0) {
    size_t v = g->by_name[heap[0]];
    heap[0] = heap[--heap_len];
    for (size_t at = 0;;) {
      size_t l = 2 * at + 1, r = l + 1, m = at;
      if (l < heap_len && heap[l] < heap[m]) m = l;
      if (r < heap_len && heap[r] < heap[m]) m = r;
      if (m == at) break;
      size_t t = heap[at];
      heap[at] = heap[m];
      heap[m] = t;
      at = m;
    }
    sorted[placed++] = p->services[v];
    for (size_t k = user_start[v]; k < user_start[v + 1]; k++) {
      size_t u = users[k];
      if (--waiting[u] != 0) continue;
      size_t at = heap_len++;
      heap[at] = g->rank[u];
      while (at > 0 && heap[(at - 1) / 2] > heap[at]) {
        size_t t = heap[at];
        heap[at] = heap[(at - 1) / 2];
        heap[(at - 1) / 2] = t;
        at = (at - 1) / 2;
      }
    }
  }
  if (placed != n) {
    /* Unreachable: check_cycles ran first. Keep the project whole rather than lose services. */
    err = wctr_fail(c->e, WCTR_EINTERNAL, "cannot order the services (a dependency cycle was missed)");
    goto done;
  }
  free(p->services);
  p->services = sorted;
  sorted = NULL;
done:
  free(sorted);
  free(waiting);
  free(user_start);
  free(users);
  free(heap);
  return err;
}

/* ---- Loading -------------------------------------------------------------------------------------------- */

static bool holds_raw_spec(const char *s) {
  for (; *s != '\0'; s++) {
    if ((s[0] | 0x20) == 'r' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'w' && strncmp(s + 3, "://", 3) == 0) {
      return true;
    }
  }
  return false;
}

static wctr_err interpolate_tree(lctx *c, cy_node *n) {
  if (n->tags & CY_TAG_RESET) return WCTR_OK;
  if (n->kind == CY_SCALAR) {
    if (n->type != CY_STR || strchr(n->text, '$') == NULL) return WCTR_OK;
    char *out;
    char msg[400];
    /* A raw:// credential spec may hold a password: name it instead of quoting it. */
    const char *shown = holds_raw_spec(n->text) ? "this value (it holds a raw:// credential spec)" : NULL;
    wctr_err err = cc_interpolate(n->text, shown, &c->env, c->w, &out, msg, sizeof msg);
    if (err == WCTR_ENOMEM) return loom(c);
    if (err != WCTR_OK) return lfail(c, n, "%s", msg);
    free(n->text);
    n->text = out;
    return WCTR_OK;
  }
  for (size_t i = 0; i < n->count; i++) {
    size_t mark = n->kind == CY_MAP ? cc_path_key(&c->path, n->pairs[i].key) : cc_path_index(&c->path, i);
    wctr_err err = interpolate_tree(c, n->kind == CY_MAP ? n->pairs[i].value : n->items[i]);
    cc_path_pop(&c->path, mark);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

typedef struct source_file {
  char *path;  /* resolved */
  char *shown; /* as given, or the resolved path of a default file */
  char *data;
  size_t len;
} source_file;

static void files_free(source_file *f, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(f[i].path);
    free(f[i].shown);
    free(f[i].data);
  }
  free(f);
}

/* The default files (see DEFAULT FILES in compose.h): read each candidate, keep the first. */
static wctr_err find_default(lctx *c, const char *const *names, bool required, source_file *out, bool *found) {
  *found = false;
  cc_buf seen = {0};
  size_t hits = 0;
  for (size_t i = 0; names[i] != NULL; i++) {
    char *path = cc_path_join(c->opt->working_dir, names[i]);
    if (path == NULL) {
      cc_buf_free(&seen);
      return loom(c);
    }
    char *data;
    size_t len;
    wctr_err err = read_limited(c, path, path, &data, &len);
    if (err == WCTR_ENOENT) {
      free(path);
      continue;
    }
    if (err != WCTR_OK) {
      free(path);
      cc_buf_free(&seen);
      return err;
    }
    cc_buf_printf(&seen, "%s%s", hits > 0 ? ", " : "", path);
    hits++;
    if (*found) {
      free(path);
      free(data);
      continue;
    }
    *found = true;
    out->path = path;
    out->shown = cc_strdup(path);
    out->data = data;
    out->len = len;
    if (out->shown == NULL) {
      cc_buf_free(&seen);
      return loom(c);
    }
  }
  wctr_errmsg_clear(c->e);
  if (hits > 1 && seen.p != NULL) {
    cc_warn(c->w, "Found multiple %s files with supported names: %s", required ? "config" : "override", seen.p);
    cc_warn(c->w, "Using %s", out->path);
  }
  cc_buf_free(&seen);
  if (required && !*found) return wctr_fail(c->e, WCTR_ENOENT, "no configuration file provided: not found");
  return WCTR_OK;
}

static wctr_err gather_files(lctx *c, source_file **files, size_t *count) {
  static const char *const defaults[] = {"compose.yaml", "compose.yml", "docker-compose.yml",
                                         "docker-compose.yaml", NULL};
  static const char *const overrides[] = {"compose.override.yml", "compose.override.yaml",
                                          "docker-compose.override.yml", "docker-compose.override.yaml", NULL};
  const compose_options *o = c->opt;
  size_t n = o->file_count > 0 ? o->file_count : 2;
  *files = calloc(n, sizeof **files);
  *count = 0;
  if (*files == NULL) return loom(c);
  if (o->file_count == 0) {
    bool found;
    wctr_err err = find_default(c, defaults, true, &(*files)[0], &found);
    if (err != WCTR_OK) return err;
    *count = 1;
    err = find_default(c, overrides, false, &(*files)[1], &found);
    if (found) *count = 2;
    return err;
  }
  for (size_t i = 0; i < o->file_count; i++) {
    source_file *f = &(*files)[i];
    if (o->files[i] == NULL || o->files[i][0] == '\0')
      return wctr_fail(c->e, WCTR_EINVAL, "a compose file name is empty");
    f->shown = cc_strdup(o->files[i]);
    f->path = cc_path_join(o->working_dir, o->files[i]);
    (*count)++;
    if (f->shown == NULL || f->path == NULL) return loom(c);
    wctr_err err = read_limited(c, f->path, f->shown, &f->data, &f->len);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

static bool normalized_name(const char *s) {
  char *n = cc_normalize_project_name(s);
  bool same = n != NULL && strcmp(n, s) == 0;
  free(n);
  return same;
}

static wctr_err project_name(lctx *c, const cy_node *root, char **out) {
  const char *given = c->opt->project_name;
  if (given == NULL || given[0] == '\0') {
    given = cc_env_get(&c->env, "COMPOSE_PROJECT_NAME");
    if (given != NULL && given[0] == '\0') given = NULL;
  }
  if (given != NULL) {
    if (!normalized_name(given)) {
      char q[CC_QUOTE_SIZE];
      return wctr_fail(
          c->e, WCTR_EINVAL,
          "invalid project name %s: must consist only of lowercase alphanumeric characters, hyphens, and "
          "underscores as well as start with a letter or number",
          cc_quote(q, sizeof q, given));
    }
    *out = cc_strdup(given);
  } else {
    const cy_pair *name = cy_map_get(root, "name");
    if (name != NULL && is_str(name->value) && name->value->text[0] != '\0') {
      *out = cc_normalize_project_name(name->value->text);
    } else {
      size_t len;
      const char *base = cc_path_base(c->project_dir, &len);
      char *dir = cc_strndup(base, len);
      *out = dir != NULL ? cc_normalize_project_name(dir) : NULL;
      free(dir);
    }
  }
  if (*out == NULL) return loom(c);
  if ((*out)[0] == '\0') {
    free(*out);
    *out = NULL;
    return wctr_fail(c->e, WCTR_EINVAL, "project name must not be empty");
  }
  return WCTR_OK;
}

/* Parses, interpolates and checks every document of one file, and merges it into base. */
static wctr_err load_file(lctx *c, const source_file *f, cy_node *base) {
  cy_node **docs;
  size_t ndocs;
  wctr_err err = cy_parse(f->shown, f->data, f->len, &c->budget, &docs, &ndocs, c->e);
  if (err != WCTR_OK) return err;
  size_t i = 0;
  for (; i < ndocs && err == WCTR_OK; i++) {
    cy_node *doc = docs[i];
    docs[i] = NULL;
    if (is_null(doc)) {
      cy_free(doc);
      continue;
    }
    if (doc->kind != CY_MAP) {
      err = lfail(c, doc, "the top-level object must be a mapping, not %s", cy_describe(doc));
      cy_free(doc);
      break;
    }
    cy_pair *version = cy_map_get(doc, "version");
    if (version != NULL) {
      if (version->value->kind != CY_SCALAR) {
        size_t mark = cc_path_key(&c->path, "version");
        err = lfail(c, version->value, "must be a string, not %s", cy_describe(version->value));
        cc_path_pop(&c->path, mark);
        cy_free(doc);
        break;
      }
      cc_warn(c->w,
              "%s: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential "
              "confusion",
              f->shown);
      cy_map_remove(doc, (size_t)(version - doc->pairs));
    }
    err = interpolate_tree(c, doc);
    if (err == WCTR_OK) err = convert_document(c, doc, NULL);
    if (err == WCTR_OK) {
      err = cc_merge_document(base, doc, c->e);
    } else {
      cy_free(doc);
    }
  }
  for (; i < ndocs; i++) cy_free(docs[i]);
  free(docs);
  return err;
}

static wctr_err load(lctx *c, compose_project **out) {
  const compose_options *o = c->opt;
  if (o->read_file == NULL) return wctr_fail(c->e, WCTR_EINVAL, "compose_load: read_file is required");
  if (o->working_dir == NULL || !cc_path_is_abs(o->working_dir)) {
    return wctr_fail(c->e, WCTR_EINVAL, "compose_load: working_dir must be an absolute path");
  }
  source_file *files = NULL;
  size_t count = 0;
  cy_node *base = NULL;
  compose_project *p = NULL;
  wctr_err err = gather_files(c, &files, &count);
  if (err != WCTR_OK) goto done;
  c->project_dir = cc_path_dir(files[0].path);
  if (c->project_dir == NULL) {
    err = loom(c);
    goto done;
  }
  /* .env next to the first file: its variables count for interpolation, after the process's. */
  char *env_path = cc_path_join(c->project_dir, ".env");
  if (env_path == NULL) {
    err = loom(c);
    goto done;
  }
  char *data = NULL;
  size_t len = 0;
  err = read_limited(c, env_path, env_path, &data, &len);
  if (err == WCTR_OK) {
    cc_env process = {.lookup = o->lookup_env, .ctx = o->ctx};
    err = cc_dotenv_parse(env_path, data, len, &process, c->w, &c->dotenv, c->e);
  } else if (err == WCTR_ENOENT) {
    wctr_errmsg_clear(c->e);
    err = WCTR_OK;
  }
  free(data);
  free(env_path);
  if (err != WCTR_OK) goto done;

  base = cy_new(CY_MAP, files[0].shown, 1, 1);
  if (base == NULL) {
    err = loom(c);
    goto done;
  }
  for (size_t i = 0; i < count && err == WCTR_OK; i++) err = load_file(c, &files[i], base);
  if (err != WCTR_OK) goto done;
  if (base->count == 0) {
    err = wctr_fail(c->e, WCTR_EINVAL, "%s: empty compose file", files[0].shown);
    goto done;
  }

  p = calloc(1, sizeof *p);
  if (p == NULL) {
    err = loom(c);
    goto done;
  }
  p->directory = cc_strdup(c->project_dir);
  if (p->directory == NULL) {
    err = loom(c);
    goto done;
  }
  err = project_name(c, base, &p->name);
  if (err != WCTR_OK) goto done;
  c->project_name = p->name;
  c->final = true;
  c->root = base;
  const cy_pair *all = cy_map_get(base, "services");
  if (all != NULL && all->value->kind == CY_MAP && all->value->count > 0) {
    c->names = malloc(all->value->count * sizeof *c->names);
    if (c->names == NULL) {
      err = loom(c);
      goto done;
    }
    for (size_t i = 0; i < all->value->count; i++) c->names[c->name_count++] = all->value->pairs[i].key;
    qsort(c->names, c->name_count, sizeof *c->names, cmp_cstr);
  }
  err = convert_document(c, base, p);
  if (err != WCTR_OK) goto done;
  const cy_pair *services = cy_map_get(base, "services");
  graph g;
  err = graph_build(c, p, &g);
  if (err == WCTR_OK && services != NULL) err = check_cycles(c, p, &g, services->value);
  if (err == WCTR_OK) err = order_services(c, p, &g);
  graph_free(&g);
  for (size_t i = 0; err == WCTR_OK && i < p->service_count; i++) {
    if (p->services[i].container_name != NULL) continue; /* container_name: as given */
    cc_buf b = {0};
    cc_buf_printf(&b, "%s-%s-1", p->name, p->services[i].name);
    p->services[i].container_name = cc_buf_take(&b);
    if (p->services[i].container_name == NULL) err = loom(c);
  }
  for (size_t i = 0; err == WCTR_OK && i < p->service_count; i++) {
    for (size_t j = 0; err == WCTR_OK && j < i; j++) {
      if (strcmp(p->services[i].container_name, p->services[j].container_name) == 0) {
        err = wctr_fail(c->e, WCTR_EINVAL, "services.%s.container_name: the name \"%s\" is already used by service %s",
                        p->services[i].name, p->services[i].container_name, p->services[j].name);
      }
    }
  }
  if (err == WCTR_OK) err = final_networks(c, p);
  if (err == WCTR_OK) {
    if (p->secret_count > 1) qsort(p->secrets, p->secret_count, sizeof *p->secrets, cmp_resource);
    if (p->config_count > 1) qsort(p->configs, p->config_count, sizeof *p->configs, cmp_resource);
    if (p->volume_count > 1) qsort(p->volumes, p->volume_count, sizeof *p->volumes, cmp_volume);
  }
  /* Engine names, scoped to the project as docker compose scopes them. */
  for (size_t i = 0; err == WCTR_OK && i < p->volume_count; i++) {
    compose_volume *v = &p->volumes[i];
    if (v->name != NULL) continue;
    cc_buf b = {0};
    if (v->external) {
      cc_buf_printf(&b, "%s", v->key);
    } else {
      cc_buf_printf(&b, "%s_%s", p->name, v->key);
    }
    v->name = cc_buf_take(&b);
    if (v->name == NULL) err = loom(c);
  }
done:
  cy_free(base);
  if (files != NULL) files_free(files, o->file_count > 0 ? o->file_count : 2);
  if (err != WCTR_OK) {
    compose_free(p);
    p = NULL;
  }
  *out = p;
  return err;
}

wctr_err compose_load(const compose_options *opt, compose_project **out, compose_warnings *w,
                      wctr_errmsg *e) {
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "compose_load: out must not be NULL");
  *out = NULL;
  if (opt == NULL) return wctr_fail(e, WCTR_EINVAL, "compose_load: opt must not be NULL");
  wctr_errmsg scratch;
  lctx c;
  memset(&c, 0, sizeof c);
  c.opt = opt;
  c.w = w;
  c.e = e != NULL ? e : &scratch;
  wctr_errmsg_clear(c.e);
  c.env.lookup = opt->lookup_env;
  c.env.ctx = opt->ctx;
  c.env.dotenv = &c.dotenv;
  wctr_err err = load(&c, out);
  cc_kvlist_free(&c.dotenv);
  free(c.project_dir);
  free(c.names);
  return err;
}

void compose_free(compose_project *project) {
  if (project == NULL) return;
  free(project->name);
  free(project->directory);
  for (size_t i = 0; i < project->service_count; i++) service_free(&project->services[i]);
  free(project->services);
  compose_resource *lists[2] = {project->secrets, project->configs};
  size_t counts[2] = {project->secret_count, project->config_count};
  for (size_t k = 0; k < 2; k++) {
    for (size_t i = 0; i < counts[k]; i++) {
      free(lists[k][i].name);
      free(lists[k][i].file);
    }
    free(lists[k]);
  }
  for (size_t i = 0; i < project->volume_count; i++) {
    free(project->volumes[i].key);
    free(project->volumes[i].name);
    strv_free(project->volumes[i].labels, project->volumes[i].label_count);
  }
  free(project->volumes);
  for (size_t i = 0; i < project->network_count; i++) network_free(&project->networks[i]);
  free(project->networks);
  free(project);
}

const compose_volume *compose_find_volume(const compose_project *project, const char *key) {
  if (project == NULL || key == NULL) return NULL;
  for (size_t i = 0; i < project->volume_count; i++) {
    if (strcmp(project->volumes[i].key, key) == 0) return &project->volumes[i];
  }
  return NULL;
}

const compose_network *compose_find_network(const compose_project *project, const char *key) {
  if (project == NULL || key == NULL) return NULL;
  for (size_t i = 0; i < project->network_count; i++) {
    if (strcmp(project->networks[i].key, key) == 0) return &project->networks[i];
  }
  return NULL;
}

const compose_service *compose_find_service(const compose_project *project, const char *name) {
  if (project == NULL || name == NULL) return NULL;
  for (size_t i = 0; i < project->service_count; i++) {
    if (strcmp(project->services[i].name, name) == 0) return &project->services[i];
  }
  return NULL;
}
