/* gmsa/source.h - where a credential spec comes from: `--security-opt credentialspec=VALUE`. Portable.
 *
 * The checks live in spec/credspec_source.h (spec/ checks a create request's security options and may not
 * include gmsa/, a higher module); this header keeps gmsa's names for them, so the resolver, compose and
 * the CLI read as before. The rules, the messages and the ownership are those of spec/credspec_source.h:
 *   GMSA_SOURCE_MSG_PREFIX    = SPEC_CREDSPEC_MSG_PREFIX   (no "://", an unknown scheme, nothing after it)
 *   GMSA_SOURCE_MSG_ABSOLUTE  = SPEC_CREDSPEC_MSG_ABSOLUTE (file:// with a root or a drive)
 *   GMSA_SOURCE_MSG_UNDER     = SPEC_CREDSPEC_MSG_UNDER    (file:// climbing out of credentialspecs)
 * A gmsa_source's value is allocated with cJSON_malloc and zeroed by gmsa_source_free, as gmsa_util.h
 * requires of every block the gmsa module hands out.
 *
 * NOT DONE HERE - the Windows layer's job (gmsa/resolve.h): a file:// path that passes these checks can
 * still leave the folder through a reparse point, which no string check can see. */
#ifndef WCTR_GMSA_SOURCE_H
#define WCTR_GMSA_SOURCE_H

#include <stddef.h>

#include "common/error.h"
#include "spec/credspec_source.h"

#define GMSA_SOURCE_PATH_MAX SPEC_CREDSPEC_PATH_MAX
#define GMSA_SOURCE_REGISTRY_NAME_MAX SPEC_CREDSPEC_REGISTRY_NAME_MAX
#define GMSA_SOURCE_MSG_PREFIX SPEC_CREDSPEC_MSG_PREFIX
#define GMSA_SOURCE_MSG_ABSOLUTE SPEC_CREDSPEC_MSG_ABSOLUTE
#define GMSA_SOURCE_MSG_UNDER SPEC_CREDSPEC_MSG_UNDER

typedef spec_credspec_kind gmsa_source_kind;
#define GMSA_SOURCE_FILE SPEC_CREDSPEC_FILE
#define GMSA_SOURCE_REGISTRY SPEC_CREDSPEC_REGISTRY
#define GMSA_SOURCE_CONFIG SPEC_CREDSPEC_CONFIG
#define GMSA_SOURCE_RAW SPEC_CREDSPEC_RAW

typedef spec_credspec_source gmsa_source;

/* spec_credspec_source_parse. */
wctr_err gmsa_source_parse(const char *option, const char *credspec_dir, gmsa_source *out, wctr_errmsg *e);
/* spec_credspec_source_make. */
wctr_err gmsa_source_make(gmsa_source_kind kind, const char *value, const char *credspec_dir, gmsa_source *out,
                          wctr_errmsg *e);
/* spec_credspec_source_free. */
void gmsa_source_free(gmsa_source *src);
/* "file", "registry", "config", "raw"; "unknown" for anything else. */
const char *gmsa_source_kind_name(gmsa_source_kind kind);

#endif
