/* tests/hcs/test_documents.c - hcs/document.h: exact ComputeSystem documents for process isolation and
 * for Hyper-V (utility VM + hosted container) across limits and mounts, the VM sizing rule, and
 * ProcessParameters (users, environment, stdin, command-line quoting). */
#include "hcs_test.h"

#include "hcs/document.h"

#define L_TOP "aaaaaaaa-0000-0000-0000-000000000001"
#define L_BASE "bbbbbbbb-0000-0000-0000-000000000002"
#define VOLUME "\\\\?\\Volume{11111111-2222-3333-4444-555555555555}\\"
#define UVM_SANDBOX "C:\\mounts\\scsi\\m1"
#define UVM_SCRATCH "C:\\uvm\\scratch.vhdx"

/* Compact JSON (hcs_test.h): ' is ", | is one backslash. */
#define HEAD "'Owner':'wctr','SchemaVersion':{'Major':2,'Minor':1}"
#define GUEST "'GuestOs':{'HostName':'0123456789ab'}"
#define LAYERS "'Layers':[{'Id':'" L_TOP "','Path':'C:|layers|top'},{'Id':'" L_BASE "','Path':'C:|layers|base'}]"
#define SANDBOX "'Path':'||?|Volume{11111111-2222-3333-4444-555555555555}|'"
#define VSMB "||?|VMSMB|VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}|"
#define VSMB_LAYERS "'Layers':[{'Id':'" L_TOP "','Path':'" VSMB L_TOP "'},{'Id':'" L_BASE "','Path':'" VSMB L_BASE "'}]"
#define REG                                                                                         \
  "'RegistryChanges':{'AddValues':[{'Key':{'Hive':'System','Name':'ControlSet001|Control'},"        \
  "'Name':'WaitToKillServiceTimeout','Type':'String','StringValue':'2147483647'}]}"
/* false: containers outlive a crashed wctrd, which re-attaches them (document.h). */
#define TAIL "'ShouldTerminateOnLastHandleClosed':false"
/* hcsshim's layer share options, and DefaultVSMBOptions(true) for a read-only mount. */
#define OPTS_LAYER "{'ReadOnly':true,'ShareRead':true,'CacheIo':true,'PseudoOplocks':true,'TakeBackupPrivilege':true}"
#define OPTS_RO "{'ReadOnly':true,'ShareRead':true,'CacheIo':true,'PseudoOplocks':true}"
#define SHARES                                                                      \
  "{'Name':'os','Path':'C:|layers|base|UtilityVM|Files','Options':" OPTS_LAYER "}," \
  "{'Name':'" L_TOP "','Path':'C:|layers|top','Options':" OPTS_LAYER "},"           \
  "{'Name':'" L_BASE "','Path':'C:|layers|base','Options':" OPTS_LAYER "}"

static const hcs_layer layers[] = {{L_TOP, "C:\\layers\\top"}, {L_BASE, "C:\\layers\\base"}};

static hcs_doc_input input(bool hyperv) {
  hcs_doc_input in = {0};
  in.container_id = HCS_TEST_ID;
  in.layers = layers;
  in.layer_count = COUNT_OF(layers);
  in.sandbox_path = hyperv ? UVM_SANDBOX : VOLUME;
  in.host_cpus = 4;
  in.uvm_id = hyperv ? "uvm-1" : NULL;
  in.uvm_scratch_path = hyperv ? UVM_SCRATCH : NULL;
  return in;
}

static char *params(const char *isolation, const char *host_config) {
  static char buf[1024];
  snprintf(buf, sizeof buf, "{\"Image\":\"nanoserver\",\"Cmd\":[\"cmd\"],\"HostConfig\":{\"Isolation\":\"%s\"%s%s}}",
           isolation, host_config[0] != '\0' ? "," : "", host_config);
  return buf;
}

/* --- process isolation ----------------------------------------------------------------------------- */

static void expect_process(const char *host_config, const char *qos, const char *extra) {
  spec_container c;
  hcs_test_container(params("process", host_config), &c);
  hcs_doc_input in = input(false);
  cJSON *doc = NULL;
  wctr_errmsg e;
  spec_warnings w = {0};
  if (hcs_doc_process_container(&c, &in, &doc, &w, &e) != WCTR_OK) FAILF("%s refused: %s", host_config, e.text);
  char want[4096];
  snprintf(want, sizeof want, "{" HEAD ",'Container':{" GUEST ",'Storage':{" LAYERS "," SANDBOX "%s}%s," REG "}," TAIL "}",
           qos, extra);
  hcs_test_expect_json(doc, want);
  cJSON_Delete(doc);
  spec_free(&c);
}

