/* cli/commands.c - wctr's commands and their output (portable). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/pipename.h"
#include "common/proto.h"

enum { OPT_HELP, OPT_HOST, OPT_VERSION, OPT_FORMAT };

typedef struct cli_ctx {
  const cli_platform *p;
  char pipe_path[WCTR_PIPE_PATH_MAX];
  cli_connection *conn;
} cli_ctx;

typedef int (*command_fn)(cli_ctx *ctx, int argc, char **argv);

static int cmd_version(cli_ctx *ctx, int argc, char **argv);
static int cmd_info(cli_ctx *ctx, int argc, char **argv);

static const struct command {
  const char *name;
  command_fn fn;
  const char *summary;
  const char *usage;
} commands[] = {
    {"info", cmd_info, "Show how this host and wctrd are set up",
     "Usage: wctr info [--format json]\n\n"
     "Show the host's OS and build, whether the Host Compute Service can be loaded, the isolation modes\n"
     "available, the data root, the pipe and its DACL, and the BitLocker state of the data root's volume.\n\n"
     "Options:\n"
     "  -f, --format string   'json' (or Docker's '{{json .}}') prints the raw JSON\n"},
    {"version", cmd_version, "Show the wctr and wctrd versions",
     "Usage: wctr version [--format json]\n\n"
     "Show the client's version, then the service's.\n\n"
     "Options:\n"
     "  -f, --format string   'json' (or Docker's '{{json .}}') prints the raw JSON\n"},
};

static void print_overview(FILE *f) {
  fputs("Usage: wctr [OPTIONS] COMMAND\n\n"
        "A small, strict container engine for Windows.\n\n"
        "Options:\n"
        "  -H, --host string   wctrd's pipe: \\\\.\\pipe\\NAME or npipe:////./pipe/NAME\n"
        "                      (default \\\\.\\pipe\\wctr_engine, or WCTR_HOST)\n"
        "  -v, --version       Print the client version and quit\n"
        "  -h, --help          Print this help\n\n"
        "Commands:\n",
        f);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  }
  fputs("\nRun 'wctr COMMAND --help' for more information on a command.\n", f);
}

/* Says why the service could not be reached, and what to do about it. */
static int connect_failed(cli_ctx *ctx, wctr_err err, const wctr_errmsg *e) {
  FILE *f = ctx->p->err;
  switch (err) {
    case WCTR_ENOENT:
      fprintf(f,
              "wctr: cannot connect to wctrd at %s: the pipe does not exist.\n"
              "Is wctrd running? Start the service with `net start wctrd` (install it once with `wctrd install`),\n"
              "or run `wctrd run` in another console. If wctrd listens on another pipe, use --host or WCTR_HOST.\n",
              ctx->pipe_path);
      break;
    case WCTR_EACCES:
      fprintf(f,
              "wctr: access to %s is denied.\n"
              "Run as an administrator, or as a member of a group that wctrd was installed with (--group).\n",
              ctx->pipe_path);
      break;
    case WCTR_EBUSY:
    case WCTR_ETIMEDOUT:
      fprintf(f, "wctr: wctrd at %s is busy and did not accept the connection in time; try again.\n",
              ctx->pipe_path);
      break;
    default:
      fprintf(f, "wctr: cannot connect to wctrd at %s: %s\n", ctx->pipe_path, e->text);
      break;
  }
  return CLI_EXIT_FAILED;
}

/* Calls op; prints the failure and returns false when it fails. */
static bool call(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, int *rc) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (ctx->conn == NULL) {
    wctr_err err = ctx->p->connect(ctx->p->ctx, ctx->pipe_path, &ctx->conn, &e);
    if (err != WCTR_OK) {
      cJSON_Delete(params);
      *rc = connect_failed(ctx, err, &e);
      return false;
    }
  }
  wctr_err err = ctx->p->call(ctx->conn, op, params, result, &e);
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", e.text[0] != '\0' ? e.text : wctr_strerror(err));
    *rc = CLI_EXIT_FAILED;
    return false;
  }
  return true;
}

