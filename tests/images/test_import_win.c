/* tests/images/test_import_win.c - the Windows layer importer under Wine: wctrd's production importer
 * (service/layer_import.h: images/wcimport.h over hcs/client.h) against the HCS double's vmcompute.dll, copied
 * next to this executable, with BackupWrite (a stub in Wine) replaced by the strict stand-in of
 * backup_double.h. Generated layers in the Windows layer format (tarw.c): a base layer (PAX records, a
 * security descriptor, extended attributes, an alternate data stream, a junction, a symbolic link, a hard
 * link, Hives, a utility VM), a layer over it (whiteout, hard links to itself and to its parent, a junction,
 * a hive), a third over both; then every refusal on hostile layers, a layer whose diff id does not match, a
 * failing vmcompute call - each leaving nothing behind. */
#include <windows.h>

#include "backup_double.h"
#include "common/fs.h"
#include "common/wstr.h"
#include "hcs/client.h"
#include "images/digest.h"
#include "images/manifest.h"
#include "images/wcimport.h"
#include "images_test.h"
#include "service/layer_import.h"
#include "tarw.h"

#define ATTR_DIR 0x10u
#define ATTR_ARCHIVE 0x20u
#define ATTR_HIDDEN 0x2u
#define ATTR_REPARSE 0x400u
#define MT_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_TAR "application/vnd.oci.image.layer.v1.tar"

static char g_root[MAX_PATH * 3];
static char g_state[MAX_PATH * 3];
static svc_layer_import *g_li;
static const img_importer *g_imp;
static int g_blob_count;

/* --- setup ------------------------------------------------------------------------------------------------- */

static void exe_dir(wchar_t *out, size_t size) {
  GetModuleFileNameW(NULL, out, (DWORD)size);
  wchar_t *slash = wcsrchr(out, L'\\');
  if (slash != NULL) slash[1] = L'\0';
}

/* hcs/client.h loads computecore.dll and vmcompute.dll from the executable's folder first. */
static void place_double(void) {
  wchar_t here[MAX_PATH], from[MAX_PATH];
  exe_dir(here, MAX_PATH);
  wctr_test_native_path(HCSD_DLL_DIR, from, MAX_PATH);
  static const wchar_t *const dlls[] = {L"computecore.dll", L"vmcompute.dll"};
  for (int i = 0; i < 2; i++) {
    wchar_t src[MAX_PATH], dst[MAX_PATH];
    swprintf(src, MAX_PATH, L"%ls\\%ls", from, dlls[i]);
    swprintf(dst, MAX_PATH, L"%ls%ls", here, dlls[i]);
    if (!CopyFileW(src, dst, FALSE)) {
      fprintf(stderr, "cannot copy %ls to %ls (error %lu)\n", src, dst, (unsigned long)GetLastError());
      exit(1);
    }
  }
}

static int setup(void **state) {
  (void)state;
  place_double();
  wchar_t temp[MAX_PATH];
  GetTempPathW(MAX_PATH, temp);
  char temp8[MAX_PATH * 3], unique[80];
  WideCharToMultiByte(CP_UTF8, 0, temp, -1, temp8, sizeof temp8, NULL, NULL);
  wctr_test_unique_name("wctr-import", unique, sizeof unique);
  snprintf(g_root, sizeof g_root, "%s%s", temp8, unique);
  snprintf(g_state, sizeof g_state, "%s\\hcs-state", g_root);
  wctr_errmsg e;
  assert_int_equal(wctr_fs_mkdir(g_root, &e), WCTR_OK);
  char layers[MAX_PATH * 3];
  snprintf(layers, sizeof layers, "%s\\layers", g_root);
  assert_int_equal(wctr_fs_mkdir(layers, &e), WCTR_OK);
  wchar_t *wstate = wctr_utf8_to_wide(g_state);
  SetEnvironmentVariableW(L"WCTR_HCS_DOUBLE_STATE", wstate); /* read when the double loads */
  free(wstate);
  bd_install(true);
  assert_int_equal(svc_layer_import_open(&g_li, &e), WCTR_OK);
  g_imp = svc_layer_import_importer(g_li);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  svc_layer_import_close(g_li);
  wctr_errmsg e;
  wctr_fs_remove_tree(g_root, &e);
  return 0;
}

