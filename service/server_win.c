/* service/server_win.c - the named-pipe server: overlapped I/O on one completion port.
 *
 * Invariants that keep handles safe:
 *  - a connection has at most one I/O in flight (connect, read or write), and only the worker that
 *    receives that I/O's completion touches the connection next;
 *  - a pipe handle is closed only by that worker, after its I/O completed - never while a call on it
 *    is in flight; stop only cancels (CancelIoEx) and waits for the completions;
 *  - new I/O is started under the server lock after checking `stopping`, and stop sets `stopping` and
 *    cancels under the same lock, so no I/O can start after stop has passed a connection by. */
#include <windows.h>

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/acl_win.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/wstr.h"
#include "service/server.h"
#include "service/svc_sys.h"

enum { READ_CHUNK = 64 * 1024, PIPE_BUFFER = 64 * 1024, MAX_WORKERS = 16, STREAM_LINGER_MS = 5000 };

typedef enum conn_state { CONN_CONNECTING, CONN_READING, CONN_WRITING, CONN_STREAMING } conn_state;

/* Every OVERLAPPED the server hands to Windows starts with this header, so a worker can tell the
 * connection's own I/O from a stream thread's. A stream thread's I/O also carries the low bit in hEvent,
 * which tells Windows not to queue its completion at all; the tag is the guard where that is not
 * honoured. */
enum { IO_CONN = 0x434f4e4e, IO_STREAM = 0x5354524d };
typedef struct io_head {
  OVERLAPPED ov;
  uint32_t kind;
} io_head;

typedef struct conn {
  OVERLAPPED ov; /* first member: the completion's OVERLAPPED* is the connection */
  uint32_t kind; /* IO_CONN */
  svc_server *server;
  HANDLE pipe;
  conn_state state;
  char *buf;          /* the request being read */
  size_t len;         /* bytes of it kept */
  size_t cap;
  size_t total;       /* bytes of it received, kept or not */
  char *out;          /* the response being written */
  size_t out_len;
  BOOL close_after_write;
  BOOL identified;
  svc_caller caller;
  struct conn *prev, *next;
} conn;

struct svc_server {
  HANDLE port;
  wchar_t *pipe_path;
  acl_sa sa;
  svc_server_handler handler;
  void *ctx;
  unsigned max_connections;
  CRITICAL_SECTION lock;
  BOOL stopping;
  conn *conns;            /* every connection, listening or connected */
  conn *listener;         /* the instance waiting for the next client, if any */
  unsigned connected;
  HANDLE threads[MAX_WORKERS];
  unsigned thread_count;
  HANDLE cancel_event;    /* set by stop: stream operations waiting for long must give up */
};

static void conn_free(conn *c) {
  if (c == NULL) return;
  free(c->buf);
  cJSON_free(c->out);
  free(c);
}

/* True when some process already serves this pipe name. FILE_FLAG_FIRST_PIPE_INSTANCE closes the race
 * on Windows, but Wine 8 ignores that flag, and either way a clear "in use" beats a second server
 * sharing the name with the first. */
static BOOL pipe_exists(const wchar_t *path) {
  if (WaitNamedPipeW(path, 1)) return TRUE;
  return GetLastError() != ERROR_FILE_NOT_FOUND;
}

