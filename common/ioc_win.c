/* common/ioc_win.c - the I/O core on Windows (common/ioc.h, common/ioc_win.h): one I/O completion port
 * served by `workers` threads, after libuv's src/win.
 *
 * Threads, all told: the workers; one timer thread; the blocking pool (0 when idle, pool_max at most);
 * and Windows' own wait threads for the handle waits (one per 63 waits, shared with the process).
 *
 * Packets on the port and who counts them. `busy` counts work that stop must drain: posted callbacks,
 * fired timers and waits, pool jobs, and the reads and writes of readers and writers. Completion keys:
 *   KEY_REQ (0)     an I/O on an associated handle (the OVERLAPPED is a wctr_ioc_req's first member), or
 *                   the quit packet when the OVERLAPPED is NULL;
 *   KEY_POSTED (1)  a wctr_ioc_req the core posted itself; the Win32 error travels in ov.Internal, which
 *                   no I/O uses while a request is only posted; counted, released after done returned;
 *   anything else   a keyed source: (generation << SLOT_BITS) | slot.
 *
 * Windows and Wine behaviour this file relies on (measured under Wine 8.0 where it says so):
 * - A handle associated with a port gets a packet for every overlapped ReadFile/WriteFile that does not
 *   fail at once: pending, completed synchronously, and ERROR_MORE_DATA on a message pipe (the packet
 *   then reports ERROR_MORE_DATA with the bytes read; measured under Wine 8 too). A call that fails at
 *   once (ERROR_BROKEN_PIPE, ...) queues nothing. We never call SetFileCompletionNotificationModes
 *   (FILE_SKIP_COMPLETION_PORT_ON_SUCCESS): Wine 8 accepts it and then also skips the packet of a
 *   synchronous ERROR_MORE_DATA read (measured), so with it a reader would have to treat three outcomes
 *   inline and could lose a message tail; one packet per call is one code path and no double processing.
 * - I/O issued on a handle associated with a port is not cancelled when the issuing thread exits
 *   (Windows since Vista; measured under Wine 8), so a reader may be started from a pool thread that
 *   retires later.
 * - RegisterWaitForSingleObject shares wait threads between waits: 100 waits cost three threads under
 *   Wine 8 (measured), two on Windows (63 handles per wait thread).
 * - Wine 8 ignores FILE_FLAG_FIRST_PIPE_INSTANCE (service/server_win.c), but a pipe created with one
 *   instance at most refuses a second CreateNamedPipeW and a second client with ERROR_PIPE_BUSY
 *   (measured), which is what wctr_pipe_pair relies on. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "common/ioc.h"
#include "common/ioc_heap.h"
#include "common/ioc_win.h"
#include "common/log.h"
#include "common/random.h"

#define KEY_REQ ((ULONG_PTR)0)
#define KEY_POSTED ((ULONG_PTR)1)
#define SLOT_BITS 24
#define SLOT_MASK ((((ULONG_PTR)1) << SLOT_BITS) - 1)

/* A pool thread with nothing to do for this long leaves: an idle service keeps no pool threads. */
#define POOL_IDLE_MS 10000
/* A job that finds every pool thread busy waits this long for one of them before a thread is added: the
 * thread that is finishing the previous request's job usually takes it (common/ioc.h). */
#define POOL_SPAWN_DELAY_MS 20
/* How often stop cancels the I/O of readers and writers again while it drains (new ones may start). */
#define DRAIN_RECHECK_MS 50
/* The most one WriteFile of a writer hands Windows; also the longest message in message mode. */
#define WRITE_PIECE 0x40000000u
/* The buffers of a wctr_pipe_pair pipe, each way (libuv uses the same). */
#define PIPE_PAIR_BUFFER 65536

enum { IOC_RUNNING, IOC_DRAINING, IOC_CLOSED };
/* Once-semantics of timers and waits: PENDING becomes FIRED (fn will run), CANCELLED (by the owner) or
 * STOPPED (by wctr_ioc_stop, which frees it). */
enum { ONCE_PENDING, ONCE_FIRED, ONCE_CANCELLED, ONCE_STOPPED };

typedef struct job {
  struct job *next;
  wctr_ioc_fn fn;
  void *arg;
  uint64_t queued_at; /* wctr_ioc_now_ms when it was queued */
} job;

typedef struct source_packet {
  struct source_packet *next;
  DWORD bytes;
  ULONG_PTR data;
} source_packet;

typedef struct source_slot {
  uint64_t gen; /* 0: free */
  wctr_ioc_packet_fn fn;
  void *ctx;
  bool delivering; /* a worker is in fn (or between two packets of the backlog) */
  bool removed;    /* no more callbacks; the slot is freed once no worker delivers */
  source_packet *backlog; /* packets that came while a worker was delivering, in order */
  source_packet *backlog_tail;
  size_t next_free;
} source_slot;

typedef struct pool_thread {
  struct pool_thread *next;
  wctr_ioc *ioc;
  HANDLE thread;
  bool exited; /* it left its loop and only returns: join it */
} pool_thread;

struct wctr_ioc_timer {
  wctr_heap_node node; /* first member: the heap hands back node pointers */
  wctr_ioc_req req;
  wctr_ioc *ioc;
  wctr_ioc_fn fn;
  void *arg;
  int state; /* under ioc->tlock */
  struct wctr_ioc_timer *next_stopped;
};

struct wctr_ioc_wait {
  wctr_ioc_req req;
  wctr_ioc *ioc;
  HANDLE wh; /* the registered wait, written under ioc->wlock */
  wctr_ioc_fn fn;
  void *arg;
  volatile LONG state;
  struct wctr_ioc_wait *prev;
  struct wctr_ioc_wait *next;
};

struct wctr_ioc_reader {
  wctr_ioc_req req;
  wctr_ioc *ioc;
  HANDLE h;
  char *buf;         /* NULL while a zero-byte read waits for data */
  DWORD size;
  bool zero_reads;   /* a byte-mode pipe: wait for data with a read of 0 bytes, holding no buffer */
  void (*on_data)(void *ctx, const char *data, size_t len);
  void (*on_end)(void *ctx, DWORD error);
  void *ctx;
  SRWLOCK lock; /* a ReadFile being issued, against a cancel and against the free in reader_end */
  bool cancelled;
  uint64_t offset;   /* for files; pipes ignore it */
  DWORD sync_error;  /* a ReadFile that failed at once, handed to done through a posted packet */
  struct wctr_ioc_reader *prev;
  struct wctr_ioc_reader *next;
};

typedef struct wbuf {
  struct wbuf *next;
  char *data;
  size_t len;
  size_t off;  /* written so far */
  bool owned;  /* data was taken (freed apart) rather than copied behind the header */
} wbuf;

/* ws2_32's WSABUF and WSASend, declared here so that the core needs neither winsock2.h nor a link to ws2_32:
 * a socket writer finds them in the ws2_32.dll that made its socket. */
typedef struct ioc_wsabuf {
  ULONG len;
  char *buf;
} ioc_wsabuf;
typedef int(WINAPI *ioc_wsasend_fn)(UINT_PTR s, ioc_wsabuf *bufs, DWORD count, DWORD *sent, DWORD flags,
                                    OVERLAPPED *ov, void *routine);
typedef int(WINAPI *ioc_wsaerror_fn)(void);

struct wctr_ioc_writer {
  wctr_ioc_req req;
  ioc_wsasend_fn wsasend;   /* opt.socket: WSASend, and WSAGetLastError for its failures */
  ioc_wsaerror_fn wsaerror;
  wctr_ioc *ioc;
  HANDLE h;
  wctr_ioc_writer_options opt;
  SRWLOCK lock;
  CONDITION_VARIABLE cv; /* a callback finished */
  wbuf *head; /* the head is the one being written while inflight */
  wbuf *tail;
  size_t queued; /* bytes not yet written, the in-flight ones included */
  bool inflight;
  bool failed;
  bool error_reported;
  bool closed;
  bool drain_on_close;
  bool close_handle;
  bool drain_armed;
  DWORD sync_error;
  unsigned cb_running;
  unsigned close_waiting; /* wctr_ioc_writer_close calls waiting for a callback: they finish the writer */
  uint64_t cb_thread;
  struct wctr_ioc_writer *prev;
  struct wctr_ioc_writer *next;
};

struct wctr_ioc {
  HANDLE port;
  unsigned nworkers;
  HANDLE *workers;
  unsigned workers_started;

  /* State and the drain. busy changes with Interlocked*; admission takes lock shared. */
  SRWLOCK lock;
  CONDITION_VARIABLE drain_cv;
  int state;
  volatile LONG64 busy;

  /* Timers: a heap served by one thread. */
  SRWLOCK tlock;
  HANDLE tevent; /* auto-reset: the earliest due time changed, or stop */
  HANDLE tthread;
  wctr_heap heap;
  bool tquit;
  wctr_ioc_timer *tstopped;

