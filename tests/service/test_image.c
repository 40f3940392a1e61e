/* Image records: names, catalog file names, add params, persistence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "service/image.h"
#include "testutil.h"

#define NOW "2026-11-22T13:00:00.000Z"

static void expect_name(const char *in, const char *want) {
  char out[SVC_IMAGE_NAME_MAX + 1];
  wctr_errmsg e;
  if (svc_image_name_normalize(in, out, sizeof out, &e) != WCTR_OK) fail_msg("\"%s\" refused: %s", in, e.text);
  assert_string_equal(out, want);
}

static void expect_bad_name(const char *in) {
  char out[SVC_IMAGE_NAME_MAX + 1];
  wctr_errmsg e;
  if (svc_image_name_normalize(in, out, sizeof out, &e) == WCTR_OK) fail_msg("\"%s\" accepted as %s", in, out);
  assert_non_null(strstr(e.text, "invalid image name"));
}

static void test_names(void **state) {
  (void)state;
  expect_name("nanoserver", "nanoserver:latest");
  expect_name("mcr.microsoft.com/windows/nanoserver:ltsc2022", "mcr.microsoft.com/windows/nanoserver:ltsc2022");
  expect_name("localhost:5000/app", "localhost:5000/app:latest");
  expect_name("localhost:5000/app:v1.2_rc-3", "localhost:5000/app:v1.2_rc-3");
  expect_bad_name("");
  expect_bad_name("Upper");
  expect_bad_name("app:");
  expect_bad_name(":tag");
  expect_bad_name("a//b");
  expect_bad_name("a/");
  expect_bad_name("a:b c");
  expect_bad_name("-a");
  char longer[200];
  memset(longer, 'a', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  expect_bad_name(longer);
  longer[SVC_IMAGE_NAME_MAX - 7] = '\0'; /* with ":latest", exactly the maximum */
  char out[SVC_IMAGE_NAME_MAX + 1];
  wctr_errmsg e;
  assert_int_equal(svc_image_name_normalize(longer, out, sizeof out, &e), WCTR_OK);
  assert_int_equal(strlen(out), SVC_IMAGE_NAME_MAX);
}

static void test_file_names(void **state) {
  (void)state;
  char out[SVC_IMAGE_NAME_MAX * 3 + 8];
  svc_image_file_name("mcr.microsoft.com/windows/nanoserver:ltsc2022", out, sizeof out);
  assert_string_equal(out, "mcr.microsoft.com%2Fwindows%2Fnanoserver%3Altsc2022.json");
  /* Distinct names never share a file. */
  char other[SVC_IMAGE_NAME_MAX * 3 + 8];
  svc_image_file_name("mcr.microsoft.com%2fwindows/nanoserver:ltsc2022", other, sizeof other);
  assert_string_not_equal(out, other);
}

static void test_guids(void **state) {
  (void)state;
  assert_true(svc_guid_valid("6ba9cac1-7086-5ee9-a197-c465d3f50ad7"));
  assert_true(svc_guid_valid("6BA9CAC1-7086-5EE9-A197-C465D3F50AD7"));
  assert_false(svc_guid_valid("{6ba9cac1-7086-5ee9-a197-c465d3f50ad7}"));
  assert_false(svc_guid_valid("6ba9cac1-7086-5ee9-a197-c465d3f50ad"));
  assert_false(svc_guid_valid("6ba9cac1-7086-5ee9-a197-c465d3f50ad77"));
  assert_false(svc_guid_valid("6ba9cac1x7086-5ee9-a197-c465d3f50ad7"));
  assert_false(svc_guid_valid(""));
  assert_false(svc_guid_valid(NULL));
}

static wctr_err add(const char *json, svc_image *img, wctr_errmsg *e) {
  cJSON *p = cJSON_Parse(json);
  assert_non_null(p);
  wctr_err err = svc_image_from_params(p, NOW, img, e);
  cJSON_Delete(p);
  return err;
}

static void expect_add_refused(const char *json, const char *want) {
  svc_image img;
  wctr_errmsg e;
  if (add(json, &img, &e) == WCTR_OK) fail_msg("%s accepted", json);
  if (strstr(e.text, want) == NULL) fail_msg("message \"%s\" lacks \"%s\"", e.text, want);
}

