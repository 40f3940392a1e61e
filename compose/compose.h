/* compose/compose.h - compose files as a model: the loader, the model and its rendering (portable).
 *
 * The compose module turns compose files into a normalized model and each service of it into a container
 * spec (compose/to_spec.h); it creates nothing and talks to nobody. `wctr compose` (cli/) is one user of
 * it; any front-end that needs a project (a Kubernetes generator, the Engine API) uses the same model.
 * Companion headers: compose/to_spec.h (a service as a spec_container) and compose/compose_internal.h
 * (what the files of this module share; not a contract).
 *
 * compose_load reads one or more compose files, merges them, interpolates variables, checks every
 * key and value, and builds a compose_project: the normalized model that `up`, `down`, `ps`, `logs`
 * and `config` work from. It creates nothing, starts nothing and reads only what the options' callbacks
 * give it (the compose files, `.env` and env_file files); it never reads a secret's or a config's file.
 * compose_render prints the model for `wctr compose config`, as YAML or JSON, deterministically.
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
 *   top level   version (accepted and ignored, with compose's warning), name, services, networks, secrets,
 *               configs
 *   services.S  image (required), command, entrypoint, environment, env_file, working_dir, user,
 *               isolation, hostname, credential_spec, security_opt, mem_limit, cpus, cpu_count,
 *               cpu_percent, cpu_shares, pids_limit, deploy.resources.limits.{cpus,memory,pids},
 *               deploy.replicas, secrets, configs, volumes, depends_on, healthcheck, stop_grace_period, restart,
 *               labels, ports, expose, networks, network_mode, dns, dns_search, mac_address
 *   secrets.N / configs.N   file (required)
 *   networks.N  name, external, driver (nat), ipam.{driver (default), config[0].{subnet, gateway}}, labels
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
 *   deploy        only deploy.replicas (a whole number 0..2147483647, kept for generators: `up` runs one
 *                 container per service and compose_service_to_spec refuses any other count than 1) and
 *                 deploy.resources.limits.{cpus, memory, pids}; deploy: null is allowed. Set both
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
 *   volumes       bind mounts and named pipes. Short "SOURCE:TARGET[:MODE]" where a ':' after a single
 *                 letter is a drive ("C:\data:C:\data:ro" -> C:\data, C:\data, read-only); MODE is ro or
 *                 rw. SOURCE must be a host path (starting with '.', '/', '\', '~' or a drive letter); a
 *                 bare name is a named volume, which must be defined under the top-level volumes ("service
 *                 refers to undefined volume NAME"); a TARGET alone is an anonymous volume.
 *                 Long {type: bind | npipe | volume, source, target, read_only} (type and the others required
 *                 as compose requires, but source for a volume, which is anonymous without one;
 *                 tmpfs/image/cluster and the bind/volume/tmpfs/image/consistency keys refused); a long-form source or
 *                 target holds no ':' but a drive letter's (the mount travels as SOURCE:TARGET). A named
 *                 pipe is \\.\pipe\NAME, or with '/' for any separator (//./pipe/NAME, Docker's), "pipe"
 *                 in any case: type npipe needs one on both sides (else "... is not a named pipe"); a
 *                 bind or a short form with a pipe on both sides is the same mount (compose_mount.pipe,
 *                 rendered as type npipe). A pipe is kept as written; a relative SOURCE is made absolute
 *                 against the project directory, "~" against USERPROFILE (else HOME). TARGET must be
 *                 absolute. Two mounts with the same target are an error (compose's "target X already
 *                 mounted as services.web.volumes[0]"). What the engine then refuses (a POSIX target such
 *                 as /data on a Windows container, a mount on a job container, a read-only pipe) is
 *                 compose_service_to_spec's check (compose/to_spec.h), run by `up` before anything exists;
 *                 `config` shows the file as it is, as docker-compose's does.
 *   depends_on    a list of names, or a map NAME: {condition: service_started | service_healthy |
 *                 service_completed_successfully} (required: true and restart: false are accepted: they are
 *                 the defaults). A dependency whose condition is service_completed_successfully is also in
 *                 depends_on_completed: `up` waits for its container to exit with 0 before it starts the
 *                 dependent service; one whose condition is service_healthy is in depends_on_healthy: `up`
 *                 waits (bounded) for its container's health to be healthy.
 *   healthcheck   test (a string: ["CMD-SHELL", it]; a list starting with NONE, CMD or CMD-SHELL), interval,
 *                 timeout, start_period (Go durations, not negative), retries (0 or more), disable (true:
 *                 ["NONE"]; with a test, compose's "test and disable can't be set at the same time");
 *                 start_interval is refused (wctr's probe has no such period). Docker's HealthConfig.
 *                 Unknown names and cycles are errors (compose's messages); the model's services are
 *                 in start order: dependencies first, ties broken by name (byte order).
 *   stop_grace_period   a Go duration ("10s", "1m30s", "1.5h", "250ms"); at most 2562047h; not negative.
 *   restart       no | always | unless-stopped | on-failure | on-failure:N (spec_restart_parse; N at most
 *                 2147483647). "" is "no", as Docker reads an empty policy (also over an earlier file's
 *                 policy, where a null would keep it).
 *   ports         a list of short "[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]" strings (or numbers) and long
 *                 {target (required), published, host_ip, protocol, mode: ingress | host} entries (name and
 *                 app_protocol are refused); a long entry is read as the short form it means. Both go through
 *                 spec_port_spec_parse (spec/network.h): Docker's nat.ParsePortSpec with its messages and
 *                 moby's Windows rules ("Windows does not support host IP addresses in NAT settings", a host
 *                 range for one port). One host port published twice in the project is refused with Docker's
 *                 "Bind for 0.0.0.0:8080 failed: port is already allocated" (naming the other service), since
 *                 the second container would fail at its start, after the first exists.
 *   expose        a list of "80", "80/udp", "8000-8010" or numbers (spec_expose_parse); repeats dropped.
 *   networks      a list of names or a map NAME: null | {...}; every per-network key (aliases, ipv4_address,
 *                 ...) is refused by name. A name must be "default" or a top-level network (compose's
 *                 `service "web" refers to undefined network front`). A container joins ONE network (an HNS
 *                 endpoint in its namespace): two names are refused. Neither networks nor network_mode: the
 *                 service joins "default", compose's <project>_default, which the model then holds as a
 *                 project network - except a job container, which shares the host's network.
 *   network_mode  none | host | default | a network's name (one outside the project, such as nat); service:X
 *                 and container:X are refused (a Windows container has a namespace of its own). With networks:
 *                 compose's `service "web" declares mutually exclusive `network_mode` and `networks``. Which
 *                 mode suits which isolation is compose_service_to_spec's check (compose/to_spec.h).
 *   dns, dns_search   a string or a list; IP addresses and domains checked with Docker's messages; repeats
 *                 dropped; at most SPEC_DNS_MAX.
 *   mac_address   spec_mac_parse's form (unicast; kept as 02:42:ac:11:00:02).
 *   logging       {driver: json-file, options: {K: V}}: another driver is refused naming logging.driver ("wctr keeps
 *                 a container's logs with the json-file driver only"); the options are json-file's, checked by
 *                 compose_service_to_spec with spec_log_opts_check (services.S.logging.options: Docker's messages).
 *   networks.N (top level)   the key names it in the file; `name` is the network's own name (default
 *                 <project>_N, or N itself when external). external: true means it must exist: `up` neither
 *                 creates nor removes it, and driver, ipam or labels beside it are compose's "conflicting
 *                 parameters" error; the {name: X} form of external is refused. driver: nat (any case) only.
 *                 ipam: driver "default", config with one {subnet (IPv4 CIDR), gateway (IPv4, needs the
 *                 subnet)}; ip_range, aux_addresses and options are refused. labels as for a service (not
 *                 com.docker.compose.*: `up` sets those). attachable, internal, enable_ipv6, driver_opts... are
 *                 refused. Networks no service joins are checked and left out of the model.
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
 * are errors, and so is a second << in one mapping (docker-compose 1.29.2 would keep the last, compose v2
 * refuses it): `mapping key "<<" already defined at line 5 (merge several mappings with <<: [*a, *b])`.
 * Tags: !!str, !!int, !!float, !!bool, !!null, !!map, !!seq, and compose's !reset and !override (only on a
 * mapping's value); any other tag is refused. Several documents in one file are merged in order, like
 * several files. Limits: COMPOSE_MAX_FILE_BYTES per file, nesting depth COMPOSE_MAX_DEPTH, COMPOSE_MAX_KEYS
 * keys in one mapping, COMPOSE_MAX_NODES nodes and COMPOSE_MAX_TEXT bytes of text after aliases are expanded
 * (a "billion laughs" file fails with WCTR_ETOOBIG instead of eating the memory or the time).
 *
 * INTERPOLATION, in every string value (not in keys), before the checks, as compose does: $VAR, ${VAR},
 * ${VAR:-default} (unset or empty), ${VAR-default} (unset), ${VAR:?message} and ${VAR?message} (error),
 * ${VAR:+alt} and ${VAR+alt}; defaults and messages are interpolated too (nesting works); $$ is a literal $;
 * a $ not followed by a name or '{' stays as it is. ${...} ends at the '}' that balances its '{' (so a
 * default may hold ${...} or {...}); when none does (a '{' left open: ${UNSET:-{x}), at the last '}' of the
 * line, as compose v2's pattern reads it (both compose implementations give "{x"). Names are
 * [A-Za-z_][A-Za-z0-9_]*. Values come from the lookup_env callback (the process environment), then from
 * `.env` in the project directory (the process wins). Names in .env match exactly; how the process
 * environment matches is the callback's business (on Windows, GetEnvironmentVariableW ignores case). An
 * unset variable without a default becomes "" with compose's warning:
 *   The "TAG" variable is not set. Defaulting to a blank string.
 * Errors name the path: `compose.yml: services.web.image: invalid interpolation format "${TAG"
 * (unterminated "${"; write $$ for a literal $)` and `...: required variable TAG is missing a value:
 * MESSAGE`.
 *
 * ENV FILES (.env and env_file), compose's dotenv format in this subset: UTF-8 (checked: the values become
 * Windows environment strings), an optional BOM; lines end with \n or \r\n; blank lines and lines starting
 * with '#' are skipped; an optional "export "; KEY (trimmed, non-empty, no whitespace or '=' or quote
 * inside) then '=' then VALUE, trimmed. A VALUE in '...' is literal but for \' (a quote; any other backslash
 * stays as written); in "..." the escapes \a \b \f \n \r \t \v \\ \" \$ are decoded (any other backslash
 * stays) and variables are interpolated; an unquoted VALUE ends at " #" (a comment) and is interpolated. In
 * both kinds of quotes a backslash escapes the next character, so \' and \" do not close the value (compose
 * v2's parser; a value that ends with a backslash is written unquoted or as "...\\"). A quoted VALUE may go
 * on over the next lines (a certificate): the line breaks inside are \n whatever the file uses, and one that
 * never closes is an error at the line that opened it. Text after a closing quote may only be a comment.
 * Both compose implementations accept these and agree on their values but for \\ in single quotes and \' in
 * double quotes (1.29.2 decodes both) and \r\n inside quotes (v2 keeps the \r): wctr reads those as v2, the
 * last as 1.29.2. A line "KEY" without '=' takes KEY from the environment (left out when unset).
 * Interpolation inside an env file looks at the environment first, then at the keys defined above it in the
 * same file. Errors name the file, the line and the variable, and never quote a value (env files hold
 * passwords): `app.env:3: invalid interpolation format in the value of DB_PASSWORD (unterminated "${"; write
 * $$ for a literal $)`.
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
 *   - security_opt and expose lists are appended; an exact repeat is dropped;
 *   - ports are keyed as compose's portIndexer keys them (a short entry by its text, a long one by
 *     host_ip:published:target/protocol): the same key replaces the earlier entry, others are appended;
 *   - dns and dns_search (a string is a one-item list) are appended without repeats;
 *   - a service's networks merge as a map (a list entry means NAME: null);
 *   - top-level networks merge by name, recursively, their labels as a map (either syntax) and their
 *     ipam.config entries by subnet (compose's mergeIPAMConfig);
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
 * "project name must not be empty". Containers are named <project>-<service>-1, or container_name: (Docker's
 * name rule; two services with one name are refused). init: true is refused with the reason (Windows
 * containers have no Linux init to run); init: false is accepted.
 *
 * DEFAULT FILES: with no files given, the first of compose.yaml, compose.yml, docker-compose.yml and
 * docker-compose.yaml found in opt->working_dir (compose's order; no search in parent folders), plus the
 * first of compose.override.yml, compose.override.yaml, docker-compose.override.yml and
 * docker-compose.override.yaml when there is one; more than one candidate gives compose's warnings
 * ("Found multiple config files with supported names: A, B" and "Using A"). A default file is named by
 * its full path in messages. None: "no configuration file provided: not found" (WCTR_ENOENT).
 *
 * NOT DONE (refused where it is a key, simply absent otherwise): compose's include, extends, profiles,
 * build, links, extra_hosts, dns_opt and every other key not listed above; COMPOSE_FILE and
 * --project-directory; `-f -` (standard input); more than one container per service in `up` (scale;
 * deploy.replicas is read, see above).
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
#ifndef WCTR_COMPOSE_COMPOSE_H
#define WCTR_COMPOSE_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "gmsa/source.h"
#include "spec/spec.h"

#define COMPOSE_MAX_FILE_BYTES (4u * 1024u * 1024u)
#define COMPOSE_MAX_DEPTH 64
#define COMPOSE_MAX_KEYS 10000u
#define COMPOSE_MAX_NODES 200000u
#define COMPOSE_MAX_TEXT (32u * 1024u * 1024u)

/* Reads a whole file. *data must be allocated with malloc (the loader frees it with free); it need not be
 * NUL-terminated. Return WCTR_ENOENT when the file does not exist (the loader then decides whether that
 * is an error: a missing .env is not), anything else with e filled for other failures. */
