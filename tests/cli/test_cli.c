/* wctr's commands against a fake connection: exit codes, output, and the messages people read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "testutil.h"

struct cli_connection {
  int unused;
};

static struct {
  wctr_err connect_err;
  wctr_err call_err;
  char call_message[128];
  char last_pipe[256];
  char last_op[64];
  int connects;
  int disconnects;
  const char *result_json;
} fake;

static struct cli_connection the_connection;

static wctr_err fake_connect(void *ctx, const char *pipe_path, cli_connection **out, wctr_errmsg *e) {
  (void)ctx;
  fake.connects++;
  snprintf(fake.last_pipe, sizeof fake.last_pipe, "%s", pipe_path);
  if (fake.connect_err != WCTR_OK) return wctr_fail(e, fake.connect_err, "fake connect failure");
  *out = &the_connection;
  return WCTR_OK;
}

static wctr_err fake_call(cli_connection *conn, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e) {
  assert_ptr_equal(conn, &the_connection);
  cJSON_Delete(params);
  if (strcmp(op, "container.list") != 0 && strcmp(op, "image.list") != 0) {
    snprintf(fake.last_op, sizeof fake.last_op, "%s", op);
  }
  if (fake.call_err != WCTR_OK) return wctr_fail(e, fake.call_err, "%s", fake.call_message);
  /* info --format also counts containers and images. */
  if (strcmp(op, "container.list") == 0) {
    *result = cJSON_Parse("[{\"State\":\"running\"},{\"State\":\"exited\"},{\"State\":\"created\"}]");
    return WCTR_OK;
  }
  if (strcmp(op, "image.list") == 0) {
    *result = cJSON_Parse("[{\"Name\":\"a:latest\"}]");
    return WCTR_OK;
  }
  *result = cJSON_Parse(fake.result_json);
  assert_non_null(*result);
  return WCTR_OK;
}

static void fake_disconnect(cli_connection *conn) {
  assert_ptr_equal(conn, &the_connection);
  fake.disconnects++;
}

static char out_text[8192];
static char err_text[8192];

static void slurp(FILE *f, char *buf, size_t size) {
  fflush(f);
  rewind(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
}

/* Runs wctr with the given arguments (NULL-terminated) and env host; returns the exit code. */
static int run_cli(const char *env_host, ...) {
  char *argv[32];
  int argc = 0;
  argv[argc++] = "wctr";
  va_list ap;
  va_start(ap, env_host);
  for (char *a = va_arg(ap, char *); a != NULL && argc < 31; a = va_arg(ap, char *)) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  FILE *out = wctr_test_tmpfile();
  FILE *err = wctr_test_tmpfile();
  assert_non_null(out);
  assert_non_null(err);
  cli_platform p = {.out = out, .err = err, .env_host = env_host, .connect = fake_connect, .call = fake_call,
                    .disconnect = fake_disconnect};
  int rc = cli_main(argc, argv, &p);
  slurp(out, out_text, sizeof out_text);
  slurp(err, err_text, sizeof err_text);
  return rc;
}

static void contains(const char *text, const char *part) {
  if (strstr(text, part) == NULL) fail_msg("\"%s\" not found in:\n%s", part, text);
}

static int reset(void **state) {
  (void)state;
  memset(&fake, 0, sizeof fake);
  fake.result_json = "{\"Version\":\"9.9.9\",\"ApiVersion\":1,\"Os\":\"windows\",\"Arch\":\"amd64\"}";
  return 0;
}

/* docker version's layout: labels aligned by the tabwriter (minwidth 20, padding 1). */
static void test_version_shows_client_and_server(void **state) {
  (void)state;
  assert_int_equal(run_cli(NULL, "version", NULL), 0);
  assert_string_equal(out_text, "Client: wctr\n"
                                " Version:           " WCTR_VERSION "\n"
                                " API version:       1\n"
                                " OS/Arch:           windows/amd64\n"
                                " Context:           default\n"
                                "\n"
                                "Server: wctr\n"
                                " Engine:\n"
                                "  Version:          9.9.9\n"
                                "  API version:      1\n"
                                "  OS/Arch:          windows/amd64\n");
  assert_string_equal(fake.last_pipe, "\\\\.\\pipe\\wctr_engine");
  assert_string_equal(fake.last_op, "version");
  assert_int_equal(fake.disconnects, 1);
  assert_string_equal(err_text, "");
}

/* version --format: Go templates over {Client, Server} with Docker's keys; json is {{json .}}. */
static void test_version_format(void **state) {
  (void)state;
  assert_int_equal(run_cli(NULL, "version", "--format", "{{.Server.Version}}", NULL), 0);
  assert_string_equal(out_text, "9.9.9\n");
  assert_int_equal(run_cli(NULL, "version", "-f", "{{.Client.Version}} {{.Server.APIVersion}} {{.Server.Os}}", NULL), 0);
  assert_string_equal(out_text, WCTR_VERSION " 1 windows\n");
  assert_int_equal(run_cli(NULL, "version", "--format", "json", NULL), 0);
  cJSON *v = cJSON_Parse(out_text);
  assert_non_null(v);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "Server"), "Version")->valuestring, "9.9.9");
  const cJSON *engine = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "Server"), "Components"), 0);
  assert_string_equal(cJSON_GetObjectItem(engine, "Name")->valuestring, "Engine");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "Client"), "Version")->valuestring, WCTR_VERSION);
  cJSON_Delete(v);
  /* A field Docker's version does not have is an error (1), never printed back as written. */
  assert_int_equal(run_cli(NULL, "version", "--format", "{{.Server.Nope}}", NULL), 1);
  contains(err_text, "map has no entry for key \"Nope\"");
  assert_null(strstr(out_text, "Nope"));
  /* A template that does not parse: docker/cli's status 64, before wctrd is asked anything. */
  int before = fake.connects;
  assert_int_equal(run_cli(NULL, "version", "--format", "{{.Server.Version", NULL), 64);
  contains(err_text, "template parsing error: template: :1: unclosed action");
  assert_int_equal(fake.connects, before);
}

