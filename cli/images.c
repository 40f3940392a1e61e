/* cli/images.c - images: `wctr pull`, `images`, `image inspect|tag|rm|history|prune|save|load|add`, `rmi`, `tag`,
 * `history`, `save`, `load`, `login`, `logout` (portable). Output and flags are Docker's; docs/images.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "common/base64.h"
#include "common/opts.h"
#include "images/reference.h"

enum {
  O_HELP = 1, O_LAYER, O_OS_VERSION, O_CMD, O_USER, O_ALL, O_QUIET, O_DIGESTS, O_NO_TRUNC, O_FILTER, O_FORMAT, O_FORCE,
  O_OUTPUT, O_INPUT, O_USERNAME, O_PASSWORD, O_PASSWORD_STDIN, O_HUMAN, O_PLATFORM
};

const char cli_image_usage[] =
    "Usage: wctr image COMMAND\n\nManage images.\n\nCommands:\n"
    "  pull     Download an image from a registry (also 'wctr pull')\n"
    "  ls       List images (also 'wctr images')\n"
    "  inspect  Display detailed information on one or more images\n"
    "  history  Show the history of an image (also 'wctr history')\n"
    "  tag      Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE (also 'wctr tag')\n"
    "  rm       Remove one or more images (also 'wctr rmi')\n"
    "  prune    Remove unused images\n"
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

static int usage_error(cli_ctx *ctx, const char *cmd, const char *text) {
  fprintf(ctx->p->err, "wctr %s: %s\nSee 'wctr %s --help'.\n", cmd, text, cmd);
  return CLI_EXIT_FAILED;
}

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

static int image_add(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"help", 0, false, O_HELP},         {"layer", 0, true, O_LAYER},
                                   {"os-version", 0, true, O_OS_VERSION}, {"cmd", 0, true, O_CMD},
                                   {"user", 0, true, O_USER},          {NULL, 0, false, 0}};
  cJSON *p = cJSON_CreateObject();
  cJSON *layers = cJSON_AddArrayToObject(p, "Layers");
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id;
  const char *v;
  int r;
  wctr_err err = WCTR_OK;
  bool help = false;
  const char *name = NULL;
  int extra = 0;
  /* NAME may come before, between or after the options. */
  for (;;) {
    r = wctr_opts_next(&st, table, &id, &v, &e);
    if (r == 0 && st.index < argc && err == WCTR_OK) {
      if (name == NULL) name = argv[st.index];
      else extra++;
      st.index++;
      continue;
    }
    if (r != 1 || err != WCTR_OK) break;
    switch (id) {
      case O_HELP: help = true; break;
      case O_LAYER: cJSON_AddItemToArray(layers, cJSON_CreateString(v)); break;
      case O_OS_VERSION: cJSON_AddStringToObject(p, "OsVersion", v); break;
      case O_USER: cJSON_AddStringToObject(p, "User", v); break;
      case O_CMD: {
        cJSON *cmd = parse_cmd(v, &e);
        if (cmd == NULL) err = WCTR_EINVAL;
        else cJSON_AddItemToObject(p, "Cmd", cmd);
        break;
      }
    }
  }
  if (err == WCTR_OK && r < 0) err = WCTR_EINVAL;
  if (help) {
    cJSON_Delete(p);
    fputs(cli_image_usage, ctx->p->out);
    return 0;
  }
  if (err == WCTR_OK && (name == NULL || extra > 0)) err = wctr_fail(&e, WCTR_EINVAL, "\"image add\" requires exactly 1 argument (NAME)");
  if (err == WCTR_OK && cJSON_GetArraySize(layers) == 0) err = wctr_fail(&e, WCTR_EINVAL, "--layer is required: at least the base layer");
  if (err != WCTR_OK) {
    cJSON_Delete(p);
    return usage_error(ctx, "image add", e.text);
  }
  cJSON_AddStringToObject(p, "Name", name);
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_call(ctx, "image.add", p, &result, &rc)) return rc;
  const cJSON *added = cJSON_GetObjectItemCaseSensitive(result, "Name");
  const cJSON *os = cJSON_GetObjectItemCaseSensitive(result, "OsVersion");
  fprintf(ctx->p->out, "%s (OS %s, %d layers)\n", cJSON_IsString(added) ? added->valuestring : "?",
          cJSON_IsString(os) ? os->valuestring : "?", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(result, "Layers")));
  cJSON_Delete(result);
  return 0;
}


/* --- shared ---------------------------------------------------------------------------------------------------- */

static const char *text_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double number_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* go-units HumanSizeWithPrecision: decimal units, "%.*g". */
static void human_size(double bytes, int precision, char *out, size_t size) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  size_t u = 0;
  while (bytes >= 1000.0 && u + 1 < sizeof units / sizeof units[0]) {
    bytes /= 1000.0;
    u++;
  }
  snprintf(out, size, "%.*g%s", precision, bytes, units[u]);
}

static bool is_tty(cli_ctx *ctx, FILE *f) { return ctx->p->is_terminal != NULL && ctx->p->is_terminal(ctx->p->ctx, f); }

