/* tests/spec/test_log_config.c - the json-file driver's options (spec/spec.h "log options"): Docker's checks
 * and messages, the limits that take effect, the attributes of each line, and the JSON form's round trip. */
#include "spec_test.h"

#include "common/units.h"

/* Create params with HostConfig.LogConfig.Config = config (a JSON object text) and labels/env. */
static wctr_err from_config(const char *config, spec_container *s, wctr_errmsg *e) {
  char text[2048];
  snprintf(text, sizeof text,
           "{\"Image\":\"img\",\"Cmd\":[\"x\"],\"Env\":[\"A=1\",\"B=two words\",\"A=3\"],"
           "\"Labels\":{\"app\":\"web\",\"tier\":\"a&b\"},"
           "\"HostConfig\":{\"Isolation\":\"process\",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":%s}}}",
           config);
  cJSON *p = cJSON_Parse(text);
  assert_non_null(p);
  memset(s, 0, sizeof *s);
  wctr_err err = spec_from_json(p, "params", 4, s, NULL, e);
  cJSON_Delete(p);
  return err;
}

static void refused(const char *config, const char *message) {
  spec_container s;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = from_config(config, &s, &e);
  if (err != WCTR_EINVAL || strstr(e.text, message) == NULL) {
    FAILF("%s: got %d \"%s\", wanted \"%s\"", config, (int)err, e.text, message);
  }
  if (strstr(e.text, "params.HostConfig.LogConfig") == NULL) FAILF("%s: \"%s\" does not say where", config, e.text);
}

/* Every refusal names the option, with Docker's sentence where Docker has one. */
static void test_refusals_name_the_option(void **state) {
  (void)state;
  refused("{\"max-sise\":\"1k\"}", "unknown log opt 'max-sise' for json-file log driver");
  refused("{\"max-size\":\"10x\"}", "invalid value \"10x\" for max-size: invalid suffix 'x'");
  refused("{\"max-size\":\"-1\"}", "invalid value \"-1\" for max-size: a size cannot be negative");
  refused("{\"max-size\":\"0\"}", "max-size must be a positive number");
  refused("{\"max-file\":\"0\"}", "max-file cannot be less than 1");
  refused("{\"max-file\":\"-2\"}", "max-file cannot be less than 1");
  refused("{\"max-file\":\"three\"}", "invalid value \"three\" for max-file: not a whole number");
  refused("{\"max-file\":\"101\",\"max-size\":\"1k\"}", "max-file 101: wctr keeps at most 100 log files");
  refused("{\"compress\":\"true\",\"max-size\":\"1k\"}",
          "compress cannot be true when max-file is less than 2 or max-size is not set");
  refused("{\"compress\":\"true\",\"max-file\":\"3\"}",
          "compress cannot be true when max-file is less than 2 or max-size is not set");
  refused("{\"compress\":\"maybe\"}", "invalid value \"maybe\" for compress");
  refused("{\"env-regex\":\"^A\"}", "env-regex: wctr does not match Go regular expressions");
  refused("{\"labels-regex\":\"^a\"}", "labels-regex: wctr does not match Go regular expressions");
  refused("{\"max-size\":1000}", "\"max-size\" must be a string");
  spec_container s;
  wctr_errmsg e;
  /* compress=true with max-file > 1 and max-size: accepted, and what the writer reads (spec_log_compress). */
  assert_int_equal(from_config("{\"compress\":\"T\",\"max-file\":\"3\",\"max-size\":\"1k\"}", &s, &e), WCTR_OK);
  assert_true(spec_log_compress(&s.log));
  spec_free(&s);
  assert_int_equal(from_config("{\"compress\":\"0\",\"max-file\":\"3\",\"max-size\":\"1k\"}", &s, &e), WCTR_OK);
  assert_false(spec_log_compress(&s.log));
  spec_free(&s);
  /* tag is kept as given: the service expands it and refuses a bad template (service/logs.h svc_log_tag). */
  assert_int_equal(from_config("{\"tag\":\"{{.Name}}/{{.ID}}\"}", &s, &e), WCTR_OK);
  assert_string_equal(spec_label_get(&s.log.opts, "tag"), "{{.Name}}/{{.ID}}");
  spec_free(&s);
  cJSON *p = cJSON_Parse("{\"Image\":\"img\",\"HostConfig\":{\"LogConfig\":{\"Type\":\"syslog\"}}}");
  assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "params.HostConfig.LogConfig.Type \"syslog\": wctr keeps a container's logs with the "
                                 "json-file driver only"));
  cJSON_Delete(p);
}

