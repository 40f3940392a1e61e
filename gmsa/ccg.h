/* gmsa/ccg.h - Container Credential Guard (CCG) documents for HCS. Portable: builds and reads the JSON
 * that the Windows layer hands to and gets from computecore.dll; it calls nothing itself.
 *
 * A container with a credential spec gets its gMSA identity through a CCG instance that the Host Compute
 * Service keeps for it. The instance is not part of the compute system: HCS does not remove it when the
 * container stops or when wctrd dies, so wctr must (REFERENCE.md, "Credential specs").
 *
 * HOW THE HCS START/STOP PATH USES THIS (service/manager_win.c + service/hcs_runtime_win.c, process and
 * Hyper-V isolation), with hcs/client.h's hcs_service_modify / hcs_service_properties, which take and give
 * cJSON trees (the *_doc / *_settings functions below; the text forms are the same documents printed):
 *
 *   Start, before the container's compute system is created (c->rec.spec.credspec_json is the spec
 *   container.create resolved and validated; NULL: no gMSA, skip all of this):
 *     cJSON *add = NULL, *props = NULL, *query = cJSON_Parse(GMSA_CCG_QUERY);
 *     gmsa_ccg_add_settings(c->rec.id, c->rec.spec.credspec_json,
 *                           hyperv ? GMSA_CCG_HVSOCKET : GMSA_CCG_LRPC, &add, e);
 *     hcs_service_modify(h, add, NULL, e);            gmsa_json_secure_delete(add);
 *     hcs_service_properties(h, query, &props, e);    cJSON_Delete(query);
 *     gmsa_ccg_instance inst;
 *     gmsa_ccg_find_instance_doc(props, c->rec.id, &inst, e);  gmsa_json_secure_delete(props);
 *     gmsa_ccg_put_in_container(container, &inst, e); // the "Container" object of the ComputeSystem
 *                                                     // (process) or of HostedSystem (Hyper-V)
 *     if hyperv: gmsa_ccg_put_in_vm(hv_socket_config, &inst, e);  // the utility VM's
 *                                     // VirtualMachine.Devices.HvSocket.HvSocketConfig (hcs_doc_uvm makes
 *                                     // it), before the VM is created
 *     gmsa_ccg_instance_free(&inst);
 *   When anything after AddInstance fails, remove the instance again (below) before returning the error.
 *   The documents then hold the spec (CredentialSpec): free them with gmsa_json_secure_delete.
 *
 *   Stop (the container exited, was stopped, killed or removed; once per AddInstance):
 *     gmsa_ccg_remove_settings(c->rec.id, &remove, e);  hcs_service_modify(h, remove, NULL, e);
 *     An HRESULT_FROM_WIN32(ERROR_NOT_FOUND) answer means it is gone already: not an error.
 *
 *   Service start (svc_manager_start, after the records are loaded and the running ones re-attached):
 *     hcs_service_properties(h, query, &props, e);
 *     gmsa_ccg_sweep_doc(props, owned, owned_count, running, running_count, &ids, &n, e);
 *     for each ids[i]: gmsa_ccg_remove_settings(ids[i], ...) + hcs_service_modify; gmsa_ccg_ids_free(ids, n).
 *   owned = the ids of EVERY record found in this data root (whatever its state, including records
 *   about to be deleted as half-removed), running = the ids of the containers re-attached as running.
 *   Instances of other wctrd instances (another data root), of dockerd or of anything else on the host
 *   are never touched: the CCG service is host-wide and its instance ids carry no owner.
 *
 * SECRETS. The credential spec is a secret (PluginInput may hold a password) and appears in the add
 * request and in every instance HCS reports (CredentialGuard.CredentialSpec). Texts this module returns
 * that may hold it are freed with gmsa_secret_free; gmsa_ccg_instance_free zeros the instance's strings;
 * trees parsed from HCS's answers are zeroed before they are freed. No message quotes a spec.
 *
 * Errors: WCTR_EINVAL (a bad argument, or an answer from HCS that is not the documented shape: the
 * message names the field, e.g. "ContainerCredentialGuard properties: Properties[0].Instances[1].Id must
 * be a string"), WCTR_ENOENT (no instance with that id), WCTR_ENOMEM. */
#ifndef WCTR_GMSA_CCG_H
#define WCTR_GMSA_CCG_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"

/* The HcsGetServiceProperties query that lists the CCG instances. */
#define GMSA_CCG_QUERY "{\"PropertyTypes\":[\"ContainerCredentialGuard\"]}"

typedef enum gmsa_ccg_transport {
  GMSA_CCG_LRPC = 1, /* process isolation: the container reaches CCG over local RPC */
  GMSA_CCG_HVSOCKET, /* Hyper-V isolation: over an HvSocket service of the utility VM */
} gmsa_ccg_transport;

/* "LRPC", "HvSocket"; NULL for anything else. */
const char *gmsa_ccg_transport_name(gmsa_ccg_transport transport);

