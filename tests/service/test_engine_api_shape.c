/* The Engine API's portable mappings (service/engine_api_shape.c): Docker's create and update bodies into wctr's
 * params, records into Docker's inspect shape, bind mounts, list entries and their filters, events and dockerd's
 * events filters, Docker's label matching, Go durations and "until" times, Docker's human durations and its times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/json.h"
#include "service/engine_api_internal.h"
#include "testutil.h"

static cJSON *create_ok(const char *body, const char *name) {
  cJSON *in = cJSON_Parse(body);
  assert_non_null(in);
  cJSON *out = NULL;
  wctr_errmsg e;
  if (api_shape_create(in, name, &out, &e) != WCTR_OK) fail_msg("%s: %s", body, e.text);
  cJSON_Delete(in);
  return out;
}

static void create_refused(const char *body, const char *text) {
  cJSON *in = cJSON_Parse(body);
  assert_non_null(in);
  cJSON *out = NULL;
  wctr_errmsg e;
  assert_int_equal(api_shape_create(in, NULL, &out, &e), WCTR_EINVAL);
  assert_null(out);
  if (strstr(e.text, text) == NULL) fail_msg("%s: \"%s\" lacks \"%s\"", body, e.text, text);
  cJSON_Delete(in);
}

static char *print(const cJSON *j) {
  char *t = cJSON_PrintUnformatted(j);
  assert_non_null(t);
  return t;
}

static void test_create_maps_what_wctr_applies(void **state) {
  (void)state;
  cJSON *p = create_ok("{\"Image\":\"img\",\"Cmd\":\"one arg\",\"Env\":[\"A=1\"],\"WorkingDir\":\"C:\\\\w\",\"User\":\"\","
                       "\"Hostname\":\"\",\"Tty\":false,\"OpenStdin\":true,\"StdinOnce\":true,\"StopTimeout\":null,"
                       "\"Labels\":{\"a\":\"b\"},\"AttachStdout\":true,\"HostConfig\":{\"Memory\":1048576,\"NanoCpus\":0,"
                       "\"PidsLimit\":null,\"Isolation\":\"\",\"AutoRemove\":true,\"SecurityOpt\":[\"credentialspec=file://a.json\"],"
                       "\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},\"MemorySwap\":-1,"
                       "\"MemorySwappiness\":-1,\"LogConfig\":{\"Type\":\"json-file\",\"Config\":null},\"NetworkMode\":\"\","
                       "\"ConsoleSize\":[40,120],\"Binds\":[\"C:\\\\a:C:\\\\b\"],\"Mounts\":[{\"Type\":\"bind\","
                       "\"Source\":\"C:\\\\c\",\"Target\":\"C:\\\\d\",\"ReadOnly\":true,\"Consistency\":\"\"}]}}",
                       "/web");
  char *t = print(p);
  /* Name without Docker's '/', a string Cmd as one argument, "" and null left out, Binds then Mounts as binds. */
  assert_string_equal(t, "{\"Name\":\"web\",\"Image\":\"img\",\"Env\":[\"A=1\"],\"WorkingDir\":\"C:\\\\w\",\"Tty\":false,"
                         "\"OpenStdin\":true,\"StdinOnce\":true,\"Labels\":{\"a\":\"b\"},\"HostConfig\":{\"Memory\":1048576,\"NanoCpus\":0,"
                         "\"AutoRemove\":true,\"SecurityOpt\":[\"credentialspec=file://a.json\"],\"RestartPolicy\":"
                         "{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},\"Binds\":[\"C:\\\\a:C:\\\\b\",\"C:\\\\c:C:\\\\d:ro\"]},"
                         "\"Cmd\":[\"one arg\"]}");
  free(t);
  cJSON_Delete(p);
  /* Entrypoint and Cmd passed on as Docker's (the spec puts the Entrypoint's words first); the restart policy's zero
   * count is left out (it means nothing with "no"). */
  p = create_ok("{\"Image\":\"i\",\"Entrypoint\":[\"ep\",\"x\"],\"Cmd\":[\"c\"],\"HostConfig\":{\"RestartPolicy\":"
                "{\"Name\":\"no\",\"MaximumRetryCount\":0}}}", NULL);
  t = print(p);
  assert_string_equal(t, "{\"Image\":\"i\",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"no\"}},\"Entrypoint\":[\"ep\",\"x\"],"
                         "\"Cmd\":[\"c\"]}");
  free(t);
  cJSON_Delete(p);
  /* Docker's StrSlice: a string Entrypoint is one word, "" the reset [""]; [] and null are left out. */
  p = create_ok("{\"Image\":\"i\",\"Entrypoint\":\"\",\"Cmd\":[\"c\"]}", NULL);
  t = print(p);
  assert_string_equal(t, "{\"Image\":\"i\",\"Entrypoint\":[\"\"],\"Cmd\":[\"c\"]}");
  free(t);
  cJSON_Delete(p);
  p = create_ok("{\"Image\":\"i\",\"Entrypoint\":[],\"Cmd\":[\"c\"]}", NULL);
  t = print(p);
  assert_string_equal(t, "{\"Image\":\"i\",\"Cmd\":[\"c\"]}");
  free(t);
  cJSON_Delete(p);
  /* Volumes: Mounts of type volume as -v NAME:PATH (no Source: anonymous), the local driver's defaults accepted;
   * Config.Volumes a path each, skipped where a bind or mount already targets it (any case), else anonymous;
   * Healthcheck as the pipe takes it (Docker's HealthConfig). */
  p = create_ok("{\"Image\":\"i\",\"Volumes\":{\"C:\\\\Data\":{},\"C:\\\\cache\":{}},\"Healthcheck\":{\"Test\":[\"CMD\",\"x\"],"
                "\"Interval\":2000000000},\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"db\",\"Target\":\"c:\\\\data\","
                "\"ReadOnly\":false,\"VolumeOptions\":{\"NoCopy\":false,\"Labels\":{},\"DriverConfig\":{\"Name\":\"local\","
                "\"Options\":{}}}},{\"Type\":\"volume\",\"Target\":\"C:\\\\tmp\",\"ReadOnly\":true}]}}", NULL);
  t = print(p);
  assert_string_equal(t, "{\"Image\":\"i\",\"Healthcheck\":{\"Test\":[\"CMD\",\"x\"],\"Interval\":2000000000},"
                         "\"HostConfig\":{\"Binds\":[\"db:c:\\\\data\",\"C:\\\\tmp:ro\",\"C:\\\\cache\"]}}");
  free(t);
  cJSON_Delete(p);
  /* An unknown field at its zero value asks for nothing (a newer client's default). */
  p = create_ok("{\"Image\":\"i\",\"Platform\":null,\"HostConfig\":{\"CgroupnsMode\":\"\",\"NewThing\":0}}", NULL);
  cJSON_Delete(p);
}

