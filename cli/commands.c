/* cli/commands.c - wctr's commands and their output (portable). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "cli/format.h"
#include "common/base64.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/pipename.h"
#include "common/proto.h"
#include "docker/docker.h"

enum { OPT_HELP, OPT_HOST, OPT_VERSION, OPT_FORMAT };


static int cmd_version(cli_ctx *ctx, int argc, char **argv);
static int cmd_info(cli_ctx *ctx, int argc, char **argv);

/* interspersed: the command's options may come anywhere among its operands, so --help anywhere asks for
 * help; takes_command: the command reads its own flags, --help included, and stops at an operand after which
 * the words are a command's (run and create at IMAGE, exec at CONTAINER, compose exec at SERVICE), as
 * docker's non-interspersed commands do. */
static const struct command {
  const char *name;
  command_fn fn;
  const char *summary;
  const char *usage;
  bool takes_command;
} commands[] = {
    {"run", cli_cmd_run, "Create and start a container, and show its output",
     "Usage: wctr run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
     "Create and start a container. Attached (the default), its output is shown here and its exit code is\n"
     "wctr's. For process and Hyper-V isolation IMAGE is an image pulled or loaded (pulled first when it is\n"
     "missing: --pull) or registered with 'wctr image add'; its command applies when none is given. For\n"
     "--isolation=job, IMAGE is an absolute path to a folder that\n"
     "becomes the container's sandbox (CONTAINER_SANDBOX_MOUNT_POINT, and the working directory by default),\n"
     "or \"host\" for none, and a command is required. When the start fails, the container is removed.\n"
     "Exit code: the container's; 125 when wctr cannot create or start it; 126/127 when its command cannot be\n"
     "run or found.\n\n"
     "Options:\n"
     "  -d, --detach               Run in the background and print the container ID (-dit: stdin stays open\n"
     "                             for a later 'wctr attach')\n"
     "      --detach-keys string   The keys that detach an attached -i run (default \"ctrl-p,ctrl-q\")\n"
     "      --sig-proxy=BOOL       Ctrl+C stops the attached container (default true; not with -t)\n"
     "      --rm                   Remove the container when it exits\n"
     "      --name string          Name the container\n"
     "  -e, --env list             Set an environment variable (NAME=VALUE, or NAME from this environment)\n"
     "      --env-file list        Read environment variables from a file\n"
     "  -w, --workdir string       Working directory inside the container\n"
     "  -u, --user string          Account the process runs as (default: ContainerUser for process and\n"
     "                             Hyper-V isolation, a least-privilege identity for job isolation)\n"
     "  -v, --volume list          Bind mount HOST:CONTAINER[:ro|rw] (a folder, or \\\\.\\pipe\\NAME for\n"
     "                             process isolation), a named volume NAME:CONTAINER[:ro|rw] (created on first\n"
     "                             use), or CONTAINER alone for an anonymous volume\n"
     "      --mount mount          type=volume|bind|npipe,source=SRC,target=C:\\path[,readonly]\n"
     "      --hostname string      The container's computer name (default: the first 12 characters of its ID)\n"
     "      --entrypoint string    Overwrite the image's ENTRYPOINT (and its CMD): the command is this word\n"
     "                             followed by the arguments after IMAGE; \"\" clears it\n"
     "      --dry-run              Print the documents that would be sent to HCS, one JSON object per line,\n"
     "                             and create nothing\n"
     "      --pull string          missing (pull IMAGE when it is not here, the default), always or never\n"
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
     "      --health-cmd string    Command to run to check health (in the container's cmd /S /C)\n"
     "      --health-interval duration  Time between running the check (ms|s|m|h) (default 30s)\n"
     "      --health-timeout duration   Maximum time to allow one check to run (ms|s|m|h) (default 30s)\n"
     "      --health-retries int   Consecutive failures needed to report unhealthy (default 3)\n"
     "      --health-start-period duration  Start period for the container to initialize before counting\n"
     "                             failures (ms|s|m|h) (default 0s)\n"
     "      --no-healthcheck       Disable any container-specified HEALTHCHECK\n"
     "      --secret NAME[,target=FILE]  Give the container a secret (job: %WCTR_SECRETS_DIR%\\FILE)\n"
     "  -l, --label list           Set a label (KEY=VALUE)\n"
     "      --label-file list      Read labels from a file (KEY=VALUE per line)\n"
     "      --restart string       no, on-failure[:N], always or unless-stopped (honoured by wctrd)\n"
     "      --security-opt list    credentialspec=file://NAME | registry://NAME | raw://JSON (a gMSA; process\n"
     "                             or Hyper-V isolation)\n"
     "      --network string       nat (the default), a network of 'wctr network ls', or none; job containers:\n"
     "                             host only (they share the host's network stack)\n"
     "  -p, --publish list         Publish a port: [HOSTIP:][HOSTPORT:]PORT[/tcp|udp] (no HOSTPORT: one of\n"
     "                             49153-65535 chosen at start; HOSTIP only 0.0.0.0)\n"
     "  -P, --publish-all          Publish every exposed port (the image's too) to ports chosen at start\n"
     "      --expose list          Expose a port or a range (8000-8010/tcp)\n"
     "      --dns list             DNS servers of the container's endpoint\n"
     "      --dns-search list      DNS search domains\n"
     "      --mac-address string   The container's MAC address (02:42:ac:11:00:02)\n\n"
     "Flags come before IMAGE: what follows IMAGE is the container's command and its arguments.\n", true},
    {"create", cli_cmd_create, "Create a container without starting it",
     "Usage: wctr create [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate a container; the options are those of 'wctr run'\n"
     "(--dry-run included).\n", true},
    {"start", cli_cmd_start, "Start one or more containers",
     "Usage: wctr start [OPTIONS] CONTAINER [CONTAINER...]\n\n"
     "Start containers (one that runs already is left as it is). With -a, show the container's output and exit\n"
     "with its exit code.\n\nOptions:\n  -a, --attach   Show the output and return the exit code\n", false},
    {"attach", cli_cmd_attach, "Attach to a running container's output (and input)",
     "Usage: wctr attach [OPTIONS] CONTAINER\n\n"
     "Show a running container's output (and send it this console's input, when it was created with -i) until it\n"
     "exits, with its exit code.\n\nOptions:\n"
     "      --detach-keys string   Override the key sequence for detaching a container (default \"ctrl-p,ctrl-q\")\n"
     "      --no-stdin             Do not attach STDIN\n"
     "      --sig-proxy=BOOL       Ctrl+C stops the container (default true; not with a TTY)\n", false},
    {"stop", cli_cmd_stop, "Stop one or more running containers",
     "Usage: wctr stop [OPTIONS] CONTAINER [CONTAINER...]\n\n"
     "Send the stop signal, wait, then terminate.\n\nOptions:\n"
     "  -t, --time int   Seconds to wait before terminating (default: the container's --stop-timeout)\n", false},
    {"restart", cli_cmd_restart, "Restart one or more containers",
     "Usage: wctr restart [OPTIONS] CONTAINER [CONTAINER...]\n\n"
     "Stop each container as stop does (a stopped one is just started), then start it again.\n\nOptions:\n"
     "  -t, --time int   Seconds to wait before terminating (default: the container's --stop-timeout)\n", false},
    {"top", cli_cmd_top, "Display the running processes of a container",
     "Usage: wctr top CONTAINER\n\nThe container's processes as Docker shows them on Windows: Name, PID, CPU (time used)\n"
     "and Private Working Set. Windows does not support ps options.\n", false},
    {"rename", cli_cmd_rename, "Rename a container",
     "Usage: wctr rename CONTAINER NEW_NAME\n\nGive a container another name (Docker's name rules; a name in use\n"
     "is refused).\n", false},
    {"kill", cli_cmd_kill, "Terminate one or more running containers now",
     "Usage: wctr kill [-s SIGNAL] CONTAINER [CONTAINER...]\n\nTerminate running containers; a container that is not running is\n"
     "an error, as Docker's.\n\n"
     "  -s, --signal SIGNAL   KILL (the default, also SIGKILL or 9) terminates now; TERM (SIGTERM, 15) sends the\n"
     "                        graceful stop signal and returns, as dockerd on Windows does; no other signal\n", false},
    {"pause", cli_cmd_pause, "Pause all processes within one or more containers",
     "Usage: wctr pause CONTAINER [CONTAINER...]\n\nFreeze every process of running containers, as Docker on Windows:\n"
     "Hyper-V containers only (a process-isolated one is refused with Docker's \"cannot pause Windows Server\n"
     "Containers\"; a job container because Windows documents no way to freeze a job object). Each name is printed\n"
     "once paused; any failure makes the exit code 1.\n", false},
    {"unpause", cli_cmd_unpause, "Unpause all processes within one or more containers",
     "Usage: wctr unpause CONTAINER [CONTAINER...]\n\nLet the processes of paused containers run again. Each name is\n"
     "printed once unpaused; any failure makes the exit code 1.\n", false},
    {"rm", cli_cmd_rm, "Remove one or more containers",
     "Usage: wctr rm [OPTIONS] CONTAINER [CONTAINER...]\n\nOptions:\n"
     "  -f, --force   Terminate a running container first; a container that does not exist is no error\n"
     "  -v, --volumes Remove the container's anonymous volumes too (named volumes stay)\n", false},
    {"ps", cli_cmd_ps, "List containers",
     "Usage: wctr ps [OPTIONS]\n\nOptions:\n"
     "  -a, --all             Show all containers (default shows just running)\n"
     "  -q, --quiet           Only display container IDs\n"
     "  -f, --filter filter   status=created|running|exited, label=KEY[=VALUE], or\n"
     "                        health=starting|healthy|unhealthy|none\n"
     "  -n, --last int        Show n last created containers (includes all states) (default -1)\n"
     "  -l, --latest          Show the latest created container (includes all states)\n"
     "      --no-trunc        Don't truncate output\n"
     "      --format string   table (the default), json, or a Go template: 'table {{.ID}}\\t{{.Names}}' for an\n"
     "                        aligned table with a header, '{{.Names}} {{.Status}}' for plain lines. Fields:\n"
     "                        .ID .Names .Image .Command .CreatedAt .RunningFor .Status .State .Ports .Labels\n"
     "                        .Label \"KEY\" .Mounts .LocalVolumes .Networks .Size (docs/cli.md)\n", false},
    {"inspect", cli_cmd_inspect, "Show the details of containers (or images)",
     "Usage: wctr inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
     "Print containers as Docker's inspect does: a JSON array with Docker's keys (State, Config, HostConfig,\n"
     "Mounts, NetworkSettings...), then wctr's own: the limits wctr computed (EffectiveLimits) and, for a\n"
     "running container, what Windows holds (AppliedLimits), Identity, Runtime. A name that is no container\n"
     "is looked up among the images.\n\nOptions:\n"
     "  -f, --format string   json (one line), or a Go template run for each, e.g. '{{.State.Status}}'\n"
     "      --type string     container or image: look only there\n", false},
    {"logs", cli_cmd_logs, "Show the output of a container",
     "Usage: wctr logs [OPTIONS] CONTAINER\n\nOptions:\n"
     "  -f, --follow       Follow the output until the container exits\n"
     "  -n, --tail string  Number of lines to show from the end (default \"all\")\n"
     "  -t, --timestamps   Show timestamps\n", false},
    {"exec", cli_cmd_exec, "Run a command in a running container",
     "Usage: wctr exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
     "Run a command in a running container: its output here, its exit code as wctr's (126 when the command\n"
     "cannot be invoked, 127 when it is not found, 1 when wctrd refuses). Options end at CONTAINER.\n\nOptions:\n"
     "  -d, --detach               Run the command in the background\n"
     "  -e, --env list             Set environment variables (NAME=VALUE, or NAME from wctr's environment)\n"
     "      --env-file list        Read in a file of environment variables\n"
     "  -i, --interactive          Keep STDIN open and send wctr's to the command\n"
     "      --privileged           Refused: Windows has no privileged mode\n"
     "  -t, --tty                  Allocate a pseudo-TTY\n"
     "  -u, --user string          Username the command runs as (default: the container's)\n"
     "  -w, --workdir string       Working directory inside the container\n", true},
    {"wait", cli_cmd_wait, "Wait until containers stop, then print their exit codes",
     "Usage: wctr wait CONTAINER [CONTAINER...]\n\nPrint each container's exit code once it is not running (wctr's\n"
     "own exit code is 0, or 1 when a container cannot be waited for, as Docker's).\n", false},
    {"stats", cli_cmd_stats, "Show resource use of containers",
     "Usage: wctr stats [OPTIONS] [CONTAINER...]\n\nA live table of CPU %, private working set and IO, redrawn every\n"
     "second until Ctrl+C (exit 0); the running containers when none is named.\n\n"
     "Options:\n"
     "  -a, --all             Every container (default: the running ones)\n"
     "      --no-stream       Print one sample and exit\n"
     "      --format string   table, json or a Go template; fields .ID .Name .Container .CPUPerc\n"
     "                        .PrivateWorkingSet .MemUsage .MemPerc .NetIO .BlockIO .PIDs\n", false},
    {"update", cli_cmd_update, "Change the limits of one or more containers, live",
     "Usage: wctr update [OPTIONS] CONTAINER [CONTAINER...]\n\n"
     "Change the limits of job containers, running or not (Docker refuses this on Windows; wctr applies it to\n"
     "the live job object). The flags are those of 'wctr run': -m/--memory, --cpus, --cpu-count, --cpu-percent,\n"
     "-c/--cpu-shares, --pids-limit, --io-maxiops, --io-maxbandwidth.\n", false},
    {"events", cli_cmd_events, "Follow container events (create, start, die, oom, destroy)",
     "Usage: wctr events [OPTIONS]\n\nPrint container events as they happen, until interrupted.\n\nOptions:\n"
     "  -f, --format string   json, or a Go template over Docker's event: '{{.Action}} {{.Actor.Attributes.name}}'\n", false},
    {"cp", cli_cmd_cp, "Copy files or folders between a container and the local file system", cli_cp_usage, false},
    {"container", cli_cmd_container, "Manage containers (ls, run, create, start, stop, restart, kill, rm, ...)",
     cli_container_usage, false},
    {"system", cli_cmd_system, "Manage wctr (df, prune, info, events)", cli_system_usage, false},
    {"image", cli_cmd_image, "Manage images (pull, ls, inspect, history, tag, rm, prune, save, load, add)",
     cli_image_usage, false},
    {"images", cli_cmd_images, "List images", cli_images_usage, false},
    {"pull", cli_cmd_pull, "Download an image from a registry", cli_pull_usage, false},
    {"rmi", cli_cmd_rmi, "Remove one or more images", cli_rmi_usage, false},
    {"tag", cli_cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", cli_tag_usage, false},
    {"history", cli_cmd_history, "Show the history of an image", cli_history_usage, false},
    {"save", cli_cmd_save, "Save one or more images to a tar archive", cli_save_usage, false},
    {"load", cli_cmd_load, "Load an image from a tar archive or STDIN", cli_load_usage, false},
    {"login", cli_cmd_login, "Log in to a registry", cli_login_usage, false},
    {"logout", cli_cmd_logout, "Log out from a registry", cli_logout_usage, false},
    {"trust", cli_cmd_trust, "Show the signatures of images and the image-trust verdict (trust inspect)",
     cli_trust_usage, false},
    {"compose", cli_cmd_compose, "Deploy a compose project (up, down, ps, logs, config)", cli_compose_usage, true},
    {"network", cli_cmd_network, "Manage networks (create, ls, inspect, rm, prune)", cli_network_usage, false},
    {"port", cli_cmd_port, "List a container's published ports",
     "Usage: wctr port CONTAINER [PRIVATE_PORT[/PROTO]]\n\n"
     "List the port mappings of a running container (\"80/tcp -> 0.0.0.0:8080\"), or the host addresses of one\n"
     "of its ports.\n", false},
    {"credentialspec", cli_cmd_credentialspec, "Manage gMSA credential specs (ls, inspect, validate, add, rm)",
     cli_credentialspec_usage, false},
    {"secret", cli_cmd_secret, "Manage secrets (create, ls, inspect, rm)",
     "Usage: wctr secret COMMAND\n\n"
     "  create NAME FILE|-         Store a secret (1 byte to 500 KB) read from FILE or stdin; prints its ID\n"
     "  ls [-q] [--format FORMAT]  List secrets (names, sizes, dates; never values); FORMAT: table, json or a\n"
     "                             Go template (.ID .Name .CreatedAt .UpdatedAt .Driver .Labels .Size)\n"
     "  inspect [-f FORMAT] NAME...  Show secrets as Docker does (ID, Spec.Name...), with the containers that\n"
     "                             name them (UsedBy)\n"
     "  rm [-f] NAME...            Remove secrets; refused while a container names one, unless -f\n\n"
     "Secrets are encrypted at rest with DPAPI (machine scope) and refused on a volume BitLocker does not\n"
     "protect, unless wctrd.json says \"allow-unencrypted-secrets\": true. Give one to a container with\n"
     "'wctr run --secret NAME[,target=FILE]': job containers find the files in %WCTR_SECRETS_DIR%.\n", false},
    {"volume", cli_cmd_volume, "Manage volumes (create, ls, inspect, rm, prune)",
     "Usage: wctr volume COMMAND\n\n"
     "  create [OPTIONS] [VOLUME]   Create a volume (-d/--driver local, --label KEY=VALUE, --name); prints its name\n"
     "  ls [-q] [--format FORMAT] [-f/--filter dangling=|name=|label=|driver=]  List volumes; FORMAT: table, json\n"
     "                              or a Go template (.Name .Driver .Scope .Mountpoint .Labels .Links .Size)\n"
     "  inspect [-f FORMAT] VOLUME...  Show volumes as Docker does\n"
     "  rm [-f] VOLUME...           Remove volumes; refused while a container uses one\n"
     "  prune -f [-a] [--filter label=KEY[=VALUE]]  Remove unused anonymous volumes (every unused one with -a)\n\n"
     "A volume is a folder under wctr's data root (volumes\\NAME\\_data, Docker's local driver) that only\n"
     "SYSTEM, Administrators and the container identities (ContainerAdministrator, ContainerUser) may use.\n"
     "Mount one with 'wctr run -v NAME:C:\\path[:ro]' or '--mount type=volume,source=NAME,target=C:\\path'\n"
     "(process and Hyper-V isolation; a job container shares the host's file system and cannot mount one).\n", false},
    {"audit", cli_cmd_audit, "Show the audit trail (administrators only)",
     "Usage: wctr audit [--since TIME] [-f] [--format json]\n\n"
     "Show who did what: every request that changed something, and every refused request.\n\n"
     "Options:\n"
     "      --since string    A UTC time (2026-11-22, 2026-11-22T15:00:00Z) or a duration (90s, 10m, 2h, 3d)\n"
     "  -f, --follow          Keep showing new records\n"
     "      --format string   'json': one JSON record per line\n", false},
    {"check", cli_cmd_check, "Check this host's container security settings",
     "Usage: wctr check [--format json]\n\n"
     "Check the data root, the pipe, BitLocker, the secrets setting, wctrd.exe's folder, the containers'\n"
     "limits and users, credential specs, leftover secrets, the audit log, HCS and the OS build. Each check is\n"
     "PASS, WARN, FAIL or INFO with a remedy. Exit code 1 when any check fails.\n", false},
    {"info", cmd_info, "Show how this host and wctrd are set up",
     "Usage: wctr info [OPTIONS]\n\n"
     "Show the host's OS and build, whether the Host Compute Service can be loaded, the isolation modes\n"
     "available, the data root, the pipe and its DACL, and the BitLocker state of the data root's volume.\n\n"
     "Options:\n"
     "  -f, --format string   json, or a Go template over Docker's info ('{{.ServerVersion}}', '{{.Isolation}}',\n"
     "                        '{{.DockerRootDir}}') with wctr's own keys after Docker's ('{{.HCS.Available}}')\n", false},
    {"version", cmd_version, "Show the wctr and wctrd versions",
     "Usage: wctr version [OPTIONS]\n\n"
     "Show the client's version, then the service's.\n\n"
     "Options:\n"
     "  -f, --format string   json, or a Go template: '{{.Server.Version}}', '{{.Client.Version}}'\n", false},
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
  return ctx->fail_code;
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

/* A top-level command by its name (argv[0]), for the management forms that alias one. */
int cli_run_command(cli_ctx *ctx, int argc, char **argv) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (commands[i].name != NULL && strcmp(commands[i].name, argv[0]) == 0) return commands[i].fn(ctx, argc, argv);
  }
  fprintf(ctx->p->err, "wctr: unknown command \"%s\"\n", argv[0]);
  return CLI_EXIT_ERROR;
}

