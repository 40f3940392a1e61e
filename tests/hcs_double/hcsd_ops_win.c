/* tests/hcs_double/hcsd_ops_win.c - operations, the dispatcher thread and helpers of computecore.dll.
 *
 * HCS's model: the client creates an operation, passes it to one call, waits for (or is called back
 * with) its result, and closes it. Like HCS, the double completes operations whose work is done
 * inside the call at once, and delivers every callback on its own thread (the dispatcher), never
 * inside the client's call: a client that holds a lock across an HCS call and takes it again in a
 * callback deadlocks here as it would against the real service. A delay knob defers the work itself
 * (on a thread of its own), so a wait can time out and HcsCancelOperation can stop work that has
 * not run yet. */
#include "hcsd_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

SRWLOCK g_core_lock = SRWLOCK_INIT;
CONDITION_VARIABLE g_core_cv = CONDITION_VARIABLE_INIT;

static unsigned long long g_next_serial = 1;
static unsigned long long g_next_op_id = 1;
static hcsd_op *g_ops;

/* The dispatcher's queue of callbacks to deliver, first in first out. */
static hcsd_task *g_queue, *g_queue_tail;
static bool g_dispatcher_running;
static DWORD g_dispatcher_tid;
static CONDITION_VARIABLE g_queue_cv = CONDITION_VARIABLE_INIT;

uintptr_t hcsd_new_handle(hcsd_kind kind) {
  /* With g_core_lock held. Low bits: the kind; the rest: a serial that never repeats. */
  return (uintptr_t)((g_next_serial++ << 4) | (unsigned)kind);
}

wchar_t *hcsd_json_to_wide(cJSON *json) {
  char *text = cJSON_PrintUnformatted(json);
  if (text == NULL) hcsd_oom();
  wchar_t *wide = hcsd_wide(text);
  cJSON_free(text);
  cJSON_Delete(json);
  return wide;
}

void hcsd_iso_time(const FILETIME *ft, char out[40]) {
  SYSTEMTIME st;
  ULARGE_INTEGER u;
  u.LowPart = ft->dwLowDateTime;
  u.HighPart = ft->dwHighDateTime;
  FileTimeToSystemTime(ft, &st);
  snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%07uZ", st.wYear, st.wMonth, st.wDay, st.wHour, st.wMinute,
           st.wSecond, (unsigned)(u.QuadPart % 10000000ULL));
}

/* ---- threads that pin the DLL ---- */

typedef struct thread_start {
  DWORD(WINAPI *fn)(void *);
  void *arg;
  HMODULE module;
} thread_start;

static DWORD WINAPI thread_main(void *p) {
  thread_start s = *(thread_start *)p;
  free(p);
  DWORD rc = s.fn(s.arg);
  FreeLibraryAndExitThread(s.module, rc);
}

bool hcsd_start_thread(DWORD(WINAPI *fn)(void *), void *arg) {
  thread_start *s = malloc(sizeof *s);
  if (s == NULL) hcsd_oom();
  s->fn = fn;
  s->arg = arg;
  /* A reference on this DLL for the thread's lifetime, released by FreeLibraryAndExitThread. */
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, (LPCWSTR)(void *)&thread_main, &s->module)) {
    free(s);
    return false;
  }
  HANDLE t = CreateThread(NULL, 0, thread_main, s, 0, NULL);
  if (t == NULL) {
    FreeLibrary(s->module);
    free(s);
    return false;
  }
  CloseHandle(t);
  return true;
}

/* ---- the dispatcher ---- */

bool hcsd_on_dispatcher(void) {
  return g_dispatcher_running && GetCurrentThreadId() == g_dispatcher_tid;
}

