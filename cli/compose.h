/* cli/compose.h - the compose-file loader of `wctr compose` (portable).
 *
 * cli_compose_load reads one or more compose files, merges them, interpolates variables, checks every
 * key and value, and builds a cli_compose_project: the normalized model that `up`, `down`, `ps`, `logs`
 * and `config` work from. It creates nothing, starts nothing and reads only what the options' callbacks
 * give it (the compose files, `.env` and env_file files); it never reads a secret's or a config's file.
 * cli_compose_render prints the model for `wctr compose config`, as YAML or JSON, deterministically.
 *
 * STRICT. Like the compose-spec JSON schema (additionalProperties: false), every key is either carried
 * into the model or refused with a message that names the file, the path and the key:
 *   docker-compose.yml: services.web.ports: "ports" is not supported by wctr
 *   docker-compose.yml: services.web: unknown key "imagee"
 * A key the compose specification defines but wctr does not implement gets the first form; a key the
 * specification does not define gets the second. Keys starting with "x-" are extensions and are ignored
 * where compose-spec allows them: at the top level, in a service, in credential_spec, deploy,
 * deploy.resources, deploy.resources.limits, a long-syntax volume, secret or config reference, a
 * depends_on entry, and a top-level secret or config. Directly under services, secrets, configs and a
 * depends_on map, "x-foo" is a name like any other (compose's userDefinedKeys): `services: {x-tool: ...}`
 * is a service. Anywhere else "x-foo" is an unknown key. Extensions are interpolated like everything
 * else (as compose does), so a broken ${ in one is still an error.
 *
 * SUPPORTED KEYS (everything else is refused):
 *   top level   version (accepted and ignored, with compose's warning), name, services, secrets, configs
 *   services.S  image (required), command, entrypoint, environment, env_file, working_dir, user,
 *               isolation, hostname, credential_spec, security_opt, mem_limit, cpus, cpu_count,
 *               cpu_percent, cpu_shares, pids_limit, deploy.resources.limits.{cpus,memory,pids},
 *               secrets, configs, volumes, depends_on, stop_grace_period, restart, labels
 *   secrets.N / configs.N   file (required)
 *
 * VALUES
 *   command, entrypoint   a list is the exec form (argv, kept as written); a string is the shell form
 *                 and is kept as ONE string (compose v2 splits it with POSIX shell-word rules, which
 *                 eat the backslashes of Windows paths; on Windows a string command is a command line).
 *                 null means "not set"; [] is set and empty.
 *   environment   a list of "K=V" / "K", or a map K: V (V a string, number, boolean or null). "K" and
 *                 K: null take the value from the environment (process, then .env); when it is not
 *                 set there the variable is left out, as compose does (also when an env_file set it).
 *                 Booleans become "true"/"false"; numbers keep the text they were written with
 *                 (compose would print 1.0 as "1"). A name must be non-empty without '=' (Windows
 *                 refuses '=' in a variable name). In a list, a later entry for the same name wins.
 *                 env_file files are read first, in order (later files win), then environment wins.
 *                 The model holds the result sorted by name (byte order) as "K=V".
 *   env_file      a path or a list of paths (the long {path, required, format} form is refused),
 *                 relative to the project directory. Format: see ENV FILES below.
 *   labels        a list of "K=V" / "K" (value "") or a map (null becomes ""); sorted by key; keys as
 *                 for environment.
 *   working_dir   absolute (Docker's "the working directory 'x' is invalid, it needs to be an absolute
 *                 path"); user and hostname: any string. image is required (`service "web" has no
 *                 image`: wctr does not build).
 *   isolation     default | process | hyperv | job, any case. "default" and unset are 0 in the model.
 *                 Anything else: invalid isolation (x): wctr supports 'default', 'process', 'hyperv',
 *                 or 'job'.
 *   credential_spec   {file: NAME} | {registry: NAME} | {config: NAME}, exactly one (x- keys allowed).
 *                 Two or three: Swarm's `cannot specify both "config" and "file" credential specs` (and
 *                 `cannot specify both "config", "file", and "registry" credential specs`); none: Swarm's
 *                 `must either provide "file", "registry", or "config" for credential spec`. Values are
 *                 checked by gmsa_source_make (gmsa/source.h); a config must name a top-level config.
 *   security_opt  a list of strings; only credentialspec=VALUE (key in any case) is supported, parsed by
 *                 gmsa_source_parse, config:// names checked like credential_spec's. Any other option is
 *                 refused. Two credential specs (two credentialspec= entries, or one with
 *                 credential_spec) are an error.
 *   mem_limit     a size string (common/units.h: "500m" = 524288000) or a whole number of bytes (a
 *                 fraction like 1.5 is refused; compose would truncate it).
 *   cpus          a number or a string, parsed exactly by wctr_parse_cpus into nano-CPUs (decimal
 *                 notation only: 1e-1 is refused, compose would read 0.1).
 *   cpu_count, cpu_shares, pids_limit   whole numbers, or strings holding one (after interpolation).
 *   cpu_percent   a whole number 0..100 (compose-spec's range), or a string holding one.
 *   deploy        only deploy.resources.limits.{cpus, memory, pids}; deploy: null is allowed. Set both
 *                 as a service key and under deploy with different values, compose's error:
 *                 services.web: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'
 *                 (also mem_limit/memory and pids_limit/pids). The same value twice is fine.
 *                 Then spec_resources_check (spec/spec.h) runs with the service's isolation and a host
 *                 of unknown size (host-dependent checks, such as the number of CPUs, wait for `up`).
 *                 Isolation "default" is checked as process isolation, the most permissive case: its
 *                 errors hold for any isolation the host picks. Its warnings are returned only when
 *                 the isolation is explicit (for "default" they depend on the host).
 *   secrets, configs   a list of "NAME" or {source, target}. The name must be defined at the top level.
 *                 target is the file name inside the container's secrets (configs) folder; the default
 *                 is the source. It must be a plain file name (no '/', '\', ':', not "." or ".."):
 *                 Windows containers get their secrets in one folder, so two targets that differ only
 *                 in case are an error too (compose would silently keep the last). Honoured long keys:
 *                 source (required) and target. uid, gid and mode are refused ("mode" is not
 *                 supported on Windows (secret files are protected by an ACL, not by an owner and a
 *                 mode)). Top-level definitions: only `file` (external, environment, content, name,
 *                 labels, driver... are refused); the file is never read here.
 *   volumes       bind mounts only. Short "SOURCE:TARGET[:MODE]" where a ':' after a single letter is a
 *                 drive ("C:\data:C:\data:ro" -> C:\data, C:\data, read-only); MODE is ro or rw. SOURCE
 *                 must be a host path (starting with '.', '/', '\', '~' or a drive letter); a bare name
 *                 is a named volume and is refused, as are anonymous volumes ("C:\data" alone). Long
 *                 {type: bind, source, target, read_only} (type and the others required as compose
 *                 requires; bind/volume/tmpfs/image/consistency refused). A relative SOURCE is made
 *                 absolute against the project directory; "~" against USERPROFILE (else HOME).
 *                 TARGET must be absolute. Two mounts with the same target are an error (compose's
 *                 "target X already mounted as services.web.volumes[0]").
 *   depends_on    a list of names, or a map NAME: {condition: service_started} (required: true and
 *                 restart: false are accepted: they are the defaults; other conditions are refused).
 *                 Unknown names and cycles are errors (compose's messages); the model's services are
 *                 in start order: dependencies first, ties broken by name (byte order).
 *   stop_grace_period   a Go duration ("10s", "1m30s", "1.5h", "250ms"); at most 2562047h; not negative.
 *   restart       no | always | unless-stopped | on-failure | on-failure:N (spec_restart_parse; N at most
 *                 2147483647).
 *
 * YAML. libyaml parses; this loader resolves plain scalars as compose v2 (go-yaml v3, YAML 1.2 core
 * schema) does: null is "", ~, null/Null/NULL; booleans are only true/True/TRUE/false/False/FALSE;
 * "yes", "no", "on", "off", "y" and "n" are STRINGS (so `restart: no` is the string "no"). Where a
 * boolean is expected (volumes[].read_only) a string is read as compose reads it: true/false in any case,
 * and y/yes/on/n/no/off with compose's warning ("yes" for boolean is not supported by YAML 1.2, please
 * use `true`). Integers: decimal, 0x, 0o, 0b and 0-prefixed octal, '_' allowed; floats: decimal with
 * '.' or an exponent, and .inf/.nan. Timestamps are strings. A key whose schema type is "string"
 * refuses a number, as compose does (`user: 1000` must be written `user: "1000"`).
 * Anchors (&a) and aliases (*a) are expanded; merge keys (<<: *a and <<: [*a, *b]) follow the YAML merge
 * spec: keys written in the mapping win, then earlier merged mappings win over later ones. Duplicate keys
 * are errors. Tags: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq, and compose's !reset and
 * !override (only on a mapping's value); any other tag is refused. Several documents in one file are
 * merged in order, like several files. Limits: CLI_COMPOSE_MAX_FILE_BYTES per file, nesting depth
 * CLI_COMPOSE_MAX_DEPTH, CLI_COMPOSE_MAX_KEYS keys in one mapping, CLI_COMPOSE_MAX_NODES nodes and
 * CLI_COMPOSE_MAX_TEXT bytes of text after aliases are expanded (a "billion laughs" file fails with
 * WCTR_ETOOBIG instead of eating the memory or the time).
 *
 * INTERPOLATION, in every string value (not in keys), before the checks, as compose does: $VAR, ${VAR},
 * ${VAR:-default} (unset or empty), ${VAR-default} (unset), ${VAR:?message} and ${VAR?message} (error),
 * ${VAR:+alt} and ${VAR+alt}; defaults and messages are interpolated too (nesting works); $$ is a literal
 * $; a $ not followed by a name or '{' stays as it is. Names are [A-Za-z_][A-Za-z0-9_]*. Values come
 * from the lookup_env callback (the process environment), then from `.env` in the project directory
 * (the process wins). Names in .env match exactly; how the process environment matches is the
 * callback's business (on Windows, GetEnvironmentVariableW ignores case). An unset variable without a
 * default becomes "" with compose's warning:
 *   The "TAG" variable is not set. Defaulting to a blank string.
 * Errors name the path: `compose.yml: services.web.image: invalid interpolation format "${TAG"
 * (unterminated "${"; write $$ for a literal $)` and `...: required variable TAG is missing a value:
 * MESSAGE`.
 *
 * ENV FILES (.env and env_file), compose's dotenv format in this subset: UTF-8 (checked: the values
 * become Windows environment strings), an optional BOM; lines
 * end with \n or \r\n; blank lines and lines starting with '#' are skipped; an optional "export "; KEY
 * (trimmed, non-empty, no whitespace or '=' or quote inside) then '=' then VALUE, trimmed. A VALUE in
 * '...' is literal; in "..." the escapes \n \r \t \\ \" \$ are decoded and variables are interpolated;
 * an unquoted VALUE ends at " #" (a comment) and is interpolated. Quotes must close on the same line;
 * text after a closing quote may only be a comment. A line "KEY" without '=' takes KEY from the
 * environment (left out when unset). Interpolation inside an env file looks at the environment first,
 * then at the keys defined above it in the same file. Errors name the file, the line and the variable,
 * and never quote a value (env files hold passwords): `app.env:3: invalid interpolation format in the
 * value of DB_PASSWORD (unterminated "${"; write $$ for a literal $)`.
 *
 * MERGING several -f files (and documents), in order, each one checked on its own first. Compose's rules
 * (compose-spec "merge"), for the supported keys:
 *   - scalars (image, user, cpus, mem_limit, restart, ...): the later file wins; a later null keeps the
 *     earlier value (compose's rule), except for command/entrypoint where null unsets;
 *   - maps merge key by key, recursively (deploy, credential_spec, secrets.N, configs.N): so a later
 *     credential_spec: {registry: x} over an earlier {file: y} holds both and is refused; use
 *     `credential_spec: !override {registry: x}` to replace it;
 *   - environment and labels merge as maps whichever syntax each file uses (later value wins);
 *   - depends_on merges as a map (a list entry means {condition: service_started});
 *   - command and entrypoint are replaced, never appended;
 *   - volumes, secrets and configs are keyed by target: an entry with the same target replaces the
 *     earlier one in place, others are appended;
 *   - env_file lists are appended, a path already listed is not repeated;
 *   - security_opt lists are appended; an exact repeat is dropped;
 *   - x- extensions are replaced as a whole (x- names under services, secrets, configs and
 *     depends_on merge like any other name);
 *   - a map over a non-map (or a list over a non-list) is an error naming the path; a later scalar
 *     replaces anything;
 *   - `!reset` removes the key; `!override` replaces it as a whole.
 * Because a later null keeps the earlier value, a null is not checked while its own document is; if it
 * is still there after merging, it is checked then (`user: null` in a single file is an error).
 * Keyed lists fold an entry only into the EARLIER files' entries: two entries with one target in the
 * same file stay two, and the checks refuse them (compose would silently keep the last).
 * Relative paths (env_file, volume sources, secrets/configs files) are resolved against the project
 * directory, which is the directory of the first file, whichever file they are written in (compose's
 * rule for multiple files). The model holds them absolute, with the separators of the project directory.
 *
 * PROJECT NAME: opt->project_name (-p), else COMPOSE_PROJECT_NAME (environment, then .env); both must
 * already be normalized, or compose's error `invalid project name "X": must consist only of lowercase
 * alphanumeric characters, hyphens, and underscores as well as start with a letter or number`. Else the
 * top-level `name` (the last file that sets it), else the project directory's name; those two are
 * normalized as compose does (lower case, keep only [a-z0-9_-], drop leading '_' and '-'). Empty:
 * "project name must not be empty". Containers are named <project>-<service>-1.
 *
 * DEFAULT FILES: with no files given, the first of compose.yaml, compose.yml, docker-compose.yml and
 * docker-compose.yaml found in opt->working_dir (compose's order; no search in parent folders), plus the
 * first of compose.override.yml, compose.override.yaml, docker-compose.override.yml and
 * docker-compose.override.yaml when there is one; more than one candidate gives compose's warnings
 * ("Found multiple config files with supported names: A, B" and "Using A"). A default file is named by
 * its full path in messages. None: "no configuration file provided: not found" (WCTR_ENOENT).
 *
 * NOT DONE (refused where it is a key, simply absent otherwise): compose's include, extends, profiles,
 * networks, named volumes, ports, build and every other key not listed above; COMPOSE_FILE and
 * --project-directory; `-f -` (standard input); more than one container per service (scale,
 * deploy.replicas).
 *
 * ERRORS are WCTR_EINVAL (the files are wrong), WCTR_ENOENT (a file given or needed is missing),
 * WCTR_ETOOBIG (a limit above), WCTR_ENOMEM, or the reader's own code. Messages start with the file name
 * as given (or as found), then the path in the document when there is one:
 *   compose.yml: line 3, column 5: mapping key "image" already defined at line 2   (YAML level)
 *   compose.yml: services.web.cpu_percent: must be between 0 and 100, not 150       (model level)
 *   C:\proj\web.env:2: invalid variable name "BAD LINE"                           (env files)
 * Errors found after merging name the file the offending value came from (for a mapping merged from
 * several files, the file that first defined it). Values are quoted escaped and cut after 64 bytes.
 *
 * SECRETS: only file paths of secrets are kept, never their contents. A raw:// credential spec may hold a
 * password (PluginInput): it is kept in the model (gmsa_source, zeroed when freed) but never rendered and
 * never quoted in a message. The loader's working copies (file buffers, the YAML tree, interpolation
 * buffers) are freed without zeroing: such a spec sits in a plain-text compose file anyway, and
 * config:// or file:// keep it out of the file.
 */
