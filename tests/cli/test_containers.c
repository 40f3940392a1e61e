/* wctr's container commands against a fake wctrd: the params they send, what they print, exit codes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/cli_internal.h"
#include "common/base64.h"
#include "docker/docker.h"
#include "spec/spec.h"
#include "testutil.h"

struct cli_connection {
  int unused;
};
static struct cli_connection conn;

/* The fake service: records the last request of each op, answers from a table. */
static struct {
  char ops[16][64];
  cJSON *params[16];
  int count;
  const char *create_result;
  const char *list_result;
  const char *image_list;
  const char *remove_result;
  const char *run_frames[4][2]; /* kind, text */
  const char *run_result;
  wctr_err run_err;
  bool forwarded_stdin;
  const char *run_err_text;
  const char *fail_op;    /* this op answers with an error */
  const char *fail_text;
  wctr_err fail_code;     /* its code (WCTR_EINVAL when 0) */
  const char *fail_id;    /* only for this "Id" or "Name" (any when NULL) */
  const char *check_result;
  bool interrupt;   /* the platform reports Ctrl+C */
  int interrupt_at; /* > 0: Ctrl+C is reported from this ask on */
  int asks;
  bool asked;       /* a command asked whether Ctrl+C was pressed */
  bool block_logs;  /* container.logs streams last until a container.stop arrives */
  bool block_run;   /* so do container.run and container.attach streams */
  unsigned char detach[16]; /* the detach keys the platform was given */
  size_t detach_len;
  bool detach_set;
  bool stopped;
  const char *inspect_result;
  const char *image_result;
  bool no_images; /* image.inspect: No such image */
  bool network_missing;             /* network.inspect: not found */
  const char *network_list_result; /* network.list's answer, when set */
  bool tty;       /* stdout and stderr are consoles */
  char stored[3][64]; /* what credentials_store was given: server, user, password */
  bool has_login; /* credentials_load finds alice:s3cret for 127.0.0.1:5000 */
} fake;

static void reset_ops(void);

static wctr_err f_connect(void *ctx, const char *pipe, cli_connection **out, wctr_errmsg *e) {
  (void)ctx;
  (void)pipe;
  (void)e;
  *out = &conn;
  return WCTR_OK;
}

/* compose up's output followers call in from threads of their own. */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static void record(const char *op, cJSON *params) {
  pthread_mutex_lock(&fake_lock);
  if (strcmp(op, "container.stop") == 0) fake.stopped = true;
  if (fake.count < 16) {
    snprintf(fake.ops[fake.count], sizeof fake.ops[0], "%s", op);
    fake.params[fake.count++] = params;
  } else {
    cJSON_Delete(params);
  }
  pthread_mutex_unlock(&fake_lock);
}

static bool stopped_yet(void) {
  pthread_mutex_lock(&fake_lock);
  bool stopped = fake.stopped;
  pthread_mutex_unlock(&fake_lock);
  return stopped;
}

static bool f_interrupted(void *ctx) {
  (void)ctx;
  fake.asked = true;
  fake.asks++;
  return fake.interrupt || (fake.interrupt_at > 0 && fake.asks >= fake.interrupt_at);
}

static void f_detach_keys(void *ctx, const unsigned char *keys, size_t len) {
  (void)ctx;
  fake.detach_set = true;
  fake.detach_len = len < sizeof fake.detach ? len : sizeof fake.detach;
  memcpy(fake.detach, keys, fake.detach_len);
}

static wctr_err f_call(cli_connection *c, const char *op, cJSON *params, cJSON **result, wctr_errmsg *e) {
  (void)c;
  (void)e;
  record(op, params);
  if (fake.fail_op != NULL && strcmp(op, fake.fail_op) == 0) {
    const cJSON *id = cJSON_GetObjectItem(params, "Id");
    if (id == NULL) id = cJSON_GetObjectItem(params, "Name");
    if (fake.fail_id == NULL || (cJSON_IsString(id) && strcmp(id->valuestring, fake.fail_id) == 0)) {
      return wctr_fail(e, fake.fail_code != WCTR_OK ? fake.fail_code : WCTR_EINVAL, "%s", fake.fail_text);
    }
  }
  const char *text = "{}";
  if (strcmp(op, "image.inspect") == 0 && fake.no_images) return wctr_fail(e, WCTR_ENOENT, "No such image: x");
  if (strcmp(op, "credentialspec.check") == 0 && fake.check_result != NULL) text = fake.check_result;
  if (strcmp(op, "container.create") == 0) text = fake.create_result;
  if (strcmp(op, "exec.create") == 0) text = "{\"Id\":\"e1e1e1e1\"}";
  if (strcmp(op, "container.top") == 0) {
    text = "{\"Processes\":[{\"ProcessId\":4312,\"ImageName\":\"CExecSvc.exe\",\"KernelTime100ns\":468750,"
           "\"UserTime100ns\":156250,\"MemoryWorkingSetPrivateBytes\":1413120},{\"ProcessId\":77,\"ImageName\":"
           "\"a-rather-long-program-name.exe\",\"KernelTime100ns\":36610000000,\"UserTime100ns\":1000,"
           "\"MemoryWorkingSetPrivateBytes\":16430000}]}";
  }
  if (strcmp(op, "container.list") == 0) text = fake.list_result;
  if (strcmp(op, "container.inspect") == 0 && fake.inspect_result != NULL) text = fake.inspect_result;
  if (strcmp(op, "image.list") == 0) {
    text = fake.image_list != NULL ? fake.image_list
                                   : "[{\"Id\":\"\",\"RepoTags\":[\"app:latest\"],\"RepoDigests\":[],\"Created\":\"2026-11-22T12:00:00Z\","
                                     "\"Size\":0,\"Os\":\"windows\",\"OsVersion\":\"10.0.20348.1\",\"Dangling\":false,\"Catalog\":true,"
                                     "\"Name\":\"app:latest\",\"Layers\":[{},{}]}]";
  }
  if (strcmp(op, "image.remove") == 0 && fake.remove_result != NULL) text = fake.remove_result;
  if (strcmp(op, "credentialspec.inspect") == 0) text = "{\"Name\":\"web.json\",\"Spec\":{\"PluginInput\":\"<redacted>\"}}";
  if (strcmp(op, "container.stats") == 0) {
    text = "{\"Id\":\"abcdef0123456789\",\"Name\":\"web\",\"CPUPercent\":12.345,\"MemoryUsage\":1572864,"
           "\"MemoryLimit\":104857600,\"ReadBytes\":1500,\"WriteBytes\":0,\"Processes\":3}";
  }
  if (strcmp(op, "secret.list") == 0) {
    text = "[{\"ID\":\"f00dfeed0123456789abcdef\",\"Name\":\"db-password\",\"CreatedAt\":\"2026-11-22T13:00:00.000Z\","
           "\"Size\":12}]";
  }
  if (strcmp(op, "credentialspec.list") == 0) {
    text = "[{\"Name\":\"webapp01.json\",\"Valid\":true,\"Accounts\":[\"contoso.com\\\\webapp01\"]},"
           "{\"Name\":\"b.json\",\"Valid\":false,\"Error\":\"bad\"}]";
  }
  if (strcmp(op, "volume.list") == 0) {
    text = "[{\"CreatedAt\":\"2026-12-07T12:00:00Z\",\"Driver\":\"local\",\"Labels\":{\"tier\":\"data\"},"
           "\"Mountpoint\":\"C:\\\\ProgramData\\\\wctr\\\\volumes\\\\db\\\\_data\",\"Name\":\"db\",\"Options\":null,"
           "\"Scope\":\"local\"},{\"CreatedAt\":\"2026-12-07T12:00:01Z\",\"Driver\":\"local\",\"Labels\":null,"
           "\"Mountpoint\":\"C:\\\\v\",\"Name\":\"a-much-longer-volume-name\",\"Options\":null,\"Scope\":\"local\"}]";
  }
  if (strcmp(op, "volume.inspect") == 0 || strcmp(op, "volume.create") == 0) {
    text = "{\"CreatedAt\":\"2026-12-07T12:00:00Z\",\"Driver\":\"local\",\"Labels\":null,\"Mountpoint\":\"C:\\\\v\","
           "\"Name\":\"db\",\"Options\":null,\"Scope\":\"local\"}";
  }
  if (strcmp(op, "image.add") == 0) text = "{\"Name\":\"app:latest\",\"Layers\":[{}],\"OsVersion\":\"10.0.20348.1\"}";
  if (strcmp(op, "image.inspect") == 0 && fake.image_result != NULL) text = fake.image_result;
  if (strcmp(op, "network.create") == 0) text = "{\"Id\":\"7d3e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbcc\",\"Warning\":\"\"}";
  if (strcmp(op, "network.list") == 0) {
    text = "[{\"Name\":\"web\",\"Id\":\"7d3e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbcc\",\"Scope\":\"local\","
           "\"Driver\":\"nat\",\"Labels\":{\"com.wctr.network.owner\":\"wctr-1\"},\"Created\":\"2026-11-22T13:00:00Z\"},"
           "{\"Name\":\"nat\",\"Id\":\"0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00\",\"Scope\":\"local\","
           "\"Driver\":\"nat\",\"Labels\":{}},{\"Name\":\"none\",\"Id\":\"1111111111112222222222223333333333334444444444445555555555556666\","
           "\"Scope\":\"local\",\"Driver\":\"null\",\"Labels\":{}}]";
  }
  if (strcmp(op, "network.list") == 0 && fake.network_list_result != NULL) text = fake.network_list_result;
  if (strcmp(op, "network.inspect") == 0 && fake.network_missing) {
    const cJSON *id = cJSON_GetObjectItem(params, "Id");
    return wctr_fail(e, WCTR_ENOENT, "network %s not found", cJSON_IsString(id) ? id->valuestring : "?");
  }
  if (strcmp(op, "network.inspect") == 0) text = "{\"Name\":\"web\",\"Id\":\"7d3e\",\"Driver\":\"nat\",\"Containers\":{}}";
  if (strcmp(op, "network.prune") == 0) text = "{\"NetworksDeleted\":[\"web\",\"shop_default\"]}";
  *result = cJSON_Parse(text);
  return WCTR_OK;
}

static wctr_err f_stream(cli_connection *c, const char *op, cJSON *params, bool forward_stdin,
                         void (*on_frame)(void *arg, const char *kind, const cJSON *data), void *arg, cJSON **result,
                         wctr_errmsg *e) {
  (void)c;
  fake.forwarded_stdin = forward_stdin;
  record(op, params);
  bool blocks = (fake.block_logs && strcmp(op, "container.logs") == 0) ||
                (fake.block_run && (strcmp(op, "container.run") == 0 || strcmp(op, "container.attach") == 0));
  for (int waited = 0; blocks && !stopped_yet(); waited += 5) {
    if (waited > 5000) return wctr_fail(e, WCTR_ETIMEDOUT, "the fake's logs were never released by a stop");
    nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
  }
  for (int i = 0; i < 4 && fake.run_frames[i][0] != NULL; i++) {
    /* A frame text that starts with '{' is the data object itself ({"data64": ...}, {"log": ...}). */
    const char *text = fake.run_frames[i][1];
    cJSON *data = text[0] == '{' ? cJSON_Parse(text) : cJSON_CreateString(text);
    if (on_frame != NULL) on_frame(arg, fake.run_frames[i][0], data);
    cJSON_Delete(data);
  }
  if (fake.run_err != WCTR_OK) return wctr_fail(e, fake.run_err, "%s", fake.run_err_text);
  *result = cJSON_Parse(fake.run_result);
  return WCTR_OK;
}

static void f_disconnect(cli_connection *c) { (void)c; }

static const char *f_getenv(void *ctx, const char *name) {
  (void)ctx;
  return strcmp(name, "FROM_HOST") == 0 ? "host-value" : NULL;
}

/* A database that must be healthy before the web service starts; one dependency without a probe. */
static const char healthy_yml[] =
    "services:\n"
    "  db:\n"
    "    image: host\n"
    "    command: cmd /c pause\n"
    "    isolation: job\n"
    "    healthcheck: {test: [CMD, ping], interval: 100ms, timeout: 100ms, retries: 1}\n"
    "  web:\n"
    "    image: host\n"
    "    command: cmd /c echo hi\n"
    "    isolation: job\n"
    "    depends_on:\n"
    "      db: {condition: service_healthy}\n";
static const char noprobe_yml[] =
    "services:\n"
    "  db: {image: host, command: cmd /c pause, isolation: job}\n"
    "  web:\n"
    "    image: host\n"
    "    command: cmd /c echo hi\n"
    "    isolation: job\n"
    "    depends_on: {db: {condition: service_healthy}}\n";

/* A migration that must complete before the web service starts. */
static const char deps_yml[] =
    "services:\n"
    "  migrate:\n"
    "    image: host\n"
    "    command: cmd /c exit 0\n"
    "    isolation: job\n"
    "  web:\n"
    "    image: host\n"
    "    command: cmd /c echo hi\n"
    "    isolation: job\n"
    "    depends_on:\n"
    "      migrate: {condition: service_completed_successfully}\n";

static const char compose_yml[] =
    "services:\n"
    "  web:\n"
    "    image: C:\\sandbox\n"
    "    command: [\"cmd\", \"/c\", \"echo hi\"]\n"
    "    mem_limit: 500m\n"
    "    isolation: job\n"
    "    environment:\n"
    "      A: \"1\"\n";

/* compose pull: two images, and a job service (a host folder: nothing to pull). */
static const char pull_yml[] =
    "services:\n"
    "  web: {image: \"127.0.0.1:5000/web:1\", command: x}\n"
    "  tool: {image: host, command: x, isolation: job}\n"
    "  db: {image: \"db:2\", command: x, isolation: process}\n";

/* Two services started in depends_on order, and a gMSA service (process isolation) whose spec is a config. */
static const char vols_yml[] =
    "name: shop\n"
    "services:\n"
    "  web:\n"
    "    image: C:\\sandbox\n"
    "    command: echo hi\n"
    "    isolation: process\n"
    "    volumes: [\"data:C:\\\\data\", \"C:\\\\anon\", \"shared:C:\\\\s:ro\"]\n"
    "volumes:\n"
    "  data: {labels: {tier: hot}}\n"
    "  shared: {external: true}\n";

static const char two_yml[] =
    "services:\n"
    "  web:\n"
    "    image: C:\\sandbox\n"
    "    command: echo hi\n"
    "    isolation: process\n"
    "    depends_on: [db]\n"
    "    restart: on-failure:3\n"
    "    labels: {tier: front}\n"
    "    volumes: [\"C:\\\\data:C:\\\\data:ro\"]\n"
    "  db:\n"
    "    image: host\n"
    "    command: [cmd, /c, exit 0]\n"
    "    isolation: job\n"
    "    stop_grace_period: 1500ms\n";
static const char gmsa_yml[] =
    "services:\n"
    "  app:\n"
    "    image: mcr.microsoft.com/windows/servercore:ltsc2022\n"
    "    command: [cmd]\n"
    "    isolation: process\n"
    "    credential_spec: {config: spec}\n"
    "  files:\n"
    "    image: mcr.microsoft.com/windows/servercore:ltsc2022\n"
    "    command: [cmd]\n"
    "    isolation: process\n"
    "    credential_spec: {file: web.json}\n"
    "configs:\n"
    "  spec: {file: ./spec.json}\n";
static const char job_gmsa_yml[] =
    "services:\n"
    "  app:\n"
    "    image: host\n"
    "    command: [cmd]\n"
    "    isolation: job\n"
    "    credential_spec: {file: web.json}\n";
/* A first service wctrd would create, then one whose mount wctrd's create refuses (a POSIX target). */
static const char bad_mount_yml[] =
    "services:\n"
    "  first:\n"
    "    image: host\n"
    "    command: [cmd]\n"
    "    isolation: job\n"
    "  app:\n"
    "    image: mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
    "    command: [cmd]\n"
    "    depends_on: [first]\n"
    "    volumes: [\"./data:/data\"]\n";
/* Networks: a project network with its subnet, an external one, published ports. */
static const char net_yml[] =
    "services:\n"
    "  web:\n"
    "    image: C:\\sandbox\n"
    "    isolation: process\n"
    "    ports: [\"8080:80\"]\n"
    "    networks: [front]\n"
    "  api:\n"
    "    image: C:\\sandbox\n"
    "    isolation: process\n"
    "    networks: [ext]\n"
    "networks:\n"
    "  front: {ipam: {config: [{subnet: 172.30.0.0/16}]}, labels: {tier: front}}\n"
    "  ext: {external: true, name: corp}\n";
static const char spec_json[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-1-2-3\","
    "\"MachineAccountName\":\"webapp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\","
    "\"DnsTreeName\":\"contoso.com\",\"DnsName\":\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},"
    "\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{\"Name\":\"webapp01\",\"Scope\":\"contoso.com\"}],"
    "\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\",\"PluginGUID\":\"{859E1386-BDB4-49E8-85C7-3070B13920E1}\","
    "\"PluginInput\":\"contoso.com:ccg:S3cret-Pa55\"}}}";

static bool f_is_terminal(void *ctx, FILE *f) {
  (void)ctx;
  (void)f;
  return fake.tty;
}

static wctr_err f_cred_store(void *ctx, const char *server, const char *user, const char *password, wctr_errmsg *e) {
  (void)ctx;
  (void)e;
  snprintf(fake.stored[0], sizeof fake.stored[0], "%s", server);
  snprintf(fake.stored[1], sizeof fake.stored[1], "%s", user);
  snprintf(fake.stored[2], sizeof fake.stored[2], "%s", password);
  return WCTR_OK;
}

static wctr_err f_cred_load(void *ctx, const char *server, char **user, char **password, wctr_errmsg *e) {
  (void)ctx;
  if (!fake.has_login || strcmp(server, "127.0.0.1:5000") != 0) return wctr_fail(e, WCTR_ENOENT, "none");
  *user = strdup("alice");
  *password = strdup("s3cret");
  return WCTR_OK;
}

static wctr_err f_cred_erase(void *ctx, const char *server, wctr_errmsg *e) {
  (void)ctx;
  if (strcmp(server, fake.stored[0]) != 0) return wctr_fail(e, WCTR_ENOENT, "none");
  fake.stored[0][0] = '\0';
  return WCTR_OK;
}

static char *f_read_file(void *ctx, const char *path, size_t *len, wctr_errmsg *e) {
  (void)ctx;
  if (strcmp(path, "-") == 0) { /* --password-stdin */
    *len = 7;
    return strdup("s3cret\n");
  }
  static const struct {
    const char *path;
    const char *text;
  } files[] = {{"C:\\proj\\compose.yaml", compose_yml}, {"C:\\proj\\two.yml", two_yml},
               {"C:\\proj\\vols.yml", vols_yml},       {"C:\\proj\\deps.yml", deps_yml},
               {"C:\\proj\\healthy.yml", healthy_yml}, {"C:\\proj\\noprobe.yml", noprobe_yml},
               {"C:\\proj\\gmsa.yml", gmsa_yml},        {"C:\\proj\\jobgmsa.yml", job_gmsa_yml},
               {"C:\\proj\\badmount.yml", bad_mount_yml}, {"C:\\proj\\net.yml", net_yml},
               {"C:\\proj\\pull.yml", pull_yml},
               {"C:\\proj\\spec.json", spec_json},      {"spec.json", spec_json},
               {"app.labels", "# labels\r\n\r\nteam=web\r\n  tier=front\nempty\nteam=core\n"},
               {"bad.labels", "ok=1\n=nokey\n"}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    if (strcmp(path, files[i].path) == 0) {
      *len = strlen(files[i].text);
      return strdup(files[i].text);
    }
  }
  if (strstr(path, "C:\\proj\\") == path) {
    wctr_fail(e, WCTR_ENOENT, "cannot open %s", path);
    return NULL;
  }
  static const struct {
    const char *path;
    const char *text;
  } envs[] = {{"bom.env", "\xEF\xBB\xBF" "FIRST=1\r\nSECOND=two \n"},
              {"spaces.env", "GOOD=1\nBAD KEY=2\n"},
              {"tab.env", "K\tEY=1\n"},
              {"noname.env", "=value\n"},
              {"latin1.env", "A=caf\xE9" "\n"}};
  for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
    if (strcmp(path, envs[i].path) == 0) {
      *len = strlen(envs[i].text);
      return strdup(envs[i].text);
    }
  }
  if (strcmp(path, "app.env") != 0) {
    wctr_fail(e, WCTR_ENOENT, "cannot open %s", path);
    return NULL;
  }
  const char *text = "# comment\r\n\r\nA=1\r\n  B=two words\nFROM_HOST\nUNSET_ONE\n";
  *len = strlen(text);
  return strdup(text);
}

static void f_cwd(void *ctx, char *buf, size_t size) {
  (void)ctx;
  snprintf(buf, size, "C:\\proj");
}

static void f_now(void *ctx, char *buf, size_t size) {
  (void)ctx;
  snprintf(buf, size, "2026-11-22T13:10:00.000Z");
}

static char out_text[65536];
static char err_text[65536];
static size_t out_len;

static size_t slurp(FILE *f, char *buf, size_t size) {
  fflush(f);
  rewind(f);
  size_t n = fread(buf, 1, size - 1, f);
  buf[n] = '\0';
  fclose(f);
  return n;
}

static int run_cli(int argc, char **argv) {
  FILE *out = wctr_test_tmpfile();
  FILE *err = wctr_test_tmpfile();
  cli_platform p = {.out = out, .err = err, .connect = f_connect, .call = f_call, .disconnect = f_disconnect,
                    .stream = f_stream, .getenv = f_getenv, .read_file = f_read_file, .now = f_now,
                    .cwd = f_cwd, .interrupted = f_interrupted, .is_terminal = f_is_terminal,
                    .detach_keys = f_detach_keys,
                    .credentials_store = f_cred_store, .credentials_load = f_cred_load,
                    .credentials_erase = f_cred_erase};
  int rc = cli_main(argc, argv, &p);
  out_len = slurp(out, out_text, sizeof out_text);
  slurp(err, err_text, sizeof err_text);
  return rc;
}

