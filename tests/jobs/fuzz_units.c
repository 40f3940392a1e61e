/* tests/jobs/fuzz_units.c - libFuzzer harness for wctr_parse_size, wctr_parse_cpus and
 * wctr_format_size, with the limit conversions fed from the same bytes.
 *
 * Beyond "no crash, no sanitizer report", every input is checked against a second implementation
 * written differently (a grammar scan and 128-bit arithmetic instead of the streaming floor), so a
 * wrong value is a finding too, not only a crash. The oracle covers numbers of up to 18 digits on each
 * side of the dot; longer ones are checked for sign and message shape only. Native clang only. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "jobs/limits.h"

#define CHECK(cond)                                                           \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "fuzz_units: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                \
    }                                                                         \
  } while (0)

typedef unsigned __int128 u128;

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

/* The size grammar of units.h, scanned independently. Fills the digit runs and the multiplier. */
static bool size_grammar(const char *s, size_t *wlen, const char **frac, size_t *flen, unsigned *shift) {
  size_t i = strspn(s, "0123456789");
  if (i == 0) return false;
  *wlen = i;
  *frac = s + i;
  *flen = 0;
  if (s[i] == '.') {
    *frac = s + i + 1;
    *flen = strspn(*frac, "0123456789");
    if (*flen == 0) return false;
    i += 1 + *flen;
  }
  if (s[i] == ' ') i++;
  const char *x = s + i;
  size_t n = strlen(x);
  static const char units[] = "kmgtp";
  *shift = 0;
  if (n == 0) return true;
  if (n == 1 && lower(x[0]) == 'b') return true;
  const char *u = strchr(units, lower(x[0]));
  if (x[0] == '\0' || u == NULL) return false;
  *shift = 10u * (unsigned)(u - units + 1);
  if (n == 1) return true;
  if (n == 2) return lower(x[1]) == 'b';
  if (n == 3) return lower(x[1]) == 'i' && lower(x[2]) == 'b';
  return false;
}

static u128 digits_value(const char *p, size_t n) {
  u128 v = 0;
  for (size_t i = 0; i < n; i++) v = v * 10u + (u128)(p[i] - '0');
  return v;
}

static void check_size(const char *s) {
  int64_t got = -42;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = wctr_parse_size(s, "--memory", &got, &e);
  size_t wlen, flen;
  const char *frac;
  unsigned shift;
  bool grammatical = size_grammar(s, &wlen, &frac, &flen, &shift);
  /* The exact value when both digit runs are short: W * 2^shift + floor(F * 2^shift / 10^n). W and F
   * are below 10^18 < 2^60 and shift is at most 50, so nothing here comes near 2^128. */
  bool have_oracle = grammatical && wlen <= 18 && flen <= 18;
  u128 oracle = 0;
  if (have_oracle) {
    u128 pow10 = 1;
    for (size_t i = 0; i < flen; i++) pow10 *= 10u;
    oracle = (digits_value(s, wlen) << shift) + (digits_value(frac, flen) << shift) / pow10;
  }
  if (err != WCTR_OK) {
    CHECK(err == WCTR_EINVAL && e.code == WCTR_EINVAL);
    CHECK(got == -42);
    CHECK(strncmp(e.text, "invalid value \"", 15) == 0);
    CHECK(strstr(e.text, "\" for --memory: ") != NULL);
    CHECK(strlen(e.text) < sizeof e.text - 1); /* the reason was not cut off */
    /* A grammatical refusal can only be an overflow. */
    if (grammatical) CHECK(strstr(e.text, ": too large (") != NULL);
    if (have_oracle) CHECK(oracle > (u128)INT64_MAX);
    return;
  }
  CHECK(grammatical);
  CHECK(got >= 0);
  if (have_oracle) CHECK(oracle == (u128)got);
}

