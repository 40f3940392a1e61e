/* tests/hcs/test_schema.c - every field the hcs documents use exists in HCS schema2 under that type,
 * with a value of the declared JSON kind. The field list below is copied from hcs-schema2.json (hcsshim
 * internal/hcs/schema2 at 7c9ff7f4) for the types the documents use; a field of another type, an unknown
 * field or a wrongly typed value fails the walk. */
#include <math.h>

#include "hcs_test.h"

#include "hcs/document.h"

typedef struct schema_field {
  const char *type;
  const char *field;
  const char *kind; /* string bool int32 uint32 uint64 ... | ref | array | map */
  const char *elem; /* ref: the type; array/map: the element (a Type or a scalar kind) */
} schema_field;

static const schema_field schema[] = {
    {"ComputeSystem", "Container", "ref", "Container"},
    {"ComputeSystem", "HostedSystem", "ref", "HostedSystem"},
    {"ComputeSystem", "HostingSystemId", "string", NULL},
    {"ComputeSystem", "Owner", "string", NULL},
    {"ComputeSystem", "SchemaVersion", "ref", "Version"},
    {"ComputeSystem", "ShouldTerminateOnLastHandleClosed", "bool", NULL},
    {"ComputeSystem", "VirtualMachine", "ref", "VirtualMachine"},
    {"Version", "Major", "int32", NULL},
    {"Version", "Minor", "int32", NULL},
    {"Container", "AdditionalDeviceNamespace", "ref", "ContainerDefinitionDevice"},
    {"Container", "AssignedDevices", "array", "Device"},
    {"Container", "ContainerCredentialGuard", "ref", "ContainerCredentialGuardState"},
    {"Container", "GuestOs", "ref", "GuestOs"},
    {"Container", "HvSocket", "ref", "HvSocket"},
    {"Container", "IsolationType", "string", NULL},
    {"Container", "MappedDirectories", "array", "MappedDirectory"},
    {"Container", "MappedPipes", "array", "MappedPipe"},
    {"Container", "Memory", "ref", "Memory"},
    {"Container", "Networking", "ref", "Networking"},
    {"Container", "Processor", "ref", "Processor"},
    {"Container", "RegistryChanges", "ref", "RegistryChanges"},
    {"Container", "Storage", "ref", "Storage"},
    {"GuestOs", "HostName", "string", NULL},
    {"Storage", "Layers", "array", "Layer"},
    {"Storage", "Path", "string", NULL},
    {"Storage", "PrivilegedContainerRootPath", "string", NULL},
    {"Storage", "QoS", "ref", "StorageQoS"},
    {"Layer", "Cache", "string", NULL},
    {"Layer", "Id", "string", NULL},
    {"Layer", "Path", "string", NULL},
    {"Layer", "PathType", "string", NULL},
    {"StorageQoS", "BandwidthMaximum", "int32", NULL},
    {"StorageQoS", "IopsMaximum", "int32", NULL},
    {"MappedDirectory", "ContainerPath", "string", NULL},
    {"MappedDirectory", "HostPath", "string", NULL},
    {"MappedDirectory", "HostPathType", "string", NULL},
    {"MappedDirectory", "ReadOnly", "bool", NULL},
    {"MappedPipe", "ContainerPipeName", "string", NULL},
    {"MappedPipe", "HostPath", "string", NULL},
    {"MappedPipe", "HostPathType", "string", NULL},
    {"Memory", "SizeInMB", "uint64", NULL},
    {"Processor", "Count", "int32", NULL},
    {"Processor", "Maximum", "int32", NULL},
    {"Processor", "Weight", "int32", NULL},
    {"RegistryChanges", "AddValues", "array", "RegistryValue"},
    {"RegistryChanges", "DeleteKeys", "array", "RegistryKey"},
    {"RegistryValue", "BinaryValue", "string", NULL},
    {"RegistryValue", "CustomType", "int32", NULL},
    {"RegistryValue", "DWordValue", "int32", NULL},
    {"RegistryValue", "Key", "ref", "RegistryKey"},
    {"RegistryValue", "Name", "string", NULL},
    {"RegistryValue", "QWordValue", "int32", NULL},
    {"RegistryValue", "StringValue", "string", NULL},
    {"RegistryValue", "Type", "string", NULL},
    {"RegistryKey", "Hive", "string", NULL},
    {"RegistryKey", "Name", "string", NULL},
    {"RegistryKey", "Volatile", "bool", NULL},
    {"HostedSystem", "Container", "ref", "Container"},
    {"HostedSystem", "SchemaVersion", "ref", "Version"},
    {"VirtualMachine", "Chipset", "ref", "Chipset"},
    {"VirtualMachine", "ComputeTopology", "ref", "Topology"},
    {"VirtualMachine", "DebugOptions", "ref", "DebugOptions"},
    {"VirtualMachine", "Devices", "ref", "Devices"},
    {"VirtualMachine", "GuestConnection", "ref", "GuestConnection"},
    {"VirtualMachine", "GuestState", "ref", "GuestState"},
    {"VirtualMachine", "MigrationOptions", "ref", "MigrationInitializeOptions"},
    {"VirtualMachine", "RegistryChanges", "ref", "RegistryChanges"},
    {"VirtualMachine", "ResourcePartitionId", "string", NULL},
    {"VirtualMachine", "RestoreState", "ref", "RestoreState"},
    {"VirtualMachine", "SecuritySettings", "ref", "SecuritySettings"},
    {"VirtualMachine", "StopOnReset", "bool", NULL},
    {"VirtualMachine", "StorageQoS", "ref", "StorageQoS"},
    {"VirtualMachine", "Version", "ref", "Version"},
    {"GuestConnection", "UseConnectedSuspend", "bool", NULL},
    {"GuestConnection", "UseVsock", "bool", NULL},
    {"Chipset", "BaseBoardSerialNumber", "string", NULL},
    {"Chipset", "ChassisAssetTag", "string", NULL},
    {"Chipset", "ChassisSerialNumber", "string", NULL},
    {"Chipset", "FirmwareFile", "ref", "FirmwareFile"},
    {"Chipset", "IsNumLockDisabled", "bool", NULL},
    {"Chipset", "LinuxKernelDirect", "ref", "LinuxKernelDirect"},
    {"Chipset", "Uefi", "ref", "Uefi"},
    {"Chipset", "UseUtc", "bool", NULL},
    {"Uefi", "ApplySecureBootTemplate", "string", NULL},
    {"Uefi", "BootThis", "ref", "UefiBootEntry"},
    {"Uefi", "Console", "string", NULL},
    {"Uefi", "EnableDebugger", "bool", NULL},
    {"Uefi", "SecureBootTemplateId", "string", NULL},
    {"UefiBootEntry", "DevicePath", "string", NULL},
    {"UefiBootEntry", "DeviceType", "string", NULL},
    {"UefiBootEntry", "DiskNumber", "int32", NULL},
    {"UefiBootEntry", "OptionalData", "string", NULL},
    {"UefiBootEntry", "VmbFsRootPath", "string", NULL},
    {"Topology", "Memory", "ref", "VirtualMachineMemory"},
    {"Topology", "Numa", "ref", "Numa"},
    {"Topology", "Processor", "ref", "VirtualMachineProcessor"},
    {"VirtualMachineMemory", "AllowOvercommit", "bool", NULL},
    {"VirtualMachineMemory", "Backing", "string", NULL},
    {"VirtualMachineMemory", "EnableColdDiscardHint", "bool", NULL},
    {"VirtualMachineMemory", "EnableColdHint", "bool", NULL},
    {"VirtualMachineMemory", "EnableDeferredCommit", "bool", NULL},
    {"VirtualMachineMemory", "EnableHotHint", "bool", NULL},
    {"VirtualMachineMemory", "HighMmioBaseInMB", "uint64", NULL},
    {"VirtualMachineMemory", "HighMmioGapInMB", "uint64", NULL},
    {"VirtualMachineMemory", "LowMmioGapInMB", "uint64", NULL},
    {"VirtualMachineMemory", "SizeInMB", "uint64", NULL},
    {"VirtualMachineMemory", "SlitType", "string", NULL},
    {"VirtualMachineProcessor", "Count", "uint32", NULL},
    {"VirtualMachineProcessor", "CpuGroup", "ref", "CpuGroup"},
    {"VirtualMachineProcessor", "Limit", "uint64", NULL},
    {"VirtualMachineProcessor", "NumaProcessorsSettings", "ref", "NumaProcessors"},
    {"VirtualMachineProcessor", "Reservation", "uint64", NULL},
    {"VirtualMachineProcessor", "Weight", "uint64", NULL},
    {"Devices", "Battery", "ref", "Battery"},
    {"Devices", "ComPorts", "map", "ComPort"},
    {"Devices", "EnhancedModeVideo", "ref", "EnhancedModeVideo"},
    {"Devices", "FlexibleIov", "map", "FlexibleIoDevice"},
    {"Devices", "GuestCrashReporting", "ref", "GuestCrashReporting"},
    {"Devices", "HvSocket", "ref", "HvSocket2"},
    {"Devices", "Keyboard", "ref", "Keyboard"},
    {"Devices", "Mouse", "ref", "Mouse"},
    {"Devices", "NetworkAdapters", "map", "NetworkAdapter"},
    {"Devices", "Plan9", "ref", "Plan9"},
    {"Devices", "Scsi", "map", "Scsi"},
    {"Devices", "SharedMemory", "ref", "SharedMemoryConfiguration"},
    {"Devices", "VideoMonitor", "ref", "VideoMonitor"},
    {"Devices", "VirtualPMem", "ref", "VirtualPMemController"},
    {"Devices", "VirtualPci", "map", "VirtualPciDevice"},
    {"Devices", "VirtualSmb", "ref", "VirtualSmb"},
    {"Scsi", "Attachments", "map", "Attachment"},
    {"Attachment", "AlwaysAllowSparseFiles", "bool", NULL},
    {"Attachment", "CachingMode", "string", NULL},
    {"Attachment", "CaptureIoAttributionContext", "bool", NULL},
    {"Attachment", "DisableExpansionOptimization", "bool", NULL},
    {"Attachment", "ExtensibleVirtualDiskType", "string", NULL},
    {"Attachment", "IgnoreFlushes", "bool", NULL},
    {"Attachment", "IgnoreRelativeLocator", "bool", NULL},
    {"Attachment", "NoWriteHardening", "bool", NULL},
    {"Attachment", "Path", "string", NULL},
    {"Attachment", "ReadOnly", "bool", NULL},
    {"Attachment", "SupportCompressedVolumes", "bool", NULL},
    {"Attachment", "Type", "string", NULL},
    {"VirtualSmb", "DirectFileMappingInMB", "int64", NULL},
    {"VirtualSmb", "Shares", "array", "VirtualSmbShare"},
    {"VirtualSmbShare", "AllowedFiles", "array", "string"},
    {"VirtualSmbShare", "Name", "string", NULL},
    {"VirtualSmbShare", "Options", "ref", "VirtualSmbShareOptions"},
    {"VirtualSmbShare", "Path", "string", NULL},
    {"VirtualSmbShareOptions", "CacheIo", "bool", NULL},
    {"VirtualSmbShareOptions", "ForceLevelIIOplocks", "bool", NULL},
    {"VirtualSmbShareOptions", "NoDirectmap", "bool", NULL},
    {"VirtualSmbShareOptions", "NoDirnotify", "bool", NULL},
    {"VirtualSmbShareOptions", "NoLocks", "bool", NULL},
    {"VirtualSmbShareOptions", "NoOplocks", "bool", NULL},
    {"VirtualSmbShareOptions", "NonCacheIo", "bool", NULL},
    {"VirtualSmbShareOptions", "PseudoDirnotify", "bool", NULL},
    {"VirtualSmbShareOptions", "PseudoOplocks", "bool", NULL},
    {"VirtualSmbShareOptions", "ReadOnly", "bool", NULL},
    {"VirtualSmbShareOptions", "ReparseBaseLayer", "bool", NULL},
    {"VirtualSmbShareOptions", "RestrictFileAccess", "bool", NULL},
    {"VirtualSmbShareOptions", "ShareRead", "bool", NULL},
    {"VirtualSmbShareOptions", "SingleFileMapping", "bool", NULL},
    {"VirtualSmbShareOptions", "TakeBackupPrivilege", "bool", NULL},
    {"VirtualSmbShareOptions", "UseShareRootIdentity", "bool", NULL},
    {"VirtualSmbShareOptions", "VmSharedMemory", "bool", NULL},
    {"HvSocket2", "HvSocketConfig", "ref", "HvSocketSystemConfig"},
    {"HvSocketSystemConfig", "DefaultBindSecurityDescriptor", "string", NULL},
    {"HvSocketSystemConfig", "DefaultConnectSecurityDescriptor", "string", NULL},
    {"HvSocketSystemConfig", "ServiceTable", "map", "HvSocketServiceConfig"},
    {"ProcessParameters", "ApplicationName", "string", NULL},
    {"ProcessParameters", "CommandArgs", "array", "string"},
    {"ProcessParameters", "CommandLine", "string", NULL},
    {"ProcessParameters", "ConsoleSize", "array", "int32"},
    {"ProcessParameters", "CreateStdErrPipe", "bool", NULL},
    {"ProcessParameters", "CreateStdInPipe", "bool", NULL},
    {"ProcessParameters", "CreateStdOutPipe", "bool", NULL},
    {"ProcessParameters", "EmulateConsole", "bool", NULL},
    {"ProcessParameters", "Environment", "map", "string"},
    {"ProcessParameters", "RestrictedToken", "bool", NULL},
    {"ProcessParameters", "UseExistingLogin", "bool", NULL},
    {"ProcessParameters", "UseLegacyConsole", "bool", NULL},
    {"ProcessParameters", "User", "string", NULL},
    {"ProcessParameters", "WorkingDirectory", "string", NULL},
};

