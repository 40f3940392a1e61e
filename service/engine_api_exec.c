/* service/engine_api_exec.c - /containers/{id}/exec and /exec/{id} (service/engine_api_internal.h) over the exec
 * operations (service/manager.h: exec.create, exec.start, exec.inspect), the ones `wctr exec` uses: the same
 * validation and audit, Docker's shapes and status codes. A start that is not detached is hijacked as attach is
 * (engine_api_containers.c): Docker's 8-byte multiplexed frames, raw bytes for a Tty exec, and what the client
 * sends is the process's stdin (AttachStdin). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/log.h"
#include "service/engine_api_internal.h"

/* Absent, null, false, 0, "", [] or {}: a field that asks for nothing. */
static bool exec_default(const cJSON *v) {
  if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v)) return true;
  if (cJSON_IsNumber(v)) return v->valuedouble == 0;
  if (cJSON_IsString(v)) return v->valuestring[0] == '\0';
  if (cJSON_IsArray(v) || cJSON_IsObject(v)) return v->child == NULL;
  return false;
}

/* ConsoleSize (API 1.42's; [0,0] or null from a client that has no console). */
static bool console_size_default(const cJSON *v) {
  if (exec_default(v)) return true;
  if (!cJSON_IsArray(v)) return false;
  const cJSON *n;
  cJSON_ArrayForEach(n, v) {
    if (!cJSON_IsNumber(n) || n->valuedouble != 0) return false;
  }
  return true;
}

static const char no_resize[] =
    "resizing an exec's console is not supported: wctr has no operation that resizes an exec'd process's console "
    "(wctr exec -t keeps the console's first size)";
static const char no_console_size[] =
    "ConsoleSize: setting an exec's console size is not supported (wctr has no exec resize); leave it out or [0,0]";

static wctr_err want_bool(const cJSON *body, const char *key, bool *out, wctr_errmsg *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  *out = false;
  if (v == NULL || cJSON_IsNull(v)) return WCTR_OK;
  if (!cJSON_IsBool(v)) return wctr_fail(e, WCTR_EINVAL, "%s: must be true or false", key);
  *out = cJSON_IsTrue(v);
  return WCTR_OK;
}

/* Copies key into params when it holds something (null and "" are left out). */
static bool copy_field(const cJSON *body, cJSON *params, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
  if (v == NULL || cJSON_IsNull(v)) return true;
  cJSON *d = cJSON_Duplicate(v, true);
  return d != NULL && cJSON_AddItemToObject(params, key, d);
}

