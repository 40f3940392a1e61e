/* spec/credspec_source.h - where a credential spec comes from: `--security-opt credentialspec=VALUE`.
 * Portable. Moved here from gmsa/source.h so that spec/ can check a security option without including
 * gmsa/ (a higher module); gmsa/source.h re-exports it under its old names.
 *
 * VALUE is SCHEME://REST, as Docker takes it (moby daemon/oci_windows.go):
 *   file://NAME      a file under <data-root>\credentialspecs (NAME relative, may have folders)
 *   registry://NAME  a value under HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Virtualization\
 *                    Containers\CredentialSpecs
 *   config://NAME    a compose/stack config (wctr accepts it everywhere; Docker only for Swarm tasks)
 *   raw://JSON       the credential spec itself
 * The scheme is matched ignoring ASCII case, as Docker does ("RAW://" works). This module only checks
 * and normalises VALUE; reading the file, the registry or the config, and checking the JSON
 * (gmsa/credspec.h), is the caller's.
 *
 * Errors (all WCTR_EINVAL, except WCTR_ETOOBIG and WCTR_ENOMEM). The three messages Docker also has
 * are macros below, so every caller and test uses the same text:
 *   no "://", an unknown scheme, or nothing after "://" (SPEC_CREDSPEC_MSG_PREFIX, Docker's sentence with
 *   config:// added to its list):
 *     invalid credential spec security option - value must be prefixed by 'file://', 'registry://',
 *     'config://', or 'raw://' followed by a non-empty value
 *   file:// with a root or a drive (C:\x, C:x, a:b, \x, /x, \\server\share, \\?\C:\x, \\.\NUL)
 *   (SPEC_CREDSPEC_MSG_ABSOLUTE):
 *     invalid credential spec: file:// path cannot be absolute
 *   file:// with a ".." that climbs above the folder at any point, even if later components come back
 *   into it ("..\credentialspecs\x.json") (SPEC_CREDSPEC_MSG_UNDER):
 *     invalid credential spec: file:// path must be under <dir>
 *   with <dir> the credentialspecs folder the caller passes in (only used in this message).
 *   (moby itself writes "invalid credential spec - file:// path ..."; these follow the wording in
 *   wctr's reference notes, with ':'.)
 * Other file:// rules (wctr's own, because the Windows layer opens the path as given):
 *   well-formed UTF-8; no control characters; no ':' (it would name an NTFS alternate data stream, as in
 *   "x.json:evil" or "x.json::$DATA"); none of < > " | ? * (wildcards and characters Windows does not
 *   allow in names); no empty component ("a\\b", a trailing '\'); no component ending in '.' or ' ' (Win32
 *   path normalisation strips those, so "x.json." would open "x.json" and ". ." is not what it seems);
 *   no reserved device name as a component, with or without extension and trailing spaces, in any case
 *   (CON, PRN, AUX, NUL, COM0-9, LPT0-9, COM and LPT with superscript 1-3, CONIN$, CONOUT$);
 *   components of at most 255 bytes; a path of at most SPEC_CREDSPEC_PATH_MAX bytes; at least one
 *   component left after "." and ".." are resolved ("a\.." names the folder itself).
 *   '/' and '\' both separate components. The value produced is the normalised relative path with '\'
 *   separators, "." removed and ".." resolved: "a/./b/../c.json" -> "a\c.json".
 * registry:// value names: well-formed UTF-8, no '\' (it must stay a value name of the one key), no
 *   control characters, at most 16383 bytes (the registry's limit for a value name).
 * config:// names: well-formed UTF-8, no control characters, no '/' or '\', not "." or "..".
 * raw:// : at most SPEC_CREDSPEC_MAX_BYTES; otherwise passed on as it is for gmsa_credspec_parse.
 *
 * NOT DONE HERE - the Windows layer's job: a file:// path that passes these checks can still leave the
 * folder through a reparse point (a symbolic link or junction anywhere in or under credentialspecs),
 * which no string check can see. The Windows layer must open the file and then compare the handle's
 * GetFinalPathNameByHandleW with the final path of the credentialspecs folder, refusing anything outside
 * it (FILE_FLAG_OPEN_REPARSE_POINT alone is not enough: it only stops at the last component).
 *
 * Secrets: a raw:// value is a whole credential spec and may hold PluginInput. No message here quotes a
 * raw:// value (file:// messages may quote the offending path component), and spec_credspec_source_free
 * zeros value before freeing it. */
