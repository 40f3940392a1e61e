/* tests/images/fake_registry.c - see fake_registry.h. */
#include "fake_registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"
#include "common/ioc.h"
#include "images/manifest.h"

typedef struct item {
  char key[600]; /* "blob:<digest>" or "manifest:<repo>:<ref>" or "foreign:<digest>" */
  char media_type[128];
  char digest[IMG_DIGEST_MAX];
  char *data;
  size_t len;
  bool corrupt, cut;
} item;

struct fake_registry {
  wctr_mutex lock;
  char host[64];
  fake_auth auth;
  char user[64], password[64];
  bool redirect;
  item *items;
  size_t count;
  char (*log)[700];
  size_t nlog;
  bool leaked;
  int tokens;
};

fake_registry *fake_registry_new(const char *host) {
  fake_registry *f = calloc(1, sizeof *f);
  wctr_mutex_init(&f->lock);
  snprintf(f->host, sizeof f->host, "%s", host);
  return f;
}

void fake_registry_free(fake_registry *f) {
  for (size_t i = 0; i < f->count; i++) free(f->items[i].data);
  free(f->items);
  free(f->log);
  wctr_mutex_destroy(&f->lock);
  free(f);
}

void fake_registry_auth(fake_registry *f, fake_auth mode, const char *user, const char *password) {
  f->auth = mode;
  snprintf(f->user, sizeof f->user, "%s", user != NULL ? user : "");
  snprintf(f->password, sizeof f->password, "%s", password != NULL ? password : "");
}

void fake_registry_redirect_blobs(fake_registry *f, bool on) { f->redirect = on; }

static item *add(fake_registry *f, const char *key, const void *data, size_t len) {
  f->items = realloc(f->items, (f->count + 1) * sizeof *f->items);
  item *it = &f->items[f->count++];
  memset(it, 0, sizeof *it);
  snprintf(it->key, sizeof it->key, "%s", key);
  it->data = malloc(len + 1);
  memcpy(it->data, data, len);
  it->len = len;
  img_digest_of(data, len, it->digest);
  return it;
}

static item *find(fake_registry *f, const char *key) {
  for (size_t i = 0; i < f->count; i++) {
    if (strcmp(f->items[i].key, key) == 0) return &f->items[i];
  }
  return NULL;
}

const char *fake_registry_blob(fake_registry *f, const void *data, size_t len) {
  char d[IMG_DIGEST_MAX];
  img_digest_of(data, len, d);
  char key[600];
  snprintf(key, sizeof key, "blob:%s", d);
  item *it = find(f, key);
  if (it == NULL) it = add(f, key, data, len);
  return it->digest;
}

const char *fake_registry_foreign(fake_registry *f, const void *data, size_t len) {
  char d[IMG_DIGEST_MAX];
  img_digest_of(data, len, d);
  char key[600];
  snprintf(key, sizeof key, "foreign:%s", img_digest_hex(d));
  return add(f, key, data, len)->digest;
}

const char *fake_registry_manifest(fake_registry *f, const char *repo, const char *tag, const char *media_type,
                                   const char *body) {
  char d[IMG_DIGEST_MAX];
  img_digest_of(body, strlen(body), d);
  char key[600];
  snprintf(key, sizeof key, "manifest:%s:%s", repo, d);
  item *it = find(f, key);
  if (it == NULL) it = add(f, key, body, strlen(body));
  snprintf(it->media_type, sizeof it->media_type, "%s", media_type);
  if (tag != NULL) {
    snprintf(key, sizeof key, "manifest:%s:%s", repo, tag);
    item *t = find(f, key);
    if (t != NULL) {
      free(t->data);
      t->data = malloc(strlen(body) + 1);
      memcpy(t->data, body, strlen(body) + 1);
      t->len = strlen(body);
      img_digest_of(body, t->len, t->digest);
    } else {
      t = add(f, key, body, strlen(body));
    }
    snprintf(t->media_type, sizeof t->media_type, "%s", media_type);
  }
  return find(f, key)->digest;
}

