/* docker/shapes.c - Docker's shapes of wctr's containers, images, secrets, version, info and events
 * (portable). docker/docker.h states the rule; the key lists below are Docker's, in Docker's order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "docker/docker.h"
#include "spec/spec.h"

/* ---- building blocks ------------------------------------------------------------------------------------ */

/* A key and its zero value in Docker's type: "" string, 0 number, false, null, {} object, [] array. */
typedef enum zero { Z_STR, Z_NUM, Z_FALSE, Z_NULL, Z_OBJ, Z_ARR } zero;

typedef struct field {
  const char *key;
  zero z;
} field;

static cJSON *zero_value(zero z) {
  switch (z) {
    case Z_STR: return cJSON_CreateString("");
    case Z_NUM: return cJSON_CreateNumber(0);
    case Z_FALSE: return cJSON_CreateFalse();
    case Z_NULL: return cJSON_CreateNull();
    case Z_OBJ: return cJSON_CreateObject();
    case Z_ARR: return cJSON_CreateArray();
  }
  return NULL;
}

static bool put_str(cJSON *obj, const char *key, const char *value) {
  return wctr_json_put(obj, key, cJSON_CreateString(value != NULL ? value : ""));
}

static bool put_str_item(cJSON *arr, const char *value) {
  cJSON *item = cJSON_CreateString(value);
  if (item == NULL) return false;
  if (!cJSON_AddItemToArray(arr, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static bool put_num(cJSON *obj, const char *key, double value) { return wctr_json_put(obj, key, cJSON_CreateNumber(value)); }

static bool put_copy(cJSON *obj, const char *key, const cJSON *value) {
  return wctr_json_put(obj, key, cJSON_Duplicate(value, true));
}

/* Replaces obj[key] (which must exist) with item. */
static bool set(cJSON *obj, const char *key, cJSON *item) {
  if (item == NULL) return false;
  if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static const char *str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static bool listed(const char *key, const char *const *keys) {
  for (size_t i = 0; keys != NULL && keys[i] != NULL; i++) {
    if (strcmp(keys[i], key) == 0) return true;
  }
  return false;
}

/* out gets Docker's fields in order, each src's value when src has the key, else the zero value. */
static bool overlay(cJSON *out, const cJSON *src, const field *fields, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, fields[i].key);
    if (!wctr_json_put(out, fields[i].key, v != NULL ? cJSON_Duplicate(v, true) : zero_value(fields[i].z))) return false;
  }
  return true;
}

/* Then src's keys that out does not have yet and that are not in skip (wctr's own, after Docker's). */
static bool append_rest(cJSON *out, const cJSON *src, const char *const *skip) {
  const cJSON *item;
  cJSON_ArrayForEach(item, src) {
    if (item->string == NULL || listed(item->string, skip)) continue;
    if (cJSON_GetObjectItemCaseSensitive(out, item->string) != NULL) continue;
    if (!put_copy(out, item->string, item)) return false;
  }
  return true;
}

/* An object's members sorted by key (Docker's maps marshal sorted). */
static int cmp_keys(const void *a, const void *b) {
  const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
  return strcmp(x->string, y->string);
}

static cJSON *sorted_copy(const cJSON *obj) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL || !cJSON_IsObject(obj)) return out;
  size_t n = (size_t)cJSON_GetArraySize(obj);
  const cJSON **m = malloc((n > 0 ? n : 1) * sizeof *m);
  if (m == NULL) {
    cJSON_Delete(out);
    return NULL;
  }
  size_t k = 0;
  for (const cJSON *c = obj->child; c != NULL && k < n; c = c->next) {
    if (c->string != NULL) m[k++] = c;
  }
  qsort(m, k, sizeof *m, cmp_keys);
  bool ok = true;
  for (size_t i = 0; ok && i < k; i++) ok = put_copy(out, m[i]->string, m[i]);
  free(m);
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

static cJSON *time_item(const char *wctr_time) {
  char text[48];
  docker_time_convert(wctr_time, text, sizeof text);
  return cJSON_CreateString(text);
}

static double unix_of(const char *wctr_time) {
  int64_t t = 0;
  int32_t ns = 0;
  return docker_time_parse(wctr_time, &t, &ns) ? (double)t : 0;
}

/* ---- containers --------------------------------------------------------------------------------------- */

static const field state_fields[] = {
    {"Status", Z_STR}, {"Running", Z_FALSE}, {"Paused", Z_FALSE}, {"Restarting", Z_FALSE}, {"OOMKilled", Z_FALSE},
    {"Dead", Z_FALSE}, {"Pid", Z_NUM},       {"ExitCode", Z_NUM}, {"Error", Z_STR},        {"StartedAt", Z_STR},
    {"FinishedAt", Z_STR},
};

static const field host_config_fields[] = {
    {"Binds", Z_NULL},          {"ContainerIDFile", Z_STR},   {"LogConfig", Z_OBJ},         {"NetworkMode", Z_STR},
    {"PortBindings", Z_OBJ},    {"RestartPolicy", Z_OBJ},     {"AutoRemove", Z_FALSE},      {"VolumeDriver", Z_STR},
    {"VolumesFrom", Z_NULL},    {"ConsoleSize", Z_ARR},       {"CapAdd", Z_NULL},           {"CapDrop", Z_NULL},
    {"CgroupnsMode", Z_STR},    {"Dns", Z_ARR},               {"DnsOptions", Z_ARR},        {"DnsSearch", Z_ARR},
    {"ExtraHosts", Z_NULL},     {"GroupAdd", Z_NULL},         {"IpcMode", Z_STR},           {"Cgroup", Z_STR},
    {"Links", Z_NULL},          {"OomScoreAdj", Z_NUM},       {"PidMode", Z_STR},           {"Privileged", Z_FALSE},
    {"PublishAllPorts", Z_FALSE}, {"ReadonlyRootfs", Z_FALSE}, {"SecurityOpt", Z_NULL},     {"UTSMode", Z_STR},
    {"UsernsMode", Z_STR},      {"ShmSize", Z_NUM},           {"Isolation", Z_STR},         {"CpuShares", Z_NUM},
    {"Memory", Z_NUM},          {"NanoCpus", Z_NUM},          {"CgroupParent", Z_STR},      {"BlkioWeight", Z_NUM},
    {"BlkioWeightDevice", Z_NULL}, {"BlkioDeviceReadBps", Z_NULL}, {"BlkioDeviceWriteBps", Z_NULL},
    {"BlkioDeviceReadIOps", Z_NULL}, {"BlkioDeviceWriteIOps", Z_NULL}, {"CpuPeriod", Z_NUM}, {"CpuQuota", Z_NUM},
    {"CpuRealtimePeriod", Z_NUM}, {"CpuRealtimeRuntime", Z_NUM}, {"CpusetCpus", Z_STR},      {"CpusetMems", Z_STR},
    {"Devices", Z_NULL},        {"DeviceCgroupRules", Z_NULL}, {"DeviceRequests", Z_NULL},  {"MemoryReservation", Z_NUM},
    {"MemorySwap", Z_NUM},      {"MemorySwappiness", Z_NULL}, {"OomKillDisable", Z_NULL},   {"PidsLimit", Z_NULL},
    {"Ulimits", Z_NULL},        {"CpuCount", Z_NUM},          {"CpuPercent", Z_NUM},        {"IOMaximumIOps", Z_NUM},
    {"IOMaximumBandwidth", Z_NUM}, {"MaskedPaths", Z_NULL},   {"ReadonlyPaths", Z_NULL},
};

static const field config_fields[] = {
    {"Hostname", Z_STR}, {"Domainname", Z_STR}, {"User", Z_STR},   {"AttachStdin", Z_FALSE}, {"AttachStdout", Z_FALSE},
    {"AttachStderr", Z_FALSE}, {"Tty", Z_FALSE}, {"OpenStdin", Z_FALSE}, {"StdinOnce", Z_FALSE}, {"Env", Z_ARR},
    {"Cmd", Z_NULL},     {"Image", Z_STR},      {"Volumes", Z_NULL}, {"WorkingDir", Z_STR},  {"Entrypoint", Z_NULL},
    {"OnBuild", Z_NULL}, {"Labels", Z_OBJ},
};

static const field network_fields[] = {
    {"Bridge", Z_STR},          {"SandboxID", Z_STR},        {"HairpinMode", Z_FALSE},
    {"LinkLocalIPv6Address", Z_STR}, {"LinkLocalIPv6PrefixLen", Z_NUM}, {"Ports", Z_OBJ},
    {"SandboxKey", Z_STR},      {"SecondaryIPAddresses", Z_NULL}, {"SecondaryIPv6Addresses", Z_NULL},
    {"EndpointID", Z_STR},      {"Gateway", Z_STR},          {"GlobalIPv6Address", Z_STR},
    {"GlobalIPv6PrefixLen", Z_NUM}, {"IPAddress", Z_STR},    {"IPPrefixLen", Z_NUM},
    {"IPv6Gateway", Z_STR},     {"MacAddress", Z_STR},       {"Networks", Z_OBJ},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *isolation_of(const cJSON *hc) { return str(hc, "Isolation"); }

static bool is_hcs(const char *isolation) { return strcmp(isolation, "process") == 0 || strcmp(isolation, "hyperv") == 0; }

/* Docker's Mounts from -v values: type bind (npipe for a pipe), source, destination, mode, RW. */
static cJSON *mounts_from_binds(const cJSON *binds) {
  cJSON *out = cJSON_CreateArray();
  const cJSON *b;
  cJSON_ArrayForEach(b, binds) {
    if (out == NULL) break;
    spec_mount m;
    wctr_errmsg e;
    if (!cJSON_IsString(b) || spec_mount_parse(b->valuestring, &m, &e) != WCTR_OK) continue;
    size_t n = strlen(b->valuestring);
    const char *mode = m.read_only ? "ro" : n >= 3 && strcmp(b->valuestring + n - 3, ":rw") == 0 ? "rw" : "";
    cJSON *one = cJSON_CreateObject();
    bool ok = one != NULL && put_str(one, "Type", m.pipe ? "npipe" : "bind") && put_str(one, "Source", m.host_path) &&
              put_str(one, "Destination", m.container_path) && put_str(one, "Mode", mode) &&
              wctr_json_put(one, "RW", cJSON_CreateBool(!m.read_only)) && put_str(one, "Propagation", "");
    spec_mount_free(&m);
    if (!ok || !cJSON_AddItemToArray(out, one)) {
      cJSON_Delete(one);
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

/* ---- networks ---- */

/* The mode a record shows: its own, else the host's for a job container and Docker's "default". */
static const char *network_mode(const cJSON *hc) {
  const char *mode = str(hc, "NetworkMode");
  if (mode[0] != '\0') return mode;
  return strcmp(isolation_of(hc), "job") == 0 ? "host" : "default";
}

/* The network a mode joins: "default" is Docker's "nat" on Windows. */
static const char *joined_network(const char *mode) { return strcmp(mode, "default") == 0 ? "nat" : mode; }

/* The running container's network as its runtime recorded it ("Runtime":{"Network":{...}}), or NULL. */
static const cJSON *live_network(const cJSON *record) {
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(record, "State");
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Running"))) return NULL;
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(record, "Runtime"), "Network");
  return cJSON_IsObject(n) ? n : NULL;
}

/* The network of the last run of a container that does not run now (the record keeps its runtime's state
 * until the next start), when it is the network joined (joined); else NULL. */
static const cJSON *last_network(const cJSON *record, const char *joined) {
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(record, "State");
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "Running"))) return NULL;
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(record, "Runtime"), "Network");
  return cJSON_IsObject(n) && strcmp(str(n, "Name"), joined) == 0 ? n : NULL;
}

