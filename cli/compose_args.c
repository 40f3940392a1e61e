/* cli/compose_args.c - the words of `wctr compose ...` (see cli/compose_cmd.h). */
#include "cli/compose_cmd.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/opts.h"
#include "kube/kube.h"

enum {
  OPT_FILE,
  OPT_PROJECT,
  OPT_HELP,
  OPT_FORMAT,
  OPT_DETACH,
  OPT_VOLUMES,
  OPT_FOLLOW,
  OPT_OUTPUT,
  OPT_NAMESPACE,
  OPT_SERVICE_TYPE,
  OPT_PLAIN_SECRETS,
  OPT_PLUGIN_INPUT,
  OPT_HP_IMAGE,
  OPT_QUIET,
  OPT_TIMEOUT,
  OPT_IGNORE_PULL_FAILURES,
};

static const struct {
  const char *name;
  cli_compose_command_kind kind;
} commands[] = {
    {"up", CLI_COMPOSE_CMD_UP},     {"down", CLI_COMPOSE_CMD_DOWN},     {"ps", CLI_COMPOSE_CMD_PS},
    {"logs", CLI_COMPOSE_CMD_LOGS}, {"config", CLI_COMPOSE_CMD_CONFIG}, {"convert", CLI_COMPOSE_CMD_CONVERT},
    {"logs", CLI_COMPOSE_CMD_LOGS}, {"config", CLI_COMPOSE_CMD_CONFIG}, {"restart", CLI_COMPOSE_CMD_RESTART},
    {"exec", CLI_COMPOSE_CMD_EXEC},  {"pull", CLI_COMPOSE_CMD_PULL},
    {"pause", CLI_COMPOSE_CMD_PAUSE}, {"unpause", CLI_COMPOSE_CMD_UNPAUSE},
};

void cli_compose_args_free(cli_compose_args *args) {
  if (args == NULL) return;
  free(args->files);
  free(args->services);
  memset(args, 0, sizeof *args);
}

