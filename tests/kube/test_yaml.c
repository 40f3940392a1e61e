/* tests/kube/test_yaml.c - the YAML writer (kube_yaml, kube/kube.h) and Kubernetes' rules for names and
 * quantities (kube/kube_internal.h). What it writes is read back with libyaml (a YAML 1.1 reader, stricter
 * about plain scalars than Kubernetes' YAML 1.2 one) and must give the same tree: strings stay strings
 * whatever they hold (numbers, booleans, nulls, quotes, line breaks, control characters, U+2028), in keys
 * too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <yaml.h>

#include "kube/kube_internal.h"
#include "testutil.h"

/* ---- libyaml back to cJSON: a quoted scalar is a string; a plain one an integer, a boolean or null ---- */

typedef struct reader {
  yaml_parser_t parser;
  bool failed;
} reader;

static bool next(reader *r, yaml_event_t *ev) {
  if (!yaml_parser_parse(&r->parser, ev)) {
    fail_msg("libyaml: %s at line %zu", r->parser.problem, r->parser.problem_mark.line + 1);
    return false;
  }
  return true;
}

static cJSON *plain(const char *text) {
  if (strcmp(text, "true") == 0) return cJSON_CreateTrue();
  if (strcmp(text, "false") == 0) return cJSON_CreateFalse();
  if (strcmp(text, "null") == 0) return cJSON_CreateNull();
  char *end = NULL;
  long long v = strtoll(text, &end, 10);
  if (end != text && *end == '\0') return cJSON_CreateNumber((double)v);
  if (strcmp(text, "{}") == 0) return cJSON_CreateObject();
  fail_msg("plain scalar %s is neither a number, a boolean nor null", text);
  return NULL;
}

static cJSON *node(reader *r, yaml_event_t *ev);

static cJSON *node(reader *r, yaml_event_t *ev) {
  cJSON *out = NULL;
  if (ev->type == YAML_SCALAR_EVENT) {
    const char *text = (const char *)ev->data.scalar.value;
    if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
      out = cJSON_CreateString(text);
    } else {
      out = plain(text);
    }
  } else if (ev->type == YAML_SEQUENCE_START_EVENT) {
    out = cJSON_CreateArray();
    for (;;) {
      yaml_event_t item;
      next(r, &item);
      if (item.type == YAML_SEQUENCE_END_EVENT) {
        yaml_event_delete(&item);
        break;
      }
      cJSON_AddItemToArray(out, node(r, &item));
    }
  } else if (ev->type == YAML_MAPPING_START_EVENT) {
    out = cJSON_CreateObject();
    for (;;) {
      yaml_event_t key;
      next(r, &key);
      if (key.type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(&key);
        break;
      }
      assert_int_equal(key.type, YAML_SCALAR_EVENT);
      char *k = strdup((const char *)key.data.scalar.value);
      /* A plain key must not be one a YAML 1.1 reader takes for something else. */
      if (key.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        static const char *const bad[] = {"y", "Y", "yes", "Yes", "no", "No", "on", "off", "true", "false", "null", "~",
                                          NULL};
        for (size_t i = 0; bad[i] != NULL; i++) assert_string_not_equal(k, bad[i]);
      }
      yaml_event_delete(&key);
      yaml_event_t value;
      next(r, &value);
      cJSON_AddItemToObject(out, k, node(r, &value));
      free(k);
    }
  } else {
    fail_msg("unexpected libyaml event %d", (int)ev->type);
  }
  yaml_event_delete(ev);
  return out;
}

/* The documents of text, as a JSON array. */
static cJSON *read_yaml(const char *text) {
  reader r;
  memset(&r, 0, sizeof r);
  assert_true(yaml_parser_initialize(&r.parser));
  yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, strlen(text));
  cJSON *docs = cJSON_CreateArray();
  for (;;) {
    yaml_event_t ev;
    next(&r, &ev);
    yaml_event_type_t t = ev.type;
    if (t == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      break;
    }
    if (t == YAML_DOCUMENT_START_EVENT) {
      yaml_event_delete(&ev);
      yaml_event_t root;
      next(&r, &root);
      cJSON_AddItemToArray(docs, node(&r, &root));
      yaml_event_t end;
      next(&r, &end);
      assert_int_equal(end.type, YAML_DOCUMENT_END_EVENT);
      yaml_event_delete(&end);
      continue;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&r.parser);
  return docs;
}

static char *yaml_of(cJSON *body, const char *comment) {
  kube_object o = {.kind = "Thing", .name = "x", .comment = (char *)comment, .body = body};
  char *text = NULL;
  size_t len = 0;
  wctr_errmsg e;
  if (kube_yaml(&o, 1, &text, &len, &e) != WCTR_OK) fail_msg("kube_yaml: %s", e.text);
  return text;
}

