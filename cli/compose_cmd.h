/* cli/compose_cmd.h - `wctr compose`: its words, the create request built from a service's spec, and the
 * drivers of up, down, ps and logs over wctrd's operations (portable). The compose files themselves - the
 * loader, the model, `config`'s rendering and a service as a spec - are the compose module's
 * (compose/compose.h, compose/to_spec.h). Not a public contract: shared by cli/compose_*.c and tests. */
#ifndef WCTR_CLI_COMPOSE_CMD_H
#define WCTR_CLI_COMPOSE_CMD_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cli/cli_internal.h"
#include "common/error.h"
#include "compose/compose.h"

/* ---- Command line: `wctr compose [-f FILE]... [-p NAME] COMMAND [--format yaml|json]` ---- */

typedef enum cli_compose_command_kind {
  CLI_COMPOSE_CMD_NONE = 0, /* --help */
  CLI_COMPOSE_CMD_UP,
  CLI_COMPOSE_CMD_DOWN,
  CLI_COMPOSE_CMD_PS,
  CLI_COMPOSE_CMD_LOGS,
  CLI_COMPOSE_CMD_CONFIG,
  CLI_COMPOSE_CMD_CONVERT,
  CLI_COMPOSE_CMD_RESTART,
  CLI_COMPOSE_CMD_EXEC,
  CLI_COMPOSE_CMD_PULL,
  CLI_COMPOSE_CMD_PAUSE,
  CLI_COMPOSE_CMD_UNPAUSE,
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
  /* convert: --format kubernetes (required), -o/--output DIR|- (NULL: -), -n/--namespace NS,
   * --service-type ClusterIP|NodePort|LoadBalancer, --plain-text-secrets, --allow-plugin-input,
   * --host-process-image IMAGE (kube/kube.h). Values point into argv. */
  bool kubernetes;
  const char *output;
  const char *namespace_name;
  const char *service_type;
  bool plain_text_secrets;
  bool allow_plugin_input;
  const char *host_process_image;
  bool quiet;          /* ps -q, pull -q */
  bool ignore_pull_failures; /* pull --ignore-pull-failures */
  int64_t timeout;     /* restart -t (seconds); -1 when not given */
  const char **services; /* restart's SERVICE operands (into argv); malloc'd array */
  size_t service_count;
  char **rest;         /* exec: every word after "exec" (into argv) */
  int rest_count;
} cli_compose_args;

/* Parses argv[first..argc) (the words after "compose"): global -f/--file (repeatable) and
 * -p/--project-name, then the command, then its options: `config --format yaml|json`, `up [-d|--detach]`,
 * `down [-v|--volumes]`, `logs [-f|--follow] [SERVICE]`, `ps [-q|--quiet]`, `restart [-t|--timeout N]
 * [SERVICE...]`, `pull [-q|--quiet] [--ignore-pull-failures] [SERVICE...]`, `exec ...` (its words are left in rest for cli_compose_exec), `convert --format kubernetes [options above]`. -h/--help anywhere sets help. Errors
 * (WCTR_EINVAL) name the flag or word:
 *   unknown flag: --x / "x" is not a compose command (up, down, ps, logs, restart, exec, config, convert) / ...
 *   convert: --format "x" is not supported: use kubernetes / convert needs --format kubernetes /
 *   --service-type "x" is not ClusterIP, NodePort or LoadBalancer */
wctr_err cli_compose_parse_args(int argc, char **argv, int first, cli_compose_args *out, wctr_errmsg *e);
void cli_compose_args_free(cli_compose_args *args);

/* The params of container.create for service s of project p: compose_service_to_spec (compose/to_spec.h:
 * the mapping and its refusals), written by spec_to_json with the credential spec whole (the service
 * needs it; with_secrets), plus "Name" = s->container_name (the record's name, which a spec does not
 * carry). No field is spelled here: the wire names are spec's. *out: free with gmsa_json_secure_delete
 * (a raw:// credential spec may hold a password). On failure *out is NULL and e says why. */
wctr_err cli_compose_create_request(const compose_project *p, const compose_service *s, compose_read_fn read_file,
                                    void *ctx, cJSON **out, wctr_errmsg *e);

/* `wctr compose up | down | ps | logs` on a loaded project (cli/compose_up.c). read_file/io read a
 * config:// credential spec's file. */
int cli_compose_up(cli_ctx *ctx, const compose_project *p, bool detach, compose_read_fn read_file, void *io);
int cli_compose_down(cli_ctx *ctx, const compose_project *p, bool volumes);
int cli_compose_ps(cli_ctx *ctx, const compose_project *p);
int cli_compose_logs(cli_ctx *ctx, const compose_project *p, const char *service, bool follow);
/* `wctr compose convert --format kubernetes` (cli/compose_convert.c): kube_convert (kube/kube.h) with the
 * host's facts asked of wctrd when it can be reached (image.inspect for an image's OS version,
 * credentialspec.inspect for file:// specs, secret.read for secret values; without wctrd the first is left
 * out and the others are refused), then the YAML on out (-o - or none) or one file per object in DIR
 * (cli_platform.write_file). Nothing is written when anything fails. */
int cli_compose_convert(cli_ctx *ctx, const compose_project *p, const cli_compose_args *args, compose_read_fn read_file,
                        void *io);
/* pull [-q] [--ignore-pull-failures] [SERVICE...]: image.pull of each named service's image (every service when
 * none is named), in the project's order, with docker compose's lines on stderr (" NAME Pulling", " NAME Pulled",
 * " NAME Error"; nothing with -q). A job-isolation service's image is a host folder (or "host"): skipped. A failure
 * stops the pull (exit 1) unless --ignore-pull-failures, which pulls the rest and exits 0. */
int cli_compose_pull(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count, bool quiet,
                     bool ignore_failures);
/* ps -q: the project's container ids, one a line. */
int cli_compose_ps_quiet(cli_ctx *ctx, const compose_project *p);
/* restart [-t N] [SERVICE...]: container.restart of each service's container (all when none is named), in
 * the project's order; an unknown service is refused before anything restarts. */
int cli_compose_restart(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count,
                        int64_t timeout);
/* compose pause / unpause [SERVICE...]: container.pause (unpause) of each named service's container (every
 * service's without names), " Container X  Paused" as it goes; a failure is reported and makes the code 1. */
int cli_compose_pause(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count, bool pause);
/* exec [-d] [-T] [-e K=V]... [-u USER] [-w DIR] [--index N] [--privileged] SERVICE COMMAND [ARG...]: wctr exec
 * in the service's container; -i always (compose's exec is interactive), -t unless -T or stdout is no
 * terminal. */
int cli_compose_exec(cli_ctx *ctx, const compose_project *p, char **words, int count);

#endif
