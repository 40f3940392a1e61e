/* service/system_ops.c - version and info (contract in service/system_ops.h). Portable. */
#include "service/system_ops.h"
#include "spec/spec.h"

#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/proto.h"

static const char *const no_params[] = {NULL};

/* cJSON's Add* return NULL when out of memory; one check at the end instead of one per field. */
static wctr_err finish_object(cJSON *obj, bool ok, cJSON **result, wctr_errmsg *e) {
  if (!ok) {
    cJSON_Delete(obj);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  *result = obj;
  return WCTR_OK;
}

static wctr_err op_version(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                           wctr_errmsg *e) {
  (void)ctx;
  (void)caller;
  if (params != NULL && wctr_json_check_keys(params, "params", no_params, e) != WCTR_OK) return WCTR_EINVAL;
  cJSON *v = cJSON_CreateObject();
  bool ok = v != NULL && cJSON_AddStringToObject(v, "Version", WCTR_VERSION) != NULL &&
            cJSON_AddNumberToObject(v, "ApiVersion", WCTR_PROTO_VERSION) != NULL &&
            cJSON_AddStringToObject(v, "Os", "windows") != NULL &&
            cJSON_AddStringToObject(v, "Arch", "amd64") != NULL;
  return finish_object(v, ok, result, e);
}

static wctr_err op_info(void *ctx, const svc_caller *caller, const cJSON *params, cJSON **result,
                        wctr_errmsg *e) {
  const svc_system_host *host = ctx;
  if (params != NULL && wctr_json_check_keys(params, "params", no_params, e) != WCTR_OK) return WCTR_EINVAL;
  svc_host_facts facts;
  memset(&facts, 0, sizeof facts);
  host->host_facts(host->ctx, &facts);
  char sddl[2048];
  wctr_errmsg sddl_err;
  if (host->pipe_sddl(host->ctx, sddl, sizeof sddl, &sddl_err) != WCTR_OK) {
    snprintf(sddl, sizeof sddl, "unreadable: %s", sddl_err.text);
  }
  cJSON *info = cJSON_CreateObject();
  cJSON *hcs = cJSON_CreateObject();
  cJSON *iso = cJSON_CreateObject();
  cJSON *avail = cJSON_CreateArray();
  cJSON *pipe = cJSON_CreateObject();
  cJSON *bl = cJSON_CreateObject();
  cJSON *who = cJSON_CreateObject();
  cJSON *secrets = cJSON_CreateObject();
  bool ok = info != NULL && hcs != NULL && iso != NULL && avail != NULL && pipe != NULL && bl != NULL &&
            who != NULL && secrets != NULL;
  if (!ok) {
    cJSON_Delete(secrets);
    cJSON_Delete(hcs);
    cJSON_Delete(iso);
    cJSON_Delete(avail);
    cJSON_Delete(pipe);
    cJSON_Delete(bl);
    cJSON_Delete(who);
    return finish_object(info, false, result, e);
  }
  /* Docker's default isolation: process on Windows Server, hyperv on client SKUs. It stays the
   * default even where HCS is missing; `run` then refuses rather than silently falling back to a job
   * container, which shares the host's kernel objects and file system. */
  const char *def = spec_isolation_name(spec_default_isolation(facts.server_sku));
  /* Scalars first, then the sections, so the JSON reads in the order `wctr info` prints. */
  ok = cJSON_AddStringToObject(info, "ServerVersion", WCTR_VERSION) != NULL &&
       cJSON_AddStringToObject(info, "OperatingSystem", facts.os_name) != NULL &&
       cJSON_AddStringToObject(info, "OSVersion", facts.os_version) != NULL &&
       cJSON_AddStringToObject(info, "OSType", "windows") != NULL &&
       cJSON_AddStringToObject(info, "DataRoot", host->data_root) != NULL;
  cJSON_AddItemToObject(info, "HCS", hcs);
  cJSON_AddItemToObject(info, "Isolation", iso);
  cJSON_AddItemToObject(iso, "Available", avail);
  cJSON_AddItemToObject(info, "Pipe", pipe);
  cJSON_AddItemToObject(info, "BitLocker", bl);
  cJSON_AddItemToObject(info, "Secrets", secrets);
  cJSON_AddItemToObject(info, "Caller", who);
  ok = ok &&
       cJSON_AddBoolToObject(hcs, "Available", facts.hcs_available) != NULL &&
       cJSON_AddStringToObject(hcs, "Detail", facts.hcs_detail) != NULL &&
       cJSON_AddStringToObject(iso, "Default", def) != NULL &&
       cJSON_AddStringToObject(pipe, "Name", host->pipe_path) != NULL &&
       cJSON_AddStringToObject(pipe, "SDDL", sddl) != NULL &&
       cJSON_AddStringToObject(bl, "Volume", facts.bitlocker.volume) != NULL &&
       cJSON_AddStringToObject(bl, "State", acl_bitlocker_state_name(facts.bitlocker.state)) != NULL &&
       cJSON_AddStringToObject(bl, "Detail", facts.bitlocker.detail) != NULL &&
       cJSON_AddBoolToObject(secrets, "AllowUnencrypted", facts.allow_unencrypted_secrets) != NULL &&
       cJSON_AddStringToObject(who, "SID", caller->sid) != NULL &&
       cJSON_AddStringToObject(who, "Name", caller->name) != NULL;
  if (ok && facts.hcs_available) {
    ok = cJSON_AddItemToArray(avail, cJSON_CreateString("process")) &&
         cJSON_AddItemToArray(avail, cJSON_CreateString("hyperv"));
  }
  if (ok && facts.job_available) ok = cJSON_AddItemToArray(avail, cJSON_CreateString("job"));
  if (ok && !facts.job_available) ok = cJSON_AddStringToObject(iso, "JobDetail", facts.job_detail) != NULL;
  return finish_object(info, ok, result, e);
}

static const svc_op system_ops[] = {
    {.name = "version", .call = op_version},
    /* Host facts probe HCS, job objects and BitLocker (WMI): not on a worker. */
    {.name = "info", .call = op_info, .flags = SVC_OP_BLOCKING},
};

const svc_op *svc_system_ops(size_t *count) {
  *count = sizeof system_ops / sizeof system_ops[0];
  return system_ops;
}
