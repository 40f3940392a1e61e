/* service/engine_api_internal.h - what the files of the Engine API front-end share (not a contract for
 * anyone else; service/engine_api.h is):
 *   engine_api.c             requests: routing, versions, the token, replies and streams, the operation
 *                            steps a request runs (one or more operations in sequence), the audit of refusals;
 *   engine_api_system.c      /_ping, /version, /info, /events, /system/df;
 *   engine_api_images.c      /images: pull, load, save, history, tag, prune, list, inspect, remove; /auth;
 *   engine_api_containers.c  /containers;
 *   engine_api_networks.c    /networks;
 *   engine_api_volumes.c     /volumes;
 *   engine_api_top.c         /containers/{id}/top;
 *   engine_api_archive.c     /containers/{id}/archive (docker cp);
 *   engine_api_exec.c        /containers/{id}/exec, /exec;
 *   engine_api_shape.c       the portable mappings between Docker's JSON and wctr's: create bodies, inspect,
 *                            list entries, stats, events, images, filters, durations.
 *
 * A request (api_req) runs steps: api_call invokes one operation with a sink of its own (api_step) and, once
 * the operation finished, runs the request's continuation on an I/O core worker with the result. A start
 * operation that talks to its client (logs, attach, events, wait) is the request's stream step: what the
 * client sends after a hijack and its leaving reach that step's on_input / on_close, one at a time, in order
 * (a delivery job per request); its output and frames reach the request's on_output / on_frame. A request
 * is referenced by its exchange (until on_release), each step, each continuation and each delivery job. */
#ifndef WCTR_SERVICE_ENGINE_API_INTERNAL_H
#define WCTR_SERVICE_ENGINE_API_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "common/ioc.h"
#include "service/engine_api.h"
#include "service/http.h"
#include "service/ops.h"
#include "spec/spec.h"

#define API_VERSION_TEXT "1.41"
#define API_MIN_VERSION_TEXT "1.24"
#define API_RAW_STREAM "application/vnd.docker.raw-stream"
#define API_JSON "application/json"

typedef struct api_listener {
  svc_engine_api *api;
  bool token_required;
} api_listener;

struct svc_engine_api {
  wctr_ioc *ioc;
  svc_ops *ops;
  svc_engine_api_host host;
  char token[2 * SVC_API_TOKEN_BYTES + 1];
  bool has_token;
  api_listener listeners[2]; /* [0] no token, [1] token required */
};

typedef struct api_req api_req;
typedef struct api_step api_step;
/* A step's outcome; result belongs to the step (freed after the continuation returns: detach what is kept). */
typedef void (*api_then)(api_req *r, wctr_err err, cJSON *result, const char *message);

typedef struct api_input {
  struct api_input *next;
  bool eof;
  size_t len;
  char data[];
} api_input;

struct api_req {
  svc_engine_api *api;
  svc_http_exchange *x;
  const svc_http_request *hr;
  svc_caller caller;
  int minor;          /* the API version of the request: 1.minor */
  char *id;           /* the {id} or {name} of the path, decoded; NULL when none */
  char target[300];   /* "METHOD PATH" for the audit of refusals */
  wctr_mutex lock;
  int refs;
  bool answered;      /* the exchange was answered or ended */
  bool gone;          /* the client left (on_close) or the stream was dropped */
  bool streaming;     /* begun or hijacked */
  bool hijacked;
  api_step *stream;   /* the stream step (a start operation), while it runs */
  api_input *in_head, *in_tail;
  size_t in_bytes;
  bool input_paused;
  bool close_owed;    /* on_close is due to the stream step */
  bool delivering;
  /* How a stream step's output and frames reach the client (set before the step is called). */
  wctr_err (*on_output)(api_req *r, svc_output_stream stream, const char *data, size_t len);
  wctr_err (*on_frame)(api_req *r, const char *kind, cJSON *data);
  /* An endpoint's own state, freed with the request. */
  void *state;
  void (*state_free)(void *state);
  const char *op; /* the operation the request maps to, for the audit of a dropped stream */
};

/* --- engine_api.c ------------------------------------------------------------------------------------------------- */

/* Runs op with params (taken; may be NULL) for r; then(r, ...) follows on a worker. A start operation
 * becomes the stream step when stream is true. When r's client is gone, then gets WCTR_EPIPE at once. */
void api_call(api_req *r, const char *op, cJSON *params, bool stream, api_then then);
/* Ends the stream step (on_close, as if the client left) without ending the exchange. */
void api_stop_stream(api_req *r);

void api_req_ref(api_req *r);
void api_req_unref(api_req *r);

/* Replies (each answers the exchange once; later ones are ignored). */
/* With extra header lines ("Name: value\r\n"...) besides the common ones. */
void api_reply_with(api_req *r, int status, const char *headers, const char *content_type, const char *body,
                    size_t len);
