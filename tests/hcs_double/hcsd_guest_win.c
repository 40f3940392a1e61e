/* tests/hcs_double/hcsd_guest_win.c - what a real host checks when a compute system is created or a utility
 * VM is modified, beyond the documents' shape: the storage of a process-isolated container, the disks and
 * shares of a utility VM, and the guest side of Hyper-V isolation - the scratch disk the guest mounts, the
 * layers it combines over it, and the hosted container that must stand on both (hcsd_core.h). Every
 * function runs with g_core_lock held; state.json is read through the kit (files mutex after core lock).
 *
 * A VM's guest state (hcsd_sys.guest):
 *   {"Scsi":{"<controller>/<lun>":"<vhd path>"}, "Disks":{"<guest path>":<lun>},
 *    "Combined":{"<guest path>":[{"Id","Path"}]}, "Shares":{"<name>":"<host path>"},
 *    "Namespaces":{"<namespace id>":true}, "PreAdded":{"<adapter id>":"<endpoint id>"},
 *    "Nics":{"<adapter id>":"<endpoint id>"}}
 * Networks, endpoints and namespaces themselves are the networking double's (computenetwork_win.c), read
 * from state.json.
 * Paths and names compare without case, as Windows compares them. */
#include "hcsd_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hcsd_storage.h"
#include "hcsd_validate.h"

/* hcsshim's first SCSI controller (guestrequest.ScsiControllerGuids[0]): the one WCOW guests mount from. */
#define SCSI_CONTROLLER_0 "df6d0690-79e5-55b6-a5ec-c1e2f77f580a"
#define VSMB_PREFIX "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}\\"
#define SCSI_PATH_PREFIX "VirtualMachine/Devices/Scsi/"

static const cJSON *get(const cJSON *o, const char *name) { return cJSON_GetObjectItemCaseSensitive(o, name); }

