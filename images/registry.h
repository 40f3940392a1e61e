/* images/registry.h - a client of one repository on a registry (portable, over images/transport.h): the
 * OCI distribution API / Docker registry v2, pull side.
 *
 * Endpoint. HTTPS always. Plain HTTP only for a loopback registry (localhost, 127.0.0.0/8, [::1]) or one
 * listed in wctrd.json's "insecure-registries" (host[:port] exactly, or an IPv4 CIDR containing the
 * host's address), Docker's rule: for those, HTTPS is tried first (GET /v2/) and HTTP is used when HTTPS
 * cannot connect at all (a transport failure, not an HTTP status).
 *
 * Authentication. A 401 with a Bearer challenge gets a token from its realm for scope
 * "repository:<path>:pull" (with the credentials as Basic when the caller has some: anonymous otherwise),
 * then the request is repeated once with it; a Basic challenge is answered with the credentials. A token
 * that expires mid-pull is fetched again once. Authorization goes only to the registry's own host and the
 * token realm: a redirect to another host (blob storage) is followed without it. Credentials and tokens
 * never appear in a message or a log.
 *
 * Verification. A manifest asked for by digest must hash to it; one asked for by tag must hash to the
 * Docker-Content-Digest the registry announced, when it announced one. A blob must hash to its descriptor's
 * digest and be exactly its size; a body that runs past the size is cut and refused. Foreign layers are
 * fetched from their urls first (in order, containerd's order), then from the registry.
 *
 * Errors (messages in Docker's words where Docker has some):
 *   WCTR_ENOENT  "manifest for REF not found: manifest unknown", a blob the registry does not have
 *   WCTR_EACCES  "pull access denied for NAME, repository does not exist or may require 'wctr login'"
 *   WCTR_EIO     connection failures, cut downloads; "... does not match its digest" (WCTR_EINVAL) */
#ifndef WCTR_IMAGES_REGISTRY_H
#define WCTR_IMAGES_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "images/auth.h"
#include "images/manifest.h"
#include "images/reference.h"
#include "images/transport.h"

typedef struct img_registry img_registry;

typedef struct img_registry_options {
  const img_transport *transport;      /* borrowed */
  const char *const *insecure;         /* insecure-registries entries, NULL-terminated; may be NULL */
  const img_credentials *credentials;  /* borrowed for the client's life; may be NULL */
} img_registry_options;

/* Is plain HTTP allowed for domain (loopback, or listed)? */
bool img_registry_insecure(const char *domain, const char *const *insecure);

/* Finds the endpoint (scheme) of ref's registry; nothing is fetched yet but GET /v2/. */
wctr_err img_registry_open(const img_registry_options *opt, const img_ref *ref, img_registry **out, wctr_errmsg *e);
void img_registry_close(img_registry *r); /* accepts NULL; zeroes the token */
/* "https://host" or "http://host" */
const char *img_registry_base(const img_registry *r);

/* The manifest or index called reference (a tag or a digest), verified; *body malloc'ed. */
wctr_err img_registry_manifest(img_registry *r, const char *reference, char **body, size_t *len,
                               char media_type[128], char digest[IMG_DIGEST_MAX], wctr_errmsg *e);

/* Receives a blob's bytes; returning an error stops the download with it. */
typedef wctr_err (*img_blob_write_fn)(void *arg, const void *data, size_t len);

/* Streams the blob of d into write, verifying size and digest at the end (the caller discards what it
 * wrote when this fails). progress (may be NULL) gets the bytes so far, at most every 256 KiB. restart
 * (may be NULL) is called before a second source (a url after another failed) starts over from byte 0. */
wctr_err img_registry_blob(img_registry *r, const img_descriptor *d, img_blob_write_fn write,
                           void (*restart)(void *arg), void (*progress)(void *arg, int64_t done), void *arg,
                           wctr_errmsg *e);

/* A small blob (a config) into memory, verified; *body malloc'ed. */
wctr_err img_registry_blob_bytes(img_registry *r, const img_descriptor *d, size_t max, char **body, size_t *len,
                                 wctr_errmsg *e);

/* Checks credentials against the registry (GET /v2/ with them, the token flow when challenged): what
 * `wctr login` asks. WCTR_EACCES "unauthorized: incorrect username or password". */
wctr_err img_registry_login(const img_registry_options *opt, const char *domain, wctr_errmsg *e);

#endif
