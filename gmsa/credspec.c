/* gmsa/credspec.c - credential spec parsing, validation and rendering (portable; see credspec.h). */
#include "gmsa/credspec.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/json.h"
#include "gmsa/gmsa_util.h"

/* The keys Microsoft's CredentialSpec module writes, per object; nothing else is accepted. */
static const char *const top_keys[] = {"CmsPlugins", "DomainJoinConfig", "ActiveDirectoryConfig", NULL};
static const char *const domain_join_keys[] = {"Sid",     "MachineAccountName", "Guid", "DnsTreeName",
                                               "DnsName", "NetBiosName",        NULL};
static const char *const ad_keys[] = {"GroupManagedServiceAccounts", "HostAccountConfig", NULL};
static const char *const account_keys[] = {"Name", "Scope", NULL};
static const char *const host_keys[] = {"PortableCcgVersion", "PluginGUID", "PluginInput", NULL};

#define WHERE_TOP "credential spec"
#define WHERE_DJ "credential spec: DomainJoinConfig"
#define WHERE_AD "credential spec: ActiveDirectoryConfig"
#define WHERE_HOST "credential spec: ActiveDirectoryConfig.HostAccountConfig"
#define GMSA_LIST "ActiveDirectoryConfig.GroupManagedServiceAccounts"

static wctr_err out_of_memory(wctr_errmsg *e) {
  return wctr_fail(e, WCTR_ENOMEM, "credential spec: out of memory");
}

/* ---- parsing ---------------------------------------------------------------------------------- */

/* The parsed tree holds a copy of PluginInput, and cJSON_Delete would hand it back to the allocator as
 * it is. */
static void destroy_tree(cJSON *root) { gmsa_json_secure_delete(root); }

static bool only_space(const char *p, const char *end) {
  for (; p < end; p++) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') return false;
  }
  return true;
}

/* Walks the strings (keys too) of text that cJSON has accepted, for two things cJSON lets through:
 * a \u0000 escape, which it decodes into a NUL byte so the C string silently ends there ("Sid\u0000x"
 * would read as the key "Sid", "abc\u0000def" as "abc"); and a raw control character inside a string,
 * which JSON (RFC 8259) requires to be escaped. Refusing the second keeps a rendering never longer than
 * its input. In valid JSON a '"' outside a string always opens one, and a backslash only occurs inside
 * one. Offsets are counted from origin, the start of the caller's text. */
static wctr_err check_strings(const char *text, size_t len, const char *origin, wctr_errmsg *e) {
  bool in_string = false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)text[i];
    if (!in_string) {
      in_string = c == '"';
      continue;
    }
    if (c == '"') {
      in_string = false;
    } else if (c < 0x20) {
      return wctr_fail(e, WCTR_EINVAL,
                       "credential spec: unescaped control character in a string (at byte %zu)",
                       (size_t)(text + i - origin));
    } else if (c == '\\' && i + 1 < len) {
      if (text[i + 1] == 'u' && i + 5 < len && memcmp(text + i + 2, "0000", 4) == 0) {
        return wctr_fail(e, WCTR_EINVAL,
                         "credential spec: strings must not contain NUL characters (\\u0000)");
      }
      i++; /* skip the escaped character: \" does not end the string, and \\u0000 is not a NUL */
    }
  }
  return WCTR_OK;
}

/* obj[key] as a required string, copied. where is the object's place for the json.h getters, path the
 * field's own path for this module's messages. */
static wctr_err take_string(const cJSON *obj, const char *key, const char *where, const char *path,
                            char **out, wctr_errmsg *e) {
  const char *s = NULL;
  wctr_err err = wctr_json_get_string(obj, key, where, true, &s, e);
  if (err != WCTR_OK) return err;
  size_t n = strlen(s);
  /* The spec goes to HCS as JSON text, which must be UTF-8; refusing here names the field. */
  if (!gmsa_utf8_valid(s, n))
    return wctr_fail(e, WCTR_EINVAL, "credential spec: %s is not valid UTF-8", path);
  *out = gmsa_strndup(s, n);
  if (*out == NULL) return out_of_memory(e);
  return WCTR_OK;
}

