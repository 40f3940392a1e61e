/* common/fs.h - the few file-system operations the service's stores need, portable (common/fs_win.c with
 * wide-character Win32 calls; common/fs_posix.c for the native lane, so that the container manager, its
 * record store and its log store are tested natively under ASan/UBSan).
 *
 * Paths are UTF-8. On Windows every path goes through wctr_utf8_to_wide, never an ANSI call. Errors are
 * wctr_err values translated from the system's (WCTR_ENOENT, WCTR_EEXIST, WCTR_ENOSPC, ...); functions that
 * take a wctr_errmsg fill it with a sentence naming the path, and the Windows implementation logs the
 * failing call with its code where it happens.
 *
 * Atomic writes: wctr_fs_write_atomic writes path.tmp, flushes it to the disk, and renames it over path
 * with write-through, so a crash at any instant leaves the old file or the new one, never a mix; a
 * leftover path.tmp is the caller's to sweep. */
#ifndef WCTR_COMMON_FS_H
#define WCTR_COMMON_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#ifdef _WIN32
#define WCTR_FS_SEP "\\"
#else
#define WCTR_FS_SEP "/"
#endif

/* Joins a and b with the separator into out; WCTR_ETOOBIG when it does not fit (nothing is truncated
 * silently: SQLite's checked path lengths). */
wctr_err wctr_fs_join(char *out, size_t size, const char *a, const char *b);

/* Creates one folder (its parent must exist). WCTR_EEXIST when something exists there. */
wctr_err wctr_fs_mkdir(const char *path, wctr_errmsg *e);
bool wctr_fs_is_dir(const char *path);
bool wctr_fs_exists(const char *path);
/* Renames (replacing an existing file when replace); write-through on Windows. */
wctr_err wctr_fs_rename(const char *from, const char *to, bool replace, wctr_errmsg *e);
/* Removes a file; a missing file is WCTR_OK. */
wctr_err wctr_fs_remove(const char *path);
/* Removes a folder and everything in it, never following links or reparse points (a link is removed as a
 * link). WCTR_OK when the folder is gone (or never existed). */
wctr_err wctr_fs_remove_tree(const char *path, wctr_errmsg *e);
/* Calls fn for each entry of a folder but "." and "..", in no particular order; stops early when fn
 * returns false. WCTR_ENOENT when the folder does not exist. */
wctr_err wctr_fs_list(const char *dir, bool (*fn)(void *ctx, const char *name, bool is_dir), void *ctx);

/* What a path names, without following a link: WCTR_FS_LINK is a symbolic link (POSIX) or any reparse
 * point (Windows: symbolic links, junctions, mount points), which callers that must stay inside a folder
 * never follow. mtime: seconds since 1970. WCTR_ENOENT when nothing is there. */
typedef enum wctr_fs_kind { WCTR_FS_FILE = 1, WCTR_FS_DIR, WCTR_FS_LINK } wctr_fs_kind;
typedef struct wctr_fs_info {
  wctr_fs_kind kind;
  uint64_t size;
  int64_t mtime;
} wctr_fs_info;
wctr_err wctr_fs_stat(const char *path, wctr_fs_info *out);
/* Sets the last-write time of a file or folder (sec since 1970, nsec 0..999999999; kept to 100 ns on Windows),
 * never following a link (a link gets its own time). The access time is left as it is. WCTR_EINVAL for a time
 * the file system cannot hold (before 1601 on Windows). */
wctr_err wctr_fs_set_mtime(const char *path, int64_t sec, uint32_t nsec, wctr_errmsg *e);

/* The whole file, at most max bytes (WCTR_ETOOBIG beyond), NUL-terminated; *out malloc'ed. */
wctr_err wctr_fs_read_all(const char *path, size_t max, char **out, size_t *len);
wctr_err wctr_fs_write_atomic(const char *path, const void *data, size_t len, wctr_errmsg *e);

/* An open file. */
typedef struct wctr_file wctr_file;
typedef enum wctr_file_mode {
  WCTR_FILE_READ = 1, /* existing file, shared for reading, writing and deleting/renaming by others */
  WCTR_FILE_APPEND,   /* created when missing; every write lands at the end */
  WCTR_FILE_TRUNCATE, /* created or emptied; writes append */
  WCTR_FILE_SCRATCH,  /* created new (WCTR_EEXIST when it exists), written (writes append) and read back; gone
                         when closed or when the process ends, a crash included: deleted on close on Windows,
                         unlinked at once on POSIX (a crash leaves nothing to sweep) */
} wctr_file_mode;

wctr_err wctr_file_open(const char *path, wctr_file_mode mode, wctr_file **out, wctr_errmsg *e);
void wctr_file_close(wctr_file *f); /* accepts NULL */
/* Writes all of len bytes or fails (a short write is an error). */
wctr_err wctr_file_write(wctr_file *f, const void *data, size_t len);
/* Reads at most len bytes at offset; *got 0 at the end. */
wctr_err wctr_file_pread(wctr_file *f, uint64_t offset, void *buf, size_t len, size_t *got);
wctr_err wctr_file_size(wctr_file *f, uint64_t *size);
/* Flushes to the disk (FlushFileBuffers / fsync). */
wctr_err wctr_file_sync(wctr_file *f);

/* Test seam: when set, wctr_file_write calls it first; a non-OK result fails the write with that error
 * (disk full, I/O error) without writing. NULL in production. */
extern wctr_err (*wctr_fs_write_hook)(const char *what, size_t len);

#endif
