/* The named objects' shared commands (cli/named.c): inspect, rm, prune and lists, first through the helpers
 * with a kind of this suite's, then through the volume, network, secret and credentialspec commands, whose
 * output, requests and exit codes they must keep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "testutil.h"

struct cli_connection {
  int unused;
};
static struct cli_connection the_connection;

/* The fake wctrd: answers every op with `answer`, except names listed in `fail_names` (by "Name" or "Id"),
 * which fail with fail_code and fail_text ("%s" there is the name). Records each request. */
static struct {
  bool unreachable;
  int connects;
  const char *answer;
  const char *fail_names[4];
  wctr_err fail_code;
  const char *fail_text;
  char ops[16][64];
  cJSON *params[16];
  int count;
} fake;

static wctr_err f_connect(void *ctx, const char *pipe, cli_connection **out, wctr_errmsg *e) {
  (void)ctx;
  (void)pipe;
  fake.connects++;
  if (fake.unreachable) return wctr_fail(e, WCTR_ENOENT, "no pipe");
  *out = &the_connection;
  return WCTR_OK;
}

static wctr_err f_call(cli_connection *c, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e) {
  assert_ptr_equal(c, &the_connection);
  const cJSON *name = cJSON_GetObjectItem(params, "Name");
  if (name == NULL) name = cJSON_GetObjectItem(params, "Id");
  bool fails = false;
  for (int i = 0; i < 4 && fake.fail_names[i] != NULL; i++) {
    fails = fails || (cJSON_IsString(name) && strcmp(name->valuestring, fake.fail_names[i]) == 0);
  }
  char text[160];
  snprintf(text, sizeof text, "%s %s", fake.fail_text != NULL ? fake.fail_text : "failed:",
           cJSON_IsString(name) ? name->valuestring : "");
  if (fake.count < 16) {
    snprintf(fake.ops[fake.count], sizeof fake.ops[0], "%s", op);
    fake.params[fake.count++] = params;
  } else {
    cJSON_Delete(params);
  }
  if (fails) return wctr_fail(e, fake.fail_code, "%s", text);
  *result = cJSON_Parse(fake.answer);
  assert_non_null(*result);
  return WCTR_OK;
}

static void f_disconnect(cli_connection *c) { (void)c; }

static FILE *out_f, *err_f;
static char out_name[128], err_name[128];
static char out_text[8192], err_text[8192];

/* A file of this process's own for stdout or stderr: tmpfile() under Wine names its files from a counter in
 * the drive's root, which another suite running at the same time can take too. */
static FILE *scratch(char *name, size_t size) {
  wctr_test_unique_name("cli-named", name, size);
  FILE *f = fopen(name, "w+b");
  assert_non_null(f);
  return f;
}