/* --- helpers ----------------------------------------------------------------------------------------------- */

static void path_of(const char *rel, char *out, size_t size) { snprintf(out, size, "%s\\%s", g_root, rel); }

static bool exists(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  DWORD a = GetFileAttributesW(w);
  free(w);
  return a != INVALID_FILE_ATTRIBUTES;
}

static char *text_of(const char *path) {
  char *text = NULL;
  size_t len = 0;
  if (wctr_fs_read_all(path, 1 << 20, &text, &len) != WCTR_OK) return NULL;
  return text;
}

static DWORD attributes(const char *path) {
  wchar_t *w = wctr_utf8_to_wide(path);
  DWORD a = GetFileAttributesW(w);
  free(w);
  return a;
}

static BY_HANDLE_FILE_INFORMATION file_info(const char *path) {
  BY_HANDLE_FILE_INFORMATION fi;
  memset(&fi, 0, sizeof fi);
  wchar_t *w = wctr_utf8_to_wide(path);
  HANDLE h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, NULL);
  free(w);
  assert_true(h != INVALID_HANDLE_VALUE);
  assert_true(GetFileInformationByHandle(h, &fi));
  CloseHandle(h);
  return fi;
}

static int64_t write_time(const char *path) {
  BY_HANDLE_FILE_INFORMATION fi = file_info(path);
  return (int64_t)fi.ftLastWriteTime.dwHighDateTime << 32 | fi.ftLastWriteTime.dwLowDateTime;
}

/* The calls of name in the double's log (optionally only those whose "path" ends with suffix). */
static cJSON *calls(const char *name, const char *suffix) {
  char log[MAX_PATH * 3];
  snprintf(log, sizeof log, "%s\\calls.jsonl", g_state);
  char *text = text_of(log);
  cJSON *out = cJSON_CreateArray();
  char *save = NULL;
  for (char *line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL; line = strtok_r(NULL, "\n", &save)) {
    cJSON *j = cJSON_Parse(line);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "call");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
    size_t sl = suffix != NULL ? strlen(suffix) : 0;
    bool match = cJSON_IsString(c) && strcmp(c->valuestring, name) == 0 &&
                 (suffix == NULL || (cJSON_IsString(p) && strlen(p->valuestring) >= sl &&
                                     _stricmp(p->valuestring + strlen(p->valuestring) - sl, suffix) == 0));
    if (match) {
      cJSON_AddItemToArray(out, j);
    } else {
      cJSON_Delete(j);
    }
  }
  free(text);
  return out;
}

static int count_calls(const char *name, const char *suffix) {
  cJSON *c = calls(name, suffix);
  int n = cJSON_GetArraySize(c);
  cJSON_Delete(c);
  return n;
}

/* The double's record of a layer (state.json "Layers"), or NULL. */
static cJSON *layer_record(const char *folder) {
  char st[MAX_PATH * 3];
  snprintf(st, sizeof st, "%s\\state.json", g_state);
  char *text = text_of(st);
  cJSON *doc = text != NULL ? cJSON_Parse(text) : NULL;
  free(text);
  cJSON *found = NULL;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "Layers")) {
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "Id");
    if (cJSON_IsString(id) && _stricmp(id->valuestring, folder) == 0) found = cJSON_Duplicate(r, true);
  }
  cJSON_Delete(doc);
  return found;
}

typedef struct layer_in {
  const char *name;               /* the layer's folder under layers\ */
  const uint8_t *tar;
  size_t tar_len;
  bool gzip;
  const char *diff_id;            /* NULL: the tar's own digest */
  const char *const *parents;     /* folder names under layers\, immediate first */
  size_t parent_count;
} layer_in;