#ifndef WCTR_CLI_COMPOSE_H
#define WCTR_CLI_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "gmsa/source.h"
#include "spec/spec.h"

#define CLI_COMPOSE_MAX_FILE_BYTES (4u * 1024u * 1024u)
#define CLI_COMPOSE_MAX_DEPTH 64
#define CLI_COMPOSE_MAX_KEYS 10000u
#define CLI_COMPOSE_MAX_NODES 200000u
#define CLI_COMPOSE_MAX_TEXT (32u * 1024u * 1024u)

/* Reads a whole file. *data must be allocated with malloc (the loader frees it with free); it need not be
 * NUL-terminated. Return WCTR_ENOENT when the file does not exist (the loader then decides whether that
 * is an error: a missing .env is not), anything else with e filled for other failures. */
typedef wctr_err (*cli_compose_read_fn)(void *ctx, const char *path, char **data, size_t *len, wctr_errmsg *e);
/* Looks up a variable of the process environment: its value, or NULL when it is not set. The returned
 * text must stay valid until the next call. */
typedef const char *(*cli_compose_env_fn)(void *ctx, const char *name);

typedef struct cli_compose_options {
  const char *const *files; /* -f values, in order; file_count 0: the default names (see above) */
  size_t file_count;
  const char *project_name; /* -p; NULL or "" when not given */
  /* Absolute directory that relative -f paths and the default file names are resolved against (the
   * current directory). Required. Its separator style ('\' or '/') is kept in the paths built from it. */
  const char *working_dir;
  /* The credentialspecs folder, for gmsa_source's "must be under" message; may be NULL. */
  const char *credspec_dir;
  cli_compose_read_fn read_file; /* required */
  cli_compose_env_fn lookup_env; /* NULL: an empty environment */
  void *ctx;                     /* passed to both callbacks */
} cli_compose_options;

