/* service/image.c - image records: names, add params, persistence (portable). */
#include "service/image.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "hcs/osversion.h"
#include "service/container.h"

static bool name_char(char c) { return islower((unsigned char)c) || isdigit((unsigned char)c) || strchr("._/-", c); }
static bool tag_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-'; }

wctr_err svc_image_name_normalize(const char *name, char *out, size_t size, wctr_errmsg *e) {
  size_t n = name != NULL ? strlen(name) : 0;
  const char *colon = name != NULL ? strrchr(name, ':') : NULL;
  /* A colon before the last slash belongs to a registry host ("host:5000/x"), not to a tag. */
  if (colon != NULL && strchr(colon, '/') != NULL) colon = NULL;
  size_t repo = colon != NULL ? (size_t)(colon - name) : n;
  bool ok = n > 0 && repo > 0 && (islower((unsigned char)name[0]) || isdigit((unsigned char)name[0]));
  for (size_t i = 0; ok && i < repo; i++) {
    ok = name_char(name[i]) || (name[i] == ':' && i > 0);
  }
  if (ok && colon != NULL) {
    ok = colon[1] != '\0';
    for (const char *t = colon + 1; ok && *t != '\0'; t++) ok = tag_char(*t);
  }
  if (ok && (strstr(name, "//") != NULL || name[repo - 1] == '/')) ok = false;
  const char *suffix = colon == NULL ? ":latest" : "";
  if (!ok || n + strlen(suffix) > SVC_IMAGE_NAME_MAX || n + strlen(suffix) >= size) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid image name \"%.*s\": use lowercase [a-z0-9._/-] with an optional :tag of "
                     "[A-Za-z0-9_.-], at most %d characters",
                     200, name != NULL ? name : "", SVC_IMAGE_NAME_MAX);
  }
  snprintf(out, size, "%s%s", name, suffix);
  return WCTR_OK;
}

void svc_image_file_name(const char *name, char *out, size_t size) {
  size_t o = 0;
  for (const char *p = name; *p != '\0' && o + 8 < size; p++) {
    unsigned char c = (unsigned char)*p;
    if (islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-') {
      out[o++] = (char)c;
    } else {
      o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
    }
  }
  snprintf(out + o, size - o, ".json");
}

bool svc_guid_valid(const char *text) {
  static const int groups[] = {8, 4, 4, 4, 12};
  const char *p = text;
  if (p == NULL) return false;
  for (int g = 0; g < 5; g++) {
    for (int i = 0; i < groups[g]; i++, p++) {
      if (!isxdigit((unsigned char)*p)) return false;
    }
    if (g < 4 && *p++ != '-') return false;
  }
  return *p == '\0';
}

