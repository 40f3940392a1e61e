/* common/cmdline.c - Windows command-line quoting (portable). */
#include "common/cmdline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool put(wctr_cmdline *cl, char c) {
  if (cl->len + 2 > cl->cap) {
    size_t cap = cl->cap == 0 ? 128 : cl->cap * 2;
    char *grown = realloc(cl->text, cap);
    if (grown == NULL) return false;
    cl->text = grown;
    cl->cap = cap;
  }
  cl->text[cl->len++] = c;
  cl->text[cl->len] = '\0';
  return true;
}

static bool put_backslashes(wctr_cmdline *cl, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!put(cl, '\\')) return false;
  }
  return true;
}

wctr_err wctr_cmdline_append(wctr_cmdline *cl, const char *arg) {
  bool ok = true;
  if (cl->len > 0) ok = put(cl, ' ');
  bool plain = arg[0] != '\0' && strpbrk(arg, " \t\n\v\"") == NULL;
  if (plain) {
    for (const char *p = arg; *p != '\0' && ok; p++) ok = put(cl, *p);
    return ok ? WCTR_OK : WCTR_ENOMEM;
  }
  ok = ok && put(cl, '"');
  size_t slashes = 0;
  for (const char *p = arg; *p != '\0' && ok; p++) {
    if (*p == '\\') {
      slashes++;
      continue;
    }
    if (*p == '"') {
      /* 2n backslashes + \" give n backslashes and a literal quote. */
      ok = put_backslashes(cl, slashes * 2 + 1) && put(cl, '"');
    } else {
      ok = put_backslashes(cl, slashes) && put(cl, *p);
    }
    slashes = 0;
  }
  /* Backslashes before the closing quote are doubled so the quote still closes. */
  ok = ok && put_backslashes(cl, slashes * 2) && put(cl, '"');
  return ok ? WCTR_OK : WCTR_ENOMEM;
}

void wctr_cmdline_free(wctr_cmdline *cl) {
  if (cl == NULL) return;
  free(cl->text);
  memset(cl, 0, sizeof *cl);
}
