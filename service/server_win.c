/* service/server_win.c - the named-pipe server on the I/O core (contract in service/server.h).
 *
 * A connection (conn) is one pipe instance. Its I/O: at most one ConnectNamedPipe or ReadFile of ours in
 * flight (rreq), and the writer's (common/ioc_win.h) for everything sent. Its state:
 *   LISTENING  waiting for a client
 *   IDLE       connected, a read posted, no request in flight (timeouts and eviction apply)
 *   CALL       a request is being handled (no read posted: one request at a time)
 *   DRAINING   a call's large answer is being taken by the client; the next read follows
 *   STREAM     a start operation runs: a read stays posted (stdin frames, the client leaving)
 *   CLOSING    the final message is queued: close once flushed and the client hung up (or lingered)
 *   DEAD       shut down: no new I/O; freed when the last reference goes
 *
 * References to a conn: one while it is alive (dropped by conn_shutdown), one per I/O of ours in flight,
 * one held for the request by the front-end from svc_pipe_handle until its conn->end, and temporary ones
 * taken under the server lock by the sweeper and by stop. The handle is closed only when the last one goes,
 * so no call is ever made on a closed (or reused) handle.
 *
 * Locks: the server's (list, counts, listener, stopping), then a connection's (its state). Never held while
 * calling the front-end (which calls back into conn methods) or closing a writer (which waits for the
 * writer's callbacks, which take the connection's lock). */
#include <windows.h>

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/acl_win.h"
#include "common/ioc_win.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/wstr.h"
#include "service/pipe_identity.h"
#include "service/server.h"
#include "service/svc_sys.h"

enum { READ_CHUNK = 64 * 1024, PIPE_BUFFER = 64 * 1024 };

typedef enum conn_state { LISTENING, IDLE, CALL, DRAINING, STREAM, CLOSING, DEAD } conn_state;

typedef struct drain_wait {
  struct drain_wait *next;
  size_t below;
  void (*fn)(void *arg);
  void *arg;
} drain_wait;

typedef struct conn {
  svc_pipe_conn base; /* what the front-end holds */
  wctr_ioc_req rreq;  /* connect, then reads */
  svc_server *s;
  HANDLE pipe;
  wctr_mutex lock;
  conn_state state;
  volatile LONG refs; /* Interlocked: taken under the server lock without the connection's (sweep) */
  bool counted;       /* counted in s->connected */
  bool read_pending;
  bool identified;
  bool got_message;   /* the client has sent something (the first-request timeout no longer applies) */
  svc_caller caller;
  char *buf;          /* the message being read */
  size_t len;         /* bytes of it kept */
  size_t cap;
  size_t total;       /* bytes of it received, kept or not */
  wctr_ioc_writer *writer;
  svc_pipe_call *call;     /* the request, once svc_pipe_handle returned, until it is detached */
  /* on_read is handing a message to call (without the lock, from buf): the call's detach waits for it
   * (detach_later), and nobody else posts a read meanwhile - on_read posts the next one itself. */
  bool in_input;
  svc_pipe_call *detach_later;
  bool end_seen;           /* conn->end came (possibly before call was set) */
  svc_pipe_end end_how;
  uint64_t since;          /* when the current state began (ms, wctr_ioc_now_ms) */
  /* state == IDLE and since, published (Interlocked) for the walks under the server lock that look for room
   * (maybe_listen_locked, on_connect): they must not wait for a connection's lock, which is held across a
   * large WriteFile (under Wine the whole message is copied before it returns). The decision they make is
   * checked again under the connection's lock before anything is closed (SHUT_IF_IDLE). */
  volatile LONG pub_idle;
  volatile LONG64 pub_since;
  bool flushed;            /* CLOSING: everything was written */
  bool linger;             /* CLOSING: wait for the client to hang up after the flush */
  drain_wait *waits;
  struct conn *prev, *next;
} conn;

struct svc_server {
  wctr_ioc *ioc;
  svc_pipe_api api;
  wchar_t *pipe_path;
  acl_sa sa;
  unsigned max_connections;
  unsigned first_ms, idle_ms, linger_ms, sweep_ms;
  wctr_mutex lock;
  bool stopping;
  conn *conns;     /* every connection, listening or connected */
  conn *listener;  /* the instance waiting for the next client, if any */
  unsigned connected;
  unsigned live;   /* conn structures allocated */
  wctr_ioc_timer *sweep_timer;
  bool sweep_active; /* a sweep is armed or running */
};

static void conn_shutdown(conn *c, const char *why);

/* Enters state st now; every change of state or of since goes through here (or set_since_locked). */
static void set_since_locked(conn *c) {
  WCTR_ASSERT_HELD(&c->lock);
  c->since = wctr_ioc_now_ms();
  InterlockedExchange64(&c->pub_since, (LONG64)c->since);
}

