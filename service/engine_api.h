/* service/engine_api.h - the Docker Engine API front-end (portable): Docker's HTTP requests mapped to the
 * same operations, validation and audit trail as the wctr pipe protocol (service/ops.h). It is a handler
 * for HTTP sessions (service/http.h); the listeners are service/http_server_win.c's. What is supported and
 * how it differs from dockerd: docs/engine-api.md.
 *
 * Versions: API 1.24 to 1.41. "/_ping" answers with API-Version (1.41), OSType (windows),
 * Docker-Experimental and Builder-Version; every answer carries API-Version, OSType and Server. A path may
 * start with "/vX.Y"; an unversioned one is served as 1.41. A version above 1.41 gets Docker's 400 "client
 * version X is too new. Maximum supported API version is 1.41", one below 1.24 "client version X is too old.
 * Minimum supported API version is 1.24, please upgrade your client to a newer version".
 *
 * Errors are {"message": "..."} with Docker's status codes: 400 bad parameters (a create field wctr cannot
 * apply is refused naming it, never dropped), 401 without the token, 404 no such container or image (and
 * {"message":"page not found"} for any path it does not serve), 409 conflicts (a name in use, a running
 * container removed without force, kill of a container that is not running), 500 what failed inside,
 * 501 an endpoint Docker has and wctr does not yet, with the reason - also any path of a family wctr lacks
 * (/swarm, /services, /tasks, /nodes, /secrets, /configs, /plugins, /build), never "page not found" for those
 * (docs/engine-api.md lists them).
 *
 * Authentication: a listener created with token_required (loopback TCP) answers every request that does not
 * carry "Authorization: Bearer <token>" with 401 {"message": "..."} and an audit record; the comparison
 * takes the same time whatever the token sent. Over a named pipe the caller is identified by the
 * transport (impersonation) and the pipe's DACL decides who may connect.
 *
 * Audit: every request reaches the audit trail as a pipe request does - through the operation layer for
 * requests that map to an operation (a change, or a failure), and through svc_ops_audit for what the front-end
 * refuses itself (op "engine-api", the method and path as target): 401, 404, version errors, refused
 * fields, 501, dropped streams. The caller is the connection's (svc_caller: the SID over a pipe, "token
 * holder on tcp://127.0.0.1:PORT" over TCP).
 *
 * Streams (logs, attach, events, stats, wait, image pull, load and save) follow the operation layer's rules: a
 * client that does not read more than SVC_SINK_QUEUE_MAX bytes loses its stream (audited), a client that leaves
 * ends it.
 *
 * Volumes map to the volume operations (service/manager.h "Named volumes"): GET /volumes ({"Volumes","Warnings"}),
 * POST /volumes/create (201), GET and DELETE /volumes/{name} (404 no such volume, 409 in use), POST /volumes/prune
 * (every unused volume, as dockerd prunes for API 1.41 and below; label filters). GET /containers/{id}/top maps to
 * container.top in dockerd's Windows shape (ps_args refused with 400; a container that is not running 409).
 *
 * Images map to the image operations (service/image_ops.h): POST /images/create to image.pull (Docker's JSON
 * messages; a failure before the first is an HTTP error, after it Docker's error message in the stream), POST
 * /images/load to image.load (its body streams as the operation's stdin - the handler's stream_body, service/http.h:
 * no bound, the connection stops reading while the operation has not taken what it was given), GET /images/{name}/get
 * and /images/get to image.save (application/x-tar; a failure half-way closes the connection), history, tag,
 * prune, DELETE, json; POST /auth to registry.login. X-Registry-Auth (base64 of Docker's AuthConfig) becomes
 * image.pull's Auth: credentials reach no target, message or log line. What is refused and why:
 * docs/engine-api.md.
 *
 * Events carry what dockerd's do of a container - its image and labels besides its name - and take dockerd's
 * filters on them: the front-end learns each container's from container.list when the stream begins and from
 * container.inspect at its first event (a container removed before that lookup ran has events without them). */
#ifndef WCTR_SERVICE_ENGINE_API_H
#define WCTR_SERVICE_ENGINE_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/ioc.h"
#include "service/http.h"
#include "service/ops.h"

#define SVC_API_MIN_VERSION_MINOR 24 /* 1.24 */
#define SVC_API_MAX_VERSION_MINOR 41 /* 1.41 */
#define SVC_API_TOKEN_BYTES 32       /* random bytes of a token (64 hex characters) */

/* What /version, /info and stats say about the host (the engine reads them at start). */
typedef struct svc_engine_api_host {
  char os_version[32];  /* "10.0.20348": KernelVersion, OSVersion */
  char hostname[256];   /* /info Name */
  char data_root[1024]; /* /info DockerRootDir */
  int host_cpus;        /* NCPU, and num_procs of stats (Docker's Windows CPU % formula) */
  uint64_t mem_total;   /* bytes */
} svc_engine_api_host;

typedef struct svc_engine_api_options {
  wctr_ioc *ioc;
  svc_ops *ops;              /* the operations (version, info, container.*, events, image.*) */
  svc_engine_api_host host;
  const char *token;         /* what TCP listeners require; NULL when there is none. Copied. */
} svc_engine_api_options;

typedef struct svc_engine_api svc_engine_api;

wctr_err svc_engine_api_new(const svc_engine_api_options *opt, svc_engine_api **out, wctr_errmsg *e);
/* The handler of a listener's sessions: token_required for TCP. Valid while api lives. */
svc_http_handler svc_engine_api_handler(svc_engine_api *api, bool token_required);
/* After every session using it is gone. Accepts NULL. */
void svc_engine_api_free(svc_engine_api *api);

/* A new token: SVC_API_TOKEN_BYTES random bytes as lower-case hex into out (at least 2*bytes+1). */
wctr_err svc_engine_api_token_new(char *out, size_t size, wctr_errmsg *e);

#define SVC_API_TOKEN_FILE "api-token"

#ifdef _WIN32
/* engine_api_win.c: writes the token as one line to <data-root>\config\api-token (its path into path), created
 * with sddl (acl_api_token_sddl: SYSTEM, Administrators and the pipe's groups may read it) from its first
 * instant; an existing file is replaced, never reused with its old DACL. wctrd writes a new token at every
 * start and removes the file when it stops. */
wctr_err svc_engine_api_token_write(const char *data_root, const char *token, const char *sddl, char *path,
                                    size_t path_size, wctr_errmsg *e);
void svc_engine_api_token_remove(const char *path);
#endif

#endif