static void test_process_minimal(void **state) {
  (void)state;
  expect_process("", "", "");
}

static void test_process_limits(void **state) {
  (void)state;
  static const char *const cases[][3] = {
      {"\"Memory\":524288000", "", ",'Memory':{'SizeInMB':500}"},                 /* 500m */
      {"\"Memory\":1610612736", "", ",'Memory':{'SizeInMB':1536}"},               /* 1.5g */
      {"\"NanoCpus\":1500000000", "", ",'Processor':{'Maximum':3750}"},           /* --cpus 1.5 of 4 */
      {"\"NanoCpus\":10000", "", ",'Processor':{'Maximum':1}"},                   /* raised to 1 */
      {"\"CpuCount\":2", "", ",'Processor':{'Count':2}"},
      {"\"CpuShares\":512", "", ",'Processor':{'Weight':512}"},
      {"\"CpuPercent\":30", "", ",'Processor':{'Maximum':3000}"},
      {"\"CpuCount\":2,\"CpuShares\":100,\"CpuPercent\":5", "", ",'Processor':{'Count':2}"}, /* precedence */
      {"\"CpuShares\":100,\"CpuPercent\":5", "", ",'Processor':{'Weight':100}"},
      {"\"IOMaximumIOps\":100", ",'QoS':{'IopsMaximum':100}", ""},
      {"\"IOMaximumBandwidth\":1048576", ",'QoS':{'BandwidthMaximum':1048576}", ""},
      {"\"IOMaximumIOps\":7,\"IOMaximumBandwidth\":9,\"Memory\":104857600,\"NanoCpus\":4000000000",
       ",'QoS':{'IopsMaximum':7,'BandwidthMaximum':9}", ",'Memory':{'SizeInMB':100},'Processor':{'Maximum':10000}"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) expect_process(cases[i][0], cases[i][1], cases[i][2]);
}

static void test_process_warnings_and_clamp(void **state) {
  (void)state;
  spec_container c;
  hcs_test_container(params("process", "\"CpuCount\":8"), &c);
  hcs_doc_input in = input(false);
  cJSON *doc = NULL;
  wctr_errmsg e;
  spec_warnings w = {0};
  assert_int_equal(hcs_doc_process_container(&c, &in, &doc, &w, &e), WCTR_OK);
  const cJSON *count = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "Container"), "Processor"), "Count");
  assert_int_equal(count->valueint, 4);
  assert_int_equal(w.count, 1);
  assert_string_equal(w.text[0], "Changing requested CPUCount of 8 to current number of processors, 4");
  cJSON_Delete(doc);
  spec_free(&c);
}

static void test_process_mounts(void **state) {
  (void)state;
  static const char *const specs[] = {"C:\\data:C:\\app:ro", "\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine",
                                      "d:/logs:C:\\logs"};
  spec_mount mounts[COUNT_OF(specs)];
  wctr_errmsg e;
  for (size_t i = 0; i < COUNT_OF(specs); i++) assert_int_equal(spec_mount_parse(specs[i], &mounts[i], &e), WCTR_OK);
  spec_container c;
  hcs_test_container(params("process", ""), &c);
  hcs_doc_input in = input(false);
  in.mounts = mounts;
  in.mount_count = COUNT_OF(mounts);
  c.hostname = malloc(sizeof "web"); /* the spec's Hostname, as -h web gives it */
  assert_non_null(c.hostname);
  memcpy(c.hostname, "web", sizeof "web");
  cJSON *doc = NULL;
  assert_int_equal(hcs_doc_process_container(&c, &in, &doc, NULL, &e), WCTR_OK);
  hcs_test_expect_json(doc, "{" HEAD ",'Container':{'GuestOs':{'HostName':'web'},'Storage':{" LAYERS "," SANDBOX "},"
                            "'MappedDirectories':[{'HostPath':'C:|data','ContainerPath':'C:|app','ReadOnly':true},"
                            "{'HostPath':'d:|logs','ContainerPath':'C:|logs'}],"
                            "'MappedPipes':[{'ContainerPipeName':'docker_engine','HostPath':'||.|pipe|docker_engine'}],"
                            REG "}," TAIL "}");
  cJSON_Delete(doc);
  spec_free(&c);
  for (size_t i = 0; i < COUNT_OF(mounts); i++) spec_mount_free(&mounts[i]);
}

