/* tests/spec/test_table.c - spec/spec.h spec_resource_fields: the one table of resource names. Every field
 * is reachable by its wire name and its flag, reads from and writes to the JSON form by that name, and the
 * table covers every field of spec_resources exactly once. */
#include "spec_test.h"

#include <stddef.h>

/* What the table must say, written out once here so that the test can fail when the table changes. */
static const struct {
  const char *wire;
  const char *flag;
  const char *compose;
  spec_unit unit;
  size_t offset;
} expected[] = {
    {"Memory", "--memory", "mem_limit", SPEC_UNIT_BYTES, offsetof(spec_resources, memory_bytes)},
    {"NanoCpus", "--cpus", "cpus", SPEC_UNIT_NANO_CPUS, offsetof(spec_resources, nano_cpus)},
    {"CpuCount", "--cpu-count", "cpu_count", SPEC_UNIT_COUNT, offsetof(spec_resources, cpu_count)},
    {"CpuPercent", "--cpu-percent", "cpu_percent", SPEC_UNIT_COUNT, offsetof(spec_resources, cpu_percent)},
    {"CpuShares", "--cpu-shares", "cpu_shares", SPEC_UNIT_COUNT, offsetof(spec_resources, cpu_shares)},
    {"PidsLimit", "--pids-limit", "pids_limit", SPEC_UNIT_COUNT, offsetof(spec_resources, pids_limit)},
    {"IOMaximumIOps", "--io-maxiops", NULL, SPEC_UNIT_COUNT, offsetof(spec_resources, io_maxiops)},
    {"IOMaximumBandwidth", "--io-maxbandwidth", NULL, SPEC_UNIT_BYTES, offsetof(spec_resources, io_maxbandwidth)},
};

static void test_table_is_docker_names(void **state) {
  (void)state;
  assert_int_equal(spec_resource_field_count, COUNT_OF(expected));
  /* Every int64 of spec_resources is in the table once. */
  assert_int_equal(spec_resource_field_count * sizeof(int64_t), sizeof(spec_resources));
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    assert_string_equal(f->wire, expected[i].wire);
    assert_string_equal(f->flag, expected[i].flag);
    if (expected[i].compose == NULL) {
      assert_null(f->compose);
    } else {
      assert_string_equal(f->compose, expected[i].compose);
    }
    assert_int_equal(f->unit, expected[i].unit);
    assert_int_equal(f->offset, expected[i].offset);
    for (size_t k = 0; k < i; k++) {
      if (spec_resource_fields[k].offset == f->offset) FAILF("%s and %s share a field", f->wire, spec_resource_fields[k].wire);
    }
    if (f->unit == SPEC_UNIT_COUNT && f->flag_min >= f->flag_max) FAILF("%s: empty flag range", f->flag);
  }
}

static void test_lookup_by_wire_and_flag(void **state) {
  (void)state;
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    assert_ptr_equal(spec_resource_by_wire(f->wire), f);
    assert_ptr_equal(spec_resource_by_flag(f->flag), f);
  }
  assert_null(spec_resource_by_wire("memory")); /* wire names are exact, as Docker's JSON */
  assert_null(spec_resource_by_wire("Ports"));
  assert_null(spec_resource_by_wire(NULL));
  assert_null(spec_resource_by_flag("memory")); /* flags carry their dashes */
  assert_null(spec_resource_by_flag("-m"));     /* an alias is the CLI's */
  assert_null(spec_resource_by_flag(NULL));
}

static void test_value_access(void **state) {
  (void)state;
  spec_resources r;
  memset(&r, 0, sizeof r);
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    *spec_resource_value(&r, &spec_resource_fields[i]) = (int64_t)(i + 1) * 1000;
  }
  assert_int_equal(r.memory_bytes, 1000);
  assert_int_equal(r.nano_cpus, 2000);
  assert_int_equal(r.cpu_count, 3000);
  assert_int_equal(r.cpu_percent, 4000);
  assert_int_equal(r.cpu_shares, 5000);
  assert_int_equal(r.pids_limit, 6000);
  assert_int_equal(r.io_maxiops, 7000);
  assert_int_equal(r.io_maxbandwidth, 8000);
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    assert_int_equal(spec_resource_get(&r, &spec_resource_fields[i]), (int64_t)(i + 1) * 1000);
  }
}