static void test_create_refusals_name_the_field(void **state) {
  (void)state;
  create_refused("[]", "must be a JSON object");
  create_refused("{\"Image\":\"i\",\"Volumes\":{\"data\":{}}}", "Volumes[\"data\"]: ");
  create_refused("{\"Image\":\"i\",\"Volumes\":{\"C:\\\\v\":true}}", "Volumes[\"C:\\v\"] must be an object");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"C:\\\\x\",\"Target\":\"C:\\\\b\"}]}}",
                 "includes invalid characters for a local volume name");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"C:\\\\b\","
                 "\"VolumeOptions\":{\"DriverConfig\":{\"Name\":\"nfs\"}}}]}}", "HostConfig.Mounts[0].VolumeOptions.DriverConfig");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"vv\"}]}}", "a volume mount needs a Target");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"npipe\",\"Source\":\"x\",\"Target\":\"y\"}]}}",
                 "only mounts of Type \"bind\" and \"volume\"");
  create_refused("{\"Image\":\"i\",\"StopSignal\":\"SIGTERM\"}", "StopSignal");
  create_refused("{\"Image\":\"i\",\"Domainname\":\"x.com\"}", "Domainname");
  create_refused("{\"Image\":\"i\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"net\":{\"Aliases\":[\"a\"]}}}}",
                 "NetworkingConfig.EndpointsConfig.net.Aliases: not supported by wctr");
  create_refused("{\"Image\":\"i\",\"NetworkingConfig\":{\"EndpointsConfig\":{\"a\":{},\"b\":{}}}}",
                 "NetworkingConfig.EndpointsConfig: a container joins one network in wctr");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"NetworkMode\":\"a\"},\"NetworkingConfig\":{\"EndpointsConfig\":"
                 "{\"b\":{}}}}", "NetworkingConfig.EndpointsConfig: network \"b\" is not HostConfig.NetworkMode (\"a\")");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"DnsOptions\":[\"ndots:2\"]}}", "HostConfig.DnsOptions");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Links\":[\"db:db\"]}}", "HostConfig.Links");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"MemorySwappiness\":60}}", "HostConfig.MemorySwappiness");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Init\":true}}", "HostConfig.Init");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"C:\\\\a\",\"Target\":\"C:\\\\b\","
                 "\"BindOptions\":{\"Propagation\":\"rshared\"}}]}}", "HostConfig.Mounts[0].BindOptions");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"Mounts\":[{\"Type\":\"bind\",\"Target\":\"C:\\\\b\"}]}}", "needs Source and Target");
  create_refused("{\"Image\":\"i\",\"HostConfig\":{\"RestartPolicy\":{\"Name\":\"always\",\"Delay\":1}}}",
                 "HostConfig.RestartPolicy.Delay: unknown field");
  create_refused("{\"Image\":\"i\",\"Cmd\":[1]}", "Cmd must be an array of strings");
}

/* Networking as Docker's CLI sends it for run -p 8080:80 --network web --dns 10.0.0.2 --mac-address ...: mapped to the
 * create params' names (spec/network.h reads and checks them); EndpointsConfig names the network when NetworkMode is
 * "default" and carries the MAC address of API 1.44. */
