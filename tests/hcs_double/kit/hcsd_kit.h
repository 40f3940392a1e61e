/* tests/hcs_double/kit/hcsd_kit.h - what every DLL double shares (kit/README.md): the state folder, the
 * cross-process lock on it, state.json, the call log, the fail/delay knobs, HCS error codes and documents,
 * and UTF-16 <-> UTF-8. Windows only; linked statically into each double (computecore.dll,
 * computestorage.dll, vmcompute.dll, and computenetwork.dll when the networking double comes). The schema
 * validator (hcsd_validate.h) is the kit's portable half. */
#ifndef WCTR_TESTS_HCS_DOUBLE_KIT_HCSD_KIT_H
#define WCTR_TESTS_HCS_DOUBLE_KIT_HCSD_KIT_H

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
#define HCS_E_SYSTEM_NOT_CONFIGURED_FOR_OPERATION ((HRESULT)0x80370120L)
/* The virtual disk service's "The specified disk is not a virtual disk", as HCS passes it on. */
#define HCSD_E_NOT_VIRTUAL_DISK ((HRESULT)0xC03A0015L)

/* Every exported function of every double, one NULL-terminated list per DLL (kit/hcsd_functions.c), and
 * the lists themselves, NULL-terminated: a knob naming anything else is a typo in a test and is reported.
 * A new double adds its list there. */
extern const char *const hcsd_computecore_functions[];
extern const char *const hcsd_computestorage_functions[];
extern const char *const hcsd_vmcompute_functions[];
extern const char *const hcsd_computenetwork_functions[];
extern const char *const *const hcsd_double_functions[];

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

/* Appends one line (the object, printed compactly) to calls.jsonl under the folder's mutex, as hcsd_call
 * does for calls: for lines that are not calls (a double's explanation of a refusal). */
void hcsd_log_line(const cJSON *line);

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

/* Case-insensitive ASCII comparison: HCS ids and Windows paths, like other Windows object names, ignore
 * case. */
bool hcsd_id_equal(const char *a, const char *b);

/* ---- state.json: what the service keeps while its clients come and go ----
 *
 * {"<Section>": [records, each with a string "Id"], ...}: "Systems" and "CcgInstances" (computecore),
 * "Mounts" and "Grants" (the layer functions), and whatever a new double needs. Records are found by "Id"
 * case-insensitively. Every change is a read-modify-write of the whole file under the state folder's mutex,
 * replacing the file atomically, so a second process (a restarted wctrd, another DLL) sees either the old
 * or the new content and changes of several processes are merged by record. A file that cannot be read is
 * moved aside (state.json.unreadable-<ticks>) and the state starts afresh. */

/* A copy of the record id of section, or NULL. */
cJSON *hcsd_store_get(const char *section, const char *id);
/* Replaces the record with record's "Id", or appends it. record is copied. */
void hcsd_store_put(const char *section, const cJSON *record);
/* Appends a copy of record unless one with its "Id" exists (then false). */
bool hcsd_store_add(const char *section, const cJSON *record);
/* Removes the record id; false when there was none. */
bool hcsd_store_remove(const char *section, const char *id);
/* A copy of the section's array (empty when there is none). */
cJSON *hcsd_store_list(const char *section);
/* fn(state, ctx) on the whole state under the mutex (the sections present as arrays); the file is written
 * when fn returns true. For checks and changes that must be one step across records. Do not call other
 * store functions from fn (the mutex is not recursive). */
void hcsd_store_edit(bool (*fn)(cJSON *state, void *ctx), void *ctx);
/* The record id of an array (as hcsd_store_edit's fn sees the sections), or NULL. */
cJSON *hcsd_store_find(cJSON *array, const char *id);
/* The section of state, created (empty) when missing. */
cJSON *hcsd_store_section(cJSON *state, const char *section);

#endif
