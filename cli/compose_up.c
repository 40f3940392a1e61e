/* cli/compose_up.c - `wctr compose up | down | ps | logs` over wctrd's container operations (portable).
 *
 * A project's containers are the ones labelled com.docker.compose.project=<project> (container.list with
 * a label filter), named <project>-<service>-1. `up` first turns every service into create params
 * (cli_compose_create_request: its spec, written by spec_to_json) and has wctrd check every credential
 * spec (credentialspec.check), so a broken file, spec or key fails before anything exists; then it
 * creates the missing containers in depends_on order and starts them in that order. A failure part-way removes every container this `up`
 * created (force), so nothing is left half-deployed; containers that existed before are reused as they
 * are (run `down` first to apply a changed file). The project's networks (compose_project.networks) come
 * first: an external one must exist before anything is created, one of the project's that exists is reused,
 * the others are created (network.create, labelled com.docker.compose.project and .network) before the
 * containers and removed again when this `up` fails. Without -d, `up` shows the containers' output
 * (prefixed by the container's name) until they all exit; an interrupt (Ctrl+C) stops them, as compose
 * does. `down` stops and removes the project's containers in reverse start order; `down -v` their anonymous
 * volumes and the project's named volumes too (never an external one). `up` creates the named volumes
 * first, and requires the external ones to exist. After the containers, `down` removes the networks labelled
 * for the project. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli_internal.h"
#include "cli/compose_cmd.h"
#include "docker/text.h"
#include "common/json.h"
#include "common/opts.h"
#include "compose/to_spec.h"
#include "docker/docker.h"
#include "gmsa/gmsa_util.h"

#define PROJECT_LABEL COMPOSE_LABEL_PROJECT
#define SERVICE_LABEL COMPOSE_LABEL_SERVICE

static void sleep_ms(unsigned ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static const char *str_field(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* Every container of the project (any state). */
static cJSON *list_project(cli_ctx *ctx, const char *project, int *rc) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  cJSON *labels = cJSON_AddArrayToObject(cJSON_AddObjectToObject(p, "Filters"), "label");
  size_t n = strlen(PROJECT_LABEL) + strlen(project) + 2;
  char *filter = malloc(n);
  if (filter == NULL) {
    cJSON_Delete(p);
    *rc = CLI_EXIT_ERROR;
    return NULL;
  }
  snprintf(filter, n, PROJECT_LABEL "=%s", project);
  cJSON_AddItemToArray(labels, cJSON_CreateString(filter));
  free(filter);
  cJSON *list = NULL;
  if (!cli_call(ctx, "container.list", p, &list, rc)) return NULL;
  return list;
}

static const cJSON *find_named(const cJSON *list, const char *name) {
  const cJSON *c;
  cJSON_ArrayForEach(c, list) {
    if (strcmp(str_field(c, "Name"), name) == 0) return c;
  }
  return NULL;
}

static bool simple_op(cli_ctx *ctx, const char *op, const char *ref, bool force, int *rc) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Id", ref);
  if (force) cJSON_AddBoolToObject(p, "Force", true);
  cJSON *result = NULL;
  bool ok = cli_call(ctx, op, p, &result, rc);
  cJSON_Delete(result);
  return ok;
}

/* --- output of several containers at once ------------------------------------------------------------- */

typedef struct follower {
  cli_ctx ctx; /* a connection of its own */
  const char *name;
  pthread_mutex_t *out_lock;
  int width;
  bool at_line_start;
  bool follow;
  pthread_t thread;
  bool started;
  volatile bool done;
} follower;

static void follower_frame(void *arg, const char *kind, const cJSON *data) {
  follower *f = arg;
  char *bytes = NULL;
  size_t len = 0;
  if (strcmp(kind, "stdout") != 0 && strcmp(kind, "stderr") != 0) return;
  if (!cli_frame_bytes(data, &bytes, &len)) return;
  pthread_mutex_lock(f->out_lock);
  FILE *out = f->ctx.p->out;
  for (size_t at = 0; at < len;) {
    if (f->at_line_start) fprintf(out, "%-*s | ", f->width, f->name);
    const char *nl = memchr(bytes + at, '\n', len - at);
    size_t n = nl != NULL ? (size_t)(nl - (bytes + at)) + 1 : len - at;
    /* The container's bytes exactly; the prefix is wctr's own. */
    cli_write_output(&f->ctx, out, bytes + at, n);
    f->at_line_start = nl != NULL;
    at += n;
  }
  fflush(out);
  pthread_mutex_unlock(f->out_lock);
  free(bytes);
}

