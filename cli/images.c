/* cli/images.c - images: `wctr pull`, `images`, `image inspect|tag|rm|history|prune|save|load|add`, `rmi`, `tag`,
 * `history`, `save`, `load`, `login`, `logout` (portable). Output, flags and exit codes are Docker's
 * (docs/images.md, docs/cli.md); lists go through cli/format.h, inspect through docker/docker.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "docker/text.h"
#include "cli/format.h"
#include "common/base64.h"
#include "common/opts.h"
#include "docker/docker.h"
#include "images/reference.h"

enum {
  O_HELP = 1, O_LAYER, O_OS_VERSION, O_CMD, O_USER, O_ALL, O_QUIET, O_DIGESTS, O_NO_TRUNC, O_FILTER, O_FORMAT, O_FORCE,
  O_NO_PRUNE, O_OUTPUT, O_INPUT, O_USERNAME, O_PASSWORD, O_PASSWORD_STDIN, O_HUMAN, O_PLATFORM, O_PRETTY
};

const char cli_image_usage[] =
    "Usage: wctr image COMMAND\n\nManage images.\n\nCommands:\n"
    "  pull     Download an image from a registry (also 'wctr pull')\n"
    "  ls       List images (also 'wctr images')\n"
    "  inspect  Display detailed information on one or more images (-f FORMAT: json or a Go template)\n"
    "  history  Show the history of an image (also 'wctr history')\n"
    "  tag      Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE (also 'wctr tag')\n"
    "  rm       Remove one or more images (also 'wctr rmi')\n"
    "  prune    Remove unused images (-a: every image no container uses; -f: no prompt)\n"
    "  save     Save one or more images to a tar archive (also 'wctr save')\n"
    "  load     Load an image from a tar archive or STDIN (also 'wctr load')\n"
    "  add      Register existing layer folders as an image\n\n"
    "Usage: wctr image add NAME --layer DIR [--layer DIR]... [OPTIONS]\n\n"
    "Register existing Windows container layer folders as an image (for example the folders Docker unpacked\n"
    "under C:\\ProgramData\\docker\\windowsfilter). Give the layers top-most first and the base layer last.\n"
    "Nothing is copied: the folders must stay where they are.\n\n"
    "Options:\n"
    "      --layer DIR          A layer folder (repeat; the last one is the base layer, with Files\\)\n"
    "      --os-version VER     The image's Windows version, 10.0.BUILD[.REV] (default: read from the base\n"
    "                           layer's ntoskrnl.exe)\n"
    "      --cmd COMMAND        Default command: a JSON array (exec form, [\"cmd\",\"/c\",\"ver\"]) or a string run\n"
    "                           with cmd /S /C (shell form, as Docker's CMD on Windows)\n"
    "      --user USER          Default user (default ContainerUser)\n";

const char cli_pull_usage[] =
    "Usage: wctr pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
    "Download an image from a registry. For an index of several platforms, the Windows image this host can\n"
    "run is chosen (containerd's rule: docs/images.md). Credentials saved by 'wctr login' are used.\n\n"
    "Options:\n"
    "      --platform string   windows or windows/amd64 (the only platform this engine runs)\n"
    "  -q, --quiet             Suppress verbose output\n";

const char cli_images_usage[] =
    "Usage: wctr images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
    "List images: those pulled or loaded (with an IMAGE ID), and those registered with 'wctr image add'\n"
    "(IMAGE ID \"<image add>\": they have no content id, and -q leaves them out).\n\n"
    "Options:\n"
    "  -a, --all             Show all images (the same list: pulled images have no intermediate images)\n"
    "      --digests         Show digests\n"
    "  -f, --filter filter   dangling=true|false, reference=PATTERN (* and ?, as Docker's)\n"
    "      --format string   table, json or a Go template; fields .Repository .Tag .ID .Digest .CreatedSince\n"
    "                        .CreatedAt .Size .Containers .SharedSize .UniqueSize .VirtualSize, and wctr's\n"
    "                        .OsVersion .Layers\n"
    "      --no-trunc        Don't truncate output\n"
    "  -q, --quiet           Only show image IDs\n";

const char cli_rmi_usage[] =
    "Usage: wctr rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
    "Remove one or more images. A tag is untagged; the image goes with its last tag, and its layers with the\n"
    "last image that uses them. Refused while a container uses the image, even with -f.\n\n"
    "Options:\n"
    "  -f, --force      Remove an image referenced by several repositories (named by its ID)\n"
    "      --no-prune   Accepted for Docker's sake (pulled images have no untagged parents)\n";

const char cli_tag_usage[] =
    "Usage: wctr tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers to SOURCE_IMAGE.\n";

const char cli_history_usage[] =
    "Usage: wctr history [OPTIONS] IMAGE\n\nShow the history of an image, newest first.\n\nOptions:\n"
    "      --format string   table, json or a Go template; fields .ID .CreatedSince .CreatedAt .CreatedBy .Size\n"
    "                        .Comment\n"
    "  -H, --human           Sizes and dates in human readable format (default true)\n"
    "      --no-trunc        Don't truncate output\n"
    "  -q, --quiet           Only show image IDs\n";

const char cli_save_usage[] =
    "Usage: wctr save [OPTIONS] IMAGE [IMAGE...]\n\n"
    "Save one or more images to a tar archive (streamed to STDOUT by default): an OCI layout with Docker's\n"
    "manifest.json, which Docker 20.10 and later load.\n\nOptions:\n"
    "  -o, --output string   Write to a file, instead of STDOUT\n";

const char cli_load_usage[] =
    "Usage: wctr load [OPTIONS]\n\n"
    "Load an image from a tar archive or STDIN: the archives of 'docker save' (20.10, and 25+'s OCI layout)\n"
    "and of 'wctr save'.\n\nOptions:\n"
    "  -i, --input string   Read from tar archive file, instead of STDIN\n"
    "  -q, --quiet          Suppress the load output\n";

const char cli_login_usage[] =
    "Usage: wctr login [OPTIONS] [SERVER]\n\n"
    "Log in to a registry (default docker.io). wctrd checks the credentials against the registry and keeps\n"
    "nothing; wctr stores them for the user running it, encrypted with DPAPI (docs/images.md), and hands them\n"
    "to wctrd with each pull from that registry.\n\n"
    "Options:\n"
    "  -u, --username string   Username\n"
    "      --password-stdin    Take the password from stdin\n"
    "A password on the command line (-p) is refused: other processes and the shell's history would see it.\n";

const char cli_trust_usage[] =
    "Usage: wctr trust inspect [--pretty] IMAGE [IMAGE...]\n\n"
    "Show the cosign signatures of images in their registries: each signature, the key that made it (among the\n"
    "keys of wctrd.json's \"image-trust\"), and the verdict wctrd's policy would give at a pull (verified,\n"
    "no-signature, other-image, unknown-key, bad-signature, malformed-payload). Nothing is pulled or stored.\n"
    "Signing is the publisher's: 'cosign sign --key cosign.key IMAGE@DIGEST' (docs/security.md).\n\n"
    "Options:\n"
    "      --pretty   Print a human friendly format instead of JSON\n";

const char cli_logout_usage[] =
    "Usage: wctr logout [SERVER]\n\nRemove the credentials 'wctr login' stored for a registry (default docker.io).\n";

/* --- image add ------------------------------------------------------------------------------------------------ */