/* Creates a pipe instance and starts ConnectNamedPipe on it. Called with the lock held. */
static wctr_err start_listener(svc_server *s, BOOL first, wctr_errmsg *e) {
  if (first && pipe_exists(s->pipe_path)) {
    char *path = wctr_wide_to_utf8(s->pipe_path);
    wctr_err err = wctr_fail(e, WCTR_EBUSY, "the pipe %s is already in use (is another wctrd running with it?)",
                             path != NULL ? path : "?");
    free(path);
    return err;
  }
  conn *c = calloc(1, sizeof *c);
  if (c == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  c->kind = IO_CONN;
  c->server = s;
  c->state = CONN_CONNECTING;
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  c->pipe = svc_sys.CreateNamedPipeW(s->pipe_path, open_mode,
                                     PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT |
                                         PIPE_REJECT_REMOTE_CLIENTS,
                                     PIPE_UNLIMITED_INSTANCES, PIPE_BUFFER, PIPE_BUFFER, 0, &s->sa.sa);
  if (c->pipe == INVALID_HANDLE_VALUE) {
    DWORD code = GetLastError();
    free(c);
    char *path = wctr_wide_to_utf8(s->pipe_path);
    wctr_log_win32("CreateNamedPipeW", code, "pipe %s", path != NULL ? path : "?");
    wctr_err err;
    if (first && (code == ERROR_ACCESS_DENIED || code == ERROR_PIPE_BUSY)) {
      err = wctr_fail(e, WCTR_EBUSY, "the pipe %s is already in use (is another wctrd running with it?)",
                      path != NULL ? path : "?");
    } else {
      err = wctr_fail(e, wctr_from_win32(code), "cannot create the pipe %s (error %lu)",
                      path != NULL ? path : "?", (unsigned long)code);
    }
    free(path);
    return err;
  }
  if (CreateIoCompletionPort(c->pipe, s->port, 0, 0) == NULL) {
    wctr_err err = wctr_log_win32("CreateIoCompletionPort", GetLastError(), "associating a pipe instance");
    CloseHandle(c->pipe);
    free(c);
    return wctr_fail(e, err, "cannot attach the pipe to the completion port");
  }
  c->next = s->conns;
  if (s->conns != NULL) s->conns->prev = c;
  s->conns = c;
  s->listener = c;
  if (!ConnectNamedPipe(c->pipe, &c->ov)) {
    DWORD code = GetLastError();
    /* A client that connected between CreateNamedPipe and ConnectNamedPipe: no completion will be
     * queued for it, so queue one ourselves. */
    if (code == ERROR_PIPE_CONNECTED) {
      PostQueuedCompletionStatus(s->port, 0, 0, &c->ov);
    } else if (code != ERROR_IO_PENDING) {
      wctr_log_win32("ConnectNamedPipe", code, "waiting for a client");
      PostQueuedCompletionStatus(s->port, 0, 0, &c->ov); /* the worker sees the failure and closes it */
    }
  }
  return WCTR_OK;
}

/* Called by the worker that owns c, with no I/O in flight on it. */
static void conn_close(conn *c) {
  svc_server *s = c->server;
  EnterCriticalSection(&s->lock);
  if (c->prev != NULL) c->prev->next = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  if (s->conns == c) s->conns = c->next;
  if (s->listener == c) s->listener = NULL;
  if (c->state != CONN_CONNECTING) s->connected--;
  /* At the connection cap no instance listens; one that closes makes room again. */
  if (!s->stopping && s->listener == NULL && s->connected < s->max_connections) {
    wctr_errmsg e;
    if (start_listener(s, FALSE, &e) != WCTR_OK) wctr_log(WCTR_LOG_ERROR, "pipe server: %s", e.text);
  }
  LeaveCriticalSection(&s->lock);
  /* CloseHandle alone, never DisconnectNamedPipe: disconnecting throws away what the client has not read
   * yet, such as the access_denied answer sent just before closing. Instances are never reused, so
   * there is nothing to disconnect for. */
  CloseHandle(c->pipe);
  conn_free(c);
}

/* Starts the next read of the current message. Returns FALSE when the connection must be closed. */
static BOOL post_read(conn *c) {
  svc_server *s = c->server;
  if (c->len <= WCTR_PROTO_MAX_REQUEST && c->cap - c->len < READ_CHUNK) {
    size_t cap = c->len + READ_CHUNK;
    char *grown = realloc(c->buf, cap);
    if (grown == NULL) return FALSE;
    c->buf = grown;
    c->cap = cap;
  }
  /* Past the limit the rest of the message is read into the start of the buffer and dropped. */
  char *dst = c->len > WCTR_PROTO_MAX_REQUEST ? c->buf : c->buf + c->len;
  DWORD want = c->len > WCTR_PROTO_MAX_REQUEST ? READ_CHUNK : (DWORD)(c->cap - c->len);
  BOOL ok = TRUE;
  EnterCriticalSection(&s->lock);
  if (s->stopping) {
    ok = FALSE;
  } else {
    memset(&c->ov, 0, sizeof c->ov);
    c->state = CONN_READING;
    if (!ReadFile(c->pipe, dst, want, NULL, &c->ov)) {
      DWORD code = GetLastError();
      /* ERROR_MORE_DATA still queues a completion, which reports it again. */
      ok = code == ERROR_IO_PENDING || code == ERROR_MORE_DATA;
    }
  }
  LeaveCriticalSection(&s->lock);
  return ok;
}

static BOOL post_write(conn *c) {
  svc_server *s = c->server;
  BOOL ok = TRUE;
  EnterCriticalSection(&s->lock);
  if (s->stopping) {
    ok = FALSE;
  } else {
    memset(&c->ov, 0, sizeof c->ov);
    c->state = CONN_WRITING;
    if (!WriteFile(c->pipe, c->out, (DWORD)c->out_len, NULL, &c->ov)) ok = GetLastError() == ERROR_IO_PENDING;
  }
  LeaveCriticalSection(&s->lock);
  return ok;
}

/* Who is on the other end: impersonate the client just long enough to read its token. Needs a
 * message to have been read from the pipe first (Windows' rule). */
static BOOL identify_caller(conn *c) {
  HANDLE token = NULL;
  BYTE buf[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
  DWORD size = 0;
  wchar_t *sid_text = NULL;
  BOOL ok = FALSE;
  ULONG pid = 0;
  if (GetNamedPipeClientProcessId(c->pipe, &pid)) c->caller.pid = (uint32_t)pid;
  if (!svc_sys.ImpersonateNamedPipeClient(c->pipe)) {
    wctr_log_win32("ImpersonateNamedPipeClient", GetLastError(), "client pid %lu", (unsigned long)pid);
    return FALSE;
  }
  BOOL opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
  DWORD open_code = GetLastError();
  /* Reverting is not optional: a worker that kept the client's identity would serve the next client
   * with it. If it ever fails, the process must not go on. */
  if (!RevertToSelf()) {
    wctr_log_win32("RevertToSelf", GetLastError(), "after identifying a client; terminating");
    TerminateProcess(GetCurrentProcess(), 1);
  }
  if (!opened) {
    wctr_log_win32("OpenThreadToken", open_code, "client pid %lu", (unsigned long)pid);
    return FALSE;
  }
  if (!GetTokenInformation(token, TokenUser, buf, sizeof buf, &size)) {
    wctr_log_win32("GetTokenInformation", GetLastError(), "client pid %lu", (unsigned long)pid);
    goto done;
  }
  PSID sid = ((TOKEN_USER *)buf)->User.Sid;
  if (!ConvertSidToStringSidW(sid, &sid_text) ||
      WideCharToMultiByte(CP_UTF8, 0, sid_text, -1, c->caller.sid, sizeof c->caller.sid, NULL, NULL) <= 0) {
    goto done;
  }
  acl_account_name(sid, c->caller.name, sizeof c->caller.name);
  /* An impersonation token, as CheckTokenMembership wants: counts only an enabled Administrators group,
   * so a UAC-filtered (deny-only) administrator is not one. */
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD admins_size = sizeof admins;
  BOOL member = FALSE;
  c->caller.admin = CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &admins_size) &&
                    CheckTokenMembership(token, admins, &member) && member;
  ok = TRUE;
done:
  if (sid_text != NULL) LocalFree(sid_text);
  CloseHandle(token);
  return ok;
}

/* --- stream operations ------------------------------------------------------------------------------ */

typedef struct stream_conn {
  conn *c;
  svc_reply reply;
  HANDLE read_event;
  HANDLE write_event;
  CRITICAL_SECTION write_lock; /* frames may come from several threads of the operation */
} stream_conn;

static void conn_close(conn *c);

/* Waits for an overlapped call on the stream's own event. Timeout: cancel and wait for the cancellation
 * to land, so the OVERLAPPED can be reused. */
static DWORD stream_io_wait(HANDLE pipe, io_head *io, BOOL started, DWORD *bytes, DWORD timeout_ms) {
  DWORD code = started ? ERROR_SUCCESS : GetLastError();
  if (!started && code != ERROR_IO_PENDING && code != ERROR_MORE_DATA) return code;
  HANDLE event = (HANDLE)((ULONG_PTR)io->ov.hEvent & ~(ULONG_PTR)1);
  if (!started && code == ERROR_IO_PENDING && WaitForSingleObject(event, timeout_ms) == WAIT_TIMEOUT) {
    CancelIoEx(pipe, &io->ov);
    GetOverlappedResult(pipe, &io->ov, bytes, TRUE);
    return WAIT_TIMEOUT;
  }
  if (!GetOverlappedResult(pipe, &io->ov, bytes, TRUE)) return GetLastError();
  return ERROR_SUCCESS;
}

static void stream_io_init(io_head *io, HANDLE event) {
  memset(io, 0, sizeof *io);
  io->kind = IO_STREAM;
  ResetEvent(event);
  io->ov.hEvent = (HANDLE)((ULONG_PTR)event | 1);
}

static wctr_err stream_send(void *ctx, const char *msg, size_t len) {
  stream_conn *sc = ctx;
  io_head io;
  DWORD bytes = 0;
  EnterCriticalSection(&sc->write_lock);
  stream_io_init(&io, sc->write_event);
  BOOL started = WriteFile(sc->c->pipe, msg, (DWORD)len, NULL, &io.ov);
  DWORD code = stream_io_wait(sc->c->pipe, &io, started, &bytes, INFINITE);
  LeaveCriticalSection(&sc->write_lock);
  if (code != ERROR_SUCCESS) return WCTR_EPIPE;
  return bytes == len ? WCTR_OK : WCTR_EIO;
}

static wctr_err stream_recv(void *ctx, char **msg, size_t *len, unsigned timeout_ms) {
  stream_conn *sc = ctx;
  size_t cap = READ_CHUNK;
  size_t have = 0;
  char *buf = malloc(cap);
  *msg = NULL;
  if (buf == NULL) return WCTR_ENOMEM;
  for (;;) {
    io_head io;
    DWORD bytes = 0;
    stream_io_init(&io, sc->read_event);
    BOOL started = ReadFile(sc->c->pipe, buf + have, (DWORD)(cap - have), NULL, &io.ov);
    DWORD code = stream_io_wait(sc->c->pipe, &io, started, &bytes, timeout_ms);
    have += bytes;
    if (code == ERROR_SUCCESS) break;
    if (code != ERROR_MORE_DATA || cap > WCTR_PROTO_MAX_REQUEST) {
      free(buf);
      return code == WAIT_TIMEOUT ? WCTR_ETIMEDOUT : code == ERROR_MORE_DATA ? WCTR_ETOOBIG : WCTR_EPIPE;
    }
    char *grown = realloc(buf, cap * 2);
    if (grown == NULL) {
      free(buf);
      return WCTR_ENOMEM;
    }
    buf = grown;
    cap *= 2;
  }
  *msg = buf;
  *len = have;
  return WCTR_OK;
}

static DWORD WINAPI stream_main(LPVOID arg) {
  stream_conn *sc = arg;
  svc_stream stream = {.ctx = sc, .send = stream_send, .recv = stream_recv, .cancel_event = sc->c->server->cancel_event};
  sc->reply.stream_fn(sc->reply.stream_arg, &stream);
  /* Closing the pipe throws away what the client has not read yet (DisconnectNamedPipe's rule), so the
   * final response could be lost. Wait, briefly, for the client to read it and hang up. */
  char *ignored = NULL;
  size_t ignored_len = 0;
  if (stream_recv(sc, &ignored, &ignored_len, STREAM_LINGER_MS) == WCTR_OK) free(ignored);
  conn *c = sc->c;
  CloseHandle(sc->read_event);
  CloseHandle(sc->write_event);
  DeleteCriticalSection(&sc->write_lock);
  free(sc);
  conn_close(c);
  return 0;
}

/* Lends the connection to a stream operation's thread. Returns FALSE when that cannot start (the
 * connection is then closed, and the operation's argument released by running it against a dead
 * stream is not possible: it is simply leaked only when the thread cannot be created). */
static BOOL start_stream(conn *c, svc_reply *reply) {
  stream_conn *sc = calloc(1, sizeof *sc);
  if (sc == NULL) return FALSE;
  sc->c = c;
  sc->reply = *reply;
  sc->read_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  sc->write_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  InitializeCriticalSection(&sc->write_lock);
  c->len = 0;
  c->total = 0;
  EnterCriticalSection(&c->server->lock);
  BOOL stopping = c->server->stopping;
  c->state = CONN_STREAMING;
  LeaveCriticalSection(&c->server->lock);
  HANDLE thread = NULL;
  if (!stopping && sc->read_event != NULL && sc->write_event != NULL) {
    thread = CreateThread(NULL, 0, stream_main, sc, 0, NULL);
  }
  if (thread == NULL) {
    if (sc->read_event != NULL) CloseHandle(sc->read_event);
    if (sc->write_event != NULL) CloseHandle(sc->write_event);
    DeleteCriticalSection(&sc->write_lock);
    free(sc);
    wctr_log(WCTR_LOG_ERROR, "pipe server: cannot start a stream operation");
    return FALSE;
  }
  CloseHandle(thread);
  return TRUE; /* the stream thread owns the connection now; the worker does nothing more with it */
}

/* A whole message has arrived: answer it. Returns FALSE when the connection must be closed. */
static BOOL handle_message(conn *c) {
  svc_server *s = c->server;
  if (!c->identified) {
    c->identified = identify_caller(c);
    if (!c->identified) {
      c->out = wctr_response_format_error(FALSE, 0, WCTR_EACCES, "wctrd could not identify the caller",
                                          &c->out_len);
      c->close_after_write = TRUE;
      return c->out != NULL && post_write(c);
    }
  }
  if (c->total > WCTR_PROTO_MAX_REQUEST) {
    char text[160];
    snprintf(text, sizeof text, "request of %zu bytes is larger than the limit of %u bytes", c->total,
             WCTR_PROTO_MAX_REQUEST);
    wctr_log(WCTR_LOG_INFO, "refused a request of %zu bytes from %s (pid %u)", c->total, c->caller.name,
             c->caller.pid);
    c->out = wctr_response_format_error(FALSE, 0, WCTR_ETOOBIG, text, &c->out_len);
  } else {
    svc_reply reply;
    s->handler(s->ctx, &c->caller, c->buf, c->len, &reply);
    /* A request may carry a secret's value (secret.create): none stays in the reused buffer. */
    SecureZeroMemory(c->buf, c->len);
    if (reply.stream_fn != NULL) return start_stream(c, &reply);
    c->out = reply.response;
    c->out_len = reply.len;
  }
  c->len = 0;
  c->total = 0;
  if (c->cap > 4 * READ_CHUNK) { /* give back what a large request took */
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
  }
  return c->out != NULL && post_write(c);
}

/* Processes one completion for c. Returns FALSE when the connection must be closed. */
static BOOL on_completion(conn *c, BOOL ok, DWORD bytes, DWORD code) {
  svc_server *s = c->server;
  switch (c->state) {
    case CONN_CONNECTING: {
      if (!ok && code != ERROR_PIPE_CONNECTED) return FALSE;
      EnterCriticalSection(&s->lock);
      if (s->listener == c) s->listener = NULL;
      s->connected++;
      c->state = CONN_READING;
      if (!s->stopping && s->connected < s->max_connections) {
        wctr_errmsg e;
        if (start_listener(s, FALSE, &e) != WCTR_OK) wctr_log(WCTR_LOG_ERROR, "pipe server: %s", e.text);
      }
      LeaveCriticalSection(&s->lock);
      return post_read(c);
    }
    case CONN_READING:
      if (!ok && code != ERROR_MORE_DATA) return FALSE; /* the client went away */
      c->total += bytes;
      if (c->len <= WCTR_PROTO_MAX_REQUEST) c->len += bytes;
      if (!ok) return post_read(c); /* ERROR_MORE_DATA: the message goes on */
      return handle_message(c);
    case CONN_STREAMING:
      return TRUE; /* not reached: a stream thread's I/O is filtered out by its tag */
    case CONN_WRITING:
      cJSON_free(c->out);
      c->out = NULL;
      if (!ok || c->close_after_write) return FALSE;
      return post_read(c);
  }
  return FALSE;
}

static DWORD WINAPI worker_main(LPVOID arg) {
  svc_server *s = arg;
  for (;;) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED *ov = NULL;
    BOOL ok = GetQueuedCompletionStatus(s->port, &bytes, &key, &ov, INFINITE);
    DWORD code = ok ? ERROR_SUCCESS : GetLastError();
    if (ov == NULL) {
      if (ok) break; /* the quit packet from svc_server_stop */
      wctr_log_win32("GetQueuedCompletionStatus", code, "pipe server worker");
      break;
    }
    /* A stream thread's I/O that Windows queued anyway: that thread waits for it on its own event. */
    if (((io_head *)ov)->kind == IO_STREAM) continue;
    conn *c = (conn *)ov;
    if (!on_completion(c, ok, bytes, code)) conn_close(c);
  }
  return 0;
}

