/* The pipe client under Wine against a raw message-mode pipe: long answers arrive whole (a read that
 * failed at once with ERROR_MORE_DATA lost its byte count, so any answer over about 128 KiB was
 * silently corrupted), and an answer over the client's limit is an error, not a cut. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "common/log.h"
#include "testutil.h"

enum { T = 10000 };

static char pipe_path[128];
static HANDLE server_end;

typedef struct writer_arg {
  const char *data;
  size_t len;
  BOOL ok;
} writer_arg;

static DWORD WINAPI write_message(LPVOID p) {
  writer_arg *w = p;
  DWORD written = 0;
  w->ok = WriteFile(server_end, w->data, (DWORD)w->len, &written, NULL) && written == w->len;
  return 0;
}

static cli_client *open_pair(void) {
  char name[64];
  wctr_test_unique_name("wctr-client", name, sizeof name);
  snprintf(pipe_path, sizeof pipe_path, "\\\\.\\pipe\\%s", name);
  wchar_t wide[128];
  MultiByteToWideChar(CP_UTF8, 0, pipe_path, -1, wide, 128);
  server_end = CreateNamedPipeW(wide, PIPE_ACCESS_DUPLEX, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1,
                                1024 * 1024, 1024 * 1024, 0, NULL);
  assert_true(server_end != INVALID_HANDLE_VALUE);
  cli_client *c = NULL;
  wctr_errmsg e;
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK) fail_msg("open: %s", e.text);
  /* The client is there already: this returns at once (ERROR_PIPE_CONNECTED). */
  ConnectNamedPipe(server_end, NULL);
  return c;
}

/* Writes len bytes as one message and waits until it is in the pipe, so that the client's first read
 * completes at once (the path that lost bytes). */
static HANDLE send_message(writer_arg *w) {
  HANDLE t = CreateThread(NULL, 0, write_message, w, 0, NULL);
  assert_non_null(t);
  Sleep(300);
  return t;
}

static char *pattern(size_t len) {
  char *p = malloc(len);
  assert_non_null(p);
  for (size_t i = 0; i < len; i++) p[i] = (char)('a' + (i * 7 + i / 4096) % 26);
  return p;
}

static void test_a_long_answer_arrives_whole(void **state) {
  (void)state;
  size_t sizes[] = {64 * 1024, 64 * 1024 + 1, 300 * 1024, 3 * 1024 * 1024 + 17};
  cli_client *c = open_pair();
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    char *data = pattern(sizes[i]);
    writer_arg w = {.data = data, .len = sizes[i]};
    HANDLE t = send_message(&w);
    char *got = NULL;
    size_t len = 0;
    wctr_errmsg e;
    if (cli_client_recv(c, &got, &len, T, &e) != WCTR_OK) fail_msg("recv of %zu bytes: %s", sizes[i], e.text);
    WaitForSingleObject(t, T);
    CloseHandle(t);
    assert_true(w.ok);
    assert_int_equal(len, sizes[i]);
    assert_memory_equal(got, data, len);
    free(got);
    free(data);
  }
  cli_client_close(c);
  CloseHandle(server_end);
}

static void test_an_answer_over_the_limit_is_an_error(void **state) {
  (void)state;
  cli_client *c = open_pair();
  cli_client_set_max_message(c, 100000);
  /* Exactly the limit: served. */
  char *data = pattern(100000);
  writer_arg w = {.data = data, .len = 100000};
  HANDLE t = send_message(&w);
  char *got = NULL;
  size_t len = 0;
  wctr_errmsg e;
  assert_int_equal(cli_client_recv(c, &got, &len, T, &e), WCTR_OK);
  WaitForSingleObject(t, T);
  CloseHandle(t);
  assert_int_equal(len, 100000);
  assert_memory_equal(got, data, len);
  free(got);
  free(data);
  /* One byte more: refused, with the limit named. */
  data = pattern(100001);
  w = (writer_arg){.data = data, .len = 100001};
  t = send_message(&w);
  assert_int_equal(cli_client_recv(c, &got, &len, T, &e), WCTR_ETOOBIG);
  assert_null(got);
  assert_non_null(strstr(e.text, "limit of 100000 bytes"));
  cli_client_close(c); /* the rest of the message is dropped with the connection */
  WaitForSingleObject(t, T);
  CloseHandle(t);
  free(data);
  CloseHandle(server_end);
}

int main(void) {
  wctr_log_configure(WCTR_LOG_ERROR, NULL, NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_long_answer_arrives_whole),
      cmocka_unit_test(test_an_answer_over_the_limit_is_an_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
