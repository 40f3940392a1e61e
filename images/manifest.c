/* images/manifest.c - manifests, indexes, configs and the Windows platform choice (portable). Contract:
 * images/manifest.h. */
#include "images/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A string field copied into buf; a field of another type, or too long, is refused. */
static wctr_err copy_field(const cJSON *obj, const char *key, const char *where, bool required, char *buf, size_t size,
                           wctr_errmsg *e) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (v == NULL || cJSON_IsNull(v)) {
    if (required) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" is required", where, key);
    buf[0] = '\0';
    return WCTR_OK;
  }
  if (!cJSON_IsString(v)) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" must be a string", where, key);
  if (strlen(v->valuestring) >= size) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" is longer than %zu characters", where, key, size - 1);
  snprintf(buf, size, "%s", v->valuestring);
  return WCTR_OK;
}

bool img_layer_type_known(const char *mt, bool *gzip) {
  static const char *const gz[] = {IMG_MT_DOCKER_LAYER, IMG_MT_DOCKER_FOREIGN, IMG_MT_OCI_LAYER_GZIP,
                                   IMG_MT_OCI_NONDIST_GZIP, NULL};
  static const char *const plain[] = {IMG_MT_OCI_LAYER, IMG_MT_OCI_NONDIST, "application/vnd.docker.image.rootfs.diff.tar",
                                      NULL};
  for (size_t i = 0; gz[i] != NULL; i++) {
    if (strcmp(mt, gz[i]) == 0) {
      if (gzip != NULL) *gzip = true;
      return true;
    }
  }
  for (size_t i = 0; plain[i] != NULL; i++) {
    if (strcmp(mt, plain[i]) == 0) {
      if (gzip != NULL) *gzip = false;
      return true;
    }
  }
  return false;
}

bool img_layer_type_foreign(const char *mt) {
  return strcmp(mt, IMG_MT_DOCKER_FOREIGN) == 0 || strcmp(mt, IMG_MT_OCI_NONDIST_GZIP) == 0 ||
         strcmp(mt, IMG_MT_OCI_NONDIST) == 0;
}

static void descriptor_free(img_descriptor *d) {
  for (size_t i = 0; i < d->url_count; i++) free(d->urls[i]);
  d->url_count = 0;
}

static wctr_err read_platform(const cJSON *p, const char *where, img_platform *out, wctr_errmsg *e) {
  if (!cJSON_IsObject(p)) return wctr_fail(e, WCTR_EINVAL, "%s.platform must be an object", where);
  char at[96];
  snprintf(at, sizeof at, "%s.platform", where);
  wctr_err err = copy_field(p, "os", at, true, out->os, sizeof out->os, e);
  if (err == WCTR_OK) err = copy_field(p, "architecture", at, true, out->arch, sizeof out->arch, e);
  if (err == WCTR_OK) err = copy_field(p, "variant", at, false, out->variant, sizeof out->variant, e);
  if (err == WCTR_OK) err = copy_field(p, "os.version", at, false, out->os_version, sizeof out->os_version, e);
  if (err != WCTR_OK) return err;
  const cJSON *features = cJSON_GetObjectItemCaseSensitive(p, "os.features");
  out->os_features[0] = '\0';
  if (features != NULL && !cJSON_IsArray(features)) return wctr_fail(e, WCTR_EINVAL, "%s: \"os.features\" must be an array", at);
  const cJSON *f;
  size_t o = 0;
  cJSON_ArrayForEach(f, features) {
    if (!cJSON_IsString(f)) return wctr_fail(e, WCTR_EINVAL, "%s: \"os.features\" must hold strings", at);
    int n = snprintf(out->os_features + o, sizeof out->os_features - o, "%s%s", o > 0 ? "," : "", f->valuestring);
    if (n < 0 || (size_t)n >= sizeof out->os_features - o) return wctr_fail(e, WCTR_EINVAL, "%s: \"os.features\" is too long", at);
    o += (size_t)n;
  }
  return WCTR_OK;
}

