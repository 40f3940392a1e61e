/* service/manager_archive.c - container.archive.stat, container.archive.get and container.archive.put
 * (service/manager.h): a container's files as tar streams, for `wctr cp` and the Engine API's
 * /containers/{id}/archive. Portable: the walk, the tar and the checks are images/tar_tree.h's.
 *
 * Where C:\ is. A job container's C:\ is its sandbox folder (its image path), running or not; a job
 * container of image "host" has none and is refused (its files are the host's: copy them on the host). A
 * process-isolated container's C:\ is the volume its runtime mounted (the record's runtime "StoragePath")
 * while it runs. A running Hyper-V container is refused with dockerd's own sentence (daemon/archive_windows.go:
 * its file system lives in the utility VM). A process-isolated or Hyper-V container that does not run has its
 * root mounted on the host by its runtime (rt_methods.mount_root, RT_METHODS_V4; dockerd mounts its layers the
 * same way) for the stat, get or put, on the pool and with no lock held, then unmounted (get: once the tar is
 * packed into the temporary file; put: once it is extracted; on every failure path too). From the checks until
 * that unmount the container is held (ctr.copying, under m->lock, with a reference): a start or removal is
 * refused with MGR_COPYING_MESSAGE (WCTR_EBUSY, 409), and so is another copy of the same stopped container. A
 * runtime without mount_root (an older table) is refused with the reason.
 *
 * A crash in the middle leaves the temporary archive-*.tar in the container's folder (the recovery removes it,
 * service/manager_recover.c) and maybe a mounted scratch (the runtime's sweep at wctrd's start unmounts the
 * scratch of every owned container that does not run).
 *
 * Who may: whoever may use the container (the pipe's DACL, the Engine API's token), as docker cp is open to
 * whoever may use dockerd. wctrd reads and writes as itself (SYSTEM) inside the root, and a job container's
 * sandbox is any folder its creator named, so a member of the pipe's groups reaches through cp what the
 * container's own identity could not: docs/security.md says so; give the pipe's groups to administrators.
 *
 * get packs the path into a temporary file of the container's folder on the pool (memory stays bounded,
 * whatever the tree), sends a "stat" frame, then the tar as output chunks at the client's pace
 * (when_drained), then finishes with {"Size"}. put writes the client's stdin frames (the tar) into a
 * temporary file, then extracts it on the pool (images/tar_tree.h: staged whole, then moved into place). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "common/random.h"
#include "docker/docker.h"
#include "images/tar_tree.h"
#include "images/tar_write.h"
#include "service/manager_internal.h"

enum { ARCHIVE_CHUNK = 64 * 1024, ARCHIVE_HIGH = 1024 * 1024, ARCHIVE_LOW = 256 * 1024 };

/* Go's os.ModeDir: Docker's stat reports a folder's mode with it. */
#define GO_MODE_DIR UINT32_C(0x80000000)

typedef struct archive_target {
  char root[1400];
  char rel[IMG_PATH_MAX];
  char path[IMG_PATH_MAX]; /* as the client wrote it, for Docker's sentences */
  char ref[SVC_NAME_MAX + 80];
  char tmp[1400];          /* the temporary tar in the container's folder */
  bool dir_hint;
  /* A stopped HCS container whose root this copy mounts: held (c->copying and a reference) from target_of until
   * target_drop; root is filled by target_mount. */
  ctr *held;
  mgr_args *args;
  bool mounted;
} archive_target;

/* m->lock held: a process-isolated or Hyper-V container that does not run, held for a copy that mounts its root
 * (archive_target.held). Refused when it is busy (starting, its run ending, being removed, another copy) or its
 * runtime has no mount_root. */