static void test_create_maps_networking(void **state) {
  (void)state;
  cJSON *p = create_ok("{\"Image\":\"i\",\"ExposedPorts\":{\"80/tcp\":{}},\"MacAddress\":\"\",\"HostConfig\":{"
                       "\"NetworkMode\":\"default\",\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]},"
                       "\"PublishAllPorts\":true,\"Dns\":[\"10.0.0.2\"],\"DnsSearch\":[\"corp.example\"],\"DnsOptions\":[],"
                       "\"ExtraHosts\":null,\"Links\":null},\"NetworkingConfig\":{\"EndpointsConfig\":{\"web\":{"
                       "\"IPAMConfig\":null,\"Links\":null,\"Aliases\":null,\"MacAddress\":\"02:42:ac:11:00:02\","
                       "\"NetworkID\":\"\",\"EndpointID\":\"\"}}}}", NULL);
  char *t = print(p);
  assert_string_equal(t, "{\"Image\":\"i\",\"ExposedPorts\":{\"80/tcp\":{}},\"HostConfig\":{\"PortBindings\":{\"80/tcp\":"
                         "[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]},\"PublishAllPorts\":true,\"Dns\":[\"10.0.0.2\"],"
                         "\"DnsSearch\":[\"corp.example\"],\"NetworkMode\":\"web\"},\"MacAddress\":\"02:42:ac:11:00:02\"}");
  free(t);
  cJSON_Delete(p);
  /* NetworkMode given: kept; an EndpointsConfig entry for it changes nothing. */
  p = create_ok("{\"Image\":\"i\",\"HostConfig\":{\"NetworkMode\":\"none\"},\"NetworkingConfig\":{\"EndpointsConfig\":"
                "{\"none\":{}}}}", NULL);
  t = print(p);
  assert_string_equal(t, "{\"Image\":\"i\",\"HostConfig\":{\"NetworkMode\":\"none\"}}");
  free(t);
  cJSON_Delete(p);
}

/* POST /networks/create: Docker's NetworkCreateRequest into network.create's params. */
static void test_network_create(void **state) {
  (void)state;
  cJSON *in = cJSON_Parse("{\"Name\":\"web\",\"CheckDuplicate\":true,\"Driver\":\"\",\"Scope\":\"local\",\"Internal\":false,"
                          "\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"10.1.0.0/16\",\"IPRange\":\"\"}],"
                          "\"Options\":null},\"Options\":{},\"Labels\":{\"a\":\"b\"},\"EnableIPv6\":false}");
  cJSON *out = NULL;
  wctr_errmsg e;
  assert_int_equal(api_shape_network_create(in, &out, &e), WCTR_OK);
  char *t = print(out);
  assert_string_equal(t, "{\"Name\":\"web\",\"Subnet\":\"10.1.0.0/16\",\"Labels\":{\"a\":\"b\"}}");
  free(t);
  cJSON_Delete(out);
  cJSON_Delete(in);
  static const struct {
    const char *body, *text;
  } refused[] = {
      {"{\"Driver\":\"nat\"}", "Name is required"},
      {"{\"Name\":\"a\",\"Internal\":true}", "Internal: wctr cannot apply this field"},
      {"{\"Name\":\"a\",\"Attachable\":true}", "Attachable: wctr cannot apply this field"},
      {"{\"Name\":\"a\",\"Options\":{\"com.docker.network.windowsshim.vlanid\":\"7\"}}", "Options: wctr cannot apply"},
      {"{\"Name\":\"a\",\"Scope\":\"swarm\"}", "Scope: wctr's networks are local"},
      {"{\"Name\":\"a\",\"IPAM\":{\"Driver\":\"dhcp\"}}", "IPAM.Driver"},
      {"{\"Name\":\"a\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.1.0.0/16\"},{\"Subnet\":\"10.2.0.0/16\"}]}}",
       "IPAM.Config: 2 subnets"},
      {"{\"Name\":\"a\",\"IPAM\":{\"Config\":[{\"Subnet\":\"10.1.0.0/16\",\"IPRange\":\"10.1.1.0/24\"}]}}",
       "IPAM.Config[0].IPRange"},
      {"[]", "must be a JSON object"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    in = cJSON_Parse(refused[i].body);
    out = NULL;
    assert_int_equal(api_shape_network_create(in, &out, &e), WCTR_EINVAL);
    assert_null(out);
    if (strstr(e.text, refused[i].text) == NULL) fail_msg("%s: \"%s\" lacks \"%s\"", refused[i].body, e.text, refused[i].text);
    cJSON_Delete(in);
  }
}

/* Records as the runtime leaves them: NetworkMode, PortBindings, DNS and NetworkSettings from the docker module. */
static void test_inspect_network(void **state) {
  (void)state;
  cJSON *rec = cJSON_Parse("{\"Id\":\"0123456789abcdef\",\"Name\":\"web\",\"State\":{\"Status\":\"running\",\"Running\":true},"
                           "\"Config\":{\"Image\":\"img\",\"ExposedPorts\":{\"80/tcp\":{},\"90/udp\":{}}},"
                           "\"HostConfig\":{\"Isolation\":\"process\",\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\","
                           "\"HostPort\":\"8080\"}]},\"Dns\":[\"10.0.0.2\"]},\"Runtime\":{\"Network\":{\"Name\":\"nat\","
                           "\"NetworkID\":\"n1\",\"EndpointID\":\"e1\",\"NamespaceId\":\"s1\",\"IPAddress\":\"172.20.0.5\","
                           "\"IPPrefixLen\":16,\"Gateway\":\"172.20.0.1\",\"MacAddress\":\"00-15-5d-00-00-05\",\"Ports\":"
                           "[{\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\",\"IP\":\"0.0.0.0\"}]}}}");
  cJSON *o = api_shape_inspect(rec);
  const cJSON *hc = cJSON_GetObjectItem(o, "HostConfig");
  assert_string_equal(cJSON_GetObjectItem(hc, "NetworkMode")->valuestring, "default");
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(hc, "Dns"), 0)->valuestring, "10.0.0.2");
  const cJSON *pb = cJSON_GetObjectItem(cJSON_GetObjectItem(hc, "PortBindings"), "80/tcp");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(pb, 0), "HostPort")->valuestring, "8080");
  const cJSON *ns = cJSON_GetObjectItem(o, "NetworkSettings");
  assert_string_equal(cJSON_GetObjectItem(ns, "IPAddress")->valuestring, "172.20.0.5");
  assert_string_equal(cJSON_GetObjectItem(ns, "SandboxID")->valuestring, "s1");
  const cJSON *nat = cJSON_GetObjectItem(cJSON_GetObjectItem(ns, "Networks"), "nat");
  assert_string_equal(cJSON_GetObjectItem(nat, "EndpointID")->valuestring, "e1");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(ns, "Ports"), "90/udp")));
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "Config"), "ExposedPorts"), "90/udp"));
  cJSON_Delete(o);
  cJSON_Delete(rec);
  /* A list entry: Ports as docker ps reads them, and the mode. */
  cJSON *s = cJSON_Parse("{\"Id\":\"0123\",\"Name\":\"web\",\"State\":\"running\",\"Isolation\":\"process\","
                         "\"NetworkMode\":\"default\",\"ExposedPorts\":{\"80/tcp\":{}},\"Network\":{\"Ports\":[{"
                         "\"PrivatePort\":80,\"PublicPort\":8080,\"Type\":\"tcp\",\"IP\":\"0.0.0.0\"}]}}");
  o = api_shape_summary(s, 0);
  const cJSON *port = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "Ports"), 0);
  assert_int_equal(cJSON_GetObjectItem(port, "PublicPort")->valueint, 8080);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "HostConfig"), "NetworkMode")->valuestring, "default");
  assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "NetworkSettings"), "Networks"), "nat"));
  cJSON_Delete(o);
  cJSON_Delete(s);
}