/* The registry a reference or a server name points at, as credentials are keyed ("docker.io" for the Hub). */
static bool registry_of(const char *text, bool server, char *out, size_t size) {
  img_ref ref;
  char probe[IMG_NAME_MAX + 8];
  if (server) {
    const char *s = text;
    if (strncmp(s, "https://", 8) == 0) s += 8;
    else if (strncmp(s, "http://", 7) == 0) s += 7;
    size_t n = strcspn(s, "/");
    snprintf(probe, sizeof probe, "%.*s/x", (int)n, s);
    if (strncmp(probe, "index.docker.io/", 16) == 0 || strncmp(probe, "registry-1.docker.io/", 21) == 0) {
      snprintf(probe, sizeof probe, "docker.io/x");
    }
    if (strchr(probe, '.') == NULL && strchr(probe, ':') == NULL && strncmp(probe, "localhost/", 10) != 0) return false;
  } else {
    snprintf(probe, sizeof probe, "%s", text);
  }
  if (img_ref_parse(probe, &ref, NULL) != WCTR_OK) return false;
  snprintf(out, size, "%s", ref.domain);
  return true;
}

static void zero_free(char *s) {
  if (s == NULL) return;
  wctr_secure_zero(s, strlen(s));
  free(s);
}

/* --- pull ------------------------------------------------------------------------------------------------------- */

enum { VIEW_MAX = 256 };

typedef struct pull_view {
  cli_ctx *ctx;
  FILE *f;
  bool tty;
  bool quiet;
  char ids[VIEW_MAX][72];
  char last[VIEW_MAX][64]; /* the status last printed for the id (plain output) */
  size_t count;
} pull_view;

/* Docker's progress bar: [=====>     ] current/total, 50 wide. */
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
  human_size(cur, 4, c, sizeof c);
  human_size(total, 4, t, sizeof t);
  snprintf(out, size, "%s [%s] %8s/%s", status, bar, c, t);
}

static void pull_frame(void *arg, const char *kind, const cJSON *data) {
  pull_view *v = arg;
  if (strcmp(kind, "progress") != 0 || v->quiet) return;
  const char *id = text_of(data, "id");
  const char *status = text_of(data, "status");
  const cJSON *detail = cJSON_GetObjectItemCaseSensitive(data, "progressDetail");
  if (id[0] == '\0') {
    fprintf(v->f, "%s\n", status);
    fflush(v->f);
    return;
  }
  size_t i = 0;
  while (i < v->count && strcmp(v->ids[i], id) != 0) i++;
  bool fresh = i == v->count;
  if (fresh && v->count < VIEW_MAX) {
    snprintf(v->ids[v->count], sizeof v->ids[0], "%s", id);
    v->last[v->count][0] = '\0';
    v->count++;
  } else if (fresh) {
    i = VIEW_MAX - 1;
  }
  char line[300];
  if (v->tty) {
    progress_text(status, detail, line, sizeof line);
    if (fresh) {
      fprintf(v->f, "%s: %s\n", id, line);
    } else {
      /* rewrite the id's own line: up, clear, write, back down (VT sequences: wctr.exe enables them) */
      size_t up = v->count - i;
      fprintf(v->f, "\x1b[%zuA\r\x1b[2K%s: %s\x1b[%zuB\r", up, id, line, up);
    }
    fflush(v->f);
    return;
  }
  /* Plain lines: one per change of status; progress updates are for consoles (Docker does the same). */
  if (cJSON_IsObject(detail) && !fresh && strcmp(v->last[i], status) == 0) return;
  if (i < VIEW_MAX && strcmp(v->last[i], status) == 0) return;
  if (i < VIEW_MAX) snprintf(v->last[i], sizeof v->last[0], "%s", status);
  fprintf(v->f, "%s: %s\n", id, status);
  fflush(v->f);
}

int cli_pull_image(cli_ctx *ctx, const char *ref, bool quiet, FILE *f) {
  img_ref parsed;
  wctr_errmsg e;
  if (img_ref_parse(ref, &parsed, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", e.text);
    return CLI_EXIT_FAILED;
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", ref);
  char *user = NULL;
  char *password = NULL;
  if (ctx->p->credentials_load != NULL &&
      ctx->p->credentials_load(ctx->p->ctx, parsed.domain, &user, &password, &e) == WCTR_OK && user != NULL && password != NULL) {
    cJSON *auth = cJSON_AddObjectToObject(p, "Auth");
    cJSON_AddStringToObject(auth, "Username", user);
    cJSON_AddStringToObject(auth, "Password", password);
  }
  zero_free(user);
  zero_free(password);
  pull_view *v = calloc(1, sizeof *v);
  if (v == NULL) {
    cJSON_Delete(p);
    return CLI_EXIT_FAILED;
  }
  v->ctx = ctx;
  v->f = f;
  v->tty = is_tty(ctx, f);
  v->quiet = quiet;
  cJSON *result = NULL;
  int rc = 0;
  /* params hold credentials: the transport takes them and frees them (they never reach a file or a log) */
  bool ok = cli_stream(ctx, "image.pull", p, pull_frame, v, &result, &rc);
  free(v);
  if (!ok) return rc;
  char repo[IMG_NAME_MAX + 2];
  img_ref_name(&parsed, repo, sizeof repo);
  if (!quiet) {
    fprintf(f, "Digest: %s\n", text_of(result, "Digest"));
    fprintf(f, "Status: %s\n", text_of(result, "Status"));
  }
  if (f == ctx->p->out) {
    if (parsed.tag[0] != '\0') fprintf(ctx->p->out, "%s:%s\n", repo, parsed.tag);
    else fprintf(ctx->p->out, "%s@%s\n", repo, parsed.digest);
  }
  cJSON_Delete(result);
  return 0;
}

const char cli_pull_usage[] =
    "Usage: wctr pull [OPTIONS] NAME[:TAG|@DIGEST]\n\n"
    "Download an image from a registry. For an index of several platforms, the Windows image this host can\n"
    "run is chosen (containerd's rule: docs/images.md). Credentials saved by 'wctr login' are used.\n\n"
    "Options:\n"
    "  -q, --quiet    Suppress verbose output\n";

int cli_cmd_pull(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP}, {"quiet", 'q', false, O_QUIET},
                                   {"platform", 0, true, O_PLATFORM}, {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  bool quiet = false;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) {
      fputs(cli_pull_usage, ctx->p->out);
      return 0;
    }
    if (id == O_QUIET) quiet = true;
    if (id == O_PLATFORM && strncmp(v, "windows", 7) != 0) {
      return usage_error(ctx, "pull", "--platform: this engine runs Windows images only (windows/amd64)");
    }
  }
  if (r < 0) return usage_error(ctx, "pull", e.text);
  if (argc - st.index != 1) return usage_error(ctx, "pull", "\"pull\" requires exactly 1 argument");
  return cli_pull_image(ctx, argv[st.index], quiet, ctx->p->out);
}

