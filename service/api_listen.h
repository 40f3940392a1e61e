/* service/api_listen.h - the addresses the Docker Engine API listens on (--docker-api, wctrd.json
 * "docker-api"), portable so that flags and the file are checked the same way before anything opens.
 *
 * Forms:
 *   npipe:////./pipe/NAME   (or npipe://./pipe/NAME)   a named pipe with wctr's pipe DACL; callers identified
 *                                                       by impersonation, as on wctr's own pipe
 *   tcp://HOST:PORT                                     loopback only: HOST is 127.0.0.1 (any 127.x.y.z),
 *                                                       localhost (127.0.0.1) or [::1]; PORT 1..65535; every
 *                                                       request needs the bearer token (service/engine_api.h)
 * Any other address - a routable or wildcard host, unix://, fd://, tcp without a port - is refused naming
 * it: the Engine API has no TLS yet, and whoever reaches it can run containers as SYSTEM. */
#ifndef WCTR_SERVICE_API_LISTEN_H
#define WCTR_SERVICE_API_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/pipename.h"

#define SVC_API_ADDRESS_MAX 256

typedef enum svc_api_kind { SVC_API_NPIPE = 1, SVC_API_TCP } svc_api_kind;

typedef struct svc_api_address {
  svc_api_kind kind;
  char text[SVC_API_ADDRESS_MAX];    /* canonical: "npipe:////./pipe/NAME", "tcp://127.0.0.1:2375" */
  char pipe_path[WCTR_PIPE_PATH_MAX]; /* npipe: \\.\pipe\NAME */
  char host[64];                      /* tcp: "127.0.0.1" or "::1" */
  bool ipv6;
  uint16_t port;
} svc_api_address;

/* where names the source in messages ("--docker-api", "wctrd.json: \"docker-api\""). */
wctr_err svc_api_address_parse(const char *text, const char *where, svc_api_address *out, wctr_errmsg *e);

#endif
