/* service/main_win.c - wctrd.exe: the same executable runs as a service (`wctrd service`, started by
 * the SCM) or in a console (`wctrd run`). */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/wstr.h"
#include "service/args.h"
#include "service/engine.h"
#include "service/scm.h"

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

static HANDLE console_stop;

/* Ctrl+C, Ctrl+Break, closing the console, logoff or shutdown: stop cleanly. The handler runs on its
 * own thread; returning TRUE keeps the default handler from killing the process mid-stop. */
static BOOL WINAPI console_handler(DWORD type) {
  switch (type) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      SetEvent(console_stop);
      return TRUE;
  }
  return FALSE;
}

static int run_console(svc_args *args) {
  svc_engine *eng = NULL;
  wctr_errmsg e;
  console_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (console_stop == NULL || !SetConsoleCtrlHandler(console_handler, TRUE)) {
    fprintf(stderr, "wctrd: cannot install the Ctrl+C handler (error %lu)\n", (unsigned long)GetLastError());
    return EXIT_FAILED;
  }
  svc_engine_options opt = {.data_root = args->data_root, .flags = &args->flags, .log_to_stderr = true,
                            .test_bitlocker_state = args->test_bitlocker_state,
                            .test_layer_import = args->test_layer_import,
                            .test_volume_dacl_unread = args->test_volume_dacl_unread};
  if (svc_engine_start(&opt, &eng, &e) != WCTR_OK) {
    fprintf(stderr, "wctrd: %s\n", e.text);
    return EXIT_FAILED;
  }
  WaitForSingleObject(console_stop, INFINITE);
  wctr_log(WCTR_LOG_INFO, "stopping (console control event)");
  svc_engine_stop(eng);
  return 0;
}

static int run(int argc, char **argv) {
  svc_args args;
  wctr_errmsg e;
  int rc = 0;
  if (svc_args_parse(argc, argv, &args, &e) != WCTR_OK) {
    fprintf(stderr, "wctrd: %s\nSee 'wctrd --help'.\n", e.text);
    svc_args_free(&args);
    return EXIT_USAGE;
  }
  switch (args.command) {
    case SVC_CMD_HELP:
      fputs(svc_usage(args.help_for), stdout);
      break;
    case SVC_CMD_VERSION:
      printf("wctrd version %s\n", WCTR_VERSION);
      break;
    case SVC_CMD_INSTALL:
      if (svc_scm_install(&args, &e) != WCTR_OK) {
        fprintf(stderr, "wctrd: %s\n", e.text);
        rc = EXIT_FAILED;
      } else {
        printf("installed service %s; start it with `net start %s`\n", args.service_name, args.service_name);
      }
      break;
    case SVC_CMD_UNINSTALL:
      if (svc_scm_uninstall(&args, &e) != WCTR_OK) {
        fprintf(stderr, "wctrd: %s\n", e.text);
        rc = EXIT_FAILED;
      } else {
        printf("removed service %s (the data root is left in place)\n", args.service_name);
      }
      break;
    case SVC_CMD_RUN:
      rc = run_console(&args);
      break;
    case SVC_CMD_SERVICE:
      if (svc_scm_run(&args, &e) != WCTR_OK) {
        fprintf(stderr, "wctrd: %s\n", e.text);
        rc = EXIT_FAILED;
      }
      break;
  }
  svc_args_free(&args);
  return rc;
}

int wmain(int argc, wchar_t **wargv) {
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  if (argv == NULL) return EXIT_FAILED;
  for (int i = 0; i < argc; i++) {
    argv[i] = wctr_wide_to_utf8(wargv[i]);
    if (argv[i] == NULL) {
      fprintf(stderr, "wctrd: argument %d is not valid UTF-16\n", i);
      return EXIT_USAGE;
    }
  }
  int rc = run(argc, argv);
  for (int i = 0; i < argc; i++) free(argv[i]);
  free(argv);
  return rc;
}
