/* service/engine_api_containers.c - /containers (service/engine_api.h, engine_api_internal.h). Portable.
 *
 * Each endpoint is a short chain of operation steps (engine_api_internal.h). Where Docker answers before
 * anything else (404 for an unknown container, the Tty flag that decides the stream's framing, 304 for a
 * container already started or stopped), the chain begins with container.inspect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/log.h"
#include "service/engine_api_internal.h"
#include "service/manager.h"

enum { STATS_INTERVAL_MS = 1000 };

static int64_t now_unix(void) { return (int64_t)time(NULL); }

static const char *str_of(const cJSON *obj, const char *key, const char *def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : def;
}

static bool is_running(const cJSON *record) {
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(record, "State");
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(state, "Running"));
}

static bool is_tty(const cJSON *record) {
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(record, "Config");
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(config, "Tty"));
}

/* The full id of an inspected container (the path may name it by name or a prefix). */
static void keep_full_id(api_req *r, const cJSON *record) {
  const char *id = str_of(record, "Id", NULL);
  if (id == NULL) return;
  size_t n = strlen(id) + 1;
  char *copy = malloc(n);
  if (copy == NULL) return;
  memcpy(copy, id, n);
  free(r->id);
  r->id = copy;
}

/* A reply of 204 (or the operation's failure). */
static void done_204(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, 204, NULL);
}

/* --- list --------------------------------------------------------------------------------------------------------- */

typedef struct list_state {
  cJSON *filters;
  bool all;
  int64_t limit;
} list_state;

static void list_state_free(void *p) {
  list_state *s = p;
  if (s == NULL) return;
  cJSON_Delete(s->filters);
  free(s);
}

/* A list entry with its sort keys looked up once (a comparison by lookups cost more than the rest of the list). */
typedef struct list_item {
  const cJSON *c;
  const char *created;
  const char *id;
} list_item;

static int by_created_desc(const void *a, const void *b) {
  const list_item *x = a;
  const list_item *y = b;
  int c = strcmp(y->created, x->created);
  /* Docker's order for a tie (the same millisecond) is its own; a stable one keeps before/since exact. */
  return c != 0 ? c : strcmp(x->id, y->id);
}

static void list_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  list_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  int n = cJSON_GetArraySize(result);
  const cJSON **items = calloc(n > 0 ? (size_t)n : 1, sizeof *items);
  if (items == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  list_item *sorted = calloc(n > 0 ? (size_t)n : 1, sizeof *sorted);
  if (sorted == NULL) {
    free(items);
    api_reply_error(r, 500, "out of memory");
    return;
  }
  int count = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, result) {
    sorted[count++] = (list_item){.c = c, .created = str_of(c, "Created", ""), .id = str_of(c, "Id", "")};
  }
  qsort(sorted, (size_t)count, sizeof *sorted, by_created_desc);
  for (int i = 0; i < count; i++) items[i] = sorted[i].c;
  free(sorted);
  /* wctrd's container.list applied the filters (before/since included) and the state rule; the limit is the
   * newest N of what it kept. */
  int listed = 0;
  for (int i = 0; i < count && (s->limit <= 0 || listed < s->limit); i++) items[listed++] = items[i];
  size_t len = 0;
  char *text = api_shape_summaries_text(items, (size_t)listed, now_unix(), &len);
  free(items);
  if (text == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  api_reply_with(r, 200, NULL, API_JSON, text, len);
  free(text);
}

/* Docker's ps filters that wctr cannot decide, and why (a 400 naming the key rather than a list that looks right). */
static const struct {
  const char *key;
  const char *why;
} list_unsupported[] = {
    {"network", "wctr's container list does not filter on networks; GET /networks/{id} lists a network's containers"},
    {"publish", "wctr's container list does not filter on ports; each container's Ports are in the list"},
    {"expose", "wctr's container list does not filter on ports; each container's Ports are in the list"},
    {"volume", "the container list does not carry mounts; filter the output of /containers/{id}/json on Mounts"},
};

