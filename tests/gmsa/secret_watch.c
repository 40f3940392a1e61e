/* tests/gmsa/secret_watch.c - see secret_watch.h. */
#include "secret_watch.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* 16 bytes keep the block returned to cJSON as aligned as malloc's own. */
#define HEADER 16

static const char *watched;
static size_t watched_len;
static size_t leaks;
static long outstanding;

static int contains(const unsigned char *block, size_t n);

static void *watch_malloc(size_t n) {
  unsigned char *p = malloc(n + HEADER);
  if (p == NULL) return NULL;
  memcpy(p, &n, sizeof n);
  outstanding++;
  return p + HEADER;
}

static void watch_free(void *block) {
  if (block == NULL) return;
  unsigned char *p = (unsigned char *)block - HEADER;
  size_t n;
  memcpy(&n, p, sizeof n);
  if (contains(block, n)) leaks++;
  outstanding--;
  free(p);
}

static int contains(const unsigned char *block, size_t n) {
  if (watched_len == 0 || n < watched_len) return 0;
  for (size_t i = 0; i + watched_len <= n; i++) {
    if (memcmp(block + i, watched, watched_len) == 0) return 1;
  }
  return 0;
}

void secret_watch_start(const char *secret) {
  cJSON_Hooks hooks = {watch_malloc, watch_free};
  watched = secret;
  watched_len = strlen(secret);
  leaks = 0;
  outstanding = 0;
  cJSON_InitHooks(&hooks);
}

size_t secret_watch_stop(void) {
  cJSON_InitHooks(NULL);
  watched = NULL;
  watched_len = 0;
  return leaks;
}

long secret_watch_outstanding(void) { return outstanding; }
