/* tests/images/pull_fixture.h - what the suites that pull images share (test_pull.c, test_trust.c): a
 * folder of their own with a content store in it, an I/O core, the in-memory registry (fake_registry.h),
 * the wait for a pull's end and images pushed to the registry. A suite embeds a pull_fixture in its state;
 * its pull's done callback sets done under lock. */
#ifndef WCTR_TESTS_IMAGES_PULL_FIXTURE_H
#define WCTR_TESTS_IMAGES_PULL_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/ioc.h"
#include "fake_registry.h"
#include "images/pull.h"
#include "images/store.h"

/* The Windows version the suites pull for; pushed images are of HOST_OS ".1". */
#define HOST_OS "10.0.20348"

typedef struct pull_fixture {
  char root[600];      /* the suite's folder, removed at the end */
  char store_dir[700]; /* root/store */
  wctr_ioc *ioc;
  img_store *store;
  fake_registry *reg; /* "127.0.0.1:5000" */
  img_transport t;
  wctr_mutex lock;
  bool done;
} pull_fixture;

/* A new folder, named after prefix and unique, under TEMP (Windows) or TMPDIR (else /tmp); fails the test
 * when it cannot be made. */
void pull_fixture_temp_dir(const char *prefix, char *out, size_t size);
/* Starts everything in root, a folder that exists (and that pull_fixture_stop removes). */
void pull_fixture_start(pull_fixture *f, const char *root);
/* Opens f->store (again) with the test importer. */
void pull_fixture_open_store(pull_fixture *f);
void pull_fixture_stop(pull_fixture *f);
/* Waits (up to 15 s) for the pull's done callback to set f->done, then releases p; fails the test when it
 * did not come. */
void pull_fixture_wait(pull_fixture *f, img_pull *p);
/* How many entries store_dir/sub holds (0 when it does not exist). */
size_t pull_fixture_entries(const pull_fixture *f, const char *sub);
/* An OCI image of n layers in repo:tag of the registry; returns its manifest digest (static inside the
 * registry) and fills config and digests (the layers'). */
const char *pull_fixture_push_image(pull_fixture *f, const char *repo, const char *tag, const char *const *layers,
                                    size_t n, char config[IMG_DIGEST_MAX], char (*digests)[IMG_DIGEST_MAX]);

#endif
