/* service/args.c - wctrd's command line (portable). */
#include "service/args.h"

#include <stdio.h>
#include <string.h>

#include "common/opts.h"

enum { OPT_HELP, OPT_SERVICE_NAME, OPT_DATA_ROOT, OPT_PIPE, OPT_GROUP, OPT_LOG_LEVEL, OPT_TEST_BITLOCKER, OPT_DOCKER_API,
       OPT_TEST_LAYER_IMPORT, OPT_TEST_VOLUME_DACL };

static const struct {
  const char *name;
  svc_command command;
  const char *usage;
} commands[] = {
    {"install", SVC_CMD_INSTALL,
     "Usage: wctrd install [OPTIONS]\n\n"
     "Register wctrd as a Windows service (automatic start, LocalSystem) that runs with these settings.\n\n"
     "Options:\n"
     "      --service-name NAME   service name (default wctrd)\n"
     "      --data-root DIR       state, logs and config (default %ProgramData%\\wctr)\n"
     "      --pipe NAME           pipe to listen on (default \\\\.\\pipe\\wctr_engine)\n"
     "  -G, --group NAME          also give this group read/write on the pipe (repeatable)\n"
     "      --docker-api ADDRESS  also serve the Docker Engine API on npipe:////./pipe/NAME or on a loopback\n"
     "                            tcp://127.0.0.1:PORT (needs the token in <data-root>\\config\\api-token; repeatable)\n"
     "      --log-level LEVEL     error, warn, info (default) or debug\n"},
    {"uninstall", SVC_CMD_UNINSTALL,
     "Usage: wctrd uninstall [--service-name NAME]\n\n"
     "Stop the service if it runs and remove it. The data root is left in place.\n"},
    {"run", SVC_CMD_RUN,
     "Usage: wctrd run [OPTIONS]\n\n"
     "Run wctrd in this console until Ctrl+C. Several can run side by side with different data roots\n"
     "and pipes.\n\n"
     "Options:\n"
     "      --data-root DIR       state, logs and config (default %ProgramData%\\wctr)\n"
     "      --pipe NAME           pipe to listen on (default \\\\.\\pipe\\wctr_engine)\n"
     "  -G, --group NAME          also give this group read/write on the pipe (repeatable)\n"
     "      --docker-api ADDRESS  also serve the Docker Engine API on npipe:////./pipe/NAME or on a loopback\n"
     "                            tcp://127.0.0.1:PORT (needs the token in <data-root>\\config\\api-token; repeatable)\n"
     "      --log-level LEVEL     error, warn, info (default) or debug\n"
     "      --test-bitlocker-state encrypted|not-encrypted|unknown\n"
     "                            for tests only: the BitLocker probe answers this (refused by the service)\n"
     "      --test-layer-import   for tests only: pulled layers are \"imported\" by a test double that writes\n"
     "                            plain folders (refused by the service; docs/images.md)\n"
     "      --test-volume-dacl-unread\n"
     "                            for tests only: a new volume's DACL is applied and not read back (Wine keeps\n"
     "                            no file DACL; refused by the service)\n"},
    {"service", SVC_CMD_SERVICE,
     "Usage: wctrd service [OPTIONS]\n\n"
     "The command line the Service Control Manager starts (see `wctrd install`); not for consoles.\n"
     "Takes the options of `wctrd run` and --service-name.\n"},
    {"version", SVC_CMD_VERSION, "Usage: wctrd version\n\nPrint the version.\n"},
    {"help", SVC_CMD_HELP, NULL},
};

static const char overview[] =
    "Usage: wctrd COMMAND [OPTIONS]\n\n"
    "The wctr container engine service.\n\n"
    "Commands:\n"
    "  install     Register wctrd as a Windows service\n"
    "  uninstall   Stop and remove the service\n"
    "  run         Run in this console (Ctrl+C stops)\n"
    "  service     Entry point used by the Service Control Manager\n"
    "  version     Print the version\n\n"
    "Run 'wctrd COMMAND --help' for more information on a command.\n";

const char *svc_usage(svc_command command) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (commands[i].command == command && commands[i].usage != NULL) return commands[i].usage;
  }
  return overview;
}

static wctr_err set_service_name(svc_args *out, const char *value, wctr_errmsg *e) {
  size_t n = strlen(value);
  if (n == 0 || n > SVC_SERVICE_NAME_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "--service-name must be 1 to %d characters", SVC_SERVICE_NAME_MAX);
  }
  for (size_t i = 0; i < n; i++) {
    char c = value[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) {
      return wctr_fail(e, WCTR_EINVAL, "--service-name \"%s\": use letters, digits, '-', '_' and '.' only",
                       value);
    }
  }
  memcpy(out->service_name, value, n + 1);
  return WCTR_OK;
}

