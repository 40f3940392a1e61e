/* service/volumes.c - named volumes on disk (portable; service/volumes.h). */
#include "service/volumes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/ioc.h"
#include "common/json.h"
#include "common/log.h"
#include "common/random.h"
#include "spec/spec.h"

#define CREATING ".creating"
#define REMOVING ".removing"
#define RECORD_MAX (256u * 1024u)

struct svc_volumes {
  char dir[1100]; /* <data-root>\volumes */
  svc_volume_secure_fn secure;
  void *secure_ctx;
  wctr_mutex lock;
};

static bool ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n > k && strcmp(s + n - k, suffix) == 0;
}

static bool sweep_one(void *ctx, const char *name, bool is_dir) {
  svc_volumes *v = ctx;
  if (!is_dir || (!ends_with(name, CREATING) && !ends_with(name, REMOVING))) return true;
  char path[1400];
  wctr_errmsg e;
  if (wctr_fs_join(path, sizeof path, v->dir, name) == WCTR_OK && wctr_fs_remove_tree(path, &e) == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "volumes: removed %s, left by an interrupted create or remove", name);
  }
  return true;
}

wctr_err svc_volumes_open(const char *data_root, svc_volume_secure_fn secure, void *secure_ctx, svc_volumes **out,
                          wctr_errmsg *e) {
  svc_volumes *v = calloc(1, sizeof *v);
  wctr_err err = WCTR_OK;
  if (v == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  v->secure = secure;
  v->secure_ctx = secure_ctx;
  if (wctr_fs_join(v->dir, sizeof v->dir, data_root, SPEC_VOLUMES_DIR) != WCTR_OK) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the data root %.200s is too long", data_root);
    goto done;
  }
  if (!wctr_fs_is_dir(v->dir)) {
    err = wctr_fs_mkdir(v->dir, e);
    if (err != WCTR_OK) goto done;
  }
  err = wctr_mutex_init(&v->lock);
  if (err != WCTR_OK) {
    wctr_fail(e, err, "volumes: no lock");
    goto done;
  }
  wctr_fs_list(v->dir, sweep_one, v);
done:
  if (err != WCTR_OK) {
    free(v);
    return err;
  }
  *out = v;
  return WCTR_OK;
}

void svc_volumes_close(svc_volumes *v) {
  if (v == NULL) return;
  wctr_mutex_destroy(&v->lock);
  free(v);
}

wctr_err svc_volumes_data_path(const svc_volumes *v, const char *name, char *out, size_t size) {
  char folder[1400];
  if (wctr_fs_join(folder, sizeof folder, v->dir, name) != WCTR_OK) return WCTR_ETOOBIG;
  return wctr_fs_join(out, size, folder, SPEC_VOLUME_DATA_DIR);
}

/* The record -> Docker's shape. NULL when the record is not one wctr wrote. */
static cJSON *shape_of(const svc_volumes *v, const cJSON *rec) {
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(rec, "Name");
  const cJSON *created = cJSON_GetObjectItemCaseSensitive(rec, "CreatedAt");
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(rec, "Labels");
  const cJSON *anonymous = cJSON_GetObjectItemCaseSensitive(rec, "Anonymous");
  char data[1500];
  if (!cJSON_IsString(name) || spec_volume_check_name(name->valuestring, NULL) != WCTR_OK || !cJSON_IsString(created) ||
      svc_volumes_data_path(v, name->valuestring, data, sizeof data) != WCTR_OK) {
    return NULL;
  }
  cJSON *s = cJSON_CreateObject();
  bool ok = s != NULL && cJSON_AddStringToObject(s, "CreatedAt", created->valuestring) != NULL &&
            cJSON_AddStringToObject(s, "Driver", "local") != NULL;
  bool anon = cJSON_IsTrue(anonymous);
  if (ok && ((cJSON_IsObject(labels) && labels->child != NULL) || anon)) {
    cJSON *copy = cJSON_IsObject(labels) ? cJSON_Duplicate(labels, true) : cJSON_CreateObject();
    /* Docker 23 marks anonymous volumes with this label (prune's default set). */
    if (copy != NULL && anon && cJSON_GetObjectItemCaseSensitive(copy, SVC_VOLUME_ANONYMOUS_LABEL) == NULL) {
      cJSON_AddStringToObject(copy, SVC_VOLUME_ANONYMOUS_LABEL, "");
    }
    ok = copy != NULL && cJSON_AddItemToObject(s, "Labels", copy);
  } else if (ok) {
    ok = cJSON_AddNullToObject(s, "Labels") != NULL;
  }
  ok = ok && cJSON_AddStringToObject(s, "Mountpoint", data) != NULL &&
       cJSON_AddStringToObject(s, "Name", name->valuestring) != NULL && cJSON_AddNullToObject(s, "Options") != NULL &&
       cJSON_AddStringToObject(s, "Scope", "local") != NULL;
  if (!ok) {
    cJSON_Delete(s);
    return NULL;
  }
  return s;
}

