/* service/system_ops.h - the operations about wctrd itself (portable): version and info, an ordinary table
 * for svc_ops (service/ops.h).
 *   version   {}  -> {"Version","ApiVersion","Os","Arch"}                        (a call on a worker)
 *   info      {}  -> host, isolation, data root, pipe, BitLocker and secrets settings, the caller
 *                    (docs/protocol.md)                                          (blocking: it probes)
 * Facts that need Windows come from the callbacks of svc_system_host, so both are tested natively with
 * fakes. */
#ifndef WCTR_SERVICE_SYSTEM_OPS_H
#define WCTR_SERVICE_SYSTEM_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "acl/bitlocker.h"
#include "common/error.h"
#include "service/ops.h"

typedef struct svc_host_facts {
  char os_name[128];    /* "Windows Server 2022 Datacenter" */
  char os_version[32];  /* "10.0.20348" */
  bool server_sku;
  bool hcs_available;
  char hcs_detail[320]; /* why not, or which DLL was loaded */
  bool job_available;
  char job_detail[320];
  acl_bitlocker_status bitlocker; /* of the data root's volume */
  bool allow_unencrypted_secrets; /* wctrd.json "allow-unencrypted-secrets" */
} svc_host_facts;

typedef struct svc_system_host {
  void *ctx;
  /* Fills every field; never fails (a fact that cannot be read says so in its detail). May block. */
  void (*host_facts)(void *ctx, svc_host_facts *out);
  /* The live pipe's DACL read back from Windows, as SDDL. */
  wctr_err (*pipe_sddl)(void *ctx, char *buf, size_t size, wctr_errmsg *e);
  const char *data_root; /* UTF-8 Windows path */
  const char *pipe_path; /* \\.\pipe\NAME */
} svc_system_host;

/* The table; add it with the host as ctx (svc_ops_add(o, table, count, host, e)), which must outlive o. */
const svc_op *svc_system_ops(size_t *count);

#endif