static const char *str(const cJSON *o, const char *name) {
  const cJSON *v = get(o, name);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The member of a map whose key equals key without case, or NULL. */
static cJSON *map_find(const cJSON *map, const char *key) {
  for (cJSON *m = map != NULL ? map->child : NULL; m != NULL; m = m->next) {
    if (hcsd_id_equal(m->string, key)) return m;
  }
  return NULL;
}

static cJSON *guest_part(cJSON *guest, const char *name) {
  cJSON *part = cJSON_GetObjectItemCaseSensitive(guest, name);
  if (part == NULL) part = cJSON_AddObjectToObject(guest, name);
  if (part == NULL) hcsd_oom();
  return part;
}

static void map_set(cJSON *map, const char *key, cJSON *value) {
  cJSON *old = map_find(map, key);
  if (old != NULL) cJSON_Delete(cJSON_DetachItemViaPointer(map, old));
  cJSON_AddItemToObject(map, key, value);
}

/* ---- a process-isolated container's storage ---- */

static HRESULT check_container_storage(const cJSON *container, char *detail, size_t detail_size) {
  const cJSON *storage = get(container, "Storage");
  const char *volume = str(storage, "Path");
  /* The form was checked by hv_check_system_rules. */
  cJSON *mount = hcsd_mount_by_volume(volume);
  HRESULT hr = S_OK;
  if (mount == NULL) {
    snprintf(detail, detail_size, "ComputeSystem.Container.Storage.Path: %s is not a volume the double mounted "
                                  "(vmcompute ActivateLayer of the container's scratch gives it)",
             volume);
    hr = HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  } else if (!cJSON_IsTrue(get(mount, "Prepared"))) {
    snprintf(detail, detail_size, "ComputeSystem.Container.Storage.Path: %s has no filter over its layers "
                                  "(vmcompute PrepareLayer comes between ActivateLayer and the container)",
             volume);
    hr = HRESULT_FROM_WIN32(ERROR_NOT_READY);
  } else {
    const cJSON *layers = get(storage, "Layers");
    int i = 0;
    const cJSON *l;
    cJSON_ArrayForEach(l, layers) {
      char where[64];
      snprintf(where, sizeof where, "ComputeSystem.Container.Storage.Layers[%d]", i++);
      hr = hcsd_check_layer_id(str(l, "Id"), str(l, "Path") != NULL ? str(l, "Path") : "", where, detail,
                               detail_size);
      if (FAILED(hr)) break;
    }
    if (SUCCEEDED(hr) && !hcsd_layers_equal(layers, get(mount, "Layers"), "ComputeSystem.Container.Storage.Layers",
                                            "prepared", detail, detail_size)) {
      hr = E_INVALIDARG;
    }
  }
  cJSON_Delete(mount);
  return hr;
}

/* ---- a utility VM ---- */

/* A disk for vm: a VHD of the double, granted to vm (HcsGrantVmAccess), as a VM worker process can open only
 * what it was granted. */
static HRESULT check_disk(const char *vm_id, const char *path, const char *where, char *detail, size_t detail_size) {
  HRESULT hr = hcsd_vhd_check(path, where, detail, detail_size);
  if (SUCCEEDED(hr) && !hcsd_grant_exists(vm_id, path)) {
    snprintf(detail, detail_size, "%s: the utility VM \"%s\" was not granted access to %s (HcsGrantVmAccess)", where,
             vm_id, path);
    hr = E_ACCESSDENIED;
  }
  return hr;
}

static HRESULT check_share_path(const char *path, const char *where, char *detail, size_t detail_size) {
  wchar_t *w = hcsd_wide(path);
  DWORD a = GetFileAttributesW(w);
  free(w);
  if (a != INVALID_FILE_ATTRIBUTES) return S_OK;
  snprintf(detail, detail_size, "%s: %s does not exist", where, path);
  return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
}

static HRESULT new_vm(hcsd_sys *sys, const cJSON *vm, char *detail, size_t detail_size) {
  cJSON *guest = cJSON_CreateObject();
  if (guest == NULL) hcsd_oom();
  cJSON *scsi = guest_part(guest, "Scsi");
  cJSON *shares = guest_part(guest, "Shares");
  guest_part(guest, "Disks");
  guest_part(guest, "Combined");
  HRESULT hr = S_OK;
  const cJSON *controller;
  cJSON_ArrayForEach(controller, get(get(vm, "Devices"), "Scsi")) {
    const cJSON *a;
    cJSON_ArrayForEach(a, get(controller, "Attachments")) {
      const char *path = str(a, "Path");
      char where[200];
      snprintf(where, sizeof where, "ComputeSystem.VirtualMachine.Devices.Scsi[\"%s\"].Attachments[\"%s\"].Path",
               controller->string, a->string);
      if (path == NULL) continue;
      hr = check_disk(sys->id, path, where, detail, detail_size);
      if (FAILED(hr)) break;
      char key[120];
      snprintf(key, sizeof key, "%s/%s", controller->string, a->string);
      map_set(scsi, key, cJSON_CreateString(path));
    }
    if (FAILED(hr)) break;
  }
  int i = 0;
  const cJSON *share;
  const cJSON *vm_shares = SUCCEEDED(hr) ? get(get(get(vm, "Devices"), "VirtualSmb"), "Shares") : NULL;
  cJSON_ArrayForEach(share, vm_shares) {
    char where[120];
    snprintf(where, sizeof where, "ComputeSystem.VirtualMachine.Devices.VirtualSmb.Shares[%d].Path", i++);
    const char *name = str(share, "Name");
    const char *path = str(share, "Path");
    if (name == NULL || path == NULL) continue;
    hr = check_share_path(path, where, detail, detail_size);
    if (FAILED(hr)) break;
    map_set(shares, name, cJSON_CreateString(path));
  }
  if (FAILED(hr)) {
    cJSON_Delete(guest);
    return hr;
  }
  sys->guest_connection = get(vm, "GuestConnection") != NULL;
  cJSON_Delete(sys->guest);
  sys->guest = guest;
  return S_OK;
}

/* ---- a hosted container ---- */

static const char *no_guest_connection(const hcsd_sys *vm, char *detail, size_t detail_size) {
  snprintf(detail, detail_size, "the utility VM \"%s\" has no GuestConnection: nothing in its guest serves the request "
                                "(without it the VM counts as started once its chipset powers on)",
           vm->id);
  return detail;
}

static HRESULT check_hosted(const cJSON *doc, hcsd_sys *host, char *detail, size_t detail_size) {
  if (!host->guest_connection) {
    no_guest_connection(host, detail, detail_size);
    return HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION;
  }
  const cJSON *storage = get(get(get(doc, "HostedSystem"), "Container"), "Storage");
  const char *root = str(storage, "Path");
  if (root == NULL || map_find(get(host->guest, "Disks"), root) == NULL) {
    snprintf(detail, detail_size, "ComputeSystem.HostedSystem.Container.Storage.Path: no scratch disk is mounted at %s "
                                  "in the utility VM \"%s\" (a SCSI disk with a MappedVirtualDisk guest request)",
             root != NULL ? root : "(none)", host->id);
    return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  }
  const cJSON *combined = map_find(get(host->guest, "Combined"), root);
  if (combined == NULL) {
    snprintf(detail, detail_size, "ComputeSystem.HostedSystem.Container.Storage.Path: no layers are combined at %s in "
                                  "the utility VM \"%s\" (a CombinedLayers guest request)",
             root, host->id);
    return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  }
  if (!hcsd_layers_equal(get(storage, "Layers"), combined, "ComputeSystem.HostedSystem.Container.Storage.Layers",
                         "combined", detail, detail_size)) {
    return E_INVALIDARG;
  }
  return S_OK;
}

/* ---- networking (the networking double's state, computenetwork_win.c) ---- */

/* The endpoints of namespace ns as the networking double keeps them; NULL when ns does not exist. */
static cJSON *namespace_record(const char *ns) { return ns != NULL ? hcsd_store_get("Namespaces", ns) : NULL; }

static int namespace_endpoints(const cJSON *rec) {
  int n = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, get(get(rec, "Props"), "Resources")) n += str(r, "Type") != NULL && strcmp(str(r, "Type"), "Endpoint") == 0;
  return n;
}

