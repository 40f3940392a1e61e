/* cli/detach.c - Docker's detach keys (cli/cli_internal.h): their flag's syntax, and the scan of the input
 * that a stream forwards for them. Portable. */
#include <stdio.h>
#include <string.h>

#include "cli/cli_internal.h"

wctr_err cli_detach_keys_parse(const char *text, cli_detach *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  const char *p = text;
  while (*p != '\0') {
    const char *comma = strchr(p, ',');
    size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
    unsigned char key = 0;
    bool ok = true;
    if (n == 1) {
      key = (unsigned char)p[0];
    } else if (n == 6 && strncmp(p, "ctrl-", 5) == 0) {
      /* docker's term.ToBytes: ctrl- with a letter, @, [, \, ], ^ or _ */
      char c = p[5];
      if (c >= 'a' && c <= 'z') key = (unsigned char)(c - 'a' + 1);
      else if (c == '@') key = 0;
      else if (c >= '[' && c <= '_') key = (unsigned char)(c - '[' + 27);
      else ok = false;
    } else {
      ok = false;
    }
    if (!ok || out->len == sizeof out->keys) {
      return wctr_fail(e, WCTR_EINVAL, "Invalid detach keys (%.100s) provided", text);
    }
    out->keys[out->len++] = key;
    p += n;
    if (*p == ',') p++;
  }
  if (out->len == 0) return wctr_fail(e, WCTR_EINVAL, "Invalid detach keys (%.100s) provided", text);
  return WCTR_OK;
}

bool cli_detach_scan(cli_detach *d, const char *in, size_t n, char *out, size_t *out_len) {
  size_t w = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)in[i];
    if (d->len > 0 && c == d->keys[d->matched]) {
      d->matched++;
      if (d->matched == d->len) {
        *out_len = w;
        return true;
      }
      continue;
    }
    /* The sequence broke: what was held back goes on, and this byte may begin a new one. */
    for (size_t k = 0; k < d->matched; k++) out[w++] = (char)d->keys[k];
    d->matched = 0;
    if (d->len > 0 && c == d->keys[0]) {
      d->matched = 1;
      if (d->len == 1) {
        *out_len = w;
        return true;
      }
      continue;
    }
    out[w++] = (char)c;
  }
  *out_len = w;
  return false;
}
