/* tests/gmsa/test_credspec.c - credential spec parsing, validation, rendering and secret handling. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "secret_watch.h"
#include "testutil.h"

/* What a CCG plugin's input may look like (the sample plugin takes domain:user:password). The tests
 * search messages, logs and freed memory for it. */
#define SECRET "contoso.com:gmsaccg:S3cr3t-P@ssw0rd!"
#define SECRET_CORE "S3cr3t-P@ssw0rd"

/* A valid spec with every field, compact, keys in the order the renderer writes them. */
static const char base_spec[] =
    "{\"CmsPlugins\":[\"ActiveDirectory\"],"
    "\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-702590844-1001920913-2680819671\",\"MachineAccountName\":"
    "\"webapp01\","
    "\"Guid\":\"56d9b66c-d746-4f87-bd26-26760cfdca2e\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":\"contoso."
    "com\","
    "\"NetBiosName\":\"CONTOSO\"},"
    "\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{\"Name\":\"webapp01\",\"Scope\":\"contoso."
    "com\"},"
    "{\"Name\":\"webapp01\",\"Scope\":\"CONTOSO\"}],"
    "\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\",\"PluginGUID\":\"{CCC2A336-D7F3-4818-A213-"
    "272B7924213E}\","
    "\"PluginInput\":\"" SECRET "\"}}}";

/* Exactly as New-CredentialSpec writes it under Windows PowerShell 5.1: ConvertTo-Json's wide
 * indentation and two spaces after each colon, CRLF line ends, Out-File -Encoding ascii (no BOM). The
 * module builds a hashtable, so the key order is the hashtable's; this is the order Microsoft's
 * documentation shows. */
static const char ps51_spec[] =
    "{\r\n"
    "    \"CmsPlugins\":  [\r\n"
    "                       \"ActiveDirectory\"\r\n"
    "                   ],\r\n"
    "    \"DomainJoinConfig\":  {\r\n"
    "                             \"Sid\":  \"S-1-5-21-702590844-1001920913-2680819671\",\r\n"
    "                             \"MachineAccountName\":  \"webapp01\",\r\n"
    "                             \"Guid\":  \"56d9b66c-d746-4f87-bd26-26760cfdca2e\",\r\n"
    "                             \"DnsTreeName\":  \"contoso.com\",\r\n"
    "                             \"DnsName\":  \"contoso.com\",\r\n"
    "                             \"NetBiosName\":  \"CONTOSO\"\r\n"
    "                         },\r\n"
    "    \"ActiveDirectoryConfig\":  {\r\n"
    "                                  \"GroupManagedServiceAccounts\":  [\r\n"
    "                                                                      {\r\n"
    "                                                                          \"Name\":  \"webapp01\",\r\n"
    "                                                                          \"Scope\":  "
    "\"contoso.com\"\r\n"
    "                                                                      },\r\n"
    "                                                                      {\r\n"
    "                                                                          \"Name\":  \"webapp01\",\r\n"
    "                                                                          \"Scope\":  \"CONTOSO\"\r\n"
    "                                                                      }\r\n"
    "                                                                  ]\r\n"
    "                              }\r\n"
    "}\r\n";

/* New-CredentialSpec -AKV (CCG with the Azure Key Vault plugin), another hashtable order, as 5.1 writes
 * it. The plugin GUID and the PluginInput shape are the module's own. */
static const char ps51_akv_spec[] =
    "{\r\n"
    "    \"ActiveDirectoryConfig\":  {\r\n"
    "                                  \"HostAccountConfig\":  {\r\n"
    "                                                            \"PortableCcgVersion\":  \"1\",\r\n"
    "                                                            \"PluginInput\":  "
    "\"ObjectId=abcd-efabc-defab-cdef;SecretUri=https://contoso-key-vault.vault.azure.net\",\r\n"
    "                                                            \"PluginGUID\":  "
    "\"{CCC2A336-D7F3-4818-A213-272B7924213E}\"\r\n"
    "                                                        },\r\n"
    "                                  \"GroupManagedServiceAccounts\":  [\r\n"
    "                                                                      {\r\n"
    "                                                                          \"Scope\":  "
    "\"contoso.com\",\r\n"
    "                                                                          \"Name\":  \"WebApp01\"\r\n"
    "                                                                      },\r\n"
    "                                                                      {\r\n"
    "                                                                          \"Scope\":  \"CONTOSO\",\r\n"
    "                                                                          \"Name\":  \"WebApp01\"\r\n"
    "                                                                      },\r\n"
    "                                                                      {\r\n"
    "                                                                          \"Scope\":  "
    "\"dev.contoso.com\",\r\n"
    "                                                                          \"Name\":  "
    "\"LogAccount01\"\r\n"
    "                                                                      }\r\n"
    "                                                                  ]\r\n"
    "                              },\r\n"
    "    \"CmsPlugins\":  [\r\n"
    "                       \"ActiveDirectory\"\r\n"
    "                   ],\r\n"
    "    \"DomainJoinConfig\":  {\r\n"
    "                             \"DnsName\":  \"contoso.com\",\r\n"
    "                             \"Guid\":  \"244818ae-87ca-4fcd-92ec-e79e5252348a\",\r\n"
    "                             \"DnsTreeName\":  \"contoso.com\",\r\n"
    "                             \"NetBiosName\":  \"CONTOSO\",\r\n"
    "                             \"Sid\":  \"S-1-5-21-2126449477-2524075714-3094792973\",\r\n"
    "                             \"MachineAccountName\":  \"WebApp01\"\r\n"
    "                         }\r\n"
    "}\r\n";

/* ---- helpers ------------------------------------------------------------------------------------ */

/* json with the value at path ("A.B.0.C": object keys and array indexes) replaced by the JSON text
 * value, added when missing, or removed when value is NULL. Caller frees with cJSON_free. */
static char *mutate(const char *json, const char *path, const char *value) {
  cJSON *root = cJSON_Parse(json);
  assert_non_null(root);
  char segs[256];
  snprintf(segs, sizeof segs, "%s", path);
  cJSON *parent = root;
  char *seg = segs;
  for (;;) {
    char *dot = strchr(seg, '.');
    if (dot != NULL) *dot = '\0';
    bool index = seg[0] >= '0' && seg[0] <= '9';
    long i = index ? strtol(seg, NULL, 10) : 0;
    if (dot == NULL) {
      if (value == NULL) {
        if (index) {
          cJSON_DeleteItemFromArray(parent, (int)i);
        } else {
          assert_non_null(cJSON_GetObjectItemCaseSensitive(parent, seg));
          cJSON_DeleteItemFromObjectCaseSensitive(parent, seg);
        }
      } else {
        cJSON *item = cJSON_Parse(value);
        assert_non_null(item);
        if (index) {
          assert_true(cJSON_ReplaceItemInArray(parent, (int)i, item));
        } else if (cJSON_GetObjectItemCaseSensitive(parent, seg) != NULL) {
          assert_true(cJSON_ReplaceItemInObjectCaseSensitive(parent, seg, item));
        } else {
          assert_true(cJSON_AddItemToObject(parent, seg, item));
        }
      }
      break;
    }
    parent = index ? cJSON_GetArrayItem(parent, (int)i) : cJSON_GetObjectItemCaseSensitive(parent, seg);
    assert_non_null(parent);
    seg = dot + 1;
  }
  char *text = cJSON_PrintUnformatted(root);
  assert_non_null(text);
  cJSON_Delete(root);
  return text;
}