/* Networking.Namespace of a process-isolated container: a namespace HNS has, holding an endpoint. */
static HRESULT check_container_network(const cJSON *container, char *detail, size_t detail_size) {
  const char *ns = str(get(container, "Networking"), "Namespace");
  if (ns == NULL) return S_OK;
  cJSON *rec = namespace_record(ns);
  HRESULT hr = S_OK;
  if (rec == NULL) {
    snprintf(detail, detail_size, "ComputeSystem.Container.Networking.Namespace: no network namespace %s "
                                  "(HcnCreateNamespace makes one)", ns);
    hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  } else if (namespace_endpoints(rec) == 0) {
    snprintf(detail, detail_size, "ComputeSystem.Container.Networking.Namespace: namespace %s holds no endpoint "
                                  "(HcnModifyNamespace adds one)", ns);
    hr = E_INVALIDARG;
  }
  cJSON_Delete(rec);
  return hr;
}

/* The namespace an endpoint is in, per the networking double ("" when none or unknown). */
static void endpoint_namespace(const char *endpoint, char *out, size_t size) {
  cJSON *ep = endpoint != NULL ? hcsd_store_get("Endpoints", endpoint) : NULL;
  const char *ns = str(get(ep, "Props"), "HostComputeNamespace");
  snprintf(out, size, "%s", ns != NULL ? ns : "");
  cJSON_Delete(ep);
}

/* A hosted container's namespace must be in its VM's guest, with an adapter for one of its endpoints. */
static HRESULT check_hosted_network(const cJSON *doc, hcsd_sys *host, char *detail, size_t detail_size) {
  const char *ns = str(get(get(get(doc, "HostedSystem"), "Container"), "Networking"), "Namespace");
  if (ns == NULL) return S_OK;
  if (map_find(get(host->guest, "Namespaces"), ns) == NULL) {
    snprintf(detail, detail_size, "ComputeSystem.HostedSystem.Container.Networking.Namespace: namespace %s was not "
                                  "added to the utility VM \"%s\" (a NetworkNamespace guest request)", ns, host->id);
    return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  }
  const cJSON *nic;
  cJSON_ArrayForEach(nic, get(host->guest, "Nics")) {
    char in[40];
    endpoint_namespace(nic->valuestring, in, sizeof in);
    if (hcsd_id_equal(in, ns)) return S_OK;
  }
  snprintf(detail, detail_size, "ComputeSystem.HostedSystem.Container.Networking.Namespace: the utility VM \"%s\" has no "
                                "network adapter for an endpoint of namespace %s (VirtualMachine/Devices/NetworkAdapters)",
           host->id, ns);
  return E_INVALIDARG;
}