const char cli_container_usage[] =
    "Usage: wctr container COMMAND\n\nManage containers: each command is the top-level one of the same name.\n\n"
    "Commands:\n"
    "  cp        Copy files or folders between a container and the local file system\n"
    "  create    Create a container\n"
    "  exec      Run a command in a running container\n"
    "  inspect   Show the details of containers\n"
    "  kill      Terminate running containers now\n"
    "  logs      Show the output of a container\n"
    "  ls        List containers (ps; also: list)\n"
    "  pause     Pause all processes within containers\n"
    "  prune     Remove all stopped containers (-f: without asking; --filter label=KEY[=VALUE])\n"
    "  rename    Rename a container\n"
    "  restart   Restart containers\n"
    "  rm        Remove containers (also: remove)\n"
    "  run       Create and start a container\n"
    "  start     Start containers\n"
    "  stats     Show resource use of containers\n"
    "  stop      Stop running containers\n"
    "  top       Display the running processes of a container\n"
    "  unpause   Unpause all processes within containers\n"
    "  update    Change the limits of containers\n"
    "  wait      Wait until containers stop, then print their exit codes\n";

bool cli_call(cli_ctx *ctx, const char *op, cJSON *params, cJSON **result, int *rc) {
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  if (!ensure_connected(ctx, params, rc)) return false;
  wctr_err err = ctx->p->call(ctx->conn, op, params, result, &e);
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", e.text[0] != '\0' ? e.text : wctr_strerror(err));
    *rc = ctx->fail_code;
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
    *rc = ctx->fail_code;
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
  if (err == WCTR_ECANCELED && forward_stdin) {
    /* The detach keys (cli.h detach_keys): the container runs on, wctr ends well (docker's). */
    wctr_errmsg_clear(e);
    *rc = 0;
    return false;
  }
  if (err != WCTR_OK) {
    if (e->text[0] == '\0') wctr_fail(e, err, "%s", wctr_strerror(err));
    fprintf(ctx->p->err, "wctr: %s\n", e->text);
    *rc = ctx->fail_code;
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


/* -f/--format VALUE, and nothing else. */
typedef struct format_only {
  const char *format;
} format_only;

static bool format_only_opt(void *arg, int id, const char *value, wctr_errmsg *e) {
  (void)e;
  if (id == OPT_FORMAT) ((format_only *)arg)->format = value;
  return true;
}

int cli_parse_format_only(cli_ctx *ctx, const char *cmd, int argc, char **argv, const char **format) {
  static const wctr_opt table[] = {{"format", 'f', true, OPT_FORMAT}, {NULL, 0, false, 0}};
  format_only o = {NULL};
  int first = 0;
  int rc = cli_parse_args(ctx, cmd, table, argc, argv, format_only_opt, &o, &first);
  if (rc == 0) rc = cli_check_operands(ctx, cmd, argc - first, 0, 0, NULL);
  *format = o.format;
  return rc;
}

static const char *str_or(const cJSON *obj, const char *key, const char *fallback) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(item) ? item->valuestring : fallback;
}

/* One line, as Docker's --format '{{json .}}' prints: easy to pipe into a JSON tool. */
void cli_print_json(FILE *f, const cJSON *item) {
  docker_buf b;
  docker_buf_init(&b, 0);
  docker_json_write(&b, item, NULL, false);
  docker_buf_addc(&b, '\n');
  if (!b.failed) fwrite(b.data, 1, b.len, f);
  docker_buf_free(&b);
}

void cli_print_buf(FILE *f, const char *text, size_t len) {
  if (text != NULL && len > 0) fwrite(text, 1, len, f);
}

int cli_print_list(cli_ctx *ctx, const cli_format *f, const char *header_json, const docker_tpl_object *rows, size_t n) {
  cJSON *header = cJSON_Parse(header_json);
  docker_buf out;
  docker_buf_init(&out, 0);
  wctr_errmsg e;
  wctr_err err = header != NULL ? cli_format_write(f, header, rows, n, &out, &e)
                                : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  cJSON_Delete(header);
  if (err == WCTR_OK) cli_print_buf(ctx->p->out, out.data, out.len);
  docker_buf_free(&out);
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  return 0;
}

void cli_now(cli_ctx *ctx, char *buf, size_t size) {
  if (size > 0) buf[0] = '\0';
  if (ctx->p->now != NULL) ctx->p->now(ctx->p->ctx, buf, size);
}

const char *cli_usage_of(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) == 0) return commands[i].usage;
  }
  return "";
}

