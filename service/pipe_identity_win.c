/* service/pipe_identity_win.c - identifying a named pipe's client (contract in service/pipe_identity.h). */
#include <windows.h>

#include <sddl.h>
#include <stdint.h>

#include "acl/acl_win.h"
#include "common/log.h"
#include "service/pipe_identity.h"
#include "service/svc_sys.h"

bool svc_pipe_identify(HANDLE pipe, svc_caller *caller) {
  HANDLE token = NULL;
  BYTE buf[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
  DWORD size = 0;
  wchar_t *sid_text = NULL;
  bool ok = false;
  ULONG pid = 0;
  if (GetNamedPipeClientProcessId(pipe, &pid)) caller->pid = (uint32_t)pid;
  if (!svc_sys.ImpersonateNamedPipeClient(pipe)) {
    wctr_log_win32("ImpersonateNamedPipeClient", GetLastError(), "client pid %lu", (unsigned long)pid);
    return false;
  }
  BOOL opened = OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token);
  DWORD open_code = GetLastError();
  /* Reverting is not optional: a worker that kept the client's identity would serve the next client with
   * it. If it ever fails, the process must not go on. */
  if (!RevertToSelf()) {
    wctr_log_win32("RevertToSelf", GetLastError(), "after identifying a client; terminating");
    TerminateProcess(GetCurrentProcess(), 1);
  }
  if (!opened) {
    wctr_log_win32("OpenThreadToken", open_code, "client pid %lu", (unsigned long)pid);
    return false;
  }
  if (!GetTokenInformation(token, TokenUser, buf, sizeof buf, &size)) {
    wctr_log_win32("GetTokenInformation", GetLastError(), "client pid %lu", (unsigned long)pid);
    goto done;
  }
  PSID sid = ((TOKEN_USER *)buf)->User.Sid;
  if (!ConvertSidToStringSidW(sid, &sid_text) ||
      WideCharToMultiByte(CP_UTF8, 0, sid_text, -1, caller->sid, sizeof caller->sid, NULL, NULL) <= 0) {
    goto done;
  }
  acl_account_name(sid, caller->name, sizeof caller->name);
  /* An impersonation token, as CheckTokenMembership wants: counts only an enabled Administrators group, so
   * a UAC-filtered (deny-only) administrator is not one. */
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD admins_size = sizeof admins;
  BOOL member = FALSE;
  caller->admin = CreateWellKnownSid(WinBuiltinAdministratorsSid, NULL, admins, &admins_size) &&
                    CheckTokenMembership(token, admins, &member) && member;
  ok = true;
done:
  if (sid_text != NULL) LocalFree(sid_text);
  CloseHandle(token);
  return ok;
}
