/* service/image_ops.h - the image operations (portable): the content store of images/ (pull, list, inspect,
 * tag, remove, history, prune, save, load, login) and, beside it, the catalog of `wctr image add` records
 * (service/images.h, Windows), reached through svc_image_legacy so this file runs natively too.
 *
 * Operations (docs/protocol.md, "Images"):
 *   image.pull    {"Name","Auth"?:{"Username","Password"}} STREAM: "progress" frames {"id","status",
 *                 "progressDetail":{"current","total"}} in Docker's words, then {"Id","Digest","Status","Name"}
 *   image.list    {"All"?}                   -> [{"Id","RepoTags","RepoDigests","Created","Size","Os","OsVersion",
 *                                               "Dangling","Name","Layers"}] (img_store_list), then each `image
 *                                               add` record as the catalog has it plus {"Id":"","RepoTags":[Name],
 *                                               "RepoDigests":[],"Size":0,"Os","Dangling":false,"Catalog":true}
 *   image.inspect {"Name"}                   -> the store's record under Docker's keys (img_store_inspect), or the
 *                                               `image add` record; docker_image_inspect shapes either
 *   image.history {"Name"}                   -> [{"Id","Created","CreatedBy","Size","Comment","Tags"?}] newest first
 *   image.tag     {"Source","Target"}        -> {}
 *   image.remove  {"Name","Force"?}          -> [{"Untagged"}|{"Deleted"}]; refused while a container uses it
 *   image.prune   {"All"?}                   -> {"ImagesDeleted","SpaceReclaimed"}
 *   image.save    {"Names":[...]} STREAM: the archive as output bytes (stdout), then {"Size"}
 *   image.load    {} STREAM: the archive as the client's stdin frames, then {"Loaded":[names or ids]}
 *   image.add     the `image add` catalog (service/image.h), unchanged
 *   image.trust   {"Name","Auth"?} -> the signatures of the reference's digest in its registry and the verdict of
 *                 each (img_trust_report_json), plus {"Policy": "signed"|"off" for the repository, "Prefix": the
 *                 deciding wctrd.json prefix, "" for the top level, "Platform": the same report for the Windows
 *                 manifest a pull would choose when the reference is an index}: `wctr trust inspect`. It reads, decides
 *                 nothing and stores nothing; keys are those of the policy, whatever its mode.
 *   registry.login {"Server","Username","Password"} -> {"Status":"Login Succeeded"}: checks credentials
 *                 against the registry; wctrd keeps nothing (the client stores them, docs/images.md)
 * Each that changes an image reports Docker's image event (svc_image_service.event): image.pull "pull",
 * image.tag "tag", image.remove and image.prune "untag" per name and "delete" per image deleted, image.load "load"
 * and image.save "save" per image, once the operation succeeded.
 * Credentials arrive only in params (never in a target, a message or a log line: the audit trail records
 * "Name"/"Image" as the target and an error's sentence, neither of which holds them).
 *
 * Names. A container created from a store image records the name it was given ("x:latest", familiar) or
 * the image id; rmi and prune ask the manager about every tag of the image and its id. Resolution order for
 * a reference: the store, then the `image add` catalog (an `image add` name that the store also has is
 * refused at add time). */
#ifndef WCTR_SERVICE_IMAGE_OPS_H
#define WCTR_SERVICE_IMAGE_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/ioc.h"
#include "images/store.h"
#include "images/transport.h"
#include "images/trust.h"
#include "runtime/runtime.h"
#include "service/ops.h"

typedef bool (*svc_image_used_fn)(void *ctx, const char *image, char *container, size_t size);

/* The `image add` catalog (Windows: service/images.h); every entry may be NULL. */
typedef struct svc_image_legacy {
  void *ctx;
  wctr_err (*add)(void *ctx, const cJSON *params, cJSON **result, wctr_errmsg *e);
  wctr_err (*list)(void *ctx, cJSON **result, wctr_errmsg *e);
  wctr_err (*inspect)(void *ctx, const cJSON *params, cJSON **result, wctr_errmsg *e);
  wctr_err (*remove)(void *ctx, const cJSON *params, svc_image_used_fn used, void *used_ctx, cJSON **result,
                     wctr_errmsg *e);
  wctr_err (*resolve)(void *ctx, const char *ref, rt_image *out, wctr_errmsg *e);
} svc_image_legacy;

typedef struct svc_image_service {
  wctr_ioc *ioc;
  img_store *store;
  img_transport transport;
  const char *const *insecure;  /* wctrd.json insecure-registries, NULL-terminated */
  char host_os_version[40];     /* "10.0.20348" */
  svc_image_legacy legacy;
  svc_image_used_fn used;       /* the manager's answer; may be NULL */
  void *used_ctx;
  const img_trust_policy *trust; /* wctrd.json's "image-trust", keys loaded; NULL: off */
  /* Docker's image events, as dockerd logs them, through the manager's event path (svc_manager_emit_image); may be
   * NULL. pull: id and name the reference pulled; tag: the image's id, name the new tag; untag and delete: the
   * image's id as both (a catalog image has none: its name); load and save: the image's id as both. */
  void (*event)(void *ctx, const char *action, const char *id, const char *name);
  void *event_ctx;
  /* An audit record for a decision wctrd takes on its own (the trust decisions); may be NULL. */
  void (*audit)(void *ctx, const char *op, const char *target, const char *result, const char *detail);
  void *audit_ctx;
} svc_image_service;

/* The table (ctx is the svc_image_service). */
const svc_op *svc_image_ops(size_t *count);

/* rt_host.image_resolve: the store, then the catalog. cmd is the config's Entrypoint + Cmd, user its User.
 * The image-trust gate (create, start, run: every runtime resolves its image there): where the policy is
 * "signed" for any repository the image is named in (the top level for an image without a name and for
 * `image add` records), the image must have been verified at its pull by a key the policy trusts for that
 * repository today; otherwise WCTR_EACCES with the reason (never verified: pulled while the policy was off,
 * loaded, added from folders; or verified by a key no longer trusted) and the fix (pull it again). Every
 * decision where the policy applies is audited ("image.trust", the image, "ok" or "access_denied", detail:
 * digest, key, verdict). */
wctr_err svc_image_resolve(svc_image_service *s, const char *ref, rt_image *out, wctr_errmsg *e);

/* For `wctr check`: {"Policy": img_trust_policy_json, "Signed": bool (anywhere), "Refused": [{"Image","Reason"}]}:
 * the images of the store and the catalog the gate above would refuse. NULL when out of memory. */
cJSON *svc_image_trust_status(svc_image_service *s);

#endif
