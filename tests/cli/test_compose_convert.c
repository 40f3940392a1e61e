/* tests/cli/test_compose_convert.c - `wctr compose convert --format kubernetes` through cli_main with a fake
 * platform: the YAML on standard output or one file per object, what is asked of wctrd (image.inspect,
 * credentialspec.inspect, secret.read) and what happens when wctrd cannot be reached. The mapping itself is
 * tests/kube's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "testutil.h"

static struct {
  bool unreachable;
  int connects;
  char ops[16][64];
  char names[16][64];
  int count;
  struct {
    char dir[64];
    char name[128];
    char *data;
  } written[32];
  int written_count;
  bool fail_write;
} fake;

static const char compose_yml[] =
    "name: shop\n"
    "services:\n"
    "  web:\n"
    "    image: shop-web\n"
    "    restart: always\n"
    "    credential_spec: {file: web.json}\n"
    "    secrets: [db]\n"
    "secrets:\n"
    "  db: {file: ./db.txt}\n";
static const char plain_yml[] = "services:\n  api:\n    image: shop-api\n    command: [api.exe]\n";

static const char spec_json[] =
    "{\"Name\":\"web.json\",\"Source\":\"file://web.json\",\"Spec\":{\"CmsPlugins\":[\"ActiveDirectory\"],"
    "\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\",\"MachineAccountName\":\"webapp01\",\"Guid\":"
    "\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":\"contoso.com\","
    "\"NetBiosName\":\"CONTOSO\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{\"Name\":"
    "\"webapp01\",\"Scope\":\"contoso.com\"}]}}}";

static wctr_err f_connect(void *ctx, const char *pipe_path, cli_connection **out, wctr_errmsg *e) {
  (void)ctx;
  (void)pipe_path;
  fake.connects++;
  if (fake.unreachable) return wctr_fail(e, WCTR_ENOENT, "the pipe does not exist");
  *out = (cli_connection *)&fake;
  return WCTR_OK;
}

static wctr_err f_call(cli_connection *c, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)c;
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "Name");
  if (fake.count < 16) {
    snprintf(fake.ops[fake.count], sizeof fake.ops[0], "%s", op);
    snprintf(fake.names[fake.count], sizeof fake.names[0], "%s", cJSON_IsString(name) ? name->valuestring : "");
    fake.count++;
  }
  cJSON_Delete(params);
  const char *text = NULL;
  if (strcmp(op, "image.inspect") == 0) {
    if (strcmp(fake.names[fake.count - 1], "shop-web") != 0) return wctr_fail(e, WCTR_ENOENT, "No such image");
    text = "{\"Name\":\"shop-web\",\"OsVersion\":\"10.0.20348.1\"}";
  } else if (strcmp(op, "credentialspec.inspect") == 0) {
    text = spec_json;
  } else if (strcmp(op, "secret.read") == 0) {
    text = "{\"Name\":\"db\",\"Data\":\"czNjcjN0\"}"; /* "s3cr3t" */
  }
  if (text == NULL) return wctr_fail(e, WCTR_EINVAL, "unexpected op %s", op);
  *result = cJSON_Parse(text);
  return WCTR_OK;
}

static void f_disconnect(cli_connection *c) { (void)c; }

static char *f_read_file(void *ctx, const char *path, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  const char *text = strcmp(path, "C:\\proj\\compose.yaml") == 0 ? compose_yml
                     : strcmp(path, "C:\\proj\\plain.yml") == 0  ? plain_yml
                                                                 : NULL;
  if (text == NULL) {
    wctr_fail(e, WCTR_ENOENT, "cannot open %s", path);
    return NULL;
  }
  *len = strlen(text);
  return strdup(text);
}

static void f_cwd(void *ctx, char *buf, size_t size) {
  (void)ctx;
  snprintf(buf, size, "C:\\proj");
}

static wctr_err f_write_file(void *ctx, const char *dir, const char *name, const char *data, size_t len,
                             wctr_errmsg *e) {
  (void)ctx;
  if (fake.fail_write) return wctr_fail(e, WCTR_EACCES, "cannot write %s", name);
  assert_true(fake.written_count < 32);
  snprintf(fake.written[fake.written_count].dir, sizeof fake.written[0].dir, "%s", dir);
  snprintf(fake.written[fake.written_count].name, sizeof fake.written[0].name, "%s", name);
  char *copy = malloc(len + 1);
  assert_non_null(copy);
  memcpy(copy, data, len);
  copy[len] = '\0';
  fake.written[fake.written_count].data = copy;
  fake.written_count++;
  return WCTR_OK;
}

static char out_text[65536];
static char err_text[8192];

