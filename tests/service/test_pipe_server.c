/* The pipe server under Wine: real pipes, real threads, real clients, including broken ones. The
 * descriptor handed to CreateNamedPipeW is recorded through the seam and compared with the documented
 * one; the read-back is compared too (Wine keeps pipe descriptors exactly; it does not enforce them -
 * see test_pipe_dacl_enforced for the Windows-only half). */
#include <windows.h>

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/descriptors.h"
#include "acl/sd.h"
#include "cli/client.h"
#include "common/log.h"
#include "common/proto.h"
#include "service/server.h"
#include "service/svc_sys.h"
#include "testutil.h"

enum { T = 10000 }; /* ms: generous for Wine on a loaded machine */

static svc_server *server;
static char pipe_path[128];
static char expected_sddl[512];

/* --- seam: record the descriptor, fail on demand ----------------------------------------------------- */
static char recorded_sddl[512];
static int create_calls;
static int fail_create_at; /* 1-based call number to fail, 0 never */
static BOOL fail_impersonation;

static HANDLE WINAPI recording_create(LPCWSTR name, DWORD open_mode, DWORD pipe_mode, DWORD max_instances,
                                      DWORD out_size, DWORD in_size, DWORD timeout, LPSECURITY_ATTRIBUTES sa) {
  create_calls++;
  if (fail_create_at == create_calls) {
    SetLastError(ERROR_NOT_ENOUGH_MEMORY);
    return INVALID_HANDLE_VALUE;
  }
  wchar_t *text = NULL;
  if (sa != NULL && ConvertSecurityDescriptorToStringSecurityDescriptorW(sa->lpSecurityDescriptor, SDDL_REVISION_1,
                                                                          DACL_SECURITY_INFORMATION, &text, NULL)) {
    WideCharToMultiByte(CP_UTF8, 0, text, -1, recorded_sddl, sizeof recorded_sddl, NULL, NULL);
    LocalFree(text);
  }
  return CreateNamedPipeW(name, open_mode, pipe_mode, max_instances, out_size, in_size, timeout, sa);
}

static BOOL WINAPI maybe_failing_impersonation(HANDLE pipe) {
  if (fail_impersonation) {
    SetLastError(ERROR_CANNOT_IMPERSONATE);
    return FALSE;
  }
  return ImpersonateNamedPipeClient(pipe);
}

/* --- the service side: the real dispatcher with fixed host facts --------------------------------------- */
static void facts(void *ctx, svc_host_facts *f) {
  (void)ctx;
  snprintf(f->os_name, sizeof f->os_name, "test host");
  f->job_available = true;
}

static wctr_err live_sddl(void *ctx, char *buf, size_t size, wctr_errmsg *e) {
  (void)ctx;
  return svc_server_pipe_sddl(server, buf, size, e);
}

static const svc_dispatch_host host = {.host_facts = facts, .pipe_sddl = live_sddl, .data_root = "C:\\x",
                                       .pipe_path = pipe_path};

static void handler(void *ctx, const svc_caller *caller, const char *msg, size_t len, svc_reply *reply) {
  (void)ctx;
  svc_dispatch(&host, caller, msg, len, reply);
}

static wctr_err start_server(unsigned max_connections, wctr_errmsg *e) {
  svc_server_options opt = {.pipe_path = pipe_path, .sddl = expected_sddl, .handler = handler,
                            .max_connections = max_connections};
  return svc_server_start(&opt, &server, e);
}

static int setup(void **state) {
  (void)state;
  char name[64];
  wctr_test_unique_name("wctr-test-pipe", name, sizeof name);
  snprintf(pipe_path, sizeof pipe_path, "\\\\.\\pipe\\%s", name);
  create_calls = 0;
  fail_create_at = 0;
  fail_impersonation = FALSE;
  recorded_sddl[0] = '\0';
  wctr_errmsg e;
  assert_int_equal(start_server(0, &e), WCTR_OK);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  return 0;
}

/* --- helpers ---------------------------------------------------------------------------------------- */
static cli_client *connect_client(void) {
  cli_client *c = NULL;
  wctr_errmsg e;
  wctr_err err = cli_client_open(pipe_path, T, &c, &e);
  if (err != WCTR_OK) fail_msg("connect: %s", e.text);
  return c;
}