/* s with the first from replaced by to; caller frees with free. */
static char *replace_once(const char *s, const char *from, const char *to) {
  const char *at = strstr(s, from);
  assert_non_null(at);
  size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
  return out;
}

static wctr_err load_text(const char *text, wctr_errmsg *e) {
  gmsa_credspec *spec = NULL;
  wctr_errmsg_clear(e);
  wctr_err err = gmsa_credspec_load(text, strlen(text), &spec, e);
  if (err == WCTR_OK) {
    assert_non_null(spec);
    assert_string_equal(e->text, "");
  } else {
    assert_null(spec);
    assert_int_equal(e->code, err);
  }
  gmsa_credspec_free(spec);
  return err;
}

/* Loads text and checks the outcome: WCTR_OK, or code with exactly message. */
static void expect(const char *text, wctr_err code, const char *message) {
  wctr_errmsg e;
  wctr_err err = load_text(text, &e);
  if (err != code || (message != NULL && strcmp(e.text, message) != 0)) {
    print_error("input:    %s\nexpected: %d %s\ngot:      %d %s\n", text, code,
                message != NULL ? message : "", err, e.text);
  }
  assert_int_equal(err, code);
  if (message != NULL) assert_string_equal(e.text, message);
  /* Whatever broke, the password in PluginInput is never part of the sentence. */
  assert_null(strstr(e.text, SECRET_CORE));
}

/* ---- realistic specs ---------------------------------------------------------------------------- */

static void test_ps51_spec_loads(void **state) {
  (void)state;
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_load(ps51_spec, strlen(ps51_spec), &spec, &e), WCTR_OK);
  assert_int_equal(spec->cms_plugin_count, 1);
  assert_string_equal(spec->cms_plugins[0], "ActiveDirectory");
  assert_string_equal(spec->domain_join.sid, "S-1-5-21-702590844-1001920913-2680819671");
  assert_string_equal(spec->domain_join.machine_account_name, "webapp01");
  assert_string_equal(spec->domain_join.guid, "56d9b66c-d746-4f87-bd26-26760cfdca2e");
  assert_string_equal(spec->domain_join.dns_tree_name, "contoso.com");
  assert_string_equal(spec->domain_join.dns_name, "contoso.com");
  assert_string_equal(spec->domain_join.netbios_name, "CONTOSO");
  assert_int_equal(spec->account_count, 2);
  assert_string_equal(spec->accounts[0].name, "webapp01");
  assert_string_equal(spec->accounts[0].scope, "contoso.com");
  assert_string_equal(spec->accounts[1].name, "webapp01");
  assert_string_equal(spec->accounts[1].scope, "CONTOSO");
  assert_null(spec->host_account);
  gmsa_credspec_free(spec);
}

static void test_ps51_akv_spec_loads(void **state) {
  (void)state;
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_load(ps51_akv_spec, strlen(ps51_akv_spec), &spec, &e), WCTR_OK);
  assert_int_equal(spec->account_count, 3);
  assert_string_equal(spec->accounts[2].name, "LogAccount01");
  assert_string_equal(spec->accounts[2].scope, "dev.contoso.com");
  assert_non_null(spec->host_account);
  assert_string_equal(spec->host_account->portable_ccg_version, "1");
  assert_string_equal(spec->host_account->plugin_guid, "{CCC2A336-D7F3-4818-A213-272B7924213E}");
  assert_string_equal(spec->host_account->plugin_input,
                      "ObjectId=abcd-efabc-defab-cdef;SecretUri=https://contoso-key-vault.vault.azure.net");
  gmsa_credspec_free(spec);
}

static void test_base_spec_loads(void **state) {
  (void)state;
  expect(base_spec, WCTR_OK, NULL);
}

/* ---- the rules, one broken field at a time --------------------------------------------------------- */

struct rule_case {
  const char *path;  /* in base_spec */
  const char *value; /* JSON text; NULL removes the key */
  wctr_err code;
  const char *message; /* exact; NULL for success */
};

#define P "credential spec: "
#define DJ "credential spec: DomainJoinConfig"
#define GL "ActiveDirectoryConfig.GroupManagedServiceAccounts"
#define HA "credential spec: ActiveDirectoryConfig.HostAccountConfig"
#define GMSA "ActiveDirectoryConfig.GroupManagedServiceAccounts"