#define RUN(...) run_cli((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), (char *[]){__VA_ARGS__})

static int reset(void **state) {
  (void)state;
  for (int i = 0; i < fake.count; i++) cJSON_Delete(fake.params[i]);
  memset(&fake, 0, sizeof fake);
  fake.create_result = "{\"Id\":\"abcdef0123456789\",\"Name\":\"web\",\"Warnings\":[\"CPU shares discarded\"]}";
  fake.list_result = "[]";
  fake.run_result = "{\"ExitCode\":7,\"OOMKilled\":false}";
  return 0;
}

static int op_index(const char *op, int from);

static void starts_with(const char *text, const char *prefix) {
  if (strncmp(text, prefix, strlen(prefix)) != 0) fail_msg("does not start with \"%s\":\n%s", prefix, text);
}

static void contains(const char *text, const char *part) {
  if (strstr(text, part) == NULL) fail_msg("\"%s\" not found in:\n%s", part, text);
}

static void test_run_sends_every_flag(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "run", "--rm", "--name", "web", "-e", "X=1", "-e", "FROM_HOST", "-e", "NOT_SET",
                       "--env-file", "app.env", "-w", "C:\\app", "-u", "LocalService", "--isolation", "job", "-m",
                       "500m", "--cpus", "1.5", "--cpu-count", "2", "--cpu-percent", "30", "--cpu-shares", "500",
                       "--pids-limit", "10", "--io-maxiops", "100", "--io-maxbandwidth", "10m", "--stop-timeout",
                       "5", "C:\\sandbox", "cmd", "/c", "echo --memory 1"),
                   7);
  assert_string_equal(fake.ops[0], "container.create");
  assert_string_equal(fake.ops[1], "container.run");
  char *sent = cJSON_PrintUnformatted(fake.params[0]);
  assert_string_equal(
      sent,
      "{\"HostConfig\":{\"AutoRemove\":true,\"Isolation\":\"job\",\"Memory\":524288000,\"NanoCpus\":1500000000,"
      "\"CpuCount\":2,\"CpuPercent\":30,\"CpuShares\":500,\"PidsLimit\":10,\"IOMaximumIOps\":100,"
      "\"IOMaximumBandwidth\":10485760},\"Env\":[\"X=1\",\"FROM_HOST=host-value\",\"A=1\",\"B=two words\","
      "\"FROM_HOST=host-value\"],\"Name\":\"web\",\"WorkingDir\":\"C:\\\\app\",\"User\":\"LocalService\","
      "\"StopTimeout\":5,\"Image\":\"C:\\\\sandbox\",\"Cmd\":[\"cmd\",\"/c\",\"echo --memory 1\"]}");
  cJSON_free(sent);
  contains(err_text, "WARNING: CPU shares discarded\n");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Id")->valuestring, "abcdef0123456789");
}

/* --entrypoint: one word (never split), "" as Docker's reset [""]; the command's words follow as Cmd. */
static void test_run_entrypoint(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "create", "--entrypoint", "C:\\app\\run.exe --x", "img", "a", "b"), 0);
  char *sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Entrypoint"));
  assert_string_equal(sent, "[\"C:\\\\app\\\\run.exe --x\"]");
  cJSON_free(sent);
  sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Cmd"));
  assert_string_equal(sent, "[\"a\",\"b\"]");
  cJSON_free(sent);
  reset(NULL);
  assert_int_equal(RUN("wctr", "create", "--entrypoint=", "img", "cmd"), 0);
  sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Entrypoint"));
  assert_string_equal(sent, "[\"\"]");
  cJSON_free(sent);
  /* wctrd's refusal of nothing to run is a create failure: 125 */
  reset(NULL);
  fake.fail_op = "container.create";
  fake.fail_text = "No command specified";
  assert_int_equal(RUN("wctr", "run", "--entrypoint", "", "img"), 125);
  contains(err_text, "No command specified");
}

/* --log-opt k=v (repeatable; a later k wins, "k" alone is k="") goes to HostConfig.LogConfig {Type json-file,
 * Config}, for wctrd to check; another --log-driver is refused with the reason (125, a create flag), json-file is
 * accepted and asks for nothing; logs --details sends Details. */
static void test_log_options(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "run", "-d", "--log-opt", "max-size=10m", "--log-opt", "max-file=2", "--log-opt",
                       "max-size=1k", "--log-opt", "labels", "img", "cmd"),
                   0);
  const cJSON *lc = cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[0], "HostConfig"), "LogConfig");
  assert_non_null(lc);
  assert_string_equal(cJSON_GetObjectItem(lc, "Type")->valuestring, "json-file");
  char *cfg = cJSON_PrintUnformatted(cJSON_GetObjectItem(lc, "Config"));
  assert_string_equal(cfg, "{\"max-size\":\"1k\",\"max-file\":\"2\",\"labels\":\"\"}");
  free(cfg);
  reset(NULL);
  assert_int_equal(RUN("wctr", "create", "--log-driver", "etwlogs", "img", "cmd"), 125);
  contains(err_text, "--log-driver etwlogs: wctr keeps a container's logs with the json-file driver only");
  assert_int_equal(RUN("wctr", "create", "--log-driver", "json-file", "img", "cmd"), 0);
  assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[0], "HostConfig"), "LogConfig"));
  reset(NULL);
  assert_int_equal(RUN("wctr", "logs", "--details", "web"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Details")));
  reset(NULL);
  assert_int_equal(RUN("wctr", "logs", "web"), 0);
  assert_null(cJSON_GetObjectItem(fake.params[0], "Details"));
}

/* Docker's --label-file: KEY=VALUE per line, comments and blank lines skipped, a later line for a key wins;
 * a line without a key is refused naming the file and the line. */
static void test_label_file(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "create", "--isolation=job", "-l", "a=b", "--label-file", "app.labels", "host", "cmd"), 0);
  char *labels = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Labels"));
  assert_string_equal(labels, "{\"a\":\"b\",\"tier\":\"front\",\"empty\":\"\",\"team\":\"core\"}");
  cJSON_free(labels);
  assert_int_equal(RUN("wctr", "create", "--isolation=job", "--label-file", "bad.labels", "host", "cmd"), 125);
  contains(err_text, "--label-file bad.labels line 2: invalid label \"=nokey\": the key is empty");
  assert_int_equal(RUN("wctr", "create", "--isolation=job", "--label-file", "missing.labels", "host", "cmd"), 125);
}

/* --health-* and --no-healthcheck as docker/cli's opts.go turns them into Config.Healthcheck. */
static void test_healthcheck_flags(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "create", "--health-cmd", "curl -f http://localhost/", "--health-interval", "1m30s",
                       "--health-timeout", "500ms", "--health-retries", "5", "--health-start-period", "1.5s", "img"),
                   0);
  char *hc = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Healthcheck"));
  assert_string_equal(hc, "{\"Test\":[\"CMD-SHELL\",\"curl -f http://localhost/\"],\"Interval\":90000000000,"
                          "\"Timeout\":500000000,\"StartPeriod\":1500000000,\"Retries\":5}");
  cJSON_free(hc);
  reset(NULL);
  assert_int_equal(RUN("wctr", "create", "--no-healthcheck", "img"), 0);
  hc = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Healthcheck"));
  assert_string_equal(hc, "{\"Test\":[\"NONE\"],\"Interval\":0,\"Timeout\":0,\"StartPeriod\":0,\"Retries\":0}");
  cJSON_free(hc);
  /* Without any, none is sent (the image's would apply: wctr's images carry none). */
  reset(NULL);
  assert_int_equal(RUN("wctr", "create", "img"), 0);
  assert_null(cJSON_GetObjectItem(fake.params[0], "Healthcheck"));
  /* Docker's refusals, exit 125, nothing sent. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "run", "--no-healthcheck", "--health-cmd", "x", "img"), 125);
  contains(err_text, "--no-healthcheck conflicts with --health-* options");
  assert_int_equal(RUN("wctr", "run", "--health-interval", "-1s", "--health-cmd", "x", "img"), 125);
  contains(err_text, "--health-interval cannot be negative");
  assert_int_equal(RUN("wctr", "run", "--health-retries", "-2", "img"), 125);
  contains(err_text, "--health-retries cannot be negative");
  assert_int_equal(RUN("wctr", "run", "--health-timeout", "5", "img"), 125);
  contains(err_text, "invalid argument \"5\" for \"--health-timeout\" flag: time: invalid duration \"5\"");
  assert_int_equal(RUN("wctr", "run", "--health-retries", "many", "img"), 125);
  contains(err_text,
           "invalid argument \"many\" for \"--health-retries\" flag: strconv.ParseInt: parsing \"many\": invalid syntax");
  assert_int_equal(fake.count, 0);
}

static void test_run_attached_prints_output_and_returns_the_exit_code(void **state) {
  (void)state;
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "hello\n";
  fake.run_frames[1][0] = "stderr";
  fake.run_frames[1][1] = "oops\n";
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "cmd"), 7);
  assert_string_equal(out_text, "hello\n");
  contains(err_text, "oops\n");
}

/* Output that is not text (a NUL, a byte that is not UTF-8) arrives as data64 and is written exactly; a
 * CR LF stays a CR LF. */
static void test_run_attached_writes_binary_output_exactly(void **state) {
  (void)state;
  static const char bytes[] = {'a', '\0', 'b', (char)0xff, '\r', '\n'};
  char *b64 = wctr_base64_encode((const uint8_t *)bytes, sizeof bytes);
  char frame[128];
  snprintf(frame, sizeof frame, "{\"data64\":\"%s\"}", b64);
  free(b64);
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = frame;
  fake.run_frames[1][0] = "stdout";
  fake.run_frames[1][1] = "t\r\n";
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "cmd"), 7);
  assert_int_equal(out_len, sizeof bytes + 3);
  assert_memory_equal(out_text, bytes, sizeof bytes);
  assert_memory_equal(out_text + sizeof bytes, "t\r\n", 3);
  /* A broken data64 writes nothing rather than garbage. */
  fake.run_frames[0][1] = "{\"data64\":\"%%%\"}";
  fake.run_frames[1][0] = NULL;
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "cmd"), 7);
  assert_int_equal(out_len, 0);
}

static void test_run_interactive(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "run", "-i", "--isolation=job", "host", "cmd"), 7);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "OpenStdin")));
  assert_true(fake.forwarded_stdin);
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "cmd"), 7);
  assert_false(fake.forwarded_stdin);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "StdinOnce")));
  /* -dit: stdin stays open for a later attach (StdinOnce false), nothing is forwarded now. */
  reset_ops();
  assert_int_equal(RUN("wctr", "run", "-id", "--isolation=job", "host", "cmd"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "OpenStdin")));
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(fake.params[0], "StdinOnce")));
  assert_string_equal(fake.ops[1], "container.start");
  assert_false(fake.forwarded_stdin);
  assert_string_equal(out_text, "abcdef0123456789\n");
}

/* sig-proxy: Ctrl+C on an attached run stops the container (container.stop, on a connection of its own) and
 * wctr exits with the container's code once its run ends; --sig-proxy=false and -t leave Ctrl+C alone. */
static void test_run_sig_proxy(void **state) {
  (void)state;
  fake.interrupt = true;
  fake.block_run = true; /* the run lasts until the stop arrives */
  fake.run_result = "{\"ExitCode\":3}";
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "cmd"), 3);
  assert_true(fake.asked);
  assert_true(stopped_yet());
  assert_true(op_index("container.run", 0) >= 0);
  int stop = op_index("container.stop", 0); /* on its own connection: before or after the run's request */
  assert_true(stop >= 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[stop], "Id")->valuestring, "abcdef0123456789");
  /* start -a attaches the same way. */
  reset_ops();
  fake.stopped = false;
  assert_int_equal(RUN("wctr", "start", "-a", "web"), 3);
  assert_true(op_index("container.stop", 0) >= 0);
  /* --sig-proxy=false: Ctrl+C is not even asked for (Windows' default ends wctr), nothing is stopped. */
  reset_ops();
  fake.block_run = false;
  fake.stopped = false;
  fake.asked = false;
  assert_int_equal(RUN("wctr", "run", "--sig-proxy=false", "--isolation=job", "host", "cmd"), 3);
  assert_false(fake.asked);
  assert_false(stopped_yet());
  /* -t: the console's keys belong to the container (docker proxies no signal with a TTY). */
  assert_int_equal(RUN("wctr", "run", "-t", "--isolation=process", "img", "cmd"), 3);
  assert_false(fake.asked);
  assert_int_equal(RUN("wctr", "run", "--sig-proxy=maybe", "--isolation=job", "host", "cmd"), 125);
  contains(err_text, "invalid argument \"maybe\" for \"--sig-proxy\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax");
  /* Without an interrupt the run ends by itself and nothing is stopped. */
  fake.interrupt = false;
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "cmd"), 3);
  assert_true(fake.asked);
  assert_false(stopped_yet());
  /* --sig-proxy alone is true (a Go bool flag), and the last of several wins (asked for Ctrl+C or
   * not; no interrupt comes). */
  fake.asked = false;
  assert_int_equal(RUN("wctr", "run", "--sig-proxy=0", "--sig-proxy", "--isolation=job", "host", "cmd"), 3);
  assert_true(fake.asked);
  fake.asked = false;
  assert_int_equal(RUN("wctr", "run", "--sig-proxy", "--sig-proxy=F", "--isolation=job", "host", "cmd"), 3);
  assert_false(fake.asked);
  assert_false(stopped_yet());
}

/* wctr attach: container.attach on the running container, stdin when it was created with -i (not with
 * --no-stdin), the detach keys handed to the platform, Ctrl+C proxied as for run. */
static void test_attach(void **state) {
  (void)state;
  fake.inspect_result = "{\"Id\":\"abcdef0123456789\",\"State\":{\"Status\":\"running\",\"Running\":true},"
                        "\"Config\":{\"OpenStdin\":true,\"Tty\":false}}";
  fake.run_result = "{\"ExitCode\":4}";
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "hello\n";
  assert_int_equal(RUN("wctr", "attach", "web"), 4);
  assert_string_equal(out_text, "hello\n");
  assert_string_equal(fake.ops[1], "container.attach");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Id")->valuestring, "abcdef0123456789");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[1], "Stdin")));
  assert_true(fake.forwarded_stdin);
  assert_true(fake.detach_set);
  assert_int_equal(fake.detach_len, 2);
  assert_int_equal(fake.detach[0], 0x10); /* ctrl-p */
  assert_int_equal(fake.detach[1], 0x11); /* ctrl-q */
  reset_ops();
  assert_int_equal(RUN("wctr", "attach", "--detach-keys", "ctrl-a,x", "web"), 4);
  assert_int_equal(fake.detach_len, 2);
  assert_int_equal(fake.detach[0], 1);
  assert_int_equal(fake.detach[1], 'x');
  reset_ops();
  assert_int_equal(RUN("wctr", "attach", "--detach-keys", "ctrl-1", "web"), 1);
  contains(err_text, "Invalid detach keys (ctrl-1) provided");
  assert_int_equal(fake.count, 1); /* the inspect only */
  reset_ops();
  fake.detach_set = false;
  assert_int_equal(RUN("wctr", "attach", "--no-stdin", "web"), 4);
  assert_null(cJSON_GetObjectItem(fake.params[1], "Stdin"));
  assert_false(fake.forwarded_stdin);
  assert_false(fake.detach_set);
  /* Ctrl+C: the container is stopped, as for run. */
  reset_ops();
  fake.interrupt = true;
  fake.block_run = true;
  assert_int_equal(RUN("wctr", "attach", "web"), 4);
  assert_true(op_index("container.attach", 0) >= 0);
  assert_true(op_index("container.stop", 0) >= 0); /* on its own connection: before or after the attach */
  /* A container that is not running: docker's refusal, exit 1, nothing attached. */
  reset_ops();
  fake.inspect_result = "{\"Id\":\"abcdef0123456789\",\"State\":{\"Status\":\"exited\",\"Running\":false},\"Config\":{}}";
  assert_int_equal(RUN("wctr", "attach", "web"), 1);
  contains(err_text, "You cannot attach to a stopped container, start it first");
  assert_int_equal(fake.count, 1);
  assert_int_equal(RUN("wctr", "attach"), 1);
  assert_int_equal(RUN("wctr", "attach", "a", "b"), 1);
}

/* Docker's detach keys: the flag's syntax, and the scan of the input (held back while they may begin, sent on
 * when the sequence breaks, nothing forwarded from a complete one on). */
static void test_detach_keys(void **state) {
  (void)state;
  cli_detach d;
  wctr_errmsg e;
  assert_int_equal(cli_detach_keys_parse(CLI_DETACH_KEYS_DEFAULT, &d, &e), WCTR_OK);
  assert_int_equal(d.len, 2);
  assert_int_equal(cli_detach_keys_parse("ctrl-@,ctrl-[,ctrl-_,a", &d, &e), WCTR_OK);
  assert_int_equal(d.len, 4);
  assert_int_equal(d.keys[0], 0);
  assert_int_equal(d.keys[1], 27);
  assert_int_equal(d.keys[2], 31);
  assert_int_equal(d.keys[3], 'a');
  assert_int_equal(cli_detach_keys_parse("ctrl-", &d, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "Invalid detach keys (ctrl-) provided");
  assert_int_equal(cli_detach_keys_parse("ab", &d, &e), WCTR_EINVAL);
  assert_int_equal(cli_detach_keys_parse("", &d, &e), WCTR_EINVAL);
  char out[64];
  size_t n = 0;
  assert_int_equal(cli_detach_keys_parse(CLI_DETACH_KEYS_DEFAULT, &d, &e), WCTR_OK);
  assert_false(cli_detach_scan(&d, "ab\x10", 3, out, &n));
  assert_int_equal(n, 2); /* ctrl-p held back */
  assert_memory_equal(out, "ab", 2);
  assert_false(cli_detach_scan(&d, "c", 1, out, &n));
  assert_int_equal(n, 2); /* the sequence broke: ctrl-p goes on, then c */
  assert_memory_equal(out, "\x10" "c", 2);
  assert_false(cli_detach_scan(&d, "x\x10\x10", 3, out, &n));
  assert_int_equal(n, 2); /* x, then the first ctrl-p (the second may begin the sequence) */
  assert_memory_equal(out, "x\x10", 2);
  assert_true(cli_detach_scan(&d, "\x11" "after", 6, out, &n));
  assert_int_equal(n, 0);
}

/* compose pull: image.pull of each service's image in the project's order, compose's lines on stderr (none
 * with -q), job services skipped; a failure stops it (exit 1) unless --ignore-pull-failures. */
static void test_compose_pull(void **state) {
  (void)state;
  fake.run_result = "{\"Digest\":\"sha256:1\",\"Status\":\"Image is up to date\"}";
  assert_int_equal(RUN("wctr", "compose", "-f", "C:\\proj\\pull.yml", "pull"), 0);
  /* the project's order: its start order (names, as nothing depends on anything) */
  assert_int_equal(fake.count, 2);
  assert_string_equal(fake.ops[0], "image.pull");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Name")->valuestring, "db:2");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Name")->valuestring, "127.0.0.1:5000/web:1");
  assert_string_equal(err_text, " db Pulling\n db Pulled\n tool Skipped - a job container's image is a host folder\n"
                                " web Pulling\n web Pulled\n");
  assert_string_equal(out_text, "");
  reset_ops();
  assert_int_equal(RUN("wctr", "compose", "-f", "C:\\proj\\pull.yml", "pull", "-q", "db"), 0);
  assert_int_equal(fake.count, 1);
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Name")->valuestring, "db:2");
  assert_string_equal(err_text, "");
  reset_ops();
  assert_int_equal(RUN("wctr", "compose", "-f", "C:\\proj\\pull.yml", "pull", "nosuch"), 1);
  contains(err_text, "no such service: nosuch");
  assert_int_equal(fake.count, 0);
  /* A failure stops the pull; with --ignore-pull-failures the others are pulled and the exit is 0. */
  fake.run_err = WCTR_ENOENT;
  fake.run_err_text = "manifest for db:2 not found";
  reset_ops();
  assert_int_equal(RUN("wctr", "compose", "-f", "C:\\proj\\pull.yml", "pull"), 1);
  assert_int_equal(fake.count, 1);
  contains(err_text, " db Error\n");
  contains(err_text, "manifest for db:2 not found");
  reset_ops();
  assert_int_equal(RUN("wctr", "compose", "-f", "C:\\proj\\pull.yml", "pull", "--ignore-pull-failures"), 0);
  assert_int_equal(fake.count, 2);
  contains(err_text, " web Error\n");
}

static void test_run_detached_prints_the_id(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "run", "-d", "--isolation=job", "host", "cmd"), 0);
  assert_string_equal(fake.ops[1], "container.start");
  assert_string_equal(out_text, "abcdef0123456789\n");
}

/* wctr exec: the instance's params from the flags (options end at the container), then its start with the
 * output here and the exit code as wctr's; Docker's codes when the command cannot run. */
