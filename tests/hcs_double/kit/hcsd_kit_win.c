/* tests/hcs_double/kit/hcsd_kit_win.c - state folder, call log, knobs and documents of the DLL doubles. */
#include "hcsd_kit.h"

#include <bcrypt.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RULES 64

typedef struct knob_rule {
  char function[64];
  bool every;       /* "*": every call */
  unsigned nth;     /* else the nth call (1-based) since the rule was loaded */
  unsigned count;   /* calls of function seen since then */
  bool delay;       /* a delay rule (value in ms) or a fail rule (value an HRESULT) */
  HRESULT fail;
  bool sync;
  DWORD delay_ms;
} knob_rule;

typedef struct rule_set {
  knob_rule rules[MAX_RULES];
  size_t count;
} rule_set;

static INIT_ONCE g_init = INIT_ONCE_STATIC_INIT;
static wchar_t g_state_dir[MAX_PATH];
static HANDLE g_files_mutex;
static SRWLOCK g_knob_lock = SRWLOCK_INIT;
static rule_set g_env_rules;
static rule_set g_file_rules;
static char *g_control_text; /* the control file as last read, to notice changes */
static cJSON *g_errors;      /* knob errors not yet written to the log; guarded by g_knob_lock */

void hcsd_oom(void) {
  static const char text[] = "wctr HCS double: out of memory\n";
  DWORD written;
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), text, (DWORD)(sizeof text - 1), &written, NULL);
  ExitProcess(3);
}

unsigned long long hcsd_hash(const void *data, size_t size, unsigned long long seed) {
  const unsigned char *p = data;
  unsigned long long h = seed != 0 ? seed : 1469598103934665603ULL;
  for (size_t i = 0; i < size; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

void hcsd_hr_string(HRESULT hr, char out[11]) {
  snprintf(out, 11, "0x%08lx", (unsigned long)hr);
}

char *hcsd_utf8(const wchar_t *text, bool *valid) {
  if (valid != NULL) *valid = true;
  if (text == NULL) return NULL;
  int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text, -1, NULL, 0, NULL, NULL);
  if (n <= 0) {
    if (valid != NULL) *valid = false;
    return NULL;
  }
  char *out = malloc((size_t)n);
  if (out == NULL) hcsd_oom();
  WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, text, -1, out, n, NULL, NULL);
  return out;
}

/* For logging text that may not be valid UTF-16: lone surrogates become U+FFFD. */
static char *utf8_lossy(const wchar_t *text) {
  int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL);
  char *out = malloc(n > 0 ? (size_t)n : 1);
  if (out == NULL) hcsd_oom();
  out[0] = '\0';
  if (n > 0) WideCharToMultiByte(CP_UTF8, 0, text, -1, out, n, NULL, NULL);
  return out;
}

wchar_t *hcsd_wide(const char *text) {
  int n = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0);
  wchar_t *out = malloc(n > 0 ? (size_t)n * sizeof(wchar_t) : sizeof(wchar_t));
  if (out == NULL) hcsd_oom();
  out[0] = L'\0';
  if (n > 0) MultiByteToWideChar(CP_UTF8, 0, text, -1, out, n);
  return out;
}

PWSTR hcsd_local_copy(const wchar_t *text) {
  size_t bytes = (wcslen(text) + 1) * sizeof(wchar_t);
  PWSTR out = LocalAlloc(LMEM_FIXED, bytes);
  if (out == NULL) hcsd_oom();
  memcpy(out, text, bytes);
  return out;
}

void hcsd_random(void *buf, size_t size) {
  if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, buf, (ULONG)size, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
    /* Ids and cookies of a test double need to be unique, not secret: fall back to the clock. */
    LARGE_INTEGER now;
    QueryPerformanceCounter(&now);
    unsigned long long h = hcsd_hash(&now, sizeof now, (unsigned long long)GetCurrentProcessId());
    for (size_t i = 0; i < size; i++) {
      h = hcsd_hash(&i, sizeof i, h);
      ((unsigned char *)buf)[i] = (unsigned char)h;
    }
  }
}