static bool put_port(cJSON *arr, const char *ip, double priv, double pub, const char *type) {
  cJSON *p = cJSON_CreateObject();
  bool ok = p != NULL && (ip == NULL || put_str(p, "IP", ip)) && put_num(p, "PrivatePort", priv) &&
            (pub <= 0 || put_num(p, "PublicPort", pub)) && put_str(p, "Type", type);
  if (!ok || !cJSON_AddItemToArray(arr, p)) {
    cJSON_Delete(p);
    return false;
  }
  return true;
}

/* container.Summary's Ports: what a running container publishes, then its exposed ports that are not
 * published (PrivatePort and Type only), as dockerd lists them. */
static cJSON *summary_ports(const cJSON *net, const cJSON *exposed) {
  cJSON *out = cJSON_CreateArray();
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(net, "Ports")) {
    if (out == NULL || !put_port(out, str(p, "IP"), num(p, "PrivatePort"), num(p, "PublicPort"), str(p, "Type"))) {
      cJSON_Delete(out);
      return NULL;
    }
  }
  const cJSON *x;
  cJSON_ArrayForEach(x, exposed) {
    uint16_t port;
    spec_proto proto;
    if (out == NULL || x->string == NULL || !spec_port_key_parse(x->string, &port, &proto)) continue;
    bool published = false;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(net, "Ports")) {
      published = published || (num(p, "PrivatePort") == port && strcmp(str(p, "Type"), spec_proto_name(proto)) == 0);
    }
    if (!published && !put_port(out, NULL, port, 0, spec_proto_name(proto))) {
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

/* EndpointSettings of one network: its ids and addresses while the container runs (net), zero values else -
 * but the NetworkID of its last run (last) stays, as moby's cleanOperationalData clears only the operational
 * data when a container stops. */
static cJSON *endpoint_settings(const cJSON *net, const cJSON *last) {
  cJSON *o = cJSON_CreateObject();
  const char *network_id = net != NULL ? str(net, "NetworkID") : str(last, "NetworkID");
  bool ok = o != NULL && wctr_json_put(o, "IPAMConfig", cJSON_CreateNull()) && wctr_json_put(o, "Links", cJSON_CreateNull()) &&
            wctr_json_put(o, "Aliases", cJSON_CreateNull()) && put_str(o, "NetworkID", network_id) &&
            put_str(o, "EndpointID", str(net, "EndpointID")) && put_str(o, "Gateway", str(net, "Gateway")) &&
            put_str(o, "IPAddress", str(net, "IPAddress")) && put_num(o, "IPPrefixLen", num(net, "IPPrefixLen")) &&
            put_str(o, "IPv6Gateway", "") && put_str(o, "GlobalIPv6Address", "") && put_num(o, "GlobalIPv6PrefixLen", 0) &&
            put_str(o, "MacAddress", str(net, "MacAddress")) && wctr_json_put(o, "DriverOpts", cJSON_CreateNull());
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *host_config(const cJSON *hc) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL || !overlay(out, hc, host_config_fields, COUNT(host_config_fields))) goto fail;
  /* What wctr does for each: logs are json-file; job containers share the host's network stack, HCS
   * containers join Docker's default ("default": nat) unless the spec says otherwise. */
  cJSON *log = cJSON_GetObjectItemCaseSensitive(out, "LogConfig");
  if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(hc, "LogConfig")) &&
      (!put_str(log, "Type", "json-file") || !wctr_json_put(log, "Config", cJSON_CreateObject()))) {
    goto fail;
  }
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(hc, "NetworkMode")) &&
      !set(out, "NetworkMode", cJSON_CreateString(network_mode(hc)))) {
    goto fail;
  }
  cJSON *console = cJSON_CreateIntArray((const int[]){0, 0}, 2);
  if (!set(out, "ConsoleSize", console)) goto fail;
  const cJSON *pids = cJSON_GetObjectItemCaseSensitive(hc, "PidsLimit");
  if (cJSON_IsNumber(pids) && pids->valuedouble == 0 && !set(out, "PidsLimit", cJSON_CreateNull())) goto fail;
  static const char *const skip[] = {NULL};
  if (!append_rest(out, hc, skip)) goto fail;
  return out;
