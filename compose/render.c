/* compose/render.c - `wctr compose config`: the model as YAML (libyaml's emitter) or JSON (cJSON).
 *
 * Both are built from one description of the output (a small tree of out_node), so the two formats have
 * the same keys in the same order. Numbers are exact (int64 text, never a double). */
#include "compose/compose_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "gmsa/credspec.h"

/* ---- The output tree -------------------------------------------------------------------------------------- */

typedef enum okind { O_MAP, O_SEQ, O_STR, O_INT, O_BOOL, O_NULL } okind;

typedef struct onode onode;
struct onode {
  okind kind;
  char *key;    /* in a map */
  char *text;   /* O_STR, O_INT (decimal) */
  bool boolean; /* O_BOOL */
  onode **items;
  size_t count, cap;
};

typedef struct obuild {
  bool oom;
} obuild;

static void o_free(onode *n) {
  if (n == NULL) return;
  free(n->key);
  free(n->text);
  for (size_t i = 0; i < n->count; i++) o_free(n->items[i]);
  free(n->items);
  free(n);
}

static onode *o_add(obuild *b, onode *parent, okind kind, const char *key) {
  if (b->oom) return NULL;
  onode *n = calloc(1, sizeof *n);
  if (n == NULL) goto oom;
  n->kind = kind;
  if (key != NULL && (n->key = cc_strdup(key)) == NULL) goto oom;
  if (parent != NULL) {
    if (parent->count == parent->cap) {
      size_t cap = parent->cap == 0 ? 8 : parent->cap * 2;
      onode **items = realloc(parent->items, cap * sizeof *items);
      if (items == NULL) goto oom;
      parent->items = items;
      parent->cap = cap;
    }
    parent->items[parent->count++] = n;
  }
  return n;
oom:
  b->oom = true;
  o_free(n);
  return NULL;
}

static void o_str(obuild *b, onode *parent, const char *key, const char *text) {
  if (text == NULL) return;
  onode *n = o_add(b, parent, O_STR, key);
  if (n != NULL && (n->text = cc_strdup(text)) == NULL) b->oom = true;
}

static void o_int(obuild *b, onode *parent, const char *key, int64_t v) {
  char text[32];
  snprintf(text, sizeof text, "%" PRId64, v);
  onode *n = o_add(b, parent, O_INT, key);
  if (n != NULL && (n->text = cc_strdup(text)) == NULL) b->oom = true;
}

static void o_bool(obuild *b, onode *parent, const char *key, bool v) {
  onode *n = o_add(b, parent, O_BOOL, key);
  if (n != NULL) n->boolean = v;
}

static void o_pairs(obuild *b, onode *parent, const char *key, char *const *kv, size_t count);

static void o_strv(obuild *b, onode *parent, const char *key, char *const *v, size_t count) {
  if (count == 0) return;
  onode *seq = o_add(b, parent, O_SEQ, key);
  for (size_t i = 0; seq != NULL && i < count; i++) o_str(b, seq, NULL, v[i]);
}

/* ports in compose's long form, as `docker compose config` shows them. */
static void o_ports(obuild *b, onode *parent, const compose_service *s) {
  if (s->port_count == 0) return;
  onode *seq = o_add(b, parent, O_SEQ, "ports");
  for (size_t i = 0; seq != NULL && i < s->port_count; i++) {
    const spec_port *port = &s->ports[i];
    onode *m = o_add(b, seq, O_MAP, NULL);
    if (m == NULL) return;
    o_str(b, m, "mode", "ingress");
    if (port->host_ip[0] != '\0') o_str(b, m, "host_ip", port->host_ip);
    o_int(b, m, "target", port->port);
    if (port->host_port != 0) {
      char text[8];
      snprintf(text, sizeof text, "%u", (unsigned)port->host_port);
      o_str(b, m, "published", text);
    }
    o_str(b, m, "protocol", spec_proto_name(port->proto));
  }
}

static void o_expose(obuild *b, onode *parent, const compose_service *s) {
  if (s->expose_count == 0) return;
  onode *seq = o_add(b, parent, O_SEQ, "expose");
  for (size_t i = 0; seq != NULL && i < s->expose_count; i++) {
    char text[16];
    if (s->expose[i].proto == SPEC_PROTO_TCP) {
      snprintf(text, sizeof text, "%u", (unsigned)s->expose[i].port);
    } else {
      snprintf(text, sizeof text, "%u/%s", (unsigned)s->expose[i].port, spec_proto_name(s->expose[i].proto));
    }
    o_str(b, seq, NULL, text);
  }
}