static void test_update(void **state) {
  (void)state;
  cJSON *in = cJSON_Parse("{\"CpuShares\":0,\"Memory\":200,\"NanoCpus\":500000000,\"MemorySwap\":-1,\"Ulimits\":null,"
                          "\"RestartPolicy\":{\"Name\":\"\",\"MaximumRetryCount\":0}}");
  cJSON *p = api_id_params("x");
  wctr_errmsg e;
  assert_int_equal(api_shape_update(in, p, &e), WCTR_OK);
  char *t = print(p);
  assert_string_equal(t, "{\"Id\":\"x\",\"Memory\":200,\"NanoCpus\":500000000}"); /* zeros: unchanged */
  free(t);
  cJSON_Delete(p);
  cJSON_Delete(in);
  in = cJSON_Parse("{\"BlkioWeight\":10}");
  p = api_id_params("x");
  assert_int_equal(api_shape_update(in, p, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "BlkioWeight"));
  cJSON_Delete(p);
  cJSON_Delete(in);
}

static void test_inspect_shape(void **state) {
  (void)state;
  cJSON *rec = cJSON_Parse("{\"Id\":\"0123456789abcdef\",\"Name\":\"web\",\"Created\":\"2026-01-01T00:00:00.000Z\","
                           "\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":42,\"ExitCode\":0,\"StartedAt\":"
                           "\"2026-01-01T00:00:01.000Z\",\"FinishedAt\":\"\",\"Error\":\"\",\"ManuallyStopped\":false},"
                           "\"Config\":{\"Image\":\"img\",\"Cmd\":[\"prog\",\"a\",\"b\"],\"Env\":[\"X=1\"],\"OpenStdin\":true,"
                           "\"StopTimeout\":10,\"Labels\":{\"k\":\"v\"}},\"HostConfig\":{\"Isolation\":\"process\",\"Memory\":5,"
                           "\"Binds\":[\"C:\\\\host dir:C:\\\\app:ro\",\"\\\\\\\\.\\\\pipe\\\\a:\\\\\\\\.\\\\pipe\\\\b\"],"
                           "\"RestartPolicy\":{\"Name\":\"always\",\"MaximumRetryCount\":0},\"AutoRemove\":false},"
                           "\"EffectiveLimits\":{},\"Identity\":\"ContainerUser\",\"RestartCount\":2}");
  cJSON *o = api_shape_inspect(rec);
  assert_string_equal(cJSON_GetObjectItem(o, "Name")->valuestring, "/web");
  assert_string_equal(cJSON_GetObjectItem(o, "Path")->valuestring, "prog");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "Args")), 2);
  const cJSON *st = cJSON_GetObjectItem(o, "State");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(st, "Running")));
  assert_int_equal(cJSON_GetObjectItem(st, "Pid")->valueint, 42);
  assert_string_equal(cJSON_GetObjectItem(st, "FinishedAt")->valuestring, "0001-01-01T00:00:00Z");
  assert_int_equal(cJSON_GetObjectItem(o, "RestartCount")->valueint, 2);
  const cJSON *hc = cJSON_GetObjectItem(o, "HostConfig");
  assert_int_equal(cJSON_GetObjectItem(hc, "Memory")->valueint, 5);
  assert_int_equal(cJSON_GetObjectItem(hc, "NanoCpus")->valueint, 0); /* every resource of the table */
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(hc, "RestartPolicy"), "Name")->valuestring, "always");
  const cJSON *m = cJSON_GetObjectItem(o, "Mounts");
  assert_int_equal(cJSON_GetArraySize(m), 2);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "Source")->valuestring, "C:\\host dir");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "Destination")->valuestring, "C:\\app");
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 0), "RW")));
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 1), "Source")->valuestring, "\\\\.\\pipe\\a");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(m, 1), "Destination")->valuestring, "\\\\.\\pipe\\b");
  const cJSON *c = cJSON_GetObjectItem(o, "Config");
  assert_string_equal(cJSON_GetObjectItem(c, "Hostname")->valuestring, "0123456789ab"); /* the id's first 12 */
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(c, "StdinOnce")));
  assert_int_equal(cJSON_GetObjectItem(c, "StopTimeout")->valueint, 10);
  const cJSON *w = cJSON_GetObjectItem(o, "Wctr");
  assert_string_equal(cJSON_GetObjectItem(w, "Identity")->valuestring, "ContainerUser");
  assert_non_null(cJSON_GetObjectItem(w, "EffectiveLimits"));
  cJSON_Delete(o);
  cJSON_Delete(rec);
}

