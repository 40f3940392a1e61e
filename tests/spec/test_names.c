/* tests/spec/test_names.c - spec/names.h: one rule per kind of name and path. Each case
 * that was walked around before is here: COM with a superscript digit and "nul .txt" as secret targets, a
 * credential spec named *.tmp, "C:\x\.." and "C:\." as the drive's root, the secrets mount point spelled
 * another way, and a relative working directory. */
#include "spec_test.h"

#include "spec/names.h"

static void test_device_names(void **state) {
  (void)state;
  const char *devices[] = {"CON", "con", "Nul", "nul.txt", "NUL.tar.gz", "nul .txt", "nul  ", "aux.json", "PRN",
                           "COM0", "com9.log", "LPT5", "COM\xc2\xb9", "com\xc2\xb2.x", "LPT\xc2\xb3", "lpt\xc2\xb9  .y",
                           "CONIN$", "conout$.txt"};
  const char *names[] = {"nullx", "con-1", "COM10", "LPT", "COM", "console", "nul_", ".nul", "xnul", "auxx.txt",
                         "COM\xc2\xb4", "LPT\xc2\xb0", " nul", "CONIN"};
  for (size_t i = 0; i < COUNT_OF(devices); i++) {
    if (!spec_is_device_name(devices[i], strlen(devices[i]))) FAILF("%s is not seen as a device", devices[i]);
  }
  for (size_t i = 0; i < COUNT_OF(names); i++) {
    if (spec_is_device_name(names[i], strlen(names[i]))) FAILF("%s is taken for a device", names[i]);
  }
  /* The length given is what counts, not the NUL. */
  assert_true(spec_is_device_name("nulx", 3));
}

