/* test_ioc_win: the I/O core's Windows parts (common/ioc_win.h) under Wine and on Windows - overlapped
 * I/O on the port, posted requests, handle waits (events and a real child process), keyed sources (a
 * real job object included), the pipe pair with a real child, the reader (binary data, message pipes,
 * cancel), the bounded writer (bound, drain, error, message boundaries), stop with I/O in flight, and
 * the process's thread count with 100 waits and 100 readers active. Every wait is bounded. */
#include <winsock2.h>
#include <windows.h>

#include <tlhelp32.h>

#include "testutil.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ioc.h"
#include "common/ioc_win.h"
#include "ioc_child_pattern.h"

#define WAIT_MS 20000

static wchar_t g_child[MAX_PATH];

/* --- helpers ------------------------------------------------------------------------------------------ */

typedef struct counter {
  volatile LONG n;
  HANDLE ev; /* set at every increment */
} counter;

static void counter_init(counter *c) {
  c->n = 0;
  c->ev = CreateEventW(NULL, FALSE, FALSE, NULL);
  assert_non_null(c->ev);
}

static void counter_destroy(counter *c) {
  CloseHandle(c->ev);
}

static void counter_add(counter *c) {
  InterlockedIncrement(&c->n);
  SetEvent(c->ev);
}

static LONG counter_get(counter *c) {
  return InterlockedCompareExchange(&c->n, 0, 0);
}

static bool counter_wait(counter *c, LONG want, DWORD ms) {
  ULONGLONG end = GetTickCount64() + ms;
  while (counter_get(c) < want) {
    ULONGLONG now = GetTickCount64();
    if (now >= end) return false;
    WaitForSingleObject(c->ev, (DWORD)(end - now) < 100 ? (DWORD)(end - now) : 100);
  }
  return true;
}

static wctr_ioc *start_core(unsigned workers) {
  wctr_ioc_options opt = {workers, 4};
  wctr_ioc *ioc = NULL;
  wctr_errmsg e;
  wctr_err err = wctr_ioc_start(&opt, &ioc, &e);
  if (err != WCTR_OK) fprintf(stderr, "wctr_ioc_start: %s\n", e.text);
  assert_int_equal(err, WCTR_OK);
  return ioc;
}

static int thread_count(void) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  assert_true(snap != INVALID_HANDLE_VALUE);
  THREADENTRY32 te;
  te.dwSize = sizeof te;
  int n = 0;
  DWORD me = GetCurrentProcessId();
  if (Thread32First(snap, &te)) {
    do {
      if (te.th32OwnerProcessID == me) n++;
    } while (Thread32Next(snap, &te));
  }
  CloseHandle(snap);
  return n;
}

/* Starts ioc_child with ARGS; in/out may be NULL. The caller closes the returned process handle. */
static HANDLE spawn_child(const wchar_t *args, HANDLE in, HANDLE out, DWORD flags, DWORD *pid) {
  wchar_t cmd[MAX_PATH + 128];
  swprintf(cmd, ARRAYSIZE(cmd), L"\"%ls\" %ls", g_child, args);
  STARTUPINFOW si;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in;
  si.hStdOutput = out;
  si.hStdError = NULL;
  PROCESS_INFORMATION pi;
  BOOL ok = CreateProcessW(NULL, cmd, NULL, NULL, TRUE, flags, NULL, NULL, &si, &pi);
  if (!ok) fprintf(stderr, "CreateProcessW %ls: %lu\n", cmd, GetLastError());
  assert_true(ok);
  if (pid != NULL) *pid = pi.dwProcessId;
  CloseHandle(pi.hThread);
  return pi.hProcess;
}

/* --- overlapped I/O on the port ----------------------------------------------------------------------- */

typedef struct io_probe {
  wctr_ioc_req req;
  wctr_ioc *ioc;
  DWORD bytes;
  DWORD error;
  bool on_worker;
  counter done;
} io_probe;

static void io_probe_done(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  io_probe *p = (io_probe *)req;
  p->bytes = bytes;
  p->error = error;
  p->on_worker = wctr_ioc_on_worker(p->ioc);
  counter_add(&p->done);
}

static void test_associate_and_overlapped_read(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE child = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(false, &ours, &child, &e), WCTR_OK);
  assert_int_equal(wctr_ioc_associate(ioc, ours, &e), WCTR_OK);

  io_probe p;
  memset(&p, 0, sizeof p);
  p.req.done = io_probe_done;
  p.ioc = ioc;
  counter_init(&p.done);
  char buf[64];
  BOOL ok = ReadFile(ours, buf, sizeof buf, NULL, &p.req.ov);
  assert_true(ok || GetLastError() == ERROR_IO_PENDING);
  DWORD n = 0;
  assert_true(WriteFile(child, "hello\0port", 10, &n, NULL));
  assert_true(counter_wait(&p.done, 1, WAIT_MS));
  assert_int_equal(p.bytes, 10);
  assert_int_equal(p.error, ERROR_SUCCESS);
  assert_memory_equal(buf, "hello\0port", 10);
  assert_true(p.on_worker);

  /* The peer leaves: the next read reports it, through the port or at once. */
  CloseHandle(child);
  memset(&p.req.ov, 0, sizeof p.req.ov);
  ok = ReadFile(ours, buf, sizeof buf, NULL, &p.req.ov);
  DWORD code = ok ? 0 : GetLastError();
  if (code == ERROR_IO_PENDING) {
    assert_true(counter_wait(&p.done, 2, WAIT_MS));
    assert_int_equal(p.error, ERROR_BROKEN_PIPE);
  } else {
    assert_int_equal(code, ERROR_BROKEN_PIPE);
  }
  CloseHandle(ours);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.done);
}

static void test_post_req(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  io_probe p;
  memset(&p, 0, sizeof p);
  p.req.done = io_probe_done;
  p.ioc = ioc;
  counter_init(&p.done);
  assert_true(wctr_ioc_post_req(ioc, &p.req, 42, ERROR_ACCESS_DENIED));
  assert_true(counter_wait(&p.done, 1, WAIT_MS));
  assert_int_equal(p.bytes, 42);
  assert_int_equal(p.error, ERROR_ACCESS_DENIED);
  assert_true(p.on_worker);
  assert_true(wctr_ioc_post_req(ioc, &p.req, 0, ERROR_SUCCESS));
  assert_true(counter_wait(&p.done, 2, WAIT_MS));
  assert_int_equal(p.bytes, 0);
  assert_int_equal(p.error, ERROR_SUCCESS);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.done);
}

/* --- handle waits ------------------------------------------------------------------------------------- */

typedef struct wait_probe {
  wctr_ioc *ioc;
  wctr_ioc_wait *w;
  HANDLE process;
  DWORD exit_code;
  bool on_worker;
  bool cancel_in_fn;
  bool cancel_result;
  volatile LONG runs;
  counter *done;
} wait_probe;