static wctr_err parse_cms_plugins(const cJSON *root, gmsa_credspec *spec, wctr_errmsg *e) {
  const cJSON *list = NULL;
  wctr_err err = wctr_json_get_string_array(root, "CmsPlugins", WHERE_TOP, true, &list, e);
  if (err != WCTR_OK) return err;
  size_t count = (size_t)cJSON_GetArraySize(list);
  if (count == 0) return WCTR_OK;
  spec->cms_plugins = cJSON_malloc(count * sizeof *spec->cms_plugins);
  if (spec->cms_plugins == NULL) return out_of_memory(e);
  memset(spec->cms_plugins, 0, count * sizeof *spec->cms_plugins);
  spec->cms_plugin_count = count;
  size_t i = 0;
  for (const cJSON *el = list->child; el != NULL; el = el->next, i++) {
    size_t n = strlen(el->valuestring);
    if (!gmsa_utf8_valid(el->valuestring, n)) {
      return wctr_fail(e, WCTR_EINVAL, "credential spec: CmsPlugins[%zu] is not valid UTF-8", i);
    }
    spec->cms_plugins[i] = gmsa_strndup(el->valuestring, n);
    if (spec->cms_plugins[i] == NULL) return out_of_memory(e);
  }
  return WCTR_OK;
}

static wctr_err parse_domain_join(const cJSON *root, gmsa_domain_join *dj, wctr_errmsg *e) {
  const cJSON *obj = NULL;
  wctr_err err = wctr_json_get_object(root, "DomainJoinConfig", WHERE_TOP, true, &obj, e);
  if (err == WCTR_OK) err = wctr_json_check_keys(obj, WHERE_DJ, domain_join_keys, e);
  if (err == WCTR_OK) err = take_string(obj, "Sid", WHERE_DJ, "DomainJoinConfig.Sid", &dj->sid, e);
  if (err == WCTR_OK) {
    err = take_string(obj, "MachineAccountName", WHERE_DJ, "DomainJoinConfig.MachineAccountName",
                      &dj->machine_account_name, e);
  }
  if (err == WCTR_OK) err = take_string(obj, "Guid", WHERE_DJ, "DomainJoinConfig.Guid", &dj->guid, e);
  if (err == WCTR_OK) {
    err = take_string(obj, "DnsTreeName", WHERE_DJ, "DomainJoinConfig.DnsTreeName", &dj->dns_tree_name, e);
  }
  if (err == WCTR_OK)
    err = take_string(obj, "DnsName", WHERE_DJ, "DomainJoinConfig.DnsName", &dj->dns_name, e);
  if (err == WCTR_OK) {
    err = take_string(obj, "NetBiosName", WHERE_DJ, "DomainJoinConfig.NetBiosName", &dj->netbios_name, e);
  }
  return err;
}

static wctr_err parse_accounts(const cJSON *ad, gmsa_credspec *spec, wctr_errmsg *e) {
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(ad, "GroupManagedServiceAccounts");
  /* Same wording as the json.h getters, which have no "array of objects" variant. */
  if (list == NULL)
    return wctr_fail(e, WCTR_EINVAL, WHERE_AD ": \"GroupManagedServiceAccounts\" is required");
  if (!cJSON_IsArray(list)) {
    return wctr_fail(e, WCTR_EINVAL, WHERE_AD ": \"GroupManagedServiceAccounts\" must be an array, not %s",
                     wctr_json_type_name(list));
  }
  size_t count = (size_t)cJSON_GetArraySize(list);
  if (count == 0) return WCTR_OK;
  spec->accounts = cJSON_malloc(count * sizeof *spec->accounts);
  if (spec->accounts == NULL) return out_of_memory(e);
  memset(spec->accounts, 0, count * sizeof *spec->accounts);
  spec->account_count = count;
  size_t i = 0;
  for (const cJSON *el = list->child; el != NULL; el = el->next, i++) {
    char where[96];
    char name_path[96];
    char scope_path[96];
    snprintf(where, sizeof where, "credential spec: " GMSA_LIST "[%zu]", i);
    snprintf(name_path, sizeof name_path, GMSA_LIST "[%zu].Name", i);
    snprintf(scope_path, sizeof scope_path, GMSA_LIST "[%zu].Scope", i);
    wctr_err err = wctr_json_check_keys(el, where, account_keys, e);
    if (err == WCTR_OK) err = take_string(el, "Name", where, name_path, &spec->accounts[i].name, e);
    if (err == WCTR_OK) err = take_string(el, "Scope", where, scope_path, &spec->accounts[i].scope, e);
    if (err != WCTR_OK) return err;
  }
  return WCTR_OK;
}

