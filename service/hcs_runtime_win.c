/* service/hcs_runtime_win.c - process and Hyper-V containers through HCS. Contract: service/hcs_runtime.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/wstr.h"
#include "acl/sid.h"
#include "gmsa/ccg.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "hcs/client.h"
#include "hcs/document.h"
#include "hcs/errors.h"
#include "hcs/osversion.h"
#include "service/hcs_runtime.h"
#include "service/secrets.h"
#include "service/store.h"

#define HR_IMAGE_MISMATCH 0x80370101u
enum { STOP_CALL_MS = 30000, FINISH_WAIT_MS = 10000 };

struct svc_hcs {
  hcs_client *client; /* NULL when HCS cannot be loaded */
  char why[400];
  char host_os[40];
  int host_cpus;
  svc_images *images;
  job_monitor *monitor;
};

struct svc_hcs_ctr {
  svc_hcs *h;
  volatile LONG refs;
  hcs_system *system;
  hcs_system *uvm;
  hcs_process *init;
  job_object *silo;
  HANDLE done;           /* the first process or a compute system has exited */
  HANDLE systems_down;   /* every compute system has reported its exit */
  CRITICAL_SECTION lock; /* the exit fields */
  bool exited;
  int64_t code;
  bool unexpected;       /* a compute system exited on its own (crash): code -1, why says which */
  int systems;           /* compute systems watched */
  int systems_exited;
  char why[200];
  bool filter_attached;
  bool ccg_added;        /* a Container Credential Guard instance exists for this container */
  char id[SVC_ID_HEX + 1];
  char sandbox[1200];
};

/* --- the runtime ---------------------------------------------------------------------------------------- */