/* Values Docker refuses too: a status, health or is-task it does not know, an exit code that is not a number. */
static bool list_values_valid(api_req *r, const cJSON *filters) {
  static const char *const states[] = {"created", "restarting", "running", "removing", "paused", "exited", "dead", NULL};
  static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};
  static const char *const booleans[] = {"true", "false", NULL};
  static const struct {
    const char *key;
    const char *const *allowed;
  } checks[] = {{"status", states}, {"health", healths}, {"is-task", booleans}};
  for (size_t k = 0; k < sizeof checks / sizeof checks[0]; k++) {
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(filters, checks[k].key)) {
      bool ok = false;
      for (size_t i = 0; checks[k].allowed[i] != NULL && !ok; i++) ok = strcmp(v->valuestring, checks[k].allowed[i]) == 0;
      if (!ok) {
        api_refuse(r, 400, WCTR_EINVAL, r->op, "invalid filter '%s=%.64s'", checks[k].key, v->valuestring);
        return false;
      }
    }
  }
  const cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(filters, "exited")) {
    char *end = NULL;
    (void)strtoll(v->valuestring, &end, 10);
    if (v->valuestring[0] == '\0' || end == NULL || *end != '\0') {
      api_refuse(r, 400, WCTR_EINVAL, r->op, "invalid filter 'exited=%.64s': the exit code must be a whole number",
                 v->valuestring);
      return false;
    }
  }
  return true;
}

void api_containers_list(api_req *r) {
  static const char *const allowed[] = {"id",     "name",   "label",  "status", "exited", "ancestor", "isolation",
                                        "before", "since",  "health", "is-task", NULL};
  list_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = s;
  r->state_free = list_state_free;
  bool size = false;
  if (!api_query_bool(r, "all", false, &s->all) || !api_query_int(r, "limit", -1, -1, INT32_MAX, &s->limit) ||
      !api_query_bool(r, "size", false, &size) || !api_query_filters(r, &s->filters)) {
    return;
  }
  for (size_t i = 0; i < sizeof list_unsupported / sizeof list_unsupported[0]; i++) {
    if (cJSON_GetObjectItemCaseSensitive(s->filters, list_unsupported[i].key) != NULL) {
      api_refuse(r, 400, WCTR_EINVAL, r->op, "invalid filter '%s': %s", list_unsupported[i].key, list_unsupported[i].why);
      return;
    }
  }
  if (s->filters != NULL && !api_filters_check(r, s->filters, allowed, "/containers/json")) return;
  if (!list_values_valid(r, s->filters)) return;
  /* The filters are wctrd's container.list's (service/manager.h: dockerd's rules, a missing before/since
   * container is ENOENT, 404). Docker lists running containers only, unless all=1, a limit, before/since or a
   * status/exited filter asks for others. */
  bool any_state = s->all || s->limit > 0 || cJSON_GetObjectItemCaseSensitive(s->filters, "before") != NULL ||
                   cJSON_GetObjectItemCaseSensitive(s->filters, "since") != NULL ||
                   cJSON_GetObjectItemCaseSensitive(s->filters, "status") != NULL ||
                   cJSON_GetObjectItemCaseSensitive(s->filters, "exited") != NULL;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", any_state);
  if (s->filters != NULL && s->filters->child != NULL) cJSON_AddItemToObject(p, "Filters", cJSON_Duplicate(s->filters, true));
  if (size) cJSON_AddTrueToObject(p, "Size");
  api_call(r, "container.list", p, false, list_done);
}

/* --- create ------------------------------------------------------------------------------------------------------------ */

static void create_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "Id", str_of(result, "Id", ""));
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(result, "Warnings");
  cJSON_AddItemToObject(out, "Warnings", w != NULL ? cJSON_Duplicate(w, true) : cJSON_CreateArray());
  api_reply_json(r, 201, out);
}

void api_container_create(api_req *r) {
  char *name = api_query(r, "name");
  char *platform = api_query(r, "platform");
  bool platform_ok = platform == NULL || platform[0] == '\0' || strcmp(platform, "windows") == 0 ||
                     strncmp(platform, "windows/", 8) == 0;
  cJSON *body = NULL;
  wctr_errmsg be;
  wctr_err body_err = api_body_json(r, &body, &be);
  /* The audit names the container, or its image when it has no name yet. */
  const cJSON *image = cJSON_GetObjectItemCaseSensitive(body, "Image");
  const char *target = name != NULL && name[0] != '\0' ? name : cJSON_IsString(image) ? image->valuestring : "";
  size_t tn = strlen(target) + 1;
  r->id = malloc(tn);
  if (r->id != NULL) memcpy(r->id, target, tn);
  cJSON *params = NULL;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (!platform_ok) {
    api_refuse(r, 400, WCTR_EINVAL, "container.create", "platform \"%.64s\": wctr runs Windows containers only", platform);
  } else if (body_err == WCTR_OK && body == NULL) {
    api_refuse(r, 400, WCTR_EINVAL, "container.create", "the body must be a JSON object (Docker's container config)");
  } else if (body_err != WCTR_OK) {
    api_refuse(r, 400, WCTR_EINVAL, "container.create", "%s%s", be.text,
               strcmp(be.text, "the body is not JSON") == 0 ? ": it must be a JSON object (Docker's container config)" : "");
  } else if (api_shape_create(body, name, &params, &e) != WCTR_OK) {
    api_refuse(r, api_status_for(e.code), e.code, "container.create", "%s", e.text);
  } else {
    api_call(r, "container.create", params, false, create_done);
  }
  cJSON_Delete(body);
  free(name);
  free(platform);
}

