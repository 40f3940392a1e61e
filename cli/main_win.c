/* cli/main_win.c - wctr.exe: UTF-16 arguments in, the pipe client as the transport. */
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "common/fs.h"
#include "cli/client.h"
#include "cli/credentials.h"
#include "common/log.h"
#include "common/wstr.h"

enum { CONNECT_TIMEOUT_MS = 5000, CALL_TIMEOUT_MS = 60000 };

struct cli_connection {
  cli_client *client;
};

static wctr_err win_connect(void *ctx, const char *pipe_path, cli_connection **out, wctr_errmsg *e) {
  (void)ctx;
  cli_connection *conn = calloc(1, sizeof *conn);
  if (conn == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = cli_client_open(pipe_path, CONNECT_TIMEOUT_MS, &conn->client, e);
  if (err != WCTR_OK) {
    free(conn);
    return err;
  }
  *out = conn;
  return WCTR_OK;
}

static wctr_err win_call(cli_connection *conn, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e) {
  return cli_client_call(conn->client, op, params, result, CALL_TIMEOUT_MS, e);
}

static wctr_err win_stream(cli_connection *conn, const char *op, cJSON *params, bool forward_stdin,
                           void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg,
                           cJSON **result, wctr_errmsg *e) {
  return cli_client_stream(conn->client, op, params, forward_stdin, on_frame, arg, result, e);
}

static void win_detach_keys(void *ctx, const unsigned char *keys, size_t len) {
  (void)ctx;
  cli_client_set_detach_keys(keys, len);
}

/* -e NAME: the value from wctr's own environment. Kept until exit: the pointers stay valid. */
static const char *win_getenv(void *ctx, const char *name) {
  (void)ctx;
  wchar_t *wname = wctr_utf8_to_wide(name);
  wchar_t value[32768];
  DWORD n = wname != NULL ? GetEnvironmentVariableW(wname, value, ARRAYSIZE(value)) : 0;
  free(wname);
  if (n == 0 || n >= ARRAYSIZE(value)) return NULL;
  return wctr_wide_to_utf8(value);
}

/* "-": all of stdin (wctr secret create NAME -), at most 16 MiB. A buffer that grows is copied and the old
 * one zeroed: stdin may be a secret. */
static char *read_stdin(size_t *len, wctr_errmsg *e) {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  size_t cap = 64 * 1024;
  size_t used = 0;
  char *buf = malloc(cap + 1);
  while (buf != NULL) {
    DWORD got = 0;
    if (!ReadFile(in, buf + used, (DWORD)(cap - used), &got, NULL) || got == 0) break;
    used += got;
    if (used < cap) continue;
    if (cap >= 16 * 1024 * 1024) break;
    char *grown = malloc(cap * 2 + 1);
    if (grown != NULL) memcpy(grown, buf, used);
    SecureZeroMemory(buf, used);
    free(buf);
    buf = grown;
    cap *= 2;
  }
  if (buf == NULL) {
    wctr_fail(e, WCTR_ENOMEM, "out of memory reading stdin");
    return NULL;
  }
  buf[used] = '\0';
  *len = used;
  return buf;
}

/* `compose convert -o DIR`: DIR is created when missing; each file is written atomically (common/fs.h). */
static wctr_err win_write_file(void *ctx, const char *dir, const char *name, const char *data, size_t len,
                               wctr_errmsg *e) {
  (void)ctx;
  char path[1024];
  if (!wctr_fs_is_dir(dir)) {
    wctr_err made = wctr_fs_mkdir(dir, e);
    if (made != WCTR_OK) return made;
  }
  if (wctr_fs_join(path, sizeof path, dir, name) != WCTR_OK) {
    return wctr_fail(e, WCTR_ETOOBIG, "the path %s\\%s is too long", dir, name);
  }
  return wctr_fs_write_atomic(path, data, len, e);
}

static char *win_read_file(void *ctx, const char *path, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  if (strcmp(path, "-") == 0) return read_stdin(len, e);
  wchar_t *wide = wctr_utf8_to_wide(path);
  HANDLE h = wide != NULL ? CreateFileW(wide, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL)
                          : INVALID_HANDLE_VALUE;
  free(wide);
  if (h == INVALID_HANDLE_VALUE) {
    wctr_fail(e, WCTR_ENOENT, "cannot open %s (error %lu)", path, (unsigned long)GetLastError());
    return NULL;
  }
  LARGE_INTEGER size;
  char *text = NULL;
  DWORD got = 0;
  if (GetFileSizeEx(h, &size) && size.QuadPart < 16 * 1024 * 1024 && (text = malloc((size_t)size.QuadPart + 1)) != NULL &&
      ReadFile(h, text, (DWORD)size.QuadPart, &got, NULL)) {
    text[got] = '\0';
    *len = got;
  } else {
    free(text);
    text = NULL;
    wctr_fail(e, WCTR_EIO, "cannot read %s", path);
  }
  CloseHandle(h);
  return text;
}

static void win_now(void *ctx, char *buf, size_t size) {
  (void)ctx;
  wctr_time_now_iso8601(buf, size);
}

static void win_cwd(void *ctx, char *buf, size_t size) {
  (void)ctx;
  wchar_t dir[MAX_PATH];
  DWORD n = GetCurrentDirectoryW(ARRAYSIZE(dir), dir);
  char *utf8 = n > 0 && n < ARRAYSIZE(dir) ? wctr_wide_to_utf8(dir) : NULL;
  snprintf(buf, size, "%s", utf8 != NULL ? utf8 : "C:\\");
  free(utf8);
}

/* Ctrl+C and Ctrl+Break, for the commands that ask (compose up, while it shows the output): the first one is
 * reported to the command, which then stops its containers; the next ones end wctr as usual. The handler is
 * installed on the first question, so every other command keeps Windows' default (Ctrl+C ends wctr). */
static volatile LONG interrupts;
static volatile LONG handler_installed;

static BOOL WINAPI on_console_ctrl(DWORD type) {
  if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT) return FALSE;
  return InterlockedIncrement(&interrupts) == 1;
}