static void test_add_params(void **state) {
  (void)state;
  svc_image img;
  wctr_errmsg e;
  if (add("{\"Name\":\"app\",\"Layers\":[\"C:/layers/app\",\"C:\\\\layers\\\\base\"],\"OsVersion\":\"10.0.20348.2700\","
          "\"Cmd\":[\"cmd\",\"/c\",\"ver\"],\"User\":\"ContainerAdministrator\"}",
          &img, &e) != WCTR_OK) {
    fail_msg("refused: %s", e.text);
  }
  assert_string_equal(img.name, "app:latest");
  assert_int_equal(img.layer_count, 2);
  assert_string_equal(img.layers[0].path, "C:\\layers\\app"); /* slashes turned */
  assert_string_equal(img.layers[0].id, "");                  /* chosen by the catalog */
  assert_string_equal(img.os_version, "10.0.20348.2700");
  assert_int_equal(img.cmd_count, 3);
  assert_string_equal(img.user, "ContainerAdministrator");
  svc_image_free(&img);
  /* Without OsVersion: left for the Windows layer to read. */
  assert_int_equal(add("{\"Name\":\"a\",\"Layers\":[\"D:\\\\base\"]}", &img, &e), WCTR_OK);
  assert_string_equal(img.os_version, "");
  svc_image_free(&img);
  expect_add_refused("{\"Name\":\"a\",\"Layers\":[\"C:\\\\b\"],\"Tag\":\"x\"}", "Tag");
  expect_add_refused("{\"Layers\":[\"C:\\\\b\"]}", "\"Name\"");
  expect_add_refused("{\"Name\":\"a\"}", "\"Layers\" must be a non-empty array");
  expect_add_refused("{\"Name\":\"a\",\"Layers\":[]}", "\"Layers\" must be a non-empty array");
  expect_add_refused("{\"Name\":\"a\",\"Layers\":[\"relative\\\\dir\"]}", "a layer is an absolute folder path");
  expect_add_refused("{\"Name\":\"a\",\"Layers\":[7]}", "params.Layers[0] must be a string");
  expect_add_refused("{\"Name\":\"a\",\"Layers\":[\"C:\\\\b\"],\"OsVersion\":\"10.0\"}", "10.0");
  expect_add_refused("{\"Name\":\"a\",\"Layers\":[\"C:\\\\b\"],\"Cmd\":[]}", "Cmd");
  expect_add_refused("{\"Name\":\"A\",\"Layers\":[\"C:\\\\b\"]}", "invalid image name");
}

static void test_record_round_trip(void **state) {
  (void)state;
  svc_image img;
  wctr_errmsg e;
  assert_int_equal(add("{\"Name\":\"app:v1\",\"Layers\":[\"C:\\\\l1\",\"C:\\\\base\"],\"OsVersion\":\"10.0.26100.1\","
                       "\"Cmd\":[\"ping\",\"-t\",\"localhost\"]}",
                       &img, &e),
                   WCTR_OK);
  snprintf(img.layers[0].id, sizeof img.layers[0].id, "%s", "11111111-2222-4333-8444-555555555555");
  snprintf(img.layers[1].id, sizeof img.layers[1].id, "%s", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  cJSON *json = svc_image_to_json(&img);
  char *text = cJSON_PrintUnformatted(json);
  assert_string_equal(text, "{\"Name\":\"app:v1\",\"Layers\":[{\"Id\":\"11111111-2222-4333-8444-555555555555\",\"Path\":"
                            "\"C:\\\\l1\"},{\"Id\":\"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\",\"Path\":\"C:\\\\base\"}],"
                            "\"OsVersion\":\"10.0.26100.1\",\"Cmd\":[\"ping\",\"-t\",\"localhost\"],\"Created\":\"" NOW "\"}");
  free(text);
  svc_image back;
  if (svc_image_from_json(json, &back, &e) != WCTR_OK) fail_msg("reload refused: %s", e.text);
  assert_string_equal(back.layers[1].id, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  assert_string_equal(back.created, NOW);
  svc_image_free(&back);
  /* A damaged record names the field. */
  cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(json, "Layers"), 0), "Id",
                                         cJSON_CreateString("not-a-guid"));
  assert_int_equal(svc_image_from_json(json, &back, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "image.Layers[0].Id"));
  cJSON_DeleteItemFromObjectCaseSensitive(json, "OsVersion");
  assert_int_equal(svc_image_from_json(json, &back, &e), WCTR_EINVAL);
  cJSON_Delete(json);
  svc_image_free(&img);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),       cmocka_unit_test(test_file_names),
      cmocka_unit_test(test_guids),       cmocka_unit_test(test_add_params),
      cmocka_unit_test(test_record_round_trip),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
