/* images/store.h - the image content store under <data-root>\images\store (portable; common/fs.h).
 *
 * Layout (docs/images.md):
 *   blobs\sha256\<hex>        verified content: manifests, indexes, configs, layer blobs as pulled or loaded
 *   layers\<chain hex>\       a layer folder (the importer's), shared by every image whose chain reaches it;
 *                             its layer id is img_layer_id("<chain hex>")
 *   layers\<chain hex>.json   the layer's record {"ChainId","DiffId","Parent","Blob","MediaType","Size","Id"},
 *                             written after the import succeeded: a folder without it is an interrupted import
 *   images\<id hex>.json      an image record (img_record as JSON); the id is the config's digest (Docker's)
 *   repositories.json         {"Tags": {"docker.io/library/x:latest": "<id>"}, "Digests": {"docker.io/library/x@
 *                             sha256:...": "<id>"}}: the one file that names images
 *   tmp\                      downloads and imports in progress; renamed into place once verified
 *
 * Roots and references. Image records are the roots; tags and digests name records; a record references its
 * manifest, index and config blobs and its layers (chain ids), and a layer its blob. References are counted
 * in memory from the records when the store opens and kept as records come and go; a layer or blob no
 * record references (and no pull in progress pins) is removed - at once when an image is removed or
 * pruned, and by the sweep at open. Every file is written atomically (common/fs.h), in the order blob ->
 * layer record -> image record -> repositories.json, so a crash at any point leaves either the old state or
 * things nobody references, which the sweep removes: tmp\ emptied, layer folders without a record
 * destroyed (img_importer.destroy), unreferenced layers and blobs removed, names pointing at missing
 * records dropped.
 *
 * Threads: every function may be called from any thread; one mutex guards the in-memory state and is never
 * held across an import, a download or a removal of a folder. */
#ifndef WCTR_IMAGES_STORE_H
#define WCTR_IMAGES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "images/digest.h"
#include "images/import.h"
#include "images/reference.h"

typedef struct img_store img_store;

typedef struct img_layer_rec {
  char chain_id[IMG_DIGEST_MAX];
  char diff_id[IMG_DIGEST_MAX];
  char blob[IMG_DIGEST_MAX];
  char media_type[128];
  int64_t blob_size;
  int64_t size; /* unpacked, as the importer reported */
} img_layer_rec;

/* How an image passed the image-trust policy (images/trust.h): the key whose signature verified it at its
 * pull, over which digest, when. key "" when it never was (pulled with the policy off, loaded, tagged). */
typedef struct img_trust_rec {
  char key[IMG_DIGEST_MAX];         /* the key's fingerprint "sha256:..." */
  char key_file[512];               /* the key's file in wctrd.json */
  char digest[IMG_DIGEST_MAX];      /* the digest signed: the index's, or the platform manifest's */
  char repository[IMG_NAME_MAX + 1]; /* where it was pulled from and verified ("domain/path") */
  char verified[40];                /* when (ISO 8601 UTC) */
} img_trust_rec;

typedef struct img_record {
  char id[IMG_DIGEST_MAX];       /* the config's digest */
  char manifest[IMG_DIGEST_MAX]; /* the platform manifest's digest */
  char manifest_type[128];
  char index[IMG_DIGEST_MAX];    /* the index it was chosen from; "" when none */
  char os[32];
  char arch[32];
  char os_version[64];
  char created[64];
  char added[40];                /* when this wctrd stored it (LastTagTime) */
  img_layer_rec *layers;         /* base first */
  size_t layer_count;
  img_trust_rec trust;           /* JSON "Trust" {"Key","KeyFile","Digest","Repository","Verified"}, only when
                                  * verified */
} img_record;

void img_record_free(img_record *r); /* accepts a zeroed one */
cJSON *img_record_to_json(const img_record *r);
wctr_err img_record_from_json(const cJSON *j, img_record *out, wctr_errmsg *e);

/* Answers whether a container uses an image known by any of names (its familiar tags and its id). */
typedef bool (*img_in_use_fn)(void *ctx, const char *const *names, size_t count, char *container, size_t size);

typedef struct img_store_options {
  const char *root;              /* the store's folder; created when missing (its parent must exist) */
  const img_importer *importer;  /* borrowed */
} img_store_options;

/* Opens the store and sweeps it (above); what the sweep removed is logged. */
wctr_err img_store_open(const img_store_options *opt, img_store **out, wctr_errmsg *e);
void img_store_close(img_store *s); /* accepts NULL */
const char *img_store_root(const img_store *s);

/* --- content (the pull and load side) --- */
/* A fresh path under tmp\ for a download. */
wctr_err img_store_tmp_path(img_store *s, char *out, size_t size, wctr_errmsg *e);
/* Moves a verified temporary file to blobs\ (the caller verified it against digest). An existing blob wins
 * and the file is removed. */
wctr_err img_store_commit_blob(img_store *s, const char *tmp, const char *digest, wctr_errmsg *e);
/* Writes bytes as a blob after checking they hash to digest. */
wctr_err img_store_put_blob(img_store *s, const char *digest, const void *data, size_t len, wctr_errmsg *e);
bool img_store_has_blob(img_store *s, const char *digest);
wctr_err img_store_blob_path(img_store *s, const char *digest, char *out, size_t size);
/* A blob into memory (at most max bytes), verified again against its digest. */
wctr_err img_store_read_blob(img_store *s, const char *digest, size_t max, char **data, size_t *len, wctr_errmsg *e);
bool img_store_has_layer(img_store *s, const char *chain_id);
/* Pins keep a blob or layer (by digest or chain id) from removal while a pull or load uses it. */
void img_store_pin(img_store *s, const char *key);
void img_store_unpin(img_store *s, const char *key);