/* The HcsModifyServiceSettings document that adds an instance:
 *   {"PropertyType":"ContainerCredentialGuard","Settings":{"Operation":"AddInstance",
 *    "OperationDetails":{"Id":id,"CredentialSpec":"<credspec_json as a string>","Transport":"LRPC"}}}
 * id is the container's id (non-empty, at most 256 bytes, no control characters); credspec_json must be
 * one JSON object (the resolved, validated spec: gmsa_credspec_to_json's text); it is carried as a
 * string, as HCS wants it. *out is compact JSON holding the spec: free it with gmsa_secret_free. */
wctr_err gmsa_ccg_add_request(const char *id, const char *credspec_json, gmsa_ccg_transport transport, char **out,
                              wctr_errmsg *e);

/* The same document as a tree (for hcs_service_modify); free it with gmsa_json_secure_delete. */
wctr_err gmsa_ccg_add_settings(const char *id, const char *credspec_json, gmsa_ccg_transport transport, cJSON **out,
                               wctr_errmsg *e);

/* {"PropertyType":"ContainerCredentialGuard","Settings":{"Operation":"RemoveInstance",
 *  "OperationDetails":{"Id":id}}}. Free *out with cJSON_free (no secret in it). */
wctr_err gmsa_ccg_remove_request(const char *id, char **out, wctr_errmsg *e);
/* The same as a tree; free with cJSON_Delete. */
wctr_err gmsa_ccg_remove_settings(const char *id, cJSON **out, wctr_errmsg *e);

/* One instance as HCS reports it. */
typedef struct gmsa_ccg_instance {
  /* Container.ContainerCredentialGuard, copied as HCS gave it: {Cookie, RpcEndpoint, Transport,
   * CredentialSpec} (SECRET: holds the spec). Owned; gmsa_ccg_instance_free zeros and deletes it. */
  cJSON *credential_guard;
  /* Hyper-V only (NULL for LRPC): the utility VM's HvSocket service, HvSocketConfig.ServiceId (a GUID)
   * and HvSocketConfig.ServiceConfig (an HvSocketServiceConfig object). Owned. */
  char *service_id;
  cJSON *service_config;
} gmsa_ccg_instance;

/* Finds instance id in the text HcsGetServiceProperties returned for GMSA_CCG_QUERY
 * ({"Properties":[{"Instances":[{"Id","CredentialGuard":{...},"HvSocketConfig"?:{...}}]}]}). Checks the
 * shape of what it uses: CredentialGuard an object with string Cookie, RpcEndpoint and Transport ("LRPC" or
 * "HvSocket"); an HvSocket instance must have HvSocketConfig with a GUID ServiceId and an object
 * ServiceConfig. On success *out is filled (free with gmsa_ccg_instance_free); otherwise it is zeroed. */
wctr_err gmsa_ccg_find_instance(const char *properties_json, const char *id, gmsa_ccg_instance *out,
                                wctr_errmsg *e);
/* The same on the parsed answer (hcs_service_properties' *out). */
wctr_err gmsa_ccg_find_instance_doc(const cJSON *properties, const char *id, gmsa_ccg_instance *out, wctr_errmsg *e);

/* Zeros and frees what out holds, then zeros *out. Accepts NULL and a zeroed instance. */
void gmsa_ccg_instance_free(gmsa_ccg_instance *inst);

/* Adds "ContainerCredentialGuard" (a copy of inst->credential_guard) to container, the "Container" object
 * of a ComputeSystem or HostedSystem document. WCTR_EEXIST when it already has one. */
wctr_err gmsa_ccg_put_in_container(cJSON *container, const gmsa_ccg_instance *inst, wctr_errmsg *e);

/* Adds ServiceTable[inst->service_id] = a copy of inst->service_config to hv_socket_config, the utility
 * VM's Devices.HvSocket.HvSocketConfig object (ServiceTable is created when missing). WCTR_EINVAL when
 * the instance has no HvSocket service (an LRPC instance), WCTR_EEXIST when the id is in the table. */
wctr_err gmsa_ccg_put_in_vm(cJSON *hv_socket_config, const gmsa_ccg_instance *inst, wctr_errmsg *e);

/* The instances to remove at service start: every instance id of properties_json that is in owned and
 * not in running (see above), each once, in the order HCS listed them. *ids (NULL when none) is freed with
 * gmsa_ccg_ids_free. Id comparison is exact (container ids are lower-case hex). */
wctr_err gmsa_ccg_sweep(const char *properties_json, const char *const *owned, size_t owned_count,
                        const char *const *running, size_t running_count, char ***ids, size_t *count,
                        wctr_errmsg *e);
/* The same on the parsed answer. */
wctr_err gmsa_ccg_sweep_doc(const cJSON *properties, const char *const *owned, size_t owned_count,
                            const char *const *running, size_t running_count, char ***ids, size_t *count,
                            wctr_errmsg *e);
void gmsa_ccg_ids_free(char **ids, size_t count);

#endif