static void slurp(FILE *f, const char *name, char *buf, size_t size) {
  fflush(f);
  rewind(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
  remove(name);
}

static cli_platform platform = {.connect = f_connect, .call = f_call, .disconnect = f_disconnect};

/* A context for calling the helpers directly; finish() reads what they printed. */
static cli_ctx begin(void) {
  out_f = scratch(out_name, sizeof out_name);
  err_f = scratch(err_name, sizeof err_name);
  platform.out = out_f;
  platform.err = err_f;
  cli_ctx ctx = {.p = &platform, .fail_code = CLI_EXIT_ERROR};
  snprintf(ctx.pipe_path, sizeof ctx.pipe_path, "%s", "\\\\.\\pipe\\test");
  return ctx;
}

static void finish(void) {
  slurp(out_f, out_name, out_text, sizeof out_text);
  slurp(err_f, err_name, err_text, sizeof err_text);
}

static int run_cli(int argc, char **argv) {
  cli_ctx unused = begin();
  (void)unused;
  int rc = cli_main(argc, argv, &platform);
  finish();
  return rc;
}
#define RUN(...) run_cli((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), (char *[]){__VA_ARGS__})

static int reset(void **state) {
  (void)state;
  for (int i = 0; i < fake.count; i++) cJSON_Delete(fake.params[i]);
  memset(&fake, 0, sizeof fake);
  fake.answer = "{\"Name\":\"a<b\",\"Size\":1}";
  fake.fail_code = WCTR_ENOENT;
  return 0;
}

static char *sent(int i) {
  assert_true(i < fake.count);
  return cJSON_PrintUnformatted(fake.params[i]);
}

static void sent_is(int i, const char *op, const char *json) {
  assert_string_equal(fake.ops[i], op);
  char *text = sent(i);
  assert_string_equal(text, json);
  cJSON_free(text);
}

static const cli_named thing = {.key = "Id", .inspect_op = "thing.inspect", .remove_op = "thing.remove",
                                .error_prefix = "Error: ", .rm_style = CLI_NAMED_RM_WCTR};

static char *names3[] = {"a", "gone", "c"};

/* inspect: the found objects in Docker's layout on stdout, one line for each failure on stderr, exit 1. */
static void test_inspect_found_and_failed(void **state) {
  (void)state;
  fake.fail_names[0] = "gone";
  fake.fail_text = "thing not found:";
  cli_ctx ctx = begin();
  assert_int_equal(cli_named_inspect(&ctx, &thing, NULL, 3, names3), 1);
  finish();
  assert_string_equal(out_text, "[\n    {\n        \"Name\": \"a\\u003cb\",\n        \"Size\": 1\n    },\n"
                                "    {\n        \"Name\": \"a\\u003cb\",\n        \"Size\": 1\n    }\n]\n");
  assert_string_equal(err_text, "Error: thing not found: gone\n");
  assert_int_equal(fake.count, 3);
  sent_is(0, "thing.inspect", "{\"Id\":\"a\"}");
  sent_is(1, "thing.inspect", "{\"Id\":\"gone\"}");
  /* All found: exit 0, nothing on stderr; a template for each. */
  reset(NULL);
  ctx = begin();
  assert_int_equal(cli_named_inspect(&ctx, &thing, "{{.Name}}/{{.Size}}", 2, names3), 0);
  finish();
  assert_string_equal(out_text, "a<b/1\na<b/1\n");
  assert_string_equal(err_text, "");
}

/* no_such words every failure as docker volume inspect; plain leaves < > & as they are; shape is shown. */
static cJSON *wrap(const cJSON *answer) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "Spec", cJSON_Duplicate(answer, true));
  return o;
}

static cJSON *no_memory(const cJSON *answer) {
  (void)answer;
  return NULL;
}

static void test_inspect_wording_plain_and_shape(void **state) {
  (void)state;
  cli_named kind = thing;
  kind.key = "Name";
  kind.no_such = "thing";
  kind.error_prefix = "wctr: ";
  fake.fail_names[0] = "gone";
  fake.fail_code = WCTR_EBUSY; /* any failure: docker/cli says "No such" for every one */
  cli_ctx ctx = begin();
  assert_int_equal(cli_named_inspect(&ctx, &kind, "json", 2, names3), 1);
  finish();
  assert_string_equal(out_text, "[{\"Name\":\"a\\u003cb\",\"Size\":1}]\n");
  assert_string_equal(err_text, "Error: No such thing: gone\n");
  sent_is(1, "thing.inspect", "{\"Name\":\"gone\"}");
  kind.plain = true;
  kind.shape = wrap;
  ctx = begin();
  assert_int_equal(cli_named_inspect(&ctx, &kind, "json", 1, names3), 0);
  finish();
  assert_string_equal(out_text, "[{\"Spec\":{\"Name\":\"a<b\",\"Size\":1}}]\n");
  kind.shape = no_memory;
  ctx = begin();
  assert_int_equal(cli_named_inspect(&ctx, &kind, NULL, 1, names3), 1);
  finish();
  assert_string_equal(out_text, "[]\n");
  assert_string_equal(err_text, "wctr: out of memory\n");
}

/* A template that fails for an object is that object's error; one that does not parse is exit 64 before
 * any request. */
static void test_inspect_templates(void **state) {
  (void)state;
  cli_ctx ctx = begin();
  assert_int_equal(cli_named_inspect(&ctx, &thing, "{{.Nope}}", 1, names3), 1);
  finish();
  assert_string_equal(out_text, "\n");
  assert_true(strncmp(err_text, "Error: ", 7) == 0);
  assert_non_null(strstr(err_text, "map has no entry for key \"Nope\""));
  int before = fake.count;
  ctx = begin();
  assert_int_equal(cli_named_inspect(&ctx, &thing, "{{.Name", 1, names3), CLI_EXIT_TEMPLATE);
  finish();
  assert_string_equal(out_text, "");
  assert_true(strstr(err_text, "template parsing error") != NULL);
  assert_int_equal(fake.count, before);
}

