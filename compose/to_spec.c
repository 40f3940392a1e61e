/* compose/to_spec.c - a compose service as a spec_container (portable; the mapping is documented in
 * compose/to_spec.h). */
#include "compose/to_spec.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compose/compose_internal.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"

#define CREDSPEC_PREFIX "credentialspec="
#define NS_PER_SECOND INT64_C(1000000000)

static wctr_err oom(wctr_errmsg *e) { return wctr_fail(e, WCTR_ENOMEM, "out of memory"); }

/* Exec form: the words as written. Shell form: one command line, run as Docker runs a shell-form CMD on
 * Windows (cmd /S /C "..."), since wctr passes argv words quoted by Windows rules. */
static size_t command_words(const compose_command *c) {
  if (!c->set) return 0;
  return c->shell_form ? 3 + c->argc : c->argc;
}

/* Appends c's words at cmd[*at]; false when out of memory. */
static bool put_command(char **cmd, size_t *at, const compose_command *c) {
  static const char *const shell[] = {"cmd", "/S", "/C"};
  if (!c->set) return true;
  for (size_t i = 0; c->shell_form && i < 3; i++) {
    cmd[*at] = cc_strdup(shell[i]);
    if (cmd[*at] == NULL) return false;
    *at += 1;
  }
  for (size_t i = 0; i < c->argc; i++) {
    cmd[*at] = cc_strdup(c->argv[i]);
    if (cmd[*at] == NULL) return false;
    *at += 1;
  }
  return true;
}

/* A list of count copies (NULL for none); false when out of memory. *out_count is set as soon as the list
 * exists, so spec_free releases what was copied when a copy fails part-way. */
static bool copy_list(char *const *from, size_t count, char ***out, size_t *out_count) {
  if (count == 0) return true;
  *out = calloc(count + 1, sizeof **out);
  if (*out == NULL) return false;
  *out_count = count;
  for (size_t i = 0; i < count; i++) {
    (*out)[i] = cc_strdup(from[i]);
    if ((*out)[i] == NULL) return false;
  }
  return true;
}

/* Orders label indexes by key (the "K" of "K=V"). */
typedef struct label_kv {
  const char *key;
  size_t key_len;
  const char *value;
} label_kv;

static int label_cmp(const void *a, const void *b) {
  const label_kv *x = a;
  const label_kv *y = b;
  size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
  int c = memcmp(x->key, y->key, n);
  if (c != 0) return c;
  return x->key_len < y->key_len ? -1 : x->key_len > y->key_len ? 1 : 0;
}

/* compose's own labels and the service's, sorted by key into *out. */
static wctr_err build_labels(const compose_project *p, const compose_service *s, spec_labels *out, wctr_errmsg *e) {
  size_t n = s->label_count + 3;
  label_kv *kv = calloc(n, sizeof *kv);
  if (kv == NULL) return oom(e);
  kv[0] = (label_kv){COMPOSE_LABEL_PROJECT, strlen(COMPOSE_LABEL_PROJECT), p->name};
  kv[1] = (label_kv){COMPOSE_LABEL_SERVICE, strlen(COMPOSE_LABEL_SERVICE), s->name};
  kv[2] = (label_kv){COMPOSE_LABEL_NUMBER, strlen(COMPOSE_LABEL_NUMBER), "1"};
  for (size_t i = 0; i < s->label_count; i++) {
    const char *eq = strchr(s->labels[i], '=');
    kv[3 + i].key = s->labels[i];
    kv[3 + i].key_len = eq != NULL ? (size_t)(eq - s->labels[i]) : strlen(s->labels[i]);
    kv[3 + i].value = eq != NULL ? eq + 1 : "";
  }
  qsort(kv, n, sizeof *kv, label_cmp);
  wctr_err err = WCTR_OK;
  out->keys = calloc(n + 1, sizeof *out->keys);
  out->values = calloc(n + 1, sizeof *out->values);
  if (out->keys == NULL || out->values == NULL) {
    free(out->keys);
    free(out->values);
    out->keys = out->values = NULL;
    err = oom(e);
    goto done;
  }
  out->count = n;
  for (size_t i = 0; i < n; i++) {
    out->keys[i] = cc_strndup(kv[i].key, kv[i].key_len);
    out->values[i] = cc_strdup(kv[i].value);
    if (out->keys[i] == NULL || out->values[i] == NULL) {
      err = oom(e);
      goto done;
    }
  }
done:
  free(kv);
  return err;
}

