/* service/image.h - the local image catalog's records (portable).
 *
 * An image is a name for a chain of existing Windows container layer folders (for example the ones Docker
 * already unpacked under C:\ProgramData\docker\windowsfilter), plus what a container needs from it: the OS
 * version for the process-isolation rule (hcs/osversion.h), and the default command and user. The
 * catalog keeps one record per image as <data-root>\images\<file>.json (service/images_win.c).
 *
 * image.add params (all validated; unknown keys refused):
 *   Name       "name[:tag]": [a-z0-9] then [a-z0-9._/-], a tag of [A-Za-z0-9_.-] (at most 128 characters
 *              in all); without a tag ":latest" is added, as Docker does
 *   Layers     array of absolute folder paths, top-most first, base last (the base holds Files\ and, for
 *              Hyper-V isolation, UtilityVM\Files), at most SVC_IMAGE_MAX_LAYERS
 *   OsVersion  "10.0.20348[.1234]" (hcs_osversion_parse); the Windows layer may read it from the base layer
 *   Cmd        array of strings (the default command), optional
 *   User       string, optional
 *
 * The record (image.inspect, and the file): {"Name","Layers":[{"Id","Path"}],"OsVersion","Cmd"?,"User"?,
 * "Created"}. Layer ids are vmcompute NameToGuid of each layer folder's name, as every Microsoft client
 * computes them (the Windows layer computes them: service/images.h). */
#ifndef WCTR_SERVICE_IMAGE_H
#define WCTR_SERVICE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"

#define SVC_IMAGE_NAME_MAX 128
#define SVC_IMAGE_MAX_LAYERS 127
#define SVC_GUID_TEXT 36

typedef struct svc_image_layer {
  char id[SVC_GUID_TEXT + 1];
  char *path;
} svc_image_layer;

typedef struct svc_image {
  char name[SVC_IMAGE_NAME_MAX + 1];
  svc_image_layer *layers;
  size_t layer_count;
  char os_version[40]; /* "" when not known yet (image.add before the Windows layer fills it in) */
  char **cmd;
  size_t cmd_count;
  char *user;
  char created[40];
} svc_image;

/* Normalises and checks an image name: "nanoserver" -> "nanoserver:latest". WCTR_EINVAL naming it. */
wctr_err svc_image_name_normalize(const char *name, char *out, size_t size, wctr_errmsg *e);

/* The catalog's file name for a normalised image name: every byte outside [a-z0-9._-] as %XX, + ".json". */
void svc_image_file_name(const char *name, char *out, size_t size);

/* Builds a record from image.add params (layer ids left empty: the caller chooses them). */
wctr_err svc_image_from_params(const cJSON *params, const char *now, svc_image *out, wctr_errmsg *e);

cJSON *svc_image_to_json(const svc_image *img); /* NULL when out of memory */
wctr_err svc_image_from_json(const cJSON *json, svc_image *out, wctr_errmsg *e);
void svc_image_free(svc_image *img);

/* Is text a GUID in the 8-4-4-4-12 hex form HCS wants (no braces)? */
bool svc_guid_valid(const char *text);

#endif
