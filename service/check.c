/* service/check.c - the decisions of `wctr check` (portable). Contract in service/check.h. */
#include "service/check.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/descriptors.h"
#include "acl/sd.h"
#include "acl/sid.h"
#include "common/error.h"
#include "gmsa/credspec.h"
#include "spec/spec.h"

#define WRITE_RIGHTS                                                                                        \
  (0x0002u /* FILE_WRITE_DATA */ | 0x0004u /* FILE_APPEND_DATA */ | 0x0010u /* FILE_WRITE_EA */ |          \
   0x0040u /* FILE_DELETE_CHILD */ | 0x0100u /* FILE_WRITE_ATTRIBUTES */ | ACL_RIGHT_DELETE |               \
   ACL_RIGHT_WRITE_DAC | ACL_RIGHT_WRITE_OWNER)

const char *svc_check_status_name(svc_check_status s) {
  switch (s) {
    case SVC_CHECK_PASS: return "PASS";
    case SVC_CHECK_WARN: return "WARN";
    case SVC_CHECK_FAIL: return "FAIL";
    case SVC_CHECK_INFO: break;
  }
  return "INFO";
}

bool svc_check_grants_write(const char *sddl, const char *sid) {
  acl_sd sd;
  wctr_errmsg e;
  char want[ACL_SID_STRING_MAX];
  if (sddl == NULL || acl_sid_canonical(sid, want, &e) != WCTR_OK) return false;
  if (acl_sddl_parse(sddl, &sd, &e) != WCTR_OK) return false;
  bool grants = false;
  for (size_t i = 0; i < sd.ace_count && !grants; i++) {
    const acl_ace *a = &sd.aces[i];
    if (a->type != ACL_ACE_ALLOW || (a->flags & ACL_ACE_INHERIT_ONLY) || strcmp(a->sid, want) != 0) continue;
    grants = (acl_map_generic_file(a->mask) & WRITE_RIGHTS) != 0;
  }
  acl_sd_free(&sd);
  return grants;
}

/* The first SID outside allowed that the DACL lets write, into who; false when there is none. */
static bool writer_outside(const char *sddl, const char *const *allowed, char who[ACL_SID_STRING_MAX]) {
  acl_sd sd;
  wctr_errmsg e;
  if (acl_sddl_parse(sddl, &sd, &e) != WCTR_OK) {
    snprintf(who, ACL_SID_STRING_MAX, "(unreadable DACL)");
    return true;
  }
  bool found = false;
  for (size_t i = 0; i < sd.ace_count && !found; i++) {
    const acl_ace *a = &sd.aces[i];
    if (a->type != ACL_ACE_ALLOW || (a->flags & ACL_ACE_INHERIT_ONLY)) continue;
    if ((acl_map_generic_file(a->mask) & WRITE_RIGHTS) == 0) continue;
    bool ok = false;
    for (size_t k = 0; allowed[k] != NULL && !ok; k++) ok = strcmp(allowed[k], a->sid) == 0;
    if (!ok) {
      snprintf(who, ACL_SID_STRING_MAX, "%s", a->sid);
      found = true;
    }
  }
  acl_sd_free(&sd);
  return found;
}

bool svc_check_plugin_input_cleartext(const char *plugin_input) {
  if (plugin_input == NULL) return false;
  const char *first = strchr(plugin_input, ':');
  if (first == NULL || first == plugin_input) return false;
  const char *second = strchr(first + 1, ':');
  return second != NULL && second > first + 1 && second[1] != '\0';
}

static void set(svc_check_result *r, const char *id, const char *title, svc_check_status s, const char *remedy,
                const char *fmt, ...) WCTR_PRINTF(6, 7);
static void set(svc_check_result *r, const char *id, const char *title, svc_check_status s, const char *remedy,
                const char *fmt, ...) {
  va_list ap;
  r->id = id;
  r->title = title;
  r->status = s;
  va_start(ap, fmt);
  vsnprintf(r->detail, sizeof r->detail, fmt, ap);
  va_end(ap);
  snprintf(r->remedy, sizeof r->remedy, "%s", s == SVC_CHECK_PASS ? "" : remedy);
}