wctr_err api_shape_exec_create(const cJSON *body, const char *container, cJSON **out, wctr_errmsg *e) {
  static const char *const known[] = {"Cmd",        "Env",         "WorkingDir",   "User",   "Tty",
                                      "AttachStdin", "AttachStdout", "AttachStderr", "Detach", "DetachKeys",
                                      "Privileged",  "ConsoleSize",  "Container",    NULL};
  *out = NULL;
  wctr_err err = WCTR_OK;
  cJSON *p = NULL;
  bool tty = false, in = false, out_on = false, err_on = false, detach = false, privileged = false;
  if (body == NULL || !cJSON_IsObject(body)) {
    err = wctr_fail(e, WCTR_EINVAL, "the body must be Docker's ExecConfig, a JSON object with Cmd");
    goto done;
  }
  const cJSON *f;
  cJSON_ArrayForEach(f, body) {
    bool is_known = false;
    for (size_t i = 0; known[i] != NULL && !is_known; i++) is_known = strcmp(known[i], f->string) == 0;
    /* A field of a later API version left at its zero value asks for nothing. */
    if (!is_known && !exec_default(f)) {
      err = wctr_fail(e, WCTR_EINVAL, "%.64s: unknown field of ExecConfig; leave it out or at its default", f->string);
      goto done;
    }
  }
  /* Container (docker-py sends the id or name it was given) is ignored as dockerd ignores it: the path decides. */
  err = want_bool(body, "Tty", &tty, e);
  if (err == WCTR_OK) err = want_bool(body, "AttachStdin", &in, e);
  if (err == WCTR_OK) err = want_bool(body, "AttachStdout", &out_on, e);
  if (err == WCTR_OK) err = want_bool(body, "AttachStderr", &err_on, e);
  if (err == WCTR_OK) err = want_bool(body, "Detach", &detach, e);
  if (err == WCTR_OK) err = want_bool(body, "Privileged", &privileged, e);
  if (err != WCTR_OK) goto done;
  /* As exec.create refuses it for `wctr exec --privileged`, with the field named. */
  if (privileged) {
    err = wctr_fail(e, WCTR_EINVAL, "Privileged: Windows does not support privileged mode; leave it out or false");
    goto done;
  }
  if (!exec_default(cJSON_GetObjectItemCaseSensitive(body, "DetachKeys"))) {
    err = wctr_fail(e, WCTR_EINVAL, "DetachKeys: detach key sequences are not supported by wctr; leave it out or \"\"");
    goto done;
  }
  if (!console_size_default(cJSON_GetObjectItemCaseSensitive(body, "ConsoleSize"))) {
    err = wctr_fail(e, WCTR_EINVAL, "%s", no_console_size);
    goto done;
  }
  /* A started exec sends both of its streams to its client: leaving one out is only what `docker exec -d`
   * asks (neither attached, Detach set), never a stream silently sent anyway. */
  if (!detach && (!out_on || !err_on)) {
    err = wctr_fail(e, WCTR_EINVAL,
                    "%s: an exec started attached sends both stdout and stderr; set AttachStdout and AttachStderr, "
                    "or Detach (docker exec -d)",
                    !out_on ? "AttachStdout" : "AttachStderr");
    goto done;
  }
  /* Docker's words (and exec.create's for an empty Cmd). */
  if (exec_default(cJSON_GetObjectItemCaseSensitive(body, "Cmd"))) {
    err = wctr_fail(e, WCTR_EINVAL, "No exec command specified");
    goto done;
  }
  p = cJSON_CreateObject();
  bool ok = p != NULL && cJSON_AddStringToObject(p, "Id", container) != NULL && copy_field(body, p, "Cmd") &&
            copy_field(body, p, "Env") && copy_field(body, p, "WorkingDir") && copy_field(body, p, "User");
  if (ok && tty) ok = cJSON_AddTrueToObject(p, "Tty") != NULL;
  if (ok && in) ok = cJSON_AddTrueToObject(p, "AttachStdin") != NULL;
  if (!ok) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  *out = p;
  p = NULL;
done:
  cJSON_Delete(p);
  return err;
}

/* --- POST /containers/{id}/exec ------------------------------------------------------------------------------------- */

static void exec_created(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(result, "Id");
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || !cJSON_IsString(id) || cJSON_AddStringToObject(o, "Id", id->valuestring) == NULL) {
    cJSON_Delete(o);
    api_reply_error(r, 500, "exec.create answered without an Id");
    return;
  }
  api_reply_json(r, 201, o);
}

void api_container_exec(api_req *r) {
  cJSON *body = NULL, *params = NULL;
  wctr_errmsg e;
  wctr_err err = api_body_json(r, &body, &e);
  if (err == WCTR_OK) err = api_shape_exec_create(body, r->id, &params, &e);
  cJSON_Delete(body);
  if (err != WCTR_OK) {
    api_refuse(r, api_status_for(err), err, "exec.create", "%s", e.text);
    return;
  }
  api_call(r, "exec.create", params, false, exec_created);
}

/* --- POST /exec/{id}/start ------------------------------------------------------------------------------------------- */

typedef struct exec_state {
  bool tty; /* raw bytes; else Docker's multiplexed frames */
  bool detach;
} exec_state;

static wctr_err exec_output(api_req *r, svc_output_stream stream, const char *data, size_t len) {
  exec_state *s = r->state;
  if (s->tty) return api_write(r, data, len);
  return api_write_frame(r, stream == SVC_STDERR ? 2 : 1, data, len);
}