/* --- images ---------------------------------------------------------------------------------------------------- */

/* '*' and '?' against text (path.Match without classes). */
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

typedef struct image_row {
  char repo[300];
  char tag[140];
  char digest[80];
  char id[80];
  char created_since[64];
  char created_at[64];
  char size[32];
  const char *created; /* for ordering */
} image_row;

static int row_order(const void *a, const void *b) {
  const image_row *x = a, *y = b;
  int c = strcmp(y->created, x->created); /* newest first */
  if (c != 0) return c;
  c = strcmp(x->repo, y->repo);
  return c != 0 ? c : strcmp(x->tag, y->tag);
}

/* Docker's CreatedAt: "2026-11-01 10:00:00 +0000 UTC". */
static void created_at(const char *iso, char *out, size_t size) {
  int y, mo, d, h, mi, s;
  if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) == 6) {
    snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d +0000 UTC", y, mo, d, h, mi, s);
  } else {
    snprintf(out, size, "%s", iso);
  }
}

/* {{.Repository}} {{.Tag}} {{.ID}} {{.Digest}} {{.CreatedSince}} {{.CreatedAt}} {{.Size}}, \t: the fallback until
 * the Go-template engine (issue 15) takes over --format. */
static void print_row_template(FILE *f, const char *tpl, const image_row *r) {
  const struct {
    const char *token;
    const char *value;
  } map[] = {{"{{.Repository}}", r->repo}, {"{{.Tag}}", r->tag},           {"{{.ID}}", r->id},
             {"{{.Digest}}", r->digest},   {"{{.CreatedSince}}", r->created_since}, {"{{.CreatedAt}}", r->created_at},
             {"{{.Size}}", r->size}};
  for (const char *p = tpl; *p != '\0';) {
    if (strncmp(p, "\\t", 2) == 0) {
      fputc('\t', f);
      p += 2;
      continue;
    }
    bool done = false;
    for (size_t i = 0; i < sizeof map / sizeof map[0] && !done; i++) {
      size_t n = strlen(map[i].token);
      if (strncmp(p, map[i].token, n) == 0) {
        fputs(map[i].value, f);
        p += n;
        done = true;
      }
    }
    if (!done) fputc(*p++, f);
  }
  fputc('\n', f);
}

const char cli_images_usage[] =
    "Usage: wctr images [OPTIONS] [REPOSITORY[:TAG]]\n\n"
    "List images.\n\n"
    "Options:\n"
    "  -a, --all             Show all images (the same list: pulled images have no intermediate layers)\n"
    "      --digests         Show digests\n"
    "  -f, --filter filter   dangling=true|false, reference=PATTERN (* and ?)\n"
    "      --format string   json (or '{{json .}}'), 'table TEMPLATE' or TEMPLATE with {{.Repository}} {{.Tag}}\n"
    "                        {{.ID}} {{.Digest}} {{.CreatedSince}} {{.CreatedAt}} {{.Size}} (a fallback: Go templates\n"
    "                        come later)\n"
    "      --no-trunc        Don't truncate output\n"
    "  -q, --quiet           Only show image IDs\n";