void fake_registry_corrupt(fake_registry *f, const char *digest) {
  for (size_t i = 0; i < f->count; i++) {
    if (strcmp(f->items[i].digest, digest) == 0 && f->items[i].len > 0) f->items[i].corrupt = true;
  }
}

void fake_registry_cut(fake_registry *f, const char *digest) {
  for (size_t i = 0; i < f->count; i++) {
    if (strcmp(f->items[i].digest, digest) == 0) f->items[i].cut = true;
  }
}

int fake_registry_requests(fake_registry *f, const char *part) {
  int n = 0;
  wctr_mutex_lock(&f->lock);
  for (size_t i = 0; i < f->nlog; i++) n += strstr(f->log[i], part) != NULL;
  wctr_mutex_unlock(&f->lock);
  return n;
}

bool fake_registry_auth_leaked(fake_registry *f) { return f->leaked; }
int fake_registry_tokens(fake_registry *f) { return f->tokens; }

static const char *header(const img_http_request *req, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
    if (strncmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':') return req->headers[i] + n + 2;
  }
  return NULL;
}

static wctr_err send_body(const item *it, img_http_response *resp, img_body_fn body, void *arg, wctr_errmsg *e) {
  resp->content_length = (int64_t)it->len;
  size_t len = it->cut ? it->len / 2 : it->len;
  char *data = malloc(it->len + 1);
  memcpy(data, it->data, it->len);
  if (it->corrupt) data[it->len / 2] ^= 0x5a;
  /* in pieces, as a network gives them */
  wctr_err err = WCTR_OK;
  for (size_t off = 0; off < len && err == WCTR_OK;) {
    size_t n = len - off < 7000 ? len - off : 7000;
    if (body != NULL && !body(arg, data + off, n)) err = wctr_fail(e, WCTR_ECANCELED, "cancelled by the receiver");
    off += n;
  }
  free(data);
  if (err == WCTR_OK && it->cut) err = wctr_fail(e, WCTR_EIO, "the connection to the registry was cut");
  return err;
}

static void text_body(img_http_response *resp, int status, const char *text, img_body_fn body, void *arg) {
  resp->status = status;
  snprintf(resp->content_type, sizeof resp->content_type, "application/json");
  resp->content_length = (int64_t)strlen(text);
  if (body != NULL) body(arg, text, strlen(text));
}

static bool authorized(fake_registry *f, const img_http_request *req) {
  if (f->auth == FAKE_AUTH_NONE) return true;
  const char *a = header(req, "Authorization");
  if (a == NULL) return false;
  if (f->auth == FAKE_AUTH_BEARER) return strncmp(a, "Bearer tok-", 11) == 0;
  char pair[200];
  snprintf(pair, sizeof pair, "%s:%s", f->user, f->password);
  char *b = wctr_base64_encode((const uint8_t *)pair, strlen(pair));
  char want[300];
  snprintf(want, sizeof want, "Basic %s", b);
  free(b);
  return strcmp(a, want) == 0;
}

