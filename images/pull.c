/* images/pull.c - a pull on the I/O core's blocking pool (portable). Contract: images/pull.h. */
#include "images/pull.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/fs.h"
#include "common/log.h"
#include "images/reference.h"
#include "images/registry.h"
#include "images/trust.h"

enum { DEFAULT_CONCURRENCY = 3, MAX_INSECURE = 64 };

typedef enum layer_state { L_PRESENT = 0, L_QUEUED, L_ACTIVE, L_DONE } layer_state;

typedef struct pull_layer {
  img_descriptor desc;
  layer_state state;
  char short_id[16];
} pull_layer;

struct img_pull {
  wctr_mutex lock;
  int refs;
  img_pull_options opt;
  char *ref_text;
  char *insecure_store[MAX_INSECURE + 1];
  img_credentials creds;
  bool cancelled;

  img_ref ref;
  img_registry *reg;
  img_manifest manifest;
  img_record rec;
  pull_layer *layers;
  size_t count;
  char index_digest[IMG_DIGEST_MAX];
  bool up_to_date;
  /* downloads */
  size_t next;
  unsigned active;
  wctr_err first_err;
  wctr_errmsg first_msg;
  bool pinned;
};

static void unref(img_pull *p) {
  wctr_mutex_lock(&p->lock);
  int left = --p->refs;
  wctr_mutex_unlock(&p->lock);
  if (left > 0) return;
  img_registry_close(p->reg);
  img_manifest_free(&p->manifest);
  img_record_free(&p->rec);
  free(p->layers);
  img_credentials_clear(&p->creds);
  for (size_t i = 0; p->insecure_store[i] != NULL; i++) free(p->insecure_store[i]);
  free(p->ref_text);
  wctr_mutex_destroy(&p->lock);
  free(p);
}

void img_pull_release(img_pull *p) {
  if (p != NULL) unref(p);
}

void img_pull_cancel(img_pull *p) {
  if (p == NULL) return;
  wctr_mutex_lock(&p->lock);
  p->cancelled = true;
  wctr_mutex_unlock(&p->lock);
}

static bool cancelled(img_pull *p) {
  wctr_mutex_lock(&p->lock);
  bool c = p->cancelled;
  wctr_mutex_unlock(&p->lock);
  return c;
}

static void progress(img_pull *p, const char *id, const char *status, int64_t current, int64_t total) {
  if (p->opt.progress != NULL) p->opt.progress(p->opt.ctx, id, status, current, total);
}

static void pin_all(img_pull *p, bool pin) {
  const char *keys[IMG_MAX_LAYERS * 2 + 3];
  size_t n = 0;
  if (p->rec.id[0] != '\0') keys[n++] = p->rec.id;
  if (p->rec.manifest[0] != '\0') keys[n++] = p->rec.manifest;
  if (p->index_digest[0] != '\0') keys[n++] = p->index_digest;
  for (size_t i = 0; i < p->rec.layer_count; i++) {
    keys[n++] = p->rec.layers[i].chain_id;
    keys[n++] = p->rec.layers[i].blob;
  }
  for (size_t i = 0; i < n; i++) {
    if (pin) img_store_pin(p->opt.store, keys[i]);
    else img_store_unpin(p->opt.store, keys[i]);
  }
  p->pinned = pin;
}

/* The end: exactly one done(), then the job's reference goes. */
static void finish(img_pull *p, wctr_err err, const char *message, cJSON *result) {
  if (p->pinned) pin_all(p, false);
  if (err != WCTR_OK && (p->rec.manifest[0] != '\0' || p->rec.index[0] != '\0')) img_store_forget(p->opt.store, &p->rec);
  if (err != WCTR_OK) wctr_log(WCTR_LOG_INFO, "pull %s failed: %s", p->ref_text, message);
  p->opt.done(p->opt.ctx, err, err == WCTR_OK ? "" : message, result);
  unref(p);
}

static void fail(img_pull *p, wctr_err err, const wctr_errmsg *e) {
  finish(p, err, e->text[0] != '\0' ? e->text : wctr_strerror(err), NULL);
}