static wctr_err parse_host_account(const cJSON *ad, gmsa_credspec *spec, wctr_errmsg *e) {
  const cJSON *obj = NULL;
  wctr_err err = wctr_json_get_object(ad, "HostAccountConfig", WHERE_AD, false, &obj, e);
  if (err != WCTR_OK || obj == NULL) return err;
  spec->host_account = cJSON_malloc(sizeof *spec->host_account);
  if (spec->host_account == NULL) return out_of_memory(e);
  memset(spec->host_account, 0, sizeof *spec->host_account);
  gmsa_host_account *host = spec->host_account;
  err = wctr_json_check_keys(obj, WHERE_HOST, host_keys, e);
  if (err == WCTR_OK) {
    err = take_string(obj, "PortableCcgVersion", WHERE_HOST,
                      "ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion",
                      &host->portable_ccg_version, e);
  }
  if (err == WCTR_OK) {
    err = take_string(obj, "PluginGUID", WHERE_HOST, "ActiveDirectoryConfig.HostAccountConfig.PluginGUID",
                      &host->plugin_guid, e);
  }
  /* The getter's messages name the key and the JSON type, never the value, so a PluginInput of the
   * wrong type does not leak what it holds. */
  if (err == WCTR_OK) {
    err = take_string(obj, "PluginInput", WHERE_HOST, "ActiveDirectoryConfig.HostAccountConfig.PluginInput",
                      &host->plugin_input, e);
  }
  return err;
}

wctr_err gmsa_credspec_parse(const char *text, size_t len, gmsa_credspec **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  cJSON *root = NULL;
  gmsa_credspec *spec = NULL;
  const cJSON *ad = NULL;
  const char *end = NULL;
  const unsigned char *bytes = (const unsigned char *)text;
  const char *origin = text;
  *out = NULL;
  if (text == NULL) len = 0;

  if (len > GMSA_CREDSPEC_MAX_BYTES) {
    err = wctr_fail(e, WCTR_ETOOBIG, "credential spec: %zu bytes is larger than the limit of %u bytes", len,
                    GMSA_CREDSPEC_MAX_BYTES);
    goto done;
  }
  /* Windows PowerShell 5.1's `>` and Out-File default to UTF-16LE; say so rather than "not JSON". */
  if (len >= 2 && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF))) {
    err = wctr_fail(e, WCTR_EINVAL, "credential spec: the text is UTF-16; save it as UTF-8 or ASCII");
    goto done;
  }
  /* Notepad and Set-Content -Encoding UTF8 write a byte-order mark; it is not part of the JSON. */
  if (len >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) {
    text += 3;
    len -= 3;
  }
  root = len > 0 ? cJSON_ParseWithLengthOpts(text, len, &end, false) : NULL;
  if (root == NULL) {
    /* Only the offset: the text around a syntax error may be part of PluginInput. */
    size_t at = (len > 0 && end != NULL && end >= text) ? (size_t)(end - origin) : 0;
    err = wctr_fail(e, WCTR_EINVAL, "credential spec: not valid JSON (error at byte %zu)", at);
    goto done;
  }
  if (end == NULL || !only_space(end, text + len)) {
    err = wctr_fail(e, WCTR_EINVAL, "credential spec: unexpected text after the JSON value (at byte %zu)",
                    end != NULL ? (size_t)(end - origin) : len);
    goto done;
  }
  err = check_strings(text, len, origin, e);
  if (err != WCTR_OK) goto done;

  spec = cJSON_malloc(sizeof *spec);
  if (spec == NULL) {
    err = out_of_memory(e);
    goto done;
  }
  memset(spec, 0, sizeof *spec);

  err = wctr_json_check_keys(root, WHERE_TOP, top_keys, e);
  if (err == WCTR_OK) err = parse_cms_plugins(root, spec, e);
  if (err == WCTR_OK) err = parse_domain_join(root, &spec->domain_join, e);
  if (err == WCTR_OK) err = wctr_json_get_object(root, "ActiveDirectoryConfig", WHERE_TOP, true, &ad, e);
  if (err == WCTR_OK) err = wctr_json_check_keys(ad, WHERE_AD, ad_keys, e);
  if (err == WCTR_OK) err = parse_accounts(ad, spec, e);
  if (err == WCTR_OK) err = parse_host_account(ad, spec, e);