/* --format: only JSON for now; Docker's '{{json .}}' means the same. */
static int parse_format_opts(cli_ctx *ctx, const char *cmd, int argc, char **argv, bool *json, bool *help) {
  static const wctr_opt table[] = {
      {"help", 'h', false, OPT_HELP}, {"format", 'f', true, OPT_FORMAT}, {NULL, 0, false, 0}};
  wctr_opts st;
  wctr_errmsg e;
  int id;
  const char *value;
  int r;
  *json = false;
  *help = false;
  wctr_opts_init(&st, argc, argv, 1);
  while ((r = wctr_opts_next(&st, table, &id, &value, &e)) == 1) {
    if (id == OPT_HELP) {
      *help = true;
      return 0;
    }
    if (strcmp(value, "json") == 0 || strcmp(value, "{{json .}}") == 0) {
      *json = true;
    } else if (strcmp(value, "text") == 0 || strcmp(value, "table") == 0) {
      *json = false;
    } else {
      fprintf(ctx->p->err, "wctr %s: --format \"%s\" is not supported: use json or text\n", cmd, value);
      return CLI_EXIT_FAILED;
    }
  }
  if (r < 0) {
    fprintf(ctx->p->err, "wctr %s: %s\nSee 'wctr %s --help'.\n", cmd, e.text, cmd);
    return CLI_EXIT_FAILED;
  }
  if (st.index < argc) {
    fprintf(ctx->p->err, "wctr %s: takes no arguments, but \"%s\" was given\nSee 'wctr %s --help'.\n", cmd,
            argv[st.index], cmd);
    return CLI_EXIT_FAILED;
  }
  return 0;
}

static const char *str_or(const cJSON *obj, const char *key, const char *fallback) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(item) ? item->valuestring : fallback;
}

/* One line, as Docker's --format '{{json .}}' prints: easy to pipe into a JSON tool. */
static void print_json(FILE *f, const cJSON *item) {
  char *text = cJSON_PrintUnformatted(item);
  if (text != NULL) fprintf(f, "%s\n", text);
  cJSON_free(text);
}

static int cmd_version(cli_ctx *ctx, int argc, char **argv) {
  bool json;
  bool help;
  int rc = parse_format_opts(ctx, "version", argc, argv, &json, &help);
  if (rc != 0 || help) return rc;
  cJSON *server = NULL;
  if (!json) {
    /* The client's part first and flushed, so it stands above any error about reaching the service. */
    fprintf(ctx->p->out, "Client:\n Version:      %s\n API version:  %d\n OS/Arch:      windows/amd64\n",
            WCTR_VERSION, WCTR_PROTO_VERSION);
    fflush(ctx->p->out);
  }
  bool ok = call(ctx, "version", NULL, &server, &rc);
  if (json) {
    cJSON *both = cJSON_CreateObject();
    cJSON *client = cJSON_AddObjectToObject(both, "Client");
    cJSON_AddStringToObject(client, "Version", WCTR_VERSION);
    cJSON_AddNumberToObject(client, "ApiVersion", WCTR_PROTO_VERSION);
    cJSON_AddStringToObject(client, "Os", "windows");
    cJSON_AddStringToObject(client, "Arch", "amd64");
    if (ok) cJSON_AddItemToObject(both, "Server", server);
    print_json(ctx->p->out, both);
    cJSON_Delete(both);
    return rc;
  }
  if (ok) {
    const cJSON *api = cJSON_GetObjectItemCaseSensitive(server, "ApiVersion");
    fprintf(ctx->p->out, "\nServer:\n Version:      %s\n API version:  %d\n OS/Arch:      %s/%s\n",
            str_or(server, "Version", "?"), cJSON_IsNumber(api) ? api->valueint : 0, str_or(server, "Os", "?"),
            str_or(server, "Arch", "?"));
  }
  cJSON_Delete(server);
  return rc;
}

