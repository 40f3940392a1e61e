/* tests/gmsa/secret_watch.h - catches secrets handed back to the allocator without being zeroed.
 *
 * The gmsa module allocates everything it keeps with cJSON_malloc and frees it with cJSON_free, and
 * parses with cJSON (gmsa_util.h). secret_watch_start installs cJSON hooks that record each block's
 * size and, when a block is freed, search it for the secret; secret_watch_stop restores cJSON's default
 * allocator and returns how many freed blocks still held the secret. Every block allocated between
 * start and stop must be freed between them too (the hooks keep a size header in front of each). */
#ifndef WCTR_TESTS_GMSA_SECRET_WATCH_H
#define WCTR_TESTS_GMSA_SECRET_WATCH_H

#include <stddef.h>

void secret_watch_start(const char *secret);
/* Returns the number of freed blocks that contained the secret. */
size_t secret_watch_stop(void);
/* Blocks allocated and not yet freed since secret_watch_start (a leak check for the hooks' period). */
long secret_watch_outstanding(void);

#endif
