/* spec/mount.c - -v HOST:CONTAINER[:ro|:rw] (portable; spec.h). Moved from hcs/document.c: the create
 * params are checked with it long before any HCS document exists. */
#include <stdlib.h>
#include <string.h>

#include "spec/names.h"
#include "spec/spec.h"

static bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool is_sep(char c) { return c == '\\' || c == '/'; }

/* Length of the path starting at s: a drive letter's colon belongs to the path, the next colon ends it. */
static size_t path_span(const char *s) {
  size_t start = (is_letter(s[0]) && s[1] == ':') ? 2 : 0;
  const char *colon = strchr(s + start, ':');
  return colon != NULL ? (size_t)(colon - s) : strlen(s);
}

static char *dup_path(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (p == NULL) return NULL;
  for (size_t i = 0; i < n; i++) p[i] = s[i] == '/' ? '\\' : s[i];
  p[n] = '\0';
  return p;
}

/* After dup_path (so //./pipe/x is \\.\pipe\x already); Windows and Docker's -v parser read the prefix
 * in any case. */
static bool pipe_prefix(const char *p) {
  size_t n = strlen(SPEC_PIPE_PREFIX);
  for (size_t i = 0; i < n; i++) {
    char ch = p[i];
    if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
    if (ch != SPEC_PIPE_PREFIX[i]) return false;
  }
  return true;
}

/* A pipe with a name; its prefix is made the canonical one, which the HCS documents strip by length. */
static bool is_pipe(char *p) {
  size_t n = strlen(SPEC_PIPE_PREFIX);
  if (!pipe_prefix(p) || p[n] == '\0') return false;
  memcpy(p, SPEC_PIPE_PREFIX, n);
  return true;
}

static bool is_drive_abs(const char *p) { return is_letter(p[0]) && p[1] == ':' && is_sep(p[2]); }

void spec_mount_free(spec_mount *m) {
  if (m == NULL) return;
  free(m->host_path);
  free(m->container_path);
  memset(m, 0, sizeof *m);
}

wctr_err spec_mount_parse(const char *spec, spec_mount *out, wctr_errmsg *e) {
  spec_mount m = {0};
  wctr_err err = WCTR_OK;
  if (spec == NULL || out == NULL) return wctr_fail(e, WCTR_EINVAL, "-v: spec and out must not be NULL");
  size_t hn = path_span(spec);
  if (hn == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": the host path is empty", spec);
    goto done;
  }
  if (spec[hn] != ':') {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": expected HOST:CONTAINER[:ro]", spec);
    goto done;
  }
  const char *cs = spec + hn + 1;
  size_t cn = path_span(cs);
  if (cn == 0) {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": the container path is empty", spec);
    goto done;
  }
  const char *mode = cs[cn] == ':' ? cs + cn + 1 : NULL;
  if (mode != NULL) {
    if (strcmp(mode, "ro") == 0) {
      m.read_only = true;
    } else if (strcmp(mode, "rw") != 0) {
      err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": unknown mode \"%.32s\" (use ro or rw)", spec, mode);
      goto done;
    }
  }
  m.host_path = dup_path(spec, hn);
  m.container_path = dup_path(cs, cn);
  if (m.host_path == NULL || m.container_path == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "-v: out of memory");
    goto done;
  }
  bool host_pipe = is_pipe(m.host_path);
  bool container_pipe = is_pipe(m.container_path);
  if (host_pipe || container_pipe) {
    if (!host_pipe || !container_pipe) {
      err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": a named pipe can only be mapped to a named pipe "
                      "(\\\\.\\pipe\\NAME on both sides)", spec);
      goto done;
    }
    if (m.read_only) {
      err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": a named pipe cannot be mounted read-only", spec);
      goto done;
    }
    m.pipe = true;
    goto done;
  }
  /* One normal form for both sides (spec/names.h): what Windows would resolve is resolved here, so that
   * "C:\x\.." is seen as the drive's root and "C:\ProgramData\wctr\.\secrets" as the secrets folder. */
  char *host = NULL;
  char *container = NULL;
  bool container_root = false;
  wctr_errmsg why;
  if (spec_path_normalize(m.host_path, "the host path", &host, NULL, &why) != WCTR_OK) {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": %s%s", spec, why.text,
                    strstr(why.text, "must be absolute") != NULL ? "; named volumes are not supported" : "");
    goto done;
  }
  free(m.host_path);
  m.host_path = host;
  if (!is_drive_abs(m.container_path)) {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": the container path must be absolute with a drive "
                    "letter (C:\\dir)", spec);
    goto done;
  }
  if (spec_path_normalize(m.container_path, "the container path", &container, &container_root, &why) != WCTR_OK) {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": %s", spec, why.text);
    goto done;
  }
  free(m.container_path);
  m.container_path = container;
  if (container_root) {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": the container path cannot be the root of a drive (%s)", spec,
                    container);
    goto done;
  }
  /* wctr maps a container's secrets there (read-only); a mount on it, in it or above it would hide them or
   * shadow them with the host's files. */
  if (spec_path_within(container, SPEC_SECRETS_CONTAINER_PATH) || spec_path_within(SPEC_SECRETS_CONTAINER_PATH, container)) {
    err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": the container path %s overlaps %s, where wctr maps the "
                    "container's secrets", spec, container, SPEC_SECRETS_CONTAINER_PATH);
    goto done;
  }
done:
  if (err != WCTR_OK) {
    spec_mount_free(&m);
    return err;
  }
  *out = m;
  return WCTR_OK;
}

wctr_err spec_binds_check_data_root(const spec_container *s, const char *data_root, spec_warnings *warnings,
                                    wctr_errmsg *e) {
  char *root = NULL;
  wctr_errmsg why;
  if (s->bind_count == 0 || data_root == NULL || spec_path_normalize(data_root, "the data root", &root, NULL, &why) != WCTR_OK) {
    return WCTR_OK;
  }
  wctr_err err = WCTR_OK;
  for (size_t i = 0; i < s->bind_count && err == WCTR_OK; i++) {
    spec_mount m = {0};
    err = spec_mount_parse(s->binds[i], &m, e);
    if (err == WCTR_OK && !m.pipe && spec_path_within(m.host_path, root)) {
      err = wctr_fail(e, WCTR_EINVAL, "-v \"%.200s\": the host path %s is wctr's data root or inside it (%s): it "
                      "holds every container's records, logs and secrets", s->binds[i], m.host_path, root);
    } else if (err == WCTR_OK && !m.pipe && spec_path_within(root, m.host_path)) {
      spec_warn(warnings, "-v %.60s: the folder holds wctr's data root (%.60s); only its DACL keeps the container "
                "out of it", m.host_path, root);
    }
    spec_mount_free(&m);
  }
  free(root);
  return err;
}