static const struct rule_case rule_cases[] = {
    /* CmsPlugins */
    {"CmsPlugins", "[]", WCTR_EINVAL, P "CmsPlugins must contain \"ActiveDirectory\""},
    {"CmsPlugins", "[\"activedirectory\"]", WCTR_EINVAL, P "CmsPlugins must contain \"ActiveDirectory\""},
    {"CmsPlugins", "[\"Kerberos\",\"ActiveDirectory\"]", WCTR_OK, NULL},
    {"CmsPlugins", NULL, WCTR_EINVAL, P "\"CmsPlugins\" is required"},
    {"CmsPlugins", "\"ActiveDirectory\"", WCTR_EINVAL,
     P "\"CmsPlugins\" must be an array of strings, not a string"},
    {"CmsPlugins", "[1]", WCTR_EINVAL, P "\"CmsPlugins\"[0] must be a string, not a number"},
    /* DomainJoinConfig: present, an object, six strings, non-empty */
    {"DomainJoinConfig", NULL, WCTR_EINVAL, P "\"DomainJoinConfig\" is required"},
    {"DomainJoinConfig", "[]", WCTR_EINVAL, P "\"DomainJoinConfig\" must be an object, not an array"},
    {"DomainJoinConfig.Sid", NULL, WCTR_EINVAL, DJ ": \"Sid\" is required"},
    {"DomainJoinConfig.MachineAccountName", NULL, WCTR_EINVAL, DJ ": \"MachineAccountName\" is required"},
    {"DomainJoinConfig.Guid", NULL, WCTR_EINVAL, DJ ": \"Guid\" is required"},
    {"DomainJoinConfig.DnsTreeName", NULL, WCTR_EINVAL, DJ ": \"DnsTreeName\" is required"},
    {"DomainJoinConfig.DnsName", NULL, WCTR_EINVAL, DJ ": \"DnsName\" is required"},
    {"DomainJoinConfig.NetBiosName", NULL, WCTR_EINVAL, DJ ": \"NetBiosName\" is required"},
    {"DomainJoinConfig.Sid", "\"\"", WCTR_EINVAL, DJ ".Sid must not be empty"},
    {"DomainJoinConfig.MachineAccountName", "\"\"", WCTR_EINVAL, DJ ".MachineAccountName must not be empty"},
    {"DomainJoinConfig.Guid", "\"\"", WCTR_EINVAL, DJ ".Guid must not be empty"},
    {"DomainJoinConfig.DnsTreeName", "\"\"", WCTR_EINVAL, DJ ".DnsTreeName must not be empty"},
    {"DomainJoinConfig.DnsName", "\"\"", WCTR_EINVAL, DJ ".DnsName must not be empty"},
    {"DomainJoinConfig.NetBiosName", "\"\"", WCTR_EINVAL, DJ ".NetBiosName must not be empty"},
    {"DomainJoinConfig.Guid", "42", WCTR_EINVAL, DJ ": \"Guid\" must be a string, not a number"},
    {"DomainJoinConfig.DnsName", "null", WCTR_EINVAL, DJ ": \"DnsName\" must be a string, not null"},
    {"DomainJoinConfig.NetBiosName", "\"CON\\u0007TOSO\"", WCTR_EINVAL,
     DJ ".NetBiosName \"CON\\x07TOSO\" contains control characters"},
    {"DomainJoinConfig.DnsName", "\"caf\xC3\"", WCTR_EINVAL, DJ ".DnsName is not valid UTF-8"},
    /* Sid, Guid */
    {"DomainJoinConfig.Sid", "\"S-1-5-32-544\"", WCTR_EINVAL,
     DJ ".Sid \"S-1-5-32-544\" is not a domain SID (S-1-5-21-a-b-c)"},
    {"DomainJoinConfig.Guid", "\"{56d9b66c-d746-4f87-bd26-26760cfdca2e}\"", WCTR_EINVAL,
     DJ ".Guid \"{56d9b66c-d746-4f87-bd26-26760cfdca2e}\" is not a GUID (8-4-4-4-12 hex digits, no braces)"},
    {"DomainJoinConfig.Guid", "\"56D9B66C-D746-4F87-BD26-26760CFDCA2E\"", WCTR_OK, NULL},
    /* MachineAccountName: length, membership (ASCII case ignored) */
    {"DomainJoinConfig.MachineAccountName", "\"abcdefghijklmnop\"", WCTR_EINVAL,
     DJ ".MachineAccountName \"abcdefghijklmnop\" is longer than 15 characters"},
    {"DomainJoinConfig.MachineAccountName", "\"otheraccount\"", WCTR_EINVAL,
     DJ ".MachineAccountName \"otheraccount\" is not among the names in " GMSA},
    {"DomainJoinConfig.MachineAccountName", "\"WEBAPP01\"", WCTR_OK, NULL},
    /* ActiveDirectoryConfig and the gMSA list */
    {"ActiveDirectoryConfig", NULL, WCTR_EINVAL, P "\"ActiveDirectoryConfig\" is required"},
    {"ActiveDirectoryConfig", "\"x\"", WCTR_EINVAL,
     P "\"ActiveDirectoryConfig\" must be an object, not a string"},
    {GL, "[]", WCTR_EINVAL, P GMSA " must list at least one gMSA"},
    {GL, NULL, WCTR_EINVAL, P "ActiveDirectoryConfig: \"GroupManagedServiceAccounts\" is required"},
    {GL, "{}", WCTR_EINVAL,
     P "ActiveDirectoryConfig: \"GroupManagedServiceAccounts\" must be an array, not an object"},
    {GL, "[\"webapp01\"]", WCTR_EINVAL, P GMSA "[0] must be an object, not a string"},
    {GL, "[{\"Name\":\"a\",\"Scope\":\"contoso.com\"}]", WCTR_EINVAL,
     DJ ".MachineAccountName \"webapp01\" is not among the names in " GMSA},
    {GL ".1.Name", "\"\"", WCTR_EINVAL, P GMSA "[1].Name must not be empty"},
    {GL ".1.Scope", "\"\"", WCTR_EINVAL, P GMSA "[1].Scope must not be empty"},
    {GL ".0.Scope", NULL, WCTR_EINVAL, P GMSA "[0]: \"Scope\" is required"},
    {GL ".0.Name", NULL, WCTR_EINVAL, P GMSA "[0]: \"Name\" is required"},
    {GL ".0.Name", "7", WCTR_EINVAL, P GMSA "[0]: \"Name\" must be a string, not a number"},
    {GL ".1.Name", "\"abcdefghijklmnop\"", WCTR_EINVAL,
     P GMSA "[1].Name \"abcdefghijklmnop\" is longer than 15 characters"},
    {GL ".1.Scope", "\"CON\\nTOSO\"", WCTR_EINVAL,
     P GMSA "[1].Scope \"CON\\x0ATOSO\" contains control characters"},
    {GL ".0.Name", "\"other\"", WCTR_OK, NULL}, /* webapp01 is still listed, at [1] */
    /* HostAccountConfig: optional; when present, all three keys and the rules */
    {"ActiveDirectoryConfig.HostAccountConfig", NULL, WCTR_OK, NULL},
    {"ActiveDirectoryConfig.HostAccountConfig", "[]", WCTR_EINVAL,
     P "ActiveDirectoryConfig: \"HostAccountConfig\" must be an object, not an array"},
    {"ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion", "\"2\"", WCTR_EINVAL,
     HA ".PortableCcgVersion \"2\" is not supported (must be \"1\")"},
    {"ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion", "1", WCTR_EINVAL,
     HA ": \"PortableCcgVersion\" must be a string, not a number"},
    {"ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion", NULL, WCTR_EINVAL,
     HA ": \"PortableCcgVersion\" is required"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginGUID", "\"CCC2A336-D7F3-4818-A213-272B7924213E\"",
     WCTR_EINVAL,
     HA
     ".PluginGUID \"CCC2A336-D7F3-4818-A213-272B7924213E\" is not a braced GUID ({8-4-4-4-12 hex digits})"},
    /* The placeholder in Microsoft's documentation is not hex, so not a CLSID. */
    {"ActiveDirectoryConfig.HostAccountConfig.PluginGUID", "\"{GDMA0342-266A-4D1P-831J-20990E82944F}\"",
     WCTR_EINVAL,
     HA
     ".PluginGUID \"{GDMA0342-266A-4D1P-831J-20990E82944F}\" is not a braced GUID ({8-4-4-4-12 hex digits})"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginGUID", "\"{ccc2a336-d7f3-4818-a213-272b7924213e}\"",
     WCTR_OK, NULL},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginGUID", NULL, WCTR_EINVAL,
     HA ": \"PluginGUID\" is required"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", NULL, WCTR_EINVAL,
     HA ": \"PluginInput\" is required"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "42", WCTR_EINVAL,
     HA ": \"PluginInput\" must be a string, not a number"},
    /* A PluginInput of the wrong type that holds the password: the message names the type only. */
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "{\"password\":\"" SECRET "\"}", WCTR_EINVAL,
     HA ": \"PluginInput\" must be a string, not an object"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "[\"" SECRET "\"]", WCTR_EINVAL,
     HA ": \"PluginInput\" must be a string, not an array"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"" SECRET "\xFF\"", WCTR_EINVAL,
     HA ".PluginInput is not valid UTF-8"},
    /* Every CCG plugin reads its account (or where its secret is) from the input. */
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"\"", WCTR_EINVAL,
     HA ".PluginInput must not be empty (the CCG plugin reads its account from it)"},
    /* Account names as the troubleshooting guide asks for them: no trailing '$', no domain. */
    {"DomainJoinConfig.MachineAccountName", "\"webapp01$\"", WCTR_EINVAL,
     DJ ".MachineAccountName \"webapp01$\" ends with '$'; write the account name without the dollar sign: "
        "\"webapp01\""},
    {GL ".1.Name", "\"webapp01$\"", WCTR_EINVAL,
     P GMSA "[1].Name \"webapp01$\" ends with '$'; write the account name without the dollar sign: \"webapp01\""},
    {"DomainJoinConfig.MachineAccountName", "\"webapp01@contoso.com\"", WCTR_EINVAL,
     DJ ".MachineAccountName \"webapp01@contoso.com\" is a user principal name (name@domain); write the account "
        "name alone, without the domain: \"webapp01\""},
    {GL ".0.Name", "\"webapp01@contoso.com\"", WCTR_EINVAL,
     P GMSA "[0].Name \"webapp01@contoso.com\" is a user principal name (name@domain); write the account name "
            "alone, without the domain: \"webapp01\""},
    {GL ".0.Name", "\"CONTOSO\\\\webapp01\"", WCTR_EINVAL,
     P GMSA "[0].Name \"CONTOSO\\webapp01\" names a domain (DOMAIN\\name); write the account name alone, without "
            "the domain: \"webapp01\""},
    /* The UPN rule comes before the length rule: the name alone would fit. */
    {"DomainJoinConfig.MachineAccountName", "\"gmsa@corp.contoso.com\"", WCTR_EINVAL,
     DJ ".MachineAccountName \"gmsa@corp.contoso.com\" is a user principal name (name@domain); write the account "
        "name alone, without the domain: \"gmsa\""},
    /* A '$' inside a name is not the trailing one the generator strips. */
    {GL ".0.Name", "\"web$app\"", WCTR_OK, NULL},
    /* NetBiosName: at most 15 characters. */
    {"DomainJoinConfig.NetBiosName", "\"CONTOSOCONTOSO1\"", WCTR_OK, NULL},
    {"DomainJoinConfig.NetBiosName", "\"CONTOSOCONTOSO12\"", WCTR_EINVAL,
     DJ ".NetBiosName \"CONTOSOCONTOSO12\" is longer than 15 characters (a NetBIOS domain name has at most 15)"},
    /* Template placeholders, anywhere, named with their field (PluginInput's only named). */
    {"DomainJoinConfig.MachineAccountName", "\"$gmsa_name$\"", WCTR_EINVAL,
     DJ ".MachineAccountName \"$gmsa_name$\" holds the unexpanded template placeholder $gmsa_name$: fill it in"},
    {"DomainJoinConfig.Sid", "\"$DOMAIN_SID$\"", WCTR_EINVAL,
     DJ ".Sid \"$DOMAIN_SID$\" holds the unexpanded template placeholder $DOMAIN_SID$: fill it in"},
    {"DomainJoinConfig.DnsName", "\"$domain$.com\"", WCTR_EINVAL,
     DJ ".DnsName \"$domain$.com\" holds the unexpanded template placeholder $domain$: fill it in"},
    {"DomainJoinConfig.Guid", "\"$GUID$\"", WCTR_EINVAL,
     DJ ".Guid \"$GUID$\" holds the unexpanded template placeholder $GUID$: fill it in"},
    {"DomainJoinConfig.NetBiosName", "\"$NETBIOS$\"", WCTR_EINVAL,
     DJ ".NetBiosName \"$NETBIOS$\" holds the unexpanded template placeholder $NETBIOS$: fill it in"},
    {"DomainJoinConfig.DnsTreeName", "\"$forest$\"", WCTR_EINVAL,
     DJ ".DnsTreeName \"$forest$\" holds the unexpanded template placeholder $forest$: fill it in"},
    {GL ".1.Scope", "\"$Scope$\"", WCTR_EINVAL,
     P GMSA "[1].Scope \"$Scope$\" holds the unexpanded template placeholder $Scope$: fill it in"},
    {GL ".0.Name", "\"$name$\"", WCTR_EINVAL,
     P GMSA "[0].Name \"$name$\" holds the unexpanded template placeholder $name$: fill it in"},
    {"CmsPlugins", "[\"ActiveDirectory\",\"$PLUGIN$\"]", WCTR_EINVAL,
     P "CmsPlugins[1] \"$PLUGIN$\" holds the unexpanded template placeholder $PLUGIN$: fill it in"},
    {"ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion", "\"$V$\"", WCTR_EINVAL,
     HA ".PortableCcgVersion \"$V$\" holds the unexpanded template placeholder $V$: fill it in"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginGUID", "\"{$PLUGIN_GUID$}\"", WCTR_EINVAL,
     HA ".PluginGUID \"{$PLUGIN_GUID$}\" holds the unexpanded template placeholder $PLUGIN_GUID$: fill it in"},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"contoso.com:$USER$:$PASSWORD$\"", WCTR_EINVAL,
     HA ".PluginInput holds an unexpanded template placeholder ($NAME$): fill it in"},
    /* A '$' that belongs to a password or a name is not a placeholder: it touches other characters of it,
     * or what it encloses is not a name. */
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"contoso.com:ccg:Pa$$w0rd$x\"", WCTR_OK, NULL},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"contoso.com:ccg:a$b$c\"", WCTR_OK, NULL},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"contoso.com:ccg:$1$2$\"", WCTR_OK, NULL},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"contoso.com:ccg:$$\"", WCTR_OK, NULL},
    {"DomainJoinConfig.DnsName", "\"con$toso.com\"", WCTR_OK, NULL},
    /* Unknown keys, at every level; keys are case-sensitive */
    {"Foo", "1", WCTR_EINVAL, P "unknown key \"Foo\""},
    {"DomainJoinConfig.Extra", "\"x\"", WCTR_EINVAL, DJ ": unknown key \"Extra\""},
    {"DomainJoinConfig.sid", "\"x\"", WCTR_EINVAL, DJ ": unknown key \"sid\""},
    {"ActiveDirectoryConfig.HostAcountConfig", "{}", WCTR_EINVAL,
     P "ActiveDirectoryConfig: unknown key \"HostAcountConfig\""},
    {GL ".0.Sid", "\"x\"", WCTR_EINVAL, P GMSA "[0]: unknown key \"Sid\""},
    {"ActiveDirectoryConfig.HostAccountConfig.PluginPassword", "\"x\"", WCTR_EINVAL,
     HA ": unknown key \"PluginPassword\""},
};

