/* images/transport.h - the one thing the registry client needs from an HTTP stack (portable interface).
 *
 * wctrd's transport is WinHTTP (images/http_win.c: Windows' own stack, so the machine's proxy settings and
 * certificate store apply); the tests of the portable code use an in-memory registry behind the same
 * interface. A transport sends exactly one request - it never follows redirects and never answers an
 * authentication challenge itself: the registry client (images/registry.c) does both, portably, so that a
 * redirect to another host never carries the registry's Authorization header. */
#ifndef WCTR_IMAGES_TRANSPORT_H
#define WCTR_IMAGES_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "images/digest.h"

typedef struct img_http_request {
  const char *method;          /* "GET" or "HEAD" */
  const char *url;             /* absolute http:// or https:// URL */
  const char *const *headers;  /* "Name: value" lines, NULL-terminated; may be NULL */
} img_http_request;

typedef struct img_http_response {
  int status;                  /* 200, 401, 307, ... */
  char content_type[160];      /* "" when absent */
  char www_authenticate[2048]; /* "" when absent */
  char location[2048];         /* redirects */
  char content_digest[IMG_DIGEST_MAX]; /* Docker-Content-Digest, "" when absent or not a digest */
  int64_t content_length;      /* -1 when unknown */
} img_http_response;

/* Receives the body in chunks; returning false stops the transfer (the request then fails with
 * WCTR_ECANCELED). */
typedef bool (*img_body_fn)(void *arg, const void *data, size_t len);

typedef struct img_transport {
  void *ctx;
  /* Sends req; when a response arrives (any status) fills *resp and passes the body to body (which may be
   * NULL: the body is read and dropped). Fails with WCTR_EIO (connection refused, cut, TLS failure, a body
   * shorter than its Content-Length), WCTR_ETIMEDOUT or WCTR_ECANCELED, with a sentence naming the host. */
  wctr_err (*send)(void *ctx, const img_http_request *req, img_http_response *resp, img_body_fn body, void *arg,
                   wctr_errmsg *e);
} img_transport;

#endif