static size_t slurp(FILE *f, char *buf, size_t size) {
  fflush(f);
  rewind(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
  return n;
}

static int run_cli(bool can_write, int argc, char **argv) {
  FILE *out = wctr_test_tmpfile();
  FILE *err = wctr_test_tmpfile();
  cli_platform p = {.out = out, .err = err, .connect = f_connect, .call = f_call, .disconnect = f_disconnect,
                    .read_file = f_read_file, .cwd = f_cwd, .write_file = can_write ? f_write_file : NULL};
  int rc = cli_main(argc, argv, &p);
  slurp(out, out_text, sizeof out_text);
  slurp(err, err_text, sizeof err_text);
  return rc;
}

#define RUN(...) run_cli(true, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), (char *[]){__VA_ARGS__})

static int reset(void **state) {
  (void)state;
  for (int i = 0; i < fake.written_count; i++) free(fake.written[i].data);
  memset(&fake, 0, sizeof fake);
  return 0;
}

static void contains(const char *text, const char *part) {
  if (strstr(text, part) == NULL) fail_msg("\"%s\" not found in:\n%s", part, text);
}

static void test_stdout_with_wctrd(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "compose", "convert", "--format", "kubernetes", "--plain-text-secrets"), 0);
  /* The credential spec, the image, then the secret: the order the generator needs them in. */
  assert_int_equal(fake.count, 3);
  assert_string_equal(fake.ops[0], "credentialspec.inspect");
  assert_string_equal(fake.names[0], "web.json");
  assert_string_equal(fake.ops[1], "image.inspect");
  assert_string_equal(fake.names[1], "shop-web");
  assert_string_equal(fake.ops[2], "secret.read");
  assert_string_equal(fake.names[2], "db");
  assert_int_equal(fake.connects, 1);
  contains(out_text, "kind: \"GMSACredentialSpec\"\n");
  contains(out_text, "  db: \"czNjcjN0\"\n");
  contains(out_text, "node.kubernetes.io/windows-build: \"10.0.20348\"\n");
  contains(out_text, "---\n");
  assert_string_equal(err_text, "");
}

static void test_secrets_need_the_flag(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "compose", "convert", "--format", "kubernetes"), 1);
  contains(err_text, "wctr compose convert: services.web.secrets: a Kubernetes Secret holds the value in base64 (no "
                     "encryption), in the output and in the cluster; give --plain-text-secrets to write the values\n");
  assert_string_equal(out_text, "");
  for (int i = 0; i < fake.count; i++) assert_string_not_equal(fake.ops[i], "secret.read");
}

static void test_without_wctrd(void **state) {
  (void)state;
  fake.unreachable = true;
  assert_int_equal(RUN("wctr", "compose", "-f", "plain.yml", "convert", "--format", "kubernetes"), 0);
  contains(err_text, "WARNING: wctrd cannot be reached (the pipe does not exist): node.kubernetes.io/windows-build "
                     "is left out (images' OS versions are unknown)\n");
  contains(out_text, "kind: \"Job\"\n");
  assert_null(strstr(out_text, "windows-build"));
  assert_int_equal(fake.connects, 1);
  /* What only wctrd holds is refused, saying why. */
  assert_int_equal(RUN("wctr", "compose", "convert", "--format", "kubernetes", "--plain-text-secrets"), 1);
  contains(err_text, "wctr compose convert: services.web.credential_spec: file://web.json cannot be read: wctrd "
                     "cannot be reached (the pipe does not exist)\n");
  assert_string_equal(out_text, "");
}

static void test_unknown_image_is_a_warning(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "compose", "-f", "plain.yml", "convert", "--format", "kubernetes"), 0);
  contains(err_text, "WARNING: image shop-api: No such image: node.kubernetes.io/windows-build is left out for it\n");
}

static void test_one_file_per_object(void **state) {
  (void)state;
  assert_int_equal(
      RUN("wctr", "compose", "convert", "--format", "kubernetes", "--plain-text-secrets", "-o", "k8s", "-n", "shop"),
      0);
  assert_int_equal(fake.written_count, 6);
  static const char *const names[] = {"00-gmsacredentialspec-shop-web.yaml", "01-clusterrole-shop-web-gmsa-use.yaml",
                                      "02-serviceaccount-web.yaml",          "03-rolebinding-web-gmsa-use.yaml",
                                      "04-secret-db.yaml",                   "05-deployment-web.yaml"};
  for (int i = 0; i < 6; i++) {
    assert_string_equal(fake.written[i].dir, "k8s");
    assert_string_equal(fake.written[i].name, names[i]);
    assert_null(strstr(fake.written[i].data, "---"));
  }
  contains(fake.written[4].data, "  namespace: \"shop\"\n");
  contains(out_text, "00-gmsacredentialspec-shop-web.yaml\n");
  /* Nothing is written when a file cannot be made; a platform that cannot write says so. */
  reset(NULL);
  fake.fail_write = true;
  assert_int_equal(RUN("wctr", "compose", "-f", "plain.yml", "convert", "--format", "kubernetes", "-o", "k8s"), 1);
  contains(err_text, "wctr compose convert: cannot write 00-job-api.yaml\n");
  char *argv[] = {"wctr", "compose", "-f", "plain.yml", "convert", "--format", "kubernetes", "-o", "k8s"};
  assert_int_equal(run_cli(false, 9, argv), 1);
  contains(err_text, "wctr compose convert: files cannot be written here; use -o -\n");
  /* "-o -" is standard output. */
  assert_int_equal(RUN("wctr", "compose", "-f", "plain.yml", "convert", "--format", "kubernetes", "-o", "-"), 0);
  contains(out_text, "kind: \"Job\"\n");
}

static void test_usage(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "compose", "--help"), 0);
  contains(out_text, "convert --format kubernetes");
  contains(out_text, "--plain-text-secrets");
  assert_int_equal(RUN("wctr", "compose", "convert"), 125);
  contains(err_text, "convert needs --format kubernetes");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_stdout_with_wctrd, reset),
      cmocka_unit_test_setup(test_secrets_need_the_flag, reset),
      cmocka_unit_test_setup(test_without_wctrd, reset),
      cmocka_unit_test_setup(test_unknown_image_is_a_warning, reset),
      cmocka_unit_test_setup(test_one_file_per_object, reset),
      cmocka_unit_test_setup(test_usage, reset),
  };
  int rc = cmocka_run_group_tests_name("compose_convert", tests, NULL, NULL);
  reset(NULL);
  return rc;
}
