/* service/image_ops.c - the image operations (portable). Contract: service/image_ops.h. */
#include "service/image_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "images/archive.h"
#include "images/manifest.h"
#include "images/pull.h"
#include "images/reference.h"
#include "images/registry.h"
#include "images/trust.h"

enum { SAVE_CHUNK = 256 * 1024, SAVE_HIGH = 2 * 1024 * 1024, SAVE_LOW = 1024 * 1024 };
enum { ID_TEXT_MAX = 80 }; /* "sha256:" and 64 hex digits */

static wctr_err name_param(const cJSON *params, const char *const *keys, const char **name, wctr_errmsg *e) {
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Name\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  return wctr_json_get_string(params, "Name", "params", true, name, e);
}

/* --- containers using an image ------------------------------------------------------------------------------ */

static bool any_used(void *ctx, const char *const *names, size_t count, char *container, size_t size) {
  svc_image_service *s = ctx;
  for (size_t i = 0; s->used != NULL && i < count; i++) {
    if (s->used(s->used_ctx, names[i], container, size)) return true;
  }
  return false;
}

/* --- events ---------------------------------------------------------------------------------------------------- */

static void emit(svc_image_service *s, const char *action, const char *id, const char *name) {
  if (s->event != NULL) s->event(s->event_ctx, action, id, name);
}

/* The store's id of a reference ("sha256:..."), into out; "" when the store does not have it. */
static void store_id(svc_image_service *s, const char *ref, char *out, size_t size) {
  cJSON *rec = NULL;
  out[0] = '\0';
  if (img_store_inspect(s->store, ref, &rec, NULL) == WCTR_OK) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "Id");
    if (cJSON_IsString(id)) snprintf(out, size, "%s", id->valuestring);
  }
  cJSON_Delete(rec);
}

/* A remove's or a prune's report [{"Untagged"}|{"Deleted"}...] as dockerd logs it: "untag" for each name and
 * "delete" for each image, both with the image's id (an image's names come before its "Deleted"; names without
 * one, a tag removed from an image that stays, take fallback_id). */
static void report_events(svc_image_service *s, const cJSON *report, const char *fallback_id) {
  const cJSON *item;
  const cJSON *first_pending = NULL;
  cJSON_ArrayForEach(item, report) {
    const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(item, "Deleted");
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(item, "Untagged"))) {
      if (first_pending == NULL) first_pending = item;
      continue;
    }
    if (!cJSON_IsString(deleted)) continue;
    for (const cJSON *u = first_pending; u != NULL && u != item; u = u->next) {
      emit(s, "untag", deleted->valuestring, deleted->valuestring);
    }
    first_pending = NULL;
    emit(s, "delete", deleted->valuestring, deleted->valuestring);
  }
  for (const cJSON *u = first_pending; u != NULL; u = u->next) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(u, "Untagged");
    const char *id = fallback_id != NULL && fallback_id[0] != '\0' ? fallback_id : name->valuestring;
    emit(s, "untag", id, id);
  }
}

/* --- pull ------------------------------------------------------------------------------------------------------ */

typedef struct pull_op {
  wctr_mutex barrier; /* done() waits until start has stored the pull */
  svc_image_service *s;
  svc_sink *sink;
  img_pull *pull;
} pull_op;

static void audit(svc_image_service *s, const char *target, const char *result, const char *detail) {
  if (s->audit != NULL) s->audit(s->audit_ctx, "image.trust", target, result, detail);
}

/* A pull's trust decision, in the audit trail: image, digest, key, verdict. */
static void pull_trust_decided(void *ctx, const char *image, const img_trust_report *r, const char *error) {
  pull_op *op = ctx;
  char detail[1600];
  if (r == NULL) {
    snprintf(detail, sizeof detail, "pull: verdict error: the signatures could not be checked: %s", error != NULL ? error : "");
    audit(op->s, image, wctr_err_name(WCTR_EIO), detail);
    return;
  }
  snprintf(detail, sizeof detail, "pull: digest %s, key %s, verdict %s: %s", r->digest, r->key[0] != '\0' ? r->key : "none",
           img_trust_verdict_name(r->verdict), r->message);
  audit(op->s, image, r->verdict == IMG_TRUST_VERIFIED ? "ok" : wctr_err_name(WCTR_EACCES), detail);
}

static void pull_progress(void *ctx, const char *id, const char *status, int64_t current, int64_t total) {
  pull_op *op = ctx;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "id", id);
  cJSON_AddStringToObject(f, "status", status);
  if (total > 0) {
    cJSON *d = cJSON_AddObjectToObject(f, "progressDetail");
    cJSON_AddNumberToObject(d, "current", (double)current);
    cJSON_AddNumberToObject(d, "total", (double)total);
  }
  svc_sink_frame(op->sink, "progress", f);
}