static wctr_err fake_send(void *ctx, const img_http_request *req, img_http_response *resp, img_body_fn body, void *arg,
                          wctr_errmsg *e) {
  fake_registry *f = ctx;
  memset(resp, 0, sizeof *resp);
  resp->content_length = -1;
  wctr_mutex_lock(&f->lock);
  f->log = realloc(f->log, (f->nlog + 1) * sizeof *f->log);
  snprintf(f->log[f->nlog++], 700, "%s %s", req->method, req->url);
  wctr_mutex_unlock(&f->lock);
  const char *url = req->url;
  bool https = strncmp(url, "https://", 8) == 0;
  const char *hp = strstr(url, "://") + 3;
  char host[128];
  snprintf(host, sizeof host, "%.*s", (int)strcspn(hp, "/"), hp);
  const char *path = hp + strlen(host);
  if (strcmp(host, f->host) != 0 && header(req, "Authorization") != NULL && strcmp(host, "auth.test") != 0) f->leaked = true;
  if (strcmp(host, "auth.test") == 0) {
    const char *a = header(req, "Authorization");
    bool with_creds = f->user[0] != '\0';
    if (with_creds) {
      char pair[200];
      snprintf(pair, sizeof pair, "%s:%s", f->user, f->password);
      char *b = wctr_base64_encode((const uint8_t *)pair, strlen(pair));
      char want[300];
      snprintf(want, sizeof want, "Basic %s", b);
      free(b);
      if (a == NULL || strcmp(a, want) != 0) {
        text_body(resp, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}", body, arg);
        return WCTR_OK;
      }
    }
    if (strstr(path, "service=fake") == NULL) {
      text_body(resp, 400, "{}", body, arg);
      return WCTR_OK;
    }
    char json[200];
    snprintf(json, sizeof json, "{\"token\":\"tok-%d\",\"expires_in\":300}", ++f->tokens);
    text_body(resp, 200, json, body, arg);
    return WCTR_OK;
  }
  if (strcmp(host, "cdn.test") == 0 || strcmp(host, "foreign.test") == 0) {
    char key[600];
    if (strcmp(host, "cdn.test") == 0) snprintf(key, sizeof key, "blob:sha256:%s", path + 1);
    else snprintf(key, sizeof key, "foreign:%s", path + 1);
    item *it = find(f, key);
    if (it == NULL) {
      text_body(resp, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}", body, arg);
      return WCTR_OK;
    }
    resp->status = 200;
    return send_body(it, resp, body, arg, e);
  }
  if (strcmp(host, f->host) != 0) return wctr_fail(e, WCTR_EIO, "cannot connect to %s", host);
  if (https && strncmp(f->host, "127.", 4) == 0) return wctr_fail(e, WCTR_EIO, "TLS handshake with %s failed", host);
  if (!https && strncmp(f->host, "127.", 4) != 0) return wctr_fail(e, WCTR_EIO, "%s speaks HTTPS only", host);
  if (!authorized(f, req)) {
    resp->status = 401;
    if (f->auth == FAKE_AUTH_BEARER) {
      snprintf(resp->www_authenticate, sizeof resp->www_authenticate,
               "Bearer realm=\"https://auth.test/token\",service=\"fake\",scope=\"repository:x:pull\"");
    } else {
      snprintf(resp->www_authenticate, sizeof resp->www_authenticate, "Basic realm=\"fake\"");
    }
    text_body(resp, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}", body, arg);
    return WCTR_OK;
  }
  if (strcmp(path, "/v2/") == 0) {
    text_body(resp, 200, "{}", body, arg);
    return WCTR_OK;
  }
  const char *m = strstr(path, "/manifests/");
  const char *b = strstr(path, "/blobs/");
  if (strncmp(path, "/v2/", 4) == 0 && m != NULL) {
    char key[600];
    snprintf(key, sizeof key, "manifest:%.*s:%s", (int)(m - path - 4), path + 4, m + 11);
    item *it = find(f, key);
    if (it == NULL) {
      text_body(resp, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}", body, arg);
      return WCTR_OK;
    }
    resp->status = 200;
    snprintf(resp->content_type, sizeof resp->content_type, "%s", it->media_type);
    snprintf(resp->content_digest, sizeof resp->content_digest, "%s", it->digest);
    return send_body(it, resp, body, arg, e);
  }
  if (strncmp(path, "/v2/", 4) == 0 && b != NULL) {
    char key[600];
    snprintf(key, sizeof key, "blob:%s", b + 7);
    item *it = find(f, key);
    if (it == NULL) {
      text_body(resp, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\"}]}", body, arg);
      return WCTR_OK;
    }
    if (f->redirect) {
      resp->status = 307;
      snprintf(resp->location, sizeof resp->location, "https://cdn.test/%s", img_digest_hex(it->digest));
      return WCTR_OK;
    }
    resp->status = 200;
    return send_body(it, resp, body, arg, e);
  }
  text_body(resp, 404, "{}", body, arg);
  return WCTR_OK;
}

