/* docker/docker.h: wctr's records in Docker's shapes - keys, their order, values, zero values, wctr's own
 * keys after Docker's - and Docker's times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker/docker.h"
#include "testutil.h"

static const char record[] =
    "{\"Id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"Name\":\"web\","
    "\"Created\":\"2026-11-22T13:09:00.120Z\",\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,"
    "\"ExitCode\":0,\"OOMKilled\":false,\"StartedAt\":\"2026-11-22T13:09:01.000Z\",\"FinishedAt\":\"\",\"Error\":\"\","
    "\"ManuallyStopped\":false},\"Config\":{\"Image\":\"nano:latest\",\"Cmd\":[\"cmd\",\"/c\",\"echo hi\"],"
    "\"Env\":[\"A=1\"],\"WorkingDir\":\"C:\\\\app\",\"User\":\"ContainerUser\",\"OpenStdin\":true,\"StopTimeout\":10,"
    "\"Secrets\":[{\"Name\":\"db\"}],\"Labels\":{\"z\":\"1\",\"a\":\"2\"}},\"HostConfig\":{\"Isolation\":\"process\","
    "\"Memory\":524288000,\"NanoCpus\":1500000000,\"CpuCount\":0,\"CpuPercent\":0,\"CpuShares\":0,\"PidsLimit\":0,"
    "\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"AutoRemove\":true,\"Binds\":[\"C:\\\\data:C:\\\\data:ro\","
    "\"c:/logs:C:\\\\logs:rw\",\"\\\\\\\\.\\\\pipe\\\\p:\\\\\\\\.\\\\pipe\\\\p\"],\"RestartPolicy\":{\"Name\":\"always\","
    "\"MaximumRetryCount\":0},\"SecurityOpt\":[\"credentialspec=file://web.json\"]},\"EffectiveLimits\":{},"
    "\"RestartCount\":2,\"Identity\":\"User Manager\\\\ContainerUser\",\"Runtime\":{\"ComputeSystem\":\"x\"},"
    "\"AppliedLimits\":{\"CpuRate\":1500}}";

static const cJSON *get(const cJSON *o, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = o;
  for (char *k = strtok(buf, "."); k != NULL && cur != NULL; k = strtok(NULL, ".")) cur = cJSON_GetObjectItemCaseSensitive(cur, k);
  if (cur == NULL) fail_msg("no %s", path);
  return cur;
}

static void str_is(const cJSON *o, const char *path, const char *want) {
  const cJSON *v = get(o, path);
  if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0) {
    fail_msg("%s: got %s, want \"%s\"", path, cJSON_IsString(v) ? v->valuestring : "(not a string)", want);
  }
}

static void num_is(const cJSON *o, const char *path, double want) {
  const cJSON *v = get(o, path);
  if (!cJSON_IsNumber(v) || v->valuedouble != want) fail_msg("%s: not %g", path, want);
}

static void keys_are(const cJSON *o, const char *const *keys, size_t n) {
  const cJSON *k = o->child;
  for (size_t i = 0; i < n; i++, k = k->next) {
    if (k == NULL || strcmp(k->string, keys[i]) != 0) fail_msg("key %zu: want %s, got %s", i, keys[i], k != NULL ? k->string : "(end)");
  }
  if (k != NULL) fail_msg("an extra key: %s", k->string);
}

/* Path and Args: the Entrypoint's words, then Cmd's; Docker's reset [""] adds none. */
static void test_container_path_with_entrypoint(void **state) {
  (void)state;
  cJSON *in = cJSON_Parse("{\"Id\":\"x\",\"Name\":\"e\",\"Config\":{\"Entrypoint\":[\"C:\\\\run.exe\",\"-v\"],\"Cmd\":[\"a\"]},"
                          "\"HostConfig\":{},\"State\":{}}");
  cJSON *c = docker_container_inspect(in);
  str_is(c, "Path", "C:\\run.exe");
  char *args = cJSON_PrintUnformatted(get(c, "Args"));
  assert_string_equal(args, "[\"-v\",\"a\"]");
  cJSON_free(args);
  cJSON_Delete(c);
  cJSON_Delete(in);
  in = cJSON_Parse("{\"Id\":\"x\",\"Name\":\"e\",\"Config\":{\"Entrypoint\":[\"\"],\"Cmd\":[\"b\",\"c\"]},\"HostConfig\":{},"
                   "\"State\":{}}");
  c = docker_container_inspect(in);
  str_is(c, "Path", "b");
  assert_int_equal(cJSON_GetArraySize(get(c, "Args")), 1);
  cJSON_Delete(c);
  cJSON_Delete(in);
}