static void wait_fn(void *arg) {
  wait_probe *p = arg;
  InterlockedIncrement(&p->runs);
  p->on_worker = wctr_ioc_on_worker(p->ioc);
  if (p->process != NULL) GetExitCodeProcess(p->process, &p->exit_code);
  if (p->cancel_in_fn) p->cancel_result = wctr_ioc_wait_cancel(p->w);
  counter_add(p->done);
}

static void test_wait_event_fires_once(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  counter done;
  counter_init(&done);
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  wait_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  p.done = &done;
  p.cancel_in_fn = true; /* cancel from its own fn: too late, false */
  p.cancel_result = true;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_wait_start(ioc, ev, wait_fn, &p, &p.w, &e), WCTR_OK);
  Sleep(50);
  assert_int_equal(counter_get(&done), 0);
  SetEvent(ev); /* manual reset: stays signalled, the wait must still fire once */
  assert_true(counter_wait(&done, 1, WAIT_MS));
  Sleep(100);
  assert_int_equal(p.runs, 1);
  assert_true(p.on_worker);
  assert_false(p.cancel_result);
  wctr_ioc_stop(ioc);
  CloseHandle(ev);
  counter_destroy(&done);
}

static void test_wait_cancel_before_signal(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  counter done;
  counter_init(&done);
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  wait_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  p.done = &done;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_wait_start(ioc, ev, wait_fn, &p, &p.w, &e), WCTR_OK);
  assert_true(wctr_ioc_wait_cancel(p.w));
  SetEvent(ev);
  Sleep(200);
  assert_int_equal(p.runs, 0);
  assert_false(wctr_ioc_wait_cancel(NULL));
  /* A wait on an invalid handle is refused with a message. */
  wctr_ioc_wait *bad = NULL;
  assert_int_equal(wctr_ioc_wait_start(ioc, NULL, wait_fn, &p, &bad, &e), WCTR_EINVAL);
  assert_null(bad);
  assert_true(strlen(e.text) > 0);
  wctr_ioc_stop(ioc);
  assert_int_equal(p.runs, 0);
  CloseHandle(ev);
  counter_destroy(&done);
}

static void test_wait_child_process_exit(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  counter done;
  counter_init(&done);
  wait_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  p.done = &done;
  p.exit_code = STILL_ACTIVE;
  p.process = spawn_child(L"sleep 300", NULL, NULL, 0, NULL);
  wctr_errmsg e;
  ULONGLONG t0 = GetTickCount64();
  assert_int_equal(wctr_ioc_wait_start(ioc, p.process, wait_fn, &p, &p.w, &e), WCTR_OK);
  assert_true(counter_wait(&done, 1, WAIT_MS));
  assert_true(GetTickCount64() - t0 >= 250); /* it waited for the child, roughly 300 ms */
  assert_int_equal(p.exit_code, 7);             /* fn ran after the exit: the exit code is there */
  assert_int_equal(p.runs, 1);
  wctr_ioc_stop(ioc);
  CloseHandle(p.process);
  counter_destroy(&done);
}

#define NWAITS 100

static void test_hundred_waits(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  counter done;
  counter_init(&done);
  HANDLE ev[NWAITS];
  wait_probe p[NWAITS];
  bool cancelled[NWAITS];
  wctr_errmsg e;
  for (int i = 0; i < NWAITS; i++) {
    ev[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&p[i], 0, sizeof p[i]);
    p[i].ioc = ioc;
    p[i].done = &done;
    assert_int_equal(wctr_ioc_wait_start(ioc, ev[i], wait_fn, &p[i], &p[i].w, &e), WCTR_OK);
  }
  int expected = 0;
  for (int i = 0; i < NWAITS; i++) {
    cancelled[i] = i % 3 == 0;
    if (cancelled[i]) {
      assert_true(wctr_ioc_wait_cancel(p[i].w));
    } else {
      expected++;
    }
  }
  for (int i = NWAITS - 1; i >= 0; i--) SetEvent(ev[i]);
  assert_true(counter_wait(&done, expected, WAIT_MS));
  Sleep(100);
  for (int i = 0; i < NWAITS; i++) assert_int_equal(p[i].runs, cancelled[i] ? 0 : 1);
  assert_int_equal(counter_get(&done), expected);
  wctr_ioc_stop(ioc);
  for (int i = 0; i < NWAITS; i++) CloseHandle(ev[i]);
  counter_destroy(&done);
}

/* Stop cancels waits that have not fired: their fn never runs. */
static void test_stop_cancels_waits(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(1);
  counter done;
  counter_init(&done);
  HANDLE ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  wait_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  p.done = &done;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_wait_start(ioc, ev, wait_fn, &p, &p.w, &e), WCTR_OK);
  wctr_ioc_stop(ioc);
  SetEvent(ev);
  Sleep(100);
  assert_int_equal(p.runs, 0);
  CloseHandle(ev);
  counter_destroy(&done);
}

/* --- keyed sources ------------------------------------------------------------------------------------ */

typedef struct source_probe {
  wctr_ioc *ioc;
  ULONG_PTR key;
  DWORD bytes[16];
  ULONG_PTR data[16];
  volatile LONG n;
  bool on_worker;
  bool slow;
  bool remove_self;
  volatile LONG finished;
  counter entered;
} source_probe;

static void source_fn(void *ctx, DWORD bytes, ULONG_PTR data) {
  source_probe *p = ctx;
  LONG i = InterlockedIncrement(&p->n) - 1;
  if (i < 16) {
    p->bytes[i] = bytes;
    p->data[i] = data;
  }
  p->on_worker = wctr_ioc_on_worker(p->ioc);
  counter_add(&p->entered);
  if (p->slow) {
    Sleep(300);
    InterlockedExchange(&p->finished, 1);
  }
  if (p->remove_self) wctr_ioc_source_remove(p->ioc, p->key);
}

static void marker_fn(void *arg) {
  counter_add(arg);
}

/* Everything posted before the marker has been taken from the port once the marker ran (one worker,
 * FIFO port). */
static void flush_port(wctr_ioc *ioc) {
  counter marker;
  counter_init(&marker);
  assert_true(wctr_ioc_post(ioc, marker_fn, &marker));
  assert_true(counter_wait(&marker, 1, WAIT_MS));
  counter_destroy(&marker);
}

static void source_probe_init(source_probe *p, wctr_ioc *ioc) {
  memset(p, 0, sizeof *p);
  p->ioc = ioc;
  counter_init(&p->entered);
}

