/* service/pipe_api.h - the wctr pipe protocol front-end (portable): one request message in, the operation
 * invoked through svc_ops (service/ops.h), its outcome written back as protocol messages
 * (docs/protocol.md). The transport is an abstract connection (svc_pipe_conn), so this is tested natively
 * with a fake one; the named-pipe server (service/server_win.c) is the real one.
 *
 * Per request: svc_pipe_handle parses the message (common/proto.h) and invokes the operation with a sink
 * (svc_sink) that turns what the operation produces into messages on the connection:
 *   output          {"v":1,"id":N,"stream":"stdout"|"stderr","data":"<text>"} when the chunk is valid UTF-8
 *                   without NUL, else {"v":1,"id":N,"stream":"stdout"|"stderr","data64":"<base64>"}: any
 *                   bytes arrive exactly;
 *   frame           {"v":1,"id":N,"stream":KIND,"data":<JSON>};
 *   finish          the response {"v":1,"id":N,"result":...} or {"v":1,"id":N,"error":{...}} (an answer over
 *                   WCTR_PROTO_MAX_RESPONSE, which no client takes, becomes the error too_large "the answer
 *                   to container.list is N bytes, more than the protocol's limit of 67108864; ask for less
 *                   (a filter)", logged and audited), then
 *                   conn->end: SVC_PIPE_NEXT for a call (the connection reads the next request), or
 *                   SVC_PIPE_CLOSE when the request named a start operation (a stream: the connection closes
 *                   once the response is flushed, as wctrd always did after a stream).
 * A request that cannot be parsed, or is over WCTR_PROTO_MAX_REQUEST, is answered at once with the error
 * (id null when unreadable); the connection stays usable. Parse failures are audited (op ""), as the
 * dispatcher always did; a request over the limit is not (it is never read).
 *
 * While a stream runs the connection delivers what the client sends (svc_pipe_call_input):
 *   {"v":1,"id":N,"stream":"stdin","data":"<text>"}       bytes for the operation's on_input
 *   {"v":1,"id":N,"stream":"stdin","data64":"<base64>"}   the same, any bytes
 *   {"v":1,"id":N,"stream":"stdin","eof":true}            the end of the client's stdin
 * (data and eof may come in one frame). A frame is at most WCTR_PROTO_MAX_REQUEST bytes, like any message,
 * which bounds the data it carries; a larger one, or one that is not a stdin frame of this request, ends
 * the stream: the client gets the error as the final response (too_large or bad_request), the connection
 * closes after it, the operation gets on_close, and the refusal is audited.
 *
 * Bound: a connection holds at most SVC_SINK_QUEUE_MAX bytes the client has not read (conn->send returns
 * WCTR_ETOOBIG past it). An output or frame that does not fit drops the stream: the connection closes
 * (SVC_PIPE_DROP), wctrd's log gets a WARN line, the audit trail a record ("stream dropped: the client did
 * not read ...", broken_pipe), the operation on_close, and every later output or frame fails with
 * WCTR_EPIPE; the operation's finish is then discarded (and its on_release follows, exactly once).
 *
 * Threads: svc_pipe_handle runs on a worker of ioc; sink methods may be called from any thread (a blocking
 * call finishes on the pool, an operation's own thread writes output); the operation's on_input and
 * on_close are delivered by jobs posted to ioc, one at a time per request. */
#ifndef WCTR_SERVICE_PIPE_API_H
#define WCTR_SERVICE_PIPE_API_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/ioc.h"
#include "service/ops.h"

/* How a request ends, for its connection. */
typedef enum svc_pipe_end {
  SVC_PIPE_NEXT = 1, /* the response is queued: read the next request */
  SVC_PIPE_CLOSE,    /* the response is queued: close once it is flushed (after a stream) */
  SVC_PIPE_DROP,     /* close now, discarding what is queued (a dropped stream, or the client is gone) */
} svc_pipe_end;

/* The connection a request came on, as the front-end sees it. Its methods may be called from any thread;
 * the connection serialises them. */
typedef struct svc_pipe_conn svc_pipe_conn;
typedef struct svc_pipe_conn_methods {
  int version; /* 1 */
  /* Queues one message; msg is malloc'ed and taken (freed by the connection, also on failure). bounded
   * (frames and output): WCTR_ETOOBIG when more than SVC_SINK_QUEUE_MAX bytes would be waiting for the
   * client (nothing is queued). A request's final message is sent unbounded (a listing may be larger; it
   * is one message, at most WCTR_PROTO_MAX_RESPONSE). WCTR_EPIPE when the connection is closed or broken. */
  wctr_err (*send)(svc_pipe_conn *c, char *msg, size_t len, bool bounded);
  /* Bytes queued and not yet taken by the client. */
  size_t (*queued)(svc_pipe_conn *c);
  /* fn(arg) once, on a worker, as soon as queued() <= below, or when the connection closes; never from
   * inside this call (the front-end holds its request's lock here, and fn takes it). */
  void (*when_drained)(svc_pipe_conn *c, size_t below, void (*fn)(void *arg), void *arg);
  /* The request is over for the connection: called exactly once per request; after it the front-end never
   * touches c again. */
  void (*end)(svc_pipe_conn *c, svc_pipe_end how);
} svc_pipe_conn_methods;
struct svc_pipe_conn {
  const svc_pipe_conn_methods *methods;
};

/* What the front-end needs: the core (it posts the deliveries of on_input / on_close) and the operations. */
typedef struct svc_pipe_api {
  wctr_ioc *ioc;
  svc_ops *ops;
} svc_pipe_api;

/* One request in progress. */
typedef struct svc_pipe_call svc_pipe_call;

/* Handles one request message of len bytes kept out of total received (total > len: the message was over
 * WCTR_PROTO_MAX_REQUEST and was not kept; it is refused with too_large). caller is copied. Returns the
 * request, which the connection holds until svc_pipe_call_detach; *streaming tells whether the request
 * named a start operation (the connection then keeps reading: client frames go to svc_pipe_call_input, and
 * its end to svc_pipe_call_detach). conn->end may be called before this returns. NULL only when out of
 * memory: nothing was sent and end will not be called; the connection should be closed. */
svc_pipe_call *svc_pipe_handle(const svc_pipe_api *api, svc_pipe_conn *conn, const svc_caller *caller,
                               const char *msg, size_t len, size_t total, bool *streaming);

/* A message from the client while the request runs (same len / total rule). Ignored once the request
 * has finished. */
void svc_pipe_call_input(svc_pipe_call *call, const char *msg, size_t len, size_t total);

/* The connection is done with call: it will make no further call on it. When the operation has not
 * finished, its client is gone (it left, timed out or wctrd is stopping): on_close follows, and end is
 * called (SVC_PIPE_DROP) if it has not been. Exactly once per svc_pipe_handle that returned a call. */
void svc_pipe_call_detach(svc_pipe_call *call);

#endif