fail:
  cJSON_Delete(out);
  return NULL;
}

static cJSON *config(const cJSON *cfg, const char *id) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL || !overlay(out, cfg, config_fields, COUNT(config_fields))) goto fail;
  if (str(cfg, "Hostname")[0] == '\0') {
    char short_id[13];
    snprintf(short_id, sizeof short_id, "%.12s", id);
    if (!set(out, "Hostname", cJSON_CreateString(short_id))) goto fail;
  }
  if (!set(out, "AttachStdin", cJSON_CreateBool(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "OpenStdin"))))) goto fail;
  if (!set(out, "Labels", sorted_copy(cJSON_GetObjectItemCaseSensitive(cfg, "Labels")))) goto fail;
  static const char *const skip[] = {NULL};
  if (!append_rest(out, cfg, skip)) goto fail;
  return out;
fail:
  cJSON_Delete(out);
  return NULL;
}

/* NetworkSettings: Docker's keys; the network the container joins under Networks; while it runs its
 * published ports ("80/tcp": [{"HostIp","HostPort"}], an exposed one that is not published: null) and, on
 * the default network (nat), the legacy top-level addresses, as dockerd fills them for its default. */
static cJSON *network_settings(const cJSON *record) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL || !overlay(out, NULL, network_fields, COUNT(network_fields))) goto fail;
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive(record, "HostConfig");
  const char *mode = network_mode(hc);
  const char *joined = joined_network(mode);
  const cJSON *net = live_network(record);
  cJSON *networks = endpoint_settings(net, last_network(record, joined));
  cJSON *nets = cJSON_GetObjectItemCaseSensitive(out, "Networks");
  if (networks == NULL || !cJSON_AddItemToObject(nets, joined, networks)) {
    cJSON_Delete(networks);
    goto fail;
  }
  if (net == NULL) return out;
  cJSON *ports = cJSON_GetObjectItemCaseSensitive(out, "Ports");
  const cJSON *p;
  cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(net, "Ports")) {
    char key[24], hp[8];
    snprintf(key, sizeof key, "%.0f/%s", num(p, "PrivatePort"), str(p, "Type"));
    snprintf(hp, sizeof hp, "%.0f", num(p, "PublicPort"));
    cJSON *list = cJSON_GetObjectItemCaseSensitive(ports, key);
    if (list == NULL) {
      list = cJSON_CreateArray();
      if (!wctr_json_put(ports, key, list)) goto fail;
    }
    cJSON *b = cJSON_CreateObject();
    if (b == NULL || !cJSON_AddItemToArray(list, b) || !put_str(b, "HostIp", str(p, "IP")) || !put_str(b, "HostPort", hp)) {
      goto fail;
    }
  }
  const cJSON *x;
  cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(record, "Config"), "ExposedPorts")) {
    if (x->string != NULL && cJSON_GetObjectItemCaseSensitive(ports, x->string) == NULL &&
        !wctr_json_put(ports, x->string, cJSON_CreateNull())) {
      goto fail;
    }
  }
  if (!set(out, "Ports", sorted_copy(ports)) || !set(out, "SandboxID", cJSON_CreateString(str(net, "NamespaceId")))) {
    goto fail;
  }
  if (strcmp(joined, "nat") == 0 &&
      (!set(out, "EndpointID", cJSON_CreateString(str(net, "EndpointID"))) ||
       !set(out, "Gateway", cJSON_CreateString(str(net, "Gateway"))) ||
       !set(out, "IPAddress", cJSON_CreateString(str(net, "IPAddress"))) ||
       !set(out, "IPPrefixLen", cJSON_CreateNumber(num(net, "IPPrefixLen"))) ||
       !set(out, "MacAddress", cJSON_CreateString(str(net, "MacAddress"))))) {
    goto fail;
  }
  return out;