/* --- inspect -------------------------------------------------------------------------------------------------------- */

static void inspect_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = api_shape_inspect(result);
  if (out == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  api_reply_json(r, 200, out);
}

void api_container_inspect(api_req *r) {
  bool size = false;
  if (!api_query_bool(r, "size", false, &size)) return;
  api_call(r, "container.inspect", api_id_params(r->id), false, inspect_done);
}

/* --- start, stop, restart, kill -------------------------------------------------------------------------------------- */

static void start_failed_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)message;
  if (err == WCTR_OK && is_running(result)) {
    api_reply_json(r, 304, NULL); /* Docker: already started */
    return;
  }
  const char *why = r->state;
  api_reply_failure(r, WCTR_ESTATE, why != NULL ? why : "the container cannot be started now");
}

static void start_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err == WCTR_OK && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "NotModified"))) {
    api_reply_json(r, 304, NULL); /* Docker: already started */
    return;
  }
  if (err == WCTR_ESTATE) {
    size_t n = message != NULL ? strlen(message) + 1 : 0;
    char *why = n > 0 ? malloc(n) : NULL;
    if (why != NULL) memcpy(why, message, n);
    r->state = why;
    r->state_free = free;
    api_call(r, "container.inspect", api_id_params(r->id), false, start_failed_inspected);
    return;
  }
  done_204(r, err, result, message);
}

void api_container_start(api_req *r) {
  const char *body = r->hr->body;
  if (body != NULL && r->hr->body_len > 0) {
    cJSON *b = cJSON_ParseWithLength(body, r->hr->body_len);
    bool empty = b == NULL ? false : (cJSON_IsNull(b) || (cJSON_IsObject(b) && b->child == NULL));
    cJSON_Delete(b);
    if (!empty) {
      api_refuse(r, 400, WCTR_EINVAL, "container.start",
                 "starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24");
      return;
    }
  }
  api_call(r, "container.start", api_id_params(r->id), false, start_done);
}

typedef struct stop_state {
  int64_t timeout;
} stop_state;

static void stop_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  stop_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  if (!is_running(result)) {
    api_reply_json(r, 304, NULL); /* Docker: already stopped */
    return;
  }
  keep_full_id(r, result);
  cJSON *p = api_id_params(r->id);
  if (s->timeout >= 0) cJSON_AddNumberToObject(p, "Timeout", (double)s->timeout);
  api_call(r, "container.stop", p, false, done_204);
}

static bool read_timeout(api_req *r, stop_state **out) {
  stop_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return false;
  }
  r->state = s;
  r->state_free = free;
  *out = s;
  return api_query_int(r, "t", -1, -1, SPEC_MAX_STOP_TIMEOUT, &s->timeout);
}

void api_container_stop(api_req *r) {
  stop_state *s = NULL;
  if (!read_timeout(r, &s)) return;
  api_call(r, "container.inspect", api_id_params(r->id), false, stop_inspected);
}

void api_container_restart(api_req *r) {
  stop_state *s = NULL;
  if (!read_timeout(r, &s)) return;
  cJSON *p = api_id_params(r->id);
  if (s->timeout >= 0) cJSON_AddNumberToObject(p, "Timeout", (double)s->timeout);
  api_call(r, "container.restart", p, false, done_204);
}

static void kill_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  const bool *term = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  if (!is_running(result)) {
    api_reply_error(r, 409, "Cannot kill container: %s: Container %s is not running", r->id, str_of(result, "Id", ""));
    return;
  }
  keep_full_id(r, result);
  cJSON *p = api_id_params(r->id);
  if (*term) cJSON_AddStringToObject(p, "Signal", "TERM");
  api_call(r, "container.kill", p, false, done_204);
}