static void test_exec_sends_flags_and_returns_the_exit_code(void **state) {
  (void)state;
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "inside\n";
  assert_int_equal(RUN("wctr", "exec", "-u", "ContainerAdministrator", "-e", "X=1", "-e", "FROM_HOST", "-w",
                       "C:\\app", "-i", "web", "cmd", "/c", "echo", "-d"),
                   7);
  assert_string_equal(fake.ops[0], "exec.create");
  assert_string_equal(fake.ops[1], "exec.start");
  char *sent = cJSON_PrintUnformatted(fake.params[0]);
  assert_string_equal(sent, "{\"User\":\"ContainerAdministrator\",\"WorkingDir\":\"C:\\\\app\",\"Id\":\"web\","
                            "\"Cmd\":[\"cmd\",\"/c\",\"echo\",\"-d\"],\"Env\":[\"X=1\",\"FROM_HOST=host-value\"],"
                            "\"AttachStdin\":true}");
  cJSON_free(sent);
  sent = cJSON_PrintUnformatted(fake.params[1]);
  assert_string_equal(sent, "{\"Id\":\"e1e1e1e1\"}");
  cJSON_free(sent);
  assert_true(fake.forwarded_stdin);
  assert_string_equal(out_text, "inside\n");
  /* Without -i nothing is forwarded. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "exec", "web", "cmd"), 7);
  assert_false(fake.forwarded_stdin);
  assert_null(cJSON_GetObjectItem(fake.params[0], "AttachStdin"));
  /* exec's flags end at CONTAINER (docker's exec is not interspersed): a --help after it is the command's,
   * and --help=false before it is the flag set false. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "exec", "--help=false", "web", "cmd", "--help", "-h=1"), 7);
  sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Cmd"));
  assert_string_equal(sent, "[\"cmd\",\"--help\",\"-h=1\"]");
  cJSON_free(sent);
  reset(NULL);
  assert_int_equal(RUN("wctr", "container", "exec", "-h", "web", "cmd"), 0);
  contains(out_text, "Usage: wctr exec [OPTIONS] CONTAINER COMMAND [ARG...]");
  assert_int_equal(fake.count, 0);
}

static void test_exec_detach_and_refusals(void **state) {
  (void)state;
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "not shown\n";
  fake.run_result = "{}";
  assert_int_equal(RUN("wctr", "exec", "-d", "web", "cmd"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[1], "Detach")));
  assert_false(fake.forwarded_stdin);
  assert_string_equal(out_text, "");
  /* Docker's operand rule and flag errors. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "exec", "web"), 1);
  contains(err_text, "\"exec\" requires at least 2 arguments");
  assert_int_equal(fake.count, 0);
  assert_int_equal(RUN("wctr", "exec", "--bogus", "web", "cmd"), 125);
  contains(err_text, "unknown flag: --bogus");
  assert_int_equal(RUN("wctr", "exec", "-e", "=x", "web", "cmd"), 125);
  contains(err_text, "the name is empty");
  /* --privileged goes to wctrd, which refuses it with the reason. */
  reset(NULL);
  fake.fail_op = "exec.create";
  fake.fail_code = WCTR_ENOTSUP;
  fake.fail_text = "Windows does not support privileged mode";
  assert_int_equal(RUN("wctr", "exec", "--privileged", "web", "cmd"), 1);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Privileged")));
  contains(err_text, "Windows does not support privileged mode");
  fake.fail_text = "Container abc is not running";
  fake.fail_code = WCTR_ESTATE;
  assert_int_equal(RUN("wctr", "exec", "web", "cmd"), 1);
  contains(err_text, "is not running");
  fake.fail_op = NULL;
  /* The command itself: 127 not found, 126 cannot be invoked, 1 otherwise. */
  fake.run_err = WCTR_ENOENT;
  fake.run_err_text = "exec: \"nosuch.exe\": executable file not found";
  assert_int_equal(RUN("wctr", "exec", "web", "nosuch.exe"), 127);
  contains(err_text, "executable file not found");
  fake.run_err = WCTR_EACCES;
  fake.run_err_text = "cannot start x.exe: access is denied";
  assert_int_equal(RUN("wctr", "exec", "web", "x.exe"), 126);
  fake.run_err = WCTR_ESTATE;
  fake.run_err_text = "Error: Exec command e1 has already run";
  assert_int_equal(RUN("wctr", "exec", "web", "x.exe"), 1);
  /* --help prints the usage and sends nothing. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "exec", "--help"), 0);
  assert_int_equal(fake.count, 0);
  contains(out_text, "Usage: wctr exec [OPTIONS] CONTAINER COMMAND [ARG...]");
}

static void test_start_failures_map_to_docker_codes(void **state) {
  (void)state;
  fake.run_err = WCTR_ENOENT;
  fake.run_err_text = "cannot start nosuch.exe: the program was not found";
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "nosuch.exe"), 127);
  fake.run_err = WCTR_EACCES;
  fake.run_err_text = "cannot start x.exe: access denied";
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "x.exe"), 126);
  fake.run_err = WCTR_EINVAL;
  fake.run_err_text = "range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available";
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host", "x.exe"), 125);
  contains(err_text, "range of CPUs");
}

static void test_run_secrets(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "create", "--isolation=job", "--secret", "db", "--secret", "source=api,target=api.key",
                       "host", "cmd"),
                   0);
  char *sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Secrets"));
  assert_string_equal(sent, "[{\"Name\":\"db\"},{\"Name\":\"api\",\"Target\":\"api.key\"}]");
  cJSON_free(sent);
  int before = fake.count;
  assert_int_equal(RUN("wctr", "run", "--secret", "db,mode=0400", "host", "cmd"), 125);
  contains(err_text, "--secret");
  contains(err_text, "mode=0400");
  assert_int_equal(RUN("wctr", "run", "--secret", "target=x", "host", "cmd"), 125);
  contains(err_text, "name is missing");
  assert_int_equal(fake.count, before);
}

static void test_secret_and_check_commands(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "secret", "create", "db", "app.env"), 0);
  assert_string_equal(fake.ops[0], "secret.create");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Name")->valuestring, "db");
  /* The file's bytes exactly, base64 (the fake read_file's app.env). */
  const char *file = "# comment\r\n\r\nA=1\r\n  B=two words\nFROM_HOST\nUNSET_ONE\n";
  char *want = wctr_base64_encode((const uint8_t *)file, strlen(file));
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Data")->valuestring, want);
  free(want);
  assert_int_equal(RUN("wctr", "secret", "create", "db"), 1);
  contains(err_text, "NAME FILE|-");
  assert_int_equal(RUN("wctr", "secret", "rm", "-f", "db", "api"), 0);
  assert_string_equal(fake.ops[fake.count - 1], "secret.remove");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[fake.count - 1], "Force")));
  assert_int_equal(RUN("wctr", "secret", "create", "-f", "db", "app.env"), 125);
  contains(err_text, "does not apply");
  assert_int_equal(RUN("wctr", "secret", "frobnicate"), 1);
  contains(err_text, "unknown subcommand");
  assert_int_equal(RUN("wctr", "audit", "--since", "10m", "-f"), 0);
  assert_string_equal(fake.ops[fake.count - 1], "audit.read");
  assert_string_equal(cJSON_GetObjectItem(fake.params[fake.count - 1], "Since")->valuestring, "10m");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[fake.count - 1], "Follow")));
  assert_int_equal(RUN("wctr", "check", "--format", "yaml"), 125);
}

static void test_dry_run_prints_the_calls(void **state) {
  (void)state;
  fake.create_result = "{\"DryRun\":true,\"Id\":\"ab\",\"Warnings\":[],\"Calls\":[{\"call\":\"HcsCreateComputeSystem\","
                       "\"id\":\"ab@vm\",\"document\":{\"Owner\":\"wctr\"}},{\"call\":\"HcsCreateProcess\",\"id\":\"ab\","
                       "\"document\":{\"CommandLine\":\"cmd\"}}]}";
  assert_int_equal(RUN("wctr", "run", "--dry-run", "--isolation=hyperv", "-v", "C:\\d:C:\\d:ro", "--hostname", "web",
                       "img"),
                   0);
  assert_string_equal(out_text, "{\"call\":\"HcsCreateComputeSystem\",\"id\":\"ab@vm\",\"document\":{\"Owner\":\"wctr\"}}\n"
                                "{\"call\":\"HcsCreateProcess\",\"id\":\"ab\",\"document\":{\"CommandLine\":\"cmd\"}}\n");
  assert_int_equal(fake.count, 1); /* create only: nothing started */
  char *sent = cJSON_PrintUnformatted(fake.params[0]);
  assert_string_equal(sent, "{\"HostConfig\":{\"Isolation\":\"hyperv\",\"Binds\":[\"C:\\\\d:C:\\\\d:ro\"]},\"Env\":[],"
                            "\"DryRun\":true,\"Hostname\":\"web\",\"Image\":\"img\"}");
  cJSON_free(sent);
  assert_int_equal(RUN("wctr", "create", "--dry-run", "img", "cmd"), 0);
  contains(out_text, "HcsCreateProcess");
  assert_int_equal(RUN("wctr", "run", "--dry-run", "-d", "img"), 125);
  contains(err_text, "--dry-run only prints the HCS documents");
}

static void test_failed_start_leaves_nothing(void **state) {
  (void)state;
  fake.run_err = WCTR_ESYSTEM;
  fake.run_err_text = "HcsStartComputeSystem: The container operating system does not match the host operating system";
  fake.inspect_result = "{\"State\":{\"Status\":\"created\"}}";
  /* An HCS failure is wctr's (125), not the command's, even when its text says "not found". */
  assert_int_equal(RUN("wctr", "run", "--isolation=process", "img"), 125);
  contains(err_text, "does not match");
  assert_string_equal(fake.ops[2], "container.inspect");
  assert_string_equal(fake.ops[3], "container.remove");
  /* A container that did run (the stream broke later) is left alone. */
  reset(NULL);
  fake.run_err = WCTR_ECANCELED;
  fake.run_err_text = "wctrd is stopping";
  fake.inspect_result = "{\"State\":{\"Status\":\"running\"}}";
  RUN("wctr", "run", "--isolation=process", "img");
  assert_int_equal(fake.count, 3);
  fake.run_err = WCTR_ENOENT;
  fake.run_err_text = "HcsCreateProcess: The system cannot find the file specified (ERROR_FILE_NOT_FOUND, 0x80070002)";
  fake.inspect_result = "{\"State\":{\"Status\":\"created\"}}";
  assert_int_equal(RUN("wctr", "run", "--isolation=process", "img", "nosuch.exe"), 127);
}

static void test_image_commands(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "image", "add", "app", "--layer", "C:\\l2", "--layer", "C:\\base", "--os-version",
                       "10.0.20348.1", "--cmd", "echo hi", "--user", "ContainerAdministrator"),
                   0);
  char *sent = cJSON_PrintUnformatted(fake.params[0]);
  assert_string_equal(sent, "{\"Layers\":[\"C:\\\\l2\",\"C:\\\\base\"],\"OsVersion\":\"10.0.20348.1\","
                            "\"Cmd\":[\"cmd\",\"/S\",\"/C\",\"echo hi\"],\"User\":\"ContainerAdministrator\",\"Name\":\"app\"}");
  cJSON_free(sent);
  assert_string_equal(out_text, "app:latest (OS 10.0.20348.1, 1 layer)\n");
  assert_int_equal(RUN("wctr", "image", "add", "--layer", "C:\\b", "app2", "--cmd", "[\"ping\",\"-t\"]"), 0);
  assert_string_equal(fake.ops[1], "image.add");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(fake.params[1], "Cmd"), 1)->valuestring, "-t");
  int sent_before = fake.count;
  assert_int_equal(RUN("wctr", "image", "add", "app", "--layer", "C:\\b", "--cmd", "[1]"), 125);
  contains(err_text, "--cmd [1]: a JSON array of strings");
  assert_int_equal(RUN("wctr", "image", "add", "app"), 1);
  contains(err_text, "--layer is required");
  assert_int_equal(RUN("wctr", "image", "add", "--layer", "C:\\b"), 1);
  contains(err_text, "requires exactly 1 argument");
  assert_int_equal(RUN("wctr", "image", "add", "a", "b", "--layer", "C:\\b"), 1);
  assert_int_equal(fake.count, sent_before);
  assert_int_equal(RUN("wctr", "images"), 0);
  assert_string_equal(out_text, "REPOSITORY   TAG       IMAGE ID      CREATED             SIZE\n"
                                "app          latest    <image add>   About an hour ago   N/A\n");
  assert_int_equal(RUN("wctr", "images", "--format", "{{.Repository}}:{{.Tag}} {{.Layers}} {{.OsVersion}} {{.Size}} {{json .ID}}"), 0);
  assert_string_equal(out_text, "app:latest 2 10.0.20348.1 N/A \"<image add>\"\n");
  assert_int_equal(RUN("wctr", "images", "--format", "{{.Nope}}"), 1);
  contains(err_text, "can't evaluate field Nope");
  assert_int_equal(RUN("wctr", "image", "rm", "a", "b"), 0);
  assert_string_equal(fake.ops[fake.count - 1], "image.remove");
  assert_string_equal(cJSON_GetObjectItem(fake.params[fake.count - 1], "Name")->valuestring, "b");
  assert_int_equal(RUN("wctr", "image", "frobnicate"), 1);
  contains(err_text, "unknown command \"frobnicate\"");
}


/* --- images --- */

static const char store_images[] =
    "[{\"Id\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"RepoTags\":["
    "\"127.0.0.1:5000/app:v1\",\"mine:latest\"],\"RepoDigests\":[\"127.0.0.1:5000/app@sha256:"
    "1111111111111111111111111111111111111111111111111111111111111111\"],\"Created\":\"2026-11-01T10:00:00Z\","
    "\"Size\":123456789,\"Dangling\":false},"
    "{\"Id\":\"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\",\"RepoTags\":[],"
    "\"RepoDigests\":[],\"Created\":\"2026-11-22T13:09:58Z\",\"Size\":1000,\"Dangling\":true}]";

static void test_images_table(void **state) {
  (void)state;
  fake.image_list = store_images;
  assert_int_equal(RUN("wctr", "images"), 0);
  assert_string_equal(out_text,
                      "REPOSITORY           TAG       IMAGE ID       CREATED         SIZE\n"
                      "<none>               <none>    fedcba987654   2 seconds ago   1kB\n"
                      "127.0.0.1:5000/app   v1        0123456789ab   3 weeks ago     123MB\n"
                      "mine                 latest    0123456789ab   3 weeks ago     123MB\n");
  assert_int_equal(RUN("wctr", "images", "-q"), 0);
  /* Docker's -q: a line per row, so an image with two tags shows twice */
  assert_string_equal(out_text, "fedcba987654\n0123456789ab\n0123456789ab\n");
  assert_int_equal(RUN("wctr", "images", "--digests", "--filter", "dangling=false", "127.0.0.1:5000/*"), 0);
  assert_string_equal(out_text,
                      "REPOSITORY           TAG       DIGEST                                                                    IMAGE ID       CREATED       SIZE\n"
                      "127.0.0.1:5000/app   v1        sha256:1111111111111111111111111111111111111111111111111111111111111111   0123456789ab   3 weeks ago   123MB\n");
  assert_int_equal(RUN("wctr", "images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", "-f", "reference=mine"), 0);
  assert_string_equal(out_text, "mine:latest 123MB\n");
  assert_int_equal(RUN("wctr", "images", "--format", "json", "--no-trunc", "-f", "dangling=true"), 0);
  contains(out_text, "\"ID\":\"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\"");
  contains(out_text, "\"Repository\":\"<none>\"");
  assert_int_equal(RUN("wctr", "images", "-f", "bogus=1"), 125);
  contains(err_text, "invalid filter 'bogus=1'");
}

static void test_pull_plain_output(void **state) {
  (void)state;
  fake.run_frames[0][0] = "progress";
  fake.run_frames[0][1] = "{\"id\":\"v1\",\"status\":\"Pulling from app\"}";
  fake.run_frames[1][0] = "progress";
  fake.run_frames[1][1] = "{\"id\":\"aaaaaaaaaaaa\",\"status\":\"Pulling fs layer\"}";
  fake.run_frames[2][0] = "progress";
  fake.run_frames[2][1] = "{\"id\":\"aaaaaaaaaaaa\",\"status\":\"Downloading\",\"progressDetail\":{\"current\":5,\"total\":10}}";
  fake.run_frames[3][0] = "progress";
  fake.run_frames[3][1] = "{\"id\":\"aaaaaaaaaaaa\",\"status\":\"Pull complete\"}";
  fake.run_result = "{\"Id\":\"sha256:01\",\"Digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\","
                    "\"Status\":\"Downloaded newer image for 127.0.0.1:5000/app:v1\"}";
  assert_int_equal(RUN("wctr", "pull", "127.0.0.1:5000/app:v1"), 0);
  /* not a console: a line per message, those with a progress bar left out (Docker's jsonmessage) */
  assert_string_equal(out_text, "v1: Pulling from app\n"
                                "aaaaaaaaaaaa: Pulling fs layer\n"
                                "aaaaaaaaaaaa: Pull complete\n"
                                "Digest: sha256:1111111111111111111111111111111111111111111111111111111111111111\n"
                                "Status: Downloaded newer image for 127.0.0.1:5000/app:v1\n"
                                "127.0.0.1:5000/app:v1\n");
  assert_string_equal(fake.ops[0], "image.pull");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Name")->valuestring, "127.0.0.1:5000/app:v1");
  assert_null(cJSON_GetObjectItem(fake.params[0], "Auth")); /* no credentials store on this platform */
  assert_int_equal(RUN("wctr", "pull", "-q", "Bad:Name"), 1);
  contains(err_text, "repository name must be lowercase");
  assert_int_equal(RUN("wctr", "pull", "nanoserver"), 0);
  contains(out_text, "docker.io/library/nanoserver:latest\n");
  assert_int_equal(RUN("wctr", "pull", "--platform", "linux/amd64", "nanoserver"), 125);
  contains(err_text, "this engine runs Windows images only");
  /* a console: a line per layer, rewritten in place, with Docker's bar */
  reset(NULL);
  fake.tty = true;
  fake.has_login = true;
  fake.run_frames[0][0] = "progress";
  fake.run_frames[0][1] = "{\"id\":\"v1\",\"status\":\"Pulling from app\"}";
  fake.run_frames[1][0] = "progress";
  fake.run_frames[1][1] = "{\"id\":\"aaaaaaaaaaaa\",\"status\":\"Pulling fs layer\"}";
  fake.run_frames[2][0] = "progress";
  fake.run_frames[2][1] = "{\"id\":\"aaaaaaaaaaaa\",\"status\":\"Downloading\",\"progressDetail\":{\"current\":5,\"total\":10}}";
  fake.run_frames[3][0] = "progress";
  fake.run_frames[3][1] = "{\"id\":\"aaaaaaaaaaaa\",\"status\":\"Pull complete\"}";
  fake.run_result = "{\"Digest\":\"sha256:11\",\"Status\":\"Image is up to date for 127.0.0.1:5000/app:v1\"}";
  assert_int_equal(RUN("wctr", "pull", "127.0.0.1:5000/app:v1"), 0);
  assert_string_equal(out_text, "v1: Pulling from app\n"
                                "aaaaaaaaaaaa: Pulling fs layer\n"
                                "\x1b[1A\r\x1b[2Kaaaaaaaaaaaa: Downloading [=========================>"
                                "                         ]       5B/10B\x1b[1B\r"
                                "\x1b[1A\r\x1b[2Kaaaaaaaaaaaa: Pull complete\x1b[1B\r"
                                "Digest: sha256:11\n"
                                "Status: Image is up to date for 127.0.0.1:5000/app:v1\n"
                                "127.0.0.1:5000/app:v1\n");
  /* the stored credentials of that registry go with the request, and nowhere else */
  const cJSON *auth = cJSON_GetObjectItem(fake.params[0], "Auth");
  assert_string_equal(cJSON_GetObjectItem(auth, "Username")->valuestring, "alice");
  assert_string_equal(cJSON_GetObjectItem(auth, "Password")->valuestring, "s3cret");
  assert_null(strstr(out_text, "s3cret"));
  assert_null(strstr(err_text, "s3cret"));
}

static void test_run_pulls_a_missing_image(void **state) {
  (void)state;
  fake.fail_op = "container.create";
  fake.fail_text = "No such image: app:latest";
  fake.run_result = "{\"Digest\":\"sha256:22\",\"Status\":\"Downloaded newer image for app:latest\"}";
  assert_int_equal(RUN("wctr", "create", "--isolation", "process", "app"), 125);
  contains(err_text, "Unable to find image 'app' locally\n");
  contains(err_text, "Status: Downloaded newer image for app:latest\n");
  assert_string_equal(fake.ops[0], "container.create");
  assert_string_equal(fake.ops[1], "image.pull");
  assert_string_equal(fake.ops[2], "container.create"); /* created again after the pull (the fake still refuses) */
  reset(state);
  fake.fail_op = "container.create";
  fake.fail_text = "No such image: app:latest";
  assert_int_equal(RUN("wctr", "create", "--pull", "never", "app"), 125);
  assert_int_equal(fake.count, 1);
  contains(err_text, "No such image: app:latest");
  reset(state);
  assert_int_equal(RUN("wctr", "create", "--pull", "always", "app"), 0);
  assert_string_equal(fake.ops[0], "image.pull");
  assert_string_equal(fake.ops[1], "container.create");
  assert_int_equal(RUN("wctr", "create", "--pull", "sometimes", "app"), 125);
  contains(err_text, "invalid pull option: 'sometimes'");
  /* a job container's IMAGE (a folder, "host") is nothing a registry has */
  reset(state);
  assert_int_equal(RUN("wctr", "create", "--pull", "always", "--isolation", "job", "host", "cmd"), 0);
  assert_int_equal(RUN("wctr", "create", "--pull", "always", "C:\\sandbox", "cmd"), 0);
  assert_int_equal(op_index("image.pull", 0), -1);
}

