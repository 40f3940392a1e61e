/* cli/images.c - `wctr image add|ls|inspect|rm` and `wctr images`: the local image catalog (portable). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/format.h"
#include "common/opts.h"
#include "docker/docker.h"

enum { O_HELP = 1, O_LAYER, O_OS_VERSION, O_CMD, O_USER, O_FORMAT };

const char cli_image_usage[] =
    "Usage: wctr image COMMAND\n\nManage the local image catalog.\n\nCommands:\n"
    "  add      Register layer folders as an image\n"
    "  ls       List images (also 'wctr images [--format FORMAT]')\n"
    "  inspect  Show images as Docker's image inspect does (-f FORMAT: json or a Go template)\n"
    "  rm       Remove images from the catalog (the layer folders stay)\n\n"
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

/* docker/cli's imageContext over a catalog record: REPOSITORY and TAG from the name; no content ID or size
 * before images are pulled (issue 13), so ID is empty and the sizes N/A; wctr adds OsVersion and Layers. */
static cJSON *image_fields(const cJSON *img, const char *now) {
  const cJSON *name_item = cJSON_GetObjectItemCaseSensitive(img, "Name");
  const char *name = cJSON_IsString(name_item) ? name_item->valuestring : "";
  const char *slash = strrchr(name, '/');
  const char *colon = strrchr(slash != NULL ? slash : name, ':');
  char repo[256], created_at[64], since[96], layers[16];
  snprintf(repo, sizeof repo, "%.*s", (int)(colon != NULL ? (size_t)(colon - name) : strlen(name)), name);
  const cJSON *created = cJSON_GetObjectItemCaseSensitive(img, "Created");
  int64_t t = 0, now_s = 0;
  int32_t ns = 0;
  bool known = cJSON_IsString(created) && docker_time_parse(created->valuestring, &t, &ns);
  docker_time_go_string(known ? t : 0, created_at, sizeof created_at);
  since[0] = '\0';
  if (known && docker_time_parse(now, &now_s, &ns)) {
    cli_human_ago(now_s - t, since, sizeof since);
  }
  const cJSON *os = cJSON_GetObjectItemCaseSensitive(img, "OsVersion");
  snprintf(layers, sizeof layers, "%d", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(img, "Layers")));
  cJSON *f = cJSON_CreateObject();
  bool ok = f != NULL && cJSON_AddStringToObject(f, "Containers", "N/A") && cJSON_AddStringToObject(f, "CreatedAt", created_at) &&
            cJSON_AddStringToObject(f, "CreatedSince", since) && cJSON_AddStringToObject(f, "Digest", "<none>") &&
            cJSON_AddStringToObject(f, "ID", "") && cJSON_AddStringToObject(f, "Layers", layers) &&
            cJSON_AddStringToObject(f, "OsVersion", cJSON_IsString(os) ? os->valuestring : "") &&
            cJSON_AddStringToObject(f, "Repository", repo) && cJSON_AddStringToObject(f, "SharedSize", "N/A") &&
            cJSON_AddStringToObject(f, "Size", "N/A") && cJSON_AddStringToObject(f, "Tag", colon != NULL ? colon + 1 : "<none>") &&
            cJSON_AddStringToObject(f, "UniqueSize", "N/A");
  if (!ok) {
    cJSON_Delete(f);
    return NULL;
  }
  return f;
}

static const char image_headers[] =
    "{\"ID\":\"IMAGE ID\",\"Repository\":\"REPOSITORY\",\"Tag\":\"TAG\",\"Digest\":\"DIGEST\",\"CreatedSince\":\"CREATED\","
    "\"CreatedAt\":\"CREATED AT\",\"Size\":\"SIZE\",\"Containers\":\"CONTAINERS\",\"SharedSize\":\"SHARED SIZE\","
    "\"UniqueSize\":\"UNIQUE SIZE\",\"OsVersion\":\"OS VERSION\",\"Layers\":\"LAYERS\"}";

static const char images_default[] =
    "table {{.Repository}}\\t{{.Tag}}\\t{{.OsVersion}}\\t{{.Layers}}\\t{{if .CreatedSince}}{{.CreatedSince}}{{else}}N/A{{end}}";

static bool format_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  (void)e;
  if (id == O_FORMAT) *(const char **)arg = v;
  return true;
}

