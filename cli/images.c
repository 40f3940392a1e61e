/* cli/images.c - `wctr image add|ls|inspect|rm` and `wctr images`: the local image catalog (portable). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "common/opts.h"

enum { O_HELP = 1, O_LAYER, O_OS_VERSION, O_CMD, O_USER };

const char cli_image_usage[] =
    "Usage: wctr image COMMAND\n\nManage the local image catalog.\n\nCommands:\n"
    "  add      Register layer folders as an image\n"
    "  ls       List images (also 'wctr images [--format json]')\n"
    "  inspect  Show the record of one or more images\n"
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

static int image_ls(cli_ctx *ctx, int argc, char **argv) {
  bool json = false;
  bool help = false;
  int parsed = cli_parse_format_opts(ctx, "images", argc, argv, &json, &help);
  if (parsed != 0) return parsed;
  if (help) {
    fputs("Usage: wctr images [--format json]\n\nList the images of the local catalog.\n", ctx->p->out);
    return 0;
  }
  cJSON *result = NULL;
  int rc = 0;
  if (!cli_call(ctx, "image.list", NULL, &result, &rc)) return rc;
  if (json) {
    cli_print_json(ctx->p->out, result);
  } else {
    fprintf(ctx->p->out, "%-40s %-20s %-7s %s\n", "NAME", "OS VERSION", "LAYERS", "CREATED");
    const cJSON *img;
    cJSON_ArrayForEach(img, result) {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(img, "Name");
      const cJSON *os = cJSON_GetObjectItemCaseSensitive(img, "OsVersion");
      const cJSON *created = cJSON_GetObjectItemCaseSensitive(img, "Created");
      fprintf(ctx->p->out, "%-40s %-20s %-7d %s\n", cJSON_IsString(name) ? name->valuestring : "",
              cJSON_IsString(os) ? os->valuestring : "", cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(img, "Layers")),
              cJSON_IsString(created) ? created->valuestring : "");
    }
  }
  cJSON_Delete(result);
  return 0;
}

/* inspect and rm: one call per NAME; exit 0 only when all succeed. */
static int image_each(cli_ctx *ctx, int argc, char **argv, const char *cmd, const char *op) {
  if (argc < 2) {
    char text[96];
    snprintf(text, sizeof text, "\"%s\" requires at least 1 argument", cmd);
    return usage_error(ctx, cmd, text);
  }
  bool inspect = strcmp(op, "image.inspect") == 0;
  cJSON *all = inspect ? cJSON_CreateArray() : NULL;
  int status = 0;
  for (int i = 1; i < argc; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "Name", argv[i]);
    cJSON *result = NULL;
    int rc = 0;
    if (!cli_call(ctx, op, p, &result, &rc)) {
      status = rc;
      continue;
    }
    if (inspect) {
      cJSON_AddItemToArray(all, result);
    } else {
      fprintf(ctx->p->out, "Untagged: %s\n", argv[i]);
      cJSON_Delete(result);
    }
  }
  if (inspect) {
    if (cJSON_GetArraySize(all) > 0) cli_print_json(ctx->p->out, all);
    cJSON_Delete(all);
  }
  return status;
}

int cli_cmd_images(cli_ctx *ctx, int argc, char **argv) { return image_ls(ctx, argc, argv); }

int cli_cmd_image(cli_ctx *ctx, int argc, char **argv) {
  const char *usage = cli_image_usage;
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(usage, argc < 2 ? ctx->p->err : ctx->p->out);
    return argc < 2 ? CLI_EXIT_FAILED : 0;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "add") == 0) return image_add(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) return image_ls(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0) return image_each(ctx, argc - 1, argv + 1, "image inspect", "image.inspect");
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0) return image_each(ctx, argc - 1, argv + 1, "image rm", "image.remove");
  fprintf(ctx->p->err, "wctr image: unknown command \"%s\"\n\n%s", sub, usage);
  return CLI_EXIT_FAILED;
}
