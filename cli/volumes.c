/* cli/volumes.c - `wctr volume create/ls/inspect/rm/prune` (portable), docker/cli's volume commands over the
 * volume.* operations (service/manager.h). wctrd answers Docker's shape of a volume; this file prints it. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/format.h"
#include "common/opts.h"

enum { V_FORMAT = 1, V_FORCE, V_QUIET, V_FILTER, V_DRIVER, V_LABEL, V_OPT, V_NAME, V_ALL };

typedef struct vflags {
  const char *cmd;
  bool force, quiet, all;
  const char *format;
  const char *driver;
  const char *name;
  cJSON *labels;  /* create: {"k":"v"}; prune/ls: filters */
  cJSON *opts;    /* create: {"k":"v"} */
  cJSON *filters; /* {"key":["v",...]} */
  int first;
} vflags;

static void vflags_free(vflags *f) {
  cJSON_Delete(f->labels);
  cJSON_Delete(f->opts);
  cJSON_Delete(f->filters);
}

/* "k=v" (or "k" for an empty value) into obj; a later key replaces an earlier one, as docker/cli's map. */
static bool add_kv(cJSON **obj, const char *text) {
  if (*obj == NULL) *obj = cJSON_CreateObject();
  if (*obj == NULL) return false;
  const char *eq = strchr(text, '=');
  size_t klen = eq != NULL ? (size_t)(eq - text) : strlen(text);
  char key[256];
  if (klen == 0 || klen >= sizeof key) return false;
  memcpy(key, text, klen);
  key[klen] = '\0';
  cJSON_DeleteItemFromObjectCaseSensitive(*obj, key);
  return cJSON_AddStringToObject(*obj, key, eq != NULL ? eq + 1 : "") != NULL;
}

static bool add_filter(cJSON **filters, const char *text, wctr_errmsg *e) {
  const char *eq = strchr(text, '=');
  if (eq == NULL || eq == text) {
    wctr_fail(e, WCTR_EINVAL, "bad format of filter (expected name=value)");
    return false;
  }
  char key[64];
  size_t klen = (size_t)(eq - text);
  if (klen >= sizeof key) klen = sizeof key - 1;
  memcpy(key, text, klen);
  key[klen] = '\0';
  static const char *const known[] = {"dangling", "name", "label", "driver", NULL};
  bool ok = false;
  for (size_t i = 0; known[i] != NULL; i++) ok = ok || strcmp(known[i], key) == 0;
  if (!ok) {
    wctr_fail(e, WCTR_EINVAL, "invalid filter '%.64s'", key);
    return false;
  }
  if (*filters == NULL) *filters = cJSON_CreateObject();
  cJSON *arr = *filters != NULL ? cJSON_GetObjectItemCaseSensitive(*filters, key) : NULL;
  if (*filters != NULL && arr == NULL) arr = cJSON_AddArrayToObject(*filters, key);
  if (arr == NULL) {
    wctr_fail(e, WCTR_ENOMEM, "out of memory");
    return false;
  }
  cJSON_AddItemToArray(arr, cJSON_CreateString(eq + 1));
  return true;
}

static bool vopt(void *arg, int id, const char *value, wctr_errmsg *e) {
  vflags *f = arg;
  switch (id) {
    case V_FORMAT: f->format = value; return true;
    case V_FORCE: f->force = wctr_opts_flag(value); return true;
    case V_QUIET: f->quiet = wctr_opts_flag(value); return true;
    case V_ALL: f->all = wctr_opts_flag(value); return true;
    case V_DRIVER: f->driver = value; return true;
    case V_NAME: f->name = value; return true;
    case V_FILTER: return add_filter(&f->filters, value, e);
    case V_LABEL:
      if (!add_kv(&f->labels, value)) {
        wctr_fail(e, WCTR_EINVAL, "invalid label \"%.64s\" (use KEY=VALUE)", value);
        return false;
      }
      return true;
    case V_OPT:
      if (!add_kv(&f->opts, value)) {
        wctr_fail(e, WCTR_EINVAL, "invalid option \"%.64s\" (use KEY=VALUE)", value);
        return false;
      }
      return true;
    default: return false;
  }
}

