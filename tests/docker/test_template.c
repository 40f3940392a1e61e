/* docker/template.h: Go's text/template as docker/cli uses it - the language, the values, the functions, the
 * messages and wctr's limits. Expected outputs are Go's (text/template and fmt) for the same template. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker/template.h"
#include "testutil.h"

static const char *const maps[] = {"Labels", NULL};

/* Runs text over json (NULL: null) with opts (NULL: Labels is a map); returns the output (static) and the
 * error, with the message in msg. */
static char out[65536];
static char msg[600];

static wctr_err run_opts(const char *text, const char *json, const docker_tpl_object *obj, const docker_tpl_opts *opts) {
  docker_tpl *t = NULL;
  wctr_errmsg e;
  out[0] = '\0';
  msg[0] = '\0';
  wctr_err err = docker_tpl_parse(text, strlen(text), &t, &e);
  if (err != WCTR_OK) {
    snprintf(msg, sizeof msg, "%s", e.text);
    return err;
  }
  cJSON *data = json != NULL ? cJSON_Parse(json) : cJSON_CreateNull();
  if (data == NULL) fail_msg("bad test JSON: %s", json);
  docker_buf b;
  docker_buf_init(&b, 0);
  docker_tpl_opts o = {.map_keys = maps};
  err = docker_tpl_exec(t, data, obj, opts != NULL ? opts : &o, &b, &e);
  snprintf(out, sizeof out, "%s", b.data != NULL ? b.data : "");
  if (err != WCTR_OK) snprintf(msg, sizeof msg, "%s", e.text);
  docker_buf_free(&b);
  cJSON_Delete(data);
  docker_tpl_free(t);
  return err;
}

static void ok(const char *text, const char *json, const char *want) {
  wctr_err err = run_opts(text, json, NULL, NULL);
  if (err != WCTR_OK) fail_msg("%s: %s", text, msg);
  if (strcmp(out, want) != 0) fail_msg("%s:\n got: [%s]\nwant: [%s]", text, out, want);
}

static void exec_error(const char *text, const char *json, const char *want_msg) {
  wctr_err err = run_opts(text, json, NULL, NULL);
  if (err == WCTR_OK) fail_msg("%s: no error, output [%s]", text, out);
  if (strstr(msg, want_msg) == NULL) fail_msg("%s:\n got: %s\nwant: %s", text, msg, want_msg);
}

static void parse_error(const char *text, const char *want_msg) {
  docker_tpl *t = NULL;
  wctr_errmsg e;
  wctr_err err = docker_tpl_parse(text, strlen(text), &t, &e);
  if (err == WCTR_OK) {
    docker_tpl_free(t);
    fail_msg("%s: parsed", text);
  }
  assert_null(t);
  if (strstr(e.text, want_msg) == NULL) fail_msg("%s:\n got: %s\nwant: %s", text, e.text, want_msg);
}

static void test_text_actions_and_trimming(void **state) {
  (void)state;
  ok("plain text", NULL, "plain text");
  ok("", NULL, "");
  ok("a {{\"b\"}} c", NULL, "a b c");
  ok("a  {{- \"b\" -}}  c", NULL, "abc");
  ok("a \n\t {{- \"b\"}}", NULL, "ab");
  ok("{{\"b\" -}} \n\r\t c", NULL, "bc");
  ok("x {{-3}} y", NULL, "x -3 y"); /* no space after the dash: a number, not a trim marker */
  ok("a {{/* a comment */}} b", NULL, "a  b");
  ok("a {{- /* comment */ -}} b", NULL, "ab");
  ok("{{/* multi\nline */}}x", NULL, "x");
  ok("{{\n\"a\"\n}}", NULL, "a"); /* actions may span lines */
  ok("}} and { alone", NULL, "}} and { alone");
  parse_error("{{/* open", "unclosed comment");
  parse_error("{{/* c */ x}}", "comment ends before closing delimiter");
  parse_error("a {{ \"b\"", "unclosed action");
  parse_error("{{}}", "missing value for command");
  parse_error("{{ ! }}", "unexpected \"!\" in command");
  parse_error("{{ \x01 }}", "unrecognized character in action: U+0001");
  parse_error("line1\nline2 {{.A", "template: :2: unclosed action");
  /* NUL bytes are text like any other. */
  docker_tpl *t = NULL;
  wctr_errmsg e;
  assert_int_equal(docker_tpl_parse("a\0b{{1}}", 8, &t, &e), WCTR_OK);
  docker_buf b;
  docker_buf_init(&b, 0);
  assert_int_equal(docker_tpl_exec(t, NULL, NULL, NULL, &b, &e), WCTR_OK);
  assert_int_equal(b.len, 4);
  assert_memory_equal(b.data, "a\0b1", 4);
  docker_buf_free(&b);
  docker_tpl_free(t);
}