static void test_rmi_tag_login(void **state) {
  (void)state;
  fake.remove_result = "[{\"Untagged\":\"app:latest\"},{\"Deleted\":\"sha256:01\"}]";
  assert_int_equal(RUN("wctr", "rmi", "-f", "app"), 0);
  assert_string_equal(out_text, "Untagged: app:latest\nDeleted: sha256:01\n");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Force")));
  assert_int_equal(RUN("wctr", "tag", "app", "other:2"), 0);
  assert_string_equal(fake.ops[1], "image.tag");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Target")->valuestring, "other:2");
  int before = fake.count;
  assert_int_equal(RUN("wctr", "login", "-u", "me", "-p", "secret", "reg.example"), 125);
  contains(err_text, "--password on the command line is refused");
  assert_null(strstr(err_text, "secret"));
  assert_int_equal(fake.count, before);
  assert_int_equal(RUN("wctr", "logout", "reg.example"), 0);
  assert_string_equal(out_text, "Not logged in to reg.example\n");
  /* login: wctrd checks the credentials, then wctr stores them for this user */
  assert_int_equal(RUN("wctr", "login", "-u", "alice", "--password-stdin", "https://reg.example:5000/v2/"), 0);
  assert_string_equal(out_text, "Login Succeeded\n");
  assert_string_equal(fake.ops[fake.count - 1], "registry.login");
  assert_string_equal(cJSON_GetObjectItem(fake.params[fake.count - 1], "Server")->valuestring, "reg.example:5000");
  assert_string_equal(cJSON_GetObjectItem(fake.params[fake.count - 1], "Password")->valuestring, "s3cret");
  assert_string_equal(fake.stored[0], "reg.example:5000");
  assert_string_equal(fake.stored[1], "alice");
  assert_string_equal(fake.stored[2], "s3cret");
  assert_null(strstr(out_text, "s3cret"));
  assert_null(strstr(err_text, "s3cret"));
  assert_int_equal(RUN("wctr", "logout", "reg.example:5000"), 0);
  assert_string_equal(out_text, "Removing login credentials for reg.example:5000\n");
  /* refused by the registry: nothing stored */
  fake.stored[0][0] = '\0';
  fake.fail_op = "registry.login";
  fake.fail_text = "unauthorized: incorrect username or password";
  assert_int_equal(RUN("wctr", "login", "-u", "alice", "--password-stdin", "reg.example:5000"), 1);
  contains(err_text, "unauthorized: incorrect username or password");
  assert_string_equal(fake.stored[0], "");
  fake.fail_op = NULL;
  assert_int_equal(RUN("wctr", "login", "--password-stdin", "reg.example"), 1);
  contains(err_text, "--password-stdin needs --username");
  assert_int_equal(RUN("wctr", "save", "app"), 0); /* stdout is not a console here: the archive goes there */
  assert_string_equal(fake.ops[fake.count - 1], "image.save");
}

/* Every boolean flag reads as pflag's bool flags do: alone true, `=V` with strconv.ParseBool's spellings (long
 * and short), a following word never its value, and a refused V named with the flag (125, nothing sent). */
static void test_boolean_flags_take_go_values(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "run", "--rm=false", "-d=true", "-i=0", "--isolation=job", "host", "cmd"), 0);
  assert_string_equal(out_text, "abcdef0123456789\n"); /* detached: the id, no run waited for */
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[0], "HostConfig"), "AutoRemove")));
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(fake.params[0], "OpenStdin")));
  reset(NULL);
  /* `--rm false`: "false" is the image, as for docker. */
  assert_int_equal(RUN("wctr", "create", "--rm", "false", "cmd"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[0], "HostConfig"), "AutoRemove")));
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Image")->valuestring, "false");
  reset(NULL);
  assert_int_equal(RUN("wctr", "exec", "--privileged=True", "--privileged=FALSE", "-d=t", "web", "cmd"), 0);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(fake.params[0], "Privileged")));
  reset(NULL);
  assert_int_equal(RUN("wctr", "rm", "--force=1", "web"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Force")));
  assert_int_equal(RUN("wctr", "rm", "-f", "-f=f", "web"), 0);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[1], "Force")));
  reset(NULL);
  assert_int_equal(RUN("wctr", "rm", "-f=maybe", "web"), 125);
  contains(err_text, "invalid argument \"maybe\" for \"-f, --force\" flag: strconv.ParseBool: parsing \"maybe\": "
                     "invalid syntax\nSee 'wctr rm --help'.");
  assert_int_equal(RUN("wctr", "run", "--rm=yes", "--isolation=job", "host", "cmd"), 125);
  contains(err_text, "invalid argument \"yes\" for \"--rm\" flag");
  assert_int_equal(fake.count, 0);
}

static void test_run_usage_errors_send_nothing(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "run", "--isolation=job", "host"), 125);
  contains(err_text, "a command is required");
  assert_int_equal(RUN("wctr", "run"), 1);
  contains(err_text, "\"run\" requires at least 1 argument");
  assert_int_equal(RUN("wctr", "run", "-t", "--isolation=job", "host", "cmd"), 125);
  contains(err_text, "-t/--tty");
  assert_int_equal(RUN("wctr", "run", "-m", "5x", "host", "cmd"), 125);
  contains(err_text, "--memory");
  assert_int_equal(RUN("wctr", "run", "--cpus", "abc", "host", "cmd"), 125);
  assert_int_equal(RUN("wctr", "run", "--cpu-count", "1.5", "host", "cmd"), 125);
  contains(err_text, "invalid value \"1.5\" for --cpu-count: not a whole number");
  assert_int_equal(RUN("wctr", "run", "--env-file", "missing.env", "host", "cmd"), 125);
  contains(err_text, "cannot open missing.env");
  assert_int_equal(RUN("wctr", "run", "-e", "=x", "host", "cmd"), 125);
  contains(err_text, "the name is empty");
  assert_int_equal(fake.count, 0);
}

static void test_status_text(void **state) {
  (void)state;
  char text[96];
  cJSON *s = cJSON_Parse("{\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:09:55.000Z\"}");
  docker_container_status(s, "2026-11-22T13:10:00.000Z", text, sizeof text);
  assert_string_equal(text, "Up 5 seconds");
  cJSON_Delete(s);
  s = cJSON_Parse("{\"State\":\"exited\",\"ExitCode\":3,\"FinishedAt\":\"2026-11-22T11:10:00.000Z\"}");
  docker_container_status(s, "2026-11-22T13:10:00.000Z", text, sizeof text);
  assert_string_equal(text, "Exited (3) 2 hours ago");
  cJSON_Delete(s);
  s = cJSON_Parse("{\"State\":\"created\"}");
  docker_container_status(s, "2026-11-22T13:10:00.000Z", text, sizeof text);
  assert_string_equal(text, "Created");
  cJSON_Delete(s);
  assert_int_equal(cli_seconds_between("2024-02-28T23:59:59.000Z", "2024-03-01T00:00:00.000Z"), 86401);
  assert_int_equal(cli_seconds_between("2025-12-31T23:00:00Z", "2026-01-01T01:00:00Z"), 7200);
  assert_int_equal(cli_seconds_between("garbage", "2026-01-01T01:00:00Z"), 0);
}

static const char ps_two[] =
    "[{\"Id\":\"aaaaaaaaaaaa1111\",\"Name\":\"web\",\"Image\":\"host\",\"Command\":\"cmd /c exit 0\",\"Created\":"
    "\"2026-11-22T13:09:00.000Z\",\"State\":\"running\",\"ExitCode\":0,\"StartedAt\":\"2026-11-22T13:09:30.000Z\","
    "\"FinishedAt\":\"\",\"Isolation\":\"job\",\"Labels\":{\"tier\":\"front\",\"app\":\"shop\"}},"
    "{\"Id\":\"bbbbbbbbbbbb2222\",\"Name\":\"old\",\"Image\":\"C:\\\\sb\",\"Command\":\"x\",\"Created\":"
    "\"2026-11-22T12:00:00.000Z\",\"State\":\"exited\",\"ExitCode\":2,\"StartedAt\":\"\",\"FinishedAt\":"
    "\"2026-11-22T13:00:00.000Z\",\"Isolation\":\"job\",\"Labels\":{}}]";

/* docker ps's default table: columns as wide as their content plus 3 (at least 10), as docker/cli's
 * tabwriter lays them out. */
/* Forgets the operations sent so far (the canned answers stay). */
static void reset_ops(void) {
  for (int i = 0; i < fake.count; i++) cJSON_Delete(fake.params[i]);
  fake.count = 0;
}

static void test_ps_table_quiet_filter_format(void **state) {
  (void)state;
  fake.list_result = ps_two;
  assert_int_equal(RUN("wctr", "ps", "-a"), 0);
  assert_string_equal(out_text,
                      "CONTAINER ID   IMAGE     COMMAND           CREATED              STATUS                      PORTS     NAMES\n"
                      "aaaaaaaaaaaa   host      \"cmd /c exit 0\"   About a minute ago   Up 30 seconds                         web\n"
                      "bbbbbbbbbbbb   C:\\sb     \"x\"               About an hour ago    Exited (2) 10 minutes ago             old\n");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "All")));
  /* Filters go to wctrd as Docker's filter map (it applies them: the fake answers both). */
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "-q", "--filter", "status=exited", "-f", " Name = web", "-f", "before=x",
                       "-f", "ancestor=abc", "-f", "status=created"), 0);
  assert_string_equal(out_text, "aaaaaaaaaaaa\nbbbbbbbbbbbb\n");
  char *sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Filters"));
  assert_string_equal(sent, "{\"status\":[\"exited\",\"created\"],\"name\":[\"web\"],\"before\":[\"x\"],"
                            "\"ancestor\":[\"abc\"]}");
  cJSON_free(sent);
  assert_null(cJSON_GetObjectItem(fake.params[0], "Size"));
  assert_int_equal(RUN("wctr", "ps", "--filter", "status"), 125);
  contains(err_text, "bad format of filter (expected name=value)");
  /* -q wins over --format, as docker's. */
  assert_int_equal(RUN("wctr", "ps", "-a", "-q", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "aaaaaaaaaaaa\nbbbbbbbbbbbb\n");
  assert_int_equal(RUN("wctr", "ps", "-a", "--format", "{{.ID}}\\t{{.Names}}\\t{{.Status}}"), 0);
  assert_string_equal(out_text, "aaaaaaaaaaaa\tweb\tUp 30 seconds\nbbbbbbbbbbbb\told\tExited (2) 10 minutes ago\n");
  /* A running container's health in STATUS (Docker's State.String()); health= goes to wctrd. */
  fake.list_result = "[{\"Id\":\"aaaaaaaaaaaa1111\",\"Name\":\"web\",\"Image\":\"host\",\"Command\":\"x\",\"Created\":"
                     "\"2026-11-22T13:09:00.000Z\",\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:09:30.000Z\","
                     "\"Health\":\"starting\"}]";
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "--filter", "health=starting", "--filter", "health=healthy", "--format", "{{.Status}}"), 0);
  assert_string_equal(out_text, "Up 30 seconds (health: starting)\n");
  char *filters = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Filters"));
  assert_string_equal(filters, "{\"health\":[\"starting\",\"healthy\"]}");
  cJSON_free(filters);
  /* No container: the header alone. */
  fake.list_result = "[]";
  assert_int_equal(RUN("wctr", "ps"), 0);
  assert_string_equal(out_text, "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
}

/* -s: the SIZE column (docker/cli's Size: the writable layer, "(virtual N)" when the root's size is known); a
 * template that uses .Size asks for the sizes too. */
static void test_ps_size(void **state) {
  (void)state;
  fake.list_result =
      "[{\"Id\":\"aaaaaaaaaaaa1111\",\"Name\":\"web\",\"Image\":\"host\",\"Command\":\"x\",\"Created\":"
      "\"2026-11-22T13:09:00.000Z\",\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:09:30.000Z\","
      "\"SizeRw\":1234,\"SizeRootFs\":5000000},"
      "{\"Id\":\"bbbbbbbbbbbb2222\",\"Name\":\"old\",\"Image\":\"host\",\"Command\":\"x\",\"Created\":"
      "\"2026-11-22T12:00:00.000Z\",\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:09:30.000Z\","
      "\"SizeRw\":0,\"SizeRootFs\":0}]";
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "-s"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Size")));
  contains(out_text, "   NAMES     SIZE\n");
  contains(out_text, "   web       1.23kB (virtual 5MB)\n");
  contains(out_text, "   old       0B\n");
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "--format", "{{.Names}}: {{.Size}}"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Size")));
  assert_string_equal(out_text, "web: 1.23kB (virtual 5MB)\nold: 0B\n");
  /* -q lists ids only: nothing to measure. */
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "-q", "-s"), 0);
  assert_null(cJSON_GetObjectItem(fake.params[0], "Size"));
}

/* -n/-l: the newest first, any state; --no-trunc: the whole ID and command. */
static void test_ps_last_latest_no_trunc(void **state) {
  (void)state;
  /* Listed oldest first by wctrd: shown newest first, as Docker's daemon lists. */
  fake.list_result =
      "[{\"Id\":\"bbbbbbbbbbbb2222\",\"Name\":\"old\",\"Image\":\"i\",\"Command\":\"x\",\"Created\":"
      "\"2026-11-22T12:00:00.000Z\",\"State\":\"exited\",\"ExitCode\":2,\"FinishedAt\":\"2026-11-22T13:00:00.000Z\"},"
      "{\"Id\":\"aaaaaaaaaaaa1111ffff\",\"Name\":\"web\",\"Image\":\"i\",\"Command\":\"cmd /c echo a long command line\","
      "\"Created\":\"2026-11-22T13:09:00.000Z\",\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:09:30.000Z\"}]";
  assert_int_equal(RUN("wctr", "ps", "-a", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\nold\n");
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "-n", "1", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\n");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "All")));
  /* wctrd applies the filters (the fake does not): -l keeps the newest of what it answers. */
  assert_int_equal(RUN("wctr", "ps", "-l", "--filter", "status=exited", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\n");
  assert_int_equal(RUN("wctr", "ps", "-n", "5", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\nold\n");
  assert_int_equal(RUN("wctr", "ps", "-l", "--no-trunc", "--format", "{{.ID}} {{.Command}}"), 0);
  assert_string_equal(out_text, "aaaaaaaaaaaa1111ffff \"cmd /c echo a long command line\"\n");
  assert_int_equal(RUN("wctr", "ps", "-l", "--format", "{{.ID}} {{.Command}}"), 0);
  assert_string_equal(out_text, "aaaaaaaaaaaa \"cmd /c echo a long …\"\n");
  assert_int_equal(RUN("wctr", "ps", "-n", "x"), 125);
  contains(err_text, "invalid argument \"x\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"x\": invalid syntax");
  /* The last value of a bool flag wins: -l=false after -l undoes it (the running one alone, as without -l). */
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "-l", "-l=false", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\nold\n");
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "All")));
  assert_int_equal(RUN("wctr", "ps", "--latest=false", "-l", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\n");
  /* -n wins over -l in any order (docker/cli applies -l only when -n is not given). */
  assert_int_equal(RUN("wctr", "ps", "-n", "2", "-l", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\nold\n");
  /* --help=false is the help flag set false: ps runs (the dispatch takes the help words out). */
  assert_int_equal(RUN("wctr", "ps", "--help=false", "-l", "-h=0", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\n");
  assert_int_equal(RUN("wctr", "container", "ls", "-h", "--help=F", "-l", "--format", "{{.Names}}"), 0);
  assert_string_equal(out_text, "web\n");
  /* the other bool flags of ps: -a, -q, --no-trunc, -s undone the same way */
  reset_ops();
  assert_int_equal(RUN("wctr", "ps", "-a", "-a=false", "-q", "--quiet=0", "-s", "--size=false", "--no-trunc",
                       "--no-trunc=false", "--format", "{{.ID}}"), 0);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "All")));
  assert_null(cJSON_GetObjectItem(fake.params[0], "Size"));
  assert_string_equal(out_text, "aaaaaaaaaaaa\nbbbbbbbbbbbb\n");
}

/* Long images and names widen their column instead of running into the next; COMMAND keeps its closing
 * quote (docker/cli's Ellipsis at 20 columns, then strconv.Quote). */
static void test_ps_long_values(void **state) {
  (void)state;
  fake.list_result =
      "[{\"Id\":\"cccccccccccc3333\",\"Name\":\"a-very-long-container-name-indeed\",\"Image\":"
      "\"mcr.microsoft.com/windows/servercore:ltsc2022\",\"Command\":\"powershell -Command Start-Sleep 3600\","
      "\"Created\":\"2026-11-22T13:09:58.000Z\",\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:09:59.000Z\","
      "\"Isolation\":\"process\",\"Labels\":{}}]";
  assert_int_equal(RUN("wctr", "ps"), 0);
  contains(out_text, "CONTAINER ID   IMAGE                                           COMMAND                  CREATED");
  contains(out_text, "cccccccccccc   mcr.microsoft.com/windows/servercore:ltsc2022   \"powershell -Command…\"   2 seconds ago");
  contains(out_text, "   a-very-long-container-name-indeed\n");
}

/* --format: Docker's fields, json, table with a header, functions; an unknown field is an error. */
static void test_ps_format_fields(void **state) {
  (void)state;
  fake.list_result = ps_two;
  assert_int_equal(RUN("wctr", "ps", "-a", "--format", "table {{.Names}}\\t{{.Image}}\\t{{.Labels}}"), 0);
  assert_string_equal(out_text, "NAMES     IMAGE     LABELS\n"
                                "web       host      app=shop,tier=front\n"
                                "old       C:\\sb     \n");
  /* .Label "KEY" in a table: the header stops there, as docker/cli's (its header is a map, not a context). */
  assert_int_equal(RUN("wctr", "ps", "-a", "--format", "table {{.Names}}\\t{{.Label \"tier\"}}"), 0);
  assert_string_equal(out_text, "NAMES     \n"
                                "web       front\n"
                                "old       \n");
  assert_int_equal(RUN("wctr", "ps", "-a", "--format", "{{.CreatedAt}}|{{.RunningFor}}|{{.Command}}|{{.State}}|{{.Size}}"), 0);
  assert_string_equal(out_text, "2026-11-22 13:09:00 +0000 UTC|About a minute ago|\"cmd /c exit 0\"|running|0B\n"
                                "2026-11-22 12:00:00 +0000 UTC|About an hour ago|\"x\"|exited|0B\n");
  assert_int_equal(RUN("wctr", "ps", "-a", "--format", "{{upper .Names}} {{json .Names}} {{len .ID}} {{if eq .State \"running\"}}up{{else}}down{{end}}"), 0);
  assert_string_equal(out_text, "WEB \"web\" 12 up\nOLD \"old\" 12 down\n");
  /* {{json .}}: docker/cli's keys, sorted. Mounts come from each container's record. */
  reset(NULL);
  fake.list_result = ps_two;
  fake.inspect_result = "{\"Id\":\"aaaaaaaaaaaa1111\",\"Name\":\"web\",\"Created\":\"2026-11-22T13:09:00.000Z\","
                        "\"State\":{\"Status\":\"running\",\"StartedAt\":\"2026-11-22T13:09:30.000Z\"},"
                        "\"Config\":{\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"exit 0\"],\"Labels\":{}},"
                        "\"HostConfig\":{\"Isolation\":\"process\",\"Binds\":[\"C:\\\\data:C:\\\\data:ro\"]}}";
  assert_int_equal(RUN("wctr", "ps", "--format", "json"), 0);
  cJSON *row = cJSON_Parse(out_text);
  assert_non_null(row);
  const char *keys[] = {"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks",
                        "Ports", "RunningFor", "Size", "State", "Status"};
  const cJSON *k = row->child;
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++, k = k->next) {
    assert_non_null(k);
    assert_string_equal(k->string, keys[i]);
  }
  assert_null(k);
  assert_string_equal(cJSON_GetObjectItem(row, "Mounts")->valuestring, "C:\\data");
  assert_string_equal(cJSON_GetObjectItem(row, "Names")->valuestring, "web");
  cJSON_Delete(row);
  assert_int_equal(op_index("container.inspect", 0), 1); /* container.list, then each record (running: one) */
  /* Never printed back as written: an unknown field fails the listing (exit 1), nothing on stdout. */
  assert_int_equal(RUN("wctr", "ps", "-a", "--format", "{{.Names}} {{.Nope}}"), 1);
  assert_string_equal(out_text, "");
  contains(err_text, "template parsing error: template: :1:13: executing \"\" at <.Nope>: can't evaluate field Nope in "
                     "type *formatter.ContainerContext");
  assert_int_equal(RUN("wctr", "ps", "--format", "{{.Names"), 1);
  contains(err_text, "template parsing error: template: :1: unclosed action");
  assert_int_equal(RUN("wctr", "ps", "--format", "{{.Label}}"), 1);
  contains(err_text, "wrong number of args for Label: want 1 got 0");
}

static void test_ref_commands(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "stop", "-t", "3", "web", "db"), 0);
  assert_string_equal(out_text, "web\ndb\n");
  assert_string_equal(fake.ops[0], "container.stop");
  assert_int_equal(cJSON_GetObjectItem(fake.params[0], "Timeout")->valueint, 3);
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Id")->valuestring, "db");
  assert_int_equal(RUN("wctr", "rm", "-f", "web"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[2], "Force")));
  assert_int_equal(RUN("wctr", "kill"), 1);
  contains(err_text, "\"kill\" requires at least 1 argument");
  assert_int_equal(RUN("wctr", "stop", "-t", "soon", "web"), 125);
  contains(err_text, "invalid value \"soon\" for --time");
}

static void test_pause_and_unpause(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "pause", "web", "db"), 0);
  assert_string_equal(out_text, "web\ndb\n");
  assert_string_equal(fake.ops[0], "container.pause");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Id")->valuestring, "db");
  reset(NULL);
  assert_int_equal(RUN("wctr", "container", "unpause", "web"), 0);
  assert_string_equal(fake.ops[0], "container.unpause");
  assert_string_equal(out_text, "web\n");
  assert_int_equal(RUN("wctr", "pause"), 1);
  contains(err_text, "\"pause\" requires at least 1 argument");
  /* One that wctrd refuses (Docker's words for a process-isolated one): reported, the others still paused,
   * exit 1 as Docker's. */
  reset(NULL);
  fake.fail_op = "container.pause";
  fake.fail_id = "proc";
  fake.fail_code = WCTR_ENOTSUP;
  fake.fail_text = "Cannot pause container 0123: cannot pause Windows Server Containers";
  assert_int_equal(RUN("wctr", "pause", "proc", "hv"), 1);
  contains(err_text, "cannot pause Windows Server Containers");
  assert_string_equal(out_text, "hv\n");
  /* compose pause / unpause: each service's container, compose's progress on stderr */
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "pause", "web"), 0);
  int at = op_index("container.pause", 0);
  assert_true(at >= 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[at], "Id")->valuestring, "proj-web-1");
  assert_null(cJSON_GetObjectItem(fake.params[at], "Timeout"));
  contains(err_text, " Container proj-web-1  Paused\n");
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "unpause"), 0);
  assert_true(op_index("container.unpause", 0) >= 0);
  contains(err_text, " Container proj-web-1  Unpaused\n");
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "pause", "nosuch"), 1);
  contains(err_text, "no such service: nosuch");
  assert_int_equal(op_index("container.pause", 0), -1);
}

