/* service/engine_api_archive.c - /containers/{id}/archive (docker cp): GET (the path as a tar, its stat in
 * X-Docker-Container-Path-Stat), HEAD (the stat header only) and PUT (a tar extracted into a folder), over
 * container.archive.get/stat/put (service/manager.h). Statuses as dockerd's: 400 for a missing path parameter
 * or a refused path, 404 "Could not find the file X in container Y", 409 for a folder/non-folder conflict,
 * 500 for what it cannot do (a running Hyper-V container: dockerd's plain error). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "service/engine_api_internal.h"

static int status_of(wctr_err err) {
  /* dockerd answers its plain errors (the Hyper-V refusal, an unmounted scratch) with 500. */
  return err == WCTR_ENOTSUP ? 500 : api_status_for(err);
}

static void refuse(api_req *r, wctr_err err, const char *op, const char *message) {
  api_refuse(r, status_of(err), err, op, "%s", message != NULL && message[0] != '\0' ? message : wctr_strerror(err));
}

/* "X-Docker-Container-Path-Stat: base64(JSON)\r\n", malloc'ed. */
static char *stat_header(const cJSON *stat) {
  char *json = cJSON_PrintUnformatted(stat);
  char *b64 = json != NULL ? wctr_base64_encode((const uint8_t *)json, strlen(json)) : NULL;
  cJSON_free(json);
  if (b64 == NULL) return NULL;
  size_t n = strlen(b64) + 64;
  char *h = malloc(n);
  if (h != NULL) snprintf(h, n, "X-Docker-Container-Path-Stat: %s\r\n", b64);
  free(b64);
  return h;
}

/* The path parameter, or a 400 (dockerd's "path" check). */
static cJSON *path_params(api_req *r, const char *op) {
  char *path = api_query(r, "path");
  if (path == NULL || path[0] == '\0') {
    free(path);
    api_refuse(r, 400, WCTR_EINVAL, op, "bad parameter: path cannot be empty");
    return NULL;
  }
  cJSON *p = api_id_params(r->id);
  cJSON_AddStringToObject(p, "Path", path);
  free(path);
  return p;
}

/* --- HEAD ------------------------------------------------------------------------------------------------------------ */

static void stated(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    refuse(r, err, "container.archive.stat", message);
    return;
  }
  char *h = stat_header(result);
  if (h == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  api_reply_with(r, 200, h, NULL, NULL, 0);
  free(h);
}

void api_container_archive_head(api_req *r) {
  cJSON *p = path_params(r, "container.archive.stat");
  if (p != NULL) api_call(r, "container.archive.stat", p, false, stated);
}

/* --- GET ------------------------------------------------------------------------------------------------------------- */

static wctr_err get_frame(api_req *r, const char *kind, cJSON *data) {
  if (strcmp(kind, "stat") == 0 && r->state == NULL) {
    r->state = stat_header(data);
    r->state_free = free;
  }
  cJSON_Delete(data);
  return WCTR_OK;
}

static wctr_err get_output(api_req *r, svc_output_stream stream, const char *data, size_t len) {
  (void)stream;
  if (!api_streaming(r)) (void)api_begin_with(r, 200, r->state, "application/x-tar");
  return api_write(r, data, len);
}

static void got(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err == WCTR_OK) {
    if (!api_streaming(r)) (void)api_begin_with(r, 200, r->state, "application/x-tar");
    api_end(r);
  } else if (!api_streaming(r)) {
    refuse(r, err, "container.archive.get", message);
  } else {
    api_abort(r); /* half an archive must not look whole */
  }
}

void api_container_archive_get(api_req *r) {
  cJSON *p = path_params(r, "container.archive.get");
  if (p == NULL) return;
  r->on_frame = get_frame;
  r->on_output = get_output;
  api_call(r, "container.archive.get", p, true, got);
}

/* --- PUT ------------------------------------------------------------------------------------------------------------- */

static void put_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  if (err != WCTR_OK) {
    refuse(r, err, "container.archive.put", message);
    return;
  }
  api_reply_with(r, 200, NULL, NULL, NULL, 0);
}

void api_container_archive_put(api_req *r) {
  bool no_overwrite = false, copy_ids = false;
  if (!api_query_bool(r, "noOverwriteDirNonDir", false, &no_overwrite)) return;
  if (!api_query_bool(r, "copyUIDGID", false, &copy_ids)) return;
  cJSON *p = path_params(r, "container.archive.put");
  if (p == NULL) return;
  cJSON_AddBoolToObject(p, "NoOverwriteDirNonDir", no_overwrite);
  if (copy_ids) cJSON_AddBoolToObject(p, "CopyUIDGID", true);
  /* The body streams to the operation's stdin (engine_api.c's stream_body); one read whole is queued. */
  if (!r->hr->body_streamed && !api_queue_body(r)) {
    cJSON_Delete(p);
    api_reply_error(r, 500, "out of memory");
    return;
  }
  api_call(r, "container.archive.put", p, true, put_done);
}