void api_reply_json(api_req *r, int status, cJSON *body);                 /* body taken; NULL: no body */
void api_reply_text(api_req *r, int status, const char *content_type, const char *text);
void api_reply_error(api_req *r, int status, const char *fmt, ...) WCTR_PRINTF(3, 4);
/* An operation's failure: Docker's status for err, the operation's message. */
void api_reply_failure(api_req *r, wctr_err err, const char *message);
/* A refusal by the front-end itself: audited (op, or "engine-api" when NULL) and answered. */
void api_refuse(api_req *r, int status, wctr_err code, const char *op, const char *fmt, ...) WCTR_PRINTF(5, 6);
int api_status_for(wctr_err err);

/* Streams: begin a chunked (or hijacked) answer, write, end. A write the client does not take in time
 * drops the stream (audited, the connection closes, the stream step gets on_close): WCTR_EPIPE. */
wctr_err api_begin(api_req *r, int status, const char *content_type);
/* api_begin with more headers ("Name: value\r\n"..., NULL or "" for none). */
wctr_err api_begin_with(api_req *r, int status, const char *headers, const char *content_type);
wctr_err api_hijack(api_req *r, const char *content_type);
wctr_err api_write(api_req *r, const void *data, size_t len);
bool api_streaming(api_req *r); /* begun or hijacked */
/* Drops the stream as api_write does when the client does not read: audited, the connection closes, the stream
 * step gets on_close. For a stream that queues on its own (events waiting for their containers' attributes). */
void api_drop(api_req *r);
void api_end(api_req *r);
/* Ends the exchange by closing the connection at once (a stream that failed half-way: a tar cut short must not look
 * whole). The operation's failure is audited by the operation layer. */
void api_abort(api_req *r);
/* Queues the request's body, whole, as the stream step's input followed by its end: an operation reading stdin
 * (image.load) reads the body. Call before api_call. A streamed body (request.body_streamed: POST /images/load)
 * needs no call: it arrives through the exchange's on_input as the client sends it, as what a client sends after a
 * hijack does, and reading stops while more than 1 MiB waits for the stream step. */
bool api_queue_body(api_req *r);
/* Docker's 8-byte multiplexed frame header and payload: [stream, 0, 0, 0, size big-endian]. */
wctr_err api_write_frame(api_req *r, int stream, const char *data, size_t len);

/* Query parameters. */
/* malloc'ed, NULL when absent (every parameter was checked to decode into UTF-8 before the route ran, so NULL
 * otherwise only when out of memory) */
char *api_query(api_req *r, const char *key);
/* "1", "true", "True" are true; "0", "false", "False" and "" false (absent: def); anything else a 400 (false). */
bool api_query_bool(api_req *r, const char *key, bool def, bool *out);
/* A decimal integer within [min, max]; absent: def. False (answered 400) otherwise. */
bool api_query_int(api_req *r, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out);
/* The filters parameter as {"key":["v",...]} (Docker's map of maps or of arrays); NULL when absent. False:
 * answered 400. */
bool api_query_filters(api_req *r, cJSON **out);
/* A filters object whose keys are all in allowed (NULL-terminated); false: answered 400 naming the key. */
bool api_filters_check(api_req *r, const cJSON *filters, const char *const *allowed, const char *what);

/* {"Id": id} */
cJSON *api_id_params(const char *id);
/* The request's body as JSON under the pipe's rule for requests (common/proto.h wctr_proto_check_strings:
 * UTF-8 strings without raw control characters): *out NULL when there is no body; WCTR_EINVAL with "the body
 * is not JSON" or the check's sentence ("body.Labels[\"a\"] is not valid UTF-8"). */
wctr_err api_body_json(api_req *r, cJSON **out, wctr_errmsg *e);
/* POST /networks/create and /volumes/create: the body (api_body_json's refusals: 400), shaped by shape into op's
 * params (its refusal: api_status_for its code), then op answered by then. body.Name names the target in the
 * audit. With anonymous (volumes), no body stands for {} and an empty Name names nothing: both ask for an object
 * wctrd names. Without (networks), no body is a 400 "the body must be a JSON object (Docker's <config>)". */
typedef wctr_err (*api_shape_fn)(const cJSON *body, cJSON **out, wctr_errmsg *e);
void api_create_from_body(api_req *r, const char *op, api_shape_fn shape, bool anonymous, const char *config,
                          api_then then);

/* --- engine_api_system.c / engine_api_containers.c ------------------------------------------------------------- */

void api_ping(api_req *r);
void api_version(api_req *r);
void api_info(api_req *r);
void api_events(api_req *r);
void api_system_df(api_req *r);

