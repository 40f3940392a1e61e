/* service/engine_api_shape.c - the portable mappings between Docker's Engine API JSON and wctr's operations
 * (service/engine_api_internal.h): create bodies into create params (every field wctr applies mapped, every
 * field it cannot apply refused unless it holds its default), records into Docker's inspect shape, list
 * entries, stats, events, images, filters and Docker's human durations. No I/O, no locks: tested natively.
 *
 * The record -> Docker inspect mapping is kept here, in one portable file, so that the CLI's own Docker
 * shapes and this one can become one mapping. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/civil.h"
#include "common/json.h"
#include "common/utf8.h"
#include "docker/docker.h"
#include "service/engine_api_internal.h"

#define ZERO_TIME "0001-01-01T00:00:00Z"

/* --- create ------------------------------------------------------------------------------------------------------ */

/* Absent, null, false, 0, "", [] or {}: a field that asks for nothing. */
bool api_json_is_default(const cJSON *v) {
  if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v)) return true;
  if (cJSON_IsNumber(v)) return v->valuedouble == 0;
  if (cJSON_IsString(v)) return v->valuestring[0] == '\0';
  if (cJSON_IsArray(v) || cJSON_IsObject(v)) return v->child == NULL;
  return false;
}

typedef enum field_action {
  F_COPY = 1,  /* the same field in the create params (null: left out) */
  F_ACCEPT,    /* any value: it describes the client's side, nothing to apply */
  F_DEFAULT,   /* only its default: wctr cannot apply anything else */
  F_SPECIAL,   /* handled below */
} field_action;

typedef struct field_rule {
  const char *name;
  field_action action;
  const char *why; /* F_DEFAULT: why wctr cannot apply it */
} field_rule;

static const char no_dns_opt[] = "DNS options are not applied to Windows containers (HNS takes servers and search "
                                 "domains: Dns, DnsSearch)";

static const field_rule config_rules[] = {
    {"Image", F_COPY, NULL},
    {"Cmd", F_SPECIAL, NULL},
    {"Entrypoint", F_SPECIAL, NULL},
    {"Env", F_COPY, NULL},
    {"WorkingDir", F_COPY, NULL},
    {"User", F_COPY, NULL},
    {"Hostname", F_COPY, NULL},
    {"OpenStdin", F_COPY, NULL},
    {"Tty", F_COPY, NULL},
    {"StopTimeout", F_COPY, NULL},
    {"Labels", F_COPY, NULL},
    {"StdinOnce", F_SPECIAL, NULL},
    {"AttachStdin", F_ACCEPT, NULL},
    {"AttachStdout", F_ACCEPT, NULL},
    {"AttachStderr", F_ACCEPT, NULL},
    {"HostConfig", F_SPECIAL, NULL},
    {"NetworkingConfig", F_SPECIAL, NULL},
    {"Domainname", F_DEFAULT, "a container has no domain name of its own"},
    {"ExposedPorts", F_COPY, NULL},
    {"Volumes", F_SPECIAL, NULL},
    {"Healthcheck", F_COPY, NULL},
    {"ArgsEscaped", F_DEFAULT, "the command must be given as separate arguments"},
    {"NetworkDisabled", F_DEFAULT, "give HostConfig.NetworkMode \"none\" (a job container shares the host's network)"},
    {"MacAddress", F_COPY, NULL},
    {"OnBuild", F_DEFAULT, "images are not built by wctr"},
    {"StopSignal", F_DEFAULT, "wctr stops a container with its runtime's stop signal (docs/containers.md)"},
    {"Shell", F_DEFAULT, "images are not built by wctr"},
    {NULL, 0, NULL},
};

static const field_rule host_rules[] = {
    {"Binds", F_COPY, NULL},
    {"AutoRemove", F_COPY, NULL},
    {"SecurityOpt", F_COPY, NULL},
    {"Isolation", F_SPECIAL, NULL},
    {"RestartPolicy", F_SPECIAL, NULL},
    {"Mounts", F_SPECIAL, NULL},
    {"LogConfig", F_SPECIAL, NULL},
    {"NetworkMode", F_SPECIAL, NULL},
    {"MemorySwap", F_SPECIAL, NULL},
    {"MemorySwappiness", F_SPECIAL, NULL},
    {"ConsoleSize", F_ACCEPT, NULL},
    {"ContainerIDFile", F_ACCEPT, NULL},
    {"PortBindings", F_COPY, NULL},
    {"PublishAllPorts", F_COPY, NULL},
    {"Dns", F_COPY, NULL},
    {"DnsSearch", F_COPY, NULL},
    {"DnsOptions", F_DEFAULT, no_dns_opt},
    {"ExtraHosts", F_DEFAULT, "extra hosts entries are not implemented"},
    {"Links", F_DEFAULT, "links are legacy and not implemented; reach a container by its address"},
    {"VolumeDriver", F_DEFAULT, "volume drivers are not supported; bind a host folder with Binds"},
    {"VolumesFrom", F_DEFAULT, "volumes are not supported; bind a host folder with Binds"},
    {"CapAdd", F_DEFAULT, "Linux capabilities do not exist on Windows"},
    {"CapDrop", F_DEFAULT, "Linux capabilities do not exist on Windows"},
    {"CgroupnsMode", F_DEFAULT, "cgroups do not exist on Windows"},
    {"Cgroup", F_DEFAULT, "cgroups do not exist on Windows"},
    {"CgroupParent", F_DEFAULT, "cgroups do not exist on Windows"},
    {"GroupAdd", F_DEFAULT, "the container's identity is wctr's choice (docs/security.md)"},
    {"IpcMode", F_DEFAULT, "IPC namespaces do not exist on Windows"},
    {"PidMode", F_DEFAULT, "PID namespaces do not exist on Windows"},
    {"UTSMode", F_DEFAULT, "UTS namespaces do not exist on Windows"},
    {"UsernsMode", F_DEFAULT, "user namespaces do not exist on Windows"},
    {"OomScoreAdj", F_DEFAULT, "Windows has no OOM score"},
    {"OomKillDisable", F_DEFAULT, "Windows has no OOM killer to disable"},
    {"Privileged", F_DEFAULT, "privileged containers do not exist on Windows"},
    {"ReadonlyRootfs", F_DEFAULT, "a read-only root file system is not implemented"},
    {"StorageOpt", F_DEFAULT, "storage options are not implemented"},
    {"Tmpfs", F_DEFAULT, "tmpfs does not exist on Windows"},
    {"ShmSize", F_DEFAULT, "/dev/shm does not exist on Windows"},
    {"Sysctls", F_DEFAULT, "sysctls do not exist on Windows"},
    {"Runtime", F_DEFAULT, "choose the isolation with Isolation (process, hyperv, job)"},
    {"BlkioWeight", F_DEFAULT, "use IOMaximumIOps or IOMaximumBandwidth"},
    {"BlkioWeightDevice", F_DEFAULT, "use IOMaximumIOps or IOMaximumBandwidth"},
    {"BlkioDeviceReadBps", F_DEFAULT, "use IOMaximumBandwidth"},
    {"BlkioDeviceWriteBps", F_DEFAULT, "use IOMaximumBandwidth"},
    {"BlkioDeviceReadIOps", F_DEFAULT, "use IOMaximumIOps"},
    {"BlkioDeviceWriteIOps", F_DEFAULT, "use IOMaximumIOps"},
    {"CpuPeriod", F_DEFAULT, "use NanoCpus (--cpus), CpuCount or CpuPercent"},
    {"CpuQuota", F_DEFAULT, "use NanoCpus (--cpus), CpuCount or CpuPercent"},
    {"CpuRealtimePeriod", F_DEFAULT, "real-time scheduling does not exist on Windows"},
    {"CpuRealtimeRuntime", F_DEFAULT, "real-time scheduling does not exist on Windows"},
    {"CpusetCpus", F_DEFAULT, "CPU pinning is not implemented"},
    {"CpusetMems", F_DEFAULT, "memory node pinning is not implemented"},
    {"Devices", F_DEFAULT, "device assignment is not implemented"},
    {"DeviceCgroupRules", F_DEFAULT, "cgroups do not exist on Windows"},
    {"DeviceRequests", F_DEFAULT, "device requests (GPUs) are not implemented"},
    {"KernelMemory", F_DEFAULT, "kernel memory limits do not exist on Windows"},
    {"KernelMemoryTCP", F_DEFAULT, "kernel memory limits do not exist on Windows"},
    {"MemoryReservation", F_DEFAULT, "soft memory limits are not implemented; use Memory"},
    {"Ulimits", F_DEFAULT, "ulimits do not exist on Windows"},
    {"Init", F_DEFAULT, "an init process is not implemented"},
    {"MaskedPaths", F_DEFAULT, "masked paths are a Linux feature"},
    {"ReadonlyPaths", F_DEFAULT, "read-only paths are a Linux feature"},
    {NULL, 0, NULL},
};

static const field_rule *rule_for(const field_rule *rules, const char *name) {
  for (const field_rule *r = rules; r->name != NULL; r++) {
    if (strcmp(r->name, name) == 0) return r;
  }
  return NULL;
}

static wctr_err refuse_default(const char *where, const char *field, const char *why, wctr_errmsg *e) {
  return wctr_fail(e, WCTR_EINVAL, "%s%s: wctr cannot apply this field (%s); leave it out or at its default", where,
                   field, why);
}

