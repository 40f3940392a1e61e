/* gmsa/source.c - gmsa's names for the credentialspec= checks of spec/credspec_source.h (portable). */
#include "gmsa/source.h"

wctr_err gmsa_source_parse(const char *option, const char *credspec_dir, gmsa_source *out, wctr_errmsg *e) {
  return spec_credspec_source_parse(option, credspec_dir, out, e);
}

wctr_err gmsa_source_make(gmsa_source_kind kind, const char *value, const char *credspec_dir, gmsa_source *out,
                          wctr_errmsg *e) {
  return spec_credspec_source_make(kind, value, credspec_dir, out, e);
}

void gmsa_source_free(gmsa_source *src) { spec_credspec_source_free(src); }

const char *gmsa_source_kind_name(gmsa_source_kind kind) { return spec_credspec_kind_name(kind); }
