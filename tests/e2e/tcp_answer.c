/* tcp_answer PORT TEXT: a container payload that serves a published port - listens on 0.0.0.0:PORT and
 * answers every connection with TEXT and a newline, then closes it; runs until it is killed. The Windows
 * workflow runs it in a process-isolated container with -p and connects to the host's published port. */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: tcp_answer PORT TEXT\n");
    return 2;
  }
  unsigned long port = strtoul(argv[1], NULL, 10);
  WSADATA wsa;
  if (port == 0 || port > 65535 || WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
    fprintf(stderr, "tcp_answer: bad port or no Winsock\n");
    return 2;
  }
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((u_short)port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (s == INVALID_SOCKET || bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 16) != 0) {
    fprintf(stderr, "tcp_answer: cannot listen on port %lu: error %d\n", port, WSAGetLastError());
    return 1;
  }
  printf("listening on %lu\n", port);
  fflush(stdout);
  size_t len = strlen(argv[2]);
  for (;;) {
    SOCKET c = accept(s, NULL, NULL);
    if (c == INVALID_SOCKET) continue;
    send(c, argv[2], (int)len, 0);
    send(c, "\n", 1, 0);
    shutdown(c, SD_SEND);
    closesocket(c);
  }
}
