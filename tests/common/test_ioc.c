/* test_ioc: the portable I/O core (common/ioc.h) - posts, timers with once-semantics, the bounded
 * blocking pool, stop, the asserted mutex. Built natively (common/ioc_posix.c under ASan/UBSan) and for
 * Windows (common/ioc_win.c under Wine). Every wait is bounded: a lost callback fails the test instead
 * of hanging it. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ioc.h"

#define WAIT_MS 20000

/* --- helpers: a latch and a sleep on pthreads (both lanes have them) --------------------------------- */

typedef struct latch {
  pthread_mutex_t m;
  pthread_cond_t c;
  long count;
} latch;

static void latch_init(latch *l) {
  pthread_mutex_init(&l->m, NULL);
  pthread_cond_init(&l->c, NULL);
  l->count = 0;
}

static void latch_destroy(latch *l) {
  pthread_cond_destroy(&l->c);
  pthread_mutex_destroy(&l->m);
}

static void latch_add(latch *l, long n) {
  pthread_mutex_lock(&l->m);
  l->count += n;
  pthread_cond_broadcast(&l->c);
  pthread_mutex_unlock(&l->m);
}

static long latch_get(latch *l) {
  pthread_mutex_lock(&l->m);
  long n = l->count;
  pthread_mutex_unlock(&l->m);
  return n;
}