wctr_err svc_hcs_open(const svc_hcs_options *opt, svc_hcs **out, wctr_errmsg *e) {
  svc_hcs *h = calloc(1, sizeof *h);
  if (h == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  snprintf(h->host_os, sizeof h->host_os, "%s", opt->host_os_version != NULL ? opt->host_os_version : "");
  h->host_cpus = opt->host_cpus > 0 ? opt->host_cpus : 1;
  h->images = opt->images;
  h->monitor = opt->monitor;
  wctr_errmsg le;
  if (hcs_client_load(&h->client, &le) != WCTR_OK) {
    snprintf(h->why, sizeof h->why, "%s", le.text);
    wctr_log(WCTR_LOG_INFO, "process and Hyper-V isolation unavailable: %s", le.text);
  }
  *out = h;
  return WCTR_OK;
}

void svc_hcs_close(svc_hcs *h) {
  if (h == NULL) return;
  hcs_client_unload(h->client);
  free(h);
}

bool svc_hcs_available(const svc_hcs *h, const char **why) {
  if (why != NULL) *why = h->why;
  return h->client != NULL;
}

/* --- create time --------------------------------------------------------------------------------------- */

wctr_err svc_hcs_prepare(svc_hcs *h, wctr_isolation isolation, cJSON *params, wctr_errmsg *e) {
  const cJSON *image = cJSON_GetObjectItemCaseSensitive(params, "Image");
  if (!cJSON_IsString(image)) return wctr_fail(e, WCTR_EINVAL, "params: \"Image\" is required");
  svc_image img;
  wctr_err err = svc_images_get(h->images, image->valuestring, &img, e);
  if (err != WCTR_OK) return err;
  /* The record keeps the catalog's normalised name. */
  cJSON_ReplaceItemInObjectCaseSensitive(params, "Image", cJSON_CreateString(img.name));
  const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(params, "Cmd");
  if (cmd == NULL || (cJSON_IsArray(cmd) && cJSON_GetArraySize(cmd) == 0)) {
    if (img.cmd_count == 0) {
      err = wctr_fail(e, WCTR_EINVAL, "No command specified: image %s has no default command", img.name);
    } else {
      cJSON *list = cJSON_CreateArray();
      for (size_t i = 0; list != NULL && i < img.cmd_count; i++) cJSON_AddItemToArray(list, cJSON_CreateString(img.cmd[i]));
      cJSON_DeleteItemFromObjectCaseSensitive(params, "Cmd");
      if (list == NULL || !cJSON_AddItemToObject(params, "Cmd", list)) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
  }
  if (err == WCTR_OK && img.user != NULL && cJSON_GetObjectItemCaseSensitive(params, "User") == NULL) {
    cJSON_AddStringToObject(params, "User", img.user);
  }
  if (err == WCTR_OK && isolation == WCTR_ISOLATION_PROCESS) {
    hcs_osversion host, mine;
    char msg[300];
    if (hcs_osversion_parse(h->host_os, &host, e) != WCTR_OK) {
      err = wctr_fail(e, WCTR_ESYSTEM, "the host's OS version \"%s\" cannot be read", h->host_os);
    } else if (hcs_osversion_parse(img.os_version, &mine, e) != WCTR_OK) {
      err = WCTR_EINVAL;
    } else if (hcs_osversion_check(&host, &mine, msg, sizeof msg) != HCS_COMPAT_OK) {
      err = wctr_fail(e, WCTR_EINVAL, "image %s: %s", img.name, msg);
    }
  }
  svc_image_free(&img);
  return err;
}

/* --- the plan: what a start sends --------------------------------------------------------------------- */

typedef struct plan {
  bool hyperv;
  svc_image img;
  hcs_layer *layers;
  spec_mount *mounts;
  size_t mount_count;
  char sandbox[1200];
  char scratch_vhdx[1300];
  char uvm_id[SVC_ID_HEX + 8];
  char uvm_scratch[1300];
  char uvm_template[700];
  char guest_sandbox[40];
  uint64_t uvm_mb;
  double uvm_cpus;
  cJSON *layer_data;
  cJSON *uvm_doc;
  cJSON *scsi;
  cJSON *doc;
  cJSON *process;
} plan;

static void plan_free(plan *p) {
  for (size_t i = 0; i < p->mount_count; i++) spec_mount_free(&p->mounts[i]);
  free(p->mounts);
  free(p->layers);
  svc_image_free(&p->img);
  cJSON_Delete(p->layer_data);
  /* After CCG the documents hold the credential spec: zeroed before they are freed. */
  gmsa_json_secure_delete(p->uvm_doc);
  cJSON_Delete(p->scsi);
  gmsa_json_secure_delete(p->doc);
  cJSON_Delete(p->process);
  memset(p, 0, sizeof *p);
}

static void strip_slash(const char *in, char *out, size_t size) {
  snprintf(out, size, "%s", in);
  size_t n = strlen(out);
  while (n > 0 && (out[n - 1] == '\\' || out[n - 1] == '/')) out[--n] = '\0';
}

static wctr_err plan_build(svc_hcs *h, const svc_container *c, const char *container_dir, plan *p,
                           spec_warnings *warnings, wctr_errmsg *e) {
  memset(p, 0, sizeof *p);
  p->hyperv = c->spec.isolation == WCTR_ISOLATION_HYPERV;
  wctr_err err = svc_images_get(h->images, c->spec.image, &p->img, e);
  if (err != WCTR_OK) return err;
  p->layers = calloc(p->img.layer_count, sizeof *p->layers);
  size_t mounts = c->spec.bind_count + (c->spec.secret_count > 0 ? 1 : 0);
  p->mounts = mounts > 0 ? calloc(mounts, sizeof *p->mounts) : NULL;
  if (p->layers == NULL || (mounts > 0 && p->mounts == NULL)) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; i < p->img.layer_count; i++) p->layers[i] = (hcs_layer){p->img.layers[i].id, p->img.layers[i].path};
  for (size_t i = 0; i < c->spec.bind_count; i++) {
    err = spec_mount_parse(c->spec.binds[i], &p->mounts[i], e);
    if (err != WCTR_OK) return err;
    p->mount_count++;
  }
  char dir[1100];
  strip_slash(container_dir, dir, sizeof dir);
  snprintf(p->sandbox, sizeof p->sandbox, "%s\\sandbox", dir);
  if (c->spec.secret_count > 0) {
    /* The folder svc_secrets_materialize fills at start, read-only where Docker's secrets would be. */
    spec_mount *m = &p->mounts[p->mount_count];
    size_t n = strlen(dir) + sizeof "\\secrets";
    m->host_path = malloc(n);
    m->container_path = strdup(SVC_SECRETS_CONTAINER_PATH);
    if (m->host_path == NULL || m->container_path == NULL) {
      spec_mount_free(m);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    snprintf(m->host_path, n, "%s\\secrets", dir);
    m->read_only = true;
    p->mount_count++;
  }
  const char *base = p->img.layers[p->img.layer_count - 1].path;
  if (p->hyperv) {
    snprintf(p->scratch_vhdx, sizeof p->scratch_vhdx, "%s\\sandbox.vhdx", p->sandbox);
    snprintf(p->uvm_id, sizeof p->uvm_id, "%s%s", c->id, SVC_HCS_UVM_SUFFIX);
    snprintf(p->uvm_scratch, sizeof p->uvm_scratch, "%s\\uvm\\sandbox.vhdx", dir);
    snprintf(p->uvm_template, sizeof p->uvm_template, "%s\\UtilityVM\\SystemTemplate.vhdx", base);
    snprintf(p->guest_sandbox, sizeof p->guest_sandbox, "C:\\c\\%.12s", c->id);
  }
  hcs_doc_input in = {
      .container_id = c->id,
      .layers = p->layers,
      .layer_count = p->img.layer_count,
      .sandbox_path = p->hyperv ? p->guest_sandbox : p->sandbox,
      .mounts = p->mounts,
      .mount_count = p->mount_count,
      .host_cpus = h->host_cpus,
      .uvm_id = p->hyperv ? p->uvm_id : NULL,
      .uvm_scratch_path = p->hyperv ? p->uvm_scratch : NULL,
  };
  p->layer_data = hcs_doc_layer_data(p->layers, p->img.layer_count);
  if (p->layer_data == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (p->hyperv) {
    err = hcs_doc_uvm(&c->spec, &in, &p->uvm_doc, warnings, e);
    if (err == WCTR_OK) err = hcs_doc_hosted_container(&c->spec, &in, &p->doc, NULL, e);
    if (err == WCTR_OK && (p->scsi = hcs_doc_scsi_add(1, p->scratch_vhdx)) == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    if (err == WCTR_OK) {
      const cJSON *topo = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->uvm_doc, "VirtualMachine"),
                                                           "ComputeTopology");
      const cJSON *mb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(topo, "Memory"), "SizeInMB");
      const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(topo, "Processor"), "Count");
      p->uvm_mb = cJSON_IsNumber(mb) ? (uint64_t)mb->valuedouble : 0;
      p->uvm_cpus = cJSON_IsNumber(n) ? n->valuedouble : 0;
    }
  } else {
    err = hcs_doc_process_container(&c->spec, &in, &p->doc, warnings, e);
  }
  if (err == WCTR_OK) err = hcs_doc_process_params(&c->spec, &p->process, e);
  return err;
}

