/* service/images_win.c - the image catalog's files. Contract: service/images.h. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/wstr.h"
#include "hcs/client.h"
#include "service/container.h"
#include "service/images.h"
#include "service/store.h"

struct svc_images {
  CRITICAL_SECTION lock; /* one writer at a time: add checks for the name, then writes */
  char dir[1100];
};

wctr_err svc_images_open(const char *data_root, svc_images **out, wctr_errmsg *e) {
  svc_images *im = calloc(1, sizeof *im);
  if (im == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  snprintf(im->dir, sizeof im->dir, "%s\\images", data_root);
  wctr_err err = svc_make_subdir(im->dir, e);
  if (err != WCTR_OK) {
    free(im);
    return err;
  }
  InitializeCriticalSection(&im->lock);
  *out = im;
  return WCTR_OK;
}

void svc_images_close(svc_images *im) {
  if (im == NULL) return;
  DeleteCriticalSection(&im->lock);
  free(im);
}

static void record_path(const svc_images *im, const char *name, char *out, size_t size) {
  char file[SVC_IMAGE_NAME_MAX * 3 + 8];
  svc_image_file_name(name, file, sizeof file);
  snprintf(out, size, "%s\\%s", im->dir, file);
}

static wctr_err load(const char *path, svc_image *out, wctr_errmsg *e) {
  wchar_t *w = wctr_utf8_to_wide(path);
  char *text = NULL;
  size_t len = 0;
  wctr_err err = w != NULL ? svc_read_text(w, &text, &len) : WCTR_ENOMEM;
  free(w);
  if (err != WCTR_OK) return err;
  cJSON *json = cJSON_ParseWithLength(text, len);
  free(text);
  if (json == NULL) return wctr_fail(e, WCTR_EINVAL, "%s is not JSON", path);
  err = svc_image_from_json(json, out, e);
  cJSON_Delete(json);
  return err;
}

/* Records an older wctr wrote hold layer ids it chose at random, and records added on a host without
 * vmcompute.dll hold the nil GUID; every Microsoft client (and HCS, which compares them across containers
 * sharing a layer) knows a layer folder by vmcompute NameToGuid of its name. A record whose ids differ gets
 * those ids and is written again, once, with a line in the log. Without vmcompute.dll the stored ids stay
 * (nothing can run such an image on that host anyway). */
static wctr_err save(const svc_images *im, const svc_image *img, wctr_errmsg *e);

/* A layer id not computed yet (image.add on a host without vmcompute.dll). */
#define NIL_LAYER_ID "00000000-0000-0000-0000-000000000000"

static void migrate_ids(svc_images *im, svc_image *img) {
  bool changed = false;
  for (size_t i = 0; i < img->layer_count; i++) {
    char id[HCS_GUID_SIZE];
    wctr_errmsg e;
    if (hcs_layer_id(img->layers[i].path, id, &e) != WCTR_OK) {
      wctr_log(WCTR_LOG_DEBUG, "image %s: layer ids left as recorded: %s", img->name, e.text);
      return;
    }
    if (_stricmp(id, img->layers[i].id) != 0) {
      snprintf(img->layers[i].id, sizeof img->layers[i].id, "%s", id);
      changed = true;
    }
  }
  if (!changed) return;
  wctr_errmsg e;
  EnterCriticalSection(&im->lock);
  wctr_err err = save(im, img, &e);
  LeaveCriticalSection(&im->lock);
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "image %s: layer ids are now NameToGuid of their folders, as every client computes them "
             "(the record had ids chosen at random)", img->name);
  } else {
    wctr_log(WCTR_LOG_WARN, "image %s: the record keeps its old layer ids (%s); the new ones are used meanwhile",
             img->name, e.text);
  }
}

wctr_err svc_images_get(svc_images *im, const char *ref, svc_image *out, wctr_errmsg *e) {
  char name[SVC_IMAGE_NAME_MAX + 1];
  wctr_err err = svc_image_name_normalize(ref, name, sizeof name, e);
  if (err != WCTR_OK) return err;
  char path[1600];
  record_path(im, name, path, sizeof path);
  err = load(path, out, e);
  if (err == WCTR_ENOENT) {
    return wctr_fail(e, WCTR_ENOENT, "No such image: %s (register its layers with `wctr image add %s --layer DIR`)",
                     name, name);
  }
  if (err != WCTR_OK && e->text[0] == '\0') wctr_fail(e, err, "image %s cannot be read", name);
  if (err == WCTR_OK) migrate_ids(im, out);
  return err;
}

