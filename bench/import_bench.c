/* bench/import_bench.c - the layer import benchmark (scripts/bench-import, BENCHMARKS.md).
 *
 *   import_bench generate DIR [MB]   writes DIR\base.tar(.gz) and DIR\app.tar(.gz): a synthetic Windows base
 *                                    layer of about MB megabytes (default 160) in the layer format - Files\
 *                                    with a Windows tree, PAX records on every entry as go-winio writes them,
 *                                    security descriptors, a few streams, links and junctions, Hives, a
 *                                    UtilityVM - and a layer over it (about a tenth of the size, with
 *                                    whiteouts and hard links); prints their sizes and diff ids
 *   import_bench read DIR            reads base.tar.gz and app.tar.gz alone (inflate, SHA-256, the walk with a
 *                                    sink that writes nothing): "read base.tar.gz: MS ms (ok)"
 *   import_bench import DIR RUNS     imports base.tar.gz then app.tar.gz over it RUNS times with wctrd's
 *                                    importer (images/wcimport.h; vmcompute reached through hcs/client.h as
 *                                    service/layer_import_win.c does, with a clock around each call) into fresh
 *                                    folders of DIR, against the HCS double's vmcompute.dll (copied next to
 *                                    this program) and the BackupWrite stand-in (Wine's is a stub), and prints
 *                                    each run's milliseconds, in all and inside vmcompute (the double's work):
 *                                    "run N base MS VM_MS app MS VM_MS"
 *
 * The tars are the same files scripts/bench-import extracts with `tar -xzf` on the same disk. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_double.h"
#include "common/fs.h"
#include "common/wstr.h"
#include "hcs/client.h"
#include "images/digest.h"
#include "images/tar.h"
#include "images/wcimport.h"
#include "images/wclayer.h"
#include "tarw.h"

#define ATTR_DIR 0x10u
#define ATTR_ARCHIVE 0x20u
#define ATTR_REPARSE 0x400u

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 11);
}

/* Bytes that compress about 2:1, as executables and DLLs do: random runs between repeated ones. */
static void fill(uint8_t *p, size_t n) {
  static const char text[] = "MZ This program cannot be run in DOS mode. .text .rdata .data .pdata .rsrc .reloc ";
  for (size_t i = 0; i < n;) {
    size_t run = 16 + next_random() % 48;
    if (run > n - i) run = n - i;
    if (next_random() & 1) {
      for (size_t k = 0; k < run; k++) p[i + k] = (uint8_t)next_random();
    } else {
      for (size_t k = 0; k < run; k++) p[i + k] = (uint8_t)text[(i + k) % (sizeof text - 1)];
    }
    i += run;
  }
}

static size_t file_size(void) {
  uint32_t r = next_random() % 100;
  if (r < 70) return 512 + next_random() % (8 * 1024);
  if (r < 95) return 8 * 1024 + next_random() % (120 * 1024);
  return 128 * 1024 + next_random() % (1536 * 1024);
}

static void add_file(tarw *w, const char *name, size_t size, uint8_t *buf, const uint8_t *sd, size_t sd_len) {
  fill(buf, size);
  tarw_win(w, name, '0', NULL, buf, size, ATTR_ARCHIVE, sd, sd_len, NULL);
}

static void add_dir(tarw *w, const char *name, const uint8_t *sd, size_t sd_len) {
  tarw_win(w, name, '5', NULL, NULL, 0, ATTR_DIR, sd, sd_len, NULL);
}

