/* service/http_server_win.c - the Engine API's listeners and connections (contract in service/http_server.h).
 *
 * A connection (hconn) is a pipe instance or an accepted socket. Its I/O: at most one ConnectNamedPipe or
 * ReadFile of ours in flight (rreq), and the writer's (common/ioc_win.h) for everything sent. Its states:
 *   CONNECTING  a pipe instance waiting for a client
 *   OPEN        connected; a read is posted unless the session paused reading or the client's stream ended
 *   LINGER      the session asked to close and everything was flushed: the sending side is shut down and
 *               what the client still sends is read and dropped, until it hangs up or the linger expires
 *   DEAD        shut down; freed when the last reference goes
 * References: one while it is alive (dropped by conn_shutdown), one per read or connect in flight, the
 * session's (until conn->release), and temporary ones taken under the server lock (sweep, stop, eviction).
 * The handle is closed when the last one goes, so no call is ever made on a closed or reused handle.
 *
 * Locks: the server's (lists, counts), a connection's (its state), and a connection's feed lock, held by the
 * transport around every call it makes into the session (feed, eof, phase, gone: the session wants them one
 * at a time). Order: feed lock, then the session's own lock (inside those calls), then the connection's lock
 * (the session sends under its lock). The feed lock is never taken under the server or connection lock, and
 * never by a path the session can reach: conn->close(abort) posts the shutdown instead of doing it. */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "common/ioc_win.h"
#include "common/log.h"
#include "common/wstr.h"
#include "service/http_server.h"
#include "service/pipe_identity.h"
#include "service/svc_sys.h"

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#endif

/* ACCEPT_BATCH: connections accepted per wake-up before the worker yields (the rest follow in a posted job). */
enum { READ_CHUNK = 16 * 1024, PIPE_BUFFER = 64 * 1024, ACCEPT_RETRY_MS = 100, ACCEPT_BATCH = 32, SEND_BUFFER = 256 * 1024 };

typedef enum conn_state { ST_CONNECTING, ST_OPEN, ST_LINGER, ST_DEAD } conn_state;

typedef struct listener listener;

typedef struct drain_wait {
  struct drain_wait *next;
  size_t below;
  void (*fn)(void *arg);
  void *arg;
} drain_wait;

typedef struct hconn {
  svc_http_conn base; /* what the session holds */
  wctr_ioc_req rreq;  /* connect (pipes), then reads */
  svc_http_server *s;
  listener *l;
  HANDLE h;           /* the pipe, or the socket as a handle */
  bool socket;
  wctr_mutex lock;
  wctr_mutex feed_lock;
  conn_state state;
  /* state, published (Interlocked) for collect(), which walks the list under the server lock and must not
   * wait for a connection's lock: that is held across a large write (under Wine the whole message is
   * copied before WriteFile returns). */
  volatile LONG pub_state;
  volatile LONG refs; /* Interlocked: taken under the server lock without the connection's (collect) */
  bool counted;       /* counted in s->connected */
  bool read_pending;
  bool paused;        /* the session asked to stop reading */
  bool eof;           /* the client's stream ended */
  bool closing;       /* the session asked to close: linger once flushed */
  bool feeding;       /* feed lock: a call into the session is in progress on a read's thread */
  bool gone_called;   /* feed lock: svc_http_session_gone was called */
  svc_http_session *session; /* set once (a pipe's at its first bytes); gone tells it the end */
  uint64_t since;     /* when it connected (OPEN) or began to linger (LINGER) */
  char buf[READ_CHUNK];
  wctr_ioc_writer *writer;
  drain_wait *waits;
  struct hconn *prev, *next;
} hconn;

struct listener {
  svc_http_server *s;
  svc_api_address addr;
  /* npipe */
  wchar_t *pipe_path;
  hconn *waiting;     /* the instance waiting for a client (server lock) */
  /* tcp */
  SOCKET sock;
  int family;
  WSAEVENT event;      /* FD_ACCEPT (WSAEventSelect), waited for on the core */
  wctr_ioc_wait *wait; /* server lock: the wait armed, if any */
  char caller_name[320];
};

struct svc_http_server {
  wctr_ioc *ioc;
  svc_http_handler pipe_handler, tcp_handler;
  acl_sa sa;
  listener *listeners;
  size_t listener_count;
  unsigned max_connections, first_ms, request_ms, idle_ms, linger_ms, sweep_ms;
  wctr_mutex lock;
  bool stopping;
  bool wsa;            /* WSAStartup succeeded */
  hconn *conns;
  unsigned connected;
  unsigned live;       /* hconn structures allocated */
  unsigned accepts;    /* accept waits armed and accept rounds posted */
  wctr_ioc_timer *sweep_timer;
  bool sweep_active;
};

static void conn_shutdown(hconn *c, const char *why);
static const svc_http_conn_methods conn_methods;

/* Every change of a connection's state goes through here (with its lock held, or before it is shared). */
static void set_state(hconn *c, conn_state st) {
  c->state = st;
  InterlockedExchange(&c->pub_state, (LONG)st);
}
static bool post_read_locked(hconn *c);
static void arm_accept(listener *l);
static bool accept_batch(listener *l);
static wctr_err start_pipe_instance(listener *l, bool first, wctr_errmsg *e);

/* --- references ------------------------------------------------------------------------------------------- */

static void conn_ref(hconn *c) { InterlockedIncrement(&c->refs); }

/* The last reference is dropped under the server lock, where c also leaves the list: whoever finds c in
 * the list (under that lock) and takes a reference finds it at one or more, never at zero. */
