/* service/networks_win.c - the networks over computenetwork.dll (service/networks.h svc_networks_open_hns):
 * the svc_hns seam bound to net/client.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "net/client.h"
#include "service/networks.h"

/* The client lives as long as the process: the networks are opened once by wctrd's engine. */
typedef struct hns_binding {
  net_client *client;
  char why[400];
} hns_binding;

static hns_binding g_hns;

static wctr_err hns_list(void *ctx, cJSON **networks, wctr_errmsg *e) {
  hns_binding *b = ctx;
  return net_networks_list(b->client, NULL, networks, e);
}

static wctr_err hns_create(void *ctx, const char *id, const cJSON *doc, cJSON **props, wctr_errmsg *e) {
  hns_binding *b = ctx;
  return net_network_create(b->client, id, doc, props, NULL, e);
}

static wctr_err hns_remove(void *ctx, const char *id, wctr_errmsg *e) {
  hns_binding *b = ctx;
  return net_network_delete(b->client, id, e);
}

wctr_err svc_networks_open_hns(const char *data_root, const char *owner, svc_networks **out, wctr_errmsg *e) {
  wctr_errmsg le;
  if (g_hns.client == NULL && net_client_load(&g_hns.client, &le) != WCTR_OK) {
    g_hns.client = NULL;
    snprintf(g_hns.why, sizeof g_hns.why, "%s", le.text);
    wctr_log(WCTR_LOG_INFO, "container networks unavailable: %s", le.text);
  }
  svc_hns hns = {.ctx = &g_hns, .unavailable = g_hns.client == NULL ? g_hns.why : NULL, .list = hns_list,
                 .create = hns_create, .remove = hns_remove};
  return svc_networks_open(data_root, owner, &hns, out, e);
}
