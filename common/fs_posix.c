/* common/fs_posix.c - common/fs.h for the native lane (POSIX). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"

struct wctr_file {
  int fd;
};

static wctr_err from_errno(int code) {
  switch (code) {
    case ENOENT: case ENOTDIR: return WCTR_ENOENT;
    case EEXIST: case ENOTEMPTY: return WCTR_EEXIST;
    case EACCES: case EPERM: return WCTR_EACCES;
    case ENOSPC: case EDQUOT: return WCTR_ENOSPC;
    case ENOMEM: return WCTR_ENOMEM;
    case EBUSY: return WCTR_EBUSY;
    case EINVAL: case ENAMETOOLONG: return WCTR_EINVAL;
    default: return WCTR_EIO;
  }
}

static wctr_err fail_errno(wctr_errmsg *e, int code, const char *what, const char *path) {
  return wctr_fail(e, from_errno(code), "cannot %s %s: %s", what, path, strerror(code));
}

wctr_err wctr_fs_mkdir(const char *path, wctr_errmsg *e) {
  if (mkdir(path, 0700) == 0) return WCTR_OK;
  return fail_errno(e, errno, "create", path);
}

bool wctr_fs_is_dir(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

wctr_err wctr_fs_stat(const char *path, wctr_fs_info *out) {
  struct stat st;
  memset(out, 0, sizeof *out);
  if (lstat(path, &st) != 0) return from_errno(errno);
  out->kind = S_ISLNK(st.st_mode) ? WCTR_FS_LINK : S_ISDIR(st.st_mode) ? WCTR_FS_DIR : WCTR_FS_FILE;
  out->size = out->kind == WCTR_FS_FILE ? (uint64_t)st.st_size : 0;
  out->mtime = (int64_t)st.st_mtime;
  return WCTR_OK;
}

wctr_err wctr_fs_set_mtime(const char *path, int64_t sec, uint32_t nsec, wctr_errmsg *e) {
  if (nsec > 999999999u || (sizeof(time_t) < sizeof sec && (sec > INT32_MAX || sec < INT32_MIN))) {
    return wctr_fail(e, WCTR_EINVAL, "%s: the time %lld.%09u cannot be set", path, (long long)sec, nsec);
  }
  struct timespec ts[2];
  ts[0].tv_sec = 0;
  ts[0].tv_nsec = UTIME_OMIT;
  ts[1].tv_sec = (time_t)sec;
  ts[1].tv_nsec = (long)nsec;
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0) return WCTR_OK;
  return fail_errno(e, errno, "set the time of", path);
}

bool wctr_fs_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

wctr_err wctr_fs_rename(const char *from, const char *to, bool replace, wctr_errmsg *e) {
  if (!replace && wctr_fs_exists(to)) return wctr_fail(e, WCTR_EEXIST, "cannot rename %s: %s exists", from, to);
  if (rename(from, to) == 0) return WCTR_OK;
  return fail_errno(e, errno, "rename", from);
}

wctr_err wctr_fs_remove(const char *path) {
  if (unlink(path) == 0 || errno == ENOENT) return WCTR_OK;
  return from_errno(errno);
}

static wctr_err remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return errno == ENOENT ? WCTR_OK : from_errno(errno);
  if (!S_ISDIR(st.st_mode)) return unlink(path) == 0 ? WCTR_OK : from_errno(errno);
  DIR *d = opendir(path);
  if (d != NULL) {
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
      if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
      char child[4096];
      if (wctr_fs_join(child, sizeof child, path, ent->d_name) != WCTR_OK) continue;
      remove_tree(child); /* a symbolic link is unlinked by lstat's branch above, never followed */
    }
    closedir(d);
  }
  return rmdir(path) == 0 ? WCTR_OK : from_errno(errno);
}

wctr_err wctr_fs_remove_tree(const char *path, wctr_errmsg *e) {
  wctr_err err = remove_tree(path);
  if (err != WCTR_OK) return wctr_fail(e, err, "cannot remove %s", path);
  return WCTR_OK;
}

