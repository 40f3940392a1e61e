/* engine_api_bench: the Engine API's figures for BENCHMARKS.md, measured from Linux against a wctrd under Wine
 * over loopback TCP (scripts/bench-engine-api runs it). Plain HTTP/1.1 on keep-alive connections, the token in
 * every request, timings with CLOCK_MONOTONIC.
 *
 *   engine_api_bench create PORT TOKEN N
 *       creates N job containers (bench-1 ... bench-N; host, cmd /c exit 0) through POST /containers/create
 *   engine_api_bench latency PORT TOKEN N
 *       N rounds on one connection, each GET /_ping then GET /v1.41/containers/json?all=1 (the same client,
 *       interleaved); prints the medians, p90 and p99 of each and the ratio of the medians
 *   engine_api_bench load PORT TOKEN CLIENTS REQUESTS PATH
 *       CLIENTS threads, each with its own connection, REQUESTS sequential GETs of PATH; prints errors (any
 *       answer but 200, any I/O failure), p50, p99 and the slowest, and the requests per second
 * Exit status 1 when a request failed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port;
static const char *token;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int dial(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) return -1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
    close(s);
    return -1;
  }
  return s;
}

static bool send_all(int s, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = send(s, data, len, 0);
    if (n <= 0) return false;
    data += n;
    len -= (size_t)n;
  }
  return true;
}

typedef struct conn {
  int s;
  char *buf;
  size_t len, cap;
} conn;

static bool fill(conn *c) {
  if (c->cap - c->len < 65536) {
    c->cap = c->cap * 2 + 65536;
    c->buf = realloc(c->buf, c->cap);
    if (c->buf == NULL) abort();
  }
  ssize_t n = recv(c->s, c->buf + c->len, c->cap - c->len - 1, 0);
  if (n <= 0) return false;
  c->len += (size_t)n;
  c->buf[c->len] = '\0';
  return true;
}

/* One request on c; the status, or -1 on an I/O failure. The whole answer is read (Content-Length or chunked). */
static int request(conn *c, const char *method, const char *path, const char *body) {
  char head[1024];
  int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: docker\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", method, path, token,
                   body != NULL ? strlen(body) : 0);
  if (!send_all(c->s, head, (size_t)n) || (body != NULL && !send_all(c->s, body, strlen(body)))) return -1;
  char *end = NULL;
  while ((end = c->len > 0 ? strstr(c->buf, "\r\n\r\n") : NULL) == NULL) {
    if (!fill(c)) return -1;
  }
  int status = 0;
  if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1) return -1;
  size_t at = (size_t)(end - c->buf) + 4;
  const char *cl = strstr(c->buf, "Content-Length: ");
  size_t consumed = at;
  if (cl != NULL && cl < end) {
    size_t len = strtoul(cl + 16, NULL, 10);
    while (c->len < at + len) {
      if (!fill(c)) return -1;
    }
    consumed = at + len;
  } else if (strstr(c->buf, "Transfer-Encoding: chunked") != NULL) {
    for (;;) {
      char *crlf = NULL;
      while ((crlf = strstr(c->buf + at, "\r\n")) == NULL) {
        if (!fill(c)) return -1;
      }
      size_t chunk = strtoul(c->buf + at, NULL, 16);
      size_t data = (size_t)(crlf - c->buf) + 2;
      while (c->len < data + chunk + 2) {
        if (!fill(c)) return -1;
      }
      at = data + chunk + 2;
      if (chunk == 0) break;
    }
    consumed = at;
  } else if (status != 204 && status != 304) {
    return -1; /* the bench only reads bounded answers */
  }
  memmove(c->buf, c->buf + consumed, c->len - consumed);
  c->len -= consumed;
  c->buf[c->len] = '\0';
  return status;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p) {
  qsort(v, n, sizeof *v, cmp_double);
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i];
}

static int do_create(int n) {
  conn c = {.s = dial()};
  if (c.s < 0) return 1;
  for (int i = 1; i <= n; i++) {
    char path[128];
    snprintf(path, sizeof path, "/v1.41/containers/create?name=bench-%d", i);
    int st = request(&c, "POST", path,
                     "{\"Image\":\"host\",\"Cmd\":[\"cmd\",\"/c\",\"exit 0\"],\"HostConfig\":{\"Isolation\":\"job\"}}");
    if (st != 201) {
      fprintf(stderr, "create %d: status %d\n", i, st);
      return 1;
    }
  }
  close(c.s);
  return 0;
}