/* The container's network: its namespace and --dns-search, in both documents; none without a namespace. */
static void test_networking(void **state) {
  (void)state;
  char *search[] = {"a.example", "b.example"};
  for (int hyperv = 0; hyperv < 2; hyperv++) {
    spec_container c;
    hcs_test_container(params(hyperv ? "hyperv" : "process", ""), &c);
    hcs_doc_input in = input(hyperv != 0);
    in.network_namespace = "cccccccc-0000-4000-8000-000000000003";
    in.dns_search = search;
    in.dns_search_count = 2;
    cJSON *doc = NULL;
    wctr_errmsg e;
    wctr_err err = hyperv ? hcs_doc_hosted_container(&c, &in, &doc, NULL, &e) : hcs_doc_process_container(&c, &in, &doc, NULL, &e);
    if (err != WCTR_OK) FAILF("refused: %s", e.text);
    const cJSON *container = hyperv ? cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "HostedSystem"), "Container")
                                    : cJSON_GetObjectItem(doc, "Container");
    hcs_test_expect_json(cJSON_GetObjectItem(container, "Networking"),
                         "{'Namespace':'cccccccc-0000-4000-8000-000000000003','DnsSearchList':'a.example,b.example'}");
    cJSON_Delete(doc);
    in.dns_search_count = 0;
    err = hyperv ? hcs_doc_hosted_container(&c, &in, &doc, NULL, &e) : hcs_doc_process_container(&c, &in, &doc, NULL, &e);
    assert_int_equal(err, WCTR_OK);
    container = hyperv ? cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "HostedSystem"), "Container")
                       : cJSON_GetObjectItem(doc, "Container");
    hcs_test_expect_json(cJSON_GetObjectItem(container, "Networking"), "{'Namespace':'cccccccc-0000-4000-8000-000000000003'}");
    cJSON_Delete(doc);
    spec_free(&c);
  }
}

static void expect_refused_doc(int which, const char *isolation, const char *host_config, hcs_doc_input in,
                               const char *message) {
  spec_container c;
  hcs_test_container(params(isolation, host_config), &c);
  cJSON *doc = (cJSON *)&c; /* must become NULL */
  wctr_errmsg e;
  wctr_err err = which == 0   ? hcs_doc_process_container(&c, &in, &doc, NULL, &e)
                 : which == 1 ? hcs_doc_uvm(&c, &in, &doc, NULL, &e)
                              : hcs_doc_hosted_container(&c, &in, &doc, NULL, &e);
  if (err == WCTR_OK) FAILF("%s accepted", message);
  assert_null(doc);
  if (strstr(e.text, message) == NULL) FAILF("message \"%s\" lacks \"%s\"", e.text, message);
  spec_free(&c);
}

static void test_refusals(void **state) {
  (void)state;
  hcs_doc_input in = input(false);
  expect_refused_doc(0, "process", "\"NanoCpus\":1000000000,\"CpuCount\":1", in,
                     "--cpus and --cpu-count cannot both be set with process isolation");
  expect_refused_doc(0, "process", "\"IOMaximumIOps\":2147483648", in, "--io-maxiops 2147483648 is above");
  expect_refused_doc(0, "hyperv", "", in, "isolation is hyperv, not process");
  in.layer_count = 0;
  expect_refused_doc(0, "process", "", in, "the image has no layers");
  in = input(false);
  in.sandbox_path = NULL;
  expect_refused_doc(0, "process", "", in, "sandbox_path is required");
  in = input(false);
  in.host_cpus = 0;
  expect_refused_doc(0, "process", "", in, "host_cpus must be at least 1");

  spec_mount pipe;
  wctr_errmsg e;
  assert_int_equal(spec_mount_parse("\\\\.\\pipe\\p:\\\\.\\pipe\\p", &pipe, &e), WCTR_OK);
  in = input(true);
  in.mounts = &pipe;
  in.mount_count = 1;
  expect_refused_doc(1, "hyperv", "", in, "named pipes need --isolation=process");
  expect_refused_doc(2, "hyperv", "", in, "named pipes need --isolation=process");
  spec_mount_free(&pipe);
  in = input(true);
  in.uvm_scratch_path = NULL;
  expect_refused_doc(1, "hyperv", "", in, "uvm_scratch_path is required");
  in = input(true);
  in.uvm_id = NULL;
  expect_refused_doc(2, "hyperv", "", in, "uvm_id is required");
  expect_refused_doc(1, "process", "", input(true), "isolation is process, not hyperv");
  expect_refused_doc(2, "hyperv", "\"NanoCpus\":1000000000,\"CpuCount\":1", input(true),
                     "--cpus and --cpu-count cannot both be set with hyperv isolation");
}