void hcsd_new_guid(char out[37]) {
  unsigned char b[16];
  hcsd_random(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void hcsd_hr_text(HRESULT hr, char *out, size_t out_size) {
  static const struct {
    HRESULT hr;
    const char *text;
  } known[] = {
      {HCS_E_INVALID_JSON, "The virtual machine or container JSON document is invalid."},
      {HCS_E_INVALID_STATE, "The requested virtual machine or container operation is not valid in the current "
                            "state."},
      {HCS_E_UNEXPECTED_EXIT, "The virtual machine or container exited unexpectedly."},
      {HCS_E_SYSTEM_NOT_FOUND, "A virtual machine or container with the specified identifier does not exist."},
      {HCS_E_SYSTEM_ALREADY_EXISTS, "A virtual machine or container with the specified identifier already exists."},
      {HCS_E_SYSTEM_ALREADY_STOPPED, "The virtual machine or container with the specified identifier is not "
                                     "running."},
      {HCS_E_OPERATION_NOT_STARTED, "The operation has not started."},
      {HCS_E_OPERATION_ALREADY_STARTED, "The operation is already running."},
      {HCS_E_OPERATION_PENDING, "The operation is still running."},
      {HCS_E_OPERATION_TIMEOUT, "The operation did not complete in time."},
      {HCS_E_OPERATION_SYSTEM_CALLBACK_ALREADY_SET, "An event callback has already been registered on this "
                                                    "handle."},
      {HCS_E_PROCESS_ALREADY_STOPPED, "The process has already exited."},
      {HCS_E_OPERATION_ALREADY_CANCELLED, "The operation was already cancelled."},
      {E_NOTIMPL, "Not implemented."},
      {E_INVALIDARG, "The parameter is incorrect."},
      {E_HANDLE, "The handle is invalid."},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (known[i].hr == hr) {
      snprintf(out, out_size, "%s", known[i].text);
      return;
    }
  }
  wchar_t text[256];
  DWORD n = FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)hr, 0, text,
                           ARRAYSIZE(text), NULL);
  while (n > 0 && (text[n - 1] == L'\n' || text[n - 1] == L'\r' || text[n - 1] == L' ')) text[--n] = L'\0';
  char *utf8 = n > 0 ? hcsd_utf8(text, NULL) : NULL;
  if (utf8 != NULL) {
    snprintf(out, out_size, "%s", utf8);
  } else {
    snprintf(out, out_size, "Error 0x%08lx.", (unsigned long)hr);
  }
  free(utf8);
}

wchar_t *hcsd_error_doc(HRESULT hr, const char *detail) {
  char text[200], message[1400];
  hcsd_hr_text(hr, text, sizeof text);
  if (detail != NULL && detail[0] != '\0') {
    /* "...is invalid." + ": path: problem" reads better without the first full stop. */
    size_t n = strlen(text);
    if (n > 0 && text[n - 1] == '.') text[n - 1] = '\0';
    snprintf(message, sizeof message, "%s: %s", text, detail);
  } else {
    snprintf(message, sizeof message, "%s", text);
  }
  cJSON *doc = cJSON_CreateObject();
  cJSON *events = cJSON_CreateArray();
  cJSON *event = cJSON_CreateObject();
  if (doc == NULL || events == NULL || event == NULL) hcsd_oom();
  cJSON_AddNumberToObject(doc, "Error", (double)(int32_t)hr);
  cJSON_AddStringToObject(doc, "ErrorMessage", message);
  cJSON_AddStringToObject(event, "Message", message);
  cJSON_AddStringToObject(event, "Source", "wctr-hcs-double");
  cJSON_AddItemToArray(events, event);
  cJSON_AddItemToObject(doc, "ErrorEvents", events);
  char *printed = cJSON_PrintUnformatted(doc);
  if (printed == NULL) hcsd_oom();
  wchar_t *wide = hcsd_wide(printed);
  cJSON_free(printed);
  cJSON_Delete(doc);
  return wide;
}

/* ---- state folder and its lock ---- */

static void create_directories(wchar_t *path) {
  /* Each prefix that ends before a separator, skipping the drive ("C:") or UNC server part. */
  for (wchar_t *p = path + 1; *p != L'\0'; p++) {
    if (*p != L'\\' || p[-1] == L':' || p[-1] == L'\\') continue;
    *p = L'\0';
    CreateDirectoryW(path, NULL);
    *p = L'\\';
  }
  CreateDirectoryW(path, NULL);
}

static void report_error(const char *text) {
  if (g_errors == NULL) g_errors = cJSON_CreateArray();
  if (g_errors == NULL) hcsd_oom();
  cJSON_AddItemToArray(g_errors, cJSON_CreateString(text));
}

static bool is_known_function(const char *name) {
  for (const char *const *const *dll = hcsd_double_functions; *dll != NULL; dll++) {
    for (const char *const *f = *dll; *f != NULL; f++) {
      if (strcmp(*f, name) == 0) return true;
    }
  }
  return false;
}

