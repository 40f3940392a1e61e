/* cli/system.c - wctr system df / prune (and info, events as docker system's): Docker's table, question and
 * summaries, over wctrd's list and prune operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/format.h"
#include "docker/docker.h"

enum { S_FORMAT = 1, S_ALL, S_FORCE, S_VOLUMES, S_FILTER };

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* --- df ------------------------------------------------------------------------------------------------------- */

typedef struct sys_opts {
  const char *format;
  bool all, force, volumes;
  cJSON *labels;
} sys_opts;

static bool sys_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  sys_opts *o = arg;
  if (id == S_FORMAT) o->format = v;
  if (id == S_ALL) o->all = wctr_opts_flag(v);
  if (id == S_FORCE) o->force = wctr_opts_flag(v);
  if (id == S_VOLUMES) o->volumes = wctr_opts_flag(v);
  if (id == S_FILTER) {
    if (strncmp(v, "label=", 6) != 0) {
      wctr_fail(e, WCTR_EINVAL, "invalid filter '%s': system prune takes label=KEY[=VALUE]", v);
      return false;
    }
    if (o->labels == NULL) o->labels = cJSON_CreateArray();
    cJSON_AddItemToArray(o->labels, cJSON_CreateString(v + 6));
  }
  return true;
}

/* Whether a container's image is this image: by the name it was created with, a tag of it, or its id. */
static bool uses(const cJSON *container, const cJSON *image) {
  const char *used = str(container, "Image");
  if (used[0] == '\0') return false;
  if (strcmp(used, str(image, "Name")) == 0 || strcmp(used, str(image, "Id")) == 0) return true;
  const cJSON *tag;
  cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(image, "RepoTags")) {
    if (cJSON_IsString(tag) && strcmp(used, tag->valuestring) == 0) return true;
  }
  return false;
}

/* docker/cli's diskUsage contexts: Reclaimable is "SIZE (P%)" when the total is not 0, else "SIZE". */
static cJSON *df_row(const char *type, int total, int active, double size, double reclaimable, bool percent) {
  char t[16], a[16], s[32], r[32], rr[48];
  snprintf(t, sizeof t, "%d", total);
  snprintf(a, sizeof a, "%d", active);
  docker_human_size(size, 4, s, sizeof s);
  docker_human_size(reclaimable, 4, r, sizeof r);
  if (percent && size > 0) {
    snprintf(rr, sizeof rr, "%s (%lld%%)", r, (long long)((long long)reclaimable * 100 / (long long)size));
  } else {
    snprintf(rr, sizeof rr, "%s", r);
  }
  cJSON *f = cJSON_CreateObject();
  if (f == NULL) return NULL;
  cJSON_AddStringToObject(f, "Type", type);
  cJSON_AddStringToObject(f, "TotalCount", t);
  cJSON_AddStringToObject(f, "Active", a);
  cJSON_AddStringToObject(f, "Size", s);
  cJSON_AddStringToObject(f, "Reclaimable", rr);
  return f;
}

static const char df_headers[] =
    "{\"Type\":\"TYPE\",\"TotalCount\":\"TOTAL\",\"Active\":\"ACTIVE\",\"Size\":\"SIZE\",\"Reclaimable\":\"RECLAIMABLE\"}";
static const char df_default[] = "table {{.Type}}\\t{{.TotalCount}}\\t{{.Active}}\\t{{.Size}}\\t{{.Reclaimable}}";

/* docker system df: images (their sizes; active: used by a container), containers (active: running; wctr
 * does not measure writable layers: 0B), local volumes (active: in use; sizes are not measured: 0B) and the
 * build cache (wctr builds nothing: 0). */
