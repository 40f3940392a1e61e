/* service/config.c - wctrd settings (portable). */
#include "service/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "images/trust.h"

void svc_config_init(svc_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  snprintf(cfg->pipe_path, sizeof cfg->pipe_path, "%s%s", WCTR_PIPE_PREFIX, WCTR_DEFAULT_PIPE_NAME);
  cfg->log_level = WCTR_LOG_INFO;
}

void svc_config_free(svc_config *cfg) {
  if (cfg == NULL) return;
  for (size_t i = 0; i < cfg->group_count; i++) free(cfg->groups[i]);
  for (size_t i = 0; i < cfg->insecure_count; i++) free(cfg->insecure[i]);
  img_trust_policy_free(cfg->image_trust);
  svc_config_init(cfg);
}

wctr_err svc_config_set_pipe(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e) {
  wctr_err err = wctr_pipe_path(value, true, where, cfg->pipe_path, sizeof cfg->pipe_path, e);
  if (err == WCTR_OK) cfg->pipe_set = true;
  return err;
}

wctr_err svc_config_add_group(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e) {
  size_t n = strlen(value);
  if (n == 0 || n > 256) return wctr_fail(e, WCTR_EINVAL, "%s: a group name must be 1 to 256 characters", where);
  for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
    if (*p < 0x20 || *p == 0x7F) {
      return wctr_fail(e, WCTR_EINVAL, "%s: a group name cannot contain control characters", where);
    }
  }
  if (cfg->group_count == SVC_MAX_GROUPS) {
    return wctr_fail(e, WCTR_EINVAL, "%s: at most %d groups can be given", where, SVC_MAX_GROUPS);
  }
  char *copy = malloc(n + 1);
  if (copy == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  memcpy(copy, value, n + 1);
  cfg->groups[cfg->group_count++] = copy;
  cfg->groups_set = true;
  return WCTR_OK;
}

wctr_err svc_config_set_log_level(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e) {
  if (wctr_log_level_parse(value, &cfg->log_level) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "%s: log level \"%s\" is not one of error, warn, info, debug", where,
                     value);
  }
  cfg->log_level_set = true;
  return WCTR_OK;
}

