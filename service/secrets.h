/* service/secrets.h - secrets: sizes, the stored record, the BitLocker gate (portable), and on Windows the
 * encrypted store and the per-container folders (secrets_win.c). A secret's name and a container's
 * references to secrets (name, target) are spec/spec.h's rules (spec_secret_check_name, ..._target,
 * spec_secret_refs_parse): a create request carries them, the store uses the same name rule.
 *
 * A secret is created once (`wctr secret create NAME FILE|-`, op secret.create {"Name","Data": base64})
 * and used by containers that name it (create param "Secrets": [{"Name","Target"?}]). Its value never
 * leaves wctrd except into a running container's secrets folder, never reaches a log line, an error
 * message or an audit record (names only), and every buffer that held it is zeroed before release.
 *
 * At rest: <data-root>\secrets\<id>.json, one file per secret, created with ACL_SDDL_DATA_FILE and written
 * atomically (svc_write_atomic_sa: temporary file, flush, rename):
 *   {"Version":1,"ID":"<64 hex>","Name":"db-password","CreatedAt":"...","Size":12,
 *    "Protection":"dpapi-machine","Entropy":"<base64 of 32 random bytes>","Blob":"<base64>"}
 * Blob is CryptProtectData(value, entropy, CRYPTPROTECT_LOCAL_MACHINE | CRYPTPROTECT_UI_FORBIDDEN): the
 * machine's DPAPI key, so only this host can decrypt it, plus the per-secret entropy, so a blob copied
 * into another secret's file does not decrypt there.
 *
 * In use: <data-root>\containers\<id>\secrets\<target>, the folder created with acl_secrets_dir_sddl(the
 * container's identity) and each file with acl_secret_file_sddl(the same identity), removed when the
 * container stops for any reason, and swept at service start for every container that is not running.
 *
 * The BitLocker gate: creating or using a secret is refused when the data root's volume is not protected
 * and fully encrypted (acl/bitlocker.h; "unknown" counts as not encrypted), unless wctrd.json says
 * "allow-unencrypted-secrets": true; every use under that override is audited. */
#ifndef WCTR_SERVICE_SECRETS_H
#define WCTR_SERVICE_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "acl/bitlocker.h"
#include "common/error.h"
#include "runtime/runtime.h"
#include "spec/spec.h"

#define SVC_SECRET_MAX_BYTES (500u * 1024u) /* Docker's limit: 500 KB */
#define SVC_SECRETS_ENV "WCTR_SECRETS_DIR"
/* Where the lead's HCS path mounts a container's secrets folder, read-only. */
#define SVC_SECRETS_CONTAINER_PATH RT_SECRETS_CONTAINER_PATH /* runtime/runtime.h */

/* What `secret ls` and `secret inspect` show; never the value. */
typedef struct svc_secret_meta {
  char id[65];
  char name[SPEC_SECRET_NAME_MAX + 1];
  char created[40];
  int64_t size;
} svc_secret_meta;

/* 1 byte to SVC_SECRET_MAX_BYTES, as Docker ("secret data must be larger than 0 and less than 500 KB"). */
wctr_err svc_secret_check_size(size_t size, wctr_errmsg *e);

/* {"ID","Name","CreatedAt","Size"}. NULL when out of memory. */
cJSON *svc_secret_meta_json(const svc_secret_meta *m);

/* The stored record (format above). entropy_b64 / blob_b64 are base64 text. Caller frees with cJSON_free. */
char *svc_secret_record_format(const svc_secret_meta *m, const char *entropy_b64, const char *blob_b64);
/* Reads a stored record strictly (its strings UTF-8 without raw control characters, as wctr writes them);
 * *entropy and *blob are malloc'ed binary (free with free()). where names the file in messages. */
wctr_err svc_secret_record_parse(const char *text, size_t len, const char *where, svc_secret_meta *m,
                                 uint8_t **entropy, size_t *entropy_len, uint8_t **blob, size_t *blob_len,
                                 wctr_errmsg *e);

