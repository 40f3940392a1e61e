/* service/scm.h - wctrd and the Service Control Manager (Windows only).
 *
 * svc_scm_install registers the running wctrd.exe as an auto-start LocalSystem service whose command
 * line is `"<exe>" service --service-name NAME [--data-root DIR] [--pipe P] [--group G]...
 * [--log-level L]`, so the settings of `wctrd install` are visible in `sc qc NAME`. Groups are resolved
 * to SIDs first, so a typo fails the install, not the first start.
 *
 * svc_scm_run is the `service` command: it hands the process to the SCM, reports START_PENDING while
 * the engine starts, RUNNING, STOP_PENDING with progress while it stops, then STOPPED (with the
 * failure as a service-specific exit code if the engine could not start). */
#ifndef WCTR_SERVICE_SCM_H
#define WCTR_SERVICE_SCM_H

#include "common/error.h"
#include "service/args.h"

wctr_err svc_scm_install(svc_args *args, wctr_errmsg *e);
wctr_err svc_scm_uninstall(const svc_args *args, wctr_errmsg *e);
/* Returns when the service has stopped. WCTR_ENOTSUP when not started by the SCM. */
wctr_err svc_scm_run(svc_args *args, wctr_errmsg *e);

#endif
