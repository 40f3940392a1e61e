/* images/store.c - the content store (portable). Contract: images/store.h. */
#include "images/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/ioc.h"
#include "common/json.h"
#include "common/log.h"
#include "common/random.h"
#include "images/manifest.h"

#define SEP WCTR_FS_SEP
enum { PATH_MAX_LEN = 1400, PIN_MAX = 4096 };

typedef struct pin {
  char key[IMG_DIGEST_MAX];
  int count;
} pin;

struct img_store {
  wctr_mutex lock;
  char root[1024];
  const img_importer *importer;
  img_record *recs;
  size_t nrec;
  cJSON *tags;    /* "domain/path:tag" -> id */
  cJSON *digests; /* "domain/path@sha256:..." -> id */
  pin *pins;
  size_t npins;
  char (*layers)[IMG_DIGEST_MAX]; /* chain ids with a layer record */
  size_t nlayers;
};

/* --- records as JSON ------------------------------------------------------------------------------------ */

void img_record_free(img_record *r) {
  if (r == NULL) return;
  free(r->layers);
  memset(r, 0, sizeof *r);
}

static wctr_err record_copy(const img_record *from, img_record *to) {
  *to = *from;
  to->layers = calloc(from->layer_count + 1, sizeof *to->layers);
  if (to->layers == NULL) return WCTR_ENOMEM;
  memcpy(to->layers, from->layers, from->layer_count * sizeof *to->layers);
  return WCTR_OK;
}

