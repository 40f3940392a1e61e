/* service/engine_api_system.c - /_ping, /version, /info, /events and /system/df (service/engine_api.h,
 * engine_api_internal.h). Portable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "service/engine_api_internal.h"

static int64_t now_unix(void) { return (int64_t)time(NULL); }

static const char *str_of(const cJSON *obj, const char *key, const char *def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : def;
}

/* --- /_ping -------------------------------------------------------------------------------------------------------- */

void api_ping(api_req *r) {
  static const char headers[] = "Builder-Version: \r\nCache-Control: no-cache, no-store, must-revalidate\r\n"
                                "Pragma: no-cache\r\n";
  bool head = strcmp(r->hr->method, "HEAD") == 0;
  api_reply_with(r, 200, headers, "text/plain; charset=utf-8", head ? "" : "OK", head ? 0 : 2);
}

/* --- /version ------------------------------------------------------------------------------------------------------- */

static void version_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  const char *version = str_of(result, "Version", WCTR_VERSION);
  const char *kernel = r->api->host.os_version;
  cJSON *v = cJSON_CreateObject();
  cJSON *platform = cJSON_AddObjectToObject(v, "Platform");
  if (platform != NULL) cJSON_AddStringToObject(platform, "Name", "wctr");
  cJSON *components = cJSON_AddArrayToObject(v, "Components");
  cJSON *engine = cJSON_CreateObject();
  if (engine != NULL) {
    cJSON_AddStringToObject(engine, "Name", "Engine");
    cJSON_AddStringToObject(engine, "Version", version);
    cJSON *d = cJSON_AddObjectToObject(engine, "Details");
    if (d != NULL) {
      cJSON_AddStringToObject(d, "ApiVersion", API_VERSION_TEXT);
      cJSON_AddStringToObject(d, "Arch", "amd64");
      cJSON_AddStringToObject(d, "BuildTime", "");
      cJSON_AddStringToObject(d, "Experimental", "false");
      cJSON_AddStringToObject(d, "GitCommit", "");
      cJSON_AddStringToObject(d, "GoVersion", "");
      cJSON_AddStringToObject(d, "KernelVersion", kernel);
      cJSON_AddStringToObject(d, "MinAPIVersion", API_MIN_VERSION_TEXT);
      cJSON_AddStringToObject(d, "Os", "windows");
    }
    cJSON_AddItemToArray(components, engine);
  }
  cJSON_AddStringToObject(v, "Version", version);
  cJSON_AddStringToObject(v, "ApiVersion", API_VERSION_TEXT);
  cJSON_AddStringToObject(v, "MinAPIVersion", API_MIN_VERSION_TEXT);
  cJSON_AddStringToObject(v, "GitCommit", "");
  cJSON_AddStringToObject(v, "GoVersion", "");
  cJSON_AddStringToObject(v, "Os", "windows");
  cJSON_AddStringToObject(v, "Arch", "amd64");
  cJSON_AddStringToObject(v, "KernelVersion", kernel);
  cJSON_AddStringToObject(v, "BuildTime", "");
  api_reply_json(r, 200, v);
}

void api_version(api_req *r) { api_call(r, "version", NULL, false, version_done); }

/* --- /info ---------------------------------------------------------------------------------------------------------- */

typedef struct info_state {
  cJSON *info;       /* the info operation's answer */
  int containers, running, paused, stopped;
} info_state;

static void info_state_free(void *p) {
  info_state *s = p;
  if (s == NULL) return;
  cJSON_Delete(s->info);
  free(s);
}

static cJSON *empty_array_object(const char *const *keys) {
  cJSON *o = cJSON_CreateObject();
  for (size_t i = 0; o != NULL && keys[i] != NULL; i++) cJSON_AddArrayToObject(o, keys[i]);
  return o;
}

