/* common/units.c - sizes and CPU amounts, parsed with integers only (the contract is units.h). */
#include "common/units.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Quoting the user's text: at most this many bytes of it appear in a message, so a megabyte of junk
 * cannot push the reason out of the 512-byte wctr_errmsg, and each byte takes at most 4 characters. */
#define QUOTE_MAX_IN 48
#define QUOTE_SIZE (QUOTE_MAX_IN * 4 + sizeof "...")

/* ASCII only: isdigit() depends on the locale and is undefined for negative char values. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* Copies text for a message: printable ASCII as is, '"' and '\' escaped, anything else as \xNN, so a
 * message can go to a log or a terminal whatever the caller typed; cut with "..." when long. */
static void quote_text(const char *text, char *out, size_t n) {
  size_t o = 0;
  size_t i = 0;
  out[0] = '\0'; /* the loop writes nothing for "" */
  for (; text[i] != '\0' && i < QUOTE_MAX_IN; i++) {
    unsigned char c = (unsigned char)text[i];
    int w;
    if (c == '"' || c == '\\') {
      w = snprintf(out + o, n - o, "\\%c", c);
    } else if (c >= 0x20 && c < 0x7f) {
      w = snprintf(out + o, n - o, "%c", c);
    } else {
      w = snprintf(out + o, n - o, "\\x%02x", c);
    }
    o += (size_t)w;
  }
  if (text[i] != '\0') snprintf(out + o, n - o, "...");
}

/* Multiplier of a unit letter (already lower case), 0 when it is not one. */
static int64_t unit_multiplier(char c, bool decimal) {
  if (decimal) {
    switch (c) {
      case 'k': return 1000LL;
      case 'm': return 1000000LL;
      case 'g': return 1000000000LL;
      case 't': return 1000000000000LL;
      case 'p': return 1000000000000000LL;
      default: return 0;
    }
  }
  switch (c) {
    case 'k': return WCTR_KIB;
    case 'm': return WCTR_MIB;
    case 'g': return WCTR_GIB;
    case 't': return WCTR_TIB;
    case 'p': return WCTR_PIB;
    default: return 0;
  }
}

/* Reads the suffix of a size (everything after the number and its optional space). Returns the
 * multiplier, or 0 when the suffix is not one units.h allows. */
static int64_t size_suffix(const char *sfx, bool decimal) {
  size_t len = strlen(sfx);
  if (len == 0) return 1;
  char c0 = to_lower(sfx[0]);
  if (c0 == 'b') return len == 1 ? 1 : 0;
  int64_t mul = unit_multiplier(c0, decimal);
  if (mul == 0) return 0;
  if (len == 1) return mul;
  if (len == 2) return to_lower(sfx[1]) == 'b' ? mul : 0;
  if (len == 3) return (to_lower(sfx[1]) == 'i' && to_lower(sfx[2]) == 'b') ? mul : 0;
  return 0;
}

static wctr_err parse_size(const char *text, const char *flag, bool decimal, int64_t *bytes, wctr_errmsg *e) {
  if (flag == NULL) flag = "size";
  if (text == NULL) return wctr_fail(e, WCTR_EINVAL, "no value given for %s", flag);
  if (bytes == NULL) return wctr_fail(e, WCTR_EINVAL, "%s: bytes (the result) is NULL", flag);

  char quoted[QUOTE_SIZE];
  quote_text(text, quoted, sizeof quoted);

  const char *p = text;
  if (p[0] == '-' && is_digit(p[1])) {
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for %s: a size cannot be negative", quoted,
                     flag);
  }
  if (!is_digit(*p)) {
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for %s: invalid size", quoted, flag);
  }

  /* The whole part. Keep scanning past an overflow so that a bad suffix is reported first: "the
   * suffix is wrong" is the more useful sentence for "99999999999999999999x". */
  uint64_t whole = 0;
  bool overflow = false;
  for (; is_digit(*p); p++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (whole > ((uint64_t)INT64_MAX - d) / 10u) {
      overflow = true;
    } else {
      whole = whole * 10u + d;
    }
  }

  const char *frac = p;
  size_t frac_len = 0;
  if (*p == '.') {
    p++;
    frac = p;
    while (is_digit(*p)) p++;
    frac_len = (size_t)(p - frac);
    if (frac_len == 0) {
      return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for %s: invalid size", quoted, flag);
    }
  }
  /* A second dot ("1.2.3") is a malformed number, not a suffix. */
  if (*p == '.') {
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for %s: invalid size", quoted, flag);
  }
  if (*p == ' ') p++;

  int64_t mul = size_suffix(p, decimal);
  if (mul == 0) {
    char sfx[QUOTE_SIZE];
    quote_text(p, sfx, sizeof sfx);
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for %s: invalid suffix '%s'", quoted, flag,
                     sfx);
  }

  /* floor(mul * 0.d1d2...dn), exactly, from the last digit to the first: part_i = floor((d_i * mul +
   * part_{i+1}) / 10). Flooring at each step gives the same result as flooring once, because
   * floor((m + x) / 10) == floor((m + floor(x)) / 10) for an integer m. part stays below mul (2^50), so
   * d * mul + part never overflows, however many digits there are. */
  uint64_t part = 0;
  for (size_t i = frac_len; i > 0; i--) {
    part = ((uint64_t)(frac[i - 1] - '0') * (uint64_t)mul + part) / 10u;
  }

  if (overflow || whole > ((uint64_t)INT64_MAX - part) / (uint64_t)mul) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid value \"%s\" for %s: too large (the largest size is %" PRId64 " bytes)",
                     quoted, flag, INT64_MAX);
  }
  *bytes = (int64_t)(whole * (uint64_t)mul + part);
  return WCTR_OK;
}

