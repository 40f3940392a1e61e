/* tests/net/test_ports.c - net/ports.h: host ports held by running containers, Docker's message naming the
 * holder, the dynamic choice (lowest free, wrapping, asking the probe), all-or-nothing, release. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/ports.h"
#include "testutil.h"

static spec_port tcp(uint16_t port, uint16_t host) {
  spec_port p = {.port = port, .host_port = host, .proto = SPEC_PROTO_TCP};
  return p;
}

static void test_conflicts(void **state) {
  (void)state;
  net_ports *t = NULL;
  wctr_errmsg e;
  assert_int_equal(net_ports_new(NULL, NULL, &t, &e), WCTR_OK);
  spec_port a[2] = {tcp(80, 8080), tcp(443, 8443)};
  assert_int_equal(net_ports_reserve(t, "aaaaaaaaaaaaaaaa", "web", a, 2, &e), WCTR_OK);
  assert_int_equal(net_ports_held(t, "aaaaaaaaaaaaaaaa"), 2);
  spec_port b[2] = {tcp(80, 9090), tcp(81, 8443)};
  assert_int_equal(net_ports_check(t, "bbbbbbbbbbbbbbbb", b, 2, &e), WCTR_EEXIST);
  assert_string_equal(e.text, "Bind for 0.0.0.0:8443 failed: port is already allocated (published by container web, "
                              "aaaaaaaaaaaa)");
  /* nothing is held after a failed reserve */
  assert_int_equal(net_ports_reserve(t, "bbbbbbbbbbbbbbbb", "api", b, 2, &e), WCTR_EEXIST);
  assert_int_equal(net_ports_held(t, "bbbbbbbbbbbbbbbb"), 0);
  /* the same port over udp is another mapping; the holder itself may check its own */
  spec_port u = {.port = 53, .host_port = 8080, .proto = SPEC_PROTO_UDP};
  assert_int_equal(net_ports_reserve(t, "bbbbbbbbbbbbbbbb", "api", &u, 1, &e), WCTR_OK);
  assert_int_equal(net_ports_check(t, "aaaaaaaaaaaaaaaa", a, 2, &e), WCTR_OK);
  net_ports_release(t, "aaaaaaaaaaaaaaaa");
  assert_int_equal(net_ports_held(t, "aaaaaaaaaaaaaaaa"), 0);
  assert_int_equal(net_ports_reserve(t, "cccccccccccccccc", "db", b, 2, &e), WCTR_OK);
  net_ports_free(t);
}

typedef struct probe_ctx {
  unsigned asked;
  uint32_t busy_below; /* every port below this is "in use on the host" */
} probe_ctx;

static bool probe(void *ctx, uint16_t port, spec_proto proto) {
  (void)proto;
  probe_ctx *p = ctx;
  p->asked++;
  return port >= p->busy_below;
}

static void test_dynamic(void **state) {
  (void)state;
  probe_ctx pc = {0, NET_PORTS_DYNAMIC_FIRST + 2};
  net_ports *t = NULL;
  wctr_errmsg e;
  assert_int_equal(net_ports_new(probe, &pc, &t, &e), WCTR_OK);
  spec_port a[3] = {tcp(80, 0), tcp(81, NET_PORTS_DYNAMIC_FIRST + 3), tcp(82, 0)};
  assert_int_equal(net_ports_reserve(t, "a", "a", a, 3, &e), WCTR_OK);
  /* the host had the first two; the third is taken by the container's own fixed mapping */
  assert_int_equal(a[0].host_port, NET_PORTS_DYNAMIC_FIRST + 2);
  assert_int_equal(a[1].host_port, NET_PORTS_DYNAMIC_FIRST + 3);
  assert_int_equal(a[2].host_port, NET_PORTS_DYNAMIC_FIRST + 4);
  assert_true(pc.asked >= 4);
  /* the next search goes on after the last one chosen, even when earlier ports come free */
  net_ports_release(t, "a");
  pc.busy_below = 0;
  spec_port b = tcp(80, 0);
  assert_int_equal(net_ports_reserve(t, "b", "b", &b, 1, &e), WCTR_OK);
  assert_int_equal(b.host_port, NET_PORTS_DYNAMIC_FIRST + 5);
  net_ports_free(t);
  /* a host with no free port in the range */
  probe_ctx full = {0, 70000};
  assert_int_equal(net_ports_new(probe, &full, &t, &e), WCTR_OK);
  spec_port c = tcp(80, 0);
  assert_int_equal(net_ports_reserve(t, "c", "c", &c, 1, &e), WCTR_EBUSY);
  assert_string_equal(e.text, "no free host port in 49153-65535 for 80/tcp");
  assert_int_equal(c.host_port, 0);
  net_ports_free(t);
}

/* -p's mappings, then with -P one per exposed port (the container's, then the image's) not mapped yet. */
static void test_effective(void **state) {
  (void)state;
  spec_port publish[2] = {tcp(80, 8080), {.port = 53, .host_port = 0, .proto = SPEC_PROTO_UDP}};
  spec_port expose[3] = {tcp(80, 0), tcp(9000, 0), {.port = 53, .proto = SPEC_PROTO_UDP}};
  spec_network n = {.publish = publish, .publish_count = 2, .expose = expose, .expose_count = 3};
  char *image[] = {"443/tcp", "80/tcp", "nonsense", "9000/tcp", "161/udp"};
  spec_port *out = NULL;
  size_t count = 0;
  wctr_errmsg e;
  assert_int_equal(net_effective_ports(&n, image, 5, &out, &count, &e), WCTR_OK);
  assert_int_equal(count, 2); /* without -P: -p only */
  assert_int_equal(out[0].host_port, 8080);
  free(out);
  n.publish_all = true;
  assert_int_equal(net_effective_ports(&n, image, 5, &out, &count, &e), WCTR_OK);
  assert_int_equal(count, 5);
  assert_int_equal(out[2].port, 9000);
  assert_int_equal(out[2].host_port, 0);
  assert_int_equal(out[3].port, 443);
  assert_int_equal(out[4].port, 161);
  assert_int_equal(out[4].proto, SPEC_PROTO_UDP);
  free(out);
  spec_network none = {0};
  assert_int_equal(net_effective_ports(&none, NULL, 0, &out, &count, &e), WCTR_OK);
  assert_int_equal(count, 0);
  assert_null(out);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_conflicts), cmocka_unit_test(test_dynamic),
                                     cmocka_unit_test(test_effective)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