/* Writes the blob and imports it with the production importer; the error and its message. */
static wctr_err import(const layer_in *in, int64_t *size, wctr_errmsg *e) {
  char blob[MAX_PATH * 3], dest[MAX_PATH * 3], digest[IMG_DIGEST_MAX];
  snprintf(blob, sizeof blob, "%s\\blob-%d", g_root, g_blob_count++);
  uint8_t *gz = NULL;
  size_t gz_len = 0;
  if (in->gzip) tarw_gzip(in->tar, in->tar_len, &gz, &gz_len);
  wctr_errmsg we;
  assert_int_equal(wctr_fs_write_atomic(blob, in->gzip ? gz : in->tar, in->gzip ? gz_len : in->tar_len, &we), WCTR_OK);
  free(gz);
  assert_int_equal(img_digest_of(in->tar, in->tar_len, digest), WCTR_OK);
  snprintf(dest, sizeof dest, "%s\\layers\\%s", g_root, in->name);
  char id[HCS_GUID_SIZE];
  assert_int_equal(hcs_layer_id(dest, id, &we), WCTR_OK);
  char parent_paths[4][MAX_PATH * 3];
  char parent_ids[4][HCS_GUID_SIZE];
  const char *pp[4], *pi[4];
  for (size_t i = 0; i < in->parent_count; i++) {
    snprintf(parent_paths[i], sizeof parent_paths[i], "%s\\layers\\%s", g_root, in->parents[i]);
    assert_int_equal(hcs_layer_id(parent_paths[i], parent_ids[i], &we), WCTR_OK);
    pp[i] = parent_paths[i];
    pi[i] = parent_ids[i];
  }
  img_import_layer l = {.blob_path = blob, .media_type = in->gzip ? MT_GZIP : MT_TAR,
                        .diff_id = in->diff_id != NULL ? in->diff_id : digest, .dest = dest, .layer_id = id,
                        .parents = pp, .parent_ids = pi, .parent_count = in->parent_count};
  e->text[0] = '\0';
  int64_t got = 0;
  wctr_err err = g_imp->import(g_imp->ctx, &l, &got, e);
  if (size != NULL) *size = got;
  wctr_fs_remove(blob);
  return err;
}

/* --- the layers -------------------------------------------------------------------------------------------- */

static const char *const mp[] = {"MSWINDOWS.mountpoint=1", NULL};

