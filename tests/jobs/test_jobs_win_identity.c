/* tests/jobs/test_jobs_win_identity.c - the identity decision of job_identity_token (jobs/job.h), through
 * the jobs_sys seam: which logon is asked for with which arguments, when wctrd falls back to a restricted
 * copy of its own token and what that copy is made of (flags, deny-only SIDs, integrity), which --user
 * values are refused, and that job_spawn uses the chosen token. Wine's LogonUserW "succeeds" for anything
 * with an unusable token and Wine drops restrictions, so what Windows would answer is presented through
 * the seam; the tokens handed around are real (duplicates of this process's own), so they can be used. */
#include "jobs_win_test.h"

#include <sddl.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/jobs_sys.h"

static jobs_syscalls real;

/* SID <-> text with the wide calls (the ANSI ones are banned here too). */
static void sid_text(PSID sid, char *out, size_t size) {
  wchar_t *text = NULL;
  assert_true(ConvertSidToStringSidW(sid, &text));
  assert_true(WideCharToMultiByte(CP_UTF8, 0, text, -1, out, (int)size, NULL, NULL) > 0);
  LocalFree(text);
}

static PSID sid_from_text(const char *text) {
  wchar_t wide[128];
  PSID sid = NULL;
  assert_true(MultiByteToWideChar(CP_UTF8, 0, text, -1, wide, (int)COUNT_OF(wide)) > 0);
  assert_true(ConvertStringSidToSidW(wide, &sid));
  return sid; /* LocalFree */
}

/* --- seam ------------------------------------------------------------------------------------------- */
typedef struct logon_call {
  wchar_t user[64];
  wchar_t domain[64];
  BOOL password_null;
  DWORD type;
  DWORD provider;
} logon_call;

static logon_call logons[8];
static int logon_count;
static DWORD logon_fail;        /* 0: succeed with a duplicate of this process's token */
static HANDLE given_token;      /* what the last successful logon returned */
static const char *given_sid;   /* the user GetTokenInformation reports for it; NULL: unreadable */

static BOOL WINAPI fake_logon(LPCWSTR user, LPCWSTR domain, LPCWSTR password, DWORD type, DWORD provider,
                              PHANDLE token) {
  if (logon_count < (int)COUNT_OF(logons)) {
    logon_call *c = &logons[logon_count];
    wcsncpy(c->user, user != NULL ? user : L"(null)", COUNT_OF(c->user) - 1);
    wcsncpy(c->domain, domain != NULL ? domain : L"(null)", COUNT_OF(c->domain) - 1);
    c->password_null = password == NULL;
    c->type = type;
    c->provider = provider;
  }
  logon_count++;
  given_token = NULL; /* a closed handle's value comes back for other tokens: never present it again */
  if (logon_fail != 0) {
    SetLastError(logon_fail);
    return FALSE;
  }
  HANDLE own = NULL;
  assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS, &own));
  assert_true(DuplicateTokenEx(own, TOKEN_ALL_ACCESS, NULL, SecurityImpersonation, TokenPrimary, token));
  CloseHandle(own);
  given_token = *token;
  return TRUE;
}

static BOOL WINAPI presenting_get(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD size, PDWORD returned) {
  if (token == given_token && given_token != NULL && cls == TokenUser) {
    if (given_sid == NULL) {
      SetLastError(ERROR_INVALID_HANDLE); /* what Wine's token answers */
      return FALSE;
    }
    PSID sid = sid_from_text(given_sid);
    DWORD need = (DWORD)(sizeof(TOKEN_USER) + GetLengthSid(sid));
    assert_true(size >= need);
    TOKEN_USER *user = info;
    user->User.Sid = (BYTE *)info + sizeof(TOKEN_USER);
    user->User.Attributes = 0;
    CopySid(GetLengthSid(sid), user->User.Sid, sid);
    LocalFree(sid);
    *returned = need;
    return TRUE;
  }
  return real.GetTokenInformation(token, cls, info, size, returned);
}

