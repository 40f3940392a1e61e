/* hcs/errors.h - HCS failure codes as sentences for people (portable).
 *
 * HCS reports failures as HRESULTs. The same condition arrives in two forms: 0x8037xxxx (FACILITY_VMCOMPUTE
 * with the error bit, as winerror.h defines HCS_E_*) and 0xC037xxxx (the same code with the customer bit
 * clear and severity 3, as real HCS result documents and hcsshim's constants carry them, e.g. 0xC0370101).
 * The table holds the 0x8037 form; a lookup of a 0xC037 code finds the same row. A few Win32 HRESULTs that
 * HCS calls return (0x80070490 element not found, ...) are in the table too.
 *
 * A failed HCS call may also hand back a result document:
 *   {"Error": int, "ErrorMessage": str, "ErrorEvents": [{"Message": str, "StackTrace", "Provider", ...}]}
 * hcs_error_describe folds code, table and document into one sentence. Documents come from HCS, not from
 * users; they carry no secrets wctr put there, but StackTrace and Provider are left out (noise). */
#ifndef WCTR_HCS_ERRORS_H
#define WCTR_HCS_ERRORS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct hcs_error_info {
  uint32_t code;       /* canonical form: 0x8037xxxx for HCS codes, 0x8007xxxx for Win32 ones */
  const char *name;    /* "HCS_E_IMAGE_MISMATCH" */
  const char *meaning; /* winerror.h's text, without the final period */
  const char *hint;    /* what to do, or NULL: "use --isolation=hyperv" */
  wctr_err err;        /* the wctr_err a caller returns for it */
} hcs_error_info;

/* The row for hr (either form), or NULL when the code is not in the table. */
const hcs_error_info *hcs_error_lookup(uint32_t hr);

/* The table itself, for tests and `wctr` diagnostics; *count receives the number of rows. */
const hcs_error_info *hcs_error_table(size_t *count);

/* The wctr_err for hr: the table's when known, else wctr_from_hresult(hr) (WCTR_OK for success codes). */
wctr_err hcs_error_code(uint32_t hr);

/* One sentence for people, written to buf (always NUL-terminated when size > 0, truncated to fit):
 *   "<meaning> (<NAME>, 0x<hr>)[: <detail>][; <hint>]"
 * e.g. "The container operating system does not match the host operating system (HCS_E_IMAGE_MISMATCH,
 * 0xC0370101): The container image was built for 10.0.17763; use --isolation=hyperv".
 * hr is shown as given. An unknown code reads "HCS call failed (0x8037FFFF)". result_doc is the HCS result
 * document (UTF-8 JSON) or NULL; when it parses, the detail is the first non-empty ErrorEvents[].Message,
 * else ErrorMessage; a detail equal to the meaning is dropped, newlines become spaces, trailing periods
 * and spaces go. When hr is 0 and the document has a numeric "Error", that code is described instead.
 * A document that does not parse is ignored (the code still explains the failure). Returns buf. */
char *hcs_error_describe(uint32_t hr, const char *result_doc, char *buf, size_t size);

#endif
