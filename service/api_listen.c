/* service/api_listen.c - Engine API listener addresses (contract in service/api_listen.h). Portable. */
#include "service/api_listen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char refusal[] =
    "only a named pipe (npipe:////./pipe/NAME) or a loopback TCP address (tcp://127.0.0.1:PORT, tcp://[::1]:PORT, "
    "tcp://localhost:PORT) can be given: the Engine API has no TLS yet, and whoever reaches it can run containers as "
    "SYSTEM";

/* 127.x.y.z with each part 0..255 in decimal digits; written back canonically into out. */
static bool ipv4_loopback(const char *h, char *out, size_t size) {
  unsigned parts[4];
  const char *p = h;
  for (int i = 0; i < 4; i++) {
    if (*p < '0' || *p > '9') return false;
    unsigned v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) v = v * 10 + (unsigned)(*p++ - '0'), digits++;
    if (v > 255 || digits > 3) return false;
    parts[i] = v;
    if (i < 3 && *p++ != '.') return false;
  }
  if (*p != '\0' || parts[0] != 127) return false;
  snprintf(out, size, "%u.%u.%u.%u", parts[0], parts[1], parts[2], parts[3]);
  return true;
}

wctr_err svc_api_address_parse(const char *text, const char *where, svc_api_address *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  if (text == NULL || strlen(text) >= SVC_API_ADDRESS_MAX) {
    return wctr_fail(e, WCTR_EINVAL, "%s: the address must be 1 to %d characters", where, SVC_API_ADDRESS_MAX - 1);
  }
  if (strncmp(text, "npipe://", 8) == 0) {
    wctr_err err = wctr_pipe_path(text, false, where, out->pipe_path, sizeof out->pipe_path, e);
    if (err != WCTR_OK) return err;
    out->kind = SVC_API_NPIPE;
    /* \\.\pipe\NAME -> npipe:////./pipe/NAME */
    snprintf(out->text, sizeof out->text, "npipe:////./pipe/%s", out->pipe_path + strlen(WCTR_PIPE_PREFIX));
    return WCTR_OK;
  }
  if (strncmp(text, "tcp://", 6) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": %s", where, text, refusal);
  }
  const char *hp = text + 6;
  const char *port_text = NULL;
  char host[64];
  if (hp[0] == '[') {
    const char *close = strchr(hp, ']');
    if (close == NULL || close[1] != ':' || (size_t)(close - hp - 1) >= sizeof host) {
      return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": write an IPv6 address as tcp://[::1]:PORT", where, text);
    }
    memcpy(host, hp + 1, (size_t)(close - hp - 1));
    host[close - hp - 1] = '\0';
    port_text = close + 2;
    out->ipv6 = true;
  } else {
    const char *colon = strrchr(hp, ':');
    if (colon == NULL || (size_t)(colon - hp) >= sizeof host) {
      return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": a TCP address needs a port (tcp://127.0.0.1:PORT)", where, text);
    }
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = '\0';
    port_text = colon + 1;
  }
  char *end = NULL;
  long port = strtol(port_text, &end, 10);
  if (port_text[0] < '0' || port_text[0] > '9' || end == NULL || *end != '\0' || port < 1 || port > 65535) {
    return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": the port must be a number from 1 to 65535", where, text);
  }
  if (out->ipv6) {
    if (strcmp(host, "::1") != 0) return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": %s", where, text, refusal);
    snprintf(out->host, sizeof out->host, "::1");
  } else if (strcmp(host, "localhost") == 0) {
    snprintf(out->host, sizeof out->host, "127.0.0.1");
  } else if (!ipv4_loopback(host, out->host, sizeof out->host)) {
    return wctr_fail(e, WCTR_EINVAL, "%s \"%s\": %s", where, text, refusal);
  }
  out->kind = SVC_API_TCP;
  out->port = (uint16_t)port;
  if (out->ipv6) {
    snprintf(out->text, sizeof out->text, "tcp://[%s]:%ld", out->host, port);
  } else {
    snprintf(out->text, sizeof out->text, "tcp://%s:%ld", out->host, port);
  }
  return WCTR_OK;
}