done:
  destroy_tree(root);
  if (err != WCTR_OK) {
    gmsa_credspec_free(spec);
    spec = NULL;
  }
  *out = spec;
  return err;
}

/* ---- validation ------------------------------------------------------------------------------- */

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* S-1-5-21-a-b-c: revision 1, NT authority (5), SECURITY_NT_NON_UNIQUE (21) and exactly three 32-bit
 * sub-authorities, which is the shape of every domain SID (the RID of an account would be a fourth).
 * Only the canonical decimal spelling that ConvertSidToStringSid writes is accepted. */
static bool is_domain_sid(const char *s) {
  static const char prefix[] = "S-1-5-21-";
  if (strncmp(s, prefix, sizeof prefix - 1) != 0) return false;
  const char *p = s + sizeof prefix - 1;
  for (int part = 0; part < 3; part++) {
    if (part > 0) {
      if (*p != '-') return false;
      p++;
    }
    if (!is_digit(*p)) return false;
    if (*p == '0' && is_digit(p[1])) return false;
    uint64_t value = 0;
    int digits = 0;
    for (; is_digit(*p); p++) {
      digits++;
      if (digits > 10) return false;
      value = value * 10u + (uint64_t)(*p - '0');
    }
    if (value > UINT32_MAX) return false;
  }
  return *p == '\0';
}

/* 8-4-4-4-12 hex digits at s, exactly 36 characters; the caller checks what follows. */
static bool is_guid_at(const char *s) {
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

static bool is_guid(const char *s) { return strlen(s) == 36 && is_guid_at(s); }

static bool is_braced_guid(const char *s) {
  return strlen(s) == 38 && s[0] == '{' && is_guid_at(s + 1) && s[37] == '}';
}

static bool is_word(char c) {
  return c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The first template placeholder in s - $NAME$, NAME a letter or '_' then letters, digits or '_', standing
 * as a token of its own (no letter, digit or '_' right before or after it) - as its offset and length;
 * false when there is none. Templates of credential specs mark what a script fills in that way; a real
 * value has none: account, domain and plugin names cannot hold '$' there, and a '$' inside a password
 * (PluginInput) is next to other characters of it. */
static bool find_placeholder(const char *s, size_t *at, size_t *len) {
  for (size_t i = 0; s[i] != '\0'; i++) {
    if (s[i] != '$' || (i > 0 && is_word(s[i - 1]))) continue;
    size_t j = i + 1;
    if (!is_word(s[j]) || is_digit(s[j])) continue;
    while (is_word(s[j])) j++;
    if (s[j] != '$' || is_word(s[j + 1])) continue;
    *at = i;
    *len = j + 1 - i;
    return true;
  }
  return false;
}

/* A value left as a template placeholder. secret: name the field only (PluginInput). */
static wctr_err check_placeholder(const char *value, const char *path, bool secret, wctr_errmsg *e) {
  char q[GMSA_QUOTE_SIZE];
  char name[72];
  size_t at = 0, len = 0;
  if (value == NULL || !find_placeholder(value, &at, &len)) return WCTR_OK;
  if (secret) {
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: %s holds an unexpanded template placeholder ($NAME$): fill it in", path);
  }
  snprintf(name, sizeof name, "%.*s", (int)(len < 64 ? len : 64), value + at);
  return wctr_fail(e, WCTR_EINVAL, "credential spec: %s %s holds the unexpanded template placeholder %s: fill it in",
                   path, gmsa_quote(q, sizeof q, value), name);
}

/* Present, non-empty, no control characters, no placeholder: what every name in a spec needs. */
static wctr_err check_text(const char *value, const char *path, wctr_errmsg *e) {
  char q[GMSA_QUOTE_SIZE];
  if (value == NULL) return wctr_fail(e, WCTR_EINVAL, "credential spec: %s is required", path);
  if (value[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "credential spec: %s must not be empty", path);
  if (gmsa_has_control(value)) {
    return wctr_fail(e, WCTR_EINVAL, "credential spec: %s %s contains control characters", path,
                     gmsa_quote(q, sizeof q, value));
  }
  return check_placeholder(value, path, false, e);
}

/* A gMSA's name as the spec must hold it: the sAMAccountName without its trailing '$' and without a domain
 * (Microsoft's gMSA troubleshooting guide; New-CredentialSpec strips the '$'). CCG looks the account up by
 * this name in each Scope, so "web01$", "web01@contoso.com" or "CONTOSO\web01" name no account. */
static wctr_err check_account_name(const char *value, const char *path, wctr_errmsg *e) {
  char q[GMSA_QUOTE_SIZE];
  char fix[GMSA_QUOTE_SIZE];
  wctr_err err = check_text(value, path, e);
  if (err != WCTR_OK) return err;
  size_t n = strlen(value);
  const char *at = strchr(value, '@');
  const char *slash = strchr(value, '\\');
  if (at != NULL) {
    char name[GMSA_QUOTE_SIZE];
    snprintf(name, sizeof name, "%.*s", (int)(at - value < 64 ? at - value : 64), value);
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: %s %s is a user principal name (name@domain); write the account name "
                     "alone, without the domain: %s",
                     path, gmsa_quote(q, sizeof q, value), gmsa_quote(fix, sizeof fix, name));
  }
  if (slash != NULL) {
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: %s %s names a domain (DOMAIN\\name); write the account name alone, "
                     "without the domain: %s",
                     path, gmsa_quote(q, sizeof q, value), gmsa_quote(fix, sizeof fix, slash + 1));
  }
  if (value[n - 1] == '$') {
    char name[GMSA_QUOTE_SIZE];
    snprintf(name, sizeof name, "%.*s", (int)(n - 1 < 64 ? n - 1 : 64), value);
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: %s %s ends with '$'; write the account name without the dollar sign: %s",
                     path, gmsa_quote(q, sizeof q, value), gmsa_quote(fix, sizeof fix, name));
  }
  if (gmsa_utf8_length(value) > GMSA_ACCOUNT_NAME_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "credential spec: %s %s is longer than %d characters", path,
                     gmsa_quote(q, sizeof q, value), GMSA_ACCOUNT_NAME_MAX);
  }
  return WCTR_OK;
}