static void deadline_in(struct timespec *ts, unsigned ms) {
  clock_gettime(CLOCK_REALTIME, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

/* True once count >= want; false after ms. */
static bool latch_wait(latch *l, long want, unsigned ms) {
  struct timespec ts;
  deadline_in(&ts, ms);
  pthread_mutex_lock(&l->m);
  int rc = 0;
  while (l->count < want && rc == 0) rc = pthread_cond_timedwait(&l->c, &l->m, &ts);
  bool ok = l->count >= want;
  pthread_mutex_unlock(&l->m);
  return ok;
}

static void sleep_ms(unsigned ms) {
  latch l;
  latch_init(&l);
  latch_wait(&l, 1, ms);
  latch_destroy(&l);
}

static wctr_ioc *start_core(unsigned workers, unsigned pool_max) {
  wctr_ioc_options opt = {workers, pool_max};
  wctr_ioc *ioc = NULL;
  wctr_errmsg e;
  wctr_err err = wctr_ioc_start(&opt, &ioc, &e);
  if (err != WCTR_OK) fprintf(stderr, "wctr_ioc_start: %s\n", e.text);
  assert_int_equal(err, WCTR_OK);
  assert_non_null(ioc);
  return ioc;
}

/* --- posts -------------------------------------------------------------------------------------------- */

#define NPOSTS 2000

typedef struct order_ctx {
  wctr_ioc *ioc;
  int order[NPOSTS];
  int next; /* only one worker touches it in the one-worker test */
  int runs[NPOSTS];
  bool on_worker[NPOSTS];
  latch done;
} order_ctx;

typedef struct order_item {
  order_ctx *ctx;
  int index;
} order_item;

static void record_order(void *arg) {
  order_item *it = arg;
  order_ctx *c = it->ctx;
  c->order[c->next++] = it->index;
  c->on_worker[it->index] = wctr_ioc_on_worker(c->ioc);
  latch_add(&c->done, 1);
}

static void test_post_order_one_worker(void **state) {
  (void)state;
  order_ctx *c = calloc(1, sizeof *c);
  order_item *items = calloc(NPOSTS, sizeof *items);
  assert_non_null(c);
  assert_non_null(items);
  latch_init(&c->done);
  c->ioc = start_core(1, 2);
  assert_false(wctr_ioc_on_worker(c->ioc)); /* the test's own thread */
  for (int i = 0; i < NPOSTS; i++) {
    items[i].ctx = c;
    items[i].index = i;
    assert_true(wctr_ioc_post(c->ioc, record_order, &items[i]));
  }
  assert_true(latch_wait(&c->done, NPOSTS, WAIT_MS));
  for (int i = 0; i < NPOSTS; i++) {
    assert_int_equal(c->order[i], i);
    assert_true(c->on_worker[i]);
  }
  wctr_ioc_stop(c->ioc);
  latch_destroy(&c->done);
  free(items);
  free(c);
}

typedef struct multi_ctx {
  wctr_ioc *ioc;
  int runs[4][1000];
  latch done;
} multi_ctx;

typedef struct multi_item {
  multi_ctx *ctx;
  int thread;
  int index;
} multi_item;

static void count_run(void *arg) {
  multi_item *it = arg;
  __atomic_add_fetch(&it->ctx->runs[it->thread][it->index], 1, __ATOMIC_RELAXED);
  latch_add(&it->ctx->done, 1);
}

typedef struct poster {
  multi_ctx *ctx;
  multi_item *items;
  int thread;
} poster;

static void *post_from_thread(void *arg) {
  poster *p = arg;
  for (int i = 0; i < 1000; i++) {
    p->items[i].ctx = p->ctx;
    p->items[i].thread = p->thread;
    p->items[i].index = i;
    if (!wctr_ioc_post(p->ctx->ioc, count_run, &p->items[i])) return (void *)1;
  }
  return NULL;
}

/* Four threads post 1,000 each to four workers: every callback runs exactly once. */
static void test_post_many_threads_each_once(void **state) {
  (void)state;
  multi_ctx *c = calloc(1, sizeof *c);
  multi_item *items = calloc(4 * 1000, sizeof *items);
  assert_non_null(c);
  assert_non_null(items);
  latch_init(&c->done);
  c->ioc = start_core(4, 2);
  pthread_t threads[4];
  poster posters[4];
  for (int t = 0; t < 4; t++) {
    posters[t] = (poster){c, items + t * 1000, t};
    assert_int_equal(pthread_create(&threads[t], NULL, post_from_thread, &posters[t]), 0);
  }
  for (int t = 0; t < 4; t++) {
    void *rc = NULL;
    pthread_join(threads[t], &rc);
    assert_null(rc);
  }
  assert_true(latch_wait(&c->done, 4000, WAIT_MS));
  sleep_ms(50); /* a callback running twice would show now */
  for (int t = 0; t < 4; t++) {
    for (int i = 0; i < 1000; i++) assert_int_equal(c->runs[t][i], 1);
  }
  assert_int_equal(latch_get(&c->done), 4000);
  wctr_ioc_stop(c->ioc);
  latch_destroy(&c->done);
  free(items);
  free(c);
}

/* --- timers ------------------------------------------------------------------------------------------- */

typedef struct timer_ctx {
  wctr_ioc *ioc;
  wctr_ioc_timer *timer;
  uint64_t started;
  uint64_t fired_at;
  bool on_worker;
  bool cancel_from_fn; /* the fn cancels its own timer: must be false */
  bool cancel_result;
  latch runs;
  latch entered;
  latch release;
} timer_ctx;

static void timer_fn(void *arg) {
  timer_ctx *c = arg;
  c->fired_at = wctr_ioc_now_ms();
  c->on_worker = wctr_ioc_on_worker(c->ioc);
  if (c->cancel_from_fn) c->cancel_result = wctr_ioc_timer_cancel(c->timer);
  latch_add(&c->runs, 1);
}

static void timer_ctx_init(timer_ctx *c, wctr_ioc *ioc) {
  memset(c, 0, sizeof *c);
  c->ioc = ioc;
  latch_init(&c->runs);
  latch_init(&c->entered);
  latch_init(&c->release);
}

static void timer_ctx_destroy(timer_ctx *c) {
  latch_destroy(&c->runs);
  latch_destroy(&c->entered);
  latch_destroy(&c->release);
}

static void test_timer_fires_once_at_or_after_due(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2, 2);
  timer_ctx c;
  timer_ctx_init(&c, ioc);
  wctr_errmsg e;
  c.started = wctr_ioc_now_ms();
  assert_int_equal(wctr_ioc_timer_start(ioc, 120, timer_fn, &c, &c.timer, &e), WCTR_OK);
  assert_non_null(c.timer);
  assert_true(latch_wait(&c.runs, 1, WAIT_MS));
  assert_true(c.fired_at >= c.started + 120);
  assert_true(c.on_worker);
  sleep_ms(200);
  assert_int_equal(latch_get(&c.runs), 1);
  wctr_ioc_stop(ioc);
  timer_ctx_destroy(&c);
}

static void test_timer_zero_due_fires(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(1, 2);
  timer_ctx c;
  timer_ctx_init(&c, ioc);
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_timer_start(ioc, 0, timer_fn, &c, NULL, &e), WCTR_OK);
  assert_true(latch_wait(&c.runs, 1, WAIT_MS));
  wctr_ioc_stop(ioc);
  assert_int_equal(latch_get(&c.runs), 1);
  timer_ctx_destroy(&c);
}

