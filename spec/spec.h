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
 * RestartPolicy, SecurityOpt}. Unknown keys are refused naming them. "Name" is accepted and not read: it
 * names the record that holds the spec (service/container.h checks it), not what runs.
 *
 * Ownership: every pointer in a spec_container is owned by it (spec_free) and comes from malloc; strings
 * are UTF-8. Companion headers of this module: spec/credspec_source.h (credentialspec=SCHEME://VALUE) and
 * spec/text.h (UTF-8, control characters, quoting for messages).
 * Secrets: credspec_json and a raw:// security option hold a credential spec that may carry a password
 * (PluginInput); spec_free zeroes them, and no message built here quotes them. */
#ifndef WCTR_SPEC_SPEC_H
#define WCTR_SPEC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "spec/network.h"

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

/* "default", "job", "process", "hyperv"; "unknown" for any other value. Never NULL. Record files and
 * inspect show these names ("default" for a container whose isolation was never resolved). */
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
void spec_warn(spec_warnings *w, const char *fmt, ...) WCTR_PRINTF(2, 3);

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
  /* SPEC_UNIT_COUNT: the whole numbers `wctr run` takes for the flag (what they mean is
   * spec_resources_check's business; these only keep a number the wire cannot carry from being sent). */
  int64_t flag_min;
  int64_t flag_max;
} spec_resource_field;
extern const spec_resource_field spec_resource_fields[];
extern const size_t spec_resource_field_count;
/* The field a wire name or flag names; NULL when none. */
const spec_resource_field *spec_resource_by_wire(const char *wire);
const spec_resource_field *spec_resource_by_flag(const char *flag);
int64_t *spec_resource_value(spec_resources *r, const spec_resource_field *f);
int64_t spec_resource_get(const spec_resources *r, const spec_resource_field *f);

/* Reads every field of the table present in obj (integers within +-2^53, else WCTR_EINVAL naming
 * where and the wire name: `params.HostConfig: "Memory" must be an integer, not a string`); absent fields
 * stay as they are. Unknown keys are the caller's check. */
wctr_err spec_resources_from_json(const cJSON *obj, const char *where, spec_resources *r, wctr_errmsg *e);
/* Adds every field of the table to obj (zeros included, as the record and Docker's inspect show them).
 * False when out of memory. */
bool spec_resources_to_json(const spec_resources *r, cJSON *obj);

/* Docker's verifyPlatformContainerResources for Windows (same order, same messages) plus wctr's rules, for
 * one isolation on a host with host_cpus logical CPUs (>= 1); writes the resources that take effect to
 * *effective (may be the same object as requested). Warnings are appended to *warnings when it is not NULL.
 *
 * Order, as Docker's, so the first message is the one Docker gives:
 *  1. Process and job isolation only (Docker: "Windows Server Containers"): the CPU controls are mutually
 *     exclusive with precedence count > shares > percent. A positive loser is set to 0 in *effective with
 *     Docker's warning (for job isolation "on job containers" replaces "on Windows Server Containers"):
 *       "Conflicting options: CPU count takes priority over CPU shares on Windows Server Containers.
 *        CPU shares discarded"  (and "... over CPU percent ... CPU percent discarded",
 *       "Conflicting options: CPU shares takes priority over CPU percent ... CPU percent discarded").
 *     As in Docker, the later checks see the values after this step: with --cpu-count set, an out of range
 *     --cpu-shares is dropped with a warning, not refused. Hyper-V keeps all of them.
 *  2. "range of CPUShares is from 1 to 10000"                      shares < 0 or > 10000
 *     "range of CPUPercent is from 1 to 100"                       percent < 0 or > 100
 *     "invalid CPUCount: CPUCount cannot be negative"              count < 0
 *     "conflicting options: Nano CPUs and CPU Percent cannot both be set"
 *     "conflicting options: Nano CPUs and CPU Shares cannot both be set"
 *     "range of CPUs is from 0.01 to N.00, as there are only N CPUs available"
 *                                                                  nano < 0 or nano > N * 1e9
 *     Like Docker, nothing below 0.01 CPUs is refused (the message's 0.01 is the precision a cap can
 *     express on one CPU); the conversions raise a positive amount to the smallest cap instead.
 *  3. --pids-limit: Hyper-V: any value other than 0 is refused ("invalid option: --pids-limit is not
 *     supported with Hyper-V isolation ..."): the processes live in the utility VM. Docker refuses it for
 *     every Windows isolation ("Windows does not support PidsLimit"); wctr applies it to the job of a job
 *     container and to the server silo job of a process-isolated one. Job and process: above 4294967295 (a
 *     DWORD) is refused; <= 0 is unlimited.
 *  4. --memory: negative is refused; 0 < memory < spec_min_memory(isolation) is refused with
 *     "--memory 10MiB is below the minimum of 40MiB for process isolation" (wctr_format_size units,
 *     isolation name from spec_isolation_name). wctr's rule, not Docker's (the floors below).
 *  5. --io-maxiops and --io-maxbandwidth cannot be negative.
 * Argument errors (NULL pointers, host_cpus < 1, an isolation that is not job, process or hyperv -
 * DEFAULT included: resolve it first) are WCTR_EINVAL too, naming the argument. All refusals are
 * WCTR_EINVAL. *effective is written only on success; warnings may have been appended before a failure
 * (Docker returns them with the error too). */