static bool absolute_path(const char *p) {
  return (isalpha((unsigned char)p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')) ||
         (p[0] == '\\' && p[1] == '\\');
}

void svc_image_free(svc_image *img) {
  if (img == NULL) return;
  for (size_t i = 0; i < img->layer_count; i++) free(img->layers[i].path);
  free(img->layers);
  svc_strings_free(img->cmd, img->cmd_count);
  free(img->user);
  memset(img, 0, sizeof *img);
}

/* Fills img's common fields from an add request or a record; layers are paths (add) or {Id,Path} (record). */
static wctr_err read_common(const cJSON *obj, const char *where, bool record, svc_image *img, wctr_errmsg *e) {
  const char *name = NULL;
  const char *os = NULL;
  const char *user = NULL;
  if (wctr_json_get_string(obj, "Name", where, true, &name, e) != WCTR_OK ||
      wctr_json_get_string(obj, "OsVersion", where, record, &os, e) != WCTR_OK ||
      wctr_json_get_string(obj, "User", where, false, &user, e) != WCTR_OK) {
    return WCTR_EINVAL;
  }
  wctr_err err = svc_image_name_normalize(name, img->name, sizeof img->name, e);
  if (err != WCTR_OK) return err;
  if (os != NULL) {
    hcs_osversion v;
    if (hcs_osversion_parse(os, &v, e) != WCTR_OK) return WCTR_EINVAL;
    if (strlen(os) >= sizeof img->os_version) return wctr_fail(e, WCTR_EINVAL, "%s: \"OsVersion\" is too long", where);
    snprintf(img->os_version, sizeof img->os_version, "%s", os);
  }
  if (user != NULL && user[0] != '\0' && (img->user = strdup(user)) == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  err = svc_json_strings(obj, "Cmd", where, false, true, &img->cmd, &img->cmd_count, e);
  if (err != WCTR_OK) return err;
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(obj, "Layers");
  if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0) {
    return wctr_fail(e, WCTR_EINVAL, "%s: \"Layers\" must be a non-empty array (at least the base layer)", where);
  }
  int n = cJSON_GetArraySize(layers);
  if (n > SVC_IMAGE_MAX_LAYERS) return wctr_fail(e, WCTR_EINVAL, "%s: at most %d layers", where, SVC_IMAGE_MAX_LAYERS);
  img->layers = calloc((size_t)n, sizeof *img->layers);
  if (img->layers == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  int i = 0;
  for (const cJSON *l = layers->child; l != NULL; l = l->next, i++) {
    char at[64];
    snprintf(at, sizeof at, "%s.Layers[%d]", where, i);
    const char *path = NULL;
    const char *id = NULL;
    if (record) {
      static const char *const keys[] = {"Id", "Path", NULL};
      if (!cJSON_IsObject(l)) return wctr_fail(e, WCTR_EINVAL, "%s must be an object", at);
      if (wctr_json_check_keys(l, at, keys, e) != WCTR_OK || wctr_json_get_string(l, "Id", at, true, &id, e) != WCTR_OK ||
          wctr_json_get_string(l, "Path", at, true, &path, e) != WCTR_OK) {
        return WCTR_EINVAL;
      }
      if (!svc_guid_valid(id)) return wctr_fail(e, WCTR_EINVAL, "%s.Id \"%.60s\" is not a GUID", at, id);
      snprintf(img->layers[i].id, sizeof img->layers[i].id, "%s", id);
    } else {
      if (!cJSON_IsString(l)) return wctr_fail(e, WCTR_EINVAL, "%s must be a string (a folder path)", at);
      path = l->valuestring;
    }
    if (!absolute_path(path) || strlen(path) > 400) {
      return wctr_fail(e, WCTR_EINVAL, "--layer \"%.200s\": a layer is an absolute folder path (C:\\...) of at most 400 characters",
                       path);
    }
    if ((img->layers[i].path = strdup(path)) == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    for (char *p = img->layers[i].path; *p != '\0'; p++) {
      if (*p == '/') *p = '\\';
    }
    img->layer_count = (size_t)i + 1;
  }
  return WCTR_OK;
}

wctr_err svc_image_from_params(const cJSON *params, const char *now, svc_image *out, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Layers", "OsVersion", "Cmd", "User", NULL};
  svc_image img;
  memset(&img, 0, sizeof img);
  if (params == NULL) return wctr_fail(e, WCTR_EINVAL, "params: \"Name\" is required");
  wctr_err err = wctr_json_check_keys(params, "params", keys, e);
  if (err == WCTR_OK) err = read_common(params, "params", false, &img, e);
  if (err != WCTR_OK) {
    svc_image_free(&img);
    return err;
  }
  snprintf(img.created, sizeof img.created, "%s", now);
  *out = img;
  return WCTR_OK;
}

cJSON *svc_image_to_json(const svc_image *img) {
  cJSON *o = cJSON_CreateObject();
  cJSON *layers = o != NULL && cJSON_AddStringToObject(o, "Name", img->name) ? cJSON_AddArrayToObject(o, "Layers") : NULL;
  bool ok = layers != NULL;
  for (size_t i = 0; ok && i < img->layer_count; i++) {
    cJSON *l = cJSON_CreateObject();
    ok = l != NULL && cJSON_AddItemToArray(layers, l) && cJSON_AddStringToObject(l, "Id", img->layers[i].id) &&
         cJSON_AddStringToObject(l, "Path", img->layers[i].path);
  }
  ok = ok && cJSON_AddStringToObject(o, "OsVersion", img->os_version) != NULL;
  if (ok && img->cmd_count > 0) {
    cJSON *cmd = cJSON_AddArrayToObject(o, "Cmd");
    ok = cmd != NULL;
    for (size_t i = 0; ok && i < img->cmd_count; i++) ok = cJSON_AddItemToArray(cmd, cJSON_CreateString(img->cmd[i]));
  }
  if (ok && img->user != NULL) ok = cJSON_AddStringToObject(o, "User", img->user) != NULL;
  ok = ok && cJSON_AddStringToObject(o, "Created", img->created) != NULL;
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

wctr_err svc_image_from_json(const cJSON *json, svc_image *out, wctr_errmsg *e) {
  static const char *const keys[] = {"Name", "Layers", "OsVersion", "Cmd", "User", "Created", NULL};
  svc_image img;
  memset(&img, 0, sizeof img);
  const char *created = NULL;
  wctr_err err = wctr_json_check_keys(json, "image", keys, e);
  if (err == WCTR_OK) err = read_common(json, "image", true, &img, e);
  if (err == WCTR_OK) err = wctr_json_get_string(json, "Created", "image", true, &created, e);
  if (err != WCTR_OK) {
    svc_image_free(&img);
    return err;
  }
  snprintf(img.created, sizeof img.created, "%s", created);
  *out = img;
  return WCTR_OK;
}