static void *follower_main(void *arg) {
  follower *f = arg;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Id", f->name);
  cJSON_AddBoolToObject(p, "Follow", f->follow);
  cJSON *result = NULL;
  int rc = 0;
  cli_stream(&f->ctx, "container.logs", p, follower_frame, f, &result, &rc);
  cJSON_Delete(result);
  if (f->ctx.conn != NULL) f->ctx.p->disconnect(f->ctx.conn);
  f->ctx.conn = NULL;
  f->done = true;
  return NULL;
}

/* Shows the output of the named containers (all of it, then, with follow, what comes until they exit).
 * on_interrupt is called once when the platform reports an interrupt. */
static void show_output(cli_ctx *ctx, char **names, size_t count, bool follow, void (*on_interrupt)(void *),
                        void *arg) {
  pthread_mutex_t lock;
  pthread_mutex_init(&lock, NULL);
  follower *fs = calloc(count > 0 ? count : 1, sizeof *fs);
  int width = 0;
  for (size_t i = 0; i < count; i++) {
    int n = (int)strlen(names[i]);
    if (n > width) width = n;
  }
  for (size_t i = 0; fs != NULL && i < count; i++) {
    fs[i] = (follower){.ctx = {.p = ctx->p}, .name = names[i], .out_lock = &lock, .width = width,
                       .at_line_start = true, .follow = follow};
    memcpy(fs[i].ctx.pipe_path, ctx->pipe_path, sizeof fs[i].ctx.pipe_path);
    /* Without -f the outputs come one container after the other, as compose prints them. */
    if (!follow) {
      follower_main(&fs[i]);
      continue;
    }
    fs[i].started = pthread_create(&fs[i].thread, NULL, follower_main, &fs[i]) == 0;
    if (!fs[i].started) fs[i].done = true;
  }
  bool interrupted = false;
  for (bool all_done = false; follow && fs != NULL && !all_done;) {
    all_done = true;
    for (size_t i = 0; i < count; i++) all_done = all_done && fs[i].done;
    /* Only a caller that acts on an interrupt asks for it: asking takes Ctrl+C over (cli/cli.h). */
    if (!interrupted && on_interrupt != NULL && ctx->p->interrupted != NULL && ctx->p->interrupted(ctx->p->ctx)) {
      interrupted = true;
      on_interrupt(arg);
    }
    if (!all_done) sleep_ms(100);
  }
  for (size_t i = 0; fs != NULL && i < count; i++) {
    if (fs[i].started) pthread_join(fs[i].thread, NULL);
  }
  free(fs);
  pthread_mutex_destroy(&lock);
}

/* --- up ---------------------------------------------------------------------------------------------- */

typedef struct up_state {
  cli_ctx *ctx;
  const compose_project *p;
  char **names; /* every service's container, in start order */
} up_state;

static void stop_all(void *arg) {
  up_state *u = arg;
  fprintf(u->ctx->p->err, "Gracefully stopping... (press Ctrl+C again to force)\n");
  for (size_t i = u->p->service_count; i-- > 0;) {
    int rc = 0;
    if (simple_op(u->ctx, "container.stop", u->names[i], false, &rc)) {
      fprintf(u->ctx->p->err, " Container %s  Stopped\n", u->names[i]);
    }
  }
}

/* Removes the containers this up created, newest first. */
static void roll_back(cli_ctx *ctx, char **created, size_t count) {
  for (size_t i = count; i-- > 0;) {
    int rc = 0;
    if (simple_op(ctx, "container.remove", created[i], true, &rc)) {
      fprintf(ctx->p->err, " Container %s  Removed (this up failed)\n", created[i]);
    }
  }
}

/* --- networks ------------------------------------------------------------------------------------------ */

/* True when the network (a NetworkResource) carries the project's label. */
static bool project_network(const cJSON *net, const char *project) {
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(net, "Labels");
  return strcmp(str_field(labels, PROJECT_LABEL), project) == 0;
}

/* Before anything exists: an external network must exist; a project network that exists is reused (with
 * compose's warning when it is not the project's); create[i] is set for the others. */
static bool networks_check(cli_ctx *ctx, const compose_project *p, bool *create, int *rc) {
  for (size_t i = 0; i < p->network_count; i++) {
    const compose_network *n = &p->networks[i];
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Id", n->name);
    cJSON *found = NULL;
    wctr_errmsg e;
    int one = 0;
    if (!cli_call_ex(ctx, "network.inspect", q, &found, &one, &e)) {
      if (e.code != WCTR_ENOENT || ctx->conn == NULL) {
        if (e.text[0] != '\0' && ctx->conn != NULL) fprintf(ctx->p->err, "wctr compose: network %s: %s\n", n->name, e.text);
        *rc = one;
        return false;
      }
      if (n->external) {
        fprintf(ctx->p->err, "wctr compose: network %s declared as external, but could not be found\n", n->name);
        *rc = CLI_EXIT_ERROR;
        return false;
      }
      create[i] = true;
      continue;
    }
    if (!n->external && !project_network(found, p->name)) {
      fprintf(ctx->p->err, "WARNING: a network with name %s exists but was not created for project \"%s\"; it is used "
              "as it is (set `external: true` to use an existing network)\n", n->name, p->name);
    }
    cJSON_Delete(found);
  }
  return true;
}