static int cmd_images(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP},      {"all", 'a', false, O_ALL},
                                   {"quiet", 'q', false, O_QUIET},    {"digests", 0, false, O_DIGESTS},
                                   {"no-trunc", 0, false, O_NO_TRUNC}, {"filter", 'f', true, O_FILTER},
                                   {"format", 0, true, O_FORMAT},     {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  bool quiet = false, digests = false, no_trunc = false, all = false;
  const char *format = NULL;
  int dangling = -1;
  const char *refs[16];
  size_t nrefs = 0;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    switch (id) {
      case O_HELP: fputs(cli_images_usage, ctx->p->out); return 0;
      case O_ALL: all = true; break;
      case O_QUIET: quiet = true; break;
      case O_DIGESTS: digests = true; break;
      case O_NO_TRUNC: no_trunc = true; break;
      case O_FORMAT: format = v; break;
      case O_FILTER:
        if (strcmp(v, "dangling=true") == 0) dangling = 1;
        else if (strcmp(v, "dangling=false") == 0) dangling = 0;
        else if (strncmp(v, "reference=", 10) == 0 && nrefs < 16) refs[nrefs++] = v + 10;
        else {
          char msg[200];
          snprintf(msg, sizeof msg, "invalid filter '%.100s': use dangling=true|false or reference=PATTERN", v);
          return usage_error(ctx, cmd, msg);
        }
        break;
    }
  }
  if (r < 0) return usage_error(ctx, cmd, e.text);
  if (argc - st.index > 1) return usage_error(ctx, cmd, "\"images\" accepts at most 1 argument");
  if (st.index < argc && nrefs < 16) refs[nrefs++] = argv[st.index];
  cJSON *p = cJSON_CreateObject();
  if (all) cJSON_AddBoolToObject(p, "All", true);
  cJSON *list = NULL;
  int rc = 0;
  if (!cli_call(ctx, "image.list", p, &list, &rc)) return rc;
  char now[40];
  ctx->p->now(ctx->p->ctx, now, sizeof now);
  size_t cap = 0, n = 0;
  image_row *rows = NULL;
  const cJSON *img;
  cJSON_ArrayForEach(img, list) {
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(img, "RepoTags");
    const cJSON *dig = cJSON_GetObjectItemCaseSensitive(img, "RepoDigests");
    bool is_dangling = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(img, "Dangling"));
    if (dangling == 1 && !is_dangling) continue;
    if (dangling == 0 && is_dangling) continue;
    int ntags = cJSON_GetArraySize(tags);
    for (int t = 0; t < (ntags > 0 ? ntags : 1); t++) {
      const cJSON *tag = cJSON_GetArrayItem(tags, t);
      char name[450] = "<none>:<none>";
      if (cJSON_IsString(tag)) snprintf(name, sizeof name, "%s", tag->valuestring);
      bool match = nrefs == 0;
      for (size_t k = 0; k < nrefs && !match; k++) {
        char repo_only[450];
        snprintf(repo_only, sizeof repo_only, "%.*s", (int)(strrchr(name, ':') - name), name);
        match = glob(refs[k], name) || glob(refs[k], repo_only);
      }
      if (!match) continue;
      if (n == cap) {
        cap = cap == 0 ? 16 : cap * 2;
        image_row *grown = realloc(rows, cap * sizeof *grown);
        if (grown == NULL) break;
        rows = grown;
      }
      image_row *row = &rows[n++];
      memset(row, 0, sizeof *row);
      const char *colon = strrchr(name, ':');
      snprintf(row->repo, sizeof row->repo, "%.*s", (int)(colon - name), name);
      snprintf(row->tag, sizeof row->tag, "%s", colon + 1);
      snprintf(row->digest, sizeof row->digest, "<none>");
      const cJSON *d;
      cJSON_ArrayForEach(d, dig) {
        const char *at = cJSON_IsString(d) ? strchr(d->valuestring, '@') : NULL;
        if (at != NULL && (size_t)(at - d->valuestring) == strlen(row->repo) &&
            strncmp(d->valuestring, row->repo, strlen(row->repo)) == 0) {
          snprintf(row->digest, sizeof row->digest, "%s", at + 1);
        }
      }
      const char *full_id = text_of(img, "Id");
      if (full_id[0] == '\0') {
        snprintf(row->id, sizeof row->id, "<image add>");
      } else if (no_trunc) {
        snprintf(row->id, sizeof row->id, "%s", full_id);
      } else {
        snprintf(row->id, sizeof row->id, "%.12s", strncmp(full_id, "sha256:", 7) == 0 ? full_id + 7 : full_id);
      }
      row->created = text_of(img, "Created");
      char span[64];
      cli_human_duration(cli_seconds_between(row->created, now), span, sizeof span);
      snprintf(row->created_since, sizeof row->created_since, "%s ago", span);
      created_at(row->created, row->created_at, sizeof row->created_at);
      if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(img, "Catalog"))) {
        snprintf(row->size, sizeof row->size, "N/A");
      } else {
        human_size(number_of(img, "Size"), 3, row->size, sizeof row->size);
      }
    }
  }
  qsort(rows, n, sizeof *rows, row_order);
  FILE *f = ctx->p->out;
  bool json = format != NULL && (strcmp(format, "json") == 0 || strcmp(format, "{{json .}}") == 0);
  if (quiet) {
    for (size_t i = 0; i < n; i++) {
      bool seen = false;
      for (size_t k = 0; k < i && !seen; k++) seen = strcmp(rows[k].id, rows[i].id) == 0;
      if (!seen) fprintf(f, "%s\n", rows[i].id);
    }
  } else if (json) {
    for (size_t i = 0; i < n; i++) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "Containers", "N/A");
      cJSON_AddStringToObject(o, "CreatedAt", rows[i].created_at);
      cJSON_AddStringToObject(o, "CreatedSince", rows[i].created_since);
      cJSON_AddStringToObject(o, "Digest", rows[i].digest);
      cJSON_AddStringToObject(o, "ID", rows[i].id);
      cJSON_AddStringToObject(o, "Repository", rows[i].repo);
      cJSON_AddStringToObject(o, "SharedSize", "N/A");
      cJSON_AddStringToObject(o, "Size", rows[i].size);
      cJSON_AddStringToObject(o, "Tag", rows[i].tag);
      cJSON_AddStringToObject(o, "UniqueSize", "N/A");
      cJSON_AddStringToObject(o, "VirtualSize", rows[i].size);
      char *line = cJSON_PrintUnformatted(o);
      if (line != NULL) fprintf(f, "%s\n", line);
      cJSON_free(line);
      cJSON_Delete(o);
    }
  } else if (format != NULL && strncmp(format, "table", 5) != 0) {
    for (size_t i = 0; i < n; i++) print_row_template(f, format, &rows[i]);
  } else if (format != NULL) {
    /* "table TEMPLATE": the header is the template with each field's name */
    const char *tpl = format[5] == ' ' ? format + 6 : "{{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}";
    image_row head = {.repo = "REPOSITORY", .tag = "TAG", .digest = "DIGEST", .id = "IMAGE ID", .created_since = "CREATED",
                      .created_at = "CREATED AT", .size = "SIZE"};
    print_row_template(f, tpl, &head);
    for (size_t i = 0; i < n; i++) print_row_template(f, tpl, &rows[i]);
  } else {
    /* Docker's table: tabwriter, columns padded by 3, at least 10 wide */
    size_t w[5] = {10, 3, 8, 7, 4};
    const char *heads[5] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
    for (int c = 0; c < 5; c++) w[c] = strlen(heads[c]);
    size_t wd = strlen("DIGEST");
    for (size_t i = 0; i < n; i++) {
      const char *cells[5] = {rows[i].repo, rows[i].tag, rows[i].id, rows[i].created_since, rows[i].size};
      for (int c = 0; c < 5; c++) w[c] = strlen(cells[c]) > w[c] ? strlen(cells[c]) : w[c];
      wd = strlen(rows[i].digest) > wd ? strlen(rows[i].digest) : wd;
    }
    for (int c = 0; c < 5; c++) w[c] = w[c] + 3 < 10 ? 10 : w[c] + 3;
    wd = wd + 3 < 10 ? 10 : wd + 3;
    fprintf(f, "%-*s%-*s", (int)w[0], heads[0], (int)w[1], heads[1]);
    if (digests) fprintf(f, "%-*s", (int)wd, "DIGEST");
    fprintf(f, "%-*s%-*s%s\n", (int)w[2], heads[2], (int)w[3], heads[3], heads[4]);
    for (size_t i = 0; i < n; i++) {
      fprintf(f, "%-*s%-*s", (int)w[0], rows[i].repo, (int)w[1], rows[i].tag);
      if (digests) fprintf(f, "%-*s", (int)wd, rows[i].digest);
      fprintf(f, "%-*s%-*s%s\n", (int)w[2], rows[i].id, (int)w[3], rows[i].created_since, rows[i].size);
    }
  }
  free(rows);
  cJSON_Delete(list);
  return 0;
}

