/* cli/compose_cmd.c - `wctr compose`: loads the project with the compose module (compose/compose.h), then
 * prints the normalized model (`config`), deploys it over wctrd's operations (`up`, `down`, `ps`,
 * `logs`: cli/compose_up.c, with create requests built here from each service's spec) or converts it
 * (`convert`: cli/compose_convert.c). Every command loads and checks the files first, so a broken file
 * changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/compose_cmd.h"
#include "compose/to_spec.h"
#include "gmsa/gmsa_util.h"
#include "spec/spec.h"

const char cli_compose_usage[] =
    "Usage: wctr compose [-f FILE]... [-p NAME] COMMAND\n\n"
    "Compose files (compose-spec, strictly: any key wctr does not apply is an error naming it).\n\n"
    "Options:\n"
    "  -f, --file FILE           Compose file (repeatable; later files override earlier ones)\n"
    "  -p, --project-name NAME   Project name (default: the first file's folder)\n\n"
    "Commands:\n"
    "  config [--format yaml|json]   Validate the files and print the normalized project\n"
    "  up [-d]                       Check every service (credential specs, external networks too),\n"
    "                                create the project's missing networks, then the missing\n"
    "                                containers in depends_on order, and start them; without -d show\n"
    "                                their output until they exit (Ctrl+C stops them). A failure\n"
    "                                removes what this up created.\n"
    "  down [-v]                     Stop and remove the project's containers, in reverse order, then\n"
    "                                its networks (-v: accepted; wctr compose has no volumes)\n"
    "  ps [-q]                       List the project's containers (-q: their ids)\n"
    "  logs [-f] [SERVICE]           Show the containers' output (-f: follow)\n"
    "  restart [-t N] [SERVICE...]   Restart the services' containers (-t: seconds before terminating)\n"
    "  pull [-q] [--ignore-pull-failures] [SERVICE...]\n"
    "                                Pull the services' images (job services have none: skipped)\n"
    "  pause [SERVICE...]            Pause the services' containers (Hyper-V isolation only, as Docker)\n"
    "  unpause [SERVICE...]          Unpause the services' containers\n"
    "  exec [-d] [-T] [-e K=V] [-u USER] [-w DIR] [--index N] SERVICE COMMAND [ARG...]\n"
    "                                Run a command in a service's container (interactive; -T: no TTY)\n"
    "  convert --format kubernetes   Write the project as Kubernetes objects for Windows nodes\n"
    "                                (docs/kubernetes.md):\n"
    "      -o, --output DIR|-           One file per object in DIR, or one YAML stream (-, the default)\n"
    "      -n, --namespace NS           Namespace of the namespaced objects (default: default)\n"
    "      --service-type TYPE          ClusterIP (default), NodePort or LoadBalancer\n"
    "      --plain-text-secrets         Write secrets' values (base64, not encrypted) into Secret objects\n"
    "      --allow-plugin-input         Write a credential spec's PluginInput into its cluster-wide object\n"
    "      --host-process-image IMAGE   The image of isolation: job services whose image is host\n";

wctr_err cli_compose_create_request(const compose_project *p, const compose_service *s, compose_read_fn read_file,
                                    void *ctx, cJSON **out, wctr_errmsg *e) {
  spec_container spec;
  *out = NULL;
  wctr_err err = compose_service_to_spec(p, s, read_file, ctx, &spec, e);
  if (err != WCTR_OK) return err;
  cJSON *params = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  /* Name is the record's (the pipe protocol's create params take it beside the spec's fields). */
  bool ok = params != NULL && hc != NULL && cJSON_AddStringToObject(params, "Name", s->container_name) != NULL &&
            spec_to_json(&spec, params, hc, true);
  if (ok) {
    ok = cJSON_AddItemToObject(params, "HostConfig", hc);
    if (ok) hc = NULL;
  }
  spec_free(&spec);
  gmsa_json_secure_delete(hc);
  if (!ok) {
    gmsa_json_secure_delete(params);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = params;
  return WCTR_OK;
}

typedef struct cmd_io {
  cli_ctx *ctx;
} cmd_io;