  /* Handle waits not yet run. */
  SRWLOCK wlock;
  wctr_ioc_wait *waits;
  wctr_ioc_wait *wstopped;
  bool wquit;

  /* Keyed sources. */
  SRWLOCK slock;
  CONDITION_VARIABLE scv; /* a source callback returned */
  source_slot *slots;
  size_t nslots;
  size_t free_slot; /* SIZE_MAX: none */
  uint64_t next_gen;

  /* The blocking pool. */
  SRWLOCK plock;
  CONDITION_VARIABLE pcv;
  job *phead;
  job *ptail;
  unsigned pqueued;     /* jobs in the queue */
  unsigned pool_max;
  unsigned pthreads;
  unsigned pidle;
  bool pquit;
  bool pspawn_armed;    /* a spawn check is due (pool_spawn_check) */
  uint64_t pspawn_at;   /* when it was armed */
  pool_thread *pool_threads;

  /* Live readers and writers: stop cancels their I/O so that it can drain. */
  SRWLOCK iolock;
  wctr_ioc_reader *readers;
  wctr_ioc_writer *writers;
};

static _Thread_local const wctr_ioc *tls_worker_of;
static _Thread_local ULONG_PTR tls_source_key; /* the source whose callback this thread runs, or 0 */

/* --- clock, thread ids, busy ------------------------------------------------------------------------ */

uint64_t wctr_ioc_now_ms(void) {
  /* QueryPerformanceCounter, not GetTickCount64: timers are checked against this clock and a 15.6 ms
   * tick would make "fires at or after its due time" coarse. */
  LARGE_INTEGER freq;
  LARGE_INTEGER now;
  QueryPerformanceFrequency(&freq); /* fixed at boot; reading it is cheap */
  QueryPerformanceCounter(&now);
  uint64_t f = (uint64_t)freq.QuadPart;
  uint64_t c = (uint64_t)now.QuadPart;
  return c / f * 1000u + c % f * 1000u / f;
}

uint64_t wctr_thread_id(void) {
  return GetCurrentThreadId(); /* never 0 for a thread */
}

static void busy_add(wctr_ioc *ioc) {
  InterlockedIncrement64(&ioc->busy);
}

static void busy_done(wctr_ioc *ioc) {
  if (InterlockedDecrement64(&ioc->busy) == 0) {
    /* Under the lock, so the wake cannot fall between stop's check and its sleep. */
    AcquireSRWLockExclusive(&ioc->lock);
    WakeAllConditionVariable(&ioc->drain_cv);
    ReleaseSRWLockExclusive(&ioc->lock);
  }
}

/* Counts one unit of work unless the core is closed. */
static bool admit(wctr_ioc *ioc) {
  bool ok = false;
  AcquireSRWLockShared(&ioc->lock);
  if (ioc->state != IOC_CLOSED) {
    busy_add(ioc);
    ok = true;
  }
  ReleaseSRWLockShared(&ioc->lock);
  return ok;
}

/* Posts a counted request; the worker calls done(req, bytes, error) then releases the count. */
static bool post_counted(wctr_ioc *ioc, wctr_ioc_req *req, DWORD bytes, DWORD error) {
  req->ov.Internal = error;
  if (!PostQueuedCompletionStatus(ioc->port, bytes, KEY_POSTED, &req->ov)) {
    wctr_log_win32("PostQueuedCompletionStatus", GetLastError(), "a packet for a worker of the I/O core");
    return false;
  }
  return true;
}

/* Posts an uncounted packet for an I/O request whose call failed at once, so that its completion runs
 * on a worker like every other (the request's done releases its own count). */
static bool post_self(wctr_ioc *ioc, wctr_ioc_req *req) {
  if (!PostQueuedCompletionStatus(ioc->port, 0, KEY_REQ, &req->ov)) {
    wctr_log_win32("PostQueuedCompletionStatus", GetLastError(), "a failed I/O for a worker of the I/O core");
    return false;
  }
  return true;
}

/* --- keyed sources ------------------------------------------------------------------------------------ */

/* Frees a removed source's slot for reuse (a later key for it has a new generation). */
static void slot_release_locked(wctr_ioc *ioc, size_t idx) {
  source_slot *s = &ioc->slots[idx];
  while (s->backlog != NULL) {
    source_packet *p = s->backlog;
    s->backlog = p->next;
    free(p);
  }
  s->backlog_tail = NULL;
  s->gen = 0;
  s->removed = false;
  s->delivering = false;
  s->next_free = ioc->free_slot;
  ioc->free_slot = idx;
}

/* One callback at a time per source: a packet that arrives while another worker delivers one for the
 * same source joins its backlog, and that worker delivers it next. Two packets taken from the port at
 * the same instant by two workers may still swap places. */
static void source_dispatch(wctr_ioc *ioc, ULONG_PTR key, DWORD bytes, ULONG_PTR data) {
  size_t idx = (size_t)(key & SLOT_MASK);
  uint64_t gen = (uint64_t)(key >> SLOT_BITS);
  AcquireSRWLockExclusive(&ioc->slock);
  for (;;) {
    if (idx >= ioc->nslots || ioc->slots[idx].gen != gen || ioc->slots[idx].removed) {
      /* A late packet of a removed source (a job's last messages after its container is gone). */
      ReleaseSRWLockExclusive(&ioc->slock);
      return;
    }
    if (!ioc->slots[idx].delivering) break;
    source_packet *p = malloc(sizeof *p);
    if (p != NULL) {
      p->next = NULL;
      p->bytes = bytes;
      p->data = data;
      source_slot *s = &ioc->slots[idx];
      if (s->backlog_tail != NULL) {
        s->backlog_tail->next = p;
      } else {
        s->backlog = p;
      }
      s->backlog_tail = p;
      ReleaseSRWLockExclusive(&ioc->slock);
      return;
    }
    /* No memory to queue it: wait for the other worker rather than lose a job message. */
    SleepConditionVariableSRW(&ioc->scv, &ioc->slock, INFINITE, 0);
  }
  source_slot *s = &ioc->slots[idx];
  s->delivering = true;
  wctr_ioc_packet_fn fn = s->fn;
  void *ctx = s->ctx;
  for (;;) {
    ReleaseSRWLockExclusive(&ioc->slock);
    ULONG_PTR outer = tls_source_key;
    tls_source_key = key;
    fn(ctx, bytes, data);
    tls_source_key = outer;
    AcquireSRWLockExclusive(&ioc->slock);
    s = &ioc->slots[idx]; /* the array may have moved meanwhile */
    if (s->removed || s->backlog == NULL) break;
    source_packet *p = s->backlog;
    s->backlog = p->next;
    if (s->backlog == NULL) s->backlog_tail = NULL;
    bytes = p->bytes;
    data = p->data;
    free(p);
  }
  s->delivering = false;
  if (s->removed) slot_release_locked(ioc, idx);
  WakeAllConditionVariable(&ioc->scv);
  ReleaseSRWLockExclusive(&ioc->slock);
}

wctr_err wctr_ioc_source_add(wctr_ioc *ioc, wctr_ioc_packet_fn fn, void *ctx, ULONG_PTR *key, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  *key = 0;
  if (fn == NULL) return wctr_fail(e, WCTR_EINVAL, "a keyed source needs a function");
  AcquireSRWLockExclusive(&ioc->slock);
  size_t idx = ioc->free_slot;
  if (idx != SIZE_MAX) {
    ioc->free_slot = ioc->slots[idx].next_free;
  } else {
    if (ioc->nslots > SLOT_MASK) {
      err = wctr_fail(e, WCTR_ENOSPC, "too many keyed sources (%zu)", ioc->nslots);
      goto done;
    }
    source_slot *slots = realloc(ioc->slots, (ioc->nslots + 1) * sizeof *slots);
    if (slots == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "no memory for a keyed source");
      goto done;
    }
    ioc->slots = slots;
    idx = ioc->nslots++;
  }
  source_slot *s = &ioc->slots[idx];
  memset(s, 0, sizeof *s);
  /* Generations only grow: a key is never handed out twice. */
  s->gen = ++ioc->next_gen;
  s->fn = fn;
  s->ctx = ctx;
  *key = (ULONG_PTR)(s->gen << SLOT_BITS) | (ULONG_PTR)idx;
done:
  ReleaseSRWLockExclusive(&ioc->slock);
  return err;
}

size_t wctr_ioc_source_count(wctr_ioc *ioc) {
  size_t n = 0;
  AcquireSRWLockExclusive(&ioc->slock);
  for (size_t i = 0; i < ioc->nslots; i++) {
    if (ioc->slots[i].gen != 0 && !ioc->slots[i].removed) n++;
  }
  ReleaseSRWLockExclusive(&ioc->slock);
  return n;
}