typedef wctr_err (*compose_read_fn)(void *ctx, const char *path, char **data, size_t *len, wctr_errmsg *e);
/* Looks up a variable of the process environment: its value, or NULL when it is not set. The returned
 * text must stay valid until the next call. */
typedef const char *(*compose_env_fn)(void *ctx, const char *name);

typedef struct compose_options {
  const char *const *files; /* -f values, in order; file_count 0: the default names (see above) */
  size_t file_count;
  const char *project_name; /* -p; NULL or "" when not given */
  /* Absolute directory that relative -f paths and the default file names are resolved against (the
   * current directory). Required. Its separator style ('\' or '/') is kept in the paths built from it. */
  const char *working_dir;
  /* The credentialspecs folder, for gmsa_source's "must be under" message; may be NULL. */
  const char *credspec_dir;
  compose_read_fn read_file; /* required */
  compose_env_fn lookup_env; /* NULL: an empty environment */
  void *ctx;                 /* passed to both callbacks */
} compose_options;

/* Warnings for the user, in the order they arose, each once. Initialise to all zeros; free with
 * compose_warnings_free (the loader appends, it never clears). */
typedef struct compose_warnings {
  size_t count;
  char **text;
} compose_warnings;

void compose_warnings_free(compose_warnings *w);

/* ---- The model. Every pointer is owned by the project and freed by compose_free. Unset strings are
 * NULL; unset numbers are 0 (as in spec_resources). ---- */