static wctr_err hold_locked(svc_manager *m, ctr *c, archive_target *t, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&m->lock);
  if (c->rt == NULL || RT_MOUNT_ROOT_FN(c->rt->methods) == NULL || RT_UNMOUNT_ROOT_FN(c->rt->methods) == NULL) {
    return wctr_fail(e, WCTR_ENOTSUP, "container %s is not running and its runtime cannot mount a stopped %s container's "
                     "file system (start it to copy)", t->ref,
                     c->rec.spec.isolation == WCTR_ISOLATION_HYPERV ? "Hyper-V" : "process-isolated");
  }
  if (c->copying) return wctr_fail(e, WCTR_EBUSY, MGR_COPYING_MESSAGE, t->ref, "copied");
  if (c->starting || c->task != NULL || c->releasing) {
    return wctr_fail(e, WCTR_ESTATE, "container %s is %s: try the copy again", t->ref,
                     c->starting ? "starting" : "stopping");
  }
  if (c->unlinked || c->rec.state.status == SVC_STATE_REMOVING) {
    return wctr_fail(e, WCTR_ENOENT, "No such container: %s", t->ref);
  }
  mgr_args *args = calloc(1, sizeof *args);
  if (args == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = mgr_args_fill_locked(m, c, args, e);
  if (err != WCTR_OK) {
    free(args);
    return err;
  }
  c->copying = true;
  mgr_ref_locked(m, c);
  t->held = c;
  t->args = args;
  return WCTR_OK;
}

/* Finds the container and where its C:\ is (m->lock taken and released); params "Id" and "Path". A stopped
 * HCS container comes back held (target_mount, target_unmount and target_drop follow). */
static wctr_err target_of(svc_manager *m, const cJSON *params, const char *const *extra, archive_target *t,
                          wctr_errmsg *e) {
  ctr *c = NULL;
  const char *path = NULL;
  const char *ref = NULL;
  memset(t, 0, sizeof *t);
  wctr_err err = mgr_find_param(m, params, extra, &c, e);
  if (err == WCTR_OK) err = wctr_json_get_string(params, "Path", "params", true, &path, e);
  if (err == WCTR_OK) (void)wctr_json_get_string(params, "Id", "params", true, &ref, e);
  if (err == WCTR_OK) err = img_cpath_parse(path, t->rel, sizeof t->rel, &t->dir_hint, e);
  if (err != WCTR_OK) goto done;
  snprintf(t->path, sizeof t->path, "%s", path);
  snprintf(t->ref, sizeof t->ref, "%s", ref);
  uint8_t rnd[8];
  char name[48];
  if (wctr_random_bytes(rnd, sizeof rnd) != WCTR_OK) {
    err = wctr_fail(e, WCTR_ESYSTEM, "no random bytes for a temporary file's name");
    goto done;
  }
  snprintf(name, sizeof name, "archive-%02x%02x%02x%02x%02x%02x%02x%02x.tar", rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
           rnd[5], rnd[6], rnd[7]);
  wctr_mutex_lock(&m->lock);
  const spec_container *s = &c->rec.spec;
  bool running = c->rec.state.status == SVC_STATE_RUNNING;
  const cJSON *storage = cJSON_GetObjectItemCaseSensitive(c->rec.runtime, "StoragePath");
  if (svc_store_path(m->store, c->rec.id, name, t->tmp, sizeof t->tmp) != WCTR_OK) {
    err = wctr_fail(e, WCTR_ETOOBIG, "the container folder's path is too long");
  } else if (s->isolation == WCTR_ISOLATION_JOB) {
    if (spec_job_image_is_host(s->image)) {
      err = wctr_fail(e, WCTR_EINVAL, "container %s has no sandbox (image \"host\"): its files are the host's; copy them "
                      "on the host", t->ref);
    } else {
      snprintf(t->root, sizeof t->root, "%s", s->image);
    }
  } else if (s->isolation == WCTR_ISOLATION_HYPERV && running) {
    err = wctr_fail(e, WCTR_ENOTSUP, "filesystem operations against a running Hyper-V container are not supported");
  } else if (s->isolation == WCTR_ISOLATION_PROCESS && running && cJSON_IsString(storage) &&
             storage->valuestring[0] != '\0') {
    snprintf(t->root, sizeof t->root, "%s", storage->valuestring);
  } else if (running) {
    err = wctr_fail(e, WCTR_ENOTSUP, "container %s: its runtime reported no mounted volume to copy from", t->ref);
  } else {
    err = hold_locked(m, c, t, e);
  }
  wctr_mutex_unlock(&m->lock);
done:
  if (c != NULL) mgr_release(m, c);
  return err;
}