static int cmd_info(cli_ctx *ctx, int argc, char **argv) {
  bool json;
  bool help;
  int rc = parse_format_opts(ctx, "info", argc, argv, &json, &help);
  if (rc != 0 || help) return rc;
  cJSON *info = NULL;
  if (!call(ctx, "info", NULL, &info, &rc)) return rc;
  FILE *f = ctx->p->out;
  if (json) {
    print_json(f, info);
    cJSON_Delete(info);
    return 0;
  }
  const cJSON *hcs = cJSON_GetObjectItemCaseSensitive(info, "HCS");
  const cJSON *iso = cJSON_GetObjectItemCaseSensitive(info, "Isolation");
  const cJSON *avail = cJSON_GetObjectItemCaseSensitive(iso, "Available");
  const cJSON *pipe = cJSON_GetObjectItemCaseSensitive(info, "Pipe");
  const cJSON *bl = cJSON_GetObjectItemCaseSensitive(info, "BitLocker");
  const cJSON *who = cJSON_GetObjectItemCaseSensitive(info, "Caller");
  fprintf(f, "Server Version:      %s\n", str_or(info, "ServerVersion", "?"));
  fprintf(f, "Operating System:    %s\n", str_or(info, "OperatingSystem", "?"));
  fprintf(f, "OS Version:          %s\n", str_or(info, "OSVersion", "?"));
  fprintf(f, "HCS:                 %s\n",
          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hcs, "Available")) ? "available" : "not available");
  fprintf(f, "  %s\n", str_or(hcs, "Detail", ""));
  fprintf(f, "Default Isolation:   %s\n", str_or(iso, "Default", "?"));
  fprintf(f, "Isolation Available:");
  const cJSON *mode;
  int modes = 0;
  cJSON_ArrayForEach(mode, avail) {
    if (cJSON_IsString(mode)) fprintf(f, " %s", mode->valuestring);
    modes++;
  }
  fprintf(f, "%s\n", modes == 0 ? " none" : "");
  fprintf(f, "Data Root:           %s\n", str_or(info, "DataRoot", "?"));
  fprintf(f, "Pipe:                %s\n", str_or(pipe, "Name", "?"));
  fprintf(f, "Pipe DACL:           %s\n", str_or(pipe, "SDDL", "?"));
  fprintf(f, "BitLocker:           %s (volume %s)\n", str_or(bl, "State", "?"), str_or(bl, "Volume", "?"));
  fprintf(f, "  %s\n", str_or(bl, "Detail", ""));
  fprintf(f, "Caller:              %s (%s)\n", str_or(who, "Name", "?"), str_or(who, "SID", "?"));
  cJSON_Delete(info);
  return 0;
}

int cli_main(int argc, char **argv, const cli_platform *platform) {
  static const wctr_opt table[] = {{"help", 'h', false, OPT_HELP},
                                   {"host", 'H', true, OPT_HOST},
                                   {"version", 'v', false, OPT_VERSION},
                                   {NULL, 0, false, 0}};
  cli_ctx ctx = {.p = platform};
  wctr_errmsg e;
  wctr_opts st;
  int id;
  const char *value;
  int r;
  const char *host = platform->env_host;
  const char *host_source = "WCTR_HOST";
  wctr_opts_init(&st, argc, argv, 1);
  while ((r = wctr_opts_next(&st, table, &id, &value, &e)) == 1) {
    switch (id) {
      case OPT_HELP:
        print_overview(platform->out);
        return 0;
      case OPT_VERSION:
        fprintf(platform->out, "wctr version %s\n", WCTR_VERSION);
        return 0;
      case OPT_HOST:
        host = value;
        host_source = "--host";
        break;
    }
  }
  if (r < 0) {
    fprintf(platform->err, "wctr: %s\nSee 'wctr --help'.\n", e.text);
    return CLI_EXIT_FAILED;
  }
  if (host != NULL && host[0] != '\0') {
    if (wctr_pipe_path(host, false, host_source, ctx.pipe_path, sizeof ctx.pipe_path, &e) != WCTR_OK) {
      fprintf(platform->err, "wctr: %s\n", e.text);
      return CLI_EXIT_FAILED;
    }
  } else {
    snprintf(ctx.pipe_path, sizeof ctx.pipe_path, "%s%s", WCTR_PIPE_PREFIX, WCTR_DEFAULT_PIPE_NAME);
  }
  if (st.index >= argc) {
    print_overview(platform->err);
    return CLI_EXIT_FAILED;
  }
  const char *name = argv[st.index];
  if (strcmp(name, "help") == 0) {
    const char *topic = st.index + 1 < argc ? argv[st.index + 1] : NULL;
    for (size_t i = 0; topic != NULL && i < sizeof commands / sizeof commands[0]; i++) {
      if (strcmp(commands[i].name, topic) == 0) {
        fputs(commands[i].usage, platform->out);
        return 0;
      }
    }
    print_overview(platform->out);
    return topic == NULL ? 0 : CLI_EXIT_FAILED;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0) continue;
    int sub_argc = argc - st.index;
    char **sub_argv = argv + st.index;
    for (int k = 1; k < sub_argc; k++) {
      if (strcmp(sub_argv[k], "--help") == 0 || strcmp(sub_argv[k], "-h") == 0) {
        fputs(commands[i].usage, platform->out);
        return 0;
      }
      if (strcmp(sub_argv[k], "--") == 0) break;
    }
    int rc = commands[i].fn(&ctx, sub_argc, sub_argv);
    if (ctx.conn != NULL) platform->disconnect(ctx.conn);
    return rc;
  }
  fprintf(platform->err, "wctr: '%s' is not a wctr command.\nSee 'wctr --help'.\n", name);
  return CLI_EXIT_FAILED;
}
