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
      /* Normal forms: what Windows resolves, resolved. */
      {"C:\\data\\..\\x:C:\\a\\.\\b\\", false, false, "C:\\x", "C:\\a\\b"},
      {"C:/data//x/:C:/app/sub/..", false, false, "C:\\data\\x", "C:\\app"},
      {"C:\\d:C:\\ProgramData\\wctr\\secrets2", false, false, "C:\\d", "C:\\ProgramData\\wctr\\secrets2"},
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

/* Named and anonymous volumes: a host part that is a name, or a container path alone. */
static void test_volumes(void **state) {
  (void)state;
  static const struct {
    const char *spec;
    const char *volume; /* NULL: anonymous */
    const char *container;
    bool read_only;
  } cases[] = {
      {"data:C:\\app", "data", "C:\\app", false},
      {"my_vol.1-x:c:/app/:ro", "my_vol.1-x", "c:\\app", true},
      {"db:C:\\data:rw", "db", "C:\\data", false},
      {"C:\\data", NULL, "C:\\data", false},
      {"c:/x/./y", NULL, "c:\\x\\y", false},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    spec_mount m = {0};
    wctr_errmsg e;
    if (spec_mount_parse(cases[i].spec, &m, &e) != WCTR_OK) FAILF("%s refused: %s", cases[i].spec, e.text);
    assert_null(m.host_path);
    assert_false(m.pipe);
    assert_int_equal(m.anonymous, cases[i].volume == NULL);
    if (cases[i].volume != NULL) {
      assert_non_null(m.volume);
      assert_string_equal(m.volume, cases[i].volume);
    } else {
      assert_null(m.volume);
    }
    assert_string_equal(m.container_path, cases[i].container);
    assert_int_equal(m.read_only, cases[i].read_only);
    spec_mount_free(&m);
    assert_null(m.volume);
  }
  wctr_errmsg e;
  assert_int_equal(spec_volume_check_name("ab", &e), WCTR_OK);
  assert_int_equal(spec_volume_check_name("a", &e), WCTR_EINVAL);
  assert_int_equal(spec_volume_check_name("-a", &e), WCTR_EINVAL);
  assert_int_equal(spec_volume_check_name("a/b", &e), WCTR_EINVAL);
  assert_int_equal(spec_volume_check_name(NULL, &e), WCTR_EINVAL);
  char longname[SPEC_VOLUME_NAME_MAX + 2];
  memset(longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  assert_int_equal(spec_volume_check_name(longname, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "at most 128 characters"));
  longname[SPEC_VOLUME_NAME_MAX] = '\0';
  assert_int_equal(spec_volume_check_name(longname, &e), WCTR_OK);
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
      {"C:\\data:", "the container path is empty"},
      {"data", "expected HOST:CONTAINER[:ro]"},
      {"C:data", "expected HOST:CONTAINER[:ro]"},
      {"C:\\", "the container path cannot be the root of a drive"},
      {"C:\\ProgramData\\wctr\\secrets", "overlaps C:\\ProgramData\\wctr\\secrets"},
      {"d!:C:\\app", "create d!: \"d!\" includes invalid characters for a local volume name, only "
                     "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use "
                     "absolute path"},
      {"_x:C:\\app", "includes invalid characters for a local volume name"},
      {"data:app", "the container path must be absolute with a drive letter"},
      {"data:C:\\", "the container path cannot be the root of a drive"},
      {"data:C:\\app:z", "unknown mode \"z\""},
      {".\\data:C:\\app", "the host path must be absolute"},
      {"C:\\data:", "the container path is empty"},
      {"C:\\data:C:\\app:", "unknown mode \"\""},
      {"C:\\data:C:\\app:RO", "unknown mode \"RO\""},
      {"C:\\data:C:\\app:ro:x", "unknown mode \"ro:x\""},
      {"C:\\data:C:\\app:z", "unknown mode \"z\""},
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
      /* The drive's root by another name, and the secrets mount point. */
      {"C:\\data:C:\\x\\..", "the container path cannot be the root of a drive (C:\\)"},
      {"C:\\data:C:\\.", "the container path cannot be the root of a drive"},
      {"C:\\data:C:/", "the container path cannot be the root of a drive"},
      {"C:\\data:C:\\x\\..\\..", "the container path goes above its root"},
      {"C:\\data:C:\\ProgramData\\wctr\\secrets", "overlaps C:\\ProgramData\\wctr\\secrets, where wctr maps"},
      {"C:\\data:c:/programdata/WCTR/./secrets/", "the container path c:\\programdata\\WCTR\\secrets overlaps"},
      {"C:\\data:C:\\ProgramData\\wctr\\secrets\\db", "overlaps C:\\ProgramData\\wctr\\secrets"},
      {"C:\\data:C:\\ProgramData", "the container path C:\\ProgramData overlaps"},
      {"C:\\data:C:\\ProgramData\\wctr\\secrets.", "ending in a dot or a space"},
      {"C:\\data.:C:\\app", "the host path has a component \"data.\" ending in a dot or a space"},
      {"C:\\a\\nul:C:\\app", "that is a Windows device name"},
      {"C:\\data:C:\\app\\con.txt", "that is a Windows device name"},
      {"\\\\?\\UNC\\srv\\x:C:\\app", "the host path must be absolute"},
      {"\\\\.\\PhysicalDrive0:C:\\app", "the host path must be absolute"},
      {"C:\\..\\x:C:\\app", "the host path goes above its root"},
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

/* The data root is not for containers: a bind of it, or of a folder in it, is refused at
 * create; a bind of a folder above it is warned about. Compared in normal form, ignoring case. */
static void test_data_root(void **state) {
  (void)state;
  const char *root = "C:\\ProgramData\\wctr";
  static const char *refused[] = {"C:\\ProgramData\\wctr:C:\\x", "c:/programdata/WCTR/:C:\\x",
                                  "C:\\ProgramData\\wctr\\containers\\abc\\secrets:C:\\x:ro",
                                  "C:\\Temp\\..\\ProgramData\\wctr\\.\\secrets:C:\\x"};
  for (size_t i = 0; i < COUNT_OF(refused); i++) {
    spec_container s = {0};
    char *binds[] = {(char *)"C:\\ok:C:\\ok", (char *)refused[i]};
    s.binds = binds;
    s.bind_count = 2;
    wctr_errmsg e;
    spec_warnings w = {0};
    if (spec_binds_check_data_root(&s, root, &w, &e) != WCTR_EINVAL) FAILF("%s accepted", refused[i]);
    if (strstr(e.text, "is wctr's data root or inside it (C:\\ProgramData\\wctr): it holds every container's") == NULL) {
      FAILF("%s: %s", refused[i], e.text);
    }
  }
  spec_container s = {0};
  char *above[] = {(char *)"C:\\ProgramData:C:\\pd"};
  s.binds = above;
  s.bind_count = 1;
  wctr_errmsg e;
  spec_warnings w = {0};
  assert_int_equal(spec_binds_check_data_root(&s, root, &w, &e), WCTR_OK);
  assert_int_equal(w.count, 1);
  assert_non_null(strstr(w.text[0], "the folder holds wctr's data root"));
  char *beside[] = {(char *)"C:\\ProgramData\\wctr2:C:\\x", (char *)"\\\\.\\pipe\\p:\\\\.\\pipe\\p"};
  s.binds = beside;
  s.bind_count = 2;
  memset(&w, 0, sizeof w);
  assert_int_equal(spec_binds_check_data_root(&s, root, &w, &e), WCTR_OK);
  assert_int_equal(w.count, 0);
  /* A root that is not a Windows path (the portable tests' /tmp/...) is not compared. */
  s.binds = above;
  s.bind_count = 1;
  assert_int_equal(spec_binds_check_data_root(&s, "/tmp/wctr", &w, &e), WCTR_OK);
}

/* Docker's "Duplicate mount point", in normal form and without case. */
static void test_duplicate_mount_points(void **state) {
  (void)state;
  cJSON *p = cJSON_Parse("{\"Image\":\"i\",\"HostConfig\":{\"Isolation\":\"process\",\"Binds\":[\"C:\\\\a:C:\\\\app\","
                         "\"C:\\\\b:c:/APP/x/..\"]}}");
  assert_non_null(p);
  spec_container s;
  wctr_errmsg e;
  assert_int_equal(spec_from_json(p, "params", 4, &s, NULL, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "Duplicate mount point: c:\\APP");
  cJSON_Delete(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_accepted),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_volumes),
      cmocka_unit_test(test_data_root),
      cmocka_unit_test(test_duplicate_mount_points),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
