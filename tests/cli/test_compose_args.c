/* tests/cli/test_compose_args.c - `wctr compose [-f FILE]... [-p NAME] COMMAND [--format yaml|json]`: the
 * words of the command, which stay in cli/ (cli/compose_cmd.h) while the files are the compose module's. */
#include <string.h>

#include "cli/compose_cmd.h"
#include "testutil.h"

/* Parses the words after "compose" (argv[0] is "compose"). */
static wctr_err parse(cli_compose_args *a, wctr_errmsg *e, int argc, const char **words) {
  return cli_compose_parse_args(argc, (char **)words, 1, a, e);
}

static void test_args_ok(void **state) {
  (void)state;
  cli_compose_args a;
  wctr_errmsg e;
  const char *w1[] = {"compose", "-f",   "compose.yml", "--file", "prod.yml", "--file=ops\\extra.yml",
                      "-p",      "shop", "up"};
  assert_int_equal(parse(&a, &e, 9, w1), WCTR_OK);
  assert_int_equal(a.file_count, 3);
  assert_string_equal(a.files[0], "compose.yml");
  assert_string_equal(a.files[1], "prod.yml");
  assert_string_equal(a.files[2], "ops\\extra.yml");
  assert_string_equal(a.project_name, "shop");
  assert_int_equal(a.command, CLI_COMPOSE_CMD_UP);
  assert_false(a.json);
  assert_false(a.help);
  cli_compose_args_free(&a);

  const char *w2[] = {"compose", "config", "--format", "json"};
  assert_int_equal(parse(&a, &e, 4, w2), WCTR_OK);
  assert_int_equal(a.command, CLI_COMPOSE_CMD_CONFIG);
  assert_int_equal(a.file_count, 0);
  assert_null(a.project_name);
  assert_true(a.json);
  cli_compose_args_free(&a);

  const char *w3[] = {"compose", "--project-name=x", "config", "--format=yaml"};
  assert_int_equal(parse(&a, &e, 4, w3), WCTR_OK);
  assert_string_equal(a.project_name, "x");
  assert_false(a.json);
  cli_compose_args_free(&a);

  static const struct {
    const char *word;
    cli_compose_command_kind kind;
  } cmds[] = {{"up", CLI_COMPOSE_CMD_UP},
              {"down", CLI_COMPOSE_CMD_DOWN},
              {"ps", CLI_COMPOSE_CMD_PS},
              {"logs", CLI_COMPOSE_CMD_LOGS},
              {"config", CLI_COMPOSE_CMD_CONFIG},
              {"pull", CLI_COMPOSE_CMD_PULL}};
  for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
    const char *w[] = {"compose", cmds[i].word};
    assert_int_equal(parse(&a, &e, 2, w), WCTR_OK);
    assert_int_equal(a.command, cmds[i].kind);
    cli_compose_args_free(&a);
  }

  const char *wp[] = {"compose", "pull", "web", "--ignore-pull-failures", "-q", "db"};
  assert_int_equal(parse(&a, &e, 6, wp), WCTR_OK);
  assert_true(a.quiet);
  assert_true(a.ignore_pull_failures);
  assert_int_equal(a.service_count, 2);
  assert_string_equal(a.services[0], "web");
  assert_string_equal(a.services[1], "db");
  cli_compose_args_free(&a);

  const char *w4[] = {"compose", "--help"};
  assert_int_equal(parse(&a, &e, 2, w4), WCTR_OK);
  assert_true(a.help);
  assert_int_equal(a.command, CLI_COMPOSE_CMD_NONE);
  cli_compose_args_free(&a);
  const char *w5[] = {"compose", "down", "-h"};
  assert_int_equal(parse(&a, &e, 3, w5), WCTR_OK);
  assert_true(a.help);
  assert_int_equal(a.command, CLI_COMPOSE_CMD_DOWN);
  cli_compose_args_free(&a);
  /* A command's options before or after its operand, as docker compose's: logs web -f, logs -f web. */
  const char *w6[] = {"compose", "logs", "web", "-f"};
  assert_int_equal(parse(&a, &e, 4, w6), WCTR_OK);
  assert_string_equal(a.service, "web");
  assert_true(a.follow);
  cli_compose_args_free(&a);
  const char *w7[] = {"compose", "logs", "-f", "--", "web"};
  assert_int_equal(parse(&a, &e, 5, w7), WCTR_OK);
  assert_string_equal(a.service, "web");
  assert_true(a.follow);
  cli_compose_args_free(&a);
  const char *w8[] = {"compose", "up", "-d", "-d"};
  assert_int_equal(parse(&a, &e, 4, w8), WCTR_OK);
  assert_true(a.detach);
  cli_compose_args_free(&a);
  cli_compose_args_free(NULL);
}