static void test_source_packets_and_stale_keys(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(1);
  HANDLE port = wctr_ioc_port(ioc);
  source_probe a;
  source_probe b;
  source_probe_init(&a, ioc);
  source_probe_init(&b, ioc);
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_source_add(ioc, source_fn, &a, &a.key, &e), WCTR_OK);
  assert_true(a.key != 0);
  assert_true(PostQueuedCompletionStatus(port, 11, a.key, (LPOVERLAPPED)(ULONG_PTR)0x1234));
  assert_true(counter_wait(&a.entered, 1, WAIT_MS));
  assert_int_equal(a.bytes[0], 11);
  assert_int_equal(a.data[0], 0x1234);
  assert_true(a.on_worker);

  wctr_ioc_source_remove(ioc, a.key);
  /* Queued for sure (the post succeeded), taken by the worker before the marker, and dropped. */
  assert_true(PostQueuedCompletionStatus(port, 12, a.key, (LPOVERLAPPED)(ULONG_PTR)0x5678));
  flush_port(ioc);
  assert_int_equal(a.n, 1);

  /* A new source (its slot may be a's): a's stale key reaches neither. */
  assert_int_equal(wctr_ioc_source_add(ioc, source_fn, &b, &b.key, &e), WCTR_OK);
  assert_true(b.key != a.key);
  assert_true(PostQueuedCompletionStatus(port, 13, a.key, NULL));
  assert_true(PostQueuedCompletionStatus(port, 14, b.key, NULL));
  assert_true(counter_wait(&b.entered, 1, WAIT_MS));
  flush_port(ioc);
  assert_int_equal(a.n, 1);
  assert_int_equal(b.n, 1);
  assert_int_equal(b.bytes[0], 14);
  /* A key that was never handed out is dropped too. */
  assert_true(PostQueuedCompletionStatus(port, 15, b.key + 1, NULL));
  flush_port(ioc);
  assert_int_equal(b.n, 1);
  wctr_ioc_source_remove(ioc, b.key);
  wctr_ioc_source_remove(ioc, b.key); /* twice: no effect */
  wctr_ioc_stop(ioc);
  counter_destroy(&a.entered);
  counter_destroy(&b.entered);
}

static void test_source_remove_waits_for_callback(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  source_probe p;
  source_probe_init(&p, ioc);
  p.slow = true;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_source_add(ioc, source_fn, &p, &p.key, &e), WCTR_OK);
  for (int i = 0; i < 5; i++) assert_true(PostQueuedCompletionStatus(wctr_ioc_port(ioc), 1, p.key, NULL));
  assert_true(counter_wait(&p.entered, 1, WAIT_MS));
  assert_int_equal(p.finished, 0); /* still sleeping in the callback */
  wctr_ioc_source_remove(ioc, p.key);
  assert_int_equal(p.finished, 1); /* remove returned only after it */
  /* The four others (waiting behind the first, one at a time) are dropped. */
  Sleep(400);
  assert_int_equal(p.n, 1);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.entered);
}

typedef struct serial_probe {
  volatile LONG inside;
  volatile LONG overlaps;
  volatile LONG seen[200];
  counter done;
} serial_probe;

static void serial_fn(void *ctx, DWORD bytes, ULONG_PTR data) {
  serial_probe *p = ctx;
  (void)bytes;
  if (InterlockedIncrement(&p->inside) > 1) InterlockedIncrement(&p->overlaps);
  Sleep(data % 3);
  if (data < 200) InterlockedIncrement(&p->seen[data]);
  InterlockedDecrement(&p->inside);
  counter_add(&p->done);
}

/* Four workers, 200 packets for one source: never two callbacks at once, each packet once. */
static void test_source_one_callback_at_a_time(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(4);
  serial_probe *p = calloc(1, sizeof *p);
  assert_non_null(p);
  counter_init(&p->done);
  ULONG_PTR key = 0;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_source_add(ioc, serial_fn, p, &key, &e), WCTR_OK);
  for (ULONG_PTR i = 0; i < 200; i++) {
    assert_true(PostQueuedCompletionStatus(wctr_ioc_port(ioc), 0, key, (LPOVERLAPPED)i));
  }
  assert_true(counter_wait(&p->done, 200, WAIT_MS));
  assert_int_equal(p->overlaps, 0);
  for (int i = 0; i < 200; i++) assert_int_equal(p->seen[i], 1);
  wctr_ioc_source_remove(ioc, key);
  wctr_ioc_stop(ioc);
  counter_destroy(&p->done);
  free(p);
}

static void test_source_remove_from_its_callback(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(1);
  source_probe p;
  source_probe_init(&p, ioc);
  p.remove_self = true;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_source_add(ioc, source_fn, &p, &p.key, &e), WCTR_OK);
  assert_true(PostQueuedCompletionStatus(wctr_ioc_port(ioc), 1, p.key, NULL));
  assert_true(PostQueuedCompletionStatus(wctr_ioc_port(ioc), 2, p.key, NULL));
  assert_true(counter_wait(&p.entered, 1, WAIT_MS));
  flush_port(ioc); /* no deadlock, and the second packet was dropped */
  assert_int_equal(p.n, 1);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.entered);
}

/* A real job object posts its messages through a keyed source: the child's exit and the job's
 * emptiness reach the callback with the child's pid. */
static void test_source_job_object(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(1);
  source_probe p;
  source_probe_init(&p, ioc);
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_source_add(ioc, source_fn, &p, &p.key, &e), WCTR_OK);
  HANDLE job = CreateJobObjectW(NULL, NULL);
  assert_non_null(job);
  JOBOBJECT_ASSOCIATE_COMPLETION_PORT acp;
  acp.CompletionKey = (PVOID)p.key;
  acp.CompletionPort = wctr_ioc_port(ioc);
  assert_true(SetInformationJobObject(job, JobObjectAssociateCompletionPortInformation, &acp, sizeof acp));

  wchar_t cmd[MAX_PATH + 64];
  swprintf(cmd, ARRAYSIZE(cmd), L"\"%ls\" sleep 100", g_child);
  STARTUPINFOW si;
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  PROCESS_INFORMATION pi;
  assert_true(CreateProcessW(NULL, cmd, NULL, NULL, FALSE, CREATE_SUSPENDED, NULL, NULL, &si, &pi));
  assert_true(AssignProcessToJobObject(job, pi.hProcess));
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  assert_int_equal(WaitForSingleObject(pi.hProcess, WAIT_MS), WAIT_OBJECT_0);

  /* Until the job says it is empty. */
  bool exit_seen = false;
  bool zero_seen = false;
  ULONGLONG end = GetTickCount64() + WAIT_MS;
  while (!zero_seen && GetTickCount64() < end) {
    counter_wait(&p.entered, counter_get(&p.entered) + 1, 200);
    LONG n = p.n < 16 ? p.n : 16;
    for (LONG i = 0; i < n; i++) {
      if (p.bytes[i] == JOB_OBJECT_MSG_EXIT_PROCESS && p.data[i] == pi.dwProcessId) exit_seen = true;
      if (p.bytes[i] == JOB_OBJECT_MSG_ACTIVE_PROCESS_ZERO) zero_seen = true;
    }
  }
  assert_true(exit_seen);
  assert_true(zero_seen);
  wctr_ioc_source_remove(ioc, p.key);
  CloseHandle(job);
  CloseHandle(pi.hProcess);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.entered);
}

