/* service/audit.c - audit records: format, classification, time filters (portable). */
#include "service/audit.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/civil.h"
#include "common/json.h"
#include "common/utf8.h"

char *svc_audit_format(const svc_audit_record *r) {
  if (r == NULL || r->caller_sid == NULL || r->caller_name == NULL || r->op == NULL || r->result == NULL) {
    return NULL;
  }
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL && cJSON_AddStringToObject(o, "Time", r->time) != NULL &&
            cJSON_AddStringToObject(o, "CallerSid", r->caller_sid) != NULL &&
            cJSON_AddStringToObject(o, "CallerName", r->caller_name) != NULL &&
            cJSON_AddStringToObject(o, "Op", r->op) != NULL &&
            cJSON_AddStringToObject(o, "Target", r->target != NULL ? r->target : "") != NULL &&
            cJSON_AddStringToObject(o, "Result", r->result) != NULL;
  if (ok && r->detail != NULL && r->detail[0] != '\0') ok = cJSON_AddStringToObject(o, "Detail", r->detail) != NULL;
  char *text = ok ? wctr_json_print(o) : NULL;
  cJSON_Delete(o);
  return text;
}

bool svc_audit_op_changes(const char *op) {
  static const char *const changing[] = {"container.create",  "container.start",  "container.run",
                                         "container.stop",    "container.kill",   "container.remove",
                                         "container.update",  "container.restart", "container.rename",
                                         "secret.create",     "secret.remove",    "image.add",
                                         "image.pull",        "image.remove",     "image.tag",
                                         "image.prune",       "image.load",       "exec.create",
                                         "exec.start",        "volume.create",    "volume.remove",
                                         "volume.prune",      "network.create",   "network.remove",
                                         "network.prune",     "container.pause",  "container.unpause",
                                         /* Changes nothing, but hands a secret's value out: always recorded. */
                                         "secret.read",       NULL};
  if (op == NULL) return false;
  for (size_t i = 0; changing[i] != NULL; i++) {
    if (strcmp(changing[i], op) == 0) return true;
  }
  return false;
}

void svc_audit_target(const cJSON *params, char out[SVC_AUDIT_TARGET_MAX]) {
  static const char *const keys[] = {"Id", "Name", "Image", NULL};
  out[0] = '\0';
  if (!cJSON_IsObject(params)) return;
  for (size_t i = 0; keys[i] != NULL; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, keys[i]);
    if (cJSON_IsString(v) && v->valuestring[0] != '\0') {
      /* Cut between two characters, never inside one: the record must stay UTF-8. */
      size_t n = wctr_utf8_cut(v->valuestring, SVC_AUDIT_TARGET_MAX - 1);
      memcpy(out, v->valuestring, n);
      out[n] = '\0';
      return;
    }
  }
}

bool svc_audit_line_since(const char *line, size_t len, const char *since) {
  cJSON *o = cJSON_ParseWithLength(line, len);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "Time");
  bool ok = cJSON_IsString(t) && (since == NULL || since[0] == '\0' || strcmp(t->valuestring, since) >= 0);
  cJSON_Delete(o);
  return ok;
}

/* "YYYY-MM-DD[THH:MM:SS[.fff]][Z]" -> seconds since the epoch; false when it is not that. */
static bool parse_iso(const char *s, int64_t *out) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  int used = 0;
  size_t n = strlen(s);
  if (n < 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) return false;
  const char *p = s + 10;
  if (*p == 'T') {
    if (strlen(p) < 9 || sscanf(p, "T%2d:%2d:%2d%n", &h, &mi, &se, &used) != 3 || used != 9) return false;
    p += 9;
    if (*p == '.') {
      p++;
      if (!isdigit((unsigned char)*p)) return false;
      while (isdigit((unsigned char)*p)) p++;
    }
  }
  if (*p == 'Z') p++;
  if (*p != '\0') return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  *out = wctr_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  return true;
}

wctr_err svc_audit_parse_since(const char *text, const char *now, char out[40], wctr_errmsg *e) {
  int64_t t = 0;
  if (text == NULL || text[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "--since cannot be empty");
  if (parse_iso(text, &t)) {
    /* Records carry milliseconds: the start of the given second sorts before all of its records. */
  } else {
    char *end = NULL;
    if (!isdigit((unsigned char)text[0])) goto bad;
    unsigned long long amount = strtoull(text, &end, 10);
    int64_t unit = 0;
    if (end != NULL && end[0] != '\0' && end[1] == '\0') {
      unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 0;
    }
    int64_t base = 0;
    if (unit == 0 || amount > 100000000ull || !parse_iso(now, &base)) goto bad;
    t = base - (int64_t)amount * unit;
  }
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t secs = t - days * 86400;
  int64_t y = 0;
  int m = 0, d = 0;
  wctr_civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999) goto bad;
  snprintf(out, 40, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.000Z", y, m, d, (int)(secs / 3600),
           (int)(secs % 3600 / 60), (int)(secs % 60));
  return WCTR_OK;
bad:
  return wctr_fail(e, WCTR_EINVAL,
                   "--since \"%.64s\": use a UTC time (2026-11-22 or 2026-11-22T15:00:00Z) or a duration (90s, 10m, "
                   "2h, 3d)",
                   text);
}