static void expect_version_works(cli_client *c) {
  cJSON *result = NULL;
  wctr_errmsg e;
  wctr_err err = cli_client_call(c, "version", NULL, &result, T, &e);
  if (err != WCTR_OK) fail_msg("version: %s", e.text);
  assert_string_equal(cJSON_GetObjectItem(result, "Version")->valuestring, WCTR_VERSION);
  cJSON_Delete(result);
}

/* Sends raw bytes and returns the error code string of the response (static buffer). */
static const char *raw_error_code(cli_client *c, const char *buf, size_t len, bool *id_null) {
  static char code[64];
  wctr_errmsg e;
  char *resp = NULL;
  size_t resp_len = 0;
  if (cli_client_send(c, buf, len, T, &e) != WCTR_OK) fail_msg("send: %s", e.text);
  if (cli_client_recv(c, &resp, &resp_len, T, &e) != WCTR_OK) fail_msg("recv: %s", e.text);
  cJSON *root = cJSON_ParseWithLength(resp, resp_len);
  free(resp);
  assert_non_null(root);
  cJSON *error = cJSON_GetObjectItem(root, "error");
  assert_non_null(error);
  snprintf(code, sizeof code, "%s", cJSON_GetObjectItem(error, "code")->valuestring);
  if (id_null != NULL) *id_null = cJSON_IsNull(cJSON_GetObjectItem(root, "id"));
  cJSON_Delete(root);
  return code;
}

/* --- tests ------------------------------------------------------------------------------------------ */
static void test_descriptor_handed_to_windows(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_true(create_calls >= 1);
  /* What wctrd asked for, exactly: SYSTEM and Administrators full control, Users read/write. */
  wctr_err err = acl_sddl_expect(expected_sddl, recorded_sddl, ACL_MATCH_STRICT, &e);
  if (err != WCTR_OK) fail_msg("descriptor given to CreateNamedPipeW: %s (%s)", e.text, recorded_sddl);
  char live[512];
  assert_int_equal(svc_server_pipe_sddl(server, live, sizeof live, &e), WCTR_OK);
  err = acl_sddl_expect(expected_sddl, live, 0, &e);
  if (err != WCTR_OK) fail_msg("descriptor read back: %s (%s)", e.text, live);
}

static void test_version_and_identity(void **state) {
  (void)state;
  cli_client *c = connect_client();
  expect_version_works(c);
  cJSON *info = NULL;
  wctr_errmsg e;
  assert_int_equal(cli_client_call(c, "info", NULL, &info, T, &e), WCTR_OK);
  const char *sid = cJSON_GetObjectItem(cJSON_GetObjectItem(info, "Caller"), "SID")->valuestring;
  assert_true(strncmp(sid, "S-1-5-", 6) == 0);
  assert_true(strlen(cJSON_GetObjectItem(cJSON_GetObjectItem(info, "Caller"), "Name")->valuestring) > 0);
  cJSON_Delete(info);
  cli_client_close(c);
}

static void test_garbage_gets_errors_and_the_connection_survives(void **state) {
  (void)state;
  cli_client *c = connect_client();
  bool id_null = false;
  assert_string_equal(raw_error_code(c, "not json", 8, &id_null), "bad_request");
  assert_true(id_null);
  assert_string_equal(raw_error_code(c, "", 0, NULL), "bad_request");
  const char *wrong_types = "{\"v\":\"1\",\"id\":1,\"op\":\"version\"}";
  assert_string_equal(raw_error_code(c, wrong_types, strlen(wrong_types), NULL), "bad_request");
  const char *params_array = "{\"v\":1,\"id\":1,\"op\":\"version\",\"params\":[1]}";
  assert_string_equal(raw_error_code(c, params_array, strlen(params_array), NULL), "bad_request");
  const char *unknown_op = "{\"v\":1,\"id\":9,\"op\":\"format-c\"}";
  assert_string_equal(raw_error_code(c, unknown_op, strlen(unknown_op), &id_null), "unknown_op");
  assert_false(id_null);
  const char binary[] = {'{', 0, (char)0xff, '}'};
  assert_string_equal(raw_error_code(c, binary, sizeof binary, NULL), "bad_request");
  expect_version_works(c);
  cli_client_close(c);
}

