/* service/store.c - container records on disk, written atomically (contract: service/store.h). */
#include "service/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/log.h"
#include "gmsa/gmsa_util.h"

struct svc_store {
  char root[1024]; /* <data-root>\containers */
};

wctr_err svc_store_path(const svc_store *st, const char *id, const char *file, char *out, size_t size) {
  char dir[1200];
  wctr_err err = wctr_fs_join(dir, sizeof dir, st->root, id);
  if (err == WCTR_OK && file != NULL) return wctr_fs_join(out, size, dir, file);
  if (err == WCTR_OK) err = wctr_fs_join(out, size, dir, "");
  if (err == WCTR_OK) {
    /* wctr_fs_join added a trailing separator for the empty name: the folder itself has none. */
    size_t n = strlen(out);
    if (n > 0) out[n - 1] = '\0';
  }
  return err;
}

wctr_err svc_store_open(const char *data_root, svc_store **out, wctr_errmsg *e) {
  svc_store *st = calloc(1, sizeof *st);
  if (st == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (wctr_fs_join(st->root, sizeof st->root, data_root, "containers") != WCTR_OK) {
    free(st);
    return wctr_fail(e, WCTR_ETOOBIG, "the data root is too long: %s", data_root);
  }
  /* Created inside the data root, whose protected DACL it inherits. */
  wctr_err err = wctr_fs_mkdir(st->root, e);
  if (err != WCTR_OK && !(err == WCTR_EEXIST && wctr_fs_is_dir(st->root))) {
    free(st);
    return err;
  }
  *out = st;
  return WCTR_OK;
}

void svc_store_close(svc_store *st) { free(st); }

char *svc_store_format(const svc_container *c, size_t *len) {
  /* The record form carries a resolved credential spec, which may hold a secret (PluginInput): the file
   * is covered by the data root's DACL, and the text and tree are zeroed once written. Compact: the size
   * a create may reach must load again (SVC_RECORD_MAX). */
  cJSON *json = svc_container_to_record_json(c);
  char *text = json != NULL ? cJSON_PrintUnformatted(json) : NULL;
  gmsa_json_secure_delete(json);
  if (text == NULL) return NULL;
  *len = strlen(text);
  return text;
}

wctr_err svc_store_write(svc_store *st, const char *id, const char *text, size_t len, wctr_errmsg *e) {
  char path[1300];
  if (svc_store_path(st, id, SVC_RECORD_FILE, path, sizeof path) != WCTR_OK) {
    return wctr_fail(e, WCTR_ETOOBIG, "the record path of %s is too long", id);
  }
  if (len > SVC_RECORD_MAX) {
    return wctr_fail(e, WCTR_ETOOBIG, "the record of %.12s would be %zu bytes, more than the %u a record may have",
                     id, len, SVC_RECORD_MAX);
  }
  return wctr_fs_write_atomic(path, text, len, e);
}

wctr_err svc_store_save(svc_store *st, const svc_container *c, wctr_errmsg *e) {
  size_t len = 0;
  char *text = svc_store_format(c, &len);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = svc_store_write(st, c->id, text, len, e);
  wctr_secure_zero(text, len);
  cJSON_free(text);
  return err;
}

wctr_err svc_store_remove(svc_store *st, const char *id, wctr_errmsg *e) {
  char path[1300];
  char doomed[1320];
  if (svc_store_path(st, id, NULL, path, sizeof path) != WCTR_OK) return wctr_fail(e, WCTR_ETOOBIG, "path too long");
  snprintf(doomed, sizeof doomed, "%s.removing", path);
  if (wctr_fs_exists(path)) {
    wctr_err err = wctr_fs_rename(path, doomed, true, e);
    if (err != WCTR_OK) return err;
  }
  return wctr_fs_remove_tree(doomed, e);
}

wctr_err svc_store_create(svc_store *st, const svc_container *c, wctr_errmsg *e) {
  char path[1300];
  char staging[1320];
  char record[1400];
  if (svc_store_path(st, c->id, NULL, path, sizeof path) != WCTR_OK) return wctr_fail(e, WCTR_ETOOBIG, "path too long");
  if (wctr_fs_exists(path)) return wctr_fail(e, WCTR_EEXIST, "the folder of container %.12s exists already", c->id);
  /* The folder is made whole under another name and renamed into place: a crash (kill -9) at any point of a
   * create leaves a <id>.creating folder, which the next load removes, never an <id> folder without its
   * record (which the load would take for a damaged record). */
  snprintf(staging, sizeof staging, "%s" SVC_CREATING_SUFFIX, path);
  if (wctr_fs_join(record, sizeof record, staging, SVC_RECORD_FILE) != WCTR_OK) {
    return wctr_fail(e, WCTR_ETOOBIG, "path too long");
  }
  wctr_errmsg ignored;
  wctr_fs_remove_tree(staging, &ignored); /* a create of the same id that failed half-way */
  wctr_err err = wctr_fs_mkdir(staging, e);
  size_t len = 0;
  char *text = err == WCTR_OK ? svc_store_format(c, &len) : NULL;
  if (err == WCTR_OK && text == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK && len > SVC_RECORD_MAX) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the record of %.12s would be %zu bytes, more than the %u a record may have",
                    c->id, len, SVC_RECORD_MAX);
  }
  if (err == WCTR_OK) err = wctr_fs_write_atomic(record, text, len, e);
  if (text != NULL) {
    wctr_secure_zero(text, len);
    cJSON_free(text);
  }
  if (err == WCTR_OK) err = wctr_fs_rename(staging, path, false, e);
  if (err != WCTR_OK) wctr_fs_remove_tree(staging, &ignored);
  return err;
}

