/* tests/hcs_double/hcsd_store_win.c - state.json in the state folder: compute systems and Container
 * Credential Guard instances that outlive the process that made them, as they outlive a client of
 * the real HCS.
 *
 * {"Systems":[{"Id","State","Owner","SystemType",...,"Configuration"}],"CcgInstances":[{...}]}
 *
 * Every change is a read-modify-write of the whole file under the state folder's mutex, replacing
 * the file atomically, so that a second process (a restarted wctrd, computestorage.dll) sees either
 * the old or the new content and changes of several processes are merged by record. */
#include "hcsd_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(state, "Systems"))) {
    cJSON_DeleteItemFromObjectCaseSensitive(state, "Systems");
    cJSON_AddItemToObject(state, "Systems", cJSON_CreateArray());
  }
  if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(state, "CcgInstances"))) {
    cJSON_DeleteItemFromObjectCaseSensitive(state, "CcgInstances");
    cJSON_AddItemToObject(state, "CcgInstances", cJSON_CreateArray());
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

/* The element of array whose "Id" equals id (case-insensitively), or NULL. */
static cJSON *find_by_id(cJSON *array, const char *id) {
  for (cJSON *e = array->child; e != NULL; e = e->next) {
    const cJSON *eid = cJSON_GetObjectItemCaseSensitive(e, "Id");
    if (cJSON_IsString(eid) && hcsd_id_equal(eid->valuestring, id)) return e;
  }
  return NULL;
}

void hcsd_store_put_system(const cJSON *record) {
  const char *id = cJSON_GetObjectItemCaseSensitive(record, "Id")->valuestring;
  cJSON *copy = cJSON_Duplicate(record, 1);
  if (copy == NULL) hcsd_oom();
  hcsd_files_lock();
  cJSON *state = load();
  cJSON *systems = cJSON_GetObjectItemCaseSensitive(state, "Systems");
  cJSON *old = find_by_id(systems, id);
  if (old != NULL) {
    cJSON_ReplaceItemViaPointer(systems, old, copy);
  } else {
    cJSON_AddItemToArray(systems, copy);
  }
  save(state);
  hcsd_files_unlock();
  cJSON_Delete(state);
}

void hcsd_store_remove_system(const char *id) {
  hcsd_files_lock();
  cJSON *state = load();
  cJSON *systems = cJSON_GetObjectItemCaseSensitive(state, "Systems");
  cJSON *old = find_by_id(systems, id);
  if (old != NULL) {
    cJSON_Delete(cJSON_DetachItemViaPointer(systems, old));
    save(state);
  }
  hcsd_files_unlock();
  cJSON_Delete(state);
}

cJSON *hcsd_store_get_system(const char *id) {
  hcsd_files_lock();
  cJSON *state = load();
  hcsd_files_unlock();
  cJSON *found = find_by_id(cJSON_GetObjectItemCaseSensitive(state, "Systems"), id);
  cJSON *copy = found != NULL ? cJSON_Duplicate(found, 1) : NULL;
  cJSON_Delete(state);
  return copy;
}

cJSON *hcsd_store_ccg_list(void) {
  hcsd_files_lock();
  cJSON *state = load();
  hcsd_files_unlock();
  cJSON *list = cJSON_DetachItemFromObjectCaseSensitive(state, "CcgInstances");
  cJSON_Delete(state);
  return list;
}

bool hcsd_store_ccg_add(const cJSON *instance) {
  const char *id = cJSON_GetObjectItemCaseSensitive(instance, "Id")->valuestring;
  hcsd_files_lock();
  cJSON *state = load();
  cJSON *list = cJSON_GetObjectItemCaseSensitive(state, "CcgInstances");
  bool added = find_by_id(list, id) == NULL;
  if (added) {
    cJSON *copy = cJSON_Duplicate(instance, 1);
    if (copy == NULL) hcsd_oom();
    cJSON_AddItemToArray(list, copy);
    save(state);
  }
  hcsd_files_unlock();
  cJSON_Delete(state);
  return added;
}

bool hcsd_store_ccg_remove(const char *id) {
  hcsd_files_lock();
  cJSON *state = load();
  cJSON *list = cJSON_GetObjectItemCaseSensitive(state, "CcgInstances");
  cJSON *old = find_by_id(list, id);
  bool removed = old != NULL;
  if (removed) {
    cJSON_Delete(cJSON_DetachItemViaPointer(list, old));
    save(state);
  }
  hcsd_files_unlock();
  cJSON_Delete(state);
  return removed;
}