fail:
  cJSON_Delete(out);
  return NULL;
}

static cJSON *state(const cJSON *s) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL || !overlay(out, s, state_fields, COUNT(state_fields)) ||
      !set(out, "StartedAt", time_item(str(s, "StartedAt"))) || !set(out, "FinishedAt", time_item(str(s, "FinishedAt")))) {
    cJSON_Delete(out);
    return NULL;
  }
  static const char *const skip[] = {NULL};
  if (!append_rest(out, s, skip)) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

cJSON *docker_container_inspect(const cJSON *record) {
  if (!cJSON_IsObject(record)) return NULL;
  const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(record, "Config");
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive(record, "HostConfig");
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(cfg, "Cmd");
  const char *id = str(record, "Id");
  const char *iso = isolation_of(hc);
  char name[160];
  snprintf(name, sizeof name, "/%s", str(record, "Name"));
  cJSON *out = cJSON_CreateObject();
  cJSON *args = cJSON_CreateArray();
  bool ok = out != NULL && args != NULL;
  /* Docker's Path and Args: the Entrypoint's words (when it has any), then Cmd's. */
  const cJSON *entry = cJSON_GetObjectItemCaseSensitive(cfg, "Entrypoint");
  const cJSON *path = NULL;
  const cJSON *lists[2] = {entry, cmd};
  for (int k = 0; k < 2; k++) {
    const cJSON *c;
    cJSON_ArrayForEach(c, lists[k]) {
      if (k == 0 && c->valuestring != NULL && c->valuestring[0] == '\0' && c == entry->child && c->next == NULL) break;
      if (path == NULL) path = c;
      else if (ok) ok = cJSON_AddItemToArray(args, cJSON_Duplicate(c, true));
    }
  }
  ok = ok && put_str(out, "Id", id) && wctr_json_put(out, "Created", time_item(str(record, "Created"))) &&
       put_str(out, "Path", cJSON_IsString(path) ? path->valuestring : "") && wctr_json_put(out, "Args", args);
  if (!ok) cJSON_Delete(args);
  ok = ok && wctr_json_put(out, "State", state(cJSON_GetObjectItemCaseSensitive(record, "State"))) &&
       put_str(out, "Image", str(cfg, "Image")) && put_str(out, "ResolvConfPath", "") && put_str(out, "HostnamePath", "") &&
       put_str(out, "HostsPath", "") && put_str(out, "LogPath", "") && put_str(out, "Name", name) &&
       put_num(out, "RestartCount", num(record, "RestartCount")) &&
       put_str(out, "Driver", is_hcs(iso) ? "windowsfilter" : "") && put_str(out, "Platform", "windows") &&
       put_str(out, "MountLabel", "") && put_str(out, "ProcessLabel", "") && put_str(out, "AppArmorProfile", "") &&
       wctr_json_put(out, "ExecIDs", cJSON_CreateNull()) && wctr_json_put(out, "HostConfig", host_config(hc));
  cJSON *graph = ok ? cJSON_AddObjectToObject(out, "GraphDriver") : NULL;
  ok = ok && graph != NULL && wctr_json_put(graph, "Data", cJSON_CreateNull()) && put_str(graph, "Name", is_hcs(iso) ? "windowsfilter" : "");
  ok = ok && wctr_json_put(out, "Mounts", mounts_from_binds(cJSON_GetObjectItemCaseSensitive(hc, "Binds"))) &&
       wctr_json_put(out, "Config", config(cfg, id)) && wctr_json_put(out, "NetworkSettings", network_settings(record));
  static const char *const mapped[] = {"Id", "Name", "Created", "State", "Config", "HostConfig", "RestartCount", NULL};
  ok = ok && append_rest(out, record, mapped);
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

/* State and times of a summary (State is a string) or a record (State is an object). */
static void facts(const cJSON *wctr, const char **status, const char **started, const char **finished, double *code) {
  const cJSON *s = cJSON_GetObjectItemCaseSensitive(wctr, "State");
  const cJSON *from = cJSON_IsObject(s) ? s : wctr;
  *status = cJSON_IsObject(s) ? str(s, "Status") : str(wctr, "State");
  *started = str(from, "StartedAt");
  *finished = str(from, "FinishedAt");
  *code = num(from, "ExitCode");
}

void docker_human_size(double bytes, int precision, char *out, size_t size) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  size_t i = 0;
  while (bytes >= 1000.0 && i + 1 < sizeof units / sizeof units[0]) {
    bytes /= 1000.0;
    i++;
  }
  snprintf(out, size, "%.*g%s", precision, bytes, units[i]);
}

