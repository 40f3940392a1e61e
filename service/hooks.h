/* service/hooks.h - what the engine lends the container manager and the runtimes (Windows only): the
 * create-time checks of the secret and credential spec stores (svc_manager_hooks), the secrets folders and
 * the image catalog (rt_host), and the image operations, whose "in use" answer comes from the manager. The
 * manager (portable) and the runtimes (a lower module) reach these stores only through these function
 * pointers. */
#ifndef WCTR_SERVICE_HOOKS_H
#define WCTR_SERVICE_HOOKS_H

#include "runtime/runtime.h"
#include "service/images.h"
#include "service/manager.h"
#include "service/networks.h"
#include "service/ops.h"

typedef struct svc_hooks {
  const char *data_root; /* borrowed */
  svc_images *images;    /* borrowed */
  svc_manager *manager;  /* set once the manager exists (image.remove asks it) */
  svc_networks *networks; /* borrowed: the networks containers join (rt_host.network_resolve) */
} svc_hooks;

svc_manager_hooks svc_hooks_manager(svc_hooks *h);
rt_host svc_hooks_runtime(svc_hooks *h);
/* image.add, image.list, image.inspect, image.remove (ctx is the svc_hooks). */
const svc_op *svc_hooks_image_ops(size_t *count);

#endif