/* --- Container Credential Guard (gmsa/ccg.h) ---------------------------------------------------------- */

static gmsa_ccg_transport ccg_transport(bool hyperv) { return hyperv ? GMSA_CCG_HVSOCKET : GMSA_CCG_LRPC; }

/* The AddInstance document with the spec's PluginInput replaced by GMSA_REDACTED. */
static wctr_err ccg_add_redacted(const svc_container *c, bool hyperv, cJSON **out, wctr_errmsg *e) {
  const char *spec_text = c->spec.credspec_json;
  gmsa_credspec *spec = NULL;
  char *redacted = NULL;
  wctr_err err = gmsa_credspec_parse(spec_text, strlen(spec_text), &spec, e);
  if (err == WCTR_OK) err = gmsa_credspec_to_json_redacted(spec, &redacted, e);
  if (err == WCTR_OK) err = gmsa_ccg_add_settings(c->id, redacted, ccg_transport(hyperv), out, e);
  gmsa_credspec_free(spec);
  gmsa_secret_free(redacted);
  return err;
}

/* RemoveInstance; an instance that is gone already counts as removed. */
static wctr_err ccg_remove(svc_hcs *h, const char *id, wctr_errmsg *e) {
  cJSON *remove = NULL;
  wctr_err err = gmsa_ccg_remove_settings(id, &remove, e);
  if (err == WCTR_OK) err = hcs_service_modify(h->client, remove, NULL, e);
  cJSON_Delete(remove);
  if (err == WCTR_ENOENT) err = WCTR_OK;
  return err;
}

/* AddInstance for the container, then the instance HCS made put into the documents: the container's
 * ContainerCredentialGuard and, for Hyper-V, the utility VM's HvSocket service. */
static wctr_err ccg_add(svc_hcs *h, const svc_container *c, plan *p, svc_hcs_ctr *r, wctr_errmsg *e) {
  cJSON *add = NULL;
  cJSON *props = NULL;
  cJSON *query = cJSON_Parse(GMSA_CCG_QUERY);
  gmsa_ccg_instance inst = {0};
  wctr_err err = query != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err == WCTR_OK) err = gmsa_ccg_add_settings(c->id, c->spec.credspec_json, ccg_transport(p->hyperv), &add, e);
  if (err == WCTR_OK) err = hcs_service_modify(h->client, add, NULL, e);
  gmsa_json_secure_delete(add);
  if (err != WCTR_OK) {
    cJSON_Delete(query);
    return err;
  }
  r->ccg_added = true;
  err = hcs_service_properties(h->client, query, &props, e);
  cJSON_Delete(query);
  if (err == WCTR_OK) err = gmsa_ccg_find_instance_doc(props, c->id, &inst, e);
  gmsa_json_secure_delete(props);
  cJSON *container = p->hyperv ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->doc, "HostedSystem"),
                                                                   "Container")
                               : cJSON_GetObjectItemCaseSensitive(p->doc, "Container");
  if (err == WCTR_OK) err = gmsa_ccg_put_in_container(container, &inst, e);
  if (err == WCTR_OK && p->hyperv) {
    cJSON *devices = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p->uvm_doc, "VirtualMachine"),
                                                      "Devices");
    cJSON *hv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(devices, "HvSocket"), "HvSocketConfig");
    err = gmsa_ccg_put_in_vm(hv, &inst, e);
  }
  gmsa_ccg_instance_free(&inst);
  return err;
}

static bool add_call(cJSON *calls, const char *call, const char *id, const char *path, const cJSON *doc) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || !cJSON_AddItemToArray(calls, o) || cJSON_AddStringToObject(o, "call", call) == NULL) return false;
  if (id != NULL && cJSON_AddStringToObject(o, "id", id) == NULL) return false;
  if (path != NULL && cJSON_AddStringToObject(o, "path", path) == NULL) return false;
  return cJSON_AddItemToObject(o, "document", cJSON_Duplicate(doc, true));
}