static void test_timer_cancel_before_firing(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2, 2);
  timer_ctx c;
  timer_ctx_init(&c, ioc);
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_timer_start(ioc, 150, timer_fn, &c, &c.timer, &e), WCTR_OK);
  assert_true(wctr_ioc_timer_cancel(c.timer));
  sleep_ms(400); /* well past its due time */
  assert_int_equal(latch_get(&c.runs), 0);
  assert_false(wctr_ioc_timer_cancel(NULL));
  wctr_ioc_stop(ioc);
  assert_int_equal(latch_get(&c.runs), 0);
  timer_ctx_destroy(&c);
}

static void test_timer_cancel_from_its_fn_is_false(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(1, 2);
  timer_ctx c;
  timer_ctx_init(&c, ioc);
  c.cancel_from_fn = true;
  c.cancel_result = true;
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_timer_start(ioc, 10, timer_fn, &c, &c.timer, &e), WCTR_OK);
  assert_true(latch_wait(&c.runs, 1, WAIT_MS));
  assert_false(c.cancel_result);
  wctr_ioc_stop(ioc);
  timer_ctx_destroy(&c);
}

static void blocking_timer_fn(void *arg) {
  timer_ctx *c = arg;
  latch_add(&c->entered, 1);
  latch_wait(&c->release, 1, WAIT_MS);
  latch_add(&c->runs, 1);
}

/* Cancel while fn runs on a worker: false, and fn finishes its single run. */
static void test_timer_cancel_while_running_is_false(void **state) {
  (void)state;
  wctr_ioc *ioc = start_core(2, 2);
  timer_ctx c;
  timer_ctx_init(&c, ioc);
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_timer_start(ioc, 5, blocking_timer_fn, &c, &c.timer, &e), WCTR_OK);
  assert_true(latch_wait(&c.entered, 1, WAIT_MS));
  assert_false(wctr_ioc_timer_cancel(c.timer));
  latch_add(&c.release, 1);
  assert_true(latch_wait(&c.runs, 1, WAIT_MS));
  wctr_ioc_stop(ioc);
  assert_int_equal(latch_get(&c.runs), 1);
  timer_ctx_destroy(&c);
}

/* 10,000 timers with random due times, half of them cancelled at random moments. No fn may return
 * before the test is done cancelling (a timer is not ours after its fn returned), so every fn waits on a
 * gate; then: each timer cancelled with true never ran, every other one ran exactly once, at or after
 * its due time. */
#define NTIMERS 10000

typedef struct many_ctx {
  wctr_ioc *ioc;
  latch gate;
  latch runs;
  int ran[NTIMERS];
  bool early[NTIMERS];
  uint64_t due_at[NTIMERS];
} many_ctx;

typedef struct many_item {
  many_ctx *ctx;
  int index;
} many_item;

static void many_fn(void *arg) {
  many_item *it = arg;
  many_ctx *c = it->ctx;
  if (wctr_ioc_now_ms() < c->due_at[it->index]) c->early[it->index] = true;
  __atomic_add_fetch(&c->ran[it->index], 1, __ATOMIC_RELAXED);
  latch_wait(&c->gate, 1, WAIT_MS);
  latch_add(&c->runs, 1);
}

