/* common/ioc_posix.c - the portable I/O core (common/ioc.h) on pthreads, for the native lane: the
 * container manager and its fake runtime run on it under ASan/UBSan with the semantics of the Windows
 * core (common/ioc_win.c). There is no completion port: posts go to one FIFO queue served by the
 * workers, timers live in a heap served by one timer thread, and the blocking pool is the same
 * bounded queue as on Windows. No Windows extras here (common/ioc_win.h). */
#include "common/ioc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ioc_heap.h"
#include "common/log.h"

/* A pool thread with nothing to do for this long leaves: an idle service keeps no pool threads. */
#define POOL_IDLE_MS 10000
/* A job that finds every pool thread busy waits this long for one of them before a thread is added
 * (common/ioc.h). */
#define POOL_SPAWN_DELAY_MS 20

enum { IOC_RUNNING, IOC_DRAINING, IOC_CLOSED };
enum { TIMER_PENDING, TIMER_FIRED, TIMER_STOPPED };

/* One callback to run; owned items were allocated by wctr_ioc_post / wctr_ioc_blocking and are freed
 * after they ran, the others are embedded in a timer (which its run function frees). */
typedef struct item {
  struct item *next;
  wctr_ioc_fn fn;
  void *arg;
  bool owned;
  uint64_t queued_at; /* pool jobs: wctr_ioc_now_ms when queued */
} item;

typedef struct queue {
  item *head;
  item *tail;
} queue;

struct wctr_ioc_timer {
  wctr_heap_node node; /* first member: the heap hands back node pointers */
  item run;
  wctr_ioc *ioc;
  wctr_ioc_fn fn;
  void *arg;
  int state; /* under ioc->tlock */
  struct wctr_ioc_timer *next_stopped;
};

typedef struct pool_thread {
  struct pool_thread *next;
  wctr_ioc *ioc;
  pthread_t thread;
  bool exited; /* it left the loop and only returns: join it */
} pool_thread;

struct wctr_ioc {
  /* Work: the queue, its counter and the core's state. */
  pthread_mutex_t lock;
  pthread_cond_t work_cv;  /* a worker waits for an item */
  pthread_cond_t drain_cv; /* stop waits for busy == 0 */
  queue work;
  size_t busy; /* items queued or running, pool jobs included: stop drains until 0 */
  int state;
  bool quit;
  unsigned nworkers;
  pthread_t *workers;
  unsigned workers_started;

  /* Timers: one thread sleeping until the earliest is due. */
  pthread_mutex_t tlock;
  pthread_cond_t tcv; /* on CLOCK_MONOTONIC, the clock of wctr_ioc_now_ms */
  wctr_heap heap;
  bool tquit;
  bool tstarted;
  pthread_t tthread;
  struct wctr_ioc_timer *stopped; /* cancelled by stop, freed at its end */

  /* The blocking pool. */
  pthread_mutex_t plock;
  pthread_cond_t pcv;
  queue pool;
  unsigned pqueued;     /* jobs in the queue */
  unsigned pool_max;
  unsigned pthreads;
  unsigned pidle;
  bool pquit;
  bool pspawn_armed;    /* a spawn check is due (pool_spawn_check) */
  uint64_t pspawn_at;   /* when it was armed */
  pool_thread *pool_threads;
};

static _Thread_local const wctr_ioc *tls_worker_of;

uint64_t wctr_ioc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t wctr_thread_id(void) {
  /* pthread_t is opaque; a counter gives every thread a small non-zero number of its own. */
  static uint64_t next_id;
  static _Thread_local uint64_t id;
  if (id == 0) id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
  return id;
}

static void queue_push(queue *q, item *it) {
  it->next = NULL;
  if (q->tail != NULL) {
    q->tail->next = it;
  } else {
    q->head = it;
  }
  q->tail = it;
}

static item *queue_pop(queue *q) {
  item *it = q->head;
  if (it == NULL) return NULL;
  q->head = it->next;
  if (q->head == NULL) q->tail = NULL;
  return it;
}

/* Called with ioc->lock held when a counted item finished. */
static void busy_done_locked(wctr_ioc *ioc) {
  ioc->busy--;
  if (ioc->busy == 0) pthread_cond_broadcast(&ioc->drain_cv);
}

static void run_item(item *it) {
  bool owned = it->owned;
  it->fn(it->arg); /* may free it (a timer frees itself) */
  if (owned) free(it);
}