/* Warnings for the user, in the order they arose, each once. Initialise to all zeros; free with
 * cli_compose_warnings_free (the loader appends, it never clears). */
typedef struct cli_compose_warnings {
  size_t count;
  char **text;
} cli_compose_warnings;

void cli_compose_warnings_free(cli_compose_warnings *w);

/* ---- The model. Every pointer is owned by the project and freed by cli_compose_free. Unset strings are
 * NULL; unset numbers are 0 (as in spec_resources). ---- */

typedef struct cli_compose_command {
  bool set;        /* the key was given (not null) */
  bool shell_form; /* written as a string: argc == 1, argv[0] is the whole command line */
  size_t argc;
  char **argv;
} cli_compose_command;

typedef struct cli_compose_mount {
  char *source; /* absolute host path */
  char *target; /* absolute path in the container, as written */
  bool read_only;
} cli_compose_mount;

/* A secret or config given to a service. */
typedef struct cli_compose_grant {
  char *source; /* the top-level secret/config name */
  char *target; /* file name in the container's secrets (configs) folder */
} cli_compose_grant;

typedef struct cli_compose_service {
  char *name;
  char *container_name; /* <project>-<service>-1 */
  char *image;
  cli_compose_command entrypoint;
  cli_compose_command command;
  char *working_dir;
  char *user;
  char *hostname;
  wctr_isolation isolation; /* 0: default (the host decides) */
  bool has_credspec;
  gmsa_source credspec; /* from credential_spec or security_opt credentialspec= */
  char **environment;   /* "K=V", sorted by K (byte order) */
  size_t environment_count;
  char **labels; /* "K=V", sorted by K */
  size_t label_count;
  spec_resources resources; /* memory_bytes, nano_cpus, cpu_count, cpu_percent, cpu_shares, pids_limit */
  cli_compose_mount *volumes;
  size_t volume_count;
  cli_compose_grant *secrets;
  size_t secret_count;
  cli_compose_grant *configs;
  size_t config_count;
  char **depends_on; /* service names, sorted; condition service_started */
  size_t depends_on_count;
  bool stop_grace_period_set;
  int64_t stop_grace_period_ns;
  spec_restart restart; /* on-failure:N keeps N in max_retries; 0 when not given */
} cli_compose_service;

