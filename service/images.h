/* service/images.h - the local image catalog under <data-root>\images (Windows only).
 *
 * Pipe operations (the manager registers them; docs/protocol.md):
 *   image.add     image.add params (service/image.h)  -> the record. Every layer folder must exist; the
 *                 base layer (the last) must hold Files\. Without OsVersion the version is read from the
 *                 base layer's Files\Windows\System32\ntoskrnl.exe version resource; when that cannot be
 *                 read the request is refused asking for --os-version. An existing name is WCTR_EEXIST.
 *                 Each layer's id is vmcompute NameToGuid of its folder's name (hcs_layer_id): the same
 *                 folder has the same id in every image and every client. On a host without vmcompute.dll
 *                 (no Containers feature: dry runs only) the ids are the nil GUID, with a warning in the log.
 * Records whose ids are not NameToGuid of their folders - an older wctr chose them at random, or a host
 * without vmcompute.dll could not compute them - get the NameToGuid ids the first time they are read
 * (image.inspect, image.list, a container's create and start) on a host with vmcompute.dll, and are written
 * again (logged once); without it their ids are used as recorded.
 *   image.list    {}                         -> [records]
 *   image.inspect {"Name"}                   -> the record
 *   image.remove  {"Name"}                   -> {} ; refused while a container uses the image
 * Only the record is written or removed: the layer folders belong to whoever unpacked them. Records are
 * written atomically (service/store.h); a record that cannot be read is skipped by list and logged. */
#ifndef WCTR_SERVICE_IMAGES_H
#define WCTR_SERVICE_IMAGES_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "service/image.h"

typedef struct svc_images svc_images;

/* Creates <data-root>\images when missing (it inherits the data root's protected DACL). */
wctr_err svc_images_open(const char *data_root, svc_images **out, wctr_errmsg *e);
void svc_images_close(svc_images *im);

/* The image called ref (normalised: "x" finds "x:latest"). WCTR_ENOENT "No such image: ref". */
wctr_err svc_images_get(svc_images *im, const char *ref, svc_image *out, wctr_errmsg *e);

/* in_use answers whether a container uses the image, naming it in out. */
typedef bool (*svc_image_in_use_fn)(void *ctx, const char *image, char *container, size_t size);

wctr_err svc_images_add(svc_images *im, const cJSON *params, cJSON **result, wctr_errmsg *e);
wctr_err svc_images_list(svc_images *im, cJSON **result, wctr_errmsg *e);
wctr_err svc_images_inspect(svc_images *im, const cJSON *params, cJSON **result, wctr_errmsg *e);
wctr_err svc_images_remove(svc_images *im, const cJSON *params, svc_image_in_use_fn in_use, void *ctx,
                           cJSON **result, wctr_errmsg *e);

#endif