static bool is_container_id(const char *name) {
  if (strlen(name) != SVC_ID_HEX) return false;
  for (const char *p = name; *p != '\0'; p++) {
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
  }
  return true;
}

/* Loads one container folder; moves it aside when its record is unreadable. */
static wctr_err load_one(svc_store *st, const char *id, svc_container *out) {
  char path[1300];
  char tmp[1310];
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  svc_store_path(st, id, SVC_RECORD_FILE, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  if (wctr_fs_exists(tmp) && wctr_fs_remove(tmp) == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "removed an unfinished record write: %s", tmp);
  }
  char *text = NULL;
  size_t len = 0;
  wctr_err err = wctr_fs_read_all(path, SVC_RECORD_MAX, &text, &len);
  if (err != WCTR_OK) {
    wctr_fail(&e, err, "%s", err == WCTR_ETOOBIG ? "the record is larger than the limit" : wctr_strerror(err));
  } else {
    cJSON *json = cJSON_ParseWithLength(text, len);
    err = json == NULL ? wctr_fail(&e, WCTR_EINVAL, "not valid JSON") : svc_container_from_json(json, out, &e);
    gmsa_json_secure_delete(json); /* it may hold a credential spec */
    if (err == WCTR_OK && strcmp(out->id, id) != 0) {
      svc_container_free(out);
      err = wctr_fail(&e, WCTR_EINVAL, "the record's Id does not match its folder");
    }
  }
  if (text != NULL) wctr_secure_zero(text, len);
  free(text);
  if (err != WCTR_OK) {
    char from[1300];
    char to[1320];
    wctr_errmsg me;
    svc_store_path(st, id, NULL, from, sizeof from);
    snprintf(to, sizeof to, "%s.damaged", from);
    bool moved = wctr_fs_rename(from, to, true, &me) == WCTR_OK;
    wctr_log(WCTR_LOG_ERROR, "container %s: unreadable record (%s); %s %s", id, e.text,
             moved ? "moved aside to" : "could not move it aside to", to);
  }
  return err;
}

typedef struct load_ctx {
  svc_store *st;
  char **names;
  size_t count, cap;
  bool oom;
} load_ctx;

static bool collect(void *arg, const char *name, bool is_dir) {
  load_ctx *l = arg;
  if (!is_dir) return true;
  size_t n = strlen(name);
  size_t cn = strlen(SVC_CREATING_SUFFIX);
  bool removing = n > 9 && strcmp(name + n - 9, ".removing") == 0;
  bool creating = n > cn && strcmp(name + n - cn, SVC_CREATING_SUFFIX) == 0;
  if (removing || creating) {
    /* A removal to finish, or a create a crash interrupted: that container was never reported created. */
    char dir[1300];
    wctr_errmsg e;
    if (wctr_fs_join(dir, sizeof dir, l->st->root, name) == WCTR_OK && wctr_fs_remove_tree(dir, &e) == WCTR_OK) {
      wctr_log(WCTR_LOG_INFO, "%s %s", removing ? "finished removing" : "removed an unfinished create:", dir);
    }
    return true;
  }
  if (!is_container_id(name)) return true;
  if (l->count == l->cap) {
    size_t cap = l->cap == 0 ? 16 : l->cap * 2;
    char **grown = realloc(l->names, cap * sizeof *grown);
    if (grown == NULL) {
      l->oom = true;
      return false;
    }
    l->names = grown;
    l->cap = cap;
  }
  size_t len = n + 1;
  l->names[l->count] = malloc(len);
  if (l->names[l->count] == NULL) {
    l->oom = true;
    return false;
  }
  memcpy(l->names[l->count++], name, len);
  return true;
}

wctr_err svc_store_load_all(svc_store *st, svc_container **list, size_t *count, size_t *damaged, wctr_errmsg *e) {
  *list = NULL;
  *count = 0;
  if (damaged != NULL) *damaged = 0;
  load_ctx l = {.st = st};
  wctr_err err = wctr_fs_list(st->root, collect, &l);
  if (err == WCTR_ENOENT) err = WCTR_OK;
  if (err == WCTR_OK && l.oom) err = WCTR_ENOMEM;
  svc_container *out = NULL;
  if (err == WCTR_OK && l.count > 0 && (out = calloc(l.count, sizeof *out)) == NULL) err = WCTR_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < l.count; i++) {
    if (err == WCTR_OK) {
      if (load_one(st, l.names[i], &out[n]) == WCTR_OK) {
        n++;
      } else if (damaged != NULL) {
        (*damaged)++;
      }
    }
    free(l.names[i]);
  }
  free(l.names);
  if (err != WCTR_OK) {
    for (size_t i = 0; i < n; i++) svc_container_free(&out[i]);
    free(out);
    return wctr_fail(e, err, "cannot read %s: %s", st->root, wctr_strerror(err));
  }
  *list = out;
  *count = n;
  return WCTR_OK;
}
