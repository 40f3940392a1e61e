/* service/config.h - wctrd's settings: defaults, <data-root>\config\wctrd.json, command-line flags.
 *
 * Keys of wctrd.json (all optional; any other key is an error that names it):
 *   "pipe":      string, pipe name or \\.\pipe\NAME        (flag --pipe)
 *   "groups":    array of strings, group names or SIDs      (flag --group, repeatable)
 *   "log-level": "error" | "warn" | "info" | "debug"        (flag --log-level)
 *   "allow-unencrypted-secrets": bool, default false        (no flag: a security downgrade belongs in the
 *                file only administrators can write, where `wctr check` and the audit trail point to it)
 *   "insecure-registries": array of strings (no flag, as above): registries that may be reached over plain
 *                HTTP, Docker's form - "host", "host:port" or an IPv4 CIDR "10.0.0.0/8"; each entry at most
 *                255 characters of [A-Za-z0-9.-:/[]], at most SVC_MAX_INSECURE; loopback registries need no
 *                entry (images/registry.h)
 *   "docker-api": array of strings, the Docker Engine API's listeners (flag --docker-api, repeatable; forms
 *                and the loopback rule in service/api_listen.h; none by default; at most SVC_MAX_DOCKER_API,
 *                no address twice)
 *   "image-trust": object (no flag, administrators only as the file is): the image-trust policy,
 *                {"policy": "signed"|"off", "keys": [PEM public key paths], "repositories": {prefix: {...}}},
 *                parsed by img_trust_policy_parse (images/trust.h; "off" when absent); its key files are read
 *                when wctrd starts (img_trust_policy_load_keys), and one that cannot be stops it
 * A setting given both as a flag and in the file is an error naming both, as dockerd does: one source of
 * truth per setting. The data root itself is a flag (or the default %ProgramData%\wctr) because the file
 * lives inside it. */
#ifndef WCTR_SERVICE_CONFIG_H
#define WCTR_SERVICE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/log.h"
#include "common/pipename.h"
#include "images/trust.h"
#include "service/api_listen.h"

#define SVC_CONFIG_FILE "wctrd.json"
#define SVC_CONFIG_MAX_BYTES (64u * 1024u)
#define SVC_MAX_GROUPS 32
#define SVC_MAX_INSECURE 64
#define SVC_MAX_DOCKER_API 8

typedef struct svc_config {
  char pipe_path[WCTR_PIPE_PATH_MAX]; /* \\.\pipe\NAME */
  bool pipe_set;
  char *groups[SVC_MAX_GROUPS];       /* names or SID strings, as given; owned */
  size_t group_count;
  bool groups_set;
  wctr_log_level log_level;
  bool log_level_set;
  bool allow_unencrypted_secrets; /* secrets on a volume BitLocker does not protect (service/secrets.h) */
  char *insecure[SVC_MAX_INSECURE + 1]; /* insecure-registries, NULL-terminated; owned */
  size_t insecure_count;
  svc_api_address docker_api[SVC_MAX_DOCKER_API]; /* the Engine API's listeners */
  size_t docker_api_count;
  bool docker_api_set;
  img_trust_policy *image_trust; /* "image-trust", keys not loaded yet; NULL: off; owned */
} svc_config;

/* Defaults: pipe \\.\pipe\wctr_engine, no extra groups, log level info. */
void svc_config_init(svc_config *cfg);
void svc_config_free(svc_config *cfg);

/* Setters used for flags; each marks the setting as set. where names the source in messages. */
wctr_err svc_config_set_pipe(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e);
wctr_err svc_config_add_group(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e);
wctr_err svc_config_set_log_level(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e);
wctr_err svc_config_add_docker_api(svc_config *cfg, const char *value, const char *where, wctr_errmsg *e);

/* Parses the text of wctrd.json (len bytes) into a fresh config. where names the file in messages. */
wctr_err svc_config_parse(const char *text, size_t len, const char *where, svc_config *out, wctr_errmsg *e);

/* Moves the settings of file into flags where flags did not set them; a setting present in both is
 * an error. file is left empty either way. */
wctr_err svc_config_merge(svc_config *flags, svc_config *file, const char *file_where, wctr_errmsg *e);

#endif