static void test_container_inspect(void **state) {
  (void)state;
  cJSON *in = cJSON_Parse(record);
  cJSON *c = docker_container_inspect(in);
  assert_non_null(c);
  const char *top[] = {"Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath", "HostsPath",
                       "LogPath", "Name", "RestartCount", "Driver", "Platform", "MountLabel", "ProcessLabel",
                       "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver", "Mounts", "Config", "NetworkSettings",
                       "EffectiveLimits", "Identity", "Runtime", "AppliedLimits"};
  keys_are(c, top, sizeof top / sizeof top[0]);
  str_is(c, "Name", "/web");
  str_is(c, "Created", "2026-11-22T13:09:00.12Z");
  str_is(c, "Path", "cmd");
  assert_int_equal(cJSON_GetArraySize(get(c, "Args")), 2);
  str_is(c, "Image", "nano:latest");
  num_is(c, "RestartCount", 2);
  str_is(c, "Driver", "windowsfilter");
  str_is(c, "Platform", "windows");
  assert_true(cJSON_IsNull(get(c, "ExecIDs")));
  const char *state_keys[] = {"Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid", "ExitCode",
                              "Error", "StartedAt", "FinishedAt", "ManuallyStopped"};
  keys_are(get(c, "State"), state_keys, sizeof state_keys / sizeof state_keys[0]);
  str_is(c, "State.StartedAt", "2026-11-22T13:09:01Z");
  str_is(c, "State.FinishedAt", DOCKER_ZERO_TIME);
  num_is(c, "State.Pid", 4242);
  /* HostConfig: Docker's keys in order with wctr's values; Linux-only ones at their zero value. */
  const cJSON *hc = get(c, "HostConfig");
  assert_string_equal(hc->child->string, "Binds");
  num_is(c, "HostConfig.Memory", 524288000);
  num_is(c, "HostConfig.NanoCpus", 1500000000);
  str_is(c, "HostConfig.Isolation", "process");
  str_is(c, "HostConfig.NetworkMode", "default");
  str_is(c, "HostConfig.LogConfig.Type", "json-file");
  str_is(c, "HostConfig.RestartPolicy.Name", "always");
  assert_true(cJSON_IsTrue(get(c, "HostConfig.AutoRemove")));
  assert_true(cJSON_IsNull(get(c, "HostConfig.PidsLimit"))); /* 0: no limit, Docker's null */
  assert_false(cJSON_IsTrue(get(c, "HostConfig.Privileged")));
  assert_int_equal(cJSON_GetArraySize(get(c, "HostConfig.ConsoleSize")), 2);
  assert_string_equal(cJSON_GetArrayItem(get(c, "HostConfig.SecurityOpt"), 0)->valuestring, "credentialspec=file://web.json");
  /* Config: Hostname defaults to the short id, Labels sorted, wctr's Secrets after Docker's keys. */
  str_is(c, "Config.Hostname", "0123456789ab");
  str_is(c, "Config.User", "ContainerUser");
  str_is(c, "Config.WorkingDir", "C:\\app");
  assert_true(cJSON_IsTrue(get(c, "Config.AttachStdin")));
  assert_true(cJSON_IsNull(get(c, "Config.Entrypoint")));
  assert_string_equal(get(c, "Config.Labels")->child->string, "a");
  const cJSON *cfg = get(c, "Config");
  const cJSON *last = cfg->child;
  while (last->next != NULL) last = last->next;
  assert_string_equal(last->string, "Secrets");
  /* Mounts from the binds: bind and npipe, read-only or not. */
  const cJSON *m = get(c, "Mounts");
  assert_int_equal(cJSON_GetArraySize(m), 3);
  const cJSON *m0 = cJSON_GetArrayItem(m, 0), *m1 = cJSON_GetArrayItem(m, 1), *m2 = cJSON_GetArrayItem(m, 2);
  str_is(m0, "Type", "bind");
  str_is(m0, "Source", "C:\\data");
  str_is(m0, "Destination", "C:\\data");
  str_is(m0, "Mode", "ro");
  assert_false(cJSON_IsTrue(get(m0, "RW")));
  str_is(m1, "Mode", "rw");
  assert_true(cJSON_IsTrue(get(m1, "RW")));
  str_is(m2, "Type", "npipe");
  /* NetworkSettings: Docker's keys; the default network (nat) without addresses, as the runtime recorded none. */
  str_is(c, "NetworkSettings.IPAddress", "");
  assert_int_equal(cJSON_GetArraySize(get(c, "NetworkSettings.Networks")), 1);
  str_is(c, "NetworkSettings.Networks.nat.IPAddress", "");
  num_is(c, "AppliedLimits.CpuRate", 1500);
  cJSON_Delete(c);
  /* Job isolation: the host's network, no storage driver. */
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(in, "HostConfig"), "Isolation", cJSON_CreateString("job"));
  c = docker_container_inspect(in);
  str_is(c, "HostConfig.NetworkMode", "host");
  str_is(c, "Driver", "");
  cJSON_Delete(c);
  cJSON_Delete(in);
  /* A record with almost nothing: Docker's zero values, never a crash. */
  cJSON *empty = cJSON_Parse("{}");
  c = docker_container_inspect(empty);
  assert_non_null(c);
  str_is(c, "Name", "/");
  str_is(c, "Created", DOCKER_ZERO_TIME);
  assert_int_equal(cJSON_GetArraySize(get(c, "Args")), 0);
  cJSON_Delete(c);
  cJSON_Delete(empty);
  cJSON *arr = cJSON_CreateArray();
  assert_null(docker_container_inspect(arr));
  cJSON_Delete(arr);
}