static void test_summary_status_and_filters(void **state) {
  (void)state;
  cJSON *s = cJSON_Parse("{\"Id\":\"abcdef0123\",\"Name\":\"web_1\",\"Image\":\"img:latest\",\"State\":\"exited\",\"ExitCode\":3,"
                         "\"Created\":\"2026-01-01T00:00:00.000Z\",\"FinishedAt\":\"2026-01-01T00:00:00.000Z\","
                         "\"Isolation\":\"job\",\"Labels\":{}}");
  int64_t base = 0, ns = 0;
  assert_true(api_parse_time("2026-01-01T00:00:00.000Z", &base, &ns));
  cJSON *o = api_shape_summary(s, base + 7200);
  assert_string_equal(cJSON_GetObjectItem(o, "Status")->valuestring, "Exited (3) 2 hours ago");
  assert_int_equal((int64_t)cJSON_GetObjectItem(o, "Created")->valuedouble, base);
  assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "Names"), 0)->valuestring, "/web_1");
  cJSON_Delete(o);
  struct {
    const char *filters;
    bool want;
  } cases[] = {
      {"{}", true},
      {"{\"id\":[\"abc\"]}", true},
      {"{\"id\":[\"bcd\"]}", false},
      {"{\"name\":[\"/eb_\"]}", true},
      {"{\"name\":[\"db\",\"web\"]}", true}, /* values of one key: any */
      {"{\"status\":[\"running\"]}", false},
      {"{\"status\":[\"exited\"],\"exited\":[\"3\"]}", true},
      {"{\"exited\":[\"0\"]}", false},
      {"{\"ancestor\":[\"img\"]}", true},
      {"{\"ancestor\":[\"im\"]}", false},
      {"{\"isolation\":[\"job\"],\"id\":[\"x\"]}", false}, /* keys: all */
      {"{\"health\":[\"none\"]}", true},                       /* no health checks: every container is "none" */
      {"{\"health\":[\"healthy\"]}", false},
      {"{\"is-task\":[\"false\"]}", true},                     /* never a swarm task */
      {"{\"is-task\":[\"true\"]}", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *f = cJSON_Parse(cases[i].filters);
    if (api_shape_summary_matches(s, f) != cases[i].want) fail_msg("filters %s", cases[i].filters);
    cJSON_Delete(f);
  }
  cJSON_Delete(s);
}