static int do_latency(int n) {
  conn c = {.s = dial()};
  if (c.s < 0) return 1;
  double *ping = calloc((size_t)n, sizeof *ping), *list = calloc((size_t)n, sizeof *list);
  for (int i = 0; i < 5; i++) { /* warm-up */
    request(&c, "GET", "/_ping", NULL);
    request(&c, "GET", "/v1.41/containers/json?all=1", NULL);
  }
  for (int i = 0; i < n; i++) {
    double t0 = now_ms();
    if (request(&c, "GET", "/_ping", NULL) != 200) return 1;
    double t1 = now_ms();
    if (request(&c, "GET", "/v1.41/containers/json?all=1", NULL) != 200) return 1;
    double t2 = now_ms();
    ping[i] = t1 - t0;
    list[i] = t2 - t1;
  }
  double p50 = pct(ping, (size_t)n, 0.5), l50 = pct(list, (size_t)n, 0.5);
  printf("ping:  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms\n", p50, pct(ping, (size_t)n, 0.9), pct(ping, (size_t)n, 0.99));
  printf("list:  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms\n", l50, pct(list, (size_t)n, 0.9), pct(list, (size_t)n, 0.99));
  printf("ratio of the medians list/ping: %.2f (target <= 2)\n", l50 / p50);
  close(c.s);
  return 0;
}

typedef struct worker {
  pthread_t t;
  int requests;
  const char *path;
  double *lat;
  int errors;
} worker;

static void *load_main(void *arg) {
  worker *w = arg;
  conn c = {.s = dial()};
  for (int i = 0; i < w->requests; i++) {
    if (c.s < 0) {
      c.s = dial();
      c.len = 0;
    }
    double t0 = now_ms();
    int st = c.s >= 0 ? request(&c, "GET", w->path, NULL) : -1;
    w->lat[i] = now_ms() - t0;
    if (st != 200) {
      w->errors++;
      if (c.s >= 0) close(c.s);
      c.s = -1;
    }
  }
  if (c.s >= 0) close(c.s);
  free(c.buf);
  return NULL;
}

static int do_load(int clients, int requests, const char *path) {
  worker *w = calloc((size_t)clients, sizeof *w);
  double *all = calloc((size_t)clients * (size_t)requests, sizeof *all);
  double t0 = now_ms();
  for (int i = 0; i < clients; i++) {
    w[i] = (worker){.requests = requests, .path = path, .lat = all + (size_t)i * (size_t)requests};
    pthread_create(&w[i].t, NULL, load_main, &w[i]);
  }
  int errors = 0;
  for (int i = 0; i < clients; i++) {
    pthread_join(w[i].t, NULL);
    errors += w[i].errors;
  }
  double took = now_ms() - t0;
  size_t n = (size_t)clients * (size_t)requests;
  printf("load: %d clients x %d requests of %s: %d errors\n", clients, requests, path, errors);
  printf("      p50 %.2f ms  p99 %.2f ms  slowest %.2f ms  %.0f requests/s\n", pct(all, n, 0.5), pct(all, n, 0.99),
         pct(all, n, 1.0), (double)n / (took / 1000.0));
  return errors == 0 ? 0 : 1;
}

/* A positive whole number argument, or exit with usage. */
static int number(const char *text) {
  char *end = NULL;
  long v = strtol(text, &end, 10);
  if (end == NULL || *end != '\0' || v <= 0 || v > 1000000) {
    fprintf(stderr, "engine_api_bench: \"%s\" is not a positive number\n", text);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: engine_api_bench create|latency PORT TOKEN N | load PORT TOKEN CLIENTS REQUESTS PATH\n");
    return 2;
  }
  port = number(argv[2]);
  token = argv[3];
  if (strcmp(argv[1], "create") == 0) return do_create(number(argv[4]));
  if (strcmp(argv[1], "latency") == 0) return do_latency(number(argv[4]));
  if (strcmp(argv[1], "load") == 0 && argc == 7) return do_load(number(argv[4]), number(argv[5]), argv[6]);
  fprintf(stderr, "engine_api_bench: unknown mode %s\n", argv[1]);
  return 2;
}