HRESULT hcsd_check_new_system_locked(hcsd_sys *sys, const cJSON *doc, int kind, hcsd_sys *host, char *detail,
                                     size_t detail_size) {
  if (kind == HV_SYSTEM_CONTAINER) {
    HRESULT hr = check_container_storage(get(doc, "Container"), detail, detail_size);
    return SUCCEEDED(hr) ? check_container_network(get(doc, "Container"), detail, detail_size) : hr;
  }
  if (kind == HV_SYSTEM_VM) return new_vm(sys, get(doc, "VirtualMachine"), detail, detail_size);
  if (host == NULL) return S_OK;
  HRESULT hr = check_hosted(doc, host, detail, detail_size);
  return SUCCEEDED(hr) ? check_hosted_network(doc, host, detail, detail_size) : hr;
}

/* ---- a utility VM's modify requests ---- */

/* "VirtualMachine/Devices/Scsi/<controller>/Attachments/<lun>" -> "<controller>/<lun>" and the lun; false
 * for other paths. */
static bool scsi_key(const char *path, char *key, size_t size, long *lun) {
  size_t n = strlen(SCSI_PATH_PREFIX);
  if (path == NULL || strncmp(path, SCSI_PATH_PREFIX, n) != 0) return false;
  const char *controller = path + n;
  const char *slash = strchr(controller, '/');
  if (slash == NULL || strncmp(slash, "/Attachments/", 13) != 0) return false;
  char *end = NULL;
  *lun = strtol(slash + 13, &end, 10);
  if (end == slash + 13 || *end != '\0' || *lun < 0) return false;
  snprintf(key, size, "%.*s/%ld", (int)(slash - controller), controller, *lun);
  return true;
}

/* Is any hosted container of vm that has not stopped standing on the combined layers at root? */
static const char *hosted_user(const hcsd_sys *vm, const char *root) {
  for (hcsd_sys *s = g_systems; s != NULL; s = s->next) {
    if (s->hosting_id == NULL || !hcsd_id_equal(s->hosting_id, vm->id) || s->state == SYS_STOPPED) continue;
    const char *path = str(get(get(get(s->config, "HostedSystem"), "Container"), "Storage"), "Path");
    if (path != NULL && hcsd_id_equal(path, root)) return s->id;
  }
  return NULL;
}

static HRESULT guest_disk(cJSON *guest, const char *request, const cJSON *settings, char *detail, size_t detail_size) {
  const char *path = str(settings, "ContainerPath");
  long lun = (long)get(settings, "Lun")->valuedouble;
  cJSON *disks = guest_part(guest, "Disks");
  cJSON *mapped = map_find(disks, path);
  if (strcmp(request, "Add") == 0) {
    char key[120];
    snprintf(key, sizeof key, "%s/%ld", SCSI_CONTROLLER_0, lun);
    if (map_find(get(guest, "Scsi"), key) == NULL) {
      snprintf(detail, detail_size, "GuestRequest MappedVirtualDisk: no disk is attached at SCSI lun %ld", lun);
      return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    }
    if (mapped != NULL) {
      snprintf(detail, detail_size, "GuestRequest MappedVirtualDisk: %s is already a mounted disk", path);
      return HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
    }
    map_set(disks, path, cJSON_CreateNumber((double)lun));
    return S_OK;
  }
  if (strcmp(request, "Remove") != 0) {
    snprintf(detail, detail_size, "GuestRequest MappedVirtualDisk: \"%s\" is not emulated", request);
    return E_NOTIMPL;
  }
  if (mapped == NULL) {
    snprintf(detail, detail_size, "GuestRequest MappedVirtualDisk: no disk is mounted at %s", path);
    return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  }
  if (map_find(get(guest, "Combined"), path) != NULL) {
    snprintf(detail, detail_size, "GuestRequest MappedVirtualDisk: layers are still combined at %s (remove them first)",
             path);
    return HRESULT_FROM_WIN32(ERROR_BUSY);
  }
  cJSON_Delete(cJSON_DetachItemViaPointer(disks, mapped));
  return S_OK;
}