/* The list's text is byte for byte what printing the entries' trees gives (wctr_json_print: UTF-8 always). */
static void test_summaries_text_equals_the_trees(void **state) {
  (void)state;
  const char *inputs[] = {
      ("{\"Id\":\"abc\",\"Name\":\"web\",\"Image\":\"img\",\"Command\":\"cmd /c \\\"echo\\\" \\\\ \\t\\u0001\\u001f\",\"Created\":"
       "\"2026-01-01T00:00:00.000Z\",\"State\":\"running\",\"StartedAt\":\"2026-01-01T00:00:00.000Z\",\"Labels\":{\"a\\\"b\":"
       "\"c\\nd\",\"\\u00e9t\\u00e9\":\"\\u2603\",\"empty\":\"\"}}"),
      ("{\"Id\":\"def\",\"Name\":\"db\",\"State\":\"exited\",\"ExitCode\":-1073741510,\"FinishedAt\":\"1999-12-31T23:59:59Z\","
       "\"Created\":\"9999-12-31T23:59:59Z\",\"Labels\":{}}"),
      "{\"State\":\"removing\",\"Labels\":null,\"SizeRw\":1234,\"SizeRootFs\":0}", /* ?size=1: zero is left out */
      "{\"State\":\"created\",\"Labels\":{\"n\":1,\"s\":\"x\"},\"Created\":\"0000-01-01T00:00:00Z\"}",
      "{\"State\":7,\"Name\":[1],\"Labels\":\"not an object\"}",
      "{}",
      "{\"Name\":\"BAD\",\"Labels\":{\"BAD\":\"BAD\"},\"Command\":\"BAD\"}", /* bytes that are not UTF-8, below */
  };
  cJSON *parsed[sizeof inputs / sizeof inputs[0]];
  cJSON *trees = cJSON_CreateArray();
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
    parsed[i] = cJSON_Parse(inputs[i]);
    if (parsed[i] == NULL) fail_msg("input %zu is not JSON", i);
    if (strstr(inputs[i], "BAD") != NULL) {
      /* A record from before the UTF-8 rule may hold any bytes: a lone continuation, a cut sequence, an overlong. */
      cJSON_SetValuestring(cJSON_GetObjectItem(parsed[i], "Name"), "we\x80" "b");
      cJSON_SetValuestring(cJSON_GetObjectItem(parsed[i], "Command"), "cmd \xc3");
      cJSON *labels = cJSON_GetObjectItem(parsed[i], "Labels");
      cJSON_DeleteItemFromObject(labels, "BAD");
      cJSON_AddStringToObject(labels, "k\xc0\xaf", "v\xe2\x82");
    }
    cJSON_AddItemToArray(trees, api_shape_summary(parsed[i], 1800000000));
  }
  char *want = wctr_json_print(trees); /* what api_reply_json would send */
  assert_non_null(want);
  assert_non_null(strstr(want, "we\\ufffdb"));
  size_t len = 0;
  char *got = api_shape_summaries_text((const cJSON *const *)parsed, sizeof inputs / sizeof inputs[0], 1800000000, &len);
  assert_non_null(got);
  assert_int_equal(len, strlen(got));
  assert_true(len >= 2 && got[len - 1] == '\n');
  got[len - 1] = '\0';
  if (strcmp(got, want) != 0) fail_msg("text:\n%s\ntrees:\n%s", got, want);
  assert_non_null(strstr(got, "\"Ports\":[],\"SizeRw\":1234,\"Labels\""));
  assert_null(strstr(got, "SizeRootFs"));
  free(got);
  got = api_shape_summaries_text(NULL, 0, 1800000000, &len);
  assert_string_equal(got, "[]\n");
  free(got);
  cJSON_free(want);
  cJSON_Delete(trees);
  for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) cJSON_Delete(parsed[i]);
}