static void o_networks(obuild *b, onode *parent, const compose_project *p) {
  if (p->network_count == 0) return;
  onode *map = o_add(b, parent, O_MAP, "networks");
  for (size_t i = 0; map != NULL && i < p->network_count; i++) {
    const compose_network *n = &p->networks[i];
    onode *m = o_add(b, map, O_MAP, n->key);
    if (m == NULL) return;
    o_str(b, m, "name", n->name);
    if (n->external) o_bool(b, m, "external", true);
    if (n->subnet != NULL) {
      onode *ipam = o_add(b, m, O_MAP, "ipam");
      onode *config = ipam != NULL ? o_add(b, ipam, O_SEQ, "config") : NULL;
      onode *one = config != NULL ? o_add(b, config, O_MAP, NULL) : NULL;
      if (one != NULL) {
        o_str(b, one, "subnet", n->subnet);
        o_str(b, one, "gateway", n->gateway);
      }
    }
    o_pairs(b, m, "labels", n->labels, n->label_count);
  }
}

static void o_command(obuild *b, onode *parent, const char *key, const compose_command *cmd) {
  if (!cmd->set) return;
  if (cmd->shell_form) {
    o_str(b, parent, key, cmd->argv[0]);
    return;
  }
  onode *seq = o_add(b, parent, O_SEQ, key);
  for (size_t i = 0; seq != NULL && i < cmd->argc; i++) o_str(b, seq, NULL, cmd->argv[i]);
}

/* "K=V" strings as a map K: V. */
static void o_pairs(obuild *b, onode *parent, const char *key, char *const *kv, size_t count) {
  if (count == 0) return;
  onode *map = o_add(b, parent, O_MAP, key);
  for (size_t i = 0; map != NULL && i < count; i++) {
    const char *eq = strchr(kv[i], '=');
    char *k = cc_strndup(kv[i], eq != NULL ? (size_t)(eq - kv[i]) : strlen(kv[i]));
    if (k == NULL) {
      b->oom = true;
      return;
    }
    o_str(b, map, k, eq != NULL ? eq + 1 : "");
    free(k);
  }
}

static void o_grants(obuild *b, onode *parent, const char *key, const compose_grant *g, size_t count) {
  if (count == 0) return;
  onode *seq = o_add(b, parent, O_SEQ, key);
  for (size_t i = 0; seq != NULL && i < count; i++) {
    onode *m = o_add(b, seq, O_MAP, NULL);
    if (m == NULL) return;
    o_str(b, m, "source", g[i].source);
    o_str(b, m, "target", g[i].target);
  }
}

static void o_resources(obuild *b, onode *parent, const char *key, const compose_resource *r, size_t count) {
  if (count == 0) return;
  onode *map = o_add(b, parent, O_MAP, key);
  for (size_t i = 0; map != NULL && i < count; i++) {
    onode *m = o_add(b, map, O_MAP, r[i].name);
    if (m != NULL) o_str(b, m, "file", r[i].file);
  }
}

/* The compose form back; "no" (the default) is left out. */
static const char *restart_text(const compose_service *s, char *buf, size_t size) {
  if (s->restart.name == SPEC_RESTART_NO) return NULL;
  if (s->restart.name != SPEC_RESTART_ON_FAILURE || s->restart.max_retries == 0) {
    return spec_restart_name_text(s->restart.name);
  }
  snprintf(buf, size, "%s:%" PRId64, spec_restart_name_text(s->restart.name), s->restart.max_retries);
  return buf;
}

