/* tests/compose/fuzz_compose.c - libFuzzer harness for the compose loader (cli/compose.h).
 *
 * The input is C:\proj\compose.yml. Two more files exist for it to point at: C:\proj\.env (read for
 * every load) and C:\proj\app.env (for env_file). Aborts when a failure leaves a project behind or says
 * nothing, or when a loaded project breaks the model's promises: names and container names set,
 * environment and labels sorted by key, dependencies placed before their dependents, absolute mount
 * sources, and both renderings produced twice the same; and when a service's create params
 * (cli_compose_create_params) fail without a message, or succeed without the project's labels and the
 * service's container name. C:\proj\spec.json is a valid credential spec for config:// to read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/compose.h"

static const uint8_t *input;
static size_t input_len;

static void check(int ok) {
  if (!ok) abort();
}

static wctr_err read_file(void *ctx, const char *path, char **data, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  const char *text;
  size_t n;
  if (strcmp(path, "C:\\proj\\compose.yml") == 0) {
    text = (const char *)input;
    n = input_len;
  } else if (strcmp(path, "C:\\proj\\.env") == 0) {
    text = "TAG=ltsc2022\nEMPTY=\nMEM=512m\n";
    n = strlen(text);
  } else if (strcmp(path, "C:\\proj\\spec.json") == 0) {
    text = "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\","
           "\"MachineAccountName\":\"web\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\",\"DnsTreeName\":\"c.com\","
           "\"DnsName\":\"c.com\",\"NetBiosName\":\"C\"},\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":["
           "{\"Name\":\"web\",\"Scope\":\"c.com\"}]}}";
    n = strlen(text);
  } else if (strcmp(path, "C:\\proj\\app.env") == 0) {
    text = "A=1\nB=\"two ${TAG}\"\n";
    n = strlen(text);
  } else {
    return wctr_fail(e, WCTR_ENOENT, "no such file");
  }
  *data = malloc(n > 0 ? n : 1);
  if (*data == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (n > 0) memcpy(*data, text, n);
  *len = n;
  return WCTR_OK;
}

static const char *lookup(void *ctx, const char *name) {
  (void)ctx;
  if (strcmp(name, "USERPROFILE") == 0) return "C:\\Users\\fuzz";
  if (strcmp(name, "REGION") == 0) return "eu";
  return NULL;
}

static int key_cmp(const char *a, const char *b) {
  size_t la = strcspn(a, "="), lb = strcspn(b, "=");
  size_t n = la < lb ? la : lb;
  int c = memcmp(a, b, n);
  if (c != 0) return c;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

static void check_project(const cli_compose_project *p) {
  check(p->name != NULL && p->name[0] != '\0' && p->directory != NULL);
  for (size_t i = 0; i < p->service_count; i++) {
    const cli_compose_service *s = &p->services[i];
    check(s->name != NULL && s->container_name != NULL && s->image != NULL && s->image[0] != '\0');
    for (size_t k = 1; k < s->environment_count; k++) check(key_cmp(s->environment[k - 1], s->environment[k]) < 0);
    for (size_t k = 1; k < s->label_count; k++) check(key_cmp(s->labels[k - 1], s->labels[k]) < 0);
    for (size_t k = 0; k < s->volume_count; k++) {
      const char *src = s->volumes[k].source;
      check(src[0] == '\\' || src[0] == '/' || (src[0] != '\0' && src[1] == ':'));
    }
    for (size_t d = 0; d < s->depends_on_count; d++) {
      size_t at = SIZE_MAX;
      for (size_t j = 0; j < p->service_count; j++) {
        if (strcmp(p->services[j].name, s->depends_on[d]) == 0) at = j;
      }
      check(at < i);
    }
    if (s->command.shell_form) check(s->command.argc == 1);
    if (s->has_credspec) check(s->credspec.value != NULL);
  }
  for (size_t i = 0; i < p->service_count; i++) {
    const cli_compose_service *s = &p->services[i];
    cJSON *params = NULL;
    wctr_errmsg e;
    wctr_errmsg_clear(&e);
    wctr_err err = cli_compose_create_params(p, s, read_file, NULL, &params, &e);
    if (err != WCTR_OK) {
      check(params == NULL && e.text[0] != '\0');
      continue;
    }
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(params, "Labels");
    const cJSON *project = cJSON_GetObjectItemCaseSensitive(labels, "com.docker.compose.project");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "Name");
    check(cJSON_IsString(project) && strcmp(project->valuestring, p->name) == 0);
    check(cJSON_IsString(name) && strcmp(name->valuestring, s->container_name) == 0);
    cJSON_Delete(params);
  }
  for (int json = 0; json < 2; json++) {
    char *a = NULL, *b = NULL;
    wctr_errmsg e;
    check(cli_compose_render(p, json != 0, &a, &e) == WCTR_OK);
    check(cli_compose_render(p, json != 0, &b, &e) == WCTR_OK);
    check(strcmp(a, b) == 0);
    free(a);
    free(b);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input = data;
  input_len = size;
  static const char *const files[] = {"compose.yml"};
  cli_compose_options o;
  memset(&o, 0, sizeof o);
  o.files = files;
  o.file_count = 1;
  o.working_dir = "C:\\proj";
  o.read_file = read_file;
  o.lookup_env = lookup;
  cli_compose_project *p = (cli_compose_project *)1;
  cli_compose_warnings w = {0};
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = cli_compose_load(&o, &p, &w, &e);
  if (err != WCTR_OK) {
    check(p == NULL && e.code == err && e.text[0] != '\0');
  } else {
    check(p != NULL);
    check_project(p);
    cli_compose_free(p);
  }
  for (size_t i = 0; i < w.count; i++) check(w.text[i] != NULL);
  cli_compose_warnings_free(&w);
  return 0;
}
