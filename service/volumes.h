/* service/volumes.h - named volumes, Docker's local driver (portable, over common/fs.h).
 *
 * One folder per volume, <data-root>\volumes\<name>\, holding volume.json (the record) and _data (what
 * containers see; spec/spec.h SPEC_VOLUME_DATA_DIR). The record, written compactly and atomically:
 *   {"Version":1,"Name":"db","Driver":"local","CreatedAt":"2026-12-07T12:00:00Z","Labels":{...},"Anonymous":false}
 * Creation makes the folder as <name>.creating (its _data secured through secure_dir, then the record),
 * and renames it to <name>: a crash leaves no <name> folder without a record. Removal renames the folder to
 * <name>.removing first, then deletes it. svc_volumes_open finishes both (removes every .creating and
 * .removing folder): the state a crash leaves is repaired at the next start. A folder without a readable
 * record is skipped (logged), never deleted: it may hold someone's data.
 *
 * Shapes (Docker's `volume inspect`): {"CreatedAt","Driver":"local","Labels":{}|null,"Mountpoint":
 * "<data-root>\volumes\<name>\_data","Name","Options":null,"Scope":"local"}. An anonymous volume (created for a container's -v
 * CONTAINER-PATH, removed with it by `rm -v` and --rm, and by `volume prune` without --all) carries Docker
 * 23's label SVC_VOLUME_ANONYMOUS_LABEL (""); the record keeps "Anonymous": true.
 *
 * Threads: one lock per store; every call takes it. Users (containers naming a volume) are the manager's: a
 * remove asks in_use under this lock, so a create that makes sure of its volumes after listing its container
 * (svc_volumes_ensure, also under this lock) and a remove never both succeed without the other seeing it. */
#ifndef WCTR_SERVICE_VOLUMES_H
#define WCTR_SERVICE_VOLUMES_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define SVC_VOLUME_FILE "volume.json"
#define SVC_VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

typedef struct svc_volumes svc_volumes;

/* Gives a volume's new _data folder its DACL (Windows: acl_apply_dacl with ACL_SDDL_VOLUME_DATA). NULL:
 * the folder keeps what it inherits (the portable tests). A failure fails the create, leaving nothing. */
typedef wctr_err (*svc_volume_secure_fn)(void *ctx, const char *data_dir, wctr_errmsg *e);

/* Opens <data_root>\volumes (created when missing) and repairs what a crash left (above). */
wctr_err svc_volumes_open(const char *data_root, svc_volume_secure_fn secure, void *secure_ctx, svc_volumes **out,
                          wctr_errmsg *e);
void svc_volumes_close(svc_volumes *v); /* accepts NULL */

/* Creates a volume. name NULL: an anonymous volume with 64 random hex digits for a name (anonymous true).
 * labels: an object of strings, or NULL. A volume that exists already is Docker's answer to a second
 * create: WCTR_OK, *existed true, its shape unchanged (labels of the second create ignored). Names follow
 * spec_volume_check_name; driver checks are the caller's. *out (may be NULL) gets the shape. */
wctr_err svc_volumes_create(svc_volumes *v, const char *name, const cJSON *labels, bool anonymous, cJSON **out,
                            bool *existed, wctr_errmsg *e);
/* Does the shape carry SVC_VOLUME_ANONYMOUS_LABEL? */
bool svc_volume_is_anonymous(const cJSON *shape);
/* The shape of one volume; WCTR_ENOENT "get NAME: no such volume" (Docker's). */
wctr_err svc_volumes_get(svc_volumes *v, const char *name, cJSON **out, wctr_errmsg *e);
/* Every volume's shape, sorted by name. */
wctr_err svc_volumes_list(svc_volumes *v, cJSON **out, wctr_errmsg *e);
/* Is the volume in use? WCTR_OK when it may go; otherwise the refusal with its message in e. */
typedef wctr_err (*svc_volume_in_use_fn)(void *ctx, const char *name, wctr_errmsg *e);
/* Removes the volume and its data. in_use (may be NULL) is asked under the store's lock. WCTR_ENOENT as
 * svc_volumes_get. */
wctr_err svc_volumes_remove(svc_volumes *v, const char *name, svc_volume_in_use_fn in_use, void *ctx, wctr_errmsg *e);
/* <data-root>\volumes\<name>\_data into out. WCTR_ETOOBIG when it does not fit. */
wctr_err svc_volumes_data_path(const svc_volumes *v, const char *name, char *out, size_t size);

#endif