static void set_state_locked(conn *c, conn_state st) {
  WCTR_ASSERT_HELD(&c->lock);
  c->state = st;
  InterlockedExchange(&c->pub_idle, st == IDLE ? 1 : 0);
  set_since_locked(c);
}
static bool post_read_locked(conn *c);
static void maybe_listen(svc_server *s);
static void maybe_listen_locked(svc_server *s);

/* --- references ----------------------------------------------------------------------------------------- */

/* Interlocked, never under the connection's lock: whoever walks the list under the server lock takes its
 * references without waiting for a connection that is busy (a large WriteFile is issued under that lock,
 * and under Wine it copies the whole message before it returns). */
static void conn_ref(conn *c) { InterlockedIncrement(&c->refs); }

/* The last reference is dropped under the server lock, where c also leaves the list: whoever finds c in
 * the list (under that lock) and takes a reference finds it at one or more, never at zero. */
static void conn_unref(conn *c) {
  for (;;) {
    LONG refs = c->refs;
    if (refs == 1) break;
    if (InterlockedCompareExchange(&c->refs, refs - 1, refs) == refs) return;
  }
  svc_server *s = c->s;
  wctr_mutex_lock(&s->lock);
  LONG left = InterlockedDecrement(&c->refs);
  if (left > 0) { /* somebody took one meanwhile */
    wctr_mutex_unlock(&s->lock);
    return;
  }
  if (c->prev != NULL) c->prev->next = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  if (s->conns == c) s->conns = c->next;
  if (s->listener == c) s->listener = NULL;
  if (c->counted) s->connected--;
  maybe_listen_locked(s); /* a slot may have come free */
  /* The last touch of s: once live is 0, stop may free it. */
  s->live--;
  wctr_mutex_unlock(&s->lock);
  /* CloseHandle alone, never DisconnectNamedPipe: disconnecting throws away what the client has not read
   * yet, such as the access_denied answer sent just before closing. Instances are never reused. */
  CloseHandle(c->pipe);
  if (c->buf != NULL) SecureZeroMemory(c->buf, c->cap);
  free(c->buf);
  wctr_mutex_destroy(&c->lock);
  free(c);
}

/* --- the connection as the front-end sees it (svc_pipe_conn) ------------------------------------------------ */

static wctr_err conn_send(svc_pipe_conn *base, char *msg, size_t len, bool bounded) {
  conn *c = (conn *)base;
  wctr_mutex_lock(&c->lock);
  wctr_ioc_writer *w = c->state == DEAD ? NULL : c->writer;
  wctr_err err = WCTR_EPIPE;
  if (w != NULL) {
    if (bounded && wctr_ioc_writer_queued(w) + len > SVC_SINK_QUEUE_MAX) {
      err = WCTR_ETOOBIG;
    } else {
      err = wctr_ioc_writer_write(w, msg, len, true);
      msg = NULL; /* taken, also on failure */
    }
  }
  wctr_mutex_unlock(&c->lock);
  free(msg);
  return err;
}

static size_t conn_queued(svc_pipe_conn *base) {
  conn *c = (conn *)base;
  wctr_mutex_lock(&c->lock);
  size_t n = c->writer != NULL && c->state != DEAD ? wctr_ioc_writer_queued(c->writer) : 0;
  wctr_mutex_unlock(&c->lock);
  return n;
}

static void run_now(svc_server *s, void (*fn)(void *arg), void *arg) {
  if (!wctr_ioc_post(s->ioc, fn, arg)) fn(arg);
}

static void conn_when_drained(svc_pipe_conn *base, size_t below, void (*fn)(void *arg), void *arg) {
  conn *c = (conn *)base;
  drain_wait *d = malloc(sizeof *d);
  wctr_mutex_lock(&c->lock);
  bool now = d == NULL || c->state == DEAD || c->writer == NULL || wctr_ioc_writer_queued(c->writer) <= below;
  if (!now) {
    /* Kept until the writer's on_drain (its queue emptied) or the shutdown: both run it without a lock. */
    *d = (drain_wait){.next = c->waits, .below = below, .fn = fn, .arg = arg};
    c->waits = d;
    d = NULL;
  }
  wctr_mutex_unlock(&c->lock);
  /* Never inline: the front-end calls this under its own lock, which fn's path takes. A core that refuses
   * the post has stopped (or memory is out): the waiter is lost with the process. */
  if (now && !wctr_ioc_post(c->s->ioc, fn, arg)) {
    wctr_log(WCTR_LOG_ERROR, "pipe server: a drain waiter could not be run");
  }
  free(d);
}

