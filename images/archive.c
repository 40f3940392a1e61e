/* images/archive.c - save and load archives (portable). Contract: images/archive.h. */
#include "images/archive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fs.h"
#include "common/json.h"
#include "common/log.h"
#include "images/manifest.h"
#include "images/reference.h"

enum { TAR_BLOCK = 512, PATH_LEN = 1024, MAX_IMAGES = 1000, MAX_ENTRIES = 100000, COPY_CHUNK = 1 << 20 };

/* --- manifest.json ------------------------------------------------------------------------------------------ */

static void strings_free(char **s, size_t n) {
  for (size_t i = 0; i < n; i++) free(s[i]);
  free(s);
}

void img_archive_manifest_free(img_archive_manifest *m) {
  if (m == NULL) return;
  for (size_t i = 0; i < m->count; i++) {
    free(m->images[i].config);
    strings_free(m->images[i].tags, m->images[i].tag_count);
    strings_free(m->images[i].layers, m->images[i].layer_count);
  }
  free(m->images);
  memset(m, 0, sizeof *m);
}

static wctr_err strings_of(const cJSON *arr, const char *where, size_t max, bool allow_null, char ***out, size_t *count,
                           wctr_errmsg *e) {
  *out = NULL;
  *count = 0;
  if (arr == NULL || cJSON_IsNull(arr)) {
    return allow_null ? WCTR_OK : wctr_fail(e, WCTR_EINVAL, "manifest.json: %s is required", where);
  }
  if (!cJSON_IsArray(arr)) return wctr_fail(e, WCTR_EINVAL, "manifest.json: %s must be an array", where);
  int n = cJSON_GetArraySize(arr);
  if ((size_t)n > max) return wctr_fail(e, WCTR_EINVAL, "manifest.json: %s holds more than %zu entries", where, max);
  char **list = calloc((size_t)n + 1, sizeof *list);
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  const cJSON *item;
  size_t k = 0;
  cJSON_ArrayForEach(item, arr) {
    if (!cJSON_IsString(item) || strlen(item->valuestring) > PATH_LEN || item->valuestring[0] == '\0') {
      strings_free(list, k);
      return wctr_fail(e, WCTR_EINVAL, "manifest.json: %s must hold non-empty strings of at most %d bytes", where, PATH_LEN);
    }
    list[k] = strdup(item->valuestring);
    if (list[k] == NULL) {
      strings_free(list, k);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    k++;
  }
  *out = list;
  *count = k;
  return WCTR_OK;
}

wctr_err img_archive_manifest_parse(const char *text, size_t len, img_archive_manifest *out, wctr_errmsg *e) {
  img_archive_manifest m;
  memset(&m, 0, sizeof m);
  wctr_err err = WCTR_OK;
  cJSON *root = cJSON_ParseWithLength(text, len);
  int n = cJSON_GetArraySize(root);
  if (!cJSON_IsArray(root) || n == 0 || n > MAX_IMAGES) {
    err = wctr_fail(e, WCTR_EINVAL, "manifest.json must be an array of 1 to %d images", MAX_IMAGES);
    goto done;
  }
  m.images = calloc((size_t)n, sizeof *m.images);
  if (m.images == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  const cJSON *item;
  cJSON_ArrayForEach(item, root) {
    img_archive_image *im = &m.images[m.count++];
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(item, "Config");
    if (!cJSON_IsObject(item) || !cJSON_IsString(config) || config->valuestring[0] == '\0' ||
        strlen(config->valuestring) > PATH_LEN) {
      err = wctr_fail(e, WCTR_EINVAL, "manifest.json: image %zu has no \"Config\" path", m.count - 1);
      goto done;
    }
    im->config = strdup(config->valuestring);
    if (im->config == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      goto done;
    }
    err = strings_of(cJSON_GetObjectItemCaseSensitive(item, "RepoTags"), "RepoTags", 1000, true, &im->tags, &im->tag_count, e);
    if (err == WCTR_OK) {
      err = strings_of(cJSON_GetObjectItemCaseSensitive(item, "Layers"), "Layers", IMG_MAX_LAYERS, false, &im->layers,
                       &im->layer_count, e);
    }
    if (err == WCTR_OK && im->layer_count == 0) err = wctr_fail(e, WCTR_EINVAL, "manifest.json: an image has no layers");
    if (err != WCTR_OK) goto done;
  }
done:
  cJSON_Delete(root);
  if (err != WCTR_OK) {
    img_archive_manifest_free(&m);
    return err;
  }
  *out = m;
  return WCTR_OK;
}

/* --- the tar reader ------------------------------------------------------------------------------------------ */

typedef struct tar_entry {
  char name[PATH_LEN + 1];
  char link[PATH_LEN + 1];
  char type;
  uint64_t offset;
  uint64_t size;
} tar_entry;

static bool octal(const uint8_t *p, size_t n, uint64_t *out) {
  if (p[0] & 0x80) { /* base-256 */
    uint64_t v = p[0] & 0x7f;
    for (size_t i = 1; i < n; i++) {
      if (v >> 55) return false;
      v = v << 8 | p[i];
    }
    *out = v;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < n && (p[i] == ' ' || p[i] == '\0')) i++;
  bool any = false;
  for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
    if (v >> 60) return false;
    v = v * 8 + (uint64_t)(p[i] - '0');
    any = true;
  }
  for (; i < n; i++) {
    if (p[i] != ' ' && p[i] != '\0') return false;
  }
  *out = any ? v : 0;
  return true;
}

static bool checksum_ok(const uint8_t *h) {
  uint64_t want = 0;
  if (!octal(h + 148, 8, &want)) return false;
  uint64_t sum = 0;
  for (size_t i = 0; i < TAR_BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum == want;
}

static void field(const uint8_t *p, size_t n, char *out, size_t size) {
  size_t len = 0;
  while (len < n && p[len] != '\0') len++;
  if (len >= size) len = size - 1;
  memcpy(out, p, len);
  out[len] = '\0';
}

/* PAX records "LEN key=value\n": path, linkpath and size are taken. */
static bool pax(const char *data, size_t len, char *path, char *link, uint64_t *size, bool *has_size) {
  size_t i = 0;
  while (i < len) {
    size_t rec = 0;
    size_t j = i;
    while (j < len && data[j] >= '0' && data[j] <= '9' && rec < 1000000) rec = rec * 10 + (size_t)(data[j++] - '0');
    if (j >= len || data[j] != ' ' || rec == 0 || i + rec > len || data[i + rec - 1] != '\n') return false;
    const char *kv = data + j + 1;
    size_t kvlen = i + rec - 1 - (j + 1);
    const char *eq = memchr(kv, '=', kvlen);
    if (eq == NULL) return false;
    size_t klen = (size_t)(eq - kv);
    size_t vlen = kvlen - klen - 1;
    if (klen == 4 && memcmp(kv, "path", 4) == 0 && vlen <= PATH_LEN) {
      memcpy(path, eq + 1, vlen);
      path[vlen] = '\0';
    } else if (klen == 8 && memcmp(kv, "linkpath", 8) == 0 && vlen <= PATH_LEN) {
      memcpy(link, eq + 1, vlen);
      link[vlen] = '\0';
    } else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
      uint64_t v = 0;
      for (size_t k = 0; k < vlen; k++) {
        char c = eq[1 + k];
        if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(c - '0');
      }
      *size = v;
      *has_size = true;
    }
    i += rec;
  }
  return true;
}

static wctr_err tar_index(wctr_file *f, uint64_t file_size, tar_entry **out, size_t *count, wctr_errmsg *e) {
  tar_entry *list = NULL;
  size_t n = 0;
  uint64_t off = 0;
  char next_path[PATH_LEN + 1] = "";
  char next_link[PATH_LEN + 1] = "";
  uint64_t next_size = 0;
  bool has_next_size = false;
  wctr_err err = WCTR_OK;
  uint8_t h[TAR_BLOCK];
  while (off + TAR_BLOCK <= file_size) {
    size_t got = 0;
    err = wctr_file_pread(f, off, h, TAR_BLOCK, &got);
    if (err != WCTR_OK || got != TAR_BLOCK) {
      err = wctr_fail(e, WCTR_EIO, "the archive cannot be read at byte %llu", (unsigned long long)off);
      break;
    }
    bool zero = true;
    for (size_t i = 0; zero && i < TAR_BLOCK; i++) zero = h[i] == 0;
    if (zero) break;
    if (!checksum_ok(h)) {
      err = wctr_fail(e, WCTR_EINVAL, "the archive is damaged: a tar header at byte %llu fails its checksum",
                      (unsigned long long)off);
      break;
    }
    uint64_t size = 0;
    if (!octal(h + 124, 12, &size)) {
      err = wctr_fail(e, WCTR_EINVAL, "the archive is damaged: a tar header at byte %llu has a bad size", (unsigned long long)off);
      break;
    }
    char type = (char)h[156];
    if (has_next_size) size = next_size;
    uint64_t data = off + TAR_BLOCK;
    if (size > file_size - data) {
      err = wctr_fail(e, WCTR_EINVAL, "the archive ends inside an entry (at byte %llu)", (unsigned long long)off);
      break;
    }
    uint64_t next_off = data + (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (size > (1u << 20)) {
        err = wctr_fail(e, WCTR_EINVAL, "the archive has an extended header larger than 1 MiB");
        break;
      }
      char *buf = malloc((size_t)size + 1);
      if (buf == NULL || wctr_file_pread(f, data, buf, (size_t)size, &got) != WCTR_OK || got != size) {
        free(buf);
        err = wctr_fail(e, WCTR_EIO, "the archive cannot be read");
        break;
      }
      buf[size] = '\0';
      bool ok = true;
      if (type == 'x') ok = pax(buf, (size_t)size, next_path, next_link, &next_size, &has_next_size);
      if (type == 'L') snprintf(next_path, sizeof next_path, "%s", buf);
      if (type == 'K') snprintf(next_link, sizeof next_link, "%s", buf);
      free(buf);
      if (!ok) {
        err = wctr_fail(e, WCTR_EINVAL, "the archive has a malformed PAX header at byte %llu", (unsigned long long)off);
        break;
      }
      off = next_off;
      continue;
    }
    if (n == MAX_ENTRIES) {
      err = wctr_fail(e, WCTR_EINVAL, "the archive has more than %d entries", MAX_ENTRIES);
      break;
    }
    tar_entry *grown = realloc(list, (n + 1) * sizeof *grown);
    if (grown == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
      break;
    }
    list = grown;
    tar_entry *t = &list[n++];
    memset(t, 0, sizeof *t);
    if (next_path[0] != '\0') {
      snprintf(t->name, sizeof t->name, "%s", next_path);
    } else {
      char prefix[156], name[101];
      field(h + 345, 155, prefix, sizeof prefix);
      field(h, 100, name, sizeof name);
      bool ustar = memcmp(h + 257, "ustar", 5) == 0;
      snprintf(t->name, sizeof t->name, "%s%s%s", ustar ? prefix : "", ustar && prefix[0] != '\0' ? "/" : "", name);
    }
    if (next_link[0] != '\0') snprintf(t->link, sizeof t->link, "%s", next_link);
    else field(h + 157, 100, t->link, sizeof t->link);
    t->type = type == '\0' ? '0' : type;
    t->offset = data;
    t->size = size;
    next_path[0] = next_link[0] = '\0';
    has_next_size = false;
    off = next_off;
  }
  if (err != WCTR_OK) {
    free(list);
    return err;
  }
  *out = list;
  *count = n;
  return WCTR_OK;
}

/* "./a//b/" -> "a/b" */
static void clean_name(const char *in, char *out, size_t size) {
  size_t o = 0;
  const char *p = in;
  while (*p != '\0') {
    while (*p == '/') p++;
    if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
      p++;
      continue;
    }
    size_t n = strcspn(p, "/");
    if (n == 0) break;
    if (o > 0 && o + 1 < size) out[o++] = '/';
    for (size_t i = 0; i < n && o + 1 < size; i++) out[o++] = p[i];
    p += n;
  }
  out[o] = '\0';
}