/* --- engine_api_images.c ------------------------------------------------------------------------------------------------- */

void api_images_list(api_req *r);
void api_image_inspect(api_req *r);
void api_image_delete(api_req *r);
void api_image_create(api_req *r);
void api_image_load(api_req *r);
void api_image_get(api_req *r);
void api_images_get(api_req *r);
void api_image_history(api_req *r);
void api_image_tag(api_req *r);
void api_images_prune(api_req *r);
void api_auth(api_req *r);

void api_containers_list(api_req *r);
void api_container_create(api_req *r);
void api_container_inspect(api_req *r);
void api_container_start(api_req *r);
void api_container_stop(api_req *r);
void api_container_restart(api_req *r);
void api_container_kill(api_req *r);
void api_container_wait(api_req *r);
void api_container_attach(api_req *r);
void api_container_logs(api_req *r);
void api_container_stats(api_req *r);
void api_container_update(api_req *r);
void api_container_rename(api_req *r);
void api_container_pause(api_req *r);
void api_container_unpause(api_req *r);
void api_container_delete(api_req *r);
void api_containers_prune(api_req *r);

/* engine_api_exec.c: exec create, start (hijacked as attach), inspect; resize refused (501) */
void api_container_exec(api_req *r);
void api_exec_start(api_req *r);
void api_exec_inspect(api_req *r);
void api_exec_resize(api_req *r);
/* Docker's ExecConfig (POST /containers/{id}/exec's body) into exec.create params for container: Cmd, Env,
 * WorkingDir, User, Tty, AttachStdin mapped; AttachStdout/AttachStderr true (false only with Detach, docker exec
 * -d's form), Detach accepted, Container ignored (docker-py's; the path decides, as dockerd); Privileged, DetachKeys, ConsoleSize and unknown fields refused naming them unless
 * at their default. WCTR_EINVAL with the sentence; *out new on success. */
wctr_err api_shape_exec_create(const cJSON *body, const char *container, cJSON **out, wctr_errmsg *e);

/* engine_api_networks.c */
void api_networks_list(api_req *r);
void api_network_inspect(api_req *r);
void api_network_create(api_req *r);
void api_network_delete(api_req *r);
void api_networks_prune(api_req *r);

/* Absent, null, false, 0, "", [] or {}: a field of a request body that asks for nothing (accepted where wctr
 * cannot apply the field). */
bool api_json_is_default(const cJSON *v);

/* engine_api_volumes.c: list, create, inspect, remove, prune over volume.* (service/manager.h "Named volumes") */
void api_volumes_list(api_req *r);
void api_volume_create(api_req *r);
void api_volume_inspect(api_req *r);
void api_volume_delete(api_req *r);
void api_volumes_prune(api_req *r);
/* Docker's VolumeCreateBody into volume.create params: Name, Driver, DriverOpts and Labels (null, "" and {} left out,
 * as docker-py sends its defaults); ClusterVolumeSpec and unknown fields refused naming them unless at their default.
 * WCTR_EINVAL with the sentence; *out new on success. */
wctr_err api_shape_volume_create(const cJSON *body, cJSON **out, wctr_errmsg *e);

/* engine_api_top.c: GET /containers/{id}/top over container.top; ps_args refused (400), as Windows' dockerd does */
void api_container_top(api_req *r);

/* --- engine_api_archive.c ----------------------------------------------------------------------------------------- */

void api_container_archive_get(api_req *r);
void api_container_archive_head(api_req *r);
void api_container_archive_put(api_req *r);
/* container.top's result {"Processes":[{ProcessId, ImageName, KernelTime100ns, UserTime100ns,
 * MemoryWorkingSetPrivateBytes}]} into dockerd's Windows answer: {"Titles":["Name","PID","CPU","Private Working
 * Set"],"Processes":[[name, pid, "HH:MM:SS.mmm" of kernel + user time, go-units' HumanSize]]} (Processes null when
 * there is none, as dockerd's nil list). NULL when out of memory. */
cJSON *api_shape_top(const cJSON *result);

/* --- engine_api_shape.c (portable mappings, no I/O) ----------------------------------------------------------------- */

/* A Docker create body (Config fields at the top, HostConfig, NetworkingConfig) and the name from the query
 * into wctr's create params (spec/spec.h's JSON form). Every field wctr applies is mapped; a field it cannot
 * apply is refused unless it holds its default (absent, null, false, 0, "", [] or {}): WCTR_EINVAL naming it
 * ("HostConfig.Privileged: ..."). *out is new on success. */
wctr_err api_shape_create(const cJSON *body, const char *name, cJSON **out, wctr_errmsg *e);
/* A Docker update body (resources and RestartPolicy) into container.update params (which hold "Id"): a
 * resource given non-zero is changed (Docker's zero means "unchanged"); anything else must hold its default. */