/* Docker's strslice: an array of strings, or one string. Appends to arr. */
static wctr_err add_strslice(const cJSON *v, const char *where, cJSON *arr, wctr_errmsg *e) {
  if (cJSON_IsString(v)) {
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(v->valuestring))) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    return WCTR_OK;
  }
  if (!cJSON_IsArray(v)) return wctr_fail(e, WCTR_EINVAL, "%s must be an array of strings", where);
  const cJSON *item;
  cJSON_ArrayForEach(item, v) {
    if (!cJSON_IsString(item)) return wctr_fail(e, WCTR_EINVAL, "%s must be an array of strings", where);
    if (!cJSON_AddItemToArray(arr, cJSON_CreateString(item->valuestring))) {
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  return WCTR_OK;
}

static bool copy_into(cJSON *to, const char *name, const cJSON *v) {
  cJSON *dup = cJSON_Duplicate(v, true);
  return dup != NULL && cJSON_AddItemToObject(to, name, dup);
}

/* Is a Mounts entry's VolumeOptions what a volume of the local driver takes (nothing: no copy rule, labels or driver
 * options wctr could apply)? NULL when it is; else the sentence's field. */
static const char *volume_options_refused(const cJSON *vo) {
  if (api_json_is_default(vo)) return NULL;
  if (!cJSON_IsObject(vo)) return "VolumeOptions";
  const cJSON *x;
  cJSON_ArrayForEach(x, vo) {
    if (strcmp(x->string, "DriverConfig") == 0 && cJSON_IsObject(x)) {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(x, "Name");
      const cJSON *y;
      cJSON_ArrayForEach(y, x) {
        bool local = y == name && cJSON_IsString(y) && strcmp(y->valuestring, "local") == 0;
        if (!local && !api_json_is_default(y)) return "VolumeOptions.DriverConfig";
      }
    } else if (!api_json_is_default(x)) {
      return "VolumeOptions";
    }
  }
  return NULL;
}

/* A Mounts entry of type bind becomes a Binds value "SOURCE:TARGET[:ro]", one of type volume "NAME:TARGET[:ro]"
 * (without a Source an anonymous volume: "TARGET[:ro]"), as the pipe's -v takes them; anything else is refused. */
static wctr_err mount_to_bind(const cJSON *m, size_t index, cJSON *binds, wctr_errmsg *e) {
  char where[64];
  snprintf(where, sizeof where, "HostConfig.Mounts[%zu]", index);
  if (!cJSON_IsObject(m)) return wctr_fail(e, WCTR_EINVAL, "%s must be an object", where);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(m, "Type");
  const cJSON *src = cJSON_GetObjectItemCaseSensitive(m, "Source");
  const cJSON *dst = cJSON_GetObjectItemCaseSensitive(m, "Target");
  const cJSON *ro = cJSON_GetObjectItemCaseSensitive(m, "ReadOnly");
  bool volume = cJSON_IsString(type) && strcmp(type->valuestring, "volume") == 0;
  if (!volume && !(cJSON_IsString(type) && strcmp(type->valuestring, "bind") == 0)) {
    return wctr_fail(e, WCTR_EINVAL, "%s: only mounts of Type \"bind\" and \"volume\" are supported (tmpfs and npipe "
                     "mounts are not; a pipe can be bound with Binds)", where);
  }
  const cJSON *item;
  cJSON_ArrayForEach(item, m) {
    const char *k = item->string;
    bool known = strcmp(k, "Type") == 0 || strcmp(k, "Source") == 0 || strcmp(k, "Target") == 0 ||
                 strcmp(k, "ReadOnly") == 0 || strcmp(k, "Consistency") == 0;
    if (volume && strcmp(k, "VolumeOptions") == 0) {
      const char *bad = volume_options_refused(item);
      if (bad != NULL) {
        return wctr_fail(e, WCTR_EINVAL, "%s.%s: wctr cannot apply volume options (the local driver on Windows takes "
                         "none; no-copy and labels are not applied); leave it out", where, bad);
      }
      continue;
    }
    if (!known && !api_json_is_default(item)) {
      return wctr_fail(e, WCTR_EINVAL, "%s.%s: wctr cannot apply this field of a %s mount; leave it out", where, k,
                       volume ? "volume" : "bind");
    }
  }
  bool no_source = src == NULL || cJSON_IsNull(src) || (cJSON_IsString(src) && src->valuestring[0] == '\0');
  if ((src != NULL && !cJSON_IsNull(src) && !cJSON_IsString(src)) || !cJSON_IsString(dst) ||
      dst->valuestring[0] == '\0' || (!volume && no_source)) {
    return wctr_fail(e, WCTR_EINVAL, "%s: a %s mount needs %s", where, volume ? "volume" : "bind",
                     volume ? "a Target (and a volume name as Source, or none for an anonymous volume)" : "Source and Target");
  }
  if (ro != NULL && !cJSON_IsBool(ro) && !cJSON_IsNull(ro)) return wctr_fail(e, WCTR_EINVAL, "%s.ReadOnly must be a boolean", where);
  if (volume && !no_source) {
    /* A volume's Source is its name: a path there is a bind's, and Docker refuses it the same way. */
    wctr_errmsg ne;
    if (spec_volume_check_name(src->valuestring, &ne) != WCTR_OK) return wctr_fail(e, ne.code, "%s.Source: %s", where, ne.text);
  }
  const char *from = no_source ? "" : src->valuestring;
  size_t n = strlen(from) + strlen(dst->valuestring) + 8;
  char *text = malloc(n);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  snprintf(text, n, "%s%s%s%s", from, no_source ? "" : ":", dst->valuestring, cJSON_IsTrue(ro) ? ":ro" : "");
  bool ok = cJSON_AddItemToArray(binds, cJSON_CreateString(text));
  free(text);
  return ok ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

/* Windows paths compare without case. */
static bool same_path(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

/* Config.Volumes {"C:\\data": {}}: the container paths that get a volume. A path a bind or a mount already targets
 * keeps that (Docker's rule); any other becomes an anonymous volume, as the pipe's -v C:\data does. */
static wctr_err map_config_volumes(const cJSON *volumes, cJSON *params, wctr_errmsg *e) {
  if (api_json_is_default(volumes)) return WCTR_OK;
  if (!cJSON_IsObject(volumes)) return wctr_fail(e, WCTR_EINVAL, "Volumes must be an object of container paths");
  cJSON *hc = cJSON_GetObjectItemCaseSensitive(params, "HostConfig");
  if (hc == NULL && (hc = cJSON_AddObjectToObject(params, "HostConfig")) == NULL) {
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON *binds = cJSON_GetObjectItemCaseSensitive(hc, "Binds");
  if (binds == NULL && (binds = cJSON_AddArrayToObject(hc, "Binds")) == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  const cJSON *v;
  cJSON_ArrayForEach(v, volumes) {
    if (!cJSON_IsObject(v)) return wctr_fail(e, WCTR_EINVAL, "Volumes[\"%.200s\"] must be an object ({})", v->string);
    spec_mount want = {0};
    wctr_errmsg pe;
    wctr_errmsg_clear(&pe);
    if (spec_mount_parse(v->string, &want, &pe) != WCTR_OK || !want.anonymous) {
      spec_mount_free(&want);
      return wctr_fail(e, WCTR_EINVAL, "Volumes[\"%.200s\"]: %s", v->string,
                       pe.text[0] != '\0' ? pe.text : "a volume's key is an absolute container path (C:\\data)");
    }
    bool taken = false;
    const cJSON *b;
    cJSON_ArrayForEach(b, binds) {
      spec_mount have = {0};
      if (cJSON_IsString(b) && spec_mount_parse(b->valuestring, &have, NULL) == WCTR_OK &&
          same_path(have.container_path, want.container_path)) {
        taken = true;
      }
      spec_mount_free(&have);
    }
    spec_mount_free(&want);
    if (!taken && !cJSON_AddItemToArray(binds, cJSON_CreateString(v->string))) {
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  return WCTR_OK;
}

static wctr_err map_host_config(const cJSON *hc, cJSON *params, wctr_errmsg *e) {
  if (hc == NULL || cJSON_IsNull(hc)) return WCTR_OK;
  if (!cJSON_IsObject(hc)) return wctr_fail(e, WCTR_EINVAL, "HostConfig must be an object");
  cJSON *out = cJSON_AddObjectToObject(params, "HostConfig");
  if (out == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  cJSON *binds = NULL;
  const cJSON *v;
  cJSON_ArrayForEach(v, hc) {
    const char *k = v->string;
    if (spec_resource_by_wire(k) != NULL) {
      /* The one table of resource names: Docker's HostConfig names are wctr's. */
      if (!cJSON_IsNull(v) && !copy_into(out, k, v)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      continue;
    }
    const field_rule *rule = rule_for(host_rules, k);
    if (rule == NULL) {
      if (api_json_is_default(v)) continue; /* a field of a later API version left at its zero value asks for nothing */
      return wctr_fail(e, WCTR_EINVAL, "HostConfig.%s: unknown field", k);
    }
    switch (rule->action) {
      case F_COPY:
        if (strcmp(k, "Binds") == 0) {
          if (cJSON_IsNull(v)) break;
          if (!cJSON_IsArray(v)) return wctr_fail(e, WCTR_EINVAL, "HostConfig.Binds must be an array of strings");
          if (binds == NULL && (binds = cJSON_AddArrayToObject(out, "Binds")) == NULL) {
            return wctr_fail(e, WCTR_ENOMEM, "out of memory");
          }
          const cJSON *b;
          cJSON_ArrayForEach(b, v) {
            if (!cJSON_IsString(b)) return wctr_fail(e, WCTR_EINVAL, "HostConfig.Binds must be an array of strings");
            cJSON_AddItemToArray(binds, cJSON_CreateString(b->valuestring));
          }
        } else if (!cJSON_IsNull(v) && !copy_into(out, k, v)) {
          return wctr_fail(e, WCTR_ENOMEM, "out of memory");
        }
        break;
      case F_ACCEPT:
        break;
      case F_DEFAULT:
        if (!api_json_is_default(v)) return refuse_default("HostConfig.", k, rule->why, e);
        break;
      case F_SPECIAL:
        if (strcmp(k, "Isolation") == 0) {
          if (!cJSON_IsNull(v) && !(cJSON_IsString(v) && v->valuestring[0] == '\0') && !copy_into(out, k, v)) {
            return wctr_fail(e, WCTR_ENOMEM, "out of memory");
          }
        } else if (strcmp(k, "RestartPolicy") == 0) {
          if (cJSON_IsNull(v)) break;
          if (!cJSON_IsObject(v)) return wctr_fail(e, WCTR_EINVAL, "HostConfig.RestartPolicy must be an object");
          const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "Name");
          const cJSON *max = cJSON_GetObjectItemCaseSensitive(v, "MaximumRetryCount");
          cJSON *rp = cJSON_AddObjectToObject(out, "RestartPolicy");
          if (rp == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
          if (name != NULL && !cJSON_IsNull(name) && !copy_into(rp, "Name", name)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
          /* Docker's clients send a count of 0 with every policy; it only means something with on-failure. */
          if (max != NULL && !api_json_is_default(max) && !copy_into(rp, "MaximumRetryCount", max)) {
            return wctr_fail(e, WCTR_ENOMEM, "out of memory");
          }
          const cJSON *other;
          cJSON_ArrayForEach(other, v) {
            if (strcmp(other->string, "Name") != 0 && strcmp(other->string, "MaximumRetryCount") != 0) {
              return wctr_fail(e, WCTR_EINVAL, "HostConfig.RestartPolicy.%s: unknown field", other->string);
            }
          }
        } else if (strcmp(k, "Mounts") == 0) {
          if (api_json_is_default(v)) break;
          if (!cJSON_IsArray(v)) return wctr_fail(e, WCTR_EINVAL, "HostConfig.Mounts must be an array");
          if (binds == NULL) binds = cJSON_GetObjectItemCaseSensitive(out, "Binds");
          if (binds == NULL && (binds = cJSON_AddArrayToObject(out, "Binds")) == NULL) {
            return wctr_fail(e, WCTR_ENOMEM, "out of memory");
          }
          size_t i = 0;
          const cJSON *m;
          cJSON_ArrayForEach(m, v) {
            wctr_err err = mount_to_bind(m, i++, binds, e);
            if (err != WCTR_OK) return err;
          }
        } else if (strcmp(k, "LogConfig") == 0) {
          if (cJSON_IsNull(v)) break;
          const cJSON *type = cJSON_GetObjectItemCaseSensitive(v, "Type");
          const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(v, "Config");
          bool ok_type = type == NULL || cJSON_IsNull(type) ||
                         (cJSON_IsString(type) && (type->valuestring[0] == '\0' || strcmp(type->valuestring, "json-file") == 0));
          if (!cJSON_IsObject(v) || !ok_type) {
            return wctr_fail(e, WCTR_EINVAL, "HostConfig.LogConfig: wctr keeps logs with the json-file driver only");
          }
          /* The options are the spec's to check (spec_from_json: Docker's messages, naming the option). */
          if (!api_json_is_default(cfg)) {
            cJSON *lc = cJSON_AddObjectToObject(out, "LogConfig");
            if (lc == NULL || cJSON_AddStringToObject(lc, "Type", "json-file") == NULL || !copy_into(lc, "Config", cfg)) {
              return wctr_fail(e, WCTR_ENOMEM, "out of memory");
            }
          }
        } else if (strcmp(k, "NetworkMode") == 0) {
          /* Docker's "" is "default"; the mode itself is spec/network.h's to check for the isolation. */
          if (cJSON_IsNull(v)) break;
          if (!cJSON_IsString(v)) return wctr_fail(e, WCTR_EINVAL, "HostConfig.NetworkMode must be a string");
          if (v->valuestring[0] != '\0' && !copy_into(out, k, v)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
        } else if (strcmp(k, "MemorySwap") == 0) {
          /* 0 (not set) and -1 (unlimited) ask for what Windows does: no swap limit. */
          if (!api_json_is_default(v) && !(cJSON_IsNumber(v) && v->valuedouble == -1)) {
            return refuse_default("HostConfig.", k, "Windows has no swap limit; use Memory", e);
          }
        } else if (strcmp(k, "MemorySwappiness") == 0) {
          if (!api_json_is_default(v) && !(cJSON_IsNumber(v) && v->valuedouble == -1)) {
            return refuse_default("HostConfig.", k, "swappiness does not exist on Windows", e);
          }
        }
        break;
    }
  }
  return WCTR_OK;
}

/* NetworkingConfig.EndpointsConfig as Docker's CLI sends it for `run --network X [--mac-address M]`: one entry, the
 * network HostConfig.NetworkMode names (the mode when HostConfig gives none), holding nothing but a MacAddress
 * (API 1.44 moved --mac-address there). Aliases, IPAMConfig, Links... are refused by name: a container joins one
 * network with the address HNS gives it. */
static wctr_err map_networking_config(const cJSON *v, const cJSON *body, cJSON *params, wctr_errmsg *e) {
  if (!cJSON_IsObject(v)) return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig must be an object");
  const cJSON *eps = cJSON_GetObjectItemCaseSensitive(v, "EndpointsConfig");
  const cJSON *other;
  cJSON_ArrayForEach(other, v) {
    if (other != eps && !api_json_is_default(other)) return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig.%s: unknown field", other->string);
  }
  if (api_json_is_default(eps)) return WCTR_OK;
  if (!cJSON_IsObject(eps)) return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig.EndpointsConfig must be an object");
  if (cJSON_GetArraySize(eps) > 1) {
    return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig.EndpointsConfig: a container joins one network in wctr (an HNS "
                     "endpoint in its namespace), not %d", cJSON_GetArraySize(eps));
  }
  const cJSON *ep = eps->child;
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive(body, "HostConfig");
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(hc, "NetworkMode");
  const char *named = cJSON_IsString(mode) ? mode->valuestring : "";
  if (named[0] != '\0' && strcmp(named, "default") != 0 && strcmp(named, ep->string) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig.EndpointsConfig: network \"%.64s\" is not HostConfig.NetworkMode "
                     "(\"%.64s\")", ep->string, named);
  }
  if (!cJSON_IsObject(ep) && !cJSON_IsNull(ep)) {
    return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig.EndpointsConfig.%.64s must be an object", ep->string);
  }
  const cJSON *settings = cJSON_IsObject(ep) ? ep : NULL;
  const cJSON *f;
  cJSON_ArrayForEach(f, settings) {
    if (strcmp(f->string, "MacAddress") == 0 && cJSON_IsString(f) && f->valuestring[0] != '\0') {
      const cJSON *mac = cJSON_GetObjectItemCaseSensitive(body, "MacAddress");
      if (cJSON_IsString(mac) && mac->valuestring[0] != '\0' && strcmp(mac->valuestring, f->valuestring) != 0) {
        return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig.EndpointsConfig.%.64s.MacAddress and MacAddress differ",
                         ep->string);
      }
      cJSON_DeleteItemFromObjectCaseSensitive(params, "MacAddress");
      if (!copy_into(params, "MacAddress", f)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      continue;
    }
    /* NetworkID and EndpointID are Docker's answers, sent back by some clients; the rest are settings. */
    if (api_json_is_default(f) || strcmp(f->string, "NetworkID") == 0 || strcmp(f->string, "EndpointID") == 0) continue;
    return wctr_fail(e, WCTR_EINVAL, "NetworkingConfig.EndpointsConfig.%.64s.%.64s: not supported by wctr (a container "
                     "joins its network with the address HNS gives it, without aliases or links)", ep->string, f->string);
  }
  if (named[0] == '\0' || strcmp(named, "default") == 0) {
    cJSON *out_hc = cJSON_GetObjectItemCaseSensitive(params, "HostConfig");
    if (out_hc == NULL && (out_hc = cJSON_AddObjectToObject(params, "HostConfig")) == NULL) {
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(out_hc, "NetworkMode");
    if (cJSON_AddStringToObject(out_hc, "NetworkMode", ep->string) == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  return WCTR_OK;
}

wctr_err api_shape_create(const cJSON *body, const char *name, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  if (!cJSON_IsObject(body)) return wctr_fail(e, WCTR_EINVAL, "the body must be a JSON object (Docker's container config)");
  cJSON *params = cJSON_CreateObject();
  if (params == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = WCTR_OK;
  cJSON *cmd = NULL;
  cJSON *entry = NULL;
  if (name != NULL && name[0] != '\0') {
    cJSON_AddStringToObject(params, "Name", name[0] == '/' ? name + 1 : name);
  }
  const cJSON *v;
  cJSON_ArrayForEach(v, body) {
    const char *k = v->string;
    const field_rule *rule = rule_for(config_rules, k);
    if (rule == NULL) {
      if (api_json_is_default(v)) continue;
      err = wctr_fail(e, WCTR_EINVAL, "%s: unknown field", k);
      goto done;
    }
    switch (rule->action) {
      case F_COPY:
        if (cJSON_IsNull(v)) break;
        /* Docker's "" is "not given"; wctr's hostname rule would refuse an empty one. */
        if (cJSON_IsString(v) && v->valuestring[0] == '\0' && strcmp(k, "Image") != 0) break;
        if (!copy_into(params, k, v)) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
        break;
      case F_ACCEPT:
        break;
      case F_DEFAULT:
        if (!api_json_is_default(v)) err = refuse_default("", k, rule->why, e);
        break;
      case F_SPECIAL:
        if ((strcmp(k, "Cmd") == 0 && cmd != NULL) || (strcmp(k, "Entrypoint") == 0 && entry != NULL)) {
          err = wctr_fail(e, WCTR_EINVAL, "%s is given twice", k);
        } else if (strcmp(k, "Cmd") == 0 && !api_json_is_default(v)) {
          cmd = cJSON_CreateArray();
          err = cmd == NULL ? wctr_fail(e, WCTR_ENOMEM, "out of memory") : add_strslice(v, "Cmd", cmd, e);
        } else if (strcmp(k, "Entrypoint") == 0 && !cJSON_IsNull(v) && !(cJSON_IsArray(v) && v->child == NULL)) {
          /* Docker's StrSlice: a string is one word, so "" is [""], the reset that clears the image's; [] is left
           * out as before (what some clients send for "not set"). */
          entry = cJSON_CreateArray();
          err = entry == NULL ? wctr_fail(e, WCTR_ENOMEM, "out of memory") : add_strslice(v, "Entrypoint", entry, e);
        } else if (strcmp(k, "StdinOnce") == 0) {
          /* Docker's default is false: stdin stays open across attaches. */
          err = cJSON_IsBool(v) ? WCTR_OK : wctr_fail(e, WCTR_EINVAL, "StdinOnce must be a boolean");
          if (err == WCTR_OK) cJSON_AddBoolToObject(params, "StdinOnce", cJSON_IsTrue(v));
        } else if (strcmp(k, "HostConfig") == 0) {
          err = map_host_config(v, params, e);
        }
        /* NetworkingConfig: after the loop, once HostConfig is in the params. */
        break;
    }
    if (err != WCTR_OK) goto done;
  }
  /* Config.Volumes once HostConfig's binds and mounts are in the params. */
  err = map_config_volumes(cJSON_GetObjectItemCaseSensitive(body, "Volumes"), params, e);
  if (err != WCTR_OK) goto done;
  const cJSON *nc = cJSON_GetObjectItemCaseSensitive(body, "NetworkingConfig");
  if (nc != NULL && !cJSON_IsNull(nc)) {
    err = map_networking_config(nc, body, params, e);
    if (err != WCTR_OK) goto done;
  }
  /* The spec takes Docker's Entrypoint as it is (spec/spec.h): it replaces the image's Entrypoint and Cmd, and
   * the command is its words followed by Cmd's. */
  if (entry != NULL) {
    cJSON_AddItemToObject(params, "Entrypoint", entry);
    entry = NULL;
  }
  if (cmd != NULL) {
    cJSON_AddItemToObject(params, "Cmd", cmd);
    cmd = NULL;
  }
  *out = params;
  params = NULL;
done:
  cJSON_Delete(cmd);
  cJSON_Delete(entry);
  cJSON_Delete(params);
  return err;
}

/* --- networks ---------------------------------------------------------------------------------------------------- */

static wctr_err network_ipam(const cJSON *ipam, cJSON *params, wctr_errmsg *e) {
  if (api_json_is_default(ipam)) return WCTR_OK;
  if (!cJSON_IsObject(ipam)) return wctr_fail(e, WCTR_EINVAL, "IPAM must be an object");
  const cJSON *v;
  cJSON_ArrayForEach(v, ipam) {
    const char *k = v->string;
    if (strcmp(k, "Driver") == 0) {
      if (!api_json_is_default(v) && !(cJSON_IsString(v) && (strcmp(v->valuestring, "default") == 0 ||
                                                    strcmp(v->valuestring, "windows") == 0))) {
        return wctr_fail(e, WCTR_EINVAL, "IPAM.Driver: wctr cannot apply this field (HNS assigns the addresses)");
      }
    } else if (strcmp(k, "Config") == 0) {
      if (api_json_is_default(v)) continue;
      if (!cJSON_IsArray(v)) return wctr_fail(e, WCTR_EINVAL, "IPAM.Config must be an array");
      if (cJSON_GetArraySize(v) > 1) {
        return wctr_fail(e, WCTR_EINVAL, "IPAM.Config: %d subnets; a network wctr creates has one", cJSON_GetArraySize(v));
      }
      const cJSON *f;
      cJSON_ArrayForEach(f, v->child) {
        if (strcmp(f->string, "Subnet") == 0 || strcmp(f->string, "Gateway") == 0) {
          if (api_json_is_default(f)) continue;
          if (!cJSON_IsString(f)) return wctr_fail(e, WCTR_EINVAL, "IPAM.Config[0].%s must be a string", f->string);
          if (!copy_into(params, f->string, f)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
        } else if (!api_json_is_default(f)) {
          return wctr_fail(e, WCTR_EINVAL, "IPAM.Config[0].%.64s: wctr cannot apply this field (a network has one subnet "
                           "and its gateway)", f->string);
        }
      }
    } else if (!api_json_is_default(v)) {
      return wctr_fail(e, WCTR_EINVAL, "IPAM.%.64s: wctr cannot apply this field", k);
    }
  }
  return WCTR_OK;
}

wctr_err api_shape_network_create(const cJSON *body, cJSON **out, wctr_errmsg *e) {
  *out = NULL;
  if (!cJSON_IsObject(body)) return wctr_fail(e, WCTR_EINVAL, "the body must be a JSON object (Docker's network config)");
  cJSON *params = cJSON_CreateObject();
  if (params == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = WCTR_OK;
  const cJSON *v;
  cJSON_ArrayForEach(v, body) {
    const char *k = v->string;
    if (strcmp(k, "Name") == 0 || strcmp(k, "Labels") == 0 || (strcmp(k, "Driver") == 0 && !api_json_is_default(v))) {
      if (!cJSON_IsNull(v) && !copy_into(params, k, v)) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else if (strcmp(k, "IPAM") == 0) {
      err = network_ipam(v, params, e);
    } else if (strcmp(k, "CheckDuplicate") == 0 || strcmp(k, "Driver") == 0) {
      /* wctr always refuses a name in use (Docker's CheckDuplicate). */
    } else if (strcmp(k, "Scope") == 0) {
      if (!api_json_is_default(v) && !(cJSON_IsString(v) && strcmp(v->valuestring, "local") == 0)) {
        err = wctr_fail(e, WCTR_EINVAL, "Scope: wctr's networks are local");
      }
    } else if (!api_json_is_default(v)) {
      /* Internal, Attachable, Ingress, ConfigOnly, ConfigFrom, EnableIPv6, Options and fields of later versions. */
      err = wctr_fail(e, WCTR_EINVAL, "%.64s: wctr cannot apply this field (it creates NAT networks with a subnet, a "
                      "gateway and labels)", k);
    }
    if (err != WCTR_OK) break;
  }
  if (err == WCTR_OK && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(params, "Name"))) {
    err = wctr_fail(e, WCTR_EINVAL, "Name is required");
  }
  if (err != WCTR_OK) {
    cJSON_Delete(params);
    return err;
  }
  *out = params;
  return WCTR_OK;
}

wctr_err api_shape_update(const cJSON *body, cJSON *params, wctr_errmsg *e) {
  if (body == NULL) return WCTR_OK;
  if (!cJSON_IsObject(body)) return wctr_fail(e, WCTR_EINVAL, "the body must be a JSON object (Docker's update config)");
  const cJSON *v;
  cJSON_ArrayForEach(v, body) {
    const char *k = v->string;
    if (spec_resource_by_wire(k) != NULL) {
      if (!api_json_is_default(v) && !copy_into(params, k, v)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
      continue;
    }
    if (strcmp(k, "RestartPolicy") == 0) {
      const cJSON *name = cJSON_GetObjectItemCaseSensitive(v, "Name");
      const cJSON *max = cJSON_GetObjectItemCaseSensitive(v, "MaximumRetryCount");
      if (!api_json_is_default(name) || !api_json_is_default(max)) {
        return wctr_fail(e, WCTR_EINVAL, "RestartPolicy: changing a restart policy with update is not supported yet; "
                         "recreate the container");
      }
      continue;
    }
    const field_rule *rule = rule_for(host_rules, k);
    if (rule != NULL && rule->action == F_DEFAULT) {
      if (!api_json_is_default(v)) return refuse_default("", k, rule->why, e);
      continue;
    }
    if (strcmp(k, "MemorySwap") == 0 || strcmp(k, "MemorySwappiness") == 0) {
      if (!api_json_is_default(v) && !(cJSON_IsNumber(v) && v->valuedouble == -1)) {
        return refuse_default("", k, "Windows has no swap limit; use Memory", e);
      }
      continue;
    }
    if (!api_json_is_default(v)) return wctr_fail(e, WCTR_EINVAL, "%s: unknown or unsupported field for update", k);
  }
  return WCTR_OK;
}

/* --- times ---------------------------------------------------------------------------------------------------------- */

/* n decimal digits at p into *out; false when one is not a digit. */
static bool digits(const char *p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return false;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return true;
}

bool api_parse_time(const char *text, int64_t *seconds, int64_t *nanos) {
  int y, mo, d, h, mi, s;
  /* By hand, not sscanf: the list parses two times per container, and the C runtime's sscanf costs (under Wine
   * most of all). "YYYY-MM-DDTHH:MM:SS" exactly. */
  if (text == NULL || strnlen(text, 19) < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || !digits(text, 4, &y) || !digits(text + 5, 2, &mo) || !digits(text + 8, 2, &d) ||
      !digits(text + 11, 2, &h) || !digits(text + 14, 2, &mi) || !digits(text + 17, 2, &s)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  const char *p = text + 19;
  int64_t ns = 0;
  if (*p == '.') {
    p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
      if (digits < 9) ns = ns * 10 + (*p - '0');
      digits++;
      p++;
    }
    if (digits == 0) return false;
    for (; digits < 9; digits++) ns *= 10;
  }
  if (strcmp(p, "Z") != 0) return false;
  *seconds = wctr_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  *nanos = ns;
  return true;
}

void api_log_time(int64_t seconds, int64_t nanos, char out[40]) {
  int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
  int64_t rest = seconds - days * 86400;
  int64_t y;
  int m, d;
  wctr_civil_from_days(days, &y, &m, &d);
  snprintf(out, 40, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%09lldZ", (long long)y, m, d, (long long)(rest / 3600),
           (long long)(rest % 3600 / 60), (long long)(rest % 60), (long long)nanos);
}

bool api_time_to_log(const char *text, char out[40]) {
  int64_t secs = 0, ns = 0;
  if (api_parse_time(text, &secs, &ns)) {
    api_log_time(secs, ns, out);
    return true;
  }
  /* Unix seconds, optionally with a fraction: what the docker CLI sends for --since/--until. */
  const char *p = text;
  if (p == NULL || *p == '\0') return false;
  bool neg = *p == '-';
  if (neg) p++;
  int digits = 0;
  while (*p >= '0' && *p <= '9' && digits < 15) secs = secs * 10 + (*p++ - '0'), digits++;
  if (digits == 0) return false;
  if (*p == '.') {
    p++;
    int fd = 0;
    while (*p >= '0' && *p <= '9') {
      if (fd < 9) ns = ns * 10 + (*p - '0');
      fd++;
      p++;
    }
    for (; fd < 9; fd++) ns *= 10;
  }
  if (*p != '\0' || neg) return false;
  api_log_time(secs, ns, out);
  return true;
}

void api_human_duration(int64_t seconds, char *out, size_t size) {
  if (seconds < 1) {
    snprintf(out, size, "Less than a second");
  } else if (seconds == 1) {
    snprintf(out, size, "1 second");
  } else if (seconds < 60) {
    snprintf(out, size, "%lld seconds", (long long)seconds);
  } else if (seconds / 60 == 1) {
    snprintf(out, size, "About a minute");
  } else if (seconds / 60 < 60) {
    snprintf(out, size, "%lld minutes", (long long)(seconds / 60));
  } else {
    int64_t hours = (seconds + 1800) / 3600; /* Go's int(d.Hours() + 0.5) */
    if (hours == 1) {
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
      snprintf(out, size, "%lld years", (long long)(seconds / 3600 / 24 / 365));
    }
  }
}

static int64_t unix_of(const char *iso) {
  int64_t s = 0, ns = 0;
  return api_parse_time(iso, &s, &ns) ? s : 0;
}

/* --- containers ------------------------------------------------------------------------------------------------------- */

static const char *str_of(const cJSON *obj, const char *key, const char *def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : def;
}

static double num_of(const cJSON *obj, const char *key, double def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) ? v->valuedouble : def;
}

static bool bool_of(const cJSON *obj, const char *key) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key)); }

static cJSON *dup_or(const cJSON *v, cJSON *def) {
  if (v == NULL) return def;
  cJSON_Delete(def);
  return cJSON_Duplicate(v, true);
}

/* A JSON number as a whole number, within what a double holds exactly (a record's numbers are; a hostile input's
 * need not be, and converting an out-of-range double is undefined). */
static long long whole(double d) {
  if (!(d > -9007199254740992.0)) return -9007199254740992LL;
  if (!(d < 9007199254740992.0)) return 9007199254740992LL;
  return (long long)d;
}

static const char *time_or_zero(const char *t) { return t != NULL && t[0] != '\0' ? t : ZERO_TIME; }

/* A named or anonymous volume's -v value ("NAME:C:\\data[:ro]", as the record names an anonymous one) into Docker's
 * Mounts entry of type volume; NULL for any other value. Source, the volume's folder, is the store's to say
 * (GET /volumes/{name} Mountpoint): the record does not hold it. */
static cJSON *volume_mount(const char *bind) {
  spec_mount m = {0};
  if (spec_mount_parse(bind, &m, NULL) != WCTR_OK || m.volume == NULL) {
    spec_mount_free(&m);
    return NULL;
  }
  cJSON *out = cJSON_CreateObject();
  if (out != NULL) {
    cJSON_AddStringToObject(out, "Type", "volume");
    cJSON_AddStringToObject(out, "Name", m.volume);
    cJSON_AddStringToObject(out, "Source", "");
    cJSON_AddStringToObject(out, "Destination", m.container_path);
    cJSON_AddStringToObject(out, "Driver", "local");
    cJSON_AddStringToObject(out, "Mode", m.read_only ? "ro" : "");
    cJSON_AddBoolToObject(out, "RW", !m.read_only);
    cJSON_AddStringToObject(out, "Propagation", "");
  }
  spec_mount_free(&m);
  return out;
}

/* "-v HOST:CONTAINER[:ro]" into Docker's Mounts entry (the host part may hold a drive letter's colon). */
static cJSON *bind_mount(const char *bind) {
  cJSON *volume = volume_mount(bind);
  if (volume != NULL) return volume;
  char *copy = malloc(strlen(bind) + 1);
  if (copy == NULL) return NULL;
  memcpy(copy, bind, strlen(bind) + 1);
  bool ro = false;
  size_t n = strlen(copy);
  if (n > 3 && (strcmp(copy + n - 3, ":ro") == 0 || strcmp(copy + n - 3, ":rw") == 0)) {
    ro = strcmp(copy + n - 3, ":ro") == 0;
    copy[n - 3] = '\0';
  }
  /* The container side starts with a drive ("C:") or a pipe ("\\\\.\\pipe\\"): the separator is the first ':'
   * after the host side's own drive colon that is followed by one of those. */
  char *sep = NULL;
  for (char *p = copy + (n > 2 ? 2 : 0); *p != '\0' && sep == NULL; p++) {
    if (*p != ':' || p[1] == '\0') continue;
    bool drive = ((p[1] >= 'A' && p[1] <= 'Z') || (p[1] >= 'a' && p[1] <= 'z')) && p[2] == ':';
    bool pipe = p[1] == '\\' && p[2] == '\\';
    if (drive || pipe) sep = p;
  }
  cJSON *m = cJSON_CreateObject();
  if (m != NULL) {
    if (sep != NULL) *sep = '\0';
    cJSON_AddStringToObject(m, "Type", "bind");
    cJSON_AddStringToObject(m, "Source", copy);
    cJSON_AddStringToObject(m, "Destination", sep != NULL ? sep + 1 : "");
    cJSON_AddStringToObject(m, "Mode", ro ? "ro" : "");
    cJSON_AddBoolToObject(m, "RW", !ro);
    cJSON_AddStringToObject(m, "Propagation", "");
  }
  free(copy);
  return m;
}

/* A copy of from[key], or made when it is missing. */
static cJSON *dup_item_or(const cJSON *from, const char *key, cJSON *made) {
  return dup_or(cJSON_GetObjectItemCaseSensitive(from, key), made);
}

cJSON *api_shape_inspect(const cJSON *rec) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL) return NULL;
  /* The network's fields are the docker module's (docker/docker.h), the one mapping of a record's network:
   * NetworkMode as the isolation gives it, PortBindings, DNS, exposed ports, NetworkSettings. */
  cJSON *d = docker_container_inspect(rec);
  const cJSON *dh = cJSON_GetObjectItemCaseSensitive(d, "HostConfig");
  const cJSON *dc = cJSON_GetObjectItemCaseSensitive(d, "Config");
  const cJSON *state = cJSON_GetObjectItemCaseSensitive(rec, "State");
  const cJSON *config = cJSON_GetObjectItemCaseSensitive(rec, "Config");
  const cJSON *hc = cJSON_GetObjectItemCaseSensitive(rec, "HostConfig");
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(config, "Cmd");
  const char *id = str_of(rec, "Id", "");
  char name[200];
  snprintf(name, sizeof name, "/%s", str_of(rec, "Name", ""));
  cJSON_AddStringToObject(out, "Id", id);
  cJSON_AddStringToObject(out, "Created", str_of(rec, "Created", ZERO_TIME));
  /* Path and Args as the docker module computes them (the Entrypoint's words, then Cmd's). */
  const cJSON *dpath = cJSON_GetObjectItemCaseSensitive(d, "Path");
  const cJSON *dargs = cJSON_GetObjectItemCaseSensitive(d, "Args");
  cJSON_AddStringToObject(out, "Path", cJSON_IsString(dpath) ? dpath->valuestring : "");
  cJSON_AddItemToObject(out, "Args", dup_or(dargs, cJSON_CreateArray()));
  cJSON *st = cJSON_AddObjectToObject(out, "State");
  if (st != NULL) {
    cJSON_AddStringToObject(st, "Status", str_of(state, "Status", "created"));
    cJSON_AddBoolToObject(st, "Running", bool_of(state, "Running"));
    cJSON_AddBoolToObject(st, "Paused", bool_of(state, "Paused"));
    cJSON_AddBoolToObject(st, "Restarting", false);
    cJSON_AddBoolToObject(st, "OOMKilled", bool_of(state, "OOMKilled"));
    cJSON_AddBoolToObject(st, "Dead", false);
    cJSON_AddNumberToObject(st, "Pid", num_of(state, "Pid", 0));
    cJSON_AddNumberToObject(st, "ExitCode", num_of(state, "ExitCode", 0));
    cJSON_AddStringToObject(st, "Error", str_of(state, "Error", ""));
    cJSON_AddStringToObject(st, "StartedAt", time_or_zero(str_of(state, "StartedAt", "")));
    cJSON_AddStringToObject(st, "FinishedAt", time_or_zero(str_of(state, "FinishedAt", "")));
  }
  const char *image = str_of(config, "Image", "");
  cJSON_AddStringToObject(out, "Image", image);
  cJSON_AddStringToObject(out, "ResolvConfPath", "");
  cJSON_AddStringToObject(out, "HostnamePath", "");
  cJSON_AddStringToObject(out, "HostsPath", "");
  cJSON_AddStringToObject(out, "LogPath", "");
  cJSON_AddStringToObject(out, "Name", name);
  cJSON_AddNumberToObject(out, "RestartCount", num_of(rec, "RestartCount", 0));
  cJSON_AddStringToObject(out, "Driver", "windowsfilter");
  cJSON_AddStringToObject(out, "Platform", "windows");
  cJSON_AddStringToObject(out, "MountLabel", "");
  cJSON_AddStringToObject(out, "ProcessLabel", "");
  cJSON_AddStringToObject(out, "AppArmorProfile", "");
  cJSON_AddNullToObject(out, "ExecIDs");

  cJSON *h = cJSON_AddObjectToObject(out, "HostConfig");
  const cJSON *binds = cJSON_GetObjectItemCaseSensitive(hc, "Binds");
  if (h != NULL) {
    cJSON_AddItemToObject(h, "Binds", dup_or(binds, cJSON_CreateNull()));
    cJSON_AddStringToObject(h, "ContainerIDFile", "");
    cJSON *lc = cJSON_AddObjectToObject(h, "LogConfig");
    if (lc != NULL) {
      cJSON_AddStringToObject(lc, "Type", "json-file");
      const cJSON *given = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(hc, "LogConfig"), "Config");
      cJSON_AddItemToObject(lc, "Config", dup_or(cJSON_IsObject(given) ? given : NULL, cJSON_CreateObject()));
    }
    cJSON_AddStringToObject(h, "NetworkMode", str_of(dh, "NetworkMode", "default"));
    cJSON_AddItemToObject(h, "PortBindings", dup_item_or(dh, "PortBindings", cJSON_CreateObject()));
    cJSON *rp = dup_or(cJSON_GetObjectItemCaseSensitive(hc, "RestartPolicy"), NULL);
    if (rp == NULL) {
      rp = cJSON_CreateObject();
      if (rp != NULL) cJSON_AddStringToObject(rp, "Name", "no");
    }
    if (rp != NULL && cJSON_GetObjectItemCaseSensitive(rp, "MaximumRetryCount") == NULL) {
      cJSON_AddNumberToObject(rp, "MaximumRetryCount", 0);
    }
    cJSON_AddItemToObject(h, "RestartPolicy", rp);
    cJSON_AddBoolToObject(h, "AutoRemove", bool_of(hc, "AutoRemove"));
    cJSON_AddStringToObject(h, "VolumeDriver", "");
    cJSON_AddNullToObject(h, "VolumesFrom");
    cJSON_AddNullToObject(h, "CapAdd");
    cJSON_AddNullToObject(h, "CapDrop");
    cJSON_AddStringToObject(h, "CgroupnsMode", "");
    cJSON_AddItemToObject(h, "Dns", dup_item_or(dh, "Dns", cJSON_CreateArray()));
    cJSON_AddArrayToObject(h, "DnsOptions");
    cJSON_AddItemToObject(h, "DnsSearch", dup_item_or(dh, "DnsSearch", cJSON_CreateArray()));
    cJSON_AddNullToObject(h, "ExtraHosts");
    cJSON_AddNullToObject(h, "GroupAdd");
    cJSON_AddStringToObject(h, "IpcMode", "");
    cJSON_AddStringToObject(h, "Cgroup", "");
    cJSON_AddNullToObject(h, "Links");
    cJSON_AddNumberToObject(h, "OomScoreAdj", 0);
    cJSON_AddStringToObject(h, "PidMode", "");
    cJSON_AddBoolToObject(h, "Privileged", false);
    cJSON_AddBoolToObject(h, "PublishAllPorts", bool_of(dh, "PublishAllPorts"));
    cJSON_AddBoolToObject(h, "ReadonlyRootfs", false);
    cJSON_AddItemToObject(h, "SecurityOpt", dup_or(cJSON_GetObjectItemCaseSensitive(hc, "SecurityOpt"), cJSON_CreateNull()));
    cJSON_AddStringToObject(h, "UTSMode", "");
    cJSON_AddStringToObject(h, "UsernsMode", "");
    cJSON_AddNumberToObject(h, "ShmSize", 0);
    cJSON *cs = cJSON_AddArrayToObject(h, "ConsoleSize");
    if (cs != NULL) {
      cJSON_AddItemToArray(cs, cJSON_CreateNumber(0));
      cJSON_AddItemToArray(cs, cJSON_CreateNumber(0));
    }
    cJSON_AddStringToObject(h, "Isolation", str_of(hc, "Isolation", "default"));
    for (size_t i = 0; i < spec_resource_field_count; i++) {
      const char *wire = spec_resource_fields[i].wire;
      cJSON_AddNumberToObject(h, wire, num_of(hc, wire, 0));
    }
    cJSON_AddStringToObject(h, "CgroupParent", "");
    cJSON_AddNumberToObject(h, "BlkioWeight", 0);
    cJSON_AddNullToObject(h, "BlkioWeightDevice");
    cJSON_AddNullToObject(h, "BlkioDeviceReadBps");
    cJSON_AddNullToObject(h, "BlkioDeviceWriteBps");
    cJSON_AddNullToObject(h, "BlkioDeviceReadIOps");
    cJSON_AddNullToObject(h, "BlkioDeviceWriteIOps");
    cJSON_AddNumberToObject(h, "CpuPeriod", 0);
    cJSON_AddNumberToObject(h, "CpuQuota", 0);
    cJSON_AddNumberToObject(h, "CpuRealtimePeriod", 0);
    cJSON_AddNumberToObject(h, "CpuRealtimeRuntime", 0);
    cJSON_AddStringToObject(h, "CpusetCpus", "");
    cJSON_AddStringToObject(h, "CpusetMems", "");
    cJSON_AddNullToObject(h, "Devices");
    cJSON_AddNullToObject(h, "DeviceCgroupRules");
    cJSON_AddNullToObject(h, "DeviceRequests");
    cJSON_AddNumberToObject(h, "KernelMemory", 0);
    cJSON_AddNumberToObject(h, "KernelMemoryTCP", 0);
    cJSON_AddNumberToObject(h, "MemoryReservation", 0);
    cJSON_AddNumberToObject(h, "MemorySwap", 0);
    cJSON_AddNullToObject(h, "MemorySwappiness");
    cJSON_AddBoolToObject(h, "OomKillDisable", false);
    cJSON_AddNullToObject(h, "Ulimits");
  }
  cJSON *gd = cJSON_AddObjectToObject(out, "GraphDriver");
  if (gd != NULL) {
    cJSON_AddNullToObject(gd, "Data");
    cJSON_AddStringToObject(gd, "Name", "windowsfilter");
  }
  cJSON *mounts = cJSON_AddArrayToObject(out, "Mounts");
  for (const cJSON *b = cJSON_IsArray(binds) ? binds->child : NULL; mounts != NULL && b != NULL; b = b->next) {
    if (cJSON_IsString(b)) cJSON_AddItemToArray(mounts, bind_mount(b->valuestring));
  }

  cJSON *c = cJSON_AddObjectToObject(out, "Config");
  if (c != NULL) {
    char short_id[13];
    snprintf(short_id, sizeof short_id, "%.12s", id);
    cJSON_AddStringToObject(c, "Hostname", str_of(config, "Hostname", short_id));
    cJSON_AddStringToObject(c, "Domainname", "");
    cJSON_AddStringToObject(c, "User", str_of(config, "User", ""));
    cJSON_AddBoolToObject(c, "AttachStdin", false);
    cJSON_AddBoolToObject(c, "AttachStdout", false);
    cJSON_AddBoolToObject(c, "AttachStderr", false);
    cJSON_AddBoolToObject(c, "Tty", bool_of(config, "Tty"));
    cJSON_AddBoolToObject(c, "OpenStdin", bool_of(config, "OpenStdin"));
    cJSON_AddBoolToObject(c, "StdinOnce", bool_of(config, cJSON_GetObjectItemCaseSensitive(config, "StdinOnce") != NULL ? "StdinOnce" : "OpenStdin"));
    cJSON_AddItemToObject(c, "Env", dup_or(cJSON_GetObjectItemCaseSensitive(config, "Env"), cJSON_CreateNull()));
    cJSON_AddItemToObject(c, "Cmd", dup_or(cmd, cJSON_CreateNull()));
    cJSON_AddStringToObject(c, "Image", image);
    cJSON_AddNullToObject(c, "Volumes");
    cJSON_AddStringToObject(c, "WorkingDir", str_of(config, "WorkingDir", ""));
    cJSON_AddItemToObject(c, "Entrypoint", dup_or(cJSON_GetObjectItemCaseSensitive(config, "Entrypoint"), cJSON_CreateNull()));
    cJSON_AddNullToObject(c, "OnBuild");
    cJSON_AddItemToObject(c, "Labels", dup_or(cJSON_GetObjectItemCaseSensitive(config, "Labels"), cJSON_CreateObject()));
    cJSON_AddNumberToObject(c, "StopTimeout", num_of(config, "StopTimeout", SPEC_DEFAULT_STOP_TIMEOUT));
    const cJSON *exposed = cJSON_GetObjectItemCaseSensitive(dc, "ExposedPorts");
    if (exposed != NULL) cJSON_AddItemToObject(c, "ExposedPorts", cJSON_Duplicate(exposed, true));
    const cJSON *mac = cJSON_GetObjectItemCaseSensitive(dc, "MacAddress");
    if (cJSON_IsString(mac)) cJSON_AddStringToObject(c, "MacAddress", mac->valuestring);
  }
  cJSON *ns = d != NULL ? cJSON_DetachItemFromObjectCaseSensitive(d, "NetworkSettings") : NULL;
  cJSON_AddItemToObject(out, "NetworkSettings", ns != NULL ? ns : cJSON_CreateObject());
  cJSON_Delete(d);

  /* What wctr knows beyond Docker's shape: the limits computed and applied, the identity, the runtime's
   * state, the credential spec (redacted), secrets; Docker's clients ignore it. */
  cJSON *w = cJSON_AddObjectToObject(out, "Wctr");
  if (w != NULL) {
    static const char *const mapped[] = {"Id", "Name", "Created", "State", "Config", "HostConfig", "RestartCount", NULL};
    for (const cJSON *item = cJSON_IsObject(rec) ? rec->child : NULL; item != NULL; item = item->next) {
      bool done = false;
      for (size_t i = 0; mapped[i] != NULL && !done; i++) done = strcmp(mapped[i], item->string) == 0;
      if (!done) cJSON_AddItemToObject(w, item->string, cJSON_Duplicate(item, true));
    }
    const cJSON *secrets = cJSON_GetObjectItemCaseSensitive(config, "Secrets");
    if (secrets != NULL) cJSON_AddItemToObject(w, "Secrets", cJSON_Duplicate(secrets, true));
    cJSON_AddBoolToObject(w, "ManuallyStopped", bool_of(state, "ManuallyStopped"));
  }
  return out;
}

/* What a list entry says beyond copies of the summary's fields: "/name" and Docker's Status. */
static void summary_texts(const cJSON *s, int64_t now, char name[200], char status[96]) {
  snprintf(name, 200, "/%s", str_of(s, "Name", ""));
  const char *state = str_of(s, "State", "created");
  char ago[48];
  if (strcmp(state, "running") == 0 || strcmp(state, "paused") == 0) {
    api_human_duration(now - unix_of(str_of(s, "StartedAt", "")), ago, sizeof ago);
    if (strcmp(state, "paused") == 0) snprintf(status, 96, "Up %s (Paused)", ago);
    else snprintf(status, 96, "Up %s", ago);
  } else if (strcmp(state, "exited") == 0) {
    api_human_duration(now - unix_of(str_of(s, "FinishedAt", "")), ago, sizeof ago);
    snprintf(status, 96, "Exited (%lld) %s ago", whole(num_of(s, "ExitCode", 0)), ago);
  } else if (strcmp(state, "removing") == 0) {
    snprintf(status, 96, "Removal In Progress");
  } else {
    snprintf(status, 96, "Created");
  }
}

cJSON *api_shape_summary(const cJSON *s, int64_t now) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL) return NULL;
  char name[200], status[96];
  summary_texts(s, now, name, status);
  cJSON_AddStringToObject(out, "Id", str_of(s, "Id", ""));
  cJSON *names = cJSON_AddArrayToObject(out, "Names");
  if (names != NULL) cJSON_AddItemToArray(names, cJSON_CreateString(name));
  cJSON_AddStringToObject(out, "Image", str_of(s, "Image", ""));
  cJSON_AddStringToObject(out, "ImageID", "");
  cJSON_AddStringToObject(out, "Command", str_of(s, "Command", ""));
  cJSON_AddNumberToObject(out, "Created", (double)unix_of(str_of(s, "Created", "")));
  /* Ports, NetworkMode and Networks are the docker module's (docker/docker.h), from the list entry's NetworkMode,
   * ExposedPorts and Network. */
  cJSON *d = docker_container_summary(s, "");
  cJSON *ports = d != NULL ? cJSON_DetachItemFromObjectCaseSensitive(d, "Ports") : NULL;
  cJSON_AddItemToObject(out, "Ports", ports != NULL ? ports : cJSON_CreateArray());
  static const char *const size_keys[] = {"SizeRw", "SizeRootFs"}; /* ?size=1, omitempty (the docker module's) */
  for (int k = 0; d != NULL && k < 2; k++) {
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(d, size_keys[k]);
    if (v != NULL) cJSON_AddItemToObject(out, size_keys[k], v);
  }
  cJSON_AddItemToObject(out, "Labels", dup_or(cJSON_GetObjectItemCaseSensitive(s, "Labels"), cJSON_CreateObject()));
  cJSON_AddStringToObject(out, "State", str_of(s, "State", "created"));
  cJSON_AddStringToObject(out, "Status", status);
  cJSON *hc = d != NULL ? cJSON_DetachItemFromObjectCaseSensitive(d, "HostConfig") : NULL;
  cJSON_AddItemToObject(out, "HostConfig", hc != NULL ? hc : cJSON_CreateObject());
  cJSON *ns = d != NULL ? cJSON_DetachItemFromObjectCaseSensitive(d, "NetworkSettings") : NULL;
  cJSON_AddItemToObject(out, "NetworkSettings", ns != NULL ? ns : cJSON_CreateObject());
  cJSON_Delete(d);
  cJSON_AddArrayToObject(out, "Mounts");
  return out;
}

/* --- the list as text ---------------------------------------------------------------------------------------------- */

/* A growing buffer; a failed allocation sticks (failed) and the result is dropped. */
typedef struct text_buf {
  char *data;
  size_t len, cap;
  bool failed;
} text_buf;

static void put(text_buf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap > 0 ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) {
      b->failed = true;
      return;
    }
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void put_text(text_buf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string as wctr_json_print prints one (common/json.h): ", \ and the control characters escaped (\b \f
 * \n \r \t, else \u00xx), a byte that is not UTF-8 as \ufffd, every other byte as it is. */
static void put_string(text_buf *b, const char *s) {
  put(b, "\"", 1);
  const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
  const unsigned char *run = p;
  while (*p != '\0') {
    if (*p >= 0x80) {
      size_t n = wctr_utf8_seq((const char *)p, strlen((const char *)p));
      if (n > 0) {
        p += n;
        continue;
      }
      put(b, (const char *)run, (size_t)(p - run));
      put(b, "\\ufffd", 6);
      run = ++p;
      continue;
    }
    if (*p >= 32 && *p != '"' && *p != '\\') {
      p++;
      continue;
    }
    put(b, (const char *)run, (size_t)(p - run));
    char esc[8];
    switch (*p) {
      case '"': put(b, "\\\"", 2); break;
      case '\\': put(b, "\\\\", 2); break;
      case '\b': put(b, "\\b", 2); break;
      case '\f': put(b, "\\f", 2); break;
      case '\n': put(b, "\\n", 2); break;
      case '\r': put(b, "\\r", 2); break;
      case '\t': put(b, "\\t", 2); break;
      default:
        snprintf(esc, sizeof esc, "\\u%04x", *p);
        put(b, esc, 6);
        break;
    }
    run = ++p;
  }
  put(b, (const char *)run, (size_t)(p - run));
  put(b, "\"", 1);
}

/* Any JSON value, through wctr_json_print (the rare labels that are not an object of strings). */
static void put_json(text_buf *b, const cJSON *v) {
  char *text = wctr_json_print(v);
  if (text == NULL) {
    b->failed = true;
    return;
  }
  put_text(b, text);
  cJSON_free(text);
}

static void put_labels(text_buf *b, const cJSON *labels) {
  if (labels == NULL) {
    put(b, "{}", 2);
    return;
  }
  bool plain = cJSON_IsObject(labels);
  for (const cJSON *l = plain ? labels->child : NULL; l != NULL; l = l->next) {
    plain = plain && cJSON_IsString(l) && l->string != NULL;
  }
  if (!plain) {
    put_json(b, labels);
    return;
  }
  put(b, "{", 1);
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (l != labels->child) put(b, ",", 1);
    put_string(b, l->string);
    put(b, ":", 1);
    put_string(b, l->valuestring);
  }
  put(b, "}", 1);
}

char *api_shape_summaries_text(const cJSON *const *items, size_t count, int64_t now, size_t *len) {
  text_buf b = {0};
  put(&b, "[", 1);
  for (size_t i = 0; i < count; i++) {
    const cJSON *s = items[i];
    char name[200], status[96], created[32];
    summary_texts(s, now, name, status);
    snprintf(created, sizeof created, "%lld", (long long)unix_of(str_of(s, "Created", "")));
    put_text(&b, i > 0 ? ",{\"Id\":" : "{\"Id\":");
    put_string(&b, str_of(s, "Id", ""));
    put_text(&b, ",\"Names\":[");
    put_string(&b, name);
    put_text(&b, "],\"Image\":");
    put_string(&b, str_of(s, "Image", ""));
    put_text(&b, ",\"ImageID\":\"\",\"Command\":");
    put_string(&b, str_of(s, "Command", ""));
    put_text(&b, ",\"Created\":");
    put_text(&b, created);
    /* Ports, HostConfig and NetworkSettings are small: the docker module's trees, printed (as api_shape_summary
     * takes them). The labels, which can be megabytes, are written directly. */
    cJSON *d = docker_container_summary(s, ""); /* NULL (not an object): the defaults, as api_shape_summary */
    const cJSON *ports = cJSON_GetObjectItemCaseSensitive(d, "Ports");
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(d, "HostConfig");
    const cJSON *ns = cJSON_GetObjectItemCaseSensitive(d, "NetworkSettings");
    put_text(&b, ",\"Ports\":");
    if (ports != NULL) {
      put_json(&b, ports);
    } else {
      put_text(&b, "[]");
    }
    /* ?size=1: what container.list measured (Docker's omitempty, as the docker module shapes them). */
    static const char *const size_keys[] = {"SizeRw", "SizeRootFs"};
    for (int k = 0; k < 2; k++) {
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, size_keys[k]);
      if (!cJSON_IsNumber(v)) continue;
      char num[64];
      snprintf(num, sizeof num, ",\"%s\":%.0f", size_keys[k], v->valuedouble);
      put_text(&b, num);
    }
    put_text(&b, ",\"Labels\":");
    put_labels(&b, cJSON_GetObjectItemCaseSensitive(s, "Labels"));
    put_text(&b, ",\"State\":");
    put_string(&b, str_of(s, "State", "created"));
    put_text(&b, ",\"Status\":");
    put_string(&b, status);
    put_text(&b, ",\"HostConfig\":");
    if (hc != NULL) {
      put_json(&b, hc);
    } else {
      put_text(&b, "{}");
    }
    put_text(&b, ",\"NetworkSettings\":");
    if (ns != NULL) {
      put_json(&b, ns);
    } else {
      put_text(&b, "{}");
    }
    put_text(&b, ",\"Mounts\":[]}");
    cJSON_Delete(d);
  }
  put(&b, "]\n", 2);
  if (b.failed) {
    free(b.data);
    return NULL;
  }
  *len = b.len;
  return b.data;
}

/* Any value of a filter key matches (Docker: values of one key are alternatives; keys must all match). */
static bool any_value(const cJSON *filters, const char *key, bool (*fn)(const cJSON *obj, const char *value),
                      const cJSON *obj) {
  const cJSON *values = cJSON_GetObjectItemCaseSensitive(filters, key);
  if (!cJSON_IsArray(values) || values->child == NULL) return true;
  const cJSON *v;
  cJSON_ArrayForEach(v, values) {
    if (cJSON_IsString(v) && fn(obj, v->valuestring)) return true;
  }
  return false;
}

static bool m_id(const cJSON *s, const char *v) { return strncmp(str_of(s, "Id", ""), v, strlen(v)) == 0; }
static bool m_name(const cJSON *s, const char *v) {
  const char *n = str_of(s, "Name", "");
  if (v[0] == '/') v++;
  return strstr(n, v) != NULL;
}
static bool m_status(const cJSON *s, const char *v) { return strcmp(str_of(s, "State", ""), v) == 0; }
static bool m_exited(const cJSON *s, const char *v) {
  char *end = NULL;
  long long code = strtoll(v, &end, 10);
  return strcmp(str_of(s, "State", ""), "exited") == 0 && end != NULL && *end == '\0' && num_of(s, "ExitCode", 0) == (double)code;
}
static bool m_ancestor(const cJSON *s, const char *v) {
  const char *img = str_of(s, "Image", "");
  size_t n = strlen(v);
  return strcmp(img, v) == 0 || (strncmp(img, v, n) == 0 && strcmp(img + n, ":latest") == 0);
}
static bool m_isolation(const cJSON *s, const char *v) { return strcmp(str_of(s, "Isolation", ""), v) == 0; }
/* container.list's "Health" (starting, healthy, unhealthy) once a healthcheck has a status; none without. */
static bool m_health(const cJSON *s, const char *v) { return strcmp(str_of(s, "Health", "none"), v) == 0; }
/* No container is a swarm task. */
static bool m_is_task(const cJSON *s, const char *v) {
  (void)s;
  return strcmp(v, "false") == 0;
}

bool api_shape_summary_matches(const cJSON *s, const cJSON *filters) {
  return any_value(filters, "id", m_id, s) && any_value(filters, "name", m_name, s) &&
         any_value(filters, "status", m_status, s) && any_value(filters, "exited", m_exited, s) &&
         any_value(filters, "ancestor", m_ancestor, s) && any_value(filters, "isolation", m_isolation, s) &&
         any_value(filters, "health", m_health, s) && any_value(filters, "is-task", m_is_task, s);
}

/* --- stats and events ------------------------------------------------------------------------------------------------ */

static cJSON *cpu_usage(double total) {
  cJSON *c = cJSON_CreateObject();
  cJSON *u = cJSON_AddObjectToObject(c, "cpu_usage");
  if (u != NULL) {
    cJSON_AddNumberToObject(u, "total_usage", total);
    cJSON_AddNumberToObject(u, "usage_in_kernelmode", 0);
    cJSON_AddNumberToObject(u, "usage_in_usermode", 0);
  }
  cJSON *t = cJSON_AddObjectToObject(c, "throttling_data");
  if (t != NULL) {
    cJSON_AddNumberToObject(t, "periods", 0);
    cJSON_AddNumberToObject(t, "throttled_periods", 0);
    cJSON_AddNumberToObject(t, "throttled_time", 0);
  }
  return c;
}

cJSON *api_shape_stats(const cJSON *s, int host_cpus, const char *read, const char *preread) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL) return NULL;
  char name[200];
  snprintf(name, sizeof name, "/%s", str_of(s, "Name", ""));
  cJSON_AddStringToObject(out, "read", read);
  cJSON_AddStringToObject(out, "preread", preread);
  cJSON *pids = cJSON_AddObjectToObject(out, "pids_stats");
  if (pids != NULL) cJSON_AddNumberToObject(pids, "current", num_of(s, "Processes", 0));
  cJSON_AddObjectToObject(out, "blkio_stats");
  /* Docker's Windows CPU %: (total - pretotal) / ((read - preread) in 100 ns * num_procs). */
  cJSON_AddNumberToObject(out, "num_procs", host_cpus);
  cJSON *storage = cJSON_AddObjectToObject(out, "storage_stats");
  if (storage != NULL) {
    cJSON_AddNumberToObject(storage, "read_count_normalized", 0);
    cJSON_AddNumberToObject(storage, "read_size_bytes", num_of(s, "ReadBytes", 0));
    cJSON_AddNumberToObject(storage, "write_count_normalized", 0);
    cJSON_AddNumberToObject(storage, "write_size_bytes", num_of(s, "WriteBytes", 0));
  }
  cJSON_AddItemToObject(out, "cpu_stats", cpu_usage(num_of(s, "CpuTotal100ns", 0)));
  cJSON_AddItemToObject(out, "precpu_stats", cpu_usage(num_of(s, "PreCpuTotal100ns", 0)));
  cJSON *mem = cJSON_AddObjectToObject(out, "memory_stats");
  if (mem != NULL) {
    cJSON_AddNumberToObject(mem, "commitbytes", num_of(s, "MemoryUsage", 0));
    cJSON_AddNumberToObject(mem, "commitpeakbytes", num_of(s, "MemoryPeak", 0));
    cJSON_AddNumberToObject(mem, "privateworkingset", num_of(s, "MemoryUsage", 0));
    cJSON_AddNumberToObject(mem, "limit", num_of(s, "MemoryLimit", 0));
  }
  cJSON_AddStringToObject(out, "name", name);
  cJSON_AddStringToObject(out, "id", str_of(s, "Id", ""));
  return out;
}

cJSON *api_shape_event(const cJSON *f, const cJSON *attrs) {
  /* The message as `wctr events` shows it (docker_event: the frame's attributes, name, exitCode), then what the
   * front-end learnt of the container: its labels under those, its image over them, and the deprecated from. */
  cJSON *empty = cJSON_IsObject(f) ? NULL : cJSON_CreateObject(); /* a frame that is no object: an empty one's */
  cJSON *out = docker_event(empty != NULL ? empty : f);
  cJSON_Delete(empty);
  if (out == NULL) return NULL;
  cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "Actor"), "Attributes");
  const char *image = str_of(attrs, "Image", "");
  const cJSON *labels = cJSON_GetObjectItemCaseSensitive(attrs, "Labels");
  if (!cJSON_IsObject(labels)) labels = NULL;
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (a != NULL && cJSON_IsString(l) && l->string != NULL && cJSON_GetObjectItemCaseSensitive(a, l->string) == NULL) {
      cJSON_AddStringToObject(a, l->string, l->valuestring);
    }
  }
  if (a != NULL && image[0] != '\0') {
    cJSON_DeleteItemFromObjectCaseSensitive(a, "image");
    cJSON_AddStringToObject(a, "image", image);
  }
  /* dockerd fills the deprecated status, id and from for containers and images only (docker_event the first two). */
  if (cJSON_GetObjectItemCaseSensitive(out, "status") != NULL) cJSON_AddStringToObject(out, "from", image);
  return out;
}

/* Docker's filter matching (its filters.Args): ExactMatch and FuzzyMatch pass when the key has no values. */
static bool exact_match(const cJSON *filters, const char *key, const char *source) {
  const cJSON *values = cJSON_GetObjectItemCaseSensitive(filters, key);
  if (!cJSON_IsArray(values) || values->child == NULL) return true;
  const cJSON *v;
  cJSON_ArrayForEach(v, values) {
    if (cJSON_IsString(v) && strcmp(v->valuestring, source) == 0) return true;
  }
  return false;
}

static bool fuzzy_match(const cJSON *filters, const char *key, const char *source) {
  const cJSON *values = cJSON_GetObjectItemCaseSensitive(filters, key);
  if (!cJSON_IsArray(values) || values->child == NULL) return true;
  const cJSON *v;
  cJSON_ArrayForEach(v, values) {
    if (cJSON_IsString(v) && strncmp(source, v->valuestring, strlen(v->valuestring)) == 0) return true;
  }
  return false;
}

/* Values of "key" in a filter set, as given (NULL when none). */
static const cJSON *values_of(const cJSON *filters, const char *key) {
  const cJSON *values = cJSON_GetObjectItemCaseSensitive(filters, key);
  return cJSON_IsArray(values) && values->child != NULL ? values : NULL;
}

bool api_shape_labels_match(const cJSON *filters, const char *key, const cJSON *labels) {
  const cJSON *values = values_of(filters, key);
  if (values == NULL) return true;
  if (!cJSON_IsObject(labels) || labels->child == NULL) return false;
  const cJSON *v;
  cJSON_ArrayForEach(v, values) {
    if (!cJSON_IsString(v)) return false;
    const char *eq = strchr(v->valuestring, '=');
    size_t kn = eq != NULL ? (size_t)(eq - v->valuestring) : strlen(v->valuestring);
    const cJSON *found = NULL;
    const cJSON *l;
    cJSON_ArrayForEach(l, labels) {
      if (l->string != NULL && strlen(l->string) == kn && strncmp(l->string, v->valuestring, kn) == 0) found = l;
    }
    if (found == NULL) return false;
    if (eq != NULL && !(cJSON_IsString(found) && strcmp(found->valuestring, eq + 1) == 0)) return false;
  }
  return true;
}

/* An image reference without its tag or digest, and without Docker Hub's default prefixes ("docker.io/library/x:1"
 * -> "x"): what dockerd's stripTag compares. */
static void strip_tag(const char *ref, char *out, size_t size) {
  snprintf(out, size, "%s", ref);
  char *at = strchr(out, '@');
  if (at != NULL) *at = '\0';
  char *slash = strrchr(out, '/');
  char *colon = strrchr(out, ':');
  if (colon != NULL && (slash == NULL || colon > slash)) *colon = '\0';
  static const char *const prefixes[] = {"docker.io/library/", "index.docker.io/library/", "docker.io/",
                                         "index.docker.io/", "library/", NULL};
  for (size_t i = 0; prefixes[i] != NULL; i++) {
    size_t n = strlen(prefixes[i]);
    if (strncmp(out, prefixes[i], n) == 0 && out[n] != '\0') {
      memmove(out, out + n, strlen(out + n) + 1);
      break;
    }
  }
}

bool api_shape_event_matches(const cJSON *ev, const cJSON *filters) {
  const char *action = str_of(ev, "Action", "");
  const cJSON *actor = cJSON_GetObjectItemCaseSensitive(ev, "Actor");
  const char *id = str_of(actor, "ID", "");
  const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
  const char *name = str_of(attrs, "name", "");
  const char *type = str_of(ev, "Type", "");
  /* event: exact, except that health_status, exec_create and exec_start also match their "...: detail" forms. */
  bool fuzzy_event = false;
  const cJSON *v;
  cJSON_ArrayForEach(v, values_of(filters, "event")) {
    if (cJSON_IsString(v) && (strcmp(v->valuestring, "health_status") == 0 || strcmp(v->valuestring, "exec_create") == 0 ||
                              strcmp(v->valuestring, "exec_start") == 0)) {
      fuzzy_event = true;
    }
  }
  if (!(fuzzy_event ? fuzzy_match(filters, "event", action) : exact_match(filters, "event", action))) return false;
  if (!exact_match(filters, "type", type) || !exact_match(filters, "scope", str_of(ev, "scope", ""))) return false;
  /* Each object kind's filter is dockerd's fuzzy match on the actor's id or name, whatever the event's type. */
  static const char *const by_name[] = {"daemon", "container", "plugin", "volume", "network", "service", "node",
                                        "secret", "config", NULL};
  for (size_t i = 0; by_name[i] != NULL; i++) {
    if (!fuzzy_match(filters, by_name[i], id) && !fuzzy_match(filters, by_name[i], name)) return false;
  }
  const char *image = str_of(attrs, strcmp(type, "image") == 0 ? "name" : "image", "");
  char id_stripped[256], image_stripped[256];
  strip_tag(id, id_stripped, sizeof id_stripped);
  strip_tag(image, image_stripped, sizeof image_stripped);
  if (!exact_match(filters, "image", id) && !exact_match(filters, "image", image) &&
      !exact_match(filters, "image", id_stripped) && !exact_match(filters, "image", image_stripped)) {
    return false;
  }
  return api_shape_labels_match(filters, "label", attrs);
}

/* --- Go durations, and dockerd's "until" ----------------------------------------------------------------------------- */

bool api_parse_go_duration(const char *text, int64_t *nanos) {
  static const struct {
    const char *unit;
    double ns;
  } units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6}, {"s", 1e9},
               {"m", 60e9}, {"h", 3600e9}};
  const char *p = text;
  if (p == NULL || *p == '\0') return false;
  bool neg = *p == '-';
  if (*p == '-' || *p == '+') p++;
  if (strcmp(p, "0") == 0) {
    *nanos = 0;
    return true;
  }
  if (*p == '\0') return false;
  double total = 0;
  while (*p != '\0') {
    double value = 0, scale = 1;
    bool digits = false;
    for (; *p >= '0' && *p <= '9'; p++) {
      value = value * 10 + (*p - '0');
      digits = true;
    }
    if (*p == '.') {
      for (p++; *p >= '0' && *p <= '9'; p++) {
        scale /= 10;
        value += (*p - '0') * scale;
        digits = true;
      }
    }
    if (!digits) return false;
    size_t best = 0;
    double unit = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
      size_t n = strlen(units[i].unit);
      /* The longest unit that matches ("ms" before "m"). */
      if (n > best && strncmp(p, units[i].unit, n) == 0) {
        best = n;
        unit = units[i].ns;
      }
    }
    if (best == 0) return false; /* Go: a duration's units are required */
    p += best;
    total += value * unit;
    if (total > 9.2e18) return false; /* beyond int64 nanoseconds, as Go refuses */
  }
  *nanos = (int64_t)(neg ? -total : total);
  return true;
}

