/* tests/hcs_double/kit/hcsd_validate.h - strict validation of the JSON documents the DLL doubles receive.
 *
 * Portable (cJSON only). Every check returns true when the document is acceptable; otherwise false
 * with a sentence in msg that starts with the path of the field at fault, written as a person reads
 * it: "ComputeSystem.Container.Storage.Layers[0].Id: \"x\" is not a GUID (8-4-4-4-12 hex digits)".
 *
 * Against the generated type table (hcsd_schema.h) every object rejects unknown fields (names are
 * case-sensitive; a near miss in case is pointed out), duplicate fields and null values (HCS wants
 * unset fields omitted), every value must have its field's JSON type, integers must be integral and
 * in range for their width, GUIDs must be GUIDs and enumerations one of their values. On top of the
 * table, each hv_check_* function applies the few required-field rules the README lists. */
#ifndef WCTR_TESTS_HCS_DOUBLE_HCSD_VALIDATE_H
#define WCTR_TESTS_HCS_DOUBLE_HCSD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "hcsd_schema.h"

/* Parses text as exactly one JSON value (nothing but white space after it). NULL with msg (naming
 * the byte offset) when it is not JSON. The caller frees the result with cJSON_Delete. */
cJSON *hv_parse(const char *text, const char *what, char *msg, size_t msg_size);

/* The index of the type NAME in hcsd_schema_types, or -1. */
int hv_find_type(const char *name);

/* item against type NAME, reported from PATH ("ComputeSystem", "ModifySettingRequest.Settings"). */
bool hv_check_type(const cJSON *item, const char *name, const char *path, char *msg, size_t msg_size);

typedef enum hv_system_kind { HV_SYSTEM_CONTAINER, HV_SYSTEM_VM, HV_SYSTEM_HOSTED } hv_system_kind;

/* A ComputeSystem document: the table, then SchemaVersion {Major 2, Minor} and a non-empty Owner
 * required, exactly one of Container / VirtualMachine / HostedSystem, HostingSystemId exactly when
 * HostedSystem is there, and HostedSystem with its own SchemaVersion and Container. */
bool hv_check_compute_system(const cJSON *doc, hv_system_kind *kind, char *msg, size_t msg_size);

/* ProcessParameters with a non-empty CommandLine. */
bool hv_check_process_parameters(const cJSON *doc, char *msg, size_t msg_size);

/* A ModifySettingRequest for a system of the given kind (hosted containers are containers):
 * ResourcePath and RequestType required, the path one the double knows for that kind, the request
 * type one that path takes, and Settings (required unless removing) of the path's type. A virtual
 * machine's request may carry a GuestRequest (hv_check_guest_request) and then needs no ResourcePath:
 * hcsshim sends the guest's side alone (CombinedLayers) or with the host's (a SCSI disk and the
 * guest's mount of it). */
bool hv_check_modify_setting(const cJSON *doc, bool is_vm, char *msg, size_t msg_size);

/* A GuestRequest (hcsshim's guestrequest.ModificationRequest): ResourceType and RequestType required;
 * MappedVirtualDisk takes WcowMappedVirtualDisk settings with ContainerPath and Lun, CombinedLayers
 * WcowCombinedLayers with ContainerRootPath and, when adding, at least one layer; the other resource types
 * of hcsshim's list are checked for their enumeration only (the double does not emulate them). */
bool hv_check_guest_request(const cJSON *guest, const char *path, char *msg, size_t msg_size);

/* A SystemQuery (HcsEnumerateComputeSystems): the table only. */
bool hv_check_system_query(const cJSON *doc, char *msg, size_t msg_size);

/* "\\?\Volume{GUID}\" (braces required, the trailing backslash too): the only Storage.Path of a
 * process-isolated container hcsshim passes (it refuses anything else). */
bool hv_is_volume_path(const char *path);