/* Creates the networks marked in create, labelled for the project; created[i] says which were. */
static bool networks_create(cli_ctx *ctx, const compose_project *p, const bool *create, bool *created, int *rc) {
  for (size_t i = 0; i < p->network_count; i++) {
    const compose_network *n = &p->networks[i];
    if (!create[i]) continue;
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Name", n->name);
    cJSON_AddStringToObject(q, "Driver", "nat");
    if (n->subnet != NULL) cJSON_AddStringToObject(q, "Subnet", n->subnet);
    if (n->gateway != NULL) cJSON_AddStringToObject(q, "Gateway", n->gateway);
    cJSON *labels = cJSON_AddObjectToObject(q, "Labels");
    for (size_t k = 0; k < n->label_count; k++) {
      const char *eq = strchr(n->labels[k], '=');
      char key[256];
      snprintf(key, sizeof key, "%.*s", (int)(eq != NULL ? (size_t)(eq - n->labels[k]) : strlen(n->labels[k])),
               n->labels[k]);
      cJSON_AddStringToObject(labels, key, eq != NULL ? eq + 1 : "");
    }
    cJSON_AddStringToObject(labels, COMPOSE_LABEL_NETWORK, n->key);
    cJSON_AddStringToObject(labels, PROJECT_LABEL, p->name);
    cJSON *result = NULL;
    if (!cli_call(ctx, "network.create", q, &result, rc)) return false;
    cJSON_Delete(result);
    created[i] = true;
    fprintf(ctx->p->err, " Network %s  Created\n", n->name);
  }
  return true;
}

static void networks_roll_back(cli_ctx *ctx, const compose_project *p, const bool *created) {
  for (size_t i = p->network_count; created != NULL && i-- > 0;) {
    int rc = 0;
    if (created[i] && simple_op(ctx, "network.remove", p->networks[i].name, false, &rc)) {
      fprintf(ctx->p->err, " Network %s  Removed (this up failed)\n", p->networks[i].name);
    }
  }
}

/* The credentialspec= value of a params document, or NULL. */
static const char *credspec_value(const cJSON *params) {
  const cJSON *so = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(params, "HostConfig"), "SecurityOpt");
  const cJSON *opt = cJSON_IsArray(so) ? so->child : NULL;
  if (!cJSON_IsString(opt)) return NULL;
  const char *eq = strchr(opt->valuestring, '=');
  return eq != NULL ? eq + 1 : NULL;
}

/* depends_on service_healthy: polls the dependency's State.Health until healthy (" Container X  Healthy"),
 * compose's messages when it is unhealthy or has exited. Bounded: the start period, then retries + 1 probes
 * of interval + timeout (Docker's defaults for what is not given), and 10 s more - past that the probe will
 * not say healthy on its own. */
static bool wait_healthy(cli_ctx *ctx, const compose_service *dep, int *rc) {
  const int64_t ms = 1000000, def = 30000 * ms;
  int64_t interval = dep->health_interval_ns > 0 ? dep->health_interval_ns : def;
  int64_t timeout = dep->health_timeout_ns > 0 ? dep->health_timeout_ns : def;
  int64_t retries = dep->health_retries > 0 ? dep->health_retries : 3;
  int64_t bound_ms = (dep->health_start_period_ns + (interval + timeout) * (retries + 1)) / ms + 10000;
  fprintf(ctx->p->err, " Container %s  Waiting\n", dep->container_name);
  fflush(ctx->p->err);
  for (int64_t waited = 0;; waited += 100) {
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Id", dep->container_name);
    cJSON *result = NULL;
    if (!cli_call(ctx, "container.inspect", q, &result, rc)) return false;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(result, "State");
    const char *status = str_field(state, "Status");
    const char *health = str_field(cJSON_GetObjectItemCaseSensitive(state, "Health"), "Status");
    bool healthy = strcmp(health, "healthy") == 0;
    bool unhealthy = strcmp(health, "unhealthy") == 0;
    bool exited = strcmp(status, "exited") == 0;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(state, "ExitCode");
    long long exit_code = cJSON_IsNumber(code) ? (long long)code->valuedouble : -1;
    cJSON_Delete(result);
    if (healthy) {
      fprintf(ctx->p->err, " Container %s  Healthy\n", dep->container_name);
      return true;
    }
    const char *why = NULL;
    char text[160];
    if (unhealthy) {
      why = "is unhealthy";
    } else if (exited) {
      snprintf(text, sizeof text, "exited (%lld)", exit_code);
      why = text;
    } else if (waited >= bound_ms) {
      snprintf(text, sizeof text, "is still not healthy after %lld s", (long long)(bound_ms / 1000));
      why = text;
    }
    if (why != NULL) {
      fprintf(ctx->p->err, "wctr compose: dependency failed to start: container %s %s\n", dep->container_name, why);
      *rc = CLI_EXIT_ERROR;
      return false;
    }
    sleep_ms(100);
  }
}