static void exec_stream_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  exec_state *s = r->state;
  if (!api_streaming(r)) {
    api_reply_failure(r, err != WCTR_OK ? err : WCTR_EINTERNAL, message);
    return;
  }
  /* After the hijack the status line is sent: as dockerd, a process that could not start says so on the stream
   * (its exit code, 126 or 127, is the instance's: GET /exec/{id}/json). */
  if (err != WCTR_OK && err != WCTR_EPIPE) {
    const char *m = message != NULL && message[0] != '\0' ? message : wctr_strerror(err);
    size_t n = strlen(m);
    char *line = malloc(n + 3);
    if (line != NULL) {
      memcpy(line, m, n);
      memcpy(line + n, "\r\n", 3);
      if (s->tty) api_write(r, line, n + 2);
      else api_write_frame(r, 1, line, n + 2);
      free(line);
    }
  }
  api_end(r);
}

static void exec_detached(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  api_reply_json(r, 200, NULL); /* dockerd: 200 without a body */
}

static void exec_start_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  exec_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  const cJSON *full = cJSON_GetObjectItemCaseSensitive(result, "ID");
  cJSON *p = api_id_params(cJSON_IsString(full) ? full->valuestring : r->id);
  if (p == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  if (s->detach) {
    cJSON_AddTrueToObject(p, "Detach");
    api_call(r, "exec.start", p, false, exec_detached);
    return;
  }
  s->tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(result, "ProcessConfig"), "tty"));
  /* Started once only (exec.start refuses again, 409): said before the hijack, while a status can still say it. */
  bool running = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "Running"));
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(result, "ExitCode");
  if (running || (code != NULL && !cJSON_IsNull(code))) {
    cJSON_Delete(p);
    api_refuse(r, 409, WCTR_ESTATE, "exec.start", "Error: Exec command %s %s",
               cJSON_IsString(full) ? full->valuestring : r->id, running ? "is already running" : "has already run");
    return;
  }
  if (api_hijack(r, API_RAW_STREAM) != WCTR_OK) {
    cJSON_Delete(p);
    api_end(r);
    return;
  }
  r->on_output = exec_output;
  api_call(r, "exec.start", p, true, exec_stream_done);
}

void api_exec_start(api_req *r) {
  static const char *const known[] = {"Detach", "Tty", "ConsoleSize", NULL};
  exec_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = s;
  r->state_free = free;
  cJSON *body = NULL;
  wctr_errmsg e;
  bool tty = false;
  wctr_err err = api_body_json(r, &body, &e);
  const cJSON *f;
  cJSON_ArrayForEach(f, body) {
    bool is_known = false;
    for (size_t i = 0; known[i] != NULL && !is_known; i++) is_known = strcmp(known[i], f->string) == 0;
    if (err == WCTR_OK && !is_known && !exec_default(f)) {
      err = wctr_fail(&e, WCTR_EINVAL, "%.64s: unknown field of ExecStartCheck; leave it out or at its default", f->string);
    }
  }
  /* Tty is accepted as dockerd does: the instance's own Tty (its create) decides the stream's form. */
  if (err == WCTR_OK) err = want_bool(body, "Detach", &s->detach, &e);
  if (err == WCTR_OK) err = want_bool(body, "Tty", &tty, &e);
  if (err == WCTR_OK && !console_size_default(cJSON_GetObjectItemCaseSensitive(body, "ConsoleSize"))) {
    err = wctr_fail(&e, WCTR_EINVAL, "%s", no_console_size);
  }
  cJSON_Delete(body);
  if (err != WCTR_OK) {
    api_refuse(r, 400, err, "exec.start", "%s", e.text);
    return;
  }
  api_call(r, "exec.inspect", api_id_params(r->id), false, exec_start_inspected);
}

/* --- GET /exec/{id}/json, POST /exec/{id}/resize ---------------------------------------------------------------------- */

static void exec_inspected(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  /* exec.inspect answers Docker's ExecInspect already (service/manager.h); the result is the step's. */
  api_reply_json(r, 200, cJSON_Duplicate(result, true));
}

void api_exec_inspect(api_req *r) { api_call(r, "exec.inspect", api_id_params(r->id), false, exec_inspected); }

void api_exec_resize(api_req *r) { api_refuse(r, 501, WCTR_ENOTSUP, "exec.resize", "%s", no_resize); }
