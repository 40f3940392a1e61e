/* images/archive.h - `wctr save` and `wctr load`: image archives (portable).
 *
 * save writes what Docker 25 writes, which Docker 20.10 and later load: an OCI image layout (oci-layout,
 * index.json whose entries carry the image names as io.containerd.image.name and
 * org.opencontainers.image.ref.name annotations, blobs/sha256/<hex> holding each manifest, config and layer
 * blob) plus Docker's manifest.json ([{"Config":"blobs/sha256/<hex>","RepoTags":[...],"Layers":["blobs/
 * sha256/<hex>",...]}]) and repositories ({"repo":{"tag":"<id hex>"}}). Layers are the blobs as the store
 * holds them (gzip when pulled so): Docker's load decompresses layer files, and an OCI layout may hold
 * compressed layers. Every entry is a ustar entry (a PAX path record when a name is longer than 100).
 *
 * load reads both Docker formats: manifest.json (20.10's <id>/layer.tar with its symlinks for repeated
 * layers, and 25+'s blobs/sha256/...), or, without manifest.json, an OCI layout's index.json. Each config
 * and layer file is hashed as it is copied into the store: a layer must hash to its diff id (or, gzip, be
 * checked by the importer), a config names the image. Tags come from RepoTags (or the index's name
 * annotations); an image without one is loaded untagged ("Loaded image ID: sha256:..."). A layer the
 * archive does not carry (a foreign layer, Docker's LayerSources) must already be in the store. Failure
 * leaves nothing registered (img_store_forget). Archive entries are looked up by name only: no entry is
 * ever written anywhere but into the store's files, so names like "../x" are harmless, and links are
 * followed inside the archive only.
 *
 * The tar reader takes ustar, PAX ('x' path/linkpath/size, 'g' ignored), GNU long names ('L', 'K') and
 * base-256 sizes; a header whose checksum fails ends the archive with an error. */
#ifndef WCTR_IMAGES_ARCHIVE_H
#define WCTR_IMAGES_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "images/store.h"

typedef struct img_archive_image {
  char *config;
  char **tags;
  size_t tag_count;
  char **layers;
  size_t layer_count;
} img_archive_image;

typedef struct img_archive_manifest {
  img_archive_image *images;
  size_t count;
} img_archive_manifest;

/* Docker's manifest.json. At most 1000 images of IMG_MAX_LAYERS layers, paths of at most 1024 bytes. */
wctr_err img_archive_manifest_parse(const char *text, size_t len, img_archive_manifest *out, wctr_errmsg *e);
void img_archive_manifest_free(img_archive_manifest *m); /* accepts a zeroed one */

/* BLOCKING. Loads the archive at path into the store. line (may be NULL) gets Docker's lines ("Loaded
 * image: x:latest", "Loaded image ID: sha256:..."); *result {"Loaded":[names or ids]}. */
wctr_err img_archive_load(img_store *s, const char *path, void (*line)(void *ctx, const char *text), void *ctx,
                          cJSON **result, wctr_errmsg *e);

/* save: the archive of the images names give (tags, digests or ids; an id saves the image with all its
 * tags, as Docker does), produced in pieces. */
typedef struct img_archive_writer img_archive_writer;
wctr_err img_archive_save_begin(img_store *s, char *const *names, size_t count, img_archive_writer **out,
                                wctr_errmsg *e);
/* Up to size bytes of the archive; *got 0 once it is all out. BLOCKING (reads the store's files). */
wctr_err img_archive_save_read(img_archive_writer *w, void *buf, size_t size, size_t *got, wctr_errmsg *e);
/* The archive's size in bytes, known at begin. */
uint64_t img_archive_save_size(const img_archive_writer *w);
void img_archive_save_end(img_archive_writer *w); /* accepts NULL */

#endif