/* The request's end, once both it and the call pointer are known. Called without the lock. */
static void process_end(conn *c) {
  svc_server *s = c->s;
  wctr_mutex_lock(&c->lock);
  svc_pipe_call *call = c->call;
  svc_pipe_end how = c->end_how;
  c->call = NULL;
  c->end_seen = false;
  bool shut = false;
  if (c->state == DEAD) {
    /* conn_shutdown has run (and could not detach a call it did not know yet). */
  } else if (how == SVC_PIPE_DROP) {
    shut = true;
  } else if (how == SVC_PIPE_CLOSE) {
    set_state_locked(c, CLOSING);
    c->linger = true;
    c->flushed = wctr_ioc_writer_queued(c->writer) == 0;
    if (!c->read_pending && !c->in_input && !post_read_locked(c)) shut = true;
  } else if (wctr_ioc_writer_queued(c->writer) > SVC_SINK_QUEUE_MAX) {
    set_state_locked(c, DRAINING); /* the writer's on_drain posts the next read */
  } else {
    set_state_locked(c, IDLE);
    if (!c->read_pending && !c->in_input && !post_read_locked(c)) shut = true;
  }
  bool idle = c->state == IDLE;
  if (c->in_input) {
    c->detach_later = call;
    call = NULL;
  }
  wctr_mutex_unlock(&c->lock);
  if (call != NULL) svc_pipe_call_detach(call);
  if (shut) conn_shutdown(c, "the request ended (process_end)");
  if (idle) maybe_listen(s); /* an idle connection can be evicted: a listener may wait again */
}

static void conn_end(svc_pipe_conn *base, svc_pipe_end how) {
  conn *c = (conn *)base;
  wctr_mutex_lock(&c->lock);
  c->end_seen = true;
  c->end_how = how;
  bool known = c->call != NULL;
  wctr_mutex_unlock(&c->lock);
  /* Not known yet: svc_pipe_handle is still on the stack and handle_message processes the end. */
  if (known) process_end(c);
  conn_unref(c); /* the front-end is done with c */
}

static const svc_pipe_conn_methods conn_methods = {
    .version = 1,
    .send = conn_send,
    .queued = conn_queued,
    .when_drained = conn_when_drained,
    .end = conn_end,
};

/* --- the writer's callbacks --------------------------------------------------------------------------------- */

static void on_writer_drain(void *ctx) {
  conn *c = ctx;
  wctr_mutex_lock(&c->lock);
  if (c->state == DEAD || c->writer == NULL) {
    wctr_mutex_unlock(&c->lock);
    return;
  }
  conn_ref(c); /* a shutdown below may drop the last other one */
  size_t queued = wctr_ioc_writer_queued(c->writer);
  drain_wait *ready = NULL;
  for (drain_wait **p = &c->waits; *p != NULL;) {
    drain_wait *d = *p;
    if (queued <= d->below) {
      *p = d->next;
      d->next = ready;
      ready = d;
    } else {
      p = &d->next;
    }
  }
  bool shut = false;
  bool idle = false;
  if (c->state == DRAINING && queued <= SVC_SINK_QUEUE_MAX) {
    set_state_locked(c, IDLE);
    idle = true;
    if (!post_read_locked(c)) shut = true;
  } else if (c->state == CLOSING && queued == 0 && !c->flushed) {
    c->flushed = true;
    set_since_locked(c);
    shut = !c->linger; /* nothing to wait for: the client reads what the pipe holds after the close */
  }
  wctr_mutex_unlock(&c->lock);
  while (ready != NULL) {
    drain_wait *d = ready;
    ready = d->next;
    run_now(c->s, d->fn, d->arg);
    free(d);
  }
  if (shut) conn_shutdown(c, "flushed (on_writer_drain)");
  if (idle) maybe_listen(c->s);
  conn_unref(c);
}

static void on_writer_error(void *ctx, DWORD error) {
  conn *c = ctx;
  (void)error; /* the client left; nothing to report */
  conn_shutdown(c, "a write failed: the client left");
}

/* --- shutting a connection down -------------------------------------------------------------------------------- */

/* Whether a timeout has closed c (sweep): its state has lasted longer than that state may. Decided with the
 * lock held and the clock read under it, so that a state that began after the sweep started (since > the
 * sweep's start) is never taken for an old one. An idle connection whose read has completed has a request
 * on its way (the completion is queued, not yet run): it is not idle. */
static bool expired_locked(const conn *c) {
  WCTR_ASSERT_HELD(&c->lock);
  const svc_server *s = c->s;
  uint64_t now = wctr_ioc_now_ms();
  uint64_t age = now > c->since ? now - c->since : 0;
  if (c->state == IDLE) {
    if (c->read_pending && HasOverlappedIoCompleted(&c->rreq.ov)) return false;
    return age > (c->got_message ? s->idle_ms : s->first_ms);
  }
  if (c->state == DRAINING) return age > s->idle_ms;
  if (c->state == CLOSING) return c->flushed ? age > s->linger_ms : age > s->idle_ms;
  return false;
}