int cli_compose_up(cli_ctx *ctx, const compose_project *p, bool detach, compose_read_fn read_file, void *io) {
  int rc = 0;
  size_t n = p->service_count;
  cJSON **params = calloc(n + 1, sizeof *params);
  char **names = calloc(n + 1, sizeof *names);
  char **created = calloc(n + 1, sizeof *created);
  size_t created_count = 0;
  bool *net_create = calloc(p->network_count + 1, sizeof *net_create);
  bool *net_created = calloc(p->network_count + 1, sizeof *net_created);
  cJSON *existing = NULL;
  wctr_errmsg e;
  if (params == NULL || names == NULL || created == NULL || net_create == NULL || net_created == NULL) {
    rc = CLI_EXIT_ERROR;
    goto done;
  }
  /* 1. Everything that can be checked is checked before anything exists. */
  for (size_t i = 0; i < n; i++) {
    names[i] = p->services[i].container_name;
    if (cli_compose_create_request(p, &p->services[i], read_file, io, &params[i], &e) != WCTR_OK) {
      fprintf(ctx->p->err, "wctr compose: %s\n", e.text);
      rc = CLI_EXIT_ERROR;
      goto done;
    }
  }
  for (size_t i = 0; i < n; i++) {
    const char *value = credspec_value(params[i]);
    if (value == NULL) continue;
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Value", value);
    cJSON *result = NULL;
    int one = 0;
    bool ok = cli_call_ex(ctx, "credentialspec.check", q, &result, &one, &e);
    if (ok) {
      fprintf(ctx->p->err, "services.%s.credential_spec: %s is valid\n", p->services[i].name, str_field(result, "Source"));
    } else if (e.text[0] != '\0' && one == ctx->fail_code && ctx->conn != NULL) {
      fprintf(ctx->p->err, "wctr compose: services.%s.credential_spec: %s\n", p->services[i].name, e.text);
    }
    cJSON_Delete(result);
    if (!ok) {
      rc = one;
      goto done;
    }
  }
  if (!networks_check(ctx, p, net_create, &rc)) goto done;
  /* depends_on service_healthy needs a probe on the dependency: compose's message, before anything exists. */
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < p->services[i].depends_on_healthy_count; k++) {
      const compose_service *dep = compose_find_service(p, p->services[i].depends_on_healthy[k]);
      if (dep == NULL || (dep->health_test_count > 0 && strcmp(dep->health_test[0], "NONE") != 0)) continue;
      fprintf(ctx->p->err, "wctr compose: container %s has no healthcheck configured\n", dep->container_name);
      rc = CLI_EXIT_ERROR;
      goto done;
    }
  }
  existing = list_project(ctx, p->name, &rc);
  if (existing == NULL) goto done;
  /* 2. The project's volumes: an external one must exist; the others are created (a second create of a
   * name is no error, as Docker's), labelled as docker compose labels them. */
  for (size_t i = 0; i < p->volume_count; i++) {
    const compose_volume *v = &p->volumes[i];
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Name", v->name);
    cJSON *result = NULL;
    int one = 0;
    if (v->external) {
      if (!cli_call_ex(ctx, "volume.inspect", q, &result, &one, &e)) {
        if (ctx->conn != NULL) fprintf(ctx->p->err, "wctr compose: external volume \"%s\" not found\n", v->name);
        rc = one;
        goto done;
      }
      cJSON_Delete(result);
      continue;
    }
    cJSON *labels = cJSON_AddObjectToObject(q, "Labels");
    for (size_t k = 0; k < v->label_count; k++) {
      const char *eq = strchr(v->labels[k], '=');
      char key[256];
      snprintf(key, sizeof key, "%.*s", (int)(eq - v->labels[k]), v->labels[k]);
      cJSON_AddStringToObject(labels, key, eq + 1);
    }
    cJSON_AddStringToObject(labels, "com.docker.compose.project", p->name);
    cJSON_AddStringToObject(labels, "com.docker.compose.volume", v->key);
    if (!cli_call(ctx, "volume.create", q, &result, &rc)) goto done;
    fprintf(ctx->p->err, " Volume \"%s\"  Created\n", v->name);
    cJSON_Delete(result);
  }
  /* 3. The networks, then the containers that are missing, in start order. */
  if (!networks_create(ctx, p, net_create, net_created, &rc)) {
    fprintf(ctx->p->err, "wctr compose: a network could not be created; undoing this up\n");
    networks_roll_back(ctx, p, net_created);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    if (find_named(existing, names[i]) != NULL) {
      fprintf(ctx->p->err, " Container %s  Exists\n", names[i]);
      continue;
    }
    cJSON *result = NULL;
    cJSON *request = params[i];
    params[i] = NULL;
    if (!cli_call(ctx, "container.create", request, &result, &rc)) {
      fprintf(ctx->p->err, "wctr compose: service %s could not be created; undoing this up\n", p->services[i].name);
      roll_back(ctx, created, created_count);
      networks_roll_back(ctx, p, net_created);
      goto done;
    }
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(result, "Warnings")) {
      if (cJSON_IsString(w)) fprintf(ctx->p->err, "WARNING: %s: %s\n", names[i], w->valuestring);
    }
    cJSON_Delete(result);
    created[created_count++] = names[i];
    fprintf(ctx->p->err, " Container %s  Created\n", names[i]);
  }
  /* 3. Start in the same order (dependencies first). */
  for (size_t i = 0; i < n; i++) {
    const cJSON *before = find_named(existing, names[i]);
    if (before != NULL && (strcmp(str_field(before, "State"), "running") == 0 ||
                           strcmp(str_field(before, "State"), "paused") == 0)) {
      fprintf(ctx->p->err, " Container %s  Running\n", names[i]);
      continue;
    }
    /* depends_on condition service_completed_successfully: that service's container must have exited with 0
     * (it started earlier in this loop, dependencies first) */
    bool waited_ok = true;
    for (size_t k = 0; waited_ok && k < p->services[i].depends_on_completed_count; k++) {
      const compose_service *dep = compose_find_service(p, p->services[i].depends_on_completed[k]);
      if (dep == NULL) continue;
      fprintf(ctx->p->err, " Container %s  Waiting\n", dep->container_name);
      fflush(ctx->p->err);
      cJSON *q = cJSON_CreateObject();
      cJSON_AddStringToObject(q, "Id", dep->container_name);
      cJSON *result = NULL;
      int one = 0;
      waited_ok = cli_stream(ctx, "container.wait", q, NULL, NULL, &result, &one);
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "StatusCode");
      long long status = cJSON_IsNumber(code) ? (long long)code->valuedouble : -1;
      if (waited_ok && status != 0) {
        fprintf(ctx->p->err, "wctr compose: service \"%s\" didn't complete successfully: exit %lld\n", dep->name, status);
        waited_ok = false;
        one = CLI_EXIT_ERROR;
      } else if (waited_ok) {
        fprintf(ctx->p->err, " Container %s  Exited\n", dep->container_name);
      }
      if (!waited_ok) rc = one;
      cJSON_Delete(result);
    }
    for (size_t k = 0; waited_ok && k < p->services[i].depends_on_healthy_count; k++) {
      const compose_service *dep = compose_find_service(p, p->services[i].depends_on_healthy[k]);
      if (dep != NULL) waited_ok = wait_healthy(ctx, dep, &rc);
    }
    if (!waited_ok || !simple_op(ctx, "container.start", names[i], false, &rc)) {
      fprintf(ctx->p->err, "wctr compose: service %s could not be started; undoing this up\n", p->services[i].name);
      roll_back(ctx, created, created_count);
      networks_roll_back(ctx, p, net_created);
      goto done;
    }
    fprintf(ctx->p->err, " Container %s  Started\n", names[i]);
  }
  fflush(ctx->p->err);
  if (!detach) {
    up_state u = {.ctx = ctx, .p = p, .names = names};
    fprintf(ctx->p->err, "Attaching to %zu container%s (Ctrl+C stops them)\n", n, n == 1 ? "" : "s");
    fflush(ctx->p->err);
    show_output(ctx, names, n, true, stop_all, &u);
  }