static void test_restart_rename_and_the_container_form(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "restart", "web", "-t", "2", "db"), 0);
  assert_string_equal(out_text, "web\ndb\n");
  assert_string_equal(fake.ops[0], "container.restart");
  assert_int_equal(cJSON_GetObjectItem(fake.params[0], "Timeout")->valueint, 2);
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Id")->valuestring, "db");
  assert_int_equal(RUN("wctr", "restart"), 1);
  contains(err_text, "\"restart\" requires at least 1 argument");
  /* One that wctrd refuses: the others still restart, exit 1. */
  reset(NULL);
  fake.fail_op = "container.restart";
  fake.fail_code = WCTR_ENOENT;
  fake.fail_text = "No such container: nope";
  assert_int_equal(RUN("wctr", "restart", "nope"), 1);
  contains(err_text, "No such container: nope");
  reset(NULL);
  assert_int_equal(RUN("wctr", "rename", "web", "site"), 0);
  assert_string_equal(out_text, "");
  assert_string_equal(fake.ops[0], "container.rename");
  char *sent = cJSON_PrintUnformatted(fake.params[0]);
  assert_string_equal(sent, "{\"Id\":\"web\",\"Name\":\"site\"}");
  cJSON_free(sent);
  assert_int_equal(RUN("wctr", "rename", "web"), 1);
  contains(err_text, "\"rename\" requires exactly 2 arguments");
  assert_int_equal(RUN("wctr", "rename", "web", ""), 1);
  contains(err_text, "Neither old nor new names may be empty");
  /* The management form: the same commands under "container". */
  reset(NULL);
  assert_int_equal(RUN("wctr", "container", "stop", "web"), 0);
  assert_string_equal(fake.ops[0], "container.stop");
  assert_string_equal(out_text, "web\n");
  assert_int_equal(RUN("wctr", "container", "rename", "web", "site"), 0);
  assert_string_equal(fake.ops[1], "container.rename");
  assert_int_equal(RUN("wctr", "container", "ls", "-a", "-q"), 0);
  assert_string_equal(fake.ops[2], "container.list");
  assert_int_equal(RUN("wctr", "container", "bogus"), 1);
  contains(err_text, "unknown command \"bogus\"");
  assert_int_equal(RUN("wctr", "container"), 1);
  contains(err_text, "Usage: wctr container COMMAND");
  /* container prune -f: the stopped ones (exited, created) removed, Docker's summary; the filter goes to
   * the list. */
  reset(NULL);
  fake.list_result = "[{\"Id\":\"aaaa\",\"State\":\"exited\"},{\"Id\":\"bbbb\",\"State\":\"running\"},"
                     "{\"Id\":\"cccc\",\"State\":\"created\"}]";
  assert_int_equal(RUN("wctr", "container", "prune", "-f", "--filter", "label=tier=web"), 0);
  assert_string_equal(out_text, "Deleted Containers:\naaaa\ncccc\n\nTotal reclaimed space: 0B\n");
  assert_string_equal(fake.ops[0], "container.list");
  char *listed = cJSON_PrintUnformatted(fake.params[0]);
  assert_string_equal(listed, "{\"All\":true,\"Filters\":{\"label\":[\"tier=web\"]}}");
  cJSON_free(listed);
  assert_int_equal(fake.count, 3);
  assert_string_equal(fake.ops[1], "container.remove");
  assert_string_equal(cJSON_GetObjectItem(fake.params[2], "Id")->valuestring, "cccc");
  /* Nothing stopped: only the total. */
  reset(NULL);
  fake.list_result = "[{\"Id\":\"bbbb\",\"State\":\"running\"}]";
  assert_int_equal(RUN("wctr", "container", "prune", "--force"), 0);
  assert_string_equal(out_text, "Total reclaimed space: 0B\n");
  assert_int_equal(RUN("wctr", "container", "prune", "-f", "--filter", "until=1h"), 125);
  contains(err_text, "container prune takes label=");
  assert_int_equal(RUN("wctr", "container", "prune", "-f", "extra"), 1);
}

static void test_top(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "top", "web"), 0);
  assert_string_equal(fake.ops[0], "container.top");
  assert_string_equal(out_text,
                      "Name                             PID                 CPU                 Private Working Set\n"
                      "CExecSvc.exe                     4312                00:00:00.062        1.413MB\n"
                      "a-rather-long-program-name.exe   77                  01:01:01.000        16.43MB\n");
  assert_int_equal(RUN("wctr", "top", "web", "aux"), 1);
  contains(err_text, "Windows does not support arguments to top");
  assert_int_equal(RUN("wctr", "top"), 1);
  contains(err_text, "\"top\" requires at least 1 argument");
  assert_int_equal(RUN("wctr", "container", "top", "web"), 0);
  contains(out_text, "CExecSvc.exe");
  reset(NULL);
  fake.fail_op = "container.top";
  fake.fail_code = WCTR_ESTATE;
  fake.fail_text = "Container abc is not running";
  assert_int_equal(RUN("wctr", "top", "web"), 1);
  contains(err_text, "is not running");
}

static void test_system_df_and_prune(void **state) {
  (void)state;
  fake.list_result = "[{\"Id\":\"aaaa\",\"State\":\"running\",\"Image\":\"app:latest\"},"
                     "{\"Id\":\"bbbb\",\"State\":\"exited\",\"Image\":\"other\"}]";
  fake.image_list = "[{\"Id\":\"sha256:11\",\"RepoTags\":[\"app:latest\"],\"Name\":\"app:latest\",\"Size\":1000000},"
                    "{\"Id\":\"sha256:22\",\"RepoTags\":[],\"Name\":\"sha256:22\",\"Size\":3000000}]";
  assert_int_equal(RUN("wctr", "system", "df"), 0);
  assert_string_equal(out_text,
                      "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\n"
                      "Images          2         1         4MB       3MB (75%)\n"
                      "Containers      2         1         0B        0B\n"
                      "Local Volumes   2         2         0B        0B\n"
                      "Build Cache     0         0         0B        0B\n");
  assert_string_equal(fake.ops[3], "volume.list");
  char *asked = cJSON_PrintUnformatted(fake.params[3]);
  assert_string_equal(asked, "{\"Filters\":{\"dangling\":[\"false\"]}}");
  cJSON_free(asked);
  assert_int_equal(RUN("wctr", "system", "df", "--format", "{{.Type}}={{.Active}}/{{.TotalCount}}"), 0);
  assert_string_equal(out_text, "Images=1/2\nContainers=1/2\nLocal Volumes=2/2\nBuild Cache=0/0\n");
  assert_int_equal(RUN("wctr", "system", "df", "--format", "{{.Nope}}"), 1);
  assert_int_equal(RUN("wctr", "system", "df", "extra"), 1);
  /* prune -f --volumes -a: the stopped container, the volumes, every unused image; then the total. */
  reset(NULL);
  fake.list_result = "[{\"Id\":\"aaaa\",\"State\":\"running\"},{\"Id\":\"bbbb\",\"State\":\"exited\"}]";
  assert_int_equal(RUN("wctr", "system", "prune", "-f", "-a", "--volumes"), 0);
  assert_string_equal(fake.ops[0], "container.list");
  assert_string_equal(fake.ops[1], "container.remove");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Id")->valuestring, "bbbb");
  assert_string_equal(fake.ops[2], "volume.prune");
  assert_string_equal(fake.ops[3], "image.prune");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[3], "All")));
  contains(out_text, "Deleted Containers:\nbbbb\n\n");
  contains(out_text, "Total reclaimed space: 0B\n");
  /* Without --volumes no volume is touched; a label filter leaves images alone (image.prune has none). */
  reset(NULL);
  fake.list_result = "[]";
  assert_int_equal(RUN("wctr", "system", "prune", "--force", "--filter", "label=a=b"), 0);
  assert_int_equal(fake.count, 1);
  assert_string_equal(out_text, "Total reclaimed space: 0B\n");
  assert_int_equal(RUN("wctr", "system", "prune", "-f", "--filter", "until=1h"), 125);
  assert_int_equal(RUN("wctr", "system", "bogus"), 1);
  contains(err_text, "unknown command \"bogus\"");
}

static void test_logs_and_wait(void **state) {
  (void)state;
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "line\n";
  fake.run_result = "{\"StatusCode\":4}";
  assert_int_equal(RUN("wctr", "logs", "--tail", "5", "-t", "web"), 0);
  assert_string_equal(out_text, "line\n");
  assert_string_equal(fake.ops[0], "container.logs");
  assert_int_equal(cJSON_GetObjectItem(fake.params[0], "Tail")->valueint, 5);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Timestamps")));
  fake.run_frames[0][0] = NULL;
  assert_int_equal(RUN("wctr", "wait", "web"), 0);
  assert_string_equal(out_text, "4\n");
  assert_int_equal(RUN("wctr", "logs", "a", "b"), 1);
  contains(err_text, "requires exactly 1 argument");
  /* --since/--until as docker/cli reads them (now: 2026-11-22T13:10:00Z), sent in the log's time form. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "logs", "--since", "1h30m", "--until", "2026-11-22T13:05:00.25+01:00", "web"), 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Since")->valuestring, "2026-11-22T11:40:00.000000000Z");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Until")->valuestring, "2026-11-22T12:05:00.250000000Z");
  assert_int_equal(RUN("wctr", "logs", "--since", "1763816400.5", "--until", "2026-11-22", "web"), 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Since")->valuestring, "2025-11-22T13:00:00.500000000Z");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Until")->valuestring, "2026-11-22T00:00:00.000000000Z");
  assert_int_equal(RUN("wctr", "logs", "--since", "0", "--until", "2026-11-22T13", "web"), 0);
  assert_null(cJSON_GetObjectItem(fake.params[2], "Since"));
  assert_string_equal(cJSON_GetObjectItem(fake.params[2], "Until")->valuestring, "2026-11-22T13:00:00.000000000Z");
  assert_int_equal(RUN("wctr", "logs", "--since", "yesterday", "web"), 1);
  contains(err_text, "invalid value for \"since\": failed to parse value as time or duration: \"yesterday\"");
  assert_int_equal(RUN("wctr", "logs", "--until", "2026-13-01", "web"), 1);
}

static void test_compose_config(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "compose", "config", "--format", "json"), 0);
  cJSON *model = cJSON_Parse(out_text);
  if (model == NULL) fail_msg("not JSON:\n%s\n%s", out_text, err_text);
  assert_string_equal(cJSON_GetObjectItem(model, "name")->valuestring, "proj");
  cJSON *web = cJSON_GetObjectItem(cJSON_GetObjectItem(model, "services"), "web");
  assert_non_null(web);
  assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(web, "resources"), "memory_bytes")->valuedouble, 524288000);
  cJSON_Delete(model);
  assert_int_equal(RUN("wctr", "compose", "config"), 0);
  contains(out_text, "name: proj");
  assert_int_equal(RUN("wctr", "compose", "-f", "missing.yml", "config"), 1);
  contains(err_text, "wctr compose:");
  assert_int_equal(RUN("wctr", "compose", "--help"), 0);
  contains(out_text, "Usage: wctr compose");
  contains(out_text, "down [-v]"); /* the full text, not the one-line summary */
  assert_int_equal(RUN("wctr", "credentialspec", "--help"), 0);
  contains(out_text, "add [--force] NAME FILE");
  assert_int_equal(fake.count, 0); /* nothing reached wctrd */
}


/* The network flags of run/create become Docker's create params; -p's mistakes are Docker's
 * messages and flag errors (125), sent nowhere. */
static void test_run_network_flags(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "create", "--network", "web", "-p", "8080:80", "-p", "53:53/udp", "-p", "9000",
                       "-P", "--expose", "7000-7001", "--dns", "10.0.0.2", "--dns", "10.0.0.3", "--dns-search",
                       "corp.example", "--mac-address", "02:42:ac:11:00:02", "nano", "cmd"), 0);
  int create = op_index("container.create", 0);
  const cJSON *p = fake.params[create];
  const cJSON *hc = cJSON_GetObjectItem(p, "HostConfig");
  assert_string_equal(cJSON_GetObjectItem(hc, "NetworkMode")->valuestring, "web");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(hc, "PublishAllPorts")));
  char *pb = cJSON_PrintUnformatted(cJSON_GetObjectItem(hc, "PortBindings"));
  assert_string_equal(pb, "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}],\"53/udp\":[{\"HostIp\":\"\",\"HostPort\":"
                          "\"53\"}],\"9000/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"\"}]}");
  free(pb);
  char *ep = cJSON_PrintUnformatted(cJSON_GetObjectItem(p, "ExposedPorts"));
  assert_string_equal(ep, "{\"80/tcp\":{},\"53/udp\":{},\"9000/tcp\":{},\"7000/tcp\":{},\"7001/tcp\":{}}");
  free(ep);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(hc, "Dns")), 2);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "DnsSearch"), 0)->valuestring, "corp.example");
  assert_string_equal(cJSON_GetObjectItem(p, "MacAddress")->valuestring, "02:42:ac:11:00:02");
  /* What wctrd reads back is what the spec holds (the params are spec_from_json's form). */
  spec_container s;
  wctr_errmsg e;
  cJSON *copy = cJSON_Duplicate(p, true);
  assert_int_equal(spec_from_json(copy, "params", 4, &s, NULL, &e), WCTR_OK);
  assert_int_equal(s.net.publish_count, 3);
  assert_int_equal(s.net.expose_count, 5);
  spec_free(&s);
  cJSON_Delete(copy);
  static const struct {
    const char *flag, *value, *message;
  } bad[] = {
      {"-p", "8080:", "no port specified: 8080:<empty>"},
      {"-p", "70000:80", "invalid hostPort: 70000"},
      {"-p", "8000-8010:80", "Windows does not support more than one host port in NAT settings"},
      {"-p", "127.0.0.1:80:80", "Windows does not support host IP addresses in NAT settings"},
      {"-p", "80/sctp", "invalid protocol sctp"},
      {"--expose", "80:80", "invalid port format for --expose: 80:80"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(NULL);
    assert_int_equal(RUN("wctr", "run", (char *)bad[i].flag, (char *)bad[i].value, "nano", "cmd"), 125);
    contains(err_text, bad[i].message);
    assert_int_equal(fake.count, 0);
  }
}

/* ps's PORTS and NETWORKS, port's listing and lookup. */
static void test_ports_and_port_command(void **state) {
  (void)state;
  fake.list_result = "[{\"Id\":\"abcdef0123456789\",\"Name\":\"web\",\"Image\":\"nano\",\"Command\":\"cmd\","
                     "\"Created\":\"2026-11-22T13:00:00.000Z\",\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:00:00.000Z\","
                     "\"Isolation\":\"process\",\"Labels\":{},\"NetworkMode\":\"default\",\"ExposedPorts\":{\"9000/tcp\":{}},"
                     "\"Network\":{\"Name\":\"nat\",\"IPAddress\":\"172.20.0.2\",\"Ports\":[{\"PrivatePort\":80,\"PublicPort\":"
                     "8080,\"Type\":\"tcp\",\"IP\":\"0.0.0.0\"}]}}]";
  assert_int_equal(RUN("wctr", "ps", "--format", "{{.Ports}}|{{.Networks}}"), 0);
  assert_string_equal(out_text, "9000/tcp, 0.0.0.0:8080->80/tcp|nat\n");
  reset(NULL);
  fake.inspect_result = "{\"Id\":\"abcdef0123456789\",\"Name\":\"web\",\"State\":{\"Running\":true},\"Config\":{},"
                        "\"HostConfig\":{\"Isolation\":\"process\"},\"Runtime\":{\"Network\":{\"Ports\":[{\"PrivatePort\":80,"
                        "\"PublicPort\":8080,\"Type\":\"tcp\",\"IP\":\"0.0.0.0\"},{\"PrivatePort\":53,\"PublicPort\":5353,"
                        "\"Type\":\"udp\",\"IP\":\"0.0.0.0\"}]}}}";
  assert_int_equal(RUN("wctr", "port", "web"), 0);
  assert_string_equal(out_text, "53/udp -> 0.0.0.0:5353\n80/tcp -> 0.0.0.0:8080\n");
  assert_int_equal(RUN("wctr", "port", "web", "80"), 0);
  assert_string_equal(out_text, "0.0.0.0:8080\n");
  assert_int_equal(RUN("wctr", "port", "web", "53/udp"), 0);
  assert_string_equal(out_text, "0.0.0.0:5353\n");
  assert_int_equal(RUN("wctr", "port", "web", "443"), 1);
  assert_string_equal(err_text, "Error: No public port '443/tcp' published for web\n");
  assert_int_equal(RUN("wctr", "port", "web", "http"), 1);
  contains(err_text, "invalid port \"http\"");
  assert_int_equal(RUN("wctr", "port"), 1);
}

static void test_network_commands(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "network", "create", "--subnet", "10.50.0.0/24", "--gateway", "10.50.0.254", "--label",
                       "tier=front", "-d", "nat", "web"), 0);
  assert_string_equal(out_text, "7d3e5f0a1b2c3d4e5f60718293a4b5c6d7e8f90112233445566778899aabbcc\n");
  const cJSON *p = fake.params[op_index("network.create", 0)];
  assert_string_equal(cJSON_GetObjectItem(p, "Name")->valuestring, "web");
  assert_string_equal(cJSON_GetObjectItem(p, "Subnet")->valuestring, "10.50.0.0/24");
  assert_string_equal(cJSON_GetObjectItem(p, "Gateway")->valuestring, "10.50.0.254");
  assert_string_equal(cJSON_GetObjectItem(p, "Driver")->valuestring, "nat");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "Labels"), "tier")->valuestring, "front");
  assert_int_equal(RUN("wctr", "network", "ls"), 0);
  assert_string_equal(out_text, "NETWORK ID     NAME      DRIVER    SCOPE\n"
                                "0a1b2c3d4e5f   nat       nat       local\n"
                                "111111111111   none      null      local\n"
                                "7d3e5f0a1b2c   web       nat       local\n");
  assert_int_equal(RUN("wctr", "network", "ls", "-q"), 0);
  assert_string_equal(out_text, "0a1b2c3d4e5f\n111111111111\n7d3e5f0a1b2c\n"); /* short ids, as docker's -q */
  assert_int_equal(RUN("wctr", "network", "ls", "-q", "--filter", "type=custom"), 0);
  p = fake.params[op_index("network.list", 0)];
  (void)p;
  assert_int_equal(RUN("wctr", "network", "ls", "--format", "{{.Name}} {{.Labels}}"), 0);
  contains(out_text, "web com.wctr.network.owner=wctr-1\n");
  assert_int_equal(RUN("wctr", "network", "inspect", "-f", "{{.Name}}/{{.Driver}}", "web"), 0);
  assert_string_equal(out_text, "web/nat\n");
  assert_int_equal(RUN("wctr", "network", "rm", "web", "other"), 0);
  assert_string_equal(out_text, "web\nother\n");
  fake.fail_op = "network.remove";
  fake.fail_text = "nat is a pre-defined network and cannot be removed";
  fake.fail_code = WCTR_EACCES;
  assert_int_equal(RUN("wctr", "network", "rm", "nat"), 1);
  assert_string_equal(err_text, "Error response from daemon: nat is a pre-defined network and cannot be removed\n");
  fake.fail_text = "network gone not found";
  fake.fail_code = WCTR_ENOENT;
  assert_int_equal(RUN("wctr", "network", "rm", "-f", "gone"), 0);
  assert_int_equal(RUN("wctr", "network", "prune"), 1);
  contains(err_text, "confirm with -f/--force");
  assert_int_equal(RUN("wctr", "network", "prune", "-f"), 0);
  assert_string_equal(out_text, "Deleted Networks:\nweb\nshop_default\n");
  assert_int_equal(RUN("wctr", "network", "create"), 1);
  assert_int_equal(RUN("wctr", "network", "frob"), 1);
}

static int op_index(const char *op, int from) {
  for (int i = from; i < fake.count; i++) {
    if (strcmp(fake.ops[i], op) == 0) return i;
  }
  return -1;
}

static void test_compose_up_waits_for_completed_dependencies(void **state) {
  (void)state;
  fake.run_result = "{\"StatusCode\":0}";
  assert_int_equal(RUN("wctr", "compose", "-f", "deps.yml", "up", "-d"), 0);
  /* migrate started, waited for (exit 0), then web started */
  int first = op_index("container.start", 0);
  int waited = op_index("container.wait", 0);
  int second = op_index("container.start", first + 1);
  assert_true(first >= 0 && waited > first && second > waited);
  assert_string_equal(cJSON_GetObjectItem(fake.params[first], "Id")->valuestring, "proj-migrate-1");
  assert_string_equal(cJSON_GetObjectItem(fake.params[waited], "Id")->valuestring, "proj-migrate-1");
  assert_string_equal(cJSON_GetObjectItem(fake.params[second], "Id")->valuestring, "proj-web-1");
  contains(err_text, " Container proj-migrate-1  Exited\n");
  /* a migration that fails: web is not started, and this up is undone */
  reset(NULL);
  fake.run_result = "{\"StatusCode\":3}";
  assert_int_equal(RUN("wctr", "compose", "-f", "deps.yml", "up", "-d"), 1);
  contains(err_text, "service \"migrate\" didn't complete successfully: exit 3");
  first = op_index("container.start", 0);
  assert_int_equal(op_index("container.start", first + 1), -1);
  assert_true(op_index("container.remove", 0) >= 0);
}

/* depends_on service_healthy: up waits until the dependency's State.Health says healthy; compose's messages
 * when it is unhealthy or has no probe (then nothing is created). */
