/* net/ports.c - the host ports held by running containers (net/ports.h). A flat list: a host has at most a
 * few thousand mappings, and every operation is one pass under the lock. */
#include "net/ports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ioc.h"

typedef struct hold {
  uint16_t host_port;
  spec_proto proto;
  char id[65];
  char name[129];
} hold;

struct net_ports {
  wctr_mutex lock;
  net_port_probe_fn probe;
  void *ctx;
  hold *list; /* lock */
  size_t count, cap;
  uint32_t next; /* lock: where the next dynamic search begins */
};

wctr_err net_ports_new(net_port_probe_fn probe, void *ctx, net_ports **out, wctr_errmsg *e) {
  net_ports *t = calloc(1, sizeof *t);
  if (t == NULL || wctr_mutex_init(&t->lock) != WCTR_OK) {
    free(t);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  t->probe = probe;
  t->ctx = ctx;
  t->next = NET_PORTS_DYNAMIC_FIRST;
  *out = t;
  return WCTR_OK;
}

void net_ports_free(net_ports *t) {
  if (t == NULL) return;
  wctr_mutex_destroy(&t->lock);
  free(t->list);
  free(t);
}

static const hold *find_locked(net_ports *t, uint16_t port, spec_proto proto) {
  WCTR_ASSERT_HELD(&t->lock);
  for (size_t i = 0; i < t->count; i++) {
    if (t->list[i].host_port == port && t->list[i].proto == proto) return &t->list[i];
  }
  return NULL;
}

static wctr_err check_locked(net_ports *t, const char *id, const spec_port *ports, size_t n, wctr_errmsg *e) {
  for (size_t i = 0; i < n; i++) {
    if (ports[i].host_port == 0) continue;
    const hold *h = find_locked(t, ports[i].host_port, ports[i].proto);
    if (h != NULL && strcmp(h->id, id) != 0) {
      return wctr_fail(e, WCTR_EEXIST, "Bind for 0.0.0.0:%u failed: port is already allocated (published by container "
                       "%s, %.12s)", (unsigned)ports[i].host_port, h->name, h->id);
    }
  }
  return WCTR_OK;
}

wctr_err net_ports_check(net_ports *t, const char *id, const spec_port *ports, size_t n, wctr_errmsg *e) {
  wctr_mutex_lock(&t->lock);
  wctr_err err = check_locked(t, id, ports, n, e);
  wctr_mutex_unlock(&t->lock);
  return err;
}

static bool taken_in(const spec_port *ports, size_t n, uint16_t port, spec_proto proto) {
  for (size_t i = 0; i < n; i++) {
    if (ports[i].host_port == port && ports[i].proto == proto) return true;
  }
  return false;
}

wctr_err net_ports_reserve(net_ports *t, const char *id, const char *name, spec_port *ports, size_t n, wctr_errmsg *e) {
  spec_port *work = n > 0 ? malloc(n * sizeof *work) : NULL;
  if (n > 0 && work == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (n > 0) memcpy(work, ports, n * sizeof *work);
  wctr_mutex_lock(&t->lock);
  wctr_err err = check_locked(t, id, work, n, e);
  const uint32_t span = NET_PORTS_DYNAMIC_LAST - NET_PORTS_DYNAMIC_FIRST + 1;
  for (size_t i = 0; err == WCTR_OK && i < n; i++) {
    if (work[i].host_port != 0) continue;
    bool found = false;
    for (uint32_t k = 0; k < span && !found; k++) {
      uint32_t p = NET_PORTS_DYNAMIC_FIRST + (t->next - NET_PORTS_DYNAMIC_FIRST + k) % span;
      if (find_locked(t, (uint16_t)p, work[i].proto) != NULL || taken_in(work, n, (uint16_t)p, work[i].proto)) continue;
      if (t->probe != NULL && !t->probe(t->ctx, (uint16_t)p, work[i].proto)) continue;
      work[i].host_port = (uint16_t)p;
      t->next = p + 1 > NET_PORTS_DYNAMIC_LAST ? NET_PORTS_DYNAMIC_FIRST : p + 1;
      found = true;
    }
    if (!found) {
      err = wctr_fail(e, WCTR_EBUSY, "no free host port in %u-%u for %u/%s", NET_PORTS_DYNAMIC_FIRST,
                      NET_PORTS_DYNAMIC_LAST, (unsigned)work[i].port, spec_proto_name(work[i].proto));
    }
  }
  if (err == WCTR_OK && t->count + n > t->cap) {
    size_t cap = t->cap == 0 ? 16 : t->cap;
    while (cap < t->count + n) cap *= 2;
    hold *grown = realloc(t->list, cap * sizeof *grown);
    if (grown == NULL) {
      err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    } else {
      t->list = grown;
      t->cap = cap;
    }
  }
  for (size_t i = 0; err == WCTR_OK && i < n; i++) {
    /* The same mapping held twice (a reserve again after reattach) is one hold. */
    const hold *h = find_locked(t, work[i].host_port, work[i].proto);
    if (h != NULL) continue;
    hold *nh = &t->list[t->count++];
    memset(nh, 0, sizeof *nh);
    nh->host_port = work[i].host_port;
    nh->proto = work[i].proto;
    snprintf(nh->id, sizeof nh->id, "%s", id);
    snprintf(nh->name, sizeof nh->name, "%s", name != NULL ? name : id);
  }
  wctr_mutex_unlock(&t->lock);
  if (err == WCTR_OK && n > 0) memcpy(ports, work, n * sizeof *work);
  free(work);
  return err;
}

void net_ports_release(net_ports *t, const char *id) {
  if (t == NULL) return;
  wctr_mutex_lock(&t->lock);
  size_t k = 0;
  for (size_t i = 0; i < t->count; i++) {
    if (strcmp(t->list[i].id, id) != 0) t->list[k++] = t->list[i];
  }
  t->count = k;
  wctr_mutex_unlock(&t->lock);
}

size_t net_ports_held(net_ports *t, const char *id) {
  size_t n = 0;
  wctr_mutex_lock(&t->lock);
  for (size_t i = 0; i < t->count; i++) n += strcmp(t->list[i].id, id) == 0;
  wctr_mutex_unlock(&t->lock);
  return n;
}

static bool published(const spec_port *list, size_t n, uint16_t port, spec_proto proto) {
  for (size_t i = 0; i < n; i++) {
    if (list[i].port == port && list[i].proto == proto) return true;
  }
  return false;
}

wctr_err net_effective_ports(const spec_network *n, char *const *image_exposed, size_t image_exposed_count,
                             spec_port **out, size_t *count, wctr_errmsg *e) {
  *out = NULL;
  *count = 0;
  size_t cap = n->publish_count + (n->publish_all ? n->expose_count + image_exposed_count : 0);
  if (cap == 0) return WCTR_OK;
  spec_port *list = calloc(cap, sizeof *list);
  if (list == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  size_t k = 0;
  for (size_t i = 0; i < n->publish_count; i++) list[k++] = n->publish[i];
  if (n->publish_all) {
    for (size_t i = 0; i < n->expose_count; i++) {
      if (published(list, k, n->expose[i].port, n->expose[i].proto)) continue;
      spec_port p = {.port = n->expose[i].port, .proto = n->expose[i].proto};
      list[k++] = p;
    }
    for (size_t i = 0; i < image_exposed_count; i++) {
      spec_port p;
      memset(&p, 0, sizeof p);
      if (!spec_port_key_parse(image_exposed[i], &p.port, &p.proto) || published(list, k, p.port, p.proto)) continue;
      list[k++] = p;
    }
  }
  if (k > SPEC_PORTS_MAX) {
    free(list);
    return wctr_fail(e, WCTR_ETOOBIG, "-P: %zu ports to publish, more than the %d a container may publish", k,
                     SPEC_PORTS_MAX);
  }
  *out = list;
  *count = k;
  return WCTR_OK;
}