static void test_rules(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
    const struct rule_case *c = &rule_cases[i];
    char *text = mutate(base_spec, c->path, c->value);
    expect(text, c->code, c->message);
    cJSON_free(text);
  }
}

/* The seed corpus of the fuzz harness (tests/gmsa/corpus/credspec): the real-shaped specs - as the module
 * writes them under Windows PowerShell 5.1 and PowerShell 7, with a BOM, compact with a CCG plugin - keep
 * loading, and the wrong ones are refused naming their field. */
static void test_corpus(void **state) {
  (void)state;
  static const struct {
    const char *file;
    const char *message; /* NULL: loads */
  } cases[] = {
      {"ps51_webapp01.json", NULL},
      {"ps51_akv.json", NULL},
      {"pwsh7_two_space.json", NULL},
      {"bom_three_accounts.json", NULL},
      {"compact_ccg_password.json", NULL},
      {"account_dollar.json",
       DJ ".MachineAccountName \"webapp01$\" ends with '$'; write the account name without the dollar sign: "
          "\"webapp01\""},
      {"account_upn.json",
       P GMSA "[0].Name \"webapp01@contoso.com\" is a user principal name (name@domain); write the account name "
              "alone, without the domain: \"webapp01\""},
      {"netbios_too_long.json",
       DJ ".NetBiosName \"CONTOSOCORPORATION\" is longer than 15 characters (a NetBIOS domain name has at most 15)"},
      {"template_placeholders.json",
       DJ ".Sid \"$DOMAIN_SID$\" holds the unexpanded template placeholder $DOMAIN_SID$: fill it in"},
      {"plugin_input_placeholder.json", HA ".PluginInput holds an unexpanded template placeholder ($NAME$): fill it in"},
      {"empty_plugin_input.json", HA ".PluginInput must not be empty (the CCG plugin reads its account from it)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CREDSPEC_CORPUS_DIR, cases[i].file);
    FILE *f = fopen(path, "rb");
    if (f == NULL) fail_msg("cannot open %s", path);
    static char text[GMSA_CREDSPEC_MAX_BYTES + 1];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    wctr_errmsg e;
    wctr_err err = load_text(text, &e);
    if (cases[i].message == NULL && err != WCTR_OK) fail_msg("%s refused: %s", cases[i].file, e.text);
    if (cases[i].message != NULL && (err != WCTR_EINVAL || strcmp(e.text, cases[i].message) != 0)) {
      fail_msg("%s:\nexpected %s\ngot      %d %s", cases[i].file, cases[i].message, err, e.text);
    }
    assert_null(strstr(e.text, "S3cr3t"));
  }
}

static void test_domain_sids(void **state) {
  (void)state;
  static const char *const good[] = {"S-1-5-21-0-0-0", "S-1-5-21-4294967295-4294967295-4294967295",
                                     "S-1-5-21-1-22-333"};
  static const char *const bad[] = {"S-1-5-21-1-2",        /* two sub-authorities */
                                    "S-1-5-21-1-2-3-1104", /* an account SID (with a RID), not the domain's */
                                    "S-1-5-21-4294967296-1-2",  /* over 32 bits */
                                    "S-1-5-21-12345678901-1-2", /* 11 digits */
                                    "S-1-5-21-01-2-3",          /* leading zero */
                                    "s-1-5-21-1-2-3",           /* lower-case S */
                                    "S-1-5-21--1-2-3",
                                    "S-1-5-21-+1-2-3",
                                    "S-1-5-21-1-2-",
                                    "S-1-5-21-1-2-3 ",
                                    " S-1-5-21-1-2-3",
                                    "S-1-5-21-0x10-2-3",
                                    "S-1-5-18",
                                    "S-1-5-21",
                                    "S-1-5-21-",
                                    "S-1-1-0",
                                    "S-1-5-21-1--3"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    char value[96];
    snprintf(value, sizeof value, "\"%s\"", good[i]);
    char *text = mutate(base_spec, "DomainJoinConfig.Sid", value);
    expect(text, WCTR_OK, NULL);
    cJSON_free(text);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char value[96];
    char message[256];
    snprintf(value, sizeof value, "\"%s\"", bad[i]);
    snprintf(message, sizeof message, DJ ".Sid \"%s\" is not a domain SID (S-1-5-21-a-b-c)", bad[i]);
    char *text = mutate(base_spec, "DomainJoinConfig.Sid", value);
    expect(text, WCTR_EINVAL, message);
    cJSON_free(text);
  }
}

static void test_guids(void **state) {
  (void)state;
  static const char *const bad[] = {"56d9b66c-d746-4f87-bd26-26760cfdca2",    /* 35 characters */
                                    "56d9b66c-d746-4f87-bd26-26760cfdca2ef",  /* 37 */
                                    "56d9b66cd-746-4f87-bd26-26760cfdca2e",   /* dash misplaced */
                                    "56d9b66c-d746-4f87-bd26-26760cfdca2g",   /* not hex */
                                    "56d9b66cXd746-4f87-bd26-26760cfdca2e",   /* no dash */
                                    "56d9b66cd7464f87bd2626760cfdca2e",       /* no dashes at all */
                                    "{56d9b66c-d746-4f87-bd26-26760cfdca2e"}; /* one brace */
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char value[96];
    char message[256];
    snprintf(value, sizeof value, "\"%s\"", bad[i]);
    snprintf(message, sizeof message, DJ ".Guid \"%s\" is not a GUID (8-4-4-4-12 hex digits, no braces)",
             bad[i]);
    char *text = mutate(base_spec, "DomainJoinConfig.Guid", value);
    expect(text, WCTR_EINVAL, message);
    cJSON_free(text);
  }
}