static wctr_err validate_domain_join(const gmsa_domain_join *dj, wctr_errmsg *e) {
  char q[GMSA_QUOTE_SIZE];
  wctr_err err = check_text(dj->sid, "DomainJoinConfig.Sid", e);
  if (err == WCTR_OK) err = check_text(dj->machine_account_name, "DomainJoinConfig.MachineAccountName", e);
  if (err == WCTR_OK) err = check_text(dj->guid, "DomainJoinConfig.Guid", e);
  if (err == WCTR_OK) err = check_text(dj->dns_tree_name, "DomainJoinConfig.DnsTreeName", e);
  if (err == WCTR_OK) err = check_text(dj->dns_name, "DomainJoinConfig.DnsName", e);
  if (err == WCTR_OK) err = check_text(dj->netbios_name, "DomainJoinConfig.NetBiosName", e);
  if (err != WCTR_OK) return err;
  if (gmsa_utf8_length(dj->netbios_name) > GMSA_NETBIOS_NAME_MAX) {
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: DomainJoinConfig.NetBiosName %s is longer than %d characters (a NetBIOS "
                     "domain name has at most %d)",
                     gmsa_quote(q, sizeof q, dj->netbios_name), GMSA_NETBIOS_NAME_MAX, GMSA_NETBIOS_NAME_MAX);
  }
  if (!is_domain_sid(dj->sid)) {
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: DomainJoinConfig.Sid %s is not a domain SID (S-1-5-21-a-b-c)",
                     gmsa_quote(q, sizeof q, dj->sid));
  }
  if (!is_guid(dj->guid)) {
    return wctr_fail(
        e, WCTR_EINVAL,
        "credential spec: DomainJoinConfig.Guid %s is not a GUID (8-4-4-4-12 hex digits, no braces)",
        gmsa_quote(q, sizeof q, dj->guid));
  }
  return check_account_name(dj->machine_account_name, "DomainJoinConfig.MachineAccountName", e);
}

