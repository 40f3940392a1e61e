/* docker/ports.c - the PORTS column of `docker ps` (docker/docker.h docker_ports_display). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker/docker.h"

typedef struct port {
  char ip[48];
  int priv, pub;
  char type[8];
} port;

static int cmp_port(const void *a, const void *b) {
  const port *x = a, *y = b;
  if (x->priv != y->priv) return x->priv < y->priv ? -1 : 1;
  int c = strcmp(x->ip, y->ip);
  if (c != 0) return c;
  if (x->pub != y->pub) return x->pub < y->pub ? -1 : 1;
  return strcmp(x->type, y->type);
}

/* A growing text. */
typedef struct text {
  char *s;
  size_t len, cap;
  bool failed;
} text;

static void add(text *t, const char *s) {
  size_t n = strlen(s);
  if (t->failed) return;
  if (t->len + n + 1 > t->cap) {
    size_t cap = t->cap == 0 ? 64 : t->cap;
    while (cap < t->len + n + 1) cap *= 2;
    char *grown = realloc(t->s, cap);
    if (grown == NULL) {
      t->failed = true;
      return;
    }
    t->s = grown;
    t->cap = cap;
  }
  memcpy(t->s + t->len, s, n + 1);
  t->len += n;
}

static void sep(text *t) {
  if (t->len > 0) add(t, ", ");
}

/* An IP as host:port writes it: IPv6 in brackets. */
static void host_port(const char *ip, int p, char *out, size_t size) {
  if (strchr(ip, ':') != NULL) {
    snprintf(out, size, "[%s]:%d", ip, p);
  } else {
    snprintf(out, size, "%s:%d", ip, p);
  }
}

/* One group: "80-82/tcp", or with an IP "0.0.0.0:80-82->80-82/tcp". */
static void group_text(text *t, const char *ip, const char *type, int first, int last) {
  char range[32], item[160];
  if (first == last) {
    snprintf(range, sizeof range, "%d", first);
  } else {
    snprintf(range, sizeof range, "%d-%d", first, last);
  }
  if (ip[0] != '\0') {
    snprintf(item, sizeof item, "%s%s%s:%s->%s/%s", strchr(ip, ':') != NULL ? "[" : "", ip,
             strchr(ip, ':') != NULL ? "]" : "", range, range, type);
  } else {
    snprintf(item, sizeof item, "%s/%s", range, type);
  }
  sep(t);
  add(t, item);
}

typedef struct group {
  char ip[48], type[8];
  int first, last;
} group;

char *docker_ports_display(const cJSON *ports) {
  int n = cJSON_GetArraySize(ports);
  port *list = n > 0 ? calloc((size_t)n, sizeof *list) : NULL;
  group *groups = n > 0 ? calloc((size_t)n, sizeof *groups) : NULL;
  if (n > 0 && (list == NULL || groups == NULL)) {
    free(list);
    free(groups);
    return NULL;
  }
  int k = 0;
  const cJSON *p;
  cJSON_ArrayForEach(p, ports) {
    const cJSON *ip = cJSON_GetObjectItemCaseSensitive(p, "IP");
    const cJSON *priv = cJSON_GetObjectItemCaseSensitive(p, "PrivatePort");
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(p, "PublicPort");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "Type");
    snprintf(list[k].ip, sizeof list[k].ip, "%s", cJSON_IsString(ip) ? ip->valuestring : "");
    snprintf(list[k].type, sizeof list[k].type, "%s", cJSON_IsString(type) ? type->valuestring : "tcp");
    list[k].priv = cJSON_IsNumber(priv) ? (int)priv->valuedouble : 0;
    list[k].pub = cJSON_IsNumber(pub) ? (int)pub->valuedouble : 0;
    k++;
  }
  if (k > 1) qsort(list, (size_t)k, sizeof *list, cmp_port);
  text out = {0}, mappings = {0};
  int ngroups = 0;
  for (int i = 0; i < k; i++) {
    const port *q = &list[i];
    if (q->ip[0] != '\0' && q->pub != q->priv) {
      char hp[80], item[160];
      host_port(q->ip, q->pub, hp, sizeof hp);
      snprintf(item, sizeof item, "%s->%d/%s", hp, q->priv, q->type);
      sep(&mappings);
      add(&mappings, item);
      continue;
    }
    int g = -1;
    for (int j = 0; j < ngroups && g < 0; j++) {
      if (strcmp(groups[j].ip, q->ip) == 0 && strcmp(groups[j].type, q->type) == 0) g = j;
    }
    if (g < 0) {
      g = ngroups++;
      snprintf(groups[g].ip, sizeof groups[g].ip, "%s", q->ip);
      snprintf(groups[g].type, sizeof groups[g].type, "%s", q->type);
      groups[g].first = groups[g].last = q->priv;
      continue;
    }
    if (q->priv == groups[g].last + 1) {
      groups[g].last = q->priv;
      continue;
    }
    /* A gap: the run so far is done, a new one of the same kind begins. */
    group_text(&out, groups[g].ip, groups[g].type, groups[g].first, groups[g].last);
    groups[g].first = groups[g].last = q->priv;
  }
  for (int j = 0; j < ngroups; j++) group_text(&out, groups[j].ip, groups[j].type, groups[j].first, groups[j].last);
  if (mappings.len > 0) {
    sep(&out);
    add(&out, mappings.s);
  }
  if (out.s == NULL) add(&out, "");
  free(list);
  free(groups);
  free(mappings.s);
  if (out.failed) {
    free(out.s);
    return NULL;
  }
  return out.s;
}