static void base_layer(tarw *w, size_t target) {
  size_t sd_len = 0;
  const uint8_t *sd = tarw_sample_sd(&sd_len);
  uint8_t *buf = malloc(2 * 1024 * 1024);
  if (buf == NULL) abort();
  const char *mp[] = {"MSWINDOWS.mountpoint=1", NULL};
  tarw_init(w);
  add_dir(w, "Files/", sd, sd_len);
  add_dir(w, "Files/Users/", sd, sd_len);
  add_dir(w, "Files/ProgramData/", sd, sd_len);
  add_dir(w, "Files/Windows/", sd, sd_len);
  add_dir(w, "Files/Windows/System32/", sd, sd_len);
  add_dir(w, "Files/Windows/System32/config/", sd, sd_len);
  add_file(w, "Files/Windows/System32/config/SYSTEM", 256 * 1024, buf, sd, sd_len);
  add_file(w, "Files/Windows/System32/config/SOFTWARE", 512 * 1024, buf, sd, sd_len);
  tarw_win(w, "Files/Documents and Settings", '2', "C:\\Users", NULL, 0, ATTR_DIR | ATTR_REPARSE, NULL, 0, mp);
  size_t total = 0;
  char name[200];
  for (int d = 0; total < target * 9 / 10; d++) {
    snprintf(name, sizeof name, "Files/Windows/WinSxS/amd64_microsoft-windows-component-%04d_31bf3856ad364e35/", d);
    if (d == 0) add_dir(w, "Files/Windows/WinSxS/", sd, sd_len);
    add_dir(w, name, sd, sd_len);
    int files = 4 + (int)(next_random() % 12);
    for (int f = 0; f < files && total < target * 9 / 10; f++) {
      char file[300];
      snprintf(file, sizeof file, "%sfile%02d.dll", name, f);
      size_t size = file_size();
      add_file(w, file, size, buf, sd, sd_len);
      total += size;
      if (f == 0 && d % 50 == 0) {
        char ads[320];
        snprintf(ads, sizeof ads, "%s:Zone.Identifier", file);
        tarw_entry(w, ads, '0', NULL, "[ZoneTransfer]", 14, NULL);
      }
      if (f == 1 && d % 20 == 0) {
        char link[300];
        snprintf(link, sizeof link, "%slink%02d.dll", name, f);
        tarw_entry(w, link, '1', file, NULL, 0, NULL);
      }
    }
  }
  add_dir(w, "Hives/", NULL, 0);
  add_file(w, "Hives/System_Delta", 64 * 1024, buf, NULL, 0);
  add_file(w, "Hives/Software_Delta", 128 * 1024, buf, NULL, 0);
  add_dir(w, "UtilityVM/", NULL, 0);
  add_dir(w, "UtilityVM/Files/", sd, sd_len);
  add_dir(w, "UtilityVM/Files/EFI/", sd, sd_len);
  add_dir(w, "UtilityVM/Files/EFI/Microsoft/", sd, sd_len);
  add_dir(w, "UtilityVM/Files/EFI/Microsoft/Boot/", sd, sd_len);
  add_file(w, "UtilityVM/Files/EFI/Microsoft/Boot/BCD", 32 * 1024, buf, sd, sd_len);
  add_dir(w, "UtilityVM/Files/Windows/", sd, sd_len);
  for (int f = 0; total < target; f++) {
    snprintf(name, sizeof name, "UtilityVM/Files/Windows/uvm%04d.sys", f);
    size_t size = file_size();
    add_file(w, name, size, buf, sd, sd_len);
    total += size;
  }
  tarw_end(w);
  free(buf);
}

static void app_layer(tarw *w, size_t target) {
  size_t sd_len = 0;
  const uint8_t *sd = tarw_sample_sd(&sd_len);
  uint8_t *buf = malloc(2 * 1024 * 1024);
  if (buf == NULL) abort();
  tarw_init(w);
  add_dir(w, "Files/", sd, sd_len);
  add_dir(w, "Files/app/", sd, sd_len);
  size_t total = 0;
  char name[200];
  for (int f = 0; total < target; f++) {
    snprintf(name, sizeof name, "Files/app/module%04d.dll", f);
    size_t size = file_size();
    add_file(w, name, size, buf, sd, sd_len);
    total += size;
    if (f % 100 == 0) {
      char link[200];
      snprintf(link, sizeof link, "Files/app/alias%04d.dll", f);
      tarw_entry(w, link, '1', name, NULL, 0, NULL);
    }
  }
  add_dir(w, "Files/Windows/", sd, sd_len);
  add_dir(w, "Files/Windows/WinSxS/", sd, sd_len);
  add_dir(w, "Files/Windows/WinSxS/amd64_microsoft-windows-component-0001_31bf3856ad364e35/", sd, sd_len);
  tarw_entry(w, "Files/Windows/WinSxS/amd64_microsoft-windows-component-0001_31bf3856ad364e35/.wh.file00.dll", '0', NULL,
             NULL, 0, NULL);
  add_dir(w, "Hives/", NULL, 0);
  add_file(w, "Hives/Software_Delta", 256 * 1024, buf, NULL, 0);
  tarw_end(w);
  free(buf);
}

