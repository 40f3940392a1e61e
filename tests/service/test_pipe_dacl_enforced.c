/* Windows-only: the pipe's DACL is enforced. A caller stripped of Administrators (deny-only) and not in
 * a granted group is refused; the same caller gets in once its group is granted with --group.
 * Wine keeps pipe descriptors but does not enforce them (REFERENCE.md, Wine 8.0), so under Wine this
 * suite reports itself skipped; the Windows workflow runs it. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "acl/descriptors.h"
#include "common/ioc.h"
#include "common/log.h"
#include "service/ops.h"
#include "service/server.h"
#include "testutil.h"

static char pipe_path[128];

/* A server with no operations: only who may open the pipe matters here. */
static wctr_ioc *ioc;
static svc_ops *ops;

/* Opens the pipe while impersonating this process's own token minus Administrators. */
static DWORD open_as_non_admin(void) {
  HANDLE process_token = NULL;
  HANDLE restricted = NULL;
  HANDLE impersonation = NULL;
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof admins;
  DWORD result = ERROR_SUCCESS;
  assert_true(CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &size));
  SID_AND_ATTRIBUTES deny = {.Sid = admins, .Attributes = 0};
  assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY | TOKEN_ASSIGN_PRIMARY,
                               &process_token));
  assert_true(CreateRestrictedToken(process_token, DISABLE_MAX_PRIVILEGE, 1, &deny, 0, NULL, 0, NULL, &restricted));
  assert_true(DuplicateTokenEx(restricted, TOKEN_IMPERSONATE | TOKEN_QUERY, NULL, SecurityImpersonation,
                               TokenImpersonation, &impersonation));
  assert_true(SetThreadToken(NULL, impersonation));
  wchar_t wide[128];
  MultiByteToWideChar(CP_UTF8, 0, pipe_path, -1, wide, 128);
  HANDLE h = CreateFileW(wide, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (h == INVALID_HANDLE_VALUE) {
    result = GetLastError();
  } else {
    CloseHandle(h);
  }
  assert_true(RevertToSelf());
  CloseHandle(impersonation);
  CloseHandle(restricted);
  CloseHandle(process_token);
  return result;
}

static svc_server *start(const char *const *groups, size_t count) {
  char name[64];
  wctr_test_unique_name("wctr-dacl", name, sizeof name);
  snprintf(pipe_path, sizeof pipe_path, "\\\\.\\pipe\\%s", name);
  char *sddl = NULL;
  wctr_errmsg e;
  assert_int_equal(acl_pipe_sddl(groups, count, &sddl, &e), WCTR_OK);
  svc_server_options opt = {.pipe_path = pipe_path, .sddl = sddl, .ioc = ioc, .api = {.ioc = ioc, .ops = ops}};
  svc_server *s = NULL;
  assert_int_equal(svc_server_start(&opt, &s, &e), WCTR_OK);
  free(sddl);
  return s;
}

static void test_non_admin_is_refused(void **state) {
  (void)state;
  svc_server *s = start(NULL, 0);
  assert_int_equal(open_as_non_admin(), ERROR_ACCESS_DENIED);
  svc_server_stop(s, 5000);
}

static void test_granted_group_gets_in(void **state) {
  (void)state;
  /* Every interactive or service logon carries Users (S-1-5-32-545) or Authenticated Users; grant both so
   * the restricted token qualifies by one of them. */
  const char *groups[] = {"S-1-5-32-545", "S-1-5-11"};
  svc_server *s = start(groups, 2);
  assert_int_equal(open_as_non_admin(), ERROR_SUCCESS);
  svc_server_stop(s, 5000);
}

int main(void) {
  wctr_test_require_windows("Wine does not enforce named-pipe DACLs; the descriptor itself is asserted by "
                            "service_pipe_server");
  wctr_log_configure(WCTR_LOG_ERROR, NULL, NULL);
  wctr_errmsg e;
  wctr_ioc_options io = {0};
  if (wctr_ioc_start(&io, &ioc, &e) != WCTR_OK || svc_ops_new(ioc, NULL, NULL, &ops, &e) != WCTR_OK) {
    fprintf(stderr, "setup: %s\n", e.text);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_non_admin_is_refused),
      cmocka_unit_test(test_granted_group_gets_in),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  svc_ops_free(ops);
  wctr_ioc_stop(ioc);
  return rc;
}
