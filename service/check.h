/* service/check.h - `wctr check`: a Docker Bench Security for a Windows container host (portable).
 *
 * The service gathers facts (service/security_win.c: DACLs read back, the BitLocker probe, the container
 * records, credential spec files, secret folders, the audit file, the HCS probe, the OS build) and this
 * file decides, so every decision is tested natively on synthetic facts. Each check has a stable id, a
 * status and a one-line remedy:
 *
 *   data-root-dacl            the data root's DACL read back equals ACL_SDDL_DATA_ROOT (FAIL otherwise)
 *   pipe-dacl                 no allow ACE on the pipe gives write rights to Everyone, Users or
 *                             Authenticated Users (FAIL), read-back not possible (WARN)
 *   bitlocker                 the data root's volume is protected and fully encrypted (WARN otherwise:
 *                             secrets are refused there unless overridden; FAIL when overridden)
 *   allow-unencrypted-secrets the setting is off (PASS) / on (WARN; FAIL when the volume is not encrypted)
 *   service-binary            wctrd.exe and its folder grant no write right to anyone but SYSTEM,
 *                             Administrators, TrustedInstaller and CREATOR OWNER (FAIL otherwise)
 *   container-memory-limit    every container has a memory limit (WARN naming those without)
 *   container-user            no container runs (Config.User, or Identity once started) as
 *                             ContainerAdministrator, SYSTEM or an administrator (WARN naming them)
 *   credspec-plugin-input     no credential spec under <data-root>\credentialspecs holds a PluginInput of
 *                             the form domain:user:password (FAIL naming the files, never the value). Every
 *                             file is read, in sub-folders too (file:// names may have folders) and whatever
 *                             its name (a spec saved as leak.tmp was never read); files that could not be
 *                             read (too many, too large, locked) make it WARN, never PASS
 *   orphaned-secrets          no secrets folder of a container that is not running (FAIL)
 *   container-records         every container record loads: no <id>.damaged folder, where wctrd moves a
 *                             record it cannot read at start (WARN naming them: those containers are gone
 *                             from `wctr ps`)
 *   audit-log                 the audit file exists and its DACL is ACL_SDDL_DATA_FILE (FAIL otherwise)
 *   hcs                       computecore.dll loads (INFO when not: only job isolation is available)
 *   host-build                the OS build is an LTSC container host (17763, 20348, 26100: PASS), another
 *                             build of 17763 or later (WARN: process isolation needs matching images),
 *                             older (FAIL)
 *   image-trust               the image-trust policy (images/trust.h) is "signed" somewhere and no image of
 *                             the store or the catalog would be refused at run (PASS); "off" everywhere
 *                             (WARN, as Docker Bench warns without content trust); images the run-time gate
 *                             (service/image_ops.h) would refuse (WARN naming them, the fix: pull them again)
 * The exit code of `wctr check` is 1 when any check FAILs. */
#ifndef WCTR_SERVICE_CHECK_H
#define WCTR_SERVICE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "acl/bitlocker.h"

typedef enum svc_check_status {
  SVC_CHECK_PASS = 1,
  SVC_CHECK_WARN,
  SVC_CHECK_FAIL,
  SVC_CHECK_INFO,
} svc_check_status;

typedef struct svc_check_result {
  const char *id;    /* stable, e.g. "data-root-dacl" */
  const char *title; /* what is checked, one line */
  svc_check_status status;
  char detail[640];  /* what was found */
  char remedy[320];  /* one line: what to do; "" for PASS */
} svc_check_result;

/* A text fact that may be missing: value NULL and error the reason. */
typedef struct svc_check_text {
  const char *value;
  const char *error;
} svc_check_text;

typedef struct svc_check_credspec {
  const char *file;         /* path under <data-root>\credentialspecs ("web.json", "team\\web.json") */
  const char *text;         /* its content */
  size_t len;
} svc_check_credspec;

typedef struct svc_check_facts {
  const char *data_root;
  svc_check_text data_root_dacl; /* read back, canonical SDDL */
  svc_check_text pipe_dacl;      /* read back from the live pipe */
  acl_bitlocker_status bitlocker;
  bool allow_unencrypted_secrets;
  const char *binary_path;
  svc_check_text binary_dacl;
  svc_check_text binary_dir_dacl;
  const cJSON *containers;       /* array of container records (service/container.h), may be NULL */
  const svc_check_credspec *credspecs;
  size_t credspec_count;
  size_t credspecs_unchecked;    /* files of the folder that could not be read into credspecs */
  const char *const *orphaned_secret_dirs; /* container ids whose secrets folder exists while not running */
  size_t orphaned_count;
  const char *const *damaged_records; /* folder names <id>.damaged under <data-root>\containers */
  size_t damaged_count;
  bool audit_present;
  svc_check_text audit_dacl;
  bool hcs_available;
  const char *hcs_detail;
  const char *os_version;        /* "10.0.20348" */
  const cJSON *image_trust;      /* svc_image_trust_status (service/image_ops.h); NULL when not reported */
} svc_check_facts;

#define SVC_CHECK_COUNT 14

/* Runs every check in the order above into out (SVC_CHECK_COUNT entries). */
void svc_check_run(const svc_check_facts *f, svc_check_result out[SVC_CHECK_COUNT]);

/* "PASS", "WARN", "FAIL", "INFO". */
const char *svc_check_status_name(svc_check_status s);

/* {"Checks":[{"Id","Title","Status","Detail","Remedy"}...],"Summary":{"Pass","Warn","Fail","Info"}}.
 * NULL when out of memory. */
cJSON *svc_check_json(const svc_check_result *r, size_t n);

/* Does the DACL (SDDL) hold an allow ACE that is not inherit-only and gives sid (numeric or alias) any of
 * the write rights (FILE_WRITE_DATA, FILE_APPEND_DATA, FILE_WRITE_EA, FILE_WRITE_ATTRIBUTES, DELETE,
 * WRITE_DAC, WRITE_OWNER, GENERIC_WRITE, GENERIC_ALL, FILE_DELETE_CHILD)? False when sddl does not parse. */
bool svc_check_grants_write(const char *sddl, const char *sid);

/* Does a credential spec's PluginInput look like credentials in clear text ("domain:user:password", the
 * form of Microsoft's sample CCG plugin)? */
bool svc_check_plugin_input_cleartext(const char *plugin_input);

#endif
