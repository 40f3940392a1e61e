/* images/registry.c - the pull side of the distribution API (portable). Contract: images/registry.h. */
#include "images/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/ioc.h"
#include "common/log.h"

enum { MAX_REDIRECTS = 5, ERROR_BODY_MAX = 4096, PROGRESS_STEP = 256 * 1024 };

struct img_registry {
  wctr_mutex lock;              /* auth: downloads share the client */
  img_registry_options opt;
  char domain[IMG_NAME_MAX + 1];
  char path[IMG_NAME_MAX + 1];
  char base[IMG_NAME_MAX + 16]; /* scheme://domain */
  char *auth;                   /* the Authorization value for the registry's host, or NULL */
  unsigned auth_generation;     /* bumped each time auth changes */
  bool have_challenge;
  img_challenge challenge;
};

/* --- insecure registries ------------------------------------------------------------------------------- */

static bool ipv4(const char *text, size_t len, uint32_t *out) {
  uint32_t v = 0;
  int parts = 0;
  size_t i = 0;
  while (i < len && parts < 4) {
    uint32_t part = 0;
    size_t digits = 0;
    while (i < len && text[i] >= '0' && text[i] <= '9' && digits < 4) part = part * 10 + (uint32_t)(text[i++] - '0'), digits++;
    if (digits == 0 || part > 255) return false;
    v = v << 8 | part;
    parts++;
    if (i < len && text[i] == '.' && parts < 4) i++;
  }
  if (parts != 4 || i != len) return false;
  *out = v;
  return true;
}

bool img_registry_insecure(const char *domain, const char *const *insecure) {
  if (img_host_is_loopback(domain)) return true;
  size_t host_len = strcspn(domain, ":");
  uint32_t addr = 0;
  bool is_ip = ipv4(domain, host_len, &addr);
  for (size_t i = 0; insecure != NULL && insecure[i] != NULL; i++) {
    const char *entry = insecure[i];
    const char *slash = strchr(entry, '/');
    if (slash == NULL) {
      if (strcmp(entry, domain) == 0) return true;
      continue;
    }
    uint32_t net = 0;
    char *end = NULL;
    long bits = strtol(slash + 1, &end, 10);
    if (!is_ip || end == slash + 1 || *end != '\0' || bits < 0 || bits > 32 || !ipv4(entry, (size_t)(slash - entry), &net)) continue;
    uint32_t mask = bits == 0 ? 0 : 0xFFFFFFFFu << (32 - bits);
    if ((addr & mask) == (net & mask)) return true;
  }
  return false;
}

/* --- requests ------------------------------------------------------------------------------------------ */

/* The authority of an absolute URL ("host:port"), into out. */
static void url_authority(const char *url, char *out, size_t size) {
  const char *p = strstr(url, "://");
  p = p != NULL ? p + 3 : url;
  size_t n = strcspn(p, "/?#");
  snprintf(out, size, "%.*s", (int)n, p);
}

typedef struct body_filter {
  img_http_response *resp;
  img_body_fn body;
  void *arg;
  char err_body[ERROR_BODY_MAX + 1];
  size_t err_len;
} body_filter;

/* Only a 2xx body reaches the caller; the first 4 KiB of others are kept for the error message. */
static bool filter_body(void *arg, const void *data, size_t len) {
  body_filter *f = arg;
  if (f->resp->status >= 200 && f->resp->status < 300) return f->body != NULL ? f->body(f->arg, data, len) : true;
  size_t take = ERROR_BODY_MAX - f->err_len < len ? ERROR_BODY_MAX - f->err_len : len;
  memcpy(f->err_body + f->err_len, data, take);
  f->err_len += take;
  f->err_body[f->err_len] = '\0';
  return true;
}