static void check_data_root(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "data-root-dacl";
  static const char *title = "Data root DACL is SYSTEM and Administrators only, not inherited";
  static const char *remedy = "restart wctrd (it repairs the data root's DACL at start) or apply "
                              ACL_SDDL_DATA_ROOT " with icacls/Set-Acl";
  if (f->data_root_dacl.value == NULL) {
    set(r, id, title, SVC_CHECK_FAIL, remedy, "cannot read the DACL of %s: %s", f->data_root,
        f->data_root_dacl.error != NULL ? f->data_root_dacl.error : "unknown error");
    return;
  }
  wctr_errmsg why;
  if (acl_sddl_expect(ACL_SDDL_DATA_ROOT, f->data_root_dacl.value, 0, &why) == WCTR_OK) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "%s: %s", f->data_root, f->data_root_dacl.value);
  } else {
    set(r, id, title, SVC_CHECK_FAIL, remedy, "%s: read back %s, expected %s (%s)", f->data_root,
        f->data_root_dacl.value, ACL_SDDL_DATA_ROOT, why.text);
  }
}

static void check_pipe(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "pipe-dacl";
  static const char *title = "Pipe DACL gives no write access to Everyone, Users or Authenticated Users";
  static const char *remedy = "reinstall wctrd with --group naming a dedicated group instead of a broad one";
  static const struct {
    const char *sid;
    const char *name;
  } broad[] = {{ACL_SID_EVERYONE, "Everyone"}, {ACL_SID_USERS, "Users"},
               {ACL_SID_AUTHENTICATED_USERS, "Authenticated Users"}};
  if (f->pipe_dacl.value == NULL) {
    set(r, id, title, SVC_CHECK_WARN, "check the pipe with `wctr info`", "cannot read the pipe's DACL back: %s",
        f->pipe_dacl.error != NULL ? f->pipe_dacl.error : "unknown error");
    return;
  }
  for (size_t i = 0; i < sizeof broad / sizeof broad[0]; i++) {
    if (svc_check_grants_write(f->pipe_dacl.value, broad[i].sid)) {
      set(r, id, title, SVC_CHECK_FAIL, remedy, "%s may write to the pipe: %s", broad[i].name, f->pipe_dacl.value);
      return;
    }
  }
  set(r, id, title, SVC_CHECK_PASS, remedy, "%s", f->pipe_dacl.value);
}

static void check_bitlocker(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "bitlocker";
  static const char *title = "BitLocker protects the data root's volume";
  static const char *remedy = "turn on BitLocker for the volume (manage-bde -on) and let it finish encrypting";
  const char *vol = f->bitlocker.volume[0] != '\0' ? f->bitlocker.volume : "?";
  if (f->bitlocker.state == ACL_BITLOCKER_ENCRYPTED) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "volume %s: %s", vol, f->bitlocker.detail);
  } else {
    set(r, id, title, f->allow_unencrypted_secrets ? SVC_CHECK_FAIL : SVC_CHECK_WARN, remedy,
        "volume %s is %s (%s)%s", vol, acl_bitlocker_state_name(f->bitlocker.state), f->bitlocker.detail,
        f->allow_unencrypted_secrets ? "; secrets are stored on it anyway (allow-unencrypted-secrets)"
                                     : "; secrets are refused on it");
  }
}

static void check_override(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "allow-unencrypted-secrets";
  static const char *title = "allow-unencrypted-secrets is off";
  static const char *remedy = "remove \"allow-unencrypted-secrets\" from <data-root>\\config\\wctrd.json and restart wctrd";
  if (!f->allow_unencrypted_secrets) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "off");
  } else if (f->bitlocker.state == ACL_BITLOCKER_ENCRYPTED) {
    set(r, id, title, SVC_CHECK_WARN, remedy, "on, but the volume is encrypted today; a decrypted volume would go unnoticed");
  } else {
    set(r, id, title, SVC_CHECK_FAIL, remedy, "on: secrets are written to a volume that is %s",
        acl_bitlocker_state_name(f->bitlocker.state));
  }
}

