/* cli/cli.h - the wctr command line, independent of how it reaches wctrd (portable).
 *
 * cli_main parses global options (-H/--host, WCTR_HOST), runs one command and returns the process exit
 * code, docker/cli's way (docs/cli.md): 0 on success; 1 when a command fails (wctrd's error or wctrd
 * unreachable, a wrong number of arguments, a --format template that fails); 64 when the template of
 * inspect, info, version or events does not parse; CLI_EXIT_FAILED (125) for a flag error and for any failure
 * of run and create; 126/127 when a container's command cannot be run or found; the container's own code for
 * run and start -a. With no arguments it prints its usage on out and returns 0. Commands read their flags
 * anywhere among their arguments (run and create stop at IMAGE), and a repeated single-value flag keeps its
 * last value. The platform (cli/main_win.c, or a test) supplies the connection and the output streams. */
#ifndef WCTR_CLI_CLI_H
#define WCTR_CLI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define CLI_EXIT_FAILED 125

typedef struct cli_connection cli_connection;

typedef struct cli_platform {
  FILE *out;
  FILE *err;
  const char *env_host; /* WCTR_HOST, or NULL */
  void *ctx;
  /* Opens a connection to the pipe; on failure e says why (ENOENT: no such pipe, EACCES, EBUSY...). */
  wctr_err (*connect)(void *ctx, const char *pipe_path, cli_connection **out, wctr_errmsg *e);
  /* One request, one response: *result owned by the caller. params is taken (may be NULL). An error
   * response returns its code with wctrd's message in e. */
  wctr_err (*call)(cli_connection *conn, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e);
  void (*disconnect)(cli_connection *conn);
  /* A long-running operation (run attached, logs, wait): each frame goes to on_frame (kind "stdout",
   * "stderr", ...) until the final response, returned as by call. data is the frame's "data"; an output
   * chunk that is not text (docs/protocol.md: "data64") comes as data = {"data64": "<base64>"}. The
   * connection cannot be used again afterwards (wctrd closes it); cli_main disconnects it. forward_stdin:
   * `run -i`, this process's stdin goes to the container while the operation lasts. */
  wctr_err (*stream)(cli_connection *conn, const char *op, cJSON *params, bool forward_stdin,
                     void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg, cJSON **result,
                     wctr_errmsg *e);
  /* The client's environment (for `-e NAME` without a value) and files (for --env-file); NULL when absent. */
  const char *(*getenv)(void *ctx, const char *name);
  /* The whole file, malloc'ed (free with free()), NUL-terminated; NULL with e filled when unreadable. */
  char *(*read_file)(void *ctx, const char *path, size_t *len, wctr_errmsg *e);
  /* The time now as an ISO 8601 UTC string (for "Up 5 seconds" in ps); tests fix it. */
  void (*now)(void *ctx, char *buf, size_t size);
  /* The current directory, absolute (compose files are found relative to it). */
  void (*cwd)(void *ctx, char *buf, size_t size);
  /* True once the user asked to interrupt (Ctrl+C) since the first call; NULL when the platform cannot
   * tell. Only `compose up` asks, while it shows the containers' output, and then stops them; commands that
   * never ask keep the platform's default (Ctrl+C ends wctr). */
  bool (*interrupted)(void *ctx);
  /* Optional: the keys that detach the next stream with forward_stdin (len 0: none). When they arrive on stdin
   * in order, nothing from them on is sent, the stream ends with WCTR_ECANCELED and its connection closes
   * (wctrd sees the client leave; the container runs on). NULL: the platform cannot detach. */
  void (*detach_keys)(void *ctx, const unsigned char *keys, size_t len);
  /* Optional: writes a container's output to f byte for byte (no end-of-line translation) and flushes;
   * NULL: fwrite and fflush. */
  void (*write_bytes)(void *ctx, FILE *f, const char *data, size_t len);
  /* Images (cli/images.c); each optional. */
  /* Is f a console (pull redraws its progress lines there; plain lines otherwise)? NULL: never. */
  bool (*is_terminal)(void *ctx, FILE *f);
  /* Opens path for writing, binary (save -o); NULL: fopen(path, "wb"). */
  FILE *(*open_output)(void *ctx, const char *path);
  /* Makes path what a stream with forward_stdin sends (load -i FILE). */
  wctr_err (*set_stdin)(void *ctx, const char *path, wctr_errmsg *e);
  /* Registry credentials of the user running wctr (login/logout/pull; docs/images.md): stored encrypted for
   * this user only; load gives WCTR_ENOENT when there are none. Strings malloc'ed; the caller zeroes and
   * frees them. */
  wctr_err (*credentials_store)(void *ctx, const char *server, const char *user, const char *password, wctr_errmsg *e);
  wctr_err (*credentials_load)(void *ctx, const char *server, char **user, char **password, wctr_errmsg *e);
  wctr_err (*credentials_erase)(void *ctx, const char *server, wctr_errmsg *e);
  /* Reads a line from the console without echo (login's password prompt); NULL when there is no console. */
  char *(*read_secret)(void *ctx, const char *prompt);
  /* Optional: writes len bytes as the file NAME in folder dir (creating dir when it does not exist, one
   * level), replacing a file of that name atomically (`compose convert -o DIR`); NULL: files cannot be
   * written here. */
  wctr_err (*write_file)(void *ctx, const char *dir, const char *name, const char *data, size_t len, wctr_errmsg *e);
} cli_platform;

int cli_main(int argc, char **argv, const cli_platform *platform);

#endif
