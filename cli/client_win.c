/* cli/client_win.c - the pipe client: message mode, overlapped I/O with bounded waits. */
#include <windows.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/client.h"
#include "common/log.h"
#include "common/proto.h"
#include "common/wstr.h"

struct cli_client {
  HANDLE pipe;
  HANDLE event;        /* reads */
  HANDLE write_event;  /* writes: a send may run beside a read (stdin forwarding) */
  int64_t next_id;
  size_t max_message;  /* bytes of one message from wctrd at most */
  char *pipe_path;     /* to open the connection again after wctrd closed it while idle */
  unsigned open_timeout_ms;
};

/* Opens the pipe in message mode, waiting up to timeout_ms for a free instance. */
static wctr_err open_pipe(const char *pipe_path, unsigned timeout_ms, HANDLE *out, wctr_errmsg *e) {
  *out = INVALID_HANDLE_VALUE;
  wchar_t *path = wctr_utf8_to_wide(pipe_path);
  if (path == NULL) return wctr_fail(e, WCTR_EINVAL, "the pipe name is not valid UTF-8");
  DWORD start = GetTickCount();
  HANDLE h = INVALID_HANDLE_VALUE;
  DWORD code = ERROR_SUCCESS;
  for (;;) {
    h = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                    FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    if (h != INVALID_HANDLE_VALUE) break;
    code = GetLastError();
    DWORD elapsed = GetTickCount() - start;
    /* Every instance is taken: wait for one, within the time we have. */
    if (code != ERROR_PIPE_BUSY || elapsed >= timeout_ms) break;
    WaitNamedPipeW(path, timeout_ms - elapsed < 1000 ? timeout_ms - elapsed : 1000);
  }
  free(path);
  if (h == INVALID_HANDLE_VALUE) {
    const char *why = code == ERROR_FILE_NOT_FOUND ? "the pipe does not exist"
                      : code == ERROR_ACCESS_DENIED ? "access denied"
                      : code == ERROR_PIPE_BUSY     ? "every pipe instance is busy"
                                                    : "cannot open the pipe";
    wctr_err err = code == ERROR_PIPE_BUSY ? WCTR_EBUSY : wctr_from_win32(code);
    return wctr_fail(e, err, "%s: %s (error %lu)", pipe_path, why, (unsigned long)code);
  }
  DWORD mode = PIPE_READMODE_MESSAGE;
  if (!SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
    code = GetLastError();
    CloseHandle(h);
    return wctr_fail(e, wctr_from_win32(code), "%s: cannot switch to message mode (error %lu)", pipe_path,
                     (unsigned long)code);
  }
  *out = h;
  return WCTR_OK;
}