cJSON *img_record_to_json(const img_record *r) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL && cJSON_AddStringToObject(o, "Id", r->id) && cJSON_AddStringToObject(o, "Manifest", r->manifest) &&
            cJSON_AddStringToObject(o, "ManifestMediaType", r->manifest_type) &&
            cJSON_AddStringToObject(o, "Index", r->index) && cJSON_AddStringToObject(o, "Os", r->os) &&
            cJSON_AddStringToObject(o, "Architecture", r->arch) && cJSON_AddStringToObject(o, "OsVersion", r->os_version) &&
            cJSON_AddStringToObject(o, "Created", r->created) && cJSON_AddStringToObject(o, "Added", r->added);
  if (ok && r->trust.key[0] != '\0') {
    cJSON *t = cJSON_AddObjectToObject(o, "Trust");
    ok = t != NULL && cJSON_AddStringToObject(t, "Key", r->trust.key) &&
         cJSON_AddStringToObject(t, "KeyFile", r->trust.key_file) && cJSON_AddStringToObject(t, "Digest", r->trust.digest) &&
         cJSON_AddStringToObject(t, "Repository", r->trust.repository) &&
         cJSON_AddStringToObject(t, "Verified", r->trust.verified);
  }
  cJSON *layers = ok ? cJSON_AddArrayToObject(o, "Layers") : NULL;
  ok = layers != NULL;
  for (size_t i = 0; ok && i < r->layer_count; i++) {
    const img_layer_rec *l = &r->layers[i];
    cJSON *j = cJSON_CreateObject();
    ok = j != NULL && cJSON_AddItemToArray(layers, j) && cJSON_AddStringToObject(j, "ChainId", l->chain_id) &&
         cJSON_AddStringToObject(j, "DiffId", l->diff_id) && cJSON_AddStringToObject(j, "Blob", l->blob) &&
         cJSON_AddStringToObject(j, "MediaType", l->media_type) &&
         cJSON_AddNumberToObject(j, "BlobSize", (double)l->blob_size) && cJSON_AddNumberToObject(j, "Size", (double)l->size);
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static wctr_err get_text(const cJSON *j, const char *key, const char *where, bool digest, char *out, size_t size,
                         wctr_errmsg *e) {
  const char *v = NULL;
  wctr_err err = wctr_json_get_string(j, key, where, true, &v, e);
  if (err != WCTR_OK) return err;
  if (strlen(v) >= size) return wctr_fail(e, WCTR_EINVAL, "%s: \"%s\" is too long", where, key);
  if (digest && !(v[0] == '\0' && strcmp(key, "Index") == 0)) {
    char at[96];
    snprintf(at, sizeof at, "%s.%s", where, key);
    err = img_digest_check(v, at, e);
    if (err != WCTR_OK) return err;
  }
  snprintf(out, size, "%s", v);
  return WCTR_OK;
}

wctr_err img_record_from_json(const cJSON *j, img_record *out, wctr_errmsg *e) {
  img_record r;
  memset(&r, 0, sizeof r);
  wctr_err err = get_text(j, "Id", "image", true, r.id, sizeof r.id, e);
  if (err == WCTR_OK) err = get_text(j, "Manifest", "image", true, r.manifest, sizeof r.manifest, e);
  if (err == WCTR_OK) err = get_text(j, "ManifestMediaType", "image", false, r.manifest_type, sizeof r.manifest_type, e);
  if (err == WCTR_OK) err = get_text(j, "Index", "image", true, r.index, sizeof r.index, e);
  if (err == WCTR_OK) err = get_text(j, "Os", "image", false, r.os, sizeof r.os, e);
  if (err == WCTR_OK) err = get_text(j, "Architecture", "image", false, r.arch, sizeof r.arch, e);
  if (err == WCTR_OK) err = get_text(j, "OsVersion", "image", false, r.os_version, sizeof r.os_version, e);
  if (err == WCTR_OK) err = get_text(j, "Created", "image", false, r.created, sizeof r.created, e);
  if (err == WCTR_OK) err = get_text(j, "Added", "image", false, r.added, sizeof r.added, e);
  const cJSON *trust = cJSON_GetObjectItemCaseSensitive(j, "Trust");
  if (err == WCTR_OK && trust != NULL) {
    img_trust_rec *t = &r.trust;
    err = get_text(trust, "Key", "image.Trust", true, t->key, sizeof t->key, e);
    if (err == WCTR_OK) err = get_text(trust, "KeyFile", "image.Trust", false, t->key_file, sizeof t->key_file, e);
    if (err == WCTR_OK) err = get_text(trust, "Digest", "image.Trust", true, t->digest, sizeof t->digest, e);
    if (err == WCTR_OK) err = get_text(trust, "Repository", "image.Trust", false, t->repository, sizeof t->repository, e);
    if (err == WCTR_OK) err = get_text(trust, "Verified", "image.Trust", false, t->verified, sizeof t->verified, e);
  }
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(j, "Layers");
  int n = cJSON_GetArraySize(layers);
  if (err == WCTR_OK && (!cJSON_IsArray(layers) || n == 0 || n > IMG_MAX_LAYERS)) {
    err = wctr_fail(e, WCTR_EINVAL, "image: \"Layers\" must list 1 to %d layers", IMG_MAX_LAYERS);
  }
  if (err == WCTR_OK && (r.layers = calloc((size_t)n, sizeof *r.layers)) == NULL) err = WCTR_ENOMEM;
  const cJSON *l;
  cJSON_ArrayForEach(l, layers) {
    if (err != WCTR_OK) break;
    img_layer_rec *x = &r.layers[r.layer_count++];
    err = get_text(l, "ChainId", "image.Layers", true, x->chain_id, sizeof x->chain_id, e);
    if (err == WCTR_OK) err = get_text(l, "DiffId", "image.Layers", true, x->diff_id, sizeof x->diff_id, e);
    if (err == WCTR_OK) err = get_text(l, "Blob", "image.Layers", true, x->blob, sizeof x->blob, e);
    if (err == WCTR_OK) err = get_text(l, "MediaType", "image.Layers", false, x->media_type, sizeof x->media_type, e);
    if (err == WCTR_OK) err = wctr_json_get_int64(l, "BlobSize", "image.Layers", true, 0, INT64_C(1) << 53, &x->blob_size, e);
    if (err == WCTR_OK) err = wctr_json_get_int64(l, "Size", "image.Layers", true, 0, INT64_C(1) << 53, &x->size, e);
  }
  if (err != WCTR_OK) {
    img_record_free(&r);
    return err;
  }
  *out = r;
  return WCTR_OK;
}

/* --- paths ---------------------------------------------------------------------------------------------- */

static void path2(const img_store *s, const char *a, const char *b, char *out, size_t size) {
  if (b != NULL) {
    snprintf(out, size, "%s" SEP "%s" SEP "%s", s->root, a, b);
  } else {
    snprintf(out, size, "%s" SEP "%s", s->root, a);
  }
}

static void blob_path(const img_store *s, const char *digest, char *out, size_t size) {
  snprintf(out, size, "%s" SEP "blobs" SEP "sha256" SEP "%s", s->root, img_digest_hex(digest));
}

static void layer_dir(const img_store *s, const char *chain, char *out, size_t size) {
  snprintf(out, size, "%s" SEP "layers" SEP "%s", s->root, img_digest_hex(chain));
}

static void layer_marker(const img_store *s, const char *chain, char *out, size_t size) {
  snprintf(out, size, "%s" SEP "layers" SEP "%s.json", s->root, img_digest_hex(chain));
}

static void record_path(const img_store *s, const char *id, char *out, size_t size) {
  snprintf(out, size, "%s" SEP "images" SEP "%s.json", s->root, img_digest_hex(id));
}

const char *img_store_root(const img_store *s) { return s->root; }

/* --- references ----------------------------------------------------------------------------------------- */

static bool pinned(const img_store *s, const char *key) {
  WCTR_ASSERT_HELD(&s->lock);
  for (size_t i = 0; i < s->npins; i++) {
    if (strcmp(s->pins[i].key, key) == 0) return true;
  }
  return false;
}

void img_store_pin(img_store *s, const char *key) {
  wctr_mutex_lock(&s->lock);
  size_t i = 0;
  while (i < s->npins && strcmp(s->pins[i].key, key) != 0) i++;
  if (i < s->npins) {
    s->pins[i].count++;
  } else if (s->npins < PIN_MAX) {
    pin *grown = realloc(s->pins, (s->npins + 1) * sizeof *grown);
    if (grown != NULL) {
      s->pins = grown;
      snprintf(s->pins[s->npins].key, sizeof s->pins[s->npins].key, "%s", key);
      s->pins[s->npins++].count = 1;
    }
  }
  wctr_mutex_unlock(&s->lock);
}

void img_store_unpin(img_store *s, const char *key) {
  wctr_mutex_lock(&s->lock);
  for (size_t i = 0; i < s->npins; i++) {
    if (strcmp(s->pins[i].key, key) == 0) {
      if (--s->pins[i].count == 0) s->pins[i] = s->pins[--s->npins];
      break;
    }
  }
  wctr_mutex_unlock(&s->lock);
}

/* How many records reference a blob (as manifest, index, config or layer blob) or a layer (chain id). */
static size_t refs(const img_store *s, const char *key) {
  size_t n = 0;
  for (size_t i = 0; i < s->nrec; i++) {
    const img_record *r = &s->recs[i];
    bool hit = strcmp(r->id, key) == 0 || strcmp(r->manifest, key) == 0 || strcmp(r->index, key) == 0;
    for (size_t k = 0; !hit && k < r->layer_count; k++) {
      hit = strcmp(r->layers[k].chain_id, key) == 0 || strcmp(r->layers[k].blob, key) == 0;
    }
    n += hit ? 1 : 0;
  }
  return n;
}

static bool has_layer_locked(const img_store *s, const char *chain) {
  for (size_t i = 0; i < s->nlayers; i++) {
    if (strcmp(s->layers[i], chain) == 0) return true;
  }
  return false;
}

static wctr_err layers_add(img_store *s, const char *chain) {
  if (has_layer_locked(s, chain)) return WCTR_OK;
  char (*grown)[IMG_DIGEST_MAX] = realloc(s->layers, (s->nlayers + 1) * sizeof *grown);
  if (grown == NULL) return WCTR_ENOMEM;
  s->layers = grown;
  snprintf(s->layers[s->nlayers++], IMG_DIGEST_MAX, "%s", chain);
  return WCTR_OK;
}

static void layers_drop(img_store *s, const char *chain) {
  for (size_t i = 0; i < s->nlayers; i++) {
    if (strcmp(s->layers[i], chain) == 0) {
      memcpy(s->layers[i], s->layers[--s->nlayers], IMG_DIGEST_MAX);
      return;
    }
  }
}

/* --- garbage --------------------------------------------------------------------------------------------- */

typedef struct doomed {
  char path[PATH_MAX_LEN];
  char id[IMG_GUID_TEXT + 1];
} doomed;

/* Under the lock: every layer and blob of r that nothing references any more leaves the store's view (a
 * layer folder is renamed into tmp\ for destroy_doomed, outside the lock); the bytes of blobs are removed. */
static void collect(img_store *s, const img_record *r, doomed **out, size_t *count, int64_t *freed) {
  WCTR_ASSERT_HELD(&s->lock);
  for (size_t i = r->layer_count; i-- > 0;) {
    const img_layer_rec *l = &r->layers[i];
    if (img_digest_valid(l->chain_id) && refs(s, l->chain_id) == 0 && !pinned(s, l->chain_id) &&
        has_layer_locked(s, l->chain_id)) {
      char dir[PATH_MAX_LEN];
      char marker[PATH_MAX_LEN];
      char name[IMG_DIGEST_HEX + 1];
      layer_dir(s, l->chain_id, dir, sizeof dir);
      layer_marker(s, l->chain_id, marker, sizeof marker);
      snprintf(name, sizeof name, "%s", img_digest_hex(l->chain_id));
      doomed *grown = realloc(*out, (*count + 1) * sizeof *grown);
      if (grown == NULL) continue;
      *out = grown;
      doomed *d = &grown[*count];
      unsigned char rnd[6] = {0};
      wctr_random_bytes(rnd, sizeof rnd);
      snprintf(d->path, sizeof d->path, "%s" SEP "tmp" SEP "%.16s-removing-%02x%02x%02x%02x%02x%02x", s->root, name, rnd[0],
               rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
      img_layer_id(name, d->id, sizeof d->id);
      /* The marker first: a crash after it leaves a folder without a record, which the sweep destroys. */
      if (wctr_fs_remove(marker) != WCTR_OK) continue;
      layers_drop(s, l->chain_id);
      if (!wctr_fs_exists(dir) || wctr_fs_rename(dir, d->path, false, NULL) != WCTR_OK) {
        snprintf(d->path, sizeof d->path, "%s", dir);
      }
      *freed += l->size;
      (*count)++;
    }
  }
  const char *blobs[IMG_MAX_LAYERS + 3];
  size_t nb = 0;
  blobs[nb++] = r->id;
  blobs[nb++] = r->manifest;
  if (r->index[0] != '\0') blobs[nb++] = r->index;
  for (size_t i = 0; i < r->layer_count && nb < sizeof blobs / sizeof blobs[0]; i++) blobs[nb++] = r->layers[i].blob;
  for (size_t i = 0; i < nb; i++) {
    if (!img_digest_valid(blobs[i]) || refs(s, blobs[i]) > 0 || pinned(s, blobs[i])) continue;
    char p[PATH_MAX_LEN];
    blob_path(s, blobs[i], p, sizeof p);
    wctr_fs_remove(p);
  }
}

static void destroy_doomed(img_store *s, doomed *d, size_t count) {
  for (size_t i = 0; i < count; i++) {
    wctr_errmsg e;
    e.text[0] = '\0';
    if (s->importer->destroy(s->importer->ctx, d[i].path, d[i].id, &e) != WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "image store: cannot remove the layer folder %s (%s); the next start tries again", d[i].path,
               e.text);
    }
  }
  free(d);
}

/* --- persistence ------------------------------------------------------------------------------------------- */

static wctr_err save_json(const char *path, const cJSON *j, wctr_errmsg *e) {
  char *text = cJSON_PrintUnformatted(j);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = wctr_fs_write_atomic(path, text, strlen(text), e);
  cJSON_free(text);
  return err;
}

static wctr_err save_names(img_store *s, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&s->lock);
  cJSON *doc = cJSON_CreateObject();
  cJSON *t = cJSON_Duplicate(s->tags, true);
  cJSON *d = cJSON_Duplicate(s->digests, true);
  bool ok = doc != NULL && t != NULL && d != NULL && cJSON_AddItemToObject(doc, "Tags", t);
  if (!ok) cJSON_Delete(t);
  ok = ok && cJSON_AddItemToObject(doc, "Digests", d);
  if (!ok) {
    if (doc == NULL || cJSON_GetObjectItemCaseSensitive(doc, "Digests") == NULL) cJSON_Delete(d);
    cJSON_Delete(doc);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  char path[PATH_MAX_LEN];
  path2(s, "repositories.json", NULL, path, sizeof path);
  wctr_err err = save_json(path, doc, e);
  cJSON_Delete(doc);
  return err;
}

static img_record *find_record(img_store *s, const char *id) {
  for (size_t i = 0; i < s->nrec; i++) {
    if (strcmp(s->recs[i].id, id) == 0) return &s->recs[i];
  }
  return NULL;
}

typedef struct list_ctx {
  img_store *s;
  char (*names)[300];
  size_t count;
  bool dirs_too;
} list_ctx;

static bool collect_name(void *arg, const char *name, bool is_dir) {
  list_ctx *c = arg;
  (void)is_dir;
  char (*grown)[300] = realloc(c->names, (c->count + 1) * sizeof *grown);
  if (grown == NULL) return false;
  c->names = grown;
  snprintf(c->names[c->count++], 300, "%s%s", is_dir ? "/" : "", name);
  return true;
}

static wctr_err mkdir_p(const char *path, wctr_errmsg *e) {
  wctr_err err = wctr_fs_mkdir(path, e);
  return err == WCTR_EEXIST && wctr_fs_is_dir(path) ? WCTR_OK : err;
}

static bool hex64(const char *s) {
  char d[IMG_DIGEST_MAX];
  snprintf(d, sizeof d, "sha256:%.64s", s);
  return strlen(s) >= 64 && img_digest_valid(d);
}

/* The sweep (store.h). */
static wctr_err sweep(img_store *s, wctr_errmsg *e) {
  char dir[PATH_MAX_LEN];
  char p[PATH_MAX_LEN];
  list_ctx c = {.s = s};
  /* 1. tmp\ */
  path2(s, "tmp", NULL, dir, sizeof dir);
  wctr_fs_list(dir, collect_name, &c);
  for (size_t i = 0; i < c.count; i++) {
    bool is_dir = c.names[i][0] == '/';
    snprintf(p, sizeof p, "%s" SEP "%s", dir, c.names[i] + (is_dir ? 1 : 0));
    if (is_dir) {
      char id[IMG_GUID_TEXT + 1] = "";
      img_layer_id(c.names[i] + 1, id, sizeof id);
      wctr_errmsg le;
      if (s->importer->destroy(s->importer->ctx, p, id, &le) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "image store sweep: %s", le.text);
    } else {
      wctr_fs_remove(p);
    }
    wctr_log(WCTR_LOG_INFO, "image store sweep: removed %s (an interrupted download or import)", p);
  }
  free(c.names);
  /* 2. image records */
  memset(&c, 0, sizeof c);
  path2(s, "images", NULL, dir, sizeof dir);
  wctr_fs_list(dir, collect_name, &c);
  for (size_t i = 0; i < c.count; i++) {
    const char *name = c.names[i];
    size_t n = strlen(name);
    if (name[0] == '/' || n != 69 || strcmp(name + 64, ".json") != 0 || !hex64(name)) continue;
    snprintf(p, sizeof p, "%s" SEP "%s", dir, name);
    char *text = NULL;
    size_t len = 0;
    img_record r;
    wctr_errmsg le;
    le.text[0] = '\0';
    cJSON *j = wctr_fs_read_all(p, 1 << 20, &text, &len) == WCTR_OK ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    if (j != NULL && img_record_from_json(j, &r, &le) == WCTR_OK && strncmp(img_digest_hex(r.id), name, 64) == 0) {
      img_record *grown = realloc(s->recs, (s->nrec + 1) * sizeof *grown);
      if (grown == NULL) {
        img_record_free(&r);
      } else {
        s->recs = grown;
        s->recs[s->nrec++] = r;
      }
    } else {
      wctr_log(WCTR_LOG_WARN, "image store: the record %s cannot be read (%s); it is ignored", p, le.text);
    }
    cJSON_Delete(j);
  }
  free(c.names);
  /* 3. names */
  path2(s, "repositories.json", NULL, p, sizeof p);
  char *text = NULL;
  size_t len = 0;
  cJSON *doc = wctr_fs_read_all(p, 16u << 20, &text, &len) == WCTR_OK ? cJSON_ParseWithLength(text, len) : NULL;
  free(text);
  cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(doc, "Tags");
  cJSON *d = cJSON_DetachItemFromObjectCaseSensitive(doc, "Digests");
  cJSON_Delete(doc);
  s->tags = cJSON_IsObject(t) ? t : cJSON_CreateObject();
  s->digests = cJSON_IsObject(d) ? d : cJSON_CreateObject();
  if (s->tags != t) cJSON_Delete(t);
  if (s->digests != d) cJSON_Delete(d);
  if (s->tags == NULL || s->digests == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  bool dropped = false;
  cJSON *maps[2] = {s->tags, s->digests};
  for (int m = 0; m < 2; m++) {
    cJSON *item = maps[m]->child;
    while (item != NULL) {
      cJSON *next = item->next;
      if (!cJSON_IsString(item) || find_record(s, item->valuestring) == NULL) {
        wctr_log(WCTR_LOG_INFO, "image store sweep: %s names no stored image; dropped", item->string);
        cJSON_Delete(cJSON_DetachItemViaPointer(maps[m], item));
        dropped = true;
      }
      item = next;
    }
  }
  wctr_mutex_lock(&s->lock);
  wctr_err err = dropped ? save_names(s, e) : WCTR_OK;
  wctr_mutex_unlock(&s->lock);
  if (err != WCTR_OK) return err;
  /* 4. layers */
  memset(&c, 0, sizeof c);
  path2(s, "layers", NULL, dir, sizeof dir);
  wctr_fs_list(dir, collect_name, &c);
  for (size_t i = 0; i < c.count; i++) {
    const char *name = c.names[i];
    bool is_dir = name[0] == '/';
    const char *base = name + (is_dir ? 1 : 0);
    char chain[IMG_DIGEST_MAX];
    snprintf(chain, sizeof chain, "sha256:%.64s", base);
    bool valid = hex64(base) && strlen(base) == (is_dir ? 64u : 69u);
    bool marker_exists = false;
    if (valid) {
      layer_marker(s, chain, p, sizeof p);
      marker_exists = wctr_fs_exists(p);
    }
    bool wanted = valid && refs(s, chain) > 0;
    if (!is_dir) {
      char folder[PATH_MAX_LEN];
      if (valid) layer_dir(s, chain, folder, sizeof folder);
      if (valid && wanted && wctr_fs_is_dir(folder)) {
        layers_add(s, chain);
        continue;
      }
      snprintf(p, sizeof p, "%s" SEP "%s", dir, base);
      wctr_fs_remove(p);
      wctr_log(WCTR_LOG_INFO, "image store sweep: removed the layer record %s (%s)", p, wanted ? "its folder is missing" : "no image uses it");
      continue;
    }
    if (valid && wanted && marker_exists) continue;
    snprintf(p, sizeof p, "%s" SEP "%s", dir, base);
    char id[IMG_GUID_TEXT + 1] = "";
    img_layer_id(base, id, sizeof id);
    wctr_errmsg le;
    le.text[0] = '\0';
    if (s->importer->destroy(s->importer->ctx, p, id, &le) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "image store sweep: %s", le.text);
    wctr_log(WCTR_LOG_INFO, "image store sweep: removed the layer folder %s (%s)", p,
             marker_exists ? "no image uses it" : "an interrupted import");
  }
  free(c.names);
  /* Records whose layers are missing cannot run: their layers are imported again by the next pull. */
  /* 5. blobs */
  memset(&c, 0, sizeof c);
  snprintf(dir, sizeof dir, "%s" SEP "blobs" SEP "sha256", s->root);
  wctr_fs_list(dir, collect_name, &c);
  for (size_t i = 0; i < c.count; i++) {
    char digest[IMG_DIGEST_MAX + 300];
    snprintf(digest, sizeof digest, "sha256:%s", c.names[i]);
    if (c.names[i][0] != '/' && img_digest_valid(digest) && refs(s, digest) > 0) continue;
    snprintf(p, sizeof p, "%s" SEP "%s", dir, c.names[i] + (c.names[i][0] == '/' ? 1 : 0));
    if (c.names[i][0] == '/') {
      wctr_fs_remove_tree(p, NULL);
    } else {
      wctr_fs_remove(p);
    }
    wctr_log(WCTR_LOG_INFO, "image store sweep: removed the blob %s (no image uses it)", p);
  }
  free(c.names);
  return WCTR_OK;
}

wctr_err img_store_open(const img_store_options *opt, img_store **out, wctr_errmsg *e) {
  img_store *s = calloc(1, sizeof *s);
  if (s == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = wctr_mutex_init(&s->lock);
  if (err != WCTR_OK) {
    free(s);
    return wctr_fail(e, err, "out of memory");
  }
  snprintf(s->root, sizeof s->root, "%s", opt->root);
  s->importer = opt->importer != NULL ? opt->importer : img_importer_unavailable();
  if (strlen(opt->root) > 600) err = wctr_fail(e, WCTR_EINVAL, "the image store's folder %.100s... is too long", opt->root);
  static const char *const dirs[] = {"", "blobs", "blobs" SEP "sha256", "layers", "images", "tmp", NULL};
  for (size_t i = 0; err == WCTR_OK && dirs[i] != NULL; i++) {
    char p[PATH_MAX_LEN];
    if (dirs[i][0] == '\0') snprintf(p, sizeof p, "%s", s->root);
    else path2(s, dirs[i], NULL, p, sizeof p);
    err = mkdir_p(p, e);
  }
  if (err == WCTR_OK) err = sweep(s, e);
  if (err != WCTR_OK) {
    img_store_close(s);
    return err;
  }
  *out = s;
  return WCTR_OK;
}

void img_store_close(img_store *s) {
  if (s == NULL) return;
  for (size_t i = 0; i < s->nrec; i++) img_record_free(&s->recs[i]);
  free(s->recs);
  cJSON_Delete(s->tags);
  cJSON_Delete(s->digests);
  free(s->pins);
  free(s->layers);
  wctr_mutex_destroy(&s->lock);
  free(s);
}

/* --- content ------------------------------------------------------------------------------------------------ */

wctr_err img_store_tmp_path(img_store *s, char *out, size_t size, wctr_errmsg *e) {
  unsigned char rnd[8];
  wctr_err err = wctr_random_bytes(rnd, sizeof rnd);
  if (err != WCTR_OK) return wctr_fail(e, err, "no random numbers");
  int n = snprintf(out, size, "%s" SEP "tmp" SEP "%02x%02x%02x%02x%02x%02x%02x%02x.part", s->root, rnd[0], rnd[1], rnd[2],
                   rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
  if (n < 0 || (size_t)n >= size) return wctr_fail(e, WCTR_ETOOBIG, "the temporary path is too long");
  return WCTR_OK;
}

wctr_err img_store_blob_path(img_store *s, const char *digest, char *out, size_t size) {
  if (!img_digest_valid(digest)) return WCTR_EINVAL;
  blob_path(s, digest, out, size);
  return WCTR_OK;
}

bool img_store_has_blob(img_store *s, const char *digest) {
  char p[PATH_MAX_LEN];
  if (img_store_blob_path(s, digest, p, sizeof p) != WCTR_OK) return false;
  return wctr_fs_exists(p);
}

wctr_err img_store_commit_blob(img_store *s, const char *tmp, const char *digest, wctr_errmsg *e) {
  char p[PATH_MAX_LEN];
  if (img_store_blob_path(s, digest, p, sizeof p) != WCTR_OK) return wctr_fail(e, WCTR_EINVAL, "bad digest");
  wctr_mutex_lock(&s->lock);
  wctr_err err = WCTR_OK;
  if (wctr_fs_exists(p)) {
    wctr_fs_remove(tmp);
  } else {
    err = wctr_fs_rename(tmp, p, false, e);
  }
  wctr_mutex_unlock(&s->lock);
  return err;
}

wctr_err img_store_put_blob(img_store *s, const char *digest, const void *data, size_t len, wctr_errmsg *e) {
  char got[IMG_DIGEST_MAX];
  wctr_err err = img_digest_of(data, len, got);
  if (err != WCTR_OK) return wctr_fail(e, err, "no SHA-256 provider");
  if (strcmp(got, digest) != 0) return wctr_fail(e, WCTR_EINVAL, "content %s does not match its digest (got %s)", digest, got);
  if (img_store_has_blob(s, digest)) return WCTR_OK;
  char tmp[PATH_MAX_LEN];
  err = img_store_tmp_path(s, tmp, sizeof tmp, e);
  if (err == WCTR_OK) err = wctr_fs_write_atomic(tmp, data, len, e);
  if (err == WCTR_OK) err = img_store_commit_blob(s, tmp, digest, e);
  return err;
}

wctr_err img_store_read_blob(img_store *s, const char *digest, size_t max, char **data, size_t *len, wctr_errmsg *e) {
  char p[PATH_MAX_LEN];
  if (img_store_blob_path(s, digest, p, sizeof p) != WCTR_OK) return wctr_fail(e, WCTR_EINVAL, "bad digest");
  wctr_err err = wctr_fs_read_all(p, max, data, len);
  if (err != WCTR_OK) return wctr_fail(e, err, "blob %s cannot be read from the store", digest);
  char got[IMG_DIGEST_MAX];
  err = img_digest_of(*data, *len, got);
  if (err == WCTR_OK && strcmp(got, digest) != 0) {
    err = wctr_fail(e, WCTR_EIO, "the stored blob %s is damaged (it hashes to %s)", digest, got);
  }
  if (err != WCTR_OK) {
    free(*data);
    *data = NULL;
  }
  return err;
}

bool img_store_has_layer(img_store *s, const char *chain_id) {
  wctr_mutex_lock(&s->lock);
  bool has = has_layer_locked(s, chain_id);
  wctr_mutex_unlock(&s->lock);
  return has;
}

wctr_err img_store_import_ready(img_store *s, wctr_errmsg *e) {
  if (s->importer->ready == NULL) return WCTR_OK;
  return s->importer->ready(s->importer->ctx, e);
}

wctr_err img_store_import_layer(img_store *s, img_record *rec, size_t i, wctr_errmsg *e) {
  img_layer_rec *l = &rec->layers[i];
  if (img_store_has_layer(s, l->chain_id)) {
    char marker[PATH_MAX_LEN];
    char *text = NULL;
    size_t len = 0;
    layer_marker(s, l->chain_id, marker, sizeof marker);
    cJSON *j = wctr_fs_read_all(marker, 65536, &text, &len) == WCTR_OK ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    int64_t size = 0;
    if (wctr_json_get_int64(j, "Size", "layer", true, 0, INT64_C(1) << 53, &size, NULL) == WCTR_OK) l->size = size;
    cJSON_Delete(j);
    return WCTR_OK;
  }
  char dest[PATH_MAX_LEN];
  char blob[PATH_MAX_LEN];
  char name[IMG_DIGEST_HEX + 1];
  char id[IMG_GUID_TEXT + 1];
  layer_dir(s, l->chain_id, dest, sizeof dest);
  blob_path(s, l->blob, blob, sizeof blob);
  snprintf(name, sizeof name, "%s", img_digest_hex(l->chain_id));
  wctr_err err = img_layer_id(name, id, sizeof id);
  if (err != WCTR_OK) return wctr_fail(e, err, "no layer id for %s", name);
  char (*parent_paths)[PATH_MAX_LEN] = calloc(i + 1, sizeof *parent_paths);
  char (*parent_id_text)[IMG_GUID_TEXT + 1] = calloc(i + 1, sizeof *parent_id_text);
  const char **parents = calloc(i + 1, sizeof *parents);
  const char **parent_ids = calloc(i + 1, sizeof *parent_ids);
  if (parent_paths == NULL || parent_id_text == NULL || parents == NULL || parent_ids == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  for (size_t k = 0; k < i; k++) {
    /* immediate parent first */
    const char *chain = rec->layers[i - 1 - k].chain_id;
    layer_dir(s, chain, parent_paths[k], sizeof parent_paths[k]);
    char pname[IMG_DIGEST_HEX + 1];
    snprintf(pname, sizeof pname, "%s", img_digest_hex(chain));
    img_layer_id(pname, parent_id_text[k], sizeof parent_id_text[k]);
    parents[k] = parent_paths[k];
    parent_ids[k] = parent_id_text[k];
  }
  /* A folder left by a crash is the sweep's; one here now would be a concurrent import of the same layer,
   * which pins and the pull's order prevent. */
  if (wctr_fs_exists(dest)) {
    err = wctr_fail(e, WCTR_EBUSY, "layer %s is being imported by another pull; try again", l->chain_id);
    goto done;
  }
  img_import_layer req = {.blob_path = blob, .media_type = l->media_type, .diff_id = l->diff_id, .dest = dest,
                          .layer_id = id, .parents = parents, .parent_ids = parent_ids, .parent_count = i};
  int64_t size = 0;
  err = s->importer->import(s->importer->ctx, &req, &size, e);
  if (err != WCTR_OK) {
    if (wctr_fs_exists(dest)) s->importer->destroy(s->importer->ctx, dest, id, NULL);
    goto done;
  }
  l->size = size;
  cJSON *m = cJSON_CreateObject();
  cJSON_AddStringToObject(m, "ChainId", l->chain_id);
  cJSON_AddStringToObject(m, "DiffId", l->diff_id);
  cJSON_AddStringToObject(m, "Parent", i > 0 ? rec->layers[i - 1].chain_id : "");
  cJSON_AddStringToObject(m, "Blob", l->blob);
  cJSON_AddStringToObject(m, "MediaType", l->media_type);
  cJSON_AddNumberToObject(m, "Size", (double)size);
  cJSON_AddStringToObject(m, "Id", id);
  char marker[PATH_MAX_LEN];
  layer_marker(s, l->chain_id, marker, sizeof marker);
  wctr_mutex_lock(&s->lock);
  err = save_json(marker, m, e);
  if (err == WCTR_OK) err = layers_add(s, l->chain_id);
  wctr_mutex_unlock(&s->lock);
  cJSON_Delete(m);
  if (err != WCTR_OK) s->importer->destroy(s->importer->ctx, dest, id, NULL);
done:
  free(parent_paths);
  free(parent_id_text);
  free(parents);
  free(parent_ids);
  return err;
}

static void set_name(cJSON *map, const char *name, const char *id, bool *changed) {
  cJSON *old = cJSON_GetObjectItemCaseSensitive(map, name);
  if (cJSON_IsString(old) && strcmp(old->valuestring, id) == 0) return;
  if (old != NULL) cJSON_DeleteItemFromObjectCaseSensitive(map, name);
  cJSON_AddStringToObject(map, name, id);
  *changed = true;
}

/* Drops r (at index) from memory and disk, then collects its garbage. Under the lock. */
static wctr_err drop_record(img_store *s, size_t index, doomed **d, size_t *nd, int64_t *freed, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&s->lock);
  img_record r = s->recs[index];
  char p[PATH_MAX_LEN];
  record_path(s, r.id, p, sizeof p);
  wctr_err err = wctr_fs_remove(p);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot remove the record %s", p);
  s->recs[index] = s->recs[--s->nrec];
  collect(s, &r, d, nd, freed);
  img_record_free(&r);
  return WCTR_OK;
}

wctr_err img_store_register(img_store *s, const img_record *rec, const char *name, const char *repo_digest,
                            bool *changed, wctr_errmsg *e) {
  *changed = false;
  img_record copy;
  if (record_copy(rec, &copy) != WCTR_OK) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_mutex_lock(&s->lock);
  wctr_err err = WCTR_OK;
  doomed *d = NULL;
  size_t nd = 0;
  int64_t freed = 0;
  for (size_t i = 0; err == WCTR_OK && i < rec->layer_count; i++) {
    if (!has_layer_locked(s, rec->layers[i].chain_id)) err = wctr_fail(e, WCTR_EINTERNAL, "layer %s is not imported", rec->layers[i].chain_id);
  }
  char prev_id[IMG_DIGEST_MAX] = "";
  img_record *have = err == WCTR_OK ? find_record(s, rec->id) : NULL;
  if (have != NULL && rec->trust.key[0] != '\0' && memcmp(&have->trust, &rec->trust, sizeof rec->trust) != 0) {
    /* verified again (or for the first time): the record says by which key and when */
    img_trust_rec before = have->trust;
    have->trust = rec->trust;
    char p[PATH_MAX_LEN];
    record_path(s, rec->id, p, sizeof p);
    cJSON *j = img_record_to_json(have);
    err = j != NULL ? save_json(p, j, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
    cJSON_Delete(j);
    if (err != WCTR_OK) have->trust = before;
  }
  if (err == WCTR_OK && have == NULL) {
    char p[PATH_MAX_LEN];
    record_path(s, rec->id, p, sizeof p);
    cJSON *j = img_record_to_json(rec);
    err = j != NULL ? save_json(p, j, e) : wctr_fail(e, WCTR_ENOMEM, "out of memory");
    cJSON_Delete(j);
    img_record *grown = err == WCTR_OK ? realloc(s->recs, (s->nrec + 1) * sizeof *grown) : NULL;
    if (err == WCTR_OK && grown == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    if (err == WCTR_OK) {
      s->recs = grown;
      s->recs[s->nrec++] = copy;
      copy.layers = NULL;
      *changed = true;
    }
  }
  if (err == WCTR_OK && name != NULL) {
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(s->tags, name);
    if (cJSON_IsString(old) && strcmp(old->valuestring, rec->id) != 0) snprintf(prev_id, sizeof prev_id, "%s", old->valuestring);
    set_name(s->tags, name, rec->id, changed);
  }
  if (err == WCTR_OK && repo_digest != NULL) set_name(s->digests, repo_digest, rec->id, changed);
  if (err == WCTR_OK && *changed) err = save_names(s, e);
  /* Docker keeps an image whose tag moved on as a dangling image (<none>), for prune to take. */
  (void)prev_id;
  wctr_mutex_unlock(&s->lock);
  img_record_free(&copy);
  if (nd > 0) destroy_doomed(s, d, nd);
  else free(d);
  (void)freed;
  return err;
}

/* --- lookups ---------------------------------------------------------------------------------------------- */

static wctr_err find_locked(img_store *s, const char *text, size_t *index, char *name, size_t name_size, wctr_errmsg *e) {
  WCTR_ASSERT_HELD(&s->lock);
  if (text == NULL || text[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "an image name or id is required");
  if (img_is_id_text(text)) {
    const char *hex = strncmp(text, "sha256:", 7) == 0 ? text + 7 : text;
    size_t hits = 0;
    for (size_t i = 0; i < s->nrec; i++) {
      if (strncmp(img_digest_hex(s->recs[i].id), hex, strlen(hex)) == 0) {
        *index = i;
        hits++;
      }
    }
    if (hits == 1) {
      if (name != NULL) snprintf(name, name_size, "%s", s->recs[*index].id);
      return WCTR_OK;
    }
    if (hits > 1) return wctr_fail(e, WCTR_EINVAL, "%s names more than one image: give more digits", text);
    if (strncmp(text, "sha256:", 7) == 0) return wctr_fail(e, WCTR_ENOENT, "No such image: %.80s", text);
    /* 12+ hex digits may also be a repository name ("deadbeef1234"): fall through */
  }
  img_ref ref;
  wctr_errmsg pe;
  if (img_ref_parse(text, &ref, &pe) != WCTR_OK) return wctr_fail(e, WCTR_ENOENT, "No such image: %.200s", text);
  char full[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  char repo[IMG_NAME_MAX + 2];
  img_ref_name(&ref, repo, sizeof repo);
  const cJSON *hit = NULL;
  if (ref.digest[0] != '\0') {
    snprintf(full, sizeof full, "%s@%s", repo, ref.digest);
    hit = cJSON_GetObjectItemCaseSensitive(s->digests, full);
  } else {
    snprintf(full, sizeof full, "%s:%s", repo, ref.tag);
    hit = cJSON_GetObjectItemCaseSensitive(s->tags, full);
  }
  for (size_t i = 0; cJSON_IsString(hit) && i < s->nrec; i++) {
    if (strcmp(s->recs[i].id, hit->valuestring) == 0) {
      *index = i;
      if (name != NULL) img_ref_familiar(&ref, name, name_size);
      return WCTR_OK;
    }
  }
  char shown[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  img_ref_familiar(&ref, shown, sizeof shown);
  return wctr_fail(e, WCTR_ENOENT, "No such image: %s", shown);
}

wctr_err img_store_find(img_store *s, const char *text, img_record *out, char *name, size_t name_size, wctr_errmsg *e) {
  wctr_mutex_lock(&s->lock);
  size_t i = 0;
  wctr_err err = find_locked(s, text, &i, name, name_size, e);
  if (err == WCTR_OK && record_copy(&s->recs[i], out) != WCTR_OK) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_mutex_unlock(&s->lock);
  return err;
}

wctr_err img_store_layer_folders(img_store *s, const img_record *rec, char ***paths, char ***ids, size_t *count,
                                 wctr_errmsg *e) {
  size_t n = rec->layer_count;
  char **p = calloc(n + 1, sizeof *p);
  char **d = calloc(n + 1, sizeof *d);
  wctr_err err = p != NULL && d != NULL ? WCTR_OK : WCTR_ENOMEM;
  for (size_t k = 0; err == WCTR_OK && k < n; k++) {
    const char *chain = rec->layers[n - 1 - k].chain_id; /* top-most first */
    if (!img_store_has_layer(s, chain)) {
      err = wctr_fail(e, WCTR_ENOENT, "layer %s of image %s is missing from the store: pull the image again", chain, rec->id);
      break;
    }
    p[k] = malloc(PATH_MAX_LEN);
    d[k] = malloc(IMG_GUID_TEXT + 1);
    if (p[k] == NULL || d[k] == NULL) {
      err = WCTR_ENOMEM;
      break;
    }
    layer_dir(s, chain, p[k], PATH_MAX_LEN);
    char name[IMG_DIGEST_HEX + 1];
    snprintf(name, sizeof name, "%s", img_digest_hex(chain));
    err = img_layer_id(name, d[k], IMG_GUID_TEXT + 1);
  }
  if (err != WCTR_OK) {
    for (size_t k = 0; k < n; k++) {
      if (p != NULL) free(p[k]);
      if (d != NULL) free(d[k]);
    }
    free(p);
    free(d);
    return err == WCTR_ENOMEM ? wctr_fail(e, err, "out of memory") : err;
  }
  *paths = p;
  *ids = d;
  *count = n;
  return WCTR_OK;
}

static wctr_err names_locked(const img_store *s, const char *id, img_names *out) {
  memset(out, 0, sizeof *out);
  const cJSON *maps[2] = {s->tags, s->digests};
  for (int m = 0; m < 2; m++) {
    const cJSON *item;
    cJSON_ArrayForEach(item, maps[m]) {
      if (!cJSON_IsString(item) || strcmp(item->valuestring, id) != 0) continue;
      char ***arr = m == 0 ? &out->tags : &out->digests;
      size_t *n = m == 0 ? &out->tag_count : &out->digest_count;
      char **grown = realloc(*arr, (*n + 1) * sizeof *grown);
      if (grown == NULL) return WCTR_ENOMEM;
      *arr = grown;
      grown[*n] = strdup(item->string);
      if (grown[*n] == NULL) return WCTR_ENOMEM;
      (*n)++;
    }
  }
  return WCTR_OK;
}

void img_names_free(img_names *n) {
  if (n == NULL) return;
  for (size_t i = 0; i < n->tag_count; i++) free(n->tags[i]);
  for (size_t i = 0; i < n->digest_count; i++) free(n->digests[i]);
  free(n->tags);
  free(n->digests);
  memset(n, 0, sizeof *n);
}

wctr_err img_store_names(img_store *s, const char *id, img_names *out) {
  wctr_mutex_lock(&s->lock);
  wctr_err err = names_locked(s, id, out);
  wctr_mutex_unlock(&s->lock);
  if (err != WCTR_OK) img_names_free(out);
  return err;
}

static int64_t image_size(const img_record *r) {
  int64_t n = 0;
  for (size_t i = 0; i < r->layer_count; i++) n += r->layers[i].size;
  return n;
}

static cJSON *familiar_array(char **names, size_t count) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; a != NULL && i < count; i++) {
    char f[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
    img_name_familiar(names[i], f, sizeof f);
    cJSON_AddItemToArray(a, cJSON_CreateString(f));
  }
  return a;
}

/* [{"Id": layer id, "Path": folder}], top-most first: the shape of an `image add` record's layers. Paths only:
 * no file is looked at (callers may hold the lock). */
static cJSON *layers_json(const img_store *s, const img_record *r) {
  cJSON *a = cJSON_CreateArray();
  for (size_t k = 0; a != NULL && k < r->layer_count; k++) {
    const char *chain = r->layers[r->layer_count - 1 - k].chain_id;
    char path[PATH_MAX_LEN], name[IMG_DIGEST_HEX + 1], id[IMG_GUID_TEXT + 1];
    layer_dir(s, chain, path, sizeof path);
    snprintf(name, sizeof name, "%s", img_digest_hex(chain));
    if (img_layer_id(name, id, sizeof id) != WCTR_OK) id[0] = '\0';
    cJSON *l = cJSON_CreateObject();
    if (l == NULL || cJSON_AddStringToObject(l, "Id", id) == NULL || cJSON_AddStringToObject(l, "Path", path) == NULL ||
        cJSON_AddStringToObject(l, "ChainId", chain) == NULL || !cJSON_AddItemToArray(a, l)) {
      cJSON_Delete(l);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

/* The first familiar tag, else the id: what the catalog's records call Name. */
static cJSON *name_json(const img_record *r, const img_names *n) {
  char f[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  if (n->tag_count > 0) img_name_familiar(n->tags[0], f, sizeof f);
  else snprintf(f, sizeof f, "%s", r->id);
  return cJSON_CreateString(f);
}

wctr_err img_store_list(img_store *s, cJSON **out, wctr_errmsg *e) {
  cJSON *list = cJSON_CreateArray();
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_mutex_lock(&s->lock);
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < s->nrec; i++) {
    const img_record *r = &s->recs[i];
    img_names n;
    err = names_locked(s, r->id, &n);
    cJSON *o = cJSON_CreateObject();
    if (err == WCTR_OK && o != NULL) {
      cJSON_AddStringToObject(o, "Id", r->id);
      cJSON_AddItemToObject(o, "RepoTags", familiar_array(n.tags, n.tag_count));
      cJSON_AddItemToObject(o, "RepoDigests", familiar_array(n.digests, n.digest_count));
      cJSON_AddStringToObject(o, "Created", r->created);
      cJSON_AddNumberToObject(o, "Size", (double)image_size(r));
      cJSON_AddStringToObject(o, "Os", r->os);
      cJSON_AddStringToObject(o, "OsVersion", r->os_version);
      cJSON_AddBoolToObject(o, "Dangling", n.tag_count == 0);
      cJSON_AddItemToObject(o, "Name", name_json(r, &n));
      cJSON_AddItemToObject(o, "Layers", layers_json(s, r));
      cJSON_AddItemToArray(list, o);
    } else {
      cJSON_Delete(o);
      if (err == WCTR_OK) err = WCTR_ENOMEM;
    }
    img_names_free(&n);
  }
  wctr_mutex_unlock(&s->lock);
  if (err != WCTR_OK) {
    cJSON_Delete(list);
    return wctr_fail(e, err, "out of memory");
  }
  *out = list;
  return WCTR_OK;
}

static cJSON *config_doc(img_store *s, const char *id) {
  char *text = NULL;
  size_t len = 0;
  if (img_store_read_blob(s, id, IMG_CONFIG_MAX_BYTES, &text, &len, NULL) != WCTR_OK) return NULL;
  cJSON *j = cJSON_ParseWithLength(text, len);
  free(text);
  return j;
}

static void copy_item(cJSON *to, const char *to_key, const cJSON *from, const char *from_key, bool as_string) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, from_key);
  if (v != NULL) {
    cJSON_AddItemToObject(to, to_key, cJSON_Duplicate(v, true));
  } else if (as_string) {
    cJSON_AddStringToObject(to, to_key, "");
  }
}

wctr_err img_store_inspect(img_store *s, const char *text, cJSON **out, wctr_errmsg *e) {
  img_record r;
  wctr_err err = img_store_find(s, text, &r, NULL, 0, e);
  if (err != WCTR_OK) return err;
  img_names n;
  err = img_store_names(s, r.id, &n);
  cJSON *cfg = config_doc(s, r.id);
  cJSON *o = cJSON_CreateObject();
  if (err != WCTR_OK || o == NULL) {
    cJSON_Delete(cfg);
    cJSON_Delete(o);
    img_record_free(&r);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON_AddStringToObject(o, "Id", r.id);
  cJSON_AddItemToObject(o, "RepoTags", familiar_array(n.tags, n.tag_count));
  cJSON_AddItemToObject(o, "RepoDigests", familiar_array(n.digests, n.digest_count));
  cJSON_AddStringToObject(o, "Parent", "");
  copy_item(o, "Comment", cfg, "comment", true);
  cJSON_AddStringToObject(o, "Created", r.created);
  copy_item(o, "DockerVersion", cfg, "docker_version", true);
  copy_item(o, "Author", cfg, "author", true);
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(cfg, "config");
  cJSON_AddItemToObject(o, "Config", config != NULL ? cJSON_Duplicate(config, true) : cJSON_CreateNull());
  cJSON_AddStringToObject(o, "Architecture", r.arch);
  cJSON_AddStringToObject(o, "Os", r.os);
  cJSON_AddStringToObject(o, "OsVersion", r.os_version);
  cJSON_AddNumberToObject(o, "Size", (double)image_size(&r));
  cJSON *rootfs = cJSON_AddObjectToObject(o, "RootFS");
  cJSON_AddStringToObject(rootfs, "Type", "layers");
  cJSON *layers = cJSON_AddArrayToObject(rootfs, "Layers");
  for (size_t i = 0; i < r.layer_count; i++) cJSON_AddItemToArray(layers, cJSON_CreateString(r.layers[i].diff_id));
  cJSON *meta = cJSON_AddObjectToObject(o, "Metadata");
  cJSON_AddStringToObject(meta, "LastTagTime", r.added);
  cJSON_AddItemToObject(o, "Name", name_json(&r, &n));
  cJSON_AddItemToObject(o, "Layers", layers_json(s, &r));
  cJSON_AddStringToObject(o, "Manifest", r.manifest);
  if (r.index[0] != '\0') cJSON_AddStringToObject(o, "Index", r.index);
  if (r.trust.key[0] != '\0') {
    cJSON *t = cJSON_AddObjectToObject(o, "Trust");
    cJSON_AddStringToObject(t, "Key", r.trust.key);
    cJSON_AddStringToObject(t, "KeyFile", r.trust.key_file);
    cJSON_AddStringToObject(t, "Digest", r.trust.digest);
    cJSON_AddStringToObject(t, "Repository", r.trust.repository);
    cJSON_AddStringToObject(t, "Verified", r.trust.verified);
  }
  cJSON_Delete(cfg);
  img_names_free(&n);
  img_record_free(&r);
  *out = o;
  return WCTR_OK;
}

wctr_err img_store_history(img_store *s, const char *text, cJSON **out, wctr_errmsg *e) {
  img_record r;
  wctr_err err = img_store_find(s, text, &r, NULL, 0, e);
  if (err != WCTR_OK) return err;
  img_names n;
  err = img_store_names(s, r.id, &n);
  cJSON *cfg = config_doc(s, r.id);
  cJSON *rows = cJSON_CreateArray();
  const cJSON *hist = cJSON_GetObjectItemCaseSensitive(cfg, "history");
  size_t layer = 0;
  const cJSON *h;
  cJSON_ArrayForEach(h, hist) {
    cJSON *row = cJSON_CreateObject();
    const cJSON *empty = cJSON_GetObjectItemCaseSensitive(h, "empty_layer");
    bool is_empty = cJSON_IsTrue(empty);
    int64_t size = 0;
    if (!is_empty && layer < r.layer_count) size = r.layers[layer++].size;
    cJSON_AddStringToObject(row, "Id", "<missing>");
    copy_item(row, "Created", h, "created", true);
    copy_item(row, "CreatedBy", h, "created_by", true);
    cJSON_AddNumberToObject(row, "Size", (double)size);
    copy_item(row, "Comment", h, "comment", true);
    cJSON_AddItemToArray(rows, row);
  }
  if (cJSON_GetArraySize(rows) == 0) {
    /* A config without history: one row per layer, as Docker shows for images built without it. */
    for (size_t i = 0; i < r.layer_count; i++) {
      cJSON *row = cJSON_CreateObject();
      cJSON_AddStringToObject(row, "Id", "<missing>");
      cJSON_AddStringToObject(row, "Created", r.created);
      cJSON_AddStringToObject(row, "CreatedBy", "");
      cJSON_AddNumberToObject(row, "Size", (double)r.layers[i].size);
      cJSON_AddStringToObject(row, "Comment", "");
      cJSON_AddItemToArray(rows, row);
    }
  }
  /* newest first; the newest row carries the image id and tags */
  cJSON *ordered = cJSON_CreateArray();
  while (cJSON_GetArraySize(rows) > 0) {
    cJSON *last = cJSON_DetachItemFromArray(rows, cJSON_GetArraySize(rows) - 1);
    cJSON_AddItemToArray(ordered, last);
  }
  cJSON_Delete(rows);
  cJSON *top = cJSON_GetArrayItem(ordered, 0);
  if (top != NULL) {
    cJSON_ReplaceItemInObjectCaseSensitive(top, "Id", cJSON_CreateString(r.id));
    cJSON_AddItemToObject(top, "Tags", err == WCTR_OK ? familiar_array(n.tags, n.tag_count) : cJSON_CreateArray());
  }
  cJSON_Delete(cfg);
  img_names_free(&n);
  img_record_free(&r);
  *out = ordered;
  return WCTR_OK;
}

wctr_err img_store_tag(img_store *s, const char *source, const char *target, wctr_errmsg *e) {
  img_ref ref;
  wctr_err err = img_ref_parse(target, &ref, e);
  if (err != WCTR_OK) return err;
  if (ref.digest[0] != '\0') return wctr_fail(e, WCTR_EINVAL, "refusing to create a tag with a digest reference: %.200s", target);
  char repo[IMG_NAME_MAX + 2];
  char full[IMG_NAME_MAX + IMG_TAG_MAX + 4];
  img_ref_name(&ref, repo, sizeof repo);
  snprintf(full, sizeof full, "%s:%s", repo, ref.tag);
  wctr_mutex_lock(&s->lock);
  size_t i = 0;
  err = find_locked(s, source, &i, NULL, 0, e);
  bool changed = false;
  if (err == WCTR_OK) set_name(s->tags, full, s->recs[i].id, &changed);
  if (err == WCTR_OK && changed) err = save_names(s, e);
  wctr_mutex_unlock(&s->lock);
  return err;
}

static void report_add(cJSON *report, const char *key, const char *value) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, key, value);
  cJSON_AddItemToArray(report, o);
}

/* The names a container may know an image by (familiar tags and the id). */
static size_t use_names(const img_names *n, const char *id, const char **out, char (*buf)[IMG_NAME_MAX + IMG_TAG_MAX + 4],
                        size_t max) {
  size_t k = 0;
  for (size_t i = 0; i < n->tag_count && k + 1 < max; i++, k++) {
    img_name_familiar(n->tags[i], buf[k], sizeof buf[k]);
    out[k] = buf[k];
  }
  out[k++] = id;
  return k;
}

static bool used_by(const img_names *n, const char *id, img_in_use_fn in_use, void *ctx, char *container, size_t size) {
  if (in_use == NULL) return false;
  enum { MAXN = 64 };
  const char *names[MAXN];
  char (*buf)[IMG_NAME_MAX + IMG_TAG_MAX + 4] = calloc(MAXN, sizeof *buf);
  if (buf == NULL) return true; /* out of memory: the safe answer keeps the image */
  size_t count = use_names(n, id, names, buf, MAXN);
  bool used = in_use(ctx, names, count, container, size);
  free(buf);
  return used;
}

wctr_err img_store_remove(img_store *s, const char *text, bool force, img_in_use_fn in_use, void *ctx, cJSON **report,
                          wctr_errmsg *e) {
  cJSON *rep = cJSON_CreateArray();
  if (rep == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  doomed *d = NULL;
  size_t nd = 0;
  int64_t freed = 0;
  img_names n;
  memset(&n, 0, sizeof n);
  /* The manager's answer takes its own lock: asked before the store's, and the lookups repeated after. */
  img_record probe;
  wctr_err err = img_store_find(s, text, &probe, NULL, 0, e);
  if (err != WCTR_OK) {
    cJSON_Delete(rep);
    return err;
  }
  err = img_store_names(s, probe.id, &n);
  char container[256] = "";
  bool used = err == WCTR_OK && used_by(&n, probe.id, in_use, ctx, container, sizeof container);
  img_names_free(&n);
  wctr_mutex_lock(&s->lock);
  size_t i = 0;
  if (err == WCTR_OK) err = find_locked(s, text, &i, NULL, 0, e);
  if (err == WCTR_OK && strcmp(s->recs[i].id, probe.id) != 0) err = wctr_fail(e, WCTR_EBUSY, "%s changed meanwhile; try again", text);
  if (err == WCTR_OK) err = names_locked(s, probe.id, &n);
  bool by_id = img_is_id_text(text) && (strncmp(text, "sha256:", 7) == 0 || strncmp(img_digest_hex(probe.id), text, strlen(text)) == 0);
  char short_id[16];
  img_digest_short(probe.id, short_id, sizeof short_id);
  if (err == WCTR_OK && used) {
    err = wctr_fail(e, WCTR_ESTATE, "conflict: unable to remove %s: container %s is using its referenced image %s", text,
                    container, short_id);
  }
  if (err == WCTR_OK && by_id && n.tag_count > 1 && !force) {
    err = wctr_fail(e, WCTR_ESTATE, "conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories", short_id);
  }
  bool delete_image = false;
  if (err == WCTR_OK) {
    if (by_id) {
      for (size_t k = 0; k < n.tag_count; k++) {
        cJSON_DeleteItemFromObjectCaseSensitive(s->tags, n.tags[k]);
        char f[IMG_NAME_MAX + IMG_TAG_MAX + 4];
        img_name_familiar(n.tags[k], f, sizeof f);
        report_add(rep, "Untagged", f);
      }
      delete_image = true;
    } else {
      img_ref ref;
      img_ref_parse(text, &ref, NULL);
      char repo[IMG_NAME_MAX + 2];
      char full[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
      img_ref_name(&ref, repo, sizeof repo);
      if (ref.digest[0] != '\0') {
        snprintf(full, sizeof full, "%s@%s", repo, ref.digest);
        cJSON_DeleteItemFromObjectCaseSensitive(s->digests, full);
      } else {
        snprintf(full, sizeof full, "%s:%s", repo, ref.tag);
        cJSON_DeleteItemFromObjectCaseSensitive(s->tags, full);
      }
      char f[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
      img_name_familiar(full, f, sizeof f);
      report_add(rep, "Untagged", f);
      delete_image = true;
      const cJSON *item;
      cJSON_ArrayForEach(item, s->tags) {
        if (cJSON_IsString(item) && strcmp(item->valuestring, probe.id) == 0) delete_image = false;
      }
    }
    if (delete_image) {
      /* The image's digests go with it (Docker untags them too). */
      for (size_t k = 0; k < n.digest_count; k++) {
        if (cJSON_GetObjectItemCaseSensitive(s->digests, n.digests[k]) == NULL) continue;
        cJSON_DeleteItemFromObjectCaseSensitive(s->digests, n.digests[k]);
        char f[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
        img_name_familiar(n.digests[k], f, sizeof f);
        report_add(rep, "Untagged", f);
      }
    }
    err = save_names(s, e);
    if (err == WCTR_OK && delete_image) {
      err = drop_record(s, i, &d, &nd, &freed, e);
      if (err == WCTR_OK) report_add(rep, "Deleted", probe.id);
    }
  }
  wctr_mutex_unlock(&s->lock);
  img_names_free(&n);
  img_record_free(&probe);
  if (nd > 0) destroy_doomed(s, d, nd);
  else free(d);
  if (err != WCTR_OK) {
    cJSON_Delete(rep);
    return err;
  }
  *report = rep;
  return WCTR_OK;
}

wctr_err img_store_prune(img_store *s, bool all, img_in_use_fn in_use, void *ctx, cJSON **report, wctr_errmsg *e) {
  cJSON *deleted = cJSON_CreateArray();
  int64_t freed = 0;
  wctr_err err = WCTR_OK;
  img_record *recs = NULL;
  size_t count = 0;
  err = img_store_records(s, &recs, &count);
  for (size_t i = 0; err == WCTR_OK && i < count; i++) {
    img_names n;
    if (img_store_names(s, recs[i].id, &n) != WCTR_OK) continue;
    char container[256];
    bool candidate = (all || n.tag_count == 0) && !used_by(&n, recs[i].id, in_use, ctx, container, sizeof container);
    img_names_free(&n);
    if (!candidate) continue;
    doomed *d = NULL;
    size_t nd = 0;
    wctr_mutex_lock(&s->lock);
    img_record *r = find_record(s, recs[i].id);
    if (r != NULL && names_locked(s, recs[i].id, &n) == WCTR_OK) {
      for (size_t k = 0; k < n.tag_count; k++) {
        cJSON_DeleteItemFromObjectCaseSensitive(s->tags, n.tags[k]);
        char f[IMG_NAME_MAX + IMG_TAG_MAX + 4];
        img_name_familiar(n.tags[k], f, sizeof f);
        report_add(deleted, "Untagged", f);
      }
      for (size_t k = 0; k < n.digest_count; k++) {
        cJSON_DeleteItemFromObjectCaseSensitive(s->digests, n.digests[k]);
        char f[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
        img_name_familiar(n.digests[k], f, sizeof f);
        report_add(deleted, "Untagged", f);
      }
      img_names_free(&n);
      err = save_names(s, e);
      if (err == WCTR_OK) err = drop_record(s, (size_t)(r - s->recs), &d, &nd, &freed, e);
      if (err == WCTR_OK) report_add(deleted, "Deleted", recs[i].id);
    }
    wctr_mutex_unlock(&s->lock);
    if (nd > 0) destroy_doomed(s, d, nd);
    else free(d);
  }
  img_records_free(recs, count);
  if (err != WCTR_OK) {
    cJSON_Delete(deleted);
    return err;
  }
  cJSON *rep = cJSON_CreateObject();
  cJSON_AddItemToObject(rep, "ImagesDeleted", deleted);
  cJSON_AddNumberToObject(rep, "SpaceReclaimed", (double)freed);
  *report = rep;
  return WCTR_OK;
}

wctr_err img_store_records(img_store *s, img_record **out, size_t *count) {
  wctr_mutex_lock(&s->lock);
  img_record *all = calloc(s->nrec + 1, sizeof *all);
  size_t n = 0;
  wctr_err err = all != NULL ? WCTR_OK : WCTR_ENOMEM;
  for (size_t i = 0; err == WCTR_OK && i < s->nrec; i++) {
    err = record_copy(&s->recs[i], &all[i]);
    if (err == WCTR_OK) n++;
  }
  wctr_mutex_unlock(&s->lock);
  if (err != WCTR_OK) {
    img_records_free(all, n);
    return err;
  }
  *out = all;
  *count = n;
  return WCTR_OK;
}

void img_records_free(img_record *r, size_t count) {
  for (size_t i = 0; r != NULL && i < count; i++) img_record_free(&r[i]);
  free(r);
}

void img_store_forget(img_store *s, const img_record *partial) {
  doomed *d = NULL;
  size_t nd = 0;
  int64_t freed = 0;
  wctr_mutex_lock(&s->lock);
  collect(s, partial, &d, &nd, &freed);
  wctr_mutex_unlock(&s->lock);
  if (nd > 0) destroy_doomed(s, d, nd);
  else free(d);
}