static bool is_dir(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  DWORD a = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
  free(w);
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

/* The file version of the base layer's kernel: the image's OS version. */
static bool read_os_version(const char *base, char *out, size_t size) {
  char path[700];
  snprintf(path, sizeof path, "%s\\Files\\Windows\\System32\\ntoskrnl.exe", base);
  wchar_t *w = wctr_utf8_to_wide(path);
  DWORD ignored = 0;
  DWORD n = w != NULL ? GetFileVersionInfoSizeW(w, &ignored) : 0;
  void *data = n > 0 ? malloc(n) : NULL;
  VS_FIXEDFILEINFO *info = NULL;
  UINT len = 0;
  bool ok = data != NULL && GetFileVersionInfoW(w, 0, n, data) && VerQueryValueW(data, L"\\", (void **)&info, &len) &&
            info != NULL && len >= sizeof *info;
  if (ok) {
    snprintf(out, size, "%lu.%lu.%lu.%lu", (unsigned long)HIWORD(info->dwFileVersionMS),
             (unsigned long)LOWORD(info->dwFileVersionMS), (unsigned long)HIWORD(info->dwFileVersionLS),
             (unsigned long)LOWORD(info->dwFileVersionLS));
  }
  free(data);
  free(w);
  return ok;
}

static wctr_err save(const svc_images *im, const svc_image *img, wctr_errmsg *e) {
  char path[1600];
  record_path(im, img->name, path, sizeof path);
  cJSON *json = svc_image_to_json(img);
  char *text = json != NULL ? cJSON_Print(json) : NULL;
  cJSON_Delete(json);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = svc_write_atomic(path, text, strlen(text), e);
  cJSON_free(text);
  return err;
}

wctr_err svc_images_add(svc_images *im, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  svc_image img;
  bool ids_pending = false;
  char now[40];
  wctr_time_now_iso8601(now, sizeof now);
  wctr_err err = svc_image_from_params(params, now, &img, e);
  if (err != WCTR_OK) return err;
  for (size_t i = 0; err == WCTR_OK && i < img.layer_count; i++) {
    if (!is_dir(img.layers[i].path)) {
      err = wctr_fail(e, WCTR_ENOENT, "--layer \"%s\": no such folder", img.layers[i].path);
    }
    /* The id every client gives this folder: vmcompute NameToGuid of its name. A host without vmcompute.dll
     * cannot compute it: the nil GUID stands in (a dry run shows it as such) until the record is read on a
     * host that can (migrate_ids). */
    char id[HCS_GUID_SIZE];
    wctr_errmsg ie;
    wctr_err idr = err == WCTR_OK ? hcs_layer_id(img.layers[i].path, id, &ie) : WCTR_OK;
    if (idr == WCTR_ENOTSUP) {
      snprintf(id, sizeof id, "%s", NIL_LAYER_ID);
      ids_pending = true;
    } else if (idr != WCTR_OK) {
      err = wctr_fail(e, idr, "%s", ie.text);
    }
    if (err == WCTR_OK) snprintf(img.layers[i].id, sizeof img.layers[i].id, "%s", id);
  }
  const char *base = img.layer_count > 0 ? img.layers[img.layer_count - 1].path : "";
  char files[700];
  snprintf(files, sizeof files, "%s\\Files", base);
  if (err == WCTR_OK && !is_dir(files)) {
    err = wctr_fail(e, WCTR_EINVAL, "--layer \"%s\": the base layer (the last --layer) has no Files folder; is it a "
                    "Windows base layer?", base);
  }
  if (err == WCTR_OK && img.os_version[0] == '\0' && !read_os_version(base, img.os_version, sizeof img.os_version)) {
    err = wctr_fail(e, WCTR_EINVAL, "--os-version is required: the base layer's Files\\Windows\\System32\\ntoskrnl.exe "
                    "has no readable version");
  }
  if (err == WCTR_OK) {
    EnterCriticalSection(&im->lock);
    svc_image existing;
    wctr_errmsg ignored;
    char path[1600];
    record_path(im, img.name, path, sizeof path);
    if (load(path, &existing, &ignored) == WCTR_OK) {
      svc_image_free(&existing);
      err = wctr_fail(e, WCTR_EEXIST, "image %s already exists: remove it first with `wctr image rm %s`", img.name,
                      img.name);
    } else {
      err = save(im, &img, e);
    }
    LeaveCriticalSection(&im->lock);
  }
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "image %s added (%zu layers, OS %s)", img.name, img.layer_count, img.os_version);
    if (ids_pending) {
      wctr_log(WCTR_LOG_WARN, "image %s: vmcompute.dll is not available, so its layer ids (NameToGuid of the "
               "folders) are the nil GUID until the image is used on a host with the Containers feature", img.name);
    }
    *result = svc_image_to_json(&img);
    if (*result == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  svc_image_free(&img);
  return err;
}

wctr_err svc_images_list(svc_images *im, cJSON **result, wctr_errmsg *e) {
  cJSON *list = cJSON_CreateArray();
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  char pattern[1200];
  snprintf(pattern, sizeof pattern, "%s\\*.json", im->dir);
  wchar_t *w = wctr_utf8_to_wide(pattern);
  WIN32_FIND_DATAW fd;
  HANDLE find = w != NULL ? FindFirstFileW(w, &fd) : INVALID_HANDLE_VALUE;
  free(w);
  if (find != INVALID_HANDLE_VALUE) {
    do {
      char *file = wctr_wide_to_utf8(fd.cFileName);
      if (file == NULL) continue;
      char path[1600];
      snprintf(path, sizeof path, "%s\\%s", im->dir, file);
      svc_image img;
      wctr_errmsg le;
      le.text[0] = '\0';
      if (load(path, &img, &le) == WCTR_OK) {
        migrate_ids(im, &img);
        cJSON_AddItemToArray(list, svc_image_to_json(&img));
        svc_image_free(&img);
      } else {
        wctr_log(WCTR_LOG_WARN, "image record %s skipped: %s", path, le.text);
      }
      free(file);
    } while (FindNextFileW(find, &fd));
    FindClose(find);
  }
  *result = list;
  return WCTR_OK;
}

static wctr_err name_param(const cJSON *params, const char **name, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", NULL};
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Name\" is required");
  if (wctr_json_check_keys(params, "params", keys, e) != WCTR_OK) return WCTR_EINVAL;
  return wctr_json_get_string(params, "Name", "params", true, name, e);
}

