/* tests/compose/fuzz_compose.c - libFuzzer harness for the compose module (compose/compose.h,
 * compose/to_spec.h) and the create request `wctr compose up` builds from it (cli/compose_cmd.h).
 *
 * The input is C:\proj\compose.yml. Two more files exist for it to point at: C:\proj\.env (read for every
 * load) and C:\proj\app.env (for env_file). An input holding a line that starts with APP_ENV_MARK is split
 * there: what follows that line is app.env (so env files are fuzzed too: quoted values over lines, escapes,
 * interpolation). Aborts when a failure leaves a project behind or says nothing, or when a loaded project
 * breaks the model's promises: names and container names set, environment and labels sorted by key,
 * dependencies placed before their dependents, absolute mount sources, and both renderings produced twice the
 * same; when a service's spec (compose_service_to_spec) fails without a message or leaves anything behind, or
 * succeeds without the image, compose's labels (sorted, unique) and one word per command word; and when its
 * create request (cli_compose_create_request) fails without a message, or succeeds without the project's
 * label and the service's container name, or is refused by spec_from_json (as wctrd reads it, on a host with
 * any number of CPUs: `up` runs create's checks first, so a request it sends is one wctrd accepts), or reads
 * back as anything but the spec. C:\proj\spec.json is a valid credential spec for config:// to read. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/compose_cmd.h"
#include "compose/compose.h"
#include "compose/to_spec.h"
#include "gmsa/gmsa_util.h"

#define APP_ENV_MARK "\n#%app.env"

static const uint8_t *input;
static size_t input_len;
static const uint8_t *app_env; /* NULL: the fixed app.env below */
static size_t app_env_len;

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
  } else if (strcmp(path, "C:\\proj\\app.env") == 0 && app_env != NULL) {
    text = (const char *)app_env;
    n = app_env_len;
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

static size_t words_of(const compose_command *c) { return !c->set ? 0 : c->shell_form ? 3 + c->argc : c->argc; }

static void check_spec(const compose_project *p, const compose_service *s) {
  spec_container spec;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = compose_service_to_spec(p, s, read_file, NULL, &spec, &e);
  if (err != WCTR_OK) {
    check(e.text[0] != '\0' && e.code == err && spec.image == NULL && spec.labels.count == 0 &&
          spec.security_opt == NULL);
    return;
  }
  check(spec.image != NULL && strcmp(spec.image, s->image) == 0);
  check(spec.process.cmd_count == words_of(&s->entrypoint) + words_of(&s->command));
  check(spec.process.env_count == s->environment_count && spec.bind_count == s->volume_count);
  check(spec.secret_count == s->secret_count && spec.isolation == s->isolation);
  check(spec.labels.count == s->label_count + 3);
  for (size_t k = 1; k < spec.labels.count; k++) check(strcmp(spec.labels.keys[k - 1], spec.labels.keys[k]) < 0);
  const char *project = spec_label_get(&spec.labels, COMPOSE_LABEL_PROJECT);
  const char *service = spec_label_get(&spec.labels, COMPOSE_LABEL_SERVICE);
  check(project != NULL && strcmp(project, p->name) == 0 && service != NULL && strcmp(service, s->name) == 0);
  check((spec.credspec_option != NULL) == s->has_credspec && spec.security_opt_count == (s->has_credspec ? 1u : 0u));
  check(spec.stop_timeout >= 0 && spec.stop_timeout <= SPEC_MAX_STOP_TIMEOUT);
  spec_free(&spec);
}

static void check_request(const compose_project *p, const compose_service *s) {
  cJSON *params = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = cli_compose_create_request(p, s, read_file, NULL, &params, &e);
  if (err != WCTR_OK) {
    check(params == NULL && e.text[0] != '\0');
    return;
  }
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(params, "Labels");
  const cJSON *project = cJSON_GetObjectItemCaseSensitive(labels, "com.docker.compose.project");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "Name");
  check(cJSON_IsString(project) && strcmp(project->valuestring, p->name) == 0);
  check(cJSON_IsString(name) && strcmp(name->valuestring, s->container_name) == 0);
  /* wctrd reads the request with spec_from_json: what compose sends it accepts (only the CPU count is the
   * host's), and it is the spec compose made. */
  spec_container back;
  wctr_errmsg_clear(&e);
  err = spec_from_json(params, "params", INT_MAX, &back, NULL, &e);
  check(err == WCTR_OK);
  check(strcmp(back.image, s->image) == 0 && back.process.env_count == s->environment_count);
  check(back.labels.count == s->label_count + 3 && back.isolation == s->isolation);
  check(back.bind_count == s->volume_count && back.secret_count == s->secret_count);
  for (size_t i = 0; i < back.bind_count; i++) {
    spec_mount m;
    check(spec_mount_parse(back.binds[i], &m, &e) == WCTR_OK);
    check(m.pipe == s->volumes[i].pipe);
    spec_mount_free(&m);
  }
  spec_free(&back);
  gmsa_json_secure_delete(params);
}

