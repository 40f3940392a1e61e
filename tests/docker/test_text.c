/* docker/text.h and cli/format.h: docker/cli's tabwriter, Go's quoting, numbers and JSON, and the formatter
 * (table, json and custom formats, headers, inspect's layouts). Expected texts are what docker/cli and Go
 * produce for the same input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/format.h"
#include "docker/text.h"
#include "testutil.h"

static char *tab(const char *text, int minwidth, int padding) {
  docker_buf out;
  docker_buf_init(&out, 0);
  docker_tabwrite(text, strlen(text), minwidth, padding, &out);
  return docker_buf_take(&out);
}

static void tab_is(const char *text, int minwidth, int padding, const char *want) {
  char *got = tab(text, minwidth, padding);
  if (got == NULL || strcmp(got, want) != 0) fail_msg("tabwrite [%s]:\n got: [%s]\nwant: [%s]", text, got, want);
  free(got);
}

static void test_tabwriter(void **state) {
  (void)state;
  /* docker ps's settings: cells padded to the widest + 3, at least 10; the last cell of a line is free. */
  tab_is("CONTAINER ID\tNAMES\nabc\tweb\n", 10, 3, "CONTAINER ID   NAMES\nabc            web\n");
  tab_is("a\tb\tc\n", 10, 3, "a         b         c\n");
  tab_is("a\tlongest-cell-here\tc\nxx\ty\tz\n", 10, 3, "a         longest-cell-here   c\nxx        y                   z\n");
  /* A line without the column ends its block: the next block is sized on its own. */
  tab_is("aaaaaaaaaaaaaaaa\tx\nno tabs here\nb\ty\n", 1, 1, "aaaaaaaaaaaaaaaa x\nno tabs here\nb y\n");
  /* Nested blocks: column 1 only spans the lines that have it. */
  tab_is("a\tbbbbbbb\tc\nd\te\nf\tg\th\n", 1, 1, "a bbbbbbb c\nd e\nf g h\n");
  tab_is("a\tbbbbbbb\tc\nf\tg\th\n", 1, 1, "a bbbbbbb c\nf g       h\n");
  /* Empty cells, trailing tab, text after the last newline, no newline at all. */
  tab_is("\tx\n", 4, 1, "    x\n");
  tab_is("a\t\n", 4, 1, "a   \n");
  tab_is("a\tb\ntail", 1, 1, "a b\ntail");
  tab_is("a\tb", 1, 1, "a b");
  tab_is("", 10, 3, "");
  tab_is("\n\n", 10, 3, "\n\n");
  /* docker version's settings (minwidth 20, padding 1). */
  tab_is(" Version:\t1\n API version:\t2\n", 20, 1, " Version:           1\n API version:       2\n");
  /* Widths are display columns: a wide character is two, a combining mark none, é one (two bytes). */
  tab_is("日本\tx\nab\ty\n", 1, 1, "日本 x\nab   y\n");
  tab_is("e\xCC\x81\tx\nab\ty\n", 1, 1, "e\xCC\x81  x\nab y\n");
  tab_is("café\tx\ncafe\ty\n", 1, 1, "café x\ncafe y\n");
  /* A long run of tabs is no stack problem (the layout is not recursive). */
  char *many = malloc(200001);
  memset(many, '\t', 200000);
  many[200000] = '\0';
  char *got = tab(many, 1, 0);
  assert_non_null(got);
  assert_int_equal(strlen(got), 199999 + 0); /* 199999 empty cells of width 1, the last cell free */
  free(got);
  free(many);
}

static void test_widths_and_utf8(void **state) {
  (void)state;
  assert_int_equal(docker_text_width("abc", 3), 3);
  assert_int_equal(docker_text_width("日本語", strlen("日本語")), 6);
  assert_int_equal(docker_text_width("\xF0\x9F\x98\x80", 4), 2); /* emoji */
  assert_int_equal(docker_text_width("a\xCC\x81", 3), 1);        /* combining acute */
  assert_int_equal(docker_text_width("\xFF\xFE", 2), 2);         /* not UTF-8: one column per byte */
  assert_int_equal(docker_text_width("\x01", 1), 0);
  uint32_t cp;
  assert_int_equal(docker_utf8_decode("\xE2\x82\xAC", 3, &cp), 3);
  assert_int_equal(cp, 0x20AC);
  assert_int_equal(docker_utf8_decode("\xC0\x80", 2, &cp), 1); /* overlong */
  assert_int_equal(cp, 0xFFFD);
  assert_int_equal(docker_utf8_decode("\xED\xA0\x80", 3, &cp), 1); /* a surrogate */
  assert_int_equal(docker_utf8_decode("\xE2\x82", 2, &cp), 1);     /* cut short */
}