static void conn_unref(hconn *c) {
  for (;;) {
    LONG refs = c->refs;
    if (refs == 1) break;
    if (InterlockedCompareExchange(&c->refs, refs - 1, refs) == refs) return;
  }
  svc_http_server *s = c->s;
  wctr_mutex_lock(&s->lock);
  LONG left = InterlockedDecrement(&c->refs);
  if (left > 0) { /* somebody took one meanwhile */
    wctr_mutex_unlock(&s->lock);
    return;
  }
  if (c->prev != NULL) c->prev->next = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  if (s->conns == c) s->conns = c->next;
  if (c->l != NULL && c->l->waiting == c) c->l->waiting = NULL;
  if (c->counted) s->connected--;
  s->live--;
  wctr_mutex_unlock(&s->lock);
  if (c->socket) {
    closesocket((SOCKET)c->h);
  } else {
    CloseHandle(c->h);
  }
  wctr_mutex_destroy(&c->feed_lock);
  wctr_mutex_destroy(&c->lock);
  free(c);
}

static hconn *conn_new(svc_http_server *s, listener *l, HANDLE h, bool socket) {
  hconn *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  if (wctr_mutex_init(&c->lock) != WCTR_OK) {
    free(c);
    return NULL;
  }
  if (wctr_mutex_init(&c->feed_lock) != WCTR_OK) {
    wctr_mutex_destroy(&c->lock);
    free(c);
    return NULL;
  }
  c->base.methods = &conn_methods;
  c->s = s;
  c->l = l;
  c->h = h;
  c->socket = socket;
  c->refs = 1; /* alive */
  c->since = wctr_ioc_now_ms();
  return c;
}

/* Links c into the server's list (server lock held). */
static void link_locked(svc_http_server *s, hconn *c) {
  c->next = s->conns;
  if (s->conns != NULL) s->conns->prev = c;
  s->conns = c;
  s->live++;
}

/* --- the connection as the session sees it ---------------------------------------------------------------- */

static wctr_err conn_send(svc_http_conn *base, char *data, size_t len) {
  hconn *c = (hconn *)base;
  wctr_mutex_lock(&c->lock);
  wctr_err err = WCTR_EPIPE;
  if (c->state == ST_OPEN && c->writer != NULL) {
    err = wctr_ioc_writer_write(c->writer, data, len, true);
    data = NULL;
  }
  wctr_mutex_unlock(&c->lock);
  free(data);
  return err;
}

static size_t conn_queued(svc_http_conn *base) {
  hconn *c = (hconn *)base;
  wctr_mutex_lock(&c->lock);
  size_t n = c->writer != NULL && c->state != ST_DEAD ? wctr_ioc_writer_queued(c->writer) : 0;
  wctr_mutex_unlock(&c->lock);
  return n;
}

static void conn_when_drained(svc_http_conn *base, size_t below, void (*fn)(void *arg), void *arg) {
  hconn *c = (hconn *)base;
  drain_wait *d = malloc(sizeof *d);
  wctr_mutex_lock(&c->lock);
  bool now = d == NULL || c->state == ST_DEAD || c->writer == NULL || wctr_ioc_writer_queued(c->writer) <= below;
  if (!now) {
    *d = (drain_wait){.next = c->waits, .below = below, .fn = fn, .arg = arg};
    c->waits = d;
    d = NULL;
  }
  wctr_mutex_unlock(&c->lock);
  if (now && !wctr_ioc_post(c->s->ioc, fn, arg)) wctr_log(WCTR_LOG_ERROR, "engine api server: a drain waiter could not be run");
  free(d);
}

/* Everything is flushed after the session asked to close: shut the sending side, read until the client
 * hangs up (or the linger expires). Connection lock held; true when it must be shut down now instead. */
static bool begin_linger_locked(hconn *c) {
  set_state(c, ST_LINGER);
  c->since = wctr_ioc_now_ms();
  if (c->socket) shutdown((SOCKET)c->h, SD_SEND);
  if (c->eof) return true;
  if (!c->read_pending && !post_read_locked(c)) return true;
  return false;
}

static void shutdown_job(void *arg) {
  hconn *c = arg;
  conn_shutdown(c, "closed by the session");
  conn_unref(c);
}

static void conn_close(svc_http_conn *base, bool graceful) {
  hconn *c = (hconn *)base;
  wctr_mutex_lock(&c->lock);
  bool shut = false;
  if (c->state == ST_OPEN && !c->closing) {
    c->closing = true;
    if (!graceful) {
      shut = true;
    } else if (c->writer == NULL || wctr_ioc_writer_queued(c->writer) == 0) {
      shut = begin_linger_locked(c);
    }
    /* else: the writer's on_drain begins the linger once the queue is empty */
  } else if (!graceful && c->state != ST_DEAD) {
    shut = true;
  }
  if (shut) InterlockedIncrement(&c->refs); /* the shutdown job's */
  wctr_mutex_unlock(&c->lock);
  /* Never inline: the session may be calling from inside feed, under the feed lock the shutdown takes. */
  if (shut && !wctr_ioc_post(c->s->ioc, shutdown_job, c)) shutdown_job(c);
}

static void conn_resume(svc_http_conn *base) {
  hconn *c = (hconn *)base;
  wctr_mutex_lock(&c->lock);
  c->paused = false;
  bool shut = false;
  if (c->state == ST_OPEN && !c->read_pending && !c->eof) shut = !post_read_locked(c);
  if (shut) InterlockedIncrement(&c->refs);
  wctr_mutex_unlock(&c->lock);
  if (shut && !wctr_ioc_post(c->s->ioc, shutdown_job, c)) shutdown_job(c);
}