/* The signal is read before the container is looked for, as dockerd's router does. */
void api_container_kill(api_req *r) {
  bool *term = calloc(1, sizeof *term);
  if (term == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = term;
  r->state_free = free;
  char *sig = api_query(r, "signal");
  wctr_errmsg e;
  wctr_err err = svc_kill_signal_parse(sig, term, &e);
  free(sig);
  if (err != WCTR_OK) {
    api_refuse(r, 400, err, "container.kill", "%s", e.text);
    return;
  }
  api_call(r, "container.inspect", api_id_params(r->id), false, kill_inspected);
}

/* --- wait -------------------------------------------------------------------------------------------------------------- */

typedef enum wait_cond { WAIT_NOT_RUNNING = 1, WAIT_NEXT_EXIT, WAIT_REMOVED } wait_cond;

typedef struct wait_state {
  wait_cond cond;
  char id[80];
  int64_t code;     /* the last exit code known */
  bool done;        /* r->lock: the answer is written */
} wait_state;

static void wait_write(api_req *r, int64_t code) {
  wait_state *s = r->state;
  wctr_mutex_lock(&r->lock);
  bool first = !s->done;
  s->done = true;
  wctr_mutex_unlock(&r->lock);
  if (!first) return;
  /* The head may not be out yet: the wait can end before wait_inspected has sent it (a container that is not
   * running). Whichever comes first sends it. */
  api_begin(r, 200, API_JSON);
  char body[96];
  int n = snprintf(body, sizeof body, "{\"Error\":null,\"StatusCode\":%lld}\n", (long long)code);
  api_write(r, body, (size_t)n);
  api_end(r);
}

/* not-running: the manager's container.wait. */
static void wait_op_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    if (!api_streaming(r)) {
      api_reply_failure(r, err, message);
    } else {
      api_end(r);
    }
    return;
  }
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "StatusCode");
  wait_write(r, cJSON_IsNumber(code) ? (int64_t)code->valuedouble : 0);
}

/* next-exit and removed: the container's events. */
static wctr_err wait_frame(api_req *r, const char *kind, cJSON *data) {
  wait_state *s = r->state;
  if (strcmp(kind, "event") == 0 && strcmp(str_of(data, "Id", ""), s->id) == 0) {
    const char *action = str_of(data, "Action", "");
    if (strcmp(action, "die") == 0) {
      const cJSON *code = cJSON_GetObjectItemCaseSensitive(data, "ExitCode");
      wctr_mutex_lock(&r->lock);
      s->code = cJSON_IsNumber(code) ? (int64_t)code->valuedouble : 0;
      wctr_mutex_unlock(&r->lock);
    }
    bool over = (s->cond == WAIT_NEXT_EXIT && strcmp(action, "die") == 0) ||
                (s->cond == WAIT_REMOVED && strcmp(action, "destroy") == 0);
    if (over) {
      wctr_mutex_lock(&r->lock);
      int64_t code = s->code;
      wctr_mutex_unlock(&r->lock);
      wait_write(r, code);
      api_stop_stream(r);
    }
  }
  cJSON_Delete(data);
  return WCTR_OK;
}

static void wait_events_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  (void)message;
  (void)err;
  api_end(r); /* the client left, or the answer was written */
}

/* The container may have been removed between the first inspect and the subscription. */
static void wait_rechecked(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  (void)message;
  wait_state *s = r->state;
  if (err == WCTR_ENOENT && s->cond == WAIT_REMOVED) {
    wctr_mutex_lock(&r->lock);
    int64_t code = s->code;
    wctr_mutex_unlock(&r->lock);
    wait_write(r, code);
    api_stop_stream(r);
  }
}

static void wait_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  wait_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  snprintf(s->id, sizeof s->id, "%s", str_of(result, "Id", ""));
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(result, "State");
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(state, "ExitCode");
  s->code = cJSON_IsNumber(code) ? (int64_t)code->valuedouble : 0;
  if (s->cond == WAIT_NOT_RUNNING) {
    api_call(r, "container.wait", api_id_params(s->id), true, wait_op_done);
  } else {
    r->on_frame = wait_frame;
    api_call(r, "events", NULL, true, wait_events_done);
  }
  /* Docker answers the head as soon as the wait is in place: `docker run` starts the container only then. */
  api_begin(r, 200, API_JSON);
  if (s->cond == WAIT_REMOVED) api_call(r, "container.inspect", api_id_params(s->id), false, wait_rechecked);
}

