/* cli/cp.c - wctr cp / wctr container cp: files between a container and the local file system, docker cp's
 * way (docs/cli.md). The local side is packed and unpacked here (images/tar_tree.h), the container's by wctrd
 * (container.archive.stat/get/put, service/manager.h); `-` is a tar on stdin or stdout as it is.
 *
 * docker/cli's rules: SRC a file -> DEST a folder gets DEST\NAME, an existing file is replaced, a missing
 * DEST is created as that file (a missing DEST ending in a separator is an error); SRC a folder -> into an
 * existing folder DEST as DEST\NAME, or its contents only when SRC ends in "\." (or "/."); a missing DEST is
 * created with SRC's contents; an existing file DEST is an error. A local argument is one that is "-", is
 * absolute ("C:\x", "\x"), or starts with "."; otherwise CONTAINER:PATH splits at the first colon.
 * Refused flags (125): -a (Windows files carry no uid/gid; dockerd on Windows has nothing to copy) and -L
 * (wctr never follows links, locally or in a container: images/tar_tree.h). Failures: exit 1. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "common/fs.h"
#include "common/random.h"
#include "images/tar_tree.h"
#include "images/tar_write.h"

enum { O_ARCHIVE = 1, O_FOLLOW };

#define PACK_TOP "wctr-cp-top"

const char cli_cp_usage[] =
    "Usage: wctr cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
    "       wctr cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n\n"
    "Copy files or folders between a container and the local file system, as docker cp does. '-' reads or writes a\n"
    "tar archive on STDIN/STDOUT. A job container's C:\\ is its sandbox folder; a process-isolated one's while it\n"
    "runs. wctr never follows links (symbolic links and junctions are refused) and places nothing until the whole\n"
    "archive arrived.\n\nOptions:\n"
    "  -a, --archive       Refused: Windows files have no uid/gid to copy\n"
    "  -L, --follow-link   Refused: wctr never follows links\n";

typedef struct cp_flags {
  bool archive; /* -a: refused when it ends up true (the last of its values wins) */
  bool follow;  /* -L: the same */
} cp_flags;

static bool cp_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  cp_flags *f = arg;
  if (id == O_ARCHIVE) f->archive = wctr_opts_flag(v);
  if (id == O_FOLLOW) f->follow = wctr_opts_flag(v);
  return true;
}

static bool is_sep(char c) { return c == '\\' || c == '/'; }

/* Is arg local (docker/cli's splitCpArg on Windows)? */
static bool local_arg(const char *arg) {
  if (strcmp(arg, "-") == 0 || arg[0] == '.' || is_sep(arg[0])) return true;
  if (((arg[0] >= 'a' && arg[0] <= 'z') || (arg[0] >= 'A' && arg[0] <= 'Z')) && arg[1] == ':') return true;
  return strchr(arg, ':') == NULL;
}

/* The last component of a local path (trailing separators and "." ignored); "" when none. */
static void local_base(const char *path, char *out, size_t size) {
  size_t n = strlen(path);
  for (;;) {
    while (n > 0 && is_sep(path[n - 1])) n--;
    if (n >= 2 && path[n - 1] == '.' && is_sep(path[n - 2])) {
      n -= 2;
      continue;
    }
    break;
  }
  size_t start = n;
  while (start > 0 && !is_sep(path[start - 1]) && path[start - 1] != ':') start--;
  snprintf(out, size, "%.*s", (int)(n - start), path + start);
}

/* The folder holding path's last component ("." when none). */
static void local_parent(const char *path, char *out, size_t size) {
  size_t n = strlen(path);
  while (n > 0 && is_sep(path[n - 1])) n--;
  while (n > 0 && !is_sep(path[n - 1])) n--;
  if (n == 0) {
    snprintf(out, size, ".");
    return;
  }
  size_t keep = n;
  while (keep > 1 && is_sep(path[keep - 1])) keep--;
  if (keep == 2 && path[1] == ':') keep = 3; /* "C:\" itself */
  snprintf(out, size, "%.*s", (int)keep, path);
}

static bool ends_with_dot(const char *path) {
  size_t n = strlen(path);
  return n >= 2 && path[n - 1] == '.' && is_sep(path[n - 2]);
}