/* The rules of a ComputeSystem beyond its shape (already checked by hv_check_compute_system) that a
 * host enforces with another code than HCS_E_INVALID_JSON. 0 when the document keeps them, else the
 * HRESULT a host answers (as int32_t) and msg:
 *   E_INVALIDARG (0x80070057): a Processor (Container's, or HostedSystem.Container's) with more than one
 *     of Count, Maximum and Weight (SchemaReference: "Count, Maximum and Weight are all mutually
 *     exclusive"); a process-isolated container whose Storage.Path is not a volume path
 *     (hv_is_volume_path). */
#define HV_E_INVALIDARG ((int32_t)0x80070057)
int32_t hv_check_system_rules(const cJSON *doc, hv_system_kind kind, char *msg, size_t msg_size);

/* ProcessModifyRequest: Operation required, with the CloseHandle or ConsoleSize object it names. */
bool hv_check_process_modify(const cJSON *doc, char *msg, size_t msg_size);

/* SignalProcessOptions with its Signal. */
bool hv_check_signal_options(const cJSON *doc, char *msg, size_t msg_size);

/* PropertyQuery whose PropertyTypes are all in the NULL-terminated list allowed. */
bool hv_check_property_query(const cJSON *doc, const char *const allowed[], char *msg, size_t msg_size);

typedef enum hv_service_request {
  HV_CCG_ADD,
  HV_CCG_REMOVE,
  HV_CPU_GROUP,
} hv_service_request;

/* ModificationRequest for HcsModifyServiceSettings: PropertyType and Settings required; for
 * ContainerCredentialGuard, Settings is a ContainerCredentialGuardOperationRequest whose
 * OperationDetails is an AddInstance request (Id, CredentialSpec - itself a JSON object in a string -
 * and Transport required) or a RemoveInstance request (Id required). */
bool hv_check_service_modification(const cJSON *doc, hv_service_request *request, char *msg,
                                   size_t msg_size);

/* --- HNS v2 (computenetwork.dll), hcsshim's hcn package ---
 * hv_check_hcn_network: HostComputeNetwork with SchemaVersion {Major 2}, a non-empty Name and a Type; a subnet
 *   with an IpAddressPrefix needs routes with a NextHop and a default route (hcsshim's Create refuses
 *   otherwise).
 * hv_check_hcn_endpoint: HostComputeEndpoint with SchemaVersion and HostComputeNetwork; MacAddress in HNS's
 *   form (six pairs of hex digits and '-'); a PortMapping policy's Settings a PortMappingPolicySetting with
 *   Protocol 6 or 17 and a non-zero InternalPort.
 * hv_check_hcn_namespace: HostComputeNamespace with SchemaVersion.
 * hv_check_hcn_namespace_modify: ModifyNamespaceSettingRequest adding or removing an Endpoint, whose Settings
 *   are {"EndpointId": GUID}; *add and *endpoint_id (pointing into doc) say which.
 * hv_check_hcn_query: HostComputeQuery with SchemaVersion; a Filter is JSON object text.
 * A utility VM's guest requests "NetworkNamespace" (Settings: a HostComputeNamespace with its ID) and
 * "Network" (Settings: hcsshim's NetworkModifyRequest {AdapterId, RequestType, Settings?}, a PreAdd's
 * Settings the endpoint with its ID) are checked by hv_check_guest_request. */
bool hv_check_hcn_network(const cJSON *doc, char *msg, size_t msg_size);
bool hv_check_hcn_endpoint(const cJSON *doc, char *msg, size_t msg_size);
bool hv_check_hcn_namespace(const cJSON *doc, char *msg, size_t msg_size);
bool hv_check_hcn_namespace_modify(const cJSON *doc, bool *add, const char **endpoint_id, char *msg, size_t msg_size);
bool hv_check_hcn_query(const cJSON *doc, char *msg, size_t msg_size);

/* "a string", "a number", ... for messages. */
const char *hv_json_type_name(const cJSON *item);

#endif