static void check_binary(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "service-binary";
  static const char *title = "wctrd.exe and its folder are writable by administrators only";
  static const char *remedy = "install wctrd.exe under %ProgramFiles% or remove the write ACEs of non-administrators (icacls)";
  /* TrustedInstaller (NT SERVICE\TrustedInstaller) owns Windows' own folders; CREATOR OWNER ACEs are
   * inherit-only templates in practice. */
  static const char *const allowed[] = {ACL_SID_SYSTEM, ACL_SID_ADMINISTRATORS, ACL_SID_CREATOR_OWNER,
                                        "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464", NULL};
  const svc_check_text *parts[2] = {&f->binary_dacl, &f->binary_dir_dacl};
  const char *names[2] = {"wctrd.exe", "its folder"};
  for (int i = 0; i < 2; i++) {
    char who[ACL_SID_STRING_MAX];
    if (parts[i]->value == NULL) {
      set(r, id, title, SVC_CHECK_WARN, remedy, "cannot read the DACL of %s (%s): %s", names[i],
          f->binary_path != NULL ? f->binary_path : "?", parts[i]->error != NULL ? parts[i]->error : "unknown error");
      return;
    }
    if (writer_outside(parts[i]->value, allowed, who)) {
      set(r, id, title, SVC_CHECK_FAIL, remedy, "%s (%s) may be written by %s: %s", names[i],
          f->binary_path != NULL ? f->binary_path : "?", who, parts[i]->value);
      return;
    }
  }
  set(r, id, title, SVC_CHECK_PASS, remedy, "%s", f->binary_path != NULL ? f->binary_path : "?");
}

/* Appends name to a comma-separated list in buf. */
static void add_name(char *buf, size_t size, const char *name) {
  size_t used = strlen(buf);
  if (used + 1 < size) snprintf(buf + used, size - used, "%s%s", used > 0 ? ", " : "", name);
}

static const char *field(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The wire name of --memory, from the one table of resource names. */
static const char *memory_wire(void) {
  for (size_t i = 0; i < spec_resource_field_count; i++) {
    if (spec_resource_fields[i].offset == offsetof(spec_resources, memory_bytes)) return spec_resource_fields[i].wire;
  }
  return "";
}

static void check_memory(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "container-memory-limit";
  static const char *title = "Every container has a memory limit";
  static const char *remedy = "give each container -m/--memory (wctr update -m for existing job containers)";
  char names[400] = "";
  int count = 0;
  int total = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, f->containers) {
    const cJSON *hc = cJSON_GetObjectItemCaseSensitive(c, "HostConfig");
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(hc, memory_wire());
    total++;
    if (!cJSON_IsNumber(mem) || mem->valuedouble <= 0) {
      count++;
      add_name(names, sizeof names, field(c, "Name") != NULL ? field(c, "Name") : "?");
    }
  }
  if (count == 0) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "%d container(s), all limited", total);
  } else {
    set(r, id, title, SVC_CHECK_WARN, remedy, "%d of %d without a memory limit: %s", count, total, names);
  }
}

static bool privileged_name(const char *user) {
  static const char *const names[] = {"containeradministrator", "administrator", "system", "localsystem",
                                      "nt authority\\system", ACL_SID_CONTAINER_ADMINISTRATOR, ACL_SID_SYSTEM,
                                      ACL_SID_ADMINISTRATORS, NULL};
  if (user == NULL) return false;
  char lower[128];
  size_t n = strlen(user);
  if (n >= sizeof lower) return false;
  for (size_t i = 0; i <= n; i++) lower[i] = (char)tolower((unsigned char)user[i]);
  const char *base = strrchr(lower, '\\');
  for (size_t i = 0; names[i] != NULL; i++) {
    if (strcmp(lower, names[i]) == 0 || (base != NULL && strcmp(base + 1, names[i]) == 0)) return true;
  }
  /* Domain\Administrator accounts are S-1-5-21-...-500. */
  return strncmp(lower, "s-1-5-21-", 9) == 0 && n > 4 && strcmp(lower + n - 4, "-500") == 0;
}