done:
  for (size_t i = 0; params != NULL && i < n; i++) gmsa_json_secure_delete(params[i]);
  free(params);
  free(names);
  free(created);
  free(net_create);
  free(net_created);
  cJSON_Delete(existing);
  return rc;
}

/* --- down, ps, logs ----------------------------------------------------------------------------------- */

/* The project's containers (container.list by label) and their names in start order: the file's services
 * first (their order), then any others the label finds (a service since removed from the file). */
typedef struct project_view {
  cJSON *list;
  const char **order; /* names, into list */
  size_t count;
} project_view;

static bool project_view_load(cli_ctx *ctx, const compose_project *p, project_view *v, int *rc) {
  memset(v, 0, sizeof *v);
  v->list = list_project(ctx, p->name, rc);
  if (v->list == NULL) return false;
  size_t cap = (size_t)cJSON_GetArraySize(v->list) + 1;
  v->order = calloc(cap, sizeof *v->order);
  if (v->order == NULL) {
    cJSON_Delete(v->list);
    *rc = CLI_EXIT_ERROR;
    return false;
  }
  for (size_t i = 0; i < p->service_count; i++) {
    const cJSON *c = find_named(v->list, p->services[i].container_name);
    if (c != NULL) v->order[v->count++] = str_field(c, "Name");
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, v->list) {
    bool known = false;
    for (size_t i = 0; i < v->count && !known; i++) known = strcmp(v->order[i], str_field(c, "Name")) == 0;
    if (!known && v->count + 1 < cap) v->order[v->count++] = str_field(c, "Name");
  }
  return true;
}