/* The limits: decimal units (FromHumanSize), max-file's defaults with and without max-size, wctr's default. */
static void test_limits(void **state) {
  (void)state;
  static const struct {
    const char *config;
    int64_t size;
    int files;
  } cases[] = {
      {"{}", 10LL * 1024 * 1024, 2},
      {"{\"max-size\":\"1k\",\"max-file\":\"3\"}", 1000, 3},
      {"{\"max-size\":\"10m\"}", 10000000, 1},
      {"{\"max-size\":\"1.5KiB\",\"max-file\":\"+2\"}", 1500, 2},
      {"{\"max-file\":\"5\"}", 10LL * 1024 * 1024, 5},
      {"{\"max-size\":\"2g\",\"compress\":\"false\"}", 2000000000, 1},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_container s;
    wctr_errmsg e;
    if (from_config(cases[i].config, &s, &e) != WCTR_OK) FAILF("%s: %s", cases[i].config, e.text);
    int64_t size = 0;
    int files = 0;
    spec_log_limits(&s.log, &size, &files);
    if (size != cases[i].size || files != cases[i].files) {
      FAILF("%s: %lld x %d, wanted %lld x %d", cases[i].config, (long long)size, files, (long long)cases[i].size,
            cases[i].files);
    }
    spec_free(&s);
  }
  int64_t bytes = 0;
  wctr_errmsg e;
  assert_int_equal(wctr_parse_human_size("1.5g", "max-size", &bytes, &e), WCTR_OK);
  assert_int_equal(bytes, 1500000000);
  assert_int_equal(wctr_parse_size("1.5g", "--memory", &bytes, &e), WCTR_OK); /* binary, unchanged */
  assert_int_equal(bytes, 1610612736);
}

/* labels= and env= names become attributes: only those present, sorted, the last of an env name given twice. */
static void test_attrs(void **state) {
  (void)state;
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(from_config("{\"labels\":\"tier,missing,app\",\"env\":\"B,A,NOPE\"}", &s, &e), WCTR_OK);
  spec_labels a = {0};
  assert_int_equal(spec_log_attrs(&s, &a, &e), WCTR_OK);
  assert_int_equal(a.count, 4);
  assert_string_equal(a.keys[0], "A");
  assert_string_equal(a.values[0], "3");
  assert_string_equal(a.keys[1], "B");
  assert_string_equal(a.values[1], "two words");
  assert_string_equal(a.keys[2], "app");
  assert_string_equal(a.values[2], "web");
  assert_string_equal(a.keys[3], "tier");
  assert_string_equal(a.values[3], "a&b");
  spec_labels_free(&a);
  spec_free(&s);
  assert_int_equal(from_config("{}", &s, &e), WCTR_OK);
  assert_int_equal(spec_log_attrs(&s, &a, &e), WCTR_OK);
  assert_int_equal(a.count, 0);
  spec_free(&s);
}

/* The JSON form: LogConfig {Type, Config} only with options, read back to the same options; a copy keeps them. */
static void test_round_trip(void **state) {
  (void)state;
  spec_container s, back, copy;
  wctr_errmsg e;
  assert_int_equal(from_config("{\"max-size\":\"1k\",\"max-file\":\"3\",\"labels\":\"app\"}", &s, &e), WCTR_OK);
  cJSON *config = cJSON_CreateObject();
  cJSON *hc = cJSON_CreateObject();
  assert_true(spec_to_json(&s, config, hc, true));
  cJSON *lc = cJSON_GetObjectItem(hc, "LogConfig");
  assert_non_null(lc);
  assert_string_equal(cJSON_GetObjectItem(lc, "Type")->valuestring, "json-file");
  char *cfg = cJSON_PrintUnformatted(cJSON_GetObjectItem(lc, "Config"));
  assert_string_equal(cfg, "{\"labels\":\"app\",\"max-file\":\"3\",\"max-size\":\"1k\"}");
  free(cfg);
  cJSON_AddItemToObject(config, "HostConfig", hc);
  assert_int_equal(spec_from_json(config, "record", 4, &back, NULL, &e), WCTR_OK);
  assert_int_equal(back.log.opts.count, 3);
  assert_string_equal(back.log.opts.values[2], "1k");
  assert_int_equal(spec_copy(&back, &copy, &e), WCTR_OK);
  assert_int_equal(copy.log.opts.count, 3);
  assert_string_equal(copy.log.opts.keys[0], "labels");
  spec_free(&copy);
  spec_free(&back);
  spec_free(&s);
  cJSON_Delete(config);
  /* No options: no LogConfig (old records and the default look the same). */
  assert_int_equal(from_config("{}", &s, &e), WCTR_OK);
  config = cJSON_CreateObject();
  hc = cJSON_CreateObject();
  assert_true(spec_to_json(&s, config, hc, true));
  assert_null(cJSON_GetObjectItem(hc, "LogConfig"));
  cJSON_Delete(config);
  cJSON_Delete(hc);
  spec_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_refusals_name_the_option),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_attrs),
      cmocka_unit_test(test_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