static HRESULT guest_layers(hcsd_sys *vm, cJSON *guest, const char *request, const cJSON *settings, char *detail,
                            size_t detail_size) {
  const char *root = str(settings, "ContainerRootPath");
  cJSON *combined = guest_part(guest, "Combined");
  cJSON *existing = map_find(combined, root);
  if (strcmp(request, "Remove") == 0) {
    if (existing == NULL) {
      snprintf(detail, detail_size, "GuestRequest CombinedLayers: no layers are combined at %s", root);
      return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    }
    const char *user = hosted_user(vm, root);
    if (user != NULL) {
      snprintf(detail, detail_size, "GuestRequest CombinedLayers: %s is the storage of container \"%s\", which has not "
                                    "stopped",
               root, user);
      return HRESULT_FROM_WIN32(ERROR_BUSY);
    }
    cJSON_Delete(cJSON_DetachItemViaPointer(combined, existing));
    return S_OK;
  }
  if (strcmp(request, "Add") != 0) {
    snprintf(detail, detail_size, "GuestRequest CombinedLayers: \"%s\" is not emulated", request);
    return E_NOTIMPL;
  }
  if (map_find(get(guest, "Disks"), root) == NULL) {
    snprintf(detail, detail_size, "GuestRequest CombinedLayers: no scratch disk is mounted at %s", root);
    return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
  }
  if (existing != NULL) {
    snprintf(detail, detail_size, "GuestRequest CombinedLayers: layers are already combined at %s", root);
    return HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
  }
  int i = 0;
  const cJSON *l;
  cJSON_ArrayForEach(l, get(settings, "Layers")) {
    char where[80];
    snprintf(where, sizeof where, "GuestRequest CombinedLayers.Layers[%d]", i++);
    const char *path = str(l, "Path");
    size_t n = strlen(VSMB_PREFIX);
    const cJSON *share = path != NULL && _strnicmp(path, VSMB_PREFIX, n) == 0 ? map_find(get(guest, "Shares"), path + n)
                                                                            : NULL;
    if (share == NULL) {
      snprintf(detail, detail_size, "%s.Path: %s is not a VSMB share of the utility VM \"%s\"", where,
               path != NULL ? path : "(none)", vm->id);
      return HRESULT_FROM_WIN32(ERROR_PATH_NOT_FOUND);
    }
    HRESULT hr = hcsd_check_layer_id(str(l, "Id"), share->valuestring, where, detail, detail_size);
    if (FAILED(hr)) return hr;
  }
  cJSON *copy = cJSON_Duplicate(get(settings, "Layers"), 1);
  if (copy == NULL) hcsd_oom();
  map_set(combined, root, copy);
  return S_OK;
}

/* Is a hosted container of vm that has not stopped on namespace ns? */
static const char *namespace_user(const hcsd_sys *vm, const char *ns) {
  for (hcsd_sys *s = g_systems; s != NULL; s = s->next) {
    if (s->hosting_id == NULL || !hcsd_id_equal(s->hosting_id, vm->id) || s->state == SYS_STOPPED) continue;
    const char *used = str(get(get(get(s->config, "HostedSystem"), "Container"), "Networking"), "Namespace");
    if (used != NULL && hcsd_id_equal(used, ns)) return s->id;
  }
  return NULL;
}

