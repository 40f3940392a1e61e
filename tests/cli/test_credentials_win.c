/* tests/cli/test_credentials_win.c - registry credentials at rest (cli/credentials.h): DPAPI for the user,
 * one file per registry under %LOCALAPPDATA%\wctr\registries, neither the user name nor the password in it
 * as text, a file copied under another registry's name useless (the entropy names the registry), logout
 * removes it. Windows only (Wine's DPAPI). The registry names are the run's own and removed at the end. */
#include <windows.h>

#include <knownfolders.h>
#include <shlobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/credentials.h"
#include "testutil.h"

static char server[128], other[128];

static void file_of(const char *name, wchar_t *out, size_t size) {
  wchar_t *base = NULL;
  assert_true(SUCCEEDED(SHGetKnownFolderPath(&FOLDERID_LocalAppData, 0, NULL, &base)));
  wchar_t hex[300];
  size_t n = strlen(name);
  for (size_t i = 0; i < n; i++) _snwprintf(hex + 2 * i, 3, L"%02x", (unsigned char)name[i]);
  hex[2 * n] = L'\0';
  _snwprintf(out, size, L"%ls\\wctr\\registries\\%ls.dpapi", base, hex);
  out[size - 1] = L'\0';
  CoTaskMemFree(base);
}

static bool has_bytes(const char *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++) {
    if (memcmp(hay + i, needle, k) == 0) return true;
  }
  return false;
}

static int teardown(void **state) {
  (void)state;
  wchar_t p[MAX_PATH];
  file_of(server, p, MAX_PATH);
  DeleteFileW(p);
  file_of(other, p, MAX_PATH);
  DeleteFileW(p);
  return 0;
}

static void test_round_trip_encrypted_at_rest(void **state) {
  (void)state;
  char *user = NULL, *password = NULL;
  wctr_errmsg e;
  assert_int_equal(cli_credentials_load(server, &user, &password, &e), WCTR_ENOENT);
  assert_int_equal(cli_credentials_store(server, "alice-the-user", "s3cret-Pa55word", &e), WCTR_OK);
  wchar_t path[MAX_PATH];
  file_of(server, path, MAX_PATH);
  HANDLE h = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
  assert_true(h != INVALID_HANDLE_VALUE);
  char bytes[16384];
  DWORD got = 0;
  assert_true(ReadFile(h, bytes, sizeof bytes, &got, NULL));
  CloseHandle(h);
  assert_true(got > 0);
  assert_false(has_bytes(bytes, got, "s3cret-Pa55word"));
  assert_false(has_bytes(bytes, got, "alice-the-user"));
  assert_false(has_bytes(bytes, got, "Password"));
  assert_int_equal(cli_credentials_load(server, &user, &password, &e), WCTR_OK);
  assert_string_equal(user, "alice-the-user");
  assert_string_equal(password, "s3cret-Pa55word");
  free(user);
  free(password);
  /* a new login replaces the old one */
  assert_int_equal(cli_credentials_store(server, "bob", "other-pw", &e), WCTR_OK);
  assert_int_equal(cli_credentials_load(server, &user, &password, &e), WCTR_OK);
  assert_string_equal(user, "bob");
  assert_string_equal(password, "other-pw");
  free(user);
  free(password);
  /* the same bytes under another registry's name do not decrypt, and the message holds no secret */
  wchar_t copy[MAX_PATH];
  file_of(other, copy, MAX_PATH);
  assert_true(CopyFileW(path, copy, FALSE));
  assert_int_equal(cli_credentials_load(other, &user, &password, &e), WCTR_EACCES);
  assert_null(user);
  assert_null(password);
  assert_non_null(strstr(e.text, "cannot be decrypted by this user"));
  assert_null(strstr(e.text, "other-pw"));
  /* logout */
  assert_int_equal(cli_credentials_erase(server, &e), WCTR_OK);
  assert_int_equal(GetFileAttributesW(path), INVALID_FILE_ATTRIBUTES);
  assert_int_equal(cli_credentials_load(server, &user, &password, &e), WCTR_ENOENT);
  assert_int_equal(cli_credentials_erase(server, &e), WCTR_ENOENT);
  assert_int_equal(cli_credentials_store("", "u", "p", &e), WCTR_EINVAL);
}

int main(void) {
  char unique[96];
  wctr_test_unique_name("wctr-cred", unique, sizeof unique);
  snprintf(server, sizeof server, "%s.invalid:5000", unique);
  snprintf(other, sizeof other, "%s.other.invalid", unique);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_round_trip_encrypted_at_rest, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