void wctr_ioc_source_remove(wctr_ioc *ioc, ULONG_PTR key) {
  size_t idx = (size_t)(key & SLOT_MASK);
  uint64_t gen = (uint64_t)(key >> SLOT_BITS);
  AcquireSRWLockExclusive(&ioc->slock);
  if (idx < ioc->nslots && ioc->slots[idx].gen == gen && !ioc->slots[idx].removed) {
    ioc->slots[idx].removed = true;
    if (tls_source_key == key) {
      /* Called from the source's own callback: its dispatcher frees the slot when fn returns. */
    } else {
      while (ioc->slots[idx].gen == gen && ioc->slots[idx].delivering) {
        SleepConditionVariableSRW(&ioc->scv, &ioc->slock, INFINITE, 0);
      }
      /* Still ours unless the dispatcher we waited for released it (and someone took it again). */
      if (ioc->slots[idx].gen == gen) slot_release_locked(ioc, idx);
    }
  }
  ReleaseSRWLockExclusive(&ioc->slock);
}

/* --- workers and posts -------------------------------------------------------------------------------- */

static DWORD WINAPI worker_main(void *p) {
  wctr_ioc *ioc = p;
  tls_worker_of = ioc;
  for (;;) {
    DWORD bytes = 0;
    ULONG_PTR key = 0;
    OVERLAPPED *ov = NULL;
    BOOL ok = GetQueuedCompletionStatus(ioc->port, &bytes, &key, &ov, INFINITE);
    DWORD error = ok ? ERROR_SUCCESS : GetLastError();
    if (ov == NULL && key == KEY_REQ) {
      /* The quit packet, or no packet at all (the port is gone). */
      if (!ok) wctr_log_win32("GetQueuedCompletionStatus", error, "a worker of the I/O core stops");
      break;
    }
    if (key == KEY_REQ) {
      wctr_ioc_req *req = (wctr_ioc_req *)ov;
      req->done(req, bytes, error);
    } else if (key == KEY_POSTED) {
      wctr_ioc_req *req = (wctr_ioc_req *)ov;
      req->done(req, bytes, (DWORD)ov->Internal); /* may free req */
      busy_done(ioc);
    } else {
      source_dispatch(ioc, key, bytes, (ULONG_PTR)ov);
    }
  }
  return 0;
}

typedef struct post_packet {
  wctr_ioc_req req;
  wctr_ioc_fn fn;
  void *arg;
} post_packet;

static void post_done(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  (void)bytes;
  (void)error;
  post_packet *p = (post_packet *)req;
  p->fn(p->arg);
  free(p);
}

bool wctr_ioc_post(wctr_ioc *ioc, wctr_ioc_fn fn, void *arg) {
  post_packet *p = calloc(1, sizeof *p);
  if (p == NULL) return false;
  p->req.done = post_done;
  p->fn = fn;
  p->arg = arg;
  if (!admit(ioc)) {
    free(p);
    return false;
  }
  if (!post_counted(ioc, &p->req, 0, ERROR_SUCCESS)) {
    busy_done(ioc);
    free(p);
    return false;
  }
  return true;
}

HANDLE wctr_ioc_port(const wctr_ioc *ioc) {
  return ioc->port;
}

wctr_err wctr_ioc_associate(wctr_ioc *ioc, HANDLE h, wctr_errmsg *e) {
  if (CreateIoCompletionPort(h, ioc->port, KEY_REQ, 0) == NULL) {
    DWORD code = GetLastError();
    wctr_log_win32("CreateIoCompletionPort", code, "associating a handle with the I/O core");
    return wctr_fail(e, wctr_from_win32(code),
                     "the handle could not be associated with the I/O core (it must be opened overlapped "
                     "and not be associated with another port): code %lu", (unsigned long)code);
  }
  return WCTR_OK;
}

bool wctr_ioc_post_req(wctr_ioc *ioc, wctr_ioc_req *req, DWORD bytes, DWORD error) {
  if (!admit(ioc)) return false;
  if (!post_counted(ioc, req, bytes, error)) {
    busy_done(ioc);
    return false;
  }
  return true;
}

bool wctr_ioc_on_worker(const wctr_ioc *ioc) {
  return ioc != NULL && tls_worker_of == ioc;
}

/* --- timers --------------------------------------------------------------------------------------------
 * One thread of our own sleeping on an event until the earliest due time, over a heap. Chosen over
 * CreateTimerQueueTimer because cancel must say exactly whether fn will run: with a heap under our lock
 * "still in the heap" is the answer, where a timer queue's callback can be starting while
 * DeleteTimerQueueTimer runs (and a blocking delete would wait on the caller's locks). It also keeps
 * 10,000 timers at one kernel object and O(log n) per start and cancel. */

static void timer_done(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  (void)bytes;
  (void)error;
  wctr_ioc_timer *t = CONTAINING_RECORD(req, wctr_ioc_timer, req);
  t->fn(t->arg);
  /* The timer belongs to the core again once fn returned (common/ioc.h): nobody holds it any more. */
  free(t);
}

static DWORD WINAPI timer_main(void *p) {
  wctr_ioc *ioc = p;
  AcquireSRWLockExclusive(&ioc->tlock);
  while (!ioc->tquit) {
    uint64_t now = wctr_ioc_now_ms();
    wctr_heap_node *top = wctr_heap_top(&ioc->heap);
    while (top != NULL && top->due <= now) {
      wctr_ioc_timer *t = (wctr_ioc_timer *)top;
      wctr_heap_remove(&ioc->heap, top);
      busy_add(ioc); /* before it shows as fired: stop never sees a fired timer it does not wait for */
      t->state = ONCE_FIRED;
      if (!post_counted(ioc, &t->req, 0, ERROR_SUCCESS)) {
        /* Try again shortly rather than lose it. */
        busy_done(ioc);
        t->state = ONCE_PENDING;
        t->node.due = now + 10;
        if (!wctr_heap_push(&ioc->heap, &t->node)) {
          wctr_log(WCTR_LOG_ERROR, "a timer of the I/O core is lost: no memory to re-queue it");
        }
        break;
      }
      top = wctr_heap_top(&ioc->heap);
    }
    top = wctr_heap_top(&ioc->heap);
    DWORD wait = INFINITE;
    if (top != NULL) {
      uint64_t left = top->due > now ? top->due - now : 1;
      wait = left > 0x7fffffffu ? 0x7fffffffu : (DWORD)left;
    }
    ReleaseSRWLockExclusive(&ioc->tlock);
    /* May return a little before the due time on the QPC clock; the loop then waits again. */
    WaitForSingleObject(ioc->tevent, wait);
    AcquireSRWLockExclusive(&ioc->tlock);
  }
  ReleaseSRWLockExclusive(&ioc->tlock);
  return 0;
}

wctr_err wctr_ioc_timer_start(wctr_ioc *ioc, uint32_t due_ms, wctr_ioc_fn fn, void *arg, wctr_ioc_timer **out,
                              wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wctr_ioc_timer *t = NULL;
  if (out != NULL) *out = NULL;
  if (ioc == NULL || fn == NULL) {
    err = wctr_fail(e, WCTR_EINVAL, "a timer needs a core and a function");
    goto done;
  }
  t = calloc(1, sizeof *t);
  if (t == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for a timer");
    goto done;
  }
  t->ioc = ioc;
  t->fn = fn;
  t->arg = arg;
  t->req.done = timer_done;
  t->state = ONCE_PENDING;
  /* Rounded up by one millisecond: now_ms truncates, so without it a timer could fire up to 1 ms
   * before due_ms had really passed. */
  t->node.due = wctr_ioc_now_ms() + due_ms + (due_ms > 0 ? 1u : 0u);
  AcquireSRWLockExclusive(&ioc->tlock);
  if (ioc->tquit) {
    ReleaseSRWLockExclusive(&ioc->tlock);
    err = wctr_fail(e, WCTR_ESTATE, "the I/O core is stopping: no new timer");
    goto done;
  }
  /* *out is written before the timer thread can see the timer: a fn that runs at once finds it. */
  if (out != NULL) *out = t;
  if (!wctr_heap_push(&ioc->heap, &t->node)) {
    ReleaseSRWLockExclusive(&ioc->tlock);
    if (out != NULL) *out = NULL;
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for the timer heap");
    goto done;
  }
  bool earliest = wctr_heap_top(&ioc->heap) == &t->node;
  ReleaseSRWLockExclusive(&ioc->tlock);
  if (earliest) SetEvent(ioc->tevent);
  t = NULL;
done:
  free(t);
  return err;
}