static void test_two_mib_request_is_refused_and_drained(void **state) {
  (void)state;
  size_t n = 2u * 1024u * 1024u;
  char *big = malloc(n);
  assert_non_null(big);
  memset(big, ' ', n);
  memcpy(big, "{\"v\":1,\"id\":1,\"op\":\"version\"}", 29);
  cli_client *c = connect_client();
  bool id_null = false;
  assert_string_equal(raw_error_code(c, big, n, &id_null), "too_large");
  assert_true(id_null);
  /* The rest of the 2 MiB was read and dropped: the next request on the same connection is answered. */
  expect_version_works(c);
  cli_client_close(c);
  free(big);
}

static void test_request_of_exactly_the_limit_is_served(void **state) {
  (void)state;
  size_t n = WCTR_PROTO_MAX_REQUEST;
  char *msg = malloc(n);
  assert_non_null(msg);
  memset(msg, ' ', n);
  const char *head = "{\"v\":1,\"id\":5,\"op\":\"version\"}";
  memcpy(msg, head, strlen(head));
  cli_client *c = connect_client();
  wctr_errmsg e;
  char *resp = NULL;
  size_t len = 0;
  assert_int_equal(cli_client_send(c, msg, n, T, &e), WCTR_OK);
  assert_int_equal(cli_client_recv(c, &resp, &len, T, &e), WCTR_OK);
  cJSON *result = NULL;
  assert_int_equal(wctr_response_parse(resp, len, 5, &result, &e), WCTR_OK);
  cJSON_Delete(result);
  free(resp);
  cli_client_close(c);
  free(msg);
}

static void test_connect_and_disconnect_without_a_word(void **state) {
  (void)state;
  for (int i = 0; i < 30; i++) cli_client_close(connect_client());
  cli_client *c = connect_client();
  /* Half a conversation: send, then leave without reading the answer. */
  cli_client *rude = connect_client();
  wctr_errmsg e;
  assert_int_equal(cli_client_send(rude, "{\"v\":1,\"id\":1,\"op\":\"info\"}", 26, T, &e), WCTR_OK);
  cli_client_close(rude);
  expect_version_works(c);
  cli_client_close(c);
}

typedef struct worker_arg {
  int failures;
  char why[256];
} worker_arg;

static DWORD WINAPI hammer(LPVOID p) {
  worker_arg *w = p;
  cli_client *c = NULL;
  wctr_errmsg e;
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK) {
    w->failures++;
    snprintf(w->why, sizeof w->why, "open: %s", e.text);
    return 0;
  }
  for (int i = 0; i < 25; i++) {
    cJSON *result = NULL;
    if (cli_client_call(c, i % 2 == 0 ? "version" : "info", NULL, &result, T, &e) != WCTR_OK) {
      w->failures++;
      snprintf(w->why, sizeof w->why, "call %d: %s", i, e.text);
    }
    cJSON_Delete(result);
  }
  cli_client_close(c);
  return 0;
}

static void test_many_clients_at_once(void **state) {
  (void)state;
  enum { N = 16 };
  HANDLE threads[N];
  worker_arg args[N];
  memset(args, 0, sizeof args);
  for (int i = 0; i < N; i++) {
    threads[i] = CreateThread(NULL, 0, hammer, &args[i], 0, NULL);
    assert_non_null(threads[i]);
  }
  assert_int_equal(WaitForMultipleObjects(N, threads, TRUE, 120000), WAIT_OBJECT_0);
  for (int i = 0; i < N; i++) {
    CloseHandle(threads[i]);
    if (args[i].failures != 0) fail_msg("client %d: %d failures, last: %s", i, args[i].failures, args[i].why);
  }
}

static void test_second_server_on_the_same_pipe_fails_loudly(void **state) {
  (void)state;
  svc_server *second = NULL;
  svc_server_options opt = {.pipe_path = pipe_path, .sddl = expected_sddl, .handler = handler};
  wctr_errmsg e;
  assert_int_equal(svc_server_start(&opt, &second, &e), WCTR_EBUSY);
  assert_null(second);
  assert_non_null(strstr(e.text, "already in use"));
  expect_version_works(connect_client()); /* the first one is untouched (client leaks until exit) */
}

