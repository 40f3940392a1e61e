/* service/secrets.c - secret sizes, records and the BitLocker gate (portable). Contract in
 * service/secrets.h. */
#include "service/secrets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/json.h"
#include "common/proto.h"

wctr_err svc_secret_check_size(size_t size, wctr_errmsg *e) {
  if (size == 0 || size > SVC_SECRET_MAX_BYTES) {
    return wctr_fail(e, WCTR_EINVAL, "secret data must be larger than 0 and at most 500 KB (%u bytes); it is %zu bytes",
                     SVC_SECRET_MAX_BYTES, size);
  }
  return WCTR_OK;
}

cJSON *svc_secret_meta_json(const svc_secret_meta *m) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || cJSON_AddStringToObject(o, "ID", m->id) == NULL ||
      cJSON_AddStringToObject(o, "Name", m->name) == NULL ||
      cJSON_AddStringToObject(o, "CreatedAt", m->created) == NULL ||
      cJSON_AddNumberToObject(o, "Size", (double)m->size) == NULL) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

char *svc_secret_record_format(const svc_secret_meta *m, const char *entropy_b64, const char *blob_b64) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL && cJSON_AddNumberToObject(o, "Version", 1) != NULL &&
            cJSON_AddStringToObject(o, "ID", m->id) != NULL && cJSON_AddStringToObject(o, "Name", m->name) != NULL &&
            cJSON_AddStringToObject(o, "CreatedAt", m->created) != NULL &&
            cJSON_AddNumberToObject(o, "Size", (double)m->size) != NULL &&
            cJSON_AddStringToObject(o, "Protection", "dpapi-machine") != NULL &&
            cJSON_AddStringToObject(o, "Entropy", entropy_b64) != NULL &&
            cJSON_AddStringToObject(o, "Blob", blob_b64) != NULL;
  char *text = ok ? wctr_json_print(o) : NULL;
  cJSON_Delete(o);
  return text;
}

static bool is_hex_id(const char *id) {
  if (strlen(id) != 64) return false;
  for (size_t i = 0; i < 64; i++) {
    if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i])) return false;
  }
  return true;
}

wctr_err svc_secret_record_parse(const char *text, size_t len, const char *where, svc_secret_meta *m,
                                 uint8_t **entropy, size_t *entropy_len, uint8_t **blob, size_t *blob_len,
                                 wctr_errmsg *e) {
  static const char *const keys[] = {"Version", "ID", "Name", "CreatedAt", "Size", "Protection", "Entropy", "Blob",
                                     NULL};
  int64_t version = 0;
  const char *id = NULL, *name = NULL, *created = NULL, *protection = NULL, *ent = NULL, *bl = NULL;
  wctr_err err = WCTR_EINVAL;
  *entropy = NULL;
  *blob = NULL;
  memset(m, 0, sizeof *m);
  cJSON *o = cJSON_ParseWithLength(text, len);
  if (o == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "%s is not valid JSON", where);
    goto done;
  }
  /* What wctr writes is UTF-8 (wctr_json_print); a record that is not would be written back in another form
   * (each stray byte as \ufffd: a CreatedAt that no longer fits, found by fuzz_secrets). */
  wctr_errmsg se;
  if (wctr_proto_check_strings(text, len, o, where, &se) != WCTR_OK) {
    err = wctr_fail(e, WCTR_EINVAL, "%s", se.text);
    goto done;
  }
  if (wctr_json_check_keys(o, where, keys, e) != WCTR_OK ||
      wctr_json_get_int64(o, "Version", where, true, 1, 1, &version, e) != WCTR_OK ||
      wctr_json_get_string(o, "ID", where, true, &id, e) != WCTR_OK ||
      wctr_json_get_string(o, "Name", where, true, &name, e) != WCTR_OK ||
      wctr_json_get_string(o, "CreatedAt", where, true, &created, e) != WCTR_OK ||
      wctr_json_get_int64(o, "Size", where, true, 1, SVC_SECRET_MAX_BYTES, &m->size, e) != WCTR_OK ||
      wctr_json_get_string(o, "Protection", where, true, &protection, e) != WCTR_OK ||
      wctr_json_get_string(o, "Entropy", where, true, &ent, e) != WCTR_OK ||
      wctr_json_get_string(o, "Blob", where, true, &bl, e) != WCTR_OK) {
    goto done;
  }
  if (!is_hex_id(id)) {
    wctr_fail(e, WCTR_EINVAL, "%s: \"ID\" is not 64 lowercase hex digits", where);
    goto done;
  }
  if (strcmp(protection, "dpapi-machine") != 0) {
    wctr_fail(e, WCTR_EINVAL, "%s: \"Protection\" must be \"dpapi-machine\"", where);
    goto done;
  }
  if (strlen(created) >= sizeof m->created) {
    wctr_fail(e, WCTR_EINVAL, "%s: \"CreatedAt\" is too long", where);
    goto done;
  }
  err = spec_secret_check_name(name, where, e);
  if (err != WCTR_OK) goto done;
  err = wctr_base64_decode(ent, strlen(ent), entropy, entropy_len, "the entropy", e);
  if (err == WCTR_OK) err = wctr_base64_decode(bl, strlen(bl), blob, blob_len, "the encrypted value", e);
  if (err != WCTR_OK) goto done;
  snprintf(m->id, sizeof m->id, "%s", id);
  snprintf(m->name, sizeof m->name, "%s", name);
  snprintf(m->created, sizeof m->created, "%s", created);
done:
  cJSON_Delete(o);
  if (err != WCTR_OK) {
    free(*entropy);
    free(*blob);
    *entropy = NULL;
    *blob = NULL;
  }
  return err;
}

svc_secrets_gate svc_secrets_gate_decide(const acl_bitlocker_status *volume, bool allow_unencrypted, char *why,
                                         size_t why_size) {
  char scratch[8];
  if (why == NULL) {
    why = scratch;
    why_size = sizeof scratch;
  }
  if (volume->state == ACL_BITLOCKER_ENCRYPTED) {
    snprintf(why, why_size, "volume %s is protected by BitLocker and fully encrypted", volume->volume);
    return SVC_SECRETS_ALLOWED;
  }
  const char *state = volume->state == ACL_BITLOCKER_UNKNOWN ? "its BitLocker status is unknown" : "it is not encrypted";
  if (allow_unencrypted) {
    snprintf(why, why_size,
             "volume %s holds the data root and %s (%s); allowed by \"allow-unencrypted-secrets\": true",
             volume->volume[0] != '\0' ? volume->volume : "?", state, volume->detail);
    return SVC_SECRETS_ALLOWED_UNENCRYPTED;
  }
  snprintf(why, why_size,
           "secrets are refused: the data root's volume %s is not protected by BitLocker and fully encrypted (%s: "
           "%s). Encrypt the volume, or set \"allow-unencrypted-secrets\": true in <data-root>\\config\\wctrd.json "
           "and restart wctrd",
           volume->volume[0] != '\0' ? volume->volume : "?", state, volume->detail);
  return SVC_SECRETS_REFUSED;
}