wctr_err spec_resources_check(const spec_resources *requested, wctr_isolation isolation, int host_cpus,
                              spec_resources *effective, spec_warnings *warnings, wctr_errmsg *e);

/* wctr's memory floors per isolation (JOB 16 MiB, PROCESS 40 MiB, HYPERV 130 MiB; why in spec/resources.c). */
int64_t spec_min_memory(wctr_isolation isolation);

/* Docker's formulas. All integer division truncates; each is total: the stated clamps apply to any input.
 *
 * spec_cpu_rate_from_nano: hard cap from --cpus: rate = nano_cpus / host_cpus / 100000, then at least 1 and
 *   at most 10000. (1e9 nanoCPUs = one CPU = 100% of one CPU = 10000 / host_cpus of CpuRate; the same
 *   arithmetic as Docker's HCS Maximum for process isolation.) 0 when nano_cpus <= 0 or host_cpus < 1 (no
 *   cap). Examples: 1 CPU of 1 -> 10000; 0.01 of 1 -> 100; 0.01 of 64 -> 1 (1.5625 truncated);
 *   0.001 of 64 -> 1 (0 raised); 1.5 of 2 -> 7500; 1 of 3 -> 3333; 64 of 64 -> 10000.
 * spec_cpu_rate_from_count: hard cap from --cpu-count (already clamped): rate = count * 10000 / host_cpus,
 *   at least 1, at most 10000. 0 when count <= 0 or host_cpus < 1. 1 of 3 -> 3333, 1 of 64 -> 156,
 *   2 of 2 -> 10000.
 * spec_cpu_rate_from_percent: rate = percent * 100, percent clamped to 1..100. 0 when percent <= 0.
 * spec_cpu_weight_from_shares: weight = 1 + 8 * shares / 10000 (hcsshim's jobcontainers formula), shares
 *   clamped to 1..10000 first. Truncation means each weight step is 1250 shares wide and only 10000 maps to
 *   9: 1..1249 -> 1, 1250..2499 -> 2, ..., 8750..9999 -> 8, 10000 -> 9. Docker's default of 1024 shares
 *   -> 1. 0 when shares <= 0.
 * spec_cpu_count_clamp: --cpu-count above the host's CPUs becomes host_cpus, with Docker's warning appended
 *   to *warnings (when not NULL): "Changing requested CPUCount of 8 to current number of processors, 4".
 *   Returns the count to use; a count <= host_cpus (or host_cpus < 1) is returned unchanged, no warning.
 *
 * HCS documents: Docker's numbers for the Processor and Memory sections of a compute-system document. Like
 * the job formulas they assume checked resources; they check the one precondition their arithmetic needs,
 * 0 <= nano_cpus <= host_cpus * 1e9 with host_cpus >= 1, and refuse anything else with Docker's "range of
 * CPUs is from 0.01 to N.00, as there are only N CPUs available" (WCTR_EINVAL). Outputs are written only on
 * success; 0 means "leave the field out of the document".
 * spec_hcs_process_cpu: process isolation: Maximum = max(nano_cpus / host_cpus / 100000, 1) when
 *   nano_cpus > 0, else 0. The same number as spec_cpu_rate_from_nano (HCS's Maximum has the job's CpuRate
 *   scale).
 * spec_hcs_hyperv_cpu: Hyper-V isolation: the utility VM gets Count = ceil(nano_cpus / 1e9) virtual CPUs;
 *   when nano_cpus is not a whole number of CPUs, Maximum = max(nano_cpus / Count / 100000, 1) caps them to
 *   the fraction (per-VP scale), else Maximum = 0. nano_cpus == 0 gives Count = 0, Maximum = 0.
 *   1.5 -> Count 2, Maximum 7500; 2 -> Count 2, Maximum 0; 0.5 -> Count 1, Maximum 5000;
 *   0.00001 -> Count 1, Maximum 1 (0 raised).
 * spec_hcs_memory_mb: Memory.SizeInMB = bytes / 1024 / 1024, truncating (500m -> 500, 1.5g -> 1536,
 *   1 MiB - 1 -> 0); 0 for bytes <= 0. */
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
  char **cmd;          /* cmd_count strings, at least one once resolved (an image may supply it): the whole
                          command, the entrypoint's words first */
  size_t cmd_count;
  bool entrypoint_set; /* an Entrypoint was given (docker run --entrypoint): the image supplies nothing */
  size_t entrypoint_count; /* the first entrypoint_count words of cmd are the Entrypoint, the rest its Cmd */
  char **env;          /* env_count "K=V" strings, K non-empty */
  size_t env_count;
  char *working_dir;   /* NULL when not given */
  char *user;          /* NULL when not given */
  bool tty;            /* -t */
  bool open_stdin;     /* -i */
  bool stdin_once;     /* "StdinOnce": stdin closes when the attached client leaves (docker run -i); false keeps it
                          open for a later attach or exec (run -dit). Absent from params: as open_stdin. */
} spec_process;