static void project_view_free(project_view *v) {
  free(v->order);
  cJSON_Delete(v->list);
  memset(v, 0, sizeof *v);
}

/* op with q (taken); compose's progress line " <what> <name>  <done>" once it succeeded, or its exit code in
 * *rc when it failed (cli_call printed why): the caller goes on with the next object, as docker compose does. */
static void call_and_say(cli_ctx *ctx, const char *op, cJSON *q, const char *what, const char *name, const char *done,
                         int *rc) {
  cJSON *result = NULL;
  int one = 0;
  if (cli_call(ctx, op, q, &result, &one)) {
    fprintf(ctx->p->err, " %s %s  %s\n", what, name, done);
  } else {
    *rc = one;
  }
  cJSON_Delete(result);
}

int cli_compose_down(cli_ctx *ctx, const compose_project *p, bool volumes) {
  int rc = 0;
  project_view v;
  if (!project_view_load(ctx, p, &v, &rc)) return rc;
  const char **order = v.order;
  for (size_t i = v.count; i-- > 0;) {
    const cJSON *c = find_named(v.list, order[i]);
    int one = 0;
    /* a paused container is running (the stop resumes it first) */
    if (strcmp(str_field(c, "State"), "running") == 0 || strcmp(str_field(c, "State"), "paused") == 0) {
      if (!simple_op(ctx, "container.stop", order[i], false, &one)) {
        rc = one;
        continue;
      }
      fprintf(ctx->p->err, " Container %s  Stopped\n", order[i]);
    }
    /* -v: the container's anonymous volumes go with it. */
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Id", order[i]);
    if (volumes) cJSON_AddBoolToObject(q, "RemoveVolumes", true);
    call_and_say(ctx, "container.remove", q, "Container", order[i], "Removed", &rc);
  }
  project_view_free(&v);
  {
    /* Then the networks up created: the ones labelled for the project (also a network a service no longer
     * in the file joined); external ones never carry the label. */
    cJSON *q = cJSON_CreateObject();
    cJSON *labels = cJSON_AddArrayToObject(cJSON_AddObjectToObject(q, "Filters"), "label");
    char filter[300];
    snprintf(filter, sizeof filter, PROJECT_LABEL "=%s", p->name);
    cJSON_AddItemToArray(labels, cJSON_CreateString(filter));
    cJSON *nets = NULL;
    int one = 0;
    if (!cli_call(ctx, "network.list", q, &nets, &one)) return one;
    const cJSON *net;
    cJSON_ArrayForEach(net, nets) {
      if (!project_network(net, p->name)) continue;
      if (simple_op(ctx, "network.remove", str_field(net, "Name"), false, &one)) {
        fprintf(ctx->p->err, " Network %s  Removed\n", str_field(net, "Name"));
      } else {
        rc = one;
      }
    }
    cJSON_Delete(nets);
  }
  /* -v: the project's named volumes too, never an external one; one already gone is no error. */
  for (size_t i = 0; volumes && rc == 0 && i < p->volume_count; i++) {
    if (p->volumes[i].external) continue;
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Name", p->volumes[i].name);
    cJSON_AddBoolToObject(q, "Force", true);
    call_and_say(ctx, "volume.remove", q, "Volume", p->volumes[i].name, "Removed", &rc);
  }
  return rc;
}

int cli_compose_ps(cli_ctx *ctx, const compose_project *p) {
  int rc = 0;
  project_view v;
  if (!project_view_load(ctx, p, &v, &rc)) return rc;
  char now[40];
  cli_now(ctx, now, sizeof now);
  /* Columns as wide as their content (docker/cli's tabwriter). */
  docker_buf table;
  docker_buf_init(&table, 0);
  docker_buf_adds(&table, "NAME\tSERVICE\tISOLATION\tSTATUS\n");
  for (size_t i = 0; i < v.count; i++) {
    const cJSON *c = find_named(v.list, v.order[i]);
    char status[160];
    docker_container_status(c, now, status, sizeof status);
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
    docker_buf_addf(&table, "%s\t%s\t%s\t%s\n", v.order[i], str_field(labels, SERVICE_LABEL), str_field(c, "Isolation"),
                 status);
  }
  docker_buf out;
  docker_buf_init(&out, 0);
  docker_tabwrite(table.data != NULL ? table.data : "", table.len, 10, 3, &out);
  cli_print_buf(ctx->p->out, out.data, out.len);
  docker_buf_free(&out);
  docker_buf_free(&table);
  project_view_free(&v);
  return 0;
}