static wctr_err read_descriptor(const cJSON *d, const char *where, bool want_platform, img_descriptor *out,
                                wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  if (!cJSON_IsObject(d)) return wctr_fail(e, WCTR_EINVAL, "%s must be an object", where);
  wctr_err err = copy_field(d, "mediaType", where, true, out->media_type, sizeof out->media_type, e);
  if (err == WCTR_OK) err = copy_field(d, "digest", where, true, out->digest, sizeof out->digest, e);
  if (err != WCTR_OK) return err;
  char at[96];
  snprintf(at, sizeof at, "%s.digest", where);
  err = img_digest_check(out->digest, at, e);
  if (err != WCTR_OK) return err;
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(d, "size");
  if (!cJSON_IsNumber(size) || size->valuedouble < 0 || size->valuedouble > 9007199254740992.0 ||
      size->valuedouble != (double)(int64_t)size->valuedouble) {
    return wctr_fail(e, WCTR_EINVAL, "%s: \"size\" must be a whole number of bytes", where);
  }
  out->size = (int64_t)size->valuedouble;
  const cJSON *urls = cJSON_GetObjectItemCaseSensitive(d, "urls");
  if (urls != NULL && !cJSON_IsArray(urls)) return wctr_fail(e, WCTR_EINVAL, "%s: \"urls\" must be an array", where);
  const cJSON *u;
  cJSON_ArrayForEach(u, urls) {
    if (!cJSON_IsString(u)) return wctr_fail(e, WCTR_EINVAL, "%s: \"urls\" must hold strings", where);
    if (out->url_count == IMG_MAX_URLS) return wctr_fail(e, WCTR_EINVAL, "%s: at most %d urls", where, IMG_MAX_URLS);
    /* Only web addresses: a file:// or UNC url would make wctrd read the host's own files. */
    if (strncmp(u->valuestring, "https://", 8) != 0 && strncmp(u->valuestring, "http://", 7) != 0) {
      return wctr_fail(e, WCTR_EINVAL, "%s: url \"%.100s\" is not http(s)", where, u->valuestring);
    }
    if (strlen(u->valuestring) > 2048) return wctr_fail(e, WCTR_EINVAL, "%s: a url is longer than 2048 characters", where);
    out->urls[out->url_count] = strdup(u->valuestring);
    if (out->urls[out->url_count] == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    out->url_count++;
  }
  const cJSON *platform = cJSON_GetObjectItemCaseSensitive(d, "platform");
  if (want_platform && platform != NULL) {
    out->has_platform = true;
    return read_platform(platform, where, &out->platform, e);
  }
  return WCTR_OK;
}

void img_manifest_free(img_manifest *m) {
  if (m == NULL) return;
  descriptor_free(&m->config);
  for (size_t i = 0; i < m->count; i++) descriptor_free(&m->items[i]);
  free(m->items);
  memset(m, 0, sizeof *m);
}

static int kind_of(const char *mt) {
  if (mt == NULL) return 0;
  if (strcmp(mt, IMG_MT_DOCKER_MANIFEST) == 0 || strcmp(mt, IMG_MT_OCI_MANIFEST) == 0) return IMG_DOC_MANIFEST;
  if (strcmp(mt, IMG_MT_DOCKER_LIST) == 0 || strcmp(mt, IMG_MT_OCI_INDEX) == 0) return IMG_DOC_INDEX;
  return -1;
}

wctr_err img_manifest_parse(const char *body, size_t len, const char *content_type, img_manifest *out,
                            wctr_errmsg *e) {
  img_manifest m;
  memset(&m, 0, sizeof m);
  wctr_err err = WCTR_OK;
  if (len > IMG_MANIFEST_MAX_BYTES) return wctr_fail(e, WCTR_ETOOBIG, "the manifest is larger than 4 MiB");
  cJSON *root = cJSON_ParseWithLength(body, len);
  if (!cJSON_IsObject(root)) {
    err = wctr_fail(e, WCTR_EINVAL, "the manifest is not a JSON object");
    goto done;
  }
  const cJSON *sv = cJSON_GetObjectItemCaseSensitive(root, "schemaVersion");
  if (!cJSON_IsNumber(sv) || sv->valuedouble != 2) {
    err = wctr_fail(e, WCTR_EINVAL, "the manifest's schemaVersion is not 2 (schema 1 manifests are not supported)");
    goto done;
  }
  const cJSON *mtv = cJSON_GetObjectItemCaseSensitive(root, "mediaType");
  if (mtv != NULL && !cJSON_IsString(mtv)) {
    err = wctr_fail(e, WCTR_EINVAL, "the manifest's mediaType must be a string");
    goto done;
  }
  const char *declared = cJSON_IsString(mtv) ? mtv->valuestring : NULL;
  /* Content types may carry parameters ("...+json; charset=utf-8"). */
  char ct[160] = "";
  if (content_type != NULL) {
    snprintf(ct, sizeof ct, "%s", content_type);
    ct[strcspn(ct, "; \t")] = '\0';
  }
  int kd = kind_of(declared);
  int kc = ct[0] != '\0' ? kind_of(ct) : 0;
  if (kd < 0) {
    err = wctr_fail(e, WCTR_EINVAL, "the manifest's mediaType \"%.100s\" is not one wctr reads", declared);
    goto done;
  }
  if (kd > 0 && kc > 0 && strcmp(declared, ct) != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "the manifest says it is %.100s but arrived as %.100s", declared, ct);
    goto done;
  }
  int kind = kd > 0 ? kd : kc > 0 ? kc : 0;
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "manifests");
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(root, "layers");
  if (kind == 0) kind = list != NULL ? IMG_DOC_INDEX : layers != NULL ? IMG_DOC_MANIFEST : 0;
  if (kind == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "the document is neither a manifest nor an index (no \"layers\", no \"manifests\")");
    goto done;
  }
  m.kind = (img_doc_kind)kind;
  snprintf(m.media_type, sizeof m.media_type, "%s",
           kd > 0 ? declared : kc > 0 ? ct : kind == IMG_DOC_INDEX ? IMG_MT_OCI_INDEX : IMG_MT_OCI_MANIFEST);
  const cJSON *arr = kind == IMG_DOC_INDEX ? list : layers;
  const char *what = kind == IMG_DOC_INDEX ? "manifests" : "layers";
  if (!cJSON_IsArray(arr)) {
    err = wctr_fail(e, WCTR_EINVAL, "the %s's \"%s\" must be an array", kind == IMG_DOC_INDEX ? "index" : "manifest", what);
    goto done;
  }
  int n = cJSON_GetArraySize(arr);
  size_t max = kind == IMG_DOC_INDEX ? IMG_MAX_ENTRIES : IMG_MAX_LAYERS;
  if ((size_t)n > max) {
    err = wctr_fail(e, WCTR_EINVAL, "the document lists %d %s; wctr takes at most %zu", n, what, max);
    goto done;
  }
  if (kind == IMG_DOC_MANIFEST && n == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "the manifest has no layers");
    goto done;
  }
  m.items = calloc((size_t)n + 1, sizeof *m.items);
  if (m.items == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  const cJSON *item;
  cJSON_ArrayForEach(item, arr) {
    char where[64];
    snprintf(where, sizeof where, "%s[%zu]", what, m.count);
    err = read_descriptor(item, where, kind == IMG_DOC_INDEX, &m.items[m.count], e);
    m.count++;
    if (err != WCTR_OK) goto done;
    if (kind == IMG_DOC_MANIFEST && !img_layer_type_known(m.items[m.count - 1].media_type, NULL)) {
      err = wctr_fail(e, WCTR_EINVAL, "%s: layer type \"%.100s\" is not one wctr can import", where,
                      m.items[m.count - 1].media_type);
      goto done;
    }
  }
  if (kind == IMG_DOC_MANIFEST) {
    err = read_descriptor(cJSON_GetObjectItemCaseSensitive(root, "config"), "config", false, &m.config, e);
  }
done:
  cJSON_Delete(root);
  if (err != WCTR_OK) {
    img_manifest_free(&m);
    return err;
  }
  *out = m;
  return WCTR_OK;
}