/* wctrd cannot be reached: said once (one connection tried), the exit code is the context's. */
static void test_inspect_unreachable(void **state) {
  (void)state;
  fake.unreachable = true;
  cli_ctx ctx = begin();
  ctx.fail_code = 125;
  assert_int_equal(cli_named_inspect(&ctx, &thing, NULL, 3, names3), 125);
  finish();
  assert_int_equal(fake.connects, 1);
  assert_string_equal(out_text, "[]\n");
  assert_true(strstr(err_text, "the pipe does not exist") != NULL);
}

/* rm, wctr's way: -f is sent, each failure is "wctr: MESSAGE", every name is tried. */
static void test_remove_wctr_style(void **state) {
  (void)state;
  fake.fail_names[0] = "gone";
  fake.fail_text = "in use:";
  fake.fail_code = WCTR_ESTATE;
  cli_ctx ctx = begin();
  assert_int_equal(cli_named_remove(&ctx, &thing, true, 3, names3), 1);
  finish();
  assert_string_equal(out_text, "a\nc\n");
  assert_string_equal(err_text, "wctr: in use: gone\n");
  sent_is(0, "thing.remove", "{\"Id\":\"a\",\"Force\":true}");
  sent_is(2, "thing.remove", "{\"Id\":\"c\",\"Force\":true}");
  /* A missing object is an error here too: wctrd judges what -f forgives. */
  reset(NULL);
  fake.fail_names[0] = "gone";
  ctx = begin();
  assert_int_equal(cli_named_remove(&ctx, &thing, false, 2, names3), 1);
  finish();
  assert_string_equal(out_text, "a\n");
  assert_string_equal(err_text, "wctr: failed: gone\n");
  sent_is(1, "thing.remove", "{\"Id\":\"gone\"}");
  /* Unreachable: each name tries again, and says so. */
  reset(NULL);
  fake.unreachable = true;
  ctx = begin();
  assert_int_equal(cli_named_remove(&ctx, &thing, false, 3, names3), 1);
  finish();
  assert_int_equal(fake.connects, 3);
  assert_string_equal(out_text, "");
}

/* rm, docker/cli's network rm: -f stays here and forgives a missing object only; the daemon's words; a lost
 * connection stops. */
static void test_remove_docker_style(void **state) {
  (void)state;
  cli_named kind = thing;
  kind.rm_style = CLI_NAMED_RM_DOCKER;
  fake.fail_names[0] = "gone";
  cli_ctx ctx = begin();
  assert_int_equal(cli_named_remove(&ctx, &kind, true, 3, names3), 0);
  finish();
  assert_string_equal(out_text, "a\nc\n");
  assert_string_equal(err_text, "");
  sent_is(0, "thing.remove", "{\"Id\":\"a\"}");
  ctx = begin();
  assert_int_equal(cli_named_remove(&ctx, &kind, false, 3, names3), 1);
  finish();
  assert_string_equal(err_text, "Error response from daemon: failed: gone\n");
  fake.fail_code = WCTR_EACCES; /* -f forgives nothing else */
  ctx = begin();
  assert_int_equal(cli_named_remove(&ctx, &kind, true, 3, names3), 1);
  finish();
  assert_string_equal(out_text, "a\nc\n");
  assert_string_equal(err_text, "Error response from daemon: failed: gone\n");
  reset(NULL);
  fake.unreachable = true;
  ctx = begin();
  assert_int_equal(cli_named_remove(&ctx, &kind, false, 3, names3), 1);
  finish();
  assert_int_equal(fake.connects, 1);
}

/* prune: TITLE and the names when there are any; a failure is printed and its code returned. */
static void test_prune(void **state) {
  (void)state;
  fake.answer = "{\"ThingsDeleted\":[\"a\",7,\"b\"],\"SpaceReclaimed\":0}";
  cli_ctx ctx = begin();
  assert_int_equal(cli_named_prune(&ctx, "thing.prune", cJSON_Parse("{\"All\":true}"), "ThingsDeleted", "Deleted Things:"), 0);
  finish();
  assert_string_equal(out_text, "Deleted Things:\na\nb\n");
  sent_is(0, "thing.prune", "{\"All\":true}");
  fake.answer = "{\"ThingsDeleted\":[]}";
  ctx = begin();
  assert_int_equal(cli_named_prune(&ctx, "thing.prune", NULL, "ThingsDeleted", "Deleted Things:"), 0);
  finish();
  assert_string_equal(out_text, "");
  fake.unreachable = true;
  ctx = begin();
  assert_int_equal(cli_named_prune(&ctx, "thing.prune", NULL, "ThingsDeleted", "Deleted Things:"), 1);
  finish();
  assert_string_equal(out_text, "");
  assert_true(strstr(err_text, "cannot connect") != NULL);
}