static void test_compose_up_waits_for_healthy_dependencies(void **state) {
  (void)state;
  fake.inspect_result = "{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"healthy\"}}}";
  assert_int_equal(RUN("wctr", "compose", "-f", "healthy.yml", "up", "-d"), 0);
  int first = op_index("container.start", 0);
  int looked = op_index("container.inspect", first);
  int second = op_index("container.start", first + 1);
  assert_true(first >= 0 && looked > first && second > looked);
  assert_string_equal(cJSON_GetObjectItem(fake.params[looked], "Id")->valuestring, "proj-db-1");
  assert_string_equal(cJSON_GetObjectItem(fake.params[second], "Id")->valuestring, "proj-web-1");
  contains(err_text, " Container proj-db-1  Waiting\n Container proj-db-1  Healthy\n");
  /* The dependency's Healthcheck reached its create request. */
  const cJSON *hc = cJSON_GetObjectItem(fake.params[op_index("container.create", 0)], "Healthcheck");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "Test"), 1)->valuestring, "ping");
  reset(NULL);
  fake.inspect_result = "{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"unhealthy\"}}}";
  assert_int_equal(RUN("wctr", "compose", "-f", "healthy.yml", "up", "-d"), 1);
  contains(err_text, "dependency failed to start: container proj-db-1 is unhealthy");
  first = op_index("container.start", 0);
  assert_int_equal(op_index("container.start", first + 1), -1);
  assert_true(op_index("container.remove", 0) >= 0);
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "-f", "noprobe.yml", "up", "-d"), 1);
  contains(err_text, "container proj-db-1 has no healthcheck configured");
  assert_int_equal(op_index("container.create", 0), -1);
}

static void test_compose_up_down(void **state) {
  (void)state;
  fake.network_missing = true;
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up", "-d"), 0);
  /* web's network (compose's default, <project>_default) is looked up, the project's containers are looked up
   * by label, the network is created, then db (a dependency) is created before web. */
  assert_string_equal(fake.ops[0], "network.inspect");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Id")->valuestring, "proj_default");
  assert_string_equal(fake.ops[1], "container.list");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[1], "Filters"), "label"), 0)->valuestring,
                      "com.docker.compose.project=proj");
  assert_string_equal(fake.ops[2], "network.create");
  char *net = cJSON_PrintUnformatted(fake.params[2]);
  assert_string_equal(net, "{\"Name\":\"proj_default\",\"Driver\":\"nat\",\"Labels\":{\"com.docker.compose.network\":"
                           "\"default\",\"com.docker.compose.project\":\"proj\"}}");
  cJSON_free(net);
  assert_string_equal(fake.ops[3], "container.create");
  assert_string_equal(fake.ops[4], "container.create");
  assert_string_equal(fake.ops[5], "container.start");
  assert_string_equal(fake.ops[6], "container.start");
  assert_int_equal(fake.count, 7);
  contains(err_text, " Network proj_default  Created");
  /* Each request is the service's spec as spec_to_json writes it (every field, zeros included), plus Name. A
   * job container (db) joins no network: it has the host's. */
  char *db = cJSON_PrintUnformatted(fake.params[3]);
  assert_string_equal(db,
                      "{\"Name\":\"proj-db-1\",\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"exit 0\"],\"Env\":[],"
                      "\"OpenStdin\":false,\"StopTimeout\":2,\"Labels\":{\"com.docker.compose.container-number\":\"1\","
                      "\"com.docker.compose.project\":\"proj\",\"com.docker.compose.service\":\"db\"},"
                      "\"HostConfig\":{\"Isolation\":\"job\",\"Memory\":0,\"NanoCpus\":0,\"CpuCount\":0,\"CpuPercent\":0,"
                      "\"CpuShares\":0,\"PidsLimit\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"AutoRemove\":false,"
                      "\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},\"SecurityOpt\":[]}}");
  cJSON_free(db);
  char *web = cJSON_PrintUnformatted(fake.params[4]);
  assert_string_equal(web,
                      "{\"Name\":\"proj-web-1\",\"Image\":\"C:\\\\sandbox\",\"Cmd\":[\"cmd\",\"/S\",\"/C\",\"echo hi\"],"
                      "\"Env\":[],\"OpenStdin\":false,\"StopTimeout\":30,\"Labels\":{"
                      "\"com.docker.compose.container-number\":\"1\",\"com.docker.compose.project\":\"proj\","
                      "\"com.docker.compose.service\":\"web\",\"tier\":\"front\"},"
                      "\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":0,\"NanoCpus\":0,\"CpuCount\":0,\"CpuPercent\":0,"
                      "\"CpuShares\":0,\"PidsLimit\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"AutoRemove\":false,"
                      "\"Binds\":[\"C:\\\\data:C:\\\\data:ro\"],"
                      "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},\"SecurityOpt\":[],"
                      "\"NetworkMode\":\"proj_default\"}}");
  cJSON_free(web);
  assert_string_equal(cJSON_GetObjectItem(fake.params[5], "Id")->valuestring, "proj-db-1");
  assert_string_equal(cJSON_GetObjectItem(fake.params[6], "Id")->valuestring, "proj-web-1");
  contains(err_text, " Container proj-db-1  Created");
  contains(err_text, " Container proj-web-1  Started");

  /* down: reverse order, stop what runs, remove everything. */
  reset(NULL);
  fake.list_result = "[{\"Name\":\"proj-web-1\",\"State\":\"running\"},{\"Name\":\"proj-db-1\",\"State\":\"exited\"},"
                     "{\"Name\":\"proj-old-1\",\"State\":\"exited\"}]";
  /* The networks labelled for the project go after the containers; others are left alone. */
  fake.network_list_result = "[{\"Name\":\"proj_default\",\"Labels\":{\"com.docker.compose.project\":\"proj\"}},"
                             "{\"Name\":\"nat\",\"Labels\":{}},"
                             "{\"Name\":\"other_default\",\"Labels\":{\"com.docker.compose.project\":\"other\"}}]";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "down"), 0);
  const char *want[][2] = {{"container.list", NULL},          {"container.remove", "proj-old-1"},
                           {"container.stop", "proj-web-1"},  {"container.remove", "proj-web-1"},
                           {"container.remove", "proj-db-1"}, {"network.list", NULL},
                           {"network.remove", "proj_default"}};
  assert_int_equal(fake.count, 7);
  for (int i = 0; i < 7; i++) {
    assert_string_equal(fake.ops[i], want[i][0]);
    if (want[i][1] != NULL) assert_string_equal(cJSON_GetObjectItem(fake.params[i], "Id")->valuestring, want[i][1]);
  }
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[5], "Filters"), "label"), 0)->valuestring,
                      "com.docker.compose.project=proj");
  contains(err_text, " Network proj_default  Removed");

  /* up again with db already there and a network of that name that is not the project's: it is used, with
   * compose's warning; only web is created; db (exited) is started again. */
  reset(NULL);
  fake.list_result = "[{\"Name\":\"proj-db-1\",\"State\":\"exited\"}]";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up", "-d"), 0);
  assert_int_equal(fake.count, 5);
  assert_int_equal(op_index("network.create", 0), -1);
  contains(err_text, "WARNING: a network with name proj_default exists but was not created for project \"proj\"");
  assert_string_equal(cJSON_GetObjectItem(fake.params[2], "Name")->valuestring, "proj-web-1");
  assert_string_equal(cJSON_GetObjectItem(fake.params[3], "Id")->valuestring, "proj-db-1");
}


/* compose and named volumes: up creates the project's volumes (scoped, labelled) and checks the external
 * one; down -v removes the containers' anonymous volumes and the project's named ones, never an external. */
static void test_compose_volumes(void **state) {
  (void)state;
  fake.list_result = "[]";
  assert_int_equal(RUN("wctr", "compose", "-f", "vols.yml", "up", "-d"), 0);
  int at = op_index("volume.create", 0);
  assert_true(at >= 0);
  char *sent = cJSON_PrintUnformatted(fake.params[at]);
  assert_string_equal(sent, "{\"Name\":\"shop_data\",\"Labels\":{\"tier\":\"hot\",\"com.docker.compose.project\":\"shop\","
                            "\"com.docker.compose.volume\":\"data\"}}");
  cJSON_free(sent);
  assert_int_equal(op_index("volume.create", at + 1), -1);
  int ins = op_index("volume.inspect", 0);
  assert_true(ins >= 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[ins], "Name")->valuestring, "shared");
  int cr = op_index("container.create", 0);
  assert_true(cr > at && cr > ins);
  sent = cJSON_PrintUnformatted(cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[cr], "HostConfig"), "Binds"));
  assert_string_equal(sent, "[\"shop_data:C:\\\\data\",\"C:\\\\anon\",\"shared:C:\\\\s:ro\"]");
  cJSON_free(sent);
  contains(err_text, " Volume \"shop_data\"  Created");

  /* An external volume that does not exist stops up before any container. */
  reset(NULL);
  fake.list_result = "[]";
  fake.fail_op = "volume.inspect";
  fake.fail_text = "get shared: no such volume";
  fake.fail_code = WCTR_ENOENT;
  assert_int_equal(RUN("wctr", "compose", "-f", "vols.yml", "up", "-d"), 1);
  contains(err_text, "external volume \"shared\" not found");
  assert_int_equal(op_index("container.create", 0), -1);

  reset(NULL);
  fake.list_result = "[{\"Name\":\"shop-web-1\",\"State\":\"exited\"}]";
  assert_int_equal(RUN("wctr", "compose", "-f", "vols.yml", "down", "-v"), 0);
  int rm = op_index("container.remove", 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[rm], "RemoveVolumes")));
  int vr = op_index("volume.remove", 0);
  assert_true(vr > rm);
  assert_string_equal(cJSON_GetObjectItem(fake.params[vr], "Name")->valuestring, "shop_data");
  assert_int_equal(op_index("volume.remove", vr + 1), -1); /* never the external one */
  reset(NULL);
  fake.list_result = "[{\"Name\":\"shop-web-1\",\"State\":\"exited\"}]";
  assert_int_equal(RUN("wctr", "compose", "-f", "vols.yml", "down"), 0);
  assert_int_equal(op_index("volume.remove", 0), -1);
  assert_null(cJSON_GetObjectItem(fake.params[op_index("container.remove", 0)], "RemoveVolumes"));
}

static void test_compose_up_rolls_back(void **state) {
  (void)state;
  fake.fail_op = "container.start";
  fake.fail_text = "the default isolation (process) needs the Host Compute Service";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up", "-d"), 1);
  contains(err_text, "needs the Host Compute Service");
  contains(err_text, "undoing this up");
  /* Both containers were created, the first start failed: both are removed, newest first, forced. */
  int first = op_index("container.remove", 0);
  assert_true(first > 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[first], "Id")->valuestring, "proj-web-1");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[first], "Force")));
  int second = op_index("container.remove", first + 1);
  assert_string_equal(cJSON_GetObjectItem(fake.params[second], "Id")->valuestring, "proj-db-1");
  assert_int_equal(op_index("container.remove", second + 1), -1);

  /* A create that fails part-way removes the one created before it. */
  reset(NULL);
  fake.fail_op = "container.create";
  fake.fail_text = "params: unknown key \"Binds\"";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up", "-d"), 1);
  contains(err_text, "unknown key \"Binds\"");
  assert_int_equal(op_index("container.start", 0), -1);

  /* The network this up created is removed with its containers. */
  reset(NULL);
  fake.network_missing = true;
  fake.fail_op = "container.start";
  fake.fail_text = "--network proj_default: the Host Network Service is not available";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up", "-d"), 1);
  int removed = op_index("network.remove", 0);
  assert_true(removed > op_index("container.remove", 0));
  assert_string_equal(cJSON_GetObjectItem(fake.params[removed], "Id")->valuestring, "proj_default");
  contains(err_text, " Network proj_default  Removed (this up failed)");

  /* A network that cannot be created: nothing else is. */
  reset(NULL);
  fake.network_missing = true;
  fake.fail_op = "network.create";
  fake.fail_text = "Pool overlaps with other one on this address space (network nat, 172.20.0.0/16)";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up", "-d"), 1);
  contains(err_text, "Pool overlaps");
  assert_int_equal(op_index("container.create", 0), -1);
}

static void test_compose_up_credential_specs(void **state) {
  (void)state;
  fake.check_result = "{\"Source\":\"file://web.json\"}";
  assert_int_equal(RUN("wctr", "compose", "-f", "gmsa.yml", "up", "-d"), 0);
  /* Every spec is checked by wctrd before anything is listed or created. */
  assert_string_equal(fake.ops[0], "credentialspec.check");
  assert_string_equal(fake.ops[1], "credentialspec.check");
  assert_string_equal(fake.ops[2], "network.inspect");
  assert_string_equal(fake.ops[3], "container.list");
  const char *raw = cJSON_GetObjectItem(fake.params[0], "Value")->valuestring;
  assert_true(strncmp(raw, "raw://{", 7) == 0);
  contains(raw, "\"MachineAccountName\":\"webapp01\"");
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Value")->valuestring, "file://web.json");
  int create = op_index("container.create", 0);
  cJSON *so = cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[create], "HostConfig"), "SecurityOpt");
  assert_true(strncmp(cJSON_GetArrayItem(so, 0)->valuestring, "credentialspec=raw://{", 22) == 0);
  /* The secret never reaches the user's screen. */
  assert_null(strstr(err_text, "S3cret"));
  assert_null(strstr(out_text, "S3cret"));

  /* A broken spec: wctrd's answer, and nothing created. */
  reset(NULL);
  fake.fail_op = "credentialspec.check";
  fake.fail_text = "file://web.json: credential spec: DomainJoinConfig.Sid \"S-1-5-32-544\" is not a domain SID";
  assert_int_equal(RUN("wctr", "compose", "-f", "gmsa.yml", "up", "-d"), 1);
  contains(err_text, "wctr compose: services.app.credential_spec: file://web.json: credential spec: "
                     "DomainJoinConfig.Sid \"S-1-5-32-544\" is not a domain SID");
  assert_int_equal(op_index("container.create", 0), -1);
  assert_int_equal(op_index("container.list", 0), -1);

  /* A gMSA on a job service is refused before wctrd is asked anything. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "-f", "jobgmsa.yml", "up", "-d"), 1);
  contains(err_text, "services.app.credential_spec: a credential spec (gMSA) needs process or hyperv isolation");
  assert_int_equal(fake.count, 0);

  /* A mount wctrd's create would refuse stops up before anything is listed or created (the first
   * service used to be created, then removed again). */
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "-f", "badmount.yml", "up", "-d"), 1);
  contains(err_text, "wctr compose: services.app.volumes[0]: -v \"C:\\proj\\data:/data\": the container path must "
                     "be absolute with a drive letter (C:\\dir)");
  assert_int_equal(fake.count, 0);
  /* config shows the file as it is (docker-compose 1.29.2's config accepts it too). */
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "-f", "badmount.yml", "config"), 0);
  assert_int_equal(fake.count, 0);
}

/* A project's networks: an external one must exist before anything is created; a missing project network
 * is created with its subnet and labels before the containers; ports travel as PortBindings. */
static void test_compose_networks(void **state) {
  (void)state;
  fake.network_missing = true;
  assert_int_equal(RUN("wctr", "compose", "-f", "net.yml", "up", "-d"), 1);
  contains(err_text, "wctr compose: network corp declared as external, but could not be found\n");
  assert_int_equal(op_index("network.create", 0), -1);
  assert_int_equal(op_index("container.create", 0), -1);

  /* corp exists, proj_front does not. */
  reset(NULL);
  fake.fail_op = "network.inspect";
  fake.fail_id = "proj_front";
  fake.fail_code = WCTR_ENOENT;
  fake.fail_text = "network proj_front not found";
  assert_int_equal(RUN("wctr", "compose", "-f", "net.yml", "up", "-d"), 0);
  int create = op_index("network.create", 0);
  assert_true(create > 0);
  char *net = cJSON_PrintUnformatted(fake.params[create]);
  assert_string_equal(net, "{\"Name\":\"proj_front\",\"Driver\":\"nat\",\"Subnet\":\"172.30.0.0/16\",\"Labels\":{"
                           "\"tier\":\"front\",\"com.docker.compose.network\":\"front\",\"com.docker.compose.project\":"
                           "\"proj\"}}");
  cJSON_free(net);
  int api = op_index("container.create", 0);
  int web = op_index("container.create", api + 1);
  assert_true(api > create);
  const cJSON *hc = cJSON_GetObjectItem(fake.params[api], "HostConfig");
  assert_string_equal(cJSON_GetObjectItem(hc, "NetworkMode")->valuestring, "corp");
  hc = cJSON_GetObjectItem(fake.params[web], "HostConfig");
  assert_string_equal(cJSON_GetObjectItem(hc, "NetworkMode")->valuestring, "proj_front");
  char *bindings = cJSON_PrintUnformatted(cJSON_GetObjectItem(hc, "PortBindings"));
  assert_string_equal(bindings, "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}");
  cJSON_free(bindings);
  char *exposed = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[web], "ExposedPorts"));
  assert_string_equal(exposed, "{\"80/tcp\":{}}");
  cJSON_free(exposed);
}

/* up without -d follows every container's output; Ctrl+C stops them (newest first) and up returns. */
static void test_compose_up_attached_interrupt(void **state) {
  (void)state;
  fake.block_logs = true;
  fake.interrupt = true;
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "line\n";
  fake.run_result = "{}";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up"), 0);
  contains(err_text, "Attaching to 2 containers");
  contains(err_text, "Gracefully stopping");
  assert_true(fake.asked);
  contains(out_text, "proj-db-1  | line\n");
  contains(out_text, "proj-web-1 | line\n");
  int web = -1, db = -1;
  for (int i = 0; i < fake.count; i++) {
    if (strcmp(fake.ops[i], "container.stop") != 0) continue;
    const char *id = cJSON_GetObjectItem(fake.params[i], "Id")->valuestring;
    if (strcmp(id, "proj-web-1") == 0) web = i;
    if (strcmp(id, "proj-db-1") == 0) db = i;
  }
  assert_true(web >= 0 && db > web); /* web (the dependent) is stopped first */
  /* Without an interrupt the output is followed until the containers exit, and nothing is stopped. */
  reset(NULL);
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "bye\n";
  fake.run_result = "{}";
  assert_int_equal(RUN("wctr", "compose", "-f", "two.yml", "up"), 0);
  contains(out_text, "proj-web-1 | bye\n");
  assert_int_equal(op_index("container.stop", 0), -1);
}

static void test_compose_ps_logs(void **state) {
  (void)state;
  fake.list_result = "[{\"Name\":\"proj-web-1\",\"State\":\"created\",\"Isolation\":\"job\","
                     "\"Labels\":{\"com.docker.compose.service\":\"web\"}}]";
  assert_int_equal(RUN("wctr", "compose", "ps"), 0);
  contains(out_text, "proj-web-1");
  contains(out_text, "Created");
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "one\ntwo\n";
  fake.run_result = "{}";
  assert_int_equal(RUN("wctr", "compose", "logs", "web"), 0);
  contains(out_text, "proj-web-1 | one\nproj-web-1 | two\n");
  /* logs -f follows until the containers exit; it never takes Ctrl+C over, so an interrupt ends wctr as usual
   * (here: the fake's interrupt is not even asked for, and nothing is stopped). */
  fake.interrupt = true;
  assert_int_equal(RUN("wctr", "compose", "logs", "-f"), 0);
  assert_false(fake.asked);
  assert_int_equal(op_index("container.stop", 0), -1);
  fake.interrupt = false;
  assert_int_equal(RUN("wctr", "compose", "logs", "nosuch"), 1);
  contains(err_text, "no such service: nosuch");
}

static void test_compose_ps_quiet_restart_exec(void **state) {
  (void)state;
  fake.list_result = "[{\"Id\":\"0123456789abcdef\",\"Name\":\"proj-web-1\",\"State\":\"running\","
                     "\"Labels\":{\"com.docker.compose.service\":\"web\"}}]";
  assert_int_equal(RUN("wctr", "compose", "ps", "-q"), 0);
  assert_string_equal(out_text, "0123456789abcdef\n");
  /* restart: each service's container, -t as the timeout, compose's progress on stderr */
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "restart", "-t", "3", "web"), 0);
  int at = op_index("container.restart", 0);
  assert_true(at >= 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[at], "Id")->valuestring, "proj-web-1");
  assert_int_equal(cJSON_GetObjectItem(fake.params[at], "Timeout")->valueint, 3);
  contains(err_text, " Container proj-web-1  Restarting\n Container proj-web-1  Started\n");
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "restart"), 0);
  assert_true(op_index("container.restart", 0) >= 0);
  assert_null(cJSON_GetObjectItem(fake.params[op_index("container.restart", 0)], "Timeout"));
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "restart", "nosuch"), 1);
  contains(err_text, "no such service: nosuch");
  assert_int_equal(op_index("container.restart", 0), -1);
  assert_int_equal(RUN("wctr", "compose", "restart", "-t", "soon"), 125);
  /* one that wctrd refuses: reported, not said to be started, exit 1 */
  reset(NULL);
  fake.fail_op = "container.restart";
  fake.fail_code = WCTR_ENOENT;
  fake.fail_text = "No such container: proj-web-1";
  assert_int_equal(RUN("wctr", "compose", "restart", "web"), 1);
  contains(err_text, " Container proj-web-1  Restarting\n");
  contains(err_text, "No such container: proj-web-1");
  assert_null(strstr(err_text, "Started"));
  /* exec: wctr exec in the service's container, interactive, its flags passed on */
  reset(NULL);
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "inside\n";
  assert_int_equal(RUN("wctr", "compose", "exec", "-T", "-eX=1", "-u", "ContainerUser", "--index", "1", "web", "cmd", "/c",
                       "echo", "-d"),
                   7);
  at = op_index("exec.create", 0);
  assert_true(at >= 0);
  char *sent = cJSON_PrintUnformatted(fake.params[at]);
  assert_string_equal(sent, "{\"User\":\"ContainerUser\",\"Id\":\"proj-web-1\",\"Cmd\":[\"cmd\",\"/c\",\"echo\",\"-d\"],"
                            "\"Env\":[\"X=1\"],\"AttachStdin\":true}");
  cJSON_free(sent);
  assert_string_equal(out_text, "inside\n");
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "exec", "--index", "2", "web", "cmd"), 1);
  contains(err_text, "each service has one container");
  assert_int_equal(RUN("wctr", "compose", "exec", "nosuch", "cmd"), 1);
  contains(err_text, "no such service: nosuch");
  assert_int_equal(RUN("wctr", "compose", "exec", "web"), 1);
  contains(err_text, "requires at least 2 arguments");
  assert_int_equal(RUN("wctr", "compose", "exec", "--bogus", "web", "cmd"), 125);
  assert_int_equal(op_index("exec.create", 0), -1);
  /* -i=false keeps stdin closed (the last value wins: -i=false -i opens it); a --help after SERVICE is the
   * command's, -h before it the usage. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "exec", "-T", "-i=false", "web", "cmd", "--help"), 7);
  at = op_index("exec.create", 0);
  assert_true(at >= 0);
  sent = cJSON_PrintUnformatted(fake.params[at]);
  assert_string_equal(sent, "{\"Id\":\"proj-web-1\",\"Cmd\":[\"cmd\",\"--help\"]}");
  cJSON_free(sent);
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "exec", "-T", "--interactive=false", "-i", "web", "cmd"), 7);
  at = op_index("exec.create", 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[at], "AttachStdin")));
  reset(NULL);
  assert_int_equal(RUN("wctr", "compose", "exec", "-h", "web", "cmd"), 0);
  contains(out_text, "Usage: wctr compose");
  assert_int_equal(op_index("exec.create", 0), -1);
}

static void test_label_restart_security_flags(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "create", "-l", "a=1", "--label", "b", "--restart", "on-failure:2", "--security-opt",
                       "credentialspec=file://web.json", "--isolation", "process", "img", "cmd"),
                   0);
  char *sent = cJSON_PrintUnformatted(fake.params[0]);
  contains(sent, "\"Labels\":{\"a\":\"1\",\"b\":\"\"}");
  contains(sent, "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":2}");
  contains(sent, "\"SecurityOpt\":[\"credentialspec=file://web.json\"]");
  cJSON_free(sent);
  assert_int_equal(RUN("wctr", "create", "--restart", "always:3", "img", "cmd"), 125);
  contains(err_text, "restart policy 'always' takes no maximum retry count");
  assert_int_equal(RUN("wctr", "ps", "--filter", "label=com.docker.compose.project=proj"), 0);
  int list = op_index("container.list", 0);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[list], "Filters"), "label"), 0)->valuestring,
                      "com.docker.compose.project=proj");
}

/* Every resource of spec/spec.h's table is a flag of `create` and of `update`, sent under its wire name in
 * the table's unit: the table is the only list of them the CLI has. */