void api_container_wait(api_req *r) {
  char *cond = api_query(r, "condition");
  wait_cond c = WAIT_NOT_RUNNING;
  bool ok = true;
  if (cond != NULL && cond[0] != '\0') {
    if (strcmp(cond, "not-running") == 0) {
      c = WAIT_NOT_RUNNING;
    } else if (strcmp(cond, "next-exit") == 0) {
      c = WAIT_NEXT_EXIT;
    } else if (strcmp(cond, "removed") == 0) {
      c = WAIT_REMOVED;
    } else {
      ok = false;
    }
  }
  if (!ok) {
    api_refuse(r, 400, WCTR_EINVAL, "container.wait", "invalid condition: \"%.32s\" (not-running, next-exit or removed)",
               cond);
    free(cond);
    return;
  }
  free(cond);
  wait_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  s->cond = c;
  r->state = s;
  r->state_free = free;
  api_call(r, "container.inspect", api_id_params(r->id), false, wait_inspected);
}

/* --- output streams: attach and logs ------------------------------------------------------------------------------------ */

typedef struct stream_state {
  bool tty;       /* raw bytes; else Docker's multiplexed frames */
  bool stdout_on;
  bool stderr_on;
  bool stdin_on;
  bool follow;
  bool timestamps;
  bool details;
  int64_t tail;
  char since[40];
  char until[40];
} stream_state;

static wctr_err stream_output(api_req *r, svc_output_stream stream, const char *data, size_t len) {
  stream_state *s = r->state;
  if ((stream == SVC_STDOUT && !s->stdout_on) || (stream == SVC_STDERR && !s->stderr_on)) return WCTR_OK;
  if (s->tty) return api_write(r, data, len);
  return api_write_frame(r, stream == SVC_STDERR ? 2 : 1, data, len);
}

static void stream_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (!api_streaming(r)) {
    api_reply_failure(r, err != WCTR_OK ? err : WCTR_EINTERNAL, message);
    return;
  }
  if (err != WCTR_OK && err != WCTR_EPIPE) {
    wctr_log(WCTR_LOG_INFO, "engine api: %s of %s ended: %s", r->target, r->caller.name,
             message != NULL ? message : wctr_strerror(err));
  }
  api_end(r);
}

static stream_state *stream_state_new(api_req *r) {
  stream_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return NULL;
  }
  r->state = s;
  r->state_free = free;
  return s;
}

static void attach_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  stream_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  keep_full_id(r, result);
  s->tty = is_tty(result);
  if (api_hijack(r, API_RAW_STREAM) != WCTR_OK) {
    api_end(r);
    return;
  }
  cJSON *p = api_id_params(r->id);
  if (s->stdin_on) cJSON_AddBoolToObject(p, "Stdin", true);
  r->on_output = stream_output;
  api_call(r, "container.attach", p, true, stream_done);
}

void api_container_attach(api_req *r) {
  stream_state *s = stream_state_new(r);
  if (s == NULL) return;
  bool stream = false, logs = false;
  if (!api_query_bool(r, "stream", false, &stream) || !api_query_bool(r, "logs", false, &logs) ||
      !api_query_bool(r, "stdin", false, &s->stdin_on) || !api_query_bool(r, "stdout", false, &s->stdout_on) ||
      !api_query_bool(r, "stderr", false, &s->stderr_on)) {
    return;
  }
  if (logs) {
    api_refuse(r, 400, WCTR_EINVAL, "container.attach",
               "logs: replaying the log through attach is not supported; read it with /containers/{id}/logs");
    return;
  }
  if (!stream) {
    api_refuse(r, 400, WCTR_EINVAL, "container.attach", "stream: an attach without stream (and without logs) has nothing "
               "to send; set stream=1");
    return;
  }
  api_call(r, "container.inspect", api_id_params(r->id), false, attach_inspected);
}