wctr_err svc_hcs_plan_calls(svc_hcs *h, const svc_container *c, const char *container_dir, cJSON **calls,
                            spec_warnings *warnings, wctr_errmsg *e) {
  *calls = NULL;
  plan p;
  wctr_err err = plan_build(h, c, container_dir, &p, warnings, e);
  cJSON *list = err == WCTR_OK ? cJSON_CreateArray() : NULL;
  if (err == WCTR_OK) {
    bool ok = list != NULL && add_call(list, "HcsInitializeWritableLayer", NULL, p.sandbox, p.layer_data);
    if (ok && c->spec.credspec_json != NULL) {
      /* The AddInstance request as it would be sent, with PluginInput redacted: a dry run shows documents,
       * never secrets. ContainerCredentialGuard itself comes from HCS's answer at run time. */
      cJSON *add = NULL;
      err = ccg_add_redacted(c, p.hyperv, &add, e);
      ok = err == WCTR_OK && add_call(list, "HcsModifyServiceSettings", NULL, NULL, add);
      cJSON_Delete(add);
    }
    if (ok && !p.hyperv) ok = add_call(list, "HcsAttachLayerStorageFilter", NULL, p.sandbox, p.layer_data);
    if (ok && p.hyperv) {
      ok = add_call(list, "HcsCreateComputeSystem", p.uvm_id, NULL, p.uvm_doc) &&
           add_call(list, "HcsModifyComputeSystem", p.uvm_id, NULL, p.scsi);
    }
    ok = ok && add_call(list, "HcsCreateComputeSystem", c->id, NULL, p.doc) &&
         add_call(list, "HcsCreateProcess", c->id, NULL, p.process);
    if (!ok && err == WCTR_OK) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  plan_free(&p);
  if (err != WCTR_OK) {
    cJSON_Delete(list);
    return err;
  }
  *calls = list;
  return WCTR_OK;
}

/* --- callbacks ----------------------------------------------------------------------------------------- */

static void on_process_exit(void *ctx, const hcs_exit *x) {
  svc_hcs_ctr *r = ctx;
  EnterCriticalSection(&r->lock);
  if (!r->exited) {
    r->exited = true;
    r->code = x->code_known ? x->exit_code : -1;
    if (!x->code_known) snprintf(r->why, sizeof r->why, "HCS could not read the exit code");
  }
  LeaveCriticalSection(&r->lock);
  SetEvent(r->done);
}

/* A system's exit. A crash (any exit type but the graceful or forced one wctr asks for) wins over the
 * process's exit code, which the crash caused: HCS delivers the processes' exits first. */
static void on_system_exit(void *ctx, const hcs_exit *x, const char *which, bool is_uvm) {
  svc_hcs_ctr *r = ctx;
  bool unexpected = strcmp(x->exit_type, "GracefulExit") != 0 && strcmp(x->exit_type, "ForcedExit") != 0;
  EnterCriticalSection(&r->lock);
  r->exited = true;
  /* A crashed utility VM takes its container with it: the VM is the cause worth naming. */
  if (unexpected && (!r->unexpected || is_uvm)) {
    r->unexpected = true;
    r->code = -1;
    snprintf(r->why, sizeof r->why, "the %s exited (%s, status 0x%08lX)", which, x->exit_type,
             (unsigned long)(uint32_t)x->status);
    wctr_log(WCTR_LOG_WARN, "%s", r->why);
  }
  bool all = ++r->systems_exited >= r->systems;
  LeaveCriticalSection(&r->lock);
  SetEvent(r->done);
  if (all) SetEvent(r->systems_down);
}

static void on_container_exit(void *ctx, const hcs_exit *x) {
  on_system_exit(ctx, x, "container's compute system", false);
}
static void on_uvm_exit(void *ctx, const hcs_exit *x) { on_system_exit(ctx, x, "utility VM", true); }

/* --- the running container ----------------------------------------------------------------------------- */

static svc_hcs_ctr *ctr_new(svc_hcs *h) {
  svc_hcs_ctr *r = calloc(1, sizeof *r);
  if (r == NULL) return NULL;
  r->h = h;
  r->refs = 1;
  r->code = -1;
  InitializeCriticalSection(&r->lock);
  r->done = CreateEventW(NULL, TRUE, FALSE, NULL);
  r->systems_down = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (r->done == NULL || r->systems_down == NULL) {
    if (r->done != NULL) CloseHandle(r->done);
    if (r->systems_down != NULL) CloseHandle(r->systems_down);
    DeleteCriticalSection(&r->lock);
    free(r);
    return NULL;
  }
  return r;
}

void svc_hcs_ref(svc_hcs_ctr *r) { InterlockedIncrement(&r->refs); }

void svc_hcs_unref(svc_hcs_ctr *r) {
  if (r == NULL || InterlockedDecrement(&r->refs) > 0) return;
  /* Closing waits for callbacks running on these handles; none is in flight any more (no reference). */
  hcs_process_close(r->init);
  hcs_system_close(r->system);
  hcs_system_close(r->uvm);
  if (r->silo != NULL) {
    if (r->h->monitor != NULL) job_monitor_remove(r->h->monitor, r->silo);
    job_close(r->silo);
  }
  CloseHandle(r->done);
  CloseHandle(r->systems_down);
  DeleteCriticalSection(&r->lock);
  free(r);
}

HANDLE svc_hcs_done_event(const svc_hcs_ctr *r) { return r->done; }

static void exit_status(svc_hcs_ctr *r, int64_t *code, char *why, size_t why_size) {
  EnterCriticalSection(&r->lock);
  *code = r->code;
  if (why != NULL && why_size > 0) snprintf(why, why_size, "%s", r->why);
  LeaveCriticalSection(&r->lock);
}

static bool file_exists(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  DWORD a = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
  free(w);
  return a != INVALID_FILE_ATTRIBUTES;
}

static wctr_err copy_file(const char *from, const char *to, wctr_errmsg *e) {
  wchar_t *wf = wctr_utf8_to_wide(from);
  wchar_t *wt = wctr_utf8_to_wide(to);
  BOOL ok = wf != NULL && wt != NULL && CopyFileW(wf, wt, FALSE);
  DWORD code = GetLastError();
  free(wf);
  free(wt);
  if (ok) return WCTR_OK;
  if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) {
    return wctr_fail(e, WCTR_ENOENT, "Hyper-V isolation needs the image's utility VM: %s is missing", from);
  }
  return wctr_fail(e, wctr_log_win32("CopyFileW", code, "%s", to), "cannot create the utility VM's scratch %s", to);
}