static void test_every_resource_flag(void **state) {
  (void)state;
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    const spec_resource_field *f = &spec_resource_fields[i];
    /* A value each unit reads differently: 2 bytes of "2k", 2.5 CPUs, the whole number 7. */
    const char *value = f->unit == SPEC_UNIT_BYTES ? "2k" : f->unit == SPEC_UNIT_NANO_CPUS ? "2.5" : "7";
    double want = f->unit == SPEC_UNIT_BYTES ? 2048 : f->unit == SPEC_UNIT_NANO_CPUS ? 2500000000.0 : 7;
    reset(NULL);
    char *create[] = {"wctr", "create", (char *)f->flag, (char *)value, "img", "cmd"};
    if (run_cli(6, create) != 0) fail_msg("create %s %s: %s", f->flag, value, err_text);
    const cJSON *got = cJSON_GetObjectItem(cJSON_GetObjectItem(fake.params[0], "HostConfig"), f->wire);
    if (!cJSON_IsNumber(got) || got->valuedouble != want) fail_msg("create %s %s: HostConfig.%s wrong", f->flag, value, f->wire);
    reset(NULL);
    char *update[] = {"wctr", "update", (char *)f->flag, (char *)value, "web"};
    if (run_cli(5, update) != 0) fail_msg("update %s %s: %s", f->flag, value, err_text);
    assert_string_equal(fake.ops[0], "container.update");
    got = cJSON_GetObjectItem(fake.params[0], f->wire);
    if (!cJSON_IsNumber(got) || got->valuedouble != want) fail_msg("update %s %s: %s wrong", f->flag, value, f->wire);
    /* Only that field, and the container's id. */
    assert_int_equal(cJSON_GetArraySize(fake.params[0]), 2);
  }
  /* docker run's one-letter aliases. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "create", "-m", "1g", "-c", "512", "img", "cmd"), 0);
  const cJSON *hc = cJSON_GetObjectItem(fake.params[0], "HostConfig");
  assert_true(cJSON_GetObjectItem(hc, spec_resource_by_flag("--memory")->wire)->valuedouble == 1073741824.0);
  assert_true(cJSON_GetObjectItem(hc, spec_resource_by_flag("--cpu-shares")->wire)->valuedouble == 512.0);
  /* The whole-number flags keep their ranges; the unit parsers name the flag. */
  assert_int_equal(RUN("wctr", "run", "--io-maxiops", "-1", "host", "cmd"), 125);
  contains(err_text, "invalid value \"-1\" for --io-maxiops: must be between 0 and 2147483647");
  assert_int_equal(RUN("wctr", "run", "--io-maxbandwidth", "lots", "host", "cmd"), 125);
  contains(err_text, "--io-maxbandwidth");
  assert_int_equal(RUN("wctr", "update", "--pids-limit", "x", "web"), 125);
  contains(err_text, "invalid value \"x\" for --pids-limit: not a whole number");
  reset(NULL);
}

static void test_credentialspec_command(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "credentialspec", "validate", "spec.json"), 0);
  contains(out_text, "spec.json: a valid credential spec");
  assert_int_equal(fake.count, 0); /* validate needs no service */
  assert_int_equal(RUN("wctr", "credentialspec", "validate", "app.env"), 1);
  contains(err_text, "credential spec:");
  assert_int_equal(RUN("wctr", "credentialspec", "add", "web.json", "spec.json"), 0);
  assert_string_equal(fake.ops[0], "credentialspec.add");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Name")->valuestring, "web.json");
  contains(cJSON_GetObjectItem(fake.params[0], "Spec")->valuestring, "\"PluginInput\"");
  assert_int_equal(RUN("wctr", "credentialspec", "rm", "web.json"), 0);
  assert_string_equal(fake.ops[1], "credentialspec.remove");
  assert_int_equal(RUN("wctr", "credentialspec", "frob"), 1);
  contains(err_text, "\"frob\" is not a credentialspec command");
  assert_int_equal(RUN("wctr", "credentialspec", "add", "only-name"), 1);
  contains(err_text, "requires exactly 2 arguments");
}

/* Docker's flags anywhere among the operands; "--" ends them; a repeated single-value flag keeps its last
 * value; run and create stop at IMAGE: what follows is the container's command. */
static void test_flags_anywhere_and_last_value_wins(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "stop", "web", "-t", "1"), 0);
  assert_int_equal(fake.count, 1);
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Id")->valuestring, "web");
  assert_int_equal(cJSON_GetObjectItem(fake.params[0], "Timeout")->valueint, 1);
  assert_string_equal(out_text, "web\n");
  assert_int_equal(RUN("wctr", "stop", "-t", "5", "a", "-t", "2", "b"), 0);
  assert_int_equal(cJSON_GetObjectItem(fake.params[1], "Timeout")->valueint, 2);
  assert_int_equal(cJSON_GetObjectItem(fake.params[2], "Timeout")->valueint, 2);
  assert_string_equal(cJSON_GetObjectItem(fake.params[2], "Id")->valuestring, "b");
  reset(NULL);
  assert_int_equal(RUN("wctr", "rm", "web", "-f"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "Force")));
  fake.run_result = "{}";
  assert_int_equal(RUN("wctr", "logs", "web", "--tail", "2", "-t"), 0);
  assert_int_equal(cJSON_GetObjectItem(fake.params[1], "Tail")->valueint, 2);
  assert_int_equal(RUN("wctr", "update", "web", "-m", "1g", "--memory", "2g"), 0);
  assert_true(cJSON_GetObjectItem(fake.params[2], "Memory")->valuedouble == 2147483648.0);
  assert_int_equal(cJSON_GetArraySize(fake.params[2]), 2);
  /* After "--" everything is an operand. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "rm", "--", "-x"), 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Id")->valuestring, "-x");
  /* run: the last --name, -m, --isolation win (no "duplicate key" from wctrd); what follows IMAGE is the
   * command's, flags and --help included. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "create", "--name", "a", "--name", "b", "-m", "1g", "-m", "2g", "--isolation", "process",
                       "--isolation=job", "-w", "C:\\x", "-w", "C:\\y", "host", "cmd", "-d", "--help", "-m", "5"),
                   0);
  char *sent = cJSON_PrintUnformatted(fake.params[0]);
  assert_string_equal(sent, "{\"HostConfig\":{\"Memory\":2147483648,\"Isolation\":\"job\"},\"Env\":[],\"Name\":\"b\","
                            "\"WorkingDir\":\"C:\\\\y\",\"Image\":\"host\",\"Cmd\":[\"cmd\",\"-d\",\"--help\",\"-m\",\"5\"]}");
  cJSON_free(sent);
  assert_string_equal(out_text, "abcdef0123456789\n");
}

/* docker/cli's exit codes for the container commands. */
static void test_exit_codes_as_docker(void **state) {
  (void)state;
  /* rm -f of a container that does not exist: nothing said, exit 0; without -f: the error, exit 1. */
  fake.fail_op = "container.remove";
  fake.fail_code = WCTR_ENOENT;
  fake.fail_text = "No such container: ghost";
  fake.fail_id = "ghost";
  assert_int_equal(RUN("wctr", "rm", "-f", "ghost", "real"), 0);
  assert_string_equal(out_text, "real\n");
  assert_string_equal(err_text, "");
  assert_int_equal(RUN("wctr", "rm", "ghost"), 1);
  contains(err_text, "No such container: ghost");
  /* Another failure of rm -f still counts. */
  fake.fail_code = WCTR_ESTATE;
  fake.fail_text = "container ghost is starting";
  assert_int_equal(RUN("wctr", "rm", "-f", "ghost"), 1);
  /* start: each container tried, the failed ones named at the end, exit 1. */
  reset(NULL);
  fake.fail_op = "container.start";
  fake.fail_text = "No such container: b";
  fake.fail_id = "b";
  assert_int_equal(RUN("wctr", "start", "a", "b", "c"), 1);
  assert_string_equal(out_text, "a\nc\n");
  contains(err_text, "wctr: No such container: b\n");
  contains(err_text, "failed to start containers: b");
  /* kill of a container that is not running is an error, and no kill is sent. */
  reset(NULL);
  fake.inspect_result = "{\"Id\":\"abc123\",\"State\":{\"Status\":\"exited\"}}";
  assert_int_equal(RUN("wctr", "kill", "web"), 1);
  contains(err_text, "Cannot kill container: web: Container abc123 is not running");
  assert_int_equal(op_index("container.kill", 0), -1);
  fake.inspect_result = "{\"Id\":\"abc123\",\"State\":{\"Status\":\"running\"}}";
  assert_int_equal(RUN("wctr", "kill", "web"), 0);
  int k = op_index("container.kill", 0);
  assert_true(k > 0);
  assert_null(cJSON_GetObjectItem(fake.params[k], "Signal")); /* none: wctrd's KILL */
  assert_string_equal(out_text, "web\n");
  /* -s/--signal goes to wctrd as written (dockerd reads it, not docker/cli); wctrd's refusal is the exit 1. */
  assert_int_equal(RUN("wctr", "kill", "-s", "SIGTERM", "web"), 0);
  k = op_index("container.kill", k + 1);
  assert_true(k > 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[k], "Signal")->valuestring, "SIGTERM");
  assert_int_equal(RUN("wctr", "kill", "--signal=15", "web"), 0);
  k = op_index("container.kill", k + 1);
  assert_true(k > 0);
  assert_string_equal(cJSON_GetObjectItem(fake.params[k], "Signal")->valuestring, "15");
  fake.fail_op = "container.kill";
  fake.fail_text = "Invalid signal: HUP";
  assert_int_equal(RUN("wctr", "kill", "-s", "HUP", "web"), 1);
  contains(err_text, "Invalid signal: HUP");
  fake.fail_op = NULL;
  /* wait prints the exit codes and exits 0 (docker wait); a container it cannot wait for makes it 1. */
  reset(NULL);
  fake.run_result = "{\"StatusCode\":3}";
  assert_int_equal(RUN("wctr", "wait", "a", "b"), 0);
  assert_string_equal(out_text, "3\n3\n");
  fake.run_err = WCTR_ENOENT;
  fake.run_err_text = "No such container: a";
  assert_int_equal(RUN("wctr", "wait", "a"), 1);
  /* start -a: the container's own exit code. */
  reset(NULL);
  assert_int_equal(RUN("wctr", "start", "-a", "web"), 7);
  assert_string_equal(fake.ops[0], "container.run");
  /* A wrong number of operands is 1, a flag error 125, wctrd's refusal of run/create 125, of others 1. */
  assert_int_equal(RUN("wctr", "stop"), 1);
  contains(err_text, "\"stop\" requires at least 1 argument");
  assert_int_equal(RUN("wctr", "stop", "--bogus", "web"), 125);
  assert_int_equal(RUN("wctr", "logs"), 1);
  reset(NULL);
  fake.fail_op = "container.create";
  fake.fail_text = "params: \"Image\" is required";
  assert_int_equal(RUN("wctr", "create", "x", "cmd"), 125);
  assert_int_equal(RUN("wctr", "run", "x", "cmd"), 125);
  fake.fail_op = "container.stop";
  assert_int_equal(RUN("wctr", "stop", "web"), 1);
}

/* --env-file as docker/cli's kvfile: a UTF-8 BOM is dropped, a key with a space or tab is refused, trailing
 * spaces belong to the value; -m beyond what the protocol carries names the flag and the largest size. */
static void test_env_file_and_huge_sizes(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "create", "--env-file", "bom.env", "host", "cmd"), 0);
  char *env = cJSON_PrintUnformatted(cJSON_GetObjectItem(fake.params[0], "Env"));
  assert_string_equal(env, "[\"FIRST=1\",\"SECOND=two \"]");
  cJSON_free(env);
  int before = fake.count;
  assert_int_equal(RUN("wctr", "create", "--env-file", "spaces.env", "host", "cmd"), 125);
  contains(err_text, "--env-file spaces.env line 2: variable 'BAD KEY' contains whitespaces");
  assert_int_equal(RUN("wctr", "create", "--env-file", "tab.env", "host", "cmd"), 125);
  contains(err_text, "contains whitespaces");
  assert_int_equal(RUN("wctr", "create", "--env-file", "noname.env", "host", "cmd"), 125);
  contains(err_text, "no variable name on line '=value'");
  assert_int_equal(RUN("wctr", "create", "--env-file", "latin1.env", "host", "cmd"), 125);
  contains(err_text, "invalid utf8 bytes at line 1");
  assert_int_equal(RUN("wctr", "run", "-m", "9223372036854775807", "host", "cmd"), 125);
  contains(err_text, "invalid value \"9223372036854775807\" for --memory: too large (the largest size wctr accepts is "
                     "9007199254740991 bytes");
  assert_int_equal(RUN("wctr", "update", "--io-maxbandwidth", "9007199254740992", "web"), 125);
  contains(err_text, "--io-maxbandwidth");
  assert_int_equal(fake.count, before);
  assert_int_equal(RUN("wctr", "create", "-m", "9007199254740991", "host", "cmd"), 0);
}

static const char record_json[] =
    "{\"Id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"Name\":\"web\","
    "\"Created\":\"2026-11-22T13:09:00.120Z\",\"State\":{\"Status\":\"exited\",\"Running\":false,\"Pid\":0,"
    "\"ExitCode\":3,\"OOMKilled\":false,\"StartedAt\":\"2026-11-22T13:09:01.000Z\",\"FinishedAt\":\"\",\"Error\":\"\","
    "\"ManuallyStopped\":false},\"Config\":{\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"exit 3\"],\"Env\":[],"
    "\"OpenStdin\":false,\"StopTimeout\":30,\"Labels\":{\"b\":\"2\",\"a\":\"<1>\"}},\"HostConfig\":{\"Isolation\":\"job\","
    "\"Memory\":524288000,\"NanoCpus\":0,\"CpuCount\":0,\"CpuPercent\":0,\"CpuShares\":0,\"PidsLimit\":0,"
    "\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"AutoRemove\":false,\"RestartPolicy\":{\"Name\":\"no\","
    "\"MaximumRetryCount\":0},\"SecurityOpt\":[]},\"EffectiveLimits\":{\"JobMemoryLimit\":524288000},"
    "\"RestartCount\":0,\"Identity\":\"NT AUTHORITY\\\\LocalService\"}";

/* inspect: Docker's layout (a JSON array, 4-space indent, "Key": value, < > & escaped as the daemon does)
 * and Docker's keys; -f templates; errors after what was found; a name that is no container is tried as
 * an image. */
static void test_inspect_layout_and_format(void **state) {
  (void)state;
  fake.inspect_result = record_json;
  assert_int_equal(RUN("wctr", "inspect", "web"), 0);
  starts_with(out_text, "[\n    {\n        \"Id\": \"0123456789abcdef");
  contains(out_text, "\n        \"Name\": \"/web\",\n");
  contains(out_text, "\"FinishedAt\": \"0001-01-01T00:00:00Z\"");
  contains(out_text, "\"StartedAt\": \"2026-11-22T13:09:01Z\"");
  contains(out_text, "\"Created\": \"2026-11-22T13:09:00.12Z\"");
  contains(out_text, "\"Path\": \"cmd\",\n        \"Args\": [\n            \"/c\",\n            \"exit 3\"\n        ],");
  contains(out_text, "\"Labels\": {\n                \"a\": \"\\u003c1\\u003e\",\n                \"b\": \"2\"\n            }");
  contains(out_text, "\"Env\": [],");
  contains(out_text, "\"Mounts\": [],");
  contains(out_text, "\"EffectiveLimits\": {\n            \"JobMemoryLimit\": 524288000\n        },");
  assert_true(strcmp(out_text + out_len - 3, "}\n]\n") == 0 || strcmp(out_text + out_len - 4, "}\n]\n") == 0);
  cJSON *arr = cJSON_Parse(out_text);
  assert_non_null(arr);
  const cJSON *c = cJSON_GetArrayItem(arr, 0);
  const char *order[] = {"Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath", "HostsPath",
                         "LogPath", "Name", "RestartCount", "Driver", "Platform", "MountLabel", "ProcessLabel",
                         "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver", "Mounts", "Config", "NetworkSettings",
                         "EffectiveLimits", "Identity"};
  const cJSON *k = c->child;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++, k = k->next) {
    if (k == NULL || strcmp(k->string, order[i]) != 0) fail_msg("key %zu: want %s, got %s", i, order[i], k != NULL ? k->string : "(end)");
  }
  cJSON_Delete(arr);
  assert_int_equal(RUN("wctr", "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Name}} {{.HostConfig.Memory}} {{.Config.Labels.a}} {{.ID}}", "web"), 0);
  assert_string_equal(out_text, "exited 3 /web 524288000 <1> 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
  assert_int_equal(RUN("wctr", "inspect", "--format", "{{.Config.Labels.nope}}|{{index .Config.Labels \"nope\"}}|{{json .Config.Labels}}", "web"), 0);
  assert_string_equal(out_text, "<no value>||{\"a\":\"<1>\",\"b\":\"2\"}\n");
  assert_int_equal(RUN("wctr", "inspect", "--format", "json", "web"), 0);
  starts_with(out_text, "[{\"Id\":");
  /* An unknown field: exit 1, nothing printed back. A template that does not parse: 64. */
  assert_int_equal(RUN("wctr", "inspect", "-f", "{{.Nope}}", "web"), 1);
  contains(err_text, "map has no entry for key \"Nope\"");
  assert_string_equal(out_text, "\n");
  int before = fake.count;
  assert_int_equal(RUN("wctr", "inspect", "-f", "{{.State", "web"), 64);
  assert_int_equal(fake.count, before);
  /* A missing name: what was found is printed, then the error, exit 1. */
  reset(NULL);
  fake.inspect_result = record_json;
  fake.fail_op = "container.inspect";
  fake.fail_code = WCTR_ENOENT;
  fake.fail_text = "No such container: ghost";
  fake.fail_id = "ghost";
  fake.no_images = true;
  assert_int_equal(RUN("wctr", "inspect", "-f", "{{.Name}}", "web", "ghost"), 1);
  assert_string_equal(out_text, "/web\n");
  contains(err_text, "No such object: ghost");
  assert_int_equal(op_index("image.inspect", 0), 2); /* tried as an image */
  /* --type image: images only, in Docker's image shape. */
  fake.no_images = false;
  fake.image_result = "{\"Name\":\"nano:latest\",\"Layers\":[{\"Id\":\"l1\",\"Path\":\"C:\\\\l\\\\base\"}],"
                      "\"OsVersion\":\"10.0.20348.1\",\"Cmd\":[\"cmd\"],\"Created\":\"2026-11-22T12:00:00.000Z\"}";
  assert_int_equal(RUN("wctr", "inspect", "--type", "image", "-f", "{{index .RepoTags 0}} {{.Os}} {{.OsVersion}} {{.GraphDriver.Data.dir}}", "nano"), 0);
  assert_string_equal(out_text, "nano:latest windows 10.0.20348.1 C:\\l\\base\n");
  assert_int_equal(RUN("wctr", "inspect", "--type", "volume", "x"), 125);
  assert_int_equal(RUN("wctr", "image", "inspect", "nano"), 0);
  starts_with(out_text, "[\n    {\n        \"Id\": \"\",\n        \"RepoTags\": [\n            \"nano:latest\"\n");
}


/* wctr volume: Docker's commands, tables, flags and exit codes; --mount and rm -v as the -v form. */
static const cJSON *last_params(const char *op) {
  for (int i = fake.count - 1; i >= 0; i--) {
    if (strcmp(fake.ops[i], op) == 0) return fake.params[i];
  }
  fail_msg("no %s request", op);
  return NULL;
}

