/* tests/compose/test_text.c - interpolation, env files, paths, project names, Go durations and the short
 * volume syntax: the helpers under compose/compose.h's rules, tested directly and through the loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose/compose_internal.h"
#include "compose_test.h"

static const char *proc_env(void *ctx, const char *name) {
  (void)ctx;
  static const char *const vars[][2] = {
      {"TAG", "ltsc2022"}, {"EMPTY", ""}, {"HOST", "web01"}, {"lower", "l"}, {"NESTED", "${TAG}"}};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    if (strcmp(vars[i][0], name) == 0) return vars[i][1];
  }
  return NULL;
}

static void expect_interp(const char *in, const char *out) {
  cc_env env = {.lookup = proc_env};
  char *got = NULL;
  char msg[400];
  compose_warnings w = {0};
  wctr_err err = cc_interpolate(in, NULL, &env, &w, &got, msg, sizeof msg);
  if (err != WCTR_OK) fail_msg("%s: %s", in, msg);
  if (strcmp(got, out) != 0) fail_msg("%s: expected [%s], got [%s]", in, out, got);
  free(got);
  compose_warnings_free(&w);
}

static void expect_interp_fail(const char *in, const char *message) {
  cc_env env = {.lookup = proc_env};
  char *got = (char *)1;
  char msg[400];
  wctr_err err = cc_interpolate(in, NULL, &env, NULL, &got, msg, sizeof msg);
  assert_int_equal(err, WCTR_EINVAL);
  assert_null(got);
  if (strcmp(msg, message) != 0) fail_msg("%s:\nexpected %s\ngot      %s", in, message, msg);
}

static void test_interpolation(void **state) {
  (void)state;
  expect_interp("plain", "plain");
  expect_interp("$TAG", "ltsc2022");
  expect_interp("${TAG}", "ltsc2022");
  expect_interp("image:${TAG}-x", "image:ltsc2022-x");
  expect_interp("$TAG$TAG", "ltsc2022ltsc2022");
  expect_interp("${lower}", "l");
  /* Defaults: ":-" when unset or empty, "-" only when unset. */
  expect_interp("${EMPTY:-d}", "d");
  expect_interp("${EMPTY-d}", "");
  expect_interp("${UNSET-d}", "d");
  expect_interp("${UNSET:-d}", "d");
  expect_interp("${TAG:-d}", "ltsc2022");
  expect_interp("${UNSET:-}", "");
  /* Alternatives: ":+" when set and not empty, "+" when set. */
  expect_interp("${TAG:+alt}", "alt");
  expect_interp("${EMPTY:+alt}", "");
  expect_interp("${EMPTY+alt}", "alt");
  expect_interp("${UNSET+alt}", "");
  /* Required values that are there. */
  expect_interp("${TAG:?need it}", "ltsc2022");
  expect_interp("${EMPTY?need it}", "");
  /* Nesting and escapes. */
  expect_interp("${UNSET:-${TAG}}", "ltsc2022");
  expect_interp("${UNSET:-${ALSO:-deep}}", "deep");
  expect_interp("${UNSET:-a{b}c}", "a{b}c");
  /* A '{' left open in a default: up to the last '}' of the line, as compose v2; docker-compose 1.29.2 gives
   * "{x" too (checked). */
  expect_interp("${UNSET:-{x}", "{x");
  expect_interp("${UNSET:-{x}}", "{x}");
  expect_interp("[${UNSET:-{x}]", "[{x]");
  expect_interp("${TAG:-{x}", "ltsc2022");
  expect_interp("${UNSET:-{{x}y}", "{{x}y");
  /* Balanced braces may span lines; the fallback stays on its line. */
  expect_interp("${UNSET:-{x}\n}", "{x}\n");
  expect_interp("$$TAG", "$TAG");
  expect_interp("$${TAG}", "${TAG}");
  expect_interp("cost: 5$", "cost: 5$");
  expect_interp("$1 and $ and $-", "$1 and $ and $-");
  expect_interp("C:\\$Recycle.Bin", "C:\\.Bin");
  expect_interp("C:\\$$Recycle.Bin", "C:\\$Recycle.Bin");
  /* A value is inserted as it is: it is not interpolated again. */
  expect_interp("${NESTED}", "${TAG}");

  expect_interp_fail("${TAG",
                     "invalid interpolation format \"${TAG\" (unterminated \"${\"; write $$ for a literal $)");
  expect_interp_fail("x ${UNSET:-${TAG}",
                     "invalid interpolation format \"x ${UNSET:-${TAG}\" (unterminated \"${\"; "
                     "write $$ for a literal $)");
  expect_interp_fail("${UNSET:-{x", "invalid interpolation format \"${UNSET:-{x\" (unterminated \"${\"; write $$ "
                                    "for a literal $)");
  expect_interp_fail("${UNSET:-{x\n}", "invalid interpolation format \"${UNSET:-{x\\x0a}\" (unterminated \"${\"; "
                                       "write $$ for a literal $)");
  expect_interp_fail("${}", "invalid interpolation format \"${}\" (write $$ for a literal $)");
  expect_interp_fail("${TAG }", "invalid interpolation format \"${TAG }\" (write $$ for a literal $)");
  expect_interp_fail("${1X}", "invalid interpolation format \"${1X}\" (write $$ for a literal $)");
  expect_interp_fail("${TAG:x}", "invalid interpolation format \"${TAG:x}\" (write $$ for a literal $)");
  expect_interp_fail("${TAG!}", "invalid interpolation format \"${TAG!}\" (write $$ for a literal $)");
  expect_interp_fail("${UNSET:?the tag is required}",
                     "required variable UNSET is missing a value: the tag is required");
  expect_interp_fail("${EMPTY:?}", "required variable EMPTY is missing a value");
  expect_interp_fail("${UNSET?set ${HOST} first}", "required variable UNSET is missing a value: set web01 first");
  char deep[512];
  size_t n = 0;
  for (int i = 0; i < 40; i++) n += (size_t)snprintf(deep + n, sizeof deep - n, "${U:-");
  for (int i = 0; i < 40; i++) deep[n++] = '}';
  deep[n] = '\0';
  char expected[600];
  snprintf(expected, sizeof expected,
           "invalid interpolation format \"%.64s...\" (nested more than 32 levels deep)", deep);
  expect_interp_fail(deep, expected);
}