static void delete_file(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  if (w != NULL) DeleteFileW(w);
  free(w);
}

static wctr_err watch_system(hcs_system *s, hcs_exit_fn on_exit, svc_hcs_ctr *r, wctr_errmsg *e) {
  EnterCriticalSection(&r->lock);
  r->systems++;
  LeaveCriticalSection(&r->lock);
  return hcs_system_watch(s, on_exit, r, e);
}

/* A system to create, watch and start; on failure it is terminated and closed. */
static wctr_err create_and_start(svc_hcs *h, const char *id, const cJSON *doc, hcs_exit_fn on_exit, svc_hcs_ctr *r,
                                 hcs_system **out, const char *image_os, wctr_errmsg *e) {
  hcs_system *s = NULL;
  uint32_t hr = 0;
  wctr_err err = hcs_system_create(h->client, id, doc, SVC_HCS_CALL_TIMEOUT_MS, &s, &hr, e);
  if (err == WCTR_OK) err = watch_system(s, on_exit, r, e);
  if (err == WCTR_OK) err = hcs_system_start(s, SVC_HCS_CALL_TIMEOUT_MS, &hr, e);
  if (err != WCTR_OK && (hr & 0x3FFFFFFFu) == (HR_IMAGE_MISMATCH & 0x3FFFFFFFu)) {
    /* HCS's own check disagreed with ours: say what was compared. */
    char more[sizeof e->text];
    snprintf(more, sizeof more, "%s (image OS version %s, host %s)", e->text, image_os, h->host_os);
    snprintf(e->text, sizeof e->text, "%s", more);
  }
  if (err != WCTR_OK && s != NULL) {
    wctr_errmsg te;
    hcs_system_terminate(s, STOP_CALL_MS, &te);
    hcs_system_close(s);
    s = NULL;
  }
  *out = s;
  return err;
}

/* Process isolation: the silo HCS made, for OOM, accounting and the process limit. */
static wctr_err open_silo(svc_hcs *h, const svc_container *c, svc_hcs_ctr *r, void *key, wctr_errmsg *e) {
  wctr_errmsg se;
  if (job_open_silo(c->id, &r->silo, &se) != WCTR_OK) {
    if (c->spec.resources.pids_limit > 0) {
      return wctr_fail(e, WCTR_ENOTSUP, "--pids-limit cannot be applied: %s", se.text);
    }
    wctr_log(WCTR_LOG_WARN, "container %s: %s; OOM will not be reported and stats come from HCS only", c->name, se.text);
    return WCTR_OK;
  }
  if (c->spec.resources.pids_limit > 0) {
    wctr_err err = job_set_process_limit(r->silo, (uint32_t)c->spec.resources.pids_limit, e);
    if (err != WCTR_OK) return err;
  }
  if (h->monitor != NULL && job_monitor_add(h->monitor, r->silo, key, &se) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: no silo notifications (%s)", c->name, se.text);
  }
  return WCTR_OK;
}