static void test_many_timers_random_cancels(void **state) {
  (void)state;
  many_ctx *c = calloc(1, sizeof *c);
  many_item *items = calloc(NTIMERS, sizeof *items);
  wctr_ioc_timer **timers = calloc(NTIMERS, sizeof *timers);
  bool *cancelled = calloc(NTIMERS, sizeof *cancelled);
  assert_non_null(c);
  assert_non_null(items);
  assert_non_null(timers);
  assert_non_null(cancelled);
  latch_init(&c->gate);
  latch_init(&c->runs);
  c->ioc = start_core(2, 2);
  srand(12345);
  wctr_errmsg e;
  for (int i = 0; i < NTIMERS; i++) {
    items[i].ctx = c;
    items[i].index = i;
    uint32_t due = (uint32_t)(rand() % 300);
    c->due_at[i] = wctr_ioc_now_ms() + due;
    assert_int_equal(wctr_ioc_timer_start(c->ioc, due, many_fn, &items[i], &timers[i], &e), WCTR_OK);
    /* A quarter cancelled at once, mostly before they fire. */
    if (rand() % 4 == 0) {
      cancelled[i] = wctr_ioc_timer_cancel(timers[i]);
      timers[i] = NULL;
    }
  }
  /* Another quarter in three waves while the rest fire: some before, some after their due time. */
  for (int wave = 0; wave < 3; wave++) {
    sleep_ms(60);
    for (int i = 0; i < NTIMERS; i++) {
      if (timers[i] != NULL && rand() % 9 == 0) {
        cancelled[i] = wctr_ioc_timer_cancel(timers[i]);
        timers[i] = NULL;
      }
    }
  }
  latch_add(&c->gate, 1);
  int expected = 0;
  int prevented = 0;
  for (int i = 0; i < NTIMERS; i++) {
    if (cancelled[i]) {
      prevented++;
    } else {
      expected++;
    }
  }
  assert_true(latch_wait(&c->runs, expected, WAIT_MS));
  sleep_ms(100); /* a cancelled timer that still fired would show now */
  wctr_ioc_stop(c->ioc);
  assert_int_equal(latch_get(&c->runs), expected);
  for (int i = 0; i < NTIMERS; i++) {
    assert_int_equal(c->ran[i], cancelled[i] ? 0 : 1);
    assert_false(c->early[i]);
  }
  /* Both outcomes happened: the test exercised cancel before and after firing. */
  assert_true(prevented > 0);
  assert_true(prevented < NTIMERS / 2);
  latch_destroy(&c->gate);
  latch_destroy(&c->runs);
  free(cancelled);
  free(timers);
  free(items);
  free(c);
}

/* --- the blocking pool -------------------------------------------------------------------------------- */

typedef struct pool_ctx {
  wctr_ioc *ioc;
  int running;
  int max_running;
  int order[64];
  int next;
  bool on_worker;
  latch done;
} pool_ctx;

typedef struct pool_item {
  pool_ctx *ctx;
  int index;
} pool_item;

static void pool_job(void *arg) {
  pool_item *it = arg;
  pool_ctx *c = it->ctx;
  int now = __atomic_add_fetch(&c->running, 1, __ATOMIC_SEQ_CST);
  int seen = __atomic_load_n(&c->max_running, __ATOMIC_SEQ_CST);
  while (now > seen && !__atomic_compare_exchange_n(&c->max_running, &seen, now, false, __ATOMIC_SEQ_CST,
                                                    __ATOMIC_SEQ_CST)) {
  }
  int slot = __atomic_fetch_add(&c->next, 1, __ATOMIC_SEQ_CST);
  c->order[slot] = it->index;
  if (wctr_ioc_on_worker(c->ioc)) c->on_worker = true;
  sleep_ms(15);
  __atomic_sub_fetch(&c->running, 1, __ATOMIC_SEQ_CST);
  latch_add(&c->done, 1);
}

