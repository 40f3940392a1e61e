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

bool wctr_opts_flag(const char *value) { return value != NULL && strcmp(value, "true") == 0; }

wctr_err wctr_parse_go_bool(const char *text, bool *out) {
  static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True", NULL};
  static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False", NULL};
  for (size_t i = 0; yes[i] != NULL; i++) {
    if (strcmp(text, yes[i]) == 0) {
      *out = true;
      return WCTR_OK;
    }
    if (strcmp(text, no[i]) == 0) {
      *out = false;
      return WCTR_OK;
    }
  }
  return WCTR_EINVAL;
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

/* text as Go's %q shows it, cut to fit: the refused value is echoed back quoted, as docker/cli does. */
static void go_quote(const char *text, char *out, size_t size) {
  size_t n = 0;
  if (size < 3) {
    if (size > 0) out[0] = '\0';
    return;
  }
  out[n++] = '"';
  for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && n + 6 < size; p++) {
    if (*p == '"' || *p == '\\') {
      out[n++] = '\\';
      out[n++] = (char)*p;
    } else if (*p < 0x20 || *p == 0x7f) {
      n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
    } else {
      out[n++] = (char)*p;
    }
  }
  out[n++] = '"';
  out[n] = '\0';
}

/* pflag names a flag with its shorthand when it has one, however it was written: "-d, --detach". */
static void flag_name(const wctr_opt *o, char *out, size_t size) {
  if (o->short_name != 0) {
    snprintf(out, size, "-%c, --%s", o->short_name, o->long_name);
  } else {
    snprintf(out, size, "--%s", o->long_name);
  }
}

/* A boolean flag: true alone, or the value written after '='. */
static int bool_value(const wctr_opt *o, const char *inline_value, const char **value, wctr_errmsg *e) {
  bool on = true;
  if (inline_value != NULL && wctr_parse_go_bool(inline_value, &on) != WCTR_OK) {
    char quoted[160];
    char name[96];
    go_quote(inline_value, quoted, sizeof quoted);
    flag_name(o, name, sizeof name);
    wctr_fail(e, WCTR_EINVAL, "invalid argument %s for \"%s\" flag: strconv.ParseBool: parsing %s: invalid syntax",
              quoted, name, quoted);
    return -1;
  }
  *value = on ? "true" : "false";
  return 1;
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
  const char *rest = st->bundle;
  char c = *st->bundle++;
  char shown[3] = {'-', c, '\0'};
  const wctr_opt *o = find_short(table, c);
  if (o == NULL) {
    st->bundle = NULL;
    wctr_fail(e, WCTR_EINVAL, "unknown shorthand flag: '%c' in -%s", c, rest);
    return -1;
  }
  *id = o->id;
  /* -d=false, -m=500m: pflag reads '=' and at least one more character as the value. */
  const char *after_eq = (st->bundle[0] == '=' && st->bundle[1] != '\0') ? st->bundle + 1 : NULL;
  if (!o->takes_value) {
    if (after_eq != NULL) {
      st->bundle = NULL;
      return bool_value(o, after_eq, value, e);
    }
    if (*st->bundle == '\0') st->bundle = NULL;
    return bool_value(o, NULL, value, e);
  }
  /* -m500m: the rest of the bundle is the value. */
  const char *inline_value = after_eq != NULL ? after_eq : (*st->bundle != '\0' ? st->bundle : NULL);
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
  if (!o->takes_value) return bool_value(o, eq != NULL ? eq + 1 : NULL, value, e);
  char shown[80];
  snprintf(shown, sizeof shown, "--%s", o->long_name);
  return take_value(st, eq != NULL ? eq + 1 : NULL, shown, value, e);
}