/* credentialspec=SCHEME://VALUE; a config:// spec becomes raw:// of the config file's content, read and
 * validated here (a compose config is the front-end's to read, not the service's). */
static wctr_err credspec_option(const compose_project *p, const compose_service *s, compose_read_fn read_file,
                                void *ctx, char **out, wctr_errmsg *e) {
  const char *scheme = gmsa_source_kind_name(s->credspec.kind);
  const char *value = s->credspec.value;
  char *canonical = NULL;
  wctr_err err = WCTR_OK;
  if (s->credspec.kind == GMSA_SOURCE_CONFIG) {
    const compose_resource *cfg = NULL;
    for (size_t i = 0; i < p->config_count && cfg == NULL; i++) {
      if (strcmp(p->configs[i].name, value) == 0) cfg = &p->configs[i];
    }
    if (cfg == NULL) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.credential_spec: config \"%.64s\" is not defined", s->name, value);
    }
    if (read_file == NULL) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.credential_spec: config \"%.64s\" cannot be read here (no reader)",
                       s->name, value);
    }
    char *text = NULL;
    size_t len = 0;
    wctr_errmsg re;
    wctr_errmsg_clear(&re);
    err = read_file(ctx, cfg->file, &text, &len, &re);
    if (err != WCTR_OK) {
      return wctr_fail(e, err, "services.%s.credential_spec: config \"%.64s\" (%s): %s", s->name, value, cfg->file,
                       re.text[0] != '\0' ? re.text : wctr_strerror(err));
    }
    gmsa_credspec *spec = NULL;
    err = gmsa_credspec_load(text, len, &spec, &re);
    gmsa_secure_zero(text, len);
    free(text);
    if (err != WCTR_OK) {
      return wctr_fail(e, err, "services.%s.credential_spec: config \"%.64s\": %s", s->name, value, re.text);
    }
    err = gmsa_credspec_to_json(spec, &canonical, e);
    gmsa_credspec_free(spec);
    if (err != WCTR_OK) return err;
    scheme = "raw";
    value = canonical;
  }
  size_t n = strlen(CREDSPEC_PREFIX) + strlen(scheme) + 3 + strlen(value) + 1;
  char *opt = malloc(n);
  if (opt != NULL) snprintf(opt, n, CREDSPEC_PREFIX "%s://%s", scheme, value);
  gmsa_secret_free(canonical);
  if (opt == NULL) return oom(e);
  *out = opt;
  return WCTR_OK;
}