static void *worker_main(void *p) {
  wctr_ioc *ioc = p;
  tls_worker_of = ioc;
  pthread_mutex_lock(&ioc->lock);
  for (;;) {
    item *it = queue_pop(&ioc->work);
    if (it == NULL) {
      if (ioc->quit) break;
      pthread_cond_wait(&ioc->work_cv, &ioc->lock);
      continue;
    }
    pthread_mutex_unlock(&ioc->lock);
    run_item(it);
    pthread_mutex_lock(&ioc->lock);
    busy_done_locked(ioc);
  }
  pthread_mutex_unlock(&ioc->lock);
  return NULL;
}

/* Queues an item that is already counted in busy. */
static void enqueue_counted_locked(wctr_ioc *ioc, item *it) {
  queue_push(&ioc->work, it);
  pthread_cond_signal(&ioc->work_cv);
}

bool wctr_ioc_post(wctr_ioc *ioc, wctr_ioc_fn fn, void *arg) {
  item *it = malloc(sizeof *it);
  if (it == NULL) return false;
  it->fn = fn;
  it->arg = arg;
  it->owned = true;
  pthread_mutex_lock(&ioc->lock);
  if (ioc->state == IOC_CLOSED) {
    pthread_mutex_unlock(&ioc->lock);
    free(it);
    return false;
  }
  ioc->busy++;
  enqueue_counted_locked(ioc, it);
  pthread_mutex_unlock(&ioc->lock);
  return true;
}

/* --- timers ------------------------------------------------------------------------------------------- */

static void timer_run(void *p) {
  wctr_ioc_timer *t = p;
  t->fn(t->arg);
  /* The timer belongs to the core again once fn returned (common/ioc.h): nobody holds it any more. */
  free(t);
}

static void abs_deadline(uint64_t due_ms, struct timespec *ts) {
  /* The due time is on the wctr_ioc_now_ms clock, which is CLOCK_MONOTONIC, as is the condition's. */
  ts->tv_sec = (time_t)(due_ms / 1000u);
  ts->tv_nsec = (long)(due_ms % 1000u) * 1000000L;
}

static void *timer_main(void *p) {
  wctr_ioc *ioc = p;
  pthread_mutex_lock(&ioc->tlock);
  while (!ioc->tquit) {
    uint64_t now = wctr_ioc_now_ms();
    wctr_heap_node *top = wctr_heap_top(&ioc->heap);
    while (top != NULL && top->due <= now) {
      wctr_ioc_timer *t = (wctr_ioc_timer *)top;
      wctr_heap_remove(&ioc->heap, top);
      t->state = TIMER_FIRED;
      /* Counted before the timer lock is left: stop cannot finish draining before this item ran. Lock
       * order tlock -> lock, never the reverse. */
      pthread_mutex_lock(&ioc->lock);
      ioc->busy++;
      enqueue_counted_locked(ioc, &t->run);
      pthread_mutex_unlock(&ioc->lock);
      top = wctr_heap_top(&ioc->heap);
    }
    if (top == NULL) {
      pthread_cond_wait(&ioc->tcv, &ioc->tlock);
    } else {
      struct timespec ts;
      abs_deadline(top->due, &ts);
      pthread_cond_timedwait(&ioc->tcv, &ioc->tlock, &ts); /* wakes early or late; the loop re-checks */
    }
  }
  pthread_mutex_unlock(&ioc->tlock);
  return NULL;
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
  t->run.fn = timer_run;
  t->run.arg = t;
  t->run.owned = false;
  t->state = TIMER_PENDING;
  /* Rounded up by one millisecond: now_ms truncates, so without it a timer could fire up to 1 ms
   * before due_ms had really passed. */
  t->node.due = wctr_ioc_now_ms() + due_ms + (due_ms > 0 ? 1u : 0u);
  pthread_mutex_lock(&ioc->tlock);
  if (ioc->tquit) {
    pthread_mutex_unlock(&ioc->tlock);
    err = wctr_fail(e, WCTR_ESTATE, "the I/O core is stopping: no new timer");
    goto done;
  }
  /* *out is written before the timer thread can see the timer: a fn that runs at once finds it. */
  if (out != NULL) *out = t;
  if (!wctr_heap_push(&ioc->heap, &t->node)) {
    pthread_mutex_unlock(&ioc->tlock);
    if (out != NULL) *out = NULL;
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for the timer heap");
    goto done;
  }
  if (wctr_heap_top(&ioc->heap) == &t->node) pthread_cond_signal(&ioc->tcv);
  pthread_mutex_unlock(&ioc->tlock);
  t = NULL;
done:
  free(t);
  return err;
}

