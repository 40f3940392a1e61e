/* service/layer_import_win.c - the production layer importer over hcs/client.h. Contract:
 * service/layer_import.h. */
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "hcs/client.h"
#include "images/wcimport.h"
#include "service/layer_import.h"

struct svc_layer_import {
  SRWLOCK lock;
  hcs_client *client; /* loaded at the first use */
  img_importer *importer;
};

static wctr_err client_of(svc_layer_import *li, hcs_client **out, wctr_errmsg *e) {
  AcquireSRWLockExclusive(&li->lock);
  wctr_err err = li->client != NULL ? WCTR_OK : hcs_client_load(&li->client, e);
  *out = li->client;
  ReleaseSRWLockExclusive(&li->lock);
  return err;
}

static wctr_err vm_available(void *ctx, wctr_errmsg *e) {
  hcs_client *c = NULL;
  return client_of(ctx, &c, e);
}

static wctr_err vm_import(void *ctx, const char *path, const char *staging, const char *const *parents,
                          const char *const *parent_ids, size_t count, wctr_errmsg *e) {
  hcs_client *c = NULL;
  wctr_err err = client_of(ctx, &c, e);
  if (err != WCTR_OK) return err;
  hcs_layer *layers = calloc(count > 0 ? count : 1, sizeof *layers);
  if (layers == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) layers[i] = (hcs_layer){.id = parent_ids[i], .path = parents[i]};
  err = hcs_layer_import(c, path, staging, layers, count, e);
  free(layers);
  return err;
}

static wctr_err vm_process_base(void *ctx, const char *path, wctr_errmsg *e) {
  hcs_client *c = NULL;
  wctr_err err = client_of(ctx, &c, e);
  return err != WCTR_OK ? err : hcs_layer_process_base(c, path, e);
}

static wctr_err vm_process_utility(void *ctx, const char *path, wctr_errmsg *e) {
  hcs_client *c = NULL;
  wctr_err err = client_of(ctx, &c, e);
  return err != WCTR_OK ? err : hcs_layer_process_utility(c, path, e);
}

static wctr_err vm_destroy(void *ctx, const char *path, wctr_errmsg *e) {
  hcs_client *c = NULL;
  wctr_err err = client_of(ctx, &c, e);
  return err != WCTR_OK ? err : hcs_layer_destroy(c, path, e);
}

wctr_err svc_layer_import_open(svc_layer_import **out, wctr_errmsg *e) {
  *out = NULL;
  svc_layer_import *li = calloc(1, sizeof *li);
  if (li == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  InitializeSRWLock(&li->lock);
  img_vmcompute vm = {.ctx = li, .available = vm_available, .import_layer = vm_import, .process_base = vm_process_base,
                      .process_utility = vm_process_utility, .destroy = vm_destroy};
  wctr_err err = img_importer_windows_new(&vm, &li->importer, e);
  if (err != WCTR_OK) {
    free(li);
    return err;
  }
  *out = li;
  return WCTR_OK;
}

const img_importer *svc_layer_import_importer(const svc_layer_import *li) { return li->importer; }

void svc_layer_import_close(svc_layer_import *li) {
  if (li == NULL) return;
  img_importer_windows_free(li->importer);
  hcs_client_unload(li->client);
  free(li);
}
