/* tests/images/test_parsers.c - the portable parsers of images/: SHA-256 against FIPS 180-4 vectors (the
 * portable code natively, BCrypt under Wine), digests, references as Docker normalises them, manifests,
 * indexes and configs, chain ids, the Windows platform choice, WWW-Authenticate challenges and token
 * answers. */
#include "images/auth.h"
#include "images/digest.h"
#include "images/manifest.h"
#include "images/reference.h"
#include "images_test.h"

static void test_sha256_vectors(void **state) {
  (void)state;
  char d[IMG_DIGEST_MAX];
  assert_int_equal(img_digest_of("", 0, d), WCTR_OK);
  assert_string_equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert_int_equal(img_digest_of("abc", 3, d), WCTR_OK);
  assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  assert_int_equal(img_digest_of(two, strlen(two), d), WCTR_OK);
  assert_string_equal(d, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* a million 'a', fed in uneven pieces: the block boundary logic */
  img_hash *h = NULL;
  assert_int_equal(img_hash_new(&h), WCTR_OK);
  char buf[1000];
  memset(buf, 'a', sizeof buf);
  size_t left = 1000000, step = 1;
  while (left > 0) {
    size_t n = step < left ? step : left;
    if (n > sizeof buf) n = sizeof buf;
    img_hash_update(h, buf, n);
    left -= n;
    step = step * 7 % 997 + 1;
  }
  img_hash_final(h, d);
  img_hash_free(h);
  assert_string_equal(d, "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  /* 55, 56 and 64 bytes: the padding edges */
  static const struct {
    size_t n;
    const char *want;
  } edges[] = {{55, "sha256:9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
               {56, "sha256:b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
               {64, "sha256:ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"}};
  for (size_t i = 0; i < COUNT_OF(edges); i++) {
    assert_int_equal(img_digest_of(buf, edges[i].n, d), WCTR_OK);
    assert_string_equal(d, edges[i].want);
  }
}

static void test_digest_text(void **state) {
  (void)state;
  assert_true(img_digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  assert_false(img_digest_valid("sha256:E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  assert_false(img_digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"));
  assert_false(img_digest_valid("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555"));
  assert_false(img_digest_valid("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  assert_false(img_digest_valid(NULL));
  wctr_errmsg e;
  assert_int_equal(img_digest_check("md5:abc", "layers[2].digest", &e), WCTR_EINVAL);
  assert_string_equal(e.text, "layers[2].digest \"md5:abc\" is not a digest: wctr knows sha256:<64 lowercase hex digits>");
  char s[16];
  img_digest_short("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", s, sizeof s);
  assert_string_equal(s, "e3b0c44298fc");
}

static void test_references(void **state) {
  (void)state;
  static const struct {
    const char *text, *domain, *path, *tag, *familiar;
  } ok[] = {
      {"nanoserver", "docker.io", "library/nanoserver", "latest", "nanoserver:latest"},
      {"user/app:1.0", "docker.io", "user/app", "1.0", "user/app:1.0"},
      {"docker.io/library/x", "docker.io", "library/x", "latest", "x:latest"},
      {"index.docker.io/library/x:t", "docker.io", "library/x", "t", "x:t"},
      {"mcr.microsoft.com/windows/nanoserver:ltsc2022", "mcr.microsoft.com", "windows/nanoserver", "ltsc2022",
       "mcr.microsoft.com/windows/nanoserver:ltsc2022"},
      {"127.0.0.1:5000/a/b/c:v", "127.0.0.1:5000", "a/b/c", "v", "127.0.0.1:5000/a/b/c:v"},
      {"localhost/x", "localhost", "x", "latest", "localhost/x:latest"},
      {"localhost:5000/x__y.z-w---v", "localhost:5000", "x__y.z-w---v", "latest", "localhost:5000/x__y.z-w---v:latest"},
      {"[::1]:5000/x:Tag_1.-", "[::1]:5000", "x", "Tag_1.-", "[::1]:5000/x:Tag_1.-"},
  };
  for (size_t i = 0; i < COUNT_OF(ok); i++) {
    img_ref r;
    wctr_errmsg e;
    if (img_ref_parse(ok[i].text, &r, &e) != WCTR_OK) FAILF("\"%s\" refused: %s", ok[i].text, e.text);
    assert_string_equal(r.domain, ok[i].domain);
    assert_string_equal(r.path, ok[i].path);
    assert_string_equal(r.tag, ok[i].tag);
    char f[400];
    img_ref_familiar(&r, f, sizeof f);
    assert_string_equal(f, ok[i].familiar);
  }
  img_ref r;
  wctr_errmsg e;
  const char *dig = "x@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  assert_int_equal(img_ref_parse(dig, &r, &e), WCTR_OK);
  assert_string_equal(r.tag, "");
  assert_string_equal(r.digest, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  char f[400];
  img_ref_familiar(&r, f, sizeof f);
  assert_string_equal(f, dig);
  assert_string_equal(img_ref_registry_host(&r), "registry-1.docker.io");
  static const struct {
    const char *text, *message;
  } bad[] = {
      {"Foo", "invalid reference format: \"Foo\" (repository name must be lowercase)"},
      {"x:", "invalid reference format: \"x:\" (a tag is [A-Za-z0-9_.-], at most 128, not starting with . or -)"},
      {"x:-a", "invalid reference format: \"x:-a\" (a tag is [A-Za-z0-9_.-], at most 128, not starting with . or -)"},
      {"a//b", "invalid reference format: \"a//b\" (a path component is [a-z0-9] joined by '.', '_', '__' or '-')"},
      {"a/b_", "invalid reference format: \"a/b_\" (a path component is [a-z0-9] joined by '.', '_', '__' or '-')"},
      {"a___b", "invalid reference format: \"a___b\" (a path component is [a-z0-9] joined by '.', '_', '__' or '-')"},
      {"x@sha256:abc", "invalid reference format: \"x@sha256:abc\" (the digest must be sha256:<64 lowercase hex digits>)"},
      {"ex..com/x", "invalid reference format: \"ex..com/x\" (the registry is not host[:port])"},
      {"host:/x", "invalid reference format: \"host:/x\" (the registry is not host[:port])"},
      {"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       "invalid reference format: \"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\" (an image id, "
       "not a name)"},
      {"", "invalid reference format: an image name is required"},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    assert_int_equal(img_ref_parse(bad[i].text, &r, &e), WCTR_EINVAL);
    if (strcmp(e.text, bad[i].message) != 0) FAILF("\"%s\": got \"%s\"", bad[i].text, e.text);
  }
  char longname[300];
  memset(longname, 'a', 256);
  longname[256] = '\0';
  assert_int_equal(img_ref_parse(longname, &r, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "longer than 255"));
  assert_true(img_is_id_text("e3b0c44298fc"));
  assert_false(img_is_id_text("e3b0c44298f"));
  assert_true(img_host_is_loopback("127.0.0.1:5000"));
  assert_true(img_host_is_loopback("127.9.8.7"));
  assert_true(img_host_is_loopback("localhost:1"));
  assert_true(img_host_is_loopback("[::1]:5000"));
  assert_false(img_host_is_loopback("127.0.0.1.evil.com"));
  assert_false(img_host_is_loopback("128.0.0.1"));
  assert_false(img_host_is_loopback("localhost.evil"));
}

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static void test_manifest_parse(void **state) {
  (void)state;
  const char *doc = "{\"schemaVersion\":2,\"mediaType\":\"" IMG_MT_DOCKER_MANIFEST "\",\"config\":{\"mediaType\":\""
                    IMG_MT_DOCKER_CONFIG "\",\"size\":7,\"digest\":\"" D1 "\"},\"layers\":[{\"mediaType\":\"" IMG_MT_DOCKER_FOREIGN
                    "\",\"size\":1000,\"digest\":\"" D2 "\",\"urls\":[\"https://mcr.example/b\"]},{\"mediaType\":\""
                    IMG_MT_DOCKER_LAYER "\",\"size\":10,\"digest\":\"" D3 "\"}]}";
  img_manifest m;
  wctr_errmsg e;
  if (img_manifest_parse(doc, strlen(doc), IMG_MT_DOCKER_MANIFEST, &m, &e) != WCTR_OK) FAILF("%s", e.text);
  assert_int_equal(m.kind, IMG_DOC_MANIFEST);
  assert_int_equal(m.count, 2);
  assert_string_equal(m.config.digest, D1);
  assert_int_equal(m.items[0].url_count, 1);
  assert_string_equal(m.items[0].urls[0], "https://mcr.example/b");
  assert_true(img_layer_type_foreign(m.items[0].media_type));
  assert_int_equal(m.items[1].size, 10);
  img_manifest_free(&m);
  /* the Content-Type disagrees with the document */
  assert_int_equal(img_manifest_parse(doc, strlen(doc), IMG_MT_OCI_INDEX, &m, &e), WCTR_EINVAL);
  assert_non_null(strstr(e.text, "arrived as " IMG_MT_OCI_INDEX));
  /* no mediaType: the Content-Type decides, parameters ignored */
  const char *oci = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" IMG_MT_OCI_MANIFEST "\",\"size\":5,\"digest\":\"" D1
                    "\",\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\",\"os.version\":\"10.0.20348.1\","
                    "\"os.features\":[\"win32k\"]}}]}";
  assert_int_equal(img_manifest_parse(oci, strlen(oci), IMG_MT_OCI_INDEX "; charset=utf-8", &m, &e), WCTR_OK);
  assert_int_equal(m.kind, IMG_DOC_INDEX);
  assert_string_equal(m.media_type, IMG_MT_OCI_INDEX);
  assert_string_equal(m.items[0].platform.os_features, "win32k");
  img_manifest_free(&m);
  static const struct {
    const char *doc, *message;
  } bad[] = {
      {"{\"schemaVersion\":1}", "the manifest's schemaVersion is not 2 (schema 1 manifests are not supported)"},
      {"[]", "the manifest is not a JSON object"},
      {"{\"schemaVersion\":2}", "the document is neither a manifest nor an index (no \"layers\", no \"manifests\")"},
      {"{\"schemaVersion\":2,\"layers\":[]}", "the manifest has no layers"},
      {"{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", "the manifest's mediaType \"text/plain\" is not one wctr reads"},
      {"{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"x\",\"size\":1,\"digest\":\"" D1 "\"}]}",
       "layers[0]: layer type \"x\" is not one wctr can import"},
      {"{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"" IMG_MT_OCI_LAYER "\",\"size\":-1,\"digest\":\"" D1 "\"}]}",
       "layers[0]: \"size\" must be a whole number of bytes"},
      {"{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"" IMG_MT_OCI_LAYER "\",\"size\":1.5,\"digest\":\"" D1 "\"}]}",
       "layers[0]: \"size\" must be a whole number of bytes"},
      {"{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"" IMG_MT_OCI_LAYER "\",\"size\":1,\"digest\":\"" D1
       "\",\"urls\":[\"file:///c:/windows\"]}]}",
       "layers[0]: url \"file:///c:/windows\" is not http(s)"},
      {"{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"" IMG_MT_OCI_LAYER "\",\"size\":1,\"digest\":\"" D1 "\"}]}",
       "config must be an object"},
  };
  for (size_t i = 0; i < COUNT_OF(bad); i++) {
    e.text[0] = '\0';
    if (img_manifest_parse(bad[i].doc, strlen(bad[i].doc), NULL, &m, &e) == WCTR_OK) FAILF("accepted %s", bad[i].doc);
    if (strcmp(e.text, bad[i].message) != 0) FAILF("%s: got \"%s\"", bad[i].doc, e.text);
  }
}

static void test_config_and_chain(void **state) {
  (void)state;
  const char *doc = "{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.20348.2113\",\"created\":"
                    "\"2026-01-02T03:04:05Z\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\"]},"
                    "\"config\":{\"Cmd\":[\"cmd\"]}}";
  img_config c;
  wctr_errmsg e;
  if (img_config_parse(doc, strlen(doc), &c, &e) != WCTR_OK) FAILF("%s", e.text);
  assert_string_equal(c.os_version, "10.0.20348.2113");
  assert_int_equal(c.diff_count, 2);
  char chain[2][IMG_DIGEST_MAX];
  assert_int_equal(img_chain_ids(c.diff_ids, 2, chain), WCTR_OK);
  assert_string_equal(chain[0], D1);
  char expect[IMG_DIGEST_MAX];
  const char *joined = D1 " " D2;
  img_digest_of(joined, strlen(joined), expect);
  assert_string_equal(chain[1], expect);
  img_config_free(&c);
  const char *bad = "{\"architecture\":\"amd64\",\"os\":\"windows\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"x\"]}}";
  assert_int_equal(img_config_parse(bad, strlen(bad), &c, &e), WCTR_EINVAL);
  assert_string_equal(e.text, "config.rootfs.diff_ids[0] \"x\" is not a digest: wctr knows sha256:<64 lowercase hex digits>");
}

static void index_of(const char *const *platforms, size_t n, img_manifest *m) {
  memset(m, 0, sizeof *m);
  m->kind = IMG_DOC_INDEX;
  m->items = calloc(n, sizeof *m->items);
  m->count = n;
  for (size_t i = 0; i < n; i++) {
    img_descriptor *d = &m->items[i];
    snprintf(d->media_type, sizeof d->media_type, "%s", IMG_MT_DOCKER_MANIFEST);
    snprintf(d->digest, sizeof d->digest, "sha256:%064zu", i);
    d->has_platform = true;
    char os[32], arch[32], ver[64] = "";
    sscanf(platforms[i], "%31[^/]/%31[^ ] %63s", os, arch, ver);
    snprintf(d->platform.os, sizeof d->platform.os, "%s", os);
    snprintf(d->platform.arch, sizeof d->platform.arch, "%s", arch);
    snprintf(d->platform.os_version, sizeof d->platform.os_version, "%s", ver);
  }
}

static void test_platform_choice(void **state) {
  (void)state;
  static const char *const entries[] = {"linux/amd64", "windows/amd64 10.0.17763.5206", "windows/amd64 10.0.20348.2113",
                                        "windows/amd64 10.0.20348.2227", "windows/arm64 10.0.20348.9999",
                                        "windows/amd64 10.0.26100.1"};
  img_manifest m;
  index_of(entries, COUNT_OF(entries), &m);
  wctr_errmsg e;
  size_t chosen = 99;
  img_host h2022 = {.os_version = "10.0.20348", .arch = "amd64"};
  assert_int_equal(img_platform_choose(&m, &h2022, "x:latest", &chosen, &e), WCTR_OK);
  assert_int_equal(chosen, 3); /* the newest revision of the host's build */
  img_host h2019 = {.os_version = "10.0.17763.1", .arch = "amd64"};
  assert_int_equal(img_platform_choose(&m, &h2019, "x:latest", &chosen, &e), WCTR_OK);
  assert_int_equal(chosen, 1);
  img_host h2025 = {.os_version = "10.0.26100", .arch = "amd64"};
  assert_int_equal(img_platform_choose(&m, &h2025, "x:latest", &chosen, &e), WCTR_OK);
  assert_int_equal(chosen, 5); /* 20348 is below the 2025 host's LTSC floor */
  img_host h23h2 = {.os_version = "10.0.25398", .arch = "amd64"};
  assert_int_equal(img_platform_choose(&m, &h23h2, "x:latest", &chosen, &e), WCTR_OK);
  assert_int_equal(chosen, 3); /* an annual channel host runs 20348 images */
  img_host h19041 = {.os_version = "10.0.19041", .arch = "amd64"};
  assert_int_equal(img_platform_choose(&m, &h19041, "x:latest", &chosen, &e), WCTR_ENOENT);
  assert_string_equal(e.text, "no image for Windows 10.0.19041 in x:latest; available: linux/amd64, windows/amd64 "
                              "10.0.17763.5206, windows/amd64 10.0.20348.2113, windows/amd64 10.0.20348.2227, windows/arm64 "
                              "10.0.20348.9999, windows/amd64 10.0.26100.1");
  img_manifest_free(&m);
  /* an entry without os.version matches, below any that has one */
  static const char *const hpc[] = {"windows/amd64", "windows/amd64 10.0.20348.1"};
  index_of(hpc, 2, &m);
  assert_int_equal(img_platform_choose(&m, &h2022, "x", &chosen, &e), WCTR_OK);
  assert_int_equal(chosen, 1);
  assert_int_equal(img_platform_choose(&m, &h19041, "x", &chosen, &e), WCTR_OK);
  assert_int_equal(chosen, 0);
  img_manifest_free(&m);
  assert_true(img_windows_compatible("10.0.20348", "10.0.20348.5"));
  assert_false(img_windows_compatible("10.0.20348", "10.0.22000"));
  assert_false(img_windows_compatible("10.0.20348", "10.1.20348"));
  assert_false(img_windows_compatible("10.0.20348", "junk"));
}

static void test_challenges(void **state) {
  (void)state;
  img_challenge c;
  wctr_errmsg e;
  const char *h = "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/"
                  "x:pull\"";
  assert_int_equal(img_challenge_parse(h, &c, &e), WCTR_OK);
  assert_int_equal(c.scheme, IMG_AUTH_BEARER);
  assert_string_equal(c.realm, "https://auth.docker.io/token");
  assert_string_equal(c.service, "registry.docker.io");
  assert_string_equal(c.scope, "repository:library/x:pull");
  char url[1024];
  assert_int_equal(img_token_url(&c, NULL, url, sizeof url, &e), WCTR_OK);
  assert_string_equal(url, "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fx%3Apull");
  /* case, spaces, escapes, a token value, two challenges: Bearer preferred */
  assert_int_equal(img_challenge_parse("Basic realm=\"R\", bearer Realm = \"http://a/t?x=1\" , service=svc", &c, &e), WCTR_OK);
  assert_int_equal(c.scheme, IMG_AUTH_BEARER);
  assert_string_equal(c.realm, "http://a/t?x=1");
  assert_string_equal(c.service, "svc");
  assert_int_equal(img_token_url(&c, "repository:a:pull", url, sizeof url, &e), WCTR_OK);
  assert_string_equal(url, "http://a/t?x=1&service=svc&scope=repository%3Aa%3Apull");
  assert_int_equal(img_challenge_parse("Basic realm=\"a \\\"q\\\" b\"", &c, &e), WCTR_OK);
  assert_int_equal(c.scheme, IMG_AUTH_BASIC);
  assert_string_equal(c.realm, "a \"q\" b");
  static const char *const bad[] = {"", "Negotiate", "Bearer service=x", "Bearer realm=\"unterminated", "Bearer realm=a b=c",
                                    "Bearer realm=\"ftp://x\""};
  for (size_t i = 0; i < COUNT_OF(bad) - 1; i++) {
    if (img_challenge_parse(bad[i], &c, &e) != WCTR_EINVAL) FAILF("accepted \"%s\"", bad[i]);
    assert_non_null(strstr(e.text, "WWW-Authenticate"));
  }
  assert_int_equal(img_challenge_parse(bad[COUNT_OF(bad) - 1], &c, &e), WCTR_OK);
  assert_int_equal(img_token_url(&c, NULL, url, sizeof url, &e), WCTR_EINVAL);
}

static void test_tokens(void **state) {
  (void)state;
  char *t = NULL;
  int64_t exp = 0;
  wctr_errmsg e;
  const char *a = "{\"token\":\"abc.def\",\"access_token\":\"zzz\",\"expires_in\":300}";
  assert_int_equal(img_token_parse(a, strlen(a), &t, &exp, &e), WCTR_OK);
  assert_string_equal(t, "abc.def");
  assert_int_equal(exp, 300);
  free(t);
  const char *b = "{\"access_token\":\"only\"}";
  assert_int_equal(img_token_parse(b, strlen(b), &t, &exp, &e), WCTR_OK);
  assert_string_equal(t, "only");
  assert_int_equal(exp, 60);
  free(t);
  const char *c = "{\"token\":\"with space\"}";
  assert_int_equal(img_token_parse(c, strlen(c), &t, &exp, &e), WCTR_EPROTO);
  assert_null(t);
  assert_null(strstr(e.text, "with space")); /* never the token in a message */
  char *basic = img_basic_header("user", "p:ss");
  assert_string_equal(basic, "Basic dXNlcjpwOnNz");
  free(basic);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_vectors), cmocka_unit_test(test_digest_text),     cmocka_unit_test(test_references),
      cmocka_unit_test(test_manifest_parse), cmocka_unit_test(test_config_and_chain), cmocka_unit_test(test_platform_choice),
      cmocka_unit_test(test_challenges),     cmocka_unit_test(test_tokens),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