#ifndef WCTR_SPEC_CREDSPEC_SOURCE_H
#define WCTR_SPEC_CREDSPEC_SOURCE_H

#include <stddef.h>

#include "common/error.h"

/* Longest file:// path accepted, in bytes (before normalisation). */
#define SPEC_CREDSPEC_PATH_MAX 1024
/* Longest registry value name, in bytes (the registry counts 16383 characters). */
#define SPEC_CREDSPEC_REGISTRY_NAME_MAX 16383
/* Largest credential spec accepted, in bytes (a raw:// value, a spec file). Real ones are under 2 KiB; the
 * limit bounds the work of parsing a file or a raw:// option from outside. */
#define SPEC_CREDSPEC_MAX_BYTES (64u * 1024u)
/* What is shown instead of a secret (PluginInput, a raw:// option's spec). */
#define SPEC_REDACTED "<redacted>"

#define SPEC_CREDSPEC_MSG_PREFIX                                                                   \
  "invalid credential spec security option - value must be prefixed by 'file://', 'registry://', " \
  "'config://', or 'raw://' followed by a non-empty value"
#define SPEC_CREDSPEC_MSG_ABSOLUTE "invalid credential spec: file:// path cannot be absolute"
/* Followed by the folder the caller passed in. */
#define SPEC_CREDSPEC_MSG_UNDER "invalid credential spec: file:// path must be under "

typedef enum spec_credspec_kind {
  SPEC_CREDSPEC_FILE = 1,
  SPEC_CREDSPEC_REGISTRY,
  SPEC_CREDSPEC_CONFIG,
  SPEC_CREDSPEC_RAW
} spec_credspec_kind;

typedef struct spec_credspec_source {
  spec_credspec_kind kind;
  /* file: the normalised relative path ('\' separators), to be joined under <data-root>\credentialspecs;
   * registry: the value name; config: the config's name; raw: the JSON text.
   * Owned; allocated with cJSON_malloc; freed (zeroed first) by spec_credspec_source_free. */
  char *value;
} spec_credspec_source;

/* Parses VALUE of credentialspec=VALUE (without "credentialspec="). credspec_dir is the credentialspecs
 * folder as people should read it (e.g. "C:\ProgramData\wctr\credentialspecs"); it is only used in the
 * "must be under" message and may be NULL when no file:// value is possible (the message then says
 * "the credentialspecs folder"). On success *out is filled and the caller calls spec_credspec_source_free;
 * on failure *out is zeroed and needs no free (calling spec_credspec_source_free on it is harmless). */
wctr_err spec_credspec_source_parse(const char *option, const char *credspec_dir, spec_credspec_source *out,
                                    wctr_errmsg *e);

/* The same checks for a kind and value that arrive separately, as in a compose file's
 * `credential_spec: {file: NAME}`. An empty value fails with "invalid credential spec: <kind>:// value
 * must not be empty". */
wctr_err spec_credspec_source_make(spec_credspec_kind kind, const char *value, const char *credspec_dir,
                                   spec_credspec_source *out, wctr_errmsg *e);

/* Zeros and frees src->value, then zeros *src. Accepts NULL and a zeroed struct. */
void spec_credspec_source_free(spec_credspec_source *src);

/* "file", "registry", "config", "raw"; "unknown" for anything else. */
const char *spec_credspec_kind_name(spec_credspec_kind kind);

#endif