/* --cmd: a JSON array of strings, or a shell-form string. */
static cJSON *parse_cmd(const char *text, wctr_errmsg *e) {
  if (text[0] == '[') {
    cJSON *arr = cJSON_Parse(text);
    bool ok = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) > 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) ok = ok && cJSON_IsString(item);
    if (!ok) {
      cJSON_Delete(arr);
      wctr_fail(e, WCTR_EINVAL, "--cmd %s: a JSON array of strings, at least one", text);
      return NULL;
    }
    return arr;
  }
  if (text[0] == '\0') {
    wctr_fail(e, WCTR_EINVAL, "--cmd cannot be empty");
    return NULL;
  }
  cJSON *arr = cJSON_CreateArray();
  cJSON_AddItemToArray(arr, cJSON_CreateString("cmd"));
  cJSON_AddItemToArray(arr, cJSON_CreateString("/S"));
  cJSON_AddItemToArray(arr, cJSON_CreateString("/C"));
  cJSON_AddItemToArray(arr, cJSON_CreateString(text));
  return arr;
}

typedef struct add_opts {
  cJSON *p;
  cJSON *layers;
} add_opts;

static bool add_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  add_opts *o = arg;
  const char *key = id == O_OS_VERSION ? "OsVersion" : id == O_USER ? "User" : id == O_CMD ? "Cmd" : NULL;
  cJSON *item = NULL;
  if (id == O_LAYER) return cJSON_AddItemToArray(o->layers, cJSON_CreateString(v));
  if (id == O_CMD) {
    item = parse_cmd(v, e);
    if (item == NULL) return false;
  } else if (key != NULL) {
    item = cJSON_CreateString(v);
  }
  if (key == NULL) return true;
  /* A single-value flag given twice keeps the last value. */
  cJSON_DeleteItemFromObjectCaseSensitive(o->p, key);
  cJSON_AddItemToObject(o->p, key, item);
  return true;
}

static int image_add(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"layer", 0, true, O_LAYER}, {"os-version", 0, true, O_OS_VERSION},
                                   {"cmd", 0, true, O_CMD},     {"user", 0, true, O_USER},
                                   {NULL, 0, false, 0}};
  add_opts o = {.p = cJSON_CreateObject()};
  o.layers = cJSON_AddArrayToObject(o.p, "Layers");
  int first = 0;
  int rc = cli_parse_args(ctx, "image add", table, argc, argv, add_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "image add", argc - first, 1, 1, "NAME");
  if (rc == 0 && cJSON_GetArraySize(o.layers) == 0) {
    rc = cli_usage_error(ctx, "image add", "--layer is required: at least the base layer");
  }
  if (rc != 0) {
    cJSON_Delete(o.p);
    return rc;
  }
  cJSON_AddStringToObject(o.p, "Name", argv[first]);
  cJSON *result = NULL;
  if (!cli_call(ctx, "image.add", o.p, &result, &rc)) return rc;
  const cJSON *added = cJSON_GetObjectItemCaseSensitive(result, "Name");
  const cJSON *os = cJSON_GetObjectItemCaseSensitive(result, "OsVersion");
  char layers[32];
  fprintf(ctx->p->out, "%s (OS %s, %s)\n", cJSON_IsString(added) ? added->valuestring : "?",
          cJSON_IsString(os) ? os->valuestring : "?",
          cli_plural(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(result, "Layers")), "layer", "layers", layers,
                     sizeof layers));
  cJSON_Delete(result);
  return 0;
}

/* --- shared ----------------------------------------------------------------------------------------------------- */

static const char *text_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double number_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* go-units HumanSizeWithPrecision(bytes, 4), what Docker's progress bars show ("1.049MB"). */
static void human_size4(double bytes, char *out, size_t size) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  size_t u = 0;
  while (bytes >= 1000.0 && u + 1 < sizeof units / sizeof units[0]) {
    bytes /= 1000.0;
    u++;
  }
  snprintf(out, size, "%.4g%s", bytes, units[u]);
}

static bool is_tty(cli_ctx *ctx, FILE *f) { return ctx->p->is_terminal != NULL && ctx->p->is_terminal(ctx->p->ctx, f); }

static bool string_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  if (id == O_FORMAT) *(const char **)arg = v;
  return true;
}

/* The registry a server name points at, as credentials are keyed ("docker.io" for the Hub). */
static bool server_of(const char *text, char *out, size_t size) {
  img_ref ref;
  char probe[IMG_NAME_MAX + 8];
  const char *s = text;
  if (strncmp(s, "https://", 8) == 0) s += 8;
  else if (strncmp(s, "http://", 7) == 0) s += 7;
  size_t n = strcspn(s, "/");
  snprintf(probe, sizeof probe, "%.*s/x", (int)n, s);
  if (strncmp(probe, "index.docker.io/", 16) == 0 || strncmp(probe, "registry-1.docker.io/", 21) == 0) {
    snprintf(probe, sizeof probe, "docker.io/x");
  }
  /* A server has a dot, a port or is localhost; anything else would be read as a Hub repository. */
  if (strchr(probe, '.') == NULL && strchr(probe, ':') == NULL && strncmp(probe, "localhost/", 10) != 0) return false;
  if (img_ref_parse(probe, &ref, NULL) != WCTR_OK) return false;
  snprintf(out, size, "%s", ref.domain);
  return true;
}

static void zero_free(char *s) {
  if (s == NULL) return;
  wctr_secure_zero(s, strlen(s));
  free(s);
}

/* --- pull -------------------------------------------------------------------------------------------------------- */

enum { VIEW_MAX = 256 };

/* Docker's jsonmessage display: on a console one line per id, rewritten in place as its status changes;
 * otherwise one line per message, and messages with a progress bar (Downloading, Extracting) left out. */
typedef struct pull_view {
  FILE *f;
  bool tty;
  bool quiet;
  char ids[VIEW_MAX][72];
  size_t count;
} pull_view;

/* Docker's JSONProgress: "[=====>      ] 1.049MB/2.097MB", 50 wide. */
static void progress_text(const char *status, const cJSON *detail, char *out, size_t size) {
  double cur = number_of(detail, "current");
  double total = number_of(detail, "total");
  if (total <= 0) {
    snprintf(out, size, "%s", status);
    return;
  }
  int pct = (int)(cur / total * 100.0) / 2;
  if (pct > 50) pct = 50;
  if (pct < 0) pct = 0;
  char bar[64];
  memset(bar, '=', (size_t)pct);
  bar[pct] = '>';
  memset(bar + pct + 1, ' ', (size_t)(50 - pct));
  bar[51] = '\0';
  char c[24], t[24];
  human_size4(cur, c, sizeof c);
  human_size4(total, t, sizeof t);
  snprintf(out, size, "%s [%s] %8s/%s", status, bar, c, t);
}