/* --- reader ------------------------------------------------------------------------------------------- */

typedef struct sink {
  char *data;
  size_t len;
  size_t cap;
  size_t max_chunk;
  size_t chunks;
  volatile LONG ends;
  DWORD end_error;
  bool data_after_end;
  bool on_worker;
  wctr_ioc *ioc;
  counter ended;
} sink;

static void sink_init(sink *s, wctr_ioc *ioc, size_t cap) {
  memset(s, 0, sizeof *s);
  s->data = malloc(cap);
  assert_non_null(s->data);
  s->cap = cap;
  s->ioc = ioc;
  s->on_worker = true;
  counter_init(&s->ended);
}

static void sink_destroy(sink *s) {
  free(s->data);
  counter_destroy(&s->ended);
}

static void sink_data(void *ctx, const char *data, size_t len) {
  sink *s = ctx;
  if (s->ends > 0) s->data_after_end = true;
  if (!wctr_ioc_on_worker(s->ioc)) s->on_worker = false;
  if (len > s->max_chunk) s->max_chunk = len;
  s->chunks++;
  size_t room = s->cap - s->len;
  memcpy(s->data + s->len, data, len < room ? len : room);
  s->len += len;
}

static void sink_end(void *ctx, DWORD error) {
  sink *s = ctx;
  s->end_error = error;
  InterlockedIncrement(&s->ends);
  counter_add(&s->ended);
}

static void test_pipe_pair_child_stdout_binary_1mib(void **state) {
  (void)state;
  const size_t total = 1024 * 1024;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE child = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(false, &ours, &child, &e), WCTR_OK);
  assert_true(ours != INVALID_HANDLE_VALUE && child != INVALID_HANDLE_VALUE);
  DWORD flags = 0;
  assert_true(GetHandleInformation(child, &flags));
  assert_true(flags & HANDLE_FLAG_INHERIT);
  assert_true(GetHandleInformation(ours, &flags));
  assert_false(flags & HANDLE_FLAG_INHERIT);

  HANDLE proc = spawn_child(L"emit 1048576", NULL, child, 0, NULL);
  CloseHandle(child); /* the child holds the only write end now: its exit is our end of file */
  sink s;
  sink_init(&s, ioc, total + 4096);
  wctr_ioc_reader *r = NULL;
  assert_int_equal(wctr_ioc_reader_start(ioc, ours, 8192, sink_data, sink_end, &s, &r, &e), WCTR_OK);
  assert_non_null(r);
  assert_true(counter_wait(&s.ended, 1, WAIT_MS));
  assert_int_equal(s.end_error, 0);
  assert_int_equal(s.len, total);
  for (size_t i = 0; i < total; i++) {
    if ((unsigned char)s.data[i] != ioc_child_pattern(i)) {
      fprintf(stderr, "byte %zu: got %u, want %u\n", i, (unsigned char)s.data[i], ioc_child_pattern(i));
      fail();
    }
  }
  assert_true(s.max_chunk <= 8192);
  assert_true(s.on_worker);
  assert_int_equal(WaitForSingleObject(proc, WAIT_MS), WAIT_OBJECT_0);
  DWORD code = 99;
  GetExitCodeProcess(proc, &code);
  assert_int_equal(code, 0);
  Sleep(50);
  assert_int_equal(s.ends, 1);
  assert_false(s.data_after_end);
  CloseHandle(proc);
  wctr_ioc_stop(ioc);
  sink_destroy(&s);
}

/* stdin through a writer, stdout through a reader, a real child copying one to the other; the writer's
 * close(drain, close_handle) is the child's end of file. */
static void test_child_cat_roundtrip(void **state) {
  (void)state;
  const size_t total = 300000;
  wctr_ioc *ioc = start_core(2);
  HANDLE in_ours = NULL;
  HANDLE in_child = NULL;
  HANDLE out_ours = NULL;
  HANDLE out_child = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(true, &in_ours, &in_child, &e), WCTR_OK);
  assert_int_equal(wctr_pipe_pair(false, &out_ours, &out_child, &e), WCTR_OK);
  HANDLE proc = spawn_child(L"cat", in_child, out_child, 0, NULL);
  CloseHandle(in_child);
  CloseHandle(out_child);
  sink s;
  sink_init(&s, ioc, total + 4096);
  assert_int_equal(wctr_ioc_reader_start(ioc, out_ours, 4096, sink_data, sink_end, &s, NULL, &e), WCTR_OK);
  wctr_ioc_writer *w = NULL;
  assert_int_equal(wctr_ioc_writer_start(ioc, in_ours, false, NULL, &w, &e), WCTR_OK);
  unsigned char chunk[10000];
  for (size_t at = 0; at < total; at += sizeof chunk) {
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = ioc_child_pattern(at + i);
    if (at % 20000 == 0) {
      unsigned char *copy = malloc(sizeof chunk); /* every other chunk handed over (take) */
      assert_non_null(copy);
      memcpy(copy, chunk, sizeof chunk);
      assert_int_equal(wctr_ioc_writer_write(w, copy, sizeof chunk, true), WCTR_OK);
    } else {
      assert_int_equal(wctr_ioc_writer_write(w, chunk, sizeof chunk, false), WCTR_OK);
    }
  }
  wctr_ioc_writer_close(w, true, true);
  assert_true(counter_wait(&s.ended, 1, WAIT_MS));
  assert_int_equal(s.end_error, 0);
  assert_int_equal(s.len, total);
  for (size_t i = 0; i < total; i++) assert_int_equal((unsigned char)s.data[i], ioc_child_pattern(i));
  assert_int_equal(WaitForSingleObject(proc, WAIT_MS), WAIT_OBJECT_0);
  CloseHandle(proc);
  wctr_ioc_stop(ioc);
  sink_destroy(&s);
}