/* The registry's own explanation ({"errors":[{"code","message"}]}), or "". */
static void registry_error(const char *body, size_t len, char *out, size_t size) {
  out[0] = '\0';
  cJSON *root = cJSON_ParseWithLength(body, len);
  const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "errors"), 0);
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(first, "code");
  const cJSON *msg = cJSON_GetObjectItemCaseSensitive(first, "message");
  if (cJSON_IsString(code) || cJSON_IsString(msg)) {
    snprintf(out, size, "%.60s%s%.200s", cJSON_IsString(code) ? code->valuestring : "",
             cJSON_IsString(code) && cJSON_IsString(msg) ? ": " : "", cJSON_IsString(msg) ? msg->valuestring : "");
    for (char *p = out; *p != '\0'; p++) {
      if ((unsigned char)*p < 0x20) *p = ' ';
    }
  }
  cJSON_Delete(root);
}

static void zero_free(char *s) {
  if (s == NULL) return;
  wctr_secure_zero(s, strlen(s));
  free(s);
}

typedef struct mem_body {
  char *data;
  size_t len, cap, max;
  bool too_big;
} mem_body;

static bool mem_write(void *arg, const void *data, size_t len) {
  mem_body *m = arg;
  if (m->len + len > m->max) {
    m->too_big = true;
    return false;
  }
  if (m->len + len + 1 > m->cap) {
    size_t cap = m->cap == 0 ? 4096 : m->cap;
    while (cap < m->len + len + 1) cap *= 2;
    char *grown = realloc(m->data, cap);
    if (grown == NULL) return false;
    m->data = grown;
    m->cap = cap;
  }
  memcpy(m->data + m->len, data, len);
  m->len += len;
  m->data[m->len] = '\0';
  return true;
}