static void write_out(const char *dir, const char *name, const uint8_t *data, size_t len) {
  char path[1024];
  snprintf(path, sizeof path, "%s\\%s", dir, name);
  wctr_errmsg e;
  if (wctr_fs_write_atomic(path, data, len, &e) != WCTR_OK) {
    fprintf(stderr, "import_bench: %s\n", e.text);
    exit(1);
  }
}

static void generate(const char *dir, size_t mb) {
  const char *names[] = {"base", "app"};
  for (int i = 0; i < 2; i++) {
    tarw w;
    if (i == 0) {
      base_layer(&w, mb << 20);
    } else {
      app_layer(&w, (mb << 20) / 10);
    }
    uint8_t *gz = NULL;
    size_t gz_len = 0;
    tarw_gzip(w.data, w.len, &gz, &gz_len);
    char name[64], digest[IMG_DIGEST_MAX];
    snprintf(name, sizeof name, "%s.tar", names[i]);
    write_out(dir, name, w.data, w.len);
    snprintf(name, sizeof name, "%s.tar.gz", names[i]);
    write_out(dir, name, gz, gz_len);
    img_digest_of(w.data, w.len, digest);
    snprintf(name, sizeof name, "%s.diffid", names[i]);
    write_out(dir, name, (const uint8_t *)digest, strlen(digest));
    printf("%s: %zu bytes of tar, %zu gzip, %s\n", names[i], w.len, gz_len, digest);
    free(gz);
    tarw_free(&w);
  }
}

static void place_double(void) {
  wchar_t here[MAX_PATH], from[MAX_PATH];
  GetModuleFileNameW(NULL, here, MAX_PATH);
  wchar_t *slash = wcsrchr(here, L'\\');
  if (slash != NULL) slash[1] = L'\0';
  swprintf(from, MAX_PATH, L"%ls..\\hcs_double", here);
  static const wchar_t *const dlls[] = {L"computecore.dll", L"vmcompute.dll"};
  for (int i = 0; i < 2; i++) {
    wchar_t src[MAX_PATH], dst[MAX_PATH];
    swprintf(src, MAX_PATH, L"%ls\\%ls", from, dlls[i]);
    swprintf(dst, MAX_PATH, L"%ls%ls", here, dlls[i]);
    if (!CopyFileW(src, dst, FALSE)) {
      fprintf(stderr, "import_bench: cannot copy %ls (error %lu)\n", src, (unsigned long)GetLastError());
      exit(1);
    }
  }
}

static double now_ms(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
}

/* vmcompute as service/layer_import_win.c reaches it, with the time spent inside it added up. */
static hcs_client *g_client;
static double g_vm_ms;

static wctr_err vm_import(void *ctx, const char *path, const char *staging, const char *const *parents,
                          const char *const *parent_ids, size_t count, wctr_errmsg *e) {
  (void)ctx;
  hcs_layer layers[8];
  for (size_t i = 0; i < count && i < 8; i++) layers[i] = (hcs_layer){.id = parent_ids[i], .path = parents[i]};
  double t0 = now_ms();
  wctr_err err = hcs_layer_import(g_client, path, staging, layers, count, e);
  g_vm_ms += now_ms() - t0;
  return err;
}