bool wctr_ioc_timer_cancel(wctr_ioc_timer *t) {
  if (t == NULL) return false;
  wctr_ioc *ioc = t->ioc;
  bool prevented = false;
  bool ours = false;
  AcquireSRWLockExclusive(&ioc->tlock);
  if (t->state == ONCE_PENDING) {
    wctr_heap_remove(&ioc->heap, &t->node);
    t->state = ONCE_CANCELLED;
    prevented = true;
    ours = true;
  } else if (t->state == ONCE_STOPPED) {
    prevented = true; /* fn never runs; stop frees it */
  }
  ReleaseSRWLockExclusive(&ioc->tlock);
  if (ours) free(t);
  return prevented;
}

/* --- handle waits ------------------------------------------------------------------------------------- */

static void wait_unlink_locked(wctr_ioc *ioc, wctr_ioc_wait *w) {
  if (w->prev != NULL) {
    w->prev->next = w->next;
  } else if (ioc->waits == w) {
    ioc->waits = w->next;
  }
  if (w->next != NULL) w->next->prev = w->prev;
  w->prev = NULL;
  w->next = NULL;
}

static void unregister_wait(HANDLE wh) {
  /* INVALID_HANDLE_VALUE: returns once a callback in progress has returned. Ours only posts. */
  if (!UnregisterWaitEx(wh, INVALID_HANDLE_VALUE)) {
    wctr_log_win32("UnregisterWaitEx", GetLastError(), "a handle wait of the I/O core");
  }
}

/* On a Windows wait thread (WT_EXECUTEINWAITTHREAD): only hand the wait to a worker. */
static void CALLBACK wait_fired(void *p, BOOLEAN timed_out) {
  (void)timed_out;
  wctr_ioc_wait *w = p;
  wctr_ioc *ioc = w->ioc;
  busy_add(ioc); /* before the state says fired: stop never sees a fired wait it does not wait for */
  if (InterlockedCompareExchange(&w->state, ONCE_FIRED, ONCE_PENDING) != ONCE_PENDING) {
    busy_done(ioc); /* cancelled meanwhile; the canceller unregisters and frees */
    return;
  }
  if (!post_counted(ioc, &w->req, 0, ERROR_SUCCESS)) {
    busy_done(ioc);
    wctr_log(WCTR_LOG_ERROR, "a handle wait of the I/O core fired but could not reach a worker");
  }
}

static void wait_done(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  (void)bytes;
  (void)error;
  wctr_ioc_wait *w = (wctr_ioc_wait *)req;
  wctr_ioc *ioc = w->ioc;
  /* wlock also waits for wctr_ioc_wait_start to have stored wh (the wait may fire before
   * RegisterWaitForSingleObject returned). */
  AcquireSRWLockExclusive(&ioc->wlock);
  wait_unlink_locked(ioc, w);
  HANDLE wh = w->wh;
  ReleaseSRWLockExclusive(&ioc->wlock);
  /* Before fn, so that fn may close the handle it waited for. */
  unregister_wait(wh);
  w->fn(w->arg);
  free(w);
}

BOOL(WINAPI *wctr_ioc_register_wait)(PHANDLE wait, HANDLE h, WAITORTIMERCALLBACK fn, PVOID ctx, ULONG ms,
                                     ULONG flags) = RegisterWaitForSingleObject;

wctr_err wctr_ioc_wait_start(wctr_ioc *ioc, HANDLE h, wctr_ioc_fn fn, void *arg, wctr_ioc_wait **out,
                             wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wctr_ioc_wait *w = NULL;
  bool locked = false;
  if (out != NULL) *out = NULL;
  if (fn == NULL || h == NULL || h == INVALID_HANDLE_VALUE) {
    err = wctr_fail(e, WCTR_EINVAL, "a handle wait needs a valid handle and a function");
    goto done;
  }
  w = calloc(1, sizeof *w);
  if (w == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for a handle wait");
    goto done;
  }
  w->ioc = ioc;
  w->fn = fn;
  w->arg = arg;
  w->req.done = wait_done;
  w->state = ONCE_PENDING;
  AcquireSRWLockExclusive(&ioc->wlock);
  locked = true;
  if (ioc->wquit) {
    err = wctr_fail(e, WCTR_ESTATE, "the I/O core is stopping: no new handle wait");
    goto done;
  }
  /* The out pointer is set before the wait can fire, under the lock wait_done takes: a fn that runs at
   * once still finds *out written. */
  if (out != NULL) *out = w;
  if (!wctr_ioc_register_wait(&w->wh, h, wait_fired, w, INFINITE, WT_EXECUTEONLYONCE | WT_EXECUTEINWAITTHREAD)) {
    DWORD code = GetLastError();
    if (out != NULL) *out = NULL;
    wctr_log_win32("RegisterWaitForSingleObject", code, "a handle wait of the I/O core");
    err = wctr_fail(e, wctr_from_win32(code), "the handle could not be waited for: code %lu", (unsigned long)code);
    goto done;
  }
  w->next = ioc->waits;
  if (ioc->waits != NULL) ioc->waits->prev = w;
  ioc->waits = w;
  w = NULL;
done:
  if (locked) ReleaseSRWLockExclusive(&ioc->wlock);
  free(w);
  return err;
}

bool wctr_ioc_wait_cancel(wctr_ioc_wait *w) {
  if (w == NULL) return false;
  LONG was = InterlockedCompareExchange(&w->state, ONCE_CANCELLED, ONCE_PENDING);
  if (was == ONCE_STOPPED) return true; /* fn never runs; stop frees it */
  if (was != ONCE_PENDING) return false;
  wctr_ioc *ioc = w->ioc;
  AcquireSRWLockExclusive(&ioc->wlock);
  wait_unlink_locked(ioc, w);
  ReleaseSRWLockExclusive(&ioc->wlock);
  unregister_wait(w->wh); /* a wait_fired in progress sees CANCELLED and returns */
  free(w);
  return true;
}

/* --- the blocking pool -------------------------------------------------------------------------------- */

static void join_exited_locked(wctr_ioc *ioc) {
  pool_thread **pp = &ioc->pool_threads;
  while (*pp != NULL) {
    pool_thread *pt = *pp;
    if (pt->exited) {
      *pp = pt->next;
      WaitForSingleObject(pt->thread, INFINITE); /* it only returns after marking itself */
      CloseHandle(pt->thread);
      free(pt);
    } else {
      pp = &pt->next;
    }
  }
}

static DWORD WINAPI pool_main(void *p) {
  pool_thread *self = p;
  wctr_ioc *ioc = self->ioc;
  AcquireSRWLockExclusive(&ioc->plock);
  for (;;) {
    job *j = ioc->phead;
    if (j == NULL) {
      if (ioc->pquit) break;
      ioc->pidle++;
      BOOL woke = SleepConditionVariableSRW(&ioc->pcv, &ioc->plock, POOL_IDLE_MS, 0);
      ioc->pidle--;
      if (!woke && ioc->phead == NULL) break; /* idle long enough: leave */
      continue;
    }
    ioc->phead = j->next;
    if (ioc->phead == NULL) ioc->ptail = NULL;
    ioc->pqueued--;
    ReleaseSRWLockExclusive(&ioc->plock);
    j->fn(j->arg);
    free(j);
    busy_done(ioc);
    AcquireSRWLockExclusive(&ioc->plock);
  }
  ioc->pthreads--;
  self->exited = true;
  ReleaseSRWLockExclusive(&ioc->plock);
  return 0;
}

/* Adds a pool thread; false when none could be made. */
static bool pool_spawn_locked(wctr_ioc *ioc) {
  pool_thread *pt = calloc(1, sizeof *pt);
  if (pt == NULL) return false;
  pt->ioc = ioc;
  pt->thread = CreateThread(NULL, 0, pool_main, pt, 0, NULL);
  if (pt->thread == NULL) {
    wctr_log_win32("CreateThread", GetLastError(), "a thread of the blocking pool");
    free(pt);
    return false;
  }
  pt->next = ioc->pool_threads;
  ioc->pool_threads = pt;
  ioc->pthreads++;
  return true;
}

/* Jobs wait that no idle thread will take, and the pool may grow. */
static bool pool_short_locked(const wctr_ioc *ioc) {
  return ioc->pqueued > ioc->pidle && ioc->pthreads < ioc->pool_max && !ioc->pquit;
}

static void pool_spawn_arm(wctr_ioc *ioc, uint32_t due_ms);

/* A spawn check, armed when a job found every thread busy: one thread more if the oldest job still waiting
 * has waited POOL_SPAWN_DELAY_MS, then another check while jobs still wait (the pool grows by a thread per
 * delay while the queue stays long); a younger job gets its own delay first. */