/* A top-level secret or config. */
typedef struct cli_compose_resource {
  char *name;
  char *file; /* absolute host path; never read by the loader */
} cli_compose_resource;

typedef struct cli_compose_project {
  char *name;
  char *directory;               /* the project directory */
  cli_compose_service *services; /* in start order */
  size_t service_count;
  cli_compose_resource *secrets; /* sorted by name */
  size_t secret_count;
  cli_compose_resource *configs; /* sorted by name */
  size_t config_count;
} cli_compose_project;

/* Loads the project (see above). On success *out is a new project (free with cli_compose_free); on
 * failure *out is NULL. Warnings are appended to *w when w is not NULL, also when loading fails. */
wctr_err cli_compose_load(const cli_compose_options *opt, cli_compose_project **out, cli_compose_warnings *w,
                          wctr_errmsg *e);

/* Frees the project and everything in it (a raw:// credential spec is zeroed first). Accepts NULL. */
void cli_compose_free(cli_compose_project *project);

/* The service called name, or NULL. */
const cli_compose_service *cli_compose_find_service(const cli_compose_project *project, const char *name);

/* The model for `wctr compose config`: YAML (libyaml's emitter, block style, UTF-8) or, with json,
 * cJSON's pretty-printed JSON of the same shape. The same project always renders to the same text.
 *   name, services (in start order), secrets and configs ({NAME: {file: PATH}}, sorted);
 *   per service, unset values left out: container_name, image, entrypoint, command (a string for the
 *   shell form, a list for the exec form), working_dir, user, hostname, isolation (when not default),
 *   credential_spec ({KIND: VALUE}), environment and labels (maps sorted by key), resources
 *   {memory_bytes, nano_cpus, cpu_count, cpu_percent, cpu_shares, pids_limit} (the normalized units, exact
 *   64-bit integers in both formats), volumes [{type: bind, source, target, read_only}], secrets and
 *   configs [{source, target}], depends_on [names], stop_grace_period (Go's spelling: "1m30s"), restart
 *   ("no" is left out).
 * In YAML, a string that would read back as something else (null, a boolean (YAML 1.1's yes/no/on/off
 * too), a number, "<<") or that holds a control character is double-quoted; libyaml quotes the rest
 * where a plain scalar cannot hold it. A raw:// credential spec is shown as "<redacted>". *out is
 * NUL-terminated, from malloc; the caller frees it with free(). Errors: WCTR_EINVAL (NULL arguments),
 * WCTR_ENOMEM. */