static void o_service(obuild *b, onode *services, const compose_service *s) {
  onode *m = o_add(b, services, O_MAP, s->name);
  if (m == NULL) return;
  o_str(b, m, "container_name", s->container_name);
  o_str(b, m, "image", s->image);
  o_command(b, m, "entrypoint", &s->entrypoint);
  o_command(b, m, "command", &s->command);
  o_str(b, m, "working_dir", s->working_dir);
  o_str(b, m, "user", s->user);
  o_str(b, m, "hostname", s->hostname);
  if (s->isolation != WCTR_ISOLATION_DEFAULT) o_str(b, m, "isolation", spec_isolation_name(s->isolation));
  if (s->has_credspec) {
    onode *cs = o_add(b, m, O_MAP, "credential_spec");
    if (cs != NULL) {
      /* A raw:// spec may hold a password (PluginInput). */
      o_str(b, cs, gmsa_source_kind_name(s->credspec.kind),
            s->credspec.kind == GMSA_SOURCE_RAW ? GMSA_REDACTED : s->credspec.value);
    }
  }
  o_pairs(b, m, "environment", s->environment, s->environment_count);
  o_pairs(b, m, "labels", s->labels, s->label_count);
  const spec_resources *r = &s->resources;
  if (r->memory_bytes != 0 || r->nano_cpus != 0 || r->cpu_count != 0 || r->cpu_percent != 0 ||
      r->cpu_shares != 0 || r->pids_limit != 0) {
    onode *res = o_add(b, m, O_MAP, "resources");
    if (res != NULL) {
      if (r->memory_bytes != 0) o_int(b, res, "memory_bytes", r->memory_bytes);
      if (r->nano_cpus != 0) o_int(b, res, "nano_cpus", r->nano_cpus);
      if (r->cpu_count != 0) o_int(b, res, "cpu_count", r->cpu_count);
      if (r->cpu_percent != 0) o_int(b, res, "cpu_percent", r->cpu_percent);
      if (r->cpu_shares != 0) o_int(b, res, "cpu_shares", r->cpu_shares);
      if (r->pids_limit != 0) o_int(b, res, "pids_limit", r->pids_limit);
    }
  }
  if (s->volume_count > 0) {
    onode *seq = o_add(b, m, O_SEQ, "volumes");
    for (size_t i = 0; seq != NULL && i < s->volume_count; i++) {
      onode *v = o_add(b, seq, O_MAP, NULL);
      if (v == NULL) break;
      o_str(b, v, "type", s->volumes[i].volume ? "volume" : s->volumes[i].pipe ? "npipe" : "bind");
      if (s->volumes[i].source != NULL) o_str(b, v, "source", s->volumes[i].source);
      o_str(b, v, "target", s->volumes[i].target);
      o_bool(b, v, "read_only", s->volumes[i].read_only);
    }
  }
  o_grants(b, m, "secrets", s->secrets, s->secret_count);
  o_grants(b, m, "configs", s->configs, s->config_count);
  if (s->depends_on_count > 0 && s->depends_on_completed_count == 0 && s->depends_on_healthy_count == 0) {
    onode *seq = o_add(b, m, O_SEQ, "depends_on");
    for (size_t i = 0; seq != NULL && i < s->depends_on_count; i++) o_str(b, seq, NULL, s->depends_on[i]);
  } else if (s->depends_on_count > 0) {
    /* a condition other than service_started: the map form, every entry with its condition */
    onode *map = o_add(b, m, O_MAP, "depends_on");
    for (size_t i = 0; map != NULL && i < s->depends_on_count; i++) {
      bool completed = false, healthy = false;
      for (size_t k = 0; k < s->depends_on_completed_count; k++) {
        completed = completed || strcmp(s->depends_on_completed[k], s->depends_on[i]) == 0;
      }
      for (size_t k = 0; k < s->depends_on_healthy_count; k++) {
        healthy = healthy || strcmp(s->depends_on_healthy[k], s->depends_on[i]) == 0;
      }
      onode *entry = o_add(b, map, O_MAP, s->depends_on[i]);
      if (entry != NULL) {
        o_str(b, entry, "condition",
              completed ? "service_completed_successfully" : healthy ? "service_healthy" : "service_started");
      }
    }
  }
  if (s->healthcheck_set) {
    /* compose config's form: the test as a list, the spans in Go's spelling when given. */
    onode *h = o_add(b, m, O_MAP, "healthcheck");
    onode *test = h != NULL && s->health_test_count > 0 ? o_add(b, h, O_SEQ, "test") : NULL;
    for (size_t i = 0; test != NULL && i < s->health_test_count; i++) o_str(b, test, NULL, s->health_test[i]);
    const struct {
      const char *key;
      int64_t ns;
    } spans[] = {{"timeout", s->health_timeout_ns}, {"interval", s->health_interval_ns},
                 {"start_period", s->health_start_period_ns}};
    for (size_t i = 0; h != NULL && i < sizeof spans / sizeof spans[0]; i++) {
      if (spans[i].ns == 0) continue;
      char d[48];
      cc_format_duration(spans[i].ns, d, sizeof d);
      o_str(b, h, spans[i].key, d);
    }
    if (h != NULL && s->health_retries != 0) o_int(b, h, "retries", s->health_retries);
  }
  if (s->stop_grace_period_set) {
    char d[48];
    cc_format_duration(s->stop_grace_period_ns, d, sizeof d);
    o_str(b, m, "stop_grace_period", d);
  }
  char rbuf[48];
  o_str(b, m, "restart", restart_text(s, rbuf, sizeof rbuf));
  if (s->replicas_set) o_int(b, m, "replicas", s->replicas);
  o_ports(b, m, s);
  o_expose(b, m, s);
  o_str(b, m, "network_mode", s->network_mode);
  if (s->network != NULL) {
    onode *nets = o_add(b, m, O_MAP, "networks");
    if (nets != NULL) o_add(b, nets, O_NULL, s->network);
  }
  o_strv(b, m, "dns", s->dns, s->dns_count);
  o_strv(b, m, "dns_search", s->dns_search, s->dns_search_count);
  o_str(b, m, "mac_address", s->mac_address);
  if (s->log_opt_count > 0) {
    onode *lg = o_add(b, m, O_MAP, "logging");
    o_str(b, lg, "driver", "json-file");
    o_pairs(b, lg, "options", s->log_opts, s->log_opt_count);
  }
}

