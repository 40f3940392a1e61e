/* service/manager.h - the container manager (Windows only): the containers of one wctrd, their state
 * machine (service/container.h), their records (service/store.h) and their processes (jobs/job.h for job
 * isolation, service/hcs_runtime.h for process and Hyper-V isolation).
 *
 * Operations, as pipe ops (docs/protocol.md):
 *   container.create   params: create params  -> {"Id","Name","Warnings":[...]}; a credentialspec= security
 *                                              option is read and validated here (service/credspecs.h), so a
 *                                              bad spec fails before anything exists
 *   container.start    {"Id": ref}            -> {}
 *   container.run      {"Id": ref}  (stream)   starts, streams "stdout"/"stderr" frames, then
 *                                              {"ExitCode": n, "OOMKilled": b}
 *   container.stop     {"Id": ref, "Timeout"?: s} -> {}  graceful stop signal, then terminate after
 *                                              Timeout (default: the container's StopTimeout)
 *   container.kill     {"Id": ref}            -> {}
 *   container.remove   {"Id": ref, "Force"?: b} -> {}
 *   container.list     {"All"?: b, "Filters"?: {"label": ["KEY" | "KEY=VALUE", ...]}} -> [ summaries, each
 *                                              with "Labels" ]; every label filter must match
 *   container.inspect  {"Id": ref}            -> the record, plus "AppliedLimits" read back from Windows
 *   container.wait     {"Id": ref}  (stream)   -> {"StatusCode": n} once the container is not running
 *   container.logs     {"Id": ref, "Tail"?: n, "Follow"?: b, "Timestamps"?: b} (stream)
 *   container.stats    {"Id": ref}            -> CPU, memory, IO and process counts
 *   container.update   {"Id": ref, Memory?, NanoCpus?, CpuCount?, CpuPercent?, CpuShares?, PidsLimit?,
 *                       IOMaximumIOps?, IOMaximumBandwidth?} -> {"Warnings"}: checked as at create, applied
 *                                              to the live job, recorded
 *   image.add | image.list | image.inspect | image.remove   the image catalog (service/images.h)
 *   container.create with "DryRun": true -> {"DryRun":true,"Id","Calls":[{"call","id"|"path","document"}],
 *                                           "Warnings"}: the HCS documents a start would send; nothing is
 *                                           created (service/hcs_runtime.h)
 *   events             {} (stream)             "event" frames {Time, Type, Action, Id, Name[, ExitCode]}
 *                                              for create, start, die, oom, destroy, until the client leaves
 * A ref is a full id, a unique id prefix, or a name.
 *
 * At start the manager loads every record and repairs what a crash left: a container recorded as
 * running whose job no longer exists is marked exited with ExitCode -1 (its code cannot be read); one
 * whose job still exists is re-attached and its exit watched again; a container caught half-removed is
 * removed. Then restart policies apply (service/container.h): `always` containers that ran before, and
 * `unless-stopped` ones a user did not stop, are started again. While wctrd runs, a container that exits
 * is restarted as its policy says (Docker's backoff), never after a user's stop or kill, nor while wctrd
 * stops. */
#ifndef WCTR_SERVICE_MANAGER_H
#define WCTR_SERVICE_MANAGER_H

#include "common/error.h"
#include "service/ops.h"

typedef struct svc_manager svc_manager;

typedef struct svc_manager_options {
  const char *data_root;
  bool hcs_available;      /* process and Hyper-V isolation need it */
  const char *hcs_detail;  /* why not */
  bool server_sku;         /* the default isolation: process on Server, hyperv on client */
  const char *host_os_version; /* "10.0.20348": the process-isolation compatibility rule */
} svc_manager_options;

wctr_err svc_manager_start(const svc_manager_options *opt, svc_manager **out, wctr_errmsg *e);
/* Stops every running container (each with its stop timeout, at most 30 s in all), then frees. */
void svc_manager_stop(svc_manager *m);

/* The operations above, a table for svc_ops (service/ops.h; ctx is the manager). */
const svc_op *svc_manager_ops(size_t *count);

/* Every container's record (svc_container_to_json), for `wctr check` and secret removal. NULL when out of
 * memory; caller frees with cJSON_Delete. */
cJSON *svc_manager_records(svc_manager *m);
/* Is the container with this full id running? (For the secrets sweep; ctx is the manager.) */
bool svc_manager_running(void *m, const char *id);

#endif
