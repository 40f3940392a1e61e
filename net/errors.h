/* net/errors.h - Host Network Service failures as sentences for people (portable).
 *
 * computenetwork.dll's functions return an HRESULT and may hand back an error record. HNS's own codes are
 * FACILITY 0x3B (HCN_E_*, 0x803Bxxxx, Microsoft's "HCN Error Code" table); a few Win32 codes come back too
 * (element not found, already exists, access denied). The record is JSON - {"Success":false,"Error":"...",
 * "ErrorCode":n} - or plain text; either way its message is the detail. net_error_describe folds code,
 * table and record into one sentence, as hcs/errors.h does for HCS:
 *   "<meaning> (<NAME>, 0x<hr>)[: <detail>][; <hint>]"
 * e.g. "The specified port already exists (HCN_E_PORT_ALREADY_EXISTS, 0x803B0013); another container or
 * program publishes this host port". An unknown code reads "HNS call failed (0x803BFFFF)". */
#ifndef WCTR_NET_ERRORS_H
#define WCTR_NET_ERRORS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define NET_E_NETWORK_NOT_FOUND 0x803B0001u
#define NET_E_ENDPOINT_NOT_FOUND 0x803B0002u
#define NET_E_PORT_ALREADY_EXISTS 0x803B0013u
#define NET_E_INVALID_JSON 0x803B001Bu
#define NET_E_ENTITY_HAS_REFERENCES 0x803B002Cu
#define NET_E_ELEMENT_NOT_FOUND 0x80070490u

typedef struct net_error_info {
  uint32_t code;
  const char *name;    /* "HCN_E_PORT_ALREADY_EXISTS" */
  const char *meaning; /* what it says, without a final period */
  const char *hint;    /* what to do, or NULL */
  wctr_err err;
} net_error_info;

const net_error_info *net_error_lookup(uint32_t hr);
const net_error_info *net_error_table(size_t *count);
/* The table's wctr_err, else wctr_from_hresult (WCTR_OK for success codes). */
wctr_err net_error_code(uint32_t hr);
/* Is hr "this object does not exist" (an HCN_E_*_NOT_FOUND of networks, endpoints, or ERROR_NOT_FOUND)? */
int net_error_is_not_found(uint32_t hr);
/* The sentence above into buf (always NUL-terminated when size > 0); record may be NULL. Returns buf. */
char *net_error_describe(uint32_t hr, const char *record, char *buf, size_t size);

#endif
