/* images/manifest.h - manifests, indexes and image configs from registries and archives (portable).
 *
 * Accepted media types (REFERENCE.md "Images"): Docker schema 2 manifests and manifest lists, OCI image
 * manifests and indexes, and the layer types of both, foreign and non-distributable included. Schema 1
 * manifests are refused (deprecated, unsigned). A document's kind comes from its "mediaType" field, then
 * from the Content-Type it arrived with, then from its shape ("manifests" -> index, "layers" -> manifest);
 * a mediaType that contradicts the Content-Type is refused.
 *
 * Parsing is strict where wctr relies on a field (digests valid, sizes 0..2^53, at most IMG_MAX_LAYERS
 * layers, at most IMG_MAX_ENTRIES index entries, each string bounded) and tolerant of fields it does not
 * use (annotations, artifactType...). Every parser takes any bytes; tests/images fuzzes them.
 *
 * The Windows platform choice (img_platform_choose) is containerd's rule for Windows hosts
 * (platforms/platform_windows_compat.go), which is hcsshim's process-isolation rule (hcs/osversion.h):
 *   - an entry matches when os is "windows", architecture is the host's ("amd64") and either it has no
 *     os.version (containerd accepts those: host-process images carry none) or its major.minor equal the
 *     host's and its build is allowed: equal to the host's when the host build is below 20348; otherwise in
 *     [L, host build], L the newest LTSC build (20348, 26100) not above the host build;
 *   - "win32k" in os.features plays no part (containerd strips it before comparing);
 *   - among matches the highest os.version wins (build, then revision); an entry without os.version ranks
 *     below any with one; equal versions keep the index's order.
 * When nothing matches: WCTR_ENOENT "no image for Windows 10.0.20348 in REF; available: windows/amd64
 * 10.0.17763.5206, linux/amd64" (the list cut at 400 characters). */
#ifndef WCTR_IMAGES_MANIFEST_H
#define WCTR_IMAGES_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "images/digest.h"

#define IMG_MAX_LAYERS 127
#define IMG_MAX_ENTRIES 256
#define IMG_MAX_URLS 8
#define IMG_MANIFEST_MAX_BYTES (4u * 1024u * 1024u) /* distribution's limit for a manifest */
#define IMG_CONFIG_MAX_BYTES (8u * 1024u * 1024u)

#define IMG_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMG_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMG_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define IMG_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define IMG_MT_DOCKER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
#define IMG_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMG_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMG_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMG_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define IMG_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMG_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMG_MT_OCI_NONDIST_GZIP "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
#define IMG_MT_OCI_NONDIST "application/vnd.oci.image.layer.nondistributable.v1.tar"
/* The Accept header of a manifest request: the four kinds wctr reads. */
#define IMG_MANIFEST_ACCEPT IMG_MT_DOCKER_LIST ", " IMG_MT_OCI_INDEX ", " IMG_MT_DOCKER_MANIFEST ", " IMG_MT_OCI_MANIFEST

typedef enum img_doc_kind { IMG_DOC_MANIFEST = 1, IMG_DOC_INDEX = 2 } img_doc_kind;

typedef struct img_platform {
  char os[32];
  char arch[32];
  char variant[32];
  char os_version[64]; /* "" when absent */
  char os_features[64]; /* joined with "," ("win32k"), "" when absent */
} img_platform;

typedef struct img_descriptor {
  char media_type[128];
  char digest[IMG_DIGEST_MAX];
  int64_t size;
  char *urls[IMG_MAX_URLS]; /* foreign layers: where to fetch them (http/https only) */
  size_t url_count;
  bool has_platform;
  img_platform platform; /* index entries */
} img_descriptor;

typedef struct img_manifest {
  img_doc_kind kind;
  char media_type[128];  /* as declared or deduced */
  img_descriptor config; /* manifests */
  img_descriptor *items; /* the layers of a manifest (base first), the entries of an index */
  size_t count;
} img_manifest;

/* content_type may be NULL (an archive's file). */
wctr_err img_manifest_parse(const char *body, size_t len, const char *content_type, img_manifest *out,
                            wctr_errmsg *e);
void img_manifest_free(img_manifest *m); /* accepts a zeroed one */

/* Is media_type a layer wctr can store (compressed or not)? *compressed: gzip (zstd is refused). */
bool img_layer_type_known(const char *media_type, bool *gzip);
bool img_layer_type_foreign(const char *media_type);

/* An image config: the parts wctr uses, and the whole document (for inspect and history). */
typedef struct img_config {
  char os[32];
  char arch[32];
  char os_version[64];
  char created[64];
  char **diff_ids; /* rootfs.diff_ids, base first */
  size_t diff_count;
  cJSON *json; /* owned */
} img_config;

wctr_err img_config_parse(const char *body, size_t len, img_config *out, wctr_errmsg *e);
void img_config_free(img_config *c); /* accepts a zeroed one */

/* The chain ids of a list of diff ids (OCI: chain[0] = diff[0], chain[i] = sha256(chain[i-1] + " " +
 * diff[i])). out holds count entries. */
wctr_err img_chain_ids(char *const *diff_ids, size_t count, char (*out)[IMG_DIGEST_MAX]);

/* The host (builds "10.0.20348" or "10.0.20348.1"; arch "amd64"). */
typedef struct img_host {
  const char *os_version;
  const char *arch;
} img_host;

/* Does an image built for image_version run process-isolated on host_version (the rule above)? */
bool img_windows_compatible(const char *host_version, const char *image_version);
/* Chooses an index entry for host (the rule above). ref names the image in the message. */
wctr_err img_platform_choose(const img_manifest *index, const img_host *host, const char *ref, size_t *chosen,
                             wctr_errmsg *e);

#endif