static int system_df(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 0, true, S_FORMAT}, {NULL, 0, false, 0}};
  sys_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "system df", table, argc, argv, sys_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "system df", argc - first, 0, 0, NULL);
  if (rc != 0) return rc;
  cJSON *containers = NULL, *images = NULL, *volumes = NULL, *in_use = NULL;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  bool got = cli_call(ctx, "container.list", p, &containers, &rc) && cli_call(ctx, "image.list", NULL, &images, &rc) &&
             cli_call(ctx, "volume.list", NULL, &volumes, &rc);
  if (got) {
    /* the volumes in use: volume.list's dangling=false */
    static const char *const no[] = {"false"};
    cJSON *vp = cJSON_CreateObject();
    cJSON_AddItemToObject(cJSON_AddObjectToObject(vp, "Filters"), "dangling", cJSON_CreateStringArray(no, 1));
    got = cli_call(ctx, "volume.list", vp, &in_use, &rc);
  }
  cJSON *rows[4] = {NULL, NULL, NULL, NULL};
  cli_format fmt = {0};
  bool compiled = false;
  wctr_errmsg e;
  if (!got) goto done;
  {
    int total = 0, active = 0;
    double size = 0, used = 0;
    const cJSON *img;
    cJSON_ArrayForEach(img, images) {
      total++;
      size += num(img, "Size");
      bool any = false;
      const cJSON *c;
      cJSON_ArrayForEach(c, containers) any = any || uses(c, img);
      if (any) {
        active++;
        used += num(img, "Size");
      }
    }
    rows[0] = df_row("Images", total, active, size, size - used, true);
  }
  {
    int total = 0, active = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, containers) {
      total++;
      if (strcmp(str(c, "State"), "running") == 0 || strcmp(str(c, "State"), "paused") == 0) active++;
    }
    rows[1] = df_row("Containers", total, active, 0, 0, true);
  }
  rows[2] = df_row("Local Volumes", cJSON_GetArraySize(volumes), cJSON_GetArraySize(in_use), 0, 0, true);
  rows[3] = df_row("Build Cache", 0, 0, 0, 0, false);
  if (cli_format_compile(o.format, df_default, &fmt, &e) != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    rc = CLI_EXIT_ERROR;
    goto done;
  }
  compiled = true;
  static const char *const types[] = {"*formatter.diskUsageImagesContext", "*formatter.diskUsageContainersContext",
                                      "*formatter.diskUsageVolumesContext", "*formatter.diskUsageBuilderContext"};
  docker_tpl_object objs[4];
  bool ok = true;
  for (int i = 0; i < 4; i++) {
    ok = ok && rows[i] != NULL;
    objs[i] = (docker_tpl_object){.type_name = types[i], .fields = rows[i]};
  }
  if (ok) {
    rc = cli_print_list(ctx, &fmt, df_headers, objs, 4);
  } else {
    fprintf(ctx->p->err, "out of memory\n");
    rc = CLI_EXIT_ERROR;
  }
done:
  if (compiled) cli_format_free(&fmt);
  for (int i = 0; i < 4; i++) cJSON_Delete(rows[i]);
  cJSON_Delete(containers);
  cJSON_Delete(images);
  cJSON_Delete(volumes);
  cJSON_Delete(in_use);
  return rc;
}

/* --- prune ---------------------------------------------------------------------------------------------------- */

/* docker system prune: the stopped containers, then (--volumes) the unused anonymous volumes, then the
 * dangling images (-a: every image no container uses), each with its "Deleted ...:" list, then the total.
 * wctr has no build cache; networks are not pruned here. One removal that fails is reported and the rest
 * go on; the exit code is then 1. */