static void expect_round_trip(cJSON *body) {
  char *text = yaml_of(body, NULL);
  cJSON *docs = read_yaml(text);
  assert_int_equal(cJSON_GetArraySize(docs), 1);
  if (!cJSON_Compare(body, cJSON_GetArrayItem(docs, 0), true)) {
    char *a = cJSON_Print(body);
    char *b = cJSON_Print(cJSON_GetArrayItem(docs, 0));
    print_error("YAML:\n%s\nwant:\n%s\ngot:\n%s\n", text, a, b);
    free(a);
    free(b);
    fail();
  }
  cJSON_Delete(docs);
  kube_text_free(text, strlen(text));
}

static void test_layout(void **state) {
  (void)state;
  cJSON *o = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"labels\":"
                         "{\"app.kubernetes.io/name\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"web\","
                         "\"args\":[\"a\",\"b\"],\"env\":[]},{\"name\":\"two\"}],\"hostNetwork\":true,"
                         "\"replicas\":3,\"empty\":{},\"nested\":[[\"x\"],[]]}}");
  char *text = yaml_of(o, "first line\nsecond line");
  assert_string_equal(text,
                      "# first line\n"
                      "# second line\n"
                      "apiVersion: \"v1\"\n"
                      "kind: \"Pod\"\n"
                      "metadata:\n"
                      "  name: \"web\"\n"
                      "  labels:\n"
                      "    app.kubernetes.io/name: \"web\"\n"
                      "spec:\n"
                      "  containers:\n"
                      "  - name: \"web\"\n"
                      "    args:\n"
                      "    - \"a\"\n"
                      "    - \"b\"\n"
                      "    env: []\n"
                      "  - name: \"two\"\n"
                      "  hostNetwork: true\n"
                      "  replicas: 3\n"
                      "  empty: {}\n"
                      "  nested:\n"
                      "  -\n"
                      "    - \"x\"\n"
                      "  - []\n");
  kube_text_free(text, strlen(text));
  /* "{}" and "[]" read back as empty collections, which the reader above maps for mappings only. */
  cJSON_DeleteItemFromObject(cJSON_GetObjectItem(o, "spec"), "nested");
  cJSON_DeleteItemFromObject(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"), "containers"), 0),
                             "env");
  expect_round_trip(o);
  cJSON_Delete(o);
}

static void test_every_string_is_quoted(void **state) {
  (void)state;
  static const char *const tricky[] = {
      "", "true", "yes", "No", "on", "null", "~", "1", "0x10", "1e3", ".inf", "12:30", "- a", "a: b", "#x", "x #y",
      "'", "\"", "\\", "C:\\app\\", "line\nbreak", "tab\there", "cr\rlf", "\x01\x1f\x7f", "caf\xC3\xA9",
      "\xE2\x80\xA8" "sep", "\xC2\x85" "nel", "\xEF\xBB\xBF" "bom", "*alias", "&anchor", "!tag", "%dir", "@at", "`bt",
      "{a}", "[a]", "|", ">", "  lead", "trail  ", "---", "...", "<<", "$(HOME)", "\xF0\x9F\x98\x80"};
  cJSON *o = cJSON_CreateObject();
  cJSON *list = cJSON_AddArrayToObject(o, "values");
  cJSON *keys = cJSON_AddObjectToObject(o, "keys");
  for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
    cJSON_AddItemToArray(list, cJSON_CreateString(tricky[i]));
    if (cJSON_GetObjectItemCaseSensitive(keys, tricky[i]) == NULL) cJSON_AddStringToObject(keys, tricky[i], tricky[i]);
  }
  expect_round_trip(o);
  char *text = yaml_of(o, NULL);
  /* A value is never written plain. */
  assert_null(strstr(text, "- true"));
  assert_non_null(strstr(text, "\"yes\": \"yes\""));
  assert_non_null(strstr(text, "\"\\u2028sep\""));
  kube_text_free(text, strlen(text));
  cJSON_Delete(o);
}

/* Random strings of every byte that makes UTF-8 (and some that do not, which must be refused). */
static void test_random_strings(void **state) {
  (void)state;
  unsigned seed = 12345;
  for (int round = 0; round < 300; round++) {
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "v");
    for (int k = 0; k < 8; k++) {
      char s[40];
      size_t n = 0;
      while (n < 30) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 16) & 0xFF;
        if (r < 0x80) {
          if (r == 0) r = 'a';
          s[n++] = (char)r;
        } else if (r < 0xC0) {
          /* A two-byte character U+0080..U+07FF. */
          unsigned cp = 0x80 + (r - 0x80) * 30;
          s[n++] = (char)(0xC0 | (cp >> 6));
          s[n++] = (char)(0x80 | (cp & 0x3F));
        } else {
          static const char *const three[] = {"\xE2\x80\xA8", "\xE2\x80\xA9", "\xEF\xBB\xBF", "\xE6\x97\xA5"};
          memcpy(s + n, three[r & 3], 3);
          n += 3;
        }
      }
      s[n] = '\0';
      cJSON_AddItemToArray(arr, cJSON_CreateString(s));
      cJSON_AddStringToObject(o, s, s);
    }
    expect_round_trip(o);
    cJSON_Delete(o);
  }
}