static bool win_interrupted(void *ctx) {
  (void)ctx;
  if (InterlockedExchange(&handler_installed, 1) == 0) SetConsoleCtrlHandler(on_console_ctrl, TRUE);
  return InterlockedCompareExchange(&interrupts, 0, 0) > 0;
}

/* A container's output byte for byte: wctr's own text goes through the C runtime's text mode (LF becomes
 * CRLF, as every Windows program prints), a container's bytes must not be translated. */
static void win_write_bytes(void *ctx, FILE *f, const char *data, size_t len) {
  (void)ctx;
  fflush(f);
  int fd = _fileno(f);
  int old = fd >= 0 ? _setmode(fd, _O_BINARY) : -1;
  fwrite(data, 1, len, f);
  fflush(f);
  if (old != -1) _setmode(fd, old);
}

static bool win_is_terminal(void *ctx, FILE *f) {
  (void)ctx;
  HANDLE h = (HANDLE)_get_osfhandle(_fileno(f));
  DWORD mode = 0;
  return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

static FILE *win_open_output(void *ctx, const char *path) {
  (void)ctx;
  wchar_t *w = wctr_utf8_to_wide(path);
  FILE *f = w != NULL ? _wfopen(w, L"wb") : NULL;
  free(w);
  return f;
}

/* load -i FILE: the file becomes the stdin that the stream forwards. */
static wctr_err win_set_stdin(void *ctx, const char *path, wctr_errmsg *e) {
  (void)ctx;
  wchar_t *w = wctr_utf8_to_wide(path);
  HANDLE h = w != NULL ? CreateFileW(w, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL)
                       : INVALID_HANDLE_VALUE;
  free(w);
  if (h == INVALID_HANDLE_VALUE) {
    return wctr_fail(e, WCTR_ENOENT, "open %s: cannot open the file (error %lu)", path, (unsigned long)GetLastError());
  }
  SetStdHandle(STD_INPUT_HANDLE, h);
  return WCTR_OK;
}

static wctr_err win_cred_store(void *ctx, const char *server, const char *user, const char *password, wctr_errmsg *e) {
  (void)ctx;
  return cli_credentials_store(server, user, password, e);
}

static wctr_err win_cred_load(void *ctx, const char *server, char **user, char **password, wctr_errmsg *e) {
  (void)ctx;
  return cli_credentials_load(server, user, password, e);
}

static wctr_err win_cred_erase(void *ctx, const char *server, wctr_errmsg *e) {
  (void)ctx;
  return cli_credentials_erase(server, e);
}

/* The password prompt: the console's echo off while the line is read. */
static char *win_read_secret(void *ctx, const char *prompt) {
  (void)ctx;
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  DWORD mode = 0;
  if (!GetConsoleMode(in, &mode)) return NULL;
  fputs(prompt, stdout);
  fflush(stdout);
  SetConsoleMode(in, mode & ~(DWORD)ENABLE_ECHO_INPUT);
  wchar_t line[512];
  DWORD got = 0;
  BOOL ok = ReadConsoleW(in, line, ARRAYSIZE(line) - 1, &got, NULL);
  SetConsoleMode(in, mode);
  fputs("\n", stdout);
  if (!ok) return NULL;
  while (got > 0 && (line[got - 1] == L'\n' || line[got - 1] == L'\r')) got--;
  line[got] = L'\0';
  char *utf8 = wctr_wide_to_utf8(line);
  SecureZeroMemory(line, sizeof line);
  return utf8;
}

static void win_disconnect(cli_connection *conn) {
  cli_client_close(conn->client);
  free(conn);
}

int wmain(int argc, wchar_t **wargv) {
  /* The C runtime writes to a character device (a console, NUL) one call per character unless told to
   * buffer; a listing of 200 containers took a second that way. Output is flushed after each streamed
   * chunk and at exit, so nothing waits on the buffer. */
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  char **argv = calloc((size_t)argc + 1, sizeof *argv);
  if (argv == NULL) return CLI_EXIT_FAILED;
  for (int i = 0; i < argc; i++) {
    argv[i] = wctr_wide_to_utf8(wargv[i]);
    if (argv[i] == NULL) {
      fprintf(stderr, "wctr: argument %d is not valid UTF-16\n", i);
      return CLI_EXIT_FAILED;
    }
  }
  wchar_t host[512];
  DWORD n = GetEnvironmentVariableW(L"WCTR_HOST", host, ARRAYSIZE(host));
  char *env_host = n > 0 && n < ARRAYSIZE(host) ? wctr_wide_to_utf8(host) : NULL;
  cli_platform platform = {.out = stdout,
                           .err = stderr,
                           .env_host = env_host,
                           .connect = win_connect,
                           .call = win_call,
                           .disconnect = win_disconnect,
                           .stream = win_stream,
                           .getenv = win_getenv,
                           .read_file = win_read_file,
                           .now = win_now,
                           .cwd = win_cwd,
                           .interrupted = win_interrupted,
                           .detach_keys = win_detach_keys,
                           .write_bytes = win_write_bytes,
                           .is_terminal = win_is_terminal,
                           .open_output = win_open_output,
                           .set_stdin = win_set_stdin,
                           .credentials_store = win_cred_store,
                           .credentials_load = win_cred_load,
                           .credentials_erase = win_cred_erase,
                           .read_secret = win_read_secret,
                           .write_file = win_write_file};
  /* pull redraws its progress lines with VT sequences on a console */
  HANDLE console = GetStdHandle(STD_OUTPUT_HANDLE);
  DWORD console_mode = 0;
  if (GetConsoleMode(console, &console_mode)) {
    SetConsoleMode(console, console_mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING);
  }
  int rc = cli_main(argc, argv, &platform);
  fflush(stdout);
  free(env_host);
  for (int i = 0; i < argc; i++) free(argv[i]);
  free(argv);
  return rc;
}
