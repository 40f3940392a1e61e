/* tests/compose/test_yaml.c - YAML as people write compose files: anchors, aliases, merge keys, styles,
 * tags, scalar resolution (go-yaml v3 / YAML 1.2), documents, and the limits that keep hostile files
 * cheap. Errors are checked word for word. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose_internal.h"
#include "compose_test.h"

static void test_resolve_plain(void **state) {
  (void)state;
  static const struct {
    const char *text;
    cy_type type;
  } cases[] = {
      {"", CY_NULL},
      {"~", CY_NULL},
      {"null", CY_NULL},
      {"Null", CY_NULL},
      {"NULL", CY_NULL},
      {"nULL", CY_STR},
      {"true", CY_BOOL},
      {"True", CY_BOOL},
      {"TRUE", CY_BOOL},
      {"false", CY_BOOL},
      {"tRUE", CY_STR},
      {"yes", CY_STR},
      {"no", CY_STR},
      {"on", CY_STR},
      {"off", CY_STR},
      {"y", CY_STR},
      {"n", CY_STR},
      {"Yes", CY_STR},
      {"0", CY_INT},
      {"12", CY_INT},
      {"-3", CY_INT},
      {"+4", CY_INT},
      {"0x1F", CY_INT},
      {"0o17", CY_INT},
      {"017", CY_INT},
      {"0b101", CY_INT},
      {"1_000", CY_INT},
      {"9223372036854775807", CY_INT},
      {"18446744073709551615", CY_INT},
      {"-9223372036854775808", CY_INT},
      {"-9223372036854775809", CY_FLOAT},
      {"18446744073709551616", CY_FLOAT},
      {"09", CY_FLOAT},
      {"1.5", CY_FLOAT},
      {"1.", CY_FLOAT},
      {".5", CY_FLOAT},
      {"1e3", CY_FLOAT},
      {"-1.5E-3", CY_FLOAT},
      {".inf", CY_FLOAT},
      {"-.Inf", CY_FLOAT},
      {".NaN", CY_FLOAT},
      {"1.2.3", CY_STR},
      {"0x", CY_STR},
      {"1e", CY_STR},
      {"abc", CY_STR},
      {"12abc", CY_STR},
      {"_1", CY_STR},
      {".", CY_STR},
      {"+", CY_STR},
      {"3.8", CY_FLOAT},
      {"500m", CY_STR},
      {"0.5g", CY_STR},
      {"2001-12-14", CY_STR},
      {"<<", CY_STR},
      {"0xG", CY_STR},
      {"-0b1", CY_INT},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    bool b = false;
    cy_type t = cy_resolve_plain(cases[i].text, &b);
    if (t != cases[i].type) fail_msg("%s: expected %d, got %d", cases[i].text, cases[i].type, t);
  }
  bool b = false;
  assert_int_equal(cy_resolve_plain("True", &b), CY_BOOL);
  assert_true(b);
  assert_int_equal(cy_resolve_plain("FALSE", &b), CY_BOOL);
  assert_false(b);
}

/* A file as people write it: one anchor for the defaults, reused with a merge key and overridden. */
static void test_anchors_and_merge_keys(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(
      "x-defaults: &defaults\n"
      "  isolation: process\n"
      "  restart: unless-stopped\n"
      "  environment: &env\n"
      "    LOG_LEVEL: info\n"
      "    REGION: eu\n"
      "  labels:\n"
      "    tier: backend\n"
      "\n"
      "services:\n"
      "  api:\n"
      "    <<: *defaults\n"
      "    image: api:1\n"
      "    restart: always\n"
      "  worker:\n"
      "    image: worker:1\n"
      "    <<: *defaults\n"
      "    environment:\n"
      "      <<: *env\n"
      "      LOG_LEVEL: debug\n"
      "  batch:\n"
      "    image: batch:1\n"
      "    environment: *env\n");
  const compose_service *api = ct_service(p, "api");
  assert_int_equal(api->isolation, WCTR_ISOLATION_PROCESS);
  /* A key written in the mapping wins over the merged one, wherever the << stands. */
  assert_int_equal(api->restart.name, SPEC_RESTART_ALWAYS);
  assert_int_equal(api->environment_count, 2);
  assert_string_equal(api->environment[0], "LOG_LEVEL=info");
  assert_int_equal(api->label_count, 1);
  const compose_service *worker = ct_service(p, "worker");
  assert_int_equal(worker->restart.name, SPEC_RESTART_UNLESS_STOPPED);
  assert_string_equal(worker->environment[0], "LOG_LEVEL=debug");
  assert_string_equal(worker->environment[1], "REGION=eu");
  const compose_service *batch = ct_service(p, "batch");
  assert_string_equal(batch->environment[1], "REGION=eu");
  assert_int_equal(batch->isolation, 0);
  compose_free(p);
  ct_reset();
}

