/* service/http.h - HTTP/1.1 on one byte connection (portable), parsed by http-parser (Debian's source
 * package, built by scripts/bootstrap; natively libhttp-parser-dev). The transport is an abstract connection
 * (svc_http_conn): the Engine API's server (service/http_server_win.c) gives a named pipe in byte mode or a
 * loopback TCP socket, tests give a fake one. What the requests mean is a handler's (service/engine_api.h).
 *
 * A session is one connection. The transport feeds what it reads (svc_http_session_feed), tells the end of
 * the client's stream (svc_http_session_eof: a TCP half-close) and the end of the connection
 * (svc_http_session_gone). The session parses requests one at a time, in order (pipelined requests wait
 * in its buffer), and hands each to the handler as an exchange (svc_http_exchange), which the handler
 * answers exactly once:
 *   svc_http_respond    a whole response (status, headers, body with Content-Length);
 *   svc_http_begin      a streamed response (Transfer-Encoding: chunked), then svc_http_write for each chunk
 *                       and svc_http_finish for the end;
 *   svc_http_hijack     the connection becomes a raw byte stream both ways (Docker's attach): "101
 *                       UPGRADED" when the client asked for an upgrade, else "200 OK" without a length;
 *                       svc_http_write sends bytes as they are, what the client sends reaches on_input, and
 *                       svc_http_finish closes the connection once what is queued is flushed.
 * After a response the connection serves the next request (keep-alive), unless the client asked to close
 * (Connection: close, HTTP/1.0 without keep-alive), the request asked for an upgrade that was not granted,
 * the exchange was hijacked or aborted, or it was answered before its streamed body ended: then it closes
 * once flushed.
 *
 * Bodies are read whole before on_request (bounded by SVC_HTTP_MAX_BODY), except for the requests a handler
 * asks to stream (its stream_body, asked once the headers are in; never for an upgrade, nor for a request
 * without a body): on_request then comes at once with the headers (request.body_streamed, no body), and the
 * body flows to the exchange's on_input as it arrives, Content-Length or chunked (chunk extensions and
 * trailers are read and dropped), eof true once at its end. Back-pressure: on_input asking to stop (true)
 * stops the reading of the connection until svc_http_resume_input, so what the session holds for the
 * handler is at most what one read brought; input is delivered only after on_request returned, one item at
 * a time, in order. The body's bound is the handler's (none, or a total: 413 by Content-Length before a
 * byte is read, or once chunks go past it). A streamed body that turns out malformed (bad chunking) or too
 * large is refused by the session: 400/413 as for a whole body when the handler has not begun its answer
 * (the handler's answer then sends nothing), the connection closed at once otherwise; either way on_refused
 * is told and the handler gets on_close (it answers as for a client that left).
 *
 * Bounds, so that no client costs the service more than its own connection:
 *   - the request line and headers at most 80 KiB (http-parser's HTTP_MAX_HEADER_SIZE): 431 and close;
 *   - a body read whole at most SVC_HTTP_MAX_BODY (by Content-Length before it is read, or as chunks
 *     arrive): 413; a streamed body at most the handler's bound (above);
 *   - anything http-parser refuses: 400 and close;
 *   - input the session has not parsed yet (pipelined requests) at most SVC_HTTP_MAX_BUFFERED bytes:
 *     beyond that feed returns false and the transport stops reading until conn->resume;
 *   - a stream holds at most SVC_SINK_QUEUE_MAX bytes the client has not taken (svc_http_write answers
 *     WCTR_ETOOBIG and queues nothing; the handler then drops the stream).
 * These refusals go to the handler's on_refused (for the audit trail) and are answered by the session.
 * Timeouts are the transport's: it asks svc_http_session_phase how long the session has been idle, reading
 * a request or busy, and calls gone when one has lasted too long. While a streamed body is due, the session
 * is READING whenever it waits for the client (since its last byte of the body arrived, or since reading
 * resumed), BUSY while the handler holds the reading: a client that stops sending mid-body is timed out as a
 * request that does not arrive, a slow operation is not the client's fault.
 *
 * Threads and lifetimes. feed, eof and gone are called by the transport one at a time (its reads are
 * sequential). The exchange functions may be called from any thread. on_request runs on the thread that fed
 * the request's last byte or on an I/O core worker (the next pipelined request, parsed once the previous one
 * ended), never inside an exchange function. A handler's on_input, on_close may run on any thread,
 * concurrently with each other and with the handler's own calls (a handler serialises them itself); on_input
 * comes in order. on_release comes exactly once, after the answer ended (respond, or finish) and after every
 * callback returned. stream_body is called where the request's headers are parsed (the thread that fed them, or
 * an I/O core worker for a pipelined request), under the session's lock: it must not call into the session. The session calls conn->release exactly once, after gone and after every exchange was
 * released; it never touches conn after that. */