static onode *describe(const compose_project *p) {
  obuild b = {false};
  onode *root = o_add(&b, NULL, O_MAP, NULL);
  if (root == NULL) return NULL;
  o_str(&b, root, "name", p->name);
  onode *services = o_add(&b, root, O_MAP, "services");
  for (size_t i = 0; services != NULL && i < p->service_count; i++) o_service(&b, services, &p->services[i]);
  o_networks(&b, root, p);
  o_resources(&b, root, "secrets", p->secrets, p->secret_count);
  o_resources(&b, root, "configs", p->configs, p->config_count);
  if (p->volume_count > 0) {
    onode *vols = o_add(&b, root, O_MAP, "volumes");
    for (size_t i = 0; vols != NULL && i < p->volume_count; i++) {
      const compose_volume *v = &p->volumes[i];
      onode *m = o_add(&b, vols, O_MAP, v->key);
      if (m == NULL) break;
      o_str(&b, m, "name", v->name);
      if (v->external) o_bool(&b, m, "external", true);
      if (v->label_count > 0) {
        onode *labels = o_add(&b, m, O_MAP, "labels");
        for (size_t k = 0; labels != NULL && k < v->label_count; k++) {
          const char *eq = strchr(v->labels[k], '=');
          char key[256];
          snprintf(key, sizeof key, "%.*s", (int)(eq - v->labels[k]), v->labels[k]);
          o_str(&b, labels, key, eq + 1);
        }
      }
    }
  }
  if (b.oom) {
    o_free(root);
    return NULL;
  }
  return root;
}

/* ---- YAML -----------------------------------------------------------------------------------------------------
 */

typedef struct yout {
  yaml_emitter_t em;
  cc_buf buf;
  bool failed;
} yout;

static int write_out(void *data, unsigned char *buffer, size_t size) {
  cc_buf *b = data;
  cc_buf_putn(b, (const char *)buffer, size);
  return b->oom ? 0 : 1;
}

static void emit(yout *y, yaml_event_t *ev, int ok) {
  if (y->failed) {
    if (ok) yaml_event_delete(ev);
    return;
  }
  if (!ok || !yaml_emitter_emit(&y->em, ev)) y->failed = true;
}

static bool yaml11_bool(const char *s) {
  static const char *const words[] = {"y", "yes", "n", "no", "on", "off", NULL};
  char low[4];
  size_t len = strlen(s);
  if (len >= sizeof low) return false;
  for (size_t i = 0; i <= len; i++) low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
  for (size_t i = 0; words[i] != NULL; i++) {
    if (strcmp(low, words[i]) == 0) return true;
  }
  return false;
}

/* Line breaks and other control characters read best escaped ("a\nb") than folded over lines. */
static bool has_control(const char *s) {
  for (; *s != '\0'; s++) {
    if ((unsigned char)*s < 0x20 || *s == 0x7F) return true;
  }
  return false;
}

static void emit_scalar(yout *y, const char *text, bool string) {
  yaml_event_t ev;
  yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
  /* A string that a reader would take for something else (null, a boolean, a number, a merge key, or a
   * YAML 1.1 boolean for older readers) is quoted, so the output reads back as it was meant. Others are
   * left to libyaml, which quotes what a plain scalar cannot hold. */
  if (string && (cy_resolve_plain(text, NULL) != CY_STR || yaml11_bool(text) || strcmp(text, "<<") == 0 ||
                 has_control(text))) {
    style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
  }
  int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)text, (int)strlen(text), 1, 1,
                                        style);
  emit(y, &ev, ok);
}