/* Whether c is idle with nothing on its way: no request in flight, and no completed read whose request is
 * queued but not run yet. */
static bool idle_now_locked(const conn *c) {
  WCTR_ASSERT_HELD(&c->lock);
  return c->state == IDLE && !(c->read_pending && HasOverlappedIoCompleted(&c->rreq.ov));
}

typedef enum shut_when {
  SHUT_ALWAYS,
  SHUT_IF_EXPIRED, /* a timeout: only when expired_locked holds when the connection is shut */
  SHUT_IF_IDLE,    /* an eviction: only when idle_now_locked holds when the connection is shut */
} shut_when;

/* Idempotent. Closes the writer, cancels our read (its completion drops its reference), releases drain
 * waiters, detaches the request (on_close for a running operation). The conditions of `when` are checked
 * under the connection's lock at the moment it is shut: a timeout or an eviction never cuts a request that
 * began meanwhile. Returns whether this call shut it. */
static bool conn_shutdown_as(conn *c, const char *why, shut_when when) {
  wctr_mutex_lock(&c->lock);
  if (c->state == DEAD || (when == SHUT_IF_EXPIRED && !expired_locked(c)) || (when == SHUT_IF_IDLE && !idle_now_locked(c))) {
    wctr_mutex_unlock(&c->lock);
    return false;
  }
  wctr_log(WCTR_LOG_DEBUG, "pipe server: closing a connection of %s (pid %u, state %d): %s",
           c->identified ? c->caller.name : "a client that sent nothing", c->caller.pid, (int)c->state, why);
  c->state = DEAD;
  InterlockedExchange(&c->pub_idle, 0);
  wctr_ioc_writer *w = c->writer;
  c->writer = NULL;
  svc_pipe_call *call = c->call;
  c->call = NULL;
  drain_wait *waits = c->waits;
  c->waits = NULL;
  if (c->in_input) {
    c->detach_later = call;
    call = NULL;
  }
  if (c->read_pending) CancelIoEx(c->pipe, &c->rreq.ov);
  wctr_mutex_unlock(&c->lock);
  wctr_ioc_writer_close(w, false, false);
  while (waits != NULL) {
    drain_wait *d = waits;
    waits = d->next;
    run_now(c->s, d->fn, d->arg);
    free(d);
  }
  if (call != NULL) svc_pipe_call_detach(call);
  conn_unref(c); /* alive */
  return true;
}

static void conn_shutdown(conn *c, const char *why) { (void)conn_shutdown_as(c, why, SHUT_ALWAYS); }

/* --- identity ---------------------------------------------------------------------------------------------- */

/* Who is on the other end (service/pipe_identity.h): needs a message to have been read first. */
static BOOL identify_caller(conn *c) { return svc_pipe_identify(c->pipe, &c->caller) ? TRUE : FALSE; }

/* --- reading --------------------------------------------------------------------------------------------------- */

static void on_read(wctr_ioc_req *req, DWORD bytes, DWORD error);

/* Starts the next read of the current message. Called with the lock held. False: the connection must be
 * shut down. */
static bool post_read_locked(conn *c) {
  WCTR_ASSERT_HELD(&c->lock);
  WCTR_ASSERT(!c->read_pending); /* one read at a time: rreq and buf are the read's */
  if (c->s->stopping || c->state == DEAD) return false;
  if (c->len <= WCTR_PROTO_MAX_REQUEST && c->cap - c->len < READ_CHUNK) {
    size_t cap = c->len + READ_CHUNK;
    char *grown = realloc(c->buf, cap);
    if (grown == NULL) return false;
    c->buf = grown;
    c->cap = cap;
  }
  /* Past the limit the rest of the message is read into the start of the buffer and dropped. */
  char *dst = c->len > WCTR_PROTO_MAX_REQUEST ? c->buf : c->buf + c->len;
  DWORD want = c->len > WCTR_PROTO_MAX_REQUEST ? READ_CHUNK : (DWORD)(c->cap - c->len);
  memset(&c->rreq.ov, 0, sizeof c->rreq.ov);
  c->rreq.done = on_read;
  c->read_pending = true;
  conn_ref(c);
  if (!ReadFile(c->pipe, dst, want, NULL, &c->rreq.ov)) {
    DWORD code = GetLastError();
    /* Every call that does not fail outright queues a packet, ERROR_MORE_DATA included. */
    if (code != ERROR_IO_PENDING && code != ERROR_MORE_DATA) {
      c->read_pending = false;
      InterlockedDecrement(&c->refs); /* never the last: c is alive (not DEAD) */
      return false;
    }
  }
  return true;
}

