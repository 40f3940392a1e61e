/* service/container.h - a container's configuration, state and record (portable).
 *
 * The same record serves three purposes: it is what `container.create` builds from a request, what the
 * state store persists as <data-root>\containers\<id>\container.json, and what `inspect` returns. It is
 * isolation-independent: the HCS isolations reuse it.
 *
 * Create parameters (the `params` of container.create; Docker's field names; unknown keys are refused):
 *   Name        string, optional: [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}; generated when absent
 *   Image       string: for job isolation a local folder (the sandbox root) or "host" for none
 *   Cmd         array of strings, at least one: the program and its arguments
 *   Env         array of "KEY=VALUE" strings
 *   WorkingDir  string
 *   User        string
 *   OpenStdin   bool (-i)
 *   Tty         bool (-t), HCS isolations
 *   Hostname    string, HCS isolations (job containers share the host's name)
 *   StopTimeout integer seconds, 0..3600 (default 30, Docker's default on Windows)
 *   Secrets     array of {"Name", "Target"?} (service/secrets.h): secrets given to the container as files
 *   HostConfig  {Isolation "default"|"process"|"hyperv"|"job" (case-insensitive), Memory, NanoCpus,
 *                CpuCount, CpuPercent, CpuShares, PidsLimit, IOMaximumIOps, IOMaximumBandwidth (integers),
 *                AutoRemove bool, Binds [string]: -v HOST:CONTAINER[:ro|rw] (hcs/document.h hcs_mount_parse),
 *                HCS isolations only, RestartPolicy, SecurityOpt}
 *   Labels, HostConfig.RestartPolicy and HostConfig.SecurityOpt: see "Labels, restart policy, security
 *   options" below (service/container_opts.c).
 *
 * States and the events that move them (anything else is WCTR_ESTATE with a message naming both):
 *   created  --start-->  running  --exit-->  exited  --start-->  running
 *   created | exited  --remove-->  removing;  running --remove(force)--> (kill, then exit, then remove) */
#ifndef WCTR_SERVICE_CONTAINER_H
#define WCTR_SERVICE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "jobs/limits.h"
#include "service/secrets.h"

#define SVC_ID_HEX 64
#define SVC_SHORT_ID 12
#define SVC_NAME_MAX 128
#define SVC_DEFAULT_STOP_TIMEOUT 30
#define SVC_MAX_STOP_TIMEOUT 3600

typedef enum svc_state {
  SVC_STATE_CREATED = 1,
  SVC_STATE_RUNNING,
  SVC_STATE_EXITED,
  SVC_STATE_REMOVING,
} svc_state;

typedef enum svc_event {
  SVC_EVENT_START = 1,
  SVC_EVENT_EXIT,
  SVC_EVENT_REMOVE,
} svc_event;

/* --- Labels, restart policy, security options (issue #5; service/container_opts.c) -----------------------
 *
 * Labels       object of string -> string. Keys non-empty, at most SVC_LABEL_MAX bytes, no control
 *              characters; values at most SVC_LABEL_VALUE_MAX bytes. Kept sorted by key.
 * HostConfig.RestartPolicy  {"Name": "" | "no" | "on-failure" | "always" | "unless-stopped",
 *              "MaximumRetryCount": integer >= 0, only with on-failure}. Docker's messages: "invalid restart
 *              policy 'x'", "maximum retry count cannot be used with restart policy 'always'", "maximum retry
 *              count cannot be negative", "can't create 'AutoRemove' container with restart policy".
 * HostConfig.SecurityOpt    array of strings. Only "credentialspec=VALUE" (key in any case, at most once)
 *              is accepted; any other option is refused naming it. VALUE is checked for its scheme here
 *              (gmsa/source.h); reading and validating the spec it names is the service's job at create
 *              time (svc_container_set_credspec). A credential spec with job isolation is refused: a job
 *              container runs on the host with a local identity and cannot carry a gMSA.
 *
 * Record and inspect: Config.Labels {K: V}; HostConfig.RestartPolicy {Name, MaximumRetryCount};
 * HostConfig.SecurityOpt [...]; "RestartCount"; State.ManuallyStopped; and, with a spec,
 * "CredentialSpec": {"Source": "file://web.json" | "registry://web" | "raw://" , "Spec": {...}}. In the
 * record file (svc_container_to_record_json) Spec is the whole resolved spec, which the HCS path hands to
 * Container Credential Guard; in inspect (svc_container_to_json) PluginInput is "<redacted>" and a raw://
 * security option is shown as "credentialspec=raw://<redacted>". */