/* A message pipe, server end ours (overlapped), client end synchronous in message read mode. */
static void message_pipe(bool we_write, HANDLE *ours, HANDLE *peer) {
  wchar_t name[128];
  char unique[64];
  wctr_test_unique_name("ioc-msg", unique, sizeof unique);
  swprintf(name, ARRAYSIZE(name), L"\\\\.\\pipe\\%hs", unique);
  DWORD access = (we_write ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) | FILE_FLAG_OVERLAPPED;
  *ours = CreateNamedPipeW(name, access, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1, 65536, 65536, 0,
                           NULL);
  assert_true(*ours != INVALID_HANDLE_VALUE);
  DWORD peer_access = we_write ? GENERIC_READ | FILE_WRITE_ATTRIBUTES : GENERIC_WRITE | FILE_READ_ATTRIBUTES;
  *peer = CreateFileW(name, peer_access, 0, NULL, OPEN_EXISTING, 0, NULL);
  assert_true(*peer != INVALID_HANDLE_VALUE);
  DWORD mode = PIPE_READMODE_MESSAGE;
  assert_true(SetNamedPipeHandleState(*peer, &mode, NULL, NULL));
}

/* Messages longer than the reader's buffer come in pieces (ERROR_MORE_DATA), in order, none lost. */
static void test_reader_message_pipe_more_data(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE peer = NULL;
  message_pipe(false, &ours, &peer);
  sink s;
  sink_init(&s, ioc, 4096);
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_reader_start(ioc, ours, 4, sink_data, sink_end, &s, NULL, &e), WCTR_OK);
  DWORD n = 0;
  assert_true(WriteFile(peer, "hello world", 11, &n, NULL));
  assert_true(WriteFile(peer, "xy", 2, &n, NULL));
  assert_true(WriteFile(peer, "0123456789abcdef", 16, &n, NULL));
  CloseHandle(peer);
  assert_true(counter_wait(&s.ended, 1, WAIT_MS));
  assert_int_equal(s.end_error, 0);
  assert_int_equal(s.len, 29);
  assert_memory_equal(s.data, "hello worldxy0123456789abcdef", 29);
  assert_true(s.max_chunk <= 4);
  assert_true(s.chunks >= 8); /* 11 -> 3 pieces, 2 -> 1, 16 -> 4 */
  wctr_ioc_stop(ioc);
  sink_destroy(&s);
}

/* Until the sink holds n bytes (the reader's worker fills it), at most WAIT_MS. */
static bool sink_wait_len(sink *s, size_t n) {
  for (int waited = 0; waited < WAIT_MS; waited += 5) {
    if (*(volatile size_t *)&s->len >= n) return true;
    Sleep(5);
  }
  return false;
}

/* A byte pipe that goes quiet between bursts: the reader waits for each with a read of 0 bytes (holding no
 * buffer) and still delivers every byte in order - single bytes, a zero-length write, a burst of several
 * buffers' worth (read on while reads fill the buffer) - and the end. */
static void test_reader_bursts_after_quiet(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE child = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(false, &ours, &child, &e), WCTR_OK);
  enum { BIG = 5000 };
  sink s;
  sink_init(&s, ioc, 2 * BIG);
  assert_int_equal(wctr_ioc_reader_start(ioc, ours, 64, sink_data, sink_end, &s, NULL, &e), WCTR_OK);
  Sleep(50);
  assert_int_equal(s.len, 0);
  assert_int_equal(s.ends, 0);
  DWORD n = 0;
  assert_true(WriteFile(child, "a", 1, &n, NULL));
  assert_true(sink_wait_len(&s, 1));
  Sleep(50);
  assert_true(WriteFile(child, "", 0, &n, NULL));
  assert_true(WriteFile(child, "bc", 2, &n, NULL));
  assert_true(sink_wait_len(&s, 3));
  Sleep(50);
  unsigned char big[BIG];
  for (size_t i = 0; i < sizeof big; i++) big[i] = ioc_child_pattern(i);
  assert_true(WriteFile(child, big, sizeof big, &n, NULL));
  assert_int_equal(n, sizeof big);
  assert_true(sink_wait_len(&s, 3 + BIG));
  Sleep(50);
  assert_true(WriteFile(child, "z", 1, &n, NULL));
  CloseHandle(child);
  assert_true(counter_wait(&s.ended, 1, WAIT_MS));
  assert_int_equal(s.end_error, 0);
  assert_int_equal(s.len, 3 + BIG + 1);
  assert_memory_equal(s.data, "abc", 3);
  assert_memory_equal(s.data + 3, big, BIG);
  assert_int_equal(s.data[3 + BIG], 'z');
  assert_true(s.max_chunk <= 64);
  assert_true(s.chunks >= 4 + BIG / 64);
  assert_false(s.data_after_end);
  wctr_ioc_stop(ioc);
  sink_destroy(&s);
}

static void test_reader_cancel(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE child = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(false, &ours, &child, &e), WCTR_OK);
  sink s;
  sink_init(&s, ioc, 64);
  wctr_ioc_reader *r = NULL;
  assert_int_equal(wctr_ioc_reader_start(ioc, ours, 64, sink_data, sink_end, &s, &r, &e), WCTR_OK);
  Sleep(50);
  assert_int_equal(s.ends, 0);
  wctr_ioc_reader_cancel(r);
  assert_true(counter_wait(&s.ended, 1, WAIT_MS));
  assert_int_equal(s.end_error, ERROR_OPERATION_ABORTED);
  assert_int_equal(s.len, 0);
  Sleep(50);
  assert_int_equal(s.ends, 1);
  /* The reader closed our end: the child end sees a broken pipe. */
  DWORD n = 0;
  assert_false(WriteFile(child, "x", 1, &n, NULL));
  CloseHandle(child);
  wctr_ioc_stop(ioc);
  sink_destroy(&s);
}

/* A reader whose peer is still there when the core stops: stop cancels it, on_end runs before stop
 * returns. */
static void test_stop_ends_live_reader(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(1);
  HANDLE ours = NULL;
  HANDLE child = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(false, &ours, &child, &e), WCTR_OK);
  sink s;
  sink_init(&s, ioc, 64);
  assert_int_equal(wctr_ioc_reader_start(ioc, ours, 64, sink_data, sink_end, &s, NULL, &e), WCTR_OK);
  wctr_ioc_stop(ioc);
  assert_int_equal(s.ends, 1);
  assert_int_equal(s.end_error, ERROR_OPERATION_ABORTED);
  CloseHandle(child);
  sink_destroy(&s);
}

/* --- writer ------------------------------------------------------------------------------------------- */

typedef struct writer_probe {
  counter drains;
  counter errors;
  DWORD error;
  bool on_worker;
  wctr_ioc *ioc;
} writer_probe;

static void probe_drain(void *ctx) {
  writer_probe *p = ctx;
  p->on_worker = wctr_ioc_on_worker(p->ioc);
  counter_add(&p->drains);
}

static void probe_error(void *ctx, DWORD error) {
  writer_probe *p = ctx;
  p->error = error;
  counter_add(&p->errors);
}