static void info_images(api_req *r, wctr_err err, cJSON *result, const char *message) {
  info_state *s = r->state;
  (void)message;
  int images = err == WCTR_OK && cJSON_IsArray(result) ? cJSON_GetArraySize(result) : 0;
  const cJSON *in = s->info;
  const cJSON *iso = cJSON_GetObjectItemCaseSensitive(in, "Isolation");
  const svc_engine_api_host *h = &r->api->host;
  char now[40];
  api_log_time(now_unix(), 0, now);
  cJSON *o = cJSON_CreateObject();
  if (o == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  cJSON_AddStringToObject(o, "ID", "");
  cJSON_AddNumberToObject(o, "Containers", s->containers);
  cJSON_AddNumberToObject(o, "ContainersRunning", s->running);
  cJSON_AddNumberToObject(o, "ContainersPaused", s->paused);
  cJSON_AddNumberToObject(o, "ContainersStopped", s->stopped);
  cJSON_AddNumberToObject(o, "Images", images);
  cJSON_AddStringToObject(o, "Driver", "windowsfilter");
  cJSON_AddArrayToObject(o, "DriverStatus");
  static const char *const plugin_keys[] = {"Volume", "Network", "Log", NULL};
  cJSON *plugins = empty_array_object(plugin_keys);
  cJSON *log = cJSON_GetObjectItemCaseSensitive(plugins, "Log");
  if (log != NULL) cJSON_AddItemToArray(log, cJSON_CreateString("json-file"));
  cJSON_AddNullToObject(plugins, "Authorization");
  cJSON_AddItemToObject(o, "Plugins", plugins);
  cJSON_AddBoolToObject(o, "MemoryLimit", true);
  cJSON_AddBoolToObject(o, "SwapLimit", false);
  cJSON_AddBoolToObject(o, "KernelMemory", false);
  cJSON_AddBoolToObject(o, "KernelMemoryTCP", false);
  cJSON_AddBoolToObject(o, "CpuCfsPeriod", false);
  cJSON_AddBoolToObject(o, "CpuCfsQuota", false);
  cJSON_AddBoolToObject(o, "CPUShares", true);
  cJSON_AddBoolToObject(o, "CPUSet", false);
  cJSON_AddBoolToObject(o, "PidsLimit", true);
  cJSON_AddBoolToObject(o, "IPv4Forwarding", false);
  cJSON_AddBoolToObject(o, "BridgeNfIptables", false);
  cJSON_AddBoolToObject(o, "BridgeNfIp6tables", false);
  cJSON_AddBoolToObject(o, "Debug", false);
  cJSON_AddNumberToObject(o, "NFd", -1);
  cJSON_AddBoolToObject(o, "OomKillDisable", false);
  cJSON_AddNumberToObject(o, "NGoroutines", -1);
  cJSON_AddStringToObject(o, "SystemTime", now);
  cJSON_AddStringToObject(o, "LoggingDriver", "json-file");
  cJSON_AddStringToObject(o, "CgroupDriver", "");
  cJSON_AddStringToObject(o, "CgroupVersion", "");
  cJSON_AddNumberToObject(o, "NEventsListener", 0);
  cJSON_AddStringToObject(o, "KernelVersion", h->os_version);
  cJSON_AddStringToObject(o, "OperatingSystem", str_of(in, "OperatingSystem", "Windows"));
  cJSON_AddStringToObject(o, "OSVersion", str_of(in, "OSVersion", h->os_version));
  cJSON_AddStringToObject(o, "OSType", "windows");
  cJSON_AddStringToObject(o, "Architecture", "x86_64");
  cJSON_AddStringToObject(o, "IndexServerAddress", "https://index.docker.io/v1/");
  cJSON *reg = cJSON_AddObjectToObject(o, "RegistryConfig");
  if (reg != NULL) {
    cJSON_AddArrayToObject(reg, "AllowNondistributableArtifactsCIDRs");
    cJSON_AddArrayToObject(reg, "AllowNondistributableArtifactsHostnames");
    cJSON_AddArrayToObject(reg, "InsecureRegistryCIDRs");
    cJSON_AddObjectToObject(reg, "IndexConfigs");
    cJSON_AddArrayToObject(reg, "Mirrors");
  }
  cJSON_AddNumberToObject(o, "NCPU", h->host_cpus);
  cJSON_AddNumberToObject(o, "MemTotal", (double)h->mem_total);
  cJSON_AddNullToObject(o, "GenericResources");
  cJSON_AddStringToObject(o, "DockerRootDir", str_of(in, "DataRoot", h->data_root));
  cJSON_AddStringToObject(o, "HttpProxy", "");
  cJSON_AddStringToObject(o, "HttpsProxy", "");
  cJSON_AddStringToObject(o, "NoProxy", "");
  cJSON_AddStringToObject(o, "Name", h->hostname);
  cJSON_AddArrayToObject(o, "Labels");
  cJSON_AddBoolToObject(o, "ExperimentalBuild", false);
  cJSON_AddStringToObject(o, "ServerVersion", str_of(in, "ServerVersion", WCTR_VERSION));
  cJSON_AddObjectToObject(o, "Runtimes");
  cJSON_AddStringToObject(o, "DefaultRuntime", "");
  cJSON *swarm = cJSON_AddObjectToObject(o, "Swarm");
  if (swarm != NULL) {
    cJSON_AddStringToObject(swarm, "NodeID", "");
    cJSON_AddStringToObject(swarm, "NodeAddr", "");
    cJSON_AddStringToObject(swarm, "LocalNodeState", "inactive");
    cJSON_AddBoolToObject(swarm, "ControlAvailable", false);
    cJSON_AddStringToObject(swarm, "Error", "");
    cJSON_AddNullToObject(swarm, "RemoteManagers");
  }
  cJSON_AddBoolToObject(o, "LiveRestoreEnabled", false);
  cJSON_AddStringToObject(o, "Isolation", str_of(iso, "Default", "process"));
  cJSON_AddStringToObject(o, "InitBinary", "");
  static const char *const commits[] = {"ContainerdCommit", "RuncCommit", "InitCommit", NULL};
  for (size_t i = 0; commits[i] != NULL; i++) {
    cJSON *c = cJSON_AddObjectToObject(o, commits[i]);
    if (c != NULL) {
      cJSON_AddStringToObject(c, "ID", "");
      cJSON_AddStringToObject(c, "Expected", "");
    }
  }
  cJSON_AddArrayToObject(o, "SecurityOptions");
  cJSON *warnings = cJSON_AddArrayToObject(o, "Warnings");
  const cJSON *hcs = cJSON_GetObjectItemCaseSensitive(in, "HCS");
  if (warnings != NULL && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(hcs, "Available"))) {
    char text[512];
    snprintf(text, sizeof text, "WARNING: the Host Compute Service is not available (%s): only job containers run "
             "(Isolation \"job\")", str_of(hcs, "Detail", "unknown"));
    cJSON_AddItemToArray(warnings, cJSON_CreateString(text));
  }
  /* What wctr's own info adds (HCS, isolations, pipe, BitLocker, the caller): Docker's clients ignore it. */
  cJSON_AddItemToObject(o, "Wctr", cJSON_Duplicate(in, true));
  api_reply_json(r, 200, o);
}