wctr_err wctr_parse_size(const char *text, const char *flag, int64_t *bytes, wctr_errmsg *e) {
  return parse_size(text, flag, false, bytes, e);
}

wctr_err wctr_parse_human_size(const char *text, const char *flag, int64_t *bytes, wctr_errmsg *e) {
  return parse_size(text, flag, true, bytes, e);
}

wctr_err wctr_parse_cpus(const char *text, int64_t *nano_cpus, wctr_errmsg *e) {
  if (text == NULL) return wctr_fail(e, WCTR_EINVAL, "no value given for --cpus");
  if (nano_cpus == NULL) return wctr_fail(e, WCTR_EINVAL, "--cpus: nano_cpus (the result) is NULL");

  char quoted[QUOTE_SIZE];
  quote_text(text, quoted, sizeof quoted);

  const char *p = text;
  if (p[0] == '-' && (is_digit(p[1]) || (p[1] == '.' && is_digit(p[2])))) {
    return wctr_fail(e, WCTR_EINVAL,
                     "invalid value \"%s\" for --cpus: the number of CPUs cannot be negative", quoted);
  }

  uint64_t whole = 0;
  bool overflow = false;
  size_t whole_len = 0;
  for (; is_digit(*p); p++, whole_len++) {
    uint64_t d = (uint64_t)(*p - '0');
    if (whole > ((uint64_t)INT64_MAX - d) / 10u) {
      overflow = true;
    } else {
      whole = whole * 10u + d;
    }
  }
  const char *frac = p;
  size_t frac_len = 0;
  if (*p == '.') {
    p++;
    frac = p;
    while (is_digit(*p)) p++;
    frac_len = (size_t)(p - frac);
  }
  if (*p != '\0' || whole_len + frac_len == 0) {
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for --cpus: not a decimal number", quoted);
  }

  /* Nine decimals are nanoCPUs; anything past them must be zeros for the amount to be a whole number
   * of nanoCPUs, which is exactly docker/cli's big.Rat IsInt() test. */
  uint64_t nano_frac = 0;
  for (size_t i = 0; i < 9; i++) {
    nano_frac = nano_frac * 10u + (i < frac_len ? (uint64_t)(frac[i] - '0') : 0u);
  }
  for (size_t i = 9; i < frac_len; i++) {
    if (frac[i] != '0') {
      return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for --cpus: value is too precise", quoted);
    }
  }

  const uint64_t per_cpu = (uint64_t)WCTR_NANO_PER_CPU;
  if (overflow || whole > ((uint64_t)INT64_MAX - nano_frac) / per_cpu) {
    return wctr_fail(e, WCTR_EINVAL, "invalid value \"%s\" for --cpus: too large", quoted);
  }
  *nano_cpus = (int64_t)(whole * per_cpu + nano_frac);
  return WCTR_OK;
}

size_t wctr_format_size(int64_t bytes, char *buf, size_t n) {
  static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  /* The magnitude as unsigned, so INT64_MIN (whose negation does not fit int64) is still exact. */
  uint64_t mag = bytes < 0 ? (uint64_t)0 - (uint64_t)bytes : (uint64_t)bytes;
  unsigned u = 0;
  while (u < 6 && mag >= ((uint64_t)1 << (10u * (u + 1u)))) u++;
  uint64_t unit = (uint64_t)1 << (10u * u);
  uint64_t whole = mag / unit;
  /* Two decimals by long division: rem < unit <= 2^60, so rem * 10 cannot overflow. */
  uint64_t rem = mag % unit;
  unsigned d1 = (unsigned)((rem * 10u) / unit);
  rem = (rem * 10u) % unit;
  unsigned d2 = (unsigned)((rem * 10u) / unit);

  const char *sign = bytes < 0 ? "-" : "";
  int len;
  if (d2 != 0) {
    len = snprintf(buf, n, "%s%" PRIu64 ".%u%u%s", sign, whole, d1, d2, names[u]);
  } else if (d1 != 0) {
    len = snprintf(buf, n, "%s%" PRIu64 ".%u%s", sign, whole, d1, names[u]);
  } else {
    len = snprintf(buf, n, "%s%" PRIu64 "%s", sign, whole, names[u]);
  }
  return len < 0 ? 0 : (size_t)len;
}