static int system_prune(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"all", 'a', false, S_ALL},         {"force", 'f', false, S_FORCE},
                                   {"volumes", 0, false, S_VOLUMES},   {"filter", 0, true, S_FILTER},
                                   {NULL, 0, false, 0}};
  sys_opts o = {0};
  int first = 0;
  int rc = cli_parse_args(ctx, "system prune", table, argc, argv, sys_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, "system prune", argc - first, 0, 0, NULL);
  if (rc != 0) {
    cJSON_Delete(o.labels);
    return rc;
  }
  if (!o.force) {
    fprintf(ctx->p->out, "WARNING! This will remove:\n  - all stopped containers\n%s%s\nAre you sure you want to "
            "continue? [y/N] ",
            o.volumes ? "  - all anonymous volumes not used by at least one container\n" : "",
            o.all ? "  - all images without at least one container associated to them\n" : "  - all dangling images\n");
    fflush(ctx->p->out);
    char answer[16] = "";
    if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y')) {
      cJSON_Delete(o.labels);
      return 0;
    }
  }
  double reclaimed = 0;
  /* containers */
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  if (o.labels != NULL) cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "Filters"), "label", cJSON_Duplicate(o.labels, true));
  cJSON *list = NULL;
  int one = 0;
  if (!cli_call(ctx, "container.list", p, &list, &one)) {
    cJSON_Delete(o.labels);
    return one;
  }
  bool any = false;
  const cJSON *c;
  cJSON_ArrayForEach(c, list) {
    const char *state = str(c, "State");
    if (strcmp(state, "exited") != 0 && strcmp(state, "created") != 0) continue;
    cJSON *q = cJSON_CreateObject();
    cJSON_AddStringToObject(q, "Id", str(c, "Id"));
    cJSON *result = NULL;
    if (cli_call(ctx, "container.remove", q, &result, &one)) {
      if (!any) fputs("Deleted Containers:\n", ctx->p->out);
      any = true;
      fprintf(ctx->p->out, "%s\n", str(c, "Id"));
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  if (any) fputc('\n', ctx->p->out);
  cJSON_Delete(list);
  /* volumes */
  if (o.volumes) {
    cJSON *vp = cJSON_CreateObject();
    if (o.labels != NULL) cJSON_AddItemToObject(cJSON_AddObjectToObject(vp, "Filters"), "label", cJSON_Duplicate(o.labels, true));
    cJSON *result = NULL;
    if (cli_call(ctx, "volume.prune", vp, &result, &one)) {
      const cJSON *names = cJSON_GetObjectItemCaseSensitive(result, "VolumesDeleted");
      if (cJSON_GetArraySize(names) > 0) {
        fputs("Deleted Volumes:\n", ctx->p->out);
        const cJSON *n;
        cJSON_ArrayForEach(n, names) fprintf(ctx->p->out, "%s\n", cJSON_IsString(n) ? n->valuestring : "");
        fputc('\n', ctx->p->out);
      }
      reclaimed += num(result, "SpaceReclaimed");
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  /* images (wctrd's image.prune has no label filter: with --filter, images are left as they are) */
  if (o.labels == NULL) {
    cJSON *ip = cJSON_CreateObject();
    if (o.all) cJSON_AddBoolToObject(ip, "All", true);
    cJSON *result = NULL;
    if (cli_call(ctx, "image.prune", ip, &result, &one)) {
      const cJSON *deleted = cJSON_GetObjectItemCaseSensitive(result, "ImagesDeleted");
      if (cJSON_GetArraySize(deleted) > 0) {
        fputs("Deleted Images:\n", ctx->p->out);
        const cJSON *item;
        cJSON_ArrayForEach(item, deleted) {
          if (str(item, "Untagged")[0] != '\0') fprintf(ctx->p->out, "untagged: %s\n", str(item, "Untagged"));
          if (str(item, "Deleted")[0] != '\0') fprintf(ctx->p->out, "deleted: %s\n", str(item, "Deleted"));
        }
        fputc('\n', ctx->p->out);
      }
      reclaimed += num(result, "SpaceReclaimed");
    } else {
      rc = one;
    }
    cJSON_Delete(result);
  }
  char size[32];
  docker_human_size(reclaimed, 4, size, sizeof size);
  fprintf(ctx->p->out, "Total reclaimed space: %s\n", size);
  cJSON_Delete(o.labels);
  return rc;
}

const char cli_system_usage[] =
    "Usage: wctr system COMMAND\n\nManage wctr.\n\nCommands:\n"
    "  df        Show disk usage (images, containers, local volumes, build cache)\n"
    "  events    Follow container events (as wctr events)\n"
    "  info      Show how this host and wctrd are set up (as wctr info)\n"
    "  prune     Remove stopped containers, dangling images and (--volumes) unused anonymous volumes\n"
    "            (-a: every image no container uses; -f: without asking; --filter label=KEY[=VALUE])\n";

int cli_cmd_system(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) {
    fputs(cli_system_usage, ctx->p->err);
    return CLI_EXIT_ERROR;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "df") == 0) return system_df(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "prune") == 0) return system_prune(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "info") == 0 || strcmp(sub, "events") == 0) return cli_run_command(ctx, argc - 1, argv + 1);
  fprintf(ctx->p->err, "wctr system: unknown command \"%s\"\n\n%s", sub, cli_system_usage);
  return CLI_EXIT_ERROR;
}
