/* tests/service/thttp.c - the fake HTTP transport and response parser (tests/service/thttp.h). */
#include "thttp.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void deadline_in(struct timespec *ts, unsigned ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

static wctr_err t_send(svc_http_conn *c, char *data, size_t len) {
  thttp *t = (thttp *)c;
  pthread_mutex_lock(&t->mu);
  wctr_err err = WCTR_OK;
  if (t->released) abort(); /* the contract: nothing after release */
  if (t->closed && !t->graceful) {
    err = WCTR_EPIPE;
  } else {
    char *grown = realloc(t->out, t->out_len + len + 1);
    if (grown == NULL) abort();
    memcpy(grown + t->out_len, data, len);
    t->out_len += len;
    grown[t->out_len] = '\0';
    t->out = grown;
    if (t->slow) t->queued += len;
  }
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  free(data);
  return err;
}

static size_t t_queued(svc_http_conn *c) {
  thttp *t = (thttp *)c;
  pthread_mutex_lock(&t->mu);
  size_t n = t->queued;
  pthread_mutex_unlock(&t->mu);
  return n;
}

static void t_when_drained(svc_http_conn *c, size_t below, void (*fn)(void *), void *arg) {
  thttp *t = (thttp *)c;
  pthread_mutex_lock(&t->mu);
  bool now = t->queued <= below || t->gone;
  if (!now) {
    thttp_wait *w = malloc(sizeof *w);
    if (w == NULL) abort();
    *w = (thttp_wait){.next = t->waits, .below = below, .fn = fn, .arg = arg};
    t->waits = w;
  }
  pthread_mutex_unlock(&t->mu);
  if (now && !wctr_ioc_post(t->ioc, fn, arg)) abort();
}