static void info_containers(api_req *r, wctr_err err, cJSON *result, const char *message) {
  info_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  const cJSON *c;
  cJSON_ArrayForEach(c, result) {
    s->containers++;
    if (strcmp(str_of(c, "State", ""), "running") == 0) {
      s->running++;
    } else if (strcmp(str_of(c, "State", ""), "paused") == 0) {
      s->paused++;
    } else {
      s->stopped++;
    }
  }
  api_call(r, "image.list", NULL, false, info_images);
}

static void info_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  info_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  s->info = cJSON_Duplicate(result, true);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  api_call(r, "container.list", p, false, info_containers);
}

void api_info(api_req *r) {
  info_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = s;
  r->state_free = info_state_free;
  api_call(r, "info", NULL, false, info_done);
}

/* --- /events -------------------------------------------------------------------------------------------------------- */

/* dockerd's events carry the container's image and labels besides its name; the manager's frames carry its id and
 * name. So the stream keeps what it knows of each container: from container.list when it begins, and, for a
 * container it has not seen, from container.inspect, asked for as soon as its first frame (its create) arrives -
 * a chain of lookups beside the writing, so that a container removed right after it was created is still known.
 * The frames are written in their order: one whose container is still being looked up waits (the drain parks),
 * and so do the frames behind it. A container created and removed before its lookup ran (a few milliseconds)
 * has its events without image and labels (docs/engine-api.md). */

enum { EVENTS_PENDING_MAX = 10000 }; /* frames waiting to be written before the stream is dropped */