/* Lists: a row a context, in the order given (or wctrd's), Docker's table and formats. */
static cJSON *thing_fields(const cJSON *item, void *arg) {
  int *calls = arg;
  (*calls)++;
  const cJSON *name = cJSON_GetObjectItem(item, "Name");
  if (cJSON_IsString(name) && strcmp(name->valuestring, "oom") == 0) return NULL;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "Name", cJSON_IsString(name) ? name->valuestring : "");
  cJSON_AddStringToObject(f, "Kind", "thing");
  return f;
}

static int by_name(const void *a, const void *b) {
  return strcmp(cJSON_GetObjectItem(*(const cJSON *const *)a, "Name")->valuestring,
                cJSON_GetObjectItem(*(const cJSON *const *)b, "Name")->valuestring);
}

static void test_print_list(void **state) {
  (void)state;
  int calls = 0;
  cli_named_list l = {.default_table = "table {{.Name}}\\t{{.Kind}}", .headers = "{\"Name\":\"NAME\",\"Kind\":\"KIND\"}",
                      .type_name = "*formatter.thingContext", .fields = thing_fields, .arg = &calls};
  cJSON *items = cJSON_Parse("[{\"Name\":\"zeta\"},{\"Name\":\"a-much-longer-name\"},{\"Name\":\"b\"}]");
  cli_ctx ctx = begin();
  assert_int_equal(cli_named_print_list(&ctx, &l, items), 0);
  finish();
  assert_string_equal(out_text, "NAME                 KIND\nzeta                 thing\na-much-longer-name   thing\n"
                                "b                    thing\n");
  assert_int_equal(calls, 3);
  l.order = by_name;
  l.format = "{{.Name}}";
  ctx = begin();
  assert_int_equal(cli_named_print_list(&ctx, &l, items), 0);
  finish();
  assert_string_equal(out_text, "a-much-longer-name\nb\nzeta\n");
  /* A template that fails: no row at all, the context's type named, exit 1. */
  l.format = "{{.Nope}}";
  ctx = begin();
  assert_int_equal(cli_named_print_list(&ctx, &l, items), 1);
  finish();
  assert_string_equal(out_text, "");
  assert_true(strstr(err_text, "can't evaluate field Nope in type *formatter.thingContext") != NULL);
  l.format = "{{.Name";
  ctx = begin();
  assert_int_equal(cli_named_print_list(&ctx, &l, items), 1);
  finish();
  assert_true(strstr(err_text, "template parsing error") != NULL);
  /* A row that cannot be made: nothing printed, said, exit 1. */
  cJSON_Delete(items);
  items = cJSON_Parse("[{\"Name\":\"a\"},{\"Name\":\"oom\"}]");
  l.format = NULL;
  ctx = begin();
  assert_int_equal(cli_named_print_list(&ctx, &l, items), 1);
  finish();
  assert_string_equal(out_text, "");
  assert_string_equal(err_text, "out of memory\n");
  /* No items: the header alone. */
  cJSON_Delete(items);
  items = cJSON_CreateArray();
  ctx = begin();
  assert_int_equal(cli_named_print_list(&ctx, &l, items), 0);
  finish();
  assert_string_equal(out_text, "NAME      KIND\n");
  cJSON_Delete(items);
}

/* The commands over the helpers: what each sends and prints, and its exit codes (with the cases
 * tests/cli/test_containers.c does not cover: several names, partial failures, wctrd unreachable). */