int cli_cmd_images(cli_ctx *ctx, int argc, char **argv) { return cmd_images(ctx, argc, argv, "images"); }

/* --- inspect, rmi, tag, history, prune -------------------------------------------------------------------------- */

static int cmd_inspect(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP}, {"format", 'f', true, O_FORMAT}, {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  const char *format = NULL;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) {
      fputs("Usage: wctr image inspect [OPTIONS] IMAGE [IMAGE...]\n\nDisplay detailed information on one or more images "
            "(Docker's keys: Id, RepoTags, RepoDigests, Created, Config, Architecture, Os, OsVersion, Size, RootFS).\n\n"
            "Options:\n  -f, --format string   json (the default), or '{{json .}}'\n",
            ctx->p->out);
      return 0;
    }
    if (id == O_FORMAT) format = v;
  }
  if (r < 0) return usage_error(ctx, "image inspect", e.text);
  if (st.index >= argc) return usage_error(ctx, "image inspect", "\"image inspect\" requires at least 1 argument");
  bool one_per_line = format != NULL && strcmp(format, "{{json .}}") == 0;
  if (format != NULL && !one_per_line && strcmp(format, "json") != 0) {
    return usage_error(ctx, "image inspect", "--format: json or '{{json .}}' (Go templates come later)");
  }
  cJSON *all = cJSON_CreateArray();
  int status = 0;
  for (int i = st.index; i < argc; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", argv[i]);
    cJSON *result = NULL;
    int rc = 0;
    if (!cli_call(ctx, "image.inspect", p, &result, &rc)) {
      status = rc;
      continue;
    }
    if (one_per_line) {
      char *line = cJSON_PrintUnformatted(result);
      if (line != NULL) fprintf(ctx->p->out, "%s\n", line);
      cJSON_free(line);
      cJSON_Delete(result);
    } else {
      cJSON_AddItemToArray(all, result);
    }
  }
  if (!one_per_line) cli_print_json(ctx->p->out, all);
  cJSON_Delete(all);
  return status;
}