typedef struct ev_item {
  struct ev_item *next;
  cJSON *frame;
} ev_item;

typedef struct ev_lookup {
  struct ev_lookup *next;
  char id[80];
} ev_lookup;

typedef struct events_state {
  cJSON *filters;
  wctr_ioc_timer *until_timer; /* r->lock */
  /* All under r->lock: */
  ev_item *head, *tail;        /* the frames not written yet, in order */
  size_t pending;
  bool busy;                   /* someone (a drain job, a continuation) writes the frames */
  bool parked;                 /* ... and waits for current's container to be known */
  cJSON *current;              /* the frame the drain waits with */
  cJSON *known;                /* {"<id>": {"Image","Labels"} or {"Pending":true}} */
  ev_lookup *lookups, *lookups_tail; /* ids to inspect, in order */
  bool looking;                /* the lookup chain runs */
  char looked[80];             /* the id it inspects now */
} events_state;

static void events_state_free(void *p) {
  events_state *s = p;
  if (s == NULL) return;
  while (s->head != NULL) {
    ev_item *it = s->head;
    s->head = it->next;
    cJSON_Delete(it->frame);
    free(it);
  }
  while (s->lookups != NULL) {
    ev_lookup *l = s->lookups;
    s->lookups = l->next;
    free(l);
  }
  cJSON_Delete(s->filters);
  cJSON_Delete(s->known);
  cJSON_Delete(s->current);
  free(s);
}

static bool is_pending(const cJSON *entry) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "Pending")); }

/* Under r->lock: what a container's events carry. A lookup's answer (only_pending) never replaces what is known,
 * nor brings back a container whose destroy was written. */
static void learn_locked(events_state *s, const char *id, const char *image, const cJSON *labels, bool only_pending) {
  if (id == NULL || id[0] == '\0' || s->known == NULL) return;
  cJSON *old = cJSON_GetObjectItemCaseSensitive(s->known, id);
  if (only_pending && !is_pending(old)) return;
  cJSON *a = cJSON_CreateObject();
  if (a == NULL) return;
  cJSON_AddStringToObject(a, "Image", image != NULL ? image : "");
  cJSON_AddItemToObject(a, "Labels", cJSON_IsObject(labels) ? cJSON_Duplicate(labels, true) : cJSON_CreateObject());
  if (old != NULL) {
    cJSON_ReplaceItemInObjectCaseSensitive(s->known, id, a); /* keeps the key (ReplaceItemViaPointer would not) */
  } else {
    cJSON_AddItemToObject(s->known, id, a);
  }
}

/* Shapes, filters and writes one frame (taken) with its container's attributes (taken; may be NULL). */
static void events_send(api_req *r, cJSON *frame, cJSON *attrs) {
  events_state *s = r->state;
  cJSON *ev = api_shape_event(frame, attrs);
  if (ev != NULL && api_shape_event_matches(ev, s->filters)) {
    char *text = wctr_json_print(ev); /* UTF-8 whatever a record holds (common/json.h) */
    if (text != NULL) {
      size_t n = strlen(text);
      char *line = realloc(text, n + 2);
      if (line != NULL) {
        line[n] = '\n';
        api_write(r, line, n + 1); /* a failure ends the stream (the client left, or was dropped) */
        free(line);
      } else {
        cJSON_free(text);
      }
    }
  }
  cJSON_Delete(ev);
  cJSON_Delete(attrs);
  cJSON_Delete(frame);
}

/* Writes the waiting frames until none is left (busy ends) or the next one's container is still being looked up
 * (the drain parks; events_kick resumes it). Runs on a worker, with busy held. */