static void test_writer_bound_and_drain(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE peer = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(true, &ours, &peer, &e), WCTR_OK);
  writer_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  counter_init(&p.drains);
  counter_init(&p.errors);
  wctr_ioc_writer_options opt = {256 * 1024, false, probe_drain, 64 * 1024, probe_error, &p, false};
  wctr_ioc_writer *w = NULL;
  assert_int_equal(wctr_ioc_writer_start(ioc, ours, false, &opt, &w, &e), WCTR_OK);

  /* The peer does not read: writes are accepted until the bound, then refused, and none blocks. The
   * first refusal may come while completions of writes the pipe's buffer took are still on their way
   * to the writer (the queue then shrinks a little): fill again until it refuses with the pipe full. */
  enum { CHUNK = 16 * 1024 };
  static unsigned char chunk[CHUNK];
  size_t accepted = 0;
  size_t queued = 0;
  ULONGLONG t0 = GetTickCount64();
  bool stuck = false;
  for (int round = 0; round < 20 && !stuck; round++) {
    wctr_err err = WCTR_OK;
    int taken_now = 0;
    for (int i = 0; i < 1000 && err == WCTR_OK; i++) {
      for (size_t j = 0; j < CHUNK; j++) chunk[j] = ioc_child_pattern(accepted + j);
      err = wctr_ioc_writer_write(w, chunk, CHUNK, false);
      if (err == WCTR_OK) {
        accepted += CHUNK;
        taken_now++;
      }
    }
    assert_int_equal(err, WCTR_ETOOBIG);
    queued = wctr_ioc_writer_queued(w);
    /* Stuck: not one more chunk fitted, and nothing moved for 100 ms. */
    Sleep(100);
    stuck = taken_now == 0 && wctr_ioc_writer_queued(w) == queued;
  }
  assert_true(stuck);
  ULONGLONG elapsed = GetTickCount64() - t0;
  assert_true(elapsed < 5000);
  assert_true(accepted >= 256 * 1024); /* the queue plus whatever the pipe's buffer took */
  assert_true(accepted <= 256 * 1024 + 4 * 65536 + CHUNK);
  assert_true(queued <= 256 * 1024);
  assert_true(queued > 256 * 1024 - CHUNK);
  /* Refused means nothing queued; a taken buffer is freed all the same. */
  unsigned char *taken = malloc(CHUNK);
  assert_non_null(taken);
  memset(taken, 'z', CHUNK);
  assert_int_equal(wctr_ioc_writer_write(w, taken, CHUNK, true), WCTR_ETOOBIG);
  assert_int_equal(wctr_ioc_writer_queued(w), queued);
  /* While the queue filled, writes the pipe's buffer took may have let it dip below low water (an
   * on_drain then is right); stuck at the bound, nothing more drains until the peer reads. */
  LONG drains_stuck = counter_get(&p.drains);
  Sleep(100);
  assert_int_equal(counter_get(&p.drains), drains_stuck);
  assert_int_equal(wctr_ioc_writer_queued(w), queued);

  /* The peer reads everything: every accepted byte, in order; on_drain fires on the way. */
  unsigned char *got = malloc(accepted);
  assert_non_null(got);
  size_t have = 0;
  while (have < accepted) {
    DWORD n = 0;
    assert_true(ReadFile(peer, got + have, (DWORD)(accepted - have), &n, NULL));
    have += n;
  }
  for (size_t i = 0; i < accepted; i++) assert_int_equal(got[i], ioc_child_pattern(i));
  assert_true(counter_wait(&p.drains, drains_stuck + 1, WAIT_MS));
  assert_true(p.on_worker);
  /* The peer has every byte; the last completion reaches the writer a moment later. */
  ULONGLONG end = GetTickCount64() + WAIT_MS;
  while (wctr_ioc_writer_queued(w) != 0 && GetTickCount64() < end) Sleep(5);
  assert_int_equal(wctr_ioc_writer_queued(w), 0);
  assert_int_equal(counter_get(&p.errors), 0);
  /* Room again. */
  assert_int_equal(wctr_ioc_writer_write(w, "tail", 4, false), WCTR_OK);
  char tail[4];
  DWORD n = 0;
  assert_true(ReadFile(peer, tail, 4, &n, NULL));
  assert_int_equal(n, 4);
  assert_memory_equal(tail, "tail", 4);
  wctr_ioc_writer_close(w, true, true);
  assert_int_equal(counter_get(&p.errors), 0);
  CloseHandle(peer);
  wctr_ioc_stop(ioc);
  free(got);
  counter_destroy(&p.drains);
  counter_destroy(&p.errors);
}

static void test_writer_error_when_peer_leaves(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE peer = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(true, &ours, &peer, &e), WCTR_OK);
  writer_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  counter_init(&p.drains);
  counter_init(&p.errors);
  wctr_ioc_writer_options opt = {0, false, NULL, 0, probe_error, &p, false};
  wctr_ioc_writer *w = NULL;
  assert_int_equal(wctr_ioc_writer_start(ioc, ours, false, &opt, &w, &e), WCTR_OK);
  CloseHandle(peer);
  assert_int_equal(wctr_ioc_writer_write(w, "lost", 4, false), WCTR_OK); /* accepted, fails on the way */
  assert_true(counter_wait(&p.errors, 1, WAIT_MS));
  assert_true(p.error == ERROR_NO_DATA || p.error == ERROR_BROKEN_PIPE || p.error == ERROR_PIPE_NOT_CONNECTED);
  assert_int_equal(wctr_ioc_writer_write(w, "more", 4, false), WCTR_EPIPE);
  Sleep(50);
  assert_int_equal(counter_get(&p.errors), 1); /* once */
  wctr_ioc_writer_close(w, false, true);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.drains);
  counter_destroy(&p.errors);
}

/* Closing without drain while a write is stuck (the peer does not read): no callback afterwards, and
 * the writer frees itself once the cancelled write came back. */
static void test_writer_close_cancels(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE peer = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(true, &ours, &peer, &e), WCTR_OK);
  writer_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  counter_init(&p.drains);
  counter_init(&p.errors);
  wctr_ioc_writer_options opt = {0, false, probe_drain, 0, probe_error, &p, false};
  wctr_ioc_writer *w = NULL;
  assert_int_equal(wctr_ioc_writer_start(ioc, ours, false, &opt, &w, &e), WCTR_OK);
  static unsigned char big[512 * 1024];
  assert_int_equal(wctr_ioc_writer_write(w, big, sizeof big, false), WCTR_OK);
  Sleep(50);
  wctr_ioc_writer_close(w, false, true);
  Sleep(200);
  assert_int_equal(counter_get(&p.errors), 0);
  assert_int_equal(counter_get(&p.drains), 0);
  /* Our end was closed: reading what the pipe held, then end of file. */
  unsigned char buf[65536];
  DWORD n = 0;
  size_t total = 0;
  while (ReadFile(peer, buf, sizeof buf, &n, NULL) && n > 0) total += n;
  assert_true(total < sizeof big);
  CloseHandle(peer);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.drains);
  counter_destroy(&p.errors);
}