/* What spec cannot carry, or what cannot run as written, before anything is built. */
static wctr_err refusals(const compose_service *s, wctr_errmsg *e) {
  if (s->config_count > 0) {
    /* Windows bind mounts are folders, and a config is one file: there is no honest mapping yet. */
    return wctr_fail(e, WCTR_ENOTSUP,
                     "services.%s.configs: giving a config to a container as a file is not supported by wctr yet "
                     "(configs can be used as credential_spec: {config: NAME})",
                     s->name);
  }
  if (s->replicas_set && s->replicas != 1) {
    /* A spec is one container; `up` makes one per service. */
    return wctr_fail(e, WCTR_ENOTSUP,
                     "services.%s.deploy.replicas: wctr compose up runs one container per service, not %lld",
                     s->name, (long long)s->replicas);
  }
  if (s->stop_grace_period_set && s->stop_grace_period_ns > SPEC_MAX_STOP_TIMEOUT * NS_PER_SECOND) {
    return wctr_fail(e, WCTR_EINVAL, "services.%s.stop_grace_period: at most 1h (wctr's longest stop timeout)",
                     s->name);
  }
  if (s->entrypoint.set && s->entrypoint.argc == 0 && command_words(&s->command) == 0) {
    return wctr_fail(e, WCTR_EINVAL,
                     "services.%s.entrypoint: an empty entrypoint without a command would run the image's Cmd without "
                     "its Entrypoint, and wctr keeps an image's Entrypoint and Cmd as one command; give the command",
                     s->name);
  }
  const compose_command *forms[2] = {&s->entrypoint, &s->command};
  for (size_t i = 0; i < 2; i++) {
    /* cmd /S /C gets the line as one argument, quoted by Windows rules: an inner '"' would reach cmd as \",
     * which cmd does not undo. */
    if (forms[i]->set && forms[i]->shell_form && strchr(forms[i]->argv[0], '"') != NULL) {
      return wctr_fail(e, WCTR_EINVAL,
                       "services.%s.%s: a command line with double quotes cannot be passed through cmd /S /C "
                       "unchanged; write it in the list form ([\"cmd\", \"/c\", \"...\"])",
                       s->name, i == 0 ? "entrypoint" : "command");
    }
  }
  if (s->has_credspec && s->isolation == WCTR_ISOLATION_JOB) {
    return wctr_fail(e, WCTR_EINVAL,
                     "services.%s.credential_spec: a credential spec (gMSA) needs process or hyperv isolation: a job "
                     "container runs on the host with a local identity and cannot carry a gMSA",
                     s->name);
  }
  for (size_t i = 0; i < s->label_count; i++) {
    if (strncmp(s->labels[i], "com.docker.compose.", strlen("com.docker.compose.")) == 0) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.labels: %.64s: com.docker.compose.* labels are set by wctr compose",
                       s->name, s->labels[i]);
    }
  }
  if (s->secret_count > SPEC_SECRET_REFS_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "services.%s.secrets: %zu secrets; a container takes at most %d", s->name,
                     s->secret_count, SPEC_SECRET_REFS_MAX);
  }
  for (size_t i = 0; i < s->secret_count; i++) {
    char where[160];
    snprintf(where, sizeof where, "services.%.100s.secrets[%zu]", s->name, i);
    wctr_err err = spec_secret_check_name(s->secrets[i].source, where, e);
    if (err == WCTR_OK) err = spec_secret_check_target(s->secrets[i].target, where, e);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

/* A copy of s into *out, NULL staying NULL; false when out of memory. */
static bool copy_str(const char *s, char **out) {
  *out = NULL;
  if (s == NULL) return true;
  *out = cc_strdup(s);
  return *out != NULL;
}

/* Everything but the labels and the credential spec; false when out of memory. Each count is set as soon
 * as its list exists, so spec_free releases exactly what was built. */
static bool build_plain(const compose_project *p, const compose_service *s, spec_container *c) {
  c->isolation = s->isolation;
  c->resources = s->resources;
  c->restart = s->restart;
  c->auto_remove = false;
  /* Whole seconds, rounded up: a grace period is never shortened. */
  c->stop_timeout = s->stop_grace_period_set
                        ? (int)((s->stop_grace_period_ns + NS_PER_SECOND - 1) / NS_PER_SECOND)
                        : SPEC_DEFAULT_STOP_TIMEOUT;
  if (!copy_str(s->image, &c->image) || !copy_str(s->working_dir, &c->process.working_dir) ||
      !copy_str(s->user, &c->process.user) || !copy_str(s->hostname, &c->hostname)) {
    return false;
  }
  size_t words = command_words(&s->entrypoint) + command_words(&s->command);
  /* An entrypoint replaces the image's Entrypoint and Cmd (Docker's merge): the spec says which words are
   * its own, and the image supplies nothing. */
  c->process.entrypoint_set = s->entrypoint.set;
  c->process.entrypoint_count = s->entrypoint.set ? command_words(&s->entrypoint) : 0;
  if (words > 0) {
    c->process.cmd = calloc(words + 1, sizeof *c->process.cmd);
    if (c->process.cmd == NULL) return false;
    c->process.cmd_count = words;
    size_t at = 0;
    if (!put_command(c->process.cmd, &at, &s->entrypoint) || !put_command(c->process.cmd, &at, &s->command)) {
      return false;
    }
  }
  if (!copy_list(s->environment, s->environment_count, &c->process.env, &c->process.env_count)) return false;
  /* healthcheck: Docker's HealthConfig as compose hands it to the engine. */
  c->health.interval_ns = s->health_interval_ns;
  c->health.timeout_ns = s->health_timeout_ns;
  c->health.start_period_ns = s->health_start_period_ns;
  c->health.retries = s->health_retries;
  if (!copy_list(s->health_test, s->health_test_count, &c->health.test, &c->health.test_count)) return false;
  if (s->volume_count > 0) {
    c->binds = calloc(s->volume_count + 1, sizeof *c->binds);
    if (c->binds == NULL) return false;
    c->bind_count = s->volume_count;
    for (size_t i = 0; i < s->volume_count; i++) {
      const compose_mount *v = &s->volumes[i];
      /* A volume by its engine name (project-scoped); an anonymous one as the target alone (-v C:\x). The
       * loader refuses a volume the top level does not define. */
      const compose_volume *vol = v->volume && v->source != NULL ? compose_find_volume(p, v->source) : NULL;
      const char *source = v->volume ? (vol != NULL ? vol->name : NULL) : v->source;
      size_t n = (source != NULL ? strlen(source) : 0) + strlen(v->target) + 5;
      c->binds[i] = malloc(n);
      if (c->binds[i] == NULL) return false;
      if (source == NULL) {
        snprintf(c->binds[i], n, "%s%s", v->target, v->read_only ? ":ro" : "");
      } else {
        snprintf(c->binds[i], n, "%s:%s%s", source, v->target, v->read_only ? ":ro" : "");
      }
    }
  }
  if (s->secret_count > 0) {
    c->secrets = calloc(s->secret_count, sizeof *c->secrets);
    if (c->secrets == NULL) return false;
    c->secret_count = s->secret_count;
    /* refusals() checked both against spec's rules, which bound their lengths to the fields. */
    for (size_t i = 0; i < s->secret_count; i++) {
      snprintf(c->secrets[i].name, sizeof c->secrets[i].name, "%s", s->secrets[i].source);
      snprintf(c->secrets[i].target, sizeof c->secrets[i].target, "%s", s->secrets[i].target);
    }
  }
  return true;
}

/* The service's networking as spec/network.h holds it: NetworkMode the network_mode or the joined project
 * network's own name; the ports to publish; ExposedPorts the exposed ones and every published one's (as
 * compose and Docker's CLI give them); DNS; the MAC address. False when out of memory. */
static bool build_network(const compose_project *p, const compose_service *s, spec_container *c) {
  spec_network *n = &c->net;
  const char *mode = s->network_mode;
  if (mode == NULL && s->network != NULL) {
    const compose_network *joined = compose_find_network(p, s->network);
    mode = joined != NULL ? joined->name : s->network;
  }
  if (!copy_str(mode, &n->mode) || !copy_str(s->mac_address, &n->mac_address)) return false;
  if (s->port_count > 0) {
    n->publish = calloc(s->port_count, sizeof *n->publish);
    if (n->publish == NULL) return false;
    memcpy(n->publish, s->ports, s->port_count * sizeof *n->publish);
    n->publish_count = s->port_count;
  }
  if (s->expose_count + s->port_count > 0) {
    n->expose = calloc(s->expose_count + s->port_count, sizeof *n->expose);
    if (n->expose == NULL) return false;
    for (size_t i = 0; i < s->expose_count + s->port_count; i++) {
      spec_port one = i < s->expose_count ? s->expose[i] : s->ports[i - s->expose_count];
      bool seen = false;
      for (size_t k = 0; k < n->expose_count && !seen; k++) {
        seen = n->expose[k].port == one.port && n->expose[k].proto == one.proto;
      }
      if (seen) continue;
      one.host_port = 0;
      one.host_ip[0] = '\0';
      n->expose[n->expose_count++] = one;
    }
  }
  return copy_list(s->dns, s->dns_count, &n->dns, &n->dns_count) &&
         copy_list(s->dns_search, s->dns_search_count, &n->dns_search, &n->dns_search_count);
}

/* spec/network.h's rules per isolation, in compose's keys (spec_from_json would name the CLI's flags). */
static wctr_err network_checks(const compose_service *s, wctr_errmsg *e) {
  static const char job[] = "a job container shares the host's network stack (as a Kubernetes HostProcess container "
                            "does)";
  const char *mode = s->network_mode;
  if (s->isolation == WCTR_ISOLATION_JOB) {
    if (mode != NULL && strcmp(mode, SPEC_NETWORK_HOST) != 0 && strcmp(mode, SPEC_NETWORK_DEFAULT) != 0) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.network_mode: %s; only host applies to it", s->name, job);
    }
    if (s->network != NULL) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.networks: %s and joins no network; leave networks out", s->name,
                       job);
    }
    if (s->port_count > 0) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.ports: %s and has no ports of its own to publish: its processes "
                       "listen on the host's ports", s->name, job);
    }
    if (s->dns_count > 0 || s->dns_search_count > 0) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.%s: %s and uses the host's DNS settings", s->name,
                       s->dns_count > 0 ? "dns" : "dns_search", job);
    }
    if (s->mac_address != NULL) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.mac_address: %s and has no adapter of its own", s->name, job);
    }
    return WCTR_OK;
  }
  if (mode != NULL && strcmp(mode, SPEC_NETWORK_HOST) == 0) {
    return wctr_fail(e, WCTR_EINVAL, "services.%s.network_mode: host: only job containers (isolation: job) share the "
                     "host's network stack; process and Hyper-V containers join a network or none", s->name);
  }
  if (mode != NULL && strcmp(mode, SPEC_NETWORK_NONE) == 0 && s->port_count > 0) {
    return wctr_fail(e, WCTR_EINVAL, "services.%s.ports: with network_mode: none the container has no network to "
                     "publish ports on", s->name);
  }
  if (mode != NULL && strcmp(mode, SPEC_NETWORK_NONE) == 0 && s->mac_address != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "services.%s.mac_address: with network_mode: none the container has no network "
                     "adapter", s->name);
  }
  return WCTR_OK;
}