static void test_volume_and_secret_commands(void **state) {
  (void)state;
  fake.fail_names[0] = "gone";
  fake.fail_text = "no such volume:";
  assert_int_equal(RUN("wctr", "volume", "inspect", "-f", "{{.Name}}", "a", "gone", "b"), 1);
  assert_string_equal(out_text, "a<b\na<b\n");
  assert_string_equal(err_text, "Error: No such volume: gone\n");
  assert_int_equal(RUN("wctr", "volume", "rm", "a", "gone", "b"), 1);
  assert_string_equal(out_text, "a\nb\n");
  assert_string_equal(err_text, "wctr: no such volume: gone\n");
  fake.answer = "{\"VolumesDeleted\":[\"x\",\"y\"],\"SpaceReclaimed\":0}";
  assert_int_equal(RUN("wctr", "volume", "prune", "-f"), 0);
  assert_string_equal(out_text, "Deleted Volumes:\nx\ny\n");
  fake.answer = "{\"ID\":\"f00d\",\"Name\":\"pw\",\"CreatedAt\":\"2026-11-22T13:00:00Z\",\"Size\":3}";
  fake.fail_text = "secret not found:";
  assert_int_equal(RUN("wctr", "secret", "inspect", "-f", "{{.Spec.Name}} {{.ID}}", "pw", "gone"), 1);
  assert_string_equal(out_text, "pw f00d\n");
  assert_string_equal(err_text, "wctr: secret not found: gone\n");
  assert_int_equal(RUN("wctr", "secret", "rm", "-f", "pw", "gone"), 1);
  assert_string_equal(out_text, "pw\n");
  assert_string_equal(err_text, "wctr: secret not found: gone\n");
  int i = fake.count - 2;
  sent_is(i, "secret.remove", "{\"Name\":\"pw\",\"Force\":true}");
  fake.unreachable = true;
  int before = fake.connects;
  assert_int_equal(RUN("wctr", "volume", "rm", "a", "b"), 1);
  assert_int_equal(fake.connects - before, 2);
  before = fake.connects;
  assert_int_equal(RUN("wctr", "secret", "inspect", "a", "b"), 1);
  assert_int_equal(fake.connects - before, 1);
}

static void test_network_and_credspec_commands(void **state) {
  (void)state;
  fake.fail_names[0] = "gone";
  fake.fail_text = "network not found:";
  fake.answer = "{\"Name\":\"web\",\"Id\":\"7d3e\",\"Driver\":\"nat\"}";
  assert_int_equal(RUN("wctr", "network", "inspect", "-f", "{{.Id}}", "web", "gone"), 1);
  assert_string_equal(out_text, "7d3e\n");
  assert_string_equal(err_text, "Error: network not found: gone\n");
  sent_is(0, "network.inspect", "{\"Id\":\"web\"}");
  assert_int_equal(RUN("wctr", "network", "rm", "-f", "web", "gone", "db"), 0);
  assert_string_equal(out_text, "web\ndb\n");
  assert_string_equal(err_text, "");
  sent_is(2, "network.remove", "{\"Id\":\"web\"}");
  assert_int_equal(RUN("wctr", "network", "rm", "gone"), 1);
  assert_string_equal(err_text, "Error response from daemon: network not found: gone\n");
  fake.answer = "{\"NetworksDeleted\":[\"n1\"]}";
  assert_int_equal(RUN("wctr", "network", "prune", "-f"), 0);
  assert_string_equal(out_text, "Deleted Networks:\nn1\n");
  assert_null(fake.params[fake.count - 1]);
  fake.answer = "{\"Name\":\"web.json\",\"Spec\":{\"PluginInput\":\"<redacted>\"}}";
  fake.fail_text = "no credential spec named";
  assert_int_equal(RUN("wctr", "credentialspec", "inspect", "-f", "{{json .Spec}}", "web.json", "gone"), 1);
  assert_string_equal(out_text, "{\"PluginInput\":\"<redacted>\"}\n");
  assert_string_equal(err_text, "wctr: no credential spec named gone\n");
  assert_int_equal(RUN("wctr", "credentialspec", "rm", "gone"), 1);
  assert_string_equal(out_text, "");
  assert_string_equal(err_text, "wctr: no credential spec named gone\n");
  assert_int_equal(RUN("wctr", "credentialspec", "rm", "web.json"), 0);
  assert_string_equal(out_text, "web.json\n");
  sent_is(fake.count - 1, "credentialspec.remove", "{\"Name\":\"web.json\"}");
  fake.unreachable = true;
  int before = fake.connects;
  assert_int_equal(RUN("wctr", "network", "rm", "a", "b"), 1);
  assert_int_equal(fake.connects - before, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_inspect_found_and_failed, reset),
      cmocka_unit_test_setup(test_inspect_wording_plain_and_shape, reset),
      cmocka_unit_test_setup(test_inspect_templates, reset),
      cmocka_unit_test_setup(test_inspect_unreachable, reset),
      cmocka_unit_test_setup(test_remove_wctr_style, reset),
      cmocka_unit_test_setup(test_remove_docker_style, reset),
      cmocka_unit_test_setup(test_prune, reset),
      cmocka_unit_test_setup(test_print_list, reset),
      cmocka_unit_test_setup(test_volume_and_secret_commands, reset),
      cmocka_unit_test_setup(test_network_and_credspec_commands, reset),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  reset(NULL);
  return rc;
}