/* A socket writer under a slow reader: every byte arrives. Wine 8's overlapped WriteFile on a socket stopped for
 * good once the send buffer had filled under a reader of about 2 MB/s (it completed only when the peer closed: the
 * Engine API's `docker save` of a 6 MB image hung); the writer's WSASend (opt.socket) goes on. */
typedef struct slow_read {
  SOCKET s;
  volatile LONG total;
} slow_read;

static DWORD WINAPI slow_reader(void *arg) {
  slow_read *r = arg;
  static char buf[65536];
  for (;;) {
    int n = recv(r->s, buf, sizeof buf, 0);
    if (n <= 0) break;
    InterlockedExchangeAdd(&r->total, n);
    Sleep(20);
  }
  return 0;
}

static void test_writer_socket_slow_reader(void **state) {
  (void)state;
  WSADATA wsa;
  assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsa), 0);
  SOCKET ls = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
  assert_true(ls != INVALID_SOCKET);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int alen = sizeof a;
  assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(ls, 1), 0);
  assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
  SOCKET client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  assert_int_equal(connect(client, (struct sockaddr *)&a, sizeof a), 0);
  SOCKET ours = accept(ls, NULL, NULL);
  assert_true(ours != INVALID_SOCKET);
  closesocket(ls);

  wctr_ioc *ioc = start_core(2);
  writer_probe p;
  memset(&p, 0, sizeof p);
  p.ioc = ioc;
  counter_init(&p.drains);
  counter_init(&p.errors);
  wctr_ioc_writer_options opt = {0, false, NULL, 0, probe_error, &p, true};
  wctr_ioc_writer *w = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_writer_start(ioc, (HANDLE)ours, false, &opt, &w, &e), WCTR_OK);
  enum { CHUNK = 256 * 1024, TOTAL = 6 * 1024 * 1024 };
  static unsigned char chunk[CHUNK];
  for (size_t sent = 0; sent < TOTAL; sent += CHUNK) assert_int_equal(wctr_ioc_writer_write(w, chunk, CHUNK, false), WCTR_OK);
  slow_read r = {.s = client, .total = 0};
  HANDLE t = CreateThread(NULL, 0, slow_reader, &r, 0, NULL);
  assert_non_null(t);
  /* About 3 s at the reader's pace; 60 s is the bound of a stall. */
  for (int i = 0; i < 600 && InterlockedCompareExchange(&r.total, 0, 0) < TOTAL; i++) Sleep(100);
  LONG got = InterlockedCompareExchange(&r.total, 0, 0);
  if (got != TOTAL) fail_msg("the reader got %ld of %d bytes: the socket writer stalled", (long)got, TOTAL);
  assert_int_equal(counter_get(&p.errors), 0);
  wctr_ioc_writer_close(w, false, false);
  closesocket(ours); /* the reader sees the end */
  WaitForSingleObject(t, 10000);
  CloseHandle(t);
  closesocket(client);
  wctr_ioc_stop(ioc);
  counter_destroy(&p.drains);
  counter_destroy(&p.errors);
  WSACleanup();
}

/* A close that comes while a drain callback runs on a worker waits for it, and then the writer is freed
 * once, by the closer (the callback's completion used to free it too, under the waiting closer: a double
 * free seen as heap corruption by the HCS runtime's stdin). Repeated, as the window is a race. */
typedef struct close_race {
  HANDLE in_callback;
  volatile LONG callback_done;
} close_race;

static void race_drain(void *ctx) {
  close_race *r = ctx;
  InterlockedExchange(&r->callback_done, 0);
  SetEvent(r->in_callback);
  Sleep(20);
  InterlockedExchange(&r->callback_done, 1);
}

static void test_writer_close_during_drain_callback(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  close_race r;
  memset(&r, 0, sizeof r);
  r.in_callback = CreateEventW(NULL, FALSE, FALSE, NULL);
  assert_non_null(r.in_callback);
  for (int i = 0; i < 50; i++) {
    HANDLE ours = NULL;
    HANDLE peer = NULL;
    wctr_errmsg e;
    assert_int_equal(wctr_pipe_pair(true, &ours, &peer, &e), WCTR_OK);
    wctr_ioc_writer_options opt = {0, false, race_drain, 0, NULL, &r, false};
    wctr_ioc_writer *w = NULL;
    assert_int_equal(wctr_ioc_writer_start(ioc, ours, false, &opt, &w, &e), WCTR_OK);
    assert_int_equal(wctr_ioc_writer_write(w, "ping", 4, false), WCTR_OK);
    char got[4];
    DWORD n = 0;
    assert_true(ReadFile(peer, got, sizeof got, &n, NULL));
    assert_int_equal(n, 4);
    /* The queue emptied: on_drain runs and holds the worker while the writer is closed. */
    assert_int_equal(WaitForSingleObject(r.in_callback, WAIT_MS), WAIT_OBJECT_0);
    wctr_ioc_writer_close(w, true, true);
    assert_int_equal(InterlockedCompareExchange(&r.callback_done, 0, 0), 1); /* close waited for it */
    CloseHandle(peer);
  }
  wctr_ioc_stop(ioc);
  assert_int_equal(_heapchk(), _HEAPOK);
  CloseHandle(r.in_callback);
}

static void test_writer_message_mode_boundaries(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2);
  HANDLE ours = NULL;
  HANDLE peer = NULL;
  message_pipe(true, &ours, &peer);
  wctr_ioc_writer_options opt = {0, true, NULL, 0, NULL, NULL, false};
  wctr_ioc_writer *w = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_writer_start(ioc, ours, false, &opt, &w, &e), WCTR_OK);
  static const size_t sizes[] = {1, 100, 5000, 3, 70000, 2, 65536, 7};
  enum { NSIZES = sizeof sizes / sizeof sizes[0] };
  static unsigned char msg[70000];
  size_t base = 0;
  for (size_t k = 0; k < NSIZES; k++) {
    for (size_t i = 0; i < sizes[k]; i++) msg[i] = ioc_child_pattern(base + i);
    assert_int_equal(wctr_ioc_writer_write(w, msg, sizes[k], false), WCTR_OK);
    base += sizes[k];
  }
  /* Each read returns exactly one message: never split, never merged. */
  static unsigned char got[131072];
  base = 0;
  for (size_t k = 0; k < NSIZES; k++) {
    DWORD n = 0;
    BOOL ok = ReadFile(peer, got, sizeof got, &n, NULL);
    if (!ok) fprintf(stderr, "message %zu: ReadFile failed %lu\n", k, GetLastError());
    assert_true(ok);
    assert_int_equal(n, sizes[k]);
    for (size_t i = 0; i < sizes[k]; i++) assert_int_equal(got[i], ioc_child_pattern(base + i));
    base += sizes[k];
  }
  wctr_ioc_writer_close(w, true, true);
  CloseHandle(peer);
  wctr_ioc_stop(ioc);
}

