/* service/layer_import.h - wctrd's production layer importer (Windows only): images/wcimport.h over
 * vmcompute.dll through hcs/client.h, which images/ cannot include (a peer of the same rank).
 *
 * svc_layer_import_open makes the importer; vmcompute.dll (with computecore.dll, as hcs_client_load loads
 * them) is loaded at the first import or removal, not at start, so a host without the Containers feature
 * starts wctrd and refuses an import with HCS_UNAVAILABLE_MESSAGE. (The layer ids are engine_win.c's
 * img_layer_id, vmcompute NameToGuid.) */
#ifndef WCTR_SERVICE_LAYER_IMPORT_H
#define WCTR_SERVICE_LAYER_IMPORT_H

#include "common/error.h"
#include "images/import.h"

typedef struct svc_layer_import svc_layer_import;

wctr_err svc_layer_import_open(svc_layer_import **out, wctr_errmsg *e);
const img_importer *svc_layer_import_importer(const svc_layer_import *li);
void svc_layer_import_close(svc_layer_import *li); /* accepts NULL; after every import has returned */

#endif