bool api_parse_until(const char *text, int64_t now, int64_t *seconds) {
  int64_t d = 0;
  /* dockerd's GetTimestamp: a Go duration counts back from now ("0" is a time, not a duration). */
  if (text != NULL && strcmp(text, "0") != 0 && api_parse_go_duration(text, &d)) {
    *seconds = now - d / 1000000000;
    return true;
  }
  char log[40];
  char padded[40];
  /* A date alone, or a time without a zone, is read as UTC (dockerd reads it in its own time zone, which for a
   * Windows service is usually the host's: documented in docs/engine-api.md). */
  if (text != NULL && strlen(text) == 10 && text[4] == '-' && text[7] == '-') {
    snprintf(padded, sizeof padded, "%sT00:00:00Z", text);
    text = padded;
  } else if (text != NULL && strlen(text) == 19 && text[10] == 'T') {
    snprintf(padded, sizeof padded, "%sZ", text);
    text = padded;
  }
  int64_t s = 0, ns = 0;
  if (text == NULL || !api_time_to_log(text, log) || !api_parse_time(log, &s, &ns)) return false;
  *seconds = s;
  return true;
}

/* --- images ------------------------------------------------------------------------------------------------------------- */

/* A record of the content store (pulled or loaded) has its content id, "sha256:" and 64 hex digits; an `image add`
 * record has "Id" "" or none. */
