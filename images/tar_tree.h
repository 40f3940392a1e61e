/* images/tar_tree.h - folders and files as tar streams and back (portable, through common/fs.h): what
 * `wctr cp` and the container archive operations (service/manager_archive.c) share.
 *
 * Container paths. A path inside a container is written the Windows way, "C:\dir\file", "\dir\file",
 * "dir\file" (relative to C:\), or with '/' (docker on Linux sends "/dir/file"). img_cpath_parse turns it
 * into a relative '/'-separated path under the container's root ("" for the root itself). Refused
 * (WCTR_EINVAL naming the path): another drive ("D:\x"), a drive-relative or device path ("C:x", "\\?\..",
 * UNC "\\server\share"), a ".." component (wctr never resolves a path that could leave the root, so none is
 * taken: Docker resolves ".." lexically inside the root; wctr asks for the path without it), and a component
 * that is no Windows name (img_name_valid). "." components are dropped.
 *
 * Links. Nothing here follows a link: a path whose component (under the root) is a symbolic link or any
 * reparse point (junction, mount point) is refused (WCTR_EINVAL naming it), in a stat, a pack and an
 * extraction's destination alike, and a tree being packed that holds one is refused, so nothing outside the
 * root is ever read or written through one.
 *
 * Packing: img_tree_pack writes a file or a folder (recursively, every entry, folders before their
 * contents) as tar entries named TOP[/...] (TOP "." for the root: "./x"), mode 0644 / 0755, the files'
 * mtimes. It does not end the archive.
 *
 * Extraction: img_tree_extract reads a tar (images/tar.h, any size) into dest, a folder that must exist.
 * Entries are regular files and folders; any other type (links, devices) is refused naming the entry, as is
 * a name with a ".." component, an absolute name or a component that is no Windows name. The first
 * component of each name may be renamed (strip -> replace; replace "" drops it: "copy the contents").
 * Nothing half-written: the archive is first extracted whole into a staging folder inside dest
 * (".wctr-cp-" + 16 hex digits); only once it was read to its end are the staged entries moved into place
 * (folders merged, files replaced, as Docker's extraction does). A folder where the archive has a file (or
 * the reverse) is refused before anything moves when no_overwrite_dir_nondir (Docker's
 * noOverwriteDirNonDir, which docker cp always sets: "cannot overwrite directory X with non-directory Y"),
 * and replaced otherwise. The staging folder is removed in every case. Files and the folders the archive
 * names keep the archive's modification times (wctr_fs_set_mtime, to the 100 ns a Windows file holds; a time
 * before 1601 leaves the copy's own; a folder that already existed gets the time of the change). Modes are not
 * kept: Docker on Windows applies a mode through Go's os.Chmod, which only sets the read-only attribute when
 * the owner's write bit is missing; wctr leaves every extracted file writable (docs/cli.md). */
#ifndef WCTR_IMAGES_TAR_TREE_H
#define WCTR_IMAGES_TAR_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/fs.h"
#include "images/tar.h"
#include "images/tar_write.h"

#define IMG_PATH_MAX 4096

/* A Windows file or folder name: 1..255 bytes, no control character, none of <>:"/\|?*, not ending with a
 * space or a dot (but "." itself is no name either), not a device (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with
 * or without an extension, any case). */
bool img_name_valid(const char *name, size_t len);

/* A container path as a relative '/'-separated path; rel "" is the root. *dir_hint: the path ended with a
 * separator or "\." (what docker cp's rules look at). */
wctr_err img_cpath_parse(const char *path, char *rel, size_t size, bool *dir_hint, wctr_errmsg *e);

/* root joined with rel ('/' turned into the host's separator) into out, checking that no component under
 * root is a link (WCTR_EINVAL naming it); *info what the path is (WCTR_ENOENT when nothing is there, with a
 * sentence naming rel: callers say Docker's own). */
wctr_err img_tree_resolve(const char *root, const char *rel, char *out, size_t size, wctr_fs_info *info,
                          wctr_errmsg *e);

/* Writes path (a file or a folder) as entries named top[/...]. */
wctr_err img_tree_pack(const char *path, const char *top, img_tarw *w, wctr_errmsg *e);

typedef struct img_tree_extract_opts {
  const char *strip;   /* NULL: names as they are; else a first component equal to strip... */
  const char *replace; /* ...becomes replace ("" drops it) */
  bool no_overwrite_dir_nondir;
} img_tree_extract_opts;

/* *entries: how many archive entries were placed. */
wctr_err img_tree_extract(img_tar_read_fn read, void *ctx, const char *dest, const img_tree_extract_opts *opts,
                          uint64_t *entries, wctr_errmsg *e);

#endif