static void test_literals(void **state) {
  (void)state;
  ok("{{\"a\\tb\\n\\\\\\\"\\x41\\u00e9\\U0001F600\\101\"}}", NULL, "a\tb\n\\\"A\xC3\xA9\xF0\x9F\x98\x80" "A");
  ok("{{`raw \\n\r\nline`}}", NULL, "raw \\n\nline");
  ok("{{'a'}} {{'\\n'}} {{'\\u00e9'}}", NULL, "97 10 233");
  ok("{{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{-7}} {{+3}}", NULL, "31 15 15 5 1000 -7 3");
  ok("{{1.5}} {{1e3}} {{.5}} {{2.0}} {{1e21}} {{0.00001}} {{123456789.0}} {{100000.0}} {{1e6}}", NULL,
     "1.5 1000 0.5 2 1e+21 1e-05 1.23456789e+08 100000 1e+06");
  ok("{{true}} {{false}}", NULL, "true false");
  ok("{{9223372036854775807}} {{-9223372036854775808}}", NULL, "9223372036854775807 -9223372036854775808");
  parse_error("{{1x}}", "bad number syntax: \"1x\"");
  parse_error("{{0x}}", "illegal number syntax");
  parse_error("{{1i}}", "complex numbers are not supported");
  parse_error("{{\"open}}", "unterminated quoted string");
  parse_error("{{`open}}", "unterminated raw quoted string");
  parse_error("{{\"\\q\"}}", "invalid syntax");
  parse_error("{{'ab'}}", "malformed character constant");
  exec_error("{{nil}}", NULL, "nil is not a command");
  exec_error("{{1 2}}", NULL, "can't give argument to non-function 1");
}

static const char data[] =
    "{\"Id\":\"abc\",\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"Health\":null},"
    "\"Config\":{\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"Env\":[\"A=1\",\"B=2\"],\"Cmd\":null},\"Count\":3,"
    "\"Ratio\":0.25,\"Big\":1e21,\"Flag\":true,\"List\":[1,\"two\",{\"k\":\"v\"},null,[3]],\"Empty\":[],"
    "\"ApiVersion\":\"1.41\",\"timeNano\":5,\"status\":\"start\"}";