static void base_layer(tarw *w) {
  size_t sd_len = 0;
  const uint8_t *sd = tarw_sample_sd(&sd_len);
  static const uint8_t eav[] = {'e', 'a', '!'};
  char *ea = tarw_b64_record("MSWINDOWS.xattr.WCTR.TEST", eav, sizeof eav);
  const char *eas[] = {ea, NULL};
  tarw_init(w);
  tarw_win(w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, sd, sd_len, NULL);
  tarw_win(w, "Files/Users/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/System32/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/System32/config/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/System32/config/SYSTEM", '0', NULL, "regf-system", 11, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/a.txt", '0', NULL, "hello, base", 11, ATTR_ARCHIVE | ATTR_HIDDEN, sd, sd_len, eas);
  tarw_entry(w, "Files/Windows/a.txt:Zone.Identifier", '0', NULL, "[ZoneTransfer]", 14, NULL);
  tarw_entry(w, "Files/Windows/b.txt", '1', "Files/Windows/a.txt", NULL, 0, NULL);
  tarw_win(w, "Files/Documents and Settings", '2', "C:\\Users", NULL, 0, ATTR_DIR | ATTR_REPARSE, NULL, 0, mp);
  tarw_win(w, "Files/Windows/sym", '2', "a.txt", NULL, 0, ATTR_REPARSE | ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_win(w, "Hives/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Hives/System_Delta", '0', NULL, "hive-system", 11, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/Files/EFI/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/Files/EFI/Microsoft/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/Files/EFI/Microsoft/Boot/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "UtilityVM/Files/EFI/Microsoft/Boot/BCD", '0', NULL, "bcd", 3, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_end(w);
  free(ea);
}

static void diff_layer(tarw *w) {
  tarw_init(w);
  tarw_win(w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/Windows/new.txt", '0', NULL, "new in the app", 14, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_entry(w, "Files/Windows/new.txt:s", '0', NULL, "stream", 6, NULL);
  tarw_entry(w, "Files/Windows/.wh.a.txt", '0', NULL, NULL, 0, NULL);
  tarw_entry(w, "Files/Windows/c.txt", '1', "Files/Windows/System32/config/SYSTEM", NULL, 0, NULL);
  tarw_entry(w, "Files/Windows/d.txt", '1', "Files/Windows/new.txt", NULL, 0, NULL);
  tarw_win(w, "Files/data", '2', "C:\\ProgramData", NULL, 0, ATTR_DIR | ATTR_REPARSE, NULL, 0, mp);
  tarw_win(w, "Hives/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Hives/Software_Delta", '0', NULL, "hive-software", 13, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_end(w);
}

static void third_layer(tarw *w) {
  tarw_init(w);
  tarw_win(w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/third.txt", '0', NULL, "3", 1, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_end(w);
}

static void no_leftovers(const char *name) {
  char dest[MAX_PATH * 3], staging[MAX_PATH * 3];
  snprintf(dest, sizeof dest, "%s\\layers\\%s", g_root, name);
  snprintf(staging, sizeof staging, "%s%s", dest, IMG_STAGING_SUFFIX);
  if (exists(dest)) FAILF("%s was left behind", dest);
  if (exists(staging)) FAILF("%s was left behind", staging);
}

/* The thread has no token of the import's left, and the process's privileges are as they were. */
static void privileges_reverted(void) {
  HANDLE t = NULL;
  assert_false(OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &t));
  assert_int_equal(GetLastError(), ERROR_NO_TOKEN);
  HANDLE p = NULL;
  assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &p));
  LUID restore;
  assert_true(LookupPrivilegeValueW(NULL, L"SeRestorePrivilege", &restore));
  DWORD len = 0;
  GetTokenInformation(p, TokenPrivileges, NULL, 0, &len);
  TOKEN_PRIVILEGES *tp = malloc(len);
  assert_non_null(tp);
  assert_true(GetTokenInformation(p, TokenPrivileges, tp, len, &len));
  bool seen = false;
  for (DWORD i = 0; i < tp->PrivilegeCount; i++) {
    if (tp->Privileges[i].Luid.LowPart == restore.LowPart && tp->Privileges[i].Luid.HighPart == restore.HighPart) {
      seen = true;
      /* set back: the import enabled it on the process token only while it ran */
      assert_false(tp->Privileges[i].Attributes & SE_PRIVILEGE_ENABLED);
    }
  }
  assert_true(seen);
  free(tp);
  CloseHandle(p);
}

/* --- tests ------------------------------------------------------------------------------------------------- */

static void test_base_layer(void **state) {
  (void)state;
  /* Ready: vmcompute.dll is there and the account holds the privileges (enabled and dropped again). */
  wctr_errmsg re;
  assert_non_null(g_imp->ready);
  if (g_imp->ready(g_imp->ctx, &re) != WCTR_OK) FAILF("not ready: %s", re.text);
  privileges_reverted();
  tarw w;
  base_layer(&w);
  bd_reset();
  int64_t size = 0;
  wctr_errmsg e;
  layer_in in = {.name = "base", .tar = w.data, .tar_len = w.len, .gzip = true};
  wctr_err err = import(&in, &size, &e);
  if (err != WCTR_OK) FAILF("import: %s", e.text);
  assert_int_equal(size, 11 + 11 + 11 + 3);
  privileges_reverted();
  if (bd_error() != NULL) FAILF("BackupWrite stand-in: %s", bd_error());
  char p[MAX_PATH * 3];
  /* files, data, streams, attributes, times */
  path_of("layers\\base\\Files\\Windows\\a.txt", p, sizeof p);
  char *t = text_of(p);
  assert_non_null(t);
  assert_string_equal(t, "hello, base");
  free(t);
  assert_true(attributes(p) & FILE_ATTRIBUTE_HIDDEN);
  assert_int_equal(write_time(p), INT64_C(133444736002500000)); /* mtime 1700000000.25 */
  path_of("layers\\base\\Files\\Windows\\a.txt:Zone.Identifier", p, sizeof p);
  t = text_of(p);
  assert_non_null(t);
  assert_string_equal(t, "[ZoneTransfer]");
  free(t);
  /* folder times set again after their children were made */
  path_of("layers\\base\\Files\\Windows", p, sizeof p);
  assert_int_equal(write_time(p), INT64_C(133444736002500000));
  /* the hard link is the same file */
  char a[MAX_PATH * 3], b[MAX_PATH * 3];
  path_of("layers\\base\\Files\\Windows\\a.txt", a, sizeof a);
  path_of("layers\\base\\Files\\Windows\\b.txt", b, sizeof b);
  BY_HANDLE_FILE_INFORMATION fa = file_info(a), fb = file_info(b);
  assert_int_equal(fa.nFileIndexLow, fb.nFileIndexLow);
  assert_int_equal(fa.nFileIndexHigh, fb.nFileIndexHigh);
  assert_int_equal(fa.nNumberOfLinks, 2);
  /* what BackupWrite was given: the descriptor as the tar had it, the EA, the reparse points */
  size_t sd_len = 0;
  const uint8_t *sd = tarw_sample_sd(&sd_len);
  const bd_record *r = bd_find("Files\\Windows\\a.txt", BACKUP_SECURITY_DATA);
  assert_non_null(r);
  assert_int_equal(r->size, sd_len);
  assert_memory_equal(r->data, sd, sd_len);
  assert_false(r->security_skipped);
  r = bd_find("Files\\Windows\\a.txt", BACKUP_EA_DATA);
  assert_non_null(r);
  assert_int_equal(r->data[5], strlen("WCTR.TEST"));
  assert_memory_equal(r->data + 8, "WCTR.TEST", 9);
  r = bd_find("Files\\Windows\\a.txt", BACKUP_ALTERNATE_DATA);
  assert_non_null(r);
  assert_string_equal(r->name, ":Zone.Identifier:$DATA");
  r = bd_find("Files\\Documents and Settings", BACKUP_REPARSE_DATA);
  assert_non_null(r);
  assert_int_equal(r->data[0] | r->data[1] << 8 | r->data[2] << 16 | (uint32_t)r->data[3] << 24, IO_REPARSE_TAG_MOUNT_POINT);
  r = bd_find("Files\\Windows\\sym", BACKUP_REPARSE_DATA);
  assert_non_null(r);
  assert_int_equal(r->data[0] | r->data[1] << 8 | r->data[2] << 16 | (uint32_t)r->data[3] << 24, IO_REPARSE_TAG_SYMLINK);
  r = bd_find("Hives\\System_Delta", BACKUP_DATA);
  assert_non_null(r);
  assert_memory_equal(r->data, "hive-system", 11);
  /* then vmcompute: the base processed, its utility VM too, in that order */
  char dest[MAX_PATH * 3];
  path_of("layers\\base", dest, sizeof dest);
  assert_int_equal(count_calls("ProcessBaseImage", "layers\\base"), 1);
  assert_int_equal(count_calls("ProcessUtilityImage", "layers\\base\\UtilityVM"), 1);
  assert_int_equal(count_calls("ImportLayer", "layers\\base"), 0);
  path_of("layers\\base\\blank-base.vhdx", p, sizeof p);
  assert_true(exists(p));
  path_of("layers\\base\\UtilityVM\\SystemTemplate.vhdx", p, sizeof p);
  assert_true(exists(p));
  cJSON *rec = layer_record(dest);
  assert_non_null(rec);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rec, "Kind")->valuestring, "Base");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "UtilityVM")));
  cJSON_Delete(rec);
  path_of("layers\\base" IMG_STAGING_SUFFIX, p, sizeof p);
  assert_false(exists(p));
  tarw_free(&w);
}