static void check_user(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "container-user";
  static const char *title = "No container runs as ContainerAdministrator or an administrator";
  static const char *remedy = "run containers with --user ContainerUser (HCS) or the default least-privilege identity (job)";
  char names[400] = "";
  int count = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, f->containers) {
    const cJSON *config = cJSON_GetObjectItemCaseSensitive(c, "Config");
    const char *user = field(config, "User");
    const char *identity = field(c, "Identity"); /* who it ran as, once started */
    /* Without --user wctr runs HCS containers as ContainerUser (not Docker's ContainerAdministrator
     * default) and job containers as a least-privileged identity; Identity shows what was used. */
    bool flagged = privileged_name(user) || privileged_name(identity);
    if (flagged) {
      count++;
      char entry[200];
      snprintf(entry, sizeof entry, "%s (%s)", field(c, "Name") != NULL ? field(c, "Name") : "?",
               privileged_name(user) ? user : identity);
      add_name(names, sizeof names, entry);
    }
  }
  if (count == 0) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "none");
  } else {
    set(r, id, title, SVC_CHECK_WARN, remedy, "%d container(s): %s", count, names);
  }
}

static void check_credspecs(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "credspec-plugin-input";
  static const char *title = "No credential spec holds a password in PluginInput";
  static const char *remedy = "use a CCG plugin that reads the secret from a vault (e.g. Azure Key Vault) instead of "
                              "domain:user:password in PluginInput";
  char names[400] = "";
  char unreadable[300] = "";
  int count = 0;
  for (size_t i = 0; i < f->credspec_count; i++) {
    gmsa_credspec *spec = NULL;
    wctr_errmsg e;
    if (gmsa_credspec_parse(f->credspecs[i].text, f->credspecs[i].len, &spec, &e) != WCTR_OK) {
      add_name(unreadable, sizeof unreadable, f->credspecs[i].file);
      continue;
    }
    if (spec->host_account != NULL && svc_check_plugin_input_cleartext(spec->host_account->plugin_input)) {
      count++;
      add_name(names, sizeof names, f->credspecs[i].file);
    }
    gmsa_credspec_free(spec);
  }
  if (count > 0) {
    set(r, id, title, SVC_CHECK_FAIL, remedy, "PluginInput of the form domain:user:password in: %s", names);
  } else if (f->credspecs_unchecked > 0) {
    set(r, id, title, SVC_CHECK_WARN, "check those files by hand: a file wctr cannot read may hold a password",
        "%zu file(s) checked; %zu could not be read (too many, too large or locked)", f->credspec_count,
        f->credspecs_unchecked);
  } else if (unreadable[0] != '\0') {
    set(r, id, title, SVC_CHECK_WARN, "fix or remove the files that are not credential specs",
        "%zu file(s) checked; not credential specs: %s", f->credspec_count, unreadable);
  } else {
    set(r, id, title, SVC_CHECK_PASS, remedy, "%zu credential spec(s) checked", f->credspec_count);
  }
}

static void check_orphans(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "orphaned-secrets";
  static const char *title = "No secret files remain for containers that are not running";
  static const char *remedy = "restart wctrd (it sweeps them at start) or delete <data-root>\\containers\\<id>\\secrets";
  if (f->orphaned_count == 0) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "none");
    return;
  }
  char names[400] = "";
  for (size_t i = 0; i < f->orphaned_count; i++) {
    char shortid[16];
    snprintf(shortid, sizeof shortid, "%.12s", f->orphaned_secret_dirs[i]);
    add_name(names, sizeof names, shortid);
  }
  set(r, id, title, SVC_CHECK_FAIL, remedy, "%zu folder(s): %s", f->orphaned_count, names);
}