static bool store_image(const cJSON *image) {
  const char *id = str_of(image, "Id", "");
  if (strncmp(id, "sha256:", 7) != 0 || strlen(id) != 71) return false;
  for (const char *c = id + 7; *c != '\0'; c++) {
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) return false;
  }
  return true;
}

void api_shape_image_id(const cJSON *image, char out[80]) {
  if (store_image(image)) {
    snprintf(out, 80, "%s", str_of(image, "Id", ""));
    return;
  }
  char hex[65];
  size_t n = 0;
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(image, "Layers");
  /* The layer GUIDs' hex digits, top layer first, repeated to 64: stable for the image, unique as its layers. */
  for (int round = 0; round < 64 && n < 64; round++) {
    size_t before = n;
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
      const char *g = str_of(l, "Id", "");
      for (; *g != '\0' && n < 64; g++) {
        if ((*g >= '0' && *g <= '9') || (*g >= 'a' && *g <= 'f')) hex[n++] = *g;
        else if (*g >= 'A' && *g <= 'F') hex[n++] = (char)(*g - 'A' + 'a');
      }
    }
    if (n == before) break;
  }
  while (n < 64) hex[n++] = '0';
  hex[64] = '\0';
  snprintf(out, 80, "sha256:%s", hex);
}

static cJSON *strings_or_empty(const cJSON *a) {
  return cJSON_IsArray(a) ? cJSON_Duplicate(a, true) : cJSON_CreateArray();
}

