/* service/security.h - the security operations of wctrd (Windows only): secrets, the audit trail and
 * `wctr check`, as pipe ops for svc_dispatch_host.security_ops (ctx: a svc_security_host).
 *
 *   secret.create  {"Name", "Data": base64 of 1 byte to 500 KB} -> {"ID","Name","CreatedAt","Size"}
 *   secret.list    {}                                          -> [ {"ID","Name","CreatedAt","Size"} ... ]
 *   secret.inspect {"Name"}                                    -> {"ID","Name","CreatedAt","Size","UsedBy":[names]}
 *   secret.remove  {"Name", "Force"?: b}                       -> {}  refused while a container names it,
 *                                                                     unless Force
 *   audit.read     {"Since"?: ISO time, "Follow"?: b} (stream, administrators only): "record" frames, one
 *                  per audit line (the JSON object), then {"Records": n}; with Follow, new records as they
 *                  are written, until the client leaves or the service stops
 *   check          {}                                          -> service/check.h's JSON
 * The secret's value is read from "Data" once, decoded into a buffer that is zeroed after encryption, and
 * the request's own copy of the text is overwritten too. */
#ifndef WCTR_SERVICE_SECURITY_H
#define WCTR_SERVICE_SECURITY_H

#include <stddef.h>

#include "service/dispatch.h"
#include "service/manager.h"

typedef struct svc_security_host {
  const char *data_root;
  svc_manager *manager;
  bool allow_unencrypted_secrets;
  /* As in svc_dispatch_host. */
  void (*host_facts)(void *ctx, svc_host_facts *out);
  wctr_err (*pipe_sddl)(void *ctx, char *buf, size_t size, wctr_errmsg *e);
  void *ctx;
} svc_security_host;

const svc_op *svc_security_ops(size_t *count);

#endif