typedef struct compose_command {
  bool set;        /* the key was given (not null) */
  bool shell_form; /* written as a string: argc == 1, argv[0] is the whole command line */
  size_t argc;
  char **argv;
} compose_command;

typedef struct compose_mount {
  char *source; /* absolute host path; for a pipe the host's pipe, as written */
  char *target; /* absolute path in the container, as written; for a pipe the container's pipe */
  bool read_only;
  bool pipe; /* a named pipe on both sides (type npipe, or a bind of \\.\pipe\ paths) */
  bool volume; /* a volume: source is a top-level volume's key, or NULL for an anonymous volume */
} compose_mount;

/* A top-level volume (Docker's local driver). */
typedef struct compose_volume {
  char *key;      /* as written under volumes: */
  char *name;     /* the engine's name: name: when given, else <project>_<key> (external: the key) */
  bool external;  /* never created or removed by wctr; must exist at up */
  char **labels;  /* "K=V", sorted by K */
  size_t label_count;
} compose_volume;

/* A secret or config given to a service. */
typedef struct compose_grant {
  char *source; /* the top-level secret/config name */
  char *target; /* file name in the container's secrets (configs) folder */
} compose_grant;

typedef struct compose_service {
  char *name;
  char *container_name; /* <project>-<service>-1 */
  char *image;
  compose_command entrypoint;
  compose_command command;
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
  compose_mount *volumes;
  size_t volume_count;
  compose_grant *secrets;
  size_t secret_count;
  compose_grant *configs;
  size_t config_count;
  char **depends_on; /* service names, sorted */
  size_t depends_on_count;
  char **depends_on_completed; /* those of depends_on whose condition is service_completed_successfully, sorted */
  size_t depends_on_completed_count;
  char **depends_on_healthy; /* those of depends_on whose condition is service_healthy, sorted */
  size_t depends_on_healthy_count;
  bool healthcheck_set;      /* healthcheck: given (test, or disable: NONE) */
  char **health_test;        /* Docker's HealthConfig.Test: NONE | CMD args... | CMD-SHELL line; none: not given */
  size_t health_test_count;
  int64_t health_interval_ns, health_timeout_ns, health_start_period_ns; /* 0: Docker's defaults */
  int64_t health_retries;    /* 0: Docker's default (3) */
  bool stop_grace_period_set;
  int64_t stop_grace_period_ns;
  spec_restart restart; /* on-failure:N keeps N in max_retries; 0 when not given */
  bool replicas_set;    /* deploy.replicas was given */
  int64_t replicas;     /* 0..INT32_MAX */
  spec_port *ports;     /* ports: one mapping per entry (a range gives one per port), in order */
  size_t port_count;
  spec_port *expose; /* expose: the ports, host_port 0, in order, no repeats */
  size_t expose_count;
  char *network_mode; /* network_mode as written: none, host, default or a network's name; NULL when unset */
  /* The key of the project network (compose_project.networks) the container joins: the one under networks,
   * or "default" when neither networks nor network_mode is given (not for a job container: it shares the
   * host's network). NULL with network_mode or for such a job container. */
  char *network;
  char **dns; /* servers, in order, no repeats */
  size_t dns_count;
  char **dns_search;
  size_t dns_search_count;
  char *mac_address; /* Docker's form (spec_mac_parse); NULL when unset */
  char **log_opts;   /* logging.options, "K=V" sorted by K */
  size_t log_opt_count;
} compose_service;