static void test_pool_bounded_and_runs_all(void **state) {
  (void)state;
  pool_ctx c;
  memset(&c, 0, sizeof c);
  latch_init(&c.done);
  c.ioc = start_core(2, 3);
  pool_item items[40];
  for (int i = 0; i < 40; i++) {
    items[i] = (pool_item){&c, i};
    assert_true(wctr_ioc_blocking(c.ioc, pool_job, &items[i]));
  }
  assert_true(latch_wait(&c.done, 40, WAIT_MS));
  assert_true(c.max_running <= 3);
  assert_true(c.max_running >= 2); /* 40 jobs of 15 ms did overlap */
  assert_false(c.on_worker);       /* pool threads are not workers */
  wctr_ioc_stop(c.ioc);
  latch_destroy(&c.done);
}

static void test_pool_of_one_runs_in_order(void **state) {
  (void)state;
  pool_ctx c;
  memset(&c, 0, sizeof c);
  latch_init(&c.done);
  c.ioc = start_core(1, 1);
  pool_item items[20];
  for (int i = 0; i < 20; i++) {
    items[i] = (pool_item){&c, i};
    assert_true(wctr_ioc_blocking(c.ioc, pool_job, &items[i]));
  }
  assert_true(latch_wait(&c.done, 20, WAIT_MS));
  assert_int_equal(c.max_running, 1);
  for (int i = 0; i < 20; i++) assert_int_equal(c.order[i], i);
  wctr_ioc_stop(c.ioc);
  latch_destroy(&c.done);
}

/* Jobs that can only finish together (each waits until all are running): the pool grows to them, though a
 * thread is added only after jobs have waited for one (common/ioc.h). */
typedef struct rendezvous {
  int arrived;
  int met;
  latch done;
} rendezvous;

static void rendezvous_job(void *arg) {
  rendezvous *r = arg;
  __atomic_add_fetch(&r->arrived, 1, __ATOMIC_SEQ_CST);
  for (int waited = 0; waited < WAIT_MS && __atomic_load_n(&r->arrived, __ATOMIC_SEQ_CST) < 4; waited += 2) sleep_ms(2);
  if (__atomic_load_n(&r->arrived, __ATOMIC_SEQ_CST) >= 4) __atomic_add_fetch(&r->met, 1, __ATOMIC_SEQ_CST);
  latch_add(&r->done, 1);
}

static void test_pool_grows_to_jobs_that_wait_for_each_other(void **state) {
  (void)state;
  rendezvous r;
  memset(&r, 0, sizeof r);
  latch_init(&r.done);
  wctr_ioc *ioc = start_core(2, 4);
  for (int i = 0; i < 4; i++) assert_true(wctr_ioc_blocking(ioc, rendezvous_job, &r));
  assert_true(latch_wait(&r.done, 4, 2 * WAIT_MS));
  assert_int_equal(r.met, 4);
  wctr_ioc_stop(ioc);
  latch_destroy(&r.done);
}

/* Calls in a row, each submitted by the previous one just before it ends (a client whose next request
 * follows the answer, while the job that sent the answer still cleans up): the thread finishing one job
 * takes the next, instead of a new thread for each while it finishes (which went to pool_max threads). */
typedef struct chain {
  wctr_ioc *ioc;
  int left;
  uint64_t threads[64];
  int nthreads;
  bool refused;
  latch done;
} chain;

static void chain_job(void *arg) {
  chain *c = arg;
  uint64_t me = wctr_thread_id();
  bool known = false;
  for (int i = 0; i < c->nthreads; i++) known = known || c->threads[i] == me;
  if (!known && c->nthreads < 64) c->threads[c->nthreads++] = me;
  if (--c->left > 0 && wctr_ioc_blocking(c->ioc, chain_job, c)) {
    sleep_ms(5); /* the rest of the job after its answer went out: the thread is still busy */
    return;
  }
  c->refused = c->left > 0;
  latch_add(&c->done, 1);
}