wctr_err cli_client_open(const char *pipe_path, unsigned timeout_ms, cli_client **out, wctr_errmsg *e) {
  *out = NULL;
  HANDLE h = INVALID_HANDLE_VALUE;
  wctr_err err = open_pipe(pipe_path, timeout_ms, &h, e);
  if (err != WCTR_OK) return err;
  cli_client *c = calloc(1, sizeof *c);
  HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
  HANDLE write_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  char *path_copy = strdup(pipe_path);
  if (c == NULL || event == NULL || write_event == NULL || path_copy == NULL) {
    free(c);
    free(path_copy);
    if (event != NULL) CloseHandle(event);
    if (write_event != NULL) CloseHandle(write_event);
    CloseHandle(h);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  c->pipe = h;
  c->event = event;
  c->write_event = write_event;
  c->next_id = 1;
  c->max_message = WCTR_PROTO_MAX_RESPONSE;
  c->pipe_path = path_copy;
  c->open_timeout_ms = timeout_ms;
  *out = c;
  return WCTR_OK;
}

void cli_client_close(cli_client *c) {
  if (c == NULL) return;
  free(c->pipe_path);
  CloseHandle(c->pipe);
  CloseHandle(c->event);
  CloseHandle(c->write_event);
  free(c);
}

void cli_client_set_max_message(cli_client *c, size_t bytes) {
  c->max_message = bytes;
}

/* Waits for an overlapped call that returned FALSE. Cancels it when the time is up, and waits for the
 * cancellation to land so the OVERLAPPED is free again. A read that fails at once with ERROR_MORE_DATA
 * (part of a longer message was already in the pipe) has transferred bytes all the same: their count is
 * in the OVERLAPPED, read like any other completion's. */
static DWORD finish_io(cli_client *c, BOOL started, OVERLAPPED *ov, DWORD *bytes, unsigned timeout_ms) {
  DWORD code = started ? ERROR_SUCCESS : GetLastError();
  if (!started && code != ERROR_IO_PENDING && code != ERROR_MORE_DATA) return code;
  if (!started && WaitForSingleObject(ov->hEvent, timeout_ms) == WAIT_TIMEOUT) {
    CancelIoEx(c->pipe, ov);
    GetOverlappedResult(c->pipe, ov, bytes, TRUE);
    return WAIT_TIMEOUT;
  }
  if (!GetOverlappedResult(c->pipe, ov, bytes, FALSE)) return GetLastError();
  return ERROR_SUCCESS;
}

static wctr_err io_error(DWORD code, const char *what, wctr_errmsg *e) {
  if (code == WAIT_TIMEOUT) return wctr_fail(e, WCTR_ETIMEDOUT, "wctrd did not answer in time (%s)", what);
  if (code == ERROR_BROKEN_PIPE || code == ERROR_PIPE_NOT_CONNECTED || code == ERROR_NO_DATA) {
    return wctr_fail(e, WCTR_EPIPE, "wctrd closed the connection (%s)", what);
  }
  return wctr_fail(e, wctr_from_win32(code), "%s failed (error %lu)", what, (unsigned long)code);
}

wctr_err cli_client_send(cli_client *c, const char *buf, size_t len, unsigned timeout_ms, wctr_errmsg *e) {
  if (len > MAXDWORD) return wctr_fail(e, WCTR_ETOOBIG, "message too large");
  OVERLAPPED ov = {.hEvent = c->write_event};
  ResetEvent(c->write_event);
  DWORD bytes = 0;
  BOOL started = WriteFile(c->pipe, buf, (DWORD)len, NULL, &ov);
  DWORD code = finish_io(c, started, &ov, &bytes, timeout_ms);
  if (code != ERROR_SUCCESS) return io_error(code, "sending the request", e);
  if (bytes != len) return wctr_fail(e, WCTR_EIO, "short write to the pipe");
  return WCTR_OK;
}

wctr_err cli_client_recv(cli_client *c, char **out, size_t *out_len, unsigned timeout_ms, wctr_errmsg *e) {
  size_t limit = c->max_message;
  /* One byte past the limit is read, so that a message of exactly the limit is told from a longer one. */
  size_t cap = limit < 64 * 1024 ? limit + 1 : 64 * 1024;
  size_t len = 0;
  char *buf = malloc(cap);
  *out = NULL;
  if (buf == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (;;) {
    OVERLAPPED ov = {.hEvent = c->event};
    ResetEvent(c->event);
    DWORD bytes = 0;
    DWORD want = cap - len > MAXDWORD ? MAXDWORD : (DWORD)(cap - len);
    BOOL started = ReadFile(c->pipe, buf + len, want, NULL, &ov);
    DWORD code = finish_io(c, started, &ov, &bytes, timeout_ms);
    len += bytes;
    if (code == ERROR_SUCCESS && len <= limit) break;
    if (code != ERROR_SUCCESS && code != ERROR_MORE_DATA) {
      free(buf);
      return io_error(code, "reading the response", e);
    }
    if (len > limit || cap > limit) {
      /* The rest of it stays in the pipe: the connection cannot be used for another request. */
      free(buf);
      return wctr_fail(e, WCTR_ETOOBIG, "wctrd sent a message larger than this client's limit of %zu bytes", limit);
    }
    size_t next = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
    char *grown = realloc(buf, next);
    if (grown == NULL) {
      free(buf);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    buf = grown;
    cap = next;
  }
  *out = buf;
  *out_len = len;
  return WCTR_OK;
}

/* Sends a request. wctrd closes a connection that stays idle (service/server.h: SVC_SERVER_IDLE_MS); a
 * send that finds it closed delivered nothing, so the connection is opened again and the request sent on
 * the new one, once. A failure later (reading the answer) is never retried: the request may have run. */
static wctr_err send_request(cli_client *c, const char *buf, size_t len, unsigned timeout_ms, wctr_errmsg *e) {
  wctr_err err = cli_client_send(c, buf, len, timeout_ms, e);
  if (err != WCTR_EPIPE) return err;
  HANDLE h = INVALID_HANDLE_VALUE;
  wctr_errmsg again;
  if (open_pipe(c->pipe_path, c->open_timeout_ms, &h, &again) != WCTR_OK) return err;
  CloseHandle(c->pipe);
  c->pipe = h;
  return cli_client_send(c, buf, len, timeout_ms, e);
}

wctr_err cli_client_call(cli_client *c, const char *op, cJSON *params, cJSON **result, unsigned timeout_ms,
                         wctr_errmsg *e) {
  size_t len = 0;
  int64_t id = c->next_id++;
  char *request = wctr_request_format(id, op, params, &len);
  if (request == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = send_request(c, request, len, timeout_ms, e);
  /* A request may carry a secret's value (secret.create). */
  SecureZeroMemory(request, len);
  cJSON_free(request);
  if (err != WCTR_OK) return err;
  char *response = NULL;
  err = cli_client_recv(c, &response, &len, timeout_ms, e);
  if (err != WCTR_OK) return err;
  err = wctr_response_parse(response, len, id, result, e);
  free(response);
  return err;
}

typedef struct stdin_forward {
  cli_client *c;
  int64_t id;
  cli_detach detach;
  volatile LONG detached; /* the detach keys arrived: the stream's read is cancelled for it */
  volatile LONG seen;     /* the stream saw it (until then the cancel is repeated: a read may begin after one) */
} stdin_forward;

static cli_detach detach_keys; /* set before a stream begins (one stream at a time) */

void cli_client_set_detach_keys(const unsigned char *keys, size_t len) {
  memset(&detach_keys, 0, sizeof detach_keys);
  if (len > sizeof detach_keys.keys) len = sizeof detach_keys.keys;
  if (len > 0) memcpy(detach_keys.keys, keys, len);
  detach_keys.len = len;
}

/* Sends one stdin frame: len bytes of data (as text, or base64 when they are not text), or the end. */
static wctr_err send_stdin(cli_client *c, int64_t id, const char *data, size_t len, bool eof) {
  size_t n = 0;
  char *out = wctr_stdin_frame_format(id, data, len, eof, &n);
  if (out == NULL) return WCTR_ENOMEM;
  wctr_errmsg e;
  wctr_err err = cli_client_send(c, out, n, INFINITE, &e);
  cJSON_free(out);
  return err;
}

/* -i: wctr's stdin, as read, to the container; then the end of it. Ends with the process when the
 * container exits first. */
static DWORD WINAPI stdin_main(LPVOID arg) {
  stdin_forward *f = arg;
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  char buf[4096];
  char fwd[sizeof buf + sizeof f->detach.keys];
  DWORD n = 0;
  while (in != NULL && in != INVALID_HANDLE_VALUE && ReadFile(in, buf, sizeof buf, &n, NULL) && n > 0) {
    size_t len = 0;
    bool detach = cli_detach_scan(&f->detach, buf, n, fwd, &len);
    if (len > 0 && send_stdin(f->c, f->id, fwd, len, false) != WCTR_OK) return 0;
    if (detach) {
      /* The client leaves without an end of input: the stream's pending read ends (cancelled), and closing the
       * connection tells wctrd. */
      InterlockedExchange(&f->detached, 1);
      for (int i = 0; i < 500 && InterlockedCompareExchange(&f->seen, 0, 0) == 0; i++) {
        CancelIoEx(f->c->pipe, NULL);
        Sleep(10);
      }
      return 0;
    }
  }
  send_stdin(f->c, f->id, NULL, 0, true);
  return 0;
}

wctr_err cli_client_stream(cli_client *c, const char *op, cJSON *params, bool forward_stdin,
                           void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg,
                           cJSON **result, wctr_errmsg *e) {
  size_t len = 0;
  int64_t id = c->next_id++;
  char *request = wctr_request_format(id, op, params, &len);
  if (request == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = send_request(c, request, len, INFINITE, e);
  cJSON_free(request);
  static stdin_forward forward;
  if (err == WCTR_OK && forward_stdin) {
    forward = (stdin_forward){.c = c, .id = id, .detach = detach_keys};
    HANDLE t = CreateThread(NULL, 0, stdin_main, &forward, 0, NULL);
    if (t != NULL) CloseHandle(t);
  }
  while (err == WCTR_OK) {
    char *msg = NULL;
    err = cli_client_recv(c, &msg, &len, INFINITE, e);
    if (err != WCTR_OK && forward_stdin && InterlockedCompareExchange(&forward.detached, 0, 0) != 0) {
      InterlockedExchange(&forward.seen, 1);
      /* docker's words for a detach */
      return wctr_fail(e, WCTR_ECANCELED, "read escape sequence");
    }
    if (err != WCTR_OK) break;
    cJSON *root = cJSON_ParseWithLength(msg, len);
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "stream");
    if (cJSON_IsString(kind)) {
      const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
      cJSON *data64 = cJSON_GetObjectItemCaseSensitive(root, "data64");
      /* Bytes that are not text (cli.h): handed on as {"data64": base64}. */
      if (data == NULL && cJSON_IsString(data64)) {
        cJSON *wrapped = cJSON_CreateObject();
        cJSON_DetachItemViaPointer(root, data64);
        if (wrapped != NULL && cJSON_AddItemToObject(wrapped, "data64", data64)) {
          if (on_frame != NULL) on_frame(arg, kind->valuestring, wrapped);
        } else {
          cJSON_Delete(data64);
        }
        cJSON_Delete(wrapped);
      } else if (on_frame != NULL) {
        on_frame(arg, kind->valuestring, data);
      }
      cJSON_Delete(root);
      free(msg);
      continue;
    }
    cJSON_Delete(root);
    err = wctr_response_parse(msg, len, id, result, e);
    free(msg);
    return err;
  }
  return err;
}
