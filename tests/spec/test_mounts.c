/* tests/spec/test_mounts.c - spec/spec.h spec_mount_parse: -v HOST:CONTAINER[:ro|:rw] with drive
 * letters, UNC paths and named pipes, and the errors that name the flag. */
#include "spec_test.h"

struct ok_case {
  const char *spec;
  bool pipe;
  bool read_only;
  const char *host;
  const char *container;
};

static void test_accepted(void **state) {
  (void)state;
  static const struct ok_case cases[] = {
      {"C:\\data:C:\\app", false, false, "C:\\data", "C:\\app"},
      {"C:\\data:C:\\app:ro", false, true, "C:\\data", "C:\\app"},
      {"C:\\data:C:\\app:rw", false, false, "C:\\data", "C:\\app"},
      {"c:/data/x:d:/app", false, false, "c:\\data\\x", "d:\\app"},
      {"D:\\:C:\\mnt", false, false, "D:\\", "C:\\mnt"},
      {"\\\\server\\share\\dir:C:\\s:ro", false, true, "\\\\server\\share\\dir", "C:\\s"},
      {"C:\\Program Files\\x:C:\\p q", false, false, "C:\\Program Files\\x", "C:\\p q"},
      {"\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine", true, false, "\\\\.\\pipe\\docker_engine",
       "\\\\.\\pipe\\docker_engine"},
      {"\\\\.\\pipe\\a:\\\\.\\pipe\\b:rw", true, false, "\\\\.\\pipe\\a", "\\\\.\\pipe\\b"},
      /* Docker's other spellings (its -v parser takes '/' for '\\' and reads the prefix in any case): held in
       * the canonical form, which the HCS documents strip by length. */
      {"//./pipe/docker_engine://./pipe/docker_engine", true, false, "\\\\.\\pipe\\docker_engine",
       "\\\\.\\pipe\\docker_engine"},
      {"\\\\.\\PIPE\\Docker_Engine:\\\\.\\pipe\\x", true, false, "\\\\.\\pipe\\Docker_Engine", "\\\\.\\pipe\\x"},
      {"//./Pipe/a:\\\\.\\pipe/b", true, false, "\\\\.\\pipe\\a", "\\\\.\\pipe\\b"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_mount m;
    wctr_errmsg e;
    if (spec_mount_parse(cases[i].spec, &m, &e) != WCTR_OK) FAILF("%s refused: %s", cases[i].spec, e.text);
    if (m.pipe != cases[i].pipe || m.read_only != cases[i].read_only ||
        strcmp(m.host_path, cases[i].host) != 0 || strcmp(m.container_path, cases[i].container) != 0) {
      FAILF("%s -> pipe %d ro %d host %s container %s", cases[i].spec, m.pipe, m.read_only, m.host_path,
            m.container_path);
    }
    spec_mount_free(&m);
    assert_null(m.host_path);
  }
  spec_mount_free(NULL);
}

struct bad_case {
  const char *spec;
  const char *message;
};

static void test_refused(void **state) {
  (void)state;
  static const struct bad_case cases[] = {
      {"", "the host path is empty"},
      {":C:\\app", "the host path is empty"},
      {"C:\\data", "expected HOST:CONTAINER[:ro]"},
      {"C:\\data:", "the container path is empty"},
      {"C:\\data:C:\\app:", "unknown mode \"\""},
      {"C:\\data:C:\\app:RO", "unknown mode \"RO\""},
      {"C:\\data:C:\\app:ro:x", "unknown mode \"ro:x\""},
      {"C:\\data:C:\\app:z", "unknown mode \"z\""},
      {"data:C:\\app", "the host path must be absolute"},
      {"C:data:C:\\app", "the host path must be absolute"},
      {"\\data:C:\\app", "the host path must be absolute"},
      {"C:\\data:/app", "the container path must be absolute with a drive letter"},
      {"C:\\data:app", "the container path must be absolute with a drive letter"},
      {"C:\\data:C:\\", "cannot be the root of a drive"},
      {"C:\\data:C:", "the container path must be absolute"},
      {"\\\\.\\pipe\\a:C:\\a", "a named pipe can only be mapped to a named pipe"},
      {"C:\\a:\\\\.\\pipe\\a", "a named pipe can only be mapped to a named pipe"},
      {"\\\\.\\pipe\\:\\\\.\\pipe\\", "the host path must be absolute"},
      {"\\\\.\\pipe\\a:\\\\.\\pipe\\a:ro", "a named pipe cannot be mounted read-only"},
      {"//./pipe/a://./pipe/a:ro", "a named pipe cannot be mounted read-only"},
      {"//./pipe/a:C:\\a", "a named pipe can only be mapped to a named pipe"},
      /* A pipe prefix without a name, in any case, is not a UNC share either. */
      {"\\\\.\\PIPE\\:C:\\a", "the host path must be absolute"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_mount m = {.host_path = (char *)"untouched"};
    wctr_errmsg e;
    if (spec_mount_parse(cases[i].spec, &m, &e) != WCTR_EINVAL) FAILF("\"%s\" accepted", cases[i].spec);
    assert_string_equal(m.host_path, "untouched");
    if (strncmp(e.text, "-v \"", 4) != 0 || strstr(e.text, cases[i].message) == NULL) {
      FAILF("\"%s\": message \"%s\" lacks \"%s\"", cases[i].spec, e.text, cases[i].message);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepted),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