static void pull_done(void *ctx, wctr_err err, const char *message, cJSON *result) {
  pull_op *op = ctx;
  wctr_mutex_lock(&op->barrier);
  wctr_mutex_unlock(&op->barrier);
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(result, "Name");
  /* dockerd's pull event names the reference pulled, as its actor too */
  if (err == WCTR_OK && cJSON_IsString(name)) emit(op->s, "pull", name->valuestring, name->valuestring);
  svc_sink_finish(op->sink, err, result, message);
}

static void pull_close(void *ctx) { img_pull_cancel(((pull_op *)ctx)->pull); }

static void pull_release(void *ctx) {
  pull_op *op = ctx;
  img_pull_release(op->pull);
  wctr_mutex_destroy(&op->barrier);
  free(op);
}

static void op_pull(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  static const char *const keys[] = {"Name", "Auth", NULL};
  static const char *const auth_keys[] = {"Username", "Password", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  const char *name = NULL;
  const cJSON *auth = NULL;
  const char *user = NULL;
  const char *password = NULL;
  wctr_errmsg e;
  e.text[0] = '\0';
  wctr_err err = name_param(params, keys, &name, &e);
  if (err == WCTR_OK) err = wctr_json_get_object(params, "Auth", "params", false, &auth, &e);
  if (err == WCTR_OK && auth != NULL) {
    err = wctr_json_check_keys(auth, "params.Auth", auth_keys, &e);
    if (err == WCTR_OK) err = wctr_json_get_string(auth, "Username", "params.Auth", true, &user, &e);
    if (err == WCTR_OK) err = wctr_json_get_string(auth, "Password", "params.Auth", true, &password, &e);
  }
  pull_op *op = err == WCTR_OK ? calloc(1, sizeof *op) : NULL;
  if (err == WCTR_OK && (op == NULL || wctr_mutex_init(&op->barrier) != WCTR_OK)) {
    free(op);
    op = NULL;
    err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  }
  if (err != WCTR_OK) {
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  op->s = s;
  op->sink = sink;
  sink->op_ctx = op;
  sink->on_close = pull_close;
  sink->on_release = pull_release;
  img_pull_options o = {.ioc = s->ioc, .store = s->store, .transport = &s->transport, .insecure = s->insecure,
                        .host_os_version = s->host_os_version, .host_arch = "amd64", .ref = name, .user = user,
                        .password = password, .ctx = op, .progress = pull_progress, .done = pull_done,
                        .trust = s->trust, .trust_decided = pull_trust_decided};
  wctr_mutex_lock(&op->barrier);
  err = img_pull_start(&o, &op->pull, &e);
  wctr_mutex_unlock(&op->barrier);
  if (err != WCTR_OK) svc_sink_finish(sink, err, NULL, e.text);
}

/* --- list, inspect, history, tag, remove, prune ----------------------------------------------------------------- */

static wctr_err op_list(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"All", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  bool all = false;
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_bool(params, "All", "params", false, &all, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  cJSON *list = NULL;
  wctr_err err = img_store_list(s->store, &list, e);
  if (err != WCTR_OK) return err;
  cJSON *legacy = NULL;
  wctr_errmsg le;
  if (s->legacy.list != NULL && s->legacy.list(s->legacy.ctx, &legacy, &le) == WCTR_OK) {
    cJSON *rec;
    cJSON_ArrayForEach(rec, legacy) {
      /* The record as the catalog has it (Name, Layers, OsVersion, Created, Cmd, User: what the Engine API's
       * image routes read today), with the store summary's keys beside it. */
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(rec, "Name");
      cJSON *o = cJSON_Duplicate(rec, true);
      if (o == NULL) continue;
      cJSON_AddStringToObject(o, "Id", "");
      cJSON *tags = cJSON_AddArrayToObject(o, "RepoTags");
      cJSON_AddItemToArray(tags, cJSON_CreateString(cJSON_IsString(n) ? n->valuestring : ""));
      cJSON_AddArrayToObject(o, "RepoDigests");
      if (cJSON_GetObjectItemCaseSensitive(o, "Created") == NULL) cJSON_AddStringToObject(o, "Created", "");
      cJSON_AddNumberToObject(o, "Size", 0);
      cJSON_AddStringToObject(o, "Os", "windows");
      if (cJSON_GetObjectItemCaseSensitive(o, "OsVersion") == NULL) cJSON_AddStringToObject(o, "OsVersion", "");
      cJSON_AddBoolToObject(o, "Dangling", false);
      cJSON_AddBoolToObject(o, "Catalog", true);
      cJSON_AddItemToArray(list, o);
    }
  }
  cJSON_Delete(legacy);
  (void)all; /* intermediate images do not exist in a pulled store: -a lists the same (docs/images.md) */
  *result = list;
  return WCTR_OK;
}

static bool in_catalog(svc_image_service *s, const char *name) {
  if (s->legacy.inspect == NULL) return false;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", name);
  cJSON *r = NULL;
  wctr_errmsg e;
  bool found = s->legacy.inspect(s->legacy.ctx, p, &r, &e) == WCTR_OK;
  cJSON_Delete(p);
  cJSON_Delete(r);
  return found;
}

static wctr_err op_inspect(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  const char *name = NULL;
  wctr_err err = name_param(params, keys, &name, e);
  if (err != WCTR_OK) return err;
  err = img_store_inspect(s->store, name, result, e);
  if (err == WCTR_ENOENT && s->legacy.inspect != NULL && in_catalog(s, name)) return s->legacy.inspect(s->legacy.ctx, params, result, e);
  return err;
}

static wctr_err op_history(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  const char *name = NULL;
  wctr_err err = name_param(params, keys, &name, e);
  if (err != WCTR_OK) return err;
  return img_store_history(s->store, name, result, e);
}

static wctr_err op_tag(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Source", "Target", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  const char *source = NULL;
  const char *target = NULL;
  if (params == NULL || wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Source", "params", true, &source, e) != WCTR_OK ||
      wctr_json_get_string(params, "Target", "params", true, &target, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  wctr_err err = img_store_tag(s->store, source, target, e);
  if (err == WCTR_OK) {
    *result = cJSON_CreateObject();
    char id[ID_TEXT_MAX];
    store_id(s, target, id, sizeof id);
    emit(s, "tag", id[0] != '\0' ? id : target, target);
  }
  return err;
}

static wctr_err op_remove(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Force", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  const char *name = NULL;
  bool force = false;
  wctr_err err = name_param(params, keys, &name, e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Force", "params", false, &force, e);
  if (err != WCTR_OK) return err;
  char id[ID_TEXT_MAX];
  store_id(s, name, id, sizeof id);
  err = img_store_remove(s->store, name, force, any_used, s, result, e);
  if (err == WCTR_OK) report_events(s, *result, id);
  if (err == WCTR_ENOENT && s->legacy.remove != NULL && in_catalog(s, name)) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", name);
    cJSON *r = NULL;
    err = s->legacy.remove(s->legacy.ctx, p, s->used, s->used_ctx, &r, e);
    cJSON_Delete(p);
    cJSON_Delete(r);
    if (err == WCTR_OK) {
      *result = cJSON_CreateArray();
      cJSON *u = cJSON_CreateObject();
      cJSON_AddStringToObject(u, "Untagged", name);
      cJSON_AddItemToArray(*result, u);
      report_events(s, *result, NULL);
    }
  }
  return err;
}

static wctr_err op_prune(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"All", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  bool all = false;
  if (params != NULL && (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
                         wctr_json_get_bool(params, "All", "params", false, &all, e) != WCTR_OK)) {
    return WCTR_EINVAL;
  }
  wctr_err err = img_store_prune(s->store, all, any_used, s, result, e);
  if (err == WCTR_OK) report_events(s, cJSON_GetObjectItemCaseSensitive(*result, "ImagesDeleted"), NULL);
  return err;
}

static wctr_err op_add(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  svc_image_service *s = ctx;
  (void)caller;
  if (s->legacy.add == NULL) return wctr_fail(e, WCTR_ENOTSUP, "this service has no image catalog");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "Name");
  img_record r;
  wctr_errmsg ignored;
  if (cJSON_IsString(name) && img_store_find(s->store, name->valuestring, &r, NULL, 0, &ignored) == WCTR_OK) {
    img_record_free(&r);
    return wctr_fail(e, WCTR_EEXIST, "image %s exists in the image store (pulled or loaded); choose another name",
                     name->valuestring);
  }
  return s->legacy.add(s->legacy.ctx, params, result, e);
}

static wctr_err op_login(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Server", "Username", "Password", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  const char *server = NULL;
  const char *user = NULL;
  const char *password = NULL;
  if (params == NULL || wctr_json_check_keys(params, "params", keys, e) != WCTR_OK ||
      wctr_json_get_string(params, "Server", "params", true, &server, e) != WCTR_OK ||
      wctr_json_get_string(params, "Username", "params", true, &user, e) != WCTR_OK ||
      wctr_json_get_string(params, "Password", "params", true, &password, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  /* the server as a reference's domain ("docker.io" -> the Hub's registry host) */
  char text[IMG_NAME_MAX + 16];
  snprintf(text, sizeof text, "%s/x", server);
  img_ref ref;
  if (img_ref_parse(text, &ref, NULL) != WCTR_OK || strchr(server, '/') != NULL) {
    return wctr_fail(e, WCTR_EINVAL, "\"%.200s\" is not a registry host[:port]", server);
  }
  img_credentials c = {.user = (char *)user, .password = (char *)password};
  img_registry_options ro = {.transport = &s->transport, .insecure = s->insecure, .credentials = &c};
  wctr_err err = img_registry_login(&ro, img_ref_registry_host(&ref), e);
  if (err != WCTR_OK) return err;
  *result = cJSON_CreateObject();
  cJSON_AddStringToObject(*result, "Status", "Login Succeeded");
  return WCTR_OK;
}

/* --- save ------------------------------------------------------------------------------------------------------- */

typedef struct save_op {
  svc_image_service *s;
  svc_sink *sink;
  cJSON *names; /* for the save events */
  img_archive_writer *w;
  wctr_mutex lock;
  bool closed;
  bool finished;
  char *buf;
} save_op;

static void save_pump(void *arg);

static void save_drained(void *arg) {
  save_op *op = arg;
  if (!wctr_ioc_blocking(op->s->ioc, save_pump, op)) save_pump(op);
}

/* On the pool: chunks out until the client's queue is full, then wait for it to drain. */
static void save_pump(void *arg) {
  save_op *op = arg;
  for (;;) {
    wctr_mutex_lock(&op->lock);
    bool closed = op->closed;
    wctr_mutex_unlock(&op->lock);
    wctr_errmsg e;
    e.text[0] = '\0';
    size_t got = 0;
    wctr_err err = closed ? WCTR_ECANCELED : img_archive_save_read(op->w, op->buf, SAVE_CHUNK, &got, &e);
    if (err == WCTR_OK && got > 0) err = svc_sink_output(op->sink, SVC_STDOUT, op->buf, got);
    if (err != WCTR_OK || got == 0) {
      cJSON *result = NULL;
      if (err == WCTR_OK) {
        result = cJSON_CreateObject();
        cJSON_AddNumberToObject(result, "Size", (double)img_archive_save_size(op->w));
        const cJSON *n;
        cJSON_ArrayForEach(n, op->names) {
          char id[ID_TEXT_MAX];
          store_id(op->s, n->valuestring, id, sizeof id);
          if (id[0] != '\0') emit(op->s, "save", id, id);
        }
      }
      svc_sink_finish(op->sink, err, result, err == WCTR_OK ? "" : e.text[0] != '\0' ? e.text : "the client left");
      return;
    }
    if (op->sink->methods->pending(op->sink) > SAVE_HIGH) {
      op->sink->methods->when_drained(op->sink, SAVE_LOW, save_drained, op);
      return;
    }
  }
}

static void save_close(void *arg) {
  save_op *op = arg;
  wctr_mutex_lock(&op->lock);
  op->closed = true;
  wctr_mutex_unlock(&op->lock);
}

static void save_release(void *arg) {
  save_op *op = arg;
  img_archive_save_end(op->w);
  cJSON_Delete(op->names);
  free(op->buf);
  wctr_mutex_destroy(&op->lock);
  free(op);
}

static void op_save(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  static const char *const keys[] = {"Names", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  wctr_errmsg e;
  e.text[0] = '\0';
  const cJSON *names = NULL;
  wctr_err err = params == NULL ? wctr_fail(&e, WCTR_EINVAL, "params: \"Names\" is required") : WCTR_OK;
  if (err == WCTR_OK && wctr_json_check_keys(params, "params", keys, &e) != WCTR_OK) err = WCTR_EINVAL;
  if (err == WCTR_OK) err = wctr_json_get_string_array(params, "Names", "params", true, &names, &e);
  int n = cJSON_GetArraySize(names);
  if (err == WCTR_OK && (n == 0 || n > 100)) err = wctr_fail(&e, WCTR_EINVAL, "params: \"Names\" must name 1 to 100 images");
  char **list = err == WCTR_OK ? calloc((size_t)n, sizeof *list) : NULL;
  size_t k = 0;
  const cJSON *item;
  cJSON_ArrayForEach(item, names) {
    if (list != NULL) list[k++] = item->valuestring;
  }
  save_op *op = err == WCTR_OK ? calloc(1, sizeof *op) : NULL;
  if (err == WCTR_OK && (list == NULL || op == NULL || wctr_mutex_init(&op->lock) != WCTR_OK ||
                         (op->buf = malloc(SAVE_CHUNK)) == NULL)) {
    err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK) err = img_archive_save_begin(s->store, list, k, &op->w, &e);
  free(list);
  if (err != WCTR_OK) {
    if (op != NULL) {
      free(op->buf);
      if (op->lock.impl != NULL) wctr_mutex_destroy(&op->lock);
      free(op);
    }
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  op->s = s;
  op->sink = sink;
  op->names = cJSON_Duplicate(names, true);
  sink->op_ctx = op;
  sink->on_close = save_close;
  sink->on_release = save_release;
  if (!wctr_ioc_blocking(s->ioc, save_pump, op)) svc_sink_finish(sink, WCTR_ENOMEM, NULL, "the service is stopping");
}

/* --- load ------------------------------------------------------------------------------------------------------- */

typedef struct load_op {
  svc_image_service *s;
  svc_sink *sink;
  wctr_file *file;
  char path[1400];
  wctr_err err;
  char message[512];
  bool started;
} load_op;

static void load_line(void *ctx, const char *text) {
  load_op *op = ctx;
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "status", text);
  svc_sink_frame(op->sink, "progress", f);
}

static void load_job(void *arg) {
  load_op *op = arg;
  wctr_errmsg e;
  e.text[0] = '\0';
  cJSON *result = NULL;
  wctr_err err = op->err;
  if (err == WCTR_OK) err = img_archive_load(op->s->store, op->path, load_line, op, &result, &e);
  wctr_fs_remove(op->path);
  const cJSON *loaded = err == WCTR_OK ? cJSON_GetObjectItemCaseSensitive(result, "Loaded") : NULL;
  const cJSON *n;
  cJSON_ArrayForEach(n, loaded) {
    char id[ID_TEXT_MAX];
    if (!cJSON_IsString(n)) continue;
    store_id(op->s, n->valuestring, id, sizeof id);
    if (id[0] != '\0') emit(op->s, "load", id, id);
  }
  svc_sink_finish(op->sink, err, result, err == WCTR_OK ? "" : op->err != WCTR_OK ? op->message : e.text);
}

static void load_input(void *arg, const char *data, size_t len, bool eof) {
  load_op *op = arg;
  if (op->started) return;
  if (op->err == WCTR_OK && len > 0) {
    op->err = wctr_file_write(op->file, data, len);
    if (op->err != WCTR_OK) snprintf(op->message, sizeof op->message, "the archive cannot be written to %s", op->path);
  }
  if (!eof) return;
  op->started = true;
  if (op->err == WCTR_OK) op->err = wctr_file_sync(op->file);
  wctr_file_close(op->file);
  op->file = NULL;
  if (!wctr_ioc_blocking(op->s->ioc, load_job, op)) {
    wctr_fs_remove(op->path);
    svc_sink_finish(op->sink, WCTR_ENOMEM, NULL, "the service is stopping");
  }
}

static void load_close(void *arg) {
  load_op *op = arg;
  if (op->started) return;
  op->started = true;
  wctr_file_close(op->file);
  op->file = NULL;
  wctr_fs_remove(op->path);
  svc_sink_finish(op->sink, WCTR_ECANCELED, NULL, "the client left before the archive ended");
}

static void load_release(void *arg) {
  load_op *op = arg;
  wctr_file_close(op->file);
  free(op);
}

static void op_load(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  static const char *const keys[] = {NULL};
  svc_image_service *s = ctx;
  (void)caller;
  wctr_errmsg e;
  e.text[0] = '\0';
  wctr_err err = params != NULL && wctr_json_check_keys(params, "params", keys, &e) != WCTR_OK ? WCTR_EINVAL : WCTR_OK;
  load_op *op = err == WCTR_OK ? calloc(1, sizeof *op) : NULL;
  if (err == WCTR_OK && op == NULL) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = img_store_tmp_path(s->store, op->path, sizeof op->path, &e);
  if (err == WCTR_OK) err = wctr_file_open(op->path, WCTR_FILE_TRUNCATE, &op->file, &e);
  if (err != WCTR_OK) {
    free(op);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  op->s = s;
  op->sink = sink;
  sink->op_ctx = op;
  sink->on_input = load_input;
  sink->on_close = load_close;
  sink->on_release = load_release;
}

/* --- trust inspect ---------------------------------------------------------------------------------------------- */

static wctr_err op_trust(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Auth", NULL};
  static const char *const auth_keys[] = {"Username", "Password", NULL};
  svc_image_service *s = ctx;
  (void)caller;
  const char *name = NULL;
  const cJSON *auth = NULL;
  img_credentials c = {0};
  wctr_err err = name_param(params, keys, &name, e);
  if (err == WCTR_OK) err = wctr_json_get_object(params, "Auth", "params", false, &auth, e);
  if (err == WCTR_OK && auth != NULL) {
    const char *user = NULL;
    const char *password = NULL;
    err = wctr_json_check_keys(auth, "params.Auth", auth_keys, e);
    if (err == WCTR_OK) err = wctr_json_get_string(auth, "Username", "params.Auth", true, &user, e);
    if (err == WCTR_OK) err = wctr_json_get_string(auth, "Password", "params.Auth", true, &password, e);
    c.user = (char *)user;
    c.password = (char *)password;
  }
  img_ref ref;
  if (err == WCTR_OK) err = img_ref_parse(name, &ref, e);
  if (err != WCTR_OK) return err;
  img_registry *reg = NULL;
  img_registry_options ro = {.transport = &s->transport, .insecure = s->insecure, .credentials = auth != NULL ? &c : NULL};
  err = img_registry_open(&ro, &ref, &reg, e);
  char *body = NULL;
  size_t len = 0;
  char mt[128];
  char digest[IMG_DIGEST_MAX] = "";
  if (err == WCTR_OK) err = img_registry_manifest(reg, ref.digest[0] != '\0' ? ref.digest : ref.tag, &body, &len, mt, digest, e);
  img_manifest doc;
  memset(&doc, 0, sizeof doc);
  bool index = err == WCTR_OK && img_manifest_parse(body, len, mt[0] != '\0' ? mt : NULL, &doc, NULL) == WCTR_OK &&
               doc.kind == IMG_DOC_INDEX;
  free(body);
  char repo[IMG_NAME_MAX + 2];
  img_ref_name(&ref, repo, sizeof repo);
  img_trust_report rep;
  memset(&rep, 0, sizeof rep);
  if (err == WCTR_OK) err = img_trust_verify(s->trust, reg, repo, digest, &rep, e);
  /* A pull also accepts a signature over the Windows manifest it chooses from an index (cosign sign
   * --recursive): show that one too. */
  cJSON *platform = NULL;
  size_t chosen = 0;
  img_host host = {.os_version = s->host_os_version, .arch = "amd64"};
  if (err == WCTR_OK && index && img_platform_choose(&doc, &host, name, &chosen, NULL) == WCTR_OK) {
    img_trust_report pr;
    memset(&pr, 0, sizeof pr);
    if (img_trust_verify(s->trust, reg, repo, doc.items[chosen].digest, &pr, e) == WCTR_OK) platform = img_trust_report_json(&pr);
    img_trust_report_free(&pr);
  }
  img_manifest_free(&doc);
  img_registry_close(reg);
  if (err != WCTR_OK) return err;
  *result = img_trust_report_json(&rep);
  img_trust_report_free(&rep);
  if (*result == NULL) {
    cJSON_Delete(platform);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (platform != NULL) cJSON_AddItemToObject(*result, "Platform", platform);
  const char *prefix = "";
  img_trust_mode mode = img_trust_mode_for(s->trust, repo, &prefix);
  char familiar[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  img_ref_familiar(&ref, familiar, sizeof familiar);
  cJSON_AddStringToObject(*result, "Name", familiar);
  cJSON_AddStringToObject(*result, "Policy", mode == IMG_TRUST_SIGNED ? "signed" : "off");
  cJSON_AddStringToObject(*result, "Prefix", prefix);
  return WCTR_OK;
}

static const svc_op image_ops[] = {
    {.name = "image.pull", .start = op_pull, .flags = SVC_OP_STREAM},
    {.name = "image.list", .call = op_list},
    {.name = "image.inspect", .call = op_inspect, .flags = SVC_OP_BLOCKING},
    {.name = "image.history", .call = op_history, .flags = SVC_OP_BLOCKING},
    {.name = "image.tag", .call = op_tag, .flags = SVC_OP_BLOCKING},
    {.name = "image.remove", .call = op_remove, .flags = SVC_OP_BLOCKING},
    {.name = "image.prune", .call = op_prune, .flags = SVC_OP_BLOCKING},
    {.name = "image.save", .start = op_save, .flags = SVC_OP_STREAM},
    {.name = "image.load", .start = op_load, .flags = SVC_OP_STREAM},
    {.name = "image.add", .call = op_add, .flags = SVC_OP_BLOCKING},
    {.name = "registry.login", .call = op_login, .flags = SVC_OP_BLOCKING},
    {.name = "image.trust", .call = op_trust, .flags = SVC_OP_BLOCKING},
};

const svc_op *svc_image_ops(size_t *count) {
  *count = sizeof image_ops / sizeof image_ops[0];
  return image_ops;
}

/* --- resolve ---------------------------------------------------------------------------------------------------- */

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

/* --- the trust gate ---------------------------------------------------------------------------------------------- */

/* "domain/path" of a full tag ("domain/path:tag") or digest name ("domain/path@sha256:..."). */
static void repo_of(const char *full, char *out, size_t size) {
  snprintf(out, size, "%s", full);
  char *at = strchr(out, '@');
  if (at != NULL) *at = '\0';
  char *slash = strrchr(out, '/');
  char *colon = strrchr(out, ':');
  if (colon != NULL && (slash == NULL || colon > slash)) *colon = '\0';
}

/* The gate's decision for a store image: WCTR_OK (allowed; *applied says whether the policy applied) or
 * WCTR_EACCES with the reason and the fix in e. */
static wctr_err trust_gate(svc_image_service *s, const img_record *r, const char *shown, bool *applied, wctr_errmsg *e) {
  *applied = false;
  if (!img_trust_any_signed(s->trust)) return WCTR_OK;
  img_names n;
  memset(&n, 0, sizeof n);
  if (img_store_names(s->store, r->id, &n) != WCTR_OK) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t total = n.tag_count + n.digest_count;
  wctr_err err = WCTR_OK;
  char again[IMG_NAME_MAX + IMG_TAG_MAX + 4] = "";
  if (n.tag_count > 0) img_name_familiar(n.tags[0], again, sizeof again);
  for (size_t i = 0; err == WCTR_OK && i < (total > 0 ? total : 1); i++) {
    char repo[IMG_NAME_MAX + IMG_DIGEST_MAX + 4] = "";
    if (total > 0) repo_of(i < n.tag_count ? n.tags[i] : n.digests[i - n.tag_count], repo, sizeof repo);
    const char *prefix = "";
    if (img_trust_mode_for(s->trust, repo, &prefix) != IMG_TRUST_SIGNED) continue;
    *applied = true;
    char scope[IMG_NAME_MAX + 16];
    snprintf(scope, sizeof scope, "%s%s", prefix[0] != '\0' ? " for " : "", prefix);
    char fix[IMG_NAME_MAX + IMG_TAG_MAX + 160];
    if (again[0] != '\0') {
      snprintf(fix, sizeof fix, "pull it again from its registry (wctr pull %s) so that its signature is verified, or remove it", again);
    } else {
      snprintf(fix, sizeof fix, "pull it from its registry by name so that its signature is verified, or remove it");
    }
    if (r->trust.key[0] == '\0') {
      err = wctr_fail(e, WCTR_EACCES, "image %s (%s) is refused by the image-trust policy \"signed\"%s: it was never "
                      "verified (pulled while the policy was off, loaded from an archive, or tagged from such an image); %s",
                      shown, r->id, scope, fix);
    } else if (!img_trust_key_trusted(s->trust, repo[0] != '\0' ? repo : "", r->trust.key, NULL)) {
      err = wctr_fail(e, WCTR_EACCES, "image %s (%s) is refused by the image-trust policy \"signed\"%s: it was verified "
                      "with key %s (%s), which the policy does not trust for %s now; %s", shown, r->id, scope, r->trust.key,
                      r->trust.key_file, repo[0] != '\0' ? repo : "images without a name", fix);
    }
  }
  img_names_free(&n);
  return err;
}

/* The same for an `image add` record: it has no signature, so it runs only where the policy is off. */
static wctr_err trust_gate_catalog(svc_image_service *s, const char *name, bool *applied, wctr_errmsg *e) {
  *applied = false;
  if (!img_trust_any_signed(s->trust)) return WCTR_OK;
  img_ref ref;
  char repo[IMG_NAME_MAX + 2] = "";
  if (img_ref_parse(name, &ref, NULL) == WCTR_OK) img_ref_name(&ref, repo, sizeof repo);
  const char *prefix = "";
  if (img_trust_mode_for(s->trust, repo, &prefix) != IMG_TRUST_SIGNED) return WCTR_OK;
  *applied = true;
  return wctr_fail(e, WCTR_EACCES, "image %s is refused by the image-trust policy \"signed\"%s%s: it was added from "
                   "folders (wctr image add) and has no signature to verify; pull a signed image from a registry instead",
                   name, prefix[0] != '\0' ? " for " : "", prefix);
}

cJSON *svc_image_trust_status(svc_image_service *s) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddItemToObject(o, "Policy", img_trust_policy_json(s->trust));
  cJSON_AddBoolToObject(o, "Signed", img_trust_any_signed(s->trust));
  cJSON *refused = cJSON_AddArrayToObject(o, "Refused");
  img_record *recs = NULL;
  size_t count = 0;
  if (refused != NULL && img_store_records(s->store, &recs, &count) == WCTR_OK) {
    for (size_t i = 0; i < count; i++) {
      img_names n;
      memset(&n, 0, sizeof n);
      char shown[IMG_NAME_MAX + IMG_TAG_MAX + 4];
      snprintf(shown, sizeof shown, "%s", recs[i].id);
      if (img_store_names(s->store, recs[i].id, &n) == WCTR_OK && n.tag_count > 0) img_name_familiar(n.tags[0], shown, sizeof shown);
      img_names_free(&n);
      bool applied = false;
      wctr_errmsg e;
      e.text[0] = '\0';
      if (trust_gate(s, &recs[i], shown, &applied, &e) != WCTR_OK) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "Image", shown);
        cJSON_AddStringToObject(x, "Reason", e.text);
        cJSON_AddItemToArray(refused, x);
      }
    }
    img_records_free(recs, count);
  }
  cJSON *legacy = NULL;
  wctr_errmsg le;
  if (refused != NULL && s->legacy.list != NULL && s->legacy.list(s->legacy.ctx, &legacy, &le) == WCTR_OK) {
    const cJSON *rec;
    cJSON_ArrayForEach(rec, legacy) {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(rec, "Name");
      bool applied = false;
      wctr_errmsg e;
      e.text[0] = '\0';
      if (cJSON_IsString(name) && trust_gate_catalog(s, name->valuestring, &applied, &e) != WCTR_OK) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "Image", name->valuestring);
        cJSON_AddStringToObject(x, "Reason", e.text);
        cJSON_AddItemToArray(refused, x);
      }
    }
  }
  cJSON_Delete(legacy);
  return o;
}

wctr_err svc_image_resolve(svc_image_service *s, const char *ref, rt_image *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  img_record r;
  char name[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  wctr_errmsg fe;
  bool applied = false;
  wctr_err err = img_store_find(s->store, ref, &r, name, sizeof name, &fe);
  if (err == WCTR_ENOENT && s->legacy.resolve != NULL) {
    err = s->legacy.resolve(s->legacy.ctx, ref, out, e);
    if (err == WCTR_ENOENT) return wctr_fail(e, WCTR_ENOENT, "%s", fe.text);
    if (err == WCTR_OK && trust_gate_catalog(s, ref, &applied, e) != WCTR_OK) {
      rt_image_free(out);
      char detail[sizeof e->text + 64];
      snprintf(detail, sizeof detail, "run: digest none, key none, verdict no-signature: %s", e->text);
      audit(s, ref, wctr_err_name(WCTR_EACCES), detail);
      return WCTR_EACCES;
    }
    return err;
  }
  if (err != WCTR_OK) return wctr_fail(e, err, "%s", fe.text);
  err = trust_gate(s, &r, name, &applied, e);
  if (applied) {
    char detail[sizeof e->text + 256];
    if (err == WCTR_OK) {
      snprintf(detail, sizeof detail, "run: digest %s, key %s, verdict verified (at its pull, %s)", r.trust.digest,
               r.trust.key, r.trust.verified);
    } else {
      snprintf(detail, sizeof detail, "run: digest %s, key %s, verdict %s: %s", r.manifest,
               r.trust.key[0] != '\0' ? r.trust.key : "none", r.trust.key[0] != '\0' ? "key-not-trusted" : "never-verified", e->text);
    }
    audit(s, name, err == WCTR_OK ? "ok" : wctr_err_name(err), detail);
  }
  if (err != WCTR_OK) {
    img_record_free(&r);
    return err;
  }
  size_t count = 0;
  err = img_store_layer_folders(s->store, &r, &out->layer_paths, &out->layer_ids, &count, e);
  out->layer_count = count;
  if (err == WCTR_OK && (out->name = dup_text(name)) == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  snprintf(out->os_version, sizeof out->os_version, "%.31s", r.os_version);
  /* the default command: Entrypoint + Cmd, and the user, from the config */
  char *text = NULL;
  size_t len = 0;
  cJSON *cfg = NULL;
  if (err == WCTR_OK && img_store_read_blob(s->store, r.id, IMG_CONFIG_MAX_BYTES, &text, &len, e) == WCTR_OK) {
    cfg = cJSON_ParseWithLength(text, len);
    free(text);
  }
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(cfg, "config");
  const cJSON *parts[2] = {cJSON_GetObjectItemCaseSensitive(c, "Entrypoint"), cJSON_GetObjectItemCaseSensitive(c, "Cmd")};
  size_t n = 0;
  for (int k = 0; k < 2; k++) n += cJSON_IsArray(parts[k]) ? (size_t)cJSON_GetArraySize(parts[k]) : 0;
  if (err == WCTR_OK && n > 0) {
    out->cmd = calloc(n + 1, sizeof *out->cmd);
    if (out->cmd == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    for (int k = 0; err == WCTR_OK && k < 2; k++) {
      if (!cJSON_IsArray(parts[k])) continue;
      const cJSON *a;
      cJSON_ArrayForEach(a, parts[k]) {
        if (!cJSON_IsString(a)) continue;
        out->cmd[out->cmd_count] = dup_text(a->valuestring);
        if (out->cmd[out->cmd_count] == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
        else out->cmd_count++;
      }
    }
  }
  const cJSON *user = cJSON_GetObjectItemCaseSensitive(c, "User");
  if (err == WCTR_OK && cJSON_IsString(user) && user->valuestring[0] != '\0' && (out->user = dup_text(user->valuestring)) == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON_Delete(cfg);
  img_record_free(&r);
  if (err != WCTR_OK) rt_image_free(out);
  return err;
}
