/* tests/service/tsink.h - a svc_sink for tests: records output, frames and the final answer, can play a
 * client that stops reading (slow) or leaves (tsink_close), and keeps the contract of service/ops.h
 * (on_release once, after finish and after every callback). Portable (pthreads). */
#ifndef WCTR_TESTS_TSINK_H
#define WCTR_TESTS_TSINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/ioc.h"
#include "service/ops.h"

typedef struct tsink {
  svc_sink base;
  wctr_ioc *ioc;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  char *out[3]; /* [1] stdout, [2] stderr: every byte in order */
  size_t out_len[3];
  char *all;    /* both streams interleaved as delivered */
  size_t all_len;
  int output_calls;
  cJSON *frames; /* array of {"kind","data"} */
  bool finished;
  wctr_err err;
  cJSON *result;
  char message[1024];
  bool releasing; /* on_release is due or running */
  bool released;  /* on_release has returned */
  int inflight;
  bool closed;
  bool slow;     /* pending grows with every byte and drains only in tsink_drain */
  size_t pending;
  void (*drain_fn)(void *);
  void *drain_arg;
  size_t drain_below;
} tsink;

void tsink_init(tsink *s, wctr_ioc *ioc);
void tsink_free(tsink *s); /* after it was released (or never used) */
/* Waits until finished (true) or timeout. */
bool tsink_wait_finished(tsink *s, unsigned timeout_ms);
bool tsink_wait_released(tsink *s, unsigned timeout_ms);
/* Waits until at least n bytes of output arrived. */
bool tsink_wait_output(tsink *s, size_t n, unsigned timeout_ms);
bool tsink_wait_frames(tsink *s, int n, unsigned timeout_ms);
/* The client leaves: on_close (when set), then on_release once finished. */
void tsink_close(tsink *s);
/* The client of a slow sink reads everything: pending 0, when_drained callbacks posted. */
void tsink_drain(tsink *s);
/* Sends stdin to the operation. */
void tsink_input(tsink *s, const char *data, size_t len, bool eof);
/* Integer field of the result (or -999). */
long long tsink_result_int(tsink *s, const char *key);

#endif
