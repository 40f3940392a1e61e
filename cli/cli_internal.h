/* cli/cli_internal.h - what the command files of cli/ share (portable). Not a public contract. */
#ifndef WCTR_CLI_CLI_INTERNAL_H
#define WCTR_CLI_CLI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/format.h"
#include "common/opts.h"
#include "common/pipename.h"

/* Exit codes, docker/cli's (cli/cli.h): 0; 1 when a command fails (wctrd's error, wctrd unreachable, a
 * wrong number of arguments, a template that fails); 64 when the --format of inspect, info, version or
 * events does not parse; 125 for a flag error, and for any failure of run and create; 126 and 127 when a
 * container's command cannot be run or found; else the container's own code (run, start -a). */
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_TEMPLATE 64

typedef struct cli_ctx {
  const cli_platform *p;
  char pipe_path[WCTR_PIPE_PATH_MAX];
  cli_connection *conn;
  int fail_code; /* the exit code when wctrd fails or cannot be reached: CLI_EXIT_ERROR, or 125 for run/create */
} cli_ctx;

typedef int (*command_fn)(cli_ctx *ctx, int argc, char **argv);

/* ---- arguments (cli/args.c) ---- */

/* Called for each option as it is read; returns false with e filled to refuse its value (a flag error). */
typedef bool (*cli_opt_fn)(void *arg, int id, const char *value, wctr_errmsg *e);
/* Reads a command's words (argv[0] is its name) the way docker/cli does: options anywhere among the
 * operands ("wctr stop web -t 1"), "--" ends the options, a repeated option comes to on_opt each time (so
 * single-value options keep the last). The operands are moved to the end of argv in their order:
 * argv[*first..argc). Returns 0, or CLI_EXIT_FAILED after printing a flag error ("wctr stop: unknown
 * flag: --x" and "See 'wctr stop --help'."). */
int cli_parse_args(cli_ctx *ctx, const char *cmd, const wctr_opt *table, int argc, char **argv, cli_opt_fn on_opt,
                   void *arg, int *first);
/* Prints "wctr CMD: TEXT
See 'wctr CMD --help'." and returns 125 (a flag's error) or 1 (the operands'). */
int cli_flag_error(cli_ctx *ctx, const char *cmd, const char *text);
int cli_usage_error(cli_ctx *ctx, const char *cmd, const char *text);
/* Checks the operand count (max -1: any): 0, or 1 after printing `"CMD" requires ...` as docker/cli. */
int cli_check_operands(cli_ctx *ctx, const char *cmd, int count, int min, int max, const char *what);
/* The usage text of a command ("" when there is none). */
const char *cli_usage_of(const char *name);
/* "1 layer", "2 layers". */
const char *cli_plural(long long n, const char *one, const char *many, char *buf, size_t size);

/* One request; prints the failure (connection or wctrd's error) and sets *rc to ctx->fail_code when it fails. */
bool cli_call(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, int *rc);
/* The same without printing anything: the failure is returned (for clean-up calls whose failure is not news). */
wctr_err cli_call_quiet(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e);
/* The same, except that wctrd's error is returned in *e for the caller to word, not printed (a failure to
 * connect is still printed). */
bool cli_call_ex(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, int *rc, wctr_errmsg *e);
/* A stream operation on its own connection; same failure handling. */
bool cli_stream(cli_ctx *ctx, const char *op, cJSON *params,
                void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg, cJSON **result,
                int *rc);
/* The same, with stdin forwarding and the failure also returned in *e (the message is printed). A detach (the
 * detach keys on the forwarded stdin) returns false with *rc 0 and e empty. */
bool cli_stream_ex(cli_ctx *ctx, const char *op, cJSON *params, bool forward_stdin,
                   void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg, cJSON **result,
                   int *rc, wctr_errmsg *e);
int cli_connect_failed(cli_ctx *ctx, wctr_err err, const wctr_errmsg *e);
/* The bytes of an output frame's data (cli.h: a string, {"log": string} of container.logs, or
 * {"data64": base64}): *bytes malloc'ed (free with free()), NULL with false when data carries none. */
bool cli_frame_bytes(const cJSON *data, char **bytes, size_t *len);
/* A container's output, exactly (cli_platform.write_bytes), then flushed. */
void cli_write_output(cli_ctx *ctx, FILE *f, const char *data, size_t len);
/* `-f/--format VALUE` and no operands, for commands that take nothing else (version, info, check): *format
 * is the value or NULL. Returns 0, or the exit code after printing the problem. */
int cli_parse_format_only(cli_ctx *ctx, const char *cmd, int argc, char **argv, const char **format);
void cli_print_json(FILE *f, const cJSON *item);
/* Writes text (len bytes) to f as it is. */
void cli_print_buf(FILE *f, const char *text, size_t len);
/* A list (n rows) written with its --format f under the header names header_json (a JSON object, cli_format_write)
 * and printed on stdout: 0; a template failure or no memory prints the message on stderr and is 1. */
