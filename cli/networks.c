/* cli/networks.c - `wctr network create|ls|inspect|rm|prune` (portable): Docker's flags, output and exit
 * codes over wctrd's network.* operations (service/networks.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_internal.h"
#include "cli/format.h"
#include "docker/docker.h"

enum { N_DRIVER = 1, N_SUBNET, N_GATEWAY, N_LABEL, N_QUIET, N_FORMAT, N_FILTER, N_NO_TRUNC, N_FORCE };

typedef struct net_flags {
  const char *driver, *subnet, *gateway, *format;
  bool quiet, no_trunc, force;
  cJSON *labels;  /* create: {"k":"v"} */
  cJSON *filters; /* ls: {"name":[...]} */
  int first;
} net_flags;

/* docker/cli's network inspect and rm words (wctrd's message after "Error: " and "Error response from
 * daemon: "); rm -f is docker/cli's, which forgives a network that does not exist. */
static const cli_named network_kind = {.key = "Id", .inspect_op = "network.inspect", .remove_op = "network.remove",
                                       .error_prefix = "Error: ", .rm_style = CLI_NAMED_RM_DOCKER};

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static bool net_opt(void *arg, int id, const char *v, wctr_errmsg *e) {
  net_flags *f = arg;
  switch (id) {
    case N_DRIVER: f->driver = v; break;
    case N_SUBNET: f->subnet = v; break;
    case N_GATEWAY: f->gateway = v; break;
    case N_FORMAT: f->format = v; break;
    case N_QUIET: f->quiet = wctr_opts_flag(v); break;
    case N_NO_TRUNC: f->no_trunc = wctr_opts_flag(v); break;
    case N_FORCE: f->force = wctr_opts_flag(v); break;
    case N_LABEL: {
      /* --label KEY[=VALUE] (Docker: a key alone has an empty value). */
      const char *eq = strchr(v, '=');
      char key[1024];
      snprintf(key, sizeof key, "%.*s", (int)(eq != NULL ? (size_t)(eq - v) : strlen(v)), v);
      if (key[0] == '\0') {
        wctr_fail(e, WCTR_EINVAL, "invalid label \"%s\": the key is empty", v);
        return false;
      }
      if (f->labels == NULL) f->labels = cJSON_CreateObject();
      cJSON_DeleteItemFromObjectCaseSensitive(f->labels, key);
      cJSON_AddStringToObject(f->labels, key, eq != NULL ? eq + 1 : "");
      break;
    }
    case N_FILTER: {
      /* --filter KEY=VALUE: Docker's filters of network ls (name, id, label, driver, type). */
      const char *eq = strchr(v, '=');
      if (eq == NULL || eq == v) {
        wctr_fail(e, WCTR_EINVAL, "bad format of filter (expected name=value)");
        return false;
      }
      char key[64];
      snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
      if (f->filters == NULL) f->filters = cJSON_CreateObject();
      cJSON *arr = cJSON_GetObjectItemCaseSensitive(f->filters, key);
      if (arr == NULL) arr = cJSON_AddArrayToObject(f->filters, key);
      cJSON_AddItemToArray(arr, cJSON_CreateString(eq + 1));
      break;
    }
    default: break;
  }
  return true;
}

static int parse(cli_ctx *ctx, const char *cmd, const wctr_opt *table, int argc, char **argv, net_flags *f) {
  memset(f, 0, sizeof *f);
  return cli_parse_args(ctx, cmd, table, argc, argv, net_opt, f, &f->first);
}

static void flags_free(net_flags *f) {
  cJSON_Delete(f->labels);
  cJSON_Delete(f->filters);
}