static void test_version_without_service_still_shows_client(void **state) {
  (void)state;
  fake.connect_err = WCTR_ENOENT;
  assert_int_equal(run_cli(NULL, "version", NULL), 1);
  contains(out_text, "Client: wctr\n Version:           " WCTR_VERSION);
  assert_null(strstr(out_text, "Server:"));
  contains(err_text, "cannot connect to wctrd at \\\\.\\pipe\\wctr_engine: the pipe does not exist");
  contains(err_text, "net start wctrd");
  contains(err_text, "wctrd run");
  assert_int_equal(fake.disconnects, 0);
  /* The server's fields are nil: a template that needs them fails, after the client's part. */
  assert_int_equal(run_cli(NULL, "version", "--format", "{{.Client.Version}}", NULL), 1);
  assert_string_equal(out_text, WCTR_VERSION "\n");
}

/* Exit codes as docker/cli's: wctrd unreachable or failing is 1 for commands other than run/create. */
static void test_access_denied_says_who_may_connect(void **state) {
  (void)state;
  fake.connect_err = WCTR_EACCES;
  assert_int_equal(run_cli(NULL, "info", NULL), 1);
  contains(err_text, "access to \\\\.\\pipe\\wctr_engine is denied");
  contains(err_text, "--group");
}

static void test_host_from_flag_and_environment(void **state) {
  (void)state;
  assert_int_equal(run_cli("npipe:////./pipe/from_env", "version", NULL), 0);
  assert_string_equal(fake.last_pipe, "\\\\.\\pipe\\from_env");
  assert_int_equal(run_cli("npipe:////./pipe/from_env", "-H", "\\\\.\\pipe\\from_flag", "version", NULL), 0);
  assert_string_equal(fake.last_pipe, "\\\\.\\pipe\\from_flag");
  assert_int_equal(run_cli(NULL, "--host=npipe:////./pipe/eq", "version", NULL), 0);
  assert_string_equal(fake.last_pipe, "\\\\.\\pipe\\eq");
}

/* A bad -H is a flag error (125); a bad WCTR_HOST is not a flag, so 1. */
static void test_bad_hosts_fail_before_connecting(void **state) {
  (void)state;
  assert_int_equal(run_cli("tcp://1.2.3.4:2375", "version", NULL), 1);
  contains(err_text, "WCTR_HOST \"tcp://1.2.3.4:2375\": wctr talks over a named pipe only");
  assert_int_equal(run_cli(NULL, "-H", "npipe:////other/pipe/x", "info", NULL), 125);
  contains(err_text, "--host \"npipe:////other/pipe/x\": only pipes on this machine");
  assert_int_equal(fake.connects, 0);
}

static const char info_json[] =
    "{\"ServerVersion\":\"0.1.0\",\"OperatingSystem\":\"Windows Server 2022 Datacenter\",\"OSVersion\":"
    "\"10.0.20348\",\"OSType\":\"windows\",\"DataRoot\":\"C:\\\\ProgramData\\\\wctr\",\"HCS\":{\"Available\":false,"
    "\"Detail\":\"not here\"},\"Isolation\":{\"Default\":\"process\",\"Available\":[\"job\"]},\"Pipe\":{\"Name\":"
    "\"\\\\\\\\.\\\\pipe\\\\wctr_engine\",\"SDDL\":\"D:P(A;;FA;;;SY)(A;;FA;;;BA)\"},\"BitLocker\":{\"Volume\":\"C:\\\\\","
    "\"State\":\"unknown\",\"Detail\":\"no provider\"},\"Caller\":{\"SID\":\"S-1-5-21-1-2-3-500\",\"Name\":\"H\\\\admin\"}}";