static void reset_message_locked(conn *c) {
  /* A request may carry a secret's value (secret.create): none stays in the reused buffer. */
  if (c->buf != NULL) SecureZeroMemory(c->buf, c->len < c->cap ? c->len : c->cap);
  c->len = 0;
  c->total = 0;
  if (c->cap > 4 * READ_CHUNK) { /* give back what a large request took */
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
  }
}

/* A caller that cannot be identified: access_denied, then the connection closes once that is flushed. */
static void refuse_unidentified(conn *c) {
  size_t len = 0;
  char *msg = wctr_response_format_error(false, 0, WCTR_EACCES, "wctrd could not identify the caller", &len);
  wctr_mutex_lock(&c->lock);
  reset_message_locked(c);
  bool shut = msg == NULL || c->state == DEAD;
  if (!shut) {
    set_state_locked(c, CLOSING);
    c->linger = false;
    c->flushed = false;
    shut = wctr_ioc_writer_write(c->writer, msg, len, true) != WCTR_OK;
    msg = NULL;
  }
  wctr_mutex_unlock(&c->lock);
  free(msg);
  if (shut) conn_shutdown(c, "could not queue the refusal");
}

/* A whole request has arrived (state CALL, no read posted, no lock held). */
static void handle_message(conn *c) {
  svc_server *s = c->s;
  if (!c->identified) {
    c->identified = identify_caller(c);
    if (!c->identified) {
      refuse_unidentified(c);
      return;
    }
  }
  conn_ref(c); /* the front-end's, until conn->end */
  bool streaming = false;
  svc_pipe_call *call = svc_pipe_handle(&s->api, &c->base, &c->caller, c->buf, c->len, c->total, &streaming);
  wctr_mutex_lock(&c->lock);
  reset_message_locked(c);
  bool dead = c->state == DEAD;
  bool ended = c->end_seen;
  bool shut = false;
  if (call != NULL && !dead) {
    c->call = call;
    if (!ended && streaming) {
      set_state_locked(c, STREAM);
      if (!post_read_locked(c)) shut = true;
    }
  }
  wctr_mutex_unlock(&c->lock);
  if (call == NULL) {
    wctr_log(WCTR_LOG_ERROR, "pipe server: out of memory for a request of %s (pid %u)", c->caller.name, c->caller.pid);
    conn_unref(c); /* no end will come */
    conn_shutdown(c, "out of memory");
    return;
  }
  if (dead) {
    svc_pipe_call_detach(call);
    return;
  }
  if (ended) process_end(c);
  if (shut) conn_shutdown(c, "could not read");
}

static void on_read(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  conn *c = (conn *)((char *)req - offsetof(conn, rreq));
  bool shut = false;
  bool handle = false;
  svc_pipe_call *input_to = NULL;
  wctr_mutex_lock(&c->lock);
  c->read_pending = false;
  if (c->state == DEAD) {
    /* cancelled by conn_shutdown */
  } else if (error != ERROR_SUCCESS && error != ERROR_MORE_DATA) {
    shut = true; /* the client went away */
  } else {
    c->total += bytes;
    if (c->len <= WCTR_PROTO_MAX_REQUEST) c->len += bytes;
    if (error == ERROR_MORE_DATA) {
      shut = !post_read_locked(c); /* the message goes on */
    } else {
      c->got_message = true;
      if (c->state == IDLE) {
        set_state_locked(c, CALL);
        handle = true;
      } else if (c->state == STREAM && c->call != NULL) {
        input_to = c->call;
        c->in_input = true;
      } else {
        reset_message_locked(c); /* CLOSING: whatever comes now is too late */
        shut = !post_read_locked(c);
      }
    }
  }
  wctr_mutex_unlock(&c->lock);
  if (handle) {
    /* One connection fewer that could make room. */
    if (c->s->connected >= c->s->max_connections) maybe_listen(c->s);
    handle_message(c);
  } else if (input_to != NULL) {
    /* The request may end meanwhile (process_end, conn_shutdown on other threads): while in_input is set
     * they leave its detach to this thread, so the call stays valid during the hand-over. */
    svc_pipe_call_input(input_to, c->buf, c->len, c->total);
    wctr_mutex_lock(&c->lock);
    c->in_input = false;
    svc_pipe_call *later = c->detach_later;
    c->detach_later = NULL;
    reset_message_locked(c);
    if (c->state == STREAM || c->state == CLOSING) shut = !post_read_locked(c);
    wctr_mutex_unlock(&c->lock);
    if (later != NULL) svc_pipe_call_detach(later);
  }
  if (shut) conn_shutdown(c, "the read failed: the client left");
  conn_unref(c); /* this read's */
}

/* --- listening ----------------------------------------------------------------------------------------------- */

/* True when some process already serves this pipe name. FILE_FLAG_FIRST_PIPE_INSTANCE closes the race on
 * Windows, but Wine 8 ignores that flag, and either way a clear "in use" beats a second server sharing the
 * name with the first. */
