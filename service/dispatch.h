/* service/dispatch.h - one request message in, one response message out (portable).
 *
 * The pipe server hands every complete message to svc_dispatch together with the caller's identity;
 * svc_dispatch parses it (common/proto.h), runs the operation and always returns a response, so a bad
 * request costs the client an error and never the connection or the service. Operations:
 *   version   -> {"Version","ApiVersion","Os","Arch","GitCommit"?}
 *   info      -> host, isolation, data root, pipe and BitLocker facts (docs/protocol.md)
 * Facts that need Windows come from the callbacks in svc_dispatch_host, so the dispatcher is tested
 * natively with fakes. */
#ifndef WCTR_SERVICE_DISPATCH_H
#define WCTR_SERVICE_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl/bitlocker.h"
#include "common/error.h"

/* Who sent a request, from impersonating the pipe client (service/server_win.c). */
typedef struct svc_caller {
  char sid[192];  /* "S-1-5-21-..." */
  char name[320]; /* "DOMAIN\user", or the SID when the account cannot be looked up */
  uint32_t pid;   /* client process id, 0 when unknown */
} svc_caller;

typedef struct svc_host_facts {
  char os_name[128];    /* "Windows Server 2022 Datacenter" */
  char os_version[32];  /* "10.0.20348" */
  bool server_sku;
  bool hcs_available;
  char hcs_detail[320]; /* why not, or which DLL was loaded */
  bool job_available;
  char job_detail[320];
  acl_bitlocker_status bitlocker; /* of the data root's volume */
} svc_host_facts;

typedef struct svc_dispatch_host {
  void *ctx;
  /* Fills every field; never fails (a fact that cannot be read says so in its detail). */
  void (*host_facts)(void *ctx, svc_host_facts *out);
  /* The live pipe's DACL read back from Windows, as SDDL. */
  wctr_err (*pipe_sddl)(void *ctx, char *buf, size_t size, wctr_errmsg *e);
  const char *data_root; /* UTF-8 Windows path */
  const char *pipe_path; /* \\.\pipe\NAME */
} svc_dispatch_host;

/* Returns the response message (caller frees with cJSON_free) and its length, or NULL only when out of
 * memory. */
char *svc_dispatch(const svc_dispatch_host *host, const svc_caller *caller, const char *msg, size_t len,
                   size_t *out_len);

#endif