static int parse(cli_ctx *ctx, const char *cmd, const wctr_opt *table, int argc, char **argv, vflags *f) {
  memset(f, 0, sizeof *f);
  f->cmd = cmd;
  return cli_parse_args(ctx, cmd, table, argc, argv, vopt, f, &f->first);
}

/* docker/cli's volume inspect words a failure as "Error: No such volume: NAME". */
static const cli_named volume_kind = {.key = "Name", .inspect_op = "volume.inspect", .remove_op = "volume.remove",
                                      .error_prefix = "wctr: ", .no_such = "volume", .rm_style = CLI_NAMED_RM_WCTR};

static const char *str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static int volume_create(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"driver", 'd', true, V_DRIVER}, {"label", 0, true, V_LABEL},
                                   {"opt", 'o', true, V_OPT},       {"name", 0, true, V_NAME},
                                   {NULL, 0, false, 0}};
  vflags f;
  int rc = parse(ctx, "volume create", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "volume create", argc - f.first, 0, 1, "[VOLUME]");
  const char *name = f.name;
  if (rc == 0 && argc - f.first == 1) {
    /* docker/cli: a name given both ways must be the same. */
    if (name != NULL && strcmp(name, argv[f.first]) != 0) {
      rc = cli_flag_error(ctx, "volume create", "conflicting options: either specify --name or provide positional arg, not both");
    }
    name = argv[f.first];
  }
  cJSON *params = rc == 0 ? cJSON_CreateObject() : NULL;
  if (rc == 0 && params == NULL) rc = CLI_EXIT_ERROR;
  if (rc == 0) {
    if (name != NULL) cJSON_AddStringToObject(params, "Name", name);
    if (f.driver != NULL) cJSON_AddStringToObject(params, "Driver", f.driver);
    if (f.labels != NULL) {
      cJSON_AddItemToObject(params, "Labels", f.labels);
      f.labels = NULL;
    }
    if (f.opts != NULL) {
      cJSON_AddItemToObject(params, "DriverOpts", f.opts);
      f.opts = NULL;
    }
    cJSON *result = NULL;
    if (cli_call(ctx, "volume.create", params, &result, &rc)) {
      fprintf(ctx->p->out, "%s\n", str(result, "Name"));
      cJSON_Delete(result);
    }
  }
  vflags_free(&f);
  return rc;
}

/* docker/cli's volumeContext: Name, Driver, Scope, Mountpoint, Labels ("k=v,k=v"), Links, Size. */
static cJSON *volume_fields(const cJSON *v, void *arg) {
  (void)arg;
  docker_buf labels;
  docker_buf_init(&labels, 0);
  const cJSON *l;
  cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(v, "Labels")) {
    if (labels.len > 0) docker_buf_addc(&labels, ',');
    docker_buf_addf(&labels, "%s=%s", l->string, cJSON_IsString(l) ? l->valuestring : "");
  }
  cJSON *f = cJSON_CreateObject();
  bool ok = f != NULL && !labels.failed && cJSON_AddStringToObject(f, "Name", str(v, "Name")) &&
            cJSON_AddStringToObject(f, "Driver", str(v, "Driver")) && cJSON_AddStringToObject(f, "Scope", str(v, "Scope")) &&
            cJSON_AddStringToObject(f, "Mountpoint", str(v, "Mountpoint")) &&
            cJSON_AddStringToObject(f, "Labels", labels.data != NULL ? labels.data : "") &&
            cJSON_AddStringToObject(f, "Links", "N/A") && cJSON_AddStringToObject(f, "Size", "N/A");
  docker_buf_free(&labels);
  if (!ok) {
    cJSON_Delete(f);
    return NULL;
  }
  return f;
}

static const char volume_headers[] =
    "{\"Name\":\"VOLUME NAME\",\"Driver\":\"DRIVER\",\"Scope\":\"SCOPE\",\"Mountpoint\":\"MOUNTPOINT\","
    "\"Labels\":\"LABELS\",\"Links\":\"LINKS\",\"Size\":\"SIZE\"}";
static const char volume_default[] = "table {{.Driver}}\\t{{.Name}}";