static bool is_type_name(const char *s) { return s[0] >= 'A' && s[0] <= 'Z'; }

static bool type_known(const char *type) {
  for (size_t i = 0; i < COUNT_OF(schema); i++) {
    if (strcmp(schema[i].type, type) == 0) return true;
  }
  return false;
}

static const schema_field *find_field(const char *type, const char *field) {
  for (size_t i = 0; i < COUNT_OF(schema); i++) {
    if (strcmp(schema[i].type, type) == 0 && strcmp(schema[i].field, field) == 0) return &schema[i];
  }
  return NULL;
}

static bool walk_object(const cJSON *obj, const char *type, const char *path, char *why, size_t size);

static bool integral_in(const cJSON *v, double lo, double hi) {
  return cJSON_IsNumber(v) && floor(v->valuedouble) == v->valuedouble && v->valuedouble >= lo && v->valuedouble <= hi;
}

/* Checks one value against a kind (scalar or a Type name). */
static bool walk_value(const cJSON *v, const char *kind, const char *path, char *why, size_t size) {
  bool ok = true;
  if (is_type_name(kind)) return walk_object(v, kind, path, why, size);
  if (strcmp(kind, "string") == 0 || strcmp(kind, "guid") == 0) ok = cJSON_IsString(v);
  else if (strcmp(kind, "bool") == 0) ok = cJSON_IsBool(v);
  else if (strcmp(kind, "int32") == 0) ok = integral_in(v, -2147483648.0, 2147483647.0);
  else if (strcmp(kind, "uint32") == 0) ok = integral_in(v, 0, 4294967295.0);
  else if (strcmp(kind, "uint16") == 0) ok = integral_in(v, 0, 65535);
  else if (strcmp(kind, "uint8") == 0) ok = integral_in(v, 0, 255);
  else if (strcmp(kind, "int64") == 0 || strcmp(kind, "uint64") == 0) ok = integral_in(v, kind[0] == 'u' ? 0 : -9.2e18, 1.8e19);
  else if (strcmp(kind, "number") == 0) ok = cJSON_IsNumber(v);
  else if (strcmp(kind, "any") == 0) ok = true;
  else ok = false;
  if (!ok) snprintf(why, size, "%s: not a %s", path, kind);
  return ok;
}