bool hcsd_id_equal(const char *a, const char *b) {
  for (; *a != '\0' && *b != '\0'; a++, b++) {
    char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
    char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
    if (x != y) return false;
  }
  return *a == *b;
}

/* ITEM = FUNCTION:N:VALUE[:call], N a count from 1 or "*"; VALUE an HRESULT (0x... or a negative
 * decimal) for fail rules, milliseconds for delay rules. */
static void parse_item(rule_set *set, const char *item, bool delay, const char *origin) {
  char buf[160], err[300];
  if (strlen(item) >= sizeof buf) {
    snprintf(err, sizeof err, "%s: rule too long: \"%.60s...\"", origin, item);
    report_error(err);
    return;
  }
  snprintf(buf, sizeof buf, "%s", item);
  char *parts[5] = {0};
  int n = 0;
  for (char *p = buf; n < 5;) {
    parts[n++] = p;
    char *colon = strchr(p, ':');
    if (colon == NULL) break;
    *colon = '\0';
    p = colon + 1;
  }
  bool ok = n == 3 || (n == 4 && !delay && strcmp(parts[3], "call") == 0);
  knob_rule r;
  memset(&r, 0, sizeof r);
  r.delay = delay;
  char *end = NULL;
  if (ok) {
    ok = is_known_function(parts[0]) && strlen(parts[0]) < sizeof r.function;
    if (!ok) {
      snprintf(err, sizeof err, "%s: \"%s\": %s is not a function of the HCS doubles", origin, item, parts[0]);
      report_error(err);
      return;
    }
    snprintf(r.function, sizeof r.function, "%s", parts[0]);
    if (strcmp(parts[1], "*") == 0) {
      r.every = true;
    } else {
      unsigned long nth = strtoul(parts[1], &end, 10);
      ok = end != parts[1] && *end == '\0' && nth >= 1 && nth <= 1000000;
      r.nth = (unsigned)nth;
    }
  }
  if (ok && delay) {
    unsigned long ms = strtoul(parts[2], &end, 10);
    ok = end != parts[2] && *end == '\0' && ms <= 600000;
    r.delay_ms = (DWORD)ms;
  } else if (ok) {
    long long v = strtoll(parts[2], &end, 0);
    ok = end != parts[2] && *end == '\0' && v >= INT32_MIN && v <= (long long)UINT32_MAX;
    r.fail = (HRESULT)(uint32_t)v;
    ok = ok && FAILED(r.fail);
    r.sync = n == 4;
  }
  if (!ok) {
    snprintf(err, sizeof err, "%s: \"%s\": expected %s", origin, item,
             delay ? "FUNCTION:N:MILLISECONDS (N a count from 1, or *)"
                   : "FUNCTION:N:HRESULT[:call] (N a count from 1, or *; HRESULT a failure code)");
    report_error(err);
    return;
  }
  if (set->count == MAX_RULES) {
    snprintf(err, sizeof err, "%s: more than %d rules", origin, MAX_RULES);
    report_error(err);
    return;
  }
  set->rules[set->count++] = r;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = '\0';
  return s;
}

/* Items separated by ';' (an environment variable). */
static void parse_list(rule_set *set, const wchar_t *var, bool delay) {
  wchar_t value[4096];
  DWORD n = GetEnvironmentVariableW(var, value, ARRAYSIZE(value));
  if (n == 0) return;
  char origin[64];
  snprintf(origin, sizeof origin, "%ls", var);
  if (n >= ARRAYSIZE(value)) {
    char err[128];
    snprintf(err, sizeof err, "%s: longer than %u characters, ignored", origin, (unsigned)ARRAYSIZE(value));
    report_error(err);
    return;
  }
  char *text = hcsd_utf8(value, NULL);
  if (text == NULL) return;
  char *save = NULL;
  for (char *item = strtok_r(text, ";", &save); item != NULL; item = strtok_r(NULL, ";", &save)) {
    item = trim(item);
    if (*item != '\0') parse_item(set, item, delay, origin);
  }
  free(text);
}

void (*hcsd_on_crash)(const char *id);

/* The control file: lines "fail ITEM", "delay ITEM" or "crash ID", '#' comments. */
static void parse_control(rule_set *set, char *text) {
  set->count = 0;
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
    char *hash = strchr(line, '#');
    if (hash != NULL) *hash = '\0';
    line = trim(line);
    if (*line == '\0') continue;
    if (strncmp(line, "fail ", 5) == 0) {
      parse_item(set, trim(line + 5), false, "control.txt");
    } else if (strncmp(line, "delay ", 6) == 0) {
      parse_item(set, trim(line + 6), true, "control.txt");
    } else if (strncmp(line, "crash ", 6) == 0) {
      /* Only computecore.dll runs compute systems; the other doubles read the same file and skip it. */
      if (hcsd_on_crash != NULL) hcsd_on_crash(trim(line + 6));
    } else {
      char err[200];
      snprintf(err, sizeof err, "control.txt: \"%.120s\": expected \"fail ITEM\", \"delay ITEM\" or \"crash ID\"", line);
      report_error(err);
    }
  }
}