typedef enum svc_secrets_gate {
  SVC_SECRETS_ALLOWED = 1,   /* the volume is protected and fully encrypted */
  SVC_SECRETS_ALLOWED_UNENCRYPTED, /* it is not (or unknown), and allow-unencrypted-secrets is on: audit it */
  SVC_SECRETS_REFUSED,       /* it is not, and the override is off */
} svc_secrets_gate;

/* The decision, and in why (when not NULL) a sentence for people: the refusal with the remedy, or the
 * note that goes into the audit record. */
svc_secrets_gate svc_secrets_gate_decide(const acl_bitlocker_status *volume, bool allow_unencrypted, char *why,
                                         size_t why_size);

#ifdef _WIN32

/* --- Windows (secrets_win.c) ------------------------------------------------------------------------ */

/* Process-wide settings, set by the engine before the pipe opens. Until then secrets are refused on any
 * volume that is not encrypted. */
void svc_secrets_configure(const char *data_root, bool allow_unencrypted);

/* The store. value is zeroed by the caller; these never keep a copy. */
wctr_err svc_secret_create(const char *name, const uint8_t *value, size_t len, svc_secret_meta *out,
                           wctr_errmsg *e);
/* Every secret's metadata; *list malloc'ed. */
wctr_err svc_secret_list(svc_secret_meta **list, size_t *count, wctr_errmsg *e);
wctr_err svc_secret_inspect(const char *name, svc_secret_meta *out, wctr_errmsg *e);
/* Is the secret in use? WCTR_OK when it may go; otherwise the refusal, its message in e. */
typedef wctr_err (*svc_secret_in_use_fn)(void *ctx, const char *name, wctr_errmsg *e);
/* Removes the secret. in_use (may be NULL) is asked under the store's lock, between finding the secret and
 * removing its file: a container create's last check of its secrets (svc_secrets_check_refs, after the
 * container is listed) takes the same lock, so a remove and a create of a container naming the secret never
 * both succeed. Readers (list, inspect, check_refs, materialize) hold the lock shared: none of them sees a
 * file vanish under it. */
wctr_err svc_secret_delete(const char *name, svc_secret_in_use_fn in_use, void *ctx, wctr_errmsg *e);
/* WCTR_OK when every secret the spec names exists (for container.create). */
wctr_err svc_secrets_check_refs(const spec_container *spec, wctr_errmsg *e);

/* Decrypts every secret the spec of container id (called name in messages) names into
 * <data-root>\containers\<id>\secrets\<target>: the folder with acl_secrets_dir_sddl(reader_sid), each file
 * with acl_secret_file_sddl(reader_sid), written through acl_create_file and flushed. reader_sid is the
 * identity the container's processes run as: the job's token user for job containers (runtime/rt_job_win.c
 * asks job_identity_token), ContainerUser or ContainerAdministrator for HCS containers (runtime/rt_hcs_win.c
 * then maps the folder read-only at RT_SECRETS_CONTAINER_PATH). The runtimes reach this through the engine's
 * rt_host hooks (service/hooks.h). Checks the BitLocker gate first (WCTR_EACCES when refused); a use is
 * audited as "secret.use", naming the override when it was needed. dir_out receives the folder's path (""
 * when the spec names no secret). On failure nothing is left behind. */
wctr_err svc_secrets_materialize(const char *id, const char *name, const spec_container *spec, const char *reader_sid,
                                 char *dir_out, size_t dir_size, wctr_errmsg *e);
/* Removes <data-root>\containers\<id>\secrets and everything in it; true when nothing is left. */
bool svc_secrets_cleanup(const char *id);
/* Calls fn(arg, id, folder) for every secrets folder under <data-root>\containers whose container is not
 * running (running(ctx, id) false; folders of <id>.removing / <id>.damaged always count); folder is the
 * secrets folder's path. Returns how many. For the sweep and for `wctr check`. */
size_t svc_secrets_orphans(bool (*running)(void *ctx, const char *id), void *ctx,
                           void (*fn)(void *arg, const char *id, const char *folder), void *arg);
/* At start, before the pipe opens: removes the secrets folder of every container for which running(ctx, id)
 * is false, and audits the sweep; also the temporary file of a secret create a crash interrupted. Returns
 * how many folders were removed. */
size_t svc_secrets_sweep(bool (*running)(void *ctx, const char *id), void *ctx);
#endif

#endif