static void pull_frame(void *arg, const char *kind, const cJSON *data) {
  pull_view *v = arg;
  if (strcmp(kind, "progress") != 0 || v->quiet) return;
  const char *id = text_of(data, "id");
  const char *status = text_of(data, "status");
  const cJSON *detail = cJSON_GetObjectItemCaseSensitive(data, "progressDetail");
  bool bar = number_of(detail, "total") > 0 || number_of(detail, "current") > 0;
  if (!v->tty) {
    if (bar) return;
    if (id[0] != '\0') fprintf(v->f, "%s: ", id);
    fprintf(v->f, "%s\n", status);
    fflush(v->f);
    return;
  }
  if (id[0] == '\0') {
    fprintf(v->f, "%s\n", status);
    v->count = 0; /* Docker forgets the lines above a message without an id */
    fflush(v->f);
    return;
  }
  size_t i = 0;
  while (i < v->count && strcmp(v->ids[i], id) != 0) i++;
  char line[300];
  progress_text(status, detail, line, sizeof line);
  if (i == v->count) {
    if (v->count < VIEW_MAX) snprintf(v->ids[v->count++], sizeof v->ids[0], "%s", id);
    fprintf(v->f, "%s: %s\n", id, line);
  } else {
    /* the id's own line: up, clear, write, back down (VT sequences: wctr.exe enables them) */
    size_t up = v->count - i;
    fprintf(v->f, "\x1b[%zuA\r\x1b[2K%s: %s\x1b[%zuB\r", up, id, line, up);
  }
  fflush(v->f);
}

int cli_pull_image(cli_ctx *ctx, const char *ref, bool quiet, FILE *f) {
  img_ref parsed;
  wctr_errmsg e;
  if (img_ref_parse(ref, &parsed, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", e.text);
    return ctx->fail_code;
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", ref);
  char *user = NULL;
  char *password = NULL;
  if (ctx->p->credentials_load != NULL &&
      ctx->p->credentials_load(ctx->p->ctx, parsed.domain, &user, &password, &e) == WCTR_OK && user != NULL &&
      password != NULL) {
    cJSON *auth = cJSON_AddObjectToObject(p, "Auth");
    cJSON_AddStringToObject(auth, "Username", user);
    cJSON_AddStringToObject(auth, "Password", password);
  }
  zero_free(user);
  zero_free(password);
  pull_view *v = calloc(1, sizeof *v);
  if (v == NULL) {
    cJSON_Delete(p);
    fprintf(ctx->p->err, "wctr: out of memory\n");
    return ctx->fail_code;
  }
  v->f = f;
  v->tty = is_tty(ctx, f);
  v->quiet = quiet;
  cJSON *result = NULL;
  int rc = 0;
  /* The params (credentials included) go to wctrd over the pipe, never to a file, a log or a command line. */
  bool ok = cli_stream(ctx, "image.pull", p, pull_frame, v, &result, &rc);
  free(v);
  if (!ok) return rc;
  if (!quiet) {
    fprintf(f, "Digest: %s\n", text_of(result, "Digest"));
    fprintf(f, "Status: %s\n", text_of(result, "Status"));
  }
  /* docker pull's last line: the full reference, on stdout (not when run pulls on stderr). */
  if (f == ctx->p->out) {
    char repo[IMG_NAME_MAX + 2];
    img_ref_name(&parsed, repo, sizeof repo);
    if (parsed.tag[0] != '\0') fprintf(ctx->p->out, "%s:%s\n", repo, parsed.tag);
    else fprintf(ctx->p->out, "%s@%s\n", repo, parsed.digest);
  }
  cJSON_Delete(result);
  return 0;
}

typedef struct pull_opts {
  bool quiet;
} pull_opts;

static bool pull_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  pull_opts *o = arg;
  if (id == O_QUIET) o->quiet = wctr_opts_flag(v);
  if (id == O_PLATFORM && strcmp(v, "windows") != 0 && strcmp(v, "windows/amd64") != 0) {
    wctr_fail(e, WCTR_EINVAL, "--platform %s: this engine runs Windows images only (windows/amd64)", v);
    return false;
  }
  return true;
}

int cli_cmd_pull(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"quiet", 'q', false, O_QUIET}, {"platform", 0, true, O_PLATFORM}, {NULL, 0, false, 0}};
  pull_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "pull", table, argc, argv, pull_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "pull", argc - first, 1, 1, NULL);
  if (rc != 0) return rc;
  return cli_pull_image(ctx, argv[first], o.quiet, ctx->p->out);
}

/* --- images ------------------------------------------------------------------------------------------------------ */

/* '*' and '?' against text (path.Match without classes): Docker's reference filter. */
static bool glob(const char *pat, const char *text) {
  if (*pat == '\0') return *text == '\0';
  if (*pat == '*') {
    for (const char *t = text;; t++) {
      if (glob(pat + 1, t)) return true;
      if (*t == '\0' || *t == '/') return false;
    }
  }
  if (*text == '\0') return false;
  if (*pat == '?' || *pat == *text) return glob(pat + 1, text + 1);
  return false;
}

enum { MAX_REFS = 16 };

typedef struct images_opts {
  bool quiet, digests, no_trunc, all;
  const char *format;
  int dangling; /* -1 any, 0, 1 */
  const char *refs[MAX_REFS];
  size_t nrefs;
} images_opts;

static bool images_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  images_opts *o = arg;
  switch (id) {
    case O_ALL: o->all = wctr_opts_flag(v); break;
    case O_QUIET: o->quiet = wctr_opts_flag(v); break;
    case O_DIGESTS: o->digests = wctr_opts_flag(v); break;
    case O_NO_TRUNC: o->no_trunc = wctr_opts_flag(v); break;
    case O_FORMAT: o->format = v; break;
    case O_FILTER:
      if (strcmp(v, "dangling=true") == 0) {
        o->dangling = 1;
      } else if (strcmp(v, "dangling=false") == 0) {
        o->dangling = 0;
      } else if (strncmp(v, "reference=", 10) == 0 && o->nrefs < MAX_REFS) {
        o->refs[o->nrefs++] = v + 10;
      } else {
        wctr_fail(e, WCTR_EINVAL, "invalid filter '%.100s': this wctr filters by dangling=true|false and reference=PATTERN", v);
        return false;
      }
      break;
  }
  return true;
}

/* One row of the list: a repository and a tag of one image (Docker's imageFormatTaggedAndDigest). */
typedef struct image_row {
  const cJSON *img;
  char repo[300];
  char tag[140];
  char digest[80];
} image_row;

typedef struct image_rows {
  image_row *v;
  size_t n, cap;
} image_rows;

static bool add_row(image_rows *rows, const cJSON *img, const char *repo, size_t repo_len, const char *tag, const char *digest) {
  if (rows->n == rows->cap) {
    size_t cap = rows->cap == 0 ? 16 : rows->cap * 2;
    image_row *grown = realloc(rows->v, cap * sizeof *grown);
    if (grown == NULL) return false;
    rows->v = grown;
    rows->cap = cap;
  }
  image_row *r = &rows->v[rows->n++];
  r->img = img;
  snprintf(r->repo, sizeof r->repo, "%.*s", (int)repo_len, repo);
  snprintf(r->tag, sizeof r->tag, "%s", tag);
  snprintf(r->digest, sizeof r->digest, "%s", digest);
  return true;
}