/* On the pool, no lock held: a held container's root mounted by its runtime (nothing for the others). */
static wctr_err target_mount(archive_target *t, wctr_errmsg *e) {
  WCTR_ASSERT_NOT_HELD(&t->held->m->lock);
  rt_runtime *rt = t->held->rt;
  wctr_err err = RT_MOUNT_ROOT_FN(rt->methods)(rt, &t->args->a, t->root, sizeof t->root, e);
  if (err != WCTR_OK) {
    char why[sizeof e->text];
    snprintf(why, sizeof why, "%s", e->text);
    return wctr_fail(e, err, "container %s: its file system cannot be mounted to copy: %s", t->ref, why);
  }
  t->mounted = true;
  return WCTR_OK;
}

/* On the pool, no lock held: undoes target_mount (a failure is logged: the runtime's sweep takes it at the next
 * start). */
static void target_unmount(archive_target *t) {
  if (!t->mounted) return;
  WCTR_ASSERT_NOT_HELD(&t->held->m->lock);
  rt_runtime *rt = t->held->rt;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (RT_UNMOUNT_ROOT_FN(rt->methods)(rt, &t->args->a, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: its file system is still mounted after a copy: %s", t->ref, e.text);
  }
  t->mounted = false;
  t->root[0] = '\0';
}

/* The container is free again (start, rm, another copy). Non-blocking; after target_unmount (or without a
 * mount). No lock held. */
static void target_drop(archive_target *t) {
  ctr *c = t->held;
  if (c == NULL) return;
  svc_manager *m = c->m;
  WCTR_ASSERT_NOT_HELD(&m->lock);
  if (t->mounted) wctr_log(WCTR_LOG_WARN, "container %s: a copy ended with its file system mounted", t->ref);
  wctr_mutex_lock(&m->lock);
  c->copying = false;
  wctr_mutex_unlock(&m->lock);
  t->held = NULL;
  mgr_args_free(t->args);
  free(t->args);
  t->args = NULL;
  mgr_release(m, c);
}

/* rel resolved under root; a missing path in Docker's words (404 on the Engine API). */
static wctr_err resolve(const archive_target *t, char *out, size_t size, wctr_fs_info *st, wctr_errmsg *e) {
  wctr_err err = img_tree_resolve(t->root, t->rel, out, size, st, e);
  if (err == WCTR_ENOENT) return wctr_fail(e, WCTR_ENOENT, "Could not find the file %s in container %s", t->path, t->ref);
  return err;
}

static const char *base_name(const archive_target *t) {
  const char *slash = strrchr(t->rel, '/');
  return t->rel[0] == '\0' ? "\\" : slash != NULL ? slash + 1 : t->rel;
}

/* Docker's container path stat: {"name","size","mode","mtime","linkTarget"}. */
static cJSON *stat_json(const archive_target *t, const wctr_fs_info *st) {
  cJSON *o = cJSON_CreateObject();
  char when[64];
  docker_time_rfc3339(st->mtime, 0, when, sizeof when);
  cJSON_AddStringToObject(o, "name", base_name(t));
  cJSON_AddNumberToObject(o, "size", (double)st->size);
  cJSON_AddNumberToObject(o, "mode", (double)(st->kind == WCTR_FS_DIR ? GO_MODE_DIR | 0755u : 0644u));
  cJSON_AddStringToObject(o, "mtime", when);
  cJSON_AddStringToObject(o, "linkTarget", "");
  return o;
}

static const char *const path_key[] = {"Path", NULL};

wctr_err mgr_op_archive_stat(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  svc_manager *m = ctx;
  archive_target *t = calloc(1, sizeof *t);
  char *host = malloc(IMG_PATH_MAX);
  (void)caller;
  wctr_err err = t != NULL && host != NULL ? target_of(m, params, path_key, t, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_fs_info st;
  if (err == WCTR_OK && t->held != NULL) err = target_mount(t, e);
  if (err == WCTR_OK) err = resolve(t, host, IMG_PATH_MAX, &st, e);
  if (err == WCTR_OK) *result = stat_json(t, &st);
  if (t != NULL) {
    target_unmount(t);
    target_drop(t);
  }
  free(host);
  free(t);
  return err;
}

/* --- get ---------------------------------------------------------------------------------------------------- */

typedef struct get_op {
  svc_manager *m;
  svc_sink *sink;
  archive_target t;
  wctr_file *file;
  uint64_t size, sent;
  wctr_mutex lock;
  bool closed;
  char *buf;
} get_op;

static wctr_err file_out(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  wctr_err err = wctr_file_write(ctx, data, len);
  return err == WCTR_OK ? WCTR_OK : wctr_fail(e, err, "the temporary archive cannot be written");
}

static void get_pump(void *arg);

static void get_drained(void *arg) {
  get_op *op = arg;
  if (!mgr_pool(op->m, get_pump, op)) get_pump(op);
}

/* On the pool: the file's chunks until the client's queue is full, then again once it drained. */
static void get_pump(void *arg) {
  get_op *op = arg;
  for (;;) {
    wctr_mutex_lock(&op->lock);
    bool closed = op->closed;
    wctr_mutex_unlock(&op->lock);
    size_t got = 0;
    size_t want = op->size - op->sent < ARCHIVE_CHUNK ? (size_t)(op->size - op->sent) : ARCHIVE_CHUNK;
    wctr_err err = closed ? WCTR_ECANCELED : want == 0 ? WCTR_OK : wctr_file_pread(op->file, op->sent, op->buf, want, &got);
    if (err == WCTR_OK && want > 0 && got == 0) err = WCTR_EIO;
    if (err == WCTR_OK && got > 0) err = svc_sink_output(op->sink, SVC_STDOUT, op->buf, got);
    op->sent += got;
    if (err != WCTR_OK || op->sent == op->size) {
      cJSON *result = NULL;
      if (err == WCTR_OK) {
        result = cJSON_CreateObject();
        cJSON_AddNumberToObject(result, "Size", (double)op->size);
      }
      svc_sink_finish(op->sink, err, result, err == WCTR_OK ? "" : closed ? "the client left" : "the archive cannot be sent");
      return;
    }
    if (op->sink->methods->pending(op->sink) > ARCHIVE_HIGH) {
      op->sink->methods->when_drained(op->sink, ARCHIVE_LOW, get_drained, op);
      return;
    }
  }
}

/* On the pool: resolve, pack into the temporary file, the stat frame, then the pump. */
static void get_job(void *arg) {
  get_op *op = arg;
  wctr_errmsg e;
  e.text[0] = '\0';
  char *host = malloc(IMG_PATH_MAX);
  wctr_fs_info st;
  wctr_err err = host != NULL ? WCTR_OK : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK && op->t.held != NULL) err = target_mount(&op->t, &e);
  if (err == WCTR_OK) err = resolve(&op->t, host, IMG_PATH_MAX, &st, &e);
  if (err == WCTR_OK) err = wctr_file_open(op->t.tmp, WCTR_FILE_TRUNCATE, &op->file, &e);
  if (err == WCTR_OK) {
    img_tarw w;
    img_tarw_init(&w, file_out, op->file);
    err = img_tree_pack(host, op->t.rel[0] == '\0' ? "." : base_name(&op->t), &w, &e);
    if (err == WCTR_OK) err = img_tarw_finish(&w, &e);
    op->size = w.written;
    /* The writer's handle appends; the pump reads at offsets through a reading one. */
    wctr_file_close(op->file);
    op->file = NULL;
    if (err == WCTR_OK) err = wctr_file_open(op->t.tmp, WCTR_FILE_READ, &op->file, &e);
  }
  /* The tar is whole in the temporary file: the container's root is not needed for the sending. */
  target_unmount(&op->t);
  if (err == WCTR_OK) err = svc_sink_frame(op->sink, "stat", stat_json(&op->t, &st));
  free(host);
  if (err != WCTR_OK) {
    svc_sink_finish(op->sink, err, NULL, e.text[0] != '\0' ? e.text : "the client left");
    return;
  }
  get_pump(op);
}

static void get_close(void *arg) {
  get_op *op = arg;
  wctr_mutex_lock(&op->lock);
  op->closed = true;
  wctr_mutex_unlock(&op->lock);
}

static void get_release(void *arg) {
  get_op *op = arg;
  target_drop(&op->t);
  wctr_file_close(op->file);
  if (op->t.tmp[0] != '\0') (void)wctr_fs_remove(op->t.tmp);
  free(op->buf);
  wctr_mutex_destroy(&op->lock);
  free(op);
}

void mgr_op_archive_get(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  svc_manager *m = ctx;
  (void)caller;
  wctr_errmsg e;
  e.text[0] = '\0';
  get_op *op = calloc(1, sizeof *op);
  wctr_err err = op != NULL && wctr_mutex_init(&op->lock) == WCTR_OK && (op->buf = malloc(ARCHIVE_CHUNK)) != NULL
                     ? WCTR_OK
                     : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = target_of(m, params, path_key, &op->t, &e);
  if (err != WCTR_OK) {
    if (op != NULL) {
      op->t.tmp[0] = '\0';
      if (op->lock.impl != NULL) {
        get_release(op);
      } else {
        free(op);
      }
    }
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  op->m = m;
  op->sink = sink;
  sink->op_ctx = op;
  sink->on_close = get_close;
  sink->on_release = get_release;
  if (!mgr_pool(m, get_job, op)) svc_sink_finish(sink, WCTR_ECANCELED, NULL, "the service is stopping");
}

/* --- put ---------------------------------------------------------------------------------------------------- */

typedef struct put_op {
  svc_manager *m;
  svc_sink *sink;
  archive_target t;
  wctr_file *file;
  bool no_overwrite;
  char rename_from[256], rename_to[256];
  bool rename;
  wctr_err err;
  char message[256];
  bool started;
  uint64_t pos;
} put_op;

static wctr_err tmp_read(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  put_op *op = ctx;
  wctr_err err = wctr_file_pread(op->file, op->pos, buf, size, got);
  if (err != WCTR_OK) return wctr_fail(e, err, "the temporary archive cannot be read");
  op->pos += *got;
  return WCTR_OK;
}

static void put_job(void *arg) {
  put_op *op = arg;
  wctr_errmsg e;
  e.text[0] = '\0';
  char *host = malloc(IMG_PATH_MAX);
  wctr_fs_info st;
  wctr_err err = op->err;
  if (err != WCTR_OK) {
    snprintf(e.text, sizeof e.text, "%s", op->message);
  } else if (host == NULL) {
    err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  } else {
    err = op->t.held != NULL ? target_mount(&op->t, &e) : WCTR_OK;
    if (err == WCTR_OK) err = resolve(&op->t, host, IMG_PATH_MAX, &st, &e);
  }
  if (err == WCTR_OK && st.kind != WCTR_FS_DIR) {
    err = wctr_fail(&e, WCTR_EINVAL, "extraction point is not a directory: %s in container %s", op->t.path, op->t.ref);
  }
  if (err == WCTR_OK) err = wctr_file_open(op->t.tmp, WCTR_FILE_READ, &op->file, &e);
  uint64_t entries = 0;
  if (err == WCTR_OK) {
    img_tree_extract_opts o = {.no_overwrite_dir_nondir = op->no_overwrite};
    if (op->rename) {
      o.strip = op->rename_from;
      o.replace = op->rename_to;
    }
    err = img_tree_extract(tmp_read, op, host, &o, &entries, &e);
  }
  target_unmount(&op->t);
  wctr_file_close(op->file);
  op->file = NULL;
  (void)wctr_fs_remove(op->t.tmp);
  free(host);
  cJSON *result = NULL;
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "%" PRIu64 " entries copied into container %s at %s", entries, op->t.ref, op->t.path);
    result = cJSON_CreateObject();
    cJSON_AddNumberToObject(result, "Entries", (double)entries);
  }
  svc_sink_finish(op->sink, err, result, err == WCTR_OK ? "" : e.text);
}

