/* service/container.h - a container's record: its spec, its state, what ran it (portable).
 *
 * The same record serves three purposes: it is what `container.create` builds from a request, what the
 * state store persists as <data-root>\containers\<id>\container.json, and what `inspect` returns. It is
 * isolation-independent: the HCS isolations reuse it.
 *
 * What the container is - image, process, isolation, resources, mounts, labels, restart policy, security
 * options, secret references - is its spec (spec/spec.h): the create params are spec_from_json's JSON form
 * (with "Name", read here: [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}, generated when absent, Docker's leading '/'
 * dropped), and a record's Config and HostConfig are spec_to_json's. Besides the spec's rules, a create
 * needs a command: "params: \"Cmd\" is required" (the HCS path fills it from the image before this is
 * called; job containers have no image default).
 *
 * Record and inspect, around the spec's Config and HostConfig: Id, Name, Created, State {Status, Running, Paused,
 * Pid, ExitCode, OOMKilled, StartedAt, FinishedAt, Error, ManuallyStopped}, EffectiveLimits (the job-object
 * limits wctr computed, svc_limits_json), Identity, Runtime, RestartCount and, with a credential spec,
 * "CredentialSpec": {"Source": "file://web.json" | "registry://web" | "raw://", "Spec": {...}}. In the
 * record file (svc_container_to_record_json) Spec is the whole resolved spec, which the HCS path hands to
 * Container Credential Guard; in inspect (svc_container_to_json) PluginInput is "<redacted>" and a raw://
 * security option is shown as "credentialspec=raw://<redacted>".
 *
 * States and the events that move them (anything else is WCTR_ESTATE with a message naming both):
 *   created  --start-->  running  --exit-->  exited  --start-->  running
 *   running: paused and unpaused (the manager's flag, state.paused; an exit clears it)
 *   created | exited  --remove-->  removing;  running --remove(force)--> (kill, then exit, then remove) */
#ifndef WCTR_SERVICE_CONTAINER_H
#define WCTR_SERVICE_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "jobs/limits.h"
#include "spec/spec.h"

#define SVC_ID_HEX 64
#define SVC_SHORT_ID 12
#define SVC_NAME_MAX 128

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
  bool paused;           /* running, and its processes frozen (docker pause); only with status RUNNING */
} svc_container_state;

typedef struct svc_container {
  char id[SVC_ID_HEX + 1];
  char name[SVC_NAME_MAX + 1];
  char created[40];
  spec_container spec;   /* what the container is; isolation DEFAULT only until the service resolves it */
  svc_container_state state;
  job_limits limits;     /* EffectiveLimits: job isolation's limits from spec.resources (job_limits_from_spec),
                            computed at create and by container.update */
  char identity[128];    /* the account the process runs as, once started */
  cJSON *runtime;        /* what the isolation's runtime recorded at start ("Runtime": HCS ids, sandbox,
                            utility VM size); owned; NULL when none */
} svc_container;

const char *svc_state_name(svc_state state); /* "created", "running", "exited", "removing" */
/* Docker's status word: svc_state_name, or "paused" for a running container that is paused (State.Status, and the
 * list's State; State.Running stays true and State.Paused says it, as Docker's inspect does). */
const char *svc_container_status_name(const svc_container_state *s);

/* Builds a new container (state created) from create params. id, name (when none is given) and the
 * creation time come from the caller, so this stays deterministic and testable. host_cpus is the host's
 * logical CPU count. Warnings (flags dropped or clamped) go to *warnings. On failure *out is untouched
 * and e names the field. */
wctr_err svc_container_from_params(const cJSON *params, const char *id, const char *generated_name,
                                   const char *now, int host_cpus, svc_container *out,
                                   spec_warnings *warnings, wctr_errmsg *e);

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

/* Keeps the resolved credential spec in spec.credspec_source / credspec_json: source is the display form
 * ("file://web.json"), spec_json the validated spec's text (copied; the caller still zeroes its own). */
wctr_err svc_container_set_credspec(svc_container *c, const char *source, const char *spec_json, wctr_errmsg *e);
/* The same on a spec (the manager resolves the credential spec before the record exists). */
wctr_err svc_spec_set_credspec(spec_container *spec, const char *source, const char *spec_json, wctr_errmsg *e);

/* The record as written to container.json: svc_container_to_json plus the whole credential spec. */
cJSON *svc_container_to_record_json(const svc_container *c);

/* Restart decisions from the record's facts: spec_restart_on_exit with its restart count and whether a
 * user stopped it; spec_restart_on_service_start for a container that has run (StartedAt set) and is
 * neither running nor being removed. */
bool svc_restart_on_exit(const svc_container *c, int64_t exit_code, bool service_stopping);
bool svc_restart_on_service_start(const svc_container *c);

/* Does ref name this container: its full id, its name, or an id prefix of at least 1 hex digit. */
bool svc_container_matches(const svc_container *c, const char *ref, bool *exact);

/* A JSON array of strings at obj[key] copied into a malloc'ed array (*count entries); free with
 * svc_strings_free. non_empty: at least one entry. e names where.key. Shared by the catalogs' records. */
wctr_err svc_json_strings(const cJSON *obj, const char *key, const char *where, bool required, bool non_empty,
                          char ***out, size_t *count, wctr_errmsg *e);
void svc_strings_free(char **list, size_t count);

/* Validates a container name as Docker does (without the leading '/'). */
bool svc_container_name_valid(const char *name);

#endif