static int open_count;
static HANDLE opened_process;
static DWORD opened_access;

static BOOL WINAPI recording_open(HANDLE process, DWORD access, PHANDLE token) {
  open_count++;
  opened_process = process;
  opened_access = access;
  return real.OpenProcessToken(process, access, token);
}

static struct {
  int count;
  DWORD flags;
  DWORD disable_count;
  char disabled[4][64];
  DWORD delete_count;
  DWORD restrict_count;
  HANDLE result;
} restricted;

static BOOL WINAPI recording_restrict(HANDLE token, DWORD flags, DWORD disable_count, PSID_AND_ATTRIBUTES disable,
                                      DWORD delete_count, PLUID_AND_ATTRIBUTES delete_privileges,
                                      DWORD restrict_count, PSID_AND_ATTRIBUTES restrict_sids, PHANDLE out) {
  restricted.count++;
  restricted.flags = flags;
  restricted.disable_count = disable_count;
  for (DWORD i = 0; i < disable_count && i < COUNT_OF(restricted.disabled); i++) {
    sid_text(disable[i].Sid, restricted.disabled[i], sizeof restricted.disabled[i]);
  }
  restricted.delete_count = delete_count;
  restricted.restrict_count = restrict_count;
  BOOL ok = real.CreateRestrictedToken(token, flags, disable_count, disable, delete_count, delete_privileges,
                                       restrict_count, restrict_sids, out);
  restricted.result = ok ? *out : NULL;
  return ok;
}

static int integrity_sets;
static char integrity_sid[64];

static BOOL WINAPI recording_set(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD size) {
  if (cls == TokenIntegrityLevel) {
    integrity_sets++;
    TOKEN_MANDATORY_LABEL *label = info;
    assert_int_equal(label->Label.Attributes, SE_GROUP_INTEGRITY);
    sid_text(label->Label.Sid, integrity_sid, sizeof integrity_sid);
  }
  return real.SetTokenInformation(token, cls, info, size);
}

static HANDLE spawned_with;

static BOOL WINAPI recording_create_process(HANDLE token, LPCWSTR application, LPWSTR command_line,
                                            LPSECURITY_ATTRIBUTES psa, LPSECURITY_ATTRIBUTES tsa, BOOL inherit,
                                            DWORD flags, LPVOID environment, LPCWSTR directory, LPSTARTUPINFOW si,
                                            LPPROCESS_INFORMATION info) {
  spawned_with = token;
  return real.CreateProcessAsUserW(token, application, command_line, psa, tsa, inherit, flags, environment, directory,
                                   si, info);
}

static int setup(void **state) {
  (void)state;
  real = jobs_sys;
  jobs_sys.LogonUserW = fake_logon;
  jobs_sys.GetTokenInformation = presenting_get;
  jobs_sys.OpenProcessToken = recording_open;
  jobs_sys.CreateRestrictedToken = recording_restrict;
  jobs_sys.SetTokenInformation = recording_set;
  jobs_sys.CreateProcessAsUserW = recording_create_process;
  memset(logons, 0, sizeof logons);
  memset(&restricted, 0, sizeof restricted);
  logon_count = open_count = integrity_sets = 0;
  logon_fail = 0;
  given_token = NULL;
  given_sid = "S-1-5-19";
  opened_process = NULL;
  opened_access = 0;
  integrity_sid[0] = '\0';
  spawned_with = NULL;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  jobs_sys = real;
  return 0;
}

/* --- helpers ---------------------------------------------------------------------------------------- */
static void expect_service_logon(int call, const wchar_t *user) {
  assert_true(call < logon_count);
  const logon_call *c = &logons[call];
  if (wcscmp(c->user, user) != 0) FAILF("LogonUserW user %ls, want %ls", c->user, user);
  assert_true(wcscmp(c->domain, L"NT AUTHORITY") == 0);
  assert_true(c->password_null);
  assert_int_equal(c->type, LOGON32_LOGON_SERVICE);
  assert_int_equal(c->provider, LOGON32_PROVIDER_DEFAULT);
}