/* A template's parse error for inspect, info, version and events: docker/cli's status 64. */
static int template_error(cli_ctx *ctx, const wctr_errmsg *e) {
  fprintf(ctx->p->err, "%s\n", e->text);
  return e->code == WCTR_EINVAL ? CLI_EXIT_TEMPLATE : CLI_EXIT_ERROR;
}

/* The client's part of `version` and `info`, as docker/cli's clientVersion. */
static cJSON *client_version(void) {
  cJSON *c = cJSON_CreateObject();
  cJSON *platform = cJSON_AddObjectToObject(c, "Platform");
  char api[16];
  snprintf(api, sizeof api, "%d", WCTR_PROTO_VERSION);
  if (platform == NULL || cJSON_AddStringToObject(platform, "Name", "wctr") == NULL ||
      cJSON_AddStringToObject(c, "Version", WCTR_VERSION) == NULL || cJSON_AddStringToObject(c, "ApiVersion", api) == NULL ||
      cJSON_AddStringToObject(c, "Os", "windows") == NULL || cJSON_AddStringToObject(c, "Arch", "amd64") == NULL ||
      cJSON_AddStringToObject(c, "Context", "default") == NULL) {
    cJSON_Delete(c);
    return NULL;
  }
  return c;
}

/* docker version's layout, with what wctr has (no Go version, commit or build time). */
static const char version_template[] =
    "{{with .Client -}}\n"
    "Client:{{if .Platform}}{{if .Platform.Name}} {{.Platform.Name}}{{end}}{{end}}\n"
    " Version:\t{{.Version}}\n"
    " API version:\t{{.ApiVersion}}\n"
    " OS/Arch:\t{{.Os}}/{{.Arch}}\n"
    " Context:\t{{.Context}}\n"
    "{{- end}}\n\n"
    "{{- if ne .Server nil}}{{with .Server}}\n\n"
    "Server:{{if ne .Platform.Name \"\"}} {{.Platform.Name}}{{end}}\n"
    " {{- range $component := .Components}}\n"
    " {{$component.Name}}:\n"
    "  Version:\t{{.Version}}\n"
    "  API version:\t{{index .Details \"ApiVersion\"}}\n"
    "  OS/Arch:\t{{index .Details \"Os\"}}/{{index .Details \"Arch\"}}\n"
    " {{- end}}\n"
    "{{- end}}{{- end}}";