static BOOL pipe_exists(const wchar_t *path) {
  if (WaitNamedPipeW(path, 1)) return TRUE;
  return GetLastError() != ERROR_FILE_NOT_FOUND;
}

static void on_connect(wctr_ioc_req *req, DWORD bytes, DWORD error);

/* Creates a pipe instance and starts ConnectNamedPipe on it. Called with the server lock held. */
static wctr_err start_listener(svc_server *s, BOOL first, wctr_errmsg *e) {
  if (first && pipe_exists(s->pipe_path)) {
    char *path = wctr_wide_to_utf8(s->pipe_path);
    wctr_err err = wctr_fail(e, WCTR_EBUSY, "the pipe %s is already in use (is another wctrd running with it?)",
                             path != NULL ? path : "?");
    free(path);
    return err;
  }
  conn *c = calloc(1, sizeof *c);
  if (c == NULL || wctr_mutex_init(&c->lock) != WCTR_OK) {
    free(c);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  c->base.methods = &conn_methods;
  c->s = s;
  c->state = LISTENING;
  c->refs = 2; /* alive, and the connect in flight */
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  c->pipe = svc_sys.CreateNamedPipeW(s->pipe_path, open_mode,
                                     PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                     PIPE_UNLIMITED_INSTANCES, PIPE_BUFFER, PIPE_BUFFER, 0, &s->sa.sa);
  if (c->pipe == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    wctr_mutex_destroy(&c->lock);
    free(c);
    char *path = wctr_wide_to_utf8(s->pipe_path);
    wctr_log_win32("CreateNamedPipeW", code, "pipe %s", path != NULL ? path : "?");
    wctr_err err;
    if (first && (code == ERROR_ACCESS_DENIED || code == ERROR_PIPE_BUSY)) {
      err = wctr_fail(e, WCTR_EBUSY, "the pipe %s is already in use (is another wctrd running with it?)",
                      path != NULL ? path : "?");
    } else {
      err = wctr_fail(e, wctr_from_win32(code), "cannot create the pipe %s (error %lu)", path != NULL ? path : "?",
                      (unsigned long)code);
    }
    free(path);
    return err;
  }
  wctr_err err = wctr_ioc_associate(s->ioc, c->pipe, e);
  if (err != WCTR_OK) {
    CloseHandle(c->pipe);
    wctr_mutex_destroy(&c->lock);
    free(c);
    return err;
  }
  c->next = s->conns;
  if (s->conns != NULL) s->conns->prev = c;
  s->conns = c;
  s->listener = c;
  s->live++;
  c->rreq.done = on_connect;
  if (!ConnectNamedPipe(c->pipe, &c->rreq.ov)) {
    DWORD code = GetLastError();
    /* A client that connected between CreateNamedPipe and ConnectNamedPipe: no packet will be queued for
     * it, so queue one ourselves; any other failure is queued too, and the completion closes it. */
    if (code == ERROR_PIPE_CONNECTED) {
      wctr_ioc_post_req(s->ioc, &c->rreq, 0, ERROR_SUCCESS);
    } else if (code != ERROR_IO_PENDING) {
      wctr_log_win32("ConnectNamedPipe", code, "waiting for a client");
      wctr_ioc_post_req(s->ioc, &c->rreq, 0, code);
    }
  }
  return WCTR_OK;
}

/* Connected, with no request in flight and no stream: may be closed to make room. Read without c's lock
 * (see pub_idle); the eviction itself checks again under it. */
static bool evictable(conn *c) { return InterlockedCompareExchange(&c->pub_idle, 0, 0) != 0; }

static uint64_t idle_since(conn *c) { return (uint64_t)InterlockedCompareExchange64(&c->pub_since, 0, 0); }

/* Listens exactly when a client could be admitted: below the cap, or some connection could make room. At
 * the cap with every connection busy, a listener left from earlier is cancelled, so that new clients wait
 * (ERROR_PIPE_BUSY) instead of being connected and cut. Called with the server lock held. */
static void maybe_listen_locked(svc_server *s) {
  bool room = s->connected < s->max_connections;
  for (conn *c = s->conns; c != NULL && !room; c = c->next) room = evictable(c);
  if (!s->stopping && s->listener == NULL && room) {
    wctr_errmsg e;
    if (start_listener(s, FALSE, &e) != WCTR_OK) wctr_log(WCTR_LOG_ERROR, "pipe server: %s", e.text);
  } else if (s->listener != NULL && !room) {
    conn *l = s->listener;
    s->listener = NULL;
    CancelIoEx(l->pipe, &l->rreq.ov); /* its completion shuts it down */
  }
}

static void maybe_listen(svc_server *s) {
  wctr_mutex_lock(&s->lock);
  maybe_listen_locked(s);
  wctr_mutex_unlock(&s->lock);
}

static void on_connect(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  (void)bytes;
  conn *c = (conn *)((char *)req - offsetof(conn, rreq));
  svc_server *s = c->s;
  conn *victim = NULL;
  bool ok = error == ERROR_SUCCESS || error == ERROR_PIPE_CONNECTED;
  wctr_mutex_lock(&s->lock);
  if (s->listener == c) s->listener = NULL;
  bool admit = ok && !s->stopping;
  if (admit) {
    s->connected++;
    c->counted = true;
    if (s->connected > s->max_connections) {
      /* Room for the new client: close the connection idle the longest. */
      uint64_t oldest = UINT64_MAX;
      for (conn *o = s->conns; o != NULL; o = o->next) {
        if (o == c || !evictable(o)) continue;
        uint64_t since = idle_since(o);
        if (since < oldest) {
          oldest = since;
          victim = o;
        }
      }
      if (victim != NULL) {
        conn_ref(victim);
      } else {
        admit = false; /* every connection is busy meanwhile: this client cannot be served */
      }
    }
  }
  wctr_mutex_unlock(&s->lock);
  if (victim != NULL) {
    /* Chosen without its lock: it may have begun a request since; then it stays, and this client goes. */
    if (conn_shutdown_as(victim, "evicted", SHUT_IF_IDLE)) {
      wctr_log(WCTR_LOG_INFO,
               "pipe server: closed the connection of %s (pid %u), idle the longest, to admit a new client",
               victim->identified ? victim->caller.name : "a client that sent nothing", victim->caller.pid);
    } else {
      admit = false;
    }
    conn_unref(victim);
  }
  wctr_errmsg e;
  wctr_mutex_lock(&c->lock);
  set_state_locked(c, IDLE);
  wctr_ioc_writer_options wo = {.message_mode = true, .on_drain = on_writer_drain, .low_water = 1,
                                .on_error = on_writer_error, .ctx = c};
  if (admit && wctr_ioc_writer_start(s->ioc, c->pipe, true, &wo, &c->writer, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "pipe server: %s", e.text);
    admit = false;
  }
  if (admit && !post_read_locked(c)) admit = false;
  wctr_mutex_unlock(&c->lock);
  if (!ok && !s->stopping && error != ERROR_OPERATION_ABORTED) {
    wctr_log(WCTR_LOG_WARN, "pipe server: a connection failed (error %lu)", (unsigned long)error);
  }
  if (!admit) conn_shutdown(c, "not admitted");
  maybe_listen(s); /* before the last reference: s lives while c does */
  conn_unref(c);   /* the connect's */
}

/* --- timeouts ------------------------------------------------------------------------------------------------ */

/* The timeouts. The connections are gathered under the server lock (references only: no connection's lock
 * is waited for there) and judged one by one under their own, outside it. */
static void sweep(void *arg) {
  svc_server *s = arg;
  wctr_mutex_lock(&s->lock);
  s->sweep_timer = NULL;
  if (s->stopping) {
    s->sweep_active = false;
    wctr_mutex_unlock(&s->lock);
    return;
  }
  size_t count = 0;
  for (conn *c = s->conns; c != NULL; c = c->next) count++;
  conn **all = calloc(count > 0 ? count : 1, sizeof *all);
  size_t n = 0;
  for (conn *c = s->conns; c != NULL && all != NULL; c = c->next) {
    conn_ref(c);
    all[n++] = c;
  }
  wctr_errmsg e;
  /* Armed before the lock is left: stop cancels it under the same lock. */
  if (wctr_ioc_timer_start(s->ioc, s->sweep_ms, sweep, s, &s->sweep_timer, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_ERROR, "pipe server: idle connections will not time out: %s", e.text);
    s->sweep_active = false;
  }
  wctr_mutex_unlock(&s->lock);
  if (all == NULL) wctr_log(WCTR_LOG_ERROR, "pipe server: out of memory: no connection timed out this round");
  for (size_t i = 0; i < n; i++) {
    (void)conn_shutdown_as(all[i], "timed out in its state", SHUT_IF_EXPIRED);
    conn_unref(all[i]);
  }
  free(all);
}

/* --- start and stop ---------------------------------------------------------------------------------------------- */

static void server_free(svc_server *s) {
  if (s == NULL) return;
  acl_sa_free(&s->sa);
  free(s->pipe_path);
  wctr_mutex_destroy(&s->lock);
  free(s);
}

wctr_err svc_server_start(const svc_server_options *opt, svc_server **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  *out = NULL;
  svc_server *s = calloc(1, sizeof *s);
  if (s == NULL || wctr_mutex_init(&s->lock) != WCTR_OK) {
    free(s);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  s->ioc = opt->ioc;
  s->api = opt->api;
  s->max_connections = opt->max_connections != 0 ? opt->max_connections : SVC_SERVER_MAX_CONNECTIONS;
  s->first_ms = opt->first_request_timeout_ms != 0 ? opt->first_request_timeout_ms : SVC_SERVER_FIRST_REQUEST_MS;
  s->idle_ms = opt->idle_timeout_ms != 0 ? opt->idle_timeout_ms : SVC_SERVER_IDLE_MS;
  s->linger_ms = opt->linger_ms != 0 ? opt->linger_ms : SVC_SERVER_LINGER_MS;
  /* A quarter of the shortest timeout: a connection closes at most 25% late; never busier than 20 ms. */
  unsigned shortest = s->first_ms < s->idle_ms ? s->first_ms : s->idle_ms;
  if (s->linger_ms < shortest) shortest = s->linger_ms;
  s->sweep_ms = shortest / 4 < 20 ? 20 : shortest / 4 > 1000 ? 1000 : shortest / 4;
  s->pipe_path = wctr_utf8_to_wide(opt->pipe_path);
  if (s->pipe_path == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "the pipe name is not valid UTF-8");
    goto done;
  }
  err = acl_sa_from_sddl(opt->sddl, &s->sa, e);
  if (err != WCTR_OK) goto done;
  wctr_mutex_lock(&s->lock);
  err = start_listener(s, TRUE, e);
  if (err == WCTR_OK) {
    s->sweep_active = true;
    err = wctr_ioc_timer_start(s->ioc, s->sweep_ms, sweep, s, &s->sweep_timer, e);
    if (err != WCTR_OK) s->sweep_active = false;
  }
  wctr_mutex_unlock(&s->lock);
done:
  if (err != WCTR_OK) {
    svc_server_stop(s, 5000);
    return err;
  }
  *out = s;
  return WCTR_OK;
}

wctr_err svc_server_pipe_sddl(svc_server *s, char *buf, size_t size, wctr_errmsg *e) {
  char *sddl = NULL;
  wctr_err err = WCTR_OK;
  wctr_mutex_lock(&s->lock);
  /* Every instance carries the same descriptor; any open one will do (a conn in the list is not freed, nor
   * its handle closed, before it has left the list under this lock). */
  HANDLE h = s->conns != NULL ? s->conns->pipe : NULL;
  if (h == NULL) {
    err = wctr_fail(e, WCTR_ESTATE, "no pipe instance is open");
  } else {
    err = acl_sddl_of_handle(h, SE_KERNEL_OBJECT, &sddl, e);
  }
  wctr_mutex_unlock(&s->lock);
  if (err == WCTR_OK && (size_t)snprintf(buf, size, "%s", sddl) >= size) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the pipe's descriptor is too long to show");
  }
  free(sddl);
  return err;
}