static DWORD WINAPI dispatcher_main(void *arg) {
  (void)arg;
  AcquireSRWLockExclusive(&g_core_lock);
  g_dispatcher_tid = GetCurrentThreadId();
  for (;;) {
    if (g_queue == NULL) {
      /* Idle for a while: end, so that a client can unload the DLL; the next post starts another. */
      if (!SleepConditionVariableSRW(&g_queue_cv, &g_core_lock, 2000, 0) && g_queue == NULL) break;
      continue;
    }
    hcsd_task *t = g_queue;
    g_queue = t->next;
    if (g_queue == NULL) g_queue_tail = NULL;
    ReleaseSRWLockExclusive(&g_core_lock);
    t->run(t);
    AcquireSRWLockExclusive(&g_core_lock);
    t->drop(t);
  }
  g_dispatcher_running = false;
  g_dispatcher_tid = 0;
  ReleaseSRWLockExclusive(&g_core_lock);
  return 0;
}

void hcsd_post_locked(hcsd_task *task) {
  task->next = NULL;
  if (g_queue_tail != NULL) {
    g_queue_tail->next = task;
  } else {
    g_queue = task;
  }
  g_queue_tail = task;
  if (!g_dispatcher_running) {
    g_dispatcher_running = true;
    if (!hcsd_start_thread(dispatcher_main, NULL)) hcsd_oom();
  }
  WakeAllConditionVariable(&g_queue_cv);
}

/* ---- event and completion callbacks ---- */

typedef struct event_task {
  hcsd_task task;
  uintptr_t target; /* a system or process handle value */
  HCS_EVENT_TYPE type;
  wchar_t *data;
  hcsd_op *op; /* HcsEventOperationCallback */
} event_task;