static cJSON *runtime_json(const plan *p, const svc_container *c) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o != NULL && cJSON_AddStringToObject(o, "Type", "hcs") && cJSON_AddStringToObject(o, "SystemId", c->id) &&
            cJSON_AddStringToObject(o, "Sandbox", p->sandbox);
  if (ok && p->hyperv) {
    cJSON *vm = cJSON_AddObjectToObject(o, "UtilityVm");
    ok = vm != NULL && cJSON_AddStringToObject(vm, "Id", p->uvm_id) &&
         cJSON_AddNumberToObject(vm, "MemoryMB", (double)p->uvm_mb) &&
         cJSON_AddNumberToObject(vm, "ProcessorCount", p->uvm_cpus);
  }
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

wctr_err svc_hcs_start(svc_hcs *h, svc_container *c, const char *container_dir, void *key, svc_hcs_ctr **out,
                       svc_hcs_io *io, wctr_errmsg *e) {
  *out = NULL;
  memset(io, 0, sizeof *io);
  const char *why = NULL;
  if (!svc_hcs_available(h, &why)) return wctr_fail(e, WCTR_ENOTSUP, "%s", why);
  plan p;
  spec_warnings ignored = {0};
  svc_hcs_ctr *r = NULL;
  bool sandbox_created = false;
  bool uvm_scratch_created = false;
  bool secrets_made = false;
  hcs_process_io pio = {0};
  const char *user = c->spec.process.user != NULL ? c->spec.process.user : HCS_DEFAULT_USER;
  wctr_err err = plan_build(h, c, container_dir, &p, &ignored, e);
  if (err == WCTR_OK && (r = ctr_new(h)) == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) goto fail;
  snprintf(r->sandbox, sizeof r->sandbox, "%s", p.sandbox);
  snprintf(r->id, sizeof r->id, "%s", c->id);
  if (c->spec.credspec_json != NULL) {
    err = ccg_add(h, c, &p, r, e);
    if (err != WCTR_OK) goto fail;
  }
  if (c->spec.secret_count > 0) {
    /* Readable by the container's own identity only (with SYSTEM and Administrators): ContainerUser unless
     * the container runs as ContainerAdministrator. */
    const char *sid = _stricmp(user, "ContainerAdministrator") == 0 ? ACL_SID_CONTAINER_ADMINISTRATOR : ACL_SID_CONTAINER_USER;
    char secrets_dir[1300];
    err = svc_secrets_materialize(c, sid, secrets_dir, sizeof secrets_dir, e);
    if (err != WCTR_OK) goto fail;
    secrets_made = true;
  }
  if (!file_exists(p.sandbox)) {
    err = hcs_layer_init_writable(h->client, p.sandbox, p.layers, p.img.layer_count, e);
    if (err != WCTR_OK) goto fail;
    sandbox_created = true;
  }
  if (!p.hyperv) {
    err = hcs_layer_attach_filter(h->client, p.sandbox, p.layers, p.img.layer_count, e);
    if (err != WCTR_OK) goto fail;
    r->filter_attached = true;
    err = create_and_start(h, c->id, p.doc, on_container_exit, r, &r->system, p.img.os_version, e);
    if (err == WCTR_OK) err = open_silo(h, c, r, key, e);
    if (err != WCTR_OK) goto fail;
  } else {
    char uvm_dir[1300];
    snprintf(uvm_dir, sizeof uvm_dir, "%s", p.uvm_scratch);
    *strrchr(uvm_dir, '\\') = '\0';
    err = svc_make_subdir(uvm_dir, e);
    if (err == WCTR_OK) err = copy_file(p.uvm_template, p.uvm_scratch, e);
    if (err != WCTR_OK) goto fail;
    uvm_scratch_created = true;
    err = hcs_grant_vm_access(h->client, p.uvm_id, p.uvm_scratch, e);
    if (err == WCTR_OK) err = create_and_start(h, p.uvm_id, p.uvm_doc, on_uvm_exit, r, &r->uvm, p.img.os_version, e);
    if (err == WCTR_OK) err = hcs_grant_vm_access(h->client, p.uvm_id, p.scratch_vhdx, e);
    if (err == WCTR_OK) err = hcs_system_modify(r->uvm, p.scsi, SVC_HCS_CALL_TIMEOUT_MS, e);
    if (err == WCTR_OK) err = create_and_start(h, c->id, p.doc, on_container_exit, r, &r->system, p.img.os_version, e);
    if (err != WCTR_OK) goto fail;
  }
  err = hcs_process_create(r->system, p.process, SVC_HCS_CALL_TIMEOUT_MS, &r->init, &pio, e);
  if (err == WCTR_OK) err = hcs_process_watch(r->init, on_process_exit, r, e);
  if (err != WCTR_OK) goto fail;
  cJSON *rt = runtime_json(&p, c);
  if (rt == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto fail;
  }
  cJSON_Delete(c->runtime);
  c->runtime = rt;
  io->pid = pio.pid;
  io->std_in = pio.std_in;
  io->std_out = pio.std_out;
  io->std_err = pio.std_err;
  snprintf(c->identity, sizeof c->identity, "%s", user);
  plan_free(&p);
  *out = r;
  return WCTR_OK;
fail:
  if (pio.std_in != NULL) CloseHandle(pio.std_in);
  if (pio.std_out != NULL) CloseHandle(pio.std_out);
  if (pio.std_err != NULL) CloseHandle(pio.std_err);
  if (r != NULL) {
    wctr_errmsg ue;
    if (r->init != NULL) hcs_process_terminate(r->init, STOP_CALL_MS, &ue);
    if (r->system != NULL) hcs_system_terminate(r->system, STOP_CALL_MS, &ue);
    if (r->uvm != NULL) hcs_system_terminate(r->uvm, STOP_CALL_MS, &ue);
    if (r->filter_attached && hcs_layer_detach_filter(h->client, p.sandbox, &ue) != WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "container %s: %s", c->name, ue.text);
    }
    if (r->ccg_added && ccg_remove(h, c->id, &ue) != WCTR_OK) {
      wctr_log(WCTR_LOG_WARN, "container %s: Container Credential Guard instance not removed: %s", c->name, ue.text);
    }
    svc_hcs_unref(r);
  }
  if (uvm_scratch_created) delete_file(p.uvm_scratch);
  if (secrets_made) svc_secrets_cleanup(c->id);
  if (sandbox_created) {
    wctr_errmsg de;
    if (hcs_layer_destroy(h->client, p.sandbox, &de) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "container %s: %s", c->name, de.text);
  }
  plan_free(&p);
  return err;
}