static wctr_err vm_base(void *ctx, const char *path, wctr_errmsg *e) {
  (void)ctx;
  double t0 = now_ms();
  wctr_err err = hcs_layer_process_base(g_client, path, e);
  g_vm_ms += now_ms() - t0;
  return err;
}

static wctr_err vm_utility(void *ctx, const char *path, wctr_errmsg *e) {
  (void)ctx;
  double t0 = now_ms();
  wctr_err err = hcs_layer_process_utility(g_client, path, e);
  g_vm_ms += now_ms() - t0;
  return err;
}

static wctr_err vm_destroy(void *ctx, const char *path, wctr_errmsg *e) {
  (void)ctx;
  return hcs_layer_destroy(g_client, path, e);
}

static double import_one(const img_importer *imp, const char *dir, const char *run, const char *name,
                         const char *parent, double *vm_ms) {
  char blob[1024], dest[1024], diff_path[1024], parent_path[1024];
  snprintf(blob, sizeof blob, "%s\\%s.tar.gz", dir, name);
  snprintf(dest, sizeof dest, "%s\\%s\\%s", dir, run, name);
  snprintf(diff_path, sizeof diff_path, "%s\\%s.diffid", dir, name);
  char *diff_id = NULL;
  size_t len = 0;
  wctr_errmsg e;
  if (wctr_fs_read_all(diff_path, 200, &diff_id, &len) != WCTR_OK) {
    fprintf(stderr, "import_bench: no %s (run generate first)\n", diff_path);
    exit(1);
  }
  char id[HCS_GUID_SIZE], pid[HCS_GUID_SIZE];
  hcs_layer_id(dest, id, &e);
  const char *parents[1];
  const char *parent_ids[1];
  size_t count = 0;
  if (parent != NULL) {
    snprintf(parent_path, sizeof parent_path, "%s\\%s\\%s", dir, run, parent);
    hcs_layer_id(parent_path, pid, &e);
    parents[0] = parent_path;
    parent_ids[0] = pid;
    count = 1;
  }
  img_import_layer l = {.blob_path = blob, .media_type = "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        .diff_id = diff_id, .dest = dest, .layer_id = id, .parents = parents,
                        .parent_ids = parent_ids, .parent_count = count};
  int64_t size = 0;
  g_vm_ms = 0;
  double t0 = now_ms();
  wctr_err err = imp->import(imp->ctx, &l, &size, &e);
  double ms = now_ms() - t0;
  *vm_ms = g_vm_ms;
  free(diff_id);
  if (err != WCTR_OK) {
    fprintf(stderr, "import_bench: %s: %s\n", name, e.text);
    exit(1);
  }
  return ms;
}

static void import_runs(const char *dir, int runs) {
  place_double();
  char state[1024];
  snprintf(state, sizeof state, "%s\\hcs-state", dir);
  wchar_t *w = wctr_utf8_to_wide(state);
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", w);
  free(w);
  bd_install(false);
  wctr_errmsg e;
  img_importer *imp = NULL;
  img_vmcompute vm = {.import_layer = vm_import, .process_base = vm_base, .process_utility = vm_utility,
                      .destroy = vm_destroy};
  if (hcs_client_load(&g_client, &e) != WCTR_OK || img_importer_windows_new(&vm, &imp, &e) != WCTR_OK) {
    fprintf(stderr, "import_bench: %s\n", e.text);
    exit(1);
  }
  for (int r = 0; r < runs; r++) {
    char run[64], folder[1024];
    snprintf(run, sizeof run, "run-%d", r);
    snprintf(folder, sizeof folder, "%s\\%s", dir, run);
    wctr_fs_remove_tree(folder, &e);
    if (wctr_fs_mkdir(folder, &e) != WCTR_OK) {
      fprintf(stderr, "import_bench: %s\n", e.text);
      exit(1);
    }
    double base_vm = 0, app_vm = 0;
    double base = import_one(imp, dir, run, "base", NULL, &base_vm);
    double app = import_one(imp, dir, run, "app", "base", &app_vm);
    printf("run %d base %.1f %.1f app %.1f %.1f\n", r, base, base_vm, app, app_vm);
    fflush(stdout);
    wctr_fs_remove_tree(folder, &e);
  }
  img_importer_windows_free(imp);
  hcs_client_unload(g_client);
}

