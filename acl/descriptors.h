/* acl/descriptors.h - every security descriptor wctr applies, as a named constant or a builder (portable).
 *
 * These strings are what the Windows layer hands to ConvertStringSecurityDescriptorToSecurityDescriptorW
 * and what it checks read-backs against with acl_sddl_expect (acl/sd.h). They use file-specific rights
 * (FA, FR, FW) rather than generic ones (GA, GR, GW): Windows maps generic rights when it creates an
 * object and splits an inheritable generic ACE in two, so a generic descriptor would not read back
 * ACE for ACE. Every DACL here is protected ("P") so that nothing is inherited from wherever the object
 * happens to live, and SYSTEM comes before Administrators.
 *
 * Builders take SIDs as numeric strings only ("S-1-5-..."; acl_sid_string_valid), never SDDL aliases:
 * they come from tokens, configuration and the command line, where an alias would be a mistake. They
 * write each SID in canonical form. Output strings are malloc'ed; the caller frees them with free().
 * On failure *out is NULL. */
#ifndef WCTR_ACL_DESCRIPTORS_H
#define WCTR_ACL_DESCRIPTORS_H

#include <stddef.h>

#include "common/error.h"

/* The data root (<root>, everything wctr keeps on disk below it): SYSTEM and Administrators only, full
 * access, not inherited from the volume (P), inherited by every file (OI) and directory (CI) below. */
#define ACL_SDDL_DATA_ROOT "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

/* A file wctr writes under the data root that must stay SYSTEM and Administrators only even if it is
 * moved or the folder's DACL is loosened: encrypted secrets, the audit log. The data root's ACEs without
 * inheritance flags (a file has no children), protected. */
#define ACL_SDDL_DATA_FILE "D:P(A;;FA;;;SY)(A;;FA;;;BA)"

/* The folders wctr keeps directly under the data root; each gets ACL_SDDL_DATA_ROOT itself (protected),
 * so one folder's DACL never depends on the root's. NULL-terminated. */
extern const char *const acl_data_root_subdirs[];

/* A named volume's data folder (<root>\volumes\<name>\_data, Docker's local driver): SYSTEM and
 * Administrators full access; ContainerAdministrator (S-1-5-93-2-1) and ContainerUser (S-1-5-93-2-2), the
 * identities a process or Hyper-V container's processes run as, "modify" (0x1301bf: FILE_GENERIC_READ |
 * FILE_GENERIC_WRITE | FILE_GENERIC_EXECUTE | DELETE) on the folder and everything created in it (OI CI):
 * they read, write, create and delete files as a container needs, and never change a DACL or an owner
 * (no WRITE_DAC, WRITE_OWNER). Nobody else (no Users, no Everyone) gets anything. Protected: nothing is
 * inherited from the data root. A volume is shared by containers that do not exist yet when it is created,
 * so the grant is to the two fixed container identities, not to one container. (Job containers, whose
 * identity is a per-container account, cannot mount volumes: spec/spec.h.) */
#define ACL_SDDL_VOLUME_DATA \
  "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1301bf;;;S-1-5-93-2-1)(A;OICI;0x1301bf;;;S-1-5-93-2-2)"

/* The service's named pipe: "D:P(A;;FA;;;SY)(A;;FA;;;BA)" followed by "(A;;FRFW;;;<sid>)" for each group
 * SID, in the order given. Members of those groups may connect, read and write, as with Docker's -G; they
 * get FILE_GENERIC_READ|FILE_GENERIC_WRITE (0x12019f) and not FILE_ALL_ACCESS, so they cannot change the
 * pipe's DACL or owner. A SID given twice (in any spelling of the same SID) appears once, at its first
 * place: Windows would keep a duplicate ACE, which grants nothing more and makes read-backs noisy.
 * A group equal to SYSTEM or Administrators is kept as given (harmless: they already have FA).
 * group_sids may be NULL when count is 0.
 * Errors: WCTR_EINVAL naming the first bad entry ("pipe group SID 2 (\"xyz\") is not a SID string
 * S-1-..."), also for a NULL entry or a NULL out, and when the groups would make the DACL larger than the
 * 64 KiB Windows allows (about 1800 domain groups); WCTR_ENOMEM. */
wctr_err acl_pipe_sddl(const char *const *group_sids, size_t count, char **out, wctr_errmsg *e);

/* The Docker Engine API's token file (<data-root>\config\api-token): readable by exactly those the pipe's DACL
 * admits - "D:P(A;;FA;;;SY)(A;;FA;;;BA)" followed by "(A;;FR;;;<sid>)" for each group SID of the pipe, in the
 * same order and with the same rules (duplicates once, numeric SIDs only, the 64 KiB limit). The groups may
 * read the token, never change it or the file's DACL. Errors as acl_pipe_sddl, naming "API token file". */
wctr_err acl_api_token_sddl(const char *const *group_sids, size_t count, char **out, wctr_errmsg *e);

/* A container's secrets directory (<root>\containers\<id>\secrets, later mounted read-only):
 * "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;<reader_sid>)". Only SYSTEM and Administrators may
 * write; reader_sid (typically the identity the container's process runs as, e.g. ContainerUser) may
 * list the directory and read every file written inside it, which inherit the ACEs (OI CI).
 * Errors: WCTR_EINVAL for a NULL or non-numeric reader_sid or a NULL out; WCTR_ENOMEM. */
wctr_err acl_secrets_dir_sddl(const char *reader_sid, char **out, wctr_errmsg *e);

/* One secret file, when it is given a descriptor of its own instead of inheriting the directory's:
 * "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;<reader_sid>)" (no inheritance flags: a file has no children).
 * Errors as acl_secrets_dir_sddl. */
wctr_err acl_secret_file_sddl(const char *reader_sid, char **out, wctr_errmsg *e);

#endif
