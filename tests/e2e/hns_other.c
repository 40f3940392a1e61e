/* hns_other: another program of the host that uses HNS - Docker, say - so that e2e_networks can show what
 * wctrd does with networks and endpoints it did not create (adopts, uses, never changes or removes them).
 * It goes through computenetwork.dll next to it (the double in the suites), with wctr's own HNS client.
 *   hns_other network NAME SUBNET                 a NAT network; prints its HNS id
 *   hns_other endpoint NETWORK_ID NAME HOSTPORT   an endpoint on it publishing HOSTPORT (tcp) as port 80;
 *                                                 prints its id
 * Ids are derived from NAME, so a run's objects are its own. Exit 0, or 1 with HNS's sentence. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/client.h"
#include "net/document.h"

static int fail(const wctr_errmsg *e) {
  fprintf(stderr, "hns_other: %s\n", e->text);
  return 1;
}

int main(int argc, char **argv) {
  wctr_errmsg e;
  net_client *c = NULL;
  cJSON *doc = NULL;
  int rc = 2;
  bool network = argc == 4 && strcmp(argv[1], "network") == 0;
  bool endpoint = argc == 5 && strcmp(argv[1], "endpoint") == 0;
  if (!network && !endpoint) {
    fprintf(stderr, "usage: hns_other network NAME SUBNET | endpoint NETWORK_ID NAME HOSTPORT\n");
    goto done;
  }
  rc = 1;
  if (net_client_load(&c, &e) != WCTR_OK) {
    fail(&e);
    goto done;
  }
  char id[NET_GUID_SIZE];
  if (network) {
    net_guid_for("hns_other", argv[2], "network", id);
    if (net_doc_network(argv[2], argv[3], NULL, &doc, &e) != WCTR_OK ||
        net_network_create(c, id, doc, NULL, NULL, &e) != WCTR_OK) {
      fail(&e);
      goto done;
    }
  } else {
    char *end = NULL;
    unsigned long host_port = strtoul(argv[4], &end, 10);
    if (end == argv[4] || *end != '\0' || host_port == 0 || host_port > 65535) {
      fprintf(stderr, "hns_other: HOSTPORT %s is not a port\n", argv[4]);
      goto done;
    }
    spec_port port = {.port = 80, .host_port = (uint16_t)host_port, .proto = SPEC_PROTO_TCP};
    net_endpoint_input in = {.network_id = argv[2], .name = argv[3], .ports = &port, .port_count = 1};
    net_guid_for("hns_other", argv[3], "endpoint", id);
    if (net_doc_endpoint(&in, &doc, &e) != WCTR_OK || net_endpoint_create(c, argv[2], id, doc, NULL, NULL, &e) != WCTR_OK) {
      fail(&e);
      goto done;
    }
  }
  printf("%s\n", id);
  rc = 0;
done:
  cJSON_Delete(doc);
  net_client_unload(c);
  return rc;
}
