/* service/http_server.h - the Docker Engine API's listeners (Windows only), on the I/O core (common/ioc.h):
 * named pipes in byte mode and loopback TCP sockets, each connection an HTTP session (service/http.h) whose
 * requests go to a handler (service/engine_api.h). No thread per connection: reads are overlapped I/O on the
 * core's completion port (ReadFile on the pipe or the socket), writes go through the core's writer, TCP
 * connections are accepted when the listener's FD_ACCEPT event fires (a handle wait on the core), named pipes
 * with ConnectNamedPipe.
 *
 * Named pipes get the descriptor given (wctr's pipe's: acl_pipe_sddl) on their first instance
 * (FILE_FLAG_FIRST_PIPE_INSTANCE: a second wctrd or a squatter on the same name fails loudly), refuse remote
 * clients, and identify each caller by impersonation at its first bytes (service/pipe_identity.h); a caller
 * that cannot be identified is disconnected. TCP listeners bind the loopback address given (the address
 * rules are service/api_listen.h's); their caller is "token holder on tcp://HOST:PORT", and the handler
 * requires the token. Sockets and pipe handles are not inheritable: a container never holds a client's
 * connection open.
 *
 * Nobody holds a connection for nothing (the session's phases, service/http.h):
 *   - nothing received SVC_HTTP_FIRST_REQUEST_MS after connecting: closed;
 *   - a request not received whole SVC_HTTP_REQUEST_MS after its first byte: closed (a slow-loris client
 *     costs one connection for that long, never a thread); for a body the handler streams (service/http.h),
 *     SVC_HTTP_REQUEST_MS without a byte of it while the session waits for the client: closed (the time an
 *     operation takes to consume it is not counted: the session is busy then);
 *   - idle between requests (keep-alive) for SVC_HTTP_IDLE_MS: closed;
 *   - a request being answered, a stream, a hijacked attach: never timed out;
 *   - after the session asked to close, what is queued is flushed, the sending side shut down, and the
 *     connection closed when the client hangs up or SVC_HTTP_LINGER_MS later (so a refusal such as 431 reaches
 *     a client that is still sending);
 *   - at max_connections a new client is admitted by closing the connection idle (or silent) the longest;
 *     when every connection is busy, the new one is closed at once.
 * A request is never cut by a timeout; a connection closed while idle costs its client a reconnect. */
#ifndef WCTR_SERVICE_HTTP_SERVER_H
#define WCTR_SERVICE_HTTP_SERVER_H

#include <stddef.h>

#include "common/error.h"
#include "common/ioc.h"
#include "service/api_listen.h"
#include "service/http.h"

#define SVC_HTTP_FIRST_REQUEST_MS 10000u
#define SVC_HTTP_REQUEST_MS 30000u
#define SVC_HTTP_IDLE_MS 120000u
#define SVC_HTTP_LINGER_MS 2000u
#define SVC_HTTP_MAX_CONNECTIONS 512u

typedef struct svc_http_server svc_http_server;

typedef struct svc_http_server_options {
  const svc_api_address *addresses; /* count listeners */
  size_t count;
  const char *sddl;                 /* the named pipes' security descriptor */
  wctr_ioc *ioc;                    /* runs the I/O and timers; outlives the server */
  svc_http_handler pipe_handler;    /* sessions on a named pipe */
  svc_http_handler tcp_handler;     /* sessions on TCP */
  unsigned max_connections;         /* 0: SVC_HTTP_MAX_CONNECTIONS */
  /* 0: the defaults above; tests give short ones. */
  unsigned first_request_timeout_ms;
  unsigned request_timeout_ms;
  unsigned idle_timeout_ms;
  unsigned linger_ms;
} svc_http_server_options;

/* Opens every listener; on failure nothing is left behind and e names the address (a port in use, a pipe
 * name in use). */
wctr_err svc_http_server_start(const svc_http_server_options *opt, svc_http_server **out, wctr_errmsg *e);

/* Stops accepting and closes every connection (running operations get on_close through their sessions),
 * waiting at most timeout_ms for the I/O in flight. Call before the core stops. Accepts NULL. */
void svc_http_server_stop(svc_http_server *s, unsigned timeout_ms);

/* Test seam: when set, called at each FD_ACCEPT wake-up of a TCP listener; true consumes the wake-up without
 * accepting (what a lost FD_ACCEPT, or an accept round that ended early, leaves: clients in the backlog and no
 * signal). The server's sweep polls the listeners, so they are accepted within a sweep. NULL in production. */
extern bool (*svc_http_accept_skip_hook)(void);

#endif