/* The checks wctrd's create runs on the spec, run on the spec that `up` will send, so that a mount, a hostname
 * or a limit the service would refuse stops `up` before anything exists. The rules that map to one compose
 * key are checked first, to name it; then the spec's JSON form goes through spec_from_json, as wctrd reads
 * it (a host of unknown size: its CPU count is the service's check). */
static wctr_err create_checks(const compose_service *s, const spec_container *c, wctr_errmsg *e) {
  wctr_errmsg se;
  wctr_err err = WCTR_OK;
  for (size_t i = 0; i < c->bind_count; i++) {
    spec_mount m;
    wctr_errmsg_clear(&se);
    err = spec_mount_parse(c->binds[i], &m, &se);
    if (err != WCTR_OK) return wctr_fail(e, err, "services.%s.volumes[%zu]: %s", s->name, i, se.text);
    spec_mount_free(&m);
  }
  err = network_checks(s, e);
  if (err != WCTR_OK) return err;
  if (c->isolation == WCTR_ISOLATION_JOB) {
    if (c->bind_count > 0) {
      return wctr_fail(e, WCTR_EINVAL,
                       "services.%s.volumes: a job container shares the host's file system and has no mounts; "
                       "use isolation: process or hyperv, or give the host path itself",
                       s->name);
    }
    if (c->hostname != NULL) {
      return wctr_fail(e, WCTR_EINVAL,
                       "services.%s.hostname: a job container shares the host's name; use isolation: process or "
                       "hyperv",
                       s->name);
    }
    /* wctrd's create refuses it too: a job container has no image to supply a command. */
    if (c->process.cmd_count == 0) {
      return wctr_fail(e, WCTR_EINVAL,
                       "services.%s: a command is required: a job container has no image default (command or "
                       "entrypoint)",
                       s->name);
    }
  }
  cJSON *params = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  bool ok = params != NULL && hc != NULL && spec_to_json(c, params, hc, true);
  if (ok) {
    ok = cJSON_AddItemToObject(params, "HostConfig", hc);
    if (ok) hc = NULL;
  }
  if (ok) {
    spec_container back;
    wctr_errmsg_clear(&se);
    err = spec_from_json(params, "params", INT_MAX, &back, NULL, &se);
    if (err == WCTR_OK) {
      spec_free(&back);
    } else {
      err = wctr_fail(e, err, "services.%s: %s", s->name, se.text);
    }
  } else {
    err = oom(e);
  }
  /* The JSON holds the credential spec as it is sent (a raw:// one may carry a password). */
  gmsa_json_secure_delete(hc);
  gmsa_json_secure_delete(params);
  return err;
}