#ifndef WCTR_SERVICE_HTTP_H
#define WCTR_SERVICE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/ioc.h"
#include "service/ops.h"

#define SVC_HTTP_MAX_BODY (4u * 1024u * 1024u)
#define SVC_HTTP_MAX_BUFFERED (1024u * 1024u)
#define SVC_HTTP_MAX_HEADERS 128u

/* --- the transport ------------------------------------------------------------------------------------- */

typedef struct svc_http_conn svc_http_conn;
typedef struct svc_http_conn_methods {
  int version; /* 1 */
  /* Queues len bytes (data is malloc'ed and taken, also on failure). WCTR_EPIPE once the connection is
   * closed or broken. Never blocks. */
  wctr_err (*send)(svc_http_conn *c, char *data, size_t len);
  /* Bytes queued and not yet taken by the client. */
  size_t (*queued)(svc_http_conn *c);
  /* fn(arg) once, on a worker, when queued() <= below or the connection closed; never from inside this call. */
  void (*when_drained)(svc_http_conn *c, size_t below, void (*fn)(void *arg), void *arg);
  /* The session wants no more: close once what is queued is flushed (graceful) or at once. The transport
   * then calls svc_http_session_gone. */
  void (*close)(svc_http_conn *c, bool graceful);
  /* Reading may go on (after feed returned false). */
  void (*resume)(svc_http_conn *c);
  /* The session's last call on c. */
  void (*release)(svc_http_conn *c);
} svc_http_conn_methods;
struct svc_http_conn {
  const svc_http_conn_methods *methods;
};

/* --- requests ----------------------------------------------------------------------------------------------- */

typedef struct svc_http_header {
  char *name;  /* lower case */
  char *value; /* leading and trailing blanks removed */
} svc_http_header;

typedef struct svc_http_request {
  const char *method;     /* "GET", "POST", ... (http-parser's names) */
  char *target;           /* as sent: "/v1.41/containers/json?all=1" */
  char *path;             /* the path, percent-decoded: "/v1.41/containers/json" */
  char *query;            /* the query as sent, without '?' ("" when none) */
  svc_http_header *headers;
  size_t header_count;
  char *body;             /* body_len bytes, NUL-terminated (NULL when empty or streamed) */
  size_t body_len;
  bool body_streamed;     /* the body comes to on_input (the handler's stream_body asked for it) */
  unsigned http_major, http_minor;
  bool keep_alive;        /* the client keeps the connection after this request */
  bool upgrade;           /* Connection: Upgrade with an Upgrade header */
} svc_http_request;

/* The header's value (names compare without case), or NULL. */
const char *svc_http_header_get(const svc_http_request *r, const char *name);

/* The value of key in a query string ("a=1&b=x%20y"), percent-decoded ('+' is a space), malloc'ed in *out;
 * false (and *out NULL) when absent; a key without '=' has the value "". The first occurrence wins.
 * WCTR_EINVAL for a bad %-escape or a NUL; WCTR_ENOMEM. */
wctr_err svc_http_query(const char *query, const char *key, char **out, bool *present);

/* Percent-decodes len bytes of text into a malloc'ed string (plus_is_space for queries). NULL for a bad
 * escape, an encoded NUL, or out of memory. */
char *svc_http_decode(const char *text, size_t len, bool plus_is_space);

/* "200 OK": the reason phrase of a status code ("Unknown" for codes it does not know). */
const char *svc_http_reason(int status);

/* --- exchanges ------------------------------------------------------------------------------------------------ */

typedef struct svc_http_exchange svc_http_exchange;

typedef struct svc_http_handler {
  void *ctx;
  /* A complete request: answer x exactly once (respond, or begin/hijack then finish). */
  void (*on_request)(void *ctx, svc_http_exchange *x);
  /* Optional: the session refused a request by itself (status 400, 413 or 431; reason says why), for the
   * audit trail. caller is the connection's. */
  void (*on_refused)(void *ctx, const svc_caller *caller, int status, const char *reason);
  /* Optional: the headers of r are in (method, target, path, query, headers, version, keep_alive; no body):
   * true to have its body streamed to on_input (above), with *limit the most bytes it may carry (0: no
   * bound but the client's). Not asked for an upgrade or a request without a body. */
  bool (*stream_body)(void *ctx, const svc_http_request *r, uint64_t *limit);
} svc_http_handler;