static void pool_spawn_check(void *arg) {
  wctr_ioc *ioc = arg;
  AcquireSRWLockExclusive(&ioc->plock);
  ioc->pspawn_armed = false;
  uint64_t now = wctr_ioc_now_ms();
  uint32_t due = 0;
  if (pool_short_locked(ioc)) {
    uint64_t waited = now - ioc->phead->queued_at;
    if (waited >= POOL_SPAWN_DELAY_MS) {
      pool_spawn_locked(ioc);
      waited = 0;
    }
    if (pool_short_locked(ioc)) {
      due = POOL_SPAWN_DELAY_MS - (uint32_t)waited;
      ioc->pspawn_armed = true;
      ioc->pspawn_at = now;
    }
  }
  ReleaseSRWLockExclusive(&ioc->plock);
  if (due > 0) pool_spawn_arm(ioc, due);
}

/* Starts the check's timer (pspawn_armed set by the caller). When the core refuses timers (it stops), the
 * thread is added at once instead: stop drains pool jobs, and they must find a thread. */
static void pool_spawn_arm(wctr_ioc *ioc, uint32_t due_ms) {
  wctr_errmsg e;
  if (wctr_ioc_timer_start(ioc, due_ms, pool_spawn_check, ioc, NULL, &e) == WCTR_OK) return;
  AcquireSRWLockExclusive(&ioc->plock);
  ioc->pspawn_armed = false;
  if (pool_short_locked(ioc)) pool_spawn_locked(ioc);
  ReleaseSRWLockExclusive(&ioc->plock);
}

bool wctr_ioc_blocking(wctr_ioc *ioc, wctr_ioc_fn fn, void *arg) {
  job *j = calloc(1, sizeof *j);
  if (j == NULL) return false;
  j->fn = fn;
  j->arg = arg;
  if (!admit(ioc)) {
    free(j);
    return false;
  }
  AcquireSRWLockExclusive(&ioc->plock);
  join_exited_locked(ioc);
  if (ioc->pthreads == 0 && !pool_spawn_locked(ioc)) {
    /* No thread and none can be made: the job would never run. */
    ReleaseSRWLockExclusive(&ioc->plock);
    free(j);
    busy_done(ioc);
    return false;
  }
  if (ioc->ptail != NULL) {
    ioc->ptail->next = j;
  } else {
    ioc->phead = j;
  }
  ioc->ptail = j;
  ioc->pqueued++;
  /* Every thread busy: not a new thread at once (common/ioc.h). A check armed long ago whose timer was
   * cancelled by stop does not count. */
  uint64_t now = wctr_ioc_now_ms();
  j->queued_at = now;
  bool arm = false;
  if (ioc->pspawn_armed && now - ioc->pspawn_at > 10 * POOL_SPAWN_DELAY_MS) ioc->pspawn_armed = false;
  if (!ioc->pspawn_armed && pool_short_locked(ioc)) {
    ioc->pspawn_armed = true;
    ioc->pspawn_at = now;
    arm = true;
  }
  WakeConditionVariable(&ioc->pcv);
  ReleaseSRWLockExclusive(&ioc->plock);
  if (arm) pool_spawn_arm(ioc, POOL_SPAWN_DELAY_MS);
  return true;
}

/* --- reader ------------------------------------------------------------------------------------------- */

static bool is_end_of_stream(DWORD error) {
  /* ERROR_PIPE_NOT_CONNECTED: the server end of a pipe whose client already left. */
  return error == ERROR_HANDLE_EOF || error == ERROR_BROKEN_PIPE || error == ERROR_PIPE_NOT_CONNECTED;
}

static void reader_end(wctr_ioc_reader *r, DWORD error) {
  wctr_ioc *ioc = r->ioc;
  r->on_end(r->ctx, is_end_of_stream(error) ? 0 : error);
  AcquireSRWLockExclusive(&ioc->iolock);
  if (r->prev != NULL) {
    r->prev->next = r->next;
  } else {
    ioc->readers = r->next;
  }
  if (r->next != NULL) r->next->prev = r->prev;
  ReleaseSRWLockExclusive(&ioc->iolock);
  CloseHandle(r->h);
  /* reader_arm may still hold the lock on the thread that issued the read we just completed. */
  AcquireSRWLockExclusive(&r->lock);
  ReleaseSRWLockExclusive(&r->lock);
  free(r->buf);
  free(r);
}

/* Issues the one read of a reader. Its packet - or a posted one when ReadFile fails at once, or when the
 * reader was cancelled - comes to reader_done on a worker, never inside this call. Nothing here touches
 * r after the lock is released: the packet may already be on another worker, which may free r. */
static void reader_arm(wctr_ioc_reader *r) {
  static char no_buffer;
  wctr_ioc *ioc = r->ioc;
  AcquireSRWLockExclusive(&r->lock);
  memset(&r->req.ov, 0, sizeof r->req.ov);
  r->req.ov.Offset = (DWORD)r->offset;
  r->req.ov.OffsetHigh = (DWORD)(r->offset >> 32);
  busy_add(ioc);
  DWORD code = ERROR_SUCCESS;
  if (r->cancelled) {
    code = ERROR_OPERATION_ABORTED;
  } else if (!ReadFile(r->h, r->buf != NULL ? r->buf : &no_buffer, r->buf != NULL ? r->size : 0, NULL, &r->req.ov)) {
    code = GetLastError();
    /* ERROR_MORE_DATA (a message longer than the buffer) still queues its packet. */
    if (code == ERROR_IO_PENDING || code == ERROR_MORE_DATA) code = ERROR_SUCCESS;
  }
  if (code != ERROR_SUCCESS) {
    r->sync_error = code;
    if (!post_self(ioc, &r->req)) busy_done(ioc); /* logged; the reader is stuck */
  }
  ReleaseSRWLockExclusive(&r->lock);
}

static void reader_done(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  wctr_ioc_reader *r = (wctr_ioc_reader *)req;
  wctr_ioc *ioc = r->ioc;
  if (r->sync_error != 0) {
    error = r->sync_error;
    r->sync_error = 0;
  }
  if ((error == ERROR_SUCCESS || error == ERROR_MORE_DATA) && r->buf == NULL) {
    /* The zero-byte read came back: there is data to read now. */
    r->buf = malloc(r->size);
    if (r->buf != NULL) {
      reader_arm(r);
    } else {
      reader_end(r, ERROR_NOT_ENOUGH_MEMORY);
    }
  } else if (error == ERROR_SUCCESS || error == ERROR_MORE_DATA) {
    r->offset += bytes;
    if (bytes > 0) r->on_data(r->ctx, r->buf, bytes);
    if (r->zero_reads && bytes < r->size) {
      /* The pipe is empty (a full buffer means more may be waiting: read on at once): wait for the next
       * data without a buffer. */
      free(r->buf);
      r->buf = NULL;
    }
    reader_arm(r); /* or, cancelled meanwhile, a posted ERROR_OPERATION_ABORTED */
  } else {
    reader_end(r, error);
  }
  busy_done(ioc); /* after the next read was counted: the count never passes through 0 between reads */
}

wctr_err wctr_ioc_reader_start(wctr_ioc *ioc, HANDLE h, size_t buffer_size,
                               void (*on_data)(void *ctx, const char *data, size_t len),
                               void (*on_end)(void *ctx, DWORD error), void *ctx, wctr_ioc_reader **out,
                               wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wctr_ioc_reader *r = NULL;
  if (out != NULL) *out = NULL;
  if (on_data == NULL || on_end == NULL || buffer_size == 0 || buffer_size > 0x7fffffffu) {
    err = wctr_fail(e, WCTR_EINVAL, "a reader needs on_data, on_end and a buffer_size of 1 byte to 2 GiB (got %zu)",
                    buffer_size);
    goto done;
  }
  r = calloc(1, sizeof *r);
  if (r != NULL) {
    DWORD pipe_flags = 0;
    r->zero_reads = GetFileType(h) == FILE_TYPE_PIPE && GetNamedPipeInfo(h, &pipe_flags, NULL, NULL, NULL) &&
                    (pipe_flags & PIPE_TYPE_MESSAGE) == 0;
    if (!r->zero_reads) r->buf = malloc(buffer_size);
  }
  if (r == NULL || (!r->zero_reads && r->buf == NULL)) {
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for a reader of %zu bytes", buffer_size);
    goto done;
  }
  err = wctr_ioc_associate(ioc, h, e);
  if (err != WCTR_OK) goto done;
  r->req.done = reader_done;
  r->ioc = ioc;
  r->h = h;
  r->size = (DWORD)buffer_size;
  r->on_data = on_data;
  r->on_end = on_end;
  r->ctx = ctx;
  InitializeSRWLock(&r->lock);
  AcquireSRWLockExclusive(&ioc->iolock);
  r->next = ioc->readers;
  if (ioc->readers != NULL) ioc->readers->prev = r;
  ioc->readers = r;
  ReleaseSRWLockExclusive(&ioc->iolock);
  if (out != NULL) *out = r;
  reader_arm(r); /* from here on the reader belongs to its packets */
  r = NULL;
done:
  if (r != NULL) free(r->buf);
  free(r);
  return err;
}