static void test_layers_over_it(void **state) {
  (void)state;
  tarw w;
  diff_layer(&w);
  bd_reset();
  static const char *const over_base[] = {"base"};
  layer_in in = {.name = "app", .tar = w.data, .tar_len = w.len, .gzip = true, .parents = over_base, .parent_count = 1};
  int64_t size = 0;
  wctr_errmsg e;
  wctr_err err = import(&in, &size, &e);
  if (err != WCTR_OK) FAILF("import: %s", e.text);
  assert_int_equal(size, 14 + 13);
  privileges_reverted();
  if (bd_error() != NULL) FAILF("BackupWrite stand-in: %s", bd_error());
  /* ImportLayer: the staging, the parent with its NameToGuid id */
  cJSON *c = calls("ImportLayer", "layers\\app");
  assert_int_equal(cJSON_GetArraySize(c), 1);
  const cJSON *call = cJSON_GetArrayItem(c, 0);
  const cJSON *source = cJSON_GetObjectItemCaseSensitive(call, "source");
  assert_non_null(strstr(source->valuestring, "app" IMG_STAGING_SUFFIX));
  const cJSON *layers = cJSON_GetObjectItemCaseSensitive(call, "layers");
  assert_int_equal(cJSON_GetArraySize(layers), 1);
  char base[MAX_PATH * 3], base_id[HCS_GUID_SIZE];
  path_of("layers\\base", base, sizeof base);
  assert_int_equal(hcs_layer_id(base, base_id, &e), WCTR_OK);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(layers, 0), "Id")->valuestring, base_id);
  assert_int_equal(cJSON_GetObjectItemCaseSensitive(call, "flavour")->valueint, 1);
  cJSON_Delete(c);
  char p[MAX_PATH * 3];
  path_of("layers\\app\\Files\\Windows\\new.txt", p, sizeof p);
  char *t = text_of(p);
  assert_non_null(t);
  assert_string_equal(t, "new in the app");
  free(t);
  path_of("layers\\app\\Files\\Windows\\new.txt:s", p, sizeof p);
  t = text_of(p);
  assert_non_null(t);
  assert_string_equal(t, "stream");
  free(t);
  /* the whiteout: the parent's a.txt is gone from this layer's view; its other names are there */
  path_of("layers\\app\\Files\\Windows\\a.txt", p, sizeof p);
  assert_false(exists(p));
  path_of("layers\\app\\Files\\Users", p, sizeof p);
  assert_true(exists(p));
  /* hard links: to the parent's file, and to this layer's own */
  char x[MAX_PATH * 3], y[MAX_PATH * 3];
  path_of("layers\\app\\Files\\Windows\\c.txt", x, sizeof x);
  path_of("layers\\base\\Files\\Windows\\System32\\config\\SYSTEM", y, sizeof y);
  BY_HANDLE_FILE_INFORMATION fx = file_info(x), fy = file_info(y);
  assert_int_equal(fx.nFileIndexLow, fy.nFileIndexLow);
  path_of("layers\\app\\Files\\Windows\\d.txt", x, sizeof x);
  path_of("layers\\app\\Files\\Windows\\new.txt", y, sizeof y);
  fx = file_info(x);
  fy = file_info(y);
  assert_int_equal(fx.nFileIndexLow, fy.nFileIndexLow);
  assert_int_equal(fx.nNumberOfLinks, 2);
  path_of("layers\\app\\Hives\\Software_Delta", p, sizeof p);
  t = text_of(p);
  assert_non_null(t);
  assert_string_equal(t, "hive-software");
  free(t);
  /* the hive went through BackupWrite without its security; the junction through the staged marker */
  const bd_record *r = bd_find("Hives\\Software_Delta", BACKUP_DATA);
  assert_non_null(r);
  char app[MAX_PATH * 3];
  path_of("layers\\app", app, sizeof app);
  cJSON *rec = layer_record(app);
  assert_non_null(rec);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rec, "Kind")->valuestring, "Import");
  const cJSON *rp = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rec, "Reparse"), 0);
  assert_non_null(rp);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rp, "Path")->valuestring, "Files\\data");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(rp, "Target")->valuestring, "C:\\ProgramData");
  cJSON_Delete(rec);
  path_of("layers\\app" IMG_STAGING_SUFFIX, p, sizeof p);
  assert_false(exists(p));
  tarw_free(&w);

  /* A third layer: its parents immediate first; the wrong order is refused by vmcompute and leaves nothing. */
  third_layer(&w);
  static const char *const wrong[] = {"base", "app"};
  layer_in bad = {.name = "third", .tar = w.data, .tar_len = w.len, .parents = wrong, .parent_count = 2};
  assert_int_not_equal(import(&bad, NULL, &e), WCTR_OK);
  assert_non_null(strstr(e.text, "ImportLayer"));
  no_leftovers("third");
  static const char *const right[] = {"app", "base"};
  layer_in good = {.name = "third", .tar = w.data, .tar_len = w.len, .parents = right, .parent_count = 2};
  err = import(&good, NULL, &e);
  if (err != WCTR_OK) FAILF("import: %s", e.text);
  path_of("layers\\third\\Files\\Windows\\new.txt", p, sizeof p); /* the app's file, seen through the chain */
  assert_true(exists(p));
  tarw_free(&w);

  /* destroy: DestroyLayer for a layer, a plain removal for a staging left by a crash */
  char third[MAX_PATH * 3], id[HCS_GUID_SIZE];
  path_of("layers\\third", third, sizeof third);
  assert_int_equal(hcs_layer_id(third, id, &e), WCTR_OK);
  int destroyed = count_calls("DestroyLayer", "layers\\third"); /* the refused import's cleanup was one */
  assert_int_equal(destroyed, 1);
  assert_int_equal(g_imp->destroy(g_imp->ctx, third, id, &e), WCTR_OK);
  assert_false(exists(third));
  assert_int_equal(count_calls("DestroyLayer", "layers\\third"), destroyed + 1);
  rec = layer_record(third);
  assert_null(rec);
  char staging[MAX_PATH * 3];
  path_of("layers\\third" IMG_STAGING_SUFFIX, staging, sizeof staging);
  assert_int_equal(wctr_fs_mkdir(staging, &e), WCTR_OK);
  assert_int_equal(g_imp->destroy(g_imp->ctx, staging, id, &e), WCTR_OK);
  assert_false(exists(staging));
  assert_int_equal(count_calls("DestroyLayer", "third" IMG_STAGING_SUFFIX), 0);
}

