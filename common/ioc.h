/* common/ioc.h - the I/O core: callbacks run by a few workers, timers, a bounded pool for blocking calls,
 * and a mutex whose ownership can be asserted. Portable interface: on Windows one I/O completion port
 * served by a worker per CPU (common/ioc_win.c, with the handle-based extras of common/ioc_win.h); natively
 * a pthread implementation (common/ioc_posix.c) so that the container manager and its fake runtime run
 * under ASan/UBSan in the native lane with the same semantics.
 *
 * The model (libuv's src/win): nothing waits on a thread of its own. Work is a callback queued to the
 * workers (wctr_ioc_post), a timer that fires once (wctr_ioc_timer_start), or - for calls that may block
 * for long (HCS operations, CreateProcessAsUser, LogonUser, disk flushes) - a job for the blocking pool
 * (wctr_ioc_blocking), whose size is bounded, so a slow call never takes a worker and never multiplies
 * threads. Callbacks must return promptly and never block on a client.
 *
 * Once-semantics for timers (and, in ioc_win.h, handle waits): a started timer either fires exactly once
 * (fn runs on a worker) or is cancelled before it fires. wctr_ioc_timer_cancel returns true when it
 * prevented the firing (fn will never run); false when fn has run or is already queued to run. Either way
 * the timer object belongs to the core again after the call (or after fn returns) and must not be used.
 * So cancel may be called until fn returns (from fn itself too, where it returns false), never after: an
 * owner that may race with fn clears its pointer to the timer in fn, under its own lock.
 *
 * Lifetime: wctr_ioc_stop cancels timers (and handle waits) that have not fired - their fn never runs,
 * and a wctr_ioc_timer_cancel on one of them during stop returns true - then waits for queued callbacks
 * and pool jobs to finish, and joins the threads; nothing runs after it returns. While it drains,
 * wctr_ioc_post and wctr_ioc_blocking still accept work (a chain of callbacks finishes), new timers and
 * waits are refused (WCTR_ESTATE). It must not be called on a worker (asserted). */
#ifndef WCTR_COMMON_IOC_H
#define WCTR_COMMON_IOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct wctr_ioc wctr_ioc;
typedef struct wctr_ioc_timer wctr_ioc_timer;
typedef void (*wctr_ioc_fn)(void *arg);

typedef struct wctr_ioc_options {
  unsigned workers;       /* 0: the number of logical CPUs */
  unsigned pool_max;      /* threads of the blocking pool at most; 0: 8 */
} wctr_ioc_options;

wctr_err wctr_ioc_start(const wctr_ioc_options *opt, wctr_ioc **out, wctr_errmsg *e);
void wctr_ioc_stop(wctr_ioc *ioc); /* accepts NULL */

/* Runs fn(arg) on a worker, after everything posted before it on the same thread has started: workers
 * take callbacks in the order they were posted. With one worker they also run in that order; with
 * several, two callbacks taken one after the other may run at the same time, so order their effects on
 * shared state with a lock. False only when out of memory or the core has stopped (fn then never runs). */
bool wctr_ioc_post(wctr_ioc *ioc, wctr_ioc_fn fn, void *arg);

/* Runs fn(arg) on the blocking pool. At most pool_max run at once; the rest wait their turn in order.
 * Pool threads start when needed and leave after 10 s without work: the first at once; another only when
 * jobs have waited 20 ms with every thread busy (then one more per 20 ms while they still wait). The thread
 * that is finishing one request's job usually takes the next request's, so a client making calls in a row
 * does not leave a thread behind for each (it did: 5 pool threads lingering after 400 create/remove calls
 * one after the other, measured under Wine). The price: a job that finds every thread busy starts up to
 * 20 ms later than it would on a thread of its own (20 ms per thread added, in a burst). They are not workers
 * (wctr_ioc_on_worker is false there). False only when out of memory or stopped. */
bool wctr_ioc_blocking(wctr_ioc *ioc, wctr_ioc_fn fn, void *arg);

/* fn(arg) on a worker once, due_ms from now (0: as soon as possible); never before due_ms have passed on
 * the wctr_ioc_now_ms clock. Timers due at the same time fire in the order they were started. out may be
 * NULL (a timer nobody cancels); *out is set before the timer can fire. WCTR_ESTATE once stop has begun. */
wctr_err wctr_ioc_timer_start(wctr_ioc *ioc, uint32_t due_ms, wctr_ioc_fn fn, void *arg, wctr_ioc_timer **out,
                              wctr_errmsg *e);
bool wctr_ioc_timer_cancel(wctr_ioc_timer *t); /* see once-semantics above; accepts NULL (false) */

/* Milliseconds since an arbitrary start, monotonic. */
uint64_t wctr_ioc_now_ms(void);

/* True when called on one of this core's workers (for assertions). */
bool wctr_ioc_on_worker(const wctr_ioc *ioc);

/* --- a mutex whose preconditions are asserted (SQLite's assert(mutex_held())) ----------------------------
 * Not recursive. wctr_mutex_held is exact (the owner's thread id is recorded), so lock preconditions are
 * checked in code: WCTR_ASSERT_HELD(&m->lock) at the top of a function that requires it,
 * WCTR_ASSERT_NOT_HELD before a call that must not run under it (a blocking call, a callback into
 * another module). The assertions are active in every build of the tests and in debug builds: the CMake
 * option WCTR_ASSERTS (ON by default) defines WCTR_ASSERTS for everything that links wctr_common, so the
 * optimised mingw preset keeps them too. wctr_mutex_lock asserts that the caller does not hold it already
 * (a deadlock otherwise); unlock, that it does; destroy, that nobody does. */
typedef struct wctr_mutex {
  void *impl;            /* SRWLOCK or pthread_mutex_t, allocated by init */
  volatile uint64_t owner; /* thread id of the holder, 0 when free */
} wctr_mutex;

wctr_err wctr_mutex_init(wctr_mutex *m);
void wctr_mutex_destroy(wctr_mutex *m); /* accepts a zeroed mutex */
void wctr_mutex_lock(wctr_mutex *m);
void wctr_mutex_unlock(wctr_mutex *m);
bool wctr_mutex_held(const wctr_mutex *m); /* by the calling thread */
uint64_t wctr_thread_id(void);

/* A failed assertion logs file, line and expression and aborts. */
void wctr_assert_fail(const char *expr, const char *file, int line);
#if defined(NDEBUG) && !defined(WCTR_ASSERTS)
#define WCTR_ASSERT(x) ((void)0)
#else
#define WCTR_ASSERT(x) ((x) ? (void)0 : wctr_assert_fail(#x, __FILE__, __LINE__))
#endif
#define WCTR_ASSERT_HELD(m) WCTR_ASSERT(wctr_mutex_held(m))
#define WCTR_ASSERT_NOT_HELD(m) WCTR_ASSERT(!wctr_mutex_held(m))

#endif