static bool walk_object(const cJSON *obj, const char *type, const char *path, char *why, size_t size) {
  if (!type_known(type)) {
    snprintf(why, size, "%s: type %s is not in the test's field list", path, type);
    return false;
  }
  if (!cJSON_IsObject(obj)) {
    snprintf(why, size, "%s: a %s must be an object", path, type);
    return false;
  }
  const cJSON *child = NULL;
  cJSON_ArrayForEach(child, obj) {
    char sub[512];
    snprintf(sub, sizeof sub, "%s.%s", path, child->string);
    const schema_field *f = find_field(type, child->string);
    if (f == NULL) {
      snprintf(why, size, "%s: %s has no field %s", sub, type, child->string);
      return false;
    }
    if (strcmp(f->kind, "ref") == 0) {
      if (!walk_object(child, f->elem, sub, why, size)) return false;
    } else if (strcmp(f->kind, "array") == 0 || strcmp(f->kind, "map") == 0) {
      bool array = f->kind[0] == 'a';
      if (array ? !cJSON_IsArray(child) : !cJSON_IsObject(child)) {
        snprintf(why, size, "%s: must be a%s", sub, array ? "n array" : " map (object)");
        return false;
      }
      const cJSON *el = NULL;
      cJSON_ArrayForEach(el, child) {
        char elp[600];
        if (array) snprintf(elp, sizeof elp, "%s[]", sub);
        else snprintf(elp, sizeof elp, "%s[%s]", sub, el->string);
        if (!walk_value(el, f->elem, elp, why, size)) return false;
      }
    } else if (!walk_value(child, f->kind, sub, why, size)) {
      return false;
    }
  }
  return true;
}