#define SVC_LABEL_MAX 1024
#define SVC_LABEL_VALUE_MAX 4096

typedef enum svc_restart_name {
  SVC_RESTART_NO = 0,
  SVC_RESTART_ON_FAILURE,
  SVC_RESTART_ALWAYS,
  SVC_RESTART_UNLESS_STOPPED,
} svc_restart_name;

typedef struct svc_container_opts {
  char **label_keys;   /* label_count keys, sorted (byte order) */
  char **label_values; /* the matching values */
  size_t label_count;
  svc_restart_name restart;
  int64_t restart_max_retries; /* on-failure only; 0: no limit */
  char **security_opt;         /* as given */
  size_t security_opt_count;
  const char *credspec_option; /* the VALUE of credentialspec=VALUE, into security_opt; NULL without */
  char *credspec_source;       /* set by svc_container_set_credspec: "file://a\b.json", "registry://x", "raw://" */
  char *credspec_json;         /* the resolved, validated spec (gmsa_credspec_to_json). SECRET: zeroed on free */
} svc_container_opts;

typedef struct svc_container_config {
  char *image;
  char **cmd;            /* cmd_count strings */
  size_t cmd_count;
  char **env;            /* env_count "K=V" strings */
  size_t env_count;
  char *working_dir;     /* NULL when not given */
  char *user;            /* NULL when not given */
  bool open_stdin;
  bool tty;              /* -t: HCS EmulateConsole (stderr joins stdout); refused for job containers */
  bool auto_remove;
  int stop_timeout;      /* seconds */
  wctr_isolation isolation;
  job_resources resources; /* as requested (Docker's HostConfig numbers) */
  /* HCS isolations */
  char *hostname;        /* NULL: the first 12 characters of the id */
  char **binds;          /* bind_count "-v" values, each checked with hcs_mount_parse */
  size_t bind_count;
  svc_container_opts opts; /* labels, restart policy, security options */
  /* Secrets (issue 6): what the container is given, materialised at start (service/secrets.h). */
  svc_secret_ref *secrets; /* secret_count refs, malloc'ed; NULL when none */
  size_t secret_count;
} svc_container_config;

typedef struct svc_container_state {
  svc_state status;
  uint32_t pid;
  int64_t exit_code;
  bool oom_killed;
  char started_at[40];   /* ISO 8601 UTC, "" when never */
  char finished_at[40];
  char error[256];       /* why the last start failed, "" when it did not */
  int64_t restart_count; /* restarts by the restart policy since the last start by a user */
  bool manually_stopped; /* stopped or killed by a user: unless-stopped does not bring it back */
} svc_container_state;

typedef struct svc_container {
  char id[SVC_ID_HEX + 1];
  char name[SVC_NAME_MAX + 1];
  char created[40];
  svc_container_config config;
  svc_container_state state;
  job_limits limits;     /* the limits wctr applies (from config.resources) */
  char identity[128];    /* the account the process runs as, once started */
  cJSON *runtime;        /* what the isolation's runtime recorded at start ("Runtime": HCS ids, sandbox,
                            utility VM size); owned; NULL when none */
} svc_container;

const char *svc_state_name(svc_state state); /* "created", "running", "exited", "removing" */

/* Builds a new container (state created) from create params. id, name (when none is given) and the
 * creation time come from the caller, so this stays deterministic and testable. host_cpus is the host's
 * logical CPU count. Warnings (flags dropped or clamped) go to *warnings. On failure *out is untouched
 * and e names the field. */
wctr_err svc_container_from_params(const cJSON *params, const char *id, const char *generated_name,
                                   const char *now, int host_cpus, svc_container *out,
                                   job_warnings *warnings, wctr_errmsg *e);