static int image_ls(cli_ctx *ctx, const char *cmd, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 0, true, O_FORMAT}, {NULL, 0, false, 0}};
  const char *format = NULL;
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, format_opt, &format, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 0, 0, NULL);
  if (rc != 0) return rc;
  cJSON *result = NULL;
  if (!cli_call(ctx, "image.list", NULL, &result, &rc)) return rc;
  cli_format f;
  wctr_errmsg e;
  if (cli_format_compile(format, images_default, &f, &e) != WCTR_OK) {
    cJSON_Delete(result);
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  char now[40];
  cli_now(ctx, now, sizeof now);
  size_t n = (size_t)cJSON_GetArraySize(result);
  cli_tpl_object *objs = calloc(n > 0 ? n : 1, sizeof *objs);
  cJSON **fields = calloc(n > 0 ? n : 1, sizeof *fields);
  size_t k = 0;
  bool ok = objs != NULL && fields != NULL;
  const cJSON *img;
  cJSON_ArrayForEach(img, result) {
    if (!ok || k >= n) break;
    fields[k] = image_fields(img, now);
    ok = fields[k] != NULL;
    if (ok) objs[k] = (cli_tpl_object){.type_name = "*formatter.imageContext", .fields = fields[k]};
    k += ok ? 1 : 0;
  }
  cJSON *header = cJSON_Parse(image_headers);
  cli_buf out;
  cli_buf_init(&out, 0);
  wctr_err err = ok ? cli_format_write(&f, header, objs, k, &out, &e) : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) {
    cli_print_buf(ctx->p->out, out.data, out.len);
  } else {
    fprintf(ctx->p->err, "%s\n", e.text);
    rc = CLI_EXIT_ERROR;
  }
  cli_buf_free(&out);
  cJSON_Delete(header);
  for (size_t i = 0; i < k; i++) cJSON_Delete(fields[i]);
  free(fields);
  free(objs);
  cli_format_free(&f);
  cJSON_Delete(result);
  return rc;
}

/* image inspect: Docker's shape and layout (-f as docker image inspect); exit 1 when any is missing. */
static int image_inspect(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 'f', true, O_FORMAT}, {NULL, 0, false, 0}};
  const char *format = NULL;
  int first = 0;
  int rc = cli_parse_args(ctx, "image inspect", table, argc, argv, format_opt, &format, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "image inspect", argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  cli_inspect in;
  wctr_errmsg e;
  if (cli_inspect_begin(&in, format, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return e.code == WCTR_EINVAL ? CLI_EXIT_TEMPLATE : CLI_EXIT_ERROR;
  }
  cli_buf errors;
  cli_buf_init(&errors, 0);
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
      cli_buf_addf(&errors, "wctr: %s\n", e.text);
      continue;
    }
    cJSON *shaped = docker_image_inspect(result);
    if (shaped == NULL || cli_inspect_add(&in, shaped, &e) != WCTR_OK) {
      cli_buf_addf(&errors, "wctr: %s\n", shaped == NULL ? "out of memory" : e.text);
    }
    cJSON_Delete(shaped);
    cJSON_Delete(result);
  }
  cli_buf out;
  cli_buf_init(&out, 0);
  cli_inspect_finish(&in, &out);
  cli_print_buf(ctx->p->out, out.data, out.len);
  cli_buf_free(&out);
  if (errors.len > 0) {
    fflush(ctx->p->out);
    cli_print_buf(ctx->p->err, errors.data, errors.len);
    rc = CLI_EXIT_ERROR;
  }
  cli_buf_free(&errors);
  return rc;
}

static int image_rm(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{NULL, 0, false, 0}};
  int first = 0;
  int rc = cli_parse_args(ctx, "image rm", table, argc, argv, NULL, NULL, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "image rm", argc - first, 1, -1, NULL);
  if (rc != 0) return rc;
  for (int i = first; i < argc; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", argv[i]);
    cJSON *result = NULL;
    int one = 0;
    if (!cli_call(ctx, "image.remove", p, &result, &one)) {
      rc = one;
      continue;
    }
    fprintf(ctx->p->out, "Untagged: %s\n", argv[i]);
    cJSON_Delete(result);
  }
  return rc;
}

int cli_cmd_images(cli_ctx *ctx, int argc, char **argv) { return image_ls(ctx, "images", argc, argv); }

int cli_cmd_image(cli_ctx *ctx, int argc, char **argv) {
  const char *usage = cli_image_usage;
  if (argc < 2) {
    fputs(usage, ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "add") == 0) return image_add(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) return image_ls(ctx, "image ls", argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0) return image_inspect(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0) return image_rm(ctx, argc - 1, argv + 1);
  fprintf(ctx->p->err, "wctr image: unknown command \"%s\"\n\n%s", sub, usage);
  return CLI_EXIT_ERROR;
}
