/* pipe_probe PIPE: speaks to a running wctrd the way a broken or hostile client would, and checks that
 * every message gets the right error and that the service keeps serving. Prints one line per check and
 * "N passed, N failed"; exits 1 when anything failed. Used by tests/e2e/service_lifecycle.sh against the
 * real service started by the SCM. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/client.h"

enum { T = 10000 };

static int passed;
static int failed;
static const char *pipe_path;

static void check(int ok, const char *what, const char *detail) {
  printf("%s: %s%s%s\n", ok ? "ok  " : "FAIL", what, detail != NULL ? " - " : "", detail != NULL ? detail : "");
  if (ok) {
    passed++;
  } else {
    failed++;
  }
}

/* Sends one raw message and checks the error code of the answer. */
static void expect_error(cli_client *c, const char *what, const char *msg, size_t len, const char *code) {
  wctr_errmsg e;
  char *resp = NULL;
  size_t resp_len = 0;
  if (cli_client_send(c, msg, len, T, &e) != WCTR_OK || cli_client_recv(c, &resp, &resp_len, T, &e) != WCTR_OK) {
    check(0, what, e.text);
    return;
  }
  cJSON *root = cJSON_ParseWithLength(resp, resp_len);
  const cJSON *got = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "error"), "code");
  check(cJSON_IsString(got) && strcmp(got->valuestring, code) == 0, what, cJSON_IsString(got) ? got->valuestring : resp);
  cJSON_Delete(root);
  free(resp);
}

static void expect_version(cli_client *c, const char *what) {
  cJSON *result = NULL;
  wctr_errmsg e;
  wctr_err err = cli_client_call(c, "version", NULL, &result, T, &e);
  check(err == WCTR_OK && cJSON_GetObjectItem(result, "Version") != NULL, what, err == WCTR_OK ? NULL : e.text);
  cJSON_Delete(result);
}

static cli_client *open_client(void) {
  cli_client *c = NULL;
  wctr_errmsg e;
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK) {
    check(0, "connect", e.text);
    return NULL;
  }
  return c;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: pipe_probe \\\\.\\pipe\\NAME\n");
    return 2;
  }
  pipe_path = argv[1];
  cli_client *c = open_client();
  if (c == NULL) return 1;
  static const struct {
    const char *what;
    const char *msg;
    const char *code;
  } cases[] = {
      {"invalid JSON", "{\"v\":1,", "bad_request"},
      {"wrong type of id", "{\"v\":1,\"id\":\"x\",\"op\":\"info\"}", "bad_request"},
      {"wrong type of params", "{\"v\":1,\"id\":1,\"op\":\"info\",\"params\":\"x\"}", "bad_request"},
      {"unknown op", "{\"v\":1,\"id\":2,\"op\":\"rm-rf\"}", "unknown_op"},
      {"empty message", "", "bad_request"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    expect_error(c, cases[i].what, cases[i].msg, strlen(cases[i].msg), cases[i].code);
  }
  size_t big = 2u * 1024u * 1024u;
  char *msg = malloc(big);
  memset(msg, 'x', big);
  expect_error(c, "2 MiB message", msg, big, "too_large");
  free(msg);
  expect_version(c, "same connection still served");
  cli_client_close(c);
  for (int i = 0; i < 20; i++) {
    cli_client *quiet = open_client();
    if (quiet != NULL) cli_client_close(quiet);
  }
  c = open_client();
  if (c != NULL) {
    expect_version(c, "served after 20 silent connect/disconnects");
    cli_client_close(c);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