/* The repository of "repo:tag" or "repo@digest" (the last ':' after the last '/', or the '@'). */
static size_t repo_len_of(const char *ref, const char **rest) {
  const char *at = strchr(ref, '@');
  if (at != NULL) {
    *rest = at + 1;
    return (size_t)(at - ref);
  }
  const char *slash = strrchr(ref, '/');
  const char *colon = strrchr(slash != NULL ? slash : ref, ':');
  *rest = colon != NULL ? colon + 1 : "";
  return colon != NULL ? (size_t)(colon - ref) : strlen(ref);
}

static bool matches_refs(const images_opts *o, const char *repo, const char *tag) {
  if (o->nrefs == 0) return true;
  char full[450];
  snprintf(full, sizeof full, "%s:%s", repo, tag);
  for (size_t k = 0; k < o->nrefs; k++) {
    if (glob(o->refs[k], full) || glob(o->refs[k], repo)) return true;
  }
  return false;
}

/* The rows of one image: a row per tag (per tag and digest of its repository with --digests), then a row
 * per repository known only by digest; an image without names is one <none> row. */
static bool image_rows_of(const cJSON *img, const images_opts *o, image_rows *rows) {
  const cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags");
  const cJSON *digests = cJSON_GetObjectItemCaseSensitive(img, "RepoDigests");
  size_t before = rows->n;
  bool named = false;
  const cJSON *t;
  cJSON_ArrayForEach(t, tags) {
    if (!cJSON_IsString(t)) continue;
    const char *tag = NULL;
    size_t rl = repo_len_of(t->valuestring, &tag);
    named = true;
    bool any = false;
    const cJSON *d;
    cJSON_ArrayForEach(d, digests) {
      const char *dg = NULL;
      if (!cJSON_IsString(d) || repo_len_of(d->valuestring, &dg) != rl || strncmp(d->valuestring, t->valuestring, rl) != 0) {
        continue;
      }
      if (o->digests && !add_row(rows, img, t->valuestring, rl, tag, dg)) return false;
      any = any || o->digests;
    }
    if (!any && !add_row(rows, img, t->valuestring, rl, tag, "<none>")) return false;
  }
  const cJSON *d;
  cJSON_ArrayForEach(d, digests) {
    if (!cJSON_IsString(d)) continue;
    const char *dg = NULL;
    size_t rl = repo_len_of(d->valuestring, &dg);
    named = true;
    bool tagged = false;
    cJSON_ArrayForEach(t, tags) {
      const char *tag = NULL;
      tagged = tagged || (cJSON_IsString(t) && repo_len_of(t->valuestring, &tag) == rl &&
                          strncmp(t->valuestring, d->valuestring, rl) == 0);
    }
    if (tagged) continue;
    /* Docker: a row per digest with --digests, else one row for the repository (no digest shown). */
    bool seen = false;
    for (size_t i = before; !o->digests && i < rows->n; i++) {
      seen = seen || (strlen(rows->v[i].repo) == rl && strncmp(rows->v[i].repo, d->valuestring, rl) == 0);
    }
    if (!seen && !add_row(rows, img, d->valuestring, rl, "<none>", o->digests ? dg : "")) return false;
  }
  if (!named && !add_row(rows, img, "<none>", 6, "<none>", "<none>")) return false;
  /* the filter applies to rows; a <none> row matches no reference pattern */
  size_t keep = before;
  for (size_t i = before; i < rows->n; i++) {
    bool none = strcmp(rows->v[i].repo, "<none>") == 0;
    if (o->nrefs > 0 && (none || !matches_refs(o, rows->v[i].repo, rows->v[i].tag))) continue;
    rows->v[keep++] = rows->v[i];
  }
  rows->n = keep;
  return true;
}

static const char *created_of(const image_row *r) { return text_of(r->img, "Created"); }

static int row_order(const void *a, const void *b) {
  const image_row *x = a, *y = b;
  int c = strcmp(created_of(y), created_of(x)); /* newest first, as the daemon lists them */
  if (c != 0) return c;
  c = strcmp(text_of(x->img, "Id"), text_of(y->img, "Id"));
  if (c != 0) return c;
  c = strcmp(x->repo, y->repo);
  return c != 0 ? c : strcmp(x->tag, y->tag);
}

/* docker/cli's imageContext over a row; wctr adds OsVersion and Layers. */
static cJSON *image_fields(const image_row *r, bool no_trunc, const char *now) {
  const cJSON *img = r->img;
  bool catalog = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(img, "Catalog"));
  const char *full_id = text_of(img, "Id");
  char id[80];
  if (catalog || full_id[0] == '\0') {
    snprintf(id, sizeof id, "<image add>");
  } else if (no_trunc) {
    snprintf(id, sizeof id, "%s", full_id);
  } else {
    snprintf(id, sizeof id, "%.12s", strncmp(full_id, "sha256:", 7) == 0 ? full_id + 7 : full_id);
  }
  int64_t t = 0, now_s = 0;
  int32_t ns = 0;
  bool known = docker_time_parse(text_of(img, "Created"), &t, &ns);
  char created_at[64], since[96], size[32], layers[16];
  docker_time_go_string(known ? t : 0, created_at, sizeof created_at);
  since[0] = '\0';
  if (known && docker_time_parse(now, &now_s, &ns)) cli_human_ago(now_s - t, since, sizeof since);
  if (catalog) snprintf(size, sizeof size, "N/A");
  else cli_human_size(number_of(img, "Size"), size, sizeof size);
  const cJSON *l = cJSON_GetObjectItemCaseSensitive(img, "Layers");
  snprintf(layers, sizeof layers, "%d", cJSON_IsArray(l) ? cJSON_GetArraySize(l) : 0);
  cJSON *f = cJSON_CreateObject();
  bool ok = f != NULL && cJSON_AddStringToObject(f, "Containers", "N/A") &&
            cJSON_AddStringToObject(f, "CreatedAt", created_at) && cJSON_AddStringToObject(f, "CreatedSince", since) &&
            cJSON_AddStringToObject(f, "Digest", r->digest) && cJSON_AddStringToObject(f, "ID", id) &&
            cJSON_AddStringToObject(f, "Layers", layers) && cJSON_AddStringToObject(f, "OsVersion", text_of(img, "OsVersion")) &&
            cJSON_AddStringToObject(f, "Repository", r->repo) && cJSON_AddStringToObject(f, "SharedSize", "N/A") &&
            cJSON_AddStringToObject(f, "Size", size) && cJSON_AddStringToObject(f, "Tag", r->tag) &&
            cJSON_AddStringToObject(f, "UniqueSize", "N/A") && cJSON_AddStringToObject(f, "VirtualSize", size);
  if (!ok) {
    cJSON_Delete(f);
    return NULL;
  }
  return f;
}