static wctr_err read_adapter(void *arg, const char *path, char **data, size_t *len, wctr_errmsg *e) {
  cmd_io *io = arg;
  wctr_errmsg_clear(e);
  char *text = io->ctx->p->read_file(io->ctx->p->ctx, path, len, e);
  if (text == NULL) return e->code != WCTR_OK ? e->code : WCTR_ENOENT;
  *data = text;
  return WCTR_OK;
}

static const char *env_adapter(void *arg, const char *name) {
  cmd_io *io = arg;
  return io->ctx->p->getenv != NULL ? io->ctx->p->getenv(io->ctx->p->ctx, name) : NULL;
}

int cli_cmd_compose(cli_ctx *ctx, int argc, char **argv) {
  cli_compose_args args;
  wctr_errmsg e;
  int rc = CLI_EXIT_ERROR;
  compose_project *project = NULL;
  compose_warnings warnings = {0};
  char *rendered = NULL;
  if (cli_compose_parse_args(argc, argv, 1, &args, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr compose: %s\nSee 'wctr compose --help'.\n", e.text);
    cli_compose_args_free(&args);
    return CLI_EXIT_FAILED;
  }
  if (args.help || args.command == CLI_COMPOSE_CMD_NONE) {
    fputs(cli_compose_usage, ctx->p->out);
    rc = 0;
    goto done;
  }
  if (ctx->p->read_file == NULL || ctx->p->cwd == NULL) {
    fprintf(ctx->p->err, "wctr compose: files cannot be read here\n");
    goto done;
  }
  char cwd[1024];
  ctx->p->cwd(ctx->p->ctx, cwd, sizeof cwd);
  cmd_io io = {.ctx = ctx};
  compose_options opt = {.files = args.files, .file_count = args.file_count, .project_name = args.project_name,
                             .working_dir = cwd, .read_file = read_adapter, .lookup_env = env_adapter, .ctx = &io};
  wctr_err err = compose_load(&opt, &project, &warnings, &e);
  for (size_t i = 0; i < warnings.count; i++) fprintf(ctx->p->err, "WARNING: %s\n", warnings.text[i]);
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr compose: %s\n", e.text);
    goto done;
  }
  switch (args.command) {
    case CLI_COMPOSE_CMD_UP: rc = cli_compose_up(ctx, project, args.detach, read_adapter, &io); goto done;
    case CLI_COMPOSE_CMD_DOWN: rc = cli_compose_down(ctx, project, args.volumes); goto done;
    case CLI_COMPOSE_CMD_PS: rc = args.quiet ? cli_compose_ps_quiet(ctx, project) : cli_compose_ps(ctx, project); goto done;
    case CLI_COMPOSE_CMD_LOGS: rc = cli_compose_logs(ctx, project, args.service, args.follow); goto done;
    case CLI_COMPOSE_CMD_CONVERT: rc = cli_compose_convert(ctx, project, &args, read_adapter, &io); goto done;
    case CLI_COMPOSE_CMD_RESTART:
      rc = cli_compose_restart(ctx, project, args.services, args.service_count, args.timeout);
      goto done;
    case CLI_COMPOSE_CMD_PAUSE:
    case CLI_COMPOSE_CMD_UNPAUSE:
      rc = cli_compose_pause(ctx, project, args.services, args.service_count, args.command == CLI_COMPOSE_CMD_PAUSE);
      goto done;
    case CLI_COMPOSE_CMD_EXEC: rc = cli_compose_exec(ctx, project, args.rest, args.rest_count); goto done;
    case CLI_COMPOSE_CMD_PULL:
      rc = cli_compose_pull(ctx, project, args.services, args.service_count, args.quiet, args.ignore_pull_failures);
      goto done;
    default: break;
  }
  if (compose_render(project, args.json, &rendered, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr compose: %s\n", e.text);
    goto done;
  }
  fputs(rendered, ctx->p->out);
  rc = 0;
done:
  free(rendered);
  compose_free(project);
  compose_warnings_free(&warnings);
  cli_compose_args_free(&args);
  return rc;
}