static void test_info_text_and_json(void **state) {
  (void)state;
  fake.result_json = info_json;
  assert_int_equal(run_cli(NULL, "info", NULL), 0);
  contains(out_text, "Operating System:    Windows Server 2022 Datacenter\n");
  contains(out_text, "OS Version:          10.0.20348\n");
  contains(out_text, "HCS:                 not available\n  not here\n");
  contains(out_text, "Default Isolation:   process\n");
  contains(out_text, "Isolation Available: job\n");
  contains(out_text, "Data Root:           C:\\ProgramData\\wctr\n");
  contains(out_text, "Pipe DACL:           D:P(A;;FA;;;SY)(A;;FA;;;BA)\n");
  contains(out_text, "BitLocker:           unknown (volume C:\\)\n  no provider\n");
  contains(out_text, "Caller:              H\\admin (S-1-5-21-1-2-3-500)\n");
  /* {{json .}}: Docker's keys (DockerRootDir, Isolation as the default's name, the counts), then wctr's. */
  assert_int_equal(run_cli(NULL, "info", "--format", "{{json .}}", NULL), 0);
  cJSON *parsed = cJSON_Parse(out_text);
  assert_non_null(parsed);
  assert_string_equal(cJSON_GetObjectItem(parsed, "OSVersion")->valuestring, "10.0.20348");
  assert_string_equal(cJSON_GetObjectItem(parsed, "DockerRootDir")->valuestring, "C:\\ProgramData\\wctr");
  assert_string_equal(cJSON_GetObjectItem(parsed, "Isolation")->valuestring, "process");
  assert_int_equal(cJSON_GetObjectItem(parsed, "Containers")->valueint, 3);
  assert_int_equal(cJSON_GetObjectItem(parsed, "ContainersRunning")->valueint, 1);
  assert_int_equal(cJSON_GetObjectItem(parsed, "ContainersStopped")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(parsed, "Images")->valueint, 1);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(parsed, "HCS"), "Available")));
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(parsed, "ClientInfo"), "Version")->valuestring, WCTR_VERSION);
  assert_null(cJSON_GetObjectItem(parsed, "DataRoot"));
  cJSON_Delete(parsed);
  assert_int_equal(run_cli(NULL, "info", "-f", "json", NULL), 0);
  assert_int_equal(out_text[0], '{');
  assert_int_equal(run_cli(NULL, "info", "--format", "{{.ServerVersion}} {{.OSType}} {{.Isolation}} {{.HCS.Detail}}", NULL), 0);
  assert_string_equal(out_text, "0.1.0 windows process not here\n");
  /* Unknown fields are errors, not text. */
  assert_int_equal(run_cli(NULL, "info", "--format", "{{.ServerVersion}}x{{.Bogus}}", NULL), 1);
  contains(err_text, "template parsing error: template: :1:");
  contains(err_text, "map has no entry for key \"Bogus\"");
  assert_int_equal(run_cli(NULL, "info", "--format", "{{if}}", NULL), 64);
  contains(err_text, "missing value for if");
}

static void test_service_errors_are_shown(void **state) {
  (void)state;
  fake.call_err = WCTR_EBADOP;
  snprintf(fake.call_message, sizeof fake.call_message, "unknown operation \"info\"");
  assert_int_equal(run_cli(NULL, "info", NULL), 1);
  assert_string_equal(err_text, "wctr: unknown operation \"info\"\n");
  assert_int_equal(fake.disconnects, 1);
}

/* docker/cli's codes: a flag error 125, a wrong number of operands or an unknown command 1. */
static void test_usage_errors(void **state) {
  (void)state;
  assert_int_equal(run_cli(NULL, "frobnicate", NULL), 1);
  contains(err_text, "'frobnicate' is not a wctr command");
  assert_int_equal(run_cli(NULL, "--bogus", NULL), 125);
  contains(err_text, "unknown flag: --bogus");
  assert_int_equal(run_cli(NULL, "info", "--bogus", NULL), 125);
  contains(err_text, "wctr info: unknown flag: --bogus\nSee 'wctr info --help'.");
  assert_int_equal(run_cli(NULL, "version", "extra", NULL), 1);
  contains(err_text, "\"version\" accepts no arguments");
  assert_int_equal(run_cli(NULL, "-H", NULL), 125);
  contains(err_text, "flag needs an argument: -H");
  assert_int_equal(run_cli(NULL, "help", "nosuch", NULL), 1);
  assert_int_equal(fake.connects, 0);
}