wctr_err cli_compose_render(const cli_compose_project *project, bool json, char **out, wctr_errmsg *e);

/* The params of container.create (service/container.h) for service s of project p, container number 1:
 *   Name <project>-<service>-1; Image; Cmd = entrypoint words then command words (a shell-form string
 *   becomes "cmd" "/S" "/C" STRING, as Docker runs a shell-form command on Windows; no Cmd when neither is
 *   set); Env (the model's K=V); WorkingDir; User; Hostname; StopTimeout = stop_grace_period in whole
 *   seconds rounded up (at most 1h); Labels = com.docker.compose.project, com.docker.compose.service,
 *   com.docker.compose.container-number "1" and the service's labels (a service label in com.docker.compose.*
 *   is an error); HostConfig {Isolation (when not default), every resource of the service that is set, by
 *   its wire name from spec_resource_fields (Memory, NanoCpus, CpuCount, CpuPercent, CpuShares, PidsLimit),
 *   RestartPolicy {Name, MaximumRetryCount} (unless "no"), Binds ["SOURCE:TARGET" or
 *   "SOURCE:TARGET:ro"], SecurityOpt ["credentialspec=file://V" | "registry://V" | "raw://SPEC"]}, and
 *   Secrets [{"Name": source, "Target": target}].
 * A config:// credential spec is read here with read_file from the top-level config's file, validated
 * (gmsa_credspec_load; errors name services.S.credential_spec and the config) and passed as raw:// of the
 * spec rendered again; the text read is zeroed. Refused: service-level configs (a config is one file and
 * Windows binds folders), a credential spec with job isolation. *out: free with gmsa_json_secure_delete
 * (it may hold a spec). */