/* Reads <dir>\<name>\volume.json into its shape; WCTR_ENOENT when there is no such volume. */
static wctr_err load_locked(svc_volumes *v, const char *name, cJSON **out, wctr_errmsg *e) {
  char folder[1400], file[1500];
  char *text = NULL;
  size_t len = 0;
  cJSON *rec = NULL;
  wctr_err err = WCTR_OK;
  if (spec_volume_check_name(name, NULL) != WCTR_OK || wctr_fs_join(folder, sizeof folder, v->dir, name) != WCTR_OK ||
      wctr_fs_join(file, sizeof file, folder, SVC_VOLUME_FILE) != WCTR_OK || !wctr_fs_is_dir(folder)) {
    return wctr_fail(e, WCTR_ENOENT, "get %.200s: no such volume", name);
  }
  err = wctr_fs_read_all(file, RECORD_MAX, &text, &len);
  if (err != WCTR_OK) {
    err = wctr_fail(e, err == WCTR_ENOENT ? WCTR_ENOENT : err, "get %.200s: no such volume%s", name,
                    err == WCTR_ENOENT ? "" : " (its record cannot be read)");
    goto done;
  }
  rec = cJSON_ParseWithLength(text, len);
  const cJSON *rn = cJSON_GetObjectItemCaseSensitive(rec, "Name");
  cJSON *s = (cJSON_IsString(rn) && strcmp(rn->valuestring, name) == 0) ? shape_of(v, rec) : NULL;
  if (s == NULL) {
    wctr_log(WCTR_LOG_WARN, "volumes: %s holds no record wctr wrote; skipped", file);
    err = wctr_fail(e, WCTR_ENOENT, "get %.200s: no such volume (its record is damaged)", name);
    goto done;
  }
  *out = s;
done:
  cJSON_Delete(rec);
  free(text);
  return err;
}

static wctr_err random_name(char out[65]) {
  unsigned char bytes[32];
  static const char hex[] = "0123456789abcdef";
  if (wctr_random_bytes(bytes, sizeof bytes) != WCTR_OK) return WCTR_ESYSTEM;
  for (size_t i = 0; i < sizeof bytes; i++) {
    out[2 * i] = hex[bytes[i] >> 4];
    out[2 * i + 1] = hex[bytes[i] & 15];
  }
  out[64] = '\0';
  return WCTR_OK;
}

static wctr_err check_labels(const cJSON *labels, wctr_errmsg *e) {
  if (labels == NULL || cJSON_IsNull(labels)) return WCTR_OK;
  if (!cJSON_IsObject(labels)) return wctr_fail(e, WCTR_EINVAL, "params: \"Labels\" must be an object of strings");
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (!cJSON_IsString(l) || l->string == NULL || l->string[0] == '\0') {
      return wctr_fail(e, WCTR_EINVAL, "params: \"Labels\" must map non-empty keys to strings");
    }
  }
  return WCTR_OK;
}

