/* service/server.h - wctrd's named-pipe server (Windows only).
 *
 * Message-mode pipe, overlapped I/O on one completion port, a few worker threads, many clients at
 * once. Each connection carries one request at a time: read one message, hand it with the caller's
 * identity to the handler, write the response, read the next. A request larger than
 * WCTR_PROTO_MAX_REQUEST is read to its end and thrown away, and the client gets a too_large error
 * on the same, still usable, connection.
 *
 * Security: the pipe is created with the descriptor given (acl_pipe_sddl) on its first instance
 * (FILE_FLAG_FIRST_PIPE_INSTANCE, so a second wctrd - or a squatter - on the same name fails loudly),
 * remote clients are rejected, and every caller is identified by impersonating it once per connection
 * (SID, account name, process id); a caller that cannot be identified gets access_denied and is
 * disconnected.
 *
 * Handlers run on the worker threads and must return promptly; operations that stream or wait for
 * long (container attach, logs -f, wait) come back as a svc_reply.stream_fn and get a thread of their
 * own, which does its I/O on the connection with its own OVERLAPPEDs and events. */
#ifndef WCTR_SERVICE_SERVER_H
#define WCTR_SERVICE_SERVER_H

#include <stddef.h>

#include "common/error.h"
#include "service/dispatch.h"

typedef struct svc_server svc_server;

/* Fills *reply: a response (freed by the server with cJSON_free), or a stream operation that the server
 * runs on a new thread with this connection (see svc_stream in service/dispatch.h); the connection is
 * closed when the operation returns. */
typedef void (*svc_server_handler)(void *ctx, const svc_caller *caller, const char *msg, size_t len,
                                   svc_reply *reply);

typedef struct svc_server_options {
  const char *pipe_path;      /* \\.\pipe\NAME, UTF-8 */
  const char *sddl;           /* the pipe's security descriptor */
  svc_server_handler handler;
  void *ctx;
  unsigned workers;           /* worker threads; 0 means 4 */
  unsigned max_connections;   /* connected clients at once; 0 means 256 */
} svc_server_options;

/* Creates the first pipe instance and starts the workers. On failure nothing is left behind. */
wctr_err svc_server_start(const svc_server_options *opt, svc_server **out, wctr_errmsg *e);

/* The pipe's DACL as Windows stored it, as SDDL. */
wctr_err svc_server_pipe_sddl(svc_server *s, char *buf, size_t size, wctr_errmsg *e);

/* Stops accepting, cancels every pending I/O, disconnects every client, joins the workers. Waits at
 * most timeout_ms for handlers that are still running. Accepts NULL. */
void svc_server_stop(svc_server *s, unsigned timeout_ms);

#endif