static void check_records(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "container-records";
  static const char *title = "Every container record loads";
  static const char *remedy = "read <data-root>\\containers\\<id>.damaged\\container.json, create the container "
                              "again if it is needed, then delete the folder";
  if (f->damaged_count == 0) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "none moved aside");
    return;
  }
  char names[400] = "";
  for (size_t i = 0; i < f->damaged_count; i++) add_name(names, sizeof names, f->damaged_records[i]);
  set(r, id, title, SVC_CHECK_WARN, remedy, "%zu record(s) could not be read and were moved aside (those containers "
      "are not listed): %s", f->damaged_count, names);
}

static void check_audit(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "audit-log";
  static const char *title = "The audit log exists and is SYSTEM and Administrators only";
  static const char *remedy = "restart wctrd (it recreates <data-root>\\audit\\audit.jsonl) or apply " ACL_SDDL_DATA_FILE;
  if (!f->audit_present) {
    set(r, id, title, SVC_CHECK_FAIL, remedy, "no audit log under %s\\audit", f->data_root);
    return;
  }
  wctr_errmsg why;
  if (f->audit_dacl.value == NULL) {
    set(r, id, title, SVC_CHECK_FAIL, remedy, "cannot read the audit log's DACL: %s",
        f->audit_dacl.error != NULL ? f->audit_dacl.error : "unknown error");
  } else if (acl_sddl_expect(ACL_SDDL_DATA_FILE, f->audit_dacl.value, 0, &why) == WCTR_OK) {
    set(r, id, title, SVC_CHECK_PASS, remedy, "%s", f->audit_dacl.value);
  } else {
    set(r, id, title, SVC_CHECK_FAIL, remedy, "read back %s, expected %s (%s)", f->audit_dacl.value,
        ACL_SDDL_DATA_FILE, why.text);
  }
}

static void check_hcs(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "hcs";
  static const char *title = "The Host Compute Service is available";
  static const char *remedy = "enable the Containers feature (Install-WindowsFeature Containers) for process and "
                              "Hyper-V isolation";
  set(r, id, title, f->hcs_available ? SVC_CHECK_PASS : SVC_CHECK_INFO, remedy, "%s",
      f->hcs_detail != NULL ? f->hcs_detail : "");
}

static void check_build(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "host-build";
  static const char *title = "The host's Windows build is a supported container host";
  unsigned major = 0, minor = 0, build = 0;
  int used = 0;
  const char *v = f->os_version != NULL ? f->os_version : "";
  if (sscanf(v, "%u.%u.%u%n", &major, &minor, &build, &used) != 3) {
    set(r, id, title, SVC_CHECK_WARN, "check the host's version with winver", "cannot read the OS version \"%s\"", v);
  } else if (major == 10 && (build == 17763 || build == 20348 || build == 26100)) {
    set(r, id, title, SVC_CHECK_PASS, "", "%s (an LTSC container host)", v);
  } else if (major == 10 && build > 17763) {
    set(r, id, title, SVC_CHECK_WARN, "use Windows Server 2019, 2022 or 2025 (LTSC) for production container hosts",
        "%s is not an LTSC build: process isolation needs images of exactly this build", v);
  } else {
    set(r, id, title, SVC_CHECK_FAIL, "upgrade to Windows Server 2019 (build 17763) or later",
        "%s is older than Windows Server 2019 / Windows 10 1809 (build 17763)", v);
  }
}

/* "signed (1 key), 127.0.0.1:5000/app: off" from img_trust_policy_json's shape. */
static void describe_policy(const cJSON *p, char *out, size_t size) {
  const cJSON *mode = cJSON_GetObjectItemCaseSensitive(p, "Policy");
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(p, "Keys");
  size_t used = (size_t)snprintf(out, size, "\"%s\" (%d key%s)", cJSON_IsString(mode) ? mode->valuestring : "off",
                                 cJSON_GetArraySize(keys), cJSON_GetArraySize(keys) == 1 ? "" : "s");
  const cJSON *repos = cJSON_GetObjectItemCaseSensitive(p, "Repositories");
  const cJSON *r;
  cJSON_ArrayForEach(r, repos) {
    if (used >= size) break;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "Policy");
    used += (size_t)snprintf(out + used, size - used, ", %s: \"%s\"", r->string != NULL ? r->string : "?",
                             cJSON_IsString(m) ? m->valuestring : "off");
  }
}