int cli_compose_logs(cli_ctx *ctx, const compose_project *p, const char *service, bool follow) {
  int rc = 0;
  if (service != NULL && compose_find_service(p, service) == NULL) {
    fprintf(ctx->p->err, "wctr compose logs: no such service: %s\n", service);
    return CLI_EXIT_ERROR;
  }
  project_view v;
  if (!project_view_load(ctx, p, &v, &rc)) return rc;
  char **names = calloc(v.count + 1, sizeof *names);
  size_t kept = 0;
  for (size_t i = 0; names != NULL && i < v.count; i++) {
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(find_named(v.list, v.order[i]), "Labels");
    if (service == NULL || strcmp(str_field(labels, SERVICE_LABEL), service) == 0) names[kept++] = (char *)v.order[i];
  }
  show_output(ctx, names, kept, follow, NULL, NULL);
  free(names);
  project_view_free(&v);
  return 0;
}

int cli_compose_ps_quiet(cli_ctx *ctx, const compose_project *p) {
  int rc = 0;
  project_view v;
  if (!project_view_load(ctx, p, &v, &rc)) return rc;
  for (size_t i = 0; i < v.count; i++) fprintf(ctx->p->out, "%s\n", str_field(find_named(v.list, v.order[i]), "Id"));
  project_view_free(&v);
  return 0;
}

/* Whether every name in services is one of p's; otherwise prints "<prefix>no such service: NAME" for the first
 * that is not (the commands that take SERVICE... say it each in its own words). */
static bool services_exist(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count,
                           const char *prefix) {
  for (size_t k = 0; k < count; k++) {
    if (compose_find_service(p, services[k]) == NULL) {
      fprintf(ctx->p->err, "%sno such service: %s\n", prefix, services[k]);
      return false;
    }
  }
  return true;
}

/* Whether s is among the services asked for: all of them when none is named. */
static bool service_named(const compose_service *s, const char *const *services, size_t count) {
  bool named = count == 0;
  for (size_t k = 0; k < count && !named; k++) named = strcmp(services[k], s->name) == 0;
  return named;
}

/* op on the container of each service asked for, in the project's order, with " Container NAME  <before>" (when
 * not NULL) ahead of the call and " Container NAME  <after>" once it succeeded. A failure (cli_call printed it)
 * does not stop the others: the exit code is the last failure's. timeout < 0: the call has none. */
static int each_container(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count,
                          const char *op, int64_t timeout, const char *before, const char *after) {
  int rc = 0;
  for (size_t i = 0; i < p->service_count; i++) {
    const compose_service *s = &p->services[i];
    if (!service_named(s, services, count)) continue;
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Id", s->container_name);
    if (timeout >= 0) cJSON_AddNumberToObject(q, "Timeout", (double)timeout);
    if (before != NULL) fprintf(ctx->p->err, " Container %s  %s\n", s->container_name, before);
    call_and_say(ctx, op, q, "Container", s->container_name, after, &rc);
  }
  return rc;
}

int cli_compose_restart(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count,
                        int64_t timeout) {
  if (!services_exist(ctx, p, services, count, "wctr compose restart: ")) return CLI_EXIT_ERROR;
  return each_container(ctx, p, services, count, "container.restart", timeout, "Restarting", "Started");
}

int cli_compose_pull(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count, bool quiet,
                     bool ignore_failures) {
  if (!services_exist(ctx, p, services, count, "")) return CLI_EXIT_ERROR;
  int rc = 0;
  for (size_t i = 0; i < p->service_count; i++) {
    const compose_service *s = &p->services[i];
    if (!service_named(s, services, count)) continue;
    if (s->isolation == WCTR_ISOLATION_JOB) {
      /* A job container's image is a folder on the host (or "host"): there is nothing to pull. */
      if (!quiet) fprintf(ctx->p->err, " %s Skipped - a job container's image is a host folder\n", s->name);
      continue;
    }
    if (!quiet) fprintf(ctx->p->err, " %s Pulling\n", s->name);
    /* image.pull through wctr pull's own path (its credentials, its errors), its progress kept quiet. */
    int one = cli_pull_image(ctx, s->image, true, ctx->p->err);
    if (one == 0) {
      if (!quiet) fprintf(ctx->p->err, " %s Pulled\n", s->name);
      continue;
    }
    if (!quiet) fprintf(ctx->p->err, " %s Error\n", s->name);
    if (!ignore_failures) return CLI_EXIT_ERROR;
    rc = 0; /* docker compose: the failure is reported and the pull goes on */
  }
  return rc;
}

