/* service/manager_logs.c - container.logs: the log files at the client's pace, then (with Follow) the live
 * output, with nothing lost or sent twice between the two (service/manager.h, manager_internal.h).
 *
 * A request opens a reader on the log as it is at that instant, under the container's output lock; a
 * follower is registered in the same instant. Until the files are sent, the follower's live lines go to a
 * backlog; once they are, the backlog is sent and the follower goes live. The files are sent in chunks,
 * and the next chunk is read only when the client has taken most of the last one (svc_sink when_drained):
 * a large log is served as fast as the client reads, never buffered whole, and a client that stops reading
 * holds nothing but its own queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "service/manager_internal.h"

enum {
  STEP_BUDGET = 512 * 1024,        /* output read from the files per step */
  CHUNK_MAX = 64 * 1024,           /* output per frame */
  PENDING_HIGH = 1024 * 1024,      /* wait for the client above this */
  PENDING_LOW = 256 * 1024,        /* ... until it is below this */
  BACKLOG_MAX = 8 * 1024 * 1024,   /* live output held while the files are sent */
};

typedef enum follow_phase { PHASE_CATCHUP = 1, PHASE_LIVE } follow_phase;

struct mgr_follow {
  svc_manager *m;
  ctr *c;
  svc_sink *sink;
  svc_log_reader *reader;
  bool timestamps;
  bool details;         /* Docker's --details: each line's attributes and a space before it */
  bool follow;
  char since[40];       /* lines at or after this time only ("" none), the log's time form */
  char until[40];       /* lines at or before this time only ("" none) */
  follow_phase phase;   /* out_lock */
  bool listed;          /* out_lock: in c->followers */
  bool ended;           /* out_lock: the run ended (or there was none): finish once caught up */
  bool finished;        /* out_lock */
  bool overflow;        /* out_lock: the backlog grew past BACKLOG_MAX */
  char *backlog;        /* out_lock: formatted live output, frames of [stream byte][u32 length][bytes] */
  size_t backlog_len, backlog_cap;
  /* The chunk being built (pump only). */
  char *chunk;
  size_t chunk_len;
  int chunk_stream;
  wctr_err err;
  mgr_follow *next;
};

/* Appends a line, with its timestamp when asked ("2026-... line", Docker's -t), to the chunk; sends the
 * chunk when the stream changes or it is full. */
static void chunk_flush(mgr_follow *f) {
  if (f->chunk_len == 0) return;
  if (f->err == WCTR_OK) f->err = svc_sink_output(f->sink, (svc_output_stream)f->chunk_stream, f->chunk, f->chunk_len);
  f->chunk_len = 0;
}

static void chunk_add(mgr_follow *f, int stream, const char *data, size_t len, const char *time,
                      const char *details) {
  if (f->chunk_stream != stream) chunk_flush(f);
  f->chunk_stream = stream;
  size_t dl = f->details ? strlen(details) + 1 : 0;
  size_t need = len + (f->timestamps ? strlen(time) + 1 : 0) + dl;
  if (f->chunk_len + need > CHUNK_MAX) chunk_flush(f);
  if (need > CHUNK_MAX) {
    /* A line bigger than a chunk (a partial entry is at most 16 KiB, so only with huge attributes): on its
     * own. */
    if (f->timestamps) {
      char prefix[48];
      int n = snprintf(prefix, sizeof prefix, "%s ", time);
      if (f->err == WCTR_OK) f->err = svc_sink_output(f->sink, (svc_output_stream)stream, prefix, (size_t)n);
    }
    if (f->details && f->err == WCTR_OK) f->err = svc_sink_output(f->sink, (svc_output_stream)stream, details, dl - 1);
    if (f->details && f->err == WCTR_OK) f->err = svc_sink_output(f->sink, (svc_output_stream)stream, " ", 1);
    if (f->err == WCTR_OK) f->err = svc_sink_output(f->sink, (svc_output_stream)stream, data, len);
    return;
  }
  /* Docker's order: the timestamp, then the attributes, then the line. */
  if (f->timestamps) {
    size_t tl = strlen(time);
    memcpy(f->chunk + f->chunk_len, time, tl);
    f->chunk[f->chunk_len + tl] = ' ';
    f->chunk_len += tl + 1;
  }
  if (f->details) {
    memcpy(f->chunk + f->chunk_len, details, dl - 1);
    f->chunk[f->chunk_len + dl - 1] = ' ';
    f->chunk_len += dl;
  }
  memcpy(f->chunk + f->chunk_len, data, len);
  f->chunk_len += len;
}

