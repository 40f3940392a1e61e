/* service/dispatch.c - request parsing, operation table, responses (portable). */
#include "service/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "common/log.h"
#include "common/proto.h"
#include "service/audit.h"
#include "spec/spec.h"

typedef wctr_err (*op_fn)(const svc_dispatch_host *host, const svc_caller *caller, const cJSON *params,
                          cJSON **result, wctr_errmsg *e);

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

static wctr_err op_version(const svc_dispatch_host *host, const svc_caller *caller, const cJSON *params,
                           cJSON **result, wctr_errmsg *e) {
  (void)host;
  (void)caller;
  if (params != NULL && wctr_json_check_keys(params, "params", no_params, e) != WCTR_OK) return WCTR_EINVAL;
  cJSON *v = cJSON_CreateObject();
  bool ok = v != NULL && cJSON_AddStringToObject(v, "Version", WCTR_VERSION) != NULL &&
            cJSON_AddNumberToObject(v, "ApiVersion", WCTR_PROTO_VERSION) != NULL &&
            cJSON_AddStringToObject(v, "Os", "windows") != NULL &&
            cJSON_AddStringToObject(v, "Arch", "amd64") != NULL;
  return finish_object(v, ok, result, e);
}

static wctr_err op_info(const svc_dispatch_host *host, const svc_caller *caller, const cJSON *params,
                        cJSON **result, wctr_errmsg *e) {
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

static const struct {
  const char *name;
  op_fn fn;
} ops[] = {
    {"version", op_version},
    {"info", op_info},
};

/* One audit record, when the host keeps a trail and the request is worth one. */
static void audit_request(const svc_dispatch_host *host, const svc_caller *caller, const char *op,
                          const char *target, wctr_err result, const char *detail) {
  if (host->audit == NULL) return;
  if (result == WCTR_OK && !svc_audit_op_changes(op)) return;
  host->audit(host->ctx, caller, op != NULL ? op : "", target != NULL ? target : "", result,
              result == WCTR_OK ? NULL : detail);
}

/* What a stream operation's thread needs once the request buffer is gone. */
typedef struct stream_call {
  const svc_dispatch_host *host;
  const svc_op *op;
  void *op_ctx;
  svc_caller caller;
  int64_t id;
  cJSON *params; /* a copy, or NULL */
  char target[SVC_AUDIT_TARGET_MAX];
  const svc_stream *inner;
  bool audited;
} stream_call;

/* A stream's messages pass through here so that its final response is audited centrally, whatever the
 * operation. Frames ({"v":1,"id":N,"stream":...}) are recognised by their third key and pass untouched;
 * the final response is parsed once for its error. */
static wctr_err audited_send(void *ctx, const char *msg, size_t len) {
  stream_call *call = ctx;
  wctr_err err = call->inner->send(call->inner->ctx, msg, len);
  size_t head = len < 48 ? len : 48;
  bool frame = false;
  for (size_t i = 0; i + 9 <= head && !frame; i++) frame = memcmp(msg + i, "\"stream\":", 9) == 0;
  if (frame || call->audited) return err;
  call->audited = true;
  wctr_err result = WCTR_OK;
  const char *detail = NULL;
  cJSON *doc = cJSON_ParseWithLength(msg, len);
  const cJSON *error = cJSON_GetObjectItemCaseSensitive(doc, "error");
  if (error != NULL) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    if (!cJSON_IsString(code) || wctr_err_from_name(code->valuestring, &result) != 0 || result == WCTR_OK) {
      result = WCTR_EINTERNAL;
    }
    detail = cJSON_IsString(message) ? message->valuestring : NULL;
  }
  audit_request(call->host, &call->caller, call->op->name, call->target, result, detail);
  cJSON_Delete(doc);
  return err;
}

static wctr_err audited_recv(void *ctx, char **msg, size_t *len, unsigned timeout_ms) {
  stream_call *call = ctx;
  return call->inner->recv(call->inner->ctx, msg, len, timeout_ms);
}

static void run_stream(void *arg, const svc_stream *s) {
  stream_call *call = arg;
  call->inner = s;
  svc_stream wrapped = {.ctx = call, .send = audited_send, .recv = audited_recv, .cancel_event = s->cancel_event};
  call->op->stream(call->op->ctx != NULL ? call->op->ctx : call->op_ctx, &call->caller, call->id, call->params, &wrapped);
  /* A follow (logs -f, events, audit -f) ends when its client leaves, without a final response: that is
   * no refusal. An operation that changes something is recorded either way. */
  if (!call->audited && svc_audit_op_changes(call->op->name)) {
    audit_request(call->host, &call->caller, call->op->name, call->target, WCTR_EPIPE,
                  "the operation ended without a response");
  }
  cJSON_Delete(call->params);
  free(call);
}