static void test_interpolation_warnings(void **state) {
  (void)state;
  cc_env env = {.lookup = proc_env};
  compose_warnings w = {0};
  char *out;
  char msg[400];
  assert_int_equal(
      cc_interpolate("$MISSING-${MISSING}-${OTHER}-${MISSING:-x}", NULL, &env, &w, &out, msg, sizeof msg),
      WCTR_OK);
  assert_string_equal(out, "---x");
  free(out);
  /* Each once, in order; a default is not a warning. */
  assert_int_equal(w.count, 2);
  assert_string_equal(w.text[0], "The \"MISSING\" variable is not set. Defaulting to a blank string.");
  assert_string_equal(w.text[1], "The \"OTHER\" variable is not set. Defaulting to a blank string.");
  compose_warnings_free(&w);
  assert_int_equal(w.count, 0);
  assert_null(w.text);
}

/* Interpolation in a compose file: every string value, with the path in messages; .env next to the
 * first file; the process environment wins. */
static void test_interpolation_in_files(void **state) {
  (void)state;
  ct_reset();
  ct_env("TAG", "ltsc2022");
  ct_env("REPLICA_MEM", "1g");
  ct_file(CT_DIR "\\.env", "TAG=from-dotenv\nCPUS=0.5\nVOLUME_ROOT=D:\\data\n");
  compose_project *p = ct_load_text(
      "services:\n"
      "  web:\n"
      "    image: \"mcr.microsoft.com/windows/nanoserver:${TAG}\"\n"
      "    cpus: ${CPUS}\n"
      "    mem_limit: $REPLICA_MEM\n"
      "    environment: {PRICE: \"$$5\", WHERE: \"${UNSET_VAR}\"}\n"
      "    volumes: [\"${VOLUME_ROOT}:C:\\\\data\"]\n"
      "    labels: {\"${NOT_A_KEY}\": x}\n");
  const compose_service *s = ct_service(p, "web");
  assert_string_equal(s->image, "mcr.microsoft.com/windows/nanoserver:ltsc2022");
  assert_int_equal(s->resources.nano_cpus, 500000000);
  assert_int_equal(s->resources.memory_bytes, 1073741824);
  assert_string_equal(s->environment[0], "PRICE=$5");
  assert_string_equal(s->environment[1], "WHERE=");
  assert_string_equal(s->volumes[0].source, "D:\\data");
  /* Keys are not interpolated. */
  assert_string_equal(s->labels[0], "${NOT_A_KEY}=x");
  assert_true(ct_warned("The \"UNSET_VAR\" variable is not set. Defaulting to a blank string."));
  compose_free(p);

  ct_fail_text(
      "services:\n  web:\n    image: \"app:${TAG\"\n",
      "compose.yml: services.web.image: invalid interpolation format \"app:${TAG\" (unterminated \"${\"; write "
      "$$ for a literal $)");
  ct_fail_text("services:\n  web:\n    image: app\n    command: [\"echo\", \"${MSG:?say something}\"]\n",
               "compose.yml: services.web.command[1]: required variable MSG is missing a value: say something");
  /* Extensions are interpolated too (compose does), so a broken one is reported. */
  ct_fail_text("x-broken: \"${\"\n",
               "compose.yml: x-broken: invalid interpolation format \"${\" (unterminated \"${\"; "
               "write $$ for a literal $)");
  /* Numbers are not strings, so nothing happens to them. */
  p = ct_load_text("services:\n  web: {image: app, cpu_shares: 512}\nx-n: 12\n");
  compose_free(p);
  ct_file(CT_DIR "\\.env", "BROKEN='x\n");
  ct_fail_text("services: {}\n",
               "C:\\proj\\.env:1: the value's single quote is not closed (a backslash before a quote escapes it)");
  ct_reset();
}