wctr_err wctr_fs_list(const char *dir, bool (*fn)(void *ctx, const char *name, bool is_dir), void *ctx) {
  DIR *d = opendir(dir);
  if (d == NULL) return from_errno(errno);
  struct dirent *ent;
  while ((ent = readdir(d)) != NULL) {
    if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) continue;
    char child[4096];
    bool is_dir = wctr_fs_join(child, sizeof child, dir, ent->d_name) == WCTR_OK && wctr_fs_is_dir(child);
    if (!fn(ctx, ent->d_name, is_dir)) break;
  }
  closedir(d);
  return WCTR_OK;
}

wctr_err wctr_fs_read_all(const char *path, size_t max, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return from_errno(errno);
  struct stat st;
  wctr_err err = WCTR_OK;
  char *buf = NULL;
  if (fstat(fd, &st) != 0) {
    err = from_errno(errno);
  } else if ((uint64_t)st.st_size > max) {
    err = WCTR_ETOOBIG;
  } else if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
    err = WCTR_ENOMEM;
  } else {
    size_t have = 0;
    while (have < (size_t)st.st_size) {
      ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      have += (size_t)n;
    }
    buf[have] = '\0';
    *len = have;
  }
  close(fd);
  if (err != WCTR_OK) {
    free(buf);
    return err;
  }
  *out = buf;
  return WCTR_OK;
}

static wctr_err write_fd(int fd, const void *data, size_t len, const char *what) {
  if (wctr_fs_write_hook != NULL) {
    wctr_err hooked = wctr_fs_write_hook(what, len);
    if (hooked != WCTR_OK) return hooked;
  }
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return from_errno(n < 0 ? errno : EIO);
    p += n;
    len -= (size_t)n;
  }
  return WCTR_OK;
}

wctr_err wctr_fs_write_atomic(const char *path, const void *data, size_t len, wctr_errmsg *e) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return wctr_fail(e, WCTR_ETOOBIG, "path too long: %s", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail_errno(e, errno, "write", tmp);
  wctr_err err = write_fd(fd, data, len, path);
  if (err == WCTR_OK && fsync(fd) != 0) err = from_errno(errno);
  close(fd);
  if (err == WCTR_OK && rename(tmp, path) != 0) err = from_errno(errno);
  if (err != WCTR_OK) {
    unlink(tmp);
    return wctr_fail(e, err, "cannot write %s: %s", path, wctr_strerror(err));
  }
  return WCTR_OK;
}

wctr_err wctr_file_open(const char *path, wctr_file_mode mode, wctr_file **out, wctr_errmsg *e) {
  int flags = O_CLOEXEC;
  if (mode == WCTR_FILE_READ) flags |= O_RDONLY;
  if (mode == WCTR_FILE_APPEND) flags |= O_WRONLY | O_CREAT | O_APPEND;
  if (mode == WCTR_FILE_TRUNCATE) flags |= O_WRONLY | O_CREAT | O_TRUNC | O_APPEND;
  if (mode == WCTR_FILE_SCRATCH) flags |= O_RDWR | O_CREAT | O_EXCL | O_APPEND;
  int fd = open(path, flags, 0600);
  if (fd < 0) return fail_errno(e, errno, "open", path);
  if (mode == WCTR_FILE_SCRATCH && unlink(path) != 0) {
    int code = errno;
    close(fd);
    return fail_errno(e, code, "unlink", path);
  }
  wctr_file *f = malloc(sizeof *f);
  if (f == NULL) {
    close(fd);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  f->fd = fd;
  *out = f;
  return WCTR_OK;
}

void wctr_file_close(wctr_file *f) {
  if (f == NULL) return;
  close(f->fd);
  free(f);
}

wctr_err wctr_file_write(wctr_file *f, const void *data, size_t len) { return write_fd(f->fd, data, len, "file"); }

wctr_err wctr_file_pread(wctr_file *f, uint64_t offset, void *buf, size_t len, size_t *got) {
  *got = 0;
  for (;;) {
    ssize_t n = pread(f->fd, buf, len, (off_t)offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return from_errno(errno);
    *got = (size_t)n;
    return WCTR_OK;
  }
}

wctr_err wctr_file_size(wctr_file *f, uint64_t *size) {
  struct stat st;
  if (fstat(f->fd, &st) != 0) return from_errno(errno);
  *size = (uint64_t)st.st_size;
  return WCTR_OK;
}

wctr_err wctr_file_sync(wctr_file *f) { return fsync(f->fd) == 0 ? WCTR_OK : from_errno(errno); }
