/* cli/commands.c - wctr's commands and their output (portable). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "common/base64.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/pipename.h"
#include "common/proto.h"

enum { OPT_HELP, OPT_HOST, OPT_VERSION, OPT_FORMAT };


static int cmd_version(cli_ctx *ctx, int argc, char **argv);
static int cmd_info(cli_ctx *ctx, int argc, char **argv);

static const struct command {
  const char *name;
  command_fn fn;
  const char *summary;
  const char *usage;
} commands[] = {
    {"run", cli_cmd_run, "Create and start a container, and show its output",
     "Usage: wctr run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
     "Create and start a container. Attached (the default), its output is shown here and its exit code is\n"
     "wctr's. For process and Hyper-V isolation IMAGE is an image of the catalog ('wctr image add'), whose\n"
     "command applies when none is given. For --isolation=job, IMAGE is an absolute path to a folder that\n"
     "becomes the container's sandbox (CONTAINER_SANDBOX_MOUNT_POINT, and the working directory by default),\n"
     "or \"host\" for none, and a command is required. When the start fails, the container is removed.\n\n"
     "Options:\n"
     "  -d, --detach               Run in the background and print the container ID\n"
     "      --rm                   Remove the container when it exits\n"
     "      --name string          Name the container\n"
     "  -e, --env list             Set an environment variable (NAME=VALUE, or NAME from this environment)\n"
     "      --env-file list        Read environment variables from a file\n"
     "  -w, --workdir string       Working directory inside the container\n"
     "  -u, --user string          Account the process runs as (default: ContainerUser for process and\n"
     "                             Hyper-V isolation, a least-privilege identity for job isolation)\n"
     "  -v, --volume list          Bind mount HOST:CONTAINER[:ro|rw] (a folder, or \\\\.\\pipe\\NAME for\n"
     "                             process isolation)\n"
     "      --hostname string      The container's computer name (default: the first 12 characters of its ID)\n"
     "      --dry-run              Print the documents that would be sent to HCS, one JSON object per line,\n"
     "                             and create nothing\n"
     "      --isolation string     default, process, hyperv or job\n"
     "  -m, --memory bytes         Memory limit (500m, 1g; binary units)\n"
     "      --cpus decimal         Number of CPUs (1.5)\n"
     "      --cpu-count int        CPUs usable (Windows)\n"
     "      --cpu-percent int      Percent of all CPUs usable (Windows)\n"
     "  -c, --cpu-shares int       Relative CPU weight (1-10000)\n"
     "      --pids-limit int       Most processes at once (job and process isolation)\n"
     "      --io-maxiops uint      Most IO operations per second\n"
     "      --io-maxbandwidth bytes  Most IO bytes per second\n"
     "      --stop-timeout int     Seconds to wait after the stop signal before terminating (default 30)\n"
     "      --secret NAME[,target=FILE]  Give the container a secret (job: %WCTR_SECRETS_DIR%\\FILE)\n"
     "  -l, --label list           Set a label (KEY=VALUE)\n"
     "      --label-file list      Read labels from a file (KEY=VALUE per line)\n"
     "      --restart string       no, on-failure[:N], always or unless-stopped (honoured by wctrd)\n"
     "      --security-opt list    credentialspec=file://NAME | registry://NAME | raw://JSON (a gMSA; process\n"
     "                             or Hyper-V isolation)\n"},
    {"create", cli_cmd_create, "Create a container without starting it",
     "Usage: wctr create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate a container; the options are those of 'wctr run'\n"
     "(--dry-run included).\n"},
    {"start", cli_cmd_start, "Start one or more containers",
     "Usage: wctr start [-a] CONTAINER [CONTAINER...]\n\nOptions:\n  -a, --attach   Show the output and return the exit code\n"},
    {"stop", cli_cmd_stop, "Stop one or more running containers",
     "Usage: wctr stop [-t SECONDS] CONTAINER [CONTAINER...]\n\n"
     "Send the stop signal, wait (-t, default the container's --stop-timeout), then terminate.\n"},
    {"kill", cli_cmd_kill, "Terminate one or more running containers now",
     "Usage: wctr kill CONTAINER [CONTAINER...]\n"},
    {"rm", cli_cmd_rm, "Remove one or more containers",
     "Usage: wctr rm [-f] CONTAINER [CONTAINER...]\n\nOptions:\n  -f, --force   Terminate a running container first\n"},
    {"ps", cli_cmd_ps, "List containers",
     "Usage: wctr ps [OPTIONS]\n\nOptions:\n"
     "  -a, --all             Show all containers (default shows just running)\n"
     "  -q, --quiet           Only display container IDs\n"
     "  -f, --filter status=created|running|exited, or label=KEY[=VALUE]\n"
     "      --format string   json, or a template with {{.ID}} {{.Names}} {{.Status}} {{.Image}} {{.Command}}\n"
     "                        {{.State}} {{.CreatedAt}}\n"},
    {"inspect", cli_cmd_inspect, "Show the record of one or more containers",
     "Usage: wctr inspect CONTAINER [CONTAINER...]\n\n"
     "Print the containers' records as JSON: State, Config, HostConfig, the limits wctr computed\n"
     "(EffectiveLimits) and, for a running container, what Windows holds (AppliedLimits).\n"},
    {"logs", cli_cmd_logs, "Show the output of a container",
     "Usage: wctr logs [OPTIONS] CONTAINER\n\nOptions:\n"
     "  -f, --follow       Follow the output until the container exits\n"
     "  -n, --tail string  Number of lines to show from the end (default \"all\")\n"
     "  -t, --timestamps   Show timestamps\n"},
    {"wait", cli_cmd_wait, "Wait until containers stop, then print their exit codes",
     "Usage: wctr wait CONTAINER [CONTAINER...]\n"},
    {"stats", cli_cmd_stats, "Show resource use of containers",
     "Usage: wctr stats --no-stream [CONTAINER...]\n\nCPU %, memory use and limit, IO and process counts.\n"},
    {"update", cli_cmd_update, "Change the limits of one or more containers, live",
     "Usage: wctr update [OPTIONS] CONTAINER [CONTAINER...]\n\n"
     "Change the limits of job containers, running or not (Docker refuses this on Windows; wctr applies it to\n"
     "the live job object). The flags are those of 'wctr run': -m/--memory, --cpus, --cpu-count, --cpu-percent,\n"
     "-c/--cpu-shares, --pids-limit, --io-maxiops, --io-maxbandwidth.\n"},
    {"events", cli_cmd_events, "Follow container events (create, start, die, oom, destroy)",
     "Usage: wctr events\n\nPrint container events as they happen, until interrupted.\n"},
    {"image", cli_cmd_image, "Manage the local image catalog (add, ls, inspect, rm)",
     cli_image_usage},
    {"images", cli_cmd_images, "List images", "Usage: wctr images [--format json]\n"},
    {"compose", cli_cmd_compose, "Deploy a compose project (up, down, ps, logs, config)", cli_compose_usage},
    {"credentialspec", cli_cmd_credentialspec, "Manage gMSA credential specs (ls, inspect, validate, add, rm)",
     cli_credentialspec_usage},
    {"secret", cli_cmd_secret, "Manage secrets (create, ls, inspect, rm)",
     "Usage: wctr secret COMMAND\n\n"
     "  create NAME FILE|-     Store a secret (1 byte to 500 KB) read from FILE or stdin; prints its ID\n"
     "  ls [-q] [--format json] List secrets (names, sizes, dates; never values)\n"
     "  inspect NAME...        Show a secret's metadata and the containers that name it\n"
     "  rm [-f] NAME...        Remove secrets; refused while a container names one, unless -f\n\n"
     "Secrets are encrypted at rest with DPAPI (machine scope) and refused on a volume BitLocker does not\n"
     "protect, unless wctrd.json says \"allow-unencrypted-secrets\": true. Give one to a container with\n"
     "'wctr run --secret NAME[,target=FILE]': job containers find the files in %WCTR_SECRETS_DIR%.\n"},
    {"audit", cli_cmd_audit, "Show the audit trail (administrators only)",
     "Usage: wctr audit [--since TIME] [-f] [--format json]\n\n"
     "Show who did what: every request that changed something, and every refused request.\n\n"
     "Options:\n"
     "      --since string    A UTC time (2026-11-22, 2026-11-22T15:00:00Z) or a duration (90s, 10m, 2h, 3d)\n"
     "  -f, --follow          Keep showing new records\n"
     "      --format string   'json': one JSON record per line\n"},
    {"check", cli_cmd_check, "Check this host's container security settings",
     "Usage: wctr check [--format json]\n\n"
     "Check the data root, the pipe, BitLocker, the secrets setting, wctrd.exe's folder, the containers'\n"
     "limits and users, credential specs, leftover secrets, the audit log, HCS and the OS build. Each check is\n"
     "PASS, WARN, FAIL or INFO with a remedy. Exit code 1 when any check fails.\n"},
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
int cli_connect_failed(cli_ctx *ctx, wctr_err err, const wctr_errmsg *e) {
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
/* Opens the connection on first use. On failure prints why, frees params, sets *rc. */
static bool ensure_connected(cli_ctx *ctx, cJSON *params, int *rc) {
  if (ctx->conn != NULL) return true;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = ctx->p->connect(ctx->p->ctx, ctx->pipe_path, &ctx->conn, &e);
  if (err == WCTR_OK) return true;
  cJSON_Delete(params);
  *rc = cli_connect_failed(ctx, err, &e);
  return false;
}