static void expect_error(int argc, const char **words, const char *message) {
  cli_compose_args a;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  assert_int_equal(parse(&a, &e, argc, words), WCTR_EINVAL);
  assert_string_equal(e.text, message);
  assert_null(a.files);
  assert_int_equal(a.file_count, 0);
}

static void test_args_errors(void **state) {
  (void)state;
  const char *w1[] = {"compose"};
  expect_error(1, w1, "a compose command is required (up, down, ps, logs, restart, pause, unpause, exec, pull, config, convert)");
  const char *w2[] = {"compose", "start"};
  expect_error(2, w2, "\"start\" is not a compose command (up, down, ps, logs, restart, pause, unpause, exec, pull, config, convert)");
  const char *w3[] = {"compose", "--fiel", "x", "up"};
  expect_error(4, w3, "unknown flag: --fiel");
  const char *w4[] = {"compose", "-f"};
  expect_error(2, w4, "flag needs an argument: -f");
  const char *w5[] = {"compose", "config", "--format", "toml"};
  expect_error(4, w5, "--format \"toml\" is not supported: use yaml or json");
  const char *w6[] = {"compose", "up", "--format", "json"};
  expect_error(4, w6, "unknown flag: --format");
  const char *w7[] = {"compose", "ps", "extra"};
  expect_error(3, w7, "\"compose ps\" takes no arguments, but \"extra\" was given");
  const char *w8[] = {"compose", "-f", "", "up"};
  expect_error(4, w8, "-f/--file needs a file name");
  const char *w9[] = {"compose", "logs", "web", "db"};
  expect_error(4, w9, "\"compose logs\" takes at most 1 argument (SERVICE), but \"db\" was given");
  const char *w10[] = {"compose", "convert"};
  expect_error(2, w10, "convert needs --format kubernetes (the only format it writes)");
  const char *w11[] = {"compose", "convert", "--format", "yaml"};
  expect_error(4, w11, "--format \"yaml\" is not supported: use kubernetes");
  const char *w12[] = {"compose", "convert", "--format", "kubernetes", "--service-type", "clusterip"};
  expect_error(6, w12, "--service-type \"clusterip\" is not ClusterIP, NodePort or LoadBalancer");
  const char *w13[] = {"compose", "convert", "--format", "kubernetes", "-o", ""};
  expect_error(6, w13, "-o/--output needs a folder (or - for standard output)");
  const char *w14[] = {"compose", "convert", "--format", "kubernetes", "out"};
  expect_error(5, w14, "\"compose convert\" takes no arguments, but \"out\" was given");
  const char *w15[] = {"compose", "up", "--plain-text-secrets"};
  expect_error(3, w15, "unknown flag: --plain-text-secrets");
}

static void test_convert_args(void **state) {
  (void)state;
  cli_compose_args a;
  wctr_errmsg e;
  const char *w1[] = {"compose", "-p", "shop", "convert", "--format", "kubernetes", "-o", "k8s", "-n", "team-a",
                      "--service-type", "LoadBalancer", "--plain-text-secrets", "--allow-plugin-input",
                      "--host-process-image", "hpc:1"};
  assert_int_equal(parse(&a, &e, 16, w1), WCTR_OK);
  assert_int_equal(a.command, CLI_COMPOSE_CMD_CONVERT);
  assert_true(a.kubernetes);
  assert_string_equal(a.output, "k8s");
  assert_string_equal(a.namespace_name, "team-a");
  assert_string_equal(a.service_type, "LoadBalancer");
  assert_true(a.plain_text_secrets);
  assert_true(a.allow_plugin_input);
  assert_string_equal(a.host_process_image, "hpc:1");
  cli_compose_args_free(&a);
  const char *w2[] = {"compose", "convert", "--format=kubernetes"};
  assert_int_equal(parse(&a, &e, 3, w2), WCTR_OK);
  assert_null(a.output);
  assert_false(a.plain_text_secrets);
  assert_false(a.allow_plugin_input);
  cli_compose_args_free(&a);
  const char *w3[] = {"compose", "convert", "-h"};
  assert_int_equal(parse(&a, &e, 3, w3), WCTR_OK);
  assert_true(a.help);
  cli_compose_args_free(&a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_args_ok),
      cmocka_unit_test(test_args_errors),
      cmocka_unit_test(test_convert_args),
  };
  return cmocka_run_group_tests_name("compose_args", tests, NULL, NULL);
}