/* The integrity RID of this process's own token, as Windows reports it. */
static DWORD own_integrity(void) {
  HANDLE own = NULL;
  union {
    TOKEN_MANDATORY_LABEL label;
    BYTE bytes[128];
  } level;
  DWORD n = 0;
  assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &own));
  assert_true(GetTokenInformation(own, TokenIntegrityLevel, &level, sizeof level, &n));
  CloseHandle(own);
  return *GetSidSubAuthority(level.label.Label.Sid, (DWORD)(*GetSidSubAuthorityCount(level.label.Label.Sid) - 1));
}

/* The restricted fallback, as recorded, and the token it produced. */
static void expect_restricted(HANDLE token, const char *name) {
  assert_int_equal(restricted.count, 1);
  assert_int_equal(open_count, 1);
  assert_true(opened_process == GetCurrentProcess());
  assert_int_equal(opened_access, TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY);
  assert_int_equal(restricted.flags, DISABLE_MAX_PRIVILEGE);
  assert_int_equal(restricted.disable_count, 2);
  assert_string_equal(restricted.disabled[0], "S-1-5-32-544"); /* Administrators */
  assert_string_equal(restricted.disabled[1], "S-1-5-114");    /* local account and member of Administrators */
  assert_int_equal(restricted.delete_count, 0);
  assert_int_equal(restricted.restrict_count, 0);              /* no restricting SIDs: see job.h */
  assert_ptr_equal(token, restricted.result);
  if (own_integrity() > SECURITY_MANDATORY_MEDIUM_RID) {
    assert_int_equal(integrity_sets, 1);
    assert_string_equal(integrity_sid, "S-1-16-8192");         /* medium */
  } else {
    assert_int_equal(integrity_sets, 0);                       /* never raised */
  }
  size_t len = strlen(name);
  assert_true(len > 13 && strcmp(name + len - 13, " (restricted)") == 0);

  /* Administrators, when this process has the group, is deny-only in the token Windows made (Wine keeps
   * that too; it drops restricting SIDs and privilege removal, which are checked on Windows). */
  BYTE groups_buf[4096];
  DWORD n = 0;
  assert_true(GetTokenInformation(token, TokenGroups, groups_buf, sizeof groups_buf, &n));
  TOKEN_GROUPS *groups = (TOKEN_GROUPS *)(void *)groups_buf;
  for (DWORD i = 0; i < groups->GroupCount; i++) {
    char text[64];
    sid_text(groups->Groups[i].Sid, text, sizeof text);
    if (strcmp(text, "S-1-5-32-544") == 0) {
      assert_true(groups->Groups[i].Attributes & SE_GROUP_USE_FOR_DENY_ONLY);
      assert_false(groups->Groups[i].Attributes & SE_GROUP_ENABLED);
    }
  }
}

/* --- tests ------------------------------------------------------------------------------------------ */
static void test_default_as_the_service(void **state) {
  (void)state;
  void *token = NULL;
  char name[128];
  wctr_errmsg e;
  assert_int_equal(job_identity_token(NULL, &token, name, sizeof name, &e), WCTR_OK);
  assert_int_equal(logon_count, 1);
  expect_service_logon(0, L"LocalService");
  assert_ptr_equal(token, given_token);
  assert_string_equal(name, "NT AUTHORITY\\LOCAL SERVICE");
  assert_int_equal(restricted.count, 0);
  CloseHandle(token);
}

static void test_default_without_tcb_privilege(void **state) {
  (void)state;
  logon_fail = ERROR_PRIVILEGE_NOT_HELD; /* an administrator's `wctrd run` */
  void *token = NULL;
  char name[128];
  wctr_errmsg e;
  assert_int_equal(job_identity_token(NULL, &token, name, sizeof name, &e), WCTR_OK);
  assert_int_equal(logon_count, 1);
  expect_service_logon(0, L"LocalService");
  expect_restricted(token, name);
  CloseHandle(token);
}