static wctr_err start_stream(const svc_dispatch_host *host, const svc_op *op, void *op_ctx,
                             const svc_caller *caller, const wctr_request *req, svc_reply *out, wctr_errmsg *e) {
  stream_call *call = calloc(1, sizeof *call);
  if (call == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  call->host = host;
  call->op = op;
  call->op_ctx = op_ctx;
  svc_audit_target(req->params, call->target);
  call->caller = *caller;
  call->id = req->id;
  if (req->params != NULL) {
    call->params = cJSON_Duplicate(req->params, true);
    if (call->params == NULL) {
      free(call);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  out->stream_fn = run_stream;
  out->stream_arg = call;
  return WCTR_OK;
}

static wctr_err send_owned(const svc_stream *s, char *msg, size_t len) {
  if (msg == NULL) return WCTR_ENOMEM;
  wctr_err err = s->send(s->ctx, msg, len);
  cJSON_free(msg);
  return err;
}

/* The message is built before it is sent: argument evaluation order would otherwise decide whether
 * send_owned sees the length. */
wctr_err svc_stream_reply(const svc_stream *s, int64_t id, cJSON *result) {
  size_t len = 0;
  char *msg = wctr_response_format_result(true, id, result, &len);
  return send_owned(s, msg, len);
}

wctr_err svc_stream_error(const svc_stream *s, int64_t id, wctr_err code, const char *message) {
  size_t len = 0;
  char *msg = wctr_response_format_error(true, id, code, message, &len);
  return send_owned(s, msg, len);
}

wctr_err svc_stream_frame(const svc_stream *s, int64_t id, const char *kind, cJSON *data) {
  cJSON *msg = cJSON_CreateObject();
  char idtext[32];
  snprintf(idtext, sizeof idtext, "%lld", (long long)id);
  bool ok = msg != NULL && cJSON_AddNumberToObject(msg, "v", WCTR_PROTO_VERSION) != NULL &&
            cJSON_AddRawToObject(msg, "id", idtext) != NULL && cJSON_AddStringToObject(msg, "stream", kind) != NULL &&
            data != NULL && cJSON_AddItemToObject(msg, "data", data);
  if (!ok) {
    if (data != NULL && (msg == NULL || cJSON_GetObjectItem(msg, "data") == NULL)) cJSON_Delete(data);
    cJSON_Delete(msg);
    return WCTR_ENOMEM;
  }
  char *text = cJSON_PrintUnformatted(msg);
  cJSON_Delete(msg);
  return send_owned(s, text, text != NULL ? strlen(text) : 0);
}

void svc_dispatch(const svc_dispatch_host *host, const svc_caller *caller, const char *msg, size_t len,
                  svc_reply *out) {
  wctr_request req;
  wctr_errmsg e;
  cJSON *result = NULL;
  char target[SVC_AUDIT_TARGET_MAX] = "";
  bool parsed = false;
  memset(out, 0, sizeof *out);
  wctr_errmsg_clear(&e);
  wctr_err err = wctr_request_parse(msg, len, &req, &e);
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "refused a request from %s (pid %u): %s", caller->name, caller->pid, e.text);
    audit_request(host, caller, "", "", err, e.text);
    goto done;
  }
  parsed = true;
  svc_audit_target(req.params, target);
  op_fn fn = NULL;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0] && fn == NULL; i++) {
    if (strcmp(ops[i].name, req.op) == 0) fn = ops[i].fn;
  }
  const svc_op *engine_op = NULL;
  void *op_ctx = NULL;
  for (size_t i = 0; fn == NULL && engine_op == NULL && i < host->op_count; i++) {
    if (strcmp(host->ops[i].name, req.op) == 0) {
      engine_op = &host->ops[i];
      op_ctx = host->ops_ctx;
    }
  }
  for (size_t i = 0; fn == NULL && engine_op == NULL && i < host->security_op_count; i++) {
    if (strcmp(host->security_ops[i].name, req.op) == 0) {
      engine_op = &host->security_ops[i];
      op_ctx = host->security_ctx;
    }
  }
  if (engine_op != NULL) {
    wctr_log(WCTR_LOG_DEBUG, "op %s id %lld from %s (%s, pid %u)", req.op, (long long)req.id, caller->name,
             caller->sid, caller->pid);
    if (engine_op->admin_only && !caller->admin) {
      err = wctr_fail(&e, WCTR_EACCES, "%s is for administrators only; %s is not one", req.op, caller->name);
      wctr_log(WCTR_LOG_INFO, "refused op %s from %s: not an administrator", req.op, caller->name);
      goto done;
    }
    if (engine_op->stream != NULL) {
      err = start_stream(host, engine_op, op_ctx, caller, &req, out, &e);
      if (err == WCTR_OK) {
        wctr_request_free(&req);
        return;
      }
      goto done;
    }
    err = engine_op->call(engine_op->ctx != NULL ? engine_op->ctx : op_ctx, caller, req.params, &result, &e);
    if (err != WCTR_OK) wctr_log(WCTR_LOG_INFO, "op %s from %s failed: %s", req.op, caller->name, e.text);
    goto done;
  }
  if (fn == NULL) {
    err = wctr_fail(&e, WCTR_EBADOP, "unknown operation \"%s\"", req.op);
    wctr_log(WCTR_LOG_INFO, "refused op %s from %s: unknown operation", req.op, caller->name);
    goto done;
  }
  wctr_log(WCTR_LOG_DEBUG, "op %s id %lld from %s (%s, pid %u)", req.op, (long long)req.id, caller->name,
           caller->sid, caller->pid);
  err = fn(host, caller, req.params, &result, &e);
  if (err != WCTR_OK) wctr_log(WCTR_LOG_INFO, "op %s from %s failed: %s", req.op, caller->name, e.text);
done:
  if (parsed) audit_request(host, caller, req.op, target, err, e.text);
  if (err == WCTR_OK) {
    out->response = wctr_response_format_result(true, req.id, result, &out->len);
  } else {
    out->response = wctr_response_format_error(req.has_id, req.id, err, e.text, &out->len);
  }
  wctr_request_free(&req);
}
