/* common/opts.c - Docker-style option parsing (portable). */
#include "common/opts.h"

#include <stdio.h>
#include <string.h>

void wctr_opts_init(wctr_opts *st, int argc, char **argv, int first) {
  st->argc = argc;
  st->argv = argv;
  st->index = first;
  st->bundle = NULL;
}

static const wctr_opt *find_long(const wctr_opt *table, const char *name, size_t len) {
  for (const wctr_opt *o = table; o->long_name != NULL; o++) {
    if (strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0) return o;
  }
  return NULL;
}

static const wctr_opt *find_short(const wctr_opt *table, char c) {
  for (const wctr_opt *o = table; o->long_name != NULL; o++) {
    if (o->short_name != 0 && o->short_name == c) return o;
  }
  return NULL;
}

/* The value of an option that takes one: the rest of the argument, or the next argument. */
static int take_value(wctr_opts *st, const char *inline_value, const char *shown, const char **value,
                      wctr_errmsg *e) {
  if (inline_value != NULL) {
    *value = inline_value;
    return 1;
  }
  if (st->index >= st->argc) {
    wctr_fail(e, WCTR_EINVAL, "flag needs an argument: %s", shown);
    return -1;
  }
  *value = st->argv[st->index++];
  return 1;
}

static int next_in_bundle(wctr_opts *st, const wctr_opt *table, int *id, const char **value,
                          wctr_errmsg *e) {
  char c = *st->bundle++;
  char shown[3] = {'-', c, '\0'};
  const wctr_opt *o = find_short(table, c);
  if (o == NULL) {
    st->bundle = NULL;
    wctr_fail(e, WCTR_EINVAL, "unknown shorthand flag: '%c' in -%c", c, c);
    return -1;
  }
  *id = o->id;
  if (!o->takes_value) {
    if (*st->bundle == '\0') st->bundle = NULL;
    return 1;
  }
  /* -m500m: the rest of the bundle is the value. */
  const char *inline_value = *st->bundle != '\0' ? st->bundle : NULL;
  st->bundle = NULL;
  return take_value(st, inline_value, shown, value, e);
}

int wctr_opts_next(wctr_opts *st, const wctr_opt *table, int *id, const char **value, wctr_errmsg *e) {
  *value = NULL;
  if (st->bundle != NULL) return next_in_bundle(st, table, id, value, e);
  if (st->index >= st->argc) return 0;
  const char *arg = st->argv[st->index];
  if (strcmp(arg, "--") == 0) {
    st->index++;
    return 0;
  }
  if (arg[0] != '-' || arg[1] == '\0') return 0; /* a positional argument ("-" alone means stdin) */
  st->index++;
  if (arg[1] != '-') {
    st->bundle = arg + 1;
    return next_in_bundle(st, table, id, value, e);
  }
  const char *name = arg + 2;
  const char *eq = strchr(name, '=');
  size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
  const wctr_opt *o = find_long(table, name, len);
  if (o == NULL) {
    wctr_fail(e, WCTR_EINVAL, "unknown flag: --%.*s", (int)len, name);
    return -1;
  }
  *id = o->id;
  if (!o->takes_value) {
    if (eq != NULL) {
      wctr_fail(e, WCTR_EINVAL, "flag --%s does not take a value", o->long_name);
      return -1;
    }
    return 1;
  }
  char shown[80];
  snprintf(shown, sizeof shown, "--%s", o->long_name);
  return take_value(st, eq != NULL ? eq + 1 : NULL, shown, value, e);
}