void wctr_ioc_reader_cancel(wctr_ioc_reader *r) {
  if (r == NULL) return;
  /* Under the lock: either the read is issued already and CancelIoEx finds it, or reader_arm sees the
   * flag and issues none. */
  AcquireSRWLockExclusive(&r->lock);
  r->cancelled = true;
  CancelIoEx(r->h, &r->req.ov);
  ReleaseSRWLockExclusive(&r->lock);
}

/* --- writer ------------------------------------------------------------------------------------------- */

static void wbuf_free(wbuf *b) {
  if (b == NULL) return;
  if (b->owned) free(b->data);
  free(b);
}

static void writer_free_queue_locked(wctr_ioc_writer *w, bool keep_head) {
  wbuf *b = keep_head && w->head != NULL ? w->head->next : w->head;
  while (b != NULL) {
    wbuf *next = b->next;
    w->queued -= b->len - b->off;
    wbuf_free(b);
    b = next;
  }
  if (keep_head && w->head != NULL) {
    w->head->next = NULL;
    w->tail = w->head;
  } else {
    w->head = NULL;
    w->tail = NULL;
  }
}

static void writer_start_locked(wctr_ioc_writer *w) {
  wbuf *b = w->head;
  memset(&w->req.ov, 0, sizeof w->req.ov);
  size_t left = b->len - b->off;
  /* Byte mode may go in pieces; a message goes whole (write refuses one longer than a piece). */
  DWORD n = left > WRITE_PIECE ? WRITE_PIECE : (DWORD)left;
  w->inflight = true;
  busy_add(w->ioc);
  BOOL written;
  DWORD code = 0;
  if (w->wsasend != NULL) {
    /* The completion comes through the port either way (no FILE_SKIP_COMPLETION_PORT_ON_SUCCESS), as WriteFile's. */
    ioc_wsabuf buf = {n, b->data + b->off};
    written = w->wsasend((UINT_PTR)w->h, &buf, 1, NULL, 0, &w->req.ov, NULL) == 0;
    if (!written) code = (DWORD)w->wsaerror(); /* WSA_IO_PENDING is ERROR_IO_PENDING */
  } else {
    written = WriteFile(w->h, b->data + b->off, n, NULL, &w->req.ov);
    if (!written) code = GetLastError();
  }
  if (!written) {
    if (code != ERROR_IO_PENDING) {
      w->sync_error = code;
      if (!post_self(w->ioc, &w->req)) {
        /* Nothing will complete: fail the writer here, without callback (logged). */
        w->inflight = false;
        w->failed = true;
        w->error_reported = true;
        writer_free_queue_locked(w, false);
        busy_done(w->ioc);
      }
    }
  }
}

/* What happens next once nothing runs a callback. True: the writer is finished and must be freed. */
static bool writer_pump_locked(wctr_ioc_writer *w) {
  if (w->inflight) return false;
  if (w->head != NULL && !w->failed && !(w->closed && !w->drain_on_close)) {
    writer_start_locked(w);
    if (w->inflight) return false;
  }
  /* A close waiting for the callback that ends here finishes the writer itself once it wakes: were the
   * callback's thread to finish (free) it too, the close would wake on freed memory and free it again. */
  return w->closed && w->cb_running == 0 && w->close_waiting == 0;
}

static void writer_finish(wctr_ioc_writer *w) {
  wctr_ioc *ioc = w->ioc;
  AcquireSRWLockExclusive(&ioc->iolock);
  if (w->prev != NULL) {
    w->prev->next = w->next;
  } else {
    ioc->writers = w->next;
  }
  if (w->next != NULL) w->next->prev = w->prev;
  ReleaseSRWLockExclusive(&ioc->iolock);
  writer_free_queue_locked(w, false);
  if (w->close_handle) CloseHandle(w->h);
  free(w);
}

static bool writer_drained(const wctr_ioc_writer *w) {
  return w->queued < w->opt.low_water || w->queued == 0;
}

static void writer_done(wctr_ioc_req *req, DWORD bytes, DWORD error) {
  wctr_ioc_writer *w = (wctr_ioc_writer *)req;
  wctr_ioc *ioc = w->ioc;
  enum { CB_NONE, CB_DRAIN, CB_ERROR } cb = CB_NONE;
  AcquireSRWLockExclusive(&w->lock);
  if (w->sync_error != 0) {
    error = w->sync_error;
    w->sync_error = 0;
  }
  w->inflight = false;
  wbuf *b = w->head;
  if (error == ERROR_SUCCESS && b != NULL) {
    size_t done_bytes = bytes > b->len - b->off ? b->len - b->off : bytes;
    b->off += done_bytes;
    w->queued -= done_bytes;
    if (b->off == b->len) {
      w->head = b->next;
      if (w->head == NULL) w->tail = NULL;
      wbuf_free(b);
    } else if (w->opt.message_mode || done_bytes == 0) {
      error = ERROR_WRITE_FAULT; /* a message cut short, or no progress at all */
    }
  }
  if (error != ERROR_SUCCESS) {
    w->failed = true;
    writer_free_queue_locked(w, false);
    if (!w->closed && !w->error_reported && w->opt.on_error != NULL) cb = CB_ERROR;
    w->error_reported = true;
  } else if (!w->closed && w->drain_armed && w->opt.on_drain != NULL && writer_drained(w)) {
    w->drain_armed = false;
    cb = CB_DRAIN;
  }
  if (cb != CB_NONE) {
    /* Unlocked, so the callback may write or close; close from another thread waits for it. */
    w->cb_running++;
    w->cb_thread = wctr_thread_id();
    ReleaseSRWLockExclusive(&w->lock);
    if (cb == CB_ERROR) {
      w->opt.on_error(w->opt.ctx, error);
    } else {
      w->opt.on_drain(w->opt.ctx);
    }
    AcquireSRWLockExclusive(&w->lock);
    w->cb_running--;
    w->cb_thread = 0;
    WakeAllConditionVariable(&w->cv);
  }
  bool finished = writer_pump_locked(w);
  ReleaseSRWLockExclusive(&w->lock);
  if (finished) writer_finish(w);
  busy_done(ioc);
}

wctr_err wctr_ioc_writer_start(wctr_ioc *ioc, HANDLE h, bool associated, const wctr_ioc_writer_options *opt,
                               wctr_ioc_writer **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wctr_ioc_writer *w = NULL;
  *out = NULL;
  w = calloc(1, sizeof *w);
  if (w == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for a writer");
    goto done;
  }
  if (opt != NULL && opt->socket) {
    HMODULE ws2 = GetModuleHandleW(L"ws2_32.dll");
    w->wsasend = ws2 != NULL ? (ioc_wsasend_fn)(void (*)(void))GetProcAddress(ws2, "WSASend") : NULL;
    w->wsaerror = ws2 != NULL ? (ioc_wsaerror_fn)(void (*)(void))GetProcAddress(ws2, "WSAGetLastError") : NULL;
    if (w->wsasend == NULL || w->wsaerror == NULL) {
      err = wctr_fail(e, WCTR_EINVAL, "a socket writer needs ws2_32.dll loaded (the socket's own library)");
      goto done;
    }
  }
  if (!associated) {
    err = wctr_ioc_associate(ioc, h, e);
    if (err != WCTR_OK) goto done;
  }
  w->req.done = writer_done;
  w->ioc = ioc;
  w->h = h;
  if (opt != NULL) w->opt = *opt;
  InitializeSRWLock(&w->lock);
  InitializeConditionVariable(&w->cv);
  AcquireSRWLockExclusive(&ioc->iolock);
  w->next = ioc->writers;
  if (ioc->writers != NULL) ioc->writers->prev = w;
  ioc->writers = w;
  ReleaseSRWLockExclusive(&ioc->iolock);
  *out = w;
  w = NULL;
done:
  free(w);
  return err;
}

