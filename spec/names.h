/* spec/names.h - the names and paths wctr takes from outside, one canonical rule per kind (portable; fuzzed
 * by tests/spec/fuzz_names.c). Every entry point uses these and never a copy of its own: the pipe's
 * container.create (spec_from_json, through which `wctr run`/`create` and `wctr compose up` go) and
 * credentialspec.add, and compose's own checks before anything is created.
 *
 *   a Windows device name      spec_is_device_name: secret targets, credential spec names, file:// paths,
 *                              path components
 *   a file name                spec_file_name_check: secret targets, credential spec store names
 *   a credential spec name     spec_credspec_name_check: `wctr credentialspec add NAME`
 *   a path                     spec_path_normalize: -v host and container paths (spec_mount_parse), the data
 *                              root, working directories
 *   a path inside another      spec_path_within: the secrets mount point, the data root
 *   a working directory        spec_working_dir_check
 *
 * Windows resolves "." and "..", drops the dot or space at the end of a component and opens a device for
 * "NUL" in any folder, so a string check that does not do the same can be walked around ("C:\x\.." is the
 * drive's root, "nul .txt" is the NUL device). These rules either resolve what Windows would resolve, or
 * refuse what is ambiguous. What no string check can see - a short 8.3 name (PROGRA~3), a symbolic link or
 * junction - is the Windows layer's. */
#ifndef WCTR_SPEC_NAMES_H
#define WCTR_SPEC_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* The longest component of a path Windows takes (255 UTF-16 units; counted here in bytes, stricter). */
#define SPEC_NAME_MAX 255
/* The longest path these rules take, in bytes. */
#define SPEC_PATH_MAX 1024

/* Is the component (len bytes) a DOS device name? Windows maps it to a device in any folder: the part
 * before the first '.', without the spaces at its end, in any case, is one of CON, PRN, AUX, NUL, COM0-COM9,
 * LPT0-LPT9, COM and LPT followed by superscript 1, 2 or 3 (U+00B9, U+00B2, U+00B3), CONIN$, CONOUT$.
 * "nul", "NUL.txt", "nul .txt", "com\xc2\xb9.log" are devices; "nullx", "con-1" are not. */
bool spec_is_device_name(const char *component, size_t len);

/* One file name as Windows takes it, for what people call `what` ("target", "credential spec name"):
 * 1 to max bytes of well-formed UTF-8; no control character and none of \ / : * ? " < > |; not "." or "..";
 * not ending in a dot or a space (Windows would drop them: "x." opens "x"); not a device name. WCTR_EINVAL
 * with where and what: `params.Secrets[0]: target "nul .txt" is a Windows device name` (the value quoted with
 * spec_quote, never more than 64 bytes of it). */
wctr_err spec_file_name_check(const char *name, size_t max, const char *what, const char *where, wctr_errmsg *e);

/* A credential spec's name in the store (<data-root>\credentialspecs\NAME): spec_file_name_check with max
 * SPEC_NAME_MAX, and not ending in ".tmp" in any case - the store writes NAME.tmp before it renames it, and
 * hides such files from its listing. */
wctr_err spec_credspec_name_check(const char *name, const char *where, wctr_errmsg *e);

/* An absolute path in its normal form. Absolute: a drive letter, ':' and a separator ("C:\x", "c:/x"), or a
 * UNC path ("\\server\share\x", whose root is \\server\share; not "\\?\" or "\\.\", device paths). '/' and
 * '\' both separate; repeated separators count as one; "." components are dropped and ".." removes the one
 * before it; a trailing separator goes. The normal form (malloc'ed into *out) uses '\' and keeps the case
 * as given: "c:/a/./b/../c/" -> "c:\a\c", "C:\x\.." -> "C:\", "\\srv\share\..\x"... refused (".." above
 * the root). Refused (WCTR_EINVAL, a sentence naming what after what is about, e.g. "the container path"):
 * not absolute; ".." above the root; a component ending in a dot or a space, holding a control character or
 * one of : * ? " < > |, longer than SPEC_NAME_MAX bytes, or a device name; not UTF-8; longer than
 * SPEC_PATH_MAX bytes. is_root (may be NULL): the result is the root itself ("C:\", "\\srv\share"). */
wctr_err spec_path_normalize(const char *path, const char *what, char **out, bool *is_root, wctr_errmsg *e);

/* Is the normal-form path inside base, or base itself (both normal forms; ASCII letters compared without
 * case, as Windows compares names; other bytes exactly, which errs on the side of "different")? */
bool spec_path_within(const char *path, const char *base);

/* A working directory ("WorkingDir", -w): absolute with a drive letter ("C:\app") or UNC, in any isolation
 * (Docker's rule; a relative one resolved against wctrd's own folder for a job container). Docker's
 * message: "the working directory 'app' is invalid, it needs to be an absolute path" (WCTR_EINVAL). The
 * value is kept as given; Windows resolves "." and ".." in it. */
wctr_err spec_working_dir_check(const char *dir, const char *where, wctr_errmsg *e);

#endif
