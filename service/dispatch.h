/* service/dispatch.h - one request message in, one response message out (portable).
 *
 * The pipe server hands every complete message to svc_dispatch together with the caller's identity;
 * svc_dispatch parses it (common/proto.h), runs the operation and always returns a response, so a bad
 * request costs the client an error and never the connection or the service. Operations:
 *   version   -> {"Version","ApiVersion","Os","Arch","GitCommit"?}
 *   info      -> host, isolation, data root, pipe, BitLocker and secrets settings (docs/protocol.md)
 * Facts that need Windows come from the callbacks in svc_dispatch_host, so the dispatcher is tested
 * natively with fakes. */
#ifndef WCTR_SERVICE_DISPATCH_H
#define WCTR_SERVICE_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "acl/bitlocker.h"
#include "common/error.h"

/* Who sent a request, from impersonating the pipe client (service/server_win.c). */
typedef struct svc_caller {
  char sid[192];  /* "S-1-5-21-..." */
  char name[320]; /* "DOMAIN\user", or the SID when the account cannot be looked up */
  uint32_t pid;   /* client process id, 0 when unknown */
  bool admin;     /* the token holds BUILTIN\Administrators enabled (CheckTokenMembership) */
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
  bool allow_unencrypted_secrets; /* wctrd.json "allow-unencrypted-secrets" */
} svc_host_facts;

struct svc_stream;

/* An operation provided by the engine (the container manager), beside the built-in version and info.
 * Exactly one of call and stream is set. params may be NULL (no params in the request). */
typedef struct svc_op {
  const char *name;
  wctr_err (*call)(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result, wctr_errmsg *e);
  /* Long-running: runs on its own thread and must send exactly one final response for request id
   * (svc_stream_reply / svc_stream_error), after any frames. */
  void (*stream)(void *ctx, const svc_caller *caller, int64_t id, const cJSON *params,
                 const struct svc_stream *s);
  /* Refused with access_denied (and audited) unless the caller is an administrator. */
  bool admin_only;
  /* When not NULL, the ctx this operation is called with instead of svc_dispatch_host.ops_ctx, so
   * tables of several engine parts (the manager, the credential spec store) can share one list. */
  void *ctx;
} svc_op;

typedef struct svc_dispatch_host {
  void *ctx;
  /* Fills every field; never fails (a fact that cannot be read says so in its detail). */
  void (*host_facts)(void *ctx, svc_host_facts *out);
  /* The live pipe's DACL read back from Windows, as SDDL. */
  wctr_err (*pipe_sddl)(void *ctx, char *buf, size_t size, wctr_errmsg *e);
  const char *data_root; /* UTF-8 Windows path */
  const char *pipe_path; /* \\.\pipe\NAME */
  const svc_op *ops;     /* the engine's operations; may be NULL */
  size_t op_count;
  void *ops_ctx;
  /* A second table (secrets, audit, check: service/security.h) with its own context; may be NULL. */
  const svc_op *security_ops;
  size_t security_op_count;
  void *security_ctx;
  /* The audit trail (service/audit.h): called once per request that changes something (svc_audit_op_changes)
   * or fails, after its final response is known, also for stream operations. op is "" when the request
   * was too broken to name one; result is WCTR_OK or the error; detail the error's message. May be NULL. */
  void (*audit)(void *ctx, const svc_caller *caller, const char *op, const char *target, wctr_err result,
                const char *detail);
} svc_dispatch_host;

/* The connection of a long-running operation (container attach, wait, logs -f), lent by the server to
 * the operation's own thread until the operation returns; the connection is closed afterwards. */
typedef struct svc_stream {
  void *ctx;
  /* Sends one message (a frame or the final response). WCTR_EPIPE once the client has gone. */
  wctr_err (*send)(void *ctx, const char *msg, size_t len);
  /* Waits at most timeout_ms for one message from the client: WCTR_ETIMEDOUT, WCTR_EPIPE, or WCTR_OK
   * with *msg malloc'ed (free with free()). */
  wctr_err (*recv)(void *ctx, char **msg, size_t *len, unsigned timeout_ms);
  /* A Windows event HANDLE signalled when the service stops: long waits must wait on it too. */
  void *cancel_event;
} svc_stream;

/* What a request gets: a response now, or an operation that runs on a thread of its own with the
 * connection (stream_fn sends the final response itself, and frees stream_arg). */
typedef struct svc_reply {
  char *response; /* cJSON_free; NULL when stream_fn is set */
  size_t len;
  void (*stream_fn)(void *arg, const svc_stream *stream);
  void *stream_arg;
} svc_reply;

/* Final responses of a stream operation: send result (taken) or the error for request id. Return the
 * send's result. */
wctr_err svc_stream_reply(const svc_stream *s, int64_t id, cJSON *result);
wctr_err svc_stream_error(const svc_stream *s, int64_t id, wctr_err code, const char *message);
/* A frame of a stream operation: {"v":1,"id":id,"stream":kind,"data":data}. data is taken. */
wctr_err svc_stream_frame(const svc_stream *s, int64_t id, const char *kind, cJSON *data);

/* Answers one request message. out->response is NULL only when out of memory (and no stream_fn). */
void svc_dispatch(const svc_dispatch_host *host, const svc_caller *caller, const char *msg, size_t len,
                  svc_reply *out);

#endif