static void test_container_summary_and_status(void **state) {
  (void)state;
  const char *now = "2026-11-22T15:10:00.000Z";
  cJSON *s = cJSON_Parse("{\"Id\":\"abc\",\"Name\":\"web\",\"Image\":\"host\",\"Command\":\"cmd /c x\",\"Created\":"
                         "\"2026-11-22T13:10:00.000Z\",\"State\":\"exited\",\"ExitCode\":3,\"StartedAt\":\"\",\"FinishedAt\":"
                         "\"2026-11-22T13:10:00.000Z\",\"Isolation\":\"job\",\"Labels\":{\"b\":\"1\",\"a\":\"2\"}}");
  cJSON *d = docker_container_summary(s, now);
  const char *keys[] = {"Id", "Names", "Image", "ImageID", "Command", "Created", "Ports", "Labels", "State", "Status",
                        "HostConfig", "NetworkSettings", "Mounts"};
  keys_are(d, keys, sizeof keys / sizeof keys[0]);
  assert_string_equal(cJSON_GetArrayItem(get(d, "Names"), 0)->valuestring, "/web");
  num_is(d, "Created", 1795353000);
  str_is(d, "Status", "Exited (3) 2 hours ago");
  str_is(d, "HostConfig.NetworkMode", "host");
  assert_string_equal(get(d, "Labels")->child->string, "a");
  cJSON_Delete(d);
  cJSON_Delete(s);
  /* From a record: the command joined, the mounts from the binds. */
  cJSON *r = cJSON_Parse(record);
  d = docker_container_summary(r, "2026-11-22T13:09:06.000Z");
  str_is(d, "Command", "cmd /c echo hi");
  str_is(d, "Status", "Up 5 seconds");
  str_is(d, "Image", "nano:latest");
  assert_int_equal(cJSON_GetArraySize(get(d, "Mounts")), 3);
  cJSON_Delete(d);
  cJSON_Delete(r);
  const struct {
    const char *json, *want;
  } st[] = {{"{\"State\":\"created\"}", "Created"},
            {"{\"State\":\"removing\"}", "Removal In Progress"},
            {"{\"State\":\"running\",\"StartedAt\":\"2026-11-22T15:09:59.500Z\"}", "Up Less than a second"},
            {"{\"State\":\"exited\",\"ExitCode\":-1,\"FinishedAt\":\"\"}", "Exited (-1)"},
            {"{\"State\":{\"Status\":\"running\",\"StartedAt\":\"2026-11-20T15:10:00Z\"}}", "Up 2 days"},
            /* The healthcheck's status, as Docker's State.String() adds it while running. */
            {"{\"State\":\"running\",\"Health\":\"healthy\",\"StartedAt\":\"2026-11-20T15:10:00Z\"}", "Up 2 days (healthy)"},
            {"{\"State\":\"running\",\"Health\":\"starting\",\"StartedAt\":\"2026-11-20T15:10:00Z\"}",
             "Up 2 days (health: starting)"},
            {"{\"State\":{\"Status\":\"running\",\"StartedAt\":\"2026-11-20T15:10:00Z\",\"Health\":{\"Status\":"
             "\"unhealthy\"}}}", "Up 2 days (unhealthy)"},
            {"{\"State\":\"exited\",\"Health\":\"unhealthy\",\"ExitCode\":1,\"FinishedAt\":\"\"}", "Exited (1)"},
            /* Paused: Docker's State.String() says so, before any health. */
            {"{\"State\":\"paused\",\"Health\":\"healthy\",\"StartedAt\":\"2026-11-20T15:10:00Z\"}", "Up 2 days (Paused)"},
            {"{\"State\":{\"Status\":\"paused\",\"StartedAt\":\"2026-11-22T15:05:00Z\"}}", "Up 5 minutes (Paused)"}};
  for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
    cJSON *x = cJSON_Parse(st[i].json);
    char text[96];
    docker_container_status(x, now, text, sizeof text);
    if (strcmp(text, st[i].want) != 0) fail_msg("%s: got %s, want %s", st[i].json, text, st[i].want);
    cJSON_Delete(x);
  }
}