static void test_human_durations(void **state) {
  (void)state;
  struct {
    int64_t s;
    const char *want;
  } cases[] = {{0, "Less than a second"}, {1, "1 second"}, {59, "59 seconds"}, {60, "About a minute"},
               {119, "About a minute"},    {120, "2 minutes"}, {3599, "59 minutes"}, {3600, "About an hour"},
               {5399, "About an hour"},    {5400, "2 hours"},  {47 * 3600, "47 hours"}, {48 * 3600, "2 days"},
               {14 * 86400, "2 weeks"},    {60 * 86400, "2 months"}, {800 * 86400, "2 years"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[64];
    api_human_duration(cases[i].s, out, sizeof out);
    if (strcmp(out, cases[i].want) != 0) fail_msg("%lld s: \"%s\", wanted \"%s\"", (long long)cases[i].s, out, cases[i].want);
  }
}

static void test_times(void **state) {
  (void)state;
  int64_t s = 0, ns = 0;
  assert_true(api_parse_time("1970-01-01T00:00:00Z", &s, &ns));
  assert_int_equal(s, 0);
  assert_true(api_parse_time("2000-03-01T12:34:56.5Z", &s, &ns));
  assert_int_equal(s, 951914096);
  assert_int_equal(ns, 500000000);
  assert_false(api_parse_time("2000-03-01 12:34:56Z", &s, &ns));
  assert_false(api_parse_time("2000-03-01T12:34:56+01:00", &s, &ns));
  assert_false(api_parse_time("", &s, &ns));
  char out[40];
  api_log_time(951914096, 5, out);
  assert_string_equal(out, "2000-03-01T12:34:56.000000005Z");
  assert_true(api_time_to_log("951914096.25", out));
  assert_string_equal(out, "2000-03-01T12:34:56.250000000Z");
  assert_true(api_time_to_log("2000-03-01T12:34:56Z", out));
  assert_string_equal(out, "2000-03-01T12:34:56.000000000Z");
  assert_false(api_time_to_log("10m", out)); /* the CLI turns durations into times itself */
  assert_false(api_time_to_log("-5", out));
}

static void test_labels_match_as_docker(void **state) {
  (void)state;
  cJSON *labels = cJSON_Parse("{\"tier\":\"web\",\"team\":\"a=b\",\"empty\":\"\"}");
  struct {
    const char *filters;
    bool want;
  } cases[] = {
      {"{}", true},
      {"{\"label\":[\"tier\"]}", true},
      {"{\"label\":[\"tier=web\"]}", true},
      {"{\"label\":[\"tier=db\"]}", false},
      {"{\"label\":[\"tier=web\",\"team=a=b\"]}", true}, /* every value must match (Docker's MatchKVList) */
      {"{\"label\":[\"tier=web\",\"nope\"]}", false},
      {"{\"label\":[\"empty=\"]}", true},
      {"{\"label\":[\"tie\"]}", false}, /* keys are whole */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *f = cJSON_Parse(cases[i].filters);
    if (api_shape_labels_match(f, "label", labels) != cases[i].want) fail_msg("filters %s", cases[i].filters);
    cJSON_Delete(f);
  }
  cJSON *none = cJSON_CreateObject();
  cJSON *f = cJSON_Parse("{\"label\":[\"tier\"]}");
  assert_false(api_shape_labels_match(f, "label", none)); /* no labels: a label filter cannot match */
  assert_true(api_shape_labels_match(f, "label!", none));  /* another key: no values, no filter */
  cJSON_Delete(f);
  cJSON_Delete(none);
  cJSON_Delete(labels);
}

static void test_event_shape_and_filters(void **state) {
  (void)state;
  cJSON *frame = cJSON_Parse("{\"Time\":\"2026-01-02T03:04:05.250Z\",\"Type\":\"container\",\"Action\":\"die\","
                             "\"Id\":\"abcdef0123456789\",\"Name\":\"web_1\",\"ExitCode\":3}");
  cJSON *attrs = cJSON_Parse("{\"Image\":\"library/testimg:1.0\",\"Labels\":{\"com.docker.compose.project\":\"shop\","
                             "\"name\":\"a label called name\"}}");
  cJSON *ev = api_shape_event(frame, attrs);
  assert_string_equal(cJSON_GetObjectItem(ev, "status")->valuestring, "die");
  assert_string_equal(cJSON_GetObjectItem(ev, "from")->valuestring, "library/testimg:1.0");
  const cJSON *a = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "Actor"), "Attributes");
  assert_string_equal(cJSON_GetObjectItem(a, "image")->valuestring, "library/testimg:1.0");
  assert_string_equal(cJSON_GetObjectItem(a, "com.docker.compose.project")->valuestring, "shop");
  assert_string_equal(cJSON_GetObjectItem(a, "name")->valuestring, "web_1"); /* the container's name wins */
  assert_string_equal(cJSON_GetObjectItem(a, "exitCode")->valuestring, "3");
  char *t = print(cJSON_GetObjectItem(ev, "timeNano"));
  assert_string_equal(t, "1767323045250000000");
  free(t);
  struct {
    const char *filters;
    bool want;
  } cases[] = {
      {"{}", true},
      {"{\"type\":[\"container\"],\"event\":[\"die\",\"start\"]}", true},
      {"{\"type\":[\"image\"]}", false},
      {"{\"event\":[\"di\"]}", false},                              /* event: exact */
      {"{\"container\":[\"web\"]}", true},                          /* a prefix of the name */
      {"{\"container\":[\"abcdef\"]}", true},                       /* or of the id */
      {"{\"container\":[\"eb_1\"]}", false},
      {"{\"image\":[\"testimg\"]}", true},                          /* without tag and Docker Hub's library/ */
      {"{\"image\":[\"library/testimg:1.0\"]}", true},
      {"{\"image\":[\"testimg:2.0\"]}", false},
      {"{\"label\":[\"com.docker.compose.project=shop\"]}", true},
      {"{\"label\":[\"com.docker.compose.project=bank\"]}", false},
      {"{\"label\":[\"image=library/testimg:1.0\"]}", true},        /* dockerd's labels are the actor's attributes */
      {"{\"scope\":[\"local\"]}", true},
      {"{\"scope\":[\"swarm\"]}", false},
      {"{\"network\":[\"br\"]}", false},                            /* neither its id nor its name */
      {"{\"network\":[\"web\"]}", true},                            /* dockerd's fuzzy match on the actor, as it does */
      {"{\"event\":[\"health_status\"]}", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    cJSON *f = cJSON_Parse(cases[i].filters);
    if (api_shape_event_matches(ev, f) != cases[i].want) fail_msg("filters %s", cases[i].filters);
    cJSON_Delete(f);
  }
  cJSON_Delete(ev);
  /* Without attributes (a container gone before it could be asked): name only, no image. */
  ev = api_shape_event(frame, NULL);
  a = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "Actor"), "Attributes");
  assert_int_equal(cJSON_GetArraySize((cJSON *)a), 2); /* name, exitCode */
  assert_string_equal(cJSON_GetObjectItem(ev, "from")->valuestring, "");
  cJSON *f = cJSON_Parse("{\"label\":[\"com.docker.compose.project\"]}");
  assert_false(api_shape_event_matches(ev, f));
  cJSON_Delete(f);
  cJSON_Delete(ev);
  cJSON_Delete(attrs);
  cJSON_Delete(frame);
  /* A volume's event: dockerd's actor (the name as its ID, the driver), no name attribute, and none of the
   * deprecated status, id and from (dockerd fills those for containers and images only). */
  frame = cJSON_Parse("{\"Time\":\"2026-01-02T03:04:05Z\",\"Type\":\"volume\",\"Action\":\"create\",\"Id\":\"my-db\","
                      "\"Attributes\":{\"driver\":\"local\"}}");
  ev = api_shape_event(frame, NULL);
  assert_null(cJSON_GetObjectItem(ev, "status"));
  assert_null(cJSON_GetObjectItem(ev, "id"));
  assert_null(cJSON_GetObjectItem(ev, "from"));
  assert_string_equal(cJSON_GetObjectItem(ev, "Type")->valuestring, "volume");
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "Actor"), "ID")->valuestring, "my-db");
  a = cJSON_GetObjectItem(cJSON_GetObjectItem(ev, "Actor"), "Attributes");
  assert_int_equal(cJSON_GetArraySize((cJSON *)a), 1);
  assert_string_equal(cJSON_GetObjectItem(a, "driver")->valuestring, "local");
  const char *volume_filters[][2] = {{"{\"type\":[\"volume\"]}", "1"}, {"{\"volume\":[\"my-db\"]}", "1"},
                                     {"{\"volume\":[\"other\"]}", "0"}, {"{\"type\":[\"container\"]}", "0"},
                                     {"{\"event\":[\"create\"],\"type\":[\"volume\"]}", "1"}};
  for (size_t i = 0; i < sizeof volume_filters / sizeof volume_filters[0]; i++) {
    f = cJSON_Parse(volume_filters[i][0]);
    if (api_shape_event_matches(ev, f) != (volume_filters[i][1][0] == '1')) fail_msg("filters %s", volume_filters[i][0]);
    cJSON_Delete(f);
  }
  cJSON_Delete(ev);
  cJSON_Delete(frame);
}