static void event_run(hcsd_task *t) {
  event_task *e = (event_task *)t;
  hcsd_sysh *sh = NULL;
  hcsd_proch *ph = NULL;
  HCS_EVENT_CALLBACK cb = NULL;
  void *ctx = NULL;
  AcquireSRWLockExclusive(&g_core_lock);
  if ((e->target & 0xf) == HK_SYSTEM) {
    sh = hcsd_sysh_find((HCS_SYSTEM)e->target);
    if (sh != NULL && sh->callback != NULL) {
      cb = sh->callback;
      ctx = sh->context;
      sh->callbacks_running++;
    }
  } else {
    ph = hcsd_proch_find((HCS_PROCESS)e->target);
    if (ph != NULL && ph->callback != NULL) {
      cb = ph->callback;
      ctx = ph->context;
      ph->callbacks_running++;
    }
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  if (cb == NULL) return; /* the handle was closed before the event came */
  HCS_EVENT event;
  event.Type = e->type;
  event.EventData = e->data;
  event.Operation = e->op != NULL ? (HCS_OPERATION)e->op->value : NULL;
  cb(&event, ctx);
  AcquireSRWLockExclusive(&g_core_lock);
  /* A callback may close its own handle; the close left the freeing to us. */
  if (sh != NULL && --sh->callbacks_running == 0 && sh->closed) hcsd_sysh_release_locked(sh);
  if (ph != NULL && --ph->callbacks_running == 0 && ph->closed) hcsd_proch_release_locked(ph);
  WakeAllConditionVariable(&g_core_cv);
  ReleaseSRWLockExclusive(&g_core_lock);
}

static void event_drop(hcsd_task *t) {
  event_task *e = (event_task *)t;
  if (e->op != NULL) hcsd_op_unref_locked(e->op);
  free(e->data);
  free(e);
}

void hcsd_post_event_locked(uintptr_t target, HCS_EVENT_TYPE type, const char *data, hcsd_op *op) {
  event_task *e = calloc(1, sizeof *e);
  if (e == NULL) hcsd_oom();
  e->task.run = event_run;
  e->task.drop = event_drop;
  e->target = target;
  e->type = type;
  e->data = data != NULL ? hcsd_wide(data) : NULL;
  e->op = op;
  if (op != NULL) hcsd_op_ref(op);
  hcsd_post_locked(&e->task);
}

void hcsd_sys_event_locked(hcsd_sys *sys, HCS_EVENT_TYPE type, const char *data) {
  for (hcsd_sysh *h = g_syshandles; h != NULL; h = h->next) {
    if (h->sys == sys && h->callback != NULL) hcsd_post_event_locked(h->value, type, data, NULL);
  }
}

void hcsd_proc_exit_data(const hcsd_proc *proc, char *out, size_t out_size) {
  snprintf(out, out_size, "{\"ProcessId\":%lu,\"Exited\":true,\"ExitCode\":%lu,\"LastWaitResult\":0}",
           (unsigned long)proc->pid, (unsigned long)proc->exit_code);
}

void hcsd_proc_exited_locked(hcsd_proc *proc) {
  if (proc->exit_reported) return;
  proc->exit_reported = true;
  if (proc->state == PROC_RUNNING) {
    DWORD code = 0;
    if (proc->process != NULL && GetExitCodeProcess(proc->process, &code) && code != STILL_ACTIVE) {
      proc->exit_code = code;
    }
    proc->state = PROC_EXITED;
  }
  if (proc->stdin_stop != NULL) SetEvent(proc->stdin_stop);
  char data[160];
  hcsd_proc_exit_data(proc, data, sizeof data);
  for (hcsd_proch *h = g_prochandles; h != NULL; h = h->next) {
    if (h->proc == proc && h->callback != NULL) hcsd_post_event_locked(h->value, HcsEventProcessExited, data, NULL);
  }
}

typedef struct completion_task {
  hcsd_task task;
  hcsd_op *op;
} completion_task;

static void completion_run(hcsd_task *t) {
  hcsd_op *op = ((completion_task *)t)->op;
  AcquireSRWLockExclusive(&g_core_lock);
  bool call = op->open && op->callback != NULL;
  if (call) op->callbacks_running++;
  ReleaseSRWLockExclusive(&g_core_lock);
  if (!call) return;
  op->callback((HCS_OPERATION)op->value, (void *)op->context);
  AcquireSRWLockExclusive(&g_core_lock);
  op->callbacks_running--;
  WakeAllConditionVariable(&g_core_cv);
  ReleaseSRWLockExclusive(&g_core_lock);
}

static void completion_drop(hcsd_task *t) {
  hcsd_op_unref_locked(((completion_task *)t)->op);
  free(t);
}

/* ---- operations ---- */

hcsd_op *hcsd_op_find(HCS_OPERATION handle) {
  uintptr_t v = (uintptr_t)handle;
  if ((v & 0xf) != HK_OP) return NULL;
  for (hcsd_op *op = g_ops; op != NULL; op = op->next) {
    if (op->value == v) return op;
  }
  return NULL;
}

void hcsd_op_ref(hcsd_op *op) {
  op->refs++;
}

void hcsd_op_unref_locked(hcsd_op *op) {
  if (--op->refs > 0) return;
  if (op->proc != NULL) hcsd_proc_unref_locked(op->proc);
  free(op->doc);
  CloseHandle(op->done);
  free(op);
}

HRESULT hcsd_op_begin_locked(hcsd_op *op, HCS_OPERATION_TYPE type, uintptr_t target, bool target_wants_ops) {
  if (op->state != OP_IDLE) return HCS_E_OPERATION_ALREADY_STARTED;
  if (op->callback != NULL && target_wants_ops) return HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET;
  op->state = OP_PENDING;
  op->type = type;
  op->target = target_wants_ops ? target : 0;
  return S_OK;
}

void hcsd_op_complete_locked(hcsd_op *op, HRESULT result, wchar_t *doc, hcsd_proc *proc) {
  if (op->state == OP_DONE) {
    free(doc); /* canceled meanwhile: the late result goes nowhere */
    return;
  }
  op->state = OP_DONE;
  op->result = result;
  op->doc = doc;
  if (proc != NULL) {
    hcsd_proc_ref(proc);
    op->proc = proc;
  }
  SetEvent(op->done);
  if (!op->open) return;
  if (op->callback != NULL) {
    completion_task *c = calloc(1, sizeof *c);
    if (c == NULL) hcsd_oom();
    c->task.run = completion_run;
    c->task.drop = completion_drop;
    c->op = op;
    hcsd_op_ref(op);
    hcsd_post_locked(&c->task);
  } else if (op->target != 0) {
    hcsd_post_event_locked(op->target, HcsEventOperationCallback, NULL, op);
  }
}

/* ---- work ---- */

hcsd_work *hcsd_work_new(hcsd_work_fn fn) {
  hcsd_work *w = calloc(1, sizeof *w);
  if (w == NULL) hcsd_oom();
  w->fn = fn;
  return w;
}

static void work_free_locked(hcsd_work *w) {
  if (w->op != NULL) hcsd_op_unref_locked(w->op);
  if (w->proc != NULL) hcsd_proc_unref_locked(w->proc);
  if (w->sys != NULL) hcsd_sys_unref_locked(w->sys);
  free(w->text);
  free(w);
}

static void work_run(hcsd_work *w) {
  AcquireSRWLockExclusive(&g_core_lock);
  bool canceled = w->op->state == OP_DONE;
  if (canceled && w->on_failure != NULL) w->on_failure(w, w->op->result, "canceled");
  ReleaseSRWLockExclusive(&g_core_lock);
  if (canceled) return;
  cJSON *result = NULL;
  char detail[1200] = "";
  HRESULT hr = w->injected;
  if (FAILED(hr)) {
    snprintf(detail, sizeof detail, "injected by a fail rule of the HCS test double");
  } else {
    hr = w->fn(w, &result, detail, sizeof detail);
  }
  wchar_t *doc = NULL;
  if (FAILED(hr)) {
    cJSON_Delete(result);
    doc = hcsd_error_doc(hr, detail);
  } else if (result != NULL) {
    doc = hcsd_json_to_wide(result);
  }
  AcquireSRWLockExclusive(&g_core_lock);
  if (FAILED(hr) && w->on_failure != NULL) w->on_failure(w, hr, detail);
  hcsd_op_complete_locked(w->op, hr, doc, SUCCEEDED(hr) ? w->proc : NULL);
  ReleaseSRWLockExclusive(&g_core_lock);
}

/* Deferred work sleeps out its delay and runs on a thread of its own: not on the dispatcher, as a
 * client callback (running there) may wait for an operation whose work is deferred. */
static DWORD WINAPI deferred_work(void *arg) {
  hcsd_work *w = arg;
  Sleep(w->delay_ms);
  work_run(w);
  AcquireSRWLockExclusive(&g_core_lock);
  work_free_locked(w);
  ReleaseSRWLockExclusive(&g_core_lock);
  return 0;
}

HRESULT hcsd_submit(hcsd_op *op, HCS_OPERATION_TYPE type, uintptr_t target, bool target_wants_ops,
                    const hcsd_knob *knob, hcsd_work *w) {
  AcquireSRWLockExclusive(&g_core_lock);
  w->op = op;
  hcsd_op_ref(op);
  HRESULT hr = hcsd_op_begin_locked(op, type, target, target_wants_ops);
  if (FAILED(hr)) {
    work_free_locked(w);
    ReleaseSRWLockExclusive(&g_core_lock);
    return hr;
  }
  if (FAILED(knob->fail) && knob->fail_sync) {
    if (w->on_failure != NULL) w->on_failure(w, knob->fail, "injected");
    hcsd_op_complete_locked(op, knob->fail, hcsd_error_doc(knob->fail, "injected by a fail rule of the HCS test "
                                                                       "double (:call)"),
                            NULL);
    work_free_locked(w);
    ReleaseSRWLockExclusive(&g_core_lock);
    return knob->fail;
  }
  w->injected = knob->fail;
  if (knob->delay_ms > 0) {
    w->delay_ms = knob->delay_ms;
    ReleaseSRWLockExclusive(&g_core_lock);
    if (!hcsd_start_thread(deferred_work, w)) hcsd_oom();
    return S_OK;
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  work_run(w);
  AcquireSRWLockExclusive(&g_core_lock);
  work_free_locked(w);
  ReleaseSRWLockExclusive(&g_core_lock);
  return S_OK;
}

/* ---- the exported operation functions ---- */

static cJSON *op_fields(HCS_OPERATION operation) {
  cJSON *f = cJSON_CreateObject();
  if (f == NULL) hcsd_oom();
  AcquireSRWLockShared(&g_core_lock);
  hcsd_op *op = hcsd_op_find(operation);
  if (op != NULL) cJSON_AddNumberToObject(f, "operation", (double)op->id);
  ReleaseSRWLockShared(&g_core_lock);
  if (op == NULL) cJSON_AddStringToObject(f, "operation", "(invalid handle)");
  return f;
}

HCS_OPERATION WINAPI HcsCreateOperation(const void *context, HCS_OPERATION_COMPLETION callback) {
  hcsd_knob knob;
  cJSON *fields = cJSON_CreateObject();
  if (fields == NULL) hcsd_oom();
  cJSON_AddBoolToObject(fields, "callback", callback != NULL);
  AcquireSRWLockExclusive(&g_core_lock);
  unsigned long long id = g_next_op_id++;
  ReleaseSRWLockExclusive(&g_core_lock);
  cJSON_AddNumberToObject(fields, "operation", (double)id);
  hcsd_call("HcsCreateOperation", fields, &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (FAILED(knob.fail)) return NULL; /* "NULL if resources ... couldn't be allocated" */
  hcsd_op *op = calloc(1, sizeof *op);
  if (op == NULL) hcsd_oom();
  op->done = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (op->done == NULL) {
    free(op);
    return NULL;
  }
  op->id = id;
  op->refs = 1;
  op->open = true;
  op->context = context;
  op->callback = callback;
  op->type = HcsOperationTypeNone;
  AcquireSRWLockExclusive(&g_core_lock);
  op->value = hcsd_new_handle(HK_OP);
  op->next = g_ops;
  g_ops = op;
  ReleaseSRWLockExclusive(&g_core_lock);
  return (HCS_OPERATION)op->value;
}

void WINAPI HcsCloseOperation(HCS_OPERATION operation) {
  hcsd_knob knob;
  hcsd_call("HcsCloseOperation", op_fields(operation), &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_op *op = hcsd_op_find(operation);
  if (op != NULL) {
    for (hcsd_op **p = &g_ops; *p != NULL; p = &(*p)->next) {
      if (*p == op) {
        *p = op->next;
        break;
      }
    }
    op->open = false;
    /* "An operation can be closed from within a callback": only another thread waits for it. */
    while (op->callbacks_running > 0 && !hcsd_on_dispatcher()) {
      SleepConditionVariableSRW(&g_core_cv, &g_core_lock, INFINITE, 0);
    }
    hcsd_op_unref_locked(op);
  }
  ReleaseSRWLockExclusive(&g_core_lock);
}

/* The result of a completed op into the caller's out parameters. With g_core_lock held. */
static HRESULT take_result_locked(hcsd_op *op, HCS_PROCESS_INFORMATION *info, PWSTR *doc) {
  if (doc != NULL) *doc = op->doc != NULL ? hcsd_local_copy(op->doc) : NULL;
  if (info != NULL && SUCCEEDED(op->result)) {
    memset(info, 0, sizeof *info);
    hcsd_proc *p = op->proc;
    if (p != NULL) {
      info->ProcessId = p->pid;
      /* The stdio handles go to the first taker, who owns (and closes) them: HCS hands them out
       * once, through HcsCreateProcess's operation or HcsGetProcessInfo. */
      info->StdInput = p->caller[0];
      info->StdOutput = p->caller[1];
      info->StdError = p->caller[2];
      p->caller[0] = p->caller[1] = p->caller[2] = NULL;
    }
  }
  return op->result;
}

static HRESULT wait_result(const char *name, HCS_OPERATION operation, DWORD timeout_ms, bool wait,
                           bool process_info, HCS_PROCESS_INFORMATION *info, PWSTR *doc) {
  hcsd_knob knob;
  cJSON *fields = op_fields(operation);
  if (wait) cJSON_AddNumberToObject(fields, "timeoutMs", (double)timeout_ms);
  hcsd_call(name, fields, &knob);
  if (doc != NULL) *doc = NULL;
  if (info != NULL) memset(info, 0, sizeof *info);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (FAILED(knob.fail)) return knob.fail; /* a wait that fails on its own, as on WS2022 */
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_op *op = hcsd_op_find(operation);
  HRESULT hr = S_OK;
  if (op == NULL) {
    hr = E_HANDLE;
  } else if (op->state == OP_IDLE) {
    hr = HCS_E_OPERATION_NOT_STARTED;
  } else if (process_info && op->type != HcsOperationTypeCreateProcess &&
             op->type != HcsOperationTypeGetProcessInfo) {
    hr = E_INVALIDARG;
  }
  if (FAILED(hr)) {
    ReleaseSRWLockExclusive(&g_core_lock);
    return hr;
  }
  hcsd_op_ref(op);
  HANDLE done = op->done;
  ReleaseSRWLockExclusive(&g_core_lock);
  DWORD w = WaitForSingleObject(done, wait ? timeout_ms : 0);
  AcquireSRWLockExclusive(&g_core_lock);
  if (w != WAIT_OBJECT_0) {
    hr = wait ? HCS_E_OPERATION_TIMEOUT : HCS_E_OPERATION_PENDING;
  } else {
    hr = take_result_locked(op, info, doc);
  }
  hcsd_op_unref_locked(op);
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

HRESULT WINAPI HcsWaitForOperationResult(HCS_OPERATION operation, DWORD timeoutMs, PWSTR *resultDocument) {
  return wait_result("HcsWaitForOperationResult", operation, timeoutMs, true, false, NULL, resultDocument);
}

HRESULT WINAPI HcsWaitForOperationResultAndProcessInfo(HCS_OPERATION operation, DWORD timeoutMs,
                                                       HCS_PROCESS_INFORMATION *processInformation,
                                                       PWSTR *resultDocument) {
  return wait_result("HcsWaitForOperationResultAndProcessInfo", operation, timeoutMs, true, true,
                     processInformation, resultDocument);
}

HRESULT WINAPI HcsGetOperationResult(HCS_OPERATION operation, PWSTR *resultDocument) {
  return wait_result("HcsGetOperationResult", operation, 0, false, false, NULL, resultDocument);
}

HRESULT WINAPI HcsGetOperationResultAndProcessInfo(HCS_OPERATION operation,
                                                   HCS_PROCESS_INFORMATION *processInformation,
                                                   PWSTR *resultDocument) {
  return wait_result("HcsGetOperationResultAndProcessInfo", operation, 0, false, true, processInformation,
                     resultDocument);
}

HRESULT WINAPI HcsCancelOperation(HCS_OPERATION operation) {
  hcsd_knob knob;
  hcsd_call("HcsCancelOperation", op_fields(operation), &knob);
  if (knob.delay_ms > 0) Sleep(knob.delay_ms);
  if (FAILED(knob.fail)) return knob.fail;
  AcquireSRWLockExclusive(&g_core_lock);
  hcsd_op *op = hcsd_op_find(operation);
  HRESULT hr = S_OK;
  if (op == NULL) {
    hr = E_HANDLE;
  } else if (op->state == OP_IDLE) {
    hr = HCS_E_OPERATION_NOT_STARTED;
  } else if (op->canceled) {
    hr = HCS_E_OPERATION_ALREADY_CANCELLED;
  } else if (op->state == OP_PENDING) {
    /* Work queued by a delay knob will see the operation done and not run. Work already running
     * on another thread finishes, but its result is dropped. */
    op->canceled = true;
    HRESULT canceled = HRESULT_FROM_WIN32(ERROR_CANCELLED);
    hcsd_op_complete_locked(op, canceled, hcsd_error_doc(canceled, "canceled by HcsCancelOperation"), NULL);
  }
  ReleaseSRWLockExclusive(&g_core_lock);
  return hr;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  if (reason == DLL_PROCESS_ATTACH) {
    DisableThreadLibraryCalls(instance);
    hcsd_on_crash = hcsd_sys_crash;
  }
  /* FreeLibrary (not process exit): every thread of the DLL holds a reference on it, so none runs
   * now. Compute systems live on in state.json, as in HCS; their job objects are let go here. */
  if (reason == DLL_PROCESS_DETACH && reserved == NULL) hcsd_sys_unload();
  return TRUE;
}