static int cmd_rmi(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP}, {"force", 'f', false, O_FORCE},
                                   {"no-prune", 0, false, O_QUIET}, {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  bool force = false;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) {
      fprintf(ctx->p->out, "Usage: wctr %s [OPTIONS] IMAGE [IMAGE...]\n\nRemove one or more images. A tag is untagged; "
              "the image goes with its last tag, and its layers with the last image that uses them. Refused while a "
              "container uses the image.\n\nOptions:\n  -f, --force   Remove an image referenced by several "
              "repositories (by ID)\n", cmd);
      return 0;
    }
    if (id == O_FORCE) force = true;
  }
  if (r < 0) return usage_error(ctx, cmd, e.text);
  if (st.index >= argc) {
    char msg[96];
    snprintf(msg, sizeof msg, "\"%s\" requires at least 1 argument", cmd);
    return usage_error(ctx, cmd, msg);
  }
  int status = 0;
  for (int i = st.index; i < argc; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", argv[i]);
    if (force) cJSON_AddBoolToObject(p, "Force", true);
    cJSON *result = NULL;
    int rc = 0;
    if (!cli_call(ctx, "image.remove", p, &result, &rc)) {
      status = rc;
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
  return status;
}

int cli_cmd_rmi(cli_ctx *ctx, int argc, char **argv) { return cmd_rmi(ctx, argc, argv, "rmi"); }

static int cmd_tag(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fprintf(ctx->p->out, "Usage: wctr %s SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers "
            "to SOURCE_IMAGE.\n", cmd);
    return 0;
  }
  if (argc != 3) {
    char msg[96];
    snprintf(msg, sizeof msg, "\"%s\" requires exactly 2 arguments", cmd);
    return usage_error(ctx, cmd, msg);
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Source", argv[1]);
  cJSON_AddStringToObject(p, "Target", argv[2]);
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_call(ctx, "image.tag", p, &result, &rc)) return rc;
  cJSON_Delete(result);
  return 0;
}

int cli_cmd_tag(cli_ctx *ctx, int argc, char **argv) { return cmd_tag(ctx, argc, argv, "tag"); }

static int cmd_history(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP},      {"no-trunc", 0, false, O_NO_TRUNC},
                                   {"quiet", 'q', false, O_QUIET},    {"human", 'H', true, O_HUMAN},
                                   {"format", 0, true, O_FORMAT},     {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  bool no_trunc = false, quiet = false, human = true, json = false;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    switch (id) {
      case O_HELP:
        fprintf(ctx->p->out, "Usage: wctr %s [OPTIONS] IMAGE\n\nShow the history of an image.\n\nOptions:\n"
                "      --format string   json (or '{{json .}}')\n  -H, --human           Sizes and dates in human "
                "readable format (default true)\n      --no-trunc        Don't truncate output\n  -q, --quiet           "
                "Only show image IDs\n", cmd);
        return 0;
      case O_NO_TRUNC: no_trunc = true; break;
      case O_QUIET: quiet = true; break;
      case O_HUMAN: human = strcmp(v, "false") != 0; break;
      case O_FORMAT: json = strcmp(v, "json") == 0 || strcmp(v, "{{json .}}") == 0; break;
    }
  }
  if (r < 0) return usage_error(ctx, cmd, e.text);
  if (argc - st.index != 1) return usage_error(ctx, cmd, "\"history\" requires exactly 1 argument");
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", argv[st.index]);
  cJSON *rows = NULL;
  int rc = 0;
  if (!cli_call(ctx, "image.history", p, &rows, &rc)) return rc;
  char now[40];
  ctx->p->now(ctx->p->ctx, now, sizeof now);
  FILE *f = ctx->p->out;
  if (!quiet && !json) fprintf(f, "%-15s%-15s%-48s%-10s%s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
  const cJSON *row;
  cJSON_ArrayForEach(row, rows) {
    const char *full = text_of(row, "Id");
    char image[80];
    if (strcmp(full, "<missing>") == 0 || no_trunc) snprintf(image, sizeof image, "%s", full);
    else snprintf(image, sizeof image, "%.12s", strncmp(full, "sha256:", 7) == 0 ? full + 7 : full);
    if (quiet) {
      fprintf(f, "%s\n", image);
      continue;
    }
    char created[64], size[32], by[200];
    if (human) {
      char span[48];
      cli_human_duration(cli_seconds_between(text_of(row, "Created"), now), span, sizeof span);
      snprintf(created, sizeof created, "%s ago", span);
      human_size(number_of(row, "Size"), 3, size, sizeof size);
    } else {
      snprintf(created, sizeof created, "%s", text_of(row, "Created"));
      snprintf(size, sizeof size, "%.0f", number_of(row, "Size"));
    }
    const char *cb = text_of(row, "CreatedBy");
    if (!no_trunc && strlen(cb) > 45) snprintf(by, sizeof by, "%.44s\xe2\x80\xa6", cb);
    else snprintf(by, sizeof by, "%s", cb);
    if (json) {
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "Comment", text_of(row, "Comment"));
      cJSON_AddStringToObject(o, "CreatedAt", text_of(row, "Created"));
      cJSON_AddStringToObject(o, "CreatedBy", by);
      cJSON_AddStringToObject(o, "CreatedSince", created);
      cJSON_AddStringToObject(o, "ID", image);
      cJSON_AddStringToObject(o, "Size", size);
      char *line = cJSON_PrintUnformatted(o);
      if (line != NULL) fprintf(f, "%s\n", line);
      cJSON_free(line);
      cJSON_Delete(o);
      continue;
    }
    fprintf(f, "%-15s%-15s%-48s%-10s%s\n", image, created, by, size, text_of(row, "Comment"));
  }
  cJSON_Delete(rows);
  return 0;
}

int cli_cmd_history(cli_ctx *ctx, int argc, char **argv) { return cmd_history(ctx, argc, argv, "history"); }