static void check_image_trust(const svc_check_facts *f, svc_check_result *r) {
  static const char *id = "image-trust";
  static const char *title = "Only images signed by a trusted key run (image-trust policy \"signed\")";
  if (f->image_trust == NULL) {
    set(r, id, title, SVC_CHECK_INFO, "", "the image service did not report its policy");
    return;
  }
  char policy[300];
  describe_policy(cJSON_GetObjectItemCaseSensitive(f->image_trust, "Policy"), policy, sizeof policy);
  const cJSON *signed_ = cJSON_GetObjectItemCaseSensitive(f->image_trust, "Signed");
  if (!cJSON_IsTrue(signed_)) {
    set(r, id, title, SVC_CHECK_WARN, "set \"image-trust\": {\"policy\": \"signed\", \"keys\": [\"C:\\\\keys\\\\cosign.pub\"]} "
        "in wctrd.json (docs/security.md, \"Image trust\")", "policy %s: any image pulled, loaded or added runs, "
        "whoever made it", policy);
    return;
  }
  const cJSON *refused = cJSON_GetObjectItemCaseSensitive(f->image_trust, "Refused");
  int n = cJSON_GetArraySize(refused);
  if (n == 0) {
    set(r, id, title, SVC_CHECK_PASS, "", "policy %s; every image in the store would run", policy);
    return;
  }
  char names[400] = "";
  const cJSON *x;
  cJSON_ArrayForEach(x, refused) {
    const cJSON *image = cJSON_GetObjectItemCaseSensitive(x, "Image");
    if (cJSON_IsString(image)) add_name(names, sizeof names, image->valuestring);
  }
  set(r, id, title, SVC_CHECK_WARN, "pull them again from their registries (their signatures are then verified) or "
      "remove them (wctr rmi)", "policy %s; %d image(s) in the store would be refused at run: %s", policy, n, names);
}

void svc_check_run(const svc_check_facts *f, svc_check_result out[SVC_CHECK_COUNT]) {
  void (*const checks[SVC_CHECK_COUNT])(const svc_check_facts *, svc_check_result *) = {
      check_data_root, check_pipe,   check_bitlocker, check_override, check_binary, check_memory,
      check_user,      check_credspecs, check_orphans, check_records,  check_audit,  check_hcs,
      check_build,     check_image_trust};
  for (size_t i = 0; i < SVC_CHECK_COUNT; i++) {
    memset(&out[i], 0, sizeof out[i]);
    checks[i](f, &out[i]);
  }
}

cJSON *svc_check_json(const svc_check_result *r, size_t n) {
  int counts[5] = {0};
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(root, "Checks");
  bool ok = root != NULL && arr != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    cJSON *o = cJSON_CreateObject();
    ok = o != NULL && cJSON_AddItemToArray(arr, o) && cJSON_AddStringToObject(o, "Id", r[i].id) != NULL &&
         cJSON_AddStringToObject(o, "Title", r[i].title) != NULL &&
         cJSON_AddStringToObject(o, "Status", svc_check_status_name(r[i].status)) != NULL &&
         cJSON_AddStringToObject(o, "Detail", r[i].detail) != NULL &&
         cJSON_AddStringToObject(o, "Remedy", r[i].remedy) != NULL;
    if (r[i].status >= SVC_CHECK_PASS && r[i].status <= SVC_CHECK_INFO) counts[r[i].status]++;
  }
  cJSON *sum = ok ? cJSON_AddObjectToObject(root, "Summary") : NULL;
  ok = sum != NULL && cJSON_AddNumberToObject(sum, "Pass", counts[SVC_CHECK_PASS]) != NULL &&
       cJSON_AddNumberToObject(sum, "Warn", counts[SVC_CHECK_WARN]) != NULL &&
       cJSON_AddNumberToObject(sum, "Fail", counts[SVC_CHECK_FAIL]) != NULL &&
       cJSON_AddNumberToObject(sum, "Info", counts[SVC_CHECK_INFO]) != NULL;
  if (!ok) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}