static void expect_valid(const cJSON *doc, const char *type) {
  char why[600] = "";
  if (!walk_object(doc, type, type, why, sizeof why)) {
    char *text = cJSON_PrintUnformatted(doc);
    char msg[4096];
    snprintf(msg, sizeof msg, "%s\n%s", why, text);
    free(text);
    fail_msg("%s", msg);
  }
}

static const hcs_layer layers[] = {{"aaaaaaaa-0000-0000-0000-000000000001", "C:\\l\\top"},
                                   {"bbbbbbbb-0000-0000-0000-000000000002", "C:\\l\\base"}};

/* Documents with every optional part present, so that every field the builders can write is walked. */
static void build_all(const char *isolation, cJSON **a, cJSON **b) {
  static const char *const specs[] = {"C:\\data:C:\\app:ro", "C:\\w:C:\\w", "\\\\.\\pipe\\p:\\\\.\\pipe\\p"};
  bool hyperv = strcmp(isolation, "hyperv") == 0;
  spec_mount mounts[3];
  wctr_errmsg e;
  for (size_t i = 0; i < 3; i++) assert_int_equal(spec_mount_parse(specs[i], &mounts[i], &e), WCTR_OK);
  char params[512];
  snprintf(params, sizeof params,
           "{\"Image\":\"i\",\"Cmd\":[\"cmd\"],\"HostConfig\":{\"Isolation\":\"%s\",\"Memory\":524288000,"
           "\"NanoCpus\":1500000000,\"IOMaximumIOps\":10,\"IOMaximumBandwidth\":1000%s}}",
           isolation, hyperv ? ",\"CpuShares\":0,\"CpuPercent\":0" : "");
  spec_container c;
  hcs_test_container(params, &c);
  hcs_doc_input in = {.container_id = HCS_TEST_ID, .layers = layers, .layer_count = 2, .sandbox_path = "C:\\s",
                      .mounts = mounts, .mount_count = hyperv ? 2 : 3, .host_cpus = 4, .uvm_id = "uvm",
                      .uvm_scratch_path = "C:\\u.vhdx"};
  if (hyperv) {
    assert_int_equal(hcs_doc_uvm(&c, &in, a, NULL, &e), WCTR_OK);
    assert_int_equal(hcs_doc_hosted_container(&c, &in, b, NULL, &e), WCTR_OK);
  } else {
    assert_int_equal(hcs_doc_process_container(&c, &in, a, NULL, &e), WCTR_OK);
    *b = NULL;
  }
  spec_free(&c);
  for (size_t i = 0; i < 3; i++) spec_mount_free(&mounts[i]);
}