/* wctr alone prints its usage on stdout and succeeds, as docker does. */
static void test_no_arguments_prints_usage(void **state) {
  (void)state;
  assert_int_equal(run_cli(NULL, NULL), 0);
  contains(out_text, "Usage: wctr [OPTIONS] COMMAND");
  assert_string_equal(err_text, "");
  assert_int_equal(fake.connects, 0);
}

static void test_help_never_connects(void **state) {
  (void)state;
  assert_int_equal(run_cli(NULL, "--help", NULL), 0);
  contains(out_text, "Commands:\n  run ");
  contains(out_text, "\n  info ");
  assert_int_equal(run_cli(NULL, "info", "--help", NULL), 0);
  contains(out_text, "Usage: wctr info");
  assert_int_equal(run_cli(NULL, "help", "version", NULL), 0);
  contains(out_text, "Usage: wctr version");
  assert_int_equal(run_cli(NULL, "-v", NULL), 0);
  assert_string_equal(out_text, "wctr version " WCTR_VERSION "\n");
  /* --help anywhere among a command's words, as docker's flags. */
  assert_int_equal(run_cli(NULL, "stop", "web", "--help", NULL), 0);
  contains(out_text, "Usage: wctr stop");
  assert_int_equal(run_cli(NULL, "run", "--help", NULL), 0);
  contains(out_text, "Usage: wctr run");
  assert_int_equal(fake.connects, 0);
}

/* The help flag takes a value as pflag's bool flags do (--help=V, -h=V, Go's ParseBool) in the dispatch and
 * in every command, and the last one wins: false runs the command. */
static void test_help_takes_go_bool_values(void **state) {
  (void)state;
  assert_int_equal(run_cli(NULL, "version", "--help=false", NULL), 0);
  contains(out_text, "Server: wctr");
  assert_int_equal(fake.connects, 1);
  assert_int_equal(run_cli(NULL, "version", "-h", "--help=0", NULL), 0);
  contains(out_text, "Server: wctr");
  assert_int_equal(fake.connects, 2);
  assert_int_equal(run_cli(NULL, "version", "--help=False", "-h=t", NULL), 0);
  contains(out_text, "Usage: wctr version");
  assert_int_equal(run_cli(NULL, "stop", "web", "--help=TRUE", NULL), 0);
  contains(out_text, "Usage: wctr stop");
  assert_int_equal(run_cli(NULL, "stop", "-h=1", "web", NULL), 0);
  contains(out_text, "Usage: wctr stop");
  assert_int_equal(fake.connects, 2);
  /* A value ParseBool refuses: pflag's message, a flag error (125). */
  assert_int_equal(run_cli(NULL, "version", "--help=maybe", NULL), 125);
  assert_string_equal(err_text, "wctr version: invalid argument \"maybe\" for \"-h, --help\" flag: strconv.ParseBool: "
                                "parsing \"maybe\": invalid syntax\nSee 'wctr version --help'.\n");
  assert_int_equal(run_cli(NULL, "info", "-h=", NULL), 125);
  contains(err_text, "wctr info: unknown shorthand flag: '=' in -=");
  /* After "--" the words are operands, help words too. */
  (void)run_cli(NULL, "stop", "--", "--help", NULL);
  assert_null(strstr(out_text, "Usage:"));
  assert_int_equal(fake.connects, 3);
  /* Before the command: wctr's own flag. */
  assert_int_equal(run_cli(NULL, "--help=false", "-h=0", "version", NULL), 0);
  contains(out_text, "Server: wctr");
  assert_int_equal(run_cli(NULL, "-h=true", "version", NULL), 0);
  contains(out_text, "Usage: wctr [OPTIONS] COMMAND");
  assert_int_equal(run_cli(NULL, "--help=2", "version", NULL), 125);
  contains(err_text, "invalid argument \"2\" for \"-h, --help\" flag");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_version_shows_client_and_server, reset),
      cmocka_unit_test_setup(test_version_format, reset),
      cmocka_unit_test_setup(test_no_arguments_prints_usage, reset),
      cmocka_unit_test_setup(test_version_without_service_still_shows_client, reset),
      cmocka_unit_test_setup(test_access_denied_says_who_may_connect, reset),
      cmocka_unit_test_setup(test_host_from_flag_and_environment, reset),
      cmocka_unit_test_setup(test_bad_hosts_fail_before_connecting, reset),
      cmocka_unit_test_setup(test_info_text_and_json, reset),
      cmocka_unit_test_setup(test_service_errors_are_shown, reset),
      cmocka_unit_test_setup(test_usage_errors, reset),
      cmocka_unit_test_setup(test_help_never_connects, reset),
      cmocka_unit_test_setup(test_help_takes_go_bool_values, reset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
