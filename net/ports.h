/* net/ports.h - the host ports published by one wctrd's running containers (portable, thread-safe).
 *
 * HNS refuses a second mapping of a host port only once the first endpoint exists; wctr checks before
 * anything is created, so that `run` and `start` fail with Docker's sentence and nothing half-made: a
 * container's mappings are reserved here (all or none) before its endpoint is created, and released when its
 * run ends. A mapping whose host port is 0 gets one here: the lowest free one in Docker's dynamic range
 * (NET_PORTS_DYNAMIC_FIRST..LAST) at or after the last one chosen, wrapping round as Docker's allocator does,
 * that no container holds and that the probe (the Windows layer's bind test; NULL: none) finds free on the
 * host. The same host port may serve tcp and udp. */
#ifndef WCTR_NET_PORTS_H
#define WCTR_NET_PORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "spec/spec.h"

#define NET_PORTS_DYNAMIC_FIRST 49153u
#define NET_PORTS_DYNAMIC_LAST 65535u

typedef struct net_ports net_ports;

/* true when nothing on the host listens on port/proto. */
typedef bool (*net_port_probe_fn)(void *ctx, uint16_t port, spec_proto proto);

wctr_err net_ports_new(net_port_probe_fn probe, void *ctx, net_ports **out, wctr_errmsg *e);
void net_ports_free(net_ports *t); /* accepts NULL */

/* WCTR_EEXIST when a non-zero host port of ports is held by another container than id:
 * "Bind for 0.0.0.0:8080 failed: port is already allocated (published by container web, 1a2b3c4d5e6f)". */
wctr_err net_ports_check(net_ports *t, const char *id, const spec_port *ports, size_t n, wctr_errmsg *e);
/* Checks, then holds every mapping of ports for id (name for the messages of others), choosing the host
 * ports of those that have none (written back into ports). WCTR_EEXIST as above; WCTR_EBUSY when the dynamic
 * range has no free port ("no free host port in 49153-65535 for 80/tcp"). Nothing is held on failure. A
 * container holds its reservations until net_ports_release; reserving again for the same id adds to them. */
wctr_err net_ports_reserve(net_ports *t, const char *id, const char *name, spec_port *ports, size_t n, wctr_errmsg *e);
void net_ports_release(net_ports *t, const char *id);
/* The mappings a start publishes: the spec's own (-p, in its order) and, with -P (publish_all), one with a
 * host port chosen at start for every exposed port - the container's (--expose, and the container ports of
 * -p, which Docker's CLI exposes too) and the image's ("80/tcp" texts; others are skipped) - that has no
 * mapping yet. *out is malloc'ed (free()), *count may be 0 (then *out is NULL). WCTR_ETOOBIG past
 * SPEC_PORTS_MAX. */
wctr_err net_effective_ports(const spec_network *n, char *const *image_exposed, size_t image_exposed_count,
                             spec_port **out, size_t *count, wctr_errmsg *e);

/* How many mappings id holds (tests). */
size_t net_ports_held(net_ports *t, const char *id);

#endif