/* A top-level secret or config. */
typedef struct compose_resource {
  char *name;
  char *file; /* absolute host path; never read by the loader */
} compose_resource;

/* A network of the project: a top-level network a service joins, or the "default" one compose makes for
 * the services that name none. */
typedef struct compose_network {
  char *key;     /* its name in the file: "default", "front" */
  char *name;    /* the network's own: name:, else <project>_<key>; external: name:, else the key */
  bool external; /* it must exist already: up neither creates nor removes it */
  char *subnet;  /* ipam.config[0].subnet; NULL: HNS picks one */
  char *gateway; /* ipam.config[0].gateway; NULL: the subnet's first address */
  char **labels; /* "K=V", sorted by K */
  size_t label_count;
} compose_network;

typedef struct compose_project {
  char *name;
  char *directory;           /* the project directory */
  compose_service *services; /* in start order */
  size_t service_count;
  compose_resource *secrets; /* sorted by name */
  size_t secret_count;
  compose_resource *configs; /* sorted by name */
  size_t config_count;
  compose_volume *volumes;   /* sorted by key */
  size_t volume_count;
  compose_network *networks; /* the networks services join, sorted by key (unused ones are checked, then left out) */
  size_t network_count;
} compose_project;

/* The top-level volume called key, or NULL. */
const compose_volume *compose_find_volume(const compose_project *project, const char *key);