static void conn_release(svc_http_conn *base) { conn_unref((hconn *)base); }

static const svc_http_conn_methods conn_methods = {
    .version = 1,
    .send = conn_send,
    .queued = conn_queued,
    .when_drained = conn_when_drained,
    .close = conn_close,
    .resume = conn_resume,
    .release = conn_release,
};

/* --- the writer's callbacks --------------------------------------------------------------------------------- */

static void run_posted(svc_http_server *s, drain_wait *list) {
  while (list != NULL) {
    drain_wait *d = list;
    list = d->next;
    if (!wctr_ioc_post(s->ioc, d->fn, d->arg)) d->fn(d->arg);
    free(d);
  }
}

static void on_writer_drain(void *ctx) {
  hconn *c = ctx;
  wctr_mutex_lock(&c->lock);
  if (c->state == ST_DEAD || c->writer == NULL) {
    wctr_mutex_unlock(&c->lock);
    return;
  }
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
  if (c->state == ST_OPEN && c->closing && queued == 0) shut = begin_linger_locked(c);
  if (shut) InterlockedIncrement(&c->refs);
  wctr_mutex_unlock(&c->lock);
  run_posted(c->s, ready);
  if (shut) shutdown_job(c);
}

static void on_writer_error(void *ctx, DWORD error) {
  (void)error; /* the client left */
  hconn *c = ctx;
  wctr_mutex_lock(&c->lock);
  bool alive = c->state != ST_DEAD;
  if (alive) InterlockedIncrement(&c->refs);
  wctr_mutex_unlock(&c->lock);
  /* Posted: the shutdown closes this writer, which waits for its callbacks - this one included. */
  if (alive && !wctr_ioc_post(c->s->ioc, shutdown_job, c)) {
    InterlockedDecrement(&c->refs); /* not the last: the connection is alive */
  }
}

/* --- shutting down ---------------------------------------------------------------------------------------------- */

/* Idempotent. Never called with a lock held, nor from inside the session. */
static void conn_shutdown(hconn *c, const char *why) {
  wctr_mutex_lock(&c->lock);
  if (c->state == ST_DEAD) {
    wctr_mutex_unlock(&c->lock);
    return;
  }
  wctr_log(WCTR_LOG_DEBUG, "engine api server: closing a connection (%s): %s", c->l != NULL ? c->l->addr.text : "?", why);
  bool was_connecting = c->state == ST_CONNECTING;
  set_state(c, ST_DEAD);
  wctr_ioc_writer *w = c->writer;
  c->writer = NULL;
  drain_wait *waits = c->waits;
  c->waits = NULL;
  if (c->read_pending) CancelIoEx(c->h, &c->rreq.ov);
  wctr_mutex_unlock(&c->lock);
  (void)was_connecting;
  wctr_ioc_writer_close(w, false, false);
  run_posted(c->s, waits);
  wctr_mutex_lock(&c->feed_lock);
  svc_http_session *session = NULL;
  if (!c->feeding && !c->gone_called && c->session != NULL) {
    c->gone_called = true;
    session = c->session;
  }
  wctr_mutex_unlock(&c->feed_lock);
  /* A read's thread that is feeding the session calls gone itself once it returns. */
  if (session != NULL) svc_http_session_gone(session);
  conn_unref(c); /* alive */
}

/* --- reading ------------------------------------------------------------------------------------------------------- */

static void on_read(wctr_ioc_req *req, DWORD bytes, DWORD error);

static bool post_read_locked(hconn *c) {
  WCTR_ASSERT_HELD(&c->lock);
  if (c->read_pending) return true;
  if (c->s->stopping || c->state == ST_DEAD) return false;
  memset(&c->rreq.ov, 0, sizeof c->rreq.ov);
  c->rreq.done = on_read;
  c->read_pending = true;
  InterlockedIncrement(&c->refs);
  if (!ReadFile(c->h, c->buf, READ_CHUNK, NULL, &c->rreq.ov)) {
    DWORD code = GetLastError();
    if (code != ERROR_IO_PENDING && code != ERROR_MORE_DATA) {
      c->read_pending = false;
      InterlockedDecrement(&c->refs);
      return false;
    }
  }
  return true;
}

static bool end_of_stream(DWORD error) {
  return error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED || error == ERROR_NO_DATA ||
         error == ERROR_NETNAME_DELETED || error == ERROR_CONNECTION_ABORTED || error == ERROR_OPERATION_ABORTED ||
         error == WSAECONNRESET || error == ERROR_HANDLE_EOF;
}

/* The session of a pipe connection, made at its first bytes: the caller is known only once something was
 * read (Windows' rule for impersonation). Feed lock held. */
static bool ensure_session_locked(hconn *c) {
  if (c->session != NULL) return true;
  svc_http_options o = {.ioc = c->s->ioc, .handler = c->s->pipe_handler};
  if (!svc_pipe_identify(c->h, &o.caller)) {
    wctr_log(WCTR_LOG_WARN, "engine api server: a client of %s could not be identified; disconnected", c->l->addr.text);
    return false;
  }
  wctr_errmsg e;
  conn_ref(c); /* the session's, until conn->release */
  if (svc_http_session_new(&o, &c->base, &c->session, &e) != WCTR_OK) {
    conn_unref(c);
    wctr_log(WCTR_LOG_ERROR, "engine api server: %s", e.text);
    return false;
  }
  return true;
}