/* The regular file called name, links followed inside the archive (at most 8). */
static const tar_entry *tar_find(const tar_entry *list, size_t n, const char *name) {
  char want[PATH_LEN * 2 + 2];
  clean_name(name, want, sizeof want);
  for (int hop = 0; hop < 8; hop++) {
    const tar_entry *hit = NULL;
    for (size_t i = 0; i < n && hit == NULL; i++) {
      char have[PATH_LEN + 1];
      clean_name(list[i].name, have, sizeof have);
      if (strcmp(have, want) == 0) hit = &list[i];
    }
    if (hit == NULL) return NULL;
    if (hit->type == '0' || hit->type == '7') return hit;
    if (hit->type != '1' && hit->type != '2') return NULL;
    char target[PATH_LEN * 2 + 2];
    if (hit->type == '2' && hit->link[0] != '/') {
      /* relative to the link's folder; ".." resolved within the archive */
      char dir[PATH_LEN + 1];
      clean_name(hit->name, dir, sizeof dir);
      char *slash = strrchr(dir, '/');
      if (slash != NULL) *slash = '\0';
      else dir[0] = '\0';
      char joined[PATH_LEN * 2 + 2];
      snprintf(joined, sizeof joined, "%s%s%s", dir, dir[0] != '\0' ? "/" : "", hit->link);
      char resolved[PATH_LEN * 2 + 2];
      size_t o = 0;
      const char *p = joined;
      while (*p != '\0') {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.') {
          while (o > 0 && resolved[o - 1] != '/') o--;
          if (o > 0) o--;
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
          if (o > 0) resolved[o++] = '/';
          memcpy(resolved + o, p, len);
          o += len;
        }
        p += len;
        while (*p == '/') p++;
      }
      resolved[o] = '\0';
      snprintf(target, sizeof target, "%s", resolved);
    } else {
      snprintf(target, sizeof target, "%s", hit->link);
    }
    clean_name(target, want, sizeof want);
  }
  return NULL;
}