static void test_failed_create_leaves_nothing(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  fail_create_at = create_calls + 1;
  wctr_errmsg e;
  assert_int_equal(start_server(0, &e), WCTR_ENOMEM);
  assert_non_null(strstr(e.text, "cannot create the pipe"));
  cli_client *c = NULL;
  assert_int_equal(cli_client_open(pipe_path, 200, &c, &e), WCTR_ENOENT);
  fail_create_at = 0;
  assert_int_equal(start_server(0, &e), WCTR_OK); /* for teardown */
}

static void test_unidentified_caller_is_refused(void **state) {
  (void)state;
  fail_impersonation = TRUE;
  cli_client *c = connect_client();
  assert_string_equal(raw_error_code(c, "{\"v\":1,\"id\":1,\"op\":\"version\"}", 29, NULL), "access_denied");
  /* ...and disconnected. */
  char *resp = NULL;
  size_t len;
  wctr_errmsg e;
  wctr_err err = cli_client_send(c, "{}", 2, T, &e);
  if (err == WCTR_OK) err = cli_client_recv(c, &resp, &len, T, &e);
  assert_int_equal(err, WCTR_EPIPE);
  free(resp);
  cli_client_close(c);
  fail_impersonation = FALSE;
  expect_version_works(connect_client());
}

static void test_connection_cap(void **state) {
  (void)state;
  svc_server_stop(server, T);
  server = NULL;
  wctr_errmsg e;
  assert_int_equal(start_server(2, &e), WCTR_OK);
  cli_client *a = connect_client();
  cli_client *b = connect_client();
  expect_version_works(a);
  expect_version_works(b);
  cli_client *c = NULL;
  /* Both connections are taken and no instance listens: a third client waits, then gives up. */
  assert_int_equal(cli_client_open(pipe_path, 300, &c, &e), WCTR_EBUSY);
  cli_client_close(a);
  c = connect_client(); /* room again */
  expect_version_works(c);
  cli_client_close(b);
  cli_client_close(c);
}

static void test_stop_with_idle_clients_is_prompt(void **state) {
  (void)state;
  cli_client *idle[5];
  for (int i = 0; i < 5; i++) idle[i] = connect_client();
  expect_version_works(idle[0]);
  DWORD start = GetTickCount();
  svc_server_stop(server, T);
  server = NULL;
  assert_true(GetTickCount() - start < 3000);
  char *resp = NULL;
  size_t len;
  wctr_errmsg e;
  wctr_err err = cli_client_send(idle[0], "{}", 2, 1000, &e);
  if (err == WCTR_OK) err = cli_client_recv(idle[0], &resp, &len, 1000, &e);
  assert_int_equal(err, WCTR_EPIPE);
  for (int i = 0; i < 5; i++) cli_client_close(idle[i]);
  assert_int_equal(start_server(0, &e), WCTR_OK); /* for teardown */
}

int main(void) {
  svc_sys.CreateNamedPipeW = recording_create;
  svc_sys.ImpersonateNamedPipeClient = maybe_failing_impersonation;
  wctr_log_configure(WCTR_LOG_ERROR, NULL, NULL);
  const char *groups[] = {"S-1-5-32-545"};
  char *sddl = NULL;
  wctr_errmsg e;
  if (acl_pipe_sddl(groups, 1, &sddl, &e) != WCTR_OK) {
    fprintf(stderr, "acl_pipe_sddl: %s\n", e.text);
    return 1;
  }
  snprintf(expected_sddl, sizeof expected_sddl, "%s", sddl);
  free(sddl);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_descriptor_handed_to_windows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_version_and_identity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_garbage_gets_errors_and_the_connection_survives, setup, teardown),
      cmocka_unit_test_setup_teardown(test_two_mib_request_is_refused_and_drained, setup, teardown),
      cmocka_unit_test_setup_teardown(test_request_of_exactly_the_limit_is_served, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connect_and_disconnect_without_a_word, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_clients_at_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_second_server_on_the_same_pipe_fails_loudly, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_create_leaves_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unidentified_caller_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stop_with_idle_clients_is_prompt, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