static void on_read(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  hconn *c = (hconn *)((char *)req - offsetof(hconn, rreq));
  bool shut = false;
  bool feed = false;
  bool eof = false;
  wctr_mutex_lock(&c->lock);
  c->read_pending = false;
  if (c->state == ST_DEAD) {
    /* cancelled by the shutdown */
  } else if (error != ERROR_SUCCESS && error != ERROR_MORE_DATA) {
    shut = true;
    if (!end_of_stream(error)) wctr_log(WCTR_LOG_DEBUG, "engine api server: a read failed (error %lu)", (unsigned long)error);
  } else if (c->state == ST_LINGER) {
    /* what the client still sends after the answer is dropped; its end is the close */
    if (bytes == 0 && c->socket) {
      shut = true;
    } else {
      shut = !post_read_locked(c);
    }
  } else if (bytes == 0) {
    if (c->socket) {
      c->eof = true; /* the client shut down its sending side; the answer may still go out */
      eof = true;
    } else {
      shut = !post_read_locked(c);
    }
  } else {
    feed = true;
  }
  wctr_mutex_unlock(&c->lock);
  if (feed || eof) {
    wctr_mutex_lock(&c->feed_lock);
    bool go_on = true;
    if (c->gone_called) {
      /* the shutdown got there first */
    } else if (!ensure_session_locked(c)) {
      shut = true;
    } else {
      c->feeding = true;
      wctr_mutex_unlock(&c->feed_lock);
      if (feed) {
        go_on = svc_http_session_feed(c->session, c->buf, bytes);
      } else {
        svc_http_session_eof(c->session);
      }
      wctr_mutex_lock(&c->feed_lock);
      c->feeding = false;
    }
    wctr_mutex_unlock(&c->feed_lock);
    wctr_mutex_lock(&c->lock);
    bool dead = c->state == ST_DEAD;
    if (!dead && !shut && feed) {
      if (go_on && !c->paused) {
        shut = !post_read_locked(c);
      } else if (!go_on) {
        c->paused = true;
      }
    }
    wctr_mutex_unlock(&c->lock);
    if (dead) {
      /* The shutdown ran while this thread fed the session: it left gone to us. */
      wctr_mutex_lock(&c->feed_lock);
      svc_http_session *session = !c->gone_called && c->session != NULL ? c->session : NULL;
      c->gone_called = true;
      wctr_mutex_unlock(&c->feed_lock);
      if (session != NULL) svc_http_session_gone(session);
    }
  }
  if (shut) conn_shutdown(c, "the client left");
  conn_unref(c); /* this read's */
}

/* Writer and first read of a connection that was just accepted or connected. */
static bool open_locked(hconn *c, wctr_errmsg *e) {
  wctr_ioc_writer_options wo = {.on_drain = on_writer_drain, .low_water = 1, .on_error = on_writer_error, .ctx = c,
                                 .socket = c->socket};
  set_state(c, ST_OPEN);
  c->since = wctr_ioc_now_ms();
  if (wctr_ioc_writer_start(c->s->ioc, c->h, !c->socket, &wo, &c->writer, e) != WCTR_OK) return false;
  return post_read_locked(c);
}

/* --- eviction and timeouts ------------------------------------------------------------------------------------------- */

/* The session's phase, or FRESH for a pipe connection that has sent nothing (no session yet). */
static svc_http_phase phase_of(hconn *c, uint64_t *since) {
  wctr_mutex_lock(&c->feed_lock);
  svc_http_phase p = SVC_HTTP_FRESH;
  if (c->session != NULL && !c->gone_called) {
    p = svc_http_session_phase(c->session, since);
  } else {
    wctr_mutex_lock(&c->lock);
    *since = c->since;
    wctr_mutex_unlock(&c->lock);
  }
  wctr_mutex_unlock(&c->feed_lock);
  return p;
}

/* References to every open connection except skip (server lock taken here). */
static hconn **collect(svc_http_server *s, hconn *skip, size_t *n) {
  wctr_mutex_lock(&s->lock);
  size_t count = 0;
  for (hconn *c = s->conns; c != NULL; c = c->next) count++;
  hconn **all = calloc(count > 0 ? count : 1, sizeof *all);
  *n = 0;
  for (hconn *c = s->conns; all != NULL && c != NULL; c = c->next) {
    if (c == skip) continue;
    LONG st = InterlockedCompareExchange(&c->pub_state, 0, 0);
    if (st != ST_OPEN && st != ST_LINGER) continue;
    conn_ref(c);
    all[(*n)++] = c;
  }
  wctr_mutex_unlock(&s->lock);
  return all;
}

/* At the cap: close the connection idle (or silent) the longest to admit newcomer. False when every other
 * connection is busy. */
static bool evict_for(svc_http_server *s, hconn *newcomer) {
  size_t n = 0;
  hconn **all = collect(s, newcomer, &n);
  hconn *victim = NULL;
  uint64_t oldest = UINT64_MAX;
  for (size_t i = 0; i < n; i++) {
    uint64_t since = 0;
    svc_http_phase p = phase_of(all[i], &since);
    if ((p == SVC_HTTP_FRESH || p == SVC_HTTP_IDLE) && since < oldest) {
      oldest = since;
      victim = all[i];
    }
  }
  if (victim != NULL) {
    wctr_log(WCTR_LOG_INFO, "engine api server: closing the connection idle the longest to admit a new client");
    conn_shutdown(victim, "evicted");
  }
  for (size_t i = 0; i < n; i++) conn_unref(all[i]);
  free(all);
  return victim != NULL;
}

