/* images/reference.h - image references as Docker users write them (portable; distribution/reference's
 * grammar, normalised as docker/cli does):
 *
 *   reference = [domain "/"] path [":" tag] ["@" digest]
 *   domain    = a first component holding "." or ":" or equal to "localhost" (host[:port], or [IPv6]:port)
 *   path      = component ("/" component)*, component = [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
 *   tag       = [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 *   digest    = sha256:<64 lowercase hex> (images/digest.h)
 *
 * Without a domain the registry is Docker Hub ("docker.io", reached at registry-1.docker.io) and a path of
 * one component gets "library/". Without a tag or a digest the tag is "latest". The whole name (domain and
 * path) is at most 255 characters. Uppercase in the path is refused with Docker's "repository name must be
 * lowercase". Image ids ("sha256:<hex>", or 64 hex digits) are not references: img_ref_parse refuses them,
 * the store (images/store.h) looks them up.
 *
 * Familiar forms (what `wctr images` shows, Docker's FamiliarString): docker.io/library/x -> "x",
 * docker.io/u/x -> "u/x", anything else in full. */
#ifndef WCTR_IMAGES_REFERENCE_H
#define WCTR_IMAGES_REFERENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "images/digest.h"

#define IMG_NAME_MAX 255
#define IMG_TAG_MAX 128
#define IMG_DEFAULT_DOMAIN "docker.io"
#define IMG_DEFAULT_TAG "latest"

typedef struct img_ref {
  char domain[IMG_NAME_MAX + 1]; /* "docker.io", "127.0.0.1:5000", "mcr.microsoft.com" */
  char path[IMG_NAME_MAX + 1];   /* "library/nanoserver", "windows/nanoserver" */
  char tag[IMG_TAG_MAX + 1];     /* "" when the reference has a digest and no tag */
  char digest[IMG_DIGEST_MAX];   /* "" when none */
} img_ref;

/* Parses and normalises text. WCTR_EINVAL with a sentence quoting the text: `invalid reference format:
 * "Foo:bar" (repository name must be lowercase)`. */
wctr_err img_ref_parse(const char *text, img_ref *out, wctr_errmsg *e);

/* "docker.io/library/x" (domain/path). */
void img_ref_name(const img_ref *r, char *out, size_t size);
/* "x", "u/x", "127.0.0.1:5000/x": the familiar repository name. */
void img_ref_familiar_name(const img_ref *r, char *out, size_t size);
/* The familiar name with ":tag" (or "@digest" when there is no tag): "x:latest". */
void img_ref_familiar(const img_ref *r, char *out, size_t size);
/* The same from a full name ("docker.io/library/x" -> "x"). */
void img_name_familiar(const char *full_name, char *out, size_t size);

/* The host to contact for the domain: docker.io -> "registry-1.docker.io", others as they are. */
const char *img_ref_registry_host(const img_ref *r);

/* Is text an image id rather than a reference: "sha256:<64 hex>", or 12 to 64 lowercase hex digits (an id
 * or its prefix, as `wctr rmi 0123456789ab` takes)? */
bool img_is_id_text(const char *text);

/* Is the registry host on the loopback ("localhost", 127.0.0.0/8, [::1], with any port)? */
bool img_host_is_loopback(const char *host);

#endif
