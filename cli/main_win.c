/* cli/main_win.c - wctr.exe: UTF-16 arguments in, the pipe client as the transport. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "common/wstr.h"

enum { CONNECT_TIMEOUT_MS = 5000, CALL_TIMEOUT_MS = 60000 };

struct cli_connection {
  cli_client *client;
};

static wctr_err win_connect(void *ctx, const char *pipe_path, cli_connection **out, wctr_errmsg *e) {
  (void)ctx;
  cli_connection *conn = calloc(1, sizeof *conn);
  if (conn == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = cli_client_open(pipe_path, CONNECT_TIMEOUT_MS, &conn->client, e);
  if (err != WCTR_OK) {
    free(conn);
    return err;
  }
  *out = conn;
  return WCTR_OK;
}

static wctr_err win_call(cli_connection *conn, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e) {
  return cli_client_call(conn->client, op, params, result, CALL_TIMEOUT_MS, e);
}

static void win_disconnect(cli_connection *conn) {
  cli_client_close(conn->client);
  free(conn);
}

int wmain(int argc, wchar_t **wargv) {
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  if (argv == NULL) return CLI_EXIT_FAILED;
  for (int i = 0; i < argc; i++) {
    argv[i] = wctr_wide_to_utf8(wargv[i]);
    if (argv[i] == NULL) {
      fprintf(stderr, "wctr: argument %d is not valid UTF-16\n", i);
      return CLI_EXIT_FAILED;
    }
  }
  wchar_t host[512];
  DWORD n = GetEnvironmentVariableW(L"WCTR_HOST", host, ARRAYSIZE(host));
  char *env_host = n > 0 && n < ARRAYSIZE(host) ? wctr_wide_to_utf8(host) : NULL;
  cli_platform platform = {.out = stdout,
                           .err = stderr,
                           .env_host = env_host,
                           .connect = win_connect,
                           .call = win_call,
                           .disconnect = win_disconnect};
  int rc = cli_main(argc, argv, &platform);
  fflush(stdout);
  free(env_host);
  for (int i = 0; i < argc; i++) free(argv[i]);
  free(argv);
  return rc;
}
