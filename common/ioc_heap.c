/* common/ioc_heap.c - the timer heap of the I/O core (common/ioc_heap.h). */
#include "common/ioc_heap.h"

#include <stdlib.h>

static bool before(const wctr_heap_node *a, const wctr_heap_node *b) {
  return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void place(wctr_heap *h, size_t i, wctr_heap_node *node) {
  h->v[i] = node;
  node->index = i;
}

static void sift_up(wctr_heap *h, size_t i) {
  wctr_heap_node *node = h->v[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(node, h->v[parent])) break;
    place(h, i, h->v[parent]);
    i = parent;
  }
  place(h, i, node);
}

static void sift_down(wctr_heap *h, size_t i) {
  wctr_heap_node *node = h->v[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= h->n) break;
    if (child + 1 < h->n && before(h->v[child + 1], h->v[child])) child++;
    if (!before(h->v[child], node)) break;
    place(h, i, h->v[child]);
    i = child;
  }
  place(h, i, node);
}

bool wctr_heap_push(wctr_heap *h, wctr_heap_node *node) {
  if (h->n == h->cap) {
    size_t cap = h->cap == 0 ? 64 : h->cap * 2;
    wctr_heap_node **v = realloc(h->v, cap * sizeof *v);
    if (v == NULL) return false;
    h->v = v;
    h->cap = cap;
  }
  node->seq = h->next_seq++;
  h->v[h->n] = node;
  h->n++;
  sift_up(h, h->n - 1);
  return true;
}

wctr_heap_node *wctr_heap_top(const wctr_heap *h) {
  return h->n == 0 ? NULL : h->v[0];
}

void wctr_heap_remove(wctr_heap *h, wctr_heap_node *node) {
  size_t i = node->index;
  h->n--;
  if (i == h->n) return;
  wctr_heap_node *last = h->v[h->n];
  place(h, i, last);
  /* The moved node may belong above or below its new place. */
  if (i > 0 && before(last, h->v[(i - 1) / 2])) {
    sift_up(h, i);
  } else {
    sift_down(h, i);
  }
}

void wctr_heap_free(wctr_heap *h) {
  free(h->v);
  h->v = NULL;
  h->n = 0;
  h->cap = 0;
}