/* --- threads ------------------------------------------------------------------------------------------ */

/* 100 handle waits and 100 readers active cost a bounded number of threads, not one each. The bound:
 * the threads before the core started, + 2 workers + 1 timer thread, + the wait threads Windows shares
 * between waits (2 for 100 waits on Windows: 63 per thread; 3 under Wine 8, measured), + 2 for a
 * thread-pool thread either may keep: base + 8, where a thread per wait or reader would be base + 200. */
static void test_thread_count_bounded(void **state) {
  (void)state;
  int base = thread_count();
  wctr_ioc *ioc = start_core(2);
  counter done;
  counter_init(&done);
  HANDLE ev[NWAITS];
  wait_probe wp[NWAITS];
  HANDLE child[NWAITS];
  sink s[NWAITS];
  wctr_ioc_reader *r[NWAITS];
  wctr_errmsg e;
  for (int i = 0; i < NWAITS; i++) {
    ev[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&wp[i], 0, sizeof wp[i]);
    wp[i].ioc = ioc;
    wp[i].done = &done;
    assert_int_equal(wctr_ioc_wait_start(ioc, ev[i], wait_fn, &wp[i], &wp[i].w, &e), WCTR_OK);
    HANDLE ours = NULL;
    assert_int_equal(wctr_pipe_pair(false, &ours, &child[i], &e), WCTR_OK);
    sink_init(&s[i], ioc, 16);
    assert_int_equal(wctr_ioc_reader_start(ioc, ours, 16, sink_data, sink_end, &s[i], &r[i], &e), WCTR_OK);
  }
  Sleep(200);
  int active = thread_count();
  print_message("threads: %d before the core, %d with 100 waits and 100 readers\n", base, active);
  assert_true(active <= base + 8);
  /* Everything still works at that size: a byte through reader 57, wait 42 fires. */
  DWORD n = 0;
  assert_true(WriteFile(child[57], "!", 1, &n, NULL));
  SetEvent(ev[42]);
  assert_true(counter_wait(&done, 1, WAIT_MS));
  ULONGLONG end = GetTickCount64() + WAIT_MS;
  while (s[57].len == 0 && GetTickCount64() < end) Sleep(10);
  assert_int_equal(s[57].len, 1);
  for (int i = 0; i < NWAITS; i++) {
    if (i != 42) assert_true(wctr_ioc_wait_cancel(wp[i].w));
    wctr_ioc_reader_cancel(r[i]);
  }
  for (int i = 0; i < NWAITS; i++) {
    assert_true(counter_wait(&s[i].ended, 1, WAIT_MS));
    assert_int_equal(s[i].end_error, ERROR_OPERATION_ABORTED);
  }
  wctr_ioc_stop(ioc);
  for (int i = 0; i < NWAITS; i++) {
    CloseHandle(ev[i]);
    CloseHandle(child[i]);
    sink_destroy(&s[i]);
  }
  counter_destroy(&done);
}

/* --- pipe pair ---------------------------------------------------------------------------------------- */

static void test_pipe_pair_refuses_second_client(void **state) {
  (void)state;
  HANDLE ours = NULL;
  HANDLE child = NULL;
  wctr_errmsg e;
  assert_int_equal(wctr_pipe_pair(false, &ours, &child, &e), WCTR_OK);
  /* The pipe's name, as Windows reports it for the server end. */
  union {
    FILE_NAME_INFO info;
    char raw[sizeof(FILE_NAME_INFO) + 512];
  } u;
  if (GetFileInformationByHandleEx(ours, FileNameInfo, &u, sizeof u)) {
    wchar_t path[300];
    swprintf(path, ARRAYSIZE(path), L"\\\\.\\pipe%.*ls", (int)(u.info.FileNameLength / sizeof(wchar_t)),
             u.info.FileName);
    assert_non_null(wcsstr(path, L"wctr-io-"));
    HANDLE other = CreateFileW(path, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    DWORD code = GetLastError();
    if (other != INVALID_HANDLE_VALUE) CloseHandle(other);
    assert_true(other == INVALID_HANDLE_VALUE);
    assert_int_equal(code, ERROR_PIPE_BUSY);
  } else {
    print_message("the pipe's name is not readable here (%lu); the second-client check is skipped\n",
                  GetLastError());
  }
  /* Each pair is a different pipe. */
  HANDLE ours2 = NULL;
  HANDLE child2 = NULL;
  assert_int_equal(wctr_pipe_pair(true, &ours2, &child2, &e), WCTR_OK);
  DWORD n = 0;
  assert_true(WriteFile(child, "a", 1, &n, NULL));
  CloseHandle(ours);
  CloseHandle(child);
  CloseHandle(ours2);
  CloseHandle(child2);
}

int main(void) {
  wctr_test_native_path(IOC_CHILD_EXE, g_child, MAX_PATH);
  const struct CMUnitTest tests[] = {
      /* First: the baseline is then the process's own threads, before any wait thread exists. */
      cmocka_unit_test(test_thread_count_bounded),
      cmocka_unit_test(test_associate_and_overlapped_read),
      cmocka_unit_test(test_post_req),
      cmocka_unit_test(test_wait_event_fires_once),
      cmocka_unit_test(test_wait_cancel_before_signal),
      cmocka_unit_test(test_wait_child_process_exit),
      cmocka_unit_test(test_hundred_waits),
      cmocka_unit_test(test_stop_cancels_waits),
      cmocka_unit_test(test_source_packets_and_stale_keys),
      cmocka_unit_test(test_source_remove_waits_for_callback),
      cmocka_unit_test(test_source_one_callback_at_a_time),
      cmocka_unit_test(test_source_remove_from_its_callback),
      cmocka_unit_test(test_source_job_object),
      cmocka_unit_test(test_pipe_pair_child_stdout_binary_1mib),
      cmocka_unit_test(test_child_cat_roundtrip),
      cmocka_unit_test(test_reader_message_pipe_more_data),
      cmocka_unit_test(test_reader_bursts_after_quiet),
      cmocka_unit_test(test_reader_cancel),
      cmocka_unit_test(test_stop_ends_live_reader),
      cmocka_unit_test(test_writer_bound_and_drain),
      cmocka_unit_test(test_writer_error_when_peer_leaves),
      cmocka_unit_test(test_writer_close_cancels),
      cmocka_unit_test(test_writer_socket_slow_reader),
      cmocka_unit_test(test_writer_close_during_drain_callback),
      cmocka_unit_test(test_writer_message_mode_boundaries),
      cmocka_unit_test(test_pipe_pair_refuses_second_client),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