static void gone_job(void *arg) {
  thttp *t = arg;
  thttp_gone(t);
  pthread_mutex_lock(&t->mu);
  t->gone_jobs--;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

static void t_close(svc_http_conn *c, bool graceful) {
  thttp *t = (thttp *)c;
  pthread_mutex_lock(&t->mu);
  t->close_calls++;
  bool first = !t->closed;
  t->closed = true;
  t->graceful = graceful;
  if (first) t->gone_jobs++;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
  /* A transport answers a close with gone, once the connection is shut: never inside close. */
  if (first && !wctr_ioc_post(t->ioc, gone_job, t)) abort();
}

static void t_resume(svc_http_conn *c) {
  thttp *t = (thttp *)c;
  pthread_mutex_lock(&t->mu);
  t->resumes++;
  pthread_mutex_unlock(&t->mu);
}

static void t_release(svc_http_conn *c) {
  thttp *t = (thttp *)c;
  pthread_mutex_lock(&t->mu);
  if (t->released) abort(); /* exactly once */
  t->released = true;
  pthread_cond_broadcast(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

static const svc_http_conn_methods methods = {
    .version = 1,
    .send = t_send,
    .queued = t_queued,
    .when_drained = t_when_drained,
    .close = t_close,
    .resume = t_resume,
    .release = t_release,
};

void thttp_init(thttp *t, wctr_ioc *ioc, svc_http_handler handler, const char *caller_name) {
  memset(t, 0, sizeof *t);
  t->base.methods = &methods;
  t->ioc = ioc;
  pthread_mutex_init(&t->mu, NULL);
  pthread_cond_init(&t->cv, NULL);
  svc_http_options o = {.ioc = ioc, .handler = handler};
  snprintf(o.caller.name, sizeof o.caller.name, "%s", caller_name);
  snprintf(o.caller.sid, sizeof o.caller.sid, "S-1-5-21-1-2-3-1001");
  wctr_errmsg e;
  if (svc_http_session_new(&o, &t->base, &t->session, &e) != WCTR_OK) abort();
}

bool thttp_feed(thttp *t, const char *data, size_t len) {
  pthread_mutex_lock(&t->mu);
  bool gone = t->gone;
  pthread_mutex_unlock(&t->mu);
  if (gone) return false;
  return svc_http_session_feed(t->session, data, len);
}

bool thttp_feed_text(thttp *t, const char *text) { return thttp_feed(t, text, strlen(text)); }

void thttp_eof(thttp *t) {
  pthread_mutex_lock(&t->mu);
  bool gone = t->gone;
  pthread_mutex_unlock(&t->mu);
  if (!gone) svc_http_session_eof(t->session);
}

void thttp_gone(thttp *t) {
  pthread_mutex_lock(&t->mu);
  bool first = !t->gone;
  t->gone = true;
  thttp_wait *waits = t->waits;
  t->waits = NULL;
  pthread_mutex_unlock(&t->mu);
  if (!first) return;
  while (waits != NULL) {
    thttp_wait *w = waits;
    waits = w->next;
    if (!wctr_ioc_post(t->ioc, w->fn, w->arg)) abort();
    free(w);
  }
  svc_http_session_gone(t->session);
}

void thttp_drain(thttp *t) {
  pthread_mutex_lock(&t->mu);
  t->queued = 0;
  thttp_wait *waits = t->waits;
  t->waits = NULL;
  pthread_mutex_unlock(&t->mu);
  while (waits != NULL) {
    thttp_wait *w = waits;
    waits = w->next;
    if (!wctr_ioc_post(t->ioc, w->fn, w->arg)) abort();
    free(w);
  }
}

static bool wait_until(thttp *t, unsigned ms, bool (*done)(thttp *t, const void *arg), const void *arg) {
  struct timespec ts;
  deadline_in(&ts, ms);
  pthread_mutex_lock(&t->mu);
  int rc = 0;
  while (!done(t, arg) && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&t->cv, &t->mu, &ts);
  bool ok = done(t, arg);
  pthread_mutex_unlock(&t->mu);
  return ok;
}

static bool has_len(thttp *t, const void *arg) { return t->out_len >= *(const size_t *)arg; }
static bool has_text(thttp *t, const void *arg) { return t->out != NULL && strstr(t->out, arg) != NULL; }
static bool is_closed(thttp *t, const void *arg) {
  (void)arg;
  return t->closed;
}
static bool is_released(thttp *t, const void *arg) {
  (void)arg;
  return t->released && t->gone_jobs == 0; /* and no posted gone still to run on it */
}

bool thttp_wait_len(thttp *t, size_t n, unsigned ms) { return wait_until(t, ms, has_len, &n); }
bool thttp_wait_text(thttp *t, const char *text, unsigned ms) { return wait_until(t, ms, has_text, text); }
bool thttp_wait_closed(thttp *t, unsigned ms) { return wait_until(t, ms, is_closed, NULL); }
bool thttp_wait_released(thttp *t, unsigned ms) { return wait_until(t, ms, is_released, NULL); }

char *thttp_output(thttp *t, size_t *len) {
  pthread_mutex_lock(&t->mu);
  char *copy = malloc(t->out_len + 1);
  if (copy == NULL) abort();
  if (t->out_len > 0) memcpy(copy, t->out, t->out_len);
  copy[t->out_len] = '\0';
  if (len != NULL) *len = t->out_len;
  pthread_mutex_unlock(&t->mu);
  return copy;
}

void thttp_free(thttp *t) {
  while (t->waits != NULL) {
    thttp_wait *w = t->waits;
    t->waits = w->next;
    free(w);
  }
  free(t->out);
  pthread_cond_destroy(&t->cv);
  pthread_mutex_destroy(&t->mu);
}

/* --- responses ------------------------------------------------------------------------------------------------ */

bool thttp_header(const thttp_resp *r, const char *name, char *out, size_t size) {
  size_t n = strlen(name);
  const char *line = strstr(r->head, "\r\n");
  while (line != NULL && line[2] != '\0') {
    line += 2;
    const char *end = strstr(line, "\r\n");
    if (end == NULL) break;
    bool match = (size_t)(end - line) > n && line[n] == ':';
    for (size_t i = 0; match && i < n; i++) match = tolower((unsigned char)line[i]) == tolower((unsigned char)name[i]);
    if (match) {
      const char *v = line + n + 1;
      while (*v == ' ') v++;
      snprintf(out, size, "%.*s", (int)(end - v), v);
      return true;
    }
    line = end;
  }
  return false;
}

size_t thttp_parse(const char *buf, size_t len, bool head_request, thttp_resp *r) {
  memset(r, 0, sizeof *r);
  const char *end = NULL;
  for (size_t i = 0; i + 3 < len; i++) {
    if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
      end = buf + i;
      break;
    }
  }
  if (end == NULL) return 0;
  size_t head_len = (size_t)(end - buf) + 2;
  snprintf(r->head, sizeof r->head, "%.*s", (int)head_len, buf);
  if (sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1) return 0;
  size_t at = head_len + 2;
  char value[64];
  r->body = calloc(1, 1);
  if (r->body == NULL) abort();
  bool no_body = head_request || r->status == 204 || r->status == 304 || (r->status >= 100 && r->status < 200 && r->status != 101);
  if (no_body) {
    r->complete = true;
    return at;
  }
  if (thttp_header(r, "Content-Length", value, sizeof value)) {
    size_t n = (size_t)strtoull(value, NULL, 10);
    if (at + n > len) return 0;
    free(r->body);
    r->body = malloc(n + 1);
    if (r->body == NULL) abort();
    memcpy(r->body, buf + at, n);
    r->body[n] = '\0';
    r->body_len = n;
    r->complete = true;
    return at + n;
  }
  if (thttp_header(r, "Transfer-Encoding", value, sizeof value) && strcmp(value, "chunked") == 0) {
    r->chunked = true;
    while (at < len) {
      const char *crlf = NULL;
      for (size_t i = at; i + 1 < len; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n') {
          crlf = buf + i;
          break;
        }
      }
      if (crlf == NULL) break;
      size_t n = (size_t)strtoull(buf + at, NULL, 16);
      size_t data = (size_t)(crlf - buf) + 2;
      if (n == 0) {
        if (data + 2 <= len) {
          r->complete = true;
          at = data + 2;
        }
        break;
      }
      if (data + n + 2 > len) break;
      char *grown = realloc(r->body, r->body_len + n + 1);
      if (grown == NULL) abort();
      memcpy(grown + r->body_len, buf + data, n);
      r->body_len += n;
      grown[r->body_len] = '\0';
      r->body = grown;
      at = data + n + 2;
    }
    return at;
  }
  /* 101, or a body that ends with the connection: the rest. */
  size_t n = len - at;
  free(r->body);
  r->body = malloc(n + 1);
  if (r->body == NULL) abort();
  memcpy(r->body, buf + at, n);
  r->body[n] = '\0';
  r->body_len = n;
  return len;
}

void thttp_resp_free(thttp_resp *r) {
  free(r->body);
  r->body = NULL;
}