/* A running container on the default network with published and exposed ports, as its runtime recorded it;
 * then stopped: the same network without its addresses and ports. */
static void test_container_network(void **state) {
  (void)state;
  static const char rec[] =
      "{\"Id\":\"abc\",\"Name\":\"web\",\"State\":{\"Status\":\"running\",\"Running\":true,\"StartedAt\":"
      "\"2026-11-22T13:09:01.000Z\"},\"Config\":{\"Image\":\"nano\",\"ExposedPorts\":{\"80/tcp\":{},\"9000/tcp\":{}}},"
      "\"HostConfig\":{\"Isolation\":\"process\",\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}},"
      "\"Runtime\":{\"Network\":{\"Name\":\"nat\",\"NetworkID\":\"n1\",\"EndpointID\":\"e1\",\"NamespaceId\":\"ns1\","
      "\"IPAddress\":\"172.20.0.2\",\"IPPrefixLen\":16,\"Gateway\":\"172.20.0.1\",\"MacAddress\":\"00:15:5d:01:02:03\","
      "\"Ports\":[{\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\",\"IP\":\"0.0.0.0\"}]}}}";
  cJSON *in = cJSON_Parse(rec);
  cJSON *c = docker_container_inspect(in);
  str_is(c, "HostConfig.NetworkMode", "default");
  str_is(c, "NetworkSettings.IPAddress", "172.20.0.2");
  num_is(c, "NetworkSettings.IPPrefixLen", 16);
  str_is(c, "NetworkSettings.MacAddress", "00:15:5d:01:02:03");
  str_is(c, "NetworkSettings.SandboxID", "ns1");
  str_is(c, "NetworkSettings.Networks.nat.NetworkID", "n1");
  str_is(c, "NetworkSettings.Networks.nat.EndpointID", "e1");
  str_is(c, "NetworkSettings.Networks.nat.Gateway", "172.20.0.1");
  const cJSON *ports = get(c, "NetworkSettings.Ports");
  str_is(cJSON_GetArrayItem(cJSON_GetObjectItem(ports, "80/tcp"), 0), "HostPort", "8080");
  str_is(cJSON_GetArrayItem(cJSON_GetObjectItem(ports, "80/tcp"), 0), "HostIp", "0.0.0.0");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(ports, "9000/tcp"))); /* exposed, not published */
  cJSON_Delete(c);
  cJSON *d = docker_container_summary(in, "2026-11-22T13:09:06.000Z");
  const cJSON *sp = get(d, "Ports");
  assert_int_equal(cJSON_GetArraySize(sp), 2);
  num_is(cJSON_GetArrayItem(sp, 0), "PublicPort", 8080);
  str_is(cJSON_GetArrayItem(sp, 0), "IP", "0.0.0.0");
  num_is(cJSON_GetArrayItem(sp, 1), "PrivatePort", 9000);
  assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(sp, 1), "PublicPort"));
  str_is(d, "NetworkSettings.Networks.nat.IPAddress", "172.20.0.2");
  char *text = docker_ports_display(sp);
  assert_string_equal(text, "9000/tcp, 0.0.0.0:8080->80/tcp");
  free(text);
  cJSON_Delete(d);
  /* Stopped: its network, no addresses, no ports (Docker's {}); the NetworkID of its last run stays, as
   * moby's cleanOperationalData leaves it. */
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(in, "State"), "Running", cJSON_CreateFalse());
  c = docker_container_inspect(in);
  str_is(c, "NetworkSettings.IPAddress", "");
  str_is(c, "NetworkSettings.Networks.nat.IPAddress", "");
  str_is(c, "NetworkSettings.Networks.nat.EndpointID", "");
  str_is(c, "NetworkSettings.Networks.nat.MacAddress", "");
  str_is(c, "NetworkSettings.Networks.nat.NetworkID", "n1");
  str_is(c, "NetworkSettings.SandboxID", "");
  assert_int_equal(cJSON_GetArraySize(get(c, "NetworkSettings.Ports")), 0);
  cJSON_Delete(c);
  d = docker_container_summary(in, "2026-11-22T13:09:06.000Z");
  str_is(d, "NetworkSettings.Networks.nat.NetworkID", "n1");
  str_is(d, "NetworkSettings.Networks.nat.IPAddress", "");
  cJSON_Delete(d);
  /* --network none and a network of its own. */
  cJSON_AddStringToObject(cJSON_GetObjectItem(in, "HostConfig"), "NetworkMode", "web");
  c = docker_container_inspect(in);
  str_is(c, "HostConfig.NetworkMode", "web");
  str_is(c, "NetworkSettings.Networks.web.IPAddress", "");
  str_is(c, "NetworkSettings.Networks.web.NetworkID", ""); /* the last run was on nat: not this network's id */
  cJSON_Delete(c);
  cJSON_Delete(in);
  /* Docker's grouping of the PORTS column. */
  static const struct {
    const char *json, *want;
  } groups[] = {
      {"[]", ""},
      {"[{\"PrivatePort\":80,\"Type\":\"tcp\"},{\"PrivatePort\":81,\"Type\":\"tcp\"},{\"PrivatePort\":82,\"Type\":\"tcp\"}]",
       "80-82/tcp"},
      {"[{\"PrivatePort\":53,\"Type\":\"udp\"},{\"PrivatePort\":53,\"Type\":\"tcp\"}]", "53/tcp, 53/udp"},
      {"[{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,\"PublicPort\":80,\"Type\":\"tcp\"},{\"IP\":\"0.0.0.0\",\"PrivatePort\":81,"
       "\"PublicPort\":81,\"Type\":\"tcp\"}]", "0.0.0.0:80-81->80-81/tcp"},
      {"[{\"IP\":\"0.0.0.0\",\"PrivatePort\":443,\"PublicPort\":8443,\"Type\":\"tcp\"},{\"IP\":\"0.0.0.0\",\"PrivatePort\":80,"
       "\"PublicPort\":8080,\"Type\":\"tcp\"},{\"PrivatePort\":90,\"Type\":\"tcp\"}]",
       "90/tcp, 0.0.0.0:8080->80/tcp, 0.0.0.0:8443->443/tcp"},
  };
  for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
    cJSON *arr = cJSON_Parse(groups[i].json);
    char *got = docker_ports_display(arr);
    if (got == NULL || strcmp(got, groups[i].want) != 0) fail_msg("%s: \"%s\", want \"%s\"", groups[i].json, got, groups[i].want);
    free(got);
    cJSON_Delete(arr);
  }
}

