/* cli/format.c - Docker's --format for lists and for inspect-like output (portable). */
#include "cli/format.h"

#include "docker/docker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const cli_docker_map_keys[] = {
    "Labels",  "Options",  "Networks", "Ports",      "ExposedPorts", "Volumes", "PortBindings", "Data",
    "DriverOpts", "Sysctls", "StorageOpt", "Tmpfs", "Annotations", "Details", "Attributes", NULL,
};

/* docker/cli's templateString: "table" dropped, spaces trimmed, \t and \n made real. */
static char *list_template_text(const char *given, bool *table) {
  const char *s = given;
  *table = strncmp(s, "table", 5) == 0;
  if (*table) s += 5;
  size_t n = strlen(s);
  while (n > 0 && *s == ' ') {
    s++;
    n--;
  }
  while (n > 0 && s[n - 1] == ' ') n--;
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '\\' && i + 1 < n && (s[i + 1] == 't' || s[i + 1] == 'n')) {
      out[k++] = s[i + 1] == 't' ? '\t' : '\n';
      i++;
    } else {
      out[k++] = s[i];
    }
  }
  out[k] = '\0';
  return out;
}

static wctr_err parse_prefixed(const char *text, size_t len, docker_tpl **out, wctr_errmsg *e) {
  wctr_err err = docker_tpl_parse(text, len, out, e);
  if (err == WCTR_EINVAL) {
    char msg[sizeof e->text];
    snprintf(msg, sizeof msg, "%s", e->text);
    wctr_fail(e, err, "template parsing error: %s", msg);
  }
  return err;
}

wctr_err cli_format_compile(const char *given, const char *default_table, cli_format *out, wctr_errmsg *e) {
  memset(out, 0, sizeof *out);
  if (given == NULL || given[0] == '\0' || strcmp(given, "table") == 0) given = default_table;
  if (strcmp(given, "json") == 0) given = "{{json .}}";
  char *text = list_template_text(given, &out->table);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  wctr_err err = parse_prefixed(text, strlen(text), &out->tpl, e);
  free(text);
  return err;
}

void cli_format_free(cli_format *f) {
  if (f == NULL) return;
  docker_tpl_free(f->tpl);
  f->tpl = NULL;
}

