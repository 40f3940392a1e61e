/* images/auth.h - registry authentication (portable): the WWW-Authenticate challenge of a 401, the token
 * server's answer, and the Authorization header values.
 *
 * Challenge (RFC 7235, as registries send it): `Bearer realm="https://auth.example/token",service="x",
 * scope="repository:a/b:pull"` or `Basic realm="Registry"`. Parameters are token=token or token="quoted
 * string" (backslash escapes), separated by commas and optional spaces; names are case-insensitive; the
 * first challenge of a scheme wctr knows (Bearer, then Basic) is taken. Any other shape is refused.
 *
 * Token answer: {"token": ...} or {"access_token": ...} (token wins when both), "expires_in" seconds
 * (default 60, as Docker), "issued_at" ignored. A token is at most 64 KiB of visible ASCII.
 *
 * Secrets (passwords, tokens) never appear in a message or a log; the builders below put them only into
 * the header text they return, which the caller zeroes (wctr_secure_zero) before freeing. */
#ifndef WCTR_IMAGES_AUTH_H
#define WCTR_IMAGES_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum img_auth_scheme { IMG_AUTH_NONE = 0, IMG_AUTH_BASIC, IMG_AUTH_BEARER } img_auth_scheme;

typedef struct img_challenge {
  img_auth_scheme scheme;
  char realm[1024];
  char service[256];
  char scope[512];
} img_challenge;

/* Parses the header's value. WCTR_EINVAL ("the registry's WWW-Authenticate header cannot be read: ..."). */
wctr_err img_challenge_parse(const char *header, img_challenge *out, wctr_errmsg *e);

/* The token server's URL: realm?service=S&scope=SCOPE (each URL-encoded; scope given, or the challenge's).
 * WCTR_EINVAL when the realm is not an http(s) URL. */
wctr_err img_token_url(const img_challenge *c, const char *scope, char *out, size_t size, wctr_errmsg *e);

/* The token from the server's JSON body; *token malloc'ed (zero and free it). */
wctr_err img_token_parse(const char *body, size_t len, char **token, int64_t *expires_in, wctr_errmsg *e);

/* "Basic base64(user:password)" and "Bearer TOKEN": malloc'ed, NULL when out of memory. */
char *img_basic_header(const char *user, const char *password);
char *img_bearer_header(const char *token);

/* %XX-encodes everything outside RFC 3986's unreserved set. WCTR_ETOOBIG when out is too small. */
wctr_err img_url_encode(const char *text, char *out, size_t size);

/* Credentials for one registry, as the client hands them over (never stored by wctrd). */
typedef struct img_credentials {
  char *user;     /* NULL: anonymous */
  char *password; /* or an identity token */
} img_credentials;
void img_credentials_clear(img_credentials *c); /* zeroes and frees; accepts a zeroed one */

#endif