static void test_merge_key_precedence(void **state) {
  (void)state;
  ct_reset();
  /* In a list of merges the earlier mapping wins; explicit keys win over all of them. */
  compose_project *p = ct_load_text(
      "x-a: &a {image: from-a, user: a-user}\n"
      "x-b: &b {image: from-b, hostname: b-host, user: b-user}\n"
      "services:\n"
      "  one:\n"
      "    user: own\n"
      "    <<: [*a, *b]\n"
      "  two:\n"
      "    <<: [*b, *a]\n"
      "  three:\n"
      "    <<: {image: inline, working_dir: C:\\w}\n");
  const compose_service *one = ct_service(p, "one");
  assert_string_equal(one->image, "from-a");
  assert_string_equal(one->hostname, "b-host");
  assert_string_equal(one->user, "own");
  const compose_service *two = ct_service(p, "two");
  assert_string_equal(two->image, "from-b");
  assert_string_equal(two->user, "b-user");
  assert_string_equal(ct_service(p, "three")->working_dir, "C:\\w");
  compose_free(p);

  /* Nested: a merged mapping that itself holds a merge and aliases. */
  p = ct_load_text(
      "x-base: &base {image: base, environment: {A: \"1\"}}\n"
      "x-mid: &mid\n  <<: *base\n  user: mid\n"
      "services:\n  s:\n    <<: *mid\n    hostname: h\n");
  const compose_service *s = ct_service(p, "s");
  assert_string_equal(s->image, "base");
  assert_string_equal(s->user, "mid");
  assert_string_equal(s->environment[0], "A=1");
  compose_free(p);

  /* Two << keys in one mapping are a duplicate key like any other (docker-compose 1.29.2 silently keeps the
   * last, compose v2 refuses them): the error names the key and both lines, also in a nested mapping and
   * in flow style. One << with a list merges several. */
  ct_fail_text("x-a: &a {image: from-a}\nx-b: &b {image: from-b}\nservices:\n  web:\n    <<: *a\n    <<: *b\n",
               "compose.yml: line 6, column 5: mapping key \"<<\" already defined at line 5 (merge several "
               "mappings with <<: [*a, *b])");
  ct_fail_text("x-a: &a {A: \"1\"}\nservices:\n  web:\n    image: x\n    environment:\n      <<: *a\n      B: \"2\"\n"
               "      <<: {C: \"3\"}\n",
               "compose.yml: line 8, column 7: mapping key \"<<\" already defined at line 6 (merge several "
               "mappings with <<: [*a, *b])");
  ct_fail_text("x-a: &a {image: a}\nservices:\n  web: {<<: *a, <<: *a}\n",
               "compose.yml: line 3, column 17: mapping key \"<<\" already defined at line 3 (merge several "
               "mappings with <<: [*a, *b])");
  /* A quoted "<<" is an ordinary key, not a second merge key. */
  p = ct_load_text("x-a: &a {image: a}\nx-m:\n  <<: *a\n  \"<<\": text\nservices:\n  web: {<<: *a}\n");
  assert_string_equal(ct_service(p, "web")->image, "a");
  compose_free(p);

  /* An anchor redefined: an alias names the latest definition. */
  p = ct_load_text("x-1: &img one\nx-2: &img two\nservices:\n  s: {image: *img}\n");
  assert_string_equal(ct_service(p, "s")->image, "two");
  compose_free(p);
  ct_reset();
}