static int cmd_prune(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP}, {"all", 'a', false, O_ALL}, {"force", 'f', false, O_FORCE},
                                   {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  bool all = false, force = false;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) {
      fputs("Usage: wctr image prune [OPTIONS]\n\nRemove unused images: those without a tag, or with -a every image no "
            "container uses.\n\nOptions:\n  -a, --all     Remove all unused images, not just dangling ones\n"
            "  -f, --force   Do not prompt for confirmation\n", ctx->p->out);
      return 0;
    }
    if (id == O_ALL) all = true;
    if (id == O_FORCE) force = true;
  }
  if (r < 0) return usage_error(ctx, "image prune", e.text);
  if (!force) {
    fprintf(ctx->p->out, "%s\nAre you sure you want to continue? [y/N] ",
            all ? "WARNING! This will remove all images without at least one container associated to them."
                : "WARNING! This will remove all dangling images.");
    fflush(ctx->p->out);
    char answer[16] = "";
    if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) return 0;
  }
  cJSON *p = cJSON_CreateObject();
  if (all) cJSON_AddBoolToObject(p, "All", true);
  cJSON *result = NULL;
  int rc = 0;
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
  human_size(number_of(result, "SpaceReclaimed"), 3, size, sizeof size);
  fprintf(ctx->p->out, "Total reclaimed space: %s\n", size);
  cJSON_Delete(result);
  return 0;
}

/* --- save and load ---------------------------------------------------------------------------------------------- */

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

static int cmd_save(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP}, {"output", 'o', true, O_OUTPUT}, {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  const char *output = NULL;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) {
      fprintf(ctx->p->out, "Usage: wctr %s [OPTIONS] IMAGE [IMAGE...]\n\nSave one or more images to a tar archive "
              "(streamed to STDOUT by default): an OCI layout with Docker's manifest.json, which Docker 20.10 and "
              "later load.\n\nOptions:\n  -o, --output string   Write to a file, instead of STDOUT\n", cmd);
      return 0;
    }
    if (id == O_OUTPUT) output = v;
  }
  if (r < 0) return usage_error(ctx, cmd, e.text);
  if (st.index >= argc) return usage_error(ctx, cmd, "\"save\" requires at least 1 argument");
  if (output == NULL && is_tty(ctx, ctx->p->out)) {
    fputs("wctr: cowardly refusing to save to a terminal. Use the -o flag or redirect\n", ctx->p->err);
    return CLI_EXIT_FAILED;
  }
  save_view view = {.ctx = ctx, .f = ctx->p->out};
  if (output != NULL) {
    view.f = ctx->p->open_output != NULL ? ctx->p->open_output(ctx->p->ctx, output) : fopen(output, "wb");
    if (view.f == NULL) {
      fprintf(ctx->p->err, "wctr: failed to save image: unable to open %s for writing\n", output);
      return CLI_EXIT_FAILED;
    }
  }
  cJSON *p = cJSON_CreateObject();
  cJSON *names = cJSON_AddArrayToObject(p, "Names");
  for (int i = st.index; i < argc; i++) cJSON_AddItemToArray(names, cJSON_CreateString(argv[i]));
  cJSON *result = NULL;
  int rc = 0;
  bool ok = cli_stream(ctx, "image.save", p, save_frame, &view, &result, &rc);
  cJSON_Delete(result);
  if (output != NULL) {
    if (fclose(view.f) != 0) view.failed = true;
    if (!ok || view.failed) remove(output); /* never a truncated archive left behind */
  }
  if (ok && view.failed) {
    fprintf(ctx->p->err, "wctr: failed to save image: cannot write %s\n", output != NULL ? output : "to STDOUT");
    return CLI_EXIT_FAILED;
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
  if (strcmp(kind, "progress") != 0) return;
  fprintf(v->ctx->p->out, "%s\n", text_of(data, "status"));
  fflush(v->ctx->p->out);
}

static int cmd_load(cli_ctx *ctx, int argc, char **argv, const char *cmd) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP}, {"input", 'i', true, O_INPUT}, {"quiet", 'q', false, O_QUIET},
                                   {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  const char *input = NULL;
  bool quiet = false;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) {
      fprintf(ctx->p->out, "Usage: wctr %s [OPTIONS]\n\nLoad an image from a tar archive or STDIN: the archives of "
              "'docker save' (20.10, and 25+'s OCI layout) and of 'wctr save'.\n\nOptions:\n  -i, --input string   Read "
              "from tar archive file, instead of STDIN\n  -q, --quiet          Suppress the load output\n", cmd);
      return 0;
    }
    if (id == O_INPUT) input = v;
    if (id == O_QUIET) quiet = true;
  }
  if (r < 0) return usage_error(ctx, cmd, e.text);
  if (st.index < argc) return usage_error(ctx, cmd, "\"load\" accepts no arguments");
  if (input != NULL) {
    if (ctx->p->set_stdin == NULL || ctx->p->set_stdin(ctx->p->ctx, input, &e) != WCTR_OK) {
      fprintf(ctx->p->err, "wctr: %s\n", ctx->p->set_stdin != NULL ? e.text : "-i is not supported here");
      return CLI_EXIT_FAILED;
    }
  } else if (is_tty(ctx, stdin)) {
    fputs("wctr: requested load from stdin, but stdin is empty\n", ctx->p->err);
    return CLI_EXIT_FAILED;
  }
  load_view view = {.ctx = ctx, .quiet = quiet};
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_stream_ex(ctx, "image.load", cJSON_CreateObject(), true, load_frame, &view, &result, &rc, &e)) return rc;
  cJSON_Delete(result);
  return 0;
}

int cli_cmd_load(cli_ctx *ctx, int argc, char **argv) { return cmd_load(ctx, argc, argv, "load"); }

/* --- login and logout ------------------------------------------------------------------------------------------ */

