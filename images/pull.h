/* images/pull.h - `wctr pull`: a reference from a registry into the store (portable; the I/O core's
 * blocking pool does the work, images/registry.h talks to the registry).
 *
 * Steps: resolve the reference (the manifest, or the index and then the entry img_platform_choose picks
 * for this host), fetch and verify the config (a Windows image: anything else is refused with Docker's
 * "image operating system "linux" cannot be used on this platform"), then download the layers that are not
 * in the store yet, `concurrency` at a time (Docker's default 3), each verified as it arrives into a file
 * under the store's tmp\ and renamed into blobs\ once it matches; then import them base first
 * (images/import.h), then register the image and its tag and digest (images/store.h). Layers already
 * imported are shared ("Already exists"); blobs already stored are not downloaded again.
 *
 * Progress goes to progress() in Docker's words, per layer id (the blob's short digest): "Pulling fs
 * layer", "Waiting", "Downloading" (current/total bytes), "Verifying Checksum", "Download complete",
 * "Extracting", "Pull complete", "Already exists"; and once, with the tag as id, "Pulling from <repo>".
 *
 * Failure (refused, cut, cancelled, a digest mismatch, an import refused): nothing is registered, the
 * temporary files go, and what the pull stored that no image references is removed (img_store_forget).
 * done() is called exactly once, on a pool thread, with the result {"Id","Digest","Status","Name"}
 * ("Status": "Downloaded newer image for x:latest" or "Image is up to date for x:latest") or an error. */
#ifndef WCTR_IMAGES_PULL_H
#define WCTR_IMAGES_PULL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/ioc.h"
#include "images/auth.h"
#include "images/manifest.h"
#include "images/store.h"
#include "images/transport.h"
#include "images/trust.h"

typedef struct img_pull img_pull;

typedef struct img_pull_options {
  wctr_ioc *ioc;                   /* its blocking pool runs the pull */
  img_store *store;
  const img_transport *transport;
  const char *const *insecure;     /* insecure-registries (copied) */
  const char *host_os_version;     /* "10.0.20348" */
  const char *host_arch;           /* "amd64" */
  const char *ref;                 /* as the user wrote it */
  const char *user;                /* credentials for the registry (copied, zeroed when done); NULL: anonymous */
  const char *password;
  unsigned concurrency;            /* 0: 3 */
  /* The image-trust policy (images/trust.h; borrowed, may be NULL: off). Where it says "signed" for the
   * repository, the resolved digest (the index's, else the manifest's; for an index whose own digest has no
   * valid signature, the chosen platform manifest's) must have a signature verified by a trusted key before
   * anything else is fetched or stored; otherwise the pull fails with WCTR_EACCES and the report's sentence,
   * and nothing is kept. The image record's trust (images/store.h) says which key verified it and when. */
  const img_trust_policy *trust;
  /* Every trust decision (may be NULL): called once on the pool before done() when the policy applied, with
   * the report (verified or not) or, when the signatures could not be fetched, report NULL and the error. */
  void (*trust_decided)(void *ctx, const char *image, const img_trust_report *report, const char *error);
  void *ctx;
  void (*progress)(void *ctx, const char *id, const char *status, int64_t current, int64_t total);
  /* result is taken (NULL on failure); message "" on success. */
  void (*done)(void *ctx, wctr_err err, const char *message, cJSON *result);
} img_pull_options;

/* Checks the reference and starts. On failure nothing started and done() is never called. */
wctr_err img_pull_start(const img_pull_options *opt, img_pull **out, wctr_errmsg *e);
/* The caller lost interest (its client left): downloads stop soon; done() still comes. Valid until
 * img_pull_release. */
void img_pull_cancel(img_pull *p);
/* The caller's last call (after done() or instead of waiting for it). */
void img_pull_release(img_pull *p);

#endif
