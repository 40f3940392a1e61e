/* tests/hcs_double/kit/hcsd_functions.c - every exported function of every DLL double (hcsd_kit.h), for
 * the knobs: a rule may name any of them, in any double's control file or environment. Each list is its
 * DLL's .def file, in the same order. */
#include "hcsd_kit.h"

const char *const hcsd_computecore_functions[] = {
    "HcsCreateOperation", "HcsCloseOperation", "HcsWaitForOperationResult",
    "HcsWaitForOperationResultAndProcessInfo", "HcsGetOperationResult", "HcsGetOperationResultAndProcessInfo",
    "HcsCancelOperation", "HcsCreateComputeSystem", "HcsOpenComputeSystem", "HcsCloseComputeSystem",
    "HcsStartComputeSystem", "HcsShutDownComputeSystem", "HcsTerminateComputeSystem", "HcsPauseComputeSystem",
    "HcsResumeComputeSystem", "HcsGetComputeSystemProperties", "HcsModifyComputeSystem",
    "HcsSetComputeSystemCallback", "HcsEnumerateComputeSystems", "HcsCreateProcess", "HcsOpenProcess",
    "HcsCloseProcess", "HcsTerminateProcess", "HcsSignalProcess", "HcsGetProcessInfo", "HcsGetProcessProperties",
    "HcsModifyProcess", "HcsSetProcessCallback", "HcsGetServiceProperties", "HcsModifyServiceSettings",
    "HcsGrantVmAccess", NULL,
};

const char *const hcsd_computestorage_functions[] = {
    "HcsImportLayer", "HcsSetupBaseOSLayer", "HcsInitializeWritableLayer", "HcsAttachLayerStorageFilter",
    "HcsDetachLayerStorageFilter", "HcsFormatWritableLayerVhd", "HcsDestroyLayer", NULL,
};

const char *const hcsd_vmcompute_functions[] = {
    "NameToGuid", "CreateSandboxLayer", "ActivateLayer", "PrepareLayer", "GetLayerMountPath", "UnprepareLayer",
    "DeactivateLayer", "DestroyLayer", "LayerExists", "ImportLayer", "ProcessBaseImage", "ProcessUtilityImage",
    NULL,
};

const char *const hcsd_computenetwork_functions[] = {
    "HcnEnumerateNetworks", "HcnCreateNetwork", "HcnOpenNetwork", "HcnModifyNetwork", "HcnQueryNetworkProperties",
    "HcnDeleteNetwork", "HcnCloseNetwork", "HcnEnumerateEndpoints", "HcnCreateEndpoint", "HcnOpenEndpoint",
    "HcnModifyEndpoint", "HcnQueryEndpointProperties", "HcnDeleteEndpoint", "HcnCloseEndpoint",
    "HcnEnumerateNamespaces", "HcnCreateNamespace", "HcnOpenNamespace", "HcnModifyNamespace",
    "HcnQueryNamespaceProperties", "HcnDeleteNamespace", "HcnCloseNamespace", NULL,
};

const char *const *const hcsd_double_functions[] = {
    hcsd_computecore_functions,
    hcsd_computestorage_functions,
    hcsd_vmcompute_functions,
    hcsd_computenetwork_functions,
    NULL,
};