int cli_print_list(cli_ctx *ctx, const cli_format *f, const char *header_json, const docker_tpl_object *rows, size_t n);

/* ---- named objects (cli/named.c): volumes, networks, secrets, credential specs ---- */

/* How rm reports: wctr's way (-f is sent as "Force": true for wctrd to judge; a failure prints "wctr:
 * MESSAGE" and the next name is tried, even when wctrd cannot be reached), or docker/cli's network rm (-f
 * forgives an object that does not exist, here; a failure prints "Error response from daemon: MESSAGE"; when
 * wctrd cannot be reached the loop stops). */
typedef enum cli_named_rm_style { CLI_NAMED_RM_WCTR, CLI_NAMED_RM_DOCKER } cli_named_rm_style;

/* One kind of named object: its operations, the params' member that names an object, and how a failure for
 * one name is worded. */
typedef struct cli_named {
  const char *key;          /* "Name" or "Id": each request is {key: NAME} */
  const char *inspect_op;   /* e.g. "volume.inspect" */
  const char *remove_op;    /* e.g. "volume.remove" */
  const char *error_prefix; /* inspect: before wctrd's message or a template's failure ("wctr: ", "Error: ") */
  const char *no_such;      /* inspect: when set, a failed request prints "Error: No such NO_SUCH: NAME" */
  bool plain;               /* inspect: wctr's own object, < > & as they are (cli_inspect.plain) */
  cJSON *(*shape)(const cJSON *answer); /* inspect: what is shown, made from wctrd's answer (NULL: the answer) */
  cli_named_rm_style rm_style;
} cli_named;

/* The end of every inspect command (docker inspect's order): in's output on stdout, then errors (what could not
 * be inspected, one line each) on stderr; frees both. Returns rc, or CLI_EXIT_ERROR when there were errors. */
int cli_inspect_print(cli_ctx *ctx, cli_inspect *in, docker_buf *errors, int rc);

/* inspect NAME...: Docker's inspect layout of every object found (cli/format.h cli_inspect), then one line on
 * stderr for each name that failed. Returns 0; 1 when any name failed; 64 (1 when out of memory) when the
 * format does not parse, after printing why; ctx->fail_code when wctrd cannot be reached (said once, and
 * what was found before is still printed). */
int cli_named_inspect(cli_ctx *ctx, const cli_named *kind, const char *format, int nargs, char **names);
/* rm NAME...: each removed name on stdout, in order, each failure on stderr (kind->rm_style). Returns 0, or
 * ctx->fail_code when any name failed. */
int cli_named_remove(cli_ctx *ctx, const cli_named *kind, bool force, int nargs, char **names);
/* prune: sends op with params (taken), then prints TITLE and each string of the answer's KEY array, when it
 * has any (docker's "Deleted Volumes:"). Returns 0, or the failure's exit code after printing it. */
int cli_named_prune(cli_ctx *ctx, const char *op, cJSON *params, const char *key, const char *title);

/* A list of objects in Docker's --format (cli/format.h): each item of wctrd's answer becomes a formatter
 * context. */
typedef struct cli_named_list {
  const char *format;        /* the --format given, or the -q template; NULL: default_table */
  const char *default_table; /* e.g. "table {{.Driver}}\t{{.Name}}" */
  const char *headers;       /* a JSON object: each field's header */
  const char *type_name;     /* the context's Go type, which template errors name */
  cJSON *(*fields)(const cJSON *item, void *arg); /* one row's context (taken); NULL when out of memory */
  void *arg;
  int (*order)(const void *a, const void *b); /* qsort's over const cJSON *; NULL keeps wctrd's order */
} cli_named_list;
/* Prints items with l. Returns 0, or 1 after printing why (a format that does not parse, a template that
 * fails for a row: then no row is printed; out of memory). */
int cli_named_print_list(cli_ctx *ctx, const cli_named_list *l, const cJSON *items);

/* The create params of `wctr run` / `wctr create` from their flags and arguments (argv[0] is the command
 * name). *detach and *auto_remove report -d and --rm; *first_arg is where the image is. */
typedef struct cli_run_flags {
  bool detach;
  bool interactive;
  bool help;
  bool dry_run;
  const char *pull; /* --pull missing (default) | always | never */
  bool no_image; /* the error was the missing IMAGE (exit 1, not 125) */
  bool tty;
  bool sig_proxy;          /* --sig-proxy (default true): Ctrl+C on an attached run stops the container */
  const char *detach_keys; /* --detach-keys, NULL: Docker's default */
} cli_run_flags;
wctr_err cli_run_params(cli_ctx *ctx, int argc, char **argv, cJSON **params, cli_run_flags *flags, wctr_errmsg *e);