static void check_cpus(const char *s) {
  int64_t got = -42;
  wctr_errmsg e;
  wctr_errmsg_clear(&e);
  wctr_err err = wctr_parse_cpus(s, &got, &e);
  if (err != WCTR_OK) {
    CHECK(err == WCTR_EINVAL && got == -42);
    CHECK(strncmp(e.text, "invalid value \"", 15) == 0);
    CHECK(strstr(e.text, "\" for --cpus: ") != NULL);
    return;
  }
  CHECK(got >= 0);
  /* Independent reading: digits, optional dot, digits, nothing else, at least one digit. */
  size_t w = strspn(s, "0123456789");
  const char *f = s + w;
  size_t fl = 0;
  if (*f == '.') {
    f++;
    fl = strspn(f, "0123456789");
  }
  CHECK(f[fl] == '\0' && w + fl > 0);
  for (size_t i = 9; i < fl; i++) CHECK(f[i] == '0');
  if (w <= 18) {
    u128 v = digits_value(s, w) * 1000000000u;
    u128 nano = 0;
    for (size_t i = 0; i < 9; i++) nano = nano * 10u + (i < fl ? (u128)(f[i] - '0') : 0u);
    CHECK(v + nano == (u128)got);
  }
  /* Round trip through the canonical text. */
  char canon[32];
  snprintf(canon, sizeof canon, "%lld.%09lld", (long long)(got / 1000000000), (long long)(got % 1000000000));
  int64_t again = -1;
  CHECK(wctr_parse_cpus(canon, &again, NULL) == WCTR_OK && again == got);
}

static void check_format(int64_t v) {
  char buf[WCTR_FORMAT_SIZE_MAX];
  size_t len = wctr_format_size(v, buf, sizeof buf);
  CHECK(len < sizeof buf && strlen(buf) == len);
  if (v >= 0 && v < ((int64_t)1 << 60)) {
    int64_t back = -1;
    CHECK(wctr_parse_size(buf, "--memory", &back, NULL) == WCTR_OK);
    int64_t unit = 1;
    while (unit <= v / 1024) unit *= 1024;
    CHECK(back <= v && v - back <= unit / 100 + 1);
  }
}

/* The limits from 8 fuzzed numbers and a host count: whatever the input, the output obeys limits.h. */
static void check_limits(const uint8_t *data, size_t size) {
  int64_t f[9];
  if (size < sizeof f) return;
  memcpy(f, data, sizeof f);
  /* Small values hit the interesting edges far more often than uniform 64-bit ones. */
  for (size_t i = 0; i < 9; i++) {
    if (f[i] & 1) f[i] >>= 40;
  }
  spec_resources r = {f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
  int host = (int)(f[8] % 130);
  job_limits l;
  wctr_errmsg e;
  if (job_limits_from_spec(&r, host, &l, &e) != WCTR_OK) {
    CHECK(l.flags == 0 && e.text[0] != '\0');
    return;
  }
  CHECK(host >= 1);
  CHECK(!((l.flags & JOB_LIMIT_CPU_RATE) && (l.flags & JOB_LIMIT_CPU_WEIGHT)));
  if (l.flags & JOB_LIMIT_CPU_RATE) CHECK(l.cpu_rate >= 1 && l.cpu_rate <= 10000);
  else CHECK(l.cpu_rate == 0);
  if (l.flags & JOB_LIMIT_CPU_WEIGHT) CHECK(l.cpu_weight >= 1 && l.cpu_weight <= 9);
  else CHECK(l.cpu_weight == 0);
  if (l.flags & JOB_LIMIT_MEMORY) CHECK(l.job_memory_limit >= (uint64_t)spec_min_memory(WCTR_ISOLATION_JOB));
  CHECK(l.warnings.count <= 3);
  for (size_t i = 0; i < l.warnings.count; i++) CHECK(strlen(l.warnings.text[i]) < SPEC_WARNING_SIZE - 1);
  uint32_t count, maximum;
  if (r.nano_cpus >= 0 && r.nano_cpus <= (int64_t)host * 1000000000) {
    CHECK(spec_hcs_hyperv_cpu(r.nano_cpus, host, &count, &maximum, NULL) == WCTR_OK);
    CHECK(count <= (uint32_t)host && maximum <= 10000);
    CHECK(spec_hcs_process_cpu(r.nano_cpus, host, &maximum, NULL) == WCTR_OK);
    CHECK(maximum <= 10000);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size + 1);
  if (s == NULL) return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  check_size(s);
  check_cpus(s);
  free(s);

  int64_t v = 0;
  memcpy(&v, data, size < sizeof v ? size : sizeof v);
  check_format(v);
  check_limits(data, size);
  return 0;
}