/* Since and Until: the log's times are all of one fixed-width form, so they compare as text. */
static bool in_window(const mgr_follow *f, const char *time) {
  if (f->since[0] != '\0' && strcmp(time, f->since) < 0) return false;
  if (f->until[0] != '\0' && strcmp(time, f->until) > 0) return false;
  return true;
}

static void file_line(void *ctx, int stream, const char *data, size_t len, const char *time, const char *details) {
  mgr_follow *f = ctx;
  if (in_window(f, time)) chunk_add(f, stream, data, len, time, details);
}

/* --- followers (out_lock) -------------------------------------------------------------------------------- */

static void backlog_add(mgr_follow *f, int stream, const char *data, size_t len, const char *time,
                        const char *details) {
  size_t tl = f->timestamps ? strlen(time) + 1 : 0;
  size_t dl = f->details ? strlen(details) + 1 : 0;
  size_t need = 5 + tl + dl + len;
  if (f->backlog_len + need > BACKLOG_MAX) {
    f->overflow = true;
    return;
  }
  if (f->backlog_len + need > f->backlog_cap) {
    size_t cap = f->backlog_cap == 0 ? 4096 : f->backlog_cap;
    while (cap < f->backlog_len + need) cap *= 2;
    char *grown = realloc(f->backlog, cap);
    if (grown == NULL) {
      f->overflow = true;
      return;
    }
    f->backlog = grown;
    f->backlog_cap = cap;
  }
  uint32_t n = (uint32_t)(tl + dl + len);
  char *p = f->backlog + f->backlog_len;
  p[0] = (char)stream;
  memcpy(p + 1, &n, 4);
  if (tl > 0) {
    memcpy(p + 5, time, tl - 1);
    p[5 + tl - 1] = ' ';
  }
  if (dl > 0) {
    memcpy(p + 5 + tl, details, dl - 1);
    p[5 + tl + dl - 1] = ' ';
  }
  memcpy(p + 5 + tl + dl, data, len);
  f->backlog_len += need;
}

void mgr_follow_line_locked(void *ctx, int stream, const char *data, size_t len, const char *time, const char *details) {
  ctr *c = ctx;
  WCTR_ASSERT_HELD(&c->out_lock);
  for (mgr_follow *f = c->followers; f != NULL; f = f->next) {
    if (f->finished || f->overflow || !in_window(f, time)) continue;
    if (f->phase == PHASE_CATCHUP) {
      backlog_add(f, stream, data, len, time, details);
      continue;
    }
    if (f->timestamps) {
      char prefix[48];
      int n = snprintf(prefix, sizeof prefix, "%s ", time);
      if (svc_sink_output(f->sink, (svc_output_stream)stream, prefix, (size_t)n) != WCTR_OK) continue;
    }
    if (f->details) {
      if (svc_sink_output(f->sink, (svc_output_stream)stream, details, strlen(details)) != WCTR_OK ||
          svc_sink_output(f->sink, (svc_output_stream)stream, " ", 1) != WCTR_OK) {
        continue;
      }
    }
    /* A follower whose client is gone gets on_close from its front-end; nothing to do here. */
    svc_sink_output(f->sink, (svc_output_stream)stream, data, len);
  }
}

static void follow_unlink_locked(mgr_follow *f) {
  ctr *c = f->c;
  WCTR_ASSERT_HELD(&c->out_lock);
  if (!f->listed) return;
  for (mgr_follow **p = &c->followers; *p != NULL; p = &(*p)->next) {
    if (*p == f) {
      *p = f->next;
      break;
    }
  }
  f->listed = false;
}