static void test_image_secret_version_info_event(void **state) {
  (void)state;
  cJSON *img = cJSON_Parse("{\"Name\":\"nano:latest\",\"Layers\":[{\"Id\":\"g1\",\"Path\":\"C:\\\\l\\\\top\"},{\"Id\":\"g2\","
                           "\"Path\":\"C:\\\\l\\\\base\"}],\"OsVersion\":\"10.0.20348.1\",\"Cmd\":[\"cmd\"],\"User\":\"u\","
                           "\"Created\":\"2026-11-22T12:00:00.000Z\"}");
  cJSON *d = docker_image_inspect(img);
  const char *ikeys[] = {"Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion", "Author",
                         "Config", "Architecture", "Os", "OsVersion", "Size", "GraphDriver", "RootFS", "Metadata",
                         "Name", "Layers"};
  keys_are(d, ikeys, sizeof ikeys / sizeof ikeys[0]);
  assert_string_equal(cJSON_GetArrayItem(get(d, "RepoTags"), 0)->valuestring, "nano:latest");
  str_is(d, "Created", "2026-11-22T12:00:00Z");
  str_is(d, "Config.User", "u");
  str_is(d, "GraphDriver.Data.dir", "C:\\l\\top");
  str_is(d, "Os", "windows");
  cJSON_Delete(d);
  cJSON_Delete(img);
  cJSON *sec = cJSON_Parse("{\"ID\":\"f00d\",\"Name\":\"db\",\"CreatedAt\":\"2026-11-22T12:00:00.000Z\",\"Size\":5,"
                           "\"UsedBy\":[\"web\"]}");
  d = docker_secret_inspect(sec);
  const char *skeys[] = {"ID", "Version", "CreatedAt", "UpdatedAt", "Spec", "Size", "UsedBy"};
  keys_are(d, skeys, sizeof skeys / sizeof skeys[0]);
  str_is(d, "Spec.Name", "db");
  str_is(d, "UpdatedAt", "2026-11-22T12:00:00Z");
  cJSON_Delete(d);
  cJSON_Delete(sec);
  cJSON *v = cJSON_Parse("{\"Version\":\"0.1.0\",\"ApiVersion\":1,\"Os\":\"windows\",\"Arch\":\"amd64\"}");
  d = docker_version_server(v);
  const char *vkeys[] = {"Platform", "Components", "Version", "ApiVersion", "Os", "Arch"};
  keys_are(d, vkeys, sizeof vkeys / sizeof vkeys[0]);
  str_is(d, "ApiVersion", "1");
  const cJSON *engine = cJSON_GetArrayItem(get(d, "Components"), 0);
  const char *ekeys[] = {"Name", "Version", "Details"};
  keys_are(engine, ekeys, 3);
  str_is(engine, "Details.Arch", "amd64");
  cJSON_Delete(d);
  cJSON_Delete(v);
  cJSON *info = cJSON_Parse("{\"ServerVersion\":\"0.1.0\",\"OperatingSystem\":\"Windows Server 2022\",\"OSVersion\":"
                            "\"10.0.20348\",\"OSType\":\"windows\",\"DataRoot\":\"C:\\\\ProgramData\\\\wctr\",\"HCS\":"
                            "{\"Available\":true},\"Isolation\":{\"Default\":\"hyperv\",\"Available\":[\"hyperv\"]}}");
  cJSON *list = cJSON_Parse("[{\"State\":\"running\"},{\"State\":\"exited\"},{\"State\":\"paused\"}]");
  d = docker_info(info, list, NULL);
  num_is(d, "Containers", 3);
  num_is(d, "ContainersRunning", 1);
  num_is(d, "ContainersPaused", 1); /* Docker counts a paused container apart from the running ones */
  num_is(d, "ContainersStopped", 1);
  assert_null(cJSON_GetObjectItem(d, "Images")); /* not counted: absent, not 0 */
  str_is(d, "Isolation", "hyperv");
  str_is(d, "IsolationModes.Default", "hyperv");
  str_is(d, "DockerRootDir", "C:\\ProgramData\\wctr");
  assert_null(cJSON_GetObjectItem(d, "DataRoot"));
  assert_true(cJSON_IsTrue(get(d, "HCS.Available")));
  cJSON_Delete(d);
  cJSON_Delete(list);
  cJSON_Delete(info);
  cJSON *ev = cJSON_Parse("{\"Time\":\"2026-11-22T13:10:00.123456789Z\",\"Type\":\"container\",\"Action\":\"die\","
                          "\"Id\":\"abc\",\"Name\":\"web\",\"ExitCode\":3}");
  d = docker_event(ev);
  const char *evkeys[] = {"status", "id", "Type", "Action", "Actor", "scope", "time", "timeNano"};
  keys_are(d, evkeys, sizeof evkeys / sizeof evkeys[0]);
  str_is(d, "Actor.Attributes.exitCode", "3");
  str_is(d, "Actor.Attributes.name", "web");
  char *text = cJSON_PrintUnformatted(get(d, "timeNano"));
  assert_string_equal(text, "1795353000123456789"); /* exact: raw text, not a double */
  cJSON_free(text);
  cJSON_Delete(d);
  cJSON_Delete(ev);
  /* an image event (wctr events): its Type, the image's id as the actor, the name, no exit code */
  ev = cJSON_Parse("{\"Time\":\"2026-11-22T13:10:00Z\",\"Type\":\"image\",\"Action\":\"tag\",\"Id\":\"sha256:0a1b\","
                   "\"Name\":\"mine:latest\"}");
  d = docker_event(ev);
  str_is(d, "Type", "image");
  str_is(d, "status", "tag");
  str_is(d, "Actor.ID", "sha256:0a1b");
  str_is(d, "Actor.Attributes.name", "mine:latest");
  assert_null(cJSON_GetObjectItemCaseSensitive(get(d, "Actor.Attributes"), "exitCode"));
  cJSON_Delete(d);
  cJSON_Delete(ev);
  /* a volume event: the name as the actor, the frame's attributes, no name attribute, no status or id */
  ev = cJSON_Parse("{\"Time\":\"2026-11-22T13:10:00Z\",\"Type\":\"volume\",\"Action\":\"destroy\",\"Id\":\"my-db\","
                   "\"Attributes\":{\"driver\":\"local\"}}");
  d = docker_event(ev);
  const char *volkeys[] = {"Type", "Action", "Actor", "scope", "time", "timeNano"};
  keys_are(d, volkeys, sizeof volkeys / sizeof volkeys[0]);
  str_is(d, "Actor.ID", "my-db");
  str_is(d, "Actor.Attributes.driver", "local");
  assert_int_equal(cJSON_GetArraySize(get(d, "Actor.Attributes")), 1);
  cJSON_Delete(d);
  cJSON_Delete(ev);
  /* a time outside int64 nanoseconds (a damaged frame; before 1970 here) is shown as 0, never overflowed */
  ev = cJSON_Parse("{\"Time\":\"1012-01-01T00:00:00Z\",\"Type\":\"container\",\"Action\":\"start\",\"Id\":\"abc\","
                   "\"Name\":\"web\"}");
  d = docker_event(ev);
  text = cJSON_PrintUnformatted(get(d, "timeNano"));
  assert_string_equal(text, "0");
  cJSON_free(text);
  cJSON_Delete(d);
  cJSON_Delete(ev);
}

