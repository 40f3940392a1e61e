/* runtime/runtime.c - what every runtime shares (runtime/runtime.h). */
#include "runtime/runtime.h"

#include <stdlib.h>
#include <string.h>

void rt_image_free(rt_image *img) {
  if (img == NULL) return;
  free(img->name);
  for (size_t i = 0; i < img->layer_count; i++) {
    if (img->layer_ids != NULL) free(img->layer_ids[i]);
    if (img->layer_paths != NULL) free(img->layer_paths[i]);
  }
  free(img->layer_ids);
  free(img->layer_paths);
  for (size_t i = 0; i < img->cmd_count; i++) free(img->cmd[i]);
  free(img->cmd);
  free(img->user);
  for (size_t i = 0; i < img->exposed_count; i++) free(img->exposed[i]);
  free(img->exposed);
  memset(img, 0, sizeof *img);
}