static void server_free(svc_server *s) {
  if (s == NULL) return;
  if (s->port != NULL) CloseHandle(s->port);
  if (s->cancel_event != NULL) CloseHandle(s->cancel_event);
  acl_sa_free(&s->sa);
  free(s->pipe_path);
  DeleteCriticalSection(&s->lock);
  free(s);
}

wctr_err svc_server_start(const svc_server_options *opt, svc_server **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  *out = NULL;
  svc_server *s = calloc(1, sizeof *s);
  if (s == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  InitializeCriticalSection(&s->lock);
  s->handler = opt->handler;
  s->ctx = opt->ctx;
  s->max_connections = opt->max_connections != 0 ? opt->max_connections : 256;
  unsigned workers = opt->workers != 0 ? opt->workers : 4;
  if (workers > MAX_WORKERS) workers = MAX_WORKERS;
  s->pipe_path = wctr_utf8_to_wide(opt->pipe_path);
  if (s->pipe_path == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "the pipe name is not valid UTF-8");
    goto done;
  }
  err = acl_sa_from_sddl(opt->sddl, &s->sa, e);
  if (err != WCTR_OK) goto done;
  s->cancel_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (s->cancel_event == NULL) {
    err = wctr_log_win32("CreateEventW", GetLastError(), "pipe server");
    wctr_fail(e, err, "cannot create an event");
    goto done;
  }
  s->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, workers);
  if (s->port == NULL) {
    err = wctr_log_win32("CreateIoCompletionPort", GetLastError(), "pipe server");
    wctr_fail(e, err, "cannot create the completion port");
    goto done;
  }
  EnterCriticalSection(&s->lock);
  err = start_listener(s, TRUE, e);
  LeaveCriticalSection(&s->lock);
  if (err != WCTR_OK) goto done;
  for (unsigned i = 0; i < workers; i++) {
    s->threads[i] = CreateThread(NULL, 0, worker_main, s, 0, NULL);
    if (s->threads[i] == NULL) {
      err = wctr_log_win32("CreateThread", GetLastError(), "pipe server worker");
      wctr_fail(e, err, "cannot start the pipe server's threads");
      goto done;
    }
    s->thread_count++;
  }
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
  EnterCriticalSection(&s->lock);
  /* Every instance carries the same descriptor; any open one will do. */
  HANDLE h = s->conns != NULL ? s->conns->pipe : NULL;
  if (h == NULL) {
    err = wctr_fail(e, WCTR_ESTATE, "no pipe instance is open");
  } else {
    err = acl_sddl_of_handle(h, SE_KERNEL_OBJECT, &sddl, e);
  }
  LeaveCriticalSection(&s->lock);
  if (err == WCTR_OK && (size_t)snprintf(buf, size, "%s", sddl) >= size) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the pipe's descriptor is too long to show");
  }
  free(sddl);
  return err;
}