/* --- load --------------------------------------------------------------------------------------------------- */

static wctr_err read_entry(wctr_file *f, const tar_entry *t, size_t max, char **out, size_t *len, wctr_errmsg *e) {
  if (t->size > max) return wctr_fail(e, WCTR_ETOOBIG, "%s in the archive is larger than %zu bytes", t->name, max);
  char *buf = malloc((size_t)t->size + 1);
  size_t got = 0;
  if (buf == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (wctr_file_pread(f, t->offset, buf, (size_t)t->size, &got) != WCTR_OK || got != t->size) {
    free(buf);
    return wctr_fail(e, WCTR_EIO, "%s cannot be read from the archive", t->name);
  }
  buf[t->size] = '\0';
  *out = buf;
  *len = (size_t)t->size;
  return WCTR_OK;
}

/* Copies an entry into the store as a blob; *digest receives its hash. */
static wctr_err entry_to_blob(img_store *s, wctr_file *f, const tar_entry *t, char digest[IMG_DIGEST_MAX], wctr_errmsg *e) {
  char tmp[1400];
  wctr_err err = img_store_tmp_path(s, tmp, sizeof tmp, e);
  wctr_file *out = NULL;
  if (err == WCTR_OK) err = wctr_file_open(tmp, WCTR_FILE_TRUNCATE, &out, e);
  if (err != WCTR_OK) return err;
  img_hash *h = NULL;
  err = img_hash_new(&h);
  char *buf = malloc(COPY_CHUNK);
  if (buf == NULL) err = WCTR_ENOMEM;
  uint64_t done = 0;
  while (err == WCTR_OK && done < t->size) {
    size_t want = t->size - done < COPY_CHUNK ? (size_t)(t->size - done) : COPY_CHUNK;
    size_t got = 0;
    err = wctr_file_pread(f, t->offset + done, buf, want, &got);
    if (err == WCTR_OK && got != want) err = WCTR_EIO;
    if (err == WCTR_OK) {
      img_hash_update(h, buf, got);
      err = wctr_file_write(out, buf, got);
    }
    done += got;
  }
  if (err == WCTR_OK) err = wctr_file_sync(out);
  wctr_file_close(out);
  free(buf);
  if (err == WCTR_OK) img_hash_final(h, digest);
  img_hash_free(h);
  if (err == WCTR_OK) err = img_store_commit_blob(s, tmp, digest, e);
  if (err != WCTR_OK) {
    wctr_fs_remove(tmp);
    if (e != NULL && e->code != err) wctr_fail(e, err, "%s cannot be copied from the archive into the store", t->name);
  }
  return err;
}

typedef struct load_ctx {
  img_store *s;
  wctr_file *f;
  tar_entry *entries;
  size_t count;
  void (*line)(void *ctx, const char *text);
  void *ctx;
  cJSON *loaded;
} load_ctx;

static bool gzip_magic(wctr_file *f, const tar_entry *t) {
  uint8_t m[2] = {0, 0};
  size_t got = 0;
  return t->size >= 2 && wctr_file_pread(f, t->offset, m, 2, &got) == WCTR_OK && got == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

/* A synthesized Docker v2 manifest for the loaded image, so its record names a manifest like a pulled one. */
static wctr_err synth_manifest(img_store *s, const img_record *r, size_t config_len, char digest[IMG_DIGEST_MAX],
                               wctr_errmsg *e) {
  cJSON *m = cJSON_CreateObject();
  cJSON_AddNumberToObject(m, "schemaVersion", 2);
  cJSON_AddStringToObject(m, "mediaType", IMG_MT_DOCKER_MANIFEST);
  cJSON *c = cJSON_AddObjectToObject(m, "config");
  cJSON_AddStringToObject(c, "mediaType", IMG_MT_DOCKER_CONFIG);
  cJSON_AddNumberToObject(c, "size", (double)config_len);
  cJSON_AddStringToObject(c, "digest", r->id);
  cJSON *layers = cJSON_AddArrayToObject(m, "layers");
  for (size_t i = 0; i < r->layer_count; i++) {
    cJSON *l = cJSON_CreateObject();
    cJSON_AddStringToObject(l, "mediaType", r->layers[i].media_type);
    cJSON_AddNumberToObject(l, "size", (double)r->layers[i].blob_size);
    cJSON_AddStringToObject(l, "digest", r->layers[i].blob);
    cJSON_AddItemToArray(layers, l);
  }
  char *text = cJSON_PrintUnformatted(m);
  cJSON_Delete(m);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = img_digest_of(text, strlen(text), digest);
  if (err == WCTR_OK) err = img_store_put_blob(s, digest, text, strlen(text), e);
  cJSON_free(text);
  return err;
}

static void pins(img_store *s, const img_record *r, bool pin) {
  const char *keys[3] = {r->id, r->manifest, r->index};
  for (size_t i = 0; i < 3; i++) {
    if (keys[i][0] == '\0') continue;
    if (pin) img_store_pin(s, keys[i]);
    else img_store_unpin(s, keys[i]);
  }
  for (size_t i = 0; i < r->layer_count; i++) {
    const char *lk[2] = {r->layers[i].chain_id, r->layers[i].blob};
    for (size_t k = 0; k < 2; k++) {
      if (lk[k][0] == '\0') continue;
      if (pin) img_store_pin(s, lk[k]);
      else img_store_unpin(s, lk[k]);
    }
  }
}

static wctr_err load_image(load_ctx *L, const img_archive_image *im, wctr_errmsg *e) {
  img_record r;
  memset(&r, 0, sizeof r);
  img_config cfg;
  memset(&cfg, 0, sizeof cfg);
  char *text = NULL;
  size_t len = 0;
  wctr_err err = WCTR_OK;
  const tar_entry *ce = tar_find(L->entries, L->count, im->config);
  if (ce == NULL) return wctr_fail(e, WCTR_EINVAL, "the archive has no config file %.200s", im->config);
  err = read_entry(L->f, ce, IMG_CONFIG_MAX_BYTES, &text, &len, e);
  if (err == WCTR_OK) err = img_digest_of(text, len, r.id);
  if (err == WCTR_OK) err = img_config_parse(text, len, &cfg, e);
  if (err == WCTR_OK && strcmp(cfg.os, "windows") != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "image operating system \"%s\" cannot be used on this platform", cfg.os);
  }
  if (err == WCTR_OK && cfg.diff_count != im->layer_count) {
    err = wctr_fail(e, WCTR_EINVAL, "the archive lists %zu layers for %s and its config %zu", im->layer_count, im->config,
                    cfg.diff_count);
  }
  if (err == WCTR_OK) img_store_pin(L->s, r.id);
  if (err == WCTR_OK) err = img_store_put_blob(L->s, r.id, text, len, e);
  r.layers = err == WCTR_OK ? calloc(im->layer_count, sizeof *r.layers) : NULL;
  if (err == WCTR_OK && r.layers == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  char(*chains)[IMG_DIGEST_MAX] = err == WCTR_OK ? calloc(im->layer_count, sizeof *chains) : NULL;
  if (err == WCTR_OK && chains == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = img_chain_ids(cfg.diff_ids, cfg.diff_count, chains);
  if (err == WCTR_OK) {
    snprintf(r.os, sizeof r.os, "%s", cfg.os);
    snprintf(r.arch, sizeof r.arch, "%s", cfg.arch);
    snprintf(r.os_version, sizeof r.os_version, "%s", cfg.os_version);
    snprintf(r.created, sizeof r.created, "%s", cfg.created);
    r.layer_count = im->layer_count;
    for (size_t i = 0; i < im->layer_count; i++) {
      snprintf(r.layers[i].chain_id, IMG_DIGEST_MAX, "%s", chains[i]);
      snprintf(r.layers[i].diff_id, IMG_DIGEST_MAX, "%s", cfg.diff_ids[i]);
      img_store_pin(L->s, chains[i]);
    }
  }
  free(chains);
  for (size_t i = 0; err == WCTR_OK && i < r.layer_count; i++) {
    img_layer_rec *l = &r.layers[i];
    const tar_entry *le = tar_find(L->entries, L->count, im->layers[i]);
    if (le == NULL) {
      if (img_store_has_layer(L->s, l->chain_id)) continue; /* a foreign layer already imported */
      err = wctr_fail(e, WCTR_EINVAL, "the archive has no layer file %.200s (a foreign layer must be pulled first)",
                      im->layers[i]);
      break;
    }
    bool gz = gzip_magic(L->f, le);
    err = entry_to_blob(L->s, L->f, le, l->blob, e);
    if (err != WCTR_OK) break;
    img_store_pin(L->s, l->blob);
    l->blob_size = (int64_t)le->size;
    snprintf(l->media_type, sizeof l->media_type, "%s", gz ? IMG_MT_OCI_LAYER_GZIP : IMG_MT_OCI_LAYER);
    if (!gz && strcmp(l->blob, l->diff_id) != 0) {
      err = wctr_fail(e, WCTR_EINVAL, "layer %s in the archive hashes to %s, not to its diff id %s: refused", im->layers[i],
                      l->blob, l->diff_id);
    }
  }
  /* layers whose files were absent are in the store already: their blob is the stored layer's */
  for (size_t i = 0; err == WCTR_OK && i < r.layer_count; i++) {
    if (r.layers[i].blob[0] == '\0') {
      err = wctr_fail(e, WCTR_EINVAL, "layer %zu of %s: the stored layer's blob is unknown", i, im->config);
    }
  }
  if (err == WCTR_OK) err = synth_manifest(L->s, &r, len, r.manifest, e);
  if (err == WCTR_OK) {
    img_store_pin(L->s, r.manifest);
    snprintf(r.manifest_type, sizeof r.manifest_type, "%s", IMG_MT_DOCKER_MANIFEST);
  }
  for (size_t i = 0; err == WCTR_OK && i < r.layer_count; i++) err = img_store_import_layer(L->s, &r, i, e);
  wctr_time_now_iso8601(r.added, sizeof r.added);
  bool changed = false;
  if (err == WCTR_OK && im->tag_count == 0) {
    err = img_store_register(L->s, &r, NULL, NULL, &changed, e);
    if (err == WCTR_OK) {
      char line[IMG_DIGEST_MAX + 32];
      snprintf(line, sizeof line, "Loaded image ID: %s", r.id);
      if (L->line != NULL) L->line(L->ctx, line);
      cJSON_AddItemToArray(L->loaded, cJSON_CreateString(r.id));
    }
  }
  for (size_t t = 0; err == WCTR_OK && t < im->tag_count; t++) {
    img_ref ref;
    err = img_ref_parse(im->tags[t], &ref, e);
    if (err == WCTR_OK && ref.tag[0] == '\0') err = wctr_fail(e, WCTR_EINVAL, "RepoTags entry %.200s has no tag", im->tags[t]);
    char repo[IMG_NAME_MAX + 2];
    char full[IMG_NAME_MAX + IMG_TAG_MAX + 4];
    img_ref_name(&ref, repo, sizeof repo);
    snprintf(full, sizeof full, "%s:%s", repo, ref.tag);
    if (err == WCTR_OK) err = img_store_register(L->s, &r, full, NULL, &changed, e);
    if (err == WCTR_OK) {
      char familiar[IMG_NAME_MAX + IMG_TAG_MAX + 4];
      img_ref_familiar(&ref, familiar, sizeof familiar);
      char line[sizeof familiar + 32];
      snprintf(line, sizeof line, "Loaded image: %s", familiar);
      if (L->line != NULL) L->line(L->ctx, line);
      cJSON_AddItemToArray(L->loaded, cJSON_CreateString(familiar));
    }
  }
  pins(L->s, &r, false);
  if (err != WCTR_OK) img_store_forget(L->s, &r);
  free(text);
  img_config_free(&cfg);
  img_record_free(&r);
  return err;
}

/* An OCI layout without manifest.json: index.json -> each manifest -> a manifest.json entry. */
static wctr_err from_oci_index(load_ctx *L, img_archive_manifest *m, wctr_errmsg *e) {
  const tar_entry *ie = tar_find(L->entries, L->count, "index.json");
  if (ie == NULL) return wctr_fail(e, WCTR_EINVAL, "the archive has neither manifest.json nor index.json: is it an image archive?");
  char *text = NULL;
  size_t len = 0;
  wctr_err err = read_entry(L->f, ie, IMG_MANIFEST_MAX_BYTES, &text, &len, e);
  if (err != WCTR_OK) return err;
  cJSON *index = cJSON_ParseWithLength(text, len);
  free(text);
  cJSON *out = cJSON_CreateArray();
  const cJSON *entry;
  cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(index, "manifests")) {
    const cJSON *digest = cJSON_GetObjectItemCaseSensitive(entry, "digest");
    if (!cJSON_IsString(digest) || !img_digest_valid(digest->valuestring)) continue;
    char path[128];
    snprintf(path, sizeof path, "blobs/sha256/%s", img_digest_hex(digest->valuestring));
    const tar_entry *me = tar_find(L->entries, L->count, path);
    char *mtext = NULL;
    size_t mlen = 0;
    img_manifest man;
    if (me == NULL || read_entry(L->f, me, IMG_MANIFEST_MAX_BYTES, &mtext, &mlen, e) != WCTR_OK) continue;
    bool ok = img_manifest_parse(mtext, mlen, NULL, &man, e) == WCTR_OK;
    free(mtext);
    if (!ok) continue;
    if (man.kind != IMG_DOC_MANIFEST) {
      img_manifest_free(&man);
      continue;
    }
    cJSON *item = cJSON_CreateObject();
    snprintf(path, sizeof path, "blobs/sha256/%s", img_digest_hex(man.config.digest));
    cJSON_AddStringToObject(item, "Config", path);
    cJSON *tags = cJSON_AddArrayToObject(item, "RepoTags");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(entry, "annotations");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(ann, "io.containerd.image.name");
    if (cJSON_IsString(name)) cJSON_AddItemToArray(tags, cJSON_CreateString(name->valuestring));
    cJSON *layers = cJSON_AddArrayToObject(item, "Layers");
    for (size_t i = 0; i < man.count; i++) {
      snprintf(path, sizeof path, "blobs/sha256/%s", img_digest_hex(man.items[i].digest));
      cJSON_AddItemToArray(layers, cJSON_CreateString(path));
    }
    img_manifest_free(&man);
    cJSON_AddItemToArray(out, item);
  }
  cJSON_Delete(index);
  char *joined = cJSON_PrintUnformatted(out);
  cJSON_Delete(out);
  if (joined == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  err = img_archive_manifest_parse(joined, strlen(joined), m, e);
  cJSON_free(joined);
  if (err != WCTR_OK) return wctr_fail(e, WCTR_EINVAL, "index.json names no image this archive carries");
  return WCTR_OK;
}

wctr_err img_archive_load(img_store *s, const char *path, void (*line)(void *ctx, const char *text), void *ctx,
                          cJSON **result, wctr_errmsg *e) {
  load_ctx L = {.s = s, .line = line, .ctx = ctx};
  img_archive_manifest m;
  memset(&m, 0, sizeof m);
  uint64_t size = 0;
  wctr_err err = wctr_file_open(path, WCTR_FILE_READ, &L.f, e);
  if (err == WCTR_OK) err = wctr_file_size(L.f, &size);
  if (err == WCTR_OK) err = tar_index(L.f, size, &L.entries, &L.count, e);
  if (err == WCTR_OK && L.count == 0) err = wctr_fail(e, WCTR_EINVAL, "the archive is empty (not a tar file?)");
  const tar_entry *me = err == WCTR_OK ? tar_find(L.entries, L.count, "manifest.json") : NULL;
  if (err == WCTR_OK && me != NULL) {
    char *text = NULL;
    size_t len = 0;
    err = read_entry(L.f, me, 16u << 20, &text, &len, e);
    if (err == WCTR_OK) err = img_archive_manifest_parse(text, len, &m, e);
    free(text);
  } else if (err == WCTR_OK) {
    err = from_oci_index(&L, &m, e);
  }
  L.loaded = cJSON_CreateArray();
  for (size_t i = 0; err == WCTR_OK && i < m.count; i++) err = load_image(&L, &m.images[i], e);
  img_archive_manifest_free(&m);
  free(L.entries);
  wctr_file_close(L.f);
  if (err != WCTR_OK) {
    cJSON_Delete(L.loaded);
    return err;
  }
  cJSON *r = cJSON_CreateObject();
  cJSON_AddItemToObject(r, "Loaded", L.loaded);
  *result = r;
  return WCTR_OK;
}

/* --- save ---------------------------------------------------------------------------------------------------- */

typedef struct part {
  uint8_t *mem; /* owned; NULL for a file */
  size_t mem_len;
  char *path;   /* a blob file */
  uint64_t file_len;
  uint64_t pad; /* zeros after the file */
} part;

struct img_archive_writer {
  img_store *s;
  part *parts;
  size_t count;
  size_t cur;
  uint64_t pos; /* inside the current part */
  uint64_t total;
  wctr_file *open;
  char **pinned;
  size_t npinned;
};

static void put_octal(uint8_t *p, size_t n, uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "%0*llo", (int)(n - 1), (unsigned long long)v);
  memcpy(p, buf, n - 1);
  p[n - 1] = '\0';
}

static void header(uint8_t h[TAR_BLOCK], const char *name, uint64_t size, char type) {
  memset(h, 0, TAR_BLOCK);
  snprintf((char *)h, 100, "%s", name);
  put_octal(h + 100, 8, type == '5' ? 0755 : 0644);
  put_octal(h + 108, 8, 0);
  put_octal(h + 116, 8, 0);
  put_octal(h + 124, 12, size);
  put_octal(h + 136, 12, 0);
  h[156] = (uint8_t)type;
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  memset(h + 148, ' ', 8);
  uint64_t sum = 0;
  for (size_t i = 0; i < TAR_BLOCK; i++) sum += h[i];
  char cs[8];
  snprintf(cs, sizeof cs, "%06llo", (unsigned long long)sum);
  memcpy(h + 148, cs, 6);
  h[154] = '\0';
  h[155] = ' ';
}

static wctr_err add_part(img_archive_writer *w, part p) {
  part *grown = realloc(w->parts, (w->count + 1) * sizeof *grown);
  if (grown == NULL) {
    free(p.mem);
    free(p.path);
    return WCTR_ENOMEM;
  }
  w->parts = grown;
  w->parts[w->count++] = p;
  w->total += p.mem != NULL ? p.mem_len : p.file_len + p.pad;
  return WCTR_OK;
}

/* A header (with a PAX record first when name does not fit). */
static wctr_err add_header(img_archive_writer *w, const char *name, uint64_t size, char type) {
  size_t n = strlen(name);
  uint8_t *mem = NULL;
  size_t len = 0;
  if (n < 100) {
    mem = malloc(TAR_BLOCK);
    if (mem == NULL) return WCTR_ENOMEM;
    header(mem, name, size, type);
    len = TAR_BLOCK;
  } else {
    char rec[PATH_LEN + 32];
    size_t body = n + 7; /* " path=" + "\n" */
    size_t digits = 1;
    while (1) {
      size_t total = body + digits;
      size_t d = 0;
      for (size_t t = total; t > 0; t /= 10) d++;
      if (d == digits) break;
      digits = d;
    }
    int r = snprintf(rec, sizeof rec, "%zu path=%s\n", body + digits, name);
    size_t rlen = (size_t)r;
    size_t padded = (rlen + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
    mem = calloc(1, TAR_BLOCK * 2 + padded);
    if (mem == NULL) return WCTR_ENOMEM;
    header(mem, "PaxHeader", rlen, 'x');
    memcpy(mem + TAR_BLOCK, rec, rlen);
    char shortname[100];
    snprintf(shortname, sizeof shortname, "%.99s", name);
    header(mem + TAR_BLOCK + padded, shortname, size, type);
    len = TAR_BLOCK * 2 + padded;
  }
  return add_part(w, (part){.mem = mem, .mem_len = len});
}

static wctr_err add_text(img_archive_writer *w, const char *name, const char *text) {
  size_t n = strlen(text);
  wctr_err err = add_header(w, name, n, '0');
  if (err != WCTR_OK) return err;
  size_t padded = (n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
  uint8_t *mem = calloc(1, padded > 0 ? padded : 1);
  if (mem == NULL) return WCTR_ENOMEM;
  memcpy(mem, text, n);
  return add_part(w, (part){.mem = mem, .mem_len = padded});
}

static wctr_err add_blob(img_archive_writer *w, const char *digest, cJSON *seen) {
  if (cJSON_GetObjectItemCaseSensitive(seen, digest) != NULL) return WCTR_OK;
  cJSON_AddTrueToObject(seen, digest);
  char path[1400];
  wctr_err err = img_store_blob_path(w->s, digest, path, sizeof path);
  wctr_file *f = NULL;
  uint64_t size = 0;
  if (err == WCTR_OK) err = wctr_file_open(path, WCTR_FILE_READ, &f, NULL);
  if (err == WCTR_OK) err = wctr_file_size(f, &size);
  wctr_file_close(f);
  if (err != WCTR_OK) return err;
  char name[128];
  snprintf(name, sizeof name, "blobs/sha256/%s", img_digest_hex(digest));
  err = add_header(w, name, size, '0');
  char *copy = err == WCTR_OK ? strdup(path) : NULL;
  if (err == WCTR_OK && copy == NULL) err = WCTR_ENOMEM;
  if (err == WCTR_OK) err = add_part(w, (part){.path = copy, .file_len = size, .pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK});
  if (err == WCTR_OK) {
    char **grown = realloc(w->pinned, (w->npinned + 1) * sizeof *grown);
    if (grown != NULL) {
      w->pinned = grown;
      w->pinned[w->npinned] = strdup(digest);
      if (w->pinned[w->npinned] != NULL) img_store_pin(w->s, w->pinned[w->npinned++]);
    }
  }
  return err;
}

wctr_err img_archive_save_begin(img_store *s, char *const *names, size_t count, img_archive_writer **out,
                                wctr_errmsg *e) {
  img_archive_writer *w = calloc(1, sizeof *w);
  if (w == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  w->s = s;
  wctr_err err = WCTR_OK;
  cJSON *seen = cJSON_CreateObject();
  cJSON *manifest = cJSON_CreateArray();
  cJSON *repos = cJSON_CreateObject();
  cJSON *index = cJSON_CreateObject();
  cJSON_AddNumberToObject(index, "schemaVersion", 2);
  cJSON_AddStringToObject(index, "mediaType", IMG_MT_OCI_INDEX);
  cJSON *entries = cJSON_AddArrayToObject(index, "manifests");
  cJSON *done_ids = cJSON_CreateObject();
  err = add_header(w, "blobs/", 0, '5');
  if (err == WCTR_OK) err = add_header(w, "blobs/sha256/", 0, '5');
  for (size_t i = 0; err == WCTR_OK && i < count; i++) {
    img_record r;
    char name[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
    err = img_store_find(s, names[i], &r, name, sizeof name, e);
    if (err != WCTR_OK) break;
    img_names nm;
    memset(&nm, 0, sizeof nm);
    /* By id: every tag of the image; by name: that name. */
    bool by_id = img_is_id_text(names[i]) && strcmp(name, r.id) == 0;
    char full_tag[IMG_NAME_MAX + IMG_TAG_MAX + 4] = "";
    if (by_id) {
      err = img_store_names(s, r.id, &nm);
    } else {
      img_ref ref;
      if (img_ref_parse(names[i], &ref, NULL) == WCTR_OK && ref.tag[0] != '\0') {
        char repo[IMG_NAME_MAX + 2];
        img_ref_name(&ref, repo, sizeof repo);
        snprintf(full_tag, sizeof full_tag, "%s:%s", repo, ref.tag);
      }
    }
    cJSON *item = cJSON_GetObjectItemCaseSensitive(done_ids, r.id);
    if (item == NULL) {
      err = add_blob(w, r.id, seen);
      if (err == WCTR_OK) err = add_blob(w, r.manifest, seen);
      for (size_t k = 0; err == WCTR_OK && k < r.layer_count; k++) err = add_blob(w, r.layers[k].blob, seen);
      item = cJSON_CreateObject();
      char path[128];
      snprintf(path, sizeof path, "blobs/sha256/%s", img_digest_hex(r.id));
      cJSON_AddStringToObject(item, "Config", path);
      cJSON_AddArrayToObject(item, "RepoTags");
      cJSON *layers = cJSON_AddArrayToObject(item, "Layers");
      for (size_t k = 0; k < r.layer_count; k++) {
        snprintf(path, sizeof path, "blobs/sha256/%s", img_digest_hex(r.layers[k].blob));
        cJSON_AddItemToArray(layers, cJSON_CreateString(path));
      }
      cJSON_AddItemToArray(manifest, item);
      cJSON_AddItemReferenceToObject(done_ids, r.id, item);
    }
    size_t ntags = by_id ? nm.tag_count : (full_tag[0] != '\0' ? 1 : 0);
    for (size_t k = 0; err == WCTR_OK && k < ntags; k++) {
      const char *full = by_id ? nm.tags[k] : full_tag;
      char familiar[IMG_NAME_MAX + IMG_TAG_MAX + 4];
      img_name_familiar(full, familiar, sizeof familiar);
      cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(item, "RepoTags"), cJSON_CreateString(familiar));
      const char *colon = strrchr(familiar, ':');
      char repo[IMG_NAME_MAX + 2];
      snprintf(repo, sizeof repo, "%.*s", (int)(colon - familiar), familiar);
      cJSON *tags = cJSON_GetObjectItemCaseSensitive(repos, repo);
      if (tags == NULL) tags = cJSON_AddObjectToObject(repos, repo);
      if (cJSON_GetObjectItemCaseSensitive(tags, colon + 1) == NULL) cJSON_AddStringToObject(tags, colon + 1, img_digest_hex(r.id));
      cJSON *desc = cJSON_CreateObject();
      cJSON_AddStringToObject(desc, "mediaType", r.manifest_type[0] != '\0' ? r.manifest_type : IMG_MT_DOCKER_MANIFEST);
      char *mtext = NULL;
      size_t mlen = 0;
      if (img_store_read_blob(s, r.manifest, IMG_MANIFEST_MAX_BYTES, &mtext, &mlen, NULL) == WCTR_OK) free(mtext);
      cJSON_AddStringToObject(desc, "digest", r.manifest);
      cJSON_AddNumberToObject(desc, "size", (double)mlen);
      cJSON *ann = cJSON_AddObjectToObject(desc, "annotations");
      cJSON_AddStringToObject(ann, "io.containerd.image.name", full);
      cJSON_AddStringToObject(ann, "org.opencontainers.image.ref.name", strrchr(full, ':') + 1);
      cJSON_AddItemToArray(entries, desc);
    }
    if (err == WCTR_OK && ntags == 0) {
      cJSON *desc = cJSON_CreateObject();
      cJSON_AddStringToObject(desc, "mediaType", r.manifest_type[0] != '\0' ? r.manifest_type : IMG_MT_DOCKER_MANIFEST);
      char *mtext = NULL;
      size_t mlen = 0;
      if (img_store_read_blob(s, r.manifest, IMG_MANIFEST_MAX_BYTES, &mtext, &mlen, NULL) == WCTR_OK) free(mtext);
      cJSON_AddStringToObject(desc, "digest", r.manifest);
      cJSON_AddNumberToObject(desc, "size", (double)mlen);
      cJSON_AddItemToArray(entries, desc);
    }
    img_names_free(&nm);
    img_record_free(&r);
  }
  char *t1 = err == WCTR_OK ? cJSON_PrintUnformatted(index) : NULL;
  char *t2 = err == WCTR_OK ? cJSON_PrintUnformatted(manifest) : NULL;
  char *t3 = err == WCTR_OK ? cJSON_PrintUnformatted(repos) : NULL;
  if (err == WCTR_OK && (t1 == NULL || t2 == NULL || t3 == NULL)) err = WCTR_ENOMEM;
  if (err == WCTR_OK) err = add_text(w, "index.json", t1);
  if (err == WCTR_OK) err = add_text(w, "manifest.json", t2);
  if (err == WCTR_OK) err = add_text(w, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
  if (err == WCTR_OK) err = add_text(w, "repositories", t3);
  if (err == WCTR_OK) {
    uint8_t *end = calloc(1, TAR_BLOCK * 2);
    err = end != NULL ? add_part(w, (part){.mem = end, .mem_len = TAR_BLOCK * 2}) : WCTR_ENOMEM;
  }
  cJSON_free(t1);
  cJSON_free(t2);
  cJSON_free(t3);
  cJSON_Delete(seen);
  cJSON_Delete(manifest);
  cJSON_Delete(repos);
  cJSON_Delete(index);
  cJSON_Delete(done_ids);
  if (err != WCTR_OK) {
    if (e != NULL && e->code != err) wctr_fail(e, err, "the archive cannot be prepared");
    img_archive_save_end(w);
    return err;
  }
  *out = w;
  return WCTR_OK;
}

uint64_t img_archive_save_size(const img_archive_writer *w) { return w->total; }

wctr_err img_archive_save_read(img_archive_writer *w, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  uint8_t *out = buf;
  size_t n = 0;
  while (n < size && w->cur < w->count) {
    part *p = &w->parts[w->cur];
    if (p->mem != NULL) {
      size_t take = p->mem_len - (size_t)w->pos < size - n ? p->mem_len - (size_t)w->pos : size - n;
      memcpy(out + n, p->mem + w->pos, take);
      n += take;
      w->pos += take;
      if (w->pos == p->mem_len) w->cur++, w->pos = 0;
      continue;
    }
    if (w->pos < p->file_len) {
      if (w->open == NULL && wctr_file_open(p->path, WCTR_FILE_READ, &w->open, e) != WCTR_OK) return WCTR_EIO;
      size_t want = p->file_len - w->pos < size - n ? (size_t)(p->file_len - w->pos) : size - n;
      size_t r = 0;
      if (wctr_file_pread(w->open, w->pos, out + n, want, &r) != WCTR_OK || r == 0) {
        return wctr_fail(e, WCTR_EIO, "the blob %s cannot be read", p->path);
      }
      n += r;
      w->pos += r;
      continue;
    }
    wctr_file_close(w->open);
    w->open = NULL;
    uint64_t padded = w->pos - p->file_len;
    size_t take = p->pad - padded < size - n ? (size_t)(p->pad - padded) : size - n;
    memset(out + n, 0, take);
    n += take;
    w->pos += take;
    if (w->pos == p->file_len + p->pad) w->cur++, w->pos = 0;
  }
  *got = n;
  return WCTR_OK;
}

void img_archive_save_end(img_archive_writer *w) {
  if (w == NULL) return;
  wctr_file_close(w->open);
  for (size_t i = 0; i < w->count; i++) {
    free(w->parts[i].mem);
    free(w->parts[i].path);
  }
  free(w->parts);
  for (size_t i = 0; i < w->npinned; i++) {
    img_store_unpin(w->s, w->pinned[i]);
    free(w->pinned[i]);
  }
  free(w->pinned);
  free(w);
}
