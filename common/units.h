/* common/units.h - sizes and CPU amounts as Docker users write them, parsed exactly.
 *
 * These parse the text of --memory, --io-maxbandwidth (sizes) and --cpus, for the CLI and for the
 * service (which must check a request itself: a client is not trusted to have done it). They never use
 * floating point, so the same text gives the same number on every compiler and every host.
 *
 * Sizes follow Docker's RAMInBytes (go-units): binary units, "500m" = 500 * 1024 * 1024 bytes.
 * Grammar (ASCII only, nothing before the first digit, nothing after the suffix):
 *
 *     size   = digits [ "." digits ] [ " " ] [ suffix ]
 *     suffix = "b" | unit [ "b" | "ib" ]          (case-insensitive)
 *     unit   = "k" | "m" | "g" | "t" | "p"         (2^10, 2^20, 2^30, 2^40, 2^50)
 *
 * So "500m", "500M", "500mb", "500MiB", "500 MiB", "1.5g", "0.5k", "1024", "1024b" are accepted. This is
 * the set that both of Docker's parsers accept: the old regex ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$
 * followed by strconv.ParseFloat, and go-units 0.5's hand-written parser that replaced it. Each of
 * them accepts a few strings the other refuses, and wctr refuses those too: "1i", "1ki", "1ib" (the
 * regex only) and ".5", "5.", "1e3", "+5", "0x10", "Inf" (the new parser only). "1.2.3" passes the
 * regex but not ParseFloat, so Docker refuses it as well.
 *
 * The value is floor(number * unit), computed exactly. Docker multiplies a float64 and truncates; the
 * two agree whenever the float64 holds the number exactly (up to 15 significant digits, which covers
 * every size anyone types) and differ only where Docker loses precision (e.g. "9007199254740993" is one
 * byte larger here). "0.5k" = 512, "1.5g" = 1610612736, "0.1k" = 102, "1.9" = 1. A result above
 * INT64_MAX is refused (Docker silently wraps to a negative number). "0" is a valid size of 0 bytes;
 * what 0 means (usually "no limit") is the caller's business. A sign is never accepted, so negative
 * sizes are refused.
 *
 * Error messages quote the offending text (control characters escaped, long text cut with "...") and
 * name the flag: `invalid value "5x" for --memory: invalid suffix 'x'`. */
#ifndef WCTR_COMMON_UNITS_H
#define WCTR_COMMON_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define WCTR_KIB ((int64_t)1 << 10)
#define WCTR_MIB ((int64_t)1 << 20)
#define WCTR_GIB ((int64_t)1 << 30)
#define WCTR_TIB ((int64_t)1 << 40)
#define WCTR_PIB ((int64_t)1 << 50)
#define WCTR_EIB ((int64_t)1 << 60)

/* One CPU in NanoCPUs (Docker's unit for --cpus). */
#define WCTR_NANO_PER_CPU 1000000000LL

/* Parses a size (grammar above) into *bytes. flag names the option in messages ("--memory"); NULL
 * reads as "size". *bytes is written only on success. Errors, all WCTR_EINVAL:
 *   invalid value "<text>" for <flag>: invalid size            (no digits, bad number, junk)
 *   invalid value "<text>" for <flag>: invalid suffix '<sfx>'  (the digits were fine, the rest not)
 *   invalid value "<text>" for <flag>: a size cannot be negative
 *   invalid value "<text>" for <flag>: too large (the largest size is 9223372036854775807 bytes)
 * text == NULL or bytes == NULL is WCTR_EINVAL with a message naming the argument. */
wctr_err wctr_parse_size(const char *text, const char *flag, int64_t *bytes, wctr_errmsg *e);
/* The same grammar and messages with Docker's FromHumanSize units: DECIMAL ("k" = 1000 ... "p" = 10^15,
 * "1KiB" is still 1000), what the json-file log driver's max-size takes. */
wctr_err wctr_parse_human_size(const char *text, const char *flag, int64_t *bytes, wctr_errmsg *e);

/* Parses --cpus into NanoCPUs (CPUs * 1e9), exactly, the way docker/cli's ParseCPUs does with big.Rat:
 *
 *     cpus = digits [ "." [ digits ] ] | "." digits
 *
 * "1.5" -> 1500000000, "0.01" -> 10000000, ".5" -> 500000000, "2." -> 2000000000, "0" -> 0. Digits
 * past the ninth decimal must be zeros: "1.0000000001" is refused with Docker's "value is too precise",
 * "1.50000000000" is accepted, as big.Rat's IsInt() check does. Signs, exponents, fractions ("3/2"),
 * hex and spaces are refused (Docker's big.Rat takes them; nobody means them on --cpus). Whether the
 * amount fits the host (Docker's "range of CPUs is from 0.01 to N.00 ...") is checked later, by
 * spec_resources_check (spec/spec.h), which knows the host. *nano_cpus is written only on success.
 * Errors, all WCTR_EINVAL:
 *   invalid value "<text>" for --cpus: not a decimal number
 *   invalid value "<text>" for --cpus: the number of CPUs cannot be negative
 *   invalid value "<text>" for --cpus: value is too precise
 *   invalid value "<text>" for --cpus: too large */
wctr_err wctr_parse_cpus(const char *text, int64_t *nano_cpus, wctr_errmsg *e);

/* Room for any wctr_format_size result with its NUL ("-1023.99PiB" is the longest shape). */
#define WCTR_FORMAT_SIZE_MAX 16

/* Formats bytes for people, in the largest binary unit (B, KiB, MiB, GiB, TiB, PiB, EiB) that is not
 * larger than |bytes|, with at most two decimals, truncated (never rounded up, so a limit is never shown
 * larger than it is) and trailing zeros removed:
 *   0 -> "0B", 1023 -> "1023B", 1024 -> "1KiB", 1536 -> "1.5KiB", 524288000 -> "500MiB",
 *   1610612736 -> "1.5GiB", 41943039 -> "39.99MiB", INT64_MAX -> "7.99EiB", -1536 -> "-1.5KiB".
 * Writes at most n bytes including the NUL (nothing when n is 0; a cut result is still terminated)
 * and returns the length of the full text, as snprintf does. */
size_t wctr_format_size(int64_t bytes, char *buf, size_t n);

#endif