static HRESULT guest_namespace(hcsd_sys *vm, cJSON *guest, const char *request, const cJSON *settings, char *detail,
                               size_t detail_size) {
  const char *ns = str(settings, "ID");
  cJSON *namespaces = guest_part(guest, "Namespaces");
  cJSON *have = map_find(namespaces, ns);
  if (strcmp(request, "Add") == 0) {
    cJSON *rec = namespace_record(ns);
    bool known = rec != NULL;
    cJSON_Delete(rec);
    if (!known) {
      snprintf(detail, detail_size, "GuestRequest NetworkNamespace: HNS has no namespace %s", ns);
      return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    }
    if (have != NULL) {
      snprintf(detail, detail_size, "GuestRequest NetworkNamespace: namespace %s is already in the guest", ns);
      return HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
    }
    map_set(namespaces, ns, cJSON_CreateTrue());
    return S_OK;
  }
  if (strcmp(request, "Remove") != 0) {
    snprintf(detail, detail_size, "GuestRequest NetworkNamespace: \"%s\" is not emulated", request);
    return E_NOTIMPL;
  }
  if (have == NULL) {
    snprintf(detail, detail_size, "GuestRequest NetworkNamespace: namespace %s is not in the guest", ns);
    return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  }
  const cJSON *nic;
  cJSON_ArrayForEach(nic, get(guest, "Nics")) {
    char in[40];
    endpoint_namespace(nic->valuestring, in, sizeof in);
    if (hcsd_id_equal(in, ns)) {
      snprintf(detail, detail_size, "GuestRequest NetworkNamespace: network adapter %s of namespace %s is still in the "
                                    "VM (remove it first)", nic->string, ns);
      return HRESULT_FROM_WIN32(ERROR_BUSY);
    }
  }
  const char *user = namespace_user(vm, ns);
  if (user != NULL) {
    snprintf(detail, detail_size, "GuestRequest NetworkNamespace: namespace %s is the network of container \"%s\", "
                                  "which has not stopped", ns, user);
    return HRESULT_FROM_WIN32(ERROR_BUSY);
  }
  cJSON_Delete(cJSON_DetachItemViaPointer(namespaces, have));
  return S_OK;
}

/* A "Network" guest request alone: hcsshim's pre-add of an adapter (the endpoint the adapter will carry). */
static HRESULT guest_nic_preadd(cJSON *guest, const cJSON *settings, char *detail, size_t detail_size) {
  const char *adapter = str(settings, "AdapterId");
  const char *inner = str(settings, "RequestType");
  if (strcmp(inner, "PreAdd") != 0) {
    snprintf(detail, detail_size, "GuestRequest Network: a %s of adapter %s goes with its VirtualMachine/Devices/"
                                  "NetworkAdapters request", inner, adapter);
    return E_INVALIDARG;
  }
  const char *endpoint = str(get(settings, "Settings"), "ID");
  cJSON *ep = hcsd_store_get("Endpoints", endpoint);
  const char *ns = str(get(ep, "Props"), "HostComputeNamespace");
  HRESULT hr = S_OK;
  if (ep == NULL) {
    snprintf(detail, detail_size, "GuestRequest Network: HNS has no endpoint %s", endpoint);
    hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  } else if (ns == NULL || map_find(get(guest, "Namespaces"), ns) == NULL) {
    snprintf(detail, detail_size, "GuestRequest Network: endpoint %s is not in a namespace of the guest (a "
                                  "NetworkNamespace guest request comes first)", endpoint);
    hr = HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  } else if (map_find(get(guest, "Nics"), adapter) != NULL) {
    snprintf(detail, detail_size, "GuestRequest Network: adapter %s exists", adapter);
    hr = HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
  } else {
    map_set(guest_part(guest, "PreAdded"), adapter, cJSON_CreateString(endpoint));
  }
  cJSON_Delete(ep);
  return hr;
}