/* --- mounts ------------------------------------------------------------------------------------------- */

/* One -v HOST:CONTAINER[:ro|:rw], NAME:CONTAINER[:ro|:rw] (a named volume) or CONTAINER alone (an anonymous
 * volume). For a pipe both sides are \\.\pipe\ names. For a volume host_path is NULL: the volume's folder
 * is the service's (<data-root>\SPEC_VOLUMES_DIR\<name>\SPEC_VOLUME_DATA_DIR, Docker's local driver). */
typedef struct spec_mount {
  bool pipe;
  bool read_only;
  bool anonymous;       /* CONTAINER alone: the service creates a volume with a generated name at create */
  char *volume;         /* a named volume's name; NULL for binds, pipes and anonymous volumes */
  char *host_path;      /* "C:\data" (slashes turned to backslashes), "\\server\share\x", "\\.\pipe\p"; NULL for volumes */
  char *container_path; /* "C:\app"; for a pipe "\\.\pipe\p" */
} spec_mount;

/* Named volumes (Docker's local driver): <data-root>\volumes\<name>\_data. */
#define SPEC_VOLUMES_DIR "volumes"
#define SPEC_VOLUME_DATA_DIR "_data"
#define SPEC_VOLUME_NAME_MAX 128 /* a folder name under the data root; anonymous volumes' are 64 hex digits */
/* Docker's local driver's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (two characters at least), at most
 * SPEC_VOLUME_NAME_MAX. The message is Docker's: "create x!: \"x!\" includes invalid characters for a local
 * volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use
 * absolute path" (WCTR_EINVAL). */
wctr_err spec_volume_check_name(const char *name, wctr_errmsg *e);

#define SPEC_PIPE_PREFIX "\\\\.\\pipe\\"
/* Where a process or Hyper-V container finds its secrets (mapped read-only by the runtime): no bind may be
 * on it, in it or above it. */
#define SPEC_SECRETS_CONTAINER_PATH "C:\\ProgramData\\wctr\\secrets"