int cli_compose_pause(cli_ctx *ctx, const compose_project *p, const char *const *services, size_t count, bool pause) {
  if (!services_exist(ctx, p, services, count, pause ? "wctr compose pause: " : "wctr compose unpause: ")) {
    return CLI_EXIT_ERROR;
  }
  return each_container(ctx, p, services, count, pause ? "container.pause" : "container.unpause", -1, NULL,
                        pause ? "Paused" : "Unpaused");
}

enum { X_DETACH = 1, X_ENV, X_USER, X_WORKDIR, X_INDEX, X_NO_TTY, X_PRIVILEGED, X_TTY, X_INTERACTIVE, X_HELP };

int cli_compose_exec(cli_ctx *ctx, const compose_project *p, char **words, int count) {
  static const wctr_opt table[] = {{"detach", 'd', false, X_DETACH},   {"env", 'e', true, X_ENV},
                                   {"user", 'u', true, X_USER},        {"workdir", 'w', true, X_WORKDIR},
                                   {"index", 0, true, X_INDEX},        {"no-TTY", 'T', false, X_NO_TTY},
                                   {"privileged", 0, false, X_PRIVILEGED}, {"tty", 't', false, X_TTY},
                                   {"interactive", 'i', false, X_INTERACTIVE}, {"help", 'h', false, X_HELP},
                                   {NULL, 0, false, 0}};
  /* wctr exec's words: "exec", -i, -t?, the flags passed on, the container, the command */
  /* at most two words out for each word in ("-eK=V" becomes -e K=V), and -i, -t, the container */
  char **argv = calloc(2 * (size_t)count + 8, sizeof *argv);
  if (argv == NULL) return CLI_EXIT_ERROR;
  int n = 0;
  argv[n++] = (char *)"exec";
  bool tty = true, detach = false, help = false, interactive = true;
  int rc = 0;
  wctr_opts st;
  wctr_opts_init(&st, count, words, 0);
  int id;
  const char *value;
  wctr_errmsg e;
  int r;
  /* The flags passed on are written again in wctr exec's words (it checks them and words their errors). */
  while ((r = wctr_opts_next(&st, table, &id, &value, &e)) == 1) {
    if (id == X_NO_TTY) tty = !wctr_opts_flag(value);
    if (id == X_DETACH) detach = wctr_opts_flag(value);
    if (id == X_HELP) help = wctr_opts_flag(value);
    /* docker compose exec: -i is true by default and -i=false keeps stdin closed; -t is accepted and read by
     * nobody (compose reads -T). */
    if (id == X_INTERACTIVE) interactive = wctr_opts_flag(value);
    if (id == X_PRIVILEGED) argv[n++] = (char *)(wctr_opts_flag(value) ? "--privileged" : "--privileged=false");
    if (id == X_ENV || id == X_USER || id == X_WORKDIR) {
      argv[n++] = (char *)(id == X_ENV ? "-e" : id == X_USER ? "-u" : "-w");
      argv[n++] = (char *)value;
    }
    if (id == X_INDEX && strcmp(value, "1") != 0) {
      fprintf(ctx->p->err, "wctr compose exec: --index %s: each service has one container (#1)\n", value);
      free(argv);
      return CLI_EXIT_ERROR;
    }
  }
  if (r < 0) {
    fprintf(ctx->p->err, "wctr compose exec: %s\n", e.text);
    free(argv);
    return CLI_EXIT_FAILED;
  }
  if (help) {
    fputs(cli_compose_usage, ctx->p->out);
    free(argv);
    return 0;
  }
  int service_at = st.index;
  if (count - service_at < 2) {
    fprintf(ctx->p->err, "wctr compose exec: requires at least 2 arguments (SERVICE COMMAND)\n");
    free(argv);
    return CLI_EXIT_ERROR;
  }
  const compose_service *s = compose_find_service(p, words[service_at]);
  if (s == NULL) {
    fprintf(ctx->p->err, "wctr compose exec: no such service: %s\n", words[service_at]);
    free(argv);
    return CLI_EXIT_ERROR;
  }
  if (detach) argv[n++] = (char *)"-d";
  if (!detach && interactive) argv[n++] = (char *)"-i";
  if (tty && !detach && ctx->p->is_terminal != NULL && ctx->p->is_terminal(ctx->p->ctx, ctx->p->out)) {
    argv[n++] = (char *)"-t";
  }
  argv[n++] = s->container_name;
  for (int i = service_at + 1; i < count; i++) argv[n++] = words[i];
  rc = cli_cmd_exec(ctx, n, argv);
  free(argv);
  return rc;
}