static void put_input(void *arg, const char *data, size_t len, bool eof) {
  put_op *op = arg;
  if (op->started) return;
  if (op->err == WCTR_OK && len > 0) {
    op->err = wctr_file_write(op->file, data, len);
    if (op->err != WCTR_OK) snprintf(op->message, sizeof op->message, "the archive cannot be written to the container's folder");
  }
  if (!eof) return;
  op->started = true;
  wctr_file_close(op->file);
  op->file = NULL;
  if (!mgr_pool(op->m, put_job, op)) {
    (void)wctr_fs_remove(op->t.tmp);
    svc_sink_finish(op->sink, WCTR_ECANCELED, NULL, "the service is stopping");
  }
}

static void put_close(void *arg) {
  put_op *op = arg;
  if (op->started) return;
  op->started = true;
  wctr_file_close(op->file);
  op->file = NULL;
  (void)wctr_fs_remove(op->t.tmp);
  svc_sink_finish(op->sink, WCTR_ECANCELED, NULL, "the client left before the archive ended");
}

static void put_release(void *arg) {
  put_op *op = arg;
  target_drop(&op->t);
  wctr_file_close(op->file);
  free(op);
}

void mgr_op_archive_put(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  static const char *const extra[] = {"Path", "NoOverwriteDirNonDir", "CopyUIDGID", "Rename", NULL};
  static const char *const rename_keys[] = {"From", "To", NULL};
  svc_manager *m = ctx;
  (void)caller;
  wctr_errmsg e;
  e.text[0] = '\0';
  put_op *op = calloc(1, sizeof *op);
  wctr_err err = op != NULL ? WCTR_OK : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = target_of(m, params, extra, &op->t, &e);
  bool copy_ids = false;
  const cJSON *rename = NULL;
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "NoOverwriteDirNonDir", "params", false, &op->no_overwrite, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "CopyUIDGID", "params", false, &copy_ids, &e);
  if (err == WCTR_OK && copy_ids) {
    err = wctr_fail(&e, WCTR_EINVAL, "params.CopyUIDGID: Windows files have no uid or gid to copy (docker cp -a)");
  }
  if (err == WCTR_OK) err = wctr_json_get_object(params, "Rename", "params", false, &rename, &e);
  if (err == WCTR_OK && rename != NULL) {
    const char *from = NULL, *to = NULL;
    err = wctr_json_check_keys(rename, "params.Rename", rename_keys, &e);
    if (err == WCTR_OK) err = wctr_json_get_string(rename, "From", "params.Rename", true, &from, &e);
    if (err == WCTR_OK) err = wctr_json_get_string(rename, "To", "params.Rename", true, &to, &e);
    if (err == WCTR_OK && (!img_name_valid(from, strlen(from)) || (to[0] != '\0' && !img_name_valid(to, strlen(to))))) {
      err = wctr_fail(&e, WCTR_EINVAL, "params.Rename: From and To must be Windows file names (To may be empty)");
    }
    if (err == WCTR_OK) {
      snprintf(op->rename_from, sizeof op->rename_from, "%s", from);
      snprintf(op->rename_to, sizeof op->rename_to, "%s", to);
      op->rename = true;
    }
  }
  if (err == WCTR_OK) err = wctr_file_open(op->t.tmp, WCTR_FILE_TRUNCATE, &op->file, &e);
  if (err != WCTR_OK) {
    if (op != NULL) target_drop(&op->t);
    free(op);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  op->m = m;
  op->sink = sink;
  sink->op_ctx = op;
  sink->on_input = put_input;
  sink->on_close = put_close;
  sink->on_release = put_release;
}