/* --- Hyper-V --------------------------------------------------------------------------------------- */

static void expect_hyperv(const char *host_config, unsigned vm_mb, unsigned vcpus, const char *extra, int host_cpus,
                          const char *warning) {
  spec_container c;
  hcs_test_container(params("hyperv", host_config), &c);
  hcs_doc_input in = input(true);
  in.host_cpus = host_cpus;
  cJSON *vm = NULL;
  cJSON *hosted = NULL;
  wctr_errmsg e;
  spec_warnings w = {0};
  if (hcs_doc_uvm(&c, &in, &vm, &w, &e) != WCTR_OK) FAILF("%s: VM refused: %s", host_config, e.text);
  if (warning == NULL) {
    assert_int_equal(w.count, 0);
  } else {
    assert_int_equal(w.count, 1);
    assert_string_equal(w.text[0], warning);
  }
  if (hcs_doc_hosted_container(&c, &in, &hosted, NULL, &e) != WCTR_OK) FAILF("%s: container refused: %s", host_config, e.text);
  char want[4096];
  snprintf(want, sizeof want,
           "{" HEAD ",'VirtualMachine':{'StopOnReset':true,"
           "'Chipset':{'Uefi':{'BootThis':{'DeviceType':'VmbFs','DevicePath':'|EFI|Microsoft|Boot|bootmgfw.efi'}}},"
           "'ComputeTopology':{'Memory':{'SizeInMB':%u,'AllowOvercommit':true},'Processor':{'Count':%u}},"
           "'GuestConnection':{},'Devices':{'Scsi':{'df6d0690-79e5-55b6-a5ec-c1e2f77f580a':{'Attachments':{'0':{'Type':'VirtualDisk',"
           "'Path':'C:|uvm|scratch.vhdx'}}}},'VirtualSmb':{'Shares':[" SHARES "]},"
           "'HvSocket':{'HvSocketConfig':{'DefaultBindSecurityDescriptor':'D:P(A;;FA;;;SY)(A;;FA;;;BA)'}}}}," TAIL "}",
           vm_mb, vcpus);
  hcs_test_expect_json(vm, want);
  snprintf(want, sizeof want,
           "{" HEAD ",'HostingSystemId':'uvm-1','HostedSystem':{'SchemaVersion':{'Major':2,'Minor':1},"
           "'Container':{" GUEST ",'Storage':{" VSMB_LAYERS ",'Path':'C:|mounts|scsi|m1'}%s," REG "}}," TAIL "}",
           extra);
  hcs_test_expect_json(hosted, want);
  cJSON_Delete(vm);
  cJSON_Delete(hosted);
  spec_free(&c);
}

static void test_hyperv_limits(void **state) {
  (void)state;
  /* defaults: hcsshim's 1024 MB and 2 vCPUs, at most the host's */
  expect_hyperv("", 1024, 2, "", 4, NULL);
  expect_hyperv("", 1024, 1, "", 1, NULL);
  /* --cpus 1.5 --memory 500m: VM 500 + 256 = 756 MB with 2 vCPUs; the container only the fraction of them */
  expect_hyperv("\"NanoCpus\":1500000000,\"Memory\":524288000", 756, 2,
                ",'Memory':{'SizeInMB':500},'Processor':{'Maximum':7500}", 4, NULL);
  /* odd sum rounds up to even: 501 + 256 = 757 -> 758 */
  expect_hyperv("\"Memory\":525336576", 758, 2, ",'Memory':{'SizeInMB':501}", 4, NULL);
  /* whole CPUs: the VM has exactly them, the container needs no field */
  expect_hyperv("\"NanoCpus\":3000000000", 1024, 3, "", 4, NULL);
  expect_hyperv("\"NanoCpus\":500000000", 1024, 1, ",'Processor':{'Maximum':5000}", 4, NULL);
  expect_hyperv("\"CpuPercent\":30", 1024, 2, ",'Processor':{'Maximum':3000}", 4, NULL);
  expect_hyperv("\"CpuShares\":512", 1024, 2, ",'Processor':{'Weight':512}", 4, NULL);
  /* never two of Count/Maximum/Weight: the count goes to the VM, shares win over percent as Docker ranks them */
  expect_hyperv("\"CpuCount\":3,\"CpuShares\":200,\"CpuPercent\":50", 1024, 3, ",'Processor':{'Weight':200}", 4,
                "Conflicting options: CPU shares takes priority over CPU percent on Hyper-V containers. CPU percent "
                "discarded");
  expect_hyperv("\"CpuCount\":2,\"CpuPercent\":50", 1024, 2, ",'Processor':{'Maximum':5000}", 4, NULL);
  expect_hyperv("\"CpuCount\":16", 1024, 4, "", 4, "Changing requested CPUCount of 16 to current number of processors, 4");
}