static void test_pool_calls_in_a_row_share_a_thread(void **state) {
  (void)state;
  chain c;
  memset(&c, 0, sizeof c);
  latch_init(&c.done);
  c.ioc = start_core(2, 8);
  c.left = 50;
  assert_true(wctr_ioc_blocking(c.ioc, chain_job, &c));
  assert_true(latch_wait(&c.done, 1, WAIT_MS));
  assert_false(c.refused);
  assert_int_equal(c.left, 0);
  /* One thread, or a few when the machine was slow to run the finishing one; never a thread per call. */
  assert_true(c.nthreads <= 3);
  wctr_ioc_stop(c.ioc);
  latch_destroy(&c.done);
}

/* --- stop --------------------------------------------------------------------------------------------- */

typedef struct stop_ctx {
  wctr_ioc *ioc;
  int posted_runs;
  int followups;
  int pool_runs;
  int timer_runs;
  bool followup_accepted;
  bool cancel_during_stop;
  wctr_ioc_timer *long_timer;
  latch blocker_in;
} stop_ctx;

static void slow_fn(void *arg) {
  stop_ctx *c = arg;
  latch_add(&c->blocker_in, 1);
  sleep_ms(150); /* stop is called meanwhile */
}

static void followup_fn(void *arg) {
  stop_ctx *c = arg;
  __atomic_add_fetch(&c->followups, 1, __ATOMIC_SEQ_CST);
}

static void counting_fn(void *arg) {
  stop_ctx *c = arg;
  __atomic_add_fetch(&c->posted_runs, 1, __ATOMIC_SEQ_CST);
}

static void chaining_fn(void *arg) {
  stop_ctx *c = arg;
  /* Runs while stop drains: a chain of callbacks may still finish (common/ioc.h). */
  c->followup_accepted = wctr_ioc_post(c->ioc, followup_fn, c);
  /* The long timer was cancelled by stop (or by us): either way, it never fires. */
  c->cancel_during_stop = wctr_ioc_timer_cancel(c->long_timer);
}

static void pool_count_fn(void *arg) {
  stop_ctx *c = arg;
  sleep_ms(5);
  __atomic_add_fetch(&c->pool_runs, 1, __ATOMIC_SEQ_CST);
}

static void timer_count_fn(void *arg) {
  stop_ctx *c = arg;
  __atomic_add_fetch(&c->timer_runs, 1, __ATOMIC_SEQ_CST);
}

static void test_stop_with_work_queued(void **state) {
  (void)state;
  stop_ctx c;
  memset(&c, 0, sizeof c);
  latch_init(&c.blocker_in);
  c.ioc = start_core(1, 2);
  wctr_errmsg e;
  assert_int_equal(wctr_ioc_timer_start(c.ioc, 60000, timer_count_fn, &c, &c.long_timer, &e), WCTR_OK);
  assert_int_equal(wctr_ioc_timer_start(c.ioc, 30000, timer_count_fn, &c, NULL, &e), WCTR_OK);
  assert_true(wctr_ioc_post(c.ioc, slow_fn, &c));
  assert_true(latch_wait(&c.blocker_in, 1, WAIT_MS));
  for (int i = 0; i < 100; i++) assert_true(wctr_ioc_post(c.ioc, counting_fn, &c));
  assert_true(wctr_ioc_post(c.ioc, chaining_fn, &c));
  for (int i = 0; i < 10; i++) assert_true(wctr_ioc_blocking(c.ioc, pool_count_fn, &c));
  wctr_ioc_stop(c.ioc); /* returns with everything queued done and nothing running */
  assert_int_equal(c.posted_runs, 100);
  assert_true(c.followup_accepted);
  assert_int_equal(c.followups, 1);
  assert_true(c.cancel_during_stop);
  assert_int_equal(c.pool_runs, 10);
  assert_int_equal(c.timer_runs, 0);
  latch_destroy(&c.blocker_in);
}

static void test_stop_idle_and_null(void **state) {
  (void)state;
  wctr_ioc_stop(NULL);
  wctr_ioc *ioc = start_core(0, 0); /* defaults: a worker per CPU, 8 pool threads */
  wctr_ioc_stop(ioc);
}

/* --- the asserted mutex ------------------------------------------------------------------------------- */

typedef struct mutex_ctx {
  wctr_mutex *m;
  bool held_elsewhere;
  uint64_t other_id;
  bool got_it;
} mutex_ctx;

