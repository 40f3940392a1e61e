/* jobs/identity_win.c - who a job container's process runs as. The decision and its reasons are the
 * contract of job_identity_token (jobs/job.h); this file carries it out. */
#include <windows.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "acl/acl_win.h"
#include "common/log.h"
#include "jobs/jobs_sys.h"
#include "jobs/jobs_win.h"

typedef struct service_account {
  const wchar_t *logon_name;  /* what LogonUserW takes, with the domain L"NT AUTHORITY" */
  const char *display;        /* how Windows names the account */
  WELL_KNOWN_SID_TYPE sid;    /* what the token's user must be */
  const char *spellings[2];   /* accepted for --user, alone or after "NT AUTHORITY\", in any case */
} service_account;

static const service_account local_service = {L"LocalService", "NT AUTHORITY\\LOCAL SERVICE", WinLocalServiceSid,
                                              {"LocalService", "Local Service"}};
static const service_account network_service = {L"NetworkService", "NT AUTHORITY\\NETWORK SERVICE",
                                                WinNetworkServiceSid, {"NetworkService", "Network Service"}};

static bool ascii_iequal(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
    char y = (*b >= 'A' && *b <= 'Z') ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

/* user without a leading "<domain>\" when the domain is the given one (any case), else NULL. */
static const char *after_domain(const char *user, const char *domain) {
  size_t n = strlen(domain);
  if (strlen(user) <= n || user[n] != '\\') return NULL;
  for (size_t i = 0; i < n; i++) {
    char x = user[i] >= 'A' && user[i] <= 'Z' ? (char)(user[i] - 'A' + 'a') : user[i];
    char y = domain[i] >= 'A' && domain[i] <= 'Z' ? (char)(domain[i] - 'A' + 'a') : domain[i];
    if (x != y) return NULL;
  }
  return user + n + 1;
}

static bool is_one_of(const char *name, const char *const *names, size_t count) {
  for (size_t i = 0; i < count; i++) {
    if (ascii_iequal(name, names[i])) return true;
  }
  return false;
}

/* --user -> the service account, or WCTR_EINVAL saying why not. */
static wctr_err account_for_user(const char *user, const service_account **out, wctr_errmsg *e) {
  static const char *const system_names[] = {"SYSTEM", "LocalSystem", "Local System"};
  static const char *const container_names[] = {"ContainerUser", "ContainerAdministrator"};
  if (user[0] == '\0') return wctr_fail(e, WCTR_EINVAL, "the user name is empty");
  const char *bare = after_domain(user, "NT AUTHORITY");
  const char *name = bare != NULL ? bare : user;
  if (is_one_of(name, local_service.spellings, 2)) {
    *out = &local_service;
    return WCTR_OK;
  }
  if (is_one_of(name, network_service.spellings, 2)) {
    *out = &network_service;
    return WCTR_OK;
  }
  if (is_one_of(name, system_names, ARRAYSIZE(system_names))) {
    return wctr_fail(e, WCTR_EINVAL,
                     "user \"%s\": wctr never runs a container's process as SYSTEM; use LocalService (the "
                     "default) or NetworkService",
                     user);
  }
  const char *um = after_domain(user, "User Manager");
  if (is_one_of(um != NULL ? um : user, container_names, ARRAYSIZE(container_names))) {
    return wctr_fail(e, WCTR_EINVAL,
                     "user \"%s\" exists only inside process- and Hyper-V-isolated containers; a job container "
                     "runs on the host: use LocalService (the default) or NetworkService",
                     user);
  }
  return wctr_fail(e, WCTR_EINVAL,
                   "user \"%s\": a job container can run as LocalService (the default) or NetworkService; other "
                   "accounts need a password, which wctr does not take (group managed service accounts come "
                   "with gMSA support)",
                   user);
}

/* Whether the token's user is the well-known SID. *detail says why not. */
static bool token_user_is(HANDLE token, WELL_KNOWN_SID_TYPE type, char *detail, size_t size) {
  union {
    TOKEN_USER user;
    BYTE bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } info;
  BYTE want[SECURITY_MAX_SID_SIZE];
  DWORD want_size = sizeof want;
  DWORD returned = 0;
  if (!CreateWellKnownSid(type, NULL, want, &want_size)) {
    snprintf(detail, size, "CreateWellKnownSid failed with error %lu", (unsigned long)GetLastError());
    return false;
  }
  if (!jobs_sys.GetTokenInformation(token, TokenUser, &info, sizeof info, &returned)) {
    snprintf(detail, size, "its user cannot be read, error %lu", (unsigned long)GetLastError());
    return false;
  }
  if (!EqualSid(info.user.User.Sid, want)) {
    char who[192];
    acl_account_name(info.user.User.Sid, who, sizeof who);
    snprintf(detail, size, "it is %s", who);
    return false;
  }
  return true;
}

typedef enum logon_result { LOGON_OK, LOGON_NO_PRIVILEGE, LOGON_UNVERIFIED, LOGON_FAILED } logon_result;

/* The service logon of a built-in service account, checked. *code is the Win32 error of a failed logon. */
static logon_result logon_service(const service_account *a, HANDLE *token, DWORD *code, char *detail, size_t size) {
  HANDLE t = NULL;
  *token = NULL;
  *code = ERROR_SUCCESS;
  detail[0] = '\0';
  /* No password: Windows keeps the built-in service accounts logged on and hands their token to a caller
   * holding SeTcbPrivilege. */
  if (!jobs_sys.LogonUserW(a->logon_name, L"NT AUTHORITY", NULL, LOGON32_LOGON_SERVICE, LOGON32_PROVIDER_DEFAULT,
                           &t)) {
    *code = GetLastError();
    return *code == ERROR_PRIVILEGE_NOT_HELD ? LOGON_NO_PRIVILEGE : LOGON_FAILED;
  }
  if (!token_user_is(t, a->sid, detail, size)) {
    CloseHandle(t);
    return LOGON_UNVERIFIED;
  }
  *token = t;
  return LOGON_OK;
}

/* wctrd's own token minus administrator rights and privileges, at most medium integrity. */
static wctr_err restricted_own_token(HANDLE *out, char *name, size_t name_size, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  HANDLE own = NULL;
  HANDLE restricted = NULL;
  BYTE admins[SECURITY_MAX_SID_SIZE];
  BYTE local_admins[SECURITY_MAX_SID_SIZE];
  BYTE medium[SECURITY_MAX_SID_SIZE];
  DWORD admins_size = sizeof admins;
  DWORD medium_size = sizeof medium;
  *out = NULL;
  /* S-1-5-114 is built by hand: CreateWellKnownSid knows it as WinLocalAccountAndAdministratorSid only on
   * newer Windows (and not in Wine 8), while the SID itself is fixed. */
  SID_IDENTIFIER_AUTHORITY nt_authority = {SECURITY_NT_AUTHORITY};
  if (!CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &admins_size) ||
      !InitializeSid((PSID)local_admins, &nt_authority, 1) ||
      !CreateWellKnownSid(WinMediumLabelSid, NULL, medium, &medium_size)) {
    return jobs_fail_win32(e, "CreateWellKnownSid", GetLastError(), "cannot build the restricted token's SIDs");
  }
  *GetSidSubAuthority((PSID)local_admins, 0) = 114; /* SECURITY_LOCAL_ACCOUNT_AND_ADMIN_RID */
  if (!jobs_sys.OpenProcessToken(GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY, &own)) {
    return jobs_fail_win32(e, "OpenProcessToken", GetLastError(), "cannot open wctrd's token to restrict it");
  }
  /* Deny-only, not removed: a deny-only group still matches deny ACEs (so nothing denied to
   * Administrators opens up) but never grants access. */
  SID_AND_ATTRIBUTES deny_only[2] = {{.Sid = admins, .Attributes = 0}, {.Sid = local_admins, .Attributes = 0}};
  if (!jobs_sys.CreateRestrictedToken(own, DISABLE_MAX_PRIVILEGE, ARRAYSIZE(deny_only), deny_only, 0, NULL, 0, NULL,
                                      &restricted)) {
    err = jobs_fail_win32(e, "CreateRestrictedToken", GetLastError(), "cannot restrict wctrd's token");
    goto done;
  }

  union {
    TOKEN_MANDATORY_LABEL label;
    BYTE bytes[sizeof(TOKEN_MANDATORY_LABEL) + SECURITY_MAX_SID_SIZE];
  } level;
  DWORD returned = 0;
  if (!jobs_sys.GetTokenInformation(restricted, TokenIntegrityLevel, &level, sizeof level, &returned)) {
    err = jobs_fail_win32(e, "GetTokenInformation", GetLastError(), "cannot read the restricted token's integrity");
    goto done;
  }
  PUCHAR subs = GetSidSubAuthorityCount(level.label.Label.Sid);
  DWORD rid = *GetSidSubAuthority(level.label.Label.Sid, (DWORD)(*subs - 1));
  /* Only ever lowered: raising the level would need a privilege and would grant nothing wanted. */
  if (rid > SECURITY_MANDATORY_MEDIUM_RID) {
    TOKEN_MANDATORY_LABEL lowered = {.Label = {.Sid = medium, .Attributes = SE_GROUP_INTEGRITY}};
    if (!jobs_sys.SetTokenInformation(restricted, TokenIntegrityLevel, &lowered,
                                      (DWORD)(sizeof lowered + GetLengthSid(medium)))) {
      err = jobs_fail_win32(e, "SetTokenInformation", GetLastError(), "cannot lower the restricted token to medium integrity");
      goto done;
    }
  }

  union {
    TOKEN_USER user;
    BYTE bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } user;
  char who[192] = "wctrd's user";
  if (jobs_sys.GetTokenInformation(restricted, TokenUser, &user, sizeof user, &returned)) {
    acl_account_name(user.user.User.Sid, who, sizeof who);
  }
  if (name != NULL && name_size > 0) snprintf(name, name_size, "%s (restricted)", who);
  *out = restricted;
  restricted = NULL;

done:
  if (restricted != NULL) CloseHandle(restricted);
  CloseHandle(own);
  return err;
}