static void test_refusals(void **state) {
  (void)state;
  wctr_errmsg e;
  char *text = NULL;
  size_t len = 0;
  cJSON *o = cJSON_Parse("{\"a\":\"x\"}");
  cJSON_AddStringToObject(o, "bad", "\xC3(");
  kube_object obj = {.kind = "T", .name = "n", .body = o};
  assert_int_equal(kube_yaml(&obj, 1, &text, &len, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "a string of the output is not valid UTF-8");
  assert_null(text);
  cJSON_Delete(o);
  o = cJSON_Parse("{\"n\":1.5}");
  obj.body = o;
  assert_int_equal(kube_yaml(&obj, 1, &text, &len, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "a number of the output is not an exact integer");
  cJSON_Delete(o);
  /* Two documents, and an empty output. */
  kube_object two[2] = {{.kind = "A", .name = "a", .body = cJSON_Parse("{\"k\":1}")},
                        {.kind = "B", .name = "b", .comment = "c", .body = cJSON_Parse("{\"k\":2}")}};
  assert_int_equal(kube_yaml(two, 2, &text, &len, &e), WCTR_OK);
  assert_string_equal(text, "k: 1\n---\n# c\nk: 2\n");
  cJSON *docs = read_yaml(text);
  assert_int_equal(cJSON_GetArraySize(docs), 2);
  cJSON_Delete(docs);
  kube_text_free(text, len);
  char *name = kube_file_name(&two[1], 7);
  assert_string_equal(name, "07-b-b.yaml");
  free(name);
  cJSON_Delete(two[0].body);
  cJSON_Delete(two[1].body);
  assert_int_equal(kube_yaml(NULL, 0, &text, &len, &e), WCTR_OK);
  assert_string_equal(text, "");
  kube_text_free(text, len);
}

static void test_names(void **state) {
  (void)state;
  assert_true(kube_dns1123_label("web-1"));
  assert_true(kube_dns1123_label("1web"));
  assert_false(kube_dns1123_label("Web"));
  assert_false(kube_dns1123_label("-web"));
  assert_false(kube_dns1123_label("web-"));
  assert_false(kube_dns1123_label(""));
  assert_true(kube_dns1123_label("a23456789012345678901234567890123456789012345678901234567890123"));
  assert_false(kube_dns1123_label("a234567890123456789012345678901234567890123456789012345678901234"));
  assert_false(kube_dns1035_label("1web"));
  assert_true(kube_dns1035_label("web1"));
  assert_true(kube_dns1123_subdomain("a.b-c.d"));
  assert_false(kube_dns1123_subdomain("a..b"));
  assert_false(kube_dns1123_subdomain("a_b"));
  assert_true(kube_label_key("app.kubernetes.io/name"));
  assert_true(kube_label_key("Tier_1.x"));
  assert_false(kube_label_key("/name"));
  assert_false(kube_label_key("Bad_Prefix/name"));
  assert_false(kube_label_key("a b"));
  assert_true(kube_label_value(""));
  assert_true(kube_label_value("v1.2_x-Y"));
  assert_false(kube_label_value("-v"));
  assert_false(kube_label_value("a b"));
  assert_true(kube_data_key("db_password.txt"));
  assert_false(kube_data_key(".."));
  assert_false(kube_data_key("a/b"));
  assert_true(kube_env_name("ProgramFiles(x86)"));
  assert_false(kube_env_name("A=B"));
  assert_false(kube_env_name(""));
  assert_null(kube_windows_user_problem("ContainerUser"));
  assert_null(kube_windows_user_problem("NT AUTHORITY\\Local service"));
  assert_non_null(kube_windows_user_problem("\\user"));
  assert_non_null(kube_windows_user_problem("..."));
  assert_non_null(kube_windows_user_problem("a\\"));
  char buf[32];
  kube_memory_quantity(INT64_C(512) * 1024 * 1024, buf, sizeof buf);
  assert_string_equal(buf, "512Mi");
  kube_memory_quantity(INT64_C(2) << 30, buf, sizeof buf);
  assert_string_equal(buf, "2Gi");
  kube_memory_quantity(1536, buf, sizeof buf);
  assert_string_equal(buf, "1536");
  kube_memory_quantity(3072, buf, sizeof buf);
  assert_string_equal(buf, "3Ki");
  assert_true(kube_cpu_quantity(1500000000, buf, sizeof buf));
  assert_string_equal(buf, "1500m");
  assert_true(kube_cpu_quantity(2000000000, buf, sizeof buf));
  assert_string_equal(buf, "2");
  assert_false(kube_cpu_quantity(1500, buf, sizeof buf));
  char *esc = kube_dollar_escape("$(A) $$ x$");
  assert_string_equal(esc, "$$(A) $$$$ x$$");
  free(esc);
  char *lower = kube_lower_name("DB_Pass");
  assert_string_equal(lower, "db-pass");
  free(lower);
  kube_service_type t;
  assert_true(kube_service_type_parse("LoadBalancer", &t));
  assert_int_equal(t, KUBE_SERVICE_LOAD_BALANCER);
  assert_false(kube_service_type_parse("loadbalancer", &t));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),         cmocka_unit_test(test_every_string_is_quoted),
      cmocka_unit_test(test_random_strings), cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