static void test_process_document(void **state) {
  (void)state;
  cJSON *a = NULL;
  cJSON *b = NULL;
  build_all("process", &a, &b);
  expect_valid(a, "ComputeSystem");
  /* the walk saw the optional parts */
  const cJSON *container = cJSON_GetObjectItem(a, "Container");
  assert_non_null(cJSON_GetObjectItem(container, "MappedPipes"));
  assert_non_null(cJSON_GetObjectItem(container, "Processor"));
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(container, "Storage"), "QoS"));
  cJSON_Delete(a);
}

/* The utility VM's document has its guest connection, walked like the rest. */
static void test_guest_connection(void **state) {
  (void)state;
  cJSON *vm = NULL;
  cJSON *hosted = NULL;
  build_all("hyperv", &vm, &hosted);
  assert_true(cJSON_IsObject(cJSON_GetObjectItem(cJSON_GetObjectItem(vm, "VirtualMachine"), "GuestConnection")));
  cJSON_Delete(vm);
  cJSON_Delete(hosted);
}

static void test_hyperv_documents(void **state) {
  (void)state;
  cJSON *vm = NULL;
  cJSON *hosted = NULL;
  build_all("hyperv", &vm, &hosted);
  expect_valid(vm, "ComputeSystem");
  expect_valid(hosted, "ComputeSystem");
  cJSON_Delete(vm);
  cJSON_Delete(hosted);
}

