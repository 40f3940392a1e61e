/* stall PIPE CHATTER.EXE SLEEPER.EXE [N]: the client-isolation benchmark of BENCHMARKS.md. Measures `version`
 * round trips (a connection each, as `wctr version` makes) while the service is idle, then again while, all
 * at once:
 *   - an `events` client never reads;
 *   - a `logs -f` client of a container that writes a line every 20 ms never reads;
 *   - 300 `container.wait` requests are sent and their clients leave without waiting;
 *   - 4 stops with a 10 s timeout are in flight (on containers that ignore the stop signal);
 * and checks that the chatty container's log keeps growing meanwhile; then idle again once those clients
 * have left. Prints the medians and 99th percentiles (microseconds), the ratio of the loaded p99 to the
 * first idle p99, how long after the stops were sent the loaded calls ended (under 10 s: the stops were
 * still in flight), and wctrd's threads while loaded; exits 1 when a request fails or the log stalled. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>

#include <cjson/cJSON.h>

#include "cli/client.h"
#include "common/base64.h"
#include "common/proto.h"

enum { T = 30000, WAITS = 300, STOPS = 4 };

static const char *pipe_path;

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t now_us(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (uint64_t)(c.QuadPart * 1000000 / f.QuadPart);
}

static cJSON *call(const char *op, cJSON *params) {
  cli_client *c = NULL;
  wctr_errmsg e;
  cJSON *result = NULL;
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK || cli_client_call(c, op, params, &result, T, &e) != WCTR_OK) {
    fprintf(stderr, "stall: %s: %s\n", op, e.text);
    exit(1);
  }
  cli_client_close(c);
  return result;
}

/* Sends a request on a connection of its own and returns the connection without reading anything. */
static cli_client *send_only(const char *op, cJSON *params) {
  cli_client *c = NULL;
  wctr_errmsg e;
  static int64_t id = 1;
  size_t len = 0;
  char *msg = wctr_request_format(id++, op, params, &len);
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK || cli_client_send(c, msg, len, T, &e) != WCTR_OK) {
    fprintf(stderr, "stall: %s: %s\n", op, e.text);
    exit(1);
  }
  cJSON_free(msg);
  return c;
}

static void measure(int n, uint64_t *p50, uint64_t *p99) {
  uint64_t *t = calloc((size_t)n, sizeof *t);
  for (int i = 0; i < n; i++) {
    uint64_t t0 = now_us();
    cJSON_Delete(call("version", NULL));
    t[i] = now_us() - t0;
  }
  qsort(t, (size_t)n, sizeof *t, cmp_u64);
  *p50 = t[n / 2];
  *p99 = t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
  free(t);
}

static char *run_container(const char *name, const char *exe, const char *arg1, const char *arg2) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Name", name);
  cJSON_AddStringToObject(p, "Image", "host");
  cJSON *cmd = cJSON_AddArrayToObject(p, "Cmd");
  cJSON_AddItemToArray(cmd, cJSON_CreateString(exe));
  if (arg1 != NULL) cJSON_AddItemToArray(cmd, cJSON_CreateString(arg1));
  if (arg2 != NULL) cJSON_AddItemToArray(cmd, cJSON_CreateString(arg2));
  cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "HostConfig"), "Isolation", "job");
  cJSON *r = call("container.create", p);
  char *id = _strdup(cJSON_GetObjectItem(r, "Id")->valuestring);
  cJSON_Delete(r);
  cJSON *s = cJSON_CreateObject();
  cJSON_AddStringToObject(s, "Id", id);
  cJSON_Delete(call("container.start", s));
  return id;
}

/* The number of lines in the container's log (logs, all of it, counted from the frames). An output frame
 * carries text as "data", or any bytes as "data64" (handed over as {"data64": base64}: cli/client.h). */
static void on_frame(void *arg, const char *kind, const cJSON *data) {
  size_t *lines = arg;
  if (strcmp(kind, "stdout") != 0 && strcmp(kind, "stderr") != 0) return;
  const cJSON *b64 = cJSON_GetObjectItemCaseSensitive(data, "data64");
  const char *bytes = NULL;
  size_t len = 0;
  uint8_t *decoded = NULL;
  wctr_errmsg e;
  if (cJSON_IsString(data)) {
    bytes = data->valuestring;
    len = strlen(bytes);
  } else if (cJSON_IsString(b64) &&
             wctr_base64_decode(b64->valuestring, strlen(b64->valuestring), &decoded, &len, "data64", &e) == WCTR_OK) {
    bytes = (const char *)decoded;
  }
  for (size_t i = 0; i < len; i++) {
    if (bytes[i] == '\n') (*lines)++;
  }
  free(decoded);
}