/* --- downloads -------------------------------------------------------------------------------------------- */

typedef struct download {
  img_pull *p;
  pull_layer *l;
  wctr_file *file;
  char tmp[1400];
  int64_t last_shown;
} download;

static wctr_err dl_write(void *arg, const void *data, size_t len) {
  download *d = arg;
  if (cancelled(d->p)) return WCTR_ECANCELED;
  return wctr_file_write(d->file, data, len);
}

static void dl_restart(void *arg) {
  download *d = arg;
  wctr_file_close(d->file);
  d->file = NULL;
  wctr_file_open(d->tmp, WCTR_FILE_TRUNCATE, &d->file, NULL);
}

static void dl_progress(void *arg, int64_t done) {
  download *d = arg;
  progress(d->p, d->l->short_id, "Downloading", done, d->l->desc.size);
}

static wctr_err download_one(img_pull *p, pull_layer *l, wctr_errmsg *e) {
  download d = {.p = p, .l = l};
  wctr_err err = img_store_tmp_path(p->opt.store, d.tmp, sizeof d.tmp, e);
  if (err == WCTR_OK) err = wctr_file_open(d.tmp, WCTR_FILE_TRUNCATE, &d.file, e);
  if (err == WCTR_OK) {
    progress(p, l->short_id, "Downloading", 0, l->desc.size);
    err = img_registry_blob(p->reg, &l->desc, dl_write, dl_restart, dl_progress, &d, e);
  }
  if (err == WCTR_OK && d.file == NULL) err = wctr_fail(e, WCTR_EIO, "the download file %s could not be reopened", d.tmp);
  if (err == WCTR_OK) {
    progress(p, l->short_id, "Verifying Checksum", 0, 0);
    err = wctr_file_sync(d.file);
    if (err != WCTR_OK) wctr_fail(e, err, "cannot flush %s", d.tmp);
  }
  wctr_file_close(d.file);
  if (err == WCTR_OK) err = img_store_commit_blob(p->opt.store, d.tmp, l->desc.digest, e);
  if (err != WCTR_OK) {
    wctr_fs_remove(d.tmp);
    if (err == WCTR_ECANCELED) wctr_fail(e, err, "the pull of %s was cancelled", p->ref_text);
    return err;
  }
  progress(p, l->short_id, "Download complete", 0, 0);
  return WCTR_OK;
}

static void complete(img_pull *p);

/* One download worker: takes queued layers until none are left; the last worker to stop completes the pull. */
static void worker(void *arg) {
  img_pull *p = arg;
  for (;;) {
    pull_layer *l = NULL;
    wctr_mutex_lock(&p->lock);
    if (p->first_err == WCTR_OK && !p->cancelled) {
      while (p->next < p->count && p->layers[p->next].state != L_QUEUED) p->next++;
      if (p->next < p->count) {
        l = &p->layers[p->next++];
        l->state = L_ACTIVE;
      }
    }
    if (l == NULL) {
      bool last = --p->active == 0;
      wctr_mutex_unlock(&p->lock);
      if (last) complete(p);
      return;
    }
    wctr_mutex_unlock(&p->lock);
    wctr_errmsg e;
    e.text[0] = '\0';
    wctr_err err = download_one(p, l, &e);
    wctr_mutex_lock(&p->lock);
    l->state = L_DONE;
    if (err != WCTR_OK && p->first_err == WCTR_OK) {
      p->first_err = err;
      p->first_msg = e;
    }
    wctr_mutex_unlock(&p->lock);
  }
}

/* --- the stages ------------------------------------------------------------------------------------------- */