/* "VirtualMachine/Devices/NetworkAdapters/<nic>" with its "Network" guest request. */
static HRESULT vm_nic(hcsd_sys *vm, cJSON *guest, const char *nic, const char *request, const cJSON *settings,
                      const cJSON *g, char *detail, size_t detail_size) {
  const char *endpoint = str(settings, "EndpointId");
  const cJSON *gs = get(g, "Settings");
  if (g == NULL || str(g, "ResourceType") == NULL || strcmp(str(g, "ResourceType"), "Network") != 0 ||
      !hcsd_id_equal(str(gs, "AdapterId"), nic) || strcmp(str(gs, "RequestType"), request) != 0) {
    snprintf(detail, detail_size, "ModifySettingRequest: a network adapter's %s needs the guest's Network %s of "
                                  "adapter %s in the same request", request, request, nic);
    return E_INVALIDARG;
  }
  cJSON *nics = guest_part(guest, "Nics");
  cJSON *have = map_find(nics, nic);
  if (strcmp(request, "Add") == 0) {
    cJSON *ep = endpoint != NULL ? hcsd_store_get("Endpoints", endpoint) : NULL;
    bool known = ep != NULL;
    cJSON_Delete(ep);
    cJSON *pre = map_find(get(guest, "PreAdded"), nic);
    if (!known) {
      snprintf(detail, detail_size, "ModifySettingRequest.Settings.EndpointId: HNS has no endpoint %s",
               endpoint != NULL ? endpoint : "(none)");
      return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    }
    if (have != NULL) {
      snprintf(detail, detail_size, "ModifySettingRequest.ResourcePath: network adapter %s exists", nic);
      return HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
    }
    if (pre == NULL || !hcsd_id_equal(pre->valuestring, endpoint)) {
      snprintf(detail, detail_size, "ModifySettingRequest: adapter %s was not pre-added to the guest with endpoint %s "
                                    "(hcsshim's Network PreAdd guest request comes first)", nic, endpoint);
      return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
    }
    cJSON_Delete(cJSON_DetachItemViaPointer(guest_part(guest, "PreAdded"), pre));
    map_set(nics, nic, cJSON_CreateString(endpoint));
    return S_OK;
  }
  if (have == NULL) {
    snprintf(detail, detail_size, "ModifySettingRequest.ResourcePath: there is no network adapter %s", nic);
    return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  }
  char ns[40];
  endpoint_namespace(have->valuestring, ns, sizeof ns);
  const char *user = ns[0] != '\0' ? namespace_user(vm, ns) : NULL;
  if (user != NULL) {
    snprintf(detail, detail_size, "ModifySettingRequest: network adapter %s carries the network of container \"%s\", "
                                  "which has not stopped", nic, user);
    return HRESULT_FROM_WIN32(ERROR_BUSY);
  }
  cJSON_Delete(cJSON_DetachItemViaPointer(nics, have));
  return S_OK;
}

static HRESULT guest_request(hcsd_sys *vm, cJSON *guest, const cJSON *g, char *detail, size_t detail_size) {
  const char *resource = str(g, "ResourceType");
  const char *request = str(g, "RequestType");
  if (strcmp(resource, "NetworkNamespace") == 0) {
    return guest_namespace(vm, guest, request, get(g, "Settings"), detail, detail_size);
  }
  if (strcmp(resource, "Network") == 0) return guest_nic_preadd(guest, get(g, "Settings"), detail, detail_size);
  if (strcmp(resource, "MappedVirtualDisk") == 0) return guest_disk(guest, request, get(g, "Settings"), detail, detail_size);
  if (strcmp(resource, "CombinedLayers") == 0) {
    return guest_layers(vm, guest, request, get(g, "Settings"), detail, detail_size);
  }
  snprintf(detail, detail_size, "GuestRequest: resource type \"%s\" is not emulated by the HCS test double", resource);
  return E_NOTIMPL;
}