/* Top-level volumes: NAME: null or {driver: local, labels (a map or a list), external: bool, name}; any
 * other driver is refused naming it, driver_opts is refused (Docker's local driver on Windows takes no
 * options). Their engine names are project-scoped as docker compose does (<project>_<key>), unless name: is
 * given; an external volume is the key (or name:) and must exist at `up`. `up` creates the others with the
 * labels com.docker.compose.project and com.docker.compose.volume (plus the file's); `down -v` removes them
 * and the containers' anonymous volumes. */

/* Loads the project (see above). On success *out is a new project (free with compose_free); on
 * failure *out is NULL. Warnings are appended to *w when w is not NULL, also when loading fails. */
wctr_err compose_load(const compose_options *opt, compose_project **out, compose_warnings *w,
                      wctr_errmsg *e);

/* Frees the project and everything in it (a raw:// credential spec is zeroed first). Accepts NULL. */
void compose_free(compose_project *project);

/* The service called name, or NULL. */
const compose_service *compose_find_service(const compose_project *project, const char *name);
/* The project network whose key (its name in the file) is key, or NULL. */
const compose_network *compose_find_network(const compose_project *project, const char *key);

/* The model for `wctr compose config`: YAML (libyaml's emitter, block style, UTF-8) or, with json,
 * cJSON's pretty-printed JSON of the same shape. The same project always renders to the same text.
 *   name, services (in start order), secrets and configs ({NAME: {file: PATH}}, sorted);
 *   per service, unset values left out: container_name, image, entrypoint, command (a string for the
 *   shell form, a list for the exec form), working_dir, user, hostname, isolation (when not default),
 *   credential_spec ({KIND: VALUE}), environment and labels (maps sorted by key), resources
 *   {memory_bytes, nano_cpus, cpu_count, cpu_percent, cpu_shares, pids_limit} (the normalized units, exact
 *   64-bit integers in both formats), volumes [{type: bind, source, target, read_only}], secrets and
 *   configs [{source, target}], depends_on [names], stop_grace_period (Go's spelling: "1m30s"), restart
 *   ("no" is left out), replicas (when given), ports in compose's long form [{mode: ingress, host_ip, target, published (a string),
 *   protocol}], expose ["80", "53/udp"], network_mode, networks {KEY: null}, dns, dns_search, mac_address;
 *   top-level networks {KEY: {name, external, ipam: {config: [{subnet, gateway}]}, labels}} after services
 *   (as `docker compose config` shows them, "default" included when a service joins it).
 * In YAML, a string that would read back as something else (null, a boolean (YAML 1.1's yes/no/on/off
 * too), a number, "<<") or that holds a control character is double-quoted; libyaml quotes the rest
 * where a plain scalar cannot hold it. A raw:// credential spec is shown as "<redacted>". *out is
 * NUL-terminated, from malloc; the caller frees it with free(). Errors: WCTR_EINVAL (NULL arguments),
 * WCTR_ENOMEM. */
wctr_err compose_render(const compose_project *project, bool json, char **out, wctr_errmsg *e);

#endif