static void events_drain(api_req *r) {
  events_state *s = r->state;
  for (;;) {
    wctr_mutex_lock(&r->lock);
    cJSON *frame = s->current;
    s->current = NULL;
    if (frame == NULL && s->head != NULL) {
      ev_item *it = s->head;
      s->head = it->next;
      if (s->head == NULL) s->tail = NULL;
      s->pending--;
      frame = it->frame;
      free(it);
    }
    if (frame == NULL) {
      s->busy = false;
      wctr_mutex_unlock(&r->lock);
      return;
    }
    const char *id = str_of(frame, "Id", "");
    bool container = strcmp(str_of(frame, "Type", "container"), "container") == 0;
    const cJSON *entry = container ? cJSON_GetObjectItemCaseSensitive(s->known, id) : NULL;
    if (is_pending(entry)) {
      s->current = frame;
      s->parked = true;
      wctr_mutex_unlock(&r->lock);
      return;
    }
    cJSON *attrs = entry != NULL ? cJSON_Duplicate(entry, true) : NULL;
    /* A removed container's id is never seen again. */
    if (strcmp(str_of(frame, "Action", ""), "destroy") == 0) cJSON_DeleteItemFromObjectCaseSensitive(s->known, id);
    wctr_mutex_unlock(&r->lock);
    events_send(r, frame, attrs);
  }
}

/* Something became known: a parked drain goes on. */
static void events_kick(api_req *r) {
  events_state *s = r->state;
  wctr_mutex_lock(&r->lock);
  bool resume = s->parked;
  s->parked = false;
  wctr_mutex_unlock(&r->lock);
  if (resume) events_drain(r);
}

static void lookup_done(api_req *r, wctr_err err, cJSON *result, const char *message);

/* The next id of the lookup chain; the chain ends (and drops its reference) when there is none. */
static void lookup_next(api_req *r) {
  events_state *s = r->state;
  wctr_mutex_lock(&r->lock);
  ev_lookup *l = s->lookups;
  if (l != NULL) {
    s->lookups = l->next;
    if (s->lookups == NULL) s->lookups_tail = NULL;
    snprintf(s->looked, sizeof s->looked, "%s", l->id);
  } else {
    s->looking = false;
  }
  wctr_mutex_unlock(&r->lock);
  if (l == NULL) {
    api_req_unref(r); /* the chain's */
    return;
  }
  free(l);
  api_call(r, "container.inspect", api_id_params(s->looked), false, lookup_done);
}

static void lookup_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)message;
  events_state *s = r->state;
  const cJSON *config = err == WCTR_OK ? cJSON_GetObjectItemCaseSensitive(result, "Config") : NULL;
  wctr_mutex_lock(&r->lock);
  /* Gone already (removed before it could be asked): known without image and labels. */
  learn_locked(s, s->looked, str_of(config, "Image", ""), cJSON_GetObjectItemCaseSensitive(config, "Labels"), true);
  wctr_mutex_unlock(&r->lock);
  events_kick(r);
  lookup_next(r);
}

static void lookup_job(void *arg) { lookup_next(arg); }

static void events_drain_job(void *arg) {
  api_req *r = arg;
  events_drain(r);
  api_req_unref(r);
}

/* The manager's frames: called wherever it emits them (under its own locks), so it only queues and posts. */
static wctr_err events_frame(api_req *r, const char *kind, cJSON *data) {
  events_state *s = r->state;
  if (strcmp(kind, "event") != 0) {
    cJSON_Delete(data);
    return WCTR_OK;
  }
  ev_item *it = malloc(sizeof *it);
  ev_lookup *l = calloc(1, sizeof *l);
  if (it == NULL || l == NULL) {
    free(it);
    free(l);
    cJSON_Delete(data);
    return WCTR_ENOMEM;
  }
  it->next = NULL;
  it->frame = data;
  const char *id = str_of(data, "Id", "");
  wctr_mutex_lock(&r->lock);
  if (s->tail != NULL) {
    s->tail->next = it;
  } else {
    s->head = it;
  }
  s->tail = it;
  s->pending++;
  /* A container not known yet (its create, usually) is looked up now, not when the drain reaches it. Image events
   * carry what dockerd's do (the id and the name) without a lookup. */
  bool container = strcmp(str_of(data, "Type", "container"), "container") == 0;
  bool lookup = container && id[0] != '\0' && strlen(id) < sizeof l->id && s->known != NULL &&
                cJSON_GetObjectItemCaseSensitive(s->known, id) == NULL;
  bool start_chain = false;
  if (lookup) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddBoolToObject(p, "Pending", true);
    cJSON_AddItemToObject(s->known, id, p);
    snprintf(l->id, sizeof l->id, "%s", id);
    if (s->lookups_tail != NULL) {
      s->lookups_tail->next = l;
    } else {
      s->lookups = l;
    }
    s->lookups_tail = l;
    l = NULL;
    start_chain = !s->looking;
    if (start_chain) s->looking = true;
  }
  bool overflow = s->pending > EVENTS_PENDING_MAX;
  bool go = !s->busy && !overflow;
  if (go) s->busy = true;
  wctr_mutex_unlock(&r->lock);
  free(l);
  if (start_chain) {
    api_req_ref(r); /* the chain's, until lookup_next finds nothing left */
    /* Never inline: the manager's locks are held here, and the chain asks it for the container. */
    if (!wctr_ioc_post(r->api->ioc, lookup_job, r)) {
      api_req_unref(r);
      overflow = true; /* cannot carry on honestly: the stream is dropped */
    }
  }
  if (go) {
    api_req_ref(r);
    if (!wctr_ioc_post(r->api->ioc, events_drain_job, r)) {
      api_req_unref(r);
      overflow = true;
    }
  }
  if (overflow) {
    api_drop(r);
    return WCTR_EPIPE;
  }
  return WCTR_OK;
}

