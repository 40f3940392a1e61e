/* images/auth.c - registry authentication (portable). Contract: images/auth.h. */
#include "images/auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/base64.h"

static bool tchar(char c) {
  return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void skip_ows(const char **p) {
  while (**p == ' ' || **p == '\t') (*p)++;
}

/* A token68/token or quoted string into out (size bytes). */
static bool read_value(const char **pp, char *out, size_t size) {
  const char *p = *pp;
  size_t o = 0;
  if (*p == '"') {
    p++;
    while (*p != '"') {
      if (*p == '\0') return false;
      if (*p == '\\') {
        p++;
        if (*p == '\0') return false;
      }
      if ((unsigned char)*p < 0x20 && *p != '\t') return false;
      if (o + 1 >= size) return false;
      out[o++] = *p++;
    }
    p++;
  } else {
    while (tchar(*p) || *p == '/' || *p == '=') {
      if (o + 1 >= size) return false;
      out[o++] = *p++;
    }
    if (o == 0) return false;
  }
  out[o] = '\0';
  *pp = p;
  return true;
}

static bool scheme_is(const char *p, size_t n, const char *name) {
  if (strlen(name) != n) return false;
  for (size_t i = 0; i < n; i++) {
    if (tolower((unsigned char)p[i]) != tolower((unsigned char)name[i])) return false;
  }
  return true;
}

wctr_err img_challenge_parse(const char *header, img_challenge *out, wctr_errmsg *e) {
  img_challenge best;
  memset(&best, 0, sizeof best);
  const char *p = header != NULL ? header : "";
  const char *why = NULL;
  while (why == NULL) {
    skip_ows(&p);
    while (*p == ',') {
      p++;
      skip_ows(&p);
    }
    if (*p == '\0') break;
    const char *start = p;
    while (tchar(*p)) p++;
    size_t n = (size_t)(p - start);
    if (n == 0) {
      why = "a scheme was expected";
      break;
    }
    img_challenge c;
    memset(&c, 0, sizeof c);
    c.scheme = scheme_is(start, n, "Bearer") ? IMG_AUTH_BEARER : scheme_is(start, n, "Basic") ? IMG_AUTH_BASIC : IMG_AUTH_NONE;
    /* parameters: name=value pairs until a token that is not followed by '=' starts the next challenge */
    for (;;) {
      skip_ows(&p);
      const char *name = p;
      while (tchar(*p)) p++;
      size_t nlen = (size_t)(p - name);
      const char *after = p;
      skip_ows(&after);
      if (nlen == 0 || *after != '=') {
        p = name;
        break;
      }
      p = after + 1;
      skip_ows(&p);
      char value[1024];
      if (!read_value(&p, value, sizeof value)) {
        why = "a parameter's value is malformed or longer than 1023 characters";
        break;
      }
      char *dest = NULL;
      size_t dsize = 0;
      if (scheme_is(name, nlen, "realm")) dest = c.realm, dsize = sizeof c.realm;
      else if (scheme_is(name, nlen, "service")) dest = c.service, dsize = sizeof c.service;
      else if (scheme_is(name, nlen, "scope")) dest = c.scope, dsize = sizeof c.scope;
      if (dest != NULL) {
        if (strlen(value) >= dsize) {
          why = "a parameter is too long";
          break;
        }
        snprintf(dest, dsize, "%s", value);
      }
      skip_ows(&p);
      if (*p == ',') {
        p++;
        continue;
      }
      if (*p == '\0') break;
      why = "a comma was expected between parameters";
      break;
    }
    if (why != NULL) break;
    if (c.scheme == IMG_AUTH_BEARER && best.scheme != IMG_AUTH_BEARER) best = c;
    if (c.scheme == IMG_AUTH_BASIC && best.scheme == IMG_AUTH_NONE) best = c;
  }
  if (why == NULL && best.scheme == IMG_AUTH_NONE) why = "no Bearer or Basic challenge";
  if (why == NULL && best.scheme == IMG_AUTH_BEARER && best.realm[0] == '\0') why = "the Bearer challenge has no realm";
  if (why != NULL) return wctr_fail(e, WCTR_EINVAL, "the registry's WWW-Authenticate header cannot be read: %s", why);
  *out = best;
  return WCTR_OK;
}

wctr_err img_url_encode(const char *text, char *out, size_t size) {
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
    bool plain = isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~';
    if (o + (plain ? 1 : 3) >= size) return WCTR_ETOOBIG;
    if (plain) {
      out[o++] = (char)*p;
    } else {
      snprintf(out + o, size - o, "%%%02X", *p);
      o += 3;
    }
  }
  if (o >= size) return WCTR_ETOOBIG;
  out[o] = '\0';
  return WCTR_OK;
}