struct cJSON;
wctr_err cli_compose_create_params(const cli_compose_project *p, const cli_compose_service *s,
                                   cli_compose_read_fn read_file, void *ctx, struct cJSON **out, wctr_errmsg *e);

/* ---- Command line: `wctr compose [-f FILE]... [-p NAME] COMMAND [--format yaml|json]` ---- */

typedef enum cli_compose_command_kind {
  CLI_COMPOSE_CMD_NONE = 0, /* --help */
  CLI_COMPOSE_CMD_UP,
  CLI_COMPOSE_CMD_DOWN,
  CLI_COMPOSE_CMD_PS,
  CLI_COMPOSE_CMD_LOGS,
  CLI_COMPOSE_CMD_CONFIG,
} cli_compose_command_kind;

typedef struct cli_compose_args {
  const char **files; /* pointers into argv; malloc'd array, free with cli_compose_args_free */
  size_t file_count;
  const char *project_name; /* into argv, or NULL */
  cli_compose_command_kind command;
  bool json; /* config --format json */
  bool help;
  bool detach;         /* up -d */
  bool volumes;        /* down -v */
  bool follow;         /* logs -f */
  const char *service; /* logs SERVICE (into argv), or NULL for every service */
} cli_compose_args;

/* Parses argv[first..argc) (the words after "compose"): global -f/--file (repeatable) and
 * -p/--project-name, then the command, then its options: `config --format yaml|json`, `up [-d|--detach]`,
 * `down [-v|--volumes]`, `logs [-f|--follow] [SERVICE]`, `ps`. -h/--help anywhere sets help. Errors (WCTR_EINVAL) name the flag or word:
 *   unknown flag: --x / "x" is not a compose command (up, down, ps, logs, config) / ... */
