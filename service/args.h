/* service/args.h - wctrd's command line (portable).
 *
 *   wctrd install   [--service-name NAME] [--data-root DIR] [--pipe NAME] [--group NAME]... [--log-level L]
 *                   [--docker-api ADDRESS]...
 *   wctrd uninstall [--service-name NAME]
 *   wctrd run       [--data-root DIR] [--pipe NAME] [--group NAME]... [--log-level L] [--docker-api ADDRESS]...
 *                   [--test-bitlocker-state encrypted|not-encrypted|unknown]   (tests only; run only)
 *                   [--test-layer-import]                                      (tests only; run only)
 *                   [--test-volume-dacl-unread]                                (tests only; run only)
 *   wctrd service   (as run, plus --service-name; the command line the SCM starts)
 *   wctrd version | help, and --help on every command */
#ifndef WCTR_SERVICE_ARGS_H
#define WCTR_SERVICE_ARGS_H

#include <stdbool.h>

#include "common/error.h"
#include "service/config.h"

#define SVC_DEFAULT_SERVICE_NAME "wctrd"
#define SVC_SERVICE_NAME_MAX 80

typedef enum svc_command {
  SVC_CMD_HELP = 0,
  SVC_CMD_VERSION,
  SVC_CMD_INSTALL,
  SVC_CMD_UNINSTALL,
  SVC_CMD_RUN,
  SVC_CMD_SERVICE
} svc_command;

typedef struct svc_args {
  svc_command command;
  svc_command help_for;            /* with SVC_CMD_HELP: the command whose help was asked for */
  char service_name[SVC_SERVICE_NAME_MAX + 1];
  const char *data_root;           /* NULL: the default; points into argv */
  svc_config flags;                /* settings given as flags (pipe, groups, log level, Engine API listeners) */
  const char *test_bitlocker_state; /* wctrd run only; NULL otherwise (see service/engine.h) */
  bool test_layer_import;           /* wctrd run only (see service/engine.h) */
  bool test_volume_dacl_unread;     /* wctrd run only (see service/engine.h) */
} svc_args;

/* argv[0] is the program. On failure e names the flag or command; the caller prints usage. Call
 * svc_args_free whatever the result. */
wctr_err svc_args_parse(int argc, char **argv, svc_args *out, wctr_errmsg *e);
void svc_args_free(svc_args *args);

/* Usage text of a command (SVC_CMD_HELP for the overview). */
const char *svc_usage(svc_command command);

#endif