/* Parses a -v value. Host: an absolute path with a drive letter ("C:\x", "c:/x"), a UNC path
 * ("\\server\share"), or a pipe "\\.\pipe\name". Container: an absolute path with a drive letter that is
 * not the drive's root, or a pipe when the host is one. A pipe may be written as Docker takes it, with '/' for
 * any separator ("//./pipe/name") and "pipe" in any case; host_path and container_path hold it as
 * "\\.\pipe\name". Optional mode "ro" or "rw". A pipe cannot be read-only. Both paths are put in their
 * normal form (spec/names.h spec_path_normalize: "." and ".." resolved, one '\' between components, none at
 * the end), and refused where Windows would not open what they say (a component ending in a dot or a space,
 * a device name, ".." above the root). The container path may not be the root of a drive ("C:\x\.." is),
 * nor SPEC_SECRETS_CONTAINER_PATH, inside it or above it. A host part without a separator
 * or drive ("data") is a named volume (spec_volume_check_name: Docker's message when the name is not one);
 * a value with one part that is an absolute container path ("C:\\data") is an anonymous volume. Errors
 * (WCTR_EINVAL) quote the flag: "-v \".\\data:C:\\app\": the host path must be absolute (C:\\dir or
 * \\\\server\\share)". *out is written only on success; free with spec_mount_free (accepts NULL, leaves *m zeroed). */
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
/* The name back ("" is "no", as in Docker's API); false for any other text. */
bool spec_restart_name_parse(const char *text, spec_restart_name *out);
/* The CLI/compose form "no" | "on-failure[:N]" | "always" | "unless-stopped" ("" is "no", as Docker); N is
 * 0..2147483647 in decimal digits. Messages (WCTR_EINVAL): Docker's "invalid restart policy 'x'"; ":N"
 * after another name: "restart policy 'always' takes no maximum retry count"; a bad N: "invalid restart
 * policy 'on-failure:x': the maximum retry count must be a whole number from 0 to 2147483647". *out is
 * written only on success. */
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
/* Frees and zeroes; accepts NULL. */
void spec_labels_free(spec_labels *l);

#define SPEC_SECRET_NAME_MAX 64
#define SPEC_SECRET_TARGET_MAX 128
#define SPEC_SECRET_REFS_MAX 64

/* A container's use of a secret: the file Target in its secrets folder holds the value of Name. */
typedef struct spec_secret_ref {
  char name[SPEC_SECRET_NAME_MAX + 1];
  char target[SPEC_SECRET_TARGET_MAX + 1];
} spec_secret_ref;

/* Docker's rule for a secret's name: 1 to 64 characters, [a-zA-Z0-9] at both ends and [a-zA-Z0-9_.-]
 * between. The message names where ("params.Name", "--secret") and shows at most 64 characters of the
 * value. Also the rule of the service's store (a secret is created under such a name). */
wctr_err spec_secret_check_name(const char *name, const char *where, wctr_errmsg *e);
/* A target is a file name (spec/names.h spec_file_name_check, "target"): 1 to 128 bytes of UTF-8, none of
 * \ / : * ? " < > | or control characters, not "." or "..", no trailing dot or space, not a DOS device name
 * (spec_is_device_name: CON, NUL, COM1, COM with a superscript one, "nul .txt", ...). */
wctr_err spec_secret_check_target(const char *target, const char *where, wctr_errmsg *e);
/* The create param "Secrets" (an array of {"Name", "Target"?}; Target defaults to Name) into *out
 * (malloc'ed, free with free()). where prefixes messages ("params" gives "params: \"Secrets\" must be an
 * array" and "params.Secrets[2]: ..."). At most SPEC_SECRET_REFS_MAX; two refs with the same target
 * (compared without case, as Windows compares file names) are refused. An absent or null array gives 0
 * refs. */
wctr_err spec_secret_refs_parse(const cJSON *array, const char *where, spec_secret_ref **out, size_t *count,
                                wctr_errmsg *e);
/* The array back, for the record and inspect (names and targets only). NULL when out of memory. */
cJSON *spec_secret_refs_json(const spec_secret_ref *refs, size_t count);

/* --- log options (the json-file driver) ----------------------------------------------------------------- */