void img_config_free(img_config *c) {
  if (c == NULL) return;
  for (size_t i = 0; i < c->diff_count; i++) free(c->diff_ids[i]);
  free(c->diff_ids);
  cJSON_Delete(c->json);
  memset(c, 0, sizeof *c);
}

wctr_err img_config_parse(const char *body, size_t len, img_config *out, wctr_errmsg *e) {
  img_config c;
  memset(&c, 0, sizeof c);
  wctr_err err = WCTR_OK;
  if (len > IMG_CONFIG_MAX_BYTES) return wctr_fail(e, WCTR_ETOOBIG, "the image config is larger than 8 MiB");
  c.json = cJSON_ParseWithLength(body, len);
  if (!cJSON_IsObject(c.json)) {
    err = wctr_fail(e, WCTR_EINVAL, "the image config is not a JSON object");
    goto done;
  }
  err = copy_field(c.json, "os", "config", true, c.os, sizeof c.os, e);
  if (err == WCTR_OK) err = copy_field(c.json, "architecture", "config", true, c.arch, sizeof c.arch, e);
  if (err == WCTR_OK) err = copy_field(c.json, "os.version", "config", false, c.os_version, sizeof c.os_version, e);
  if (err == WCTR_OK) err = copy_field(c.json, "created", "config", false, c.created, sizeof c.created, e);
  if (err != WCTR_OK) goto done;
  const cJSON *rootfs = cJSON_GetObjectItemCaseSensitive(c.json, "rootfs");
  const cJSON *diffs = cJSON_GetObjectItemCaseSensitive(rootfs, "diff_ids");
  const char *type = str(rootfs, "type");
  if (!cJSON_IsObject(rootfs) || type == NULL || strcmp(type, "layers") != 0 || !cJSON_IsArray(diffs)) {
    err = wctr_fail(e, WCTR_EINVAL, "config: \"rootfs\" must be {\"type\":\"layers\",\"diff_ids\":[...]}");
    goto done;
  }
  int n = cJSON_GetArraySize(diffs);
  if (n == 0 || n > IMG_MAX_LAYERS) {
    err = wctr_fail(e, WCTR_EINVAL, "config: rootfs.diff_ids must list 1 to %d layers", IMG_MAX_LAYERS);
    goto done;
  }
  c.diff_ids = calloc((size_t)n, sizeof *c.diff_ids);
  if (c.diff_ids == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  const cJSON *d;
  cJSON_ArrayForEach(d, diffs) {
    char where[64];
    snprintf(where, sizeof where, "config.rootfs.diff_ids[%zu]", c.diff_count);
    err = img_digest_check(cJSON_IsString(d) ? d->valuestring : NULL, where, e);
    if (err != WCTR_OK) goto done;
    c.diff_ids[c.diff_count] = strdup(d->valuestring);
    if (c.diff_ids[c.diff_count] == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      goto done;
    }
    c.diff_count++;
  }
done:
  if (err != WCTR_OK) {
    img_config_free(&c);
    return err;
  }
  *out = c;
  return WCTR_OK;
}

wctr_err img_chain_ids(char *const *diff_ids, size_t count, char (*out)[IMG_DIGEST_MAX]) {
  for (size_t i = 0; i < count; i++) {
    if (i == 0) {
      snprintf(out[0], IMG_DIGEST_MAX, "%s", diff_ids[0]);
      continue;
    }
    char text[2 * IMG_DIGEST_MAX + 2];
    int n = snprintf(text, sizeof text, "%s %s", out[i - 1], diff_ids[i]);
    wctr_err err = img_digest_of(text, (size_t)n, out[i]);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

/* --- the Windows platform choice ------------------------------------------------------------------------- */

typedef struct winver {
  unsigned long major, minor, build, rev;
} winver;

/* "10.0.20348" or "10.0.20348.1234" (strictly: digits and dots). */
static bool winver_parse(const char *text, winver *v) {
  unsigned long parts[4] = {0, 0, 0, 0};
  int count = 0;
  const char *p = text;
  if (p == NULL || *p == '\0') return false;
  while (count < 4) {
    unsigned long value = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
      if (digits++ >= 9) return false;
      value = value * 10 + (unsigned long)(*p++ - '0');
    }
    if (digits == 0) return false;
    parts[count++] = value;
    if (*p == '\0') break;
    if (*p++ != '.') return false;
  }
  if (*p != '\0' || count < 3) return false;
  *v = (winver){parts[0], parts[1], parts[2], parts[3]};
  return true;
}

static bool compatible(const winver *host, const winver *img) {
  static const unsigned long ltsc[] = {20348, 26100};
  if (host->major != img->major || host->minor != img->minor) return false;
  if (host->build < ltsc[0]) return host->build == img->build;
  unsigned long low = ltsc[0];
  for (size_t i = 0; i < sizeof ltsc / sizeof ltsc[0]; i++) {
    if (host->build >= ltsc[i]) low = ltsc[i];
  }
  return img->build >= low && img->build <= host->build;
}

bool img_windows_compatible(const char *host_version, const char *image_version) {
  winver h, i;
  return winver_parse(host_version, &h) && winver_parse(image_version, &i) && compatible(&h, &i);
}

static int winver_cmp(const winver *a, const winver *b) {
  const unsigned long x[4] = {a->major, a->minor, a->build, a->rev};
  const unsigned long y[4] = {b->major, b->minor, b->build, b->rev};
  for (int i = 0; i < 4; i++) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

wctr_err img_platform_choose(const img_manifest *index, const img_host *host, const char *ref, size_t *chosen,
                             wctr_errmsg *e) {
  winver hv;
  if (!winver_parse(host->os_version, &hv)) {
    return wctr_fail(e, WCTR_EINVAL, "the host's OS version \"%.40s\" cannot be read", host->os_version);
  }
  bool found = false;
  bool best_has_version = false;
  winver best = {0, 0, 0, 0};
  for (size_t i = 0; i < index->count; i++) {
    const img_descriptor *d = &index->items[i];
    if (!d->has_platform || strcmp(d->platform.os, "windows") != 0 || strcmp(d->platform.arch, host->arch) != 0) continue;
    if (kind_of(d->media_type) <= 0) continue;
    winver v;
    bool has_version = d->platform.os_version[0] != '\0';
    if (has_version && (!winver_parse(d->platform.os_version, &v) || !compatible(&hv, &v))) continue;
    bool better = !found || (has_version && (!best_has_version || winver_cmp(&v, &best) > 0));
    if (better) {
      found = true;
      *chosen = i;
      best_has_version = has_version;
      if (has_version) best = v;
    }
  }
  if (found) return WCTR_OK;
  char list[420];
  size_t o = 0;
  list[0] = '\0';
  for (size_t i = 0; i < index->count && o < 400; i++) {
    const img_platform *p = &index->items[i].platform;
    int n = snprintf(list + o, sizeof list - o, "%s%s/%s%s%s", o > 0 ? ", " : "", index->items[i].has_platform ? p->os : "?",
                     index->items[i].has_platform ? p->arch : "?", p->os_version[0] != '\0' ? " " : "", p->os_version);
    if (n < 0) break;
    o += (size_t)n < sizeof list - o ? (size_t)n : sizeof list - o - 1;
  }
  return wctr_fail(e, WCTR_ENOENT, "no image for Windows %lu.%lu.%lu in %.200s; available: %s", hv.major, hv.minor,
                   hv.build, ref, index->count > 0 ? list : "nothing");
}
