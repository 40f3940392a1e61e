/* spec/spec.h - what a container is: the specification every front-end produces (the wctr pipe protocol,
 * compose, later the Docker Engine API) and every runtime consumes (job objects, HCS). Portable: no
 * windows.h, no logging, no global state; everything here is tested natively.
 *
 * The vocabulary lives here once:
 *   isolation      wctr_isolation, its names, its parser, and the default chosen for a host;
 *   resources      spec_resources (Docker's units) with ONE table of wire names (spec_resource_fields),
 *                  Docker's checks (spec_resources_check) and Docker's formulas for job objects and HCS;
 *   process        command, environment, working directory, user, tty, stdin;
 *   mounts         -v HOST:CONTAINER[:ro|rw] (spec_mount_parse);
 *   restart policy spec_restart and Docker's restart-manager decisions;
 *   labels, security options (credentialspec=...), secret references.
 * The JSON form of a spec (spec_from_json / spec_to_json) is the create params of the pipe protocol,
 * which are Docker's field names: top level Image, Cmd, Env, WorkingDir, User, OpenStdin, Tty, Hostname,
 * StopTimeout, Labels, Secrets, and HostConfig {Isolation, <resource fields>, AutoRemove, Binds,
 * RestartPolicy, SecurityOpt}. Unknown keys are refused naming them.
 *
 * Ownership: every pointer in a spec_container is owned by it (spec_free); strings are UTF-8.
 * Secrets: credspec_json and a raw:// security option hold a credential spec that may carry a password
 * (PluginInput); spec_free zeroes them, and no message built here quotes them. */
#ifndef WCTR_SPEC_SPEC_H
#define WCTR_SPEC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"

/* --- isolation -------------------------------------------------------------------------------------- */

/* How a container is isolated. 0 is "default" (resolved by the service with spec_default_isolation before
 * anything runs), so a zeroed struct never silently means one of the three.
 *   JOB      a job object on the host, like Kubernetes HostProcess containers (wctr's addition);
 *   PROCESS  HCS process isolation (Docker's --isolation=process, "Windows Server containers");
 *   HYPERV   HCS Hyper-V isolation (a utility VM per container). */
typedef enum wctr_isolation {
  WCTR_ISOLATION_DEFAULT = 0,
  WCTR_ISOLATION_JOB = 1,
  WCTR_ISOLATION_PROCESS = 2,
  WCTR_ISOLATION_HYPERV = 3,
} wctr_isolation;

/* "default", "job", "process", "hyperv"; "unknown" for any other value. Never NULL. */
const char *spec_isolation_name(wctr_isolation isolation);
/* Case-insensitive "default" | "process" | "hyperv" | "job"; anything else is Docker's message with wctr's
 * fourth mode: "invalid isolation (X): Windows supports 'default', 'process', or 'hyperv' (and wctr 'job')". */
wctr_err spec_isolation_parse(const char *text, wctr_isolation *out, wctr_errmsg *e);
/* Docker's default: process on Windows Server, hyperv on client SKUs. Never job: a job container shares
 * the host's kernel objects and file system, so it must be asked for. The only place this is decided. */
wctr_isolation spec_default_isolation(bool server_sku);

/* --- warnings ----------------------------------------------------------------------------------------- */