static const char image_headers[] =
    "{\"ID\":\"IMAGE ID\",\"Repository\":\"REPOSITORY\",\"Tag\":\"TAG\",\"Digest\":\"DIGEST\",\"CreatedSince\":\"CREATED\","
    "\"CreatedAt\":\"CREATED AT\",\"Size\":\"SIZE\",\"Containers\":\"CONTAINERS\",\"SharedSize\":\"SHARED SIZE\","
    "\"UniqueSize\":\"UNIQUE SIZE\",\"VirtualSize\":\"VIRTUAL SIZE\",\"OsVersion\":\"OS VERSION\",\"Layers\":\"LAYERS\"}";

static int cmd_images(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"all", 'a', false, O_ALL},         {"quiet", 'q', false, O_QUIET},
                                   {"digests", 0, false, O_DIGESTS},   {"no-trunc", 0, false, O_NO_TRUNC},
                                   {"filter", 'f', true, O_FILTER},    {"format", 0, true, O_FORMAT},
                                   {NULL, 0, false, 0}};
  images_opts o = {.dangling = -1};
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, images_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 0, 1, NULL);
  if (rc != 0) return rc;
  if (first < argc && o.nrefs < MAX_REFS) o.refs[o.nrefs++] = argv[first];
  /* Docker's defaults: -q is {{.ID}}, --digests adds the DIGEST column */
  const char *table_format = o.digests ? "table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}"
                                       : "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
  const char *format = o.quiet ? "{{.ID}}" : o.format;
  cli_format f;
  wctr_errmsg e;
  if (cli_format_compile(format, table_format, &f, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  cJSON *p = cJSON_CreateObject();
  if (o.all) cJSON_AddBoolToObject(p, "All", true);
  cJSON *list = NULL;
  if (!cli_call(ctx, "image.list", p, &list, &rc)) {
    cli_format_free(&f);
    return rc;
  }
  image_rows rows = {0};
  bool ok = true;
  const cJSON *img;
  cJSON_ArrayForEach(img, list) {
    bool dangling = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(img, "Dangling"));
    if ((o.dangling == 1 && !dangling) || (o.dangling == 0 && dangling)) continue;
    /* -q lists ids: an `image add` record has none */
    if (o.quiet && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(img, "Catalog"))) continue;
    ok = ok && image_rows_of(img, &o, &rows);
  }
  if (rows.n > 1) qsort(rows.v, rows.n, sizeof *rows.v, row_order);
  char now[40];
  cli_now(ctx, now, sizeof now);
  docker_tpl_object *objs = calloc(rows.n > 0 ? rows.n : 1, sizeof *objs);
  cJSON **fields = calloc(rows.n > 0 ? rows.n : 1, sizeof *fields);
  size_t k = 0;
  ok = ok && objs != NULL && fields != NULL;
  for (size_t i = 0; ok && i < rows.n; i++) {
    fields[k] = image_fields(&rows.v[i], o.no_trunc, now);
    ok = fields[k] != NULL;
    if (ok) {
      objs[k] = (docker_tpl_object){.type_name = "*formatter.imageContext", .fields = fields[k]};
      k++;
    }
  }
  if (ok) {
    rc = cli_print_list(ctx, &f, image_headers, objs, k);
  } else {
    fprintf(ctx->p->err, "wctr: out of memory\n");
    rc = CLI_EXIT_ERROR;
  }
  for (size_t i = 0; i < k; i++) cJSON_Delete(fields[i]);
  free(fields);
  free(objs);
  free(rows.v);
  cli_format_free(&f);
  cJSON_Delete(list);
  return rc;
}

int cli_cmd_images(cli_ctx *ctx, int argc, char **argv) { return cmd_images(ctx, argc, argv, "images"); }

/* --- inspect ----------------------------------------------------------------------------------------------------- */

/* image inspect: Docker's shape (docker/docker.h) and layout (cli/format.h); exit 1 when any is missing. */
static int cmd_inspect(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 'f', true, O_FORMAT}, {NULL, 0, false, 0}};
  const char *format = NULL;
  int first = 0;
  int rc = cli_parse_args(ctx, "image inspect", table, argc, argv, string_opt, &format, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "image inspect", argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  cli_inspect in;
  wctr_errmsg e;
  if (cli_inspect_begin(&in, format, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return e.code == WCTR_EINVAL ? CLI_EXIT_TEMPLATE : CLI_EXIT_ERROR;
  }
  docker_buf errors;
  docker_buf_init(&errors, 0);
  for (int i = first; i < argc; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", argv[i]);
    cJSON *result = NULL;
    int one = 0;
    if (!cli_call_ex(ctx, "image.inspect", p, &result, &one, &e)) {
      if (ctx->conn == NULL) {
        rc = one;
        break;
      }
      docker_buf_addf(&errors, "wctr: %s\n", e.text);
      continue;
    }
    cJSON *shaped = docker_image_inspect(result);
    if (shaped == NULL || cli_inspect_add(&in, shaped, &e) != WCTR_OK) {
      docker_buf_addf(&errors, "wctr: %s\n", shaped == NULL ? "out of memory" : e.text);
    }
    cJSON_Delete(shaped);
    cJSON_Delete(result);
  }
  return cli_inspect_print(ctx, &in, &errors, rc);
}

/* --- rmi, tag ---------------------------------------------------------------------------------------------------- */

static bool rmi_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)v;
  (void)e;
  if (id == O_FORCE) *(bool *)arg = wctr_opts_flag(v);
  return true;
}

static int cmd_rmi(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"force", 'f', false, O_FORCE}, {"no-prune", 0, false, O_NO_PRUNE}, {NULL, 0, false, 0}};
  bool force = false;
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, rmi_opt, &force, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  for (int i = first; i < argc; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", argv[i]);
    if (force) cJSON_AddBoolToObject(p, "Force", true);
    cJSON *result = NULL;
    int one = 0;
    if (!cli_call(ctx, "image.remove", p, &result, &one)) {
      rc = one;
      if (ctx->conn == NULL) break;
      continue;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, result) {
      const char *u = text_of(item, "Untagged");
      const char *d = text_of(item, "Deleted");
      if (u[0] != '\0') fprintf(ctx->p->out, "Untagged: %s\n", u);
      if (d[0] != '\0') fprintf(ctx->p->out, "Deleted: %s\n", d);
    }
    cJSON_Delete(result);
  }
  return rc;
}

int cli_cmd_rmi(cli_ctx *ctx, int argc, char **argv) { return cmd_rmi(ctx, argc, argv, "rmi"); }

static int cmd_tag(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, NULL, NULL, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 2, 2, NULL);
  if (rc != 0) return rc;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Source", argv[first]);
  cJSON_AddStringToObject(p, "Target", argv[first + 1]);
  cJSON *result = NULL;
  if (!cli_call(ctx, "image.tag", p, &result, &rc)) return rc;
  cJSON_Delete(result);
  return 0;
}

int cli_cmd_tag(cli_ctx *ctx, int argc, char **argv) { return cmd_tag(ctx, argc, argv, "tag"); }

/* --- history ----------------------------------------------------------------------------------------------------- */

typedef struct history_opts {
  bool no_trunc, quiet, human;
  const char *format;
} history_opts;

