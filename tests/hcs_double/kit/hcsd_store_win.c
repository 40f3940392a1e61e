/* tests/hcs_double/kit/hcsd_store_win.c - state.json in the state folder (hcsd_kit.h): what the emulated
 * services keep while their clients come and go - compute systems, Container Credential Guard instances,
 * mounted layers, VM access grants, and what later doubles add - as {"<Section>": [records with "Id"]}.
 *
 * Every change is a read-modify-write of the whole file under the state folder's mutex, replacing the file
 * atomically, so that a second process (a restarted wctrd, another DLL of the doubles) sees either the old
 * or the new content and changes of several processes are merged by record. */
#include "hcsd_kit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole state, or an empty object. With the folder's mutex held. */
static cJSON *load(void) {
  wchar_t path[MAX_PATH + 32];
  cJSON *state = NULL;
  if (hcsd_state_file(L"state.json", path, ARRAYSIZE(path))) {
    HANDLE f = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (f != INVALID_HANDLE_VALUE) {
      LARGE_INTEGER size;
      if (GetFileSizeEx(f, &size) && size.QuadPart < 64 * 1024 * 1024) {
        char *text = malloc((size_t)size.QuadPart + 1);
        if (text == NULL) hcsd_oom();
        DWORD got = 0;
        if (!ReadFile(f, text, (DWORD)size.QuadPart, &got, NULL)) got = 0;
        text[got] = '\0';
        state = cJSON_Parse(text);
        free(text);
      }
      CloseHandle(f);
      if (!cJSON_IsObject(state)) {
        /* Keep what cannot be read for whoever investigates, and start afresh. */
        wchar_t aside[MAX_PATH + 64];
        swprintf(aside, ARRAYSIZE(aside), L"%ls.unreadable-%llu", path, (unsigned long long)GetTickCount64());
        MoveFileExW(path, aside, MOVEFILE_REPLACE_EXISTING);
        cJSON_Delete(state);
        state = NULL;
      }
    }
  }
  if (state == NULL) state = cJSON_CreateObject();
  if (state == NULL) hcsd_oom();
  /* Every member is a section: an array. Anything else was not written by a double. */
  for (cJSON *m = state->child; m != NULL;) {
    cJSON *next = m->next;
    if (!cJSON_IsArray(m)) cJSON_Delete(cJSON_DetachItemViaPointer(state, m));
    m = next;
  }
  return state;
}

static void save(cJSON *state) {
  wchar_t path[MAX_PATH + 32], tmp[MAX_PATH + 48];
  if (!hcsd_state_file(L"state.json", path, ARRAYSIZE(path))) return;
  swprintf(tmp, ARRAYSIZE(tmp), L"%ls.%lu.tmp", path, (unsigned long)GetCurrentProcessId());
  char *text = cJSON_Print(state);
  if (text == NULL) hcsd_oom();
  HANDLE f = CreateFileW(tmp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  if (f != INVALID_HANDLE_VALUE) {
    DWORD written = 0;
    BOOL ok = WriteFile(f, text, (DWORD)strlen(text), &written, NULL) && FlushFileBuffers(f);
    CloseHandle(f);
    if (ok) {
      MoveFileExW(tmp, path, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH);
    } else {
      DeleteFileW(tmp);
    }
  }
  cJSON_free(text);
}

cJSON *hcsd_store_find(cJSON *array, const char *id) {
  for (cJSON *e = array != NULL ? array->child : NULL; e != NULL; e = e->next) {
    const cJSON *eid = cJSON_GetObjectItemCaseSensitive(e, "Id");
    if (cJSON_IsString(eid) && hcsd_id_equal(eid->valuestring, id)) return e;
  }
  return NULL;
}

cJSON *hcsd_store_section(cJSON *state, const char *section) {
  cJSON *array = cJSON_GetObjectItemCaseSensitive(state, section);
  if (array == NULL) {
    array = cJSON_AddArrayToObject(state, section);
    if (array == NULL) hcsd_oom();
  }
  return array;
}

void hcsd_store_edit(bool (*fn)(cJSON *state, void *ctx), void *ctx) {
  hcsd_files_lock();
  cJSON *state = load();
  if (fn(state, ctx)) save(state);
  hcsd_files_unlock();
  cJSON_Delete(state);
}

typedef struct record_edit {
  const char *section;
  const char *id;
  const cJSON *record; /* put / add */
  bool replace;        /* put: replace an existing one */
  bool done;           /* add: added; remove: removed */
  cJSON *copy;         /* get: the copy; list: the array */
} record_edit;

static bool put_fn(cJSON *state, void *ctx) {
  record_edit *r = ctx;
  cJSON *array = hcsd_store_section(state, r->section);
  cJSON *old = hcsd_store_find(array, r->id);
  if (old != NULL && !r->replace) return false;
  cJSON *copy = cJSON_Duplicate(r->record, 1);
  if (copy == NULL) hcsd_oom();
  if (old != NULL) {
    cJSON_ReplaceItemViaPointer(array, old, copy);
  } else {
    cJSON_AddItemToArray(array, copy);
  }
  r->done = true;
  return true;
}

static const char *record_id(const cJSON *record) {
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(record, "Id");
  return cJSON_IsString(id) ? id->valuestring : NULL;
}

void hcsd_store_put(const char *section, const cJSON *record) {
  record_edit r = {.section = section, .id = record_id(record), .record = record, .replace = true};
  if (r.id != NULL) hcsd_store_edit(put_fn, &r);
}

bool hcsd_store_add(const char *section, const cJSON *record) {
  record_edit r = {.section = section, .id = record_id(record), .record = record, .replace = false};
  if (r.id != NULL) hcsd_store_edit(put_fn, &r);
  return r.done;
}

static bool remove_fn(cJSON *state, void *ctx) {
  record_edit *r = ctx;
  cJSON *array = cJSON_GetObjectItemCaseSensitive(state, r->section);
  cJSON *old = hcsd_store_find(array, r->id);
  if (old == NULL) return false;
  cJSON_Delete(cJSON_DetachItemViaPointer(array, old));
  r->done = true;
  return true;
}

bool hcsd_store_remove(const char *section, const char *id) {
  record_edit r = {.section = section, .id = id};
  hcsd_store_edit(remove_fn, &r);
  return r.done;
}

static bool get_fn(cJSON *state, void *ctx) {
  record_edit *r = ctx;
  cJSON *found = hcsd_store_find(cJSON_GetObjectItemCaseSensitive(state, r->section), r->id);
  r->copy = found != NULL ? cJSON_Duplicate(found, 1) : NULL;
  if (found != NULL && r->copy == NULL) hcsd_oom();
  return false;
}

cJSON *hcsd_store_get(const char *section, const char *id) {
  record_edit r = {.section = section, .id = id};
  hcsd_store_edit(get_fn, &r);
  return r.copy;
}

static bool list_fn(cJSON *state, void *ctx) {
  record_edit *r = ctx;
  cJSON *array = cJSON_GetObjectItemCaseSensitive(state, r->section);
  r->copy = array != NULL ? cJSON_Duplicate(array, 1) : cJSON_CreateArray();
  if (r->copy == NULL) hcsd_oom();
  return false;
}

cJSON *hcsd_store_list(const char *section) {
  record_edit r = {.section = section};
  hcsd_store_edit(list_fn, &r);
  return r.copy;
}