static wctr_err validate_accounts(const gmsa_credspec *spec, wctr_errmsg *e) {
  char q[GMSA_QUOTE_SIZE];
  if (spec->account_count == 0 || spec->accounts == NULL) {
    return wctr_fail(e, WCTR_EINVAL, "credential spec: " GMSA_LIST " must list at least one gMSA");
  }
  bool machine_listed = false;
  for (size_t i = 0; i < spec->account_count; i++) {
    char path[96];
    snprintf(path, sizeof path, GMSA_LIST "[%zu].Name", i);
    wctr_err err = check_account_name(spec->accounts[i].name, path, e);
    if (err != WCTR_OK) return err;
    snprintf(path, sizeof path, GMSA_LIST "[%zu].Scope", i);
    err = check_text(spec->accounts[i].scope, path, e);
    if (err != WCTR_OK) return err;
    if (gmsa_ascii_equal_nocase(spec->accounts[i].name, spec->domain_join.machine_account_name)) {
      machine_listed = true;
    }
  }
  /* CCG retrieves the password of the gMSAs listed; a MachineAccountName outside the list would leave
   * the container's network identity without credentials. */
  if (!machine_listed) {
    return wctr_fail(
        e, WCTR_EINVAL,
        "credential spec: DomainJoinConfig.MachineAccountName %s is not among the names in " GMSA_LIST,
        gmsa_quote(q, sizeof q, spec->domain_join.machine_account_name));
  }
  return WCTR_OK;
}

static wctr_err validate_host_account(const gmsa_host_account *host, wctr_errmsg *e) {
  char q[GMSA_QUOTE_SIZE];
  if (host->portable_ccg_version == NULL) {
    return wctr_fail(
        e, WCTR_EINVAL,
        "credential spec: ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion is required");
  }
  wctr_err err = check_placeholder(host->portable_ccg_version,
                                   "ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion", false, e);
  if (err == WCTR_OK) {
    err = check_placeholder(host->plugin_guid, "ActiveDirectoryConfig.HostAccountConfig.PluginGUID", false, e);
  }
  if (err != WCTR_OK) return err;
  if (strcmp(host->portable_ccg_version, "1") != 0) {
    return wctr_fail(
        e, WCTR_EINVAL,
        "credential spec: ActiveDirectoryConfig.HostAccountConfig.PortableCcgVersion %s is not supported "
        "(must be \"1\")",
        gmsa_quote(q, sizeof q, host->portable_ccg_version));
  }
  if (host->plugin_guid == NULL) {
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: ActiveDirectoryConfig.HostAccountConfig.PluginGUID is required");
  }
  if (!is_braced_guid(host->plugin_guid)) {
    return wctr_fail(
        e, WCTR_EINVAL,
        "credential spec: ActiveDirectoryConfig.HostAccountConfig.PluginGUID %s is not a braced GUID "
        "({8-4-4-4-12 hex digits})",
        gmsa_quote(q, sizeof q, host->plugin_guid));
  }
  /* PluginInput is only named, never shown: it may hold a password. */
  if (host->plugin_input == NULL) {
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: ActiveDirectoryConfig.HostAccountConfig.PluginInput is required");
  }
  /* Every plugin reads its account or its secret's location from the input: an empty one fails at start. */
  if (host->plugin_input[0] == '\0') {
    return wctr_fail(e, WCTR_EINVAL,
                     "credential spec: ActiveDirectoryConfig.HostAccountConfig.PluginInput must not be empty (the "
                     "CCG plugin reads its account from it)");
  }
  return check_placeholder(host->plugin_input, "ActiveDirectoryConfig.HostAccountConfig.PluginInput", true, e);
}

wctr_err gmsa_credspec_validate(const gmsa_credspec *spec, wctr_errmsg *e) {
  if (spec == NULL) return wctr_fail(e, WCTR_EINVAL, "credential spec: missing");
  bool active_directory = false;
  for (size_t i = 0; i < spec->cms_plugin_count && spec->cms_plugins != NULL; i++) {
    if (spec->cms_plugins[i] != NULL && strcmp(spec->cms_plugins[i], "ActiveDirectory") == 0) {
      active_directory = true;
    }
  }
  if (!active_directory) {
    return wctr_fail(e, WCTR_EINVAL, "credential spec: CmsPlugins must contain \"ActiveDirectory\"");
  }
  wctr_err err = WCTR_OK;
  for (size_t i = 0; err == WCTR_OK && i < spec->cms_plugin_count && spec->cms_plugins != NULL; i++) {
    char path[32];
    snprintf(path, sizeof path, "CmsPlugins[%zu]", i);
    err = check_placeholder(spec->cms_plugins[i], path, false, e);
  }
  if (err == WCTR_OK) err = validate_domain_join(&spec->domain_join, e);
  if (err == WCTR_OK) err = validate_accounts(spec, e);
  if (err == WCTR_OK && spec->host_account != NULL) err = validate_host_account(spec->host_account, e);
  return err;
}