static void test_file_names(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_int_equal(spec_file_name_check("pw.txt", 128, "target", "w", &e), WCTR_OK);
  assert_int_equal(spec_file_name_check("caf\xc3\xa9 2", 128, "target", "w", &e), WCTR_OK);
  assert_int_equal(spec_file_name_check("nul .txt", 128, "target", "params.Secrets[0]", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "params.Secrets[0]: target \"nul .txt\" is a Windows device name");
  assert_int_equal(spec_file_name_check("COM\xc2\xb9", 128, "target", "w", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "w: target \"COM\xc2\xb9\" is a Windows device name");
  assert_int_equal(spec_file_name_check("a\xff", 128, "target", "w", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "w: target is not valid UTF-8");
  assert_int_equal(spec_file_name_check("x.", 128, "target", "w", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "cannot be . or .. or end with a dot or a space"));
  assert_int_equal(spec_file_name_check("a\tb", 128, "target", "w", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "w: target \"a\\x09b\" must be a file name (no \\ / : * ? \" < > | or control characters)");
  assert_int_equal(spec_file_name_check("", 128, "target", "w", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "w: a target cannot be empty");
  char longer[140];
  memset(longer, 'a', 129);
  longer[129] = '\0';
  assert_int_equal(spec_file_name_check(longer, 128, "target", "w", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "is longer than 128 bytes"));
  /* A secret target goes through the same rule. */
  assert_int_equal(spec_secret_check_target("lpt\xc2\xb3.log", "params.Secrets[1]", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "params.Secrets[1]: target \"lpt\xc2\xb3.log\" is a Windows device name");
  assert_int_equal(spec_secret_check_target("nul .txt", "s", &e), WCTR_EINVAL);
}

/* A credential spec saved as leak.tmp was accepted, then hidden from `credentialspec ls` and from
 * `wctr check`: the store keeps NAME.tmp for its unfinished writes. */
static void test_credspec_names(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_int_equal(spec_credspec_name_check("web.json", "params.Name", &e), WCTR_OK);
  assert_int_equal(spec_credspec_name_check("tmp", "params.Name", &e), WCTR_OK);
  assert_int_equal(spec_credspec_name_check("x.tmp.json", "params.Name", &e), WCTR_OK);
  const char *bad[] = {"leak.tmp", "LEAK.TMP", "a.Tmp", ".tmp", "nul.json", "web.json.", "a:b", "a/b", ""};
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    if (spec_credspec_name_check(bad[i], "params.Name", &e) != WCTR_EINVAL) FAILF("%s accepted", bad[i]);
    assert_non_null(strstr(e.text, "params.Name"));
  }
  spec_credspec_name_check("leak.tmp", "params.Name", &e);
  assert_string_equal(e.text, "params.Name: credential spec name \"leak.tmp\" ends in .tmp, which the store keeps "
                              "for its unfinished writes (and hides from its listing); choose another name");
}

struct norm_case {
  const char *path;
  const char *normal;
  bool root;
};

static void test_normal_form(void **state) {
  (void)state;
  static const struct norm_case ok[] = {
      {"C:\\app", "C:\\app", false},
      {"c:/a/./b/../c/", "c:\\a\\c", false},
      {"C:\\x\\..", "C:\\", true},
      {"C:\\.", "C:\\", true},
      {"C:\\", "C:\\", true},
      {"C:/", "C:\\", true},
      {"C:\\\\a\\\\\\b", "C:\\a\\b", false},
      {"C:\\ProgramData\\wctr\\.\\secrets", "C:\\ProgramData\\wctr\\secrets", false},
      {"\\\\srv\\share", "\\\\srv\\share", true},
      {"\\\\srv\\share\\", "\\\\srv\\share", true},
      {"//srv/share/a/../b", "\\\\srv\\share\\b", false},
      {"C:\\Program Files\\x y", "C:\\Program Files\\x y", false},
      {"C:\\caf\xc3\xa9", "C:\\caf\xc3\xa9", false},
  };
  for (size_t i = 0; i < COUNT_OF(ok); i++) {
    char *out = NULL;
    bool root = !ok[i].root;
    wctr_errmsg e;
    if (spec_path_normalize(ok[i].path, "the path", &out, &root, &e) != WCTR_OK) FAILF("%s: %s", ok[i].path, e.text);
    if (strcmp(out, ok[i].normal) != 0 || root != ok[i].root) FAILF("%s -> %s (root %d)", ok[i].path, out, root);
    /* The normal form is its own normal form. */
    char *again = NULL;
    assert_int_equal(spec_path_normalize(out, "the path", &again, NULL, &e), WCTR_OK);
    assert_string_equal(again, out);
    free(again);
    free(out);
  }
  static const struct {
    const char *path;
    const char *message;
  } bad[] = {
      {"app", "the path must be absolute (C:\\dir or \\\\server\\share)"},
      {"C:app", "must be absolute"},
      {"\\app", "must be absolute"},
      {"\\\\?\\C:\\x", "must be absolute"},
      {"\\\\.\\PhysicalDrive0", "must be absolute"},
      {"\\\\srv", "must be absolute"},
      {"C:\\..", "the path goes above its root with \"..\""},
      {"C:\\a\\..\\..\\b", "goes above its root"},
      {"\\\\srv\\share\\..", "goes above its root"},
      {"C:\\data.", "has a component \"data.\" ending in a dot or a space, which Windows drops"},
      {"C:\\data \\x", "ending in a dot or a space"},
      {"C:\\a\\nul\\b", "has a component \"nul\" that is a Windows device name"},
      {"C:\\a\\COM\xc2\xb9.txt", "that is a Windows device name"},
      {"C:\\a:b", "with a character Windows does not allow"},
      {"C:\\a*", "with a character Windows does not allow"},
      {"C:\\a\x01", "with a character Windows does not allow"},
      {"C:\\a\xff", "is not valid UTF-8"},
      {"", "is empty"},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    char *out = (char *)"untouched";
    wctr_errmsg e;
    if (spec_path_normalize(bad[i].path, "the path", &out, NULL, &e) != WCTR_EINVAL) FAILF("%s accepted", bad[i].path);
    assert_null(out);
    if (strstr(e.text, bad[i].message) == NULL) FAILF("%s: \"%s\" lacks \"%s\"", bad[i].path, e.text, bad[i].message);
  }
}

static void test_within(void **state) {
  (void)state;
  assert_true(spec_path_within("C:\\ProgramData\\wctr\\secrets", "C:\\ProgramData\\wctr\\secrets"));
  assert_true(spec_path_within("c:\\programdata\\WCTR\\secrets\\x", "C:\\ProgramData\\wctr\\secrets"));
  assert_true(spec_path_within("C:\\ProgramData\\wctr\\secrets", "C:\\ProgramData"));
  assert_true(spec_path_within("C:\\x", "C:\\"));
  assert_true(spec_path_within("C:\\", "C:\\"));
  assert_true(spec_path_within("\\\\srv\\share\\a", "\\\\srv\\share"));
  assert_false(spec_path_within("C:\\ProgramData\\wctr\\secrets2", "C:\\ProgramData\\wctr\\secrets"));
  assert_false(spec_path_within("C:\\ProgramData", "C:\\ProgramData\\wctr"));
  assert_false(spec_path_within("D:\\x", "C:\\"));
  assert_false(spec_path_within("\\\\srv\\shared", "\\\\srv\\share"));
}

/* A relative -w for a job container resolved against wctrd's own working directory. */
static void test_working_dir(void **state) {
  (void)state;
  wctr_errmsg e;
  assert_int_equal(spec_working_dir_check("C:\\app", "params", &e), WCTR_OK);
  assert_int_equal(spec_working_dir_check("\\\\srv\\share\\app", "params", &e), WCTR_OK);
  assert_int_equal(spec_working_dir_check("C:\\app\\..", "params", &e), WCTR_OK);
  assert_int_equal(spec_working_dir_check("app", "params", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "params: the working directory 'app' is invalid, it needs to be an absolute path");
  assert_int_equal(spec_working_dir_check("\\app", "params", &e), WCTR_EINVAL);
  assert_int_equal(spec_working_dir_check("C:app", "params", &e), WCTR_EINVAL);
  assert_int_equal(spec_working_dir_check("C:\\a\\..\\..", "params", &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "it needs to be an absolute path: it goes above its root"));
  /* Through the create params, for every isolation. */
  const char *isolations[] = {"job", "process", "hyperv", "default"};
  for (size_t i = 0; i < COUNT_OF(isolations); i++) {
    char json[200];
    snprintf(json, sizeof json, "{\"Image\":\"host\",\"Cmd\":[\"x\"],\"WorkingDir\":\"sub\\\\dir\",\"HostConfig\":"
             "{\"Isolation\":\"%s\"}}", isolations[i]);
    cJSON *p = cJSON_Parse(json);
    spec_container s;
    assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_EINVAL);
    assert_string_equal(e.text, "params: the working directory 'sub\\dir' is invalid, it needs to be an absolute path");
    cJSON_Delete(p);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_device_names), cmocka_unit_test(test_file_names), cmocka_unit_test(test_credspec_names),
      cmocka_unit_test(test_normal_form),  cmocka_unit_test(test_within),     cmocka_unit_test(test_working_dir),
  };
  return cmocka_run_group_tests_name("spec/names", tests, NULL, NULL);
}