static bool ends_with_sep(const char *path) {
  size_t n = strlen(path);
  return n > 0 && is_sep(path[n - 1]);
}

/* A temporary tar beside nothing of the user's: %TEMP% (or %TMP%), else the current folder. */
static void temp_tar(cli_ctx *ctx, char *out, size_t size) {
  const char *dir = ctx->p->getenv != NULL ? ctx->p->getenv(ctx->p->ctx, "TEMP") : NULL;
  if (dir == NULL || dir[0] == '\0') dir = ctx->p->getenv != NULL ? ctx->p->getenv(ctx->p->ctx, "TMP") : NULL;
  if (dir == NULL || dir[0] == '\0') dir = ".";
  uint8_t r[8] = {0};
  (void)wctr_random_bytes(r, sizeof r);
  char name[64];
  snprintf(name, sizeof name, "wctr-cp-%02x%02x%02x%02x%02x%02x%02x%02x.tar", r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
  if (wctr_fs_join(out, size, dir, name) != WCTR_OK) snprintf(out, size, "%s", name);
}

static int fail(cli_ctx *ctx, const char *fmt, ...) WCTR_PRINTF(2, 3);
static int fail(cli_ctx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("wctr: ", ctx->p->err);
  vfprintf(ctx->p->err, fmt, ap);
  fputc('\n', ctx->p->err);
  va_end(ap);
  return CLI_EXIT_ERROR;
}

static cJSON *archive_params(const char *container, const char *path) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Id", container);
  cJSON_AddStringToObject(p, "Path", path);
  return p;
}

/* --- from the container ------------------------------------------------------------------------------------ */

typedef struct get_view {
  cli_ctx *ctx;
  wctr_file *file; /* NULL: to stdout */
  bool failed;
} get_view;

static void get_frame(void *arg, const char *kind, const cJSON *data) {
  get_view *v = arg;
  if (strcmp(kind, "stdout") != 0 || v->failed) return;
  char *bytes = NULL;
  size_t len = 0;
  if (!cli_frame_bytes(data, &bytes, &len)) return;
  if (v->file == NULL) {
    cli_write_output(v->ctx, v->ctx->p->out, bytes, len);
  } else if (wctr_file_write(v->file, bytes, len) != WCTR_OK) {
    v->failed = true;
  }
  free(bytes);
}

typedef struct file_src {
  wctr_file *f;
  uint64_t pos;
} file_src;

static wctr_err file_read(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  file_src *s = ctx;
  wctr_err err = wctr_file_pread(s->f, s->pos, buf, size, got);
  if (err != WCTR_OK) return wctr_fail(e, err, "the downloaded archive cannot be read");
  s->pos += *got;
  return WCTR_OK;
}