typedef struct hostile {
  const char *what;
  const char *name;
  char type;
  const char *link;
  uint32_t attributes;
  const char *record;
  const char *fragment;
} hostile;

static const hostile refusals[] = {
    {"outside Files, Hives, UtilityVM", "Windows/System32/evil.dll", '0', NULL, 0, NULL, "lies outside Files, Hives and UtilityVM"},
    {"dot dot", "Files/../../evil.dll", '0', NULL, 0, NULL, "\"..\""},
    {"absolute", "/Files/evil.dll", '0', NULL, 0, NULL, "absolute"},
    {"drive", "C:/Windows/evil.dll", '0', NULL, 0, NULL, "names a drive"},
    {"device", "Files/CON", '0', NULL, 0, NULL, "names a device"},
    {"hard link out", "Files/l", '1', "../../../Windows/win.ini", 0, NULL, "hard link leading out of the layer"},
    {"symlink to a share", "Files/s", '2', "\\\\attacker\\share", ATTR_REPARSE, NULL, "UNC, device or NT path"},
    {"symlink to another drive", "Files/s", '2', "D:\\", ATTR_REPARSE, NULL, "another drive"},
    {"symlink climbing out", "Files/s", '2', "..\\..\\x", ATTR_REPARSE, NULL, "climbs above the root"},
    {"under the junction", "Files/J/evil.dll", '0', NULL, 0, NULL, "lies under a link this layer made"},
    {"whiteout in a base layer", "Files/.wh.a", '0', NULL, 0, NULL, "whiteout in a base layer"},
};