/* wctrd's threads: the server process of the pipe (a connection that sends nothing), counted by a
 * Toolhelp snapshot. 0 when it cannot be found. */
static unsigned server_threads(void) {
  wchar_t wpath[256];
  if (MultiByteToWideChar(CP_UTF8, 0, pipe_path, -1, wpath, 256) == 0) return 0;
  HANDLE h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  ULONG pid = 0;
  if (h == INVALID_HANDLE_VALUE) return 0;
  BOOL got = GetNamedPipeServerProcessId(h, &pid);
  CloseHandle(h);
  if (!got) return 0;
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  THREADENTRY32 te = {.dwSize = sizeof te};
  unsigned n = 0;
  for (BOOL more = Thread32First(snap, &te); more; more = Thread32Next(snap, &te)) {
    if (te.th32OwnerProcessID == pid) n++;
  }
  CloseHandle(snap);
  return n;
}

static size_t log_lines(const char *id) {
  cli_client *c = NULL;
  wctr_errmsg e;
  size_t lines = 0;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Id", id);
  cJSON *result = NULL;
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK ||
      cli_client_stream(c, "container.logs", p, false, on_frame, &lines, &result, &e) != WCTR_OK) {
    fprintf(stderr, "stall: logs: %s\n", e.text);
    exit(1);
  }
  cJSON_Delete(result);
  cli_client_close(c);
  return lines;
}

static void remove_container(const char *id) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Id", id);
  cJSON_AddBoolToObject(p, "Force", true);
  cJSON_Delete(call("container.remove", p));
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: stall PIPE CHATTER.EXE SLEEPER.EXE [N]\n");
    return 2;
  }
  pipe_path = argv[1];
  int n = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 200;
  if (n < 1) n = 1;
  uint64_t idle50, idle99, busy50, busy99;
  measure(20, &idle50, &idle99); /* warm-up */
  measure(n, &idle50, &idle99);

  char *chatter = run_container("bench-chatter", argv[2], "20", NULL);
  char *stubborn[STOPS];
  for (int i = 0; i < STOPS; i++) {
    char name[32];
    snprintf(name, sizeof name, "bench-stubborn-%d", i);
    stubborn[i] = run_container(name, argv[3], "3600", "--ignore-ctrl");
  }
  cli_client *events = send_only("events", NULL);
  cJSON *lp = cJSON_CreateObject();
  cJSON_AddStringToObject(lp, "Id", chatter);
  cJSON_AddBoolToObject(lp, "Follow", true);
  cli_client *follower = send_only("container.logs", lp);
  for (int i = 0; i < WAITS; i++) {
    cJSON *wp = cJSON_CreateObject();
    cJSON_AddStringToObject(wp, "Id", chatter);
    cli_client_close(send_only("container.wait", wp)); /* the client leaves at once */
  }
  cli_client *stops[STOPS];
  for (int i = 0; i < STOPS; i++) {
    cJSON *sp = cJSON_CreateObject();
    cJSON_AddStringToObject(sp, "Id", stubborn[i]);
    cJSON_AddNumberToObject(sp, "Timeout", 10);
    stops[i] = send_only("container.stop", sp);
  }
  uint64_t stops_sent = now_us();
  Sleep(500);
  size_t before = log_lines(chatter);
  measure(n, &busy50, &busy99);
  uint64_t loaded_end = now_us();
  unsigned threads = server_threads();
  Sleep(1000);
  size_t after = log_lines(chatter);

  printf("version idle:   p50 %llu us, p99 %llu us (%d calls)\n", (unsigned long long)idle50, (unsigned long long)idle99, n);
  printf("version loaded: p50 %llu us, p99 %llu us (%d calls)\n", (unsigned long long)busy50, (unsigned long long)busy99, n);
  printf("ratio p99 loaded/idle: %.2f (target <= 2)\n", (double)busy99 / (double)idle99);
  printf("loaded calls ended %.1f s after the stops of 10 s were sent\n", (double)(loaded_end - stops_sent) / 1e6);
  printf("chatter log lines: %zu then %zu, 1 s later (%s)\n", before, after, after > before ? "still flowing" : "STALLED");
  printf("wctrd threads while loaded: %u\n", threads);
  fflush(stdout);

  cli_client_close(events);
  cli_client_close(follower);
  for (int i = 0; i < STOPS; i++) cli_client_close(stops[i]);
  remove_container(chatter);
  for (int i = 0; i < STOPS; i++) remove_container(stubborn[i]);
  uint64_t again50, again99;
  measure(n, &again50, &again99);
  printf("version idle again: p50 %llu us, p99 %llu us (%d calls)\n", (unsigned long long)again50,
         (unsigned long long)again99, n);
  return after > before ? 0 : 1;
}