/* Fifteen characters, not bytes: a name of fifteen 'e' with acute accents (30 bytes) is fine. */
static void test_account_name_length_counts_characters(void **state) {
  (void)state;
  const char *e15 =
      "\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
      "\xC3\xA9\xC3\xA9\xC3\xA9\"";
  const char *e16 =
      "\"\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
      "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\"";
  char *a = mutate(base_spec, "DomainJoinConfig.MachineAccountName", e15);
  char *b = mutate(a, GL ".0.Name", e15);
  expect(b, WCTR_OK, NULL);
  char *c = mutate(b, GL ".1.Name", e16);
  wctr_errmsg e;
  assert_int_equal(load_text(c, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, P GMSA "[1].Name \""));
  assert_non_null(strstr(e.text, "is longer than 15 characters"));
  cJSON_free(a);
  cJSON_free(b);
  cJSON_free(c);
  /* Exactly 15 ASCII characters is the limit, not past it. */
  char *d = mutate(base_spec, "DomainJoinConfig.MachineAccountName", "\"abcdefghijklmno\"");
  char *f = mutate(d, GL ".1.Name", "\"ABCDEFGHIJKLMNO\"");
  expect(f, WCTR_OK, NULL);
  cJSON_free(d);
  cJSON_free(f);
}

/* ---- the text itself ------------------------------------------------------------------------------ */

static void test_not_json(void **state) {
  (void)state;
  expect("", WCTR_EINVAL, P "not valid JSON (error at byte 0)");
  expect("{", WCTR_EINVAL, P "not valid JSON (error at byte 0)");
  expect("{\"CmsPlugins\":[\"ActiveDirectory\"],}", WCTR_EINVAL, P "not valid JSON (error at byte 34)");
  expect("[]", WCTR_EINVAL, "credential spec must be an object, not an array");
  expect("null", WCTR_EINVAL, "credential spec must be an object, not null");

  char *trailing = replace_once(base_spec, "}}}", "}}} x");
  char message[128];
  snprintf(message, sizeof message, P "unexpected text after the JSON value (at byte %zu)",
           strlen(base_spec));
  expect(trailing, WCTR_EINVAL, message);
  free(trailing);
  /* Two documents are not one. */
  char *two = replace_once(base_spec, "}}}", "}}}{}");
  expect(two, WCTR_EINVAL, NULL);
  free(two);

  /* A truncated spec: the error gives the offset only, not the text around it (the password). */
  size_t cut = (size_t)(strstr(base_spec, SECRET_CORE) - base_spec) + 6;
  wctr_errmsg e;
  gmsa_credspec *spec = NULL;
  assert_int_equal(gmsa_credspec_load(base_spec, cut, &spec, &e), WCTR_EINVAL);
  assert_null(spec);
  assert_non_null(strstr(e.text, P "not valid JSON (error at byte "));
  assert_null(strstr(e.text, "S3cr3t"));
}

