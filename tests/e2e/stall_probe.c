/* stall_probe PIPE CHATTY STOP_TIMEOUT EVENTS IDLE STUBBORN...: the misbehaving clients of the client
 * isolation test (tests/e2e/client_isolation.sh), held open while the script checks that everybody else is
 * still served. Against a running wctrd, in this order:
 *   - an `events` subscriber that never reads;
 *   - a `logs -f` of the container CHATTY that never reads (its pipe fills while the rest is set up);
 *   - IDLE connections that make one `version` call each and then stay open, doing nothing;
 *   - EVENTS containers created and removed (two events each), so that the subscriber's pipe fills while
 *     events keep coming;
 *   - 300 `container.wait` requests on CHATTY whose clients leave at once without an answer;
 *   - last, a `container.stop` with a timeout of STOP_TIMEOUT seconds on each STUBBORN container (they
 *     ignore the stop signal, so each stop takes that long), whose clients wait without reading.
 * Then it prints "ready pid=P cpus=N" (P: wctrd's process id, from the pipe; N: this machine's CPUs as
 * Windows reports them) and answers each line on stdin: "threads" -> "threads=T" (wctrd's threads now).
 * At the end of stdin it closes every connection and exits 0; any failure to set the clients up prints
 * "error: ..." and exits 1. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tlhelp32.h>

#include <cjson/cJSON.h>

#include "cli/client.h"
#include "common/proto.h"

enum { T = 30000, WAITS = 300, MAX_STOPS = 16 };

static const char *pipe_path;
static int64_t next_id = 1;

static void fail(const char *what, const char *detail) {
  printf("error: %s: %s\n", what, detail);
  fflush(stdout);
  exit(1);
}

static cli_client *open_client(const char *what) {
  cli_client *c = NULL;
  wctr_errmsg e;
  if (cli_client_open(pipe_path, T, &c, &e) != WCTR_OK) fail(what, e.text);
  return c;
}

/* One call on a connection of its own, which is closed after it. */
static cJSON *call(const char *op, cJSON *params) {
  cli_client *c = open_client(op);
  wctr_errmsg e;
  cJSON *result = NULL;
  if (cli_client_call(c, op, params, &result, T, &e) != WCTR_OK) fail(op, e.text);
  cli_client_close(c);
  return result;
}

/* Sends a request on a connection of its own and returns it without reading anything. */
static cli_client *send_only(const char *op, cJSON *params) {
  cli_client *c = open_client(op);
  wctr_errmsg e;
  size_t len = 0;
  char *msg = wctr_request_format(next_id++, op, params, &len);
  if (msg == NULL || cli_client_send(c, msg, len, T, &e) != WCTR_OK) fail(op, msg == NULL ? "out of memory" : e.text);
  cJSON_free(msg);
  return c;
}

static cJSON *id_params(const char *id) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Id", id);
  return p;
}

/* wctrd's process id, from a connection that sends nothing. */
static DWORD server_pid(void) {
  wchar_t wpath[256];
  if (MultiByteToWideChar(CP_UTF8, 0, pipe_path, -1, wpath, 256) == 0) fail("pipe", "not a valid name");
  HANDLE h = CreateFileW(wpath, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  if (h == INVALID_HANDLE_VALUE) fail("pipe", "cannot connect");
  ULONG pid = 0;
  BOOL got = GetNamedPipeServerProcessId(h, &pid);
  CloseHandle(h);
  if (!got) fail("pipe", "GetNamedPipeServerProcessId failed");
  return pid;
}

static unsigned count_threads(DWORD pid) {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
  THREADENTRY32 te = {.dwSize = sizeof te};
  unsigned n = 0;
  for (BOOL more = Thread32First(snap, &te); more; more = Thread32Next(snap, &te)) {
    if (te.th32OwnerProcessID == pid) n++;
  }
  CloseHandle(snap);
  return n;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: stall_probe PIPE CHATTY STOP_TIMEOUT EVENTS IDLE STUBBORN...\n");
    return 2;
  }
  pipe_path = argv[1];
  const char *chatty = argv[2];
  long stop_timeout = strtol(argv[3], NULL, 10);
  long events = strtol(argv[4], NULL, 10);
  long idle = strtol(argv[5], NULL, 10);
  int stops = argc - 6;
  if (stops > MAX_STOPS || stop_timeout < 1 || events < 0 || idle < 0) {
    fprintf(stderr, "stall_probe: at most %d stops, a timeout of 1 s or more, EVENTS and IDLE >= 0\n", MAX_STOPS);
    return 2;
  }
  DWORD pid = server_pid();

  cli_client *subscriber = send_only("events", NULL);

  cJSON *lp = id_params(chatty);
  cJSON_AddBoolToObject(lp, "Follow", true);
  cli_client *follower = send_only("container.logs", lp);

  cli_client **idlers = calloc(idle > 0 ? (size_t)idle : 1, sizeof *idlers);
  if (idlers == NULL) fail("idle connections", "out of memory");
  for (long i = 0; i < idle; i++) {
    wctr_errmsg e;
    cJSON *result = NULL;
    idlers[i] = open_client("an idle connection");
    if (cli_client_call(idlers[i], "version", NULL, &result, T, &e) != WCTR_OK) fail("an idle connection's version", e.text);
    cJSON_Delete(result);
  }

  for (long i = 0; i < events; i++) {
    cJSON *p = cJSON_CreateObject();
    char name[64];
    snprintf(name, sizeof name, "stall-probe-event-%ld", i);
    cJSON_AddStringToObject(p, "Name", name);
    cJSON_AddStringToObject(p, "Image", "host");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "Cmd"), cJSON_CreateString("cmd"));
    cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "HostConfig"), "Isolation", "job");
    cJSON_Delete(call("container.create", p));
    cJSON_Delete(call("container.remove", id_params(name)));
  }

  for (int i = 0; i < WAITS; i++) cli_client_close(send_only("container.wait", id_params(chatty)));

  cli_client *stoppers[MAX_STOPS];
  for (int i = 0; i < stops; i++) {
    cJSON *sp = id_params(argv[6 + i]);
    cJSON_AddNumberToObject(sp, "Timeout", (double)stop_timeout);
    stoppers[i] = send_only("container.stop", sp);
  }

  SYSTEM_INFO si;
  GetSystemInfo(&si);
  printf("ready pid=%lu cpus=%lu\n", (unsigned long)pid, (unsigned long)si.dwNumberOfProcessors);
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    if (strncmp(line, "threads", 7) == 0) printf("threads=%u\n", count_threads(pid));
    fflush(stdout);
  }

  for (long i = 0; i < idle; i++) cli_client_close(idlers[i]);
  free(idlers);
  for (int i = 0; i < stops; i++) cli_client_close(stoppers[i]);
  cli_client_close(follower);
  cli_client_close(subscriber);
  return 0;
}