/* Counts a new connection; at the cap another makes room, or the new one is refused. */
static bool admit(svc_http_server *s, hconn *c) {
  wctr_mutex_lock(&s->lock);
  s->connected++;
  c->counted = true;
  bool over = s->connected > s->max_connections;
  wctr_mutex_unlock(&s->lock);
  if (!over) return true;
  return evict_for(s, c);
}

static void sweep(void *arg) {
  svc_http_server *s = arg;
  wctr_mutex_lock(&s->lock);
  s->sweep_timer = NULL;
  bool stopping = s->stopping;
  if (stopping) s->sweep_active = false;
  wctr_mutex_unlock(&s->lock);
  if (stopping) return;
  size_t n = 0;
  hconn **all = collect(s, NULL, &n);
  for (size_t i = 0; i < n; i++) {
    hconn *c = all[i];
    wctr_mutex_lock(&c->lock);
    bool lingering = c->state == ST_LINGER;
    uint64_t linger_since = c->since;
    wctr_mutex_unlock(&c->lock);
    const char *why = NULL;
    /* The clock is read after the state's start (never before: a phase that began while this sweep waited
     * for a lock would otherwise look ages old, its age wrapping below zero). */
    if (lingering) {
      uint64_t now = wctr_ioc_now_ms();
      if (now > linger_since && now - linger_since > s->linger_ms) why = "linger over";
    } else {
      uint64_t since = 0;
      svc_http_phase p = phase_of(c, &since);
      uint64_t now = wctr_ioc_now_ms();
      uint64_t age = now > since ? now - since : 0;
      if (p == SVC_HTTP_FRESH && age > s->first_ms) why = "nothing received";
      if (p == SVC_HTTP_IDLE && age > s->idle_ms) why = "idle";
      if (p == SVC_HTTP_READING && age > s->request_ms) why = "the request did not arrive in time";
      if (p == SVC_HTTP_CLOSING && age > s->idle_ms) why = "the answer was not taken";
    }
    if (why != NULL) conn_shutdown(c, why);
    conn_unref(c);
  }
  free(all);
  /* A connection whose FD_ACCEPT never came (or was consumed by a round that ended early) waits at most one
   * sweep: the listeners are polled here too. Once, under Wine 8 and a loaded machine, a wctrd stopped
   * accepting for good after the Engine API e2e's burst of misbehaving clients (every later client stayed in
   * the backlog; the cause was not found): this bounds any such lost wake-up. The stop waits for this sweep
   * before it closes the listeners. */
  for (size_t i = 0; s->listeners != NULL && i < s->listener_count; i++) {
    if (s->listeners[i].sock != INVALID_SOCKET) (void)accept_batch(&s->listeners[i]);
  }
  wctr_errmsg e;
  wctr_mutex_lock(&s->lock);
  if (s->stopping || wctr_ioc_timer_start(s->ioc, s->sweep_ms, sweep, s, &s->sweep_timer, &e) != WCTR_OK) {
    if (!s->stopping) wctr_log(WCTR_LOG_ERROR, "engine api server: idle connections will not time out: %s", e.text);
    s->sweep_active = false;
  }
  wctr_mutex_unlock(&s->lock);
}

/* --- named pipes ---------------------------------------------------------------------------------------------------- */

static void on_connect(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  (void)bytes;
  hconn *c = (hconn *)((char *)req - offsetof(hconn, rreq));
  svc_http_server *s = c->s;
  listener *l = c->l;
  bool ok = error == ERROR_SUCCESS || error == ERROR_PIPE_CONNECTED;
  wctr_mutex_lock(&s->lock);
  if (l->waiting == c) l->waiting = NULL;
  bool stopping = s->stopping;
  wctr_mutex_unlock(&s->lock);
  if (!stopping) {
    wctr_errmsg e;
    if (start_pipe_instance(l, false, &e) != WCTR_OK) {
      wctr_log(WCTR_LOG_ERROR, "engine api server: %s stops accepting: %s", l->addr.text, e.text);
    }
  }
  bool keep = ok && !stopping && admit(s, c);
  if (keep) {
    wctr_errmsg e;
    wctr_mutex_lock(&c->lock);
    keep = c->state == ST_CONNECTING && open_locked(c, &e);
    wctr_mutex_unlock(&c->lock);
  }
  if (!ok && !stopping && error != ERROR_OPERATION_ABORTED) {
    wctr_log(WCTR_LOG_WARN, "engine api server: a connection to %s failed (error %lu)", l->addr.text, (unsigned long)error);
  }
  if (!keep) conn_shutdown(c, "not admitted");
  conn_unref(c); /* the connect's */
}