static void logs_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  stream_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  keep_full_id(r, result);
  s->tty = is_tty(result);
  cJSON *p = api_id_params(r->id);
  cJSON_AddBoolToObject(p, "Follow", s->follow);
  cJSON_AddBoolToObject(p, "Timestamps", s->timestamps);
  if (s->details) cJSON_AddBoolToObject(p, "Details", true);
  if (s->tail >= 0) cJSON_AddNumberToObject(p, "Tail", (double)s->tail);
  if (s->since[0] != '\0') cJSON_AddStringToObject(p, "Since", s->since);
  if (s->until[0] != '\0') cJSON_AddStringToObject(p, "Until", s->until);
  if (api_begin(r, 200, API_RAW_STREAM) != WCTR_OK) {
    cJSON_Delete(p);
    api_end(r);
    return;
  }
  r->on_output = stream_output;
  api_call(r, "container.logs", p, true, stream_done);
}

void api_container_logs(api_req *r) {
  stream_state *s = stream_state_new(r);
  if (s == NULL) return;
  if (!api_query_bool(r, "follow", false, &s->follow) || !api_query_bool(r, "stdout", false, &s->stdout_on) ||
      !api_query_bool(r, "stderr", false, &s->stderr_on) || !api_query_bool(r, "timestamps", false, &s->timestamps) ||
      !api_query_bool(r, "details", false, &s->details)) {
    return;
  }
  if (!s->stdout_on && !s->stderr_on) {
    api_refuse(r, 400, WCTR_EINVAL, "container.logs", "Bad parameters: you must choose at least one stream");
    return;
  }
  char *tail = api_query(r, "tail");
  s->tail = -1;
  bool ok = true;
  if (tail != NULL && tail[0] != '\0' && strcmp(tail, "all") != 0) {
    char *end = NULL;
    long long n = strtoll(tail, &end, 10);
    ok = end != NULL && *end == '\0' && n >= 0 && n <= INT32_MAX;
    if (ok) s->tail = n;
  }
  if (!ok) {
    api_refuse(r, 400, WCTR_EINVAL, "container.logs", "invalid value for tail: \"%.32s\" (a number or \"all\")", tail);
    free(tail);
    return;
  }
  free(tail);
  char *since = api_query(r, "since");
  char *until = api_query(r, "until");
  /* Docker's since=0 / until=0 mean "not set". */
  bool bad_since = since != NULL && since[0] != '\0' && strcmp(since, "0") != 0 && !api_time_to_log(since, s->since);
  bool bad_until = until != NULL && until[0] != '\0' && strcmp(until, "0") != 0 && !api_time_to_log(until, s->until);
  free(since);
  free(until);
  if (bad_since || bad_until) {
    api_refuse(r, 400, WCTR_EINVAL, "container.logs", "invalid value for %s: a Unix time or an RFC 3339 time is expected",
               bad_since ? "since" : "until");
    return;
  }
  api_call(r, "container.inspect", api_id_params(r->id), false, logs_inspected);
}

/* --- stats ------------------------------------------------------------------------------------------------------------- */

typedef struct stats_state {
  bool stream;
} stats_state;

static void stats_next(void *arg);

static void stats_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  stats_state *s = r->state;
  if (err != WCTR_OK) {
    if (!api_streaming(r)) {
      api_reply_failure(r, err, message);
    } else {
      api_end(r); /* the container went, or the client did */
    }
    return;
  }
  double sample_ms = 0;
  const cJSON *ms = cJSON_GetObjectItemCaseSensitive(result, "SampleMs");
  if (cJSON_IsNumber(ms)) sample_ms = ms->valuedouble;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  int64_t pre_ns = now_ns - (int64_t)(sample_ms * 1e6);
  char read[40], preread[40];
  api_log_time(now_ns / 1000000000, now_ns % 1000000000, read);
  api_log_time(pre_ns / 1000000000, pre_ns % 1000000000, preread);
  cJSON *out = api_shape_stats(result, r->api->host.host_cpus, read, sample_ms > 0 ? preread : "0001-01-01T00:00:00Z");
  char *text = out != NULL ? wctr_json_print(out) : NULL;
  cJSON_Delete(out);
  if (!s->stream) {
    if (text == NULL) {
      api_reply_error(r, 500, "out of memory");
      return;
    }
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (line == NULL) {
      cJSON_free(text);
      api_reply_error(r, 500, "out of memory");
      return;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    api_reply_text(r, 200, API_JSON, line);
    free(line);
    return;
  }
  wctr_err werr = WCTR_ENOMEM;
  if (text != NULL) {
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (line != NULL) {
      line[n] = '\n';
      werr = api_write(r, line, n + 1);
      free(line);
    } else {
      cJSON_free(text);
    }
  }
  if (werr != WCTR_OK) {
    api_end(r);
    return;
  }
  /* Docker's stream: a sample a second (the operation's own sampling takes a quarter of it). */
  api_req_ref(r);
  wctr_errmsg e;
  uint32_t wait = sample_ms < STATS_INTERVAL_MS ? STATS_INTERVAL_MS - (uint32_t)sample_ms : 0;
  if (wctr_ioc_timer_start(r->api->ioc, wait, stats_next, r, NULL, &e) != WCTR_OK) {
    api_req_unref(r);
    api_end(r);
  }
}

