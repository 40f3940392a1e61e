/* service/server.h - wctrd's named-pipe server (Windows only), on the I/O core (common/ioc.h).
 *
 * Message-mode pipe, overlapped I/O on the core's completion port, served by the core's workers: no thread
 * per connection or per stream. Each connection carries one request at a time: a message is read, handed
 * with the caller's identity to the protocol front-end (service/pipe_api.h), and its answer queued to the
 * connection's writer (message mode); for a call the next request is read once the answer is queued (and,
 * when it is large, once the client has taken it down to SVC_SINK_QUEUE_MAX). A request larger than
 * WCTR_PROTO_MAX_REQUEST is read to its end and thrown away, and the client gets a too_large error on the
 * same, still usable, connection.
 *
 * Streams (a request naming a start operation): the connection keeps a read posted for as long as the
 * stream runs, so a client that leaves is noticed at once (the operation gets on_close) and its stdin frames
 * arrive; what the operation produces is queued to the writer, bounded by SVC_SINK_QUEUE_MAX bytes the
 * client has not taken (past it the stream is dropped: service/pipe_api.h). After the final response the
 * connection closes once it is flushed and the client hung up, or SVC_SERVER_LINGER_MS later.
 *
 * Nobody holds a connection for nothing:
 *   - a connection that has sent nothing SVC_SERVER_FIRST_REQUEST_MS after it connected is closed: a client
 *     that opens the pipe sends its request at once;
 *   - one with no request in flight and no stream for SVC_SERVER_IDLE_MS is closed (wctr opens a connection
 *     per command; a program that keeps one open for a series of calls has two minutes between them);
 *   - at max_connections, a new client is admitted by closing the connection idle the longest (no request
 *     in flight, no stream), so the idle connections of one caller can never lock others out. Only when
 *     every connection has a request or a stream in flight do new clients wait (ERROR_PIPE_BUSY).
 * A closed idle connection costs its client nothing but a reconnect; a request is never cut by a timeout.
 *
 * Security: the pipe is created with the descriptor given (acl_pipe_sddl) on its first instance
 * (FILE_FLAG_FIRST_PIPE_INSTANCE, so a second wctrd - or a squatter - on the same name fails loudly),
 * remote clients are rejected, and every caller is identified by impersonating it once per connection
 * (SID, account name, process id), at its first message; a caller that cannot be identified gets
 * access_denied and is disconnected. */
#ifndef WCTR_SERVICE_SERVER_H
#define WCTR_SERVICE_SERVER_H

#include <stddef.h>

#include "common/error.h"
#include "common/ioc.h"
#include "service/pipe_api.h"

#define SVC_SERVER_FIRST_REQUEST_MS 10000u
#define SVC_SERVER_IDLE_MS 120000u
#define SVC_SERVER_LINGER_MS 5000u
#define SVC_SERVER_MAX_CONNECTIONS 256u

typedef struct svc_server svc_server;

typedef struct svc_server_options {
  const char *pipe_path;      /* \\.\pipe\NAME, UTF-8 */
  const char *sddl;           /* the pipe's security descriptor */
  wctr_ioc *ioc;              /* runs the pipe's I/O and timers; outlives the server */
  svc_pipe_api api;           /* where requests go (api.ioc is normally ioc) */
  unsigned max_connections;   /* connected clients at once; 0: SVC_SERVER_MAX_CONNECTIONS */
  /* 0: the defaults above; tests give short ones. */
  unsigned first_request_timeout_ms;
  unsigned idle_timeout_ms;
  unsigned linger_ms;
} svc_server_options;

/* Creates the first pipe instance and starts listening. On failure nothing is left behind. */
wctr_err svc_server_start(const svc_server_options *opt, svc_server **out, wctr_errmsg *e);

/* The pipe's DACL as Windows stored it, as SDDL. */
wctr_err svc_server_pipe_sddl(svc_server *s, char *buf, size_t size, wctr_errmsg *e);

/* Stops accepting and closes every connection: running operations get on_close (and finish on their own
 * time: svc_ops_free waits for them), requests still being handled on a worker are waited for, at most
 * timeout_ms. Call before the core stops. Accepts NULL. */
void svc_server_stop(svc_server *s, unsigned timeout_ms);

#endif