/* No document of either isolation ever holds two of Count, Maximum and Weight in one Processor, whatever the
 * combination of flags Docker lets through. */
static void test_processor_fields_exclusive(void **state) {
  (void)state;
  /* --cpu-count 2, --cpu-shares 300, --cpu-percent 22, --cpus 1.5 */
  static const char *const flags[] = {"\"CpuCount\":2", "\"CpuShares\":300", "\"CpuPercent\":22",
                                      "\"NanoCpus\":1500000000"};
  for (int mask = 1; mask < 16; mask++) {
    if ((mask & 8) != 0 && (mask & 7) != 0) continue; /* --cpus with any other: refused before the builders */
    for (int iso = 0; iso < 2; iso++) {
      char host_config[200] = "";
      for (int f = 0; f < 4; f++) {
        if ((mask & (1 << f)) == 0) continue;
        size_t n = strlen(host_config);
        snprintf(host_config + n, sizeof host_config - n, "%s%s", n > 0 ? "," : "", flags[f]);
      }
      spec_container c;
      hcs_test_container(params(iso == 0 ? "process" : "hyperv", host_config), &c);
      hcs_doc_input in = input(iso == 1);
      cJSON *doc = NULL;
      wctr_errmsg e;
      wctr_err err = iso == 0 ? hcs_doc_process_container(&c, &in, &doc, NULL, &e)
                              : hcs_doc_hosted_container(&c, &in, &doc, NULL, &e);
      if (err != WCTR_OK) FAILF("%s refused: %s", host_config, e.text);
      const cJSON *container = iso == 0 ? cJSON_GetObjectItem(doc, "Container")
                                        : cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "HostedSystem"), "Container");
      const cJSON *p = cJSON_GetObjectItem(container, "Processor");
      int fields = p != NULL ? cJSON_GetArraySize(p) : 0;
      if (fields > 1) FAILF("%s isolation, %s: Processor has %d fields", iso == 0 ? "process" : "hyperv", host_config, fields);
      if (iso == 1) assert_null(cJSON_GetObjectItem(p, "Count")); /* the VM has the count */
      cJSON_Delete(doc);
      spec_free(&c);
    }
  }
}

static void test_hyperv_qos_and_mounts(void **state) {
  (void)state;
  spec_mount mounts[2];
  wctr_errmsg e;
  assert_int_equal(spec_mount_parse("C:\\data:C:\\app:ro", &mounts[0], &e), WCTR_OK);
  assert_int_equal(spec_mount_parse("C:\\out:C:\\out", &mounts[1], &e), WCTR_OK);
  spec_container c;
  hcs_test_container(params("hyperv", "\"IOMaximumIOps\":50"), &c);
  hcs_doc_input in = input(true);
  in.mounts = mounts;
  in.mount_count = 2;
  cJSON *vm = NULL;
  cJSON *hosted = NULL;
  assert_int_equal(hcs_doc_uvm(&c, &in, &vm, NULL, &e), WCTR_OK);
  assert_int_equal(hcs_doc_hosted_container(&c, &in, &hosted, NULL, &e), WCTR_OK);
  const cJSON *shares = cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(vm, "VirtualMachine"), "Devices"), "VirtualSmb"), "Shares");
  /* The writable mount gets none of the read-only options. */
  cJSON *want_shares = hcs_test_parse("[" SHARES ",{'Name':'m0','Path':'C:|data','Options':" OPTS_RO "},"
                                      "{'Name':'m1','Path':'C:|out'}]");
  assert_true(cJSON_Compare(shares, want_shares, true));
  cJSON_Delete(want_shares);
  hcs_test_expect_json(hosted, "{" HEAD ",'HostingSystemId':'uvm-1','HostedSystem':{'SchemaVersion':{'Major':2,'Minor':1},"
                               "'Container':{" GUEST ",'Storage':{" VSMB_LAYERS ",'Path':'C:|mounts|scsi|m1',"
                               "'QoS':{'IopsMaximum':50}},'MappedDirectories':["
                               "{'HostPath':'" VSMB "m0','ContainerPath':'C:|app','ReadOnly':true},"
                               "{'HostPath':'" VSMB "m1','ContainerPath':'C:|out'}]," REG "}}," TAIL "}");
  cJSON_Delete(vm);
  cJSON_Delete(hosted);
  spec_free(&c);
  spec_mount_free(&mounts[0]);
  spec_mount_free(&mounts[1]);
}