bool wctr_ioc_timer_cancel(wctr_ioc_timer *t) {
  if (t == NULL) return false;
  wctr_ioc *ioc = t->ioc;
  bool prevented = false;
  pthread_mutex_lock(&ioc->tlock);
  if (t->state == TIMER_PENDING) {
    wctr_heap_remove(&ioc->heap, &t->node);
    prevented = true;
  } else if (t->state == TIMER_STOPPED) {
    /* Cancelled by wctr_ioc_stop, which frees it: fn never runs, but t is not ours to free. */
    pthread_mutex_unlock(&ioc->tlock);
    return true;
  }
  pthread_mutex_unlock(&ioc->tlock);
  if (prevented) free(t);
  return prevented;
}

/* --- the blocking pool -------------------------------------------------------------------------------- */

static void join_exited_locked(wctr_ioc *ioc) {
  pool_thread **pp = &ioc->pool_threads;
  while (*pp != NULL) {
    pool_thread *pt = *pp;
    if (pt->exited) {
      *pp = pt->next;
      pthread_join(pt->thread, NULL); /* it only returns after marking itself */
      free(pt);
    } else {
      pp = &pt->next;
    }
  }
}

static void *pool_main(void *p) {
  pool_thread *self = p;
  wctr_ioc *ioc = self->ioc;
  pthread_mutex_lock(&ioc->plock);
  for (;;) {
    item *it = queue_pop(&ioc->pool);
    if (it != NULL) ioc->pqueued--;
    if (it == NULL) {
      if (ioc->pquit) break;
      ioc->pidle++;
      struct timespec ts;
      abs_deadline(wctr_ioc_now_ms() + POOL_IDLE_MS, &ts);
      int rc = pthread_cond_timedwait(&ioc->pcv, &ioc->plock, &ts);
      ioc->pidle--;
      if (rc == ETIMEDOUT && ioc->pool.head == NULL) break; /* idle long enough: leave */
      continue;
    }
    pthread_mutex_unlock(&ioc->plock);
    run_item(it);
    pthread_mutex_lock(&ioc->lock);
    busy_done_locked(ioc);
    pthread_mutex_unlock(&ioc->lock);
    pthread_mutex_lock(&ioc->plock);
  }
  ioc->pthreads--;
  self->exited = true;
  pthread_mutex_unlock(&ioc->plock);
  return NULL;
}