static int volume_ls(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 0, true, V_FORMAT}, {"quiet", 'q', false, V_QUIET},
                                   {"filter", 'f', true, V_FILTER}, {NULL, 0, false, 0}};
  vflags f;
  int rc = parse(ctx, "volume ls", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "volume ls", argc - f.first, 0, 0, NULL);
  cJSON *list = NULL;
  cJSON *params = rc == 0 ? cJSON_CreateObject() : NULL;
  if (params != NULL && f.filters != NULL) {
    cJSON_AddItemToObject(params, "Filters", f.filters);
    f.filters = NULL;
  }
  if (rc != 0 || !cli_call(ctx, "volume.list", params, &list, &rc)) {
    vflags_free(&f);
    return rc;
  }
  cli_named_list l = {.format = f.quiet ? "{{.Name}}" : f.format, .default_table = volume_default,
                      .headers = volume_headers, .type_name = "*formatter.volumeContext", .fields = volume_fields};
  rc = cli_named_print_list(ctx, &l, list);
  cJSON_Delete(list);
  vflags_free(&f);
  return rc;
}

static int volume_inspect(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 'f', true, V_FORMAT}, {NULL, 0, false, 0}};
  vflags f;
  int rc = parse(ctx, "volume inspect", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "volume inspect", argc - f.first, 1, -1, "VOLUME [VOLUME...]");
  if (rc != 0) return rc;
  return cli_named_inspect(ctx, &volume_kind, f.format, argc - f.first, argv + f.first);
}

static int volume_rm(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 'f', false, V_FORCE}, {NULL, 0, false, 0}};
  vflags f;
  int rc = parse(ctx, "volume rm", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "volume rm", argc - f.first, 1, -1, "VOLUME [VOLUME...]");
  if (rc != 0) return rc;
  return cli_named_remove(ctx, &volume_kind, f.force, argc - f.first, argv + f.first);
}

static int volume_prune(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 'f', false, V_FORCE}, {"all", 'a', false, V_ALL},
                                   {"filter", 0, true, V_FILTER}, {NULL, 0, false, 0}};
  vflags f;
  int rc = parse(ctx, "volume prune", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "volume prune", argc - f.first, 0, 0, NULL);
  /* docker asks "Are you sure you want to continue? [y/N]"; wctr does not prompt, so it asks for -f. */
  if (rc == 0 && !f.force) {
    rc = cli_usage_error(ctx, "volume prune", "removing volumes needs -f/--force (wctr does not prompt for a "
                         "confirmation)");
  }
  cJSON *params = rc == 0 ? cJSON_CreateObject() : NULL;
  if (params != NULL) {
    if (f.all) cJSON_AddBoolToObject(params, "All", true);
    if (f.filters != NULL) {
      cJSON_AddItemToObject(params, "Filters", f.filters);
      f.filters = NULL;
    }
    rc = cli_named_prune(ctx, "volume.prune", params, "VolumesDeleted", "Deleted Volumes:");
  }
  vflags_free(&f);
  return rc;
}

int cli_cmd_volume(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) return cli_usage_error(ctx, "volume", "a subcommand is required: create, ls, inspect, rm or prune");
  const char *sub = argv[1];
  if (strcmp(sub, "create") == 0) return volume_create(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) return volume_ls(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0) return volume_inspect(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0) return volume_rm(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "prune") == 0) return volume_prune(ctx, argc - 1, argv + 1);
  fprintf(ctx->p->err, "wctr volume: unknown subcommand \"%s\": use create, ls, inspect, rm or prune\n", sub);
  return CLI_EXIT_ERROR;
}

/* --- --mount -------------------------------------------------------------------------------------------- */

static bool bool_value(const char *v, bool *out) {
  if (v == NULL || strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
    *out = true;
    return true;
  }
  if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
    *out = false;
    return true;
  }
  return false;
}