void docker_human_duration(int64_t s, char *out, size_t size) {
  int64_t hours = (int64_t)((double)s / 3600.0 + 0.5);
  if (s < 1) {
    snprintf(out, size, "Less than a second");
  } else if (s == 1) {
    snprintf(out, size, "1 second");
  } else if (s < 60) {
    snprintf(out, size, "%lld seconds", (long long)s);
  } else if (s / 60 == 1) {
    snprintf(out, size, "About a minute");
  } else if (s / 60 < 60) {
    snprintf(out, size, "%lld minutes", (long long)(s / 60));
  } else if (hours == 1) {
    snprintf(out, size, "About an hour");
  } else if (hours < 48) {
    snprintf(out, size, "%lld hours", (long long)hours);
  } else if (hours < 24 * 7 * 2) {
    snprintf(out, size, "%lld days", (long long)(hours / 24));
  } else if (hours < 24 * 30 * 2) {
    snprintf(out, size, "%lld weeks", (long long)(hours / 24 / 7));
  } else if (hours < 24 * 365 * 2) {
    snprintf(out, size, "%lld months", (long long)(hours / 24 / 30));
  } else {
    snprintf(out, size, "%lld years", (long long)(s / 3600 / 24 / 365));
  }
}

static int64_t seconds_between(const char *a, const char *b) {
  int64_t ta = 0, tb = 0;
  int32_t na = 0, nb = 0;
  if (!docker_time_parse(a, &ta, &na) || !docker_time_parse(b, &tb, &nb)) return 0;
  return tb - ta - (nb < na ? 1 : 0);
}

void docker_container_status(const cJSON *wctr, const char *now, char *out, size_t size) {
  const char *status, *started, *finished;
  double exit_code;
  facts(wctr, &status, &started, &finished, &exit_code);
  /* A record's ExitCode is JSON's double: one outside int64 (or NaN) is no exit code Windows gives; it shows as
   * -1, wctr's "unknown", never through an undefined conversion. */
  long long code = exit_code >= -9.2e18 && exit_code <= 9.2e18 ? (long long)exit_code : -1;
  char span[64];
  if (strcmp(status, "running") == 0) {
    docker_human_duration(seconds_between(started, now), span, sizeof span);
    /* The healthcheck's status: a summary's "Health", a record's State.Health.Status (Docker's
     * Health.String(): "health: starting", else the status). */
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(wctr, "State");
    const char *health = cJSON_IsObject(st) ? str(cJSON_GetObjectItemCaseSensitive(st, "Health"), "Status")
                                            : str(wctr, "Health");
    if (health[0] == '\0' || strcmp(health, "none") == 0) snprintf(out, size, "Up %s", span);
    else if (strcmp(health, "starting") == 0) snprintf(out, size, "Up %s (health: starting)", span);
    else snprintf(out, size, "Up %s (%s)", span, health);
  } else if (strcmp(status, "paused") == 0) {
    /* Docker's State.String(): a paused container says so before any health */
    docker_human_duration(seconds_between(started, now), span, sizeof span);
    snprintf(out, size, "Up %s (Paused)", span);
  } else if (strcmp(status, "exited") == 0) {
    if (finished[0] == '\0') {
      snprintf(out, size, "Exited (%lld)", code);
      return;
    }
    docker_human_duration(seconds_between(finished, now), span, sizeof span);
    snprintf(out, size, "Exited (%lld) %s ago", code, span);
  } else if (strcmp(status, "created") == 0) {
    snprintf(out, size, "Created");
  } else if (strcmp(status, "removing") == 0) {
    snprintf(out, size, "Removal In Progress");
  } else {
    snprintf(out, size, "%s", status);
  }
}

/* SizeRw and SizeRootFs (Docker's omitempty: a zero is left out), when the list measured them (ps -s). */
static bool put_sizes(cJSON *out, const cJSON *wctr) {
  static const char *const keys[] = {"SizeRw", "SizeRootFs"};
  for (int i = 0; i < 2; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(wctr, keys[i]);
    if (cJSON_IsNumber(v) && v->valuedouble > 0 && !put_num(out, keys[i], v->valuedouble)) return false;
  }
  return true;
}