static int copy_from(cli_ctx *ctx, const char *container, const char *src, const char *dest) {
  int rc = 0;
  cJSON *stat = NULL;
  wctr_errmsg e;
  if (strcmp(dest, "-") == 0) {
    get_view v = {.ctx = ctx};
    cJSON *result = NULL;
    bool ok = cli_stream(ctx, "container.archive.get", archive_params(container, src), get_frame, &v, &result, &rc);
    cJSON_Delete(result);
    return ok ? 0 : rc;
  }
  if (!cli_call(ctx, "container.archive.stat", archive_params(container, src), &stat, &rc)) return rc;
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(stat, "mode");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(stat, "name");
  bool src_dir = cJSON_IsNumber(mode) && mode->valuedouble >= 2147483648.0;
  char top[300];
  /* The archive's top entry: the source's name, "." for the container's root (manager_archive.c). */
  snprintf(top, sizeof top, "%s", cJSON_IsString(name) && strcmp(name->valuestring, "\\") != 0 ? name->valuestring : ".");
  cJSON_Delete(stat);
  bool root = strcmp(top, ".") == 0;
  wctr_fs_info st;
  bool exists = wctr_fs_stat(dest, &st) == WCTR_OK;
  char into[IMG_PATH_MAX];
  img_tree_extract_opts o = {.no_overwrite_dir_nondir = true};
  char rename_to[300];
  if (exists && st.kind == WCTR_FS_LINK) return fail(ctx, "%s is a link: wctr never writes through one", dest);
  if (exists && st.kind == WCTR_FS_DIR) {
    snprintf(into, sizeof into, "%s", dest);
    if (src_dir && (ends_with_dot(src) || root)) {
      o.strip = top;
      o.replace = "";
    }
  } else if (exists) {
    if (src_dir) return fail(ctx, "cannot copy a directory to a file: %s", dest);
    local_parent(dest, into, sizeof into);
    local_base(dest, rename_to, sizeof rename_to);
    o.strip = top;
    o.replace = rename_to;
  } else {
    if (ends_with_sep(dest) && !src_dir) return fail(ctx, "the destination directory %s does not exist", dest);
    local_parent(dest, into, sizeof into);
    local_base(dest, rename_to, sizeof rename_to);
    if (root) {
      if (wctr_fs_mkdir(dest, &e) != WCTR_OK) return fail(ctx, "%s", e.text);
      snprintf(into, sizeof into, "%s", dest);
      rename_to[0] = '\0';
    }
    o.strip = top;
    o.replace = rename_to;
  }
  char tmp[IMG_PATH_MAX];
  temp_tar(ctx, tmp, sizeof tmp);
  get_view v = {.ctx = ctx};
  if (wctr_file_open(tmp, WCTR_FILE_TRUNCATE, &v.file, &e) != WCTR_OK) return fail(ctx, "%s", e.text);
  cJSON *result = NULL;
  bool ok = cli_stream(ctx, "container.archive.get", archive_params(container, src), get_frame, &v, &result, &rc);
  cJSON_Delete(result);
  wctr_file_close(v.file);
  if (ok && v.failed) {
    rc = fail(ctx, "cannot write the temporary archive %s", tmp);
    ok = false;
  }
  if (ok) {
    file_src s = {0};
    uint64_t entries = 0;
    wctr_err err = wctr_file_open(tmp, WCTR_FILE_READ, &s.f, &e);
    if (err == WCTR_OK) err = img_tree_extract(file_read, &s, into, &o, &entries, &e);
    wctr_file_close(s.f);
    if (err != WCTR_OK) rc = fail(ctx, "%s", e.text);
  }
  (void)wctr_fs_remove(tmp);
  return rc;
}

/* --- into the container ------------------------------------------------------------------------------------ */

static wctr_err file_out(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  wctr_err err = wctr_file_write(ctx, data, len);
  return err == WCTR_OK ? WCTR_OK : wctr_fail(e, err, "the temporary archive cannot be written");
}