wctr_err api_shape_update(const cJSON *body, cJSON *params, wctr_errmsg *e);
/* A Docker network create body (NetworkCreateRequest) into network.create params (service/networks.h): Name,
 * Driver, the one IPAM.Config's Subnet and Gateway, Labels; CheckDuplicate and Scope "local" accepted; every
 * other field refused naming it unless it holds its default. *out is new on success. */
wctr_err api_shape_network_create(const cJSON *body, cJSON **out, wctr_errmsg *e);
/* container.inspect's record into Docker's ContainerJSON. NULL when out of memory. */
cJSON *api_shape_inspect(const cJSON *record);
/* container.list's summary into Docker's list entry; now is the Unix time for Status ("Up 5 minutes"). */
cJSON *api_shape_summary(const cJSON *summary, int64_t now);
/* The list of count entries as Docker's JSON text and a newline (malloc'ed; *len its length): byte for byte what
 * wctr_json_print of an array of api_shape_summary trees gives (UTF-8 whatever the records hold), without
 * building them - the list is the Engine API's
 * busiest answer, and under Wine every allocation of a tree costs (BENCHMARKS.md). NULL when out of memory. */
char *api_shape_summaries_text(const cJSON *const *items, size_t count, int64_t now, size_t *len);
/* Docker's Windows stats from container.stats' result, read/preread the sample times. */
cJSON *api_shape_stats(const cJSON *stats, int host_cpus, const char *read, const char *preread);
/* An "event" frame {Time,Type,Action,Id,Name[,ExitCode]} into Docker's event message; attrs (may be NULL)
 * {"Image","Labels"} is what dockerd adds of the container: "from", and the image and labels among the actor's
 * attributes (besides name and exitCode). */
cJSON *api_shape_event(const cJSON *frame, const cJSON *attrs);
/* Images: an image.list entry or image.inspect record - of the content store (its "Id" is "sha256:...") or of the
 * `image add` catalog - into Docker's list entry and inspect (the store's through docker_image_inspect). */
cJSON *api_shape_image_summary(const cJSON *image);
cJSON *api_shape_image_inspect(const cJSON *image);
/* "sha256:<64 hex>" for an image record: the store's content id, or for a catalog record one derived from its layer
 * ids (the catalog has no content digest). */
void api_shape_image_id(const cJSON *image, char out[80]);

/* Does a container summary pass Docker's ps filters that a summary alone decides (id, name, status, exited,
 * ancestor, isolation, health, is-task)? label is the manager's (container.list), before and since the list's. */
bool api_shape_summary_matches(const cJSON *summary, const cJSON *filters);
/* Does a Docker event message (api_shape_event's) pass Docker's events filters, as dockerd decides: event and type
 * and scope exact; container, daemon, network, volume, plugin, node, service, secret, config a prefix of the
 * actor's id or name; image the image attribute or the id, with or without its tag; label every value (key or
 * key=value) among the attributes. */
bool api_shape_event_matches(const cJSON *event, const cJSON *filters);
/* Docker's MatchKVList: every value of filters[key] ("k" or "k=v") is among labels (an object of strings); true
 * when the key has no values, false when labels are empty and it has some. */
bool api_shape_labels_match(const cJSON *filters, const char *key, const cJSON *labels);
/* A Go duration ("90s", "1h30m", "1.5h", "-2m", "300ms"; "0") into nanoseconds; false when it is not one. */
bool api_parse_go_duration(const char *text, int64_t *nanos);
/* dockerd's reading of an "until" filter into Unix seconds: a Go duration back from now, Unix seconds
 * ("1700000000[.5]"), RFC 3339 in UTC ("...Z"), a date ("2026-12-07") or a time without a zone, both read as
 * UTC. False when it is none of them. */
bool api_parse_until(const char *text, int64_t now, int64_t *seconds);

/* Docker's units.HumanDuration ("Less than a second", "About a minute", "3 hours", ...). */
void api_human_duration(int64_t seconds, char *out, size_t size);
/* ISO 8601 UTC ("2026-12-07T07:14:33.123Z", fraction optional) to Unix seconds and nanoseconds; false
 * when it is not one (or empty). */
bool api_parse_time(const char *text, int64_t *seconds, int64_t *nanos);
/* Unix seconds (Docker's "since"/"until": "1700000000", "1700000000.5", or RFC 3339) into the log's form
 * "2026-12-07T07:14:33.123456789Z"; false when unreadable. */
bool api_time_to_log(const char *text, char out[40]);
/* Unix seconds into the log's form (for "now"). */
void api_log_time(int64_t seconds, int64_t nanos, char out[40]);

#endif