static void test_times(void **state) {
  (void)state;
  int64_t t;
  int32_t ns;
  assert_true(docker_time_parse("1970-01-01T00:00:00Z", &t, &ns));
  assert_int_equal(t, 0);
  assert_true(docker_time_parse("2026-11-22T13:10:00.5Z", &t, &ns));
  assert_int_equal(t, 1795353000);
  assert_int_equal(ns, 500000000);
  assert_true(docker_time_parse("2026-11-22T15:10:00+02:00", &t, &ns));
  assert_int_equal(t, 1795353000);
  assert_true(docker_time_parse("2024-02-29T00:00:00.123456789123Z", &t, &ns));
  assert_int_equal(ns, 123456789);
  assert_false(docker_time_parse("", &t, &ns));
  assert_false(docker_time_parse("2026-13-01T00:00:00Z", &t, &ns));
  assert_false(docker_time_parse("2026-11-22 13:10:00Z", &t, &ns));
  assert_false(docker_time_parse("2026-11-22T13:10:00", &t, &ns));
  assert_false(docker_time_parse("2026-11-22T13:10:00.Z", &t, &ns));
  assert_false(docker_time_parse("2026-11-22T13:10:00Zjunk", &t, &ns));
  assert_false(docker_time_parse(NULL, &t, &ns));
  char out[64];
  docker_time_rfc3339(1795353000, 0, out, sizeof out);
  assert_string_equal(out, "2026-11-22T13:10:00Z");
  docker_time_rfc3339(1795353000, 120000000, out, sizeof out);
  assert_string_equal(out, "2026-11-22T13:10:00.12Z");
  docker_time_rfc3339(-62135596800LL, 0, out, sizeof out); /* Go's zero time */
  assert_string_equal(out, DOCKER_ZERO_TIME);
  docker_time_go_string(1795353000, out, sizeof out);
  assert_string_equal(out, "2026-11-22 13:10:00 +0000 UTC");
  docker_time_convert("", out, sizeof out);
  assert_string_equal(out, DOCKER_ZERO_TIME);
  docker_time_convert("2026-11-22T13:10:00.000Z", out, sizeof out);
  assert_string_equal(out, "2026-11-22T13:10:00Z");
}