/* A client that connected between CreateNamedPipe and ConnectNamedPipe gets no packet: one is posted. */
static wctr_err start_pipe_instance(listener *l, bool first, wctr_errmsg *e) {
  svc_http_server *s = l->s;
  if (first && (WaitNamedPipeW(l->pipe_path, 1) || GetLastError() != ERROR_FILE_NOT_FOUND)) {
    return wctr_fail(e, WCTR_EBUSY, "the pipe of %s is already in use (is another wctrd or dockerd running with it?)",
                     l->addr.text);
  }
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  HANDLE h = svc_sys.CreateNamedPipeW(l->pipe_path, open_mode,
                                      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                      PIPE_UNLIMITED_INSTANCES, PIPE_BUFFER, PIPE_BUFFER, 0, &s->sa.sa);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    if (first && (code == ERROR_ACCESS_DENIED || code == ERROR_PIPE_BUSY)) {
      return wctr_fail(e, WCTR_EBUSY, "the pipe of %s is already in use (is another wctrd or dockerd running with it?)",
                       l->addr.text);
    }
    return wctr_fail(e, wctr_log_win32("CreateNamedPipeW", code, "%s", l->addr.text), "cannot create the pipe of %s "
                     "(error %lu)", l->addr.text, (unsigned long)code);
  }
  hconn *c = conn_new(s, l, h, false);
  if (c == NULL) {
    CloseHandle(h);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  wctr_err err = wctr_ioc_associate(s->ioc, h, e);
  if (err != WCTR_OK) {
    c->refs = 0;
    wctr_mutex_destroy(&c->feed_lock);
    wctr_mutex_destroy(&c->lock);
    CloseHandle(h);
    free(c);
    return err;
  }
  set_state(c, ST_CONNECTING);
  c->refs = 2; /* alive, and the connect */
  c->rreq.done = on_connect;
  wctr_mutex_lock(&s->lock);
  link_locked(s, c);
  l->waiting = c;
  wctr_mutex_unlock(&s->lock);
  if (!ConnectNamedPipe(h, &c->rreq.ov)) {
    DWORD code = GetLastError();
    if (code == ERROR_PIPE_CONNECTED) {
      wctr_ioc_post_req(s->ioc, &c->rreq, 0, ERROR_SUCCESS);
    } else if (code != ERROR_IO_PENDING) {
      wctr_ioc_post_req(s->ioc, &c->rreq, 0, code);
    }
  }
  return WCTR_OK;
}

/* --- TCP --------------------------------------------------------------------------------------------------------------- */

/* A connection accepted: it loses the listening socket's event selection and non-blocking mode (Winsock
 * gives an accepted socket the listener's properties), then becomes a connection with a session. */
static void setup_accepted(listener *l, SOCKET as) {
  svc_http_server *s = l->s;
  WSAEventSelect(as, NULL, 0);
  u_long blocking = 0;
  ioctlsocket(as, FIONBIO, &blocking);
  BOOL nodelay = TRUE; /* small answers go out at once, not after the peer's delayed acknowledgement */
  setsockopt(as, IPPROTO_TCP, TCP_NODELAY, (const char *)&nodelay, sizeof nodelay);
  /* A list of 200 containers is a 63 KB answer: with the 16 KiB send buffer a socket starts with under Wine
   * (Linux's tcp_wmem), it could not be taken in one write, and the list took 3.5 ms instead of 1.4
   * (BENCHMARKS.md). The writer still bounds what a client may leave unread. */
  int sndbuf = SEND_BUFFER;
  setsockopt(as, SOL_SOCKET, SO_SNDBUF, (const char *)&sndbuf, sizeof sndbuf);
  /* Besides WSA_FLAG_NO_HANDLE_INHERIT on the listener, for a Windows (or Wine) that does not pass it on: a
   * container must never hold a client's connection open. */
  SetHandleInformation((HANDLE)as, HANDLE_FLAG_INHERIT, 0);
  hconn *c = conn_new(s, l, (HANDLE)as, true);
  if (c == NULL) {
    closesocket(as);
    return;
  }
  wctr_mutex_lock(&s->lock);
  link_locked(s, c);
  wctr_mutex_unlock(&s->lock);
  bool keep = admit(s, c);
  wctr_errmsg e;
  if (keep) {
    svc_http_options o = {.ioc = s->ioc, .handler = s->tcp_handler};
    snprintf(o.caller.name, sizeof o.caller.name, "%s", l->caller_name);
    conn_ref(c); /* the session's */
    wctr_mutex_lock(&c->feed_lock);
    if (svc_http_session_new(&o, &c->base, &c->session, &e) != WCTR_OK) {
      wctr_log(WCTR_LOG_ERROR, "engine api server: %s", e.text);
      keep = false;
    }
    wctr_mutex_unlock(&c->feed_lock);
    if (!keep) conn_unref(c);
  }
  if (keep) {
    wctr_mutex_lock(&c->lock);
    keep = open_locked(c, &e);
    wctr_mutex_unlock(&c->lock);
  }
  if (!keep) conn_shutdown(c, "not admitted");
}

/* Accepts what waits on a TCP listener (non-blocking accept), a batch at most; true when the batch filled up
 * (more may wait). A connection its client reset before it was accepted (WSAECONNRESET, as Winsock documents
 * it for accept) is passed over: the ones behind it still wait, and their FD_ACCEPT may be consumed already. */
bool (*svc_http_accept_skip_hook)(void) = NULL;

static bool accept_batch(listener *l) {
  svc_http_server *s = l->s;
  for (int n = 0; n < ACCEPT_BATCH; n++) {
    wctr_mutex_lock(&s->lock);
    bool stopping = s->stopping;
    wctr_mutex_unlock(&s->lock);
    if (stopping) return false;
    SOCKET as = accept(l->sock, NULL, NULL);
    if (as == INVALID_SOCKET) {
      int code = WSAGetLastError();
      if (code == WSAECONNRESET) continue;
      if (code != WSAEWOULDBLOCK) {
        wctr_log(WCTR_LOG_WARN, "engine api server: accepting on %s failed (error %d)", l->addr.text, code);
      }
      return false;
    }
    setup_accepted(l, as);
  }
  return true;
}

/* FD_ACCEPT: accept what is waiting (non-blocking accept on the listener), a batch at a time. AcceptEx would
 * be the usual way; under Wine 8 each AcceptEx costs about 7 ms of the wineserver, a plain accept() a
 * twentieth of that, which is what keeps a burst of 300 connections from queueing everyone else. */