/* Files/, a junction Files/j, a file, then the hostile entry, then more. */
static void hostile_tar(tarw *w, const hostile *h) {
  const char *more[] = {h->record, NULL};
  tarw_init(w);
  tarw_win(w, "Files/", '5', NULL, NULL, 0, ATTR_DIR, NULL, 0, NULL);
  tarw_win(w, "Files/j", '2', "C:\\Windows", NULL, 0, ATTR_DIR | ATTR_REPARSE, NULL, 0, mp);
  tarw_win(w, "Files/a", '0', NULL, "a", 1, ATTR_ARCHIVE, NULL, 0, NULL);
  if (h->attributes != 0 || h->record != NULL) {
    tarw_win(w, h->name, h->type, h->link, "x", 1, h->attributes, NULL, 0, h->record != NULL ? more : NULL);
  } else {
    tarw_entry(w, h->name, h->type, h->link, "evil", 4, NULL);
  }
  tarw_win(w, "Files/after", '0', NULL, "after", 5, ATTR_ARCHIVE, NULL, 0, NULL);
  tarw_end(w);
}

static void test_hostile_layers(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT_OF(refusals); i++) {
    const hostile *h = &refusals[i];
    tarw w;
    hostile_tar(&w, h);
    char name[32];
    snprintf(name, sizeof name, "hostile-%zu", i);
    layer_in in = {.name = name, .tar = w.data, .tar_len = w.len, .gzip = i % 2 == 0};
    wctr_errmsg e;
    wctr_err err = import(&in, NULL, &e);
    if (err == WCTR_OK) FAILF("%s: imported", h->what);
    if (strstr(e.text, h->fragment) == NULL) FAILF("%s: expected \"%s\" in \"%s\"", h->what, h->fragment, e.text);
    no_leftovers(name);
    if (count_calls("ProcessBaseImage", name) != 0) FAILF("%s: vmcompute processed a refused layer", h->what);
    privileges_reverted();
    tarw_free(&w);
  }
}