static wctr_err fetch_token(img_registry *r, const char *scope, wctr_errmsg *e) {
  char url[4096];
  wctr_err err = img_token_url(&r->challenge, scope, url, sizeof url, e);
  if (err != WCTR_OK) return err;
  const img_credentials *c = r->opt.credentials;
  char *basic = c != NULL && c->user != NULL && c->password != NULL ? img_basic_header(c->user, c->password) : NULL;
  size_t hlen = basic != NULL ? strlen(basic) + 16 : 0;
  char *line = basic != NULL ? malloc(hlen) : NULL;
  if (line != NULL) snprintf(line, hlen, "Authorization: %s", basic);
  const char *headers[] = {line, NULL};
  img_http_request req = {.method = "GET", .url = url, .headers = line != NULL ? headers : NULL};
  img_http_response resp;
  memset(&resp, 0, sizeof resp);
  mem_body m = {.max = 128 * 1024};
  body_filter f = {.resp = &resp, .body = mem_write, .arg = &m};
  err = r->opt.transport->send(r->opt.transport->ctx, &req, &resp, filter_body, &f, e);
  zero_free(line);
  zero_free(basic);
  char realm_host[300];
  url_authority(r->challenge.realm, realm_host, sizeof realm_host);
  if (err == WCTR_OK && (resp.status == 401 || resp.status == 403)) {
    err = wctr_fail(e, WCTR_EACCES, "unauthorized: %s from the token server %s",
                    c != NULL && c->user != NULL ? "incorrect username or password" : "authentication required", realm_host);
  } else if (err == WCTR_OK && resp.status != 200) {
    err = wctr_fail(e, WCTR_EPROTO, "the token server %s answered HTTP %d", realm_host, resp.status);
  }
  char *token = NULL;
  int64_t expires = 0;
  if (err == WCTR_OK) err = img_token_parse(m.data != NULL ? m.data : "", m.len, &token, &expires, e);
  if (m.data != NULL) wctr_secure_zero(m.data, m.len);
  free(m.data);
  if (err != WCTR_OK) return err;
  zero_free(r->auth);
  r->auth = img_bearer_header(token);
  zero_free(token);
  return r->auth != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

/* Answers the challenge of a 401. */
static wctr_err authenticate(img_registry *r, const img_http_response *resp, const char *scope, wctr_errmsg *e) {
  img_challenge c;
  wctr_err err = img_challenge_parse(resp->www_authenticate, &c, e);
  if (err != WCTR_OK) return err;
  r->challenge = c;
  r->have_challenge = true;
  if (c.scheme == IMG_AUTH_BEARER) return fetch_token(r, scope, e);
  const img_credentials *cr = r->opt.credentials;
  if (cr == NULL || cr->user == NULL || cr->password == NULL) {
    return wctr_fail(e, WCTR_EACCES, "unauthorized: %s asks for a user name and password: run 'wctr login %s'", r->domain,
                     r->domain);
  }
  zero_free(r->auth);
  r->auth = img_basic_header(cr->user, cr->password);
  return r->auth != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

/* One logical request: redirects followed, a 401 answered once. The body of a 2xx response goes to body;
 * *resp is the final response. An error status is the caller's to judge (err_body holds its start). */
static wctr_err request(img_registry *r, const char *method, const char *url_in, const char *accept, const char *scope,
                        img_body_fn body, void *arg, img_http_response *resp, body_filter *f, wctr_errmsg *e) {
  char url[4096];
  char registry_host[300];
  url_authority(r->base, registry_host, sizeof registry_host);
  snprintf(url, sizeof url, "%s", url_in);
  bool answered = false;
  for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
    char host[300];
    url_authority(url, host, sizeof host);
    bool own = strcmp(host, registry_host) == 0;
    char accept_line[600];
    char *auth_line = NULL;
    const char *headers[3] = {NULL, NULL, NULL};
    size_t h = 0;
    if (accept != NULL) {
      snprintf(accept_line, sizeof accept_line, "Accept: %s", accept);
      headers[h++] = accept_line;
    }
    unsigned generation = 0;
    bool want_auth = false;
    wctr_mutex_lock(&r->lock);
    generation = r->auth_generation;
    if (own && r->auth != NULL) {
      size_t n = strlen(r->auth) + 16;
      want_auth = true;
      auth_line = malloc(n);
      if (auth_line != NULL) snprintf(auth_line, n, "Authorization: %s", r->auth);
    }
    wctr_mutex_unlock(&r->lock);
    if (want_auth && auth_line == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    if (auth_line != NULL) headers[h++] = auth_line;
    img_http_request req = {.method = method, .url = url, .headers = headers};
    memset(resp, 0, sizeof *resp);
    memset(f, 0, sizeof *f);
    f->resp = resp;
    f->body = body;
    f->arg = arg;
    wctr_err err = r->opt.transport->send(r->opt.transport->ctx, &req, resp, filter_body, f, e);
    zero_free(auth_line);
    if (err != WCTR_OK) return err;
    if (resp->status == 401 && own && !answered && resp->www_authenticate[0] != '\0') {
      answered = true;
      wctr_mutex_lock(&r->lock);
      /* Another download may have fetched a fresh token meanwhile: then just use it. */
      if (r->auth_generation == generation) {
        err = authenticate(r, resp, scope, e);
        if (err == WCTR_OK) r->auth_generation++;
      }
      wctr_mutex_unlock(&r->lock);
      if (err != WCTR_OK) return err;
      hop--;
      continue;
    }
    if (resp->status >= 300 && resp->status < 400 && resp->status != 304) {
      if (resp->location[0] == '\0') return wctr_fail(e, WCTR_EPROTO, "%s redirected without a Location", host);
      if (resp->location[0] == '/') {
        char origin[400];
        const char *scheme_end = strstr(url, "://");
        snprintf(origin, sizeof origin, "%.*s%s", scheme_end != NULL ? (int)(scheme_end - url + 3) : 0, url, host);
        snprintf(url, sizeof url, "%s%s", origin, resp->location);
      } else if (strncmp(resp->location, "https://", 8) == 0 ||
                 (strncmp(resp->location, "http://", 7) == 0 && strncmp(url, "http://", 7) == 0)) {
        snprintf(url, sizeof url, "%s", resp->location);
      } else {
        /* From HTTPS down to HTTP, or another scheme: refused, as browsers and Docker refuse a downgrade. */
        return wctr_fail(e, WCTR_EPROTO, "%s redirected to \"%.200s\", which wctr does not follow", host, resp->location);
      }
      continue;
    }
    return WCTR_OK;
  }
  return wctr_fail(e, WCTR_EPROTO, "more than %d redirects fetching %.200s", MAX_REDIRECTS, url_in);
}

static wctr_err ping(img_registry *r, const char *scheme, wctr_errmsg *e) {
  snprintf(r->base, sizeof r->base, "%s://%s", scheme, r->domain);
  char url[sizeof r->base + 8];
  snprintf(url, sizeof url, "%s/v2/", r->base);
  img_http_request req = {.method = "GET", .url = url};
  img_http_response resp;
  memset(&resp, 0, sizeof resp);
  body_filter f = {.resp = &resp};
  wctr_err err = r->opt.transport->send(r->opt.transport->ctx, &req, &resp, filter_body, &f, e);
  if (err != WCTR_OK) return err;
  if (resp.status == 401 && resp.www_authenticate[0] != '\0') {
    img_challenge c;
    if (img_challenge_parse(resp.www_authenticate, &c, NULL) == WCTR_OK) {
      r->challenge = c;
      r->have_challenge = true;
    }
    return WCTR_OK;
  }
  if (resp.status == 200 || resp.status == 404 /* some registries answer /v2/ with 404 and serve the rest */) return WCTR_OK;
  return wctr_fail(e, WCTR_EPROTO, "%s/v2/ answered HTTP %d: is it a registry?", r->base, resp.status);
}

wctr_err img_registry_open(const img_registry_options *opt, const img_ref *ref, img_registry **out, wctr_errmsg *e) {
  img_registry *r = calloc(1, sizeof *r);
  if (r == NULL || wctr_mutex_init(&r->lock) != WCTR_OK) {
    free(r);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  r->opt = *opt;
  snprintf(r->domain, sizeof r->domain, "%s", img_ref_registry_host(ref));
  snprintf(r->path, sizeof r->path, "%s", ref->path);
  wctr_err err = ping(r, "https", e);
  if (err != WCTR_OK && err != WCTR_EPROTO && img_registry_insecure(ref->domain, opt->insecure)) {
    wctr_log(WCTR_LOG_INFO, "registry %s: HTTPS failed (%s); using HTTP (a loopback or insecure registry)", r->domain,
             e != NULL ? e->text : "");
    err = ping(r, "http", e);
  }
  if (err != WCTR_OK) {
    img_registry_close(r);
    return err;
  }
  *out = r;
  return WCTR_OK;
}

void img_registry_close(img_registry *r) {
  if (r == NULL) return;
  zero_free(r->auth);
  wctr_mutex_destroy(&r->lock);
  free(r);
}

const char *img_registry_base(const img_registry *r) { return r->base; }

static void scope_of(const img_registry *r, char *out, size_t size) { snprintf(out, size, "repository:%s:pull", r->path); }

static wctr_err status_error(img_registry *r, const img_http_response *resp, const body_filter *f, const char *what,
                             wctr_errmsg *e) {
  char detail[300];
  registry_error(f->err_body, f->err_len, detail, sizeof detail);
  char name[IMG_NAME_MAX + 2];
  snprintf(name, sizeof name, "%s/%s", r->domain, r->path);
  if (resp->status == 401 || resp->status == 403) {
    return wctr_fail(e, WCTR_EACCES, "pull access denied for %s, repository does not exist or may require 'wctr login'%s%s",
                     name, detail[0] != '\0' ? ": " : "", detail);
  }
  if (resp->status == 404) {
    return wctr_fail(e, WCTR_ENOENT, "%s not found: %s", what, detail[0] != '\0' ? detail : "manifest unknown");
  }
  if (resp->status == 429) return wctr_fail(e, WCTR_EBUSY, "%s: the registry says too many requests (HTTP 429)", name);
  return wctr_fail(e, WCTR_EIO, "%s: the registry answered HTTP %d%s%s", what, resp->status, detail[0] != '\0' ? ": " : "",
                   detail);
}

wctr_err img_registry_manifest(img_registry *r, const char *reference, char **body, size_t *len,
                               char media_type[128], char digest[IMG_DIGEST_MAX], wctr_errmsg *e) {
  char url[1024];
  char scope[IMG_NAME_MAX + 32];
  scope_of(r, scope, sizeof scope);
  snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", r->base, r->path, reference);
  img_http_response resp;
  body_filter f;
  mem_body m = {.max = IMG_MANIFEST_MAX_BYTES};
  wctr_err err = request(r, "GET", url, IMG_MANIFEST_ACCEPT, scope, mem_write, &m, &resp, &f, e);
  char what[IMG_NAME_MAX + 200];
  snprintf(what, sizeof what, "manifest for %s/%s%s%s", r->domain, r->path, img_digest_valid(reference) ? "@" : ":",
           reference);
  if (err == WCTR_ECANCELED && m.too_big) err = wctr_fail(e, WCTR_ETOOBIG, "%s is larger than 4 MiB", what);
  if (err == WCTR_OK && resp.status != 200) err = status_error(r, &resp, &f, what, e);
  char got[IMG_DIGEST_MAX] = "";
  if (err == WCTR_OK) err = img_digest_of(m.data != NULL ? m.data : "", m.len, got);
  if (err == WCTR_OK) {
    const char *want = img_digest_valid(reference) ? reference : resp.content_digest[0] != '\0' ? resp.content_digest : NULL;
    if (want != NULL && strcmp(want, got) != 0) {
      err = wctr_fail(e, WCTR_EINVAL, "%s does not match its digest: expected %s, got %s", what, want, got);
    }
  }
  if (err != WCTR_OK) {
    free(m.data);
    return err;
  }
  *body = m.data != NULL ? m.data : calloc(1, 1);
  *len = m.len;
  snprintf(media_type, 128, "%.*s", (int)strcspn(resp.content_type, "; \t"), resp.content_type);
  snprintf(digest, IMG_DIGEST_MAX, "%s", got);
  return *body != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

typedef struct blob_state {
  img_hash *hash;
  int64_t done;
  int64_t want;
  int64_t next_progress;
  bool too_long;
  wctr_err write_err;
  img_blob_write_fn write;
  void (*progress)(void *arg, int64_t done);
  void *arg;
} blob_state;

static bool blob_body(void *arg, const void *data, size_t len) {
  blob_state *b = arg;
  if (b->done + (int64_t)len > b->want) {
    b->too_long = true;
    return false;
  }
  img_hash_update(b->hash, data, len);
  b->write_err = b->write(b->arg, data, len);
  if (b->write_err != WCTR_OK) return false;
  b->done += (int64_t)len;
  if (b->progress != NULL && (b->done >= b->next_progress || b->done == b->want)) {
    b->progress(b->arg, b->done);
    b->next_progress = b->done + PROGRESS_STEP;
  }
  return true;
}

/* One source: a URL, verified. */
static wctr_err blob_from(img_registry *r, const char *url, const img_descriptor *d, blob_state *b, const char *shown,
                          wctr_errmsg *e) {
  char scope[IMG_NAME_MAX + 32];
  scope_of(r, scope, sizeof scope);
  img_hash_free(b->hash);
  b->hash = NULL;
  wctr_err err = img_hash_new(&b->hash);
  if (err != WCTR_OK) return wctr_fail(e, err, "no SHA-256 provider");
  b->done = 0;
  b->next_progress = 0;
  b->too_long = false;
  b->write_err = WCTR_OK;
  img_http_response resp;
  body_filter f;
  err = request(r, "GET", url, NULL, scope, blob_body, b, &resp, &f, e);
  if (err == WCTR_ECANCELED && b->write_err != WCTR_OK) return wctr_fail(e, b->write_err, "%s: cannot store the download", shown);
  if (err == WCTR_ECANCELED && b->too_long) {
    return wctr_fail(e, WCTR_EINVAL, "blob %s from %s is larger than its %lld bytes: refused", d->digest, shown,
                     (long long)d->size);
  }
  if (err != WCTR_OK) return err;
  if (resp.status != 200) {
    char what[IMG_DIGEST_MAX + 300];
    snprintf(what, sizeof what, "blob %s from %s", d->digest, shown);
    return status_error(r, &resp, &f, what, e);
  }
  if (b->done != d->size) {
    return wctr_fail(e, WCTR_EIO, "blob %s from %s ended after %lld of %lld bytes", d->digest, shown, (long long)b->done,
                     (long long)d->size);
  }
  char got[IMG_DIGEST_MAX];
  img_hash_final(b->hash, got);
  img_hash_free(b->hash);
  b->hash = NULL;
  if (strcmp(got, d->digest) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "blob %s from %s does not match its digest (got %s): refused", d->digest, shown, got);
  }
  return WCTR_OK;
}

wctr_err img_registry_blob(img_registry *r, const img_descriptor *d, img_blob_write_fn write,
                           void (*restart)(void *arg), void (*progress)(void *arg, int64_t done), void *arg,
                           wctr_errmsg *e) {
  blob_state b = {.want = d->size, .write = write, .progress = progress, .arg = arg};
  wctr_err err = WCTR_ENOENT;
  bool started = false;
  for (size_t i = 0; i < d->url_count; i++) {
    if (started && restart != NULL) restart(arg);
    started = true;
    char shown[300];
    url_authority(d->urls[i], shown, sizeof shown);
    err = blob_from(r, d->urls[i], d, &b, shown, e);
    if (err == WCTR_OK) break;
    wctr_log(WCTR_LOG_WARN, "foreign layer %s: %s; trying the next source", d->digest, e != NULL ? e->text : "");
  }
  if (err != WCTR_OK) {
    if (started && restart != NULL) restart(arg);
    char url[1024];
    snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", r->base, r->path, d->digest);
    err = blob_from(r, url, d, &b, r->domain, e);
  }
  img_hash_free(b.hash);
  return err;
}

static wctr_err mem_blob_write(void *arg, const void *data, size_t len) {
  return mem_write(arg, data, len) ? WCTR_OK : WCTR_ETOOBIG;
}

static void mem_blob_restart(void *arg) { ((mem_body *)arg)->len = 0; }

wctr_err img_registry_blob_bytes(img_registry *r, const img_descriptor *d, size_t max, char **body, size_t *len,
                                 wctr_errmsg *e) {
  if (d->size < 0 || (uint64_t)d->size > max) {
    return wctr_fail(e, WCTR_ETOOBIG, "blob %s is %lld bytes; at most %zu are read into memory", d->digest,
                     (long long)d->size, max);
  }
  mem_body m = {.max = max};
  wctr_err err = img_registry_blob(r, d, mem_blob_write, mem_blob_restart, NULL, &m, e);
  if (err != WCTR_OK) {
    free(m.data);
    return err;
  }
  *body = m.data != NULL ? m.data : calloc(1, 1);
  *len = m.len;
  return *body != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

wctr_err img_registry_login(const img_registry_options *opt, const char *domain, wctr_errmsg *e) {
  img_ref ref;
  memset(&ref, 0, sizeof ref);
  snprintf(ref.domain, sizeof ref.domain, "%s", domain);
  img_registry *r = NULL;
  wctr_err err = img_registry_open(opt, &ref, &r, e);
  if (err != WCTR_OK) return err;
  if (r->have_challenge) {
    img_http_response resp;
    body_filter f;
    char url[sizeof r->base + 8];
    snprintf(url, sizeof url, "%s/v2/", r->base);
    err = request(r, "GET", url, NULL, "", NULL, NULL, &resp, &f, e);
    if (err == WCTR_OK && (resp.status == 401 || resp.status == 403)) {
      err = wctr_fail(e, WCTR_EACCES, "unauthorized: incorrect username or password for %s", r->domain);
    } else if (err == WCTR_OK && resp.status != 200) {
      err = wctr_fail(e, WCTR_EPROTO, "%s/v2/ answered HTTP %d", r->base, resp.status);
    }
  }
  img_registry_close(r);
  return err;
}