bool cli_call(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, int *rc) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (!ensure_connected(ctx, params, rc)) return false;
  wctr_err err = ctx->p->call(ctx->conn, op, params, result, &e);
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", e.text[0] != '\0' ? e.text : wctr_strerror(err));
    *rc = CLI_EXIT_FAILED;
    return false;
  }
  return true;
}

wctr_err cli_call_quiet(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e) {
  int rc = 0;
  wctr_errmsg_clear(e);
  if (!ensure_connected(ctx, params, &rc)) return wctr_fail(e, WCTR_ENOENT, "wctrd cannot be reached");
  return ctx->p->call(ctx->conn, op, params, result, e);
}

bool cli_call_ex(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, int *rc, wctr_errmsg *e) {
  wctr_errmsg_clear(e);
  if (!ensure_connected(ctx, params, rc)) return false;
  wctr_err err = ctx->p->call(ctx->conn, op, params, result, e);
  if (err != WCTR_OK) {
    if (e->text[0] == '\0') wctr_fail(e, err, "%s", wctr_strerror(err));
    *rc = CLI_EXIT_FAILED;
    return false;
  }
  return true;
}

bool cli_stream_ex(cli_ctx *ctx, const char *op, cJSON *params, bool forward_stdin,
                   void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg, cJSON **result,
                   int *rc, wctr_errmsg *e) {
  wctr_errmsg_clear(e);
  if (!ensure_connected(ctx, params, rc)) return false;
  wctr_err err = ctx->p->stream(ctx->conn, op, params, forward_stdin, on_frame, arg, result, e);
  /* wctrd closes a stream operation's connection; the next call opens a new one. */
  ctx->p->disconnect(ctx->conn);
  ctx->conn = NULL;
  if (err != WCTR_OK) {
    if (e->text[0] == '\0') wctr_fail(e, err, "%s", wctr_strerror(err));
    fprintf(ctx->p->err, "wctr: %s\n", e->text);
    *rc = CLI_EXIT_FAILED;
    return false;
  }
  return true;
}