static void test_white_space_and_byte_order_marks(void **state) {
  (void)state;
  char buf[2048];
  snprintf(buf, sizeof buf, "\r\n \t%s\r\n", base_spec);
  expect(buf, WCTR_OK, NULL);
  snprintf(buf, sizeof buf, "\xEF\xBB\xBF%s", ps51_spec);
  expect(buf, WCTR_OK, NULL);
  /* UTF-16LE as Windows PowerShell 5.1's `>` writes it: BOM, then each ASCII byte followed by 0. */
  static const char utf16le[] = "\xFF\xFE{\0\"\0";
  wctr_errmsg e;
  gmsa_credspec *spec = NULL;
  assert_int_equal(gmsa_credspec_parse(utf16le, sizeof utf16le - 1, &spec, &e), WCTR_EINVAL);
  assert_string_equal(e.text, P "the text is UTF-16; save it as UTF-8 or ASCII");
  assert_null(spec);
  static const char utf16be[] = "\xFE\xFF\0{\0\"";
  assert_int_equal(gmsa_credspec_parse(utf16be, sizeof utf16be - 1, &spec, &e), WCTR_EINVAL);
  assert_string_equal(e.text, P "the text is UTF-16; save it as UTF-8 or ASCII");
}

static void test_size_limit(void **state) {
  (void)state;
  /* Padding with spaces keeps the JSON valid: exactly the limit passes, one byte more does not. */
  size_t n = GMSA_CREDSPEC_MAX_BYTES;
  char *text = malloc(n + 2);
  assert_non_null(text);
  memset(text, ' ', n + 1);
  memcpy(text, base_spec, strlen(base_spec));
  text[n + 1] = '\0';
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_load(text, n, &spec, &e), WCTR_OK);
  gmsa_credspec_free(spec);
  assert_int_equal(gmsa_credspec_load(text, n + 1, &spec, &e), WCTR_ETOOBIG);
  assert_string_equal(e.text, P "65537 bytes is larger than the limit of 65536 bytes");
  assert_null(spec);
  free(text);
}

static void test_duplicate_keys(void **state) {
  (void)state;
  /* Which of two PluginInputs would a consumer use? Neither: duplicates are refused. */
  char *text = replace_once(base_spec, "\"PluginInput\":", "\"PluginInput\":\"other\",\"PluginInput\":");
  expect(text, WCTR_EINVAL, HA ": duplicate key \"PluginInput\"");
  free(text);
  text = replace_once(base_spec, "\"Sid\":", "\"Sid\":\"S-1-5-21-1-2-3\",\"Sid\":");
  expect(text, WCTR_EINVAL, DJ ": duplicate key \"Sid\"");
  free(text);
}

static void test_nul_escapes(void **state) {
  (void)state;
  /* "conto\u0000so.com" would be cut to "conto" by a C string. */
  char *text = replace_once(base_spec, "\"DnsName\":\"contoso.com\"", "\"DnsName\":\"conto\\u0000so.com\"");
  expect(text, WCTR_EINVAL, P "strings must not contain NUL characters (\\u0000)");
  free(text);
  text = replace_once(base_spec, "\"PluginInput\":\"", "\"PluginInput\":\"\\u0000");
  expect(text, WCTR_EINVAL, P "strings must not contain NUL characters (\\u0000)");
  free(text);
  /* In a key, the NUL would make "Sid\u0000x" read as "Sid". */
  text = replace_once(base_spec, "\"Sid\":", "\"Sid\\u0000x\":\"S-1-5-21-1-2-3\",\"Sid\":");
  expect(text, WCTR_EINVAL, P "strings must not contain NUL characters (\\u0000)");
  free(text);
  /* A raw control character inside a string is not JSON; cJSON would take it. */
  text = replace_once(base_spec, "\"DnsName\":\"contoso.com\"", "\"DnsName\":\"conto\tso.com\"");
  char message[128];
  snprintf(message, sizeof message, P "unescaped control character in a string (at byte %zu)",
           (size_t)(strchr(text, '\t') - text));
  expect(text, WCTR_EINVAL, message);
  free(text);
  /* Raw tabs and line ends between tokens are white space, as in the PowerShell layout. */
  text = replace_once(base_spec, "\"DnsName\":", "\t\r\n\"DnsName\":\t");
  expect(text, WCTR_OK, NULL);
  free(text);
  /* An escaped backslash followed by "u0000" is six ordinary characters. */
  text = replace_once(base_spec, "\"DnsName\":\"contoso.com\"", "\"DnsName\":\"conto\\\\u0000so.com\"");
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_load(text, strlen(text), &spec, &e), WCTR_OK);
  assert_string_equal(spec->domain_join.dns_name, "conto\\u0000so.com");
  gmsa_credspec_free(spec);
  free(text);
}

static void test_parse_does_not_validate(void **state) {
  (void)state;
  /* Shape only: a spec with a bad SID parses, and validate then says why. */
  char *text = mutate(base_spec, "DomainJoinConfig.Sid", "\"S-1-5-32-544\"");
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_parse(text, strlen(text), &spec, &e), WCTR_OK);
  assert_string_equal(spec->domain_join.sid, "S-1-5-32-544");
  assert_int_equal(gmsa_credspec_validate(spec, &e), WCTR_EINVAL);
  assert_string_equal(e.text, DJ ".Sid \"S-1-5-32-544\" is not a domain SID (S-1-5-21-a-b-c)");
  gmsa_credspec_free(spec);
  cJSON_free(text);
  assert_int_equal(gmsa_credspec_validate(NULL, &e), WCTR_EINVAL);
}

/* A spec built by hand (not from parse) may have NULL strings: validate treats them as missing. */
static void test_validate_hand_built(void **state) {
  (void)state;
  gmsa_credspec spec;
  memset(&spec, 0, sizeof spec);
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_validate(&spec, &e), WCTR_EINVAL);
  assert_string_equal(e.text, P "CmsPlugins must contain \"ActiveDirectory\"");
  char *plugins[] = {"ActiveDirectory"};
  spec.cms_plugins = plugins;
  spec.cms_plugin_count = 1;
  assert_int_equal(gmsa_credspec_validate(&spec, &e), WCTR_EINVAL);
  assert_string_equal(e.text, DJ ".Sid is required");
  spec.domain_join =
      (gmsa_domain_join){"S-1-5-21-1-2-3", "web",         "56d9b66c-d746-4f87-bd26-26760cfdca2e",
                         "contoso.com",    "contoso.com", "CONTOSO"};
  assert_int_equal(gmsa_credspec_validate(&spec, &e), WCTR_EINVAL);
  assert_string_equal(e.text, P GMSA " must list at least one gMSA");
  gmsa_account accounts[] = {{"Web", "contoso.com"}};
  spec.accounts = accounts;
  spec.account_count = 1;
  assert_int_equal(gmsa_credspec_validate(&spec, &e), WCTR_OK);
  gmsa_host_account host = {"1", "{CCC2A336-D7F3-4818-A213-272B7924213E}", NULL};
  spec.host_account = &host;
  assert_int_equal(gmsa_credspec_validate(&spec, &e), WCTR_EINVAL);
  assert_string_equal(e.text, HA ".PluginInput is required");
  /* Rendering leaves NULL strings out. */
  char *json = NULL;
  assert_int_equal(gmsa_credspec_to_json(&spec, &json, &e), WCTR_OK);
  assert_non_null(strstr(json,
                         "\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\",\"PluginGUID\":"
                         "\"{CCC2A336-D7F3-4818-A213-272B7924213E}\"}"));
  gmsa_secret_free(json);
}