/* logging.options ("K=V", sorted) into the spec's log options, checked as --log-opt is. */
static wctr_err build_log_opts(const compose_service *s, spec_log_config *out, wctr_errmsg *e) {
  spec_labels l = {0};
  if (s->log_opt_count == 0) return WCTR_OK;
  l.keys = calloc(s->log_opt_count + 1, sizeof *l.keys);
  l.values = calloc(s->log_opt_count + 1, sizeof *l.values);
  if (l.keys == NULL || l.values == NULL) {
    spec_labels_free(&l);
    return oom(e);
  }
  for (size_t i = 0; i < s->log_opt_count; i++) {
    const char *eq = strchr(s->log_opts[i], '=');
    size_t klen = eq != NULL ? (size_t)(eq - s->log_opts[i]) : strlen(s->log_opts[i]);
    l.keys[i] = malloc(klen + 1);
    l.values[i] = malloc(strlen(eq != NULL ? eq + 1 : "") + 1);
    l.count = i + 1;
    if (l.keys[i] == NULL || l.values[i] == NULL) {
      spec_labels_free(&l);
      return oom(e);
    }
    memcpy(l.keys[i], s->log_opts[i], klen);
    l.keys[i][klen] = '\0';
    memcpy(l.values[i], eq != NULL ? eq + 1 : "", strlen(eq != NULL ? eq + 1 : "") + 1);
  }
  char where[200];
  snprintf(where, sizeof where, "services.%.100s.logging.options", s->name);
  wctr_err err = spec_log_opts_check(&l, where, e);
  if (err != WCTR_OK) {
    spec_labels_free(&l);
    return err;
  }
  out->opts = l;
  return WCTR_OK;
}