static void on_accept_ready(void *arg) {
  listener *l = arg;
  svc_http_server *s = l->s;
  wctr_mutex_lock(&s->lock);
  l->wait = NULL;
  bool stopping = s->stopping;
  wctr_mutex_unlock(&s->lock);
  bool more = false;
  if (!stopping) {
    WSANETWORKEVENTS ne;
    WSAEnumNetworkEvents(l->sock, l->event, &ne); /* resets the event */
    if (svc_http_accept_skip_hook == NULL || !svc_http_accept_skip_hook()) more = accept_batch(l);
  }
  if (more) {
    /* Others may be waiting and their FD_ACCEPT was already consumed: go on after the jobs queued meanwhile. */
    wctr_mutex_lock(&s->lock);
    s->accepts++; /* the posted round's */
    wctr_mutex_unlock(&s->lock);
    if (wctr_ioc_post(s->ioc, on_accept_ready, l)) {
      wctr_mutex_lock(&s->lock);
      s->accepts--; /* this round's */
      wctr_mutex_unlock(&s->lock);
      return;
    }
    wctr_mutex_lock(&s->lock);
    s->accepts--;
    wctr_mutex_unlock(&s->lock);
  }
  wctr_mutex_lock(&s->lock);
  s->accepts--;
  wctr_mutex_unlock(&s->lock);
  arm_accept(l);
}

/* Waits (on the core) for the next connection; accepts counts the wait or the posted round in flight. */
static void arm_accept(listener *l) {
  svc_http_server *s = l->s;
  wctr_errmsg e;
  wctr_mutex_lock(&s->lock);
  if (!s->stopping) {
    s->accepts++;
    if (wctr_ioc_wait_start(s->ioc, l->event, on_accept_ready, l, &l->wait, &e) != WCTR_OK) {
      s->accepts--;
      wctr_log(WCTR_LOG_ERROR, "engine api server: %s stops accepting: %s", l->addr.text, e.text);
    }
  }
  wctr_mutex_unlock(&s->lock);
}

static wctr_err open_tcp(listener *l, wctr_errmsg *e) {
  l->family = l->addr.ipv6 ? AF_INET6 : AF_INET;
  SOCKADDR_STORAGE ss;
  memset(&ss, 0, sizeof ss);
  int sslen = 0;
  if (l->addr.ipv6) {
    SOCKADDR_IN6 *a6 = (SOCKADDR_IN6 *)&ss;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(l->addr.port);
    a6->sin6_addr = in6addr_loopback;
    sslen = sizeof *a6;
  } else {
    SOCKADDR_IN *a4 = (SOCKADDR_IN *)&ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons(l->addr.port);
    if (inet_pton(AF_INET, l->addr.host, &a4->sin_addr) != 1) {
      return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" is not an IPv4 address", l->addr.text, l->addr.host);
    }
    sslen = sizeof *a4;
  }
  l->sock = WSASocketW(l->family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (l->sock == INVALID_SOCKET) {
    int code = WSAGetLastError();
    return wctr_fail(e, WCTR_ESYSTEM, "%s: cannot create a socket (error %d)", l->addr.text, code);
  }
  SetHandleInformation((HANDLE)l->sock, HANDLE_FLAG_INHERIT, 0);
  /* Nobody else may bind the same port while wctrd listens on it (SO_REUSEADDR squatting). */
  BOOL exclusive = TRUE;
  setsockopt(l->sock, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&exclusive, sizeof exclusive);
  if (bind(l->sock, (SOCKADDR *)&ss, sslen) != 0) {
    int code = WSAGetLastError();
    return wctr_fail(e, code == WSAEADDRINUSE ? WCTR_EBUSY : WCTR_ESYSTEM, "%s: cannot listen there: %s (error %d)",
                     l->addr.text, code == WSAEADDRINUSE ? "the port is in use" : "bind failed", code);
  }
  if (listen(l->sock, SOMAXCONN) != 0) {
    int code = WSAGetLastError();
    return wctr_fail(e, WCTR_ESYSTEM, "%s: listen failed (error %d)", l->addr.text, code);
  }
  l->event = WSACreateEvent();
  if (l->event == WSA_INVALID_EVENT || WSAEventSelect(l->sock, l->event, FD_ACCEPT) != 0) {
    int code = WSAGetLastError();
    return wctr_fail(e, WCTR_ESYSTEM, "%s: cannot wait for connections (error %d)", l->addr.text, code);
  }
  snprintf(l->caller_name, sizeof l->caller_name, "token holder on %s", l->addr.text);
  arm_accept(l);
  return WCTR_OK;
}

/* --- start and stop ------------------------------------------------------------------------------------------------------ */