static void test_fields_and_values(void **state) {
  (void)state;
  ok("{{.Id}} {{.State.Status}} {{.State.ExitCode}} {{.Count}} {{.Ratio}} {{.Flag}}", data, "abc running 0 3 0.25 true");
  ok("{{.Config.Env}} {{.List}} {{.Empty}}", data, "[A=1 B=2] [1 two map[k:v] <nil> [3]] []");
  ok("{{.Config.Labels}} {{.State.Health}} {{.Config.Cmd}} {{.Big}}", data, "map[a:1 b:2] <nil> <nil> 1e+21");
  ok("{{.}}", "{\"b\":1,\"a\":[true]}", "map[a:[true] b:1]");
  ok("{{.}}", "\"just a string\"", "just a string");
  ok("{{.}}", NULL, "<nil>");
  /* Labels is a map: a missing key is <no value>; elsewhere it is an error, never the text as written. */
  ok("{{.Config.Labels.a}}|{{.Config.Labels.zz}}|{{.Config.Labels.zz.deeper}}", data, "1|<no value>|<no value>");
  exec_error("{{.Nope}}", data, "template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"");
  exec_error("{{.State.Nope}}", data, "at <.State.Nope>: map has no entry for key \"Nope\"");
  exec_error("x\n {{.Id.Sub}}", data, "template: :2:3: executing \"\" at <.Id.Sub>: can't evaluate field Sub in type string");
  exec_error("{{.List.X}}", data, "can't evaluate field X in type []interface {}");
  exec_error("{{.Count.X}}", data, "can't evaluate field X in type int");
  exec_error("{{.State.Health.Status}}", data, "nil pointer evaluating interface {}.Status");
  exec_error("{{.Id \"arg\"}}", data, "Id is not a method but has arguments");
  /* Docker's Go names answer too: .ID for "Id", .APIVersion for "ApiVersion", .TimeNano, .Status. */
  ok("{{.ID}} {{.APIVersion}} {{.TimeNano}} {{.Status}}", data, "abc 1.41 5 start");
  /* Parenthesized pipelines and chains. */
  ok("{{(index .List 2).k}} {{(.State).Status}}", data, "v running");
  exec_error("{{(nil).X}}", data, "nil is not a command");
  parse_error("{{\"s\".X}}", "unexpected . after term");
}

static void test_variables(void **state) {
  (void)state;
  ok("{{$x := .Id}}{{$x}} {{$}}", "{\"Id\":\"a\"}", "a map[Id:a]");
  ok("{{$x := 1}}{{$x = 2}}{{$x}}", NULL, "2");
  ok("{{$x := \"out\"}}{{if true}}{{$x := \"in\"}}{{$x}}{{end}} {{$x}}", NULL, "in out");
  ok("{{$x := 0}}{{range .}}{{$x = .}}{{end}}{{$x}}", "[1,2,3]", "3");
  ok("{{range .L}}{{$.Name}}{{.}} {{end}}", "{\"Name\":\"n\",\"L\":[1,2]}", "n1 n2 ");
  ok("{{$x := .}}{{$x.A.B}}", "{\"A\":{\"B\":\"deep\"}}", "deep");
  parse_error("{{$x}}", "undefined variable \"$x\"");
  parse_error("{{$x = 1}}", "undefined variable \"$x\"");
  parse_error("{{if true}}{{$x := 1}}{{end}}{{$x}}", "undefined variable \"$x\"");
  parse_error("{{$a, $b := 1}}", "too many declarations in command");
  parse_error("{{$x := 1}}{{$x.}}", "in operand");
}

static void test_control(void **state) {
  (void)state;
  ok("{{if .A}}a{{else if .B}}b{{else}}c{{end}}", "{\"A\":false,\"B\":1}", "b");
  ok("{{if .A}}a{{else if .B}}b{{else}}c{{end}}", "{\"A\":\"\",\"B\":0}", "c");
  ok("{{if .L}}full{{else}}empty{{end}} {{if .M}}m{{else}}no m{{end}} {{if .N}}n{{else}}no n{{end}}",
     "{\"L\":[],\"M\":{},\"N\":null}", "empty no m no n");
  ok("{{with .A}}{{.}}{{else with .B}}b={{.}}{{else}}none{{end}}", "{\"A\":\"\",\"B\":5}", "b=5");
  ok("{{with .A}}{{.}}{{else}}none{{end}}", "{\"A\":0}", "none");
  ok("{{range .}}{{.}},{{end}}", "[\"a\",\"b\"]", "a,b,");
  ok("{{range $i, $e := .}}{{$i}}={{$e}} {{end}}", "[\"a\",\"b\"]", "0=a 1=b ");
  ok("{{range $k, $v := .}}{{$k}}:{{$v}} {{end}}", "{\"z\":1,\"a\":2,\"m\":3}", "a:2 m:3 z:1 ");
  ok("{{range $v := .}}{{$v}}{{end}}", "{\"b\":1,\"a\":2}", "21");
  ok("{{range 4}}{{.}}{{end}} {{range $i := 3}}{{$i}}{{end}}", NULL, "0123 012");
  ok("{{range .L}}x{{else}}none{{end}} {{range .Nope}}y{{end}}", "{\"L\":[],\"Nope\":null}", "none ");
  ok("{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}", "[0,1,2,3,4]", "02");
  ok("{{range $i, $e := .}}{{range $e}}{{if eq . 2}}{{break}}{{end}}{{$i}}{{.}} {{end}}|{{end}}", "[[1,2,3],[4]]", "01 |14 |");
  exec_error("{{range .}}{{end}}", "\"str\"", "range can't iterate over string");
  exec_error("{{range $a, $b := 3}}{{end}}", NULL, "can't use 3 to iterate over more than one variable");
  parse_error("{{break}}", "{{break}} outside {{range}}");
  parse_error("{{if true}}{{continue}}{{end}}", "{{continue}} outside {{range}}");
  parse_error("{{if true}}", "unexpected EOF");
  parse_error("{{end}}", "unexpected {{end}}");
  parse_error("{{else}}", "unexpected {{else}}");
  parse_error("{{if true}}a{{else}}b{{else}}c{{end}}", "expected end; found {{else}}");
  parse_error("{{if}}{{end}}", "missing value for if");
  parse_error("{{range .}}{{else if .}}{{end}}", "unexpected <if> in else");
  parse_error("{{with .}}{{else if .}}{{end}}", "unexpected <if> in else");
}

static void test_templates(void **state) {
  (void)state;
  ok("{{define \"T\"}}[{{.}}]{{end}}{{template \"T\" \"a\"}}{{template \"T\" 2}}", NULL, "[a][2]");
  ok("{{template \"T\"}}{{define \"T\"}}<{{.}}>{{end}}", NULL, "<<no value>>");
  ok("{{block \"B\" .Id}}id={{.}}{{end}}", "{\"Id\":\"x\"}", "id=x");
  ok("{{define \"T\"}}{{$}}{{end}}{{$x := 1}}{{template \"T\" 5}}", NULL, "5"); /* its own variables */
  exec_error("{{template \"nope\"}}", NULL, "no such template \"nope\"");
  exec_error("{{define \"R\"}}{{template \"R\" .}}{{end}}{{template \"R\" 1}}", NULL, "exceeded maximum template depth");
  parse_error("{{if true}}{{define \"x\"}}{{end}}{{end}}", "unexpected <define> in command");
  parse_error("{{template .X}}", "unexpected \".X\" in template clause");
  parse_error("{{define \"D\"}}a", "unexpected EOF");
}

static void test_logic_and_comparisons(void **state) {
  (void)state;
  ok("{{and 1 0 \"x\"}} {{and 1 2}} {{or 0 \"\" \"y\"}} {{or 0 \"\"}} {{not 0}} {{not \"a\"}}", NULL, "0 2 y  true false");
  /* and/or stop at the answer: the field that does not exist is never read. */
  ok("{{and false .Nope}} {{or true .Nope}}", "{}", "false true");
  exec_error("{{and true .Nope}}", "{}", "map has no entry for key \"Nope\"");
  ok("{{eq 1 1}} {{eq \"a\" \"b\"}} {{eq 1 2 3 1}} {{ne 1 2}} {{eq 1 1.0}} {{eq true true}}", NULL,
     "true false true true true true");
  ok("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2}} {{lt \"a\" \"ab\"}}", NULL, "true true true false true");
  ok("{{eq .X nil}} {{ne .Y nil}} {{eq .Z nil}}", "{\"X\":null,\"Y\":{},\"Z\":\"s\"}", "true true false");
  ok("{{if eq .State \"running\"}}up{{end}}", "{\"State\":\"running\"}", "up");
  exec_error("{{eq \"1\" 1}}", NULL, "error calling eq: incompatible types for comparison");
  exec_error("{{eq .A .A}}", "{\"A\":[1]}", "non-comparable type");
  exec_error("{{lt true false}}", NULL, "invalid type for comparison");
  exec_error("{{eq 1}}", NULL, "missing argument for comparison");
  exec_error("{{not}}", NULL, "wrong number of args for not: want 1 got 0");
  exec_error("{{and}}", NULL, "wrong number of args for and: want at least 1 got 0");
}

static void test_collections(void **state) {
  (void)state;
  ok("{{len .S}} {{len .L}} {{len .M}} {{len \"héllo\"}}", "{\"S\":\"abc\",\"L\":[1,2],\"M\":{\"a\":1}}", "3 2 1 6");
  exec_error("{{len 3}}", NULL, "len of type int");
  ok("{{index .L 1}} {{index .M \"a\"}} {{index .N 0 1}} {{index .S 0}}", "{\"L\":[5,6],\"M\":{\"a\":\"x\"},\"N\":[[1,2]],\"S\":\"A\"}",
     "6 x 2 65");
  /* index of a missing key: the map's zero value ("" for a map of strings). */
  ok("[{{index .Labels \"nope\"}}] [{{index .M \"nope\"}}]", "{\"Labels\":{\"a\":\"1\"},\"M\":{\"n\":1}}", "[] [<no value>]");
  exec_error("{{index .L 2}}", "{\"L\":[5,6]}", "index out of range: 2");
  exec_error("{{index .L \"x\"}}", "{\"L\":[5,6]}", "cannot index slice/array with type string");
  exec_error("{{index .X 0}}", "{\"X\":null}", "index of untyped nil");
  ok("{{slice \"abcdef\" 1 3}} {{slice \"abc\" 1}} {{slice .L 1 2}} {{slice .L}}", "{\"L\":[1,2,3]}", "bc bc [2] [1 2 3]");
  exec_error("{{slice \"abc\" 2 1}}", NULL, "index out of range");
  exec_error("{{slice \"abc\" 0 1 2}}", NULL, "cannot 3-index slice a string");
}

static void test_print_functions(void **state) {
  (void)state;
  ok("{{print 1 2 \"a\" \"b\" 3 true}}|{{println \"a\" 1}}|{{print}}", NULL, "1 2ab3 true|a 1\n|");
  ok("{{printf \"%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%c|%U\" 42 42 42 42 42 255 255 8 5 65 233}}", NULL,
     "42|   42|42   |00042|+42|ff|FF|10|101|A|U+00E9");
  ok("{{printf \"%s|%10s|%-6s|%.2s|%q|%v|%x\" \"str\" \"right\" \"left\" \"abc\" \"q\\n\" \"v\" \"hi\"}}", NULL,
     "str|     right|left  |ab|\"q\\n\"|v|6869");
  ok("{{printf \"%f|%.2f|%e|%g|%v|%6.1f\" 1.5 3.14159 1234.5 0.5 2.5 9.25}}", NULL,
     "1.500000|3.14|1.234500e+03|0.5|2.5|   9.2");
  ok("{{printf \"%t %T %T %T %T %%\" true 1 \"s\" 1.5 .}}", "[1]", "true int string float64 []interface {} %");
  ok("{{printf \"%v\" .}}", "{\"b\":[1],\"a\":null}", "map[a:<nil> b:[1]]");
  ok("{{printf \"%d %s\" 1}}", NULL, "1 %!s(MISSING)");
  ok("{{printf \"%d\" \"x\"}} {{printf \"%s\" 5}} {{printf \"%z\" 1}}", NULL, "%!d(string=x) %!s(int=5) %!z(int=1)");
  ok("{{printf \"%d\" 1 2}}", NULL, "1%!(EXTRA int=2)");
  ok("{{printf \"%\"}}|{{printf \"%9999999d\" 1}}", NULL, "%!(NOVERB)|%!(BADWIDTH)1");
  ok("{{printf \"%*d|%-*d|\" 4 7 3 8}}", NULL, "   7|8  |");
  /* Widths and precisions past 10^6 are Go's BADWIDTH / BADPREC, however many digits they have. */
  ok("{{printf \"%99999999999999999999d|%.99999999999999999999f\" 1 1.5}}", NULL, "%!(BADWIDTH)1|%!(BADPREC)1.500000");
  ok("{{printf \"%q\" 'x'}}", NULL, "'x'");
  exec_error("{{printf 1}}", NULL, "wrong type for value; expected string; got int");
  ok("{{html \"<a href='x'>&\\\"\"}} {{js \"a'b\\\"<>=\\n\"}} {{urlquery \"a b&c/é\"}}", NULL,
     "&lt;a href=&#39;x&#39;&gt;&amp;&#34; a\\'b\\\"\\u003C\\u003E\\u003D\\n a+b%26c%2F%C3%A9");
  ok("{{html 1 \"<\" 2}}", NULL, "1&lt;2");
  exec_error("{{call .}}", NULL, "error calling call");
}

static void test_docker_functions(void **state) {
  (void)state;
  ok("{{json .}}", "{\"b\":\"<&>\",\"a\":[1,2.5,true,null],\"c\":{}}", "{\"b\":\"<&>\",\"a\":[1,2.5,true,null],\"c\":{}}");
  ok("{{json .S}} {{json 3}} {{json 1.5}} {{json true}} {{json .N}}", "{\"S\":\"a\\\"b\\u2028\",\"N\":null,\"Labels\":{}}",
     "\"a\\\"b\\u2028\" 3 1.5 true null");
  ok("{{json .Labels.nope}}", "{\"Labels\":{}}", "null");
  ok("{{range split \"a,b,,c\" \",\"}}[{{.}}]{{end}} {{len (split \"\" \",\")}} {{split \"héj\" \"\"}}", NULL,
     "[a][b][][c] 1 [h é j]");
  ok("{{join .L \", \"}}|{{join .M \"-\"}}|{{join .N \",\"}}|{{join (split \"a b\" \" \") \"+\"}}",
     "{\"L\":[1,\"two\",3.5],\"M\":{\"x\":\"b\",\"y\":\"a\"},\"N\":null}", "1, two, 3.5|a-b||a+b");
  exec_error("{{join \"abc\" \",\"}}", NULL, "error calling join: expected slice, got string");
  exec_error("{{split 1 \",\"}}", NULL, "wrong type for value; expected string; got int");
  ok("{{upper \"abc é\"}} {{lower \"ÀBC Ω\"}} {{title \"hello wORLD-foo_bar élan 2nd\"}}", NULL,
     "ABC É àbc ω Hello WORLD-Foo_bar Élan 2nd");
  ok("[{{pad \"x\" 2 1}}] [{{pad \"\" 3 3}}] [{{truncate \"abcdef\" 3}}] [{{truncate \"ab\" 5}}]", NULL, "[  x ] [] [abc] [ab]");
  exec_error("{{truncate \"abc\" -1}}", NULL, "error calling truncate");
  exec_error("{{pad \"x\" -1 0}}", NULL, "negative Repeat count");
  ok("{{.Names | upper}} {{\"a\" | printf \"%s-%s\" \"b\"}}", "{\"Names\":\"web\"}", "WEB b-a");
  parse_error("{{\"a\" | \"b\"}}", "non executable command in pipeline stage 2");
  parse_error("{{nosuch 1}}", "function \"nosuch\" not defined");
}

/* The header of a table is the same template over the header names with json, split, join, title,
 * lower, upper and truncate leaving their argument as it is (docker/cli's HeaderFunctions). */
static void test_header_functions(void **state) {
  (void)state;
  docker_tpl_opts head = {.header = true};
  const char *names = "{\"ID\":\"CONTAINER ID\",\"Names\":\"NAMES\"}";
  assert_int_equal(run_opts("{{json .ID}}\t{{upper .Names}}\t{{split .ID \" \"}}\t{{truncate .Names 2}}\t{{pad .ID 1 1}}",
                            names, NULL, &head),
                   WCTR_OK);
  assert_string_equal(out, "CONTAINER ID\tNAMES\tCONTAINER ID\tNAMES\t CONTAINER ID ");
}

static cJSON *echo_call(const void *self, const char *const *args) {
  const cJSON *labels = self;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(labels, args[0]);
  return cJSON_CreateString(cJSON_IsString(v) ? v->valuestring : "");
}

/* A formatter context: fields, and methods that take arguments. */
static void test_objects(void **state) {
  (void)state;
  cJSON *fields = cJSON_Parse("{\"ID\":\"abc\",\"Names\":\"web\"}");
  cJSON *labels = cJSON_Parse("{\"tier\":\"front\"}");
  docker_tpl_method m = {"Label", 1, echo_call};
  docker_tpl_object o = {.type_name = "*formatter.ContainerContext", .fields = fields, .methods = &m, .method_count = 1,
                      .self = labels};
  assert_int_equal(run_opts("{{.ID}} {{.Label \"tier\"}} [{{.Label \"none\"}}] {{\"tier\" | .Label}} {{json .}}", NULL, &o, NULL),
                   WCTR_OK);
  assert_string_equal(out, "abc front [] front {\"ID\":\"abc\",\"Names\":\"web\"}");
  assert_int_equal(run_opts("{{.Nope}}", NULL, &o, NULL), WCTR_EINVAL);
  assert_non_null(strstr(msg, "can't evaluate field Nope in type *formatter.ContainerContext"));
  assert_int_equal(run_opts("{{.Label}}", NULL, &o, NULL), WCTR_EINVAL);
  assert_non_null(strstr(msg, "wrong number of args for Label: want 1 got 0"));
  assert_int_equal(run_opts("{{.Label 5}}", NULL, &o, NULL), WCTR_EINVAL);
  assert_non_null(strstr(msg, "wrong type for value; expected string; got int"));
  assert_int_equal(run_opts("{{.ID \"x\"}}", NULL, &o, NULL), WCTR_EINVAL);
  assert_non_null(strstr(msg, "ID has arguments but cannot be invoked as function"));
  cJSON_Delete(fields);
  cJSON_Delete(labels);
}

/* A whole number too long for a double comes as raw JSON text (an event's timeNano) and stays exact. */
static void test_raw_numbers(void **state) {
  (void)state;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddItemToObject(o, "timeNano", cJSON_CreateRaw("1763817000123456789"));
  docker_tpl *t = NULL;
  wctr_errmsg e;
  const char *text = "{{.timeNano}} {{json .}} {{gt .timeNano 1}}";
  assert_int_equal(docker_tpl_parse(text, strlen(text), &t, &e), WCTR_OK);
  docker_buf b;
  docker_buf_init(&b, 0);
  assert_int_equal(docker_tpl_exec(t, o, NULL, NULL, &b, &e), WCTR_OK);
  assert_string_equal(b.data, "1763817000123456789 {\"timeNano\":1763817000123456789} true");
  docker_buf_free(&b);
  docker_tpl_free(t);
  cJSON_Delete(o);
}

/* wctr's limits: steps, output, values made, nesting; an error keeps what was written before it. */
static void test_limits(void **state) {
  (void)state;
  docker_tpl_opts small = {.max_steps = 1000};
  assert_int_equal(run_opts("{{range 100000}}x{{end}}", NULL, NULL, &small), WCTR_ETOOBIG);
  assert_non_null(strstr(msg, "more than 1000 steps"));
  docker_tpl_opts little = {.max_output = 100};
  assert_int_equal(run_opts("{{range 1000}}abcdef{{end}}", NULL, NULL, &little), WCTR_ETOOBIG);
  assert_non_null(strstr(msg, "the output passed 100 bytes"));
  assert_true(strlen(out) <= 100);
  assert_int_equal(run_opts("{{$s := \"xx\"}}{{range 64}}{{$s = printf \"%s%s\" $s $s}}{{end}}", NULL, NULL, &little),
                   WCTR_ETOOBIG);
  assert_non_null(strstr(msg, "values grew past"));
  assert_int_equal(run_opts("{{pad \"x\" 1000000000 0}}", NULL, NULL, &little), WCTR_ETOOBIG);
  char deep[2000];
  size_t n = 0;
  n += (size_t)snprintf(deep + n, sizeof deep - n, "{{");
  for (int i = 0; i < 101; i++) deep[n++] = '(';
  deep[n++] = '1';
  for (int i = 0; i < 101; i++) deep[n++] = ')';
  snprintf(deep + n, sizeof deep - n, "}}");
  parse_error(deep, "nests more than 100 deep");
  n = 0;
  for (int i = 0; i < 101; i++) n += (size_t)snprintf(deep + n, sizeof deep - n, "{{if 1}}");
  parse_error(deep, "nests more than 100 deep");
  exec_error("before {{.Nope}} after", "{}", "map has no entry");
  assert_string_equal(out, "before ");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_actions_and_trimming),
      cmocka_unit_test(test_literals),
      cmocka_unit_test(test_fields_and_values),
      cmocka_unit_test(test_variables),
      cmocka_unit_test(test_control),
      cmocka_unit_test(test_templates),
      cmocka_unit_test(test_logic_and_comparisons),
      cmocka_unit_test(test_collections),
      cmocka_unit_test(test_print_functions),
      cmocka_unit_test(test_docker_functions),
      cmocka_unit_test(test_header_functions),
      cmocka_unit_test(test_objects),
      cmocka_unit_test(test_raw_numbers),
      cmocka_unit_test(test_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
