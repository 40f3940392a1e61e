/* cli/compose_params.c - a compose service as the params of container.create (portable; the mapping is
 * documented at cli_compose_create_params in cli/compose.h). */
#define CLI_COMPOSE_INTERNAL
#include "cli/compose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"

static wctr_err oom(wctr_errmsg *e) { return wctr_fail(e, WCTR_ENOMEM, "out of memory"); }

static bool add_strings(cJSON *arr, char **list, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(list[i]))) return false;
  }
  return true;
}

/* Exec form: the words as written. Shell form: one command line, run as Docker runs a shell-form CMD on
 * Windows (cmd /S /C "..."), since wctr passes argv words quoted by Windows rules. */
static bool add_command(cJSON *cmd, const cli_compose_command *c) {
  if (!c->set) return true;
  if (c->shell_form) {
    return cJSON_AddItemToArray(cmd, cJSON_CreateString("cmd")) && cJSON_AddItemToArray(cmd, cJSON_CreateString("/S")) &&
           cJSON_AddItemToArray(cmd, cJSON_CreateString("/C")) && add_strings(cmd, c->argv, c->argc);
  }
  return add_strings(cmd, c->argv, c->argc);
}

static bool add_label(cJSON *labels, const char *kv) {
  const char *eq = strchr(kv, '=');
  size_t n = eq != NULL ? (size_t)(eq - kv) : strlen(kv);
  char *key = malloc(n + 1);
  if (key == NULL) return false;
  memcpy(key, kv, n);
  key[n] = '\0';
  bool ok = cJSON_AddStringToObject(labels, key, eq != NULL ? eq + 1 : "") != NULL;
  free(key);
  return ok;
}

/* credentialspec=SCHEME://VALUE; a config:// spec becomes raw:// of the config file's content, read and
 * validated here (a compose config is the CLI's to read, not the service's). */