wctr_err cli_format_write(const cli_format *f, const cJSON *header, const docker_tpl_object *rows, size_t n, docker_buf *out,
                          wctr_errmsg *e) {
  docker_buf body;
  docker_buf_init(&body, 0);
  docker_tpl_opts opts = {.map_keys = cli_docker_map_keys};
  wctr_err err = WCTR_OK;
  for (size_t i = 0; i < n && err == WCTR_OK; i++) {
    err = docker_tpl_exec(f->tpl, NULL, &rows[i], &opts, &body, e);
    if (err == WCTR_OK) docker_buf_addc(&body, '\n');
  }
  if (err == WCTR_OK && body.failed) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
  if (err != WCTR_OK) {
    if (err == WCTR_EINVAL) {
      char msg[sizeof e->text];
      snprintf(msg, sizeof msg, "%s", e->text);
      wctr_fail(e, err, "template parsing error: %s", msg);
    }
    docker_buf_free(&body);
    return err;
  }
  if (!f->table) {
    docker_buf_add(out, body.data != NULL ? body.data : "", body.len);
    docker_buf_free(&body);
    return WCTR_OK;
  }
  /* The header: the template over the header names, its errors ignored (docker/cli writes what came out). */
  docker_buf all;
  docker_buf_init(&all, 0);
  docker_tpl_opts head_opts = {.header = true, .map_keys = (const char *const[]){"", NULL}};
  wctr_errmsg ignored;
  cJSON *names = cJSON_Duplicate(header, true);
  if (names != NULL) {
    /* Missing fields in the header are a map's missing keys: <no value>, as docker/cli's header map gives. */
    cJSON *holder = cJSON_CreateObject();
    if (holder != NULL && cJSON_AddItemToObject(holder, "", names)) {
      docker_tpl_exec(f->tpl, cJSON_GetObjectItemCaseSensitive(holder, ""), NULL, &head_opts, &all, &ignored);
    } else {
      cJSON_Delete(names);
    }
    cJSON_Delete(holder);
  }
  docker_buf_addc(&all, '\n');
  docker_buf_add(&all, body.data != NULL ? body.data : "", body.len);
  docker_buf_free(&body);
  if (all.failed) {
    docker_buf_free(&all);
    return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  docker_tabwrite(all.data, all.len, 10, 3, out);
  docker_buf_free(&all);
  return out->failed ? wctr_fail(e, WCTR_ENOMEM, "out of memory") : WCTR_OK;
}

wctr_err cli_format_parse_plain(const char *given, docker_tpl **out, wctr_errmsg *e) {
  if (strcmp(given, "json") == 0) given = "{{json .}}";
  return parse_prefixed(given, strlen(given), out, e);
}

wctr_err cli_format_template(const docker_tpl *t, const cJSON *value, docker_buf *out, wctr_errmsg *e) {
  docker_tpl_opts opts = {.map_keys = cli_docker_map_keys};
  wctr_err err = docker_tpl_exec(t, value, NULL, &opts, out, e);
  if (err == WCTR_EINVAL) {
    char msg[sizeof e->text];
    snprintf(msg, sizeof msg, "%s", e->text);
    wctr_fail(e, err, "template parsing error: %s", msg);
  }
  docker_buf_addc(out, '\n');
  return err;
}

/* ---- inspect ------------------------------------------------------------------------------------------ */

static bool json_form(const char *format) { return format == NULL || format[0] == '\0' || strcmp(format, "json") == 0; }

wctr_err cli_inspect_begin(cli_inspect *in, const char *format, wctr_errmsg *e) {
  memset(in, 0, sizeof *in);
  in->format = format;
  docker_buf_init(&in->text, 0);
  if (json_form(format)) {
    in->all = cJSON_CreateArray();
    return in->all != NULL ? WCTR_OK : wctr_fail(e, WCTR_ENOMEM, "out of memory");
  }
  return parse_prefixed(format, strlen(format), &in->tpl, e);
}

wctr_err cli_inspect_add(cli_inspect *in, const cJSON *element, wctr_errmsg *e) {
  if (in->all != NULL) {
    cJSON *copy = cJSON_Duplicate(element, true);
    if (copy == NULL || !cJSON_AddItemToArray(in->all, copy)) {
      cJSON_Delete(copy);
      return wctr_fail(e, WCTR_ENOMEM, "out of memory");
    }
    return WCTR_OK;
  }
  docker_buf one;
  docker_buf_init(&one, 0);
  wctr_err err = cli_format_template(in->tpl, element, &one, e);
  if (err == WCTR_OK) docker_buf_add(&in->text, one.data != NULL ? one.data : "", one.len);
  docker_buf_free(&one);
  return err;
}

void cli_inspect_finish(cli_inspect *in, docker_buf *out) {
  if (in->all != NULL) {
    bool indent = in->format == NULL || in->format[0] == '\0';
    docker_json_write(out, in->all, indent ? "    " : NULL, !in->plain);
    docker_buf_addc(out, '\n');
  } else if (in->text.len == 0) {
    docker_buf_addc(out, '\n');
  } else {
    docker_buf_add(out, in->text.data, in->text.len);
  }
  cJSON_Delete(in->all);
  docker_tpl_free(in->tpl);
  docker_buf_free(&in->text);
  memset(in, 0, sizeof *in);
}

/* ---- pieces ---------------------------------------------------------------------------------------------- */

static int cmp_text(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char *cli_format_labels(const cJSON *labels) {
  size_t n = (size_t)cJSON_GetArraySize(labels);
  docker_buf b;
  docker_buf_init(&b, 0);
  char **pairs = calloc(n > 0 ? n : 1, sizeof *pairs);
  size_t k = 0;
  const cJSON *l;
  cJSON_ArrayForEach(l, labels) {
    if (pairs == NULL || k >= n) break;
    docker_buf one;
    docker_buf_init(&one, 0);
    docker_buf_adds(&one, l->string != NULL ? l->string : "");
    docker_buf_addc(&one, '=');
    docker_buf_adds(&one, cJSON_IsString(l) ? l->valuestring : "");
    pairs[k++] = docker_buf_take(&one);
  }
  bool ok = pairs != NULL;
  for (size_t i = 0; ok && i < k; i++) ok = pairs[i] != NULL;
  if (ok) {
    qsort(pairs, k, sizeof *pairs, cmp_text);
    for (size_t i = 0; i < k; i++) {
      if (i > 0) docker_buf_addc(&b, ',');
      docker_buf_adds(&b, pairs[i]);
    }
  }
  for (size_t i = 0; pairs != NULL && i < k; i++) free(pairs[i]);
  free(pairs);
  if (!ok) b.failed = true;
  return docker_buf_take(&b);
}

static cJSON *label_call(const void *self, const char *const *args) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive((const cJSON *)self, args[0]);
  return cJSON_CreateString(cJSON_IsString(v) ? v->valuestring : "");
}

const docker_tpl_method cli_label_method = {"Label", 1, label_call};

void cli_human_duration(int64_t s, char *out, size_t size) { docker_human_duration(s, out, size); }

void cli_human_ago(int64_t seconds, char *out, size_t size) {
  char span[64];
  cli_human_duration(seconds, span, sizeof span);
  snprintf(out, size, "%s ago", span);
}

void cli_human_size(double bytes, char *out, size_t size) {
  static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};
  size_t i = 0;
  while (bytes >= 1000.0 && i + 1 < sizeof units / sizeof units[0]) {
    bytes /= 1000.0;
    i++;
  }
  snprintf(out, size, "%.3g%s", bytes, units[i]);
}

void cli_ellipsis(const char *s, size_t width, docker_buf *out) {
  size_t n = strlen(s);
  if (width == 0) return;
  if (docker_text_width(s, n) <= width) {
    docker_buf_add(out, s, n);
    return;
  }
  size_t used = 0;
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = docker_utf8_decode(s + i, n - i, &cp);
    size_t w = (size_t)docker_rune_width(cp);
    if (used + w > width - 1) break;
    docker_buf_add(out, s + i, len);
    used += w;
    i += len;
  }
  docker_buf_adds(out, "\xE2\x80\xA6");
}