static char *quoted(const char *s, size_t n) {
  docker_buf b;
  docker_buf_init(&b, 0);
  docker_go_quote(&b, s, n);
  return docker_buf_take(&b);
}

static void test_go_quote(void **state) {
  (void)state;
  const struct {
    const char *in;
    size_t n;
    const char *want;
  } cases[] = {
      {"cmd /c echo hi", 14, "\"cmd /c echo hi\""},
      {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
      {"\a\b\f\n\r\t\v", 7, "\"\\a\\b\\f\\n\\r\\t\\v\""},
      {"\x01\x7f", 2, "\"\\x01\\x7f\""},
      {"\xff", 1, "\"\\xff\""},
      {"é日本\xF0\x9F\x98\x80", 12, "\"é日本\xF0\x9F\x98\x80\""},
      {"\xC2\xA0\xE2\x80\xA8\xEF\xBB\xBF", 8, "\"\\u00a0\\u2028\\ufeff\""},
      {"\xF3\xA0\x80\x81", 4, "\"\\U000e0001\""},
      {"a\0b", 3, "\"a\\x00b\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *got = quoted(cases[i].in, cases[i].n);
    if (strcmp(got, cases[i].want) != 0) fail_msg("case %zu: got %s, want %s", i, got, cases[i].want);
    free(got);
  }
}

static void test_go_numbers(void **state) {
  (void)state;
  const struct {
    double x;
    const char *v, *json;
  } cases[] = {
      {0, "0", "0"},           {1.5, "1.5", "1.5"},         {-2.25, "-2.25", "-2.25"},      {100000, "100000", "100000"},
      {1e6, "1e+06", "1000000"}, {123456789, "1.23456789e+08", "123456789"}, {1e21, "1e+21", "1e+21"},
      {1e20, "1e+20", "100000000000000000000"}, {0.0001, "0.0001", "0.0001"}, {0.00001, "1e-05", "0.00001"},
      {1e-7, "1e-07", "1e-7"},  {0.1, "0.1", "0.1"},         {1.0 / 3, "0.3333333333333333", "0.3333333333333333"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    docker_buf b;
    docker_buf_init(&b, 0);
    docker_go_float(&b, cases[i].x);
    if (strcmp(b.data, cases[i].v) != 0) fail_msg("%%v of %g: got %s, want %s", cases[i].x, b.data, cases[i].v);
    docker_buf_free(&b);
    docker_json_float(&b, cases[i].x);
    if (strcmp(b.data, cases[i].json) != 0) fail_msg("json of %g: got %s, want %s", cases[i].x, b.data, cases[i].json);
    docker_buf_free(&b);
  }
}

static char *json_text(const char *json, const char *indent, bool escape_html) {
  cJSON *item = cJSON_Parse(json);
  if (item == NULL) fail_msg("bad test JSON %s", json);
  docker_buf b;
  docker_buf_init(&b, 0);
  docker_json_write(&b, item, indent, escape_html);
  cJSON_Delete(item);
  return docker_buf_take(&b);
}

static void test_json_writer(void **state) {
  (void)state;
  char *t = json_text("{\"b\":1,\"a\":[true,false,null,\"x\"],\"e\":{},\"f\":[],\"n\":-0.5,\"big\":524288000}", NULL, false);
  assert_string_equal(t, "{\"b\":1,\"a\":[true,false,null,\"x\"],\"e\":{},\"f\":[],\"n\":-0.5,\"big\":524288000}");
  free(t);
  /* json.Indent's layout, 4 spaces: "Key": value, {} and [] when empty. */
  t = json_text("[{\"Id\":\"x\",\"Args\":[\"a\",\"b\"],\"State\":{\"Running\":true},\"Env\":[],\"L\":{}}]", "    ", false);
  assert_string_equal(t, "[\n    {\n        \"Id\": \"x\",\n        \"Args\": [\n            \"a\",\n            \"b\"\n        ],\n"
                         "        \"State\": {\n            \"Running\": true\n        },\n        \"Env\": [],\n        \"L\": {}\n    }\n]");
  free(t);
  t = json_text("[]", "    ", true);
  assert_string_equal(t, "[]");
  free(t);
  /* The daemon escapes < > & (encoding/json's default); docker's json function does not. \u2028 always. */
  t = json_text("\"<a>&\\u2028\\u0001\\n\\t\\r\\b\\f\\\\\\\"\"", NULL, true);
  assert_string_equal(t, "\"\\u003ca\\u003e\\u0026\\u2028\\u0001\\n\\t\\r\\b\\f\\\\\\\"\"");
  free(t);
  t = json_text("\"<a>&\"", NULL, false);
  assert_string_equal(t, "\"<a>&\"");
  free(t);
  /* Bytes that are not UTF-8 become U+FFFD, as encoding/json writes them. */
  cJSON *bad = cJSON_CreateString("a\xff" "b");
  docker_buf b;
  docker_buf_init(&b, 0);
  docker_json_write(&b, bad, NULL, false);
  assert_string_equal(b.data, "\"a\\ufffdb\"");
  docker_buf_free(&b);
  cJSON_Delete(bad);
}

static void test_buffer(void **state) {
  (void)state;
  docker_buf b;
  docker_buf_init(&b, 10);
  assert_true(docker_buf_adds(&b, "0123456789"));
  assert_false(docker_buf_addc(&b, 'x'));
  assert_true(b.failed);
  assert_null(docker_buf_take(&b));
  docker_buf_free(&b);
  docker_buf_init(&b, 0);
  for (int i = 0; i < 1000; i++) docker_buf_addf(&b, "%04d", i);
  assert_int_equal(b.len, 4000);
  assert_memory_equal(b.data + 3996, "0999", 4);
  char *text = docker_buf_take(&b);
  assert_int_equal(strlen(text), 4000);
  free(text);
  assert_null(b.data);
  text = docker_buf_take(&b); /* empty: "" */
  assert_string_equal(text, "");
  free(text);
}

/* Rows for the formatter: contexts with fields (and the Label method). */
typedef struct fixture {
  cJSON *fields[2];
  cJSON *labels[2];
  docker_tpl_object rows[2];
} fixture;

static void make_rows(fixture *f) {
  f->fields[0] = cJSON_Parse("{\"ID\":\"aaa\",\"Names\":\"web\",\"Status\":\"Up 2 seconds\"}");
  f->fields[1] = cJSON_Parse("{\"ID\":\"bbbbbbbbbbbbbbb\",\"Names\":\"db\",\"Status\":\"Exited (0) 1 second ago\"}");
  f->labels[0] = cJSON_Parse("{\"tier\":\"front\"}");
  f->labels[1] = cJSON_Parse("{}");
  for (int i = 0; i < 2; i++) {
    f->rows[i] = (docker_tpl_object){.type_name = "*formatter.ContainerContext", .fields = f->fields[i],
                                  .methods = &cli_label_method, .method_count = 1, .self = f->labels[i]};
  }
}

static void free_rows(fixture *f) {
  for (int i = 0; i < 2; i++) {
    cJSON_Delete(f->fields[i]);
    cJSON_Delete(f->labels[i]);
  }
}

static char *format_rows(const char *given, const char *def, fixture *f, wctr_err *err, char *msg) {
  cli_format fmt;
  wctr_errmsg e;
  *err = cli_format_compile(given, def, &fmt, &e);
  if (*err != WCTR_OK) {
    snprintf(msg, 512, "%s", e.text);
    return NULL;
  }
  cJSON *header = cJSON_Parse("{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\",\"Status\":\"STATUS\"}");
  docker_buf out;
  docker_buf_init(&out, 0);
  *err = cli_format_write(&fmt, header, f->rows, 2, &out, &e);
  if (*err != WCTR_OK) snprintf(msg, 512, "%s", e.text);
  cJSON_Delete(header);
  cli_format_free(&fmt);
  if (*err != WCTR_OK) {
    assert_int_equal(out.len, 0); /* a failing row writes nothing at all */
    docker_buf_free(&out);
    return NULL;
  }
  return docker_buf_take(&out);
}

static void test_list_formats(void **state) {
  (void)state;
  fixture f;
  make_rows(&f);
  wctr_err err;
  char msg[512];
  const char *def = "table {{.ID}}\\t{{.Names}}\\t{{.Status}}";
  char *t = format_rows(NULL, def, &f, &err, msg);
  assert_string_equal(t, "CONTAINER ID      NAMES     STATUS\n"
                         "aaa               web       Up 2 seconds\n"
                         "bbbbbbbbbbbbbbb   db        Exited (0) 1 second ago\n");
  free(t);
  t = format_rows("table", def, &f, &err, msg);
  assert_non_null(strstr(t, "CONTAINER ID      NAMES"));
  free(t);
  /* "json": {{json .}} per row, the fields in their (sorted) order. */
  t = format_rows("json", def, &f, &err, msg);
  assert_string_equal(t, "{\"ID\":\"aaa\",\"Names\":\"web\",\"Status\":\"Up 2 seconds\"}\n"
                         "{\"ID\":\"bbbbbbbbbbbbbbb\",\"Names\":\"db\",\"Status\":\"Exited (0) 1 second ago\"}\n");
  free(t);
  /* A custom format: one line per row, \t made a tab, no alignment, spaces around trimmed. */
  t = format_rows("  {{.ID}}\\t{{.Names}}\\n  ", def, &f, &err, msg);
  assert_string_equal(t, "aaa\tweb\n\nbbbbbbbbbbbbbbb\tdb\n\n");
  free(t);
  /* A table format of one's own: its header is the template over the header names. */
  t = format_rows("table {{.Names}}: {{.Label \"tier\"}}", def, &f, &err, msg);
  assert_string_equal(t, "NAMES: \nweb: front\ndb: \n");
  free(t);
  t = format_rows("table {{.Names}}\\t{{upper .Names}}\\t{{.Unknown}}", def, &f, &err, msg);
  assert_null(t);
  assert_non_null(strstr(msg, "template parsing error: template: :1:"));
  assert_non_null(strstr(msg, "can't evaluate field Unknown in type *formatter.ContainerContext"));
  t = format_rows("{{.Names", def, &f, &err, msg);
  assert_null(t);
  assert_string_equal(msg, "template parsing error: template: :1: unclosed action");
  free_rows(&f);
}

static void test_headers_without_rows(void **state) {
  (void)state;
  cli_format fmt;
  wctr_errmsg e;
  assert_int_equal(cli_format_compile("table {{.ID}}\\t{{.Other}}\\t{{json .Names}}", NULL, &fmt, &e), WCTR_OK);
  cJSON *header = cJSON_Parse("{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\"}");
  docker_buf out;
  docker_buf_init(&out, 0);
  assert_int_equal(cli_format_write(&fmt, header, NULL, 0, &out, &e), WCTR_OK);
  /* A field the header map lacks shows as Go shows a map's missing key. */
  assert_string_equal(out.data, "CONTAINER ID   <no value>   NAMES\n");
  docker_buf_free(&out);
  cJSON_Delete(header);
  cli_format_free(&fmt);
}

static char *inspect_out(const char *format, const char *const *elements, size_t n, wctr_err *first_err, char *msg) {
  cli_inspect in;
  wctr_errmsg e;
  *first_err = cli_inspect_begin(&in, format, &e);
  if (*first_err != WCTR_OK) {
    snprintf(msg, 512, "%s", e.text);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    cJSON *el = cJSON_Parse(elements[i]);
    wctr_err err = cli_inspect_add(&in, el, &e);
    if (err != WCTR_OK && *first_err == WCTR_OK) {
      *first_err = err;
      snprintf(msg, 512, "%s", e.text);
    }
    cJSON_Delete(el);
  }
  docker_buf out;
  docker_buf_init(&out, 0);
  cli_inspect_finish(&in, &out);
  return docker_buf_take(&out);
}

static void test_inspect_output(void **state) {
  (void)state;
  const char *els[] = {"{\"Id\":\"a\",\"Labels\":{\"k\":\"<v>\"}}", "{\"Id\":\"b\",\"Labels\":{}}"};
  wctr_err err;
  char msg[512];
  char *t = inspect_out(NULL, els, 2, &err, msg);
  assert_string_equal(t, "[\n    {\n        \"Id\": \"a\",\n        \"Labels\": {\n            \"k\": \"\\u003cv\\u003e\"\n        }\n"
                         "    },\n    {\n        \"Id\": \"b\",\n        \"Labels\": {}\n    }\n]\n");
  free(t);
  t = inspect_out("", NULL, 0, &err, msg);
  assert_string_equal(t, "[]\n");
  free(t);
  t = inspect_out("json", els, 2, &err, msg);
  assert_string_equal(t, "[{\"Id\":\"a\",\"Labels\":{\"k\":\"\\u003cv\\u003e\"}},{\"Id\":\"b\",\"Labels\":{}}]\n");
  free(t);
  t = inspect_out("{{.Id}}:{{.Labels.k}}", els, 2, &err, msg);
  assert_string_equal(t, "a:<v>\nb:<no value>\n");
  free(t);
  /* A template that fails for an element: the others print, the error is returned. */
  const char *mixed[] = {"{\"Id\":\"a\",\"X\":1}", "{\"Id\":\"b\"}"};
  t = inspect_out("{{.X}}", mixed, 2, &err, msg);
  assert_int_equal(err, WCTR_EINVAL);
  assert_non_null(strstr(msg, "template parsing error: template: :1:2: executing \"\" at <.X>: map has no entry for key \"X\""));
  assert_string_equal(t, "1\n");
  free(t);
  t = inspect_out("{{.X}}", mixed + 1, 1, &err, msg);
  assert_string_equal(t, "\n"); /* nothing printed: a lone newline, as docker inspect */
  free(t);
  t = inspect_out("{{.X", els, 1, &err, msg);
  assert_null(t);
  assert_string_equal(msg, "template parsing error: template: :1: unclosed action");
}

static void test_pieces(void **state) {
  (void)state;
  cJSON *labels = cJSON_Parse("{\"z\":\"1\",\"a\":\"x=y\",\"m\":\"\"}");
  char *text = cli_format_labels(labels);
  assert_string_equal(text, "a=x=y,m=,z=1");
  free(text);
  cJSON_Delete(labels);
  text = cli_format_labels(NULL);
  assert_string_equal(text, "");
  free(text);
  const struct {
    int64_t s;
    const char *want;
  } d[] = {{0, "Less than a second"}, {1, "1 second"},      {59, "59 seconds"},   {60, "About a minute"},
           {119, "About a minute"},   {120, "2 minutes"},   {3599, "59 minutes"}, {3600, "About an hour"},
           {5399, "About an hour"},   {5400, "2 hours"},    {47 * 3600, "47 hours"}, {48 * 3600, "2 days"},
           {13 * 86400, "13 days"},   {14 * 86400, "2 weeks"}, {60 * 86400, "2 months"}, {730 * 86400, "2 years"}};
  for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
    char out[64];
    cli_human_duration(d[i].s, out, sizeof out);
    if (strcmp(out, d[i].want) != 0) fail_msg("%lld s: got %s, want %s", (long long)d[i].s, out, d[i].want);
  }
  char size[32];
  cli_human_size(0, size, sizeof size);
  assert_string_equal(size, "0B");
  cli_human_size(1500, size, sizeof size);
  assert_string_equal(size, "1.5kB");
  cli_human_size(524288000, size, sizeof size);
  assert_string_equal(size, "524MB");
  docker_buf b;
  docker_buf_init(&b, 0);
  cli_ellipsis("powershell -Command Start-Sleep", 20, &b);
  assert_string_equal(b.data, "powershell -Command…");
  docker_buf_free(&b);
  cli_ellipsis("exactly twenty chars", 20, &b);
  assert_string_equal(b.data, "exactly twenty chars");
  docker_buf_free(&b);
  cli_ellipsis("日本語のコマンド名です", 9, &b); /* display width: 4 wide characters then … */
  assert_string_equal(b.data, "日本語の…");
  docker_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tabwriter),      cmocka_unit_test(test_widths_and_utf8),
      cmocka_unit_test(test_go_quote),       cmocka_unit_test(test_go_numbers),
      cmocka_unit_test(test_json_writer),    cmocka_unit_test(test_buffer),
      cmocka_unit_test(test_list_formats),   cmocka_unit_test(test_headers_without_rows),
      cmocka_unit_test(test_inspect_output), cmocka_unit_test(test_pieces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