void svc_server_stop(svc_server *s, unsigned timeout_ms) {
  if (s == NULL) return;
  wctr_mutex_lock(&s->lock);
  s->stopping = true;
  /* Under the lock: a sweep that has fired is blocked on it and will see stopping; one that has not is
   * prevented here. Either way the timer is not used after its sweep returned. */
  if (s->sweep_timer != NULL && wctr_ioc_timer_cancel(s->sweep_timer)) s->sweep_active = false;
  s->sweep_timer = NULL;
  size_t count = 0;
  for (conn *c = s->conns; c != NULL; c = c->next) count++;
  conn **all = calloc(count > 0 ? count : 1, sizeof *all);
  size_t n = 0;
  for (conn *c = s->conns; c != NULL && all != NULL; c = c->next) {
    conn_ref(c);
    all[n++] = c;
  }
  wctr_mutex_unlock(&s->lock);
  for (size_t i = 0; i < n; i++) {
    conn *c = all[i];
    wctr_mutex_lock(&c->lock);
    bool listening = c->state == LISTENING;
    if (listening) CancelIoEx(c->pipe, &c->rreq.ov); /* its completion shuts it down */
    wctr_mutex_unlock(&c->lock);
    if (!listening) conn_shutdown(c, "wctrd stops");
    conn_unref(c);
  }
  free(all);
  /* Wait for the completions (and requests still on a worker) to release every connection. */
  uint64_t start = wctr_ioc_now_ms();
  for (;;) {
    wctr_mutex_lock(&s->lock);
    bool done = s->live == 0 && !s->sweep_active;
    wctr_mutex_unlock(&s->lock);
    if (done) break;
    if (wctr_ioc_now_ms() - start > timeout_ms) {
      /* A request is still being handled and will touch the server when it returns: leaking the server is
       * the safe choice, and the process is about to exit anyway. */
      wctr_log(WCTR_LOG_WARN, "pipe server: a request was still running after %u ms; leaving it", timeout_ms);
      return;
    }
    Sleep(5);
  }
  server_free(s);
}
