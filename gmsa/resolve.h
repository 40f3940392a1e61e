/* gmsa/resolve.h - from `credentialspec=VALUE` to a validated credential spec. Portable; the reading of
 * files and of the registry comes from callbacks, which gmsa/resolve_win.c provides on Windows.
 *
 * gmsa_resolve does, in order, and the first failure wins:
 *   1. gmsa_source_parse(VALUE, credspec_dir) - the scheme and, for file://, the path rules (no absolute
 *      path, no ".." escape, no stream, no device name...), with Docker's messages (gmsa/source.h);
 *   2. reads the text: file:// through read_file (the path relative to credspec_dir), registry:// through
 *      read_registry (the value name), raw:// is the text itself; config:// is refused here with
 *      GMSA_RESOLVE_MSG_CONFIG (a config belongs to a compose project: `wctr compose` reads the config's
 *      file and passes its content as raw://);
 *   3. gmsa_credspec_load - the JSON shape and the rules (gmsa/credspec.h); the message is prefixed with
 *      where the spec came from: `file://web.json: credential spec: DomainJoinConfig.Sid ...`.
 * On success *spec_json is the spec rendered again (gmsa_credspec_to_json; free with gmsa_secret_free) and
 * *source the source as shown to people (free with cJSON_free): "file://web.json" (normalised path),
 * "registry://NAME", or "raw://" (the content of a raw value is never shown). On failure both are NULL.
 *
 * The callbacks return WCTR_OK with *text (malloc'ed, len bytes, freed by gmsa_resolve after zeroing), or
 * a code with e filled: WCTR_ENOENT with a message naming what is missing, WCTR_EACCES for a reparse point
 * that leaves the folder, WCTR_ETOOBIG over GMSA_CREDSPEC_MAX_BYTES.
 *
 * Secrets: the text read is zeroed before it is freed; messages never quote a spec. */
#ifndef WCTR_GMSA_RESOLVE_H
#define WCTR_GMSA_RESOLVE_H

#include <stddef.h>

#include "common/error.h"

#define GMSA_REGISTRY_KEY \
  "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\Containers\\CredentialSpecs"
#define GMSA_RESOLVE_MSG_CONFIG                                                                        \
  "invalid credential spec: config:// is only available in compose files (wctr compose passes the config's " \
  "content as raw://)"

typedef struct gmsa_resolver {
  const char *credspec_dir; /* <data-root>\credentialspecs, for messages and for read_file */
  void *ctx;
  wctr_err (*read_file)(void *ctx, const char *credspec_dir, const char *relative, char **text, size_t *len,
                        wctr_errmsg *e);
  wctr_err (*read_registry)(void *ctx, const char *value_name, char **text, size_t *len, wctr_errmsg *e);
} gmsa_resolver;

wctr_err gmsa_resolve(const gmsa_resolver *r, const char *value, char **spec_json, char **source, wctr_errmsg *e);

/* Windows only (gmsa/resolve_win.c): the resolver of a data root. read_file opens
 * credspec_dir\relative, then compares the final path of the open handle (GetFinalPathNameByHandleW) with
 * the final path of credspec_dir and refuses a file outside it (a symbolic link or junction anywhere on
 * the way); read_registry reads the REG_SZ value under HKLM\GMSA_REGISTRY_KEY. */
void gmsa_resolver_windows(const char *credspec_dir, gmsa_resolver *out);
/* The same file check for callers that read a spec themselves (`wctr credentialspec inspect`). */
wctr_err gmsa_read_spec_file(const char *credspec_dir, const char *relative, char **text, size_t *len,
                             wctr_errmsg *e);

#endif
