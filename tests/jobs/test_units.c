/* tests/jobs/test_units.c - common/units.h: sizes, CPU amounts and the size formatter.
 *
 * Every expected number is written out (not computed with the code under test), and every refusal is
 * checked with its full message, because the messages are part of the contract users and scripts see. */
#include <stdio.h>
#include <string.h>

#include "jobs_test.h"

#include "common/units.h"

struct size_ok {
  const char *text;
  int64_t want;
};

struct text_err {
  const char *text;
  const char *message;
};

static void test_size_accepts(void **state) {
  (void)state;
  static const struct size_ok cases[] = {
      {"0", 0},
      {"1", 1},
      {"1024", 1024},
      {"00012k", 12288},
      {"1b", 1},
      {"1B", 1},
      {"5 ", 5}, /* both of Docker's parsers take a lone trailing space */
      {"5 b", 5},
      {"1k", 1024},
      {"1m", 1048576},
      {"1g", 1073741824},
      {"1t", 1099511627776},
      {"1p", 1125899906842624},
      {"500m", 524288000},
      {"500M", 524288000},
      {"500mb", 524288000},
      {"500MB", 524288000},
      {"500mB", 524288000},
      {"500mib", 524288000},
      {"500MiB", 524288000},
      {"500MIB", 524288000},
      {"500 MiB", 524288000},
      {"500 m", 524288000},
      {"2kib", 2048},
      {"2KiB", 2048},
      {"3gb", 3221225472},
      {"1.5g", 1610612736},
      {"1.5GiB", 1610612736},
      {"0.5k", 512},
      {"0.25m", 262144},
      {"0.1k", 102},     /* 102.4 truncated, as Docker's int64(float) */
      {"0.3m", 314572},  /* 314572.8 */
      {"1.9", 1},        /* no unit: fractions of a byte are dropped */
      {"0.0000001p", 112589990}, /* 112589990.6842624 */
      {"0.999999999999999999999999k", 1023}, /* exact floor; Docker's float64 rounds to 1024 */
      {"9007199254740993", 9007199254740993}, /* 2^53 + 1: exact here, one less in Docker */
      {"9223372036854775807", INT64_MAX},
      {"9223372036854775807b", INT64_MAX},
      {"9007199254740991k", INT64_MAX - 1023}, /* (2^53 - 1) * 2^10 */
      {"8191.999999999999999p", INT64_MAX - 1},   /* 15 nines: 2^50 * 1e-15 = 1.13 short of 2^50 */
      {"8191.9999999999999999p", INT64_MAX},      /* 16 nines: 0.11 short, so 8191 * 2^50 + 2^50 - 1 */
      {"8191.9999999999999999999999999999p", INT64_MAX},
      {"7.9999999999999999999t", 8796093022207}, /* 7 * 2^40 + 2^40 - 1 */
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    wctr_errmsg e;
    wctr_errmsg_clear(&e);
    int64_t got = UNTOUCHED;
    wctr_err err = wctr_parse_size(cases[i].text, "--memory", &got, &e);
    if (err != WCTR_OK) FAILF("\"%s\": refused: %s", cases[i].text, e.text);
    if (got != cases[i].want) {
      FAILF("\"%s\": got %lld, want %lld", cases[i].text, (long long)got, (long long)cases[i].want);
    }
  }
}

/* Every unit letter in both cases with each allowed ending. */
static void test_size_every_unit_and_case(void **state) {
  (void)state;
  static const char letters[] = "kmgtp";
  static const char *const endings[] = {"", "b", "B", "ib", "iB", "Ib", "IB"};
  for (size_t l = 0; l < sizeof letters - 1; l++) {
    int64_t want = (int64_t)1 << (10 * (l + 1));
    for (int upper = 0; upper < 2; upper++) {
      for (size_t k = 0; k < COUNT_OF(endings); k++) {
        char text[16];
        char letter = upper ? (char)(letters[l] - 'a' + 'A') : letters[l];
        snprintf(text, sizeof text, "1%c%s", letter, endings[k]);
        int64_t got = UNTOUCHED;
        wctr_errmsg e;
        if (wctr_parse_size(text, "--memory", &got, &e) != WCTR_OK) FAILF("\"%s\": %s", text, e.text);
        if (got != want) FAILF("\"%s\": got %lld, want %lld", text, (long long)got, (long long)want);
      }
    }
  }
}