static void stats_next(void *arg) {
  api_req *r = arg;
  api_call(r, "container.stats", api_id_params(r->id), false, stats_done);
  api_req_unref(r);
}

static void stats_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  stats_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  keep_full_id(r, result);
  if (s->stream && api_begin(r, 200, API_JSON) != WCTR_OK) {
    api_end(r);
    return;
  }
  api_call(r, "container.stats", api_id_params(r->id), false, stats_done);
}

void api_container_stats(api_req *r) {
  stats_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = s;
  r->state_free = free;
  bool one_shot = false;
  if (!api_query_bool(r, "stream", true, &s->stream) || !api_query_bool(r, "one-shot", false, &one_shot)) return;
  if (one_shot && s->stream) {
    api_refuse(r, 400, WCTR_EINVAL, "container.stats", "cannot have stream=true and one-shot=true");
    return;
  }
  api_call(r, "container.inspect", api_id_params(r->id), false, stats_inspected);
}

/* --- update, rename, delete, prune ------------------------------------------------------------------------------------- */

static void update_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = cJSON_CreateObject();
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(result, "Warnings");
  cJSON_AddItemToObject(out, "Warnings", w != NULL ? cJSON_Duplicate(w, true) : cJSON_CreateArray());
  api_reply_json(r, 200, out);
}

void api_container_update(api_req *r) {
  cJSON *body = NULL;
  wctr_errmsg be;
  if (api_body_json(r, &body, &be) != WCTR_OK) {
    api_refuse(r, 400, WCTR_EINVAL, "container.update", "%s%s", be.text,
               strcmp(be.text, "the body is not JSON") == 0 ? ": it must be a JSON object (Docker's update config)" : "");
    return;
  }
  cJSON *p = api_id_params(r->id);
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (api_shape_update(body, p, &e) != WCTR_OK) {
    cJSON_Delete(p);
    cJSON_Delete(body);
    api_refuse(r, api_status_for(e.code), e.code, "container.update", "%s", e.text);
    return;
  }
  cJSON_Delete(body);
  api_call(r, "container.update", p, false, update_done);
}

void api_container_rename(api_req *r) {
  char *name = api_query(r, "name");
  if (name == NULL || name[0] == '\0') {
    free(name);
    api_refuse(r, 400, WCTR_EINVAL, "container.rename", "name: the new name is required");
    return;
  }
  cJSON *p = api_id_params(r->id);
  cJSON_AddStringToObject(p, "Name", name);
  free(name);
  api_call(r, "container.rename", p, false, done_204);
}

void api_container_delete(api_req *r) {
  bool force = false, volumes = false, link = false;
  if (!api_query_bool(r, "force", false, &force) || !api_query_bool(r, "v", false, &volumes) ||
      !api_query_bool(r, "link", false, &link)) {
    return;
  }
  if (link) {
    api_refuse(r, 400, WCTR_EINVAL, "container.remove", "link: container links do not exist in wctr");
    return;
  }
  cJSON *p = api_id_params(r->id);
  if (force) cJSON_AddBoolToObject(p, "Force", true);
  /* v: its anonymous volumes go with it (docker rm -v); named ones stay, as dockerd's */
  if (volumes) cJSON_AddBoolToObject(p, "RemoveVolumes", true);
  api_call(r, "container.remove", p, false, done_204);
}

typedef struct prune_state {
  cJSON *filters;
  int64_t until;  /* Unix seconds; created after it: kept. INT64_MAX: no until */
  cJSON *todo;    /* ids left to remove */
  cJSON *deleted; /* ids removed */
} prune_state;

static void prune_state_free(void *p) {
  prune_state *s = p;
  if (s == NULL) return;
  cJSON_Delete(s->filters);
  cJSON_Delete(s->todo);
  cJSON_Delete(s->deleted);
  free(s);
}

static void prune_next(api_req *r, wctr_err err, cJSON *result, const char *message);