static void events_listed(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)message;
  events_state *s = r->state;
  const cJSON *list = err == WCTR_OK ? result : NULL;
  const cJSON *c;
  wctr_mutex_lock(&r->lock);
  cJSON_ArrayForEach(c, list) {
    const char *id = str_of(c, "Id", "");
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(s->known, id);
    if (old == NULL || is_pending(old)) {
      learn_locked(s, id, str_of(c, "Image", ""), cJSON_GetObjectItemCaseSensitive(c, "Labels"), false);
    }
  }
  wctr_mutex_unlock(&r->lock);
  /* The frames held since the subscription go out now (without the list, each container's own lookup serves). */
  events_drain(r);
}

static void events_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  (void)result;
  events_state *s = r->state;
  wctr_mutex_lock(&r->lock);
  wctr_ioc_timer *t = s->until_timer;
  s->until_timer = NULL;
  wctr_mutex_unlock(&r->lock);
  if (t != NULL && wctr_ioc_timer_cancel(t)) api_req_unref(r); /* the timer's */
  if (!api_streaming(r)) {
    api_reply_failure(r, err, message);
    return;
  }
  api_end(r);
}

static void events_until(void *arg) {
  api_req *r = arg;
  events_state *s = r->state;
  wctr_mutex_lock(&r->lock);
  s->until_timer = NULL;
  wctr_mutex_unlock(&r->lock);
  api_stop_stream(r);
  api_req_unref(r);
}

void api_events(api_req *r) {
  static const char *const allowed[] = {"type",    "event", "container", "image",  "label",  "scope",  "daemon",
                                        "network", "volume", "plugin",   "node",   "service", "secret", "config",
                                        NULL};
  events_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = s;
  r->state_free = events_state_free;
  if (!api_query_filters(r, &s->filters)) return;
  if (s->filters != NULL && !api_filters_check(r, s->filters, allowed, "/events")) return;
  char *since = api_query(r, "since");
  char *until = api_query(r, "until");
  char since_t[40] = "", until_t[40] = "", now_t[40];
  api_log_time(now_unix(), 0, now_t);
  bool bad_since = since != NULL && since[0] != '\0' && !api_time_to_log(since, since_t);
  bool bad_until = until != NULL && until[0] != '\0' && !api_time_to_log(until, until_t);
  free(since);
  free(until);
  if (bad_since || bad_until) {
    api_refuse(r, 400, WCTR_EINVAL, "events", "invalid value for %s: a Unix time or an RFC 3339 time is expected",
               bad_since ? "since" : "until");
    return;
  }
  /* wctrd keeps no history of events: a since in the past cannot be honoured (a second of slack for clocks). */
  char slack[40];
  api_log_time(now_unix() - 2, 0, slack);
  if (since_t[0] != '\0' && strcmp(since_t, slack) < 0) {
    api_refuse(r, 400, WCTR_EINVAL, "events",
               "since: wctrd keeps no history of events; they are streamed from the moment of the request (leave since "
               "out)");
    return;
  }
  int64_t until_ms = -1;
  if (until_t[0] != '\0') {
    int64_t us = 0, un = 0;
    api_parse_time(until_t, &us, &un);
    until_ms = (us - now_unix()) * 1000 + un / 1000000;
    if (until_ms <= 0) {
      /* nothing happened between since and until that wctrd could still tell */
      if (api_begin(r, 200, API_JSON) == WCTR_OK) api_end(r);
      return;
    }
  }
  s->known = cJSON_CreateObject();
  /* Subscribed first, with the frames held (busy) until the containers are known: nothing that happens after the
   * answer's head is missed, and nothing is written before it. */
  s->busy = true;
  r->on_frame = events_frame;
  api_call(r, "events", NULL, true, events_done);
  if (api_begin(r, 200, API_JSON) != WCTR_OK) {
    api_stop_stream(r);
    return;
  }
  if (until_ms > 0) {
    api_req_ref(r);
    wctr_errmsg e;
    wctr_mutex_lock(&r->lock);
    wctr_err terr = wctr_ioc_timer_start(r->api->ioc, until_ms > 86400000 ? 86400000u : (uint32_t)until_ms,
                                         events_until, r, &s->until_timer, &e);
    wctr_mutex_unlock(&r->lock);
    if (terr != WCTR_OK) api_req_unref(r);
  }
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  api_call(r, "container.list", p, false, events_listed);
}

