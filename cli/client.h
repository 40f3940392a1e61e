/* cli/client.h - a pipe client for wctrd (Windows only): used by wctr.exe and by the tests that
 * speak to the pipe directly, including with deliberately broken messages.
 *
 * The client opens the pipe with SECURITY_IDENTIFICATION: wctrd can learn who is calling but cannot
 * act as the caller. Waits are bounded by the timeouts given (INFINITE allowed). */
#ifndef WCTR_CLI_CLIENT_H
#define WCTR_CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"

typedef struct cli_client cli_client;

/* ENOENT: no such pipe; EACCES: the pipe's DACL refuses us; EBUSY: every instance stayed busy. */
wctr_err cli_client_open(const char *pipe_path, unsigned timeout_ms, cli_client **out, wctr_errmsg *e);
void cli_client_close(cli_client *c);

/* The largest message recv accepts (WCTR_PROTO_MAX_RESPONSE unless set smaller). A larger one fails
 * with WCTR_ETOOBIG and leaves the connection unusable. */
void cli_client_set_max_message(cli_client *c, size_t bytes);

/* Raw messages. recv returns a malloc'ed buffer (free with free()) holding one whole message. */
wctr_err cli_client_send(cli_client *c, const char *buf, size_t len, unsigned timeout_ms, wctr_errmsg *e);
wctr_err cli_client_recv(cli_client *c, char **buf, size_t *len, unsigned timeout_ms, wctr_errmsg *e);

/* One request, one response, with the next request id. params is taken (may be NULL). wctrd closes a
 * connection that stays idle (service/server.h); a request that finds the connection closed when it is
 * sent was not delivered, and is sent again once on a new connection (call and stream, not raw send). */
wctr_err cli_client_call(cli_client *c, const char *op, cJSON *params, cJSON **result, unsigned timeout_ms,
                         wctr_errmsg *e);

/* A stream operation: frames ({"stream":KIND,"data":...}) go to on_frame (may be NULL) until the final
 * response, parsed as by cli_client_call. An output frame that carries bytes as {"data64": base64} comes
 * to on_frame with data = {"data64": "<base64>"} (cli/cli.h). Waits as long as the operation lasts. With
 * forward_stdin, this process's stdin is sent alongside as stdin frames ("data" for text, "data64" for
 * any other bytes: nothing is cut), then {"stream":"stdin","eof":true}. */
/* The keys that detach every later stream that forwards stdin (cli.h detach_keys); len 0: none. */
void cli_client_set_detach_keys(const unsigned char *keys, size_t len);
wctr_err cli_client_stream(cli_client *c, const char *op, cJSON *params, bool forward_stdin,
                           void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg,
                           cJSON **result, wctr_errmsg *e);

#endif