wctr_err wctr_ioc_writer_write(wctr_ioc_writer *w, const void *data, size_t len, bool take) {
  wctr_err err = WCTR_OK;
  wbuf *b = NULL;
  bool locked = false;
  if (len == 0 && !w->opt.message_mode) goto done; /* nothing to write; an empty message is a message */
  if (w->opt.message_mode && len > WRITE_PIECE) {
    err = WCTR_ETOOBIG;
    goto done;
  }
  AcquireSRWLockExclusive(&w->lock);
  locked = true;
  if (w->closed || w->failed) {
    err = WCTR_EPIPE;
    goto done;
  }
  size_t room = w->queued < w->opt.max_queued ? w->opt.max_queued - w->queued : 0;
  if (w->opt.max_queued != 0 && len > room) {
    w->drain_armed = true; /* on_drain tells the caller when there is room again */
    err = WCTR_ETOOBIG;
    goto done;
  }
  if (take) {
    b = calloc(1, sizeof *b);
    if (b == NULL) {
      err = WCTR_ENOMEM;
      goto done;
    }
    b->data = (char *)data;
    b->owned = true;
    take = false; /* the buffer has it now */
  } else {
    b = malloc(sizeof *b + (len > 0 ? len : 1));
    if (b == NULL) {
      err = WCTR_ENOMEM;
      goto done;
    }
    memset(b, 0, sizeof *b);
    b->data = (char *)(b + 1);
    if (len > 0) memcpy(b->data, data, len);
  }
  b->len = len;
  if (w->tail != NULL) {
    w->tail->next = b;
  } else {
    w->head = b;
  }
  w->tail = b;
  w->queued += len;
  if (!writer_drained(w)) w->drain_armed = true;
  b = NULL;
  if (!w->inflight && w->cb_running == 0) writer_start_locked(w);
done:
  if (locked) ReleaseSRWLockExclusive(&w->lock);
  free(b);
  if (take) free((void *)data);
  return err;
}

size_t wctr_ioc_writer_queued(const wctr_ioc_writer *w) {
  wctr_ioc_writer *mw = (wctr_ioc_writer *)w; /* the lock is not part of the value */
  AcquireSRWLockShared(&mw->lock);
  size_t n = mw->queued;
  ReleaseSRWLockShared(&mw->lock);
  return n;
}

void wctr_ioc_writer_close(wctr_ioc_writer *w, bool drain, bool close_handle) {
  if (w == NULL) return;
  AcquireSRWLockExclusive(&w->lock);
  WCTR_ASSERT(!w->closed);
  w->closed = true;
  w->drain_on_close = drain;
  w->close_handle = close_handle;
  /* No callback after close returns: wait for one in progress on another thread. */
  uint64_t me = wctr_thread_id();
  w->close_waiting++;
  while (w->cb_running > 0 && w->cb_thread != me) SleepConditionVariableSRW(&w->cv, &w->lock, INFINITE, 0);
  w->close_waiting--;
  if (!drain || w->failed) {
    writer_free_queue_locked(w, w->inflight);
    if (w->inflight) CancelIoEx(w->h, &w->req.ov);
  }
  bool finished = writer_pump_locked(w);
  ReleaseSRWLockExclusive(&w->lock);
  if (finished) writer_finish(w);
}

/* --- pipe pair ---------------------------------------------------------------------------------------- */

wctr_err wctr_pipe_pair(bool child_reads, HANDLE *ours, HANDLE *child, wctr_errmsg *e) {
  static volatile LONG counter;
  wctr_err err = WCTR_OK;
  HANDLE server = INVALID_HANDLE_VALUE;
  HANDLE client = INVALID_HANDLE_VALUE;
  HANDLE event = NULL;
  *ours = INVALID_HANDLE_VALUE;
  *child = INVALID_HANDLE_VALUE;
  event = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (event == NULL) {
    err = wctr_log_win32("CreateEventW", GetLastError(), "connecting a pipe pair");
    wctr_fail(e, err, "could not create an event to connect a pipe pair");
    goto done;
  }
  /* A few names: a collision (or someone connecting first) costs a new name, never a shared pipe. */
  for (int attempt = 0; attempt < 8 && client == INVALID_HANDLE_VALUE; attempt++) {
    unsigned long long rnd[2];
    if (wctr_random_bytes(rnd, sizeof rnd) != WCTR_OK) {
      err = wctr_fail(e, WCTR_ESYSTEM, "no random numbers for a pipe name (the system's generator failed)");
      goto done;
    }
    /* 128 random bits: the name cannot be guessed, and the process id and counter keep it unique. */
    wchar_t name[128];
    swprintf(name, ARRAYSIZE(name), L"\\\\.\\pipe\\wctr-io-%lu-%ld-%016llx%016llx",
             (unsigned long)GetCurrentProcessId(), (long)InterlockedIncrement(&counter), rnd[0], rnd[1]);
    DWORD open_mode = (child_reads ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) | FILE_FLAG_OVERLAPPED |
                      FILE_FLAG_FIRST_PIPE_INSTANCE;
    DWORD pipe_mode = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
    server = CreateNamedPipeW(name, open_mode, pipe_mode, 1, PIPE_PAIR_BUFFER, PIPE_PAIR_BUFFER, 0, NULL);
    if (server == INVALID_HANDLE_VALUE) {
      DWORD code = GetLastError();
      /* The name exists: ACCESS_DENIED with FILE_FLAG_FIRST_PIPE_INSTANCE, PIPE_BUSY under Wine 8. */
      if (code == ERROR_ACCESS_DENIED || code == ERROR_PIPE_BUSY) continue;
      err = wctr_log_win32("CreateNamedPipeW", code, "the parent end of a child's stdio pipe");
      wctr_fail(e, err, "could not create a pipe for a child's stdio: code %lu", (unsigned long)code);
      goto done;
    }
    /* The child's end: synchronous (a child's stdio is read and written without OVERLAPPED) and
     * inheritable. The *_ATTRIBUTES right lets the child query and set the pipe's state, as a
     * console-less program's runtime does. */
    SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
    DWORD access = child_reads ? GENERIC_READ | FILE_WRITE_ATTRIBUTES : GENERIC_WRITE | FILE_READ_ATTRIBUTES;
    client = CreateFileW(name, access, 0, &sa, OPEN_EXISTING, 0, NULL);
    if (client == INVALID_HANDLE_VALUE) {
      DWORD code = GetLastError();
      CloseHandle(server);
      server = INVALID_HANDLE_VALUE;
      /* Somebody else took the only instance first: not our pipe, try another name. */
      if (code == ERROR_PIPE_BUSY) continue;
      err = wctr_log_win32("CreateFileW", code, "the child end of a child's stdio pipe");
      wctr_fail(e, err, "could not open the child end of a stdio pipe: code %lu", (unsigned long)code);
      goto done;
    }
  }
  if (client == INVALID_HANDLE_VALUE) {
    err = wctr_fail(e, WCTR_EBUSY, "no free name for a child's stdio pipe after 8 attempts");
    goto done;
  }
  /* Our client is connected already (ERROR_PIPE_CONNECTED); the call makes the server end agree. */
  OVERLAPPED ov;
  memset(&ov, 0, sizeof ov);
  ov.hEvent = event;
  if (!ConnectNamedPipe(server, &ov)) {
    DWORD code = GetLastError();
    if (code == ERROR_IO_PENDING) {
      if (WaitForSingleObject(event, 5000) != WAIT_OBJECT_0) {
        CancelIoEx(server, &ov);
        DWORD n = 0;
        GetOverlappedResult(server, &ov, &n, TRUE);
        err = wctr_fail(e, WCTR_ETIMEDOUT, "a child's stdio pipe did not connect within 5 s");
        goto done;
      }
      DWORD n = 0;
      if (!GetOverlappedResult(server, &ov, &n, FALSE)) code = GetLastError();
      else code = ERROR_PIPE_CONNECTED;
    }
    if (code != ERROR_PIPE_CONNECTED) {
      err = wctr_log_win32("ConnectNamedPipe", code, "a child's stdio pipe");
      wctr_fail(e, err, "a child's stdio pipe did not connect: code %lu", (unsigned long)code);
      goto done;
    }
  }
  *ours = server;
  *child = client;
  server = INVALID_HANDLE_VALUE;
  client = INVALID_HANDLE_VALUE;
done:
  if (server != INVALID_HANDLE_VALUE) CloseHandle(server);
  if (client != INVALID_HANDLE_VALUE) CloseHandle(client);
  if (event != NULL) CloseHandle(event);
  return err;
}

/* --- start and stop ----------------------------------------------------------------------------------- */