/* Warnings for the user (a flag dropped or clamped), in the order they arose; returned, never logged. */
#define SPEC_WARNINGS_MAX 8
#define SPEC_WARNING_SIZE 200
typedef struct spec_warnings {
  size_t count;
  char text[SPEC_WARNINGS_MAX][SPEC_WARNING_SIZE];
} spec_warnings;
/* Appends (printf-style); silently drops past SPEC_WARNINGS_MAX. w may be NULL. */
void spec_warn(spec_warnings *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* --- resources ---------------------------------------------------------------------------------------- */

/* What a container asked for, in Docker's units. 0 means "not set" for every field. Signed so that a
 * negative number from a request can be seen and refused rather than wrapped. */
typedef struct spec_resources {
  int64_t memory_bytes;    /* --memory, bytes */
  int64_t nano_cpus;       /* --cpus, CPUs * 1e9 */
  int64_t cpu_count;       /* --cpu-count */
  int64_t cpu_percent;     /* --cpu-percent, 1..100 of the whole host */
  int64_t cpu_shares;      /* --cpu-shares, 1..10000 on Windows */
  int64_t pids_limit;      /* --pids-limit; <= 0 unlimited */
  int64_t io_maxiops;      /* --io-maxiops */
  int64_t io_maxbandwidth; /* --io-maxbandwidth, bytes per second */
} spec_resources;

typedef enum spec_unit {
  SPEC_UNIT_COUNT = 1, /* a plain integer */
  SPEC_UNIT_BYTES,     /* a size: "500m" on the command line (binary units), bytes on the wire */
  SPEC_UNIT_NANO_CPUS, /* "1.5" on the command line, 1500000000 on the wire */
} spec_unit;

/* THE table of resource names: wire name (Docker's HostConfig field), the docker run flag, the compose
 * key (NULL when compose has none at the service level), the unit and where the value lives. Every layer
 * that reads or writes resources (spec_from_json/spec_to_json, the CLI flags, compose, `wctr update`,
 * inspect) walks this table instead of spelling the names again. */
typedef struct spec_resource_field {
  const char *wire;    /* "Memory" */
  const char *flag;    /* "--memory" (and "-m" is the CLI's alias) */
  const char *compose; /* "mem_limit", or NULL */
  spec_unit unit;
  size_t offset;       /* offsetof(spec_resources, ...) */
} spec_resource_field;
extern const spec_resource_field spec_resource_fields[];
extern const size_t spec_resource_field_count;
/* The field a wire name or flag names; NULL when none. */
const spec_resource_field *spec_resource_by_wire(const char *wire);
const spec_resource_field *spec_resource_by_flag(const char *flag);
int64_t *spec_resource_value(spec_resources *r, const spec_resource_field *f);
int64_t spec_resource_get(const spec_resources *r, const spec_resource_field *f);

/* Reads every field of the table present in obj (integers within +-2^53, else WCTR_EINVAL naming
 * where.wire); absent fields stay as they are. Unknown keys are the caller's check. */
wctr_err spec_resources_from_json(const cJSON *obj, const char *where, spec_resources *r, wctr_errmsg *e);
/* Adds every field of the table to obj (zeros included, as the record and Docker's inspect show them).
 * False when out of memory. */
bool spec_resources_to_json(const spec_resources *r, cJSON *obj);

/* Docker's verifyPlatformContainerResources for Windows plus wctr's rules, for one isolation on a host
 * with host_cpus logical CPUs; writes the resources that take effect to *effective (may alias requested).
 * Order and messages exactly as jobs/limits.h documented them before this module existed (precedence
 * count > shares > percent with Docker's warnings for process and job isolation; ranges; nano vs
 * percent/shares conflicts; --pids-limit refused for Hyper-V; wctr's memory minimums per isolation; I/O
 * not negative). All refusals are WCTR_EINVAL. */
wctr_err spec_resources_check(const spec_resources *requested, wctr_isolation isolation, int host_cpus,
                              spec_resources *effective, spec_warnings *warnings, wctr_errmsg *e);

/* wctr's memory floors per isolation (JOB 16 MiB, PROCESS 40 MiB, HYPERV 130 MiB; why in spec/resources.c). */
int64_t spec_min_memory(wctr_isolation isolation);

/* Docker's formulas (integer division truncates; each total, with the clamps stated in resources.c):
 *   job objects: CpuRate from --cpus / --cpu-count / --cpu-percent, Weight from --cpu-shares, the
 *                --cpu-count clamp with Docker's warning;
 *   HCS: process isolation Maximum, Hyper-V Count and Maximum, Memory.SizeInMB. */
uint32_t spec_cpu_rate_from_nano(int64_t nano_cpus, int host_cpus);
uint32_t spec_cpu_rate_from_count(int64_t cpu_count, int host_cpus);
uint32_t spec_cpu_rate_from_percent(int64_t cpu_percent);
uint32_t spec_cpu_weight_from_shares(int64_t cpu_shares);
int64_t spec_cpu_count_clamp(int64_t cpu_count, int host_cpus, spec_warnings *warnings);
wctr_err spec_hcs_process_cpu(int64_t nano_cpus, int host_cpus, uint32_t *maximum, wctr_errmsg *e);
wctr_err spec_hcs_hyperv_cpu(int64_t nano_cpus, int host_cpus, uint32_t *count, uint32_t *maximum, wctr_errmsg *e);
uint64_t spec_hcs_memory_mb(int64_t bytes);

/* --- process ------------------------------------------------------------------------------------------ */

typedef struct spec_process {
  char **cmd;          /* cmd_count strings, at least one once resolved (an image may supply it) */
  size_t cmd_count;
  char **env;          /* env_count "K=V" strings, K non-empty */
  size_t env_count;
  char *working_dir;   /* NULL when not given */
  char *user;          /* NULL when not given */
  bool tty;            /* -t */
  bool open_stdin;     /* -i */
} spec_process;

/* --- mounts ------------------------------------------------------------------------------------------- */

/* One -v HOST:CONTAINER[:ro|:rw]. For a pipe both sides are \\.\pipe\ names. */
typedef struct spec_mount {
  bool pipe;
  bool read_only;
  char *host_path;      /* "C:\data" (slashes turned to backslashes), "\\server\share\x", "\\.\pipe\p" */
  char *container_path; /* "C:\app"; for a pipe "\\.\pipe\p" */
} spec_mount;

/* Parses a -v value (the rules hcs/document.h documented for hcs_mount_parse, unchanged). *out is
 * written only on success; free with spec_mount_free (accepts NULL, leaves *m zeroed). */
wctr_err spec_mount_parse(const char *text, spec_mount *out, wctr_errmsg *e);
void spec_mount_free(spec_mount *m);

/* --- restart policy ------------------------------------------------------------------------------------- */

typedef enum spec_restart_name {
  SPEC_RESTART_NO = 0,
  SPEC_RESTART_ON_FAILURE,
  SPEC_RESTART_ALWAYS,
  SPEC_RESTART_UNLESS_STOPPED,
} spec_restart_name;

typedef struct spec_restart {
  spec_restart_name name;
  int64_t max_retries; /* on-failure only; 0: no limit */
} spec_restart;

/* "no", "on-failure", "always", "unless-stopped". */
const char *spec_restart_name_text(spec_restart_name name);
/* The CLI/compose form "no" | "on-failure[:N]" | "always" | "unless-stopped" ("" is "no", as Docker). */
wctr_err spec_restart_parse(const char *text, spec_restart *out, wctr_errmsg *e);

/* Docker's restart manager. On exit: never when a user stopped it or wctrd is stopping; no: never;
 * always / unless-stopped: yes; on-failure: exit code != 0 while restart_count < max_retries (0: no
 * limit). At wctrd's start, for a container that has run before and is not running: always, and
 * unless-stopped unless a user stopped it. */
bool spec_restart_on_exit(const spec_restart *r, int64_t exit_code, int64_t restart_count, bool manually_stopped,
                          bool service_stopping);
bool spec_restart_on_service_start(const spec_restart *r, bool has_run, bool manually_stopped);
/* Docker's backoff before restart number count+1: 100 ms doubled per restart, at most 10 s. */
uint32_t spec_restart_delay_ms(int64_t restart_count);

/* --- labels, security options, secrets ------------------------------------------------------------------- */

#define SPEC_LABEL_KEY_MAX 1024
#define SPEC_LABEL_VALUE_MAX 4096

typedef struct spec_labels {
  char **keys;   /* count keys, sorted (byte order), unique */
  char **values;
  size_t count;
} spec_labels;

/* "key" (set) or "key=value": the label filter of container.list and compose. */
bool spec_labels_match(const spec_labels *l, const char *filter);
const char *spec_label_get(const spec_labels *l, const char *key); /* NULL when absent */

#define SPEC_SECRET_NAME_MAX 64
#define SPEC_SECRET_TARGET_MAX 128
#define SPEC_SECRET_REFS_MAX 64

/* A container's use of a secret: the file Target in its secrets folder holds the value of Name. */
typedef struct spec_secret_ref {
  char name[SPEC_SECRET_NAME_MAX + 1];
  char target[SPEC_SECRET_TARGET_MAX + 1];
} spec_secret_ref;

/* --- the container ------------------------------------------------------------------------------------ */

#define SPEC_DEFAULT_STOP_TIMEOUT 30 /* Docker's default on Windows */
#define SPEC_MAX_STOP_TIMEOUT 3600

typedef struct spec_container {
  char *image;                /* job isolation: an absolute folder (the sandbox) or "host" */
  spec_process process;
  wctr_isolation isolation;   /* DEFAULT until the service resolves it */
  spec_resources resources;   /* as requested */
  char *hostname;             /* NULL: the first 12 characters of the id (HCS isolations) */
  char **binds;               /* bind_count -v values as given, each valid for spec_mount_parse */
  size_t bind_count;
  bool auto_remove;
  int stop_timeout;           /* seconds */
  spec_restart restart;
  spec_labels labels;
  char **security_opt;        /* as given; a raw:// credential spec is SECRET */
  size_t security_opt_count;
  const char *credspec_option; /* the VALUE of credentialspec=VALUE, into security_opt; NULL without */
  char *credspec_source;      /* after resolution: "file://a\b.json", "registry://x", "raw://" */
  char *credspec_json;        /* after resolution: the validated spec. SECRET */
  spec_secret_ref *secrets;   /* secret_count refs */
  size_t secret_count;
} spec_container;

/* Reads create params (the JSON form above) strictly into *out; where prefixes messages ("params").
 * Checks every rule that needs no host: names, types, env form, mounts, hostname, labels, restart policy
 * (with AutoRemove), security options, secret references, tty/hostname/binds refused for job isolation,
 * and the resources with spec_resources_check for the isolation given (process when default). Warnings
 * go to *warnings. On failure *out is untouched and e names the field. */
wctr_err spec_from_json(const cJSON *params, const char *where, int host_cpus, spec_container *out,
                        spec_warnings *warnings, wctr_errmsg *e);
/* The same fields back: config gets the top-level ones, hc the HostConfig ones (both must be objects).
 * with_secrets: the record file's form (credential spec whole); otherwise a raw:// option is shown as
 * "credentialspec=raw://<redacted>". False when out of memory. */
bool spec_to_json(const spec_container *s, cJSON *config, cJSON *hc, bool with_secrets);
/* Deep copy (secrets included); WCTR_ENOMEM. */
wctr_err spec_copy(const spec_container *from, spec_container *to, wctr_errmsg *e);
/* Frees and zeroes; accepts NULL; secrets zeroed before release. */
void spec_free(spec_container *s);

#endif
