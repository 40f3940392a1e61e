/* libFuzzer harness of docker/template.h: any text as a template, run over a JSON value and over a formatter
 * context, its output through docker/cli's tabwriter. Input: TEMPLATE, or TEMPLATE NUL JSON (the dot). The
 * first byte's low bits choose the header functions (1) and a context as the dot (2). Limits are the engine's
 * own, set lower here so that each input runs fast; nothing in the harness caps the input's size. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/format.h"
#include "docker/template.h"
#include "docker/text.h"

static const char sample[] =
    "{\"Id\":\"0123456789ab\",\"Name\":\"/web\",\"State\":{\"Status\":\"running\",\"ExitCode\":0,\"Health\":null},"
    "\"Config\":{\"Labels\":{\"a\":\"1\",\"b\":\"two\"},\"Env\":[\"A=1\"],\"Cmd\":[\"cmd\",\"/c\",\"echo\"]},"
    "\"HostConfig\":{\"Memory\":524288000,\"NanoCpus\":1.5e9},\"List\":[1,2.5,\"x\",true,null,[],{}],\"N\":-3}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = data[0];
  const char *text = (const char *)data + 1;
  size_t n = size - 1;
  const char *nul = memchr(text, '\0', n);
  size_t tlen = nul != NULL ? (size_t)(nul - text) : n;
  cJSON *dot = NULL;
  if (nul != NULL) {
    dot = cJSON_ParseWithLength(nul + 1, n - tlen - 1);
  }
  if (dot == NULL) dot = cJSON_Parse(sample);
  docker_tpl *t = NULL;
  wctr_errmsg e;
  if (docker_tpl_parse(text, tlen, &t, &e) == WCTR_OK) {
    docker_tpl_opts opts = {.header = (mode & 1) != 0, .map_keys = cli_docker_map_keys, .max_steps = 200000,
                         .max_output = 1 << 20};
    docker_tpl_object obj = {.type_name = "*fuzz.Context", .fields = dot, .methods = &cli_label_method,
                          .method_count = 1, .self = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(dot, "Config"), "Labels")};
    docker_buf out;
    docker_buf_init(&out, 0);
    docker_tpl_exec(t, (mode & 2) ? NULL : dot, (mode & 2) ? &obj : NULL, &opts, &out, &e);
    docker_buf table;
    docker_buf_init(&table, 0);
    if (!out.failed && out.data != NULL) docker_tabwrite(out.data, out.len, 10, 3, &table);
    docker_buf_free(&table);
    docker_buf_free(&out);
    docker_tpl_free(t);
  }
  docker_buf json;
  docker_buf_init(&json, 0);
  docker_json_write(&json, dot, (mode & 4) ? "    " : NULL, (mode & 8) != 0);
  docker_buf_free(&json);
  cJSON_Delete(dot);
  return 0;
}
