/* bench/http_probe.c - where a pull's time goes under Wine (scripts/bench-pull, BENCHMARKS.md): one blob read
 * three ways in the same Wine session.
 *   http_probe winhttp URL            GET URL through wctrd's own transport (images/http_win.c), bytes dropped
 *   http_probe winsock PORT PATH      GET http://127.0.0.1:PORT/PATH with plain Winsock, recv() of 1 MiB
 *   http_probe sha256 MIB             SHA-256 (images/digest.h: BCrypt) over MIB MiB in memory
 * Prints "<what>: <bytes> bytes in <ms> ms (<MB/s> MB/s)". */
#include <winsock2.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "images/digest.h"
#include "images/http.h"

static bool drop(void *arg, const void *data, size_t len) {
  (void)data;
  *(size_t *)arg += len;
  return true;
}

static void report(const char *what, size_t bytes, ULONGLONG ms) {
  printf("%s: %zu bytes in %llu ms (%.1f MB/s)\n", what, bytes, ms, (double)bytes / 1e3 / (double)(ms > 0 ? ms : 1));
}

static int by_winhttp(const char *url) {
  img_http *h = NULL;
  wctr_errmsg e;
  if (img_http_open("wctr-bench", &h, &e) != WCTR_OK) {
    fprintf(stderr, "%s\n", e.text);
    return 1;
  }
  img_transport t = img_http_transport(h);
  img_http_request req = {.method = "GET", .url = url};
  img_http_response resp;
  size_t bytes = 0;
  ULONGLONG t0 = GetTickCount64();
  wctr_err err = t.send(t.ctx, &req, &resp, drop, &bytes, &e);
  ULONGLONG t1 = GetTickCount64();
  img_http_close(h);
  if (err != WCTR_OK || resp.status != 200) {
    fprintf(stderr, "GET %s: %s (status %d)\n", url, err != WCTR_OK ? e.text : "", resp.status);
    return 1;
  }
  report("winhttp", bytes, t1 - t0);
  return 0;
}

static int by_winsock(int port, const char *path) {
  WSADATA w;
  if (WSAStartup(MAKEWORD(2, 2), &w) != 0) return 1;
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((u_short)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s == INVALID_SOCKET || connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
    fprintf(stderr, "connect to port %d failed (%d)\n", port, WSAGetLastError());
    return 1;
  }
  char req[1200];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
  send(s, req, n, 0);
  enum { BUF = 1 << 20 };
  char *buf = malloc(BUF);
  size_t bytes = 0;
  ULONGLONG t0 = GetTickCount64();
  int got;
  while (buf != NULL && (got = recv(s, buf, BUF, 0)) > 0) bytes += (size_t)got;
  ULONGLONG t1 = GetTickCount64();
  free(buf);
  closesocket(s);
  WSACleanup();
  report("winsock", bytes, t1 - t0);
  return 0;
}

static int by_sha256(int mib) {
  size_t len = (size_t)mib << 20;
  char *data = malloc(len);
  img_hash *h = NULL;
  if (data == NULL || img_hash_new(&h) != WCTR_OK) return 1;
  for (size_t i = 0; i < len; i++) data[i] = (char)(i * 2654435761u >> 24);
  ULONGLONG t0 = GetTickCount64();
  for (size_t off = 0; off < len; off += 1 << 20) img_hash_update(h, data + off, 1 << 20);
  char d[IMG_DIGEST_MAX];
  img_hash_final(h, d);
  ULONGLONG t1 = GetTickCount64();
  img_hash_free(h);
  free(data);
  report("sha256", len, t1 - t0);
  return 0;
}

int wmain(int argc, wchar_t **argv) {
  char a1[1024] = "", a2[1024] = "";
  if (argc > 2) snprintf(a1, sizeof a1, "%ls", argv[2]);
  if (argc > 3) snprintf(a2, sizeof a2, "%ls", argv[3]);
  if (argc == 3 && wcscmp(argv[1], L"winhttp") == 0) return by_winhttp(a1);
  if (argc == 4 && wcscmp(argv[1], L"winsock") == 0) return by_winsock((int)strtol(a1, NULL, 10), a2);
  if (argc == 3 && wcscmp(argv[1], L"sha256") == 0) return by_sha256((int)strtol(a1, NULL, 10));
  fputs("usage: http_probe winhttp URL | winsock PORT PATH | sha256 MIB\n", stderr);
  return 2;
}