wctr_err svc_args_parse(int argc, char **argv, svc_args *out, wctr_errmsg *e) {
  static const wctr_opt table[] = {
      {"help", 'h', false, OPT_HELP},
      {"service-name", 0, true, OPT_SERVICE_NAME},
      {"data-root", 0, true, OPT_DATA_ROOT},
      {"pipe", 0, true, OPT_PIPE},
      {"group", 'G', true, OPT_GROUP},
      {"log-level", 0, true, OPT_LOG_LEVEL},
      {"test-bitlocker-state", 0, true, OPT_TEST_BITLOCKER},
      {"docker-api", 0, true, OPT_DOCKER_API},
      {"test-layer-import", 0, false, OPT_TEST_LAYER_IMPORT},
      {"test-volume-dacl-unread", 0, false, OPT_TEST_VOLUME_DACL},
      {NULL, 0, false, 0},
  };
  memset(out, 0, sizeof *out);
  svc_config_init(&out->flags);
  snprintf(out->service_name, sizeof out->service_name, "%s", SVC_DEFAULT_SERVICE_NAME);
  out->command = SVC_CMD_HELP;
  out->help_for = SVC_CMD_HELP;
  if (argc < 2) return WCTR_OK;
  const char *word = argv[1];
  if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0) return WCTR_OK;
  if (strcmp(word, "--version") == 0) {
    out->command = SVC_CMD_VERSION;
    return WCTR_OK;
  }
  bool known = false;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0] && !known; i++) {
    if (strcmp(commands[i].name, word) == 0) {
      out->command = commands[i].command;
      known = true;
    }
  }
  if (!known) return wctr_fail(e, WCTR_EINVAL, "unknown command \"%s\"", word);
  svc_command cmd = out->command;
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 2);
  int id;
  const char *value;
  int r;
  while ((r = wctr_opts_next(&st, table, &id, &value, e)) == 1) {
    wctr_err err = WCTR_OK;
    bool takes_settings = cmd == SVC_CMD_INSTALL || cmd == SVC_CMD_RUN || cmd == SVC_CMD_SERVICE;
    switch (id) {
      case OPT_HELP:
        if (!wctr_opts_flag(value)) break;
        out->help_for = cmd;
        out->command = SVC_CMD_HELP;
        return WCTR_OK;
      case OPT_SERVICE_NAME:
        if (cmd != SVC_CMD_INSTALL && cmd != SVC_CMD_UNINSTALL && cmd != SVC_CMD_SERVICE) goto not_here;
        err = set_service_name(out, value, e);
        break;
      case OPT_DATA_ROOT:
        if (!takes_settings) goto not_here;
        if (value[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "--data-root cannot be empty");
        out->data_root = value;
        break;
      case OPT_PIPE:
        if (!takes_settings) goto not_here;
        err = svc_config_set_pipe(&out->flags, value, "--pipe", e);
        break;
      case OPT_GROUP:
        if (!takes_settings) goto not_here;
        err = svc_config_add_group(&out->flags, value, "--group", e);
        break;
      case OPT_LOG_LEVEL:
        if (!takes_settings) goto not_here;
        err = svc_config_set_log_level(&out->flags, value, "--log-level", e);
        break;
      case OPT_DOCKER_API:
        if (!takes_settings) goto not_here;
        err = svc_config_add_docker_api(&out->flags, value, "--docker-api", e);
        break;
      case OPT_TEST_BITLOCKER:
        /* Console only: the installed service never takes it (install and service refuse it), so it
         * cannot weaken a production host's BitLocker gate. */
        if (cmd != SVC_CMD_RUN) goto not_here;
        if (strcmp(value, "encrypted") != 0 && strcmp(value, "not-encrypted") != 0 && strcmp(value, "unknown") != 0) {
          return wctr_fail(e, WCTR_EINVAL, "--test-bitlocker-state must be encrypted, not-encrypted or unknown");
        }
        out->test_bitlocker_state = value;
        break;
      case OPT_TEST_LAYER_IMPORT:
        /* Console only, as above: the service always has the production importer. */
        if (cmd != SVC_CMD_RUN) goto not_here;
        out->test_layer_import = wctr_opts_flag(value);
        break;
      case OPT_TEST_VOLUME_DACL:
        /* Console only, as above: the service always reads a volume's DACL back. */
        if (cmd != SVC_CMD_RUN) goto not_here;
        out->test_volume_dacl_unread = wctr_opts_flag(value);
        break;
    }
    if (err != WCTR_OK) return err;
    continue;
  not_here:
    for (const wctr_opt *o = table; o->long_name != NULL; o++) {
      if (o->id == id) return wctr_fail(e, WCTR_EINVAL, "wctrd %s does not take --%s", word, o->long_name);
    }
    return wctr_fail(e, WCTR_EINVAL, "wctrd %s does not take that flag", word);
  }
  if (r < 0) return WCTR_EINVAL;
  if (st.index < argc) {
    return wctr_fail(e, WCTR_EINVAL, "wctrd %s takes no arguments, but \"%s\" was given", word,
                     argv[st.index]);
  }
  return WCTR_OK;
}

void svc_args_free(svc_args *args) {
  if (args == NULL) return;
  svc_config_free(&args->flags);
}