static void test_process_parameters(void **state) {
  (void)state;
  spec_container c;
  hcs_test_container("{\"Image\":\"i\",\"Cmd\":[\"a b\"],\"Env\":[\"A=1\"],\"User\":\"u\",\"WorkingDir\":\"C:\\\\\","
                     "\"OpenStdin\":true,\"HostConfig\":{\"Isolation\":\"process\"}}",
                     &c);
  cJSON *doc = NULL;
  wctr_errmsg e;
  assert_int_equal(hcs_doc_process_params(&c, &doc, &e), WCTR_OK);
  expect_valid(doc, "ProcessParameters");
  cJSON_Delete(doc);
  spec_free(&c);
}

/* The walker itself refuses what it must, so a passing walk means something. */
static void test_walker_refuses(void **state) {
  (void)state;
  static const struct {
    const char *doc;
    const char *type;
    const char *why;
  } bad[] = {
      {"{'Owner':'wctr','Bogus':1}", "ComputeSystem", "ComputeSystem.Bogus: ComputeSystem has no field Bogus"},
      {"{'Container':{'Memory':{'SizeInMb':5}}}", "ComputeSystem", "has no field SizeInMb"},
      {"{'Container':{'Memory':{'SizeInMB':'5'}}}", "ComputeSystem", "not a uint64"},
      {"{'Container':{'Processor':{'Count':-1.5}}}", "ComputeSystem", "not a int32"},
      {"{'Container':{'Storage':{'Layers':{}}}}", "ComputeSystem", "must be an array"},
      {"{'Container':{'Networking':{}}}", "ComputeSystem", "type Networking is not in the test's field list"},
      {"{'VirtualMachine':{'Devices':{'Scsi':{'x':{'Attachments':{'0':{'Typo':'VirtualDisk'}}}}}}}", "ComputeSystem",
       "Attachment has no field Typo"},
      {"{'VirtualMachine':{'Devices':{'HvSocket':{'Config':{}}}}}", "ComputeSystem", "HvSocket2 has no field Config"},
      {"{'Environment':{'A':1}}", "ProcessParameters", "ProcessParameters.Environment[A]: not a string"},
      {"{'StopOnReset':true}", "ComputeSystem", "has no field StopOnReset"},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    cJSON *doc = hcs_test_parse(bad[i].doc);
    char why[600] = "";
    if (walk_object(doc, bad[i].type, bad[i].type, why, sizeof why)) FAILF("%s passed the walk", bad[i].doc);
    if (strstr(why, bad[i].why) == NULL) FAILF("%s: \"%s\" lacks \"%s\"", bad[i].doc, why, bad[i].why);
    cJSON_Delete(doc);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_process_document),
      cmocka_unit_test(test_hyperv_documents),
      cmocka_unit_test(test_guest_connection),
      cmocka_unit_test(test_process_parameters),
      cmocka_unit_test(test_walker_refuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
