/* common/ioc_heap.h - the I/O core's timer heap (private to ioc_win.c and ioc_posix.c, portable).
 *
 * A binary min-heap of nodes ordered by due time, then by the order they were pushed (so timers due at
 * the same millisecond fire in the order they were started). Each node records its index, so a
 * cancelled timer leaves the heap in O(log n) instead of a scan. Not thread-safe: the core holds its
 * timer lock around every call. */
#ifndef WCTR_COMMON_IOC_HEAP_H
#define WCTR_COMMON_IOC_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wctr_heap_node {
  uint64_t due;  /* wctr_ioc_now_ms() value at which the node is due */
  uint64_t seq;  /* push order, set by wctr_heap_push */
  size_t index;  /* position in the heap while in it */
} wctr_heap_node;

typedef struct wctr_heap {
  wctr_heap_node **v;
  size_t n;
  size_t cap;
  uint64_t next_seq;
} wctr_heap;

/* False when out of memory (the node is not in the heap then). */
bool wctr_heap_push(wctr_heap *h, wctr_heap_node *node);
/* The earliest node, NULL when empty. */
wctr_heap_node *wctr_heap_top(const wctr_heap *h);
/* Removes a node that is in the heap. */
void wctr_heap_remove(wctr_heap *h, wctr_heap_node *node);
/* Frees the heap's array (not the nodes); accepts a zeroed heap. */
void wctr_heap_free(wctr_heap *h);

#endif