static void test_size_refuses(void **state) {
  (void)state;
  static const struct text_err cases[] = {
      {"", "invalid value \"\" for --memory: invalid size"},
      {"abc", "invalid value \"abc\" for --memory: invalid size"},
      {"m", "invalid value \"m\" for --memory: invalid size"},
      {" 5", "invalid value \" 5\" for --memory: invalid size"},
      {"+5", "invalid value \"+5\" for --memory: invalid size"},
      {".5", "invalid value \".5\" for --memory: invalid size"},
      {"5.", "invalid value \"5.\" for --memory: invalid size"},
      {"5.m", "invalid value \"5.m\" for --memory: invalid size"},
      {"1.2.3", "invalid value \"1.2.3\" for --memory: invalid size"},
      {"-5", "invalid value \"-5\" for --memory: a size cannot be negative"},
      {"-5m", "invalid value \"-5m\" for --memory: a size cannot be negative"},
      {"-0", "invalid value \"-0\" for --memory: a size cannot be negative"},
      {"-m", "invalid value \"-m\" for --memory: invalid size"},
      {"5x", "invalid value \"5x\" for --memory: invalid suffix 'x'"},
      {"5kk", "invalid value \"5kk\" for --memory: invalid suffix 'kk'"},
      {"5i", "invalid value \"5i\" for --memory: invalid suffix 'i'"},     /* regex-only form */
      {"5ki", "invalid value \"5ki\" for --memory: invalid suffix 'ki'"},  /* regex-only form */
      {"5ib", "invalid value \"5ib\" for --memory: invalid suffix 'ib'"},  /* regex-only form */
      {"5bb", "invalid value \"5bb\" for --memory: invalid suffix 'bb'"},
      {"5kbb", "invalid value \"5kbb\" for --memory: invalid suffix 'kbb'"},
      {"5kib ", "invalid value \"5kib \" for --memory: invalid suffix 'kib '"},
      {"5kibb", "invalid value \"5kibb\" for --memory: invalid suffix 'kibb'"},
      {"5kab", "invalid value \"5kab\" for --memory: invalid suffix 'kab'"},
      {"5e", "invalid value \"5e\" for --memory: invalid suffix 'e'"}, /* no exabytes in Docker */
      {"1e3", "invalid value \"1e3\" for --memory: invalid suffix 'e3'"},
      {"0x10", "invalid value \"0x10\" for --memory: invalid suffix 'x10'"},
      {"5  m", "invalid value \"5  m\" for --memory: invalid suffix ' m'"},
      {"5m ", "invalid value \"5m \" for --memory: invalid suffix 'm '"},
      {"5\tm", "invalid value \"5\\x09m\" for --memory: invalid suffix '\\x09m'"},
      {"5\"m", "invalid value \"5\\\"m\" for --memory: invalid suffix '\\\"m'"},
      {"5\\", "invalid value \"5\\\\\" for --memory: invalid suffix '\\\\'"},
      {"5\xc3\xa9", "invalid value \"5\\xc3\\xa9\" for --memory: invalid suffix '\\xc3\\xa9'"},
      {"9223372036854775808",
       "invalid value \"9223372036854775808\" for --memory: too large (the largest size is "
       "9223372036854775807 bytes)"},
      {"99999999999999999999",
       "invalid value \"99999999999999999999\" for --memory: too large (the largest size is "
       "9223372036854775807 bytes)"},
      {"8192p", "invalid value \"8192p\" for --memory: too large (the largest size is 9223372036854775807 bytes)"},
      {"9007199254740992k",
       "invalid value \"9007199254740992k\" for --memory: too large (the largest size is "
       "9223372036854775807 bytes)"},
      {"9223372036854775807.5k",
       "invalid value \"9223372036854775807.5k\" for --memory: too large (the largest size is "
       "9223372036854775807 bytes)"},
      /* The suffix is judged before the size, so a bad suffix on a huge number says so. */
      {"99999999999999999999x", "invalid value \"99999999999999999999x\" for --memory: invalid suffix 'x'"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    wctr_errmsg e;
    wctr_errmsg_clear(&e);
    int64_t got = UNTOUCHED;
    wctr_err err = wctr_parse_size(cases[i].text, "--memory", &got, &e);
    if (err != WCTR_EINVAL) FAILF("case %zu \"%s\": returned %s", i, cases[i].text, wctr_err_name(err));
    if (e.code != WCTR_EINVAL) FAILF("case %zu: e.code is %s", i, wctr_err_name(e.code));
    if (strcmp(e.text, cases[i].message) != 0) {
      FAILF("case %zu:\n got: %s\nwant: %s", i, e.text, cases[i].message);
    }
    if (got != UNTOUCHED) FAILF("case %zu: output written on failure", i);
  }
}

static void test_size_flag_names_and_arguments(void **state) {
  (void)state;
  wctr_errmsg e;
  int64_t got = UNTOUCHED;
  assert_int_equal(wctr_parse_size("5x", "--io-maxbandwidth", &got, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "invalid value \"5x\" for --io-maxbandwidth: invalid suffix 'x'");
  assert_int_equal(wctr_parse_size("5x", NULL, &got, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "invalid value \"5x\" for size: invalid suffix 'x'");
  assert_int_equal(wctr_parse_size(NULL, "--memory", &got, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "no value given for --memory");
  assert_int_equal(wctr_parse_size("5", "--memory", NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--memory: bytes (the result) is NULL");
  /* A NULL errmsg is allowed: the code alone comes back. */
  assert_int_equal(wctr_parse_size("5x", "--memory", &got, NULL), WCTR_EINVAL);
  assert_int_equal(wctr_parse_size("5k", "--memory", &got, NULL), WCTR_OK);
  assert_true(got == 5120);
}

/* Long text is cut in the message, so the reason always fits; a long valid fraction still parses. */
static void test_size_long_input(void **state) {
  (void)state;
  char text[4096];
  memset(text, '1', sizeof text - 2);
  text[sizeof text - 2] = 'x';
  text[sizeof text - 1] = '\0';
  wctr_errmsg e;
  int64_t got = UNTOUCHED;
  assert_int_equal(wctr_parse_size(text, "--memory", &got, &e), WCTR_EINVAL);
  assert_string_equal(e.text,
                      "invalid value \"111111111111111111111111111111111111111111111111...\" for --memory: "
                      "invalid suffix 'x'");

  /* "0." followed by 4000 nines, then "k": floor(1024 * 0.999...) = 1023. */
  memset(text, '9', sizeof text);
  text[0] = '0';
  text[1] = '.';
  text[4000] = 'k';
  text[4001] = '\0';
  assert_int_equal(wctr_parse_size(text, "--memory", &got, &e), WCTR_OK);
  assert_true(got == 1023);
}

struct cpus_ok {
  const char *text;
  int64_t want;
};

static void test_cpus_accepts(void **state) {
  (void)state;
  static const struct cpus_ok cases[] = {
      {"0", 0},
      {"0.0", 0},
      {"1", 1000000000},
      {"1.5", 1500000000},
      {"0.01", 10000000},
      {"0.001", 1000000},
      {"0.000000001", 1},
      {"1.000000000", 1000000000},
      {"1.50000000000", 1500000000}, /* zeros past the ninth decimal: still a whole number of nanoCPUs */
      {"2.000000000000000000000", 2000000000},
      {".5", 500000000},
      {"2.", 2000000000},
      {"007", 7000000000},
      {"64", 64000000000},
      {"123.456789012", 123456789012},
      {"9223372036", 9223372036000000000},
      {"9223372036.854775807", INT64_MAX},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    wctr_errmsg e;
    wctr_errmsg_clear(&e);
    int64_t got = UNTOUCHED;
    if (wctr_parse_cpus(cases[i].text, &got, &e) != WCTR_OK) FAILF("\"%s\": %s", cases[i].text, e.text);
    if (got != cases[i].want) {
      FAILF("\"%s\": got %lld, want %lld", cases[i].text, (long long)got, (long long)cases[i].want);
    }
  }
}

static void test_cpus_refuses(void **state) {
  (void)state;
  static const struct text_err cases[] = {
      {"", "invalid value \"\" for --cpus: not a decimal number"},
      {".", "invalid value \".\" for --cpus: not a decimal number"},
      {"abc", "invalid value \"abc\" for --cpus: not a decimal number"},
      {"1.5.5", "invalid value \"1.5.5\" for --cpus: not a decimal number"},
      {"1,5", "invalid value \"1,5\" for --cpus: not a decimal number"},
      {" 1", "invalid value \" 1\" for --cpus: not a decimal number"},
      {"1 ", "invalid value \"1 \" for --cpus: not a decimal number"},
      {"+1", "invalid value \"+1\" for --cpus: not a decimal number"},
      {"1e3", "invalid value \"1e3\" for --cpus: not a decimal number"},
      {"3/2", "invalid value \"3/2\" for --cpus: not a decimal number"},
      {"0x1", "invalid value \"0x1\" for --cpus: not a decimal number"},
      {"-", "invalid value \"-\" for --cpus: not a decimal number"},
      {"1\n", "invalid value \"1\\x0a\" for --cpus: not a decimal number"},
      {"-1", "invalid value \"-1\" for --cpus: the number of CPUs cannot be negative"},
      {"-0.5", "invalid value \"-0.5\" for --cpus: the number of CPUs cannot be negative"},
      {"-.5", "invalid value \"-.5\" for --cpus: the number of CPUs cannot be negative"},
      {"0.0000000001", "invalid value \"0.0000000001\" for --cpus: value is too precise"},
      {"1.0000000001", "invalid value \"1.0000000001\" for --cpus: value is too precise"},
      {"1.0000000000000000001", "invalid value \"1.0000000000000000001\" for --cpus: value is too precise"},
      {"9223372036.854775808", "invalid value \"9223372036.854775808\" for --cpus: too large"},
      {"9223372037", "invalid value \"9223372037\" for --cpus: too large"},
      {"99999999999999999999999", "invalid value \"99999999999999999999999\" for --cpus: too large"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    wctr_errmsg e;
    wctr_errmsg_clear(&e);
    int64_t got = UNTOUCHED;
    wctr_err err = wctr_parse_cpus(cases[i].text, &got, &e);
    if (err != WCTR_EINVAL) FAILF("case %zu \"%s\": returned %s", i, cases[i].text, wctr_err_name(err));
    if (strcmp(e.text, cases[i].message) != 0) {
      FAILF("case %zu:\n got: %s\nwant: %s", i, e.text, cases[i].message);
    }
    if (got != UNTOUCHED) FAILF("case %zu: output written on failure", i);
  }
  wctr_errmsg e;
  int64_t got = UNTOUCHED;
  assert_int_equal(wctr_parse_cpus(NULL, &got, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "no value given for --cpus");
  assert_int_equal(wctr_parse_cpus("1", NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "--cpus: nano_cpus (the result) is NULL");
  assert_int_equal(wctr_parse_cpus("x", &got, NULL), WCTR_EINVAL);
}

struct format_case {
  int64_t bytes;
  const char *want;
};

static void test_format_size(void **state) {
  (void)state;
  static const struct format_case cases[] = {
      {0, "0B"},
      {1, "1B"},
      {1023, "1023B"},
      {1024, "1KiB"},
      {1025, "1KiB"},       /* 1.0009 */
      {1034, "1KiB"},       /* 1.0097: the second decimal is 0 */
      {1035, "1.01KiB"},    /* 1.0107 */
      {1536, "1.5KiB"},
      {2047, "1.99KiB"},    /* 1.9990: truncated, never rounded up to 2 */
      {524288000, "500MiB"},
      {41943039, "39.99MiB"},
      {1073741823, "1023.99MiB"},
      {1073741824, "1GiB"},
      {1127428915, "1.04GiB"},  /* floor(1.05 GiB): 1.04999... */
      {1127428916, "1.05GiB"},
      {1342177280, "1.25GiB"},
      {1610612736, "1.5GiB"},
      {1099511627776, "1TiB"},
      {1125899906842624, "1PiB"},
      {1152921504606846975, "1023.99PiB"},
      {1152921504606846976, "1EiB"},
      {INT64_MAX, "7.99EiB"},
      {-1, "-1B"},
      {-1536, "-1.5KiB"},
      {-1152921504606846975, "-1023.99PiB"},
      {INT64_MIN, "-8EiB"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    char buf[WCTR_FORMAT_SIZE_MAX];
    memset(buf, 'Z', sizeof buf);
    size_t len = wctr_format_size(cases[i].bytes, buf, sizeof buf);
    if (strcmp(buf, cases[i].want) != 0) {
      FAILF("%lld: got \"%s\", want \"%s\"", (long long)cases[i].bytes, buf, cases[i].want);
    }
    if (len != strlen(cases[i].want)) FAILF("%lld: returned length %zu", (long long)cases[i].bytes, len);
  }
}

static void test_format_size_small_buffers(void **state) {
  (void)state;
  char buf[8];
  memset(buf, 'Z', sizeof buf);
  assert_int_equal(wctr_format_size(524288000, buf, 4), 6);
  assert_string_equal(buf, "500");
  assert_int_equal(buf[4], 'Z'); /* nothing past n */
  assert_int_equal(wctr_format_size(524288000, buf, 1), 6);
  assert_string_equal(buf, "");
  memset(buf, 'Z', sizeof buf);
  assert_int_equal(wctr_format_size(524288000, buf, 0), 6);
  assert_int_equal(buf[0], 'Z');
  assert_int_equal(wctr_format_size(524288000, NULL, 0), 6);
}

/* What the formatter prints, the size parser reads back: never above the original (truncation) and
 * less than a hundredth of the unit (plus the byte the parser's own floor may drop) below it. Values
 * stay below 1 EiB because Docker's grammar, and so the parser, has no "e" unit. */
static void test_format_parses_back(void **state) {
  (void)state;
  static const int64_t values[] = {0,          1,          1023,       1024,       1035,
                                   2047,       41943039,   524288000,  1127428915, 1610612736,
                                   1152921504606846975};
  for (size_t i = 0; i < COUNT_OF(values); i++) {
    char buf[WCTR_FORMAT_SIZE_MAX];
    wctr_format_size(values[i], buf, sizeof buf);
    int64_t back = 0;
    wctr_errmsg e;
    if (wctr_parse_size(buf, "--memory", &back, &e) != WCTR_OK) FAILF("\"%s\" does not parse: %s", buf, e.text);
    int64_t unit = 1;
    while (unit <= values[i] / 1024) unit *= 1024;
    if (back > values[i] || values[i] - back > unit / 100 + 1) {
      FAILF("%lld -> \"%s\" -> %lld", (long long)values[i], buf, (long long)back);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_size_accepts),
      cmocka_unit_test(test_size_every_unit_and_case),
      cmocka_unit_test(test_size_refuses),
      cmocka_unit_test(test_size_flag_names_and_arguments),
      cmocka_unit_test(test_size_long_input),
      cmocka_unit_test(test_cpus_accepts),
      cmocka_unit_test(test_cpus_refuses),
      cmocka_unit_test(test_format_size),
      cmocka_unit_test(test_format_size_small_buffers),
      cmocka_unit_test(test_format_parses_back),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