static void test_go_durations_and_until(void **state) {
  (void)state;
  struct {
    const char *text;
    int64_t ns;
  } ok[] = {{"0", 0}, {"90s", 90000000000LL}, {"1h30m", 5400000000000LL}, {"1.5h", 5400000000000LL},
            {"300ms", 300000000LL}, {"-2m", -120000000000LL}, {"2us", 2000}, {"2\xc2\xb5s", 2000}, {"1m0.5s", 60500000000LL},
            {"10ns", 10}, {"+1s", 1000000000LL}, {".5s", 500000000LL}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    int64_t ns = -1;
    if (!api_parse_go_duration(ok[i].text, &ns) || ns != ok[i].ns) {
      fail_msg("%s: %lld, wanted %lld", ok[i].text, (long long)ns, (long long)ok[i].ns);
    }
  }
  const char *bad[] = {"", "10", "h", "1x", "1h-5m", "1.h2", "-", "99999999999h"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int64_t ns = 0;
    if (api_parse_go_duration(bad[i], &ns)) fail_msg("%s was read as a duration", bad[i]);
  }
  int64_t now = 1800000000, t = 0;
  assert_true(api_parse_until("24h", now, &t));
  assert_int_equal(t, now - 86400);
  assert_true(api_parse_until("1700000000", now, &t));
  assert_int_equal(t, 1700000000);
  assert_true(api_parse_until("0", now, &t)); /* "0" is the Unix epoch, not a duration of nothing */
  assert_int_equal(t, 0);
  assert_true(api_parse_until("2026-01-02T03:04:05Z", now, &t));
  assert_int_equal(t, 1767323045);
  assert_true(api_parse_until("2026-01-02T03:04:05", now, &t));
  assert_int_equal(t, 1767323045);
  assert_true(api_parse_until("2026-01-02", now, &t));
  assert_int_equal(t, 1767312000);
  assert_false(api_parse_until("yesterday", now, &t));
  assert_false(api_parse_until("", now, &t));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_maps_what_wctr_applies),
      cmocka_unit_test(test_create_refusals_name_the_field),
      cmocka_unit_test(test_create_maps_networking),
      cmocka_unit_test(test_inspect_network),
      cmocka_unit_test(test_network_create),
      cmocka_unit_test(test_update),
      cmocka_unit_test(test_inspect_shape),
      cmocka_unit_test(test_summary_status_and_filters),
      cmocka_unit_test(test_summaries_text_equals_the_trees),
      cmocka_unit_test(test_labels_match_as_docker),
      cmocka_unit_test(test_event_shape_and_filters),
      cmocka_unit_test(test_go_durations_and_until),
      cmocka_unit_test(test_human_durations),
      cmocka_unit_test(test_times),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