static void test_uvm_memory_rule(void **state) {
  (void)state;
  const int64_t mib = (int64_t)1 << 20;
  assert_int_equal(hcs_uvm_memory_mb(0), 1024);
  assert_int_equal(hcs_uvm_memory_mb(-5), 1024);
  assert_int_equal(hcs_uvm_memory_mb(1), HCS_UVM_MIN_MB);
  assert_int_equal(hcs_uvm_memory_mb(130 * mib), 386);
  assert_int_equal(hcs_uvm_memory_mb(131 * mib), 388);
  assert_int_equal(hcs_uvm_memory_mb(131 * mib - 1), 386); /* truncated to 130 first */
  assert_int_equal(hcs_uvm_memory_mb(2048 * mib), 2304);
  assert_int_equal(hcs_uvm_memory_mb(768 * mib), 1024);
}

/* --- ProcessParameters ----------------------------------------------------------------------------- */

static cJSON *process_params(const char *params_json) {
  spec_container c;
  hcs_test_container(params_json, &c);
  cJSON *doc = NULL;
  wctr_errmsg e;
  if (hcs_doc_process_params(&c, &doc, &e) != WCTR_OK) FAILF("refused: %s", e.text);
  spec_free(&c);
  return doc;
}

static void test_process_params_default(void **state) {
  (void)state;
  cJSON *doc = process_params("{\"Image\":\"i\",\"Cmd\":[\"cmd\",\"/c\",\"echo hello world\"],"
                              "\"HostConfig\":{\"Isolation\":\"process\"}}");
  hcs_test_expect_json(doc, "{'CommandLine':'cmd /c \\'echo hello world\\'','User':'ContainerUser',"
                            "'EmulateConsole':false,'CreateStdOutPipe':true,'CreateStdErrPipe':true}");
  cJSON_Delete(doc);
}

static void test_process_params_full(void **state) {
  (void)state;
  cJSON *doc = process_params("{\"Image\":\"i\",\"Cmd\":[\"C:\\\\Program Files\\\\app.exe\",\"a\\\"b\",\"\",\"with space\\\\\",\"C:\\\\x\\\\\"],"
                              "\"User\":\"ContainerAdministrator\",\"WorkingDir\":\"C:\\\\app\",\"OpenStdin\":true,"
                              "\"Env\":[\"A=1\",\"B=x=y\",\"A=2\",\"EMPTY=\"],\"HostConfig\":{\"Isolation\":\"hyperv\"}}");
  const cJSON *cl = cJSON_GetObjectItem(doc, "CommandLine");
  assert_non_null(cl);
  assert_string_equal(cl->valuestring, "\"C:\\Program Files\\app.exe\" \"a\\\"b\" \"\" \"with space\\\\\" C:\\x\\");
  cJSON_DeleteItemFromObject(doc, "CommandLine");
  hcs_test_expect_json(doc, "{'User':'ContainerAdministrator','WorkingDirectory':'C:|app',"
                            "'Environment':{'B':'x=y','A':'2','EMPTY':''},'EmulateConsole':false,"
                            "'CreateStdInPipe':true,'CreateStdOutPipe':true,'CreateStdErrPipe':true}");
  cJSON_Delete(doc);
}

static void test_process_params_tty(void **state) {
  (void)state;
  /* -t: a console; stderr is the console's too, so no separate pipe is asked for. */
  cJSON *doc = process_params("{\"Image\":\"i\",\"Cmd\":[\"cmd\"],\"Tty\":true,\"HostConfig\":{\"Isolation\":\"process\"}}");
  hcs_test_expect_json(doc, "{'CommandLine':'cmd','User':'ContainerUser','EmulateConsole':true,'CreateStdOutPipe':true}");
  cJSON_Delete(doc);
}