static void test_dotenv(void **state) {
  (void)state;
  cc_env env = {.lookup = proc_env};
  cc_kvlist out;
  wctr_errmsg e;
  compose_warnings w = {0};
  const char text[] =
      "\xEF\xBB\xBF# comment\n"
      "\n"
      "   # indented comment\r\n"
      "A=1\r\n"
      "export B=two\n"
      "  C = spaced value   \n"
      "D='single ${TAG} # not a comment'  # comment\n"
      "E=\"double ${TAG}\\t\\\"q\\\" \\$TAG \\\\\"\n"
      "F=unquoted ${A}#tag # comment\n"
      "G=\n"
      "HOST\n"
      "NOT_SET\n"
      "A=again\n"
      "H=${B:-x}-${TAG}\n"
      "I=\\n stays\n";
  assert_int_equal(cc_dotenv_parse("test.env", text, sizeof text - 1, &env, &w, &out, &e), WCTR_OK);
  static const char *const expected[][2] = {{"A", "again"},
                                            {"B", "two"},
                                            {"C", "spaced value"},
                                            {"D", "single ${TAG} # not a comment"},
                                            {"E", "double ltsc2022\t\"q\" $TAG \\"},
                                            {"F", "unquoted 1#tag"},
                                            {"G", ""},
                                            {"HOST", "web01"},
                                            {"H", "two-ltsc2022"},
                                            {"I", "\\n stays"}};
  assert_int_equal(out.count, sizeof expected / sizeof expected[0]);
  for (size_t i = 0; i < out.count; i++) {
    assert_string_equal(out.items[i].key, expected[i][0]);
    assert_string_equal(out.items[i].value, expected[i][1]);
  }
  assert_int_equal(w.count, 0);
  cc_kvlist_free(&out);

  static const struct {
    const char *text;
    const char *message;
  } bad[] = {
      {"A=1\n=2\n", "bad.env:2: invalid variable name \"\""},
      {"MY VAR=1\n", "bad.env:1: invalid variable name \"MY VAR\""},
      {"A=\"open\n", "bad.env:1: the value's double quote is not closed (a backslash before a quote escapes it)"},
      /* A value that runs to the end of the file is reported at the line that opened it. */
      {"A=1\nB='open\nC=2\n", "bad.env:2: the value's single quote is not closed (a backslash before a quote "
                               "escapes it)"},
      /* \' escapes the quote in both kinds of quotes (compose v2's parser), so this one is never closed. */
      {"DIR='C:\\data\\'\n", "bad.env:1: the value's single quote is not closed (a backslash before a quote "
                             "escapes it)"},
      /* After a value over three lines, errors count the lines it took. */
      {"A=\"1\n2\n3\"\nMY VAR=x\n", "bad.env:4: invalid variable name \"MY VAR\""},
      {"A='1\r\n2' x\r\n", "bad.env:1: only a comment may follow a quoted value"},
      {"A='x' y\n", "bad.env:1: only a comment may follow a quoted value"},
      /* Env files hold passwords: the variable is named, its value never quoted. */
      {"PW=p4ss${B\n",
       "bad.env:1: invalid interpolation format in the value of PW (unterminated \"${\"; write $$ for a literal "
       "$)"},
      {"PW=\"${}\"\n", "bad.env:1: invalid interpolation format in the value of PW (write $$ for a literal $)"},
      {"A=${NOPE:?needed}\n", "bad.env:1: required variable NOPE is missing a value: needed"},
      {"\"A\"=1\n", "bad.env:1: invalid variable name \"\\\"A\\\"\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    wctr_errmsg_clear(&e);
    assert_int_equal(cc_dotenv_parse("bad.env", bad[i].text, strlen(bad[i].text), &env, NULL, &out, &e),
                     WCTR_EINVAL);
    assert_string_equal(e.text, bad[i].message);
    assert_int_equal(out.count, 0);
    assert_null(out.items);
  }
  assert_int_equal(cc_dotenv_parse("nul.env", "A=1\nB=\0\n", 7, &env, NULL, &out, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "nul.env:2: the line holds a NUL character");
  assert_int_equal(cc_dotenv_parse("latin1.env", "A=caf\xe9\n", 7, &env, NULL, &out, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "latin1.env:1: the line is not valid UTF-8");
  assert_int_equal(cc_dotenv_parse("utf8.env", "# caf\xe9\nA=caf\xc3\xa9\n", 15, &env, NULL, &out, &e), WCTR_OK);
  assert_string_equal(out.items[0].value, "caf\xc3\xa9");
  cc_kvlist_free(&out);
  static const struct {
    const char *bytes;
    bool ok;
  } utf8[] = {
      {"plain", true},     {"\xc3\xa9", true},      {"\xe2\x82\xac", true},     {"\xf0\x9f\x98\x80", true},
      {"\xc0\xaf", false}, {"\xe0\x80\xaf", false}, {"\xed\xa0\x80", false},    {"\xf4\x90\x80\x80", false},
      {"\xc3", false},     {"\x80", false},         {"\xf8\x88\x80\x80", false}};
  for (size_t i = 0; i < sizeof utf8 / sizeof utf8[0]; i++) {
    assert_int_equal(cc_utf8_valid(utf8[i].bytes, strlen(utf8[i].bytes)), utf8[i].ok);
  }
  compose_warnings_free(&w);
}

/* Quoted values over several lines (certificates) and escaped quotes: both compose implementations accept
 * them (docker-compose 1.29.2 with python-dotenv 0.21, and compose v2's parser); where the two differ, wctr
 * reads as compose v2 does (noted per line). */
static void test_dotenv_quotes(void **state) {
  (void)state;
  cc_env env = {.lookup = proc_env};
  cc_kvlist out;
  wctr_errmsg e;
  const char text[] =
      "CERT=\"-----BEGIN CERTIFICATE-----\n"
      "MIIB ${TAG}\n"
      "-----END CERTIFICATE-----\"  # a comment after it\n"
      "NEXT=after\n"
      /* A line break inside quotes is \n, whatever the file uses (1.29.2 reads the file with universal
       * newlines; v2 would keep the \r). */
      "CRLF=\"a\r\nb\"\r\n"
      "SINGLE='multi\n"
      "line ${TAG}'\n"
      "Q='it\\'s'\n"
      /* In single quotes any other escape stays as written (1.29.2 would turn \\\\ into one backslash). */
      "KEEP='a\\b \\\\ \\n'\n"
      "DQ=\"say \\\"hi\\\"\"\n"
      "ESC=\"\\a\\b\\f\\v|\\'\"\n"
      "GAPS=\"x\n\n\ny\"\n"
      "HASH='# not a comment\n# still the value'\n"
      "LAST=${NEXT}\n";
  assert_int_equal(cc_dotenv_parse("q.env", text, sizeof text - 1, &env, NULL, &out, &e), WCTR_OK);
  static const char *const expected[][2] = {
      {"CERT", "-----BEGIN CERTIFICATE-----\nMIIB ltsc2022\n-----END CERTIFICATE-----"},
      {"NEXT", "after"},
      {"CRLF", "a\nb"},
      {"SINGLE", "multi\nline ${TAG}"},
      {"Q", "it's"},
      {"KEEP", "a\\b \\\\ \\n"},
      {"DQ", "say \"hi\""},
      /* \' in double quotes stays (1.29.2 would decode it). */
      {"ESC", "\a\b\f\v|\\'"},
      {"GAPS", "x\n\n\ny"},
      {"HASH", "# not a comment\n# still the value"},
      {"LAST", "after"}};
  assert_int_equal(out.count, sizeof expected / sizeof expected[0]);
  for (size_t i = 0; i < out.count; i++) {
    assert_string_equal(out.items[i].key, expected[i][0]);
    if (strcmp(out.items[i].value, expected[i][1]) != 0) {
      fail_msg("%s: expected [%s], got [%s]", expected[i][0], expected[i][1], out.items[i].value);
    }
  }
  cc_kvlist_free(&out);
  /* A NUL on the third line of a value is reported on that line. */
  static const char nul[] = "A=\"1\n2\n3\0\"\n";
  assert_int_equal(cc_dotenv_parse("nul.env", nul, sizeof nul - 1, &env, NULL, &out, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "nul.env:3: the line holds a NUL character");
  /* An interpolation error in a value over lines names the line that opened it, never the value. */
  static const char broken[] = "OK=1\nPW=\"s3cr3t\n${\"\n";
  assert_int_equal(cc_dotenv_parse("pw.env", broken, sizeof broken - 1, &env, NULL, &out, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "pw.env:2: invalid interpolation format in the value of PW (unterminated \"${\"; write "
                              "$$ for a literal $)");
}

static void expect_join(const char *dir, const char *rel, const char *out) {
  char *got = cc_path_join(dir, rel);
  assert_non_null(got);
  if (strcmp(got, out) != 0) fail_msg("join(%s, %s): expected %s, got %s", dir, rel, out, got);
  free(got);
}

static void expect_dir(const char *path, const char *out) {
  char *got = cc_path_dir(path);
  assert_non_null(got);
  if (strcmp(got, out) != 0) fail_msg("dir(%s): expected %s, got %s", path, out, got);
  free(got);
}

static void expect_base(const char *path, const char *out) {
  size_t len;
  const char *b = cc_path_base(path, &len);
  if (len != strlen(out) || strncmp(b, out, len) != 0)
    fail_msg("base(%s): expected %s, got %.*s", path, out, (int)len, b);
}

static void test_paths(void **state) {
  (void)state;
  assert_true(cc_path_is_abs("C:\\x"));
  assert_true(cc_path_is_abs("c:/x"));
  assert_true(cc_path_is_abs("C:"));
  assert_true(cc_path_is_abs("\\x"));
  assert_true(cc_path_is_abs("/x"));
  assert_true(cc_path_is_abs("\\\\server\\share"));
  assert_false(cc_path_is_abs("x"));
  assert_false(cc_path_is_abs("./x"));
  assert_false(cc_path_is_abs("..\\x"));
  assert_false(cc_path_is_abs(""));

  expect_join("C:\\proj", "a.env", "C:\\proj\\a.env");
  expect_join("C:\\proj", "./conf/a.env", "C:\\proj\\conf\\a.env");
  expect_join("C:\\proj\\sub", "..\\..\\..\\x", "C:\\x");
  expect_join("C:\\proj", ".", "C:\\proj");
  expect_join("C:\\", "x", "C:\\x");
  expect_join("C:/proj", "x", "C:\\proj\\x");
  expect_join("C:\\proj", "D:\\abs", "D:\\abs");
  expect_join("\\\\server\\share\\dir", "..\\..\\x", "\\\\server\\share\\x");
  expect_join("\\\\server\\share", "x", "\\\\server\\share\\x");
  expect_join("/home/u/proj", "../x/./y", "/home/u/x/y");
  expect_join("/home/u/proj", "a\\b", "/home/u/proj/a/b");
  expect_join("/", "..", "/");
  expect_join("/home", "/etc/x", "/etc/x");

  expect_dir("C:\\proj\\compose.yml", "C:\\proj");
  expect_dir("C:\\compose.yml", "C:\\");
  expect_dir("/home/u/proj/compose.yml", "/home/u/proj");
  expect_dir("/compose.yml", "/");
  expect_dir("C:\\proj\\sub\\\\x.yml", "C:\\proj\\sub");
  expect_dir("x.yml", ".");

  expect_base("C:\\Users\\me\\My App", "My App");
  expect_base("C:\\Users\\me\\proj\\", "proj");
  expect_base("/home/u/proj", "proj");
  expect_base("C:\\", "");
  expect_base("/", "");
}

static void test_project_name_normalization(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"myapp", "myapp"},  {"My App", "myapp"}, {"My.App_v2-x", "myapp_v2-x"},
      {"__-lead", "lead"}, {"a__b", "a__b"},    {"\xC3\x84pfel", "pfel"},
      {"...", ""},         {"UPPER", "upper"},  {"9lives", "9lives"},
      {"-_-", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *n = cc_normalize_project_name(cases[i][0]);
    assert_non_null(n);
    if (strcmp(n, cases[i][1]) != 0) fail_msg("%s: expected %s, got %s", cases[i][0], cases[i][1], n);
    free(n);
  }
}

static void test_durations(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int64_t ns;
    const char *shown;
  } ok[] = {
      {"0", 0, "0s"},
      {"0s", 0, "0s"},
      {"10s", 10000000000LL, "10s"},
      {"1m30s", 90000000000LL, "1m30s"},
      {"90s", 90000000000LL, "1m30s"},
      {"1.5h", 5400000000000LL, "1h30m0s"},
      {"2h45m", 9900000000000LL, "2h45m0s"},
      {"250ms", 250000000LL, "250ms"},
      {"1.5s", 1500000000LL, "1.5s"},
      {".5s", 500000000LL, "500ms"},
      {"1.s", 1000000000LL, "1s"},
      {"1500us", 1500000LL, "1.5ms"},
      {"3\xC2\xB5s", 3000LL, "3\xC2\xB5s"},
      {"3\xCE\xBCs", 3000LL, "3\xC2\xB5s"},
      {"42ns", 42LL, "42ns"},
      {"+5s", 5000000000LL, "5s"},
      {"1h1m1s1ms1us1ns", 3661001001001LL, "1h1m1.001001001s"},
      {"0.1234567891s", 123456789LL, "123.456789ms"},
      {"2562047h47m16.854775807s", INT64_MAX, "2562047h47m16.854775807s"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t ns = -1;
    char msg[300];
    if (!cc_parse_duration(ok[i].text, &ns, msg, sizeof msg)) fail_msg("%s: %s", ok[i].text, msg);
    if (ns != ok[i].ns) fail_msg("%s: expected %lld, got %lld", ok[i].text, (long long)ok[i].ns, (long long)ns);
    char shown[64];
    cc_format_duration(ns, shown, sizeof shown);
    assert_string_equal(shown, ok[i].shown);
  }
  static const char *const bad[][2] = {
      {"", "invalid duration \"\" (write it like 10s, 1m30s or 1.5h)"},
      {"10", "invalid duration \"10\": missing unit (ns, us, ms, s, m or h)"},
      {"s", "invalid duration \"s\" (write it like 10s, 1m30s or 1.5h)"},
      {".s", "invalid duration \".s\" (write it like 10s, 1m30s or 1.5h)"},
      {"1d", "invalid duration \"1d\": unknown unit \"d\""},
      {"1 s", "invalid duration \"1 s\": unknown unit \" s\""},
      {"-1s", "invalid duration \"-1s\": cannot be negative"},
      {"2562048h", "invalid duration \"2562048h\": too large (at most 2562047h47m16.854775807s)"},
      {"9223372036854775808ns",
       "invalid duration \"9223372036854775808ns\": too large (at most 2562047h47m16.854775807s)"},
      {"2562047h47m16.854775808s",
       "invalid duration \"2562047h47m16.854775808s\": too large (at most "
       "2562047h47m16.854775807s)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ns = 7;
    char msg[300];
    assert_false(cc_parse_duration(bad[i][0], &ns, msg, sizeof msg));
    assert_string_equal(msg, bad[i][1]);
    assert_int_equal(ns, 7);
  }
  char shown[64];
  cc_format_duration(-1500000000LL, shown, sizeof shown);
  assert_string_equal(shown, "-1.5s");
}

static void test_volume_split(void **state) {
  (void)state;
  static const struct {
    const char *spec;
    const char *source, *target, *mode;
  } ok[] = {
      {"C:\\data:C:\\data:ro", "C:\\data", "C:\\data", "ro"},
      {"c:/a:d:/b", "c:/a", "d:/b", NULL},
      {"./x:C:\\x", "./x", "C:\\x", NULL},
      {"C:\\only", NULL, "C:\\only", NULL},
      {"C:", NULL, "C:", NULL},
      {"/src:/dst:rw", "/src", "/dst", "rw"},
      {"\\\\.\\pipe\\p:\\\\.\\pipe\\p", "\\\\.\\pipe\\p", "\\\\.\\pipe\\p", NULL},
      {"ab:C:\\x", "ab", "C:\\x", NULL},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    cc_volume_spec v;
    char msg[200];
    if (!cc_split_volume(ok[i].spec, &v, msg, sizeof msg)) fail_msg("%s: %s", ok[i].spec, msg);
    if (ok[i].source == NULL) {
      assert_null(v.source);
    } else {
      assert_string_equal(v.source, ok[i].source);
    }
    assert_string_equal(v.target, ok[i].target);
    if (ok[i].mode == NULL) {
      assert_null(v.mode);
    } else {
      assert_string_equal(v.mode, ok[i].mode);
    }
    cc_volume_spec_free(&v);
  }
  cc_volume_spec v;
  char msg[200];
  /* "a:b" is a drive letter and a path, as compose reads it. */
  assert_true(cc_split_volume("a:b:c:d", &v, msg, sizeof msg));
  assert_string_equal(v.source, "a:b");
  assert_string_equal(v.target, "c:d");
  cc_volume_spec_free(&v);
  assert_false(cc_split_volume("ab:cd:ef:gh", &v, msg, sizeof msg));
  assert_string_equal(msg, "invalid volume spec \"ab:cd:ef:gh\": too many colons");
  assert_null(v.source);
  assert_false(cc_split_volume(":x", &v, msg, sizeof msg));
  assert_string_equal(msg, "invalid volume spec \":x\": empty section between colons");
  assert_false(cc_split_volume("ab:", &v, msg, sizeof msg));
  assert_string_equal(msg, "invalid volume spec \"ab:\": empty section between colons");
}

static void test_quote_and_paths_in_messages(void **state) {
  (void)state;
  char q[CC_QUOTE_SIZE];
  assert_string_equal(cc_quote(q, sizeof q, "plain"), "\"plain\"");
  assert_string_equal(cc_quote(q, sizeof q, "a\"b\\c\n\x1b"), "\"a\\\"b\\\\c\\x0a\\x1b\"");
  char long_text[100];
  memset(long_text, 'x', 99);
  long_text[99] = '\0';
  char expected[80];
  snprintf(expected, sizeof expected, "\"%.64s...\"", long_text);
  assert_string_equal(cc_quote(q, sizeof q, long_text), expected);

  cc_path p = {.len = 0};
  size_t m0 = cc_path_key(&p, "services");
  size_t m1 = cc_path_key(&p, "web");
  cc_path_index(&p, 3);
  assert_string_equal(p.text, "services.web[3]");
  cc_path_pop(&p, m1);
  assert_string_equal(p.text, "services");
  cc_path_pop(&p, m0);
  assert_string_equal(p.text, "");
  /* A path longer than the buffer is cut and marked; the marks still restore it. */
  char key[300];
  memset(key, 'k', sizeof key - 1);
  key[sizeof key - 1] = '\0';
  m0 = cc_path_key(&p, "services");
  m1 = cc_path_key(&p, key);
  size_t m2 = cc_path_key(&p, key);
  assert_true(p.len < sizeof p.text);
  assert_string_equal(p.text + p.len - 3, "...");
  cc_path_pop(&p, m2);
  cc_path_pop(&p, m1);
  assert_string_equal(p.text, "services");
  (void)m0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_interpolation),
      cmocka_unit_test(test_interpolation_warnings),
      cmocka_unit_test(test_interpolation_in_files),
      cmocka_unit_test(test_dotenv),
      cmocka_unit_test(test_dotenv_quotes),
      cmocka_unit_test(test_paths),
      cmocka_unit_test(test_project_name_normalization),
      cmocka_unit_test(test_durations),
      cmocka_unit_test(test_volume_split),
      cmocka_unit_test(test_quote_and_paths_in_messages),
  };
  return cmocka_run_group_tests_name("compose_text", tests, NULL, NULL);
}
