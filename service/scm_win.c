/* service/scm_win.c - install, uninstall, and the service entry point. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl_win.h"
#include "common/cmdline.h"
#include "common/log.h"
#include "common/wstr.h"
#include "service/engine.h"
#include "service/audit.h"
#include "service/scm.h"

enum {
  START_WAIT_HINT_MS = 30000,
  STOP_WAIT_HINT_MS = 15000,
  UNINSTALL_STOP_WAIT_MS = 30000,
};

/* --- install / uninstall --------------------------------------------------------------------------- */

static wctr_err service_command_line(const svc_args *args, wchar_t **out, wctr_errmsg *e) {
  wctr_cmdline cl = {0};
  wchar_t exe[MAX_PATH];
  char *exe_utf8 = NULL;
  wctr_err err = WCTR_OK;
  *out = NULL;
  DWORD n = GetModuleFileNameW(NULL, exe, ARRAYSIZE(exe));
  if (n == 0 || n >= ARRAYSIZE(exe)) return wctr_fail(e, WCTR_ESYSTEM, "cannot find wctrd.exe's own path");
  exe_utf8 = wctr_wide_to_utf8(exe);
  if (exe_utf8 == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  const svc_config *f = &args->flags;
  char level[16];
  snprintf(level, sizeof level, "%s", wctr_log_level_name(f->log_level));
  bool ok = wctr_cmdline_append(&cl, exe_utf8) == WCTR_OK && wctr_cmdline_append(&cl, "service") == WCTR_OK &&
            wctr_cmdline_append(&cl, "--service-name") == WCTR_OK &&
            wctr_cmdline_append(&cl, args->service_name) == WCTR_OK;
  if (ok && args->data_root != NULL) {
    /* The service starts in System32: a relative data root must be made absolute now. */
    wchar_t *given = wctr_utf8_to_wide(args->data_root);
    wchar_t full[1024];
    DWORD len = given != NULL ? GetFullPathNameW(given, ARRAYSIZE(full), full, NULL) : 0;
    free(given);
    char *full_utf8 = len > 0 && len < ARRAYSIZE(full) ? wctr_wide_to_utf8(full) : NULL;
    if (full_utf8 == NULL) {
      err = wctr_fail(e, WCTR_EINVAL, "--data-root \"%s\" is not a usable path", args->data_root);
      goto done;
    }
    ok = wctr_cmdline_append(&cl, "--data-root") == WCTR_OK && wctr_cmdline_append(&cl, full_utf8) == WCTR_OK;
    free(full_utf8);
  }
  if (ok && f->pipe_set) {
    ok = wctr_cmdline_append(&cl, "--pipe") == WCTR_OK && wctr_cmdline_append(&cl, f->pipe_path) == WCTR_OK;
  }
  for (size_t i = 0; ok && i < f->group_count; i++) {
    ok = wctr_cmdline_append(&cl, "--group") == WCTR_OK && wctr_cmdline_append(&cl, f->groups[i]) == WCTR_OK;
  }
  for (size_t i = 0; ok && i < f->docker_api_count; i++) {
    ok = wctr_cmdline_append(&cl, "--docker-api") == WCTR_OK && wctr_cmdline_append(&cl, f->docker_api[i].text) == WCTR_OK;
  }
  if (ok && f->log_level_set) {
    ok = wctr_cmdline_append(&cl, "--log-level") == WCTR_OK && wctr_cmdline_append(&cl, level) == WCTR_OK;
  }
  if (!ok) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  *out = wctr_utf8_to_wide(cl.text);
  if (*out == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
done:
  free(exe_utf8);
  wctr_cmdline_free(&cl);
  return err;
}

static wctr_err scm_open(DWORD access, SC_HANDLE *out, wctr_errmsg *e) {
  *out = OpenSCManagerW(NULL, NULL, access);
  if (*out != NULL) return WCTR_OK;
  DWORD code = GetLastError();
  wctr_log_win32("OpenSCManagerW", code, "service control manager");
  if (code == ERROR_ACCESS_DENIED) {
    return wctr_fail(e, WCTR_EACCES, "the Service Control Manager refused access: run as an administrator");
  }
  return wctr_fail(e, wctr_from_win32(code), "cannot open the Service Control Manager (error %lu)",
                   (unsigned long)code);
}

wctr_err svc_scm_install(svc_args *args, wctr_errmsg *e) {
  SC_HANDLE scm = NULL;
  SC_HANDLE service = NULL;
  wchar_t *cmdline = NULL;
  wchar_t *name = NULL;
  wctr_err err;
  /* Resolve every group now: a typo must fail the install, not the service's first start. */
  for (size_t i = 0; i < args->flags.group_count; i++) {
    char sid[192];
    err = acl_lookup_sid(args->flags.groups[i], sid, sizeof sid, e);
    if (err != WCTR_OK) return err;
  }
  err = service_command_line(args, &cmdline, e);
  if (err != WCTR_OK) goto done;
  name = wctr_utf8_to_wide(args->service_name);
  if (name == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  err = scm_open(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE, &scm, e);
  if (err != WCTR_OK) goto done;
  service = CreateServiceW(scm, name, L"wctr container engine", SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                           SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmdline, NULL, NULL, NULL, NULL, NULL);
  if (service == NULL) {
    DWORD code = GetLastError();
    wctr_log_win32("CreateServiceW", code, "service %s", args->service_name);
    if (code == ERROR_SERVICE_EXISTS || code == ERROR_DUPLICATE_SERVICE_NAME) {
      err = wctr_fail(e, WCTR_EEXIST, "a service named %s already exists; run `wctrd uninstall --service-name %s` first",
                      args->service_name, args->service_name);
    } else {
      err = wctr_fail(e, wctr_from_win32(code), "cannot create the service %s (error %lu)", args->service_name,
                      (unsigned long)code);
    }
    goto done;
  }
  /* Optional extras: a description for services.msc and restarts after a crash. The service works
   * without them, so a host that refuses them gets a warning, not a failed install. */
  SERVICE_DESCRIPTIONW desc = {
      .lpDescription = L"Runs Windows containers (process, Hyper-V and job isolation) for the wctr command line."};
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_DESCRIPTION, &desc)) {
    wctr_log(WCTR_LOG_WARN, "could not set the service description (error %lu)", (unsigned long)GetLastError());
  }
  SC_ACTION actions[] = {{SC_ACTION_RESTART, 15000}, {SC_ACTION_RESTART, 60000}, {SC_ACTION_NONE, 0}};
  SERVICE_FAILURE_ACTIONSW failure = {.dwResetPeriod = 86400, .cActions = ARRAYSIZE(actions), .lpsaActions = actions};
  if (!ChangeServiceConfig2W(service, SERVICE_CONFIG_FAILURE_ACTIONS, &failure)) {
    wctr_log(WCTR_LOG_WARN, "could not set restart-on-failure (error %lu)", (unsigned long)GetLastError());
  }
  /* The audit trail's Event Log source (service/audit.h). */
  wchar_t exe[MAX_PATH];
  DWORD exe_len = GetModuleFileNameW(NULL, exe, ARRAYSIZE(exe));
  wctr_errmsg ee;
  if (exe_len == 0 || exe_len >= ARRAYSIZE(exe) || svc_audit_register_source(exe, &ee) != WCTR_OK) {
    wctr_log(WCTR_LOG_WARN, "the event log source wctrd is not registered; audit records go to the audit file only");
  }
done:
  if (service != NULL) CloseServiceHandle(service);
  if (scm != NULL) CloseServiceHandle(scm);
  free(name);
  free(cmdline);
  return err;
}

wctr_err svc_scm_uninstall(const svc_args *args, wctr_errmsg *e) {
  SC_HANDLE scm = NULL;
  SC_HANDLE service = NULL;
  wchar_t *name = wctr_utf8_to_wide(args->service_name);
  wctr_err err = WCTR_OK;
  if (name == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  err = scm_open(SC_MANAGER_CONNECT, &scm, e);
  if (err != WCTR_OK) goto done;
  service = OpenServiceW(scm, name, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
  if (service == NULL) {
    DWORD code = GetLastError();
    err = code == ERROR_SERVICE_DOES_NOT_EXIST
              ? wctr_fail(e, WCTR_ENOENT, "no service named %s is installed", args->service_name)
              : wctr_fail(e, wctr_log_win32("OpenServiceW", code, "%s", args->service_name),
                          "cannot open the service %s (error %lu)", args->service_name, (unsigned long)code);
    goto done;
  }
  SERVICE_STATUS status;
  if (ControlService(service, SERVICE_CONTROL_STOP, &status)) {
    DWORD start = GetTickCount();
    while (QueryServiceStatus(service, &status) && status.dwCurrentState != SERVICE_STOPPED &&
           GetTickCount() - start < UNINSTALL_STOP_WAIT_MS) {
      Sleep(100);
    }
    if (status.dwCurrentState != SERVICE_STOPPED) {
      wctr_log(WCTR_LOG_WARN, "service %s did not stop within %d s; removing it anyway", args->service_name,
               UNINSTALL_STOP_WAIT_MS / 1000);
    }
  }
  if (!DeleteService(service)) {
    DWORD code = GetLastError();
    if (code != ERROR_SERVICE_MARKED_FOR_DELETE) {
      err = wctr_fail(e, wctr_log_win32("DeleteService", code, "%s", args->service_name),
                      "cannot remove the service %s (error %lu)", args->service_name, (unsigned long)code);
    }
  }
  if (err == WCTR_OK) svc_audit_deregister_source();
done:
  if (service != NULL) CloseServiceHandle(service);
  if (scm != NULL) CloseServiceHandle(scm);
  free(name);
  return err;
}

/* --- running as a service -------------------------------------------------------------------------- */

static struct {
  svc_args *args;
  SERVICE_STATUS_HANDLE handle;
  SERVICE_STATUS status;
  HANDLE stop_event;
  CRITICAL_SECTION lock;
} scm;

static void report(DWORD state, DWORD exit_code, DWORD specific, DWORD wait_hint) {
  EnterCriticalSection(&scm.lock);
  scm.status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  scm.status.dwCurrentState = state;
  scm.status.dwWin32ExitCode = exit_code;
  scm.status.dwServiceSpecificExitCode = specific;
  scm.status.dwWaitHint = wait_hint;
  scm.status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
  scm.status.dwCheckPoint = state == SERVICE_RUNNING || state == SERVICE_STOPPED ? 0 : scm.status.dwCheckPoint + 1;
  if (!SetServiceStatus(scm.handle, &scm.status)) {
    wctr_log_win32("SetServiceStatus", GetLastError(), "state %lu", (unsigned long)state);
  }
  LeaveCriticalSection(&scm.lock);
}

static DWORD WINAPI control_handler(DWORD control, DWORD type, LPVOID data, LPVOID ctx) {
  (void)type;
  (void)data;
  (void)ctx;
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
      report(SERVICE_STOP_PENDING, NO_ERROR, 0, STOP_WAIT_HINT_MS);
      SetEvent(scm.stop_event);
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
      return NO_ERROR;
  }
  return ERROR_CALL_NOT_IMPLEMENTED;
}

static void WINAPI service_main(DWORD argc, LPWSTR *argv) {
  (void)argc;
  (void)argv; /* the settings come from the service's command line, parsed before the dispatcher */
  svc_engine *eng = NULL;
  wctr_errmsg e;
  wchar_t *name = wctr_utf8_to_wide(scm.args->service_name);
  scm.handle = RegisterServiceCtrlHandlerExW(name != NULL ? name : L"wctrd", control_handler, NULL);
  free(name);
  if (scm.handle == NULL) {
    wctr_log_win32("RegisterServiceCtrlHandlerExW", GetLastError(), "service %s", scm.args->service_name);
    return;
  }
  report(SERVICE_START_PENDING, NO_ERROR, 0, START_WAIT_HINT_MS);
  svc_engine_options opt = {.data_root = scm.args->data_root, .flags = &scm.args->flags, .log_to_stderr = false};
  wctr_err err = svc_engine_start(&opt, &eng, &e);
  if (err != WCTR_OK) {
    /* The SCM shows a service-specific code; the sentence is in the log (or the event log later). */
    report(SERVICE_STOPPED, ERROR_SERVICE_SPECIFIC_ERROR, (DWORD)err, 0);
    return;
  }
  report(SERVICE_RUNNING, NO_ERROR, 0, 0);
  WaitForSingleObject(scm.stop_event, INFINITE);
  report(SERVICE_STOP_PENDING, NO_ERROR, 0, STOP_WAIT_HINT_MS);
  svc_engine_stop(eng);
  report(SERVICE_STOPPED, NO_ERROR, 0, 0);
}

wctr_err svc_scm_run(svc_args *args, wctr_errmsg *e) {
  scm.args = args;
  InitializeCriticalSection(&scm.lock);
  scm.stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (scm.stop_event == NULL) return wctr_fail(e, WCTR_ESYSTEM, "cannot create an event");
  wchar_t *name = wctr_utf8_to_wide(args->service_name);
  SERVICE_TABLE_ENTRYW table[] = {{name, service_main}, {NULL, NULL}};
  wctr_err err = WCTR_OK;
  if (!StartServiceCtrlDispatcherW(table)) {
    DWORD code = GetLastError();
    if (code == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
      err = wctr_fail(e, WCTR_ENOTSUP,
                      "`wctrd service` is started by the Service Control Manager; in a console use `wctrd run`");
    } else {
      err = wctr_fail(e, wctr_log_win32("StartServiceCtrlDispatcherW", code, "service %s", args->service_name),
                      "cannot connect to the Service Control Manager (error %lu)", (unsigned long)code);
    }
  }
  free(name);
  CloseHandle(scm.stop_event);
  return err;
}