/* The importer's ready (images/import.h): WCTR_OK when it can import here. */
wctr_err img_store_import_ready(img_store *s, wctr_errmsg *e);
/* BLOCKING. Imports layer i of rec (its blob must be stored, layers 0..i-1 imported) unless it exists;
 * fills rec->layers[i].size. */
wctr_err img_store_import_layer(img_store *s, img_record *rec, size_t i, wctr_errmsg *e);

/* Stores rec (its blobs and layers must be there) and points name (a full "domain/path:tag", may be NULL)
 * and repo_digest (a full "domain/path@sha256:...", may be NULL) at it. *changed: something new (an image
 * or a tag that moved); false when it was all there already ("Image is up to date"). An image already stored
 * takes rec's trust when rec has one (a pull under the "signed" policy verifies it again). */
wctr_err img_store_register(img_store *s, const img_record *rec, const char *name, const char *repo_digest,
                            bool *changed, wctr_errmsg *e);

/* After a pull or load that failed: removes what partial brought that no image references and nothing pins
 * (blobs, imported layers), so a refused or interrupted pull leaves nothing behind. Unpin first. */
void img_store_forget(img_store *s, const img_record *partial);

/* --- queries and changes (the commands) --- */
/* The image text names: an id (full, "sha256:..." or a prefix of 12+ hex digits), a tag ("x", "x:tag",
 * full or familiar) or a digest reference ("x@sha256:..."). WCTR_ENOENT "No such image: TEXT". *out is a
 * copy; name (may be NULL) receives the familiar name the container keeps ("x:latest"), or the id. */
wctr_err img_store_find(img_store *s, const char *text, img_record *out, char *name, size_t name_size, wctr_errmsg *e);
/* The image's layer folders, top-most first (for HCS), and their ids; *paths and *ids malloc'ed arrays of
 * malloc'ed strings (free each, then the array). */
wctr_err img_store_layer_folders(img_store *s, const img_record *rec, char ***paths, char ***ids, size_t *count,
                                 wctr_errmsg *e);
/* One summary per image: {"Id","RepoTags","RepoDigests","Created","Size","Os","OsVersion","Dangling","Name",
 * "Layers"}. RepoTags and RepoDigests are familiar ("x:latest", "127.0.0.1:5000/x@sha256:..."). Name (the first
 * tag, else the id) and Layers ([{"Id","Path","ChainId"}], top-most first) are the keys an `image add` record
 * has, so that readers of the catalog's shape (the Engine API today) find them. */
wctr_err img_store_list(img_store *s, cJSON **out, wctr_errmsg *e);
/* The image's record under Docker's image inspect keys (Id, RepoTags, RepoDigests, Parent, Comment, Created,
 * DockerVersion, Author, Config (the config's "config"), Architecture, Os, OsVersion, Size, RootFS, Metadata
 * {LastTagTime}), then Name, Layers (as img_store_list), Manifest and Index (digests; Index only when the
 * image was chosen from one). docker_image_inspect (docker/docker.h) gives it Docker's order and zero
 * values. "Trust" {"Key","KeyFile","Digest","Repository","Verified"} follows when the image was verified (img_trust_rec).
 */
wctr_err img_store_inspect(img_store *s, const char *text, cJSON **out, wctr_errmsg *e);
/* Docker's history rows, newest first: [{"Id","Created","CreatedBy","Size","Comment","Tags"}]. */
wctr_err img_store_history(img_store *s, const char *text, cJSON **out, wctr_errmsg *e);
/* Points target (a reference with a tag; "latest" when none) at the image source names. */
wctr_err img_store_tag(img_store *s, const char *source, const char *target, wctr_errmsg *e);
/* Docker's rmi: a tag is untagged, and the image deleted with its last tag; an id deletes the image and all
 * its names, refused without force when it has several repositories. Always refused while a container
 * uses the image. *report: [{"Untagged":...},{"Deleted":...}]. */
wctr_err img_store_remove(img_store *s, const char *text, bool force, img_in_use_fn in_use, void *ctx, cJSON **report,
                          wctr_errmsg *e);
/* Removes images without tags (all: every image) that no container uses. *report: {"ImagesDeleted":[...],
 * "SpaceReclaimed":bytes}. */
wctr_err img_store_prune(img_store *s, bool all, img_in_use_fn in_use, void *ctx, cJSON **report, wctr_errmsg *e);

/* The names of an image: full tags and repo digests (arrays of strings, malloc'ed; free with
 * img_names_free). */
typedef struct img_names {
  char **tags;
  size_t tag_count;
  char **digests;
  size_t digest_count;
} img_names;
wctr_err img_store_names(img_store *s, const char *id, img_names *out);
void img_names_free(img_names *n);

/* Every image record (copies), for save and the sweep's tests. */
wctr_err img_store_records(img_store *s, img_record **out, size_t *count);
void img_records_free(img_record *r, size_t count);

#endif