/* "host", "host:port", "[v6]:port" or an IPv4 CIDR: the characters of those, bounded. */
static wctr_err add_insecure(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e) {
  size_t n = strlen(value);
  bool ok = n > 0 && n <= 255;
  for (size_t i = 0; ok && i < n; i++) {
    char ch = value[i];
    ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr(".-:/[]", ch) != NULL;
  }
  if (!ok || strstr(value, "://") != NULL) {
    return wctr_fail(e, WCTR_ECONFIG, "%s: \"%.80s\" is not a registry (host, host:port or an IPv4 CIDR such as 10.0.0.0/8)",
                     where, value);
  }
  if (cfg->insecure_count == SVC_MAX_INSECURE) {
    return wctr_fail(e, WCTR_ECONFIG, "%s: at most %d registries", where, SVC_MAX_INSECURE);
  }
  char *copy = malloc(n + 1);
  if (copy == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  memcpy(copy, value, n + 1);
  cfg->insecure[cfg->insecure_count++] = copy;
  return WCTR_OK;
}

wctr_err svc_config_add_docker_api(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e) {
  if (cfg->docker_api_count == SVC_MAX_DOCKER_API) {
    return wctr_fail(e, WCTR_EINVAL, "%s: at most %d Engine API addresses can be given", where, SVC_MAX_DOCKER_API);
  }
  svc_api_address a;
  wctr_err err = svc_api_address_parse(value, where, &a, e);
  if (err != WCTR_OK) return err;
  for (size_t i = 0; i < cfg->docker_api_count; i++) {
    if (strcmp(cfg->docker_api[i].text, a.text) == 0) {
      return wctr_fail(e, WCTR_EINVAL, "%s: %s is given twice", where, a.text);
    }
  }
  cfg->docker_api[cfg->docker_api_count++] = a;
  cfg->docker_api_set = true;
  return WCTR_OK;
}

wctr_err svc_config_parse(const char *text, size_t len, const char *where, svc_config *out, wctr_errmsg *e) {
  static const char *const keys[] = {"pipe", "groups", "log-level", "allow-unencrypted-secrets", "docker-api",
                                     "insecure-registries", "image-trust", NULL};
  const cJSON *insecure = NULL;
  char field[160];
  wctr_err err = WCTR_OK;
  const char *pipe = NULL;
  const char *level = NULL;
  const cJSON *groups = NULL;
  const cJSON *apis = NULL;
  svc_config_init(out);
  if (len > SVC_CONFIG_MAX_BYTES) {
    return wctr_fail(e, WCTR_ECONFIG, "%s is larger than %u bytes", where, SVC_CONFIG_MAX_BYTES);
  }
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (root == NULL) {
    err = wctr_fail(e, WCTR_ECONFIG, "%s is not valid JSON", where);
    goto done;
  }
  if (wctr_json_check_keys(root, where, keys, e) != WCTR_OK ||
      wctr_json_get_string(root, "pipe", where, false, &pipe, e) != WCTR_OK ||
      wctr_json_get_string_array(root, "groups", where, false, &groups, e) != WCTR_OK ||
      wctr_json_get_string_array(root, "docker-api", where, false, &apis, e) != WCTR_OK ||
      wctr_json_get_string(root, "log-level", where, false, &level, e) != WCTR_OK ||
      wctr_json_get_bool(root, "allow-unencrypted-secrets", where, false, &out->allow_unencrypted_secrets, e) !=
          WCTR_OK ||
      wctr_json_get_string_array(root, "insecure-registries", where, false, &insecure, e) != WCTR_OK) {
    err = WCTR_ECONFIG;
    goto done;
  }
  if (pipe != NULL) {
    snprintf(field, sizeof field, "%s: \"pipe\"", where);
    err = svc_config_set_pipe(out, pipe, field, e);
    if (err != WCTR_OK) goto done;
  }
  if (groups != NULL) {
    snprintf(field, sizeof field, "%s: \"groups\"", where);
    for (const cJSON *g = groups->child; g != NULL; g = g->next) {
      err = svc_config_add_group(out, g->valuestring, field, e);
      if (err != WCTR_OK) goto done;
    }
    out->groups_set = true;
  }
  if (apis != NULL) {
    snprintf(field, sizeof field, "%s: \"docker-api\"", where);
    for (const cJSON *a = apis->child; a != NULL; a = a->next) {
      err = svc_config_add_docker_api(out, a->valuestring, field, e);
      if (err != WCTR_OK) goto done;
    }
    out->docker_api_set = true;
  }
  if (level != NULL) {
    snprintf(field, sizeof field, "%s: \"log-level\"", where);
    err = svc_config_set_log_level(out, level, field, e);
    if (err != WCTR_OK) goto done;
  }
  if (insecure != NULL) {
    snprintf(field, sizeof field, "%s: \"insecure-registries\"", where);
    for (const cJSON *r = insecure->child; r != NULL; r = r->next) {
      err = add_insecure(out, r->valuestring, field, e);
      if (err != WCTR_OK) goto done;
    }
  }
  const cJSON *trust = cJSON_GetObjectItemCaseSensitive(root, "image-trust");
  if (trust != NULL) {
    snprintf(field, sizeof field, "%s: \"image-trust\"", where);
    if (!cJSON_IsObject(trust)) {
      err = wctr_fail(e, WCTR_ECONFIG, "%s must be an object, not %s", field, wctr_json_type_name(trust));
      goto done;
    }
    err = img_trust_policy_parse(trust, field, &out->image_trust, e);
    if (err != WCTR_OK) goto done;
  }
done:
  cJSON_Delete(root);
  if (err != WCTR_OK) {
    if (e != NULL) e->code = WCTR_ECONFIG;
    svc_config_free(out);
    return WCTR_ECONFIG;
  }
  return WCTR_OK;
}

static wctr_err conflict(const char *flag, const char *key, const char *file_where, wctr_errmsg *e) {
  return wctr_fail(e, WCTR_ECONFIG, "%s is given both as the flag %s and as \"%s\" in %s; keep one", key,
                   flag, key, file_where);
}

wctr_err svc_config_merge(svc_config *flags, svc_config *file, const char *file_where, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  if (flags->pipe_set && file->pipe_set) {
    err = conflict("--pipe", "pipe", file_where, e);
  } else if (flags->groups_set && file->groups_set) {
    err = conflict("--group", "groups", file_where, e);
  } else if (flags->log_level_set && file->log_level_set) {
    err = conflict("--log-level", "log-level", file_where, e);
  } else if (flags->docker_api_set && file->docker_api_set) {
    err = conflict("--docker-api", "docker-api", file_where, e);
  }
  if (err != WCTR_OK) goto done;
  if (file->pipe_set) {
    memcpy(flags->pipe_path, file->pipe_path, sizeof flags->pipe_path);
    flags->pipe_set = true;
  }
  if (file->groups_set) {
    memcpy(flags->groups, file->groups, sizeof flags->groups);
    flags->group_count = file->group_count;
    flags->groups_set = true;
    file->group_count = 0; /* ownership moved */
  }
  if (file->log_level_set) {
    flags->log_level = file->log_level;
    flags->log_level_set = true;
  }
  if (file->docker_api_set) {
    memcpy(flags->docker_api, file->docker_api, sizeof flags->docker_api);
    flags->docker_api_count = file->docker_api_count;
    flags->docker_api_set = true;
  }
  flags->allow_unencrypted_secrets = file->allow_unencrypted_secrets;
  memcpy(flags->insecure, file->insecure, sizeof flags->insecure);
  flags->insecure_count = file->insecure_count;
  file->insecure_count = 0; /* ownership moved */
  flags->image_trust = file->image_trust;
  file->image_trust = NULL;
done:
  svc_config_free(file);
  return err;
}