static void *probe_mutex(void *arg) {
  mutex_ctx *c = arg;
  c->held_elsewhere = wctr_mutex_held(c->m);
  c->other_id = wctr_thread_id();
  return NULL;
}

static void *take_mutex(void *arg) {
  mutex_ctx *c = arg;
  wctr_mutex_lock(c->m);
  c->got_it = wctr_mutex_held(c->m);
  wctr_mutex_unlock(c->m);
  return NULL;
}

static void test_mutex_held_only_by_owner(void **state) {
  (void)state;
  wctr_mutex m;
  assert_int_equal(wctr_mutex_init(&m), WCTR_OK);
  assert_false(wctr_mutex_held(&m));
  wctr_mutex_lock(&m);
  assert_true(wctr_mutex_held(&m));
  WCTR_ASSERT_HELD(&m); /* must not abort */

  mutex_ctx c = {&m, true, 0, false};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, probe_mutex, &c), 0);
  pthread_join(t, NULL);
  assert_false(c.held_elsewhere);
  assert_true(c.other_id != 0);
  assert_true(c.other_id != wctr_thread_id());
  assert_true(wctr_thread_id() != 0);

  /* Another thread that wants it waits for the unlock, then holds it itself. */
  assert_int_equal(pthread_create(&t, NULL, take_mutex, &c), 0);
  sleep_ms(30);
  assert_false(c.got_it);
  wctr_mutex_unlock(&m);
  pthread_join(t, NULL);
  assert_true(c.got_it);
  assert_false(wctr_mutex_held(&m));
  WCTR_ASSERT_NOT_HELD(&m);
  wctr_mutex_destroy(&m);

  wctr_mutex zeroed;
  memset(&zeroed, 0, sizeof zeroed);
  wctr_mutex_destroy(&zeroed); /* accepted */
}

typedef struct worker_probe {
  wctr_ioc *ioc;
  wctr_ioc *other;
  bool mine;
  bool others;
  latch done;
} worker_probe;

static void probe_worker(void *arg) {
  worker_probe *p = arg;
  p->mine = wctr_ioc_on_worker(p->ioc);
  p->others = wctr_ioc_on_worker(p->other);
  latch_add(&p->done, 1);
}

static void test_on_worker(void **state) {
  (void)state;
  worker_probe p;
  memset(&p, 0, sizeof p);
  latch_init(&p.done);
  p.ioc = start_core(2, 2);
  p.other = start_core(1, 1);
  assert_false(wctr_ioc_on_worker(p.ioc));
  assert_false(wctr_ioc_on_worker(NULL));
  assert_true(wctr_ioc_post(p.ioc, probe_worker, &p));
  assert_true(latch_wait(&p.done, 1, WAIT_MS));
  assert_true(p.mine);
  assert_false(p.others);
  wctr_ioc_stop(p.other);
  wctr_ioc_stop(p.ioc);
  latch_destroy(&p.done);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_post_order_one_worker),
      cmocka_unit_test(test_post_many_threads_each_once),
      cmocka_unit_test(test_timer_fires_once_at_or_after_due),
      cmocka_unit_test(test_timer_zero_due_fires),
      cmocka_unit_test(test_timer_cancel_before_firing),
      cmocka_unit_test(test_timer_cancel_from_its_fn_is_false),
      cmocka_unit_test(test_timer_cancel_while_running_is_false),
      cmocka_unit_test(test_many_timers_random_cancels),
      cmocka_unit_test(test_pool_bounded_and_runs_all),
      cmocka_unit_test(test_pool_of_one_runs_in_order),
      cmocka_unit_test(test_pool_grows_to_jobs_that_wait_for_each_other),
      cmocka_unit_test(test_pool_calls_in_a_row_share_a_thread),
      cmocka_unit_test(test_stop_with_work_queued),
      cmocka_unit_test(test_stop_idle_and_null),
      cmocka_unit_test(test_mutex_held_only_by_owner),
      cmocka_unit_test(test_on_worker),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
