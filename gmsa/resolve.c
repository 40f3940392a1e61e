/* gmsa/resolve.c - credentialspec= values to validated specs (portable; see resolve.h). */
#include "gmsa/resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "gmsa/credspec.h"
#include "gmsa/gmsa_util.h"
#include "gmsa/source.h"

static char *shown_source(const gmsa_source *src) {
  const char *kind = gmsa_source_kind_name(src->kind);
  const char *value = src->kind == GMSA_SOURCE_RAW ? "" : src->value;
  size_t n = strlen(kind) + strlen(value) + 4;
  char *out = cJSON_malloc(n);
  if (out != NULL) snprintf(out, n, "%s://%s", kind, value);
  return out;
}

wctr_err gmsa_resolve(const gmsa_resolver *r, const char *value, char **spec_json, char **source, wctr_errmsg *e) {
  *spec_json = NULL;
  *source = NULL;
  gmsa_source src;
  char *text = NULL;
  size_t len = 0;
  gmsa_credspec *spec = NULL;
  wctr_err err = gmsa_source_parse(value, r->credspec_dir, &src, e);
  if (err != WCTR_OK) return err;
  switch (src.kind) {
    case GMSA_SOURCE_FILE:
      err = r->read_file != NULL ? r->read_file(r->ctx, r->credspec_dir, src.value, &text, &len, e)
                                 : wctr_fail(e, WCTR_ENOTSUP, "invalid credential spec: file:// cannot be read here");
      break;
    case GMSA_SOURCE_REGISTRY:
      err = r->read_registry != NULL
                ? r->read_registry(r->ctx, src.value, &text, &len, e)
                : wctr_fail(e, WCTR_ENOTSUP, "invalid credential spec: registry:// cannot be read here");
      break;
    case GMSA_SOURCE_CONFIG: err = wctr_fail(e, WCTR_EINVAL, GMSA_RESOLVE_MSG_CONFIG); break;
    case GMSA_SOURCE_RAW: break;
  }
  if (err != WCTR_OK) goto done;
  const char *spec_text = src.kind == GMSA_SOURCE_RAW ? src.value : text;
  size_t spec_len = src.kind == GMSA_SOURCE_RAW ? strlen(src.value) : len;
  wctr_errmsg inner;
  wctr_errmsg_clear(&inner);
  err = gmsa_credspec_load(spec_text, spec_len, &spec, &inner);
  *source = shown_source(&src);
  if (*source == NULL) {
    err = wctr_fail(e, WCTR_ENOMEM, "out of memory");
    goto done;
  }
  if (err != WCTR_OK) {
    wctr_fail(e, err, "%s: %s", *source, inner.text);
    goto done;
  }
  err = gmsa_credspec_to_json(spec, spec_json, e);
done:
  if (text != NULL) gmsa_secure_zero(text, len);
  free(text);
  gmsa_credspec_free(spec);
  gmsa_source_free(&src);
  if (err != WCTR_OK) {
    cJSON_free(*source);
    *source = NULL;
    gmsa_secret_free(*spec_json);
    *spec_json = NULL;
  }
  return err;
}
