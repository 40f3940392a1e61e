/* service/manager_files.c - a container's file system seen from the host (service/manager.h): its size for
 * container.list's "Size" (docker ps -s). Portable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/fs.h"
#include "runtime/rt_hcs.h"
#include "service/manager_internal.h"

enum { SIZE_MAX_DEPTH = 64 }; /* a junction loop must not walk forever */

/* --- sizes ------------------------------------------------------------------------------------------------- */

typedef struct size_walk {
  const char *dir;
  int depth;
  uint64_t total;
} size_walk;

static uint64_t file_size(const char *path) {
  wctr_file *f = NULL;
  wctr_errmsg e;
  uint64_t size = 0;
  if (wctr_file_open(path, WCTR_FILE_READ, &f, &e) == WCTR_OK && wctr_file_size(f, &size) != WCTR_OK) size = 0;
  wctr_file_close(f);
  return size;
}

static uint64_t tree_size(const char *dir, int depth);

static bool add_entry(void *ctx, const char *name, bool is_dir) {
  size_walk *w = ctx;
  char path[2048];
  if (wctr_fs_join(path, sizeof path, w->dir, name) != WCTR_OK) return true; /* too long to open: not counted */
  w->total += is_dir ? tree_size(path, w->depth + 1) : file_size(path);
  return true;
}

/* Every file's size under dir (what it holds, not what the disk allocates), as far as it can be read. */
static uint64_t tree_size(const char *dir, int depth) {
  if (depth > SIZE_MAX_DEPTH) return 0;
  size_walk w = {.dir = dir, .depth = depth};
  (void)wctr_fs_list(dir, add_entry, &w);
  return w.total;
}

struct mgr_sized {
  cJSON *summary;     /* borrowed: the list's entry */
  wctr_isolation isolation;
  char rw[1300];      /* job: the sandbox folder; HCS: the scratch VHD */
  char virt[1300];    /* job: the same folder; process: the mounted volume while it runs; "" none */
};

bool mgr_sizes_add_locked(svc_manager *m, ctr *c, cJSON *summary, mgr_sizes *list) {
  WCTR_ASSERT_HELD(&m->lock);
  if (summary == NULL) return true;
  if (list->n == list->cap) {
    size_t cap = list->cap == 0 ? 16 : list->cap * 2;
    mgr_sized *items = realloc(list->items, cap * sizeof *items);
    if (items == NULL) return false;
    list->items = items;
    list->cap = cap;
  }
  mgr_sized *s = &list->items[list->n++];
  memset(s, 0, sizeof *s);
  s->summary = summary;
  s->isolation = c->rec.spec.isolation;
  if (s->isolation == WCTR_ISOLATION_JOB) {
    if (!spec_job_image_is_host(c->rec.spec.image)) {
      snprintf(s->rw, sizeof s->rw, "%s", c->rec.spec.image);
      snprintf(s->virt, sizeof s->virt, "%s", c->rec.spec.image);
    }
    return true;
  }
  char dir[1300];
  if (svc_store_path(m->store, c->rec.id, NULL, dir, sizeof dir) == WCTR_OK) {
    snprintf(s->rw, sizeof s->rw, "%s" WCTR_FS_SEP RT_HCS_SANDBOX_DIR WCTR_FS_SEP RT_HCS_SCRATCH_VHD, dir);
  }
  const cJSON *path = cJSON_GetObjectItemCaseSensitive(c->rec.runtime, "StoragePath");
  if (s->isolation == WCTR_ISOLATION_PROCESS && c->rec.state.status == SVC_STATE_RUNNING && cJSON_IsString(path)) {
    snprintf(s->virt, sizeof s->virt, "%s", path->valuestring);
  }
  return true;
}

void mgr_sizes_finish(mgr_sizes *list) {
  for (size_t i = 0; i < list->n; i++) {
    mgr_sized *s = &list->items[i];
    uint64_t rw = 0, virt = 0;
    if (s->isolation == WCTR_ISOLATION_JOB) {
      rw = s->rw[0] != '\0' ? tree_size(s->rw, 0) : 0;
      virt = rw;
    } else {
      rw = s->rw[0] != '\0' ? file_size(s->rw) : 0;
      virt = s->virt[0] != '\0' ? tree_size(s->virt, 0) : 0;
    }
    cJSON_AddNumberToObject(s->summary, "SizeRw", (double)rw);
    cJSON_AddNumberToObject(s->summary, "SizeRootFs", (double)virt);
  }
  free(list->items);
  memset(list, 0, sizeof *list);
}