/* The reading alone (inflate, SHA-256, the walk) with a sink that writes nothing: where the time goes. */
static wctr_err null_add(void *ctx, const char *path, const img_wcl_info *info, uint64_t size, wctr_errmsg *e) {
  (void)ctx, (void)path, (void)info, (void)size, (void)e;
  return WCTR_OK;
}
static wctr_err null_write(void *ctx, const void *data, size_t len, wctr_errmsg *e) {
  (void)ctx, (void)data, (void)len, (void)e;
  return WCTR_OK;
}
static wctr_err null_done(void *ctx, wctr_errmsg *e) {
  (void)ctx, (void)e;
  return WCTR_OK;
}
static wctr_err null_link(void *ctx, const char *path, const char *target, bool in_layer, wctr_errmsg *e) {
  (void)ctx, (void)path, (void)target, (void)in_layer, (void)e;
  return WCTR_OK;
}
static wctr_err null_remove(void *ctx, const char *path, wctr_errmsg *e) {
  (void)ctx, (void)path, (void)e;
  return WCTR_OK;
}

typedef struct file_src {
  wctr_file *f;
  uint64_t off;
} file_src;

static wctr_err file_read(void *ctx, void *buf, size_t size, size_t *got, wctr_errmsg *e) {
  file_src *s = ctx;
  wctr_err err = wctr_file_pread(s->f, s->off, buf, size, got);
  if (err != WCTR_OK) return wctr_fail(e, err, "read");
  s->off += *got;
  return WCTR_OK;
}

static void read_only(const char *dir, bool base, bool gzip) {
  char blob[1024];
  snprintf(blob, sizeof blob, "%s\\%s.tar%s", dir, base ? "base" : "app", gzip ? ".gz" : "");
  wctr_errmsg e;
  file_src src = {0};
  img_tar *t = NULL;
  if (wctr_file_open(blob, WCTR_FILE_READ, &src.f, &e) != WCTR_OK || img_tar_open(file_read, &src, gzip, &t, &e) != WCTR_OK) {
    fprintf(stderr, "import_bench: %s\n", e.text);
    exit(1);
  }
  img_wcl_sink sink = {.add = null_add, .write = null_write, .done = null_done, .link = null_link, .remove = null_remove};
  img_wcl_options opt = {.base = base};
  img_wcl_result res;
  double t0 = now_ms();
  wctr_err err = img_wcl_apply(t, &opt, &sink, &res, &e);
  printf("read %s%s: %.1f ms (%s)\n", base ? "base" : "app", gzip ? ".tar.gz" : ".tar", now_ms() - t0,
         err == WCTR_OK ? "ok" : e.text);
  img_tar_free(t);
  wctr_file_close(src.f);
}

int wmain(int argc, wchar_t **argv) {
  char *dir = argc >= 3 ? wctr_wide_to_utf8(argv[2]) : NULL;
  int rc = 2;
  if (argc >= 3 && dir != NULL && wcscmp(argv[1], L"generate") == 0) {
    generate(dir, argc >= 4 ? (size_t)wcstoul(argv[3], NULL, 10) : 160);
    rc = 0;
  } else if (argc >= 3 && dir != NULL && wcscmp(argv[1], L"read") == 0) {
    read_only(dir, true, true);
    read_only(dir, false, true);
    rc = 0;
  } else if (argc >= 4 && dir != NULL && wcscmp(argv[1], L"import") == 0) {
    import_runs(dir, (int)wcstol(argv[3], NULL, 10));
    rc = 0;
  } else {
    fprintf(stderr, "usage: import_bench generate DIR [MB] | import_bench import DIR RUNS\n");
  }
  free(dir);
  return rc;
}