static void test_volume_commands(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "volume", "create", "--label", "tier=data", "-d", "local", "db"), 0);
  assert_string_equal(out_text, "db\n");
  char *sent = cJSON_PrintUnformatted(last_params("volume.create"));
  assert_string_equal(sent, "{\"Name\":\"db\",\"Driver\":\"local\",\"Labels\":{\"tier\":\"data\"}}");
  cJSON_free(sent);
  assert_int_equal(RUN("wctr", "volume", "create", "--name", "a", "b"), 125);
  contains(err_text, "conflicting options: either specify --name or provide positional arg, not both");
  assert_int_equal(RUN("wctr", "volume", "ls"), 0);
  assert_string_equal(out_text, "DRIVER    VOLUME NAME\nlocal     db\nlocal     a-much-longer-volume-name\n");
  assert_int_equal(RUN("wctr", "volume", "ls", "-q", "--filter", "dangling=true", "-f", "label=tier"), 0);
  assert_string_equal(out_text, "db\na-much-longer-volume-name\n");
  sent = cJSON_PrintUnformatted(last_params("volume.list"));
  assert_string_equal(sent, "{\"Filters\":{\"dangling\":[\"true\"],\"label\":[\"tier\"]}}");
  cJSON_free(sent);
  assert_int_equal(RUN("wctr", "volume", "ls", "--format", "{{.Name}}|{{.Labels}}|{{.Scope}}"), 0);
  assert_string_equal(out_text, "db|tier=data|local\na-much-longer-volume-name||local\n");
  assert_int_equal(RUN("wctr", "volume", "ls", "--format", "{{.Nope}}"), 1);
  contains(err_text, "can't evaluate field Nope");
  assert_int_equal(RUN("wctr", "volume", "ls", "--filter", "colour=red"), 125);
  contains(err_text, "invalid filter 'colour'");
  assert_int_equal(RUN("wctr", "volume", "inspect", "-f", "{{.Mountpoint}} {{.Driver}}", "db"), 0);
  assert_string_equal(out_text, "C:\\v local\n");
  assert_int_equal(RUN("wctr", "volume", "inspect", "db"), 0);
  starts_with(out_text, "[\n    {\n        \"CreatedAt\": \"2026-12-07T12:00:00Z\",\n        \"Driver\": \"local\",\n");
  fake.fail_op = "volume.inspect";
  fake.fail_text = "get nope: no such volume";
  fake.fail_code = WCTR_ENOENT;
  assert_int_equal(RUN("wctr", "volume", "inspect", "nope"), 1);
  contains(err_text, "Error: No such volume: nope");
  fake.fail_op = "volume.remove";
  fake.fail_text = "remove db: volume is in use - [abc]";
  fake.fail_code = WCTR_ESTATE;
  assert_int_equal(RUN("wctr", "volume", "rm", "db"), 1);
  contains(err_text, "remove db: volume is in use - [abc]");
  fake.fail_op = NULL;
  assert_int_equal(RUN("wctr", "volume", "rm", "-f", "db", "x"), 0);
  assert_string_equal(out_text, "db\nx\n");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(last_params("volume.remove"), "Force")));
  int before = fake.count;
  assert_int_equal(RUN("wctr", "volume", "prune"), 1);
  contains(err_text, "removing volumes needs -f/--force");
  assert_int_equal(fake.count, before);
  assert_int_equal(RUN("wctr", "volume", "prune", "-f", "-a", "--filter", "label=x"), 0);
  sent = cJSON_PrintUnformatted(last_params("volume.prune"));
  assert_string_equal(sent, "{\"All\":true,\"Filters\":{\"label\":[\"x\"]}}");
  cJSON_free(sent);
  assert_int_equal(RUN("wctr", "volume", "frob"), 1);
  assert_int_equal(RUN("wctr", "volume"), 1);

  /* --mount becomes the -v form, which wctrd checks once for both flags. */
  assert_int_equal(RUN("wctr", "create", "--mount", "type=volume,source=db,target=C:\\data,readonly", "--mount",
                       "type=bind,src=C:\\host,dst=C:\\h", "--mount", "target=C:\\anon", "-v", "logs:C:\\logs",
                       "img", "cmd"), 0);
  const cJSON *binds = cJSON_GetObjectItem(cJSON_GetObjectItem(last_params("container.create"), "HostConfig"), "Binds");
  sent = cJSON_PrintUnformatted(binds);
  assert_string_equal(sent, "[\"db:C:\\\\data:ro\",\"C:\\\\host:C:\\\\h\",\"C:\\\\anon\",\"logs:C:\\\\logs\"]");
  cJSON_free(sent);
  static const struct {
    const char *mount;
    const char *message;
  } bad[] = {
      {"type=volume,source=db", "invalid mount config for type \"volume\": field Target must not be empty"},
      {"type=bind,target=C:\\x", "invalid mount config for type \"bind\": field Source must not be empty"},
      {"type=tmpfs,target=C:\\x", "invalid mount config for type \"tmpfs\""},
      {"type=bind,source=rel,target=C:\\x", "mount path must be absolute"},
      {"type=volume,source=C:\\x,target=C:\\y", "a host folder is type=bind"},
      {"colour=red,target=C:\\x", "unexpected key 'colour'"},
      {"bind-propagation=rshared,target=C:\\x", "bind-propagation is not supported on Windows"},
      {"target", "invalid field 'target' must be a key=value pair"},
      {"readonly=maybe,target=C:\\x", "invalid value for readonly: maybe"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char mount[200];
    snprintf(mount, sizeof mount, "%s", bad[i].mount);
    before = fake.count;
    assert_int_equal(RUN("wctr", "create", "--mount", mount, "img", "cmd"), 125);
    contains(err_text, bad[i].message);
    assert_int_equal(fake.count, before);
  }
  assert_int_equal(RUN("wctr", "rm", "-v", "web"), 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(last_params("container.remove"), "RemoveVolumes")));
  assert_int_equal(RUN("wctr", "rm", "web"), 0);
  assert_null(cJSON_GetObjectItem(last_params("container.remove"), "RemoveVolumes"));
}

/* secret ls/inspect and credentialspec inspect in Docker's forms. */
static void test_secret_and_credspec_forms(void **state) {
  (void)state;
  fake.list_result = "[]";
  /* wctr's own object: Docker's layout, without the daemon's \u003c escapes. */
  assert_int_equal(RUN("wctr", "credentialspec", "inspect", "web.json"), 0);
  assert_string_equal(out_text, "[\n    {\n        \"Name\": \"web.json\",\n        \"Spec\": {\n            \"PluginInput\": "
                                "\"<redacted>\"\n        }\n    }\n]\n");
  assert_int_equal(RUN("wctr", "credentialspec", "inspect", "-f", "{{.Spec.PluginInput}}", "web.json"), 0);
  assert_string_equal(out_text, "<redacted>\n");
  assert_int_equal(RUN("wctr", "secret", "inspect", "db", "-f", "{{.Spec.Name}} {{.ID}}"), 0);
  assert_string_equal(out_text, " \n"); /* the fake's secret has no name or id: empty strings, no error */
  assert_int_equal(RUN("wctr", "secret", "inspect", "-f", "{{.Nope}}", "db"), 1);
  contains(err_text, "map has no entry for key \"Nope\"");
  assert_int_equal(RUN("wctr", "secret", "ls", "--format", "{{.Nope}}"), 1);
  contains(err_text, "can't evaluate field Nope in type *secret.secretContext");
}

/* Container output is written as the bytes came, in logs and in compose logs too (CR LF stays CR LF). */
static void test_output_bytes_are_the_containers(void **state) {
  (void)state;
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "a\r\nb\n";
  fake.run_frames[1][0] = "stderr";
  fake.run_frames[1][1] = "e\r\n";
  fake.run_result = "{}";
  assert_int_equal(RUN("wctr", "logs", "web"), 0);
  assert_int_equal(out_len, 5);
  assert_memory_equal(out_text, "a\r\nb\n", 5);
  contains(err_text, "e\r\n");
  fake.list_result = "[{\"Name\":\"proj-web-1\",\"State\":\"exited\",\"Labels\":{\"com.docker.compose.service\":\"web\"}}]";
  assert_int_equal(RUN("wctr", "compose", "logs"), 0);
  assert_string_equal(out_text, "proj-web-1 | a\r\nproj-web-1 | b\nproj-web-1 | e\r\n");
}

/* The other lists: stats, secret ls, credentialspec ls, compose ps, and events, each with Docker's fields. */
static void test_stats_events_and_lists_format(void **state) {
  (void)state;
  /* docker/cli's columns for a Windows daemon */
  assert_int_equal(RUN("wctr", "stats", "--no-stream", "web"), 0);
  assert_string_equal(out_text, "CONTAINER ID   NAME      CPU %     PRIV WORKING SET   NET I/O   BLOCK I/O\n"
                                "abcdef012345   web       12.35%    1.5MiB             --        1.5kB / 0B\n");
  assert_int_equal(RUN("wctr", "stats", "--no-stream", "--format",
                       "table {{.ID}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.PIDs}}", "web"), 0);
  assert_string_equal(out_text, "CONTAINER ID   MEM USAGE / LIMIT   MEM %     PIDS\n"
                                "abcdef012345   1.5MiB / 100MiB     1.50%     3\n");
  assert_int_equal(RUN("wctr", "stats", "--no-stream", "--format", "{{.Container}} {{.Name}} {{.CPUPerc}} {{.MemPerc}} {{.NetIO}} {{.PIDs}}", "web"), 0);
  assert_string_equal(out_text, "web web 12.35% 1.50% -- 3\n");
  assert_int_equal(RUN("wctr", "stats", "--no-stream", "--format", "json", "web"), 0);
  starts_with(out_text, "{\"BlockIO\":\"1.5kB / 0B\",\"CPUPerc\":\"12.35%\",\"Container\":\"web\",\"ID\":\"abcdef012345\"");
  /* Streaming: a table each second until Ctrl+C, which ends it with 0; plain successive tables when stdout is
   * not a console (here Ctrl+C comes at the 12th ask: the first table, ten asks over the second's wait, the second
   * table, and the ask after it). */
  reset(NULL);
  fake.interrupt_at = 12;
  assert_int_equal(RUN("wctr", "stats", "web", "db"), 0);
  const char *table = "CONTAINER ID   NAME      CPU %     PRIV WORKING SET   NET I/O   BLOCK I/O\n"
                      "abcdef012345   web       12.35%    1.5MiB             --        1.5kB / 0B\n"
                      "abcdef012345   web       12.35%    1.5MiB             --        1.5kB / 0B\n";
  char twice[1024];
  snprintf(twice, sizeof twice, "%s%s", table, table);
  assert_string_equal(out_text, twice);
  assert_int_equal(op_index("container.stats", 3), 3); /* two names, two tables */
  assert_int_equal(op_index("container.stats", 4), -1);
  /* On a console: the screen cleared and the table drawn at the top, each time. */
  reset(NULL);
  fake.tty = true;
  fake.interrupt_at = 1;
  assert_int_equal(RUN("wctr", "stats", "web"), 0);
  starts_with(out_text, "\x1b[2J\x1b[HCONTAINER ID");
  /* Without names: the running containers (container.list), every one with -a. */
  reset(NULL);
  fake.interrupt_at = 1;
  assert_int_equal(RUN("wctr", "stats", "-a"), 0);
  assert_string_equal(fake.ops[0], "container.list");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[0], "All")));
  /* secret ls: Docker's secret context (ID, Name, CreatedAt "... ago") with wctr's Size. */
  assert_int_equal(RUN("wctr", "secret", "ls"), 0);
  assert_string_equal(out_text, "ID             NAME          SIZE      CREATED\n"
                                "f00dfeed0123   db-password   12        10 minutes ago\n");
  assert_int_equal(RUN("wctr", "secret", "ls", "-q"), 0);
  assert_string_equal(out_text, "f00dfeed0123456789abcdef\n");
  assert_int_equal(RUN("wctr", "secret", "ls", "--format", "{{.Name}}={{.Size}} {{.Driver}}|{{.UpdatedAt}}"), 0);
  assert_string_equal(out_text, "db-password=12 |10 minutes ago\n");
  assert_int_equal(RUN("wctr", "secret", "ls", "--format", "{{.Value}}"), 1);
  contains(err_text, "can't evaluate field Value");
  /* credentialspec ls: a table sized to its content. */
  assert_int_equal(RUN("wctr", "credentialspec", "ls"), 0);
  assert_string_equal(out_text, "NAME            VALID     ACCOUNTS\n"
                                "webapp01.json   yes       contoso.com\\webapp01\n"
                                "b.json          no        (bad)\n");
  /* compose ps: the same. */
  fake.list_result = "[{\"Name\":\"proj-web-1\",\"State\":\"running\",\"StartedAt\":\"2026-11-22T13:09:58.000Z\","
                     "\"Isolation\":\"job\",\"Labels\":{\"com.docker.compose.service\":\"web\"}}]";
  assert_int_equal(RUN("wctr", "compose", "ps"), 0);
  assert_string_equal(out_text, "NAME         SERVICE   ISOLATION   STATUS\n"
                                "proj-web-1   web       job         Up 2 seconds\n");
  /* events: docker's line, or a template over Docker's event. */
  fake.run_frames[0][0] = "event";
  fake.run_frames[0][1] = "{\"Time\":\"2026-11-22T13:10:00.5Z\",\"Type\":\"container\",\"Action\":\"die\",\"Id\":\"abc\","
                          "\"Name\":\"web\",\"ExitCode\":3}";
  fake.run_result = "{}";
  assert_int_equal(RUN("wctr", "events"), 0);
  assert_string_equal(out_text, "2026-11-22T13:10:00.500000000Z container die abc (exitCode=3, name=web)\n");
  assert_int_equal(RUN("wctr", "events", "--format", "{{.Action}} {{.Actor.Attributes.name}} {{.ID}} {{.Status}} {{.TimeNano}}"), 0);
  assert_string_equal(out_text, "die web abc die 1795353000500000000\n");
  assert_int_equal(RUN("wctr", "events", "--format", "json"), 0);
  starts_with(out_text, "{\"status\":\"die\",\"id\":\"abc\",\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{");
  /* docker events checks the template before it connects: 64 either way. */
  int before = fake.count;
  assert_int_equal(RUN("wctr", "events", "--format", "{{.Nope}}"), 64);
  contains(err_text, "Error parsing format:");
  assert_int_equal(RUN("wctr", "events", "--format", "{{.Action"), 64);
  assert_int_equal(fake.count, before);
}

/* wctr cp (cli/cp.c): docker cp's argument forms, the refused flags (125) and '-' as a tar on stdout/stdin. */
static void test_cp_forms_and_refusals(void **state) {
  (void)state;
  assert_int_equal(RUN("wctr", "cp", "-a", "web:C:\\x", "out"), CLI_EXIT_FAILED);
  contains(err_text, "no uid or gid");
  assert_int_equal(RUN("wctr", "cp", "-L", "web:C:\\x", "out"), CLI_EXIT_FAILED);
  contains(err_text, "never follows links");
  /* The last value wins (pflag): a flag set false again, or false alone, is docker's default and accepted;
   * one set true last is refused. */
  assert_int_equal(RUN("wctr", "cp", "-a", "-a=false", "--follow-link", "-L=0", "C:\\a", ".\\b"), 1);
  contains(err_text, "must specify at least one container source");
  assert_int_equal(RUN("wctr", "cp", "--archive=false", "-L=false", "-a=f", "--archive=t", "web:C:\\x", "out"),
                   CLI_EXIT_FAILED);
  contains(err_text, "wctr cp: -a/--archive is refused");
  assert_int_equal(fake.count, 0);
  assert_int_equal(RUN("wctr", "cp", "C:\\a", ".\\b"), 1);
  contains(err_text, "must specify at least one container source");
  assert_int_equal(RUN("wctr", "cp", "web:C:\\a", "db:C:\\b"), 1);
  contains(err_text, "copying between containers is not supported");
  assert_int_equal(RUN("wctr", "cp", "web:C:\\a"), 1);
  assert_int_equal(fake.count, 0);
  /* To stdout: the archive as it comes, nothing else asked. */
  fake.run_frames[0][0] = "stdout";
  fake.run_frames[0][1] = "TAR-BYTES";
  fake.run_result = "{\"Size\":9}";
  assert_int_equal(RUN("wctr", "container", "cp", "web:C:\\logs\\app.log", "-"), 0);
  assert_int_equal(fake.count, 1);
  assert_string_equal(fake.ops[0], "container.archive.get");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Id")->valuestring, "web");
  assert_string_equal(cJSON_GetObjectItem(fake.params[0], "Path")->valuestring, "C:\\logs\\app.log");
  assert_string_equal(out_text, "TAR-BYTES");
  /* From stdin: forwarded as it is into the folder named. */
  fake.run_frames[0][0] = NULL;
  fake.run_result = "{\"Entries\":1}";
  assert_int_equal(RUN("wctr", "cp", "-", "web:C:\\in"), 0);
  assert_string_equal(fake.ops[1], "container.archive.put");
  assert_true(fake.forwarded_stdin);
  assert_string_equal(cJSON_GetObjectItem(fake.params[1], "Path")->valuestring, "C:\\in");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(fake.params[1], "NoOverwriteDirNonDir")));
  /* A missing local source is the client's failure, before wctrd is asked. */
  assert_int_equal(RUN("wctr", "cp", ".\\no-such-file-here", "web:C:\\in"), 1);
  contains(err_text, "no-such-file-here");
  assert_int_equal(fake.count, 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(test_run_sends_every_flag, reset),
      cmocka_unit_test_setup(test_label_file, reset),
      cmocka_unit_test_setup(test_healthcheck_flags, reset),
      cmocka_unit_test_setup(test_run_attached_prints_output_and_returns_the_exit_code, reset),
      cmocka_unit_test_setup(test_run_attached_writes_binary_output_exactly, reset),
      cmocka_unit_test_setup(test_run_detached_prints_the_id, reset),
      cmocka_unit_test_setup(test_run_interactive, reset),
      cmocka_unit_test_setup(test_compose_config, reset),
      cmocka_unit_test_setup(test_start_failures_map_to_docker_codes, reset),
      cmocka_unit_test_setup(test_exec_sends_flags_and_returns_the_exit_code, reset),
      cmocka_unit_test_setup(test_exec_detach_and_refusals, reset),
      cmocka_unit_test_setup(test_run_usage_errors_send_nothing, reset),
      cmocka_unit_test_setup(test_boolean_flags_take_go_values, reset),
      cmocka_unit_test_setup(test_run_secrets, reset),
      cmocka_unit_test_setup(test_secret_and_check_commands, reset),
      cmocka_unit_test_setup(test_dry_run_prints_the_calls, reset),
      cmocka_unit_test_setup(test_failed_start_leaves_nothing, reset),
      cmocka_unit_test_setup(test_image_commands, reset),
      cmocka_unit_test_setup(test_images_table, reset),
      cmocka_unit_test_setup(test_pull_plain_output, reset),
      cmocka_unit_test_setup(test_run_pulls_a_missing_image, reset),
      cmocka_unit_test_setup(test_rmi_tag_login, reset),
      cmocka_unit_test_setup(test_status_text, reset),
      cmocka_unit_test_setup(test_ps_table_quiet_filter_format, reset),
      cmocka_unit_test_setup(test_ps_long_values, reset),
      cmocka_unit_test_setup(test_ps_format_fields, reset),
      cmocka_unit_test_setup(test_ref_commands, reset),
      cmocka_unit_test_setup(test_restart_rename_and_the_container_form, reset),
      cmocka_unit_test_setup(test_pause_and_unpause, reset),
      cmocka_unit_test_setup(test_run_entrypoint, reset),
      cmocka_unit_test_setup(test_log_options, reset),
      cmocka_unit_test_setup(test_system_df_and_prune, reset),
      cmocka_unit_test_setup(test_top, reset),
      cmocka_unit_test_setup(test_logs_and_wait, reset),
      cmocka_unit_test_setup(test_compose_up_down, reset),
      cmocka_unit_test_setup(test_compose_up_rolls_back, reset),
      cmocka_unit_test_setup(test_compose_up_credential_specs, reset),
      cmocka_unit_test_setup(test_compose_up_attached_interrupt, reset),
      cmocka_unit_test_setup(test_compose_ps_logs, reset),
      cmocka_unit_test_setup(test_compose_up_waits_for_completed_dependencies, reset),
      cmocka_unit_test_setup(test_compose_up_waits_for_healthy_dependencies, reset),
      cmocka_unit_test_setup(test_ps_size, reset),
      cmocka_unit_test_setup(test_run_sig_proxy, reset),
      cmocka_unit_test_setup(test_attach, reset),
      cmocka_unit_test_setup(test_detach_keys, reset),
      cmocka_unit_test_setup(test_compose_pull, reset),
      cmocka_unit_test_setup(test_ps_last_latest_no_trunc, reset),
      cmocka_unit_test_setup(test_compose_ps_quiet_restart_exec, reset),
      cmocka_unit_test_setup(test_label_restart_security_flags, reset),
      cmocka_unit_test_setup(test_every_resource_flag, reset),
      cmocka_unit_test_setup(test_credentialspec_command, reset),
      cmocka_unit_test_setup(test_flags_anywhere_and_last_value_wins, reset),
      cmocka_unit_test_setup(test_exit_codes_as_docker, reset),
      cmocka_unit_test_setup(test_env_file_and_huge_sizes, reset),
      cmocka_unit_test_setup(test_inspect_layout_and_format, reset),
      cmocka_unit_test_setup(test_secret_and_credspec_forms, reset),
      cmocka_unit_test_setup(test_volume_commands, reset),
      cmocka_unit_test_setup(test_compose_volumes, reset),
      cmocka_unit_test_setup(test_output_bytes_are_the_containers, reset),
      cmocka_unit_test_setup(test_stats_events_and_lists_format, reset),
      cmocka_unit_test_setup(test_run_network_flags, reset),
      cmocka_unit_test_setup(test_ports_and_port_command, reset),
      cmocka_unit_test_setup(test_network_commands, reset),
      cmocka_unit_test_setup(test_compose_networks, reset),
      cmocka_unit_test_setup(test_cp_forms_and_refusals, reset),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  reset(NULL);
  return rc;
}