void svc_server_stop(svc_server *s, unsigned timeout_ms) {
  if (s == NULL) return;
  EnterCriticalSection(&s->lock);
  s->stopping = TRUE;
  if (s->cancel_event != NULL) SetEvent(s->cancel_event);
  for (conn *c = s->conns; c != NULL; c = c->next) CancelIoEx(c->pipe, NULL);
  LeaveCriticalSection(&s->lock);
  /* Wait for the cancelled completions to close every connection. A worker still inside a handler
   * closes its connection when it returns, because no new I/O starts once `stopping` is set. */
  DWORD start = GetTickCount();
  for (;;) {
    EnterCriticalSection(&s->lock);
    BOOL empty = s->conns == NULL;
    LeaveCriticalSection(&s->lock);
    if (empty || s->thread_count == 0 || GetTickCount() - start > timeout_ms) break;
    Sleep(5);
  }
  for (unsigned i = 0; i < s->thread_count; i++) PostQueuedCompletionStatus(s->port, 0, 0, NULL);
  DWORD left = timeout_ms > GetTickCount() - start ? timeout_ms - (GetTickCount() - start) : 0;
  DWORD waited = s->thread_count == 0 ? WAIT_OBJECT_0
                                      : WaitForMultipleObjects(s->thread_count, s->threads, TRUE, left);
  for (unsigned i = 0; i < s->thread_count; i++) CloseHandle(s->threads[i]);
  if (waited == WAIT_TIMEOUT) {
    /* A handler is still running and will touch the server when it returns: leaking the server is the
     * safe choice, and the process is about to exit anyway. */
    wctr_log(WCTR_LOG_WARN, "pipe server: a request was still running after %u ms; leaving it", timeout_ms);
    return;
  }
  /* Without workers (a failed start) nobody processed the listener's completion: close it here. */
  while (s->conns != NULL) {
    conn *c = s->conns;
    s->conns = c->next;
    CloseHandle(c->pipe);
    conn_free(c);
  }
  server_free(s);
}