/* Adds a pool thread; false when none could be made. */
static bool pool_spawn_locked(wctr_ioc *ioc) {
  pool_thread *pt = calloc(1, sizeof *pt);
  if (pt == NULL) return false;
  pt->ioc = ioc;
  if (pthread_create(&pt->thread, NULL, pool_main, pt) != 0) {
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
 * has waited POOL_SPAWN_DELAY_MS, then another check while jobs still wait; a younger job gets its own
 * delay first. */
static void pool_spawn_check(void *arg) {
  wctr_ioc *ioc = arg;
  pthread_mutex_lock(&ioc->plock);
  ioc->pspawn_armed = false;
  uint64_t now = wctr_ioc_now_ms();
  uint32_t due = 0;
  if (pool_short_locked(ioc)) {
    uint64_t waited = now - ioc->pool.head->queued_at;
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
  pthread_mutex_unlock(&ioc->plock);
  if (due > 0) pool_spawn_arm(ioc, due);
}

/* Starts the check's timer (pspawn_armed set by the caller); when the core refuses timers (it stops), the
 * thread is added at once: stop drains pool jobs, and they must find a thread. */
static void pool_spawn_arm(wctr_ioc *ioc, uint32_t due_ms) {
  wctr_errmsg e;
  if (wctr_ioc_timer_start(ioc, due_ms, pool_spawn_check, ioc, NULL, &e) == WCTR_OK) return;
  pthread_mutex_lock(&ioc->plock);
  ioc->pspawn_armed = false;
  if (pool_short_locked(ioc)) pool_spawn_locked(ioc);
  pthread_mutex_unlock(&ioc->plock);
}

bool wctr_ioc_blocking(wctr_ioc *ioc, wctr_ioc_fn fn, void *arg) {
  item *it = malloc(sizeof *it);
  if (it == NULL) return false;
  it->fn = fn;
  it->arg = arg;
  it->owned = true;
  pthread_mutex_lock(&ioc->lock);
  if (ioc->state == IOC_CLOSED) {
    pthread_mutex_unlock(&ioc->lock);
    free(it);
    return false;
  }
  ioc->busy++;
  pthread_mutex_unlock(&ioc->lock);

  pthread_mutex_lock(&ioc->plock);
  join_exited_locked(ioc);
  if (ioc->pthreads == 0 && !pool_spawn_locked(ioc)) {
    /* No thread and none can be made: the job would never run. */
    pthread_mutex_unlock(&ioc->plock);
    wctr_log(WCTR_LOG_ERROR, "the blocking pool could not start a thread; a job is refused");
    free(it);
    pthread_mutex_lock(&ioc->lock);
    busy_done_locked(ioc);
    pthread_mutex_unlock(&ioc->lock);
    return false;
  }
  uint64_t now = wctr_ioc_now_ms();
  it->queued_at = now;
  queue_push(&ioc->pool, it);
  ioc->pqueued++;
  /* Every thread busy: not a new thread at once (common/ioc.h). A check armed long ago whose timer was
   * cancelled by stop does not count. */
  bool arm = false;
  if (ioc->pspawn_armed && now - ioc->pspawn_at > 10 * POOL_SPAWN_DELAY_MS) ioc->pspawn_armed = false;
  if (!ioc->pspawn_armed && pool_short_locked(ioc)) {
    ioc->pspawn_armed = true;
    ioc->pspawn_at = now;
    arm = true;
  }
  pthread_cond_signal(&ioc->pcv);
  pthread_mutex_unlock(&ioc->plock);
  if (arm) pool_spawn_arm(ioc, POOL_SPAWN_DELAY_MS);
  return true;
}

/* --- start and stop ----------------------------------------------------------------------------------- */

static unsigned cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1u;
}

wctr_err wctr_ioc_start(const wctr_ioc_options *opt, wctr_ioc **out, wctr_errmsg *e) {
  wctr_err err = WCTR_OK;
  wctr_ioc *ioc = NULL;
  pthread_condattr_t attr;
  bool attr_ready = false;
  *out = NULL;
  ioc = calloc(1, sizeof *ioc);
  if (ioc == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for the I/O core");
    goto done;
  }
  ioc->nworkers = opt != NULL && opt->workers != 0 ? opt->workers : cpu_count();
  ioc->pool_max = opt != NULL && opt->pool_max != 0 ? opt->pool_max : 8;
  ioc->workers = calloc(ioc->nworkers, sizeof *ioc->workers);
  if (ioc->workers == NULL) {
    free(ioc);
    ioc = NULL;
    err = wctr_fail(e, WCTR_ENOMEM, "no memory for %u workers", opt != NULL ? opt->workers : 0u);
    goto done;
  }
  pthread_mutex_init(&ioc->lock, NULL);
  pthread_cond_init(&ioc->work_cv, NULL);
  pthread_cond_init(&ioc->drain_cv, NULL);
  pthread_mutex_init(&ioc->tlock, NULL);
  pthread_condattr_init(&attr);
  attr_ready = true;
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&ioc->tcv, &attr);
  pthread_mutex_init(&ioc->plock, NULL);
  pthread_cond_init(&ioc->pcv, &attr);
  ioc->state = IOC_RUNNING;

  for (unsigned i = 0; i < ioc->nworkers; i++) {
    if (pthread_create(&ioc->workers[i], NULL, worker_main, ioc) != 0) {
      err = wctr_fail(e, WCTR_ESYSTEM, "could not start worker %u of the I/O core", i + 1);
      goto done;
    }
    ioc->workers_started++;
  }
  if (pthread_create(&ioc->tthread, NULL, timer_main, ioc) != 0) {
    err = wctr_fail(e, WCTR_ESYSTEM, "could not start the timer thread of the I/O core");
    goto done;
  }
  ioc->tstarted = true;
  *out = ioc;
  ioc = NULL;
done:
  if (attr_ready) pthread_condattr_destroy(&attr);
  wctr_ioc_stop(ioc);
  return err;
}

void wctr_ioc_stop(wctr_ioc *ioc) {
  if (ioc == NULL) return;
  /* A worker cannot join itself. */
  WCTR_ASSERT(!wctr_ioc_on_worker(ioc));

  pthread_mutex_lock(&ioc->lock);
  ioc->state = IOC_DRAINING;
  pthread_mutex_unlock(&ioc->lock);

  /* Timers that have not fired never will; the fired ones are counted in busy and drain below. */
  pthread_mutex_lock(&ioc->tlock);
  ioc->tquit = true;
  for (wctr_heap_node *top = wctr_heap_top(&ioc->heap); top != NULL; top = wctr_heap_top(&ioc->heap)) {
    wctr_ioc_timer *t = (wctr_ioc_timer *)top;
    wctr_heap_remove(&ioc->heap, top);
    t->state = TIMER_STOPPED;
    t->next_stopped = ioc->stopped;
    ioc->stopped = t;
  }
  pthread_cond_broadcast(&ioc->tcv);
  pthread_mutex_unlock(&ioc->tlock);
  if (ioc->tstarted) pthread_join(ioc->tthread, NULL);

  /* Drain: posted work and pool jobs may post more; both are counted in busy. */
  pthread_mutex_lock(&ioc->lock);
  while (ioc->busy > 0) pthread_cond_wait(&ioc->drain_cv, &ioc->lock);
  ioc->state = IOC_CLOSED;
  ioc->quit = true;
  pthread_cond_broadcast(&ioc->work_cv);
  pthread_mutex_unlock(&ioc->lock);
  for (unsigned i = 0; i < ioc->workers_started; i++) pthread_join(ioc->workers[i], NULL);

  pthread_mutex_lock(&ioc->plock);
  ioc->pquit = true;
  pthread_cond_broadcast(&ioc->pcv);
  pthread_mutex_unlock(&ioc->plock);
  /* Every pool thread marks itself exited on its way out; join them all. */
  for (;;) {
    pthread_mutex_lock(&ioc->plock);
    pool_thread *pt = ioc->pool_threads;
    if (pt != NULL) ioc->pool_threads = pt->next;
    pthread_mutex_unlock(&ioc->plock);
    if (pt == NULL) break;
    pthread_join(pt->thread, NULL);
    free(pt);
  }

  while (ioc->stopped != NULL) {
    wctr_ioc_timer *t = ioc->stopped;
    ioc->stopped = t->next_stopped;
    free(t);
  }
  wctr_heap_free(&ioc->heap);
  pthread_cond_destroy(&ioc->pcv);
  pthread_mutex_destroy(&ioc->plock);
  pthread_cond_destroy(&ioc->tcv);
  pthread_mutex_destroy(&ioc->tlock);
  pthread_cond_destroy(&ioc->drain_cv);
  pthread_cond_destroy(&ioc->work_cv);
  pthread_mutex_destroy(&ioc->lock);
  free(ioc->workers);
  free(ioc);
}

bool wctr_ioc_on_worker(const wctr_ioc *ioc) {
  return ioc != NULL && tls_worker_of == ioc;
}

/* --- the asserted mutex ------------------------------------------------------------------------------- */

wctr_err wctr_mutex_init(wctr_mutex *m) {
  m->owner = 0;
  pthread_mutex_t *impl = malloc(sizeof *impl);
  if (impl == NULL) {
    m->impl = NULL;
    return WCTR_ENOMEM;
  }
  if (pthread_mutex_init(impl, NULL) != 0) {
    free(impl);
    m->impl = NULL;
    return WCTR_ESYSTEM;
  }
  m->impl = impl;
  return WCTR_OK;
}

void wctr_mutex_destroy(wctr_mutex *m) {
  if (m == NULL || m->impl == NULL) return;
  WCTR_ASSERT(__atomic_load_n(&m->owner, __ATOMIC_RELAXED) == 0);
  pthread_mutex_destroy(m->impl);
  free(m->impl);
  m->impl = NULL;
}

void wctr_mutex_lock(wctr_mutex *m) {
  /* Not recursive: locking it twice on one thread would deadlock; say so instead. */
  WCTR_ASSERT(!wctr_mutex_held(m));
  pthread_mutex_lock(m->impl);
  __atomic_store_n(&m->owner, wctr_thread_id(), __ATOMIC_RELAXED);
}

void wctr_mutex_unlock(wctr_mutex *m) {
  WCTR_ASSERT(wctr_mutex_held(m));
  __atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
  pthread_mutex_unlock(m->impl);
}

bool wctr_mutex_held(const wctr_mutex *m) {
  /* Only this thread ever stores its own id, so reading it back is exact without the lock. */
  return __atomic_load_n(&m->owner, __ATOMIC_RELAXED) == wctr_thread_id();
}

void wctr_assert_fail(const char *expr, const char *file, int line) {
  wctr_log(WCTR_LOG_ERROR, "assertion failed: %s (%s:%d)", expr, file, line);
  abort();
}
