/* service/security.h - the security operations of wctrd (Windows only): secrets, the audit trail and
 * `wctr check`, a table for svc_ops (service/ops.h; ctx: a svc_security_host).
 *
 *   secret.create  {"Name", "Data": base64 of 1 byte to 500 KB} -> {"ID","Name","CreatedAt","Size"}
 *   secret.list    {}                                          -> [ {"ID","Name","CreatedAt","Size"} ... ]
 *   secret.inspect {"Name"}                                    -> {"ID","Name","CreatedAt","Size","UsedBy":[names]}
 *   secret.remove  {"Name", "Force"?: b}                       -> {}  refused while a container names it,
 *                                                                     unless Force
 *   secret.read    {"Name"} (administrators only; audited)     -> {"Name","Data": base64 of the value}: for
 *                  `wctr compose convert --plain-text-secrets`, which writes it into a Kubernetes Secret
 *   audit.read     {"Since"?: ISO time, "Follow"?: b} (start operation, administrators only): "record"
 *                  frames, one per audit line (the JSON object), then {"Records": n}; with Follow, new
 *                  records as they are written (the file is polled by an I/O core timer every 250 ms, no
 *                  thread), until the client leaves or the service stops. Frames wait for the client to
 *                  take them (when_drained) instead of outgrowing the sink's bound.
 *   check          {}                                          -> service/check.h's JSON (blocking: it reads
 *                                                                 descriptors and probes the host)
 * The secret's value is read from "Data" once, decoded into a buffer that is zeroed after encryption, and
 * the request's own copy of the text is overwritten too. */
#ifndef WCTR_SERVICE_SECURITY_H
#define WCTR_SERVICE_SECURITY_H

#include <stddef.h>

#include "service/manager.h"
#include "service/ops.h"
#include "service/system_ops.h"

typedef struct svc_security_host {
  wctr_ioc *ioc; /* audit.read's follow: posts and timers */
  const char *data_root;
  svc_manager *manager;
  bool allow_unencrypted_secrets;
  /* As in svc_system_host (service/system_ops.h). */
  void (*host_facts)(void *ctx, svc_host_facts *out);
  wctr_err (*pipe_sddl)(void *ctx, char *buf, size_t size, wctr_errmsg *e);
  /* svc_image_trust_status (service/image_ops.h) for the image-trust check; may be NULL. */
  cJSON *(*image_trust)(void *ctx);
  void *ctx;
} svc_security_host;

const svc_op *svc_security_ops(size_t *count);

#endif