wctr_err svc_http_server_start(const svc_http_server_options *opt, svc_http_server **out, wctr_errmsg *e) {
  *out = NULL;
  svc_http_server *s = calloc(1, sizeof *s);
  if (s == NULL || wctr_mutex_init(&s->lock) != WCTR_OK) {
    free(s);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  s->ioc = opt->ioc;
  s->pipe_handler = opt->pipe_handler;
  s->tcp_handler = opt->tcp_handler;
  s->max_connections = opt->max_connections != 0 ? opt->max_connections : SVC_HTTP_MAX_CONNECTIONS;
  s->first_ms = opt->first_request_timeout_ms != 0 ? opt->first_request_timeout_ms : SVC_HTTP_FIRST_REQUEST_MS;
  s->request_ms = opt->request_timeout_ms != 0 ? opt->request_timeout_ms : SVC_HTTP_REQUEST_MS;
  s->idle_ms = opt->idle_timeout_ms != 0 ? opt->idle_timeout_ms : SVC_HTTP_IDLE_MS;
  s->linger_ms = opt->linger_ms != 0 ? opt->linger_ms : SVC_HTTP_LINGER_MS;
  unsigned shortest = s->first_ms;
  if (s->request_ms < shortest) shortest = s->request_ms;
  if (s->idle_ms < shortest) shortest = s->idle_ms;
  if (s->linger_ms < shortest) shortest = s->linger_ms;
  s->sweep_ms = shortest / 4 < 20 ? 20 : shortest / 4 > 1000 ? 1000 : shortest / 4;
  wctr_err err = WCTR_OK;
  s->listeners = calloc(opt->count > 0 ? opt->count : 1, sizeof *s->listeners);
  if (s->listeners == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < opt->count; i++) {
    s->listeners[i].s = s;
    s->listeners[i].addr = opt->addresses[i];
    s->listeners[i].sock = INVALID_SOCKET;
    s->listeners[i].event = WSA_INVALID_EVENT;
  }
  s->listener_count = opt->count;
  bool any_pipe = false, any_tcp = false;
  for (size_t i = 0; i < opt->count; i++) {
    if (opt->addresses[i].kind == SVC_API_NPIPE) any_pipe = true;
    if (opt->addresses[i].kind == SVC_API_TCP) any_tcp = true;
  }
  if (any_pipe) {
    err = acl_sa_from_sddl(opt->sddl, &s->sa, e);
    if (err != WCTR_OK) goto done;
  }
  if (any_tcp) {
    WSADATA wsa;
    int rc = WSAStartup(MAKEWORD(2, 2), &wsa);
    if (rc != 0) {
      err = wctr_fail(e, WCTR_ESYSTEM, "cannot start Winsock (error %d)", rc);
      goto done;
    }
    s->wsa = true;
  }
  for (size_t i = 0; i < s->listener_count && err == WCTR_OK; i++) {
    listener *l = &s->listeners[i];
    if (l->addr.kind == SVC_API_NPIPE) {
      l->pipe_path = wctr_utf8_to_wide(l->addr.pipe_path);
      err = l->pipe_path == NULL ? wctr_fail(e, WCTR_ENOMEM, "out of memory") : start_pipe_instance(l, true, e);
    } else {
      err = open_tcp(l, e);
    }
  }
  if (err == WCTR_OK) {
    wctr_mutex_lock(&s->lock);
    s->sweep_active = true;
    err = wctr_ioc_timer_start(s->ioc, s->sweep_ms, sweep, s, &s->sweep_timer, e);
    if (err != WCTR_OK) s->sweep_active = false;
    wctr_mutex_unlock(&s->lock);
  }
done:
  if (err != WCTR_OK) {
    svc_http_server_stop(s, 5000);
    return err;
  }
  *out = s;
  return WCTR_OK;
}

void svc_http_server_stop(svc_http_server *s, unsigned timeout_ms) {
  if (s == NULL) return;
  wctr_mutex_lock(&s->lock);
  s->stopping = true;
  if (s->sweep_timer != NULL && wctr_ioc_timer_cancel(s->sweep_timer)) s->sweep_active = false;
  s->sweep_timer = NULL;
  wctr_mutex_unlock(&s->lock);
  /* No new connection: the waits for them are called off (a wait that fired already sees stopping). */
  for (size_t i = 0; s->listeners != NULL && i < s->listener_count; i++) {
    listener *l = &s->listeners[i];
    wctr_mutex_lock(&s->lock);
    wctr_ioc_wait *w = l->wait;
    l->wait = NULL;
    wctr_mutex_unlock(&s->lock);
    if (w != NULL && wctr_ioc_wait_cancel(w)) {
      wctr_mutex_lock(&s->lock);
      s->accepts--;
      wctr_mutex_unlock(&s->lock);
    }
  }
  size_t count = 0;
  wctr_mutex_lock(&s->lock);
  for (hconn *c = s->conns; c != NULL; c = c->next) count++;
  hconn **all = calloc(count > 0 ? count : 1, sizeof *all);
  size_t n = 0;
  for (hconn *c = s->conns; all != NULL && c != NULL; c = c->next) {
    conn_ref(c);
    all[n++] = c;
  }
  wctr_mutex_unlock(&s->lock);
  for (size_t i = 0; i < n; i++) {
    hconn *c = all[i];
    wctr_mutex_lock(&c->lock);
    bool connecting = c->state == ST_CONNECTING;
    if (connecting) CancelIoEx(c->h, &c->rreq.ov); /* its completion shuts it down */
    wctr_mutex_unlock(&c->lock);
    if (!connecting) conn_shutdown(c, "wctrd stops");
    conn_unref(c);
  }
  free(all);
  uint64_t start = wctr_ioc_now_ms();
  for (;;) {
    wctr_mutex_lock(&s->lock);
    bool done = s->live == 0 && !s->sweep_active && s->accepts == 0;
    wctr_mutex_unlock(&s->lock);
    if (done) break;
    if (wctr_ioc_now_ms() - start > timeout_ms) {
      wctr_log(WCTR_LOG_WARN, "engine api server: connections still open after %u ms; leaving them", timeout_ms);
      return;
    }
    Sleep(5);
  }
  for (size_t i = 0; s->listeners != NULL && i < s->listener_count; i++) {
    listener *l = &s->listeners[i];
    if (l->sock != INVALID_SOCKET) closesocket(l->sock);
    if (l->event != WSA_INVALID_EVENT) WSACloseEvent(l->event);
    free(l->pipe_path);
  }
  free(s->listeners);
  if (s->wsa) WSACleanup();
  acl_sa_free(&s->sa);
  wctr_mutex_destroy(&s->lock);
  free(s);
}