wctr_err cli_mount_to_bind(const char *text, char **out, wctr_errmsg *e) {
  char type[16] = "volume";
  char source[1024] = "", target[1024] = "";
  bool read_only = false;
  *out = NULL;
  const char *p = text;
  while (*p != '\0') {
    size_t len = strcspn(p, ",");
    char field[1200];
    if (len >= sizeof field) return wctr_fail(e, WCTR_EINVAL, "--mount: a field is longer than %zu characters", sizeof field - 1);
    memcpy(field, p, len);
    field[len] = '\0';
    char *eq = strchr(field, '=');
    if (eq != NULL) *eq = '\0';
    const char *key = field;
    const char *value = eq != NULL ? eq + 1 : NULL;
    if (strcmp(key, "readonly") == 0 || strcmp(key, "ro") == 0) {
      if (!bool_value(value, &read_only)) {
        return wctr_fail(e, WCTR_EINVAL, "invalid value for %s: %.64s", key, value);
      }
    } else if (value == NULL) {
      return wctr_fail(e, WCTR_EINVAL, "invalid field '%.64s' must be a key=value pair", key);
    } else if (strcmp(key, "type") == 0) {
      snprintf(type, sizeof type, "%.15s", value);
    } else if (strcmp(key, "source") == 0 || strcmp(key, "src") == 0) {
      snprintf(source, sizeof source, "%s", value);
    } else if (strcmp(key, "target") == 0 || strcmp(key, "dst") == 0 || strcmp(key, "destination") == 0) {
      snprintf(target, sizeof target, "%s", value);
    } else if (strcmp(key, "volume-driver") == 0) {
      if (strcmp(value, "local") != 0) {
        return wctr_fail(e, WCTR_EINVAL, "--mount: volume-driver=%.64s: only the local driver exists here", value);
      }
    } else if (strcmp(key, "volume-opt") == 0 || strcmp(key, "bind-propagation") == 0 ||
               strcmp(key, "consistency") == 0 || strcmp(key, "volume-nocopy") == 0 ||
               strcmp(key, "volume-label") == 0 || strcmp(key, "tmpfs-size") == 0 || strcmp(key, "tmpfs-mode") == 0) {
      /* Docker on Windows: propagation and tmpfs are Linux's; the local driver takes no options. */
      return wctr_fail(e, WCTR_EINVAL, "--mount: %s is not supported on Windows", key);
    } else {
      return wctr_fail(e, WCTR_EINVAL, "unexpected key '%.64s' in '%.200s'", key, text);
    }
    p += len;
    if (*p == ',') p++;
  }
  if (strcmp(type, "bind") != 0 && strcmp(type, "volume") != 0 && strcmp(type, "npipe") != 0) {
    return wctr_fail(e, WCTR_EINVAL, "invalid mount config for type \"%s\": mount type unknown or not supported on "
                     "Windows (bind, volume, npipe)", type);
  }
  if (target[0] == '\0') {
    return wctr_fail(e, WCTR_EINVAL, "invalid mount config for type \"%s\": field Target must not be empty", type);
  }
  if (source[0] == '\0' && strcmp(type, "volume") != 0) {
    return wctr_fail(e, WCTR_EINVAL, "invalid mount config for type \"%s\": field Source must not be empty", type);
  }
  /* The -v form, which spec_mount_parse checks in wctrd (a bind's source must then be a path, a volume's a
   * name): one set of rules for both flags. */
  size_t n = strlen(source) + strlen(target) + 8;
  char *bind = malloc(n);
  if (bind == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (strcmp(type, "volume") == 0 && source[0] != '\0' && (strchr(source, '\\') != NULL || strchr(source, '/') != NULL ||
                                                          strchr(source, ':') != NULL)) {
    free(bind);
    return wctr_fail(e, WCTR_EINVAL, "invalid mount config for type \"volume\": invalid volume name \"%.200s\" (a "
                     "host folder is type=bind)", source);
  }
  if (strcmp(type, "bind") == 0 && strchr(source, '\\') == NULL && strchr(source, '/') == NULL) {
    free(bind);
    return wctr_fail(e, WCTR_EINVAL, "invalid mount config for type \"bind\": invalid mount path: '%.200s' mount "
                     "path must be absolute", source);
  }
  if (source[0] == '\0') {
    snprintf(bind, n, "%s%s", target, read_only ? ":ro" : "");
  } else {
    snprintf(bind, n, "%s:%s%s", source, target, read_only ? ":ro" : "");
  }
  *out = bind;
  return WCTR_OK;
}