cJSON *docker_container_summary(const cJSON *wctr, const char *now) {
  if (!cJSON_IsObject(wctr)) return NULL;
  const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(wctr, "Config");
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive(wctr, "HostConfig");
  bool record = cJSON_IsObject(cfg);
  const char *image = record ? str(cfg, "Image") : str(wctr, "Image");
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(record ? cfg : wctr, "Labels");
  const char *iso = record ? str(hc, "Isolation") : str(wctr, "Isolation");
  /* The command as Docker's list shows it: the arguments joined with spaces. */
  char command[1024] = "";
  if (record) {
    size_t used = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cfg, "Cmd")) {
      if (!cJSON_IsString(c) || used >= sizeof command) continue;
      used += (size_t)snprintf(command + used, sizeof command - used, "%s%s", used > 0 ? " " : "", c->valuestring);
    }
  } else {
    snprintf(command, sizeof command, "%s", str(wctr, "Command"));
  }
  const char *status_word, *started, *finished;
  double code;
  facts(wctr, &status_word, &started, &finished, &code);
  char status[160];
  docker_container_status(wctr, now, status, sizeof status);
  char name[160];
  snprintf(name, sizeof name, "/%s", str(wctr, "Name"));
  cJSON *out = cJSON_CreateObject();
  bool ok = out != NULL && put_str(out, "Id", str(wctr, "Id"));
  cJSON *names = ok ? cJSON_AddArrayToObject(out, "Names") : NULL;
  ok = ok && names != NULL && put_str_item(names, name);
  /* A record carries its network in Config, HostConfig and Runtime; a list entry carries NetworkMode,
   * ExposedPorts and (while it runs) Network. */
  const char *mode = "";
  const cJSON *live = NULL, *last = NULL;
  const cJSON *exposed = NULL;
  if (record) {
    mode = network_mode(hc);
    live = live_network(wctr);
    last = last_network(wctr, joined_network(mode));
    exposed = cJSON_GetObjectItemCaseSensitive(cfg, "ExposedPorts");
  } else {
    mode = str(wctr, "NetworkMode");
    if (mode[0] == '\0') mode = strcmp(iso, "job") == 0 ? "host" : "default";
    live = cJSON_GetObjectItemCaseSensitive(wctr, "Network");
    if (strcmp(status_word, "running") != 0 && strcmp(status_word, "paused") != 0) live = NULL;
    exposed = cJSON_GetObjectItemCaseSensitive(wctr, "ExposedPorts");
  }
  ok = ok && put_str(out, "Image", image) && put_str(out, "ImageID", "") && put_str(out, "Command", command) &&
       put_num(out, "Created", unix_of(str(wctr, "Created"))) && wctr_json_put(out, "Ports", summary_ports(live, exposed)) &&
       put_sizes(out, wctr) && wctr_json_put(out, "Labels", sorted_copy(labels)) && put_str(out, "State", status_word) && put_str(out, "Status", status);
  cJSON *hcs = ok ? cJSON_AddObjectToObject(out, "HostConfig") : NULL;
  ok = ok && hcs != NULL && put_str(hcs, "NetworkMode", mode);
  cJSON *net = ok ? cJSON_AddObjectToObject(out, "NetworkSettings") : NULL;
  cJSON *nets = net != NULL ? cJSON_AddObjectToObject(net, "Networks") : NULL;
  ok = ok && nets != NULL && wctr_json_put(nets, joined_network(mode), endpoint_settings(live, last));
  const cJSON *mounts = cJSON_GetObjectItemCaseSensitive(wctr, "Mounts");
  ok = ok && (cJSON_IsArray(mounts) ? put_copy(out, "Mounts", mounts)
                                    : wctr_json_put(out, "Mounts", mounts_from_binds(cJSON_GetObjectItemCaseSensitive(hc, "Binds"))));
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

/* ---- images, secrets ------------------------------------------------------------------------------------ */

/* Config of an image: Docker's keys of an image's container config, from the image's Config (a pulled or
 * loaded image) or from the catalog's Cmd and User; the config's other keys after them. */