wctr_err cli_compose_parse_args(int argc, char **argv, int first, cli_compose_args *out, wctr_errmsg *e);
void cli_compose_args_free(cli_compose_args *args);

#ifdef CLI_COMPOSE_INTERNAL
/* ---- Shared by cli/compose_*.c only (and white-box tests). Not a contract. ---- */

/* Go's strconv.ParseInt/ParseUint(s, 0, 64) syntax on s (already without '_', as go-yaml strips them):
 * sign, then 0x/0X, 0o/0O, 0b/0B or a leading 0 (octal), then at least one digit. Sets *neg and the
 * magnitude; false on a bad or missing digit or a magnitude beyond uint64. */
bool cc_go_int(const char *s, bool *neg, uint64_t *magnitude);

/* String builder; on allocation failure it sets oom and ignores further writes. */
typedef struct cc_buf {
  char *p;
  size_t len, cap;
  bool oom;
} cc_buf;
void cc_buf_putn(cc_buf *b, const char *s, size_t n);
void cc_buf_puts(cc_buf *b, const char *s);
void cc_buf_putc(cc_buf *b, char c);
void cc_buf_printf(cc_buf *b, const char *fmt, ...) WCTR_PRINTF(2, 3);
/* The text (malloc'd, NUL-terminated) and an empty builder; NULL when out of memory. */
char *cc_buf_take(cc_buf *b);
void cc_buf_free(cc_buf *b);

char *cc_strdup(const char *s);
char *cc_strndup(const char *s, size_t n);

/* A value quoted for a message: "..." with \" and \xNN for control bytes, cut after 64 bytes with "...". */
#define CC_QUOTE_SIZE 280
const char *cc_quote(char *buf, size_t size, const char *s);

/* Path in the document, "services.web.volumes[0]", built while walking. */
typedef struct cc_path {
  char text[400];
  size_t len;
} cc_path;
size_t cc_path_key(cc_path *p, const char *key);
size_t cc_path_index(cc_path *p, size_t index);
void cc_path_pop(cc_path *p, size_t mark);

/* Warnings: appended once each (duplicates dropped); w may be NULL. */
void cc_warn(cli_compose_warnings *w, const char *fmt, ...) WCTR_PRINTF(2, 3);

/* ---- YAML node tree (compose_yaml.c) ---- */
typedef enum cy_kind { CY_SCALAR = 1, CY_MAP, CY_SEQ } cy_kind;
typedef enum cy_type { CY_STR = 1, CY_NULL, CY_BOOL, CY_INT, CY_FLOAT } cy_type;
enum { CY_TAG_RESET = 1u, CY_TAG_OVERRIDE = 2u };

typedef struct cy_node cy_node;
typedef struct cy_pair {
  char *key;
  cy_node *value;
  unsigned line; /* of the key, 1-based */
} cy_pair;

struct cy_node {
  cy_kind kind;
  cy_type type;  /* scalars */
  unsigned tags; /* CY_TAG_* */
  char *text;    /* scalars: the text, NUL-terminated, no NUL inside */
  bool boolean;  /* CY_BOOL: the value */
  size_t count;  /* map pairs or sequence items */
  size_t cap;
  cy_pair *pairs;   /* CY_MAP */
  cy_node **items;  /* CY_SEQ */
  const char *file; /* where the node was written (the name as given); not owned */
  unsigned line, column;
};

/* Counts nodes and text across one load, so that alias expansion stays bounded. */
typedef struct cy_budget {
  size_t nodes;
  size_t text;
  bool exceeded; /* set when a charge was refused: the failure is the budget's, not the allocator's */
} cy_budget;

/* Parses len bytes into documents (each a root node; an empty document is a null scalar). file names the
 * input in messages and in every node (it must outlive the nodes). */
wctr_err cy_parse(const char *file, const char *data, size_t len, cy_budget *budget, cy_node ***docs,
                  size_t *doc_count, wctr_errmsg *e);