wctr_err compose_service_to_spec(const compose_project *p, const compose_service *s, compose_read_fn read_file,
                                 void *ctx, spec_container *out, wctr_errmsg *e) {
  spec_container c;
  memset(&c, 0, sizeof c);
  wctr_err err = WCTR_OK;
  if (out == NULL) return wctr_fail(e, WCTR_EINVAL, "compose_service_to_spec: out must not be NULL");
  memset(out, 0, sizeof *out);
  if (p == NULL || s == NULL) return wctr_fail(e, WCTR_EINVAL, "compose_service_to_spec: p and s must not be NULL");
  err = refusals(s, e);
  if (err != WCTR_OK) goto done;
  if (!build_plain(p, s, &c) || !build_network(p, s, &c)) {
    err = oom(e);
    goto done;
  }
  err = build_labels(p, s, &c.labels, e);
  if (err == WCTR_OK) err = build_log_opts(s, &c.log, e);
  if (err == WCTR_OK && s->has_credspec) {
    c.security_opt = calloc(2, sizeof *c.security_opt);
    if (c.security_opt == NULL) {
      err = oom(e);
      goto done;
    }
    err = credspec_option(p, s, read_file, ctx, &c.security_opt[0], e);
    if (err != WCTR_OK) goto done;
    c.security_opt_count = 1;
    c.credspec_option = c.security_opt[0] + strlen(CREDSPEC_PREFIX);
  }
  if (err == WCTR_OK) err = create_checks(s, &c, e);
done:
  if (err != WCTR_OK) {
    spec_free(&c);
    return err;
  }
  *out = c;
  return WCTR_OK;
}