static bool history_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  history_opts *o = arg;
  switch (id) {
    case O_NO_TRUNC: o->no_trunc = wctr_opts_flag(v); break;
    case O_QUIET: o->quiet = wctr_opts_flag(v); break;
    case O_FORMAT: o->format = v; break;
    case O_HUMAN:
      if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        wctr_fail(e, WCTR_EINVAL, "invalid argument \"%s\" for \"-H, --human\" flag: true or false", v);
        return false;
      }
      o->human = strcmp(v, "true") == 0;
      break;
  }
  return true;
}

/* docker/cli's historyContext over one row of image.history. */
static cJSON *history_fields(const cJSON *row, const history_opts *o, const char *now) {
  const char *full = text_of(row, "Id");
  char id[80];
  if (strcmp(full, "<missing>") == 0 || o->no_trunc) snprintf(id, sizeof id, "%s", full);
  else snprintf(id, sizeof id, "%.12s", strncmp(full, "sha256:", 7) == 0 ? full + 7 : full);
  int64_t t = 0, now_s = 0;
  int32_t ns = 0;
  bool known = docker_time_parse(text_of(row, "Created"), &t, &ns);
  char created_at[64], since[96], size[32];
  docker_time_rfc3339(known ? t : 0, 0, created_at, sizeof created_at);
  since[0] = '\0';
  if (!o->human) snprintf(since, sizeof since, "%s", created_at);
  else if (known && docker_time_parse(now, &now_s, &ns)) cli_human_ago(now_s - t, since, sizeof since);
  if (o->human) cli_human_size(number_of(row, "Size"), size, sizeof size);
  else snprintf(size, sizeof size, "%.0f", number_of(row, "Size"));
  /* CreatedBy: tabs as spaces, cut at 45 columns unless --no-trunc */
  char *by = strdup(text_of(row, "CreatedBy"));
  for (char *c = by; c != NULL && *c != '\0'; c++) {
    if (*c == '\t') *c = ' ';
  }
  docker_buf cut;
  docker_buf_init(&cut, 0);
  if (by != NULL && !o->no_trunc) cli_ellipsis(by, 45, &cut);
  const char *shown = o->no_trunc ? by : cut.data;
  cJSON *f = cJSON_CreateObject();
  bool ok = f != NULL && by != NULL && cJSON_AddStringToObject(f, "Comment", text_of(row, "Comment")) &&
            cJSON_AddStringToObject(f, "CreatedAt", created_at) &&
            cJSON_AddStringToObject(f, "CreatedBy", shown != NULL ? shown : "") &&
            cJSON_AddStringToObject(f, "CreatedSince", since) && cJSON_AddStringToObject(f, "ID", id) &&
            cJSON_AddStringToObject(f, "Size", size);
  docker_buf_free(&cut);
  free(by);
  if (!ok) {
    cJSON_Delete(f);
    return NULL;
  }
  return f;
}

static int cmd_history(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"no-trunc", 0, false, O_NO_TRUNC}, {"quiet", 'q', false, O_QUIET},
                                   {"human", 'H', true, O_HUMAN},      {"format", 0, true, O_FORMAT},
                                   {NULL, 0, false, 0}};
  history_opts o = {.human = true};
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, history_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 1, 1, NULL);
  if (rc != 0) return rc;
  cli_format f;
  wctr_errmsg e;
  if (cli_format_compile(o.quiet ? "{{.ID}}" : o.format,
                         "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}", &f, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", argv[first]);
  cJSON *list = NULL;
  if (!cli_call(ctx, "image.history", p, &list, &rc)) {
    cli_format_free(&f);
    return rc;
  }
  char now[40];
  cli_now(ctx, now, sizeof now);
  size_t n = (size_t)cJSON_GetArraySize(list);
  docker_tpl_object *objs = calloc(n > 0 ? n : 1, sizeof *objs);
  cJSON **fields = calloc(n > 0 ? n : 1, sizeof *fields);
  size_t k = 0;
  bool ok = objs != NULL && fields != NULL;
  const cJSON *row;
  cJSON_ArrayForEach(row, list) {
    if (!ok || k >= n) break;
    fields[k] = history_fields(row, &o, now);
    ok = fields[k] != NULL;
    if (ok) {
      objs[k] = (docker_tpl_object){.type_name = "*formatter.historyContext", .fields = fields[k]};
      k++;
    }
  }
  if (ok) {
    rc = cli_print_list(ctx, &f,
                    "{\"ID\":\"IMAGE\",\"CreatedSince\":\"CREATED\",\"CreatedAt\":\"CREATED AT\",\"CreatedBy\":\"CREATED BY\","
                    "\"Size\":\"SIZE\",\"Comment\":\"COMMENT\"}",
                    objs, k);
  } else {
    fprintf(ctx->p->err, "wctr: out of memory\n");
    rc = CLI_EXIT_ERROR;
  }
  for (size_t i = 0; i < k; i++) cJSON_Delete(fields[i]);
  free(fields);
  free(objs);
  cli_format_free(&f);
  cJSON_Delete(list);
  return rc;
}

int cli_cmd_history(cli_ctx *ctx, int argc, char **argv) { return cmd_history(ctx, argc, argv, "history"); }

/* --- prune ------------------------------------------------------------------------------------------------------- */

typedef struct prune_opts {
  bool all, force;
} prune_opts;

static bool prune_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  prune_opts *o = arg;
  (void)v;
  (void)e;
  if (id == O_ALL) o->all = wctr_opts_flag(v);
  if (id == O_FORCE) o->force = wctr_opts_flag(v);
  return true;
}

static int cmd_prune(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"all", 'a', false, O_ALL}, {"force", 'f', false, O_FORCE}, {NULL, 0, false, 0}};
  prune_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "image prune", table, argc, argv, prune_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "image prune", argc - first, 0, 0, NULL);
  if (rc != 0) return rc;
  if (!o.force) {
    fprintf(ctx->p->out, "%s\nAre you sure you want to continue? [y/N] ",
            o.all ? "WARNING! This will remove all images without at least one container associated to them."
                  : "WARNING! This will remove all dangling images.");
    fflush(ctx->p->out);
    char answer[16] = "";
    if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) return 0;
  }
  cJSON *p = cJSON_CreateObject();
  if (o.all) cJSON_AddBoolToObject(p, "All", true);
  cJSON *result = NULL;
  if (!cli_call(ctx, "image.prune", p, &result, &rc)) return rc;
  const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(result, "ImagesDeleted");
  if (cJSON_GetArraySize(deleted) > 0) {
    fputs("Deleted Images:\n", ctx->p->out);
    const cJSON *item;
    cJSON_ArrayForEach(item, deleted) {
      const char *u = text_of(item, "Untagged");
      const char *d = text_of(item, "Deleted");
      if (u[0] != '\0') fprintf(ctx->p->out, "untagged: %s\n", u);
      if (d[0] != '\0') fprintf(ctx->p->out, "deleted: %s\n", d);
    }
    fputc('\n', ctx->p->out);
  }
  char size[32];
  cli_human_size(number_of(result, "SpaceReclaimed"), size, sizeof size);
  fprintf(ctx->p->out, "Total reclaimed space: %s\n", size);
  cJSON_Delete(result);
  return 0;
}