static void test_default_with_an_unreadable_token(void **state) {
  (void)state;
  given_sid = NULL; /* Wine's LogonUserW: success, with a token nothing can read */
  void *token = NULL;
  char name[128];
  wctr_errmsg e;
  DWORD before = 0, after = 0;
  assert_true(GetProcessHandleCount(GetCurrentProcess(), &before));
  assert_int_equal(job_identity_token(NULL, &token, name, sizeof name, &e), WCTR_OK);
  assert_true(GetProcessHandleCount(GetCurrentProcess(), &after));
  /* The token returned and nothing else: the unverified one was closed. (Wine's handle count is a stub
   * that says 0; the check is Windows'.) */
  if (before != 0) assert_int_equal(after, before + 1);
  assert_int_equal(logon_count, 1);
  expect_restricted(token, name);
  CloseHandle(token);
}

static void test_default_with_another_account_s_token(void **state) {
  (void)state;
  given_sid = "S-1-5-18"; /* SYSTEM: never used */
  void *token = NULL;
  char name[128];
  wctr_errmsg e;
  assert_int_equal(job_identity_token(NULL, &token, name, sizeof name, &e), WCTR_OK);
  expect_restricted(token, name);
  CloseHandle(token);
}

static void test_default_other_logon_failure_is_an_error(void **state) {
  (void)state;
  logon_fail = ERROR_LOGON_FAILURE;
  void *token = (void *)&logon_fail;
  char name[128] = "x";
  wctr_errmsg e;
  assert_int_equal(job_identity_token(NULL, &token, name, sizeof name, &e), WCTR_ESYSTEM);
  assert_null(token);
  assert_string_equal(name, "");
  assert_non_null(strstr(e.text, "cannot log NT AUTHORITY\\LOCAL SERVICE on"));
  assert_non_null(strstr(e.text, "(error 1326)"));
  assert_int_equal(restricted.count, 0);
}

static void test_network_service(void **state) {
  (void)state;
  static const char *const spellings[] = {"NetworkService", "network service", "NT AUTHORITY\\NetworkService",
                                          "nt authority\\Network Service"};
  given_sid = "S-1-5-20";
  for (size_t i = 0; i < COUNT_OF(spellings); i++) {
    void *token = NULL;
    char name[128];
    wctr_errmsg e;
    if (job_identity_token(spellings[i], &token, name, sizeof name, &e) != WCTR_OK) FAILF("%s: %s", spellings[i], e.text);
    expect_service_logon((int)i, L"NetworkService");
    assert_string_equal(name, "NT AUTHORITY\\NETWORK SERVICE");
    CloseHandle(token);
  }
  assert_int_equal(restricted.count, 0);
}

static void test_local_service_by_name(void **state) {
  (void)state;
  static const char *const spellings[] = {"LocalService", "Local Service", "NT AUTHORITY\\LOCALSERVICE",
                                          "NT Authority\\local service"};
  for (size_t i = 0; i < COUNT_OF(spellings); i++) {
    void *token = NULL;
    char name[128];
    wctr_errmsg e;
    if (job_identity_token(spellings[i], &token, name, sizeof name, &e) != WCTR_OK) FAILF("%s: %s", spellings[i], e.text);
    expect_service_logon((int)i, L"LocalService");
    assert_string_equal(name, "NT AUTHORITY\\LOCAL SERVICE");
    CloseHandle(token);
  }
}