wctr_err wctr_ioc_start(const wctr_ioc_options *opt, wctr_ioc **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wctr_ioc *ioc = NULL;
  *out = NULL;
  ioc = calloc(1, sizeof *ioc);
  if (ioc == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for the I/O core");
    goto done;
  }
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  ioc->nworkers = opt != NULL && opt->workers != 0 ? opt->workers : si.dwNumberOfProcessors;
  if (ioc->nworkers == 0) ioc->nworkers = 1;
  ioc->pool_max = opt != NULL && opt->pool_max != 0 ? opt->pool_max : 8;
  InitializeSRWLock(&ioc->lock);
  InitializeConditionVariable(&ioc->drain_cv);
  InitializeSRWLock(&ioc->tlock);
  InitializeSRWLock(&ioc->wlock);
  InitializeSRWLock(&ioc->slock);
  InitializeConditionVariable(&ioc->scv);
  InitializeSRWLock(&ioc->plock);
  InitializeConditionVariable(&ioc->pcv);
  InitializeSRWLock(&ioc->iolock);
  ioc->free_slot = SIZE_MAX;
  ioc->state = IOC_RUNNING;
  ioc->workers = calloc(ioc->nworkers, sizeof *ioc->workers);
  if (ioc->workers == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for %u workers", ioc->nworkers);
    goto done;
  }
  /* Concurrency = the number of workers: the port lets as many run at once as we have. */
  ioc->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, ioc->nworkers);
  if (ioc->port == NULL) {
    err = wctr_log_win32("CreateIoCompletionPort", GetLastError(), "the port of the I/O core");
    wctr_fail(e, err, "could not create the completion port of the I/O core");
    goto done;
  }
  ioc->tevent = CreateEventW(NULL, FALSE, FALSE, NULL);
  if (ioc->tevent == NULL) {
    err = wctr_log_win32("CreateEventW", GetLastError(), "the timer event of the I/O core");
    wctr_fail(e, err, "could not create the timer event of the I/O core");
    goto done;
  }
  for (unsigned i = 0; i < ioc->nworkers; i++) {
    ioc->workers[i] = CreateThread(NULL, 0, worker_main, ioc, 0, NULL);
    if (ioc->workers[i] == NULL) {
      err = wctr_log_win32("CreateThread", GetLastError(), "worker %u of the I/O core", i + 1);
      wctr_fail(e, err, "could not start worker %u of the I/O core", i + 1);
      goto done;
    }
    ioc->workers_started++;
  }
  ioc->tthread = CreateThread(NULL, 0, timer_main, ioc, 0, NULL);
  if (ioc->tthread == NULL) {
    err = wctr_log_win32("CreateThread", GetLastError(), "the timer thread of the I/O core");
    wctr_fail(e, err, "could not start the timer thread of the I/O core");
    goto done;
  }
  *out = ioc;
  ioc = NULL;
done:
  wctr_ioc_stop(ioc);
  return err;
}

/* Stop's part for readers and writers: cancel their I/O so that their packets come and drain. */
static void cancel_live_io(wctr_ioc *ioc) {
  AcquireSRWLockExclusive(&ioc->iolock);
  for (wctr_ioc_reader *r = ioc->readers; r != NULL; r = r->next) wctr_ioc_reader_cancel(r);
  for (wctr_ioc_writer *w = ioc->writers; w != NULL; w = w->next) {
    AcquireSRWLockExclusive(&w->lock);
    if (w->inflight) CancelIoEx(w->h, &w->req.ov);
    ReleaseSRWLockExclusive(&w->lock);
  }
  ReleaseSRWLockExclusive(&ioc->iolock);
}

void wctr_ioc_stop(wctr_ioc *ioc) {
  if (ioc == NULL) return;
  /* A worker cannot join itself. */
  WCTR_ASSERT(!wctr_ioc_on_worker(ioc));

  AcquireSRWLockExclusive(&ioc->lock);
  ioc->state = IOC_DRAINING;
  ReleaseSRWLockExclusive(&ioc->lock);

  /* Timers that have not fired never will; fired ones are counted in busy and drain below. */
  AcquireSRWLockExclusive(&ioc->tlock);
  ioc->tquit = true;
  for (wctr_heap_node *top = wctr_heap_top(&ioc->heap); top != NULL; top = wctr_heap_top(&ioc->heap)) {
    wctr_ioc_timer *t = (wctr_ioc_timer *)top;
    wctr_heap_remove(&ioc->heap, top);
    t->state = ONCE_STOPPED;
    t->next_stopped = ioc->tstopped;
    ioc->tstopped = t;
  }
  ReleaseSRWLockExclusive(&ioc->tlock);
  if (ioc->tthread != NULL) {
    SetEvent(ioc->tevent);
    WaitForSingleObject(ioc->tthread, INFINITE);
    CloseHandle(ioc->tthread);
  }

  /* Waits likewise: unregistered (which waits for a wait_fired in progress), kept until the end. */
  AcquireSRWLockExclusive(&ioc->wlock);
  ioc->wquit = true;
  wctr_ioc_wait *w = ioc->waits;
  while (w != NULL) {
    wctr_ioc_wait *next = w->next;
    if (InterlockedCompareExchange(&w->state, ONCE_STOPPED, ONCE_PENDING) == ONCE_PENDING) {
      unregister_wait(w->wh);
      wait_unlink_locked(ioc, w);
      w->next = ioc->wstopped;
      ioc->wstopped = w;
    }
    w = next;
  }
  ReleaseSRWLockExclusive(&ioc->wlock);

  /* Drain: posted work, fired timers and waits, pool jobs and the I/O of readers and writers. */
  if (ioc->port != NULL) {
    AcquireSRWLockExclusive(&ioc->lock);
    while (ioc->busy > 0) {
      ReleaseSRWLockExclusive(&ioc->lock);
      cancel_live_io(ioc);
      AcquireSRWLockExclusive(&ioc->lock);
      if (ioc->busy > 0) SleepConditionVariableSRW(&ioc->drain_cv, &ioc->lock, DRAIN_RECHECK_MS, 0);
    }
    ioc->state = IOC_CLOSED;
    ReleaseSRWLockExclusive(&ioc->lock);
    for (unsigned i = 0; i < ioc->workers_started; i++) {
      if (!PostQueuedCompletionStatus(ioc->port, 0, KEY_REQ, NULL)) {
        wctr_log_win32("PostQueuedCompletionStatus", GetLastError(), "the quit packet of a worker");
      }
    }
    for (unsigned i = 0; i < ioc->workers_started; i++) {
      WaitForSingleObject(ioc->workers[i], INFINITE);
      CloseHandle(ioc->workers[i]);
    }
  }

  AcquireSRWLockExclusive(&ioc->plock);
  ioc->pquit = true;
  WakeAllConditionVariable(&ioc->pcv);
  ReleaseSRWLockExclusive(&ioc->plock);
  for (;;) {
    AcquireSRWLockExclusive(&ioc->plock);
    pool_thread *pt = ioc->pool_threads;
    if (pt != NULL) ioc->pool_threads = pt->next;
    ReleaseSRWLockExclusive(&ioc->plock);
    if (pt == NULL) break;
    WaitForSingleObject(pt->thread, INFINITE);
    CloseHandle(pt->thread);
    free(pt);
  }

  while (ioc->tstopped != NULL) {
    wctr_ioc_timer *t = ioc->tstopped;
    ioc->tstopped = t->next_stopped;
    free(t);
  }
  while (ioc->wstopped != NULL) {
    wctr_ioc_wait *ws = ioc->wstopped;
    ioc->wstopped = ws->next;
    free(ws);
  }
  wctr_heap_free(&ioc->heap);
  for (size_t i = 0; i < ioc->nslots; i++) {
    while (ioc->slots[i].backlog != NULL) {
      source_packet *p = ioc->slots[i].backlog;
      ioc->slots[i].backlog = p->next;
      free(p);
    }
  }
  free(ioc->slots);
  if (ioc->tevent != NULL) CloseHandle(ioc->tevent);
  if (ioc->port != NULL) CloseHandle(ioc->port);
  free(ioc->workers);
  free(ioc);
}

/* --- the asserted mutex ------------------------------------------------------------------------------- */

wctr_err wctr_mutex_init(wctr_mutex *m) {
  m->owner = 0;
  SRWLOCK *impl = malloc(sizeof *impl);
  m->impl = impl;
  if (impl == NULL) return WCTR_ENOMEM;
  InitializeSRWLock(impl);
  return WCTR_OK;
}

void wctr_mutex_destroy(wctr_mutex *m) {
  if (m == NULL || m->impl == NULL) return;
  WCTR_ASSERT(__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == 0);
  free(m->impl);
  m->impl = NULL;
}

void wctr_mutex_lock(wctr_mutex *m) {
  /* Not recursive (an SRWLOCK taken twice on one thread deadlocks): say so instead. */
  WCTR_ASSERT(!wctr_mutex_held(m));
  AcquireSRWLockExclusive(m->impl);
  __atomic_store_n(&m->owner, wctr_thread_id(), __ATOMIC_RELAXED);
}

void wctr_mutex_unlock(wctr_mutex *m) {
  WCTR_ASSERT(wctr_mutex_held(m));
  __atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
  ReleaseSRWLockExclusive(m->impl);
}

bool wctr_mutex_held(const wctr_mutex *m) {
  /* Only this thread ever stores its own id, so reading it back is exact without the lock. */
  return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == wctr_thread_id();
}

void wctr_assert_fail(const char *expr, const char *file, int line) {
  wctr_log(WCTR_LOG_ERROR, "assertion failed: %s (%s:%d)", expr, file, line);
  abort();
}
