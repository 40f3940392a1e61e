/* service/engine.h - one running wctrd: settings, data root, log, pipe server (Windows only).
 *
 * svc_engine_start does, in order, and undoes everything on failure:
 *   1. resolves the data root (the flag, or %ProgramData%\wctr) to a full path and creates it with the
 *      data root's DACL (acl/descriptors.h) if it does not exist, with config\ and logs\ inside;
 *   2. reads <data-root>\config\wctrd.json, if present, strictly (service/config.h) and merges it with
 *      the flags;
 *   3. opens the log (<data-root>\logs\wctrd.log, and stderr when run in a console);
 *   4. resolves --group names to SIDs and builds the pipe's descriptor (acl_pipe_sddl);
 *   5. opens the audit trail (<data-root>\audit), checks the DACL of the data root and of each of its
 *      folders and repairs (and audits) any that differs from ACL_SDDL_DATA_ROOT;
 *   6. starts the I/O core (common/ioc.h: a worker per CPU, a bounded pool for blocking calls) and the
 *      container manager, then removes the secret folders of every container that is not running
 *      (audited), before
 *   7. the operations (service/ops.h: version and info, the manager's, the credential specs', the security
 *      ones; every request that changes something or fails is audited) are served by the pipe server on
 *      the core (service/server.h, service/pipe_api.h);
 *   8. with --docker-api listeners, the same operations as the Docker Engine API (service/engine_api.h) on
 *      those named pipes (wctr's pipe DACL) and loopback TCP addresses (service/http_server.h); for TCP a new
 *      token is written to <data-root>\config\api-token, readable by SYSTEM, Administrators and the pipe's
 *      groups only.
 * svc_engine_stop: the Engine API's listeners, the pipe server, the manager, the operations still finishing,
 * the token file, the core, the audit trail. */
#ifndef WCTR_SERVICE_ENGINE_H
#define WCTR_SERVICE_ENGINE_H

#include <stdbool.h>

#include "common/error.h"
#include "service/args.h"
#include "service/server.h"

typedef struct svc_engine svc_engine;

typedef struct svc_engine_options {
  const char *data_root;    /* NULL: %ProgramData%\wctr */
  svc_config *flags;        /* settings given as flags; emptied by the merge */
  bool log_to_stderr;       /* console mode */
  /* `wctrd run --test-bitlocker-state` only (never the service): "encrypted", "not-encrypted" or
   * "unknown" replaces the BitLocker probe's answer, so end-to-end tests can present each state. NULL in
   * production. */
  const char *test_bitlocker_state;
  /* `wctrd run --test-layer-import` only: layers are unpacked by img_importer_test (images/import.h), a
   * double that writes plain folders, instead of the production importer. Logged as a warning. */
  bool test_layer_import;
  /* `wctrd run --test-volume-dacl-unread` only: a new volume's _data gets its DACL (ACL_SDDL_VOLUME_DATA) and it is
   * not read back - under Wine it never reads back, and no volume could be created. Logged as a warning. */
  bool test_volume_dacl_unread;
} svc_engine_options;

wctr_err svc_engine_start(const svc_engine_options *opt, svc_engine **out, wctr_errmsg *e);
/* Stops the server (bounded), closes the log. Accepts NULL. */
void svc_engine_stop(svc_engine *eng);

/* The default data root, %ProgramData%\wctr, as UTF-8. */
wctr_err svc_default_data_root(char *out, size_t size, wctr_errmsg *e);

#endif