static int net_create(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"driver", 'd', true, N_DRIVER}, {"subnet", 0, true, N_SUBNET},
                                   {"gateway", 0, true, N_GATEWAY}, {"label", 0, true, N_LABEL},
                                   {NULL, 0, false, 0}};
  net_flags f;
  int rc = parse(ctx, "network create", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "network create", argc - f.first, 1, 1, "NETWORK");
  if (rc != 0) {
    flags_free(&f);
    return rc;
  }
  cJSON *params = cJSON_CreateObject();
  cJSON_AddStringToObject(params, "Name", argv[f.first]);
  if (f.driver != NULL) cJSON_AddStringToObject(params, "Driver", f.driver);
  if (f.subnet != NULL) cJSON_AddStringToObject(params, "Subnet", f.subnet);
  if (f.gateway != NULL) cJSON_AddStringToObject(params, "Gateway", f.gateway);
  if (f.labels != NULL) {
    cJSON_AddItemToObject(params, "Labels", f.labels);
    f.labels = NULL;
  }
  flags_free(&f);
  cJSON *result = NULL;
  if (!cli_call(ctx, "network.create", params, &result, &rc)) return rc;
  fprintf(ctx->p->out, "%s\n", str(result, "Id"));
  cJSON_Delete(result);
  return 0;
}

/* docker/cli's networkContext. */
static cJSON *network_fields(const cJSON *n, void *arg) {
  bool no_trunc = *(const bool *)arg;
  char id[72];
  snprintf(id, sizeof id, no_trunc ? "%s" : "%.12s", str(n, "Id"));
  char *labels = cli_format_labels(cJSON_GetObjectItemCaseSensitive(n, "Labels"));
  char created[64] = "";
  int64_t t = 0;
  int32_t ns = 0;
  if (docker_time_parse(str(n, "Created"), &t, &ns)) docker_time_go_string(t, created, sizeof created);
  cJSON *f = cJSON_CreateObject();
  bool ok = f != NULL && labels != NULL && cJSON_AddStringToObject(f, "CreatedAt", created) &&
            cJSON_AddStringToObject(f, "Driver", str(n, "Driver")) && cJSON_AddStringToObject(f, "ID", id) &&
            cJSON_AddStringToObject(f, "IPv6", "false") &&
            cJSON_AddStringToObject(f, "Internal", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(n, "Internal")) ? "true" : "false") &&
            cJSON_AddStringToObject(f, "Labels", labels) && cJSON_AddStringToObject(f, "Name", str(n, "Name")) &&
            cJSON_AddStringToObject(f, "Scope", str(n, "Scope"));
  free(labels);
  if (!ok) {
    cJSON_Delete(f);
    return NULL;
  }
  return f;
}

static const char network_headers[] =
    "{\"ID\":\"NETWORK ID\",\"Name\":\"NAME\",\"Driver\":\"DRIVER\",\"Scope\":\"SCOPE\",\"IPv6\":\"IPV6\","
    "\"Internal\":\"INTERNAL\",\"Labels\":\"LABELS\",\"CreatedAt\":\"CREATED AT\"}";
static const char network_default[] = "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}";

static int cmp_name(const void *a, const void *b) {
  return strcmp(str(*(const cJSON *const *)a, "Name"), str(*(const cJSON *const *)b, "Name"));
}

static int net_ls(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"quiet", 'q', false, N_QUIET},     {"format", 0, true, N_FORMAT},
                                   {"filter", 'f', true, N_FILTER},    {"no-trunc", 0, false, N_NO_TRUNC},
                                   {NULL, 0, false, 0}};
  net_flags f;
  int rc = parse(ctx, "network ls", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "network ls", argc - f.first, 0, 0, NULL);
  if (rc != 0) {
    flags_free(&f);
    return rc;
  }
  cJSON *params = NULL;
  if (f.filters != NULL) {
    params = cJSON_CreateObject();
    cJSON_AddItemToObject(params, "Filters", f.filters);
    f.filters = NULL;
  }
  cJSON *list = NULL;
  if (!cli_call(ctx, "network.list", params, &list, &rc)) {
    flags_free(&f);
    return rc;
  }
  /* Docker lists networks by name. */
  cli_named_list l = {.format = f.quiet ? "{{.ID}}" : f.format, .default_table = network_default,
                      .headers = network_headers, .type_name = "*formatter.networkContext", .fields = network_fields,
                      .arg = &f.no_trunc, .order = cmp_name};
  rc = cli_named_print_list(ctx, &l, list);
  cJSON_Delete(list);
  flags_free(&f);
  return rc;
}

