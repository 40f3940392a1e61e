/* tests/service/tsink.c - the test sink (tests/service/tsink.h). */
#include "tsink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void append(char **buf, size_t *len, const char *data, size_t n) {
  char *grown = realloc(*buf, *len + n + 1);
  if (grown == NULL) abort();
  memcpy(grown + *len, data, n);
  *len += n;
  grown[*len] = '\0';
  *buf = grown;
}

static wctr_err ts_output(svc_sink *base, svc_output_stream stream, const char *data, size_t len) {
  tsink *s = (tsink *)base;
  pthread_mutex_lock(&s->mu);
  if (s->finished) abort(); /* the contract: nothing after finish */
  wctr_err err = WCTR_OK;
  if (s->closed) {
    err = WCTR_EPIPE;
  } else {
    int i = stream == SVC_STDERR ? 2 : 1;
    append(&s->out[i], &s->out_len[i], data, len);
    append(&s->all, &s->all_len, data, len);
    s->output_calls++;
    if (s->slow) s->pending += len;
  }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return err;
}

static wctr_err ts_frame(svc_sink *base, const char *kind, cJSON *data) {
  tsink *s = (tsink *)base;
  pthread_mutex_lock(&s->mu);
  if (s->finished) abort();
  wctr_err err = WCTR_OK;
  if (s->closed) {
    err = WCTR_EPIPE;
    cJSON_Delete(data);
  } else {
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "kind", kind);
    cJSON_AddItemToObject(f, "data", data);
    cJSON_AddItemToArray(s->frames, f);
    if (s->slow) s->pending += 100;
  }
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return err;
}

static size_t ts_pending(svc_sink *base) {
  tsink *s = (tsink *)base;
  pthread_mutex_lock(&s->mu);
  size_t n = s->pending;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static void ts_when_drained(svc_sink *base, size_t below, void (*fn)(void *), void *arg) {
  tsink *s = (tsink *)base;
  pthread_mutex_lock(&s->mu);
  bool now = s->pending <= below || s->closed;
  if (!now) {
    s->drain_fn = fn;
    s->drain_arg = arg;
    s->drain_below = below;
  }
  pthread_mutex_unlock(&s->mu);
  if (now) wctr_ioc_post(s->ioc, fn, arg);
}

/* Calls on_release (when due and not yet done), then marks the sink released: a waiter may free the sink as
 * soon as it sees released, so nothing touches it after the final unlock. */
static void release_if_due(tsink *s, bool due) {
  if (!due) return;
  if (s->base.on_release != NULL) s->base.on_release(s->base.op_ctx);
  pthread_mutex_lock(&s->mu);
  s->released = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

static void ts_finish(svc_sink *base, wctr_err err, cJSON *result, const char *message) {
  tsink *s = (tsink *)base;
  pthread_mutex_lock(&s->mu);
  if (s->finished) abort(); /* exactly once */
  s->finished = true;
  s->err = err;
  s->result = result;
  snprintf(s->message, sizeof s->message, "%s", message != NULL ? message : "");
  bool release = s->inflight == 0 && !s->releasing;
  if (release) s->releasing = true;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  release_if_due(s, release);
}

static const svc_sink_methods ts_methods = {1, ts_output, ts_frame, ts_pending, ts_when_drained, ts_finish};

void tsink_init(tsink *s, wctr_ioc *ioc) {
  memset(s, 0, sizeof *s);
  s->base.methods = &ts_methods;
  s->ioc = ioc;
  pthread_mutex_init(&s->mu, NULL);
  pthread_cond_init(&s->cv, NULL);
  s->frames = cJSON_CreateArray();
}

void tsink_free(tsink *s) {
  for (int i = 0; i < 3; i++) free(s->out[i]);
  free(s->all);
  cJSON_Delete(s->frames);
  cJSON_Delete(s->result);
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cv);
}

static void deadline_after(struct timespec *ts, unsigned ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

#define WAIT_UNTIL(s, cond, ms)                                                 \
  do {                                                                          \
    struct timespec dl;                                                         \
    deadline_after(&dl, (ms));                                                  \
    pthread_mutex_lock(&(s)->mu);                                               \
    while (!(cond)) {                                                           \
      if (pthread_cond_timedwait(&(s)->cv, &(s)->mu, &dl) == ETIMEDOUT) break;  \
    }                                                                           \
    ok = (cond);                                                                \
    pthread_mutex_unlock(&(s)->mu);                                             \
  } while (0)

bool tsink_wait_finished(tsink *s, unsigned timeout_ms) {
  bool ok;
  WAIT_UNTIL(s, s->finished, timeout_ms);
  return ok;
}

bool tsink_wait_released(tsink *s, unsigned timeout_ms) {
  bool ok;
  WAIT_UNTIL(s, s->released, timeout_ms);
  return ok;
}

bool tsink_wait_output(tsink *s, size_t n, unsigned timeout_ms) {
  bool ok;
  WAIT_UNTIL(s, s->all_len >= n, timeout_ms);
  return ok;
}

bool tsink_wait_frames(tsink *s, int n, unsigned timeout_ms) {
  bool ok;
  WAIT_UNTIL(s, cJSON_GetArraySize(s->frames) >= n, timeout_ms);
  return ok;
}

void tsink_close(tsink *s) {
  pthread_mutex_lock(&s->mu);
  bool call = !s->closed && !s->finished && s->base.on_close != NULL;
  s->closed = true;
  void (*drain)(void *) = s->drain_fn;
  void *drain_arg = s->drain_arg;
  s->drain_fn = NULL;
  if (call) s->inflight++;
  pthread_mutex_unlock(&s->mu);
  if (drain != NULL) wctr_ioc_post(s->ioc, drain, drain_arg);
  if (!call) return;
  s->base.on_close(s->base.op_ctx);
  pthread_mutex_lock(&s->mu);
  s->inflight--;
  bool release = s->finished && !s->releasing && s->inflight == 0;
  if (release) s->releasing = true;
  pthread_mutex_unlock(&s->mu);
  release_if_due(s, release);
}

void tsink_drain(tsink *s) {
  pthread_mutex_lock(&s->mu);
  s->pending = 0;
  void (*fn)(void *) = s->drain_fn;
  void *arg = s->drain_arg;
  s->drain_fn = NULL;
  pthread_mutex_unlock(&s->mu);
  if (fn != NULL) wctr_ioc_post(s->ioc, fn, arg);
}

void tsink_input(tsink *s, const char *data, size_t len, bool eof) {
  pthread_mutex_lock(&s->mu);
  bool call = !s->finished && s->base.on_input != NULL;
  if (call) s->inflight++;
  pthread_mutex_unlock(&s->mu);
  if (!call) return;
  s->base.on_input(s->base.op_ctx, data, len, eof);
  pthread_mutex_lock(&s->mu);
  s->inflight--;
  bool release = s->finished && !s->releasing && s->inflight == 0;
  if (release) s->releasing = true;
  pthread_mutex_unlock(&s->mu);
  release_if_due(s, release);
}

long long tsink_result_int(tsink *s, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->result, key);
  return cJSON_IsNumber(v) ? (long long)v->valuedouble : -999;
}