static void complete(img_pull *p) {
  wctr_errmsg e;
  e.text[0] = '\0';
  wctr_err err = p->first_err;
  if (err != WCTR_OK) {
    fail(p, err, &p->first_msg);
    return;
  }
  if (cancelled(p)) {
    wctr_fail(&e, WCTR_ECANCELED, "the pull of %s was cancelled", p->ref_text);
    fail(p, WCTR_ECANCELED, &e);
    return;
  }
  for (size_t i = 0; i < p->count; i++) {
    pull_layer *l = &p->layers[i];
    bool present = img_store_has_layer(p->opt.store, p->rec.layers[i].chain_id);
    if (!present) progress(p, l->short_id, "Extracting", 0, l->desc.size);
    err = img_store_import_layer(p->opt.store, &p->rec, i, &e);
    if (err != WCTR_OK) {
      fail(p, err, &e);
      return;
    }
    if (!present) progress(p, l->short_id, "Pull complete", 0, 0);
  }
  char repo[IMG_NAME_MAX + 2];
  char name[IMG_NAME_MAX + IMG_TAG_MAX + 4];
  char digest_name[IMG_NAME_MAX + IMG_DIGEST_MAX + 4];
  img_ref_name(&p->ref, repo, sizeof repo);
  snprintf(name, sizeof name, "%s:%s", repo, p->ref.tag);
  const char *shown_digest = p->index_digest[0] != '\0' ? p->index_digest : p->rec.manifest;
  snprintf(digest_name, sizeof digest_name, "%s@%s", repo, shown_digest);
  bool changed = false;
  wctr_time_now_iso8601(p->rec.added, sizeof p->rec.added);
  err = img_store_register(p->opt.store, &p->rec, p->ref.tag[0] != '\0' ? name : NULL, digest_name, &changed, &e);
  if (err != WCTR_OK) {
    fail(p, err, &e);
    return;
  }
  char familiar[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  img_ref_familiar(&p->ref, familiar, sizeof familiar);
  char status[sizeof familiar + 64];
  snprintf(status, sizeof status, "%s for %s", changed ? "Downloaded newer image" : "Image is up to date", familiar);
  cJSON *result = cJSON_CreateObject();
  cJSON_AddStringToObject(result, "Id", p->rec.id);
  cJSON_AddStringToObject(result, "Digest", shown_digest);
  cJSON_AddStringToObject(result, "Status", status);
  cJSON_AddStringToObject(result, "Name", familiar);
  wctr_log(WCTR_LOG_INFO, "pulled %s (%s, %zu layers)", familiar, p->rec.id, p->rec.layer_count);
  finish(p, WCTR_OK, "", result);
}

/* The policy's verdict on digest; WCTR_OK when verified (rec.trust filled), WCTR_EACCES with the report's
 * sentence otherwise. final: the last chance (a refusal is decided and reported). */
static wctr_err trust_check(img_pull *p, const char *digest, bool final, char *first_refusal, size_t size,
                            wctr_errmsg *e) {
  char repo[IMG_NAME_MAX + 2];
  img_ref_name(&p->ref, repo, sizeof repo);
  const char *prefix = "";
  img_trust_mode_for(p->opt.trust, repo, &prefix);
  char familiar[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  img_ref_familiar(&p->ref, familiar, sizeof familiar);
  img_trust_report rep;
  memset(&rep, 0, sizeof rep);
  wctr_errmsg ve;
  ve.text[0] = '\0';
  wctr_err err = img_trust_verify(p->opt.trust, p->reg, repo, digest, &rep, &ve);
  if (err != WCTR_OK) {
    if (p->opt.trust_decided != NULL) p->opt.trust_decided(p->opt.ctx, familiar, NULL, ve.text);
    img_trust_report_free(&rep);
    return wctr_fail(e, err, "%s: the image-trust policy is \"signed\"%s%s and %s", familiar,
                     prefix[0] != '\0' ? " for " : "", prefix, ve.text);
  }
  if (rep.verdict == IMG_TRUST_VERIFIED) {
    img_trust_rec *t = &p->rec.trust;
    snprintf(t->key, sizeof t->key, "%s", rep.key);
    snprintf(t->key_file, sizeof t->key_file, "%s", rep.key_file);
    snprintf(t->digest, sizeof t->digest, "%s", digest);
    snprintf(t->repository, sizeof t->repository, "%s", repo);
    wctr_time_now_iso8601(t->verified, sizeof t->verified);
    char short_id[16];
    img_digest_short(digest, short_id, sizeof short_id);
    char status[IMG_DIGEST_MAX + IMG_TRUST_PATH_MAX + 48];
    snprintf(status, sizeof status, "Signature verified with key %s (%s)", rep.key, rep.key_file);
    progress(p, short_id, status, 0, 0);
    wctr_log(WCTR_LOG_INFO, "pull %s: %s", familiar, rep.message);
    if (p->opt.trust_decided != NULL) p->opt.trust_decided(p->opt.ctx, familiar, &rep, NULL);
    img_trust_report_free(&rep);
    return WCTR_OK;
  }
  if (first_refusal[0] == '\0') snprintf(first_refusal, size, "%s", rep.message);
  if (final && p->opt.trust_decided != NULL) p->opt.trust_decided(p->opt.ctx, familiar, &rep, NULL);
  err = wctr_fail(e, WCTR_EACCES, "pull of %s refused by the image-trust policy \"signed\"%s%s: %s", familiar,
                  prefix[0] != '\0' ? " for " : "", prefix, first_refusal);
  img_trust_report_free(&rep);
  return err;
}

static wctr_err resolve(img_pull *p, wctr_errmsg *e) {
  img_registry_options ro = {.transport = p->opt.transport, .insecure = (const char *const *)p->insecure_store,
                             .credentials = &p->creds};
  wctr_err err = img_registry_open(&ro, &p->ref, &p->reg, e);
  if (err != WCTR_OK) return err;
  /* Docker shows the repository's path: "latest: Pulling from library/nginx", "v1: Pulling from app". */
  char from[IMG_NAME_MAX + 32];
  snprintf(from, sizeof from, "Pulling from %s", p->ref.path);
  progress(p, p->ref.tag[0] != '\0' ? p->ref.tag : p->ref.digest, from, 0, 0);
  char *body = NULL;
  size_t len = 0;
  char mt[128];
  char digest[IMG_DIGEST_MAX];
  err = img_registry_manifest(p->reg, p->ref.digest[0] != '\0' ? p->ref.digest : p->ref.tag, &body, &len, mt, digest, e);
  if (err != WCTR_OK) return err;
  img_manifest doc;
  err = img_manifest_parse(body, len, mt[0] != '\0' ? mt : NULL, &doc, e);
  char familiar[IMG_NAME_MAX + IMG_TAG_MAX + IMG_DIGEST_MAX + 4];
  img_ref_familiar(&p->ref, familiar, sizeof familiar);
  /* Trust first: nothing of an image the policy refuses is fetched further or stored. */
  char repo_name[IMG_NAME_MAX + 2];
  img_ref_name(&p->ref, repo_name, sizeof repo_name);
  bool must_verify = img_trust_mode_for(p->opt.trust, repo_name, NULL) == IMG_TRUST_SIGNED;
  bool verified = false;
  char refusal[1024] = "";
  if (err == WCTR_OK && must_verify) {
    wctr_errmsg te;
    te.text[0] = '\0';
    wctr_err terr = trust_check(p, digest, doc.kind != IMG_DOC_INDEX, refusal, sizeof refusal, &te);
    verified = terr == WCTR_OK;
    /* an index without a valid signature of its own may still have one over the platform manifest */
    if (!verified && (doc.kind != IMG_DOC_INDEX || refusal[0] == '\0')) {
      err = terr;
      *e = te;
      img_manifest_free(&doc);
    }
  }
  if (err == WCTR_OK && doc.kind == IMG_DOC_INDEX) {
    snprintf(p->index_digest, sizeof p->index_digest, "%s", digest);
    snprintf(p->rec.index, sizeof p->rec.index, "%s", digest); /* so a failure below forgets it */
    img_store_pin(p->opt.store, p->index_digest);
    err = img_store_put_blob(p->opt.store, digest, body, len, e);
    img_store_unpin(p->opt.store, p->index_digest);
    size_t chosen = 0;
    img_host host = {.os_version = p->opt.host_os_version, .arch = p->opt.host_arch};
    if (err == WCTR_OK) err = img_platform_choose(&doc, &host, familiar, &chosen, e);
    char want[IMG_DIGEST_MAX];
    if (err == WCTR_OK) {
      snprintf(want, sizeof want, "%s", doc.items[chosen].digest);
      free(body);
      body = NULL;
      img_manifest_free(&doc);
      err = img_registry_manifest(p->reg, want, &body, &len, mt, digest, e);
      if (err == WCTR_OK) err = img_manifest_parse(body, len, mt[0] != '\0' ? mt : NULL, &doc, e);
      if (err == WCTR_OK && doc.kind != IMG_DOC_MANIFEST) err = wctr_fail(e, WCTR_EINVAL, "the index of %s points at another index", familiar);
      if (err == WCTR_OK && must_verify && !verified) {
        err = trust_check(p, digest, true, refusal, sizeof refusal, e);
        if (err != WCTR_OK) img_manifest_free(&doc);
      }
    } else {
      img_manifest_free(&doc);
    }
  }
  if (err != WCTR_OK) {
    free(body);
    return err;
  }
  p->manifest = doc;
  snprintf(p->rec.manifest, sizeof p->rec.manifest, "%s", digest);
  snprintf(p->rec.manifest_type, sizeof p->rec.manifest_type, "%s", doc.media_type);
  snprintf(p->rec.index, sizeof p->rec.index, "%s", p->index_digest);
  snprintf(p->rec.id, sizeof p->rec.id, "%s", doc.config.digest);
  /* pins before anything is stored, so a concurrent rmi's collection leaves it alone */
  p->rec.layers = calloc(doc.count, sizeof *p->rec.layers);
  p->layers = calloc(doc.count, sizeof *p->layers);
  if (p->rec.layers == NULL || p->layers == NULL) {
    free(body);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  p->count = doc.count;
  p->rec.layer_count = 0;
  pin_all(p, true);
  err = img_store_put_blob(p->opt.store, digest, body, len, e);
  free(body);
  if (err != WCTR_OK) return err;
  /* the config */
  char *cfg_text = NULL;
  size_t cfg_len = 0;
  err = img_registry_blob_bytes(p->reg, &doc.config, IMG_CONFIG_MAX_BYTES, &cfg_text, &cfg_len, e);
  if (err != WCTR_OK) return err;
  err = img_store_put_blob(p->opt.store, doc.config.digest, cfg_text, cfg_len, e);
  img_config cfg;
  memset(&cfg, 0, sizeof cfg);
  if (err == WCTR_OK) err = img_config_parse(cfg_text, cfg_len, &cfg, e);
  free(cfg_text);
  if (err == WCTR_OK && strcmp(cfg.os, "windows") != 0) {
    err = wctr_fail(e, WCTR_EINVAL, "image operating system \"%s\" cannot be used on this platform (%s is not a Windows image)",
                    cfg.os, familiar);
  }
  if (err == WCTR_OK && cfg.diff_count != doc.count) {
    err = wctr_fail(e, WCTR_EINVAL, "%s: the manifest lists %zu layers and the config %zu diff ids", familiar, doc.count,
                    cfg.diff_count);
  }
  char(*chains)[IMG_DIGEST_MAX] = err == WCTR_OK ? calloc(doc.count, sizeof *chains) : NULL;
  if (err == WCTR_OK && chains == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = img_chain_ids(cfg.diff_ids, cfg.diff_count, chains);
  if (err == WCTR_OK) {
    pin_all(p, false);
    snprintf(p->rec.os, sizeof p->rec.os, "%s", cfg.os);
    snprintf(p->rec.arch, sizeof p->rec.arch, "%s", cfg.arch);
    snprintf(p->rec.os_version, sizeof p->rec.os_version, "%s", cfg.os_version);
    snprintf(p->rec.created, sizeof p->rec.created, "%s", cfg.created);
    for (size_t i = 0; i < doc.count; i++) {
      img_layer_rec *l = &p->rec.layers[i];
      snprintf(l->chain_id, sizeof l->chain_id, "%s", chains[i]);
      snprintf(l->diff_id, sizeof l->diff_id, "%s", cfg.diff_ids[i]);
      snprintf(l->blob, sizeof l->blob, "%s", doc.items[i].digest);
      snprintf(l->media_type, sizeof l->media_type, "%s", doc.items[i].media_type);
      l->blob_size = doc.items[i].size;
      p->layers[i].desc = doc.items[i];
      img_digest_short(doc.items[i].digest, p->layers[i].short_id, sizeof p->layers[i].short_id);
    }
    p->rec.layer_count = doc.count;
    pin_all(p, true);
  }
  free(chains);
  img_config_free(&cfg);
  return err;
}

static void start_job(void *arg) {
  img_pull *p = arg;
  wctr_errmsg e;
  e.text[0] = '\0';
  wctr_err err = resolve(p, &e);
  /* A host that cannot import hears so before any layer is downloaded. */
  bool need_import = false;
  for (size_t i = 0; err == WCTR_OK && i < p->count; i++) {
    need_import = need_import || !img_store_has_layer(p->opt.store, p->rec.layers[i].chain_id);
  }
  if (err == WCTR_OK && need_import) err = img_store_import_ready(p->opt.store, &e);
  if (err != WCTR_OK) {
    fail(p, err, &e);
    return;
  }
  size_t queued = 0;
  for (size_t i = 0; i < p->count; i++) {
    pull_layer *l = &p->layers[i];
    if (img_store_has_layer(p->opt.store, p->rec.layers[i].chain_id)) {
      l->state = L_PRESENT;
      progress(p, l->short_id, "Already exists", 0, 0);
    } else if (img_store_has_blob(p->opt.store, l->desc.digest)) {
      l->state = L_DONE;
      progress(p, l->short_id, "Download complete", 0, 0);
    } else {
      l->state = L_QUEUED;
      queued++;
      progress(p, l->short_id, "Pulling fs layer", 0, 0);
    }
  }
  unsigned workers = p->opt.concurrency > 0 ? p->opt.concurrency : DEFAULT_CONCURRENCY;
  if (workers > queued) workers = queued > 0 ? (unsigned)queued : 1;
  for (size_t i = 0, k = 0; i < p->count; i++) {
    if (p->layers[i].state == L_QUEUED && k++ >= workers) progress(p, p->layers[i].short_id, "Waiting", 0, 0);
  }
  wctr_mutex_lock(&p->lock);
  p->active = workers;
  wctr_mutex_unlock(&p->lock);
  /* workers - 1 more on the pool; this thread is the first. */
  for (unsigned k = 1; k < workers; k++) {
    if (!wctr_ioc_blocking(p->opt.ioc, worker, p)) {
      wctr_mutex_lock(&p->lock);
      p->active--;
      wctr_mutex_unlock(&p->lock);
    }
  }
  worker(p);
}

wctr_err img_pull_start(const img_pull_options *opt, img_pull **out, wctr_errmsg *e) {
  img_ref ref;
  wctr_err err = img_ref_parse(opt->ref, &ref, e);
  if (err != WCTR_OK) return err;
  img_pull *p = calloc(1, sizeof *p);
  if (p == NULL || wctr_mutex_init(&p->lock) != WCTR_OK) {
    free(p);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  p->refs = 2;
  p->opt = *opt;
  p->ref = ref;
  p->ref_text = strdup(opt->ref);
  bool ok = p->ref_text != NULL;
  for (size_t i = 0; ok && opt->insecure != NULL && opt->insecure[i] != NULL && i < MAX_INSECURE; i++) {
    ok = (p->insecure_store[i] = strdup(opt->insecure[i])) != NULL;
  }
  if (ok && opt->user != NULL && opt->password != NULL) {
    p->creds.user = strdup(opt->user);
    p->creds.password = strdup(opt->password);
    ok = p->creds.user != NULL && p->creds.password != NULL;
  }
  p->opt.insecure = NULL;
  p->opt.user = p->opt.password = p->opt.ref = NULL;
  if (ok && !wctr_ioc_blocking(opt->ioc, start_job, p)) ok = false;
  if (!ok) {
    p->refs = 1;
    unref(p);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory or the service is stopping");
  }
  *out = p;
  return WCTR_OK;
}