/* --- save and load ----------------------------------------------------------------------------------------------- */

typedef struct save_view {
  cli_ctx *ctx;
  FILE *f;
  bool failed;
} save_view;

static void save_frame(void *arg, const char *kind, const cJSON *data) {
  save_view *v = arg;
  if (strcmp(kind, "stdout") != 0 || v->failed) return;
  char *bytes = NULL;
  size_t len = 0;
  if (!cli_frame_bytes(data, &bytes, &len)) return;
  if (v->f == v->ctx->p->out) {
    cli_write_output(v->ctx, v->f, bytes, len);
  } else if (fwrite(bytes, 1, len, v->f) != len) {
    v->failed = true;
  }
  free(bytes);
}

static bool output_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  if (id == O_OUTPUT || id == O_INPUT) *(const char **)arg = v;
  return true;
}

static int cmd_save(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"output", 'o', true, O_OUTPUT}, {NULL, 0, false, 0}};
  const char *output = NULL;
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, output_opt, &output, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  if (output == NULL && is_tty(ctx, ctx->p->out)) {
    fputs("wctr: cowardly refusing to save to a terminal. Use the -o flag or redirect\n", ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  save_view view = {.ctx = ctx, .f = ctx->p->out};
  if (output != NULL) {
    view.f = ctx->p->open_output != NULL ? ctx->p->open_output(ctx->p->ctx, output) : fopen(output, "wb");
    if (view.f == NULL) {
      fprintf(ctx->p->err, "wctr: failed to save image: unable to open %s for writing\n", output);
      return CLI_EXIT_ERROR;
    }
  }
  cJSON *p = cJSON_CreateObject();
  cJSON *names = cJSON_AddArrayToObject(p, "Names");
  for (int i = first; i < argc; i++) cJSON_AddItemToArray(names, cJSON_CreateString(argv[i]));
  cJSON *result = NULL;
  bool ok = cli_stream(ctx, "image.save", p, save_frame, &view, &result, &rc);
  cJSON_Delete(result);
  if (output != NULL) {
    if (fclose(view.f) != 0) view.failed = true;
    if (!ok || view.failed) remove(output); /* never a truncated archive left behind */
  }
  if (ok && view.failed) {
    fprintf(ctx->p->err, "wctr: failed to save image: cannot write %s\n", output != NULL ? output : "to STDOUT");
    return CLI_EXIT_ERROR;
  }
  return ok ? 0 : rc;
}

int cli_cmd_save(cli_ctx *ctx, int argc, char **argv) { return cmd_save(ctx, argc, argv, "save"); }

typedef struct load_view {
  cli_ctx *ctx;
  bool quiet;
} load_view;

static void load_frame(void *arg, const char *kind, const cJSON *data) {
  load_view *v = arg;
  if (strcmp(kind, "progress") != 0 || v->quiet) return;
  fprintf(v->ctx->p->out, "%s\n", text_of(data, "status"));
  fflush(v->ctx->p->out);
}

typedef struct load_opts {
  const char *input;
  bool quiet;
} load_opts;

static bool load_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  load_opts *o = arg;
  (void)e;
  if (id == O_INPUT) o->input = v;
  if (id == O_QUIET) o->quiet = wctr_opts_flag(v);
  return true;
}

static int cmd_load(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"input", 'i', true, O_INPUT}, {"quiet", 'q', false, O_QUIET}, {NULL, 0, false, 0}};
  load_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, load_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 0, 0, NULL);
  if (rc != 0) return rc;
  wctr_errmsg e;
  if (o.input != NULL) {
    if (ctx->p->set_stdin == NULL || ctx->p->set_stdin(ctx->p->ctx, o.input, &e) != WCTR_OK) {
      fprintf(ctx->p->err, "wctr: %s\n", ctx->p->set_stdin != NULL ? e.text : "-i is not supported here");
      return CLI_EXIT_ERROR;
    }
  } else if (is_tty(ctx, stdin)) {
    fputs("wctr: requested load from stdin, but stdin is empty\n", ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  load_view view = {.ctx = ctx, .quiet = o.quiet};
  cJSON *result = NULL;
  if (!cli_stream_ex(ctx, "image.load", cJSON_CreateObject(), true, load_frame, &view, &result, &rc, &e)) return rc;
  cJSON_Delete(result);
  return 0;
}

int cli_cmd_load(cli_ctx *ctx, int argc, char **argv) { return cmd_load(ctx, argc, argv, "load"); }

/* --- login and logout -------------------------------------------------------------------------------------------- */

static char *trim_line(char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

typedef struct login_opts {
  const char *user;
  bool password_stdin;
} login_opts;

static bool login_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  login_opts *o = arg;
  if (id == O_USERNAME) o->user = v;
  if (id == O_PASSWORD_STDIN) o->password_stdin = wctr_opts_flag(v);
  if (id == O_PASSWORD) {
    wctr_fail(e, WCTR_EINVAL, "--password on the command line is refused (other processes and the shell's history see "
                              "it): use --password-stdin or the prompt");
    return false;
  }
  return true;
}

int cli_cmd_login(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"username", 'u', true, O_USERNAME}, {"password", 'p', true, O_PASSWORD},
                                   {"password-stdin", 0, false, O_PASSWORD_STDIN}, {NULL, 0, false, 0}};
  login_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "login", table, argc, argv, login_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "login", argc - first, 0, 1, NULL);
  if (rc != 0) return rc;
  const char *server_text = first < argc ? argv[first] : IMG_DEFAULT_DOMAIN;
  char server[IMG_NAME_MAX + 1];
  if (!server_of(server_text, server, sizeof server)) {
    return cli_usage_error(ctx, "login", "the server must be a registry host[:port] (docker.io, myregistry.example:5000)");
  }
  if (o.password_stdin && o.user == NULL) return cli_usage_error(ctx, "login", "--password-stdin needs --username");
  if (ctx->p->credentials_store == NULL) {
    fputs("wctr: this client cannot store credentials\n", ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  char *user = o.user != NULL ? strdup(o.user) : NULL;
  if (o.user == NULL) {
    fprintf(ctx->p->out, "Username: ");
    fflush(ctx->p->out);
    char line[256];
    user = fgets(line, sizeof line, stdin) != NULL ? strdup(trim_line(line)) : NULL;
  }
  char *password = NULL;
  wctr_errmsg e;
  if (o.password_stdin) {
    size_t len = 0;
    password = trim_line(ctx->p->read_file(ctx->p->ctx, "-", &len, &e));
  } else if (ctx->p->read_secret != NULL) {
    password = ctx->p->read_secret(ctx->p->ctx, "Password: ");
  }
  if (user == NULL || user[0] == '\0' || password == NULL || password[0] == '\0') {
    fputs("wctr: a username and a password are required\n", ctx->p->err);
    rc = CLI_EXIT_ERROR;
  }
  if (rc == 0) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Server", server);
    cJSON_AddStringToObject(p, "Username", user);
    cJSON_AddStringToObject(p, "Password", password);
    cJSON *result = NULL;
    if (cli_call(ctx, "registry.login", p, &result, &rc)) {
      cJSON_Delete(result);
      if (ctx->p->credentials_store(ctx->p->ctx, server, user, password, &e) != WCTR_OK) {
        fprintf(ctx->p->err, "wctr: the credentials were accepted but cannot be stored: %s\n", e.text);
        rc = CLI_EXIT_ERROR;
      } else {
        fputs("Login Succeeded\n", ctx->p->out);
      }
    }
  }
  zero_free(user);
  zero_free(password);
  return rc;
}