/* A named account is that account or an error: no fallback to the restricted token. */
static void test_named_account_without_tcb_privilege(void **state) {
  (void)state;
  logon_fail = ERROR_PRIVILEGE_NOT_HELD;
  void *token = NULL;
  wctr_errmsg e;
  assert_int_equal(job_identity_token("LocalService", &token, NULL, 0, &e), WCTR_EACCES);
  assert_null(token);
  assert_non_null(strstr(e.text, "needs wctrd to run as the wctrd service"));
  assert_int_equal(restricted.count, 0);
  logon_fail = 0;
  given_sid = "S-1-5-19";
  assert_int_equal(job_identity_token("NetworkService", &token, NULL, 0, &e), WCTR_ESYSTEM);
  assert_null(token);
  assert_non_null(strstr(e.text, "not that account (it is NT AUTHORITY\\"));
  given_sid = NULL;
  assert_int_equal(job_identity_token("NetworkService", &token, NULL, 0, &e), WCTR_ESYSTEM);
  assert_non_null(strstr(e.text, "its user cannot be read, error 6"));
  assert_int_equal(restricted.count, 0);
}

static void test_refused_users(void **state) {
  (void)state;
  static const struct {
    const char *user;
    const char *reason;
  } cases[] = {
      {"SYSTEM", "never runs a container's process as SYSTEM"},
      {"NT AUTHORITY\\SYSTEM", "never runs a container's process as SYSTEM"},
      {"LocalSystem", "never runs a container's process as SYSTEM"},
      {"ContainerUser", "exists only inside process- and Hyper-V-isolated containers"},
      {"User Manager\\ContainerAdministrator", "exists only inside process- and Hyper-V-isolated containers"},
      {"bob", "other accounts need a password, which wctr does not take"},
      {"CONTOSO\\svc-web", "other accounts need a password, which wctr does not take"},
      {"NT AUTHORITY\\IUSR", "other accounts need a password, which wctr does not take"},
      {"", "the user name is empty"},
  };
  for (size_t i = 0; i < COUNT_OF(cases); i++) {
    void *token = NULL;
    wctr_errmsg e;
    assert_int_equal(job_identity_token(cases[i].user, &token, NULL, 0, &e), WCTR_EINVAL);
    assert_null(token);
    if (strstr(e.text, cases[i].reason) == NULL) FAILF("\"%s\": %s", cases[i].user, e.text);
  }
  assert_int_equal(logon_count, 0); /* refused before anything is asked of Windows */
  assert_int_equal(restricted.count, 0);
}

static void test_spawn_uses_the_chosen_token(void **state) {
  (void)state;
  wctr_errmsg e;
  job_object *job = NULL;
  assert_int_equal(job_create(jobs_test_name("identity"), NULL, &job, &e), WCTR_OK);
  job_process p;
  if (jobs_test_spawn_helper(job, "exit 5", NULL, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  assert_ptr_equal(spawned_with, given_token); /* the LocalService logon's token */
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 5);
  job_process_close(&p);

  logon_fail = ERROR_PRIVILEGE_NOT_HELD;
  if (jobs_test_spawn_helper(job, "exit 6", NULL, &p, &e) != WCTR_OK) FAILF("job_spawn: %s", e.text);
  assert_ptr_equal(spawned_with, restricted.result);
  assert_int_equal(jobs_test_exit_code(p.process, JOBS_T), 6);
  job_process_close(&p);

  /* A refused identity starts nothing. */
  job_spawn_spec spec = {.command_line = jobs_helper_cmdline("exit 0"), .user = "Administrator"};
  spawned_with = NULL;
  assert_int_equal(job_spawn(job, &spec, &p, &e), WCTR_EINVAL);
  assert_null(spawned_with);
  job_close(job);
}

int main(int argc, char **argv) {
  int helper = jobs_helper_main(argc, argv);
  if (helper >= 0) return helper;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_default_as_the_service, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_without_tcb_privilege, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_with_an_unreadable_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_with_another_account_s_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_other_logon_failure_is_an_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_network_service, setup, teardown),
      cmocka_unit_test_setup_teardown(test_local_service_by_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_named_account_without_tcb_privilege, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_users, setup, teardown),
      cmocka_unit_test_setup_teardown(test_spawn_uses_the_chosen_token, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