static void test_yaml_errors(void **state) {
  (void)state;
  ct_reset();
  ct_fail_text("services:\n  web:\n    image: a\n    image: b\n",
               "compose.yml: line 4, column 5: mapping key \"image\" already defined at line 3");
  ct_fail_text("services:\n  s: {image: *nope}\n",
               "compose.yml: line 2, column 14: unknown anchor \"nope\" referenced");
  ct_fail_text("x: &a [*a]\n", "compose.yml: line 1, column 8: unknown anchor \"a\" referenced");
  ct_fail_text(
      "services:\n  s:\n    <<: 1\n    image: x\n",
      "compose.yml: line 3, column 9: a merge key (<<) takes a mapping or a list of mappings, not a number");
  ct_fail_text(
      "x-a: &a {image: a}\nservices:\n  s:\n    <<: [*a, [1]]\n",
      "compose.yml: line 4, column 14: a merge key (<<) takes a mapping or a list of mappings, and this list "
      "holds a list");
  ct_fail_text("services:\n  ? [a, b]\n  : {image: x}\n",
               "compose.yml: line 2, column 5: a mapping key must be a scalar, not a mapping or a list");
  ct_fail_text(
      "services:\n  web:\n    image: a\n   bad\n",
      "compose.yml: line 4, column 4: did not find expected key (while parsing a block mapping at line 2)");
  ct_fail_text(
      "services: {web: {image: a}\n",
      "compose.yml: line 2, column 1: did not find expected ',' or '}' (while parsing a flow mapping at line 1)");
  ct_fail_text(
      "services:\n\tweb: {}\n",
      "compose.yml: line 2, column 1: found character that cannot start any token (while scanning for the "
      "next token at line 2)");
  ct_file_bytes(CT_DIR "\\compose.yml", "services:\n  w\xff: {}\n", 17);
  const char *const one[] = {"compose.yml"};
  compose_options o = ct_options(one, 1);
  ct_fail(&o, WCTR_EINVAL, "compose.yml: byte 13: invalid leading UTF-8 octet");
  ct_fail_text("services:\n  web: {image: \"a\\0b\"}\n",
               "compose.yml: line 2, column 16: a string holds a NUL character");
  ct_fail_text("- a\n- b\n", "compose.yml: the top-level object must be a mapping, not a list");
  ct_fail_text("just text\n", "compose.yml: the top-level object must be a mapping, not a string");
  ct_reset();
}

static void test_tags(void **state) {
  (void)state;
  ct_reset();
  compose_project *p = ct_load_text(
      "services:\n  s:\n    image: !!str 2024\n    cpus: !!float 1\n"
      "    cpu_count: !!int \"3\"\n    hostname: !!str\n    labels: !!map {a: b}\n"
      "    command: !!seq [a]\n    entrypoint: !!null ~\n");
  const compose_service *s = ct_service(p, "s");
  assert_string_equal(s->image, "2024");
  assert_int_equal(s->resources.nano_cpus, 1000000000);
  assert_int_equal(s->resources.cpu_count, 3);
  assert_string_equal(s->hostname, "");
  assert_false(s->entrypoint.set);
  compose_free(p);
  ct_fail_text("services:\n  s: {image: !!int abc}\n",
               "compose.yml: line 2, column 14: \"abc\" cannot be read as !!int");
  ct_fail_text("services:\n  s: {image: !!bool yes}\n",
               "compose.yml: line 2, column 14: \"yes\" cannot be read as !!bool");
  ct_fail_text("services:\n  s: {image: !!binary aGk=}\n",
               "compose.yml: line 2, column 14: the YAML tag !!binary is not supported");
  ct_fail_text("services:\n  s: {image: !custom x}\n",
               "compose.yml: line 2, column 14: the YAML tag \"!custom\" is not supported (compose's !reset and "
               "!override are)");
  ct_fail_text("services:\n  s: {command: !!map [a]}\n",
               "compose.yml: line 2, column 16: the tag !!map does not fit a list");
  ct_fail_text("services:\n  s:\n    command: [!reset a]\n",
               "compose.yml: line 3, column 15: !reset and !override are only allowed on a mapping's value");
  ct_fail_text("!reset {}\n",
               "compose.yml: line 1, column 1: !reset and !override are only allowed on a mapping's value");
  ct_fail_text("x-a: &a {image: a}\nservices:\n  s:\n    <<: !reset *a\n",
               "compose.yml: line 4, column 9: !reset and !override are not allowed on a merge key (<<)");
  ct_reset();
}

static void test_styles(void **state) {
  (void)state;
  ct_reset();
  /* Flow and block, quoted and plain, literal and folded, comments, CRLF and a byte-order mark. */
  const char text[] =
      "\xEF\xBB\xBF# a comment\r\n"
      "services: {web: {image: 'it''s', command: [\"a\\tb\", 'c:\\d', plain words]},\r\n"
      "  db: {image: \"db\"}}\r\n";
  compose_project *p = ct_load_text(text);
  const compose_service *web = ct_service(p, "web");
  assert_string_equal(web->image, "it's");
  assert_string_equal(web->command.argv[0], "a\tb");
  assert_string_equal(web->command.argv[1], "c:\\d");
  assert_string_equal(web->command.argv[2], "plain words");
  compose_free(p);
  p = ct_load_text(
      "services:\n  s:\n    image: x\n    entrypoint: |\n      line one\n      line two\n"
      "    command: >-\n      folded\n      text\n");
  assert_string_equal(ct_service(p, "s")->entrypoint.argv[0], "line one\nline two\n");
  assert_string_equal(ct_service(p, "s")->command.argv[0], "folded text");
  compose_free(p);
  ct_reset();
}