static void test_diff_id_and_corruption(void **state) {
  (void)state;
  static const char wrong[] = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
  wctr_errmsg e;
  /* a base layer and a layer over it, each with a diff id that is not theirs: nothing reaches vmcompute */
  tarw w;
  base_layer(&w);
  layer_in in = {.name = "mismatch-base", .tar = w.data, .tar_len = w.len, .gzip = true, .diff_id = wrong};
  assert_int_equal(import(&in, NULL, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "not its diff id"));
  no_leftovers("mismatch-base");
  assert_int_equal(count_calls("ProcessBaseImage", "mismatch-base"), 0);
  tarw_free(&w);
  diff_layer(&w);
  static const char *const over_base[] = {"base"};
  layer_in d = {.name = "mismatch-app", .tar = w.data, .tar_len = w.len, .diff_id = wrong, .parents = over_base,
                .parent_count = 1};
  assert_int_equal(import(&d, NULL, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "not its diff id"));
  no_leftovers("mismatch-app");
  assert_int_equal(count_calls("ImportLayer", "mismatch-app"), 0);
  /* a truncated blob */
  layer_in cut = {.name = "truncated", .tar = w.data, .tar_len = w.len - 1500, .parents = over_base, .parent_count = 1};
  assert_int_not_equal(import(&cut, NULL, &e), WCTR_OK);
  no_leftovers("truncated");
  tarw_free(&w);
}

static void test_vmcompute_failure(void **state) {
  (void)state;
  /* ImportLayer fails (the double's fail knob): the layer goes through DestroyLayer, the staging too */
  char control[MAX_PATH * 3];
  snprintf(control, sizeof control, "%s\\control.txt", g_state);
  wctr_errmsg e;
  static const char rule[] = "fail ImportLayer:1:0x80070005\n";
  assert_int_equal(wctr_fs_write_atomic(control, rule, strlen(rule), &e), WCTR_OK);
  tarw w;
  third_layer(&w);
  static const char *const over_base[] = {"base"};
  layer_in in = {.name = "denied", .tar = w.data, .tar_len = w.len, .parents = over_base, .parent_count = 1};
  assert_int_not_equal(import(&in, NULL, &e), WCTR_OK);
  assert_non_null(strstr(e.text, "ImportLayer"));
  no_leftovers("denied");
  assert_int_equal(count_calls("DestroyLayer", "layers\\denied"), 1);
  wctr_fs_remove(control);
  /* ProcessBaseImage fails: the same for a base layer */
  static const char rule2[] = "fail ProcessBaseImage:1:0x80070005\n";
  assert_int_equal(wctr_fs_write_atomic(control, rule2, strlen(rule2), &e), WCTR_OK);
  tarw_free(&w);
  base_layer(&w);
  layer_in b = {.name = "denied-base", .tar = w.data, .tar_len = w.len};
  assert_int_not_equal(import(&b, NULL, &e), WCTR_OK);
  no_leftovers("denied-base");
  wctr_fs_remove(control);
  tarw_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base_layer),
      cmocka_unit_test(test_layers_over_it),
      cmocka_unit_test(test_hostile_layers),
      cmocka_unit_test(test_diff_id_and_corruption),
      cmocka_unit_test(test_vmcompute_failure),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
