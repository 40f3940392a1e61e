/* tests/images/fake_registry.h - an in-memory registry behind images/transport.h, for the portable tests of
 * the registry client, the store and the pull: the distribution API's GET routes, Bearer token and Basic
 * authentication, a blob store that redirects to another host, and faults (a corrupted blob, a body cut
 * half-way, HTTPS refused for loopback hosts). */
#ifndef WCTR_TESTS_IMAGES_FAKE_REGISTRY_H
#define WCTR_TESTS_IMAGES_FAKE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "images/digest.h"
#include "images/transport.h"

typedef enum fake_auth { FAKE_AUTH_NONE, FAKE_AUTH_BEARER, FAKE_AUTH_BASIC } fake_auth;

typedef struct fake_registry fake_registry;

/* host: "reg.test" (HTTPS) or "127.0.0.1:5000" (HTTP only: HTTPS fails to connect). */
fake_registry *fake_registry_new(const char *host);
void fake_registry_free(fake_registry *f);
img_transport fake_registry_transport(fake_registry *f);

/* Requires auth; user/password NULL: the token server gives anonymous tokens (Bearer). */
void fake_registry_auth(fake_registry *f, fake_auth mode, const char *user, const char *password);
/* Blobs are answered with a 307 to https://cdn.test/... (which must never see Authorization). */
void fake_registry_redirect_blobs(fake_registry *f, bool on);

/* Content; returns the digest (static storage inside f, valid until free). */
const char *fake_registry_blob(fake_registry *f, const void *data, size_t len);
const char *fake_registry_manifest(fake_registry *f, const char *repo, const char *tag, const char *media_type,
                                   const char *body);
/* A blob served from https://foreign.test/<hex> only (a foreign layer). */
const char *fake_registry_foreign(fake_registry *f, const void *data, size_t len);

/* Faults. */
void fake_registry_corrupt(fake_registry *f, const char *digest); /* serve other bytes under the same digest */
void fake_registry_cut(fake_registry *f, const char *digest);     /* the body stops half-way, then EIO */

/* What happened. */
int fake_registry_requests(fake_registry *f, const char *path_part); /* how many request URLs contain it */
bool fake_registry_auth_leaked(fake_registry *f); /* Authorization sent to a host other than the registry's */
int fake_registry_tokens(fake_registry *f);       /* tokens handed out */

/* Builds a Windows image: layers (plain tar bytes, any content) -> config + manifest stored; returns the
 * manifest's body (malloc'ed) and fills the config digest. layer_blobs receive the layer digests. */
char *fake_image(fake_registry *f, const char *os_version, const char *const *layers, size_t count, bool foreign_base,
                 char config_digest[IMG_DIGEST_MAX], char (*layer_digests)[IMG_DIGEST_MAX]);

#endif