typedef struct svc_http_session svc_http_session;

typedef struct svc_http_options {
  wctr_ioc *ioc;             /* runs the parsing of pipelined requests and drain waiters */
  svc_http_handler handler;
  svc_caller caller;         /* who is on this connection (copied) */
} svc_http_options;

/* Callbacks of a handler for one exchange (set inside on_request, before it returns; all optional):
 * on_input    bytes of a streamed body, or bytes the client sent after a hijack, in order; eof true once at
 *             the end of the body or of the client's stream. The return value asks the session to stop
 *             reading (true) until svc_http_resume_input;
 * on_close    the client is gone (it left, was dropped, timed out, or wctrd stops): finish soon;
 * on_release  the last call: free ctx. */
void svc_http_set_callbacks(svc_http_exchange *x, void *ctx, bool (*on_input)(void *ctx, const char *data, size_t len, bool eof),
                            void (*on_close)(void *ctx), void (*on_release)(void *ctx));

const svc_http_request *svc_http_req(const svc_http_exchange *x);
const svc_caller *svc_http_caller(const svc_http_exchange *x);

/* headers: extra header lines, each ending with "\r\n" (NULL for none); the session adds Content-Type (when
 * content_type is not NULL), Content-Length or Transfer-Encoding, and Connection: close when it will close.
 * A response to HEAD carries no body (body is ignored, Content-Length is len). WCTR_EPIPE when the client is
 * gone; the exchange is answered either way. */
wctr_err svc_http_respond(svc_http_exchange *x, int status, const char *headers, const char *content_type,
                          const void *body, size_t len);
wctr_err svc_http_begin(svc_http_exchange *x, int status, const char *headers, const char *content_type);
/* WCTR_ESTATE for an exchange whose streamed body has not ended (its bytes are not the client's stream). */
wctr_err svc_http_hijack(svc_http_exchange *x, const char *headers, const char *content_type);
/* A chunk of a begun or hijacked stream (len 0 sends nothing). WCTR_ETOOBIG when more than
 * SVC_SINK_QUEUE_MAX bytes would wait for the client (nothing queued), WCTR_EPIPE when it is gone. */
wctr_err svc_http_write(svc_http_exchange *x, const void *data, size_t len);
size_t svc_http_pending(svc_http_exchange *x);
/* fn(arg) once, on a worker, when pending() <= below or the client is gone. */
void svc_http_when_drained(svc_http_exchange *x, size_t below, void (*fn)(void *arg), void *arg);
/* Ends a begun or hijacked stream: the last chunk (chunked) or the close once flushed (hijacked); abort:
 * closes the connection at once (a dropped stream). Also ends an exchange that was never answered (abort
 * or not, the connection then closes). */
void svc_http_finish(svc_http_exchange *x, bool abort);
/* After on_input asked to stop reading: reading goes on (never calls back into the handler from here). */
void svc_http_resume_input(svc_http_exchange *x);

/* --- the session, for the transport ---------------------------------------------------------------------------- */

wctr_err svc_http_session_new(const svc_http_options *opt, svc_http_conn *conn, svc_http_session **out,
                              wctr_errmsg *e);
/* Bytes read from the client. False: stop reading until conn->resume. */
bool svc_http_session_feed(svc_http_session *s, const char *data, size_t len);
/* The client will send nothing more (its stream ended); the connection may still carry the answer. */
void svc_http_session_eof(svc_http_session *s);
/* The connection is over (closed by either side, broken, timed out, evicted, wctrd stops): the transport's
 * last call on s; the current exchange's handler gets on_close. */
void svc_http_session_gone(svc_http_session *s);

typedef enum svc_http_phase {
  SVC_HTTP_FRESH = 1, /* connected, nothing received yet */
  SVC_HTTP_IDLE,      /* between requests */
  SVC_HTTP_READING,   /* part of a request received */
  SVC_HTTP_BUSY,      /* a request is being answered, streamed or hijacked: never timed out */
  SVC_HTTP_CLOSING,   /* the session asked to close */
} svc_http_phase;
/* The phase and when it began (wctr_ioc_now_ms). */
svc_http_phase svc_http_session_phase(svc_http_session *s, uint64_t *since);

#endif