wctr_err gmsa_credspec_load(const char *text, size_t len, gmsa_credspec **out, wctr_errmsg *e) {
  gmsa_credspec *spec = NULL;
  *out = NULL;
  wctr_err err = gmsa_credspec_parse(text, len, &spec, e);
  if (err == WCTR_OK) err = gmsa_credspec_validate(spec, e);
  if (err != WCTR_OK) {
    gmsa_credspec_free(spec);
    return err;
  }
  *out = spec;
  return WCTR_OK;
}

/* ---- rendering -------------------------------------------------------------------------------- */

/* The render tree borrows every string: values are cJSON string references and keys are constants, so
 * cJSON_Delete frees neither and the tree never holds a copy of PluginInput. */
static bool add_ref(cJSON *obj, const char *key, const char *value) {
  if (value == NULL) return true;
  cJSON *item = cJSON_CreateStringReference(value);
  if (item == NULL) return false;
  if (!cJSON_AddItemToObjectCS(obj, key, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static cJSON *add_container(cJSON *obj, const char *key, bool array) {
  cJSON *item = array ? cJSON_CreateArray() : cJSON_CreateObject();
  if (item == NULL) return NULL;
  if (!cJSON_AddItemToObjectCS(obj, key, item)) {
    cJSON_Delete(item);
    return NULL;
  }
  return item;
}

static cJSON *build_tree(const gmsa_credspec *spec, bool redacted) {
  cJSON *root = cJSON_CreateObject();
  cJSON *plugins = root != NULL ? add_container(root, "CmsPlugins", true) : NULL;
  if (plugins == NULL) goto fail;
  for (size_t i = 0; i < spec->cms_plugin_count && spec->cms_plugins != NULL; i++) {
    if (spec->cms_plugins[i] == NULL) continue;
    cJSON *item = cJSON_CreateStringReference(spec->cms_plugins[i]);
    if (item == NULL || !cJSON_AddItemToArray(plugins, item)) {
      cJSON_Delete(item);
      goto fail;
    }
  }

  const gmsa_domain_join *dj = &spec->domain_join;
  cJSON *djo = add_container(root, "DomainJoinConfig", false);
  if (djo == NULL || !add_ref(djo, "Sid", dj->sid) ||
      !add_ref(djo, "MachineAccountName", dj->machine_account_name) || !add_ref(djo, "Guid", dj->guid) ||
      !add_ref(djo, "DnsTreeName", dj->dns_tree_name) || !add_ref(djo, "DnsName", dj->dns_name) ||
      !add_ref(djo, "NetBiosName", dj->netbios_name)) {
    goto fail;
  }

  cJSON *ad = add_container(root, "ActiveDirectoryConfig", false);
  cJSON *accounts = ad != NULL ? add_container(ad, "GroupManagedServiceAccounts", true) : NULL;
  if (accounts == NULL) goto fail;
  for (size_t i = 0; i < spec->account_count && spec->accounts != NULL; i++) {
    cJSON *account = cJSON_CreateObject();
    if (account == NULL || !cJSON_AddItemToArray(accounts, account)) {
      cJSON_Delete(account);
      goto fail;
    }
    if (!add_ref(account, "Name", spec->accounts[i].name) ||
        !add_ref(account, "Scope", spec->accounts[i].scope)) {
      goto fail;
    }
  }

  if (spec->host_account != NULL) {
    const gmsa_host_account *host = spec->host_account;
    const char *input = host->plugin_input;
    if (redacted && input != NULL) input = GMSA_REDACTED;
    cJSON *ho = add_container(ad, "HostAccountConfig", false);
    if (ho == NULL || !add_ref(ho, "PortableCcgVersion", host->portable_ccg_version) ||
        !add_ref(ho, "PluginGUID", host->plugin_guid) || !add_ref(ho, "PluginInput", input)) {
      goto fail;
    }
  }
  return root;

fail:
  cJSON_Delete(root);
  return NULL;
}

/* An upper bound of the compact text's size: cJSON escapes a byte into at most 6 ("\u001f"), and each
 * member adds quotes, a colon and a comma. */
static size_t text_bound(const cJSON *item) {
  size_t total = 0;
  for (; item != NULL; item = item->next) {
    total += 1; /* comma */
    if (item->string != NULL) total += 3 + 6 * strlen(item->string);
    if (cJSON_IsString(item)) {
      total += 2 + 6 * strlen(item->valuestring);
    } else {
      total += 2 + text_bound(item->child);
    }
  }
  return total;
}

static wctr_err render(const gmsa_credspec *spec, bool redacted, char **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  char *text = NULL;
  cJSON *root = NULL;
  *out = NULL;
  if (spec == NULL) return wctr_fail(e, WCTR_EINVAL, "credential spec: missing");
  root = build_tree(spec, redacted);
  if (root == NULL) {
    err = out_of_memory(e);
    goto done;
  }
  /* Printed into a buffer sized up front: cJSON_PrintUnformatted grows its buffer with realloc or
   * malloc+free, which would leave copies of PluginInput in freed memory. 5 spare bytes, as cJSON's
   * header asks of cJSON_PrintPreallocated. */
  size_t size = text_bound(root) + 1 + 5;
  if (size > INT_MAX) {
    err = wctr_fail(e, WCTR_ETOOBIG, "credential spec: too large to render");
    goto done;
  }
  text = cJSON_malloc(size);
  if (text == NULL) {
    err = out_of_memory(e);
    goto done;
  }
  memset(text, 0, size);
  if (!cJSON_PrintPreallocated(root, text, (int)size, false)) {
    gmsa_secure_zero(text, size);
    cJSON_free(text);
    text = NULL;
    err = wctr_fail(e, WCTR_EINTERNAL, "credential spec: rendering failed");
    goto done;
  }
  *out = text;

done:
  cJSON_Delete(root);
  return err;
}

wctr_err gmsa_credspec_to_json(const gmsa_credspec *spec, char **out, wctr_errmsg *e) {
  return render(spec, false, out, e);
}

wctr_err gmsa_credspec_to_json_redacted(const gmsa_credspec *spec, char **out, wctr_errmsg *e) {
  return render(spec, true, out, e);
}

/* ---- release ---------------------------------------------------------------------------------- */

void gmsa_credspec_free(gmsa_credspec *spec) {
  if (spec == NULL) return;
  for (size_t i = 0; i < spec->cms_plugin_count && spec->cms_plugins != NULL; i++) {
    gmsa_secret_free(spec->cms_plugins[i]);
  }
  if (spec->cms_plugins != NULL) {
    gmsa_secure_zero(spec->cms_plugins, spec->cms_plugin_count * sizeof *spec->cms_plugins);
    cJSON_free(spec->cms_plugins);
  }
  gmsa_domain_join *dj = &spec->domain_join;
  gmsa_secret_free(dj->sid);
  gmsa_secret_free(dj->machine_account_name);
  gmsa_secret_free(dj->guid);
  gmsa_secret_free(dj->dns_tree_name);
  gmsa_secret_free(dj->dns_name);
  gmsa_secret_free(dj->netbios_name);
  for (size_t i = 0; i < spec->account_count && spec->accounts != NULL; i++) {
    gmsa_secret_free(spec->accounts[i].name);
    gmsa_secret_free(spec->accounts[i].scope);
  }
  if (spec->accounts != NULL) {
    gmsa_secure_zero(spec->accounts, spec->account_count * sizeof *spec->accounts);
    cJSON_free(spec->accounts);
  }
  if (spec->host_account != NULL) {
    gmsa_secret_free(spec->host_account->portable_ccg_version);
    gmsa_secret_free(spec->host_account->plugin_guid);
    gmsa_secret_free(spec->host_account->plugin_input);
    gmsa_secure_zero(spec->host_account, sizeof *spec->host_account);
    cJSON_free(spec->host_account);
  }
  gmsa_secure_zero(spec, sizeof *spec);
  cJSON_free(spec);
}