mgr_follow *mgr_follow_detach_locked(ctr *c) {
  WCTR_ASSERT_HELD(&c->out_lock);
  mgr_follow *ended = NULL;
  while (c->followers != NULL) {
    mgr_follow *f = c->followers;
    follow_unlink_locked(f);
    f->ended = true;
    /* Only those already live are finished by the caller; one still catching up finishes itself. */
    if (f->phase == PHASE_LIVE && !f->finished) {
      f->finished = true;
      f->next = ended;
      ended = f;
    }
  }
  return ended;
}

void mgr_follow_ended(svc_manager *m, mgr_follow *list) {
  (void)m;
  while (list != NULL) {
    mgr_follow *f = list;
    list = f->next; /* read before finishing: the finish may free f */
    svc_sink_finish(f->sink, WCTR_OK, cJSON_CreateObject(), NULL);
  }
}

/* --- the pump -------------------------------------------------------------------------------------------- */

static void pump(void *arg);

static void pump_later(void *arg) {
  mgr_follow *f = arg;
  mgr_post(f->m, pump, f);
}

/* Sends the backlog's frames (out_lock held). */
static void backlog_send_locked(mgr_follow *f) {
  size_t at = 0;
  while (at + 5 <= f->backlog_len && f->err == WCTR_OK) {
    int stream = f->backlog[at];
    uint32_t n;
    memcpy(&n, f->backlog + at + 1, 4);
    f->err = svc_sink_output(f->sink, (svc_output_stream)stream, f->backlog + at + 5, n);
    at += 5 + n;
  }
  free(f->backlog);
  f->backlog = NULL;
  f->backlog_len = f->backlog_cap = 0;
}

static void pump(void *arg) {
  mgr_follow *f = arg;
  ctr *c = f->c;
  bool done = false;
  if (f->err == WCTR_OK) {
    wctr_err err = svc_log_reader_next(f->reader, STEP_BUDGET, file_line, f, &done);
    chunk_flush(f);
    if (err != WCTR_OK && f->err == WCTR_OK) f->err = err;
  }
  if (f->err != WCTR_OK) done = true;
  if (!done) {
    /* Let the client take most of it before the next chunk; a gone client answers at once. */
    if (f->sink->methods->pending(f->sink) > PENDING_HIGH) {
      f->sink->methods->when_drained(f->sink, PENDING_LOW, pump_later, f);
    } else {
      mgr_post(f->m, pump, f);
    }
    return;
  }
  bool finish = false;
  wctr_err result = f->err == WCTR_EPIPE ? WCTR_OK : f->err;
  const char *message = NULL;
  wctr_mutex_lock(&c->out_lock);
  if (f->follow && f->listed && !f->ended && f->err == WCTR_OK) {
    backlog_send_locked(f);
    if (f->overflow) {
      /* More output arrived while the files were sent than a client may have held for it. */
      follow_unlink_locked(f);
      finish = !f->finished;
      f->finished = true;
      result = WCTR_ETOOBIG;
      message = "the container wrote faster than this client read its log; follow again";
    } else {
      f->phase = PHASE_LIVE;
    }
  } else {
    if (f->err == WCTR_OK && f->backlog_len > 0) backlog_send_locked(f);
    follow_unlink_locked(f);
    finish = !f->finished;
    f->finished = true;
  }
  wctr_mutex_unlock(&c->out_lock);
  uint64_t skipped = svc_log_reader_skipped(f->reader);
  if (skipped > 0) wctr_log(WCTR_LOG_WARN, "container %s: %llu damaged log entries skipped", c->rec.name, (unsigned long long)skipped);
  svc_log_reader_close(f->reader);
  f->reader = NULL;
  if (finish) {
    if (result == WCTR_OK) {
      svc_sink_finish(f->sink, WCTR_OK, cJSON_CreateObject(), NULL);
    } else {
      svc_sink_finish(f->sink, result, NULL, message != NULL ? message : wctr_strerror(result));
    }
  }
}

/* The client left. A live follower is finished here; one still catching up is finished by its pump, which
 * owns the reader and sees the sink fail (or is woken by when_drained) and stops. */