/* Docker's json-file options, as `--log-opt k=v` and HostConfig.LogConfig.Config give them. opts holds them
 * as given (keys sorted, unique: the last of a key given twice wins, as docker/cli's map does), for the record
 * and inspect. The limits that take effect (spec_log_limits):
 *   max-size  Docker's units.FromHumanSize: DECIMAL units ("1k" = 1000, "10m" = 10000000, "1.5g", "10MiB" is
 *             still 10000000), wctr_parse_human_size's grammar; must be positive (Docker's "max-size must be a
 *             positive number"); "-1" is refused as Docker refuses it ("a size cannot be negative").
 *             Absent: wctr's SPEC_LOG_DEFAULT_MAX_SIZE (Docker's default is unlimited; a Windows service
 *             keeps a bound on the disk it fills).
 *   max-file  a whole number, 1..SPEC_LOG_MAX_FILES: the files kept, container-log.json and its rotations
 *             .1 ... .N-1 (Docker's naming). Docker's "max-file cannot be less than 1"; above 100 is wctr's
 *             refusal. Absent: 1 when max-size is given (Docker's default: the file starts over), else
 *             SPEC_LOG_DEFAULT_MAX_FILE (wctr's 10 MiB x 2 before options existed; old records load so).
 *   compress  a Go boolean (1 t T TRUE true True, 0 f F FALSE false False). true needs max-file > 1 and
 *             max-size (Docker's "compress cannot be true when max-file is less than 2 or max-size is not
 *             set"): the rotated files are gzip'ed (spec_log_compress; service/logs.h "Compression").
 *   labels, env   comma-separated names: the container's labels / environment variables of those names become
 *             each line's "attrs" (spec_log_attrs), which `logs --details` shows.
 *   tag       a Go template, kept as given: the service expands it (service/logs.h svc_log_tag: the engine
 *             is in docker/, above this module) and refuses one that does not parse or run at create.
 *   labels-regex, env-regex   refused with the reason naming them (wctr has no Go regular expressions).
 * Any other key: Docker's "unknown log opt 'x' for json-file log driver". Every message starts with where
 * ("--log-opt" or "params.HostConfig.LogConfig.Config") and names the option. All refusals WCTR_EINVAL. */
#define SPEC_LOG_DRIVER "json-file"
#define SPEC_LOG_DEFAULT_MAX_SIZE (10LL * 1024 * 1024)
#define SPEC_LOG_DEFAULT_MAX_FILE 2
#define SPEC_LOG_MAX_FILES 100
typedef struct spec_log_config {
  spec_labels opts; /* the options as given (none: wctr's defaults) */
} spec_log_config;
/* Checks options (keys sorted or not, values as given); see above. */
wctr_err spec_log_opts_check(const spec_labels *opts, const char *where, wctr_errmsg *e);
/* The limits of checked options: bytes per file and files kept (>= 1). */
void spec_log_limits(const spec_log_config *l, int64_t *max_size, int *max_files);
/* compress=true of checked options (with more than one file kept). */
bool spec_log_compress(const spec_log_config *l);
/* The attributes each log line carries: labels= names found in labels, env= names found in env ("K=V"; the
 * last of a name wins), sorted by name, unique (a name in both: the env value, Docker's order). *out is
 * empty when none; free with spec_labels_free. WCTR_ENOMEM only. */
struct spec_container;
wctr_err spec_log_attrs(const struct spec_container *s, spec_labels *out, wctr_errmsg *e);

/* --- the container ------------------------------------------------------------------------------------ */

#define SPEC_DEFAULT_STOP_TIMEOUT 30 /* Docker's default on Windows */
/* The most a container's configuration may take in its JSON form (spec_to_json with the secrets, compact,
 * as a record holds it): whatever is accepted fits a record with room to spare for its state
 * (service/store.h: SVC_RECORD_MAX is twice this), so it always loads again. */
#define SPEC_JSON_MAX (2u * 1024u * 1024u)
#define SPEC_MAX_STOP_TIMEOUT 3600

/* Docker's healthcheck (container.HealthConfig). test_count 0: none given (wctr has no image default, so
 * none runs); test[0] is "NONE" (none runs: --no-healthcheck), "CMD" (test[1..] an argv) or "CMD-SHELL"
 * (test[1] a command line for the container's shell). A duration 0 is Docker's default (interval and timeout
 * 30 s, start period 0); retries 0 is Docker's default 3. */