wctr_err svc_hcs_reattach(svc_hcs *h, const svc_container *c, void *key, svc_hcs_ctr **out, wctr_errmsg *e) {
  *out = NULL;
  const char *why = NULL;
  if (!svc_hcs_available(h, &why)) return wctr_fail(e, WCTR_ENOENT, "%s", why);
  svc_hcs_ctr *r = ctr_new(h);
  if (r == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  const cJSON *sandbox = cJSON_GetObjectItemCaseSensitive(c->runtime, "Sandbox");
  if (cJSON_IsString(sandbox)) snprintf(r->sandbox, sizeof r->sandbox, "%s", sandbox->valuestring);
  r->filter_attached = c->spec.isolation == WCTR_ISOLATION_PROCESS;
  r->ccg_added = c->spec.credspec_json != NULL;
  snprintf(r->id, sizeof r->id, "%s", c->id);
  wctr_err err = WCTR_OK;
  if (c->spec.isolation == WCTR_ISOLATION_HYPERV) {
    char uvm_id[SVC_ID_HEX + 8];
    snprintf(uvm_id, sizeof uvm_id, "%s%s", c->id, SVC_HCS_UVM_SUFFIX);
    err = hcs_system_open(h->client, uvm_id, &r->uvm, e);
    if (err == WCTR_OK) err = watch_system(r->uvm, on_uvm_exit, r, e);
  }
  if (err == WCTR_OK) err = hcs_system_open(h->client, c->id, &r->system, e);
  if (err == WCTR_OK) err = watch_system(r->system, on_container_exit, r, e);
  if (err == WCTR_OK) err = hcs_process_open(r->system, c->state.pid, &r->init, e);
  if (err == WCTR_OK) err = hcs_process_watch(r->init, on_process_exit, r, e);
  if (err == WCTR_OK && c->spec.isolation == WCTR_ISOLATION_PROCESS) {
    wctr_errmsg se;
    if (job_open_silo(c->id, &r->silo, &se) == WCTR_OK && h->monitor != NULL) job_monitor_add(h->monitor, r->silo, key, &se);
  }
  if (err != WCTR_OK) {
    r->filter_attached = false;
    r->ccg_added = false; /* the caller's svc_hcs_cleanup removes it */
    svc_hcs_unref(r);
    return err == WCTR_ENOENT ? err : wctr_fail(e, WCTR_ENOENT, "%s", e->text);
  }
  *out = r;
  return WCTR_OK;
}

/* Runs fn with the handle alive: the caller holds a reference to r. */
wctr_err svc_hcs_signal_stop(svc_hcs_ctr *r, wctr_errmsg *e) {
  return r->init != NULL ? hcs_process_signal(r->init, "CtrlShutdown", STOP_CALL_MS, e)
                         : hcs_system_shutdown(r->system, STOP_CALL_MS, e);
}

wctr_err svc_hcs_kill(svc_hcs_ctr *r, wctr_errmsg *e) {
  wctr_err err = hcs_system_terminate(r->system, STOP_CALL_MS, e);
  if (r->uvm != NULL) {
    wctr_errmsg ue;
    wctr_err uerr = hcs_system_terminate(r->uvm, STOP_CALL_MS, &ue);
    if (err == WCTR_OK && uerr != WCTR_OK) {
      err = uerr;
      *e = ue;
    }
  }
  return err;
}

wctr_err svc_hcs_close_stdin(svc_hcs_ctr *r, wctr_errmsg *e) {
  return r->init != NULL ? hcs_process_close_stdin(r->init, STOP_CALL_MS, e) : WCTR_OK;
}

wctr_err svc_hcs_stats(svc_hcs_ctr *r, cJSON **out, wctr_errmsg *e) {
  cJSON *q = cJSON_CreateObject();
  cJSON *types = cJSON_AddArrayToObject(q, "PropertyTypes");
  if (types == NULL || !cJSON_AddItemToArray(types, cJSON_CreateString("Statistics"))) {
    cJSON_Delete(q);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  cJSON *props = NULL;
  wctr_err err = hcs_system_properties(r->system, q, STOP_CALL_MS, &props, e);
  cJSON_Delete(q);
  if (err != WCTR_OK) return err;
  cJSON *stats = cJSON_DetachItemFromObjectCaseSensitive(props, "Statistics");
  cJSON_Delete(props);
  if (stats == NULL) return wctr_fail(e, WCTR_ESYSTEM, "HcsGetComputeSystemProperties returned no Statistics");
  *out = stats;
  return WCTR_OK;
}

void svc_hcs_finish(svc_hcs *h, svc_hcs_ctr *r, int64_t *code, char *why, size_t why_size) {
  wctr_errmsg e;
  /* Docker's rule: the container lives as long as its first process. Already stopped counts as done. */
  if (r->system != NULL && hcs_system_terminate(r->system, STOP_CALL_MS, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "%s", e.text);
  }
  if (r->uvm != NULL && hcs_system_terminate(r->uvm, STOP_CALL_MS, &e) != WCTR_OK) wctr_log(WCTR_LOG_WARN, "%s", e.text);
  /* Every system's exit event, so a crash that ended the process is told apart from a process that
   * ended: HCS raises events in order, and ours come after any crash's. */
  if (WaitForSingleObject(r->systems_down, FINISH_WAIT_MS) != WAIT_OBJECT_0) {
    wctr_log(WCTR_LOG_WARN, "the compute systems did not report their exit within %d s", FINISH_WAIT_MS / 1000);
  }
  exit_status(r, code, why, why_size);
  if (r->filter_attached && hcs_layer_detach_filter(h->client, r->sandbox, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "%s", e.text);
  }
  r->filter_attached = false;
  /* HCS keeps a CCG instance until it is told: it goes with the container's run. */
  if (r->ccg_added && ccg_remove(h, r->id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "Container Credential Guard instance %.12s not removed: %s", r->id, e.text);
  }
  r->ccg_added = false;
  svc_hcs_unref(r);
}

void svc_hcs_cleanup(svc_hcs *h, const svc_container *c) {
  wctr_errmsg e;
  if (h->client != NULL && c->spec.credspec_json != NULL && ccg_remove(h, c->id, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: Container Credential Guard instance not removed: %s", c->name, e.text);
  }
  const cJSON *sandbox = cJSON_GetObjectItemCaseSensitive(c->runtime, "Sandbox");
  if (h->client == NULL || !cJSON_IsString(sandbox) || c->spec.isolation != WCTR_ISOLATION_PROCESS) return;
  /* After a crash the filter may or may not still be attached; a detach that finds nothing is fine. */
  if (file_exists(sandbox->valuestring) && hcs_layer_detach_filter(h->client, sandbox->valuestring, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_DEBUG, "container %s: %s", c->name, e.text);
  }
}

void svc_hcs_remove(svc_hcs *h, const svc_container *c, const char *container_dir) {
  if (h->client == NULL || c->spec.isolation == WCTR_ISOLATION_JOB) return;
  char dir[1100];
  char sandbox[1200];
  strip_slash(container_dir, dir, sizeof dir);
  snprintf(sandbox, sizeof sandbox, "%s\\sandbox", dir);
  if (!file_exists(sandbox)) return;
  wctr_errmsg e;
  if (hcs_layer_destroy(h->client, sandbox, &e) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "container %s: %s (the folder goes with the container's)", c->name, e.text);
  }
}

void svc_hcs_sweep_ccg(svc_hcs *h, const char *const *owned, size_t owned_count, const char *const *running,
                       size_t running_count) {
  if (h->client == NULL) return;
  cJSON *query = cJSON_Parse(GMSA_CCG_QUERY);
  cJSON *props = NULL;
  char **ids = NULL;
  size_t n = 0;
  wctr_errmsg e;
  wctr_err err = query != NULL ? hcs_service_properties(h->client, query, &props, &e) : WCTR_ENOMEM;
  cJSON_Delete(query);
  if (err == WCTR_OK) err = gmsa_ccg_sweep_doc(props, owned, owned_count, running, running_count, &ids, &n, &e);
  gmsa_json_secure_delete(props);
  if (err != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "Container Credential Guard instances not swept: %s", e.text);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (ccg_remove(h, ids[i], &e) == WCTR_OK) {
      wctr_log(WCTR_LOG_INFO, "removed the Container Credential Guard instance of container %.12s, which no longer runs",
               ids[i]);
    } else {
      wctr_log(WCTR_LOG_WARN, "Container Credential Guard instance %.12s not removed: %s", ids[i], e.text);
    }
  }
  gmsa_ccg_ids_free(ids, n);
}