void cy_free(cy_node *n);
cy_node *cy_copy(const cy_node *n, cy_budget *budget); /* NULL when out of memory or over budget */
cy_node *cy_new(cy_kind kind, const char *file, unsigned line, unsigned column);
cy_node *cy_new_scalar(cy_type type, const char *text, const char *file, unsigned line, unsigned column);
bool cy_map_add(cy_node *map, char *key, cy_node *value, unsigned line); /* takes key and value */
bool cy_seq_add(cy_node *seq, cy_node *item);                            /* takes item */
cy_pair *cy_map_get(const cy_node *map, const char *key);
void cy_map_remove(cy_node *map, size_t index);
/* How a plain scalar resolves (YAML 1.2 core schema as go-yaml v3); *boolean for CY_BOOL. */
cy_type cy_resolve_plain(const char *text, bool *boolean);
/* "a string", "a number", "a boolean", "null", "a mapping", "a list". */
const char *cy_describe(const cy_node *n);

/* ---- Text helpers (compose_text.c) ---- */

/* Where variables come from: the process (callback), then a list of KEY=VALUE pairs (.env), then a
 * second list (the earlier keys of the env file being read). */
typedef struct cc_kv {
  char *key;
  char *value;
} cc_kv;
typedef struct cc_kvlist {
  cc_kv *items;
  size_t count, cap;
} cc_kvlist;
bool cc_kvlist_set(cc_kvlist *l, const char *key, const char *value); /* replaces; false: out of memory */
const cc_kv *cc_kvlist_get(const cc_kvlist *l, const char *key);
void cc_kvlist_free(cc_kvlist *l);

typedef struct cc_env {
  cli_compose_env_fn lookup;
  void *ctx;
  const cc_kvlist *dotenv; /* may be NULL */
  const cc_kvlist *local;  /* may be NULL */
} cc_env;
const char *cc_env_get(const cc_env *env, const char *name);

/* Interpolates in (see INTERPOLATION). On success *out is malloc'd. On failure, msg holds the sentence
 * without a location (e.g. `invalid interpolation format "${A" (unterminated "${"; ...)`), and the
 * return is WCTR_EINVAL (or WCTR_ENOMEM). shown, when not NULL, replaces the quoted value in messages
 * ("invalid interpolation format in the value of PW (...)"), for text that may be secret. Unset-variable
 * warnings go to w. */
wctr_err cc_interpolate(const char *in, const char *shown, const cc_env *env, cli_compose_warnings *w, char **out,
                        char *msg, size_t msg_size);

/* Parses an env file (see ENV FILES). name is used in messages ("NAME:LINE: ..."). Keys appear once,
 * in first-seen order, later values replacing earlier ones; a "KEY" line whose variable is not set is
 * left out. */
wctr_err cc_dotenv_parse(const char *name, const char *data, size_t len, const cc_env *env,
                         cli_compose_warnings *w, cc_kvlist *out, wctr_errmsg *e);

/* True when the n bytes at s are well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF). */
bool cc_utf8_valid(const char *s, size_t n);

/* Paths, Windows and POSIX spelled: absolute means "/x", "\x", "C:\x", "C:/x", "C:" or "\\server". */
bool cc_path_is_abs(const char *p);
/* dir joined with rel (rel absolute: rel itself), "." and ".." resolved, separators made dir's ('\' when
 * dir has a '\' or a drive, else '/'). NULL when out of memory. */
char *cc_path_join(const char *dir, const char *rel);
/* Everything before the last separator (the root itself for "C:\x" or "/x"). */
char *cc_path_dir(const char *p);
/* The last component (empty for a root). */
const char *cc_path_base(const char *p, size_t *len);

/* compose's NormalizeProjectName. */
char *cc_normalize_project_name(const char *s);

/* Go's time.ParseDuration (without negative values) and Duration.String. */
bool cc_parse_duration(const char *s, int64_t *ns, char *msg, size_t msg_size);
void cc_format_duration(int64_t ns, char *buf, size_t size);

/* ---- Merging (compose_merge.c) ---- */
/* Merges document `over` into `base` (a mapping, the project so far; starts empty). over is consumed. */
wctr_err cc_merge_document(cy_node *base, cy_node *over, wctr_errmsg *e);
/* The key a volumes/secrets/configs entry is merged by (its target); NULL when it has none. */
char *cc_volume_key(const cy_node *item);
char *cc_grant_key(const cy_node *item);
/* Short volume syntax split (see VALUES). On failure msg says why. */
typedef struct cc_volume_spec {
  char *source, *target, *mode; /* mode may be NULL */
} cc_volume_spec;
bool cc_split_volume(const char *spec, cc_volume_spec *out, char *msg, size_t msg_size);
void cc_volume_spec_free(cc_volume_spec *v);

#endif /* CLI_COMPOSE_INTERNAL */

#endif