static void test_long_values_are_cut_in_messages(void **state) {
  (void)state;
  char value[512];
  char sid[400];
  memset(sid, '9', sizeof sid - 1);
  sid[sizeof sid - 1] = '\0';
  snprintf(value, sizeof value, "\"%s\"", sid);
  char *text = mutate(base_spec, "DomainJoinConfig.Sid", value);
  wctr_errmsg e;
  assert_int_equal(load_text(text, &e), WCTR_EINVAL);
  /* 64 bytes of the value, then "...", and the rule still ends the sentence. */
  char expected[256];
  snprintf(expected, sizeof expected, DJ ".Sid \"%.64s...\" is not a domain SID (S-1-5-21-a-b-c)", sid);
  assert_string_equal(e.text, expected);
  cJSON_free(text);
}

/* ---- rendering ------------------------------------------------------------------------------------ */

static gmsa_credspec *load_ok(const char *text) {
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  if (gmsa_credspec_load(text, strlen(text), &spec, &e) != WCTR_OK) fail_msg("load failed: %s", e.text);
  return spec;
}

static void test_render_compact(void **state) {
  (void)state;
  wctr_errmsg e;
  char *json = NULL;
  gmsa_credspec *spec = load_ok(base_spec);
  assert_int_equal(gmsa_credspec_to_json(spec, &json, &e), WCTR_OK);
  assert_string_equal(json, base_spec);
  gmsa_secret_free(json);
  gmsa_credspec_free(spec);

  /* The PowerShell layout becomes compact, in the documented key order; no HostAccountConfig key. */
  static const char ps51_compact[] =
      "{\"CmsPlugins\":[\"ActiveDirectory\"],"
      "\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-702590844-1001920913-2680819671\",\"MachineAccountName\":"
      "\"webapp01\","
      "\"Guid\":\"56d9b66c-d746-4f87-bd26-26760cfdca2e\",\"DnsTreeName\":\"contoso.com\",\"DnsName\":"
      "\"contoso.com\","
      "\"NetBiosName\":\"CONTOSO\"},"
      "\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":[{\"Name\":\"webapp01\",\"Scope\":"
      "\"contoso.com\"},"
      "{\"Name\":\"webapp01\",\"Scope\":\"CONTOSO\"}]}}";
  spec = load_ok(ps51_spec);
  assert_int_equal(gmsa_credspec_to_json(spec, &json, &e), WCTR_OK);
  assert_string_equal(json, ps51_compact);
  gmsa_secret_free(json);
  gmsa_credspec_free(spec);

  /* Another key order in, the same order out. */
  spec = load_ok(ps51_akv_spec);
  assert_int_equal(gmsa_credspec_to_json(spec, &json, &e), WCTR_OK);
  assert_string_equal(
      json,
      "{\"CmsPlugins\":[\"ActiveDirectory\"],"
      "\"DomainJoinConfig\":{\"Sid\":\"S-1-5-21-2126449477-2524075714-3094792973\","
      "\"MachineAccountName\":\"WebApp01\",\"Guid\":\"244818ae-87ca-4fcd-92ec-e79e5252348a\","
      "\"DnsTreeName\":\"contoso.com\",\"DnsName\":\"contoso.com\",\"NetBiosName\":\"CONTOSO\"},"
      "\"ActiveDirectoryConfig\":{\"GroupManagedServiceAccounts\":["
      "{\"Name\":\"WebApp01\",\"Scope\":\"contoso.com\"},{\"Name\":\"WebApp01\",\"Scope\":\"CONTOSO\"},"
      "{\"Name\":\"LogAccount01\",\"Scope\":\"dev.contoso.com\"}],"
      "\"HostAccountConfig\":{\"PortableCcgVersion\":\"1\","
      "\"PluginGUID\":\"{CCC2A336-D7F3-4818-A213-272B7924213E}\","
      "\"PluginInput\":\"ObjectId=abcd-efabc-defab-cdef;SecretUri=https://"
      "contoso-key-vault.vault.azure.net\"}}}");
  gmsa_secret_free(json);
  gmsa_credspec_free(spec);
}

static void test_render_redacted(void **state) {
  (void)state;
  wctr_errmsg e;
  char *json = NULL;
  gmsa_credspec *spec = load_ok(base_spec);
  assert_int_equal(gmsa_credspec_to_json_redacted(spec, &json, &e), WCTR_OK);
  char *expected = replace_once(base_spec, SECRET, GMSA_REDACTED);
  assert_string_equal(json, expected);
  assert_null(strstr(json, SECRET_CORE));
  free(expected);
  gmsa_secret_free(json);
  /* The spec itself is untouched by a redacted rendering. */
  assert_string_equal(spec->host_account->plugin_input, SECRET);
  gmsa_credspec_free(spec);

  /* Without HostAccountConfig there is nothing to redact: same as the full rendering. */
  spec = load_ok(ps51_spec);
  char *full = NULL;
  assert_int_equal(gmsa_credspec_to_json(spec, &full, &e), WCTR_OK);
  assert_int_equal(gmsa_credspec_to_json_redacted(spec, &json, &e), WCTR_OK);
  assert_string_equal(json, full);
  gmsa_secret_free(full);
  gmsa_secret_free(json);
  gmsa_credspec_free(spec);
}

/* Strings that need escaping survive render -> parse unchanged. */
static void test_render_round_trip_escapes(void **state) {
  (void)state;
  char *a = mutate(base_spec, "DomainJoinConfig.DnsTreeName", "\"a\\\"b\\\\c/d\\u00e9\\u2028\"");
  char *b =
      mutate(a, "ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"p\\\"w\\\\d\\t\\n\\u0001\\u001f\"");
  gmsa_credspec *spec = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_parse(b, strlen(b), &spec, &e), WCTR_OK);
  assert_string_equal(spec->domain_join.dns_tree_name, "a\"b\\c/d\xC3\xA9\xE2\x80\xA8");
  assert_string_equal(spec->host_account->plugin_input, "p\"w\\d\t\n\x01\x1F");
  char *json = NULL;
  assert_int_equal(gmsa_credspec_to_json(spec, &json, &e), WCTR_OK);
  gmsa_credspec *again = NULL;
  assert_int_equal(gmsa_credspec_parse(json, strlen(json), &again, &e), WCTR_OK);
  assert_string_equal(again->domain_join.dns_tree_name, spec->domain_join.dns_tree_name);
  assert_string_equal(again->host_account->plugin_input, spec->host_account->plugin_input);
  char *json2 = NULL;
  assert_int_equal(gmsa_credspec_to_json(again, &json2, &e), WCTR_OK);
  assert_string_equal(json, json2);
  gmsa_secret_free(json);
  gmsa_secret_free(json2);
  gmsa_credspec_free(spec);
  gmsa_credspec_free(again);
  cJSON_free(a);
  cJSON_free(b);
}

/* ---- secrets ---------------------------------------------------------------------------------------- */

/* The password sits in a valid PluginInput while some other field is broken, or PluginInput itself is
 * broken in a way that shows its content to the parser: the message never carries it. (The rule table
 * above checks the same for each of its cases, all made from base_spec with the password in it.) */
static void test_secret_never_in_messages(void **state) {
  (void)state;
  static const char *const breaks[][2] = {
      {"ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion", "\"0\""},
      {"ActiveDirectoryConfig.HostAccountConfig.PluginGUID", "\"{}\""},
      {"ActiveDirectoryConfig.HostAccountConfig.Extra", "\"x\""},
      {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "{\"" SECRET "\":1}"},
      {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "[true,\"" SECRET "\"]"},
      {"ActiveDirectoryConfig.HostAccountConfig.PluginInput", "\"" SECRET "\xC0\""},
      {"DomainJoinConfig.Sid", "\"S-1-5-32-544\""},
      {"DomainJoinConfig.MachineAccountName", "\"nobody\""},
      {"DomainJoinConfig.NetBiosName", "\"CON\\tTOSO\""},
      {GL, "[]"},
      {"CmsPlugins", "[]"},
      {"Extra", "null"},
  };
  for (size_t i = 0; i < sizeof breaks / sizeof breaks[0]; i++) {
    char *text = mutate(base_spec, breaks[i][0], breaks[i][1]);
    assert_non_null(strstr(text, SECRET_CORE));
    wctr_errmsg e;
    assert_int_equal(load_text(text, &e), WCTR_EINVAL);
    assert_true(strlen(e.text) > 0);
    assert_null(strstr(e.text, SECRET_CORE));
    assert_null(strstr(e.text, "S3cr3t"));
    cJSON_free(text);
  }
}

struct captured_log {
  int lines;
  int secret_lines;
};

static void capture_line(void *ctx, wctr_log_level level, const char *line) {
  (void)level;
  struct captured_log *log = ctx;
  log->lines++;
  if (strstr(line, SECRET_CORE) != NULL) log->secret_lines++;
}

/* Nothing in the module logs the password, whatever happens to the spec. The capture is checked with a
 * line of the test's own first, so a broken sink cannot make this pass. */
static void test_secret_never_logged(void **state) {
  (void)state;
  struct captured_log log = {0, 0};
  wctr_log_configure(WCTR_LOG_DEBUG, capture_line, &log);
  wctr_log(WCTR_LOG_DEBUG, "capture check %s", SECRET_CORE);
  assert_int_equal(log.lines, 1);
  assert_int_equal(log.secret_lines, 1);
  log.lines = 0;
  log.secret_lines = 0;

  gmsa_credspec *spec = load_ok(base_spec);
  char *json = NULL;
  wctr_errmsg e;
  assert_int_equal(gmsa_credspec_to_json(spec, &json, &e), WCTR_OK);
  gmsa_secret_free(json);
  assert_int_equal(gmsa_credspec_to_json_redacted(spec, &json, &e), WCTR_OK);
  gmsa_secret_free(json);
  gmsa_credspec_free(spec);
  for (size_t i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
    char *text = mutate(base_spec, rule_cases[i].path, rule_cases[i].value);
    (void)load_text(text, &e);
    cJSON_free(text);
  }
  wctr_log_configure(WCTR_LOG_INFO, NULL, NULL);
  assert_int_equal(log.secret_lines, 0);
}

/* The detector itself: a block freed with the password in it is counted. Without this, the tests below
 * could pass because the hooks saw nothing. */
static void test_secret_watch_detects_leaks(void **state) {
  (void)state;
  secret_watch_start(SECRET);
  char *copy = gmsa_strndup(SECRET, strlen(SECRET));
  assert_non_null(copy);
  cJSON_free(copy);
  char *zeroed = gmsa_strndup(SECRET, strlen(SECRET));
  gmsa_secret_free(zeroed);
  assert_int_equal(secret_watch_outstanding(), 0);
  assert_int_equal(secret_watch_stop(), 1);
}

/* Every block the module frees - the parsed cJSON tree, the spec's strings, rendered text - is free of
 * the password when it goes back to the allocator: on success, after a shape error (the parsed tree
 * holds the password), after validation errors (the spec holds it too), and after rendering. */
static void test_secret_zeroed_before_release(void **state) {
  (void)state;
  /* Inputs are made before the hooks go in: the test's own copies are not the module's business. */
  char *shape_error = mutate(base_spec, "ActiveDirectoryConfig.HostAccountConfig.ZExtra", "1");
  char *rule_error = mutate(base_spec, "DomainJoinConfig.Sid", "\"S-1-5-32-544\"");
  char *late_error = mutate(base_spec, "ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion", "\"7\"");
  wctr_errmsg e;
  gmsa_credspec *spec = NULL;

  secret_watch_start(SECRET);
  assert_int_equal(gmsa_credspec_load(base_spec, strlen(base_spec), &spec, &e), WCTR_OK);
  char *json = NULL;
  assert_int_equal(gmsa_credspec_to_json(spec, &json, &e), WCTR_OK);
  assert_non_null(strstr(json, SECRET));
  gmsa_secret_free(json);
  assert_int_equal(gmsa_credspec_to_json_redacted(spec, &json, &e), WCTR_OK);
  gmsa_secret_free(json);
  gmsa_credspec_free(spec);
  assert_int_equal(gmsa_credspec_load(shape_error, strlen(shape_error), &spec, &e), WCTR_EINVAL);
  assert_int_equal(gmsa_credspec_load(rule_error, strlen(rule_error), &spec, &e), WCTR_EINVAL);
  assert_int_equal(gmsa_credspec_load(late_error, strlen(late_error), &spec, &e), WCTR_EINVAL);
  assert_int_equal(secret_watch_outstanding(), 0);
  assert_int_equal(secret_watch_stop(), 0);

  cJSON_free(shape_error);
  cJSON_free(rule_error);
  cJSON_free(late_error);
}

static void test_free_accepts_null(void **state) {
  (void)state;
  gmsa_credspec_free(NULL);
  gmsa_secret_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ps51_spec_loads),
      cmocka_unit_test(test_ps51_akv_spec_loads),
      cmocka_unit_test(test_base_spec_loads),
      cmocka_unit_test(test_rules),
      cmocka_unit_test(test_corpus),
      cmocka_unit_test(test_domain_sids),
      cmocka_unit_test(test_guids),
      cmocka_unit_test(test_account_name_length_counts_characters),
      cmocka_unit_test(test_not_json),
      cmocka_unit_test(test_white_space_and_byte_order_marks),
      cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_duplicate_keys),
      cmocka_unit_test(test_nul_escapes),
      cmocka_unit_test(test_parse_does_not_validate),
      cmocka_unit_test(test_validate_hand_built),
      cmocka_unit_test(test_long_values_are_cut_in_messages),
      cmocka_unit_test(test_render_compact),
      cmocka_unit_test(test_render_redacted),
      cmocka_unit_test(test_render_round_trip_escapes),
      cmocka_unit_test(test_secret_never_in_messages),
      cmocka_unit_test(test_secret_never_logged),
      cmocka_unit_test(test_secret_watch_detects_leaks),
      cmocka_unit_test(test_secret_zeroed_before_release),
      cmocka_unit_test(test_free_accepts_null),
  };
  return cmocka_run_group_tests_name("gmsa_credspec", tests, NULL, NULL);
}