/* Seconds between two ISO 8601 UTC stamps of wctr's form (b - a); 0 when either does not parse. */
int64_t cli_seconds_between(const char *a, const char *b);
/* The time now (cli_platform.now), "" when the platform cannot tell. */
void cli_now(cli_ctx *ctx, char *buf, size_t size);

/* Docker's detach keys (cli/detach.c): "ctrl-p,ctrl-q" by default. */
#define CLI_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
typedef struct cli_detach {
  unsigned char keys[16];
  size_t len;
  size_t matched; /* how many of keys the input has shown in a row so far (held back, not yet forwarded) */
} cli_detach;
/* docker's --detach-keys: comma-separated single characters or ctrl-<a-z @ [ \ ] ^ _>; WCTR_EINVAL "Invalid
 * detach keys (TEXT) provided" otherwise. */
wctr_err cli_detach_keys_parse(const char *text, cli_detach *out, wctr_errmsg *e);
/* Scans n bytes of input: out (room for n + keys bytes) receives what is to be forwarded, *out_len its length;
 * bytes that may begin the sequence are held back until it breaks (then they go on) or completes (true: the
 * client detaches; nothing after it is forwarded). */
bool cli_detach_scan(cli_detach *d, const char *in, size_t n, char *out, size_t *out_len);

int cli_cmd_run(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_create(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_start(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_attach(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_stop(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_kill(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_pause(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_unpause(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_restart(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_container(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_top(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_cp(cli_ctx *ctx, int argc, char **argv); /* cli/cp.c */
extern const char cli_cp_usage[];
int cli_cmd_system(cli_ctx *ctx, int argc, char **argv);
extern const char cli_system_usage[];
/* A top-level command by its name (argv[0]). */
int cli_run_command(cli_ctx *ctx, int argc, char **argv);
extern const char cli_container_usage[];
int cli_cmd_rename(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_rm(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_ps(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_inspect(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_logs(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_wait(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_exec(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_stats(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_update(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_events(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_compose(cli_ctx *ctx, int argc, char **argv);
/* cli/security.c. */
int cli_cmd_secret(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_volume(cli_ctx *ctx, int argc, char **argv);
/* --mount type=volume|bind|npipe,source=,target=[,readonly] -> the -v form wctrd checks (spec_mount_parse):
 * "SRC:TARGET[:ro]", or "TARGET[:ro]" for a volume without a source (anonymous). *out malloc'ed. Docker's
 * messages for a missing target or source, an unknown key, and Linux-only keys refused naming them. */
wctr_err cli_mount_to_bind(const char *text, char **out, wctr_errmsg *e);
int cli_cmd_audit(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_check(cli_ctx *ctx, int argc, char **argv);
/* `--secret NAME[,target=FILE]` or `source=NAME[,target=FILE]` -> {"Name","Target"?} (*out taken by the caller). */
wctr_err cli_secret_flag_parse(const char *text, cJSON **out, wctr_errmsg *e);
int cli_cmd_image(cli_ctx *ctx, int argc, char **argv);
extern const char cli_image_usage[]; /* `wctr image --help`, add's options included */
int cli_cmd_images(cli_ctx *ctx, int argc, char **argv);
/* cli/images.c: registries and archives. */
int cli_cmd_pull(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_rmi(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_tag(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_history(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_save(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_load(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_login(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_trust(cli_ctx *ctx, int argc, char **argv);
int cli_cmd_logout(cli_ctx *ctx, int argc, char **argv);
extern const char cli_pull_usage[];
extern const char cli_images_usage[];
extern const char cli_rmi_usage[];
extern const char cli_tag_usage[];
extern const char cli_history_usage[];
extern const char cli_save_usage[];
extern const char cli_load_usage[];
extern const char cli_login_usage[];
extern const char cli_trust_usage[];
extern const char cli_logout_usage[];
/* Pulls ref with Docker's progress display on f (stdout for `pull`, stderr for `run`); quiet prints nothing
 * but errors. Returns 0 or the exit code after printing the failure. */
int cli_pull_image(cli_ctx *ctx, const char *ref, bool quiet, FILE *f);
int cli_cmd_credentialspec(cli_ctx *ctx, int argc, char **argv);
/* cli/networks.c and `wctr port` (containers.c). */
int cli_cmd_network(cli_ctx *ctx, int argc, char **argv);
extern const char cli_network_usage[];
int cli_cmd_port(cli_ctx *ctx, int argc, char **argv);
/* The full usage texts of the commands that have subcommands (`wctr COMMAND --help`). */
extern const char cli_compose_usage[];
extern const char cli_credentialspec_usage[];
/* `wctr compose`'s words and its drivers: cli/compose_cmd.h. */

#endif