static int cmd_version(cli_ctx *ctx, int argc, char **argv) {
  const char *format = NULL;
  int rc = cli_parse_format_only(ctx, "version", argc, argv, &format);
  if (rc != 0) return rc;
  docker_tpl *tpl = NULL;
  wctr_errmsg e;
  wctr_err err = format != NULL ? cli_format_parse_plain(format, &tpl, &e)
                                : docker_tpl_parse(version_template, strlen(version_template), &tpl, &e);
  if (err != WCTR_OK) return template_error(ctx, &e);
  /* The server's answer, or why there is none: shown after the client's part, as docker version does. */
  cJSON *server = NULL;
  wctr_errmsg call_e;
  wctr_errmsg_clear(&call_e);
  wctr_err call_err = WCTR_OK;
  bool connect_failed = false;
  if (ctx->conn == NULL) {
    call_err = ctx->p->connect(ctx->p->ctx, ctx->pipe_path, &ctx->conn, &call_e);
    connect_failed = call_err != WCTR_OK;
  }
  if (call_err == WCTR_OK) call_err = ctx->p->call(ctx->conn, "version", NULL, &server, &call_e);
  cJSON *all = cJSON_CreateObject();
  cJSON *client = client_version();
  cJSON *shaped = call_err == WCTR_OK ? docker_version_server(server) : NULL;
  cJSON_Delete(server);
  bool ok = all != NULL && client != NULL && cJSON_AddItemToObject(all, "Client", client);
  if (!ok) cJSON_Delete(client);
  ok = ok && cJSON_AddItemToObject(all, "Server", shaped != NULL ? shaped : cJSON_CreateNull());
  docker_buf text;
  docker_buf_init(&text, 0);
  docker_tpl_opts opts = {.map_keys = cli_docker_map_keys};
  wctr_err terr = ok ? docker_tpl_exec(tpl, all, NULL, &opts, &text, &e) : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  docker_buf_addc(&text, '\n');
  docker_buf out;
  docker_buf_init(&out, 0);
  docker_tabwrite(text.data != NULL ? text.data : "", text.len, 20, 1, &out);
  cli_print_buf(ctx->p->out, out.data, out.len);
  fflush(ctx->p->out);
  docker_buf_free(&out);
  docker_buf_free(&text);
  cJSON_Delete(all);
  docker_tpl_free(tpl);
  if (connect_failed) return cli_connect_failed(ctx, call_err, &call_e);
  if (call_err != WCTR_OK) {
    fprintf(ctx->p->err, "wctr: %s\n", call_e.text[0] != '\0' ? call_e.text : wctr_strerror(call_err));
    return CLI_EXIT_ERROR;
  }
  if (terr != WCTR_OK) {
    fprintf(ctx->p->err, "template parsing error: %s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  return 0;
}

static void print_info_text(FILE *f, const cJSON *info) {
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
}

static int cmd_info(cli_ctx *ctx, int argc, char **argv) {
  const char *format = NULL;
  int rc = cli_parse_format_only(ctx, "info", argc, argv, &format);
  if (rc != 0) return rc;
  docker_tpl *tpl = NULL;
  wctr_errmsg e;
  if (format != NULL && cli_format_parse_plain(format, &tpl, &e) != WCTR_OK) return template_error(ctx, &e);
  cJSON *info = NULL;
  if (!cli_call(ctx, "info", NULL, &info, &rc)) {
    docker_tpl_free(tpl);
    return rc;
  }
  if (tpl == NULL) {
    print_info_text(ctx->p->out, info);
    cJSON_Delete(info);
    return 0;
  }
  /* Docker's info counts containers and images; wctrd's info does not, its lists do. */
  cJSON *containers = NULL, *images = NULL;
  cJSON *all = cJSON_CreateObject();
  cJSON_AddBoolToObject(all, "All", true);
  wctr_errmsg ignored;
  if (cli_call_quiet(ctx, "container.list", all, &containers, &ignored) != WCTR_OK) containers = NULL;
  if (cli_call_quiet(ctx, "image.list", NULL, &images, &ignored) != WCTR_OK) images = NULL;
  cJSON *shaped = docker_info(info, containers, images);
  cJSON *client = client_version();
  if (client != NULL) {
    cJSON_AddBoolToObject(client, "Debug", false);
    cJSON_AddItemToObject(client, "Plugins", cJSON_CreateArray());
  }
  if (shaped == NULL || client == NULL || !cJSON_AddItemToObject(shaped, "ClientInfo", client)) {
    if (shaped != NULL) cJSON_Delete(client);
    client = NULL;
  }
  docker_buf text;
  docker_buf_init(&text, 0);
  wctr_err err = shaped != NULL && client != NULL ? cli_format_template(tpl, shaped, &text, &e)
                                                  : wctr_fail(&e, WCTR_ENOMEM, "out of memory");
  cli_print_buf(ctx->p->out, text.data, text.len);
  docker_buf_free(&text);
  cJSON_Delete(shaped);
  cJSON_Delete(containers);
  cJSON_Delete(images);
  cJSON_Delete(info);
  docker_tpl_free(tpl);
  if (err != WCTR_OK) {
    fprintf(ctx->p->err, "%s\n", e.text);
    return CLI_EXIT_ERROR;
  }
  return 0;
}

/* Is word the help flag, in any of pflag's forms: --help, -h, --help=V, -h=V? */
static bool is_help_word(const char *word) {
  return strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0 || strncmp(word, "--help=", 7) == 0 ||
         strncmp(word, "-h=", 3) == 0;
}

/* cobra's help flag, read before the command's own flags: each help word takes its value as pflag reads a
 * bool flag (alone: true; =V: Go's ParseBool) and the last one wins, so `--help --help=false` runs the
 * command. The help words are taken out of argv (before any "--"): a command's flag table need not know
 * them. Returns 0, or 125 after pflag's message for a value ParseBool refuses. */
static int take_help_words(cli_ctx *ctx, const char *cmd, int *argc, char **argv, bool *help) {
  static const wctr_opt table[] = {{"help", 'h', false, OPT_HELP}, {NULL, 0, false, 0}};
  int kept = 1;
  int k = 1;
  for (; k < *argc; k++) {
    if (strcmp(argv[k], "--") == 0) break;
    if (!is_help_word(argv[k])) {
      argv[kept++] = argv[k];
      continue;
    }
    char *one[2] = {argv[0], argv[k]};
    wctr_opts st;
    wctr_errmsg e;
    int id;
    const char *value;
    int r;
    wctr_opts_init(&st, 2, one, 1);
    /* -h= reads as -h then the unknown shorthand '=', as pflag reads it. */
    while ((r = wctr_opts_next(&st, table, &id, &value, &e)) == 1) *help = wctr_opts_flag(value);
    if (r < 0) return cli_flag_error(ctx, cmd, e.text);
  }
  for (; k < *argc; k++) argv[kept++] = argv[k];
  *argc = kept;
  return 0;
}

int cli_main(int argc, char **argv, const cli_platform *platform) {
  static const wctr_opt table[] = {{"help", 'h', false, OPT_HELP},
                                   {"host", 'H', true, OPT_HOST},
                                   {"version", 'v', false, OPT_VERSION},
                                   {NULL, 0, false, 0}};
  cli_ctx ctx = {.p = platform, .fail_code = CLI_EXIT_ERROR};
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
        if (!wctr_opts_flag(value)) break;
        print_overview(platform->out);
        return 0;
      case OPT_VERSION:
        if (!wctr_opts_flag(value)) break;
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
      /* A bad --host is a flag error; a bad WCTR_HOST is not. */
      return strcmp(host_source, "--host") == 0 ? CLI_EXIT_FAILED : CLI_EXIT_ERROR;
    }
  } else {
    snprintf(ctx.pipe_path, sizeof ctx.pipe_path, "%s%s", WCTR_PIPE_PREFIX, WCTR_DEFAULT_PIPE_NAME);
  }
  if (st.index >= argc) {
    /* docker with no command: the usage, on stdout, and success. */
    print_overview(platform->out);
    return 0;
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
    if (topic != NULL) {
      fprintf(platform->err, "wctr: '%s' is not a wctr command.\nSee 'wctr --help'.\n", topic);
      return CLI_EXIT_ERROR;
    }
    print_overview(platform->out);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
    if (strcmp(commands[i].name, name) != 0) continue;
    int sub_argc = argc - st.index;
    char **sub_argv = argv + st.index;
    /* Options come anywhere among a command's words, so --help does too; run and create read theirs up
     * to IMAGE themselves (the container's command may say --help). */
    /* `container run|create|exec` are those commands under their management name. */
    bool own_help = commands[i].takes_command ||
                    (strcmp(name, "container") == 0 && sub_argc > 1 &&
                     (strcmp(sub_argv[1], "run") == 0 || strcmp(sub_argv[1], "create") == 0 ||
                      strcmp(sub_argv[1], "exec") == 0));
    if (!own_help) {
      bool help = false;
      int rc = take_help_words(&ctx, name, &sub_argc, sub_argv, &help);
      if (rc != 0) return rc;
      if (help) {
        fputs(commands[i].usage, platform->out);
        return 0;
      }
    }
    int rc = commands[i].fn(&ctx, sub_argc, sub_argv);
    if (ctx.conn != NULL) platform->disconnect(ctx.conn);
    return rc;
  }
  fprintf(platform->err, "wctr: '%s' is not a wctr command.\nSee 'wctr --help'.\n", name);
  return CLI_EXIT_ERROR;
}