const char cli_login_usage[] =
    "Usage: wctr login [OPTIONS] [SERVER]\n\n"
    "Log in to a registry (default docker.io). wctrd checks the credentials against the registry and keeps\n"
    "nothing; wctr stores them for the user running it, encrypted with DPAPI (docs/images.md), and hands them\n"
    "to wctrd with each pull from that registry.\n\n"
    "Options:\n"
    "  -u, --username string   Username\n"
    "      --password-stdin    Take the password from stdin\n"
    "A password on the command line (-p) is refused: other processes and the shell's history would see it.\n";

static char *trim_line(char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

int cli_cmd_login(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"help", 'h', false, O_HELP},        {"username", 'u', true, O_USERNAME},
                                   {"password", 'p', true, O_PASSWORD}, {"password-stdin", 0, false, O_PASSWORD_STDIN},
                                   {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_opts_init(&st, argc, argv, 1);
  wctr_errmsg e;
  int id, r;
  const char *v;
  const char *user_flag = NULL;
  bool password_stdin = false;
  while ((r = wctr_opts_next(&st, table, &id, &v, &e)) == 1) {
    if (id == O_HELP) {
      fputs(cli_login_usage, ctx->p->out);
      return 0;
    }
    if (id == O_USERNAME) user_flag = v;
    if (id == O_PASSWORD_STDIN) password_stdin = true;
    if (id == O_PASSWORD) {
      return usage_error(ctx, "login", "--password on the command line is refused (other processes and the shell's history "
                                      "see it): use --password-stdin or the prompt");
    }
  }
  if (r < 0) return usage_error(ctx, "login", e.text);
  if (argc - st.index > 1) return usage_error(ctx, "login", "\"login\" requires at most 1 argument");
  const char *server_text = st.index < argc ? argv[st.index] : IMG_DEFAULT_DOMAIN;
  char server[IMG_NAME_MAX + 1];
  if (!registry_of(server_text, true, server, sizeof server)) {
    return usage_error(ctx, "login", "the server must be a registry host[:port] (docker.io, myregistry.example:5000)");
  }
  if (ctx->p->credentials_store == NULL) {
    fputs("wctr: this client cannot store credentials\n", ctx->p->err);
    return CLI_EXIT_FAILED;
  }
  char *user = user_flag != NULL ? strdup(user_flag) : NULL;
  if (user == NULL && user_flag == NULL) {
    if (password_stdin) return usage_error(ctx, "login", "--password-stdin needs --username");
    fprintf(ctx->p->out, "Username: ");
    fflush(ctx->p->out);
    char line[256];
    user = fgets(line, sizeof line, stdin) != NULL ? strdup(trim_line(line)) : NULL;
  }
  char *password = NULL;
  if (password_stdin) {
    size_t len = 0;
    password = trim_line(ctx->p->read_file(ctx->p->ctx, "-", &len, &e));
  } else if (ctx->p->read_secret != NULL) {
    password = ctx->p->read_secret(ctx->p->ctx, "Password: ");
  }
  int status = 0;
  if (user == NULL || user[0] == '\0' || password == NULL || password[0] == '\0') {
    fputs("wctr: a username and a password are required\n", ctx->p->err);
    status = CLI_EXIT_FAILED;
  }
  if (status == 0) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Server", server);
    cJSON_AddStringToObject(p, "Username", user);
    cJSON_AddStringToObject(p, "Password", password);
    cJSON *result = NULL;
    int rc = 0;
    if (!cli_call(ctx, "registry.login", p, &result, &rc)) {
      status = rc;
    } else {
      cJSON_Delete(result);
      if (ctx->p->credentials_store(ctx->p->ctx, server, user, password, &e) != WCTR_OK) {
        fprintf(ctx->p->err, "wctr: the credentials were accepted but cannot be stored: %s\n", e.text);
        status = CLI_EXIT_FAILED;
      } else {
        fputs("Login Succeeded\n", ctx->p->out);
      }
    }
  }
  zero_free(user);
  zero_free(password);
  return status;
}

int cli_cmd_logout(cli_ctx *ctx, int argc, char **argv) {
  if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs("Usage: wctr logout [SERVER]\n\nRemove the credentials 'wctr login' stored for a registry (default docker.io).\n",
          ctx->p->out);
    return 0;
  }
  if (argc > 2) return usage_error(ctx, "logout", "\"logout\" requires at most 1 argument");
  char server[IMG_NAME_MAX + 1];
  if (!registry_of(argc == 2 ? argv[1] : IMG_DEFAULT_DOMAIN, true, server, sizeof server)) {
    return usage_error(ctx, "logout", "the server must be a registry host[:port]");
  }
  wctr_errmsg e;
  wctr_err err = ctx->p->credentials_erase != NULL ? ctx->p->credentials_erase(ctx->p->ctx, server, &e) : WCTR_ENOENT;
  if (err == WCTR_ENOENT) {
    fprintf(ctx->p->out, "Not logged in to %s\n", server);
    return 0;
  }
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", e.text);
    return CLI_EXIT_FAILED;
  }
  fprintf(ctx->p->out, "Removing login credentials for %s\n", server);
  return 0;
}

/* --- wctr image ... -------------------------------------------------------------------------------------------- */

int cli_cmd_image(cli_ctx *ctx, int argc, char **argv) {
  const char *usage = cli_image_usage;
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(usage, argc < 2 ? ctx->p->err : ctx->p->out);
    return argc < 2 ? CLI_EXIT_FAILED : 0;
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
  return CLI_EXIT_FAILED;
}
