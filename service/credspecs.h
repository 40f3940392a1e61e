/* service/credspecs.h - the credential spec store, <data-root>\credentialspecs (Windows only).
 *
 * The folder `--security-opt credentialspec=file://NAME` reads from (gmsa/resolve.h), as Docker's
 * <docker-root>\CredentialSpecs. It is created with the data root's descriptor (ACL_SDDL_DATA_ROOT:
 * SYSTEM and Administrators only, protected) and every spec file is written with
 * SVC_CREDSPEC_FILE_SDDL from the instant it exists, atomically (NAME.tmp, flush, rename). Both go through
 * the service's seam (svc_sys.CreateDirectoryW, svc_sys.CreateFileW), where tests read the descriptors.
 *
 * Operations (pipe ops, docs/protocol.md):
 *   credentialspec.list    {}                        -> [{"Name","Size","Valid","Accounts":[..]?,"Error"?}]
 *                                                       every file of the folder (not sub-folders), by name
 *   credentialspec.inspect {"Name"}                  -> {"Name","Source":"file://NAME","Spec":{...}} with
 *                                                       PluginInput "<redacted>"
 *   credentialspec.add     {"Name","Spec": text, "Force"?: b} -> {"Name"}: the spec is validated
 *                                                       (gmsa_credspec_load) and written as given (its text
 *                                                       rendered again, compact); an existing NAME is refused
 *                                                       (already_exists) unless Force
 *   credentialspec.remove  {"Name"}                  -> {}
 *   credentialspec.check   {"Value": "file://NAME"|"registry://NAME"|"raw://JSON"} -> {"Source"}: resolved and
 *                                                       validated exactly as container.create would, nothing
 *                                                       kept (`wctr compose up` checks every service first)
 * NAME is one file name: the file:// rules of gmsa/source.h, no folder separator, and the store-name rule
 * of spec/names.h (spec_credspec_name_check: a file name Windows opens as named - not a device, no trailing
 * dot or space - not ending in .tmp in any case). Files ending in .tmp are the store's unfinished writes:
 * never listed, and removed when the store opens (a crash during an add leaves one, and it may hold a
 * password). add and remove are serialised: of two adds of one NAME without Force, one fails with
 * already_exists.
 *
 * svc_credspecs_resolve is what container.create calls: it reads and validates the container's
 * credentialspec= (gmsa_resolve with the Windows resolver of this folder) and keeps the spec in the
 * record, so a bad spec fails before anything exists. */
#ifndef WCTR_SERVICE_CREDSPECS_H
#define WCTR_SERVICE_CREDSPECS_H

#include <windows.h>

#include "common/error.h"
#include "service/container.h"
#include "service/ops.h"

/* A spec file: SYSTEM and Administrators, full control, nothing inherited. */
#define SVC_CREDSPEC_FILE_SDDL "D:P(A;;FA;;;SY)(A;;FA;;;BA)"
#define SVC_CREDSPEC_DIR "credentialspecs"

typedef struct svc_credspecs svc_credspecs;

/* Creates <data_root>\credentialspecs when missing (with ACL_SDDL_DATA_ROOT). */
wctr_err svc_credspecs_open(const char *data_root, svc_credspecs **out, wctr_errmsg *e);
void svc_credspecs_close(svc_credspecs *s);

/* The operations above; each svc_op carries its ctx (the store). */
const svc_op *svc_credspecs_ops(svc_credspecs *s, size_t *count);

/* Resolves c's credentialspec= (when it has one) against <data_root>\credentialspecs. */
wctr_err svc_credspecs_resolve(const char *data_root, spec_container *c, wctr_errmsg *e);

#endif
