/* service/hooks.h - what the engine lends the container manager and the runtimes (Windows only): the
 * create-time checks of the secret and credential spec stores (svc_manager_hooks), the secrets folders and
 * the images (rt_host: the image store of service/image_ops.h, then the `image add` catalog), and the
 * `image add` catalog as the image operations' legacy table (svc_image_legacy). The manager (portable) and
 * the runtimes (a lower module) reach these stores only through these function pointers. */
#ifndef WCTR_SERVICE_HOOKS_H
#define WCTR_SERVICE_HOOKS_H

#include "runtime/runtime.h"
#include "service/image_ops.h"
#include "service/images.h"
#include "service/manager.h"
#include "service/networks.h"
#include "service/ops.h"

typedef struct svc_hooks {
  const char *data_root;            /* borrowed */
  svc_images *images;               /* borrowed: the `image add` catalog */
  svc_image_service *image_service; /* borrowed: the image store's operations */
  svc_manager *manager;             /* set once the manager exists (image.remove asks it) */
  svc_networks *networks;           /* borrowed: the networks containers join (rt_host.network_resolve) */
  bool volume_dacl_unread;          /* `wctrd run --test-volume-dacl-unread`: a volume's DACL is not read back */
} svc_hooks;

svc_manager_hooks svc_hooks_manager(svc_hooks *h);
rt_host svc_hooks_runtime(svc_hooks *h);
/* The `image add` catalog as svc_image_legacy (ctx is the svc_hooks). */
svc_image_legacy svc_hooks_image_legacy(svc_hooks *h);

#endif