wctr_err img_token_url(const img_challenge *c, const char *scope, char *out, size_t size, wctr_errmsg *e) {
  if (strncmp(c->realm, "https://", 8) != 0 && strncmp(c->realm, "http://", 7) != 0) {
    return wctr_fail(e, WCTR_EINVAL, "the registry's token realm \"%.200s\" is not an http(s) URL", c->realm);
  }
  char service[800];
  char sc[1600];
  const char *use_scope = scope != NULL && scope[0] != '\0' ? scope : c->scope;
  if (img_url_encode(c->service, service, sizeof service) != WCTR_OK || img_url_encode(use_scope, sc, sizeof sc) != WCTR_OK) {
    return wctr_fail(e, WCTR_ETOOBIG, "the token request is too long");
  }
  const char *sep = strchr(c->realm, '?') != NULL ? "&" : "?";
  int n;
  if (service[0] != '\0' && sc[0] != '\0') {
    n = snprintf(out, size, "%s%sservice=%s&scope=%s", c->realm, sep, service, sc);
  } else if (service[0] != '\0') {
    n = snprintf(out, size, "%s%sservice=%s", c->realm, sep, service);
  } else if (sc[0] != '\0') {
    n = snprintf(out, size, "%s%sscope=%s", c->realm, sep, sc);
  } else {
    n = snprintf(out, size, "%s", c->realm);
  }
  if (n < 0 || (size_t)n >= size) return wctr_fail(e, WCTR_ETOOBIG, "the token request is too long");
  return WCTR_OK;
}

wctr_err img_token_parse(const char *body, size_t len, char **token, int64_t *expires_in, wctr_errmsg *e) {
  *token = NULL;
  *expires_in = 60;
  cJSON *root = cJSON_ParseWithLength(body, len);
  wctr_err err = WCTR_OK;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "token");
  if (!cJSON_IsString(t) || t->valuestring[0] == '\0') t = cJSON_GetObjectItemCaseSensitive(root, "access_token");
  if (!cJSON_IsObject(root) || !cJSON_IsString(t) || t->valuestring[0] == '\0') {
    err = wctr_fail(e, WCTR_EPROTO, "the token server's answer has no token");
    goto done;
  }
  size_t n = strlen(t->valuestring);
  bool visible = n <= 65536;
  for (size_t i = 0; visible && i < n; i++) visible = t->valuestring[i] > 0x20 && t->valuestring[i] < 0x7f;
  if (!visible) {
    err = wctr_fail(e, WCTR_EPROTO, "the token server's token is not visible ASCII of at most 64 KiB");
    goto done;
  }
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
  if (cJSON_IsNumber(exp) && exp->valuedouble >= 1 && exp->valuedouble <= 86400.0 * 366) *expires_in = (int64_t)exp->valuedouble;
  *token = strdup(t->valuestring);
  if (*token == NULL) err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
done:
  if (root != NULL) {
    /* The token lived in the parse tree too. */
    cJSON *tt = cJSON_GetObjectItemCaseSensitive(root, "token");
    cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "access_token");
    if (cJSON_IsString(tt)) wctr_secure_zero(tt->valuestring, strlen(tt->valuestring));
    if (cJSON_IsString(at)) wctr_secure_zero(at->valuestring, strlen(at->valuestring));
  }
  cJSON_Delete(root);
  return err;
}

char *img_basic_header(const char *user, const char *password) {
  size_t n = strlen(user) + 1 + strlen(password);
  char *pair = malloc(n + 1);
  if (pair == NULL) return NULL;
  snprintf(pair, n + 1, "%s:%s", user, password);
  char *b64 = wctr_base64_encode((const uint8_t *)pair, n);
  wctr_secure_zero(pair, n);
  free(pair);
  if (b64 == NULL) return NULL;
  size_t m = strlen(b64) + 7;
  char *out = malloc(m);
  if (out != NULL) snprintf(out, m, "Basic %s", b64);
  wctr_secure_zero(b64, strlen(b64));
  free(b64);
  return out;
}

char *img_bearer_header(const char *token) {
  size_t m = strlen(token) + 8;
  char *out = malloc(m);
  if (out != NULL) snprintf(out, m, "Bearer %s", token);
  return out;
}

void img_credentials_clear(img_credentials *c) {
  if (c == NULL) return;
  if (c->user != NULL) {
    wctr_secure_zero(c->user, strlen(c->user));
    free(c->user);
  }
  if (c->password != NULL) {
    wctr_secure_zero(c->password, strlen(c->password));
    free(c->password);
  }
  c->user = c->password = NULL;
}