wctr_err cli_compose_parse_args(int argc, char **argv, int first, cli_compose_args *out, wctr_errmsg *e) {
  static const wctr_opt global[] = {{"file", 'f', true, OPT_FILE},
                                    {"project-name", 'p', true, OPT_PROJECT},
                                    {"help", 'h', false, OPT_HELP},
                                    {NULL, 0, false, 0}};
  static const wctr_opt config_opts[] = {
      {"format", 0, true, OPT_FORMAT}, {"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  static const wctr_opt plain_opts[] = {{"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  static const wctr_opt up_opts[] = {
      {"detach", 'd', false, OPT_DETACH}, {"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  static const wctr_opt down_opts[] = {
      {"volumes", 'v', false, OPT_VOLUMES}, {"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  static const wctr_opt logs_opts[] = {
      {"follow", 'f', false, OPT_FOLLOW}, {"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  static const wctr_opt convert_opts[] = {{"format", 0, true, OPT_FORMAT},
                                          {"output", 'o', true, OPT_OUTPUT},
                                          {"namespace", 'n', true, OPT_NAMESPACE},
                                          {"service-type", 0, true, OPT_SERVICE_TYPE},
                                          {"plain-text-secrets", 0, false, OPT_PLAIN_SECRETS},
                                          {"allow-plugin-input", 0, false, OPT_PLUGIN_INPUT},
                                          {"host-process-image", 0, true, OPT_HP_IMAGE},
                                          {"help", 'h', false, OPT_HELP},
                                          {NULL, 0, false, 0}};
  static const wctr_opt ps_opts[] = {
      {"quiet", 'q', false, OPT_QUIET}, {"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  static const wctr_opt pull_opts[] = {{"quiet", 'q', false, OPT_QUIET},
                                       {"ignore-pull-failures", 0, false, OPT_IGNORE_PULL_FAILURES},
                                       {"help", 'h', false, OPT_HELP},
                                       {NULL, 0, false, 0}};
  static const wctr_opt restart_opts[] = {
      {"timeout", 't', true, OPT_TIMEOUT}, {"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  memset(out, 0, sizeof *out);
  out->timeout = -1;
  out->files = calloc((size_t)(argc > 0 ? argc : 1), sizeof *out->files);
  out->services = calloc((size_t)(argc > 0 ? argc : 1), sizeof *out->services);
  if (out->files == NULL || out->services == NULL) {
    cli_compose_args_free(out);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, first);
  int id;
  const char *value;
  int r;
  while ((r = wctr_opts_next(&st, global, &id, &value, e)) == 1) {
    if (id == OPT_HELP) {
      out->help = wctr_opts_flag(value);
    } else if (id == OPT_FILE) {
      if (value[0] == '\0') {
        cli_compose_args_free(out);
        return wctr_fail(e, WCTR_EINVAL, "-f/--file needs a file name");
      }
      out->files[out->file_count++] = value;
    } else {
      out->project_name = value;
    }
  }
  if (r < 0) {
    cli_compose_args_free(out);
    return WCTR_EINVAL;
  }
  if (st.index >= argc) {
    if (out->help) return WCTR_OK;
    cli_compose_args_free(out);
    return wctr_fail(e, WCTR_EINVAL,
                     "a compose command is required (up, down, ps, logs, restart, pause, unpause, exec, pull, config, convert)");
  }
  const char *word = argv[st.index];
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, word) == 0) out->command = commands[i].kind;
  }
  if (out->command == CLI_COMPOSE_CMD_NONE) {
    cli_compose_args_free(out);
    return wctr_fail(e, WCTR_EINVAL, "\"%.64s\" is not a compose command (up, down, ps, logs, restart, pause, unpause, exec, pull, config, convert)",
                     word);
  }
  if (out->command == CLI_COMPOSE_CMD_EXEC) {
    /* exec's own flags end at SERVICE, and what follows is the command's: cli_compose_exec reads them. */
    out->rest = argv + st.index + 1;
    out->rest_count = argc - st.index - 1;
    return WCTR_OK;
  }
  wctr_opts_init(&st, argc, argv, st.index + 1);
  const wctr_opt *table = out->command == CLI_COMPOSE_CMD_CONFIG ? config_opts
                          : out->command == CLI_COMPOSE_CMD_UP   ? up_opts
                          : out->command == CLI_COMPOSE_CMD_DOWN ? down_opts
                          : out->command == CLI_COMPOSE_CMD_LOGS ? logs_opts
                          : out->command == CLI_COMPOSE_CMD_CONVERT ? convert_opts
                          : out->command == CLI_COMPOSE_CMD_PS   ? ps_opts
                          : out->command == CLI_COMPOSE_CMD_RESTART ? restart_opts
                          : out->command == CLI_COMPOSE_CMD_PULL ? pull_opts
                                                                 : plain_opts;
  /* The command's options may come before or after its operand (logs SERVICE -f), as docker compose's. */
  for (;;) {
    if (st.bundle == NULL && st.index < argc && strcmp(argv[st.index], "--") == 0) {
      st.index++;
      if (out->command == CLI_COMPOSE_CMD_LOGS && out->service == NULL && st.index < argc) out->service = argv[st.index++];
      break;
    }
    r = wctr_opts_next(&st, table, &id, &value, e);
    if (r < 0) {
      cli_compose_args_free(out);
      return WCTR_EINVAL;
    }
    if (r == 0) {
      if (st.index >= argc) break;
      if (out->command == CLI_COMPOSE_CMD_LOGS && out->service == NULL) {
        out->service = argv[st.index++];
        continue;
      }
      if (out->command == CLI_COMPOSE_CMD_RESTART || out->command == CLI_COMPOSE_CMD_PULL ||
          out->command == CLI_COMPOSE_CMD_PAUSE || out->command == CLI_COMPOSE_CMD_UNPAUSE) {
        /* the SERVICE operands, in order; options may come between them */
        out->services[out->service_count++] = argv[st.index++];
        continue;
      }
      break;
    }
    if (id == OPT_HELP) {
      out->help = wctr_opts_flag(value);
    } else if (id == OPT_DETACH) {
      out->detach = wctr_opts_flag(value);
    } else if (id == OPT_VOLUMES) {
      out->volumes = wctr_opts_flag(value);
    } else if (id == OPT_FOLLOW) {
      out->follow = wctr_opts_flag(value);
    } else if (id == OPT_OUTPUT) {
      out->output = value;
    } else if (id == OPT_NAMESPACE) {
      out->namespace_name = value;
    } else if (id == OPT_SERVICE_TYPE) {
      out->service_type = value;
    } else if (id == OPT_PLAIN_SECRETS) {
      out->plain_text_secrets = wctr_opts_flag(value);
    } else if (id == OPT_PLUGIN_INPUT) {
      out->allow_plugin_input = wctr_opts_flag(value);
    } else if (id == OPT_HP_IMAGE) {
      out->host_process_image = value;
    } else if (id == OPT_QUIET) {
      out->quiet = wctr_opts_flag(value);
    } else if (id == OPT_IGNORE_PULL_FAILURES) {
      out->ignore_pull_failures = wctr_opts_flag(value);
    } else if (id == OPT_TIMEOUT) {
      char *end = NULL;
      long long t = strtoll(value, &end, 10);
      if (value[0] == '\0' || end == NULL || *end != '\0' || t < 0 || t > INT32_MAX) {
        cli_compose_args_free(out);
        return wctr_fail(e, WCTR_EINVAL, "invalid value \"%.64s\" for --timeout: a number of seconds", value);
      }
      out->timeout = t;
    } else if (out->command == CLI_COMPOSE_CMD_CONVERT) {
      if (strcmp(value, "kubernetes") != 0) {
        cli_compose_args_free(out);
        return wctr_fail(e, WCTR_EINVAL, "--format \"%.64s\" is not supported: use kubernetes", value);
      }
      out->kubernetes = true;
    } else if (strcmp(value, "json") == 0) {
      out->json = true;
    } else if (strcmp(value, "yaml") == 0) {
      out->json = false;
    } else {
      cli_compose_args_free(out);
      return wctr_fail(e, WCTR_EINVAL, "--format \"%.64s\" is not supported: use yaml or json", value);
    }
  }
  if (st.index >= argc && out->command == CLI_COMPOSE_CMD_CONVERT && !out->help) {
    kube_service_type t;
    if (!out->kubernetes) {
      cli_compose_args_free(out);
      return wctr_fail(e, WCTR_EINVAL, "convert needs --format kubernetes (the only format it writes)");
    }
    if (out->service_type != NULL && !kube_service_type_parse(out->service_type, &t)) {
      const char *bad = out->service_type;
      cli_compose_args_free(out);
      return wctr_fail(e, WCTR_EINVAL, "--service-type \"%.64s\" is not ClusterIP, NodePort or LoadBalancer", bad);
    }
    if (out->output != NULL && out->output[0] == '\0') {
      cli_compose_args_free(out);
      return wctr_fail(e, WCTR_EINVAL, "-o/--output needs a folder (or - for standard output)");
    }
  }
  if (st.index < argc) {
    const char *arg = argv[st.index];
    bool logs = out->command == CLI_COMPOSE_CMD_LOGS;
    cli_compose_args_free(out);
    return wctr_fail(e, WCTR_EINVAL, "\"compose %s\" takes %s, but \"%.64s\" was given", word,
                     logs ? "at most 1 argument (SERVICE)" : "no arguments", arg);
  }
  return WCTR_OK;
}