/* The store's summary (img_store_list) as Docker's ImageSummary. */
static cJSON *store_image_summary(const cJSON *image) {
  cJSON *out = cJSON_CreateObject();
  if (out == NULL) return NULL;
  const cJSON *size = cJSON_GetObjectItemCaseSensitive(image, "Size");
  double bytes = cJSON_IsNumber(size) ? size->valuedouble : 0;
  cJSON_AddNumberToObject(out, "Containers", -1);
  cJSON_AddNumberToObject(out, "Created", (double)unix_of(str_of(image, "Created", "")));
  cJSON_AddStringToObject(out, "Id", str_of(image, "Id", ""));
  cJSON_AddNullToObject(out, "Labels");
  cJSON_AddStringToObject(out, "ParentId", "");
  cJSON_AddItemToObject(out, "RepoDigests", strings_or_empty(cJSON_GetObjectItemCaseSensitive(image, "RepoDigests")));
  cJSON_AddItemToObject(out, "RepoTags", strings_or_empty(cJSON_GetObjectItemCaseSensitive(image, "RepoTags")));
  cJSON_AddNumberToObject(out, "SharedSize", -1);
  cJSON_AddNumberToObject(out, "Size", bytes);
  cJSON_AddNumberToObject(out, "VirtualSize", bytes);
  return out;
}