img_transport fake_registry_transport(fake_registry *f) { return (img_transport){.ctx = f, .send = fake_send}; }

char *fake_image(fake_registry *f, const char *os_version, const char *const *layers, size_t count, bool foreign_base,
                 char config_digest[IMG_DIGEST_MAX], char (*layer_digests)[IMG_DIGEST_MAX]) {
  cJSON *cfg = cJSON_CreateObject();
  cJSON_AddStringToObject(cfg, "architecture", "amd64");
  cJSON_AddStringToObject(cfg, "os", "windows");
  cJSON_AddStringToObject(cfg, "os.version", os_version);
  cJSON_AddStringToObject(cfg, "created", "2026-11-01T10:00:00Z");
  cJSON *c = cJSON_AddObjectToObject(cfg, "config");
  cJSON *cmd = cJSON_AddArrayToObject(c, "Cmd");
  cJSON_AddItemToArray(cmd, cJSON_CreateString("cmd"));
  cJSON *rootfs = cJSON_AddObjectToObject(cfg, "rootfs");
  cJSON_AddStringToObject(rootfs, "type", "layers");
  cJSON *diffs = cJSON_AddArrayToObject(rootfs, "diff_ids");
  cJSON *hist = cJSON_AddArrayToObject(cfg, "history");
  cJSON *man = cJSON_CreateObject();
  cJSON_AddNumberToObject(man, "schemaVersion", 2);
  cJSON_AddStringToObject(man, "mediaType", IMG_MT_OCI_MANIFEST);
  cJSON *ml = cJSON_CreateArray();
  for (size_t i = 0; i < count; i++) {
    size_t n = strlen(layers[i]);
    const char *d = foreign_base && i == 0 ? fake_registry_foreign(f, layers[i], n) : fake_registry_blob(f, layers[i], n);
    snprintf(layer_digests[i], IMG_DIGEST_MAX, "%s", d);
    cJSON_AddItemToArray(diffs, cJSON_CreateString(d));
    cJSON *h = cJSON_CreateObject();
    char by[64];
    snprintf(by, sizeof by, "layer %zu", i);
    cJSON_AddStringToObject(h, "created_by", by);
    cJSON_AddItemToArray(hist, h);
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "mediaType", foreign_base && i == 0 ? IMG_MT_OCI_NONDIST : IMG_MT_OCI_LAYER);
    cJSON_AddNumberToObject(l, "size", (double)n);
    cJSON_AddStringToObject(l, "digest", d);
    if (foreign_base && i == 0) {
      cJSON *urls = cJSON_AddArrayToObject(l, "urls");
      char u[200];
      snprintf(u, sizeof u, "https://foreign.test/%s", img_digest_hex(d));
      cJSON_AddItemToArray(urls, cJSON_CreateString(u));
    }
    cJSON_AddItemToArray(ml, l);
  }
  char *cfg_text = cJSON_PrintUnformatted(cfg);
  snprintf(config_digest, IMG_DIGEST_MAX, "%s", fake_registry_blob(f, cfg_text, strlen(cfg_text)));
  cJSON *cd = cJSON_AddObjectToObject(man, "config");
  cJSON_AddStringToObject(cd, "mediaType", IMG_MT_OCI_CONFIG);
  cJSON_AddNumberToObject(cd, "size", (double)strlen(cfg_text));
  cJSON_AddStringToObject(cd, "digest", config_digest);
  cJSON_AddItemToObject(man, "layers", ml);
  char *text = cJSON_PrintUnformatted(man);
  cJSON_free(cfg_text);
  cJSON_Delete(cfg);
  cJSON_Delete(man);
  return text;
}