#define SPEC_HEALTH_MIN_NS 1000000LL /* Docker's containertypes.MinimumDuration, 1 ms */
typedef struct spec_healthcheck {
  char **test;
  size_t test_count;
  int64_t interval_ns;
  int64_t timeout_ns;
  int64_t start_period_ns;
  int64_t retries;
} spec_healthcheck;
/* True when the healthcheck asks for a probe to run (CMD or CMD-SHELL). */
bool spec_healthcheck_active(const spec_healthcheck *h);

/* A job container's image "host" (any case): it runs on the host's own files, with no sandbox folder. */
bool spec_job_image_is_host(const char *image);

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
  spec_healthcheck health;
  spec_labels labels;
  char **security_opt;        /* as given; a raw:// credential spec is SECRET */
  size_t security_opt_count;
  const char *credspec_option; /* the VALUE of credentialspec=VALUE, into security_opt; NULL without */
  char *credspec_source;      /* after resolution (by the service): "file://a\b.json", "registry://x", "raw://" */
  char *credspec_json;        /* after resolution: the validated spec. SECRET */
  spec_secret_ref *secrets;   /* secret_count refs */
  size_t secret_count;
  spec_network net;           /* network mode, published and exposed ports, DNS, MAC (spec/network.h) */
  spec_log_config log;        /* --log-opt (json-file options) */
} spec_container;

/* Reads create params (the JSON form above) strictly into *out; where prefixes messages ("params").
 * Checks every rule that needs no host: names, types, env form, mounts, hostname, labels, restart policy
 * (with AutoRemove), security options, secret references, tty/hostname/binds refused for job isolation,
 * and the resources with spec_resources_check for the isolation given (process when default). Warnings
 * go to *warnings (may be NULL). On failure *out is untouched and e names the field.
 *
 * The rules, with the messages people see (where = "params"):
 *   Image        string, required, not empty.
 *   Cmd          array of strings; when given, at least one ("params: \"Cmd\" cannot be empty"). It may be
 *                left out here: an image may supply it (the caller requires one before anything runs).
 *   Entrypoint   array of strings or null (not given). Given, it replaces the image's Entrypoint and its Cmd
 *                (Docker's merge: an image supplies neither once an Entrypoint is given); the command is its
 *                words followed by Cmd's. [""] clears it (Docker's reset: the command is Cmd alone). Given with
 *                no word at all in the end: Docker's "No command specified". [] (an empty array, which for
 *                Docker keeps the image's Cmd without its Entrypoint) is refused with the reason: wctr keeps an
 *                image's Entrypoint and Cmd as one command.
 *   Env          array of "KEY=VALUE" strings with a non-empty KEY.
 *   WorkingDir, User   strings; "" is the same as not given.
 *   OpenStdin, Tty     booleans; Tty refused for job isolation.
 *   StdinOnce          boolean: close stdin when the attached client leaves; absent: as OpenStdin (wctr's rule
 *                      before the key existed); false with OpenStdin keeps it open for a later attach (run -dit).
 *   Hostname     1 to 63 letters, digits and '-', not starting or ending with '-'; refused for job isolation.
 *   StopTimeout  0..SPEC_MAX_STOP_TIMEOUT seconds (default SPEC_DEFAULT_STOP_TIMEOUT).
 *   Labels       object of string -> string. Keys non-empty, at most SPEC_LABEL_KEY_MAX bytes of UTF-8
 *                without control characters; values at most SPEC_LABEL_VALUE_MAX bytes; a key twice is
 *                refused. Kept sorted by key.
 *   Secrets      spec_secret_refs_parse.
 *   Healthcheck  {"Test"?, "Interval"?, "Timeout"?, "StartPeriod"?, "Retries"?} (Docker's HealthConfig,
 *                durations in nanoseconds). Test: [] (none given), ["NONE"], ["CMD", arg...] with at least one
 *                arg, or ["CMD-SHELL", "command line"]; anything else is refused naming the first element.
 *                Docker's messages: "Interval in Healthcheck cannot be less than 1ms" (the same for Timeout
 *                and StartPeriod; 0 is the default), "Retries in Healthcheck cannot be negative".
 *   Size         the whole configuration in its JSON form at most SPEC_JSON_MAX bytes (WCTR_ETOOBIG naming
 *                the largest field: "params: the container's configuration takes 2300000 bytes, more than
 *                the 2097152 a container may have; \"Labels\" alone takes 2250000"). Cmd, Env and Labels
 *                are the fields that can be large; a pipe request (at most 1 MiB of strict JSON) never
 *                reaches it.
 *   HostConfig.Isolation   spec_isolation_parse.
 *   HostConfig.<resource>  the table (spec_resources_from_json), then spec_resources_check.
 *   HostConfig.AutoRemove  boolean.
 *   HostConfig.Binds       array of -v values, each valid for spec_mount_parse; refused for job isolation.
 *   HostConfig.RestartPolicy  {"Name": "" | "no" | "on-failure" | "always" | "unless-stopped",
 *                "MaximumRetryCount": integer >= 0, only with on-failure}. Docker's messages: "invalid
 *                restart policy 'x'", "maximum retry count cannot be used with restart policy 'always'",
 *                "maximum retry count cannot be negative", "can't create 'AutoRemove' container with
 *                restart policy".
 *   HostConfig.LogConfig   {"Type": "" | "json-file" (Docker's message otherwise: "wctr keeps logs with the
 *                json-file driver only" naming Type), "Config": object of string -> string, the options
 *                (spec_log_opts_check)}; null or absent: no options.
 *   Config.ExposedPorts, Config.MacAddress, HostConfig.NetworkMode, PortBindings, PublishAllPorts, Dns,
 *                DnsSearch   spec_network_from_json (spec/network.h), with its rules for the isolation.
 *   HostConfig.SecurityOpt    array of strings. Only "credentialspec=VALUE" (key in any case, at most
 *                once; Docker's old "credentialspec:VALUE" too) is accepted; any other option is refused
 *                naming it. VALUE is checked for its scheme (spec/credspec_source.h); reading and
 *                validating the spec it names is the service's job (credspec_source / credspec_json). A
 *                credential spec with job isolation is refused: a job container runs on the host with a
 *                local identity and cannot carry a gMSA. */