bool cli_frame_bytes(const cJSON *data, char **bytes, size_t *len) {
  *bytes = NULL;
  *len = 0;
  const cJSON *log = cJSON_GetObjectItemCaseSensitive(data, "log");
  const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(data, "data64");
  const char *text = cJSON_IsString(data) ? data->valuestring : cJSON_IsString(log) ? log->valuestring : NULL;
  if (text != NULL) {
    size_t n = strlen(text);
    *bytes = malloc(n + 1);
    if (*bytes == NULL) return false;
    memcpy(*bytes, text, n + 1);
    *len = n;
    return true;
  }
  if (!cJSON_IsString(b64)) return false;
  uint8_t *raw = NULL;
  wctr_errmsg e;
  if (wctr_base64_decode(b64->valuestring, strlen(b64->valuestring), &raw, len, "data64", &e) != WCTR_OK) return false;
  *bytes = (char *)raw;
  return true;
}

void cli_write_output(cli_ctx *ctx, FILE *f, const char *data, size_t len) {
  if (ctx->p->write_bytes != NULL) {
    ctx->p->write_bytes(ctx->p->ctx, f, data, len);
    return;
  }
  fwrite(data, 1, len, f);
  fflush(f);
}

bool cli_stream(cli_ctx *ctx, const char *op, cJSON *params,
                void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg, cJSON **result,
                int *rc) {
  wctr_errmsg e;
  return cli_stream_ex(ctx, op, params, false, on_frame, arg, result, rc, &e);
}

/* --format: only JSON for now; Docker's '{{json .}}' means the same. */
int cli_parse_format_opts(cli_ctx *ctx, const char *cmd, int argc, char **argv, bool *json, bool *help) {
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
void cli_print_json(FILE *f, const cJSON *item) {
  char *text = cJSON_PrintUnformatted(item);
  if (text != NULL) fprintf(f, "%s\n", text);
  cJSON_free(text);
}

static int cmd_version(cli_ctx *ctx, int argc, char **argv) {
  bool json;
  bool help;
  int rc = cli_parse_format_opts(ctx, "version", argc, argv, &json, &help);
  if (rc != 0 || help) return rc;
  cJSON *server = NULL;
  if (!json) {
    /* The client's part first and flushed, so it stands above any error about reaching the service. */
    fprintf(ctx->p->out, "Client:\n Version:      %s\n API version:  %d\n OS/Arch:      windows/amd64\n",
            WCTR_VERSION, WCTR_PROTO_VERSION);
    fflush(ctx->p->out);
  }
  bool ok = cli_call(ctx, "version", NULL, &server, &rc);
  if (json) {
    cJSON *both = cJSON_CreateObject();
    cJSON *client = cJSON_AddObjectToObject(both, "Client");
    cJSON_AddStringToObject(client, "Version", WCTR_VERSION);
    cJSON_AddNumberToObject(client, "ApiVersion", WCTR_PROTO_VERSION);
    cJSON_AddStringToObject(client, "Os", "windows");
    cJSON_AddStringToObject(client, "Arch", "amd64");
    if (ok) cJSON_AddItemToObject(both, "Server", server);
    cli_print_json(ctx->p->out, both);
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
  int rc = cli_parse_format_opts(ctx, "info", argc, argv, &json, &help);
  if (rc != 0 || help) return rc;
  cJSON *info = NULL;
  if (!cli_call(ctx, "info", NULL, &info, &rc)) return rc;
  FILE *f = ctx->p->out;
  if (json) {
    cli_print_json(f, info);
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
  const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(info, "Secrets");
  fprintf(f, "Unencrypted Secrets: %s\n",
          cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(secrets, "AllowUnencrypted")) ? "allowed (allow-unencrypted-secrets)"
                                                                                    : "refused");
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