static BOOL CALLBACK init_once(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once;
  (void)param;
  (void)ctx;
  wchar_t raw[MAX_PATH];
  DWORD n = GetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", raw, ARRAYSIZE(raw));
  if (n == 0 || n >= ARRAYSIZE(raw)) {
    DWORD t = GetTempPathW(ARRAYSIZE(raw), raw);
    if (t == 0 || t + 20 >= ARRAYSIZE(raw)) wcscpy_s(raw, ARRAYSIZE(raw), L"C:\\");
    wcscat_s(raw, ARRAYSIZE(raw), L"\\wctr-hcs-double");
  }
  if (GetFullPathNameW(raw, ARRAYSIZE(g_state_dir), g_state_dir, NULL) == 0) {
    wcscpy_s(g_state_dir, ARRAYSIZE(g_state_dir), raw);
  }
  size_t len = wcslen(g_state_dir);
  while (len > 3 && g_state_dir[len - 1] == L'\\') g_state_dir[--len] = L'\0';
  create_directories(g_state_dir);

  /* One mutex per folder, whatever the case of its path's letters: named after a hash of the
   * upper-cased full path (object names cannot hold backslashes). */
  wchar_t upper[MAX_PATH];
  wcscpy_s(upper, ARRAYSIZE(upper), g_state_dir);
  for (wchar_t *p = upper; *p != L'\0'; p++) {
    if (*p >= L'a' && *p <= L'z') *p = (wchar_t)(*p - L'a' + L'A');
  }
  wchar_t name[80];
  swprintf(name, ARRAYSIZE(name), L"Local\\wctr-hcs-double-%016llx",
           hcsd_hash(upper, wcslen(upper) * sizeof(wchar_t), 0));
  g_files_mutex = CreateMutexW(NULL, FALSE, name);
  if (g_files_mutex == NULL) hcsd_oom();

  parse_list(&g_env_rules, L"WCTR_HCS_DOUBLE_FAIL", false);
  parse_list(&g_env_rules, L"WCTR_HCS_DOUBLE_DELAY", true);
  return TRUE;
}

void hcsd_init(void) {
  InitOnceExecuteOnce(&g_init, init_once, NULL, NULL);
}

const wchar_t *hcsd_state_dir(void) {
  hcsd_init();
  return g_state_dir;
}

bool hcsd_state_file(const wchar_t *name, wchar_t *out, size_t out_len) {
  hcsd_init();
  int n = swprintf(out, out_len, L"%ls\\%ls", g_state_dir, name);
  return n > 0 && (size_t)n < out_len;
}

void hcsd_files_lock(void) {
  hcsd_init();
  /* WAIT_ABANDONED: a process died holding it; the files are still whole because every writer
   * replaces state.json atomically and appends whole lines. */
  WaitForSingleObject(g_files_mutex, INFINITE);
}

void hcsd_files_unlock(void) {
  ReleaseMutex(g_files_mutex);
}

/* Reads the control file; when its text changed since the last call, its rules are parsed afresh
 * (their counts start again at zero). Called with g_knob_lock held. */
static void reload_control(void) {
  wchar_t path[MAX_PATH + 32];
  char *text = NULL;
  if (!hcsd_state_file(L"control.txt", path, ARRAYSIZE(path))) return;
  HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f != INVALID_HANDLE_VALUE) {
    LARGE_INTEGER size;
    if (GetFileSizeEx(f, &size) && size.QuadPart < 65536) {
      text = malloc((size_t)size.QuadPart + 1);
      if (text == NULL) hcsd_oom();
      DWORD got = 0;
      if (!ReadFile(f, text, (DWORD)size.QuadPart, &got, NULL)) got = 0;
      text[got] = '\0';
    }
    CloseHandle(f);
  }
  bool same = (text == NULL && g_control_text == NULL) ||
              (text != NULL && g_control_text != NULL && strcmp(text, g_control_text) == 0);
  if (same) {
    free(text);
    return;
  }
  free(g_control_text);
  g_control_text = text;
  g_file_rules.count = 0;
  if (text != NULL) {
    char *copy = _strdup(text);
    if (copy == NULL) hcsd_oom();
    parse_control(&g_file_rules, copy);
    free(copy);
  }
}