/* Each field alone by its wire name: it lands in its own field and nowhere else. */
static void test_from_json_each_field(void **state) {
  (void)state;
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    char text[128];
    snprintf(text, sizeof text, "{\"%s\":-%zu}", f->wire, i + 7);
    cJSON *obj = cJSON_Parse(text);
    spec_resources r;
    memset(&r, 0, sizeof r);
    wctr_errmsg e;
    if (spec_resources_from_json(obj, "params.HostConfig", &r, &e) != WCTR_OK) FAILF("%s refused: %s", f->wire, e.text);
    for (size_t k = 0; k < spec_resource_field_count; k++) {
      int64_t want = k == i ? -(int64_t)(i + 7) : 0;
      if (spec_resource_get(&r, &spec_resource_fields[k]) != want) FAILF("%s set %s", f->wire, spec_resource_fields[k].wire);
    }
    cJSON_Delete(obj);
  }
}

static void test_from_json_refusals_name_the_field(void **state) {
  (void)state;
  spec_resources r = {.memory_bytes = 5};
  wctr_errmsg e;
  cJSON *obj = cJSON_Parse("{\"NanoCpus\":1000,\"CpuShares\":\"5\"}");
  assert_int_equal(spec_resources_from_json(obj, "params.HostConfig", &r, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "params.HostConfig: \"CpuShares\" must be an integer, not a string");
  assert_int_equal(r.nano_cpus, 0); /* nothing written on failure */
  assert_int_equal(r.memory_bytes, 5);
  cJSON_Delete(obj);
  obj = cJSON_Parse("{\"Memory\":9007199254740993}");
  assert_int_equal(spec_resources_from_json(obj, "x", &r, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "\"Memory\""));
  cJSON_Delete(obj);
  obj = cJSON_Parse("{\"PidsLimit\":1.5}");
  assert_int_equal(spec_resources_from_json(obj, "x", &r, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "\"PidsLimit\""));
  cJSON_Delete(obj);
  /* Absent fields stay; unknown keys are the caller's to refuse. */
  obj = cJSON_Parse("{\"Ports\":1,\"CpuCount\":2}");
  assert_int_equal(spec_resources_from_json(obj, "x", &r, &e), WCTR_OK);
  assert_int_equal(r.memory_bytes, 5);
  assert_int_equal(r.cpu_count, 2);
  cJSON_Delete(obj);
}

static void test_to_json_writes_every_field_in_order(void **state) {
  (void)state;
  spec_resources r;
  memset(&r, 0, sizeof r);
  r.nano_cpus = 1500000000;
  r.io_maxbandwidth = INT64_C(5000000000); /* past int32: written as a whole number all the same */
  cJSON *obj = cJSON_CreateObject();
  assert_true(spec_resources_to_json(&r, obj));
  char *text = cJSON_PrintUnformatted(obj);
  assert_string_equal(text, "{\"Memory\":0,\"NanoCpus\":1500000000,\"CpuCount\":0,\"CpuPercent\":0,\"CpuShares\":0,"
                            "\"PidsLimit\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":5000000000}");
  cJSON_free(text);
  spec_resources back;
  memset(&back, 0x5A, sizeof back);
  wctr_errmsg e;
  assert_int_equal(spec_resources_from_json(obj, "x", &back, &e), WCTR_OK);
  assert_memory_equal(&back, &r, sizeof r);
  cJSON_Delete(obj);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_is_docker_names),
      cmocka_unit_test(test_lookup_by_wire_and_flag),
      cmocka_unit_test(test_value_access),
      cmocka_unit_test(test_from_json_each_field),
      cmocka_unit_test(test_from_json_refusals_name_the_field),
      cmocka_unit_test(test_to_json_writes_every_field_in_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