static void emit_node(yout *y, const onode *n) {
  yaml_event_t ev;
  switch (n->kind) {
    case O_MAP:
      emit(y, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
      for (size_t i = 0; i < n->count; i++) {
        emit_scalar(y, n->items[i]->key, true);
        emit_node(y, n->items[i]);
      }
      emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
      break;
    case O_SEQ:
      emit(y, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
      for (size_t i = 0; i < n->count; i++) emit_node(y, n->items[i]);
      emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
      break;
    case O_STR: emit_scalar(y, n->text, true); break;
    case O_INT: emit_scalar(y, n->text, false); break;
    case O_BOOL: emit_scalar(y, n->boolean ? "true" : "false", false); break;
    case O_NULL: emit_scalar(y, "null", false); break;
  }
}

/* NULL with *problem set when libyaml refuses the text (it never should: every string was checked), NULL
 * alone when memory runs out. */
static char *to_yaml(const onode *root, const char **problem) {
  yout y;
  memset(&y, 0, sizeof y);
  *problem = NULL;
  if (!yaml_emitter_initialize(&y.em)) return NULL;
  yaml_emitter_set_output(&y.em, write_out, &y.buf);
  yaml_emitter_set_unicode(&y.em, 1);
  yaml_emitter_set_width(&y.em, -1);
  yaml_emitter_set_indent(&y.em, 2);
  yaml_event_t ev;
  emit(&y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
  emit(&y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
  emit_node(&y, root);
  emit(&y, &ev, yaml_document_end_event_initialize(&ev, 1));
  emit(&y, &ev, yaml_stream_end_event_initialize(&ev));
  if (!y.failed && !yaml_emitter_flush(&y.em)) y.failed = true;
  if (y.failed && y.em.error != YAML_MEMORY_ERROR && !y.buf.oom) {
    *problem = y.em.problem != NULL ? y.em.problem : "the YAML emitter failed";
  }
  yaml_emitter_delete(&y.em);
  if (y.failed) {
    cc_buf_free(&y.buf);
    return NULL;
  }
  return cc_buf_take(&y.buf);
}

/* ---- JSON -----------------------------------------------------------------------------------------------------
 */

static cJSON *to_cjson(const onode *n) {
  cJSON *j = NULL;
  switch (n->kind) {
    case O_MAP:
      j = cJSON_CreateObject();
      for (size_t i = 0; j != NULL && i < n->count; i++) {
        cJSON *child = to_cjson(n->items[i]);
        if (child == NULL || !cJSON_AddItemToObject(j, n->items[i]->key, child)) {
          cJSON_Delete(child);
          cJSON_Delete(j);
          return NULL;
        }
      }
      break;
    case O_SEQ:
      j = cJSON_CreateArray();
      for (size_t i = 0; j != NULL && i < n->count; i++) {
        cJSON *child = to_cjson(n->items[i]);
        if (child == NULL || !cJSON_AddItemToArray(j, child)) {
          cJSON_Delete(child);
          cJSON_Delete(j);
          return NULL;
        }
      }
      break;
    case O_STR: j = cJSON_CreateString(n->text); break;
    /* Raw: the exact int64 text; a double would round sizes above 2^53. */
    case O_INT: j = cJSON_CreateRaw(n->text); break;
    case O_BOOL: j = cJSON_CreateBool(n->boolean); break;
    case O_NULL: j = cJSON_CreateNull(); break;
  }
  return j;
}

static char *to_json(const onode *root) {
  cJSON *j = to_cjson(root);
  if (j == NULL) return NULL;
  char *text = cJSON_Print(j);
  cJSON_Delete(j);
  if (text == NULL) return NULL;
  /* cJSON allocates with its own hooks; the caller frees with free(), and ends with a newline. */
  cc_buf b = {0};
  cc_buf_puts(&b, text);
  cc_buf_putc(&b, '\n');
  cJSON_free(text);
  return cc_buf_take(&b);
}

wctr_err compose_render(const compose_project *project, bool json, char **out, wctr_errmsg *e) {
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "compose_render: out must not be NULL");
  *out = NULL;
  if (project == NULL) return wctr_fail(e, WCTR_EINVAL, "compose_render: project must not be NULL");
  onode *root = describe(project);
  if (root == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory while rendering the compose model");
  const char *problem = NULL;
  *out = json ? to_json(root) : to_yaml(root, &problem);
  o_free(root);
  if (*out == NULL && problem != NULL)
    return wctr_fail(e, WCTR_EINTERNAL, "cannot render the model as YAML: %s", problem);
  if (*out == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory while rendering the compose model");
  return WCTR_OK;
}
