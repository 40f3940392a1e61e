/* service/engine_api_top.c - GET /containers/{id}/top (service/engine_api_internal.h) over container.top, the
 * operation `wctr top` uses (service/manager.h), answered in the shape dockerd gives on Windows: four titles (Name,
 * PID, CPU, Private Working Set) and one row of strings per process. Portable. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "docker/docker.h"
#include "service/engine_api_internal.h"

static double num_of(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) && v->valuedouble > 0 ? v->valuedouble : 0;
}

static bool add_text(cJSON *row, const char *text) { return cJSON_AddItemToArray(row, cJSON_CreateString(text)); }

cJSON *api_shape_top(const cJSON *result) {
  static const char *const titles[] = {"Name", "PID", "CPU", "Private Working Set"};
  cJSON *out = cJSON_CreateObject();
  cJSON *t = out != NULL ? cJSON_AddArrayToObject(out, "Titles") : NULL;
  bool ok = t != NULL;
  for (size_t i = 0; ok && i < sizeof titles / sizeof titles[0]; i++) ok = add_text(t, titles[i]);
  const cJSON *procs = cJSON_GetObjectItemCaseSensitive(result, "Processes");
  /* dockerd appends to a nil list: no process is null, not []. */
  cJSON *rows = NULL;
  if (ok && cJSON_GetArraySize(procs) > 0) {
    rows = cJSON_AddArrayToObject(out, "Processes");
    ok = rows != NULL;
  } else if (ok) {
    ok = cJSON_AddNullToObject(out, "Processes") != NULL;
  }
  const cJSON *each = ok ? procs : NULL;
  const cJSON *p;
  cJSON_ArrayForEach(p, each) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "ImageName");
    /* Kernel plus user time in 100 ns units, as HH:MM:SS.mmm (hours not wrapped). */
    uint64_t ms = ((uint64_t)num_of(p, "KernelTime100ns") + (uint64_t)num_of(p, "UserTime100ns")) / 10000u;
    char pid[24], cpu[48], mem[32];
    snprintf(pid, sizeof pid, "%.0f", num_of(p, "ProcessId"));
    snprintf(cpu, sizeof cpu, "%02llu:%02llu:%02llu.%03llu", (unsigned long long)(ms / 3600000u),
             (unsigned long long)(ms / 60000u % 60u), (unsigned long long)(ms / 1000u % 60u),
             (unsigned long long)(ms % 1000u));
    /* go-units' HumanSize: four significant digits, decimal units ("1.5MB") */
    docker_human_size(num_of(p, "MemoryWorkingSetPrivateBytes"), 4, mem, sizeof mem);
    cJSON *row = cJSON_CreateArray();
    ok = row != NULL && add_text(row, cJSON_IsString(name) ? name->valuestring : "") && add_text(row, pid) &&
         add_text(row, cpu) && add_text(row, mem);
    if (!ok || !cJSON_AddItemToArray(rows, row)) {
      cJSON_Delete(row);
      ok = false;
      break;
    }
  }
  if (!ok) {
    cJSON_Delete(out);
    return NULL;
  }
  return out;
}

static void top_done(api_req *r, wctr_err err, cJSON *result, const char *message) {
  if (err != WCTR_OK) {
    api_reply_failure(r, err, message);
    return;
  }
  cJSON *out = api_shape_top(result);
  if (out == NULL) {
    api_reply_error(r, 500, "out of memory");
    return;
  }
  api_reply_json(r, 200, out);
}

void api_container_top(api_req *r) {
  /* dockerd on Windows refuses ps arguments before it looks the container up. Its status is a 500 (an untyped
   * error); a parameter the platform cannot take is a 400 here, as every other refused parameter. */
  char *ps_args = api_query(r, "ps_args");
  bool has_args = ps_args != NULL && ps_args[0] != '\0';
  free(ps_args);
  if (has_args) {
    api_refuse(r, 400, WCTR_ENOTSUP, "container.top", "Windows does not support arguments to top (ps_args)");
    return;
  }
  api_call(r, "container.top", api_id_params(r->id), false, top_done);
}