static void test_documents(void **state) {
  (void)state;
  ct_reset();
  /* Several documents in one file merge in order, like several files. */
  compose_project *p =
      ct_load_text("services:\n  s: {image: one, user: u}\n---\nservices:\n  s: {image: two}\n...\n");
  assert_string_equal(ct_service(p, "s")->image, "two");
  assert_string_equal(ct_service(p, "s")->user, "u");
  compose_free(p);
  /* Anchors belong to their document. */
  ct_fail_text("x-a: &a {image: a}\n---\nservices:\n  s: *a\n",
               "compose.yml: line 4, column 6: unknown anchor \"a\" referenced");
  ct_fail_text("", "compose.yml: empty compose file");
  ct_fail_text("# nothing\n---\n---\n", "compose.yml: empty compose file");
  ct_fail_text("version: \"3.8\"\n", "compose.yml: empty compose file");
  assert_true(
      ct_warned("compose.yml: the attribute `version` is obsolete, it will be ignored, please remove it to avoid "
                "potential confusion"));
  /* version may be a number (old files) but not a mapping. */
  p = ct_load_text("version: 3.8\nservices: {}\n");
  assert_int_equal(p->service_count, 0);
  compose_free(p);
  ct_fail_text("version: {a: 1}\n", "compose.yml: version: must be a string, not a mapping");
  /* Only x- at the top: a project without services. */
  p = ct_load_text("x-only: 1\n");
  assert_int_equal(p->service_count, 0);
  compose_free(p);
  ct_reset();
}

static void test_limits(void **state) {
  (void)state;
  ct_reset();
  /* A "billion laughs" file: each level doubles ten times. */
  const char laughs[] =
      "x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
      "x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
      "x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
      "x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
      "x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
      "x-f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
      "x-g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
      "x-h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
  ct_file(CT_DIR "\\compose.yml", laughs);
  const char *const one[] = {"compose.yml"};
  compose_options o = ct_options(one, 1);
  ct_fail(
      &o, WCTR_ETOOBIG,
      "compose.yml: the document is too large once its aliases are expanded (more than 200000 nodes or 33554432 "
      "bytes of text)");

  /* Nesting: 70 levels of flow lists. */
  char deep[256];
  size_t n = 0;
  n += (size_t)snprintf(deep + n, sizeof deep - n, "x: ");
  for (int i = 0; i < 70; i++) deep[n++] = '[';
  for (int i = 0; i < 70; i++) deep[n++] = ']';
  deep[n++] = '\n';
  deep[n] = '\0';
  ct_file(CT_DIR "\\compose.yml", deep);
  ct_fail(&o, WCTR_ETOOBIG, "compose.yml: line 1, column 67: nested more than 64 levels deep");

  /* A mapping with too many keys (its duplicate check is quadratic), written or merged. */
  size_t cap = (COMPOSE_MAX_KEYS + 1) * 16 + 64;
  char *many = malloc(cap);
  assert_non_null(many);
  size_t len = (size_t)snprintf(many, cap, "x-a:\n");
  for (unsigned i = 0; i <= COMPOSE_MAX_KEYS; i++)
    len += (size_t)snprintf(many + len, cap - len, "  k%u: 1\n", i);
  ct_file_bytes(CT_DIR "\\compose.yml", many, len);
  ct_fail(&o, WCTR_ETOOBIG, "compose.yml: line 10002, column 3: a mapping with more than 10000 keys");
  len = (size_t)snprintf(many, cap, "x-a: &a\n");
  for (unsigned i = 0; i < COMPOSE_MAX_KEYS; i++)
    len += (size_t)snprintf(many + len, cap - len, "  k%u: 1\n", i);
  len += (size_t)snprintf(many + len, cap - len, "x-b:\n  <<: *a\n  extra: 1\n");
  ct_file_bytes(CT_DIR "\\compose.yml", many, len);
  ct_fail(&o, WCTR_ETOOBIG, "compose.yml: line 10003, column 3: a mapping with more than 10000 keys");
  free(many);

  /* A file larger than the limit is refused before it is parsed. */
  size_t big = COMPOSE_MAX_FILE_BYTES + 1;
  char *data = malloc(big);
  assert_non_null(data);
  memset(data, '#', big);
  ct_file_bytes(CT_DIR "\\compose.yml", data, big);
  free(data);
  ct_fail(&o, WCTR_ETOOBIG, "compose.yml: larger than 4194304 bytes");
  ct_reset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resolve_plain),
      cmocka_unit_test(test_anchors_and_merge_keys),
      cmocka_unit_test(test_merge_key_precedence),
      cmocka_unit_test(test_yaml_errors),
      cmocka_unit_test(test_tags),
      cmocka_unit_test(test_styles),
      cmocka_unit_test(test_documents),
      cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests_name("compose_yaml", tests, NULL, NULL);
}
