/* kube/kube_internal.h - what the files of the kube module share (not a contract; kube/kube.h is). */
#ifndef WCTR_KUBE_KUBE_INTERNAL_H
#define WCTR_KUBE_KUBE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "kube/kube.h"

/* ---- Kubernetes' rules for names and values (kube/names.c) ---- */

/* RFC 1123 label: 1-63 of [a-z0-9-], a letter or digit at both ends. */
bool kube_dns1123_label(const char *s);
/* RFC 1035 label: as above, and a letter first (Service names). */
bool kube_dns1035_label(const char *s);
/* RFC 1123 subdomain: at most 253, labels of [a-z0-9-] (letter or digit at both ends) joined by '.'. */
bool kube_dns1123_subdomain(const char *s);
/* A label key: [prefix/]name, prefix a subdomain, name 1-63 of [A-Za-z0-9._-] with alphanumeric ends. */
bool kube_label_key(const char *s);
/* A label value: empty, or 1-63 of [A-Za-z0-9._-] with alphanumeric ends. */
bool kube_label_value(const char *s);
/* A ConfigMap or Secret key: 1-253 of [-._a-zA-Z0-9]. */
bool kube_data_key(const char *s);
/* An environment variable name: printable ASCII without '=', not empty. */
bool kube_env_name(const char *s);
/* A Windows user name as the API server checks runAsUserName; NULL when fine, else why not. */
const char *kube_windows_user_problem(const char *s);
/* name lower-cased with '_' written '-' (malloc'ed; NULL when out of memory). */
char *kube_lower_name(const char *name);

/* Memory in bytes as a quantity: "2Gi", "500Mi", "64Ki" when exact, else the bytes. */
void kube_memory_quantity(int64_t bytes, char *out, size_t size);
/* CPUs: nano-CPUs as "2" or "1500m"; false when not a whole number of millicores. */
bool kube_cpu_quantity(int64_t nano_cpus, char *out, size_t size);

/* True when n bytes of s are UTF-8. */
bool kube_utf8_valid(const char *s, size_t n);

/* s with every '$' doubled (Kubernetes' $(VAR) escape); malloc'ed, NULL when out of memory. */
char *kube_dollar_escape(const char *s);

#endif