wctr_err spec_from_json(const cJSON *params, const char *where, int host_cpus, spec_container *out,
                        spec_warnings *warnings, wctr_errmsg *e);
/* The same fields back: config gets the top-level ones, hc the HostConfig ones (both must be objects).
 * with_secrets: the record file's form (credential spec whole); otherwise a raw:// option is shown as
 * "credentialspec=raw://<redacted>". False when out of memory. What spec_from_json reads back to an equal
 * spec (credspec_source and credspec_json are not part of the JSON form: the service keeps them). Order:
 *   config: Image, Entrypoint (when given: its words), Cmd (when any: the words after them), Env, WorkingDir?, User?,
 *   Hostname?, OpenStdin, StdinOnce (with OpenStdin), Tty (when true),
 *           StopTimeout, Secrets (when any), Healthcheck (when Test is given), Labels, ExposedPorts?, MacAddress?;
 *   hc:     Isolation, the resource table (zeros included), AutoRemove, Binds (when any), RestartPolicy
 *           {Name, MaximumRetryCount}, SecurityOpt, LogConfig {Type "json-file", Config} (when options
 *           were given), NetworkMode?, PortBindings?, PublishAllPorts?, Dns?,
 *           DnsSearch? (each when set: spec_network_to_json). */
bool spec_to_json(const spec_container *s, cJSON *config, cJSON *hc, bool with_secrets);
/* Deep copy (secrets included); WCTR_ENOMEM. */
wctr_err spec_copy(const spec_container *from, spec_container *to, wctr_errmsg *e);
/* Frees and zeroes; accepts NULL; secrets zeroed before release. */
void spec_free(spec_container *s);
/* The service's own folder is not for containers: a bind whose host path is the data root or inside it
 * (records with credential specs, logs, every container's secrets) is refused (WCTR_EINVAL: "-v \"X\": the
 * host path C:\ProgramData\wctr\containers is wctr's data root or inside it (C:\ProgramData\wctr): it holds
 * every container's records, logs and secrets"); one above it (C:\ProgramData) gets a warning, since only the
 * data root's DACL then keeps the container out. Paths are compared in normal form (spec/names.h). A
 * data_root that is not an absolute Windows path (the portable tests') is not compared. */
wctr_err spec_binds_check_data_root(const spec_container *s, const char *data_root, spec_warnings *warnings,
                                    wctr_errmsg *e);

#endif
