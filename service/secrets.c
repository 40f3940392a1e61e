/* service/secrets.c - secret names, sizes, references, records and the BitLocker gate (portable). Contract
 * in service/secrets.h. */
#include "service/secrets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/json.h"

/* At most 64 characters of an outside value, unprintable ones as '?', for messages. */
static void shown(const char *value, char out[72]) {
  size_t n = 0;
  for (; n < 64 && value[n] != '\0'; n++) {
    unsigned char c = (unsigned char)value[n];
    out[n] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
  }
  snprintf(out + n, 72 - n, "%s", value[n] != '\0' ? "..." : "");
}

wctr_err svc_secret_check_name(const char *name, const char *where, wctr_errmsg *e) {
  char text[72];
  if (name == NULL || name[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "%s: a secret name cannot be empty", where);
  size_t n = strlen(name);
  bool ok = n <= SVC_SECRET_NAME_MAX && isalnum((unsigned char)name[0]) && isalnum((unsigned char)name[n - 1]);
  for (size_t i = 1; ok && i + 1 < n; i++) {
    unsigned char c = (unsigned char)name[i];
    ok = isalnum(c) || c == '_' || c == '.' || c == '-';
  }
  if (ok) return WCTR_OK;
  shown(name, text);
  return wctr_fail(e, WCTR_EINVAL,
                   "%s: invalid secret name \"%s\": use 1 to %d characters [a-zA-Z0-9_.-], starting and ending with "
                   "a letter or digit",
                   where, text, SVC_SECRET_NAME_MAX);
}

wctr_err svc_secret_check_target(const char *target, const char *where, wctr_errmsg *e) {
  static const char *const devices[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", NULL};
  char text[72];
  if (target == NULL || target[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "%s: a target cannot be empty", where);
  size_t n = strlen(target);
  shown(target, text);
  if (n > SVC_SECRET_TARGET_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "%s: target \"%s\" is longer than %d characters", where, text,
                     SVC_SECRET_TARGET_MAX);
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)target[i];
    if (c < 0x20 || c == 0x7f || strchr("\\/:*?\"<>|", c) != NULL) {
      return wctr_fail(e, WCTR_EINVAL, "%s: target \"%s\" must be a file name (no \\ / : * ? \" < > | or control characters)",
                       where, text);
    }
  }
  if (strcmp(target, ".") == 0 || strcmp(target, "..") == 0 || target[n - 1] == '.' || target[n - 1] == ' ') {
    return wctr_fail(e, WCTR_EINVAL, "%s: target \"%s\" cannot be . or .. or end with a dot or a space", where, text);
  }
  /* Windows opens the device, not a file, for these names with any extension. */
  size_t stem = strcspn(target, ".");
  char upper[8] = "";
  if (stem < sizeof upper) {
    for (size_t i = 0; i < stem; i++) upper[i] = (char)toupper((unsigned char)target[i]);
    upper[stem] = '\0';
    bool device = false;
    for (size_t i = 0; devices[i] != NULL && !device; i++) device = strcmp(upper, devices[i]) == 0;
    if (!device && stem == 4 && (strncmp(upper, "COM", 3) == 0 || strncmp(upper, "LPT", 3) == 0)) {
      device = upper[3] >= '0' && upper[3] <= '9';
    }
    if (device) return wctr_fail(e, WCTR_EINVAL, "%s: target \"%s\" is a Windows device name", where, text);
  }
  return WCTR_OK;
}

wctr_err svc_secret_check_size(size_t size, wctr_errmsg *e) {
  if (size == 0 || size > SVC_SECRET_MAX_BYTES) {
    return wctr_fail(e, WCTR_EINVAL, "secret data must be larger than 0 and at most 500 KB (%u bytes); it is %zu bytes",
                     SVC_SECRET_MAX_BYTES, size);
  }
  return WCTR_OK;
}

wctr_err svc_secret_refs_parse(const cJSON *array, svc_secret_ref **out, size_t *count, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Target", NULL};
  *out = NULL;
  *count = 0;
  if (array == NULL || cJSON_IsNull(array)) return WCTR_OK;
  if (!cJSON_IsArray(array)) {
    return wctr_fail(e, WCTR_EINVAL, "params: \"Secrets\" must be an array, not %s", wctr_json_type_name(array));
  }
  int n = cJSON_GetArraySize(array);
  if (n > SVC_SECRET_REFS_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "params: \"Secrets\" has %d entries; at most %d", n, SVC_SECRET_REFS_MAX);
  }
  if (n == 0) return WCTR_OK;
  svc_secret_ref *refs = calloc((size_t)n, sizeof *refs);
  if (refs == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  int i = 0;
  wctr_err err = WCTR_OK;
  for (const cJSON *item = array->child; item != NULL && err == WCTR_OK; item = item->next, i++) {
    char where[48];
    const char *name = NULL;
    const char *target = NULL;
    snprintf(where, sizeof where, "params.Secrets[%d]", i);
    if (wctr_json_check_keys(item, where, keys, e) != WCTR_OK ||
        wctr_json_get_string(item, "Name", where, true, &name, e) != WCTR_OK ||
        wctr_json_get_string(item, "Target", where, false, &target, e) != WCTR_OK) {
      err = WCTR_EINVAL;
      break;
    }
    if (target == NULL) target = name;
    err = svc_secret_check_name(name, where, e);
    if (err == WCTR_OK) err = svc_secret_check_target(target, where, e);
    if (err != WCTR_OK) break;
    snprintf(refs[i].name, sizeof refs[i].name, "%s", name);
    snprintf(refs[i].target, sizeof refs[i].target, "%s", target);
    for (int k = 0; k < i; k++) {
      bool same = true;
      const char *a = refs[k].target;
      const char *b = refs[i].target;
      for (; same && (*a != '\0' || *b != '\0'); a++, b++) same = tolower((unsigned char)*a) == tolower((unsigned char)*b);
      if (same) {
        err = wctr_fail(e, WCTR_EINVAL, "%s: target \"%s\" is already used by params.Secrets[%d]", where,
                        refs[i].target, k);
        break;
      }
    }
  }
  if (err != WCTR_OK) {
    free(refs);
    return err;
  }
  *out = refs;
  *count = (size_t)n;
  return WCTR_OK;
}

cJSON *svc_secret_refs_json(const svc_secret_ref *refs, size_t count) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr != NULL && i < count; i++) {
    cJSON *o = cJSON_CreateObject();
    if (o == NULL || cJSON_AddStringToObject(o, "Name", refs[i].name) == NULL ||
        cJSON_AddStringToObject(o, "Target", refs[i].target) == NULL || !cJSON_AddItemToArray(arr, o)) {
      cJSON_Delete(o);
      cJSON_Delete(arr);
      return NULL;
    }
  }
  return arr;
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
  err = svc_secret_check_name(name, where, e);
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