static wctr_err credspec_option(const cli_compose_project *p, const cli_compose_service *s,
                                cli_compose_read_fn read_file, void *ctx, char **out, wctr_errmsg *e) {
  const char *scheme = gmsa_source_kind_name(s->credspec.kind);
  const char *value = s->credspec.value;
  char *canonical = NULL;
  wctr_err err = WCTR_OK;
  if (s->credspec.kind == GMSA_SOURCE_CONFIG) {
    const cli_compose_resource *cfg = NULL;
    for (size_t i = 0; i < p->config_count && cfg == NULL; i++) {
      if (strcmp(p->configs[i].name, value) == 0) cfg = &p->configs[i];
    }
    if (cfg == NULL) {
      return wctr_fail(e, WCTR_EINVAL, "services.%s.credential_spec: config \"%.64s\" is not defined", s->name, value);
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
  size_t n = strlen("credentialspec=") + strlen(scheme) + 3 + strlen(value) + 1;
  char *opt = cJSON_malloc(n);
  if (opt != NULL) snprintf(opt, n, "credentialspec=%s://%s", scheme, value);
  gmsa_secret_free(canonical);
  if (opt == NULL) return oom(e);
  *out = opt;
  return WCTR_OK;
}

wctr_err cli_compose_create_params(const cli_compose_project *p, const cli_compose_service *s,
                                   cli_compose_read_fn read_file, void *ctx, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  if (s->config_count > 0) {
    /* Windows bind mounts are folders, and a config is one file: there is no honest mapping yet. */
    return wctr_fail(e, WCTR_ENOTSUP,
                     "services.%s.configs: giving a config to a container as a file is not supported by wctr yet "
                     "(configs can be used as credential_spec: {config: NAME})",
                     s->name);
  }
  if (s->stop_grace_period_set && s->stop_grace_period_ns > INT64_C(3600) * 1000000000) {
    return wctr_fail(e, WCTR_EINVAL, "services.%s.stop_grace_period: at most 1h (wctr's longest stop timeout)",
                     s->name);
  }
  const cli_compose_command *forms[2] = {&s->entrypoint, &s->command};
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
  cJSON *params = cJSON_CreateObject();
  cJSON *hc = cJSON_AddObjectToObject(params, "HostConfig");
  cJSON *labels = cJSON_AddObjectToObject(params, "Labels");
  cJSON *cmd = cJSON_CreateArray();
  cJSON *env = cJSON_AddArrayToObject(params, "Env");
  bool ok = params != NULL && hc != NULL && labels != NULL && cmd != NULL && env != NULL;
  char number[24];
  snprintf(number, sizeof number, "1");
  ok = ok && cJSON_AddStringToObject(params, "Name", s->container_name) != NULL &&
       cJSON_AddStringToObject(params, "Image", s->image) != NULL && add_command(cmd, &s->entrypoint) &&
       add_command(cmd, &s->command) && add_strings(env, s->environment, s->environment_count) &&
       cJSON_AddStringToObject(labels, "com.docker.compose.project", p->name) != NULL &&
       cJSON_AddStringToObject(labels, "com.docker.compose.service", s->name) != NULL &&
       cJSON_AddStringToObject(labels, "com.docker.compose.container-number", number) != NULL;
  for (size_t i = 0; ok && i < s->label_count; i++) {
    if (strncmp(s->labels[i], "com.docker.compose.", strlen("com.docker.compose.")) == 0) {
      cJSON_Delete(params);
      cJSON_Delete(cmd);
      return wctr_fail(e, WCTR_EINVAL, "services.%s.labels: %.64s: com.docker.compose.* labels are set by wctr compose",
                       s->name, s->labels[i]);
    }
    ok = add_label(labels, s->labels[i]);
  }
  /* An empty Cmd is left out: the service then says that a command is needed (job containers have no
   * image defaults). */
  if (ok && cmd->child != NULL) {
    ok = cJSON_AddItemToObject(params, "Cmd", cmd);
    cmd = NULL;
  }
  if (ok && s->working_dir != NULL) ok = cJSON_AddStringToObject(params, "WorkingDir", s->working_dir) != NULL;
  if (ok && s->user != NULL) ok = cJSON_AddStringToObject(params, "User", s->user) != NULL;
  if (ok && s->hostname != NULL) ok = cJSON_AddStringToObject(params, "Hostname", s->hostname) != NULL;
  if (ok && s->stop_grace_period_set) {
    /* Whole seconds, rounded up: a grace period is never shortened. */
    int64_t seconds = (s->stop_grace_period_ns + 999999999) / 1000000000;
    ok = cJSON_AddNumberToObject(params, "StopTimeout", (double)seconds) != NULL;
  }
  if (ok && s->isolation != WCTR_ISOLATION_DEFAULT) {
    ok = cJSON_AddStringToObject(hc, "Isolation", spec_isolation_name(s->isolation)) != NULL;
  }
  for (size_t i = 0; ok && i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    int64_t value = spec_resource_get(&s->resources, f);
    if (value != 0) ok = cJSON_AddNumberToObject(hc, f->wire, (double)value) != NULL;
  }
  if (ok && s->restart.name != SPEC_RESTART_NO) {
    cJSON *rp = cJSON_AddObjectToObject(hc, "RestartPolicy");
    ok = rp != NULL && cJSON_AddStringToObject(rp, "Name", spec_restart_name_text(s->restart.name)) != NULL;
    if (ok && s->restart.max_retries > 0) {
      ok = cJSON_AddNumberToObject(rp, "MaximumRetryCount", (double)s->restart.max_retries) != NULL;
    }
  }
  if (ok && s->volume_count > 0) {
    cJSON *binds = cJSON_AddArrayToObject(hc, "Binds");
    for (size_t i = 0; ok && binds != NULL && i < s->volume_count; i++) {
      const cli_compose_mount *v = &s->volumes[i];
      size_t n = strlen(v->source) + strlen(v->target) + 5;
      char *bind = malloc(n);
      if (bind != NULL) snprintf(bind, n, "%s:%s%s", v->source, v->target, v->read_only ? ":ro" : "");
      ok = bind != NULL && cJSON_AddItemToArray(binds, cJSON_CreateString(bind));
      free(bind);
    }
    ok = ok && binds != NULL;
  }
  if (ok && s->secret_count > 0) {
    cJSON *secrets = cJSON_AddArrayToObject(params, "Secrets");
    for (size_t i = 0; ok && secrets != NULL && i < s->secret_count; i++) {
      cJSON *one = cJSON_CreateObject();
      ok = one != NULL && cJSON_AddStringToObject(one, "Name", s->secrets[i].source) != NULL &&
           cJSON_AddStringToObject(one, "Target", s->secrets[i].target) != NULL &&
           cJSON_AddItemToArray(secrets, one);
      if (!ok) cJSON_Delete(one);
    }
    ok = ok && secrets != NULL;
  }
  cJSON_Delete(cmd);
  if (!ok) {
    cJSON_Delete(params);
    return oom(e);
  }
  if (s->has_credspec) {
    char *opt = NULL;
    wctr_err err = credspec_option(p, s, read_file, ctx, &opt, e);
    cJSON *so = err == WCTR_OK ? cJSON_AddArrayToObject(hc, "SecurityOpt") : NULL;
    if (err == WCTR_OK && (so == NULL || !cJSON_AddItemToArray(so, cJSON_CreateString(opt)))) err = oom(e);
    gmsa_secret_free(opt);
    if (err != WCTR_OK) {
      gmsa_json_secure_delete(params);
      return err;
    }
  }
  *out = params;
  return WCTR_OK;
}