static void follow_close(void *p) {
  mgr_follow *f = p;
  ctr *c = f->c;
  wctr_mutex_lock(&c->out_lock);
  follow_unlink_locked(f);
  bool finish = f->phase == PHASE_LIVE && !f->finished;
  if (finish) f->finished = true;
  wctr_mutex_unlock(&c->out_lock);
  if (finish) svc_sink_finish(f->sink, WCTR_EPIPE, NULL, "the client left");
}

static void follow_release(void *p) {
  mgr_follow *f = p;
  svc_log_reader_close(f->reader);
  mgr_release(f->m, f->c);
  free(f->backlog);
  free(f->chunk);
  free(f);
}

/* "2026-12-07T07:14:33.123456789Z": digits where the log's times have them (svc_log_time_now). */
static bool log_time_valid(const char *t) {
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
  if (strlen(t) != sizeof shape - 1) return false;
  for (size_t i = 0; shape[i] != '\0'; i++) {
    if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i]) return false;
  }
  return true;
}

void mgr_op_logs(void *ctx, const svc_caller *caller, const cJSON *params, svc_sink *sink) {
  (void)caller;
  static const char *const keys[] = {"Tail", "Follow", "Timestamps", "Details", "Since", "Until", NULL};
  svc_manager *m = ctx;
  ctr *c = NULL;
  wctr_errmsg e;
  int64_t tail = -1;
  bool follow = false;
  bool timestamps = false;
  bool details = false;
  int max_files = 0;
  wctr_err err = mgr_find_param(m, params, keys, &c, &e);
  if (err == WCTR_OK) err = wctr_json_get_int64(params, "Tail", "params", false, -1, INT32_MAX, &tail, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Follow", "params", false, &follow, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Timestamps", "params", false, &timestamps, &e);
  if (err == WCTR_OK) err = wctr_json_get_bool(params, "Details", "params", false, &details, &e);
  const char *since = NULL;
  const char *until = NULL;
  if (err == WCTR_OK) err = wctr_json_get_string(params, "Since", "params", false, &since, &e);
  if (err == WCTR_OK) err = wctr_json_get_string(params, "Until", "params", false, &until, &e);
  if (err == WCTR_OK && ((since != NULL && !log_time_valid(since)) || (until != NULL && !log_time_valid(until)))) {
    err = wctr_fail(&e, WCTR_EINVAL, "params: \"%s\" must be a time of the form 2026-12-07T07:14:33.123456789Z",
                    since != NULL && !log_time_valid(since) ? "Since" : "Until");
  }
  mgr_follow *f = err == WCTR_OK ? calloc(1, sizeof *f) : NULL;
  char *chunk = f != NULL ? malloc(CHUNK_MAX) : NULL;
  if (err == WCTR_OK && (f == NULL || chunk == NULL)) err = wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  char path[1400];
  if (err == WCTR_OK) {
    wctr_mutex_lock(&m->lock);
    char dir[1300];
    err = svc_store_path(m->store, c->rec.id, NULL, dir, sizeof dir);
    int64_t max_size = 0;
    spec_log_limits(&c->rec.spec.log, &max_size, &max_files);
    wctr_mutex_unlock(&m->lock);
    if (err == WCTR_OK) err = wctr_fs_join(path, sizeof path, dir, SVC_LOG_FILE);
    if (err != WCTR_OK) wctr_fail(&e, err, "the log path is too long");
  }
  if (err != WCTR_OK) {
    free(f);
    free(chunk);
    mgr_release(m, c);
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  *f = (mgr_follow){.m = m, .c = c, .sink = sink, .timestamps = timestamps, .details = details, .follow = follow,
                    .phase = PHASE_CATCHUP, .chunk = chunk};
  if (since != NULL) snprintf(f->since, sizeof f->since, "%s", since);
  if (until != NULL) snprintf(f->until, sizeof f->until, "%s", until);
  sink->op_ctx = f;
  sink->on_close = follow_close;
  sink->on_release = follow_release;
  /* The snapshot and the registration in one instant: what the reader does not see, the follower gets. */
  wctr_mutex_lock(&c->out_lock);
  err = svc_log_reader_open(path, max_files, tail, &f->reader, &e);
  if (err == WCTR_OK && follow && c->log != NULL) {
    f->next = c->followers;
    c->followers = f;
    f->listed = true;
  }
  if (err != WCTR_OK) f->finished = true;
  wctr_mutex_unlock(&c->out_lock);
  if (err != WCTR_OK) {
    svc_sink_finish(sink, err, NULL, e.text);
    return;
  }
  mgr_post(m, pump, f);
}

wctr_err mgr_log_tag(const spec_container *spec, const char *id, const char *name, char **tag, wctr_errmsg *e) {
  const char *tpl = spec_label_get(&spec->log.opts, "tag");
  *tag = NULL;
  if (tpl == NULL || tpl[0] == '\0') return WCTR_OK; /* Docker's json-file: no tag unless one is asked for */
  /* wctr's records keep the image's name, not its id: .ImageID and .ImageFullID are "". */
  svc_log_tag_info info = {.id = id, .name = name, .image_id = "", .image_name = spec->image != NULL ? spec->image : ""};
  wctr_err err = svc_log_tag(tpl, &info, tag, e);
  if (err == WCTR_OK && (*tag)[0] == '\0') {
    free(*tag);
    *tag = NULL;
  }
  return err;
}

/* Rotated files are compressed on the blocking pool, never on the worker delivering the container's output
 * (its callers hold c->out_lock, so this takes no manager lock either). */
static bool log_defer(void *ctx, void (*fn)(void *arg), void *arg) {
  svc_manager *m = ctx;
  return wctr_ioc_blocking(m->ioc, fn, arg);
}

wctr_err mgr_log_writer_open(svc_manager *m, ctr *c, const mgr_args *a, svc_log_writer **out, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&c->out_lock);
  char path[1400];
  int64_t max_size = 0;
  int max_files = 0;
  spec_labels attrs = {0};
  char *tag = NULL;
  const char **keys = NULL;
  const char **values = NULL;
  size_t count = 0;
  spec_log_limits(&a->spec.log, &max_size, &max_files);
  wctr_err err = wctr_fs_join(path, sizeof path, a->dir, SVC_LOG_FILE);
  if (err != WCTR_OK) return wctr_fail(e, err, "the log path is too long");
  err = spec_log_attrs(&a->spec, &attrs, e);
  if (err == WCTR_OK) err = mgr_log_tag(&a->spec, a->id, a->name, &tag, e);
  /* Created with the first writer and kept by the container: the next run's writer waits for a compression
   * this one leaves. */
  if (err == WCTR_OK && c->log_gz == NULL) c->log_gz = svc_log_gz_new();
  if (err == WCTR_OK && c->log_gz == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    keys = calloc(attrs.count + 1, sizeof *keys);
    values = calloc(attrs.count + 1, sizeof *values);
    if (keys == NULL || values == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  if (err == WCTR_OK) {
    /* The tag joins the attributes in key order, over a label or variable named "tag" (Docker sets it last). */
    bool placed = tag == NULL;
    for (size_t i = 0; i < attrs.count; i++) {
      int order = placed ? -1 : strcmp(attrs.keys[i], "tag");
      if (order >= 0) {
        keys[count] = "tag";
        values[count++] = tag;
        placed = true;
      }
      if (order == 0) continue;
      keys[count] = attrs.keys[i];
      values[count++] = attrs.values[i];
    }
    if (!placed) {
      keys[count] = "tag";
      values[count++] = tag;
    }
    svc_log_options o = {.max_bytes = (uint64_t)max_size,
                         .max_files = max_files,
                         .compress = spec_log_compress(&a->spec.log),
                         .defer = log_defer,
                         .defer_ctx = m,
                         .gz = c->log_gz,
                         .attr_keys = keys,
                         .attr_values = values,
                         .attr_count = count};
    err = svc_log_writer_open(path, &o, out, e);
  }
  free(keys);
  free(values);
  free(tag);
  spec_labels_free(&attrs);
  return err;
}