static void test_storage_and_modify_documents(void **state) {
  (void)state;
  hcs_layer two[2] = {{"11111111-2222-4333-8444-555555555555", "C:\\layers\\top"},
                         {"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "C:\\layers\\base"}};
  cJSON *doc = hcs_doc_layer_data(two, 2);
  hcs_test_expect_json(doc, "{'SchemaVersion':{'Major':2,'Minor':1},'Layers':["
                            "{'Id':'11111111-2222-4333-8444-555555555555','Path':'C:|layers|top'},"
                            "{'Id':'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee','Path':'C:|layers|base'}]}");
  cJSON_Delete(doc);
  doc = hcs_doc_scsi_add(1, "C:\\wctr\\containers\\x\\sandbox\\sandbox.vhdx", NULL);
  hcs_test_expect_json(doc, "{'ResourcePath':'VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/1',"
                            "'RequestType':'Add','Settings':{'Type':'VirtualDisk',"
                            "'Path':'C:|wctr|containers|x|sandbox|sandbox.vhdx'}}");
  cJSON_Delete(doc);
  /* The scratch hot-added and mounted by the guest in the same request, and taken away in one. */
  doc = hcs_doc_scsi_add(1, "C:\\s\\sandbox.vhdx", "C:\\c\\0123456789ab");
  hcs_test_expect_json(doc, "{'ResourcePath':'VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/1',"
                            "'RequestType':'Add','Settings':{'Type':'VirtualDisk','Path':'C:|s|sandbox.vhdx'},"
                            "'GuestRequest':{'ResourceType':'MappedVirtualDisk','RequestType':'Add',"
                            "'Settings':{'ContainerPath':'C:|c|0123456789ab','Lun':1}}}");
  cJSON_Delete(doc);
  doc = hcs_doc_scsi_remove(1, "C:\\c\\0123456789ab");
  hcs_test_expect_json(doc, "{'ResourcePath':'VirtualMachine/Devices/Scsi/df6d0690-79e5-55b6-a5ec-c1e2f77f580a/Attachments/1',"
                            "'RequestType':'Remove','GuestRequest':{'ResourceType':'MappedVirtualDisk','RequestType':'Remove',"
                            "'Settings':{'ContainerPath':'C:|c|0123456789ab','Lun':1}}}");
  cJSON_Delete(doc);
  doc = hcs_doc_combined_layers("C:\\c\\0123456789ab", two, 2, true);
  hcs_test_expect_json(doc, "{'GuestRequest':{'ResourceType':'CombinedLayers','RequestType':'Add',"
                            "'Settings':{'ContainerRootPath':'C:|c|0123456789ab','Layers':["
                            "{'Id':'11111111-2222-4333-8444-555555555555','Path':'" VSMB "11111111-2222-4333-8444-555555555555'},"
                            "{'Id':'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee','Path':'" VSMB "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'}]}}}");
  cJSON_Delete(doc);
  doc = hcs_doc_combined_layers("C:\\c\\0123456789ab", NULL, 0, false);
  hcs_test_expect_json(doc, "{'GuestRequest':{'ResourceType':'CombinedLayers','RequestType':'Remove',"
                            "'Settings':{'ContainerRootPath':'C:|c|0123456789ab'}}}");
  cJSON_Delete(doc);
  assert_null(hcs_doc_combined_layers("C:\\c\\x", NULL, 0, true));
  assert_null(hcs_doc_scsi_remove(1, NULL));
  doc = hcs_doc_layer_list(two, 2);
  hcs_test_expect_json(doc, "[{'Id':'11111111-2222-4333-8444-555555555555','Path':'C:|layers|top'},"
                            "{'Id':'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee','Path':'C:|layers|base'}]");
  cJSON_Delete(doc);
}

/* The Owner of a data root's systems: stable for the same root however it is written, different for another. */
static void test_owner(void **state) {
  (void)state;
  char a[HCS_OWNER_SIZE], b[HCS_OWNER_SIZE], c[HCS_OWNER_SIZE];
  hcs_owner_for_data_root("C:\\ProgramData\\wctr", a);
  hcs_owner_for_data_root("c:\\programdata\\WCTR\\", b);
  hcs_owner_for_data_root("C:\\ProgramData\\wctr2", c);
  assert_int_equal(strlen(a), 21);
  assert_memory_equal(a, "wctr-", 5);
  for (size_t i = 5; i < strlen(a); i++) assert_non_null(strchr("0123456789abcdef", a[i]));
  assert_string_equal(a, b);
  assert_string_not_equal(a, c);
  /* FNV-1a 64 of "C:\\DATA", worked by hand from the offset basis and prime. */
  hcs_owner_for_data_root("c:/data/", a);
  uint64_t h = 14695981039346656037ULL;
  for (const char *p = "C:\\DATA"; *p != '\0'; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  char want[HCS_OWNER_SIZE];
  snprintf(want, sizeof want, "wctr-%016llx", (unsigned long long)h);
  assert_string_equal(a, want);
  /* The documents carry the owner they are given. */
  spec_container s;
  hcs_test_container(params("process", ""), &s);
  hcs_doc_input in = input(false);
  in.owner = b;
  cJSON *doc = NULL;
  wctr_errmsg e;
  assert_int_equal(hcs_doc_process_container(&s, &in, &doc, NULL, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItem(doc, "Owner")->valuestring, b);
  cJSON_Delete(doc);
  spec_free(&s);
}

static void test_folder_names_and_guids(void **state) {
  (void)state;
  char name[64];
  static const char *const cases[][2] = {
      {"C:\\ProgramData\\docker\\windowsfilter\\abc123", "abc123"}, {"C:\\layers\\base\\", "base"},
      {"D:/x/y//", "y"}, {"C:base", "base"}, {"name", "name"}, {"", ""}, {"C:\\", ""},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    hcs_layer_folder_name(cases[i][0], name, sizeof name);
    assert_string_equal(name, cases[i][1]);
  }
  hcs_layer_folder_name("C:\\l\\abcdefgh", name, 4);
  assert_string_equal(name, "abc");
  hcs_guid g;
  assert_true(hcs_guid_parse("6BA9CAC1-7086-5EE9-A197-C465D3F50AD7", &g));
  assert_int_equal(g.data1, 0x6ba9cac1u);
  assert_int_equal(g.data2, 0x7086);
  assert_int_equal(g.data3, 0x5ee9);
  assert_int_equal(g.data4[0], 0xa1);
  assert_int_equal(g.data4[7], 0xd7);
  char text[HCS_GUID_SIZE];
  hcs_guid_format(&g, text);
  assert_string_equal(text, "6ba9cac1-7086-5ee9-a197-c465d3f50ad7");
  assert_true(hcs_guid_parse("{6ba9cac1-7086-5ee9-a197-c465d3f50ad7}", &g));
  static const char *const bad[] = {"", "6ba9cac1-7086-5ee9-a197-c465d3f50ad", "6ba9cac1x7086-5ee9-a197-c465d3f50ad7",
                                    "6ba9cac1-7086-5ee9-a197-c465d3f50adz", "{6ba9cac1-7086-5ee9-a197-c465d3f50ad7",
                                    "6ba9cac1-7086-5ee9-a197-c465d3f50ad77"};
  for (size_t i = 0; i < COUNT_OF(bad); i++) assert_false(hcs_guid_parse(bad[i], &g));
}

static void test_process_params_refused(void **state) {
  (void)state;
  spec_container c;
  hcs_test_container("{\"Image\":\"i\",\"Cmd\":[\"cmd\"],\"Env\":[\"A=1\"],\"HostConfig\":{\"Isolation\":\"process\"}}", &c);
  char *saved = c.process.env[0];
  char bad[] = "NOEQUALS";
  c.process.env[0] = bad;
  cJSON *doc = NULL;
  wctr_errmsg e;
  assert_int_equal(hcs_doc_process_params(&c, &doc, &e), WCTR_EINVAL);
  assert_null(doc);
  assert_string_equal(e.text, "Env[0] \"NOEQUALS\" must be KEY=VALUE");
  char empty_key[] = "=x";
  c.process.env[0] = empty_key;
  assert_int_equal(hcs_doc_process_params(&c, &doc, &e), WCTR_EINVAL);
  c.process.env[0] = saved;
  size_t count = c.process.cmd_count;
  c.process.cmd_count = 0;
  assert_int_equal(hcs_doc_process_params(&c, &doc, &e), WCTR_EINVAL);
  c.process.cmd_count = count;
  spec_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_process_minimal),
      cmocka_unit_test(test_process_limits),
      cmocka_unit_test(test_process_warnings_and_clamp),
      cmocka_unit_test(test_process_mounts),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_hyperv_limits),
      cmocka_unit_test(test_processor_fields_exclusive),
      cmocka_unit_test(test_owner),
      cmocka_unit_test(test_folder_names_and_guids),
      cmocka_unit_test(test_hyperv_qos_and_mounts),
      cmocka_unit_test(test_uvm_memory_rule),
      cmocka_unit_test(test_process_params_default),
      cmocka_unit_test(test_process_params_full),
      cmocka_unit_test(test_process_params_refused),
      cmocka_unit_test(test_networking),
      cmocka_unit_test(test_storage_and_modify_documents),
      cmocka_unit_test(test_process_params_tty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
