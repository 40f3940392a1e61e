/* service/hooks_win.c - the stores lent to the manager and the runtimes (service/hooks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "acl/descriptors.h"
#include "common/json.h"
#include "service/credspecs.h"
#include "service/hooks.h"
#include "service/secrets.h"

static wctr_err secrets_check(void *ctx, const spec_container *spec, wctr_errmsg *e) {
  (void)ctx;
  return svc_secrets_check_refs(spec, e);
}

static wctr_err credspec_resolve(void *ctx, spec_container *spec, wctr_errmsg *e) {
  svc_hooks *h = ctx;
  return svc_credspecs_resolve(h->data_root, spec, e);
}

static wctr_err secrets_materialize(void *ctx, const char *id, const spec_container *spec, const char *reader_sid,
                                    char *dir, size_t dir_size, wctr_errmsg *e) {
  (void)ctx;
  /* The record's name is not known to the runtime; the id names the container in the audit record. */
  return svc_secrets_materialize(id, id, spec, reader_sid, dir, dir_size, e);
}

static void secrets_cleanup(void *ctx, const char *id) {
  (void)ctx;
  svc_secrets_cleanup(id);
}

static char *dup_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

/* The `image add` catalog's record as the runtime's image. */
static wctr_err legacy_resolve(void *ctx, const char *ref, rt_image *out, wctr_errmsg *e) {
  svc_hooks *h = ctx;
  svc_image img;
  memset(out, 0, sizeof *out);
  wctr_err err = svc_images_get(h->images, ref, &img, e);
  if (err != WCTR_OK) return err;
  bool ok = (out->name = dup_text(img.name)) != NULL;
  out->layer_ids = calloc(img.layer_count + 1, sizeof *out->layer_ids);
  out->layer_paths = calloc(img.layer_count + 1, sizeof *out->layer_paths);
  ok = ok && out->layer_ids != NULL && out->layer_paths != NULL;
  for (size_t i = 0; ok && i < img.layer_count; i++) {
    out->layer_ids[i] = dup_text(img.layers[i].id);
    out->layer_paths[i] = dup_text(img.layers[i].path);
    out->layer_count = i + 1;
    ok = out->layer_ids[i] != NULL && out->layer_paths[i] != NULL;
  }
  snprintf(out->os_version, sizeof out->os_version, "%.31s", img.os_version);
  if (ok && img.cmd_count > 0) {
    out->cmd = calloc(img.cmd_count + 1, sizeof *out->cmd);
    ok = out->cmd != NULL;
    for (size_t i = 0; ok && i < img.cmd_count; i++) {
      out->cmd[i] = dup_text(img.cmd[i]);
      out->cmd_count = i + 1;
      ok = out->cmd[i] != NULL;
    }
  }
  if (ok && img.user != NULL) ok = (out->user = dup_text(img.user)) != NULL;
  svc_image_free(&img);
  if (!ok) {
    rt_image_free(out);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  return WCTR_OK;
}

static wctr_err image_resolve(void *ctx, const char *ref, rt_image *out, wctr_errmsg *e) {
  svc_hooks *h = ctx;
  return svc_image_resolve(h->image_service, ref, out, e);
}

/* A volume's _data: the container identities may modify what is inside, nobody else but SYSTEM and
 * Administrators has anything (acl/descriptors.h ACL_SDDL_VOLUME_DATA), read back to be sure. */
static wctr_err volume_secure(void *ctx, const char *data_dir, wctr_errmsg *e) {
  svc_hooks *h = ctx;
  wctr_err err = acl_apply_dacl(data_dir, ACL_SDDL_VOLUME_DATA, e);
  if (err == WCTR_OK && !h->volume_dacl_unread) err = acl_verify_dacl(data_dir, ACL_SDDL_VOLUME_DATA, NULL, e);
  return err;
}

svc_manager_hooks svc_hooks_manager(svc_hooks *h) {
  return (svc_manager_hooks){.ctx = h, .secrets_check = secrets_check, .credspec_resolve = credspec_resolve,
                             .volume_secure = volume_secure};
}

static wctr_err network_resolve(void *ctx, const char *name, rt_network *out, wctr_errmsg *e) {
  svc_hooks *h = ctx;
  if (h->networks == NULL) return wctr_fail(e, WCTR_ENOTSUP, "--network %s: this service has no networks", name);
  return svc_networks_resolve(h->networks, name, out, e);
}

rt_host svc_hooks_runtime(svc_hooks *h) {
  return (rt_host){.ctx = h, .secrets_materialize = secrets_materialize, .secrets_cleanup = secrets_cleanup,
                   .image_resolve = image_resolve, .network_resolve = network_resolve};
}

/* --- the `image add` catalog as the image operations' legacy table ------------------------------------------ */

static wctr_err legacy_add(void *ctx, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  return svc_images_add(((svc_hooks *)ctx)->images, params, result, e);
}

static wctr_err legacy_list(void *ctx, cJSON **result, wctr_errmsg *e) {
  return svc_images_list(((svc_hooks *)ctx)->images, result, e);
}

static wctr_err legacy_inspect(void *ctx, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  return svc_images_inspect(((svc_hooks *)ctx)->images, params, result, e);
}

static wctr_err legacy_remove(void *ctx, const cJSON *params, svc_image_used_fn used, void *used_ctx, cJSON **result,
                              wctr_errmsg *e) {
  return svc_images_remove(((svc_hooks *)ctx)->images, params, used, used_ctx, result, e);
}

svc_image_legacy svc_hooks_image_legacy(svc_hooks *h) {
  return (svc_image_legacy){.ctx = h, .add = legacy_add, .list = legacy_list, .inspect = legacy_inspect,
                            .remove = legacy_remove, .resolve = legacy_resolve};
}