int cli_cmd_logout(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  int first = 0;
  int rc = cli_parse_args(ctx, "logout", table, argc, argv, NULL, NULL, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "logout", argc - first, 0, 1, NULL);
  if (rc != 0) return rc;
  char server[IMG_NAME_MAX + 1];
  if (!server_of(first < argc ? argv[first] : IMG_DEFAULT_DOMAIN, server, sizeof server)) {
    return cli_usage_error(ctx, "logout", "the server must be a registry host[:port]");
  }
  wctr_errmsg e;
  wctr_err err = ctx->p->credentials_erase != NULL ? ctx->p->credentials_erase(ctx->p->ctx, server, &e) : WCTR_ENOENT;
  if (err == WCTR_ENOENT) {
    fprintf(ctx->p->out, "Not logged in to %s\n", server);
    return 0;
  }
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  fprintf(ctx->p->out, "Removing login credentials for %s\n", server);
  return 0;
}

/* --- wctr image ... ---------------------------------------------------------------------------------------------- */

int cli_cmd_image(cli_ctx *ctx, int argc, char **argv) {
  const char *usage = cli_image_usage;
  if (argc < 2) {
    fputs(usage, ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "add") == 0) return image_add(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) return cmd_images(ctx, argc - 1, argv + 1, "image ls");
  if (strcmp(sub, "inspect") == 0) return cmd_inspect(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0) return cmd_rmi(ctx, argc - 1, argv + 1, "image rm");
  if (strcmp(sub, "pull") == 0) return cli_cmd_pull(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "tag") == 0) return cmd_tag(ctx, argc - 1, argv + 1, "image tag");
  if (strcmp(sub, "history") == 0) return cmd_history(ctx, argc - 1, argv + 1, "image history");
  if (strcmp(sub, "prune") == 0) return cmd_prune(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "save") == 0) return cmd_save(ctx, argc - 1, argv + 1, "image save");
  if (strcmp(sub, "load") == 0) return cmd_load(ctx, argc - 1, argv + 1, "image load");
  fprintf(ctx->p->err, "wctr image: unknown command \"%s\"\n\n%s", sub, usage);
  return CLI_EXIT_ERROR;
}

/* --- wctr trust inspect -------------------------------------------------------------------------------------------- */

static bool trust_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)v, (void)e;
  if (id == O_PRETTY) *(bool *)arg = wctr_opts_flag(v);
  return true;
}

static void trust_pretty(FILE *f, const cJSON *r) {
  fprintf(f, "Signatures for %s\n\n", text_of(r, "Name"));
  fprintf(f, "Digest:     %s\n", text_of(r, "Digest"));
  fprintf(f, "Signatures: %s (tag %s)\n", text_of(r, "Repository"), text_of(r, "SignatureTag"));
  const char *prefix = text_of(r, "Prefix");
  fprintf(f, "Policy:     %s%s%s\n", text_of(r, "Policy"), prefix[0] != '\0' ? " for " : "", prefix);
  fprintf(f, "Verdict:    %s\n", text_of(r, "Verdict"));
  fprintf(f, "            %s\n", text_of(r, "Message"));
  const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(r, "Signatures");
  int i = 0;
  const cJSON *sig;
  cJSON_ArrayForEach(sig, sigs) {
    const char *key = text_of(sig, "Key");
    fprintf(f, "\nSignature %d\n  Payload:       %s\n  Signed digest: %s\n  Reference:     %s\n  Key:           %s%s%s%s\n"
               "  Verdict:       %s\n  %s\n", ++i, text_of(sig, "Payload"), text_of(sig, "SignedDigest"),
            text_of(sig, "Reference"), key[0] != '\0' ? key : "no trusted key verifies it", key[0] != '\0' ? " (" : "",
            text_of(sig, "KeyFile"), key[0] != '\0' ? ")" : "", text_of(sig, "Verdict"), text_of(sig, "Message"));
  }
  if (i == 0) fprintf(f, "\nNo signatures found.\n");
  const cJSON *platform = cJSON_GetObjectItemCaseSensitive(r, "Platform");
  if (cJSON_IsObject(platform)) {
    fprintf(f, "\nWindows manifest of the index: %s\nVerdict:    %s\n            %s\n", text_of(platform, "Digest"),
            text_of(platform, "Verdict"), text_of(platform, "Message"));
  }
}

int cli_cmd_trust(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"pretty", 0, false, O_PRETTY}, {NULL, 0, false, 0}};
  if (argc < 2 || strcmp(argv[1], "inspect") != 0) {
    if (argc >= 2) fprintf(ctx->p->err, "wctr trust: unknown command \"%s\"\n\n", argv[1]);
    fputs(cli_trust_usage, ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  argc--, argv++;
  bool pretty = false;
  int first = 0;
  int rc = cli_parse_args(ctx, "trust inspect", table, argc, argv, trust_opt, &pretty, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "trust inspect", argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  cJSON *all = cJSON_CreateArray();
  for (int i = first; i < argc; i++) {
    img_ref parsed;
    wctr_errmsg e;
    if (img_ref_parse(argv[i], &parsed, &e) != WCTR_OK) {
      fprintf(ctx->p->err, "wctr: %s\n", e.text);
      rc = CLI_EXIT_ERROR;
      continue;
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", argv[i]);
    char *user = NULL;
    char *password = NULL;
    if (ctx->p->credentials_load != NULL &&
        ctx->p->credentials_load(ctx->p->ctx, parsed.domain, &user, &password, &e) == WCTR_OK && user != NULL &&
        password != NULL) {
      cJSON *auth = cJSON_AddObjectToObject(p, "Auth");
      cJSON_AddStringToObject(auth, "Username", user);
      cJSON_AddStringToObject(auth, "Password", password);
    }
    zero_free(user);
    zero_free(password);
    cJSON *result = NULL;
    int one = 0;
    if (!cli_call(ctx, "image.trust", p, &result, &one)) {
      rc = one;
      continue;
    }
    if (pretty) {
      if (cJSON_GetArraySize(all) > 0) fputc('\n', ctx->p->out);
      trust_pretty(ctx->p->out, result);
    }
    cJSON_AddItemToArray(all, result);
  }
  if (!pretty) {
    /* docker trust inspect's form: an indented array, one entry per image */
    docker_buf b;
    docker_buf_init(&b, 0);
    docker_json_write(&b, all, "    ", false);
    docker_buf_addc(&b, '\n');
    if (!b.failed) fwrite(b.data, 1, b.len, ctx->p->out);
    docker_buf_free(&b);
  }
  cJSON_Delete(all);
  return rc;
}