/* The record as persisted and inspected. Caller frees with cJSON_Delete. NULL when out of memory. */
cJSON *svc_container_to_json(const svc_container *c);
/* The limits present in l (by its flags) as {"JobMemoryLimit","CpuRate","CpuWeight","ActiveProcessLimit",
 * "MaxIops","MaxBandwidth"}; used for what wctr computed and for what Windows reports. NULL when out of
 * memory; caller frees with cJSON_Delete. */
cJSON *svc_limits_json(const job_limits *l);

/* Reads a persisted record back (strictly); e names the field when the file is damaged. */
wctr_err svc_container_from_json(const cJSON *json, svc_container *out, wctr_errmsg *e);

void svc_container_free(svc_container *c);

/* Applies an event; on refusal the state is unchanged and e says why, e.g.
 * "container web is running: stop it first or use --force". */
wctr_err svc_container_transition(svc_container *c, svc_event event, wctr_errmsg *e);

/* --- Labels, restart policy, security options (issue #5; service/container_opts.c) --------------- */

/* Reads Labels (from params) and RestartPolicy, SecurityOpt (from hc, may be NULL) into cfg->opts, with the
 * rules above (auto_remove and isolation already parsed). Called by svc_container_from_params. */
wctr_err svc_container_opts_parse(const cJSON *params, const cJSON *hc, svc_container_config *cfg, wctr_errmsg *e);
void svc_container_opts_free(svc_container_opts *o);
/* Adds Labels to config, RestartPolicy and SecurityOpt to hc; with_secrets: the record file's form. */
bool svc_container_opts_to_json(const svc_container *c, cJSON *root, cJSON *config, cJSON *hc, cJSON *state,
                                bool with_secrets);
/* Reads back what svc_container_opts_to_json wrote that create params do not carry: RestartCount,
 * State.ManuallyStopped and CredentialSpec (its Spec validated again, gmsa/credspec.h). */
wctr_err svc_container_opts_from_json(const cJSON *json, svc_container *c, wctr_errmsg *e);

/* Keeps the resolved spec: source is the display form ("file://web.json"), spec_json the validated spec's
 * text (copied; the caller still zeroes its own). */
wctr_err svc_container_set_credspec(svc_container *c, const char *source, const char *spec_json, wctr_errmsg *e);

/* The record as written to container.json: svc_container_to_json plus the whole credential spec. */
cJSON *svc_container_to_record_json(const svc_container *c);

/* Label filter of container.list: "key" (the label is set) or "key=value". */
bool svc_container_has_label(const svc_container *c, const char *filter);

/* Restart policy decisions (Docker's restart manager). On exit: not when the user stopped it or wctrd is
 * stopping; no: never; always and unless-stopped: yes; on-failure: a non-zero exit code while
 * restart_count < MaximumRetryCount (0: no limit). At wctrd's start, for a container that has run before
 * and is not running: always, and unless-stopped unless the user stopped it. */
bool svc_restart_on_exit(const svc_container *c, int64_t exit_code, bool service_stopping);
bool svc_restart_on_service_start(const svc_container *c);
/* "no", "on-failure", "always", "unless-stopped". */
const char *svc_restart_name_text(svc_restart_name name);

/* Does ref name this container: its full id, its name, or an id prefix of at least 1 hex digit. */
bool svc_container_matches(const svc_container *c, const char *ref, bool *exact);

/* A JSON array of strings at obj[key] copied into a malloc'ed array (*count entries); free with
 * svc_strings_free. non_empty: at least one entry. e names where.key. Shared by the catalogs' records. */
wctr_err svc_json_strings(const cJSON *obj, const char *key, const char *where, bool required, bool non_empty,
                          char ***out, size_t *count, wctr_errmsg *e);
void svc_strings_free(char **list, size_t count);

/* "default" (0), "process", "hyperv" or "job", case-insensitive; anything else is Docker's "invalid
 * isolation (%s): ..." with wctr's fourth mode. */
wctr_err svc_isolation_parse(const char *text, wctr_isolation *out, wctr_errmsg *e);

/* Validates a container name as Docker does (without the leading '/'). */
bool svc_container_name_valid(const char *name);

#endif