wctr_err svc_volumes_create(svc_volumes *v, const char *name, const cJSON *labels, bool anonymous, cJSON **out,
                            bool *existed, wctr_errmsg *e) {
  char generated[65];
  char final[1400], tmp[1400], data[1500], file[1500];
  char *text = NULL;
  cJSON *rec = NULL;
  bool made = false;
  wctr_err err = WCTR_OK;
  if (existed != NULL) *existed = false;
  if (name == NULL) {
    if (random_name(generated) != WCTR_OK) return wctr_fail(e, WCTR_ESYSTEM, "no random numbers for a volume name");
    name = generated;
    anonymous = true;
  }
  err = spec_volume_check_name(name, e);
  if (err == WCTR_OK) err = check_labels(labels, e);
  if (err != WCTR_OK) return err;
  wctr_mutex_lock(&v->lock);
  if (wctr_fs_join(final, sizeof final, v->dir, name) != WCTR_OK ||
      snprintf(tmp, sizeof tmp, "%s" CREATING, final) >= (int)sizeof tmp ||
      wctr_fs_join(data, sizeof data, tmp, SPEC_VOLUME_DATA_DIR) != WCTR_OK ||
      wctr_fs_join(file, sizeof file, tmp, SVC_VOLUME_FILE) != WCTR_OK) {
    err = wctr_fail(e, WCTR_ETOOBIG, "create %.64s: the volume's path is too long", name);
    goto done;
  }
  if (wctr_fs_exists(final)) {
    cJSON *s = NULL;
    err = load_locked(v, name, &s, e);
    if (err == WCTR_OK && existed != NULL) *existed = true;
    if (err == WCTR_OK && out != NULL) {
      *out = s;
    } else {
      cJSON_Delete(s);
    }
    goto done;
  }
  /* A leftover of a create that failed half-way in this run (the sweep handles those of a crash). */
  wctr_fs_remove_tree(tmp, NULL);
  err = wctr_fs_mkdir(tmp, e);
  if (err != WCTR_OK) goto done;
  made = true;
  err = wctr_fs_mkdir(data, e);
  if (err == WCTR_OK && v->secure != NULL) err = v->secure(v->secure_ctx, data, e);
  if (err != WCTR_OK) goto done;
  char now[40];
  wctr_time_now_iso8601(now, sizeof now);
  rec = cJSON_CreateObject();
  cJSON *lab = labels != NULL && cJSON_IsObject(labels) ? cJSON_Duplicate(labels, true) : cJSON_CreateObject();
  bool ok = rec != NULL && lab != NULL && cJSON_AddNumberToObject(rec, "Version", 1) != NULL &&
            cJSON_AddStringToObject(rec, "Name", name) != NULL && cJSON_AddStringToObject(rec, "Driver", "local") &&
            cJSON_AddStringToObject(rec, "CreatedAt", now) != NULL && cJSON_AddItemToObject(rec, "Labels", lab) &&
            cJSON_AddBoolToObject(rec, "Anonymous", anonymous) != NULL;
  if (!ok && rec != NULL && lab != NULL && cJSON_GetObjectItemCaseSensitive(rec, "Labels") != lab) cJSON_Delete(lab);
  text = ok ? cJSON_PrintUnformatted(rec) : NULL;
  if (text == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  err = wctr_fs_write_atomic(file, text, strlen(text), e);
  if (err == WCTR_OK) err = wctr_fs_rename(tmp, final, false, e);
  if (err != WCTR_OK) goto done;
  made = false;
  if (out != NULL) {
    *out = shape_of(v, rec);
    if (*out == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
done:
  if (made) wctr_fs_remove_tree(tmp, NULL);
  wctr_mutex_unlock(&v->lock);
  cJSON_Delete(rec);
  if (text != NULL) cJSON_free(text);
  return err;
}

bool svc_volume_is_anonymous(const cJSON *shape) {
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(shape, "Labels");
  return cJSON_IsObject(labels) && cJSON_GetObjectItemCaseSensitive(labels, SVC_VOLUME_ANONYMOUS_LABEL) != NULL;
}

wctr_err svc_volumes_get(svc_volumes *v, const char *name, cJSON **out, wctr_errmsg *e) {
  wctr_mutex_lock(&v->lock);
  wctr_err err = load_locked(v, name, out, e);
  wctr_mutex_unlock(&v->lock);
  return err;
}

typedef struct list_ctx {
  svc_volumes *v;
  cJSON *arr;
  bool oom;
} list_ctx;

static bool list_one(void *ctx, const char *name, bool is_dir) {
  list_ctx *l = ctx;
  cJSON *s = NULL;
  if (!is_dir || ends_with(name, CREATING) || ends_with(name, REMOVING)) return true;
  if (load_locked(l->v, name, &s, NULL) != WCTR_OK) return true;
  if (!cJSON_AddItemToArray(l->arr, s)) {
    cJSON_Delete(s);
    l->oom = true;
  }
  return true;
}

static int by_name(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a;
  const cJSON *y = *(const cJSON *const *)b;
  return strcmp(cJSON_GetObjectItemCaseSensitive(x, "Name")->valuestring,
                cJSON_GetObjectItemCaseSensitive(y, "Name")->valuestring);
}

/* Sorted by name, so that `volume ls` is stable whatever order the folder lists in. (Not by inserting each in
 * place: cJSON 1.7.15's cJSON_InsertItemInArray refuses an index past the first insertion at 0, and the volume
 * was lost.) */
static bool sort_by_name(cJSON *arr) {
  int n = cJSON_GetArraySize(arr);
  if (n < 2) return true;
  cJSON **items = calloc((size_t)n, sizeof *items);
  if (items == NULL) return false;
  int i = 0;
  while (arr->child != NULL) items[i++] = cJSON_DetachItemViaPointer(arr, arr->child);
  qsort(items, (size_t)n, sizeof *items, by_name);
  for (i = 0; i < n; i++) cJSON_AddItemToArray(arr, items[i]);
  free(items);
  return true;
}

wctr_err svc_volumes_list(svc_volumes *v, cJSON **out, wctr_errmsg *e) {
  list_ctx l = {.v = v, .arr = cJSON_CreateArray()};
  if (l.arr == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_mutex_lock(&v->lock);
  wctr_err err = wctr_fs_list(v->dir, list_one, &l);
  wctr_mutex_unlock(&v->lock);
  if (err != WCTR_OK && err != WCTR_ENOENT) {
    cJSON_Delete(l.arr);
    return wctr_fail(e, err, "volumes: %s cannot be listed", v->dir);
  }
  if (l.oom || !sort_by_name(l.arr)) {
    cJSON_Delete(l.arr);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *out = l.arr;
  return WCTR_OK;
}

wctr_err svc_volumes_remove(svc_volumes *v, const char *name, svc_volume_in_use_fn in_use, void *ctx, wctr_errmsg *e) {
  char final[1400], gone[1400];
  cJSON *s = NULL;
  wctr_mutex_lock(&v->lock);
  wctr_err err = load_locked(v, name, &s, e);
  if (err == WCTR_OK && in_use != NULL) err = in_use(ctx, name, e);
  if (err == WCTR_OK && (wctr_fs_join(final, sizeof final, v->dir, name) != WCTR_OK ||
                         snprintf(gone, sizeof gone, "%s" REMOVING, final) >= (int)sizeof gone)) {
    err = wctr_fail(e, WCTR_ETOOBIG, "remove %.64s: the volume's path is too long", name);
  }
  /* One atomic step after which the volume is gone for every reader; the deletion may take long, or be
   * finished by the next start. */
  if (err == WCTR_OK) err = wctr_fs_rename(final, gone, false, e);
  if (err == WCTR_OK) {
    wctr_errmsg why;
    if (wctr_fs_remove_tree(gone, &why) != WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "volumes: %s is not fully removed yet (%s); the next start finishes it", gone, why.text);
    }
  }
  wctr_mutex_unlock(&v->lock);
  cJSON_Delete(s);
  return err;
}
