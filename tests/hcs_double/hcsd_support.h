/* tests/hcs_double/hcsd_support.h - what both DLLs of the HCS double share: the state folder, the
 * cross-process lock on it, the call log, the fail/delay knobs, HCS error codes and documents, and
 * UTF-16 <-> UTF-8. Windows only; linked statically into computecore.dll and computestorage.dll. */
#ifndef WCTR_TESTS_HCS_DOUBLE_HCSD_SUPPORT_H
#define WCTR_TESTS_HCS_DOUBLE_HCSD_SUPPORT_H

#include <windows.h>

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* winerror.h's HCS facility codes, which mingw-w64's headers lack. */
#define HCS_E_INVALID_STATE ((HRESULT)0x80370105L)
#define HCS_E_UNEXPECTED_EXIT ((HRESULT)0x80370106L)
#define HCS_E_INVALID_JSON ((HRESULT)0x8037010DL)
#define HCS_E_SYSTEM_NOT_FOUND ((HRESULT)0x8037010EL)
#define HCS_E_SYSTEM_ALREADY_EXISTS ((HRESULT)0x8037010FL)
#define HCS_E_SYSTEM_ALREADY_STOPPED ((HRESULT)0x80370110L)
#define HCS_E_OPERATION_NOT_STARTED ((HRESULT)0x80370115L)
#define HCS_E_OPERATION_ALREADY_STARTED ((HRESULT)0x80370116L)
#define HCS_E_OPERATION_PENDING ((HRESULT)0x80370117L)
#define HCS_E_OPERATION_TIMEOUT ((HRESULT)0x80370118L)
#define HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET ((HRESULT)0x80370119L)
#define HCS_E_PROCESS_ALREADY_STOPPED ((HRESULT)0x8037011FL)
#define HCS_E_OPERATION_ALREADY_CANCELLED ((HRESULT)0x80370121L)

/* Reads the environment once per DLL load: the state folder (created if missing) and the knobs of
 * WCTR_HCS_DOUBLE_FAIL / WCTR_HCS_DOUBLE_DELAY. Every other function calls it; safe from any thread. */
void hcsd_init(void);

/* The state folder (WCTR_HCS_DOUBLE_STATE, default %TEMP%\wctr-hcs-double), without a trailing
 * backslash. Lives as long as the DLL. */
const wchar_t *hcsd_state_dir(void);

/* <state folder>\name into out; false when it does not fit. */
bool hcsd_state_file(const wchar_t *name, wchar_t *out, size_t out_len);

/* A named mutex per state folder, so that several processes (a wctrd and its successor) and both
 * DLLs read-modify-write the folder's files one at a time. Not recursive; hold it briefly. */
void hcsd_files_lock(void);
void hcsd_files_unlock(void);

typedef struct hcsd_knob {
  HRESULT fail;    /* S_OK: none */
  bool fail_sync;  /* the rule ends in ":call": return it from the call itself */
  DWORD delay_ms;  /* 0: none */
} hcsd_knob;

/* One call of the exported function NAME: counts it against the knobs (environment and the control
 * file, re-read on every call), appends its line to calls.jsonl - {"call":NAME,"pid":..., FIELDS...,
 * "injected":"0x..." when a fail rule fired, "delayMs":n when a delay rule did} - and returns the
 * knobs that apply. fields (an object, may be NULL) is consumed. */
void hcsd_call(const char *name, cJSON *fields, hcsd_knob *knob);

/* Adds document text to fields under key: the parsed JSON when it is JSON, otherwise the text under
 * key + "Text". Nothing for NULL. */
void hcsd_add_document(cJSON *fields, const char *key, const wchar_t *text);
/* Adds a string argument (UTF-16) under key; nothing for NULL. */
void hcsd_add_string(cJSON *fields, const char *key, const wchar_t *text);

/* UTF-16 -> UTF-8, malloc'ed. NULL for NULL input or invalid UTF-16 (then *valid = false when
 * valid is given; out of memory aborts, as the double cannot report it honestly otherwise). */
char *hcsd_utf8(const wchar_t *text, bool *valid);
/* UTF-8 -> UTF-16, malloc'ed; aborts when out of memory. */
wchar_t *hcsd_wide(const char *text);
/* A LocalAlloc'ed UTF-16 copy, as HCS hands out result documents (callers LocalFree them). */
PWSTR hcsd_local_copy(const wchar_t *text);

/* HCS's ResultError document, UTF-16, malloc'ed: {"Error":hr,"ErrorMessage":"<the code's text>:
 * <detail>","ErrorEvents":[{"Message":...,"Source":"wctr-hcs-double"}]}. */
wchar_t *hcsd_error_doc(HRESULT hr, const char *detail);

/* The description of an HRESULT the double returns ("The virtual machine or container JSON document
 * is invalid."), or "Error 0x%08lx" style text for others. */
void hcsd_hr_text(HRESULT hr, char *out, size_t out_size);

/* A random GUID in lower-case 8-4-4-4-12 form. */
void hcsd_new_guid(char out[37]);
/* Cryptographic random bytes. */
void hcsd_random(void *buf, size_t size);

/* 64-bit FNV-1a over bytes, for names derived from paths and ids. */
unsigned long long hcsd_hash(const void *data, size_t size, unsigned long long seed);

/* "0x8037010d" */
void hcsd_hr_string(HRESULT hr, char out[11]);

/* Exits the process: the double cannot go on without memory. */
void hcsd_oom(void) __attribute__((noreturn));

/* Set by computecore.dll to hcsd_sys_crash: what a control.txt "crash ID" line does. NULL elsewhere. */
extern void (*hcsd_on_crash)(const char *id);

#endif