wctr_err job_identity_token(const char *user, void **token, char *identity_name, size_t name_size, wctr_errmsg *e) {
  static LONG fallback_announced;
  const service_account *account = &local_service;
  char detail[256];
  HANDLE t = NULL;
  DWORD code = ERROR_SUCCESS;
  if (token == NULL) return wctr_fail(e, WCTR_EINVAL, "job_identity_token needs an output");
  *token = NULL;
  if (identity_name != NULL && name_size > 0) identity_name[0] = '\0';
  if (user != NULL) {
    wctr_err err = account_for_user(user, &account, e);
    if (err != WCTR_OK) return err;
  }

  logon_result result = logon_service(account, &t, &code, detail, sizeof detail);
  if (result == LOGON_OK) {
    if (identity_name != NULL && name_size > 0) snprintf(identity_name, name_size, "%s", account->display);
    *token = t;
    return WCTR_OK;
  }
  if (user == NULL && (result == LOGON_NO_PRIVILEGE || result == LOGON_UNVERIFIED)) {
    HANDLE restricted = NULL;
    wctr_err err = restricted_own_token(&restricted, identity_name, name_size, e);
    if (err != WCTR_OK) return err;
    /* Once per wctrd: the reason does not change from one container to the next. */
    if (InterlockedExchange(&fallback_announced, 1) == 0) {
      if (result == LOGON_NO_PRIVILEGE) {
        wctr_log(WCTR_LOG_WARN,
                 "job containers run as %s, not as %s: logging that account on needs SeTcbPrivilege, which "
                 "wctrd has only as the wctrd service (LocalSystem)",
                 identity_name != NULL ? identity_name : "wctrd's user (restricted)", account->display);
      } else {
        wctr_log(WCTR_LOG_WARN, "job containers run as %s, not as %s: the token Windows returned is not that account (%s)",
                 identity_name != NULL ? identity_name : "wctrd's user (restricted)", account->display, detail);
      }
    }
    *token = restricted;
    return WCTR_OK;
  }
  if (result == LOGON_NO_PRIVILEGE) {
    wctr_log_win32("LogonUserW", code, "%s", account->display);
    return wctr_fail(e, WCTR_EACCES,
                     "running as %s needs wctrd to run as the wctrd service (LocalSystem): logging that account on "
                     "needs SeTcbPrivilege, which this wctrd does not hold",
                     account->display);
  }
  if (result == LOGON_UNVERIFIED) {
    wctr_log(WCTR_LOG_ERROR, "LogonUserW for %s returned a token that is not that account (%s)", account->display,
             detail);
    return wctr_fail(e, WCTR_ESYSTEM, "Windows logged %s on but returned a token that is not that account (%s)",
                     account->display, detail);
  }
  return jobs_fail_win32(e, "LogonUserW", code, "cannot log %s on", account->display);
}