static cJSON *image_config(const cJSON *image) {
  static const field keys[] = {{"User", Z_STR},         {"Env", Z_NULL},        {"Cmd", Z_NULL},
                               {"Volumes", Z_NULL},     {"WorkingDir", Z_STR},  {"Entrypoint", Z_NULL},
                               {"OnBuild", Z_NULL},     {"Labels", Z_NULL}};
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(image, "Config");
  cJSON *out = cJSON_CreateObject();
  if (out == NULL) return NULL;
  bool ok;
  if (cJSON_IsObject(config)) {
    ok = overlay(out, config, keys, sizeof keys / sizeof keys[0]) && append_rest(out, config, NULL);
  } else {
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(image, "Cmd");
    ok = put_str(out, "User", str(image, "User")) && wctr_json_put(out, "Env", cJSON_CreateNull()) &&
         wctr_json_put(out, "Cmd", cmd != NULL ? cJSON_Duplicate(cmd, true) : cJSON_CreateNull()) &&
         wctr_json_put(out, "Volumes", cJSON_CreateNull()) && put_str(out, "WorkingDir", "") &&
         wctr_json_put(out, "Entrypoint", cJSON_CreateNull()) && wctr_json_put(out, "OnBuild", cJSON_CreateNull()) &&
         wctr_json_put(out, "Labels", cJSON_CreateNull());
  }
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

cJSON *docker_image_inspect(const cJSON *image) {
  if (!cJSON_IsObject(image)) return NULL;
  const cJSON *tags_in = cJSON_GetObjectItemCaseSensitive(image, "RepoTags");
  const cJSON *digests_in = cJSON_GetObjectItemCaseSensitive(image, "RepoDigests");
  const cJSON *rootfs_in = cJSON_GetObjectItemCaseSensitive(image, "RootFS");
  const cJSON *meta_in = cJSON_GetObjectItemCaseSensitive(image, "Metadata");
  const char *name = str(image, "Name");
  const char *arch = str(image, "Architecture");
  const char *os = str(image, "Os");
  cJSON *out = cJSON_CreateObject();
  bool ok = out != NULL && put_str(out, "Id", str(image, "Id"));
  if (ok && cJSON_IsArray(tags_in)) {
    ok = put_copy(out, "RepoTags", tags_in);
  } else if (ok) {
    cJSON *tags = cJSON_AddArrayToObject(out, "RepoTags");
    ok = tags != NULL && (name[0] == '\0' || put_str_item(tags, name));
  }
  ok = ok && wctr_json_put(out, "RepoDigests", cJSON_IsArray(digests_in) ? cJSON_Duplicate(digests_in, true) : cJSON_CreateArray()) &&
       put_str(out, "Parent", str(image, "Parent")) && put_str(out, "Comment", str(image, "Comment")) &&
       wctr_json_put(out, "Created", time_item(str(image, "Created"))) && put_str(out, "DockerVersion", str(image, "DockerVersion")) &&
       put_str(out, "Author", str(image, "Author")) && wctr_json_put(out, "Config", image_config(image));
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(image, "Layers");
  const cJSON *top = cJSON_IsArray(layers) ? layers->child : NULL;
  ok = ok && put_str(out, "Architecture", arch[0] != '\0' ? arch : "amd64") &&
       put_str(out, "Os", os[0] != '\0' ? os : "windows") && put_str(out, "OsVersion", str(image, "OsVersion")) &&
       put_num(out, "Size", num(image, "Size"));
  cJSON *graph = ok ? cJSON_AddObjectToObject(out, "GraphDriver") : NULL;
  cJSON *data = graph != NULL ? cJSON_AddObjectToObject(graph, "Data") : NULL;
  ok = ok && data != NULL && put_str(data, "dir", str(top, "Path")) && put_str(graph, "Name", "windowsfilter");
  cJSON *rootfs = ok ? cJSON_AddObjectToObject(out, "RootFS") : NULL;
  const cJSON *diff_ids = cJSON_GetObjectItemCaseSensitive(rootfs_in, "Layers");
  ok = ok && rootfs != NULL && put_str(rootfs, "Type", "layers") &&
       (!cJSON_IsArray(diff_ids) || put_copy(rootfs, "Layers", diff_ids));
  cJSON *meta = ok ? cJSON_AddObjectToObject(out, "Metadata") : NULL;
  ok = ok && meta != NULL && wctr_json_put(meta, "LastTagTime", time_item(str(meta_in, "LastTagTime")));
  static const char *const mapped[] = {"Id",    "RepoTags",     "RepoDigests", "Parent", "Comment",   "Created",
                                       "Cmd",   "User",         "OsVersion",   "Config", "RootFS",    "Metadata",
                                       "Os",    "Architecture", "Size",        "Author", "DockerVersion", NULL};
  ok = ok && append_rest(out, image, mapped);
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

cJSON *docker_secret_inspect(const cJSON *secret) {
  if (!cJSON_IsObject(secret)) return NULL;
  cJSON *out = cJSON_CreateObject();
  bool ok = out != NULL && put_str(out, "ID", str(secret, "ID"));
  cJSON *version = ok ? cJSON_AddObjectToObject(out, "Version") : NULL;
  ok = ok && version != NULL && put_num(version, "Index", 0) && wctr_json_put(out, "CreatedAt", time_item(str(secret, "CreatedAt"))) &&
       wctr_json_put(out, "UpdatedAt", time_item(str(secret, "CreatedAt")));
  cJSON *spec = ok ? cJSON_AddObjectToObject(out, "Spec") : NULL;
  ok = ok && spec != NULL && put_str(spec, "Name", str(secret, "Name")) && wctr_json_put(spec, "Labels", cJSON_CreateObject());
  static const char *const mapped[] = {"ID", "Name", "CreatedAt", NULL};
  ok = ok && append_rest(out, secret, mapped);
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

/* ---- version, info, events ------------------------------------------------------------------------------ */

cJSON *docker_version_server(const cJSON *version) {
  if (!cJSON_IsObject(version)) return NULL;
  char api[32];
  const cJSON *api_item = cJSON_GetObjectItemCaseSensitive(version, "ApiVersion");
  if (cJSON_IsNumber(api_item)) {
    snprintf(api, sizeof api, "%lld", (long long)api_item->valuedouble);
  } else {
    snprintf(api, sizeof api, "%s", str(version, "ApiVersion"));
  }
  cJSON *out = cJSON_CreateObject();
  cJSON *platform = out != NULL ? cJSON_AddObjectToObject(out, "Platform") : NULL;
  cJSON *components = platform != NULL ? cJSON_AddArrayToObject(out, "Components") : NULL;
  cJSON *engine = cJSON_CreateObject();
  bool ok = components != NULL && engine != NULL && cJSON_AddItemToArray(components, engine);
  if (!ok) cJSON_Delete(engine);
  ok = ok && put_str(platform, "Name", "wctr") && put_str(engine, "Name", "Engine") &&
       put_str(engine, "Version", str(version, "Version"));
  cJSON *details = ok ? cJSON_AddObjectToObject(engine, "Details") : NULL;
  ok = ok && details != NULL && put_str(details, "ApiVersion", api) &&
       put_str(details, "Arch", str(version, "Arch")) && put_str(details, "Os", str(version, "Os"));
  ok = ok && put_str(out, "Version", str(version, "Version")) && put_str(out, "ApiVersion", api) &&
       put_str(out, "Os", str(version, "Os")) && put_str(out, "Arch", str(version, "Arch"));
  static const char *const mapped[] = {"Version", "ApiVersion", "Os", "Arch", NULL};
  ok = ok && append_rest(out, version, mapped);
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

cJSON *docker_info(const cJSON *info, const cJSON *containers, const cJSON *images) {
  if (!cJSON_IsObject(info)) return NULL;
  int total = 0, running = 0, paused = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, containers) {
    const char *s = str(c, "State");
    total++;
    if (strcmp(s, "running") == 0) running++;
    else if (strcmp(s, "paused") == 0) paused++;
  }
  const cJSON *iso = cJSON_GetObjectItemCaseSensitive(info, "Isolation");
  cJSON *out = cJSON_CreateObject();
  bool ok = out != NULL;
  if (ok && containers != NULL) {
    ok = put_num(out, "Containers", total) && put_num(out, "ContainersRunning", running) &&
         put_num(out, "ContainersPaused", paused) && put_num(out, "ContainersStopped", total - running - paused);
  }
  if (ok && images != NULL) ok = put_num(out, "Images", cJSON_GetArraySize(images));
  ok = ok && put_str(out, "Driver", "windowsfilter") && put_str(out, "LoggingDriver", "json-file") &&
       put_str(out, "KernelVersion", str(info, "OSVersion")) && put_str(out, "OperatingSystem", str(info, "OperatingSystem")) &&
       put_str(out, "OSVersion", str(info, "OSVersion")) && put_str(out, "OSType", "windows") &&
       put_str(out, "Architecture", "x86_64") && put_str(out, "DockerRootDir", str(info, "DataRoot")) &&
       wctr_json_put(out, "Labels", cJSON_CreateArray()) && wctr_json_put(out, "ExperimentalBuild", cJSON_CreateFalse()) &&
       put_str(out, "ServerVersion", str(info, "ServerVersion")) &&
       put_str(out, "Isolation", cJSON_IsObject(iso) ? str(iso, "Default") : str(info, "Isolation")) &&
       wctr_json_put(out, "Warnings", cJSON_CreateArray());
  if (ok && cJSON_IsObject(iso)) ok = put_copy(out, "IsolationModes", iso);
  static const char *const mapped[] = {"DataRoot", "Isolation", "OSType", NULL};
  ok = ok && append_rest(out, info, mapped);
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

cJSON *docker_event(const cJSON *event) {
  if (!cJSON_IsObject(event)) return NULL;
  int64_t t = 0;
  int32_t ns = 0;
  /* int64 nanoseconds span 1970 to 2262: a time outside (only from a damaged frame) is shown as 0. */
  if (!docker_time_parse(str(event, "Time"), &t, &ns) || t < 0 || t >= INT64_MAX / 1000000000LL) {
    t = 0;
    ns = 0;
  }
  const char *type = str(event, "Type")[0] != '\0' ? str(event, "Type") : "container";
  char nanos[40];
  snprintf(nanos, sizeof nanos, "%lld", (long long)t * 1000000000LL + ns);
  char seconds[32];
  snprintf(seconds, sizeof seconds, "%lld", (long long)t);
  cJSON *out = cJSON_CreateObject();
  /* dockerd fills the deprecated status and id for containers and images only. */
  bool legacy = strcmp(type, "container") == 0 || strcmp(type, "image") == 0;
  bool ok = out != NULL && (!legacy || (put_str(out, "status", str(event, "Action")) && put_str(out, "id", str(event, "Id")))) &&
            put_str(out, "Type", type) && put_str(out, "Action", str(event, "Action"));
  cJSON *actor = ok ? cJSON_AddObjectToObject(out, "Actor") : NULL;
  ok = ok && actor != NULL && put_str(actor, "ID", str(event, "Id"));
  cJSON *attrs = ok ? cJSON_AddObjectToObject(actor, "Attributes") : NULL;
  /* The frame's own attributes (a volume's driver), strings only, then name and exitCode over them. */
  const cJSON *given = cJSON_GetObjectItemCaseSensitive(event, "Attributes");
  if (!cJSON_IsObject(given)) given = NULL;
  const cJSON *g;
  cJSON_ArrayForEach(g, given) {
    if (ok && attrs != NULL && cJSON_IsString(g) && g->string != NULL) ok = put_str(attrs, g->string, g->valuestring);
  }
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(event, "ExitCode");
  if (ok && cJSON_IsNumber(code)) {
    char text[32];
    double v = code->valuedouble; /* outside int64 or NaN: -1, as docker_container_status shows it */
    snprintf(text, sizeof text, "%lld", v >= -9.2e18 && v <= 9.2e18 ? (long long)v : -1LL);
    if (attrs != NULL) cJSON_DeleteItemFromObjectCaseSensitive(attrs, "exitCode");
    ok = attrs != NULL && put_str(attrs, "exitCode", text);
  }
  /* Whole numbers past 2^53 (timeNano) go as raw JSON text so no digit is lost. */
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(event, "Name");
  if (cJSON_IsString(name) && attrs != NULL) cJSON_DeleteItemFromObjectCaseSensitive(attrs, "name");
  ok = ok && attrs != NULL && (!cJSON_IsString(name) || put_str(attrs, "name", name->valuestring)) && put_str(out, "scope", "local") &&
       wctr_json_put(out, "time", cJSON_CreateRaw(seconds)) && wctr_json_put(out, "timeNano", cJSON_CreateRaw(nanos));
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}