static int copy_to(cli_ctx *ctx, const char *src, const char *container, const char *dest) {
  int rc = 0;
  wctr_errmsg e;
  cJSON *result = NULL;
  if (strcmp(src, "-") == 0) {
    /* A tar on stdin goes as it is into the folder DEST (docker cp's rule for '-'). */
    cJSON *p = archive_params(container, dest);
    cJSON_AddBoolToObject(p, "NoOverwriteDirNonDir", true);
    bool ok = cli_stream_ex(ctx, "container.archive.put", p, true, NULL, NULL, &result, &rc, &e);
    cJSON_Delete(result);
    return ok ? 0 : rc;
  }
  wctr_fs_info st;
  wctr_err err = wctr_fs_stat(src, &st);
  if (err != WCTR_OK) return fail(ctx, "could not find %s on the local file system (no such file or folder)", src);
  if (st.kind == WCTR_FS_LINK) return fail(ctx, "%s is a link: wctr never follows links", src);
  bool src_dir = st.kind == WCTR_FS_DIR;
  char base[300];
  local_base(src, base, sizeof base);
  if (base[0] == '\0' || strcmp(base, "..") == 0) {
    if (!src_dir) return fail(ctx, "%s names no file", src);
  }
  /* Where it lands: the container's answer about DEST. */
  cJSON *stat = NULL;
  wctr_errmsg se;
  bool have = cli_call_ex(ctx, "container.archive.stat", archive_params(container, dest), &stat, &rc, &se);
  if (!have && se.code != WCTR_ENOENT) {
    if (se.text[0] != '\0') fprintf(ctx->p->err, "wctr: %s\n", se.text);
    return rc != 0 ? rc : CLI_EXIT_ERROR;
  }
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(stat, "mode");
  bool dest_dir = have && cJSON_IsNumber(mode) && mode->valuedouble >= 2147483648.0;
  cJSON_Delete(stat);
  rc = 0;
  char folder[IMG_PATH_MAX];
  const char *to = base;
  char dest_base[300];
  bool contents = src_dir && (ends_with_dot(src) || base[0] == '\0' || strcmp(base, "..") == 0);
  if (have && dest_dir) {
    snprintf(folder, sizeof folder, "%s", dest);
    if (contents) to = "";
  } else {
    if (have && src_dir) return fail(ctx, "cannot copy a directory to a file: %s", dest);
    if (!have && ends_with_sep(dest) && !src_dir) {
      return fail(ctx, "the destination directory %s does not exist in the container", dest);
    }
    local_parent(dest, folder, sizeof folder);
    local_base(dest, dest_base, sizeof dest_base);
    if (dest_base[0] == '\0') return fail(ctx, "%s names no file in the container", dest);
    to = dest_base;
  }
  char tmp[IMG_PATH_MAX];
  temp_tar(ctx, tmp, sizeof tmp);
  wctr_file *f = NULL;
  if (wctr_file_open(tmp, WCTR_FILE_TRUNCATE, &f, &e) != WCTR_OK) return fail(ctx, "%s", e.text);
  img_tarw w;
  img_tarw_init(&w, file_out, f);
  err = img_tree_pack(src, PACK_TOP, &w, &e);
  if (err == WCTR_OK) err = img_tarw_finish(&w, &e);
  wctr_file_close(f);
  if (err == WCTR_OK && (ctx->p->set_stdin == NULL || ctx->p->set_stdin(ctx->p->ctx, tmp, &e) != WCTR_OK)) {
    if (ctx->p->set_stdin == NULL) wctr_fail(&e, WCTR_ENOTSUP, "copying into a container is not supported here");
    err = WCTR_ENOTSUP;
  }
  if (err != WCTR_OK) {
    (void)wctr_fs_remove(tmp);
    return fail(ctx, "%s", e.text);
  }
  cJSON *p = archive_params(container, folder);
  cJSON_AddBoolToObject(p, "NoOverwriteDirNonDir", true);
  cJSON *rename = cJSON_AddObjectToObject(p, "Rename");
  cJSON_AddStringToObject(rename, "From", PACK_TOP);
  cJSON_AddStringToObject(rename, "To", to);
  bool ok = cli_stream_ex(ctx, "container.archive.put", p, true, NULL, NULL, &result, &rc, &e);
  cJSON_Delete(result);
  (void)wctr_fs_remove(tmp);
  return ok ? 0 : rc;
}

int cli_cmd_cp(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"archive", 'a', false, O_ARCHIVE}, {"follow-link", 'L', false, O_FOLLOW},
                                   {NULL, 0, false, 0}};
  int first = 0;
  cp_flags flags = {0};
  int rc = cli_parse_args(ctx, "cp", table, argc, argv, cp_opt, &flags, &first);
  /* -a=false and -L=false are docker's defaults: only a flag left true is refused. */
  if (rc == 0 && flags.archive) {
    rc = cli_flag_error(ctx, "cp", "-a/--archive is refused: Windows files have no uid or gid to copy");
  }
  if (rc == 0 && flags.follow) {
    rc = cli_flag_error(ctx, "cp", "-L/--follow-link is refused: wctr never follows links (symbolic links and junctions)");
  }
  if (rc == 0) rc = cli_check_operands(ctx, "cp", argc - first, 2, 2, NULL);
  if (rc != 0) return rc;
  const char *a = argv[first], *b = argv[first + 1];
  bool a_local = local_arg(a), b_local = local_arg(b);
  if (a_local == b_local) {
    return fail(ctx, "%s", a_local ? "must specify at least one container source" : "copying between containers is not supported");
  }
  const char *arg = a_local ? b : a;
  const char *colon = strchr(arg, ':');
  char container[300];
  snprintf(container, sizeof container, "%.*s", (int)(colon - arg), arg);
  const char *path = colon + 1;
  if (container[0] == '\0') return fail(ctx, "no container named in %s", arg);
  if (path[0] == '\0') return fail(ctx, "no path given after %s:", container);
  return a_local ? copy_to(ctx, a, container, path) : copy_from(ctx, container, path, b);
}