static int net_inspect(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"format", 'f', true, N_FORMAT}, {NULL, 0, false, 0}};
  net_flags f;
  int rc = parse(ctx, "network inspect", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "network inspect", argc - f.first, 1, -1, "NETWORK [NETWORK...]");
  if (rc != 0) {
    flags_free(&f);
    return rc;
  }
  rc = cli_named_inspect(ctx, &network_kind, f.format, argc - f.first, argv + f.first);
  flags_free(&f);
  return rc;
}

static int net_rm(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 'f', false, N_FORCE}, {NULL, 0, false, 0}};
  net_flags f;
  int rc = parse(ctx, "network rm", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "network rm", argc - f.first, 1, -1, "NETWORK [NETWORK...]");
  if (rc != 0) {
    flags_free(&f);
    return rc;
  }
  rc = cli_named_remove(ctx, &network_kind, f.force, argc - f.first, argv + f.first);
  flags_free(&f);
  return rc;
}

static int net_prune(cli_ctx *ctx, int argc, char **argv) {
  static const wctr_opt table[] = {{"force", 'f', false, N_FORCE}, {NULL, 0, false, 0}};
  net_flags f;
  int rc = parse(ctx, "network prune", table, argc, argv, &f);
  if (rc == 0) rc = cli_check_operands(ctx, "network prune", argc - f.first, 0, 0, NULL);
  if (rc != 0) {
    flags_free(&f);
    return rc;
  }
  if (!f.force) {
    /* Docker asks; wctr has no prompt, so it says what would happen and how to confirm. */
    fprintf(ctx->p->err, "WARNING! This will remove all custom networks not used by at least one container.\n"
                         "wctr network prune: confirm with -f/--force (wctr does not prompt)\n");
    flags_free(&f);
    return CLI_EXIT_ERROR;
  }
  flags_free(&f);
  return cli_named_prune(ctx, "network.prune", NULL, "NetworksDeleted", "Deleted Networks:");
}

const char cli_network_usage[] =
    "Usage: wctr network COMMAND\n\n"
    "Manage networks. The default, nat, is the host's NAT network (adopted) or one wctrd creates; networks\n"
    "wctr creates are labelled com.wctr.network.owner and are the only ones it removes.\n\n"
    "Commands:\n"
    "  create [--driver nat] [--subnet CIDR [--gateway IP]] [--label KEY=VALUE] NETWORK\n"
    "                             Create a NAT network (without --subnet, HNS chooses one)\n"
    "  ls [-q] [--no-trunc] [--filter KEY=VALUE] [--format FORMAT]\n"
    "                             List networks (filters: name, id, label, driver, type=builtin|custom)\n"
    "  inspect [-f FORMAT] NETWORK [NETWORK...]\n"
    "                             Show networks in Docker's shape, with their running containers\n"
    "  rm [-f] NETWORK [NETWORK...]\n"
    "                             Remove networks wctr created that no running container uses\n"
    "  prune [-f]                 Remove every network wctr created that no running container uses\n";

int cli_cmd_network(cli_ctx *ctx, int argc, char **argv) {
  if (argc < 2) {
    fputs(cli_network_usage, ctx->p->out);
    return 0;
  }
  const char *sub = argv[1];
  if (strcmp(sub, "create") == 0) return net_create(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) return net_ls(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0) return net_inspect(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0) return net_rm(ctx, argc - 1, argv + 1);
  if (strcmp(sub, "prune") == 0) return net_prune(ctx, argc - 1, argv + 1);
  fprintf(ctx->p->err, "wctr network: unknown subcommand \"%s\": use create, ls, inspect, rm or prune\n", sub);
  return CLI_EXIT_ERROR;
}
