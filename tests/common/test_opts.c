/* Option parsing shared by wctr and wctrd. */
#include <stdio.h>
#include <string.h>

#include "common/opts.h"
#include "testutil.h"

enum { O_HELP, O_MEM, O_DETACH, O_INTERACTIVE, O_NAME };

static const wctr_opt table[] = {
    {"help", 'h', false, O_HELP},         {"memory", 'm', true, O_MEM}, {"detach", 'd', false, O_DETACH},
    {"interactive", 'i', false, O_INTERACTIVE}, {"name", 0, true, O_NAME}, {NULL, 0, false, 0},
};

/* Runs the parser over argv and records "id=value" for each option into out. Returns the last r. */
static int collect(int argc, char **argv, char *out, size_t size, int *index, wctr_errmsg *e) {
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  int id;
  const char *value;
  int r;
  out[0] = '\0';
  while ((r = wctr_opts_next(&st, table, &id, &value, e)) == 1) {
    size_t n = strlen(out);
    snprintf(out + n, size - n, "%d=%s;", id, value != NULL ? value : "");
  }
  *index = st.index;
  return r;
}

static void test_long_short_inline_and_bundles(void **state) {
  (void)state;
  char *argv[] = {"run", "--memory", "500m", "--name=web", "-di", "-m1g", "-m", "2g", "image", "cmd", "--memory", "x"};
  char got[256];
  int index;
  wctr_errmsg e;
  assert_int_equal(collect(12, argv, got, sizeof got, &index, &e), 0);
  assert_string_equal(got, "1=500m;4=web;2=true;3=true;1=1g;1=2g;");
  assert_int_equal(index, 8); /* stops at the image: the container's own arguments are not parsed */
}

static void test_double_dash_ends_options(void **state) {
  (void)state;
  char *argv[] = {"x", "-d", "--", "--memory", "1"};
  char got[64];
  int index;
  wctr_errmsg e;
  assert_int_equal(collect(5, argv, got, sizeof got, &index, &e), 0);
  assert_string_equal(got, "2=true;");
  assert_int_equal(index, 3);
}

static void test_single_dash_is_positional(void **state) {
  (void)state;
  char *argv[] = {"x", "-", "-d"};
  char got[64];
  int index;
  wctr_errmsg e;
  assert_int_equal(collect(3, argv, got, sizeof got, &index, &e), 0);
  assert_int_equal(index, 1);
}

static void test_errors_name_the_flag(void **state) {
  (void)state;
  char got[64];
  int index;
  wctr_errmsg e;
  char *unknown[] = {"x", "--memroy", "1"};
  assert_int_equal(collect(3, unknown, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "unknown flag: --memroy");
  char *unknown_short[] = {"x", "-dz"};
  assert_int_equal(collect(2, unknown_short, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "unknown shorthand flag: 'z' in -z");
  char *missing[] = {"x", "--memory"};
  assert_int_equal(collect(2, missing, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "flag needs an argument: --memory");
  char *missing_short[] = {"x", "-m"};
  assert_int_equal(collect(2, missing_short, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "flag needs an argument: -m");
  char *bool_value[] = {"x", "--detach=yes"};
  assert_int_equal(collect(2, bool_value, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "invalid argument \"yes\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"yes\": "
                              "invalid syntax");
  char *bool_short[] = {"x", "-d=no"};
  assert_int_equal(collect(2, bool_short, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "invalid argument \"no\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"no\": "
                              "invalid syntax");
  char *bool_empty[] = {"x", "--detach="};
  assert_int_equal(collect(2, bool_empty, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "invalid argument \"\" for \"-d, --detach\" flag: strconv.ParseBool: parsing \"\": "
                              "invalid syntax");
  char *bool_quoted[] = {"x", "--help=a\"b"};
  assert_int_equal(collect(2, bool_quoted, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "invalid argument \"a\\\"b\" for \"-h, --help\" flag: strconv.ParseBool: parsing "
                              "\"a\\\"b\": invalid syntax");
  char *unknown_first[] = {"x", "-zd"};
  assert_int_equal(collect(2, unknown_first, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "unknown shorthand flag: 'z' in -zd");
  char *prefix_only[] = {"x", "--mem", "1"};
  assert_int_equal(collect(3, prefix_only, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "unknown flag: --mem");
}

static void test_empty_inline_value_is_a_value(void **state) {
  (void)state;
  char *argv[] = {"x", "--name=", "img"};
  char got[64];
  int index;
  wctr_errmsg e;
  assert_int_equal(collect(3, argv, got, sizeof got, &index, &e), 0);
  assert_string_equal(got, "4=;");
  assert_int_equal(index, 2);
}

/* pflag's bool flags: alone true, `=V` read as strconv.ParseBool reads V, and the next word never a value. */
static void test_boolean_flags_take_an_optional_value(void **state) {
  (void)state;
  char got[256];
  int index;
  wctr_errmsg e;
  char *spellings[] = {"x", "--detach=1", "--detach=t", "--detach=T", "--detach=TRUE", "--detach=true",
                       "--detach=True", "--detach=0", "--detach=f", "--detach=F", "--detach=FALSE",
                       "--detach=false", "--detach=False", "img"};
  assert_int_equal(collect(14, spellings, got, sizeof got, &index, &e), 0);
  assert_string_equal(got, "2=true;2=true;2=true;2=true;2=true;2=true;2=false;2=false;2=false;2=false;2=false;2=false;");
  assert_int_equal(index, 13);
  char *spaced[] = {"x", "--detach", "false", "-i"};
  assert_int_equal(collect(4, spaced, got, sizeof got, &index, &e), 0);
  assert_string_equal(got, "2=true;");
  assert_int_equal(index, 2); /* "false" is the first operand */
  char *shorts[] = {"x", "-d=false", "-id=0", "-i", "-m=500m", "-m=", "img"};
  assert_int_equal(collect(7, shorts, got, sizeof got, &index, &e), 0);
  /* -id=0: i alone, then d with its value; -m=: one character after '=' is needed, so "=" is the value. */
  assert_string_equal(got, "2=false;3=true;2=false;3=true;1=500m;1==;");
  assert_int_equal(index, 6);
  char *short_eq_alone[] = {"x", "-d="};
  assert_int_equal(collect(2, short_eq_alone, got, sizeof got, &index, &e), -1);
  assert_string_equal(e.text, "unknown shorthand flag: '=' in -=");
  assert_false(wctr_opts_flag(NULL));
  assert_false(wctr_opts_flag("false"));
  assert_true(wctr_opts_flag("true"));
  bool b = true;
  assert_int_equal(wctr_parse_go_bool("yes", &b), WCTR_EINVAL);
  assert_true(b);
  assert_int_equal(wctr_parse_go_bool("F", &b), WCTR_OK);
  assert_false(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_long_short_inline_and_bundles), cmocka_unit_test(test_double_dash_ends_options),
      cmocka_unit_test(test_single_dash_is_positional),     cmocka_unit_test(test_errors_name_the_flag),
      cmocka_unit_test(test_empty_inline_value_is_a_value), cmocka_unit_test(test_boolean_flags_take_an_optional_value),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