/* --- /system/df ------------------------------------------------------------------------------------------------------ */

typedef struct df_state {
  cJSON *containers;
  cJSON *volumes; /* volume.list with Usage: Docker's UsageData on each */
} df_state;

static void df_state_free(void *p) {
  df_state *s = p;
  if (s == NULL) return;
  cJSON_Delete(s->containers);
  cJSON_Delete(s->volumes);
  free(s);
}

static void df_images(api_req *r, wctr_err err, cJSON *result, const char *message) {
  df_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "LayersSize", 0);
  cJSON *images = cJSON_AddArrayToObject(o, "Images");
  const cJSON *img;
  cJSON_ArrayForEach(img, result) {
    cJSON *sum = api_shape_image_summary(img);
    if (sum == NULL) continue;
    int used = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, s->containers) {
      /* a container names its image as it was given: a tag of a store image, its id, or a catalog name */
      const char *image = str_of(c, "Image", "");
      bool match = strcmp(image, str_of(img, "Name", "")) == 0 || strcmp(image, str_of(sum, "Id", "")) == 0;
      const cJSON *t;
      cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(sum, "RepoTags")) {
        match = match || (cJSON_IsString(t) && strcmp(image, t->valuestring) == 0);
      }
      if (match) used++;
    }
    cJSON_ReplaceItemInObjectCaseSensitive(sum, "Containers", cJSON_CreateNumber(used));
    cJSON_AddItemToArray(images, sum);
  }
  cJSON *containers = cJSON_AddArrayToObject(o, "Containers");
  const cJSON *c;
  cJSON_ArrayForEach(c, s->containers) {
    cJSON *sum = api_shape_summary(c, now_unix());
    if (sum != NULL) cJSON_AddItemToArray(containers, sum);
  }
  cJSON_AddItemToObject(o, "Volumes", s->volumes != NULL ? s->volumes : cJSON_CreateArray());
  s->volumes = NULL;
  cJSON_AddArrayToObject(o, "BuildCache");
  api_reply_json(r, 200, o);
}

static void df_containers(api_req *r, wctr_err err, cJSON *result, const char *message) {
  df_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  s->containers = cJSON_Duplicate(result, true);
  api_call(r, "image.list", NULL, false, df_images);
}

static void df_volumes(api_req *r, wctr_err err, cJSON *result, const char *message) {
  df_state *s = r->state;
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  s->volumes = cJSON_Duplicate(result, true);
  cJSON *p = cJSON_CreateObject();
  cJSON_AddBoolToObject(p, "All", true);
  api_call(r, "container.list", p, false, df_containers);
}

void api_system_df(api_req *r) {
  df_state *s = calloc(1, sizeof *s);
  if (s == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  r->state = s;
  r->state_free = df_state_free;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddTrueToObject(p, "Usage");
  api_call(r, "volume.list", p, false, df_volumes);
}