/* A SCSI disk added or removed on the host's side. */
static HRESULT host_disk(hcsd_sys *vm, cJSON *guest, const char *key, long lun, const char *request,
                         const cJSON *settings, char *detail, size_t detail_size) {
  cJSON *scsi = guest_part(guest, "Scsi");
  cJSON *attached = map_find(scsi, key);
  if (strcmp(request, "Add") == 0) {
    if (attached != NULL) {
      snprintf(detail, detail_size, "ModifySettingRequest.ResourcePath: SCSI %s is in use", key);
      return HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS);
    }
    const char *path = str(settings, "Path");
    HRESULT hr = path != NULL ? check_disk(vm->id, path, "ModifySettingRequest.Settings.Path", detail, detail_size)
                              : E_INVALIDARG;
    if (path == NULL) snprintf(detail, detail_size, "ModifySettingRequest.Settings.Path: required");
    if (FAILED(hr)) return hr;
    map_set(scsi, key, cJSON_CreateString(path));
    return S_OK;
  }
  if (attached == NULL) {
    snprintf(detail, detail_size, "ModifySettingRequest.ResourcePath: nothing is attached at SCSI %s", key);
    return HRESULT_FROM_WIN32(ERROR_NOT_FOUND);
  }
  const cJSON *d;
  cJSON_ArrayForEach(d, get(guest, "Disks")) {
    if (strncmp(key, SCSI_CONTROLLER_0 "/", strlen(SCSI_CONTROLLER_0) + 1) == 0 && (long)d->valuedouble == lun) {
      snprintf(detail, detail_size, "ModifySettingRequest: the guest still has the disk at SCSI %s mounted at %s", key,
               d->string);
      return HRESULT_FROM_WIN32(ERROR_BUSY);
    }
  }
  cJSON_Delete(cJSON_DetachItemViaPointer(scsi, attached));
  return S_OK;
}

HRESULT hcsd_guest_modify_locked(hcsd_sys *vm, const cJSON *request, char *detail, size_t detail_size) {
  const cJSON *g = get(request, "GuestRequest");
  const char *path = str(request, "ResourcePath");
  const char *type = str(request, "RequestType");
  if (g != NULL && !vm->guest_connection) {
    no_guest_connection(vm, detail, detail_size);
    return HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION;
  }
  if (g != NULL && vm->state != SYS_RUNNING) {
    snprintf(detail, detail_size, "the utility VM \"%s\" is not running: its guest cannot take requests", vm->id);
    return HCS_E_INVALID_STATE;
  }
  /* Changes go to a copy, kept only when the whole request succeeds. */
  cJSON *guest = vm->guest != NULL ? cJSON_Duplicate(vm->guest, 1) : cJSON_CreateObject();
  if (guest == NULL) hcsd_oom();
  char key[120];
  long lun = -1;
  bool scsi = scsi_key(path, key, sizeof key, &lun);
  bool removing = type != NULL && strcmp(type, "Remove") == 0;
  HRESULT hr = S_OK;
  static const char nic_prefix[] = "VirtualMachine/Devices/NetworkAdapters/";
  bool nic = path != NULL && strncmp(path, nic_prefix, sizeof nic_prefix - 1) == 0;
  /* The host's side first when adding, the guest's first when removing, as hcsshim orders them. A network
   * adapter and its guest request are one step. */
  if (nic) {
    hr = vm_nic(vm, guest, path + sizeof nic_prefix - 1, type, get(request, "Settings"), g, detail, detail_size);
    g = NULL;
  }
  if (scsi && !removing) hr = host_disk(vm, guest, key, lun, type, get(request, "Settings"), detail, detail_size);
  if (SUCCEEDED(hr) && g != NULL) hr = guest_request(vm, guest, g, detail, detail_size);
  if (SUCCEEDED(hr) && scsi && removing) hr = host_disk(vm, guest, key, lun, type, NULL, detail, detail_size);
  if (SUCCEEDED(hr) && path != NULL && strcmp(path, "VirtualMachine/Devices/VirtualSmb/Shares") == 0) {
    const cJSON *settings = get(request, "Settings");
    const char *name = str(settings, "Name");
    cJSON *shares = guest_part(guest, "Shares");
    if (removing && name != NULL && map_find(shares, name) != NULL) {
      cJSON_Delete(cJSON_DetachItemViaPointer(shares, map_find(shares, name)));
    } else if (!removing && name != NULL && str(settings, "Path") != NULL) {
      hr = check_share_path(str(settings, "Path"), "ModifySettingRequest.Settings.Path", detail, detail_size);
      if (SUCCEEDED(hr)) map_set(shares, name, cJSON_CreateString(str(settings, "Path")));
    }
  }
  if (FAILED(hr)) {
    cJSON_Delete(guest);
    return hr;
  }
  cJSON_Delete(vm->guest);
  vm->guest = guest;
  return S_OK;
}