static void prune_removed(api_req *r, wctr_err err, cJSON *result, const char *message) {
  prune_state *s = r->state;
  cJSON *id = cJSON_DetachItemFromArray(s->todo, 0);
  if (err == WCTR_OK && id != NULL) {
    cJSON_AddItemToArray(s->deleted, id);
  } else {
    /* Started again or removed meanwhile: not pruned, as Docker skips it. */
    cJSON_Delete(id);
  }
  prune_next(r, WCTR_OK, result, message);
}

static void prune_next(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)err;
  (void)result;
  (void)message;
  prune_state *s = r->state;
  const cJSON *next = cJSON_GetArrayItem(s->todo, 0);
  if (next != NULL) {
    api_call(r, "container.remove", api_id_params(next->valuestring), false, prune_removed);
    return;
  }
  cJSON *out = cJSON_CreateObject();
  if (cJSON_GetArraySize(s->deleted) > 0) {
    cJSON_AddItemToObject(out, "ContainersDeleted", s->deleted);
    s->deleted = NULL;
  } else {
    cJSON_AddNullToObject(out, "ContainersDeleted");
  }
  cJSON_AddNumberToObject(out, "SpaceReclaimed", 0);
  api_reply_json(r, 200, out);
}

static void prune_listed(api_req *r, wctr_err err, cJSON *result, const char *message) {
  prune_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, result) {
    const char *state = str_of(c, "State", "");
    if (strcmp(state, "exited") != 0 && strcmp(state, "created") != 0) continue;
    /* Docker's rules: every label= matches, and not every label!= does; created at or before until. */
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
    if (!api_shape_labels_match(s->filters, "label", labels)) continue;
    if (cJSON_GetObjectItemCaseSensitive(s->filters, "label!") != NULL &&
        api_shape_labels_match(s->filters, "label!", labels)) {
      continue;
    }
    int64_t created = 0, ns = 0;
    if (s->until != INT64_MAX && api_parse_time(str_of(c, "Created", ""), &created, &ns) && created > s->until) continue;
    cJSON_AddItemToArray(s->todo, cJSON_CreateString(str_of(c, "Id", "")));
  }
  prune_next(r, WCTR_OK, NULL, NULL);
}

void api_containers_prune(api_req *r) {
  static const char *const allowed[] = {"label", "label!", "until", NULL};
  prune_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  s->todo = cJSON_CreateArray();
  s->deleted = cJSON_CreateArray();
  s->until = INT64_MAX;
  r->state = s;
  r->state_free = prune_state_free;
  if (!api_query_filters(r, &s->filters)) return;
  if (s->filters != NULL && !api_filters_check(r, s->filters, allowed, "/containers/prune")) return;
  const cJSON *until = cJSON_GetObjectItemCaseSensitive(s->filters, "until");
  if (cJSON_GetArraySize(until) > 1) {
    api_refuse(r, 400, WCTR_EINVAL, "container.remove", "more than one until filter specified");
    return;
  }
  if (cJSON_GetArraySize(until) == 1 && !api_parse_until(until->child->valuestring, now_unix(), &s->until)) {
    api_refuse(r, 400, WCTR_EINVAL, "container.remove",
               "invalid filter 'until=%.64s': a Go duration (10m, 1h30m), a Unix time or an RFC 3339 time is expected",
               until->child->valuestring);
    return;
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  api_call(r, "container.list", p, false, prune_listed);
}

/* --- pause, unpause ------------------------------------------------------------------------------------------------ */

/* Docker's statuses (moby daemon/pause.go, unpause.go): not running and already paused are conflicts (409); the
 * runtime's refusal ("Cannot pause container ID: cannot pause Windows Server Containers") and "is not paused" are
 * plain errors (500). */
static void paused_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err == WCTR_ENOTSUP || err == WCTR_ESYSTEM) {
    api_reply_error(r, 500, "%s", message != NULL ? message : wctr_strerror(err));
    return;
  }
  done_204(r, err, result, message);
}

static void unpaused_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK && err != WCTR_ENOENT) {
    api_reply_error(r, 500, "%s", message != NULL ? message : wctr_strerror(err));
    return;
  }
  done_204(r, err, result, message);
}

void api_container_pause(api_req *r) { api_call(r, "container.pause", api_id_params(r->id), false, paused_done); }

void api_container_unpause(api_req *r) { api_call(r, "container.unpause", api_id_params(r->id), false, unpaused_done); }