static void check_project(const compose_project *p) {
  check(p->name != NULL && p->name[0] != '\0' && p->directory != NULL);
  for (size_t i = 0; i < p->service_count; i++) {
    const compose_service *s = &p->services[i];
    check(s->name != NULL && s->container_name != NULL && s->image != NULL && s->image[0] != '\0');
    for (size_t k = 1; k < s->environment_count; k++) check(key_cmp(s->environment[k - 1], s->environment[k]) < 0);
    for (size_t k = 1; k < s->label_count; k++) check(key_cmp(s->labels[k - 1], s->labels[k]) < 0);
    for (size_t k = 0; k < s->volume_count; k++) {
      const char *src = s->volumes[k].source;
      if (s->volumes[k].volume) {
        /* a volume names a top-level volume's key, or none at all when anonymous */
        bool defined = src == NULL;
        for (size_t v = 0; src != NULL && v < p->volume_count; v++) defined = defined || strcmp(p->volumes[v].key, src) == 0;
        check(defined);
        continue;
      }
      check(src != NULL && (src[0] == '\\' || src[0] == '/' || (src[0] != '\0' && src[1] == ':')));
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
    check_spec(p, &p->services[i]);
    check_request(p, &p->services[i]);
  }
  for (int json = 0; json < 2; json++) {
    char *a = NULL, *b = NULL;
    wctr_errmsg e;
    check(compose_render(p, json != 0, &a, &e) == WCTR_OK);
    check(compose_render(p, json != 0, &b, &e) == WCTR_OK);
    check(strcmp(a, b) == 0);
    free(a);
    free(b);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input = data;
  input_len = size;
  app_env = NULL;
  app_env_len = 0;
  size_t mark = strlen(APP_ENV_MARK);
  for (size_t i = 0; size >= mark && i <= size - mark; i++) {
    if (memcmp(data + i, APP_ENV_MARK, mark) == 0) {
      size_t rest = i + mark;
      while (rest < size && data[rest] != '\n') rest++;
      if (rest < size) rest++;
      input_len = i + 1;
      app_env = data + rest;
      app_env_len = size - rest;
      break;
    }
  }
  static const char *const files[] = {"compose.yml"};
  compose_options o;
  memset(&o, 0, sizeof o);
  o.files = files;
  o.file_count = 1;
  o.working_dir = "C:\\proj";
  o.read_file = read_file;
  o.lookup_env = lookup;
  compose_project *p = (compose_project *)1;
  compose_warnings w = {0};
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = compose_load(&o, &p, &w, &e);
  if (err != WCTR_OK) {
    check(p == NULL && e.code == err && e.text[0] != '\0');
  } else {
    check(p != NULL);
    check_project(p);
    compose_free(p);
  }
  for (size_t i = 0; i < w.count; i++) check(w.text[i] != NULL);
  compose_warnings_free(&w);
  return 0;
}
