/* cli/compose_cmd.c - `wctr compose`: the command over the compose loader (cli/compose.h). Today it
 * validates and prints the normalized model (`config`); `up`, `down`, `ps` and `logs` say plainly that
 * they are not available yet rather than half-deploying a project. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/compose.h"

static const char compose_usage[] =
    "Usage: wctr compose [-f FILE]... [-p NAME] COMMAND\n\n"
    "Compose files (compose-spec, strictly: any key wctr does not apply is an error naming it).\n\n"
    "Options:\n"
    "  -f, --file FILE           Compose file (repeatable; later files override earlier ones)\n"
    "  -p, --project-name NAME   Project name (default: the first file's folder)\n\n"
    "Commands:\n"
    "  config [--format yaml|json]   Validate the files and print the normalized project\n"
    "  up, down, ps, logs            Not available yet: deployment arrives with the gMSA work\n";

typedef struct compose_io {
  cli_ctx *ctx;
} compose_io;

static wctr_err read_adapter(void *arg, const char *path, char **data, size_t *len, wctr_errmsg *e) {
  compose_io *io = arg;
  wctr_errmsg_clear(e);
  char *text = io->ctx->p->read_file(io->ctx->p->ctx, path, len, e);
  if (text == NULL) return e->code != WCTR_OK ? e->code : WCTR_ENOENT;
  *data = text;
  return WCTR_OK;
}

static const char *env_adapter(void *arg, const char *name) {
  compose_io *io = arg;
  return io->ctx->p->getenv != NULL ? io->ctx->p->getenv(io->ctx->p->ctx, name) : NULL;
}

int cli_cmd_compose(cli_ctx *ctx, int argc, char **argv) {
  cli_compose_args args;
  wctr_errmsg e;
  int rc = CLI_EXIT_FAILED;
  cli_compose_project *project = NULL;
  cli_compose_warnings warnings = {0};
  char *rendered = NULL;
  if (cli_compose_parse_args(argc, argv, 1, &args, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr compose: %s\nSee 'wctr compose --help'.\n", e.text);
    cli_compose_args_free(&args);
    return CLI_EXIT_FAILED;
  }
  if (args.help || args.command == CLI_COMPOSE_CMD_NONE) {
    fputs(compose_usage, ctx->p->out);
    rc = 0;
    goto done;
  }
  if (args.command != CLI_COMPOSE_CMD_CONFIG) {
    fprintf(ctx->p->err,
            "wctr compose: up, down, ps and logs are not available in this wctr yet; `wctr compose config` "
            "validates the project\n");
    goto done;
  }
  if (ctx->p->read_file == NULL || ctx->p->cwd == NULL) {
    fprintf(ctx->p->err, "wctr compose: files cannot be read here\n");
    goto done;
  }
  char cwd[1024];
  ctx->p->cwd(ctx->p->ctx, cwd, sizeof cwd);
  compose_io io = {.ctx = ctx};
  cli_compose_options opt = {.files = args.files, .file_count = args.file_count, .project_name = args.project_name,
                             .working_dir = cwd, .read_file = read_adapter, .lookup_env = env_adapter, .ctx = &io};
  wctr_err err = cli_compose_load(&opt, &project, &warnings, &e);
  for (size_t i = 0; i < warnings.count; i++) fprintf(ctx->p->err, "WARNING: %s\n", warnings.text[i]);
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr compose: %s\n", e.text);
    goto done;
  }
  if (cli_compose_render(project, args.json, &rendered, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr compose: %s\n", e.text);
    goto done;
  }
  fputs(rendered, ctx->p->out);
  rc = 0;
done:
  free(rendered);
  cli_compose_free(project);
  cli_compose_warnings_free(&warnings);
  cli_compose_args_free(&args);
  return rc;
}