static void test_timestamps_and_sizes(void **state) {
  (void)state;
  int64_t s = 0;
  int32_t ns = 0;
  const int64_t now = 1763816400; /* 2025-11-22T13:00:00Z */
  /* Go durations in nanoseconds (the --health-* flags). */
  int64_t d = 0;
  assert_true(docker_duration_ns("1m30s", &d) && d == 90000000000LL);
  assert_true(docker_duration_ns("1.5s", &d) && d == 1500000000LL);
  assert_true(docker_duration_ns("250ms", &d) && d == 250000000LL);
  assert_true(docker_duration_ns("-2s", &d) && d == -2000000000LL);
  assert_true(docker_duration_ns("0", &d) && d == 0);
  assert_false(docker_duration_ns("5", &d));
  assert_false(docker_duration_ns("3x", &d));
  assert_false(docker_duration_ns("", &d));
  assert_false(docker_duration_ns("3000000h", &d));
  /* durations: now minus them, whole seconds rounded down */
  assert_true(docker_timestamp("10m", now, &s, &ns));
  assert_int_equal(s, now - 600);
  assert_true(docker_timestamp("1h30m5s", now, &s, &ns));
  assert_int_equal(s, now - 5405);
  assert_true(docker_timestamp("1.5s", now, &s, &ns));
  assert_int_equal(s, now - 2);
  assert_true(docker_timestamp("250ms", now, &s, &ns));
  assert_int_equal(s, now - 1);
  assert_false(docker_timestamp("10x", now, &s, &ns));
  assert_false(docker_timestamp("m", now, &s, &ns));
  /* "0" is the Unix time 0, not a duration */
  assert_true(docker_timestamp("0", now, &s, &ns));
  assert_int_equal(s, 0);
  /* date-times, with and without a zone (UTC then), at each precision */
  assert_true(docker_timestamp("2025-11-22", now, &s, &ns));
  assert_int_equal(s, now - 13 * 3600);
  assert_true(docker_timestamp("2025-11-22T13", now, &s, &ns));
  assert_int_equal(s, now);
  assert_true(docker_timestamp("2025-11-22T13:01", now, &s, &ns));
  assert_int_equal(s, now + 60);
  assert_true(docker_timestamp("2025-11-22T14:00:00.5+01:00", now, &s, &ns));
  assert_int_equal(s, now);
  assert_int_equal(ns, 500000000);
  assert_true(docker_timestamp("2025-11-22T13:00:00Z", now, &s, &ns));
  assert_int_equal(s, now);
  assert_false(docker_timestamp("2025-11-22T25:00", now, &s, &ns));
  assert_false(docker_timestamp("2025-11-22 13:00", now, &s, &ns));
  /* Unix times */
  assert_true(docker_timestamp("1700000000.25", now, &s, &ns));
  assert_int_equal(s, 1700000000);
  assert_int_equal(ns, 250000000);
  assert_false(docker_timestamp("17e8", now, &s, &ns));
  assert_false(docker_timestamp("", now, &s, &ns));
  /* go-units HumanSize */
  char out[32];
  docker_human_size(0, 4, out, sizeof out);
  assert_string_equal(out, "0B");
  docker_human_size(16430000, 4, out, sizeof out);
  assert_string_equal(out, "16.43MB");
  docker_human_size(16430000, 3, out, sizeof out);
  assert_string_equal(out, "16.4MB");
  docker_human_size(999, 4, out, sizeof out);
  assert_string_equal(out, "999B");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_container_inspect),
      cmocka_unit_test(test_container_path_with_entrypoint),
      cmocka_unit_test(test_container_summary_and_status),
      cmocka_unit_test(test_container_network),
      cmocka_unit_test(test_image_secret_version_info_event),
      cmocka_unit_test(test_times),
      cmocka_unit_test(test_timestamps_and_sizes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