static void apply_rules(rule_set *set, const char *name, hcsd_knob *knob) {
  for (size_t i = 0; i < set->count; i++) {
    knob_rule *r = &set->rules[i];
    if (strcmp(r->function, name) != 0) continue;
    r->count++;
    if (!r->every && r->count != r->nth) continue;
    if (r->delay && knob->delay_ms == 0) {
      knob->delay_ms = r->delay_ms;
    } else if (!r->delay && knob->fail == S_OK) {
      knob->fail = r->fail;
      knob->fail_sync = r->sync;
    }
  }
}

void hcsd_log_line(const cJSON *line) {
  wchar_t path[MAX_PATH + 32];
  char *text = cJSON_PrintUnformatted(line);
  if (text == NULL) hcsd_oom();
  size_t len = strlen(text);
  char *buf = malloc(len + 2);
  if (buf == NULL) hcsd_oom();
  memcpy(buf, text, len);
  buf[len] = '\n';
  cJSON_free(text);
  if (hcsd_state_file(L"calls.jsonl", path, ARRAYSIZE(path))) {
    hcsd_files_lock();
    /* FILE_APPEND_DATA without FILE_WRITE_DATA: every write lands at the end, so lines of several
     * processes never overwrite each other. */
    HANDLE f = CreateFileW(path, FILE_APPEND_DATA, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (f != INVALID_HANDLE_VALUE) {
      DWORD written;
      WriteFile(f, buf, (DWORD)(len + 1), &written, NULL);
      CloseHandle(f);
    }
    hcsd_files_unlock();
  }
  free(buf);
}

void hcsd_call(const char *name, cJSON *fields, hcsd_knob *knob) {
  hcsd_init();
  memset(knob, 0, sizeof *knob);
  cJSON *errors = NULL;
  AcquireSRWLockExclusive(&g_knob_lock);
  reload_control();
  apply_rules(&g_env_rules, name, knob);
  apply_rules(&g_file_rules, name, knob);
  errors = g_errors;
  g_errors = NULL;
  ReleaseSRWLockExclusive(&g_knob_lock);

  /* A rule the double could not read is a broken test: say so in the log, where tests look. */
  for (cJSON *e = errors != NULL ? errors->child : NULL; e != NULL; e = e->next) {
    cJSON *line = cJSON_CreateObject();
    if (line == NULL) hcsd_oom();
    cJSON_AddStringToObject(line, "call", "(knobs)");
    cJSON_AddNumberToObject(line, "pid", (double)GetCurrentProcessId());
    cJSON_AddStringToObject(line, "error", e->valuestring);
    hcsd_log_line(line);
    cJSON_Delete(line);
  }
  cJSON_Delete(errors);

  cJSON *line = cJSON_CreateObject();
  if (line == NULL) hcsd_oom();
  cJSON_AddStringToObject(line, "call", name);
  cJSON_AddNumberToObject(line, "pid", (double)GetCurrentProcessId());
  if (fields != NULL) {
    while (fields->child != NULL) {
      cJSON *item = cJSON_DetachItemViaPointer(fields, fields->child);
      cJSON_AddItemToObject(line, item->string, item);
    }
    cJSON_Delete(fields);
  }
  if (knob->fail != S_OK) {
    char hr[11];
    hcsd_hr_string(knob->fail, hr);
    cJSON_AddStringToObject(line, "injected", hr);
  }
  if (knob->delay_ms != 0) cJSON_AddNumberToObject(line, "delayMs", (double)knob->delay_ms);
  hcsd_log_line(line);
  cJSON_Delete(line);
}

void hcsd_add_document(cJSON *fields, const char *key, const wchar_t *text) {
  if (text == NULL) return;
  char *utf8 = utf8_lossy(text);
  cJSON *doc = text[0] != L'\0' ? cJSON_ParseWithOpts(utf8, NULL, 1) : NULL;
  if (doc != NULL) {
    cJSON_AddItemToObject(fields, key, doc);
  } else {
    char textkey[64];
    snprintf(textkey, sizeof textkey, "%sText", key);
    cJSON_AddStringToObject(fields, textkey, utf8);
  }
  free(utf8);
}

void hcsd_add_string(cJSON *fields, const char *key, const wchar_t *text) {
  if (text == NULL) return;
  char *utf8 = utf8_lossy(text);
  cJSON_AddStringToObject(fields, key, utf8);
  free(utf8);
}