wctr_err svc_images_inspect(svc_images *im, const cJSON *params, cJSON **result, wctr_errmsg *e) {
  const char *name = NULL;
  svc_image img;
  wctr_err err = name_param(params, &name, e);
  if (err == WCTR_OK) err = svc_images_get(im, name, &img, e);
  if (err != WCTR_OK) return err;
  *result = svc_image_to_json(&img);
  svc_image_free(&img);
  return *result != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
}

wctr_err svc_images_remove(svc_images *im, const cJSON *params, svc_image_in_use_fn in_use, void *ctx,
                           cJSON **result, wctr_errmsg *e) {
  const char *name = NULL;
  svc_image img;
  wctr_err err = name_param(params, &name, e);
  if (err == WCTR_OK) err = svc_images_get(im, name, &img, e);
  if (err != WCTR_OK) return err;
  char user[SVC_NAME_MAX + 1] = "";
  if (in_use != NULL && in_use(ctx, img.name, user, sizeof user)) {
    err = wctr_fail(e, WCTR_ESTATE, "conflict: unable to remove image %s: container %s uses it (remove the container "
                    "first)", img.name, user);
  } else {
    char path[1600];
    record_path(im, img.name, path, sizeof path);
    wchar_t *w = wctr_utf8_to_wide(path);
    EnterCriticalSection(&im->lock);
    if (w == NULL || !DeleteFileW(w)) {
      DWORD code = GetLastError();
      err = wctr_fail(e, wctr_log_win32("DeleteFileW", code, "%s", path), "cannot remove image %s", img.name);
    }
    LeaveCriticalSection(&im->lock);
    free(w);
  }
  if (err == WCTR_OK) {
    wctr_log(WCTR_LOG_INFO, "image %s removed", img.name);
    *result = cJSON_CreateObject();
  }
  svc_image_free(&img);
  return err;
}