cJSON *api_shape_image_summary(const cJSON *image) {
  if (store_image(image)) return store_image_summary(image);
  cJSON *out = cJSON_CreateObject();
  if (out == NULL) return NULL;
  char id[80];
  api_shape_image_id(image, id);
  cJSON_AddNumberToObject(out, "Containers", -1);
  cJSON_AddNumberToObject(out, "Created", (double)unix_of(str_of(image, "Created", "")));
  cJSON_AddStringToObject(out, "Id", id);
  cJSON_AddNullToObject(out, "Labels");
  cJSON_AddStringToObject(out, "ParentId", "");
  cJSON_AddArrayToObject(out, "RepoDigests");
  cJSON *tags = cJSON_AddArrayToObject(out, "RepoTags");
  if (tags != NULL) cJSON_AddItemToArray(tags, cJSON_CreateString(str_of(image, "Name", "")));
  cJSON_AddNumberToObject(out, "SharedSize", -1);
  cJSON_AddNumberToObject(out, "Size", 0);
  cJSON_AddNumberToObject(out, "VirtualSize", 0);
  return out;
}

cJSON *api_shape_image_inspect(const cJSON *image) {
  /* The store's record carries Docker's keys; docker/ gives them Docker's order and zero values (as `wctr image
   * inspect` does). */
  if (store_image(image)) return docker_image_inspect(image);
  cJSON *out = cJSON_CreateObject();
  if (out == NULL) return NULL;
  char id[80];
  api_shape_image_id(image, id);
  cJSON_AddStringToObject(out, "Id", id);
  cJSON *tags = cJSON_AddArrayToObject(out, "RepoTags");
  if (tags != NULL) cJSON_AddItemToArray(tags, cJSON_CreateString(str_of(image, "Name", "")));
  cJSON_AddArrayToObject(out, "RepoDigests");
  cJSON_AddStringToObject(out, "Parent", "");
  cJSON_AddStringToObject(out, "Comment", "");
  cJSON_AddStringToObject(out, "Created", str_of(image, "Created", ZERO_TIME));
  cJSON_AddStringToObject(out, "Container", "");
  cJSON_AddObjectToObject(out, "ContainerConfig");
  cJSON_AddStringToObject(out, "DockerVersion", "");
  cJSON_AddStringToObject(out, "Author", "");
  cJSON *c = cJSON_AddObjectToObject(out, "Config");
  if (c != NULL) {
    cJSON_AddStringToObject(c, "Hostname", "");
    cJSON_AddStringToObject(c, "Domainname", "");
    cJSON_AddStringToObject(c, "User", str_of(image, "User", ""));
    cJSON_AddBoolToObject(c, "AttachStdin", false);
    cJSON_AddBoolToObject(c, "AttachStdout", false);
    cJSON_AddBoolToObject(c, "AttachStderr", false);
    cJSON_AddBoolToObject(c, "Tty", false);
    cJSON_AddBoolToObject(c, "OpenStdin", false);
    cJSON_AddBoolToObject(c, "StdinOnce", false);
    cJSON_AddNullToObject(c, "Env");
    cJSON_AddItemToObject(c, "Cmd", dup_or(cJSON_GetObjectItemCaseSensitive(image, "Cmd"), cJSON_CreateNull()));
    cJSON_AddStringToObject(c, "Image", "");
    cJSON_AddNullToObject(c, "Volumes");
    cJSON_AddStringToObject(c, "WorkingDir", "");
    cJSON_AddNullToObject(c, "Entrypoint");
    cJSON_AddNullToObject(c, "OnBuild");
    cJSON_AddNullToObject(c, "Labels");
  }
  cJSON_AddStringToObject(out, "Architecture", "amd64");
  cJSON_AddStringToObject(out, "Os", "windows");
  cJSON_AddStringToObject(out, "OsVersion", str_of(image, "OsVersion", ""));
  cJSON_AddNumberToObject(out, "Size", 0);
  cJSON_AddNumberToObject(out, "VirtualSize", 0);
  cJSON *gd = cJSON_AddObjectToObject(out, "GraphDriver");
  if (gd != NULL) {
    cJSON *data = cJSON_AddObjectToObject(gd, "Data");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(image, "Layers");
    if (data != NULL && cJSON_IsArray(layers) && layers->child != NULL) {
      cJSON_AddStringToObject(data, "dir", str_of(layers->child, "Path", ""));
    }
    cJSON_AddStringToObject(gd, "Name", "windowsfilter");
  }
  cJSON *rootfs = cJSON_AddObjectToObject(out, "RootFS");
  if (rootfs != NULL) {
    cJSON_AddStringToObject(rootfs, "Type", "layers");
    cJSON_AddArrayToObject(rootfs, "Layers");
  }
  cJSON *meta = cJSON_AddObjectToObject(out, "Metadata");
  if (meta != NULL) cJSON_AddStringToObject(meta, "LastTagTime", ZERO_TIME);
  return out;
}
