/* cli/credentials_win.c - registry credentials, DPAPI for the current user. Contract: cli/credentials.h. */
#include <windows.h>

#include <dpapi.h>
#include <knownfolders.h>
#include <shlobj.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/credentials.h"
#include "common/wstr.h"

static wctr_err file_for(const char *server, wchar_t *out, size_t size, bool create, wctr_errmsg *e) {
  wchar_t *base = NULL;
  if (FAILED(SHGetKnownFolderPath(&FOLDERID_LocalAppData, 0, NULL, &base))) {
    if (base != NULL) CoTaskMemFree(base);
    return wctr_fail(e, WCTR_ESYSTEM, "cannot find this user's %%LOCALAPPDATA%%");
  }
  wchar_t dir[MAX_PATH];
  _snwprintf(dir, MAX_PATH, L"%ls\\wctr", base);
  dir[MAX_PATH - 1] = L'\0';
  if (create) CreateDirectoryW(dir, NULL);
  _snwprintf(dir, MAX_PATH, L"%ls\\wctr\\registries", base);
  dir[MAX_PATH - 1] = L'\0';
  CoTaskMemFree(base);
  if (create) CreateDirectoryW(dir, NULL);
  wchar_t hex[2 * 256 + 1];
  size_t n = strlen(server);
  if (n == 0 || n > 255) return wctr_fail(e, WCTR_EINVAL, "the registry name is empty or too long");
  for (size_t i = 0; i < n; i++) _snwprintf(hex + 2 * i, 3, L"%02x", (unsigned char)server[i]);
  hex[2 * n] = L'\0';
  _snwprintf(out, size, L"%ls\\%ls.dpapi", dir, hex);
  out[size - 1] = L'\0';
  return WCTR_OK;
}

static DATA_BLOB entropy_for(const char *server, char *buf, size_t size) {
  int n = snprintf(buf, size, "wctr registry credentials for %s", server);
  return (DATA_BLOB){.cbData = (DWORD)n, .pbData = (BYTE *)buf};
}

wctr_err cli_credentials_store(const char *server, const char *user, const char *password, wctr_errmsg *e) {
  wchar_t path[MAX_PATH];
  wctr_err err = file_for(server, path, MAX_PATH, true, e);
  if (err != WCTR_OK) return err;
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "Username", user);
  cJSON_AddStringToObject(doc, "Password", password);
  char *text = cJSON_PrintUnformatted(doc);
  cJSON *pw = cJSON_GetObjectItemCaseSensitive(doc, "Password");
  if (cJSON_IsString(pw)) SecureZeroMemory(pw->valuestring, strlen(pw->valuestring));
  cJSON_Delete(doc);
  if (text == NULL) return wctr_fail(e, WCTR_ENOMEM, "out of memory");
  char ebuf[320];
  DATA_BLOB entropy = entropy_for(server, ebuf, sizeof ebuf);
  DATA_BLOB in = {.cbData = (DWORD)strlen(text), .pbData = (BYTE *)text};
  DATA_BLOB out = {0};
  BOOL ok = CryptProtectData(&in, L"wctr registry credentials", &entropy, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out);
  SecureZeroMemory(text, strlen(text));
  cJSON_free(text);
  if (!ok) return wctr_fail(e, WCTR_ESYSTEM, "DPAPI cannot encrypt the credentials (error %lu)", (unsigned long)GetLastError());
  HANDLE h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  DWORD written = 0;
  bool wrote = h != INVALID_HANDLE_VALUE && WriteFile(h, out.pbData, out.cbData, &written, NULL) && written == out.cbData;
  if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
  LocalFree(out.pbData);
  if (!wrote) {
    DeleteFileW(path);
    return wctr_fail(e, WCTR_EIO, "cannot write the credentials file under %%LOCALAPPDATA%%\\wctr\\registries");
  }
  return WCTR_OK;
}

wctr_err cli_credentials_load(const char *server, char **user, char **password, wctr_errmsg *e) {
  *user = *password = NULL;
  wchar_t path[MAX_PATH];
  wctr_err err = file_for(server, path, MAX_PATH, false, e);
  if (err != WCTR_OK) return err;
  HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h == INVALID_HANDLE_VALUE) return wctr_fail(e, WCTR_ENOENT, "not logged in to %s", server);
  BYTE buf[16384];
  DWORD got = 0;
  BOOL read = ReadFile(h, buf, sizeof buf, &got, NULL);
  CloseHandle(h);
  if (!read || got == 0) return wctr_fail(e, WCTR_EIO, "the credentials for %s cannot be read", server);
  char ebuf[320];
  DATA_BLOB entropy = entropy_for(server, ebuf, sizeof ebuf);
  DATA_BLOB in = {.cbData = got, .pbData = buf};
  DATA_BLOB out = {0};
  if (!CryptUnprotectData(&in, NULL, &entropy, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out)) {
    return wctr_fail(e, WCTR_EACCES, "the credentials for %s cannot be decrypted by this user; run 'wctr login %s' again",
                     server, server);
  }
  cJSON *doc = cJSON_ParseWithLength((const char *)out.pbData, out.cbData);
  SecureZeroMemory(out.pbData, out.cbData);
  LocalFree(out.pbData);
  const cJSON *u = cJSON_GetObjectItemCaseSensitive(doc, "Username");
  cJSON *p = cJSON_GetObjectItemCaseSensitive(doc, "Password");
  if (cJSON_IsString(u) && cJSON_IsString(p)) {
    *user = _strdup(u->valuestring);
    *password = _strdup(p->valuestring);
  }
  if (cJSON_IsString(p)) SecureZeroMemory(p->valuestring, strlen(p->valuestring));
  cJSON_Delete(doc);
  if (*user == NULL || *password == NULL) {
    free(*user);
    if (*password != NULL) {
      SecureZeroMemory(*password, strlen(*password));
      free(*password);
    }
    *user = *password = NULL;
    return wctr_fail(e, WCTR_EIO, "the credentials for %s are damaged; run 'wctr login %s' again", server, server);
  }
  return WCTR_OK;
}

wctr_err cli_credentials_erase(const char *server, wctr_errmsg *e) {
  wchar_t path[MAX_PATH];
  wctr_err err = file_for(server, path, MAX_PATH, false, e);
  if (err != WCTR_OK) return err;
  if (DeleteFileW(path)) return WCTR_OK;
  DWORD code = GetLastError();
  if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) return wctr_fail(e, WCTR_ENOENT, "not logged in to %s", server);
  return wctr_fail(e, WCTR_EIO, "cannot remove the credentials for %s (error %lu)", server, (unsigned long)code);
}
